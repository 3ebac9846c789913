#!/usr/bin/env bats
# linux.resources applied to the container's cgroups: the devices list (a container with
# CAP_MKNOD cannot open a host disk), memory, pids, cpu, cpuset, read back through the host's
# cgroup files of the container's own cgroups (found in /proc/PID/cgroup); the cgroups go
# away at delete; a value the kernel refuses fails create with one line and leaves nothing.
# Runs against any runtime: RUNTIME=runc tests/run.sh 45-run-resources.

load ../lib/common
load 40-run-lib

setup() {
	require_root
	setup_bundle
}

teardown() {
	cleanup_containers
}

# cgroup_dir PID CONTROLLER: the host directory of PID's cgroup for a v1 controller.
cgroup_dir() {
	local rel
	rel=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup")
	[ -n "$rel" ] || return 1
	echo "/sys/fs/cgroup/$2$rel"
}

# host_dev: "TYPE MAJOR MINOR" of a device node of the host that root can open there and that
# is not among the default devices every container gets (a disk when one can be opened).
host_dev() {
	local d t
	for d in /dev/zram0 /dev/sda /dev/vda /dev/nvme0n1 /dev/xvda /dev/loop0 /dev/vcs /dev/loop-control /dev/fuse; do
		if [ -b "$d" ]; then t=b; elif [ -c "$d" ]; then t=c; else continue; fi
		timeout 2 sh -c ": <$d" 2>/dev/null || continue
		echo "$t $((0x$(stat -c %t "$d"))) $((0x$(stat -c %T "$d")))"
		return 0
	done
	return 1
}

# with_mknod: CAP_MKNOD in every set, a tmpfs /tmp where device nodes may be opened.
with_mknod() {
	edit_config '.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])'
	edit_config '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}]'
}

@test "devices: with CAP_MKNOD a host device can be created but not opened; /dev/null still works" {
	read -r t maj min < <(host_dev) || skip "no openable device on the host"
	with_mknod
	edit_config '.linux.resources.devices = [{"allow": false, "access": "rwm"}]'
	set_args sh -c "mknod /tmp/dev $t $maj $min && true </tmp/dev; echo rc=\$?; echo ok >/dev/null && head -c4 /dev/zero | wc -c"
	run rt run --bundle "$B" "$CID" </dev/null
	assert_success
	assert_output_contains "Operation not permitted"
	assert_output_contains "rc=1"
	# /dev/zero read after the refusal: its line anywhere, not last (runc copies the
	# container's stdout and stderr through two pipes, so the shell's error line may come after)
	printf '%s\n' "${lines[@]}" | grep -qx 4
}

@test "devices: an allow rule of the config opens exactly that device" {
	read -r t maj min < <(host_dev) || skip "no openable device on the host"
	with_mknod
	edit_config ".linux.resources.devices = [{\"allow\": false, \"access\": \"rwm\"}, {\"allow\": true, \"type\": \"$t\", \"major\": $maj, \"minor\": $min, \"access\": \"r\"}]"
	set_args sh -c "mknod /tmp/dev $t $maj $min && true </tmp/dev; echo read=\$?; true 1<>/tmp/dev; echo write=\$?"
	run rt run --bundle "$B" "$CID" </dev/null
	assert_success
	assert_output_contains "read=0"
	assert_output_contains "write=1"
	assert_output_contains "Operation not permitted"
}

@test "memory, pids, cpu and cpuset limits are in the container's cgroups, removed at delete" {
	edit_config '.linux.resources.memory = {"limit": 104857600, "reservation": 52428800, "swappiness": 10}'
	edit_config '.linux.resources.pids = {"limit": 50}'
	edit_config '.linux.resources.cpu = {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"}'
	set_args sleep 30
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	pid=$(rt_state_field "$CID" pid)
	mem=$(cgroup_dir "$pid" memory)
	pids=$(cgroup_dir "$pid" pids)
	cpu=$(cgroup_dir "$pid" cpu)
	cpuset=$(cgroup_dir "$pid" cpuset)
	[ "$(cat "$mem/memory.limit_in_bytes")" = 104857600 ]
	[ "$(cat "$mem/memory.soft_limit_in_bytes")" = 52428800 ]
	[ "$(cat "$mem/memory.swappiness")" = 10 ]
	[ "$(cat "$pids/pids.max")" = 50 ]
	[ "$(cat "$cpu/cpu.shares")" = 512 ]
	[ "$(cat "$cpu/cpu.cfs_quota_us")" = 50000 ]
	[ "$(cat "$cpu/cpu.cfs_period_us")" = 100000 ]
	[ "$(cat "$cpuset/cpuset.cpus")" = 0 ]
	# the container's process itself is bound by them
	grep -q '^Cpus_allowed_list:[[:space:]]*0$' "/proc/$pid/status"
	rt delete --force "$CID"
	for d in "$mem" "$pids" "$cpu" "$cpuset"; do
		[ ! -e "$d" ]
	done
}

