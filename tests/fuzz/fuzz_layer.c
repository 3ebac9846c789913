/* Fuzz layer application (unpack/layer.c, apply.c, whiteout.c): the input is one layer
 * (plain, gzip or zstd tar, detected from its magic), applied twice into a fresh root under a
 * private tmpfs, as two layers of one image (so the second meets what the first made:
 * replacements, whiteouts, opaque directories, hard links), then finished (directory modes and
 * times). Nothing may appear beside the root (fuzz_scratch_check). */
#include <stdint.h>
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
	int rootfd = fuzz_scratch_reset(NULL);
	int fd = memfd_create("layer", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	oci_error err = OCI_ERROR_INIT;
	oci_unpack_root r;
	oci_unpack_root_init(&r, rootfd, &fuzz_unpack_opts, &err);
	oci_unpack_layer_desc ld = {
	    .index = 0, .count = 2, .compression = -1, .size = -1, .name = "fuzz"};
	int rc = oci_unpack_layer_apply_fd(&r, &ld, fd, &err);
	if (rc == 0 && lseek(fd, 0, SEEK_SET) == 0) {
		ld.index = 1;
		rc = oci_unpack_layer_apply_fd(&r, &ld, fd, &err);
	}
	if (rc == 0)
		(void)oci_unpack_root_finish(&r, &err);
	oci_unpack_root_release(&r);
	close(fd);
	close(rootfd);
	fuzz_scratch_check();
	return 0;
}
