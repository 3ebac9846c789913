/* oci-run's commands: option tables and output formats (runc's, byte for byte where people
 * parse them: state JSON, list table and JSON), calling run/container.c for the work. */
#include "run/commands.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/json.h"
#include "common/log.h"
#include "common/spec.h"
#include "common/util.h"
#include "run/mounts.h"
#include "run/seccomp.h"
#include "run/state.h"

enum {
	OPT_BUNDLE = 'b',
	OPT_DETACH = 'd',
	OPT_QUIET = 'q',
	OPT_FORMAT = 'f',
	OPT_ALL = 'a',
	OPT_FORCE = 'F',
	OPT_PIDFILE = 256,
	OPT_CONSOLE,
	OPT_NOPIVOT,
	OPT_NOKEYRING,
	OPT_PRESERVE,
	OPT_HELP,
	OPT_ROOTLESS,
	OPT_NOSUBREAPER,
	OPT_KEEP
};

static int parse_help(const char *usage, const oci_cli_option *opts, size_t n)
{
	oci_cli_help(stdout, usage, NULL, opts, n);
	return 0;
}

static const oci_cli_option create_opts[] = {
    {"bundle", 'b', OCI_ARG_REQUIRED, "DIR", "bundle directory (default: current directory)",
     OPT_BUNDLE},
    {"console-socket", 0, OCI_ARG_REQUIRED, "PATH", "unix socket that receives the pty master",
     OPT_CONSOLE},
    {"detach", 'd', OCI_ARG_NONE, NULL, "run: detach from the container's process", OPT_DETACH},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
    {"keep", 0, OCI_ARG_NONE, NULL, "accepted for compatibility", OPT_KEEP},
    {"no-new-keyring", 0, OCI_ARG_NONE, NULL, "do not create a new session keyring", OPT_NOKEYRING},
    {"no-pivot", 0, OCI_ARG_NONE, NULL, "use MS_MOVE + chroot instead of pivot_root", OPT_NOPIVOT},
    {"no-subreaper", 0, OCI_ARG_NONE, NULL, "accepted for compatibility", OPT_NOSUBREAPER},
    {"pid-file", 0, OCI_ARG_REQUIRED, "FILE", "write the container's pid to FILE", OPT_PIDFILE},
    {"preserve-fds", 0, OCI_ARG_REQUIRED, "N", "pass N extra fds (3..3+N-1) to the container",
     OPT_PRESERVE},
};

static int create_or_run(const oci_run_global *g, int argc, char **argv, bool run, oci_error *err)
{
	oci_create_opts o = {0};
	oci_cli cli;
	int opt;
	const char *bundle = ".";
	oci_cli_init(&cli, create_opts, ARRAY_SIZE(create_opts), argc, argv, 1, false);
	while ((opt = oci_cli_next(&cli, err)) > 0) {
		switch (opt) {
		case OPT_BUNDLE:
			bundle = cli.optarg;
			break;
		case OPT_CONSOLE:
			o.console_socket = cli.optarg;
			break;
		case OPT_DETACH:
			if (!run)
				return oci_err(err, OCI_E_INVALID, "unknown option '--detach'");
			o.detach = true;
			break;
		case OPT_PIDFILE:
			o.pid_file = cli.optarg;
			break;
		case OPT_NOPIVOT:
			o.no_pivot = true;
			break;
		case OPT_NOKEYRING:
			o.no_new_keyring = true;
			break;
		case OPT_PRESERVE: {
			uint64_t n;
			if (oci_parse_u64(cli.optarg, 1u << 20, &n) < 0)
				return oci_err(err, OCI_E_INVALID,
					       "--preserve-fds: invalid number '%s'", cli.optarg);
			o.preserve_fds = (int)n;
			break;
		}
		case OPT_HELP:
			return parse_help(run ? "oci-run run [OPTIONS] ID"
					      : "oci-run create [OPTIONS] ID",
					  create_opts, ARRAY_SIZE(create_opts));
		}
	}
	if (opt < 0)
		return -1;
	if (cli.index != argc - 1)
		return oci_err(err, OCI_E_INVALID, "%s: expected exactly one container id",
			       run ? "run" : "create");
	o.id = argv[cli.index];
	cleanup_free char *abs = realpath(bundle, NULL);
	if (!abs)
		return oci_err_errno(err, errno, "bundle '%s'", bundle);
	o.bundle = abs;
	o.foreground = run && !o.detach;
	int status = 0;
	if (oci_container_create(g, &o, &status, err) < 0)
		return -1;
	return o.foreground ? status : 0;
}

