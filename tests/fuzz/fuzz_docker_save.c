/* Fuzz docker-save archives (unpack/docker.c): parts (separated by FUZZ_SEP) are
 * manifest.json, the config and one layer, spooled by name as stream.c does ("config.json",
 * "layer.tar" and "blobs/sha256/HEX" for the layer). "@L@" in the first two parts becomes
 * the layer's sha256 hex, so a config's diff_ids can match and layers get applied. An
 * odd-sized manifest.json is read with --ref latest. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
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
	char *p[3];
	size_t len[3];
	fuzz_split(data, size, p, len, 3);
	oci_error err = OCI_ERROR_INIT;
	oci_digest ld;
	if (oci_digest_buffer(OCI_DIGEST_SHA256, p[2], len[2], &ld, &err) < 0)
		abort();
	char *manifest = fuzz_subst(p[0], "@L@", ld.hex);
	char *config = fuzz_subst(p[1], "@L@", ld.hex);
	char blobname[128];
	snprintf(blobname, sizeof(blobname), "blobs/sha256/%s", ld.hex);

	int spoolfd;
	int rootfd = fuzz_scratch_reset(&spoolfd);
	oci_unpack_strmap names = {0};
	fuzz_write_file(spoolfd, "n1", manifest, strlen(manifest));
	fuzz_write_file(spoolfd, "n2", config, strlen(config));
	fuzz_write_file(spoolfd, "n3", p[2], len[2]);
	if (oci_unpack_strmap_put(&names, "manifest.json", 1, &err) < 0 ||
	    oci_unpack_strmap_put(&names, "config.json", 2, &err) < 0 ||
	    oci_unpack_strmap_put(&names, "layer.tar", 3, &err) < 0 ||
	    oci_unpack_strmap_put(&names, blobname, 3, &err) < 0)
		abort();

	oci_unpack_root r;
	oci_unpack_root_init(&r, rootfd, &fuzz_unpack_opts, &err);
	oci_unpack_input in = {0};
	oci_platform_host(&in.platform);
	/* An odd-sized manifest picks its image by tag (--ref), as with several images. */
	in.ref = strlen(manifest) % 2 ? "latest" : NULL;
	if (oci_unpack_docker_save(&r, spoolfd, &names, &in, &err) == 0)
		(void)oci_unpack_root_finish(&r, &err);
	free(in.config_blob);
	oci_unpack_root_release(&r);
	oci_unpack_strmap_clear(&names);
	close(spoolfd);
	close(rootfd);
	fuzz_scratch_check();
	free(manifest);
	free(config);
	fuzz_parts_free(p, 3);
	return 0;
}
