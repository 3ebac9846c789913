# Helpers for guest test scripts (busybox sh, run as root by tests/lib/vm/stage2 in the
# share's directory). A guest script only observes: each test gets a directory
# out/<name>/ with one file per observation (a command's output and, in <key>.rc, its exit
# status), and the bats file on the host asserts on them. Every runtime call is bounded,
# and no runtime output is captured with $(...): create/run -d keep stdout open.
# This busybox runs its applets before $PATH: call util-linux's setpriv as /bin/setpriv.
# Under TCG every jq start costs about a second of guest time (it compiles its builtins): a
# bundle's edits are gathered and applied by one jq just before rec or rt runs anything
# (flush; rt flushes only for a command given the bundle), and state fields are read with sed.

OUT=/mnt/host/out
RUNTIME=${RUNTIME:-oci-run}
RT_ROOT=/run/rt
RT_TIMEOUT=${RT_TIMEOUT:-30}
CID=
B=
T=

# t NAME: start the test NAME; what follows records into out/NAME/.
t() {
	T=$OUT/$1
	mkdir -p "$T"
	echo "== $1 at $(cut -d' ' -f1 /proc/uptime)s"
	CID=c-$1
}

# put KEY VALUE...: record a value.
put() {
	local k=$1
	shift
	printf '%s\n' "$*" >"$T/$k"
}

# rec KEY CMD...: run CMD, stdout and stderr into KEY, exit status into KEY.rc. CMD is
# usually rt (bounded); bound any other command that could block.
rec() {
	local k=$1
	shift
	if ! flush >"$T/$k" 2>&1; then
		echo 125 >"$T/$k.rc"
		return
	fi
	"$@" </dev/null >"$T/$k" 2>&1
	echo $? >"$T/$k.rc"
}

# rt ARGS...: the runtime under test with a private state root, bounded.
rt() {
	# only a command given the bundle flushes: state, list, kill... may run while a
	# background run or create applies the edits
	case " $* " in *" -b "* | *" --bundle "*) flush || return 125 ;; esac
	timeout -k 5 "$RT_TIMEOUT" "$RUNTIME" --root "$RT_ROOT" "$@"
}

# json_field FILE FIELD: one top-level scalar of a runtime's state JSON in FILE, read from the
# two-space-indented line "FIELD": VALUE both runtimes print (jq only when there is none).
json_field() {
	local v
	v=$(sed -nE "s/^  \"$2\": \"?([^\",]*)\"?,?\$/\1/p" "$1" 2>/dev/null)
	if [ -n "$v" ]; then
		echo "$v"
	else
		jq -r ".$2" "$1"
	fi
}

# state_field ID FIELD: one field of `state` (through a file, never a pipe kept open).
state_field() {
	rt state "$1" >/tmp/state.json 2>/dev/null </dev/null || return 1
	json_field /tmp/state.json "$2"
}

