#!/usr/bin/env bats
# oci-run exec: another process in a running container, as conmon and containerd's shim run
# it (`exec --process FILE --detach --pid-file F [--tty --console-socket S] ID`) and as
# people type it (`exec ID CMD...` with --env --cwd --user --tty). Runs against any runtime:
# RUNTIME=runc tests/run.sh 42-run-exec.

load ../lib/common
load ../lib/tmux
load 40-run-lib

setup() {
	require_root
	setup_bundle
	# a private copy of the shared rootfs (quicker than building one per test)
	cp -a "$(shared_rootfs)" "$B/rootfs"
	edit_config '.root.path = "rootfs"'
	edit_config '.hostname = "exec-box"'
	set_args sleep 100
	echo in-the-rootfs >"$B/rootfs/marker"
	SOCKDIR=$(mktemp -d /tmp/ocirun-exec.XXXXXX)
}

teardown() {
	[ -n "${RECV_PID:-}" ] && kill "$RECV_PID" 2>/dev/null
	[ -n "${TMUX_SESSION:-}" ] && tmux kill-session -t "$TMUX_SESSION" 2>/dev/null
	cleanup_containers
	rm -rf "$SOCKDIR"
}

# start_container: run -d the sleeping container; $PID is its init.
start_container() {
	rt run -d --bundle "$B" "$CID" </dev/null >"$BATS_TEST_TMPDIR/run.out" 2>&1 || {
		cat "$BATS_TEST_TMPDIR/run.out"
		return 1
	}
	PID=$(rt_state_field "$CID" pid)
}

# process_json ARG...: a runtime-spec process object (what conmon and the shim write).
process_json() {
	local args
	args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
	jq -n --argjson a "$args" '{terminal: false, user: {uid: 0, gid: 0}, args: $a,
		env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "FROM_PROCESS=yes"], cwd: "/tmp",
		capabilities: {bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"]}}'
}

# exec_at_terminal TYPING ARG...: `exec ARG...` from a caller at a terminal
# (42-run-exec-caller.py: TYPING, its STATUS: and GOT: lines), output in $output.
exec_at_terminal() {
	local typing=$1
	shift
	run timeout -k 5 30 python3 "$BATS_TEST_DIRNAME/42-run-exec-caller.py" "$typing" \
		"$RUNTIME" --root "$ROOT" exec "$@"
	assert_success
}

@test "exec runs in the container's namespaces and root, with its output and exit status" {
	start_container
	run rt exec "$CID" sh -c 'hostname; cat /marker; for n in pid mnt net uts ipc; do readlink /proc/self/ns/$n; done; exit 7'
	assert_failure 7
	[ "${lines[0]}" = exec-box ]
	[ "${lines[1]}" = in-the-rootfs ]
	i=2
	for n in pid mnt net uts ipc; do
		[ "${lines[$i]}" = "$(readlink /proc/"$PID"/ns/$n)" ] || { echo "$n differs: ${lines[$i]}"; false; }
		i=$((i + 1))
	done
	# and it sees the container's own processes: its init is pid 1 there
	run rt exec "$CID" sh -c "tr '\\0' ' ' </proc/1/cmdline"
	assert_success
	[ "$output" = "sleep 100 " ]
}

@test "exec status of a process killed by a signal is 128+N" {
	start_container
	run rt exec "$CID" sh -c 'kill -9 $$'
	assert_failure 137
}

@test "exec takes the container's process as the base: env, cwd, user, capabilities" {
	peer_is crun "does not take the config's cwd as exec's base"
	edit_config '.process.env += ["FROM_CONFIG=1"] | .process.cwd = "/tmp"'
	start_container
	run rt exec "$CID" sh -c 'echo "$FROM_CONFIG"; pwd; id -u; grep CapBnd /proc/self/status'
	assert_success
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = "$(grep CapBnd /proc/"$PID"/status)" ]
}

