/* oci-run state ID: runc's state JSON, byte for byte (two-space indentation, no final
 * newline), as engines parse it. */
#include "run/cmd/cmd.h"

#include "common/json.h"

int oci_cmd_state(const oci_runtime *rt, int argc, char **argv, oci_error *err)
{
	const char *id = oci_cmd_one_id(argc, argv, "oci-run state ID", err);
	if (!id)
		return -1;
	if (!*id)
		return 0;
	cleanup_json json_t *j = oci_container_state(rt, id, err);
	if (!j)
		return -1;
	return oci_cmd_print_json(j, JSON_INDENT(2), false, err) < 0 ? -1 : 0;
}
