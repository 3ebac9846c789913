/* Unit tests for bundle/edit.c: the --mount, --tmpfs and --cpus parsers, and the edits
 * `oci-bundle spec` / `edit` apply to a config.json (each flag changes its keys, everything
 * else stays, a mount over an existing destination replaces it in place). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/edit.h"
#include "common/json.h"

static json_t *load(const char *s)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *j =
	    oci_json_loadb(s, strlen(s), OCI_JSON_MAX_SIZE, OCI_JSON_MAX_DEPTH, "test", &err);
	ck_assert_msg(j != NULL, "%s", err.msg);
	return j;
}

/* j must equal the JSON text want (key order does not matter). */
static void assert_json(json_t *j, const char *want)
{
	json_t *w = load(want);
	char *got = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	ck_assert_msg(json_equal(j, w), "got %s\nwant %s", got, want);
	free(got);
	json_decref(w);
}

/* Parse one --mount and compare it. */
static void mount_is(const char *arg, const char *want)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *m = oci_bundle_parse_mount(arg, &err);
	ck_assert_msg(m != NULL, "%s: %s", arg, err.msg);
	assert_json(m, want);
	json_decref(m);
}

static void mount_fails(const char *arg, const char *msg)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *m = oci_bundle_parse_mount(arg, &err);
	ck_assert_msg(m == NULL, "'%s' accepted", arg);
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	ck_assert_str_eq(err.msg, msg);
}

START_TEST(test_parse_mount)
{
	/* Docker's binds are recursive: rbind comes first unless bind or rbind is given. */
	mount_is("type=bind,src=/srv/data,dst=/data,options=ro,nosuid",
		 "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/srv/data\","
		 "\"options\":[\"rbind\",\"ro\",\"nosuid\"]}");
	mount_is("type=bind,src=/a,dst=/b,options=bind,ro",
		 "{\"destination\":\"/b\",\"type\":\"bind\",\"source\":\"/a\","
		 "\"options\":[\"bind\",\"ro\"]}");
	mount_is("src=/a,dst=/b,options=rbind",
		 "{\"destination\":\"/b\",\"type\":\"bind\",\"source\":\"/a\","
		 "\"options\":[\"rbind\"]}");
	/* The long key names, docker's "readonly", bare options before options=. */
	mount_is("source=/a,target=/b,readonly",
		 "{\"destination\":\"/b\",\"type\":\"bind\",\"source\":\"/a\","
		 "\"options\":[\"rbind\",\"ro\"]}");
	mount_is("ro,source=/a,destination=/b,o=nodev",
		 "{\"destination\":\"/b\",\"type\":\"bind\",\"source\":\"/a\","
		 "\"options\":[\"rbind\",\"ro\",\"nodev\"]}");
	/* After options= every token is an option, also one with '=' that looks like a key. */
	mount_is("type=tmpfs,dst=/t,opts=size=1m,mode=700,src=/x",
		 "{\"destination\":\"/t\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
		 "\"options\":[\"size=1m\",\"mode=700\",\"src=/x\"]}");
	/* Not a bind: the source defaults to the type, and no options key when none. */
	mount_is("type=proc,dst=/proc", "{\"destination\":\"/proc\",\"type\":\"proc\","
					"\"source\":\"proc\"}");
	mount_is("type=overlay,source=overlay,dst=/o,options=lowerdir=/l,upperdir=/u",
		 "{\"destination\":\"/o\",\"type\":\"overlay\",\"source\":\"overlay\","
		 "\"options\":[\"lowerdir=/l\",\"upperdir=/u\"]}");
	/* Empty tokens are skipped. */
	mount_is("type=tmpfs,,dst=/t,options=,", "{\"destination\":\"/t\",\"type\":\"tmpfs\","
						 "\"source\":\"tmpfs\"}");

	mount_fails("type=bind,src=/a", "--mount 'type=bind,src=/a': needs dst=PATH");
	mount_fails("type=bind,src=/a,dst=", "--mount 'type=bind,src=/a,dst=': needs dst=PATH");
	mount_fails("src=/a,dst=rel", "--mount: destination 'rel' is not an absolute path");
	mount_fails("type=bind,dst=/x", "--mount 'type=bind,dst=/x': a bind mount needs src=PATH");
	mount_fails("dst=/x", "--mount 'dst=/x': a bind mount needs src=PATH");
	mount_fails("type=bind,src=/a,dst=/b,mode=ro",
		    "--mount 'type=bind,src=/a,dst=/b,mode=ro': unknown key 'mode'");
}
END_TEST

