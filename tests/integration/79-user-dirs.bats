#!/usr/bin/env bats
# Root running the tools on a path a user owns (a CI job on a bundle, layout or state root in
# their home): the directory named last is followed only when it is a symlink of root's, never
# one the user planted there, or root writes, reads or deletes where it points. U is nobody's
# directory; R is root's (0700), which the user's symlinks name.

load ../lib/common
load ../lib/images

setup() {
	require_root
	require_cmd setpriv python3
	U=$(mktemp -d /tmp/oci-user-dirs.XXXXXX)
	chmod 755 "$U"
	chown 65534:65534 "$U"
	R=$BATS_TEST_TMPDIR/root-only
	mkdir -m 700 "$R"
}

teardown() {
	[ -z "${U:-}" ] || rm -rf "$U" # a directory under /tmp another user can reach
}

as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

@test "attack: oci-bundle spec/validate and oci-run --root on a user's symlink to root's directory" {
	as_nobody ln -s "$R" "$U/b"
	as_nobody ln -s "$R" "$U/state"
	run "$OCI_BUNDLE" spec -b "$U/b"
	assert_failure
	assert_one_line_error oci-bundle
	assert_output_contains "'$U/b' is a symlink of uid 65534: not followed"
	run "$OCI_BUNDLE" validate "$U/b"
	assert_failure
	assert_output_contains "'$U/b' is a symlink of uid 65534: not followed"
	# a state root there: root's containers would be listed, killed or deleted through it
	run timeout -k 5 20 "$OCI_RUN" --root "$U/state" list
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "state root: '$U/state' is a symlink of uid 65534: not followed"
	run timeout -k 5 20 "$OCI_RUN" --root "$U/state/" list
	assert_failure
	[ -z "$(ls -A "$R")" ]
	# root's own symlink and the user's real directory are used as before
	ln -s "$R" "$BATS_TEST_TMPDIR/rootlink"
	"$OCI_BUNDLE" spec -b "$BATS_TEST_TMPDIR/rootlink"
	[ -f "$R/config.json" ]
	as_nobody mkdir "$U/real"
	"$OCI_BUNDLE" spec -b "$U/real"
	[ -f "$U/real/config.json" ]
	"$OCI_RUN" --root "$U/real/state" list >/dev/null
}

@test "attack: oci-unpack --bundle and --layout, oci-fetch login's auth directory on a user's symlink" {
	python3 "$MKIMAGE" "$BATS_TEST_TMPDIR/img" --oci-archive "$BATS_TEST_TMPDIR/img.tar" >/dev/null
	as_nobody ln -s "$R" "$U/b"
	run "$OCI_UNPACK" -i "$BATS_TEST_TMPDIR/img.tar" --bundle "$U/b"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "'$U/b' is a symlink of uid 65534: not followed"
	[ -z "$(ls -A "$R")" ]
	# root's private layout read into the user's rootfs
	mkdir "$R/layout"
	cp -a "$BATS_TEST_TMPDIR/img/." "$R/layout/"
	as_nobody ln -s "$R/layout" "$U/lay"
	run "$OCI_UNPACK" --layout "$U/lay" "$U/rootfs"
	assert_failure
	assert_output_contains "layout: '$U/lay' is a symlink of uid 65534: not followed"
	[ ! -e "$U/rootfs" ]
	# login and logout change the auth file in its directory: root's, through the user's link
	printf '{"auths": {"r.example": {"auth": "cm9vdDpzZWNyZXQ="}}}\n' >"$R/auth.json"
	chmod 600 "$R/auth.json"
	as_nobody ln -s "$R" "$U/d"
	run timeout -k 5 20 "$OCI_FETCH" logout --authfile "$U/d/auth.json" r.example
	assert_failure
	assert_output_contains "'$U/d' is a symlink of uid 65534: not followed"
	grep -q cm9vdDpzZWNyZXQ= "$R/auth.json"
	# a user's own directories work as before
	as_nobody mkdir "$U/real"
	"$OCI_UNPACK" -q -i "$BATS_TEST_TMPDIR/img.tar" --bundle "$U/real/b"
	[ -x "$U/real/b/rootfs/bin/busybox" ]
	[ -f "$U/real/b/config.json" ]
}

@test "attack: oci-unpack --layout of a user's layout whose blobs/ or blobs/sha256/ is their symlink into root's private layout" {
	# the user knows the digests of an image only root can read (its index.json is public
	# knowledge: a tag's digest); their own layout names it and borrows root's blobs
	python3 "$MKIMAGE" "$BATS_TEST_TMPDIR/img" >/dev/null
	mkdir "$R/layout"
	cp -a "$BATS_TEST_TMPDIR/img/." "$R/layout/"
	as_nobody mkdir "$U/lay" "$U/lay2" "$U/lay2/blobs"
	for l in lay lay2; do
		cp "$BATS_TEST_TMPDIR/img/oci-layout" "$BATS_TEST_TMPDIR/img/index.json" "$U/$l/"
		chown 65534:65534 "$U/$l/oci-layout" "$U/$l/index.json"
	done
	as_nobody ln -s "$R/layout/blobs" "$U/lay/blobs"
	as_nobody ln -s "$R/layout/blobs/sha256" "$U/lay2/blobs/sha256"
	run "$OCI_UNPACK" --layout "$U/lay" "$U/rootfs"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "'blobs' is a symlink of uid 65534: not followed"
	[ ! -e "$U/rootfs" ]
	run "$OCI_UNPACK" --layout "$U/lay2" "$U/rootfs"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "'blobs/sha256' is a symlink of uid 65534: not followed"
	[ ! -e "$U/rootfs" ]
	# root's own link there is followed, as a layout directory of root's is
	rm "$U/lay/blobs"
	ln -s "$R/layout/blobs" "$U/lay/blobs"
	"$OCI_UNPACK" -q --layout "$U/lay" "$U/rootfs"
	[ -x "$U/rootfs/bin/busybox" ]
}

