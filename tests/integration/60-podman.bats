#!/usr/bin/env bats
# podman with oci-run as its OCI runtime (`podman --runtime oci-run`, through conmon):
# run, exit status, detached containers with ps/stop/rm, exec, terminals through conmon's
# console socket, kill, and nothing left behind. Offline: the busybox image is loaded from
# an oci-archive made by tests/lib/mkimage.py; containers use --network none.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/tmux
load ../lib/peers

IMG=localhost/busybox:test

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	command -v podman >/dev/null && command -v conmon >/dev/null || return 0
	peers_init podman
	podman_init
}

teardown_file() {
	podman_cleanup
	peers_cleanup_dir
}

setup() {
	require_root
	require_cmd podman conmon
	: >"$PEER_DIR/runtime.log"
}

teardown() {
	pm pod rm -af -t 0 >/dev/null 2>&1 || true
	pm rm -af -t 0 >/dev/null 2>&1 || true
	[ -z "${NETNS:-}" ] || ip netns delete "$NETNS" 2>/dev/null || true
	[ -z "${TMUX_SESSION:-}" ] || tmux kill-session -t "$TMUX_SESSION" 2>/dev/null || true
}

# oci-run's own view of the containers podman made through it.
ocirun() {
	"$RUNTIME" --root "$PEER_DIR/oci-run-state" "$@"
}

@test "podman run --rm prints the container's output, through oci-run create/start/delete" {
	run pm run --rm --network none "$IMG" echo hello from busybox
	assert_success
	[ "$output" = "hello from busybox" ]
	runtime_log_has '^create --bundle .* --pid-file .* [0-9a-f]{64}$'
	runtime_log_has '^start [0-9a-f]{64}$'
	runtime_log_has '^delete --force [0-9a-f]{64}$'
	# --rm left nothing in oci-run's state
	run ocirun list -q
	[ -z "$output" ]
}

@test "podman inspect names oci-run as the runtime of the container" {
	id=$(pm create --network none "$IMG" true)
	run pm inspect --format '{{.OCIRuntime}}' "$id"
	assert_success
	[ "$output" = "$PEER_RUNTIME" ]
	pm start -a "$id"
	runtime_log_has "^start $id\$"
}

@test "podman run: the container's exit status propagates" {
	run pm run --rm --network none "$IMG" sh -c 'exit 3'
	assert_failure 3
	run pm run --rm --network none "$IMG" false
	assert_failure 1
	# (a signal death is in the kill test: pid 1 cannot kill itself)
}

@test "podman run -d, ps, stop, rm: the container runs under oci-run and stops on SIGTERM" {
	id=$(pm run -d --network none --name pmd "$IMG" sh -c 'trap "echo got-term; exit 0" TERM; while :; do sleep 0.1; done')
	run pm ps --format '{{.ID}} {{.Status}}'
	assert_success
	[[ "$output" == "${id:0:12} Up"* ]]
	[ "$(ocirun state "$id" | jq -r .status)" = running ]
	pid=$(ocirun state "$id" | jq -r .pid)
	[ "$(tr '\0' ' ' </proc/"$pid"/cmdline)" = "sh -c trap \"echo got-term; exit 0\" TERM; while :; do sleep 0.1; done " ]
	run pm stop -t 5 pmd
	assert_success
	runtime_log_has "^kill $id 15\$"
	run pm ps -a --format '{{.Status}}'
	[[ "$output" == "Exited (0)"* ]]
	run pm logs pmd
	assert_output_contains got-term
	run pm rm pmd
	assert_success
	run ocirun list -q
	[ -z "$output" ]
	! proc_alive "$pid" || false
}

