#!/usr/bin/env bats
# oci-unpack --cache: flattened trees kept in the rootfs cache (DIR/rootfs, by chain id) and
# cloned by the next unpack of the same image (FICLONE on XFS with reflink=1, a copy on ext4);
# every tree built from the cache equals a fresh unpack; tampered, symlinked or foreign caches,
# two unpacks at once, a full disk, the size limit and oci-fetch cache list/prune.

load ../lib/common
load ../lib/images

TREECMP=$BATS_TEST_DIRNAME/../lib/treecmp.sh

setup_file() {
	require_root
	# A: base + 1 layer. B: the same two layers (mkimage is deterministic) + the two feature
	# layers (whiteouts, an opaque dir, hard links, devices, xattrs).
	python3 "$MKIMAGE" "$BATS_FILE_TMPDIR/a" --layers 2 --oci-archive "$BATS_FILE_TMPDIR/a.tar" >/dev/null
	python3 "$MKIMAGE" "$BATS_FILE_TMPDIR/b" --layers 2 --features \
		--oci-archive "$BATS_FILE_TMPDIR/b.tar" >/dev/null
	"$OCI_UNPACK" -q "$BATS_FILE_TMPDIR/fresh-a" <"$BATS_FILE_TMPDIR/a.tar"
	"$OCI_UNPACK" -q "$BATS_FILE_TMPDIR/fresh-b" <"$BATS_FILE_TMPDIR/b.tar"
	# C: B's layers and 600 small files: big enough to be cloned by several threads
	python3 "$MKIMAGE" "$BATS_FILE_TMPDIR/c" --layers 2 --features --small-files 600 \
		--oci-archive "$BATS_FILE_TMPDIR/c.tar" >/dev/null
	"$OCI_UNPACK" -q "$BATS_FILE_TMPDIR/fresh-c" <"$BATS_FILE_TMPDIR/c.tar"
}

setup() {
	require_root
	cd "$BATS_TEST_TMPDIR"
	C=$BATS_TEST_TMPDIR/cache
}

teardown() {
	if [ -n "${XFS:-}" ]; then
		umount "$XFS" 2>/dev/null || umount -l "$XFS" 2>/dev/null || true
	fi
	if [ -n "${TMPFS:-}" ]; then
		umount "$TMPFS" 2>/dev/null || true
	fi
}

# The one tree entry of the cache (its chain id hex).
entry() { ls "$C/rootfs" | grep -E '^[0-9a-f]{64}$'; }

@test "cache: the second unpack clones the cached tree, equal to a fresh unpack" {
	run "$OCI_UNPACK" --cache="$C" --debug r1 <"$BATS_FILE_TMPDIR/b.tar"
	assert_success
	[[ "$output" != *cloned* ]]
	[ "$(entry | wc -l)" = 1 ]
	# the cache's tree and dir are the caller's alone
	[ "$(stat -c %a "$C/rootfs")" = 700 ]
	run "$OCI_UNPACK" --cache="$C" --debug r2 <"$BATS_FILE_TMPDIR/b.tar"
	assert_success
	assert_output_contains "4 of 4 layers cloned"
	run "$TREECMP" --mtime "$BATS_FILE_TMPDIR/fresh-b" r2
	assert_success
	run "$TREECMP" --mtime "$BATS_FILE_TMPDIR/fresh-b" r1
	assert_success
	# a clone, never a hard link into the cache the container could write through
	[ "$(stat -c %h r2/bin/busybox)" = "$(stat -c %h "$BATS_FILE_TMPDIR/fresh-b/bin/busybox")" ]
	[ "$(stat -c %i r2/bin/busybox)" != "$(stat -c %i "$C/rootfs/$(entry)/tree/bin/busybox")" ]
	echo changed >>r2/etc/layer
	run "$OCI_UNPACK" --cache="$C" --debug r3 <"$BATS_FILE_TMPDIR/b.tar"
	assert_success
	assert_output_contains "4 of 4 layers cloned"
	run "$TREECMP" --mtime "$BATS_FILE_TMPDIR/fresh-b" r3
	assert_success
	# --bundle too
	run "$OCI_UNPACK" --cache="$C" --bundle bnd <"$BATS_FILE_TMPDIR/b.tar"
	assert_success
	[ -f bnd/config.json ]
	run "$TREECMP" --mtime "$BATS_FILE_TMPDIR/fresh-b" bnd/rootfs
	assert_success
}

