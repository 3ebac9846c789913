#!/usr/bin/env bats
# oci-run isolation: namespaces, mounts, /dev, masked and read-only paths, the process's
# identity and limits, fd hygiene, and mount destinations that try to leave the rootfs.
# Runtime-agnostic: RUNTIME=runc runs the same checks against runc.

load ../lib/common
load 40-run-lib

setup() {
	require_root
	setup_bundle
	cd "$B"
}

teardown() {
	cleanup_containers
	[ -z "${HOST_MOUNT:-}" ] || umount -R "$HOST_MOUNT" 2>/dev/null || umount -l "$HOST_MOUNT" 2>/dev/null || true
}

# in_container CMD: run `sh -c CMD` in the foreground; output and status in bats' run.
in_container() {
	set_args sh -c "$1"
	run rt run "$CID" </dev/null
}

@test "namespaces: hostname, pid 1, only lo in a new net ns, own ipc and uts" {
	edit_config '.hostname = "box1"'
	in_container 'hostname; echo pid=$$; ls /sys/class/net; for n in ipc uts mnt; do readlink /proc/self/ns/$n; done'
	assert_success
	[ "${lines[0]}" = box1 ]
	[ "${lines[1]}" = pid=1 ]
	[ "${lines[2]}" = lo ]
	[ "${#lines[@]}" -eq 6 ]
	[ "${lines[3]}" != "$(readlink /proc/self/ns/ipc)" ]
	[ "${lines[4]}" != "$(readlink /proc/self/ns/uts)" ]
	[ "${lines[5]}" != "$(readlink /proc/self/ns/mnt)" ]
	[ "$(hostname)" != box1 ]
}

@test "namespaces: joining the host's network namespace by path" {
	edit_config '(.linux.namespaces[] | select(.type == "network")) |= {type: "network", path: "/proc/'$$'/ns/net"}'
	in_container 'readlink /proc/self/ns/net'
	assert_success
	[ "$output" = "$(readlink /proc/$$/ns/net)" ]
}

