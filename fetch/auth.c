/* Registry authentication. Credentials come from flags or from the auth files docker and
 * podman write (including credential helpers); they are sent only to the registry itself
 * (basic auth) or to the token realm its challenge names (bearer; as with Docker it may be
 * another host), never to an http:// realm unless the registry is plain http and the realm
 * on its own host, never along a redirect (token requests follow none), and never logged.
 * Secrets are wiped from memory when released. */
#include "fetch/auth.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "fetch/http.h"

#define AUTH_FILE_MAX  (1u << 20)
#define HELPER_OUT_MAX (64u << 10)
#define TOKEN_MAX      (1u << 20)

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void oci_creds_release(oci_creds *c)
{
	wipe_free(c->user);
	wipe_free(c->secret);
	free(c->source);
	memset(c, 0, sizeof(*c));
}

static int creds_set(oci_creds *c, const char *user, size_t ulen, const char *secret,
		     oci_error *err)
{
	c->user = strndup(user, ulen);
	c->secret = strdup(secret);
	if (!c->user || !c->secret) {
		oci_creds_release(c);
		return oci_err(err, OCI_E_IO, "out of memory");
	}
	return 1;
}

int oci_creds_from_string(const char *s, oci_creds *c, oci_error *err)
{
	const char *colon = strchr(s, ':');
	if (!colon || colon == s)
		return oci_err(err, OCI_E_INVALID, "--creds: expected USER:PASSWORD");
	if (creds_set(c, s, (size_t)(colon - s), colon + 1, err) < 0)
		return -1;
	if (!(c->source = oci_strdup("--creds", err))) {
		oci_creds_release(c);
		return -1;
	}
	return 0;
}

/* "https://index.docker.io/v1/" -> "index.docker.io"; "host:5000/path" -> "host:5000".
 * False when the key does not fit: a cut key could match another registry. */
static bool normalise_key(const char *key, char *out, size_t len)
{
	if (oci_str_has_prefix(key, "https://"))
		key += 8;
	else if (oci_str_has_prefix(key, "http://"))
		key += 7;
	size_t n = strcspn(key, "/");
	if (n >= len)
		return false;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)key[i]);
	out[n] = '\0';
	return true;
}

static bool is_docker_hub(const char *h)
{
	return !strcmp(h, "docker.io") || !strcmp(h, "index.docker.io") ||
	       !strcmp(h, "registry-1.docker.io");
}

static bool key_matches(const char *key, const char *host)
{
	char k[512];
	if (!normalise_key(key, k, sizeof(k)))
		return false;
	if (!strcmp(k, host))
		return true;
	return is_docker_hub(k) && is_docker_hub(host);
}

/* The name credential helpers and auth files use for a registry. */
static const char *server_name(const char *host)
{
	return is_docker_hub(host) ? "https://index.docker.io/v1/" : host;
}

static int decode_auth(const char *b64, oci_creds *c, oci_error *err)
{
	size_t n = strlen(b64);
	if (n == 0 || n > 8192)
		return oci_err(err, OCI_E_INVALID, "bad \"auth\" value");
	cleanup_free unsigned char *out = malloc(n + 1);
	if (!out)
		return oci_err(err, OCI_E_IO, "out of memory");
	int len = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
	if (len < 0)
		return oci_err(err, OCI_E_INVALID, "bad base64 in \"auth\"");
	/* EVP_DecodeBlock counts padding as zero bytes */
	while (len > 0 && n > 0 && b64[n - 1] == '=')
		len--, n--;
	out[len] = '\0';
	char *colon = strchr((char *)out, ':');
	int r;
	if (!colon || colon == (char *)out)
		r = oci_err(err, OCI_E_INVALID, "\"auth\" is not base64 of user:password");
	else
		r = creds_set(c, (char *)out, (size_t)(colon - (char *)out), colon + 1, err);
	explicit_bzero(out, (size_t)len);
	return r;
}

