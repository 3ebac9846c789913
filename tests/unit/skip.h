/* A unit check that cannot run here (it needs root, or a kernel feature this machine lacks)
 * must not count as passed: it says why on one line, "skipped: TEST: REASON", and returns.
 * tests/run.sh counts those lines as skipped (and lists them), as it counts qemu-user's
 * "not run under emulation" lines. Use: if (...) { unit_skip("needs root"); return; } */
#ifndef OCI_TESTS_UNIT_SKIP_H
#define OCI_TESTS_UNIT_SKIP_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* START_TEST(name) defines name_fn: the name without that suffix */
#define unit_skip(reason)                                                                          \
	fprintf(stderr, "skipped: %.*s: %s\n",                                                     \
		(int)(strlen(__func__) - (strstr(__func__, "_fn") ? 3 : 0)), __func__, reason)

/* unit_skip_unless_root("REASON"): skips (returns from) the check when not root, with the
 * reason "needs root: REASON" */
#define unit_skip_unless_root(reason)                                                              \
	do {                                                                                       \
		if (geteuid() != 0) {                                                              \
			unit_skip("needs root: " reason);                                          \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#endif
