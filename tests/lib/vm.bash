# Bats side of the qemu guest (tests/lib/vm/vm.sh): one boot per bats file in setup_file
# runs the file's guest script; each test then asserts on what its block recorded.
#
#   setup_file() { vm_setup_file "$BATS_TEST_DIRNAME/80-cgroupv2.guest.sh" [MORE.guest.sh...]; }
#   @test "..." { vm_test purev2; [ "$(vm_get self-cgroup)" = "0::/" ]; }
#
# The guest's runtime is oci-run, or runc when RUNTIME names runc (both are in the guest).

# VM_SH: 01-harness.bats puts a guest that does not boot in its place.
VM_SH=${VM_SH:-$TOP/tests/lib/vm/vm.sh}
# The whole guest stage is meant to take well under this (80-cgroupv2's ~30 blocks take 2-3
# minutes of TCG on an idle 2-core machine, several times that on a loaded one); a hung boot is
# retried once.
VM_TIMEOUT=${VM_TIMEOUT:-600}

# VM_RUN=run-systemd boots the systemd profile (vm.sh run-systemd) instead.
vm_setup_file() {
	local script=$1 why f
	shift
	VM_SHARE=$BATS_FILE_TMPDIR/vm
	export VM_SHARE
	mkdir -p "$VM_SHARE"
	if ! why=$("$VM_SH" check); then
		echo "$why" >"$VM_SHARE/skip"
		return 0
	fi
	cp "$TOP/tests/lib/vm/guest-lib.sh" "$VM_SHARE/guest-lib.sh"
	cp "$script" "$VM_SHARE/test.sh"
	# further guest scripts the first one sources (by their own names)
	for f in "$@"; do
		cp "$f" "$VM_SHARE/$(basename "$f")"
	done
	local rt=oci-run
	[ "$(basename "$RUNTIME")" = runc ] && rt=runc
	# exported: stage2 sources the file and runs the script as its child
	echo "export RUNTIME=$rt" >"$VM_SHARE/env"
	"$VM_SH" "${VM_RUN:-run}" "$VM_SHARE" "$VM_TIMEOUT" 2>"$VM_SHARE/vm.err" || touch "$VM_SHARE/failed"
	sed 's/^/# /' "$VM_SHARE/vm.err" >&3
	# the guest's log (each block's start in guest uptime) beside the file's TAP log (the run's
	# directory, tests/run.sh), to see where a guest's time goes after the file's temporary
	# directory is gone
	cp "$VM_SHARE/out/guest.log" "${OCI_TEST_LOGS:-$TOP/tests/tmp}/$(basename "$BATS_TEST_FILENAME" .bats).guest.log" 2>/dev/null || true
}

# vm_test NAME: the guest block NAME must have run; $VM_T is its directory.
vm_test() {
	[ -f "$VM_SHARE/skip" ] && skip "$(cat "$VM_SHARE/skip")"
	if [ -f "$VM_SHARE/failed" ]; then
		echo "the guest did not run its script:" >&2
		cat "$VM_SHARE/vm.err" >&2
		tail -20 "$VM_SHARE/out/console.log" >&2 2>/dev/null
		return 1
	fi
	VM_T=$VM_SHARE/out/$1
	if [ ! -d "$VM_T" ]; then
		echo "the guest recorded nothing for '$1'; end of its log:" >&2
		tail -20 "$VM_SHARE/out/guest.log" >&2
		return 1
	fi
}

# vm_get KEY: what the block recorded under KEY (fails when it recorded nothing).
vm_get() {
	if [ ! -f "$VM_T/$1" ]; then
		echo "the guest recorded no '$1' in $(basename "$VM_T")" >&2
		return 1
	fi
	cat "$VM_T/$1"
}

# vm_cmd KEY: $status and $output of the command recorded with `rec KEY`, as bats' run sets.
vm_cmd() {
	output=$(vm_get "$1") || return 1
	status=$(vm_get "$1.rc") || return 1
	mapfile -t lines <<<"$output"
}

# vm_is KEY VALUE: the recorded KEY is exactly VALUE.
vm_is() {
	local v
	v=$(vm_get "$1") || return 1
	if [ "$v" != "$2" ]; then
		echo "$(basename "$VM_T")/$1: expected '$2', got '$v'" >&2
		return 1
	fi
}
