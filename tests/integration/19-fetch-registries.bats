#!/usr/bin/env bats
# oci-fetch with registries.conf against real registries: mirrors tried in order (and
# pull-from-mirror / mirror-by-digest-only), a mirror serving wrong bytes skipped for the
# verified primary, location rewrites, blocked and insecure registries, short names (search
# registries, aliases, enforcing/permissive modes), drop-ins, the v1 format, and bad files.
# skopeo, given the same registries.conf, must pull the same digest.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/registry
load ../lib/images
load ../lib/fetch

setup_file() {
	require_cmd docker-registry jq curl python3 skopeo
	# R1: the primary; R2: its mirror; R3: TLS with a self-signed CA
	registry_start plain
	export R1=$REGISTRY R1_DIR=$REGISTRY_DIR R1_LOG=$REGISTRY_LOG
	image_push_busybox lib/app v1 >/dev/null
	export P=$IMAGE_DIGEST P_LAYOUT=$IMAGE_LAYOUT
	image_push_busybox lib/only v1 --layers 2 >/dev/null
	export Q=$IMAGE_DIGEST
	registry_start plain
	export R2=$REGISTRY R2_DIR=$REGISTRY_DIR R2_LOG=$REGISTRY_LOG
	image_push_busybox mirror/lib/app v1 --layers 3 >/dev/null
	export M=$IMAGE_DIGEST
	image_push "$P_LAYOUT" mirror/lib/app pinned
	registry_start plain --tls
	export R3=$REGISTRY R3_DIR=$REGISTRY_DIR
	image_push_busybox secure/app v1 >/dev/null
	export S=$IMAGE_DIGEST
}

teardown_file() {
	registry_stop
}

setup() {
	T=$BATS_TEST_TMPDIR
	CONF=$T/registries.conf
	unset CONTAINERS_REGISTRIES_CONF
}

# pulled REF [oci-fetch args]: pull REF with $CONF into a layout; prints the manifest digest
pulled() {
	local ref=$1 out
	shift
	out=$(mktemp -d "$T/lay.XXXXXX")
	rmdir "$out"
	"$OCI_FETCH" -q --no-cache --insecure-policy --registries-conf "$CONF" "$@" -o "$out" "$ref" || return 1
	check_layout "$out" || return 1
	jq -r '.manifests[0].digest' "$out/index.json"
}

# skopeo_digest REF: the digest skopeo resolves REF to with the same $CONF
skopeo_digest() {
	skopeo --registries-conf "$CONF" inspect --no-tags --tls-verify=false --format '{{.Digest}}' "docker://$1"
}

# gets LOG REPO REF: how many manifest GETs of REPO/REF a registry logged
gets() {
	grep -c "\"GET /v2/$2/manifests/$3 HTTP/1.1\"" "$1" || true
}

@test "registries.conf: the mirror is tried first, a missing image falls back to the location; skopeo agrees" {
	cat >"$CONF" <<-EOF
		[[registry]]
		prefix = "$R1/lib"
		location = "$R1/lib"
		[[registry.mirror]]
		location = "$R2/mirror/lib"
	EOF
	local before
	before=$(gets "$R1_LOG" lib/app v1)
	run -0 pulled "$R1/lib/app:v1"
	[ "$output" = "$M" ]
	[ "$(gets "$R1_LOG" lib/app v1)" = "$before" ]
	[ "$(skopeo_digest "$R1/lib/app:v1")" = "$M" ]
	# not on the mirror: the primary
	run -0 pulled "$R1/lib/only:v1"
	[ "$output" = "$Q" ]
	[ "$(skopeo_digest "$R1/lib/only:v1")" = "$Q" ]
	# neither: one line naming every source tried
	run "$OCI_FETCH" -q --insecure-policy --registries-conf "$CONF" -o "$T/x" "$R1/lib/none:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "tried 2"
	assert_output_contains "$R2/mirror/lib/none:v1"
	assert_output_contains "$R1/lib/none:v1"
}

