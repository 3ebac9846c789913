#!/usr/bin/env bats
# Rootless end to end (issue 7): an ordinary user created for the test fetches from the test
# registry into its own cache, unpacks, writes a rootless spec and runs the container with
# oci-run, which makes the user namespace itself (newuidmap/newgidmap for wider mappings),
# uses no cgroup unless one was delegated, and keeps each user's containers to that user.

load ../lib/common
load ../lib/tmux
load ../lib/registry
load ../lib/images

# Users named after this run, so two runs of the suite on one machine never share them.
setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	export U1=ocit$$a U2=ocit$$b
	local u uid
	for u in $U1 $U2; do
		userdel -r -f "$u" >/dev/null 2>&1 || true
		useradd -m -s /bin/sh "$u"
		uid=$(id -u "$u")
		# useradd gives a subordinate range from login.defs; make sure there is one.
		grep -q "^$u:" /etc/subuid || usermod --add-subuids "$((300000 + uid * 65536))-$((300000 + uid * 65536 + 65535))" "$u"
		grep -q "^$u:" /etc/subgid || usermod --add-subgids "$((300000 + uid * 65536))-$((300000 + uid * 65536 + 65535))" "$u"
		rm -rf "/run/user/$uid"
		mkdir -p "/run/user/$uid"
		chown "$u:$u" "/run/user/$uid"
		chmod 0700 "/run/user/$uid"
	done
	W=$(mktemp -d /tmp/oci-rootless.XXXXXX)
	chmod 0755 "$W"
	export W
	registry_start
	image_push_busybox rootless/busybox latest >/dev/null
	image_push_busybox rootless/features latest --features >/dev/null
}

teardown_file() {
	[ "$(id -u)" = 0 ] || return 0
	local u root id
	for u in $U1 $U2; do
		id -u "$u" >/dev/null 2>&1 || continue
		if [ -f "$W/roots" ]; then
			while read -r root; do
				for id in $(as_user "$u" "$OCI_RUN" --root "$root" list -q 2>/dev/null); do
					as_user "$u" "$OCI_RUN" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
				done
			done <"$W/roots"
		fi
	done
	registry_stop
	for u in $U1 $U2; do
		id -u "$u" >/dev/null 2>&1 || continue
		rm -rf "/run/user/$(id -u "$u")"
		userdel -r -f "$u" >/dev/null 2>&1 || true
	done
	rm -rf "$W"
}

setup() {
	require_root
	require_cmd runuser newuidmap newgidmap jq
	# Only a kernel that forbids unprivileged user namespaces is a reason to skip.
	as_user $U1 unshare -U true >/dev/null 2>&1 ||
		skip "unprivileged user namespaces are forbidden here (unshare -U as $U1 fails)"
	T=$W/t$BATS_TEST_NUMBER
	mkdir -p "$T"
	chown $U1:$U1 "$T"
	UID1=$(id -u $U1)
	GID1=$(id -g $U1)
}

teardown() {
	[ -z "${TMUX_SESSION:-}" ] || tmux kill-session -t "$TMUX_SESSION" 2>/dev/null || true
	[ -n "${T:-}" ] && [ -f "$W/roots" ] || return 0
	local root id u
	for u in $U1 $U2; do
		while read -r root; do
			for id in $(as_user "$u" "$OCI_RUN" --root "$root" list -q 2>/dev/null); do
				as_user "$u" "$OCI_RUN" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
			done
		done <"$W/roots"
	done
	if [ -n "${DELEGATED:-}" ] && [ -d "$DELEGATED" ]; then
		find "$DELEGATED" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
		rmdir "$DELEGATED" 2>/dev/null || true
	fi
}

# as_user USER CMD...: CMD as USER with a clean environment of its own (HOME, XDG_RUNTIME_DIR).
as_user() {
	local u=$1
	shift
	runuser -u "$u" -- env -i HOME="/home/$u" XDG_RUNTIME_DIR="/run/user/$(id -u "$u")" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin "$@"
}

