# The guest half of 80-cgroupv2.bats, run by tests/lib/vm/vm.sh in a pure cgroup v2 guest
# (busybox sh, root). Each `t NAME` block only records what it sees into out/NAME/; the bats
# test of the same name asserts on it. Keep a block's name in step with its bats test.
. ./guest-lib.sh

t purev2
grep -E '^[^ ]+ [^ ]+ cgroup2? ' /proc/mounts >"$T/mounts"
cp /proc/self/cgroup "$T/self-cgroup"
cp /sys/fs/cgroup/cgroup.controllers "$T/controllers"
grep -cE '^cgroup[[:space:]]' /proc/filesystems >"$T/v1-fs" || true

t run-status
bundle sh -c 'exit 3'
rec run3 rt run -b "$B" "$CID"
bundle true
rec run0 rt run -b "$B" "$CID"
cleanup

t oom
bundle sh -c 'x=a; while :; do x=$x$x; done'
edit '.linux.resources.memory = {"limit": 16777216, "swap": 16777216}'
rec run rt run -b "$B" "$CID"
put cgroup-left "$(ls -d /sys/fs/cgroup/oci-run/"$CID" /sys/fs/cgroup/"$CID" 2>/dev/null)"
cleanup

# a limit below what the init needs while it sets itself up (on a pure v2 host it is cloned
# into the cgroup; its sealed copy of the runtime binary is the runtime's, made before the
# clone: measured on this guest, 256 KiB and less kill the init, 384 KiB runs true)
t init-oom
bundle true
edit '.linux.resources.memory = {"limit": 65536}'
rec run rt run -b "$B" "$CID"
put cgroup-left "$(ls -d /sys/fs/cgroup/oci-run/"$CID" /sys/fs/cgroup/"$CID" 2>/dev/null)"
put state-left "$(ls "$RT_ROOT/$CID" 2>/dev/null)"
cleanup

t lifecycle
bundle sleep 1000
rec create rt create -b "$B" "$CID"
pid=$(state_field "$CID" pid)
cg=$(cgroup_of "$pid")
put pid "$pid"
put cgroup "$cg"
# the container's own cgroup (named after it), joined before the init execs (created)
put cgroup-named "${cg##*/}"
put status-created "$(state_field "$CID" status)"
cp "$cg/cgroup.procs" "$T/procs" 2>/dev/null
rec start rt start "$CID"
put status-started "$(state_field "$CID" status)"
rec kill rt kill "$CID" KILL
wait_status "$CID" stopped
put status-killed "$(state_field "$CID" status)"
rec delete rt delete "$CID"
put cgroup-after "$(ls -d "$cg" 2>/dev/null)"
rec list rt list -q
cleanup

t delete-force
bundle sleep 1000
rec run rt run -d -b "$B" "$CID"
cg=$(cgroup_of "$(state_field "$CID" pid)")
put cgroup "$cg"
rec delete rt delete --force "$CID"
put cgroup-after "$(ls -d "$cg" 2>/dev/null)"
rec list rt list -q
cleanup

t delete-force-nested
bundle sleep 1000
rec run rt run -d -b "$B" "$CID"
cg=$(cgroup_of "$(state_field "$CID" pid)")
put cgroup "$cg"
# a process of the container (exec'd) moved into a cgroup below the container's own
mkdir "$cg/leaf"
rec exec rt exec -d --pid-file /tmp/exec.pid "$CID" sleep 1000
xp=$(cat /tmp/exec.pid)
echo "$xp" >"$cg/leaf/cgroup.procs"
cp "/proc/$xp/cgroup" "$T/exec-cgroup"
rec delete rt delete --force "$CID"
sleep 0.5
put exec-after "$(grep '^State:' "/proc/$xp/status" 2>/dev/null)"
put cgroup-after "$(ls -d "$cg" 2>/dev/null)"
rec list rt list -q
cleanup

