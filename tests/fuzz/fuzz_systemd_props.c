/* Fuzz the org.systemd.property.* annotation reader (run/cgroup/systemd_props.c): the input is
 * "NAME\n--\nVALUE", the annotation's key after the prefix and its value, both from a
 * config.json the runtime does not trust byte by byte. Any bytes give properties or one error
 * line; a string value taken holds no NUL and is no longer than its text, and a value parsed
 * alone gives a type the D-Bus marshaller knows. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/cgroup/systemd_dbus.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *parts[2];
	size_t lens[2];
	fuzz_split(data, size, parts, lens, 2);
	oci_error err = OCI_ERROR_INIT;
	oci_sd_value v;
	if (oci_sd_value_parse(parts[1], &v, &err) == 0) {
		if (!v.type || !strchr("bynqiuxtds", v.type))
			abort();
		if (v.type == 's' && strlen(v.s) > lens[1])
			abort();
		oci_sd_value_release(&v);
	} else if (!err.msg[0] || strchr(err.msg, '\n')) {
		abort();
	}
	size_t kl = strlen("org.systemd.property.") + strlen(parts[0]) + 1;
	char *key = malloc(kl);
	if (!key)
		abort();
	snprintf(key, kl, "org.systemd.property.%s", parts[0]);
	oci_config_kv a = {key, parts[1]};
	err = (oci_error)OCI_ERROR_INIT;
	oci_sd_props *p = oci_sd_props_new(&err);
	if (!p)
		abort();
	int r = oci_sd_props_annotations(p, &a, 1, &err);
	if ((r == 0) != (oci_sd_props_count(p) == 1) || (r < 0 && !err.msg[0]))
		abort();
	oci_sd_props_free(p);
	free(key);
	fuzz_parts_free(parts, 2);
	return 0;
}