@test "cache: an image sharing base layers clones the longest cached prefix and applies only its new layers" {
	run "$OCI_UNPACK" --cache="$C" a1 <"$BATS_FILE_TMPDIR/a.tar"
	assert_success
	run "$OCI_UNPACK" --cache="$C" --debug b1 <"$BATS_FILE_TMPDIR/b.tar"
	assert_success
	assert_output_contains "2 of 4 layers cloned"
	run "$TREECMP" --mtime "$BATS_FILE_TMPDIR/fresh-b" b1
	assert_success
	# and B's own tree is kept too
	[ "$(entry | wc -l)" = 2 ]
	run "$OCI_UNPACK" --cache="$C" --debug b2 <"$BATS_FILE_TMPDIR/b.tar"
	assert_output_contains "4 of 4 layers cloned"
}

@test "cache: on XFS with reflink=1 the clone shares the cached extents (FICLONE), and equals a fresh unpack" {
	require_cmd mkfs.xfs
	require_cmd filefrag
	truncate -s 320M xfs.img
	mkfs.xfs -q -m reflink=1 xfs.img
	mkdir x
	mount -o loop xfs.img x || skip "cannot loop-mount an XFS image here"
	XFS=$BATS_TEST_TMPDIR/x
	C=$XFS/cache
	run "$OCI_UNPACK" --cache="$C" "$XFS/r1" <"$BATS_FILE_TMPDIR/b.tar"
	assert_success
	run "$OCI_UNPACK" --cache="$C" --debug "$XFS/r2" <"$BATS_FILE_TMPDIR/b.tar"
	assert_success
	assert_output_contains "4 of 4 layers cloned"
	run "$TREECMP" --mtime "$BATS_FILE_TMPDIR/fresh-b" "$XFS/r2"
	assert_success
	run filefrag -v "$XFS/r2/bin/busybox"
	assert_output_contains "shared"
	# writing the clone leaves the cached tree as it was (copy on write)
	echo x >>"$XFS/r2/bin/busybox"
	cmp "$C/rootfs/$(entry)/tree/bin/busybox" "$BATS_FILE_TMPDIR/fresh-b/bin/busybox"
}

@test "cache: a file changed in a cached tree is noticed, the tree dropped, and the image unpacked afresh" {
	run "$OCI_UNPACK" --cache="$C" r1 <"$BATS_FILE_TMPDIR/b.tar"
	assert_success
	e=$(entry)
	# same size, same mtime: only the ctime tells
	f=$C/rootfs/$e/tree/etc/layer
	m=$(stat -c %y "$f")
	printf 'X' | dd of="$f" bs=1 count=1 conv=notrunc status=none
	touch -d "$m" "$f"
	run "$OCI_UNPACK" --cache="$C" --debug r2 <"$BATS_FILE_TMPDIR/b.tar"
	assert_success
	assert_output_contains "changed since it was cached"
	[[ "$output" != *"layers cloned"* ]]
	run "$TREECMP" --mtime "$BATS_FILE_TMPDIR/fresh-b" r2
	assert_success
	# a file added to a cached tree, too
	echo evil >"$C/rootfs/$(entry)/tree/etc/added"
	run "$OCI_UNPACK" --cache="$C" --debug r3 <"$BATS_FILE_TMPDIR/b.tar"
	assert_success
	assert_output_contains "changed since it was cached"
	[ ! -e r3/etc/added ]
	run "$TREECMP" --mtime "$BATS_FILE_TMPDIR/fresh-b" r3
	assert_success
}

@test "attack: a FIFO swapped in for a cached file after its check neither hangs the clone nor is read; the tree is dropped, the image unpacked afresh" {
	require_cmd cc
	run "$OCI_UNPACK" --cache="$C" r1 <"$BATS_FILE_TMPDIR/b.tar"
	assert_success
	# the cache's owner (only they can write it) renames a FIFO over etc/layer in the window
	# between the clone's stat and its open: a preloaded openat does it at that very moment
	cat >shim.c <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static int done;
static void swap_in_fifo(int dirfd, const char *name)
{
	char link[64], dir[4096], to[8192];
	if (done || strcmp(name, "layer"))
		return;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
	ssize_t n = readlink(link, dir, sizeof(dir) - 1);
	if (n < 0)
		return;
	dir[n] = '\0';
	if (!strstr(dir, "/cache/rootfs/"))
		return;
	done = 1;
	snprintf(to, sizeof(to), "%s/%s", dir, name);
	rename(getenv("SWAP_FIFO"), to);
}
int openat(int dirfd, const char *name, int flags, ...)
{
	static int (*real)(int, const char *, int, ...);
	va_list ap;
	va_start(ap, flags);
	int mode = (flags & O_CREAT) ? va_arg(ap, int) : 0;
	va_end(ap);
	if (!(flags & (O_CREAT | O_WRONLY | O_RDWR)))
		swap_in_fifo(dirfd, name);
	if (!real)
		real = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
	return real(dirfd, name, flags, mode);
}
int openat64(int dirfd, const char *name, int flags, ...) __attribute__((alias("openat")));
EOF
	cc -shared -fPIC -o shim.so shim.c -ldl
	mkfifo fifo
	# (a sanitizer build wants its runtime first among the preloaded: the shim comes first)
	SWAP_FIFO=$PWD/fifo LD_PRELOAD=$PWD/shim.so ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		run timeout -k 5 20 "$OCI_UNPACK" --cache="$C" --debug r2 <"$BATS_FILE_TMPDIR/b.tar"
	assert_success
	[ ! -e fifo ] # it was swapped in
	assert_output_contains "etc/layer"
	assert_output_contains "not a regular file"
	assert_output_contains "unpacking afresh"
	[[ "$output" != *"layers cloned"* ]]
	run "$TREECMP" --mtime "$BATS_FILE_TMPDIR/fresh-b" r2
	assert_success
	# the tree holding the FIFO is gone from the cache (the fresh one stored in its place)
	[ -z "$(find "$C/rootfs" -path '*/etc/layer' -type p)" ]
	[ -f "$C/rootfs/$(entry)/tree/etc/layer" ]
}

