/* CVE-2019-5736: a container process that can open /proc/PID/exe of a runtime process
 * inside it could overwrite the host's runtime binary. Every runtime process that enters a
 * container (create/run's init, exec's process) runs from a sealed memfd copy of the binary
 * (runc's approach), so whatever reaches /proc/PID/exe, even with CAP_SYS_PTRACE or through
 * our binary exec'd again as the container's own process, only ever finds an anonymous,
 * write-sealed file. main() switches before the command does any work; the copy holds only
 * what the kernel and the dynamic loader read (the ELF header, program headers and loaded
 * segments), not the debug information an unstripped build carries after them.
 *
 * The switch is made in place where the kernel allows it (root: PR_SET_MM_EXE_FILE): the
 * read-only and executable mappings of the binary are replaced by the same bytes of the
 * copy, the writable ones (relocated data) by anonymous copies of themselves, and the
 * process's exe becomes the copy, so no mapping of the host's file and no link to it is
 * left, and the loader and libc need not start again. Anywhere else (an unprivileged
 * runtime, a sanitizer build whose checks would flag the copy of the data segment), the
 * process re-executes from the copy, as runc does. */
#include "run/cloned_binary.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/capability.h>
#include <linux/prctl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* 1 once this process is known to run from the sealed copy (an exec starts it at 0). */
static int cloned;

static int is_cloned(void)
{
	if (cloned)
		return 1;
	cleanup_close int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	int seals = fcntl(fd, F_GET_SEALS);
	cloned = seals >= 0 && (seals & SEALS) == SEALS;
	return cloned;
}

static int read_full_at(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n;
	do
		n = pread(fd, buf, len, off);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

/* How many leading bytes of the binary in exe (of size) the kernel and the dynamic loader
 * read: up to the end of the last segment's file image. *hdr gets the ELF header. The whole
 * file (size) when the headers are not what this build itself would be. */
static off_t image_end(int exe, off_t size, ElfW(Ehdr) * hdr)
{
	if (read_full_at(exe, hdr, sizeof(*hdr), 0) < 0 || memcmp(hdr->e_ident, ELFMAG, SELFMAG) ||
	    hdr->e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) ||
	    hdr->e_phentsize != sizeof(ElfW(Phdr)) || hdr->e_phnum == 0 || hdr->e_phnum > 64)
		return size;
	ElfW(Phdr) ph[64];
	size_t phsize = (size_t)hdr->e_phnum * sizeof(ElfW(Phdr));
	if (hdr->e_phoff >= (ElfW(Off))size || phsize > (size_t)size - hdr->e_phoff ||
	    read_full_at(exe, ph, phsize, (off_t)hdr->e_phoff) < 0)
		return size;
	ElfW(Off) end = hdr->e_phoff + phsize;
	for (size_t i = 0; i < hdr->e_phnum; i++) {
		if (ph[i].p_filesz == 0)
			continue;
		if (ph[i].p_offset > (ElfW(Off))size ||
		    ph[i].p_filesz > (ElfW(Off))size - ph[i].p_offset)
			return size;
		if (ph[i].p_offset + ph[i].p_filesz > end)
			end = ph[i].p_offset + ph[i].p_filesz;
	}
	return (off_t)end;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define IN_PLACE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define IN_PLACE 0
#endif
#endif
#ifndef IN_PLACE
#define IN_PLACE 1
#endif

/* A mapping of the binary, from /proc/self/maps. */
typedef struct exe_map {
	uintptr_t start, end;
	off_t off;
	int prot;
} exe_map;

#define MAX_MAPS 32

/* The writable PT_LOAD range (page-rounded) of the main program: its pages hold what the
 * loader relocated and the program wrote, never the file's bytes. */
static int writable_range(struct dl_phdr_info *info, size_t size, void *data)
{
	uintptr_t *w = data, pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		uintptr_t a = (info->dlpi_addr + ph->p_vaddr) & ~(pg - 1);
		uintptr_t b = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + pg - 1) & ~(pg - 1);
		if (!w[1] || a < w[0])
			w[0] = a;
		if (b > w[1])
			w[1] = b;
	}
	return 1; /* the first object is the main program */
}

