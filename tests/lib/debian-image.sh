#!/usr/bin/env bash
# debian-image.sh [--min-mb N]: a real multi-layer Debian image for unpack interop tests and
# the fetch/unpack benchmarks, built once and cached; prints the OCI layout's path (tag
# "latest") on stdout.
#
#   layer 1  `debootstrap --variant=minbase bookworm` (~200 MB: owners, setgid/utmp files,
#            hardlinks, device nodes in /dev, apt lists and .debs)
#   layer 2  what a Dockerfile's cleanup does, and more: whiteouts (apt lists, downloaded
#            .debs, /usr/share/man), opaque directories (/usr/share/locale,
#            /etc/apt/apt.conf.d), a symlink replaced by a file, a file by a symlink, a
#            directory by a file, new setuid/owned files, hardlinks, user.* and
#            security.capability xattrs
#   layer 3  a few more files: an app under /opt, a fifo, a device, a symlink chain, a whiteout
#            of a layer-2 file, a file turned back into a directory, a directory replaced by
#            a symlink
# gzip compression. --min-mb N: a separate image with one more layer of random data when the
# compressed size is under N MiB (benchmarks need 100+ MB).
#
# Cache: $OCI_TEST_CACHE (default /var/cache/oci-toolkit-tests); the debootstrap tree is reused
# by every later run, so only the first one pays for the download (~30 s). Mirror: $DEBIAN_MIRROR.
# Exit 77 with the reason on stderr when the image cannot be built here (not root, no
# debootstrap, no mirror): callers skip. Concurrent callers are serialised with flock.
set -euo pipefail
LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${OCI_TEST_CACHE:-/var/cache/oci-toolkit-tests}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
RECIPE=2 # bump when the layers below change: cached layouts are rebuilt
MIN_MB=0
while [ $# -gt 0 ]; do
	case $1 in
	--min-mb) MIN_MB=$2; shift 2 ;;
	*) echo "debian-image.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

skip() { echo "debian-image.sh: $*" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, device nodes, owners)"
command -v debootstrap >/dev/null || skip "needs debootstrap (apt-get install debootstrap)"
mkdir -p "$CACHE" || skip "cannot create the cache '$CACHE'"
D=$CACHE/debian-$SUITE-minbase
mkdir -p "$D"
exec 9>"$D/lock"
flock 9

# ---- layer 1: the debootstrap tree, kept for later runs
if [ ! -e "$D/rootfs.complete" ]; then
	rm -rf "$D/rootfs" "$D/rootfs.tmp"
	echo "debian-image.sh: debootstrap --variant=minbase $SUITE from $MIRROR (once)..." >&2
	if ! debootstrap --variant=minbase "$SUITE" "$D/rootfs.tmp" "$MIRROR" >"$D/debootstrap.log" 2>&1; then
		rm -rf "$D/rootfs.tmp"
		skip "debootstrap failed (no mirror at $MIRROR?): $(grep -E '^E:' "$D/debootstrap.log" | tail -1)"
	fi
	mv "$D/rootfs.tmp" "$D/rootfs"
	touch "$D/rootfs.complete"
fi
R=$D/rootfs
T0=@1700000000

