/* oci-fetch's commands besides pulling: one option table and one function per command, each
 * parsing its command line and handing over to its module (inspect.c, login.c, cache.c). The
 * options that say how to reach a registry are the same for every command that talks to one
 * and are handled in one place (REGISTRY_OPTIONS, registry_option). */
#include "fetch/commands.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/error.h"
#include "common/log.h"
#include "common/util.h"
#include "common/cache.h"
#include "common/treecache.h"
#include "fetch/credentials.h"
#include "fetch/progress.h"
#include "fetch/inspect.h"
#include "fetch/login.h"

enum {
	OPT_R_AUTHFILE = 512,
	OPT_R_CACERT,
	OPT_R_CERT,
	OPT_R_CERT_DIR,
	OPT_R_CREDS,
	OPT_R_DEBUG,
	OPT_R_INSECURE,
	OPT_R_KEY,
	OPT_R_PLAIN_HTTP,
	OPT_ALL,
	OPT_CACHE,
	OPT_CONFIG,
	OPT_FORMAT,
	OPT_NO_TAGS,
	OPT_OLDER_THAN,
	OPT_PAGE_SIZE,
	OPT_PASSWORD_STDIN,
	OPT_PLATFORM,
	OPT_RAW,
};

/* How to reach and authenticate to a registry (the pull's options of the same names). */
#define REGISTRY_TLS_OPTIONS                                                                       \
	{"cacert",    0, OCI_ARG_REQUIRED, "FILE", "also trust the CA certificates in FILE (PEM)", \
	 OPT_R_CACERT},                                                                            \
	    {"cert",	0, OCI_ARG_REQUIRED, "FILE", "client certificate (PEM), with --key",       \
	     OPT_R_CERT},                                                                          \
	    {"cert-dir",                                                                           \
	     0,                                                                                    \
	     OCI_ARG_REQUIRED,                                                                     \
	     "DIR",                                                                                \
	     "use *.crt, *.cert and *.key from DIR (as certs.d/<host>/)",                          \
	     OPT_R_CERT_DIR},                                                                      \
	    {"debug", 0, OCI_ARG_NONE, NULL, "log each request (never credentials)", OPT_R_DEBUG}, \
	    {"insecure",    0, OCI_ARG_NONE, NULL, "do not verify the registry's TLS certificate", \
	     OPT_R_INSECURE},                                                                      \
	    {"key", 0, OCI_ARG_REQUIRED, "FILE", "client certificate key (PEM)", OPT_R_KEY},       \
	{                                                                                          \
		"plain-http", 0, OCI_ARG_NONE, NULL,                                               \
		    "talk HTTP, not HTTPS (default for localhost and 127.0.0.1)", OPT_R_PLAIN_HTTP \
	}
#define REGISTRY_OPTIONS                                                                           \
	{"authfile",                                                                               \
	 0,                                                                                        \
	 OCI_ARG_REQUIRED,                                                                         \
	 "FILE",                                                                                   \
	 "read credentials from FILE only (as written by login)",                                  \
	 OPT_R_AUTHFILE},                                                                          \
	    {"creds", 0, OCI_ARG_REQUIRED, "USER:PASS", "registry credentials", OPT_R_CREDS},      \
	    REGISTRY_TLS_OPTIONS

/* 1 when id is a registry option (applied to o), 0 when it is not. */
static int registry_option(int id, const char *arg, oci_registry_opts *o)
{
	switch (id) {
	case OPT_R_AUTHFILE:
		o->authfile = arg;
		return 1;
	case OPT_R_CACERT:
		o->tls.cacert = arg;
		return 1;
	case OPT_R_CERT:
		o->tls.cert = arg;
		return 1;
	case OPT_R_CERT_DIR:
		o->tls.cert_dir = arg;
		return 1;
	case OPT_R_CREDS:
		o->creds = arg;
		return 1;
	case OPT_R_DEBUG:
		oci_log_set_level(OCI_LOG_DEBUG);
		return 1;
	case OPT_R_INSECURE:
		o->tls.insecure = true;
		return 1;
	case OPT_R_KEY:
		o->tls.key = arg;
		return 1;
	case OPT_R_PLAIN_HTTP:
		o->plain_http = true;
		return 1;
	}
	return 0;
}

