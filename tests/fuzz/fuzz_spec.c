/* Fuzz config.json validation (common/spec_validate.c), the one validator of oci-bundle
 * validate and oci-run create: the input is config.json, loaded with the bounded JSON loader
 * and validated against a bundle directory holding a rootfs/. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common/json.h"
#include "common/spec.h"
#include "common/spec_check.h"
#include "tests/fuzz/fuzz_util.h"

static int bundlefd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_sandbox_init(*argc, *argv);
	bundlefd = fuzz_scratch_reset(NULL);
	if (mkdirat(bundlefd, "rootfs", 0755) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *spec = oci_json_loadb((const char *)data, size, OCI_JSON_MAX_SIZE,
				      OCI_JSON_MAX_DEPTH, "config.json", &err);
	if (!spec)
		return 0;
	json_t *problems = json_array();
	if (!problems)
		abort();
	int n = oci_spec_validate(spec, bundlefd, problems, &err);
	/* every problem listed, or the first OCI_SPEC_MAX_LISTED and one "(N more ...)" line */
	size_t listed = n > OCI_SPEC_MAX_LISTED ? OCI_SPEC_MAX_LISTED + 1 : (size_t)n;
	if (n >= 0 && listed != json_array_size(problems))
		__builtin_trap();
	json_decref(problems);
	json_decref(spec);
	return 0;
}
