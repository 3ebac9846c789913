# An interactive shell on a real terminal of a known size (100x30), for the tests of `-it`:
# a detached tmux session runs the command line, the test types into it and reads the pane.
# Load with `load ../lib/tmux`; the file's teardown kills a session left in $TMUX_SESSION:
#   [ -z "${TMUX_SESSION:-}" ] || tmux kill-session -t "$TMUX_SESSION" 2>/dev/null || true

# tmux_shell NAME CMDLINE STATUS KEYS EXIT: runs CMDLINE (which ends in an interactive sh) in
# tmux session NAME, waits for the shell's '#' prompt, types KEYS then `exit EXIT`, and waits
# until the command line has ended, which writes "exit-status=N" into the file STATUS. The
# pane's text is left in $output (as `run` sets it), the session is gone.
tmux_shell() {
	local name=$1 cmdline=$2 status=$3 keys=$4 code=$5 i
	TMUX_SESSION=$name
	tmux new-session -d -s "$name" -x 100 -y 30 \
		"$cmdline; echo exit-status=\$? >'$status'; sleep 30"
	wait_until 10 "the shell's '#' prompt in tmux session $name" "tmux capture-pane -p -t '$name' | grep -q '#'" || return 1
	tmux send-keys -t "$name" "$keys" Enter
	sleep 0.5
	tmux send-keys -t "$name" "exit $code" Enter
	wait_for_file -s "$status" 5 || return 1
	run tmux capture-pane -p -t "$name"
	tmux kill-session -t "$name"
	TMUX_SESSION=
}
