#!/usr/bin/env bats
# oci-unpack semantics and interop: the --features image (whiteouts, opaque dir, hardlinks,
# symlinks, devices, fifo, xattrs, setuid, owners, type changes) equals umoci's unpack; zstd,
# docker-save, skopeo-written oci-archives (spooled), --layer; whiteout edge cases.

load ../lib/common
load ../lib/images

TREECMP=$BATS_TEST_DIRNAME/../lib/treecmp.sh

setup_file() {
	export FEAT=$BATS_FILE_TMPDIR/feat
	python3 "$MKIMAGE" "$FEAT" --features --layers 2 --oci-archive "$BATS_FILE_TMPDIR/feat.tar" \
		--docker-archive "$BATS_FILE_TMPDIR/feat-docker.tar" >/dev/null
}

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# mktar OUT SPEC...: an uncompressed layer tar; SPEC is f:NAME[:CONTENT], d:NAME, l:NAME:TARGET,
# h:NAME:TARGET, in the order given (python's tarfile, no name cleaning).
mktar() {
	python3 - "$@" <<'PY'
import io, sys, tarfile
out, specs = sys.argv[1], sys.argv[2:]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    for s in specs:
        kind, name, *rest = s.split(":", 2)
        ti = tarfile.TarInfo(name); ti.mtime = 1700000000
        data = None
        if kind == "f":
            data = (rest[0] if rest else name).encode(); ti.size = len(data); ti.mode = 0o644
        elif kind == "d":
            ti.type = tarfile.DIRTYPE; ti.mode = 0o755
        elif kind == "l":
            ti.type = tarfile.SYMTYPE; ti.linkname = rest[0]
        elif kind == "h":
            ti.type = tarfile.LNKTYPE; ti.linkname = rest[0]
        t.addfile(ti, io.BytesIO(data) if data is not None else None)
PY
}

# lxattrs PATH...: the xattrs of each PATH itself (a symlink is not followed), NAME=VALUE
lxattrs() {
	python3 -c '
import os, sys
for p in sys.argv[1:]:
    for n in sorted(os.listxattr(p, follow_symlinks=False)):
        print("%s=%s" % (n, os.getxattr(p, n, follow_symlinks=False).decode("utf-8", "replace")))
' "$@"
}

@test "features: the --features image equals umoci unpack (owners, modes, links, devices, xattrs)" {
	require_root
	require_cmd umoci
	run "$OCI_UNPACK" rootfs <"$BATS_FILE_TMPDIR/feat.tar"
	assert_success
	umoci unpack --image "$FEAT:latest" bundle >/dev/null 2>&1
	run "$TREECMP" rootfs bundle/rootfs
	assert_success
	# what the features layers promise, checked directly too
	! find rootfs -name '.wh.*' | grep -q . || false
	find rootfs -perm -4000 -type f | grep -q .
	find rootfs -type c | grep -q .
	find rootfs -type p | grep -q .
}

