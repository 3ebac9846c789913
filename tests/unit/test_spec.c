/* Unit tests for common/spec.c and common/spec_validate.c: runc's default spec (and its
 * rootless form), the image config -> process conversion, the edit helpers, and validation
 * naming each problem's JSON path. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "common/config.h"
#include "common/spec.h"
#include "common/util.h"

static json_t *parse(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, JSON_DECODE_ANY, &e);
	ck_assert_msg(j != NULL, "bad test JSON: %s", e.text);
	return j;
}

static const char *str_at(json_t *arr, size_t i)
{
	return json_string_value(json_array_get(arr, i));
}

START_TEST(test_default)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *s = oci_spec_default(false, &err);
	ck_assert_msg(s, "%s", err.msg);
	ck_assert_str_eq(json_string_value(json_object_get(s, "ociVersion")),
			 OCI_RUNTIME_SPEC_VERSION);
	/* runc's top-level key order */
	const char *order[] = {"ociVersion", "process", "root", "hostname", "mounts", "linux"};
	size_t i = 0;
	const char *k;
	json_t *v;
	json_object_foreach(s, k, v)
	{
		ck_assert_uint_lt(i, ARRAY_SIZE(order));
		ck_assert_str_eq(k, order[i++]);
	}
	json_t *p = json_object_get(s, "process");
	ck_assert(json_is_true(json_object_get(p, "terminal")));
	ck_assert_str_eq(str_at(json_object_get(p, "args"), 0), "sh");
	ck_assert_uint_eq(
	    json_array_size(json_object_get(json_object_get(p, "capabilities"), "bounding")), 3);
	json_t *ns = json_object_get(json_object_get(s, "linux"), "namespaces");
	ck_assert_uint_eq(json_array_size(ns), 5);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(ns, 1), "type")),
			 "network");
	ck_assert_uint_eq(json_array_size(json_object_get(s, "mounts")), 7);
	json_decref(s);
}
END_TEST

START_TEST(test_default_rootless)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *s = oci_spec_default(true, &err);
	ck_assert_msg(s, "%s", err.msg);
	json_t *l = json_object_get(s, "linux");
	/* runc's order inside "linux": mappings first, no resources */
	void *it = json_object_iter(l);
	ck_assert_str_eq(json_object_iter_key(it), "uidMappings");
	ck_assert_ptr_null(json_object_get(l, "resources"));
	json_t *um = json_array_get(json_object_get(l, "uidMappings"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(um, "hostID")), geteuid());
	ck_assert_int_eq(json_integer_value(json_object_get(um, "containerID")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(um, "size")), 1);
	json_t *gm = json_array_get(json_object_get(l, "gidMappings"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(gm, "hostID")), getegid());
	json_t *ns = json_object_get(l, "namespaces"), *v;
	size_t i;
	json_array_foreach(ns, i, v)
	    ck_assert_str_ne(json_string_value(json_object_get(v, "type")), "network");
	ck_assert_str_eq(
	    json_string_value(json_object_get(json_array_get(ns, json_array_size(ns) - 1), "type")),
	    "user");
	json_t *mounts = json_object_get(s, "mounts"), *m;
	json_array_foreach(mounts, i, m)
	{
		const char *d = json_string_value(json_object_get(m, "destination"));
		json_t *o = json_object_get(m, "options");
		if (!strcmp(d, "/dev/pts")) {
			size_t j;
			json_array_foreach(o, j, v) ck_assert_str_ne(json_string_value(v), "gid=5");
		}
		if (!strcmp(d, "/sys")) {
			ck_assert_str_eq(json_string_value(json_object_get(m, "type")), "none");
			ck_assert_str_eq(json_string_value(json_object_get(m, "source")), "/sys");
			ck_assert_str_eq(str_at(o, 0), "rbind");
		}
	}
	/* and it is valid (no rootfs check without a bundle fd) */
	json_t *problems = json_array();
	ck_assert_int_eq(oci_spec_validate(s, -1, problems, &err), 0);
	json_decref(problems);
	/* ids the user namespace does not map cannot be used */
	json_t *u = json_object_get(json_object_get(s, "process"), "user");
	json_object_set_new(u, "uid", json_integer(1000));
	json_object_set_new(u, "additionalGids", json_pack("[i]", 50));
	problems = json_array();
	ck_assert_int_eq(oci_spec_validate(s, -1, problems, &err), 2);
	ck_assert_str_eq(str_at(problems, 0),
			 "process.user.uid: 1000 is not mapped by linux.uidMappings");
	ck_assert_str_eq(str_at(problems, 1),
			 "process.user.additionalGids[0]: 50 is not mapped by linux.gidMappings");
	json_decref(problems);
	json_decref(s);
}
END_TEST

