#!/usr/bin/env bats
# oci-run on the config fields runc and crun accept beyond the basic set: a container without
# a mount namespace, every rootfsPropagation value, runtime-spec 1.2's fields (idmapped
# mounts, process.scheduler, ioPriority, execCPUAffinity, domainname, netDevices, intelRdt,
# personality flags), a read-only /dev and bind sources only the host's root can reach.
# Runs against any runtime (RUNTIME=runc); what runc 1.1 lacks is skipped with its reason.

load ../lib/common
load 40-run-lib

setup() {
	require_root
	setup_bundle
}

teardown() {
	cleanup_containers
}

# root_propagation: the propagation fields of the root's line in the container's mountinfo
# (shared:N -> shared, master:N -> master, unbindable), or "private", from a runtime run in a
# mount namespace whose / is shared (so that a slave has a master to follow).
root_propagation() {
	set_args sh -c 'awk "\$5 == \"/\" { for (i = 7; \$i != \"-\"; i++) { sub(/:.*/, \"\", \$i); print \$i } }" /proc/self/mountinfo | sort | tr "\n" " "; echo'
	run unshare -m --propagation shared "$RUNTIME" --root "$ROOT" run --bundle "$B" "$CID"
	assert_success
	out=${output% }
	echo "${out:-private}"
}

@test "no mount namespace: the rootfs is entered by chroot in the runtime's mount namespace, as runc" {
	setup_bundle private
	edit_config '.linux.namespaces |= map(select(.type != "mount")) | .mounts = []
		| del(.linux.maskedPaths) | del(.linux.readonlyPaths) | .root.readonly = false'
	set_args sleep 100
	# In a throw-away mount namespace (runc makes / a slave in its own namespace even
	# without one of the container's), where the caller mounts what the container needs
	# (runc's init reads /proc/self/fd).
	run unshare -m --propagation unchanged sh -c '
		mount -t proc proc "$B/rootfs/proc" || exit 1
		grep -c . /proc/self/mountinfo
		'"$RUNTIME"' --root "$ROOT" run -d --bundle "$B" "$CID" </dev/null >/dev/null || exit 1
		pid=$('"$RUNTIME"' --root "$ROOT" state "$CID" | jq -r .pid)
		readlink /proc/self/ns/mnt; readlink /proc/$pid/ns/mnt; readlink /proc/$pid/root
		grep -c . /proc/self/mountinfo
		'"$RUNTIME"' --root "$ROOT" kill "$CID" KILL
		sleep 0.3
		'"$RUNTIME"' --root "$ROOT" delete "$CID" && echo deleted'
	assert_success
	# the runtime's own namespace, the rootfs as root
	[ "${lines[1]}" = "${lines[2]}" ]
	[ "${lines[3]}" = "$B/rootfs" ]
	# nothing was mounted for it (runc leaves its bind of the rootfs onto itself there)
	is_oci_run && [ "${lines[0]}" != "${lines[4]}" ] && return 1
	# kill and delete reach it (it is not taken for a host process)
	[ "${lines[5]}" = deleted ]
	[ -z "$(rt list -q)" ]
}

@test "no mount namespace: a mount or a masked path is refused in one line (it would be the host's)" {
	is_oci_run || skip "runc makes the mounts in the host's mount namespace"
	edit_config '.linux.namespaces |= map(select(.type != "mount"))'
	run rt run --bundle "$B" "$CID"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "mounts: needs a mount namespace"
	edit_config '.mounts = [] | .linux.readonlyPaths = []'
	run rt run --bundle "$B" "$CID"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "linux.maskedPaths: needs a mount namespace"
	[ -z "$(rt list -q)" ]
}

@test "rootfsPropagation: every value gives the root mount the propagation runc gives it" {
	# what the root of the container shows for each value (runc 1.1.5's result)
	local v values="private rprivate slave rslave shared rshared unbindable runbindable"
	# runc 1.1.5 never applies shared after pivot_root and fails unbindable with EINVAL
	# (both fixed in runc 1.2, whose result is the one checked here)
	is_oci_run || values="private rprivate slave rslave"
	for v in $values; do
		edit_config ".linux.rootfsPropagation = \"$v\""
		got=$(root_propagation)
		case $v in
		*private) want=private ;;
		*slave) want=master ;;
		*shared) want="master shared" ;; # made a slave first, as runc
		*unbindable) want=unbindable ;;
		esac
		echo "$v: $got (want $want)"
		[ "$got" = "$want" ]
	done
	edit_config '.linux.rootfsPropagation = "bogus"'
	run rt run --bundle "$B" "$CID"
	assert_failure
	is_oci_run || return 0
	assert_one_line_error oci-run
	assert_output_contains "linux.rootfsPropagation"
}