typedef struct command {
	const char *name;
	const char *usage;
	const char *description;
	const oci_cli_option *opts;
	size_t n_opts;
	size_t n_operands; /* exactly this many */
	const char *operand_name;
} command;

/* Parse argv against cmd's table, calling take for each option; 1 to go on, 0 when --help was
 * printed, -1 on error. */
static int parse(const command *cmd, int argc, char **argv, oci_cli *c,
		 int (*take)(int id, const char *arg, void *ud, oci_error *err), void *ud,
		 oci_error *err)
{
	int id;
	oci_cli_init(c, cmd->opts, cmd->n_opts, argc, argv, 1, false);
	while ((id = oci_cli_next(c, err)) > 0) {
		if (id == 'h') {
			oci_cli_help(stdout, cmd->usage, cmd->description, cmd->opts, cmd->n_opts);
			return oci_flush_stdout(err) < 0 ? -1 : 0;
		}
		if (take(id, c->optarg, ud, err) < 0)
			return oci_err_prefix(err, "%s", cmd->name);
	}
	if (id < 0)
		return oci_err_prefix(err, "%s", cmd->name);
	int n = c->argc - c->index;
	if ((size_t)n != cmd->n_operands)
		return oci_err(err, OCI_E_INVALID,
			       n == 0 ? "%s: missing %s (see oci-fetch %s --help)"
				      : "%s: expected one %s (see oci-fetch %s --help)",
			       cmd->name, cmd->operand_name, cmd->name);
	return 1;
}

/* The end of a command: stdout flushed and checked, the one error line when it failed. */
static int finish(int rc, oci_error *err)
{
	if (rc == 0 && oci_flush_stdout(err) < 0)
		rc = -1;
	if (rc < 0) {
		oci_log_error_final(err);
		return 1;
	}
	return 0;
}

static int with_curl(int (*fn)(void *ud, oci_error *err), void *ud, oci_error *err)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return oci_err(err, OCI_E_INTERNAL, "cannot initialise libcurl");
	int rc = fn(ud, err);
	curl_global_cleanup();
	return rc;
}

/* ---- inspect ---- */

static const oci_cli_option inspect_opts[] = {
    REGISTRY_OPTIONS,
    {"config", 0, OCI_ARG_NONE, NULL, "print the config blob, verified (skopeo's --config --raw)",
     OPT_CONFIG},
    {"format", 0, OCI_ARG_REQUIRED, "FORMAT", "json (skopeo inspect's fields, the default) or text",
     OPT_FORMAT},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", 'h'},
    {"no-tags", 'n', OCI_ARG_NONE, NULL, "do not list the repository's tags (RepoTags: [])",
     OPT_NO_TAGS},
    {"platform", 0, OCI_ARG_REQUIRED, "OS/ARCH[/VAR]",
     "platform to pick from an index (default: this host's)", OPT_PLATFORM},
    {"raw", 0, OCI_ARG_NONE, NULL,
     "print the manifest or index as the registry sent it, verified (with --platform: that "
     "platform's manifest)",
     OPT_RAW},
};

static const command inspect_cmd = {
    "inspect",
    "oci-fetch inspect [OPTIONS] IMAGE",
    "Show what IMAGE (name[:tag][@digest], or docker://...) is without pulling it: only its\n"
    "manifest (and index) and its config are fetched and verified, never a layer. The JSON has\n"
    "skopeo inspect's fields (Name, Digest, RepoTags, Created, DockerVersion, Labels,\n"
    "Architecture, Os, Layers, LayersData, Env) and then MediaType, Entrypoint, Cmd, History,\n"
    "and for an index its Platforms and the picked ManifestDigest. Digest is the digest of\n"
    "what the reference names (the index for a multi-platform image), as with skopeo.",
    inspect_opts,
    ARRAY_SIZE(inspect_opts),
    1,
    "IMAGE",
};

