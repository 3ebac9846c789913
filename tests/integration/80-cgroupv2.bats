#!/usr/bin/env bats
# The runtime on a pure cgroup v2 kernel: a qemu guest (tests/lib/vm/vm.sh, Debian's 6.1
# kernel with cgroup_no_v1=all) boots once for the file and runs 80-cgroupv2.guest.sh, which
# records what it sees per test; each test here asserts on its own block. Covers the
# container's own cgroup through create/start/kill/delete, resources landing in the v2 files,
# pause/resume through cgroup.freeze, update, exec joining the cgroup, the eBPF device
# program and the cgroup namespace; /sys/fs/cgroup inside (cgroup2 or the container's own
# cgroup, ro/rw), update's runc rules (cpu.max halves, swap), processes in sub-cgroups,
# --systemd-cgroup without systemd, a non-empty cgroup, rootless limits in a delegated
# subtree and blockIO on null_blk with BFQ; AppArmor profiles applied (47-run-lsm.guest.sh's
# blocks, in the same boot); a dummy network device moved in and back (45-run-netdev.guest.sh).
# RUNTIME=runc runs the same guest script with runc.

load ../lib/common
# About 30 cgroup blocks and the AppArmor ones take 6-7 minutes of TCG on a 2-core machine
# under load; the watchdog is at 3/4 of this
VM_TIMEOUT=${VM_TIMEOUT:-1200}
load ../lib/vm

# guest_oci_run: the guest ran oci-run (its messages are checked only then; RUNTIME=runc
# checks the same behaviour with runc's words).
guest_oci_run() {
	[ "$(basename "$RUNTIME")" != runc ]
}

setup_file() {
	vm_setup_file "$BATS_TEST_DIRNAME/80-cgroupv2.guest.sh" "$BATS_TEST_DIRNAME/47-run-lsm.guest.sh" \
		"$BATS_TEST_DIRNAME/45-run-netdev.guest.sh"
}

@test "guest: pure cgroup v2, cgroup2 at /sys/fs/cgroup and no v1 hierarchy" {
	vm_test purev2
	mounts=$(vm_get mounts)
	[ "$(printf '%s\n' "$mounts" | awk '{ print $2 " " $3 }')" = "/sys/fs/cgroup cgroup2" ]
	vm_is self-cgroup "0::/"
	controllers=$(vm_get controllers)
	for c in cpu memory pids; do
		[[ " $controllers " == *" $c "* ]]
	done
}

@test "run exits with the container process's status" {
	vm_test run-status
	vm_cmd run3
	[ "$status" = 3 ]
	vm_cmd run0
	assert_success
}

@test "run: a container killed by the OOM killer exits 137, and its cgroup goes away" {
	vm_test oom
	vm_cmd run
	[ "$status" = 137 ]
	vm_is cgroup-left ""
}

@test "run: an init OOM-killed while it sets itself up is one line saying so, nothing left" {
	vm_test init-oom
	vm_cmd run
	assert_failure
	assert_output_contains "OOM-killed"
	# oci-run said "cannot talk to the container init: Connection reset by peer"
	! guest_oci_run || [ "${#lines[@]}" = 1 ]
	! guest_oci_run || assert_output_contains "linux.resources.memory.limit 65536 is too low"
	vm_is cgroup-left ""
	vm_is state-left ""
}

@test "create/start/kill/delete: the container has its own cgroup, removed at delete" {
	vm_test lifecycle
	vm_cmd create
	assert_success
	vm_is status-created created
	cg=$(vm_get cgroup)
	[[ "$cg" == /sys/fs/cgroup/?* ]]
	# the init, still before its exec, is the one process of the container's own cgroup,
	# whether it was cloned into it (CLONE_INTO_CGROUP) or its pid written
	vm_is cgroup-named c-lifecycle
	[ "$(vm_get procs)" = "$(vm_get pid)" ]
	vm_cmd start
	assert_success
	vm_is status-started running
	vm_cmd kill
	assert_success
	vm_is status-killed stopped
	vm_cmd delete
	assert_success
	vm_is cgroup-after ""
	vm_cmd list
	assert_success
	[ -z "$output" ]
}