static bool valid_helper_name(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

/* Run docker-credential-<name> get, feeding the server name on stdin. */
static int run_helper(const char *name, const char *host, oci_creds *c, oci_error *err)
{
	if (!valid_helper_name(name))
		return oci_err(err, OCI_E_INVALID, "bad credential helper name '%.64s'", name);
	char prog[96];
	snprintf(prog, sizeof(prog), "docker-credential-%s", name);
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return oci_err_errno(err, errno, "pipe");
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]), close(in[1]);
		return oci_err_errno(err, errno, "pipe");
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		return oci_err_errno(err, errno, "fork");
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		int dn = open("/dev/null", O_WRONLY);
		if (dn >= 0)
			dup2(dn, 2);
		signal(SIGPIPE, SIG_DFL);
		execlp(prog, prog, "get", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	const char *srv = server_name(host);
	oci_error ignore = OCI_ERROR_INIT;
	oci_write_all(in[1], srv, strlen(srv), &ignore);
	close(in[1]);
	cleanup_free char *buf = NULL;
	size_t len = 0;
	int rr = oci_read_fd(out[0], HELPER_OUT_MAX, &buf, &len, err);
	close(out[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (rr < 0)
		return oci_err_prefix(err, "credential helper '%s'", prog);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
			return oci_err(err, OCI_E_AUTH, "credential helper '%s' not found in PATH",
				       prog);
		if (buf && strstr(buf, "credentials not found")) {
			explicit_bzero(buf, len);
			return 0;
		}
		if (buf)
			explicit_bzero(buf, len);
		return oci_err(err, OCI_E_AUTH, "credential helper '%s' failed", prog);
	}
	json_error_t je;
	json_t *j = json_loadb(buf, len, 0, &je);
	explicit_bzero(buf, len);
	if (!j || !json_is_object(j)) {
		if (j)
			json_decref(j);
		return oci_err(err, OCI_E_AUTH,
			       "credential helper '%s': output is not a JSON object", prog);
	}
	const char *user = json_string_value(json_object_get(j, "Username"));
	const char *secret = json_string_value(json_object_get(j, "Secret"));
	int r = 0;
	if (user && secret && *secret) {
		r = creds_set(c, user, strlen(user), secret, err);
		if (r > 0 && !(c->source = oci_asprintf(err, "credential helper %s", prog))) {
			oci_creds_release(c);
			r = -1;
		}
		/* docker's convention: the user "<token>" means the secret is an identity token */
		c->identity_token = r > 0 && !strcmp(user, "<token>");
	}
	json_t *s = json_object_get(j, "Secret");
	if (json_is_string(s))
		explicit_bzero((char *)json_string_value(s), strlen(json_string_value(s)));
	json_decref(j);
	return r;
}

/* Look host up in one auth file. Returns 1 found, 0 not, -1 error. */
static int lookup_file(const char *path, const char *host, oci_creds *c, oci_error *err)
{
	cleanup_free char *data = NULL;
	size_t len = 0;
	if (oci_read_file_at(AT_FDCWD, path, AUTH_FILE_MAX, &data, &len, err) < 0) {
		if (err->code == OCI_E_NOTFOUND) {
			oci_err_clear(err);
			return 0;
		}
		return oci_err_prefix(err, "auth file '%s'", path);
	}
	cleanup_json json_t *j = oci_json_loadb(data, len, AUTH_FILE_MAX, 16, path, err);
	explicit_bzero(data, len);
	if (!j)
		return -1;
	if (!json_is_object(j))
		return oci_err(err, OCI_E_INVALID, "auth file '%s': not a JSON object", path);
	const char *key;
	json_t *v;
	/* credHelpers[host] wins over auths, as in docker */
	json_t *helpers = json_object_get(j, "credHelpers");
	if (json_is_object(helpers)) {
		json_object_foreach(helpers, key, v)
		{
			if (key_matches(key, host) && json_is_string(v)) {
				int r = run_helper(json_string_value(v), host, c, err);
				if (r < 0)
					return oci_err_prefix(err, "auth file '%s'", path);
				return r;
			}
		}
	}
	json_t *auths = json_object_get(j, "auths");
	if (json_is_object(auths)) {
		json_object_foreach(auths, key, v)
		{
			if (!key_matches(key, host) || !json_is_object(v))
				continue;
			const char *a = json_string_value(json_object_get(v, "auth"));
			const char *u = json_string_value(json_object_get(v, "username"));
			const char *p = json_string_value(json_object_get(v, "password"));
			const char *it = json_string_value(json_object_get(v, "identitytoken"));
			int r = 0;
			if (it && *it) {
				/* an OAuth2 refresh token (docker login to a token server) wins
				 * over auth */
				r = creds_set(c, "<token>", 7, it, err);
				c->identity_token = r > 0;
			} else if (a && *a)
				r = decode_auth(a, c, err);
			else if (u && p)
				r = creds_set(c, u, strlen(u), p, err);
			if (r < 0)
				return oci_err_prefix(err, "auth file '%s': auths.\"%s\"", path,
						      key);
			if (r > 0) {
				c->source =
				    oci_asprintf(err, "%s%s", path,
						 c->identity_token ? " (identity token)" : "");
				if (!c->source) {
					oci_creds_release(c);
					return -1;
				}
				return 1;
			}
		}
	}
	const char *store = json_string_value(json_object_get(j, "credsStore"));
	if (store && *store) {
		int r = run_helper(store, host, c, err);
		if (r < 0)
			return oci_err_prefix(err, "auth file '%s'", path);
		return r;
	}
	return 0;
}

int oci_creds_lookup(const char *host, oci_creds *c, oci_error *err)
{
	static const struct {
		const char *env, *suffix;
		bool skip_next; /* $DOCKER_CONFIG replaces ~/.docker */
	} where[] = {
	    {"REGISTRY_AUTH_FILE", "", false},
	    {"XDG_RUNTIME_DIR", "/containers/auth.json", false},
	    {"XDG_CONFIG_HOME", "/containers/auth.json", false},
	    {"DOCKER_CONFIG", "/config.json", true},
	    {"HOME", "/.docker/config.json", false},
	};
	for (size_t i = 0; i < ARRAY_SIZE(where); i++) {
		const char *e = getenv(where[i].env);
		if (!e || !*e)
			continue;
		cleanup_free char *path = oci_asprintf(err, "%s%s", e, where[i].suffix);
		if (!path)
			return -1;
		int r = lookup_file(path, host, c, err);
		if (r != 0) {
			if (r > 0)
				log_debug("credentials for %s from %s", host, c->source);
			return r;
		}
		if (where[i].skip_next)
			i++;
	}
	return 0;
}

int oci_challenge_parse(const char *hdr, oci_challenge *c, oci_error *err)
{
	memset(c, 0, sizeof(*c));
	const char *p = hdr;
	while (*p == ' ')
		p++;
	size_t n = strcspn(p, " ");
	if (n == 0 || n >= sizeof(c->scheme))
		return oci_err(err, OCI_E_AUTH, "bad WWW-Authenticate header");
	for (size_t i = 0; i < n; i++)
		c->scheme[i] = (char)tolower((unsigned char)p[i]);
	p += n;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		size_t kl = strcspn(p, "=");
		if (!p[kl])
			break;
		char key[32] = "";
		if (kl < sizeof(key))
			memcpy(key, p, kl);
		p += kl + 1;
		char *dst = NULL;
		size_t cap = 0;
		if (!strcasecmp(key, "realm"))
			dst = c->realm, cap = sizeof(c->realm);
		else if (!strcasecmp(key, "service"))
			dst = c->service, cap = sizeof(c->service);
		else if (!strcasecmp(key, "scope"))
			dst = c->scope, cap = sizeof(c->scope);
		else if (!strcasecmp(key, "error"))
			dst = c->error, cap = sizeof(c->error);
		/* values of unknown keys are skipped, not stored */
		size_t vl = 0;
		bool quoted = *p == '"';
		if (quoted)
			p++;
		while (*p && (quoted ? *p != '"' : *p != ',' && *p != ' ')) {
			if (quoted && *p == '\\' && p[1])
				p++;
			if (dst) {
				if (vl + 1 >= cap)
					return oci_err(
					    err, OCI_E_AUTH,
					    "bad WWW-Authenticate header: %s longer than "
					    "%zu bytes",
					    key, cap - 1);
				dst[vl] = *p;
			}
			vl++;
			p++;
		}
		if (quoted && *p == '"')
			p++;
		if (dst)
			dst[vl] = '\0';
	}
	return 0;
}

