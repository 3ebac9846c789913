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

static const char *const rlimits[] = {
    "RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",	   "RLIMIT_DATA",
    "RLIMIT_FSIZE",  "RLIMIT_LOCKS",  "RLIMIT_MEMLOCK",	   "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",   "RLIMIT_NOFILE", "RLIMIT_NPROC",	   "RLIMIT_RSS",
    "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK",
};

static void check_env(oci_spec_checker *c, json_t *obj, const char *path, const char *key)
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
}

static void check_process(oci_spec_checker *c, json_t *spec)
{
	char ip[1024];
	size_t i;
	json_t *v, *process = oci_spec_check(c, spec, "", "process", V_OBJECT, false);
	if (!process)
		return;
	oci_spec_check(c, process, "process", "terminal", V_BOOL, false);
	json_t *cs = oci_spec_check(c, process, "process", "consoleSize", V_OBJECT, false);
	oci_spec_check(c, cs, "process.consoleSize", "height", V_UINT32, true);
	oci_spec_check(c, cs, "process.consoleSize", "width", V_UINT32, true);
	json_t *cwd = oci_spec_check(c, process, "process", "cwd", V_STRING, true);
	oci_spec_check_abs_path(c, cwd, "process.cwd");
	check_env(c, process, "process", "env");
	json_t *args = oci_spec_check_array_of(c, process, "process", "args", V_STRING, true);
	if (args && json_array_size(args) == 0)
		oci_spec_problem(c, "process.args", "must not be empty");
	json_t *user = oci_spec_check(c, process, "process", "user", V_OBJECT, true);
	oci_spec_check(c, user, "process.user", "uid", V_UINT32, true);
	oci_spec_check(c, user, "process.user", "gid", V_UINT32, true);
	oci_spec_check(c, user, "process.user", "umask", V_UINT32, false);
	json_t *gids = oci_spec_check(c, user, "process.user", "additionalGids", V_ARRAY, false);
	if (json_array_size(gids) > NGROUPS_MAX)
		/* The kernel takes no more; the init must not even try to hold them. */
		oci_spec_problem(c, "process.user.additionalGids",
				 "%zu groups, more than the kernel's limit of %d",
				 json_array_size(gids), NGROUPS_MAX);
	else
		oci_spec_check_array_of(c, user, "process.user", "additionalGids", V_UINT32, false);
	oci_spec_check(c, user, "process.user", "username", V_STRING, false);

	json_t *caps = oci_spec_check(c, process, "process", "capabilities", V_OBJECT, false);
	static const char *const sets[] = {"bounding", "effective", "inheritable", "permitted",
					   "ambient"};
	for (size_t s = 0; caps && s < ARRAY_SIZE(sets); s++) {
		json_t *arr = oci_spec_check_array_of(c, caps, "process.capabilities", sets[s],
						      V_STRING, false);
		json_array_foreach(arr, i, v)
		{
			char norm[64];
			const char *name = json_string_value(v);
			PATHF(ip, "process.capabilities.%s[%zu]", sets[s], i);
			if (name && (strncmp(name, "CAP_", 4) ||
				     oci_spec_capability_name(name, norm, sizeof(norm)) < 0 ||
				     strcmp(norm, name)))
				oci_spec_problem(c, ip, "unknown capability '%s'", name);
		}
	}

	json_t *rl = oci_spec_check(c, process, "process", "rlimits", V_ARRAY, false);
	json_array_foreach(rl, i, v)
	{
		PATHF(ip, "process.rlimits[%zu]", i);
		if (!oci_spec_check_value(c, v, ip, V_OBJECT, true))
			continue;
		json_t *type = oci_spec_check(c, v, ip, "type", V_STRING, true);
		oci_spec_check(c, v, ip, "soft", V_UINT64, true);
		oci_spec_check(c, v, ip, "hard", V_UINT64, true);
		const char *t = json_string_value(type);
		if (!t)
			continue;
		bool known = false;
		for (size_t k = 0; k < ARRAY_SIZE(rlimits); k++)
			known |= !strcmp(t, rlimits[k]);
		if (!known)
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
		json_t *soft = json_object_get(v, "soft"), *hard = json_object_get(v, "hard");
		if (json_is_integer(soft) && json_is_integer(hard) &&
		    json_integer_value(soft) >= 0 && json_integer_value(hard) >= 0 &&
		    json_integer_value(soft) > json_integer_value(hard))
			oci_spec_problem(c, ip, "soft limit above the hard limit");
	}
	oci_spec_check(c, process, "process", "noNewPrivileges", V_BOOL, false);
	oci_spec_check(c, process, "process", "apparmorProfile", V_STRING, false);
	oci_spec_check(c, process, "process", "selinuxLabel", V_STRING, false);
	json_t *oom = oci_spec_check(c, process, "process", "oomScoreAdj", V_INT, false);
	if (oom && (json_integer_value(oom) < -1000 || json_integer_value(oom) > 1000))
		oci_spec_problem(c, "process.oomScoreAdj", "must be between -1000 and 1000");
}