@test "delete --force of a running container removes its cgroup" {
	vm_test delete-force
	vm_cmd run
	assert_success
	[[ "$(vm_get cgroup)" == /sys/fs/cgroup/?* ]]
	vm_cmd delete
	assert_success
	vm_is cgroup-after ""
	vm_cmd list
	[ -z "$output" ]
}

@test "a fork storm without a pid namespace: kill --all KILL or TERM, or delete --force, leave nothing alive" {
	vm_test fork-storm
	for how in kill term force; do
		vm_cmd run-$how
		assert_success
		[ "$(vm_get before-$how)" -ge 50 ]
		if [ $how != force ]; then
			vm_cmd signal-$how
			assert_success
			vm_is left-$how 0
		fi
		vm_cmd delete-$how
		assert_success
		vm_is cgroup-after-$how ""
	done
}

@test "delete --force kills a process in a cgroup below the container's and removes both" {
	vm_test delete-force-nested
	vm_cmd run
	assert_success
	vm_cmd exec
	assert_success
	cg=$(vm_get cgroup)
	vm_is exec-cgroup "0::${cg#/sys/fs/cgroup}/leaf"
	vm_cmd delete
	assert_success
	vm_is exec-after ""
	vm_is cgroup-after ""
	vm_cmd list
	[ -z "$output" ]
}

@test "a create that fails writing a resource leaves no cgroup and no container" {
	vm_test failed-create
	vm_cmd create
	assert_failure
	assert_output_contains memory.no-such-file
	vm_is cgroup-left ""
	vm_cmd list
	[ -z "$output" ]
}

@test "resources: memory, pids and cpu limits land in the container's v2 files" {
	vm_test resources
	vm_cmd run
	assert_success
	vm_is memory.max 67108864
	vm_is pids.max 42
	vm_is cpu.max "50000 100000"
	# shares 512 -> weight 1 + (512 - 2) * 9999 / 262142, as runc converts it
	vm_is cpu.weight 20
}

@test "memory.swappiness and disableOOMKiller, which cgroup v2 has no file for, are said in a warning" {
	vm_test memory-no-v2-file
	vm_cmd run
	assert_success
	guest_oci_run || return 0
	assert_output_contains "linux.resources.memory.swappiness: ignored: cgroup v2 has no memory.swappiness"
	assert_output_contains "linux.resources.memory.disableOOMKiller: ignored: cgroup v2 cannot"
	[ "$(printf '%s\n' "$output" | grep -c .)" -eq 2 ]
	vm_cmd run-default
	assert_success
	[ -z "$output" ]
}

@test "pause/resume freeze and thaw the container through cgroup.freeze" {
	vm_test pause
	vm_cmd run
	assert_success
	vm_cmd pause
	assert_success
	vm_is status-paused paused
	vm_is freeze-paused 1
	vm_is events-paused "frozen 1"
	read -r a b < <(vm_get count-paused)
	[ -n "$a" ]
	[ "$a" = "$b" ]
	vm_cmd resume
	assert_success
	vm_is status-resumed running
	vm_is freeze-resumed 0
	vm_is events-resumed "frozen 0"
	read -r a b < <(vm_get count-resumed)
	[ -n "$a" ]
	[ "$b" -gt "$a" ]
}

@test "kill KILL and kill --all KILL of a paused container stop it (issue 17), delete then works" {
	vm_test pause-kill
	for c in run pause kill delete run2 pause2 kill-all delete2; do
		vm_cmd "$c"
		assert_success
	done
	vm_is status-killed stopped
	vm_is init-after ""
	vm_is status-killed-all stopped
}

@test "update --memory --pids-limit rewrites memory.max and pids.max" {
	vm_test update
	vm_cmd run
	assert_success
	vm_cmd update
	assert_success
	vm_is memory.max 134217728
	vm_is pids.max 50
}

