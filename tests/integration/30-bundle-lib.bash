# Helpers for the oci-bundle tests (30-bundle*.bats, `load 30-bundle-lib`): a tiny busybox rootfs made by hand
# (no image needed) and a runc runner that always cleans up its container.

# make_rootfs DIR: busybox + the applets the tests use, /etc/passwd and /etc/group with the
# users of tests/lib/mkimage.py (root, daemon, app 1000 in group staff 50, nobody).
make_rootfs() {
	local d=$1 a
	mkdir -p "$d/bin" "$d/etc" "$d/tmp" "$d/root" "$d/home/app" "$d/proc" "$d/sys" "$d/dev"
	chmod 1777 "$d/tmp"
	cp /bin/busybox "$d/bin/busybox"
	for a in sh true false id cat env pwd echo hostname grep ls touch mount head sleep; do
		ln -s busybox "$d/bin/$a"
	done
	cat >"$d/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/sh
		daemon:x:1:1:daemon:/usr/sbin:/bin/false
		app:x:1000:1000:app:/home/app:/bin/sh
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOF
	cat >"$d/etc/group" <<-'EOF'
		root:x:0:
		daemon:x:1:
		wheel:x:10:root
		staff:x:50:app
		app:x:1000:
		nogroup:x:65534:
	EOF
}

# runc_run BUNDLE: runs the bundle with runc in the foreground (output and status through
# bats' `run`), deleting the container afterwards whatever happened.
runc_run() {
	local id="ocib-$$-${BATS_TEST_NUMBER}-$RANDOM"
	BUNDLE_RUNC_IDS="${BUNDLE_RUNC_IDS:-} $id"
	run runc run --bundle "$1" "$id" </dev/null
	runc delete -f "$id" >/dev/null 2>&1 || true
}

# runc_cleanup: for teardown (a test that failed mid-run).
runc_cleanup() {
	local id
	for id in ${BUNDLE_RUNC_IDS:-}; do
		runc delete -f "$id" >/dev/null 2>&1 || true
	done
}

# jq_field FILE FILTER: one compact value.
jq_field() {
	jq -c "$2" "$1"
}