/* Apply an image config ("config" object JSON) to a default spec; returns the spec or NULL. */
static json_t *apply(const char *cfg, const oci_spec_image_opts *opts, oci_error *err)
{
	json_t *s = oci_spec_default(false, err);
	json_t *img = parse(cfg);
	int r = oci_spec_apply_image(s, img, -1, opts, err);
	json_decref(img);
	if (r < 0) {
		json_decref(s);
		return NULL;
	}
	return s;
}

static json_t *args_of(json_t *s)
{
	return json_object_get(json_object_get(s, "process"), "args");
}

START_TEST(test_image_args)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *s = apply("{\"Entrypoint\":[\"/bin/ep\",\"-x\"]}", NULL, &err);
	ck_assert_msg(s, "%s", err.msg);
	ck_assert_uint_eq(json_array_size(args_of(s)), 2);
	ck_assert_str_eq(str_at(args_of(s), 1), "-x");
	ck_assert(json_is_false(json_object_get(json_object_get(s, "process"), "terminal")));
	json_decref(s);

	s = apply("{\"Cmd\":[\"/bin/sh\"]}", NULL, &err);
	ck_assert_msg(s, "%s", err.msg);
	ck_assert_uint_eq(json_array_size(args_of(s)), 1);
	json_decref(s);

	s = apply("{\"Entrypoint\":[\"/bin/ep\"],\"Cmd\":[\"a\",\"b\"]}", NULL, &err);
	ck_assert_uint_eq(json_array_size(args_of(s)), 3);
	ck_assert_str_eq(str_at(args_of(s), 0), "/bin/ep");
	ck_assert_str_eq(str_at(args_of(s), 2), "b");
	json_decref(s);

	/* args override Cmd, keep Entrypoint */
	char *over[] = {"x", NULL};
	oci_spec_image_opts o = {.args = over};
	s = apply("{\"Entrypoint\":[\"/bin/ep\"],\"Cmd\":[\"a\",\"b\"]}", &o, &err);
	ck_assert_uint_eq(json_array_size(args_of(s)), 2);
	ck_assert_str_eq(str_at(args_of(s), 1), "x");
	json_decref(s);

	/* --entrypoint replaces the Entrypoint and drops the image Cmd (docker run) */
	char *ep[] = {"/bin/other", NULL};
	oci_spec_image_opts o2 = {.entrypoint = ep};
	s = apply("{\"Entrypoint\":[\"/bin/ep\"],\"Cmd\":[\"a\"]}", &o2, &err);
	ck_assert_uint_eq(json_array_size(args_of(s)), 1);
	ck_assert_str_eq(str_at(args_of(s), 0), "/bin/other");
	json_decref(s);

	/* neither: a clear error; null counts as absent; an empty entrypoint override + Cmd-only
	 * image too */
	ck_assert_ptr_null(apply("{\"Env\":[\"A=1\"]}", NULL, &err));
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	ck_assert_msg(strstr(err.msg, "neither Entrypoint nor Cmd"), "%s", err.msg);
	ck_assert_ptr_null(apply("{\"Entrypoint\":null,\"Cmd\":[]}", NULL, &err));
	char *none[] = {NULL};
	oci_spec_image_opts o3 = {.entrypoint = none};
	ck_assert_ptr_null(apply("{\"Cmd\":[\"a\"]}", &o3, &err));
	/* wrong types name the path */
	ck_assert_ptr_null(apply("{\"Cmd\":[\"a\",1]}", NULL, &err));
	ck_assert_msg(strstr(err.msg, "config.Cmd[1]: expected a string"), "%s", err.msg);
}
END_TEST