/* The mappings of the file st names, from /proc/self/maps; -1 when there are too many or the
 * list cannot be read. */
static int exe_maps(const struct stat *st, exe_map *out, size_t *n)
{
	cleanup_free char *maps = NULL;
	size_t len = 0;
	if (oci_read_file_at(AT_FDCWD, "/proc/self/maps", 1u << 22, &maps, &len, NULL) < 0)
		return -1;
	*n = 0;
	for (char *line = maps; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		unsigned long start, end, off, ino;
		unsigned int maj, min;
		char perms[5];
		if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu", &start, &end, perms, &off, &maj, &min,
			   &ino) == 7 &&
		    ino == (unsigned long)st->st_ino && makedev(maj, min) == st->st_dev) {
			if (*n == MAX_MAPS)
				return -1;
			exe_map *m = &out[(*n)++];
			m->start = start;
			m->end = end;
			m->off = (off_t)off;
			m->prot = (perms[0] == 'r' ? PROT_READ : 0) |
				  (perms[1] == 'w' ? PROT_WRITE : 0) |
				  (perms[2] == 'x' ? PROT_EXEC : 0);
		}
		line = nl ? nl + 1 : NULL;
	}
	return *n > 0 ? 0 : -1;
}

/* May this process replace its exe? PR_SET_MM_MAP needs CAP_CHECKPOINT_RESTORE (or
 * CAP_SYS_ADMIN) in its user namespace: root, or root of a user namespace. */
static bool may_set_exe(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return false;
	int caps[] = {CAP_CHECKPOINT_RESTORE, CAP_SYS_ADMIN};
	for (size_t i = 0; i < ARRAY_SIZE(caps); i++)
		if (d[caps[i] / 32].effective & (1u << (caps[i] % 32)))
			return true;
	return false;
}

/* Make fd the process's exe. PR_SET_MM_MAP (CRIU's interface) rather than
 * PR_SET_MM_EXE_FILE, which wants CAP_SYS_RESOURCE: container engines and sandboxes often
 * drop that one. It sets the memory layout's addresses too: they are given as they are
 * (/proc/self/stat's, the current break), and the auxiliary vector is left alone. */
static int set_exe_file(int fd)
{
	char buf[1024];
	cleanup_close int sfd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ssize_t len = sfd < 0 ? -1 : read(sfd, buf, sizeof(buf) - 1);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	/* the fields after "pid (comm)": 3 is the state; comm may hold anything but ')' last */
	char *p = strrchr(buf, ')');
	unsigned long long f[53] = {0};
	for (int i = 3; p && i <= 51; i++) {
		p = strchr(p + 1, ' ');
		if (p && i != 3)
			f[i] = strtoull(p + 1, NULL, 10);
	}
	if (!p || !f[26] || !f[45])
		return -1;
	struct prctl_mm_map map = {
	    .start_code = f[26],
	    .end_code = f[27],
	    .start_data = f[45],
	    .end_data = f[46],
	    .start_brk = f[47],
	    .brk = (unsigned long)syscall(SYS_brk, 0),
	    .start_stack = f[28],
	    .arg_start = f[48],
	    .arg_end = f[49],
	    .env_start = f[50],
	    .env_end = f[51],
	    .auxv = NULL,
	    .auxv_size = 0,
	    .exe_fd = (unsigned int)fd,
	};
	return prctl(PR_SET_MM, PR_SET_MM_MAP, (unsigned long)&map, sizeof(map), 0);
}

/* Replace every mapping of the binary (st) by the sealed copy mfd (size bytes) or by an
 * anonymous copy of itself, then make mfd our exe. 0 when the process now runs from the
 * copy only; -1 when the kernel refused before anything was changed, or a step failed after
 * (the mappings then hold the same bytes as before: re-executing is still right). */
