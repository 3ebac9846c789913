/* Validation of config.json: the runtime-spec schema's types for the keys we know, and the
 * rules the schema cannot express (absolute paths, known namespaces without duplicates, id
 * mappings for a user namespace, rlimit and capability names, an existing rootfs). Every
 * problem is collected with its JSON path, so a user fixes them all in one go; oci-run create
 * refuses a config with any. Unknown keys are ignored, as the spec asks. */
#include "common/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <unistd.h>

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

static const char *const rlimits[] = {
    "RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",	   "RLIMIT_DATA",
    "RLIMIT_FSIZE",  "RLIMIT_LOCKS",  "RLIMIT_MEMLOCK",	   "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",   "RLIMIT_NOFILE", "RLIMIT_NPROC",	   "RLIMIT_RSS",
    "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK",
};

/* The collector: problems go into a JSON array; an allocation failure stops everything. Past
 * MAX_LISTED problems they are only counted, so a hostile config cannot make the list (and
 * the one-line error of create) grow without bound. */
#define MAX_LISTED 100

struct vctx {
	json_t *problems;
	int n;
	bool failed;
};

__attribute__((format(printf, 3, 4))) static void problem(struct vctx *c, const char *path,
							  const char *fmt, ...)
{
	if (c->n >= MAX_LISTED) {
		c->n++;
		return;
	}
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	char *s = NULL;
	if (asprintf(&s, "%s: %s", path && *path ? path : "(root)", msg) < 0) {
		c->failed = true;
		return;
	}
	/* json_string refuses invalid UTF-8 (a hostile key echoed back): fall back to a copy
	 * that keeps only ASCII. */
	json_t *js = json_string(s);
	if (!js) {
		for (char *p = s; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		js = json_string(s);
	}
	free(s);
	if (!js || json_array_append_new(c->problems, js) < 0)
		c->failed = true;
	c->n++;
}

/* A message that already starts with its JSON path (from a parser shared with the runtime). */
static void problem_msg(struct vctx *c, const char *msg)
{
	const char *colon = strstr(msg, ": ");
	char path[1024];
	if (!colon || (size_t)(colon - msg) >= sizeof(path)) {
		problem(c, "", "%s", msg);
		return;
	}
	snprintf(path, sizeof(path), "%.*s", (int)(colon - msg), msg);
	problem(c, path, "%s", colon + 2);
}

enum vtype { V_STRING, V_BOOL, V_OBJECT, V_ARRAY, V_INT, V_UINT32, V_INT32, V_UINT64, V_INT64 };

static const char *type_name(enum vtype t)
{
	switch (t) {
	case V_STRING:
		return "a string";
	case V_BOOL:
		return "a boolean";
	case V_OBJECT:
		return "an object";
	case V_ARRAY:
		return "an array";
	case V_INT:
	case V_INT64:
		return "an integer";
	case V_UINT32:
		return "an integer from 0 to 4294967295";
	case V_INT32:
		return "a 32-bit integer";
	case V_UINT64:
		return "a non-negative integer";
	}
	return "?";
}

static bool type_ok(json_t *v, enum vtype t)
{
	switch (t) {
	case V_STRING:
		return json_is_string(v);
	case V_BOOL:
		return json_is_boolean(v);
	case V_OBJECT:
		return json_is_object(v);
	case V_ARRAY:
		return json_is_array(v);
	case V_INT:
	case V_INT64:
		return json_is_integer(v);
	case V_UINT32:
		return json_is_integer(v) && json_integer_value(v) >= 0 &&
		       json_integer_value(v) <= 4294967295LL;
	case V_INT32:
		return json_is_integer(v) && json_integer_value(v) >= -2147483648LL &&
		       json_integer_value(v) <= 2147483647LL;
	case V_UINT64:
		return json_is_integer(v) && json_integer_value(v) >= 0;
	}
	return false;
}

/* Check a value at path; returns it when present and of the right type, else NULL (with a
 * problem recorded when it is present but wrong, or required and missing). */
static json_t *check_value(struct vctx *c, json_t *v, const char *path, enum vtype t, bool required)
{
	if (!v) {
		if (required)
			problem(c, path, "missing (%s is required)", type_name(t));
		return NULL;
	}
	if (!type_ok(v, t)) {
		problem(c, path, "expected %s", type_name(t));
		return NULL;
	}
	return v;
}

static json_t *check(struct vctx *c, json_t *obj, const char *path, const char *key, enum vtype t,
		     bool required)
{
	char kp[1024];
	if (!obj)
		return NULL;
	snprintf(kp, sizeof(kp), "%s%s%s", path, *path ? "." : "", key);
	return check_value(c, json_object_get(obj, key), kp, t, required);
}

#define PATHF(buf, ...) snprintf(buf, sizeof(buf), __VA_ARGS__)

/* An array whose items must all be of type t; returns the array when it is one. */
static json_t *check_array_of(struct vctx *c, json_t *obj, const char *path, const char *key,
			      enum vtype t, bool required)
{
	char ip[1024];
	size_t i;
	json_t *v, *arr = check(c, obj, path, key, V_ARRAY, required);
	json_array_foreach(arr, i, v)
	{
		PATHF(ip, "%s%s%s[%zu]", path, *path ? "." : "", key, i);
		check_value(c, v, ip, t, true);
	}
	return arr;
}

static void check_abs_path(struct vctx *c, json_t *v, const char *path)
{
	const char *s = json_string_value(v);
	if (s && s[0] != '/')
		problem(c, path, "'%s' is not an absolute path", s);
}

static void check_env(struct vctx *c, json_t *obj, const char *path, const char *key)
{
	char ip[1024];
	size_t i;
	json_t *v, *arr = check_array_of(c, obj, path, key, V_STRING, false);
	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(v);
		PATHF(ip, "%s.%s[%zu]", path, key, i);
		if (s && (!strchr(s, '=') || s[0] == '='))
			problem(c, ip, "'%s' is not KEY=VALUE", s);
	}
}