static void tmpfs_is(const char *arg, const char *want)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *m = oci_bundle_parse_tmpfs(arg, &err);
	ck_assert_msg(m != NULL, "%s: %s", arg, err.msg);
	assert_json(m, want);
	json_decref(m);
}

START_TEST(test_parse_tmpfs)
{
	/* docker's defaults first; given options come later and so win. */
	tmpfs_is("/dev/shm",
		 "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
		 "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]}");
	tmpfs_is("/run:size=1m,mode=700",
		 "{\"destination\":\"/run\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
		 "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"size=1m\",\"mode=700\"]}");
	tmpfs_is("/x:exec,,dev", "{\"destination\":\"/x\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
				 "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"exec\",\"dev\"]}");
	tmpfs_is("/y:", "{\"destination\":\"/y\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
			"\"options\":[\"nosuid\",\"noexec\",\"nodev\"]}");
	oci_error err = OCI_ERROR_INIT;
	ck_assert_ptr_null(oci_bundle_parse_tmpfs("rel:size=1m", &err));
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	ck_assert_str_eq(err.msg, "--tmpfs: destination 'rel' is not an absolute path");
	ck_assert_ptr_null(oci_bundle_parse_tmpfs(":size=1m", &err));
	ck_assert_str_eq(err.msg, "--tmpfs: destination '' is not an absolute path");
}
END_TEST

START_TEST(test_parse_cpus)
{
	static const struct {
		const char *s;
		long long quota;
	} good[] = {
	    {"1", 100000},   {"1.5", 150000},	  {"0.5", 50000},  {"2.25", 225000},
	    {"0.01", 1000},  {"3.00001", 300001}, {"16", 1600000}, {"1000000", 100000000000LL},
	    {"007", 700000}, {"1.50000", 150000},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		long long q = 42;
		int r = oci_bundle_parse_cpus(good[i].s, &q);
		ck_assert_msg(r == 0, "'%s' refused", good[i].s);
		ck_assert_msg(q == good[i].quota, "'%s': %lld, want %lld", good[i].s, q,
			      good[i].quota);
	}
	/* Under the kernel's 1ms minimum, more digits than a microsecond, not a decimal. */
	static const char *const bad[] = {
	    "0",	"0.0", "0.00999", "0.00001", "0.000001",
	    "1.000001", "",    ".",	  ".5",	     "1.",
	    "-1",	"+1",  "1e3",	  "1,5",     "1.5 ",
	    " 1",	"abc", "0x10",	  "1000001", "99999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long long q = 42;
		ck_assert_msg(oci_bundle_parse_cpus(bad[i], &q) < 0, "'%s' accepted: %lld", bad[i],
			      q);
		ck_assert_int_eq(q, 42);
	}
}
END_TEST

/* A config with keys of no interest to any edit: they must all survive. */
#define BASE                                                                                       \
	"{\"ociVersion\":\"1.2.0\",\"x-vendor\":{\"keep\":[1,2]},"                                 \
	"\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"         \
	"\"env\":[\"PATH=/bin\",\"TERM=xterm\"],\"cwd\":\"/\","                                    \
	"\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\"],"                             \
	"\"effective\":[\"CAP_KILL\"],\"permitted\":[\"CAP_KILL\"],\"ambient\":[]}},"              \
	"\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"hostname\":\"old\","                   \
	"\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"           \
	"{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","                     \
	"\"options\":[\"size=65536k\"]},"                                                          \
	"{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\"}],"                     \
	"\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":"          \
	"\"mount\"}],"                                                                             \
	"\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"                      \
	"\"maskedPaths\":[\"/proc/kcore\"]}}"

static json_t *apply(const oci_bundle_edits *e, bool skip_process)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *spec = load(BASE);
	ck_assert_msg(oci_bundle_edits_apply(spec, e, -1, skip_process, &err) == 0, "%s", err.msg);
	return spec;
}

