/* oci-bundle's three commands: spec writes a new config.json (runc's default, optionally
 * from an image config, then edited), edit changes an existing one in place (atomically),
 * validate reports every problem with its JSON path. */
#include "bundle/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/spec.h"
#include "common/util.h"

#define CONFIG "config.json"

static int open_bundle(const char *dir, oci_error *err)
{
	int fd = oci_open_dir_named(dir, O_PATH, err);
	if (fd < 0 && err && err->code)
		return oci_err_prefix(err, "bundle");
	if (fd < 0)
		return oci_err_errno(err, errno, "cannot open bundle directory '%s'", dir);
	return fd;
}

/* A JSON file of the bundle (config.json, image-config.json), opened only once it is known to
 * be a regular file: a FIFO put in its place would block the open for ever, a device would
 * be read from. flags: O_NOFOLLOW for a file we replace (edit), else 0. *st (may be NULL)
 * receives its metadata. */
static json_t *load_bundle_json(int bundle_fd, const char *bundle, const char *name, int flags,
				struct stat *st, oci_error *err)
{
	cleanup_close int fd = oci_open_regular_at(bundle_fd, name, flags, err);
	if (fd < 0 || (st && fstat(fd, st) < 0)) {
		if (fd >= 0)
			oci_err_errno(err, errno, "cannot stat '%s'", name);
		return oci_err_prefix(err, "bundle '%s'", bundle), NULL;
	}
	json_t *j = oci_json_load_fd(fd, OCI_JSON_MAX_SIZE, name, err);
	if (!j)
		oci_err_prefix(err, "bundle '%s'", bundle);
	return j;
}

/* The rootfs named by root.path, or -1 when it does not exist yet (then only numeric users
 * can be resolved). */
static int open_rootfs(json_t *spec, int bundle_fd, const char *bundle, int *out, oci_error *err)
{
	const char *path =
	    json_string_value(json_object_get(json_object_get(spec, "root"), "path"));
	*out = -1;
	if (!path || !*path)
		return 0;
	int fd = openat(bundle_fd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return oci_err_errno(err, errno, "cannot open rootfs '%s' of bundle '%s'", path,
				     bundle);
	}
	*out = fd;
	return 0;
}

/* replace: over the config.json there (edit, spec --force); else only where none is, one
 * made since spec looked (another spec) included. */
static int write_config(int bundle_fd, const char *bundle, json_t *spec, mode_t mode, bool replace,
			oci_error *err)
{
	cleanup_free char *text = oci_json_dump_pretty(spec, err);
	if (!text)
		return -1;
	int r = replace ? oci_write_file_atomic(bundle_fd, CONFIG, text, strlen(text), mode, err)
			: oci_write_file_new(bundle_fd, CONFIG, text, strlen(text), mode, err);
	if (r < 0)
		return oci_err_prefix(err, "bundle '%s'", bundle);
	if (r > 0)
		return oci_err(err, OCI_E_EXISTS,
			       "'%s/%s' already exists (use --force to replace it)", bundle,
			       CONFIG);
	return 0;
}

#define CONFIG_LOCK	    ".config.json.lock"
#define CONFIG_LOCK_WAIT_MS 10000

/* config.json locked while a command reads, changes and replaces it: two edits at once
 * (a script adding a mount and an env in parallel) each wrote back what it had read, and one
 * change was lost while both succeeded. The lock is a file beside it (oci_lockfile_take: a
 * 0600 file there only while held, so a user who can only read the bundle cannot hold it). */
static int lock_config(oci_lockfile *lk, int bundle_fd, const char *bundle, oci_error *err)
{
	if (oci_lockfile_take(lk, bundle_fd, CONFIG_LOCK, CONFIG_LOCK_WAIT_MS, bundle, err) < 0)
		return oci_err_prefix(err, "bundle");
	return 0;
}

