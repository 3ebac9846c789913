#!/usr/bin/env bats
# oci-run where runc's current release behaves in a way engines rely on: linux.memoryPolicy
# (set_mempolicy(2) for the container's process and exec'd ones, runc's rules for refusing a
# policy, `features`), and a cgroup namespace joined by path (podman's
# --cgroupns=container:X for pods). Runs against any runtime (RUNTIME=runc or crun); what a
# peer lacks is skipped with its reason.

load ../lib/common
load 40-run-lib

setup() {
	require_root
	setup_bundle
}

teardown() {
	cleanup_containers
	umount "$BATS_TEST_TMPDIR/src/sub" 2>/dev/null || true
}

# The runc HEAD lists (libcontainer/specconv's mpolModeMap and mpolModeFMap, sorted).
MODES='["MPOL_BIND","MPOL_DEFAULT","MPOL_INTERLEAVE","MPOL_LOCAL","MPOL_PREFERRED","MPOL_PREFERRED_MANY","MPOL_WEIGHTED_INTERLEAVE"]'
FLAGS='["MPOL_F_NUMA_BALANCING","MPOL_F_RELATIVE_NODES","MPOL_F_STATIC_NODES"]'

require_mempolicy() {
	peer_is runc "has no linux.memoryPolicy (runc 1.4 has it)"
	peer_is crun "ignores linux.memoryPolicy"
	[ -r /proc/self/numa_maps ] || skip "kernel without NUMA (no /proc/self/numa_maps)"
	[ -d /sys/devices/system/node/node0 ] || skip "no NUMA node 0"
}

# policy_is POLICY-JSON WANT: the container's process runs under the memory policy numa_maps
# shows as WANT (its first mapping has no policy of its own: the task's shows).
policy_is() {
	edit_config ".linux.memoryPolicy = $1"
	run rt run --bundle "$B" "$CID"
	assert_success
	echo "$1: $output"
	[ "$output" = "$2" ]
}

@test "linux.memoryPolicy: the policy the container's process runs under, for each mode and flag one node allows" {
	require_mempolicy
	set_args sh -c 'head -n1 /proc/self/numa_maps | cut -d" " -f2'
	policy_is '{mode: "MPOL_BIND", nodes: "0"}' bind:0
	policy_is '{mode: "MPOL_BIND", nodes: "0", flags: ["MPOL_F_STATIC_NODES"]}' bind=static:0
	policy_is '{mode: "MPOL_BIND", nodes: "0", flags: ["MPOL_F_NUMA_BALANCING"]}' bind=balancing:0
	# runc's list syntax: blanks around items, empty items; nodes the host lacks are
	# left out by the kernel when one it has is there
	policy_is '{mode: "MPOL_INTERLEAVE", nodes: " 0 ,,"}' interleave:0
	policy_is '{mode: "MPOL_BIND", nodes: "0-1023"}' bind:0
	policy_is '{mode: "MPOL_PREFERRED", nodes: "0"}' prefer:0
	policy_is '{mode: "MPOL_PREFERRED_MANY", nodes: "0"}' prefer
	policy_is '{mode: "MPOL_DEFAULT"}' default
	policy_is '{mode: "MPOL_DEFAULT", nodes: ""}' default
	policy_is '{mode: "MPOL_LOCAL"}' local
	# MPOL_PREFERRED without nodes is local allocation (the kernel says so)
	policy_is '{mode: "MPOL_PREFERRED"}' local
	policy_is '{mode: "MPOL_BIND", nodes: "0", flags: []}' bind:0
}

@test "linux.memoryPolicy: an exec'd process gets it too (runc's setns init); the init keeps it" {
	require_mempolicy
	# set before the seccomp filter goes in, so a profile denying set_mempolicy (docker's
	# does without CAP_SYS_NICE) does not stop it
	edit_config '.linux.memoryPolicy = {mode: "MPOL_PREFERRED", nodes: "0", flags: ["MPOL_F_RELATIVE_NODES"]}
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["set_mempolicy"], action: "SCMP_ACT_ERRNO"}]}'
	set_args sleep 100
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null
	run rt exec "$CID" sh -c 'head -n1 /proc/self/numa_maps | cut -d" " -f2'
	assert_success
	[ "$output" = prefer=relative:0 ]
	pid=$(rt_state_field "$CID" pid)
	[ "$(head -n1 "/proc/$pid/numa_maps" | cut -d' ' -f2)" = prefer=relative:0 ]
	# the runtime's own policy is not the container's: this shell's is unchanged
	[ "$(head -n1 /proc/self/numa_maps | cut -d' ' -f2)" = default ]
}

