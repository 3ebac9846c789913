# The guest half of 83-systemd-cgroup.bats, run by tests/lib/vm/vm.sh run-systemd in a guest
# whose PID 1 is systemd (Debian 12, pure cgroup v2). Each `t NAME` block only records what it
# sees into out/NAME/; the bats test of the same name asserts on it.
. ./guest-lib.sh

# show UNIT: the unit's properties the tests look at, one KEY=VALUE a line.
show() {
	systemctl show -p LoadState,ActiveState,Delegate,Slice,ControlGroup,MemoryMax,MemoryLow \
		-p MemoryHigh,MemorySwapMax,TasksMax,CPUQuotaPerSecUSec,CPUQuotaPeriodUSec,CPUWeight \
		-p AllowedCPUs,IOWeight -- "$1" </dev/null 2>&1
}

# files DIR: the scope's limit files, as FILE=VALUE lines.
files() {
	local f
	for f in memory.max memory.low memory.swap.max pids.max cpu.max cpu.weight cpuset.cpus; do
		echo "$f=$(cat "$1/$f" 2>/dev/null)"
	done
}

# units: every loaded scope of the tests' names (slices stay, as with runc).
units() {
	systemctl list-units --all --plain --no-legend 'oci-c-*.scope' 'ctr-*.scope' \
		'runc-*.scope' 'victim*' </dev/null 2>&1
}

t sd-env
put pid1 "$(cat /proc/1/comm)"
put run-systemd "$(ls -d /run/systemd/system 2>/dev/null)"
put running "$(systemctl is-system-running 2>&1)"
put runtime "$RUNTIME"

