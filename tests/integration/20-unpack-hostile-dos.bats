#!/usr/bin/env bats
# oci-unpack against hostile layers that aim at memory and time rather than at paths
# (tests/lib/hostile.py). Each runs under an address-space limit and a CPU-time bound that only
# a blow-up exceeds: a string per path prefix (400 MB for a 550 KB layer), a walk from the root
# per component made (quadratic in depth), a scan of every recorded directory per removal
# (quadratic in entries). The bounds are several times what the work needs; they are ceilings,
# not speed targets. They count the tool's CPU time (RLIMIT_CPU), which a loaded machine does
# not stretch as it stretches wall time; a wall bound five times longer catches a hang. DEST is on a tmpfs, so the disk's speed at
# making hundreds of thousands of directories is not what is measured.

load ../lib/common
load ../lib/images

setup() {
	[ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ] ||
		skip "needs a writable tmpfs at /dev/shm"
	cd "$BATS_TEST_TMPDIR"
	FAST=$(mktemp -d /dev/shm/oci-unpack-dos.XXXXXX)
}

teardown() {
	[ -z "${FAST:-}" ] || rm -rf "$FAST"
}

# cpu_bounded SECONDS CMD...: `run` CMD with at most SECONDS of CPU time (then SIGXCPU) and five
# times that of wall time (then SIGTERM), saying which bound ended it.
cpu_bounded() {
	local secs=$1 t0=$SECONDS
	shift
	run timeout -k 10 $((secs * 5)) prlimit --cpu="$secs" "$@"
	case $status in
	124) echo "timed out after $((secs * 5)) s of wall time" >&2 ;;
	152 | 137) echo "killed after $secs s of CPU time (exit $status)" >&2 ;;
	esac
	echo "took $((SECONDS - t0)) s" >&2
}

# dos CASE MEGABYTES SECONDS [hostile.py options]: build the case as an image layout (no base
# layer) and unpack it into $FAST/rootfs with at most MEGABYTES of address space, for at most
# SECONDS of CPU time (cpu_bounded).
dos() {
	local c=$1 mb=$2 secs=$3
	shift 3
	python3 "$HOSTILE" "$c" "$c.layer" --image L --no-base "$@" >/dev/null
	local lim=(prlimit --as=$((mb << 20)))
	# An ASan build reserves terabytes of address space for its shadow memory: there only the
	# time bound applies (the sanitizer pass looks for memory errors; make check for the bound).
	if ldd "$OCI_UNPACK" 2>/dev/null | grep -q libasan; then
		lim=()
	fi
	cpu_bounded "$secs" "${lim[@]}" "$OCI_UNPACK" --layout L ${UNPACK_ARGS:-} "$FAST/rootfs"
}

@test "hostile-dos: 100 entries under fresh 1990-deep parents, in 128 MiB and linear time" {
	# each 4 KiB name once cost 4 MiB of recorded prefixes (400 MB in all) and a lookup
	# from the root per parent made: 2000^2 component steps per entry
	dos long-names 128 120
	assert_success
	[ "$(find "$FAST/rootfs" -type f -name f | wc -l)" = 100 ]
	[ "$(find "$FAST/rootfs/042" -type f -printf '%d %s\n')" = "1991 2" ]
	! ls -A "$FAST" | grep -q oci-unpack || false
}

@test "hostile-dos: the paths a layer names are capped with a clear error (--max-files)" {
	# 2 x --max-files + 65536 paths: 100 entries naming 199,000 parents are over it
	UNPACK_ARGS="--max-files 1000" dos long-names 128 120
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "layer 1/1"
	assert_output_contains "more than 67536 distinct paths (see --max-files)"
	[ ! -e "$FAST/rootfs" ]
	! ls -A "$FAST" | grep -q oci-unpack || false
}

@test "hostile-dos: 50000 directories, their whiteouts and 400000 more, in linear time" {
	# every removal once scanned every recorded directory: 50000 x 450000 comparisons
	dos many-whiteouts 512 60
	assert_success
	[ "$(ls -A "$FAST/rootfs")" = kept ]
}

@test "hostile-dos: an opaque whiteout over 150000 directories, in linear time" {
	# the prune forgot each removed directory by scanning all of them: 150000^2
	dos many-opaque 512 60
	assert_success
	[ "$(ls -A "$FAST/rootfs/d")" = kept ]
}

