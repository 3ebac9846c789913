#!/usr/bin/env bats
# oci-run linux.seccomp: errno rules and defaults, allowlists, argument conditions, kill and
# trap actions, flags, podman's default profile, bad profiles refused at create in one line
# with nothing left, the filter loaded with or without noNewPrivileges (startContainer hooks
# inside it), the -ENOSYS stub for syscalls newer than the profile, and SCMP_ACT_NOTIFY served
# by a seccomp agent (tests/lib/seccomp-agent.c) for run and exec.
# Runtime-agnostic: RUNTIME=runc runs the same checks against runc.

load ../lib/common
load ../lib/peers
load 40-run-lib

setup() {
	require_root
	setup_bundle
	writable_tmp
	cd "$B"
}

# A tmpfs on /tmp (the shared rootfs is read-only), writable by any user: failures there
# come from the filter.
writable_tmp() {
	edit_config '.mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777"]}]'
}

teardown() {
	cleanup_containers
	[ -z "${AGENT_PID:-}" ] || kill "$AGENT_PID" 2>/dev/null || true
	if [ -n "${PEER_DIR:-}" ]; then
		podman_cleanup
		peers_cleanup_dir
	fi
}

# in_container CMD: run `sh -c CMD` in the foreground; output and status in bats' run.
# stderr goes to stdout inside: runc relays the two through separate pipes, out of order.
in_container() {
	set_args sh -c "exec 2>&1; $1"
	run rt run "$CID" </dev/null
}

# set_seccomp JSON: linux.seccomp = JSON (a jq expression).
set_seccomp() {
	edit_config ".linux.seccomp = ($1)"
}

# start_agent [-e NAME=ERRNO]...: the seccomp agent on $SOCK, its log in $ALOG.
start_agent() {
	SOCK=$BATS_TEST_TMPDIR/agent.sock
	ALOG=$BATS_TEST_TMPDIR/agent.log
	"$OCI_BUILD/tests/lib/seccomp-agent" -s "$SOCK" -l "$ALOG" "$@" 3>&- </dev/null >/dev/null 2>&1 &
	AGENT_PID=$!
	local i
	for i in $(seq 50); do
		[ -S "$SOCK" ] && return 0
		sleep 0.1
	done
	echo "the seccomp agent did not start" >&2
	return 1
}

# agent_state N: the Nth ContainerProcessState the agent received (1-based), as JSON.
agent_state() {
	grep '^state ' "$ALOG" | sed -n "$1p" | sed 's/^state //; s/ fd=[-0-9]*$//'
}

# A static program (no libc of the rootfs needed) for what busybox cannot do: `probe clone3`
# prints the errno of a direct clone3(NULL, 0) (the kernel itself says EINVAL); `probe
# sigmkdir DIR` catches SIGUSR1 (no SA_RESTART), makes DIR and prints the errno and how many
# signals came.
probe() {
	local dir=$BATS_FILE_TMPDIR/probe
	if [ ! -x "$dir/probe" ]; then
		mkdir -p "$dir"
		cat >"$dir/probe.c" <<-'EOF'
			#include <errno.h>
			#include <stdio.h>
			#include <string.h>
			#include <sys/syscall.h>
			#include <unistd.h>
			#include <signal.h>
			#include <sys/stat.h>
			static volatile sig_atomic_t signals;
			static void on_usr1(int sig) { signals++; }
			int main(int argc, char **argv)
			{
				if (argc > 1 && !strcmp(argv[1], "clone3")) {
					long r = syscall(SYS_clone3, NULL, 0);
					printf("clone3: %ld errno=%d\n", r, r < 0 ? errno : 0);
					return 0;
				}
				if (argc > 2 && !strcmp(argv[1], "sigmkdir")) {
					struct sigaction sa = {.sa_handler = on_usr1};
					sigaction(SIGUSR1, &sa, NULL);
					int r = mkdir(argv[2], 0700);
					printf("mkdir: %d errno=%d signals=%d\n", r, r < 0 ? errno : 0, (int)signals);
					return 0;
				}
				return 2;
			}
		EOF
		cc -static -O2 -o "$dir/probe" "$dir/probe.c"
	fi
	echo "$dir"
}