static int inspect_take(int id, const char *arg, void *ud, oci_error *err)
{
	oci_inspect_opts *o = ud;
	if (registry_option(id, arg, &o->reg))
		return 0;
	switch (id) {
	case OPT_CONFIG:
	case OPT_RAW:
		if (o->format == OCI_INSPECT_RAW || o->format == OCI_INSPECT_CONFIG)
			return oci_err(err, OCI_E_INVALID, "--raw and --config are exclusive");
		o->format = id == OPT_RAW ? OCI_INSPECT_RAW : OCI_INSPECT_CONFIG;
		return 0;
	case OPT_FORMAT:
		if (strcmp(arg, "json") && strcmp(arg, "text"))
			return oci_err(err, OCI_E_INVALID,
				       "--format: expected json or text, got '%s'", arg);
		if (o->format == OCI_INSPECT_RAW || o->format == OCI_INSPECT_CONFIG)
			return oci_err(err, OCI_E_INVALID, "--format: not with --raw or --config");
		o->format = strcmp(arg, "text") ? OCI_INSPECT_JSON : OCI_INSPECT_TEXT;
		return 0;
	case OPT_NO_TAGS:
		o->no_tags = true;
		return 0;
	case OPT_PLATFORM:
		o->platform = arg;
		return 0;
	}
	return oci_err(err, OCI_E_INTERNAL, "option %d not handled", id);
}

static int inspect_run(void *ud, oci_error *err)
{
	return oci_inspect(ud, stdout, err);
}

int oci_fetch_cmd_inspect(int argc, char **argv)
{
	oci_error err = OCI_ERROR_INIT;
	oci_inspect_opts o;
	oci_cli c;
	memset(&o, 0, sizeof(o));
	int r = parse(&inspect_cmd, argc, argv, &c, inspect_take, &o, &err);
	if (r <= 0)
		return finish(r, &err);
	o.image = argv[c.index];
	return finish(with_curl(inspect_run, &o, &err), &err);
}

/* ---- list-tags ---- */

static const oci_cli_option tags_opts[] = {
    REGISTRY_OPTIONS,
    {"format", 0, OCI_ARG_REQUIRED, "FORMAT",
     "json ({\"Repository\",\"Tags\"} as skopeo, the default) or text (one tag a line)",
     OPT_FORMAT},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", 'h'},
    {"page-size", 0, OCI_ARG_REQUIRED, "N",
     "ask for N tags a page (default: the registry's page); every page is read", OPT_PAGE_SIZE},
};

static const command tags_cmd = {
    "list-tags",
    "oci-fetch list-tags [OPTIONS] REPOSITORY",
    "Print every tag of REPOSITORY (name without a tag, or docker://...), following the\n"
    "registry's pagination (Link: rel=\"next\") to the last page.",
    tags_opts,
    ARRAY_SIZE(tags_opts),
    1,
    "REPOSITORY",
};

static int tags_take(int id, const char *arg, void *ud, oci_error *err)
{
	oci_list_tags_opts *o = ud;
	uint64_t n;
	if (registry_option(id, arg, &o->reg))
		return 0;
	switch (id) {
	case OPT_FORMAT:
		if (strcmp(arg, "json") && strcmp(arg, "text"))
			return oci_err(err, OCI_E_INVALID,
				       "--format: expected json or text, got '%s'", arg);
		o->text = !strcmp(arg, "text");
		return 0;
	case OPT_PAGE_SIZE:
		if (oci_parse_u64(arg, 100000, &n) < 0 || n == 0)
			return oci_err(err, OCI_E_INVALID,
				       "--page-size: expected a number from 1 to 100000, got '%s'",
				       arg);
		o->page_size = (unsigned)n;
		return 0;
	}
	return oci_err(err, OCI_E_INTERNAL, "option %d not handled", id);
}

static int tags_run(void *ud, oci_error *err)
{
	return oci_list_tags(ud, stdout, err);
}

int oci_fetch_cmd_list_tags(int argc, char **argv)
{
	oci_error err = OCI_ERROR_INIT;
	oci_list_tags_opts o;
	oci_cli c;
	memset(&o, 0, sizeof(o));
	int r = parse(&tags_cmd, argc, argv, &c, tags_take, &o, &err);
	if (r <= 0)
		return finish(r, &err);
	o.repo = argv[c.index];
	return finish(with_curl(tags_run, &o, &err), &err);
}

/* ---- login, logout ---- */

