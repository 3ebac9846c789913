#!/usr/bin/env bats
# Rootless podman with oci-run as its runtime (issue 17). podman runs the runtime inside its
# own user namespace, where the effective uid is 0: oci-run must still see itself as rootless
# (runc's rule), keep its state under $XDG_RUNTIME_DIR and use no cgroup that was not
# delegated. An ordinary user made for this file runs podman with its own storage; the
# runtime is a wrapper that logs its arguments and execs $RUNTIME (RUNTIME=runc runs the same
# scenarios against runc). Offline: the busybox image is loaded from tests/lib/mkimage.py.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/tmux
load 40-run-lib

IMG=localhost/busybox:test

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	command -v podman >/dev/null && command -v conmon >/dev/null && command -v newuidmap >/dev/null || return 0
	export PU=ocit$$p
	userdel -r -f "$PU" >/dev/null 2>&1 || true
	useradd -m -s /bin/sh "$PU"
	local uid
	uid=$(id -u "$PU")
	grep -q "^$PU:" /etc/subuid || usermod --add-subuids "$((300000 + uid * 65536))-$((300000 + uid * 65536 + 65535))" "$PU"
	grep -q "^$PU:" /etc/subgid || usermod --add-subgids "$((300000 + uid * 65536))-$((300000 + uid * 65536 + 65535))" "$PU"
	export PU_RUN=/run/user/$uid
	rm -rf "$PU_RUN"
	install -d -m 0700 -o "$PU" -g "$PU" "$PU_RUN"
	PW=$(mktemp -d /tmp/oci-pmrootless.XXXXXX)
	chmod 0755 "$PW"
	export PW
	# the runtime: logs how podman called it and with which uid map, then execs the runtime
	cat >"$PW/runtime" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>'$PW/runtime.log'
exec '$RUNTIME' "\$@"
EOF
	chmod 0755 "$PW/runtime"
	install -m 0666 /dev/null "$PW/runtime.log"
	python3 "$TOP/tests/lib/mkimage.py" "$PW/image" --oci-archive "$PW/busybox.tar" >/dev/null
	chmod -R a+rX "$PW"
	pu podman load -i "$PW/busybox.tar" >/dev/null
	pu podman tag localhost/latest:latest "$IMG"
}

teardown_file() {
	[ -n "${PU:-}" ] || return 0
	pu podman rm -af -t 0 >/dev/null 2>&1 || true
	pu podman system reset -f >/dev/null 2>&1 || true
	pkill -KILL -u "$PU" 2>/dev/null || true
	userdel -r -f "$PU" >/dev/null 2>&1 || true
	rm -rf "$PU_RUN" "$PW"
}

setup() {
	require_root
	require_cmd podman conmon newuidmap slirp4netns
	[ -n "${PU:-}" ]
	: >"$PW/runtime.log"
}

teardown() {
	pu podman rm -af -t 0 >/dev/null 2>&1 || true
	cleanup_containers
	[ -z "${TMUX_SESSION:-}" ] || tmux kill-session -t "$TMUX_SESSION" 2>/dev/null || true
}

# pu CMD...: CMD as the test user, in a login-like environment, bounded in time.
pu() {
	timeout -k 5 60 runuser -u "$PU" -- env -i HOME="/home/$PU" USER="$PU" XDG_RUNTIME_DIR="$PU_RUN" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin "$@"
}

# pm ARGS: rootless podman with the logging runtime wrapper.
pm() {
	pu podman --runtime "$PW/runtime" --cgroup-manager cgroupfs --events-backend file "$@"
}

@test "rootless podman run: oci-run runs as uid 0 of podman's user namespace, its state under \$XDG_RUNTIME_DIR" {
	run pm run --rm --network none "$IMG" sh -c 'echo hello; id -u'
	assert_success
	[ "${lines[0]}" = hello ]
	[ "${lines[1]}" = 0 ]
	grep -Eq '^create --bundle .* [0-9a-f]{64}$' "$PW/runtime.log"
	grep -Eq '^delete --force [0-9a-f]{64}$' "$PW/runtime.log"
	if is_oci_run; then
		# the default root was chosen inside podman's namespace, and nothing is left in it
		[ -d "$PU_RUN/oci-run" ]
		# no container directory is left (the seccomp cache is kept, as in any root)
		[ -z "$(ls "$PU_RUN/oci-run")" ]
		[ ! -e /run/oci-run/"$(tail -1 "$PW/runtime.log" | awk '{print $NF}')" ]
	fi
}

