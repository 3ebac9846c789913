/* linux.seccomp, translated the way runc translates it, so a profile written for runc (the
 * ones podman and containerd generate) filters the same syscalls here.
 *
 * The filter is built by the runtime before it clones the init, from the typed profile the
 * validation made (common/spec_seccomp.c): a bad profile is one error line naming its JSON
 * path while nothing exists yet, and libseccomp's BPF generation is exported into memory the
 * init inherits, so the init itself only makes one seccomp(2) call (see run/init.c for when)
 * and needs no libseccomp state of its own. In front of libseccomp's program goes runc's
 * -ENOSYS stub: with a refusing default action, a syscall numbered above every syscall the
 * profile names is newer than the profile, and returns ENOSYS (libc then falls back, clone3
 * to clone) instead of the default's EPERM.
 *
 * SCMP_ACT_NOTIFY: the init (or exec's process) gets the notify fd from seccomp(2), hands it
 * to the runtime over the sync socket and waits; the runtime sends it to the agent at
 * listenerPath with runc's ContainerProcessState JSON, then lets the process go on.
 *
 * libseccomp needs ~13 ms for podman's default profile on x86_64 (three architectures),
 * more than a whole `run` of oci-run: the generated program is cached under the state root,
 * keyed by a canonical text of the typed profile, libseccomp's version and the kernel. */
#include "run/seccomp.h"

#include <dirent.h>
#include <linux/audit.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/spec_seccomp.h"
#include "common/spec.h"
#include "common/util.h"
#include "run/sync.h"

static void ctx_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* Whether this kernel accepts a filter flag: with a NULL program a known flag fails with
 * EFAULT (the copy), an unknown one with EINVAL before that. */
static bool flag_supported(unsigned int flag)
{
	/* WAIT_KILLABLE_RECV is refused without a listener, whatever the kernel knows. */
	if (flag & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
		flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

/* One rule of the profile: every name gets the same action and conditions. When two
 * conditions test the same argument they become separate rules (runc's behaviour: libseccomp
 * would AND them, which for the same argument rarely means what the profile says). */
static int add_rule(scmp_filter_ctx ctx, const oci_config_seccomp_rule *r, size_t at,
		    uint32_t default_action, oci_error *err)
{
	unsigned per_index[OCI_SECCOMP_MAX_ARGS] = {0};
	bool separate = false;
	for (size_t j = 0; j < r->n_args; j++)
		separate |= ++per_index[r->args[j].arg] > 1;
	/* A rule that repeats the default action changes nothing (libseccomp refuses it). */
	if (r->action == default_action)
		return 0;
	for (size_t i = 0; i < r->n_names; i++) {
		const char *name = r->names[i];
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) {
			/* A syscall this libseccomp does not know: the kernel most likely does not
			 * either. runc skips it too, so profiles stay portable. */
			log_debug("seccomp: unknown syscall '%s' skipped", name);
			continue;
		}
		int rc = 0;
		if (!separate) {
			rc = seccomp_rule_add_array(ctx, r->action, nr, (unsigned)r->n_args,
						    r->args);
		} else {
			for (size_t j = 0; j < r->n_args && rc == 0; j++)
				rc = seccomp_rule_add_array(ctx, r->action, nr, 1, &r->args[j]);
		}
		if (rc < 0)
			return oci_err(err, OCI_E_INVALID,
				       "linux.seccomp.syscalls[%zu]: syscall '%s': %s", at, name,
				       strerror(-rc));
	}
	return 0;
}

/* runc's -ENOSYS stub, put in front of the program: for each architecture of the filter,
 * a syscall numbered above the largest one the profile names gets ENOSYS. Only with a
 * refusing default (allow, log and trace let a new syscall through anyway) that is not
 * already ENOSYS. x32 syscalls (x86_64 with bit 30) go straight to the filter; s390's
 * multiplexer, syscall 0, is what an unknown large syscall becomes there, so it is ENOSYS. */
#define STUB_MAX 96
static size_t enosys_stub(const oci_config_seccomp *s, const uint32_t *archs, size_t narchs,
			  struct sock_filter *out)
{
	uint32_t d = s->default_action;
	if (d == SCMP_ACT_ALLOW || d == SCMP_ACT_LOG || (d & 0xffff0000U) == SCMP_ACT_TRACE(0) ||
	    d == SCMP_ACT_ERRNO(ENOSYS))
		return 0;
	size_t n = 0;
	for (size_t k = 0; k < narchs; k++) {
		uint32_t arch = archs[k];
		if (arch == SCMP_ARCH_X32 || n + 8 > STUB_MAX)
			continue;
		int max = -1;
		for (size_t i = 0; i < s->n_rules; i++)
			for (size_t j = 0; j < s->rules[i].n_names; j++) {
				int nr =
				    seccomp_syscall_resolve_name_arch(arch, s->rules[i].names[j]);
				if (nr > max)
					max = nr;
			}
		if (max < 0)
			continue;
		bool x86_64 = arch == AUDIT_ARCH_X86_64,
		     s390 = arch == AUDIT_ARCH_S390 || arch == AUDIT_ARCH_S390X;
		/* load arch; not this one: on to the next block */
		unsigned char rest = (unsigned char)(4 + x86_64 + s390);
		out[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
							offsetof(struct seccomp_data, arch));
		out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, rest);
		out[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
							offsetof(struct seccomp_data, nr));
		if (x86_64) /* to the final jump into the filter */
			out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
								0x40000000U, 2, 0);
		if (s390) /* to the ENOSYS return */
			out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0);
		out[n++] =
		    (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)max, 0, 1);
		out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
							SECCOMP_RET_ERRNO | (ENOSYS & 0xffff));
		out[n++] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 0); /* k set below */
	}
	/* Every block ends in a jump to the first instruction after the stub. */
	for (size_t i = 0; i < n; i++)
		if (out[i].code == (BPF_JMP | BPF_JA))
			out[i].k = (uint32_t)(n - i - 1);
	return n;
}

