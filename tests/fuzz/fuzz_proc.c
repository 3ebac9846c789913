/* Fuzz what oci-run reads back about a container's processes, whose text the processes choose:
 * the parse of /proc/PID/stat (run/state.c: the command name may hold spaces, ')' and
 * newlines) that the pid-reuse checks of kill, delete and state rest on, and the filter of ps's
 * output behind `oci-run ps` (run/cmd/cmd.c: every line carries a process's arguments). The
 * first byte picks the target; the rest is the text. The filter must print its input's first
 * line and only whole lines of its input, never more than it read. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/cmd/cmd.h"
#include "run/state.h"
#include "tests/fuzz/fuzz_util.h"

static const pid_t pids[] = {1, 42, 4242, 65535};

static void filter(const uint8_t *data, size_t size)
{
	FILE *in = fmemopen((void *)data, size, "r");
	char *out = NULL;
	size_t out_len = 0;
	FILE *o = open_memstream(&out, &out_len);
	if (!in || !o)
		abort();
	oci_error err = OCI_ERROR_INIT;
	int r = oci_cmd_ps_filter(in, o, pids, sizeof(pids) / sizeof(pids[0]), &err);
	fclose(o);
	fclose(in);
	if (r < 0 && !err.msg[0])
		abort(); /* an error always says what */
	if (out_len > size)
		abort();
	/* each line printed is a line of the input, at a line start there */
	for (char *p = out; p && p < out + out_len;) {
		char *nl = memchr(p, '\n', (size_t)(out + out_len - p));
		size_t l = nl ? (size_t)(nl - p) + 1 : (size_t)(out + out_len - p);
		bool found = false;
		for (const uint8_t *q = data; q + l <= data + size && !found;) {
			found = !memcmp(q, p, l);
			const uint8_t *next = memchr(q, '\n', (size_t)(data + size - q));
			q = next ? next + 1 : data + size;
		}
		if (!found)
			abort();
		p += l;
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		filter(data + 1, size - 1);
		return 0;
	}
	char *text = fuzz_strndup(data + 1, size - 1);
	bool zombie = true;
	uint64_t start = oci_proc_stat_start(text, &zombie);
	/* a start time is read only after the last ')' and a space */
	if (start && (!strrchr(text, ')') || strrchr(text, ')')[1] != ' '))
		abort();
	free(text);
	return 0;
}
