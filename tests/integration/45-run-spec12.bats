#!/usr/bin/env bats
# oci-run on the config fields runc and crun accept beyond the basic set: a container without
# a mount namespace, every rootfsPropagation value, runtime-spec 1.2's fields (idmapped
# mounts, process.scheduler, ioPriority, execCPUAffinity, domainname, intelRdt,
# personality flags), a read-only /dev and bind sources only the host's root can reach.
# Runs against any runtime (RUNTIME=runc or crun); what a peer lacks is skipped with its reason.

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
		grep -cF "$B/" /proc/self/mountinfo
		'"$RUNTIME"' --root "$ROOT" run -d --bundle "$B" "$CID" </dev/null >/dev/null || exit 1
		pid=$('"$RUNTIME"' --root "$ROOT" state "$CID" | jq -r .pid)
		readlink /proc/self/ns/mnt; readlink /proc/$pid/ns/mnt; readlink /proc/$pid/root
		grep -cF "$B/" /proc/self/mountinfo
		'"$RUNTIME"' --root "$ROOT" kill "$CID" KILL
		sleep 0.3
		'"$RUNTIME"' --root "$ROOT" delete "$CID" && echo deleted'
	assert_success
	# the runtime's own namespace, the rootfs as root
	[ "${lines[1]}" = "${lines[2]}" ]
	[ "${lines[3]}" = "$B/rootfs" ]
	# nothing was mounted for it (runc leaves its bind of the rootfs onto itself there); only
	# the mounts below the bundle count: the namespace receives the host's shared mounts, which
	# the files running beside this one make and remove (ip netns add, containers)
	is_oci_run && [ "${lines[0]}" != "${lines[4]}" ] && return 1
	# kill and delete reach it (it is not taken for a host process)
	[ "${lines[5]}" = deleted ]
	[ -z "$(rt list -q)" ]
}

@test "no mount namespace: a mount or a masked path is refused in one line (it would be the host's)" {
	peer_is runc "makes the mounts in the host's mount namespace"
	peer_is crun "makes the mounts in the host's mount namespace (and leaves them there)"
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

@test "no mount namespace: a process that may chroot or mount is refused (the chroot escape reads the host)" {
	peer_is runc "runs it, and the process leaves the rootfs"
	require_cmd cc
	setup_bundle private
	# the classic escape: chroot into a subdirectory, climb out with the old cwd, chroot there
	cat >"$BATS_TEST_TMPDIR/brk.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY);
	mkdir("/brk", 0755);
	if (argc < 2 || chroot("/brk") < 0 || fchdir(fd) < 0)
		return 1;
	for (int i = 0; i < 64; i++)
		if (chdir("..") < 0)
			return 1;
	if (chroot(".") < 0)
		return 1;
	FILE *f = fopen(argv[1], "r");
	char b[64] = "";
	if (f && fgets(b, sizeof(b), f))
		printf("ESCAPED: %s", b);
	return 0;
}
EOF
	cc -static -O2 -o "$B/rootfs/brk" "$BATS_TEST_TMPDIR/brk.c"
	echo host-secret >"$BATS_TEST_TMPDIR/marker"
	edit_config '.linux.namespaces |= map(select(.type != "mount")) | .mounts = []
		| del(.linux.maskedPaths) | del(.linux.readonlyPaths) | .root.readonly = false'
	set_args /brk "$BATS_TEST_TMPDIR/marker"
	for cap in CAP_SYS_CHROOT CAP_SYS_ADMIN; do
		edit_config '.process.capabilities |= with_entries(.value = ["'$cap'"])'
		run unshare -m --propagation unchanged "$RUNTIME" --root "$ROOT" run --bundle "$B" "$CID"
		assert_failure
		[[ "$output" != *ESCAPED* ]]
		[ -z "$(rt list -q)" ]
		# crun 1.8.1 runs it (no refusal), but the escape fails there: brk's own exit 1
		if is_crun; then
			[ -z "$output" ]
			continue
		fi
		assert_one_line_error oci-run
		assert_output_contains "$cap lets the process leave a root"
	done
}

