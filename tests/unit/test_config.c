/* Unit tests for common/config.h: the typed model that the validation walk fills (every field
 * of a full config.json read back from the model), the same problem strings as
 * oci_spec_validate for bad fields, exec's process and the state's hooks through the same
 * checkers, and linux.resources typed by the walk validation runs. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include "common/config.h"
#include "common/spec.h"
#include "common/spec_seccomp.h"
#include "common/util.h"

static json_t *parse(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, JSON_DECODE_ANY, &e);
	ck_assert_msg(j != NULL, "bad test JSON: %s", e.text);
	return j;
}

/* A config touching every typed field (root.path absolute: "/" exists). */
static const char *const full =
    "{\"ociVersion\": \"1.2.0\","
    " \"root\": {\"path\": \"/\", \"readonly\": true},"
    " \"hostname\": \"box\", \"domainname\": \"example.org\","
    " \"process\": {\"terminal\": true, \"consoleSize\": {\"height\": 25, \"width\": 80},"
    "   \"user\": {\"uid\": 1000, \"gid\": 100, \"umask\": 18, \"additionalGids\": [5, 6],"
    "              \"username\": \"me\"},"
    "   \"args\": [\"sh\", \"-c\", \"true\"], \"env\": [\"PATH=/bin\", \"A=b=c\"],"
    "   \"cwd\": \"/work\","
    "   \"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_CHOWN\"],"
    "                      \"ambient\": [\"CAP_KILL\"]},"
    "   \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": 4096}],"
    "   \"noNewPrivileges\": true, \"apparmorProfile\": \"prof\","
    "   \"selinuxLabel\": \"lab\", \"oomScoreAdj\": -500},"
    " \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
    "   {\"destination\": \"/tmp\", \"type\": \"tmpfs\", \"options\": [\"nosuid\", "
    "\"mode=1777\"]}],"
    " \"hooks\": {\"prestart\": [{\"path\": \"/bin/a\", \"args\": [\"a\", \"1\"],"
    "                             \"env\": [\"X=1\"], \"timeout\": 5}],"
    "             \"poststop\": [{\"path\": \"/bin/b\"}, {\"path\": \"/bin/c\"}]},"
    " \"annotations\": {\"org.example\": \"v\"},"
    " \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mount\"},"
    "     {\"type\": \"user\"}, {\"type\": \"uts\"}, {\"type\": \"ipc\"},"
    "     {\"type\": \"network\", \"path\": \"/var/run/netns/x\"}, {\"type\": \"time\"}],"
    "   \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],"
    "   \"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, \"size\": 65536}],"
    "   \"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229,"
    "                  \"fileMode\": 438, \"uid\": 0}],"
    "   \"cgroupsPath\": \"/ocitest/x\","
    "   \"resources\": {\"memory\": {\"limit\": 1048576}, \"pids\": {\"limit\": 5},"
    "                   \"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},"
    "   \"sysctl\": {\"kernel.msgmax\": \"8192\"},"
    "   \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\"},"
    "   \"rootfsPropagation\": \"rslave\", \"maskedPaths\": [\"/proc/kcore\"],"
    "   \"readonlyPaths\": [\"/proc/sys\", \"/proc/bus\"], \"mountLabel\": \"ml\","
    "   \"personality\": {\"domain\": \"LINUX32\"},"
    "   \"timeOffsets\": {\"monotonic\": {\"secs\": 10, \"nanosecs\": 5}}}}";

