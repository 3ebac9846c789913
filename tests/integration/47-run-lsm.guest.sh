# The AppArmor half of 47-run-lsm.bats, in the qemu guest whose Debian kernel has AppArmor
# enabled: sourced by 80-cgroupv2.guest.sh (one boot for both; guest-lib.sh's helpers), its
# lsm-* blocks asserted by the "apparmor:" tests of 80-cgroupv2.bats. A profile that allows
# everything but writing /tmp/denied is loaded with apparmor_parser; containers and exec'd
# processes run under it, also when the rootfs or the mounts try to redirect the runtime's
# write of the profile (CVE-2019-16884). Each block costs guest time under TCG: keep few.

LSM_PROFILE=oci-lsm-test

# lsm_bundle ARGS...: bundle ARGS... with a private /tmp (the shared rootfs stays clean)
lsm_bundle() {
	bundle "$@"
	edit '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]}]'
}

# attr_of PID: the AppArmor label of PID as the guest (outside the container) sees it.
attr_of() {
	cat "/proc/$1/attr/current" 2>&1
}

t lsm-load
grep -q " /sys/kernel/security " /proc/mounts || mount -t securityfs securityfs /sys/kernel/security
put enabled "$(cat /sys/module/apparmor/parameters/enabled 2>&1)"
cat >/tmp/$LSM_PROFILE.profile <<PROFILE
profile $LSM_PROFILE flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  signal,
  ptrace,
  unix,
  mount,
  umount,
  pivot_root,
  deny /tmp/denied w,
}
PROFILE
rec load timeout -k 5 60 apparmor_parser -K -r /tmp/$LSM_PROFILE.profile
grep "^$LSM_PROFILE " /sys/kernel/security/apparmor/profiles >"$T/profiles" 2>&1

t lsm-run
lsm_bundle sh -c 'cat /proc/self/attr/current; echo x >/tmp/denied; echo "denied=$?"; echo y >/tmp/allowed; echo "allowed=$?"'
edit ".process.apparmorProfile = \"$LSM_PROFILE\""
rec run rt run -b "$B" "$CID"
cleanup

# a container under the profile: its init and what exec starts in it (inherited from the
# config, or --apparmor unconfined); exec --apparmor into a container without a profile is
# lsm-attack-exec's
t lsm-exec
lsm_bundle sleep 1000
edit ".process.apparmorProfile = \"$LSM_PROFILE\""
rec run rt run -d -b "$B" "$CID"
put init "$(attr_of "$(state_field "$CID" pid)")"
rec exec-inherit rt exec "$CID" sh -c 'cat /proc/self/attr/current; echo x >/tmp/denied; echo "denied=$?"'
rec exec-unconfined rt exec --apparmor unconfined "$CID" cat /proc/self/attr/current
cleanup

t lsm-missing
lsm_bundle sh -c 'echo RAN'
edit '.process.apparmorProfile = "oci-no-such-profile"'
rec run rt run -b "$B" "$CID"
rec list rt list -q
cleanup

# the rootfs's /proc is a symlink to a tree of decoy attr files, and no procfs is mounted
t lsm-attack-symlink
rm -rf /srv/lsm-rootfs
mkdir -p /srv/lsm-rootfs/bin /srv/lsm-rootfs/dev /srv/lsm-rootfs/sys /srv/lsm-rootfs/tmp
cp /bin/busybox /srv/lsm-rootfs/bin/busybox
ln -s busybox /srv/lsm-rootfs/bin/sleep
ln -s /decoy /srv/lsm-rootfs/proc
for d in thread-self self 1 1/task/1; do
	mkdir -p "/srv/lsm-rootfs/decoy/$d/attr/apparmor"
	: >"/srv/lsm-rootfs/decoy/$d/attr/apparmor/exec"
	: >"/srv/lsm-rootfs/decoy/$d/attr/exec"
done
lsm_bundle sleep 1000
# a writable root: only the runtime's procfs handle keeps the write off the decoys
edit '.root.path = "/srv/lsm-rootfs" | .root.readonly = false | del(.mounts[] | select(.destination == "/proc")) | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
edit ".process.apparmorProfile = \"$LSM_PROFILE\""
rec run rt run -d -b "$B" "$CID"
put init "$(attr_of "$(state_field "$CID" pid)")"
put written "$(find /srv/lsm-rootfs/decoy -type f -size +0)"
cleanup

# a container without a profile, which (CAP_SYS_ADMIN) covers its /proc with a tmpfs of decoy
# attr files; exec --apparmor starts a process in it: confined, through the runtime's own
# procfs. (A bind over /proc/self/attr from the config is 47-run-lsm.bats's, refused.)
t lsm-attack-exec
lsm_bundle sh -c 'mount -t tmpfs tmpfs /proc && for d in thread-self self; do mkdir -p /proc/$d/attr/apparmor && : >/proc/$d/attr/apparmor/exec && : >/proc/$d/attr/exec; done && : >/tmp/ready && exec sleep 1000'
edit '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
rec run rt run -d -b "$B" "$CID"
pid=$(state_field "$CID" pid)
i=0
while [ ! -e "/proc/$pid/root/tmp/ready" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
put covered "$(grep -c ' /proc tmpfs ' "/proc/$pid/mounts")"
rm -f /tmp/lsm-exec.pid
rec exec rt exec -d --pid-file /tmp/lsm-exec.pid --apparmor "$LSM_PROFILE" "$CID" sleep 1000
put exec-attr "$(attr_of "$(cat /tmp/lsm-exec.pid 2>/dev/null)")"
put written "$(find "/proc/$pid/root/proc/" -type f -size +0 2>&1)"
cleanup