# What busybox sh, echo, grep and the runtimes' own last steps before exec need (runc and
# crun included): an allowlist profile built from it must run `sh -c 'echo ...'`.
ALLOWLIST='["execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64",
	"mprotect", "mmap", "munmap", "madvise", "getpid", "getppid", "gettid", "getuid", "geteuid", "getgid",
	"getegid", "getpgrp", "setsid", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"write", "writev", "read", "ioctl", "fcntl", "close", "close_range", "exit", "exit_group", "openat",
	"newfstatat", "fstat", "stat", "lstat", "statx", "statfs", "fstatfs", "readlink", "readlinkat",
	"getdents64", "lseek", "uname", "getcwd", "chdir", "fchdir", "umask", "access", "faccessat2", "wait4",
	"futex", "nanosleep", "sched_yield", "sched_getaffinity", "dup2", "dup3", "pipe2", "poll", "select",
	"pselect6", "epoll_create1", "epoll_ctl", "epoll_pwait", "getrandom", "capget", "capset", "prctl",
	"setgroups", "setresuid", "setresgid", "keyctl", "kill", "tgkill", "clone", "clone3", "fsync", "mlock"]'

@test "errno rules: mkdir gets EPERM by default, ENOSPC with errnoRet 28; other syscalls run" {
	set_seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}'
	in_container 'mkdir /tmp/x; echo rc=$?; touch /tmp/f && echo touched; grep "^Seccomp:" /proc/self/status'
	assert_success
	assert_output_contains "mkdir: can't create directory '/tmp/x': Operation not permitted"
	assert_output_contains rc=1
	assert_output_contains touched
	assert_output_contains "Seccomp:	2"

	set_seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 28}]}'
	in_container 'mkdir /tmp/x; echo rc=$?'
	assert_success
	assert_output_contains "mkdir: can't create directory '/tmp/x': No space left on device"

	# the control: the same command without a profile makes the directory
	edit_config 'del(.linux.seccomp)'
	in_container 'mkdir /tmp/x && echo made; grep "^Seccomp:" /proc/self/status'
	assert_success
	assert_output_contains made
	assert_output_contains "Seccomp:	0"
}

@test "syscall names the runtime does not know are skipped, the known ones still apply" {
	set_seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["no_such_syscall_at_all", "mkdirat", "mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 28}]}'
	in_container 'mkdir /tmp/x; echo rc=$?'
	assert_success
	assert_output_contains "No space left on device"
}

@test "defaultAction ERRNO with an allowlist: sh and echo run, anything else fails with the default errno" {
	set_seccomp "{defaultAction: \"SCMP_ACT_ERRNO\", syscalls: [{names: $ALLOWLIST, action: \"SCMP_ACT_ALLOW\"}]}"
	in_container 'echo hello; mkdir /tmp/x; echo rc=$?'
	assert_success
	[ "${lines[0]}" = hello ]
	assert_output_contains "mkdir: can't create directory '/tmp/x': Operation not permitted"
	assert_output_contains rc=1

	# defaultErrnoRet: podman's profiles answer unknown syscalls with ENOSYS
	set_seccomp "{defaultAction: \"SCMP_ACT_ERRNO\", defaultErrnoRet: 38, syscalls: [{names: $ALLOWLIST, action: \"SCMP_ACT_ALLOW\"}]}"
	in_container 'echo hello; mkdir /tmp/x; echo rc=$?'
	assert_success
	[ "${lines[0]}" = hello ]
	assert_output_contains "mkdir: can't create directory '/tmp/x': Function not implemented"
}

@test "argument conditions: personality blocked for one value only; two conditions on one argument are separate rules" {
	set_seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["personality"], action: "SCMP_ACT_ERRNO",
		args: [{index: 0, value: 8, op: "SCMP_CMP_EQ"}]}]}'
	in_container 'linux64 uname -m; echo rc=$?; linux32 uname -m; echo rc=$?'
	assert_success
	[ "${lines[0]}" = x86_64 ] || [ "${lines[0]}" = "$(uname -m)" ]
	[ "${lines[1]}" = rc=0 ]
	assert_output_contains "linux32: personality(0x8): Operation not permitted"
	[ "${lines[3]}" = rc=1 ]

	# index 0 == 8 and index 0 == 0 in one entry: either matches (runc's rule), both blocked
	set_seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["personality"], action: "SCMP_ACT_ERRNO",
		args: [{index: 0, value: 8, op: "SCMP_CMP_EQ"}, {index: 0, value: 0, op: "SCMP_CMP_EQ"}]}]}'
	in_container 'linux64 true; echo rc=$?; linux32 true; echo rc=$?'
	assert_success
	assert_output_contains "linux64: personality(0x0): Operation not permitted"
	assert_output_contains "linux32: personality(0x8): Operation not permitted"
}