void oci_auth_release(oci_auth *a)
{
	oci_creds_release(&a->creds);
	wipe_free(a->token);
	wipe_free(a->header);
	a->token = a->header = NULL;
}

static int set_basic_header(oci_auth *a, oci_error *err)
{
	size_t ul = strlen(a->creds.user), sl = strlen(a->creds.secret);
	size_t plen = ul + 1 + sl;
	cleanup_free unsigned char *plain = malloc(plen + 1);
	cleanup_free char *b64 = malloc(4 * ((plen + 2) / 3) + 1);
	if (!plain || !b64)
		return oci_err(err, OCI_E_IO, "out of memory");
	memcpy(plain, a->creds.user, ul);
	plain[ul] = ':';
	memcpy(plain + ul + 1, a->creds.secret, sl);
	int n = EVP_EncodeBlock((unsigned char *)b64, plain, (int)plen);
	explicit_bzero(plain, plen);
	wipe_free(a->header);
	a->header = oci_asprintf(err, "Authorization: Basic %s", b64);
	explicit_bzero(b64, (size_t)n);
	return a->header ? 0 : -1;
}

/* Add each space-separated scope of add to a->scopes if missing; more than a->scopes holds is
 * an error (a scope left out would only show up later as a refused token). */
static int merge_scopes(oci_auth *a, const char *add, oci_error *err)
{
	cleanup_free char *copy = oci_strdup(add ? add : "", err);
	char *save = NULL;
	if (!copy)
		return -1;
	for (char *s = strtok_r(copy, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
		bool have = false;
		size_t sl = strlen(s);
		for (const char *p = a->scopes; (p = strstr(p, s)); p += sl)
			if ((p == a->scopes || p[-1] == ' ') && (p[sl] == ' ' || p[sl] == '\0'))
				have = true;
		if (have)
			continue;
		size_t cur = strlen(a->scopes);
		if (cur + sl + 2 > sizeof(a->scopes))
			return oci_err(
			    err, OCI_E_AUTH,
			    "token scopes: more than %zu bytes asked for (scope '%.100s')",
			    sizeof(a->scopes) - 1, s);
		if (cur)
			a->scopes[cur++] = ' ';
		memcpy(a->scopes + cur, s, sl + 1);
	}
	return 0;
}

/* Append name=value to u's query, URL-encoded (curl keeps the first '=' as it is). */
static int append_query(CURLU *u, const char *name, const char *value, oci_error *err)
{
	cleanup_free char *pair = oci_asprintf(err, "%s=%s", name, value);
	if (!pair)
		return -1;
	if (curl_url_set(u, CURLUPART_QUERY, pair, CURLU_APPENDQUERY | CURLU_URLENCODE) !=
	    CURLUE_OK)
		return oci_err(err, OCI_E_IO, "token request URL: cannot add %s", name);
	return 0;
}

char *oci_auth_token_url(const oci_auth *a, oci_error *err)
{
	CURLU *u = curl_url();
	char *out = NULL, *res = NULL;
	cleanup_free char *scopes = NULL;
	if (!u) {
		oci_err(err, OCI_E_IO, "out of memory");
		return NULL;
	}
	if (curl_url_set(u, CURLUPART_URL, a->realm, 0) != CURLUE_OK) {
		oci_err(err, OCI_E_AUTH, "token realm '%.200s' is not a valid URL", a->realm);
		goto out;
	}
	if (a->service[0] && append_query(u, "service", a->service, err) < 0)
		goto out;
	if (!(scopes = oci_strdup(a->scopes, err)))
		goto out;
	char *save = NULL;
	for (char *s = strtok_r(scopes, " ", &save); s; s = strtok_r(NULL, " ", &save))
		if (append_query(u, "scope", s, err) < 0)
			goto out;
	if (curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK) {
		oci_err(err, OCI_E_AUTH, "token realm '%.200s' is not a valid URL", a->realm);
		goto out;
	}
	res = oci_strdup(out, err);
out:
	curl_free(out);
	curl_url_cleanup(u);
	return res;
}

static int fetch_token(oci_auth *a, oci_error *err)
{
	bool realm_tls = oci_str_has_prefix(a->realm, "https://");
	if (!realm_tls && !oci_str_has_prefix(a->realm, "http://"))
		return oci_err(err, OCI_E_AUTH, "token realm '%.200s' is not an http(s) URL",
			       a->realm);
	bool send_creds = a->have_creds;
	if (send_creds && a->registry_tls && !realm_tls)
		return oci_err(err, OCI_E_AUTH,
			       "token realm '%.200s' is plain http: refusing to send the "
			       "credentials of a TLS registry",
			       a->realm);
	/* A plain-http registry already gets its credentials in clear text (the user chose
	 * that for this host); an http:// realm elsewhere would put them on the wire to a
	 * host the user never named. */
	if (send_creds && !realm_tls &&
	    !(a->registry_url && oci_http_same_host(a->registry_url, a->realm)))
		return oci_err(err, OCI_E_AUTH,
			       "token realm '%.200s' is plain http on another host than the "
			       "registry: refusing to send the credentials",
			       a->realm);
	CURL *e = curl_easy_init();
	if (!e)
		return oci_err(err, OCI_E_INTERNAL, "cannot start libcurl");
	int ret = -1;
	struct curl_slist *hdrs = NULL;
	oci_http_resp r;
	oci_http_resp_init(&r);
	char *form = NULL;
	char *url = oci_auth_token_url(a, err);
	if (!url)
		goto out;
	if (oci_http_setup(e, a->tls, err) < 0)
		goto out;
	bool oauth = send_creds && a->creds.identity_token;
	if (oauth) {
		/* OAuth2 refresh-token grant: POST the identity token to the realm itself */
		char *rt = curl_easy_escape(e, a->creds.secret, 0);
		char *sv = curl_easy_escape(e, a->service, 0);
		char *sc = curl_easy_escape(e, a->scopes, 0);
		if (rt && sv && sc)
			form = oci_asprintf(err,
					    "grant_type=refresh_token&client_id=oci-fetch&service=%"
					    "s&scope=%s&refresh_token=%s",
					    sv, sc, rt);
		else
			oci_err(err, OCI_E_IO, "out of memory");
		if (rt)
			explicit_bzero(rt, strlen(rt));
		curl_free(rt);
		curl_free(sv);
		curl_free(sc);
		if (!form)
			goto out;
		hdrs = curl_slist_append(NULL, "Accept: application/json");
		int cc = 0;
		for (int attempt = 1;; attempt++) {
			if (oci_http_post_form(e, a->realm, hdrs, form, TOKEN_MAX, &r, &cc, err) <
			    0) {
				if (attempt < oci_http_attempts_for(cc, 4) &&
				    oci_http_retryable_code(cc)) {
					usleep((useconds_t)oci_http_backoff_ms(attempt, -1) * 1000);
					continue;
				}
				oci_err_prefix(err, "token request");
				goto out;
			}
			if (attempt < 4 && oci_http_retryable_status(r.status)) {
				usleep((useconds_t)oci_http_backoff_ms(attempt, r.retry_after) *
				       1000);
				continue;
			}
			break;
		}
		goto answered;
	}
	if (send_creds) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, a->creds.user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, a->creds.secret);
	}
	hdrs = curl_slist_append(NULL, "Accept: application/json");
	int cc = 0;
	for (int attempt = 1;; attempt++) {
		if (oci_http_perform(e, "GET", url, hdrs, TOKEN_MAX, &r, &cc, err) < 0) {
			if (attempt < oci_http_attempts_for(cc, 4) && oci_http_retryable_code(cc)) {
				usleep((useconds_t)oci_http_backoff_ms(attempt, -1) * 1000);
				continue;
			}
			oci_err_prefix(err, "token request");
			goto out;
		}
		if (attempt < 4 && oci_http_retryable_status(r.status)) {
			usleep((useconds_t)oci_http_backoff_ms(attempt, r.retry_after) * 1000);
			continue;
		}
		break;
	}
