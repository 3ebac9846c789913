#!/usr/bin/env bats
# oci-bundle spec from an image config: process args/env/cwd/user as `docker run IMAGE` would
# set them, annotations and volumes, and the hostile-rootfs cases of user resolution.

load ../lib/common
load 30-bundle-lib

setup() {
	require_cmd jq
	B=$BATS_TEST_TMPDIR/bundle
	mkdir -p "$B"
	make_rootfs "$B/rootfs"
}

teardown() {
	runc_cleanup
}

# image CONFIG_OBJECT_JSON: writes $B/image-config.json, a whole image config blob around it
# (as oci-unpack --bundle writes it).
image() {
	jq -n --argjson c "$1" '{architecture: "amd64", os: "linux", created: "2023-11-14T22:13:20Z",
		config: $c, rootfs: {type: "layers", diff_ids: []}}' >"$B/image-config.json"
}

args() {
	jq -c .process.args "$B/config.json"
}

@test "Entrypoint only, Cmd only, both: args as docker run builds them; runc runs them" {
	image '{"Entrypoint":["/bin/echo","from-entrypoint"]}'
	"$OCI_BUNDLE" spec -b "$B" --from-image
	[ "$(args)" = '["/bin/echo","from-entrypoint"]' ]
	[ "$(jq .process.terminal "$B/config.json")" = false ]

	image '{"Cmd":["/bin/echo","from-cmd"]}'
	"$OCI_BUNDLE" spec -b "$B" --from-image --force
	[ "$(args)" = '["/bin/echo","from-cmd"]' ]

	image '{"Entrypoint":["/bin/echo","ep"],"Cmd":["cmd1","cmd2"]}'
	"$OCI_BUNDLE" spec -b "$B" --from-image --force
	[ "$(args)" = '["/bin/echo","ep","cmd1","cmd2"]' ]
	if [ "$(id -u)" = 0 ] && command -v runc >/dev/null; then
		runc_run "$B"
		assert_success
		[ "$output" = "ep cmd1 cmd2" ]
	fi

	# -- replaces Cmd, keeps the Entrypoint; --entrypoint replaces it and drops Cmd
	"$OCI_BUNDLE" spec -b "$B" --from-image --force -- x y
	[ "$(args)" = '["/bin/echo","ep","x","y"]' ]
	"$OCI_BUNDLE" spec -b "$B" --from-image --force --args z
	[ "$(args)" = '["/bin/echo","ep","z"]' ]
	"$OCI_BUNDLE" spec -b "$B" --from-image --force --entrypoint /bin/true
	[ "$(args)" = '["/bin/true"]' ]
	"$OCI_BUNDLE" spec -b "$B" --from-image --force --entrypoint '' -- /bin/sh -c 'echo x'
	[ "$(args)" = '["/bin/sh","-c","echo x"]' ]
}

@test "an image with neither Entrypoint nor Cmd is a clear error unless args are given" {
	image '{"Env":["A=1"]}'
	run "$OCI_BUNDLE" spec -b "$B" --from-image
	assert_failure
	assert_one_line_error oci-bundle
	assert_output_contains "neither Entrypoint nor Cmd"
	[ ! -e "$B/config.json" ]
	"$OCI_BUNDLE" spec -b "$B" --from-image -- /bin/true
	[ "$(args)" = '["/bin/true"]' ]
}

@test "--image-config FILE (or - for stdin) and --from-image read the same config" {
	image '{"Cmd":["/bin/true"],"WorkingDir":"/tmp"}'
	"$OCI_BUNDLE" spec -b "$B" --from-image
	mv "$B/config.json" "$B/a.json"
	"$OCI_BUNDLE" spec -b "$B" --image-config "$B/image-config.json"
	cmp "$B/a.json" "$B/config.json"
	"$OCI_BUNDLE" spec -b "$B" --force --image-config - <"$B/image-config.json"
	cmp "$B/a.json" "$B/config.json"
	# just the "config" object is fine too
	jq .config "$B/image-config.json" >"$B/bare.json"
	"$OCI_BUNDLE" spec -b "$B" --force --image-config "$B/bare.json"
	diff <(jq 'del(.annotations)' "$B/a.json") <(jq 'del(.annotations)' "$B/config.json")
	run "$OCI_BUNDLE" spec -b "$B" --force --image-config "$B/nope.json"
	assert_failure
	assert_one_line_error oci-bundle
	echo '{"config": {"Cmd": "not-an-array"}}' >"$B/bad.json"
	run "$OCI_BUNDLE" spec -b "$B" --force --image-config "$B/bad.json"
	assert_failure
	assert_one_line_error oci-bundle
	assert_output_contains "config.Cmd: expected an array"
}

