#!/usr/bin/env bats
# oci-fetch under faults, through tests/lib/faultproxy.py in front of the real registry:
# transfers cut mid-blob (resumed by Range), 500s, 429 with Retry-After, servers that
# ignore Range, a registry that stays broken or is down, and a consumer that goes away.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/registry
load ../lib/images
load ../lib/fetch

setup_file() {
	require_cmd docker-registry jq curl python3
	registry_start plain
	image_push_busybox test/multi v1 --layers 3 >/dev/null
	export REGISTRY_ENV=$REGISTRY_DIR
	"$OCI_FETCH" --no-cache "$REGISTRY/test/multi:v1" >"$BATS_FILE_TMPDIR/clean.tar"
	BASE=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$REGISTRY_URL/v2/test/multi/manifests/v1" | jq -r '.layers[0].digest')
	export BASE CLEAN=$BATS_FILE_TMPDIR/clean.tar
}

teardown_file() {
	registry_stop
}

setup() {
	registry_use "$REGISTRY_ENV"
	T=$BATS_TEST_TMPDIR
	export XDG_CACHE_HOME=$T/xdg
}

teardown() {
	proxy_stop
	for pid in ${FETCH_PID:-} ${TRICKLE_PID:-}; do
		kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	return 0
}

@test "a blob transfer cut mid-way is resumed with a Range request" {
	proxy_start --cut 1 --min-size 100000
	"$OCI_FETCH" --cache "$T/c" "$PROXY/test/multi:v1" >"$T/s.tar"
	cmp "$CLEAN" "$T/s.tar"
	check_stream "$T/s.tar" "$T/x"
	grep -q "GET /v2/test/multi/blobs/$BASE range=- .*action=cut" "$PROXY_LOG"
	grep -q "GET /v2/test/multi/blobs/$BASE range=bytes=[1-9][0-9]*- .*action=pass" "$PROXY_LOG"
	grep -q "\"GET /v2/test/multi/blobs/$BASE HTTP/1.1\" 206" "$REGISTRY_LOG"
	[ -z "$(find "$T/c" -name '.partial-*')" ]
}

@test "a server that ignores Range: the prefix already received is skipped" {
	proxy_start --cut 1 --min-size 100000 --no-range
	"$OCI_FETCH" --no-cache -o "$T/lay" "$PROXY/test/multi:v1"
	check_layout "$T/lay"
	grep -q "action=cut" "$PROXY_LOG"
	[ "$(grep -c "blobs/$BASE" "$PROXY_LOG")" = 2 ]
}

@test "500 and 429 (Retry-After) are retried; Retry-After is honoured" {
	proxy_start --fail500 2 --fail429 1 --retry-after 2
	start=$(date +%s%N)
	"$OCI_FETCH" --no-cache "$PROXY/test/multi:v1" >"$T/s.tar"
	end=$(date +%s%N)
	cmp "$CLEAN" "$T/s.tar"
	[ "$(grep -c 'action=500' "$PROXY_LOG")" = 2 ]
	[ "$(grep -c 'action=429' "$PROXY_LOG")" = 1 ]
	[ $(((end - start) / 1000000)) -ge 2000 ]
}

@test "cut, 500 and 429 together while streaming: the stream is still exact" {
	proxy_start --cut 2 --fail500 1 --fail429 1 --retry-after 0
	"$OCI_FETCH" --jobs 2 --no-cache "$PROXY/test/multi:v1" >"$T/s.tar"
	cmp "$CLEAN" "$T/s.tar"
}

@test "a registry that keeps failing: a clear error after the retries, nothing left behind" {
	proxy_start --fail500 100
	run "$OCI_FETCH" --cache "$T/c" -o "$T/lay" "$PROXY/test/multi:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "HTTP 500"
	[ "$(grep -c 'action=500' "$PROXY_LOG")" -ge 5 ]
	[ -z "$(find "$T/c" -name '.partial-*')" ]
	[ -z "$(ls -A "$T/c/sha256")" ]
}

@test "a registry that is down: one line" {
	port=$(free_port)
	run "$OCI_FETCH" --no-cache "127.0.0.1:$port/test/multi:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "127.0.0.1:$port"
}