@test "mounts: proc, sysfs read-only, tmpfs with options, bind ro and rw" {
	mkdir -p "$BATS_TEST_TMPDIR/ro" "$BATS_TEST_TMPDIR/rw"
	echo hello >"$BATS_TEST_TMPDIR/ro/file"
	edit_config ".mounts += [
		{destination: \"/scratch\", type: \"tmpfs\", source: \"tmpfs\", options: [\"nosuid\", \"size=1m\", \"mode=1777\"]},
		{destination: \"/data/ro\", type: \"bind\", source: \"$BATS_TEST_TMPDIR/ro\", options: [\"bind\", \"ro\"]},
		{destination: \"/data/rw\", type: \"bind\", source: \"$BATS_TEST_TMPDIR/rw\", options: [\"rbind\", \"rw\"]}]"
	in_container 'grep -E " /proc | /sys | /scratch " /proc/self/mountinfo | awk "{print \$5, \$6, \$9}"; cat /data/ro/file; touch /data/ro/x 2>/dev/null && echo ro-writable; echo w >/data/rw/new; touch /scratch/ok && echo scratch-ok; touch /sys/x 2>/dev/null && echo sys-writable; true'
	assert_success
	[[ "$output" == *"/proc rw,"*" proc"* ]]
	[[ "$output" == *"/sys ro,"*" sysfs"* ]]
	[[ "$output" == *"/scratch rw,nosuid"*" tmpfs"* ]]
	assert_output_contains hello
	assert_output_contains scratch-ok
	[[ "$output" != *ro-writable* ]]
	[[ "$output" != *sys-writable* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/rw/new")" = w ]
	[ ! -e "$BATS_TEST_TMPDIR/ro/x" ]
}

@test "mounts: a file bind mount creates its destination file" {
	echo content >"$BATS_TEST_TMPDIR/onefile"
	edit_config ".mounts += [{destination: \"/etc/injected\", type: \"bind\", source: \"$BATS_TEST_TMPDIR/onefile\", options: [\"bind\", \"ro\"]}]"
	setup_private=1
	edit_config '.root.readonly = false'
	in_container 'cat /etc/injected'
	assert_success
	[ "$output" = content ]
}

@test "/dev: default devices, links, pts, shm, nothing from the host" {
	in_container 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$d; done; for l in fd stdin ptmx; do readlink /dev/$l; done; ls /dev/pts; grep -E " /dev/(pts|shm|mqueue) " /proc/self/mountinfo | awk "{print \$5}"; echo x >/dev/null && echo null-ok; ls /dev | wc -l'
	assert_success
	assert_output_contains "/dev/null character special file 1:3 666"
	assert_output_contains "/dev/zero character special file 1:5 666"
	assert_output_contains "/dev/full character special file 1:7 666"
	assert_output_contains "/dev/random character special file 1:8 666"
	assert_output_contains "/dev/urandom character special file 1:9 666"
	assert_output_contains "/dev/tty character special file 5:0 666"
	assert_output_contains "/proc/self/fd"
	assert_output_contains "/proc/self/fd/0"
	assert_output_contains "pts/ptmx"
	assert_output_contains "/dev/pts"
	assert_output_contains "/dev/shm"
	assert_output_contains null-ok
	# a handful of entries, not the host's /dev
	n=${lines[-1]}
	[ "$n" -lt 25 ]
}

@test "/dev/core links to /proc/kcore only where the kernel has it, as runc (issue 17)" {
	! is_crun || [ -e /proc/kcore ] || skip_peer "links /dev/core to /proc/kcore even where the kernel has none"
	in_container 'if [ -L /dev/core ]; then echo link; else echo none; fi'
	assert_success
	if [ -e /proc/kcore ]; then
		[ "$output" = link ]
	else
		[ "$output" = none ]
	fi
}

@test "linux.devices are created with their mode" {
	edit_config '.linux.devices = [{path: "/dev/mydev", type: "c", major: 1, minor: 5, fileMode: 432, uid: 0, gid: 0}]'
	in_container 'stat -c "%F %t:%T %a" /dev/mydev; head -c 4 /dev/mydev | od -An -tx1'
	assert_success
	assert_output_contains "character special file 1:5 660"
	assert_output_contains "00 00 00 00"
}

@test "maskedPaths and readonlyPaths" {
	# (the masked /proc/kcore is not in every kernel: /proc/timer_list and /proc/keys are)
	[ -e /proc/timer_list ] && [ -d /sys/firmware ] || skip "kernel without /proc/timer_list"
	in_container 'cat /proc/timer_list /proc/keys | wc -c; ls /sys/firmware 2>&1 | wc -l; { echo 1 >/proc/sys/kernel/domainname; } 2>/dev/null && echo sys-writable; grep -E " /proc/sys " /proc/self/mountinfo | awk "{print \$6}"; true'
	assert_success
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[[ "$output" != *sys-writable* ]]
	[[ "${lines[2]}" == ro,* ]]
}

@test "maskedPaths hides a file of the rootfs" {
	edit_config '.linux.maskedPaths += ["/etc/passwd"]'
	in_container 'wc -c </etc/passwd'
	assert_success
	[ "$output" = 0 ]
}

@test "process: user, groups, umask, caps, noNewPrivileges, rlimits, oomScoreAdj, cwd, env" {
	edit_config '.process.user = {uid: 1000, gid: 1000, additionalGids: [5, 6], umask: 63}
		| .process.rlimits = [{type: "RLIMIT_NOFILE", soft: 100, hard: 200}]
		| .process.oomScoreAdj = 123
		| .process.cwd = "/tmp/work/dir"
		| .process.env += ["FOO=bar baz"]'
	in_container 'grep -E "^(Uid|Gid|Groups|CapBnd|CapEff|NoNewPrivs):" /proc/self/status; umask; ulimit -Sn; ulimit -Hn; cat /proc/self/oom_score_adj; pwd; echo "$FOO"'
	assert_success
	assert_output_contains "$(printf 'Uid:\t1000\t1000\t1000\t1000')"
	assert_output_contains "$(printf 'Gid:\t1000\t1000\t1000\t1000')"
	assert_output_contains "$(printf 'Groups:\t5 6')"
	assert_output_contains "$(printf 'CapBnd:\t0000000020000420')"
	assert_output_contains "$(printf 'NoNewPrivs:\t1')"
	assert_output_contains "0077"
	[ "$(printf '%s\n' "${lines[@]}" | grep -xc 100)" -eq 1 ]
	[ "$(printf '%s\n' "${lines[@]}" | grep -xc 200)" -eq 1 ]
	assert_output_contains 123
	assert_output_contains /tmp/work/dir
	assert_output_contains "bar baz"
}

@test "process: noNewPrivileges false, full capabilities for root" {
	edit_config '.process.noNewPrivileges = false
		| .process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"]
		| .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	in_container 'grep -E "^(CapEff|NoNewPrivs):" /proc/self/status'
	assert_success
	assert_output_contains "$(printf 'NoNewPrivs:\t0')"
	assert_output_contains "$(printf 'CapEff:\t0000000020200420')"
}

@test "rlimit above the runtime's hard limit is a clear error" {
	require_cmd setpriv
	edit_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 1024, hard: 8192}]'
	set_args true
	# Without CAP_SYS_RESOURCE the runtime cannot raise a hard limit above its own.
	run setpriv --bounding-set -sys_resource bash -c "ulimit -Sn 1024; ulimit -Hn 4096; exec \"$RUNTIME\" --root \"$ROOT\" run $CID </dev/null"
	assert_failure
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "RLIMIT_NOFILE"
		assert_output_contains "8192"
	fi
	run rt list -q
	[ -z "$output" ]
}

@test "args are looked up in the container's PATH" {
	set_args busybox echo found-it
	run rt run "$CID" </dev/null
	assert_success
	[ "$output" = found-it ]
	set_args no-such-command
	run rt run "$CID" </dev/null
	assert_failure
}

@test "fd hygiene: only stdio reaches the container, --preserve-fds passes more" {
	echo one >"$BATS_TEST_TMPDIR/f1"
	echo two >"$BATS_TEST_TMPDIR/f2"
	set_args sh -c 'ls /proc/self/fd | tr "\n" " "'
	run bash -c "exec 7<'$BATS_TEST_TMPDIR/f1' 9<'$BATS_TEST_TMPDIR/f2'; \"$RUNTIME\" --root \"$ROOT\" run $CID </dev/null"
	assert_success
	# 3 is ls's own directory fd
	[ "$output" = "0 1 2 3 " ]
	set_args sh -c 'cat <&3; cat <&4; ls /proc/self/fd | tr "\n" " "'
	run bash -c "exec 3<'$BATS_TEST_TMPDIR/f1' 4<'$BATS_TEST_TMPDIR/f2' 7</dev/null; \"$RUNTIME\" --root \"$ROOT\" run --preserve-fds 2 $CID </dev/null"
	assert_success
	[ "${lines[0]}" = one ]
	[ "${lines[1]}" = two ]
	[ "${lines[2]}" = "0 1 2 3 4 5 " ]
}

# activated RUNTIME-ARGS...: run the runtime as a socket-activated service is run: a
# listening unix socket on fd 3, LISTEN_FDS=1 and LISTEN_PID=its own pid (systemd's
# protocol), with $BATS_TEST_TMPDIR/f1 on fd 4 and the socket's inode in .../ino.
activated() {
	python3 - "$RUNTIME" --root "$ROOT" "$@" <<-'PY'
		import os, socket, sys
		d = os.environ["BATS_TEST_TMPDIR"]
		s = socket.socket(socket.AF_UNIX)
		s.bind(d + "/sock")
		s.listen()
		os.dup2(s.fileno(), 3)
		os.dup2(os.open(d + "/f1", os.O_RDONLY), 4)
		open(d + "/ino", "w").write(str(os.fstat(3).st_ino))
		os.environ["LISTEN_FDS"] = "1"
		os.environ["LISTEN_PID"] = os.environ.get("FAKE_LISTEN_PID", str(os.getpid()))
		os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
		os.execvp(sys.argv[1], sys.argv[1:])
	PY
}

@test "socket activation: LISTEN_FDS fds go to the process first, with LISTEN_FDS and LISTEN_PID (runc)" {
	# runc passes a socket-activated caller's fds 3..3+N-1 on, then --preserve-fds; oci-run
	# closed them and the service found no socket.
	peer_is crun "1.8 passes the fds with LISTEN_PID=1 but no LISTEN_FDS"
	echo one >"$BATS_TEST_TMPDIR/f1"
	set_args sh -c 'echo "$LISTEN_FDS $LISTEN_PID"; readlink /proc/self/fd/3; cat <&4; ls /proc/self/fd | tr "\n" " "'
	run activated run --preserve-fds 1 "$CID"
	assert_success
	[ "${lines[0]}" = "1 1" ]
	[ "${lines[1]}" = "socket:[$(cat "$BATS_TEST_TMPDIR/ino")]" ]
	[ "${lines[2]}" = one ]
	[ "${lines[3]}" = "0 1 2 3 4 5 " ]
	rm "$BATS_TEST_TMPDIR/sock"
	edit_config '.process.env += ["LISTEN_FDS=9", "LISTEN_PID=77"]'
	# the runtime's values win over the config's (runc)
	run activated run --preserve-fds 1 "$CID"
	assert_success
	[ "${lines[0]}" = "1 1" ]
	rm "$BATS_TEST_TMPDIR/sock"
	# LISTEN_PID naming another process (a parent's variables): nothing is passed
	set_args sh -c 'echo "$LISTEN_FDS $LISTEN_PID"; ls /proc/self/fd | tr "\n" " "'
	FAKE_LISTEN_PID=1 run activated run "$CID"
	assert_success
	[ "${lines[0]}" = "9 77" ]
	[ "${lines[1]}" = "0 1 2 3 " ]
	is_oci_run || return 0
	# in the host's pid namespace LISTEN_PID is the process's own pid, not runc's 1
	rm "$BATS_TEST_TMPDIR/sock"
	edit_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c '[ "$LISTEN_PID" = $$ ] && echo same'
	run activated run "$CID"
	assert_success
	[ "$output" = same ]
	# a LISTEN_FDS naming fds that are not open is one line, nothing created
	run bash -c 'LISTEN_PID=$$ LISTEN_FDS=3 exec "$@" 3</dev/null 4</dev/null 5<&- </dev/null' - "$RUNTIME" --root "$ROOT" run "$CID"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "LISTEN_FDS=3 (socket activation): fd 5 is not open"
	[ ! -e "$ROOT/$CID" ]
}

@test "mount destinations with symlinks stay inside the rootfs" {
	peer_is crun "does not create a destination below a symlink whose target is missing in the rootfs (openat2: No such file or directory)"
	setup_bundle private
	cd "$B"
	outside=$BATS_TEST_TMPDIR/outside
	mkdir -p "$outside"
	ln -s "$outside" "$B/rootfs/abs"
	ln -s ../../../../../../../../../../../../"$outside" "$B/rootfs/rel"
	echo secret >"$BATS_TEST_TMPDIR/src"
	edit_config ".mounts += [
		{destination: \"/abs/m1\", type: \"tmpfs\", source: \"tmpfs\"},
		{destination: \"/rel/m2\", type: \"tmpfs\", source: \"tmpfs\"},
		{destination: \"/rel/f3\", type: \"bind\", source: \"$BATS_TEST_TMPDIR/src\", options: [\"bind\"]}]"
	in_container "grep -E ' $outside/(m1|m2|f3) ' /proc/self/mountinfo | wc -l; cat $outside/f3"
	assert_success
	[ "${lines[0]}" = 3 ]
	[ "${lines[1]}" = secret ]
	# nothing was created on the host side of the symlinks
	[ -z "$(ls -A "$outside")" ]
	[ -d "$B/rootfs/$outside/m1" ]
	[ -d "$B/rootfs/$outside/m2" ]
	[ -f "$B/rootfs/$outside/f3" ]
}

@test "a file bind onto a symlink lands on its target inside the rootfs, never outside (issue 17)" {
	setup_bundle private
	cd "$B"
	outside=$BATS_TEST_TMPDIR/outside
	mkdir -p "$outside" "$B/rootfs/usr/share/zoneinfo"
	echo image-tz >"$B/rootfs/usr/share/zoneinfo/UTC"
	echo host-tz >"$BATS_TEST_TMPDIR/tz"
	echo host-dns >"$BATS_TEST_TMPDIR/dns"
	echo host-hosts >"$BATS_TEST_TMPDIR/hosts"
	# as images ship them: an absolute link to a file, a relative link whose target is missing
	ln -s /usr/share/zoneinfo/UTC "$B/rootfs/etc/localtime"
	ln -s ../run/systemd/resolve/stub-resolv.conf "$B/rootfs/etc/resolv.conf"
	# hostile: a chain of links that climbs out through ".." and an absolute host path
	ln -s ../../../../../../../../../.."$outside"/hop "$B/rootfs/etc/hosts"
	ln -s "$outside/target" "$B/rootfs$outside/hop" 2>/dev/null || { mkdir -p "$B/rootfs$outside"; ln -s "$outside/target" "$B/rootfs$outside/hop"; }
	edit_config ".mounts += [
		{destination: \"/etc/localtime\", type: \"bind\", source: \"$BATS_TEST_TMPDIR/tz\", options: [\"bind\", \"ro\"]},
		{destination: \"/etc/resolv.conf\", type: \"bind\", source: \"$BATS_TEST_TMPDIR/dns\", options: [\"bind\", \"ro\"]},
		{destination: \"/etc/hosts\", type: \"bind\", source: \"$BATS_TEST_TMPDIR/hosts\", options: [\"bind\", \"ro\"]}]"
	in_container 'cat /etc/localtime /etc/resolv.conf /etc/hosts'
	assert_success
	[ "${lines[0]}" = host-tz ]
	[ "${lines[1]}" = host-dns ]
	[ "${lines[2]}" = host-hosts ]
	# the mounts were made inside the container only: the image's files are as they were,
	# the missing target was created inside the rootfs, and nothing appeared outside it
	[ "$(cat "$B/rootfs/usr/share/zoneinfo/UTC")" = image-tz ]
	[ -f "$B/rootfs/run/systemd/resolve/stub-resolv.conf" ]
	[ -f "$B/rootfs$outside/target" ]
	[ -z "$(ls -A "$outside")" ]
}

@test "a symlink loop at a file bind's destination is one clear error, and nothing is left" {
	setup_bundle private
	ln -s loop-b "$B/rootfs/etc/loop-a"
	ln -s loop-a "$B/rootfs/etc/loop-b"
	echo x >"$BATS_TEST_TMPDIR/f"
	edit_config ".mounts += [{destination: \"/etc/loop-a\", type: \"bind\", source: \"$BATS_TEST_TMPDIR/f\", options: [\"bind\"]}]"
	run rt run --bundle "$B" "$CID" </dev/null
	assert_failure
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "too many levels of symlinks"
	fi
	run rt list -q
	[ -z "$output" ]
}

@test "/proc that is a symlink in the rootfs is refused" {
	setup_bundle private
	cd "$B"
	rmdir "$B/rootfs/proc"
	ln -s /tmp "$B/rootfs/proc"
	set_args true
	run rt run "$CID" </dev/null
	assert_failure
	assert_output_contains proc
	run rt list -q
	[ -z "$output" ]
}

@test "root.readonly: the rootfs is read-only unless asked otherwise" {
	setup_bundle private
	cd "$B"
	in_container 'touch /newfile 2>/dev/null && echo writable || echo readonly'
	[ "$output" = readonly ]
	edit_config '.root.readonly = false'
	in_container 'touch /newfile && echo writable'
	[ "$output" = writable ]
	[ -f "$B/rootfs/newfile" ]
}

@test "--no-pivot runs in the rootfs too" {
	set_args sh -c 'ls /bin/busybox; ls /work 2>&1 >/dev/null | wc -l'
	run rt run --no-pivot "$CID" </dev/null
	assert_success
	[ "${lines[0]}" = /bin/busybox ]
	[ "${lines[1]}" = 1 ]
}

@test "linux.sysctl is applied inside the container" {
	edit_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	in_container 'cat /proc/sys/net/ipv4/ip_forward'
	assert_success
	[ "$output" = 1 ]
}

@test "linux.sysctl without a /proc mount: the image's FIFO at the sysctl's path is refused, never opened" {
	# with no proc mount, /proc/sys/... was the image's own path: a FIFO there held the init
	# (and create, signals blocked) for ever; a plain file there took the write
	peer_is runc "opens the image's FIFO there and hangs, as oci-run did"
	peer_is crun "sets the sysctl through a procfs of its own, and runs"
	setup_bundle private
	cd "$B"
	edit_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"} | .mounts |= map(select(.type != "proc"))'
	mkdir -p "$B/rootfs/proc/sys/net/ipv4"
	mkfifo "$B/rootfs/proc/sys/net/ipv4/ip_forward"
	run timeout -k 5 30 "$RUNTIME" --root "$ROOT" run --bundle "$B" "$CID" </dev/null
	[ "$status" -ne 124 ] && [ "$status" -ne 137 ] || { echo "create hung ($status)"; false; }
	assert_failure
	if is_oci_run; then
		assert_one_line_error oci-run
		assert_output_contains "linux.sysctl: the container's /proc"
	fi
	rm "$B/rootfs/proc/sys/net/ipv4/ip_forward"
	echo 0 >"$B/rootfs/proc/sys/net/ipv4/ip_forward"
	run timeout -k 5 30 "$RUNTIME" --root "$ROOT" run --bundle "$B" "$CID" </dev/null
	assert_failure
	[ "$(cat "$B/rootfs/proc/sys/net/ipv4/ip_forward")" = 0 ]
	[ -z "$(rt list -q)" ]
}

@test "linux.personality LINUX32 makes uname report a 32-bit machine" {
	[ "$(uname -m)" = x86_64 ] || skip "LINUX32 check written for x86_64 hosts"
	peer_is runc "ignores linux.personality (added in runc 1.2)"
	edit_config '.linux.personality = {domain: "LINUX32"}'
	in_container 'uname -m'
	assert_success
	[ "$output" = i686 ]
	edit_config '.linux.personality = {domain: "LINUX"}'
	in_container 'uname -m'
	assert_success
	[ "$output" = x86_64 ]
}

@test "user namespace: uid/gid mappings" {
	edit_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	set_args sh -c 'id -u; cat /proc/self/uid_map; stat -c %u /proc/$$ ; sleep 2'
	# the mapped root must be able to reach the rootfs
	make_traversable "$(shared_rootfs)"
	rt_create "$CID" || { cat "$BATS_TEST_TMPDIR/create.err"; false; }
	pid=$(rt_state_field "$CID" pid)
	[ "$(stat -c %u /proc/$pid)" = 100000 ]
	rt start "$CID"
	wait_status "$CID" stopped
	run cat "$BATS_TEST_TMPDIR/create.out"
	[ "${lines[0]}" = 0 ]
	[[ "${lines[1]}" =~ ^\ +0\ +100000\ +65536$ ]]
}

# userns_locked_source: a private bundle in a user namespace (root = host 100000) and
# $L, a directory mode 0700 owned by the host's root, holding vol/data ("from-host").
userns_locked_source() {
	setup_bundle private
	cd "$B"
	edit_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	make_traversable "$B/rootfs"
	L=$BATS_TEST_TMPDIR/locked
	mkdir -p "$L/vol"
	echo from-host >"$L/vol/data"
	chmod 0700 "$L"
}

@test "user namespace: bind sources under a directory only the host's root may search are opened before joining it" {
	userns_locked_source
	echo file-host >"$L/file"
	chown 100000:100000 "$L/vol"
	mkdir "$B/rootfs/ro" "$B/rootfs/rw"
	touch "$B/rootfs/f"
	edit_config ".mounts += [
		{destination: \"/ro\", type: \"bind\", source: \"$L/vol\", options: [\"rbind\", \"ro\"]},
		{destination: \"/rw\", type: \"bind\", source: \"$L/vol\", options: [\"bind\"]},
		{destination: \"/f\", type: \"bind\", source: \"$L/file\", options: [\"bind\", \"ro\"]}]"
	# the container's root is the host's 100000: it cannot search $L itself
	run setpriv --reuid 100000 --regid 100000 --clear-groups cat "$L/vol/data"
	assert_failure
	in_container 'cat /ro/data /f; echo new >/rw/new && echo wrote; (echo x >/ro/x) 2>/dev/null || echo ro; ls /proc/1/fd; true'
	assert_success
	[ "${lines[0]}" = from-host ]
	[ "${lines[1]}" = file-host ]
	[ "${lines[2]}" = wrote ]
	[ "${lines[3]}" = ro ]
	# the runtime's copies of the sources are closed before the container's process runs
	# (pid 1 is the shell: no pipe, which would put its fds there for a moment, and a last
	# command that is not exec'd in its place)
	[ "${lines[*]:4}" = "0 1 2" ]
	[ "$(stat -c %u "$L/vol/new")" = 100000 ]
}

# userns_holder: $HOLDER, a process in a user namespace mapping 0-65535 to the host's
# 100000-165535 (as the new one of userns_locked_source), for linux.namespaces' user path.
userns_holder() {
	unshare -U sleep 60 &
	HOLDER=$!
	local self
	self=$(readlink /proc/self/ns/user)
	wait_until 10 "the holder's user namespace" '[ "$(readlink /proc/$HOLDER/ns/user)" != "$self" ]'
	echo "0 100000 65536" >/proc/$HOLDER/uid_map && echo "0 100000 65536" >/proc/$HOLDER/gid_map
}

@test "user namespace joined by path: bind sources only the host's root may search are opened before joining it" {
	userns_locked_source
	userns_holder
	echo file-host >"$L/file"
	chown 100000:100000 "$L/vol"
	mkdir "$B/rootfs/ro" "$B/rootfs/rw"
	touch "$B/rootfs/f"
	# the mappings stay: they are the holder's (runc 1.1 refuses a user namespace without)
	edit_config "(.linux.namespaces[] | select(.type == \"user\")) += {path: \"/proc/$HOLDER/ns/user\"}
		| .mounts += [
		{destination: \"/ro\", type: \"bind\", source: \"$L/vol\", options: [\"rbind\", \"ro\"]},
		{destination: \"/rw\", type: \"bind\", source: \"$L/vol\", options: [\"bind\"]},
		{destination: \"/f\", type: \"bind\", source: \"$L/file\", options: [\"bind\", \"ro\"]}]"
	in_container 'cat /proc/self/uid_map; cat /ro/data /f; echo new >/rw/new && echo wrote; (echo x >/ro/x) 2>/dev/null || echo ro; (echo x >/f) 2>/dev/null || echo ro; ls /proc/1/fd; true'
	kill "$HOLDER"
	assert_success
	[[ "${lines[0]}" =~ ^\ +0\ +100000\ +65536$ ]] || { echo "$output" >&2; false; }
	[ "${lines[1]}" = from-host ]
	[ "${lines[2]}" = file-host ]
	[ "${lines[3]}" = wrote ]
	[ "${lines[4]}" = ro ]
	[ "${lines[5]}" = ro ]
	[ "${lines[*]:6}" = "0 1 2" ]
	[ "$(stat -c %u "$L/vol/new")" = 100000 ]
	[ ! -e "$L/vol/x" ]
	[ "$(cat "$L/file")" = file-host ]
}

@test "user namespace joined by path: the config's maps must be its own, or absent" {
	userns_holder
	edit_config ".linux.namespaces += [{type: \"user\", path: \"/proc/$HOLDER/ns/user\"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 200000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]"
	in_container 'echo ran'
	if is_oci_run; then
		assert_failure
		assert_one_line_error oci-run
		assert_output_contains "linux.uidMappings: not the maps of the user namespace '/proc/$HOLDER/ns/user'"
		[ -z "$(rt list -q)" ]
	fi
	# without maps: runc 1.1 refuses ("no uid mappings found"), crun and oci-run join
	edit_config 'del(.linux.uidMappings, .linux.gidMappings)'
	in_container 'cat /proc/self/uid_map'
	kill "$HOLDER"
	peer_is runc "refuses a user namespace joined by path without linux.uidMappings (no uid mappings found)"
	assert_success
	[[ "$output" =~ ^\ +0\ +100000\ +65536$ ]]
}

@test "user namespace joined by path: a read-only host mount at a source stays read-only; a bundle symlink resolves on the host" {
	userns_locked_source
	userns_holder
	mkdir -m 0777 "$BATS_TEST_TMPDIR/under"
	echo from-under >"$BATS_TEST_TMPDIR/under/data"
	HOST_MOUNT=$L/vol
	mount --bind -o ro "$BATS_TEST_TMPDIR/under" "$HOST_MOUNT"
	# the same path inside the rootfs, where the container's root could reach it
	mkdir -p "$B/rootfs$L/vol" "$B/rootfs/m" "$B/rootfs/abs"
	echo from-rootfs >"$B/rootfs$L/vol/data"
	ln -s "$L/vol" "$B/abs"
	edit_config "(.linux.namespaces[] | select(.type == \"user\")) += {path: \"/proc/$HOLDER/ns/user\"}
		| .process.capabilities.bounding += [\"CAP_SYS_ADMIN\"]
		| .process.capabilities.effective += [\"CAP_SYS_ADMIN\"]
		| .process.capabilities.permitted += [\"CAP_SYS_ADMIN\"]
		| .mounts += [{destination: \"/m\", type: \"bind\", source: \"$L/vol\", options: [\"rbind\"]},
			{destination: \"/abs\", type: \"bind\", source: \"abs\", options: [\"rbind\"]}]"
	in_container 'cat /abs/data; for d in /m /abs; do mount -o remount,bind,rw $d 2>/dev/null && echo remounted; (echo x >$d/x) 2>/dev/null || echo read-only; done'
	kill "$HOLDER"
	peer_is crun "lets the container's root remount the host's read-only mount at the source writable (and write through it)"
	assert_success
	[ "$(echo $output)" = "from-under read-only read-only" ] || { echo "$output" >&2; false; }
	[ ! -e "$BATS_TEST_TMPDIR/under/x" ]
}

@test "user namespace: a bind source opened before joining resolves on the host, never in the container's root" {
	peer_is crun "looks a relative source up inside the user namespace: error stat'ing file 'abs': Permission denied"
	userns_locked_source
	# the same path inside the rootfs, where the container's root could reach it
	mkdir -p "$B/rootfs$L/vol"
	echo from-rootfs >"$B/rootfs$L/vol/data"
	mkdir "$B/rootfs/abs" "$B/rootfs/rel"
	ln -s "$L/vol" "$B/abs"
	ln -s "../locked/vol" "$B/rel"
	edit_config '.mounts += [
		{destination: "/abs", type: "bind", source: "abs", options: ["rbind"]},
		{destination: "/rel", type: "bind", source: "rel", options: ["rbind"]}]'
	# (pid 1 is the shell: no pipe, which would put its fds there for a moment, and a last
	# command that is not exec'd in its place)
	in_container 'cat /abs/data /rel/data; ls /proc/1/fd; true'
	assert_success
	[ "${lines[0]}" = from-host ] && [ "${lines[1]}" = from-host ] || { echo "$output" >&2; false; }
	[ "${lines[*]:2}" = "0 1 2" ]
	# a source missing under the locked directory is still one clear error
	edit_config ".mounts[-1].source = \"$L/missing\""
	in_container true
	assert_failure
	is_oci_run || return 0
	assert_one_line_error oci-run
	assert_output_contains "'$L/missing'"
}

@test "user namespace: a read-only host mount at a bind or id-mapped source stays read-only for the container's root" {
	peer_is crun "lets the container's root remount the host's read-only mount at the source writable (and write through it)"
	userns_locked_source
	# the host's own read-only bind at the source: the kernel locks it read-only in the
	# container's namespace; a copy made outside that namespace would lose the lock
	mkdir -m 0777 "$BATS_TEST_TMPDIR/under"
	HOST_MOUNT=$L/vol
	mount --bind -o ro "$BATS_TEST_TMPDIR/under" "$HOST_MOUNT"
	mkdir "$B/rootfs/m" "$B/rootfs/n"
	edit_config ".process.capabilities.bounding += [\"CAP_SYS_ADMIN\"]
		| .process.capabilities.effective += [\"CAP_SYS_ADMIN\"]
		| .process.capabilities.permitted += [\"CAP_SYS_ADMIN\"]
		| .mounts += [{destination: \"/m\", type: \"bind\", source: \"$L/vol\", options: [\"rbind\"]}]"
	in_container 'for d in /m; do mount -o remount,bind,rw $d 2>/dev/null && echo remounted; (echo x >$d/x) 2>/dev/null || echo read-only; done'
	assert_success
	[ "$output" = read-only ] || { echo "$output" >&2; false; }
	[ ! -e "$BATS_TEST_TMPDIR/under/x" ]
	# an id-mapped copy (runc 1.2's ridmap) is made in the container's namespace too
	is_oci_run || return 0
	edit_config ".mounts += [{destination: \"/n\", type: \"bind\", source: \"$L/vol\", options: [\"rbind\", \"ridmap\"]}]"
	in_container 'for d in /m /n; do mount -o remount,bind,rw $d 2>/dev/null && echo remounted; (echo x >$d/x) 2>/dev/null || echo read-only; done; stat -c %u /n'
	assert_success
	[ "$(echo $output)" = "read-only read-only 0" ]
	[ ! -e "$BATS_TEST_TMPDIR/under/x" ]
}

@test "user namespace: a non-recursive id-mapped bind of a read-only host mount with submounts is refused, not copied unlocked" {
	is_oci_run || skip_peer "runtime-spec 1.2's idmap: oci-run's own refusal"
	userns_locked_source
	# the kernel will not copy one mount of a tree whose submounts it locked; a copy made
	# outside the container's namespace instead would lose the read-only lock
	mkdir -m 0777 "$BATS_TEST_TMPDIR/under" "$BATS_TEST_TMPDIR/under/sub"
	HOST_MOUNT=$L/vol
	mount --bind -o ro "$BATS_TEST_TMPDIR/under" "$HOST_MOUNT"
	mount -t tmpfs tmpfs "$HOST_MOUNT/sub"
	mkdir "$B/rootfs/n"
	edit_config ".process.capabilities.bounding += [\"CAP_SYS_ADMIN\"]
		| .process.capabilities.effective += [\"CAP_SYS_ADMIN\"]
		| .process.capabilities.permitted += [\"CAP_SYS_ADMIN\"]
		| .mounts += [{destination: \"/n\", type: \"bind\", source: \"$L/vol\", options: [\"bind\", \"idmap\"]}]"
	in_container 'mount -o remount,bind,rw /n 2>/dev/null && echo remounted; (echo x >/n/x) 2>/dev/null && echo wrote'
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "read-only"
	[ ! -e "$BATS_TEST_TMPDIR/under/x" ]
	# a writable host mount with submounts is still bound (the copy made outside)
	mount -o remount,bind,rw "$HOST_MOUNT"
	echo from-under >"$BATS_TEST_TMPDIR/under/data2"
	in_container 'cat /n/data2'
	assert_success
	[ "$output" = from-under ]
}

@test "user namespace joined by path: an id-mapped mount is refused in one line, nothing left" {
	is_oci_run || skip_peer "runtime-spec 1.2's idmap: oci-run's own refusal"
	unshare -U -r sleep 60 &
	holder=$!
	wait_until 10 "the holder's user namespace" '[ "$(readlink /proc/$holder/ns/user)" != "$(readlink /proc/self/ns/user)" ]'
	mkdir -p "$BATS_TEST_TMPDIR/src" "$B/rootfs/n"
	edit_config ".linux.namespaces += [{type: \"user\", path: \"/proc/$holder/ns/user\"}]
		| .mounts += [{destination: \"/n\", type: \"bind\", source: \"$BATS_TEST_TMPDIR/src\", options: [\"rbind\", \"idmap\"],
			uidMappings: [{containerID: 0, hostID: 100000, size: 65536}], gidMappings: [{containerID: 0, hostID: 100000, size: 65536}]}]"
	in_container 'echo ran'
	kill "$holder"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "user namespace joined by path is not supported"
	[[ "$output" != *ran* ]]
	[ -z "$(rt list -q)" ]
}

@test "cgroups: the container joins linux.cgroupsPath, removed at delete" {
	edit_config ".linux.cgroupsPath = \"/ocitest-$CID\""
	set_args sleep 30
	rt_create "$CID"
	pid=$(rt_state_field "$CID" pid)
	grep -qx "$pid" /sys/fs/cgroup/pids/ocitest-$CID/cgroup.procs
	grep -qx "$pid" /sys/fs/cgroup/memory/ocitest-$CID/cgroup.procs
	# in every hierarchy, the unified one and named ones included, whether the runtime
	# placed the init or the init joined by itself (tasks files, CLONE_INTO_CGROUP)
	[ "$(grep -c . /proc/"$pid"/cgroup)" = "$(grep -c . /proc/self/cgroup)" ]
	! grep -v ":/ocitest-$CID\$" /proc/"$pid"/cgroup || false
	rt delete --force "$CID"
	[ ! -d /sys/fs/cgroup/pids/ocitest-$CID ]
	[ ! -d /sys/fs/cgroup/memory/ocitest-$CID ]
}

@test "CVE-2019-5736: a container sharing the host pid ns cannot reach the runtime binary" {
	# No pid namespace and CAP_SYS_PTRACE: the container can see and trace its parent, the
	# runtime; what it finds at /proc/PPID/exe must be a sealed copy, never the host binary.
	edit_config 'del(.linux.namespaces[] | select(.type == "pid"))
		| .process.capabilities.bounding += ["CAP_SYS_PTRACE"] | .process.capabilities.effective += ["CAP_SYS_PTRACE"]
		| .process.capabilities.permitted += ["CAP_SYS_PTRACE"]
		| .process.noNewPrivileges = false'
	bin=$(readlink -f "$(command -v "$RUNTIME")")
	sum=$(sha256sum <"$bin")
	in_container 'readlink /proc/$PPID/exe; { echo pwned >>/proc/$PPID/exe; } 2>/dev/null && echo WRITABLE; true'
	assert_success
	[[ "$output" != *WRITABLE* ]]
	if is_oci_run; then
		# (runc 1.1 clones only its init; its foreground parent is the host binary, busy)
		[ "${lines[0]}" != "$bin" ]
		[[ "${lines[0]}" == *memfd* ]]
	fi
	[ "$(sha256sum <"$bin")" = "$sum" ]
}
