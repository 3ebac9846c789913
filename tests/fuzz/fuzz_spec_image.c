/* Fuzz deriving a runtime config from an image config (common/spec.c, oci-bundle --image and
 * oci-unpack's config.json): the input is an image config, applied to runc's default spec with
 * a rootfs holding /etc/passwd and /etc/group. A config this derives must pass the validator
 * that oci-run applies, or the tools would hand each other configs that create refuses. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/json.h"
#include "common/spec.h"
#include "tests/fuzz/fuzz_util.h"

static int bundlefd = -1, rootfsfd = -1;
static json_t *base;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
				     "daemon:x:1:1::/usr/sbin:/bin/false\n"
				     "app:x:1000:1000:App:/home/app:/bin/sh\n";
	static const char group[] = "root:x:0:\nwheel:x:10:app,root\napp:x:1000:\n";
	oci_error err = OCI_ERROR_INIT;
	fuzz_sandbox_init(*argc, *argv);
	bundlefd = fuzz_scratch_reset(NULL);
	fuzz_write_file(bundlefd, "rootfs/etc/passwd", passwd, strlen(passwd));
	fuzz_write_file(bundlefd, "rootfs/etc/group", group, strlen(group));
	rootfsfd = openat(bundlefd, "rootfs", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	base = oci_spec_default(false, &err);
	if (rootfsfd < 0 || !base)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *img = oci_json_loadb((const char *)data, size, OCI_JSON_MAX_SIZE,
				     OCI_JSON_MAX_DEPTH, "image config", &err);
	if (!img)
		return 0;
	json_t *spec = json_deep_copy(base);
	if (!spec)
		abort();
	if (oci_spec_apply_image(spec, img, rootfsfd, NULL, &err) == 0) {
		json_t *problems = json_array();
		int n = oci_spec_validate(spec, bundlefd, problems, &err);
		if (n != 0) {
			char *s = json_dumps(problems, 0);
			fprintf(stderr, "derived config.json is invalid: %s\n", s ? s : err.msg);
			free(s);
			abort();
		}
		json_decref(problems);
	}
	json_decref(spec);
	json_decref(img);
	return 0;
}
