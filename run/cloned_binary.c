/* CVE-2019-5736: a container process that can open /proc/PID/exe of a runtime process
 * inside it could overwrite the host's runtime binary. Every runtime process that enters a
 * container (create/run's init, exec's process) executes from a sealed memfd copy of the
 * binary (runc's approach), so whatever reaches /proc/PID/exe, even with CAP_SYS_PTRACE or
 * through our binary exec'd again as the container's own process, only ever finds an
 * anonymous, write-sealed file. */
#include "run/cloned_binary.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static int is_cloned(void)
{
	cleanup_close int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	int seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & SEALS) == SEALS;
}

/* Every exemption tried before had a way in: an entrypoint that is /proc/self/exe (or a
 * script whose interpreter is) makes the container's first process run our binary, dumpable
 * again after its exec and loading the container's own libraries; a process of the
 * container with CAP_SYS_PTRACE, or of another container sharing the pid namespace,
 * reaches a non-dumpable one too. So create, run and exec always use the copy, as runc. */
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
	cleanup_close int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exe < 0)
		return oci_err_errno(err, errno, "cannot open /proc/self/exe");
	struct stat st;
	if (fstat(exe, &st) < 0)
		return oci_err_errno(err, errno, "cannot stat /proc/self/exe");
	cleanup_close int mfd = memfd_create("oci-run", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return oci_err_errno(err, errno, "memfd_create");
	off_t left = st.st_size;
	while (left > 0) {
		ssize_t n = sendfile(mfd, exe, NULL, (size_t)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return oci_err_errno(err, n < 0 ? errno : EIO,
					     "cannot copy the runtime binary");
		left -= n;
	}
	if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
		return oci_err_errno(err, errno, "cannot seal the runtime binary copy");
	extern char **environ;
	fexecve(mfd, argv, environ);
	return oci_err_errno(err, errno, "cannot re-execute the runtime");
}
