# The SELinux half of 47-run-lsm.bats, in its own qemu guest boot: Debian's kernel booted with
# security=selinux (AppArmor, 80-cgroupv2's LSM, cannot be active beside it), the policy of
# policy.conf loaded (the share's selinux-policy, compiled by build.sh on the host) and
# enforced. busybox sh with guest-lib.sh's helpers; the se-* blocks are asserted by the
# "selinux:" tests of 47-run-lsm.bats. Containers run as container_t (may not write
# secret_t files, which the guest's own processes, host_t, may), their tmpfs, devpts and
# mqueue mounts labelled by mountLabel (mqueue only in an IPC namespace of their own); also when the rootfs or the container tries to
# redirect the runtime's write of the label. A label before any policy is loaded, or one the
# policy does not know, is refused. Each block costs guest time under TCG: keep few.
. ./guest-lib.sh

CT=system_u:system_r:container_t:s0:c1,c2
CT_EXEC=system_u:system_r:container_t:s0:c3
HOST=system_u:system_r:host_t:s0
MNT=system_u:object_r:container_file_t:s0:c1,c2
SECRET=system_u:object_r:secret_t:s0

# label_of PATH: the SELinux label of the file PATH (no trailing NUL).
label_of() {
	getfattr --absolute-names --only-values -n security.selinux "$1" 2>&1 | tr -d '\0'
}

# key_label ID: the label of container ID's session keyring, joined by its name (only the
# container's processes may view oci-run's, which anyone else may only search, under the
# name in its state: 85-attack-container; runc's is _ses.ID).
key_label() {
	local name
	name=$(sed -n 's/.*"keyring":"\([^"]*\)".*/\1/p' "$RT_ROOT/$1/state.json" 2>/dev/null)
	keyctl session "${name:-_ses.$1}" keyctl security @s 2>&1 | grep -v '^Joined session keyring'
}

# se_bundle ARGS...: bundle ARGS... with a private /tmp (the shared rootfs stays clean)
se_bundle() {
	bundle "$@"
	edit '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]}]'
}

t se-load
mount -t selinuxfs selinuxfs /sys/fs/selinux 2>&1
# SELinux on, no policy loaded yet: the kernel would take any label and apply none
se_bundle sh -c 'echo RAN'
edit ".process.selinuxLabel = \"$CT\""
rec nopolicy rt run -b "$B" "$CID"
cleanup
put lsm "$(cat /sys/kernel/security/lsm 2>/dev/null || (mount -t securityfs securityfs /sys/kernel/security && cat /sys/kernel/security/lsm))"
rec load dd if=selinux-policy of=/sys/fs/selinux/load bs=1M
echo 1 >/sys/fs/selinux/enforce
put enforce "$(cat /sys/fs/selinux/enforce)"
put self "$(cat /proc/self/attr/current)"
# files only host_t may write to: a tmpfs whose every file is secret_t
mkdir -p /srv/secret
mount -t tmpfs -o "context=$SECRET" tmpfs /srv/secret 2>&1
echo host >/srv/secret/f
put secret "$(label_of /srv/secret/f) $(cat /srv/secret/f)"

# the container's init, exec's inherited label and --process-label, the keyring, the mounts
t se-run
se_bundle sleep 1000
edit ".process.selinuxLabel = \"$CT\" | .linux.mountLabel = \"$MNT\""
edit '.mounts += [{"destination": "/secret", "type": "bind", "source": "/srv/secret", "options": ["rbind"]}]'
rec run rt run -d -b "$B" "$CID"
pid=$(state_field "$CID" pid)
put init "$(cat "/proc/$pid/attr/current" 2>&1)"
put keyring "$(key_label "$CID")"
put tmp "$(label_of "/proc/$pid/root/tmp")"
put dev "$(label_of "/proc/$pid/root/dev")"
put pts "$(label_of "/proc/$pid/root/dev/pts")"
put mqueue "$(label_of "/proc/$pid/root/dev/mqueue")"
put rootfs "$(label_of "/proc/$pid/root/bin")"
rec exec-inherit rt exec "$CID" sh -c 'cat /proc/self/attr/current; echo; echo x >/tmp/f && echo tmp=$?; echo x >/secret/f; echo "secret=$?"; cat /secret/f'
rec exec-label rt exec --process-label "$CT_EXEC" "$CID" sh -c 'cat /proc/self/attr/current; echo; echo x >/secret/f; echo "secret=$?"'
# the same write from a process given the host's label succeeds: the label is what confines
rec exec-host rt exec --process-label "$HOST" "$CID" sh -c 'cat /proc/self/attr/current; echo; echo container >/secret/f; echo "secret=$?"'
put secret-after "$(cat /srv/secret/f)"
cleanup