@test "cache: a big tree is cloned by several threads, equal to a fresh unpack on XFS and on a copy; a change deep in it is still caught" {
	[ "$(nproc)" -ge 2 ] || skip "one CPU: the clone runs in one thread"
	require_cmd mkfs.xfs
	truncate -s 320M xfs.img
	mkfs.xfs -q -m reflink=1 xfs.img
	mkdir x
	mount -o loop xfs.img x || skip "cannot loop-mount an XFS image here"
	XFS=$BATS_TEST_TMPDIR/x
	for C in "$XFS/cache" "$BATS_TEST_TMPDIR/cache"; do
		d=$(dirname "$C")
		run "$OCI_UNPACK" --cache="$C" "$d/r1" <"$BATS_FILE_TMPDIR/c.tar"
		assert_success
		run "$OCI_UNPACK" --cache="$C" --debug --bundle "$d/r2" <"$BATS_FILE_TMPDIR/c.tar"
		assert_success
		assert_output_contains "5 of 5 layers cloned"
		[[ "$output" =~ inodes\ with\ ([0-9]+)\ threads ]]
		[ "${BASH_REMATCH[1]}" -ge 2 ]
		run "$TREECMP" --mtime "$BATS_FILE_TMPDIR/fresh-c" "$d/r2/rootfs"
		assert_success
	done
	# same size, mtime put back, in the middle of what the threads clone
	f=$(find "$C/rootfs/$(entry)/tree/files" -type f -size +1c | sort | sed -n 300p)
	[ -s "$f" ]
	m=$(stat -c %y "$f")
	printf 'X' | dd of="$f" bs=1 count=1 conv=notrunc status=none
	touch -d "$m" "$f"
	run "$OCI_UNPACK" --cache="$C" --debug r3 <"$BATS_FILE_TMPDIR/c.tar"
	assert_success
	assert_output_contains "changed since it was cached"
	[[ "$output" != *"layers cloned"* ]]
	run "$TREECMP" --mtime "$BATS_FILE_TMPDIR/fresh-c" r3
	assert_success
}

@test "cache: a symlink for an entry or its tree is never followed; a cache dir others can write or own is refused" {
	run "$OCI_UNPACK" --cache="$C" r1 <"$BATS_FILE_TMPDIR/b.tar"
	assert_success
	e=$(entry)
	# the entry's tree swapped for a symlink to another tree (with the manifest kept)
	mkdir -p elsewhere/etc && echo evil >elsewhere/etc/layer
	mv "$C/rootfs/$e/tree" "$C/rootfs/$e/tree.real"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$C/rootfs/$e/tree"
	run "$OCI_UNPACK" --cache="$C" --debug r2 <"$BATS_FILE_TMPDIR/b.tar"
	assert_success
	[[ "$output" != *"layers cloned"* ]]
	run "$TREECMP" --mtime "$BATS_FILE_TMPDIR/fresh-b" r2
	assert_success
	# the whole entry a symlink
	rm -rf "${C:?}/rootfs/$(entry)"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$C/rootfs/$e"
	run "$OCI_UNPACK" --cache="$C" --debug r3 <"$BATS_FILE_TMPDIR/b.tar"
	assert_success
	[[ "$output" != *"layers cloned"* ]]
	[ -d "$C/rootfs/$e" ]
	[ ! -L "$C/rootfs/$e" ]
	[ -f elsewhere/etc/layer ]
	# rootfs/ a symlink, writable by others, or someone else's: refused, nothing published
	mv "$C/rootfs" "$C/rootfs.real"
	ln -s "$C/rootfs.real" "$C/rootfs"
	run "$OCI_UNPACK" --cache="$C" r4 <"$BATS_FILE_TMPDIR/b.tar"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "not a directory (a symlink?): refusing it"
	[ ! -e r4 ]
	rm "$C/rootfs" && mv "$C/rootfs.real" "$C/rootfs"
	chmod 0777 "$C/rootfs"
	run "$OCI_UNPACK" --cache="$C" r4 <"$BATS_FILE_TMPDIR/b.tar"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "has mode 0777: refusing it"
	[ ! -e r4 ]
	chmod 0700 "$C/rootfs"
	chown 1:1 "$C/rootfs"
	run "$OCI_UNPACK" --cache="$C" r4 <"$BATS_FILE_TMPDIR/b.tar"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "belongs to uid 1, not to us"
	[ ! -e r4 ]
	chown 0:0 "$C/rootfs"
	chmod 0777 "$C"
	run "$OCI_UNPACK" --cache="$C" r4 <"$BATS_FILE_TMPDIR/b.tar"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "refusing it"
	[ ! -e r4 ]
}

