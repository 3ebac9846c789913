#!/usr/bin/env bats
# oci-unpack against hand-made hostile layers (tests/lib/hostile.py): every case must leave
# everything outside DEST exactly as it was, and fail (or, where the archive only replaces its
# own symlink, succeed) with one error line naming the entry. Every outside path a case aims at
# is redirected (--target) to a victim the test owns, so a regression cannot harm the host.

load ../lib/common
load ../lib/images

setup() {
	cd "$BATS_TEST_TMPDIR"
	mkdir -p work/victim/etc work/victim/tmp
	echo secret >work/victim/etc/shadow
	echo original >work/victim/etc/passwd-target
	chmod 0640 work/victim/etc/passwd-target
	echo victim >work/victim/tmp/victim
	echo beside >work/x
	cd work
	V=$PWD/victim
}

# A listing of everything under work/ except DEST: type, mode, size, content hash, link target.
# A staging directory left behind is not listed (refused() checks there is none).
snapshot() {
	find . -path ./rootfs -prune -o -path ./L -prune -o -name '.rootfs.oci-unpack-*' -prune \
		-o -name '*.tar' -prune -o -name '*.gz' -prune \
		-o -name '*.zst' -prune -o -printf '%p %y %m %U %s %l\n' | sort
	find . -path ./rootfs -prune -o -path ./L -prune -o -name '.rootfs.oci-unpack-*' -prune \
		-o -type f -name '*' -not -name '*.tar' \
		-not -name '*.gz' -not -name '*.zst' -print0 | sort -z | xargs -0 -r sha256sum
}

# hostile CASE [hostile.py options]: build the case as an image layout (no base layer), unpack it.
hostile() {
	local c=$1
	shift
	python3 "$HOSTILE" "$c" "$c.layer" --image L --no-base "$@" >/dev/null
	before=$(snapshot)
	# UNPACK_NOFILE: run with that many fds at most (1024 is a common default)
	run bash -c 'ulimit -n "$1" && shift && exec "$@"' - "${UNPACK_NOFILE:-$(ulimit -n)}" \
		"$OCI_UNPACK" --layout L ${UNPACK_ARGS:-} rootfs
	after=$(snapshot)
}

