#!/usr/bin/env bats
# oci-run pause / resume: every process of the container frozen through its cgroups and
# thawed again, the "paused" status in state and list, and what a paused container allows
# (delete only with --force, which still leaves nothing). Runs against any runtime:
# RUNTIME=runc tests/run.sh 43-run-pause.

load ../lib/common
load 40-run-lib

setup() {
	require_root
	setup_bundle
	# a counter written to a tmpfs only the container sees; the host reads it through /proc
	edit_config '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]}]'
	set_args sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/c.new; mv /tmp/c.new /tmp/count; sleep 0.02; done'
}

teardown() {
	cleanup_containers
}

count() {
	cat "/proc/$PID/root/tmp/count"
}

@test "pause freezes every process, resume thaws them; state and list say paused" {
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	PID=$(rt_state_field "$CID" pid)
	wait_for_file -s "/proc/$PID/root/tmp/count"
	run rt pause "$CID"
	assert_success
	[ "$(rt_state_field "$CID" status)" = paused ]
	run rt list
	[[ "${lines[1]}" =~ ^$CID\ +$PID\ +paused\  ]]
	a=$(count)
	sleep 0.3
	[ "$(count)" = "$a" ]
	# the sleeping child is frozen too, not only the init
	for p in $(rt ps --format json "$CID" | jq -r '.[]'); do
		grep -Eq '^State:\s+[DS]' /proc/"$p"/status
	done
	run rt resume "$CID"
	assert_success
	[ "$(rt_state_field "$CID" status)" = running ]
	sleep 0.3
	[ "$(count)" -gt "$a" ]
}

@test "pause and resume of a created container; errors for the wrong states" {
	peer_is crun "resumes a created container that was never paused"
	rt_create "$CID"
	run rt resume "$CID"
	assert_failure
	# runc's rule: a created container can be paused, and is then paused, not created
	run rt pause "$CID"
	assert_success
	[ "$(rt_state_field "$CID" status)" = paused ]
	run rt start "$CID"
	assert_failure
	rt resume "$CID"
	[ "$(rt_state_field "$CID" status)" = created ]
	rt start "$CID"
	run rt resume "$CID"
	assert_failure
	rt kill "$CID" KILL
	wait_status "$CID" stopped
	run rt pause "$CID"
	assert_failure
	run rt pause "nope-$CID"
	assert_failure
	if is_oci_run; then
		assert_one_line_error oci-run
	fi
}

@test "a paused container is deleted only with --force, and then leaves nothing" {
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	PID=$(rt_state_field "$CID" pid)
	rt pause "$CID"
	run rt delete "$CID"
	assert_failure
	# crun 1.8 says "not in `created` or `stopped` state"
	is_crun || assert_output_contains paused
	[ "$(rt_state_field "$CID" status)" = paused ]
	run rt delete --force "$CID"
	assert_success
	run rt list -q
	[ -z "$output" ]
	wait_gone "$PID"
	# its cgroups are gone
	! find /sys/fs/cgroup -maxdepth 4 -type d -name "$CID" 2>/dev/null | grep -q . || false
}

@test "SIGKILL to a paused container kills it (thawed after the signal); other signals wait for resume" {
	# issue 17: a frozen task cannot die, so podman kill / ctr task kill of a paused container
	# left it in D state forever and the following delete hung.
	peer_is crun "leaves a container killed while paused frozen (paused, never stopped)"
	for all in "" --all; do
		rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
		PID=$(rt_state_field "$CID" pid)
		rt pause "$CID"
		run rt kill $all "$CID" KILL
		assert_success
		wait_status "$CID" stopped
		run rt delete "$CID"
		assert_success
	done
	# SIGTERM is queued, not a resume: the container stays paused until resumed, then exits
	set_args sh -c 'trap "exit 3" TERM; while :; do sleep 0.05; done'
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	sleep 0.2
	rt pause "$CID"
	rt kill "$CID" TERM
	sleep 0.3
	[ "$(rt_state_field "$CID" status)" = paused ]
	rt resume "$CID"
	wait_status "$CID" stopped
	rt delete "$CID"
}

@test "exec into a paused container is refused unless --ignore-paused" {
	rt run -d --bundle "$B" "$CID" </dev/null >/dev/null 2>&1
	rt pause "$CID"
	run rt exec "$CID" true
	assert_failure
	assert_output_contains paused
	rt resume "$CID"
	run rt exec "$CID" true
	assert_success
}
