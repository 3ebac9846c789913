#!/usr/bin/env bats
# oci-run events: runc's stats JSON (the same field names as `runc events --stats` on the same
# bundle), counters that move under load (memory, cpu, the container's own network
# interfaces), the pids limit reached by a fork bomb, an OOM kill as an "oom" event, the
# stream's interval (Go durations) and its end when the container stops, and the errors for
# stopped and missing containers and bad intervals. Runs on this cgroup v1 host; the same
# assertions run on cgroup v2 in the qemu guest (48-run-events.guest.sh, booted by
# 80-cgroupv2.bats).

load ../lib/common
load 40-run-lib

setup() {
	require_root
	setup_bundle
	set_args sleep 30
}

teardown() {
	cleanup_containers
	if [ -n "${RUNC_ROOT:-}" ]; then
		runc --root "$RUNC_ROOT" delete -f "$CID" >/dev/null 2>&1 || true
	fi
}

run_detached() {
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
}

# The leaf paths of a stats event's data, without the ones whose entries vary by counter
# (raw memory.stat keys, per-cpu lists, block devices, interfaces) and memory.cache, which
# runc omits when it is 0 (omitempty) and is 0 or not by whose page cache the container
# touched first (checked on its own below).
shape() {
	jq -c '[.data | paths(type != "object" and type != "array") | map(tostring) | join(".")
		| select(test("^memory\\.raw|percpu|^blkio|^cpuset\\.(cpus|mems)|^network|^memory\\.cache$") | not)] | sort'
}

@test "events --stats: one stats event with runc's field names (compared with runc events --stats)" {
	require_cmd runc
	run_detached
	run rt events --stats "$CID"
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	jq -e --arg id "$CID" '.type == "stats" and .id == $id' <<<"$output"
	jq -e '.data.pids.current == 1 and .data.memory.usage.usage > 0 and .data.cpu.usage.total > 0' <<<"$output"
	jq -e '.data.memory.raw | has("cache") or has("file")' <<<"$output"
	# memory.cache is there exactly when memory.stat's cache (v1) or file (v2) is not 0
	jq -e '.data.memory | ((.raw.cache // .raw.file // 0) > 0) == has("cache")' <<<"$output"
	ours=$(shape <<<"$output")
	RUNC_ROOT=$BATS_TEST_TMPDIR/runc
	runc --root "$RUNC_ROOT" run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	theirs=$(runc --root "$RUNC_ROOT" events --stats "$CID" | shape)
	[ -n "$theirs" ]
	[ "$theirs" != "[]" ]
	if [ "$ours" != "$theirs" ]; then
		diff <(jq '.[]' <<<"$ours") <(jq '.[]' <<<"$theirs") >&2
		false
	fi
}

@test "events --stats: memory, cpu and the container's own network counters rise under load" {
	edit_config '.process.capabilities |= with_entries(.value += ["CAP_NET_ADMIN", "CAP_NET_RAW"])'
	edit_config '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}]'
	# waits for /tmp/go, then holds 64 MiB in a tmpfs file, burns cpu and pings its own lo
	set_args sh -c 'ip link set lo up; while [ ! -e /tmp/go ]; do sleep 0.05; done; head -c 67108864 /dev/zero >/tmp/big; ping -c 5 -i 0.05 -q 127.0.0.1 >/dev/null; i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; touch /tmp/done; sleep 30'
	run_detached
	PID=$(rt_state_field "$CID" pid)
	before=$(rt events --stats "$CID")
	touch "/proc/$PID/root/tmp/go"
	wait_for_file "/proc/$PID/root/tmp/done" 20
	after=$(rt events --stats "$CID")
	b=$(jq '.data.memory.usage.usage' <<<"$before")
	a=$(jq '.data.memory.usage.usage' <<<"$after")
	[ "$a" -gt $((b + 60000000)) ]
	b=$(jq '.data.cpu.usage.total' <<<"$before")
	a=$(jq '.data.cpu.usage.total' <<<"$after")
	[ "$a" -gt "$b" ]
	# the container's own namespace: its lo, counted by its kernel, not the host's
	jq -e '.data.network_interfaces | length == 1 and .[0].Name == "lo"' <<<"$after"
	[ "$(jq '.data.network_interfaces[0].RxPackets' <<<"$after")" -ge 10 ]
	[ "$(jq '.data.network_interfaces[0].TxBytes' <<<"$after")" -gt \
		"$(jq '.data.network_interfaces[0].TxBytes' <<<"$before")" ]
}

@test "events --stats: a container in the host's network namespace reports no interfaces (as runc)" {
	edit_config '.linux.namespaces |= map(select(.type != "network"))'
	run_detached
	run rt events --stats "$CID"
	assert_success
	jq -e '.data.network_interfaces == null' <<<"$output"
}

