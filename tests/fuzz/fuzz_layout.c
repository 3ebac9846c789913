/* Fuzz OCI layout directories (common/layout.c) and the image assembly of oci-unpack from one
 * (unpack/input.c): parts (separated by FUZZ_SEP) are oci-layout, index.json, a manifest, a
 * config and a layer, written as a layout. In the documents "@M@", "@C@", "@L@" become the
 * sha256 hex of the manifest, config and layer, and "@MS@", "@CS@", "@LS@" their sizes, so
 * that the fuzzer can follow real digests down to the layer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "common/layout.h"
#include "common/log.h"
#include "tests/fuzz/fuzz_util.h"
#include "unpack/unpack.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	oci_log_set_level(-1);
	fuzz_sandbox_init(*argc, *argv);
	return 0;
}

/* Replace key (hex) and size_key (size) in *s by d's hex and len. */
static void fill(char **s, const char *key, const char *size_key, const oci_digest *d, size_t len)
{
	char num[32];
	char *a = fuzz_subst(*s, key, d->hex);
	snprintf(num, sizeof(num), "%zu", len);
	char *b = fuzz_subst(a, size_key, num);
	free(a);
	free(*s);
	*s = b;
}

static void put_blob(int dirfd, const oci_digest *d, const char *data, size_t len)
{
	char name[256];
	snprintf(name, sizeof(name), "blobs/sha256/%s", d->hex);
	fuzz_write_file(dirfd, name, data, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p[5];
	size_t len[5];
	fuzz_split(data, size, p, len, 5);
	oci_error err = OCI_ERROR_INIT;
	oci_digest dl, dc, dm;
	if (oci_digest_buffer(OCI_DIGEST_SHA256, p[4], len[4], &dl, &err) < 0)
		abort();
	for (int i = 0; i < 4; i++)
		fill(&p[i], "@L@", "@LS@", &dl, len[4]);
	if (oci_digest_buffer(OCI_DIGEST_SHA256, p[3], strlen(p[3]), &dc, &err) < 0)
		abort();
	for (int i = 0; i < 3; i++)
		fill(&p[i], "@C@", "@CS@", &dc, strlen(p[3]));
	if (oci_digest_buffer(OCI_DIGEST_SHA256, p[2], strlen(p[2]), &dm, &err) < 0)
		abort();
	for (int i = 0; i < 2; i++)
		fill(&p[i], "@M@", "@MS@", &dm, strlen(p[2]));

	int spoolfd;
	int rootfd = fuzz_scratch_reset(&spoolfd);
	fuzz_write_file(spoolfd, "oci-layout", p[0], strlen(p[0]));
	fuzz_write_file(spoolfd, "index.json", p[1], strlen(p[1]));
	put_blob(spoolfd, &dm, p[2], strlen(p[2]));
	put_blob(spoolfd, &dc, p[3], strlen(p[3]));
	put_blob(spoolfd, &dl, p[4], len[4]);

	oci_layout l;
	if (oci_layout_open(fuzz_spool_path(), false, &l, &err) == 0) {
		oci_descriptor d;
		json_t *idx = NULL;
		char name[OCI_DIGEST_STR_MAX + 2];
		if (oci_layout_resolve(&l, NULL, &d, &idx, &err) == 0)
			json_decref(idx);
		(void)oci_layout_resolve(&l, "latest", &d, NULL, &err);
		snprintf(name, sizeof(name), "@sha256:%s", dm.hex);
		(void)oci_layout_resolve(&l, name, &d, NULL, &err);
		char *blob = NULL;
		size_t blen;
		if (oci_layout_read_blob(&l, &dm, 1u << 20, &blob, &blen, &err) == 0)
			free(blob);
		oci_layout_release(&l);
	}

	oci_unpack_root r;
	oci_unpack_root_init(&r, rootfd, &fuzz_unpack_opts, &err);
	oci_unpack_input in = {0};
	oci_platform_host(&in.platform);
	if (oci_unpack_layout(&r, fuzz_spool_path(), &in, &err) == 0)
		(void)oci_unpack_root_finish(&r, &err);
	free(in.config_blob);
	oci_unpack_root_release(&r);
	close(spoolfd);
	close(rootfd);
	fuzz_scratch_check();
	fuzz_parts_free(p, 5);
	return 0;
}