@test "cache: two unpacks at once both succeed, with one tree cached and nothing half-made left" {
	"$OCI_UNPACK" --cache="$C" r1 <"$BATS_FILE_TMPDIR/b.tar" &
	p1=$!
	"$OCI_UNPACK" --cache="$C" r2 <"$BATS_FILE_TMPDIR/b.tar" &
	p2=$!
	wait $p1
	wait $p2
	run "$TREECMP" --mtime "$BATS_FILE_TMPDIR/fresh-b" r1
	assert_success
	run "$TREECMP" --mtime "$BATS_FILE_TMPDIR/fresh-b" r2
	assert_success
	[ "$(entry | wc -l)" = 1 ]
	[ -z "$(ls -A "$C/rootfs" | grep -v -E '^[0-9a-f]{64}$')" ]
	run "$OCI_UNPACK" --cache="$C" --debug r3 <"$BATS_FILE_TMPDIR/b.tar"
	assert_output_contains "4 of 4 layers cloned"
}

@test "cache: a disk full while a tree is stored leaves no tree: the unpack succeeds, the next one unpacks afresh" {
	mkdir t
	mount -t tmpfs -o size=256k tmpfs t
	TMPFS=$BATS_TEST_TMPDIR/t
	C=$TMPFS/cache
	run "$OCI_UNPACK" --cache="$C" r1 <"$BATS_FILE_TMPDIR/b.tar"
	assert_success
	assert_output_contains "it is just not cached"
	run "$TREECMP" --mtime "$BATS_FILE_TMPDIR/fresh-b" r1
	assert_success
	[ -z "$(ls -A "$C/rootfs")" ]
	run "$OCI_UNPACK" --cache="$C" --debug r2 <"$BATS_FILE_TMPDIR/b.tar"
	assert_success
	[[ "$output" != *"layers cloned"* ]]
}

@test "cache: --cache-max evicts the least recently used tree; oci-fetch cache list and prune see the trees" {
	run "$OCI_UNPACK" --cache="$C" a1 <"$BATS_FILE_TMPDIR/a.tar"
	assert_success
	a=$(entry)
	sleep 1.1
	run "$OCI_UNPACK" --cache="$C" --cache-max 1k b1 <"$BATS_FILE_TMPDIR/b.tar"
	assert_success
	[ "$(entry)" != "$a" ]
	[ "$(entry | wc -l)" = 1 ]
	run "$OCI_FETCH" cache list --cache "$C"
	assert_success
	assert_output_contains "rootfs sha256:$(entry)"
	assert_output_contains "1 tree,"
	run "$OCI_FETCH" cache prune --older-than 1h --cache "$C"
	assert_success
	assert_output_contains "removed 0 trees"
	[ "$(entry | wc -l)" = 1 ]
	run "$OCI_FETCH" cache prune --all --cache "$C"
	assert_success
	assert_output_contains "removed 1 tree"
	[ -z "$(entry)" ]
}

@test "cache: refused where it cannot hold: --rootless, id maps, --layer; --cache-max needs --cache" {
	run "$OCI_UNPACK" --cache="$C" --rootless r <"$BATS_FILE_TMPDIR/b.tar"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "cannot be used with --rootless"
	[ ! -e r ]
	run "$OCI_UNPACK" --cache="$C" --uid-map 0:1000:65536 r <"$BATS_FILE_TMPDIR/b.tar"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "cannot be used with --rootless, --uid-map"
	run "$OCI_UNPACK" --cache="$C" --layer x.tar r
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "does not apply to --layer"
	run "$OCI_UNPACK" --cache-max 1G r <"$BATS_FILE_TMPDIR/b.tar"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "--cache-max needs --cache"
}