START_TEST(test_image_env_cwd_user)
{
	oci_error err = OCI_ERROR_INIT;
	char *env[] = {"B=top", "C=3", NULL};
	oci_spec_image_opts o = {.env = env};
	json_t *s = apply("{\"Cmd\":[\"x\"],\"Env\":[\"A=1\",\"B=2\",\"PATH=/"
			  "bin\"],\"WorkingDir\":\"work/../data\","
			  "\"User\":\"1000:1000\"}",
			  &o, &err);
	ck_assert_msg(s, "%s", err.msg);
	json_t *p = json_object_get(s, "process");
	json_t *e = json_object_get(p, "env");
	/* PATH replaced in place (first), image vars, then the overrides; no TERM, no HOME
	 * without a rootfs */
	ck_assert_uint_eq(json_array_size(e), 4);
	ck_assert_str_eq(str_at(e, 0), "PATH=/bin");
	ck_assert_str_eq(str_at(e, 1), "A=1");
	ck_assert_str_eq(str_at(e, 2), "B=top");
	ck_assert_str_eq(str_at(e, 3), "C=3");
	ck_assert_str_eq(json_string_value(json_object_get(p, "cwd")), "/data");
	json_t *u = json_object_get(p, "user");
	ck_assert_int_eq(json_integer_value(json_object_get(u, "uid")), 1000);
	ck_assert_int_eq(json_integer_value(json_object_get(u, "gid")), 1000);
	json_decref(s);

	/* default PATH when the image has none */
	s = apply("{\"Cmd\":[\"x\"]}", NULL, &err);
	ck_assert_str_eq(str_at(json_object_get(json_object_get(s, "process"), "env"), 0),
			 OCI_SPEC_DEFAULT_PATH);
	json_decref(s);

	/* the CVE-2024-21626 working directory */
	ck_assert_ptr_null(
	    apply("{\"Cmd\":[\"x\"],\"WorkingDir\":\"/proc/self/fd/7\"}", NULL, &err));
	ck_assert_int_eq(err.code, OCI_E_UNSAFE);
	ck_assert_ptr_null(
	    apply("{\"Cmd\":[\"x\"],\"WorkingDir\":\"/a/../../proc/1/cwd\"}", NULL, &err));
	/* a name needs a rootfs to be resolved: never a fallback to root */
	ck_assert_ptr_null(apply("{\"Cmd\":[\"x\"],\"User\":\"app\"}", NULL, &err));
	ck_assert_ptr_null(apply("{\"Cmd\":[\"x\"],\"Env\":[\"=x\"]}", NULL, &err));
	ck_assert_msg(strstr(err.msg, "config.Env[0]"), "%s", err.msg);
}
END_TEST

START_TEST(test_image_annotations_volumes)
{
	oci_error err = OCI_ERROR_INIT;
	/* the whole image config blob is accepted too */
	json_t *s = apply("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{},\"config\":{"
			  "\"Cmd\":[\"x\"],"
			  "\"StopSignal\":\"SIGQUIT\",\"Labels\":{\"l1\":\"v1\","
			  "\"org.opencontainers.image.stopSignal\":\"label loses\"},"
			  "\"ExposedPorts\":{\"8080/tcp\":{},\"53/udp\":{}},\"Volumes\":{\"/var/"
			  "lib/x/\":{},\"/proc\":{}}}}",
			  NULL, &err);
	ck_assert_msg(s, "%s", err.msg);
	json_t *a = json_object_get(s, "annotations");
	ck_assert_str_eq(json_string_value(json_object_get(a, "l1")), "v1");
	ck_assert_str_eq(
	    json_string_value(json_object_get(a, "org.opencontainers.image.stopSignal")),
	    "SIGQUIT");
	ck_assert_str_eq(
	    json_string_value(json_object_get(a, "org.opencontainers.image.exposedPorts")),
	    "53/udp,8080/tcp");
	ck_assert_str_eq(
	    json_string_value(json_object_get(a, "org.opencontainers.image.architecture")),
	    "amd64");
	json_t *mounts = json_object_get(s, "mounts");
	/* /var/lib/x added as tmpfs (cleaned), /proc already mounted: not duplicated */
	ck_assert_uint_eq(json_array_size(mounts), 8);
	json_t *last = json_array_get(mounts, 7);
	ck_assert_str_eq(json_string_value(json_object_get(last, "destination")), "/var/lib/x");
	ck_assert_str_eq(json_string_value(json_object_get(last, "type")), "tmpfs");
	json_decref(s);

	ck_assert_ptr_null(apply("{\"Cmd\":[\"x\"],\"Volumes\":{\"rel\":{}}}", NULL, &err));
	ck_assert_ptr_null(apply("{\"Cmd\":[\"x\"],\"Labels\":{\"a\":1}}", NULL, &err));
	ck_assert_msg(strstr(err.msg, "config.Labels.a"), "%s", err.msg);
}
END_TEST

