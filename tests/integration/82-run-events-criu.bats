#!/usr/bin/env bats
# events on a pure cgroup v2 kernel and checkpoint/restore through CRIU, in the qemu guest
# (tests/lib/vm/vm.sh: Debian's 6.1 kernel with cgroup_no_v1=all, criu, GNU tar and the
# socket-diag and nftables modules CRIU needs). One boot runs 82-run-events-criu.guest.sh;
# each test asserts on its block. The events assertions are 48-run-events' (cgroup v1 host);
# CRIU cannot run on the host's kernel (49-run-checkpoint covers what it does there).

load ../lib/common
# CRIU in an emulated guest (no KVM here) takes minutes (about 4 idle, 12 on a loaded 2-core
# machine); the watchdog is at 3/4 of this
VM_TIMEOUT=${VM_TIMEOUT:-1200}
load ../lib/vm

setup_file() {
	# with a console-socket receiver (the guest has no python)
	vm_setup_file "$BATS_TEST_DIRNAME/82-run-events-criu.guest.sh" "$OCI_BUILD/tests/lib/console-recv"
}

# guest_oci_run: the guest ran oci-run. RUNTIME=runc runs the same script with runc 1.1.5
# (Debian's): the checks where runc behaves otherwise are oci-run's only, each with what runc
# does instead (seen in the guest).
guest_oci_run() {
	[ "$(basename "${RUNTIME:-oci-run}")" != runc ]
}

# data KEY JQ: jq -e JQ on the stats event recorded under KEY.
data() {
	vm_get "$1" | jq -e ".data | $2" >/dev/null || {
		echo "$1: $2 is false in:" >&2
		vm_get "$1" >&2
		return 1
	}
}

@test "v2 events --stats: runc's fields from the v2 files; memory and cpu rise under load" {
	vm_test events-stats
	vm_cmd before
	assert_success
	vm_cmd after
	assert_success
	data after '.memory.usage.limit == 134217728 and .pids.limit == 20 and .pids.current == 1'
	data after '.memory.raw | has("anon") and has("file")'
	data after '.cpu.usage | has("total") and has("user") and has("kernel")'
	b=$(vm_get before | jq '.data.memory.usage.usage')
	a=$(vm_get after | jq '.data.memory.usage.usage')
	[ "$a" -gt $((b + 30000000)) ]
	b=$(vm_get before | jq '.data.cpu.usage.total')
	a=$(vm_get after | jq '.data.cpu.usage.total')
	[ "$a" -gt "$b" ]
	# runc lists only interfaces it configured itself (none from a spec's namespace)
	! guest_oci_run || data after '.network_interfaces | length == 1 and .[0].Name == "lo"'
}

@test "v2 events: an OOM kill is an oom event (memory.events oom_kill); stopped and missing containers are errors" {
	vm_test events-oom
	vm_cmd events
	assert_success
	vm_get events | jq -e -s 'map(select(.type == "oom")) | length >= 1 and (.[0] | keys == ["id", "type"])'
	vm_get events | jq -e -s 'map(select(.type == "stats")) | length >= 2'
	vm_cmd stopped
	assert_failure 1
	assert_output_contains "is not running"
	vm_cmd missing
	assert_failure 1
	if guest_oci_run; then
		assert_output_contains "container 'nosuch' does not exist"
	else
		assert_output_contains "container does not exist"
	fi
}

@test "checkpoint/restore: a counter with its own network namespace goes on from where it was, under a new id, in its new cgroup (--pid-file); --leave-running keeps the original" {
	vm_test ckpt-counter
	vm_cmd leave
	assert_success
	vm_is status-left running
	vm_cmd copy
	assert_success
	[ "$(vm_get copy)" -ge "$(vm_get at-leave)" ]
	vm_cmd checkpoint
	assert_success
	# without --leave-running the container is gone, as with runc
	vm_cmd list
	[ "$(printf '%s\n' "$output" | grep -c '^c-ckpt-counter$')" = 0 ]
	vm_cmd restore
	assert_success
	[ "$(vm_get restored)" -ge "$(vm_get before)" ]
	[ "$(vm_get later)" -gt "$(vm_get restored)" ]
	vm_is status running
	[ "$(vm_get pid-file)" = "$(vm_get pid)" ]
	# runc restores a new id into the dumped container's cgroup (/c-ckpt-counter here: it
	# also warns that the original's cgroup is busy), oci-run into the new container's
	! guest_oci_run || vm_is cgroup "0::/oci-run/c-ckpt-counter-new"
	# the default spec's network namespace, dumped and restored with lo up (runc's restored
	# lo is down)
	vm_is own-netns yes
	! guest_oci_run || vm_is lo "1 unknown"
	vm_cmd stats
	assert_success
	vm_cmd delete
	assert_success
	vm_is cgroup-after ""
}

@test "checkpoint --pre-dump, then the final dump with --parent-path; the restore goes on counting" {
	vm_test ckpt-predump
	vm_cmd predump
	assert_success
	vm_is status-after-predump running
	vm_cmd checkpoint
	assert_success
	vm_cmd restore
	assert_success
	[ "$(vm_get after)" -ge "$(vm_get before)" ]
}

@test "checkpoint/restore of bind mounts, one whose destination is a symlink in the rootfs: external mounts mapped to their sources again" {
	vm_test ckpt-bind
	vm_cmd checkpoint
	assert_success
	vm_cmd restore
	assert_success
	vm_is file hello
	# /link -> /real inside the rootfs: the mount is at /real, as create put it
	vm_is linked linked
	[ "$(vm_get count)" -gt 0 ]
}

