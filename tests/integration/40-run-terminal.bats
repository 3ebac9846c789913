#!/usr/bin/env bats
# oci-run terminals: the pty master handed to --console-socket (one fd, one SCM_RIGHTS
# message), and the default terminal config run interactively in the foreground under tmux.

load ../lib/common
load ../lib/tmux
load 40-run-lib

setup() {
	require_root
	setup_bundle
	cd "$B"
	# unix socket paths are short: keep them out of the long bats paths
	SOCKDIR=$(mktemp -d /tmp/ocirun-sock.XXXXXX)
}

teardown() {
	[ -n "${RECV_PID:-}" ] && kill "$RECV_PID" 2>/dev/null
	[ -n "${TMUX_SESSION:-}" ] && tmux kill-session -t "$TMUX_SESSION" 2>/dev/null
	cleanup_containers
	rm -rf "$SOCKDIR"
}

start_receiver() {
	python3 "$BATS_TEST_DIRNAME/40-run-console-socket.py" "$SOCKDIR/console.sock" "$SOCKDIR/ready" "${1:-}" \
		>"$SOCKDIR/recv.out" 2>"$SOCKDIR/recv.err" &
	RECV_PID=$!
	wait_for_file "$SOCKDIR/ready"
}

@test "--console-socket receives the pty master; the container's stdio is that terminal" {
	require_cmd python3
	edit_config '.process.terminal = true'
	set_args sh -c 'tty; [ -t 1 ] && echo is-a-tty; stat -c %t:%T /dev/console'
	start_receiver
	rt create --bundle "$B" --console-socket "$SOCKDIR/console.sock" "$CID" </dev/null >"$SOCKDIR/create.out" 2>&1 || {
		cat "$SOCKDIR/create.out" "$SOCKDIR/recv.err"
		false
	}
	rt start "$CID"
	wait "$RECV_PID" || { cat "$SOCKDIR/recv.err"; false; }
	RECV_PID=
	run cat "$SOCKDIR/recv.out"
	[[ "${lines[0]}" == pty-name:* ]]
	assert_output_contains /dev/pts/0
	assert_output_contains is-a-tty
	# /dev/console is the same pty (unix98 pty major 136)
	assert_output_contains "88:0"
}

@test "attack: a console socket that never accepts fails create in one line, leaving nothing" {
	# A listener whose backlog is full (listen(0) and one connection it never accepts) used
	# to block create in connect(2) for ever, with its signals blocked; runc fails at once.
	peer_is crun "waits in connect(2) for ever"
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(0)
c = socket.socket(socket.AF_UNIX); c.connect(sys.argv[1])
open(sys.argv[2], "w").close(); time.sleep(90)' "$SOCKDIR/console.sock" "$SOCKDIR/ready" >/dev/null 2>&1 &
	RECV_PID=$!
	wait_for_file "$SOCKDIR/ready"
	edit_config '.process.terminal = true'
	set_args sleep 4242
	rt_fails_within 20 create --bundle "$B" --console-socket "$SOCKDIR/console.sock" "$CID"
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "console socket '$SOCKDIR/console.sock': nothing accepted the connection within 10s"
	fi
	run rt list -q
	[ -z "$output" ]
	! pgrep -f -x 'sleep 4242' || false
}

@test "terminal without --console-socket when detaching is an error" {
	edit_config '.process.terminal = true'
	set_args true
	run rt create --bundle "$B" "$CID" </dev/null
	assert_failure
	run rt list -q
	[ -z "$output" ]
}

@test "run of a terminal config with no terminal on stdin fails at once and says what to do" {
	# runc: "open /dev/tty: no such device or address"; a relay from /dev/null would leave
	# the shell waiting for input forever.
	edit_config '.process.terminal = true | .process.args = ["sh"]'
	rt_fails_within 10 run --bundle "$B" "$CID"
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "process.terminal is true but stdin is not a terminal"
		assert_output_contains "--console-socket"
		assert_output_contains "oci-bundle edit --no-terminal"
	fi
	run rt list -q
	[ -z "$output" ]
	# what the message suggests works
	"$OCI_BUNDLE" edit -b "$B" --no-terminal -- echo no-tty-needed
	run rt run --bundle "$B" "$CID" </dev/null
	assert_success
	[ "$output" = no-tty-needed ]
}

@test "run of the default terminal config works interactively under tmux" {
	peer_is crun "in the foreground: stty cannot read the pty (stty: standard input)"
	require_cmd tmux
	edit_config '.process.terminal = true | .process.args = ["sh"]'
	tmux_shell ocirun$$ "cd '$B' && '$RUNTIME' --root '$ROOT' run $CID" "$SOCKDIR/status" \
		'echo answer=$((6*7)); stty size; tty' 5
	assert_output_contains answer=42
	# the window size reached the container's terminal
	assert_output_contains "30 100"
	assert_output_contains /dev/pts/0
	[ "$(cat "$SOCKDIR/status")" = exit-status=5 ]
}

@test "run in the foreground forwards SIGWINCH as a new terminal size" {
	peer_is crun "in the foreground: stty cannot read the pty (stty: standard input)"
	require_cmd tmux
	edit_config '.process.terminal = true | .process.args = ["sh"]'
	TMUX_SESSION=ocirunw$$
	tmux new-session -d -s "$TMUX_SESSION" -x 100 -y 30 "cd '$B' && '$RUNTIME' --root '$ROOT' run $CID; sleep 30"
	wait_until 10 "the container's shell prompt" 'tmux capture-pane -p -t "$TMUX_SESSION" | grep -q "#"'
	tmux resize-window -t "$TMUX_SESSION" -x 90 -y 20 2>/dev/null || tmux resize-pane -t "$TMUX_SESSION" -x 90 -y 20
	sleep 0.3
	tmux send-keys -t "$TMUX_SESSION" 'stty size' Enter
	sleep 0.5
	run tmux capture-pane -p -t "$TMUX_SESSION"
	assert_output_contains "20 90"
	tmux send-keys -t "$TMUX_SESSION" 'exit' Enter
}

@test "the container's pty belongs to its user, and process.consoleSize is its first size" {
	require_cmd python3
	edit_config '.process.terminal = true | .process.user = {uid: 1000, gid: 1000} | .process.consoleSize = {height: 40, width: 123}'
	set_args sh -c 'echo "owner=$(stat -c %u "$(tty)")"; echo "size=$(stty size)"'
	start_receiver
	rt create --bundle "$B" --console-socket "$SOCKDIR/console.sock" "$CID" </dev/null >"$SOCKDIR/create.out" 2>&1 || {
		cat "$SOCKDIR/create.out" "$SOCKDIR/recv.err"
		false
	}
	rt start "$CID"
	wait "$RECV_PID" || { cat "$SOCKDIR/recv.err"; false; }
	RECV_PID=
	run cat "$SOCKDIR/recv.out"
	assert_output_contains "owner=1000"
	assert_output_contains "size=40 123"
}
