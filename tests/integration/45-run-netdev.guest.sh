# The dummy-device half of 45-run-netdev.bats, in the qemu guest whose Debian kernel has the
# dummy module (the test host's kernel has none): sourced by 80-cgroupv2.guest.sh (one boot
# for both; guest-lib.sh's helpers), its netdev-* block asserted by the "netDevices:" test of
# 80-cgroupv2.bats. A dummy dies with a network namespace when nothing moves it out: here the
# container is stopped before delete, so only the runtime's pin of the namespace brings it
# back. runc 1.1.5 ignores linux.netDevices: the block runs for oci-run only.

if [ "$RUNTIME" = oci-run ]; then
	t netdev-dummy
	ip link add ndg0 type dummy && ip addr add 10.203.0.1/24 dev ndg0 && ip link set ndg0 up
	put idx "$(cat /sys/class/net/ndg0/ifindex)"
	put mac "$(cat /sys/class/net/ndg0/address)"
	bundle sleep 1000
	edit '.linux.netDevices = {"ndg0": {"name": "eth5"}}'
	rec create rt create -b "$B" "$CID"
	pid=$(state_field "$CID" pid)
	rec inside nsenter -t "$pid" -n ip -o addr show dev eth5
	put host-during "$(ls /sys/class/net | tr '\n' ' ')"
	rec start rt start "$CID"
	rec kill rt kill "$CID" KILL
	wait_status "$CID" stopped
	rec delete rt delete "$CID"
	put idx-after "$(cat /sys/class/net/ndg0/ifindex 2>&1)"
	put mac-after "$(cat /sys/class/net/ndg0/address 2>&1)"
	put host-after "$(ls /sys/class/net | tr '\n' ' ')"
	ip link del ndg0 2>/dev/null
	cleanup
fi
