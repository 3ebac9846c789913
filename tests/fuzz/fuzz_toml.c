/* Fuzz the TOML-subset parser (common/toml.c) that reads registries.conf and its drop-ins: any
 * bytes must give a tree or one error, within the size and depth caps, and a tree must
 * serialise (every string in it valid UTF-8, no NUL). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *j = oci_toml_parse((const char *)data, size, "fuzz", &err);
	if (!j) {
		if (!err.msg[0])
			abort(); /* a refusal always says why */
		return 0;
	}
	char *s = json_dumps(j, JSON_COMPACT);
	if (!s)
		abort();
	free(s);
	json_decref(j);
	return 0;
}