START_TEST(test_load_fills_every_field)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *spec = parse(full), *problems = json_array();
	oci_config c;
	int n = oci_config_load(spec, -1, &c, problems, &err);
	char *dump = json_dumps(problems, 0);
	ck_assert_msg(n == 0, "%d problems: %s", n, dump);
	free(dump);
	ck_assert_str_eq(c.oci_version, "1.2.0");
	ck_assert_str_eq(c.root_path, "/");
	ck_assert(c.root_readonly);
	ck_assert_str_eq(c.hostname, "box");
	ck_assert_str_eq(c.domainname, "example.org");

	const oci_process *p = &c.process;
	ck_assert(c.has_process);
	ck_assert(p->terminal && p->has_console_size);
	ck_assert_uint_eq(p->console_height, 25);
	ck_assert_uint_eq(p->console_width, 80);
	ck_assert_uint_eq(p->user.uid, 1000);
	ck_assert_uint_eq(p->user.gid, 100);
	ck_assert(p->user.has_umask);
	ck_assert_uint_eq(p->user.umask, 18);
	ck_assert_uint_eq(p->user.n_additional_gids, 2);
	ck_assert_uint_eq(p->user.additional_gids[1], 6);
	ck_assert_str_eq(p->user.username, "me");
	ck_assert_str_eq(p->args[0], "sh");
	ck_assert_str_eq(p->args[2], "true");
	ck_assert_ptr_null(p->args[3]);
	ck_assert_str_eq(oci_config_env_get(p->env, "A"), "b=c");
	ck_assert_str_eq(oci_config_env_get(p->env, "PATH"), "/bin");
	ck_assert_ptr_null(oci_config_env_get(p->env, "PAT"));
	ck_assert_str_eq(p->cwd, "/work");
	ck_assert_str_eq(p->caps[OCI_CAPS_BOUNDING][1], "CAP_CHOWN");
	ck_assert_str_eq(p->caps[OCI_CAPS_AMBIENT][0], "CAP_KILL");
	ck_assert_ptr_null(p->caps[OCI_CAPS_EFFECTIVE]); /* absent: empty */
	ck_assert_uint_eq(p->n_rlimits, 1);
	ck_assert_int_eq(p->rlimits[0].resource, RLIMIT_NOFILE);
	ck_assert_uint_eq(p->rlimits[0].soft, 1024);
	ck_assert_uint_eq(p->rlimits[0].hard, 4096);
	ck_assert(p->no_new_privileges);
	ck_assert_str_eq(p->apparmor_profile, "prof");
	ck_assert_str_eq(p->selinux_label, "lab");
	ck_assert(p->has_oom_score_adj);
	ck_assert_int_eq(p->oom_score_adj, -500);

	ck_assert_uint_eq(c.n_mounts, 2);
	ck_assert_str_eq(c.mounts[0].destination, "/proc");
	ck_assert_str_eq(c.mounts[0].type, "proc");
	ck_assert_ptr_null(c.mounts[0].options);
	ck_assert_ptr_null(c.mounts[1].source);
	ck_assert_str_eq(c.mounts[1].options[1], "mode=1777");

	ck_assert_uint_eq(c.hooks.n[0], 1); /* prestart */
	ck_assert_str_eq(c.hooks.list[0][0].path, "/bin/a");
	ck_assert_str_eq(c.hooks.list[0][0].args[1], "1");
	ck_assert_str_eq(c.hooks.list[0][0].env[0], "X=1");
	ck_assert_int_eq(c.hooks.list[0][0].timeout, 5);
	ck_assert_uint_eq(c.hooks.n[5], 2); /* poststop */
	ck_assert_str_eq(c.hooks.list[5][1].path, "/bin/c");
	ck_assert_int_eq(c.hooks.list[5][1].timeout, 0);
	ck_assert_uint_eq(c.n_annotations, 1);
	ck_assert_str_eq(c.annotations[0].key, "org.example");
	ck_assert_str_eq(c.annotations[0].value, "v");

	const oci_config_linux *l = &c.linux_;
	ck_assert(c.has_linux);
	ck_assert_uint_eq(l->n_namespaces, 7);
	ck_assert_int_eq(l->namespaces[0].kind->flag, CLONE_NEWPID);
	ck_assert_ptr_null(l->namespaces[0].path);
	const oci_config_namespace *net = oci_config_find_namespace(&c, "network");
	ck_assert_ptr_nonnull(net);
	ck_assert_str_eq(net->path, "/var/run/netns/x");
	ck_assert_ptr_null(oci_config_find_namespace(&c, "cgroup"));
	ck_assert_uint_eq(l->n_uid_mappings, 1);
	ck_assert_uint_eq(l->uid_mappings[0].host_id, 100000);
	ck_assert_uint_eq(l->gid_mappings[0].host_id, 200000);
	ck_assert_uint_eq(l->gid_mappings[0].size, 65536);
	ck_assert_uint_eq(l->n_devices, 1);
	ck_assert_str_eq(l->devices[0].path, "/dev/fuse");
	ck_assert_int_eq(l->devices[0].type, 'c');
	ck_assert_int_eq(l->devices[0].minor, 229);
	ck_assert(l->devices[0].has_file_mode && l->devices[0].has_uid && !l->devices[0].has_gid);
	ck_assert_uint_eq(l->devices[0].file_mode, 438);
	ck_assert_str_eq(l->cgroups_path, "/ocitest/x");
	ck_assert(l->resources.memory.limit.set);
	ck_assert_int_eq(l->resources.memory.limit.v, 1048576);
	ck_assert_int_eq(l->resources.pids.limit.v, 5);
	ck_assert_uint_eq(l->resources.n_devices, 1);
	ck_assert(!l->resources.devices[0].allow);
	ck_assert_int_eq(l->resources.devices[0].type, 'a');
	ck_assert_uint_eq(l->n_sysctl, 1);
	ck_assert_str_eq(l->sysctl[0].key, "kernel.msgmax");
	ck_assert_str_eq(l->sysctl[0].value, "8192");
	ck_assert_uint_eq(l->seccomp->default_action, SCMP_ACT_ALLOW);
	ck_assert_str_eq(l->rootfs_propagation, "rslave");
	ck_assert_str_eq(l->masked_paths[0], "/proc/kcore");
	ck_assert_str_eq(l->readonly_paths[1], "/proc/bus");
	ck_assert_str_eq(l->mount_label, "ml");
	ck_assert(l->has_personality);
	ck_assert_uint_eq(l->personality, PER_LINUX32);
	ck_assert(l->has_time_offsets);
	ck_assert_uint_eq(l->n_time_offsets, 1);
	ck_assert_str_eq(l->time_offsets[0].clock, "monotonic");
	ck_assert_int_eq(l->time_offsets[0].secs, 10);
	ck_assert_int_eq(l->time_offsets[0].nanosecs, 5);

	/* the model owns its strings: the JSON can go first */
	json_decref(spec);
	ck_assert_str_eq(c.process.args[1], "-c");
	oci_config_release(&c);
	ck_assert_ptr_null(c.process.args);
	oci_config_release(&c); /* twice is harmless */
	json_decref(problems);
}
END_TEST

