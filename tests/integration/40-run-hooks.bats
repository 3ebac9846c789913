#!/usr/bin/env bats
# oci-run hooks (order, state on stdin, failure semantics, timeout) and --log/--log-format.

load ../lib/common
load 40-run-lib

setup() {
	require_root
	setup_bundle
	cd "$B"
	HL=$BATS_TEST_TMPDIR/hooklog
	mkdir -p "$HL"
	chmod 777 "$HL"
	# the container sees the log directory at /hooklog (startContainer runs inside)
	edit_config ".mounts += [{destination: \"/hooklog\", type: \"bind\", source: \"$HL\", options: [\"bind\"]}]"
}

teardown() {
	cleanup_containers
}

# hook NAME [EXIT]: a hook that logs its name and the id/status of the state on its stdin.
hook() {
	local log=$HL/log
	[ "$1" = startContainer ] && log=/hooklog/log
	jq -n --arg name "$1" --arg log "$log" --argjson rc "${2:-0}" \
		'{path: "/bin/sh", args: ["sh", "-c", "read -r s; id=$(echo \"$s\" | grep -o \"\\\"id\\\":\\\"[^\\\"]*\\\"\"); echo \"\($name) $id\" >>\($log); exit \($rc)"]}'
}

set_hooks() {
	local j
	j=$(jq -n --argjson pre "$(hook prestart)" --argjson cr "$(hook createRuntime)" \
		--argjson cc "$(hook createContainer)" --argjson sc "$(hook startContainer)" \
		--argjson ps "$(hook poststart)" --argjson pst "$(hook poststop)" \
		'{prestart: [$pre], createRuntime: [$cr], createContainer: [$cc], startContainer: [$sc], poststart: [$ps], poststop: [$pst]}')
	edit_config ".hooks = $j"
}

@test "hooks run in lifecycle order with the state on stdin" {
	peer_is runc "runs poststart hooks at create"
	set_hooks
	set_args sleep 30
	rt_create "$CID" || { cat "$BATS_TEST_TMPDIR/create.err"; false; }
	run cut -d' ' -f1 "$HL/log"
	[ "$(echo $output)" = "prestart createRuntime createContainer" ]
	rt start "$CID"
	run cut -d' ' -f1 "$HL/log"
	[ "$(echo $output)" = "prestart createRuntime createContainer startContainer poststart" ]
	rt delete --force "$CID"
	run cut -d' ' -f1 "$HL/log"
	[ "$(echo $output)" = "prestart createRuntime createContainer startContainer poststart poststop" ]
	# every hook saw the container's id
	[ "$(grep -c "\"id\":\"$CID\"" "$HL/log")" -eq 6 ]
}

@test "a failing prestart hook fails create and leaves nothing behind" {
	edit_config ".hooks = {prestart: [$(hook prestart 3)]}"
	set_args sleep 30
	run rt create --bundle "$B" "$CID" </dev/null
	assert_failure
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "hooks.prestart[0]"
	fi
	run rt list -q
	[ -z "$output" ]
	[ ! -e "$ROOT/$CID" ]
}

@test "a failing createContainer hook fails create" {
	edit_config ".hooks = {createContainer: [$(hook createContainer 1)]}"
	set_args true
	run rt run "$CID" </dev/null
	assert_failure
	run rt list -q
	[ -z "$output" ]
}

@test "a failing poststart hook fails start and kills the container, the next hooks not run; its state stays for delete (runtime-spec 1.3, runc HEAD)" {
	peer_is runc "1.1 runs poststart hooks at create, stops at the first failing one and fails create"
	peer_is crun "1.8 warns and runs the next poststart hooks (runtime-spec 1.2)"
	edit_config ".hooks = {poststart: [$(hook poststart 1), $(hook poststart2)]}"
	set_args sleep 30
	rt_create "$CID"
	pid=$(rt_state_field "$CID" pid)
	run rt start "$CID"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "hooks.poststart[0]"
	wait_gone "$pid"
	[ "$(rt_state_field "$CID" status)" = stopped ]
	run cut -d' ' -f1 "$HL/log"
	[ "$(echo $output)" = "poststart" ]
	rt delete "$CID"
	# run (and run -d): the error, and nothing left
	for d in "" -d; do
		run rt run $d --bundle "$B" "$CID" </dev/null
		assert_failure
		assert_output_contains "hooks.poststart[0]"
		run rt list -q
		[ -z "$output" ]
	done
}

