/* Credential sources: where oci-fetch finds what it authenticates with, tried in this order
 * by oci_creds_find: --creds USER:PASS, --username with the password on stdin, then the auth
 * files docker and podman write (auths with "auth" or "identitytoken", credHelpers and
 * credsStore, which run docker-credential-NAME). A new source goes here, as one more step of
 * oci_creds_find; how the credentials are then used (basic auth, token requests) is auth.c's.
 * Secrets are never logged and are wiped from memory when released. Login and logout write
 * the auth file podman and skopeo read first (oci_creds_store, oci_creds_erase), and
 * oci_creds_read_secret asks for a password on the terminal with echo off. */
#include "fetch/credentials.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
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

/* Write the server name to a helper's stdin and close it. A helper that is missing or exits
 * without reading has closed the pipe: its exit status says what went wrong, so the SIGPIPE
 * that write raises must not end oci-fetch (inspect, login and list-tags do not ignore it, a
 * pull's other threads may be running): blocked in this thread, and taken back if raised. */
static void feed_helper(int fd, const char *srv)
{
	sigset_t pipe_only, old;
	oci_error ignore = OCI_ERROR_INIT;
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	bool was_pending = false;
	sigset_t pending;
	pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
	if (sigpending(&pending) == 0)
		was_pending = sigismember(&pending, SIGPIPE);
	if (oci_write_all(fd, srv, strlen(srv), &ignore) < 0 && ignore.sys_errno == EPIPE &&
	    !was_pending) {
		struct timespec now = {0, 0};
		sigtimedwait(&pipe_only, NULL, &now);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(fd);
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
	feed_helper(in[1], server_name(host));
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
	if (oci_read_named(path, AUTH_FILE_MAX, &data, &len, err) < 0) {
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
	if (f->authfile) {
		int r = lookup_file(f->authfile, host, c, err);
		if (r > 0)
			log_debug("credentials for %s from %s", host, c->source);
		return r;
	}
	return oci_creds_lookup(host, c, err);
}

char *oci_creds_auth_file(const char *authfile, oci_error *err)
{
	const char *e = getenv("REGISTRY_AUTH_FILE");
	const char *x = getenv("XDG_RUNTIME_DIR");
	if (authfile)
		return oci_strdup(authfile, err);
	if (e && *e)
		return oci_strdup(e, err);
	if (x && *x)
		return oci_asprintf(err, "%s/containers/auth.json", x);
	/* where containers/image looks without XDG_RUNTIME_DIR */
	return oci_asprintf(err, "/run/containers/%u/auth.json", (unsigned)getuid());
}

/* The auth file as a JSON object (an empty one when the file does not exist yet). */
static json_t *load_auth_file(const char *path, oci_error *err)
{
	cleanup_free char *data = NULL;
	size_t len = 0;
	if (oci_read_named(path, AUTH_FILE_MAX, &data, &len, err) < 0) {
		if (err->code != OCI_E_NOTFOUND)
			return oci_err_prefix(err, "auth file '%s'", path), NULL;
		oci_err_clear(err);
		json_t *j = json_object();
		return j ? j : (oci_err(err, OCI_E_IO, "out of memory"), NULL);
	}
	json_t *j = oci_json_loadb(data, len, AUTH_FILE_MAX, 16, path, err);
	explicit_bzero(data, len);
	if (j && !json_is_object(j)) {
		json_decref(j);
		return oci_err(err, OCI_E_INVALID,
			       "auth file '%s': not a JSON object (fix or remove it)", path),
		       NULL;
	}
	if (!j)
		oci_err_prefix(err, "auth file");
	json_t *auths = j ? json_object_get(j, "auths") : NULL;
	if (auths && !json_is_object(auths)) {
		json_decref(j);
		return oci_err(err, OCI_E_INVALID,
			       "auth file '%s': auths: expected an object (fix or remove it)",
			       path),
		       NULL;
	}
	return j;
}

/* Write j to path: 0600 from the start, through a temporary file renamed over it; the
 * directory is made (0700) when missing. */
static int save_auth_file(const char *path, json_t *j, oci_error *err)
{
	cleanup_free char *dir = oci_strdup(path, err);
	if (!dir)
		return -1;
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (oci_mkdir_p(dir, 0700, err) < 0)
			return oci_err_prefix(err, "auth file '%s'", path);
	}
	char *s = json_dumps(j, JSON_INDENT(1) | JSON_ENSURE_ASCII);
	if (!s)
		return oci_err(err, OCI_E_IO, "out of memory");
	size_t len = strlen(s);
	int r = oci_write_file_atomic(AT_FDCWD, path, s, len, 0600, err);
	explicit_bzero(s, len);
	free(s);
	return r < 0 ? oci_err_prefix(err, "auth file") : 0;
}

#define AUTH_LOCK_WAIT_MS 10000

/* The auth file locked while login or logout reads it, changes it and replaces it: two at
 * once (a CI job logging in to several registries in parallel) each wrote back what it had
 * read, and one's change was lost while both said they succeeded. The file is replaced by
 * each write, so the lock is a file beside it, ".NAME.lock" (oci_lockfile_take: a lock on
 * the directory could be held by anyone who can read it). *dirfd: the auth file's directory,
 * made (0700) with create; without, -2 when it does not exist (no file to change). */
static int lock_auth_file(const char *path, bool create, int *dirfd, oci_lockfile *lock,
			  char **made, oci_error *err)
{
	cleanup_free char *dir = oci_strdup(path, err);
	if (!dir)
		return -1;
	char *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : path;
	if (!slash)
		strcpy(dir, ".");
	else
		slash[slash == dir] = '\0'; /* "/auth.json": "/" */
	if (create && oci_mkdir_p_made(dir, 0700, made, err) < 0)
		return oci_err_prefix(err, "auth file '%s'", path);
	*dirfd = oci_open_dir_named(dir, O_RDONLY, err);
	if (*dirfd < 0 && err && err->code)
		return oci_err_prefix(err, "auth file '%s'", path);
	if (*dirfd < 0) {
		if (errno == ENOENT && !create)
			return -2;
		return oci_err_errno(err, errno, "auth file '%s': cannot open its directory", path);
	}
	cleanup_free char *name = oci_asprintf(err, ".%s.lock", base);
	if (!name)
		return -1;
	if (oci_lockfile_take(lock, *dirfd, name, AUTH_LOCK_WAIT_MS, path, err) < 0)
		return oci_err_prefix(err, "auth file");
	/* a login killed before its rename left its temporary (0600, the secrets in it):
	 * nobody else writes the file while we hold its lock */
	oci_remove_dead_temps(*dirfd, base);
	return 0;
}

static int creds_store(const char *path, const char *host, const char *user, const char *secret,
		       char **made, oci_error *err)
{
	cleanup_close int dirfd = -1;
	cleanup_lockfile oci_lockfile lock = OCI_LOCKFILE_INIT;
	if (lock_auth_file(path, true, &dirfd, &lock, made, err) < 0)
		return -1;
	cleanup_json json_t *j = load_auth_file(path, err);
	if (!j)
		return -1;
	json_t *auths = json_object_get(j, "auths");
	if (!auths) {
		auths = json_object();
		if (!auths || json_object_set_new(j, "auths", auths) < 0)
			return oci_err(err, OCI_E_IO, "out of memory");
	}
	/* one entry per registry: older spellings of the same one go */
	const char *key;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(auths, tmp, key, v) if (key_matches(key, host))
	    json_object_del(auths, key);
	size_t ul = strlen(user), sl = strlen(secret), plen = ul + 1 + sl;
	cleanup_free unsigned char *plain = malloc(plen + 1);
	cleanup_free char *b64 = malloc(4 * ((plen + 2) / 3) + 1);
	if (!plain || !b64)
		return oci_err(err, OCI_E_IO, "out of memory");
	memcpy(plain, user, ul);
	plain[ul] = ':';
	memcpy(plain + ul + 1, secret, sl);
	int n = EVP_EncodeBlock((unsigned char *)b64, plain, (int)plen);
	explicit_bzero(plain, plen);
	json_t *entry = json_pack("{s:s}", "auth", b64);
	explicit_bzero(b64, (size_t)n);
	if (!entry || json_object_set_new(auths, host, entry) < 0)
		return oci_err(err, OCI_E_IO, "out of memory");
	int r = save_auth_file(path, j, err);
	/* the secret is in the JSON tree too */
	json_t *a = json_object_get(entry, "auth");
	explicit_bzero((char *)json_string_value(a), strlen(json_string_value(a)));
	return r;
}

int oci_creds_store(const char *path, const char *host, const char *user, const char *secret,
		    oci_error *err)
{
	cleanup_free char *made = NULL;
	int r = creds_store(path, host, user, secret, &made, err);
	/* a login that failed to write leaves no directory it made for the file (~/.docker) */
	if (r < 0 && made) {
		cleanup_free char *dir = oci_strdup(path, NULL);
		char *slash = dir ? strrchr(dir, '/') : NULL;
		if (slash && slash != dir) {
			*slash = '\0';
			oci_rmdir_made(dir, made);
		}
	}
	return r;
}

int oci_creds_erase(const char *path, const char *host, oci_error *err)
{
	cleanup_close int dirfd = -1;
	cleanup_lockfile oci_lockfile lock = OCI_LOCKFILE_INIT;
	if (lock_auth_file(path, false, &dirfd, &lock, NULL, err) == -1)
		return -1;
	cleanup_json json_t *j = load_auth_file(path, err);
	if (!j)
		return -1;
	json_t *auths = json_object_get(j, "auths");
	const char *key;
	json_t *v;
	void *tmp;
	int removed = 0;
	json_object_foreach_safe(auths, tmp, key, v) if (!host || key_matches(key, host))
	{
		json_object_del(auths, key);
		removed = 1;
	}
	if (!removed)
		return 0;
	return save_auth_file(path, j, err) < 0 ? -1 : 1;
}

/* The terminal's settings while echo is off, restored on a signal that ends us. */
static struct termios saved_tty;
static volatile sig_atomic_t tty_saved;

static void restore_tty(int sig)
{
	if (tty_saved)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
	signal(sig, SIG_DFL);
	raise(sig);
}

char *oci_creds_read_secret(const char *prompt, bool echo, oci_error *err)
{
	bool tty = isatty(STDIN_FILENO);
	struct sigaction sa, old[3];
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	if (tty) {
		fprintf(stderr, "%s", prompt);
		fflush(stderr);
		if (!echo) {
			struct termios t;
			if (tcgetattr(STDIN_FILENO, &saved_tty) < 0)
				return oci_err_errno(err, errno, "reading the terminal"), NULL;
			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = restore_tty;
			for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
				sigaction(sigs[i], &sa, &old[i]);
			t = saved_tty;
			t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
			tty_saved = 1;
			if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0) {
				tty_saved = 0;
				return oci_err_errno(err, errno, "turning the terminal's echo off"),
				       NULL;
			}
		}
	}
	char buf[4097];
	size_t n = 0;
	int e = 0;
	while (n < sizeof(buf) - 1) {
		ssize_t r = read(STDIN_FILENO, buf + n, sizeof(buf) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (memchr(buf, '\n', n))
			break;
	}
	if (tty && !echo) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
		tty_saved = 0;
		for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
			sigaction(sigs[i], &old[i], NULL);
		fputc('\n', stderr); /* the newline the user typed was not echoed */
	}
	buf[n] = '\0';
	/* a secret that fills the buffer without ending would be used cut: refuse it */
	bool too_long = n == sizeof(buf) - 1 && !memchr(buf, '\n', n);
	buf[strcspn(buf, "\r\n")] = '\0';
	char *p = e || too_long ? NULL : strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	if (too_long)
		oci_err(err, OCI_E_LIMIT, "%.*s: longer than %zu bytes", (int)strcspn(prompt, ":"),
			prompt, sizeof(buf) - 2);
	else if (e)
		oci_err_errno(err, e, "reading %s", tty ? "the terminal" : "stdin");
	else if (!p)
		oci_err(err, OCI_E_IO, "out of memory");
	return p;
}