@test "argument conditions on two arguments: TCP over IPv4 sockets refused (EQ and MASKED_EQ), IPv6 allowed" {
	# socket(AF_INET, type & 0xf == SOCK_STREAM, ...) -> EACCES; AF_INET6 does not match
	set_seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["socket"], action: "SCMP_ACT_ERRNO", errnoRet: 13,
		args: [{index: 0, value: 2, op: "SCMP_CMP_EQ"}, {index: 1, value: 15, valueTwo: 1, op: "SCMP_CMP_MASKED_EQ"}]}]}'
	in_container 'nc 127.0.0.1 1 </dev/null; echo rc=$?; nc ::1 1 </dev/null; echo rc=$?'
	assert_success
	[ "${lines[0]}" = "nc: socket: Permission denied" ]
	# the IPv6 socket was made: only the connection fails
	[[ "${lines[2]}" == "nc: can't connect to remote host"* ]]
}

@test "kill and trap actions end the process with SIGSYS (exit 159)" {
	local a
	for a in SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL SCMP_ACT_KILL_THREAD SCMP_ACT_TRAP; do
		set_seccomp "{defaultAction: \"SCMP_ACT_ALLOW\", syscalls: [{names: [\"mkdir\", \"mkdirat\"], action: \"$a\"}]}"
		set_args mkdir /tmp/x
		run rt run "$CID" </dev/null
		[ "$status" -eq 159 ] || { echo "$a: exit $status: $output" >&2; return 1; }
	done
}

@test "the LOG action lets syscalls run; the x86 architectures together; flags the runtime announces" {
	local flags features
	# runc 1.1 refuses every flag and announces none; crun 1.8 has no features command
	features=$(rt features 2>/dev/null) || features='{}'
	flags=$(jq <<<"$features" -c '.linux.seccomp.supportedFlags // [] | map(select(. == "SECCOMP_FILTER_FLAG_TSYNC"
		or . == "SECCOMP_FILTER_FLAG_LOG" or . == "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))')
	! is_oci_run || [ "$(jq length <<<"$flags")" = 3 ]
	set_seccomp '{defaultAction: "SCMP_ACT_ALLOW", flags: '"$flags"',
		architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_LOG"}, {names: ["rmdir"], action: "SCMP_ACT_ERRNO"}]}'
	in_container 'mkdir /tmp/x && echo made; rmdir /tmp/x; echo rc=$?; grep "^Seccomp:" /proc/self/status'
	assert_success
	assert_output_contains made
	assert_output_contains "rmdir: '/tmp/x': Operation not permitted"
	assert_output_contains "Seccomp:	2"
}

@test "noNewPrivileges false: the filter is loaded (before the capabilities are dropped) for a non-root user" {
	edit_config '.process.noNewPrivileges = false | .process.user = {uid: 1000, gid: 1000}'
	set_seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 28}]}'
	in_container 'id -u; grep -E "^(Seccomp|NoNewPrivs|CapEff):" /proc/self/status; mkdir /tmp/x; echo rc=$?'
	assert_success
	[ "${lines[0]}" = 1000 ]
	assert_output_contains "NoNewPrivs:	0"
	assert_output_contains "CapEff:	0000000000000000"
	assert_output_contains "Seccomp:	2"
	assert_output_contains "No space left on device"
}

@test "in a user namespace the filter loads too" {
	grep -q '^1$' /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null ||
		[ ! -e /proc/sys/kernel/unprivileged_userns_clone ] || skip "user namespaces disabled"
	setup_bundle private
	writable_tmp
	cd "$B"
	chown -R 100000:100000 "$B/rootfs"
	make_traversable "$B/rootfs"
	edit_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .process.noNewPrivileges = false'
	set_seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 28}]}'
	in_container 'grep "^Seccomp:" /proc/self/status; mkdir /tmp/x; echo rc=$?'
	assert_success
	assert_output_contains "Seccomp:	2"
	assert_output_contains "No space left on device"
}