# ---- tar extension headers that make libarchive burn CPU ----------------------------------
# libarchive 3.6.2 adds each ACL entry of a SCHILY.acl.* pax record (or a Solaris 'A' header)
# to a list it walks from its head: a 960 KB record costs ~25 s of CPU. The guard in the read
# path (unpack/targuard.c) refuses such headers before libarchive is handed them.

# paxlayer CASE: write layer.tar for CASE (the generator runs on Debian's python3, not a shim)
# and wrap it, gzipped, into the image layout L.
paxlayer() {
	/usr/bin/python3 - "$@" <<'PY'
import gzip, io, sys, tarfile

case = sys.argv[1]
out = io.BytesIO()
t = tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT)


def acl(n, fmt="u:%d:r"):
    # n entries (distinct ids: libarchive walks its whole list for each one)
    return ",".join(fmt % (1000 + i) for i in range(n))


def add(name, data=b"x", pax=None, typ=tarfile.REGTYPE, **kw):
    ti = tarfile.TarInfo(name)
    ti.type, ti.size = typ, len(data)
    for k, v in kw.items():
        setattr(ti, k, v)
    if pax:
        ti.pax_headers = pax
    t.addfile(ti, io.BytesIO(data))


def raw_ext(typ, body, name="././@PaxHeader"):
    # an extension header of type typ carrying body, written as plain ustar
    ti = tarfile.TarInfo(name)
    ti.type, ti.size = typ, len(body)
    t.fileobj.write(ti.tobuf(tarfile.USTAR_FORMAT))
    t.fileobj.write(body + b"\0" * (-len(body) % 512))
    t.offset += 512 + len(body) + (-len(body) % 512)


def rec(k, v):
    # one pax record: "LEN KEY=VALUE\n", LEN counting itself
    b = b" %s=%s\n" % (k.encode(), v.encode())
    n = len(b) + 1
    while len(str(n)) + len(b) != n:
        n += 1
    return str(n).encode() + b


if case == "acl-huge":  # one 900 KB access ACL: ~25 s of libarchive's CPU
    add("f", pax={"SCHILY.acl.access": acl(100000)})
elif case == "acl-big":  # 20000 entries, 180 KB: 1 s of CPU, fits in a pax header
    add("f", pax={"SCHILY.acl.access": acl(20000)})
elif case == "acl-many":  # 2000 entries, each 300 entries over the cap: ~0.3 s each
    for i in range(2000):
        add("f%d" % i, pax={"SCHILY.acl.default": acl(300)})
elif case == "acl-nfs4":
    add("f", pax={"SCHILY.acl.ace": acl(10000, "user:%d:rwx:allow")})
elif case == "acl-solaris":  # a Solaris 'A' header before the entry
    raw_ext(b"A", b"01000020\0" + acl(20000).encode() + b"\0")
    add("f")
elif case == "acl-real":  # what getfacl shows on a shared directory: kept going
    a = "user::rwx,user:1000:rwx,group::r-x,group:100:rwx,mask::rwx,other::r-x"
    for i in range(50):
        add("d%d" % i, typ=tarfile.DIRTYPE, data=b"",
            pax={"SCHILY.acl.access": a, "SCHILY.acl.default": a})
    add("f", b"ok\n", pax={"SCHILY.acl.access": acl(200)})
elif case == "pax-big":  # a 300 KB xattr value: over the pax header cap
    add("f", pax={"SCHILY.xattr.user.big": "v" * 300000})
elif case == "pax-twice":  # two pax headers for one entry (libarchive parses the last twice)
    raw_ext(b"x", rec("SCHILY.acl.ace", acl(200, "user:%d:rwx:allow")))
    raw_ext(b"x", rec("SCHILY.acl.ace", acl(200, "user:%d:rwx:allow")))
    ti = tarfile.TarInfo("f"); ti.size = 1
    t.fileobj.write(ti.tobuf(tarfile.USTAR_FORMAT)); t.fileobj.write(b"x" + b"\0" * 511)
    t.offset += 1024
elif case == "sparse-map":  # a GNU sparse 1.0 map of 2 million entries: 8 MB, 106 MB of RAM
    n = 2000000
    m = b"%d\n" % n + b"0\n1\n" * n
    m += b"\0" * (-len(m) % 512) + b"x"
    add("GNUSparseFile.0/f", m, {"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
                                 "GNU.sparse.name": "f", "GNU.sparse.realsize": "1"})
