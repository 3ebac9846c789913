#!/usr/bin/env bats
# oci-run namespaces beyond the basic set: time (linux.timeOffsets), cgroup, namespaces
# joined by path (an `ip netns` namespace, another container's), the session keyring, and
# create reporting every config problem at once. Runs against any runtime (RUNTIME=runc);
# what a runtime does not support is skipped with its reason.

bats_require_minimum_version 1.5.0
load ../lib/common
load 40-run-lib

setup() {
	require_root
	setup_bundle
}

teardown() {
	cleanup_containers
	[ -z "${NETNS:-}" ] || ip netns del "$NETNS" 2>/dev/null || true
}

# runtime_has_ns TYPE: the runtime's `features` lists the namespace type.
# A runtime without `features` (crun 1.8) announces nothing.
runtime_has_ns() {
	local f
	f=$(rt features 2>/dev/null) || return 1
	jq -e --arg t "$1" '.linux.namespaces | index($t)' <<<"$f" >/dev/null
}

@test "time namespace: linux.timeOffsets shift the container's boottime and monotonic clocks" {
	peer_is crun "has no features command, and its timeOffsets fail: 'write to sync socket: Broken pipe'"
	runtime_has_ns time || skip_peer "has no time namespace"
	edit_config '.linux.namespaces += [{type: "time"}]
		| .linux.timeOffsets = {boottime: {secs: 1000000, nanosecs: 0}, monotonic: {secs: 2000000, nanosecs: 0}}'
	set_args sh -c 'readlink /proc/self/ns/time; cut -d. -f1 /proc/uptime'
	host_up=$(cut -d. -f1 /proc/uptime)
	run rt run --bundle "$B" "$CID"
	assert_success
	[ "${lines[0]}" != "$(readlink /proc/self/ns/time)" ]
	# uptime counts boottime: the host's plus the offset
	[ "${lines[1]}" -ge $((host_up + 1000000)) ]
	[ "${lines[1]}" -lt $((host_up + 1000000 + 60)) ]
	# offsets without a new time namespace are refused
	edit_config '.linux.namespaces |= map(select(.type != "time"))'
	run rt run --bundle "$B" "$CID"
	assert_failure
	is_oci_run || return 0
	assert_one_line_error oci-run
	assert_output_contains "linux.timeOffsets"
}

@test "cgroup namespace: the container sees its own cgroup as the root" {
	edit_config ".linux.cgroupsPath = \"/oci-ns-$CID\""
	set_args cat /proc/self/cgroup
	run rt run --bundle "$B" "$CID"
	assert_success
	# without a cgroup namespace the container sees where it is
	[[ "$output" == *":pids:/oci-ns-$CID"* ]]
	edit_config '.linux.namespaces += [{type: "cgroup"}]'
	set_args sh -c 'readlink /proc/self/ns/cgroup; cat /proc/self/cgroup'
	run rt run --bundle "$B" "$CID"
	assert_success
	[ "${lines[0]}" != "$(readlink /proc/self/ns/cgroup)" ]
	[[ "$output" == *":pids:/"$'\n'* ]] || [[ "$output" == *":pids:/" ]]
	[[ "$output" != *"oci-ns-$CID"* ]]
}

@test "network namespace joined by path: one made with ip netns add" {
	require_cmd ip
	NETNS=oci-$CID
	ip netns add "$NETNS"
	ip -n "$NETNS" link set lo up
	# a dummy interface marks the namespace when the module is there
	dummy=0
	ip -n "$NETNS" link add oci0 type dummy 2>/dev/null && dummy=1
	inode=$(stat -L -c %i "/run/netns/$NETNS")
	edit_config ".linux.namespaces |= map(if .type == \"network\" then .path = \"/run/netns/$NETNS\" else . end)"
	set_args sh -c 'readlink /proc/self/ns/net; cat /proc/net/dev'
	run rt run --bundle "$B" "$CID"
	assert_success
	[ "${lines[0]}" = "net:[$inode]" ]
	[ "$dummy" = 0 ] || assert_output_contains "oci0:"
	# a path that is not a network namespace is an error
	edit_config '.linux.namespaces |= map(if .type == "network" then .path = "/etc/hostname" else . end)'
	run rt run --bundle "$B" "$CID"
	assert_failure
}

