#!/usr/bin/env bats
# linux.netDevices (runtime-spec 1.2) on the real kernel: a host interface moved into the
# container's network namespace at create, renamed, with its addresses and up; back on the host
# under its own name at delete (even once the container has stopped) and after a foreground
# run; a create that fails halfway gives back what it moved and leaves nothing; attacks (the
# host's lo, a clashing name, the host's own namespace, a container renaming its device and
# making one named like the host's, or one of another kind under the same index; in a namespace
# joined by path, a process there renaming the device as it arrives, or forging the kernel's
# rtnetlink answers, with the runtime's requests held by strace to open the window); validation.
# The devices are ifb ones (a standalone virtual device like dummy, which this host's kernel
# lacks; real dummies are moved in the qemu guest: 45-run-netdev.guest.sh, asserted by
# 80-cgroupv2.bats) and veth ends, named after the bats process and the test, removed in
# teardown.
# RUNTIME=runc / crun: runc 1.1.5 and crun 1.8 ignore linux.netDevices, so those tests skip.

load ../lib/common
load 40-run-lib

setup() {
	require_root
	setup_bundle
	# n<pid><test><letter>: unique per test, within IFNAMSIZ
	D=n$$${BATS_TEST_NUMBER}
	NETNS=oci-$CID
}

teardown() {
	cleanup_containers
	local l
	for l in $(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
		case $l in "$D"*) ip link del "$l" 2>/dev/null || true ;; esac
	done
	ip netns del "$NETNS" 2>/dev/null || true
}

needs_netdevices() {
	is_oci_run || skip_peer "ignores linux.netDevices (runc 1.2 added it; runc 1.1.5 and crun 1.8.1 predate it)"
}

# add_ifb NAME: an ifb device on the host with an IPv4 and an IPv6 address, up.
add_ifb() {
	ip link add "$1" type ifb
	ip addr add 10.201.7.1/24 dev "$1"
	ip -6 addr add fd00:201:7::1/64 dev "$1" nodad
	ip link set "$1" up
}

# link_field NAME FIELD [PID]: ifindex or address of the interface on the host (or in PID's
# network namespace: /sys/class/net shows the namespace sysfs was mounted in).
link_field() {
	if [ -n "${3:-}" ]; then
		nsenter -t "$3" -n ip -j link show dev "$1" | jq -r ".[0].$2"
	else
		ip -j link show dev "$1" | jq -r ".[0].$2"
	fi
}

# nothing_left: no container, no state directory (a deleted one waits in .trash, emptied, for
# the next create to remove it), no pinned namespace under the state root.
nothing_left() {
	[ -z "$(rt list -q)" ]
	state_root_empty "$ROOT"
	! grep -q " $ROOT/" /proc/self/mountinfo || false
}

@test "features says netDevices is enabled" {
	needs_netdevices
	[ "$(rt features | jq -c .linux.netDevices)" = '{"enabled":true}' ]
}

@test "create moves the device in, renamed, with its addresses and up; delete of the stopped container gives it back under its own name" {
	needs_netdevices
	add_ifb "${D}a"
	idx=$(link_field "${D}a" ifindex)
	mac=$(link_field "${D}a" address)
	edit_config ".linux.netDevices = {\"${D}a\": {name: \"eth7\"}}"
	set_args sleep 100
	rt_create "$CID"
	pid=$(rt_state_field "$CID" pid)
	# gone from the host, inside under its new name, same device
	[ ! -e "/sys/class/net/${D}a" ]
	[ "$(link_field eth7 address "$pid")" = "$mac" ]
	run nsenter -t "$pid" -n ip -o addr show dev eth7
	assert_output_contains "inet 10.201.7.1/24"
	assert_output_contains "inet6 fd00:201:7::1/64"
	run nsenter -t "$pid" -n ip -o link show dev eth7
	assert_output_contains "UP"
	# stopped: the init is gone, the namespace (and a dummy/ifb in it) lives on, pinned
	rt start "$CID"
	rt kill "$CID" KILL
	wait_status "$CID" stopped
	rt delete "$CID"
	[ "$(link_field "${D}a" ifindex)" = "$idx" ]
	[ "$(link_field "${D}a" address)" = "$mac" ]
	[ ! -e /sys/class/net/eth7 ]
	nothing_left
}