# wait_status ID STATUS: poll until the container has STATUS (10 s at most).
wait_status() {
	local i=0
	while [ $i -lt 100 ]; do
		[ "$(state_field "$1" status)" = "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# cgroup_of PID: the directory of PID's cgroup in the guest's cgroup2 tree.
cgroup_of() {
	local rel
	rel=$(sed -n 's/^0:://p' "/proc/$1/cgroup")
	[ -n "$rel" ] || return 1
	echo "/sys/fs/cgroup${rel%/}"
}

# make_rootfs DIR: a busybox root filesystem, every applet a link to /bin/busybox. The links
# are made by busybox itself in one process (chroot'ed, so that they name /bin/busybox): an
# ln per applet is 270 fork+execs of coreutils' ln where sh is dash (the systemd guest), about
# 25 s of TCG each time.
make_rootfs() {
	local r=$1
	mkdir -p "$r/bin" "$r/dev" "$r/proc" "$r/sys" "$r/etc" "$r/tmp" "$r/root"
	cp /bin/busybox "$r/bin/busybox"
	chroot "$r" /bin/busybox --install -s /bin || return 1
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
	printf 'root:x:0:\nnobody:x:65534:\n' >"$r/etc/group"
}

# bundle [ARG...]: a fresh bundle $B (the default spec, the shared read-only busybox root,
# no terminal) running ARG... (default: true).
bundle() {
	[ -x /srv/rootfs/bin/busybox ] || make_rootfs /srv/rootfs
	# oci-run's spec for every runtime, so that RUNTIME=runc runs the very same bundles;
	# made once per boot, without a cgroup namespace unless a test adds one (the spec's own
	# is checked apart)
	if [ ! -s /srv/spec.json ]; then
		mkdir -p /srv/spec
		(cd /srv/spec && rm -f config.json && oci-run spec) || return 1
		jq '.root.path = "/srv/rootfs" | .process.terminal = false | .process.args = ["true"] |
			del(.linux.namespaces[] | select(.type == "cgroup"))' /srv/spec/config.json >/srv/spec.json.new &&
			mv /srv/spec.json.new /srv/spec.json || return 1
	fi
	B=/srv/bundles/$CID
	rm -rf "$B"
	mkdir -p "$B"
	cp /srv/spec.json "$B/config.json" || return 1
	if [ $# -gt 0 ]; then
		set_args "$@"
	fi
}

# edit JQ-EXPRESSION: rewrite $B/config.json (at the next flush; the edits of a bundle
# apply in the order given).
edit() {
	printf '| (%s)\n' "$1" >>"$B/.edits"
}

# flush: apply $B's gathered edits with one jq; fails (and keeps config.json) when they do.
flush() {
	[ -n "$B" ] && [ -s "$B/.edits" ] || return 0
	# the filter is ". | (E1) | (E2)..."
	if jq ". $(cat "$B/.edits")" "$B/config.json" >"$B/config.json.new"; then
		rm -f "$B/.edits"
		mv "$B/config.json.new" "$B/config.json"
	else
		echo "guest-lib: the edits of $B failed:" >&2
		cat "$B/.edits" >&2
		rm -f "$B/.edits" "$B/config.json.new"
		return 1
	fi
}

# json_strings ARG...: ARG... as a JSON array of strings (awk; jq -R when an argument holds a
# control character other than tab, newline or carriage return).
json_strings() {
	awk 'BEGIN {
		j = ""
		for (i = 1; i < ARGC; i++) {
			s = ARGV[i]
			if (s ~ /[\001-\010\013\014\016-\037]/) exit 1
			o = ""
			for (k = 1; k <= length(s); k++) {
				c = substr(s, k, 1)
				if (c == "\\" || c == "\"") o = o "\\" c
				else if (c == "\t") o = o "\\t"
				else if (c == "\n") o = o "\\n"
				else if (c == "\r") o = o "\\r"
				else o = o c
			}
			j = j (i > 1 ? "," : "") "\"" o "\""
		}
		print "[" j "]"
	}' "$@" && return
	local a
	for a in "$@"; do printf '%s\n' "$a"; done | jq -R . | jq -s -c .
}

# set_args ARG...: process.args.
set_args() {
	local j
	j=$(json_strings "$@") || return 1
	edit ".process.args = $j"
}

# cleanup: force-delete every container left by the current test.
cleanup() {
	local id
	rt list -q </dev/null >/tmp/ids 2>/dev/null || return 0
	for id in $(cat /tmp/ids); do
		rt delete --force "$id" </dev/null >/dev/null 2>&1
	done
}

# delegate_v2 UID: a cgroup v2 subtree /user$UID owned by UID with memory and pids enabled,
# and a leaf /user$UID/session for its shells, as systemd delegates one to a user session.
delegate_v2() {
	echo "+memory +pids" >/sys/fs/cgroup/cgroup.subtree_control
	mkdir -p "/sys/fs/cgroup/user$1/session"
	echo "+memory +pids" >"/sys/fs/cgroup/user$1/cgroup.subtree_control"
	chown -R "$1:$1" "/sys/fs/cgroup/user$1"
}

# as_user UID SCRIPT: SCRIPT run by sh as UID (no groups, HOME and XDG_RUNTIME_DIR in a
# fresh /tmp/home$UID) from its session cgroup, bounded; stdin from /dev/null.
as_user() {
	mkdir -p "/tmp/home$1"
	chown "$1:$1" "/tmp/home$1"
	HOME=/tmp/home$1 XDG_RUNTIME_DIR=/tmp/home$1 sh -c 'echo $$ >"$1" && shift && exec "$@"' \
		sh "/sys/fs/cgroup/user$1/session/cgroup.procs" \
		timeout -k 5 "$RT_TIMEOUT" /bin/setpriv --reuid "$1" --regid "$1" --clear-groups \
		sh -c "cd /tmp/home$1 && $2" </dev/null
}