@test "Env over the default PATH, --env on top, HOME from passwd, WorkingDir" {
	image '{"Cmd":["/bin/env"],"Env":["PATH=/bin:/usr/bin","LANG=C.UTF-8","X=image"],"WorkingDir":"/home/app/../tmp"}'
	"$OCI_BUNDLE" spec -b "$B" --from-image --env X=flag --env Y=2
	[ "$(jq -c .process.env "$B/config.json")" = '["PATH=/bin:/usr/bin","LANG=C.UTF-8","X=flag","Y=2","HOME=/root"]' ]
	[ "$(jq -r .process.cwd "$B/config.json")" = /home/tmp ]
	# no Env at all: runc's default PATH, no TERM (no terminal)
	image '{"Cmd":["/bin/env"]}'
	"$OCI_BUNDLE" spec -b "$B" --from-image --force --cwd /home/app
	[ "$(jq -c .process.env "$B/config.json")" = '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","HOME=/root"]' ]
	[ "$(jq -r .process.cwd "$B/config.json")" = /home/app ]
	image '{"Cmd":["/bin/env"],"Env":["HOME=/custom"]}'
	"$OCI_BUNDLE" spec -b "$B" --from-image --force
	[ "$(jq -c .process.env "$B/config.json")" = '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","HOME=/custom"]' ]
}

@test "an image Env of 300000 variables is merged without a quadratic lookup; later keys still replace earlier ones in place" {
	# each variable was looked up in all those before it: 300000^2/2 comparisons, minutes
	python3 -c 'import json; print(json.dumps({"architecture": "amd64", "os": "linux",
		"config": {"Cmd": ["/bin/env"], "Env": ["V%d=x" % i for i in range(300000)] +
		["V7=last", "PATH=/img"]}, "rootfs": {"type": "layers", "diff_ids": []}}))' >"$B/image-config.json"
	run timeout -k 10 300 prlimit --cpu=20 "$OCI_BUNDLE" spec -b "$B" --from-image --env V9=flag
	assert_success
	[ "$(jq '.process.env | length' "$B/config.json")" = 300002 ]
	[ "$(jq -c '.process.env[0,1,8,10,300000,300001]' "$B/config.json" | tr '\n' ' ')" = \
		'"PATH=/img" "V0=x" "V7=last" "V9=flag" "V299999=x" "HOME=/root" ' ]
	# a variable without '=' is still named
	image '{"Cmd":["/bin/env"],"Env":["A=1","JUSTNAME"]}'
	run "$OCI_BUNDLE" spec -b "$B" --from-image --force
	assert_failure
	assert_one_line_error oci-bundle
	assert_output_contains "config.Env[1]: environment variable 'JUSTNAME': expected KEY=VALUE"
}

@test "User as name, uid, uid:gid, name:group; groups and HOME; runc agrees" {
	image '{"Cmd":["/bin/sh","-c","id; echo $HOME"],"User":"app"}'
	"$OCI_BUNDLE" spec -b "$B" --from-image
	[ "$(jq -c .process.user "$B/config.json")" = '{"uid":1000,"gid":1000,"additionalGids":[50]}' ]
	jq -e '.process.env | index("HOME=/home/app")' "$B/config.json"
	if [ "$(id -u)" = 0 ] && command -v runc >/dev/null; then
		runc_run "$B"
		assert_success
		[ "${lines[0]}" = "uid=1000(app) gid=1000(app) groups=50(staff)" ]
		[ "${lines[1]}" = /home/app ]
	fi
	image '{"Cmd":["/bin/id"],"User":"1000"}'
	"$OCI_BUNDLE" spec -b "$B" --from-image --force
	[ "$(jq -c .process.user "$B/config.json")" = '{"uid":1000,"gid":1000,"additionalGids":[50]}' ]
	image '{"Cmd":["/bin/id"],"User":"1000:10"}'
	"$OCI_BUNDLE" spec -b "$B" --from-image --force
	[ "$(jq -c .process.user "$B/config.json")" = '{"uid":1000,"gid":10}' ]
	image '{"Cmd":["/bin/id"],"User":"daemon:staff"}'
	"$OCI_BUNDLE" spec -b "$B" --from-image --force
	[ "$(jq -c .process.user "$B/config.json")" = '{"uid":1,"gid":50}' ]
	# a uid without a passwd entry: gid 0 and HOME=/ (as docker)
	image '{"Cmd":["/bin/id"],"User":"4242"}'
	"$OCI_BUNDLE" spec -b "$B" --from-image --force
	[ "$(jq -c .process.user "$B/config.json")" = '{"uid":4242,"gid":0}' ]
	jq -e '.process.env | index("HOME=/")' "$B/config.json"
	# no User: root, with root's groups
	image '{"Cmd":["/bin/id"]}'
	"$OCI_BUNDLE" spec -b "$B" --from-image --force
	[ "$(jq -c .process.user "$B/config.json")" = '{"uid":0,"gid":0,"additionalGids":[10]}' ]
	# --user overrides the image's User
	image '{"Cmd":["/bin/id"],"User":"app"}'
	"$OCI_BUNDLE" spec -b "$B" --from-image --force --user daemon
	[ "$(jq -c .process.user "$B/config.json")" = '{"uid":1,"gid":1}' ]
}