@test "exec --env --cwd --user --additional-gids override the container's process" {
	peer_is crun "its exec has no --additional-gids"
	edit_config '.process.env += ["FROM_CONFIG=1"] | .process.user.additionalGids = [7]'
	start_container
	run rt exec --env EXTRA=42 --cwd /home/user --user 1000:1000 --additional-gids 65534 "$CID" \
		sh -c 'echo "$EXTRA:$FROM_CONFIG"; pwd; id -u; id -g; id -G; grep CapEff /proc/self/status'
	assert_success
	# --env adds to the config's environment
	[ "${lines[0]}" = 42:1 ]
	[ "${lines[1]}" = /home/user ]
	[ "${lines[2]}" = 1000 ]
	[ "${lines[3]}" = 1000 ]
	# --additional-gids adds to the config's groups, as runc's does
	[[ " ${lines[4]} " == *" 65534 "* ]]
	[[ " ${lines[4]} " == *" 7 "* ]]
	# a non-root user keeps no effective capability
	[[ "${lines[5]}" =~ CapEff:[[:space:]]+0+$ ]]
	# --user is numbers as written, leading zeros and all (oci-run cut them at 31 characters
	# and ran this as root); without :GID the config's gid stays
	run rt exec --user 000000000000000000000000000000000001000 "$CID" sh -c 'id -u; id -g'
	assert_success
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 0 ]
	# --cap adds to the config's bounding set (CAP_SYS_TIME is bit 25)
	run rt exec --cap CAP_SYS_TIME "$CID" grep CapBnd /proc/self/status
	assert_success
	local base
	base=$(awk '/CapBnd/ {print $2}' /proc/"$PID"/status)
	[ "$output" = "$(printf 'CapBnd:\t%016x' $((0x$base | 1 << 25)))" ]
}

@test "exec --process FILE runs that process, other process options do not apply" {
	start_container
	process_json sh -c 'echo "$FROM_PROCESS:$FROM_CONFIG"; pwd; grep CapBnd /proc/self/status' >"$BATS_TEST_TMPDIR/p.json"
	run rt exec --process "$BATS_TEST_TMPDIR/p.json" "$CID"
	assert_success
	[ "${lines[0]}" = "yes:" ]
	[ "${lines[1]}" = /tmp ]
	# CAP_KILL only: bit 5
	[[ "${lines[2]}" =~ CapBnd:[[:space:]]+0+20$ ]]
}

@test "exec --process with an option that sets the process is refused by name (runc drops it in silence)" {
	# oci-run, as runc, ran the JSON's process and dropped --env, --cwd, --user, ... and a
	# command given with --process: the caller got another process than it asked for.
	is_oci_run || skip_peer "runc ignores them"
	start_container
	process_json sh -c 'echo ran >/marker' >"$BATS_TEST_TMPDIR/p.json"
	for o in "--env A=1" "--cwd /tmp" "--user 1000" "--additional-gids 5" "--cap CAP_CHOWN" "--no-new-privs" "--tty"; do
		# shellcheck disable=SC2086
		run rt exec --process "$BATS_TEST_TMPDIR/p.json" $o "$CID"
		assert_failure
		assert_one_line_error oci-run
		if [ "$o" = --tty ]; then
			assert_output_contains "--tty with a --process whose terminal is false"
		else
			assert_output_contains "exec: ${o% *} does not apply with --process"
		fi
	done
	run rt exec --process "$BATS_TEST_TMPDIR/p.json" "$CID" echo other
	assert_failure
	assert_output_contains "exec: a command after the id does not apply with --process"
	[ "$(cat "$B/rootfs/marker")" = in-the-rootfs ]
	# what the JSON does not say either way still applies over it
	run rt exec --process "$BATS_TEST_TMPDIR/p.json" --detach --pid-file "$BATS_TEST_TMPDIR/pid" "$CID"
	assert_success
	[ -s "$BATS_TEST_TMPDIR/pid" ]
}