/* The loader's problems are oci_spec_validate's, string for string. */
static void same_problems(const char *edit_key, const char *value, const char *expect)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *spec = parse(full);
	json_t *obj = spec;
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", edit_key);
	char *dot;
	char *key = buf;
	while ((dot = strchr(key, '.'))) {
		*dot = '\0';
		obj = json_object_get(obj, key);
		ck_assert_ptr_nonnull(obj);
		key = dot + 1;
	}
	json_object_set_new(obj, key, parse(value));
	json_t *a = json_array(), *b = json_array();
	oci_config c;
	int n = oci_config_load(spec, -1, &c, a, &err);
	oci_config_release(&c);
	ck_assert_int_eq(oci_spec_validate(spec, -1, b, &err), n);
	ck_assert(json_equal(a, b));
	char *dump = json_dumps(a, 0);
	ck_assert_msg(n >= 1 && strstr(dump, expect), "%s=%s: expected '%s' in %s", edit_key, value,
		      expect, dump);
	free(dump);
	json_decref(a);
	json_decref(b);
	json_decref(spec);
}

START_TEST(test_bad_fields_same_problems)
{
	same_problems("process.user.uid", "-1", "process.user.uid: expected an integer from 0");
	same_problems("process.args", "[]", "process.args: must not be empty");
	same_problems("process.env", "[\"NOEQUALS\"]",
		      "process.env[0]: 'NOEQUALS' is not KEY=VALUE");
	same_problems("process.cwd", "\"rel\"", "process.cwd: 'rel' is not an absolute path");
	same_problems("process.rlimits",
		      "[{\"type\":\"RLIMIT_NOFILE\",\"soft\":9,\"hard\":1},"
		      "{\"type\":\"RLIMIT_FLY\",\"soft\":1,\"hard\":1}]",
		      "process.rlimits[0]: soft limit above the hard limit");
	same_problems("process.rlimits", "[{\"type\":\"RLIMIT_FLY\",\"soft\":1,\"hard\":1}]",
		      "process.rlimits[0]: unknown rlimit type 'RLIMIT_FLY'");
	same_problems("process.capabilities", "{\"ambient\":[\"CAP_FLY\"]}",
		      "process.capabilities.ambient[0]: unknown capability 'CAP_FLY'");
	same_problems("process.oomScoreAdj", "2000", "process.oomScoreAdj: must be between");
	same_problems("mounts", "[{\"destination\":\"x\"}]", "mounts[0].destination: 'x'");
	same_problems("hooks", "{\"poststart\":[{\"path\":\"/x\",\"timeout\":0}]}",
		      "hooks.poststart[0]: timeout must be greater than zero");
	same_problems("linux.namespaces", "[{\"type\":\"pid\"},{\"type\":\"pid\"}]",
		      "linux.namespaces[1]: namespace 'pid' given twice");
	same_problems("linux.uidMappings", "[{\"containerID\":0,\"hostID\":1,\"size\":0}]",
		      "linux.uidMappings[0]: size must not be zero");
	same_problems("linux.uidMappings", "[{\"containerID\":5000,\"hostID\":1,\"size\":1}]",
		      "process.user.uid: 1000 is not mapped by linux.uidMappings");
	same_problems("linux.devices", "[{\"path\":\"/dev/x\",\"type\":\"q\"}]",
		      "linux.devices[0]: device type 'q' is not c, b, u or p");
	same_problems("linux.sysctl", "{\"kernel.core_pattern\":\"|/x\"}",
		      "linux.sysctl.kernel.core_pattern: not a namespaced sysctl");
	same_problems("linux.personality", "{\"domain\":\"LINUX99\"}",
		      "linux.personality.domain: unknown domain 'LINUX99'");
	same_problems("linux.timeOffsets", "{\"realtime\":{\"secs\":1}}",
		      "linux.timeOffsets.realtime: unknown clock (monotonic or boottime)");
	same_problems("linux.timeOffsets", "{\"boottime\":{\"nanosecs\":1000000000}}",
		      "linux.timeOffsets.boottime: secs must be an integer, nanosecs in");
	same_problems("linux.resources", "{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}",
		      "linux.resources.devices[0].type: expected a, b or c, got 'x'");
	/* runtime-spec 1.3: pids.limit is optional; a wrong type is still named */
	same_problems("linux.resources", "{\"pids\":{\"limit\":\"5\"}}",
		      "linux.resources.pids.limit: expected an integer");
	same_problems("linux.seccomp", "{\"defaultAction\":\"SCMP_ACT_FOO\"}",
		      "linux.seccomp.defaultAction");
	same_problems("annotations", "{\"a\":1}", "annotations.a: expected a string");
}
END_TEST