# a fork storm in a container without a pid namespace of its own (nothing dies with its init)
# under pids.limit 150, torn down at 50 processes or more by kill --all KILL and delete, by
# kill --all TERM (signalled frozen) and delete, and by delete --force
t fork-storm
for how in kill term force; do
	bundle sh -c 'for i in 1 2 3 4; do (while :; do sh -c "sleep 100 &"; done) & done; wait'
	edit '.linux.namespaces |= map(select(.type != "pid")) | .linux.resources.pids = {"limit": 150}'
	rec run-$how rt run -d -b "$B" "$CID"
	cg=$(cgroup_of "$(state_field "$CID" pid)")
	i=0
	while [ $i -lt 100 ] && [ "$(wc -l <"$cg/cgroup.procs")" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	put before-$how "$(wc -l <"$cg/cgroup.procs")"
	case $how in
	kill) rec signal-$how rt kill --all "$CID" KILL ;;
	term) rec signal-$how rt kill --all "$CID" TERM ;;
	esac
	if [ $how != force ]; then
		sleep 1
		put left-$how "$(cat "$cg/cgroup.procs" 2>/dev/null | wc -l)"
		rec delete-$how rt delete "$CID"
	else
		rec delete-$how rt delete --force "$CID"
	fi
	put cgroup-after-$how "$(ls -d "$cg" 2>/dev/null)"
	cleanup
done

t failed-create
bundle sleep 1000
edit '.linux.resources.memory.limit = 67108864 | .linux.resources.unified = {"memory.no-such-file": "1"}'
rec create rt create -b "$B" "$CID"
put cgroup-left "$(ls -d /sys/fs/cgroup/oci-run/"$CID" /sys/fs/cgroup/"$CID" 2>/dev/null)"
rec list rt list -q
cleanup

t resources
bundle sleep 1000
edit '.linux.resources.memory.limit = 67108864 | .linux.resources.pids.limit = 42'
edit '.linux.resources.cpu = {"quota": 50000, "period": 100000, "shares": 512}'
rec run rt run -d -b "$B" "$CID"
cg=$(cgroup_of "$(state_field "$CID" pid)")
for f in memory.max pids.max cpu.max cpu.weight; do
	cp "$cg/$f" "$T/$f" 2>/dev/null
done
cleanup

# memory fields v2 has no file for: said, not dropped in silence (runc) nor refused (crun);
# disableOOMKiller false (a default) says nothing
t memory-no-v2-file
bundle true
edit '.linux.resources.memory = {"limit": 67108864, "swappiness": 60, "disableOOMKiller": true}'
rec run rt run -b "$B" "$CID"
cleanup
bundle true
edit '.linux.resources.memory = {"limit": 67108864, "disableOOMKiller": false}'
rec run-default rt run -b "$B" "$CID"
cleanup

t pause
# (written aside and renamed: a read never meets the file truncated and not yet written)
bundle sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.05; done'
edit '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]}]'
rec run rt run -d -b "$B" "$CID"
pid=$(state_field "$CID" pid)
cg=$(cgroup_of "$pid")
i=0
while [ $i -lt 50 ] && ! [ -s "/proc/$pid/root/tmp/count" ]; do sleep 0.1; i=$((i + 1)); done
rec pause rt pause "$CID"
put status-paused "$(state_field "$CID" status)"
cp "$cg/cgroup.freeze" "$T/freeze-paused"
grep '^frozen ' "$cg/cgroup.events" >"$T/events-paused"
a=$(cat "/proc/$pid/root/tmp/count")
sleep 1
put count-paused "$a $(cat "/proc/$pid/root/tmp/count")"
rec resume rt resume "$CID"
put status-resumed "$(state_field "$CID" status)"
cp "$cg/cgroup.freeze" "$T/freeze-resumed"
grep '^frozen ' "$cg/cgroup.events" >"$T/events-resumed"
a=$(cat "/proc/$pid/root/tmp/count")
sleep 1
put count-resumed "$a $(cat "/proc/$pid/root/tmp/count")"
cleanup

t pause-kill
bundle sleep 1000
rec run rt run -d -b "$B" "$CID"
pid=$(state_field "$CID" pid)
rec pause rt pause "$CID"
rec kill rt kill "$CID" KILL
wait_status "$CID" stopped
put status-killed "$(state_field "$CID" status)"
put init-after "$(grep '^State:' "/proc/$pid/status" 2>/dev/null | grep -v Z)"
rec delete rt delete "$CID"
bundle sleep 1000
rec run2 rt run -d -b "$B" "$CID"
rec pause2 rt pause "$CID"
rec kill-all rt kill --all "$CID" KILL
wait_status "$CID" stopped
put status-killed-all "$(state_field "$CID" status)"
rec delete2 rt delete "$CID"
cleanup