@test "exec's process is checked like config.json's: one line naming the JSON path, nothing runs" {
	is_oci_run || skip_peer "oci-run's messages"
	start_container
	local p=$BATS_TEST_TMPDIR/p.json
	process_json echo ran-here >"$p"
	jq '.cwd = "tmp" | .capabilities.bounding += ["CAP_FLY"]' "$p" >"$p.1"
	run rt exec --process "$p.1" "$CID"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "process.cwd: 'tmp' is not an absolute path"
	assert_output_contains "process.capabilities.bounding[1]: unknown capability 'CAP_FLY'"
	[[ "$output" != *ran-here* ]]
	jq '.user.additionalGids = [range(70000)]' "$p" >"$p.2"
	run rt exec --process "$p.2" "$CID"
	assert_failure
	assert_output_contains "process.user.additionalGids: 70000 groups, more than the kernel's limit"
	[[ "$output" != *ran-here* ]]
	# the flags are held to their fields' rules: an unknown --cap is refused, not skipped,
	# as is a capability not written as the table has it, and an env entry without a name
	for flag in "--cap CAP_FLY" "--cap cap_kill" "--env =x"; do
		# shellcheck disable=SC2086 # the flag and its value are two words
		run rt exec $flag "$CID" echo ran-here
		assert_failure 255
		assert_one_line_error oci-run
		assert_output_contains "oci-run: ${flag%% *}: "
		[[ "$output" != *ran-here* ]]
	done
	assert_output_contains "expected NAME=VALUE, got '=x'"
	# and a good one still runs
	run rt exec --process "$p" "$CID"
	assert_success
	[ "$output" = ran-here ]
}

@test "exec takes its process and seccomp profile from the config create checked: a later edit of the bundle changes nothing" {
	# runc takes the profile from its state the same way, but re-reads the process (and so
	# its capabilities) from the bundle at each exec: oci-run keeps the whole config
	peer_is runc "reads exec's base process from the bundle's config.json"
	# a profile making mkdir fail
	edit_config '.process.env += ["FROM_CONFIG=at-create"] | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}'
	start_container
	# whoever can write the bundle drops the filter and the process, and breaks the rest
	edit_config 'del(.process) | del(.linux.seccomp) | .hostname = 7'
	run rt exec "$CID" sh -c 'echo $FROM_CONFIG; mkdir /tmp/x && echo made'
	assert_failure
	[ "${lines[0]}" = at-create ]
	assert_output_contains "Operation not permitted"
	[[ "$output" != *made* ]]
	# a bundle without config.json at all: exec still runs
	rm "$B/config.json"
	run rt exec "$CID" echo still-runs
	assert_success
	[ "$output" = still-runs ]
}

@test "exec --detach --pid-file: the process runs on, in the container's cgroup, with its pid in the file" {
	start_container
	process_json sleep 77 >"$BATS_TEST_TMPDIR/p.json"
	# (the detached process keeps the stdio it was given: not bats' pipe)
	rt exec --process "$BATS_TEST_TMPDIR/p.json" --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$CID" \
		</dev/null >"$BATS_TEST_TMPDIR/exec.out" 2>&1
	[ ! -s "$BATS_TEST_TMPDIR/exec.out" ]
	epid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	# decimal, no newline
	[[ "$(od -An -c "$BATS_TEST_TMPDIR/exec.pid" | tr -d ' ')" != *'\n'* ]]
	[ "$(tr '\0' ' ' </proc/"$epid"/cmdline)" = "sleep 77 " ]
	[ "$(readlink /proc/"$epid"/ns/pid)" = "$(readlink /proc/"$PID"/ns/pid)" ]
	[ "$(readlink /proc/"$epid"/ns/mnt)" = "$(readlink /proc/"$PID"/ns/mnt)" ]
	[ "$(cat /proc/"$epid"/cgroup)" = "$(cat /proc/"$PID"/cgroup)" ]
	# delete --force takes the exec'd process down with the container
	rt delete --force "$CID"
	wait_gone "$epid"
}

@test "exec leaks no fd of the caller; --preserve-fds passes exactly the asked ones" {
	start_container
	exec 7>"$BATS_TEST_TMPDIR/leak"
	run rt exec "$CID" ls /proc/self/fd
	exec 7>&-
	assert_success
	# 0 1 2 and the fd ls opened for the directory
	[ "$(echo $output)" = "0 1 2 3" ]
	run rt exec --preserve-fds 1 "$CID" sh -c 'echo through-fd3 >&3' 3>"$BATS_TEST_TMPDIR/fd3"
	assert_success
	[ "$(cat "$BATS_TEST_TMPDIR/fd3")" = through-fd3 ]
}

