#!/usr/bin/env bats
# oci-fetch as people see it: per-layer progress bars on a terminal (run under tmux) and
# silence otherwise or with --quiet; --help generated from the option table; IPv6 and Docker
# Hub references; one clear line per failure class.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/registry
load ../lib/images
load ../lib/fetch

setup_file() {
	require_cmd docker-registry jq curl python3
	registry_start plain
	image_push_busybox test/multi v1 --layers 3 >/dev/null
	export MULTI_DIGEST=$IMAGE_DIGEST
	export REGISTRY_ENV=$REGISTRY_DIR
}

teardown_file() {
	registry_stop
}

setup() {
	registry_use "$REGISTRY_ENV"
	T=$BATS_TEST_TMPDIR
	export XDG_CACHE_HOME=$T/xdg
	V6_PID=
}

teardown() {
	proxy_stop
	if [ -S "$T/tmux.sock" ]; then tmux -S "$T/tmux.sock" kill-server 2>/dev/null || true; fi
	if [ -n "$V6_PID" ]; then
		kill "$V6_PID" 2>/dev/null || true
		wait "$V6_PID" 2>/dev/null || true
	fi
	return 0
}

# in_terminal CMD: run CMD (a shell command line) in a detached tmux pane, so its stderr is a
# terminal; waits for it and leaves the pane's text in $T/pane and its exit status in $T/rc.
in_terminal() {
	rm -f "$T/rc"
	env -u TMUX tmux -S "$T/tmux.sock" new-session -d -x 200 -y 50 "$1; echo \$? >'$T/rc.tmp'; mv '$T/rc.tmp' '$T/rc'; sleep 600"
	local i
	for i in $(seq 1 300); do
		[ -s "$T/rc" ] && break
		sleep 0.1
	done
	[ -s "$T/rc" ] || { echo "command did not finish in the terminal" >&2; return 1; }
	tmux -S "$T/tmux.sock" capture-pane -p -J >"$T/pane"
	tmux -S "$T/tmux.sock" kill-server 2>/dev/null || true
}

# layer_digests: the test/multi:v1 layer digests, bottom first
layer_digests() {
	curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$REGISTRY_URL/v2/test/multi/manifests/v1" | jq -r '.layers[].digest'
}

@test "progress: one bar per layer (bytes, rate) on a terminal; the stream still goes to stdout" {
	require_cmd tmux
	in_terminal "'$OCI_FETCH' --cache '$T/c' $REGISTRY/test/multi:v1 >'$T/s.tar'"
	[ "$(cat "$T/rc")" = 0 ]
	check_stream "$T/s.tar" "$T/x"
	cat "$T/pane" >&2
	i=0
	for l in $(layer_digests); do
		i=$((i + 1))
		short=${l:0:19}
		# e.g. "layer 1/3 sha256:e93d0cd97a96 [=====] 1009.5 KiB / 1009.5 KiB  24.1 MiB/s  verified"
		[ "$(grep -cE "^layer $i/3 $short \[=+\] [0-9.]+ [KMG]iB / [0-9.]+ [KMG]iB  [0-9.]+ [KMG]iB/s  verified\$" "$T/pane")" = 1 ]
	done
	[ "$(grep -c '^layer ' "$T/pane")" = 3 ]
	# a second pull from the cache says so, per layer
	in_terminal "'$OCI_FETCH' --cache '$T/c' -o '$T/lay' $REGISTRY/test/multi:v1"
	[ "$(cat "$T/rc")" = 0 ]
	check_layout "$T/lay"
	[ "$(grep -cE '^layer [1-3]/3 sha256:[0-9a-f]{12} \[=+\] .* cached$' "$T/pane")" = 3 ]
}

@test "progress: --quiet silences it on a terminal; a non-terminal stderr stays empty on success" {
	require_cmd tmux
	in_terminal "'$OCI_FETCH' --quiet --no-cache $REGISTRY/test/multi:v1 >'$T/s.tar'"
	[ "$(cat "$T/rc")" = 0 ]
	check_stream "$T/s.tar" "$T/x"
	! grep -q . "$T/pane"
	"$OCI_FETCH" --no-cache "$REGISTRY/test/multi:v1" >"$T/s2.tar" 2>"$T/err"
	[ ! -s "$T/err" ]
	"$OCI_FETCH" --cache "$T/c" -o "$T/lay" "$REGISTRY/test/multi:v1" 2>"$T/err"
	"$OCI_FETCH" --cache "$T/c" -o "$T/lay" "$REGISTRY/test/multi:v1" 2>>"$T/err"
	[ ! -s "$T/err" ]
	cmp "$T/s.tar" "$T/s2.tar"
}