@test "attack: a user's layout index.json or bundle config.json that is a hard link to a root-only file is not read (its first token showed in the JSON error)" {
	printf 'rootonlysecret5d2e:x\n' >"$R/secret"
	chmod 600 "$R/secret"
	as_nobody mkdir "$U/lay" "$U/b"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$U/lay/oci-layout"
	chown 65534:65534 "$U/lay/oci-layout"
	# the user's hard links (they make them where fs.protected_hardlinks is 0; here, root)
	ln "$R/secret" "$U/lay/index.json"
	ln "$R/secret" "$U/b/config.json"
	run "$OCI_UNPACK" --layout "$U/lay" "$U/rootfs"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "'index.json' is a hard link to a file its directory's owner does not own"
	[[ "$output" != *rootonlysecret* ]]
	[ ! -e "$U/rootfs" ]
	run "$OCI_BUNDLE" validate "$U/b"
	assert_failure
	assert_output_contains "'config.json' is a hard link to a file its directory's owner does not own"
	[[ "$output" != *rootonlysecret* ]]
	# the user's own file with a second name (a copy made with cp -al) is read as before
	rm "$U/b/config.json"
	as_nobody mkdir "$U/b/rootfs"
	"$OCI_BUNDLE" spec -b "$U/b"
	chown 65534:65534 "$U/b/config.json"
	as_nobody ln "$U/b/config.json" "$U/b/config.json.orig"
	"$OCI_BUNDLE" validate "$U/b"
}

@test "attack: oci-unpack -i and --layer on a user's symlink to root's private archive, or their FIFO" {
	python3 "$MKIMAGE" "$BATS_TEST_TMPDIR/img" --oci-archive "$R/img.tar" >/dev/null
	printf 'rootonly\n' >"$BATS_TEST_TMPDIR/f"
	tar -C "$BATS_TEST_TMPDIR" -cf "$R/layer.tar" f
	as_nobody ln -s "$R/img.tar" "$U/img.tar"
	as_nobody ln -s "$R/layer.tar" "$U/layer.tar"
	as_nobody mkfifo "$U/fifo"
	run "$OCI_UNPACK" -i "$U/img.tar" "$U/rootfs"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "'$U/img.tar' is a symlink of uid 65534: not followed"
	[ ! -e "$U/rootfs" ]
	as_nobody mkdir "$U/root2"
	run "$OCI_UNPACK" --layer "$U/layer.tar" "$U/root2"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "'$U/layer.tar' is a symlink of uid 65534: not followed"
	[ ! -e "$U/root2/f" ]
	# their FIFO: refused at once, never waited on
	run timeout 20 "$OCI_UNPACK" -i "$U/fifo" "$U/rootfs"
	[ "$status" -ne 124 ]
	assert_failure
	assert_output_contains "'$U/fifo' is not a regular file"
	# root's own archive, through root's link or a pipe, is read as before
	ln -s "$R/img.tar" "$BATS_TEST_TMPDIR/link.tar"
	"$OCI_UNPACK" -q -i "$BATS_TEST_TMPDIR/link.tar" "$U/rootfs"
	[ -x "$U/rootfs/bin/busybox" ]
	"$OCI_UNPACK" -q -i <(cat "$R/img.tar") "$U/rootfs3"
	[ -x "$U/rootfs3/bin/busybox" ]
}

@test "attack: oci-fetch --policy, --registries-conf and --cacert on a user's symlink to a root-only file, or their FIFO" {
	printf 'rootonlysecret8c1b = 1\n' >"$R/secret"
	chmod 600 "$R/secret"
	as_nobody ln -s "$R/secret" "$U/link"
	as_nobody mkfifo "$U/fifo"
	local opt
	for opt in --policy --registries-conf --cacert; do
		# read before any request: no registry is needed to see the file refused
		run timeout 20 "$OCI_FETCH" "$opt" "$U/link" -o "$U/lay" 127.0.0.1:9/x/y:z
		[ "$status" -ne 124 ]
		assert_failure
		assert_one_line_error oci-fetch
		assert_output_contains "'$U/link' is a symlink of uid 65534: not followed"
		[[ "$output" != *rootonlysecret* ]]
		run timeout 20 "$OCI_FETCH" "$opt" "$U/fifo" -o "$U/lay" 127.0.0.1:9/x/y:z
		[ "$status" -ne 124 ]
		assert_failure
		assert_output_contains "'$U/fifo' is not a regular file"
	done
	[ ! -e "$U/lay" ]
}
