#!/usr/bin/env bats
# oci-unpack core: stream input (oci-archive from mkimage and from oci-fetch through a real
# registry), digest and diff_id verification, atomic publish into a new or empty DEST.

load ../lib/common
load ../lib/registry
load ../lib/images

setup_file() {
	export IMG3=$BATS_FILE_TMPDIR/img3
	python3 "$MKIMAGE" "$IMG3" --layers 3 --oci-archive "$BATS_FILE_TMPDIR/img3.tar" >/dev/null
}

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# An unpack into mnt reading in.fifo ($pid, stderr in err): fed the first 20000 bytes of img3
# (the fifo held open as fd 7), then waited for until its staging directory exists.
start_fed_unpack() {
	rm -f in.fifo
	mkfifo in.fifo
	"$OCI_UNPACK" -i in.fifo mnt 2>err &
	pid=$!
	exec 7>in.fifo
	head -c 20000 "$BATS_FILE_TMPDIR/img3.tar" >&7
	wait_until 10 "the staging directory" "compgen -G 'mnt/.staging.oci-unpack-*' >/dev/null"
}

teardown() {
	registry_stop || true
	if mountpoint -q "$BATS_TEST_TMPDIR/mnt" 2>/dev/null; then
		umount "$BATS_TEST_TMPDIR/mnt"
	fi
}