/* A program as the kernel takes it (the stub, if any, then data): whole instructions, 1 to
 * BPF_MAXINSNS of them. */
static int set_program(oci_seccomp *out, const struct sock_filter *stub, size_t nstub,
		       const void *data, size_t size, oci_error *err)
{
	size_t n = size / sizeof(struct sock_filter) + nstub;
	if (size % sizeof(struct sock_filter) || n == 0 || n > BPF_MAXINSNS)
		return oci_err(
		    err, OCI_E_LIMIT,
		    "linux.seccomp: the filter has %zu instructions (the kernel takes 1 to %d)", n,
		    BPF_MAXINSNS);
	out->insns = oci_malloc(n * sizeof(struct sock_filter), err);
	if (!out->insns)
		return -1;
	if (nstub)
		memcpy(out->insns, stub, nstub * sizeof(struct sock_filter));
	memcpy(out->insns + nstub, data, size);
	out->len = (unsigned short)n;
	return 0;
}

/* libseccomp writes the program to an fd: a memfd keeps it in memory. */
static int export_bpf(scmp_filter_ctx ctx, const struct sock_filter *stub, size_t nstub,
		      oci_seccomp *out, oci_error *err)
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
	return set_program(out, stub, nstub, buf, size, err);
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

static const char cache_magic[OCI_SECCOMP_CACHE_MAGIC_LEN] = "oci-run-bpf-v2\n";

static void cache_key_release(cache_key *k)
{
	free(k->text);
}

/* The canonical text of what the program depends on: the default action, the architectures
 * and the rules in order, every name length-prefixed so no two profiles read the same. */
static char *canonical(const oci_config_seccomp *s, oci_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return oci_err_errno(err, errno, "seccomp: open_memstream"), NULL;
	fprintf(f, "default %08x archs", s->default_action);
	for (size_t i = 0; i < s->n_archs; i++)
		fprintf(f, " %08x", s->archs[i]);
	for (size_t i = 0; i < s->n_rules; i++) {
		const oci_config_seccomp_rule *r = &s->rules[i];
		fprintf(f, "\nrule %08x", r->action);
		for (size_t j = 0; j < r->n_names; j++)
			fprintf(f, " %zu:%s", strlen(r->names[j]), r->names[j]);
		for (size_t j = 0; j < r->n_args; j++)
			fprintf(f, " arg%u:%d:%llx:%llx", r->args[j].arg, (int)r->args[j].op,
				(unsigned long long)r->args[j].datum_a,
				(unsigned long long)r->args[j].datum_b);
	}
	if (fclose(f) != 0 || !buf) {
		free(buf);
		return oci_err(err, OCI_E_INTERNAL, "seccomp: cannot serialise the profile"), NULL;
	}
	return buf;
}