# parents DIR REL: create REL's parent directories under DIR with the base tree's metadata,
# as a real layer diff lists them.
parents() {
	local dir=$1 rel=$2 p=""
	local IFS=/
	for c in $(dirname "$rel"); do
		[ "$c" = . ] && continue
		p=${p:+$p/}$c
		if [ ! -d "$dir/$p" ]; then
			mkdir "$dir/$p"
			if [ -d "$R/$p" ]; then
				chown --reference="$R/$p" "$dir/$p"
				chmod --reference="$R/$p" "$dir/$p"
			fi
		fi
	done
}
# put DIR REL: parents, then a fresh fixed-mtime file REL with stdin as content.
put() {
	parents "$1" "$2"
	cat >"$1/$2"
	touch -h -d "$T0" "$1/$2"
}
whiteout() { printf '' | put "$1" "$(dirname "$2")/.wh.$(basename "$2")"; }
opaque() { printf '' | put "$1" "$2/.wh..wh..opq"; }
# stamp DIR: parents' mtimes from the base tree (or the fixed time), after all changes.
stamp() {
	local dir=$1 p
	while IFS= read -r -d '' p; do
		p=${p#"$dir"/}
		if [ -d "$R/$p" ] && [ ! -L "$R/$p" ]; then touch -h -r "$R/$p" "$dir/$p"; else touch -h -d "$T0" "$dir/$p"; fi
	done < <(find "$dir" -mindepth 1 -type d -print0)
}

build_layers() {
	local l2=$1 l3=$2 f
	rm -rf "$l2" "$l3"
	mkdir -p "$l2" "$l3"
	# layer 2: apt cleanup and friends
	for f in "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/archives/*.deb "$R"/var/cache/apt/*.bin; do
		[ -e "$f" ] && whiteout "$l2" "${f#"$R"/}"
	done
	whiteout "$l2" usr/share/man
	whiteout "$l2" var/log/bootstrap.log
	opaque "$l2" usr/share/locale
	echo "# only C.UTF-8 is kept" | put "$l2" usr/share/locale/locale.alias
	parents "$l2" usr/share/locale/C.UTF-8/x
	opaque "$l2" etc/apt/apt.conf.d
	printf 'APT::Install-Recommends "false";\n' | put "$l2" etc/apt/apt.conf.d/99minimal
	echo oci-toolkit-test | put "$l2" etc/hostname
	sed 's/^PRETTY_NAME=.*/PRETTY_NAME="Debian (oci-toolkit test)"/' "$R/usr/lib/os-release" |
		put "$l2" etc/os-release # a symlink in layer 1, a file now
	parents "$l2" etc/motd
	ln -s /run/motd.dynamic "$l2/etc/motd" # a file in layer 1, a symlink now
	echo "was a directory" | put "$l2" var/log/apt # a directory in layer 1
	cp "$R/usr/bin/true" "$l2/usr-bin-true.tmp"
	put "$l2" usr/local/bin/setuid-true <"$l2/usr-bin-true.tmp"
	chmod 4755 "$l2/usr/local/bin/setuid-true"
	put "$l2" usr/local/bin/cap-true <"$l2/usr-bin-true.tmp"
	chmod 0755 "$l2/usr/local/bin/cap-true"
	rm "$l2/usr-bin-true.tmp"
	# security.capability v2: cap_net_raw permitted + effective
	python3 -c 'import os, struct, sys; os.setxattr(sys.argv[1], "security.capability", struct.pack("<IIIII", 0x02000001, 1 << 13, 0, 0, 0), follow_symlinks=False)' \
		"$l2/usr/local/bin/cap-true"
	echo "owned by 1000" | put "$l2" srv/app/data.txt
	chown -R 1000:1000 "$l2/srv/app"
	chmod 2750 "$l2/srv/app"
	chmod 0640 "$l2/srv/app/data.txt"
	echo "shared content" | put "$l2" srv/shared/a
	parents "$l2" srv/shared/sub/b
	ln "$l2/srv/shared/a" "$l2/srv/shared/b"
	ln "$l2/srv/shared/a" "$l2/srv/shared/sub/b"
	echo "has xattrs" | put "$l2" srv/xattr.txt
	python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.oci.test", b"hello", follow_symlinks=False); os.setxattr(sys.argv[1], "user.oci.bin", bytes(range(256)), follow_symlinks=False)' \
		"$l2/srv/xattr.txt"
	stamp "$l2"
	touch -h -d "$T0" "$l2"

	# layer 3: an app and a few type changes on top of layer 2
	head -c $((1 << 20)) "$R/usr/lib/x86_64-linux-gnu/libc.so.6" 2>/dev/null | put "$l3" opt/app/lib/blob.bin ||
		head -c $((1 << 20)) /dev/zero | put "$l3" opt/app/lib/blob.bin
	printf '#!/bin/sh\necho app\n' | put "$l3" opt/app/bin/app
	chmod 0755 "$l3/opt/app/bin/app"
	seq 1 20000 | put "$l3" opt/app/share/numbers.txt
	ln -s ../bin/app "$l3/opt/app/share/app-link"
	ln -s app-link "$l3/opt/app/share/app-link2"
	mkfifo -m 0620 "$l3/opt/app/fifo"
	mknod -m 0640 "$l3/opt/app/null" c 1 3
	whiteout "$l3" srv/shared/b
	parents "$l3" var/log/apt/x # a file in layer 2, a directory again
	echo "history" | put "$l3" var/log/apt/history.log
	parents "$l3" usr/local/games
	ln -s /usr/games "$l3/usr/local/games" # a directory in layer 1
	stamp "$l3"
	touch -h -d "$T0" "$l3"
}

# ---- the layouts
IMG=$D/oci-r$RECIPE
if [ ! -e "$IMG/index.json" ]; then
	echo "debian-image.sh: building the 3-layer image..." >&2
	W=$(mktemp -d "$D/build.XXXXXX")
	trap 'rm -rf "$W"' EXIT
	build_layers "$W/layer2" "$W/layer3"
	python3 "$LIB/mkimage.py" "$W/oci" --base-dir "$R" --layer-dir "$W/layer2" --layer-dir "$W/layer3" \
		--cmd '["/bin/bash"]' --name debian >/dev/null
	rm -rf "$IMG"
	mv "$W/oci" "$IMG"
	rm -rf "$W"
	trap - EXIT
fi

manifest=$(jq -r '.manifests[0].digest' "$IMG/index.json")
csize=$(jq '[.layers[].size] | add' "$IMG/blobs/sha256/${manifest#sha256:}")
need=$(((MIN_MB << 20) - csize))
if [ "$need" -le 0 ]; then
	echo "$IMG"
	exit 0
fi
# a bigger image: the same Debian layers and enough random data on top
mb=$(((need >> 20) + 4))
BIG=$D/oci-r$RECIPE-min$MIN_MB
if [ ! -e "$BIG/index.json" ]; then
	echo "debian-image.sh: adding a ${mb} MiB random layer..." >&2
	W=$(mktemp -d "$D/build.XXXXXX")
	trap 'rm -rf "$W"' EXIT
	args=()
	for l in $(jq -r '.layers[].digest' "$IMG/blobs/sha256/${manifest#sha256:}"); do
		args+=(--layer-blob "$IMG/blobs/sha256/${l#sha256:}")
	done
	# --layer-blob layers come after --size-mb in mkimage's order: put the random data on
	# top by making it a blob too.
	python3 "$LIB/mkimage.py" "$W/rnd" --no-base --size-mb "$mb" >/dev/null
	rm_manifest=$(jq -r '.manifests[0].digest' "$W/rnd/index.json")
	rl=$(jq -r '.layers[0].digest' "$W/rnd/blobs/sha256/${rm_manifest#sha256:}")
	args+=(--layer-blob "$W/rnd/blobs/sha256/${rl#sha256:}")
	python3 "$LIB/mkimage.py" "$W/oci" --no-base "${args[@]}" --cmd '["/bin/bash"]' --name debian >/dev/null
	rm -rf "$BIG"
	mv "$W/oci" "$BIG"
	rm -rf "$W"
	trap - EXIT
fi
echo "$BIG"