@test "network namespace joined by path: a foreground run holds no fd of it" {
	require_cmd ip
	NETNS=oci-$CID
	ip netns add "$NETNS"
	ns=$(stat -L -c %d:%i "/run/netns/$NETNS")
	edit_config ".linux.namespaces |= map(if .type == \"network\" then .path = \"/run/netns/$NETNS\" else . end)"
	set_args sleep 100
	# The runtime waits for the container: its own fds must not keep the namespace open
	# (they did: the join fds were never closed by the runtime).
	"$RUNTIME" --root "$ROOT" run --bundle "$B" "$CID" </dev/null >/dev/null 2>&1 &
	rpid=$!
	wait_status "$CID" running
	held=()
	for f in /proc/$rpid/fd/*; do
		[ "$(stat -L -c %d:%i "$f" 2>/dev/null)" = "$ns" ] && held+=("$f")
	done
	rt kill "$CID" KILL
	wait "$rpid" || true
	[ ${#held[@]} = 0 ] || { echo "the runtime holds the namespace: ${held[*]}"; false; }
}

@test "network namespace joined by path: another container's" {
	set_args sleep 100
	rt_create "$CID-a" || { cat "$BATS_TEST_TMPDIR/create.err"; false; }
	apid=$(rt_state_field "$CID-a" pid)
	edit_config ".linux.namespaces |= map(if .type == \"network\" then .path = \"/proc/$apid/ns/net\" else . end)"
	set_args readlink /proc/self/ns/net
	run rt run --bundle "$B" "$CID-b"
	assert_success
	[ "$output" = "$(readlink /proc/$apid/ns/net)" ]
	[ "$output" != "$(readlink /proc/self/ns/net)" ]
}

@test "mount namespace joined by path: the container is in every cgroup of its own, whatever the other container planted there" {
	# The joined namespace is another container's, whose process makes files of its own at
	# the host's cgroup paths (its /sys is its rootfs'): a join by path after the setns wrote
	# '0' into those, and the container ran outside its devices, memory and pids cgroups.
	is_oci_run || skip_peer "runc sets up no rootfs in a joined mount namespace without /proc (open /proc/self/mountinfo)"
	setup_bundle private
	edit_config '.root.readonly = false | .mounts |= map(select(.destination | startswith("/sys") | not))'
	local h hier=()
	for h in /sys/fs/cgroup/*/; do
		h=${h%/}
		hier+=("${h##*/}")
	done
	set_args sh -c 'for h in "$@"; do mkdir -p "/sys/fs/cgroup/$h/oci-ns-'"$CID"'-b" && : >"/sys/fs/cgroup/$h/oci-ns-'"$CID"'-b/tasks"; done; : >/planted; exec sleep 100' sh "${hier[@]}"
	rt_create "$CID-a" || { cat "$BATS_TEST_TMPDIR/create.err"; false; }
	rt start "$CID-a"
	wait_for_file "$B/rootfs/planted"
	apid=$(rt_state_field "$CID-a" pid)
	# this one's root is a directory of the other's (at a path the host has too, which
	# create checks); nothing of the host's is mounted in it
	mkdir "$B/inner"
	make_rootfs "$B/rootfs$B/inner"
	edit_config ".root.path = \"$B/inner\" | .mounts = [] | .linux.maskedPaths = [] | .linux.readonlyPaths = []
		| .linux.cgroupsPath = \"/oci-ns-$CID-b\"
		| .linux.namespaces |= map(if .type == \"mount\" then .path = \"/proc/$apid/ns/mnt\" else . end)"
	set_args sleep 100
	rt_create "$CID-b" || { cat "$BATS_TEST_TMPDIR/create.err"; false; }
	bpid=$(rt_state_field "$CID-b" pid)
	cat "/proc/$bpid/cgroup"
	[ "$(grep -c . "/proc/$bpid/cgroup")" = "$(grep -c ":/oci-ns-$CID-b\$" "/proc/$bpid/cgroup")" ]
	[ ! -s "$B/rootfs/sys/fs/cgroup/devices/oci-ns-$CID-b/tasks" ]
}

@test "session keyring: a keyring of the container's own unless --no-new-keyring" {
	[ -r /proc/keys ] || skip "no /proc/keys (kernel without keyrings)"
	build_keytool
	edit_config ".mounts += [{destination: \"/keytool\", type: \"bind\", source: \"$KEYTOOL\", options: [\"bind\", \"ro\"]}]"
	set_args /keytool show
	# runc's name is _ses.ID, oci-run's _ses.ID.<32 hex digits> (one no other container can
	# guess: 85-attack-container), crun 1.8's ID; the host's root cannot view it (only the
	# container's processes may), so it is asked from inside
	run -0 rt run --bundle "$B" "$CID" </dev/null
	local name
	name=$(awk '$1 == "session" {print $3}' <<<"$output")
	if is_oci_run; then
		[[ "$name" =~ ^_ses\.$CID\.[0-9a-f]{32}$ ]]
	elif is_crun; then
		[ "$name" = "$CID" ]
	else
		[ "$name" = "_ses.$CID" ]
	fi
	# without one, the caller's
	run -0 rt run --no-new-keyring --bundle "$B" "$CID-n" </dev/null
	[ "$(awk '$1 == "session" {print $2}' <<<"$output")" = "$("$KEYTOOL" show | awk '$1 == "session" {print $2}')" ]
}

@test "create reports every problem of config.json at once" {
	is_oci_run || skip_peer "the message format is oci-run's"
	edit_config '.hostname = 7 | .process.cwd = "relative" | .linux.namespaces += [{type: "bogus"}]'
	run rt create --bundle "$B" "$CID"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "3 problems"
	assert_output_contains "hostname"
	assert_output_contains "process.cwd"
	assert_output_contains "linux.namespaces"
	[ ! -e "$ROOT/$CID" ]
}