@test "a failed pull into a layout it made keeps what others put there meanwhile (a user's file, another tool's image)" {
	proxy_start --delay 3000
	"$OCI_FETCH" --cache "$T/c" -o "$T/new/lay" "$PROXY/test/multi:v1" 2>"$T/err" &
	pid=$!
	wait_for_file "$T/new/lay/index.json" 5
	echo keep >"$T/new/lay/notes"
	mkdir "$T/new/lay/blobs/mine"
	echo keep >"$T/new/lay/blobs/mine/f"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 143 ]
	run cat "$T/err"
	assert_one_line_error oci-fetch
	[ "$(cat "$T/new/lay/notes")" = keep ]
	[ "$(cat "$T/new/lay/blobs/mine/f")" = keep ]
	[ ! -e "$T/new/lay/oci-layout" ]
	[ -z "$(find "$T/c" -name '.partial-*')" ]
	# another pull into the same new layout finished (and let go of it) meanwhile: its image
	# stays; the same into an empty directory that was there
	mkdir "$T/mine"
	for d in "$T/new2/lay" "$T/mine"; do
		rm -rf "$T/c2" "$T/c3"
		"$OCI_FETCH" --cache "$T/c2" -o "$d" "$PROXY/test/multi:v1" 2>"$T/err" &
		pid=$!
		wait_for_file "$d/index.json" 5
		"$OCI_FETCH" -q --cache "$T/c3" -o "$d" "$REGISTRY/test/multi:v1" >/dev/null
		kill -TERM "$pid"
		rc=0
		wait "$pid" || rc=$?
		[ "$rc" = 143 ]
		check_layout "$d"
		[ "$(jq '.manifests | length' "$d/index.json")" = 1 ]
	done
	# a pull that failed once it had tagged its own image (--digest-file cannot be written)
	# removes it all the same
	run "$OCI_FETCH" --cache "$T/c2" -o "$T/new3/lay" --digest-file "$T/nodir/d" "$REGISTRY/test/multi:v1"
	assert_failure
	assert_output_contains "--digest-file"
	[ ! -e "$T/new3" ]
}

@test "a consumer that goes away: error on write, no hang, no partial cache entries" {
	run bash -c "set -o pipefail; timeout 60 '$OCI_FETCH' --cache '$T/c' $REGISTRY/test/multi:v1 | head -c 1000 >/dev/null"
	assert_failure
	[ "$status" -ne 124 ]
	[ -z "$(find "$T/c" -name '.partial-*')" ]
	run bash -c "timeout 60 '$OCI_FETCH' --no-cache $REGISTRY/test/multi:v1 2>&1 >/dev/full"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "No space left on device"
}

@test "attack: a registry trickling its manifest just over the stall limit: SIGTERM and SIGHUP still stop the pull at once" {
	# 2000 bytes a second of a 4 MB manifest: over libcurl's 1 KiB/s stall limit, so the
	# transfer alone would take over half an hour
	port=$(free_port)
	python3 -c "
import socket, sys, threading, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $port)); s.listen(8)
open('$T/trickle.ready', 'w').close()
def serve(c):
    req = c.recv(65536).split(b'\r\n')[0].decode()
    open('$T/trickle.log', 'a').write(req + '\n')
    c.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\n'
              b'Content-Length: 4000000\r\n\r\n{')
    while True:
        c.sendall(b' ' * 400); time.sleep(0.2)
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
" 3>&- &
	TRICKLE_PID=$!
	wait_for_file "$T/trickle.ready" 5
	for sig in TERM HUP; do
		: >"$T/trickle.log"
		"$OCI_FETCH" --plain-http --no-cache -o "$T/new/lay" "127.0.0.1:$port/test/one:latest" 2>"$T/err" &
		FETCH_PID=$!
		wait_until 10 "the manifest request" grep -q "GET /v2/test/one/manifests/latest" "$T/trickle.log"
		sleep 1
		kill -"$sig" "$FETCH_PID"
		wait_until 5 "oci-fetch to stop after SIG$sig" proc_gone "$FETCH_PID"
		rc=0
		wait "$FETCH_PID" || rc=$?
		FETCH_PID=
		[ "$rc" = $((128 + $(kill -l "$sig"))) ]
		run cat "$T/err"
		assert_one_line_error oci-fetch
		assert_output_contains "interrupted by signal $(kill -l "$sig")"
		[ ! -e "$T/new" ]
	done
}

@test "an interrupted pull into a new layout (SIGTERM, SIGHUP): exit 128+N, one line, the layout and the partial blobs gone" {
	# the blob GETs wait 3 s: the layout is made, no blob is there yet
	proxy_start --delay 3000
	for sig in TERM HUP; do
		"$OCI_FETCH" --cache "$T/c" -o "$T/new/lay" "$PROXY/test/multi:v1" 2>"$T/err" &
		pid=$!
		wait_for_file "$T/new/lay/index.json" 5
		kill -"$sig" "$pid"
		rc=0
		wait "$pid" || rc=$?
		[ "$rc" = $((128 + $(kill -l "$sig"))) ]
		run cat "$T/err"
		assert_one_line_error oci-fetch
		assert_output_contains "interrupted by signal $(kill -l "$sig")"
		[ ! -e "$T/new" ]
		[ -z "$(find "$T/c" -name '.partial-*')" ]
	done
	# an ignored SIGHUP (nohup) stays ignored: the pull completes
	nohup "$OCI_FETCH" -q --cache "$T/c" -o "$T/new/lay" "$PROXY/test/multi:v1" >/dev/null 2>"$T/err" &
	pid=$!
	wait_for_file "$T/new/lay/index.json" 5
	kill -HUP "$pid"
	wait "$pid"
	check_layout "$T/new/lay"
}
