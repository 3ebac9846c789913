/* linux.seccomp, translated the way runc translates it, so a profile written for runc (the
 * ones podman and containerd generate) filters the same syscalls here.
 *
 * The filter is built by the runtime before it clones the init: a bad profile is one error
 * line naming its JSON path while nothing exists yet, and libseccomp's BPF generation is
 * exported into memory the init inherits, so the init itself only makes one seccomp(2) call
 * (it loads the filter late, see run/init.c, and needs no libseccomp state of its own).
 *
 * libseccomp needs ~13 ms for podman's default profile on x86_64 (three architectures),
 * more than a whole `run` of oci-run: the generated program is cached under the state root,
 * keyed by the canonical profile, libseccomp's version and the kernel. The profile is still
 * checked in full on every create; only the BPF generation is skipped. */
#include "run/seccomp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define MAX_SYSCALL_ARGS 6
#define MAX_CONDITIONS	 64 /* per syscalls[] entry: more is not a real profile */
/* Errno values travel in the 16-bit data of SECCOMP_RET_ERRNO and the kernel caps them at
 * MAX_ERRNO: anything above would silently become another errno. */
#define MAX_ERRNO_RET 4095
#define CACHE_DIR     ".seccomp-cache"
#define CACHE_MAX     64 /* entries; a full cache is emptied before the next write */

