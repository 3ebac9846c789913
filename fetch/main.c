/* oci-fetch: pull an image from a registry and write it as an oci-archive stream on stdout
 * or into an OCI layout. Parses options and hands over to pull.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/cli.h"
#include "common/error.h"
#include "common/log.h"
#include "common/util.h"
#include "fetch/commands.h"
#include "fetch/credentials.h"
#include "fetch/pull.h"

enum {
	OPT_ALL_PLATFORMS = 256,
	OPT_AUTHFILE,
	OPT_CACERT,
	OPT_CACHE,
	OPT_CERT,
	OPT_CERT_DIR,
	OPT_CHUNK_SIZE,
	OPT_CREDS,
	OPT_DEBUG,
	OPT_DIGEST_FILE,
	OPT_INSECURE,
	OPT_INSECURE_POLICY,
	OPT_KEY,
	OPT_NO_CACHE,
	OPT_PLAIN_HTTP,
	OPT_PLATFORM,
	OPT_POLICY,
	OPT_PRINT_DIGEST,
	OPT_REGISTRIES_CONF,
	OPT_USERNAME,
	OPT_VERSION,
};

static const oci_cli_option options[] = {
    {"all-platforms", 0, OCI_ARG_NONE, NULL, "write every platform of an index (needs -o)",
     OPT_ALL_PLATFORMS},
    {"authfile", 0, OCI_ARG_REQUIRED, "FILE",
     "read credentials from FILE only (as written by oci-fetch login)", OPT_AUTHFILE},
    {"cache", 0, OCI_ARG_REQUIRED, "DIR",
     "blob cache (default $XDG_CACHE_HOME/oci-toolkit/blobs; root: /var/cache/oci-toolkit/blobs)",
     OPT_CACHE},
    {"cacert", 0, OCI_ARG_REQUIRED, "FILE", "also trust the CA certificates in FILE (PEM)",
     OPT_CACERT},
    {"cert", 0, OCI_ARG_REQUIRED, "FILE", "client certificate (PEM), with --key", OPT_CERT},
    {"cert-dir", 0, OCI_ARG_REQUIRED, "DIR",
     "use *.crt, *.cert and *.key from DIR (as certs.d/<host>/)", OPT_CERT_DIR},
    {"chunk-size", 0, OCI_ARG_REQUIRED, "SIZE",
     "split blobs over 2*SIZE into parallel Range requests of SIZE (default 16M; 0: never)",
     OPT_CHUNK_SIZE},
    {"creds", 0, OCI_ARG_REQUIRED, "USER:PASS", "registry credentials", OPT_CREDS},
    {"debug", 0, OCI_ARG_NONE, NULL, "log each request (never credentials)", OPT_DEBUG},
    {"digest-file", 0, OCI_ARG_REQUIRED, "FILE", "write the manifest digest to FILE",
     OPT_DIGEST_FILE},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", 'h'},
    {"insecure", 0, OCI_ARG_NONE, NULL, "do not verify the registry's TLS certificate",
     OPT_INSECURE},
    {"insecure-policy", 0, OCI_ARG_NONE, NULL,
     "pull without checking any signature policy (as skopeo --insecure-policy)",
     OPT_INSECURE_POLICY},
    {"jobs", 'j', OCI_ARG_REQUIRED, "N", "parallel requests: layers and Range chunks (default 4)",
     'j'},
    {"key", 0, OCI_ARG_REQUIRED, "FILE", "client certificate key (PEM)", OPT_KEY},
    {"no-cache", 0, OCI_ARG_NONE, NULL, "do not use or fill the blob cache", OPT_NO_CACHE},
    {"output", 'o', OCI_ARG_REQUIRED, "DEST",
     "write to an OCI layout: DIR or oci:DIR[:TAG] (default: stream on stdout)", 'o'},
    {"plain-http", 0, OCI_ARG_NONE, NULL,
     "talk HTTP, not HTTPS (default for localhost and 127.0.0.1)", OPT_PLAIN_HTTP},
    {"platform", 0, OCI_ARG_REQUIRED, "OS/ARCH[/VAR]",
     "platform to pick from an index (default: this host's)", OPT_PLATFORM},
    {"policy", 0, OCI_ARG_REQUIRED, "FILE",
     "signature policy (default ~/.config/containers/policy.json, else "
     "/etc/containers/policy.json; none: accept)",
     OPT_POLICY},
    {"print-digest", 0, OCI_ARG_NONE, NULL, "print the manifest digest (on stderr when streaming)",
     OPT_PRINT_DIGEST},
    {"registries-conf", 0, OCI_ARG_REQUIRED, "FILE",
     "registries.conf to use alone (default $CONTAINERS_REGISTRIES_CONF, else the "
     "containers files and drop-ins)",
     OPT_REGISTRIES_CONF},
    {"quiet", 'q', OCI_ARG_NONE, NULL, "no progress output", 'q'},
    {"username", 0, OCI_ARG_REQUIRED, "USER",
     "registry user; the password is asked on the terminal (echo off), else read from stdin",
     OPT_USERNAME},
    {"version", 'v', OCI_ARG_NONE, NULL, "print the version", OPT_VERSION},
};

static const char usage[] =
    "oci-fetch [OPTIONS] IMAGE\n"
    "       oci-fetch COMMAND [OPTIONS] ARGS (COMMAND --help for its options)";
static const char description[] =
    "Pull IMAGE (name[:tag][@digest]) from its registry, verify every blob, and write it as an\n"
    "oci-archive stream on stdout (oci-layout, index.json, manifest, config, layers bottom to "
    "top)\n"
    "or into an OCI layout directory.\n"
    "\n"
    "IMAGE is normalised as Docker does (busybox = docker.io/library/busybox:latest, served by\n"
    "registry-1.docker.io); hosts may be names, IPv4 or [IPv6] with a port.\n"
    "registries.conf (containers-registries.conf(5)) gives short names their search registries\n"
    "and aliases, and names mirrors, rewrites, insecure and blocked registries; policy.json\n"
    "(containers-policy.json(5)) can require sigstore signatures (public keys), checked before\n"
    "any layer is fetched.\n"
    "Credentials come from\n"
    "--creds/--username, else $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,\n"
    "$XDG_CONFIG_HOME/containers/auth.json, $DOCKER_CONFIG/config.json or ~/.docker/config.json\n"
    "(auths, identitytoken, credHelpers, credsStore). CAs and client certificates also come from\n"
    "/etc/docker/certs.d/HOST/ and /etc/containers/certs.d/HOST/. Progress bars go to stderr when\n"
    "it is a terminal.";

/* The commands besides pulling (commands.c), each with its own options and help ("oci-fetch
 * COMMAND --help"); --help, the man page and completion list them from here. */
