# Container engines driving oci-run as their OCI runtime (tests/integration/6x-*.bats):
# podman (through conmon) and a private containerd (through its runc v2 shim), each with its
# own storage and state under one short temporary directory, fed offline with the busybox
# image of tests/lib/mkimage.py. Load with `load ../lib/peers` after `load ../lib/common`.
#
# Every runtime invocation goes through a wrapper that logs its arguments to $PEER_DIR/runtime.log
# and execs $RUNTIME (oci-run, or the peer of RUNTIME=runc / crun), so a test can prove which
# runtime the engine really used and how.

# peers_init NAME: $PEER_DIR (short: unix socket paths are limited to 108 bytes), the runtime
# wrapper $PEER_RUNTIME, the busybox oci-archive $PEER_IMAGE_TAR. Call from setup_file.
peers_init() {
	PEER_DIR=$(mktemp -d "/tmp/oci-$1.XXXXXX")
	PEER_RUNTIME=$PEER_DIR/oci-run-wrapper
	PEER_IMAGE_TAR=$PEER_DIR/busybox.tar
	# podman calls the runtime without --root: the wrapper adds a private one (a later --root,
	# as containerd's shim passes, wins).
	cat >"$PEER_RUNTIME" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>'$PEER_DIR/runtime.log'
exec '$RUNTIME' --root '$PEER_DIR/oci-run-state' "\$@"
EOF
	chmod 755 "$PEER_RUNTIME"
	python3 "$TOP/tests/lib/mkimage.py" "$PEER_DIR/image" --oci-archive "$PEER_IMAGE_TAR" >/dev/null
	export PEER_DIR PEER_RUNTIME PEER_IMAGE_TAR
}

# peers_cleanup_dir: unmount whatever is left below $PEER_DIR (deepest first), remove it.
peers_cleanup_dir() {
	[ -n "${PEER_DIR:-}" ] && [ -d "$PEER_DIR" ] || return 0
	local m
	for m in $(awk -v d="$PEER_DIR" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf "$PEER_DIR"
}

# peers_mounts: mount points left below $PEER_DIR (none expected once an engine cleaned up).
peers_mounts() {
	awk -v d="$PEER_DIR" 'index($5, d "/") == 1 {print $5}' /proc/self/mountinfo
}

# runtime_log_has PATTERN: a runtime invocation matching the extended regex was logged.
runtime_log_has() {
	grep -Eq -- "$1" "$PEER_DIR/runtime.log" || {
		echo "no runtime invocation matches '$1'; log:" >&2
		cat "$PEER_DIR/runtime.log" >&2
		return 1
	}
}

# --- podman ------------------------------------------------------------------------------

# podman_init: storage, run root, containers.conf, and the image loaded as localhost/busybox:test.
podman_init() {
	mkdir -p "$PEER_DIR/podman/tmp"
	# podman asks for RLIMIT_NOFILE/NPROC hard limits of 1048576/32768 for root containers; a
	# runtime can only raise a hard limit with CAP_SYS_RESOURCE. Where the bounding set lacks
	# it (some CI sandboxes), ask for limits that every runtime can set.
	local conf=$PEER_DIR/podman/containers.conf
	echo '[containers]' >"$conf"
	if ! capsh --has-p=cap_sys_resource 2>/dev/null; then
		echo 'default_ulimits = ["nofile=4096:4096", "nproc=16384:16384"]' >>"$conf"
	fi
	export CONTAINERS_CONF=$conf
	pm load -i "$PEER_IMAGE_TAR" >/dev/null
	pm tag localhost/latest:latest localhost/busybox:test
}

# pm ARGS: podman with this test file's storage and oci-run as its runtime.
pm() {
	podman --root "$PEER_DIR/podman/root" --runroot "$PEER_DIR/podman/run" --tmpdir "$PEER_DIR/podman/tmp" \
		--runtime "$PEER_RUNTIME" --cgroup-manager cgroupfs --events-backend file \
		--storage-driver overlay "$@"
}

# podman_cleanup: remove every container, then the storage.
podman_cleanup() {
	[ -n "${PEER_DIR:-}" ] && [ -d "$PEER_DIR/podman" ] || return 0
	pm rm -af -t 0 >/dev/null 2>&1 || true
	pm system reset -f >/dev/null 2>&1 || true
	# podman's cgroupfs parent (and its conmon group) when nothing uses them any more
	# (rmdir fails on a cgroup that has processes or children)
	find /sys/fs/cgroup -maxdepth 3 -depth -type d -path '*/libpod_parent*' -exec rmdir {} \; 2>/dev/null || true
}

# --- containerd --------------------------------------------------------------------------

# containerd_start: a private containerd (own root, state and sockets, no CRI), the image
# imported as localhost/busybox:latest in namespace $CTR_NS. Call from setup_file.
containerd_start() {
	CTR_SOCK=$PEER_DIR/containerd.sock
	CTR_NS=oci-test-$$
	CTR_RUNC_ROOT=$PEER_DIR/runc-root
	cat >"$PEER_DIR/containerd.toml" <<EOF
version = 2
root = "$PEER_DIR/root"
state = "$PEER_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$CTR_SOCK"
[ttrpc]
  address = "$CTR_SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
EOF
	containerd --config "$PEER_DIR/containerd.toml" >"$PEER_DIR/containerd.log" 2>&1 &
	CTR_PID=$!
	wait_until 10 "containerd to answer on $CTR_SOCK" '[ -S "$CTR_SOCK" ] && ctr --address "$CTR_SOCK" version >/dev/null 2>&1' || {
		tail -20 "$PEER_DIR/containerd.log" >&2
		return 1
	}
	export CTR_SOCK CTR_NS CTR_RUNC_ROOT CTR_PID
	cr images import --base-name localhost/busybox "$PEER_IMAGE_TAR" >/dev/null
}

# cr ARGS: ctr against the private containerd, in its namespace.
cr() {
	ctr --address "$CTR_SOCK" -n "$CTR_NS" "$@"
}

# cr_run ARGS: `ctr run` with oci-run as the runc v2 shim's runtime binary.
cr_run() {
	cr run --runc-binary "$PEER_RUNTIME" --runc-root "$CTR_RUNC_ROOT" "$@"
}

# containerd_shims: pids of runc v2 shims serving our containerd (not zombies).
containerd_shims() {
	local p
	for p in $(pgrep -f containerd-shim-runc-v2 2>/dev/null); do
		[ "$(awk '{print $3}' /proc/"$p"/stat 2>/dev/null)" = Z ] && continue
		tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | grep -qF -- "$CTR_SOCK" && echo "$p"
	done
}

# containerd_stop: remove every task and container, stop containerd and its shims.
containerd_stop() {
	[ -n "${CTR_PID:-}" ] || return 0
	local c p i
	for c in $(cr containers ls -q 2>/dev/null); do
		cr task kill -s KILL "$c" >/dev/null 2>&1 || true
		cr task rm -f "$c" >/dev/null 2>&1 || true
		cr containers rm "$c" >/dev/null 2>&1 || true
	done
	kill "$CTR_PID" 2>/dev/null
	for i in $(seq 100); do kill -0 "$CTR_PID" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$CTR_PID" 2>/dev/null || true
	wait "$CTR_PID" 2>/dev/null || true
	for p in $(containerd_shims); do kill -9 "$p" 2>/dev/null || true; done
	# the parent cgroup of ctr's default cgroupsPath /<namespace>/<id> (empty by now)
	rmdir /sys/fs/cgroup/*/"$CTR_NS" /sys/fs/cgroup/unified/"$CTR_NS" 2>/dev/null || true
	CTR_PID=
}
