#!/usr/bin/env bats
# oci-fetch login and logout against the real registry in basic-auth and bearer-token modes:
# credentials checked before anything is stored, stored where podman and skopeo read them
# (0600, atomically, the rest of the file kept), read back by skopeo and by oci-fetch, skopeo's
# own login read by oci-fetch; the password prompt on a terminal (a pty) never echoes.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/registry
load ../lib/images
load ../lib/fetch

PTYRUN=$BATS_TEST_DIRNAME/../lib/ptyrun.py

setup_file() {
	require_cmd docker-registry jq curl skopeo python3 htpasswd
	image_build "$BATS_FILE_TMPDIR/one"
	export ONE_DIGEST=$IMAGE_DIGEST ONE_LAYOUT=$IMAGE_LAYOUT
	registries_push_auth "$ONE_LAYOUT" test/one
}

teardown_file() {
	registry_stop
}

setup() {
	fetch_private_home
	registry_use "$BASIC_ENV"
}

teardown() {
	[ -z "${D:-}" ] || rm -rf "$D" # a directory under /tmp another user can reach
}

# digest_with ARGS...: the image's digest as oci-fetch inspect sees it with ARGS
digest_with() {
	"$OCI_FETCH" inspect --no-tags "$@" "$REGISTRY/test/one:latest" | jq -r .Digest
}

