# Helpers for the runtime tests (40-run*.bats): busybox bundles, a private state root per
# test, and cleanup of every container. The runtime under test is $RUNTIME (oci-run by
# default; RUNTIME=runc runs the same tests against runc).

# A busybox rootfs, hand-made from Debian's busybox-static so no image tool is needed.
make_rootfs() {
	local r=$1
	mkdir -p "$r"/{bin,dev,proc,sys,etc,tmp,root,home/user}
	cp /bin/busybox "$r/bin/busybox"
	# one link per applet, made by one process (an ln each was 270 processes, 0.3 CPU-s per
	# rootfs, and the runtime files make ~50 of them)
	"$r/bin/busybox" --list | grep -vx busybox |
		(cd "$r/bin" && xargs perl -e 'for (@ARGV) { unlink($_); symlink("busybox", $_) or die "symlink $_: $!\n" }')
	printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
	printf 'root:x:0:\nuser:x:1000:\nnobody:x:65534:\n' >"$r/etc/group"
}

# A rootfs shared by the tests of one file (read-only use), built in setup_file.
shared_rootfs() {
	if [ ! -x "$BATS_FILE_TMPDIR/rootfs/bin/busybox" ]; then
		make_rootfs "$BATS_FILE_TMPDIR/rootfs"
	fi
	echo "$BATS_FILE_TMPDIR/rootfs"
}

# The default spec of runc (the same as `oci-bundle spec` / `oci-run spec`).
default_spec() {
	local dir=$1
	if "$OCI_RUN" spec -b "$dir" 2>/dev/null; then
		return 0
	fi
	(cd "$dir" && runc spec)
}

# setup_bundle [private]: $B is a bundle dir with config.json (terminal false, args "true"),
# its rootfs the shared one (or a private copy with "private"). $ROOT is the state root.
setup_bundle() {
	B=$BATS_TEST_TMPDIR/bundle
	ROOT=$BATS_TEST_TMPDIR/state
	rm -rf "$B"
	mkdir -p "$B"
	default_spec "$B"
	if [ "${1:-}" = private ]; then
		make_rootfs "$B/rootfs"
		edit_config ".root.path = \"rootfs\""
	else
		edit_config ".root.path = \"$(shared_rootfs)\""
	fi
	edit_config '.process.terminal = false | .process.args = ["true"]'
	# crun 1.8 refuses the ociVersion 1.3.0 that `oci-bundle spec` writes.
	if is_crun; then
		edit_config '.ociVersion = "1.0.2-dev"'
	fi
	CID=t$$-${BATS_TEST_NUMBER}
	export B ROOT CID
}

# edit_config JQ-EXPRESSION: rewrite config.json.
edit_config() {
	jq "$1" "$B/config.json" >"$B/config.json.new" && mv "$B/config.json.new" "$B/config.json"
}

# set_args ARG...: process.args.
set_args() {
	local j
	j=$(printf '%s\n' "$@" | jq -R . | jq -s .)
	edit_config ".process.args = $j"
}

# make_traversable PATH: o+x on every parent of PATH (for ids mapped in a user namespace).
make_traversable() {
	local p=$1
	while [ "$p" != / ] && [ -n "$p" ]; do
		chmod o+x "$p"
		p=$(dirname "$p")
	done
}

rt() {
	"$RUNTIME" --root "$ROOT" "$@"
}

# rt_create [OPTIONS] ID: create with stdio on files so no pipe of bats stays open.
rt_create() {
	rt create --bundle "$B" "$@" </dev/null >"$BATS_TEST_TMPDIR/create.out" 2>"$BATS_TEST_TMPDIR/create.err"
}

# rt_fails_within SECS ARGS...: the runtime (stdin /dev/null, killed after twice SECS) fails
# in less than SECS seconds; bats' run leaves its output in $output.
rt_fails_within() {
	local limit=$1
	shift
	SECONDS=0
	run timeout -k 5 $((limit * 2)) "$RUNTIME" --root "$ROOT" "$@" </dev/null
	assert_failure
	[ "$SECONDS" -lt "$limit" ] || { echo "took ${SECONDS}s, not less than ${limit}s" >&2; return 1; }
}

# rt_state_field ID FIELD: FIELD of the container's state (fails when state does).
rt_state_field() {
	local st
	# a failed state is a failure (in a pipe only jq's status counted: an empty pid, a
	# status compared with nothing)
	st=$(rt state "$1") || return 1
	jq -r ".$2" <<<"$st"
}

# wait_status ID STATUS: poll until the container reaches STATUS (10 s at most), or fail
# saying what it is.
wait_status() {
	if wait_until 10 "container $1 to be $2" status_is "$1" "$2"; then
		return 0
	fi
	echo "container $1 is $(rt_state_field "$1" status 2>&1)" >&2
	return 1
}