@test "attack: --creds for the reference's registry never reach a mirror on another host; the mirror's own auth file entry does" {
	# the mirror: a registry that asks every request for basic credentials and logs them
	cat >"$T/mirror.py" <<-'EOP'
		import http.server, sys
		class H(http.server.BaseHTTPRequestHandler):
		    protocol_version = "HTTP/1.1"
		    def log_message(self, *a): pass
		    def do_GET(self):
		        with open(sys.argv[1], "a") as f:
		            f.write("%s %s\n" % (self.path, self.headers.get("Authorization")))
		        b = b'{"errors":[{"code":"UNAUTHORIZED","message":"who?"}]}'
		        self.send_response(401)
		        self.send_header("WWW-Authenticate", 'Basic realm="mirror"')
		        self.send_header("Content-Length", str(len(b)))
		        self.end_headers()
		        self.wfile.write(b)
		    do_HEAD = do_GET
		s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
		open(sys.argv[2], "w").write(str(s.server_address[1]))
		s.serve_forever()
	EOP
	python3 "$T/mirror.py" "$T/mirror.log" "$T/port" 3>&- &
	local pid=$! mirror
	wait_for_file -s "$T/port" || { kill "$pid"; false; }
	mirror=127.0.0.1:$(cat "$T/port")
	printf '[[registry]]\nprefix = "%s"\nlocation = "%s"\n[[registry.mirror]]\nlocation = "%s"\n' \
		"$R1/lib" "$R1/lib" "$mirror/lib" >"$CONF"
	# the mirror refuses, the primary serves: the user's --creds go to the primary only;
	# skopeo sends them no credentials either; the mirror's own auth file entry is what it gets
	echo "{\"auths\":{\"$mirror\":{\"auth\":\"$(printf m:mirror-secret | base64)\"}}}" >"$T/auth.json"
	local a b c
	a=$(pulled "$R1/lib/app:v1" --creds user:primary-secret) && mv "$T/mirror.log" "$T/1.log" &&
		skopeo --registries-conf "$CONF" copy -q --src-tls-verify=false \
			--src-creds user:primary-secret "docker://$R1/lib/app:v1" "oci:$T/sk:v1" &&
		mv "$T/mirror.log" "$T/2.log" &&
		c=$(pulled "$R1/lib/app:v1" --creds user:primary-secret --authfile "$T/auth.json") &&
		mv "$T/mirror.log" "$T/3.log"
	b=$?
	kill "$pid"
	wait "$pid" || true
	[ "$b" -eq 0 ]
	[ "$a" = "$P" ]
	[ "$c" = "$P" ]
	grep -q '^/v2/lib/app/manifests/v1 None$' "$T/1.log"
	! grep -q Basic "$T/1.log" || false
	! grep -q "$(printf user:primary-secret | base64)" "$T/2.log" || false
	grep -q "Basic $(printf m:mirror-secret | base64)" "$T/3.log"
	! grep -q "$(printf user:primary-secret | base64)" "$T/3.log" || false
}

@test "registries.conf: pull-from-mirror digest-only and tag-only, mirror-by-digest-only" {
	local mode
	for mode in 'pull-from-mirror = "digest-only"' 'pull-from-mirror = "tag-only"' by-digest; do
		local top="" mir="$mode"
		[ "$mode" = by-digest ] && top="mirror-by-digest-only = true" mir=""
		cat >"$CONF" <<-EOF
			[[registry]]
			prefix = "$R1/lib"
			location = "$R1/lib"
			$top
			[[registry.mirror]]
			location = "$R2/mirror/lib"
			$mir
		EOF
		local before
		before=$(gets "$R2_LOG" mirror/lib/app "$P")
		run -0 pulled "$R1/lib/app:v1"
		local tag_digest=$output
		[ "$(skopeo_digest "$R1/lib/app:v1")" = "$tag_digest" ]
		run -0 pulled "$R1/lib/app@$P"
		[ "$output" = "$P" ]
		local mirror_gets=$(($(gets "$R2_LOG" mirror/lib/app "$P") - before))
		case $mode in
		*tag-only*)
			[ "$tag_digest" = "$M" ]
			[ "$mirror_gets" = 0 ]
			;;
		*)
			[ "$tag_digest" = "$P" ]
			[ "$mirror_gets" -ge 1 ]
			;;
		esac
	done
}

@test "registries.conf: a location rewrite pulls another registry's image under the logical name; skopeo agrees" {
	cat >"$CONF" <<-EOF
		[[registry]]
		prefix = "images.example.com/foo"
		location = "$R1/lib"
	EOF
	run -0 pulled "images.example.com/foo/app:v1"
	[ "$output" = "$P" ]
	[ "$(skopeo_digest images.example.com/foo/app:v1)" = "$P" ]
	# the longest prefix wins: a more specific table blocks one repository
	cat >>"$CONF" <<-EOF
		[[registry]]
		prefix = "images.example.com/foo/only"
		location = "$R1/lib/only"
		blocked = true
	EOF
	run "$OCI_FETCH" -q --insecure-policy --registries-conf "$CONF" -o "$T/x" images.example.com/foo/only:v1
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "blocked by registries.conf (prefix 'images.example.com/foo/only' in $CONF)"
	run skopeo --registries-conf "$CONF" inspect --tls-verify=false docker://images.example.com/foo/only:v1
	assert_failure
	run -0 pulled "images.example.com/foo/app:v1"
}