@test "an unknown user or group is an error, never root; uids over 2^32-2 are refused" {
	for u in mallory app:nosuchgroup 4294967295 4294967296 99999999999999999999 "app:"; do
		image "$(jq -n --arg u "$u" '{Cmd: ["/bin/id"], User: $u}')"
		run "$OCI_BUNDLE" spec -b "$B" --from-image --force
		assert_failure
		assert_one_line_error oci-bundle
		assert_output_contains "user '$u'"
		[ ! -e "$B/config.json" ]
	done
	# a name cannot be resolved without a rootfs
	rm -rf "$B/rootfs"
	image '{"Cmd":["/bin/id"],"User":"app"}'
	run "$OCI_BUNDLE" spec -b "$B" --from-image
	assert_failure
	assert_one_line_error oci-bundle
}

@test "/etc/passwd or /etc a symlink to the host's files is never read" {
	image '{"Cmd":["/bin/id"],"User":"root"}'
	rm "$B/rootfs/etc/passwd"
	ln -s /etc/passwd "$B/rootfs/etc/passwd"
	run "$OCI_BUNDLE" spec -b "$B" --from-image
	assert_failure
	assert_one_line_error oci-bundle
	assert_output_contains "/etc/passwd"
	[ ! -e "$B/config.json" ]
	# a user only the host knows must not resolve through a relative escape either
	hostuser=$(head -1 /etc/passwd | cut -d: -f1)
	rm "$B/rootfs/etc/passwd"
	ln -s ../../../../../../../../../etc/passwd "$B/rootfs/etc/passwd"
	image "$(jq -n --arg u "$hostuser" '{Cmd: ["/bin/id"], User: $u}')"
	run "$OCI_BUNDLE" spec -b "$B" --from-image
	assert_failure
	[ ! -e "$B/config.json" ]
	# /etc itself pointing at the host's /etc
	mv "$B/rootfs/etc" "$B/rootfs/etc.old"
	ln -s /etc "$B/rootfs/etc"
	image '{"Cmd":["/bin/id"],"User":"daemon"}'
	run "$OCI_BUNDLE" spec -b "$B" --from-image
	assert_failure
	assert_one_line_error oci-bundle
	# a FIFO does not hang the lookup and is refused
	rm "$B/rootfs/etc"
	mv "$B/rootfs/etc.old" "$B/rootfs/etc"
	rm "$B/rootfs/etc/passwd" "$B/rootfs/etc/group"
	echo 'daemon:x:1:1::/:/bin/false' >"$B/rootfs/etc/passwd"
	mkfifo "$B/rootfs/etc/group"
	run timeout 10 "$OCI_BUNDLE" spec -b "$B" --from-image
	assert_failure 1
	assert_output_contains "not a regular file"
}