# podman_profile CAPS_JSON: containers-common's seccomp.json as podman turns it into
# linux.seccomp for an x86_64 container holding CAPS (includes/excludes by arch and caps).
podman_profile() {
	jq --argjson caps "$1" '
		def has($l; $x): ($l // []) | index($x) != null;
		def keep: ((.includes.arches // []) as $ia | ($ia | length) == 0 or has($ia; "amd64"))
			and ((.includes.caps // []) | all(. as $c | has($caps; $c)))
			and (has(.excludes.arches; "amd64") | not)
			and ((.excludes.caps // []) | any(. as $c | has($caps; $c)) | not);
		. as $p
		| {defaultAction, defaultErrnoRet,
		   architectures: ([$p.archMap[] | select(.architecture == "SCMP_ARCH_X86_64")
				| [.architecture] + .subArchitectures] | add),
		   syscalls: [$p.syscalls[] | select(keep) | {names, action}
				+ (if .errnoRet then {errnoRet} else {} end)
				+ (if (.args // []) | length > 0 then {args} else {} end)]}
		| with_entries(select(.value != null))' "$PODMAN_SECCOMP"
}

podman_setup() {
	PODMAN_SECCOMP=/usr/share/containers/seccomp.json
	[ -r "$PODMAN_SECCOMP" ] || skip "no $PODMAN_SECCOMP (package golang-github-containers-common)"
	[ "$(uname -m)" = x86_64 ] || skip "the profile conversion here is for x86_64"
	PROFILE=$BATS_TEST_TMPDIR/podman-seccomp.json
	podman_profile "$(jq -c .process.capabilities.bounding "$B/config.json")" >"$PROFILE"
	[ "$(jq '.syscalls | length' "$PROFILE")" -gt 10 ]
}

@test "podman's default profile: busybox runs (files, processes, pipes, personality by argument) under the filter" {
	podman_setup
	edit_config ".linux.seccomp = $(cat "$PROFILE")"
	in_container 'echo hello | cat; mkdir /tmp/d && ls -d /tmp/d; sleep 0 & wait; echo waited; linux32 uname -m; grep "^Seccomp:" /proc/self/status'
	assert_success
	[ "${lines[0]}" = hello ]
	[ "${lines[1]}" = /tmp/d ]
	[ "${lines[2]}" = waited ]
	[ "${lines[3]}" = i686 ]
	[ "${lines[4]}" = "Seccomp:	2" ]
}

@test "podman's default profile (for the default capabilities) refuses sethostname and swapon even with CAP_SYS_ADMIN" {
	podman_setup
	# a container that holds CAP_SYS_ADMIN but got the profile of one that does not
	edit_config '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])'
	in_container 'hostname box2 && hostname; head -c 65536 /dev/zero >/tmp/swap; swapon /tmp/swap; echo rc=$?'
	assert_success
	[ "${lines[0]}" = box2 ]
	# the kernel itself lets it try (and refuses that file for another reason)
	assert_output_contains "swapon: /tmp/swap: "
	[[ "$output" != *"Operation not permitted"* ]]

	edit_config ".linux.seccomp = $(cat "$PROFILE")"
	in_container 'hostname box2; echo rc=$?; head -c 65536 /dev/zero >/tmp/swap; swapon /tmp/swap; echo rc=$?'
	assert_success
	assert_output_contains "hostname: sethostname: Operation not permitted"
	assert_output_contains "swapon: /tmp/swap: Operation not permitted"
	[[ "$output" != *box2$'\n'* ]]
}

@test "podman drives the runtime with its own default profile: filtered, and unfiltered with seccomp=unconfined" {
	require_cmd podman conmon capsh
	# the engine's runtime wrapper runs the runtime under test
	OCI_RUN=$RUNTIME peers_init seccomp
	podman_init
	run pm run --rm --network none localhost/busybox:test sh -c 'echo hi | cat; grep "^Seccomp:" /proc/self/status'
	assert_success
	[ "${lines[0]}" = hi ]
	[ "${lines[1]}" = "Seccomp:	2" ]
	run pm run --rm --network none --security-opt seccomp=unconfined localhost/busybox:test grep "^Seccomp:" /proc/self/status
	assert_success
	[ "$output" = "Seccomp:	0" ]
	runtime_log_has '^create '
}

# bad_profile JQ MESSAGE: create with that linux.seccomp fails; oci-run says MESSAGE on one
# line and leaves no container, state or process behind.
bad_profile() {
	set_seccomp "$1"
	run rt create --bundle "$B" "$CID" </dev/null
	assert_failure
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "$2"
	fi
	run rt list -q
	[ -z "$output" ] || { echo "left behind: $output" >&2; return 1; }
	if is_oci_run && [ -d "$ROOT" ]; then
		[ -z "$(ls "$ROOT")" ] || { ls -la "$ROOT" >&2; return 1; }
	fi
}

@test "bad profiles are refused at create, in one line naming the JSON path, leaving nothing" {
	bad_profile '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_ERRNO"}, {names: ["rmdir"], action: "SCMP_ACT_EXPLODE"}]}' \
		"linux.seccomp.syscalls[1].action: unknown action 'SCMP_ACT_EXPLODE'"
	bad_profile '{defaultAction: "SCMP_ACT_NOPE"}' "linux.seccomp.defaultAction: unknown action 'SCMP_ACT_NOPE'"
	bad_profile '{defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"]}' \
		"linux.seccomp.architectures[1]: unknown architecture 'SCMP_ARCH_Z80'"
	bad_profile '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["personality"], action: "SCMP_ACT_ERRNO", args: [{index: 0, value: 8, op: "SCMP_CMP_ALMOST"}]}]}' \
		"linux.seccomp.syscalls[0].args[0].op: unknown operator 'SCMP_CMP_ALMOST'"
	bad_profile '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["personality"], action: "SCMP_ACT_ERRNO", args: [{index: 6, value: 8, op: "SCMP_CMP_EQ"}]}]}' \
		"linux.seccomp.syscalls[0].args[0].index: 6 out of range (0 to 5)"
	# one filter serves one byte order: a big-endian architecture cannot join an x86 one
	if [ "$(uname -m)" = x86_64 ]; then
		bad_profile '{defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_S390X"]}' \
			"linux.seccomp.architectures[1]: cannot add 'SCMP_ARCH_S390X' to this filter"
	fi
	# crun 1.8 hangs at create on an unknown flag (its parent waits on its init for ever)
	if ! is_crun; then
		bad_profile '{defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_BOGUS"]}' \
			"linux.seccomp.flags[0]: unknown flag 'SECCOMP_FILTER_FLAG_BOGUS'"
	fi
	# crun 1.8.1 hangs at create on a NOTIFY rule without a listener too (its parent polls
	# for ever; seen 2026-12-07)
	if ! is_crun; then
		bad_profile '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}' \
			"linux.seccomp.listenerPath: missing"
		bad_profile '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: "", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}' \
			"linux.seccomp.listenerPath: empty"
		bad_profile '{defaultAction: "SCMP_ACT_NOTIFY", listenerPath: "/run/agent.sock"}' \
			"linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"
	fi
	# runc lets these through (errnoRet truncated to 16 bits, ignored for ALLOW): the
	# runtime-spec says an errno on an action without one is an error
	is_oci_run || return 0
	bad_profile '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 70000}]}' \
		"linux.seccomp.syscalls[0].errnoRet: 70000 out of range (0 to 4095)"
	bad_profile '{defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: -1}' \
		"linux.seccomp.defaultErrnoRet: -1 out of range (0 to 4095)"
	bad_profile '{defaultAction: "SCMP_ACT_ERRNO", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_ALLOW", errnoRet: 1}]}' \
		"linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_ALLOW takes no errno"
	bad_profile '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/run/agent.sock"}' \
		"linux.seccomp.listenerPath: no syscall has SCMP_ACT_NOTIFY"
	# relative, it would resolve against the directory create or exec happens to run in
	bad_profile '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: "agent.sock", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}' \
		"linux.seccomp.listenerPath: 'agent.sock' is not an absolute path"
	bad_profile '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/run/agent.sock", syscalls: [{names: ["sendmsg"], action: "SCMP_ACT_NOTIFY"}]}' \
		"linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY cannot be used for sendmsg"
	bad_profile '{defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]}' \
		"linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs an SCMP_ACT_NOTIFY rule"
	bad_profile '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: "mkdir", action: "SCMP_ACT_ERRNO"}]}' \
		"linux.seccomp.syscalls[0].names: expected an array"
}

@test "features lists the seccomp actions, operators and architectures (runc's shape)" {
	peer_is crun "has no features command"
	run rt features
	assert_success
	echo "$output" | jq -e '.linux.seccomp.enabled == true' >/dev/null
	local a
	for a in SCMP_ACT_ALLOW SCMP_ACT_ERRNO SCMP_ACT_KILL SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL_THREAD SCMP_ACT_LOG SCMP_ACT_TRACE SCMP_ACT_TRAP; do
		echo "$output" | jq -e --arg a "$a" '.linux.seccomp.actions | index($a)' >/dev/null
	done
	for a in SCMP_CMP_EQ SCMP_CMP_NE SCMP_CMP_LT SCMP_CMP_LE SCMP_CMP_GT SCMP_CMP_GE SCMP_CMP_MASKED_EQ; do
		echo "$output" | jq -e --arg a "$a" '.linux.seccomp.operators | index($a)' >/dev/null
	done
	for a in SCMP_ARCH_X86_64 SCMP_ARCH_X86 SCMP_ARCH_X32 SCMP_ARCH_AARCH64 SCMP_ARCH_ARM SCMP_ARCH_S390X SCMP_ARCH_PPC64LE; do
		echo "$output" | jq -e --arg a "$a" '.linux.seccomp.archs | index($a)' >/dev/null
	done
	is_oci_run || return 0
	# exactly what is implemented: every action (notify included), every flag known, the
	# ones this kernel takes supported
	echo "$output" | jq -e '.linux.seccomp.actions == ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
		"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE",
		"SCMP_ACT_TRAP"]' >/dev/null
	echo "$output" | jq -e '.linux.seccomp.knownFlags == ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
		"SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]' >/dev/null
	echo "$output" | jq -e '.linux.seccomp.supportedFlags | index("SECCOMP_FILTER_FLAG_LOG")' >/dev/null
	echo "$output" | jq -e '.linux.seccomp.supportedFlags | index("SECCOMP_FILTER_FLAG_SPEC_ALLOW")' >/dev/null
	# Linux 6.0 added WAIT_KILLABLE_RECV: announced exactly when the kernel has it
	if [ "$(uname -r | cut -d. -f1)" -ge 6 ]; then
		echo "$output" | jq -e '.linux.seccomp.supportedFlags | index("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")' >/dev/null
	fi
}

@test "notify: the agent answers mkdir with its own errno and lets uname continue; it gets runc's ContainerProcessState" {
	start_agent -e mkdir=28 -e mkdirat=28
	set_seccomp '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: "'"$SOCK"'", listenerMetadata: "meta-1",
		syscalls: [{names: ["mkdir", "mkdirat", "uname"], action: "SCMP_ACT_NOTIFY"}]}'
	in_container 'mkdir /tmp/x; echo rc=$?; uname -s'
	assert_success
	assert_output_contains "mkdir: can't create directory '/tmp/x': No space left on device"
	assert_output_contains rc=1
	assert_output_contains Linux
	grep -E '^notify mkdir(at)? pid=[0-9]+ -> errno 28$' "$ALOG"
	grep -E '^notify uname pid=[0-9]+ -> continue$' "$ALOG"
	# crun 1.8 sends the agent a state of its own, not runc's ContainerProcessState
	is_crun && return 0
	# one connection, with the fd; the state of the container being created
	[ "$(grep -c '^state ' "$ALOG")" = 1 ]
	grep -E '^state .* fd=[0-9]+$' "$ALOG"
	agent_state 1 | jq -e --arg id "$CID" '.fds == ["seccompFd"] and .metadata == "meta-1"
		and .state.id == $id and .state.status == "creating" and .pid > 0 and .pid == .state.pid
		and (.ociVersion | startswith("1."))' >/dev/null
}

@test "notify on write, close and execve, which the runtime still needs after the filter, with and without noNewPrivileges" {
	start_agent
	# runc refuses notify on write (it hands the fd over with write(2)); oci-run uses sendmsg
	local names='"close", "execve"'
	! is_oci_run || names='"write", "close", "execve"'
	local nnp
	for nnp in true false; do
		: >"$ALOG"
		edit_config ".process.noNewPrivileges = $nnp"
		set_seccomp '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: "'"$SOCK"'",
			syscalls: [{names: ['"$names"'], action: "SCMP_ACT_NOTIFY"}]}'
		in_container 'echo hello; grep ^NoNewPrivs: /proc/self/status'
		assert_success
		assert_output_contains hello
		if [ "$nnp" = true ]; then assert_output_contains "NoNewPrivs:	1"; else assert_output_contains "NoNewPrivs:	0"; fi
		grep -E '^notify execve pid=[0-9]+ -> continue$' "$ALOG"
		grep -E '^notify close pid=[0-9]+ -> continue$' "$ALOG"
		! is_oci_run || grep -E '^notify write pid=[0-9]+ -> continue$' "$ALOG"
	done
}

@test "notify with exec: the exec'd process's own fd goes to the agent, with the running container's state" {
	start_agent -e mkdir=28 -e mkdirat=28
	set_seccomp '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: "'"$SOCK"'", listenerMetadata: "m2",
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]}'
	set_args sleep 30
	rt_create "$CID"
	rt start "$CID"
	wait_status "$CID" running
	run rt exec "$CID" sh -c 'exec 2>&1; mkdir /tmp/y; echo rc=$?'
	assert_success
	assert_output_contains "mkdir: can't create directory '/tmp/y': No space left on device"
	assert_output_contains rc=1
	# crun 1.8 sends the agent a state of its own, not runc's ContainerProcessState
	is_crun && return 0
	[ "$(grep -c '^state ' "$ALOG")" = 2 ]
	local init
	init=$(rt_state_field "$CID" pid)
	agent_state 2 | jq -e --arg id "$CID" --argjson init "$init" '.fds == ["seccompFd"] and .metadata == "m2"
		and .state.id == $id and .state.status == "running" and .state.pid == $init
		and .pid > 0 and .pid != $init' >/dev/null
}

@test "notify with a missing or dead agent: create fails in one line and leaves nothing" {
	SOCK=$BATS_TEST_TMPDIR/none.sock
	bad_profile '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: "'"$SOCK"'", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}' \
		"linux.seccomp.listenerPath: cannot connect to the seccomp agent at '$SOCK': No such file or directory"
	# a socket nobody listens on any more
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK"
	bad_profile '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: "'"$SOCK"'", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}' \
		"linux.seccomp.listenerPath: cannot connect to the seccomp agent at '$SOCK': Connection refused"
	# no init left, no cgroup left
	! pgrep -f "oci-run.*$CID" >/dev/null || false
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -name "*$CID*" 2>/dev/null)" ]
}

@test "syscalls newer than the profile get ENOSYS, not the default errno; listed ones keep their action" {
	local dir
	dir=$(probe)
	edit_config '.mounts += [{destination: "/opt/probe", type: "bind", source: "'"$dir"'", options: ["bind", "ro"]}]'
	# an allowlist that knows nothing newer than clone3 (close_range and faccessat2 are)
	local allow
	allow=$(jq -c 'map(select(. != "clone3" and . != "close_range" and . != "faccessat2"))' <<<"$ALLOWLIST")
	local archs='[]'
	[ "$(uname -m)" != x86_64 ] || archs='["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]'
	set_seccomp '{defaultAction: "SCMP_ACT_ERRNO", architectures: '"$archs"', syscalls: [{names: '"$allow"', action: "SCMP_ACT_ALLOW"}]}'
	set_args /opt/probe/probe clone3
	run rt run "$CID" </dev/null
	assert_success
	if is_crun; then
		# crun 1.8 has no -ENOSYS stub: the default errno
		assert_output_contains "clone3: -1 errno=1"
	else
		assert_output_contains "clone3: -1 errno=38"
	fi
	# without architectures: the native one is implied (runc 1.1 then has no stub at all)
	if is_oci_run; then
		set_seccomp '{defaultAction: "SCMP_ACT_ERRNO", syscalls: [{names: '"$allow"', action: "SCMP_ACT_ALLOW"}]}'
		run rt run "$CID" </dev/null
		assert_success
		assert_output_contains "clone3: -1 errno=38"
	fi
	# listed: its own action
	set_seccomp '{defaultAction: "SCMP_ACT_ERRNO", syscalls: [{names: '"$allow"', action: "SCMP_ACT_ALLOW"},
		{names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 13}]}'
	run rt run "$CID" </dev/null
	assert_success
	assert_output_contains "clone3: -1 errno=13"
	# an older syscall the profile does not list still gets the default errno
	set_seccomp '{defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1, syscalls: [{names: '"$allow"', action: "SCMP_ACT_ALLOW"}]}'
	in_container 'mkdir /tmp/x; echo rc=$?'
	assert_output_contains "Operation not permitted"
}

@test "startContainer hooks run inside the filter with noNewPrivileges" {
	edit_config '.process.noNewPrivileges = true'
	set_seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 28}]}'
	edit_config '.hooks.startContainer = [{path: "/bin/sh", args: ["sh", "-c", "grep ^Seccomp: /proc/self/status >/tmp/hook.out; mkdir /tmp/hookdir 2>>/tmp/hook.out; echo rc=$? >>/tmp/hook.out"]}]'
	in_container 'cat /tmp/hook.out'
	assert_success
	assert_output_contains "Seccomp:	2"
	assert_output_contains "No space left on device"
	assert_output_contains rc=1
}