@test "pids.limit bounds a fork loop inside the container" {
	edit_config '.linux.resources.pids = {"limit": 10}'
	set_args sh -c '(for i in $(seq 30); do sleep 10 & done); n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo procs=$n'
	run timeout 30 "$RUNTIME" --root "$ROOT" run --bundle "$B" "$CID" </dev/null
	assert_success
	assert_output_contains "can't fork"
	n=$(printf '%s\n' "$output" | sed -n 's/^procs=//p')
	[ "$n" -ge 2 ]
	[ "$n" -le 10 ]
}

@test "pids.limit as runtime-spec 1.3 and runc HEAD: 0 is a limit of 0, -1 none, an absent limit leaves pids.max alone; update likewise" {
	is_oci_run || skip_peer "runc 1.1 takes a limit of 0 as none and requires limit (runtime-spec 1.2)"
	edit_config '.linux.resources.pids = {"limit": 0}'
	set_args sh -c '(true) && echo forked; exec sleep 30'
	run timeout 30 "$RUNTIME" --root "$ROOT" run --bundle "$B" "$CID" </dev/null
	assert_output_contains "can't fork"
	[[ "$output" != *forked* ]]
	rt delete --force "$CID" 2>/dev/null || true
	edit_config '.linux.resources.pids = {}'
	set_args sleep 30
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	pids=$(cgroup_dir "$(rt_state_field "$CID" pid)" pids)
	[ "$(cat "$pids/pids.max")" = max ]
	rt update --pids-limit 0 "$CID"
	[ "$(cat "$pids/pids.max")" = 0 ]
	rt update --pids-limit -1 "$CID"
	[ "$(cat "$pids/pids.max")" = max ]
	echo '{"pids": {"limit": 0}}' | rt update -r - "$CID"
	[ "$(cat "$pids/pids.max")" = 0 ]
	echo '{"pids": {}}' | rt update -r - "$CID"
	[ "$(cat "$pids/pids.max")" = 0 ]
}

@test "memory.limit: a process allocating beyond it is killed" {
	edit_config '.linux.resources.memory = {"limit": 16777216, "swap": 16777216}'
	edit_config '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]}]'
	# 64 MiB in a tmpfs is charged to the container's memory cgroup
	set_args sh -c 'head -c 67108864 /dev/zero >/tmp/big; echo rc=$?'
	run timeout 30 "$RUNTIME" --root "$ROOT" run --bundle "$B" "$CID" </dev/null
	# the memory cgroup's OOM killer ends the container: 128 + SIGKILL
	assert_failure 137
	[[ "$output" != *rc=0* ]]
}

@test "a value the kernel refuses (cpu.cfs_quota_us 500, under its 1 ms floor) fails create with one line and leaves nothing" {
	peer_is crun "leaves the cgroups of a failed create behind"
	# (a cpuset of CPUs the host lacks is refused earlier, by validation: 46-run-validate)
	edit_config ".linux.cgroupsPath = \"/oci-test-$CID\""
	edit_config '.linux.resources.cpu = {"quota": 500, "period": 100000}'
	run rt create --bundle "$B" "$CID" </dev/null
	assert_failure
	assert_output_contains "cpu.cfs_quota_us"
	if is_oci_run; then
		assert_one_line_error oci-run
	fi
	run rt list -q
	[ -z "$output" ]
	! ls -d /sys/fs/cgroup/*/"oci-test-$CID" 2>/dev/null || false
}

@test "a limit the kernel refuses while the init already builds its mounts: one line; no cgroup, state, process or hook run" {
	is_oci_run || skip_peer "oci-run's order: the init is cloned before the limits are written"
	edit_config ".linux.cgroupsPath = \"/oci-test-$CID\""
	edit_config '.linux.resources.cpu = {"quota": 500, "period": 100000}'
	# createContainer hooks run once the init is in its cgroups: never, here
	edit_config ".hooks = {createContainer: [{path: \"/bin/touch\", args: [\"touch\", \"$BATS_TEST_TMPDIR/hook-ran\"]}]}"
	run rt create --bundle "$B" "$CID" </dev/null
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "cpu.cfs_quota_us"
	[ ! -e "$BATS_TEST_TMPDIR/hook-ran" ]
	run rt list -q
	[ -z "$output" ]
	[ ! -e "$ROOT/$CID" ]
	! ls -d /sys/fs/cgroup/*/"oci-test-$CID" 2>/dev/null || false
	! pgrep -f -- "$CID" || false
}

@test "the createContainer hooks and the container's process run in every cgroup of the container" {
	edit_config ".linux.cgroupsPath = \"/oci-test-$CID\""
	edit_config ".hooks = {createContainer: [{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"cat /proc/self/cgroup >$BATS_TEST_TMPDIR/hook-cgroups\"]}]}"
	set_args cat /proc/self/cgroup
	run rt run --bundle "$B" "$CID" </dev/null
	assert_success
	# one line per hierarchy of the host, each naming the container's cgroup
	n=$(grep -c . /proc/self/cgroup)
	[ "$(grep -c ":/oci-test-$CID\$" "$BATS_TEST_TMPDIR/hook-cgroups")" = "$n" ]
	[ "$(printf '%s\n' "$output" | grep -c ":/oci-test-$CID\$")" = "$n" ]
}

