/* Fuzz the container state loader of oci-run (run/state.c): state.json is written by oci-run
 * but lives in a directory other processes may write (a tampered or corrupt file must give an
 * error, never memory corruption, since delete --force has to cope with it). The input is
 * state.json; its state is read, its status derived (the pid, its start time, the freezer
 * files of its cgroups, read-only) and printed as runc's state JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "run/state.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	oci_log_set_level(-1);
	fuzz_sandbox_init(*argc, *argv);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int dirfd = fuzz_scratch_reset(NULL);
	fuzz_write_file(dirfd, OCI_STATE_FILE, data, size);
	oci_error err = OCI_ERROR_INIT;
	oci_state st;
	if (oci_state_read(dirfd, &st, &err) == 0) {
		(void)oci_state_check_id(st.id, &err);
		int status = oci_state_status(dirfd, &st);
		json_t *j = oci_state_to_json(&st, status, true, "root");
		char *s = j ? json_dumps(j, 0) : NULL;
		free(s);
		if (j)
			json_decref(j);
		oci_state_release(&st);
	}
	close(dirfd);
	return 0;
}
