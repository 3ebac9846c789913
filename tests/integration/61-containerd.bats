#!/usr/bin/env bats
# containerd with oci-run as the runtime of its runc v2 shim (`ctr run --runc-binary`): a
# private containerd (own root, state, sockets, no CRI) started for this file, the busybox
# image imported offline; run, exit status, errors through the shim's --log-format json log,
# detached tasks with ls/ps/exec/kill, terminals, pause/resume, and nothing left afterwards.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/peers

IMG=localhost/busybox:latest

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	command -v containerd >/dev/null && command -v containerd-shim-runc-v2 >/dev/null || return 0
	peers_init containerd
	containerd_start
}

teardown_file() {
	containerd_stop
	peers_cleanup_dir
}

setup() {
	require_root
	require_cmd containerd ctr containerd-shim-runc-v2
	: >"$PEER_DIR/runtime.log"
	T=t$BATS_TEST_NUMBER
}

teardown() {
	cr task kill -s KILL "$T" >/dev/null 2>&1 || true
	cr task rm -f "$T" >/dev/null 2>&1 || true
	cr containers rm "$T" >/dev/null 2>&1 || true
	# the slices a systemd-style cgroupsPath made (systemd would keep them too)
	if [ -n "${SLICES_CREATED:-}" ]; then
		find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -depth -type d -name 'ocitest*.slice' -exec rmdir {} + 2>/dev/null || true
	fi
}

# oci-run's own view of the shim's containers.
ocirun() {
	"$RUNTIME" --root "$CTR_RUNC_ROOT/$CTR_NS" "$@"
}

# wait_task_status ID STATUS: ctr task ls shows STATUS (5 s at most).
wait_task_status() {
	local i
	for i in $(seq 100); do
		[ "$(cr task ls | awk -v t="$1" '$1 == t {print $3}')" = "$2" ] && return 0
		sleep 0.05
	done
	cr task ls >&2
	return 1
}

@test "ctr run --rm prints the container's output; the shim drove oci-run with runc's arguments" {
	run cr_run --rm "$IMG" "$T" echo hello from busybox
	assert_success
	[ "$output" = "hello from busybox" ]
	runtime_log_has "^--root $CTR_RUNC_ROOT/$CTR_NS --log .*/log.json --log-format json create --bundle .* --pid-file .*/init.pid $T\$"
	runtime_log_has "^--root $CTR_RUNC_ROOT/$CTR_NS --log .* --log-format json start $T\$"
	runtime_log_has "^--root $CTR_RUNC_ROOT/$CTR_NS --log .* --log-format json delete $T\$"
	run ocirun list -q
	[ -z "$output" ]
}

@test "ctr run: the container's exit status propagates" {
	run cr_run --rm "$IMG" "$T" sh -c 'exit 3'
	assert_failure 3
}

@test "a runtime error reaches ctr through the shim's JSON log" {
	run cr_run --rm "$IMG" "$T" no-such-command
	assert_failure
	assert_output_contains 'no-such-command'
	assert_output_contains 'not found'
	run ocirun list -q
	[ -z "$output" ]
}

@test "ctr run -d, task ls, task ps, task exec, task kill, task rm" {
	run cr_run -d "$IMG" "$T" sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done'
	assert_success
	wait_task_status "$T" RUNNING
	pid=$(cr task ls | awk -v t="$T" '$1 == t {print $2}')
	[ "$(ocirun state "$T" | jq -r .pid)" = "$pid" ]
	[ "$(ocirun state "$T" | jq -r .status)" = running ]
	# task ps is oci-run ps --format json
	run cr task ps "$T"
	assert_success
	assert_output_contains "$pid"
	runtime_log_has "ps --format json $T\$"
	# task exec: output and exit status, in the container's namespaces
	run cr task exec --exec-id e1 "$T" sh -c 'echo in-exec; readlink /proc/self/ns/pid; exit 5'
	assert_failure 5
	[ "${lines[0]}" = in-exec ]
	[ "${lines[1]}" = "$(readlink /proc/"$pid"/ns/pid)" ]
	runtime_log_has "exec --process .* --detach --pid-file .*/e1.pid $T\$"
	# task kill: SIGTERM (the default) reaches the container's trap
	run cr task kill "$T"
	assert_success
	runtime_log_has "kill $T 15\$"
	wait_task_status "$T" STOPPED
	run cr task rm "$T"
	assert_success
	assert_output_contains "42"
	run ocirun list -q
	[ -z "$output" ]
}

@test "ctr run -t: the container's terminal comes through the shim's console socket" {
	require_cmd script
	run script -qec "ctr --address '$CTR_SOCK' -n '$CTR_NS' run --runc-binary '$PEER_RUNTIME' --runc-root '$CTR_RUNC_ROOT' -t --rm $IMG $T sh -c 'tty; [ -t 0 ] && echo stdin-is-tty'" /dev/null
	assert_success
	# (script may echo a control character first)
	[[ "$(tr -d '\r' <<<"$output")" == */dev/pts/0*stdin-is-tty* ]]
	runtime_log_has "create --bundle .* --console-socket .* $T\$"
}

