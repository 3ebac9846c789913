#!/usr/bin/env bats
# A container as a system service (issue 7): the sequences systemd runs for the two units of
# examples/systemd, driven from this script the way systemd would drive them, and what
# `run -d` must guarantee for them (detached from the caller's pipes and terminal, pid file
# written before it exits, nothing left after stop). Runs against any runtime:
# RUNTIME=runc tests/run.sh 51-service.

load ../lib/common
load 40-run-lib

setup() {
	require_root
	setup_bundle
	PF=$BATS_TEST_TMPDIR/$CID.pid
	CG=/oci-svc-$CID
	edit_config ".linux.cgroupsPath = \"$CG\""
}

teardown() {
	[ -z "${TMUX_SESSION:-}" ] || tmux kill-session -t "$TMUX_SESSION" 2>/dev/null || true
	if [ -n "${RTPID:-}" ] && kill -0 "$RTPID" 2>/dev/null; then
		kill -KILL "$RTPID" 2>/dev/null || true
		wait "$RTPID" 2>/dev/null || true
	fi
	cleanup_containers
}

# A service that stops cleanly on SIGTERM (a busybox sh as pid 1 ignores it otherwise).
service_args() {
	set_args sh -c "trap 'exit ${1:-0}' TERM; sleep 1000 & wait"
}