# opened PATH CMD...: runs CMD and prints how many times PATH was opened for I/O meanwhile
# (inotify IN_OPEN; an O_PATH handle, which does nothing to a device, is not an open).
opened() {
	python3 - "$@" <<-'EOF'
		import ctypes, os, subprocess, sys
		libc = ctypes.CDLL(None, use_errno=True)
		fd = libc.inotify_init1(os.O_NONBLOCK)
		if fd < 0 or libc.inotify_add_watch(fd, sys.argv[1].encode(), 0x20) < 0:
		    sys.exit("inotify: " + os.strerror(ctypes.get_errno()))
		subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
		try:
		    print(len(os.read(fd, 65536)) // 16)
		except BlockingIOError:
		    print(0)
	EOF
}

@test "a device node at /etc/passwd or /etc/group is refused without being opened" {
	# opening a device can act by itself (a watchdog arms, a tape rewinds, a modem line
	# rises): the image's files must be checked before they are opened
	[ "$(id -u)" = 0 ] || skip "mknod needs root"
	image '{"Cmd":["/bin/id"],"User":"daemon"}'
	for f in passwd group; do
		rm -f "$B/rootfs/etc/$f"
		mknod "$B/rootfs/etc/$f" c 1 3
		[ "$(opened "$B/rootfs/etc/$f" "$OCI_BUNDLE" spec -b "$B" --from-image)" = 0 ]
		run "$OCI_BUNDLE" spec -b "$B" --from-image
		assert_failure
		assert_one_line_error oci-bundle
		assert_output_contains "/etc/$f' in the rootfs is not a regular file"
		[ ! -e "$B/config.json" ]
		rm "$B/rootfs/etc/$f"
		echo 'daemon:x:1:1::/:/bin/false' >"$B/rootfs/etc/$f"
	done
	# a regular file is still read (and opened once)
	[ "$(opened "$B/rootfs/etc/passwd" "$OCI_BUNDLE" spec -b "$B" --from-image)" -ge 1 ]
	[ "$(jq .process.user.uid "$B/config.json")" = 1 ]
}

@test "an error naming the image's data shows its control characters escaped, on one line" {
	image '{"Cmd":["/bin/id"],"User":"x\u001b]2;pwned\u0007\nforged: line"}'
	run "$OCI_BUNDLE" spec -b "$B" --from-image
	assert_failure
	assert_one_line_error oci-bundle
	! printf '%s' "$output" | LC_ALL=C grep -q $'[\x01-\x1f\x7f]' || false
	assert_output_contains "user 'x\\x1b]2;pwned\\x07\\nforged: line'"
	[ ! -e "$B/config.json" ]
}

@test "a huge /etc/group is capped (error), not read into memory" {
	image '{"Cmd":["/bin/id"],"User":"app"}'
	truncate -s 64M "$B/rootfs/etc/group"
	run "$OCI_BUNDLE" spec -b "$B" --from-image
	assert_failure
	assert_one_line_error oci-bundle
	assert_output_contains "/etc/group"
	assert_output_contains "limit"
	[ ! -e "$B/config.json" ]
}

@test "WorkingDir inside /proc (the CVE-2024-21626 fd leak) is rejected" {
	for wd in /proc/self/fd/7 /../proc/self/fd/7 /proc /sys/fs/cgroup /a/../../proc/1/cwd; do
		image "$(jq -n --arg w "$wd" '{Cmd: ["/bin/pwd"], WorkingDir: $w}')"
		run "$OCI_BUNDLE" spec -b "$B" --from-image --force
		assert_failure
		assert_one_line_error oci-bundle
		assert_output_contains "working directory"
		[ ! -e "$B/config.json" ]
	done
	run "$OCI_BUNDLE" spec -b "$B" --image-config /dev/null --cwd /proc/self/fd/7 -- /bin/pwd
	assert_failure
}

@test "StopSignal, Labels, ExposedPorts as annotations; Volumes as tmpfs mounts" {
	image '{"Cmd":["/bin/sh","-c","mount | grep \" /data \"; touch /data/x && echo writable"],
		"StopSignal":"SIGQUIT","Labels":{"maintainer":"me","version":"1.0"},
		"ExposedPorts":{"80/tcp":{},"53/udp":{}},"Volumes":{"/data":{}}}'
	"$OCI_BUNDLE" spec -b "$B" --from-image --annotation extra=1
	C=$B/config.json
	[ "$(jq -r '.annotations["org.opencontainers.image.stopSignal"]' "$C")" = SIGQUIT ]
	[ "$(jq -r '.annotations["org.opencontainers.image.exposedPorts"]' "$C")" = 53/udp,80/tcp ]
	[ "$(jq -r '.annotations.maintainer' "$C")" = me ]
	[ "$(jq -r '.annotations.version' "$C")" = 1.0 ]
	[ "$(jq -r '.annotations["org.opencontainers.image.architecture"]' "$C")" = amd64 ]
	[ "$(jq -r '.annotations.extra' "$C")" = 1 ]
	[ "$(jq -c '.mounts[-1]' "$C")" = '{"destination":"/data","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","mode=755"]}' ]
	run "$OCI_BUNDLE" validate "$B"
	assert_success
	if [ "$(id -u)" = 0 ] && command -v runc >/dev/null; then
		# the rootfs stays read-only, the volume is writable
		runc_run "$B"
		assert_success
		[[ "${lines[0]}" == "tmpfs on /data type tmpfs"* ]]
		[ "${lines[1]}" = writable ]
		[ ! -e "$B/rootfs/data/x" ]
	fi
}