static void check_process(struct vctx *c, json_t *spec)
{
	char ip[1024];
	size_t i;
	json_t *v, *process = check(c, spec, "", "process", V_OBJECT, false);
	if (!process)
		return;
	check(c, process, "process", "terminal", V_BOOL, false);
	json_t *cs = check(c, process, "process", "consoleSize", V_OBJECT, false);
	check(c, cs, "process.consoleSize", "height", V_UINT32, true);
	check(c, cs, "process.consoleSize", "width", V_UINT32, true);
	json_t *cwd = check(c, process, "process", "cwd", V_STRING, true);
	check_abs_path(c, cwd, "process.cwd");
	check_env(c, process, "process", "env");
	json_t *args = check_array_of(c, process, "process", "args", V_STRING, true);
	if (args && json_array_size(args) == 0)
		problem(c, "process.args", "must not be empty");
	json_t *user = check(c, process, "process", "user", V_OBJECT, true);
	check(c, user, "process.user", "uid", V_UINT32, true);
	check(c, user, "process.user", "gid", V_UINT32, true);
	check(c, user, "process.user", "umask", V_UINT32, false);
	json_t *gids = check(c, user, "process.user", "additionalGids", V_ARRAY, false);
	if (json_array_size(gids) > NGROUPS_MAX)
		/* The kernel takes no more; the init must not even try to hold them. */
		problem(c, "process.user.additionalGids",
			"%zu groups, more than the kernel's limit of %d", json_array_size(gids),
			NGROUPS_MAX);
	else
		check_array_of(c, user, "process.user", "additionalGids", V_UINT32, false);
	check(c, user, "process.user", "username", V_STRING, false);

	json_t *caps = check(c, process, "process", "capabilities", V_OBJECT, false);
	static const char *const sets[] = {"bounding", "effective", "inheritable", "permitted",
					   "ambient"};
	for (size_t s = 0; caps && s < ARRAY_SIZE(sets); s++) {
		json_t *arr =
		    check_array_of(c, caps, "process.capabilities", sets[s], V_STRING, false);
		json_array_foreach(arr, i, v)
		{
			char norm[64];
			const char *name = json_string_value(v);
			PATHF(ip, "process.capabilities.%s[%zu]", sets[s], i);
			if (name && (strncmp(name, "CAP_", 4) ||
				     oci_spec_capability_name(name, norm, sizeof(norm)) < 0 ||
				     strcmp(norm, name)))
				problem(c, ip, "unknown capability '%s'", name);
		}
	}

	json_t *rl = check(c, process, "process", "rlimits", V_ARRAY, false);
	json_array_foreach(rl, i, v)
	{
		PATHF(ip, "process.rlimits[%zu]", i);
		if (!check_value(c, v, ip, V_OBJECT, true))
			continue;
		json_t *type = check(c, v, ip, "type", V_STRING, true);
		check(c, v, ip, "soft", V_UINT64, true);
		check(c, v, ip, "hard", V_UINT64, true);
		const char *t = json_string_value(type);
		if (!t)
			continue;
		bool known = false;
		for (size_t k = 0; k < ARRAY_SIZE(rlimits); k++)
			known |= !strcmp(t, rlimits[k]);
		if (!known)
			problem(c, ip, "unknown rlimit type '%s'", t);
		json_t *w;
		for (size_t j = 0; j < i; j++) {
			w = json_array_get(rl, j);
			const char *o = json_string_value(json_object_get(w, "type"));
			if (o && !strcmp(o, t)) {
				problem(c, ip, "rlimit '%s' given twice", t);
				break;
			}
		}
		json_t *soft = json_object_get(v, "soft"), *hard = json_object_get(v, "hard");
		if (json_is_integer(soft) && json_is_integer(hard) &&
		    json_integer_value(soft) >= 0 && json_integer_value(hard) >= 0 &&
		    json_integer_value(soft) > json_integer_value(hard))
			problem(c, ip, "soft limit above the hard limit");
	}
	check(c, process, "process", "noNewPrivileges", V_BOOL, false);
	check(c, process, "process", "apparmorProfile", V_STRING, false);
	check(c, process, "process", "selinuxLabel", V_STRING, false);
	json_t *oom = check(c, process, "process", "oomScoreAdj", V_INT, false);
	if (oom && (json_integer_value(oom) < -1000 || json_integer_value(oom) > 1000))
		problem(c, "process.oomScoreAdj", "must be between -1000 and 1000");
}

