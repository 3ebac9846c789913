#!/usr/bin/env bash
# Installs every Debian package the build, the tests, the benchmarks and the demo need.
# As root it runs apt-get; otherwise it prints the command to run.
#   deps.sh --cross ARCH   instead: what `make cross ARCH=arm64|ppc64el|s390x` needs (the cross
#                          compiler, qemu-user, and the ARCH -dev packages through multiarch)
set -eu
CROSS=
if [ "${1:-}" = --cross ]; then
	CROSS=${2:-}
	case $CROSS in
	arm64) triple=aarch64-linux-gnu ;;
	ppc64el) triple=powerpc64le-linux-gnu ;;
	s390x) triple=s390x-linux-gnu ;;
	*) echo "deps: --cross takes arm64, ppc64el or s390x" >&2; exit 1 ;;
	esac
	# The -dev packages that install beside the amd64 ones (Multi-Arch: same); libisal-dev does
	# not, so cross builds go without ISA-L (zlib inflates).
	PKGS=(gcc-"$triple" binutils-"$triple" qemu-user pkg-config)
	for p in libarchive-dev libcurl4-openssl-dev libssl-dev libjansson-dev libseccomp-dev \
		libcap-dev libzstd-dev zlib1g-dev check libsubunit-dev; do
		PKGS+=("$p:$CROSS")
	done
	if ! dpkg --print-foreign-architectures | grep -qx "$CROSS"; then
		[ "$(id -u)" = 0 ] || { echo "deps: run as root: dpkg --add-architecture $CROSS"; exit 1; }
		echo "deps: dpkg --add-architecture $CROSS"
		dpkg --add-architecture "$CROSS"
	fi
fi
[ -n "$CROSS" ] || PKGS=(
	build-essential pkg-config
	libarchive-dev libcurl4-openssl-dev libssl-dev libjansson-dev libseccomp-dev libcap-dev
	libzstd-dev zlib1g-dev libisal-dev check libsubunit-dev
	docker-registry busybox-static skopeo umoci runc crun bats hyperfine
	jq curl openssl apache2-utils tmux iproute2 uidmap zstd python3 debootstrap clang-format
	procps psmisc util-linux attr
	clang libclang-rt-14-dev llvm
	podman containerd
	qemu-system-x86 linux-image-amd64
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { echo "deps: all ${#PKGS[@]} packages present"; exit 0; }
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages; run as root:"
	echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