@test "a failing poststop hook is a warning: the next poststop hooks run and delete succeeds" {
	edit_config ".hooks = {poststop: [$(hook poststop 1), $(hook poststop2)]}"
	set_args true
	rt_create "$CID"
	rt start "$CID"
	wait_status "$CID" stopped
	run rt delete "$CID"
	if is_oci_run; then
		assert_success
		assert_output_contains "hooks.poststop[0]"
		run cut -d' ' -f1 "$HL/log"
		[ "$(echo $output)" = "poststop poststop2" ]
	fi
	grep -q poststop "$HL/log"
	rt delete --force "$CID" 2>/dev/null || true
	run rt list -q
	[ -z "$output" ]
}

@test "creation hooks run in the bundle directory with the bundle's path in the state (runc)" {
	local j
	j=$(jq -n --arg log "$HL/cwd" '["prestart", "createRuntime", "createContainer"] |
		map({key: ., value: [{path: "/bin/sh", args: ["sh", "-c", "read -r s; echo \"$(pwd) $(echo \"$s\" | jq -r .bundle)\" >>\($log)"]}]}) | from_entries')
	edit_config ".hooks = $j"
	set_args true
	cd /
	rt run --bundle "$B" "$CID" </dev/null
	run cat "$HL/cwd"
	[ "${#lines[@]}" -eq 3 ]
	local l
	for l in "${lines[@]:0:2}"; do
		[ "$l" = "$(realpath "$B") $(realpath "$B")" ]
	done
	if is_runc; then
		# runc 1.1.5 runs createContainer hooks from the rootfs, which its init entered
		[ "${lines[2]}" = "$(realpath "$(shared_rootfs)") $(realpath "$B")" ]
		return 0
	fi
	[ "${lines[2]}" = "$(realpath "$B") $(realpath "$B")" ]
}

# times_out PATH ARG...: create with the createRuntime hook PATH ARG... (timeout 1 s) fails
# within 10 s, in one line naming the hook, and leaves no container.
times_out() {
	local hook args
	args=$(printf '%s\n' "${@:2}" | jq -R . | jq -s .)
	hook=$(jq -n --arg path "$1" --argjson args "$args" '{path: $path, args: $args, timeout: 1}')
	edit_config ".hooks = {createRuntime: [$hook]}"
	set_args true
	rt_fails_within 10 create --bundle "$B" "$CID"
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "hooks.createRuntime[0]: hook '$1' timed out after 1s"
	fi
	run rt list -q
	[ -z "$output" ]
}

@test "a hook that exceeds its timeout fails create" {
	times_out /bin/sleep sleep 20
}

@test "attack: a hook that never reads its stdin is held to its timeout when the state outgrows a pipe" {
	# 300 KB of annotations make a state larger than a pipe holds: writing it used to block
	# before the timeout was watched, so create hung for as long as the hook lived (runc
	# writes from a goroutine and passes).
	peer_is crun "writes the whole state before it watches the timeout: create hangs"
	edit_config '.annotations = {big: ("x" * 300000)}'
	times_out /bin/sleep sleep 40
}

@test "attack: a hook that times out takes the processes it started with it" {
	# Only the hook itself was killed: a child it waits for stayed behind, holding the
	# runtime's stderr (a caller reading it to the end waited for that child too).
	# a number of this test's own: another run of this file at the same time is not seen
	local n=4343.$$
	times_out /bin/sh sh -c "sleep $n; :"
	wait_until 5 "the hook's child 'sleep $n' to be gone" "! pgrep -f -x 'sleep $n'"
}

@test "attack: a hook that leaves its process group is still killed at its timeout" {
	# It joins the runtime's own group: killing the hook's group alone missed it, and the
	# wait for it never ended.
	times_out /usr/bin/python3 python3 -c "import os, time; os.setpgid(0, os.getpgid(os.getppid())); time.sleep(30)"
}

@test "a timeout of 4294968 s is not cut to 0.7 s (its milliseconds used to overflow an int)" {
	edit_config '.hooks = {createRuntime: [{path: "/bin/sleep", args: ["sleep", "2"], timeout: 4294968}]}'
	set_args true
	rt_create "$CID" || { cat "$BATS_TEST_TMPDIR/create.err"; false; }
	rt delete --force "$CID"
}

@test "--log --log-format json writes one JSON object per line" {
	peer_is crun "its error names the missing status file, not the container"
	run "$RUNTIME" --root "$ROOT" --log "$BATS_TEST_TMPDIR/log.json" --log-format json state nosuchcontainer
	assert_failure
	[ -s "$BATS_TEST_TMPDIR/log.json" ]
	while read -r line; do
		jq -e 'has("level") and has("msg") and has("time")' <<<"$line" >/dev/null
	done <"$BATS_TEST_TMPDIR/log.json"
	jq -e 'select(.level == "error") | .msg | test("not exist")' "$BATS_TEST_TMPDIR/log.json" >/dev/null
}

@test "--log with the text format" {
	peer_is crun "its text --log lines have no level="
	run "$RUNTIME" --root "$ROOT" --log "$BATS_TEST_TMPDIR/log.txt" --log-format text state nosuchcontainer
	assert_failure
	grep -q 'level=error' "$BATS_TEST_TMPDIR/log.txt"
	run "$RUNTIME" --log-format yaml list
	assert_failure
}

# U: a directory user nobody owns, in which root runs the runtime with --log U/NAME.
user_dir() {
	U=$BATS_TEST_TMPDIR/u
	local d=$BATS_TEST_TMPDIR
	# nobody reaches it: bats makes its run directories 0700
	while [ "${#d}" -ge "${#BATS_RUN_TMPDIR}" ]; do
		chmod a+x "$d"
		d=$(dirname "$d")
	done
	mkdir -p "$U"
	chown 65534:65534 "$U"
	VICTIM=$BATS_TEST_TMPDIR/victim
	echo root-only >"$VICTIM"
	chmod 600 "$VICTIM"
}

as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

@test "attack: --log in a user's directory: root appends through no symlink of theirs, no hard link, no FIFO" {
	peer_is runc "follows the symlink (os.OpenFile) and blocks on the FIFO"
	peer_is crun "follows the symlink and blocks on the FIFO"
	user_dir
	# the user's symlink to root's file, and to a file that does not exist yet
	as_nobody ln -s "$VICTIM" "$U/log"
	as_nobody ln -s "$BATS_TEST_TMPDIR/made-by-root" "$U/log2"
	for l in log log2; do
		run timeout -k 5 20 "$RUNTIME" --root "$ROOT" --log "$U/$l" state nosuchcontainer
		[ "$status" -ne 124 ]
		assert_failure
		assert_output_contains "log file: '$U/$l' is a symlink of uid 65534: not followed"
		assert_one_line_error "$(basename "$RUNTIME")"
	done
	[ "$(cat "$VICTIM")" = root-only ]
	[ ! -e "$BATS_TEST_TMPDIR/made-by-root" ]
	# a hard link to root's file (a user makes it where fs.protected_hardlinks is 0; the
	# test makes it as root, which is the same name on disk)
	ln "$VICTIM" "$U/hard"
	run timeout -k 5 20 "$RUNTIME" --root "$ROOT" --log "$U/hard" state nosuchcontainer
	assert_failure
	assert_output_contains "log file: '$U/hard' is a hard link to a file its directory's owner does not own"
	[ "$(cat "$VICTIM")" = root-only ]
	# a FIFO with no reader used to block the open for ever, one with a reader the writes
	as_nobody mkfifo "$U/fifo"
	run timeout -k 5 20 "$RUNTIME" --root "$ROOT" --log "$U/fifo" state nosuchcontainer
	[ "$status" -ne 124 ]
	assert_failure
	as_nobody sleep 30 <>"$U/fifo" &
	local reader=$!
	run timeout -k 5 20 "$RUNTIME" --root "$ROOT" --log "$U/fifo" state nosuchcontainer
	kill "$reader"
	[ "$status" -ne 124 ]
	assert_failure
	assert_output_contains "log file: '$U/fifo' is not a regular file"
	# what root's own symlink names is followed (/dev/stderr is one), a plain file is used
	ln -s "$BATS_TEST_TMPDIR/root.log" "$BATS_TEST_TMPDIR/rootlink"
	run timeout -k 5 20 "$RUNTIME" --root "$ROOT" --log "$BATS_TEST_TMPDIR/rootlink" state nosuchcontainer
	assert_failure
	grep -q "does not exist" "$BATS_TEST_TMPDIR/root.log"
	as_nobody touch "$U/mine.log"
	run timeout -k 5 20 "$RUNTIME" --root "$ROOT" --log "$U/mine.log" state nosuchcontainer
	assert_failure
	grep -q "does not exist" "$U/mine.log"
}
