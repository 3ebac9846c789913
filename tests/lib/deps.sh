#!/usr/bin/env bash
# Installs every Debian package the build, the tests, the benchmarks and the demo need.
# As root it runs apt-get; otherwise it prints the command to run.
#   deps.sh --cross ARCH   instead: what `make cross ARCH=arm64|ppc64el|s390x` needs (the cross
#                          compiler, qemu-user, and the ARCH -dev packages through multiarch)
#   deps.sh --demo         only what the build and `make demo` / `make try` need
set -eu
CROSS= SYSROOT= DEMO=
[ "${1:-}" = --demo ] && DEMO=1
BUILD_PKGS=(build-essential pkg-config
	libarchive-dev libcurl4-openssl-dev libssl-dev libjansson-dev libseccomp-dev libcap-dev
	libzstd-dev zlib1g-dev libisal-dev libsystemd-dev)
if [ "${1:-}" = --cross ]; then
	CROSS=${2:-}
	case $CROSS in
	arm64) triple=aarch64-linux-gnu ;;
	ppc64el) triple=powerpc64le-linux-gnu ;;
	s390x) triple=s390x-linux-gnu ;;
	*) echo "deps: --cross takes arm64, ppc64el or s390x" >&2; exit 1 ;;
	esac
	PKGS=(gcc-"$triple" binutils-"$triple" qemu-user pkg-config)
	# The -dev packages the build needs for ARCH; libisal-dev cannot be installed beside the
	# amd64 one (not Multi-Arch: same), so cross builds go without ISA-L (zlib inflates).
	DEV=()
	for p in libarchive-dev libcurl4-openssl-dev libssl-dev libjansson-dev libseccomp-dev \
		libcap-dev libzstd-dev zlib1g-dev check libsubunit-dev; do
		DEV+=("$p:$CROSS")
	done
	if [ "$CROSS" = s390x ]; then
		# Debian's security archive has no s390x for bookworm, so the s390x libraries cannot
		# have the versions of the (security-updated) amd64 ones that multiarch requires: they
		# go into a sysroot instead (`make cross` uses it when it exists).
		SYSROOT=/var/cache/oci-toolkit/sysroot-$CROSS
	else
		PKGS+=("${DEV[@]}")
	fi
	if ! dpkg --print-foreign-architectures | grep -qx "$CROSS"; then
		[ "$(id -u)" = 0 ] || { echo "deps: run as root: dpkg --add-architecture $CROSS"; exit 1; }
		echo "deps: dpkg --add-architecture $CROSS"
		dpkg --add-architecture "$CROSS"
		apt-get update -qq
	fi
fi
# the demo: the build, a registry, busybox for the image, and what tests/lib/images.bash uses
[ -z "$DEMO" ] || PKGS=("${BUILD_PKGS[@]}" docker-registry busybox-static python3 curl jq)
[ -n "$CROSS$DEMO" ] || PKGS=(
	"${BUILD_PKGS[@]}" check libsubunit-dev
	docker-registry busybox-static skopeo umoci runc crun bats hyperfine
	jq curl openssl apache2-utils tmux iproute2 uidmap zstd python3 debootstrap clang-format zsh man-db
	procps psmisc util-linux attr xfsprogs strace time
	clang libclang-rt-14-dev llvm
	podman containerd slirp4netns catatonit
	qemu-system-x86 linux-image-amd64 apparmor checkpolicy keyutils
	criu libprotobuf-c-dev
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#PKGS[@]} packages present"
elif [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages; run as root:"
	echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
	exit 1
else
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	log=$(mktemp)
	if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
		tail -20 "$log" >&2
		rm -f "$log"
		echo "deps: apt-get failed (its last lines above)" >&2
		exit 1
	fi
	rm -f "$log"
	echo "deps: installed ${#missing[@]} packages"
fi
[ -n "$SYSROOT" ] || exit 0
[ -e "$SYSROOT/.complete" ] && { echo "deps: sysroot $SYSROOT present"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "deps: run as root to make the sysroot $SYSROOT"; exit 1; }
# The -dev packages and every ARCH package they depend on, unpacked (not installed).
echo "deps: making the $CROSS sysroot $SYSROOT"
rm -rf "$SYSROOT.tmp"
mkdir -p "$SYSROOT.tmp/debs"
mapfile -t all < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
	--no-breaks --no-replaces --no-enhances libc6-dev:"$CROSS" "${DEV[@]}" |
	grep -E "^[a-z0-9][^ ]*:$CROSS\$" | sort -u)
(cd "$SYSROOT.tmp/debs" && apt-get download -qq "${all[@]}")
for d in "$SYSROOT.tmp"/debs/*.deb; do dpkg-deb -x "$d" "$SYSROOT.tmp"; done
rm -rf "$SYSROOT.tmp/debs" "$SYSROOT"
touch "$SYSROOT.tmp/.complete"
mv "$SYSROOT.tmp" "$SYSROOT"
echo "deps: sysroot $SYSROOT: ${#all[@]} packages"