@test "a cgroupsPath so long that the directories take more than one message to the init: the process is in every one" {
	# 4 components of 200 characters and the id: 11 directories of ~850 characters here,
	# more than one message (8192 bytes) holds
	p=
	for x in a b c d; do p="$p/$(printf "$x%.0s" $(seq 200))"; done
	edit_config ".linux.cgroupsPath = \"$p/oci-test-$CID\""
	set_args cat /proc/self/cgroup
	run rt run --bundle "$B" "$CID" </dev/null
	# the parents it made stay after delete (runc's way): removed here whatever happened
	for h in /sys/fs/cgroup/*/; do
		d=$h$p
		while [ "$d" != "${h%/}" ]; do rmdir "$d" 2>/dev/null || true; d=${d%/*}; done
	done
	assert_success
	n=$(grep -c . /proc/self/cgroup)
	[ "$(printf '%s\n' "$output" | grep -c ":$p/oci-test-$CID\$")" = "$n" ]
}

@test "a requested controller that is not mounted fails create with one line" {
	is_oci_run || skip_peer "oci-run's message"
	ls /sys/fs/cgroup/net_cls* >/dev/null 2>&1 && skip "net_cls is mounted"
	edit_config '.linux.resources.network = {"classID": 1048577}'
	run rt create --bundle "$B" "$CID" </dev/null
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "linux.resources.network.classID"
	assert_output_contains "net_cls"
	run rt list -q
	[ -z "$output" ]
}

@test "a new network namespace has lo up: 127.0.0.1 answers inside" {
	set_args sh -c 'cat /sys/class/net/lo/operstate; ip link show lo; nc -l -p 5555 >/dev/null & sleep 0.3; echo hi | nc 127.0.0.1 5555 && echo connected'
	run timeout 20 "$RUNTIME" --root "$ROOT" run --bundle "$B" "$CID" </dev/null
	assert_success
	[ "${lines[0]}" = unknown ]
	[[ "${lines[1]}" =~ \<LOOPBACK,UP ]]
	assert_output_contains connected
}

@test "update: options and a resources file change a running container's limits" {
	peer_is crun "its update turns a size such as 128m into invalid JSON"
	edit_config '.linux.resources.memory = {"limit": 104857600} | .linux.resources.pids = {"limit": 50}'
	set_args sleep 30
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	pid=$(rt_state_field "$CID" pid)
	mem=$(cgroup_dir "$pid" memory)
	pids=$(cgroup_dir "$pid" pids)
	cpu=$(cgroup_dir "$pid" cpu)
	run rt update --memory 200m --pids-limit 20 --cpu-period 100000 --cpu-quota 30000 "$CID"
	assert_success
	[ "$(cat "$mem/memory.limit_in_bytes")" = 209715200 ]
	[ "$(cat "$pids/pids.max")" = 20 ]
	[ "$(cat "$cpu/cpu.cfs_quota_us")" = 30000 ]
	# containerd's and podman's way: the linux.resources JSON on stdin
	echo '{"memory": {"limit": 52428800}, "pids": {"limit": 7}}' | rt update -r - "$CID"
	[ "$(cat "$mem/memory.limit_in_bytes")" = 52428800 ]
	[ "$(cat "$pids/pids.max")" = 7 ]
	# what was not named is left alone
	[ "$(cat "$cpu/cpu.cfs_quota_us")" = 30000 ]
}

@test "update: a refused value and an unknown container fail with one line" {
	is_oci_run || skip_peer "oci-run's messages"
	set_args sleep 30
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	run rt update --cpuset-cpus 99 "$CID"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "cpuset.cpus"
	run rt update --memory lots "$CID"
	assert_failure
	assert_one_line_error oci-run
	run rt update --memory 1m "no-such-$CID"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "does not exist"
}

@test "update: runc's --cpu-burst, --cpu-idle, --l3-cache-schema and --mem-bw-schema are refused by name, never dropped; --kernel-memory-tcp is applied on v1" {
	# oci-run answered runc's options it has no driver for with "unknown option" and no
	# reason, and had no --kernel-memory-tcp at all (runc 1.1 and 1.2 take it).
	is_oci_run || skip_peer "oci-run's messages"
	set_args sleep 30
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	for o in "cpu-burst 1000" "cpu-idle 1" "l3-cache-schema L3:0=ff" "mem-bw-schema MB:0=50"; do
		run rt update --${o% *} "${o#* }" "$CID"
		assert_failure
		assert_one_line_error oci-run
		assert_output_contains "update: --${o% *} is not supported by oci-run ("
	done
	[ -e /sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes ] || skip "no v1 kmem.tcp accounting"
	mem=$(cgroup_dir "$(rt_state_field "$CID" pid)" memory)
	run rt update --kernel-memory-tcp 16m "$CID"
	assert_success
	[ "$(cat "$mem/memory.kmem.tcp.limit_in_bytes")" = 16777216 ]
}

@test "memory swap and OOM killer, blkio weight, hugepage limits where the controllers exist" {
	edit_config '.linux.resources.memory = {"limit": 104857600, "swap": 209715200, "disableOOMKiller": true}'
	blkio=
	# the weight files exist only below the root cgroup (and only with bfq or cfq)
	probe=/sys/fs/cgroup/blkio/oci-probe-$$
	if mkdir "$probe" 2>/dev/null; then
		[ -e "$probe/blkio.bfq.weight" ] || [ -e "$probe/blkio.weight" ] && blkio=1
		rmdir "$probe"
	fi
	if [ -n "$blkio" ]; then
		edit_config '.linux.resources.blockIO = {"weight": 300}'
	fi
	huge=
	if [ -e /sys/fs/cgroup/hugetlb/hugetlb.2MB.limit_in_bytes ]; then
		huge=1
		edit_config '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]'
	fi
	set_args sleep 30
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	pid=$(rt_state_field "$CID" pid)
	mem=$(cgroup_dir "$pid" memory)
	[ "$(cat "$mem/memory.memsw.limit_in_bytes")" = 209715200 ]
	grep -qx 'oom_kill_disable 1' "$mem/memory.oom_control"
	if [ -n "$blkio" ]; then
		d=$(cgroup_dir "$pid" blkio)
		if [ -e "$d/blkio.bfq.weight" ]; then
			grep -q 'default 300' "$d/blkio.bfq.weight" || [ "$(cat "$d/blkio.bfq.weight")" = 300 ]
		else
			[ "$(cat "$d/blkio.weight")" = 300 ]
		fi
	fi
	if [ -n "$huge" ]; then
		d=$(cgroup_dir "$pid" hugetlb)
		[ "$(cat "$d/hugetlb.2MB.limit_in_bytes")" = 4194304 ]
	fi
}

@test "the cgroup v2 device filter (eBPF) enforces the list on its own" {
	peer_is runc "filters devices with eBPF only on a pure cgroup v2 host"
	peer_is crun "does not enforce the list through a v2 eBPF filter of its own on this hybrid host"
	[ -d /sys/fs/cgroup/unified ] || [ -e /sys/fs/cgroup/cgroup.controllers ] || skip "no cgroup v2 hierarchy"
	read -r t maj min < <(host_dev) || skip "no openable device on the host"
	with_mknod
	edit_config ".linux.resources.devices = [{\"allow\": false, \"access\": \"rwm\"}, {\"allow\": true, \"type\": \"$t\", \"major\": $maj, \"minor\": $min, \"access\": \"r\"}]"
	set_args sleep 30
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	pid=$(rt_state_field "$CID" pid)
	# open the v1 list wide: only the eBPF program of the v2 cgroup still guards
	if v1=$(cgroup_dir "$pid" devices); then
		echo a >"$v1/devices.allow"
		grep -qx 'a \*:\* rwm' "$v1/devices.list"
	fi
	run rt exec "$CID" sh -c "mknod /tmp/dev $t $maj $min && true </tmp/dev; echo r=\$?; true 1<>/tmp/dev; echo rw=\$?; mknod /tmp/other $t $maj $((min + 1)); (true </tmp/other) 2>&1; head -c2 /dev/zero >/dev/null; echo null=\$?"
	assert_output_contains "r=0"
	assert_output_contains "rw=1"
	assert_output_contains "can't open /tmp/other: Operation not permitted"
	assert_output_contains "null=0"
}

@test "a hybrid host's eBPF backup of the v1 device list holds before the createContainer hooks run" {
	peer_is runc "filters devices with eBPF only on a pure cgroup v2 host"
	peer_is crun "does not enforce the list through a v2 eBPF filter of its own on this hybrid host"
	[ -d /sys/fs/cgroup/unified ] && [ -d /sys/fs/cgroup/devices ] || skip "not a hybrid host with a v1 devices hierarchy"
	read -r t maj min < <(host_dev) || skip "no openable device on the host"
	local d
	for d in /dev/zram0 /dev/sda /dev/vda /dev/nvme0n1 /dev/xvda /dev/loop0 /dev/vcs /dev/loop-control /dev/fuse; do
		[ "$(stat -c '%t %T' "$d" 2>/dev/null)" = "$(printf '%x %x' "$maj" "$min")" ] && break
	done
	# the hook (the runtime's work is done by then, the init built its mounts meanwhile)
	# leaves the container's v1 devices cgroup: only the eBPF filter on its unified
	# directory still stands between it and a host device the list does not allow
	cat >"$BATS_TEST_TMPDIR/hook.sh" <<EOF
echo \$\$ >/sys/fs/cgroup/devices/tasks && grep -q ':devices:/\$' /proc/self/cgroup || exit 1
{ head -c1 $d >/dev/null; echo rc=\$?; } >$BATS_TEST_TMPDIR/hook 2>&1
EOF
	edit_config ".hooks = {createContainer: [{path: \"/bin/sh\", args: [\"sh\", \"$BATS_TEST_TMPDIR/hook.sh\"]}]}"
	rt run --bundle "$B" "$CID" </dev/null
	cat "$BATS_TEST_TMPDIR/hook"
	grep -q "Operation not permitted" "$BATS_TEST_TMPDIR/hook"
	grep -qx "rc=[1-9][0-9]*" "$BATS_TEST_TMPDIR/hook"
}

@test "devices: an allow-all rule after deny-all (podman --privileged) opens host devices" {
	read -r t maj min < <(host_dev) || skip "no openable device on the host"
	with_mknod
	edit_config '.linux.resources.devices = [{"allow": false, "access": "rwm"}, {"allow": true, "access": "rwm"}]'
	set_args sh -c "mknod /tmp/dev $t $maj $min && true </tmp/dev; echo rc=\$?"
	run rt run --bundle "$B" "$CID" </dev/null
	assert_success
	[ "$output" = rc=0 ]
}

@test "update --memory -1 lifts memsw first (runc's order) so both limits go" {
	peer_is crun "writes memory before memsw when lifting both, which the kernel refuses"
	[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || skip "no swap accounting (memsw)"
	edit_config '.linux.resources.memory = {"limit": 67108864, "swap": 67108864}'
	set_args sleep 30
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	mem=$(cgroup_dir "$(rt_state_field "$CID" pid)" memory)
	[ "$(cat "$mem/memory.memsw.limit_in_bytes")" = 67108864 ]
	run rt update --memory -1 "$CID"
	assert_success
	unlimited=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)
	[ "$(cat "$mem/memory.limit_in_bytes")" = "$unlimited" ]
	[ "$(cat "$mem/memory.memsw.limit_in_bytes")" = "$unlimited" ]
}

@test "update --memory-swap: refused without a memory limit; a wrong pair is refused before anything is written" {
	peer_is crun "its update turns a size such as 128m into invalid JSON"
	[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || skip "no swap accounting (memsw)"
	set_args sleep 30
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	mem=$(cgroup_dir "$(rt_state_field "$CID" pid)" memory)
	before=$(cat "$mem/memory.memsw.limit_in_bytes")
	run rt update --memory-swap 256m "$CID"
	assert_failure
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "unable to set swap limit without memory limit"
	fi
	[ "$(cat "$mem/memory.memsw.limit_in_bytes")" = "$before" ]
	run rt update --memory 128m --memory-swap 192m "$CID"
	assert_success
	[ "$(cat "$mem/memory.limit_in_bytes")" = 134217728 ]
	[ "$(cat "$mem/memory.memsw.limit_in_bytes")" = 201326592 ]
	# memory 96m with memory+swap 64m: refused, and memory was not lowered half way (runc
	# 1.1.5 writes memory first and leaves it at 96m when memsw refuses 64m)
	is_oci_run || return 0
	run rt update --memory 96m --memory-swap 64m "$CID"
	assert_failure
	[ "$(cat "$mem/memory.limit_in_bytes")" = 134217728 ]
	[ "$(cat "$mem/memory.memsw.limit_in_bytes")" = 201326592 ]
}

@test "memory.swap 0 at create means unset, as in runc" {
	peer_is crun "writes swap 0 into memsw, which the kernel refuses"
	edit_config '.linux.resources.memory = {"limit": 67108864, "swap": 0}'
	set_args sleep 30
	rt run -d --bundle "$B" "$CID" </dev/null >"$BATS_TEST_TMPDIR/run.out" 2>&1 || {
		cat "$BATS_TEST_TMPDIR/run.out"
		false
	}
	mem=$(cgroup_dir "$(rt_state_field "$CID" pid)" memory)
	[ "$(cat "$mem/memory.limit_in_bytes")" = 67108864 ]
}

@test "unified on cgroup v1: a key whose controller is bound to v1 is refused as invalid, nothing left" {
	peer_is runc "refuses unified on v1 with its own message"
	peer_is crun "refuses unified on v1 with its own message"
	[ -d /sys/fs/cgroup/memory ] || skip "not a cgroup v1 host"
	edit_config '.linux.resources.unified = {"memory.max": "67108864"}'
	run rt run --bundle "$B" "$CID" </dev/null
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "linux.resources.unified.memory.max: invalid on cgroup v1"
	[ -z "$(rt list -q)" ]
	[ ! -e "/sys/fs/cgroup/memory/oci-run/$CID" ]
	[ ! -e "/sys/fs/cgroup/unified/oci-run/$CID" ]
}

@test "--systemd-cgroup without systemd running: refused in one line, no cgroup or state left" {
	[ -d /run/systemd/system ] && skip "systemd runs here"
	edit_config ".linux.cgroupsPath = \"system.slice:oci:$CID\""
	run rt --systemd-cgroup run --bundle "$B" "$CID" </dev/null
	assert_failure
	[ "${#lines[@]}" = 1 ]
	is_oci_run && assert_output_contains "systemd is not running"
	[ -z "$(rt list -q)" ]
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -name "oci-$CID.scope")" ]
}

@test "crun's --cgroup-manager: systemd is --systemd-cgroup, cgroupfs the default, disabled refused by name" {
	# oci-run answered crun's global option with "unknown option"
	peer_is runc "has no --cgroup-manager (crun's option)"
	edit_config ".linux.cgroupsPath = \"system.slice:oci:$CID\""
	if [ ! -d /run/systemd/system ]; then
		run rt --cgroup-manager systemd run --bundle "$B" "$CID" </dev/null
		assert_failure
		is_oci_run && assert_output_contains "systemd is not running"
		[ -z "$(rt list -q)" ]
	fi
	edit_config ".linux.cgroupsPath = \"/oci-cm-$CID\" | .process.args = [\"sh\", \"-c\", \"cat /proc/self/cgroup\"]"
	run rt --cgroup-manager=cgroupfs run --bundle "$B" "$CID" </dev/null
	assert_success
	assert_output_contains ":/oci-cm-$CID"
	is_oci_run || return 0
	run rt --cgroup-manager disabled run --bundle "$B" "$CID" </dev/null
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "--cgroup-manager 'disabled': oci-run takes systemd or cgroupfs"
	[ -z "$(rt list -q)" ]
}

@test "a container in a cgroup that already holds a process: a warning, as runc gives" {
	is_oci_run || skip_peer "oci-run's message"
	d=/sys/fs/cgroup/memory/oci-pre-$CID
	mkdir "$d"
	sleep 100 &
	sp=$!
	echo "$sp" >"$d/cgroup.procs"
	edit_config ".linux.cgroupsPath = \"/oci-pre-$CID\""
	set_args sleep 30
	rt_create "$CID" || true
	kill "$sp"
	wait "$sp" || true
	rt delete --force "$CID"
	for h in /sys/fs/cgroup/*/oci-pre-$CID; do rmdir "$h" 2>/dev/null || true; done
	run cat "$BATS_TEST_TMPDIR/create.err"
	[ "${#lines[@]}" = 1 ]
	assert_output_contains "is not empty: 1 process(es) found"
	[ "$(rt_state_field "$CID" status 2>/dev/null)" = "" ]
}