# status_is ID STATUS: the container's state says STATUS.
status_is() {
	[ "$(rt_state_field "$1" status 2>/dev/null)" = "$2" ]
}

cleanup_containers() {
	[ -n "${ROOT:-}" ] && [ -d "$ROOT" ] || return 0
	local id
	for id in $(rt list -q 2>/dev/null); do
		rt delete --force "$id" >/dev/null 2>&1 || true
	done
}

# no_leftovers: nothing of $CID exists: state dir, cgroup (any hierarchy), mount (after a
# refused create).
no_leftovers() {
	if [ -e "$ROOT/$CID" ]; then
		echo "state dir $ROOT/$CID left" >&2
		return 1
	fi
	if compgen -G "/sys/fs/cgroup/*/oci-run/$CID" >/dev/null || [ -e "/sys/fs/cgroup/oci-run/$CID" ]; then
		echo "cgroup of $CID left" >&2
		return 1
	fi
	if grep -F -e "$CID" -e "$(shared_rootfs)" /proc/self/mountinfo >&2; then
		echo "mount left" >&2
		return 1
	fi
}

# build_keytool: a static program (built once per file) that runs keyctl(2) steps in order on
# its session keyring, for the keyring tests: join NAME (join or make a named session
# keyring), perm HEX (set its permissions), add DESC VALUE (a user key in it), link SERIAL
# (link that keyring into it), show (print "session SERIAL DESCRIPTION", then every key it
# can read in it and in the keyrings linked there, as "key DESC=VALUE"), exec PROG ARGS...
# (run it, the session keyring kept). A step that fails
# prints "failed STEP: ERROR" and ends it with status 1. Sets KEYTOOL.
build_keytool() {
	KEYTOOL=$BATS_FILE_TMPDIR/keytool
	[ -x "$KEYTOOL" ] && return 0
	cat >"$BATS_FILE_TMPDIR/keytool.c" <<'C'
#define _GNU_SOURCE
#include <errno.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
static long kc(long op, long a, long b, long c) { return syscall(SYS_keyctl, op, a, b, c, 0); }
static void show(long ring, int depth)
{
	int ids[256];
	long n = kc(KEYCTL_READ, ring, (long)ids, sizeof(ids));
	for (long i = 0; depth < 3 && i < n / 4 && i < 256; i++) {
		char d[512] = {0}, v[512] = {0};
		if (kc(KEYCTL_DESCRIBE, ids[i], (long)d, sizeof(d) - 1) < 0)
			continue;
		if (!strncmp(d, "keyring;", 8)) {
			show(ids[i], depth + 1);
			continue;
		}
		long l = kc(KEYCTL_READ, ids[i], (long)v, sizeof(v) - 1);
		if (l >= 0)
			printf("key %s=%.*s\n", strrchr(d, ';') + 1, (int)l, v);
	}
}
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *op = argv[i];
		long r = 0;
		if (!strcmp(op, "join") && i + 1 < argc)
			r = kc(KEYCTL_JOIN_SESSION_KEYRING, (long)argv[++i], 0, 0);
		else if (!strcmp(op, "perm") && i + 1 < argc)
			r = kc(KEYCTL_SETPERM, KEY_SPEC_SESSION_KEYRING, strtol(argv[++i], NULL, 16), 0);
		else if (!strcmp(op, "add") && i + 2 < argc) {
			r = syscall(SYS_add_key, "user", argv[i + 1], argv[i + 2], strlen(argv[i + 2]),
				    KEY_SPEC_SESSION_KEYRING);
			i += 2;
		} else if (!strcmp(op, "exec") && i + 1 < argc) {
			execvp(argv[i + 1], argv + i + 1);
			r = -1;
		} else if (!strcmp(op, "link") && i + 1 < argc)
			r = kc(KEYCTL_LINK, atol(argv[++i]), KEY_SPEC_SESSION_KEYRING, 0);
		else if (!strcmp(op, "show")) {
			long s = kc(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0, 0);
			char d[512] = {0};
			kc(KEYCTL_DESCRIBE, s, (long)d, sizeof(d) - 1);
			printf("session %ld %s\n", s, strrchr(d, ';') ? strrchr(d, ';') + 1 : "?");
			show(s, 0);
		} else {
			fprintf(stderr, "keytool: bad step '%s'\n", op);
			return 2;
		}
		if (r < 0) {
			printf("failed %s: %s\n", op, strerror(errno));
			return 1;
		}
	}
	return fflush(stdout) != 0;
}
C
	cc -static -O2 -o "$KEYTOOL" "$BATS_FILE_TMPDIR/keytool.c"
}