# mountLabel in the host's IPC namespace: the mqueue mount's superblock is the guest's own,
# whose label a container's config must not change; in se-run (a new IPC namespace) it is
# labelled
t se-mqueue
mkdir -p /dev/mqueue
grep -q ' /dev/mqueue mqueue ' /proc/mounts || mount -t mqueue mqueue /dev/mqueue 2>&1
put host-before "$(label_of /dev/mqueue)"
se_bundle sh -c 'echo RAN'
edit ".linux.mountLabel = \"$MNT\" | del(.linux.namespaces[] | select(.type == \"ipc\"))"
rec run rt run -b "$B" "$CID"
put host-after "$(label_of /dev/mqueue)"
cleanup

# labels the policy does not know: refused at create, nothing left
t se-invalid
se_bundle sh -c 'echo RAN'
edit '.process.selinuxLabel = "system_u:system_r:nosuch_t:s0"'
rec run rt run -b "$B" "$CID"
rec list rt list -q
put cgroup-left "$(ls -d /sys/fs/cgroup/oci-run/"$CID" /sys/fs/cgroup/"$CID" /sys/fs/cgroup/*/"$CID" 2>/dev/null)"
cleanup
se_bundle sh -c 'echo RAN'
edit '.linux.mountLabel = "system_u:object_r:nosuch_t:s0"'
rec run-mount rt run -b "$B" "$CID"
rec list-mount rt list -q
cleanup
se_bundle sleep 1000
rec run-exec rt run -d -b "$B" "$CID"
rec exec rt exec --process-label system_u:system_r:nosuch_t:s0 "$CID" sh -c 'echo RAN'
put status "$(state_field "$CID" status)"
cleanup

# the rootfs's /proc is a symlink to a tree of decoy attr files, and no procfs is mounted
t se-attack-symlink
rm -rf /srv/se-rootfs
mkdir -p /srv/se-rootfs/bin /srv/se-rootfs/dev /srv/se-rootfs/sys /srv/se-rootfs/tmp
cp /bin/busybox /srv/se-rootfs/bin/busybox
ln -s busybox /srv/se-rootfs/bin/sleep
ln -s /decoy /srv/se-rootfs/proc
for d in thread-self self 1 1/task/1; do
	mkdir -p "/srv/se-rootfs/decoy/$d/attr"
	: >"/srv/se-rootfs/decoy/$d/attr/exec"
	: >"/srv/se-rootfs/decoy/$d/attr/keycreate"
done
se_bundle sleep 1000
# a writable root: only the runtime's procfs handle keeps the write off the decoys
edit '.root.path = "/srv/se-rootfs" | .root.readonly = false | del(.mounts[] | select(.destination == "/proc")) | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
edit ".process.selinuxLabel = \"$CT\""
rec run rt run -d -b "$B" "$CID"
put init "$(cat "/proc/$(state_field "$CID" pid)/attr/current" 2>&1)"
put written "$(find /srv/se-rootfs/decoy -type f -size +0)"
cleanup

# a container without a label, which (CAP_SYS_ADMIN) covers its /proc with a tmpfs of decoy
# attr files; exec --process-label starts a process in it: labelled, through the runtime's
# own procfs
t se-attack-exec
se_bundle sh -c 'mount -t tmpfs tmpfs /proc && for d in thread-self self; do mkdir -p /proc/$d/attr && : >/proc/$d/attr/exec && : >/proc/$d/attr/keycreate; done && : >/tmp/ready && exec sleep 1000'
edit '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
rec run rt run -d -b "$B" "$CID"
pid=$(state_field "$CID" pid)
i=0
while [ ! -e "/proc/$pid/root/tmp/ready" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
put covered "$(grep -c ' /proc tmpfs ' "/proc/$pid/mounts")"
rm -f /tmp/se-exec.pid
rec exec rt exec -d --pid-file /tmp/se-exec.pid --process-label "$CT_EXEC" "$CID" sleep 1000
put exec-attr "$(cat "/proc/$(cat /tmp/se-exec.pid 2>/dev/null)/attr/current" 2>&1)"
put written "$(find "/proc/$pid/root/proc/" -type f -size +0 2>&1)"
cleanup