static int cache_key_make(const oci_config_seccomp *s, cache_key *k, oci_error *err)
{
	memset(k, 0, sizeof(*k));
	cleanup_free char *canon = canonical(s, err);
	if (!canon)
		return -1;
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
	if (set_program(out, NULL, 0, buf + head, size - head, NULL) < 0) {
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

/* The syscalls the process itself makes between seccomp(2) and the runtime holding the notify
 * fd: they must not wait for an agent that has no fd yet. runc refuses write for the same
 * reason; here the fd travels with sendmsg(2), and the wait for the runtime's answer (recvmsg)
 * may be notified: the agent has the fd by then. */
static const char *const handoff_syscalls[] = {"sendmsg"};

static int check_notify(const oci_config_seccomp *s, oci_error *err)
{
	if (!s->notify)
		return 0;
	for (size_t i = 0; i < s->n_rules; i++) {
		if (s->rules[i].action != SCMP_ACT_NOTIFY)
			continue;
		for (size_t j = 0; j < s->rules[i].n_names; j++)
			for (size_t k = 0; k < ARRAY_SIZE(handoff_syscalls); k++)
				if (!strcmp(s->rules[i].names[j], handoff_syscalls[k]))
					return oci_err(
					    err, OCI_E_UNSUPPORTED,
					    "linux.seccomp.syscalls[%zu]: SCMP_ACT_NOTIFY "
					    "cannot be used for %s: oci-run hands the "
					    "notify fd to the agent with it",
					    i, handoff_syscalls[k]);
	}
	if (!flag_supported(SECCOMP_FILTER_FLAG_NEW_LISTENER))
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "linux.seccomp: SCMP_ACT_NOTIFY is not supported by this kernel "
			       "(seccomp user notification needs Linux 5.0)");
	return 0;
}

int oci_seccomp_compile(const oci_config_seccomp *s, int cache_rootfd, oci_seccomp *out,
			oci_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return 0;
	if (check_notify(s, err) < 0)
		return -1;
	unsigned int fl = 0;
	for (size_t k = 0; k < oci_spec_seccomp_n_flags; k++) {
		const oci_spec_seccomp_name *f = &oci_spec_seccomp_flags[k];
		if (!(s->flags & f->value))
			continue;
		if (!flag_supported(f->value))
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "linux.seccomp.flags: %s is not supported by this kernel",
				       f->name);
		fl |= f->value;
	}
	if (s->notify) {
		fl |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		/* The kernel takes TSYNC with a listener only when TSYNC reports by ESRCH. */
		if (fl & SECCOMP_FILTER_FLAG_TSYNC)
			fl |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	}
	size_t nnames = 0;
	for (size_t i = 0; i < s->n_rules; i++)
		nnames += s->rules[i].n_names;

	__attribute__((cleanup(cache_key_release))) cache_key key = {0};
	if (cache_rootfd >= 0 && cache_key_make(s, &key, err) < 0)
		return -1;
	if (key.text && cache_read(cache_rootfd, &key, out)) {
		out->flags = fl;
		return 0;
	}

	__attribute__((cleanup(ctx_releasep))) scmp_filter_ctx ctx =
	    seccomp_init(s->default_action);
	if (!ctx)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "linux.seccomp.defaultAction: not supported by this kernel");
	/* The stub's architectures: the native one, then the profile's, each once. */
	uint32_t archs[64];
	size_t narchs = 0;
	archs[narchs++] = seccomp_arch_native();
	for (size_t k = 0; k < s->n_archs; k++) {
		/* -EDOM: another byte order or word size than the native one cannot share a filter.
		 */
		int rc = seccomp_arch_add(ctx, s->archs[k]);
		if (rc < 0 && rc != -EEXIST) {
			const char *name = "?";
			for (size_t a = 0; a < oci_spec_seccomp_n_archs; a++)
				if (oci_spec_seccomp_archs[a].value == s->archs[k])
					name = oci_spec_seccomp_archs[a].name;
			return oci_err(
			    err, OCI_E_UNSUPPORTED,
			    "linux.seccomp.architectures[%zu]: cannot add '%s' to this filter: %s",
			    s->archs_at[k], name,
			    rc == -EDOM ? "not compatible with the native architecture"
					: strerror(-rc));
		}
		bool dup = false;
		for (size_t a = 0; a < narchs; a++)
			dup |= archs[a] == s->archs[k];
		if (!dup && narchs < ARRAY_SIZE(archs))
			archs[narchs++] = s->archs[k];
	}
	/* The kernel walks a binary tree instead of a list of every syscall: cheaper syscalls in
	 * the container for long profiles (libseccomp <= 2.5.4 misbehaves with it on an empty
	 * rule set; runc counts entries, but podman's profile has few entries of many names). */
	if (nnames > 32)
		seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (size_t i = 0; i < s->n_rules; i++)
		if (add_rule(ctx, &s->rules[i], i, s->default_action, err) < 0)
			return -1;
	struct sock_filter stub[STUB_MAX];
	size_t nstub = enosys_stub(s, archs, narchs, stub);
	if (export_bpf(ctx, stub, nstub, out, err) < 0)
		return -1;
	out->flags = fl;
	if (key.text)
		cache_write(cache_rootfd, &key, out);
	return 0;
}