@test "podman run --memory 100m --pids-limit 50: the limits are in the container's cgroups" {
	id=$(pm run -d --network none --memory 100m --pids-limit 50 "$IMG" sleep 100)
	pid=$(ocirun state "$id" | jq -r .pid)
	mem=$(awk -F: '$2 == "memory" {print $3}' /proc/"$pid"/cgroup)
	pids=$(awk -F: '$2 == "pids" {print $3}' /proc/"$pid"/cgroup)
	[ "$(cat /sys/fs/cgroup/memory"$mem"/memory.limit_in_bytes)" = 104857600 ]
	[ "$(cat /sys/fs/cgroup/pids"$pids"/pids.max)" = 50 ]
	# podman's device list (deny all, then its defaults) is enforced too
	grep -qx 'c 1:3 rwm' /sys/fs/cgroup/devices"$(awk -F: '$2 == "devices" {print $3}' /proc/"$pid"/cgroup)"/devices.list
	pm rm -f -t 0 "$id" >/dev/null
	[ ! -e /sys/fs/cgroup/memory"$mem" ]
}

@test "podman update changes a running container's limits through oci-run update" {
	id=$(pm run -d --network none --memory 100m "$IMG" sleep 100)
	pid=$(ocirun state "$id" | jq -r .pid)
	mem=$(awk -F: '$2 == "memory" {print $3}' /proc/"$pid"/cgroup)
	run pm update --memory 200m --memory-swap 400m --cpu-shares 512 "$id"
	assert_success
	runtime_log_has "^update .*$id\$"
	[ "$(cat /sys/fs/cgroup/memory"$mem"/memory.limit_in_bytes)" = 209715200 ]
	[ "$(cat /sys/fs/cgroup/cpu"$(awk -F: '$2 == "cpu" || $2 == "cpu,cpuacct" {print $3}' /proc/"$pid"/cgroup)"/cpu.shares)" = 512 ]
}

@test "podman exec: output, exit status, user, env, workdir, missing command" {
	pm run -d --network none --name pmx "$IMG" sleep 100 >/dev/null
	run pm exec pmx sh -c 'echo in-exec; exit 4'
	assert_failure 4
	[ "$output" = in-exec ]
	runtime_log_has '^exec --pid-file .* --process .* --detach [0-9a-f]{64}$'
	run pm exec -u 1000:1000 -e FOO=bar -w /tmp pmx sh -c 'id -u; echo $FOO; pwd'
	assert_success
	[ "$(echo $output)" = "1000 bar /tmp" ]
	# the exec'd process shares the container's pid namespace: sleep is its pid 1
	run pm exec pmx sh -c "tr '\\0' ' ' </proc/1/cmdline"
	[ "$output" = "sleep 100 " ]
	# podman maps the runtime's "not found" to 127, as with runc
	run -127 pm exec pmx no-such-command
	assert_output_contains no-such-command
}

@test "podman run -t and exec -t: the pty travels through conmon's console socket" {
	run pm run --rm -t --network none "$IMG" sh -c 'tty; [ -t 0 ] && echo stdin-is-tty'
	assert_success
	runtime_log_has '^create --bundle .* --console-socket .* [0-9a-f]{64}$'
	[[ "$(tr -d '\r' <<<"$output")" == /dev/pts/0*stdin-is-tty* ]]
	pm run -d --network none --name pmt "$IMG" sleep 100 >/dev/null
	run pm exec -t pmt tty
	assert_success
	runtime_log_has '^exec .* --tty --console-socket .* [0-9a-f]{64}$'
	[[ "$(tr -d '\r' <<<"$output")" == /dev/pts/[0-9]* ]]
}

@test "podman run -it: an interactive shell under tmux, input, window size and exit status" {
	require_cmd tmux
	# the pm function, spelled out for tmux's shell
	cmd="CONTAINERS_CONF='$CONTAINERS_CONF' podman --root '$PEER_DIR/podman/root' --runroot '$PEER_DIR/podman/run' --tmpdir '$PEER_DIR/podman/tmp' --runtime '$PEER_RUNTIME' --cgroup-manager cgroupfs --events-backend file --storage-driver overlay"
	tmux_shell ocipm$$ "$cmd run -it --rm --network none $IMG sh" "$PEER_DIR/it-status" \
		'echo answer=$((6*7)); stty size' 5
	assert_output_contains answer=42
	assert_output_contains "30 100"
	[ "$(cat "$PEER_DIR/it-status")" = exit-status=5 ]
	runtime_log_has '^create --bundle .* --console-socket '
}