@test "rootfsPropagation: every value gives the root mount the propagation runc gives it" {
	# what the root of the container shows for each value (runc 1.1.5's result)
	local v values="private rprivate slave rslave shared rshared unbindable runbindable"
	# runc 1.1.5 never applies shared after pivot_root and fails unbindable with EINVAL
	# (both fixed in runc 1.2, whose result is the one checked here)
	is_oci_run || values="private rprivate slave rslave"
	# crun 1.8.1 leaves the root private for slave and rslave (checked at the end)
	is_crun && values="private rprivate"
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
	peer_is crun "gives the root private propagation for rootfsPropagation slave and rslave (runc: master), and runs with the value 'bogus'"
	edit_config '.linux.rootfsPropagation = "bogus"'
	run rt run --bundle "$B" "$CID"
	assert_failure
	is_oci_run || return 0
	assert_one_line_error oci-run
	assert_output_contains "linux.rootfsPropagation"
}

# is_refused_by_config PATH: the last run failed in one line naming PATH (oci-run only).
refused_naming() {
	assert_failure
	is_oci_run || return 0
	assert_one_line_error oci-run
	assert_output_contains "$1"
	[ -z "$(rt list -q)" ]
}

@test "process.scheduler: the policy, nice and flags the container process runs with; runc's rules" {
	peer_is runc "has no process.scheduler (added in runc 1.2)"
	peer_is crun "ignores process.scheduler (the process runs with nice 0, SCHED_OTHER)"
	# /proc/self/stat: field 19 is nice, 41 the policy
	set_args sh -c 'cut -d" " -f19,41 /proc/self/stat'
	edit_config '.process.scheduler = {policy: "SCHED_BATCH", nice: 7}'
	run rt run --bundle "$B" "$CID"
	assert_success
	[ "$output" = "7 3" ]
	edit_config '.process.scheduler = {policy: "SCHED_IDLE", flags: ["SCHED_FLAG_RESET_ON_FORK"]}'
	set_args sleep 100
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null
	run chrt -p "$(rt_state_field "$CID" pid)"
	rt delete -f "$CID"
	assert_output_contains "scheduling policy: SCHED_IDLE|SCHED_RESET_ON_FORK"
	# what runc refuses
	edit_config '.process.scheduler = {policy: "SCHED_OTHER", priority: 10}'
	run rt run --bundle "$B" "$CID"
	refused_naming "process.scheduler.priority: only SCHED_FIFO and SCHED_RR take a priority"
	edit_config '.process.scheduler = {policy: "SCHED_OTHER", nice: 20}'
	run rt run --bundle "$B" "$CID"
	refused_naming "process.scheduler.nice: 20 is not between -20 and 19"
	edit_config '.process.scheduler = {policy: "SCHED_BOGUS"}'
	run rt run --bundle "$B" "$CID"
	refused_naming "process.scheduler.policy: unknown policy 'SCHED_BOGUS'"
	edit_config '.process.scheduler = {policy: "SCHED_BATCH", runtime: 1000}'
	run rt run --bundle "$B" "$CID"
	refused_naming "process.scheduler: runtime, deadline and period are for SCHED_DEADLINE only"
	# a policy the kernel refuses (SCHED_DEADLINE with no runtime): one line, nothing left
	edit_config '.process.scheduler = {policy: "SCHED_DEADLINE"}'
	run rt run --bundle "$B" "$CID"
	refused_naming "process.scheduler: the kernel refuses policy 6"
}

