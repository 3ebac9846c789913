#!/usr/bin/env bats
# oci-bundle spec / edit / validate: the same config.json as `runc spec` (and --rootless),
# runnable by runc itself, edited by flags without losing the rest, validated with JSON paths.

load ../lib/common
load 30-bundle-lib

setup() {
	require_cmd jq
	B=$BATS_TEST_TMPDIR/bundle
	mkdir -p "$B"
}

teardown() {
	runc_cleanup
	[ -z "${U:-}" ] || rm -rf "$U" # a directory under /tmp another user can reach
}

# The default spec with only what the runtime needs changed (a rootfs, args, no terminal).
runnable_bundle() {
	make_rootfs "$B/rootfs"
	"$OCI_BUNDLE" spec --bundle "$B" "$@"
}

@test "spec writes runc's default config (only ociVersion differs), 2-space indented" {
	require_cmd runc
	mkdir "$BATS_TEST_TMPDIR/runc"
	(cd "$BATS_TEST_TMPDIR/runc" && runc spec)
	run "$OCI_BUNDLE" spec --bundle "$B"
	assert_success
	[ -z "$output" ]
	diff <(jq -S 'del(.ociVersion)' "$BATS_TEST_TMPDIR/runc/config.json") <(jq -S 'del(.ociVersion)' "$B/config.json")
	[ "$(jq -r .ociVersion "$B/config.json")" = "1.3.0" ]
	# runc's own layout, key order included, with 2 spaces for its tabs
	diff <(sed 's/\t/  /g; s/"ociVersion": ".*"/"ociVersion": "X"/' "$BATS_TEST_TMPDIR/runc/config.json"; echo) \
		<(sed 's/"ociVersion": ".*"/"ociVersion": "X"/' "$B/config.json")
	# default bundle directory: the current one
	mkdir "$BATS_TEST_TMPDIR/cwd"
	(cd "$BATS_TEST_TMPDIR/cwd" && "$OCI_BUNDLE" spec)
	cmp "$B/config.json" "$BATS_TEST_TMPDIR/cwd/config.json"
}

@test "spec --rootless matches runc spec --rootless for the caller's ids" {
	require_cmd runc
	mkdir "$BATS_TEST_TMPDIR/runc"
	(cd "$BATS_TEST_TMPDIR/runc" && runc spec --rootless)
	"$OCI_BUNDLE" spec --rootless --bundle "$B"
	diff <(jq -S 'del(.ociVersion)' "$BATS_TEST_TMPDIR/runc/config.json") <(jq -S 'del(.ociVersion)' "$B/config.json")
	[ "$(jq -c '.linux.uidMappings' "$B/config.json")" = "[{\"containerID\":0,\"hostID\":$(id -u),\"size\":1}]" ]
	[ "$(jq -c '[.linux.namespaces[].type]' "$B/config.json")" = '["pid","ipc","uts","mount","user"]' ]
	[ "$(jq '.linux.resources' "$B/config.json")" = null ]
	# as another user, that user's ids
	if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
		U=$(mktemp -d /tmp/ocib-rootless.XXXXXX)
		chmod 755 "$U" && chown nobody "$U"
		su -s /bin/sh nobody -c "'$OCI_BUNDLE' spec --rootless --bundle '$U'"
		uid=$(jq '.linux.uidMappings[0].hostID' "$U/config.json")
		gid=$(jq '.linux.gidMappings[0].hostID' "$U/config.json")
		rm -rf "$U"
		[ "$uid" = "$(id -u nobody)" ]
		[ "$gid" = "$(id -g nobody)" ]
	fi
}

@test "oci-run spec writes the same config.json as oci-bundle spec" {
	[ -x "$OCI_RUN" ] || skip "oci-run not built"
	mkdir "$B/run" "$B/run-rootless"
	"$OCI_RUN" spec --bundle "$B/run"
	"$OCI_BUNDLE" spec --bundle "$B"
	cmp "$B/config.json" "$B/run/config.json"
	"$OCI_RUN" spec --rootless --bundle "$B/run-rootless"
	"$OCI_BUNDLE" spec --rootless --force --bundle "$B"
	cmp "$B/config.json" "$B/run-rootless/config.json"
}

