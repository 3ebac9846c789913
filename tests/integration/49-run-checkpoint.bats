#!/usr/bin/env bats
# oci-run checkpoint/restore on this host, where CRIU cannot work (its vDSO check fails on
# this kernel): checkpoint fails at once with CRIU's own reason in one line, the container
# keeps running; --criu names the binary (a missing one is said so); runc's options that
# oci-run cannot carry out are refused in one line, never ignored; wrong states and ids are
# clear errors. The checkpoints that work run in the qemu guest (82-run-events-criu.bats).

load ../lib/common
load 40-run-lib

setup() {
	require_root
	setup_bundle
	set_args sleep 30
}

teardown() {
	cleanup_containers
	[ -z "${D:-}" ] || ip link del "${D}a" 2>/dev/null || true
}

run_detached() {
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
}

@test "checkpoint on this host: CRIU's own reason in one line, quickly; the container keeps running" {
	require_cmd criu
	run_detached
	start=$(date +%s%N)
	run timeout 60 "$RUNTIME" --root "$ROOT" checkpoint --image-path "$BATS_TEST_TMPDIR/img" "$CID"
	elapsed=$((($(date +%s%N) - start) / 1000000))
	assert_failure 1
	assert_one_line_error oci-run
	assert_output_contains "checkpoint of '$CID': criu: "
	assert_output_contains "(log: $BATS_TEST_TMPDIR/img/dump.log)"
	# the reason is the one CRIU logged
	reason=${output#*criu: }
	reason=${reason% (log:*}
	[ -n "$reason" ] # an empty one would match any log
	grep -qF "$reason" "$BATS_TEST_TMPDIR/img/dump.log"
	[ "$elapsed" -lt 20000 ]
	[ "$(rt_state_field "$CID" status)" = running ]
}

@test "--criu names the criu binary: a missing one is said so, a wrapper is the one run" {
	require_cmd criu
	run_detached
	run rt --criu /nonexistent/criu checkpoint --image-path "$BATS_TEST_TMPDIR/img" "$CID"
	assert_failure 1
	assert_one_line_error oci-run
	assert_output_contains "--criu '/nonexistent/criu'"
	# a wrapper that records it ran, then hands over to the real criu
	printf '#!/bin/sh\necho "$@" >>%s/wrapper.log\nexec %s "$@"\n' "$BATS_TEST_TMPDIR" \
		"$(command -v criu)" >"$BATS_TEST_TMPDIR/criu"
	chmod +x "$BATS_TEST_TMPDIR/criu"
	run rt --criu "$BATS_TEST_TMPDIR/criu" checkpoint --image-path "$BATS_TEST_TMPDIR/img" "$CID"
	assert_failure 1
	assert_output_contains "criu: "
	grep -q swrk "$BATS_TEST_TMPDIR/wrapper.log"
	PATH=/nonexistent run "$OCI_RUN" --root "$ROOT" checkpoint --image-path "$BATS_TEST_TMPDIR/img" "$CID"
	assert_failure 1
	assert_one_line_error oci-run
	assert_output_contains "cannot find 'criu' on PATH"
}

@test "runc's options oci-run cannot carry out are refused in one line" {
	run_detached
	for o in --lazy-pages "--page-server 1.2.3.4:5" "--status-fd 3"; do
		# shellcheck disable=SC2086
		run rt checkpoint $o --image-path "$BATS_TEST_TMPDIR/img" "$CID"
		assert_failure 1
		assert_one_line_error oci-run
		assert_output_contains "is not supported by oci-run"
	done
	for o in --no-pivot "--lsm-profile p" --lazy-pages; do
		# shellcheck disable=SC2086
		run rt restore $o --image-path "$BATS_TEST_TMPDIR/img" "$CID-r"
		assert_failure 1
		assert_one_line_error oci-run
		assert_output_contains "is not supported by oci-run"
	done
	# runc's --empty-ns takes only the network namespace
	run rt checkpoint --empty-ns pid --image-path "$BATS_TEST_TMPDIR/img" "$CID"
	assert_failure 1
	assert_one_line_error oci-run
	assert_output_contains "checkpoint: --empty-ns 'pid': only 'network' is supported"
	run rt checkpoint --manage-cgroups-mode bogus "$CID"
	assert_failure 1
	assert_output_contains "invalid --manage-cgroups-mode 'bogus'"
	run rt restore --leave-running "$CID"
	assert_failure 1
	assert_output_contains "unknown option '--leave-running'"
	run rt checkpoint --detach "$CID"
	assert_failure 1
	assert_output_contains "unknown option '--detach'"
	[ ! -e "$BATS_TEST_TMPDIR/img" ]
	[ "$(rt_state_field "$CID" status)" = running ]
}

@test "checkpoint of a stopped or missing container, restore from a missing image: clear errors" {
	set_args true
	run_detached
	wait_status "$CID" stopped
	run rt checkpoint --image-path "$BATS_TEST_TMPDIR/img" "$CID"
	assert_failure 1
	assert_one_line_error oci-run
	assert_output_contains "the container is stopped, not running"
	run rt checkpoint --image-path "$BATS_TEST_TMPDIR/img" nosuch
	assert_failure 1
	assert_output_contains "container 'nosuch' does not exist"
	run rt restore --image-path "$BATS_TEST_TMPDIR/none" --bundle "$B" "$CID-r"
	assert_failure 1
	assert_one_line_error oci-run
	assert_output_contains "--image-path '$BATS_TEST_TMPDIR/none'"
	# nothing of the would-be container was left
	run rt state "$CID-r"
	assert_failure
}

@test "restore loads the bundle as create does: a bad config, a user namespace, a joined pid namespace, a terminal without a console socket (or one without a terminal) are refused, and nothing is left" {
	mkdir "$BATS_TEST_TMPDIR/img"
	cp "$B/config.json" "$BATS_TEST_TMPDIR/good.json"
	# try_restore MESSAGE [RESTORE-OPTION...]
	try_restore() {
		run rt restore -d "${@:2}" --image-path "$BATS_TEST_TMPDIR/img" --bundle "$B" "$CID-r"
		assert_failure 1
		assert_one_line_error oci-run
		assert_output_contains "$1"
		run rt state "$CID-r"
		assert_failure
		[ ! -e "$ROOT/$CID-r" ]
		[ -z "$(find /sys/fs/cgroup -maxdepth 3 -name "$CID-r" 2>/dev/null)" ]
		cp "$BATS_TEST_TMPDIR/good.json" "$B/config.json"
	}
	edit_config '.process.args = 7'
	try_restore "config.json: process.args: expected an array"
	edit_config '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	try_restore "a container with a user namespace cannot be checkpointed or restored by oci-run"
	edit_config '.linux.namespaces |= map(if .type == "pid" then .path = "/proc/1/ns/pid" else . end)'
	try_restore "a pid namespace joined by path cannot be checkpointed or restored"
	edit_config '.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/pid" else . end)'
	try_restore "not a network one"
	edit_config '.process.terminal = true'
	try_restore "restore of a container with a terminal needs --console-socket to receive its pty master"
	# (the terminal that works, through CRIU's orphaned pty master: 82-run-events-criu)
	try_restore "cannot use console socket: the container has no terminal" --console-socket "$BATS_TEST_TMPDIR/sock"
	# the checkpoint's record of CRIU's network lock names an nftables table oci-run deletes
	# in the restored container's namespace: anything but CRIU's own name is refused before
	# CRIU runs
	for bad in '"CRIU-1; flush ruleset"' '"filter"' '"CRIU-"' '7' '"CRIU-12345678901234567890123"'; do
		echo "{\"nftables_table\": $bad}" >"$BATS_TEST_TMPDIR/img/oci-run-netlock.json"
		try_restore "oci-run-netlock.json: nftables_table: expected \"CRIU-\" and a pid"
	done
	rm "$BATS_TEST_TMPDIR/img/oci-run-netlock.json"
	# a good bundle gets as far as CRIU (which cannot run here): still nothing left
	require_cmd criu
	echo '["/dev/null","/dev/null","/dev/null"]' >"$BATS_TEST_TMPDIR/img/descriptors.json"
	try_restore "restore of '$CID-r': criu"
}

@test "linux.netDevices: checkpoint and restore refuse in one line before anything is done; the device stays where it is" {
	is_oci_run || skip "$(basename "$RUNTIME") 1.x here ignores linux.netDevices"
	D=c$$${BATS_TEST_NUMBER}
	ip link add "${D}a" type ifb
	edit_config ".linux.netDevices = {\"${D}a\": {name: \"eth4\"}}"
	cp "$B/config.json" "$BATS_TEST_TMPDIR/netdev.json"
	run_detached
	pid=$(rt_state_field "$CID" pid)
	for o in "" --leave-running --pre-dump; do
		# shellcheck disable=SC2086
		run rt checkpoint $o --image-path "$BATS_TEST_TMPDIR/img" "$CID"
		assert_failure 1
		assert_one_line_error oci-run
		assert_output_contains "checkpoint of '$CID': linux.netDevices: a container with network devices moved in cannot be checkpointed or restored by oci-run"
		[ ! -e "$BATS_TEST_TMPDIR/img" ]
	done
	# what was moved in decides, not a config.json edited since create
	edit_config 'del(.linux.netDevices)'
	run rt checkpoint --image-path "$BATS_TEST_TMPDIR/img" "$CID"
	assert_failure 1
	assert_output_contains "linux.netDevices: a container with network devices moved in cannot"
	[ "$(rt_state_field "$CID" status)" = running ]
	nsenter -t "$pid" -n ip link show eth4 >/dev/null
	[ ! -e "/sys/class/net/${D}a" ]
	# restore from a bundle that names devices: refused before its state, cgroups or devices
	cp "$BATS_TEST_TMPDIR/netdev.json" "$B/config.json"
	mkdir "$BATS_TEST_TMPDIR/img"
	echo '["/dev/null","/dev/null","/dev/null"]' >"$BATS_TEST_TMPDIR/img/descriptors.json"
	run rt restore -d --image-path "$BATS_TEST_TMPDIR/img" --bundle "$B" "$CID-r"
	assert_failure 1
	assert_one_line_error oci-run
	assert_output_contains "linux.netDevices: a container with network devices moved in cannot be checkpointed or restored by oci-run"
	run rt state "$CID-r"
	assert_failure
	[ ! -e "$ROOT/$CID-r" ]
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -name "$CID-r" 2>/dev/null)" ]
	nsenter -t "$pid" -n ip link show eth4 >/dev/null
	rt delete --force "$CID"
	[ -e "/sys/class/net/${D}a" ]
}

@test "features and --help list checkpoint, restore and events" {
	run "$OCI_RUN" --help
	assert_success
	for c in checkpoint restore events; do
		printf '%s\n' "$output" | grep -qE "^  $c +"
	done
	run "$OCI_RUN" features
	assert_success
	jq -e '.annotations["org.opencontainers.runc.checkpoint.enabled"] == "true"' <<<"$output"
}