@test "podman --tmpfs over an image directory keeps its files (tmpcopyup); --read-only" {
	run pm run --rm --network none --tmpfs /bin "$IMG" /bin/sh -c 'grep " /bin " /proc/mounts; ls -l /bin/sh; echo new >/bin/scratch && echo writable'
	assert_success
	[[ "${lines[0]}" == "tmpfs /bin tmpfs "* ]]
	[[ "${lines[1]}" == *"/bin/sh -> busybox" ]]
	[ "${lines[2]}" = writable ]
	# --read-only: the root is read-only, podman's /tmp /run /var/tmp are tmpfs (tmpcopyup)
	run pm run --rm --network none --read-only "$IMG" sh -c 'touch /x 2>/dev/null || echo root-ro; touch /tmp/y && echo tmp-rw'
	assert_success
	[ "$(echo $output)" = "root-ro tmp-rw" ]
}

@test "podman --uidmap: a user namespace, joined by exec too; --network ns:PATH joins a netns by path" {
	pm run -d --network none --uidmap 0:200000:65536 --gidmap 0:200000:65536 --name pmu "$IMG" sleep 100 >/dev/null
	id=$(pm inspect --format '{{.ID}}' pmu)
	pid=$(ocirun state "$id" | jq -r .pid)
	[ "$(awk '/^Uid:/ {print $2}' /proc/"$pid"/status)" = 200000 ]
	run pm exec pmu sh -c 'id -u; cat /proc/self/uid_map; readlink /proc/self/ns/user'
	assert_success
	[ "${lines[0]}" = 0 ]
	[[ "${lines[1]}" =~ ^\ +0\ +200000\ +65536$ ]]
	[ "${lines[2]}" = "$(readlink /proc/"$pid"/ns/user)" ]
	NETNS=ocipm$$
	ip netns add "$NETNS"
	ino=$(stat -L -c %i /run/netns/"$NETNS")
	run pm run --rm --network ns:/run/netns/"$NETNS" "$IMG" readlink /proc/self/ns/net
	assert_success
	[ "$output" = "net:[$ino]" ]
}

@test "podman --cgroupns=container:A (a pod's shared cgroup namespace): /sys/fs/cgroup is A's cgroup" {
	# oci-run failed here: "mount '/sys/fs/cgroup': cannot clone '/sys/fs/cgroup/hugetlb/../libpod-...'"
	a=$(pm run -d --network none --memory 64m --cgroupns private "$IMG" sleep 100)
	run pm run --rm --network none --cgroupns "container:$a" "$IMG" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'
	assert_success
	[ "$output" = 67108864 ]
}

@test "podman kill sends the signal through oci-run kill" {
	pm run -d --network none --name pmk "$IMG" sh -c 'trap "exit 42" USR1; while :; do sleep 0.1; done' >/dev/null
	id=$(pm inspect --format '{{.ID}}' pmk)
	run pm kill -s USR1 pmk
	assert_success
	runtime_log_has "^kill $id 10\$"
	run pm wait pmk
	assert_success
	[ "$output" = 42 ]
	pm start pmk >/dev/null
	run pm kill pmk
	assert_success
	run pm wait pmk
	[ "$output" = 137 ]
}

@test "podman pause and unpause go through oci-run pause/resume" {
	pm run -d --network none --name pmp "$IMG" sh -c 'while :; do echo >>/tmp/count; sleep 0.02; done' >/dev/null
	id=$(pm inspect --format '{{.ID}}' pmp)
	pid=$(ocirun state "$id" | jq -r .pid)
	wait_for_file -s "/proc/$pid/root/tmp/count"
	run pm pause pmp
	assert_success
	runtime_log_has "^pause $id\$"
	[ "$(pm inspect --format '{{.State.Status}}' pmp)" = paused ]
	[ "$(ocirun state "$id" | jq -r .status)" = paused ]
	# one line per tick, appended: a freeze can never catch the file half-written
	a=$(wc -l <"/proc/$pid/root/tmp/count")
	sleep 0.3
	[ "$(wc -l <"/proc/$pid/root/tmp/count")" = "$a" ]
	run pm unpause pmp
	assert_success
	runtime_log_has "^resume $id\$"
	sleep 0.3
	[ "$(wc -l <"/proc/$pid/root/tmp/count")" -gt "$a" ]
}

