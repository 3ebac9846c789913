#!/usr/bin/env bats
# The tmpcopyup mount option (runc's and crun's, sent by podman for --tmpfs, --read-only's
# /tmp /run /var/tmp): a tmpfs over a directory of the rootfs starts with that directory's
# files, modes, owners and links, and never follows a link of the image out of the rootfs.
# Runs against any runtime: RUNTIME=runc tests/run.sh 44-run-tmpcopyup.

load ../lib/common
load 40-run-lib

setup() {
	require_root
	setup_bundle
	cp -a "$(shared_rootfs)" "$B/rootfs"
	edit_config '.root.path = "rootfs"'
	mkdir -p "$B/rootfs/data/sub"
	echo hello >"$B/rootfs/data/file"
	chmod 604 "$B/rootfs/data/file"
	chown 1000:1000 "$B/rootfs/data/file"
	chmod 1777 "$B/rootfs/data/sub"
	ln -s file "$B/rootfs/data/link"
	ln -s /etc/shadow "$B/rootfs/data/abs-link"
}

teardown() {
	[ -n "${RACER_PID:-}" ] && kill "$RACER_PID" 2>/dev/null
	cleanup_containers
}

@test "tmpcopyup: the tmpfs starts with the covered directory's tree" {
	edit_config '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"]}]'
	set_args sh -c 'grep " /data " /proc/mounts; cat /data/file; stat -c "%a %u:%g" /data/file /data/sub; readlink /data/link; readlink /data/abs-link; echo x >/data/new && echo writable'
	run rt run --bundle "$B" "$CID"
	assert_success
	[[ "${lines[0]}" == "tmpfs /data tmpfs "* ]]
	[ "${lines[1]}" = hello ]
	[ "${lines[2]}" = "604 1000:1000" ]
	# (runc 1.1 loses the group/other write bits of copied directories to its umask)
	if is_oci_run; then [ "${lines[3]}" = "1777 0:0" ]; else [[ "${lines[3]}" == "17"?[57]" 0:0" ]]; fi
	[ "${lines[4]}" = file ]
	[ "${lines[5]}" = /etc/shadow ]
	[ "${lines[6]}" = writable ]
	# the image's directory itself was not written to
	[ ! -e "$B/rootfs/data/new" ]
}

@test "without tmpcopyup the tmpfs starts empty" {
	edit_config '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}]'
	set_args sh -c 'ls -A /data | wc -l'
	run rt run --bundle "$B" "$CID"
	assert_success
	[ "$output" = 0 ]
}

@test "attack: a regular file swapped for a FIFO while it is copied never hangs create" {
	[ "$(uname -m)" = x86_64 ] || skip "the racer calls renameat2 by its x86_64 number"
	peer_is runc "opens the swapped FIFO and waits for ever"
	# Another container sharing the covered directory (a shared rootfs or volume) exchanges
	# each regular file with a FIFO (or a device node, which the runtime, root outside any
	# devices cgroup, would read into the tmpfs) between the runtime's stat and its open.
	local d=$B/rootfs/data/race i
	mkdir -p "$d"
	for i in $(seq 200); do
		echo data >"$d/f$i"
		mkfifo "$d/p$i"
	done
	python3 -c 'import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
d = os.open(sys.argv[1], os.O_DIRECTORY)
pairs = [(b"f%d" % i, b"p%d" % i) for i in range(1, 201)]
while True:
    for a, b in pairs:
        libc.syscall(316, d, a, d, b, 2)  # renameat2(RENAME_EXCHANGE)
' "$d" >/dev/null 2>&1 &
	RACER_PID=$!
	edit_config '.mounts += [{"destination": "/data/race", "type": "tmpfs", "source": "tmpfs", "options": ["rw", "nosuid", "nodev", "tmpcopyup"]}]'
	set_args true
	for i in $(seq 40); do
		SECONDS=0
		run timeout -k 5 15 "$RUNTIME" --root "$ROOT" run --bundle "$B" "$CID" </dev/null
		[ "$SECONDS" -lt 15 ] || { echo "run $i hung in the copy"; false; }
		# a copy that saw the swap fails in one line; one that did not succeeds
		[ "$status" -eq 0 ] || ! is_oci_run || assert_one_line_error oci-run
		rt delete --force "$CID" >/dev/null 2>&1 || true
	done
}

@test "attack: the copy counts against the container's memory cgroup, not the caller's" {
	# The image's files copied into the tmpfs are the container's memory: copied before the
	# init joined its memory cgroup (v1), 30 MiB sat in the tmpfs charged to whoever ran
	# create, outside any memory limit of the container (one of 64 MiB held 200 MiB).
	head -c 30M /dev/zero >"$B/rootfs/data/big"
	edit_config ".linux.cgroupsPath = \"/oci-test-$CID\""
	# first, before the cgroup mount (which has the init join its cgroups for its own sake)
	edit_config '.mounts = [{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"]}] + .mounts'
	# v1 or v2: what the container's memory cgroup holds, in MiB
	set_args sh -c 'f=/sys/fs/cgroup/memory/memory.usage_in_bytes; [ -e $f ] || f=/sys/fs/cgroup/memory.current; echo $(($(cat $f) >> 20)); du -sm /data'
	run rt run --bundle "$B" "$CID"
	assert_success
	echo "$output"
	[[ "${lines[1]}" == 3?$'\t'/data ]]
	[ "${lines[0]}" -ge 30 ] || { echo "the container's memory cgroup holds ${lines[0]} MiB" >&2; false; }
}