START_TEST(test_helpers)
{
	oci_error err = OCI_ERROR_INIT;
	char buf[64];
	json_t *s = oci_spec_default(false, &err);
	ck_assert_int_eq(oci_spec_env_set(s, "TERM=dumb", true, &err), 0);
	ck_assert_int_eq(oci_spec_env_set(s, "TERM=kept", false, &err), 0);
	ck_assert_int_eq(oci_spec_env_set(s, "NEW=1", true, &err), 0);
	json_t *e = json_object_get(json_object_get(s, "process"), "env");
	ck_assert_uint_eq(json_array_size(e), 3);
	ck_assert_str_eq(str_at(e, 1), "TERM=dumb");
	ck_assert_int_eq(oci_spec_env_set(s, "NOEQ", true, &err), -1);
	/* a wrong type in an existing config is named */
	json_object_set_new(json_object_get(s, "process"), "env", json_string("x"));
	ck_assert_int_eq(oci_spec_env_set(s, "A=1", true, &err), -1);
	ck_assert_msg(strstr(err.msg, "process.env: expected an array"), "%s", err.msg);
	json_decref(s);

	ck_assert_int_eq(oci_spec_capability_name("net_admin", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "CAP_NET_ADMIN");
	ck_assert_int_eq(oci_spec_capability_name("CAP_SYS_ADMIN", buf, sizeof(buf)), 0);
	ck_assert_int_eq(oci_spec_capability_name("CAP_NOPE", buf, sizeof(buf)), -1);
	ck_assert(oci_spec_namespace_known("cgroup"));
	ck_assert(!oci_spec_namespace_known("net"));
	/* One table: the config's name, the clone flag and the /proc/PID/ns name agree. */
	ck_assert_str_eq(oci_spec_namespace_by_type("network")->proc, "net");
	ck_assert_str_eq(oci_spec_namespace_by_type("mount")->proc, "mnt");
	ck_assert_int_eq(oci_spec_namespace_by_type("time")->flag, 0x80);
	ck_assert_str_eq(oci_spec_namespace_by_flag(CLONE_NEWUSER)->type, "user");
	ck_assert_ptr_null(oci_spec_namespace_by_flag(0));
	ck_assert_ptr_null(oci_spec_namespace_by_type(NULL));
	/* exec joins user first (the right to join the rest) and mount last (it hides /proc). */
	ck_assert_str_eq(oci_spec_namespaces[0].type, "user");
	ck_assert_str_eq(oci_spec_namespaces[OCI_SPEC_N_NAMESPACES - 1].type, "mount");
	ck_assert_int_eq(oci_spec_check_cwd("/a//b/./c/..", buf, sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, "/a/b");
	ck_assert_int_eq(oci_spec_check_cwd("rel", buf, sizeof(buf), &err), -1);
	ck_assert_int_eq(oci_spec_check_cwd("/sys/kernel", buf, sizeof(buf), &err), -1);
	ck_assert_int_eq(oci_spec_check_cwd("/process", buf, sizeof(buf), &err), 0);
}
END_TEST

/* Validate spec text after a jq-like edit; returns the problems array (caller frees). */
static json_t *problems_of(json_t *s, int dirfd)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *p = json_array();
	int n = oci_spec_validate(s, dirfd, p, &err);
	ck_assert_msg(n >= 0, "%s", err.msg);
	ck_assert_int_eq((size_t)n, json_array_size(p));
	return p;
}

static bool has_problem(json_t *p, const char *prefix)
{
	size_t i;
	json_t *v;
	json_array_foreach(
	    p, i, v) if (!strncmp(json_string_value(v), prefix, strlen(prefix))) return true;
	return false;
}

static void expect_problem(const char *edit_path, const char *json_value,
			   const char *problem_prefix)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *s = oci_spec_default(false, &err);
	/* edit_path like "process.args" or "linux.namespaces" (objects only) */
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", edit_path);
	json_t *obj = s;
	char *save = NULL, *tok = strtok_r(buf, ".", &save), *next;
	while ((next = strtok_r(NULL, ".", &save))) {
		obj = json_object_get(obj, tok);
		ck_assert_ptr_nonnull(obj);
		tok = next;
	}
	if (json_value)
		json_object_set_new(obj, tok, parse(json_value));
	else
		json_object_del(obj, tok);
	json_t *p = problems_of(s, -1);
	char *dump = json_dumps(p, 0);
	ck_assert_msg(has_problem(p, problem_prefix), "%s=%.200s: expected '%s' in %.500s",
		      edit_path, json_value ? json_value : "(deleted)", problem_prefix, dump);
	free(dump);
	json_decref(p);
	json_decref(s);
}