/* A hostile config: the walk stays bounded and the partial model is freed (ASan). */
START_TEST(test_many_problems_bounded)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *spec = parse(full);
	json_t *env = json_array();
	for (int i = 0; i < 3000; i++)
		json_array_append_new(env, json_string("bad"));
	json_object_set_new(json_object_get(spec, "process"), "env", env);
	json_t *a = json_array();
	oci_config c;
	ck_assert_int_eq(oci_config_load(spec, -1, &c, a, &err), 3000);
	ck_assert_uint_eq(json_array_size(a), 101); /* 100 listed and the count of the rest */
	ck_assert_str_eq(json_string_value(json_array_get(a, 100)),
			 "(2900 more problems not listed)");
	oci_config_release(&c);
	json_decref(a);
	/* not an object at all */
	json_t *arr = parse("[1]");
	a = json_array();
	ck_assert_int_eq(oci_config_load(arr, -1, &c, a, &err), 1);
	ck_assert_str_eq(json_string_value(json_array_get(a, 0)), "(root): expected an object");
	oci_config_release(&c);
	json_decref(a);
	json_decref(arr);
	json_decref(spec);
}
END_TEST

START_TEST(test_process_and_hooks_alone)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *a = json_array();
	oci_process p;
	json_t *pj = parse("{\"args\":[\"ls\"],\"cwd\":\"/\",\"user\":{\"uid\":1,\"gid\":2},"
			   "\"terminal\":false,\"env\":[\"HOME=/root\"]}");
	ck_assert_int_eq(oci_config_load_process(pj, &p, a, &err), 0);
	ck_assert_str_eq(p.args[0], "ls");
	ck_assert_uint_eq(p.user.gid, 2);
	ck_assert(!p.user.has_umask);
	ck_assert_str_eq(oci_config_env_get(p.env, "HOME"), "/root");
	oci_config_process_release(&p);
	json_decref(pj);
	/* exec's process, checked like config.json's */
	pj = parse("{\"args\":[],\"cwd\":\"tmp\",\"user\":{\"uid\":1}}");
	ck_assert_int_eq(oci_config_load_process(pj, &p, a, &err), 3);
	ck_assert_str_eq(json_string_value(json_array_get(a, 0)),
			 "process.cwd: 'tmp' is not an absolute path");
	ck_assert_str_eq(json_string_value(json_array_get(a, 1)),
			 "process.args: must not be empty");
	ck_assert_str_eq(json_string_value(json_array_get(a, 2)),
			 "process.user.gid: missing (an integer from 0 to 4294967295 is required)");
	oci_config_process_release(&p);
	json_decref(pj);
	json_array_clear(a);
	pj = parse("[]");
	ck_assert_int_eq(oci_config_load_process(pj, &p, a, &err), 1);
	ck_assert_str_eq(json_string_value(json_array_get(a, 0)), "process: expected an object");
	oci_config_process_release(&p);
	json_decref(pj);
	json_array_clear(a);

	oci_config_hooks h;
	json_t *hj = parse("{\"poststop\":[{\"path\":\"/bin/true\",\"args\":[\"true\"]}]}");
	ck_assert_int_eq(oci_config_load_hooks(hj, &h, a, &err), 0);
	ck_assert_uint_eq(h.n[5], 1);
	ck_assert_str_eq(h.list[5][0].args[0], "true");
	oci_config_hooks_release(&h);
	json_decref(hj);
	hj = parse("{\"poststart\":[{\"path\":\"rel\"}]}");
	ck_assert_int_eq(oci_config_load_hooks(hj, &h, a, &err), 1);
	ck_assert_str_eq(json_string_value(json_array_get(a, 0)),
			 "hooks.poststart[0].path: 'rel' is not an absolute path");
	oci_config_hooks_release(&h);
	json_decref(hj);
	ck_assert_int_eq(oci_config_load_hooks(NULL, &h, a, &err), 0);
	json_decref(a);
}
END_TEST