static const oci_cli_option login_opts[] = {
    {"authfile", 0, OCI_ARG_REQUIRED, "FILE",
     "where to store the credentials (default $REGISTRY_AUTH_FILE, else "
     "$XDG_RUNTIME_DIR/containers/auth.json, else /run/containers/UID/auth.json)",
     OPT_R_AUTHFILE},
    REGISTRY_TLS_OPTIONS,
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", 'h'},
    {"password", 'p', OCI_ARG_REQUIRED, "PASS",
     "the password (visible to other users in ps: prefer --password-stdin or the prompt)", 'p'},
    {"password-stdin", 0, OCI_ARG_NONE, NULL, "read the password from stdin (one line)",
     OPT_PASSWORD_STDIN},
    {"username", 'u', OCI_ARG_REQUIRED, "USER", "the user name (asked on the terminal when absent)",
     'u'},
};

static const command login_cmd = {
    "login",
    "oci-fetch login [OPTIONS] REGISTRY",
    "Check a user name and password against REGISTRY (host[:port]; docker.io for Docker Hub),\n"
    "then store them in the auth file podman, skopeo and oci-fetch read. Without --password\n"
    "or --password-stdin the password is asked on the terminal, without echo. A refused\n"
    "password is an error and nothing is stored. The file is written mode 0600, atomically.",
    login_opts,
    ARRAY_SIZE(login_opts),
    1,
    "REGISTRY",
};

typedef struct login_args {
	oci_login_opts o;
	bool password_stdin;
	bool logout;
} login_args;

static int login_take(int id, const char *arg, void *ud, oci_error *err)
{
	login_args *l = ud;
	if (id == OPT_R_AUTHFILE) {
		l->o.authfile = arg;
		return 0;
	}
	if (registry_option(id, arg, &l->o.reg))
		return 0;
	switch (id) {
	case 'p':
		l->o.reg.password = arg;
		return 0;
	case OPT_PASSWORD_STDIN:
		l->password_stdin = true;
		return 0;
	case 'u':
		l->o.reg.username = arg;
		return 0;
	case OPT_ALL:
		l->o.all = true;
		return 0;
	}
	return oci_err(err, OCI_E_INTERNAL, "option %d not handled", id);
}

static int login_run(void *ud, oci_error *err)
{
	login_args *l = ud;
	return oci_login(&l->o, err);
}

int oci_fetch_cmd_login(int argc, char **argv)
{
	oci_error err = OCI_ERROR_INIT;
	login_args l;
	oci_cli c;
	char *user = NULL, *password = NULL;
	memset(&l, 0, sizeof(l));
	int r = parse(&login_cmd, argc, argv, &c, login_take, &l, &err);
	if (r <= 0)
		return finish(r, &err);
	l.o.registry = argv[c.index];
	r = -1;
	if (l.password_stdin && l.o.reg.password) {
		oci_err(&err, OCI_E_INVALID,
			"login: --password and --password-stdin are exclusive");
		goto out;
	}
	if (!l.o.reg.username) {
		if (!isatty(STDIN_FILENO) || l.password_stdin) {
			oci_err(&err, OCI_E_INVALID,
				"login: no user name: give --username (or run on a terminal)");
			goto out;
		}
		if (!(user = oci_creds_read_secret("Username: ", true, &err)))
			goto out;
		l.o.reg.username = user;
	}
	if (!l.o.reg.password) {
		if (!l.password_stdin && !isatty(STDIN_FILENO)) {
			oci_err(&err, OCI_E_INVALID,
				"login: no password: use --password-stdin, or run on a terminal");
			goto out;
		}
		if (!(password = oci_creds_read_secret("Password: ", false, &err)))
			goto out;
		l.o.reg.password = password;
	}
	r = with_curl(login_run, &l, &err);
	if (r == 0)
		printf("Login Succeeded!\n");
out:
	oci_creds_wipe(user);
	oci_creds_wipe(password);
	return finish(r, &err);
}

static const oci_cli_option logout_opts[] = {
    {"all", 'a', OCI_ARG_NONE, NULL, "remove the credentials of every registry", OPT_ALL},
    {"authfile", 0, OCI_ARG_REQUIRED, "FILE", "the auth file (the same default as login)",
     OPT_R_AUTHFILE},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", 'h'},
};

