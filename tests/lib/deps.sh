#!/usr/bin/env bash
# Installs every Debian package the build, the tests, the benchmarks and the demo need.
# As root it runs apt-get; otherwise it prints the command to run.
set -eu
PKGS=(
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