@test "checkpoint/restore --empty-ns network: a new empty network namespace, the prestart hook run with the restored pid; other namespaces refused" {
	vm_test ckpt-emptyns
	vm_cmd checkpoint
	assert_success
	vm_cmd restore
	assert_success
	[ "$(vm_get hook-pid)" = "$(vm_get pid)" ]
	vm_is counting yes
	vm_is own-netns yes
	vm_is lo down
	vm_cmd bad
	assert_failure 1
	if guest_oci_run; then
		assert_output_contains "--empty-ns 'pid': only 'network' is supported"
	else
		assert_output_contains 'namespace \"pid\" is not supported'
	fi
}

@test "checkpoint/restore of a container that joined a network namespace by path: external for CRIU, restored into that namespace" {
	vm_test ckpt-extnetns
	vm_cmd checkpoint
	assert_success
	vm_cmd restore
	assert_success
	[ "$(vm_get netns)" = "$(vm_get want)" ]
	[ "$(vm_get count)" -gt 0 ]
}

@test "checkpoint/restore of a cgroup-namespaced container: in the new container's cgroup, which is its cgroup root" {
	vm_test ckpt-cgns
	vm_cmd checkpoint
	assert_success
	vm_cmd restore
	assert_success
	# (runc: the dumped container's cgroup, /c-ckpt-cgns)
	! guest_oci_run || vm_is host-cg "0::/oci-run/c-ckpt-cgns-r"
	# written by the container after the restore: its count, then its /proc/self/cgroup
	read -r n cg <<<"$(vm_get cg)"
	[ "$n" -gt "$(vm_get before)" ]
	[ "$cg" = "0::/" ]
}

@test "checkpoint of an established TCP connection: refused without --tcp-established with CRIU's reason; with it, dumped and restored" {
	vm_test ckpt-tcp
	vm_cmd refused
	assert_failure 1
	vm_is status-refused running
	# runc says "criu failed: type NOTIFY errno 0" and where the log is, in several lines;
	# oci-run gives CRIU's reason in one. With --tcp-established runc's restore fails here
	# (CRIU: "Can't connect inet socket back"): the rest is oci-run's.
	guest_oci_run || return 0
	assert_one_line_error oci-run
	assert_output_contains "tcp-established"
	vm_cmd checkpoint
	assert_success
	vm_cmd restore
	assert_success
	vm_is status running
	# CRIU 3.17's network lock is deleted in the restored namespace (it was left dropping
	# every packet: the data stayed queued)
	vm_is flowing yes
}

@test "checkpoint/restore --tcp-established of a server whose client is outside the container (in the namespace the container joined): bytes flow both ways on the same connection after" {
	vm_test ckpt-tcp-ext
	vm_cmd checkpoint
	assert_success
	vm_cmd restore
	assert_success
	vm_is status running
	# with runc no byte reached the restored server here
	guest_oci_run || return 0
	vm_is to-server yes
	vm_is to-client yes
	[ "$(vm_get tries-after)" = "$(vm_get tries-before)" ]
}

@test "restore --console-socket: CRIU's new pty master for the container's terminal goes to the socket, and the restored shell answers through it" {
	vm_test ckpt-console
	vm_cmd run
	assert_success
	# oci-run names the master by its slave, as create does
	! guest_oci_run || grep -q '^pty-name:/dev/pts/' "$VM_T/recv1"
	vm_cmd checkpoint
	assert_success
	# restored from a config without a terminal: refused, nothing left (runc relays the pty)
	if guest_oci_run; then
		vm_cmd restore-noterm
		assert_failure
		assert_output_contains "process.terminal is false"
		vm_cmd list-noterm
		[[ "$output" != *c-ckpt-console-n* ]]
	fi
	vm_cmd restore
	assert_success
	vm_is status running
	! guest_oci_run || grep -q '^pty-name:/dev/pts/' "$VM_T/recv2"
	# x was set before the checkpoint, through the first master
	grep -q 'restored-42' "$VM_T/recv2"
}

@test "a foreground restore waits for the container and exits with its status, then removes it" {
	vm_test ckpt-fg
	vm_cmd checkpoint
	assert_success
	vm_cmd restore
	assert_failure 7
	vm_cmd list
	[ "$(printf '%s\n' "$output" | grep -c '^c-ckpt-fg-r$')" = 0 ]
}

@test "checkpoint/restore of a container whose stdio are pipes" {
	vm_test ckpt-pipes
	vm_cmd checkpoint
	assert_success
	vm_is pipes 3
	vm_cmd restore
	assert_success
	vm_is status running
}

@test "a foreground restore is a subreaper (runc's): an orphan of the restored container (no pid namespace) goes to it and is reaped; with --no-subreaper it goes to the host's init" {
	vm_test ckpt-subreaper
	for mode in sub nosub; do
		vm_cmd checkpoint-$mode
		assert_success
		vm_cmd restore-$mode
		assert_success
	done
	# "ppid P me M": the orphan's parent, the restored init's parent (restore's waiter)
	read -r _ ppid _ me < <(vm_get result-sub)
	[ -n "$me" ] && [ "$ppid" = "$me" ] || { vm_get result-sub >&2; false; }
	[ "$(vm_get result-sub | sed -n 2p)" = reaped ]
	read -r _ ppid _ me < <(vm_get result-nosub)
	[ -n "$me" ] && [ "$ppid" != "$me" ] || { vm_get result-nosub >&2; false; }
}
