#!/usr/bin/env bats
# The runtime on a pure cgroup v2 kernel: a qemu guest (tests/lib/vm/vm.sh, Debian's 6.1
# kernel with cgroup_no_v1=all) boots once for the file and runs 80-cgroupv2.guest.sh, which
# records what it sees per test; each test here asserts on its own block. Covers the
# container's own cgroup through create/start/kill/delete, resources landing in the v2 files,
# pause/resume through cgroup.freeze, update, exec joining the cgroup, the eBPF device
# program and the cgroup namespace. RUNTIME=runc runs the same guest script with runc.

load ../lib/common
load ../lib/vm

setup_file() {
	vm_setup_file "$BATS_TEST_DIRNAME/80-cgroupv2.guest.sh"
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

@test "create/start/kill/delete: the container has its own cgroup, removed at delete" {
	vm_test lifecycle
	vm_cmd create
	assert_success
	vm_is status-created created
	cg=$(vm_get cgroup)
	[[ "$cg" == /sys/fs/cgroup/?* ]]
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
	[ -n "$a" ] && [ "$a" = "$b" ]
	vm_cmd resume
	assert_success
	vm_is status-resumed running
	vm_is freeze-resumed 0
	vm_is events-resumed "frozen 0"
	read -r a b < <(vm_get count-resumed)
	[ -n "$a" ] && [ "$b" -gt "$a" ]
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
