/* The walk of config.json: the runtime-spec schema's types for the keys we know, and the rules
 * the schema cannot express (absolute paths, known namespaces without duplicates, id mappings
 * for a user namespace, rlimit and capability names, an existing rootfs), filling the typed
 * model (common/config.h) as it checks. Every problem is collected with its JSON path, so a
 * user fixes them all in one go; oci-run create refuses a config with any. Unknown keys are
 * ignored, as the spec asks. oci_spec_validate is this walk with the model thrown away. */
#include "common/spec.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/spec_check.h"
#include "common/spec_resources.h"
#include "common/spec_seccomp.h"
#include "common/util.h"

const char *const oci_spec_hook_kinds[] = {"prestart",	     "createRuntime", "createContainer",
					   "startContainer", "poststart",     "poststop"};
const size_t oci_spec_n_hook_kinds = ARRAY_SIZE(oci_spec_hook_kinds);

const char *const oci_spec_capabilities[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
const size_t oci_spec_n_capabilities = ARRAY_SIZE(oci_spec_capabilities);

int oci_spec_capability_name(const char *in, char *out, size_t outlen)
{
	char buf[64];
	if (strlen(in) + 5 > sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s%s", strncasecmp(in, "CAP_", 4) ? "CAP_" : "", in);
	for (size_t i = 0; i < oci_spec_n_capabilities; i++)
		if (!strcasecmp(buf, oci_spec_capabilities[i])) {
			snprintf(out, outlen, "%s", oci_spec_capabilities[i]);
			return 0;
		}
	return -1;
}

bool oci_spec_namespace_known(const char *type)
{
	return oci_spec_namespace_by_type(type) != NULL;
}

const char *const oci_config_capset_names[OCI_CAPS_N] = {"bounding", "effective", "inheritable",
							 "permitted", "ambient"};

static const struct {
	const char *name;
	int resource;
} rlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

/* ---- filling the model: an allocation failure marks the walk failed ---- */

/* A copy of a string value; NULL when v is not a string. */
static char *mstr(oci_spec_checker *c, json_t *v)
{
	if (!json_is_string(v))
		return NULL;
	char *s = strdup(json_string_value(v));
	if (!s)
		c->failed = true;
	return s;
}

/* The string items of an array as a NULL-terminated vector (others skipped: they are
 * problems already); NULL when arr is not an array. */
static char **mstrv(oci_spec_checker *c, json_t *arr)
{
	if (!json_is_array(arr))
		return NULL;
	char **v = calloc(json_array_size(arr) + 1, sizeof(char *));
	if (!v) {
		c->failed = true;
		return NULL;
	}
	size_t i, n = 0;
	json_t *s;
	json_array_foreach(arr, i, s)
	{
		if (json_is_string(s) && !(v[n++] = strdup(json_string_value(s)))) {
			c->failed = true;
			break;
		}
	}
	return v;
}

static void *mcalloc(oci_spec_checker *c, size_t n)
{
	void *p = calloc(n ? n : 1, 1);
	if (!p)
		c->failed = true;
	return p;
}
#define MARRAY(c, n, type) ((type *)mcalloc(c, (n) * sizeof(type)))

static void strv_free(char **v)
{
	oci_strvfreep(&v);
}

/* ---- the parts of config.json ---- */

/* An env list: every item KEY=VALUE. */
static char **check_env(oci_spec_checker *c, json_t *obj, const char *path, const char *key)
{
	char ip[1024];
	size_t i;
	json_t *v, *arr = oci_spec_check_array_of(c, obj, path, key, V_STRING, false);
	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(v);
		PATHF(ip, "%s.%s[%zu]", path, key, i);
		if (s && (!strchr(s, '=') || s[0] == '='))
			oci_spec_problem(c, ip, "'%s' is not KEY=VALUE", s);
	}
	return mstrv(c, arr);
}

static void check_user(oci_spec_checker *c, json_t *process, oci_process *m)
{
	json_t *user = oci_spec_check(c, process, "process", "user", V_OBJECT, true);
	json_t *uid = oci_spec_check(c, user, "process.user", "uid", V_UINT32, true);
	json_t *gid = oci_spec_check(c, user, "process.user", "gid", V_UINT32, true);
	json_t *umask_ = oci_spec_check(c, user, "process.user", "umask", V_UINT32, false);
	m->user.uid = (uint32_t)json_integer_value(uid);
	m->user.gid = (uint32_t)json_integer_value(gid);
	m->user.has_umask = umask_ != NULL;
	m->user.umask = (uint32_t)json_integer_value(umask_);
	json_t *gids = oci_spec_check(c, user, "process.user", "additionalGids", V_ARRAY, false);
	if (json_array_size(gids) > NGROUPS_MAX) {
		/* The kernel takes no more; the init must not even try to hold them. */
		oci_spec_problem(c, "process.user.additionalGids",
				 "%zu groups, more than the kernel's limit of %d",
				 json_array_size(gids), NGROUPS_MAX);
	} else if (oci_spec_check_array_of(c, user, "process.user", "additionalGids", V_UINT32,
					   false) &&
		   json_array_size(gids) &&
		   (m->user.additional_gids = MARRAY(c, json_array_size(gids), gid_t))) {
		size_t i;
		json_t *g;
		json_array_foreach(gids, i, g)
		    m->user.additional_gids[m->user.n_additional_gids++] =
		    (gid_t)json_integer_value(g);
	}
	m->user.username =
	    mstr(c, oci_spec_check(c, user, "process.user", "username", V_STRING, false));
}

static void check_caps(oci_spec_checker *c, json_t *process, oci_process *m)
{
	char ip[1024];
	size_t i;
	json_t *v, *caps = oci_spec_check(c, process, "process", "capabilities", V_OBJECT, false);
	for (size_t s = 0; caps && s < OCI_CAPS_N; s++) {
		const char *set = oci_config_capset_names[s];
		json_t *arr =
		    oci_spec_check_array_of(c, caps, "process.capabilities", set, V_STRING, false);
		json_array_foreach(arr, i, v)
		{
			char norm[64];
			const char *name = json_string_value(v);
			PATHF(ip, "process.capabilities.%s[%zu]", set, i);
			if (name && (strncmp(name, "CAP_", 4) ||
				     oci_spec_capability_name(name, norm, sizeof(norm)) < 0 ||
				     strcmp(norm, name)))
				oci_spec_problem(c, ip, "unknown capability '%s'", name);
		}
		m->caps[s] = mstrv(c, arr);
	}
}

static void check_rlimits(oci_spec_checker *c, json_t *process, oci_process *m)
{
	char ip[1024];
	size_t i;
	json_t *v, *rl = oci_spec_check(c, process, "process", "rlimits", V_ARRAY, false);
	if (json_array_size(rl) &&
	    !(m->rlimits = MARRAY(c, json_array_size(rl), oci_config_rlimit)))
		return;
	json_array_foreach(rl, i, v)
	{
		PATHF(ip, "process.rlimits[%zu]", i);
		if (!oci_spec_check_value(c, v, ip, V_OBJECT, true))
			continue;
		json_t *type = oci_spec_check(c, v, ip, "type", V_STRING, true);
		json_t *soft = oci_spec_check(c, v, ip, "soft", V_UINT64, true);
		json_t *hard = oci_spec_check(c, v, ip, "hard", V_UINT64, true);
		const char *t = json_string_value(type);
		if (!t)
			continue;
		int resource = -1;
		for (size_t k = 0; k < ARRAY_SIZE(rlimits); k++)
			if (!strcmp(t, rlimits[k].name))
				resource = rlimits[k].resource;
		if (resource < 0)
			oci_spec_problem(c, ip, "unknown rlimit type '%s'", t);
		json_t *w;
		for (size_t j = 0; j < i; j++) {
			w = json_array_get(rl, j);
			const char *o = json_string_value(json_object_get(w, "type"));
			if (o && !strcmp(o, t)) {
				oci_spec_problem(c, ip, "rlimit '%s' given twice", t);
				break;
			}
		}
		if (soft && hard && json_integer_value(soft) > json_integer_value(hard))
			oci_spec_problem(c, ip, "soft limit above the hard limit");
		if (resource < 0 || !soft || !hard)
			continue;
		oci_config_rlimit *r = &m->rlimits[m->n_rlimits++];
		r->type = mstr(c, type);
		r->resource = resource;
		r->soft = (uint64_t)json_integer_value(soft);
		r->hard = (uint64_t)json_integer_value(hard);
	}
}

/* runtime-spec 1.2's names for sched_setattr(2)'s policies and flags, and ioprio_set(2)'s
 * classes: the kernel's values. */
typedef oci_spec_name_value name_value;
static const name_value
    sched_policies[] = {{"SCHED_OTHER", 0},    {"SCHED_FIFO", 1}, {"SCHED_RR", 2},
			{"SCHED_BATCH", 3},    {"SCHED_ISO", 4},  {"SCHED_IDLE", 5},
			{"SCHED_DEADLINE", 6}, {NULL, 0}},
    sched_flags[] = {{"SCHED_FLAG_RESET_ON_FORK", 0x01},  {"SCHED_FLAG_RECLAIM", 0x02},
		     {"SCHED_FLAG_DL_OVERRUN", 0x04},	  {"SCHED_FLAG_KEEP_POLICY", 0x08},
		     {"SCHED_FLAG_KEEP_PARAMS", 0x10},	  {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
		     {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40}, {NULL, 0}},
    io_classes[] = {
	{"IOPRIO_CLASS_RT", 1}, {"IOPRIO_CLASS_BE", 2}, {"IOPRIO_CLASS_IDLE", 3}, {NULL, 0}};

static const name_value *name_value_entry(const name_value *t, const char *name)
{
	for (; t->name; t++)
		if (!strcmp(name, t->name))
			return t;
	return NULL;
}

static bool name_value_find(const name_value *t, const char *name, uint32_t *out)
{
	const name_value *e = name_value_entry(t, name);
	if (e)
		*out = e->value;
	return e != NULL;
}

/* The array of flag names at path.key, every one of table t (else a problem, with hint when
 * not NULL), ORed into *out; false when one is unknown. */
static bool check_flag_names(oci_spec_checker *c, json_t *obj, const char *path, const char *key,
			     const name_value *t, const char *hint, uint64_t *out)
{
	char ip[1024];
	size_t i;
	json_t *v, *arr = oci_spec_check_array_of(c, obj, path, key, V_STRING, false);
	bool ok = true;
	*out = 0;
	json_array_foreach(arr, i, v)
	{
		uint32_t f;
		const char *name = json_string_value(v);
		PATHF(ip, "%s.%s[%zu]", path, key, i);
		if (name && !name_value_find(t, name, &f)) {
			oci_spec_problem(c, ip, "unknown flag '%s'%s%s", name, hint ? " " : "",
					 hint ? hint : "");
			ok = false;
		} else if (name) {
			*out |= f;
		}
	}
	return ok;
}

/* process.scheduler, with runc's rules: nice in [-20, 19], a priority only for the real-time
 * policies, runtime/deadline/period only for SCHED_DEADLINE. */
static void check_scheduler(oci_spec_checker *c, json_t *process, oci_process *m)
{
	const char *sp = "process.scheduler";
	json_t *s = oci_spec_check(c, process, "process", "scheduler", V_OBJECT, false);
	if (!s)
		return;
	const char *policy = json_string_value(oci_spec_check(c, s, sp, "policy", V_STRING, true));
	json_t *nice = oci_spec_check(c, s, sp, "nice", V_INT32, false);
	json_t *prio = oci_spec_check(c, s, sp, "priority", V_INT32, false);
	json_t *rt = oci_spec_check(c, s, sp, "runtime", V_UINT64, false);
	json_t *dl = oci_spec_check(c, s, sp, "deadline", V_UINT64, false);
	json_t *per = oci_spec_check(c, s, sp, "period", V_UINT64, false);
	bool ok = policy != NULL;
	uint32_t pv = 0;
	if (policy && !name_value_find(sched_policies, policy, &pv)) {
		oci_spec_problem(c, "process.scheduler.policy", "unknown policy '%s'", policy);
		ok = false;
	}
	json_int_t n = json_integer_value(nice), p = json_integer_value(prio);
	if (n < -20 || n > 19) {
		oci_spec_problem(c, "process.scheduler.nice",
				 "%" JSON_INTEGER_FORMAT " is not between -20 and 19", n);
		ok = false;
	}
	bool realtime = policy && (!strcmp(policy, "SCHED_FIFO") || !strcmp(policy, "SCHED_RR"));
	if (p && !realtime) {
		oci_spec_problem(c, "process.scheduler.priority",
				 "only SCHED_FIFO and SCHED_RR take a priority");
		ok = false;
	} else if (p < 0) {
		oci_spec_problem(c, "process.scheduler.priority", "must not be negative");
		ok = false;
	}
	if ((json_integer_value(rt) || json_integer_value(dl) || json_integer_value(per)) &&
	    policy && strcmp(policy, "SCHED_DEADLINE")) {
		oci_spec_problem(c, sp, "runtime, deadline and period are for SCHED_DEADLINE only");
		ok = false;
	}
	uint64_t fl;
	if (!check_flag_names(c, s, sp, "flags", sched_flags, NULL, &fl) || !ok)
		return;
	m->has_scheduler = true;
	m->scheduler.policy = pv;
	m->scheduler.flags = fl;
	m->scheduler.nice = (int32_t)n;
	m->scheduler.priority = (uint32_t)p;
	m->scheduler.runtime = (uint64_t)json_integer_value(rt);
	m->scheduler.deadline = (uint64_t)json_integer_value(dl);
	m->scheduler.period = (uint64_t)json_integer_value(per);
}

static void check_io_priority(oci_spec_checker *c, json_t *process, oci_process *m)
{
	const char *ip = "process.ioPriority";
	json_t *io = oci_spec_check(c, process, "process", "ioPriority", V_OBJECT, false);
	const char *cls = json_string_value(oci_spec_check(c, io, ip, "class", V_STRING, true));
	json_t *prio = oci_spec_check(c, io, ip, "priority", V_INT, true);
	uint32_t cv = 0;
	bool ok = cls && prio;
	if (cls && !name_value_find(io_classes, cls, &cv)) {
		oci_spec_problem(c, "process.ioPriority.class",
				 "unknown class '%s' (IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or "
				 "IOPRIO_CLASS_IDLE)",
				 cls);
		ok = false;
	}
	if (prio && (json_integer_value(prio) < 0 || json_integer_value(prio) > 7)) {
		oci_spec_problem(c, "process.ioPriority.priority",
				 "%" JSON_INTEGER_FORMAT " is not between 0 and 7",
				 json_integer_value(prio));
		ok = false;
	}
	if (!ok)
		return;
	m->has_io_priority = true;
	m->io_class = (int)cv;
	m->io_level = (int)json_integer_value(prio);
}

/* A cpu list as runc reads it ("0-3,7", blanks around items and empty items allowed), CPUs
 * below OCI_SPEC_MAX_CPUS; run/process.c reads it with the same parser. */
static bool cpu_list_ok(const char *s)
{
	unsigned long mask[OCI_SPEC_MAX_CPUS / (8 * sizeof(unsigned long))];
	size_t n;
	return !*s || oci_spec_id_list(s, OCI_SPEC_MAX_CPUS - 1, true, mask, &n, NULL) == 0;
}

static void check_exec_affinity(oci_spec_checker *c, json_t *process, oci_process *m)
{
	const char *ap = "process.execCPUAffinity";
	json_t *a = oci_spec_check(c, process, "process", "execCPUAffinity", V_OBJECT, false);
	static const char *const keys[] = {"initial", "final"};
	char **out[] = {&m->exec_cpu_initial, &m->exec_cpu_final};
	for (size_t k = 0; a && k < 2; k++) {
		json_t *v = oci_spec_check(c, a, ap, keys[k], V_STRING, false);
		const char *s = json_string_value(v);
		char ip[64];
		PATHF(ip, "%s.%s", ap, keys[k]);
		if (s && !cpu_list_ok(s))
			oci_spec_problem(c, ip, "'%s' is not a cpu list (such as \"0-3,7\")", s);
		else if (s && *s)
			*out[k] = mstr(c, v);
	}
}

/* The process object at process (config.json's, or exec's own). */
static void check_process_object(oci_spec_checker *c, json_t *process, oci_process *m)
{
	m->terminal =
	    json_is_true(oci_spec_check(c, process, "process", "terminal", V_BOOL, false));
	json_t *cs = oci_spec_check(c, process, "process", "consoleSize", V_OBJECT, false);
	json_t *h = oci_spec_check(c, cs, "process.consoleSize", "height", V_UINT32, true);
	json_t *w = oci_spec_check(c, cs, "process.consoleSize", "width", V_UINT32, true);
	m->has_console_size = h && w;
	m->console_height = (uint32_t)json_integer_value(h);
	m->console_width = (uint32_t)json_integer_value(w);
	json_t *cwd = oci_spec_check(c, process, "process", "cwd", V_STRING, true);
	oci_spec_check_abs_path(c, cwd, "process.cwd");
	m->cwd = mstr(c, cwd);
	m->env = check_env(c, process, "process", "env");
	json_t *args = oci_spec_check_array_of(c, process, "process", "args", V_STRING, true);
	if (args && json_array_size(args) == 0)
		oci_spec_problem(c, "process.args", "must not be empty");
	m->args = mstrv(c, args);
	check_user(c, process, m);
	check_caps(c, process, m);
	check_rlimits(c, process, m);
	m->no_new_privileges =
	    json_is_true(oci_spec_check(c, process, "process", "noNewPrivileges", V_BOOL, false));
	m->apparmor_profile =
	    mstr(c, oci_spec_check(c, process, "process", "apparmorProfile", V_STRING, false));
	m->selinux_label =
	    mstr(c, oci_spec_check(c, process, "process", "selinuxLabel", V_STRING, false));
	json_t *oom = oci_spec_check(c, process, "process", "oomScoreAdj", V_INT, false);
	if (oom && (json_integer_value(oom) < -1000 || json_integer_value(oom) > 1000))
		oci_spec_problem(c, "process.oomScoreAdj", "must be between -1000 and 1000");
	else if (oom) {
		m->has_oom_score_adj = true;
		m->oom_score_adj = (int)json_integer_value(oom);
	}
	check_scheduler(c, process, m);
	check_io_priority(c, process, m);
	check_exec_affinity(c, process, m);
}

static void check_process(oci_spec_checker *c, json_t *spec, oci_config *m)
{
	json_t *process = oci_spec_check(c, spec, "", "process", V_OBJECT, false);
	if (!process)
		return;
	m->has_process = true;
	check_process_object(c, process, &m->process);
}

static void check_root(oci_spec_checker *c, json_t *spec, int bundle_dirfd, oci_config *m)
{
	struct stat st;
	json_t *root = oci_spec_check(c, spec, "", "root", V_OBJECT, true);
	json_t *path = oci_spec_check(c, root, "root", "path", V_STRING, true);
	m->root_readonly = json_is_true(oci_spec_check(c, root, "root", "readonly", V_BOOL, false));
	const char *p = json_string_value(path);
	if (!p)
		return;
	if (!*p) {
		oci_spec_problem(c, "root.path", "must not be empty");
		return;
	}
	m->root_path = mstr(c, path);
	if (bundle_dirfd < 0 && p[0] != '/')
		return;
	if (fstatat(p[0] == '/' ? AT_FDCWD : bundle_dirfd, p, &st, 0) < 0)
		oci_spec_problem(c, "root.path", "'%s': %s", p, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		oci_spec_problem(c, "root.path", "'%s' is not a directory", p);
}

/* The kernel's rules for a map (it refuses the whole map with EINVAL otherwise): at most
 * OCI_SPEC_IDMAP_MAX ranges, none past the last id 4294967294, none overlapping another on
 * either side. Checked here so the error names the range. */
static void check_mapping_ranges(oci_spec_checker *c, const char *path, const char *key,
				 const oci_config_idmap *m, size_t n)
{
	char ip[1024];
	if (n > OCI_SPEC_IDMAP_MAX) {
		PATHF(ip, "%s.%s", path, key);
		oci_spec_problem(c, ip, "%zu ranges, more than the kernel takes (%d)", n,
				 OCI_SPEC_IDMAP_MAX);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		PATHF(ip, "%s.%s[%zu]", path, key, i);
		uint64_t ci = m[i].container_id, hi = m[i].host_id, si = m[i].size;
		if (ci + si > UINT32_MAX || hi + si > UINT32_MAX) {
			oci_spec_problem(c, ip, "the range ends past id 4294967294");
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			uint64_t cj = m[j].container_id, hj = m[j].host_id, sj = m[j].size;
			if (ci < cj + sj && cj < ci + si)
				oci_spec_problem(c, ip, "its containerID range overlaps %s[%zu]'s",
						 key, j);
			else if (hi < hj + sj && hj < hi + si)
				oci_spec_problem(c, ip, "its hostID range overlaps %s[%zu]'s", key,
						 j);
		}
	}
}

static void check_mappings(oci_spec_checker *c, json_t *obj, const char *path, const char *key,
			   oci_config_idmap **out, size_t *n)
{
	char ip[1024];
	size_t i;
	json_t *m, *arr = oci_spec_check(c, obj, path, key, V_ARRAY, false);
	if (json_array_size(arr) && !(*out = MARRAY(c, json_array_size(arr), oci_config_idmap)))
		return;
	json_array_foreach(arr, i, m)
	{
		PATHF(ip, "%s.%s[%zu]", path, key, i);
		if (!oci_spec_check_value(c, m, ip, V_OBJECT, true))
			continue;
		json_t *cid = oci_spec_check(c, m, ip, "containerID", V_UINT32, true);
		json_t *hid = oci_spec_check(c, m, ip, "hostID", V_UINT32, true);
		json_t *size = oci_spec_check(c, m, ip, "size", V_UINT32, true);
		if (size && json_integer_value(size) == 0)
			oci_spec_problem(c, ip, "size must not be zero");
		else if (cid && hid && size)
			(*out)[(*n)++] =
			    (oci_config_idmap){.container_id = (uint32_t)json_integer_value(cid),
					       .host_id = (uint32_t)json_integer_value(hid),
					       .size = (uint32_t)json_integer_value(size)};
	}
	check_mapping_ranges(c, path, key, *out, *n);
}

static bool has_opt(char **options, const char *name)
{
	for (; options && *options; options++)
		if (!strcmp(*options, name))
			return true;
	return false;
}

/* An id-mapped mount, as runc takes it: a bind mount, with both mappings or neither (then
 * the container's own, which a new user namespace must give). */
static void check_mount_idmap(oci_spec_checker *c, json_t *spec, json_t *m, const char *ip,
			      oci_config_mount *mm)
{
	check_mappings(c, m, ip, "uidMappings", &mm->uid_mappings, &mm->n_uid_mappings);
	check_mappings(c, m, ip, "gidMappings", &mm->gid_mappings, &mm->n_gid_mappings);
	bool um = json_array_size(json_object_get(m, "uidMappings")) > 0,
	     gm = json_array_size(json_object_get(m, "gidMappings")) > 0;
	mm->idmap_recursive = has_opt(mm->options, "ridmap");
	mm->idmapped = um || gm || mm->idmap_recursive || has_opt(mm->options, "idmap");
	if (!mm->idmapped)
		return;
	if (um != gm)
		oci_spec_problem(c, ip,
				 "an id-mapped mount needs both uidMappings and gidMappings");
	bool bind = (mm->type && !strcmp(mm->type, "bind")) || has_opt(mm->options, "bind") ||
		    has_opt(mm->options, "rbind");
	if (!bind)
		oci_spec_problem(c, ip, "only a bind mount can be id-mapped");
	if (!um && !gm) {
		json_t *lin = json_object_get(spec, "linux");
		if (!json_array_size(json_object_get(lin, "uidMappings")) ||
		    !json_array_size(json_object_get(lin, "gidMappings")))
			oci_spec_problem(c, ip,
					 "idmap without uidMappings and gidMappings takes the "
					 "container's (linux.uidMappings), and there are none");
	}
}

static void check_mounts(oci_spec_checker *c, json_t *spec, oci_config *cfg)
{
	char ip[1024];
	size_t i;
	json_t *m, *mounts = oci_spec_check(c, spec, "", "mounts", V_ARRAY, false);
	if (json_array_size(mounts) &&
	    !(cfg->mounts = MARRAY(c, json_array_size(mounts), oci_config_mount)))
		return;
	json_array_foreach(mounts, i, m)
	{
		PATHF(ip, "mounts[%zu]", i);
		if (!oci_spec_check_value(c, m, ip, V_OBJECT, true))
			continue;
		oci_config_mount *mm = &cfg->mounts[cfg->n_mounts++];
		char dp[1100];
		PATHF(dp, "%s.destination", ip);
		json_t *dest = oci_spec_check(c, m, ip, "destination", V_STRING, true);
		oci_spec_check_abs_path(c, dest, dp);
		mm->destination = mstr(c, dest);
		mm->type = mstr(c, oci_spec_check(c, m, ip, "type", V_STRING, false));
		mm->source = mstr(c, oci_spec_check(c, m, ip, "source", V_STRING, false));
		json_t *opts = oci_spec_check_array_of(c, m, ip, "options", V_STRING, false), *o;
		size_t j, total = 0;
		json_array_foreach(opts, j, o) total += json_string_length(o) + 1;
		if (total > OCI_SPEC_MOUNT_DATA_MAX) {
			char op[1100];
			PATHF(op, "%s.options", ip);
			oci_spec_problem(c, op, "%zu bytes together, more than a mount takes (%d)",
					 total - 1, OCI_SPEC_MOUNT_DATA_MAX - 1);
		}
		mm->options = mstrv(c, opts);
		check_mount_idmap(c, spec, m, ip, mm);
	}
}

static void check_hook_list(oci_spec_checker *c, json_t *hooks, size_t k, oci_config_hooks *m)
{
	char ip[1024];
	size_t i;
	json_t *h, *arr = oci_spec_check(c, hooks, "hooks", oci_spec_hook_kinds[k], V_ARRAY, false);
	if (json_array_size(arr) &&
	    !(m->list[k] = MARRAY(c, json_array_size(arr), oci_config_hook)))
		return;
	json_array_foreach(arr, i, h)
	{
		PATHF(ip, "hooks.%s[%zu]", oci_spec_hook_kinds[k], i);
		if (!oci_spec_check_value(c, h, ip, V_OBJECT, true))
			continue;
		oci_config_hook *mh = &m->list[k][m->n[k]++];
		char pp[1100];
		PATHF(pp, "%s.path", ip);
		json_t *path = oci_spec_check(c, h, ip, "path", V_STRING, true);
		oci_spec_check_abs_path(c, path, pp);
		mh->path = mstr(c, path);
		mh->args = mstrv(c, oci_spec_check_array_of(c, h, ip, "args", V_STRING, false));
		mh->env = check_env(c, h, ip, "env");
		json_t *t = oci_spec_check(c, h, ip, "timeout", V_INT, false);
		if (t && json_integer_value(t) <= 0)
			oci_spec_problem(c, ip, "timeout must be greater than zero");
		else if (t)
			mh->timeout =
			    json_integer_value(t) > INT_MAX ? INT_MAX : (int)json_integer_value(t);
	}
}

static void check_hooks_object(oci_spec_checker *c, json_t *hooks, oci_config_hooks *m)
{
	for (size_t k = 0; hooks && k < oci_spec_n_hook_kinds; k++)
		check_hook_list(c, hooks, k, m);
}

static bool id_mapped(json_t *maps, json_int_t id)
{
	size_t i;
	json_t *m;
	json_array_foreach(maps, i, m)
	{
		json_int_t c = json_integer_value(json_object_get(m, "containerID"));
		json_int_t n = json_integer_value(json_object_get(m, "size"));
		if (id >= c && id < c + n)
			return true;
	}
	return false;
}

/* In a new user namespace the process's ids must be mapped, or the runtime cannot switch to
 * them (a rootless bundle from an image whose User is not root is the usual case). */
static void check_mapped(oci_spec_checker *c, json_t *spec, json_t *maps, const char *which,
			 const char *path)
{
	json_t *user = json_object_get(json_object_get(spec, "process"), "user"), *v;
	size_t i;
	if (!json_is_array(maps) || !json_array_size(maps) || !json_is_object(user))
		return;
	json_t *id = json_object_get(user, which);
	if (json_is_integer(id) && !id_mapped(maps, json_integer_value(id)))
		oci_spec_problem(c, which[0] == 'u' ? "process.user.uid" : "process.user.gid",
				 "%" JSON_INTEGER_FORMAT " is not mapped by %s",
				 json_integer_value(id), path);
	if (!strcmp(which, "gid")) {
		json_array_foreach(json_object_get(user, "additionalGids"), i, v)
		{
			char ip[64];
			PATHF(ip, "process.user.additionalGids[%zu]", i);
			if (json_is_integer(v) && !id_mapped(maps, json_integer_value(v)))
				oci_spec_problem(c, ip,
						 "%" JSON_INTEGER_FORMAT " is not mapped by %s",
						 json_integer_value(v), path);
		}
	}
}

int oci_spec_personality(const char *domain, unsigned long *out)
{
	static const struct {
		const char *name;
		unsigned long value;
	} domains[] = {{"LINUX", PER_LINUX}, {"LINUX32", PER_LINUX32}};
	for (size_t k = 0; k < ARRAY_SIZE(domains); k++)
		if (!strcmp(domain, domains[k].name)) {
			*out = domains[k].value;
			return 0;
		}
	return -1;
}

/* The sysctls the kernel keeps per namespace (runc's list): only those may be set, and only
 * in a namespace of the container's own, or the write lands on the host's kernel. */
static const struct {
	const char *key; /* a whole key, or a prefix ending in '.' */
	const char *ns;
} sysctl_scopes[] = {
    {"kernel.msgmax", "ipc"}, {"kernel.msgmnb", "ipc"},		 {"kernel.msgmni", "ipc"},
    {"kernel.sem", "ipc"},    {"kernel.shmall", "ipc"},		 {"kernel.shmmax", "ipc"},
    {"kernel.shmmni", "ipc"}, {"kernel.shm_rmid_forced", "ipc"}, {"fs.mqueue.", "ipc"},
    {"net.", "network"},      {"kernel.hostname", "uts"},	 {"kernel.domainname", "uts"},
};

const oci_config_namespace *oci_config_find_namespace(const oci_config *c, const char *type)
{
	for (size_t i = 0; i < c->linux_.n_namespaces; i++)
		if (!strcmp(c->linux_.namespaces[i].kind->type, type))
			return &c->linux_.namespaces[i];
	return NULL;
}

/* 1 when path is the namespace the caller is in itself (the host's, for a runtime started
 * on the host), 0 when another, -1 (errno) when it cannot be told. */
static int namespace_is_own(const char *path, const char *type)
{
	char own[64];
	struct stat a, b;
	const oci_spec_namespace *t = oci_spec_namespace_by_type(type);
	if (!t) {
		errno = EINVAL;
		return -1;
	}
	snprintf(own, sizeof(own), "/proc/self/ns/%s", t->proc);
	if (stat(path, &a) < 0 || stat(own, &b) < 0)
		return -1;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int oci_spec_sysctl_check(const oci_config *cfg, const char *key, bool check_paths, oci_error *err)
{
	size_t len = strlen(key);
	if (!len || len > OCI_SPEC_SYSCTL_KEY_MAX)
		return oci_err(err, OCI_E_INVALID, "key must be 1 to %d bytes",
			       OCI_SPEC_SYSCTL_KEY_MAX);
	/* Components of /proc/sys/...: no '/', no empty ones (which is what ".." would be). */
	for (const char *p = key; *p; p++)
		if (*p == '/' || (unsigned char)*p <= ' ' || *p == 0x7f ||
		    (*p == '.' && (p == key || !p[1] || p[1] == '.')))
			return oci_err(
			    err, OCI_E_INVALID,
			    "invalid key (an empty component, '/' or a control character)");
	const char *ns = NULL;
	for (size_t k = 0; !ns && k < ARRAY_SIZE(sysctl_scopes); k++) {
		const char *sk = sysctl_scopes[k].key;
		size_t n = strlen(sk);
		if (sk[n - 1] == '.' ? !strncmp(key, sk, n) : !strcmp(key, sk))
			ns = sysctl_scopes[k].ns;
	}
	if (!ns)
		return oci_err(err, OCI_E_UNSAFE,
			       "not a namespaced sysctl: it would be set on the host");
	const oci_config_namespace *entry = oci_config_find_namespace(cfg, ns);
	if (!entry)
		return oci_err(err, OCI_E_UNSAFE,
			       "needs its own %s namespace: without one it would "
			       "be set on the host",
			       ns);
	const char *path = entry->path;
	if (check_paths && path && *path) {
		int own = namespace_is_own(path, ns);
		if (own < 0)
			return oci_err_errno(err, errno, "cannot check the %s namespace '%s'", ns,
					     path);
		if (own)
			return oci_err(err, OCI_E_UNSAFE, "the %s namespace '%s' is the host's", ns,
				       path);
	}
	return 0;
}

static void check_namespaces(oci_spec_checker *c, json_t *linux_, oci_config_linux *m,
			     bool *new_userns, bool *has_uts)
{
	char ip[1024];
	size_t i;
	json_t *v, *ns = oci_spec_check(c, linux_, "linux", "namespaces", V_ARRAY, false);
	if (json_array_size(ns) &&
	    !(m->namespaces = MARRAY(c, json_array_size(ns), oci_config_namespace)))
		return;
	json_array_foreach(ns, i, v)
	{
		PATHF(ip, "linux.namespaces[%zu]", i);
		if (!oci_spec_check_value(c, v, ip, V_OBJECT, true))
			continue;
		const char *t = json_string_value(oci_spec_check(c, v, ip, "type", V_STRING, true));
		json_t *path = oci_spec_check(c, v, ip, "path", V_STRING, false);
		char pp[1100];
		PATHF(pp, "%s.path", ip);
		oci_spec_check_abs_path(c, path, pp);
		if (!t)
			continue;
		const oci_spec_namespace *kind = oci_spec_namespace_by_type(t);
		if (!kind) {
			oci_spec_problem(c, ip, "unknown namespace type '%s'", t);
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			const char *o =
			    json_string_value(json_object_get(json_array_get(ns, j), "type"));
			if (o && !strcmp(o, t)) {
				oci_spec_problem(c, ip, "namespace '%s' given twice", t);
				break;
			}
		}
		oci_config_namespace *e = &m->namespaces[m->n_namespaces++];
		e->kind = kind;
		e->path = mstr(c, path);
		if (!strcmp(t, "user") && !path)
			*new_userns = true;
		if (!strcmp(t, "uts"))
			*has_uts = true;
	}
}

static void check_devices(oci_spec_checker *c, json_t *linux_, oci_config_linux *m)
{
	char ip[1024];
	size_t i;
	json_t *v, *devs = oci_spec_check(c, linux_, "linux", "devices", V_ARRAY, false);
	if (json_array_size(devs) &&
	    !(m->devices = MARRAY(c, json_array_size(devs), oci_config_device)))
		return;
	json_array_foreach(devs, i, v)
	{
		PATHF(ip, "linux.devices[%zu]", i);
		if (!oci_spec_check_value(c, v, ip, V_OBJECT, true))
			continue;
		char pp[1100];
		PATHF(pp, "%s.path", ip);
		json_t *path = oci_spec_check(c, v, ip, "path", V_STRING, true);
		oci_spec_check_abs_path(c, path, pp);
		const char *t = json_string_value(oci_spec_check(c, v, ip, "type", V_STRING, true));
		if (t && strcmp(t, "c") && strcmp(t, "b") && strcmp(t, "u") && strcmp(t, "p"))
			oci_spec_problem(c, ip, "device type '%s' is not c, b, u or p", t);
		bool need_nums = t && strcmp(t, "p") != 0;
		json_t *maj = oci_spec_check(c, v, ip, "major", V_INT64, need_nums);
		json_t *min = oci_spec_check(c, v, ip, "minor", V_INT64, need_nums);
		json_t *mode = oci_spec_check(c, v, ip, "fileMode", V_UINT32, false);
		json_t *uid = oci_spec_check(c, v, ip, "uid", V_UINT32, false);
		json_t *gid = oci_spec_check(c, v, ip, "gid", V_UINT32, false);
		oci_config_device *d = &m->devices[m->n_devices++];
		d->path = mstr(c, path);
		d->type = t ? t[0] : 0;
		d->major = json_integer_value(maj);
		d->minor = json_integer_value(min);
		d->has_file_mode = mode != NULL;
		d->file_mode = (uint32_t)json_integer_value(mode);
		d->has_uid = uid != NULL;
		d->uid = (uint32_t)json_integer_value(uid);
		d->has_gid = gid != NULL;
		d->gid = (uint32_t)json_integer_value(gid);
	}
}

/* linux.timeOffsets: per clock (monotonic, boottime) seconds and nanoseconds. */
/* An interface name as the kernel takes it (dev_valid_name): 1 to 15 bytes, not "." or "..",
 * no '/', ':' or white space. A '%' makes it a pattern the kernel numbers ("e%d": e0, e1...):
 * only a name in the container may be one (runtime-spec 1.3's template), with one '%', before
 * a 'd' (dev_alloc_name_ns refuses any other); a host's interface is named, never a pattern. */
static bool valid_ifname(const char *s, bool pattern)
{
	size_t n = strlen(s);
	if (n == 0 || n >= OCI_SPEC_IFNAME_SIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	const char *pct = strchr(s, '%');
	if (pct && (!pattern || pct[1] != 'd' || strchr(pct + 1, '%')))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return false;
	return true;
}

/* linux.netDevices: host interfaces moved into the container's own network namespace
 * (run/netdev.c); each name in the container given once. */
static void check_net_devices(oci_spec_checker *c, json_t *linux_, oci_config_linux *m)
{
	json_t *nd = oci_spec_check(c, linux_, "linux", "netDevices", V_OBJECT, false);
	if (!json_object_size(nd))
		return;
	bool has_netns = false;
	for (size_t i = 0; i < m->n_namespaces; i++)
		has_netns |= m->namespaces[i].kind->flag == CLONE_NEWNET;
	if (!has_netns)
		oci_spec_problem(c, "linux.netDevices",
				 "moving network devices needs the container's own network "
				 "namespace in linux.namespaces");
	if (!(m->net_devices = MARRAY(c, json_object_size(nd), oci_config_kv)))
		return;
	const char *k;
	json_t *v;
	json_object_foreach(nd, k, v)
	{
		char ip[1024], np[1100];
		PATHF(ip, "linux.netDevices.%s", k);
		if (!valid_ifname(k, false))
			oci_spec_problem(c, "linux.netDevices",
					 "'%s' is not an interface name (1 to %d bytes, no '/', "
					 "':', '%%' or white space, not '.' or '..')",
					 k, OCI_SPEC_IFNAME_SIZE - 1);
		if (!oci_spec_check_value(c, v, ip, V_OBJECT, true))
			continue;
		PATHF(np, "%s.name", ip);
		json_t *nj = oci_spec_check(c, v, ip, "name", V_STRING, false);
		const char *name =
		    json_string_value(nj) && *json_string_value(nj) ? json_string_value(nj) : k;
		if (name != k && !valid_ifname(name, true))
			oci_spec_problem(
			    c, np,
			    "'%s' is not an interface name (1 to %d bytes, no '/', "
			    "':' or white space, not '.' or '..'; '%%' only as one '%%d', "
			    "which the kernel numbers)",
			    name, OCI_SPEC_IFNAME_SIZE - 1);
		/* a pattern's devices get a number each: never one name */
		for (size_t j = 0; j < m->n_net_devices && !strchr(name, '%'); j++)
			if (!strcmp(m->net_devices[j].value, name))
				oci_spec_problem(
				    c, ip, "'%s' and '%s' would both be '%s' in the container",
				    m->net_devices[j].key, k, name);
		oci_config_kv *kv = &m->net_devices[m->n_net_devices++];
		kv->key = strdup(k);
		kv->value = strdup(name);
		if (!kv->key || !kv->value)
			c->failed = true;
	}
}

static void check_time_offsets(oci_spec_checker *c, json_t *linux_, oci_config_linux *m)
{
	char ip[1024];
	const char *clock;
	json_t *o, *offs = oci_spec_check(c, linux_, "linux", "timeOffsets", V_OBJECT, false);
	m->has_time_offsets = json_object_size(offs) > 0;
	if (json_object_size(offs) &&
	    !(m->time_offsets = MARRAY(c, json_object_size(offs), oci_config_time_offset)))
		return;
	json_object_foreach(offs, clock, o)
	{
		PATHF(ip, "linux.timeOffsets.%s", clock);
		if (strcmp(clock, "monotonic") && strcmp(clock, "boottime")) {
			oci_spec_problem(c, ip, "unknown clock (monotonic or boottime)");
			continue;
		}
		json_t *secs = json_object_get(o, "secs"), *ns = json_object_get(o, "nanosecs");
		if (!json_is_object(o) || (secs && !json_is_integer(secs)) ||
		    (ns && !json_is_integer(ns)) || json_integer_value(ns) < 0 ||
		    json_integer_value(ns) >= 1000000000) {
			oci_spec_problem(c, ip,
					 "secs must be an integer, nanosecs in [0, 999999999]");
			continue;
		}
		oci_config_time_offset *t = &m->time_offsets[m->n_time_offsets++];
		t->clock = strdup(clock);
		if (!t->clock)
			c->failed = true;
		t->secs = json_integer_value(secs);
		t->nanosecs = json_integer_value(ns);
	}
}

/* ---- linux.memoryPolicy ---- */

/* The kernel's values (include/uapi/linux/mempolicy.h), sorted by name. */
const oci_spec_name_value oci_spec_mpol_modes[] = {
    {"MPOL_BIND", 2},
    {"MPOL_DEFAULT", 0},
    {"MPOL_INTERLEAVE", 3},
    {"MPOL_LOCAL", 4},
    {"MPOL_PREFERRED", 1},
    {"MPOL_PREFERRED_MANY", 5},
    {"MPOL_WEIGHTED_INTERLEAVE", 6},
    {NULL, 0},
};
const size_t oci_spec_n_mpol_modes = ARRAY_SIZE(oci_spec_mpol_modes) - 1;
#define MPOL_F_STATIC_	       (1u << 15)
#define MPOL_F_RELATIVE_       (1u << 14)
#define MPOL_F_NUMA_BALANCING_ (1u << 13)
const oci_spec_name_value oci_spec_mpol_flags[] = {
    {"MPOL_F_NUMA_BALANCING", MPOL_F_NUMA_BALANCING_},
    {"MPOL_F_RELATIVE_NODES", MPOL_F_RELATIVE_},
    {"MPOL_F_STATIC_NODES", MPOL_F_STATIC_},
    {NULL, 0},
};
const size_t oci_spec_n_mpol_flags = ARRAY_SIZE(oci_spec_mpol_flags) - 1;

/* One id of an id list: digits only, at most max (a longer number saturates, never wraps). */
static int id_parse(const char *s, size_t len, unsigned max, unsigned long *out, oci_error *err)
{
	unsigned long v = 0;
	if (!len)
		return oci_err(err, OCI_E_INVALID, "not a number");
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return oci_err(err, OCI_E_INVALID, "not a number");
		if (v <= max)
			v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return oci_err(err, OCI_E_INVALID, "%.*s%s is above %u", (int)(len > 24 ? 24 : len),
			       s, len > 24 ? "..." : "", max);
	*out = v;
	return 0;
}

int oci_spec_id_list(const char *s, unsigned max, bool loose, unsigned long *mask, size_t *count,
		     oci_error *err)
{
	const size_t bits = 8 * sizeof(unsigned long);
	memset(mask, 0, (max / bits + 1) * sizeof(unsigned long));
	*count = 0;
	for (const char *p = s; *p;) {
		const char *item = p;
		size_t len = strcspn(p, ",");
		p += len + (p[len] == ',');
		while (loose && len && isspace((unsigned char)item[0]))
			item++, len--;
		while (loose && len && isspace((unsigned char)item[len - 1]))
			len--;
		if (!len && !loose)
			return oci_err(err, OCI_E_INVALID, "an empty item");
		if (!len)
			continue;
		const char *dash = memchr(item, '-', len);
		size_t alen = dash ? (size_t)(dash - item) : len;
		unsigned long a, b;
		if (id_parse(item, alen, max, &a, err) < 0 ||
		    (dash && id_parse(dash + 1, len - alen - 1, max, &b, err) < 0))
			return oci_err_prefix(err, "'%.*s%s'", (int)(len > 64 ? 64 : len), item,
					      len > 64 ? "..." : "");
		if (!dash)
			b = a;
		if (a > b)
			return oci_err(err, OCI_E_INVALID, "'%lu-%lu': a range must not go down", a,
				       b);
		for (unsigned long i = a; i <= b; i++)
			if (!(mask[i / bits] & (1ul << (i % bits)))) {
				mask[i / bits] |= 1ul << (i % bits);
				(*count)++;
			}
	}
	if (!*count)
		return oci_err(err, OCI_E_INVALID, "no id in the list");
	return 0;
}

/* linux.memoryPolicy with runc's rules (a known mode and flags; MPOL_DEFAULT and MPOL_LOCAL
 * take no node, MPOL_BIND, MPOL_INTERLEAVE, MPOL_PREFERRED_MANY and MPOL_WEIGHTED_INTERLEAVE
 * at least one) and the kernel's rules for flags that every kernel refuses (mm/mempolicy.c's
 * sanitize_mpol_flags and mpol_new), so the error names them instead of create failing
 * with set_mempolicy's EINVAL. Whether the nodes exist is the kernel's to say, at create. */
static void check_memory_policy(oci_spec_checker *c, json_t *linux_, oci_config_linux *m)
{
	const char *mp = "linux.memoryPolicy";
	json_t *pol = oci_spec_check(c, linux_, "linux", "memoryPolicy", V_OBJECT, false);
	if (!pol)
		return;
	const char *mode = json_string_value(oci_spec_check(c, pol, mp, "mode", V_STRING, true));
	json_t *nodes = oci_spec_check(c, pol, mp, "nodes", V_STRING, false);
	oci_config_mempolicy *p = &m->memory_policy;
	const name_value *me = mode ? name_value_entry(oci_spec_mpol_modes, mode) : NULL;
	if (mode && !me)
		oci_spec_problem(c, "linux.memoryPolicy.mode",
				 "unknown mode '%s' (MPOL_DEFAULT, MPOL_BIND, MPOL_INTERLEAVE, "
				 "MPOL_WEIGHTED_INTERLEAVE, MPOL_PREFERRED, MPOL_PREFERRED_MANY or "
				 "MPOL_LOCAL)",
				 mode);
	uint64_t fl64;
	bool ok = check_flag_names(c, pol, mp, "flags", oci_spec_mpol_flags,
				   "(MPOL_F_STATIC_NODES, MPOL_F_RELATIVE_NODES or "
				   "MPOL_F_NUMA_BALANCING)",
				   &fl64) &&
		  me;
	if (me) {
		p->mode_name = me->name;
		p->mode = me->value;
	}
	p->flags = (unsigned)fl64;
	if (!nodes && json_object_get(pol, "nodes"))
		return; /* not a string: said already */
	const char *list = json_string_value(nodes) ? json_string_value(nodes) : "";
	oci_error e = OCI_ERROR_INIT;
	if (*list &&
	    oci_spec_id_list(list, OCI_SPEC_NUMA_NODES - 1, true, p->nodes, &p->n_nodes, &e) < 0) {
		oci_spec_problem(c, "linux.memoryPolicy.nodes",
				 "%s (a node list such as \"0-3,7\", nodes 0 to %d)", e.msg,
				 OCI_SPEC_NUMA_NODES - 1);
		return;
	}
	if (!ok)
		return;
	unsigned mo = p->mode, fl = p->flags;
	bool none_ok = mo == 0 || mo == 1 || mo == 4, some_ok = mo != 0 && mo != 4;
	const char *problem = NULL;
	if (!p->n_nodes && !none_ok)
		problem = "needs at least one node in nodes";
	else if (p->n_nodes && !some_ok)
		problem = "takes no nodes";
	else if ((fl & MPOL_F_STATIC_) && (fl & MPOL_F_RELATIVE_))
		problem = "takes MPOL_F_STATIC_NODES or MPOL_F_RELATIVE_NODES, not both";
	else if ((fl & MPOL_F_NUMA_BALANCING_) && mo != 2 && mo != 5)
		problem = "does not take MPOL_F_NUMA_BALANCING (MPOL_BIND does, and "
			  "MPOL_PREFERRED_MANY where the kernel allows it)";
	else if ((fl & (MPOL_F_STATIC_ | MPOL_F_RELATIVE_)) && mo == 4)
		problem = "takes neither MPOL_F_STATIC_NODES nor MPOL_F_RELATIVE_NODES";
	else if ((fl & (MPOL_F_STATIC_ | MPOL_F_RELATIVE_)) && !p->n_nodes && mo == 1)
		problem = "without nodes (local allocation) takes neither MPOL_F_STATIC_NODES nor "
			  "MPOL_F_RELATIVE_NODES";
	if (problem) {
		oci_spec_problem(c, mp, "%s %s", p->mode_name, problem);
		return;
	}
	if (!(p->nodes_list = strdup(list)))
		c->failed = true;
	m->has_memory_policy = true;
}

static void check_linux(oci_spec_checker *c, json_t *spec, oci_config *cfg)
{
	char ip[1024];
	size_t i;
	oci_config_linux *m = &cfg->linux_;
	json_t *v, *linux_ = oci_spec_check(c, spec, "", "linux", V_OBJECT, false);
	bool new_userns = false, has_uts = false;
	if (!linux_)
		return;
	cfg->has_linux = true;
	check_namespaces(c, linux_, m, &new_userns, &has_uts);
	check_mappings(c, linux_, "linux", "uidMappings", &m->uid_mappings, &m->n_uid_mappings);
	check_mappings(c, linux_, "linux", "gidMappings", &m->gid_mappings, &m->n_gid_mappings);
	json_t *um = json_object_get(linux_, "uidMappings"),
	       *gm = json_object_get(linux_, "gidMappings");
	if (new_userns) {
		if (!json_is_array(um) || !json_array_size(um))
			oci_spec_problem(c, "linux.uidMappings",
					 "a new user namespace needs at least one uid mapping");
		if (!json_is_array(gm) || !json_array_size(gm))
			oci_spec_problem(c, "linux.gidMappings",
					 "a new user namespace needs at least one gid mapping");
		check_mapped(c, spec, um, "uid", "linux.uidMappings");
		check_mapped(c, spec, gm, "gid", "linux.gidMappings");
	} else if (!oci_config_find_namespace(cfg, "user")) {
		/* With a user namespace joined by path they may be its maps (the runtime
		 * checks that they are, as runc 1.2 does). */
		if (json_array_size(um))
			oci_spec_problem(c, "linux.uidMappings",
					 "uid mappings given without a new user namespace");
		if (json_array_size(gm))
			oci_spec_problem(c, "linux.gidMappings",
					 "gid mappings given without a new user namespace");
	}
	const char *host = cfg->hostname;
	if (host && *host && !has_uts)
		oci_spec_problem(c, "hostname", "setting the hostname needs a new uts namespace");
	if (host && strlen(host) > OCI_SPEC_HOSTNAME_MAX)
		oci_spec_problem(c, "hostname", "%zu bytes, longer than the kernel takes (%d)",
				 strlen(host), OCI_SPEC_HOSTNAME_MAX);
	const char *dom = cfg->domainname;
	if (dom && *dom && !has_uts)
		oci_spec_problem(c, "domainname",
				 "setting the domainname needs a new uts namespace");
	if (dom && strlen(dom) > OCI_SPEC_HOSTNAME_MAX)
		oci_spec_problem(c, "domainname", "%zu bytes, longer than the kernel takes (%d)",
				 strlen(dom), OCI_SPEC_HOSTNAME_MAX);

	check_devices(c, linux_, m);
	if (oci_spec_resources_walk(c, json_object_get(linux_, "resources"), &m->resources) < 0)
		return;
	json_t *cgpj = oci_spec_check(c, linux_, "linux", "cgroupsPath", V_STRING, false);
	const char *cgp = json_string_value(cgpj);
	if (cgp) {
		/* ".." anywhere (a path or systemd's slice:prefix:name) would leave the cgroup tree
		 * the runtime was given. */
		bool dotdot = false;
		for (const char *p = cgp; *p;) {
			size_t n = strcspn(p, "/:");
			dotdot |= n == 2 && p[0] == '.' && p[1] == '.';
			p += n + (p[n] != '\0');
		}
		if (dotdot)
			oci_spec_problem(c, "linux.cgroupsPath", "'..' not allowed");
		if (strlen(cgp) > OCI_SPEC_CGROUPS_PATH_MAX)
			oci_spec_problem(c, "linux.cgroupsPath", "longer than %d bytes",
					 OCI_SPEC_CGROUPS_PATH_MAX);
		m->cgroups_path = mstr(c, cgpj);
	}
	json_t *propj = oci_spec_check(c, linux_, "linux", "rootfsPropagation", V_STRING, false);
	const char *prop = json_string_value(propj);
	static const char *const props[] = {"private", "rprivate", "shared",	 "rshared",
					    "slave",   "rslave",   "unbindable", "runbindable"};
	if (prop && *prop) {
		bool ok = false;
		for (size_t k = 0; k < ARRAY_SIZE(props); k++)
			ok |= !strcmp(prop, props[k]);
		if (!ok)
			oci_spec_problem(c, "linux.rootfsPropagation", "unknown propagation '%s'",
					 prop);
	}
	m->rootfs_propagation = mstr(c, propj);
	static const char *const pathlists[] = {"maskedPaths", "readonlyPaths"};
	char ***lists[] = {&m->masked_paths, &m->readonly_paths};
	for (size_t k = 0; k < ARRAY_SIZE(pathlists); k++) {
		json_t *arr =
		    oci_spec_check_array_of(c, linux_, "linux", pathlists[k], V_STRING, false);
		json_array_foreach(arr, i, v)
		{
			PATHF(ip, "linux.%s[%zu]", pathlists[k], i);
			oci_spec_check_abs_path(c, v, ip);
		}
		*lists[k] = mstrv(c, arr);
	}
	json_t *sysctl = oci_spec_check(c, linux_, "linux", "sysctl", V_OBJECT, false);
	if (json_object_size(sysctl) &&
	    !(m->sysctl = MARRAY(c, json_object_size(sysctl), oci_config_kv)))
		return;
	const char *k;
	json_object_foreach(sysctl, k, v)
	{
		oci_error e = OCI_ERROR_INIT;
		PATHF(ip, "linux.sysctl.%s", k);
		bool ok = oci_spec_check_value(c, v, ip, V_STRING, true) != NULL;
		if (oci_spec_sysctl_check(cfg, k, true, &e) < 0) {
			oci_spec_problem(c, ip, "%s", e.msg);
			ok = false;
		}
		if (!ok)
			continue;
		oci_config_kv *kv = &m->sysctl[m->n_sysctl++];
		kv->key = strdup(k);
		kv->value = mstr(c, v);
		if (!kv->key)
			c->failed = true;
	}
	/* The runtime's own parser of the profile: one problem, the first, with its path. */
	oci_error serr = OCI_ERROR_INIT;
	json_t *seccomp = json_object_get(linux_, "seccomp");
	if (oci_spec_seccomp_parse(seccomp, &m->seccomp, &serr) < 0)
		oci_spec_problem_msg(c, serr.msg);
	m->mount_label = mstr(c, oci_spec_check(c, linux_, "linux", "mountLabel", V_STRING, false));
	json_t *pers = oci_spec_check(c, linux_, "linux", "personality", V_OBJECT, false);
	json_t *pdj = oci_spec_check(c, pers, "linux.personality", "domain", V_STRING, true);
	const char *pd = json_string_value(pdj);
	if (pd && oci_spec_personality(pd, &m->personality) < 0)
		oci_spec_problem(c, "linux.personality.domain",
				 "unknown domain '%s' (LINUX or LINUX32)", pd);
	else if (pd) {
		m->has_personality = true;
		m->personality_domain = mstr(c, pdj);
	}
	/* The runtime-spec defines no flag ("currently no flag values are supported"): one
	 * given would be ignored, so it is refused. */
	json_t *pflags =
	    oci_spec_check_array_of(c, pers, "linux.personality", "flags", V_STRING, false);
	if (json_array_size(pflags))
		oci_spec_problem(c, "linux.personality.flags",
				 "'%s': the runtime-spec defines no personality flag",
				 json_string_value(json_array_get(pflags, 0))
				     ? json_string_value(json_array_get(pflags, 0))
				     : "?");
	check_net_devices(c, linux_, m);
	m->has_intel_rdt = oci_spec_check(c, linux_, "linux", "intelRdt", V_OBJECT, false) != NULL;
	check_time_offsets(c, linux_, m);
	check_memory_policy(c, linux_, m);
}

static void check_annotations(oci_spec_checker *c, json_t *spec, oci_config *m)
{
	json_t *ann = oci_spec_check(c, spec, "", "annotations", V_OBJECT, false);
	const char *k;
	json_t *v;
	if (json_object_size(ann) &&
	    !(m->annotations = MARRAY(c, json_object_size(ann), oci_config_kv)))
		return;
	json_object_foreach(ann, k, v)
	{
		char ip[1024];
		PATHF(ip, "annotations.%s", k);
		if (!*k)
			oci_spec_problem(c, "annotations", "empty key");
		if (!oci_spec_check_value(c, v, ip, V_STRING, true))
			continue;
		oci_config_kv *kv = &m->annotations[m->n_annotations++];
		kv->key = strdup(k);
		kv->value = mstr(c, v);
		if (!kv->key)
			c->failed = true;
	}
}

int oci_config_load(json_t *spec, int bundle_dirfd, oci_config *out, json_t *problems,
		    oci_error *err)
{
	oci_spec_checker c = {.problems = problems};
	memset(out, 0, sizeof(*out));
	if (!json_is_array(problems))
		return oci_err(err, OCI_E_INTERNAL, "validate: problems must be an array");
	if (!json_is_object(spec)) {
		oci_spec_problem(&c, "", "expected an object");
		return oci_spec_checker_finish(&c, err);
	}
	json_t *ver = oci_spec_check(&c, spec, "", "ociVersion", V_STRING, true);
	if (ver && strncmp(json_string_value(ver), "1.", 2))
		oci_spec_problem(&c, "ociVersion", "'%s' is not a 1.x runtime-spec version",
				 json_string_value(ver));
	out->oci_version = mstr(&c, ver);
	check_root(&c, spec, bundle_dirfd, out);
	check_process(&c, spec, out);
	out->hostname = mstr(&c, oci_spec_check(&c, spec, "", "hostname", V_STRING, false));
	out->domainname = mstr(&c, oci_spec_check(&c, spec, "", "domainname", V_STRING, false));
	check_mounts(&c, spec, out);
	check_hooks_object(&c, oci_spec_check(&c, spec, "", "hooks", V_OBJECT, false), &out->hooks);
	check_linux(&c, spec, out);
	check_annotations(&c, spec, out);
	return oci_spec_checker_finish(&c, err);
}

int oci_spec_validate(json_t *spec, int bundle_dirfd, json_t *problems, oci_error *err)
{
	oci_config cfg;
	int n = oci_config_load(spec, bundle_dirfd, &cfg, problems, err);
	oci_config_release(&cfg);
	return n;
}

int oci_config_load_process(json_t *process, oci_process *out, json_t *problems, oci_error *err)
{
	oci_spec_checker c = {.problems = problems};
	memset(out, 0, sizeof(*out));
	if (!json_is_array(problems))
		return oci_err(err, OCI_E_INTERNAL, "validate: problems must be an array");
	if (oci_spec_check_value(&c, process, "process", V_OBJECT, true))
		check_process_object(&c, process, out);
	return oci_spec_checker_finish(&c, err);
}

int oci_config_load_hooks(json_t *hooks, oci_config_hooks *out, json_t *problems, oci_error *err)
{
	oci_spec_checker c = {.problems = problems};
	memset(out, 0, sizeof(*out));
	if (!json_is_array(problems))
		return oci_err(err, OCI_E_INTERNAL, "validate: problems must be an array");
	if (hooks && oci_spec_check_value(&c, hooks, "hooks", V_OBJECT, false))
		check_hooks_object(&c, hooks, out);
	return oci_spec_checker_finish(&c, err);
}

/* ---- releasing the model ---- */

void oci_config_process_release(oci_process *p)
{
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->user.additional_gids);
	free(p->user.username);
	for (size_t s = 0; s < OCI_CAPS_N; s++)
		strv_free(p->caps[s]);
	for (size_t i = 0; i < p->n_rlimits; i++)
		free(p->rlimits[i].type);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	free(p->exec_cpu_initial);
	free(p->exec_cpu_final);
	memset(p, 0, sizeof(*p));
}

void oci_config_hooks_release(oci_config_hooks *h)
{
	for (size_t k = 0; k < OCI_HOOK_KINDS; k++) {
		for (size_t i = 0; i < h->n[k]; i++) {
			free(h->list[k][i].path);
			strv_free(h->list[k][i].args);
			strv_free(h->list[k][i].env);
		}
		free(h->list[k]);
	}
	memset(h, 0, sizeof(*h));
}

static void kv_free(oci_config_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void oci_config_release(oci_config *c)
{
	free(c->oci_version);
	free(c->root_path);
	oci_config_process_release(&c->process);
	free(c->hostname);
	free(c->domainname);
	for (size_t i = 0; i < c->n_mounts; i++) {
		oci_config_mount *m = &c->mounts[i];
		free(m->destination);
		free(m->type);
		free(m->source);
		strv_free(m->options);
		free(m->uid_mappings);
		free(m->gid_mappings);
	}
	free(c->mounts);
	oci_config_hooks_release(&c->hooks);
	kv_free(c->annotations, c->n_annotations);
	oci_config_linux *l = &c->linux_;
	for (size_t i = 0; i < l->n_namespaces; i++)
		free(l->namespaces[i].path);
	free(l->namespaces);
	free(l->uid_mappings);
	free(l->gid_mappings);
	for (size_t i = 0; i < l->n_devices; i++)
		free(l->devices[i].path);
	free(l->devices);
	free(l->cgroups_path);
	oci_resources_release(&l->resources);
	kv_free(l->sysctl, l->n_sysctl);
	oci_spec_seccomp_free(l->seccomp);
	free(l->rootfs_propagation);
	strv_free(l->masked_paths);
	strv_free(l->readonly_paths);
	free(l->mount_label);
	free(l->personality_domain);
	kv_free(l->net_devices, l->n_net_devices);
	for (size_t i = 0; i < l->n_time_offsets; i++)
		free(l->time_offsets[i].clock);
	free(l->time_offsets);
	free(l->memory_policy.nodes_list);
	memset(c, 0, sizeof(*c));
}

int oci_config_report(json_t *problems, int n, const char *what, oci_error *err)
{
	char all[OCI_ERR_MSG_MAX];
	size_t used = 0, k;
	json_t *p;
	all[0] = '\0';
	json_array_foreach(problems, k, p)
	{
		int w = snprintf(all + used, sizeof(all) - used, "%s%s", k ? "; " : "",
				 json_string_value(p));
		if (w < 0 || (size_t)w >= sizeof(all) - used)
			break;
		used += (size_t)w;
	}
	if (n == 1)
		return oci_err(err, OCI_E_INVALID, "%s: %s", what, all);
	return oci_err(err, OCI_E_INVALID, "%s: %d problems: %s", what, n, all);
}

const char *oci_config_env_get(char *const *env, const char *key)
{
	size_t n = strlen(key);
	for (; env && *env; env++)
		if (!strncmp(*env, key, n) && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}
