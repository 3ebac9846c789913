# The guest half of 82-run-events-criu.bats, run by tests/lib/vm/vm.sh in the pure cgroup v2
# guest (busybox sh, root): `events` on cgroup v2 (the same assertions as 48-run-events on the
# v1 host) and checkpoint/restore through CRIU, which cannot run on the host's kernel. Each
# `t NAME` block records into out/NAME/; the bats test of the same name asserts on it.
# Containers whose processes CRIU dumps keep their stdio off the 9p share (/dev/null).
. ./guest-lib.sh
ip link set lo up

# run_bg ID: run -d with stdio on /dev/null; its exit status into run.rc.
run_bg() {
	rt run -d -b "$B" "$1" </dev/null >/dev/null 2>"$T/run.err"
	echo $? >"$T/run.rc"
}

# wait_file PATH: until PATH exists (20 s at most: the guest is emulated).
wait_file() {
	local i=0
	while [ $i -lt 200 ] && [ ! -e "$1" ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# counter [SCRIPT]: the bundle of a container counting in /tmp/count (a tmpfs) every 0.1 s after
# SCRIPT (commands ending in ';' or '&'; one line), its stdio on its own /dev/null. Each count is
# renamed into place, so that a reader never sees the file empty.
# It has its own network namespace (the default spec's): CRIU dumps and restores it.
counter() {
	bundle sh -c "exec </dev/null >/dev/null 2>&1; ${1:-:;} i=0; while :; do i=\$((i+1)); echo \$i >/tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.1; done"
	edit '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}]'
}

# grows FILE: until FILE is longer than it is now (60 s at most: TCP's retransmission timer
# backs off while CRIU holds the network locked).
grows() {
	local a i=0
	[ -e "$1" ] || return 1
	a=$(wc -c <"$1")
	while [ $i -lt 120 ]; do
		[ "$(wc -c <"$1")" -gt "${a:-0}" ] && return 0
		sleep 0.5
		i=$((i + 1))
	done
	return 1
}

count_of() {
	cat "/proc/$(state_field "$1" pid)/root/tmp/count" 2>/dev/null
}

t events-stats
bundle sh -c 'while [ ! -e /tmp/go ]; do sleep 0.1; done; head -c 33554432 /dev/zero >/tmp/big; touch /tmp/done; sleep 60'
edit '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}]'
edit '.linux.resources.memory = {"limit": 134217728} | .linux.resources.pids = {"limit": 20}'
run_bg "$CID"
pid=$(state_field "$CID" pid)
rec before rt events --stats "$CID"
touch "/proc/$pid/root/tmp/go"
wait_file "/proc/$pid/root/tmp/done"
rec after rt events --stats "$CID"
cleanup

t events-oom
bundle sh -c 'sleep 1; head -c 104857600 /dev/zero | sort >/dev/null; sleep 1'
edit '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
run_bg "$CID"
rec events rt events --interval 500ms "$CID"
rec stopped rt events --stats "$CID"
rec missing rt events --stats nosuch
cleanup

t ckpt-counter
counter
run_bg "$CID"
sleep 1
put at-leave "$(count_of "$CID")"
rec leave rt checkpoint --leave-running --image-path /tmp/img0 "$CID"
put status-left "$(state_field "$CID" status)"
rec copy rt restore -d --image-path /tmp/img0 -b "$B" "$CID-copy"
put copy "$(count_of "$CID-copy")"
put before "$(count_of "$CID")"
rec checkpoint rt checkpoint --image-path /tmp/img1 "$CID"
rec list rt list -q
rec restore rt restore -d --pid-file /tmp/restored.pid --image-path /tmp/img1 -b "$B" "$CID-new"
put restored "$(count_of "$CID-new")"
sleep 1
put later "$(count_of "$CID-new")"
pid=$(state_field "$CID-new" pid)
put pid "$pid"
put pid-file "$(cat /tmp/restored.pid)"
# its own network namespace, restored with its lo up
[ "$(readlink /proc/$pid/ns/net)" != "$(readlink /proc/self/ns/net)" ] && put own-netns yes
put lo "$(grep -c 'lo:' /proc/$pid/net/dev) $(cat /proc/$pid/root/sys/class/net/lo/operstate 2>/dev/null)"
put status "$(state_field "$CID-new" status)"
put cgroup "$(cat /proc/$pid/cgroup)"
rec stats rt events --stats "$CID-new"
rec delete rt delete --force "$CID-new"
put cgroup-after "$(ls -d /sys/fs/cgroup/oci-run/"$CID-new" 2>/dev/null)"
cleanup

t ckpt-predump
counter
run_bg "$CID"
sleep 1
rec predump rt checkpoint --pre-dump --image-path /tmp/pre "$CID"
put status-after-predump "$(state_field "$CID" status)"
ls /tmp/pre >"$T/pre-files"
grep -E 'Error|Warn' /tmp/pre/pre-dump.log >"$T/pre-log"
put before "$(count_of "$CID")"
rec checkpoint rt checkpoint --parent-path ../pre --image-path /tmp/final "$CID"
grep -E 'Error|Warn' /tmp/final/dump.log >"$T/final-log"
put parent "$(readlink /tmp/final/parent)"
rec restore rt restore -d --image-path /tmp/final -b "$B" "$CID-r"
put after "$(count_of "$CID-r")"
cleanup

t ckpt-bind
counter
mkdir -p /srv/bindsrc /srv/bindsrc2 /srv/rootfs/mnt /srv/rootfs/real && echo hello >/srv/bindsrc/f
echo linked >/srv/bindsrc2/f
# a destination that is an absolute symlink inside the rootfs: resolved there, not on the host
ln -sfn /real /srv/rootfs/link
edit '.mounts += [{"destination": "/mnt", "type": "bind", "source": "/srv/bindsrc", "options": ["rbind"]},
	{"destination": "/link", "type": "bind", "source": "/srv/bindsrc2", "options": ["rbind"]}]'
run_bg "$CID"
sleep 1
rec checkpoint rt checkpoint --image-path /tmp/img4 "$CID"
rec restore rt restore -d --image-path /tmp/img4 -b "$B" "$CID-r"
grep -B3 Error /tmp/img4/restore.log | tail -12 >"$T/rlog"
pid=$(state_field "$CID-r" pid)
put file "$(cat /proc/$pid/root/mnt/f 2>&1)"
put linked "$(cat /proc/$pid/root/real/f 2>&1)"
put count "$(count_of "$CID-r")"
cleanup

t ckpt-emptyns
# --empty-ns network: the namespace is made again, empty; the prestart hooks run when it
# exists, with the restored init's pid (as runc: a hook or an engine sets the network up)
counter
edit '.hooks.prestart = [{"path": "/bin/sh", "args": ["sh", "-c", "cat >/tmp/emptyns-hook.json"]}]'
run_bg "$CID"
sleep 1
rm -f /tmp/emptyns-hook.json
rec checkpoint rt checkpoint --empty-ns network --image-path /tmp/img8 "$CID"
rec restore rt restore -d --empty-ns network --image-path /tmp/img8 -b "$B" "$CID-r"
pid=$(state_field "$CID-r" pid)
put pid "$pid"
put hook-pid "$(jq -r .pid /tmp/emptyns-hook.json 2>&1)"
a=$(count_of "$CID-r")
sleep 1
put counting "$([ "$(count_of "$CID-r")" -gt "${a:-0}" ] && echo yes)"
[ "$(readlink /proc/$pid/ns/net)" != "$(readlink /proc/self/ns/net)" ] && put own-netns yes
# nothing restored in it: lo is there but down
put lo "$(cat /proc/$pid/root/sys/class/net/lo/operstate 2>&1)"
rec bad rt checkpoint --empty-ns pid --image-path /tmp/img8b "$CID-r"
cleanup

t ckpt-extnetns
# a network namespace joined by path (as engines give one): external for CRIU, and the
# restored container is back in the namespace at that path
# (iproute2's ip: busybox's has no netns)
/bin/ip netns add ckptns
counter
edit '.linux.namespaces |= map(if .type == "network" then .path = "/run/netns/ckptns" else . end)'
run_bg "$CID"
sleep 1
rec checkpoint rt checkpoint --image-path /tmp/img9 "$CID"
rec restore rt restore -d --image-path /tmp/img9 -b "$B" "$CID-r"
pid=$(state_field "$CID-r" pid)
put netns "$(stat -L -c %i /proc/$pid/ns/net 2>&1)"
put want "$(stat -L -c %i /run/netns/ckptns)"
put count "$(count_of "$CID-r")"
cleanup
/bin/ip netns del ckptns

t ckpt-cgns
# a cgroup namespace: restored into the new container's cgroup, which is its root again
counter 'while :; do echo "$(cat /tmp/count) $(cat /proc/self/cgroup)" >/tmp/cg.new; mv /tmp/cg.new /tmp/cg; sleep 0.2; done &'
edit '.linux.namespaces += [{"type": "cgroup"}]'
run_bg "$CID"
sleep 1
put before "$(count_of "$CID")"
rec checkpoint rt checkpoint --image-path /tmp/img10 "$CID"
rec restore rt restore -d --image-path /tmp/img10 -b "$B" "$CID-r"
pid=$(state_field "$CID-r" pid)
sleep 1
put restored "$(count_of "$CID-r")"
put cg "$(cat /proc/$pid/root/tmp/cg)"
put host-cg "$(cat /proc/$pid/cgroup)"
grep Error /tmp/img10/restore.log | head -5 >"$T/rlog"
cleanup

t ckpt-tcp
# an established connection over lo, inside the container: refused without --tcp-established
# (CRIU's reason in one line), dumped and restored with it, and data flows on afterwards
# (the listener's stdin never ends: busybox nc stops at its end)
counter 'sleep 100000 | nc -l -p 5000 >/tmp/got & while ! { (while :; do echo x; sleep 0.2; done) | nc 127.0.0.1 5000; }; do sleep 0.2; done &'
run_bg "$CID"
pid=$(state_field "$CID" pid)
wait_file "/proc/$pid/root/tmp/got"
i=0
while [ $i -lt 100 ] && [ ! -s "/proc/$pid/root/tmp/got" ]; do
	sleep 0.2
	i=$((i + 1))
done
rec refused rt checkpoint --image-path /tmp/img11 "$CID"
put status-refused "$(state_field "$CID" status)"
rec checkpoint rt checkpoint --tcp-established --image-path /tmp/img12 "$CID"
rec restore rt restore -d --tcp-established --image-path /tmp/img12 -b "$B" "$CID-r"
pid=$(state_field "$CID-r" pid)
put status "$(state_field "$CID-r" status)"
# data on the restored connection: TCP's retransmission timer backed off while the network
# was locked for the dump, so give it time
grows /proc/$pid/root/tmp/got
put flowing "$(grows /proc/$pid/root/tmp/got && echo yes)"
cat /proc/$pid/net/tcp >"$T/tcp" 2>&1
grep -E 'Error|Warn' /tmp/img12/restore.log | head -20 >"$T/rlog"
cleanup

t ckpt-tcp-ext
# a server in the container, which joined a network namespace by path, and its client outside
# the container in that namespace: the connection lives on across checkpoint and restore and
# bytes flow both ways after (the server sends "s" lines, the client "c" lines)
/bin/ip netns add tcpns
/bin/ip -n tcpns link set lo up
counter '(while :; do echo s; sleep 0.2; done) | nc -l -p 5001 >/tmp/got &'
edit '.linux.namespaces |= map(if .type == "network" then .path = "/run/netns/tcpns" else . end)'
run_bg "$CID"
pid=$(state_field "$CID" pid)
rm -f /tmp/client-got /tmp/client-tries
(while ! { echo >>/tmp/client-tries; (while :; do echo c; sleep 0.2; done) | /bin/ip netns exec tcpns nc 127.0.0.1 5001 >>/tmp/client-got; }; do sleep 0.2; done) </dev/null >/dev/null 2>&1 &
client=$!
i=0
while [ $i -lt 100 ] && ! { [ -s "/proc/$pid/root/tmp/got" ] && [ -s /tmp/client-got ]; }; do
	sleep 0.2
	i=$((i + 1))
done
put tries-before "$(wc -l </tmp/client-tries)"
rec checkpoint rt checkpoint --tcp-established --image-path /tmp/img15 "$CID"
rec restore rt restore -d --tcp-established --image-path /tmp/img15 -b "$B" "$CID-r"
pid=$(state_field "$CID-r" pid)
put status "$(state_field "$CID-r" status)"
put to-server "$(grows /proc/$pid/root/tmp/got && echo yes)"
put to-client "$(grows /tmp/client-got && echo yes)"
# the same connection: the client never connected again
put tries-after "$(wc -l </tmp/client-tries)"
grep -E 'Error|Warn' /tmp/img15/restore.log | head -20 >"$T/rlog"
cleanup
kill $client $(/bin/ip netns pids tcpns) 2>/dev/null
/bin/ip netns del tcpns

t ckpt-console
# a terminal: run's pty master went to a console socket; at restore CRIU makes a new master
# for the container's pty (runc's orphan-pts-master) and it goes to restore's
# --console-socket; the restored shell keeps its variable and answers through it
bundle sh
edit '.process.terminal = true'
rm -f /tmp/cs1 /tmp/cs1.ready /tmp/cs2 /tmp/cs2.ready
/mnt/host/console-recv /tmp/cs1 /tmp/cs1.ready 300 'x=41
' >"$T/recv1" 2>&1 &
wait_file /tmp/cs1.ready
rec run rt run -d --console-socket /tmp/cs1 -b "$B" "$CID"
sleep 2
rec checkpoint rt checkpoint --image-path /tmp/img14 "$CID"
/mnt/host/console-recv /tmp/cs2 /tmp/cs2.ready 120 'echo restored-$((x+1))
' >"$T/recv2" 2>&1 &
wait_file /tmp/cs2.ready
# the same checkpoint from a config whose process has no terminal: CRIU's master has
# nowhere to go, the restore fails in one line and leaves no container
edit '.process.terminal = false'
rec restore-noterm rt restore -d --image-path /tmp/img14 -b "$B" "$CID-n"
rec list-noterm rt list -q
edit '.process.terminal = true'
rec restore rt restore -d --console-socket /tmp/cs2 --image-path /tmp/img14 -b "$B" "$CID-r"
put status "$(state_field "$CID-r" status)"
i=0
while [ $i -lt 150 ] && ! grep -q restored-42 "$T/recv2"; do
	sleep 0.2
	i=$((i + 1))
done
grep -E 'Error|Warn' /tmp/img14/restore.log | head -20 >"$T/rlog"
cleanup

t ckpt-fg
# a foreground restore waits for the container and exits with its status, then removes it
bundle sh -c 'exec </dev/null >/dev/null 2>&1; i=0; while [ $i -lt 40 ]; do i=$((i+1)); echo $i >/tmp/count; sleep 0.1; done; exit 7'
edit '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}]'
run_bg "$CID"
sleep 1
rec checkpoint rt checkpoint --image-path /tmp/img13 "$CID"
RT_TIMEOUT=120
rec restore rt restore --image-path /tmp/img13 -b "$B" "$CID-r"
RT_TIMEOUT=30
rec list rt list -q
cleanup

t ckpt-pipes
# stdio pipes, as engines give them: restore hands its own stdio over in their place
bundle sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.1; done'
edit '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}]'
edit '.linux.namespaces |= map(select(.type != "network"))'
(sleep 300 | rt run -d -b "$B" "$CID" 2>&1 | cat >/dev/null) &
wait_status "$CID" running
sleep 0.5
rec checkpoint rt checkpoint --image-path /tmp/img7 "$CID"
grep -o 'pipe:' /tmp/img7/descriptors.json | wc -l >"$T/pipes"
rec restore rt restore -d --image-path /tmp/img7 -b "$B" "$CID-r"
put status "$(state_field "$CID-r" status)"
cleanup

t ckpt-subreaper
# no pid namespace: an orphan the restored container makes goes to a foreground restore's
# waiter (runc's subreaper), which reaps it; with --no-subreaper it goes to the host's init
for mode in sub nosub; do
	O=/srv/out-$CID-$mode
	rm -rf "$O"
	mkdir -p "$O"
	bundle sh -c 'exec </dev/null >/dev/null 2>&1; while [ ! -e /out/go ]; do sleep 0.1; done; o=$(sh -c "sleep 0.3 >/dev/null 2>&1 & echo \$!"); echo "ppid $(sed -n "s/^PPid:\t//p" /proc/$o/status) me $(sed -n "s/^PPid:\t//p" /proc/$$/status)" >/out/result; sleep 1; if [ -e /proc/$o ]; then echo "left $(cut -d" " -f3 /proc/$o/stat)"; else echo reaped; fi >>/out/result'
	edit ".mounts += [{\"destination\": \"/out\", \"type\": \"bind\", \"source\": \"$O\", \"options\": [\"rbind\", \"rw\"]}]"
	edit '.linux.namespaces |= map(select(.type != "pid"))'
	run_bg "$CID-$mode"
	sleep 1
	rec checkpoint-$mode rt checkpoint --image-path /tmp/img-sr-$mode "$CID-$mode"
	touch "$O/go"
	flag=
	[ $mode = sub ] || flag=--no-subreaper
	RT_TIMEOUT=120
	rec restore-$mode rt restore $flag --image-path /tmp/img-sr-$mode -b "$B" "$CID-$mode-r"
	RT_TIMEOUT=30
	cp "$O/result" "$T/result-$mode" 2>/dev/null
	grep -B3 Error /tmp/img-sr-$mode/restore.log 2>/dev/null | tail -12 >"$T/rlog-$mode"
	cleanup
done