@test "podman kill of a paused container kills it (issue 17: it stayed frozen)" {
	pm run -d --network none --name pmpk "$IMG" sleep 100 >/dev/null
	pm pause pmpk
	# each step bounded: before the fix, kill timed out inside podman and rm hung
	export PEER_DIR PEER_RUNTIME
	run timeout -k 5 30 bash -c "$(declare -f pm); pm kill pmpk"
	assert_success
	run timeout -k 5 30 bash -c "$(declare -f pm); pm wait pmpk"
	assert_success
	[ "$output" = 137 ]
	run timeout -k 5 30 bash -c "$(declare -f pm); pm rm pmpk"
	assert_success
}

@test "podman --tz on an image whose /etc/localtime is a symlink (issue 17: the bind was refused)" {
	# an image as Debian's: /etc/localtime a symlink into /usr/share/zoneinfo
	pm run --network none --name pmtzsrc "$IMG" sh -c 'mkdir -p /usr/share/zoneinfo && echo image >/usr/share/zoneinfo/UTC && ln -sf /usr/share/zoneinfo/UTC /etc/localtime' >/dev/null
	pm commit -q pmtzsrc localhost/tzlink:test >/dev/null
	pm rm pmtzsrc >/dev/null
	run pm run --rm --network none --tz=Europe/Paris localhost/tzlink:test date +%Z
	pm rmi localhost/tzlink:test >/dev/null 2>&1 || true
	assert_success
	[[ "$output" =~ ^CES?T$ ]]
}

@test "podman logs, top, stats, cp both ways, restart and stop (TERM, then KILL after the timeout)" {
	pm run -d --network none --name pmd "$IMG" sh -c 'echo started; trap "echo bye; exit 0" TERM; while :; do sleep 0.1; done' >/dev/null
	wait_until 10 "podman logs pmd to say started" '[ "$(pm logs pmd 2>/dev/null)" = started ]'
	run pm top pmd
	assert_success
	assert_output_contains 'sh -c echo started'
	run pm stats --no-stream --format '{{.PIDs}}' pmd
	assert_success
	[ "$output" -ge 1 ]
	echo from-host >"$BATS_TEST_TMPDIR/in.txt"
	pm cp "$BATS_TEST_TMPDIR/in.txt" pmd:/tmp/in.txt
	[ "$(pm exec pmd cat /tmp/in.txt)" = from-host ]
	pm cp pmd:/etc/passwd "$BATS_TEST_TMPDIR/passwd"
	grep -q '^root:x:0:0:' "$BATS_TEST_TMPDIR/passwd"
	run pm restart -t 5 pmd
	assert_success
	[ "$(pm inspect --format '{{.State.Status}}' pmd)" = running ]
	# TERM reaches the trap: exit 0 and "bye" in the log, once per stop
	run pm stop -t 5 pmd
	assert_success
	[ "$(pm inspect --format '{{.State.ExitCode}}' pmd)" = 0 ]
	[ "$(pm logs pmd | grep -c bye)" = 2 ]
	# a process that ignores TERM is killed after the timeout
	pm run -d --network none --name pmi "$IMG" sh -c 'trap "" TERM; while :; do sleep 0.1; done' >/dev/null
	run pm stop -t 1 pmi
	assert_success
	[ "$(pm inspect --format '{{.State.ExitCode}}' pmi)" = 137 ]
}

@test "podman attach: a running container's output reaches the attached client until it ends" {
	pm run -d --network none --name pma "$IMG" sh -c 'while [ ! -e /tmp/go ]; do echo tick; sleep 0.2; done; echo attached-err >&2; exit 3' >/dev/null
	pm attach --no-stdin pma >"$BATS_TEST_TMPDIR/attach.out" 2>&1 &
	apid=$!
	# attached once its stream carries the container's ticks
	wait_until 30 "podman attach to pass the container's ticks" grep -q tick "$BATS_TEST_TMPDIR/attach.out"
	pm exec pma touch /tmp/go
	# the client returns when the container ends (podman 4.3's attach exits 0, with runc
	# too); the container's own status is podman's record of it
	wait "$apid"
	grep -q attached-err "$BATS_TEST_TMPDIR/attach.out"
	# the stream ends before conmon has written the exit file podman reads the status from
	# (seen once in seven runs at load 4): wait for podman to have it
	pm wait pma >/dev/null
	[ "$(pm inspect --format '{{.State.ExitCode}}' pma)" = 3 ]
}

