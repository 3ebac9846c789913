/* oci-run pause ID / resume ID: freeze and thaw every process of a container, as runc does
 * for `podman pause` and `ctr task pause`. A frozen container's status is "paused". */
#include "run/cmd/cmd.h"

int oci_cmd_pause(const oci_runtime *rt, int argc, char **argv, oci_error *err)
{
	const char *id = oci_cmd_one_id(argc, argv, "oci-run pause ID", err);
	if (!id)
		return -1;
	if (!*id)
		return 0;
	return oci_container_pause(rt, id, err) < 0 ? -1 : 0;
}

int oci_cmd_resume(const oci_runtime *rt, int argc, char **argv, oci_error *err)
{
	const char *id = oci_cmd_one_id(argc, argv, "oci-run resume ID", err);
	if (!id)
		return -1;
	if (!*id)
		return 0;
	return oci_container_resume(rt, id, err) < 0 ? -1 : 0;
}