@test "features: xattrs on symlinks, fifos and devices (trusted.*, as root) equal umoci's; never on a link's target" {
	require_root
	require_cmd umoci
	echo "outside the root" >"$BATS_TEST_TMPDIR/outside"
	python3 - "$BATS_TEST_TMPDIR/x.tar" "$BATS_TEST_TMPDIR/outside" <<'PY'
import io, sys, tarfile
out, outside = sys.argv[1], sys.argv[2]
def ti(name, kind, link="", pax=None, data=None):
    t = tarfile.TarInfo(name); t.type = kind; t.linkname = link; t.mtime = 1700000000
    t.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    if kind == tarfile.CHRTYPE:
        t.devmajor, t.devminor = 1, 3
    t.pax_headers = pax or {}
    if data is not None:
        t.size = len(data)
    return t, (io.BytesIO(data) if data is not None else None)
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
    for t, f in [
        ti("x", tarfile.DIRTYPE),
        ti("x/file", tarfile.REGTYPE, data=b"target\n", pax={"SCHILY.xattr.trusted.file": "on-file"}),
        ti("x/link", tarfile.SYMTYPE, "file", {"SCHILY.xattr.trusted.sym": "on-link"}),
        ti("x/out", tarfile.SYMTYPE, outside, {"SCHILY.xattr.trusted.evil": "not-outside"}),
        ti("x/dangling", tarfile.SYMTYPE, "/nonexistent", {"SCHILY.xattr.trusted.d": "dangling"}),
        ti("x/fifo", tarfile.FIFOTYPE, pax={"SCHILY.xattr.trusted.fifo": "on-fifo"}),
        ti("x/null", tarfile.CHRTYPE, pax={"SCHILY.xattr.trusted.dev": "on-dev"}),
    ]:
        tf.addfile(t, f)
PY
	python3 "$MKIMAGE" img --layer-tar "$BATS_TEST_TMPDIR/x.tar" >/dev/null
	"$OCI_UNPACK" -q --layout img rootfs
	umoci unpack --image img:latest bundle >/dev/null 2>&1
	run "$TREECMP" --xattr trusted. rootfs bundle/rootfs
	assert_success
	[ "$(lxattrs rootfs/x/link)" = trusted.sym=on-link ]
	[ "$(lxattrs rootfs/x/dangling)" = trusted.d=dangling ]
	[ "$(lxattrs rootfs/x/fifo)" = trusted.fifo=on-fifo ]
	[ "$(lxattrs rootfs/x/null)" = trusted.dev=on-dev ]
	# the link's xattr is on the link, not on what it points to, inside or outside the root
	[ "$(lxattrs rootfs/x/file)" = trusted.file=on-file ]
	[ "$(lxattrs rootfs/x/out)" = trusted.evil=not-outside ]
	[ -z "$(lxattrs "$BATS_TEST_TMPDIR/outside")" ]
}

@test "features: user.* xattrs and security.capability on a symlink are skipped, as GNU tar does" {
	python3 - x.tar <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as tf:
    t = tarfile.TarInfo("link"); t.type = tarfile.SYMTYPE; t.linkname = "target"
    t.pax_headers = {"SCHILY.xattr.user.skip": "x",
                     "SCHILY.xattr.security.capability": "\x01\x00\x00\x02" + "\x00" * 12}
    tf.addfile(t)
    f = tarfile.TarInfo("fifo"); f.type = tarfile.FIFOTYPE; f.pax_headers = {"SCHILY.xattr.user.skip": "y"}
    tf.addfile(f)
PY
	python3 "$MKIMAGE" img --layer-tar x.tar >/dev/null
	run "$OCI_UNPACK" --debug --layout img rootfs
	assert_success
	assert_output_contains "xattr 'user.skip' cannot be set on a symlink or special file"
	[ -L rootfs/link ]
	[ -p rootfs/fifo ]
	[ -z "$(lxattrs rootfs/link rootfs/fifo)" ]
}

@test "features: zstd layers give the same tree as gzip layers" {
	python3 "$MKIMAGE" z --features --layers 2 --compression zstd >/dev/null
	python3 "$MKIMAGE" n --features --layers 2 --compression none >/dev/null
	run "$OCI_UNPACK" --layout z zr
	assert_success
	run "$OCI_UNPACK" --layout n nr
	assert_success
	"$OCI_UNPACK" --layout "$FEAT" gr
	run "$TREECMP" --mtime gr zr
	assert_success
	run "$TREECMP" --mtime gr nr
	assert_success
}

@test "features: a docker save archive gives the same tree as the OCI image" {
	run "$OCI_UNPACK" -i "$BATS_FILE_TMPDIR/feat-docker.tar" dr
	assert_success
	"$OCI_UNPACK" --layout "$FEAT" gr
	run "$TREECMP" --mtime gr dr
	assert_success
}

