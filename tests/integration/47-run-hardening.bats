#!/usr/bin/env bats
# oci-run hardening (issue 10, items 7-11), each written as the attack and checked on the host:
# namespace paths that are not namespaces (a FIFO used to hang create forever), recursive
# read-only binds (rro, rbind+ro, the rootless /sys fallback), --no-pivot and a fresh procfs,
# a pre-frozen cgroup (another hang), and delete --force with a corrupt or tampered state.
# Every runtime call is bounded with timeout: a hang is a failure, not a stuck suite.
# Runs against any runtime (RUNTIME=runc); where runc 1.1.5 itself misbehaves the test says so.

load ../lib/common
load 40-run-lib

setup() {
	require_root
	setup_bundle
	CG=ocihard-$CID
	edit_config ".linux.cgroupsPath = \"/$CG\""
}

teardown() {
	cleanup_containers
	if [ -n "${HOST_SLEEP:-}" ]; then kill "$HOST_SLEEP" 2>/dev/null; wait "$HOST_SLEEP" 2>/dev/null; fi || true
	[ -z "${SUBMNT:-}" ] || umount "$SUBMNT" 2>/dev/null || true
	local d
	for d in /sys/fs/cgroup/*/"$CG" /sys/fs/cgroup/*/ocihard-other-"$CID"; do
		[ -d "$d" ] || continue
		[ ! -f "$d/freezer.state" ] || echo THAWED >"$d/freezer.state" 2>/dev/null || true
		[ ! -f "$d/cgroup.freeze" ] || echo 0 >"$d/cgroup.freeze" 2>/dev/null || true
		# a frozen leftover dies once thawed: give it a moment to leave (tidying up
		# after the test only: what a test leaves behind is its own assertion)
		for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$d" 2>/dev/null && break; sleep 0.1; done # best effort
	done
}

# rt_to ARGS...: the runtime bounded in time (it blocks signals while it waits: a hang would
# otherwise stop the suite). Exit 124 or 137 means it hung.
rt_to() {
	timeout -k 5 60 "$RUNTIME" --root "$ROOT" "$@"
}

# run_to ARGS...: like `run rt_to ARGS...`, but the output goes through a file: a process
# left behind by a hung runtime (a frozen init) must not keep bats waiting on a pipe.
run_to() {
	local out=$BATS_TEST_TMPDIR/run_to.out
	status=0
	timeout -k 5 60 "$RUNTIME" --root "$ROOT" "$@" </dev/null >"$out" 2>&1 || status=$?
	output=$(cat "$out")
	mapfile -t lines <"$out"
}

# assert_no_hang: the last `run rt_to ...` ended by itself.
assert_no_hang() {
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		echo "the runtime hung (killed by timeout)" >&2
		return 1
	fi
}

