#!/usr/bin/env bats
# Proves the test fixtures the other suites stand on: the registry in each mode (plain, TLS,
# basic, bearer token) answers like a real registry, and mkimage.py builds what it claims.

load ../lib/common
load ../lib/registry
load ../lib/images

OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json

setup_file() {
	require_cmd docker-registry jq curl openssl htpasswd
	image_build "$BATS_FILE_TMPDIR/img" >/dev/null
	export FX_IMG=$BATS_FILE_TMPDIR/img FX_IMG_DIGEST=$IMAGE_DIGEST
	local m
	for m in plain tls basic token; do
		if [ $m = tls ]; then registry_start plain --tls; else registry_start $m; fi
		image_push "$FX_IMG" fx/busybox v1
		eval "export FX_${m^^}=\$REGISTRY_DIR"
	done
}

teardown_file() {
	registry_stop
}

teardown() {
	if [ -n "${FX_EXTRA:-}" ]; then registry_stop "$FX_EXTRA"; fi
}

# get_manifest URL [curl args...]: prints the HTTP status, the body goes to $BATS_TEST_TMPDIR/body
get_manifest() {
	local url=$1
	shift
	curl -s -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' -H "Accept: $OCI_MANIFEST" "$@" "$url"
}

@test "plain registry serves the pushed manifest by tag and by digest" {
	registry_use "$FX_PLAIN"
	run get_manifest "$REGISTRY_URL/v2/fx/busybox/manifests/v1"
	[ "$output" = 200 ]
	[ "sha256:$(sha256sum <"$BATS_TEST_TMPDIR/body" | cut -d' ' -f1)" = "$FX_IMG_DIGEST" ]
	run get_manifest "$REGISTRY_URL/v2/fx/busybox/manifests/$FX_IMG_DIGEST"
	[ "$output" = 200 ]
	# every blob the manifest names is there, with the right content
	local dg
	for dg in $(jq -r '.config.digest, .layers[].digest' "$BATS_TEST_TMPDIR/body"); do
		curl -sf "$REGISTRY_URL/v2/fx/busybox/blobs/$dg" -o "$BATS_TEST_TMPDIR/blob"
		[ "sha256:$(sha256sum <"$BATS_TEST_TMPDIR/blob" | cut -d' ' -f1)" = "$dg" ]
	done
	# the access log records requests
	grep -q '"GET /v2/fx/busybox/manifests/v1 HTTP/1.1" 200' "$REGISTRY_LOG"
	[ -f "$(image_blob_path "$dg")" ]
}