@test "features: a docker save archive of Docker 25+ (blobs/sha256/HEX) gives the same tree" {
	# Docker 25 and later save an OCI layout inside (index.json after the blobs) and name the
	# config and layers blobs/sha256/HEX in manifest.json; a docker-style --ref
	# (busybox:latest) must pick the image, and without index.json the blobs, spooled by
	# digest, must still be found by those names
	"$OCI_UNPACK" --layout "$FEAT" gr
	local l
	for l in oci oci-noindex; do
		python3 "$MKIMAGE" --features --layers 2 --docker-archive "d-$l.tar" \
			--docker-archive-layout "$l" >/dev/null
		tar tf "d-$l.tar" | grep -qx 'blobs/sha256/[0-9a-f]\{64\}'
		! tar tf "d-$l.tar" | grep -q layer.tar || false
		run "$OCI_UNPACK" -i "d-$l.tar" "dr-$l"
		assert_success
		run "$TREECMP" --mtime gr "dr-$l"
		assert_success
		run "$OCI_UNPACK" -i "d-$l.tar" --ref busybox:latest "dt-$l"
		assert_success
		run "$TREECMP" --mtime gr "dt-$l"
		assert_success
	done
	# a layer blob that does not match its name is refused
	python3 - d-oci-noindex.tar bad.tar <<'PY'
import sys, tarfile, io
with tarfile.open(sys.argv[1]) as i, tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT) as o:
    for m in i.getmembers():
        data = i.extractfile(m).read() if m.isfile() else None
        if data and m.name.startswith("blobs/") and data[257:262] == b"ustar":
            data = data[:-1] + b"x"
        o.addfile(m, io.BytesIO(data) if data is not None else None)
PY
	run "$OCI_UNPACK" -i bad.tar br
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "layer 1/4 sha256:"
	assert_output_contains "digest mismatch"
	[ ! -e br ]
}

@test "features: an oci-archive written by skopeo (blobs before index.json) is spooled and unpacked" {
	require_cmd skopeo
	skopeo copy -q "oci:$FEAT:latest" oci-archive:sk.tar
	# skopeo's order is not the streaming order: index.json comes last
	[ "$(tar tf sk.tar | grep -v /\$ | head -1 | cut -d/ -f1)" = blobs ]
	run "$OCI_UNPACK" sr <sk.tar
	assert_success
	"$OCI_UNPACK" --layout "$FEAT" gr
	run "$TREECMP" --mtime gr sr
	assert_success
	[ "$(ls -A | sort | tr '\n' ' ')" = "gr sk.tar sr " ]
}

@test "features: an opaque marker after siblings of the same layer hides only lower layers" {
	mktar lower.tar d:o f:o/lower1 d:o/sub f:o/sub/lower2 f:keep d:w f:w/gone f:w/stays
	# upper: o/new comes BEFORE the opaque marker, o/sub/new2 after it; w/.wh.gone whiteouts
	mktar upper.tar f:o/new d:o/sub f:o/.wh..wh..opq f:o/sub/new2 f:w/.wh.gone f:.wh.keep
	python3 "$MKIMAGE" img --no-base --layer-tar lower.tar --layer-tar upper.tar >/dev/null
	run "$OCI_UNPACK" --layout img rootfs
	assert_success
	[ -f rootfs/o/new ]
	[ -f rootfs/o/sub/new2 ]
	[ ! -e rootfs/o/lower1 ]
	[ ! -e rootfs/o/sub/lower2 ]
	[ ! -e rootfs/w/gone ]
	[ -f rootfs/w/stays ]
	[ ! -e rootfs/keep ]
	! find rootfs -name '.wh.*' | grep -q . || false
	if command -v umoci >/dev/null && [ "$(id -u)" = 0 ]; then
		umoci unpack --image img:latest b >/dev/null 2>&1
		run "$TREECMP" rootfs b/rootfs
		assert_success
	fi
}

@test "features: a whiteout of a name created by the same layer keeps it" {
	mktar l1.tar f:a
	mktar l2.tar f:b f:.wh.b f:.wh.a
	python3 "$MKIMAGE" img --no-base --layer-tar l1.tar --layer-tar l2.tar >/dev/null
	run "$OCI_UNPACK" --layout img rootfs
	assert_success
	[ -f rootfs/b ]
	[ ! -e rootfs/a ]
}