@test "registries.conf: blocked refuses before any request; the v1 [registries.block] list too" {
	printf '[[registry]]\nlocation = "%s"\nblocked = true\n' "$R1" >"$CONF"
	local nlines
	nlines=$(wc -l <"$R1_LOG")
	run "$OCI_FETCH" -q --insecure-policy --registries-conf "$CONF" -o "$T/x" "$R1/lib/app:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "blocked"
	[ "$(wc -l <"$R1_LOG")" = "$nlines" ]
	[ ! -e "$T/x" ]
	run skopeo --registries-conf "$CONF" inspect --tls-verify=false "docker://$R1/lib/app:v1"
	assert_failure
	printf '[registries.block]\nregistries = ["%s"]\n' "$R1" >"$CONF"
	run "$OCI_FETCH" -q --insecure-policy --registries-conf "$CONF" -o "$T/x" "$R1/lib/app:v1"
	assert_failure
	assert_output_contains "blocked"
	run skopeo --registries-conf "$CONF" inspect --tls-verify=false "docker://$R1/lib/app:v1"
	assert_failure
}

@test "registries.conf: insecure = true reaches a registry whose certificate is not trusted; skopeo agrees" {
	printf '' >"$CONF"
	run "$OCI_FETCH" -q --insecure-policy --registries-conf "$CONF" -o "$T/x" "$R3/secure/app:v1"
	assert_failure
	assert_one_line_error oci-fetch
	run skopeo --registries-conf "$CONF" inspect "docker://$R3/secure/app:v1"
	assert_failure
	printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$R3" >"$CONF"
	run -0 pulled "$R3/secure/app:v1"
	[ "$output" = "$S" ]
	[ "$(skopeo --registries-conf "$CONF" inspect --format '{{.Digest}}' "docker://$R3/secure/app:v1")" = "$S" ]
	# an insecure mirror that speaks plain HTTP (TLS is tried first, then HTTP)
	cat >"$CONF" <<-EOF
		[[registry]]
		prefix = "mirrored.example.com/lib"
		location = "$R3/none"
		insecure = true
		[[registry.mirror]]
		location = "$R2/mirror/lib"
		insecure = true
	EOF
	run -0 pulled "mirrored.example.com/lib/app:v1"
	[ "$output" = "$M" ]
}

@test "registries.conf: a mirror serving other bytes for a digest is skipped, the primary's verified manifest is used" {
	cat >"$CONF" <<-EOF
		[[registry]]
		prefix = "$R1/lib"
		location = "$R1/lib"
		[[registry.mirror]]
		location = "$R2/mirror/lib"
	EOF
	registry_use "$R2_DIR"
	local blob
	blob=$(image_blob_path "$P")
	cp "$blob" "$T/saved"
	jq -c '.annotations = {"evil":"yes"}' "$T/saved" >"$blob"
	local before
	before=$(gets "$R2_LOG" mirror/lib/app "$P")
	run pulled "$R1/lib/app@$P"
	cp "$T/saved" "$blob"
	assert_success
	[ "$output" = "$P" ]
	[ "$(gets "$R2_LOG" mirror/lib/app "$P")" -gt "$before" ]
}

@test "short names: one search registry, aliases, the ambiguous case listed (enforcing), permissive tries in order" {
	printf 'unqualified-search-registries = ["%s"]\n' "$R1" >"$CONF"
	run -0 pulled lib/app:v1
	[ "$output" = "$P" ]
	printf 'unqualified-search-registries = ["%s", "%s"]\n' "$R2" "$R1" >"$CONF"
	run "$OCI_FETCH" -q --insecure-policy --registries-conf "$CONF" -o "$T/x" lib/only:v1
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "'lib/only:v1' is a short name and 2 unqualified-search registries could serve it ($R2, $R1)"
	printf 'short-name-mode = "permissive"\n' >>"$CONF"
	run -0 pulled lib/only:v1
	[ "$output" = "$Q" ]
	# an alias wins over the search list, with the tag or digest the user gave
	printf '[aliases]\n"myapp" = "%s/lib/app"\n' "$R1" >>"$CONF"
	run -0 pulled myapp:v1
	[ "$output" = "$P" ]
	run -0 pulled "myapp@$P"
	[ "$output" = "$P" ]
	# a qualified name is never searched
	run "$OCI_FETCH" -q --insecure-policy --registries-conf "$CONF" -o "$T/x" "$R2/lib/only:v1"
	assert_failure
	assert_output_contains "$R2/lib/only:v1"
}

@test "registries.conf: HOME's file replaces the system one, its drop-ins merge in order; the variable reads one file" {
	mkdir -p "$T/home/.config/containers/registries.conf.d"
	printf 'unqualified-search-registries = ["%s"]\n' "$R2" >"$T/home/.config/containers/registries.conf"
	printf 'unqualified-search-registries = ["%s"]\n[aliases]\n"app" = "%s/lib/app"\n' "$R1" "$R2" \
		>"$T/home/.config/containers/registries.conf.d/10-search.conf"
	# a later drop-in erases the alias and adds a registry table
	printf '[aliases]\n"app" = ""\n[[registry]]\nlocation = "%s/lib/app"\nblocked = true\n' "$R1" \
		>"$T/home/.config/containers/registries.conf.d/20-more.conf"
	mkdir "$T/home/.config/containers/registries.conf.d/30-dir.conf"
	printf 'this is not toml\n' >"$T/home/.config/containers/registries.conf.d/40-ignored.txt"
	run env HOME="$T/home" "$OCI_FETCH" -q --no-cache --insecure-policy -o "$T/a" lib/only:v1
	assert_success
	[ "$(jq -r '.manifests[0].digest' "$T/a/index.json")" = "$Q" ]
	run env HOME="$T/home" "$OCI_FETCH" -q --no-cache --insecure-policy -o "$T/b" app:v1
	assert_failure
	assert_output_contains "$R1/app:v1"
	run env HOME="$T/home" "$OCI_FETCH" -q --no-cache --insecure-policy -o "$T/c" lib/app:v1
	assert_failure
	assert_output_contains "blocked by registries.conf (prefix '$R1/lib/app'"
	# CONTAINERS_REGISTRIES_CONF: that file alone
	printf 'unqualified-search-registries = ["%s"]\n' "$R1" >"$CONF"
	run env HOME="$T/home" CONTAINERS_REGISTRIES_CONF="$CONF" "$OCI_FETCH" -q --no-cache --insecure-policy -o "$T/d" lib/app:v1
	assert_success
}

@test "registries.conf: a bad file is one line naming the file, the line and what is wrong" {
	local bad
	while IFS='|' read -r bad want; do
		printf '%b' "$bad" >"$CONF"
		run "$OCI_FETCH" -q --insecure-policy --registries-conf "$CONF" -o "$T/x" "$R1/lib/app:v1"
		assert_failure
		assert_one_line_error oci-fetch
		assert_output_contains "'$CONF'"
		assert_output_contains "$want"
		[ ! -e "$T/x" ]
	done <<-'EOF'
		unqualified-search-registries = ["a"\n|expected ',' or ']'
		\n\n[[registry]]\nlocation = "x.io"\nlocation = "y.io"\n|line 5: duplicate key 'location'
		[[registry]]\nlocation = "x.io"\n[[registry.mirror]]\nlocation = "m.io"\npull-from-mirror = "sometimes"\n|'sometimes' is not all, digest-only or tag-only
		[[registry]]\nlocation = "https://x.io"\n|a location has no scheme
		[[registry]]\nlocation = "x.io"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "m.io"\npull-from-mirror = "all"\n|not allowed with mirror-by-digest-only
		credential-helpers = ["secretservice"]\n|credential-helpers 'secretservice' is not supported
		short-name-mode = "prompt"\n|short-name-mode 'prompt'
		[aliases]\n"docker.io/x" = "quay.io/x"\n|is not a short name
		[aliases]\n"x" = "quay.io/x:1"\n|must be a qualified name
		[registries.search]\nregistries = ["a.io"]\n[[registry]]\nlocation = "x.io"\n|mixes the version 1
		a = 1.5\n|floats and dates are not supported
		a = """x"""\n|multi-line strings are not supported
		[t]\n[t]\n|line 2: table 't' is defined twice
		[[registry]]\nprefix = "x.io"\nlocation = "y.io"\n[[registry]]\nlocation = "x.io"\n|prefix 'x.io' is defined twice
	EOF
	run "$OCI_FETCH" -q --insecure-policy --registries-conf "$T/none.conf" -o "$T/x" "$R1/lib/app:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "$T/none.conf"
}