/* linux.resources: update's parser is validation's walk stopping at the first problem. */
START_TEST(test_resources_one_walk)
{
	oci_error err = OCI_ERROR_INIT;
	oci_resources r;
	json_t *j = parse("{\"cpu\":{\"cpus\":\"3-1\"}}");
	ck_assert_int_eq(oci_resources_parse(j, &r, &err), -1);
	ck_assert_str_eq(err.msg, "linux.resources.cpu.cpus: '3-1': range 3-1 goes down");
	json_decref(j);
	j = parse("{\"memory\":{\"limit\":-2}}");
	ck_assert_int_eq(oci_resources_parse(j, &r, &err), -1);
	ck_assert_str_eq(err.msg,
			 "linux.resources.memory.limit: -2 is negative (-1 means unlimited)");
	json_decref(j);
	j = parse("{\"memory\":{\"limit\":-1,\"swappiness\":null},\"cpu\":{\"cpus\":\"0\"},"
		  "\"devices\":[{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,"
		  "\"access\":\"rw\"}],\"unified\":{\"memory.high\":\"max\"},"
		  "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":0}]}");
	ck_assert_int_eq(oci_resources_parse(j, &r, &err), 0);
	ck_assert(r.memory.limit.set && r.memory.limit.v == -1);
	ck_assert(!r.memory.swappiness.set);
	ck_assert_str_eq(r.cpu.cpus, "0");
	ck_assert_int_eq(r.devices[0].major, 1);
	ck_assert_uint_eq(r.devices[0].access, OCI_DEV_R | OCI_DEV_W);
	ck_assert_str_eq(r.unified[0].value, "max");
	ck_assert_str_eq(r.hugepages[0].page_size, "2MB");
	oci_resources_release(&r);
	json_decref(j);
}
END_TEST