START_TEST(test_validate_classes)
{
	/* types */
	expect_problem("ociVersion", "1", "ociVersion: expected a string");
	expect_problem("ociVersion", NULL, "ociVersion: missing");
	expect_problem("ociVersion", "\"0.9\"", "ociVersion: '0.9' is not a 1.x");
	expect_problem("process.args", "[\"sh\", 2]", "process.args[1]: expected a string");
	expect_problem("process.args", "[]", "process.args: must not be empty");
	expect_problem("process.args", "\"sh\"", "process.args: expected an array");
	expect_problem("process.terminal", "\"yes\"", "process.terminal: expected a boolean");
	expect_problem("process.env", "[\"NOEQ\"]", "process.env[0]: 'NOEQ' is not KEY=VALUE");
	expect_problem("process.user", "{\"uid\":-1,\"gid\":0}",
		       "process.user.uid: expected an integer from 0");
	expect_problem("process.user", "{\"uid\":0,\"gid\":4294967296}", "process.user.gid");
	expect_problem("process.cwd", "\"rel\"", "process.cwd: 'rel' is not an absolute path");
	expect_problem("root", "{\"readonly\":true}", "root.path: missing");
	/* paths */
	expect_problem("mounts", "[{\"destination\":\"dev\",\"type\":\"tmpfs\"}]",
		       "mounts[0].destination: 'dev'");
	expect_problem("mounts", "[{\"type\":\"tmpfs\"}]", "mounts[0].destination: missing");
	expect_problem("linux.maskedPaths", "[\"proc/kcore\"]", "linux.maskedPaths[0]");
	/* namespaces */
	expect_problem("linux.namespaces", "[{\"type\":\"net\"}]",
		       "linux.namespaces[0]: unknown namespace type 'net'");
	expect_problem("linux.namespaces",
		       "[{\"type\":\"pid\"},{\"type\":\"uts\"},{\"type\":\"pid\"}]",
		       "linux.namespaces[2]: namespace 'pid' given twice");
	expect_problem("linux.namespaces", "[{\"type\":\"mount\"}]",
		       "hostname: setting the hostname needs");
	expect_problem("linux.namespaces", "[{\"type\":\"uts\"},{\"type\":\"user\"}]",
		       "linux.uidMappings: a new user namespace needs");
	expect_problem("linux.namespaces", "[{\"type\":\"uts\"},{\"type\":\"user\"}]",
		       "linux.gidMappings: a new user namespace needs");
	expect_problem("linux.uidMappings", "[{\"containerID\":0,\"hostID\":1000,\"size\":1}]",
		       "linux.uidMappings: uid mappings given without");
	/* rlimits */
	expect_problem("process.rlimits", "[{\"type\":\"RLIMIT_NOPE\",\"soft\":1,\"hard\":1}]",
		       "process.rlimits[0]: unknown rlimit type 'RLIMIT_NOPE'");
	expect_problem("process.rlimits", "[{\"type\":\"NOFILE\",\"soft\":1,\"hard\":1}]",
		       "process.rlimits[0]: unknown");
	expect_problem("process.rlimits", "[{\"type\":\"RLIMIT_NOFILE\",\"soft\":10,\"hard\":1}]",
		       "process.rlimits[0]: soft limit above");
	expect_problem("process.rlimits", "[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1}]",
		       "process.rlimits[0].soft: missing");
	/* capabilities */
	expect_problem("process.capabilities.bounding", "[\"CAP_KILL\",\"CAP_FLY\"]",
		       "process.capabilities.bounding[1]: unknown capability 'CAP_FLY'");
	expect_problem("process.capabilities.effective", "[\"KILL\"]",
		       "process.capabilities.effective[0]: unknown");
	/* others */
	expect_problem("linux.resources", "{\"devices\":[{\"allow\":false,\"access\":\"rwx\"}]}",
		       "linux.resources.devices[0]: access 'rwx'");
	expect_problem("linux.resources", "{\"memory\":{\"limit\":\"1G\"}}",
		       "linux.resources.memory.limit: expected");
	/* the runtime's own linux.resources parser is the validator's walk: what create would
	 * refuse after the cgroup exists, validation lists */
	expect_problem("linux.resources",
		       "{\"hugepageLimits\":[{\"pageSize\":\"../2MB\",\"limit\":1}]}",
		       "linux.resources.hugepageLimits[0]: expected pageSize and limit");
	expect_problem("linux.resources", "{\"unified\":{\"memory.high\":5}}",
		       "linux.resources.unified.memory.high: expected a string");
	expect_problem("linux.resources", "{\"unified\":{\"cgroup.procs\":\"1\"}}",
		       "linux.resources.unified.cgroup.procs: moves processes, not a resource: not "
		       "allowed");
	expect_problem(
	    "linux.resources", "{\"unified\":{\"cgroup.threads\":\"1\"}}",
	    "linux.resources.unified.cgroup.threads: moves processes, not a resource: not "
	    "allowed");
	expect_problem("linux.resources", "{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}",
		       "linux.resources.devices[0].type: expected a, b or c, got 'x'");
	expect_problem("linux.resources", "{\"devices\":[{\"allow\":true,\"major\":4294967296}]}",
		       "linux.resources.devices[0]: major or minor out of range");
	expect_problem("linux.resources", "{\"network\":{\"priorities\":[{\"name\":\"eth0\"}]}}",
		       "linux.resources.network.priorities[0]: expected name and priority");
	expect_problem("annotations", "{\"a\":1}", "annotations.a: expected a string");
	expect_problem("hooks", "{\"prestart\":[{\"path\":\"rel\"}]}",
		       "hooks.prestart[0].path: 'rel'");
}
END_TEST

