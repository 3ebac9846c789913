#!/usr/bin/env bats
# oci-unpack on a real image: Debian bookworm minbase (debootstrap, ~200 MB) plus two layers
# of whiteouts, opaque directories, type changes, owners, setuid, xattrs, hardlinks, devices
# (tests/lib/debian-image.sh, cached). Through a real registry, `oci-fetch | oci-unpack` must
# give the tree `skopeo copy` + `umoci unpack` gives, and so must `oci-unpack --layout` of
# skopeo's layout; the threaded and single-threaded, igzip and zlib paths agree; a corrupt
# or interrupted 90 MB layer leaves nothing behind.

load ../lib/common
load ../lib/registry
load ../lib/images

TREECMP=$BATS_TEST_DIRNAME/../lib/treecmp.sh

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, devices, owners)"
	local c
	for c in skopeo umoci debootstrap; do
		command -v $c >/dev/null || skip "needs $c"
	done
	local rc=0
	DEBIAN_LAYOUT=$("$BATS_TEST_DIRNAME/../lib/debian-image.sh" 2>"$BATS_FILE_TMPDIR/debian.err") || rc=$?
	[ $rc = 77 ] && skip "$(tail -1 "$BATS_FILE_TMPDIR/debian.err")"
	[ $rc = 0 ] || { cat "$BATS_FILE_TMPDIR/debian.err" >&2; return 1; }
	export DEBIAN_LAYOUT
	registry_start plain >/dev/null
	image_push "$DEBIAN_LAYOUT" debian/minbase v1 >/dev/null
	export DEBIAN_REF=$REGISTRY/debian/minbase:v1
	# the peers' tree, once for the file
	skopeo copy -q --src-tls-verify=false "docker://$DEBIAN_REF" "oci:$BATS_FILE_TMPDIR/sk:v1" >/dev/null
	umoci unpack --image "$BATS_FILE_TMPDIR/sk:v1" "$BATS_FILE_TMPDIR/umoci" >/dev/null 2>&1
	"$OCI_FETCH" -q --no-cache "$DEBIAN_REF" >"$BATS_FILE_TMPDIR/debian.tar"
}

teardown_file() {
	registry_stop >/dev/null 2>&1 || true
}

setup() {
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	rm -rf "$BATS_TEST_TMPDIR/rootfs"
}