@test "ctr task exec -t: a terminal for the exec'd process" {
	require_cmd script
	cr_run -d "$IMG" "$T" sleep 100 >/dev/null
	wait_task_status "$T" RUNNING
	run script -qec "ctr --address '$CTR_SOCK' -n '$CTR_NS' task exec -t --exec-id et $T tty" /dev/null
	assert_success
	[[ "$(tr -d '\r' <<<"$output")" == *"/dev/pts/"[0-9]* ]]
	runtime_log_has "exec .*--console-socket .* $T\$"
}

@test "ctr task pause and resume freeze and thaw the container" {
	# the count is replaced by rename, so a reader never sees it truncated and empty
	cr_run -d "$IMG" "$T" sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/c.new; mv /tmp/c.new /tmp/count; sleep 0.05; done' >/dev/null
	wait_task_status "$T" RUNNING
	run cr task pause "$T"
	assert_success
	wait_task_status "$T" PAUSED
	[ "$(ocirun state "$T" | jq -r .status)" = paused ]
	pid=$(ocirun state "$T" | jq -r .pid)
	[ "$(awk '/^State:/ {print $2}' /proc/"$pid"/status)" != R ]
	a=$(cat "/proc/$pid/root/tmp/count")
	sleep 0.3
	[ "$(cat "/proc/$pid/root/tmp/count")" = "$a" ]
	run cr task resume "$T"
	assert_success
	wait_task_status "$T" RUNNING
	b=$(cr task exec --exec-id r2 "$T" cat /tmp/count)
	sleep 0.3
	c=$(cr task exec --exec-id r3 "$T" cat /tmp/count)
	[ "$c" -gt "$b" ]
}

@test "ctr task kill -s KILL of a paused task stops it and task rm -f returns (issue 17)" {
	peer_is crun "leaves a task killed while paused frozen (PAUSED, never STOPPED), as in 43-run-pause"
	cr_run -d "$IMG" "$T" sleep 100 >/dev/null
	wait_task_status "$T" RUNNING
	cr task pause "$T"
	wait_task_status "$T" PAUSED
	# each step bounded: before the fix the task stayed paused and rm -f hung forever
	run timeout -k 5 30 ctr --address "$CTR_SOCK" -n "$CTR_NS" task kill -s KILL "$T"
	assert_success
	wait_task_status "$T" STOPPED
	run timeout -k 5 30 ctr --address "$CTR_SOCK" -n "$CTR_NS" task rm -f "$T"
	assert_success
	run ocirun list -q
	[ -z "$output" ]
}

@test "ctr task metrics reads the task's cgroups (memory limit, pids) while it runs" {
	cr_run -d --memory-limit 67108864 "$IMG" "$T" sh -c 'while :; do sleep 0.1; done' >/dev/null
	wait_task_status "$T" RUNNING
	run cr task metrics --format json "$T"
	assert_success
	# containerd's v1 metrics: memory usage limit and the pids count of the container's cgroups
	[ "$(jq -r '.memory.usage.limit' <<<"$output")" = 67108864 ]
	[ "$(jq -r '.pids.current' <<<"$output")" -ge 1 ]
	[ "$(jq -r '.cpu.usage.total' <<<"$output")" -gt 0 ]
}

@test "--runc-systemd-cgroup: slice:prefix:name placed where systemd puts it, removed with the task" {
	SLICES_CREATED=1
	run cr_run --rm --runc-systemd-cgroup --cgroup "ocitest-nested.slice:ctr:$T" "$IMG" "$T" cat /proc/self/cgroup
	if [ ! -d /run/systemd/system ]; then
		# no systemd to own the unit: refused, as runc refuses it, and nothing made
		assert_failure
		is_oci_run && assert_output_contains "systemd is not running"
		[ -z "$(find /sys/fs/cgroup -maxdepth 4 -name "ctr-$T.scope")" ]
		return 0
	fi
	assert_success
	runtime_log_has "--systemd-cgroup create "
	# every hierarchy: the slice nested in its parent slice, the scope named prefix-name
	grep -q "^[0-9]*:memory:/ocitest.slice/ocitest-nested.slice/ctr-$T.scope\$" <<<"$output"
	! grep -v "/ocitest.slice/ocitest-nested.slice/ctr-$T.scope\$" <<<"$output" || false
	! find /sys/fs/cgroup -maxdepth 4 -name "ctr-$T.scope" | grep -q . || false
	# a path that is not slice:prefix:name is refused in one clear line
	run cr_run --rm --runc-systemd-cgroup --cgroup "ocitest.slice:$T" "$IMG" "$T" true
	assert_failure
	assert_output_contains "slice:prefix:name"
}

@test "after the tasks are removed nothing of oci-run is left: state, processes, mounts, shims" {
	cr_run -d "$IMG" "$T" sleep 100 >/dev/null
	wait_task_status "$T" RUNNING
	cr task exec -d --exec-id x1 "$T" sleep 99
	pids=$(ocirun ps --format json "$T" | jq -r '.[]')
	[ "$(wc -w <<<"$pids")" -ge 2 ]
	cr task kill -s KILL "$T"
	wait_task_status "$T" STOPPED
	cr task rm "$T" >/dev/null
	cr containers rm "$T"
	run ocirun list -q
	[ -z "$output" ]
	for p in $pids; do
		! proc_alive "$p" || false
	done
	wait_until 5 "the shims to exit" '[ -z "$(containerd_shims)" ]'
	run peers_mounts
	[ -z "$output" ]
}
