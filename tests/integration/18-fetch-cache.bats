#!/usr/bin/env bats
# oci-fetch cache list|prune on the blob cache real pulls fill: what is listed, reuse counting
# as use, prune by age and --all (the next pull downloads again), blobs a running pull holds
# and partial downloads of live processes left alone, and nothing outside the cache touched.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/registry
load ../lib/images
load ../lib/fetch

setup_file() {
	require_cmd docker-registry jq curl python3 flock
	registry_start plain
	image_push_busybox test/two latest --layers 2 >/dev/null
	export TWO_LAYOUT=$IMAGE_LAYOUT
}

teardown_file() {
	registry_stop
}

setup() {
	T=$BATS_TEST_TMPDIR
	export HOME=$T/home XDG_CACHE_HOME=$T/xdg
	mkdir -p "$HOME"
	C=$XDG_CACHE_HOME/oci-toolkit/blobs
	M=$(jq -r '.manifests[0].digest' "$TWO_LAYOUT/index.json")
	read -r -a LAYERS <<<"$(jq -r '[.layers[].digest] | join(" ")' "$TWO_LAYOUT/blobs/sha256/${M#sha256:}")"
}

teardown() {
	if [ -n "${HOLDER:-}" ]; then
		kill "$HOLDER" 2>/dev/null || true
		wait "$HOLDER" 2>/dev/null || true
	fi
}

# Hold the lock file FILE (as a pull downloading its blob does) from a background process,
# HOLDER, the one process that has it open (flock(1) would leave its `sleep` child, and the
# output bats waits on, for the whole minute after teardown killed flock).
hold_lock() {
	(exec 9<>"$1" && flock 9 && exec sleep 60) >/dev/null 2>&1 &
	HOLDER=$!
	for _ in $(seq 1 50); do
		flock -n "$1" true || break
		sleep 0.1
	done
}

@test "cache list: every layer a pull stored, sizes and the total, in the default cache" {
	"$OCI_FETCH" -q -o "$T/l1" "$REGISTRY/test/two:latest"
	run -0 "$OCI_FETCH" cache list
	for d in "${LAYERS[@]}"; do
		size=$(stat -c %s "$TWO_LAYOUT/blobs/sha256/${d#sha256:}")
		[[ "$output" == *"$d "* ]]
		[ "$(stat -c %s "$C/sha256/${d#sha256:}")" = "$size" ]
	done
	[ "$(printf '%s\n' "$output" | tail -1)" = "$(printf '%s\n' "$output" | tail -1 | grep -E "^2 blobs, .* in $C\$")" ]
	[ "$(printf '%s\n' "$output" | grep -c '^sha256:')" = 2 ]
	run -0 "$OCI_FETCH" cache --help
	assert_output_contains "--older-than"
	run -0 "$OCI_FETCH" --help
	assert_output_contains "cache"
}

@test "cache prune --older-than: a reused blob counts as used; the pull after still hits the cache" {
	"$OCI_FETCH" -q -o "$T/l1" "$REGISTRY/test/two:latest"
	touch -d '10 days ago' "$C"/sha256/*
	# a pull that reuses the blobs refreshes them
	"$OCI_FETCH" -q -o "$T/l2" "$REGISTRY/test/two:latest"
	# then one of them goes unused for 10 days
	old=${LAYERS[1]}
	touch -d '10 days ago' "$C/sha256/${old#sha256:}"
	run -0 "$OCI_FETCH" cache prune --older-than 7d
	assert_output_contains "removed 1 blob"
	assert_output_contains "kept 1"
	[ ! -e "$C/sha256/${old#sha256:}" ]
	[ -e "$C/sha256/${LAYERS[0]#sha256:}" ]
	# the next pull takes the kept one from the cache and downloads the other again
	kept_gets=$(blob_gets test/two "${LAYERS[0]}")
	old_gets=$(blob_gets test/two "$old")
	"$OCI_FETCH" -q -o "$T/l3" "$REGISTRY/test/two:latest"
	check_layout "$T/l3"
	[ "$(blob_gets test/two "${LAYERS[0]}")" = "$kept_gets" ]
	[ "$(blob_gets test/two "$old")" = "$((old_gets + 1))" ]
}

@test "cache prune --all: empty, and the next pull downloads everything again" {
	"$OCI_FETCH" -q --cache "$T/c" -o "$T/l1" "$REGISTRY/test/two:latest"
	run -0 "$OCI_FETCH" cache prune --all --cache "$T/c"
	assert_output_contains "removed 2 blobs"
	run -0 "$OCI_FETCH" cache list --cache "$T/c"
	[ "$output" = "0 blobs, 0.0 KiB in $T/c" ]
	[ -z "$(ls -A "$T/c/.locks")" ]
	before=$(blob_gets test/two "${LAYERS[0]}")
	"$OCI_FETCH" -q --cache "$T/c" -o "$T/l2" "$REGISTRY/test/two:latest"
	[ "$(blob_gets test/two "${LAYERS[0]}")" = "$((before + 1))" ]
}

@test "cache prune leaves what running pulls hold and never follows a link out of the cache" {
	"$OCI_FETCH" -q --cache "$T/c" -o "$T/l1" "$REGISTRY/test/two:latest"
	held=${LAYERS[0]}
	# a pull downloading that blob holds its lock
	hold_lock "$T/c/.locks/sha256-${held#sha256:}"
	# a download in progress by a live process, and one left by a dead one
	live="$T/c/sha256/.partial-0123456789abcdef-$$-0"
	dead="$T/c/sha256/.partial-0123456789abcdef-999999999-0"
	echo part >"$live"
	echo part >"$dead"
	# a link named like a blob pointing outside the cache
	echo precious >"$T/outside"
	ln -s "$T/outside" "$T/c/sha256/$(printf 'f%.0s' $(seq 1 64))"
	run -0 "$OCI_FETCH" cache list --cache "$T/c"
	assert_output_contains "(partial)"
	[[ "$output" != *"ffffffff"* ]]
	run -0 "$OCI_FETCH" cache prune --all --cache "$T/c"
	assert_output_contains "2 in use by a running pull"
	[ -e "$T/c/sha256/${held#sha256:}" ]
	[ ! -e "$T/c/sha256/${LAYERS[1]#sha256:}" ]
	[ -e "$live" ]
	[ ! -e "$dead" ]
	[ "$(cat "$T/outside")" = precious ]
	[ -L "$T/c/sha256/$(printf 'f%.0s' $(seq 1 64))" ]
}

@test "attack: a cache whose sha256/ or .locks/ is a symlink out of it is refused in one line; nothing is written or removed where it points" {
	# a cache another user made first (or can write): its directories pointed elsewhere, a
	# pull (as root: anywhere) wrote its blobs and lock files there, and prune --all removed
	# every blob-named file there
	hex=$(printf 'a%.0s' $(seq 1 64))
	mkdir -p "$T/c" "$T/elsewhere" "$T/locks"
	echo precious >"$T/elsewhere/$hex"
	ln -s "$T/elsewhere" "$T/c/sha256"
	for cmd in "-q --cache $T/c -o $T/l1 $REGISTRY/test/two:latest" "cache prune --all --cache $T/c" \
		"cache list --cache $T/c"; do
		# shellcheck disable=SC2086
		run "$OCI_FETCH" $cmd
		assert_failure
		assert_one_line_error oci-fetch
		assert_output_contains "cache '$T/c': 'sha256' is not a directory (a symlink?): refusing it"
	done
	[ "$(ls -A "$T/elsewhere")" = "$hex" ]
	[ "$(cat "$T/elsewhere/$hex")" = precious ]
	[ -z "$(find "$T/l1" -path '*/blobs/*' 2>/dev/null)" ]
	# oci-unpack --cache opens the same store
	run "$OCI_UNPACK" -q --layout "$TWO_LAYOUT" --cache="$T/c" "$T/r"
	assert_failure
	assert_output_contains "'sha256' is not a directory (a symlink?)"
	[ ! -e "$T/r" ]
	rm "$T/c/sha256"
	rm -r "$T/c/.locks"
	ln -s "$T/locks" "$T/c/.locks"
	run "$OCI_FETCH" -q --cache "$T/c" -o "$T/l1" "$REGISTRY/test/two:latest"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "'.locks' is not a directory (a symlink?)"
	[ -z "$(ls -A "$T/locks")" ]
	[ -z "$(ls -A "$T/c/sha256")" ]
	# sha512/ is checked too, though only a sha512 blob would make it
	rm "$T/c/.locks"
	ln -s "$T/elsewhere" "$T/c/sha512"
	run "$OCI_FETCH" -q --cache "$T/c" -o "$T/l1" "$REGISTRY/test/two:latest"
	assert_failure
	assert_output_contains "'sha512' is not a directory (a symlink?)"
	# the same cache with real directories works
	rm "$T/c/sha512"
	run -0 "$OCI_FETCH" -q --cache "$T/c" -o "$T/l1" "$REGISTRY/test/two:latest"
	check_layout "$T/l1"
	[ "$(ls "$T/c/sha256" | wc -l)" = 2 ]
	[ "$(ls -A "$T/elsewhere")" = "$hex" ]
}

@test "attack: a cached blob another user owns or can write is copied into an -o layout, never hard-linked" {
	require_root
	"$OCI_FETCH" -q --cache "$T/c" -o "$T/l1" "$REGISTRY/test/two:latest"
	a=${LAYERS[0]#sha256:}
	b=${LAYERS[1]#sha256:}
	# our own blobs are linked: the layout shares the store's inode, no copy
	[ "$(stat -c %i "$T/l1/blobs/sha256/$a")" = "$(stat -c %i "$T/c/sha256/$a")" ]
	# the same bytes, but an inode someone else owns (planted in a store they can write) or
	# can write: linked, it let them change the layout's blob after the pull verified it
	chown 65534:65534 "$T/c/sha256/$a"
	chmod 666 "$T/c/sha256/$b"
	"$OCI_FETCH" -q --cache "$T/c" -o "$T/l2" "$REGISTRY/test/two:latest"
	check_layout "$T/l2"
	for h in "$a" "$b"; do
		[ "$(stat -c %i "$T/l2/blobs/sha256/$h")" != "$(stat -c %i "$T/c/sha256/$h")" ]
		[ "$(stat -c '%u %a' "$T/l2/blobs/sha256/$h")" = "0 644" ]
		cmp "$T/l2/blobs/sha256/$h" "$T/c/sha256/$h"
	done
}

@test "attack: a cache another user owns or can write is refused in one line: a lock they hold stalled a pull for ever" {
	require_root
	held=${LAYERS[0]}
	# made first by someone else (a shared /tmp), with the lock of a layer held by them
	mkdir -p "$T/c/.locks" "$T/c/sha256"
	chmod 0777 "$T/c" "$T/c/.locks" "$T/c/sha256"
	chown -R 65534:65534 "$T/c"
	hold_lock "$T/c/.locks/sha256-${held#sha256:}"
	run timeout -k 1 15 "$OCI_FETCH" -q --cache "$T/c" -o "$T/l1" "$REGISTRY/test/two:latest"
	[ "$status" = 1 ]
	assert_one_line_error oci-fetch
	assert_output_contains "cache '$T/c' belongs to uid 65534, not to us (uid 0): refusing it"
	run "$OCI_FETCH" cache prune --all --cache "$T/c"
	assert_failure
	assert_output_contains "belongs to uid 65534"
	[ -e "$T/c/.locks/sha256-${held#sha256:}" ]
	# ours, but others can write it (or its sha256/ or .locks/)
	chown 0:0 "$T/c"
	run timeout -k 1 15 "$OCI_FETCH" -q --cache "$T/c" -o "$T/l1" "$REGISTRY/test/two:latest"
	[ "$status" = 1 ]
	assert_output_contains "cache '$T/c' has mode 0777: refusing it"
	chmod 0755 "$T/c"
	run timeout -k 1 15 "$OCI_FETCH" -q --cache "$T/c" -o "$T/l1" "$REGISTRY/test/two:latest"
	[ "$status" = 1 ]
	assert_output_contains "refusing it"
	# all ours and closed to others: the pull works (once the lock is let go)
	kill "$HOLDER" && wait "$HOLDER" 2>/dev/null || true
	HOLDER=
	chown -R 0:0 "$T/c"
	chmod 0755 "$T/c/.locks" "$T/c/sha256"
	run -0 timeout -k 1 30 "$OCI_FETCH" -q --cache "$T/c" -o "$T/l1" "$REGISTRY/test/two:latest"
	check_layout "$T/l1"
}

@test "attack: cache list prints a name another user put in the cache with its control bytes escaped" {
	# a cache others can write: a partial download's name is theirs to choose, and its ESC
	# sequences (window title, screen clear) and newline reached the terminal of the lister
	"$OCI_FETCH" -q --cache "$T/c" -o "$T/l1" "$REGISTRY/test/two:latest"
	echo part >"$T/c/sha256/.partial-"$'\e]0;PWNED\a\e[2J\nforged'
	run -0 "$OCI_FETCH" cache list --cache "$T/c"
	[[ "$output" != *$'\e'* ]]
	assert_output_contains '.partial-\x1b]0;PWNED\x07\x1b[2J\nforged'
	[ "${#lines[@]}" = 4 ]
}

@test "cache: wrong use is said in one line" {
	run "$OCI_FETCH" cache prune
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "--all or --older-than"
	run "$OCI_FETCH" cache prune --all --older-than 1d
	assert_failure
	assert_output_contains "one of them"
	run "$OCI_FETCH" cache prune --older-than 7years
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "expected an age"
	run "$OCI_FETCH" cache list --all
	assert_failure
	assert_output_contains "prune's options"
	run "$OCI_FETCH" cache clean
	assert_failure
	assert_output_contains "unknown action 'clean'"
	run "$OCI_FETCH" cache list --cache "$T/nope"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "$T/nope"
	[ ! -e "$T/nope" ]
}

@test "cache: a cached blob changed through a shared mapping (no mtime or ctime change) is caught on the next pull" {
	# A write through a shared writable mapping whose page is already dirty moves neither
	# mtime nor ctime: only hashing the blob at each use catches it (a stat record would not).
	d=${LAYERS[1]}
	"$OCI_FETCH" -q --cache "$T/c" -o "$T/l1" "$REGISTRY/test/two:latest"
	f=$T/c/sha256/${d#sha256:}
	/usr/bin/python3 - "$f" "$T/go" "$T/ready" <<'PY' 3>&- &
import mmap, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 0, mmap.MAP_SHARED)
m[0:1] = m[0:1]  # the page is dirty and writable now
open(sys.argv[3], "w").close()
for _ in range(3000):
    if os.path.exists(sys.argv[2]):
        break
    time.sleep(0.01)
m[100:116] = b"tampered-by-mmap"  # no page fault: neither ctime nor mtime moves
PY
	HOLDER=$!
	wait_for_file "$T/ready" 30
	run -0 "$OCI_FETCH" -q --cache "$T/c" -o "$T/l2" "$REGISTRY/test/two:latest"
	before=$(stat -c '%Y.%Z' "$f")
	touch "$T/go"
	wait "$HOLDER"
	HOLDER=
	[ "$(stat -c '%Y.%Z' "$f")" = "$before" ] # the change left no trace in the times
	run -0 "$OCI_FETCH" --cache "$T/c" -o "$T/l3" "$REGISTRY/test/two:latest"
	assert_output_contains "cached blob $d is corrupt: fetching it again"
	[ "$(sha256sum <"$T/l3/blobs/sha256/${d#sha256:}" | cut -d' ' -f1)" = "${d#sha256:}" ]
}

# blob_sha FILE.tar DIGEST: the sha256 of that blob as the archive holds it
blob_sha() {
	tar -xOf "$1" "blobs/sha256/${2#sha256:}" | sha256sum | cut -d' ' -f1
}

@test "cache: fetch into oci-unpack --cache, which clones the tree: right whether or not the layers are hashed again; a tee in between gets every blob checked" {
	# oci-unpack leaves its note once it has read the config: a blob fetch hashed before
	# that is hashed, one after is not (test_treecache checks the handshake itself)
	require_root
	set -o pipefail
	treecmp=$BATS_TEST_DIRNAME/../lib/treecmp.sh
	R=$REGISTRY/test/two:latest
	"$OCI_FETCH" -q --cache "$T/c" "$R" | "$OCI_UNPACK" -q --cache="$T/c" --bundle "$T/b1"
	# a cached layer goes bad in place (same size): the tree is intact
	d=${LAYERS[1]}
	f=$T/c/sha256/${d#sha256:}
	printf 'tampered-in-cache' | dd of="$f" bs=1 seek=100 conv=notrunc status=none
	"$OCI_FETCH" --debug --cache "$T/c" "$R" 2>"$T/f1.err" |
		"$OCI_UNPACK" --debug --cache="$T/c" --bundle "$T/b2" 2>"$T/u1.err"
	grep -q "2 of 2 layers cloned" "$T/u1.err"
	run -0 "$treecmp" --mtime "$T/b1/rootfs" "$T/b2/rootfs"
	# the note is gone with its reader
	[ -z "$(find "$T/c/rootfs" -maxdepth 1 -name '.reader-*')" ]
	# tee reads fetch's pipe, not oci-unpack: every cached blob is hashed, the bad one
	# fetched again, and the archive tee wrote holds the right bytes
	printf 'tampered-in-cache' | dd of="$f" bs=1 seek=100 conv=notrunc status=none
	"$OCI_FETCH" --debug --cache "$T/c" "$R" 2>"$T/f2.err" | tee "$T/x.tar" |
		"$OCI_UNPACK" -q --cache="$T/c" --bundle "$T/b3"
	run ! grep -q "not hashed again" "$T/f2.err"
	grep -q "cached blob $d is corrupt: fetching it again" "$T/f2.err"
	[ "$(blob_sha "$T/x.tar" "$d")" = "${d#sha256:}" ]
	run -0 "$treecmp" --mtime "$T/b1/rootfs" "$T/b3/rootfs"
}

@test "cache: a note that the reader needs no blob bytes is believed only from the process reading fetch's pipe" {
	require_root
	R=$REGISTRY/test/two:latest
	"$OCI_FETCH" -q --cache "$T/c" "$R" | "$OCI_UNPACK" -q --cache="$T/c" --bundle "$T/b1"
	d=${LAYERS[1]}
	printf 'tampered-in-cache' | dd of="$T/c/sha256/${d#sha256:}" bs=1 seek=100 conv=notrunc status=none
	# a named pipe, so its note can be there before the pull: it names a process (this
	# shell) that does not read the pipe; cat does
	mkfifo "$T/p"
	note=$T/c/rootfs/$(printf '.reader-%x-%x' "$(stat -c '%d' "$T/p")" "$(stat -c '%i' "$T/p")")
	printf 'oci-treecache-reader 1\npid %d\n%s\n%s\n' $$ "${LAYERS[0]}" "$d" >"$note"
	cat "$T/p" >"$T/y.tar" &
	HOLDER=$!
	"$OCI_FETCH" --debug --cache "$T/c" "$R" >"$T/p" 2>"$T/f.err"
	wait "$HOLDER"
	HOLDER=
	grep -q "cached blob $d is corrupt: fetching it again" "$T/f.err"
	run ! grep -q "not hashed again" "$T/f.err"
	[ "$(blob_sha "$T/y.tar" "$d")" = "${d#sha256:}" ]
	# a note whose writer is gone goes with the next cache list; a live one stays
	(exit 0) &
	dead=$!
	wait "$dead"
	printf 'oci-treecache-reader 1\npid %d\n' "$dead" >"$T/c/rootfs/.reader-1-2"
	"$OCI_FETCH" cache list --cache "$T/c" >/dev/null
	[ ! -e "$T/c/rootfs/.reader-1-2" ]
	[ -e "$note" ]
}

@test "cache: an image on top of a cached one: fetch skips hashing only the layers the reader clones, the new ones are hashed and applied" {
	require_root
	set -o pipefail
	image_push_busybox test/one latest --layers 1 >/dev/null
	one=$(jq -r '.manifests[0].digest' "$IMAGE_LAYOUT/index.json")
	base=$(jq -r '.layers[0].digest' "$IMAGE_LAYOUT/blobs/sha256/${one#sha256:}")
	[ "$base" = "${LAYERS[0]}" ] # the generator is deterministic: test/two starts with it
	"$OCI_FETCH" -q --cache "$T/c" "$REGISTRY/test/one:latest" |
		"$OCI_UNPACK" -q --cache="$T/c" --bundle "$T/b1"
	"$OCI_FETCH" -q --no-cache "$REGISTRY/test/two:latest" | "$OCI_UNPACK" -q "$T/fresh"
	"$OCI_FETCH" -q --cache "$T/c" "$REGISTRY/test/two:latest" >/dev/null # cache both blobs
	"$OCI_FETCH" --debug --cache "$T/c" "$REGISTRY/test/two:latest" 2>"$T/f.err" |
		"$OCI_UNPACK" --debug --cache="$T/c" --bundle "$T/b2" 2>"$T/u.err"
	grep -q "1 of 2 layers cloned" "$T/u.err"
	run ! grep -q "layer 2/2: cached, not hashed again" "$T/f.err"
	run -0 "$BATS_TEST_DIRNAME/../lib/treecmp.sh" --mtime "$T/fresh" "$T/b2/rootfs"
}