@test "exec in the foreground forwards the runtime's signals to the process" {
	start_container
	# the runtime itself in the background (not a shell function's subshell)
	"$RUNTIME" --root "$ROOT" exec "$CID" sh -c 'trap "echo got-term; exit 9" TERM; echo ready; while :; do sleep 0.1; done' \
		>"$BATS_TEST_TMPDIR/out" 2>&1 </dev/null &
	epid=$!
	wait_until 10 "the exec'd process to print ready" grep -q ready "$BATS_TEST_TMPDIR/out"
	kill -TERM "$epid"
	st=0
	wait "$epid" || st=$?
	[ "$st" = 9 ]
	grep -q got-term "$BATS_TEST_TMPDIR/out"
}

@test "exec --tty --console-socket hands one pty master; the process's stdio is that terminal" {
	require_cmd python3
	start_container
	python3 "$BATS_TEST_DIRNAME/40-run-console-socket.py" "$SOCKDIR/console.sock" "$SOCKDIR/ready" \
		>"$SOCKDIR/recv.out" 2>"$SOCKDIR/recv.err" &
	RECV_PID=$!
	wait_for_file "$SOCKDIR/ready"
	rt exec --tty --detach --console-socket "$SOCKDIR/console.sock" "$CID" sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo is-a-tty' \
		</dev/null >"$SOCKDIR/exec.out" 2>&1 || { cat "$SOCKDIR/exec.out"; false; }
	wait "$RECV_PID" || { cat "$SOCKDIR/recv.err"; false; }
	RECV_PID=
	run cat "$SOCKDIR/recv.out"
	[[ "${lines[0]}" == pty-name:* ]]
	[[ "${lines[1]}" == /dev/pts/[0-9]* ]]
	assert_output_contains is-a-tty
}

@test "exec --tty in the foreground relays the terminal (under tmux)" {
	require_cmd tmux
	start_container
	tmux_shell ociexec$$ "'$RUNTIME' --root '$ROOT' exec -t $CID sh" "$SOCKDIR/status" \
		'echo answer=$((6*7)); stty size; hostname' 6
	assert_output_contains answer=42
	assert_output_contains "30 100"
	assert_output_contains exec-box
	[ "$(cat "$SOCKDIR/status")" = exit-status=6 ]
}

@test "exec works in a created container before start" {
	rt_create "$CID"
	run rt exec "$CID" cat /marker
	assert_success
	[ "$output" = in-the-rootfs ]
	[ "$(rt_state_field "$CID" status)" = created ]
}

@test "exec of a missing command, in a stopped or unknown container: a clear error, nothing left" {
	peer_is crun "exits 1, not runc's 255, for exec into a stopped container"
	start_container
	run rt exec "$CID" no-such-command
	# runc's status for an exec that failed, distinct from the process's own
	assert_failure 255
	assert_output_contains no-such-command
	assert_output_contains "not found"
	rt kill "$CID" KILL
	wait_status "$CID" stopped
	run rt exec "$CID" true
	assert_failure 255
	assert_output_contains stopped
	run rt exec "nope-$CID" true
	assert_failure 255
	assert_output_contains "does not exist"
	if is_oci_run; then
		assert_output_contains "nope-$CID"
		assert_one_line_error oci-run
	fi
}

@test "exec joins the user namespace of a container that has one" {
	edit_config '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	make_traversable "$B/rootfs"
	chown -R 100000:100000 "$B/rootfs"
	start_container
	run rt exec "$CID" sh -c 'id -u; cat /proc/self/uid_map; readlink /proc/self/ns/user'
	assert_success
	[ "${lines[0]}" = 0 ]
	[[ "${lines[1]}" =~ ^\ +0\ +100000\ +65536$ ]]
	[ "${lines[2]}" = "$(readlink /proc/"$PID"/ns/user)" ]
	# seen from the host, the process runs as the mapped id
	process_json sleep 78 >"$BATS_TEST_TMPDIR/p.json"
	rt exec --process "$BATS_TEST_TMPDIR/p.json" -d --pid-file "$BATS_TEST_TMPDIR/e.pid" "$CID" </dev/null >/dev/null 2>&1
	[ "$(awk '/^Uid:/ {print $2}' /proc/"$(cat "$BATS_TEST_TMPDIR/e.pid")"/status)" = 100000 ]
}