@test "login: checked, stored 0600 where skopeo reads it, used by inspect and pull (basic, token)" {
	for env in "$BASIC_ENV" "$TOKEN_ENV"; do
		registry_use "$env"
		export REGISTRY_AUTH_FILE=$T/$REGISTRY_MODE/auth.json
		run -0 bash -c "printf '%s\n' '$REGISTRY_PASS' | '$OCI_FETCH' login -u '$REGISTRY_USER' --password-stdin $REGISTRY"
		[ "$output" = "Login Succeeded!" ]
		[ "$(stat -c %a "$REGISTRY_AUTH_FILE")" = 600 ]
		[ "$(stat -c %a "$(dirname "$REGISTRY_AUTH_FILE")")" = 700 ]
		[ "$(jq -r --arg r "$REGISTRY" '.auths[$r].auth' "$REGISTRY_AUTH_FILE" | base64 -d)" = "$REGISTRY_USER:$REGISTRY_PASS" ]
		# no temporary file left beside it
		[ "$(ls -A "$(dirname "$REGISTRY_AUTH_FILE")")" = auth.json ]
		# oci-fetch and skopeo both use it
		[ "$(digest_with)" = "$ONE_DIGEST" ]
		"$OCI_FETCH" --no-cache -o "$T/lay-$REGISTRY_MODE" "$REGISTRY/test/one:latest"
		check_layout "$T/lay-$REGISTRY_MODE"
		[ "$(skopeo inspect --tls-verify=false "docker://$REGISTRY/test/one:latest" | jq -r .Digest)" = "$ONE_DIGEST" ]
	done
	# basic mode: without the file, refused
	registry_use "$BASIC_ENV"
	export REGISTRY_AUTH_FILE=$T/none.json
	run "$OCI_FETCH" inspect "$REGISTRY/test/one:latest"
	assert_failure
	assert_output_contains "authentication required"
}

@test "login and logout at once: no change is lost (each read the file, changed it and wrote it back over the others' changes)" {
	af=$T/par/auth.json
	mkdir -p "$T/par"
	python3 -c 'import json; print(json.dumps({"auths": {"host%d.example" % i: {"auth": "dTpw"} for i in range(30)}}))' >"$af"
	chmod 600 "$af"
	pids=()
	for i in $(seq 0 29); do
		"$OCI_FETCH" logout --authfile "$af" "host$i.example" >/dev/null &
		pids+=($!)
	done
	printf '%s\n' "$REGISTRY_PASS" | "$OCI_FETCH" login --authfile "$af" -u "$REGISTRY_USER" --password-stdin "$REGISTRY" >/dev/null &
	pids+=($!)
	for p in "${pids[@]}"; do wait "$p"; done
	# every logout said it removed its entry, and the login its own: the file must agree
	[ "$(jq -r '.auths | keys | join(" ")' "$af")" = "$REGISTRY" ]
	[ "$(jq -r --arg r "$REGISTRY" '.auths[$r].auth' "$af" | base64 -d)" = "$REGISTRY_USER:$REGISTRY_PASS" ]
	[ "$(ls -A "$T/par")" = auth.json ]
	[ "$(stat -c %a "$af")" = 600 ]
}

# The same lock was a flock on the auth file's directory, which needs only a descriptor: any
# local user who could read that directory (a ~/.docker made 0755) held every login and
# logout, each failing after its 10 s wait ("another process has held the lock...").
@test "login: another user who can read the auth file's directory cannot hold logins up" {
	require_root
	require_cmd setpriv flock
	D=$(mktemp -d /tmp/oci-auth.XXXXXX)
	chmod 755 "$D"
	flock_as_nobody "$D"
	run timeout 30 "$OCI_FETCH" login --authfile "$D/auth.json" -u "$REGISTRY_USER" -p "$REGISTRY_PASS" "$REGISTRY"
	local login_status=$status
	run timeout 30 "$OCI_FETCH" logout --authfile "$D/auth.json" "$REGISTRY"
	local logout_status=$status
	kill "$HOLDER"
	wait "$HOLDER" || true
	[ "$login_status" = 0 ]
	[ "$logout_status" = 0 ]
	# the writers' lock file is there only while one holds it
	[ "$(ls -A "$D")" = auth.json ]
	rm -rf "$D"
}

@test "login: a login killed before its rename leaves a 0600 temporary the next login removes" {
	require_cmd strace
	local D=$T/killed
	mkdir -p "$D"
	# SIGKILL at the rename that would put the written file in place
	run strace -f -qq -o /dev/null -e trace=rename,renameat,renameat2 -e inject=rename,renameat,renameat2:signal=KILL \
		"$OCI_FETCH" login --authfile "$D/auth.json" -u "$REGISTRY_USER" -p "$REGISTRY_PASS" "$REGISTRY"
	assert_failure
	compgen -G "$D/.tmp-auth.json.*" >/dev/null
	run -0 "$OCI_FETCH" login --authfile "$D/auth.json" -u "$REGISTRY_USER" -p "$REGISTRY_PASS" "$REGISTRY"
	[ "$(ls -A "$D")" = auth.json ]
}

@test "attack: --authfile in a user's directory: root reads through no symlink or hard link of theirs, never blocks on a FIFO" {
	require_root
	require_cmd setpriv
	D=$(mktemp -d /tmp/oci-auth.XXXXXX)
	chmod 755 "$D"
	chown 65534:65534 "$D"
	SECRET=$T/root-secret
	printf 'rootonlytoken7f3a\n' >"$SECRET"
	chmod 600 "$SECRET"
	setpriv --reuid=65534 --regid=65534 --clear-groups ln -s "$SECRET" "$D/auth.json"
	setpriv --reuid=65534 --regid=65534 --clear-groups mkfifo "$D/fifo.json"
	# a hard link (a user makes it where fs.protected_hardlinks is 0; the test, as root)
	ln "$SECRET" "$D/hard.json"
	local f
	for f in auth.json fifo.json hard.json; do
		# logout reads the file to change it, inspect to look the registry up
		run timeout 20 "$OCI_FETCH" logout --authfile "$D/$f" "$REGISTRY"
		[ "$status" -ne 124 ]
		assert_failure
		assert_one_line_error oci-fetch
		[[ "$output" != *rootonlytoken* ]]
		run timeout 20 "$OCI_FETCH" inspect --no-tags --authfile "$D/$f" "$REGISTRY/test/one:latest"
		[ "$status" -ne 124 ]
		assert_failure
		[[ "$output" != *rootonlytoken* ]]
	done
	assert_output_contains "'$D/hard.json' is a hard link to a file its directory's owner does not own"
	run "$OCI_FETCH" logout --authfile "$D/auth.json" "$REGISTRY"
	assert_output_contains "'$D/auth.json' is a symlink of uid 65534: not followed"
	run "$OCI_FETCH" logout --authfile "$D/fifo.json" "$REGISTRY"
	assert_output_contains "'$D/fifo.json' is not a regular file"
	[ "$(cat "$SECRET")" = rootonlytoken7f3a ]
	# the user's own file in their directory is read as before
	printf '{"auths": {}}\n' >"$D/own.json"
	chown 65534:65534 "$D/own.json"
	run "$OCI_FETCH" logout --authfile "$D/own.json" "$REGISTRY"
	assert_output_contains "not logged in to $REGISTRY"
	rm -rf "$D"
}

@test "login: a wrong password is a clear error and nothing is stored or changed" {
	for env in "$BASIC_ENV" "$TOKEN_ENV"; do
		registry_use "$env"
		export REGISTRY_AUTH_FILE=$T/$REGISTRY_MODE/auth.json
		run bash -c "printf 'wrong\n' | '$OCI_FETCH' login -u '$REGISTRY_USER' --password-stdin $REGISTRY"
		assert_failure
		assert_one_line_error oci-fetch
		assert_output_contains "authentication failed"
		[ ! -e "$REGISTRY_AUTH_FILE" ]
		[ ! -e "$T/$REGISTRY_MODE" ] || [ -z "$(ls -A "$T/$REGISTRY_MODE")" ]
		# an existing file stays as it was
		mkdir -p "$T/$REGISTRY_MODE"
		echo '{"auths":{"other.example":{"auth":"eDp5"}}}' >"$REGISTRY_AUTH_FILE"
		sum=$(sha256sum <"$REGISTRY_AUTH_FILE")
		run "$OCI_FETCH" login -u "$REGISTRY_USER" -p wrong "$REGISTRY"
		assert_failure
		[ "$(sha256sum <"$REGISTRY_AUTH_FILE")" = "$sum" ]
	done
}

@test "login: a full filesystem under a new auth directory: one line, the directories it made go" {
	require_root
	mkdir "$T/full"
	# room for the root, two directories and the lock file: the auth file's temporary fails
	mount -t tmpfs -o size=64k,nr_inodes=4 tmpfs "$T/full"
	export REGISTRY_AUTH_FILE=$T/full/a/b/auth.json
	run "$OCI_FETCH" login -u "$REGISTRY_USER" -p "$REGISTRY_PASS" "$REGISTRY"
	local left
	left=$(ls -A "$T/full")
	umount "$T/full"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "No space left on device"
	[ -z "$left" ]
}

@test "login: where the file goes (REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, --authfile), others kept" {
	mkdir -p "$T/run/containers"
	printf '{"auths":{"other.example":{"auth":"eDp5"}},"credHelpers":{"x.example":"test"}}' \
		>"$T/run/containers/auth.json"
	XDG_RUNTIME_DIR=$T/run "$OCI_FETCH" login -u "$REGISTRY_USER" -p "$REGISTRY_PASS" "$REGISTRY" >/dev/null
	f=$T/run/containers/auth.json
	[ "$(jq -r '.auths["other.example"].auth' "$f")" = eDp5 ]
	[ "$(jq -r '.credHelpers["x.example"]' "$f")" = test ]
	jq -e --arg r "$REGISTRY" '.auths[$r].auth' "$f" >/dev/null
	[ "$(XDG_RUNTIME_DIR=$T/run digest_with)" = "$ONE_DIGEST" ]
	# REGISTRY_AUTH_FILE wins over XDG_RUNTIME_DIR, --authfile over both
	REGISTRY_AUTH_FILE=$T/raf.json XDG_RUNTIME_DIR=$T/run "$OCI_FETCH" login -u "$REGISTRY_USER" -p "$REGISTRY_PASS" "$REGISTRY" >/dev/null
	[ -f "$T/raf.json" ]
	REGISTRY_AUTH_FILE=$T/raf.json "$OCI_FETCH" login --authfile "$T/af.json" -u "$REGISTRY_USER" -p "$REGISTRY_PASS" "$REGISTRY" >/dev/null
	[ -f "$T/af.json" ]
	[ "$(digest_with --authfile "$T/af.json")" = "$ONE_DIGEST" ]
	# logging in again replaces the entry (the file is a new one, renamed into place)
	ino=$(stat -c %i "$T/af.json")
	"$OCI_FETCH" login --authfile "$T/af.json" -u "$REGISTRY_USER" -p "$REGISTRY_PASS" "$REGISTRY" >/dev/null
	[ "$(stat -c %i "$T/af.json")" != "$ino" ]
	[ "$(jq '.auths | length' "$T/af.json")" = 1 ]
	# logout removes that registry only; --all every registry; not logged in is an error
	XDG_RUNTIME_DIR=$T/run run -0 "$OCI_FETCH" logout "$REGISTRY"
	[ "$output" = "Removed login credentials for $REGISTRY" ]
	[ "$(jq -c '.auths | keys' "$f")" = '["other.example"]' ]
	[ "$(jq -r '.credHelpers["x.example"]' "$f")" = test ]
	[ "$(stat -c %a "$f")" = 600 ]
	XDG_RUNTIME_DIR=$T/run run "$OCI_FETCH" logout "$REGISTRY"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "not logged in to $REGISTRY"
	XDG_RUNTIME_DIR=$T/run run -0 "$OCI_FETCH" logout --all
	[ "$(jq -c '.auths' "$f")" = '{}' ]
}

@test "login: skopeo reads what oci-fetch wrote and oci-fetch reads and removes what skopeo wrote" {
	for env in "$BASIC_ENV" "$TOKEN_ENV"; do
		registry_use "$env"
		export REGISTRY_AUTH_FILE=$T/$REGISTRY_MODE.json
		"$OCI_FETCH" login -u "$REGISTRY_USER" -p "$REGISTRY_PASS" "$REGISTRY" >/dev/null
		[ "$(skopeo inspect --tls-verify=false --authfile "$REGISTRY_AUTH_FILE" "docker://$REGISTRY/test/one:latest" | jq -r .Digest)" = "$ONE_DIGEST" ]
		run -0 skopeo logout --authfile "$REGISTRY_AUTH_FILE" "$REGISTRY"
		[ "$(jq -c '.auths' "$REGISTRY_AUTH_FILE")" = '{}' ]
		rm "$REGISTRY_AUTH_FILE"
		skopeo login --tls-verify=false --authfile "$REGISTRY_AUTH_FILE" -u "$REGISTRY_USER" -p "$REGISTRY_PASS" "$REGISTRY" >/dev/null
		[ "$(digest_with)" = "$ONE_DIGEST" ]
		run -0 "$OCI_FETCH" logout "$REGISTRY"
		# skopeo finds nothing left for it
		run skopeo logout --authfile "$REGISTRY_AUTH_FILE" "$REGISTRY"
		assert_failure
	done
}

@test "login on a terminal: prompts, the password is never echoed; pull --username too" {
	export REGISTRY_AUTH_FILE=$T/auth.json
	run -0 python3 "$PTYRUN" --answer "Username: =$REGISTRY_USER" --answer "Password: =$REGISTRY_PASS" \
		-- "$OCI_FETCH" login "$REGISTRY"
	assert_output_contains "Username: $REGISTRY_USER"
	assert_output_contains "Password: "
	assert_output_contains "Login Succeeded!"
	[[ "$output" != *"$REGISTRY_PASS"* ]]
	[ "$(digest_with)" = "$ONE_DIGEST" ]
	# a wrong password typed on the terminal: refused, nothing stored
	run python3 "$PTYRUN" --answer "Password: =wrong-$REGISTRY_PASS" \
		-- "$OCI_FETCH" login -u "$REGISTRY_USER" --authfile "$T/other.json" "$REGISTRY"
	[ "$status" = 1 ]
	[[ "$output" != *"wrong-"* ]]
	assert_output_contains "authentication failed"
	[ ! -e "$T/other.json" ]
	# the pull's --username asks the same way (stdout is the image, not the terminal)
	unset REGISTRY_AUTH_FILE
	run -0 python3 "$PTYRUN" --answer "Password: =$REGISTRY_PASS" \
		-- "$OCI_FETCH" --no-cache -q --username "$REGISTRY_USER" -o "$T/lay" "$REGISTRY/test/one:latest"
	assert_output_contains "Password: "
	[[ "$output" != *"$REGISTRY_PASS"* ]]
	check_layout "$T/lay"
}

@test "login: what is missing or wrong is said in one line" {
	export REGISTRY_AUTH_FILE=$T/auth.json
	run "$OCI_FETCH" login -u "$REGISTRY_USER" "$REGISTRY" </dev/null
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "--password-stdin"
	run "$OCI_FETCH" login -p x "$REGISTRY" </dev/null
	assert_failure
	assert_output_contains "--username"
	run "$OCI_FETCH" login -u a -p b "$REGISTRY/test/one:latest"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "not a repository or image"
	run "$OCI_FETCH" login -u a -p b --password-stdin "$REGISTRY" </dev/null
	assert_failure
	assert_output_contains "exclusive"
	# a password too long to keep whole is refused, never used cut
	run bash -c "head -c 5000 /dev/zero | tr '\\0' a | '$OCI_FETCH' login -u a --password-stdin $REGISTRY"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "Password: longer than 4095 bytes"
	[ ! -e "$T/auth.json" ]
	# a broken auth file is named, and left alone
	echo '{"auths":' >"$T/auth.json"
	run "$OCI_FETCH" login -u "$REGISTRY_USER" -p "$REGISTRY_PASS" "$REGISTRY"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "$T/auth.json"
	[ "$(cat "$T/auth.json")" = '{"auths":' ]
	[ ! -e "$T/auth.json.tmp" ]
	run -0 "$OCI_FETCH" login --help
	assert_output_contains "--password-stdin"
}
