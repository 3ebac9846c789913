#!/usr/bin/env bats
# oci-unpack as an unprivileged user: files owned by the caller, device nodes replaced by empty
# files and image owners kept in user.rootlesscontainers, exactly as umoci --rootless does;
# --uid-map/--gid-map as root; --bundle output.

load ../lib/common
load ../lib/images

TREECMP=$BATS_TEST_DIRNAME/../lib/treecmp.sh

setup() {
	cd "$BATS_TEST_TMPDIR"
	chmod 755 "$BATS_TEST_TMPDIR"
	mkdir -m 777 w
	python3 "$MKIMAGE" w/img --features --oci-archive w/img.tar >/dev/null
	chmod -R a+rX w
}

as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

# The unpack into bundle b reading in.fifo: its first 20000 bytes of w/img.tar (the fifo held
# open as fd 7), then a wait until it has made its staging directory; feed_rest ends it.
feed_until_staging() {
	exec 7>in.fifo
	head -c 20000 w/img.tar >&7
	wait_until 10 "oci-unpack's staging directory b/.rootfs.oci-unpack-*" "compgen -G 'b/.rootfs.oci-unpack-*' >/dev/null"
}

feed_rest() {
	tail -c +20001 w/img.tar >&7
	exec 7>&-
}

# 'oci-unpack --bundle b --image-config FILE' from in.fifo (stderr in err), beaten to b/rootfs
# by another run (a file put in it) once it has begun: it must fail.
refill_beaten() {
	rm -f in.fifo
	mkfifo in.fifo
	"$OCI_UNPACK" --bundle b --image-config "$1" -i in.fifo 2>err &
	local pid=$! rc=0
	feed_until_staging
	touch b/rootfs/other-run
	feed_rest
	wait "$pid" || rc=$?
	[ "$rc" -ne 0 ]
}

@test "rootless: an unprivileged unpack equals umoci unpack --rootless" {
	require_root
	require_cmd setpriv umoci getfattr
	# a tmp dir that nobody can traverse would make this test meaningless
	as_nobody test -w w || skip "test directory not reachable by nobody"
	run as_nobody "$OCI_UNPACK" -i w/img.tar w/r
	assert_success
	as_nobody umoci unpack --rootless --image w/img:latest w/u >/dev/null 2>&1
	run "$TREECMP" --no-owner w/r w/u/rootfs
	assert_success
	# everything belongs to the caller; image owners survive in the xattr
	[ -z "$(find w/r ! -user 65534)" ]
	[ "$(getfattr --only-values -n user.rootlesscontainers w/r/home/app | od -An -tx1 | tr -d ' \n')" = 08e80710e807 ]
	# no device node was created, an empty regular file stands in
	[ -z "$(find w/r -type c -o -type b)" ]
	[ -f w/r/dev/mynull ]
	[ ! -s w/r/dev/mynull ]
	[ -p w/r/feat/fifo ]
	! find w/r -name '.wh.*' | grep -q . || false
}

@test "rootless: --uid-map/--gid-map shift owners as root" {
	require_root
	run "$OCI_UNPACK" --uid-map 0:100000:65536 --gid-map 0:200000:65536 -i w/img.tar r
	assert_success
	[ "$(stat -c %u:%g r/bin/busybox)" = 100000:200000 ]
	[ "$(stat -c %u:%g r/home/app)" = 101000:201000 ]
	run "$OCI_UNPACK" --uid-map 0:100000:10 -i w/img.tar r2
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "is not in --uid-map"
	[ ! -e r2 ]
	run "$OCI_UNPACK" --uid-map 0:1 -i w/img.tar r3
	assert_failure
	assert_one_line_error oci-unpack
}

@test "bundle: --bundle writes rootfs, image-config.json and a config.json for the image" {
	run "$OCI_UNPACK" --bundle b -i w/img.tar
	assert_success
	[ -x b/rootfs/bin/busybox ]
	jq -e '.rootfs.diff_ids | length > 1' b/image-config.json >/dev/null
	jq -e '.process.args[0] == "/bin/sh" and .root.path == "rootfs"' b/config.json >/dev/null
	# a second run refuses the non-empty rootfs and keeps the bundle as it is
	run "$OCI_UNPACK" --bundle b -i w/img.tar
	assert_failure
	assert_one_line_error oci-unpack
	[ -x b/rootfs/bin/busybox ]
	# a failed bundle unpack leaves no bundle behind
	head -c 100000 w/img.tar >t.tar
	run "$OCI_UNPACK" --bundle nb -i t.tar
	assert_failure
	[ ! -e nb ]
}

@test "bundle: a failed unpack keeps the bundle's own config.json and image-config.json; a missing input makes no bundle" {
	# a bundle being refilled (its rootfs removed, its config kept): a bad image must not take
	# the files this run never wrote with it
	mkdir b
	echo '{"mine":1}' >b/config.json
	echo '{"img":1}' >b/image-config.json
	head -c 100000 w/img.tar >t.tar
	run "$OCI_UNPACK" --bundle b -i t.tar
	assert_failure
	assert_one_line_error oci-unpack
	[ "$(cat b/config.json)" = '{"mine":1}' ]
	[ "$(cat b/image-config.json)" = '{"img":1}' ]
	[ "$(ls -A b | sort | tr '\n' ' ')" = "config.json image-config.json " ]
	# an input that cannot be opened, or that is not an image, leaves no new bundle directory
	run "$OCI_UNPACK" --bundle nb -i missing.tar
	assert_failure
	assert_one_line_error oci-unpack
	[ ! -e nb ]
	run "$OCI_UNPACK" --bundle nb -i /dev/null
	assert_failure
	[ ! -e nb ]
}