static json_t *at(json_t *j, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	char *save = NULL;
	for (char *k = strtok_r(buf, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
		j = json_is_array(j) ? json_array_get(j, (size_t)atoi(k)) : json_object_get(j, k);
	return j;
}

START_TEST(test_no_edits)
{
	oci_bundle_edits e;
	oci_bundle_edits_init(&e);
	ck_assert(oci_bundle_edits_empty(&e));
	json_t *spec = apply(&e, false);
	assert_json(spec, BASE);
	json_decref(spec);
	e.terminal = 0;
	ck_assert(!oci_bundle_edits_empty(&e));
	oci_bundle_edits_init(&e);
	e.cpus = "1";
	ck_assert(!oci_bundle_edits_empty(&e));
	oci_bundle_edits_init(&e);
	oci_bundle_strv_add(&e.tmpfs, "/t", NULL);
	ck_assert(!oci_bundle_edits_empty(&e));
	oci_bundle_edits_release(&e);
}
END_TEST

START_TEST(test_apply_mounts)
{
	oci_bundle_edits e;
	oci_bundle_edits_init(&e);
	oci_bundle_strv_add(&e.mounts, "type=bind,src=/srv/data,dst=/data,options=ro", NULL);
	oci_bundle_strv_add(&e.tmpfs, "/run:size=1m", NULL);
	oci_bundle_strv_add(&e.tmpfs, "/dev/shm", NULL);
	json_t *spec = apply(&e, false);
	/* Appended in order; /dev/shm replaced where it was; the rest untouched. */
	assert_json(json_object_get(spec, "mounts"),
		    "[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
		    "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
		    "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
		    "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\"},"
		    "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/srv/data\","
		    "\"options\":[\"rbind\",\"ro\"]},"
		    "{\"destination\":\"/run\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
		    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"size=1m\"]}]");
	assert_json(json_object_get(spec, "x-vendor"), "{\"keep\":[1,2]}");
	json_decref(spec);
	oci_bundle_edits_release(&e);

	/* A bad --mount fails the whole edit with its message. */
	oci_error err = OCI_ERROR_INIT;
	oci_bundle_edits_init(&e);
	oci_bundle_strv_add(&e.mounts, "type=bind,dst=/x", NULL);
	spec = load(BASE);
	ck_assert_int_lt(oci_bundle_edits_apply(spec, &e, -1, false, &err), 0);
	ck_assert_str_eq(err.msg, "--mount 'type=bind,dst=/x': a bind mount needs src=PATH");
	json_decref(spec);
	oci_bundle_edits_release(&e);
}
END_TEST

START_TEST(test_apply_limits)
{
	oci_bundle_edits e;
	oci_bundle_edits_init(&e);
	e.cpus = "1.5";
	e.memory = "64M";
	e.pids_limit = "50";
	json_t *spec = apply(&e, false);
	assert_json(at(spec, "linux.resources"),
		    "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],"
		    "\"cpu\":{\"quota\":150000,\"period\":100000},"
		    "\"memory\":{\"limit\":67108864},\"pids\":{\"limit\":50}}");
	json_decref(spec);
	e.cpus = e.memory = NULL;
	e.pids_limit = "-1"; /* unlimited */
	spec = apply(&e, false);
	assert_json(at(spec, "linux.resources.pids"), "{\"limit\":-1}");
	ck_assert_ptr_null(at(spec, "linux.resources.cpu"));
	json_decref(spec);

	static const struct {
		const char *cpus, *memory, *pids, *msg;
	} bad[] = {
	    {"0", NULL, NULL, "--cpus '0': expected a number of CPUs such as 1 or 0.5"},
	    {"-1", NULL, NULL, "--cpus '-1': expected a number of CPUs such as 1 or 0.5"},
	    {NULL, "lots", NULL, "--memory 'lots': expected a size such as 512M or 2G"},
	    {NULL, "0", NULL, "--memory '0': expected a size such as 512M or 2G"},
	    {NULL, NULL, "0", "--pids-limit '0': expected a positive number or -1"},
	    {NULL, NULL, "-2", "--pids-limit '-2': expected a positive number or -1"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		oci_error err = OCI_ERROR_INIT;
		e.cpus = bad[i].cpus;
		e.memory = bad[i].memory;
		e.pids_limit = bad[i].pids;
		spec = load(BASE);
		ck_assert_msg(oci_bundle_edits_apply(spec, &e, -1, false, &err) < 0, "case %zu", i);
		ck_assert_int_eq(err.code, OCI_E_INVALID);
		ck_assert_str_eq(err.msg, bad[i].msg);
		json_decref(spec);
	}
}
END_TEST

START_TEST(test_apply_process)
{
	oci_bundle_edits e;
	oci_bundle_edits_init(&e);
	e.terminal = 0;
	e.readonly_rootfs = 0;
	e.cwd = "/work";
	e.user = "1000:100";
	e.args_set = true;
	oci_bundle_strv_add(&e.args, "echo", NULL);
	oci_bundle_strv_add(&e.args, "hi there", NULL);
	oci_bundle_strv_add(&e.env, "TERM=dumb", NULL);
	oci_bundle_strv_add(&e.env, "NEW=1", NULL);
	oci_bundle_strv_add(&e.annotations, "org.example.a=b=c", NULL);
	json_t *spec = apply(&e, false);
	ck_assert(json_is_false(at(spec, "process.terminal")));
	ck_assert(json_is_false(at(spec, "root.readonly")));
	ck_assert_str_eq(json_string_value(at(spec, "process.cwd")), "/work");
	assert_json(at(spec, "process.args"), "[\"echo\",\"hi there\"]");
	/* An existing variable is replaced where it is, a new one appended. */
	assert_json(at(spec, "process.env"), "[\"PATH=/bin\",\"TERM=dumb\",\"NEW=1\"]");
	ck_assert_int_eq(json_integer_value(at(spec, "process.user.uid")), 1000);
	ck_assert_int_eq(json_integer_value(at(spec, "process.user.gid")), 100);
	assert_json(json_object_get(spec, "annotations"), "{\"org.example.a\":\"b=c\"}");
	json_decref(spec);

	/* skip_process: the image already gave args, env, cwd and user; terminal still
	 * applies. */
	spec = apply(&e, true);
	assert_json(at(spec, "process.args"), "[\"sh\"]");
	assert_json(at(spec, "process.env"), "[\"PATH=/bin\",\"TERM=xterm\"]");
	ck_assert_str_eq(json_string_value(at(spec, "process.cwd")), "/");
	ck_assert_int_eq(json_integer_value(at(spec, "process.user.uid")), 0);
	ck_assert(json_is_false(at(spec, "process.terminal")));
	json_decref(spec);
	oci_bundle_edits_release(&e);

	static const struct {
		const char *what, *value, *msg;
	} bad[] = {
	    {"annotation", "=v", "--annotation '=v': expected KEY=VALUE"},
	    {"annotation", "novalue", "--annotation 'novalue': expected KEY=VALUE"},
	    {"cwd", "rel", "--cwd: "},
	    {"env", "NOEQ", "--env: "},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		oci_error err = OCI_ERROR_INIT;
		oci_bundle_edits_init(&e);
		if (!strcmp(bad[i].what, "annotation"))
			oci_bundle_strv_add(&e.annotations, (char *)bad[i].value, NULL);
		else if (!strcmp(bad[i].what, "env"))
			oci_bundle_strv_add(&e.env, (char *)bad[i].value, NULL);
		else
			e.cwd = bad[i].value;
		spec = load(BASE);
		ck_assert_msg(oci_bundle_edits_apply(spec, &e, -1, false, &err) < 0, "case %zu", i);
		ck_assert_msg(!strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)), "%s", err.msg);
		json_decref(spec);
		oci_bundle_edits_release(&e);
	}
}
END_TEST

START_TEST(test_apply_namespaces)
{
	oci_bundle_edits e;
	oci_bundle_edits_init(&e);
	/* A hostname needs a uts namespace: added once. */
	e.hostname = "box";
	e.net = "host";
	json_t *spec = apply(&e, false);
	ck_assert_str_eq(json_string_value(json_object_get(spec, "hostname")), "box");
	assert_json(at(spec, "linux.namespaces"),
		    "[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"uts\"}]");
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_bundle_edits_apply(spec, &e, -1, false, &err), 0);
	assert_json(at(spec, "linux.namespaces"),
		    "[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"uts\"}]");
	json_decref(spec);

	/* --net ns:PATH joins a namespace, replacing the entry in place. */
	e.hostname = NULL;
	e.net = "ns:/run/netns/blue";
	spec = apply(&e, false);
	assert_json(at(spec, "linux.namespaces"),
		    "[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/run/netns/blue\"},"
		    "{\"type\":\"mount\"}]");
	e.net = "none";
	ck_assert_int_eq(oci_bundle_edits_apply(spec, &e, -1, false, &err), 0);
	assert_json(at(spec, "linux.namespaces"),
		    "[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"mount\"}]");
	json_decref(spec);

	static const char *const bad[] = {"bridge", "ns:rel", "ns:", "Host"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.net = bad[i];
		spec = load(BASE);
		ck_assert_msg(oci_bundle_edits_apply(spec, &e, -1, false, &err) < 0, "'%s'",
			      bad[i]);
		char want[128];
		snprintf(want, sizeof(want), "--net '%s': expected host, none or ns:/ABSOLUTE/PATH",
			 bad[i]);
		ck_assert_str_eq(err.msg, want);
		json_decref(spec);
	}
}
END_TEST