@test "spec refuses to replace config.json unless --force" {
	echo '{"mine":true}' >"$B/config.json"
	run "$OCI_BUNDLE" spec --bundle "$B"
	assert_failure
	assert_one_line_error oci-bundle
	assert_output_contains "already exists"
	[ "$(cat "$B/config.json")" = '{"mine":true}' ]
	run "$OCI_BUNDLE" spec --bundle "$B" --force
	assert_success
	[ "$(jq -r .ociVersion "$B/config.json")" = 1.3.0 ]
	# no temporary file left behind
	[ "$(ls -A "$B")" = config.json ]
}

@test "spec into a missing bundle directory fails with one line" {
	run "$OCI_BUNDLE" spec --bundle "$BATS_TEST_TMPDIR/nope"
	assert_failure
	assert_one_line_error oci-bundle
	assert_output_contains "nope"
	run "$OCI_BUNDLE"
	assert_failure
	assert_one_line_error oci-bundle
	run "$OCI_BUNDLE" frobnicate
	assert_failure
	assert_one_line_error oci-bundle
	run "$OCI_BUNDLE" spec --no-such-flag
	assert_failure
	assert_one_line_error oci-bundle
}

@test "runc runs the default spec with args edited to true and terminal false" {
	require_root
	require_cmd runc
	runnable_bundle
	"$OCI_BUNDLE" edit --bundle "$B" --no-terminal -- true
	[ "$(jq -c .process.args "$B/config.json")" = '["true"]' ]
	[ "$(jq .process.terminal "$B/config.json")" = false ]
	runc_run "$B"
	assert_success
	"$OCI_BUNDLE" edit --bundle "$B" -- sh -c 'echo in-container; exit 3'
	runc_run "$B"
	assert_failure 3
	[ "$output" = in-container ]
}

@test "runc runs the rootless spec" {
	require_root
	require_cmd runc
	runnable_bundle --rootless --no-terminal -- sh -c 'id -u; cat /proc/self/uid_map'
	runc_run "$B"
	assert_success
	[ "${lines[0]}" = 0 ]
	[ "$(echo ${lines[1]})" = "0 $(id -u) 1" ]
}

@test "edit flags change only their keys" {
	make_rootfs "$B/rootfs"
	"$OCI_BUNDLE" spec --bundle "$B"
	# a key oci-bundle does not know must survive edits
	jq '. + {"x-custom": {"keep": [1,2]}}' "$B/config.json" >"$B/c" && mv "$B/c" "$B/config.json"
	cp "$B/config.json" "$B/orig.json"
	"$OCI_BUNDLE" edit -b "$B" --env FOO=bar --env TERM=dumb --cwd /tmp --hostname box \
		--no-readonly-rootfs --memory 64M --cpus 1.5 --pids-limit 50 --annotation a.b=c \
		--args sh --args -c --args 'echo hi'
	C=$B/config.json
	[ "$(jq -c .process.env "$C")" = '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","TERM=dumb","FOO=bar"]' ]
	[ "$(jq -r .process.cwd "$C")" = /tmp ]
	[ "$(jq -r .hostname "$C")" = box ]
	[ "$(jq .root.readonly "$C")" = false ]
	[ "$(jq .linux.resources.memory.limit "$C")" = 67108864 ]
	[ "$(jq -c .linux.resources.cpu "$C")" = '{"quota":150000,"period":100000}' ]
	[ "$(jq .linux.resources.pids.limit "$C")" = 50 ]
	[ "$(jq -r '.annotations["a.b"]' "$C")" = c ]
	[ "$(jq -c .process.args "$C")" = '["sh","-c","echo hi"]' ]
	# everything else is as it was, in the same order
	diff <(jq 'del(.process.env, .process.cwd, .hostname, .root.readonly, .linux.resources.memory,
		.linux.resources.cpu, .linux.resources.pids, .annotations, .process.args)' "$B/orig.json") \
		<(jq 'del(.process.env, .process.cwd, .hostname, .root.readonly, .linux.resources.memory,
		.linux.resources.cpu, .linux.resources.pids, .annotations, .process.args)' "$C")
	[ "$(jq -c '."x-custom"' "$C")" = '{"keep":[1,2]}' ]
	"$OCI_BUNDLE" edit -b "$B" --readonly-rootfs --terminal
	[ "$(jq -c '[.root.readonly, .process.terminal]' "$C")" = '[true,true]' ]
}

