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

# harness_tree: $H, a tree of its own with tests/run.sh, an empty build (no unit tests) and
# tests/lib (for `load ../lib/common`), for integration files a test writes into
# $H/tests/integration; run_harness runs its run.sh as bats' run.
harness_tree() {
	H=$BATS_TEST_TMPDIR/h
	mkdir -p "$H/tests/integration" "$H/build"
	cp "$TOP/tests/run.sh" "$H/tests/run.sh"
	ln -s "$TOP/tests/lib" "$H/tests/lib"
}

run_harness() {
	run env OCI_BUILD="$H/build" OCI_TEST_LOGS= "$H/tests/run.sh" "$@"
}

@test "a bats file that dies before its first test, or runs none, counts as failed" {
	harness_tree
	cd "$H/tests/integration"
	printf '@test "a" {\n\ttrue\n}\n@test "b" {\n\tif then\n}\n' >a-syntax.bats
	printf 'load no-such-lib\n@test "a" {\n\ttrue\n}\n' >b-load.bats
	printf 'exit 3\n@test "a" {\n\ttrue\n}\n' >c-exit.bats
	printf 'setup_file() {\n\tfalse\n}\n@test "a" {\n\ttrue\n}\n@test "b" {\n\ttrue\n}\n' >d-setup-file.bats
	printf '# @test "a" { true; } is no test\n' >e-no-test.bats
	printf '@test "a" {\n\ttrue\n}\n' >f-good.bats
	run_harness
	assert_failure
	assert_output_contains "integration a-syntax.bats: 0 passed, 2 failed"
	assert_output_contains "integration b-load.bats: 0 passed, 1 failed"
	assert_output_contains "integration c-exit.bats: 0 passed, 1 failed"
	assert_output_contains "integration d-setup-file.bats: 0 passed, 2 failed"
	assert_output_contains "integration e-no-test.bats: 0 passed, 1 failed"
	assert_output_contains "the file ran no test"
	assert_output_contains "integration f-good.bats: 1 passed, 0 failed"
	[ "${lines[-1]}" = "1 passed, 7 failed" ]
}

@test "a bats file that dies midway counts the tests it never ran as failed" {
	harness_tree
	# the second test kills the bats process that runs the file's tests
	printf '@test "a" {\n\ttrue\n}\n@test "b" {\n\tkill -9 $PPID\n\tsleep 1\n}\n@test "c" {\n\ttrue\n}\n' \
		>"$H/tests/integration/a-killed.bats"
	run_harness
	assert_failure
	grep -q '^1\.\.3$' "$H/tests/tmp/last/a-killed.tap"
	! grep -q '^ok 3' "$H/tests/tmp/last/a-killed.tap" || false
	assert_output_contains "integration a-killed.bats: "
	assert_output_contains " passed, 1 failed"
	[ "${lines[-1]}" = "2 passed, 1 failed" ]
}

@test "a qemu guest that does not boot fails its file's tests, saying why; one that cannot boot here skips them with the reason" {
	harness_tree
	# vm.sh's two answers when no guest can run the script (tests/lib/vm/vm.sh)
	cat >"$BATS_TEST_TMPDIR/vm.sh" <<'EOF2'
#!/bin/sh
case $1 in
check) [ -z "${NO_QEMU:-}" ] || { echo "needs qemu-system-x86_64 (package qemu-system-x86)"; exit 1; } ;;
run) echo "vm: guest did not finish twice; console: $2/out/console.log; qemu said: (none)" >&2; exit 1 ;;
esac
EOF2
	chmod +x "$BATS_TEST_TMPDIR/vm.sh"
	echo 'mkdir -p out/one && echo v >out/one/k' >"$H/tests/integration/a.guest.sh"
	# (%test: a line starting with @test here would be one of this file's tests)
	sed 's/^%test /@test /' >"$H/tests/integration/a-guest.bats" <<'EOF2'
load ../lib/common
load ../lib/vm
setup_file() {
	vm_setup_file "$BATS_TEST_DIRNAME/a.guest.sh"
}
%test "one" {
	vm_test one
	vm_is k v
}
%test "two" {
	vm_test one
}
EOF2
	VM_SH=$BATS_TEST_TMPDIR/vm.sh run_harness
	assert_failure
	assert_output_contains "integration a-guest.bats: 0 passed, 2 failed, 0 skipped"
	assert_output_contains "the guest did not run its script:"
	assert_output_contains "vm: guest did not finish twice"
	[ "${lines[-1]}" = "0 passed, 2 failed" ]
	NO_QEMU=1 VM_SH=$BATS_TEST_TMPDIR/vm.sh run_harness
	assert_success
	assert_output_contains "integration a-guest.bats: 0 passed, 0 failed, 2 skipped"
	assert_output_contains "# skip needs qemu-system-x86_64 (package qemu-system-x86)"
	[ "${lines[-1]}" = "0 passed, 0 failed, 2 skipped" ]
}