# create_refused MESSAGE: create fails in one line containing MESSAGE and leaves nothing. Its
# output goes through a file: an init that wrongly starts would hold a pipe of bats' run open.
create_refused() {
	status=0
	timeout -k 5 60 "$OCI_RUN" --root "$ROOT" create --bundle "$B" "$CID" </dev/null >"$BATS_TEST_TMPDIR/create.out" 2>&1 || status=$?
	output=$(cat "$BATS_TEST_TMPDIR/create.out")
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "$1"
	no_leftovers
}

# refused POLICY-JSON MESSAGE: validate and create refuse the policy, each in the one line
# MESSAGE for it; create leaves nothing.
refused() {
	edit_config ".linux.memoryPolicy = $1"
	run "$OCI_BUNDLE" validate "$B"
	assert_failure
	echo "$1: $output"
	[ "$(grep -c . <<<"$output")" = 2 ] # the problem, then the count
	assert_output_contains "$2"
	create_refused "$2"
}

@test "linux.memoryPolicy: runc's refusals and the kernel's flag rules, one line each, nothing left" {
	is_oci_run || skip_peer "compares oci-run with oci-bundle validate"
	refused '{nodes: "0"}' "linux.memoryPolicy.mode: missing"
	refused '{mode: "INTERLEAVE", nodes: "0"}' "linux.memoryPolicy.mode: unknown mode 'INTERLEAVE'"
	refused '{mode: "MPOL_PREFERRED", nodes: "0", flags: ["MPOL_F_RELATIVE_NODES", "badflag"]}' \
		"linux.memoryPolicy.flags[1]: unknown flag 'badflag'"
	refused '{mode: "MPOL_DEFAULT", nodes: "0-7"}' "linux.memoryPolicy: MPOL_DEFAULT takes no nodes"
	refused '{mode: "MPOL_LOCAL", nodes: "0"}' "linux.memoryPolicy: MPOL_LOCAL takes no nodes"
	refused '{mode: "MPOL_BIND"}' "linux.memoryPolicy: MPOL_BIND needs at least one node"
	refused '{mode: "MPOL_INTERLEAVE", nodes: ","}' "linux.memoryPolicy.nodes: no id in the list"
	# huge node numbers, and past every integer type: refused, never wrapped
	refused '{mode: "MPOL_BIND", nodes: "0-9876543210"}' "linux.memoryPolicy.nodes: '0-9876543210': 9876543210 is above 1023"
	refused '{mode: "MPOL_BIND", nodes: "18446744073709551617"}' "18446744073709551617 is above 1023"
	refused '{mode: "MPOL_BIND", nodes: "1024"}' "'1024': 1024 is above 1023"
	refused '{mode: "MPOL_BIND", nodes: "3-1"}' "linux.memoryPolicy.nodes: '3-1': a range must not go down"
	refused '{mode: "MPOL_BIND", nodes: "0-"}' "linux.memoryPolicy.nodes: '0-': not a number"
	refused '{mode: "MPOL_BIND", nodes: "-1"}' "linux.memoryPolicy.nodes: '-1': not a number"
	refused '{mode: "MPOL_BIND", nodes: "0 1"}' "linux.memoryPolicy.nodes: '0 1': not a number"
	refused '{mode: "MPOL_BIND", nodes: 0}' "linux.memoryPolicy.nodes: expected a string"
	# what every kernel refuses with EINVAL, named instead
	refused '{mode: "MPOL_BIND", nodes: "0", flags: ["MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"]}' \
		"linux.memoryPolicy: MPOL_BIND takes MPOL_F_STATIC_NODES or MPOL_F_RELATIVE_NODES, not both"
	refused '{mode: "MPOL_INTERLEAVE", nodes: "0", flags: ["MPOL_F_NUMA_BALANCING"]}' \
		"linux.memoryPolicy: MPOL_INTERLEAVE does not take MPOL_F_NUMA_BALANCING"
	refused '{mode: "MPOL_LOCAL", flags: ["MPOL_F_STATIC_NODES"]}' \
		"linux.memoryPolicy: MPOL_LOCAL takes neither MPOL_F_STATIC_NODES nor MPOL_F_RELATIVE_NODES"
	refused '{mode: "MPOL_PREFERRED", flags: ["MPOL_F_RELATIVE_NODES"]}' \
		"linux.memoryPolicy: MPOL_PREFERRED without nodes (local allocation) takes neither"
}