/* What oci-run create refuses, validation refuses too (both run oci_spec_validate): the
 * runtime's seccomp parser, personality, kernel limits, cgroup values, sysctl scope. */
START_TEST(test_validate_as_runtime)
{
	expect_problem("linux.seccomp", "{\"defaultAction\":\"SCMP_ACT_FOO\"}",
		       "linux.seccomp.defaultAction: unknown action 'SCMP_ACT_FOO'");
	expect_problem("linux.seccomp",
		       "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"x86_64\"]}",
		       "linux.seccomp.architectures[0]: unknown architecture 'x86_64'");
	expect_problem("linux.seccomp",
		       "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
		       "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":99,\"value\":1,\"op\":"
		       "\"SCMP_CMP_EQ\"}]}]}",
		       "linux.seccomp.syscalls[0].args[0].index: 99 out of range (0 to 5)");
	expect_problem("linux.seccomp",
		       "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
		       "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		       "linux.seccomp.listenerPath: missing");
	expect_problem("linux.personality", "{\"domain\":\"LINUX99\"}",
		       "linux.personality.domain: unknown domain");
	expect_problem("linux.personality", "{}", "linux.personality.domain: missing");
	char big[10020];
	snprintf(big, sizeof(big), "\"%0*d\"", 10000, 0);
	expect_problem("hostname", big, "hostname: 10000 bytes, longer than the kernel takes (64)");
	expect_problem("domainname", big, "domainname: 10000 bytes");
	char opts[5100];
	snprintf(opts, sizeof(opts), "[\"nosuid\",\"size=%0*d\"]", 5000, 1);
	char mounts[5200];
	snprintf(mounts, sizeof(mounts),
		 "[{\"destination\":\"/x\",\"type\":\"tmpfs\",\"options\":%s}]", opts);
	expect_problem("mounts", mounts,
		       "mounts[0].options: 5012 bytes together, more than a mount takes (4095)");
	expect_problem("linux.cgroupsPath", "\"/a/../../b\"",
		       "linux.cgroupsPath: '..' not allowed");
	expect_problem("linux.cgroupsPath", "\"..\"", "linux.cgroupsPath: '..' not allowed");
	expect_problem("linux.cgroupsPath", "\"system.slice:..:x\"",
		       "linux.cgroupsPath: '..' not allowed");
	expect_problem("linux.resources", "{\"memory\":{\"limit\":-5}}",
		       "linux.resources.memory.limit: -5 is negative (-1 means unlimited)");
	expect_problem("linux.resources", "{\"memory\":{\"swap\":-2}}",
		       "linux.resources.memory.swap: -2");
	expect_problem("linux.resources", "{\"cpu\":{\"cpus\":\"0-999999\"}}",
		       "linux.resources.cpu.cpus: '0-999999': CPU 999999 does not exist");
	expect_problem("linux.resources", "{\"cpu\":{\"cpus\":\"0,,1\"}}",
		       "linux.resources.cpu.cpus: '0,,1' is not a list");
	expect_problem("linux.resources", "{\"cpu\":{\"cpus\":\"3-1\"}}",
		       "linux.resources.cpu.cpus: '3-1': range 3-1 goes down");
	expect_problem("linux.resources", "{\"cpu\":{\"mems\":\"0-\"}}",
		       "linux.resources.cpu.mems: '0-' is not a list");
	expect_problem("linux.resources", "{\"cpu\":{\"mems\":\"5000\"}}",
		       "linux.resources.cpu.mems: '5000': memory node 5000");
	/* sysctl: the key's shape, then its namespace */
	expect_problem("linux.sysctl", "{\"kernel..msgmax\":\"1\"}",
		       "linux.sysctl.kernel..msgmax: invalid key");
	expect_problem("linux.sysctl", "{\"net/../kernel.core_pattern\":\"1\"}",
		       "linux.sysctl.net/../kernel.core_pattern: invalid key");
	expect_problem("linux.sysctl", "{\".net.x\":\"1\"}", "linux.sysctl..net.x: invalid key");
	expect_problem("linux.sysctl", "{\"net.x.\":\"1\"}", "linux.sysctl.net.x.: invalid key");
	expect_problem("linux.sysctl", "{\"\":\"1\"}", "linux.sysctl.: key must be 1 to 255 bytes");
	expect_problem("linux.sysctl", "{\"kernel.core_pattern\":\"|/tmp/x %p\"}",
		       "linux.sysctl.kernel.core_pattern: not a namespaced sysctl");
	expect_problem("linux.sysctl", "{\"kernel.msgmax\":1}",
		       "linux.sysctl.kernel.msgmax: expected a string");
	expect_problem("linux.sysctl", "{\"vm.overcommit_memory\":\"1\"}",
		       "linux.sysctl.vm.overcommit_memory: not a namespaced");
	expect_problem("linux.sysctl", "{\"kernel.msgmaxx\":\"1\"}",
		       "linux.sysctl.kernel.msgmaxx: not a namespaced");
}
END_TEST

/* A spec with only the given namespaces and sysctls, checked for problems. */
static json_t *sysctl_problems(const char *namespaces, const char *sysctl)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *s = oci_spec_default(false, &err);
	json_t *l = json_object_get(s, "linux");
	json_object_set_new(l, "namespaces", parse(namespaces));
	json_object_set_new(l, "sysctl", parse(sysctl));
	json_object_del(s, "hostname");
	json_t *p = problems_of(s, -1);
	json_decref(s);
	return p;
}