START_TEST(test_memory_policy_typed)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *spec = parse("{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"/\"},"
			     " \"linux\": {\"memoryPolicy\": {\"mode\": \"MPOL_INTERLEAVE\","
			     " \"nodes\": \" 0-2 ,, 64,1023\","
			     " \"flags\": [\"MPOL_F_STATIC_NODES\"]}}}"),
	       *problems = json_array();
	oci_config c;
	ck_assert_int_eq(oci_config_load(spec, -1, &c, problems, &err), 0);
	ck_assert(c.linux_.has_memory_policy);
	const oci_config_mempolicy *p = &c.linux_.memory_policy;
	ck_assert_uint_eq(p->mode, 3);
	ck_assert_uint_eq(p->flags, 1u << 15);
	ck_assert_str_eq(p->mode_name, "MPOL_INTERLEAVE");
	ck_assert_uint_eq(p->n_nodes, 5);
	ck_assert_uint_eq(p->nodes[0], 7);
	ck_assert_uint_eq(p->nodes[1], 1);
	ck_assert_uint_eq(p->nodes[15], 1ul << 63);
	oci_config_release(&c);
	json_decref(spec);
	json_decref(problems);
}
END_TEST

START_TEST(test_id_list_bounds)
{
	oci_error err = OCI_ERROR_INIT;
	unsigned long mask[1024 / (8 * sizeof(unsigned long))];
	size_t n;
	/* saturating, never wrapping: 2^64 + 1 would be 1 */
	ck_assert_int_eq(oci_spec_id_list("18446744073709551617", 1023, true, mask, &n, &err), -1);
	ck_assert_str_eq(err.msg, "'18446744073709551617': 18446744073709551617 is above 1023");
	ck_assert_int_eq(oci_spec_id_list("0-4294967296", 1023, true, mask, &n, &err), -1);
	ck_assert_int_eq(oci_spec_id_list("0,1023", 1023, false, mask, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(oci_spec_id_list("0,1024", 1023, false, mask, &n, &err), -1);
	/* the kernel's syntax only, unless loose */
	ck_assert_int_eq(oci_spec_id_list("0, 1", 1023, false, mask, &n, &err), -1);
	ck_assert_int_eq(oci_spec_id_list("0,,1", 1023, false, mask, &n, &err), -1);
	ck_assert_str_eq(err.msg, "an empty item");
	ck_assert_int_eq(oci_spec_id_list("0,,1", 1023, true, mask, &n, &err), 0);
	ck_assert_int_eq(oci_spec_id_list("1-1,1", 1023, true, mask, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(oci_spec_id_list("+1", 1023, true, mask, &n, &err), -1);
	ck_assert_int_eq(oci_spec_id_list("1-2-3", 1023, true, mask, &n, &err), -1);
	ck_assert_int_eq(oci_spec_id_list(" , ", 1023, true, mask, &n, &err), -1);
	ck_assert_str_eq(err.msg, "no id in the list");
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_load_fills_every_field);
	tcase_add_test(tc, test_bad_fields_same_problems);
	tcase_add_test(tc, test_many_problems_bounded);
	tcase_add_test(tc, test_process_and_hooks_alone);
	tcase_add_test(tc, test_resources_one_walk);
	tcase_add_test(tc, test_memory_policy_typed);
	tcase_add_test(tc, test_id_list_bounds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