static const command logout_cmd = {
    "logout",
    "oci-fetch logout [OPTIONS] REGISTRY|--all",
    "Remove the credentials stored for REGISTRY (every registry with --all) from the auth file\n"
    "login writes; the rest of the file is kept. Not being logged in there is an error.",
    logout_opts,
    ARRAY_SIZE(logout_opts),
    1,
    "REGISTRY",
};

int oci_fetch_cmd_logout(int argc, char **argv)
{
	oci_error err = OCI_ERROR_INIT;
	login_args l;
	oci_cli c;
	memset(&l, 0, sizeof(l));
	command cmd = logout_cmd;
	/* --all takes no REGISTRY */
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--all") || !strcmp(argv[i], "-a"))
			cmd.n_operands = 0;
	int r = parse(&cmd, argc, argv, &c, login_take, &l, &err);
	if (r <= 0)
		return finish(r, &err);
	l.o.registry = l.o.all ? NULL : argv[c.index];
	r = oci_logout(&l.o, &err);
	if (r == 0 && l.o.all)
		printf("Removed login credentials for all registries\n");
	else if (r == 0)
		printf("Removed login credentials for %s\n", l.o.registry);
	return finish(r, &err);
}

/* ---- cache ---- */

static const oci_cli_option cache_opts[] = {
    {"all", 'a', OCI_ARG_NONE, NULL, "prune: remove every blob", OPT_ALL},
    {"cache", 0, OCI_ARG_REQUIRED, "DIR",
     "the blob cache (default $XDG_CACHE_HOME/oci-toolkit/blobs; root: "
     "/var/cache/oci-toolkit/blobs)",
     OPT_CACHE},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", 'h'},
    {"older-than", 0, OCI_ARG_REQUIRED, "AGE",
     "prune: remove blobs not used for AGE (90s, 30m, 12h, 7d, 2w)", OPT_OLDER_THAN},
};

static const command cache_cmd = {
    "cache",
    "oci-fetch cache list|prune [OPTIONS]",
    "list: every blob of the download cache with its size and when a pull last used it, most\n"
    "recent first, then the total, then the root filesystems oci-unpack --cache keeps beside\n"
    "them (DIR/rootfs, by chain id). prune: remove the blobs and trees not used for\n"
    "--older-than AGE, or --all of them; blobs a running pull is downloading and trees a\n"
    "running unpack is cloning are left alone. A pull that finds a blob in the cache (an\n"
    "unpack that clones a tree) counts as using it.",
    cache_opts,
    ARRAY_SIZE(cache_opts),
    1,
    "list or prune",
};

typedef struct cache_args {
	const char *dir;
	bool all;
	const char *older_than;
	uint64_t age; /* --older-than in seconds */
} cache_args;

static int cache_take(int id, const char *arg, void *ud, oci_error *err)
{
	cache_args *a = ud;
	switch (id) {
	case OPT_ALL:
		a->all = true;
		return 0;
	case OPT_CACHE:
		a->dir = arg;
		return 0;
	case OPT_OLDER_THAN:
		a->older_than = arg;
		return 0;
	}
	return oci_err(err, OCI_E_INTERNAL, "option %d not handled", id);
}

/* The rootfs cache's trees (oci-unpack --cache), when there is one. */
static int tree_list(oci_cache *store, oci_error *err)
{
	oci_treecache t;
	cleanup_free oci_treecache_entry *v = NULL;
	size_t n = 0;
	uint64_t total = 0;
	char sz[32], when[32];
	int r = oci_treecache_open_existing(&t, store, err);
	if (r == 0 && t.dirfd >= 0)
		r = oci_treecache_list(&t, &v, &n, err);
	bool have = t.dirfd >= 0;
	oci_treecache_release(&t);
	if (r < 0 || !have)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct tm tm;
		localtime_r(&v[i].used, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		oci_progress_human(v[i].size, sz, sizeof(sz));
		printf("rootfs %-64s %10s  %s  (%zu layer%s)\n", v[i].name, sz, when, v[i].layers,
		       v[i].layers == 1 ? "" : "s");
		total += v[i].size;
	}
	oci_progress_human(total, sz, sizeof(sz));
	printf("%zu tree%s, %s in %s/rootfs\n", n, n == 1 ? "" : "s", sz, store->path);
	return 0;
}