@test "edit --cap-add/--cap-drop change every capability set runc uses" {
	"$OCI_BUNDLE" spec --bundle "$B"
	"$OCI_BUNDLE" edit -b "$B" --cap-add net_admin --cap-add CAP_SYS_TIME --cap-drop kill
	for s in bounding effective permitted ambient; do
		[ "$(jq -c ".process.capabilities.$s" "$B/config.json")" = '["CAP_AUDIT_WRITE","CAP_NET_BIND_SERVICE","CAP_NET_ADMIN","CAP_SYS_TIME"]' ]
	done
	"$OCI_BUNDLE" edit -b "$B" --cap-drop ALL --cap-add CAP_CHOWN
	[ "$(jq -c '[.process.capabilities[]] | unique' "$B/config.json")" = '[["CAP_CHOWN"]]' ]
	run "$OCI_BUNDLE" edit -b "$B" --cap-add CAP_FLY
	assert_failure
	assert_one_line_error oci-bundle
	assert_output_contains "CAP_FLY"
}

@test "edit --mount, --tmpfs and --net" {
	"$OCI_BUNDLE" spec --bundle "$B"
	"$OCI_BUNDLE" edit -b "$B" --mount type=bind,src=/srv/data,dst=/data,options=ro,nosuid \
		--tmpfs /run:size=1m,mode=700 --tmpfs /dev/shm
	[ "$(jq -c '.mounts[] | select(.destination=="/data")' "$B/config.json")" = \
		'{"destination":"/data","type":"bind","source":"/srv/data","options":["rbind","ro","nosuid"]}' ]
	[ "$(jq -c '.mounts[] | select(.destination=="/run") | .options' "$B/config.json")" = \
		'["nosuid","noexec","nodev","size=1m","mode=700"]' ]
	# a mount over an existing destination replaces it in place
	[ "$(jq -c '[.mounts[].destination] | index("/dev/shm")' "$B/config.json")" = 3 ]
	[ "$(jq -c '.mounts[3].source' "$B/config.json")" = '"tmpfs"' ]
	[ "$(jq '.mounts | length' "$B/config.json")" = 9 ]
	"$OCI_BUNDLE" edit -b "$B" --net host
	[ "$(jq -c '[.linux.namespaces[].type]' "$B/config.json")" = '["pid","ipc","uts","mount"]' ]
	"$OCI_BUNDLE" edit -b "$B" --net none
	[ "$(jq -c '.linux.namespaces[-1]' "$B/config.json")" = '{"type":"network"}' ]
	"$OCI_BUNDLE" edit -b "$B" --net ns:/var/run/netns/blue
	[ "$(jq -c '[.linux.namespaces[] | select(.type=="network")]' "$B/config.json")" = '[{"type":"network","path":"/var/run/netns/blue"}]' ]
	for bad in "--mount type=bind,dst=/x" "--mount src=/a,dst=rel" "--tmpfs rel" "--net bridge" "--net ns:rel" \
		"--memory lots" "--cpus 0" "--cpus -1" "--pids-limit 0" "--env NOEQ" "--cwd rel" "--cwd /proc/self/fd/3" \
		"--annotation novalue"; do
		cp "$B/config.json" "$B/before"
		run "$OCI_BUNDLE" edit -b "$B" $bad
		assert_failure
		assert_one_line_error oci-bundle
		# nothing half-done
		cmp "$B/before" "$B/config.json"
	done
}

@test "edit --user resolves names in the rootfs and sets HOME" {
	make_rootfs "$B/rootfs"
	"$OCI_BUNDLE" spec --bundle "$B"
	"$OCI_BUNDLE" edit -b "$B" --user app
	[ "$(jq -c .process.user "$B/config.json")" = '{"uid":1000,"gid":1000,"additionalGids":[50]}' ]
	jq -e '.process.env | index("HOME=/home/app")' "$B/config.json"
	"$OCI_BUNDLE" edit -b "$B" --user 1000:10
	[ "$(jq -c .process.user "$B/config.json")" = '{"uid":1000,"gid":10}' ]
	"$OCI_BUNDLE" edit -b "$B" --user daemon:staff
	[ "$(jq -c .process.user "$B/config.json")" = '{"uid":1,"gid":50}' ]
	cp "$B/config.json" "$B/before"
	run "$OCI_BUNDLE" edit -b "$B" --user mallory
	assert_failure
	assert_one_line_error oci-bundle
	assert_output_contains "mallory"
	cmp "$B/before" "$B/config.json"
}