@test "flags: LOG sends errno actions to the audit log, SPEC_ALLOW keeps the speculation state, both load" {
	peer_is runc "refuses every seccomp flag"
	if pidof auditd >/dev/null; then skip "auditd takes the audit records (not the kernel log)"; fi
	dmesg >/dev/null 2>&1 || skip "the kernel log cannot be read here"
	# sync(2) is refused with an errno: audited only with SECCOMP_FILTER_FLAG_LOG
	local flags before after
	for flags in '[]' '["SECCOMP_FILTER_FLAG_LOG"]'; do
		set_seccomp '{defaultAction: "SCMP_ACT_ALLOW", flags: '"$flags"', syscalls: [{names: ["sync"], action: "SCMP_ACT_ERRNO"}]}'
		before=$(dmesg | grep -c 'comm="sync" .* syscall=162 .*code=0x50000' || true)
		in_container 'sync; echo rc=$?; grep "^Seccomp:" /proc/self/status'
		assert_success
		assert_output_contains "Seccomp:	2"
		sleep 0.2
		after=$(dmesg | grep -c 'comm="sync" .* syscall=162 .*code=0x50000' || true)
		if [ "$flags" = '[]' ]; then
			[ "$after" = "$before" ] || { echo "audited without the LOG flag" >&2; return 1; }
		else
			[ "$after" -gt "$before" ] || { echo "no audit record with the LOG flag" >&2; return 1; }
		fi
	done
	# SPEC_ALLOW: without it a filter forces the speculative store bypass mitigation where the
	# kernel mitigates per thread through seccomp; with it the state stays the host's
	local host
	host=$(awk -F'\t' '/^Speculation_Store_Bypass:/ {print $2}' /proc/self/status)
	set_seccomp '{defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"], syscalls: [{names: ["sync"], action: "SCMP_ACT_ERRNO"}]}'
	in_container 'grep -E "^(Seccomp|Speculation_Store_Bypass):" /proc/self/status'
	assert_success
	assert_output_contains "Seccomp:	2"
	assert_output_contains "Speculation_Store_Bypass:	$host"
	if [ "$host" = "thread vulnerable" ] && grep -q seccomp /sys/devices/system/cpu/vulnerabilities/spec_store_bypass; then
		set_seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["sync"], action: "SCMP_ACT_ERRNO"}]}'
		in_container 'grep "^Speculation_Store_Bypass:" /proc/self/status'
		assert_output_contains "thread force mitigated"
	fi
}