@test "an image's labels that runtimes act on do not become annotations (crun gave the user the caller's groups)" {
	# crun acts on run.oci.keep_original_groups: with it the container's user kept the
	# groups of whoever ran crun (root's 0 and 6 'disk' here: raw disks); runc on
	# org.criu.config (a CRIU configuration file, whose action-script runs on the host at
	# checkpoint) and org.systemd.property.* (the unit's properties)
	image '{"Cmd":["/bin/id","-G"],"User":"1000",
		"Labels":{"run.oci.keep_original_groups":"1","org.criu.config":"/tmp/evil.conf",
			"org.systemd.property.ExecStopPost":"/bin/evil","cdi.k8s.io/x":"nvidia.com/gpu=all",
			"maintainer":"me"}}'
	run "$OCI_BUNDLE" spec -b "$B" --from-image
	assert_success
	C=$B/config.json
	[ "$(jq -c '.annotations | keys - [
		"org.opencontainers.image.architecture", "org.opencontainers.image.created",
		"org.opencontainers.image.os"]' "$C")" = '["maintainer"]' ]
	for k in run.oci.keep_original_groups org.criu.config org.systemd.property.ExecStopPost \
		cdi.k8s.io/x; do
		assert_output_contains "the image's label '$k' is not made an annotation"
	done
	[ "${#lines[@]}" -eq 4 ]
	if [ "$(id -u)" = 0 ] && command -v crun >/dev/null; then
		local id="ocib-$$-groups"
		# crun 1.8 refuses runtime-spec versions newer than it knows
		jq '.ociVersion = "1.0.2-dev"' "$C" >"$C.crun" && mv "$C.crun" "$C"
		run setpriv --groups=0,6 timeout -k 5 60 crun --root "$BATS_TEST_TMPDIR/crun" run \
			--bundle "$B" "$id" </dev/null
		crun --root "$BATS_TEST_TMPDIR/crun" delete -f "$id" >/dev/null 2>&1 || true
		assert_success
		[ "$output" = "1000 50" ] || { echo "the container's groups: $output"; false; }
	fi
	# the caller may still give one: --annotation is the user's, not the image's
	"$OCI_BUNDLE" spec -b "$B" --from-image --force --annotation org.criu.config=/etc/criu.conf
	[ "$(jq -r '.annotations["org.criu.config"]' "$C")" = /etc/criu.conf ]
}

@test "an image's Volumes are capped (4096): 200000 of them are refused at once, not compared with each other" {
	# each volume was compared with every mount before it (200000^2/2 steps, half an hour of
	# CPU), and a runtime cannot make that many mounts anyway
	python3 -c 'import json; print(json.dumps({"architecture": "amd64", "os": "linux",
		"config": {"Cmd": ["/bin/true"], "Volumes": {"/v%d" % i: {} for i in range(200000)}},
		"rootfs": {"type": "layers", "diff_ids": []}}))' >"$B/image-config.json"
	run timeout -k 10 300 prlimit --cpu=20 "$OCI_BUNDLE" spec -b "$B" --from-image
	assert_failure 1
	assert_one_line_error oci-bundle
	assert_output_contains "config.Volumes: 200000 volumes is over the limit of 4096"
	[ ! -e "$B/config.json" ]
	# 4096 are fine, each once, beside the default mounts
	python3 -c 'import json; print(json.dumps({"architecture": "amd64", "os": "linux",
		"config": {"Cmd": ["/bin/true"], "Volumes": {"/v%d" % i: {} for i in range(4096)}},
		"rootfs": {"type": "layers", "diff_ids": []}}))' >"$B/image-config.json"
	"$OCI_BUNDLE" spec -b "$B" --from-image
	[ "$(jq '[.mounts[] | select(.destination | startswith("/v"))] | length' "$B/config.json")" = 4096 ]
}

