# Registry fixture: runs Debian's docker-registry (the CNCF distribution server) on a free
# 127.0.0.1 port so fetch tests talk to a real registry. Load with `load ../lib/registry`.
#
#   registry_start [plain|basic|token] [--tls] [--realm-host H]
#                                                start one; exports the REGISTRY_* variables
#                                                (--realm-host: the host name the token realm
#                                                names, default 127.0.0.1; it must reach
#                                                127.0.0.1, e.g. localhost)
#   registry_stop [DIR]                          stop the one in DIR, or every one started
#   registry_use DIR                             make a started registry current again
#   registry_curl [curl args...]                 curl with the current registry's CA
#   registry_auth_args REPO ACTIONS              curl auth args for the current mode
#
# Exported by registry_start (all describe the registry started last, or after registry_use):
#   REGISTRY (127.0.0.1:PORT), REGISTRY_URL (http[s]://127.0.0.1:PORT), REGISTRY_MODE,
#   REGISTRY_DIR (its private dir), REGISTRY_STORAGE (filesystem storage root),
#   REGISTRY_LOG (server + access log), REGISTRY_PID, REGISTRY_CA (PEM, with --tls),
#   REGISTRY_USER / REGISTRY_PASS (basic and token modes),
#   REGISTRY_TOKEN_REALM, REGISTRY_TOKEN_SERVICE, REGISTRY_TOKEN_LOG, REGISTRY_TOKEN_PID
#   (token mode), REGISTRY_DIRS (every dir started, for registry_stop).

REGISTRY_LIB_DIR=${REGISTRY_LIB_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}

# _registry_free_port: prints a TCP port that was free on 127.0.0.1 a moment ago.
_registry_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# _registry_make_tls DIR: a test CA and a server certificate for 127.0.0.1 and localhost.
_registry_make_tls() {
	local d=$1
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=oci-toolkit test CA" \
		-keyout "$d/ca.key" -out "$d/ca.pem" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		>/dev/null 2>&1 || return 1
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$d/server.key" -out "$d/server.csr" >/dev/null 2>&1 || return 1
	printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >"$d/server.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
		-days 3650 -extfile "$d/server.ext" -out "$d/server.pem" >/dev/null 2>&1 || return 1
}

# _registry_make_token_key DIR: the token signing key and its self-signed certificate
# (the registry's rootcertbundle; the issuer puts it in each JWT's x5c header).
_registry_make_token_key() {
	local d=$1
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=oci-toolkit token issuer" \
		-keyout "$d/token.key" -out "$d/token.pem" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,digitalSignature,keyCertSign" \
		>/dev/null 2>&1
}

# _registry_wait_http URL [CA] [PID]: waits until URL answers HTTP at all (any status);
# gives up early when PID dies.
_registry_wait_http() {
	local url=$1 ca=${2:-} pid=${3:-} code
	local args=(-s -o /dev/null -w '%{http_code}' --max-time 2)
	[ -n "$ca" ] && args+=(--cacert "$ca")
	for _ in $(seq 1 100); do
		code=$(curl "${args[@]}" "$url" 2>/dev/null) || code=000
		[ "$code" != 000 ] && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
		sleep 0.1
	done
	return 1
}

_registry_kill() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	# A killed child's wait status is non-zero: that is expected, not a failure under set -e.
	wait "$pid" 2>/dev/null || true
	return 0
}