@test "exec applies the container's seccomp filter to the new process" {
	edit_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"], syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'
	start_container
	run rt exec "$CID" mkdir /tmp/denied
	assert_failure
	assert_output_contains "Operation not permitted"
	run rt exec "$CID" sh -c 'grep Seccomp: /proc/self/status'
	[[ "$output" =~ Seccomp:[[:space:]]+2 ]]
	# and with noNewPrivileges (the filter goes in last, just before execve)
	process_json mkdir /tmp/denied2 | jq '.noNewPrivileges = true' >"$BATS_TEST_TMPDIR/p.json"
	run rt exec --process "$BATS_TEST_TMPDIR/p.json" "$CID"
	assert_failure
	assert_output_contains "Operation not permitted"
	[ ! -e "$B/rootfs/tmp/denied" ]
	[ ! -e "$B/rootfs/tmp/denied2" ]
}

@test "exec reaches the container's root when it was created with --no-pivot (chroot)" {
	rt run -d --no-pivot --bundle "$B" "$CID" </dev/null >"$BATS_TEST_TMPDIR/run.out" 2>&1 || { cat "$BATS_TEST_TMPDIR/run.out"; false; }
	run rt exec "$CID" cat /marker
	assert_success
	[ "$output" = in-the-rootfs ]
}

@test "exec --cgroup is refused in one line (never accepted and ignored), and nothing runs" {
	peer_is runc "supports sub-cgroups for exec"
	peer_is crun "takes exec --cgroup and runs the process (sub-cgroups for exec)"
	rt_create "$CID"
	run rt exec --cgroup sub "$CID" echo ran-marker
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "exec --cgroup: not supported"
	[[ "$output" != *ran-marker* ]]
	# the same exec without the option runs
	run rt exec "$CID" echo ran-marker
	assert_success
	[ "$output" = ran-marker ]
}

@test "exec into a paused container fails with status 255 (runc)" {
	peer_is crun "exits 1, not runc's 255, for exec into a paused container"
	start_container
	rt pause "$CID"
	run rt exec "$CID" true
	assert_failure 255
	assert_output_contains paused
	rt resume "$CID"
	# a usage error is status 1, as runc's
	run rt exec
	assert_failure 1
}

@test "exec --process without a user field runs as root, whatever the config's user (runc)" {
	edit_config '.process.user = {uid: 1000, gid: 1000}'
	start_container
	# (a PATH: runc looks commands up only in the process's own)
	jq -n '{terminal: false, args: ["sh", "-c", "id -u; id -g"], cwd: "/",
		env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}' >"$BATS_TEST_TMPDIR/p.json"
	run rt exec --process "$BATS_TEST_TMPDIR/p.json" "$CID"
	assert_success
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
}

@test "exec --tty in the foreground with no terminal on stdin fails at once and says what to do" {
	# It used to relay /dev/null to the pty: an interactive shell never saw an end of input
	# and exec waited for ever (runc: "open /dev/tty: no such device or address").
	start_container
	rt_fails_within 10 exec -t "$CID" sh
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "--tty but stdin is not a terminal"
	fi
}

