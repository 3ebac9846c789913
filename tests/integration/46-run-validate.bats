#!/usr/bin/env bats
# One validator for `oci-bundle validate` and `oci-run create`: every config one refuses the
# other refuses too, each naming the JSON path, and a refused create leaves nothing behind
# (no state, cgroup or mount). With the attacks this closed: linux.sysctl writing the host's
# kernel (kernel.core_pattern, net.* without a network namespace of the container's own) and
# millions of additionalGids overflowing the init's stack.

load ../lib/common
load 40-run-lib

setup() {
	require_root
	setup_bundle
	cd "$B"
}

teardown() {
	cleanup_containers
	# Put back any host sysctl a failing (vulnerable) run changed.
	local f
	for f in "$BATS_TEST_TMPDIR"/sysctl.*; do
		[ -e "$f" ] || continue
		cat "$f" >"/proc/sys/$(basename "$f" | sed 's/^sysctl\.//; s/\./\//g')" 2>/dev/null || true
	done
	[ -z "${NSPID:-}" ] || kill "$NSPID" 2>/dev/null || true
}

# save_sysctl KEY: remember the host's value, restored by teardown; prints it.
save_sysctl() {
	local p=/proc/sys/${1//.//}
	cat "$p" >"$BATS_TEST_TMPDIR/sysctl.$1"
	cat "$p"
}

host_sysctl() {
	cat "/proc/sys/${1//.//}"
}

# refused_by_both JQ JSON-PATH: validate and create both refuse the edited config, each with
# a message naming JSON-PATH; create says it in one line and leaves nothing.
refused_by_both() {
	[ "$1" = . ] || edit_config "$1"
	run "$OCI_BUNDLE" validate "$B"
	assert_failure
	assert_output_contains "$2: "
	run timeout -k 5 60 "$OCI_RUN" --root "$ROOT" create --bundle "$B" "$CID" </dev/null
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "$2: "
	no_leftovers
}

# accepted_by_both JQ: validate says valid and create succeeds (then the container goes).
accepted_by_both() {
	edit_config "$1"
	run "$OCI_BUNDLE" validate "$B"
	assert_success
	[ "$output" = "config.json is valid" ]
	# not through bats' run: the created init would hold its output pipe open
	if ! timeout -k 5 60 "$OCI_RUN" --root "$ROOT" create --bundle "$B" "$CID" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/create.err"; then
		cat "$BATS_TEST_TMPDIR/create.err" >&2
		return 1
	fi
	[ "$(rt_state_field "$CID" status)" = created ]
	rt delete --force "$CID"
	no_leftovers
}

@test "sysctl attack: kernel.core_pattern is refused by create and validate; the host's is unchanged" {
	local orig
	orig=$(save_sysctl kernel.core_pattern)
	edit_config '.linux.sysctl = {"kernel.core_pattern": "|/tmp/oci-test-pwn-'"$CID"' %p"}'
	run timeout -k 5 60 "$RUNTIME" --root "$ROOT" run "$CID" </dev/null
	assert_failure
	[ "$(host_sysctl kernel.core_pattern)" = "$orig" ]
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "linux.sysctl.kernel.core_pattern: not a namespaced sysctl"
	fi
	run "$OCI_BUNDLE" validate "$B"
	assert_failure
	assert_output_contains "linux.sysctl.kernel.core_pattern: not a namespaced sysctl"
	no_leftovers
}

@test "sysctl attack: net.* without a network namespace of its own is refused; the host's value stays" {
	local orig
	orig=$(save_sysctl net.ipv4.tcp_keepalive_probes)
	edit_config '.linux.namespaces -= [{"type": "network"}] | .linux.sysctl = {"net.ipv4.tcp_keepalive_probes": "'$((orig + 3))'"}'
	run timeout -k 5 60 "$RUNTIME" --root "$ROOT" run "$CID" </dev/null
	assert_failure
	[ "$(host_sysctl net.ipv4.tcp_keepalive_probes)" = "$orig" ]
	is_oci_run || return 0
	assert_one_line_error oci-run
	assert_output_contains "linux.sysctl.net.ipv4.tcp_keepalive_probes: needs its own network namespace"
	no_leftovers
	# joining the host's own network namespace by path is the same as having none
	refused_by_both '.linux.namespaces += [{"type": "network", "path": "/proc/'$$'/ns/net"}]' 'linux.sysctl.net.ipv4.tcp_keepalive_probes'
	[ "$(host_sysctl net.ipv4.tcp_keepalive_probes)" = "$orig" ]
	assert_output_contains "is the host's"
}

@test "sysctl: namespaced keys work in the container's own ipc, net (new or joined) and uts namespaces" {
	local orig
	orig=$(save_sysctl net.ipv4.tcp_keepalive_probes)
	edit_config '.linux.sysctl = {"kernel.msgmax": "12345", "fs.mqueue.msg_max": "42", "net.ipv4.tcp_keepalive_probes": "'$((orig + 2))'", "kernel.domainname": "example.test"}'
	set_args sh -c 'cat /proc/sys/kernel/msgmax /proc/sys/fs/mqueue/msg_max /proc/sys/net/ipv4/tcp_keepalive_probes /proc/sys/kernel/domainname'
	run timeout -k 5 60 "$RUNTIME" --root "$ROOT" run "$CID" </dev/null
	assert_success
	[ "${lines[0]}" = 12345 ]
	[ "${lines[1]}" = 42 ]
	[ "${lines[2]}" = $((orig + 2)) ]
	[ "${lines[3]}" = example.test ]
	[ "$(host_sysctl net.ipv4.tcp_keepalive_probes)" = "$orig" ]
	[ "$(host_sysctl kernel.msgmax)" != 12345 ]
	# a network namespace that is not the host's, joined by path
	unshare -n sleep 60 &
	NSPID=$!
	wait_until 10 "the holder's network namespace" '[ "$(readlink /proc/$NSPID/ns/net)" != "$(readlink /proc/self/ns/net)" ]'
	edit_config '.linux.sysctl = {"net.ipv4.tcp_keepalive_probes": "'$((orig + 1))'"} | (.linux.namespaces[] | select(.type == "network")) |= {type: "network", path: "/proc/'$NSPID'/ns/net"}'
	set_args cat /proc/sys/net/ipv4/tcp_keepalive_probes
	run timeout -k 5 60 "$RUNTIME" --root "$ROOT" run "$CID" </dev/null
	assert_success
	[ "$output" = $((orig + 1)) ]
	[ "$(host_sysctl net.ipv4.tcp_keepalive_probes)" = "$orig" ]
}

@test "sysctl: ipc and uts keys without their namespace are refused by both" {
	is_oci_run || skip_peer "compares oci-run with oci-bundle validate"
	refused_by_both '.linux.namespaces -= [{"type": "ipc"}] | .linux.sysctl = {"kernel.shmmax": "1"}' 'linux.sysctl.kernel.shmmax'
	setup_bundle
	refused_by_both '.linux.namespaces -= [{"type": "uts"}] | del(.hostname) | .linux.sysctl = {"kernel.domainname": "x"}' 'linux.sysctl.kernel.domainname'
}

@test "additionalGids attack: 2M groups are refused by both, no crash, nothing left" {
	is_oci_run || skip_peer "compares oci-run with oci-bundle validate"
	# A 1 MiB stack limit (the container's own rlimit, set before the groups) makes the old
	# variable-length array of 2M gids overflow for sure.
	jq -c '.process.rlimits += [{"type": "RLIMIT_STACK", "soft": 1048576, "hard": 1048576}] | .process.user.additionalGids = [range(2000000) | 0]' \
		"$B/config.json" >"$B/config.json.new" && mv "$B/config.json.new" "$B/config.json"
	refused_by_both '.' 'process.user.additionalGids'
	assert_output_contains "2000000 groups, more than the kernel's limit of 65536"
}

@test "additionalGids: 65536 groups (the limit) work with a 128 KiB stack" {
	# The groups live on the heap: before, 256 KiB of them overflowed such a stack.
	jq -c '.process.rlimits += [{"type": "RLIMIT_STACK", "soft": 131072, "hard": 131072}] | .process.user.additionalGids = [range(1; 65537)]' \
		"$B/config.json" >"$B/config.json.new" && mv "$B/config.json.new" "$B/config.json"
	set_args sh -c 'grep ^Groups: /proc/self/status | wc -w'
	run timeout -k 5 60 "$RUNTIME" --root "$ROOT" run "$CID" </dev/null
	assert_success
	[ "$output" = 65537 ]
}

@test "validate and create agree: each refuses, naming the JSON path, and create leaves nothing" {
	is_oci_run || skip_peer "compares oci-run with oci-bundle validate"
	local cases=(
		'.linux.seccomp = {defaultAction: "SCMP_ACT_FOO"}|linux.seccomp.defaultAction'
		'.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"]}|linux.seccomp.architectures[1]'
		'.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_ERRNO", args: [{index: 99, value: 1, op: "SCMP_CMP_EQ"}]}]}|linux.seccomp.syscalls[0].args[0].index'
		'.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_ERRNO", args: [{index: 0, value: 1, op: "SCMP_CMP_ABOUT"}]}]}|linux.seccomp.syscalls[0].args[0].op'
		'.linux.personality = {domain: "LINUX99"}|linux.personality.domain'
		'.hostname = ("h" * 10000)|hostname'
		'.mounts[1].options += ["size=" + ("1" * 5000)]|mounts[1].options'
		'.linux.sysctl = {"kernel..msgmax": "1"}|linux.sysctl.kernel..msgmax'
		'.linux.sysctl = {"net/../kernel.core_pattern": "x"}|linux.sysctl.net/../kernel.core_pattern'
		'.linux.cgroupsPath = "/ocitest/../../escape"|linux.cgroupsPath'
		'.linux.resources.memory = {limit: -5}|linux.resources.memory.limit'
		'.linux.resources.cpu = {cpus: "0-999999"}|linux.resources.cpu.cpus'
		'.linux.resources.cpu = {cpus: "3-1"}|linux.resources.cpu.cpus'
		# id maps the kernel refuses whole (create said only "uid_map: Invalid argument")
		'.linux.namespaces += [{type: "user"}] | .linux.uidMappings = [{containerID: 0, hostID: 0, size: 1000}, {containerID: 500, hostID: 200000, size: 10}] | .linux.gidMappings = [{containerID: 0, hostID: 0, size: 1000}]|linux.uidMappings[1]'
		'.linux.namespaces += [{type: "user"}] | .linux.uidMappings = [{containerID: 0, hostID: 0, size: 1000}] | .linux.gidMappings = [{containerID: 0, hostID: 0, size: 1000}, {containerID: 2000, hostID: 500, size: 10}]|linux.gidMappings[1]'
		'.linux.namespaces += [{type: "user"}] | .linux.uidMappings = [{containerID: 0, hostID: 1, size: 4294967295}] | .linux.gidMappings = [{containerID: 0, hostID: 0, size: 1000}]|linux.uidMappings[0]'
		'.linux.namespaces += [{type: "user"}] | .linux.uidMappings = [range(341) | {containerID: ., hostID: (. + 100000), size: 1}] | .linux.gidMappings = [{containerID: 0, hostID: 0, size: 1000}]|linux.uidMappings'
	)
	local c
	for c in "${cases[@]}"; do
		setup_bundle
		echo "case: ${c:0:100}" >&2
		refused_by_both "${c%|*}" "${c##*|}"
	done
}

@test "validate and create agree on valid edge cases: both accept" {
	is_oci_run || skip_peer "compares oci-run with oci-bundle validate"
	local cases=(
		'.linux.resources.memory = {limit: -1}'
		'.hostname = ("h" * 64)'
		'.linux.resources.cpu = {cpus: "0"}'
		'.linux.cgroupsPath = "/ocitest-'"$CID"'/a..b"'
		'.linux.personality = {domain: "LINUX"}'
		'.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "no_such_syscall"], action: "SCMP_ACT_ERRNO", errnoRet: 1, args: [{index: 5, value: 1, op: "SCMP_CMP_EQ"}]}]}'
		'.linux.sysctl = {"kernel.shm_rmid_forced": "1", "net.ipv4.ip_forward": "1"}'
		# adjacent ranges, and one that ends at the last id
		'.linux.namespaces += [{type: "user"}] | .linux.uidMappings = [{containerID: 0, hostID: 0, size: 1000}, {containerID: 1000, hostID: 1000, size: 4294966295}] | .linux.gidMappings = [{containerID: 0, hostID: 0, size: 4294967295}]'
	)
	local c
	for c in "${cases[@]}"; do
		setup_bundle
		echo "case: ${c:0:100}" >&2
		accepted_by_both "$c"
	done
	rmdir /sys/fs/cgroup/*/ocitest-"$CID" 2>/dev/null || true
}

@test "a bundle whose config.json is a FIFO: create refuses it in one line, never blocks on it" {
	mv "$B/config.json" "$BATS_TEST_TMPDIR/config.json"
	mkfifo "$B/config.json"
	# before: create opened the FIFO and waited for a writer for ever (status 124 here)
	run timeout -k 5 20 "$OCI_RUN" --root "$ROOT" create --bundle "$B" "$CID" </dev/null
	[ "$status" -ne 124 ]
	[ "$status" -ne 137 ]
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "'config.json' is not a regular file"
	no_leftovers
	# a path the caller names may still be a pipe (runc reads --process <(...) too): exec's
	# --process is covered in 45-run-spec12
}
