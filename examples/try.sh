#!/usr/bin/env bash
# make try / make try-stop: a local registry (Debian's docker-registry on a free loopback port)
# serving two small images built from the host's busybox-static, left running so that every
# example of the README can be tried offline; it prints the lines to paste into a shell.
#   demo/busybox  Cmd: a greeting (sh -c ...)
#   demo/echo     Entrypoint ["/bin/echo", "echo:"], Cmd ["hello"]
# Its files live in OCI_TRY_DIR (default /run/oci-toolkit-try as root, else
# $XDG_RUNTIME_DIR/oci-toolkit-try); `try.sh stop` stops the registry and removes them.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${OCI_BUILD:-$TOP/build}
if [ "$(id -u)" = 0 ]; then
	DIR=${OCI_TRY_DIR:-/run/oci-toolkit-try}
else
	DIR=${OCI_TRY_DIR:-${XDG_RUNTIME_DIR:?set XDG_RUNTIME_DIR or OCI_TRY_DIR}/oci-toolkit-try}
fi

running() {
	[ -f "$DIR/env" ] && [ -f "$DIR/owner.pid" ] && kill -0 "$(cat "$DIR/owner.pid")" 2>/dev/null
}

stop() {
	if [ -f "$DIR/owner.pid" ]; then
		kill "$(cat "$DIR/owner.pid")" 2>/dev/null || true
	fi
	if [ -f "$DIR/env" ]; then
		# shellcheck source=../tests/lib/registry.bash
		source "$TOP/tests/lib/registry.bash"
		registry_stop "$(. "$DIR/env" && echo "$REGISTRY_DIR")"
	fi
	rm -rf "$DIR"
}

show() {
	# shellcheck disable=SC1091
	. "$DIR/env"
	cat <<EOT
A registry with demo/busybox and demo/echo runs at $REGISTRY ('make try-stop' stops it).
Paste this into a shell, then try the README's examples (try-stop removes $DIR/work):

  export PATH=$BUILD:\$PATH REGISTRY=$REGISTRY
  cd $DIR/work
  oci-fetch \$REGISTRY/demo/busybox | oci-unpack --bundle mycontainer
  cd mycontainer && oci-run run try-1
EOT
}

case ${1:-start} in
stop)
	stop
	echo "try: registry stopped, $DIR removed"
	;;
start)
	if running; then
		show
		exit 0
	fi
	stop
	mkdir -p "$DIR/work"
	[ -x "$BUILD/oci-fetch" ] || { echo "try: build the tools first (make)" >&2; exit 1; }
	# The registry's owner stays alive (registry.bash stops the registry when its owner goes).
	# shellcheck disable=SC2016
	setsid bash -c '
		set -e
		export TMPDIR=$1
		source "$2/tests/lib/registry.bash"
		source "$2/tests/lib/images.bash"
		registry_start plain
		image_push_busybox demo/busybox latest \
			--cmd "[\"/bin/sh\",\"-c\",\"echo Hello from an oci-toolkit container, pid \$\$\"]" >/dev/null
		image_push_busybox demo/echo latest --entrypoint "[\"/bin/echo\",\"echo:\"]" --cmd "[\"hello\"]" >/dev/null
		cp "$REGISTRY_DIR/env" "$1/env"
		echo $BASHPID >"$1/owner.pid"
		exec sleep infinity
	' try "$DIR" "$TOP" </dev/null >"$DIR/try.log" 2>&1 &
	for _ in $(seq 300); do
		running && break
		kill -0 $! 2>/dev/null || break
		sleep 0.1
	done
	if ! running; then
		echo "try: the registry did not start:" >&2
		cat "$DIR/try.log" >&2
		stop
		exit 1
	fi
	show
	;;
*)
	echo "usage: examples/try.sh [start|stop]" >&2
	exit 1
	;;
esac
