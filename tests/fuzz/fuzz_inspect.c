/* Fuzz oci-fetch inspect (fetch/inspect.c) against a hostile registry: the manifest, the image
 * config and the tag list it sends, rendered as skopeo's JSON, as the text report and as the
 * raw config. HTTP is stub_http.c answering by URL. Parts (FUZZ_SEP): the manifest, in which
 * CONFIG_DIGEST and CONFIG_SIZE stand for the config's real digest and size (it is verified
 * against them, which random bytes would never pass), the config, the tag list. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "common/log.h"
#include "fetch/inspect.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/fuzz/stub_http.h"

static char *manifest, *part[3];
static size_t part_len[3];

static const char *route(const char *url, size_t *len)
{
	if (strstr(url, "/manifests/")) {
		*len = strlen(manifest);
		return manifest;
	}
	if (strstr(url, "/blobs/")) {
		*len = part_len[1];
		return part[1];
	}
	if (strstr(url, "/tags/list")) {
		*len = part_len[2];
		return part[2];
	}
	*len = 0;
	return "";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	oci_log_set_level(-1);
	fuzz_http_route = route;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int formats[] = {OCI_INSPECT_JSON, OCI_INSPECT_TEXT, OCI_INSPECT_CONFIG};
	oci_error err = OCI_ERROR_INIT;
	oci_digest d;
	char ds[OCI_DIGEST_STR_MAX], sz[32];
	fuzz_split(data, size, part, part_len, 3);
	if (oci_digest_buffer(OCI_DIGEST_SHA256, part[1], part_len[1], &d, &err) < 0)
		abort();
	snprintf(sz, sizeof(sz), "%zu", part_len[1]);
	char *m = fuzz_subst(part[0], "CONFIG_DIGEST", oci_digest_str(&d, ds));
	manifest = fuzz_subst(m, "CONFIG_SIZE", sz);
	free(m);
	FILE *out = fopen("/dev/null", "w");
	if (!out)
		abort();
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		/* credentials given: no auth file of the machine is read */
		oci_inspect_opts o = {.image = "registry.example/team/app:1",
				      .format = formats[i],
				      .reg = {.creds = "user:secret", .max_attempts = 1}};
		oci_err_clear(&err);
		(void)oci_inspect(&o, out, &err);
	}
	fclose(out);
	free(manifest);
	manifest = NULL;
	fuzz_parts_free(part, 3);
	return 0;
}