static const struct fetch_command {
	oci_cli_command doc;
	int (*fn)(int argc, char **argv);
} commands[] = {
    {{"cache", "list or prune the blob cache",
      "# what the cache holds, most recently used first\n"
      "oci-fetch cache list\n"
      "# remove what no pull used for a week\n"
      "oci-fetch cache prune --older-than 7d"},
     oci_fetch_cmd_cache},
    {{"inspect", "show an image's manifest and config without pulling it",
      "# skopeo inspect's JSON\n"
      "oci-fetch inspect busybox\n"
      "# a short listing, and the manifest bytes (digest-verified)\n"
      "oci-fetch inspect --format text busybox\n"
      "oci-fetch inspect --raw busybox | sha256sum"},
     oci_fetch_cmd_inspect},
    {{"list-tags", "list every tag of a repository",
      "oci-fetch list-tags docker.io/library/busybox\n"
      "oci-fetch list-tags --format text localhost:5000/app"},
     oci_fetch_cmd_list_tags},
    {{"login", "check credentials with a registry and store them",
      "# asks for the password on the terminal, without echo\n"
      "oci-fetch login -u me localhost:5000\n"
      "printf '%s\\n' \"$TOKEN\" | oci-fetch login -u me --password-stdin registry.example.com"},
     oci_fetch_cmd_login},
    {{"logout", "remove stored credentials",
      "oci-fetch logout localhost:5000\n"
      "oci-fetch logout --all"},
     oci_fetch_cmd_logout},
};

/* What --help and the man page say besides the options (common/cli.h). */
static const oci_cli_tool tool = {
    .name = "oci-fetch",
    .summary = "pull an image from a registry and verify every digest",
    .examples = "# pull busybox from Docker Hub and unpack it into ./rootfs\n"
		"oci-fetch busybox | oci-unpack rootfs\n"
		"# the arm64 image of an index, into an OCI layout directory\n"
		"oci-fetch --platform linux/arm64 -o oci:layout:arm64 busybox",
    .cmds = &commands[0].doc,
    .n_cmds = ARRAY_SIZE(commands),
    .cmd_size = sizeof(commands[0]),
};

/* "oci:DIR[:TAG]" or "DIR". */
static int parse_output(char *arg, oci_pull_opts *o, oci_error *err)
{
	if (!oci_str_has_prefix(arg, "oci:")) {
		o->layout_dir = arg;
		return 0;
	}
	char *dir = arg + 4;
	char *colon = strrchr(dir, ':');
	if (colon && !strchr(colon, '/')) {
		*colon = '\0';
		if (!colon[1])
			return oci_err(err, OCI_E_INVALID, "--output: empty tag");
		o->layout_tag = colon + 1;
	}
	if (!*dir)
		return oci_err(err, OCI_E_INVALID, "--output: empty directory");
	o->layout_dir = dir;
	return 0;
}