@test "events --stats: a fork bomb stops at the pids limit, which is reported" {
	edit_config '.linux.resources.pids = {"limit": 10}'
	edit_config '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}]'
	# the bomb (a child shell) forks until the kernel refuses, and dies of it; the init stays
	set_args sh -c 'sh -c "for i in \$(seq 40); do sleep 30 & done" 2>/tmp/bomb; touch /tmp/done; exec sleep 30'
	run_detached
	PID=$(rt_state_field "$CID" pid)
	wait_for_file "/proc/$PID/root/tmp/done"
	grep -q "can't fork" "/proc/$PID/root/tmp/bomb"
	run rt events --stats "$CID"
	assert_success
	# the init and the 8 sleeps the bomb could start before it hit 10 and died
	jq -e '.data.pids.current == 9 and .data.pids.limit == 10' <<<"$output"
}

@test "events: an OOM kill is an oom event; the stream ends when the container stops" {
	edit_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	# sort holds its whole input: 100 MiB against a 32 MiB limit
	# time for events to start watching before the kill, even on a loaded machine
	set_args sh -c 'sleep 2; head -c 104857600 /dev/zero | sort >/dev/null; sleep 0.5'
	run_detached
	run timeout 20 "$RUNTIME" --root "$ROOT" events --interval 200ms "$CID"
	assert_success
	printf '%s\n' "$output" | jq -e -s --arg id "$CID" \
		'map(select(.type == "oom")) | length >= 1 and (.[0] == {"type": "oom", "id": $id})'
	printf '%s\n' "$output" | jq -e -s 'map(select(.type == "stats")) | length >= 3'
	# the stream ended by itself (not by timeout's 20 s) because the container stopped
	[ "$(rt_state_field "$CID" status)" = stopped ]
}

@test "events --interval: 100ms gives a stats event every 100 ms, 1s one a second" {
	set_args sleep 1.2
	run_detached
	run timeout 10 "$RUNTIME" --root "$ROOT" events --interval 100ms "$CID"
	assert_success
	n=$(printf '%s\n' "$output" | jq -s 'map(select(.type == "stats")) | length')
	# 12 in 1.2 s; fewer when a loaded machine delays the stream, never more than 13
	[ "$n" -ge 4 ]
	[ "$n" -le 13 ]
	rt delete "$CID"
	set_args sleep 2.5
	run_detached
	run timeout 10 "$RUNTIME" --root "$ROOT" events --interval 1s "$CID"
	assert_success
	n=$(printf '%s\n' "$output" | jq -s 'map(select(.type == "stats")) | length')
	[ "$n" -ge 1 ]
	[ "$n" -le 3 ]
}

@test "events --interval: a bad duration is refused in one line" {
	run_detached
	for d in 5 0s -1s 1x 1s2 abc ""; do
		run rt events --interval "$d" "$CID"
		assert_failure 1
		assert_one_line_error oci-run
		assert_output_contains "invalid duration '$d'"
	done
}

@test "events: a stopped or missing container is a clear error; extra arguments are refused" {
	set_args true
	run_detached
	wait_status "$CID" stopped
	run rt events --stats "$CID"
	assert_failure 1
	assert_one_line_error oci-run
	assert_output_contains "container '$CID' is not running"
	run rt events "$CID"
	assert_failure 1
	assert_output_contains "is not running"
	run rt events --stats nosuch
	assert_failure 1
	assert_one_line_error oci-run
	assert_output_contains "container 'nosuch' does not exist"
	run rt events --stats "$CID" other
	assert_failure 1
	assert_one_line_error oci-run
	run rt events
	assert_failure 1
	assert_one_line_error oci-run
}

@test "events holds no lock: delete --force ends a running stream" {
	run_detached
	timeout 20 "$RUNTIME" --root "$ROOT" events --interval 100ms "$CID" >"$BATS_TEST_TMPDIR/ev" 2>&1 &
	ev=$!
	sleep 0.5
	run timeout 10 "$RUNTIME" --root "$ROOT" delete --force "$CID"
	assert_success
	wait "$ev"
	[ -s "$BATS_TEST_TMPDIR/ev" ]
	jq -e -s 'length >= 2 and all(.type == "stats")' "$BATS_TEST_TMPDIR/ev"
}

@test "attack: interface names the container chooses cannot break the JSON" {
	edit_config '.process.capabilities |= with_entries(.value += ["CAP_NET_ADMIN"])'
	# quotes, a backslash, braces and a newline-free control of the name's bytes
	set_args sh -c 'ip link set lo name "a\"},{\\x"; sleep 30'
	run_detached
	sleep 0.3
	run rt events --stats "$CID"
	assert_success
	jq -e '.data.network_interfaces | length == 1' <<<"$output"
	[ "$(jq -r '.data.network_interfaces[0].Name' <<<"$output")" = 'a"},{\x' ]
}