# Rewrite a blob inside an oci-archive copy: python edits the tar member in place.
corrupt_blob() { # ARCHIVE OUT DIGEST_HEX MODE(flip|same-size)
	python3 - "$@" <<'PY'
import sys, tarfile, io
src, out, hexd = sys.argv[1:4]
with tarfile.open(src) as t, tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as o:
    for m in t.getmembers():
        data = t.extractfile(m).read() if m.isfile() else None
        if m.name == "blobs/sha256/" + hexd:
            b = bytearray(data); b[len(b) // 2] ^= 0xff; data = bytes(b)
        o.addfile(m, io.BytesIO(data) if data is not None else None)
PY
}

@test "unpack: a 3-layer oci-archive on stdin gives the image's files" {
	run "$OCI_UNPACK" rootfs <"$BATS_FILE_TMPDIR/img3.tar"
	assert_success
	[ -x rootfs/bin/busybox ]
	[ "$(cat rootfs/etc/layer)" = 3 ]
	[ -f rootfs/layers/2.txt ]
	[ -f rootfs/layers/3.txt ]
	[ "$(stat -c %a rootfs/tmp)" = 1777 ]
	# nothing but DEST is left next to it: the staging directory is gone
	[ "$(ls -A . | tr '\n' ' ')" = "rootfs " ]
}

@test "unpack: -i FILE, --layout DIR and --layout DIR:tag give the same tree as the stream" {
	"$OCI_UNPACK" rootfs <"$BATS_FILE_TMPDIR/img3.tar"
	run "$OCI_UNPACK" -i "$BATS_FILE_TMPDIR/img3.tar" r2
	assert_success
	run "$OCI_UNPACK" --layout "$IMG3" r3
	assert_success
	run "$OCI_UNPACK" --layout "$IMG3:latest" r4
	assert_success
	run "$TOP/tests/lib/treecmp.sh" --mtime rootfs r2
	assert_success
	run "$TOP/tests/lib/treecmp.sh" --mtime rootfs r3
	assert_success
	run "$TOP/tests/lib/treecmp.sh" --mtime rootfs r4
	assert_success
	run "$OCI_UNPACK" --layout "$IMG3:nosuchtag" r5
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "no image 'nosuchtag'"
	[ ! -e r5 ]
}

@test "unpack: an existing empty DEST is filled; a non-empty one is refused untouched" {
	mkdir empty full
	touch full/keep
	run "$OCI_UNPACK" -i "$BATS_FILE_TMPDIR/img3.tar" empty
	assert_success
	[ -x empty/bin/busybox ]
	run "$OCI_UNPACK" -i "$BATS_FILE_TMPDIR/img3.tar" full
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "'full' exists and is not empty: remove it, or give a new or empty directory"
	[ "$(ls -A full)" = keep ]
}

@test "unpack: into an empty mount point, a move that fails half-way (a second run filled DEST) takes back what it had moved" {
	require_root
	"$OCI_UNPACK" -q -i "$BATS_FILE_TMPDIR/img3.tar" fresh
	mkdir mnt
	mount -t tmpfs tmpfs mnt
	# DEST cannot be renamed over: the finished entries are moved into it one by one; one of
	# them, blocked by another run's directory of that name, fails the move. Blocking each
	# name in turn, the failing move comes after others for all but the first in order.
	for n in $(ls -A fresh); do
		start_fed_unpack
		mkdir -p "mnt/$n/other-run"
		tail -c +20001 "$BATS_FILE_TMPDIR/img3.tar" >&7
		exec 7>&-
		rc=0
		wait "$pid" || rc=$?
		[ "$rc" -ne 0 ]
		run cat err
		assert_one_line_error oci-unpack
		assert_output_contains "cannot move '$n' into 'mnt'"
		[ "$(ls -A mnt)" = "$n" ]
		[ "$(ls -A "mnt/$n")" = other-run ]
		rm -r "mnt/$n"
	done
	# a run killed outright leaves its staging inside the mount point: the next run removes it
	# (it made DEST look not empty) and fills DEST
	start_fed_unpack
	kill -KILL "$pid"
	wait "$pid" || true
	exec 7>&-
	run "$OCI_UNPACK" -i "$BATS_FILE_TMPDIR/img3.tar" mnt
	assert_success
	[ "$(ls -A mnt | sort)" = "$(ls -A fresh | sort)" ]
}

@test "unpack: a corrupted layer fails naming the layer, and DEST does not exist" {
	local hex
	hex=$(jq -r '.layers[1].digest' "$IMG3/blobs/sha256/$(jq -r '.manifests[0].digest' "$IMG3/index.json" | cut -d: -f2)" | cut -d: -f2)
	corrupt_blob "$BATS_FILE_TMPDIR/img3.tar" bad.tar "$hex"
	run "$OCI_UNPACK" -i bad.tar rootfs
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "layer 2/3 sha256:${hex:0:12}"
	[ ! -e rootfs ]
	[ "$(ls -A . | tr '\n' ' ')" = "bad.tar " ]
	# and an existing empty DEST stays an empty directory
	mkdir rootfs
	run "$OCI_UNPACK" -i bad.tar rootfs
	assert_failure
	[ -d rootfs ]
	[ -z "$(ls -A rootfs)" ]
}

@test "unpack: a diff_id mismatch in the config is caught" {
	local m cfg
	cp -r "$IMG3" lay
	m=$(jq -r '.manifests[0].digest' lay/index.json | cut -d: -f2)
	cfg=$(jq -r '.config.digest' "lay/blobs/sha256/$m" | cut -d: -f2)
	# a config whose second diff_id is the first one's: valid JSON, wrong content hash
	jq -c '.rootfs.diff_ids[1] = .rootfs.diff_ids[0]' "lay/blobs/sha256/$cfg" >newcfg
	local nd ns
	nd=$(sha256sum newcfg | cut -d' ' -f1)
	ns=$(stat -c %s newcfg)
	mv newcfg "lay/blobs/sha256/$nd"
	jq -c ".config.digest = \"sha256:$nd\" | .config.size = $ns" "lay/blobs/sha256/$m" >newman
	local md ms
	md=$(sha256sum newman | cut -d' ' -f1)
	ms=$(stat -c %s newman)
	mv newman "lay/blobs/sha256/$md"
	jq -c ".manifests[0].digest = \"sha256:$md\" | .manifests[0].size = $ms" lay/index.json >idx && mv idx lay/index.json
	run "$OCI_UNPACK" --layout lay rootfs
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "layer 2/3"
	assert_output_contains "diff_id"
	[ ! -e rootfs ]
}

@test "unpack: a truncated stream fails and leaves nothing" {
	head -c 600000 "$BATS_FILE_TMPDIR/img3.tar" >trunc.tar
	run "$OCI_UNPACK" rootfs <trunc.tar
	assert_failure
	assert_one_line_error oci-unpack
	[ ! -e rootfs ]
	[ "$(ls -A . | tr '\n' ' ')" = "trunc.tar " ]
}

@test "unpack: SIGTERM while waiting for the stream removes the staging directory" {
	mkfifo pipe
	"$OCI_UNPACK" rootfs <pipe 3>&- &
	local pid=$!
	exec 4>pipe
	head -c 1000000 "$BATS_FILE_TMPDIR/img3.tar" >&4
	sleep 0.5
	ls -A | grep -q oci-unpack # the staging directory exists meanwhile
	kill -TERM $pid
	local rc=0
	wait $pid || rc=$?
	exec 4>&-
	[ "$rc" = 143 ]
	[ ! -e rootfs ]
	[ "$(ls -A . | tr '\n' ' ')" = "pipe " ]
}

@test "unpack: a run killed outright (SIGKILL) leaves its staging directory only until the next run into the same DEST; a live run's is never taken" {
	mkfifo pipe pipe2
	"$OCI_UNPACK" rootfs <pipe 3>&- &
	local pid=$!
	exec 4>pipe
	head -c 1000000 "$BATS_FILE_TMPDIR/img3.tar" >&4
	wait_until 10 "the staging directory" "compgen -G '.rootfs.oci-unpack-*' >/dev/null"
	kill -KILL $pid
	wait $pid || true
	exec 4>&-
	local dead
	dead=$(compgen -G '.rootfs.oci-unpack-*')
	# the next run into rootfs removes it as it begins
	"$OCI_UNPACK" rootfs <pipe2 3>&- &
	local pid2=$!
	exec 5>pipe2
	head -c 1000000 "$BATS_FILE_TMPDIR/img3.tar" >&5
	wait_until 10 "the dead run's staging directory to go" "[ ! -e '$dead' ]"
	# (removed before the second run makes its own)
	wait_until 10 "the second run's staging directory" "compgen -G '.rootfs.oci-unpack-*' >/dev/null"
	# a third run, failing, leaves the live second one's alone
	head -c 100000 "$BATS_FILE_TMPDIR/img3.tar" >t.tar
	run "$OCI_UNPACK" -i t.tar rootfs
	assert_failure
	compgen -G '.rootfs.oci-unpack-*' >/dev/null
	tail -c +1000001 "$BATS_FILE_TMPDIR/img3.tar" >&5
	exec 5>&-
	wait $pid2
	[ -x rootfs/bin/busybox ]
	[ "$(ls -A . | sort | tr '\n' ' ')" = "pipe pipe2 rootfs t.tar " ]
}

@test "unpack: a directory given a staging directory's name (by whoever can write DEST's parent) is not removed as a dead run's" {
	# a tree of ours that was there (an earlier root unpack in a directory a user can write:
	# the user may rename it, never remove what is in it), renamed to a staging name
	mkdir -p victim/etc
	echo keep >victim/etc/f
	mv victim .rootfs.oci-unpack-000000000000
	run "$OCI_UNPACK" rootfs <"$BATS_FILE_TMPDIR/img3.tar"
	assert_success
	[ "$(cat .rootfs.oci-unpack-000000000000/etc/f)" = keep ]
}

@test "unpack: --image-config writes the verified config blob" {
	run "$OCI_UNPACK" --image-config cfg.json rootfs <"$BATS_FILE_TMPDIR/img3.tar"
	assert_success
	local m want
	m=$(jq -r '.manifests[0].digest' "$IMG3/index.json" | cut -d: -f2)
	want=$(jq -r '.config.digest' "$IMG3/blobs/sha256/$m")
	[ "sha256:$(sha256sum cfg.json | cut -d' ' -f1)" = "$want" ]
}

@test "unpack: not an image, and a bad option, are one-line errors" {
	echo hello >junk
	run "$OCI_UNPACK" -i junk rootfs
	assert_failure
	assert_one_line_error oci-unpack
	[ ! -e rootfs ]
	tar cf empty.tar junk
	run "$OCI_UNPACK" -i empty.tar rootfs
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "no index.json"
	run "$OCI_UNPACK" --max-bytes lots rootfs
	assert_failure
	assert_one_line_error oci-unpack
	run "$OCI_UNPACK"
	assert_failure
	assert_one_line_error oci-unpack
}

@test "unpack: oci-fetch | oci-unpack from a real registry equals the layout's unpack" {
	require_cmd docker-registry
	registry_start plain
	image_push "$IMG3" test/img3 v1
	"$OCI_FETCH" -q --no-cache "$REGISTRY/test/img3:v1" | "$OCI_UNPACK" rootfs
	local rc=("${PIPESTATUS[@]}")
	registry_stop || true
	[ "${rc[*]}" = "0 0" ]
	"$OCI_UNPACK" --layout "$IMG3" ref
	run "$TOP/tests/lib/treecmp.sh" --mtime rootfs ref
	assert_success
}