@test "a process in a cgroup below the container's: ps lists it, kill --all kills it, delete --force removes both" {
	set_args sleep 100
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	pid=$(rt_state_field "$CID" pid)
	rt exec -d --pid-file "$BATS_TEST_TMPDIR/x.pid" "$CID" sleep 100 </dev/null >/dev/null 2>&1
	xp=$(cat "$BATS_TEST_TMPDIR/x.pid")
	# into a child cgroup in every hierarchy the container has (v1 and the unified tree)
	dirs=()
	while IFS=: read -r _ ctrls rel; do
		name=${ctrls#name=}
		[ -n "$name" ] || name=unified
		d=/sys/fs/cgroup/$name$rel
		[ -d "$d" ] && [ "$rel" != / ] || continue
		mkdir "$d/sub"
		# a new cpuset cgroup takes no process before it has cpus and mems
		if [ -e "$d/sub/cpuset.cpus" ]; then
			cat "$d/cpuset.cpus" >"$d/sub/cpuset.cpus"
			cat "$d/cpuset.mems" >"$d/sub/cpuset.mems"
		fi
		echo "$xp" >"$d/sub/cgroup.procs"
		dirs+=("$d")
	done <"/proc/$pid/cgroup"
	[ "${#dirs[@]}" -gt 0 ]
	run rt ps --format json "$CID"
	assert_success
	printf '%s\n' "$output" | jq -e --argjson p "$pid" 'index($p) != null'
	printf '%s\n' "$output" | jq -e --argjson p "$xp" 'index($p) != null'
	run rt kill --all "$CID" KILL
	assert_success
	wait_gone "$xp"
	run rt delete --force "$CID"
	assert_success
	for d in "${dirs[@]}"; do
		[ ! -e "$d" ]
	done
}

# start_storm LIMIT N: a container without a pid namespace of its own (its processes do not
# die with its init) whose four loops fork without end under pids.limit LIMIT, once N of its
# processes are in its cgroup; STORM is its pids cgroup directory.
start_storm() {
	edit_config '.linux.namespaces |= map(select(.type != "pid"))'
	edit_config ".linux.resources.pids = {\"limit\": $1}"
	set_args sh -c 'for i in 1 2 3 4; do (while :; do sh -c "sleep 100 &"; done) & done; wait'
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	STORM=$(cgroup_dir "$(rt_state_field "$CID" pid)" pids)
	local i
	for i in $(seq 200); do
		[ "$(wc -l <"$STORM/cgroup.procs")" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "the storm never reached $2 processes" >&2
	return 1
}

# storm_dead: within 2 s no process is left in the storm's cgroup (or it is gone).
storm_dead() {
	local i n
	for i in $(seq 40); do
		n=$(cat "$STORM/cgroup.procs" 2>/dev/null | wc -l)
		[ "$n" = 0 ] && return 0
		sleep 0.05
	done
	echo "$n processes of the container left alive" >&2
	return 1
}

@test "a fork storm below and at pids.limit leaves nothing alive after kill --all KILL (then delete)" {
	# the list read and signalled one by one missed what forked meanwhile: ~150 of ~1500
	# processes survived (cgroup.kill or a frozen cgroup now)
	for storm in "4000 1000" "200 199"; do
		setup_bundle
		CID=$CID-${storm%% *}
		start_storm $storm
		run rt kill --all "$CID" KILL
		assert_success
		storm_dead
		run rt delete "$CID"
		assert_success
		[ ! -e "$STORM" ]
	done
}

@test "a fork storm leaves nothing alive after kill --all TERM (frozen while signalled)" {
	start_storm 4000 1000
	run rt kill --all "$CID" TERM
	assert_success
	storm_dead
	run rt delete "$CID"
	assert_success
	[ ! -e "$STORM" ]
}

@test "a fork storm below and at pids.limit: delete --force leaves nothing and removes its cgroups" {
	for storm in "4000 1000" "200 199"; do
		setup_bundle
		CID=$CID-${storm%% *}
		start_storm $storm
		run rt delete --force "$CID"
		assert_success
		[ ! -e "$STORM" ]
		[ -z "$(rt list -q)" ]
	done
}

@test "a fork storm whose state lists no unified directory (no cgroup.kill to write) is killed frozen by delete --force" {
	# a kernel before 5.14 has no cgroup.kill: delete then freezes the cgroups (v1's freezer
	# here) while it reads and signals their lists; the state is edited to leave the unified
	# directory out, so that this host, which has cgroup.kill, takes that way too
	is_oci_run || skip "edits oci-run's state files"
	require_cmd strace
	start_storm 4000 500
	jq -c 'map(select(test("/unified/") | not))' "$ROOT/$CID/cgroups.json" >"$BATS_TEST_TMPDIR/c"
	cp "$BATS_TEST_TMPDIR/c" "$ROOT/$CID/cgroups.json"
	jq '.cgroups |= map(select(test("/unified/") | not))' "$ROOT/$CID/state.json" >"$BATS_TEST_TMPDIR/s"
	cp "$BATS_TEST_TMPDIR/s" "$ROOT/$CID/state.json"
	run strace -f -qq -s 16 -e trace=write -o "$BATS_TEST_TMPDIR/writes" "$RUNTIME" --root "$ROOT" delete --force "$CID"
	assert_success
	[ ! -e "$STORM" ]
	grep -q '"FROZEN"' "$BATS_TEST_TMPDIR/writes"
	# the unified directory, left out of the state, was emptied all the same
	u=/sys/fs/cgroup/unified/oci-run/$CID
	[ ! -e "$u" ] || { [ -z "$(cat "$u/cgroup.procs")" ] && rmdir "$u"; }
}

@test "delete --force removes a chain of 600 sub-cgroups opening each level a few times, not once per level below it" {
	is_oci_run || skip "counts oci-run's own opens"
	require_cmd strace python3
	set_args sleep 100
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	top=$(cgroup_dir "$(rt_state_field "$CID" pid)" pids)
	# 600 levels of 100-byte names (60 kB of path, deeper than PATH_MAX), made name by name
	python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
for i in range(600):
    name = str(i).rjust(100, "x")
    os.mkdir(name, dir_fd=fd)
    nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = nfd
' "$top"
	run strace -f -qq -c -e trace=openat -o "$BATS_TEST_TMPDIR/opens" "$RUNTIME" --root "$ROOT" delete --force "$CID"
	assert_success
	[ ! -e "$top" ]
	n=$(awk '$NF == "openat" { print $4 }' "$BATS_TEST_TMPDIR/opens")
	# ~8 a level now; removed children first, the chain was walked down from its top again
	# every 8 levels on the way back up (~48 a level at this depth, N * N / 8 in all)
	echo "$n opens" >&2
	[ "$n" -lt $((600 * 16)) ]
}

# blk_dev: "MAJOR MINOR" of a block device of the host (a disk).
blk_dev() {
	local d
	for d in /sys/block/*; do
		case ${d##*/} in loop* | ram* | zram*) continue ;; esac
		[ -r "$d/dev" ] && tr ':' ' ' <"$d/dev" && return 0
	done
	return 1
}