@test "update sets limits on a container created without any" {
	vm_test update-unlimited
	vm_cmd run
	assert_success
	vm_cmd update
	assert_success
	vm_is memory.max 134217728
	vm_is pids.max 50
}

@test "exec joins the container's cgroup" {
	vm_test exec-cgroup
	vm_cmd run
	assert_success
	vm_cmd exec
	assert_success
	[ "$output" = "$(vm_get init-cgroup)" ]
	[[ "$output" == 0::/?* ]]
}

@test "devices: the eBPF device program allows the default devices and denies the rest" {
	vm_test devices
	vm_cmd run
	assert_success
	[ "${lines[0]}" = 4 ]
	assert_output_contains null-ok
	# CAP_MKNOD may create /dev/mem's node, the device program refuses to open it
	assert_output_contains mknod-ok
	assert_output_contains "Operation not permitted"
	[ "${lines[-1]}" = mem=1 ]
}

@test "cgroupns: the container sees its own cgroup as the root, 0::/" {
	vm_test cgroupns
	vm_cmd run
	assert_success
	[ "$output" = "0::/" ]
}

@test "rootless in a delegated v2 subtree: the container joins its cgroup there, gone at delete" {
	vm_test rootless-delegated
	vm_cmd run
	assert_success
	[ "${lines[0]}" = 0 ]
	vm_cmd state
	assert_success
	pid=$(printf '%s\n' "$output" | jq -r .pid)
	[ "$pid" -gt 0 ]
	[ "$(vm_get procs)" = "$pid" ]
	vm_cmd delete
	assert_success
	vm_is cgroup-after ""
}

@test "spec: on cgroup v2 the default config has a cgroup namespace, as runc's" {
	vm_test spec-cgroupns
	vm_is oci-run '["pid","network","ipc","uts","mount","cgroup"]'
	vm_is oci-run-rootless '["pid","ipc","uts","mount","cgroup","user"]'
	[ ! -f "$VM_T/runc" ] || vm_is runc "$(vm_get oci-run)"
}

# sysfs_cgroup VARIANT FSTYPE: the container saw its own limits on a FSTYPE mount.
sysfs_cgroup() {
	vm_cmd "$1"
	assert_success
	[ "${lines[0]}" = 67108864 ]
	[ "${lines[1]}" = 42 ]
	[ "${lines[2]% *}" = cgroup2 ]
	vm_is "$1-left" ""
}

@test "/sys/fs/cgroup with a cgroup namespace: cgroup2 rooted at the container's cgroup, read-only" {
	vm_test sysfs-cgroup
	sysfs_cgroup ns-ro
	[ "${lines[2]}" = "cgroup2 ro" ]
	[ "${lines[3]}" = "0::/" ]
	assert_output_contains "Read-only file system"
	[[ "$output" != *mkdir-ok* ]]
	[[ "$output" != *write-ok* ]]
}

@test "/sys/fs/cgroup with a cgroup namespace, rw: sub-cgroups can be made, removed at delete" {
	vm_test sysfs-cgroup
	sysfs_cgroup ns-rw
	[ "${lines[2]}" = "cgroup2 rw" ]
	assert_output_contains mkdir-ok
}

@test "/sys/fs/cgroup without a cgroup namespace: the container's own cgroup bound read-only" {
	vm_test sysfs-cgroup
	sysfs_cgroup bind-ro
	[ "${lines[2]}" = "cgroup2 ro" ]
	[[ "${lines[3]}" == 0::/?* ]]
	[[ "$output" != *mkdir-ok* ]]
	[[ "$output" != *write-ok* ]]
}

@test "/sys/fs/cgroup without a cgroup namespace, rw: the container's own cgroup, writable" {
	vm_test sysfs-cgroup
	sysfs_cgroup bind-rw
	[ "${lines[2]}" = "cgroup2 rw" ]
	assert_output_contains mkdir-ok
	assert_output_contains write-ok
}