static int switch_in_place(int mfd, off_t size, const struct stat *st)
{
	if (!IN_PLACE || !may_set_exe())
		return -1;
	exe_map maps[MAX_MAPS];
	size_t n;
	uintptr_t w[2] = {0, 0};
	dl_iterate_phdr(writable_range, w);
	if (exe_maps(st, maps, &n) < 0)
		return -1;
	/* Nothing else may run on the data being copied (a signal handler's write would be
	 * lost): no other thread exists yet, and signals wait. */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		exe_map *m = &maps[i];
		size_t len = m->end - m->start;
		void *at = (void *)m->start;
		if (m->start >= w[0] && m->end <= w[1]) {
			/* written pages: an anonymous copy moved over them */
			if (!(m->prot & PROT_READ)) {
				r = mmap(at, len, m->prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
					 -1, 0) == MAP_FAILED;
				continue;
			}
			void *tmp = mmap(NULL, len, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (tmp == MAP_FAILED) {
				r = -1;
				continue;
			}
			memcpy(tmp, at, len);
			if (mprotect(tmp, len, m->prot) < 0 ||
			    mremap(tmp, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, at) ==
				MAP_FAILED) {
				munmap(tmp, len);
				r = -1;
			}
		} else if (m->off + (off_t)len > ((size + 4095) & ~(off_t)4095)) {
			r = -1; /* not in the copy: cannot be */
		} else {
			/* never written (text, read-only data): the same bytes of the copy */
			r = mmap(at, len, m->prot, MAP_PRIVATE | MAP_FIXED, mfd, m->off) ==
			    MAP_FAILED;
		}
	}
	if (r == 0 && set_exe_file(mfd) < 0)
		r = -1;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r ? -1 : 0;
}

/* The sealed copy of the running binary: a memfd holding its loaded part, sealed against
 * writes; *size its length, *st the binary's. */
