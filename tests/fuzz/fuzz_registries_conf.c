/* Fuzz registries.conf handling (fetch/registries_conf.c over common/toml.c): two files merged
 * as a file and its drop-in, then short-name resolution and the pull sources of a few
 * references. Whatever the files say, a source list is never empty and every source is a
 * reference that parses again. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "fetch/registries_conf.h"
#include "tests/fuzz/fuzz_util.h"

static const char *const refs[] = {
    "busybox",
    "busybox:1.36",
    "library/busybox@sha256:"
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "a.io/x",
    "a.b.example.com:5000/ns/app:v1",
    "localhost/x",
    "docker.io/library/busybox",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *parts[2];
	size_t lens[2];
	fuzz_split(data, size, parts, lens, 2);
	oci_regconf c;
	memset(&c, 0, sizeof(c));
	oci_error err = OCI_ERROR_INIT;
	if (oci_regconf_merge(&c, parts[0], lens[0], "main", &err) == 0)
		(void)oci_regconf_merge(&c, parts[1], lens[1], "drop-in", &err);
	for (size_t i = 0; i < ARRAY_SIZE(refs); i++) {
		char **cands = NULL;
		if (oci_regconf_resolve(&c, refs[i], &cands, &err) < 0)
			continue;
		for (size_t k = 0; cands[k]; k++) {
			oci_ref r;
			oci_pull_source *src;
			size_t n;
			if (oci_ref_parse(cands[k], &r, &err) < 0)
				continue; /* an alias or search entry that makes no valid name */
			if (oci_regconf_sources(&c, &r, &src, &n, &err) < 0)
				continue;
			if (n == 0)
				abort();
			for (size_t s = 0; s < n; s++) {
				char buf[1024];
				oci_ref again;
				oci_ref_str(&src[s].ref, buf, sizeof(buf));
				if (oci_ref_parse(buf, &again, &err) < 0) {
					fprintf(stderr, "source '%s' does not parse: %s\n", buf,
						err.msg);
					abort();
				}
			}
			free(src);
		}
		oci_strvfreep(&cands);
	}
	oci_regconf_release(&c);
	fuzz_parts_free(parts, 2);
	return 0;
}