elif case == "hidden-symlink":
    # a symlink whose ustar size field claims the next 2 blocks: libarchive ignores it (a
    # symlink has no data), so those blocks are the next headers: a guard that believed
    # the size would skip the hostile pax header hidden there
    ti = tarfile.TarInfo("l"); ti.type = tarfile.SYMTYPE; ti.linkname = "f"
    b = bytearray(ti.tobuf(tarfile.USTAR_FORMAT))
    b[124:136] = b"%011o\0" % 1024
    b[148:156] = b" " * 8
    b[148:156] = b"%06o\0 " % sum(b)
    t.fileobj.write(bytes(b)); t.offset += 512
    add("f", pax={"SCHILY.acl.access": acl(100000)})
t.close()
with open("layer.tar", "wb") as f:
    f.write(out.getvalue())
with gzip.open("layer.tar.gz", "wb", compresslevel=6) as g:
    g.write(out.getvalue())
PY
	/usr/bin/python3 "$MKIMAGE" L --layer-blob layer.tar.gz --no-base >/dev/null
}

# unpack_bounded SECONDS: unpack the layout L into $FAST/rootfs, killed after SECONDS of CPU
# time (a ceiling several times what the refusal needs, far below the attack's).
unpack_bounded() {
	cpu_bounded "$1" "$OCI_UNPACK" --layout L "$FAST/rootfs"
}

# refused CASE WHAT: the layer of CASE is refused at once, in one line naming WHAT, and
# nothing of it is left.
refused() {
	paxlayer "$1"
	unpack_bounded 10
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "layer 1/1"
	assert_output_contains "$2"
	[ ! -e "$FAST/rootfs" ]
	! ls -A "$FAST" | grep -q oci-unpack || false
}

@test "hostile-dos: a 900 KB SCHILY.acl.access record (25 s of CPU) is refused at once" {
	refused acl-huge "entry 'f': pax extended header of 9"
	assert_output_contains "over the limit of 262144 bytes"
}

@test "hostile-dos: a SCHILY.acl.access record over 16 KiB is refused" {
	refused acl-big "entry 'f': SCHILY.acl.access record of 1"
	assert_output_contains "over the limit of 16384 bytes"
}

@test "hostile-dos: 2000 entries with 300 ACL entries each are refused at the first" {
	refused acl-many "'f0': more than 256 ACL entries"
}

@test "hostile-dos: an NFSv4 ACL (SCHILY.acl.ace) and a Solaris 'A' header are bounded too" {
	refused acl-nfs4 "SCHILY.acl.ace record of"
	rm -rf L layer.tar*
	refused acl-solaris "Solaris ACL header of"
}

@test "hostile-dos: a pax header over 256 KiB is refused" {
	refused pax-big "pax extended header of 300"
	assert_output_contains "over the limit of 262144 bytes"
}

@test "hostile-dos: a GNU sparse map of 2 million entries (106 MB of libarchive's memory) is refused" {
	refused sparse-map "entry 'GNUSparseFile.0/f': a GNU sparse map of more than 65536 entries"
}

@test "hostile-dos: two pax headers for one entry are refused" {
	refused pax-twice "a second pax extended header for one entry"
}

@test "hostile-dos: a symlink's size field cannot hide a pax header from the guard" {
	refused hidden-symlink "entry 'f': pax extended header of"
}

@test "hostile-dos: real ACLs (a few entries, 200 at most here) unpack as before" {
	paxlayer acl-real
	unpack_bounded 30
	assert_success
	[ "$(cat "$FAST/rootfs/f")" = ok ]
	[ -d "$FAST/rootfs/d49" ]
}

@test "hostile-dos: the image stream's own tar headers are guarded too (oci-archive on stdin)" {
	paxlayer acl-real
	# the oci-archive of L, its first member carrying a 900 KB ACL record
	/usr/bin/python3 - <<'PY'
import os, tarfile
acl = ",".join("u:%d:r" % (1000 + i) for i in range(100000))
t = tarfile.open("img.tar", "w", format=tarfile.PAX_FORMAT)
for i, p in enumerate(["oci-layout", "index.json"] + sorted(
        os.path.join("blobs/sha256", f) for f in os.listdir("L/blobs/sha256"))):
    ti = t.gettarinfo(os.path.join("L", p), p)
    if i == 0:
        ti.pax_headers = {"SCHILY.acl.access": acl}
    with open(os.path.join("L", p), "rb") as f:
        t.addfile(ti, f)
t.close()
PY
	cpu_bounded 10 "$OCI_UNPACK" -i img.tar "$FAST/rootfs"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "entry 'oci-layout': pax extended header of 9"
	[ ! -e "$FAST/rootfs" ]
}