START_TEST(test_apply_caps)
{
	oci_bundle_edits e;
	oci_bundle_edits_init(&e);
	/* Drops first, then adds, as docker: --cap-drop ALL --cap-add X leaves only X, in
	 * every set (inheritable only when the config has it). */
	oci_bundle_strv_add(&e.cap_drop, "ALL", NULL);
	oci_bundle_strv_add(&e.cap_add, "net_admin", NULL);
	oci_bundle_strv_add(&e.cap_add, "CAP_SYS_TIME", NULL);
	json_t *spec = apply(&e, false);
	assert_json(at(spec, "process.capabilities"),
		    "{\"bounding\":[\"CAP_NET_ADMIN\",\"CAP_SYS_TIME\"],"
		    "\"effective\":[\"CAP_NET_ADMIN\",\"CAP_SYS_TIME\"],"
		    "\"permitted\":[\"CAP_NET_ADMIN\",\"CAP_SYS_TIME\"],"
		    "\"ambient\":[\"CAP_NET_ADMIN\",\"CAP_SYS_TIME\"]}");
	json_decref(spec);
	oci_bundle_edits_release(&e);

	/* Dropping one removes it from every set; adding one present does not repeat it. */
	oci_bundle_edits_init(&e);
	oci_bundle_strv_add(&e.cap_drop, "CAP_CHOWN", NULL);
	oci_bundle_strv_add(&e.cap_add, "KILL", NULL);
	spec = apply(&e, false);
	assert_json(at(spec, "process.capabilities"),
		    "{\"bounding\":[\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"],"
		    "\"permitted\":[\"CAP_KILL\"],\"ambient\":[\"CAP_KILL\"]}");
	json_decref(spec);
	oci_bundle_edits_release(&e);

	oci_error err = OCI_ERROR_INIT;
	oci_bundle_edits_init(&e);
	oci_bundle_strv_add(&e.cap_add, "CAP_FLY", NULL);
	spec = load(BASE);
	ck_assert_int_lt(oci_bundle_edits_apply(spec, &e, -1, false, &err), 0);
	ck_assert_str_eq(err.msg, "--cap-add: unknown capability 'CAP_FLY'");
	json_decref(spec);
	oci_bundle_edits_release(&e);
	oci_bundle_edits_init(&e);
	oci_bundle_strv_add(&e.cap_drop, "NOPE", NULL);
	spec = load(BASE);
	ck_assert_int_lt(oci_bundle_edits_apply(spec, &e, -1, false, &err), 0);
	ck_assert_str_eq(err.msg, "--cap-drop: unknown capability 'NOPE'");
	json_decref(spec);
	oci_bundle_edits_release(&e);
}
END_TEST