@test "blockIO throttle lists land in blkio.throttle.* (v1), and update changes them" {
	read -r maj min < <(blk_dev) || skip "no block device"
	[ -e /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device ] || skip "no v1 blkio throttling"
	edit_config ".linux.resources.blockIO = {\"throttleReadBpsDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 1048576}], \"throttleWriteIOPSDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 100}]}"
	set_args sleep 30
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	blk=$(cgroup_dir "$(rt_state_field "$CID" pid)" blkio)
	[ "$(cat "$blk/blkio.throttle.read_bps_device")" = "$maj:$min 1048576" ]
	[ "$(cat "$blk/blkio.throttle.write_iops_device")" = "$maj:$min 100" ]
	[ -z "$(cat "$blk/blkio.throttle.write_bps_device")" ]
	# (runc 1.1.5's update takes only the weight of blockIO; runc 1.2 takes the lists too)
	is_oci_run || return 0
	echo "{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 2097152}]}}" | rt update -r - "$CID"
	[ "$(cat "$blk/blkio.throttle.read_bps_device")" = "$maj:$min 2097152" ]
	[ "$(cat "$blk/blkio.throttle.write_iops_device")" = "$maj:$min 100" ]
}

@test "blockIO.weightDevice: written where the kernel has per-device weights, else refused by name" {
	read -r maj min < <(blk_dev) || skip "no block device"
	edit_config ".linux.resources.blockIO = {\"weightDevice\": [{\"major\": $maj, \"minor\": $min, \"weight\": 200}]}"
	set_args sleep 30
	probe=/sys/fs/cgroup/blkio/oci-probe-$$
	mkdir "$probe" || skip "no v1 blkio hierarchy"
	file=
	for f in blkio.bfq.weight_device blkio.weight_device; do
		[ -e "$probe/$f" ] && file=$f && break
	done
	rmdir "$probe"
	# stdout to a file: bats' run would hold the detached container's stdout
	rc=0
	rt run -d --bundle "$B" "$CID" </dev/null >"$BATS_TEST_TMPDIR/run.out" 2>&1 || rc=$?
	run cat "$BATS_TEST_TMPDIR/run.out"
	status=$rc
	if [ -z "$file" ]; then
		assert_failure
		if is_oci_run; then
			assert_one_line_error oci-run
			assert_output_contains "blockIO.weightDevice: cannot be applied"
		fi
		[ -z "$(rt list -q)" ]
		return 0
	fi
	assert_success
	blk=$(cgroup_dir "$(rt_state_field "$CID" pid)" blkio)
	grep -q "^$maj:$min 200\$" "$blk/$file"
}