@test "exec --tty: the pty belongs to the exec's user, and process.consoleSize is its size" {
	peer_is crun "leaves exec's pty owned by root"
	require_cmd python3
	edit_config '.process.consoleSize = {height: 33, width: 111}'
	start_container
	python3 "$BATS_TEST_DIRNAME/40-run-console-socket.py" "$SOCKDIR/console.sock" "$SOCKDIR/ready" \
		>"$SOCKDIR/recv.out" 2>"$SOCKDIR/recv.err" &
	RECV_PID=$!
	wait_for_file "$SOCKDIR/ready"
	rt exec --tty --detach --console-socket "$SOCKDIR/console.sock" --user 1000:1000 "$CID" \
		sh -c 'echo "owner=$(stat -c %u "$(tty)")"; echo "size=$(stty size)"' \
		</dev/null >"$SOCKDIR/exec.out" 2>&1 || { cat "$SOCKDIR/exec.out"; false; }
	wait "$RECV_PID" || { cat "$SOCKDIR/recv.err"; false; }
	RECV_PID=
	run cat "$SOCKDIR/recv.out"
	assert_output_contains "owner=1000"
	assert_output_contains "size=33 111"
	# the same from a --process file's own consoleSize and user
	rm -f "$SOCKDIR/console.sock" "$SOCKDIR/ready"
	python3 "$BATS_TEST_DIRNAME/40-run-console-socket.py" "$SOCKDIR/console.sock" "$SOCKDIR/ready" \
		>"$SOCKDIR/recv.out" 2>"$SOCKDIR/recv.err" &
	RECV_PID=$!
	wait_for_file "$SOCKDIR/ready"
	jq -n '{terminal: true, consoleSize: {height: 21, width: 77}, user: {uid: 65534, gid: 65534},
		env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
		args: ["sh", "-c", "echo \"owner=$(stat -c %u \"$(tty)\")\"; echo \"size=$(stty size)\""], cwd: "/"}' >"$BATS_TEST_TMPDIR/p.json"
	rt exec --process "$BATS_TEST_TMPDIR/p.json" --detach --console-socket "$SOCKDIR/console.sock" "$CID" \
		</dev/null >"$SOCKDIR/exec.out" 2>&1 || { cat "$SOCKDIR/exec.out"; false; }
	wait "$RECV_PID" || { cat "$SOCKDIR/recv.err"; false; }
	RECV_PID=
	run cat "$SOCKDIR/recv.out"
	assert_output_contains "owner=65534"
	assert_output_contains "size=21 77"
}

@test "exec --user: a cwd only root may search works (runc enters it as root first)" {
	mkdir -m 0700 "$B/rootfs/rootonly"
	start_container
	run rt exec --user 1000:1000 --cwd /rootonly "$CID" sh -c 'pwd; id -u'
	assert_success
	[ "${lines[0]}" = /rootonly ]
	[ "${lines[1]}" = 1000 ]
}

@test "exec --user in a user namespace: the cwd is entered as the user when root may not; neither: a clear error" {
	peer_is crun "runs the process in a cwd the user cannot reach instead of failing"
	edit_config '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	make_traversable "$B/rootfs"
	chown -R 100000:100000 "$B/rootfs"
	mkdir "$B/rootfs/usergroup" "$B/rootfs/locked"
	chown 0:101000 "$B/rootfs/usergroup"
	chmod 0710 "$B/rootfs/usergroup"
	chown 0:0 "$B/rootfs/locked"
	chmod 0700 "$B/rootfs/locked"
	start_container
	run rt exec --user 1000:1000 --cwd /usergroup "$CID" sh -c 'pwd; id -u'
	assert_success
	[ "${lines[0]}" = /usergroup ]
	[ "${lines[1]}" = 1000 ]
	run rt exec --user 1000:1000 --cwd /locked "$CID" pwd
	assert_failure 255
	assert_output_contains /locked
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "neither root nor uid 1000"
	fi
}

@test "attack: a process exec'd from a terminal without --tty cannot push input into it (TIOCSTI)" {
	# Without a session of its own the process kept the caller's terminal as its controlling
	# terminal, and TIOCSTI on it is allowed to any process of that session: what it pushes,
	# the caller's shell reads as typed once exec returns (the CVE-2017-5226 class; runc's
	# exec makes a new session, as oci-run's init always did).
	[ "$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null)" = 1 ] || skip "this kernel refuses TIOCSTI to all but CAP_SYS_ADMIN"
	# the host's python in the container, read-only, to make the ioctl
	edit_config '.mounts += [{destination: "/usr", type: "bind", source: "/usr", options: ["rbind", "ro"]}]'
	ln -s usr/lib "$B/rootfs/lib"
	ln -s usr/lib64 "$B/rootfs/lib64"
	start_container
	# The caller: a session whose controlling terminal is a pty; after exec it reads what
	# its terminal holds. Detached, as the caller's terminal is handed on only then.
	exec_at_terminal "" --detach "$CID" /usr/bin/python3 -c 'import fcntl, termios, sys
try:
    for c in b"echo INJECTED\n":
        fcntl.ioctl(0, termios.TIOCSTI, bytes([c]))
    print("pushed")
except OSError as e:
    print("refused:", e.strerror)
'
	assert_output_contains "refused: "
	[[ "$output" != *"GOT:echo INJECTED"* ]]
	assert_output_contains "GOT:nothing"
}