@test "run in the foreground: the process sees the device, and it is back on the host when run returns" {
	needs_netdevices
	add_ifb "${D}a"
	edit_config ".linux.netDevices = {\"${D}a\": {}}"
	set_args sh -c "ip -o addr show dev ${D}a"
	run rt run --bundle "$B" "$CID"
	assert_success
	assert_output_contains "inet 10.201.7.1/24 scope global ${D}a"
	[ -e "/sys/class/net/${D}a" ]
	nothing_left
}

@test "a name with %d (runtime-spec 1.3's template) is numbered by the kernel: two devices under one pattern, lo%d beside the namespace's lo; each goes back under its own name" {
	needs_netdevices
	add_ifb "${D}a"
	ip link add "${D}b" type ifb
	edit_config ".linux.netDevices = {\"${D}a\": {name: \"ct%d\"}, \"${D}b\": {name: \"ct%d\"}}"
	set_args sh -c 'ls /sys/class/net | tr "\n" " "; ip -o addr show dev ct0; ip -o addr show dev ct1'
	run rt run --bundle "$B" "$CID"
	assert_success
	assert_output_contains "ct0 ct1 lo"
	assert_output_contains "inet 10.201.7.1/24 scope global ct"
	[ -e "/sys/class/net/${D}a" ]
	[ -e "/sys/class/net/${D}b" ]
	# beside the namespace's own lo: lo0
	edit_config ".linux.netDevices = {\"${D}a\": {name: \"lo%d\"}}"
	set_args sh -c 'ls /sys/class/net | tr "\n" " "'
	run rt run --bundle "$B" "$CID"
	assert_success
	assert_output_contains "lo lo0"
	[ -e "/sys/class/net/${D}a" ]
	# create, delete of the stopped container
	edit_config ".linux.netDevices = {\"${D}a\": {name: \"e%d\"}}"
	set_args true
	rt_create "$CID"
	[ ! -e "/sys/class/net/${D}a" ]
	[ "$(jq -r '.[0].name' "$ROOT/$CID/netdevices.json")" = e0 ]
	rt start "$CID"
	wait_status "$CID" stopped
	rt delete "$CID"
	[ -e "/sys/class/net/${D}a" ]
	nothing_left
}

@test "a device the host does not have fails create in one line; the one moved before it goes back, nothing is left" {
	needs_netdevices
	add_ifb "${D}a"
	idx=$(link_field "${D}a" ifindex)
	edit_config ".linux.netDevices = {\"${D}a\": {name: \"eth1\"}, \"${D}x\": {}}"
	run rt run --bundle "$B" "$CID"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "linux.netDevices: the host has no interface '${D}x'"
	[ "$(link_field "${D}a" ifindex)" = "$idx" ]
	nothing_left
}

@test "attack: an interface another container holds is not the host's to give: create fails in one line, the holder keeps it" {
	needs_netdevices
	add_ifb "${D}a"
	edit_config ".linux.netDevices = {\"${D}a\": {name: \"eth1\"}}"
	set_args sleep 100
	rt_create "$CID"
	pid=$(rt_state_field "$CID" pid)
	run rt run --bundle "$B" "${CID}b"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "linux.netDevices: the host has no interface '${D}a'"
	[ "$(rt list -q)" = "$CID" ]
	nsenter -t "$pid" -n ip link show eth1 >/dev/null
	rt delete --force "$CID"
	[ -e "/sys/class/net/${D}a" ]
	nothing_left
}

@test "attack: the host's lo, and a rename onto a name the container's namespace has, fail create cleanly" {
	needs_netdevices
	edit_config '.linux.netDevices = {lo: {name: "hostlo"}}'
	run rt run --bundle "$B" "$CID"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "linux.netDevices: 'lo' is the host's loopback interface: it cannot be moved"
	ip link show lo >/dev/null
	nothing_left
	add_ifb "${D}a"
	edit_config ".linux.netDevices = {\"${D}a\": {name: \"lo\"}}"
	run rt run --bundle "$B" "$CID"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "cannot move '${D}a' in as 'lo': the container's network namespace has an interface of that name"
	[ -e "/sys/class/net/${D}a" ]
	nothing_left
}

@test "attack: a network namespace that is the host's, or none, is refused in one line" {
	needs_netdevices
	add_ifb "${D}a"
	edit_config ".linux.netDevices = {\"${D}a\": {}} | .linux.namespaces |= map(select(.type != \"network\"))"
	run rt run --bundle "$B" "$CID"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "linux.netDevices: moving network devices needs the container's own network namespace in linux.namespaces"
	edit_config ".linux.namespaces += [{type: \"network\", path: \"/proc/$$/ns/net\"}]"
	run rt run --bundle "$B" "$CID"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "linux.netDevices: the container's network namespace is the runtime's own"
	[ -e "/sys/class/net/${D}a" ]
	nothing_left
}