static void check_root(oci_spec_checker *c, json_t *spec, int bundle_dirfd)
{
	struct stat st;
	json_t *root = oci_spec_check(c, spec, "", "root", V_OBJECT, true);
	json_t *path = oci_spec_check(c, root, "root", "path", V_STRING, true);
	oci_spec_check(c, root, "root", "readonly", V_BOOL, false);
	const char *p = json_string_value(path);
	if (!p)
		return;
	if (!*p) {
		oci_spec_problem(c, "root.path", "must not be empty");
		return;
	}
	if (bundle_dirfd < 0 && p[0] != '/')
		return;
	if (fstatat(p[0] == '/' ? AT_FDCWD : bundle_dirfd, p, &st, 0) < 0)
		oci_spec_problem(c, "root.path", "'%s': %s", p, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		oci_spec_problem(c, "root.path", "'%s' is not a directory", p);
}

static void check_mounts(oci_spec_checker *c, json_t *spec)
{
	char ip[1024];
	size_t i;
	json_t *m, *mounts = oci_spec_check(c, spec, "", "mounts", V_ARRAY, false);
	json_array_foreach(mounts, i, m)
	{
		PATHF(ip, "mounts[%zu]", i);
		if (!oci_spec_check_value(c, m, ip, V_OBJECT, true))
			continue;
		char dp[1100];
		PATHF(dp, "%s.destination", ip);
		oci_spec_check_abs_path(c, oci_spec_check(c, m, ip, "destination", V_STRING, true),
					dp);
		oci_spec_check(c, m, ip, "type", V_STRING, false);
		oci_spec_check(c, m, ip, "source", V_STRING, false);
		json_t *opts = oci_spec_check_array_of(c, m, ip, "options", V_STRING, false), *o;
		size_t j, total = 0;
		json_array_foreach(opts, j, o) total += json_string_length(o) + 1;
		if (total > OCI_SPEC_MOUNT_DATA_MAX) {
			char op[1100];
			PATHF(op, "%s.options", ip);
			oci_spec_problem(c, op, "%zu bytes together, more than a mount takes (%d)",
					 total - 1, OCI_SPEC_MOUNT_DATA_MAX - 1);
		}
		oci_spec_check(c, m, ip, "uidMappings", V_ARRAY, false);
		oci_spec_check(c, m, ip, "gidMappings", V_ARRAY, false);
	}
}

static void check_hooks(oci_spec_checker *c, json_t *spec)
{
	char ip[1024];
	json_t *hooks = oci_spec_check(c, spec, "", "hooks", V_OBJECT, false);
	for (size_t k = 0; hooks && k < oci_spec_n_hook_kinds; k++) {
		size_t i;
		json_t *h, *arr = oci_spec_check(c, hooks, "hooks", oci_spec_hook_kinds[k], V_ARRAY,
						 false);
		json_array_foreach(arr, i, h)
		{
			PATHF(ip, "hooks.%s[%zu]", oci_spec_hook_kinds[k], i);
			if (!oci_spec_check_value(c, h, ip, V_OBJECT, true))
				continue;
			char pp[1100];
			PATHF(pp, "%s.path", ip);
			oci_spec_check_abs_path(c, oci_spec_check(c, h, ip, "path", V_STRING, true),
						pp);
			oci_spec_check_array_of(c, h, ip, "args", V_STRING, false);
			check_env(c, h, ip, "env");
			json_t *t = oci_spec_check(c, h, ip, "timeout", V_INT, false);
			if (t && json_integer_value(t) <= 0)
				oci_spec_problem(c, ip, "timeout must be greater than zero");
		}
	}
}

static void check_mappings(oci_spec_checker *c, json_t *obj, const char *path, const char *key)
{
	char ip[1024];
	size_t i;
	json_t *m, *arr = oci_spec_check(c, obj, path, key, V_ARRAY, false);
	json_array_foreach(arr, i, m)
	{
		PATHF(ip, "%s.%s[%zu]", path, key, i);
		if (!oci_spec_check_value(c, m, ip, V_OBJECT, true))
			continue;
		oci_spec_check(c, m, ip, "containerID", V_UINT32, true);
		oci_spec_check(c, m, ip, "hostID", V_UINT32, true);
		json_t *size = oci_spec_check(c, m, ip, "size", V_UINT32, true);
		if (size && json_integer_value(size) == 0)
			oci_spec_problem(c, ip, "size must not be zero");
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

static void check_linux(oci_spec_checker *c, json_t *spec)
{
	char ip[1024];
	size_t i;
	json_t *v, *linux_ = oci_spec_check(c, spec, "", "linux", V_OBJECT, false);
	bool new_userns = false, has_uts = false;
	if (!linux_)
		return;
	json_t *ns = oci_spec_check(c, linux_, "linux", "namespaces", V_ARRAY, false);
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
		if (!oci_spec_namespace_known(t)) {
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
			oci_spec_problem(c, "linux.uidMappings",
					 "a new user namespace needs at least one uid mapping");
		if (!json_is_array(gm) || !json_array_size(gm))
			oci_spec_problem(c, "linux.gidMappings",
					 "a new user namespace needs at least one gid mapping");
		check_mapped(c, spec, um, "uid", "linux.uidMappings");
		check_mapped(c, spec, gm, "gid", "linux.gidMappings");
	} else {
		if (json_array_size(um))
			oci_spec_problem(c, "linux.uidMappings",
					 "uid mappings given without a new user namespace");
		if (json_array_size(gm))
			oci_spec_problem(c, "linux.gidMappings",
					 "gid mappings given without a new user namespace");
	}
	const char *host = json_string_value(json_object_get(spec, "hostname"));
	if (host && *host && !has_uts)
		oci_spec_problem(c, "hostname", "setting the hostname needs a new uts namespace");
	if (host && strlen(host) > OCI_SPEC_HOSTNAME_MAX)
		oci_spec_problem(c, "hostname", "%zu bytes, longer than the kernel takes (%d)",
				 strlen(host), OCI_SPEC_HOSTNAME_MAX);
	const char *dom = json_string_value(json_object_get(spec, "domainname"));
	if (dom && *dom && !has_uts)
		oci_spec_problem(c, "domainname",
				 "setting the domainname needs a new uts namespace");
	if (dom && strlen(dom) > OCI_SPEC_HOSTNAME_MAX)
		oci_spec_problem(c, "domainname", "%zu bytes, longer than the kernel takes (%d)",
				 strlen(dom), OCI_SPEC_HOSTNAME_MAX);

	json_t *devs = oci_spec_check(c, linux_, "linux", "devices", V_ARRAY, false);
	json_array_foreach(devs, i, v)
	{
		PATHF(ip, "linux.devices[%zu]", i);
		if (!oci_spec_check_value(c, v, ip, V_OBJECT, true))
			continue;
		char pp[1100];
		PATHF(pp, "%s.path", ip);
		oci_spec_check_abs_path(c, oci_spec_check(c, v, ip, "path", V_STRING, true), pp);
		const char *t = json_string_value(oci_spec_check(c, v, ip, "type", V_STRING, true));
		if (t && strcmp(t, "c") && strcmp(t, "b") && strcmp(t, "u") && strcmp(t, "p"))
			oci_spec_problem(c, ip, "device type '%s' is not c, b, u or p", t);
		bool need_nums = t && strcmp(t, "p") != 0;
		oci_spec_check(c, v, ip, "major", V_INT64, need_nums);
		oci_spec_check(c, v, ip, "minor", V_INT64, need_nums);
		oci_spec_check(c, v, ip, "fileMode", V_UINT32, false);
		oci_spec_check(c, v, ip, "uid", V_UINT32, false);
		oci_spec_check(c, v, ip, "gid", V_UINT32, false);
	}
	oci_resources res;
	oci_spec_resources_walk(c, json_object_get(linux_, "resources"), &res);
	oci_resources_release(&res);
	const char *cgp =
	    json_string_value(oci_spec_check(c, linux_, "linux", "cgroupsPath", V_STRING, false));
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
	}
	const char *prop = json_string_value(
	    oci_spec_check(c, linux_, "linux", "rootfsPropagation", V_STRING, false));
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
	static const char *const pathlists[] = {"maskedPaths", "readonlyPaths"};
	for (size_t k = 0; k < ARRAY_SIZE(pathlists); k++) {
		json_t *arr =
		    oci_spec_check_array_of(c, linux_, "linux", pathlists[k], V_STRING, false);
		json_array_foreach(arr, i, v)
		{
			PATHF(ip, "linux.%s[%zu]", pathlists[k], i);
			oci_spec_check_abs_path(c, v, ip);
		}
	}
	json_t *sysctl = oci_spec_check(c, linux_, "linux", "sysctl", V_OBJECT, false);
	const char *k;
	json_object_foreach(sysctl, k, v)
	{
		oci_error e = OCI_ERROR_INIT;
		PATHF(ip, "linux.sysctl.%s", k);
		oci_spec_check_value(c, v, ip, V_STRING, true);
		if (oci_spec_sysctl_check(spec, k, true, &e) < 0)
			oci_spec_problem(c, ip, "%s", e.msg);
	}
	/* The runtime's own parser of the profile: one problem, the first, with its path. */
	oci_error serr = OCI_ERROR_INIT;
	if (oci_spec_seccomp_check(json_object_get(linux_, "seccomp"), &serr) < 0)
		oci_spec_problem_msg(c, serr.msg);
	oci_spec_check(c, linux_, "linux", "mountLabel", V_STRING, false);
	json_t *pers = oci_spec_check(c, linux_, "linux", "personality", V_OBJECT, false);
	const char *pd = json_string_value(
	    oci_spec_check(c, pers, "linux.personality", "domain", V_STRING, true));
	unsigned long pval;
	if (pd && oci_spec_personality(pd, &pval) < 0)
		oci_spec_problem(c, "linux.personality.domain",
				 "unknown domain '%s' (LINUX or LINUX32)", pd);
	oci_spec_check_array_of(c, pers, "linux.personality", "flags", V_STRING, false);
	oci_spec_check(c, linux_, "linux", "intelRdt", V_OBJECT, false);
	oci_spec_check(c, linux_, "linux", "timeOffsets", V_OBJECT, false);
}

int oci_spec_validate(json_t *spec, int bundle_dirfd, json_t *problems, oci_error *err)
{
	oci_spec_checker c = {.problems = problems};
	if (!json_is_array(problems))
		return oci_err(err, OCI_E_INTERNAL, "validate: problems must be an array");
	if (!json_is_object(spec)) {
		oci_spec_problem(&c, "", "expected an object");
		return c.failed ? oci_err_errno(err, ENOMEM, "cannot allocate") : c.n;
	}
	const char *ver =
	    json_string_value(oci_spec_check(&c, spec, "", "ociVersion", V_STRING, true));
	if (ver && strncmp(ver, "1.", 2))
		oci_spec_problem(&c, "ociVersion", "'%s' is not a 1.x runtime-spec version", ver);
	check_root(&c, spec, bundle_dirfd);
	check_process(&c, spec);
	oci_spec_check(&c, spec, "", "hostname", V_STRING, false);
	oci_spec_check(&c, spec, "", "domainname", V_STRING, false);
	check_mounts(&c, spec);
	check_hooks(&c, spec);
	check_linux(&c, spec);
	json_t *ann = oci_spec_check(&c, spec, "", "annotations", V_OBJECT, false);
	const char *k;
	json_t *v;
	json_object_foreach(ann, k, v)
	{
		char ip[1024];
		PATHF(ip, "annotations.%s", k);
		if (!*k)
			oci_spec_problem(&c, "annotations", "empty key");
		oci_spec_check_value(&c, v, ip, V_STRING, true);
	}
	return oci_spec_checker_finish(&c, err);
}