# assert_left_nothing: no state directory, no cgroup, no process of the container.
assert_left_nothing() {
	[ ! -e "$ROOT/$CID" ] || { echo "state left: $(ls -la "$ROOT/$CID")" >&2; return 1; }
	local d
	for d in /sys/fs/cgroup/*/"$CG"; do
		[ ! -d "$d" ] || { echo "cgroup left: $d" >&2; return 1; }
	done
	! pgrep -f -- "$ROOT create.* $CID\$" >/dev/null || { echo "process left: $(pgrep -af -- "$ROOT")" >&2; return 1; }
}

# join_net PATH: the network namespace is joined by PATH.
join_net() {
	edit_config ".linux.namespaces |= map(if .type == \"network\" then .path = \"$1\" else . end)"
}

create_must_refuse() {
	run_to create --bundle "$B" "$CID"
	assert_no_hang
	assert_failure
	assert_left_nothing
}

@test "namespace path: a FIFO is refused at once, not opened (create used to hang forever)" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	join_net "$BATS_TEST_TMPDIR/fifo"
	peer_is runc "opens namespace paths with a blocking open(2) and hangs (no fix in runc 1.1)"
	peer_is crun "opens a FIFO namespace path and hangs (create never returns)"
	create_must_refuse
	assert_one_line_error oci-run
	assert_output_contains "linux.namespaces: 'network' path '$BATS_TEST_TMPDIR/fifo': not a namespace file"
}

@test "namespace path: a regular file is refused with the namespace's name" {
	echo x >"$BATS_TEST_TMPDIR/file"
	join_net "$BATS_TEST_TMPDIR/file"
	create_must_refuse
	is_oci_run || return 0
	assert_one_line_error oci-run
	assert_output_contains "linux.namespaces: 'network' path '$BATS_TEST_TMPDIR/file': not a namespace file"
}

@test "namespace path: a namespace of another type is refused (a mount namespace given as network)" {
	join_net "/proc/$$/ns/mnt"
	create_must_refuse
	is_oci_run || return 0
	assert_one_line_error oci-run
	assert_output_contains "linux.namespaces: 'network' path '/proc/$$/ns/mnt': a mount namespace, not a network one"
}

@test "namespace path: a real network namespace of the right type is still joined" {
	join_net "/proc/$$/ns/net"
	set_args readlink /proc/self/ns/net
	run rt_to run --bundle "$B" "$CID" </dev/null
	assert_success
	[ "$output" = "$(readlink /proc/$$/ns/net)" ]
}

# mount_with_submount: $SRC is a host directory with a tmpfs mounted at $SRC/sub.
mount_with_submount() {
	SRC=$BATS_TEST_TMPDIR/src
	mkdir -p "$SRC/sub"
	mount -t tmpfs -o size=1m tmpfs "$SRC/sub"
	SUBMNT=$SRC/sub
	touch "$SRC/sub/host-was-here"
}

@test "rro: a recursive read-only bind is read-only in its submounts too" {
	mount_with_submount
	edit_config ".mounts += [{destination: \"/data\", type: \"bind\", source: \"$SRC\", options: [\"rbind\", \"rro\"]}]"
	set_args sh -c 'touch /data/sub/x; touch /data/y; cat /data/sub/host-was-here && echo read-ok'
	run rt_to run --bundle "$B" "$CID" </dev/null
	assert_no_hang
	assert_output_contains "touch: /data/sub/x: Read-only file system"
	assert_output_contains "touch: /data/y: Read-only file system"
	assert_output_contains read-ok
	[ ! -e "$SRC/sub/x" ]
	[ ! -e "$SRC/y" ]
}

@test "rbind + ro: every mount below the bind is read-only as well" {
	peer_is runc "makes only the top mount of an rbind read-only (rro is its recursive option)"
	peer_is crun "makes only the top mount of an rbind read-only"
	mount_with_submount
	edit_config ".mounts += [{destination: \"/data\", type: \"bind\", source: \"$SRC\", options: [\"rbind\", \"ro\"]}]"
	set_args sh -c 'touch /data/sub/x; touch /data/y'
	run rt_to run --bundle "$B" "$CID" </dev/null
	assert_no_hang
	assert_output_contains "touch: /data/sub/x: Read-only file system"
	assert_output_contains "touch: /data/y: Read-only file system"
	[ ! -e "$SRC/sub/x" ]
	[ ! -e "$SRC/y" ]
	# rrw undoes it below, ro still holds at the top
	edit_config '.mounts[-1].options = ["rbind", "rrw", "ro"]'
	set_args sh -c 'touch /data/sub/x && echo sub-written; touch /data/y'
	run rt_to run --bundle "$B" "$CID" </dev/null
	assert_output_contains sub-written
	assert_output_contains "touch: /data/y: Read-only file system"
	[ -e "$SRC/sub/x" ]
}

@test "recursive options: rnosuid, rnodev, rnoexec, rnoatime reach the submounts" {
	peer_is crun "fails these options on this kernel: mount_setattr: Invalid argument"
	mount_with_submount
	edit_config ".mounts += [{destination: \"/data\", type: \"bind\", source: \"$SRC\", options: [\"rbind\", \"rnosuid\", \"rnodev\", \"rnoexec\", \"rnoatime\"]}]"
	set_args sh -c 'grep " /data/sub " /proc/self/mountinfo'
	run rt_to run --bundle "$B" "$CID" </dev/null
	assert_success
	opts=$(awk '{print $6}' <<<"$output")
	for o in nosuid nodev noexec noatime; do
		[[ ",$opts," == *",$o,"* ]] || { echo "no $o in '$opts'" >&2; false; }
	done
}

@test "features lists only mount options that create accepts" {
	is_oci_run || skip_peer "checks oci-run's own table"
	run rt features
	assert_success
	for o in $(jq -r '.mountOptions[]' <<<"$output"); do
		# idmap and ridmap are for bind mounts only (45-run-spec12 applies them)
		case $o in bind | rbind | remount | idmap | ridmap) continue ;; esac
		edit_config ".mounts = [.mounts[] | select(.destination != \"/opt\")] + [{destination: \"/opt\", type: \"tmpfs\", source: \"tmpfs\", options: [\"$o\"]}]"
		run rt_to run --bundle "$B" "$CID-o" </dev/null
		[ "$status" -eq 0 ] || { echo "option '$o': $output" >&2; false; }
	done
}

@test "rootless /sys fallback: the host's /sys is bound read-only all the way down" {
	# A user namespace that does not own the network namespace may not mount sysfs: the
	# runtime binds the host's /sys instead; its submounts are the host's cgroup hierarchies.
	peer_is runc "fails here: its sysfs mount gets EPERM and it has no /sys bind fallback for this config"
	peer_is crun "leaves mounts below its /sys bind fallback writable"
	edit_config '.linux.namespaces |= map(select(.type != "network")) + [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	make_traversable "$(shared_rootfs)"
	set_args sh -c 'grep -c " /sys" /proc/self/mountinfo; awk "\$5 ~ /^\/sys(\/|\$)/ && \$6 !~ /(^|,)ro(,|\$)/ {print \"writable: \" \$5}" /proc/self/mountinfo; mkdir /sys/fs/cgroup/pids/x'
	run rt_to run --bundle "$B" "$CID" </dev/null
	assert_no_hang
	# the fallback was taken: more than one mount under /sys
	[ "${lines[0]}" -gt 1 ]
	[[ "$output" != *writable:* ]]
	assert_output_contains "Read-only file system"
}

@test "--no-pivot: a nested user namespace cannot mount a fresh procfs past the masks" {
	# runc's test for the same hole: with MS_MOVE + chroot the host's /proc stays in the mount
	# namespace, fully visible, so the kernel lets a new user namespace mount procfs, which
	# shows what maskedPaths hide and makes readonlyPaths (/proc/sysrq-trigger) writable.
	unshare -Ur true 2>/dev/null || skip "user namespaces are not available"
	edit_config '.process.capabilities.bounding += ["CAP_SETFCAP"] | .process.capabilities.permitted += ["CAP_SETFCAP"]
		| .process.capabilities.effective += ["CAP_SETFCAP"]'
	set_args unshare -mrpf sh -c 'mount -t proc none /proc && echo MOUNTED'
	run rt_to run --no-pivot --bundle "$B" "$CID" </dev/null
	assert_no_hang
	[[ "$output" != *MOUNTED* ]]
	assert_output_contains "permission denied"
	# the same container still runs with --no-pivot
	set_args sh -c 'cat /proc/self/stat >/dev/null && echo ok'
	run rt_to run --no-pivot --bundle "$B" "$CID" </dev/null
	assert_success
	[ "$output" = ok ]
}

@test "a frozen cgroup is refused at once (create used to hang with SIGTERM blocked)" {
	peer_is crun "hangs creating into a frozen cgroup (the hang this test guards oci-run against)"
	[ -d /sys/fs/cgroup/freezer ] || [ -f /sys/fs/cgroup/cgroup.freeze ] || skip "no freezer"
	if [ -d /sys/fs/cgroup/freezer ]; then
		frozen=/sys/fs/cgroup/freezer/$CG
		mkdir "$frozen"
		echo FROZEN >"$frozen/freezer.state"
	else
		frozen=/sys/fs/cgroup/$CG
		mkdir "$frozen"
		echo 1 >"$frozen/cgroup.freeze"
	fi
	run_to create --bundle "$B" "$CID"
	assert_no_hang
	assert_failure
	is_oci_run || return 0
	assert_one_line_error oci-run
	assert_output_contains "cgroup '$frozen' is frozen"
	assert_left_nothing
}

# created_with_state: a created container $CID (init $INIT) whose state is then damaged.
create_sleeper() {
	set_args sleep 1000
	rt_to create --bundle "$B" "$CID" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/create.err" ||
		{ cat "$BATS_TEST_TMPDIR/create.err"; false; }
	INIT=$(rt_state_field "$CID" pid)
	[ -d "/proc/$INIT" ]
}

# assert_container_gone: init dead, cgroups and state removed.
assert_container_gone() {
	local i
	# up to 20 s: a killed init is reaped at once, but a loaded machine may be slow to show it
	for i in $(seq 400); do
		[ -d "/proc/$INIT" ] && ! grep -q '^State:\s*Z' "/proc/$INIT/status" 2>/dev/null || break
		sleep 0.05
	done
	if [ -d "/proc/$INIT" ] && ! grep -q '^State:\s*Z' "/proc/$INIT/status" 2>/dev/null; then
		echo "init $INIT still alive" >&2
		return 1
	fi
	assert_left_nothing
	for d in /sys/fs/cgroup/*/oci-run/"$CID"; do
		[ ! -d "$d" ] || { echo "cgroup left: $d" >&2; return 1; }
	done
}