static json_t *load_image_config(oci_bundle_opts *o, int bundle_fd, oci_error *err)
{
	json_t *j;
	if (o->image_config && !strcmp(o->image_config, "-"))
		j = oci_json_load_fd(STDIN_FILENO, OCI_JSON_MAX_SIZE, "image config (stdin)", err);
	else if (o->image_config)
		j = oci_json_load_named(o->image_config, OCI_JSON_MAX_SIZE, err);
	else {
		j = load_bundle_json(bundle_fd, o->bundle, BUNDLE_IMAGE_CONFIG, 0, NULL, err);
		if (!j)
			oci_err_prefix(err, "--from-image");
	}
	return j;
}

/* process.args from --entrypoint and --args / -- without an image: the Entrypoint given (if
 * any) followed by the arguments, as docker would run them on an image with no Entrypoint. */
static int set_args_no_image(json_t *spec, oci_bundle_opts *o, oci_error *err)
{
	oci_bundle_strv all = {0};
	int r = 0;
	for (size_t i = 0; r == 0 && i < o->entrypoint.n; i++)
		r = oci_bundle_strv_add(&all, o->entrypoint.v[i], err);
	for (size_t i = 0; r == 0 && i < o->edits.args.n; i++)
		r = oci_bundle_strv_add(&all, o->edits.args.v[i], err);
	if (r == 0 && !all.n)
		r = oci_err(err, OCI_E_INVALID, "the process needs at least one argument");
	if (r == 0 && oci_spec_set_args(spec, all.v, err) < 0)
		r = oci_err_prefix(err, "--args");
	oci_bundle_strv_release(&all);
	/* applied here: the edits leave the args alone */
	o->edits.args_set = false;
	return r;
}

