#!/usr/bin/env bash
# A throw-away qemu guest with a pure cgroup v2 kernel (Debian's 6.1 kernel booted with
# cgroup_no_v1=all) for the tests that need one:
#
#   vm.sh check                 exit 0 when a guest can be booted here; else one line why
#   vm.sh run SHARE [TIMEOUT]   boot a guest that runs SHARE/test.sh as root and power off
#   vm.sh initramfs             build the initramfs (if needed) and print its path
#   vm.sh run-systemd SHARE [TIMEOUT]
#                               the same with systemd as PID 1: the guest boots the Debian 12
#                               image of systemd-rootfs.sh (built once per machine, read-only
#                               here), whose oci-test.service runs SHARE/test.sh through
#                               stage-systemd; the built oci-run is SHARE/bin/oci-run
#
# SHARE is a host directory shared with the guest over 9p at /mnt/host. The guest sources
# SHARE/env (if any), runs `sh test.sh` in SHARE, its output going to SHARE/out/guest.log
# and its files wherever the script writes them (by convention SHARE/out/), then writes
# SHARE/out/.done holding the script's exit status. The console is SHARE/out/console.log.
# `run` exits 0 when the guest finished the script (whatever its status), non-zero when the
# guest never got there: a boot that hangs is killed after TIMEOUT seconds (default 180) and
# retried once (what the first boot left is kept in SHARE/out.boot1).
#
# The initramfs (busybox-static, the built oci-run, jq, runc, setpriv, criu and GNU tar when installed,
# their shared libraries, the 9p modules, tests/lib/vm/{init,stage2}) is built into
# tests/tmp/vm/ and kept while its inputs' hashes are the same. The guest powers itself off
# after 3/4 of TIMEOUT (a watchdog in stage2) if the host's timeout has not ended it. VM_KERNEL overrides the kernel image (its
# modules must be in /lib/modules/<version>). VM_APPEND adds kernel arguments (e.g. another LSM:
# security=selinux selinux=1).
set -euo pipefail

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$VM_DIR/../../.." && pwd)
CACHE=$TOP/tests/tmp/vm
OCI_RUN=${OCI_RUN:-${OCI_BUILD:-$TOP/build}/oci-run}
# The modules the 9p share needs, then the ones CRIU needs to dump sockets, tun devices, a net
# namespace's conntrack table (nf_conntrack_netlink) and to lock the network (nftables; runc's
# iptables lock needs xt_mark through nft_compat), then a block device with the BFQ scheduler for
# the blockIO tests (null_blk makes /dev/nullb0), dummy network devices (45-run-netdev), then
# the systemd profile's root disk (virtio_blk, ext4); what they depend on is read from
# modules.dep, and what the kernel has built in is skipped.
MODULES=(virtio_pci 9pnet_virtio 9p
	unix_diag inet_diag tcp_diag udp_diag netlink_diag af_packet_diag tun veth crc32c_generic nf_tables
	nf_conntrack_netlink nft_compat xt_mark
	null_blk bfq dummy
	virtio_blk ext4)

die() {
	echo "vm: $*" >&2
	exit 1
}

# The kernel image: the newest Debian 6.1 one (what this was made with), else the newest
# /boot/vmlinuz-* whose modules are installed.
kernel() {
	if [ -n "${VM_KERNEL:-}" ]; then
		echo "$VM_KERNEL"
		return
	fi
	local k
	k=$(ls /boot/vmlinuz-6.1.*-amd64 2>/dev/null | sort -V | tail -1)
	if [ -z "$k" ]; then
		for k in $(ls /boot/vmlinuz-* 2>/dev/null | sort -rV); do
			[ -f "/lib/modules/${k#/boot/vmlinuz-}/modules.dep" ] && break
			k=
		done
	fi
	[ -n "$k" ] || return 1
	echo "$k"
}