@test "attack: a process exec'd from a terminal without --tty reads nothing typed to the caller after exec returns" {
	# It used to get the caller's terminal itself as stdin: a process it left behind kept
	# reading what the caller typed next (a password at a sudo prompt). In the foreground a
	# terminal of the caller's is relayed through pipes (runc's way) and closed at its exit.
	peer_is runc "waits for the end of its output pipes, which what is left behind holds"
	start_container
	exec_at_terminal 'after:typed-later\n' "$CID" sh -c 'exec 3<&0; (cat <&3 >/dev/shm/stolen) & echo left-a-reader'
	assert_output_contains "left-a-reader"
	assert_output_contains "GOT:typed-later"
	sleep 0.3
	run rt exec "$CID" cat /dev/shm/stolen
	assert_success
	[ -z "$output" ]
}

@test "attack: exec from a terminal without --tty returns when its process exits, whatever it left writing" {
	# What the process wrote before it exited is passed on, then the relay ends: it used to
	# drain the pipes until they were empty, and a 'yes' left behind kept them full, so exec
	# never returned (the caller held, a CPU busy copying).
	peer_is runc "waits for the end of its output pipes, which what is left behind holds"
	start_container
	SECONDS=0
	# a caller at a terminal that reads (and drops) everything the terminal shows
	run timeout -k 5 20 python3 -c '
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os._exit(os.spawnvp(os.P_WAIT, sys.argv[1], sys.argv[1:]) & 0xff)
while True:
    try:
        if not os.read(fd, 65536):
            break
    except OSError:
        break
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
' "$RUNTIME" --root "$ROOT" exec "$CID" sh -c 'yes & echo before-exit; exit 5'
	[ "$status" = 5 ] || { echo "exec ended with status $status after ${SECONDS}s" >&2; false; }
	[ "$SECONDS" -lt 10 ]
}

@test "exec in the foreground from a terminal without --tty: input, output and the exit status still pass" {
	start_container
	exec_at_terminal "" "$CID" sh -c 'echo to-stdout; echo to-stderr >&2; [ -t 0 ] || echo stdin-not-a-tty; exit 3'
	assert_output_contains "to-stdout"
	assert_output_contains "to-stderr"
	assert_output_contains "stdin-not-a-tty"
	assert_output_contains "STATUS:3"
	# input typed at the terminal reaches the process, and its end (^D) ends the process's
	exec_at_terminal 'during:hello-in\n\x04' "$CID" sh -c 'read -r line; echo "read:$line"; cat; echo eof-seen'
	assert_output_contains "read:hello-in"
	assert_output_contains "eof-seen"
	assert_output_contains "STATUS:0"
}

@test "exec racing delete --force in a container without its own pid namespace: every delete is clean" {
	# the exec'd process joined the cgroups after delete had found them empty: 2 or 3 deletes
	# of 12 failed 'cannot remove cgroup ...: Device or resource busy', the process alive
	edit_config '.linux.namespaces |= map(select(.type != "pid"))'
	local i xp bad=0 base=$CID
	for i in $(seq 20); do
		CID=$base-$i
		start_container
		rm -f "$BATS_TEST_TMPDIR/x.pid"
		rt exec -d --pid-file "$BATS_TEST_TMPDIR/x.pid" "$CID" sleep 100 </dev/null >/dev/null 2>&1 &
		sleep "0.0$((i % 10))"
		run rt delete --force "$CID"
		wait "$!" || true
		xp=$(cat "$BATS_TEST_TMPDIR/x.pid" 2>/dev/null || true)
		if [ "$status" != 0 ] || { [ -n "$xp" ] && ! wait_gone "$xp"; } ||
			compgen -G "/sys/fs/cgroup/*/oci-run/$CID" >/dev/null || [ -e "/sys/fs/cgroup/oci-run/$CID" ]; then
			echo "race $i: delete exited $status ($output), exec'd pid '$xp'" >&2
			bad=$((bad + 1))
		fi
	done
	[ "$bad" = 0 ]
}