@test "runc runs a config edited with user, env, cwd, hostname, mounts and caps" {
	require_root
	require_cmd runc
	runnable_bundle --no-terminal
	mkdir -p "$BATS_TEST_TMPDIR/shared"
	echo from-host >"$BATS_TEST_TMPDIR/shared/f"
	"$OCI_BUNDLE" edit -b "$B" --user app --env GREETING=hello --cwd /tmp --hostname inbox \
		--mount "type=bind,src=$BATS_TEST_TMPDIR/shared,dst=/shared,options=ro" --tmpfs /scratch \
		--cap-add NET_RAW --pids-limit 20 --memory 64M \
		-- sh -c 'id; echo $GREETING $HOME; pwd; hostname; cat /shared/f; touch /shared/x 2>/dev/null || echo ro-ok;
			grep CapBnd /proc/self/status; mount | grep " /scratch "'
	run "$OCI_BUNDLE" validate "$B"
	assert_success
	runc_run "$B"
	assert_success
	[ "${lines[0]}" = "uid=1000(app) gid=1000(app) groups=50(staff)" ]
	[ "${lines[1]}" = "hello /home/app" ]
	[ "${lines[2]}" = /tmp ]
	[ "${lines[3]}" = inbox ]
	[ "${lines[4]}" = from-host ]
	[ "${lines[5]}" = ro-ok ]
	# bounding set: AUDIT_WRITE(29) KILL(5) NET_BIND_SERVICE(10) NET_RAW(13)
	[ "$(echo ${lines[6]})" = "CapBnd: 0000000020002420" ]
	[[ "${lines[7]}" == *"tmpfs on /scratch type tmpfs"*nosuid*nodev*noexec* ]]
}

@test "validate accepts the default config with a rootfs and prints each problem with its path" {
	make_rootfs "$B/rootfs"
	"$OCI_BUNDLE" spec --bundle "$B"
	run "$OCI_BUNDLE" validate "$B"
	assert_success
	[ "$output" = "config.json is valid" ]
	(cd "$B" && "$OCI_BUNDLE" validate)
	"$OCI_BUNDLE" validate --bundle "$B"

	jq '.process.args = ["sh", 1] | .mounts[0].destination = "proc" | .linux.namespaces += [{"type":"pid"},{"type":"net"}]
		| .process.rlimits[0].type = "RLIMIT_FOO" | .process.capabilities.effective += ["CAP_FLY"]
		| .root.path = "missing" | .process.terminal = "no"' "$B/config.json" >"$B/c"
	mv "$B/c" "$B/config.json"
	run "$OCI_BUNDLE" validate "$B"
	assert_failure 1
	assert_output_contains "process.args[1]: expected a string"
	assert_output_contains "mounts[0].destination: 'proc' is not an absolute path"
	assert_output_contains "linux.namespaces[5]: namespace 'pid' given twice"
	assert_output_contains "linux.namespaces[6]: unknown namespace type 'net'"
	assert_output_contains "process.rlimits[0]: unknown rlimit type 'RLIMIT_FOO'"
	assert_output_contains "process.capabilities.effective[3]: unknown capability 'CAP_FLY'"
	assert_output_contains "root.path: 'missing': No such file or directory"
	assert_output_contains "process.terminal: expected a boolean"
	assert_output_contains "oci-bundle: '$B/config.json': 8 problems"
	[ "${#lines[@]}" = 9 ]
}

@test "attack: validate prints a hostile config.json's text with its control bytes escaped" {
	# a value validate quotes back: its ESC sequences (window title, screen clear) reached the
	# terminal, and its newline forged a line of the report
	make_rootfs "$B/rootfs"
	"$OCI_BUNDLE" spec --bundle "$B"
	jq '.process.cwd = "rel\u001b]0;PWNED\u0007\u001b[2J\nconfig.json is valid"' "$B/config.json" >"$B/c"
	mv "$B/c" "$B/config.json"
	run "$OCI_BUNDLE" validate "$B"
	assert_failure 1
	[ "${lines[0]}" = "process.cwd: 'rel\\x1b]0;PWNED\\x07\\x1b[2J\\nconfig.json is valid' is not an absolute path" ]
	[ "${#lines[@]}" = 2 ]
	[[ "$output" != *$'\e'* ]]
}

