#!/usr/bin/env bats
# The test harness itself (tests/run.sh): what it counts is what the summary line claims.

load ../lib/common

# run_units DIR: tests/run.sh on the unit tests of the build DIR alone (no integration file
# matches the filter); tests/tmp/last is put back to the run that runs this file.
run_units() {
	local last
	last=$(readlink "$TOP/tests/tmp/last" 2>/dev/null || true)
	run env OCI_BUILD="$1" "$TOP/tests/run.sh" no-integration-file-has-this-name
	[ -z "$last" ] || ln -sfn "$last" "$TOP/tests/tmp/last"
}

# fake_unit DIR NAME OUTPUT: a unit test binary that prints OUTPUT (Check's format)
fake_unit() {
	mkdir -p "$1/tests/unit"
	printf '#!/bin/sh\ncat <<"OUT"\n%s\nOUT\n' "$3" >"$1/tests/unit/$2"
	chmod +x "$1/tests/unit/$2"
}

@test "a unit check that could not run (not root, no kernel feature) counts as skipped, not passed" {
	# tests/unit/skip.h: such a check prints "skipped: TEST: REASON" and returns; Check
	# counts it among the passed ones. It used to be in the summary's passed count.
	b=$BATS_TEST_TMPDIR/build
	fake_unit "$b" test_a "Running suite(s): a
skipped: test_owner: needs root to give a directory away
skipped: test_procfs_open_refuses_overmounts: needs root for a private mount namespace
skipped: test_procfs_open_refuses_overmounts: needs root for a private mount namespace
100%: Checks: 5, Failures: 0, Errors: 0"
	fake_unit "$b" test_b "Running suite(s): b
not run under emulation: seccomp(2) is not implemented (qemu-user), no filter can be loaded
100%: Checks: 2, Failures: 0, Errors: 0"
	run_units "$b"
	assert_success
	assert_output_contains "3 passed, 0 failed, 4 skipped"
	assert_output_contains "unit test_a: 100%: Checks: 5, Failures: 0, Errors: 0 (3 skipped)"
	assert_output_contains "  2 skipped: test_procfs_open_refuses_overmounts: needs root"
	assert_output_contains "  1 skipped: test_owner: needs root to give a directory away"

	# a failure stays a failure, and nothing skipped leaves the summary as it was
	fake_unit "$b" test_a "Running suite(s): a
x.c:1:F:core:test_x:0: Assertion 'x' failed
50%: Checks: 2, Failures: 1, Errors: 0"
	rm "$b/tests/unit/test_b"
	run_units "$b"
	assert_failure
	assert_output_contains "1 passed, 1 failed"
	! grep -q skipped <<<"$output" || false
}