@test "process.ioPriority: the class and level ionice reads of the container process" {
	peer_is runc "has no process.ioPriority (added in runc 1.2)"
	peer_is crun "ignores process.ioPriority (ionice: none: prio 0)"
	require_cmd ionice
	set_args sleep 100
	local spec want
	for spec in "IOPRIO_CLASS_BE 5|best-effort: prio 5" "IOPRIO_CLASS_RT 2|realtime: prio 2" "IOPRIO_CLASS_IDLE 0|idle"; do
		want=${spec#*|}
		set -- ${spec%|*}
		edit_config ".process.ioPriority = {class: \"$1\", priority: $2}"
		rt run -d --bundle "$B" "$CID" </dev/null >/dev/null
		pid=$(rt_state_field "$CID" pid)
		got=$(ionice -p "$pid")
		rt delete -f "$CID"
		echo "$1 $2: $got"
		[ "$got" = "$want" ]
	done
	edit_config '.process.ioPriority = {class: "IOPRIO_CLASS_BE", priority: 8}'
	run rt run --bundle "$B" "$CID"
	refused_naming "process.ioPriority.priority: 8 is not between 0 and 7"
	edit_config '.process.ioPriority = {class: "BE", priority: 1}'
	run rt run --bundle "$B" "$CID"
	refused_naming "process.ioPriority.class: unknown class 'BE'"
}

@test "domainname: set in the container's uts namespace; refused without one, as runc" {
	peer_is runc "ignores domainname (applied from runc 1.2)"
	edit_config '.domainname = "example.test" | .hostname = "box"'
	set_args sh -c 'hostname; domainname 2>/dev/null || cat /proc/sys/kernel/domainname'
	run rt run --bundle "$B" "$CID"
	assert_success
	[ "${lines[0]}" = box ]
	[ "${lines[1]}" = example.test ]
	[ "$(cat /proc/sys/kernel/domainname)" != example.test ]
	edit_config '.linux.namespaces |= map(select(.type != "uts")) | del(.hostname)'
	run rt run --bundle "$B" "$CID"
	refused_naming "domainname: setting the domainname needs a new uts namespace"
}

@test "linux.personality.flags (the runtime-spec defines none) and linux.intelRdt without resctrl are refused in one line" {
	peer_is runc "warns and ignores personality flags"
	peer_is crun "accepts linux.personality.flags ADDR_NO_RANDOMIZE, which the runtime-spec does not define"
	edit_config '.linux.personality = {domain: "LINUX", flags: ["ADDR_NO_RANDOMIZE"]}'
	run rt run --bundle "$B" "$CID"
	refused_naming "linux.personality.flags: 'ADDR_NO_RANDOMIZE': the runtime-spec defines no personality flag"
	# 1.2's fields, then runtime-spec 1.3's schemata and enableMonitoring alone
	for r in '{closID: "x", l3CacheSchema: "L3:0=ff"}' '{schemata: ["L3:0=ff"], enableMonitoring: true}'; do
		edit_config "del(.linux.personality) | .linux.intelRdt = $r"
		run rt run --bundle "$B" "$CID"
		if grep -q resctrl /proc/mounts; then
			refused_naming "linux.intelRdt: not supported by oci-run"
		else
			refused_naming "linux.intelRdt: this host has no resctrl filesystem"
		fi
	done
	[ "$(rt features | jq -c .linux.intelRdt)" = '{"enabled":false,"schemata":false,"monitoring":false}' ]
	# netDevices are implemented: 45-run-netdev.bats
}

# idmap_source: $S, a directory owned by root with a file of host uid 1000 and, mounted
# below it (sub/), a tmpfs with another file of uid 1000.
idmap_source() {
	S=$BATS_TEST_TMPDIR/src
	mkdir -p "$S/sub"
	echo top >"$S/file" && chown 1000:1000 "$S/file"
	echo root >"$S/rootfile"
	mount -t tmpfs -o size=1m tmpfs "$S/sub"
	echo sub >"$S/sub/file" && chown 1000:1000 "$S/sub/file"
}

teardown_idmap() {
	umount "$S/sub" 2>/dev/null || true
}

@test "idmapped mounts: uidMappings/gidMappings on a bind map its owners; idmap stops at submounts, ridmap does not" {
	peer_is runc "has no id-mapped mounts (added in runc 1.2)"
	is_crun || [ "$(rt features | jq .linux.mountExtensions.idmap.enabled)" = true ] # crun 1.8.1: no features
	idmap_source
	set_args sh -c 'stat -c "%u:%g" /mnt/file /mnt/sub/file /mnt/rootfile'
	# on-disk 1000 shows as 2000 in the container; root is unmapped (the overflow id)
	edit_config ".mounts += [{destination: \"/mnt\", type: \"bind\", source: \"$S\", options: [\"rbind\"],
		uidMappings: [{containerID: 1000, hostID: 2000, size: 1}], gidMappings: [{containerID: 1000, hostID: 3000, size: 1}]}]"
	run rt run --bundle "$B" "$CID"
	status_=$status; out=$output
	edit_config '.mounts[-1].options = ["rbind", "ridmap"]'
	run rt run --bundle "$B" "$CID"
	rstatus=$status; rout=$output
	teardown_idmap
	if is_crun; then
		[ "${out%%$'\n'*}" = 2000:3000 ]
		skip_peer "maps the top of an id-mapped rbind but drops its submounts (stat '/mnt/sub/file': No such file or directory)"
	fi
	status=$status_ output=$out assert_success
	# "idmap" (the default with mappings): the top mount only
	[ "$out" = "$(printf '2000:3000\n1000:1000\n65534:65534')" ]
	status=$rstatus output=$rout assert_success
	[ "$rout" = "$(printf '2000:3000\n2000:3000\n65534:65534')" ]
	# the host's view is untouched
	[ "$(stat -c %u:%g "$S/file")" = 1000:1000 ]
}

