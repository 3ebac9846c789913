#!/usr/bin/env bats
# AppArmor and SELinux fields on a host where neither LSM is enabled (this CI machine): a
# profile or label the host cannot apply is refused in one line before anything is created,
# never run unconfined; exec --apparmor / --process-label the same; hostile rootfs and mounts
# that would redirect the runtime's /proc/<tid>/attr writes. The same fields applied for real
# (a profile loaded with apparmor_parser, a denied write, exec --apparmor, the attacks) are
# tested in the qemu guest, whose Debian kernel has AppArmor: the lsm-* blocks of
# 80-cgroupv2.guest.sh. RUNTIME=runc runs these too (runc 1.1.5 refuses them as well, in its
# own words).
#
# SELinux for real (the "selinux:" tests): this file boots its own qemu guest once
# (tests/lib/vm/vm.sh), Debian's kernel with security=selinux, which loads and enforces the
# policy of tests/lib/vm/selinux/policy.conf (compiled here by build.sh with checkpolicy) and
# runs tests/lib/vm/selinux/guest.sh; each test asserts on its se-* block: selinuxLabel on the
# init, its keyring and exec, exec --process-label, mountLabel on the tmpfs/devpts/mqueue
# mounts, a denied write, unknown labels, the /proc decoys. RUNTIME=runc runs the guest with
# runc 1.1.5.

load ../lib/common
load 40-run-lib
load ../lib/vm

CT=system_u:system_r:container_t:s0:c1,c2
CT_EXEC=system_u:system_r:container_t:s0:c3
MNT=system_u:object_r:container_file_t:s0:c1,c2

setup_file() {
	local why
	mkdir -p "$BATS_FILE_TMPDIR/vm"
	if ! why=$("$TOP/tests/lib/vm/selinux/build.sh" "$BATS_FILE_TMPDIR/selinux-policy" 2>&1); then
		echo "${why:-checkpolicy failed}" >"$BATS_FILE_TMPDIR/vm/skip"
		return 0
	fi
	export VM_APPEND="security=selinux selinux=1"
	vm_setup_file "$TOP/tests/lib/vm/selinux/guest.sh" "$BATS_FILE_TMPDIR/selinux-policy"
}

# guest_oci_run: the guest ran oci-run (its messages are checked only then).
guest_oci_run() {
	[ "$(basename "$RUNTIME")" != runc ]
}

setup() {
	require_root
	setup_bundle
}

teardown() {
	cleanup_containers
}

apparmor_off() {
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ] ||
		skip "AppArmor is enabled on this host (the guest tests cover it)"
}

selinux_off() {
	[ "$(stat -f -c %t /sys/fs/selinux 2>/dev/null)" != f97cff8c ] ||
		skip "SELinux is enabled on this host"
}

# run_rt ARGS...: the runtime bounded, output captured by bats' run.
run_rt() {
	run timeout -k 5 60 "$RUNTIME" --root "$ROOT" "$@"
}

# nothing_left: no container, state or cgroup was left by a refused create.
nothing_left() {
	run_rt list -q
	assert_success
	[ -z "$output" ]
	[ -z "$(ls -A "$ROOT" 2>/dev/null | grep -v '^\.')" ] || [ ! -d "$ROOT/$CID" ]
	! ls -d /sys/fs/cgroup/*/"$CID" /sys/fs/cgroup/"$CID" /sys/fs/cgroup/*/oci-run/"$CID" 2>/dev/null | grep -q . || false
}

@test "apparmorProfile without AppArmor on the host: one line, non-zero, nothing created" {
	apparmor_off
	edit_config '.process.apparmorProfile = "oci-test-profile" | .process.args = ["sh", "-c", "echo RAN"]'
	run_rt run -b "$B" "$CID"
	assert_failure
	[[ "$output" != *RAN* ]]
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "process.apparmorProfile 'oci-test-profile': AppArmor is not enabled on this host"
	else
		[[ "${output,,}" == *apparmor* ]]
	fi
	nothing_left
}