int oci_cmd_create(const oci_run_global *g, int argc, char **argv, oci_error *err)
{
	return create_or_run(g, argc, argv, false, err);
}

int oci_cmd_run(const oci_run_global *g, int argc, char **argv, oci_error *err)
{
	return create_or_run(g, argc, argv, true, err);
}

static const oci_cli_option id_opts[] = {
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
};

/* Commands taking only an id. */
static const char *one_id(int argc, char **argv, const char *usage, oci_error *err)
{
	oci_cli cli;
	int opt;
	oci_cli_init(&cli, id_opts, ARRAY_SIZE(id_opts), argc, argv, 1, false);
	while ((opt = oci_cli_next(&cli, err)) > 0) {
		if (opt == OPT_HELP) {
			parse_help(usage, id_opts, ARRAY_SIZE(id_opts));
			return "";
		}
	}
	if (opt < 0)
		return NULL;
	if (cli.index != argc - 1) {
		oci_err(err, OCI_E_INVALID, "%s: expected exactly one container id", argv[0]);
		return NULL;
	}
	return argv[cli.index];
}

int oci_cmd_start(const oci_run_global *g, int argc, char **argv, oci_error *err)
{
	const char *id = one_id(argc, argv, "oci-run start ID", err);
	if (!id)
		return -1;
	if (!*id)
		return 0;
	return oci_container_start(g, id, err) < 0 ? -1 : 0;
}

/* Read one container's state and status; rootfd may be -1 (opens g->root). */
static int load(int rootfd, const char *id, oci_state *st, int *status, uid_t *owner,
		oci_error *err)
{
	cleanup_close int dirfd =
	    openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0) {
		int e = errno;
		if (e == EACCES && oci_state_check_owner(rootfd, -1, id, err) < 0)
			return -1;
		if (e == ENOENT)
			return oci_err(err, OCI_E_NOTFOUND, "container '%s' does not exist", id);
		return oci_err_errno(err, e, "container '%s'", id);
	}
	if (oci_state_check_owner(rootfd, dirfd, id, err) < 0)
		return -1;
	if (oci_state_read(dirfd, st, err) < 0)
		return oci_err_prefix(err, "container '%s'", id);
	*status = oci_state_status(dirfd, st);
	struct stat sb;
	*owner = fstat(dirfd, &sb) == 0 ? sb.st_uid : st->owner;
	return 0;
}

static int print_json(json_t *j, size_t flags, bool newline, oci_error *err)
{
	cleanup_free char *s = json_dumps(j, flags);
	if (!s)
		return oci_err(err, OCI_E_INTERNAL, "cannot serialise JSON");
	fputs(s, stdout);
	if (newline)
		fputc('\n', stdout);
	return oci_flush_stdout(err);
}

int oci_cmd_state(const oci_run_global *g, int argc, char **argv, oci_error *err)
{
	const char *id = one_id(argc, argv, "oci-run state ID", err);
	if (!id)
		return -1;
	if (!*id)
		return 0;
	if (oci_state_check_id(id, err) < 0)
		return -1;
	cleanup_close int rootfd = oci_state_open_root(g->root, false, err);
	if (rootfd < 0) {
		if (err->code == OCI_E_NOTFOUND)
			return oci_err(err, OCI_E_NOTFOUND, "container '%s' does not exist", id);
		return -1;
	}
	oci_state st;
	int status;
	uid_t owner;
	if (load(rootfd, id, &st, &status, &owner, err) < 0)
		return -1;
	cleanup_json json_t *j = oci_state_to_json(&st, status, false, NULL);
	oci_state_release(&st);
	if (!j)
		return oci_err(err, OCI_E_INTERNAL, "cannot build state");
	/* runc prints it with two-space indentation and no final newline. */
	return print_json(j, JSON_INDENT(2), false, err) < 0 ? -1 : 0;
}

