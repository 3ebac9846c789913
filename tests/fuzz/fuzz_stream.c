/* Fuzz the image stream reader (unpack/stream.c and the image assembly in input.c and
 * docker.c behind it): the input is a whole oci-archive or docker-save tar as oci-unpack reads
 * it from a pipe, unpacked into a fresh root with a spool directory beside it. Nothing may
 * appear beside the root and the spool (fuzz_scratch_check). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "tests/fuzz/fuzz_util.h"
#include "unpack/unpack.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	oci_log_set_level(-1);
	fuzz_sandbox_init(*argc, *argv);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int spoolfd;
	int rootfd = fuzz_scratch_reset(&spoolfd);
	int fd = memfd_create("stream", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	oci_error err = OCI_ERROR_INIT;
	oci_unpack_root r;
	oci_unpack_root_init(&r, rootfd, &fuzz_unpack_opts, &err);
	oci_unpack_input in = {0};
	oci_platform_host(&in.platform);
	if (oci_unpack_stream(&r, fd, spoolfd, &in, &err) == 0)
		(void)oci_unpack_root_finish(&r, &err);
	free(in.config_blob);
	oci_unpack_root_release(&r);
	close(fd);
	close(spoolfd);
	close(rootfd);
	fuzz_scratch_check();
	return 0;
}