@test "tls registry: works with the test CA, refused without it" {
	registry_use "$FX_TLS"
	[[ "$REGISTRY_URL" == https://127.0.0.1:* ]]
	[ -s "$REGISTRY_CA" ]
	run get_manifest "$REGISTRY_URL/v2/fx/busybox/manifests/v1" --cacert "$REGISTRY_CA"
	[ "$output" = 200 ]
	run get_manifest "https://localhost:${REGISTRY##*:}/v2/fx/busybox/manifests/v1" --cacert "$REGISTRY_CA"
	[ "$output" = 200 ]
	run get_manifest "$REGISTRY_URL/v2/fx/busybox/manifests/v1"
	[ "$status" = 60 ] # curl: peer certificate cannot be authenticated
	run get_manifest "http://$REGISTRY/v2/fx/busybox/manifests/v1"
	[ "$output" = 400 ]
}

@test "basic registry: 401 without or with wrong credentials, 200 with the right ones" {
	registry_use "$FX_BASIC"
	[ -n "$REGISTRY_USER" ]
	[ -n "$REGISTRY_PASS" ]
	curl -s -D "$BATS_TEST_TMPDIR/h" -o /dev/null "$REGISTRY_URL/v2/"
	grep -qi '^www-authenticate: Basic realm=' "$BATS_TEST_TMPDIR/h"
	run get_manifest "$REGISTRY_URL/v2/fx/busybox/manifests/v1"
	[ "$output" = 401 ]
	run get_manifest "$REGISTRY_URL/v2/fx/busybox/manifests/v1" -u "$REGISTRY_USER:wrong"
	[ "$output" = 401 ]
	run get_manifest "$REGISTRY_URL/v2/fx/busybox/manifests/v1" -u "$REGISTRY_USER:$REGISTRY_PASS"
	[ "$output" = 200 ]
	[ "sha256:$(sha256sum <"$BATS_TEST_TMPDIR/body" | cut -d' ' -f1)" = "$FX_IMG_DIGEST" ]
}

@test "token registry: 401 with a Bearer challenge, then the manifest with a token" {
	registry_use "$FX_TOKEN"
	curl -s -D "$BATS_TEST_TMPDIR/h" -o /dev/null -H "Accept: $OCI_MANIFEST" \
		"$REGISTRY_URL/v2/fx/busybox/manifests/v1"
	head -1 "$BATS_TEST_TMPDIR/h" | grep -q ' 401'
	local ch
	ch=$(grep -i '^www-authenticate:' "$BATS_TEST_TMPDIR/h" | tr -d '\r')
	[[ "$ch" == *"Bearer realm=\"$REGISTRY_TOKEN_REALM\""* ]]
	[[ "$ch" == *"service=\"$REGISTRY_TOKEN_SERVICE\""* ]]
	[[ "$ch" == *'scope="repository:fx/busybox:pull"'* ]]

	: >"$REGISTRY_TOKEN_LOG"
	curl -sf -G "$REGISTRY_TOKEN_REALM" --data-urlencode "service=$REGISTRY_TOKEN_SERVICE" \
		--data-urlencode "scope=repository:fx/busybox:pull" -u "$REGISTRY_USER:$REGISTRY_PASS" \
		-o "$BATS_TEST_TMPDIR/tok"
	local t
	t=$(jq -r .token "$BATS_TEST_TMPDIR/tok")
	[ "$(jq -r .access_token "$BATS_TEST_TMPDIR/tok")" = "$t" ]
	[ "$(jq -r .expires_in "$BATS_TEST_TMPDIR/tok")" -gt 0 ]
	[ "$(wc -l <"$REGISTRY_TOKEN_LOG")" = 1 ]
	run get_manifest "$REGISTRY_URL/v2/fx/busybox/manifests/v1" -H "Authorization: Bearer $t"
	[ "$output" = 200 ]
	[ "sha256:$(sha256sum <"$BATS_TEST_TMPDIR/body" | cut -d' ' -f1)" = "$FX_IMG_DIGEST" ]
	# a token for another repository does not open this one
	t=$(registry_token other/repo pull)
	run get_manifest "$REGISTRY_URL/v2/fx/busybox/manifests/v1" -H "Authorization: Bearer $t"
	[ "$output" = 401 ]
	# a tampered token (last signature character changed) is rejected
	local bad=${t%?}A
	[ "$bad" != "$t" ] || bad=${t%?}B
	run get_manifest "$REGISTRY_URL/v2/fx/busybox/manifests/v1" -H "Authorization: Bearer $bad"
	[ "$output" = 401 ]
}

@test "token issuer: wrong credentials get 401, anonymous gets pull but not push" {
	registry_use "$FX_TOKEN"
	run curl -s -o /dev/null -w '%{http_code}' -G "$REGISTRY_TOKEN_REALM" \
		--data-urlencode "service=$REGISTRY_TOKEN_SERVICE" \
		--data-urlencode "scope=repository:fx/busybox:pull" -u "$REGISTRY_USER:wrong"
	[ "$output" = 401 ]
	grep -q "user=$REGISTRY_USER .* status=401" "$REGISTRY_TOKEN_LOG"
	local t
	t=$(registry_token fx/busybox pull,push "" "")
	run get_manifest "$REGISTRY_URL/v2/fx/busybox/manifests/v1" -H "Authorization: Bearer $t"
	[ "$output" = 200 ]
	run curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $t" \
		"$REGISTRY_URL/v2/fx/busybox/blobs/uploads/"
	[ "$output" = 401 ]
	t=$(registry_token fx/busybox pull,push)
	run curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $t" \
		"$REGISTRY_URL/v2/fx/busybox/blobs/uploads/"
	[ "$output" = 202 ]
	# OAuth2 password grant (POST) works too
	run curl -sf -o /dev/null -w '%{http_code}' "$REGISTRY_TOKEN_REALM" -d grant_type=password \
		-d "username=$REGISTRY_USER" -d "password=$REGISTRY_PASS" \
		-d "service=$REGISTRY_TOKEN_SERVICE" -d "scope=repository:fx/busybox:pull"
	[ "$output" = 200 ]
}

@test "token issuer honours TOKEN_EXPIRES_IN" {
	TOKEN_EXPIRES_IN=2 registry_start token
	FX_EXTRA=$REGISTRY_DIR
	local t
	curl -sf -G "$REGISTRY_TOKEN_REALM" --data-urlencode "service=$REGISTRY_TOKEN_SERVICE" \
		--data-urlencode "scope=repository:fx/busybox:pull" -o "$BATS_TEST_TMPDIR/tok"
	[ "$(jq -r .expires_in "$BATS_TEST_TMPDIR/tok")" = 2 ]
	t=$(jq -r .token "$BATS_TEST_TMPDIR/tok")
	# JWT claims: exp - iat is the lifetime, the audience is the service
	local claims
	claims=$(cut -d. -f2 <<<"$t" | tr '_-' '/+' | python3 -c 'import base64,sys; s=sys.stdin.read().strip(); print(base64.b64decode(s+"="*(-len(s)%4)).decode())')
	[ "$(jq '.exp - .iat' <<<"$claims")" = 2 ]
	[ "$(jq -r .aud <<<"$claims")" = "$REGISTRY_TOKEN_SERVICE" ]
}

@test "image_push pushes a multi-platform index with its children first" {
	registry_use "$FX_TOKEN"
	image_push_busybox fx/multi v1 --platforms linux/amd64,linux/arm64
	local t
	t=$(registry_token fx/multi pull)
	run get_manifest "$REGISTRY_URL/v2/fx/multi/manifests/v1" -H "Authorization: Bearer $t" \
		-H "Accept: application/vnd.oci.image.index.v1+json"
	[ "$output" = 200 ]
	[ "sha256:$(sha256sum <"$BATS_TEST_TMPDIR/body" | cut -d' ' -f1)" = "$IMAGE_DIGEST" ]
	cp "$BATS_TEST_TMPDIR/body" "$BATS_TEST_TMPDIR/index"
	local dg
	for dg in $(jq -r '.manifests[].digest' "$BATS_TEST_TMPDIR/index"); do
		run get_manifest "$REGISTRY_URL/v2/fx/multi/manifests/$dg" -H "Authorization: Bearer $t"
		[ "$output" = 200 ]
	done
}

# layer_diff_id BLOB: sha256 of the uncompressed layer
layer_diff_id() {
	case $(head -c4 "$1" | od -An -tx1 | tr -d ' ') in
	1f8b*) gzip -dc "$1" ;;
	28b52ffd) zstd -qdc "$1" ;;
	*) cat "$1" ;;
	esac | sha256sum | cut -d' ' -f1
}