static const oci_cli_option list_opts[] = {
    {"format", 'f', OCI_ARG_REQUIRED, "FORMAT", "table or json", OPT_FORMAT},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
    {"quiet", 'q', OCI_ARG_NONE, NULL, "print only the ids", OPT_QUIET},
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int oci_cmd_list(const oci_run_global *g, int argc, char **argv, oci_error *err)
{
	oci_cli cli;
	int opt;
	bool quiet = false, json = false;
	oci_cli_init(&cli, list_opts, ARRAY_SIZE(list_opts), argc, argv, 1, false);
	while ((opt = oci_cli_next(&cli, err)) > 0) {
		if (opt == OPT_QUIET)
			quiet = true;
		else if (opt == OPT_HELP)
			return parse_help("oci-run list [OPTIONS]", list_opts,
					  ARRAY_SIZE(list_opts));
		else if (opt == OPT_FORMAT) {
			if (!strcmp(cli.optarg, "json"))
				json = true;
			else if (strcmp(cli.optarg, "table"))
				return oci_err(err, OCI_E_INVALID, "invalid format option '%s'",
					       cli.optarg);
		}
	}
	if (opt < 0)
		return -1;
	if (cli.index != argc)
		return oci_err(err, OCI_E_INVALID, "list: takes no arguments");

	/* Collect the ids in name order, as runc does. */
	char **ids = NULL;
	size_t n = 0, cap = 0;
	cleanup_close int rootfd = oci_state_open_root(g->root, false, err);
	if (rootfd < 0 && err->code != OCI_E_NOTFOUND)
		return -1;
	oci_err_clear(err);
	if (rootfd >= 0) {
		cleanup_closedir DIR *d = fdopendir(dup(rootfd));
		struct dirent *de;
		while (d && (de = readdir(d))) {
			/* Only the caller's own containers (another user's are 0700 anyway). */
			if (de->d_name[0] == '.' || oci_state_check_id(de->d_name, NULL) < 0 ||
			    oci_state_check_owner(rootfd, -1, de->d_name, NULL) < 0)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				char **ni = realloc(ids, cap * sizeof(char *));
				if (!ni)
					break;
				ids = ni;
			}
			ids[n++] = strdup(de->d_name);
		}
	}
	if (n)
		qsort(ids, n, sizeof(char *), cmp_str);

	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		oci_state st;
		int status;
		uid_t owner;
		oci_error e2 = OCI_ERROR_INIT;
		if (ids[i] && load(rootfd, ids[i], &st, &status, &owner, &e2) < 0) {
			/* Hidden, it could never be deleted by anyone reading the list. */
			log_warn("%s", e2.msg);
		} else if (ids[i]) {
			struct passwd *pw = getpwuid(owner);
			char ubuf[32];
			snprintf(ubuf, sizeof(ubuf), "#%u", (unsigned)owner);
			json_array_append_new(
			    arr, oci_state_to_json(&st, status, true, pw ? pw->pw_name : ubuf));
			oci_state_release(&st);
		}
		free(ids[i]);
	}
	free(ids);
	int ret = 0;
	if (quiet) {
		size_t i;
		json_t *v;
		json_array_foreach(arr, i, v)
		    printf("%s\n", json_string_value(json_object_get(v, "id")));
		ret = oci_flush_stdout(err);
	} else if (json) {
		if (json_array_size(arr) == 0) {
			fputs("null\n", stdout);
			ret = oci_flush_stdout(err);
		} else {
			ret = print_json(arr, JSON_COMPACT, true, err);
		}
	} else {
		/* Go's tabwriter(minwidth 12, padding 3): each column as wide as its widest cell
		 * + 3. */
		const char *hdr[5] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED"};
		const char *keys[5] = {"id", "pid", "status", "bundle", "created"};
		size_t w[5];
		for (int c = 0; c < 5; c++)
			w[c] = strlen(hdr[c]);
		size_t i;
		json_t *v;
		char num[32];
		json_array_foreach(arr, i, v)
		{
			for (int c = 0; c < 5; c++) {
				json_t *f = json_object_get(v, keys[c]);
				size_t l;
				if (json_is_integer(f))
					l = (size_t)snprintf(num, sizeof(num), "%lld",
							     (long long)json_integer_value(f));
				else
					l = strlen(json_string_value(f) ? json_string_value(f)
									: "");
				if (l > w[c])
					w[c] = l;
			}
		}
		for (int c = 0; c < 5; c++) {
			w[c] += 3;
			if (w[c] < 12)
				w[c] = 12;
			printf("%-*s", (int)w[c], hdr[c]);
		}
		printf("OWNER\n");
		json_array_foreach(arr, i, v)
		{
			for (int c = 0; c < 5; c++) {
				json_t *f = json_object_get(v, keys[c]);
				if (json_is_integer(f)) {
					snprintf(num, sizeof(num), "%lld",
						 (long long)json_integer_value(f));
					printf("%-*s", (int)w[c], num);
				} else {
					printf("%-*s", (int)w[c],
					       json_string_value(f) ? json_string_value(f) : "");
				}
			}
			printf("%s\n", json_string_value(json_object_get(v, "owner")));
		}
		ret = oci_flush_stdout(err);
	}
	json_decref(arr);
	return ret < 0 ? -1 : 0;
}