static const struct {
	const char *name;
	uint32_t action;
	bool takes_errno;
} actions[] = {
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    {"SCMP_ACT_KILL", SCMP_ACT_KILL, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
};

static const struct {
	const char *name;
	enum scmp_compare op;
} operators[] = {
    {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
    {"SCMP_CMP_NE", SCMP_CMP_NE},
};

static const struct {
	const char *name;
	uint32_t arch;
} archs[] = {
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
};

/* WAIT_KILLABLE_RECV is known but only means something with a notify listener. */
static const struct {
	const char *name;
	unsigned int flag;
} flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

static void ctx_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* Whether this kernel accepts a filter flag: with a NULL program a known flag fails with
 * EFAULT (the copy), an unknown one with EINVAL before that. */
static bool flag_supported(unsigned int flag)
{
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

/* An unsigned integer member; absent keeps *out. */
static int get_uint(json_t *obj, const char *path, const char *key, bool required, uint64_t max,
		    uint64_t *out, oci_error *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		if (required)
			return oci_err(err, OCI_E_INVALID, "%s.%s: missing", path, key);
		return 0;
	}
	if (!json_is_integer(v))
		return oci_err(err, OCI_E_INVALID, "%s.%s: expected an unsigned integer", path,
			       key);
	json_int_t n = json_integer_value(v);
	if (n < 0 || (uint64_t)n > max)
		return oci_err(err, OCI_E_INVALID, "%s.%s: %lld out of range (0 to %llu)", path,
			       key, (long long)n, (unsigned long long)max);
	*out = (uint64_t)n;
	return 1;
}

/* obj[akey] (with obj[ekey] as its errno) as a libseccomp action. */
static int parse_action(json_t *obj, const char *path, const char *akey, const char *ekey,
			uint32_t *out, oci_error *err)
{
	json_t *a = json_object_get(obj, akey);
	const char *name = json_string_value(a);
	if (!a)
		return oci_err(err, OCI_E_INVALID, "%s.%s: missing", path, akey);
	if (!name)
		return oci_err(err, OCI_E_INVALID, "%s.%s: expected a string", path, akey);
	if (!strcmp(name, "SCMP_ACT_NOTIFY"))
		return oci_err(err, OCI_E_UNSUPPORTED, "%s.%s: seccomp notify is not supported",
			       path, akey);
	size_t k;
	for (k = 0; k < ARRAY_SIZE(actions); k++)
		if (!strcmp(name, actions[k].name))
			break;
	if (k == ARRAY_SIZE(actions))
		return oci_err(err, OCI_E_INVALID, "%s.%s: unknown action '%s'", path, akey, name);
	uint64_t eno = EPERM;
	int r = get_uint(obj, path, ekey, false, MAX_ERRNO_RET, &eno, err);
	if (r < 0)
		return -1;
	if (r > 0 && !actions[k].takes_errno)
		return oci_err(
		    err, OCI_E_INVALID,
		    "%s.%s: %s takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)", path,
		    ekey, name);
	*out = actions[k].action;
	if (actions[k].takes_errno)
		*out |= (uint32_t)eno;
	return 0;
}

static int parse_arg(json_t *a, const char *path, struct scmp_arg_cmp *c, oci_error *err)
{
	if (!json_is_object(a))
		return oci_err(err, OCI_E_INVALID, "%s: expected an object", path);
	uint64_t index = 0, value = 0, value2 = 0;
	if (get_uint(a, path, "index", true, MAX_SYSCALL_ARGS - 1, &index, err) < 0 ||
	    get_uint(a, path, "value", true, INT64_MAX, &value, err) < 0 ||
	    get_uint(a, path, "valueTwo", false, INT64_MAX, &value2, err) < 0)
		return -1;
	const char *op = json_string_value(json_object_get(a, "op"));
	if (!json_object_get(a, "op"))
		return oci_err(err, OCI_E_INVALID, "%s.op: missing", path);
	if (!op)
		return oci_err(err, OCI_E_INVALID, "%s.op: expected a string", path);
	size_t k;
	for (k = 0; k < ARRAY_SIZE(operators); k++)
		if (!strcmp(op, operators[k].name))
			break;
	if (k == ARRAY_SIZE(operators))
		return oci_err(err, OCI_E_INVALID, "%s.op: unknown operator '%s'", path, op);
	/* For SCMP_CMP_MASKED_EQ value is the mask and valueTwo the value, as in runc. */
	*c = (struct scmp_arg_cmp){
	    .arg = (unsigned)index, .op = operators[k].op, .datum_a = value, .datum_b = value2};
	return 0;
}

/* One syscalls[] entry: every name gets the same action and conditions. When two conditions
 * test the same argument they become separate rules (runc's behaviour: libseccomp would AND
 * them, which for the same argument rarely means what the profile says). With ctx NULL the
 * entry is only checked. */
static int add_syscalls(scmp_filter_ctx ctx, json_t *entry, const char *path,
			uint32_t default_action, oci_error *err)
{
	if (!json_is_object(entry))
		return oci_err(err, OCI_E_INVALID, "%s: expected an object", path);
	json_t *names = json_object_get(entry, "names");
	if (!names)
		return oci_err(err, OCI_E_INVALID, "%s.names: missing", path);
	if (!json_is_array(names))
		return oci_err(err, OCI_E_INVALID, "%s.names: expected an array", path);
	uint32_t action;
	if (parse_action(entry, path, "action", "errnoRet", &action, err) < 0)
		return -1;
	json_t *args = json_object_get(entry, "args");
	if (args && !json_is_null(args) && !json_is_array(args))
		return oci_err(err, OCI_E_INVALID, "%s.args: expected an array", path);
	size_t nargs = json_array_size(args);
	if (nargs > MAX_CONDITIONS)
		return oci_err(err, OCI_E_LIMIT, "%s.args: more than %d conditions", path,
			       MAX_CONDITIONS);
	struct scmp_arg_cmp conds[MAX_CONDITIONS];
	unsigned per_index[MAX_SYSCALL_ARGS] = {0};
	bool separate = false;
	for (size_t j = 0; j < nargs; j++) {
		char ap[300];
		snprintf(ap, sizeof(ap), "%s.args[%zu]", path, j);
		if (parse_arg(json_array_get(args, j), ap, &conds[j], err) < 0)
			return -1;
		separate |= ++per_index[conds[j].arg] > 1;
	}
	size_t i;
	json_t *n;
	json_array_foreach(names, i, n)
	{
		const char *name = json_string_value(n);
		if (!name)
			return oci_err(err, OCI_E_INVALID, "%s.names[%zu]: expected a string", path,
				       i);
		if (!ctx)
			continue;
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) {
			/* A syscall this libseccomp does not know: the kernel most likely does not
			 * either. runc skips it too, so profiles stay portable. */
			log_debug("seccomp: unknown syscall '%s' skipped", name);
			continue;
		}
		/* A rule that repeats the default action changes nothing (libseccomp refuses it).
		 */
		if (action == default_action)
			continue;
		int rc = 0;
		if (!separate) {
			rc = seccomp_rule_add_array(ctx, action, nr, (unsigned)nargs, conds);
		} else {
			for (size_t j = 0; j < nargs && rc == 0; j++)
				rc = seccomp_rule_add_array(ctx, action, nr, 1, &conds[j]);
		}
		if (rc < 0)
			return oci_err(err, OCI_E_INVALID, "%s: syscall '%s': %s", path, name,
				       strerror(-rc));
	}
	return 0;
}

/* A program as the kernel takes it: whole instructions, 1 to BPF_MAXINSNS of them. */
static int set_program(oci_seccomp *out, const void *data, size_t size, oci_error *err)
{
	size_t n = size / sizeof(struct sock_filter);
	if (size % sizeof(struct sock_filter) || n == 0 || n > BPF_MAXINSNS)
		return oci_err(
		    err, OCI_E_LIMIT,
		    "linux.seccomp: the filter has %zu instructions (the kernel takes 1 to %d)", n,
		    BPF_MAXINSNS);
	out->insns = oci_malloc(size, err);
	if (!out->insns)
		return -1;
	memcpy(out->insns, data, size);
	out->len = (unsigned short)n;
	return 0;
}

/* libseccomp writes the program to an fd: a memfd keeps it in memory. */
static int export_bpf(scmp_filter_ctx ctx, oci_seccomp *out, oci_error *err)
{
	cleanup_close int fd = memfd_create("oci-run-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return oci_err_errno(err, errno, "seccomp: memfd_create");
	int rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		return oci_err(err, OCI_E_INVALID, "linux.seccomp: cannot generate the filter: %s",
			       strerror(-rc));
	struct stat st;
	if (fstat(fd, &st) < 0)
		return oci_err_errno(err, errno, "seccomp: fstat");
	if (st.st_size <= 0 || st.st_size > (off_t)(BPF_MAXINSNS * sizeof(struct sock_filter)))
		return oci_err(
		    err, OCI_E_LIMIT,
		    "linux.seccomp: the filter has %lld instructions (the kernel takes 1 to %d)",
		    (long long)st.st_size / (long long)sizeof(struct sock_filter), BPF_MAXINSNS);
	size_t size = (size_t)st.st_size;
	cleanup_free char *buf = oci_malloc(size, err);
	if (!buf)
		return -1;
	if (pread(fd, buf, size, 0) != (ssize_t)size)
		return oci_err_errno(err, errno ? errno : EIO,
				     "seccomp: cannot read the filter back");
	return set_program(out, buf, size, err);
}

/* The cache key is the text of everything the generated program depends on: the canonical
 * profile, libseccomp's version, the kernel. A cache file holds the key in full before the
 * program and is used only when its key is the same text, so the file name can come from a
 * cheap hash (no collision can select another profile's program) and no crypto library has
 * to start up on every create. */
typedef struct cache_key {
	char *text;
	size_t len;
	char name[32];
} cache_key;

static const char cache_magic[16] = "oci-run-bpf-v1\n";

static void cache_key_release(cache_key *k)
{
	free(k->text);
}

static int cache_key_make(json_t *seccomp, cache_key *k, oci_error *err)
{
	memset(k, 0, sizeof(*k));
	cleanup_free char *canon = json_dumps(seccomp, JSON_COMPACT | JSON_SORT_KEYS);
	if (!canon)
		return oci_err(err, OCI_E_INTERNAL, "seccomp: cannot serialise the profile");
	const struct scmp_version *v = seccomp_version();
	struct utsname u;
	uname(&u);
	k->text = oci_asprintf(err, "oci-run %s libseccomp %u.%u.%u %s %s\n%s", OCI_VERSION,
			       v->major, v->minor, v->micro, u.machine, u.release, canon);
	if (!k->text)
		return -1;
	k->len = strlen(k->text);
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	for (size_t i = 0; i < k->len; i++)
		h = (h ^ (unsigned char)k->text[i]) * 0x100000001b3ULL;
	snprintf(k->name, sizeof(k->name), "%016llx", (unsigned long long)h);
	return 0;
}

/* A cached program, trusted only from a regular file of ours that nobody else may write,
 * holding exactly our key and a plausible program. Anything else is a miss. */
static bool cache_read(int rootfd, const cache_key *k, oci_seccomp *out)
{
	cleanup_close int dfd =
	    openat(rootfd, CACHE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return false;
	cleanup_close int fd = openat(dfd, k->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	size_t head = sizeof(cache_magic) + k->len;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) || (size_t)st.st_size <= head ||
	    (size_t)st.st_size > head + BPF_MAXINSNS * sizeof(struct sock_filter))
		return false;
	size_t size = (size_t)st.st_size;
	cleanup_free char *buf = malloc(size);
	if (!buf || pread(fd, buf, size, 0) != (ssize_t)size ||
	    memcmp(buf, cache_magic, sizeof(cache_magic)) ||
	    memcmp(buf + sizeof(cache_magic), k->text, k->len))
		return false;
	if (set_program(out, buf + head, size - head, NULL) < 0) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	return true;
}

/* Best effort: a cache that cannot be written only costs the next create some time. */
static void cache_write(int rootfd, const cache_key *k, const oci_seccomp *s)
{
	if (mkdirat(rootfd, CACHE_DIR, 0700) < 0 && errno != EEXIST)
		return;
	cleanup_close int dfd =
	    openat(rootfd, CACHE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (dfd < 0 || fstat(dfd, &st) < 0 || st.st_uid != geteuid())
		return;
	/* Bounded: profiles that change with every container must not fill the state root. */
	DIR *d = fdopendir(dup(dfd));
	if (d) {
		size_t n = 0;
		struct dirent *de;
		while ((de = readdir(d)))
			n += de->d_name[0] != '.';
		if (n >= CACHE_MAX) {
			rewinddir(d);
			while ((de = readdir(d)))
				if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
					unlinkat(dfd, de->d_name, 0);
		}
		closedir(d);
	}
	size_t prog = s->len * sizeof(struct sock_filter),
	       size = sizeof(cache_magic) + k->len + prog;
	cleanup_free char *buf = malloc(size);
	if (!buf)
		return;
	memcpy(buf, cache_magic, sizeof(cache_magic));
	memcpy(buf + sizeof(cache_magic), k->text, k->len);
	memcpy(buf + sizeof(cache_magic) + k->len, s->insns, prog);
	/* Atomic: a concurrent create reads the old file, the new one, or none. */
	char tmp[64];
	snprintf(tmp, sizeof(tmp), ".%s.%d", k->name, (int)getpid());
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	bool ok = oci_write_all(fd, buf, size, NULL) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || renameat(dfd, tmp, dfd, k->name) < 0) {
		log_debug("seccomp: cache not written");
		unlinkat(dfd, tmp, 0);
	}
}

int oci_seccomp_compile(json_t *seccomp, int cache_rootfd, oci_seccomp *out, oci_error *err)
{
	static const char path[] = "linux.seccomp";
	memset(out, 0, sizeof(*out));
	if (!seccomp || json_is_null(seccomp))
		return 0;
	if (!json_is_object(seccomp))
		return oci_err(err, OCI_E_INVALID, "%s: expected an object", path);
	json_t *lp = json_object_get(seccomp, "listenerPath");
	if (lp && !json_is_null(lp) && !json_is_string(lp))
		return oci_err(err, OCI_E_INVALID, "%s.listenerPath: expected a string", path);
	if (json_string_length(lp) > 0)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "%s.listenerPath: seccomp notify is not supported", path);

	uint32_t def;
	if (parse_action(seccomp, path, "defaultAction", "defaultErrnoRet", &def, err) < 0)
		return -1;
	unsigned int fl = 0;
	size_t i;
	json_t *v;
	json_t *jflags = json_object_get(seccomp, "flags");
	if (jflags && !json_is_null(jflags) && !json_is_array(jflags))
		return oci_err(err, OCI_E_INVALID, "%s.flags: expected an array", path);
	json_array_foreach(jflags, i, v)
	{
		const char *name = json_string_value(v);
		if (!name)
			return oci_err(err, OCI_E_INVALID, "%s.flags[%zu]: expected a string", path,
				       i);
		size_t k;
		for (k = 0; k < ARRAY_SIZE(flags); k++)
			if (!strcmp(name, flags[k].name))
				break;
		if (k == ARRAY_SIZE(flags))
			return oci_err(err, OCI_E_INVALID, "%s.flags[%zu]: unknown flag '%s'", path,
				       i, name);
		if (flags[k].flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
			return oci_err(
			    err, OCI_E_UNSUPPORTED,
			    "%s.flags[%zu]: %s needs seccomp notify, which is not supported", path,
			    i, name);
		if (!flag_supported(flags[k].flag))
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "%s.flags[%zu]: %s is not supported by this kernel", path, i,
				       name);
		fl |= flags[k].flag;
	}
	json_t *jarchs = json_object_get(seccomp, "architectures");
	if (jarchs && !json_is_null(jarchs) && !json_is_array(jarchs))
		return oci_err(err, OCI_E_INVALID, "%s.architectures: expected an array", path);
	size_t arch_list[ARRAY_SIZE(archs)]; /* indexes in archs[] */
	size_t arch_at[ARRAY_SIZE(archs)];   /* and in linux.seccomp.architectures */
	size_t narch = 0;
	json_array_foreach(jarchs, i, v)
	{
		const char *name = json_string_value(v);
		if (!name)
			return oci_err(err, OCI_E_INVALID,
				       "%s.architectures[%zu]: expected a string", path, i);
		size_t k;
		for (k = 0; k < ARRAY_SIZE(archs); k++)
			if (!strcmp(name, archs[k].name))
				break;
		if (k == ARRAY_SIZE(archs))
			return oci_err(err, OCI_E_INVALID,
				       "%s.architectures[%zu]: unknown architecture '%s'", path, i,
				       name);
		bool dup = false;
		for (size_t d = 0; d < narch; d++)
			dup |= arch_list[d] == k;
		if (!dup) {
			arch_at[narch] = i;
			arch_list[narch++] = k;
		}
	}
	json_t *calls = json_object_get(seccomp, "syscalls");
	if (calls && !json_is_null(calls) && !json_is_array(calls))
		return oci_err(err, OCI_E_INVALID, "%s.syscalls: expected an array", path);
	size_t nnames = 0;
	json_array_foreach(calls, i, v)
	{
		char sp[64];
		snprintf(sp, sizeof(sp), "%s.syscalls[%zu]", path, i);
		if (add_syscalls(NULL, v, sp, def, err) < 0)
			return -1;
		nnames += json_array_size(json_object_get(v, "names"));
	}

	__attribute__((cleanup(cache_key_release))) cache_key key = {0};
	if (cache_rootfd >= 0 && cache_key_make(seccomp, &key, err) < 0)
		return -1;
	if (key.text && cache_read(cache_rootfd, &key, out)) {
		out->flags = fl;
		return 0;
	}

	__attribute__((cleanup(ctx_releasep))) scmp_filter_ctx ctx = seccomp_init(def);
	if (!ctx)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "%s.defaultAction: not supported by this kernel", path);
	for (size_t k = 0; k < narch; k++) {
		/* -EDOM: another byte order or word size than the native one cannot share a filter.
		 */
		int rc = seccomp_arch_add(ctx, archs[arch_list[k]].arch);
		if (rc < 0 && rc != -EEXIST)
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "%s.architectures[%zu]: cannot add '%s' to this filter: %s",
				       path, arch_at[k], archs[arch_list[k]].name,
				       rc == -EDOM ? "not compatible with the native architecture"
						   : strerror(-rc));
	}
	/* The kernel walks a binary tree instead of a list of every syscall: cheaper syscalls in
	 * the container for long profiles (libseccomp <= 2.5.4 misbehaves with it on an empty
	 * rule set; runc counts entries, but podman's profile has few entries of many names). */
	if (nnames > 32)
		seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	json_array_foreach(calls, i, v)
	{
		char sp[64];
		snprintf(sp, sizeof(sp), "%s.syscalls[%zu]", path, i);
		if (add_syscalls(ctx, v, sp, def, err) < 0)
			return -1;
	}
	if (export_bpf(ctx, out, err) < 0)
		return -1;
	out->flags = fl;
	if (key.text)
		cache_write(cache_rootfd, &key, out);
	return 0;
}