@test "edit flags apply on top of an image-derived config" {
	image '{"Cmd":["/bin/sh","-c","hostname"],"User":"app"}'
	"$OCI_BUNDLE" spec -b "$B" --from-image --hostname imgbox --terminal --memory 32M
	[ "$(jq -r .hostname "$B/config.json")" = imgbox ]
	[ "$(jq .process.terminal "$B/config.json")" = true ]
	[ "$(jq .linux.resources.memory.limit "$B/config.json")" = 33554432 ]
	[ "$(jq -c .process.user "$B/config.json")" = '{"uid":1000,"gid":1000,"additionalGids":[50]}' ]
	# without an image, --entrypoint and the args after it are the whole command line
	"$OCI_BUNDLE" spec -b "$B" --force --entrypoint /bin/sh -- -c 'echo x'
	[ "$(args)" = '["/bin/sh","-c","echo x"]' ]
}

@test "-- means one thing: edit -- ARGS replaces the image's Cmd and keeps its Entrypoint, like spec" {
	# an image whose Entrypoint is an interpreter, as python3 images are
	image '{"Entrypoint":["/bin/sh"],"Cmd":["-c","echo from-cmd"]}'
	"$OCI_BUNDLE" spec -b "$B" --from-image
	[ "$(args)" = '["/bin/sh","-c","echo from-cmd"]' ]
	"$OCI_BUNDLE" edit -b "$B" -- -c 'echo from-edit; hostname'
	[ "$(args)" = '["/bin/sh","-c","echo from-edit; hostname"]' ]
	# the same as spec --from-image -- ARGS writes
	cp "$B/config.json" "$BATS_TEST_TMPDIR/edited.json"
	"$OCI_BUNDLE" spec -b "$B" --from-image --force -- -c 'echo from-edit; hostname'
	[ "$(jq -c .process.args "$BATS_TEST_TMPDIR/edited.json")" = "$(args)" ]
	"$OCI_BUNDLE" edit -b "$B" --args -c --args 'echo via-args'
	[ "$(args)" = '["/bin/sh","-c","echo via-args"]' ]
	if [ "$(id -u)" = 0 ] && command -v runc >/dev/null; then
		"$OCI_BUNDLE" edit -b "$B" --hostname box -- -c 'echo from-edit; hostname'
		runc_run "$B"
		assert_success
		[ "${lines[0]}" = from-edit ]
		[ "${lines[1]}" = box ]
	fi
	# --entrypoint replaces the Entrypoint and drops the Cmd, as in docker run
	"$OCI_BUNDLE" edit -b "$B" --entrypoint /bin/echo
	[ "$(args)" = '["/bin/echo"]' ]
	"$OCI_BUNDLE" edit -b "$B" --entrypoint /bin/echo -- a b
	[ "$(args)" = '["/bin/echo","a","b"]' ]
	# a bundle without image-config.json has no Entrypoint: ARGS are the command line
	rm "$B/image-config.json"
	"$OCI_BUNDLE" edit -b "$B" -- /bin/true x
	[ "$(args)" = '["/bin/true","x"]' ]
	# a broken image-config.json is an error, not a silent fallback
	echo '{"config":' >"$B/image-config.json"
	run "$OCI_BUNDLE" edit -b "$B" -- /bin/true
	assert_failure
	assert_one_line_error oci-bundle
	assert_output_contains image-config.json
	[ "$(args)" = '["/bin/true","x"]' ]
}

@test "oci-unpack --bundle and oci-bundle spec --from-image write the same runnable config" {
	require_cmd python3
	python3 "$TOP/tests/lib/mkimage.py" "$BATS_TEST_TMPDIR/img" --user app --entrypoint '["/bin/sh","-c"]' \
		--cmd '["id; pwd; echo $HOME"]' >/dev/null
	rm -rf "$B"
	run "$OCI_UNPACK" -q --layout "$BATS_TEST_TMPDIR/img" --bundle "$B"
	assert_success
	run "$OCI_BUNDLE" validate "$B"
	assert_success
	mv "$B/config.json" "$B/from-unpack.json"
	"$OCI_BUNDLE" spec -b "$B" --from-image
	cmp "$B/from-unpack.json" "$B/config.json"
	[ "$(jq -c .process.args "$B/config.json")" = '["/bin/sh","-c","id; pwd; echo $HOME"]' ]
	if [ "$(id -u)" = 0 ] && command -v runc >/dev/null; then
		runc_run "$B"
		assert_success
		[ "${lines[0]}" = "uid=1000(app) gid=1000(app) groups=50(staff)" ]
		[ "${lines[1]}" = / ]
		[ "${lines[2]}" = /home/app ]
	fi
}