@test "validate: a user namespace needs id mappings, mappings need a user namespace" {
	make_rootfs "$B/rootfs"
	"$OCI_BUNDLE" spec --bundle "$B" --rootless
	run "$OCI_BUNDLE" validate "$B"
	assert_success
	# a user the namespace does not map cannot be switched to
	"$OCI_BUNDLE" edit -b "$B" --user app
	run "$OCI_BUNDLE" validate "$B"
	assert_failure
	assert_output_contains "process.user.uid: 1000 is not mapped by linux.uidMappings"
	assert_output_contains "process.user.gid: 1000 is not mapped by linux.gidMappings"
	assert_output_contains "process.user.additionalGids[0]: 50 is not mapped by linux.gidMappings"
	"$OCI_BUNDLE" edit -b "$B" --user 0:0
	jq 'del(.linux.uidMappings)' "$B/config.json" >"$B/c" && mv "$B/c" "$B/config.json"
	run "$OCI_BUNDLE" validate "$B"
	assert_failure
	assert_output_contains "linux.uidMappings: a new user namespace needs at least one uid mapping"
	jq '.linux.namespaces |= map(select(.type != "user"))' "$B/config.json" >"$B/c" && mv "$B/c" "$B/config.json"
	run "$OCI_BUNDLE" validate "$B"
	assert_failure
	assert_output_contains "linux.gidMappings: gid mappings given without a new user namespace"
}

@test "validate: unreadable or malformed config.json is one error line" {
	run "$OCI_BUNDLE" validate "$B"
	assert_failure
	assert_one_line_error oci-bundle
	echo '{"ociVersion": ' >"$B/config.json"
	run "$OCI_BUNDLE" validate "$B"
	assert_failure
	assert_one_line_error oci-bundle
	assert_output_contains "invalid JSON"
	echo '[]' >"$B/config.json"
	run "$OCI_BUNDLE" validate "$B"
	assert_failure
	assert_output_contains "(root): expected an object"
}

@test "attack: a bundle whose config.json or image-config.json is a FIFO, a device or a symlink: one line, never a hang" {
	# a hostile bundle: a FIFO blocked the open of edit and validate for ever (nobody writes it)
	mkfifo "$B/config.json"
	for cmd in "validate $B" "edit -b $B --hostname x"; do
		# shellcheck disable=SC2086
		run timeout -k 1 10 "$OCI_BUNDLE" $cmd
		[ "$status" = 1 ]
		assert_one_line_error oci-bundle
		assert_output_contains "'config.json' is not a regular file"
	done
	[ -p "$B/config.json" ]
	# a device is not read either, and edit does not follow a symlink it would replace
	rm "$B/config.json"
	ln -s /dev/zero "$B/config.json"
	run timeout -k 1 10 "$OCI_BUNDLE" validate "$B"
	[ "$status" = 1 ]
	assert_output_contains "'config.json' is not a regular file"
	"$OCI_BUNDLE" spec --bundle "$BATS_TEST_TMPDIR" --force
	ln -sf "$BATS_TEST_TMPDIR/config.json" "$B/config.json"
	run "$OCI_BUNDLE" edit -b "$B" --hostname x
	[ "$status" = 1 ]
	assert_output_contains "'config.json' is not a regular file"
	[ "$(jq -r .hostname "$BATS_TEST_TMPDIR/config.json")" = runc ]
	# a symlink to a regular file is still validated (read-only use), as before
	mkdir "$B/rootfs"
	run "$OCI_BUNDLE" validate "$B"
	assert_success
	rm "$B/config.json"
	mkfifo "$B/image-config.json"
	run timeout -k 1 10 "$OCI_BUNDLE" spec -b "$B" --from-image
	[ "$status" = 1 ]
	assert_one_line_error oci-bundle
	assert_output_contains "'image-config.json' is not a regular file"
	"$OCI_BUNDLE" spec -b "$B"
	run timeout -k 1 10 "$OCI_BUNDLE" edit -b "$B" --args true
	[ "$status" = 1 ]
	assert_output_contains "'image-config.json' is not a regular file"
}