static const oci_cli_option kill_opts[] = {
    {"all", 'a', OCI_ARG_NONE, NULL, "send the signal to every process of the container", OPT_ALL},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
};

int oci_cmd_kill(const oci_run_global *g, int argc, char **argv, oci_error *err)
{
	oci_cli cli;
	int opt;
	bool all = false;
	oci_cli_init(&cli, kill_opts, ARRAY_SIZE(kill_opts), argc, argv, 1, false);
	while ((opt = oci_cli_next(&cli, err)) > 0) {
		if (opt == OPT_ALL)
			all = true;
		else if (opt == OPT_HELP)
			return parse_help("oci-run kill [--all] ID [SIGNAL]", kill_opts,
					  ARRAY_SIZE(kill_opts));
	}
	if (opt < 0)
		return -1;
	int nargs = argc - cli.index;
	if (nargs < 1 || nargs > 2)
		return oci_err(err, OCI_E_INVALID, "kill: expected ID [SIGNAL]");
	int sig = 15;
	if (nargs == 2 && (sig = oci_signal_parse(argv[cli.index + 1], err)) < 0)
		return -1;
	return oci_container_kill(g, argv[cli.index], sig, all, err) < 0 ? -1 : 0;
}

static const oci_cli_option delete_opts[] = {
    {"force", 'f', OCI_ARG_NONE, NULL,
     "kill the container first if it runs; a missing one is not an error", OPT_FORCE},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
};

int oci_cmd_delete(const oci_run_global *g, int argc, char **argv, oci_error *err)
{
	oci_cli cli;
	int opt;
	bool force = false;
	oci_cli_init(&cli, delete_opts, ARRAY_SIZE(delete_opts), argc, argv, 1, false);
	while ((opt = oci_cli_next(&cli, err)) > 0) {
		if (opt == OPT_FORCE)
			force = true;
		else if (opt == OPT_HELP)
			return parse_help("oci-run delete [--force] ID", delete_opts,
					  ARRAY_SIZE(delete_opts));
	}
	if (opt < 0)
		return -1;
	if (cli.index != argc - 1)
		return oci_err(err, OCI_E_INVALID, "delete: expected exactly one container id");
	return oci_container_delete(g, argv[cli.index], force, err) < 0 ? -1 : 0;
}