t update
bundle sleep 1000
edit '.linux.resources.memory.limit = 67108864 | .linux.resources.pids.limit = 42'
rec run rt run -d -b "$B" "$CID"
cg=$(cgroup_of "$(state_field "$CID" pid)")
rec update rt update --memory 134217728 --pids-limit 50 "$CID"
cp "$cg/memory.max" "$T/memory.max"
cp "$cg/pids.max" "$T/pids.max"
cleanup

t update-unlimited
bundle sleep 1000
rec run rt run -d -b "$B" "$CID"
cg=$(cgroup_of "$(state_field "$CID" pid)")
rec update rt update --memory 134217728 --pids-limit 50 "$CID"
cp "$cg/memory.max" "$T/memory.max" 2>/dev/null
cp "$cg/pids.max" "$T/pids.max" 2>/dev/null
cleanup

t exec-cgroup
bundle sleep 1000
rec run rt run -d -b "$B" "$CID"
pid=$(state_field "$CID" pid)
cp "/proc/$pid/cgroup" "$T/init-cgroup"
rec exec rt exec "$CID" cat /proc/self/cgroup
cleanup

t devices
bundle sh -c 'head -c 4 /dev/zero | wc -c; echo x >/dev/null && echo null-ok; mknod /tmp/mem c 1 1 && echo mknod-ok; head -c 1 /tmp/mem >/dev/null; echo mem=$?'
edit '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}]'
edit '.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])'
rec run rt run -b "$B" "$CID"
cleanup

t cgroupns
bundle cat /proc/self/cgroup
edit '.linux.namespaces += [{"type": "cgroup"}]'
rec run rt run -b "$B" "$CID"
cleanup

t spec-cgroupns
(cd /tmp && rm -f config.json && oci-run spec && jq -c '[.linux.namespaces[].type]' config.json) >"$T/oci-run" 2>&1
if [ -x /bin/runc ]; then
	(cd /tmp && rm -f config.json && runc spec && jq -c '[.linux.namespaces[].type]' config.json) >"$T/runc" 2>&1
fi
(cd /tmp && rm -f config.json && oci-run spec --rootless && jq -c '[.linux.namespaces[].type]' config.json) >"$T/oci-run-rootless" 2>&1
rm -f /tmp/config.json

# /sys/fs/cgroup inside: with and without a cgroup namespace, read-only and read-write
t sysfs-cgroup
for v in ns-ro ns-rw bind-ro bind-rw; do
	CID=c-sysfs-$v
	bundle sh /probe.sh
	cat >"$B/probe.sh" <<'PROBE'
cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max
awk '$5 == "/sys/fs/cgroup" { for (i = 7; $i != "-"; i++) ; print $(i + 1), substr($6, 1, 2) }' /proc/self/mountinfo
cat /proc/self/cgroup
mkdir /sys/fs/cgroup/sub && echo mkdir-ok
echo 7 >/sys/fs/cgroup/pids.max && echo write-ok
true
PROBE
	edit '.mounts += [{"destination": "/probe.sh", "type": "bind", "source": "'"$B"'/probe.sh", "options": ["bind", "ro"]}]'
	edit '.linux.resources.memory.limit = 67108864 | .linux.resources.pids.limit = 42'
	case $v in ns-*) edit '.linux.namespaces += [{"type": "cgroup"}]' ;; esac
	case $v in *-rw) edit '(.mounts[] | select(.destination == "/sys/fs/cgroup") | .options) -= ["ro"]' ;; esac
	rec "$v" rt run -b "$B" "$CID"
	put "$v-left" "$(ls -d /sys/fs/cgroup/oci-run/"$CID" 2>/dev/null)"
	cleanup
done

# systemd's layout in a container (a cgroup namespace, /sys/fs/cgroup read-write): its
# processes moved into a sub-cgroup and domain controllers enabled below its own, so that no
# process may join its own cgroup any more (cgroup v2's no-internal-process rule)
t subtree-layout
bundle sh -c 'mkdir /sys/fs/cgroup/init && echo $$ >/sys/fs/cgroup/init/cgroup.procs && echo "+memory +pids" >/sys/fs/cgroup/cgroup.subtree_control && exec sleep 1000'
edit '.linux.namespaces += [{"type": "cgroup"}] | .linux.resources.memory.limit = 67108864'
edit '(.mounts[] | select(.destination == "/sys/fs/cgroup") | .options) -= ["ro"]'
rec run rt run -d -b "$B" "$CID"
cg=/sys/fs/cgroup/oci-run/$CID
i=0
while [ $i -lt 100 ] && [ -z "$(cat "$cg/cgroup.subtree_control" 2>/dev/null)" ]; do
	sleep 0.1
	i=$((i + 1))
