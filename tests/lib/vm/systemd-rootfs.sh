#!/usr/bin/env bash
# The root disk of the systemd guest profile (vm.sh run-systemd): a Debian 12 minbase
# debootstrap with systemd as PID 1, dbus, runc, jq, busybox-static and the libraries oci-run
# links, as an ext4 image. Built once per machine and kept under /var/cache/oci-toolkit/,
# keyed by the package list, the mirror and this script; the guest boots it read-only
# (qemu's snapshot=on), so one image serves every run.
#
#   systemd-rootfs.sh        print the image's path, building it first when needed
#
# The image has a unit, oci-test.service, that runs /mnt/host/stage-systemd (the 9p share the
# initramfs mounts before it switches to this root) once multi-user.target is reached.
set -euo pipefail

CACHE_DIR=${VM_SYSTEMD_CACHE:-/var/cache/oci-toolkit}
MIRROR=${VM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
# systemd and the D-Bus system bus; the peer runtime; what guest-lib.sh uses; oci-run's
# shared libraries (the Makefile's pkg-config list). RECIPE changes with what this script does
# to the tree after debootstrap.
RECIPE=1
PACKAGES=systemd,systemd-sysv,dbus,runc,jq,busybox-static,procps,libarchive13,libcurl4,libssl3,libjansson4,libseccomp2,libcap2,libzstd1,zlib1g,libisal2,libsystemd0

die() {
	echo "systemd-rootfs: $*" >&2
	exit 1
}

key=$(echo "$SUITE $MIRROR $PACKAGES $RECIPE" | sha256sum | cut -c1-16)
img=$CACHE_DIR/systemd-guest-$key.img
if [ -s "$img" ]; then
	echo "$img"
	exit 0
fi
command -v debootstrap >/dev/null || die "needs debootstrap"
command -v mkfs.ext4 >/dev/null || die "needs mkfs.ext4 (e2fsprogs)"
mkdir -p "$CACHE_DIR"
# one builder at a time per machine; a second waits and then finds the image
exec 9>"$CACHE_DIR/systemd-guest.lock"
flock 9
if [ -s "$img" ]; then
	echo "$img"
	exit 0
fi
work=$(mktemp -d "$CACHE_DIR/systemd-guest.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
start=$(date +%s)
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$MIRROR" \
	>"$work/debootstrap.log" 2>&1 || {
	tail -5 "$work/debootstrap.log" >&2
	die "debootstrap of $SUITE from $MIRROR failed"
}
echo "systemd-rootfs: debootstrap took $(($(date +%s) - start))s" >&2

echo oci-guest >"$root/etc/hostname"
: >"$root/etc/fstab"
rm -f "$root/etc/machine-id" "$root/var/lib/dbus/machine-id"
: >"$root/etc/machine-id"
mkdir -p "$root/mnt/host"
# nothing that waits for a terminal, the network, or the clock: only the test runs
for u in getty@tty1.service serial-getty@ttyS0.service console-getty.service \
	apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
	fstrim.timer systemd-timesyncd.service systemd-networkd.service \
	systemd-networkd-wait-online.service; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done
cat >"$root/etc/systemd/system/oci-test.service" <<'UNIT'
[Unit]
Description=oci-toolkit guest tests (the 9p share's stage-systemd)
After=multi-user.target dbus.service

[Service]
Type=simple
ExecStart=/bin/sh /mnt/host/stage-systemd
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/oci-test.service \
	"$root/etc/systemd/system/multi-user.target.wants/oci-test.service"
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*

size=$(($(du -smx "$root" | cut -f1) + 512))
# stdout carries only the image path: mke2fs says "Creating regular file" there even with -q
mkfs.ext4 -q -L ocigroot -d "$root" "$work/root.img" "${size}M" >&2 || die "mkfs.ext4 failed"
mv "$work/root.img" "$img"
find "$CACHE_DIR" -maxdepth 1 -name 'systemd-guest-*.img' ! -name "$(basename "$img")" -delete
echo "systemd-rootfs: image built in $(($(date +%s) - start))s" >&2
echo "$img"