# The case failed with one line naming the entry, nothing outside DEST changed, DEST is absent.
refused() {
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "entry '$1"
	[ -n "${2:-}" ] && assert_output_contains "$2"
	[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after") >&2; return 1; }
	[ ! -e rootfs ]
	! ls -A | grep -q oci-unpack || false
}

@test "hostile: '../x' escapes the root" {
	hostile dotdot
	refused ../x "path escapes the root"
}

@test "hostile: '/abs' is an absolute name" {
	hostile abs
	refused /abs-escape "absolute path"
	[ ! -e /abs-escape ]
}

@test "hostile: 'a/../../x' escapes the root" {
	hostile dotdot-mid
	refused a/../../x "path escapes the root"
}

@test "hostile: a symlink to / then a file through it" {
	hostile symlink-root-then-file --target "$V"
	refused s/escaped "escapes the root through a symlink"
	[ ! -e "$V/escaped" ]
}

@test "hostile: a symlink to .. then a file through it" {
	hostile symlink-dotdot-then-file
	refused s/escaped "escapes the root through a symlink"
}

@test "hostile: a directory swapped for a symlink, then written through" {
	hostile dir-swapped-for-symlink --target "$V"
	refused d/escaped "escapes the root through a symlink"
	[ ! -e "$V/escaped" ]
}

@test "hostile: chmod and hardlink through a symlink pointing outside change nothing outside" {
	hostile chmod-through-symlink --target "$V/etc/passwd-target"
	refused h
	[ "$(stat -c %a "$V/etc/passwd-target")" = 640 ]
	[ "$(stat -c %h "$V/etc/passwd-target")" = 1 ]
}

@test "hostile: a file over a symlink pointing outside replaces the symlink, not its target" {
	hostile overwrite-through-symlink --target "$V/etc/passwd-target"
	assert_success
	[ "$before" = "$after" ]
	[ "$(cat "$V/etc/passwd-target")" = original ]
	[ "$(stat -c %a "$V/etc/passwd-target")" = 640 ]
	[ -f rootfs/l ]
	[ ! -L rootfs/l ]
	[ "$(cat rootfs/l)" = overwritten ]
}

@test "hostile: a hardlink to an absolute path (/etc/shadow)" {
	hostile hardlink-shadow --target "$V/etc/shadow"
	refused h "absolute path"
	[ "$(stat -c %h "$V/etc/shadow")" = 1 ]
}

@test "hostile: a hardlink to ../x" {
	hostile hardlink-dotdot
	refused h "path escapes the root"
	[ "$(stat -c %h x)" = 1 ]
}

@test "hostile: a hardlink through a symlink pointing outside" {
	hostile hardlink-through-symlink --target "$V/etc"
	refused h "escapes the root through a symlink"
	[ "$(stat -c %h "$V/etc/shadow")" = 1 ]
}

@test "hostile: a hardlink to itself is refused (also when the name exists)" {
	hostile hardlink-self
	refused x "hardlink to itself"
	rm -rf L
	hostile hardlink-self-existing
	refused x "hardlink to itself"
}

@test "hostile: a hardlink to a later entry or to a directory is refused" {
	hostile hardlink-later
	refused h "No such file or directory"
	rm -rf L
	hostile hardlink-dir
	refused h "is a directory"
}

@test "hostile: a hardlink to a symlink pointing outside links the symlink, not its target" {
	hostile hardlink-to-symlink --target "$V/etc/shadow"
	assert_success
	[ "$before" = "$after" ]
	[ "$(stat -c %h "$V/etc/shadow")" = 1 ]
	[ -L rootfs/h ]
	[ "$(readlink rootfs/h)" = "$V/etc/shadow" ]
	[ "$(stat -c %i rootfs/h)" = "$(stat -c %i rootfs/s)" ]
}

# the deepest regular file under DIR, as "DEPTH NAME"
deepest_file() {
	find "$1" -type f -printf '%d %f\n' | sort -n | tail -1
}

@test "hostile: an opaque whiteout over a 2000-deep chain is pruned without recursion" {
	# the issue's image: a 2000-deep chain, then an opaque whiteout above it and the same
	# chain; a recursive prune with a PATH_MAX buffer per frame overflowed the stack (SIGSEGV)
	hostile deep-opaque
	[ "$status" -ne 139 ]
	assert_success
	[ "$before" = "$after" ]
	! ls -A | grep -q oci-unpack || false
	[ "$(deepest_file rootfs)" = "2001 new" ]
	[ -z "$(find rootfs -name 'old*')" ]
}

@test "hostile: a tree 5700 directories deep (deeper than PATH_MAX) is applied with 1024 fds" {
	# no entry name is longer than PATH_MAX: the depth comes through symlinks l1, l2
	UNPACK_NOFILE=1024 hostile deep-tree
	assert_success
	[ "$before" = "$after" ]
	! ls -A | grep -q oci-unpack || false
	[ "$(deepest_file rootfs)" = "5701 deep" ]
}

@test "hostile: a tree 5700 directories deep is applied with 64 fds, and with 32" {
	# The cursor of directory fds held up to 96 whatever the limit: at 'ulimit -n 64' this
	# tree (applied before the cursor) failed with "Too many open files". It now takes half
	# of what is free, and sheds what it holds on EMFILE.
	for n in 64 32; do
		rm -rf rootfs
		UNPACK_NOFILE=$n hostile deep-tree
		assert_success
		[ "$before" = "$after" ]
		[ "$(deepest_file rootfs)" = "5701 deep" ]
	done
}

@test "hostile: a tree 5700 directories deep costs each entry a few one-name lookups, not a walk from the root" {
	# A lookup costs the kernel one step per component (and per component of the symlinks on
	# the way): resolving each of these 5700 entries from the root was ~11400 openat2 calls of
	# 1900-5700 components each, ~10 CPU-s in the kernel, quadratic in the depth. Counted
	# here, not timed: the components of every path the tool hands the kernel, and the
	# openat2 calls (the ones that may start from the root and expand symlinks).
	python3 "$HOSTILE" deep-tree deep-tree.layer --image L --no-base >/dev/null
	entries=$(tar -tf deep-tree.layer | wc -l)
	run strace -f -qq -e trace=%file -s 65536 -o "$BATS_TEST_TMPDIR/trace" \
		"$OCI_UNPACK" --layout L rootfs
	assert_success
	[ "$(deepest_file rootfs)" = "5701 deep" ]
	read -r comps openat2 < <(python3 -c '
import re, sys
comps = calls = 0
for line in open(sys.argv[1]):
    m = re.search(r"^\d+ +(\w+)\(.*?\"((?:[^\"\\]|\\.)*)\"", line)
    if not m:
        continue
    comps += len([c for c in m.group(2).split("/") if c])
    calls += m.group(1) == "openat2"
print(comps, calls)' "$BATS_TEST_TMPDIR/trace")
	echo "$entries entries: $comps path components in all, $openat2 openat2 calls" >&2
	[ "$entries" -gt 5700 ]
	[ "$comps" -le $((10 * entries)) ]
	# a few per symlink met and per 32 levels of a climb back up, not one per entry
	[ "$openat2" -le $((entries / 50)) ]
}

@test "hostile: files alternating between two branches 1000 deep cost no more lookups than a walk from the root each" {
	# the worst order for the lookups kept between entries: every entry jumps to the other
	# branch. It must cost what resolving each from the root costs (one openat2), not a
	# call per component or per anchor on the way.
	python3 -c '
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
def add(name, data=None):
    ti = tarfile.TarInfo(name)
    if data is None:
        ti.type, ti.mode = tarfile.DIRTYPE, 0o755
    else:
        ti.size = len(data)
    t.addfile(ti, io.BytesIO(data) if data else None)
for top in "ab":
    for i in range(1001):
        add(top + "/d" * i)
for k in range(1000):
    for top in "ab":
        add(top + "/d" * 1000 + "/f%d" % k, b"f\n")
t.close()' alt.tar
	entries=$(tar -tf alt.tar | wc -l)
	mkdir rootfs
	run strace -f -qq -e trace=%file -o "$BATS_TEST_TMPDIR/trace" "$OCI_UNPACK" --layer alt.tar rootfs
	assert_success
	[ "$(deepest_file rootfs)" = "1002 f999" ]
	calls=$(wc -l <"$BATS_TEST_TMPDIR/trace")
	openat2=$(grep -c 'openat2(' "$BATS_TEST_TMPDIR/trace")
	echo "$entries entries: $calls calls naming a path, $openat2 openat2" >&2
	[ "$calls" -le $((6 * entries)) ]
	[ "$openat2" -le "$entries" ]
}

@test "hostile: an opaque whiteout over a tree 5700 directories deep removes it all with 1024 fds" {
	UNPACK_NOFILE=1024 hostile deep-symlinks
	[ "$status" -ne 139 ]
	assert_success
	[ "$before" = "$after" ]
	! ls -A | grep -q oci-unpack || false
	[ "$(ls -A rootfs/c)" = kept ]
	[ "$(cat rootfs/c/kept)" = kept ]
	[ -L rootfs/l1 ]
	[ -L rootfs/l2 ]
}

@test "hostile: a refusal after a tree 3800 directories deep removes the staging directory" {
	UNPACK_NOFILE=1024 hostile deep-then-escape --count 2
	refused ../x "path escapes the root"
}

@test "hostile: an entry name longer than PATH_MAX is refused in one line" {
	# as umoci and GNU tar (File name too long), with nothing written
	hostile deep-name
	refused d/d/d/d "too long"
}

@test "hostile: a hardlink that carries data is refused (libarchive writes it into the target, umoci and GNU tar fail)" {
	hostile hardlink-with-data
	refused h "a hard link to 'f' that carries data"
}

@test "hostile: a sparse map past the file's size (GNU 1.0, 0.1, old) is refused, not a 1 TiB file" {
	# one byte mapped at 1 TiB in a file of 1 byte: libarchive hands the block at that
	# offset; Go's archive/tar (umoci) and GNU tar refuse such a map
	for c in 10 01 old; do
		hostile sparse-past-size-$c
		refused f "data at byte 1099511627776 is past the file's size of 1 bytes"
	done
	# honest sparse files (GNU tar's formats) keep their holes and bytes
	mkdir src
	truncate -s 4M src/f
	printf data | dd of=src/f bs=1 seek=1048576 conv=notrunc status=none
	printf end | dd of=src/f bs=1 seek=$((4 * 1024 * 1024 - 3)) conv=notrunc status=none
	for f in gnu posix:0.0 posix:0.1 posix:1.0; do
		rm -rf L rootfs
		v=()
		[ "$f" = gnu ] || v=(--sparse-version="${f#*:}")
		tar --format="${f%%:*}" --sparse "${v[@]}" -C src -cf - f | gzip >sparse.tar.gz
		python3 "$MKIMAGE" L --layer-blob sparse.tar.gz --no-base >/dev/null
		run "$OCI_UNPACK" --layout L rootfs
		assert_success
		cmp rootfs/f src/f
		[ "$(du -k rootfs/f | cut -f1)" -lt 1024 ]
	done
}

@test "hostile: a damaged header block between entries is refused in one line, not applied as an empty entry" {
	# libarchive skips the block (ARCHIVE_RETRY) and hands over an empty entry; Go's
	# archive/tar (umoci) refuses such a layer too
	hostile damaged-header
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "invalid tar data: Damaged tar archive"
	[ "$before" = "$after" ]
	[ ! -e rootfs ]
	! ls -A | grep -q oci-unpack || false
}

@test "hostile: whiteouts '.wh..', 'a/.wh..', '.wh.' and '../.wh.x'" {
	hostile whiteout-dotdot
	refused .wh.. "invalid whiteout name"
	rm -rf L
	hostile whiteout-dotdot-sub
	refused a/.wh.. "invalid whiteout name"
	rm -rf L
	hostile whiteout-empty
	refused .wh. "invalid whiteout name"
	rm -rf L
	hostile whiteout-escape
	refused ../.wh.x "path escapes the root"
	[ -f x ]
}

@test "hostile: a whiteout reached through a symlink pointing outside" {
	hostile whiteout-through-symlink --target "$V/tmp"
	refused s/.wh.victim "escapes the root through a symlink"
	[ -f "$V/tmp/victim" ]
}

@test "hostile: symlinks named '.' and '/'" {
	hostile symlink-named-dot --target "$V"
	refused . "cannot replace the root"
	rm -rf L
	hostile symlink-named-slash --target "$V/tmp"
	refused / "absolute path"
}

@test "hostile: a symlink loop" {
	hostile symlink-loop
	refused a/x "symbolic links"
}

@test "hostile: a gzip bomb stops at --max-bytes" {
	# the default quota (64G) would accept 300M; a small one must stop it early
	UNPACK_ARGS="--max-bytes 64M" hostile gzip-bomb --size 300M
	refused "zeros'" "over the limit of 67108864 bytes"
}

@test "hostile: too many files stop at --max-files" {
	UNPACK_ARGS="--max-files 1000" hostile many-files --count 3000
	refused many/ "more than 1000 entries"
}

@test "hostile: a zstd frame with a 2 GiB window is refused" {
	hostile zstd-huge-window
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "layer 1/1"
	assert_output_contains "zstd"
	[ "$before" = "$after" ]
	[ ! -e rootfs ]
}

@test "hostile: gigabytes of padding after the tar end marker are refused without reading them all" {
	hostile tar-padding --size 2G
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "bytes of data after the end of the tar archive"
	[ "$before" = "$after" ]
	[ ! -e rootfs ]
}

@test "hostile: a manifest over the size cap and a digest like sha256:../../x" {
	python3 "$MKIMAGE" img >/dev/null
	# a descriptor pointing at a 5 MiB "manifest"
	head -c 5242880 /dev/zero >big
	local d s
	d=$(sha256sum big | cut -d' ' -f1)
	s=$(stat -c %s big)
	mv big "img/blobs/sha256/$d"
	jq -c ".manifests[0].digest = \"sha256:$d\" | .manifests[0].size = $s" img/index.json >i && mv i img/index.json
	run "$OCI_UNPACK" --layout img rootfs
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "over the size cap"
	[ ! -e rootfs ]
	jq -c '.manifests[0].digest = "sha256:../../x"' img/index.json >i && mv i img/index.json
	run "$OCI_UNPACK" --layout img rootfs
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "sha256:../../x"
	[ ! -e rootfs ]
	# the same name inside an oci-archive stream
	mkdir -p arch/blobs/sha256 && echo x >arch/oci-layout
	(cd arch && tar cf ../a.tar oci-layout --transform 's|^oci-layout$|blobs/sha256/../../x|' oci-layout)
	run "$OCI_UNPACK" -i a.tar rootfs
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "invalid blob name"
	[ ! -e rootfs ]
}

@test "hostile: a docker save archive whose config is not the one its name (the image ID) says is refused" {
	# docker save names the config by its digest, the image ID ('<hex>.json'; Docker 25+
	# 'blobs/sha256/<hex>'; crane 'sha256:<hex>'): another config under that name changed the
	# image's Cmd, User, Env or diff_ids unnoticed, while the layers named by digest were checked
	mkdir d && echo hi >d/f && tar -C d -cf d/layer.tar f
	(cd d && python3 -c 'import hashlib, json
h = hashlib.sha256(open("layer.tar", "rb").read()).hexdigest()
def cfg(cmd):
    return json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": [cmd]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + h]}}).encode()
good, evil = cfg("/f"), cfg("/evil")
g = hashlib.sha256(good).hexdigest()
for name, data, out in ((g + ".json", good, "ok"), (g + ".json", evil, "bad1"),
                        ("blobs/sha256/" + g, evil, "bad2"), ("sha256:" + g, evil, "bad3")):
    open("config", "wb").write(data)
    json.dump([{"Config": name, "RepoTags": ["x:1"], "Layers": ["layer.tar"]}],
              open("manifest.json", "w"))
    import tarfile
    with tarfile.open("../%s.tar" % out, "w") as t:
        t.add("manifest.json")
        t.add("config", arcname=name)
        t.add("layer.tar")')
	run "$OCI_UNPACK" -i ok.tar rootfs
	assert_success
	[ "$(cat rootfs/f)" = hi ]
	rm -rf rootfs
	local b
	for b in bad1 bad2 bad3; do
		run "$OCI_UNPACK" -i "$b.tar" rootfs
		assert_failure
		assert_one_line_error oci-unpack
		assert_output_contains "named by its digest: digest mismatch"
		[ ! -e rootfs ]
	done
}

@test "hostile: a docker save archive listing one layer 1001 times is held to the manifests' 1000-layer cap" {
	# an OCI manifest over 1000 layers is refused; manifest.json and the config's diff_ids
	# were not, so a small archive could have its layer applied 50000 times
	mkdir d && echo hi >d/f && tar -C d -cf d/layer.tar f
	(cd d && python3 -c 'import hashlib, json, sys
n = int(sys.argv[1])
h = hashlib.sha256(open("layer.tar", "rb").read()).hexdigest()
c = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/f"]},
	"rootfs": {"type": "layers", "diff_ids": ["sha256:" + h] * n}}).encode()
open("config.json", "wb").write(c)
json.dump([{"Config": "config.json", "RepoTags": ["x:1"], "Layers": ["layer.tar"] * n}],
	open("manifest.json", "w"))' 1001 && tar cf ../a.tar manifest.json config.json layer.tar)
	run "$OCI_UNPACK" -i a.tar rootfs
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "1001 layers is over the limit of 1000"
	[ ! -e rootfs ]
}

@test "hostile: a layout whose oci-layout, index.json or a blob is a FIFO is refused at once, not waited on" {
	python3 "$MKIMAGE" img >/dev/null
	m=$(jq -r '.manifests[0].digest' img/index.json)
	cfg=$(jq -r .config.digest "img/blobs/sha256/${m#sha256:}")
	for f in oci-layout index.json "blobs/sha256/${m#sha256:}" "blobs/sha256/${cfg#sha256:}"; do
		rm -rf L && cp -r img L
		rm "L/$f" && mkfifo "L/$f"
		run timeout 20 "$OCI_UNPACK" --layout L rootfs
		assert_failure 1
		assert_one_line_error oci-unpack
		assert_output_contains "not a regular file"
		[ ! -e rootfs ]
	done
}

# Small files are written behind the parse by file-writer threads (unpack/writer.c), through
# the fd the parse created: nothing a later entry does to the path can redirect them.
@test "hostile: files written behind the parse, then their directory swapped for a symlink outside" {
	hostile queued-then-swapped --target "$V/tmp"
	assert_success
	[ "$before" = "$after" ]
	[ -L rootfs/d ]
	[ "$(readlink rootfs/d)" = "$V/tmp" ]
	[ "$(cat rootfs/after)" = after ]
	[ "$(ls "$V/tmp")" = victim ]
}

@test "hostile: a refusal after files queued to the writers leaves nothing behind" {
	hostile queued-then-refused
	refused ../x "path escapes the root"
}

@test "hostile: a full filesystem under files written behind the parse: one line, nothing left" {
	[ "$(id -u)" = 0 ] || skip "needs root (a small tmpfs)"
	python3 "$HOSTILE" files-fill fill.layer --image L --no-base >/dev/null
	mkdir small
	mount -t tmpfs -o size=2m tmpfs small
	run "$OCI_UNPACK" --layout L small/rootfs
	local left
	left=$(ls -A small)
	umount small
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "entry 'f"
	assert_output_contains "No space left on device"
	[ -z "$left" ]
}

@test "hostile: a directory the cursor holds, swapped for a symlink pointing outside, then written through" {
	# oci-unpack keeps the fds of the last entry's parents (a, a/b, a/b/c) across entries.
	# The symlink entry replacing a/b moves the cursor up to a (dropping a/b and a/b/c)
	# before it removes a/b, so a/b/escaped is resolved afresh and refused: never created in
	# the old, deleted a/b (a stale fd: "No such file or directory") nor through the symlink
	hostile held-dir-swapped-for-symlink --target "$V"
	refused a/b/escaped "escapes the root through a symlink"
	[ ! -e "$V/escaped" ]
}