@test "features: dir->file, file->symlink, file->dir across layers; hardlinks to lower layers" {
	mktar l1.tar d:x f:x/in f:y f:z f:t
	mktar l2.tar f:x:now-a-file l:y:z d:t f:t/in h:hl:z
	python3 "$MKIMAGE" img --no-base --layer-tar l1.tar --layer-tar l2.tar >/dev/null
	run "$OCI_UNPACK" --layout img rootfs
	assert_success
	[ -f rootfs/x ]
	[ "$(cat rootfs/x)" = now-a-file ]
	[ -L rootfs/y ]
	[ "$(readlink rootfs/y)" = z ]
	[ -d rootfs/t ]
	[ -f rootfs/t/in ]
	[ "$(stat -c %i rootfs/hl)" = "$(stat -c %i rootfs/z)" ]
}

@test "features: --layer applies one layer onto an existing rootfs" {
	"$OCI_UNPACK" --layout "$FEAT" rootfs
	mktar l.tar f:etc/added:hello f:etc/.wh.hostname
	gzip -k l.tar
	run "$OCI_UNPACK" --layer l.tar.gz rootfs
	assert_success
	[ "$(cat rootfs/etc/added)" = hello ]
	[ ! -e rootfs/etc/hostname ]
	mktar bad.tar f:../evil
	run "$OCI_UNPACK" --layer bad.tar rootfs
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "entry '../evil': path escapes the root"
	[ ! -e evil ]
}

@test "features: a refused --layer says whether it changed the root: unchanged, or partially modified" {
	"$OCI_UNPACK" --layout "$FEAT" rootfs
	before=$(cd rootfs && find . -printf '%p %y %m %s %T@\n' | sort)
	# Refused at its first entry: nothing was written.
	mktar first.tar f:../evil f:etc/never
	run "$OCI_UNPACK" --layer first.tar rootfs
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "'rootfs' is unchanged: "
	assert_output_contains "entry '../evil': path escapes the root"
	[[ $output != *"partially modified"* ]]
	[ "$(cd rootfs && find . -printf '%p %y %m %s %T@\n' | sort)" = "$before" ]
	# Not a tar at all: refused before any entry.
	head -c 4096 /dev/urandom >junk.tar
	run "$OCI_UNPACK" --layer junk.tar rootfs
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "'rootfs' is unchanged: "
	[ "$(cd rootfs && find . -printf '%p %y %m %s %T@\n' | sort)" = "$before" ]
	# Refused after an entry was written: the root must be discarded.
	mktar later.tar f:etc/written:yes f:../evil
	run "$OCI_UNPACK" --layer later.tar rootfs
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "'rootfs' is partially modified and must be discarded: "
	assert_output_contains "entry '../evil': path escapes the root"
	[[ $output != *unchanged* ]]
	[ -e rootfs/etc/written ]
	[ ! -e evil ]
}

@test "features: a multi-platform index picks --platform, or the host's" {
	python3 "$MKIMAGE" mp --platforms linux/amd64,linux/arm64 >/dev/null
	run "$OCI_UNPACK" --layout mp --platform linux/arm64 arm
	assert_success
	[ "$(cat arm/etc/platform)" = linux/arm64 ]
	run "$OCI_UNPACK" --layout mp --platform linux/amd64 amd
	assert_success
	[ "$(cat amd/etc/platform)" = linux/amd64 ]
	run "$OCI_UNPACK" --layout mp --platform linux/s390x s
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "no image for platform linux/s390x"
}

@test "features: unknown layer media types are refused clearly" {
	cp -r "$FEAT" lay
	local m md ms
	m=$(jq -r '.manifests[0].digest' lay/index.json | cut -d: -f2)
	jq -c '.layers[0].mediaType = "application/vnd.example.layer.v1+squashfs"' "lay/blobs/sha256/$m" >man
	md=$(sha256sum man | cut -d' ' -f1)
	ms=$(stat -c %s man)
	mv man "lay/blobs/sha256/$md"
	jq -c ".manifests[0].digest = \"sha256:$md\" | .manifests[0].size = $ms" lay/index.json >i && mv i lay/index.json
	run "$OCI_UNPACK" --layout lay rootfs
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "unsupported layer media type 'application/vnd.example.layer.v1+squashfs'"
	[ ! -e rootfs ]
}