START_TEST(test_validate_sysctl_scope)
{
	char own_net[64], own_ipc[64];
	snprintf(own_net, sizeof(own_net), "/proc/%d/ns/net", (int)getpid());
	snprintf(own_ipc, sizeof(own_ipc), "/proc/%d/ns/ipc", (int)getpid());
	static const struct {
		const char *ns, *sysctl, *problem; /* NULL: valid */
	} cases[] = {
	    {"[{\"type\":\"ipc\"}]",
	     "{\"kernel.msgmax\":\"1\",\"kernel.sem\":\"1 2 3 4\",\"fs.mqueue.msg_max\":\"9\"}",
	     NULL},
	    {"[{\"type\":\"network\"}]", "{\"kernel.shm_rmid_forced\":\"1\"}",
	     "linux.sysctl.kernel.shm_rmid_forced: needs its own ipc namespace"},
	    {"[{\"type\":\"network\"}]", "{\"fs.mqueue.queues_max\":\"1\"}",
	     "linux.sysctl.fs.mqueue.queues_max: needs its own ipc"},
	    {"[{\"type\":\"network\"}]", "{\"net.ipv4.ip_forward\":\"1\"}", NULL},
	    {"[{\"type\":\"ipc\"}]", "{\"net.ipv4.ip_forward\":\"1\"}",
	     "linux.sysctl.net.ipv4.ip_forward: needs its own network namespace"},
	    {"[{\"type\":\"uts\"}]", "{\"kernel.domainname\":\"a\",\"kernel.hostname\":\"b\"}",
	     NULL},
	    {"[{\"type\":\"ipc\"}]", "{\"kernel.hostname\":\"b\"}",
	     "linux.sysctl.kernel.hostname: needs its own uts"},
	    {"[{\"type\":\"network\",\"path\":\"/no/such/ns\"}]", "{\"net.core.somaxconn\":\"1\"}",
	     "linux.sysctl.net.core.somaxconn: cannot check the network namespace '/no/such/ns'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *p = sysctl_problems(cases[i].ns, cases[i].sysctl);
		char *dump = json_dumps(p, 0);
		if (cases[i].problem)
			ck_assert_msg(json_array_size(p) == 1 && has_problem(p, cases[i].problem),
				      "case %zu: %s", i, dump);
		else
			ck_assert_msg(json_array_size(p) == 0, "case %zu: %s", i, dump);
		free(dump);
		json_decref(p);
	}
	/* joining the caller's own namespace is joining the host's */
	char ns[128];
	snprintf(ns, sizeof(ns), "[{\"type\":\"network\",\"path\":\"%s\"}]", own_net);
	json_t *p = sysctl_problems(ns, "{\"net.core.somaxconn\":\"1\"}");
	ck_assert(has_problem(p, "linux.sysctl.net.core.somaxconn: the network namespace '/proc/"));
	json_decref(p);
	snprintf(ns, sizeof(ns), "[{\"type\":\"ipc\",\"path\":\"%s\"}]", own_ipc);
	p = sysctl_problems(ns, "{\"kernel.msgmax\":\"1\"}");
	ck_assert(has_problem(p, "linux.sysctl.kernel.msgmax: the ipc namespace '/proc/"));
	json_decref(p);
	/* the runtime's own check (inside the container) does not look at paths */
	oci_error err = OCI_ERROR_INIT;
	json_t *s = parse("{\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"/x\"}]}}");
	json_t *probs = json_array();
	oci_config cfg;
	ck_assert_int_gt(oci_config_load(s, -1, &cfg, probs, &err), 0); /* no root, no version */
	ck_assert_int_eq(oci_spec_sysctl_check(&cfg, "net.ipv4.ip_forward", false, &err), 0);
	ck_assert_int_eq(oci_spec_sysctl_check(&cfg, "kernel.core_pattern", false, &err), -1);
	oci_config_release(&cfg);
	json_decref(probs);
	json_decref(s);
}
END_TEST

START_TEST(test_validate_bounds)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *s = oci_spec_default(false, &err);
	json_t *user = json_object_get(json_object_get(s, "process"), "user");
	/* NGROUPS_MAX gids pass, one more is one problem (not one per gid) */
	json_t *gids = json_array();
	for (int i = 0; i < 65536; i++)
		json_array_append_new(gids, json_integer(i));
	json_object_set_new(user, "additionalGids", gids);
	json_t *p = problems_of(s, -1);
	ck_assert_uint_eq(json_array_size(p), 0);
	json_decref(p);
	json_array_append_new(gids, json_integer(1));
	p = problems_of(s, -1);
	ck_assert_uint_eq(json_array_size(p), 1);
	ck_assert(has_problem(
	    p, "process.user.additionalGids: 65537 groups, more than the kernel's limit of 65536"));
	json_decref(p);
	/* the valid edges */
	json_object_del(user, "additionalGids");
	json_object_set_new(
	    s, "hostname",
	    json_string("0123456789012345678901234567890123456789012345678901234567890123"));
	json_object_set_new(
	    json_object_get(s, "linux"), "resources",
	    parse(
		"{\"memory\":{\"limit\":-1,\"swap\":-1},\"cpu\":{\"cpus\":\"0\",\"mems\":\"0\"}}"));
	json_object_set_new(json_object_get(s, "linux"), "cgroupsPath",
			    json_string("/a..b/..c/d.."));
	json_object_set_new(json_object_get(s, "linux"), "personality",
			    parse("{\"domain\":\"LINUX32\",\"flags\":[]}"));
	p = problems_of(s, -1);
	char *dump = json_dumps(p, 0);
	ck_assert_msg(json_array_size(p) == 0, "%s", dump);
	free(dump);
	json_decref(p);
	/* a flood of problems is listed up to a bound, and counted in full */
	json_t *args = json_array();
	for (int i = 0; i < 5000; i++)
		json_array_append_new(args, json_integer(i));
	json_object_set_new(json_object_get(s, "process"), "args", args);
	json_t *probs = json_array();
	ck_assert_int_eq(oci_spec_validate(s, -1, probs, &err), 5000);
	ck_assert_uint_eq(json_array_size(probs), 101);
	ck_assert_str_eq(str_at(probs, 100), "(4900 more problems not listed)");
	json_decref(probs);
	json_decref(s);
}
END_TEST