@test "memory.kernelTCP is applied on v1; memory.kernel is refused where the kernel ignores it" {
	[ -e /sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes ] || skip "no kmem.tcp accounting"
	peer_is runc "ignores memory.kernelTCP (runtime-spec 1.2 lets runtimes ignore it)"
	edit_config '.linux.resources.memory = {"limit": 134217728, "kernelTCP": 16777216}'
	set_args sleep 30
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	mem=$(cgroup_dir "$(rt_state_field "$CID" pid)" memory)
	[ "$(cat "$mem/memory.kmem.tcp.limit_in_bytes")" = 16777216 ]
	rt delete --force "$CID"
	is_oci_run || return 0
	# does this kernel keep a kmem limit written to it?
	probe=/sys/fs/cgroup/memory/oci-probe-$$
	mkdir "$probe"
	echo 67108864 >"$probe/memory.kmem.limit_in_bytes" 2>/dev/null || true
	kept=$(cat "$probe/memory.kmem.limit_in_bytes" 2>/dev/null || true)
	rmdir "$probe"
	edit_config '.linux.resources.memory = {"limit": 134217728, "kernel": 67108864}'
	rc=0
	rt run -d --bundle "$B" "$CID" </dev/null >"$BATS_TEST_TMPDIR/run.out" 2>&1 || rc=$?
	run cat "$BATS_TEST_TMPDIR/run.out"
	status=$rc
	if [ "$kept" = 67108864 ]; then
		assert_success
	else
		assert_failure
		assert_one_line_error oci-run
		assert_output_contains "linux.resources.memory.kernel: cannot be applied"
		[ -z "$(rt list -q)" ]
	fi
}

