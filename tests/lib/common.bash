# Shared helpers for the bats integration tests: load with `load ../lib/common`.
TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
# The build directory (make O=DIR; absolute, default build/), where the tools are.
OCI_BUILD=${OCI_BUILD:-$TOP/build}
OCI_FETCH=${OCI_FETCH:-$OCI_BUILD/oci-fetch}
OCI_UNPACK=${OCI_UNPACK:-$OCI_BUILD/oci-unpack}
OCI_BUNDLE=${OCI_BUNDLE:-$OCI_BUILD/oci-bundle}
OCI_RUN=${OCI_RUN:-$OCI_BUILD/oci-run}
# The runtime under test; RUNTIME=runc (or crun) runs the same runtime tests against a peer.
RUNTIME=${RUNTIME:-$OCI_RUN}
export TOP OCI_BUILD OCI_FETCH OCI_UNPACK OCI_BUNDLE OCI_RUN RUNTIME
# The tests' python3 is Debian's (tests/lib/deps.sh installs it): a python3 earlier in PATH,
# e.g. a pyenv shim (about 40 processes and half a CPU second per start, against 0.05), is
# shadowed by tests/tmp/bin/python3 -> /usr/bin/python3 (made atomically: files run in parallel).
if [ -x /usr/bin/python3 ] && [ "$(command -v python3)" != /usr/bin/python3 ]; then
	if [ ! -L "$TOP/tests/tmp/bin/python3" ]; then
		mkdir -p "$TOP/tests/tmp/bin"
		ln -sfn /usr/bin/python3 "$TOP/tests/tmp/bin/python3.$$" &&
			mv -Tf "$TOP/tests/tmp/bin/python3.$$" "$TOP/tests/tmp/bin/python3"
	fi
	case ":$PATH:" in *":$TOP/tests/tmp/bin:"*) ;; *) PATH=$TOP/tests/tmp/bin:$PATH ;; esac
	export PATH
fi
# crun on this hybrid cgroup host wants the v1 hugetlb hierarchy, which systemd leaves out.
if [ "$(basename "$RUNTIME")" = crun ] && [ "$(id -u)" = 0 ] &&
	[ -d /sys/fs/cgroup/memory ] && ! mountpoint -q /sys/fs/cgroup/hugetlb; then
	mkdir -p /sys/fs/cgroup/hugetlb &&
		mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb 2>/dev/null || true
fi

# The runtime under test: is_oci_run, is_runc, is_crun. A peer's own behaviour is marked with
# peer_is NAME "REASON" (skip when the peer under test is NAME) or skip_peer "REASON"; both
# name the runtime and its version ("crun 1.8.1: REASON"), so no message names the wrong one.
is_oci_run() {
	[ "$RUNTIME" = "$OCI_RUN" ] || [ "$(basename "$RUNTIME")" = oci-run ]
}
is_runc() {
	[ "$(basename "$RUNTIME")" = runc ]
}
is_crun() {
	[ "$(basename "$RUNTIME")" = crun ]
}
peer_name() {
	local v
	is_oci_run && { echo oci-run; return; }
	v=$("$RUNTIME" --version 2>/dev/null | sed -n '1s/.* version \([0-9][0-9.]*\).*/\1/p')
	echo "$(basename "$RUNTIME") ${v:-(unknown version)}"
}
skip_peer() {
	skip "$(peer_name): $*"
}
peer_is() {
	if [ "$(basename "$RUNTIME")" = "$1" ] && ! is_oci_run; then
		shift
		skip_peer "$@"
	fi
}

# proc_alive PID: the process exists and is not a zombie (a process vanishing between the
# two reads counts as gone).
proc_alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# flock_as_nobody PATH: user nobody holds flock on PATH (a directory others can read) until
# killed or for 60 s; HOLDER is its pid. Returns once the lock is held.
flock_as_nobody() {
	setpriv --reuid 65534 --regid 65534 --clear-groups flock -x "$1" sleep 60 3>&- &
	HOLDER=$!
	wait_until 10 "nobody to hold flock on '$1'" flock_held "$1"
}

# flock_held PATH: another process holds flock on PATH.
flock_held() {
	if flock -n "$1" true; then
		return 1
	fi
}

# wait_gone PID: the process is gone or a zombie within 10 s, or the test fails saying so.
wait_gone() {
	wait_until 10 "process $1 to end" proc_gone "$1"
}

# proc_gone PID: the process is gone or a zombie (tests/lib's proc_alive is not true).
proc_gone() {
	if proc_alive "$1"; then
		return 1
	fi
}

# wait_until SECONDS WHAT CONDITION...: polls CONDITION every 0.05 s until it holds; when it
# has not within SECONDS (wall time), says "timed out after SECONDS s waiting for WHAT" and
# returns 1, which fails the test. A loop that waits with `COND && break` and then carries on
# when COND never came asserts nothing of what it waited for (tests/lint.sh flags one).
# CONDITION is a command and its arguments (`test -e "$f"`, `grep -q ready "$log"`), or one
# string evaluated each time (`'[ "$(readlink /proc/$p/ns/user)" != "$self" ]'`). Call it
# as a command of its own: in an `if`, a `&&` list or `$( )` its failure is not the test's.
wait_until() {
	local _wu_secs=$1 _wu_what=$2 _wu_end
	shift 2
	_wu_end=$((${EPOCHREALTIME/[.,]/} + _wu_secs * 1000000))
	while :; do
		if [ $# = 1 ]; then
			eval "$1" && return 0
		else
			"$@" && return 0
		fi
		if [ "${EPOCHREALTIME/[.,]/}" -ge "$_wu_end" ]; then
			echo "timed out after ${_wu_secs} s waiting for ${_wu_what}" >&2
			return 1
		fi
		sleep 0.05
	done
}

# wait_for_file [-s] PATH [SECONDS]: PATH exists (-s: and is not empty) within SECONDS
# (default 10), or the test fails naming it.
wait_for_file() {
	local t=-e what=
	if [ "$1" = -s ]; then
		t=-s what=" and hold something"
		shift
	fi
	wait_until "${2:-10}" "'$1' to exist$what" test "$t" "$1"
}

# state_root_empty DIR: a runtime's state root holds no container's state. oci-run moves a
# deleted container's emptied directory into DIR/.trash, which the next create empties
# (run/state.h): .trash may be there, holding empty directories only.
state_root_empty() {
	[ -z "$(ls -A "$1" 2>/dev/null | grep -vx .trash)" ] &&
		[ -z "$(find "$1/.trash" -mindepth 2 2>/dev/null)" ]
}

require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs $c"
	done
}

# assert_success / assert_failure after `run`, printing what the command said when they fail.
assert_success() {
	if [ "$status" -ne 0 ]; then
		echo "expected success, got exit $status; output:" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
}

assert_failure() {
	if [ "$status" -eq 0 ]; then
		echo "expected failure, got exit 0; output:" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
	if [ -n "${1:-}" ] && [ "$status" -ne "$1" ]; then
		echo "expected exit $1, got $status; output:" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
}

# assert_output_contains STRING: the last `run` output contains STRING.
assert_output_contains() {
	if [[ "$output" != *"$1"* ]]; then
		echo "output does not contain '$1':" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
}

# assert_one_line_error PROG: the failure printed exactly one line and it starts with "PROG: ".
assert_one_line_error() {
	local n
	n=$(printf '%s\n' "$output" | grep -c .)
	if [ "$n" -ne 1 ] || [[ "$output" != "$1: "* ]]; then
		echo "expected one error line starting with '$1: ', got:" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
}