@test "selinuxLabel without SELinux on the host: runc's error, non-zero, nothing created" {
	selinux_off
	edit_config '.process.selinuxLabel = "system_u:system_r:container_t:s0:c1,c2" | .process.args = ["sh", "-c", "echo RAN"]'
	run_rt run -b "$B" "$CID"
	assert_failure
	[[ "$output" != *RAN* ]]
	# crun 1.8 refuses with its own words: write to `/proc/self/attr/keycreate`: Invalid argument
	is_crun || assert_output_contains "selinux label is specified in config, but selinux is disabled or not supported"
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "process.selinuxLabel 'system_u:system_r:container_t:s0:c1,c2'"
	fi
	nothing_left
}

@test "mountLabel without SELinux on the host: refused (runc fails mounting with context=)" {
	peer_is crun "drops a mountLabel when SELinux is off and runs the container"
	selinux_off
	edit_config '.linux.mountLabel = "system_u:object_r:container_file_t:s0" | .process.args = ["sh", "-c", "echo RAN"]'
	run_rt run -b "$B" "$CID"
	assert_failure
	[[ "$output" != *RAN* ]]
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "linux.mountLabel 'system_u:object_r:container_file_t:s0': selinux label is specified in config, but selinux is disabled"
	fi
	nothing_left
}

@test "exec --apparmor and --process-label without the LSM: refused, the container runs on" {
	peer_is crun "runs exec --apparmor and --process-label unconfined when the LSM is off"
	apparmor_off
	selinux_off
	set_args sleep 100
	rt_create "$CID"
	run_rt start "$CID"
	assert_success
	run_rt exec --apparmor oci-test-profile "$CID" sh -c 'echo RAN'
	assert_failure
	[[ "$output" != *RAN* ]]
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "process.apparmorProfile 'oci-test-profile': AppArmor is not enabled on this host"
	fi
	run_rt exec --process-label system_u:system_r:container_t:s0 "$CID" sh -c 'echo RAN'
	assert_failure
	[[ "$output" != *RAN* ]]
	assert_output_contains "selinux label is specified in config, but selinux is disabled or not supported"
	# also over a --process file, which names no profile itself
	jq '.process | .args = ["sh", "-c", "echo RAN"]' "$B/config.json" >"$BATS_TEST_TMPDIR/p.json"
	if is_oci_run; then
		run_rt exec --apparmor oci-test-profile -p "$BATS_TEST_TMPDIR/p.json" "$CID"
		assert_failure
		[[ "$output" != *RAN* ]]
		assert_output_contains "AppArmor is not enabled on this host"
	fi
	# and the container's own profile field reaches exec: a process file that sets one
	jq '.process | .args = ["sh", "-c", "echo RAN"] | .apparmorProfile = "oci-test-profile"' \
		"$B/config.json" >"$BATS_TEST_TMPDIR/p2.json"
	run_rt exec -p "$BATS_TEST_TMPDIR/p2.json" "$CID"
	assert_failure
	[[ "$output" != *RAN* ]]
	run_rt exec "$CID" sh -c 'echo RAN'
	assert_success
	[ "$output" = RAN ]
	[ "$(rt_state_field "$CID" status)" = running ]
}

@test "a profile or label holding a newline or a quote is refused, naming the field" {
	is_oci_run || skip_peer "oci-run's validation"
	edit_config '.process.apparmorProfile = "p\nchangeprofile unconfined"'
	run_rt run -b "$B" "$CID"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "process.apparmorProfile: a label must not hold a quote or a control character"
	edit_config 'del(.process.apparmorProfile) | .linux.mountLabel = "a\",uid=0"'
	run_rt run -b "$B" "$CID"
	assert_failure
	assert_output_contains "linux.mountLabel: a label must not hold a quote or a control character"
	nothing_left
}