@test "rootless podman run -d, exec, exec -u, stop, rm" {
	pm run -d --network none --name r1 "$IMG" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done' >/dev/null
	run pm exec r1 id -u
	assert_success
	[ "$output" = 0 ]
	run pm exec -u 1000 r1 id -u
	assert_success
	[ "$output" = 1000 ]
	# uid 1000 inside is a subordinate id outside, not the user itself nor root
	pid=$(pm inspect --format '{{.State.Pid}}' r1)
	host_uid=$(awk '/^Uid:/ {print $2}' /proc/"$pid"/status)
	[ "$host_uid" = "$(id -u "$PU")" ]
	run pm stop -t 5 r1
	assert_success
	[ "$(pm inspect --format '{{.State.ExitCode}}' r1)" = 0 ]
	run pm rm r1
	assert_success
}

@test "rootless podman --userns keep-id and --uidmap" {
	run pm run --rm --network none --userns keep-id "$IMG" id -u
	assert_success
	[ "$output" = "$(id -u "$PU")" ]
	run pm run --rm --network none --uidmap 0:1:1000 "$IMG" sh -c 'id -u; cat /proc/self/uid_map'
	assert_success
	[ "${lines[0]}" = 0 ]
	[[ "${lines[1]}" =~ ^\ *0\ +1\ +1000$ ]]
}

@test "rootless podman -p: a port published through slirp4netns/rootlessport reaches the container" {
	port=$((20000 + RANDOM % 20000))
	pm run -d --name web -p "127.0.0.1:$port:8080" "$IMG" httpd -f -p 8080 -h /etc >/dev/null
	wait_until 10 "httpd to serve /passwd on port $port" 'out=$(curl -s --max-time 2 "http://127.0.0.1:$port/passwd") && [ -n "$out" ]'
	[[ "$out" == root:x:0:0:* ]]
}

@test "rootless podman --memory without a delegated cgroup: podman says why, and nothing is applied or left" {
	run pm run --rm --network none --memory 100m "$IMG" echo ran
	# podman drops the limit itself on cgroup v1 rootless (as with runc) and says so
	assert_output_contains "not supported"
	assert_output_contains ran
	# oci-run never tried the host's cgroup tree
	! find /sys/fs/cgroup -maxdepth 3 -type d -name '*libpod*' -newer "$PW/runtime.log" 2>/dev/null | grep -q . || false
}

@test "rootless podman run -it: a terminal through conmon, input and exit status" {
	require_cmd tmux
	cmd="runuser -u $PU -- env -i HOME=/home/$PU USER=$PU XDG_RUNTIME_DIR=$PU_RUN PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin TERM=xterm podman --runtime $PW/runtime --cgroup-manager cgroupfs --events-backend file"
	tmux_shell ocipmr$$ "$cmd run -it --rm --network none $IMG sh" "$PW/it-status" \
		'echo answer=$((6*7))' 7
	assert_output_contains answer=42
	[ "$(cat "$PW/it-status")" = exit-status=7 ]
	grep -Eq '^create --bundle .* --console-socket ' "$PW/runtime.log"
}

@test "oci-run --rootless: true, false and auto are honoured; another value is an error" {
	is_oci_run || skip_peer "oci-run's own global option"
	# uid 0 in podman's user namespace: auto is rootless, so the default state root is the
	# user's, which it can create (the host's /run/oci-run it cannot)
	run pu podman unshare sh -c "'$OCI_RUN' list -q && test -d '$PU_RUN/oci-run' && echo xdg-root"
	assert_success
	assert_output_contains xdg-root
	# as the host's root: --rootless true writes no device cgroup rules (a rootless runtime
	# cannot), false and auto write runc's restricted list
	setup_bundle
	set_args sleep 100
	for mode in true false auto; do
		rt --rootless "$mode" run -d --bundle "$B" "$CID-$mode" </dev/null >/dev/null 2>&1
		pid=$(rt_state_field "$CID-$mode" pid)
		list=/sys/fs/cgroup/devices"$(awk -F: '$2 == "devices" {print $3}' /proc/"$pid"/cgroup)"/devices.list
		if [ "$mode" = true ]; then
			grep -qx 'a \*:\* rwm' "$list"
		else
			! grep -qx 'a \*:\* rwm' "$list" || false
			grep -qx 'c 1:3 rwm' "$list"
		fi
		rt delete --force "$CID-$mode"
	done
	run rt --rootless maybe list
	assert_failure
	assert_output_contains "--rootless: 'maybe' is not true, false or auto"
}