@test "flags: WAIT_KILLABLE_RECV keeps a signal from interrupting a syscall the agent has taken" {
	peer_is runc "does not know SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"
	rt features | jq -e '.linux.seccomp.supportedFlags | index("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")' >/dev/null ||
		skip "this kernel has no SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux 6.0)"
	local dir
	dir=$(probe)
	edit_config '.mounts += [{destination: "/opt/probe", type: "bind", source: "'"$dir"'", options: ["bind", "ro"]}]'
	start_agent -e mkdir=28 -w 1500
	set_args /opt/probe/probe sigmkdir /tmp/x
	local flags out
	for flags in '[]' '["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]'; do
		: >"$ALOG"
		set_seccomp '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: "'"$SOCK"'", flags: '"$flags"',
			syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}'
		out=$BATS_TEST_TMPDIR/out
		rt run -d "$CID" </dev/null >"$out" 2>&1
		# the agent has taken mkdir and sits on it: a signal now
		wait_until 10 "the agent to take mkdir" grep -q '^took mkdir' "$ALOG"
		rt kill "$CID" USR1
		wait_status "$CID" stopped
		rt delete "$CID"
		cat "$out"
		if [ "$flags" = '[]' ]; then
			grep -q 'mkdir: -1 errno=4 signals=1' "$out" # EINTR: the signal cut the wait
		else
			grep -q 'mkdir: -1 errno=28 signals=1' "$out" # the agent's answer, then the signal
		fi
	done
}