registry_start() {
	local mode=plain tls=0 a realm_host=127.0.0.1
	while [ $# -gt 0 ]; do
		a=$1
		shift
		case $a in
		plain | basic | token) mode=$a ;;
		--tls) tls=1 ;;
		--realm-host) realm_host=$1; shift ;;
		*) echo "registry_start: unknown argument '$a'" >&2; return 1 ;;
		esac
	done
	local base=${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}
	local d
	d=$(mktemp -d "$base/registry.XXXXXX") || return 1
	mkdir -p "$d/storage"
	local scheme=http tlscfg="" authcfg=""
	if [ "$tls" = 1 ]; then
		_registry_make_tls "$d" || { echo "registry_start: cannot make TLS certificates" >&2; return 1; }
		scheme=https
		tlscfg="  tls:
    certificate: $d/server.pem
    key: $d/server.key"
	fi
	local user="" pass="" token_port="" token_realm="" service="oci-toolkit-test-registry"
	if [ "$mode" != plain ]; then
		user=tester
		pass="s3cret-$RANDOM$RANDOM"
	fi
	if [ "$mode" = basic ]; then
		htpasswd -Bbn "$user" "$pass" >"$d/htpasswd" 2>/dev/null || return 1
		authcfg="auth:
  htpasswd:
    realm: oci-toolkit-test
    path: $d/htpasswd"
	elif [ "$mode" = token ]; then
		_registry_make_token_key "$d" || { echo "registry_start: cannot make token key" >&2; return 1; }
		token_port=$(_registry_free_port)
		token_realm="$scheme://$realm_host:$token_port/token"
		authcfg="auth:
  token:
    realm: $token_realm
    service: $service
    issuer: oci-toolkit-test-issuer
    rootcertbundle: $d/token.pem"
	fi

	local port pid
	for _ in 1 2 3; do
		port=$(_registry_free_port)
		cat >"$d/config.yml" <<EOF
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $d/storage
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: oci-toolkit-test-secret
$tlscfg
$authcfg
EOF
		# 3>&- so bats does not wait for the server's copy of its output fd.
		# docker-registry reads REGISTRY_* variables as config overrides: hide ours.
		local unset_args=() v
		for v in $(compgen -e | grep '^REGISTRY_'); do unset_args+=(-u "$v"); done
		env "${unset_args[@]}" docker-registry serve "$d/config.yml" >"$d/registry.log" 2>&1 3>&- &
		pid=$!
		if _registry_wait_http "$scheme://127.0.0.1:$port/v2/" "$([ "$tls" = 1 ] && echo "$d/ca.pem")" "$pid"; then
			break
		fi
		_registry_kill "$pid"
		pid=""
	done
	if [ -z "$pid" ]; then
		echo "registry_start: docker-registry did not come up; log:" >&2
		tail -20 "$d/registry.log" >&2
		return 1
	fi
	echo "$pid" >"$d/registry.pid"

	local token_pid=""
	if [ "$mode" = token ]; then
		local tls_args=()
		[ "$tls" = 1 ] && tls_args=(--tls-cert "$d/server.pem" --tls-key "$d/server.key")
		REGISTRY_USER=$user REGISTRY_PASS=$pass \
			python3 "$REGISTRY_LIB_DIR/token-issuer.py" --port "$token_port" \
			--key "$d/token.key" --cert "$d/token.pem" --service "$service" \
			--issuer oci-toolkit-test-issuer --log "$d/token.log" "${tls_args[@]}" \
			>"$d/token-issuer.out" 2>&1 3>&- &
		token_pid=$!
		echo "$token_pid" >"$d/token.pid"
		if ! _registry_wait_http "$token_realm?probe=1" "$([ "$tls" = 1 ] && echo "$d/ca.pem")" "$token_pid"; then
			echo "registry_start: token issuer did not come up:" >&2
			cat "$d/token-issuer.out" >&2
			_registry_kill "$token_pid"
			_registry_kill "$pid"
			return 1
		fi
		# The probe above is not a client request: start the log empty.
		: >"$d/token.log"
	fi

	# Watchdog: if the shell that started the registry dies without registry_stop (an
	# interrupted bats run), take the servers down with it.
	local owner=$BASHPID
	(
		while kill -0 "$owner" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
		kill "$pid" $token_pid 2>/dev/null
	) </dev/null >/dev/null 2>&1 3>&- &
	disown $! 2>/dev/null || true

	cat >"$d/env" <<EOF
export REGISTRY=127.0.0.1:$port
export REGISTRY_URL=$scheme://127.0.0.1:$port
export REGISTRY_MODE=$mode
export REGISTRY_DIR=$d
export REGISTRY_STORAGE=$d/storage
export REGISTRY_LOG=$d/registry.log
export REGISTRY_PID=$pid
export REGISTRY_CA=$([ "$tls" = 1 ] && echo "$d/ca.pem")
export REGISTRY_USER=$user
export REGISTRY_PASS=$pass
export REGISTRY_TOKEN_REALM=$token_realm
export REGISTRY_TOKEN_SERVICE=$([ "$mode" = token ] && echo "$service")
export REGISTRY_TOKEN_LOG=$([ "$mode" = token ] && echo "$d/token.log")
export REGISTRY_TOKEN_PID=$token_pid
EOF
	registry_use "$d"
	export REGISTRY_DIRS="${REGISTRY_DIRS:+$REGISTRY_DIRS }$d"
}

registry_use() {
	# shellcheck disable=SC1091
	. "$1/env"
}

registry_stop() {
	local dirs d
	if [ $# -gt 0 ]; then dirs=("$@"); else read -r -a dirs <<<"${REGISTRY_DIRS:-}"; fi
	for d in "${dirs[@]}"; do
		[ -d "$d" ] || continue
		if [ -f "$d/token.pid" ]; then _registry_kill "$(cat "$d/token.pid")"; fi
		if [ -f "$d/registry.pid" ]; then _registry_kill "$(cat "$d/registry.pid")"; fi
		rm -f "$d/token.pid" "$d/registry.pid"
	done
	if [ $# -eq 0 ]; then REGISTRY_DIRS=""; fi
	return 0
}

# registry_curl ARGS...: curl with --cacert for the current registry when it uses TLS.
registry_curl() {
	if [ -n "${REGISTRY_CA:-}" ]; then
		curl --cacert "$REGISTRY_CA" "$@"
	else
		curl "$@"
	fi
}

# registry_token REPO ACTIONS [USER PASS]: prints a bearer token from the issuer
# (credentials default to REGISTRY_USER/REGISTRY_PASS; pass "" "" for anonymous).
registry_token() {
	local repo=$1 actions=$2 user=${3-$REGISTRY_USER} pass=${4-$REGISTRY_PASS}
	local args=(-sf -G "$REGISTRY_TOKEN_REALM" --data-urlencode "service=$REGISTRY_TOKEN_SERVICE"
		--data-urlencode "scope=repository:$repo:$actions")
	[ -n "$user" ] && args+=(-u "$user:$pass")
	registry_curl "${args[@]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

# registry_auth_args REPO ACTIONS: prints (one per line) the curl arguments that
# authenticate to the current registry for ACTIONS (e.g. pull,push) on REPO.
registry_auth_args() {
	case ${REGISTRY_MODE:-plain} in
	plain) ;;
	basic) printf '%s\n' -u "$REGISTRY_USER:$REGISTRY_PASS" ;;
	token)
		local t
		t=$(registry_token "$1" "$2") || return 1
		printf '%s\n' -H "Authorization: Bearer $t"
		;;
	esac
}
