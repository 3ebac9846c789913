/* Credential sources: where oci-fetch finds what it authenticates with, tried in this order
 * by oci_creds_find: --creds USER:PASS, --username with the password on stdin, then the auth
 * files docker and podman write (auths with "auth" or "identitytoken", credHelpers and
 * credsStore, which run docker-credential-NAME). A new source goes here, as one more step of
 * oci_creds_find; how the credentials are then used (basic auth, token requests) is auth.c's.
 * Secrets are never logged and are wiped from memory when released. */
#include "fetch/credentials.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"

#define AUTH_FILE_MAX  (1u << 20)
#define HELPER_OUT_MAX (64u << 10)

void oci_creds_wipe(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void oci_creds_release(oci_creds *c)
{
	oci_creds_wipe(c->user);
	oci_creds_wipe(c->secret);
	free(c->source);
	memset(c, 0, sizeof(*c));
}

int oci_creds_set(oci_creds *c, const char *user, size_t ulen, const char *secret, oci_error *err)
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
	if (oci_creds_set(c, s, (size_t)(colon - s), colon + 1, err) < 0)
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
		r = oci_creds_set(c, (char *)out, (size_t)(colon - (char *)out), colon + 1, err);
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
		r = oci_creds_set(c, user, strlen(user), secret, err);
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
				r = oci_creds_set(c, "<token>", 7, it, err);
				c->identity_token = r > 0;
			} else if (a && *a)
				r = decode_auth(a, c, err);
			else if (u && p)
				r = oci_creds_set(c, u, strlen(u), p, err);
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

int oci_creds_from_user(const char *user, const char *password, oci_creds *c, oci_error *err)
{
	if (!password || !*password)
		return oci_err(err, OCI_E_INVALID, "--username: no password on stdin");
	c->user = strdup(user);
	c->secret = strdup(password);
	if (!c->user || !c->secret)
		return oci_err(err, OCI_E_IO, "out of memory");
	if (!(c->source = oci_strdup("--username", err)))
		return -1;
	return 0;
}

int oci_creds_find(const oci_creds_flags *f, const char *host, oci_creds *c, oci_error *err)
{
	if (f->creds)
		return oci_creds_from_string(f->creds, c, err) < 0 ? -1 : 1;
	if (f->username)
		return oci_creds_from_user(f->username, f->password, c, err) < 0 ? -1 : 1;
	return oci_creds_lookup(host, c, err);
}
