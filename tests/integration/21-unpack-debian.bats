#!/usr/bin/env bats
# oci-unpack on a real image: Debian bookworm minbase (debootstrap, ~200 MB) plus two layers
# of whiteouts, opaque directories, type changes, owners, setuid, xattrs, hardlinks, devices
# (tests/lib/debian-image.sh, cached). Through a real registry, `oci-fetch | oci-unpack` must
# give the tree `skopeo copy` + `umoci unpack` gives, and so must `oci-unpack --layout` of
# skopeo's layout.

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
	[ -x "$t/usr/bin/bash" ] && [ -x "$t/usr/bin/dpkg" ]
	[ "$(stat -c %t:%T "$t/dev/null")" = 1:3 ] && [ -c "$t/dev/null" ]
	[ "$(stat -c %i "$t/usr/bin/perl")" = "$(stat -c %i "$t/usr/bin/perl5.36.0")" ]
	[ "$(stat -c %G "$t/var/log/wtmp")" = utmp ] || [ "$(stat -c %g "$t/var/log/wtmp")" = 43 ]
	# layer 2: whiteouts, opaque directories, type changes, owners, xattrs
	! find "$t" -name '.wh.*' | grep -q .
	[ -z "$(ls -A "$t/var/lib/apt/lists")" ]
	! ls "$t"/var/cache/apt/archives/*.deb 2>/dev/null
	[ ! -e "$t/usr/share/man" ]
	[ "$(ls -A "$t/usr/share/locale" | tr '\n' ' ')" = "C.UTF-8 locale.alias " ]
	[ "$(ls -A "$t/etc/apt/apt.conf.d")" = 99minimal ]
	[ -f "$t/etc/os-release" ] && [ ! -L "$t/etc/os-release" ]
	[ "$(readlink "$t/etc/motd")" = /run/motd.dynamic ]
	[ "$(stat -c %a "$t/usr/local/bin/setuid-true")" = 4755 ]
	[ "$(stat -c %u:%g:%a "$t/srv/app")" = 1000:1000:2750 ]
	[ "$(getfattr --only-values -n user.oci.test "$t/srv/xattr.txt")" = hello ]
	getfattr -n security.capability "$t/usr/local/bin/cap-true" >/dev/null
	# layer 3
	[ -p "$t/opt/app/fifo" ] && [ -c "$t/opt/app/null" ]
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