@test "attack: a rootfs whose /proc is a symlink to a decoy attr tree is not written through" {
	apparmor_off
	setup_bundle private
	# no procfs of the container's own: its /proc leads to files that look like attr files
	mkdir -p "$B/rootfs/decoy"
	rmdir "$B/rootfs/proc"
	ln -s /decoy "$B/rootfs/proc"
	for d in thread-self self 1 1/task/1; do
		mkdir -p "$B/rootfs/decoy/$d/attr/apparmor"
		: >"$B/rootfs/decoy/$d/attr/apparmor/exec"
		: >"$B/rootfs/decoy/$d/attr/exec"
	done
	# a writable root: nothing but the runtime keeps a write off the decoys
	edit_config '.root.readonly = false | del(.mounts[] | select(.destination == "/proc")) | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
	edit_config '.process.apparmorProfile = "oci-test-profile" | .process.args = ["sh", "-c", "echo RAN"]'
	run_rt run -b "$B" "$CID"
	# never run unconfined: the write did not "succeed" into a decoy
	assert_failure
	[[ "$output" != *RAN* ]]
	[ -z "$(find "$B/rootfs/decoy" -type f -size +0)" ]
	nothing_left
}

@test "attack: a bind mount over /proc/self/attr is refused, nothing written to its source" {
	peer_is crun "lets a mount land inside /proc (runc and oci-run refuse it)"
	mkdir -p "$BATS_TEST_TMPDIR/fakeattr/apparmor"
	: >"$BATS_TEST_TMPDIR/fakeattr/exec"
	: >"$BATS_TEST_TMPDIR/fakeattr/apparmor/exec"
	edit_config ".mounts += [{\"destination\": \"/proc/self/attr\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/fakeattr\", \"options\": [\"bind\"]}]"
	edit_config '.process.args = ["sh", "-c", "echo RAN"]'
	run_rt run -b "$B" "$CID"
	assert_failure
	[[ "$output" != *RAN* ]]
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "the destination is inside /proc"
	fi
	[ -z "$(find "$BATS_TEST_TMPDIR/fakeattr" -type f -size +0)" ]
}

@test "features: linux.apparmor.enabled and linux.selinux.enabled are true (oci-run applies both)" {
	is_oci_run || skip_peer "oci-run's features"
	run "$OCI_RUN" features
	assert_success
	[ "$(jq -r '.linux.apparmor.enabled' <<<"$output")" = true ]
	[ "$(jq -r '.linux.selinux.enabled' <<<"$output")" = true ]
}

# ---- SELinux for real: the se-* blocks of tests/lib/vm/selinux/guest.sh ----

@test "selinux: the guest's kernel runs SELinux (no AppArmor) and enforces the test policy" {
	vm_test se-load
	[[ ",$(vm_get lsm)," == *,selinux,* ]]
	[[ ",$(vm_get lsm)," != *,apparmor,* ]]
	vm_cmd load
	assert_success
	vm_is enforce 1
	vm_is self "system_u:system_r:host_t:s0-s0:c0.c3"
	vm_is secret "system_u:object_r:secret_t:s0 host"
}

@test "selinux: with no policy loaded yet a label is refused in one line (the kernel would apply none)" {
	vm_test se-load
	vm_cmd nopolicy
	assert_failure
	[[ "$output" != *RAN* ]]
	assert_output_contains "selinux label is specified in config, but selinux is disabled or not supported"
	if guest_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "process.selinuxLabel '$CT'"
	fi
}

@test "selinux: process.selinuxLabel labels the container's init and its session keyring" {
	vm_test se-run
	vm_cmd run
	assert_success
	vm_is init "$CT"
	vm_is keyring "$CT"
}

@test "selinux: exec inherits the label, exec --process-label gives another" {
	vm_test se-run
	vm_cmd exec-inherit
	assert_success
	[ "${lines[0]}" = "$CT" ]
	vm_cmd exec-label
	assert_success
	[ "${lines[0]}" = "$CT_EXEC" ]
	vm_cmd exec-host
	assert_success
	[ "${lines[0]}" = system_u:system_r:host_t:s0 ]
}

