#!/usr/bin/env bats
# examples/systemd as a packager ships it: `systemd-analyze verify` accepts both units without
# a warning (it needs no systemd as PID 1), and the container its README prepares stops on
# SIGTERM at once instead of waiting for TimeoutStopSec.

load ../lib/common
load 40-run-lib

EX=$TOP/examples/systemd

# unit_here UNIT: the unit with the oci-run under test in place of /usr/local/bin/oci-run
# (verify checks that the programs exist) in $BATS_TEST_TMPDIR.
unit_here() {
	sed "s|/usr/local/bin/oci-run|$OCI_RUN|g" "$EX/$1" >"$BATS_TEST_TMPDIR/$1"
}

@test "systemd-analyze verify accepts both example units without a warning" {
	require_cmd systemd-analyze
	local u
	for u in mycontainer.service mycontainer-foreground.service; do
		unit_here "$u"
		run systemd-analyze verify --man=no "$BATS_TEST_TMPDIR/$u"
		assert_success
		[ -z "$output" ] || { echo "$u: $output"; false; }
		grep -qx KillMode=mixed "$EX/$u"
	done
	# the check is real: the deprecated KillMode=none the example used to have is flagged
	sed 's/^KillMode=.*/KillMode=none/' "$BATS_TEST_TMPDIR/mycontainer.service" >"$BATS_TEST_TMPDIR/none.service"
	run systemd-analyze verify --man=no "$BATS_TEST_TMPDIR/none.service"
	assert_output_contains "KillMode=none"
}

@test "the README's container stops on SIGTERM at once, as the unit's ExecStop sends it" {
	require_root
	setup_bundle
	# the command line of examples/systemd/README.md, as written there
	line=$(grep -m1 "oci-bundle edit --no-terminal -- " "$EX/README.md")
	line=${line#*oci-bundle edit }
	eval "\"\$OCI_BUNDLE\" edit -b \"\$B\" $line"
	[ "$(jq -r '.process.args[0]' "$B/config.json")" = /bin/sh ]
	PF=$BATS_TEST_TMPDIR/pid
	rt run -d --pid-file "$PF" --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	[ "$(rt_state_field "$CID" status)" = running ]
	SECONDS=0
	rt kill "$CID" TERM
	wait_status "$CID" stopped
	[ "$SECONDS" -le 3 ]
	rt delete "$CID"
}

teardown() {
	cleanup_containers
}