# host_sleep_in_decoy: a host process ($HOST_SLEEP) in a cgroup of its own in each hierarchy.
host_sleep_in_decoy() {
	sleep 1000 </dev/null >/dev/null 2>&1 &
	HOST_SLEEP=$!
	HOST_START=$(awk '{print $22}' "/proc/$HOST_SLEEP/stat")
	DECOY=()
	local h
	for h in pids freezer memory; do
		[ -d "/sys/fs/cgroup/$h" ] || continue
		mkdir -p "/sys/fs/cgroup/$h/ocihard-other-$CID"
		echo "$HOST_SLEEP" >"/sys/fs/cgroup/$h/ocihard-other-$CID/cgroup.procs"
		DECOY+=("/sys/fs/cgroup/$h/ocihard-other-$CID")
	done
	[ ${#DECOY[@]} -gt 0 ] || skip "no cgroup v1 hierarchy to put a decoy in"
}

assert_host_untouched() {
	kill -0 "$HOST_SLEEP" || { echo "the host's sleep was killed" >&2; return 1; }
	local d
	for d in "${DECOY[@]}"; do
		[ -d "$d" ] || { echo "decoy cgroup removed: $d" >&2; return 1; }
		grep -qx "$HOST_SLEEP" "$d/cgroup.procs"
	done
	[ -d "$BATS_TEST_TMPDIR/victim" ] || { echo "a directory outside the state root was removed" >&2; return 1; }
	[ -d "$BATS_TEST_TMPDIR/emptydir" ] || { echo "a non-cgroup directory was removed" >&2; return 1; }
}

@test "delete --force with a corrupt state.json kills the container and removes its cgroups; list warns" {
	peer_is runc "cannot delete a container whose state.json does not parse (it leaves the init and its cgroups)"
	peer_is crun "reports a corrupt state.json in its own words"
	# a healthy neighbour, in a cgroup of its own, is still listed
	edit_config ".linux.cgroupsPath = \"/$CG-ok\""
	set_args sleep 1000
	rt_to create --bundle "$B" "$CID-ok" </dev/null >/dev/null 2>&1
	edit_config ".linux.cgroupsPath = \"/$CG\""
	create_sleeper
	echo garbage >"$ROOT/$CID/state.json"
	run rt_to list -q
	assert_success
	[ "$output" != "${output/$CID-ok/}" ]
	run bash -c "timeout -k 5 60 '$RUNTIME' --root '$ROOT' list -q 2>&1 >/dev/null"
	assert_output_contains "container '$CID': state.json"
	run_to delete --force "$CID"
	assert_no_hang
	assert_success
	assert_container_gone
	# the neighbour was left alone
	[ "$(rt_state_field "$CID-ok" status)" = created ]
	rt_to delete --force "$CID-ok"
}

@test "delete --force with a corrupt state.json and no cgroup list falls back to the default cgroup path" {
	peer_is runc "cannot delete a container whose state.json does not parse"
	edit_config 'del(.linux.cgroupsPath)'
	create_sleeper
	[ -d "/sys/fs/cgroup/pids/oci-run/$CID" ] || skip "no default cgroup in the pids hierarchy"
	echo '{"id": ' >"$ROOT/$CID/state.json"
	rm -f "$ROOT/$CID/cgroups.json"
	run_to delete --force "$CID"
	assert_no_hang
	assert_success
	assert_container_gone
}

# tamper JQ: rewrite the container's state.json.
tamper() {
	jq "$1" "$ROOT/$CID/state.json" >"$BATS_TEST_TMPDIR/s.json" && cp "$BATS_TEST_TMPDIR/s.json" "$ROOT/$CID/state.json"
}

@test "delete --force with a tampered state.json kills neither a host process nor another cgroup, removes nothing outside" {
	is_oci_run || skip_peer "tampers with oci-run's state format"
	create_sleeper
	host_sleep_in_decoy
	mkdir -p "$BATS_TEST_TMPDIR/victim" "$BATS_TEST_TMPDIR/emptydir"
	cgs=$(printf '%s\n' "${DECOY[@]}" "$BATS_TEST_TMPDIR/emptydir" | jq -R . | jq -s -c .)
	tamper ".pid = $HOST_SLEEP | .pid_start = $HOST_START | .cgroups = $cgs | .id = \"../victim\""
	run_to delete --force "$CID"
	assert_no_hang
	assert_success
	assert_host_untouched
	assert_container_gone
}

@test "delete --force with state.json and cgroups.json both pointing at a host cgroup leaves it alone" {
	is_oci_run || skip_peer "tampers with oci-run's state format"
	edit_config 'del(.linux.cgroupsPath)'
	create_sleeper
	host_sleep_in_decoy
	mkdir -p "$BATS_TEST_TMPDIR/victim" "$BATS_TEST_TMPDIR/emptydir"
	cgs=$(printf '%s\n' "${DECOY[@]}" | jq -R . | jq -s -c .)
	tamper ".pid = $HOST_SLEEP | .pid_start = $HOST_START | .cgroups = $cgs"
	echo "$cgs" >"$ROOT/$CID/cgroups.json"
	run_to delete --force "$CID"
	assert_no_hang
	assert_success
	assert_output_contains "holds pid $HOST_SLEEP of the host's mount namespace"
	assert_host_untouched
	assert_container_gone
}