# What the Debian image's layers promise, checked on TREE without a peer.
check_debian_tree() {
	local t=$1
	# layer 1
	[ -x "$t/usr/bin/bash" ]
	[ -x "$t/usr/bin/dpkg" ]
	[ "$(stat -c %t:%T "$t/dev/null")" = 1:3 ]
	[ -c "$t/dev/null" ]
	[ "$(stat -c %i "$t/usr/bin/perl")" = "$(stat -c %i "$t/usr/bin/perl5.36.0")" ]
	[ "$(stat -c %G "$t/var/log/wtmp")" = utmp ] || [ "$(stat -c %g "$t/var/log/wtmp")" = 43 ]
	# layer 2: whiteouts, opaque directories, type changes, owners, xattrs
	! find "$t" -name '.wh.*' | grep -q . || false
	[ -z "$(ls -A "$t/var/lib/apt/lists")" ]
	! ls "$t"/var/cache/apt/archives/*.deb 2>/dev/null || false
	[ ! -e "$t/usr/share/man" ]
	[ "$(ls -A "$t/usr/share/locale" | tr '\n' ' ')" = "C.UTF-8 locale.alias " ]
	[ "$(ls -A "$t/etc/apt/apt.conf.d")" = 99minimal ]
	[ -f "$t/etc/os-release" ]
	[ ! -L "$t/etc/os-release" ]
	[ "$(readlink "$t/etc/motd")" = /run/motd.dynamic ]
	[ "$(stat -c %a "$t/usr/local/bin/setuid-true")" = 4755 ]
	[ "$(stat -c %u:%g:%a "$t/srv/app")" = 1000:1000:2750 ]
	[ "$(getfattr --only-values -n user.oci.test "$t/srv/xattr.txt")" = hello ]
	getfattr -n security.capability "$t/usr/local/bin/cap-true" >/dev/null
	# layer 3
	[ -p "$t/opt/app/fifo" ]
	[ -c "$t/opt/app/null" ]
	[ "$(cat "$t/var/log/apt/history.log")" = history ]
	[ "$(readlink "$t/usr/local/games")" = /usr/games ]
	[ ! -e "$t/srv/shared/b" ]
	[ "$(stat -c %h "$t/srv/shared/a")" = 2 ]
	[ "$(stat -c %i "$t/srv/shared/a")" = "$(stat -c %i "$t/srv/shared/sub/b")" ]
}

@test "debian: the peers' tree (skopeo copy + umoci unpack) has what the image promises" {
	check_debian_tree "$BATS_FILE_TMPDIR/umoci/rootfs"
}

@test "debian: oci-fetch | oci-unpack equals skopeo copy + umoci unpack" {
	"$OCI_FETCH" -q "$DEBIAN_REF" --no-cache | "$OCI_UNPACK" rootfs
	check_debian_tree rootfs
	run "$TREECMP" rootfs "$BATS_FILE_TMPDIR/umoci/rootfs"
	assert_success
}

@test "debian: oci-unpack --layout of skopeo's layout equals umoci unpack of it" {
	run "$OCI_UNPACK" --layout "$BATS_FILE_TMPDIR/sk:v1" rootfs
	assert_success
	run "$TREECMP" rootfs "$BATS_FILE_TMPDIR/umoci/rootfs"
	assert_success
}

@test "debian: --no-threads and --zlib give the same tree as the default" {
	"$OCI_UNPACK" rootfs <"$BATS_FILE_TMPDIR/debian.tar"
	run "$OCI_UNPACK" --no-threads --zlib -i "$BATS_FILE_TMPDIR/debian.tar" r2
	assert_success
	run "$TREECMP" --mtime rootfs r2
	assert_success
	rm -rf r2
	run "$OCI_UNPACK" --no-threads --layout "$DEBIAN_LAYOUT" r2
	assert_success
	run "$TREECMP" --mtime rootfs r2
	assert_success
	rm -rf r2
}

@test "debian: a byte flipped in the middle of the 90 MB base layer fails and leaves nothing" {
	cp "$BATS_FILE_TMPDIR/debian.tar" bad.tar
	python3 - bad.tar "$DEBIAN_LAYOUT" <<'PY'
import json, sys, tarfile
path, layout = sys.argv[1:3]
idx = json.load(open(layout + "/index.json"))
m = json.load(open(layout + "/blobs/sha256/" + idx["manifests"][0]["digest"].split(":")[1]))
base = "blobs/sha256/" + m["layers"][0]["digest"].split(":")[1]
with tarfile.open(path) as t:
    mem = t.getmember(base)
    off = mem.offset_data + mem.size // 2
with open(path, "r+b") as f:
    f.seek(off)
    b = f.read(1)
    f.seek(off)
    f.write(bytes([b[0] ^ 0xff]))
PY
	run "$OCI_UNPACK" rootfs <bad.tar
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "layer 1/3"
	[ ! -e rootfs ]
	[ "$(ls -A . | tr '\n' ' ')" = "bad.tar " ]
}

@test "debian: SIGTERM in the middle of a layer with the stream stalled stops at once, leaves nothing" {
	mkfifo pipe
	"$OCI_UNPACK" rootfs <pipe 3>&- &
	local pid=$!
	exec 4>pipe
	head -c 40000000 "$BATS_FILE_TMPDIR/debian.tar" >&4
	sleep 1
	ls -A | grep -q oci-unpack # staging meanwhile
	# Stalled, it would wait for ever: a watchdog's SIGKILL (137) after 30 s tells that apart
	# from stopping at the SIGTERM (143) without a timed bound that load can break.
	local rc=0 wd
	kill -TERM $pid
	(sleep 30 && kill -KILL $pid) 2>/dev/null &
	wd=$!
	wait $pid || rc=$?
	kill $wd 2>/dev/null || true
	exec 4>&-
	[ "$rc" = 143 ]
	[ ! -e rootfs ]
	[ "$(ls -A . | tr '\n' ' ')" = "pipe " ]
}
