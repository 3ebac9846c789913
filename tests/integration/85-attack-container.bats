#!/usr/bin/env bats
# Attacks of a container on the host and on other containers after it started (session 10):
# root in a container of the default config (or of one a real user would write) against the
# runtime's later commands and the kernel objects it shares with its neighbours, on ground
# 70-79 leave open. Each finding's test failed before its fix. Containers are named t$$-N.

bats_require_minimum_version 1.5.0
load ../lib/common
load 40-run-lib
load 71-cve-lib

setup() {
	require_root
	setup_bundle
}

teardown() {
	cleanup_containers
}

# keyring_bundle: $B gets the key tool at /keytool and a volume at /vol ($VOL).
keyring_bundle() {
	[ -r /proc/keys ] || skip "no /proc/keys (kernel without keyrings)"
	build_keytool
	VOL=$BATS_TEST_TMPDIR/vol
	mkdir -p "$VOL"
	edit_config ".mounts += [{destination: \"/vol\", type: \"bind\", source: \"$VOL\", options: [\"rbind\"]},
		{destination: \"/keytool\", type: \"bind\", source: \"$KEYTOOL\", options: [\"bind\", \"ro\"]}]"
}

# Finding 1 (run/init.c, run/container_exec.c): a container's session keyring was named
# _ses.ID (runc's name) and made searchable, linkable, readable and viewable by its owner,
# uid 0 of the host's user namespace: every container without a user namespace is that user.
# keyctl needs no capability and the default config has no seccomp filter, so any other
# container joined it by its name (or linked it into its own by its serial, which a loop over
# KEYCTL_DESCRIBE finds in minutes) and read every key the container kept there. The name is
# now unpredictable (in the state, for exec) and only search is granted beyond the
# container's own processes, which hold it.
@test "keyring: another container neither joins a container's session keyring by name nor links it by serial" {
	keyring_bundle
	set_args sh -c '/keytool add secret s3cr3t show >/vol/victim.tmp && mv /vol/victim.tmp /vol/victim && exec sleep 1000'
	rtt run -d --bundle "$B" "$CID" </dev/null >/dev/null
	wait_for_file "$VOL/victim"
	local serial
	serial=$(awk '$1 == "session" {print $2}' "$VOL/victim")
	[ -n "$serial" ]
	# another container of the same config: the name runc gives, then the serial
	set_args sh -c "/keytool join _ses.$CID show; /keytool link $serial show; true"
	run -0 rtt run --bundle "$B" "$CID-a" </dev/null
	local escaped=0
	[[ "$output" != *s3cr3t* ]] || escaped=1
	verdict "$escaped" "another container read a container's session key ($output)" \
		"an unpredictable keyring name and search-only permissions for others"
	# the container's own processes still share it: exec joins it
	run -0 rtt exec "$CID" /keytool show
	[[ "$output" == *"session $serial "* ]]
	[[ "$output" == *"key secret=s3cr3t"* ]]
}

# The other way round: a container that made (and kept) a keyring under the name of a
# container not created yet, searchable by all, had that container's init join it instead of
# a keyring of its own, and saw every key put there.
@test "keyring: a keyring another container made under a container's name before its create is not its keyring" {
	keyring_bundle
	set_args /keytool join "_ses.$CID-v" perm 3f3f3f3f add planted by-attacker exec sh -c 'touch /vol/ready && exec sleep 1000'
	rtt run -d --bundle "$B" "$CID" </dev/null >/dev/null
	wait_for_file "$VOL/ready"
	set_args /keytool show
	run -0 rtt run --bundle "$B" "$CID-v" </dev/null
	local escaped=0
	[[ "$output" != *by-attacker* ]] || escaped=1
	verdict "$escaped" "a container's init joined a keyring planted by another ($output)" \
		"an unpredictable keyring name"
	[[ "$output" == "session "*" _ses.$CID-v"* ]]
}

# at_terminal TYPING ARG...: the runtime with ARG... from a caller at a terminal
# (42-run-exec-caller.py: TYPING, its STATUS: and GOT: lines), then "ECHO:1" or "ECHO:0",
# whether that terminal still echoes once the runtime returned; output in $output.
at_terminal() {
	local typing=$1
	shift
	run timeout -k 5 30 python3 "$BATS_TEST_DIRNAME/42-run-exec-caller.py" "$typing" \
		sh -c '"$@"; s=$?; python3 -c "import termios; print(\"ECHO:%d\" % bool(termios.tcgetattr(0)[3] & termios.ECHO))"; exit $s' \
		sh "$RUNTIME" --root "$ROOT" "$@"
	assert_success
}

# Finding 2 (run/container_create.c): run in the foreground without a terminal in the config
# handed a terminal of the caller's to the container as its stdio. Its processes could set
# that terminal's modes (no echo, raw, output stopped) for the caller's shell after run
# returned, and read it and write it as it pleased. runc relays a foreground run's stdio
# through pipes; oci-run's exec already did for a terminal of the caller's. Now run does too.
@test "attack: run in the foreground from a terminal without process.terminal never hands the container that terminal" {
	set_args sh -c 'stty -echo; [ -t 0 ] && echo stdin-is-a-tty; read l; echo "read:$l"; exit 3'
	at_terminal 'during:typed-in\n' run --bundle "$B" "$CID"
	assert_output_contains "STATUS:3"
	assert_output_contains "read:typed-in"
	local escaped=0
	[[ "$output" != *ECHO:0* && "$output" != *stdin-is-a-tty* ]] || escaped=1
	verdict "$escaped" "the container had the caller's terminal and turned its echo off ($output)" \
		"a relay through pipes for a foreground run's terminal stdio"
	assert_output_contains "ECHO:1"
}

# Finding 4 (run/container_exec.c): exec's process, a fork of the runtime until its own exec,
# showed every process of the container the runtime's command line (its state root, the pid
# file, console socket and --process paths, --env values: /proc/PID/cmdline needs no right
# over the process) and, to one with CAP_SYS_PTRACE (a user's choice, for strace or gdb),
# the caller's whole environment. runc's helper there is a fresh "runc init". Both are
# blanked before that process exists.
@test "attack: exec's process shows the container neither the runtime's command line nor the caller's environment" {
	build_watcher
	VOL=$BATS_TEST_TMPDIR/vol
	mkdir -p "$VOL"
	edit_config '.process.capabilities |= with_entries(.value += ["CAP_SYS_PTRACE"])'
	edit_config ".mounts += [{destination: \"/vol\", type: \"bind\", source: \"$VOL\", options: [\"rbind\"]},
		{destination: \"/watcher\", type: \"bind\", source: \"$WATCHER\", options: [\"bind\", \"ro\"]}]"
	set_args sh -c '/watcher 6 /vol/ready /vol/seen.tmp && mv /vol/seen.tmp /vol/seen && exec sleep 1000'
	rtt run -d --bundle "$B" "$CID" </dev/null >/dev/null
	wait_for_file "$VOL/ready"
	local secret=$BATS_TEST_TMPDIR/host-secret-dir
	mkdir -p "$secret"
	local i
	for i in 1 2 3 4 5 6 7 8; do
		OCI_TEST_SECRET=env-secret-$$ rtt exec --pid-file "$secret/exec.pid" "$CID" true
	done
	wait_for_file "$VOL/seen"
	# the watcher saw exec's processes before their exec (their comm is the runtime's)
	local forks
	forks=$(grep -c '^comm [^t]' "$VOL/seen" || true)
	echo "processes seen before their exec: $forks" >&3
	[ "$forks" -ge 1 ]
	local escaped=0
	! grep -q -e host-secret-dir -e "env-secret-$$" "$VOL/seen" || escaped=1
	verdict "$escaped" "the container read the runtime's command line or the caller's environment" \
		"blanking them in exec's helper before it forks the process"
}

# The same for the init of a created container, waiting for start: a fork of create until
# its exec, and dumpable, so a process exec'd into it (the image's programs) read the
# runtime's command line and the caller's whole environment from /proc/1 with no capability.
@test "attack: a created container's init shows an exec'd process neither the runtime's command line nor the caller's environment" {
	local secret=$BATS_TEST_TMPDIR/host-secret-dir
	mkdir -p "$secret"
	OCI_TEST_SECRET=env-secret-$$ rt_create --pid-file "$secret/init.pid" "$CID" || {
		cat "$BATS_TEST_TMPDIR/create.err"
		false
	}
	# (environ is refused where the init is not dumpable)
	run -0 rtt exec "$CID" sh -c 'tr "\0" " " </proc/1/cmdline && echo " cmdline-read"; tr "\0" " " </proc/1/environ; true'
	assert_output_contains cmdline-read
	local escaped=0
	[[ "$output" != *host-secret-dir* && "$output" != *env-secret-$$* ]] || escaped=1
	verdict "$escaped" "a process in a created container read the runtime's command line or the caller's environment ($output)" \
		"blanking them in the init"
	# and the container still starts and runs its process
	rt start "$CID"
	wait_status "$CID" stopped
}

# Finding 6 (run/signals.c): exec --tty (and run with a terminal) in the foreground wrote the
# caller's input to the pty non-blocking and dropped what did not fit: a process that read
# nothing for a while (or one that chose not to) lost all the caller typed or pasted beyond
# what the pty holds, silently. runc writes it all. Now it waits for room.
@test "attack: exec --tty: what the caller sends while the process reads nothing reaches it whole" {
	set_args sleep 100
	rtt run -d --bundle "$B" "$CID" </dev/null >/dev/null
	# a caller at a terminal that sends 100000 bytes once the process says it is in raw mode,
	# while it sleeps; the process then counts what it gets
	run timeout -k 5 40 python3 -c '
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out, data, sent = b"", b"a" * 100000, -1
while True:
    want = [fd] if 0 <= sent < len(data) else []
    r, w, _ = select.select([fd], want, [], 0.1)
    if r:
        try:
            b = os.read(fd, 65536)
        except OSError:
            break
        if not b:
            break
        out += b
        if sent < 0 and b"RAW" in out:
            sent = 0
    if w:
        sent += os.write(fd, data[sent:sent + 4096])
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
' "$RUNTIME" --root "$ROOT" exec -t "$CID" sh -c 'stty raw -echo && echo RAW && sleep 2 && timeout 10 head -c 100000 | wc -c'
	assert_success
	local got
	got=$(grep -o '^[0-9]*$' <<<"$output" | tail -1)
	local escaped=0
	[ "$got" = 100000 ] || escaped=1
	verdict "$escaped" "the process got $got of the 100000 bytes the caller sent" \
		"writing the caller's input to the pty as it makes room"
}
