/* CVE-2019-5736: a container process that can open /proc/PID/exe of a runtime process
 * inside it could overwrite the host's runtime binary. Every runtime process that enters a
 * container (create/run's init, exec's process) executes from a sealed memfd copy of the
 * binary (runc's approach), so whatever reaches /proc/PID/exe, even with CAP_SYS_PTRACE or
 * through our binary exec'd again as the container's own process, only ever finds an
 * anonymous, write-sealed file. main() re-executes before the command does any work, so the
 * work is done once, by the copy; the copy holds only what the kernel and the dynamic
 * loader read (the ELF header, program headers and loaded segments), not the debug
 * information an unstripped build carries after them. */
#include "run/cloned_binary.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
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

/* Every exemption tried before had a way in: an entrypoint that is /proc/self/exe (or a
 * script whose interpreter is) makes the container's first process run our binary, dumpable
 * again after its exec and loading the container's own libraries; a process of the
 * container with CAP_SYS_PTRACE, or of another container sharing the pid namespace,
 * reaches a non-dumpable one too. So create, run and exec always use the copy, as runc. */
int oci_cloned_binary_ensure_argv(char *const argv[], oci_error *err)
{
	if (is_cloned())
		return 0;
	cleanup_close int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exe < 0)
		return oci_err_errno(err, errno, "cannot open /proc/self/exe");
	struct stat st;
	if (fstat(exe, &st) < 0)
		return oci_err_errno(err, errno, "cannot stat /proc/self/exe");
	ElfW(Ehdr) hdr;
	off_t size = image_end(exe, st.st_size, &hdr);
	cleanup_close int mfd = memfd_create("oci-run", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return oci_err_errno(err, errno, "memfd_create");
	off_t left = size;
	while (left > 0) {
		ssize_t n = sendfile(mfd, exe, NULL, (size_t)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return oci_err_errno(err, n < 0 ? errno : EIO,
					     "cannot copy the runtime binary");
		left -= n;
	}
	if (size < st.st_size) {
		/* the section headers were left behind: the copy says it has none */
		hdr.e_shoff = 0;
		hdr.e_shnum = 0;
		hdr.e_shstrndx = SHN_UNDEF;
		if (pwrite(mfd, &hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
			return oci_err_errno(err, errno, "cannot copy the runtime binary");
	}
	if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
		return oci_err_errno(err, errno, "cannot seal the runtime binary copy");
	extern char **environ;
	fexecve(mfd, argv, environ);
	return oci_err_errno(err, errno, "cannot re-execute the runtime");
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