int oci_seccomp_load(const oci_seccomp *s, int *notify_fd, oci_error *err)
{
	if (notify_fd)
		*notify_fd = -1;
	if (!s || !s->insns)
		return 0;
	struct sock_fprog prog = {.len = s->len, .filter = s->insns};
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, s->flags, &prog);
	if (r < 0)
		return oci_err_errno(err, errno, "cannot load the seccomp filter");
	if ((s->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) && notify_fd)
		*notify_fd = (int)r;
	return 0;
}

int oci_seccomp_handoff(int sync, int notify_fd, oci_error *err)
{
	if (notify_fd < 0)
		return 0;
	/* One sendmsg, then a wait the agent may serve: nothing else in between. */
	int r = oci_sync_send(sync, OCI_SYNC_SECCOMP, NULL, 0, notify_fd, err);
	if (r == 0)
		r = oci_sync_expect(sync, OCI_SYNC_SECCOMP_DONE, NULL, 0, NULL, err);
	close(notify_fd);
	return r;
}

int oci_seccomp_send_listener(const oci_config_seccomp *s, pid_t pid, const char *state_json,
			      int notify_fd, oci_error *err)
{
	static const char path[] = "linux.seccomp.listenerPath";
	json_error_t je;
	cleanup_json json_t *state = json_loads(state_json, 0, &je);
	cleanup_json json_t *msg = json_pack(
	    "{s:s,s:[s],s:I,s:s,s:O}", "ociVersion", OCI_RUNTIME_SPEC_VERSION, "fds", "seccompFd",
	    "pid", (json_int_t)pid, "metadata", s->listener_metadata ? s->listener_metadata : "",
	    "state", state ? state : json_null());
	cleanup_free char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	if (!state || !text)
		return oci_err(err, OCI_E_INTERNAL, "seccomp: cannot build the agent's message");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(s->listener_path) >= sizeof(sa.sun_path))
		return oci_err(err, OCI_E_LIMIT, "%s: too long", path);
	strcpy(sa.sun_path, s->listener_path);
	cleanup_close int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return oci_err_errno(err, errno, "seccomp: socket");
	/* An agent that accepts nothing must not hang create for ever. */
	struct timeval tv = {.tv_sec = 10};
	setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int r;
	do
		r = connect(sock, (struct sockaddr *)&sa, sizeof(sa));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return oci_err_errno(err, errno, "%s: cannot connect to the seccomp agent at '%s'",
				     path, s->listener_path);
	size_t len = strlen(text);
	ssize_t n = oci_send_with_fd(sock, text, len, notify_fd);
	if (n < 0)
		return oci_err_errno(err, errno,
				     "%s: cannot send the notify fd to the agent at '%s'", path,
				     s->listener_path);
	/* The rest of a long message, without the fd. */
	for (size_t done = (size_t)n; done < len;) {
		ssize_t w = send(sock, text + done, len - done, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return oci_err_errno(err, errno ? errno : EIO,
					     "%s: cannot send the state to the agent at '%s'", path,
					     s->listener_path);
		done += (size_t)w;
	}
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