@test "linux.memoryPolicy: a node this host lacks is the kernel's refusal, in one line, nothing left" {
	require_mempolicy
	is_oci_run || skip_peer "checks oci-run's message"
	local n=0
	while [ -d "/sys/devices/system/node/node$n" ]; do n=$((n + 1)); done
	edit_config ".linux.memoryPolicy = {mode: \"MPOL_BIND\", nodes: \"$n\"}"
	run "$OCI_BUNDLE" validate "$B"
	assert_success
	create_refused "linux.memoryPolicy: the kernel refuses MPOL_BIND with nodes '$n'"
	assert_output_contains "Invalid argument"
	[ -z "$(rt list -q)" ]
}

@test "features: linux.memoryPolicy lists runc's modes and flags, and validation takes each" {
	require_mempolicy
	[ "$(rt features | jq -c .linux.memoryPolicy.modes)" = "$MODES" ]
	[ "$(rt features | jq -c .linux.memoryPolicy.flags)" = "$FLAGS" ]
	is_oci_run || return 0
	# runc's annotation for the libseccomp the filters are compiled with
	if command -v pkg-config >/dev/null && pkg-config --exists libseccomp; then
		[ "$(rt features | jq -r '.annotations["io.github.seccomp.libseccomp.version"]')" = "$(pkg-config --modversion libseccomp)" ]
	fi
	local m f
	for m in $(jq -r '.[]' <<<"$MODES"); do
		case $m in MPOL_DEFAULT | MPOL_LOCAL) n='""' ;; *) n='"0"' ;; esac
		edit_config ".linux.memoryPolicy = {mode: \"$m\", nodes: $n}"
		run "$OCI_BUNDLE" validate "$B"
		echo "$m: $output"
		assert_success
	done
	for f in $(jq -r '.[]' <<<"$FLAGS"); do
		edit_config ".linux.memoryPolicy = {mode: \"MPOL_BIND\", nodes: \"0\", flags: [\"$f\"]}"
		run "$OCI_BUNDLE" validate "$B"
		echo "$f: $output"
		assert_success
	done
}

# cg_limit_file: the memory limit file of a cgroup directory on this host's hierarchy.
cg_limit_file() {
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		echo memory.max
	else
		echo memory/memory.limit_in_bytes
	fi
}