@test "a container in systemd's layout (its processes in a sub-cgroup, controllers enabled below its own): exec joins the init's cgroup; update, pause, ps, events and delete work" {
	vm_test subtree-layout
	vm_cmd run
	assert_success
	vm_is subtree "memory pids"
	vm_cmd exec
	assert_success
	[ "$output" = "0::/init" ]
	vm_cmd update
	assert_success
	vm_is memory-max 33554432
	vm_cmd pause
	assert_success
	vm_is freeze 1
	vm_cmd resume
	assert_success
	vm_cmd ps
	assert_success
	vm_cmd stats
	assert_success
	vm_cmd exec-frozen
	assert_failure
	assert_output_contains "was paused while the process was being started"
	vm_is exec-frozen-procs 1
	vm_cmd delete
	assert_success
	vm_is left ""
}

@test "update --cpu-period or --cpu-quota alone keeps the other half of cpu.max" {
	vm_test update-cpu-half
	vm_cmd run
	assert_success
	vm_cmd period
	assert_success
	vm_is cpu.max-period "50000 200000"
	vm_cmd quota
	assert_success
	vm_is cpu.max-quota "30000 200000"
	vm_cmd unlimited
	assert_success
	vm_is cpu.max-unlimited "max 200000"
}

@test "update --memory-swap: refused without a memory limit, checked whole before writing" {
	vm_test update-swap
	vm_cmd swap-alone
	assert_failure
	assert_output_contains "unable to set swap limit without memory limit"
	! guest_oci_run || [ "${#lines[@]}" = 1 ]
	vm_is swap-alone.swap max
	vm_is swap-alone.max max
	vm_cmd both
	assert_success
	vm_is both.max 134217728
	vm_is both.swap 67108864
	# alone once a limit is in force: that limit is the memory part
	vm_cmd swap-only
	assert_success
	vm_is swap-only.swap 134217728
	vm_cmd half
	assert_failure
	! guest_oci_run || assert_output_contains "memory.swap"
	vm_is half.max 134217728
	vm_is half.swap 134217728
}

@test "memory.swap 0 at create means unset, as in runc" {
	vm_test update-swap
	vm_cmd zero
	assert_success
	vm_is zero.max 67108864
	vm_is zero.swap max
}

@test "a process in a cgroup below the container's: ps lists it, kill --all kills it" {
	vm_test subtree
	vm_cmd run
	assert_success
	vm_cmd exec
	assert_success
	vm_cmd ps
	assert_success
	for p in $(vm_get pids); do
		printf '%s\n' "$output" | jq -e --argjson p "$p" 'index($p) != null'
	done
	vm_cmd kill
	assert_success
	vm_is exec-after ""
	vm_cmd delete
	assert_success
	vm_is cgroup-after ""
}

@test "--systemd-cgroup without systemd: refused in one line, nothing created" {
	vm_test systemd-refused
	vm_cmd run
	assert_failure
	[ "${#lines[@]}" = 1 ]
	assert_output_contains "systemd not running" || assert_output_contains "systemd is not running"
	vm_is left ""
	vm_cmd list
	[ -z "$output" ]
}

@test "a container in a cgroup that already holds a process: a warning, as runc gives" {
	vm_test nonempty
	vm_cmd create
	assert_success
	# runc adds a second line (its deprecation notice)
	! guest_oci_run || [ "${#lines[@]}" = 1 ]
	assert_output_contains "is not empty: 1 process(es) found"
}

@test "rootless in a delegated v2 subtree: memory and pids limits apply (controllers read from the cgroup)" {
	vm_test rootless-delegated
	vm_cmd run-limits
	assert_success
	[ "${lines[0]}" = 0 ]
	vm_is memory.max 67108864
	vm_is pids.max 40
	vm_cmd delete2
	assert_success
}