# urt USER [--root DIR] ARGS...: oci-run as USER in the bundle $B (the state root is recorded
# so that teardown can clean what a failed test left).
urt() {
	local u=$1
	shift
	if [ "$1" = --root ]; then
		grep -qxF "$2" "$W/roots" 2>/dev/null || echo "$2" >>"$W/roots"
	fi
	(cd "${B:-/}" && as_user "$u" "$OCI_RUN" "$@")
}

# user_bundle DIR REPO: the issue's workflow as $U1: mkdir rootfs, oci-fetch | oci-unpack,
# oci-bundle spec --rootless; then terminal off. Sets B.
user_bundle() {
	B=$1
	as_user $U1 sh -c "mkdir -p '$B/rootfs' && cd '$B' &&
		'$OCI_FETCH' -q '$REGISTRY/$2:latest' | '$OCI_UNPACK' -q rootfs && '$OCI_BUNDLE' spec --rootless"
	ucfg '.process.terminal = false'
}

# ucfg JQ: edit $B/config.json in place, keeping its owner.
ucfg() {
	jq "$1" "$B/config.json" >"$B/config.json.new"
	cat "$B/config.json.new" >"$B/config.json"
	rm -f "$B/config.json.new"
}

uargs() {
	local j
	j=$(printf '%s\n' "$@" | jq -R . | jq -s .)
	ucfg ".process.args = $j"
}

# udetached USER ARGS...: like `run urt` for commands that leave a container running (create,
# run -d): stdio are files, so the container holds no pipe of bats open; sets status, output.
udetached() {
	status=0
	urt "$@" </dev/null >"$T/detached.out" 2>"$T/detached.err" || status=$?
	output=$(cat "$T/detached.out" "$T/detached.err")
}

# ustatus USER ROOT ID: the container's status as USER sees it.
ustatus() {
	urt "$1" --root "$2" state "$3" | jq -r .status
}

wait_ustatus() {
	local i
	for i in $(seq 100); do
		[ "$(ustatus "$1" "$2" "$3" 2>/dev/null)" = "$4" ] && return 0
		sleep 0.05
	done
	echo "container $3 never reached $4 (now: $(ustatus "$1" "$2" "$3" 2>&1))" >&2
	return 1
}

# subid FILE USER: the first subordinate id of USER.
subid() {
	awk -F: -v u="$2" '$1 == u { print $2; exit }' "$1"
}

