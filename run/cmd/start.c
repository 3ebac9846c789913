/* oci-run start ID: release a created container's init into the container process. */
#include "run/cmd/cmd.h"

int oci_cmd_start(const oci_runtime *rt, int argc, char **argv, oci_error *err)
{
	const char *id = oci_cmd_one_id(argc, argv, "oci-run start ID", err);
	if (!id)
		return -1;
	if (!*id)
		return 0;
	return oci_container_start(rt, id, err) < 0 ? -1 : 0;
}