# unit_cmd UNIT KEY: the command of KEY (ExecStart, ExecStop...) in examples/systemd/UNIT,
# for this test: the runtime under test with its state root, our pid file and id. A leading
# "-" (failure ignored by systemd) is dropped: the tests want to see the status.
unit_cmd() {
	local line
	line=$(sed -n "s/^$2=//p" "$TOP/examples/systemd/$1" | head -1)
	[ -n "$line" ] || { echo "$1 has no $2" >&2; return 1; }
	line=${line#-}
	line=${line//\/usr\/local\/bin\/oci-run/$RUNTIME --root $ROOT}
	line=${line//\/run\/mycontainerid.pid/$PF}
	echo "${line//mycontainerid/$CID}"
}

# unit_run UNIT KEY: run that command from WorkingDirectory (the bundle), with stdio on files
# (systemd gives the journal), setting status and output as bats' run does.
unit_run() {
	local cmd
	cmd=$(unit_cmd "$1" "$2") || return 1
	status=0
	# shellcheck disable=SC2086 # the unit's command line is split on spaces, as systemd does
	(cd "$B" && exec $cmd) </dev/null >"$BATS_TEST_TMPDIR/$2.out" 2>"$BATS_TEST_TMPDIR/$2.err" || status=$?
	output=$(cat "$BATS_TEST_TMPDIR/$2.out" "$BATS_TEST_TMPDIR/$2.err")
}

exec_start() {
	unit_run mycontainer.service ExecStart
	[ "$status" = 0 ] || { echo "$output" >&2; return 1; }
}

# nothing_left PIDNS: no state, no live process in the container's pid namespace (a zombie
# is dead, and reaping it is its parent's job: systemd, or PID 1 here after run -d), no mount
# of the bundle on the host, no cgroup directory of the container.
nothing_left() {
	local ns=$1 p
	[ ! -e "$ROOT/$CID" ]
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" != "$ns" ] ||
			[ "$(sed 's/.*) //' "$p/stat" 2>/dev/null | cut -c1)" = Z ] || {
			echo "process ${p#/proc/} is still in the container's pid namespace" >&2
			return 1
		}
	done
	! grep -F " $B" /proc/self/mountinfo || false
	! grep -F " $(shared_rootfs)" /proc/self/mountinfo || false
	! ls -d /sys/fs/cgroup/*"$CG" 2>/dev/null || false
}

@test "Type=forking: run -d --pid-file, the pid is the container's init; kill TERM, delete --force: nothing left" {
	service_args 0
	# the unit is a forking one that reads the pid file its ExecStart writes
	grep -qx Type=forking "$TOP/examples/systemd/mycontainer.service"
	grep -qx PIDFile=/run/mycontainerid.pid "$TOP/examples/systemd/mycontainer.service"
	[[ "$(unit_cmd mycontainer.service ExecStart)" == *" run -d --pid-file $PF $CID" ]]
	# ExecStartPre=-oci-run delete --force: no such container yet, exit 0
	unit_run mycontainer.service ExecStartPre
	assert_success
	exec_start
	# the pid file is there when ExecStart exits: decimal, no newline
	[ -f "$PF" ]
	pid=$(cat "$PF")
	[[ "$pid" =~ ^[1-9][0-9]*$ ]]
	[ "$(wc -l <"$PF")" = 0 ]
	# systemd's main pid: alive, the container's init (pid 1 of its own namespace), running
	kill -0 "$pid"
	[ "$(awk '/^NSpid:/ {print $NF}' /proc/$pid/status)" = 1 ]
	[ "$(rt_state_field "$CID" pid)" = "$pid" ]
	[ "$(rt_state_field "$CID" status)" = running ]
	ns=$(readlink /proc/$pid/ns/pid)
	[ "$ns" != "$(readlink /proc/self/ns/pid)" ]
	# its own session: the caller's terminal and job control cannot reach it
	[ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ]
	# placed in its cgroup
	grep -qx "$pid" /sys/fs/cgroup/pids"$CG"/cgroup.procs
	# ExecStop=oci-run kill ID TERM
	unit_run mycontainer.service ExecStop
	assert_success
	wait_status "$CID" stopped
	# ExecStopPost=oci-run delete --force ID
	unit_run mycontainer.service ExecStopPost
	assert_success
	nothing_left "$ns"
}

@test "Type=forking: a container that exits on its own is stopped, and ExecStopPost deletes it" {
	set_args sh -c 'sleep 0.3; exit 3'
	exec_start
	pid=$(cat "$PF")
	ns=$(readlink /proc/$pid/ns/pid)
	wait_status "$CID" stopped
	run rt state "$CID"
	assert_success
	[ "$(jq -r .pid <<<"$output")" = 0 ]
	unit_run mycontainer.service ExecStopPost
	assert_success
	nothing_left "$ns"
	# a second stop finds nothing and is still fine
	unit_run mycontainer.service ExecStopPost
	assert_success
}

@test "run -d detaches: a closed stdout pipe and a hung-up terminal of the caller leave it running" {
	# Stopping on HUP would show a hangup reaching it; it writes nothing to its stdout.
	set_args sh -c "trap 'exit 9' HUP; trap 'exit 0' TERM; sleep 1000 & wait"
	# run -d from a subshell whose stdout pipe is closed by its reader right away
	(cd "$B" && exec "$RUNTIME" --root "$ROOT" run -d --pid-file "$PF" "$CID" 2>"$BATS_TEST_TMPDIR/err") </dev/null | (exit 0)
	[ "${PIPESTATUS[0]}" = 0 ] || { cat "$BATS_TEST_TMPDIR/err"; false; }
	[ -s "$PF" ]
	sleep 0.3
	[ "$(rt_state_field "$CID" status)" = running ]
	run rt delete --force "$CID"
	assert_success

	# run -d from a shell on a terminal that then goes away: the shell (session leader) gets
	# SIGHUP and its exit hangs up its foreground process group
	require_cmd tmux
	rm -f "$PF"
	TMUX_SESSION=svc-$CID
	tmux new-session -d -s "$TMUX_SESSION" -x 80 -y 24 \
		"cd '$B' && '$RUNTIME' --root '$ROOT' run -d --pid-file '$PF' '$CID'; sleep 600"
	wait_for_file -s "$PF"
	wait_status "$CID" running
	tmux kill-session -t "$TMUX_SESSION"
	TMUX_SESSION=
	sleep 0.5
	[ "$(rt_state_field "$CID" status)" = running ]
	run rt kill "$CID" TERM
	assert_success
	wait_status "$CID" stopped
	run rt delete "$CID"
	assert_success
}

@test "Type=simple: SIGTERM to the foreground runtime reaches the container, its exit status is the unit's" {
	# a container that traps TERM exits with its own code
	service_args 42
	grep -qx Type=simple "$TOP/examples/systemd/mycontainer-foreground.service"
	cmd=$(unit_cmd mycontainer-foreground.service ExecStart)
	[[ "$cmd" == *" run $CID" ]]
	unit_run mycontainer-foreground.service ExecStartPre
	assert_success
	# shellcheck disable=SC2086
	(cd "$B" && exec $cmd) </dev/null >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	RTPID=$!
	wait_status "$CID" running
	pid=$(rt_state_field "$CID" pid)
	ns=$(readlink /proc/$pid/ns/pid)
	kill -TERM "$RTPID"
	st=0
	wait "$RTPID" || st=$?
	RTPID=
	[ "$st" = 42 ] || { echo "exit $st" >&2; cat "$BATS_TEST_TMPDIR/err" >&2; false; }
	# ExecStopPost=-oci-run delete --force: the foreground runtime already removed it
	unit_run mycontainer-foreground.service ExecStopPost
	assert_success
	nothing_left "$ns"
}

@test "Type=simple: a container killed by the forwarded SIGTERM makes the runtime exit 143" {
	# without a pid namespace of its own, the process dies of SIGTERM's default action
	edit_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sleep 1000
	"$RUNTIME" --root "$ROOT" run --bundle "$B" "$CID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	RTPID=$!
	wait_status "$CID" running
	kill -TERM "$RTPID"
	st=0
	wait "$RTPID" || st=$?
	RTPID=
	[ "$st" = 143 ] || { echo "exit $st" >&2; cat "$BATS_TEST_TMPDIR/err" >&2; false; }
	run rt delete --force "$CID"
	assert_success
	[ ! -e "$ROOT/$CID" ]
	! ls -d /sys/fs/cgroup/*"$CG" 2>/dev/null || false
}

@test "systemd: a transient unit with the forking sequence" {
	[ "$(ps -p 1 -o comm=)" = systemd ] || skip "systemd is not PID 1 here (PID 1 is $(ps -p 1 -o comm=))"
	require_cmd systemd-run systemctl
	service_args 0
	unit=oci-svc-$CID
	run systemd-run --unit "$unit" -p Type=forking -p PIDFile="$PF" -p WorkingDirectory="$B" \
		-p ExecStop="$RUNTIME --root $ROOT kill $CID TERM" \
		-p ExecStopPost="$RUNTIME --root $ROOT delete --force $CID" \
		"$RUNTIME" --root "$ROOT" run -d --pid-file "$PF" "$CID"
	assert_success
	[ "$(systemctl show -p MainPID --value "$unit")" = "$(cat "$PF")" ]
	[ "$(rt_state_field "$CID" status)" = running ]
	pid=$(cat "$PF")
	ns=$(readlink /proc/$pid/ns/pid)
	systemctl stop "$unit"
	nothing_left "$ns"
}