static int sealed_copy(off_t *size, struct stat *st, oci_error *err)
{
	cleanup_close int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exe < 0)
		return oci_err_errno(err, errno, "cannot open /proc/self/exe");
	if (fstat(exe, st) < 0)
		return oci_err_errno(err, errno, "cannot stat /proc/self/exe");
	ElfW(Ehdr) hdr;
	*size = image_end(exe, st->st_size, &hdr);
	cleanup_close int mfd = memfd_create("oci-run", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return oci_err_errno(err, errno, "memfd_create");
	off_t left = *size;
	while (left > 0) {
		ssize_t n = sendfile(mfd, exe, NULL, (size_t)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return oci_err_errno(err, n < 0 ? errno : EIO,
					     "cannot copy the runtime binary");
		left -= n;
	}
	if (*size < st->st_size) {
		/* the section headers were left behind: the copy says it has none */
		hdr.e_shoff = 0;
		hdr.e_shnum = 0;
		hdr.e_shstrndx = SHN_UNDEF;
		if (pwrite(mfd, &hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
			return oci_err_errno(err, errno, "cannot copy the runtime binary");
	}
	if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
		return oci_err_errno(err, errno, "cannot seal the runtime binary copy");
	int fd = mfd;
	mfd = -1;
	return fd;
}

/* The copy made ahead (oci_cloned_binary_prepare): a thread of create/run makes it while the
 * runtime reads the bundle and makes the state, instead of the init after its clone (0.4 ms
 * of its critical path). Its fields are written by the thread only, and read only after it
 * was joined by the process that started it (owner). */
static struct {
	pthread_t thread;
	pid_t owner;	/* the process whose thread it is; 0 when none runs */
	int fd;		/* the sealed copy, -1 when none */
	off_t size;	/* its length */
	struct stat st; /* the binary it copies */
} ahead = {.fd = -1};

static void *copy_ahead(void *unused)
{
	oci_error err = OCI_ERROR_INIT; /* a failure is met again, and told, where it is used */
	ahead.fd = sealed_copy(&ahead.size, &ahead.st, &err);
	return NULL;
}

static void ahead_join(void)
{
	if (!ahead.owner)
		return;
	if (ahead.owner == getpid()) {
		pthread_join(ahead.thread, NULL);
	} else if (ahead.fd >= 0) {
		/* cloned while the thread ran (not how create does it): the copy may be
		 * unfinished, unsealed, or not ours: never used here */
		close(ahead.fd);
		ahead.fd = -1;
	}
	ahead.owner = 0;
}

void oci_cloned_binary_prepare(void)
{
	if (ahead.owner || ahead.fd >= 0 || !oci_cloned_binary_can_switch_in_place() || is_cloned())
		return;
	/* signals are for the main thread, which blocks most while it works */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	/* a small stack: it holds an error and the program headers, and is the runtime's RSS */
	pthread_attr_t attr;
	if (pthread_attr_init(&attr) == 0) {
		pthread_attr_setstacksize(&attr, 64 << 10);
		if (pthread_create(&ahead.thread, &attr, copy_ahead, NULL) == 0)
			ahead.owner = getpid();
		pthread_attr_destroy(&attr);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void oci_cloned_binary_prepared_wait(void)
{
	ahead_join();
}

void oci_cloned_binary_prepared_drop(void)
{
	ahead_join();
	if (ahead.fd >= 0)
		close(ahead.fd);
	ahead.fd = -1;
}

/* Every exemption tried before had a way in: an entrypoint that is /proc/self/exe (or a
 * script whose interpreter is) makes the container's first process run our binary, dumpable
 * again after its exec and loading the container's own libraries; a process of the
 * container with CAP_SYS_PTRACE, or of another container sharing the pid namespace,
 * reaches a non-dumpable one too. So every runtime process a container can reach uses the
 * copy: the one that enters it (create's init, exec's process), as runc's init does.
 * Switched to in place, or, with argv, by re-executing where the kernel refuses that. */
static int run_from_copy(char *const argv[], oci_error *err)
{
	if (is_cloned())
		return 0;
	off_t size = 0;
	struct stat st;
	ahead_join(); /* no thread may run while the mappings are switched */
	cleanup_close int mfd = ahead.fd;
	ahead.fd = -1;
	if (mfd >= 0) {
		size = ahead.size;
		st = ahead.st;
	} else {
		mfd = sealed_copy(&size, &st, err);
	}
	if (mfd < 0)
		return -1;
	if (switch_in_place(mfd, size, &st) == 0) {
		cloned = 1;
		return 0;
	}
	if (!argv)
		return oci_err(err, OCI_E_INTERNAL, "the kernel refused the switch in place");
	extern char **environ;
	fexecve(mfd, argv, environ);
	return oci_err_errno(err, errno, "cannot re-execute the runtime");
}

int oci_cloned_binary_ensure_argv(char *const argv[], oci_error *err)
{
	return run_from_copy(argv, err);
}

bool oci_cloned_binary_can_switch_in_place(void)
{
	return IN_PLACE && may_set_exe();
}

int oci_cloned_binary_switch_in_place(oci_error *err)
{
	return run_from_copy(NULL, err);
}

int oci_cloned_binary_ensure(oci_error *err)
{
	if (is_cloned())
		return 0;
	/* argv again, from the kernel's copy. */
	cleanup_free char *cmdline = NULL;
	size_t len = 0;
	if (oci_read_file_at(AT_FDCWD, "/proc/self/cmdline", 1u << 20, &cmdline, &len, err) < 0)
		return -1;
	size_t argc = 0;
	for (size_t i = 0; i < len; i++)
		argc += cmdline[i] == '\0';
	cleanup_free char **argv = oci_calloc(argc + 1, sizeof(char *), err);
	if (!argv)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < len && k < argc; i += strlen(cmdline + i) + 1)
		argv[k++] = cmdline + i;
	return oci_cloned_binary_ensure_argv(argv, err);
}
