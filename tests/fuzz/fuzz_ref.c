/* Fuzz image reference parsing (common/ref.c) and digest parsing (common/digest.c): the
 * strings come from command lines, index.json ref names and registry redirects. A reference
 * that parses must print to a normal form that parses again to the same form. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ref.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strndup(data, size);
	oci_error err = OCI_ERROR_INIT;
	oci_digest d;
	char dbuf[OCI_DIGEST_STR_MAX];
	if (oci_digest_parse(s, &d, &err) == 0 && strcmp(oci_digest_str(&d, dbuf), s) != 0) {
		fprintf(stderr, "digest '%s' prints as '%s'\n", s, dbuf);
		abort();
	}
	oci_ref r, again;
	if (oci_ref_parse(s, &r, &err) == 0) {
		char full[1024], full2[1024], mref[512];
		oci_ref_str(&r, full, sizeof(full));
		oci_ref_manifest_ref(&r, mref, sizeof(mref));
		(void)oci_ref_registry_host(&r);
		(void)oci_ref_is_local(&r);
		if (oci_ref_parse(full, &again, &err) < 0) {
			fprintf(stderr, "'%s' normalises to '%s', which does not parse: %s\n", s,
				full, err.msg);
			abort();
		}
		oci_ref_str(&again, full2, sizeof(full2));
		if (strcmp(full, full2) != 0) {
			fprintf(stderr, "'%s' -> '%s' -> '%s'\n", s, full, full2);
			abort();
		}
	}
	free(s);
	return 0;
}