# U: a directory user nobody owns, where root runs oci-bundle; SECRET: a file only root reads.
user_dir_and_secret() {
	require_root
	U=$(mktemp -d /tmp/oci-bundle-user.XXXXXX)
	chmod 755 "$U"
	chown 65534:65534 "$U"
	SECRET=$BATS_TEST_TMPDIR/root-secret
	printf 'rootonlytoken7f3a\n' >"$SECRET"
	chmod 600 "$SECRET"
}

@test "attack: --image-config in a user's directory: no FIFO blocks it, no symlink or hard link of theirs is read" {
	user_dir_and_secret
	setpriv --reuid=65534 --regid=65534 --clear-groups mkfifo "$U/fifo.json"
	setpriv --reuid=65534 --regid=65534 --clear-groups ln -s "$SECRET" "$U/link.json"
	ln "$SECRET" "$U/hard.json" # a user's where fs.protected_hardlinks is 0
	local f
	for f in fifo link hard; do
		run timeout -k 1 10 "$OCI_BUNDLE" spec -b "$B" --image-config "$U/$f.json"
		[ "$status" = 1 ]
		assert_one_line_error oci-bundle
		[[ "$output" != *rootonlytoken* ]]
		[ ! -e "$B/config.json" ]
	done
	assert_output_contains "'$U/hard.json' is a hard link to a file its directory's owner does not own"
	# a pipe (process substitution, stdin) and the user's own file are read as before
	run "$OCI_BUNDLE" spec -b "$B" --image-config <(echo '{"config": {"Cmd": ["a"]}}')
	assert_success
	echo '{"config": {"Cmd": ["b"]}}' | "$OCI_BUNDLE" spec -b "$B" --force --image-config /dev/stdin
	[ "$(jq -c .process.args "$B/config.json")" = '["b"]' ]
	echo '{"config": {"Cmd": ["c"]}}' >"$U/own.json"
	chown 65534:65534 "$U/own.json"
	"$OCI_BUNDLE" spec -b "$B" --force --image-config "$U/own.json"
	[ "$(jq -c .process.args "$B/config.json")" = '["c"]' ]
	rm -rf "$U"
}

@test "attack: a user's bundle whose config.json is their symlink to a root-only file: not read" {
	user_dir_and_secret
	setpriv --reuid=65534 --regid=65534 --clear-groups mkdir "$U/rootfs"
	setpriv --reuid=65534 --regid=65534 --clear-groups ln -s "$SECRET" "$U/config.json"
	for cmd in "validate $U" "spec -b $U --force --from-image"; do
		setpriv --reuid=65534 --regid=65534 --clear-groups ln -sf "$SECRET" "$U/image-config.json"
		# shellcheck disable=SC2086
		run timeout -k 1 10 "$OCI_BUNDLE" $cmd
		[ "$status" = 1 ]
		assert_one_line_error oci-bundle
		[[ "$output" != *rootonlytoken* ]]
		assert_output_contains "is a symlink of uid 65534: not followed"
	done
	[ -L "$U/config.json" ]
	# root's own symlink is followed as before (the attack test above)
	rm -rf "$U"
}

@test "edits and specs of one bundle at once: every edit lands, one spec wins, the others say why" {
	"$OCI_BUNDLE" spec --bundle "$B"
	# each edit read config.json, changed it and wrote it back over the others' changes
	pids=()
	for i in $(seq 1 12); do
		"$OCI_BUNDLE" edit --bundle "$B" --env "V$i=$i" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	for i in $(seq 1 12); do
		jq -e --arg e "V$i=$i" '.process.env | index($e) != null' "$B/config.json" >/dev/null
	done
	[ "$(ls -A "$B")" = config.json ]
	# specs without --force into a bundle without config.json: one writes it
	mkdir "$B/new"
	pids=()
	for i in $(seq 1 6); do
		"$OCI_BUNDLE" spec --bundle "$B/new" --hostname "h$i" 2>"$B/new.err$i" &
		pids+=($!)
	done
	ok=0
	for p in "${pids[@]}"; do wait "$p" && ok=$((ok + 1)); done
	[ "$ok" = 1 ]
	[ "$(cat "$B"/new.err* | grep -c "already exists (use --force to replace it)")" = 5 ]
	[ "$(ls -A "$B/new")" = config.json ]
}
