#!/usr/bin/env bats
# oci-run lifecycle: the seed workflow (spec, create, list, start, list, delete), state and
# list output, run exit status, run -d with a pid file, kill, delete. Runs against any
# runtime: RUNTIME=runc tests/run.sh 40-run.

load ../lib/common
load 40-run-lib

setup() {
	require_root
	setup_bundle
}

teardown() {
	# bind mounts a test put over files of the container's cgroups
	if [ -f "$BATS_TEST_TMPDIR/mounts" ]; then
		xargs -r umount <"$BATS_TEST_TMPDIR/mounts" || true
	fi
	cleanup_containers
}

# wait_children PID N: PID's children once it has N of them (within 10 s), one a word; fails
# when it has not (used in `$( )`, where only its status reaches the test).
wait_children() {
	wait_until 10 "process $1 to have $2 children" "[ \"\$(wc -w </proc/$1/task/$1/children)\" = $2 ]" || return 1
	cat "/proc/$1/task/$1/children"
}

# none_alive PID...: none of the processes is alive (tests/lib's proc_alive).
none_alive() {
	local p
	for p in "$@"; do
		! proc_alive "$p" || return 1
	done
}

# init_gone PID BORN: process PID, born at BORN (stat's starttime), is gone or a zombie; it
# reads stat once, so a process that vanishes between two reads cannot fail it, and another
# process under that pid later is not the init.
init_gone() {
	local st f
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	read -ra f <<<"${st##*) }"
	[ "${f[19]}" != "$2" ] || [ "${f[0]}" = Z ]
}

@test "seed workflow: spec, create, list, start, list, delete" {
	mkdir -p "$BATS_TEST_TMPDIR/seed" && cd "$BATS_TEST_TMPDIR/seed"
	run "$OCI_BUNDLE" spec
	assert_success
	B=$PWD
	edit_config ".root.path = \"$(shared_rootfs)\" | .process.args = [\"sleep\", \"5\"] | .process.terminal = false"
	if is_crun; then
		edit_config '.ociVersion = "1.0.2-dev"'
	fi
	rt create seed </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err" || { cat "$BATS_TEST_TMPDIR/err"; false; }
	run rt list
	assert_success
	[[ "${lines[0]}" == "ID"*"PID"*"STATUS"*"BUNDLE"*"CREATED"*"OWNER" ]]
	[[ "${lines[1]}" =~ ^seed\ +[1-9][0-9]*\ +created\ +$PWD\ + ]]
	run rt start seed
	assert_success
	run rt list
	[[ "${lines[1]}" =~ ^seed\ +[1-9][0-9]*\ +running\ +$PWD\ + ]]
	pid=$(rt_state_field seed pid)
	[ -d /proc/"$pid" ]
	run rt delete seed
	assert_failure
	run rt kill seed KILL
	assert_success
	wait_status seed stopped
	run rt delete seed
	assert_success
	run rt list -q
	assert_success
	[ -z "$output" ]
	[ ! -d /proc/"$pid" ] || [ "$(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null)" = Z ] || ! grep -q sleep /proc/"$pid"/cmdline || false
}