@test "podman run options: --init, --read-only, -v, --user, --cap-*, --privileged, --device, limits, seccomp" {
	require_cmd catatonit
	run pm run --rm --network none --init "$IMG" sh -c 'tr "\0" " " </proc/1/cmdline'
	assert_success
	assert_output_contains /run/podman-init
	run pm run --rm --network none --read-only "$IMG" sh -c 'touch /x 2>&1; touch /tmp/y && echo tmp-ok'
	assert_output_contains 'Read-only file system'
	assert_output_contains tmp-ok
	echo vol >"$BATS_TEST_TMPDIR/v.txt"
	run pm run --rm --network none -v "$BATS_TEST_TMPDIR:/data:ro" "$IMG" sh -c 'cat /data/v.txt; touch /data/z 2>&1'
	[ "${lines[0]}" = vol ]
	assert_output_contains 'Read-only file system'
	run pm run --rm --network none --user 1000:1000 "$IMG" id -u
	[ "$output" = 1000 ]
	run pm run --rm --network none --cap-drop all --cap-add net_raw "$IMG" awk '/^CapEff/ {print $2}' /proc/self/status
	[ "$output" = 0000000000002000 ]
	# --privileged: every capability the runtime holds, and the host's devices
	run pm run --rm --network none --privileged "$IMG" sh -c 'awk "/^CapEff/ {print \$2}" /proc/self/status; test -e /dev/tty0 && echo host-devs'
	[ "${lines[0]}" = "$(awk '/^CapBnd/ {print $2}' /proc/self/status)" ]
	assert_output_contains host-devs
	run pm run --rm --network none --device /dev/null:/dev/mynull "$IMG" sh -c 'echo x >/dev/mynull && stat -c "%t:%T" /dev/mynull'
	[ "$output" = 1:3 ]
	run pm run --rm --network none --memory 64m --pids-limit 20 "$IMG" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max'
	[ "${lines[0]}" = 67108864 ]
	[ "${lines[1]}" = 20 ]
	printf '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}' >"$BATS_TEST_TMPDIR/seccomp.json"
	run pm run --rm --network none --security-opt seccomp="$BATS_TEST_TMPDIR/seccomp.json" "$IMG" mkdir /tmp/d
	assert_failure
	assert_output_contains 'Operation not permitted'
}

@test "podman healthcheck, bridge networking with -p, and a pod from play kube sharing the infra container's namespaces" {
	require_cmd catatonit curl
	pm run -d --network none --name pmh --health-cmd 'test -e /etc/passwd' "$IMG" sleep 100 >/dev/null 2>&1
	run pm healthcheck run pmh
	assert_success
	[ "$(pm inspect --format '{{.State.Health.Status}}' pmh)" = healthy ]
	port=$((20000 + RANDOM % 20000))
	pm run -d --name pmweb -p "127.0.0.1:$port:8080" "$IMG" httpd -f -p 8080 -h /etc >/dev/null
	wait_until 10 "httpd to serve /passwd on port $port" 'out=$(curl -s --max-time 2 "http://127.0.0.1:$port/passwd") && [ -n "$out" ]'
	[[ "$out" == root:x:0:0:* ]]
	cat >"$BATS_TEST_TMPDIR/pod.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: pmkube
spec:
  containers:
  - name: c1
    image: $IMG
    command: ["sh", "-c", "echo from-c1 >/shared/c1; sleep 100"]
    volumeMounts: [{mountPath: /shared, name: sh}]
  - name: c2
    image: $IMG
    command: ["sh", "-c", "while [ ! -s /shared/c1 ]; do sleep 0.1; done; cat /shared/c1; sleep 100"]
    volumeMounts: [{mountPath: /shared, name: sh}]
  volumes:
  - name: sh
    emptyDir: {}
YAML
	run pm play kube --network none "$BATS_TEST_TMPDIR/pod.yaml"
	assert_success
	wait_until 10 "podman logs pmkube-c2 to say from-c1" '[ "$(pm logs pmkube-c2 2>/dev/null)" = from-c1 ]'
	# the containers share the infra container's network, ipc and uts namespaces
	infra=$(pm pod inspect --format '{{.InfraContainerID}}' pmkube)
	ipid=$(pm inspect --format '{{.State.Pid}}' "$infra")
	for c in pmkube-c1 pmkube-c2; do
		for ns in net ipc uts; do
			[ "$(pm exec "$c" readlink /proc/self/ns/$ns)" = "$(readlink /proc/"$ipid"/ns/$ns)" ]
		done
	done
	run pm pod rm -f -t 0 pmkube
	assert_success
}

