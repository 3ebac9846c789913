#!/usr/bin/env bats
# The systemd cgroup driver (--systemd-cgroup) under a real systemd: a qemu guest whose PID 1
# is systemd (tests/lib/vm/vm.sh run-systemd: a Debian 12 image, pure cgroup v2) boots once
# for the file and runs 83-systemd-cgroup.guest.sh; each test asserts on its block. Covers the
# transient scope systemd creates (Delegate=yes, the container's pid in it), resources as unit
# properties and in the cgroup files, update of both, pause/resume/exec/kill, delete and a
# failed create leaving no unit, nested slices, runc's default path, hostile cgroupsPaths
# refused before any D-Bus call, a tampered state that names another scope, the
# examples/systemd units run by this systemd, and a Type=notify unit (the sd_notify relay). RUNTIME=runc runs the same guest script with runc.

load ../lib/common
load ../lib/vm

guest_oci_run() {
	[ "$(basename "$RUNTIME")" != runc ]
}

setup_file() {
	# systemd's boot takes 1-2 minutes of TCG, the blocks 4-6 more on a loaded machine
	VM_TIMEOUT=${VM_TIMEOUT_SYSTEMD:-900}
	mkdir -p "$BATS_FILE_TMPDIR/vm/examples"
	cp "$TOP"/examples/systemd/*.service "$BATS_FILE_TMPDIR/vm/examples/"
	VM_RUN=run-systemd vm_setup_file "$BATS_TEST_DIRNAME/83-systemd-cgroup.guest.sh" \
		"$OCI_BUILD/tests/lib/notify-send"
}

# prop KEY FILE: the value of KEY in a recorded `systemctl show` or files list.
prop() {
	local v
	v=$(vm_get "$2") || return 1
	printf '%s\n' "$v" | sed -n "s/^$1=//p"
}

# is KEY FILE VALUE
is() {
	local v
	v=$(prop "$1" "$2")
	if [ "$v" != "$3" ]; then
		echo "$(basename "$VM_T")/$2: $1 is '$v', expected '$3'" >&2
		return 1
	fi
}

@test "guest: systemd is PID 1 and the system is running" {
	vm_test sd-env
	vm_is pid1 systemd
	vm_is run-systemd /run/systemd/system
	vm_is running running
}

@test "create makes a transient scope with Delegate=yes holding the container's init" {
	vm_test sd-lifecycle
	vm_cmd create
	assert_success
	unit=$(vm_get unit)
	[ "$(vm_get cgroup)" = "/sys/fs/cgroup/system.slice/$unit" ]
	# only the init is in it (the runtime's helper that held the scope has gone)
	[ "$(vm_get procs)" = "$(vm_get pid)" ]
	vm_cmd status
	assert_success
	assert_output_contains "$unit"
	assert_output_contains "Transient: yes"
	assert_output_contains "Active: active (running)"
	is Delegate show-created yes
	is ControlGroup show-created "/system.slice/$unit"
	is Slice show-created system.slice
}

@test "create: resources are unit properties and in the scope's files" {
	vm_test sd-lifecycle
	is MemoryMax show-created 67108864
	is memory.max files-created 67108864
	is MemoryLow show-created 33554432
	is memory.low files-created 33554432
	# swap 96M of which 64M memory: 32M of swap (runc's conversion)
	is MemorySwapMax show-created 33554432
	is memory.swap.max files-created 33554432
	is TasksMax show-created 50
	is pids.max files-created 50
	is CPUQuotaPerSecUSec show-created 500ms
	is CPUQuotaPeriodUSec show-created 100ms
	is cpu.max files-created "50000 100000"
	# shares 2048 -> weight 1 + (2048-2)*9999/262142 = 79
	is CPUWeight show-created 79
	is cpu.weight files-created 79
	is AllowedCPUs show-created 0
	is cpuset.cpus files-created 0
}

@test "update changes the unit's properties and the files alike" {
	vm_test sd-lifecycle
	vm_cmd start
	assert_success
	vm_is status-started running
	vm_cmd update
	assert_success
	is MemoryMax show-updated 134217728
	is memory.max files-updated 134217728
	is MemorySwapMax show-updated 67108864
	is memory.swap.max files-updated 67108864
	is TasksMax show-updated 100
	is pids.max files-updated 100
	is CPUQuotaPerSecUSec show-updated 900ms
	is cpu.max files-updated "90000 100000"
	# the period alone keeps the quota
	vm_cmd update-period
	assert_success
	is cpu.max files-period "90000 50000"
	is CPUQuotaPeriodUSec show-period 50ms
	is CPUQuotaPerSecUSec show-period 1.800000s
}

@test "exec joins the scope; pause/resume freeze it through cgroup.freeze; kill stops it" {
	vm_test sd-lifecycle
	vm_cmd exec
	assert_success
	[ "$output" = "0::/system.slice/$(vm_get unit)" ]
	vm_cmd pause
	assert_success
	vm_is status-paused paused
	vm_is freeze-paused 1
	vm_cmd resume
	assert_success
	vm_is status-resumed running
	vm_is freeze-resumed 0
	vm_cmd kill
	assert_success
	vm_is status-killed stopped
}

@test "delete stops and removes the unit and its cgroup" {
	vm_test sd-lifecycle
	vm_cmd delete
	assert_success
	is ActiveState show-deleted inactive
	is LoadState show-deleted not-found
	vm_is cgroup-after ""
	vm_is units-after ""
}

@test "delete --force of a running container: no unit, cgroup or state left" {
	vm_test sd-delete-force
	vm_cmd run
	assert_success
	vm_is active active
	vm_cmd delete
	assert_success
	vm_is cgroup-after ""
	vm_is units-after ""
	vm_is list ""
}

@test "a nested slice is expanded as systemd does (oci-a.slice under oci.slice)" {
	vm_test sd-nested-slice
	vm_cmd run
	assert_success
	cg=$(vm_get cgroup)
	[ "${cg#/sys/fs/cgroup/oci.slice/oci-a.slice/ctr-c-sd-nested-slice.scope}" = "" ]
	is Slice show oci-a.slice
	is Delegate show yes
	vm_cmd delete
	assert_success
	vm_is units-after ""
}

@test "without cgroupsPath the unit is runc's: system.slice/runc-<id>.scope" {
	vm_test sd-default-path
	vm_cmd run
	assert_success
	vm_is cgroup /sys/fs/cgroup/system.slice/runc-c-sd-default-path.scope
	vm_is active active
	vm_is units-after ""
}

@test "a failed create leaves no unit, no cgroup, no container" {
	vm_test sd-failed-create
	vm_cmd create
	assert_failure
	guest_oci_run && assert_one_line_error oci-run
	vm_is cgroup-left ""
	vm_is units-after ""
	vm_is list ""
}

@test "org.systemd.property.* annotations are properties of the unit; bad ones fail in one line" {
	# features names them (potentiallyUnsafeConfigAnnotations, runtime-spec 1.2): what this
	# test shows they do
	if is_oci_run; then
		[ "$("$OCI_RUN" features | jq -c .potentiallyUnsafeConfigAnnotations)" = '["org.systemd.property."]' ]
	fi
	vm_test sd-properties
	vm_cmd create
	assert_success
	is TimeoutStopUSec show 15s
	is RuntimeMaxUSec show 2h
	is CPUWeight show 321
	is CollectMode show inactive-or-failed
	is Description show "props é"
	vm_is cpu-weight 321
	vm_cmd delete
	assert_success
	n=$(vm_get bad-n)
	[ "$n" -eq 6 ]
	for i in $(seq "$n"); do
		# runc 1.1.5 takes a Slice annotation (and puts the scope where its cgroup is not)
		if ! guest_oci_run && [[ "$(vm_get bad-$i)" == Slice=* ]]; then
			continue
		fi
		vm_cmd bad-create-$i
		if [ "$status" -eq 0 ]; then
			echo "annotation '$(vm_get bad-$i)' was accepted" >&2
			return 1
		fi
		if guest_oci_run; then
			# the line names the annotation, even when systemd's own message names
			# no property, and says what to do
			assert_one_line_error oci-run
			assert_output_contains "org.systemd.property.$(vm_get bad-$i | cut -d= -f1)"
			# the last two are systemd's refusals
			[ "$i" -lt 5 ] || assert_output_contains "or remove"
		fi
		vm_is bad-units-$i ""
		vm_is bad-list-$i ""
	done
}

@test "hostile cgroupsPaths are refused in one line and start no unit" {
	vm_test sd-hostile
	n=$(vm_get n)
	# every create ran on its own path's config (one jq wrote them all)
	vm_is configs "$n"
	for i in $(seq "$n"); do
		# runc 1.1.5 hands a '\' (systemd's escape character) on to systemd, which takes it;
		# oci-run refuses it with the other characters systemd would escape
		if ! guest_oci_run && [[ "$(vm_get path-$i)" == *'\'* ]]; then
			continue
		fi
		vm_cmd create-$i
		if [ "$status" -eq 0 ]; then
			echo "cgroupsPath '$(vm_get path-$i)' was accepted" >&2
			return 1
		fi
		if guest_oci_run; then
			assert_one_line_error oci-run
			# refused by oci-run itself, before asking systemd
			[[ "$output" != *"systemd unit '"* ]] || { echo "$(vm_get path-$i): $output" >&2; false; }
		fi
	done
	vm_is units-after ""
	# nothing made at the top of the tree
	! grep -qx evil <<<"$(vm_get top-after)" || false
	! grep -q '^x\.slice$' <<<"$(vm_get top-after)" || false
}

@test "a state naming another scope: delete --force neither stops it nor kills its process" {
	guest_oci_run || skip "oci-run's state files"
	vm_test sd-tamper
	vm_cmd run
	assert_success
	vm_is victim-active active
	vm_is victim-procs 1
	# the container's own scope is gone, the victim's is untouched
	units=$(vm_get units-after)
	[[ "$units" == "victim.scope "*" active running"* ]] || { echo "$units" >&2; false; }
	[ "$(printf '%s\n' "$units" | wc -l)" -eq 1 ]
}

@test "examples/systemd: both units start the container and stop it at once under systemd" {
	guest_oci_run || skip "the examples run oci-run"
	vm_test sd-examples
	for u in mycontainer mycontainer-foreground; do
		vm_cmd start-$u
		assert_success
		vm_is active-$u active
		vm_is state-$u running
		vm_is after-$u inactive
		vm_is list-$u ""
		# stopped by the container's own exit, not by systemd's timeout (15 s) and SIGKILL
		# (the emulated guest takes a few seconds for the runtime calls of ExecStop/Post)
		secs=$(vm_get stop-secs-$u)
		[ "$secs" -lt 15 ] || { echo "$u took ${secs}s to stop" >&2; false; }
		vm_is result-$u success
	done
	# Type=forking: systemd supervises the container's init from the pid file
	[ "$(vm_get mainpid-mycontainer)" = "$(vm_get cpid-mycontainer)" ]
}

@test "a Type=notify unit running oci-run run: systemctl start returns once the container said READY=1" {
	guest_oci_run || skip "the unit runs oci-run"
	vm_test sd-notify
	vm_cmd start
	assert_success
	# start waited for the container's READY=1, sent 2 s after it started
	[ "$(vm_get notifying)" = /srv/containers/notifyc/rootfs/tmp/notifying ]
	vm_is active active
	# MAINPID is the runtime's (the relay's), the process systemd started
	vm_is mainpid-cmdline "/mnt/host/bin/oci-run run notifyc "
	# the container's STATUS= went nowhere
	vm_is status-text ""
	vm_cmd stop
	assert_success
	vm_is after inactive
	vm_is result success
}