START_TEST(test_validate_rootfs_and_all)
{
	oci_error err = OCI_ERROR_INIT;
	char dir[] = "/tmp/test_spec.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	int fd = open(dir, O_PATH | O_DIRECTORY);
	json_t *s = oci_spec_default(false, &err);
	json_t *p = problems_of(s, fd);
	ck_assert_uint_eq(json_array_size(p), 1);
	ck_assert_msg(has_problem(p, "root.path: 'rootfs': No such file"), "%s", str_at(p, 0));
	json_decref(p);
	char sub[64];
	snprintf(sub, sizeof(sub), "%s/rootfs", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	p = problems_of(s, fd);
	ck_assert_uint_eq(json_array_size(p), 0);
	json_decref(p);
	/* every problem is reported, not just the first */
	json_object_set_new(json_object_get(s, "process"), "cwd", json_string("x"));
	json_object_set_new(json_object_get(s, "process"), "terminal", json_string("x"));
	json_object_set_new(s, "annotations", json_string("x"));
	p = problems_of(s, fd);
	ck_assert_uint_eq(json_array_size(p), 3);
	json_decref(p);
	/* not an object at all */
	json_t *arr = json_array();
	p = problems_of(arr, fd);
	ck_assert(has_problem(p, "(root): expected an object"));
	json_decref(p);
	json_decref(arr);
	json_decref(s);
	rmdir(sub);
	rmdir(dir);
	close(fd);
}
END_TEST

static Suite *spec_suite(void)
{
	Suite *s = suite_create("spec");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_default);
	tcase_add_test(tc, test_default_rootless);
	tcase_add_test(tc, test_image_args);
	tcase_add_test(tc, test_image_env_cwd_user);
	tcase_add_test(tc, test_image_annotations_volumes);
	tcase_add_test(tc, test_helpers);
	tcase_add_test(tc, test_validate_classes);
	tcase_add_test(tc, test_validate_rootfs_and_all);
	tcase_add_test(tc, test_validate_as_runtime);
	tcase_add_test(tc, test_validate_sysctl_scope);
	tcase_add_test(tc, test_validate_bounds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(spec_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