static void check_root(struct vctx *c, json_t *spec, int bundle_dirfd)
{
	struct stat st;
	json_t *root = check(c, spec, "", "root", V_OBJECT, true);
	json_t *path = check(c, root, "root", "path", V_STRING, true);
	check(c, root, "root", "readonly", V_BOOL, false);
	const char *p = json_string_value(path);
	if (!p)
		return;
	if (!*p) {
		problem(c, "root.path", "must not be empty");
		return;
	}
	if (bundle_dirfd < 0 && p[0] != '/')
		return;
	if (fstatat(p[0] == '/' ? AT_FDCWD : bundle_dirfd, p, &st, 0) < 0)
		problem(c, "root.path", "'%s': %s", p, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		problem(c, "root.path", "'%s' is not a directory", p);
}

static void check_mounts(struct vctx *c, json_t *spec)
{
	char ip[1024];
	size_t i;
	json_t *m, *mounts = check(c, spec, "", "mounts", V_ARRAY, false);
	json_array_foreach(mounts, i, m)
	{
		PATHF(ip, "mounts[%zu]", i);
		if (!check_value(c, m, ip, V_OBJECT, true))
			continue;
		char dp[1100];
		PATHF(dp, "%s.destination", ip);
		check_abs_path(c, check(c, m, ip, "destination", V_STRING, true), dp);
		check(c, m, ip, "type", V_STRING, false);
		check(c, m, ip, "source", V_STRING, false);
		json_t *opts = check_array_of(c, m, ip, "options", V_STRING, false), *o;
		size_t j, total = 0;
		json_array_foreach(opts, j, o) total += json_string_length(o) + 1;
		if (total > OCI_SPEC_MOUNT_DATA_MAX) {
			char op[1100];
			PATHF(op, "%s.options", ip);
			problem(c, op, "%zu bytes together, more than a mount takes (%d)",
				total - 1, OCI_SPEC_MOUNT_DATA_MAX - 1);
		}
		check(c, m, ip, "uidMappings", V_ARRAY, false);
		check(c, m, ip, "gidMappings", V_ARRAY, false);
	}
}

static void check_hooks(struct vctx *c, json_t *spec)
{
	char ip[1024];
	json_t *hooks = check(c, spec, "", "hooks", V_OBJECT, false);
	for (size_t k = 0; hooks && k < oci_spec_n_hook_kinds; k++) {
		size_t i;
		json_t *h, *arr = check(c, hooks, "hooks", oci_spec_hook_kinds[k], V_ARRAY, false);
		json_array_foreach(arr, i, h)
		{
			PATHF(ip, "hooks.%s[%zu]", oci_spec_hook_kinds[k], i);
			if (!check_value(c, h, ip, V_OBJECT, true))
				continue;
			char pp[1100];
			PATHF(pp, "%s.path", ip);
			check_abs_path(c, check(c, h, ip, "path", V_STRING, true), pp);
			check_array_of(c, h, ip, "args", V_STRING, false);
			check_env(c, h, ip, "env");
			json_t *t = check(c, h, ip, "timeout", V_INT, false);
			if (t && json_integer_value(t) <= 0)
				problem(c, ip, "timeout must be greater than zero");
		}
	}
}

static void check_mappings(struct vctx *c, json_t *obj, const char *path, const char *key)
{
	char ip[1024];
	size_t i;
	json_t *m, *arr = check(c, obj, path, key, V_ARRAY, false);
	json_array_foreach(arr, i, m)
	{
		PATHF(ip, "%s.%s[%zu]", path, key, i);
		if (!check_value(c, m, ip, V_OBJECT, true))
			continue;
		check(c, m, ip, "containerID", V_UINT32, true);
		check(c, m, ip, "hostID", V_UINT32, true);
		json_t *size = check(c, m, ip, "size", V_UINT32, true);
		if (size && json_integer_value(size) == 0)
			problem(c, ip, "size must not be zero");
	}
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
static void check_mapped(struct vctx *c, json_t *spec, json_t *maps, const char *which,
			 const char *path)
{
	json_t *user = json_object_get(json_object_get(spec, "process"), "user"), *v;
	size_t i;
	if (!json_is_array(maps) || !json_array_size(maps) || !json_is_object(user))
		return;
	json_t *id = json_object_get(user, which);
	if (json_is_integer(id) && !id_mapped(maps, json_integer_value(id)))
		problem(c, which[0] == 'u' ? "process.user.uid" : "process.user.gid",
			"%" JSON_INTEGER_FORMAT " is not mapped by %s", json_integer_value(id),
			path);
	if (!strcmp(which, "gid")) {
		json_array_foreach(json_object_get(user, "additionalGids"), i, v)
		{
			char ip[64];
			PATHF(ip, "process.user.additionalGids[%zu]", i);
			if (json_is_integer(v) && !id_mapped(maps, json_integer_value(v)))
				problem(c, ip, "%" JSON_INTEGER_FORMAT " is not mapped by %s",
					json_integer_value(v), path);
		}
	}
}

/* The kernel's own ceilings (NR_CPUS with MAXSMP, MAX_NUMNODES); the host's possible CPUs
 * and nodes lower them when /sys tells. */
#define CPUSET_MAX_CPUS	 8192
#define CPUSET_MAX_NODES 1024

/* The highest number in a sysfs list like "0-3,8" (the host's possible CPUs), or -1. */
static long sysfs_list_max(const char *file)
{
	char buf[256];
	cleanup_close int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	long max = -1;
	for (char *p = buf; *p;) {
		if (*p >= '0' && *p <= '9') {
			long v = strtol(p, &p, 10);
			if (v > max)
				max = v;
		} else {
			p++;
		}
	}
	return max;
}

/* A cpuset list ("0-3,8"): ranges low to high, every number a CPU (node) this kernel can
 * have, so cpuset.cpus does not refuse it after the cgroup exists. */
static void check_cpuset(struct vctx *c, json_t *v, const char *path, const char *what,
			 const char *sysfs, long ceiling)
{
	const char *s = json_string_value(v);
	if (!s || !*s)
		return;
	long max = sysfs_list_max(sysfs);
	if (max < 0 || max >= ceiling)
		max = ceiling - 1;
	for (const char *p = s;;) {
		char *end;
		if (*p < '0' || *p > '9')
			goto bad;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;
		p = end;
		if (*p == '-') {
			if (p[1] < '0' || p[1] > '9')
				goto bad;
			hi = strtoul(p + 1, &end, 10);
			p = end;
		}
		if (lo > hi) {
			problem(c, path, "'%s': range %lu-%lu goes down", s, lo, hi);
			return;
		}
		if (hi > (unsigned long)max) {
			problem(c, path, "'%s': %s %lu does not exist (the highest is %ld)", s,
				what, hi, max);
			return;
		}
		if (!*p)
			return;
		if (*p++ != ',')
			goto bad;
	}
bad:
	problem(c, path, "'%s' is not a list like 0-3,5", s);
}

static void check_resources(struct vctx *c, json_t *linux_)
{
	char ip[1024];
	size_t i;
	json_t *d, *res = check(c, linux_, "linux", "resources", V_OBJECT, false);
	if (!res)
		return;
	json_t *devs = check(c, res, "linux.resources", "devices", V_ARRAY, false);
	json_array_foreach(devs, i, d)
	{
		PATHF(ip, "linux.resources.devices[%zu]", i);
		if (!check_value(c, d, ip, V_OBJECT, true))
			continue;
		check(c, d, ip, "allow", V_BOOL, true);
		json_t *type = check(c, d, ip, "type", V_STRING, false);
		const char *t = json_string_value(type);
		if (t && strcmp(t, "a") && strcmp(t, "b") && strcmp(t, "c"))
			problem(c, ip, "device type '%s' is not a, b or c", t);
		check(c, d, ip, "major", V_INT64, false);
		check(c, d, ip, "minor", V_INT64, false);
		const char *a = json_string_value(check(c, d, ip, "access", V_STRING, false));
		if (a && (!*a || strspn(a, "rwm") != strlen(a)))
			problem(c, ip, "access '%s' is not made of r, w and m", a);
	}
	json_t *mem = check(c, res, "linux.resources", "memory", V_OBJECT, false);
	static const char *const memk[] = {"limit", "reservation", "swap", "kernel", "kernelTCP"};
	for (size_t k = 0; mem && k < ARRAY_SIZE(memk); k++) {
		json_t *v = check(c, mem, "linux.resources.memory", memk[k], V_INT64, false);
		/* -1 is "unlimited" (runc, docker); anything lower no cgroup version takes. */
		if (v && json_integer_value(v) < -1) {
			PATHF(ip, "linux.resources.memory.%s", memk[k]);
			problem(c, ip, "%" JSON_INTEGER_FORMAT " is negative (-1 means unlimited)",
				json_integer_value(v));
		}
	}
	check(c, mem, "linux.resources.memory", "swappiness", V_UINT64, false);
	check(c, mem, "linux.resources.memory", "disableOOMKiller", V_BOOL, false);
	json_t *cpu = check(c, res, "linux.resources", "cpu", V_OBJECT, false);
	check(c, cpu, "linux.resources.cpu", "shares", V_UINT64, false);
	check(c, cpu, "linux.resources.cpu", "quota", V_INT64, false);
	check(c, cpu, "linux.resources.cpu", "period", V_UINT64, false);
	check(c, cpu, "linux.resources.cpu", "realtimeRuntime", V_INT64, false);
	check(c, cpu, "linux.resources.cpu", "realtimePeriod", V_UINT64, false);
	check_cpuset(c, check(c, cpu, "linux.resources.cpu", "cpus", V_STRING, false),
		     "linux.resources.cpu.cpus", "CPU", "/sys/devices/system/cpu/possible",
		     CPUSET_MAX_CPUS);
	check_cpuset(c, check(c, cpu, "linux.resources.cpu", "mems", V_STRING, false),
		     "linux.resources.cpu.mems", "memory node", "/sys/devices/system/node/possible",
		     CPUSET_MAX_NODES);
	json_t *pids = check(c, res, "linux.resources", "pids", V_OBJECT, false);
	check(c, pids, "linux.resources.pids", "limit", V_INT64, true);
	check(c, res, "linux.resources", "blockIO", V_OBJECT, false);
	check(c, res, "linux.resources", "hugepageLimits", V_ARRAY, false);
	check(c, res, "linux.resources", "network", V_OBJECT, false);
	check(c, res, "linux.resources", "unified", V_OBJECT, false);
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

/* The linux.namespaces entry of a type, or NULL. */
static json_t *namespace_entry(json_t *spec, const char *type)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(json_object_get(spec, "linux"), "namespaces"), i, v)
	{
		const char *t = json_string_value(json_object_get(v, "type"));
		if (t && !strcmp(t, type))
			return v;
	}
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

int oci_spec_sysctl_check(json_t *spec, const char *key, bool check_paths, oci_error *err)
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
	json_t *entry = namespace_entry(spec, ns);
	if (!entry)
		return oci_err(err, OCI_E_UNSAFE,
			       "needs its own %s namespace: without one it would "
			       "be set on the host",
			       ns);
	const char *path = json_string_value(json_object_get(entry, "path"));
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

static void check_linux(struct vctx *c, json_t *spec)
{
	char ip[1024];
	size_t i;
	json_t *v, *linux_ = check(c, spec, "", "linux", V_OBJECT, false);
	bool new_userns = false, has_uts = false;
	if (!linux_)
		return;
	json_t *ns = check(c, linux_, "linux", "namespaces", V_ARRAY, false);
	json_array_foreach(ns, i, v)
	{
		PATHF(ip, "linux.namespaces[%zu]", i);
		if (!check_value(c, v, ip, V_OBJECT, true))
			continue;
		const char *t = json_string_value(check(c, v, ip, "type", V_STRING, true));
		json_t *path = check(c, v, ip, "path", V_STRING, false);
		char pp[1100];
		PATHF(pp, "%s.path", ip);
		check_abs_path(c, path, pp);
		if (!t)
			continue;
		if (!oci_spec_namespace_known(t)) {
			problem(c, ip, "unknown namespace type '%s'", t);
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			const char *o =
			    json_string_value(json_object_get(json_array_get(ns, j), "type"));
			if (o && !strcmp(o, t)) {
				problem(c, ip, "namespace '%s' given twice", t);
				break;
			}
		}
		if (!strcmp(t, "user") && !path)
			new_userns = true;
		if (!strcmp(t, "uts"))
			has_uts = true;
	}
	check_mappings(c, linux_, "linux", "uidMappings");
	check_mappings(c, linux_, "linux", "gidMappings");
	json_t *um = json_object_get(linux_, "uidMappings"),
	       *gm = json_object_get(linux_, "gidMappings");
	if (new_userns) {
		if (!json_is_array(um) || !json_array_size(um))
			problem(c, "linux.uidMappings",
				"a new user namespace needs at least one uid mapping");
		if (!json_is_array(gm) || !json_array_size(gm))
			problem(c, "linux.gidMappings",
				"a new user namespace needs at least one gid mapping");
		check_mapped(c, spec, um, "uid", "linux.uidMappings");
		check_mapped(c, spec, gm, "gid", "linux.gidMappings");
	} else {
		if (json_array_size(um))
			problem(c, "linux.uidMappings",
				"uid mappings given without a new user namespace");
		if (json_array_size(gm))
			problem(c, "linux.gidMappings",
				"gid mappings given without a new user namespace");
	}
	const char *host = json_string_value(json_object_get(spec, "hostname"));
	if (host && *host && !has_uts)
		problem(c, "hostname", "setting the hostname needs a new uts namespace");
	if (host && strlen(host) > OCI_SPEC_HOSTNAME_MAX)
		problem(c, "hostname", "%zu bytes, longer than the kernel takes (%d)", strlen(host),
			OCI_SPEC_HOSTNAME_MAX);
	const char *dom = json_string_value(json_object_get(spec, "domainname"));
	if (dom && *dom && !has_uts)
		problem(c, "domainname", "setting the domainname needs a new uts namespace");
	if (dom && strlen(dom) > OCI_SPEC_HOSTNAME_MAX)
		problem(c, "domainname", "%zu bytes, longer than the kernel takes (%d)",
			strlen(dom), OCI_SPEC_HOSTNAME_MAX);

	json_t *devs = check(c, linux_, "linux", "devices", V_ARRAY, false);
	json_array_foreach(devs, i, v)
	{
		PATHF(ip, "linux.devices[%zu]", i);
		if (!check_value(c, v, ip, V_OBJECT, true))
			continue;
		char pp[1100];
		PATHF(pp, "%s.path", ip);
		check_abs_path(c, check(c, v, ip, "path", V_STRING, true), pp);
		const char *t = json_string_value(check(c, v, ip, "type", V_STRING, true));
		if (t && strcmp(t, "c") && strcmp(t, "b") && strcmp(t, "u") && strcmp(t, "p"))
			problem(c, ip, "device type '%s' is not c, b, u or p", t);
		bool need_nums = t && strcmp(t, "p") != 0;
		check(c, v, ip, "major", V_INT64, need_nums);
		check(c, v, ip, "minor", V_INT64, need_nums);
		check(c, v, ip, "fileMode", V_UINT32, false);
		check(c, v, ip, "uid", V_UINT32, false);
		check(c, v, ip, "gid", V_UINT32, false);
	}
	check_resources(c, linux_);
	const char *cgp =
	    json_string_value(check(c, linux_, "linux", "cgroupsPath", V_STRING, false));
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
			problem(c, "linux.cgroupsPath", "'..' not allowed");
		if (strlen(cgp) > OCI_SPEC_CGROUPS_PATH_MAX)
			problem(c, "linux.cgroupsPath", "longer than %d bytes",
				OCI_SPEC_CGROUPS_PATH_MAX);
	}
	const char *prop =
	    json_string_value(check(c, linux_, "linux", "rootfsPropagation", V_STRING, false));
	static const char *const props[] = {"private", "rprivate", "shared",	 "rshared",
					    "slave",   "rslave",   "unbindable", "runbindable"};
	if (prop && *prop) {
		bool ok = false;
		for (size_t k = 0; k < ARRAY_SIZE(props); k++)
			ok |= !strcmp(prop, props[k]);
		if (!ok)
			problem(c, "linux.rootfsPropagation", "unknown propagation '%s'", prop);
	}
	static const char *const pathlists[] = {"maskedPaths", "readonlyPaths"};
	for (size_t k = 0; k < ARRAY_SIZE(pathlists); k++) {
		json_t *arr = check_array_of(c, linux_, "linux", pathlists[k], V_STRING, false);
		json_array_foreach(arr, i, v)
		{
			PATHF(ip, "linux.%s[%zu]", pathlists[k], i);
			check_abs_path(c, v, ip);
		}
	}
	json_t *sysctl = check(c, linux_, "linux", "sysctl", V_OBJECT, false);
	const char *k;
	json_object_foreach(sysctl, k, v)
	{
		oci_error e = OCI_ERROR_INIT;
		PATHF(ip, "linux.sysctl.%s", k);
		check_value(c, v, ip, V_STRING, true);
		if (oci_spec_sysctl_check(spec, k, true, &e) < 0)
			problem(c, ip, "%s", e.msg);
	}
	/* The runtime's own parser of the profile: one problem, the first, with its path. */
	oci_error serr = OCI_ERROR_INIT;
	if (oci_spec_seccomp_check(json_object_get(linux_, "seccomp"), &serr) < 0)
		problem_msg(c, serr.msg);
	check(c, linux_, "linux", "mountLabel", V_STRING, false);
	json_t *pers = check(c, linux_, "linux", "personality", V_OBJECT, false);
	const char *pd =
	    json_string_value(check(c, pers, "linux.personality", "domain", V_STRING, true));
	unsigned long pval;
	if (pd && oci_spec_personality(pd, &pval) < 0)
		problem(c, "linux.personality.domain", "unknown domain '%s' (LINUX or LINUX32)",
			pd);
	check_array_of(c, pers, "linux.personality", "flags", V_STRING, false);
	check(c, linux_, "linux", "intelRdt", V_OBJECT, false);
	check(c, linux_, "linux", "timeOffsets", V_OBJECT, false);
}

int oci_spec_validate(json_t *spec, int bundle_dirfd, json_t *problems, oci_error *err)
{
	struct vctx c = {.problems = problems};
	if (!json_is_array(problems))
		return oci_err(err, OCI_E_INTERNAL, "validate: problems must be an array");
	if (!json_is_object(spec)) {
		problem(&c, "", "expected an object");
		return c.failed ? oci_err_errno(err, ENOMEM, "cannot allocate") : c.n;
	}
	const char *ver = json_string_value(check(&c, spec, "", "ociVersion", V_STRING, true));
	if (ver && strncmp(ver, "1.", 2))
		problem(&c, "ociVersion", "'%s' is not a 1.x runtime-spec version", ver);
	check_root(&c, spec, bundle_dirfd);
	check_process(&c, spec);
	check(&c, spec, "", "hostname", V_STRING, false);
	check(&c, spec, "", "domainname", V_STRING, false);
	check_mounts(&c, spec);
	check_hooks(&c, spec);
	check_linux(&c, spec);
	json_t *ann = check(&c, spec, "", "annotations", V_OBJECT, false);
	const char *k;
	json_t *v;
	json_object_foreach(ann, k, v)
	{
		char ip[1024];
		PATHF(ip, "annotations.%s", k);
		if (!*k)
			problem(&c, "annotations", "empty key");
		check_value(&c, v, ip, V_STRING, true);
	}
	if (c.n > MAX_LISTED) {
		char more[64];
		snprintf(more, sizeof(more), "(%d more problems not listed)", c.n - MAX_LISTED);
		if (json_array_append_new(problems, json_string(more)) < 0)
			c.failed = true;
	}
	if (c.failed)
		return oci_err_errno(err, ENOMEM, "cannot record validation problems");
	return c.n;
}