int oci_bundle_cmd_spec(oci_bundle_opts *o, oci_error *err)
{
	struct stat st;
	cleanup_close int bundle_fd = open_bundle(o->bundle, err), rootfs_fd = -1;
	cleanup_lockfile oci_lockfile lock = OCI_LOCKFILE_INIT;
	if (bundle_fd < 0 || lock_config(&lock, bundle_fd, o->bundle, err) < 0)
		return -1;
	if (!o->force && fstatat(bundle_fd, CONFIG, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return oci_err(err, OCI_E_EXISTS,
			       "'%s/%s' already exists (use --force to replace it)", o->bundle,
			       CONFIG);
	cleanup_json json_t *spec = oci_spec_default(o->rootless, err);
	if (!spec)
		return -1;
	bool from_image = o->from_image || o->image_config;
	if (open_rootfs(spec, bundle_fd, o->bundle, &rootfs_fd, err) < 0)
		return -1;
	if (from_image) {
		cleanup_json json_t *img = load_image_config(o, bundle_fd, err);
		if (!img)
			return -1;
		oci_spec_image_opts io = {
		    .entrypoint = o->entrypoint_set ? o->entrypoint.v : NULL,
		    .args = o->edits.args_set ? o->edits.args.v : NULL,
		    .env = o->edits.env.v,
		    .user = o->edits.user,
		    .cwd = o->edits.cwd,
		};
		char *none[] = {NULL};
		if (o->entrypoint_set && !io.entrypoint)
			io.entrypoint = none;
		if (oci_spec_apply_image(spec, img, rootfs_fd, &io, err) < 0)
			return oci_err_prefix(err, "image config");
	} else if (o->entrypoint_set && set_args_no_image(spec, o, err) < 0) {
		return -1;
	}
	if (oci_bundle_edits_apply(spec, &o->edits, rootfs_fd, from_image, err) < 0)
		return -1;
	return write_config(bundle_fd, o->bundle, spec, 0644, o->force, err);
}

/* edit's --args / -- and --entrypoint: on a bundle from an image (BUNDLE/image-config.json,
 * as oci-unpack --bundle writes it) they replace its Cmd and Entrypoint as spec --from-image
 * does; on any other bundle they are the whole command line. */
static int edit_args(json_t *spec, int bundle_fd, oci_bundle_opts *o, oci_error *err)
{
	struct stat st;
	if (fstatat(bundle_fd, BUNDLE_IMAGE_CONFIG, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return oci_err_errno(err, errno, "cannot stat '%s/%s'", o->bundle,
					     BUNDLE_IMAGE_CONFIG);
		return set_args_no_image(spec, o, err);
	}
	cleanup_json json_t *img =
	    load_bundle_json(bundle_fd, o->bundle, BUNDLE_IMAGE_CONFIG, 0, NULL, err);
	if (!img)
		return -1;
	char *none[] = {NULL};
	oci_spec_image_opts io = {
	    .entrypoint = o->entrypoint_set ? (o->entrypoint.v ? o->entrypoint.v : none) : NULL,
	    .args = o->edits.args_set ? o->edits.args.v : NULL,
	};
	if (io.args && !io.args[0])
		io.args = none;
	if (oci_spec_apply_image_args(spec, img, &io, err) < 0)
		return oci_err_prefix(err, "'%s/%s'", o->bundle, BUNDLE_IMAGE_CONFIG);
	o->edits.args_set = false;
	return 0;
}

int oci_bundle_cmd_edit(oci_bundle_opts *o, oci_error *err)
{
	struct stat st;
	if (oci_bundle_edits_empty(&o->edits) && !o->entrypoint_set)
		return oci_err(err, OCI_E_INVALID, "edit: no change given (see --help)");
	cleanup_close int bundle_fd = open_bundle(o->bundle, err), rootfs_fd = -1;
	cleanup_lockfile oci_lockfile lock = OCI_LOCKFILE_INIT;
	if (bundle_fd < 0 || lock_config(&lock, bundle_fd, o->bundle, err) < 0)
		return -1;
	cleanup_json json_t *spec =
	    load_bundle_json(bundle_fd, o->bundle, CONFIG, O_NOFOLLOW, &st, err);
	if (!spec)
		return -1;
	if (!json_is_object(spec))
		return oci_err(err, OCI_E_INVALID, "'%s/%s': expected a JSON object", o->bundle,
			       CONFIG);
	if (o->edits.user && open_rootfs(spec, bundle_fd, o->bundle, &rootfs_fd, err) < 0)
		return -1;
	if ((o->edits.args_set || o->entrypoint_set) && edit_args(spec, bundle_fd, o, err) < 0)
		return -1;
	if (oci_bundle_edits_apply(spec, &o->edits, rootfs_fd, false, err) < 0)
		return -1;
	return write_config(bundle_fd, o->bundle, spec, st.st_mode & 07777, true, err);
}

int oci_bundle_cmd_validate(oci_bundle_opts *o, oci_error *err)
{
	const char *dir = o->n_operands ? o->operands[0] : o->bundle;
	if (o->n_operands > 1)
		return oci_err(err, OCI_E_INVALID, "validate: one bundle directory at most");
	if (o->n_operands && strcmp(o->bundle, "."))
		return oci_err(err, OCI_E_INVALID,
			       "validate: give the bundle as --bundle or as an operand, not both");
	cleanup_close int bundle_fd = open_bundle(dir, err);
	if (bundle_fd < 0)
		return -1;
	cleanup_json json_t *spec = load_bundle_json(bundle_fd, dir, CONFIG, 0, NULL, err);
	if (!spec)
		return -1;
	cleanup_json json_t *problems = json_array();
	if (!problems)
		return oci_err_errno(err, ENOMEM, "cannot allocate");
	int n = oci_spec_validate(spec, bundle_fd, problems, err);
	if (n < 0)
		return -1;
	size_t i;
	json_t *p;
	/* each quotes config.json's text: its control bytes escaped, one line each */
	json_array_foreach(problems, i, p)
	{
		cleanup_free char *line = oci_log_escape(json_string_value(p));
		if (!line)
			return oci_err_errno(err, ENOMEM, "cannot allocate");
		printf("%s\n", line);
	}
	if (n == 0)
		printf("%s is valid\n", CONFIG);
	if (oci_flush_stdout(err) < 0)
		return -1;
	if (n > 0)
		oci_err(err, OCI_E_INVALID, "'%s/%s': %d problem%s", dir, CONFIG, n,
			n == 1 ? "" : "s");
	return n;
}