@test "rootless: fetch | unpack, spec --rootless, run: uid 0 inside is the user outside" {
	user_bundle "$T/b" rootless/busybox
	# the user's own blob cache, files owned by the user
	[ -n "$(find /home/$U1/.cache/oci-toolkit -type f -user $U1 | head -1)" ]
	[ -z "$(find "$B/rootfs" ! -user $U1 | head -1)" ]
	jq -e '.linux.namespaces | map(.type) | index("user") and (index("network") | not)' "$B/config.json"
	uargs sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; ls -ln /bin/busybox'
	run urt $U1 --root "$T/state" run c1
	assert_success
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[ "$(echo ${lines[2]})" = "0 $UID1 1" ]
	[ "$(echo ${lines[3]})" = "0 $GID1 1" ]
	[ "${lines[4]}" = deny ]
	# the user's files are root's inside
	[[ "${lines[5]}" =~ ^-rwxr-xr-x\ +1\ 0\ +0\  ]]
	# nothing left: no state, no cgroup of the container
	[ -d "$T/state" ]
	state_root_empty "$T/state"
	[ "$(stat -c %a "$T/state")" = 700 ]
	! ls -d /sys/fs/cgroup/*/oci-run/c1 2>/dev/null || false
}

@test "rootless lifecycle: create, list, start, state, kill, delete under \$XDG_RUNTIME_DIR/oci-run" {
	user_bundle "$T/b" rootless/busybox
	uargs sh -c 'sleep 100 & sleep 100 & wait'
	XR=/run/user/$UID1/oci-run
	echo "$XR" >>"$W/roots"
	udetached $U1 create c2
	assert_success
	# the default root of an unprivileged user, 0700 all the way
	[ "$(stat -c '%U %a' "$XR")" = "$U1 700" ]
	[ "$(stat -c '%U %a' "$XR/c2")" = "$U1 700" ]
	run urt $U1 list
	assert_success
	[[ "${lines[1]}" =~ ^c2\ +[1-9][0-9]*\ +created\ +$B\ +.*\ $U1$ ]]
	run urt $U1 start c2
	assert_success
	run urt $U1 state c2
	assert_success
	[ "$(jq -r .status <<<"$output")" = running ]
	pid=$(jq -r .pid <<<"$output")
	# uid 0 in a user namespace of its own is the user on the host
	[ "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" = "$UID1" ]
	[ "$(readlink /proc/$pid/ns/user)" != "$(readlink /proc/self/ns/user)" ]
	# a busybox sh as pid 1 ignores TERM: only kill --all stops the sleeps and so the init
	run urt $U1 kill c2 TERM
	assert_success
	sleep 0.3
	[ "$(ustatus $U1 "$XR" c2)" = running ]
	run urt $U1 kill --all c2 TERM
	assert_success
	wait_ustatus $U1 "$XR" c2 stopped
	run urt $U1 delete c2
	assert_success
	[ ! -e "$XR/c2" ]
	run urt $U1 list -q
	assert_success
	[ -z "$output" ]
}

@test "another user cannot list, state, kill or delete a user's containers" {
	user_bundle "$T/b" rootless/busybox
	uargs sleep 100
	R=$T/state
	udetached $U1 --root "$R" create c3
	assert_success
	# the state root is the first user's, 0700: the second user cannot even open it
	run urt $U2 --root "$R" list
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "Permission denied"
	for cmd in "state c3" "kill c3 KILL" "delete --force c3" "start c3"; do
		run urt $U2 --root "$R" $cmd
		assert_failure
		assert_one_line_error oci-run
	done
	# a root both may write (mode 1777, like /tmp): the container directory is still 0700 and
	# its owner is checked, also for root, whose delete must not act on a user's state
	P=$T/public
	mkdir -m 1777 "$P"
	udetached $U1 --root "$P" create c4
	assert_success
	run urt $U2 --root "$P" list -q
	assert_success
	[ -z "$output" ]
	for cmd in "state c4" "kill c4 KILL" "delete --force c4" "start c4"; do
		run urt $U2 --root "$P" $cmd
		assert_failure
		assert_one_line_error oci-run
		assert_output_contains "container 'c4' belongs to uid $UID1"
	done
	udetached $U2 --root "$P" create c4
	assert_failure
	assert_output_contains "already exists"
	run "$OCI_RUN" --root "$P" delete --force c4
	assert_failure
	assert_output_contains "belongs to uid $UID1"
	# untouched by all of that
	[ "$(ustatus $U1 "$R" c3)" = created ]
	[ "$(ustatus $U1 "$P" c4)" = created ]
	run urt $U1 --root "$P" delete c4
	assert_success
	run urt $U1 --root "$R" delete c3
	assert_success
}

@test "several uids: a multi-layer image run with a wider mapping through newuidmap/newgidmap" {
	user_bundle "$T/b" rootless/features
	S=$(subid /etc/subuid $U1)
	G=$(subid /etc/subgid $U1)
	[ -n "$S" ]
	[ -n "$G" ]
	ucfg ".root.readonly = false
		| .linux.uidMappings = [{containerID: 0, hostID: $UID1, size: 1}, {containerID: 1, hostID: $S, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: $GID1, size: 1}, {containerID: 1, hostID: $G, size: 65536}]"
	# An unprivileged unpack keeps the image's owners in user.rootlesscontainers; root in the
	# container (a wider mapping) gives the files those owners back.
	python3 - "$B/rootfs" >"$B/fix.sh" <<'EOF'
import os, sys
root = sys.argv[1]
def varints(b):
    out, i = {}, 0
    while i < len(b):
        key = b[i]; i += 1
        v = s = 0
        while True:
            c = b[i]; i += 1
            v |= (c & 0x7f) << s; s += 7
            if not c & 0x80: break
        out[key >> 3] = v
    return out
for d, dirs, files in os.walk(root):
    for n in dirs + files:
        p = os.path.join(d, n)
        try:
            x = varints(os.getxattr(p, "user.rootlesscontainers", follow_symlinks=False))
        except OSError:
            continue
        print("chown -h %d:%d '%s'" % (x.get(1, 0), x.get(2, 0), "/" + os.path.relpath(p, root)))
EOF
	grep -q "chown -h 1000:1000 '/feat/owned-1000'" "$B/fix.sh"
	grep -q "chown -h 2000:2000 '/feat/owned-2000'" "$B/fix.sh"
	cp "$B/fix.sh" "$B/rootfs/fix.sh"
	# runc's default capabilities lack CAP_CHOWN: give it to root in the container for this
	ucfg '.process.capabilities |= map_values(. + ["CAP_CHOWN"])'
	uargs sh -c 'cat /proc/self/uid_map /proc/self/gid_map && sh /fix.sh && stat -c "%u:%g" /feat/owned-1000 /feat/owned-2000'
	run urt $U1 --root "$T/state" run c5
	assert_success
	[ "$(echo ${lines[0]})" = "0 $UID1 1" ]
	[ "$(echo ${lines[1]})" = "1 $S 65536" ]
	[ "$(echo ${lines[2]})" = "0 $GID1 1" ]
	[ "$(echo ${lines[3]})" = "1 $G 65536" ]
	[ "${lines[4]}" = 1000:1000 ]
	[ "${lines[5]}" = 2000:2000 ]
	# on the host those owners are the user's subordinate ids
	[ "$(stat -c %u:%g "$B/rootfs/feat/owned-1000")" = "$((S + 999)):$((G + 999))" ]
	[ "$(stat -c %u:%g "$B/rootfs/feat/owned-2000")" = "$((S + 1999)):$((G + 1999))" ]
	# the image's user 1000 reads its own file, not user 2000's
	ucfg '.process.user = {uid: 1000, gid: 1000}'
	uargs sh -c 'id -u; cat /feat/owned-1000; cat /feat/owned-2000 2>&1; echo rc=$?'
	run urt $U1 --root "$T/state" run c6
	assert_success
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = "owned by 1000" ]
	[[ "${lines[2]}" == *"Permission denied"* ]]
	[ "${lines[3]}" = rc=1 ]
	# a range that is not the user's is refused by newuidmap, in one line, leaving nothing
	ucfg '.linux.uidMappings[1].hostID = 7000000'
	run urt $U1 --root "$T/state" run c7
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "newuidmap"
	assert_output_contains "/etc/subuid"
	state_root_empty "$T/state"
}

@test "rootless cgroups: none without delegation, resources then fail clearly, a delegated one is used" {
	user_bundle "$T/b" rootless/busybox
	uargs sleep 100
	# resources need a cgroup the user may write
	ucfg '.linux.resources = {pids: {limit: 10}}'
	udetached $U1 --root "$T/state" run -d c8
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "linux.resources.pids"
	state_root_empty "$T/state"
	# a cgroup delegated to the user (v1 pids hierarchy here) is used without resources
	mountpoint -q /sys/fs/cgroup/pids && [ -w /sys/fs/cgroup/pids ] ||
		skip "no cgroup v1 pids hierarchy to delegate"
	DELEGATED=/sys/fs/cgroup/pids/ocitest-$$
	mkdir -p "$DELEGATED"
	chown -R $U1:$U1 "$DELEGATED"
	ucfg "del(.linux.resources) | .linux.cgroupsPath = \"/ocitest-$$/c9\""
	udetached $U1 --root "$T/state" run -d c9
	assert_success
	pid=$(urt $U1 --root "$T/state" state c9 | jq -r .pid)
	grep -qx "$pid" "$DELEGATED/c9/cgroup.procs"
	run urt $U1 --root "$T/state" delete --force c9
	assert_success
	[ ! -e "$DELEGATED/c9" ]
	rmdir "$DELEGATED"
}

@test "rootless /dev and /sys: host device nodes bound in, /sys the host's read-only" {
	user_bundle "$T/b" rootless/busybox
	uargs sh -c 'stat -c "%F %t:%T" /dev/null /dev/zero /dev/tty; echo hi >/dev/null && echo null-ok; grep -c " /dev/null " /proc/self/mountinfo; touch /sys/x 2>&1; grep " /sys " /proc/self/mountinfo'
	run urt $U1 --root "$T/state" run c10
	assert_success
	[ "${lines[0]}" = "character special file 1:3" ]
	[ "${lines[1]}" = "character special file 1:5" ]
	[ "${lines[2]}" = "character special file 5:0" ]
	[ "${lines[3]}" = null-ok ]
	# a bind mount, not a node made in the container (mknod is not allowed there)
	[ "${lines[4]}" = 1 ]
	assert_output_contains "Read-only file system"
	[[ "${lines[6]}" == *" /sys ro,"* ]]
}

@test "unprivileged user namespaces forbidden: the error names the sysctl, nothing is left" {
	user_bundle "$T/b" rootless/busybox
	# A user namespace (ids mapped 1:1) where user.max_user_namespaces is 0: the user's
	# runtime cannot create one inside, as on a host where the knob is 0.
	cat >"$T/nouserns.sh" <<'EOF'
uid=$1 gid=$2; shift 2
# the inner shell is exec'd once the map is written: only then does it have capabilities
unshare -U sh -c 'while ! grep -q 65536 /proc/self/uid_map; do sleep 0.01; done
exec sh -c "echo 0 >/proc/sys/user/max_user_namespaces && exec setpriv --reuid='"$uid"' --regid='"$gid"' --clear-groups \"\$@\"" sh "$@"' sh "$@" &
p=$!
self=$(readlink /proc/self/ns/user)
i=0
until [ "$(readlink /proc/$p/ns/user)" != "$self" ]; do
	i=$((i + 1))
	[ $i -le 500 ] || { echo "nouserns.sh: no new user namespace in 5 s" >&2; exit 1; }
	sleep 0.01
done
echo "0 0 65536" >/proc/$p/uid_map && echo "0 0 65536" >/proc/$p/gid_map
wait $p
EOF
	run bash -c "cd '$B' && bash '$T/nouserns.sh' $UID1 $GID1 env XDG_RUNTIME_DIR=/run/user/$UID1 '$OCI_RUN' --root '$T/state' run c11"
	assert_failure
	assert_one_line_error oci-run
	assert_output_contains "cannot create a user namespace"
	assert_output_contains "user.max_user_namespaces"
	state_root_empty "$T/state"
}

@test "rootless: the default terminal config of spec --rootless runs interactively under tmux" {
	require_cmd tmux
	user_bundle "$T/b" rootless/busybox
	ucfg '.process.terminal = true | .process.args = ["sh"]'
	echo "$T/state" >>"$W/roots"
	tmux_shell ocirl$$ "cd '$B' && runuser -u $U1 -- env -i HOME=/home/$U1 XDG_RUNTIME_DIR=/run/user/$UID1 '$OCI_RUN' --root '$T/state' run c12" \
		"$T/status" 'echo answer=$((6*7)) uid=$(id -u); stty size; tty' 4
	assert_output_contains "answer=42 uid=0"
	assert_output_contains "30 100"
	assert_output_contains /dev/pts/0
	[ "$(cat "$T/status")" = exit-status=4 ]
}
