/* Fuzz user resolution in an image's root filesystem (common/passwd.c): parts (separated by
 * FUZZ_SEP) are the user spec (an image's User or --user), /etc/passwd and /etc/group, written
 * into a fresh root. The spec is also resolved without a rootfs, and "root" and "1000" against
 * the same files. */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "common/passwd.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_sandbox_init(*argc, *argv);
	return 0;
}

static void resolve(int rootfd, const char *spec)
{
	oci_error err = OCI_ERROR_INIT;
	oci_user u;
	if (oci_passwd_resolve(rootfd, spec, &u, &err) == 0) {
		if (u.n_additional_gids > OCI_PASSWD_MAX_GROUPS)
			__builtin_trap();
		oci_user_release(&u);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p[3];
	size_t len[3];
	fuzz_split(data, size, p, len, 3);
	int rootfd = fuzz_scratch_reset(NULL);
	fuzz_write_file(rootfd, "etc/passwd", p[1], len[1]);
	fuzz_write_file(rootfd, "etc/group", p[2], len[2]);
	resolve(rootfd, p[0]);
	resolve(-1, p[0]);
	resolve(rootfd, "root");
	resolve(rootfd, "1000");
	uint32_t id;
	(void)oci_passwd_parse_id(p[0], &id);
	close(rootfd);
	fuzz_parts_free(p, 3);
	return 0;
}