int main(int argc, char **argv)
{
	oci_error err = OCI_ERROR_INIT;
	oci_pull_opts o;
	oci_cli c;
	bool quiet = false;
	char *password = NULL;
	int id, ret = 1;
	memset(&o, 0, sizeof(o));
	o.jobs = 4;
	o.chunk_size = -1;
	oci_log_init("oci-fetch");
	oci_cli_set_tool(&tool);
	const oci_cli_command *doc = argc > 1 ? oci_cli_enter_command(argv[1]) : NULL;
	if (doc)
		return ((const struct fetch_command *)(const void *)doc)->fn(argc - 1, argv + 1);
	oci_cli_init(&c, options, ARRAY_SIZE(options), argc, argv, 1, false);
	while ((id = oci_cli_next(&c, &err)) > 0) {
		uint64_t n;
		switch (id) {
		case 'h':
			oci_cli_help(stdout, usage, description, options, ARRAY_SIZE(options));
			return oci_flush_stdout(&err) < 0 ? 1 : 0;
		case OPT_VERSION:
			return oci_cli_print_version("oci-fetch", &err) < 0 ? 1 : 0;
		case OPT_ALL_PLATFORMS:
			o.all_platforms = true;
			break;
		case OPT_AUTHFILE:
			o.reg.authfile = c.optarg;
			break;
		case OPT_CACHE:
			o.cache_dir = c.optarg;
			break;
		case OPT_CACERT:
			o.reg.tls.cacert = c.optarg;
			break;
		case OPT_CERT:
			o.reg.tls.cert = c.optarg;
			break;
		case OPT_CERT_DIR:
			o.reg.tls.cert_dir = c.optarg;
			break;
		case OPT_CHUNK_SIZE:
			if (oci_parse_size(c.optarg, &n) < 0 || n > (1ull << 40) ||
			    (n && n < 4096)) {
				oci_err(
				    &err, OCI_E_INVALID,
				    "--chunk-size: expected 0 or a size from 4k to 1T, got '%s'",
				    c.optarg);
				goto fail;
			}
			o.chunk_size = (int64_t)n;
			break;
		case OPT_CREDS:
			o.reg.creds = c.optarg;
			break;
		case OPT_DEBUG:
			oci_log_set_level(OCI_LOG_DEBUG);
			break;
		case OPT_DIGEST_FILE:
			o.digest_file = c.optarg;
			break;
		case OPT_INSECURE:
			o.reg.tls.insecure = true;
			break;
		case OPT_INSECURE_POLICY:
			o.insecure_policy = true;
			break;
		case 'j':
			if (oci_parse_u64(c.optarg, 64, &n) < 0 || n == 0) {
				oci_err(&err, OCI_E_INVALID,
					"--jobs: expected a number from 1 to 64, got '%s'",
					c.optarg);
				goto fail;
			}
			o.jobs = (int)n;
			break;
		case OPT_KEY:
			o.reg.tls.key = c.optarg;
			break;
		case OPT_NO_CACHE:
			o.no_cache = true;
			break;
		case 'o':
			if (parse_output((char *)c.optarg, &o, &err) < 0)
				goto fail;
			break;
		case OPT_PLAIN_HTTP:
			o.reg.plain_http = true;
			break;
		case OPT_PLATFORM:
			o.platform = c.optarg;
			break;
		case OPT_POLICY:
			o.policy = c.optarg;
			break;
		case OPT_PRINT_DIGEST:
			o.print_digest = true;
			break;
		case 'q':
			quiet = true;
			break;
		case OPT_REGISTRIES_CONF:
			o.registries_conf = c.optarg;
			break;
		case OPT_USERNAME:
			o.reg.username = c.optarg;
			break;
		}
	}
	if (id < 0)
		goto fail;
	if (c.argc - c.index != 1) {
		oci_err(&err, OCI_E_INVALID,
			c.argc == c.index ? "missing IMAGE (see --help)"
					  : "expected one IMAGE, got %d",
			c.argc - c.index);
		goto fail;
	}
	o.image = argv[c.index];
	if (o.reg.creds && o.reg.username) {
		oci_err(&err, OCI_E_INVALID, "--creds and --username are exclusive");
		goto fail;
	}
	if (o.policy && o.insecure_policy) {
		oci_err(&err, OCI_E_INVALID, "--policy and --insecure-policy are exclusive");
		goto fail;
	}
	if (o.cache_dir && o.no_cache) {
		oci_err(&err, OCI_E_INVALID, "--cache and --no-cache are exclusive");
		goto fail;
	}
	if (o.reg.username) {
		/* asked on the terminal with echo off, else a line of stdin */
		if (!(password = oci_creds_read_secret("Password: ", false, &err))) {
			oci_err_prefix(&err, "--username");
			goto fail;
		}
		o.reg.password = password;
	}
	o.progress = !quiet && isatty(STDERR_FILENO) && oci_log_get_level() < OCI_LOG_DEBUG;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		oci_err(&err, OCI_E_INTERNAL, "cannot initialise libcurl");
		goto fail;
	}
	if (oci_pull(&o, &err) == 0 && (o.layout_dir ? oci_flush_stdout(&err) : 0) == 0)
		ret = 0;
	curl_global_cleanup();
	if (ret == 0)
		goto out;
	if (err.sys_errno == EPIPE && !o.layout_dir) {
		/* the consumer went away: it says why (one failing pipe, one line), we do not add
		 * "Broken pipe" */
		log_debug("%s", err.msg);
		goto out;
	}
fail:
	oci_log_error_final(&err);
	ret = oci_interrupted ? 128 + oci_interrupted : 1;
out:
	if (password) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	return ret;
}