blob() { echo "$1/blobs/sha256/${2#sha256:}"; }

# check_diff_ids LAYOUT MANIFEST_DIGEST: rootfs.diff_ids match the layers' contents
check_diff_ids() {
	local m c i n
	m=$(blob "$1" "$2")
	c=$(blob "$1" "$(jq -r .config.digest "$m")")
	n=$(jq '.layers | length' "$m")
	[ "$n" = "$(jq '.rootfs.diff_ids | length' "$c")" ]
	for ((i = 0; i < n; i++)); do
		[ "sha256:$(layer_diff_id "$(blob "$1" "$(jq -r ".layers[$i].digest" "$m")")")" = \
			"$(jq -r ".rootfs.diff_ids[$i]" "$c")" ]
	done
}

@test "mkimage: busybox layout is valid, deterministic, and diff_ids match the layers" {
	local o=$BATS_TEST_TMPDIR/a
	run "$MKIMAGE" "$o" --layers 3 --compression zstd
	assert_success
	local dg=$output
	[ "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$o/index.json")" = latest ]
	[ "$(jq -r '.manifests[0].digest' "$o/index.json")" = "$dg" ]
	[ "$(jq -r .imageLayoutVersion "$o/oci-layout")" = 1.0.0 ]
	local f
	for f in "$o"/blobs/sha256/*; do
		[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$(basename "$f")" ]
	done
	local m
	m=$(blob "$o" "$dg")
	[ "$(jq '.layers | length' "$m")" = 3 ]
	[ "$(jq -r '.layers[].mediaType' "$m" | sort -u)" = application/vnd.oci.image.layer.v1.tar+zstd ]
	check_diff_ids "$o" "$dg"
	local c
	c=$(blob "$o" "$(jq -r .config.digest "$m")")
	[ "$(jq -r .architecture "$c")" = amd64 ] || [ "$(uname -m)" != x86_64 ]
	[ "$(jq -c .config.Cmd "$c")" = '["/bin/sh"]' ]
	# the base layer carries busybox and the users
	zstd -qdc "$(blob "$o" "$(jq -r '.layers[0].digest' "$m")")" | tar -t >"$BATS_TEST_TMPDIR/list"
	grep -qx bin/busybox "$BATS_TEST_TMPDIR/list"
	grep -qx bin/sh "$BATS_TEST_TMPDIR/list"
	grep -qx etc/passwd "$BATS_TEST_TMPDIR/list"
	# same options, same digest
	run "$MKIMAGE" "$BATS_TEST_TMPDIR/b" --layers 3 --compression zstd
	[ "$output" = "$dg" ]
	# umoci (a peer, gzip only) unpacks the same image and the applets run
	if command -v umoci >/dev/null && [ "$(id -u)" = 0 ]; then
		"$MKIMAGE" "$BATS_TEST_TMPDIR/g" --layers 3 >/dev/null
		umoci unpack --image "$BATS_TEST_TMPDIR/g:latest" "$BATS_TEST_TMPDIR/bundle" >/dev/null
		[ "$(cat "$BATS_TEST_TMPDIR/bundle/rootfs/layers/3.txt")" = "layer 3" ]
		run chroot "$BATS_TEST_TMPDIR/bundle/rootfs" /bin/sh -c 'id -u app; echo hi'
		[ "$output" = "$(printf '1000\nhi')" ]
	fi
}

@test "mkimage: config options land in the image config" {
	local o=$BATS_TEST_TMPDIR/a
	"$MKIMAGE" "$o" --entrypoint '["/bin/echo"]' --cmd '["hello"]' --user 1000:1000 \
		--workdir /tmp --env A=1 --env B=two --label x=y --stopsignal SIGINT \
		--expose 8080/tcp --volume /data >/dev/null
	local m c
	m=$(blob "$o" "$(jq -r '.manifests[0].digest' "$o/index.json")")
	c=$(blob "$o" "$(jq -r .config.digest "$m")")
	[ "$(jq -c .config.Entrypoint "$c")" = '["/bin/echo"]' ]
	[ "$(jq -c .config.Cmd "$c")" = '["hello"]' ]
	[ "$(jq -r .config.User "$c")" = 1000:1000 ]
	[ "$(jq -r .config.WorkingDir "$c")" = /tmp ]
	[ "$(jq -r '.config.Env[1:] | join(",")' "$c")" = A=1,B=two ]
	[ "$(jq -r .config.Labels.x "$c")" = y ]
	[ "$(jq -r .config.StopSignal "$c")" = SIGINT ]
	[ "$(jq -c '.config.ExposedPorts | keys' "$c")" = '["8080/tcp"]' ]
	[ "$(jq -c '.config.Volumes | keys' "$c")" = '["/data"]' ]
	run "$MKIMAGE" "$BATS_TEST_TMPDIR/bad" --cmd 'not json'
	assert_failure
	assert_output_contains "mkimage.py: "
}

@test "mkimage: multi-platform index has amd64 and arm64 manifests" {
	local o=$BATS_TEST_TMPDIR/a
	"$MKIMAGE" "$o" --platforms linux/amd64,linux/arm64 >/dev/null
	local top idx
	top=$(jq -r '.manifests[0].digest' "$o/index.json")
	[ "$(jq -r '.manifests[0].mediaType' "$o/index.json")" = application/vnd.oci.image.index.v1+json ]
	idx=$(blob "$o" "$top")
	[ "$(jq -r '[.manifests[].platform | .os + "/" + .architecture + (if .variant then "/" + .variant else "" end)] | join(",")' "$idx")" = linux/amd64,linux/arm64/v8 ]
	local arm m c
	arm=$(jq -r '.manifests[] | select(.platform.architecture == "arm64") | .digest' "$idx")
	m=$(blob "$o" "$arm")
	c=$(blob "$o" "$(jq -r .config.digest "$m")")
	[ "$(jq -r '.architecture + "/" + .variant' "$c")" = arm64/v8 ]
	check_diff_ids "$o" "$arm"
	gzip -dc "$(blob "$o" "$(jq -r '.layers[0].digest' "$m")")" | tar -xO etc/platform >"$BATS_TEST_TMPDIR/p"
	[ "$(cat "$BATS_TEST_TMPDIR/p")" = linux/arm64 ]
}

@test "mkimage: docker format uses schema2 media types; archives load in skopeo" {
	local o=$BATS_TEST_TMPDIR/a
	"$MKIMAGE" "$o" --format docker --layers 2 --docker-archive "$BATS_TEST_TMPDIR/d.tar" \
		--oci-archive "$BATS_TEST_TMPDIR/o.tar" >/dev/null
	local dg m
	dg=$(jq -r '.manifests[0].digest' "$o/index.json")
	m=$(blob "$o" "$dg")
	[ "$(jq -r .mediaType "$m")" = application/vnd.docker.distribution.manifest.v2+json ]
	[ "$(jq -r .config.mediaType "$m")" = application/vnd.docker.container.image.v1+json ]
	[ "$(jq -r '.layers[].mediaType' "$m" | sort -u)" = application/vnd.docker.image.rootfs.diff.tar.gzip ]
	check_diff_ids "$o" "$dg"
	# OCI archive streams oci-layout, index.json, manifest, config, then layers bottom to top
	local want
	want=$(printf '%s\n' oci-layout index.json "$dg" "$(jq -r .config.digest "$m")" \
		$(jq -r '.layers[].digest' "$m") | sed 's|^sha256:|blobs/sha256/|')
	[ "$(tar -tf "$BATS_TEST_TMPDIR/o.tar")" = "$want" ]
	tar -tf "$BATS_TEST_TMPDIR/d.tar" | grep -qx manifest.json
	if command -v skopeo >/dev/null; then
		[ "$(skopeo inspect --raw "oci-archive:$BATS_TEST_TMPDIR/o.tar" | sha256sum | cut -d' ' -f1)" = "${dg#sha256:}" ]
		[ "$(skopeo inspect "docker-archive:$BATS_TEST_TMPDIR/d.tar" | jq -c .Layers)" = \
			"$(jq -c .rootfs.diff_ids "$(blob "$o" "$(jq -r .config.digest "$m")")")" ]
	fi
}

@test "mkimage --features: whiteouts, opaque dir, links, device, xattr, owners in the layers" {
	local o=$BATS_TEST_TMPDIR/a
	"$MKIMAGE" "$o" --features --compression none >/dev/null
	local dg m l1 l2
	dg=$(jq -r '.manifests[0].digest' "$o/index.json")
	m=$(blob "$o" "$dg")
	[ "$(jq '.layers | length' "$m")" = 3 ]
	check_diff_ids "$o" "$dg"
	l1=$(blob "$o" "$(jq -r '.layers[1].digest' "$m")")
	l2=$(blob "$o" "$(jq -r '.layers[2].digest' "$m")")
	tar -tvf "$l1" --numeric-owner >"$BATS_TEST_TMPDIR/l1"
	tar -tf "$l2" >"$BATS_TEST_TMPDIR/l2"
	grep -qx feat/.wh.gone.txt "$BATS_TEST_TMPDIR/l2"
	grep -qx feat/opaque/.wh..wh..opq "$BATS_TEST_TMPDIR/l2"
	grep -q '^hrw-r--r-- 0/0 .* feat/hardlink-dst link to feat/hardlink-src$' "$BATS_TEST_TMPDIR/l1"
	grep -q '^crw-rw-rw- 0/0 .*1,3 .* dev/mynull$' "$BATS_TEST_TMPDIR/l1"
	grep -q '^prw------- .* feat/fifo$' "$BATS_TEST_TMPDIR/l1"
	grep -q '^-rwsr-xr-x .* feat/setuid$' "$BATS_TEST_TMPDIR/l1"
	grep -q '^-rw-r----- 1000/1000 .* feat/owned-1000$' "$BATS_TEST_TMPDIR/l1"
	grep -q '^-rw------- 2000/2000 .* feat/owned-2000$' "$BATS_TEST_TMPDIR/l1"
	grep -q 'feat/symlink-abs -> /etc/passwd$' "$BATS_TEST_TMPDIR/l1"
	grep -q 'feat/symlink-rel -> ../bin/busybox$' "$BATS_TEST_TMPDIR/l1"
	python3 -c 'import sys,tarfile; t=tarfile.open(sys.argv[1]); assert t.getmember("feat/xattr-file").pax_headers["SCHILY.xattr.user.test"] == "hello"' "$l1"
}

@test "mkimage --layer-tar and --layer-blob wrap a given layer with correct digests" {
	local o=$BATS_TEST_TMPDIR/a
	printf 'x' >"$BATS_TEST_TMPDIR/x"
	tar -C "$BATS_TEST_TMPDIR" -cf "$BATS_TEST_TMPDIR/l.tar" x
	gzip -c "$BATS_TEST_TMPDIR/l.tar" >"$BATS_TEST_TMPDIR/l.tar.gz"
	"$MKIMAGE" "$o" --no-base --layer-tar "$BATS_TEST_TMPDIR/l.tar" \
		--layer-blob "$BATS_TEST_TMPDIR/l.tar.gz" >/dev/null
	local dg m
	dg=$(jq -r '.manifests[0].digest' "$o/index.json")
	m=$(blob "$o" "$dg")
	[ "$(jq '.layers | length' "$m")" = 2 ]
	[ "$(jq -r '.layers[1].digest' "$m")" = "sha256:$(sha256sum <"$BATS_TEST_TMPDIR/l.tar.gz" | cut -d' ' -f1)" ]
	check_diff_ids "$o" "$dg"
}

# tar_names TAR: "name type linkname" per member, exactly as stored
tar_names() {
	python3 -c 'import sys, tarfile
for m in tarfile.open(sys.argv[1]): print(m.name, m.type.decode(), m.linkname)' "$1"
}

@test "hostile.py lists its cases and writes each one" {
	run "$HOSTILE" --list
	assert_success
	local c n=0
	for c in dotdot abs dotdot-mid symlink-root-then-file symlink-dotdot-then-file \
		dir-swapped-for-symlink chmod-through-symlink hardlink-shadow hardlink-dotdot \
		hardlink-through-symlink whiteout-dotdot whiteout-empty whiteout-escape \
		whiteout-through-symlink symlink-named-dot symlink-named-slash gzip-bomb \
		zstd-huge-window tar-padding many-files; do
		grep -q "^$c " <<<"$output"
	done
	for c in $(awk '$2 == "tar" {print $1}' <<<"$output"); do
		"$HOSTILE" "$c" "$BATS_TEST_TMPDIR/$c.tar"
		n=$((n + 1))
	done
	[ "$n" -ge 16 ]
	# names are written verbatim, not cleaned
	[ "$(tar -tf "$BATS_TEST_TMPDIR/dotdot-mid.tar" 2>/dev/null | tail -1)" = a/../../x ]
	[ "$(tar_names "$BATS_TEST_TMPDIR/hardlink-shadow.tar")" = "h 1 /etc/shadow" ]
	[ "$(tar_names "$BATS_TEST_TMPDIR/abs.tar")" = "/abs-escape 0 " ]
	tar -tvf "$BATS_TEST_TMPDIR/dir-swapped-for-symlink.tar" | awk '{print $1}' | tr '\n' ' ' |
		grep -q '^d.* l.* -'
	"$HOSTILE" whiteout-through-symlink "$BATS_TEST_TMPDIR/w.tar" --target "$BATS_TEST_TMPDIR/victim"
	[ "$(tar_names "$BATS_TEST_TMPDIR/w.tar" | head -1)" = "s 2 $BATS_TEST_TMPDIR/victim" ]
	run "$HOSTILE" no-such-case "$BATS_TEST_TMPDIR/x"
	assert_failure
	assert_one_line_error hostile.py
}

@test "hostile.py: bombs are small on disk and huge inflated" {
	"$HOSTILE" gzip-bomb "$BATS_TEST_TMPDIR/bomb.gz" --size 64M
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/bomb.gz")" -lt 200000 ]
	[ "$(gzip -dc "$BATS_TEST_TMPDIR/bomb.gz" | wc -c)" = $((64 * 1024 * 1024 + 512 + 1024)) ]
	gzip -dc "$BATS_TEST_TMPDIR/bomb.gz" | tar -tv | grep -q ' 67108864 .* zeros$'
	"$HOSTILE" tar-padding "$BATS_TEST_TMPDIR/pad.gz" --size 32M
	[ "$(gzip -dc "$BATS_TEST_TMPDIR/pad.gz" | wc -c)" = $((4 * 512 + 32 * 1024 * 1024)) ]
	"$HOSTILE" zstd-huge-window "$BATS_TEST_TMPDIR/w.zst"
	run zstd -qdc "$BATS_TEST_TMPDIR/w.zst"
	assert_failure # the default decoder limit refuses a 2 GiB window
	zstd -qdc --long=31 --memory=2048MB "$BATS_TEST_TMPDIR/w.zst" | tar -t | grep -qx small
	"$HOSTILE" many-files "$BATS_TEST_TMPDIR/many.gz" --count 5000
	[ "$(gzip -dc "$BATS_TEST_TMPDIR/many.gz" | tar -t | grep -c '/[0-9]\{7\}$')" = 5000 ]
	# wrapped into an image with correct digests
	"$HOSTILE" dotdot "$BATS_TEST_TMPDIR/d.tar" --image "$BATS_TEST_TMPDIR/img" >/dev/null
	check_diff_ids "$BATS_TEST_TMPDIR/img" "$(jq -r '.manifests[0].digest' "$BATS_TEST_TMPDIR/img/index.json")"
	# a bomb's diff_id is the one its generator hashed while writing it (mkimage.py does not
	# inflate it again): the same as inflating it
	"$HOSTILE" tar-padding "$BATS_TEST_TMPDIR/p.gz" --size 32M --image "$BATS_TEST_TMPDIR/pimg" --no-base >/dev/null
	check_diff_ids "$BATS_TEST_TMPDIR/pimg" "$(jq -r '.manifests[0].digest' "$BATS_TEST_TMPDIR/pimg/index.json")"
	"$HOSTILE" gzip-bomb "$BATS_TEST_TMPDIR/b.gz" --size 16M --image "$BATS_TEST_TMPDIR/bimg" --no-base >/dev/null
	check_diff_ids "$BATS_TEST_TMPDIR/bimg" "$(jq -r '.manifests[0].digest' "$BATS_TEST_TMPDIR/bimg/index.json")"
}

@test "treecmp.sh: identical trees match; mode, owner, content, links, xattrs differ" {
	local a=$BATS_TEST_TMPDIR/a b=$BATS_TEST_TMPDIR/b
	mkdir -p "$a/d/sub"
	echo hello >"$a/d/f"
	ln "$a/d/f" "$a/d/sub/hl"
	ln -s ../f "$a/d/sub/link"
	mkfifo "$a/d/fifo"
	echo x >"$a/suid"
	chmod 4755 "$a/suid"
	chmod 1777 "$a/d/sub"
	setfattr -n user.k -v v "$a/d/f" 2>/dev/null || true
	[ "$(id -u)" = 0 ] && mknod "$a/d/null" c 1 3 && chown 1000:1000 "$a/d/f"
	cp -a "$a" "$b"
	run "$TOP/tests/lib/treecmp.sh" "$a" "$b"
	assert_success
	[ -z "$output" ]

	chmod 0755 "$b/suid"
	run "$TOP/tests/lib/treecmp.sh" "$a" "$b"
	assert_failure 1
	[ "$output" = "/suid: mode: 4755 != 0755" ]
	chmod 4755 "$b/suid"

	echo hellO >"$b/d/sub/hl" # same size, other content, through the hardlink
	touch -r "$a/d/f" "$b/d/f"
	run "$TOP/tests/lib/treecmp.sh" "$a" "$b"
	assert_failure 1
	assert_output_contains "/d/f: sha256: "
	assert_output_contains "/d/sub/hl: sha256: "
	# a broken hardlink group shows even when contents match
	rm "$b/d/sub/hl"
	cp -a "$a/d/sub/hl" "$b/d/sub/hl"
	cp -a "$a/d/f" "$b/d/f"
	run "$TOP/tests/lib/treecmp.sh" "$a" "$b"
	assert_failure 1
	assert_output_contains "/d/f: hardlinks: /d/f,/d/sub/hl != -"

	rm -rf "$b" && cp -a "$a" "$b"
	ln -sfn /etc "$b/d/sub/link"
	rm "$b/d/fifo"
	run "$TOP/tests/lib/treecmp.sh" "$a" "$b"
	assert_failure 1
	assert_output_contains "/d/sub/link: target: ../f != /etc"
	assert_output_contains "only in A: /d/fifo (fifo)"
	run "$TOP/tests/lib/treecmp.sh" --ignore /d "$a" "$b"
	assert_success

	if [ "$(id -u)" = 0 ]; then
		rm -rf "$b" && cp -a "$a" "$b"
		chown 0:0 "$b/d/f"
		run "$TOP/tests/lib/treecmp.sh" "$a" "$b"
		assert_failure 1
		assert_output_contains "/d/f: owner: 1000:1000 != 0:0"
		run "$TOP/tests/lib/treecmp.sh" --no-owner "$a" "$b"
		assert_success
		rm -f "$b/d/null" && mknod "$b/d/null" c 1 5
		run "$TOP/tests/lib/treecmp.sh" --no-owner "$a" "$b"
		assert_output_contains "/d/null: device: 1:3 != 1:5"
	fi
	if getfattr -n user.k "$a/d/f" >/dev/null 2>&1; then
		rm -rf "$b" && cp -a "$a" "$b"
		setfattr -n user.k -v w "$b/d/f"
		run "$TOP/tests/lib/treecmp.sh" "$a" "$b"
		assert_failure 1
		assert_output_contains "/d/f: xattr user.k: 76 != 77"
	fi
	run "$TOP/tests/lib/treecmp.sh" "$a"
	assert_failure 2
}