# module_paths MDIR: the paths (below MDIR) of MODULES and what they need, in load order (one
# awk over modules.dep: a grep per module cost a CPU-second per boot).
module_paths() {
	local mdir=$1 m found
	found=$(awk -v want="${MODULES[*]}" '
		{
			path = $1; sub(/:$/, "", path)
			name = path; sub(/.*\//, "", name); sub(/\.ko(\.[a-z]+)?$/, "", name)
			if (!(name in line)) line[name] = $0
		}
		END {
			n = split(want, w, " ")
			for (i = 1; i <= n; i++) {
				if (!(w[i] in line)) { print "missing " w[i]; continue }
				k = split(line[w[i]], f, " ")
				# modules.dep lists what a module needs last-loaded-first; the module last
				for (j = k; j >= 2; j--) order[++cnt] = f[j]
				sub(/:$/, "", f[1])
				order[++cnt] = f[1]
			}
			for (i = 1; i <= cnt; i++) if (!(order[i] in seen)) { seen[order[i]] = 1; print order[i] }
		}' "$mdir/modules.dep")
	for m in $(sed -n 's/^missing //p' <<<"$found"); do
		grep -qE "(^|/)$m\.ko" "$mdir/modules.builtin" || die "module $m is neither in modules.dep nor built in"
	done
	grep -v '^missing ' <<<"$found" || true
}

# why_not: one line saying what is missing to boot a guest, or nothing.
why_not() {
	local k
	command -v qemu-system-x86_64 >/dev/null || { echo "needs qemu-system-x86_64 (package qemu-system-x86)"; return; }
	k=$(kernel) || { echo "needs a Debian 6.1 kernel in /boot (package linux-image-amd64)"; return; }
	[ -e "$k" ] || { echo "no kernel image $k"; return; }
	[ -r "$k" ] || { echo "needs read access to $k (root)"; return; }
	[ -d "/lib/modules/${k#/boot/vmlinuz-}" ] || { echo "needs /lib/modules/${k#/boot/vmlinuz-}"; return; }
	[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || { echo "needs a static /bin/busybox (package busybox-static)"; return; }
	command -v jq >/dev/null || { echo "needs jq"; return; }
	[ -x "$OCI_RUN" ] || { echo "needs a built $OCI_RUN"; return; }
}

# add_bin DIR FILE [NAME]: FILE into DIR/bin, with its shared libraries at their own paths.
add_bin() {
	local dir=$1 f=$2 name=${3:-$(basename "$2")} lib
	install -m 0755 "$f" "$dir/bin/$name"
	for lib in $(ldd "$f" 2>/dev/null | grep -oE '/[^ ]+' || true); do
		mkdir -p "$dir$(dirname "$lib")"
		cp -L "$lib" "$dir$lib"
	done
}

# initramfs: print the path of an initramfs for the current inputs, building it if needed.
initramfs() {
	local k ver mdir inputs key out tree m path
	k=$(kernel)
	ver=${k#/boot/vmlinuz-}
	mdir=/lib/modules/$ver
	# runc (to compare) and util-linux setpriv (busybox's cannot change uids) when installed;
	# criu for checkpoint/restore, with what it runs: GNU tar (tmpfs dumps, --numeric-owner),
	# iproute2's ip (`ip addr save`) and the iptables tools (a net namespace's rules: CRIU
	# 3.17 picks the legacy or the nft ones by what it finds); apparmor_parser to load the
	# AppArmor profiles of the LSM tests (Debian's kernel enables AppArmor); getfattr and
	# keyctl to read the SELinux labels of files and keyrings
	local extra=() f
	for f in /usr/sbin/runc /usr/bin/setpriv /usr/sbin/criu /usr/bin/tar /usr/sbin/ip \
		/usr/sbin/apparmor_parser /usr/bin/getfattr /usr/bin/keyctl \
		/usr/sbin/{iptables,ip6tables}{,-save,-restore} \
		/usr/sbin/{iptables,ip6tables}-legacy{,-save,-restore}; do
		[ -x "$f" ] && extra+=("$f")
	done
	# the iptables extensions CRIU's default network lock (runc's) loads: -m mark, ACCEPT/DROP
	local xt=()
	for f in /usr/lib/*/xtables/libxt_{mark,standard}.so; do
		[ -f "$f" ] && [ -x /usr/sbin/iptables ] && xt+=("$f")
	done
	inputs=("$VM_DIR/init" "$VM_DIR/stage2" /bin/busybox "$OCI_RUN" "$(command -v jq)" "${extra[@]}" "${xt[@]}")
	local mods
	mods=$(module_paths "$mdir")
	for path in $mods; do
		inputs+=("$mdir/$path")
	done
	# the inputs and their shared libraries by path, size, mtime and inode, as make would see a
	# change (hashing their 40 MB cost 4 CPU-s per boot); one ldd for all the binaries
	key=$( {
		echo "$ver ${MODULES[*]}"
		{
			printf '%s\n' "${inputs[@]}"
			ldd "$OCI_RUN" "$(command -v jq)" "${extra[@]}" 2>/dev/null | grep -oE '/[^ :]+'
		} | LC_ALL=C sort -u | xargs -r stat -L -c '%n %s %Y %i'
	} | sha256sum | cut -c1-16)
	out=$CACHE/initramfs-$key.cpio
	if [ -s "$out" ]; then
		echo "$out"
		return
	fi
	mkdir -p "$CACHE"
	tree=$(mktemp -d "$CACHE/tree.XXXXXX")
	mkdir -p "$tree"/{bin,sbin,etc,proc,sys,dev,lib/modules,root,srv}
	mkdir -p "$tree/usr" && ln -s ../bin "$tree/usr/bin" && ln -s ../bin "$tree/usr/sbin"
	install -m 0755 /bin/busybox "$tree/bin/busybox"
	# one symlink per applet, made by one process (an ln per applet is 400 processes)
	"$tree/bin/busybox" --list | grep -vx busybox |
		(cd "$tree/bin" && xargs perl -e 'for (@ARGV) { symlink("busybox", $_) or die "symlink $_: $!\n" }')
	: >"$tree/etc/vm-modules"
	for path in $mods; do
		# uncompressed, so that busybox's insmod loads any of them
		m=$(basename "$path")
		case "$path" in
		*.ko) cp "$mdir/$path" "$tree/lib/modules/$m" ;;
		*.ko.xz) m=${m%.xz} && xz -dc "$mdir/$path" >"$tree/lib/modules/$m" ;;
		*.ko.zst) m=${m%.zst} && zstd -qdc "$mdir/$path" >"$tree/lib/modules/$m" ;;
		*.ko.gz) m=${m%.gz} && gzip -dc "$mdir/$path" >"$tree/lib/modules/$m" ;;
		*) die "module $path: unknown compression" ;;
		esac
		echo "$m" >>"$tree/etc/vm-modules"
	done
	add_bin "$tree" "$OCI_RUN" oci-run
	add_bin "$tree" "$(command -v jq)"
	for f in "${xt[@]}"; do
		mkdir -p "$tree$(dirname "$f")"
		cp "$f" "$tree$f"
	done
	for f in "${extra[@]}"; do
		rm -f "$tree/bin/$(basename "$f")"
		add_bin "$tree" "$f"
	done
	install -m 0755 "$VM_DIR/init" "$tree/init"
	install -m 0755 "$VM_DIR/stage2" "$tree/stage2"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$tree/etc/passwd"
	printf 'root:x:0:\nnobody:x:65534:\n' >"$tree/etc/group"
	(cd "$tree" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out.new"
	rm -rf "$tree"
	find "$CACHE" -maxdepth 1 -name 'initramfs-*.cpio' ! -name "$(basename "$out")" -delete
	mv "$out.new" "$out"
	echo "$out"
}

# The units of the systemd guest's boot that the tests do not need, masked on the kernel
# command line (systemd.mask=, read by systemd-debug-generator; the image stays as it is): under
# TCG each costs 0.3-1.6 s of the guest's one CPU (systemd-analyze blame), ~9 s in all, and
# none is what a test looks at (modules no test loads, filesystems no test mounts, the random
# seed, utmp, logind: scopes are made through systemd itself, D-Bus and the journal stay).
SYSTEMD_MASK=(modprobe@loop.service modprobe@fuse.service modprobe@efi_pstore.service
	modprobe@configfs.service modprobe@drm.service modprobe@dm_mod.service
	systemd-modules-load.service e2scrub_reap.service systemd-random-seed.service
	dev-hugepages.mount sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount
	systemd-update-utmp.service systemd-update-utmp-runlevel.service systemd-logind.service)

# boot SHARE TIMEOUT [DISK]: one boot; 0 when the guest wrote out/.done. With DISK (the systemd
# profile) the initramfs switches to that image's systemd (vm_root); writes go to a throw-away
# overlay (snapshot=on), so the image is never changed.
boot() {
	local share=$1 limit=$2 disk=${3:-} initrd k extra=() append= u
	if [ -n "$disk" ]; then
		extra=(-drive "file=$disk,if=virtio,format=raw,snapshot=on")
		append=" vm_root=/dev/vda"
		for u in "${SYSTEMD_MASK[@]}"; do append+=" systemd.mask=$u"; done
	fi
	initrd=$(initramfs)
	k=$(kernel)
	rm -rf "$share/out"
	mkdir -p "$share/out"
	# no_timer_check: a starved TCG vCPU (a loaded host) fails the kernel's IO-APIC timer check,
	# which panics the boot ("IO-APIC + timer doesn't work!")
	timeout -k 5 "$limit" qemu-system-x86_64 \
		-nographic -no-reboot -m 1024 -smp 1 \
		-kernel "$k" -initrd "$initrd" \
		-append "cgroup_no_v1=all no_timer_check console=ttyS0 panic=-1 quiet loglevel=3 vm_watchdog=$((limit * 3 / 4))$append${VM_APPEND:+ $VM_APPEND}" "${extra[@]}" \
		-fsdev "local,id=host,path=$share,security_model=none" \
		-device virtio-9p-pci,fsdev=host,mount_tag=host \
		-nic none -serial "file:$share/out/console.log" -monitor none -display none \
		</dev/null >/dev/null 2>"$share/out/qemu.err" || true
	[ -s "$share/out/.done" ]
}

case "${1:-}" in
check)
	r=$(why_not)
	[ -z "$r" ] || { echo "$r"; exit 1; }
	;;
initramfs)
	initramfs
	;;
run | run-systemd)
	share=$(cd "${2:?usage: vm.sh $1 SHARE [TIMEOUT]}" && pwd)
	limit=${3:-180}
	[ -f "$share/test.sh" ] || die "no $share/test.sh"
	r=$(why_not)
	[ -z "$r" ] || die "$r"
	disk=
	if [ "$1" = run-systemd ]; then
		disk=$("$VM_DIR/systemd-rootfs.sh") || die "no systemd guest image"
		install -m 0755 "$VM_DIR/stage-systemd" "$share/stage-systemd"
		mkdir -p "$share/bin"
		install -m 0755 "$OCI_RUN" "$share/bin/oci-run"
		# its libraries, for those the image lacks (stage-systemd adds them)
		mkdir -p "$share/lib"
		ldd "$OCI_RUN" | grep -oE '/[^ ]+\.so[^ ]*' | xargs -r cp -L -t "$share/lib"
	fi
	start=$(date +%s)
	if ! boot "$share" "$limit" "$disk"; then
		rm -rf "$share/out.boot1"
		mv "$share/out" "$share/out.boot1"
		echo "vm: guest did not finish (in ${limit}s at most; end of its console: $(tail -c 200 "$share/out.boot1/console.log" 2>/dev/null | tr -d '\r' | tail -1); qemu said: $(tail -c 300 "$share/out.boot1/qemu.err" 2>/dev/null)); retrying once" >&2
		boot "$share" "$limit" "$disk" ||
			die "guest did not finish twice; console: $share/out/console.log; qemu said: $(tail -c 300 "$share/out/qemu.err" 2>/dev/null)"
	fi
	stage=$(grep -aoE 'vm: test stage at [0-9.]+s' "$share/out/console.log" | head -1 | cut -d' ' -f5)
	done_at=$(grep -aoE 'vm: done at [0-9.]+s' "$share/out/console.log" | head -1 | cut -d' ' -f4)
	echo "vm: guest finished in $(($(date +%s) - start))s wall (guest uptime: test stage at ${stage:-?}, done at ${done_at:-?}), script status $(cat "$share/out/.done")" >&2
	;;
*)
	echo "usage: vm.sh check | vm.sh run SHARE [TIMEOUT] | vm.sh run-systemd SHARE [TIMEOUT] | vm.sh initramfs" >&2
	exit 2
	;;
esac