static int cache_list(oci_cache *store, oci_error *err)
{
	cleanup_free oci_cache_entry *v = NULL;
	size_t n = 0;
	uint64_t total = 0;
	char sz[32], when[32];
	if (oci_cache_list(store, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct tm tm;
		localtime_r(&v[i].used, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		oci_progress_human(v[i].size, sz, sizeof(sz));
		/* a partial download's name is whoever wrote it's: its control bytes escaped */
		cleanup_free char *name = oci_log_escape(v[i].name);
		if (!name)
			return oci_err_errno(err, ENOMEM, "cannot list the cache");
		printf("%-71s %10s  %s%s\n", name, sz, when, v[i].partial ? "  (partial)" : "");
		total += v[i].size;
	}
	oci_progress_human(total, sz, sizeof(sz));
	printf("%zu blob%s, %s in %s\n", n, n == 1 ? "" : "s", sz, store->path);
	return tree_list(store, err);
}

static int cache_prune(oci_cache *store, const cache_args *a, oci_error *err)
{
	oci_cache_prune_stats st;
	if (oci_cache_prune(store, a->all, time(NULL) - (time_t)a->age, &st, err) < 0)
		return -1;
	char rs[32], ks[32];
	oci_progress_human(st.removed_bytes, rs, sizeof(rs));
	oci_progress_human(st.kept_bytes, ks, sizeof(ks));
	printf("removed %zu blob%s (%s); kept %zu (%s)", st.removed, st.removed == 1 ? "" : "s", rs,
	       st.kept, ks);
	if (st.busy)
		printf("; %zu in use by a running pull", st.busy);
	printf("\n");
	oci_treecache t;
	int r = oci_treecache_open_existing(&t, store, err);
	if (r == 0 && t.dirfd >= 0) {
		r = oci_treecache_prune(&t, a->all, time(NULL) - (time_t)a->age, &st, err);
		if (r == 0) {
			oci_progress_human(st.removed_bytes, rs, sizeof(rs));
			oci_progress_human(st.kept_bytes, ks, sizeof(ks));
			printf("removed %zu tree%s (%s); kept %zu (%s)", st.removed,
			       st.removed == 1 ? "" : "s", rs, st.kept, ks);
			if (st.busy)
				printf("; %zu in use by a running unpack", st.busy);
			printf("\n");
		}
	}
	oci_treecache_release(&t);
	return r;
}

int oci_fetch_cmd_cache(int argc, char **argv)
{
	oci_error err = OCI_ERROR_INIT;
	cache_args a;
	oci_cli c;
	memset(&a, 0, sizeof(a));
	int r = parse(&cache_cmd, argc, argv, &c, cache_take, &a, &err);
	if (r <= 0)
		return finish(r, &err);
	const char *what = argv[c.index];
	bool prune = !strcmp(what, "prune");
	if (!prune && strcmp(what, "list"))
		return finish(oci_err(&err, OCI_E_INVALID,
				      "cache: unknown action '%s' (list or prune)", what),
			      &err);
	if (!prune && (a.all || a.older_than))
		return finish(oci_err(&err, OCI_E_INVALID,
				      "cache list: --all and --older-than are prune's options"),
			      &err);
	if (prune && a.all == !!a.older_than)
		return finish(oci_err(&err, OCI_E_INVALID,
				      "cache prune: give --all or --older-than AGE (one of them)"),
			      &err);
	if (a.older_than && oci_cache_parse_age(a.older_than, &a.age, &err) < 0)
		return finish(oci_err_prefix(&err, "cache prune: --older-than"), &err);
	cleanup_free char *dir = a.dir ? oci_strdup(a.dir, &err) : oci_cache_default_dir(&err);
	if (!dir)
		return finish(-1, &err);
	/* list and prune look at a cache, they never make one */
	if (access(dir, F_OK) < 0)
		return finish(oci_err_errno(&err, errno, "cache '%s'", dir), &err);
	oci_cache store;
	if (oci_cache_open(&store, dir, true, &err) < 0) {
		oci_cache_release(&store);
		return finish(-1, &err);
	}
	r = prune ? cache_prune(&store, &a, &err) : cache_list(&store, &err);
	oci_cache_release(&store);
	return finish(r, &err);
}