@test "idmapped mounts: what the kernel or the spec refuses is one line, nothing left behind" {
	peer_is runc "has no id-mapped mounts"
	# sysfs cannot be id-mapped
	edit_config '.mounts += [{destination: "/mnt", type: "bind", source: "/sys/kernel", options: ["rbind"],
		uidMappings: [{containerID: 0, hostID: 2000, size: 10}], gidMappings: [{containerID: 0, hostID: 2000, size: 10}]}]'
	run rt run --bundle "$B" "$CID"
	refused_naming "the kernel refuses to id-map '/sys/kernel'"
	# overlapping ranges, which the kernel would refuse: the validation names them first
	edit_config '.mounts[-1] = {destination: "/mnt", type: "bind", source: "/tmp", options: ["rbind"],
		uidMappings: [{containerID: 0, hostID: 2000, size: 10}, {containerID: 5, hostID: 3000, size: 10}], gidMappings: [{containerID: 0, hostID: 2000, size: 10}]}'
	run rt run --bundle "$B" "$CID"
	refused_naming "uidMappings[1]: its containerID range overlaps uidMappings[0]'s"
	edit_config '.mounts[-1] = {destination: "/mnt", type: "tmpfs", source: "tmpfs", options: ["idmap"], uidMappings: [{containerID: 0, hostID: 2000, size: 10}], gidMappings: [{containerID: 0, hostID: 2000, size: 10}]}'
	run rt run --bundle "$B" "$CID"
	refused_naming "only a bind mount can be id-mapped"
	edit_config '.mounts[-1] = {destination: "/mnt", type: "bind", source: "/tmp", options: ["rbind", "idmap"]}'
	run rt run --bundle "$B" "$CID"
	refused_naming "takes the container's (linux.uidMappings), and there are none"
	edit_config '.mounts[-1] = {destination: "/mnt", type: "bind", source: "/tmp", options: ["rbind"], uidMappings: [{containerID: 0, hostID: 2000, size: 10}]}'
	run rt run --bundle "$B" "$CID"
	refused_naming "needs both uidMappings and gidMappings"
}