answered:
	if (r.status == 401 || r.status == 403 || (oauth && r.status == 400)) {
		char why[160] = "";
		if (oauth) {
			json_error_t je;
			cleanup_json json_t *ej = r.body ? json_loadb(r.body, r.len, 0, &je) : NULL;
			const char *e1 = json_string_value(json_object_get(ej, "error"));
			if (e1 && strlen(e1) < 64 && !strpbrk(e1, "\r\n"))
				snprintf(why, sizeof(why), ": %s", e1);
		}
		oci_err(err, OCI_E_AUTH,
			"authentication failed: token server refused %s (HTTP %ld%s)",
			oauth	     ? "the identity token"
			: send_creds ? "the credentials"
				     : "anonymous access",
			r.status, why);
		goto out;
	}
	if (r.status != 200) {
		oci_err(err, OCI_E_AUTH, "token request failed: HTTP %ld", r.status);
		goto out;
	}
	{
		cleanup_json json_t *j =
		    oci_json_loadb(r.body, r.len, TOKEN_MAX, 8, "token response", err);
		if (!j)
			goto out;
		const char *nrt =
		    oauth ? json_string_value(json_object_get(j, "refresh_token")) : NULL;
		if (nrt && *nrt) {
			/* a rotated refresh token replaces the old one (for renewals in this run)
			 */
			char *copy = strdup(nrt);
			if (copy) {
				wipe_free(a->creds.secret);
				a->creds.secret = copy;
			}
			explicit_bzero((char *)nrt, strlen(nrt));
		}
		const char *tok = json_string_value(json_object_get(j, "token"));
		if (!tok || !*tok)
			tok = json_string_value(json_object_get(j, "access_token"));
		if (!tok || !*tok) {
			oci_err(err, OCI_E_AUTH, "token response has no token");
			goto out;
		}
		json_int_t exp = json_integer_value(json_object_get(j, "expires_in"));
		if (exp <= 0)
			exp = 60; /* the distribution spec's default */
		wipe_free(a->token);
		a->token = strdup(tok);
		explicit_bzero((char *)tok, strlen(tok));
		if (!a->token) {
			oci_err(err, OCI_E_IO, "out of memory");
			goto out;
		}
		a->expires =
		    time(NULL) + exp - (exp > 30 ? 10 : exp / 3); /* renew a little early */
		wipe_free(a->header);
		a->header = oci_asprintf(err, "Authorization: Bearer %s", a->token);
		if (!a->header)
			goto out;
		log_debug("got a bearer token for scope '%s' (expires in %llds)%s", a->scopes,
			  (long long)exp, oauth ? " with the identity token" : "");
	}
	ret = 0;