@test "a cgroup namespace joined by path: /sys/fs/cgroup is the other container's cgroup, as in runc" {
	# A: its own cgroup namespace and a memory limit to recognise its cgroup by
	edit_config '.linux.namespaces += [{type: "cgroup"}] | .linux.resources.memory = {limit: 67108864}'
	set_args sleep 100
	rt run -d --bundle "$B" a-$CID </dev/null >/dev/null
	pid=$(rt_state_field "a-$CID" pid)
	# B joins A's cgroup namespace (podman --cgroupns=container:A) and has no limit of its own
	edit_config "del(.linux.resources.memory) | .linux.namespaces |= map(select(.type != \"cgroup\")) + [{type: \"cgroup\", path: \"/proc/$pid/ns/cgroup\"}]"
	set_args sh -c "cat /sys/fs/cgroup/$(cg_limit_file); grep -E '^0::|:pids:' /proc/self/cgroup | head -n1 | cut -d: -f3"
	run timeout -k 5 60 "$RUNTIME" --root "$ROOT" run --bundle "$B" "$CID" </dev/null
	assert_success
	# its cgroup filesystem is rooted at A's cgroup (the namespace's root)...
	[ "${lines[0]}" = 67108864 ]
	# ...and its own cgroup is outside that root, seen from A's namespace
	[[ "${lines[1]}" == /../* ]]
	rt delete -f "a-$CID"
}

@test "mount options runc has: nosymfollow on a bind (and rnosymfollow below it) is applied, not dropped" {
	peer_is crun "drops nosymfollow on a bind mount"
	S=$BATS_TEST_TMPDIR/src
	mkdir -p "$S/sub"
	ln -s /etc/passwd "$S/link"
	mount -t tmpfs -o size=1m tmpfs "$S/sub"
	ln -s /etc/passwd "$S/sub/link"
	set_args sh -c 'for l in /mnt/link /mnt/sub/link; do cat $l >/dev/null 2>&1 && echo "$l followed" || echo "$l refused"; done'
	edit_config ".mounts += [{destination: \"/mnt\", type: \"bind\", source: \"$S\", options: [\"rbind\", \"nosymfollow\"]}]"
	run rt run --bundle "$B" "$CID"
	assert_success
	# nosymfollow is the bind's own mount's: the submount still follows
	[ "${lines[0]}" = "/mnt/link refused" ]
	[ "${lines[1]}" = "/mnt/sub/link followed" ]
	edit_config ".mounts[-1].options = [\"rbind\", \"rnosymfollow\"]"
	run rt run --bundle "$B" "$CID"
	assert_success
	[ "${lines[0]}" = "/mnt/link refused" ]
	[ "${lines[1]}" = "/mnt/sub/link refused" ]
	# and on a filesystem of its own, with the superblock flags runc takes
	edit_config '.mounts[-1] = {destination: "/mnt", type: "tmpfs", source: "tmpfs", options: ["nosymfollow", "lazytime", "silent"]}'
	set_args sh -c 'ln -s /etc/passwd /mnt/l && cat /mnt/l >/dev/null 2>&1 && echo followed || echo refused; grep " /mnt " /proc/self/mountinfo'
	run rt run --bundle "$B" "$CID"
	assert_success
	[ "${lines[0]}" = refused ]
	assert_output_contains "lazytime"
}

@test "linux.resources fields no cgroup driver here writes (cpu.burst, cpu.idle, update's checkBeforeUpdate) are refused, not ignored" {
	is_oci_run || skip_peer "checks what oci-run refuses (runc applies them)"
	set_args sleep 100
	edit_config '.linux.resources.cpu = {burst: 1000}'
	create_refused "linux.resources.cpu.burst: not supported by oci-run"
	edit_config '.linux.resources.cpu = {idle: 1}'
	create_refused "linux.resources.cpu.idle: not supported by oci-run"
	# the kernel's defaults change nothing: accepted; a wrong type is a problem as always
	edit_config '.linux.resources.cpu = {burst: 0, idle: 0} | .linux.resources.memory = {checkBeforeUpdate: true}'
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null
	echo '{"memory": {"limit": 67108864, "checkBeforeUpdate": true}}' >"$BATS_TEST_TMPDIR/r.json"
	run rt update --resources "$BATS_TEST_TMPDIR/r.json" "$CID"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "memory.checkBeforeUpdate: not supported by oci-run"
	echo '{"cpu": {"idle": 1}}' >"$BATS_TEST_TMPDIR/r.json"
	run rt update --resources "$BATS_TEST_TMPDIR/r.json" "$CID"
	assert_failure
	assert_output_contains "cpu.idle: not supported by oci-run"
	edit_config '.linux.resources.cpu = {idle: "1"}'
	run "$OCI_BUNDLE" validate "$B"
	assert_failure
	assert_output_contains "linux.resources.cpu.idle: expected"
}

@test "linux.personality: an exec'd process gets the container's, as the init (runc's setns init)" {
	peer_is runc "has no linux.personality (runc 1.2 has it)"
	edit_config '.linux.personality = {domain: "LINUX32"}'
	set_args sleep 100
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null
	pid=$(rt_state_field "$CID" pid)
	# PER_LINUX32 is 8
	[ "$(cat "/proc/$pid/personality")" = 00000008 ]
	run rt exec "$CID" cat /proc/self/personality
	assert_success
	[ "$output" = 00000008 ]
}

# home_is WANT: the container's process (sh -c 'echo "HOME=$HOME"') prints HOME=WANT.
home_is() {
	run timeout -k 5 30 "$RUNTIME" --root "$ROOT" run --bundle "$B" "$CID" </dev/null
	assert_success
	[ "$output" = "HOME=$1" ]
}

@test "HOME: where the config sets none, the home of the process's uid in the container's /etc/passwd, '/' without an entry; create and exec alike (runc)" {
	peer_is crun "leaves HOME unset for a uid without a passwd entry and keeps an empty one (runc sets '/')"
	setup_bundle private
	edit_config '.process.env |= map(select(startswith("HOME=") | not))'
	set_args sh -c 'echo "HOME=$HOME"'
	home_is /root
	edit_config '.process.user.uid = 1000'
	home_is /home/user
	edit_config '.process.user.uid = 1234'
	home_is /
	# set but empty is replaced, as runc does; set is kept
	edit_config '.process.env += ["HOME="]'
	home_is /
	edit_config '.process.env |= map(select(startswith("HOME=") | not)) + ["HOME=/x"]'
	home_is /x
	# exec'd processes: their own uid's home, unless --env sets one
	edit_config '.process.env |= map(select(startswith("HOME=") | not)) | .process.user.uid = 0'
	set_args sleep 100
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null
	run rt exec --user 1000 "$CID" sh -c 'echo "HOME=$HOME"'
	assert_success
	[ "$output" = HOME=/home/user ]
	run rt exec "$CID" sh -c 'echo "HOME=$HOME"'
	assert_success
	[ "$output" = HOME=/root ]
	run rt exec --env HOME=/y --user 1000 "$CID" sh -c 'echo "HOME=$HOME"'
	assert_success
	[ "$output" = HOME=/y ]
}

@test "attack: HOME from a hostile /etc/passwd: a FIFO, a symlink to the host's, a huge file give '/' and never hang or read outside" {
	peer_is runc "hangs for ever reading a FIFO /etc/passwd"
	peer_is crun "hangs for ever reading a FIFO /etc/passwd"
	setup_bundle private
	edit_config '.process.env |= map(select(startswith("HOME=") | not))'
	set_args sh -c 'echo "HOME=$HOME"'
	rm "$B/rootfs/etc/passwd"
	mkfifo "$B/rootfs/etc/passwd"
	home_is /
	rm "$B/rootfs/etc/passwd"
	# the host's /etc/passwd has root's /root too: a home of its own tells them apart
	printf 'root:x:0:0:root:/host-home:/bin/sh\n' >"$BATS_TEST_TMPDIR/hostpasswd"
	ln -s "$BATS_TEST_TMPDIR/hostpasswd" "$B/rootfs/etc/passwd"
	home_is /
	rm "$B/rootfs/etc/passwd"
	# over the 4 MiB a passwd file may have
	{
		printf 'root:x:0:0:root:/huge:/bin/sh\n'
		head -c 5000000 /dev/zero | tr '\0' '#'
		echo
	} >"$B/rootfs/etc/passwd"
	home_is /
}

# ns_file TYPE: the /proc/PID/ns name of a runtime-spec namespace type.
ns_file() {
	case $1 in mount) echo mnt ;; network) echo net ;; *) echo "$1" ;; esac
}

@test "features: every namespace, hook and capability it lists works in one run, at ociVersionMax and ociVersionMin; each seccomp name it lists is taken and 1.3's it does not list is refused by name" {
	# (the other entries are checked where they are implemented: mountOptions in
	# 47-run-hardening, seccomp supportedFlags in 41-run-seccomp, cgroup in 45-run-resources,
	# apparmor/selinux in 47-run-lsm, intelRdt and mountExtensions in 45-run-spec12,
	# netDevices in 45-run-netdev, memoryPolicy and the libseccomp annotation above,
	# potentiallyUnsafeConfigAnnotations' org.systemd.property. in 83-systemd-cgroup)
	peer_is crun "has no features command"
	local f ns t hooks k caps out known
	f=$(rt features)
	ns=$(jq -c '[.linux.namespaces[] | {type: .}]' <<<"$f")
	edit_config ".ociVersion = $(jq .ociVersionMax <<<"$f") | .linux.namespaces = $ns"
	if jq -e '.linux.namespaces | index("user")' <<<"$f" >/dev/null; then
		edit_config '.linux.uidMappings = [{containerID: 0, hostID: 0, size: 65536}] | .linux.gidMappings = .linux.uidMappings'
	fi
	# every hook kind logs its name (startContainer runs in the container, after pivot_root)
	HL=$BATS_TEST_TMPDIR/hooklog
	mkdir -p "$HL" && chmod 777 "$HL"
	hooks=$(jq -c --arg l "$HL/log" '[.hooks[] | {key: ., value: [{path: "/bin/sh", args: ["sh", "-c", "echo \(.) >>" + (if . == "startContainer" then "/hooklog/log" else $l end)]}]}] | from_entries' <<<"$f")
	edit_config ".hooks = $hooks | .mounts += [{destination: \"/hooklog\", type: \"bind\", source: \"$HL\", options: [\"bind\"]}]"
	# every listed capability the runtime holds itself (a test host may lack some: none is
	# given beyond the caller's bounding set); the process gets exactly those
	known=$(capsh --decode="$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)" | cut -d= -f2 | tr , '\n')
	caps=$(jq -c --arg k "$known" '.linux.capabilities | map(select(ascii_downcase as $c | $k | split("\n") | index($c)))' <<<"$f")
	[ "$(jq length <<<"$caps")" -gt 30 ]
	edit_config ".process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps}"
	set_args sh -c 'for n in '"$(for t in $(jq -r '.linux.namespaces[]' <<<"$f"); do printf '%s ' "$(ns_file "$t")"; done)"'; do echo "ns $n $(readlink /proc/self/ns/$n)"; done; grep -E "^Cap(Eff|Bnd):" /proc/self/status'
	run rt run --bundle "$B" "$CID"
	assert_success
	out=$output
	for t in $(jq -r '.linux.namespaces[]' <<<"$f"); do
		k=$(ns_file "$t")
		grep -q "^ns $k $k:" <<<"$out"
		# its own, not the host's
		! grep -qF "ns $k $(readlink "/proc/$$/ns/$k")" <<<"$out" || false
	done
	[ "$(sort "$HL/log" | tr '\n' ' ')" = "$(jq -r '.hooks[]' <<<"$f" | sort | tr '\n' ' ')" ]
	expected=$(jq -r '.[] | ascii_downcase' <<<"$caps" | sort | tr '\n' ' ')
	for k in CapEff CapBnd; do
		[ "$(capsh --decode="$(sed -n "s/^$k:[[:space:]]*//p" <<<"$out")" | cut -d= -f2 | tr , '\n' | sort | tr '\n' ' ')" = "$expected" ]
	done
	rt delete "$CID" 2>/dev/null || true
	edit_config ".ociVersion = $(jq .ociVersionMin <<<"$f")"
	set_args true
	rt run --bundle "$B" "$CID"
	is_oci_run || return 0
	# seccomp: validation takes each listed architecture, action and operator
	local base='.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW"}'
	for k in $(jq -r '.linux.seccomp.archs[]' <<<"$f"); do
		edit_config "$base | .linux.seccomp.architectures = [\"$k\"]"
		"$OCI_BUNDLE" validate "$B"
	done
	for k in $(jq -r '.linux.seccomp.actions[]' <<<"$f"); do
		edit_config "$base | .linux.seccomp.syscalls = [{names: [\"getppid\"], action: \"$k\"}]"
		[ "$k" != SCMP_ACT_NOTIFY ] || edit_config '.linux.seccomp.listenerPath = "/run/agent.sock"'
		"$OCI_BUNDLE" validate "$B"
	done
	for k in $(jq -r '.linux.seccomp.operators[]' <<<"$f"); do
		edit_config "$base | .linux.seccomp.syscalls = [{names: [\"getppid\"], action: \"SCMP_ACT_ERRNO\", args: [{index: 0, value: 1, valueTwo: 1, op: \"$k\"}]}]"
		"$OCI_BUNDLE" validate "$B"
	done
	# runtime-spec 1.3's architectures (libseccomp 2.6's) that are not listed: refused by name
	for k in SCMP_ARCH_LOONGARCH64 SCMP_ARCH_M68K SCMP_ARCH_SH SCMP_ARCH_SHEB; do
		jq -e --arg k "$k" '.linux.seccomp.archs | index($k)' <<<"$f" >/dev/null && continue
		edit_config "$base | .linux.seccomp.architectures = [\"$k\"]"
		run "$OCI_BUNDLE" validate "$B"
		assert_failure
		assert_output_contains "linux.seccomp.architectures[0]: '$k' is not supported by the libseccomp"
		run rt run --bundle "$B" "$CID"
		assert_failure
		assert_one_line_error oci-run
		assert_output_contains "'$k' is not supported by the libseccomp"
	done
}