@test "idmapped mounts: idmap without mappings takes the container's user namespace mapping" {
	peer_is runc "has no id-mapped mounts"
	peer_is crun "fails idmap without mappings in a user namespace: mkdir \`/mnt\`: Permission denied"
	idmap_source
	make_traversable "$(shared_rootfs)"
	make_traversable "$S"
	edit_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	edit_config ".mounts += [{destination: \"/mnt\", type: \"bind\", source: \"$S\", options: [\"bind\", \"idmap\"]}]"
	set_args sh -c 'stat -c "%u:%g" /mnt/file /mnt/rootfile'
	run rt run --bundle "$B" "$CID"
	s1=$status o1=$output
	# without idmap the same files are unmapped in the container's namespace
	edit_config '.mounts[-1].options = ["rbind"]'
	run rt run --bundle "$B" "$CID"
	s2=$status o2=$output
	teardown_idmap
	status=$s1 output=$o1 assert_success
	[ "$o1" = "$(printf '1000:1000\n0:0')" ]
	status=$s2 output=$o2 assert_success
	[ "$o2" = "$(printf '65534:65534\n65534:65534')" ]
}

@test "a read-only /dev: devpts and the device nodes are made before it turns read-only, as runc" {
	edit_config '(.mounts[] | select(.destination == "/dev") | .options) += ["ro"]'
	set_args sh -c 'ls -l /dev/null | cut -c1; echo x >/dev/null && echo null-ok; touch /dev/x 2>/dev/null || echo dev-ro; grep -c " /dev/pts .* devpts " /proc/self/mountinfo; test -c /dev/pts/ptmx && echo ptmx'
	run rt run --bundle "$B" "$CID"
	assert_success
	[ "$output" = "$(printf 'c\nnull-ok\ndev-ro\n1\nptmx')" ]
}

@test "process.execCPUAffinity: an exec'd process runs on final, starts on initial; the init is left alone" {
	peer_is runc "has no execCPUAffinity (added in runc 1.2)"
	peer_is crun "ignores process.execCPUAffinity"
	[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
	set_args sleep 100
	edit_config '.process.execCPUAffinity = {initial: "0", final: "1"}'
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null
	pid=$(rt_state_field "$CID" pid)
	all=$(grep Cpus_allowed_list /proc/self/status | cut -f2)
	run rt exec "$CID" grep Cpus_allowed_list /proc/self/status
	assert_success
	[ "$(cut -f2 <<<"$output")" = 1 ]
	[ "$(grep Cpus_allowed_list /proc/$pid/status | cut -f2)" = "$all" ]
	# initial alone: joining the container's cgroup gives the process the cgroup's CPUs
	# back (as runc resets them when there is no final)
	run rt exec --process <(jq '.process | .execCPUAffinity = {initial: "0"} | .args = ["grep", "Cpus_allowed_list", "/proc/self/status"]' "$B/config.json") "$CID"
	assert_success
	[ "$(cut -f2 <<<"$output")" = "$all" ]
	# initial is applied: a CPU this host does not have is the kernel's refusal, in one line
	run rt exec --process <(jq '.process | .execCPUAffinity = {initial: "4000"}' "$B/config.json") "$CID"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "process.execCPUAffinity.initial '4000': Invalid argument"
	# oci-run's own affinity is not the container's concern: unchanged
	[ "$(grep Cpus_allowed_list /proc/self/status | cut -f2)" = "$all" ]
	# runc's list syntax (blanks, empty items), read alike by validation and exec; a CPU no
	# kernel numbers is refused by validation
	run rt exec --process <(jq '.process | .execCPUAffinity = {final: " 1 ,,"} | .args = ["grep", "Cpus_allowed_list", "/proc/self/status"]' "$B/config.json") "$CID"
	assert_success
	[ "$(cut -f2 <<<"$output")" = 1 ]
	run rt exec --process <(jq '.process | .execCPUAffinity = {final: "0,8192"}' "$B/config.json") "$CID"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "process.execCPUAffinity.final: '0,8192' is not a cpu list"
	rt delete -f "$CID"
	edit_config '.process.execCPUAffinity = {final: "3-1"}'
	run rt run --bundle "$B" "$CID"
	refused_naming "process.execCPUAffinity.final: '3-1' is not a cpu list"
}