@test "state JSON has runc's fields in runc's order" {
	is_crun && skip "crun 1.8's state adds systemd-scope"
	set_args sleep 10
	rt_create "$CID"
	run rt state "$CID"
	assert_success
	keys=$(jq -c 'keys_unsorted' <<<"$output")
	[ "$keys" = '["ociVersion","id","pid","status","bundle","rootfs","created","owner"]' ]
	[ "$(jq -r .id <<<"$output")" = "$CID" ]
	[ "$(jq -r .status <<<"$output")" = created ]
	[ "$(jq -r .bundle <<<"$output")" = "$B" ]
	[ "$(jq -r .rootfs <<<"$output")" = "$(shared_rootfs)" ]
	jq -r .created <<<"$output" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+Z$'
	pid=$(jq -r .pid <<<"$output")
	[ "$pid" -gt 1 ]
	[ -d "/proc/$pid" ]
	# The init waits in the container's namespaces before start.
	[ "$(readlink /proc/$pid/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]
}

@test "annotations appear in state" {
	edit_config '.annotations = {"org.example.key": "value"}'
	set_args sleep 10
	rt_create "$CID"
	run rt state "$CID"
	assert_success
	[ "$(jq -r '.annotations["org.example.key"]' <<<"$output")" = value ]
}

@test "list --format json and -q" {
	is_crun && skip "crun 1.8's list JSON has no ociVersion and rootfs"
	set_args sleep 10
	rt_create "$CID"
	run rt list --format json
	assert_success
	[ "$(jq -r '.[0].id' <<<"$output")" = "$CID" ]
	[ "$(jq -r '.[0].status' <<<"$output")" = created ]
	[ "$(jq -r '.[0].owner' <<<"$output")" = root ]
	[ "$(jq -c '.[0] | keys_unsorted' <<<"$output")" = '["ociVersion","id","pid","status","bundle","rootfs","created","owner"]' ]
	run rt list -q
	[ "$output" = "$CID" ]
	rt delete --force "$CID"
	run rt list --format json
	assert_success
	[ "$output" = null ]
}

@test "start twice fails; create with an existing id fails" {
	set_args sleep 10
	rt_create "$CID"
	run rt start "$CID"
	assert_success
	run rt start "$CID"
	assert_failure
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "cannot start container '$CID': it is already running"
	fi
	run rt create --bundle "$B" "$CID"
	assert_failure
	[ "$(rt_state_field "$CID" status)" = running ]
}

@test "run exits with the container's status" {
	set_args sh -c 'echo out; echo err >&2; exit 7'
	cd "$B"
	run rt run "$CID"
	[ "$status" -eq 7 ]
	assert_output_contains out
	assert_output_contains err
	# run removes the container when it exits.
	run rt list -q
	[ -z "$output" ]
}

@test "run and delete leave no state directory; the emptied ones in .trash go at the next create" {
	set_args true
	rt run --bundle "$B" "$CID" </dev/null
	[ ! -e "$ROOT/$CID" ]
	[ -z "$(rt list -q)" ]
	rt_create "$CID-2"
	rt delete "$CID-2"
	[ ! -e "$ROOT/$CID-2" ]
	[ -z "$(rt list -q)" ]
	is_oci_run || return 0
	# delete moved its directory there, empty (docs/RUNTIME.md); the create of $CID-2
	# removed the one the run had moved there
	run ls -A "$ROOT/.trash"
	[ "${#lines[@]}" = 1 ]
	[[ "$output" == "$CID-2".[0-9]* ]]
	[ -z "$(find "$ROOT/.trash" -mindepth 2)" ]
	[ "$(stat -c '%a %u' "$ROOT/.trash")" = "700 $(id -u)" ]
	# a trash entry is no container
	run rt state .trash
	assert_failure
	run rt delete ".trash/$CID-2.1"
	assert_failure
	# the next create removes what was there when it started, its own goes there at its end
	rt run --bundle "$B" "$CID" </dev/null
	run ls -A "$ROOT/.trash"
	[ "${#lines[@]}" = 1 ]
	[[ "$output" == "$CID".[0-9]* ]]
	# a .trash that others may enter is not used: the directory is removed as before
	rm -rf "$ROOT/.trash"
	mkdir -m 755 "$ROOT/.trash"
	touch "$ROOT/.trash/kept"
	rt run --bundle "$B" "$CID" </dev/null
	[ ! -e "$ROOT/$CID" ]
	[ "$(ls -A "$ROOT/.trash")" = kept ]
}

@test "run --keep leaves the stopped container for delete; create has no --keep" {
	is_crun && skip "crun 1.8 has no run --keep"
	set_args sh -c 'exit 3'
	run rt run --keep --bundle "$B" "$CID" </dev/null
	[ "$status" -eq 3 ]
	[ "$(rt_state_field "$CID" status)" = stopped ]
	run rt list -q
	[ "$output" = "$CID" ]
	run rt delete "$CID"
	assert_success
	run rt list -q
	[ -z "$output" ]
	! find /sys/fs/cgroup -maxdepth 4 -type d -name "$CID" 2>/dev/null | grep -q . || false
	# runc's create has no --keep either: it is run's, so create refuses it
	run rt create --keep --bundle "$B" "$CID" </dev/null
	assert_failure
	run rt list -q
	[ -z "$output" ]
}

@test "run exits with 128+N when the container is killed by signal N" {
	cd "$B"
	set_args sleep 30
	(wait_status "$CID" running && rt kill "$CID" KILL) &
	run rt run "$CID"
	wait
	[ "$status" -eq 137 ]
}

@test "run forwards signals to the container" {
	set_args sh -c 'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.1; done'
	cd "$B"
	"$RUNTIME" --root "$ROOT" run "$CID" >"$BATS_TEST_TMPDIR/out" 2>&1 </dev/null &
	rpid=$!
	wait_until 10 "the container to print ready" grep -q ready "$BATS_TEST_TMPDIR/out"
	kill -TERM "$rpid"
	wait "$rpid" && st=0 || st=$?
	[ "$st" -eq 42 ]
	grep -q got-term "$BATS_TEST_TMPDIR/out"
}

@test "run -d --pid-file: detached, pid file is the decimal pid without newline" {
	set_args sleep 30
	cd "$B"
	# The container inherits run's stdio: keep it off bats' pipes.
	rt run -d --pid-file "$BATS_TEST_TMPDIR/pid" "$CID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1
	[ -f "$BATS_TEST_TMPDIR/pid" ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/pid")" -eq 0 ]
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	[[ "$pid" =~ ^[0-9]+$ ]]
	[ "$pid" = "$(rt_state_field "$CID" pid)" ]
	[ "$(rt_state_field "$CID" status)" = running ]
	grep -q sleep "/proc/$pid/cmdline"
	# no temporary files left beside the pid file
	[ "$(ls "$BATS_TEST_TMPDIR" | grep -c pid)" -eq 1 ]
}

@test "a container that exits on its own is stopped, then deleted" {
	set_args true
	rt_create "$CID"
	rt start "$CID"
	wait_status "$CID" stopped
	[ "$(rt_state_field "$CID" pid)" = 0 ]
	run rt delete "$CID"
	assert_success
	run rt state "$CID"
	assert_failure
}

@test "kill accepts names with and without SIG, and numbers" {
	set_args sh -c 'trap "echo usr1 >>/dev/shm/sig" USR1; trap "echo hup >>/dev/shm/sig" HUP; touch /dev/shm/ready; while :; do sleep 0.05; done'
	rt_create "$CID"
	rt start "$CID"
	pid=$(rt_state_field "$CID" pid)
	# the traps are set once the container says so (a fixed sleep flakes under load)
	wait_for_file "/proc/$pid/root/dev/shm/ready" 20
	run rt kill "$CID" SIGUSR1
	assert_success
	run rt kill "$CID" HUP
	assert_success
	wait_until 20 "the container to record the HUP" 'grep -q hup "/proc/$pid/root/dev/shm/sig" 2>/dev/null'
	[ "$(grep -c usr1 /proc/$pid/root/dev/shm/sig)" -eq 1 ]
	[ "$(grep -c hup /proc/$pid/root/dev/shm/sig)" -eq 1 ]
	run rt kill "$CID" 9
	assert_success
	wait_status "$CID" stopped
	run rt kill "$CID" NOSUCHSIGNAL
	assert_failure
}

@test "kill --all reaches every process of the container" {
	set_args sh -c 'sleep 100 & sleep 100 & wait'
	rt_create "$CID"
	rt start "$CID"
	pid=$(rt_state_field "$CID" pid)
	kids=$(wait_children "$pid" 2)
	[ -n "$kids" ]
	run rt kill --all "$CID" KILL
	assert_success
	wait_status "$CID" stopped
	for k in $kids; do ! grep -q sleep /proc/$k/cmdline 2>/dev/null || false; done
}

@test "delete: running fails without --force, --force kills, missing with --force is fine" {
	set_args sleep 30
	rt_create "$CID"
	rt start "$CID"
	pid=$(rt_state_field "$CID" pid)
	run rt delete "$CID"
	assert_failure
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "is not stopped: running (kill it first, or use delete --force)"
	fi
	[ -d /proc/$pid ]
	run rt delete --force "$CID"
	assert_success
	! grep -q sleep /proc/$pid/cmdline 2>/dev/null || false
	run rt delete --force "$CID"
	assert_success
	run rt delete "$CID"
	assert_failure
	run rt delete --force nosuchcontainer
	assert_success
}

@test "delete of a created container kills its waiting init" {
	set_args sleep 30
	rt_create "$CID"
	pid=$(rt_state_field "$CID" pid)
	# the init's start time (field 22 of stat, the 20th after the command's closing
	# parenthesis): a process under that pid later with another one is not the init
	st=$(cat /proc/$pid/stat)
	read -ra f <<<"${st##*) }"
	born=${f[19]}
	run rt delete "$CID"
	assert_success
	# gone, or a zombie waiting for its reaper, within 5 s
	wait_until 5 "the init $pid to be gone or a zombie" init_gone "$pid" "$born"
}

@test "state of a missing container fails with one line" {
	is_crun && skip "crun 1.8 names the missing status file instead of the container"
	run rt state nosuchcontainer
	assert_failure
	[ "${#lines[@]}" -eq 1 ]
	assert_output_contains "does not exist"
}

@test "an empty container id is refused in one line by every command that takes one" {
	is_crun && skip "crun 1.8 names the missing status file instead"
	# start and state took "" for the answer after --help and exited 0 having done nothing
	for c in state start pause resume kill delete ps events; do
		run rt "$c" ""
		assert_failure
		[ "${#lines[@]}" -eq 1 ] || { echo "$c: ${#lines[@]} lines"; false; }
		if is_oci_run; then
			assert_output_contains "invalid container id ''"
		fi
	done
	run rt state --help
	assert_success
}

@test "errors: bad bundle, bad id, bad executable" {
	run rt create --bundle "$BATS_TEST_TMPDIR/nope" "$CID"
	assert_failure
	run rt create --bundle "$B" "../evil"
	assert_failure
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "invalid container id '../evil': use 1 to 1024 letters, digits"
	fi
	set_args /no/such/binary
	run rt create --bundle "$B" "$CID" </dev/null
	assert_failure
	[ "${#lines[@]}" -eq 1 ]
	run rt list -q
	[ -z "$output" ]
}

@test "concurrent creates of one id: exactly one wins; list works meanwhile" {
	is_oci_run || skip "runc 1.1 races here (several creates may fail or both report success)"
	set_args sleep 30
	for i in 1 2 3 4 5; do
		(rt create --bundle "$B" "$CID" </dev/null >/dev/null 2>&1 && echo won >>"$BATS_TEST_TMPDIR/wins") &
	done
	rt list >/dev/null
	wait
	[ "$(wc -l <"$BATS_TEST_TMPDIR/wins")" -eq 1 ]
	[ "$(rt_state_field "$CID" status)" = created ]
}

@test "a runtime killed during create leaves a state that delete --force cleans" {
	is_oci_run || skip "runc 1.1 leaves the cgroup of a create killed in a hook behind"
	edit_config '.hooks = {createRuntime: [{path: "/bin/sleep", args: ["sleep", "30"]}]} | .linux.cgroupsPath = "/ocitest-'"$CID"'"'
	set_args sleep 30
	"$RUNTIME" --root "$ROOT" create --bundle "$B" "$CID" </dev/null >/dev/null 2>&1 &
	rpid=$!
	wait_until 10 "the hook (a sleep) to start" '[ -n "$(pgrep -P "$rpid" -x sleep)" ]'
	hook=$(pgrep -P "$rpid" -x sleep)
	[ -n "$hook" ]
	# the init's pid is recorded before any hook runs
	pid=$(jq -r .pid "$ROOT/$CID/state.json")
	[ -d /proc/"$pid" ]
	kill -KILL "$rpid"
	wait "$rpid" || true
	kill -KILL "$hook" 2>/dev/null || true
	run rt delete --force "$CID"
	assert_success
	[ ! -e "$ROOT/$CID" ]
	[ ! -d /sys/fs/cgroup/pids/ocitest-$CID ]
	sleep 0.1
	# gone, or a zombie (it may vanish between the two looks)
	local st
	st=$(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null || echo gone)
	[ "$st" = gone ] || [ "$st" = Z ]
}

@test "kill ID 0 says whether the container is alive and sends nothing (runc)" {
	set_args sleep 100
	rt_create "$CID"
	run rt kill "$CID" 0
	assert_success
	rt start "$CID"
	run rt kill "$CID" 0
	assert_success
	[ "$(rt_state_field "$CID" status)" = running ]
	rt kill "$CID" KILL
	wait_status "$CID" stopped
	run rt kill "$CID" 0
	assert_failure
	assert_output_contains "not running"
	run rt kill "nope-$CID" 0
	assert_failure
}

@test "help: 'help', 'help CMD', CMD --help and CMD -h for every command; unknown ones fail" {
	is_oci_run || skip "oci-run's own command table"
	run rt help
	assert_success
	local cmds
	cmds=$(printf '%s\n' "$output" | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF {print $1}')
	[ "$(echo $cmds | wc -w)" -ge 17 ]
	local c
	for c in $cmds; do
		[ "$c" = help ] && continue
		run rt help "$c"
		assert_success
		[[ "${lines[0]}" == "Usage: oci-run $c"* ]] || { echo "help $c: ${lines[0]}"; false; }
		run rt "$c" --help
		assert_success
		[[ "${lines[0]}" == "Usage: oci-run $c"* ]] || { echo "$c --help: ${lines[0]}"; false; }
		run rt "$c" -h
		assert_success
		[[ "${lines[0]}" == "Usage: oci-run $c"* ]] || { echo "$c -h: ${lines[0]}"; false; }
	done
	run rt help no-such-command
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains no-such-command
}

@test "--debug prints the runtime's steps: config, namespaces, cgroup, mounts, hooks, start" {
	is_oci_run || skip "oci-run's own messages"
	set_args true
	edit_config '.hooks = {prestart: [{path: "/bin/true"}]}'
	run "$RUNTIME" --root "$ROOT" --debug run --bundle "$B" "$CID" </dev/null
	assert_success
	assert_output_contains "config loaded: bundle '$(realpath "$B")'"
	assert_output_contains "namespace mount: new"
	assert_output_contains "cgroup ("
	assert_output_contains "mount 'proc' on '/proc'"
	assert_output_contains "hooks prestart: 1"
	assert_output_contains "running the prestart and createRuntime hooks"
	assert_output_contains "init started: pid"
	assert_output_contains "starting the container process ('true')"
	# with --log they go to the file, at level debug, and nothing to stderr
	run "$RUNTIME" --root "$ROOT" --debug --log "$BATS_TEST_TMPDIR/debug.log" run --bundle "$B" "$CID-2" </dev/null
	assert_success
	[ -z "$output" ]
	grep -q 'level=debug msg="config loaded' "$BATS_TEST_TMPDIR/debug.log"
	grep -q 'level=debug msg="namespace pid: new' "$BATS_TEST_TMPDIR/debug.log"
	# without --debug, none of it
	run "$RUNTIME" --root "$ROOT" run --bundle "$B" "$CID-3" </dev/null
	assert_success
	[ -z "$output" ]
}

@test "the cwd is entered as root first, then as the user: runc's fallback for run" {
	setup_bundle private
	mkdir -m 0700 "$B/rootfs/rootonly"
	set_args sh -c 'pwd; id -u'
	edit_config '.process.user = {uid: 1000, gid: 1000} | .process.cwd = "/rootonly"'
	# a directory only root may search: runc enters it before switching to the user
	run rt run --bundle "$B" "$CID" </dev/null
	assert_success
	[ "${lines[0]}" = /rootonly ]
	[ "${lines[1]}" = 1000 ]
}

@test "in a user namespace the cwd root may not enter is entered as the user; one neither may enter fails clearly" {
	setup_bundle private
	edit_config '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	make_traversable "$B/rootfs"
	chown -R 100000:100000 "$B/rootfs"
	# owned by the host's root (not mapped: no capability of the container applies), searchable
	# by the container's group 1000 only
	mkdir "$B/rootfs/usergroup" "$B/rootfs/locked"
	chown 0:101000 "$B/rootfs/usergroup"
	chmod 0710 "$B/rootfs/usergroup"
	chown 0:0 "$B/rootfs/locked"
	chmod 0700 "$B/rootfs/locked"
	set_args sh -c 'pwd; id -u'
	edit_config '.process.user = {uid: 1000, gid: 1000} | .process.cwd = "/usergroup"'
	run rt run --bundle "$B" "$CID" </dev/null
	assert_success
	[ "${lines[0]}" = /usergroup ]
	[ "${lines[1]}" = 1000 ]
	edit_config '.process.cwd = "/locked"'
	run rt run --bundle "$B" "$CID-2" </dev/null
	assert_failure
	assert_output_contains /locked
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "neither root nor uid 1000"
	fi
	run rt list -q
	[ -z "$output" ]
}

@test "kill --all reaches every process of the container, more of them than the runtime may open files" {
	# The cgroup's processes are signalled through pidfds: when all of them were opened at
	# once, a container with more processes than the runtime's RLIMIT_NOFILE kept the ones
	# past the limit alive (pidfd_open failed with EMFILE and they were skipped). Without a
	# pid namespace, killing the init does not take the rest with it: the cgroup is all
	# kill --all has.
	edit_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c 'i=0; while [ $i -lt 60 ]; do sleep 100 & i=$((i + 1)); done; wait'
	rt_create "$CID"
	rt start "$CID"
	pid=$(rt_state_field "$CID" pid)
	kids=$(wait_children "$pid" 60)
	[ "$(wc -w <<<"$kids")" = 60 ]
	run bash -c 'ulimit -n 32 && exec "$@"' - "$RUNTIME" --root "$ROOT" kill --all "$CID" KILL
	assert_success
	wait_until 10 "the 61 processes to die" none_alive $pid $kids
	wait_status "$CID" stopped
}

@test "kill --all and delete --force fail when the cgroup's processes cannot be listed" {
	# A list of the cgroup's processes that could not be read passed for an empty one: kill
	# --all signalled nothing and exited 0, and delete --force removed the state of a
	# container whose processes lived on. The container's cgroup.procs is covered by a file
	# whose open fails (a write-only sysfs file: EACCES, for root too).
	is_oci_run || skip "the error is oci-run's"
	unreadable=/sys/bus/pci/rescan
	[ -f "$unreadable" ] || skip "no $unreadable to cover cgroup.procs with"
	edit_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c 'sleep 100 & wait'
	rt_create "$CID"
	rt start "$CID"
	pid=$(rt_state_field "$CID" pid)
	kid=$(wait_children "$pid" 1)
	kid=${kid// /}
	[ -n "$kid" ]
	for d in /sys/fs/cgroup/*/oci-run/"$CID" /sys/fs/cgroup/oci-run/"$CID"; do
		[ -d "$d" ] || continue
		mount --bind "$unreadable" "$d/cgroup.procs"
		echo "$d/cgroup.procs" >>"$BATS_TEST_TMPDIR/mounts"
	done
	[ -s "$BATS_TEST_TMPDIR/mounts" ]
	run rt kill --all "$CID" KILL
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "cannot tell which processes are left in cgroup"
	assert_output_contains "Permission denied"
	proc_alive "$kid"
	run rt delete --force "$CID"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "cannot tell which processes are left in cgroup"
	proc_alive "$kid"
	[ -f "$ROOT/$CID/state.json" ] # kept: delete can be run again
	xargs umount <"$BATS_TEST_TMPDIR/mounts"
	rm "$BATS_TEST_TMPDIR/mounts"
	run rt delete --force "$CID"
	assert_success
	wait_gone "$kid"
	[ ! -e "$ROOT/$CID" ]
}

# pidfs_ino PID: the inode of a pidfd of PID (pidfs: one per process for the boot)
pidfs_ino() {
	python3 -c 'import os, sys; print(os.fstat(os.pidfd_open(int(sys.argv[1]))).st_ino)' "$1"
}

@test "an impostor with the init's pid and start time (a pid reused within a clock tick) is not the init" {
	# The start time counts clock ticks (10 ms): a pid reused within the tick the init
	# started in passed for it. create records the init's pidfd inode (pid_ino), which no
	# other process of the boot gets on pidfs; every identity check compares it. The state
	# is rewritten to name a host process with the init's inode, as same-tick reuse would
	# leave it: state, kill, exec, pause and delete must all leave that process alone.
	is_oci_run || skip "pid_ino is oci-run's"
	[ "$(pidfs_ino $$)" != "$(pidfs_ino $PPID)" ] || skip "no pidfs (Linux before 6.9)"
	set_args sleep 100
	rt_create "$CID"
	rt start "$CID"
	pid=$(rt_state_field "$CID" pid)
	init_ino=$(pidfs_ino "$pid")
	recorded=$(jq .pid_ino "$ROOT/$CID/state.json")
	sleep 100 &
	impostor=$!
	start=$(awk '{print $22}' "/proc/$impostor/stat")
	jq --argjson p "$impostor" --argjson s "$start" --argjson i "$init_ino" \
		'.pid = $p | .pid_start = $s | .pid_ino = $i' "$ROOT/$CID/state.json" >"$BATS_TEST_TMPDIR/st"
	cp "$BATS_TEST_TMPDIR/st" "$ROOT/$CID/state.json"
	[ "$(rt_state_field "$CID" status)" = stopped ]
	run rt kill "$CID" KILL
	assert_failure
	assert_output_contains "container not running"
	# kill --all of a stopped container succeeds (runc): it reaches the cgroup only
	run rt kill --all "$CID" KILL
	assert_success
	proc_alive "$impostor"
	run rt exec "$CID" true
	assert_failure
	run rt pause "$CID"
	assert_failure
	proc_alive "$impostor"
	run rt delete --force "$CID"
	assert_success
	proc_alive "$impostor"
	wait_gone "$pid" # the real init, in the cgroup delete emptied
	kill "$impostor"
	# the real init was recorded by create
	[ "$recorded" = "$init_ino" ]
}

# orphan_and_impostor: run -d a container without a pid namespace whose init leaves a child
# ($left), kill the init ($pid), and have its state name a host process ($impostor) under the
# dead init's pidfd inode, as a reused pid would: the container is then stopped.
orphan_and_impostor() {
	edit_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c 'sleep 100 & echo $! >/tmp/left; exec sleep 100'
	edit_config '.mounts += [{"destination": "/tmp", "type": "bind", "source": "'"$BATS_TEST_TMPDIR"'", "options": ["bind"]}]'
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	pid=$(rt_state_field "$CID" pid)
	wait_for_file -s "$BATS_TEST_TMPDIR/left" 5
	left=$(cat "$BATS_TEST_TMPDIR/left")
	kill -KILL "$pid"
	wait_gone "$pid"
	sleep 100 &
	impostor=$!
	start=$(awk '{print $22}' "/proc/$impostor/stat")
	jq --argjson p "$impostor" --argjson s "$start" '.pid = $p | .pid_start = $s' \
		"$ROOT/$CID/state.json" >"$BATS_TEST_TMPDIR/st"
	cp "$BATS_TEST_TMPDIR/st" "$ROOT/$CID/state.json"
	[ "$(rt_state_field "$CID" status)" = stopped ]
}

@test "init exited and its pid reused, the container's other processes alive (no pid namespace): no signal path reaches the pid's new process; delete --force kills the others" {
	# The pid (and, within a clock tick, the start time) of an init that exited can be taken
	# by a host process; the state then names that process with the dead init's pidfd inode
	# (pid_ino). kill, kill --all, pause, exec and delete --force must leave it alone, and
	# delete --force must still empty the cgroup of the processes the init left behind.
	is_oci_run || skip "pid_ino is oci-run's"
	[ "$(pidfs_ino $$)" != "$(pidfs_ino $PPID)" ] || skip "no pidfs (Linux before 6.9)"
	orphan_and_impostor
	proc_alive "$left"
	# (KILL and kill --all reach the cgroup's processes: the next test)
	run rt kill "$CID" TERM
	assert_failure
	assert_output_contains "container not running"
	run rt pause "$CID"
	assert_failure
	run rt exec "$CID" true
	assert_failure
	proc_alive "$impostor"
	proc_alive "$left"
	run rt delete --force "$CID"
	assert_success
	proc_alive "$impostor"
	wait_gone "$left"
	kill "$impostor"
}

@test "kill KILL of a container without a pid namespace whose init exited kills what is left in its cgroup, never the init's pid, and succeeds while the emptied cgroup exists; kill --all of a stopped container succeeds (runc HEAD)" {
	# The init of a container in the host's pid namespace takes nobody with it when it dies:
	# runc 1.2 answers KILL with every process of the cgroup, stopped or not, and a kill
	# --all of a stopped container with success; oci-run said "container not running" and
	# left them. The state names a host process under the dead init's pid (reuse): only
	# the cgroup's processes may be signalled.
	is_oci_run || skip "runc 1.1 and crun 1.8 answer 'container not running' (runc 1.2 kills the cgroup)"
	orphan_and_impostor
	# another signal goes to the init alone, as runc's: it is gone
	run rt kill "$CID" TERM
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "container not running"
	proc_alive "$left"
	run rt kill "$CID" KILL
	assert_success
	wait_gone "$left"
	proc_alive "$impostor"
	run rt kill --all "$CID" KILL
	assert_success
	# nothing left in the cgroup, which is still there: KILL succeeds as runc HEAD's
	# (cgroup.kill of the empty cgroup); other signals go to the init, which is gone
	run rt kill "$CID" KILL
	assert_success
	run rt kill "$CID" 0
	assert_failure
	assert_output_contains "container not running"
	# the cgroup gone too (systemd removes an emptied scope's): then "not running", as runc
	jq -r '.cgroups[]' "$ROOT/$CID/state.json" | while read -r d; do rmdir "$d"; done
	run rt kill "$CID" KILL
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "container not running"
	proc_alive "$impostor"
	run rt delete "$CID"
	assert_success
	proc_alive "$impostor"
	kill "$impostor"
	# a container with a pid namespace of its own: its init's death killed the rest
	setup_bundle
	set_args sleep 100
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	rt kill "$CID" KILL
	wait_status "$CID" stopped
	run rt kill "$CID" KILL
	assert_failure
	assert_output_contains "container not running"
	run rt kill --all "$CID" TERM
	assert_success
	rt delete "$CID"
	# running, in the host's pid namespace: KILL without --all reaches the init's child too
	edit_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c 'sleep 100 & wait'
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	pid=$(rt_state_field "$CID" pid)
	kid=$(wait_children "$pid" 1)
	run rt kill "$CID" KILL
	assert_success
	wait_gone "$kid"
	wait_status "$CID" stopped
}

# pidfd_recv SOCKET: listen on SOCKET (ready once it exists), take one message with one fd,
# print "MESSAGE FD-COUNT LINK PID" (LINK: what /proc says the fd is; PID: its fdinfo's), and
# SIGKILL that process through the fd.
pidfd_recv() {
	python3 - "$1" <<-'PY'
		import os, signal, socket, sys
		s = socket.socket(socket.AF_UNIX)
		s.bind(sys.argv[1] + ".tmp")
		s.listen(1)
		os.rename(sys.argv[1] + ".tmp", sys.argv[1])
		s.settimeout(20)
		c, _ = s.accept()
		msg, fds, _, _ = socket.recv_fds(c, 64, 4)
		pid = [l.split()[1] for l in open("/proc/self/fdinfo/%d" % fds[0]) if l.startswith("Pid:")][0]
		print(msg.decode(), len(fds), os.readlink("/proc/self/fd/%d" % fds[0]), pid)
		signal.pidfd_send_signal(fds[0], signal.SIGKILL)
	PY
}

@test "create and exec --pidfd-socket send a pidfd of the process (runc 1.2); --tcp-skip-in-flight and --link-remap are refused by name" {
	# they were "unknown option": no pidfd, no reason, no way out
	is_oci_run || skip_peer "runc 1.1 has none of them"
	set_args sleep 100
	sock=$BATS_TEST_TMPDIR/pidfd.sock
	pidfd_recv "$sock" >"$BATS_TEST_TMPDIR/got" &
	wait_for_file "$sock" 10
	rt create --pidfd-socket "$sock" --pid-file "$BATS_TEST_TMPDIR/pid" --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	wait $!
	[ "$(cat "$BATS_TEST_TMPDIR/got")" = "standard 1 anon_inode:[pidfd] $(cat "$BATS_TEST_TMPDIR/pid")" ]
	# the receiver killed the init through it
	wait_status "$CID" stopped
	rt delete "$CID"
	# nobody listening: one line, nothing left
	run rt create --pidfd-socket "$BATS_TEST_TMPDIR/none" --bundle "$B" "$CID"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "cannot connect to pidfd socket '$BATS_TEST_TMPDIR/none'"
	[ ! -e "$ROOT/$CID" ]
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	# exec's: a pidfd of the exec'd process, message "setns"
	rm -f "$sock"
	pidfd_recv "$sock" >"$BATS_TEST_TMPDIR/got" &
	wait_for_file "$sock" 10
	rt exec -d --pidfd-socket "$sock" --pid-file "$BATS_TEST_TMPDIR/xpid" "$CID" sleep 100
	wait $!
	xpid=$(cat "$BATS_TEST_TMPDIR/xpid")
	[ "$(cat "$BATS_TEST_TMPDIR/got")" = "setns 1 anon_inode:[pidfd] $xpid" ]
	wait_gone "$xpid"
	# nobody listening: exec's failure (255), its process killed
	run rt exec -d --pidfd-socket "$BATS_TEST_TMPDIR/none" --pid-file "$BATS_TEST_TMPDIR/xpid2" "$CID" sleep 100
	[ "$status" = 255 ]
	assert_one_line_error oci-run
	assert_output_contains "cannot connect to pidfd socket '$BATS_TEST_TMPDIR/none'"
	wait_gone "$(cat "$BATS_TEST_TMPDIR/xpid2")"
	for o in tcp-skip-in-flight link-remap; do
		run rt checkpoint --$o "$CID"
		assert_failure
		assert_one_line_error oci-run
		assert_output_contains "checkpoint: --$o is not supported by oci-run (not passed to CRIU"
	done
	[ "$(rt_state_field "$CID" status)" = running ]
}

# orphan_script: a container process (no pid namespace) that leaves an orphan, a sleep whose
# parent exits, and prints the orphan's parent ("ppid N"), its own parent, the runtime ("me
# N"), and once the orphan has exited whether it is still there ("reaped" or its state).
orphan_script() {
	edit_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c 'o=$(sh -c "sleep 0.3 >/dev/null 2>&1 & echo \$!"); echo "ppid $(sed -n "s/^PPid:\t//p" /proc/$o/status)"; echo "me $PPID"; sleep 1; if [ -e /proc/$o ]; then echo "left $(cut -d" " -f3 /proc/$o/stat)"; else echo reaped; fi'
}

@test "run is a subreaper (runc's default): a container's orphan reparents to it and is reaped" {
	orphan_script
	run timeout -k 5 30 "$RUNTIME" --root "$ROOT" run -b "$B" "$CID" </dev/null
	assert_success
	[ "${lines[0]}" = "ppid ${lines[1]#me }" ] || { echo "$output" >&2; false; }
	[ "${lines[2]}" = reaped ]
}

@test "run --no-subreaper: a container's orphan goes to the host's init, not to the runtime" {
	orphan_script
	run timeout -k 5 30 "$RUNTIME" --root "$ROOT" run --no-subreaper -b "$B" "$CID" </dev/null
	assert_success
	[[ "${lines[0]}" == "ppid "[0-9]* ]] || { echo "$output" >&2; false; }
	[ "${lines[0]}" != "ppid ${lines[1]#me }" ]
}