out:
	if (r.body)
		explicit_bzero(r.body, r.len);
	oci_http_resp_release(&r);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(e);
	free(url);
	wipe_free(form);
	return ret;
}

int oci_auth_challenge(oci_auth *a, const char *www_authenticate, const char *default_scope,
		       oci_error *err)
{
	oci_challenge c;
	if (!www_authenticate || !*www_authenticate)
		return oci_err(err, OCI_E_AUTH,
			       "authentication required, but the registry sent no challenge");
	if (oci_challenge_parse(www_authenticate, &c, err) < 0)
		return -1;
	if (!strcmp(c.scheme, "basic")) {
		if (!a->have_creds)
			return oci_err(
			    err, OCI_E_AUTH,
			    "authentication required (use --creds, --username or an auth file)");
		if (a->creds.identity_token)
			return oci_err(err, OCI_E_AUTH,
				       "authentication failed: the registry asks for basic auth, "
				       "and an identity token "
				       "only works with a token server");
		if (a->scheme == OCI_AUTH_BASIC)
			return oci_err(err, OCI_E_AUTH,
				       "authentication failed: credentials refused");
		a->scheme = OCI_AUTH_BASIC;
		return set_basic_header(a, err);
	}
	if (strcmp(c.scheme, "bearer"))
		return oci_err(err, OCI_E_AUTH, "unsupported authentication scheme '%s'", c.scheme);
	if (!c.realm[0])
		return oci_err(err, OCI_E_AUTH, "bearer challenge without a realm");
	char before[sizeof(a->scopes)];
	memcpy(before, a->scopes, sizeof(before));
	bool same_realm = a->scheme == OCI_AUTH_BEARER && !strcmp(a->realm, c.realm);
	if (merge_scopes(a, default_scope, err) < 0 || merge_scopes(a, c.scope, err) < 0)
		return -1;
	/* A token we just got for these very scopes was refused: trying again cannot help. */
	if (same_realm && !strcmp(before, a->scopes) && a->token && time(NULL) < a->expires &&
	    a->failures++ >= 1)
		return oci_err(err, OCI_E_AUTH, "authentication failed: %s",
			       c.error[0] ? c.error : "the registry refused the token");
	a->scheme = OCI_AUTH_BEARER;
	_Static_assert(sizeof(a->realm) == sizeof(c.realm) &&
			   sizeof(a->service) == sizeof(c.service),
		       "oci_auth keeps the challenge's realm and service whole");
	memcpy(a->realm, c.realm, sizeof(a->realm));
	memcpy(a->service, c.service, sizeof(a->service));
	if (!strcmp(c.error, "insufficient_scope"))
		log_debug("token scope renewal: %s", a->scopes);
	return fetch_token(a, err);
}

int oci_auth_refresh(oci_auth *a, oci_error *err)
{
	if (a->scheme != OCI_AUTH_BEARER || time(NULL) < a->expires)
		return 0;
	log_debug("bearer token expired, renewing");
	return fetch_token(a, err);
}

const char *oci_auth_header(const oci_auth *a)
{
	return a->header;
}