done
put subtree "$(cat "$cg/cgroup.subtree_control" 2>&1)"
rec exec rt exec "$CID" cat /proc/self/cgroup
rec update rt update --memory 33554432 "$CID"
put memory-max "$(cat "$cg/memory.max" 2>&1)"
rec pause rt pause "$CID"
put freeze "$(cat "$cg/cgroup.freeze" 2>&1)"
rec resume rt resume "$CID"
rec ps rt ps "$CID"
rec stats rt events --stats "$CID"
# the init's cgroup frozen (as the container may freeze it itself): exec gives up, its helper
# killed and gone, instead of waiting for ever
echo 1 >"$cg/init/cgroup.freeze"
rec exec-frozen rt exec "$CID" true
put exec-frozen-procs "$(wc -l <"$cg/init/cgroup.procs")"
echo 0 >"$cg/init/cgroup.freeze"
rec delete rt delete --force "$CID"
put left "$(ls -d "$cg" 2>/dev/null)"
cleanup

t update-cpu-half
bundle sleep 1000
edit '.linux.resources.cpu = {"quota": 50000, "period": 100000}'
rec run rt run -d -b "$B" "$CID"
cg=$(cgroup_of "$(state_field "$CID" pid)")
rec period rt update --cpu-period 200000 "$CID"
cp "$cg/cpu.max" "$T/cpu.max-period"
rec quota rt update --cpu-quota 30000 "$CID"
cp "$cg/cpu.max" "$T/cpu.max-quota"
rec unlimited rt update --cpu-quota -1 "$CID"
cp "$cg/cpu.max" "$T/cpu.max-unlimited"
cleanup

t update-swap
bundle sleep 1000
rec run rt run -d -b "$B" "$CID"
cg=$(cgroup_of "$(state_field "$CID" pid)")
rec swap-alone rt update --memory-swap 268435456 "$CID"
cp "$cg/memory.swap.max" "$T/swap-alone.swap"
cp "$cg/memory.max" "$T/swap-alone.max"
rec both rt update --memory 134217728 --memory-swap 201326592 "$CID"
cp "$cg/memory.max" "$T/both.max"
cp "$cg/memory.swap.max" "$T/both.swap"
rec swap-only rt update --memory-swap 268435456 "$CID"
cp "$cg/memory.swap.max" "$T/swap-only.swap"
# refused as a whole: memory.max is not written when the swap value is wrong
rec half rt update --memory 100663296 --memory-swap 67108864 "$CID"
cp "$cg/memory.max" "$T/half.max"
cp "$cg/memory.swap.max" "$T/half.swap"
cleanup
CID=c-swap-zero
bundle sleep 1000
edit '.linux.resources.memory = {"limit": 67108864, "swap": 0}'
rec zero rt run -d -b "$B" "$CID"
cg=$(cgroup_of "$(state_field "$CID" pid)")
cp "$cg/memory.max" "$T/zero.max" 2>/dev/null
cp "$cg/memory.swap.max" "$T/zero.swap" 2>/dev/null
cleanup

# processes in a cgroup below the container's: ps lists them, kill --all reaches them
t subtree
bundle sleep 1000
rec run rt run -d -b "$B" "$CID"
pid=$(state_field "$CID" pid)
cg=$(cgroup_of "$pid")
mkdir "$cg/sub"
rec exec rt exec -d --pid-file /tmp/exec.pid "$CID" sleep 1000
xp=$(cat /tmp/exec.pid)
echo "$xp" >"$cg/sub/cgroup.procs"
put pids "$pid $xp"
rec ps rt ps --format json "$CID"
rec kill rt kill --all "$CID" KILL
sleep 0.5
put exec-after "$(grep '^State:' "/proc/$xp/status" 2>/dev/null)"
rec delete rt delete --force "$CID"
put cgroup-after "$(ls -d "$cg" 2>/dev/null)"
rec list rt list -q
cleanup