t sd-lifecycle
bundle sleep 1000
edit ".linux.cgroupsPath = \"system.slice:oci:$CID\"
	| .linux.resources.memory = {\"limit\": 67108864, \"reservation\": 33554432, \"swap\": 100663296}
	| .linux.resources.pids = {\"limit\": 50}
	| .linux.resources.cpu = {\"quota\": 50000, \"period\": 100000, \"shares\": 2048, \"cpus\": \"0\"}"
U=oci-$CID.scope
put unit "$U"
rec create rt --systemd-cgroup create -b "$B" "$CID"
pid=$(state_field "$CID" pid)
cg=$(cgroup_of "$pid")
put pid "$pid"
put cgroup "$cg"
cp "$cg/cgroup.procs" "$T/procs" 2>/dev/null
rec status systemctl status --no-pager "$U"
show "$U" >"$T/show-created"
files "$cg" >"$T/files-created"
rec start rt --systemd-cgroup start "$CID"
put status-started "$(state_field "$CID" status)"
rec update rt --systemd-cgroup update --memory 134217728 --memory-swap 201326592 \
	--pids-limit 100 --cpu-quota 90000 "$CID"
show "$U" >"$T/show-updated"
files "$cg" >"$T/files-updated"
# the period alone keeps the quota (runc's merge of cpu.max)
rec update-period rt --systemd-cgroup update --cpu-period 50000 "$CID"
show "$U" >"$T/show-period"
files "$cg" >"$T/files-period"
rec exec rt --systemd-cgroup exec "$CID" cat /proc/self/cgroup
rec pause rt --systemd-cgroup pause "$CID"
put status-paused "$(state_field "$CID" status)"
put freeze-paused "$(cat "$cg/cgroup.freeze" 2>/dev/null)"
rec resume rt --systemd-cgroup resume "$CID"
put status-resumed "$(state_field "$CID" status)"
put freeze-resumed "$(cat "$cg/cgroup.freeze" 2>/dev/null)"
rec kill rt --systemd-cgroup kill "$CID" KILL
wait_status "$CID" stopped
put status-killed "$(state_field "$CID" status)"
rec delete rt --systemd-cgroup delete "$CID"
show "$U" >"$T/show-deleted"
put cgroup-after "$(ls -d "$cg" 2>/dev/null)"
put units-after "$(units)"
cleanup

t sd-delete-force
bundle sleep 1000
edit ".linux.cgroupsPath = \"system.slice:oci:$CID\""
rec run rt --systemd-cgroup run -d -b "$B" "$CID"
cg=$(cgroup_of "$(state_field "$CID" pid)")
put cgroup "$cg"
put active "$(systemctl is-active "oci-$CID.scope" 2>&1)"
rec delete rt --systemd-cgroup delete --force "$CID"
put cgroup-after "$(ls -d "$cg" 2>/dev/null)"
put units-after "$(units)"
rec list rt list -q
cleanup

t sd-nested-slice
bundle sleep 1000
edit ".linux.cgroupsPath = \"oci-a.slice:ctr:$CID\""
rec run rt --systemd-cgroup run -d -b "$B" "$CID"
put cgroup "$(cgroup_of "$(state_field "$CID" pid)")"
show "ctr-$CID.scope" >"$T/show"
rec delete rt --systemd-cgroup delete --force "$CID"
put units-after "$(units)"
cleanup

t sd-default-path
bundle sleep 1000
edit 'del(.linux.cgroupsPath)'
rec run rt --systemd-cgroup run -d -b "$B" "$CID"
put cgroup "$(cgroup_of "$(state_field "$CID" pid)")"
put active "$(systemctl is-active "runc-$CID.scope" 2>&1)"
rec delete rt --systemd-cgroup delete --force "$CID"
put units-after "$(units)"
cleanup

t sd-failed-create
bundle sleep 1000
edit ".linux.cgroupsPath = \"system.slice:oci:$CID\"
	| .linux.resources.memory.limit = 67108864
	| .linux.resources.unified = {\"memory.no-such-file\": \"1\"}"
rec create rt --systemd-cgroup create -b "$B" "$CID"
put cgroup-left "$(ls -d "/sys/fs/cgroup/system.slice/oci-$CID.scope" 2>/dev/null)"
put units-after "$(units)"
rec list rt list -q
cleanup

t sd-properties
# org.systemd.property.* annotations (podman's --stop-timeout writes TimeoutStopUSec): given
# to systemd after the driver's properties (Description overrides the driver's); NAMESec is
# runc's seconds -> NAMEUSec
bundle sleep 1000
edit ".linux.cgroupsPath = \"system.slice:oci:$CID\"
	| .annotations[\"org.systemd.property.TimeoutStopUSec\"] = \"uint64 15000000\"
	| .annotations[\"org.systemd.property.RuntimeMaxSec\"] = \"7200\"
	| .annotations[\"org.systemd.property.CPUWeight\"] = \"uint64 321\"
	| .annotations[\"org.systemd.property.CollectMode\"] = \"'inactive-or-failed'\"
	| .annotations[\"org.systemd.property.Description\"] = \"string \\\"props \\\\u00e9\\\"\""
rec create rt --systemd-cgroup create -b "$B" "$CID"
systemctl show -p TimeoutStopUSec,RuntimeMaxUSec,CPUWeight,CollectMode,Description \
	-- "oci-$CID.scope" </dev/null >"$T/show" 2>&1
put cpu-weight "$(cat "$(cgroup_of "$(state_field "$CID" pid)")/cpu.weight" 2>&1)"
rec delete rt --systemd-cgroup delete --force "$CID"
cleanup
# values runc refuses (a negative uint64, an array), a name it refuses, one the driver sets,
# a property systemd does not know, and one it knows given a value of the wrong type (its
# message names no property): each create fails, no unit, no container left
set -- 'TimeoutStopUSec=uint64 -5' 'CPUWeight=[1, 2]' 'CPU_Weight=uint64 5' \
	"Slice='evil.slice'" 'NoSuchProperty=true' 'MemoryMax=true'
i=0
for a; do
	i=$((i + 1))
	bundle sleep 1000
	edit ".linux.cgroupsPath = \"system.slice:oci:$CID\"
		| .annotations[\"org.systemd.property.${a%%=*}\"] = \"${a#*=}\""
	put bad-$i "$a"
	rec bad-create-$i rt --systemd-cgroup create -b "$B" "$CID"
	put bad-units-$i "$(units)"
	put bad-list-$i "$(rt list -q 2>&1)"
	cleanup
done
put bad-n "$i"

t sd-hostile
i=0
CID=c-hostile
bundle true
set -- 'system.slice:oci:../../../evil' 'system.slice:oci:a/b' '../../x.slice:oci:n' \
	'system.slice:o/p:n' 'system.slice:oci:bad name' 'system.slice:oci:x\y' \
	'system.slice:oci:..' 'a--b.slice:oci:n' 'system.slice:oci:n:extra'
# the config for each path, one a line, from one jq (a jq start costs more under TCG than
# the create it serves)
flush && jq -c '. as $c | $ARGS.positional[] | . as $p | $c | .linux.cgroupsPath = $p' \
	"$B/config.json" --args "$@" >/tmp/hostile-configs
put configs "$(grep -c . /tmp/hostile-configs)"
exec 4</tmp/hostile-configs
for p; do
	i=$((i + 1))
	IFS= read -r cfg <&4 && printf '%s\n' "$cfg" >"$B/config.json"
	put path-$i "$p"
	rec create-$i rt --systemd-cgroup create -b "$B" "$CID"
	cleanup
done
exec 4<&-
put n "$i"
put units-after "$(units)"
ls /sys/fs/cgroup >"$T/top-after"

t sd-tamper
# a scope of the host's (a process of its own, not a container's): a container whose state
# files are rewritten to name it must neither stop the unit nor kill the process
systemd-run --unit victim --scope sleep 1000 </dev/null >/dev/null 2>&1 &
i=0
while [ $i -lt 50 ] && [ "$(systemctl is-active victim.scope 2>/dev/null)" != active ]; do
	sleep 0.1
	i=$((i + 1))
done
vcg=/sys/fs/cgroup/system.slice/victim.scope
bundle sleep 1000
edit ".linux.cgroupsPath = \"system.slice:oci:$CID\""
rec run rt --systemd-cgroup run -d -b "$B" "$CID"
jq -c --arg d "$vcg" '.cgroups = [$d]' "$RT_ROOT/$CID/state.json" >/tmp/st.json &&
	cat /tmp/st.json >"$RT_ROOT/$CID/state.json"
printf '["%s"]' "$vcg" >"$RT_ROOT/$CID/cgroups.json" 2>/dev/null
rec delete rt --systemd-cgroup delete --force "$CID"
put victim-active "$(systemctl is-active victim.scope 2>&1)"
put victim-procs "$(wc -l <"$vcg/cgroup.procs" 2>/dev/null)"
put units-after "$(units)"
systemctl stop victim.scope </dev/null >/dev/null 2>&1
cleanup

# examples/systemd's units under this systemd, the bundle prepared as its README says
t sd-examples
if [ "$RUNTIME" = oci-run ]; then
	D=/srv/containers/mycontainerid
	mkdir -p "$D"
	make_rootfs "$D/rootfs"
	(cd "$D" && oci-run spec)
	jq '.process.terminal = false | .process.args = ["/bin/sh", "-c", "trap \"exit 0\" TERM; while true; do date; sleep 10 & wait $!; done"]' \
		"$D/config.json" >"$D/c.json" && mv "$D/c.json" "$D/config.json"
	for u in mycontainer.service mycontainer-foreground.service; do
		sed 's|/usr/local/bin/oci-run|/mnt/host/bin/oci-run|g' "/mnt/host/examples/$u" >"/etc/systemd/system/$u"
	done
	systemctl daemon-reload
	for u in mycontainer mycontainer-foreground; do
		rec start-$u timeout 60 systemctl start $u
		put active-$u "$(systemctl is-active $u 2>&1)"
		# Type=simple: started once oci-run runs, the container comes a moment later
		i=0
		while [ $i -lt 100 ]; do
			oci-run state mycontainerid >/tmp/st.json 2>/dev/null </dev/null
			[ "$(json_field /tmp/st.json status 2>/dev/null)" = running ] && break
			sleep 0.2
			i=$((i + 1))
		done
		put state-$u "$(json_field /tmp/st.json status 2>/dev/null)"
		put cpid-$u "$(json_field /tmp/st.json pid 2>/dev/null)"
		put mainpid-$u "$(systemctl show -p MainPID --value $u)"
		s=$(cut -d' ' -f1 /proc/uptime)
		rec stop-$u timeout 60 systemctl stop $u
		e=$(cut -d' ' -f1 /proc/uptime)
		put stop-secs-$u "$(echo "$s $e" | awk '{printf "%d", $2 - $1}')"
		put after-$u "$(systemctl is-active $u 2>&1)"
		put result-$u "$(systemctl show -p Result --value $u)"
		oci-run list -q >/tmp/ids 2>&1 </dev/null
		put list-$u "$(cat /tmp/ids)"
	done
fi

# A Type=notify unit running `oci-run run` (runc's sd_notify relay): systemctl start returns
# once the container said READY=1, 2 s after it started, not when oci-run started.
t sd-notify
if [ "$RUNTIME" = oci-run ]; then
	D=/srv/containers/notifyc
	mkdir -p "$D"
	make_rootfs "$D/rootfs"
	cp /mnt/host/notify-send "$D/rootfs/bin/notify-send"
	(cd "$D" && oci-run spec)
	jq '.root.readonly = false | .process.terminal = false | .process.args = ["/bin/sh", "-c", "trap \"exit 0\" TERM; touch /tmp/started; sleep 2; touch /tmp/notifying; notify-send \"STATUS=up\nREADY=1\"; while true; do sleep 10 & wait $!; done"]' \
		"$D/config.json" >"$D/c.json" && mv "$D/c.json" "$D/config.json"
	cat >/etc/systemd/system/oci-notify.service <<UNIT
[Service]
Type=notify
WorkingDirectory=$D
ExecStartPre=-/mnt/host/bin/oci-run delete --force notifyc
ExecStart=/mnt/host/bin/oci-run run notifyc
ExecStopPost=/mnt/host/bin/oci-run delete --force notifyc
KillMode=mixed
TimeoutStartSec=60
UNIT
	systemctl daemon-reload
	rec start timeout 90 systemctl start oci-notify
	# what the container had done when start returned
	put notifying "$(ls "$D/rootfs/tmp/notifying" 2>&1)"
	put active "$(systemctl is-active oci-notify 2>&1)"
	mainpid=$(systemctl show -p MainPID --value oci-notify)
	put mainpid-cmdline "$(tr '\0' ' ' <"/proc/$mainpid/cmdline" 2>&1)"
	# systemd took STATUS= from nobody: the container's lines other than READY=1 are not relayed
	put status-text "$(systemctl show -p StatusText --value oci-notify)"
	rec stop timeout 60 systemctl stop oci-notify
	put after "$(systemctl is-active oci-notify 2>&1)"
	put result "$(systemctl show -p Result --value oci-notify)"
fi