@test "selinux: the label confines: container_t cannot write a secret_t file that host_t can" {
	vm_test se-run
	vm_cmd exec-inherit
	assert_output_contains "can't create /secret/f: Permission denied"
	assert_output_contains "secret=1"
	# reading is allowed, and the file is the host's still
	[ "${lines[-1]}" = host ]
	vm_cmd exec-label
	assert_output_contains "secret=1"
	# the same write under the host's label, in the same container, succeeds
	vm_cmd exec-host
	assert_output_contains "secret=0"
	vm_is secret-after container
}

@test "selinux: linux.mountLabel labels the container's tmpfs, /dev, devpts and mqueue, not its rootfs" {
	vm_test se-run
	vm_cmd exec-inherit
	assert_output_contains "tmp=0"
	vm_is tmp "$MNT"
	vm_is dev "$MNT"
	vm_is pts "$MNT"
	vm_is mqueue "$MNT"
	vm_is rootfs system_u:object_r:file_t:s0
}

@test "selinux: linux.mountLabel leaves the host's mqueue label alone when the container shares the host's IPC namespace" {
	vm_test se-mqueue
	vm_cmd run
	assert_success
	assert_output_contains RAN
	local before
	before=$(vm_get host-before)
	[[ $before == system_u:object_r:* ]]
	[ "$before" != "$MNT" ]
	if guest_oci_run; then
		vm_is host-after "$before"
	else
		# runc 1.1.5 relabels the host's mqueue root from the container's config
		vm_is host-after "$MNT"
	fi
}

@test "selinux: a label the policy does not know fails create or exec in one line, nothing left" {
	vm_test se-invalid
	vm_cmd run
	assert_failure
	[[ "$output" != *RAN* ]]
	vm_cmd run-mount
	assert_failure
	[[ "$output" != *RAN* ]]
	vm_cmd exec
	assert_failure
	[[ "$output" != *RAN* ]]
	if guest_oci_run; then
		vm_cmd run
		assert_one_line_error oci-run
		assert_output_contains "process.selinuxLabel 'system_u:system_r:nosuch_t:s0': not a valid label in the loaded SELinux policy"
		vm_cmd run-mount
		assert_one_line_error oci-run
		assert_output_contains "linux.mountLabel 'system_u:object_r:nosuch_t:s0': not a valid label in the loaded SELinux policy"
		vm_cmd exec
		assert_one_line_error oci-run
		assert_output_contains "process.selinuxLabel 'system_u:system_r:nosuch_t:s0': not a valid label"
	else
		# runc 1.1.5 finds out when it applies the label, in its init
		vm_cmd run
		assert_output_contains "write /proc/self/attr/keycreate: invalid argument"
		vm_cmd run-mount
		assert_output_contains 'context=\"system_u:object_r:nosuch_t:s0\": invalid argument'
	fi
	vm_cmd list
	assert_success
	[ -z "$output" ]
	vm_cmd list-mount
	[ -z "$output" ]
	vm_is cgroup-left ""
	# a refused exec leaves the container running
	vm_is status running
}

@test "selinux attack: a rootfs /proc symlinked to decoy attr files neither redirects nor skips the label" {
	vm_test se-attack-symlink
	vm_is written ""
	vm_cmd run
	if guest_oci_run; then
		# the write went through the runtime's own procfs: the init is labelled
		assert_success
		vm_is init "$CT"
	else
		# runc refuses a /proc that is not procfs
		assert_failure
		assert_output_contains "is not on procfs"
	fi
}

@test "selinux attack: exec --process-label into a container that covered its /proc with decoys is labelled" {
	vm_test se-attack-exec
	vm_cmd run
	assert_success
	vm_is covered 1
	vm_is written ""
	vm_cmd exec
	if guest_oci_run; then
		assert_success
		vm_is exec-attr "$CT_EXEC"
	else
		# runc 1.1.5 refuses the container's /proc (not procfs)
		assert_failure
		assert_output_contains "is not on procfs"
	fi
}