@test "blockIO with BFQ: the raw weight, weightDevice into io.bfq.weight, throttle lists into io.max" {
	vm_test blkio
	[ -f "$VM_T/dev" ] || skip "the guest has no null_blk device"
	dev=$(vm_get dev)
	[[ "$(vm_get scheduler)" == *"[bfq]"* ]]
	vm_cmd run
	assert_success
	# BFQ takes blkio's 10..1000 weight as it is (io.weight's scale would be refused)
	grep -qx "default 300" "$VM_T/io.bfq.weight"
	grep -qx "$dev 200" "$VM_T/io.bfq.weight"
	vm_is io.max "$dev rbps=1048576 wbps=max riops=max wiops=100"
	vm_cmd update
	assert_success
	vm_is io.max-updated "$dev rbps=2097152 wbps=max riops=max wiops=100"
	vm_cmd leaf
	assert_failure
	assert_output_contains "blockIO.leafWeight: not supported on cgroup v2"
}

# ---- linux.netDevices: the netdev-* block of 45-run-netdev.guest.sh ----

@test "netDevices: a dummy moved in (renamed, its address kept) is back on the host under its name after the container stopped and was deleted" {
	guest_oci_run || skip "runc 1.1.5 ignores linux.netDevices"
	vm_test netdev-dummy
	vm_cmd create
	assert_success
	vm_cmd inside
	assert_output_contains "inet 10.203.0.1/24"
	[[ " $(vm_get host-during)" != *" ndg0 "* ]]
	vm_cmd delete
	assert_success
	[ "$(vm_get idx-after)" = "$(vm_get idx)" ]
	[ "$(vm_get mac-after)" = "$(vm_get mac)" ]
	[[ " $(vm_get host-after)" != *" eth5 "* ]]
}

# ---- AppArmor: the lsm-* blocks of 47-run-lsm.guest.sh ----

@test "apparmor: the guest's kernel has AppArmor on and loads the test profile" {
	vm_test lsm-load
	vm_is enabled Y
	vm_cmd load
	assert_success
	[[ "$(vm_get profiles)" == "oci-lsm-test (enforce)" ]]
}

@test "apparmor: process.apparmorProfile confines the container process (a denied write fails)" {
	vm_test lsm-run
	vm_cmd run
	assert_success
	[ "${lines[0]}" = "oci-lsm-test (enforce)" ]
	assert_output_contains "can't create /tmp/denied: Permission denied"
	assert_output_contains "denied=1"
	assert_output_contains "allowed=0"
}

@test "apparmor: exec runs under the config's profile, or --apparmor's" {
	vm_test lsm-exec
	vm_cmd run
	assert_success
	vm_is init "oci-lsm-test (enforce)"
	vm_cmd exec-inherit
	assert_success
	[ "${lines[0]}" = "oci-lsm-test (enforce)" ]
	assert_output_contains "denied=1"
	vm_cmd exec-unconfined
	assert_success
	[ "$output" = unconfined ]
}

@test "apparmor: a profile that is not loaded fails the create in one line, nothing runs" {
	vm_test lsm-missing
	vm_cmd run
	assert_failure
	[[ "$output" != *RAN* ]]
	if guest_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "AppArmor profile 'oci-no-such-profile' is not loaded"
	fi
	vm_cmd list
	[ -z "$output" ]
}

@test "apparmor attack: a rootfs /proc symlinked to decoy attr files neither redirects nor skips the profile" {
	vm_test lsm-attack-symlink
	vm_is written ""
	vm_cmd run
	if guest_oci_run; then
		# the write went through the runtime's own procfs: the init is confined
		assert_success
		vm_is init "oci-lsm-test (enforce)"
	else
		# runc refuses a /proc that is not procfs
		[ "$status" != 0 ] || vm_is init "oci-lsm-test (enforce)"
	fi
}

@test "apparmor attack: exec --apparmor into a container that covered its /proc with decoys is confined" {
	vm_test lsm-attack-exec
	vm_cmd run
	assert_success
	vm_is covered 1
	vm_cmd exec
	if guest_oci_run; then
		assert_success
		vm_is exec-attr "oci-lsm-test (enforce)"
	else
		# runc 1.1.5 fails the exec on the container's /proc (no /proc/self/fd there)
		[ "$status" != 0 ] || vm_is exec-attr "oci-lsm-test (enforce)"
	fi
	vm_is written ""
}