int oci_seccomp_load(const oci_seccomp *s, oci_error *err)
{
	if (!s || !s->insns)
		return 0;
	struct sock_fprog prog = {.len = s->len, .filter = s->insns};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, s->flags, &prog) < 0)
		return oci_err_errno(err, errno, "cannot load the seccomp filter");
	return 0;
}

void oci_seccomp_release(oci_seccomp *s)
{
	free(s->insns);
	memset(s, 0, sizeof(*s));
}

json_t *oci_seccomp_features(void)
{
	json_t *f = json_object(), *a = json_array(), *o = json_array(), *ar = json_array(),
	       *kf = json_array(), *sf = json_array();
	if (!f || !a || !o || !ar || !kf || !sf) {
		json_t *all[] = {f, a, o, ar, kf, sf};
		for (size_t k = 0; k < ARRAY_SIZE(all); k++)
			json_decref(all[k]);
		return NULL;
	}
	for (size_t k = 0; k < ARRAY_SIZE(actions); k++)
		json_array_append_new(a, json_string(actions[k].name));
	for (size_t k = 0; k < ARRAY_SIZE(operators); k++)
		json_array_append_new(o, json_string(operators[k].name));
	for (size_t k = 0; k < ARRAY_SIZE(archs); k++)
		json_array_append_new(ar, json_string(archs[k].name));
	for (size_t k = 0; k < ARRAY_SIZE(flags); k++) {
		if (flags[k].flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
			continue;
		json_array_append_new(kf, json_string(flags[k].name));
		if (flag_supported(flags[k].flag))
			json_array_append_new(sf, json_string(flags[k].name));
	}
	json_object_set_new(f, "enabled", json_true());
	json_object_set_new(f, "actions", a);
	json_object_set_new(f, "operators", o);
	json_object_set_new(f, "archs", ar);
	json_object_set_new(f, "knownFlags", kf);
	json_object_set_new(f, "supportedFlags", sf);
	return f;
}