@test "a joined network namespace (path) gets the device, and gives it back at delete" {
	needs_netdevices
	add_ifb "${D}a"
	ip netns add "$NETNS"
	edit_config ".linux.netDevices = {\"${D}a\": {name: \"eth3\"}}
		| .linux.namespaces |= map(if .type == \"network\" then .path = \"/run/netns/$NETNS\" else . end)"
	set_args sleep 100
	rt_create "$CID"
	ip netns exec "$NETNS" ip -o addr show dev eth3 | grep -q "inet 10.201.7.1/24"
	rt delete --force "$CID"
	[ -e "/sys/class/net/${D}a" ]
	run ip netns exec "$NETNS" ip link show eth3
	assert_failure
	nothing_left
}

# strace_rt WHEN ARGS...: the runtime with each of its sendto calls (its rtnetlink requests)
# held $HOLD_US (0.3 s), before (WHEN=enter) or after (exit) the kernel takes them: the window
# a process sharing the container's network namespace needs, made wide so the attack is not a
# dice roll.
strace_rt() {
	local when=$1
	shift
	# -D: the runtime, not strace, is the parent of what it starts; stdio on files, as in
	# rt_create, so the container's init holds no pipe of bats
	timeout -k 5 60 strace -D -o /dev/null -e trace=sendto -e "inject=sendto:delay_$when=${HOLD_US:-300000}" \
		"$RUNTIME" --root "$ROOT" "$@" </dev/null >"$BATS_TEST_TMPDIR/rt.out" 2>"$BATS_TEST_TMPDIR/rt.err" ||
		{ cat "$BATS_TEST_TMPDIR/rt.err" >&2; return 1; }
}

# joined_netdev NAME: the config moves ${D}a in as NAME into the namespace $NETNS (made here).
joined_netdev() {
	ip netns add "$NETNS"
	edit_config ".linux.netDevices = {\"${D}a\": {name: \"$1\"}}
		| .linux.namespaces |= map(if .type == \"network\" then .path = \"/run/netns/$NETNS\" else . end)"
	set_args sleep 100
}

@test "a joined namespace whose device holds the moved one's index: it goes in under another index, and all later steps find it there" {
	needs_netdevices
	add_ifb "${D}a"
	idx=$(link_field "${D}a" ifindex)
	mac=$(link_field "${D}a" address)
	joined_netdev eth3
	ip netns exec "$NETNS" ip link add "${D}q" index "$idx" type ifb
	rt_create "$CID"
	in=$(ip netns exec "$NETNS" ip -j link show dev eth3 | jq -r '.[0].ifindex')
	[ "$in" != "$idx" ]
	ip netns exec "$NETNS" ip -j link show dev eth3 | jq -e ".[0].address == \"$mac\""
	ip netns exec "$NETNS" ip -o addr show dev eth3 | grep -q "inet 10.201.7.1/24"
	run ip netns exec "$NETNS" ip -o addr show dev "${D}q"
	assert_success
	[[ $output != *10.201.7.1* ]]
	rt delete --force "$CID"
	[ "$(link_field "${D}a" address)" = "$mac" ]
	[ "$(ip netns exec "$NETNS" ip -j link show dev "${D}q" | jq -r '.[0].ifindex')" = "$idx" ]
	nothing_left
}

@test "attack: a process in a joined namespace renames the device as it arrives and makes a decoy under its name: addresses, up and delete follow the device moved in, by index" {
	needs_netdevices
	require_cmd strace
	add_ifb "${D}a"
	mac=$(link_field "${D}a" address)
	joined_netdev eth3
	# root in that namespace: the moment eth3 exists, it becomes ${D}r and an ifb takes eth3
	timeout 30 ip netns exec "$NETNS" sh -c "until ip link set eth3 name ${D}r 2>/dev/null; do :; done
		ip link add eth3 type ifb" 3>&- &
	racer=$!
	# a rename and an ip link add, each a new process: 1 s even on a loaded machine
	HOLD_US=1000000 strace_rt exit create --bundle "$B" "$CID"
	wait "$racer"
	# the device moved in got the host's addresses and is up, under the racer's name; the
	# decoy got nothing
	ip netns exec "$NETNS" ip -j link show dev "${D}r" | jq -e ".[0].address == \"$mac\""
	run ip netns exec "$NETNS" ip -o addr show dev "${D}r"
	assert_output_contains "inet 10.201.7.1/24"
	run ip netns exec "$NETNS" ip -o link show dev "${D}r"
	assert_output_contains "UP"
	run ip netns exec "$NETNS" ip -o addr show dev eth3
	assert_success
	[[ $output != *10.201.7.1* ]]
	# delete gives back the device moved in, not the decoy
	rt delete --force "$CID"
	[ "$(link_field "${D}a" address)" = "$mac" ]
	ip netns exec "$NETNS" ip link show eth3 >/dev/null
	nothing_left
}

@test "attack: a process in a joined namespace sends the runtime forged rtnetlink answers: they are not the kernel's, and are ignored" {
	needs_netdevices
	require_cmd strace
	add_ifb "${D}a"
	joined_netdev eth3
	# root in that namespace (CAP_NET_ADMIN there may send to any netlink socket of it): every
	# NETLINK_ROUTE socket it sees in /proc/net/netlink that is not its own gets, every 50 ms,
	# an "EACCES" answer for each sequence number 1..64, in the reply format of the kernel
	timeout 30 ip netns exec "$NETNS" python3 -c '
import socket, struct, time
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
s.bind((0, 0))
me = s.getsockname()[0]
end = time.time() + 20
while time.time() < end:
    for line in open("/proc/self/net/netlink").read().splitlines()[1:]:
        f = line.split()
        proto, port = int(f[1]), int(f[2])
        if proto != 0 or port in (0, me):
            continue
        forged = b"".join(struct.pack("=IHHIIi", 36, 2, 0, seq, port, -13) +
                          struct.pack("=IHHII", 16, 16, 0, seq, port) for seq in range(1, 65))
        try:
            s.sendto(forged, (port, 0))
        except OSError:
            pass
    time.sleep(0.05)
' 3>&- &
	forger=$!
	strace_rt enter create --bundle "$B" "$CID" || { kill "$forger"; false; }
	kill "$forger"
	wait "$forger" || true
	ip netns exec "$NETNS" ip -o addr show dev eth3 | grep -q "inet 10.201.7.1/24"
	rt delete --force "$CID"
	[ -e "/sys/class/net/${D}a" ]
	nothing_left
}

@test "attack: the container renames its device and makes one named like the host's: delete gives back the one moved in, by index" {
	needs_netdevices
	add_ifb "${D}a"
	idx=$(link_field "${D}a" ifindex)
	mac=$(link_field "${D}a" address)
	edit_config ".linux.netDevices = {\"${D}a\": {name: \"eth1\"}}"
	set_args sleep 100
	rt_create "$CID"
	pid=$(rt_state_field "$CID" pid)
	rt start "$CID"
	# what root in the container may do in its own network namespace (done from the host
	# with the same rights there, since busybox's ip makes no ifb): rename the device, then
	# make one with the host's name and one with the name it had inside
	nsenter -t "$pid" -n ip link set eth1 down
	nsenter -t "$pid" -n ip link set eth1 name other
	nsenter -t "$pid" -n ip link add "${D}a" type ifb
	nsenter -t "$pid" -n ip link add eth1 type ifb
	[ "$(link_field "${D}a" address "$pid")" != "$mac" ]
	rt delete --force "$CID"
	[ "$(link_field "${D}a" ifindex)" = "$idx" ]
	[ "$(link_field "${D}a" address)" = "$mac" ]
	[ ! -e /sys/class/net/other ]
	[ "$(ip -o link | grep -c " ${D}")" = 1 ]
	nothing_left
}

@test "attack: a veth the container puts under the moved device's index never reaches the host" {
	needs_netdevices
	add_ifb "${D}a"
	edit_config ".linux.netDevices = {\"${D}a\": {name: \"eth1\"}}"
	set_args sleep 100
	rt_create "$CID"
	pid=$(rt_state_field "$CID" pid)
	idx=$(link_field eth1 ifindex "$pid")
	# what root in the container may do in its own namespace: delete the device, and make a
	# veth pair whose end takes the index delete will look for, under the host's name
	nsenter -t "$pid" -n ip link del eth1
	nsenter -t "$pid" -n ip link add "${D}a" index "$idx" type veth peer name "${D}p"
	[ "$(link_field "${D}a" ifindex "$pid")" = "$idx" ]
	run rt delete --force "$CID"
	assert_success
	assert_output_contains "is not the '${D}a' moved in: left to the kernel"
	[ ! -e "/sys/class/net/${D}a" ]
	[ ! -e "/sys/class/net/${D}p" ]
	nothing_left
}

@test "a veth end moved in dies with the container's namespace (as the kernel does it); its peer stays on the host until then" {
	needs_netdevices
	ip link add "${D}v" type veth peer name "${D}w"
	edit_config ".linux.netDevices = {\"${D}v\": {name: \"eth0\"}}"
	set_args sleep 100
	rt_create "$CID"
	pid=$(rt_state_field "$CID" pid)
	nsenter -t "$pid" -n ip link show eth0 >/dev/null
	[ -e "/sys/class/net/${D}w" ]
	rt delete --force "$CID"
	for _ in $(seq 100); do [ -e "/sys/class/net/${D}w" ] || break; sleep 0.05; done
	[ ! -e "/sys/class/net/${D}v" ]
	[ ! -e "/sys/class/net/${D}w" ]
	nothing_left
}

@test "a mount namespace made private while the container lives keeps no copy of the pin: delete ends the namespace all the same" {
	needs_netdevices
	add_ifb "${D}a"
	mac=$(link_field "${D}a" address)
	# a veth end moved in dies with the namespace: its peer on the host says when that is
	ip link add "${D}v" type veth peer name "${D}w"
	edit_config ".linux.netDevices = {\"${D}a\": {name: \"eth7\"}, \"${D}v\": {name: \"eth8\"}}"
	set_args sleep 100
	rt_create "$CID"
	# a process whose mount namespace was copied from the host's while the container lived,
	# every mount made private (util-linux unshare's default): no umount reaches its copies
	unshare -m --propagation private sleep 100 3>&- &
	holder=$!
	wait_until 10 "the holder's mount namespace" '[ "$(readlink "/proc/$holder/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]'
	grep -q " $ROOT/$CID/netns " "/proc/$holder/mountinfo"
	rt delete --force "$CID"
	[ "$(link_field "${D}a" address)" = "$mac" ]
	# delete unlinks the pin's file after its umount, and the kernel takes the mounts on it
	# out of every other mount namespace (Linux 3.18): the copy is gone and the namespace ends
	# while the holder lives on
	run grep " $ROOT/$CID/netns " "/proc/$holder/mountinfo"
	assert_failure
	for _ in $(seq 100); do [ -e "/sys/class/net/${D}w" ] || break; sleep 0.05; done
	[ ! -e "/sys/class/net/${D}w" ]
	kill -0 "$holder"
	kill "$holder"
	nothing_left
}

@test "validation: interface names and the names in the container, in one line each" {
	needs_netdevices
	local bad
	for bad in "a/b" "a b" "a:1" ".." "." "0123456789abcdef" "e%d"; do
		edit_config ".linux.netDevices = {\"$bad\": {}}"
		run rt run --bundle "$B" "$CID"
		assert_failure
		assert_one_line_error oci-run
		assert_output_contains "linux.netDevices: '$bad' is not an interface name (1 to 15 bytes"
		[ "$bad" != "e%d" ] || continue # a pattern names a device in the container only
		edit_config ".linux.netDevices = {\"${D}a\": {name: \"$bad\"}}"
		run rt run --bundle "$B" "$CID"
		assert_failure
		assert_output_contains "linux.netDevices.${D}a.name: '$bad' is not an interface name"
	done
	# a pattern the kernel would refuse: a '%' not before 'd', or two
	for bad in "e%s" "e%" "e%d%d" "%%d"; do
		edit_config ".linux.netDevices = {\"${D}a\": {name: \"$bad\"}}"
		run rt run --bundle "$B" "$CID"
		assert_failure
		assert_one_line_error oci-run
		assert_output_contains "linux.netDevices.${D}a.name: '$bad' is not an interface name"
	done
	edit_config ".linux.netDevices = {\"${D}a\": {name: \"eth0\"}, \"${D}b\": {name: \"eth0\"}}"
	run rt run --bundle "$B" "$CID"
	assert_failure
	assert_output_contains "'${D}a' and '${D}b' would both be 'eth0' in the container"
	edit_config ".linux.netDevices = {\"${D}a\": {name: 7}}"
	run rt run --bundle "$B" "$CID"
	assert_failure
	assert_output_contains "linux.netDevices.${D}a.name"
	nothing_left
}