START_TEST(test_apply_refuses_non_object)
{
	oci_bundle_edits e;
	oci_error err = OCI_ERROR_INIT;
	oci_bundle_edits_init(&e);
	json_t *spec = load("[]");
	ck_assert_int_lt(oci_bundle_edits_apply(spec, &e, -1, false, &err), 0);
	ck_assert_str_eq(err.msg, "config.json: expected an object");
	json_decref(spec);
}
END_TEST

START_TEST(test_strv)
{
	oci_bundle_strv s = {0};
	char *items[20];
	char names[20][8];
	for (int i = 0; i < 20; i++) {
		snprintf(names[i], sizeof(names[i]), "a%d", i);
		items[i] = names[i];
		ck_assert_int_eq(oci_bundle_strv_add(&s, items[i], NULL), 0);
		ck_assert_ptr_null(s.v[s.n]); /* always NULL-terminated, an argv */
	}
	ck_assert_uint_eq(s.n, 20);
	for (int i = 0; i < 20; i++)
		ck_assert_ptr_eq(s.v[i], items[i]);
	oci_bundle_strv_release(&s);
	ck_assert_ptr_null(s.v);
	ck_assert_uint_eq(s.n, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bundle_edit");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_parse_mount);
	tcase_add_test(tc, test_parse_tmpfs);
	tcase_add_test(tc, test_parse_cpus);
	tcase_add_test(tc, test_no_edits);
	tcase_add_test(tc, test_apply_mounts);
	tcase_add_test(tc, test_apply_limits);
	tcase_add_test(tc, test_apply_process);
	tcase_add_test(tc, test_apply_namespaces);
	tcase_add_test(tc, test_apply_caps);
	tcase_add_test(tc, test_apply_refuses_non_object);
	tcase_add_test(tc, test_strv);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