@test "bundle: a publish that fails after the image verified keeps the bundle's config.json, image-config.json and the --image-config file as they were" {
	# a bundle being refilled into its empty rootfs, which a second run fills meanwhile: the
	# rename of the staged rootfs fails at the very end, after the JSON files were written
	mkdir -p b/rootfs
	echo '{"mine":1}' >b/config.json
	echo '{"img":1}' >b/image-config.json
	echo '{"ic":1}' >ic.json
	refill_beaten ic.json
	run cat err
	assert_one_line_error oci-unpack
	assert_output_contains "is no longer empty"
	[ "$(cat b/config.json)" = '{"mine":1}' ]
	[ "$(cat b/image-config.json)" = '{"img":1}' ]
	[ "$(cat ic.json)" = '{"ic":1}' ]
	[ "$(ls -A b | sort | tr '\n' ' ')" = "config.json image-config.json rootfs " ]
	[ "$(ls -A b/rootfs)" = other-run ]
	[ -z "$(ls -A | grep -v '^\(b\|w\|ic.json\|in.fifo\|err\)$')" ]
	# the bundle's own image-config.json named by --image-config too: still the user's
	rm b/rootfs/other-run
	refill_beaten b/image-config.json
	[ "$(cat b/image-config.json)" = '{"img":1}' ]
	[ "$(cat b/config.json)" = '{"mine":1}' ]
	[ "$(ls -A b | sort | tr '\n' ' ')" = "config.json image-config.json rootfs " ]
	# the same refill succeeds once the rootfs is empty again, replacing all three
	rm b/rootfs/other-run
	run "$OCI_UNPACK" --bundle b --image-config ic.json -i w/img.tar
	assert_success
	jq -e '.root.path == "rootfs"' b/config.json >/dev/null
	jq -e '.rootfs.diff_ids | length > 1' b/image-config.json ic.json >/dev/null
	[ "$(ls -A b | sort | tr '\n' ' ')" = "config.json image-config.json rootfs " ]
}

@test "attack: the bundle directory swapped for a symlink while the image arrives: config.json stays beside the rootfs, nothing goes through the link" {
	# whoever can rename in DIR's parent swaps DIR mid-unpack: the rootfs went to the
	# directory the staging had opened, config.json and image-config.json to DIR's path again
	mkdir elsewhere
	mkfifo in.fifo
	"$OCI_UNPACK" --bundle b -i in.fifo &
	pid=$!
	feed_until_staging
	mv b b.real
	ln -s "$PWD/elsewhere" b
	feed_rest
	wait "$pid"
	[ -x b.real/rootfs/bin/busybox ]
	jq -e '.root.path == "rootfs"' b.real/config.json >/dev/null
	jq -e '.rootfs.diff_ids | length > 1' b.real/image-config.json >/dev/null
	[ -z "$(ls -A elsewhere)" ]
}

@test "rootless: a failed unpack removes its staging tree even with read-only directories in it" {
	require_root
	require_cmd setpriv
	as_nobody test -w w || skip "test directory not reachable by nobody"
	# layer 2: a directory without write permission holding a file; layer 3: a hostile entry
	python3 - w/ro.tar <<'PY'
import sys, tarfile, io
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    d = tarfile.TarInfo("ro"); d.type = tarfile.DIRTYPE; d.mode = 0o555; t.addfile(d)
    f = tarfile.TarInfo("ro/f"); f.size = 2; f.mode = 0o444; t.addfile(f, io.BytesIO(b"x\n"))
    d2 = tarfile.TarInfo("ro/sub"); d2.type = tarfile.DIRTYPE; d2.mode = 0o500; t.addfile(d2)
    f2 = tarfile.TarInfo("ro/sub/g"); f2.size = 0; t.addfile(f2, io.BytesIO(b""))
PY
	python3 "$HOSTILE" dotdot w/bad.tar
	python3 "$MKIMAGE" --layer-tar w/ro.tar --layer-tar w/bad.tar --oci-archive w/img2.tar >/dev/null
	chmod -R a+rX w
	run as_nobody "$OCI_UNPACK" -i w/img2.tar w/r2
	assert_failure
	assert_one_line_error oci-unpack
	# neither DEST nor any staging directory is left next to it
	[ ! -e w/r2 ]
	[ -z "$(ls -A w | grep -v -e '^img' -e '\.tar$')" ]
}

@test "root inside a user namespace: device nodes become empty files, owners are kept" {
	require_root
	require_cmd unshare
	run "$TOP/tests/lib/userns-root.sh" "$BATS_TEST_TMPDIR" "$OCI_UNPACK" -i w/img.tar w/r
	assert_success
	# mknod of a device is refused in a user namespace: an empty file stands in, as rootless
	[ -f w/r/dev/mynull ]
	[ ! -s w/r/dev/mynull ]
	[ -p w/r/feat/fifo ]
	# ids mapped 1:1, so the image's owners are the files' owners
	[ "$(stat -c %u w/r/home/app)" = 1000 ]
}