t systemd-refused
bundle sleep 1000
edit '.linux.cgroupsPath = "system.slice:oci:sd1"'
rec run rt --systemd-cgroup run -d -b "$B" "$CID"
put left "$(ls -d /sys/fs/cgroup/system.slice 2>/dev/null)"
rec list rt list -q
cleanup

t nonempty
mkdir -p /sys/fs/cgroup/pre
sleep 1000 &
sp=$!
echo "$sp" >/sys/fs/cgroup/pre/cgroup.procs
bundle sleep 1000
edit '.linux.cgroupsPath = "/pre"'
rec create rt create -b "$B" "$CID"
kill "$sp"
wait "$sp" 2>/dev/null
cleanup
rmdir /sys/fs/cgroup/pre 2>/dev/null

# blockIO on null_blk's /dev/nullb0 with the BFQ scheduler
t blkio
if [ -r /sys/block/nullb0/dev ]; then
	dev=$(cat /sys/block/nullb0/dev)
	maj=${dev%:*}
	min=${dev#*:}
	put dev "$dev"
	echo bfq >/sys/block/nullb0/queue/scheduler
	cp /sys/block/nullb0/queue/scheduler "$T/scheduler"
	bundle sleep 1000
	edit ".linux.resources.blockIO = {\"weight\": 300, \"weightDevice\": [{\"major\": $maj, \"minor\": $min, \"weight\": 200}], \"throttleReadBpsDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 1048576}], \"throttleWriteIOPSDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 100}]}"
	rec run rt run -d -b "$B" "$CID"
	cg=$(cgroup_of "$(state_field "$CID" pid)")
	cp "$cg/io.bfq.weight" "$T/io.bfq.weight" 2>/dev/null
	cp "$cg/io.max" "$T/io.max" 2>/dev/null
	echo "{\"throttleReadBpsDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 2097152}]}" >/tmp/blk.json
	echo "{\"blockIO\": $(cat /tmp/blk.json)}" >/tmp/blk.json
	rec update rt update -r /tmp/blk.json "$CID"
	cp "$cg/io.max" "$T/io.max-updated" 2>/dev/null
	echo '{"blockIO": {"leafWeight": 300}}' >/tmp/leaf.json
	rec leaf rt update -r /tmp/leaf.json "$CID"
	cleanup
fi

# AppArmor (47-run-lsm's guest half, in this boot: Debian's kernel has AppArmor on)
[ -f ./47-run-lsm.guest.sh ] && . ./47-run-lsm.guest.sh
# dummy network devices (45-run-netdev's guest half: the test host's kernel has no dummy)
[ -f ./45-run-netdev.guest.sh ] && . ./45-run-netdev.guest.sh

# last: it enables controllers at the root as a delegating systemd would
t rootless-delegated
delegate_v2 1000
bundle sleep 1000
B=/srv/bundles/rootless
rm -rf "$B"
mkdir -p "$B"
(cd "$B" && oci-run spec --rootless)
edit '.root.path = "/srv/rootfs" | .process.terminal = false | .process.args = ["sleep", "1000"]'
edit '.linux.uidMappings[0].hostID = 1000 | .linux.gidMappings[0].hostID = 1000'
edit '.linux.cgroupsPath = "/user1000/c1"'
chmod -R a+rX "$B"
rec run as_user 1000 "$RUNTIME --root /tmp/home1000/rt run -d -b $B rl >run.out 2>&1; echo \$?; cat run.out"
cp /sys/fs/cgroup/user1000/c1/cgroup.procs "$T/procs" 2>/dev/null
rec state as_user 1000 "$RUNTIME --root /tmp/home1000/rt state rl"
rec delete as_user 1000 "$RUNTIME --root /tmp/home1000/rt delete --force rl"
put cgroup-after "$(ls -d /sys/fs/cgroup/user1000/c1 2>/dev/null)"
# limits in the delegated subtree: its memory and pids controllers are the container's
edit '.linux.cgroupsPath = "/user1000/c2" | .linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 40}}'
rec run-limits as_user 1000 "$RUNTIME --root /tmp/home1000/rt run -d -b $B rl2 >run.out 2>&1; echo \$?; cat run.out"
cp /sys/fs/cgroup/user1000/c2/memory.max "$T/memory.max" 2>/dev/null
cp /sys/fs/cgroup/user1000/c2/pids.max "$T/pids.max" 2>/dev/null
rec delete2 as_user 1000 "$RUNTIME --root /tmp/home1000/rt delete --force rl2"
