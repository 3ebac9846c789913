/* oci-run start ID: release a created container's init into the container process. */
#include "run/cmd/cmd.h"

#include <stdlib.h>

#include "run/notify.h"

int oci_cmd_start(const oci_runtime *rt, int argc, char **argv, oci_error *err)
{
	const char *id = oci_cmd_one_id(argc, argv, "oci-run start ID", err);
	if (!id)
		return -1;
	if (!*id)
		return 0;
	/* runc's sd_notify relay: start then waits for the container's READY=1 (run/notify.h) */
	const char *notify = getenv("NOTIFY_SOCKET");
	if (notify && *notify)
		return oci_notify_start(rt, id, notify, err) < 0 ? -1 : 0;
	return oci_container_start(rt, id, err) < 0 ? -1 : 0;
}