static const oci_cli_option spec_opts[] = {
    {"bundle", 'b', OCI_ARG_REQUIRED, "DIR", "write config.json in DIR", OPT_BUNDLE},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
    {"rootless", 0, OCI_ARG_NONE, NULL, "a config for an unprivileged user", OPT_ROOTLESS},
};

int oci_cmd_spec(const oci_run_global *g, int argc, char **argv, oci_error *err)
{
	(void)g;
	oci_cli cli;
	int opt;
	const char *bundle = ".";
	bool rootless = false;
	oci_cli_init(&cli, spec_opts, ARRAY_SIZE(spec_opts), argc, argv, 1, false);
	while ((opt = oci_cli_next(&cli, err)) > 0) {
		if (opt == OPT_BUNDLE)
			bundle = cli.optarg;
		else if (opt == OPT_ROOTLESS)
			rootless = true;
		else if (opt == OPT_HELP)
			return parse_help("oci-run spec [OPTIONS]", spec_opts,
					  ARRAY_SIZE(spec_opts));
	}
	if (opt < 0)
		return -1;
	if (cli.index != argc)
		return oci_err(err, OCI_E_INVALID, "spec: takes no arguments");
	cleanup_close int dfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return oci_err_errno(err, errno, "bundle '%s'", bundle);
	if (faccessat(dfd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return oci_err(err, OCI_E_EXISTS, "file '%s/config.json' exists: remove it first",
			       bundle);
	cleanup_json json_t *spec = oci_spec_default(rootless, err);
	if (!spec)
		return -1;
	cleanup_free char *s = oci_json_dump_pretty(spec, err);
	if (!s)
		return -1;
	if (oci_write_file_atomic(dfd, "config.json", s, strlen(s), 0666 & ~022, err) < 0)
		return -1;
	return 0;
}

int oci_cmd_features(const oci_run_global *g, int argc, char **argv, oci_error *err)
{
	(void)g;
	(void)argv;
	if (argc > 1)
		return oci_err(err, OCI_E_INVALID, "features: takes no arguments");
	/* mountOptions come from run/mounts.c's tables: what is listed is what is applied. */
	cleanup_json json_t *f = json_pack(
	    "{s:s,s:s,s:[ssssss],s:o}", "ociVersionMin", "1.0.0", "ociVersionMax",
	    OCI_RUNTIME_SPEC_VERSION, "hooks", "prestart", "createRuntime", "createContainer",
	    "startContainer", "poststart", "poststop", "mountOptions", oci_mount_option_names());
	json_t *caps = json_array();
	for (int c = 0; c < cap_max_bits(); c++) {
		char *name = cap_to_name(c);
		if (name) {
			for (char *p = name; *p; p++)
				*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
			json_array_append_new(caps, json_string(name));
			cap_free(name);
		}
	}
	json_t *lin = json_pack(
	    "{s:[ssssssss],s:o,s:{s:b,s:b,s:b,s:b,s:b},s:o,s:{s:b},s:{s:b}}", "namespaces",
	    "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", "capabilities", caps,
	    "cgroup", "v1", 1, "v2", 1, "systemd", 0, "systemdUser", 0, "rdma", 0, "seccomp",
	    oci_seccomp_features(), "apparmor", "enabled", 0, "selinux", "enabled", 0);
	json_object_set_new(f, "linux", lin);
	json_object_set_new(
	    f, "annotations",
	    json_pack("{s:s}", "org.opencontainers.runc.version", "oci-run " OCI_VERSION));
	cleanup_free char *s = oci_json_dump_pretty(f, err);
	if (!s)
		return -1;
	fputs(s, stdout);
	return oci_flush_stdout(err) < 0 ? -1 : 0;
}