@test "after podman rm -af nothing of oci-run is left: state, processes, mounts" {
	pm run -d --network none --name pml1 "$IMG" sleep 100 >/dev/null
	pm run -d --network none --name pml2 "$IMG" sleep 100 >/dev/null
	pm exec -d pml1 sleep 99
	pids=$(for c in $(ocirun list -q); do ocirun ps --format json "$c" | jq -r '.[]'; done)
	[ "$(wc -w <<<"$pids")" -ge 3 ]
	run pm rm -af -t 0
	assert_success
	run ocirun list -q
	[ -z "$output" ]
	for p in $pids; do
		! proc_alive "$p" || false
	done
	# each conmon exits once it has run podman's exit command (asynchronous)
	for _ in $(seq 100); do pgrep -f "conmon.*$PEER_DIR" >/dev/null || break; sleep 0.05; done
	! pgrep -f "conmon.*$PEER_DIR" >/dev/null || false
	# podman's own storage mounts go in its asynchronous cleanup (conmon's exit command).
	# The overlay driver's private bind of its home onto itself is the store's, not a
	# container's: whichever podman process last opened the store may keep it.
	container_mounts() {
		peers_mounts | grep -vxF "$PEER_DIR/podman/root/overlay" || true
	}
	wait_until 10 "the containers' mounts to go" '[ -z "$(container_mounts)" ]' || { container_mounts >&2; false; }
}

@test "podman run --sdnotify=container: the container's READY=1 reaches podman's NOTIFY_SOCKET (podman 4.3 mounts its own socket and conmon relays it)" {
	# podman 4.3 keeps NOTIFY_SOCKET from the runtime: it bind-mounts a socket of its own at
	# /run/notify and conmon relays READY=1 with MAINPID=conmon's pid (podman's --sdnotify);
	# this shows that works through oci-run, mounts and environment as podman wrote them
	L=$BATS_TEST_TMPDIR/notify.log
	python3 "$TOP/tests/lib/notify-listen.py" "$BATS_TEST_TMPDIR/host.sock" "$L" 3>&- &
	LPID=$!
	wait_for_file "$L.ready"
	NOTIFY_SOCKET=$BATS_TEST_TMPDIR/host.sock run timeout -k 5 60 podman --root "$PEER_DIR/podman/root" \
		--runroot "$PEER_DIR/podman/run" --tmpdir "$PEER_DIR/podman/tmp" --runtime "$PEER_RUNTIME" \
		--cgroup-manager cgroupfs --events-backend file --storage-driver overlay \
		run --rm --sdnotify=container --network none -v "$OCI_BUILD/tests/lib/notify-send:/notify-send:ro" \
		"$IMG" sh -c '/notify-send STATUS=hi READY=1 && echo "sent to $NOTIFY_SOCKET"'
	kill "$LPID"
	assert_success
	[ "$output" = "sent to /run/notify/notify.sock" ]
	mainpid=$(jq -r '.text | select(startswith("MAINPID=")) | ltrimstr("MAINPID=")' "$L")
	[ -n "$mainpid" ]
	# READY=1 came once, from the process MAINPID names
	[ "$(jq -c 'select(.text | test("READY=1")) | [.text, .pid]' "$L")" = "[\"READY=1\",$mainpid]" ]
	runtime_log_has '^start [0-9a-f]{64}$'
}
