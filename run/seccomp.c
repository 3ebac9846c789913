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
#include "common/spec_seccomp.h"
#include "common/util.h"

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

/* One syscalls[] entry (already checked by oci_spec_seccomp_check): every name gets the same
 * action and conditions. When two conditions test the same argument they become separate
 * rules (runc's behaviour: libseccomp would AND them, which for the same argument rarely means
 * what the profile says). */
static int add_syscalls(scmp_filter_ctx ctx, json_t *entry, const char *path,
			uint32_t default_action, oci_error *err)
{
	json_t *names = json_object_get(entry, "names");
	uint32_t action;
	if (oci_spec_seccomp_action(entry, path, "action", "errnoRet", &action, err) < 0)
		return -1;
	json_t *args = json_object_get(entry, "args");
	size_t nargs = json_array_size(args);
	if (nargs > OCI_SECCOMP_MAX_CONDITIONS)
		return oci_err(err, OCI_E_LIMIT, "%s.args: more than %d conditions", path,
			       OCI_SECCOMP_MAX_CONDITIONS);
	struct scmp_arg_cmp conds[OCI_SECCOMP_MAX_CONDITIONS];
	unsigned per_index[OCI_SECCOMP_MAX_ARGS] = {0};
	bool separate = false;
	for (size_t j = 0; j < nargs; j++) {
		char ap[300];
		snprintf(ap, sizeof(ap), "%s.args[%zu]", path, j);
		if (oci_spec_seccomp_arg(json_array_get(args, j), ap, &conds[j], err) < 0)
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

static const char cache_magic[OCI_SECCOMP_CACHE_MAGIC_LEN] = "oci-run-bpf-v1\n";

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
	    openat(rootfd, OCI_SECCOMP_CACHE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
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
	if (mkdirat(rootfd, OCI_SECCOMP_CACHE_DIR, 0700) < 0 && errno != EEXIST)
		return;
	cleanup_close int dfd =
	    openat(rootfd, OCI_SECCOMP_CACHE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
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
		if (n >= OCI_SECCOMP_CACHE_MAX) {
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
	/* The same check as oci_spec_validate's: what follows only needs the kernel. */
	if (oci_spec_seccomp_check(seccomp, err) < 0)
		return -1;
	uint32_t def;
	if (oci_spec_seccomp_action(seccomp, path, "defaultAction", "defaultErrnoRet", &def, err) <
	    0)
		return -1;
	unsigned int fl = 0;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(seccomp, "flags"), i, v)
	{
		const oci_spec_seccomp_name *f = oci_spec_seccomp_lookup(
		    oci_spec_seccomp_flags, oci_spec_seccomp_n_flags, json_string_value(v));
		if (!f)
			return oci_err(err, OCI_E_INTERNAL, "%s.flags[%zu]: unknown", path, i);
		if (!flag_supported(f->value))
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "%s.flags[%zu]: %s is not supported by this kernel", path, i,
				       f->name);
		fl |= f->value;
	}
	/* Each architecture once, remembering where the profile named it. */
	const oci_spec_seccomp_name *arch_list[32];
	size_t arch_at[32];
	size_t narch = 0;
	json_array_foreach(json_object_get(seccomp, "architectures"), i, v)
	{
		const oci_spec_seccomp_name *a = oci_spec_seccomp_lookup(
		    oci_spec_seccomp_archs, oci_spec_seccomp_n_archs, json_string_value(v));
		if (!a)
			return oci_err(err, OCI_E_INTERNAL, "%s.architectures[%zu]: unknown", path,
				       i);
		bool dup = false;
		for (size_t d = 0; d < narch; d++)
			dup |= arch_list[d] == a;
		if (!dup && narch < ARRAY_SIZE(arch_list)) {
			arch_at[narch] = i;
			arch_list[narch++] = a;
		}
	}
	json_t *calls = json_object_get(seccomp, "syscalls");
	size_t nnames = 0;
	json_array_foreach(calls, i, v) nnames += json_array_size(json_object_get(v, "names"));

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
		int rc = seccomp_arch_add(ctx, arch_list[k]->value);
		if (rc < 0 && rc != -EEXIST)
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "%s.architectures[%zu]: cannot add '%s' to this filter: %s",
				       path, arch_at[k], arch_list[k]->name,
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
	for (size_t k = 0; k < oci_spec_seccomp_n_actions; k++)
		json_array_append_new(a, json_string(oci_spec_seccomp_actions[k].name));
	for (size_t k = 0; k < oci_spec_seccomp_n_operators; k++)
		json_array_append_new(o, json_string(oci_spec_seccomp_operators[k].name));
	for (size_t k = 0; k < oci_spec_seccomp_n_archs; k++)
		json_array_append_new(ar, json_string(oci_spec_seccomp_archs[k].name));
	for (size_t k = 0; k < oci_spec_seccomp_n_flags; k++) {
		const oci_spec_seccomp_name *fl = &oci_spec_seccomp_flags[k];
		if (fl->value == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
			continue;
		json_array_append_new(kf, json_string(fl->name));
		if (flag_supported(fl->value))
			json_array_append_new(sf, json_string(fl->name));
	}
	json_object_set_new(f, "enabled", json_true());
	json_object_set_new(f, "actions", a);
	json_object_set_new(f, "operators", o);
	json_object_set_new(f, "archs", ar);
	json_object_set_new(f, "knownFlags", kf);
	json_object_set_new(f, "supportedFlags", sf);
	return f;
}