@test "features: the cgroup drivers as implemented; linux.resources.rdma, which no driver applies, is refused at create and update" {
	is_oci_run || skip_peer "checks oci-run's features against its code"
	cd "$B"
	run rt features
	assert_success
	# systemd: --systemd-cgroup (83-systemd-cgroup runs containers through it, system bus
	# only); rdma: no driver writes rdma.max
	[ "$(jq -c .linux.cgroup <<<"$output")" = '{"v1":true,"v2":true,"systemd":true,"systemdUser":false,"rdma":false}' ]
	edit_config '.linux.resources.rdma = {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10}}'
	set_args echo ran
	run rt run "$CID" </dev/null
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "linux.resources.rdma: not supported by oci-run"
	[[ "$output" != *ran* ]]
	[ -z "$(rt list -q)" ]
	edit_config 'del(.linux.resources.rdma)'
	set_args sleep 30
	rt_create "$CID"
	run rt update -r - "$CID" <<<'{"rdma": {"mlx5_1": {"hcaHandles": 3}}, "pids": {"limit": 9}}'
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "rdma: not supported by oci-run"
	# nothing of the update was applied
	pid=$(rt_state_field "$CID" pid)
	[ "$(cat "$(cgroup_dir "$pid" pids)/pids.max")" != 9 ]
}
