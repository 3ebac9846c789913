/* oci-unpack: verify an image and apply its layers into a root filesystem, safely.
 *
 *   oci-fetch IMAGE | oci-unpack rootfs
 *   oci-unpack --layout DIR[:tag|@digest] rootfs
 *   oci-unpack -i image.tar rootfs          (oci-archive or docker save)
 *   oci-unpack --layer layer.tar.gz rootfs  (one layer onto an existing rootfs)
 *
 * Options and dispatch only; the work is in the modules of this folder. Also what a person
 * at a terminal sees: one progress line while layers are applied and a summary at the end
 * (neither with -q, nor when stderr is not a terminal). */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/spec.h"
#include "common/util.h"
#include "unpack/unpack.h"

enum {
	OPT_LAYOUT = 256,
	OPT_LAYER,
	OPT_REF,
	OPT_PLATFORM,
	OPT_IMAGE_CONFIG,
	OPT_BUNDLE,
	OPT_CACHE,
	OPT_CACHE_MAX,
	OPT_MAX_BYTES,
	OPT_MAX_FILES,
	OPT_MAX_PADDING,
	OPT_ZSTD_WLOG,
	OPT_ROOTLESS,
	OPT_UID_MAP,
	OPT_GID_MAP,
	OPT_ZLIB,
	OPT_NO_THREADS,
	OPT_DEBUG,
	OPT_VERSION,
};

static const oci_cli_option options[] = {
    {"bundle", 0, OCI_ARG_REQUIRED, "DIR",
     "unpack into DIR/rootfs, write DIR/image-config.json and DIR/config.json", OPT_BUNDLE},
    {"cache", 0, OCI_ARG_OPTIONAL, "DIR",
     "clone the image's tree from the rootfs cache in DIR/rootfs (default: oci-fetch's cache "
     "dir), and keep it there after a full unpack",
     OPT_CACHE},
    {"cache-max", 0, OCI_ARG_REQUIRED, "SIZE",
     "evict least recently used cached trees beyond SIZE (default 10G)", OPT_CACHE_MAX},
    {"debug", 0, OCI_ARG_NONE, NULL, "print debug messages", OPT_DEBUG},
    {"gid-map", 0, OCI_ARG_REQUIRED, "IN:OUT:N", "map image gids IN.. to OUT.. (repeatable)",
     OPT_GID_MAP},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", 'h'},
    {"image-config", 0, OCI_ARG_REQUIRED, "FILE", "write the verified image config JSON to FILE",
     OPT_IMAGE_CONFIG},
    {"input", 'i', OCI_ARG_REQUIRED, "FILE", "read the image archive from FILE instead of stdin",
     'i'},
    {"layer", 0, OCI_ARG_REQUIRED, "FILE",
     "apply one layer tar (plain, gzip or zstd) onto the existing DEST", OPT_LAYER},
    {"layout", 0, OCI_ARG_REQUIRED, "DIR[:TAG|@DIGEST]",
     "read the image from an OCI layout directory", OPT_LAYOUT},
    {"max-bytes", 0, OCI_ARG_REQUIRED, "SIZE",
     "refuse more uncompressed data than SIZE (default 64G)", OPT_MAX_BYTES},
    {"max-files", 0, OCI_ARG_REQUIRED, "N", "refuse more than N entries (default 4194304)",
     OPT_MAX_FILES},
    {"max-padding", 0, OCI_ARG_REQUIRED, "SIZE",
     "refuse more than SIZE bytes after a layer's tar end (default 4M)", OPT_MAX_PADDING},
    {"no-threads", 0, OCI_ARG_NONE, NULL, "inflate on the main thread (no decoder thread)",
     OPT_NO_THREADS},
    {"platform", 0, OCI_ARG_REQUIRED, "OS/ARCH[/VAR]",
     "image to pick from a multi-platform index (default: host)", OPT_PLATFORM},
    {"quiet", 'q', OCI_ARG_NONE, NULL,
     "no progress line or summary (shown only when stderr is a terminal)", 'q'},
    {"ref", 0, OCI_ARG_REQUIRED, "TAG|@DIGEST", "image to pick in index.json or manifest.json",
     OPT_REF},
    {"rootless", 0, OCI_ARG_NONE, NULL, "unprivileged unpack (the default when not root)",
     OPT_ROOTLESS},
    {"uid-map", 0, OCI_ARG_REQUIRED, "IN:OUT:N", "map image uids IN.. to OUT.. (repeatable)",
     OPT_UID_MAP},
    {"version", 'v', OCI_ARG_NONE, NULL, "print the version", OPT_VERSION},
    {"zlib", 0, OCI_ARG_NONE, NULL, "inflate gzip with zlib even when ISA-L is available",
     OPT_ZLIB},
    {"zstd-window-log-max", 0, OCI_ARG_REQUIRED, "N",
     "largest zstd window accepted, as log2 (default 27)", OPT_ZSTD_WLOG},
};

#define USAGE "oci-unpack [OPTIONS] DEST"
#define DESCRIPTION                                                                                \
	"Verify an image (an oci-archive on stdin or -i, an OCI layout, or a docker save "         \
	"archive)\n"                                                                               \
	"and apply its layers into DEST, a new or empty directory, published only when "           \
	"complete.\n"                                                                              \
	"Like tar and umoci, it does not fsync what it writes: run sync(1) when the tree must\n"   \
	"survive a power loss."

/* What --help and the man page say besides the options (common/cli.h). */
static const oci_cli_tool tool = {
    .name = "oci-unpack",
    .summary = "verify an image and apply its layers into a root filesystem",
    .examples = "# registry to bundle: rootfs, image-config.json and config.json\n"
		"oci-fetch busybox | oci-unpack --bundle mycontainer\n"
		"# a docker save archive, or one image of an OCI layout\n"
		"oci-unpack -i busybox.tar rootfs\n"
		"oci-unpack --layout layout:arm64 rootfs",
};

typedef struct cmd {
	const char *input, *layout, *layer, *image_config, *bundle;
	bool quiet;
	oci_unpack_input in;
	oci_unpack_opts opts;
} cmd;

/* The JSON files an image run writes beside its rootfs (--image-config FILE, --bundle's
 * image-config.json and config.json) are written under temporary names first and put in
 * place with the rootfs (common/util.h's staged files): any failure up to the publish leaves
 * the user's files of those names as they were. Not synced, as the tree beside them is not. */
static int stage_bundle_file(oci_staged_file *f, int dfd, const char *dir, const char *name,
			     const char *data, size_t len, oci_error *err)
{
	if (oci_staged_file_write(f, dfd, name, data, len, 0644, err) < 0)
		return oci_err_prefix(err, "bundle '%s'", dir);
	return 0;
}

/* --image-config PATH: *dfd receives PATH's directory, f the file staged in it. */
static int stage_image_config(cmd *c, int *dfd, oci_staged_file *f, oci_error *err)
{
	const char *path = c->image_config;
	cleanup_free char *dir = oci_strdup(path, err);
	if (!dir)
		return -1;
	char *slash = strrchr(dir, '/');
	const char *name = slash ? path + (slash - dir) + 1 : path;
	if (slash)
		slash[slash == dir ? 1 : 0] = '\0';
	*dfd = oci_open_dir_named(slash ? dir : ".", O_RDONLY, err);
	if (*dfd == -2) {
		*dfd = -1;
		return oci_err_prefix(err, "--image-config");
	}
	if (*dfd < 0)
		return oci_err_errno(err, errno, "cannot open directory of '%s'", path);
	return oci_staged_file_write(f, *dfd, name, c->in.config_blob, c->in.config_len, 0644, err);
}

/* --bundle: DIR/config.json from runc's defaults and the image config (common/spec.c); dfd is
 * DIR. */
static int stage_bundle_config(cmd *c, int dfd, int rootfd, oci_staged_file *f, oci_error *err)
{
	cleanup_json json_t *img =
	    oci_json_loadb(c->in.config_blob, c->in.config_len, OCI_JSON_MAX_SIZE,
			   OCI_JSON_MAX_DEPTH, "image config", err);
	if (!img)
		return -1;
	cleanup_json json_t *spec = oci_spec_default(c->opts.rootless, err);
	if (!spec)
		return oci_err_prefix(err, "bundle config");
	oci_spec_image_opts o = {0};
	if (oci_spec_apply_image(spec, img, rootfd, &o, err) < 0)
		return oci_err_prefix(err, "bundle config");
	cleanup_free char *text = oci_json_dump_pretty(spec, err);
	if (!text)
		return -1;
	return stage_bundle_file(f, dfd, c->bundle, "config.json", text, strlen(text), err);
}

static double mono_secs(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The progress line: a thread draws "applying: N layers, SIZE, N files" at once, then redraws
 * it in place a few times a second from the root's counters (read without a lock: a glance, not a
 * total). */
typedef struct progress {
	const oci_unpack_root *r;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool on, stop;
} progress;

static void progress_draw(const oci_unpack_root *r)
{
	char line[160], sz[32];
	uint64_t layers = __atomic_load_n(&r->layers, __ATOMIC_RELAXED);
	uint64_t files = __atomic_load_n(&r->files, __ATOMIC_RELAXED);
	oci_format_size(__atomic_load_n(&r->bytes, __ATOMIC_RELAXED), sz, sizeof(sz));
	int n = snprintf(line, sizeof(line), "\r\033[Kapplying: %llu layer%s done, %s, %llu files",
			 (unsigned long long)layers, layers == 1 ? "" : "s", sz,
			 (unsigned long long)files);
	oci_error ignore = OCI_ERROR_INIT;
	oci_write_all(STDERR_FILENO, line, (size_t)n, &ignore);
}

static void *progress_thread(void *arg)
{
	progress *p = arg;
	pthread_mutex_lock(&p->mu);
	/* drawn at once, so even an unpack shorter than one period shows the line */
	progress_draw(p->r);
	while (!p->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
		if (!p->stop)
			progress_draw(p->r);
	}
	pthread_mutex_unlock(&p->mu);
	oci_error ignore = OCI_ERROR_INIT;
	oci_write_all(STDERR_FILENO, "\r\033[K", 4, &ignore); /* the summary takes its place */
	return NULL;
}

static void progress_start(progress *p, const oci_unpack_root *r, bool show)
{
	memset(p, 0, sizeof(*p));
	p->r = r;
	if (!show)
		return;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	/* signals are for the main thread (it polls oci_interrupted) */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	p->on = pthread_create(&p->th, NULL, progress_thread, p) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void progress_stop(progress *p)
{
	if (!p->on)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	p->on = false;
}

/* The one line at the end: what was unpacked where, and how long it took. The image is named
 * by its config digest (its image ID) when there is one. */
static void summary(cmd *c, const oci_unpack_root *r, const char *dest, double t0)
{
	char sz[32], id[OCI_DIGEST_STR_MAX + 16] = "";
	oci_format_size(r->bytes, sz, sizeof(sz));
	oci_digest d;
	oci_error ignore = OCI_ERROR_INIT;
	if (c->in.config_blob && oci_digest_buffer(OCI_DIGEST_SHA256, c->in.config_blob,
						   c->in.config_len, &d, &ignore) == 0) {
		char ds[OCI_DIGEST_STR_MAX + 16];
		snprintf(id, sizeof(id), "image %s: ", oci_digest_short(&d, ds, sizeof(ds)));
	}
	fprintf(stderr, "oci-unpack: %s%llu layer%s, %s, %llu files into '%s' in %.1fs\n", id,
		(unsigned long long)r->layers, r->layers == 1 ? "" : "s", sz,
		(unsigned long long)r->files, c->bundle ? c->bundle : dest, mono_secs() - t0);
}

/* Before anything is staged: an input pipe that ends without a byte means the command writing
 * it failed (and said why) or wrote nothing; libarchive would call that an unrecognized
 * archive format. */
static int wait_for_input(int fd, const char *what, oci_error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return oci_err_errno(err, errno, "%s", what);
	if (S_ISREG(st.st_mode) && st.st_size == 0)
		return oci_err(err, OCI_E_INVALID, "%s is empty: no image in it", what);
	if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode))
		return 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	for (;;) {
		int r = poll(&p, 1, -1);
		if (r > 0)
			break;
		if (r < 0 && errno != EINTR)
			return oci_err_errno(err, errno, "waiting for %s", what);
		if (oci_check_interrupted(err) < 0)
			return -1;
	}
	int avail = 0;
	if ((p.revents & (POLLHUP | POLLERR)) && ioctl(fd, FIONREAD, &avail) == 0 && avail == 0)
		return oci_err(
		    err, OCI_E_INVALID,
		    "%s ended before an image arrived (did the command writing it fail?)", what);
	return 0;
}

static int do_layer(cmd *c, const char *dest, oci_error *err)
{
	oci_unpack_root r;
	cleanup_close int rootfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int fd = -1;
	if (rootfd < 0)
		return oci_err_errno(err, errno, "cannot open the root filesystem '%s'", dest);
	/* named by the caller, maybe in another user's directory: not through their symlink,
	 * FIFO or hard link (oci_open_named) */
	fd = oci_open_named(c->layer, O_RDONLY, 0, err);
	if (fd < 0)
		return -1;
	oci_unpack_root_init(&r, rootfd, &c->opts, err);
	oci_unpack_layer_desc ld = {
	    .index = 0, .count = 1, .compression = -1, .size = -1, .name = c->layer};
	int ret = oci_unpack_layer_apply_fd(&r, &ld, fd, err);
	if (ret == 0)
		ret = oci_unpack_root_finish(&r, err);
	bool touched = r.touched;
	oci_unpack_root_release(&r);
	if (ret < 0 && touched)
		oci_err_prefix(err, "'%s' is partially modified and must be discarded", dest);
	else if (ret < 0)
		oci_err_prefix(err, "'%s' is unchanged", dest);
	return ret;
}

static int do_image(cmd *c, const char *dest, oci_error *err)
{
	oci_unpack_stage st;
	oci_unpack_root r;
	int ret = -1;
	cleanup_close int infd = -1;
	cleanup_free char *bundle_rootfs = NULL;
	bool made_bundle = false;

	if (c->bundle) {
		bundle_rootfs = oci_asprintf(err, "%s/rootfs", c->bundle);
		if (!bundle_rootfs)
			return -1;
		dest = bundle_rootfs;
	}
	if (!c->layout) {
		if (c->input) {
			infd = oci_open_named(c->input, O_RDONLY, 0, err);
			if (infd < 0)
				return -1;
		} else {
			if (isatty(0))
				return oci_err(err, OCI_E_INVALID,
					       "no image: stdin is a terminal (pipe an "
					       "oci-archive, or use -i FILE or --layout DIR)");
			infd = fcntl(0, F_DUPFD_CLOEXEC, 3);
			/* A bigger pipe: fewer wake-ups between oci-fetch and us (best effort). */
			if (infd >= 0)
				(void)fcntl(infd, F_SETPIPE_SZ, 1 << 20);
		}
	}
	oci_interrupt_install();
	const char *what = c->input ? c->input : "the input";
	if (infd >= 0 && wait_for_input(infd, what, err) < 0)
		return -1;
	/* made once there is an image to fill it, and removed again on any failure below */
	if (c->bundle) {
		if (mkdir(c->bundle, 0755) == 0)
			made_bundle = true;
		else if (errno != EEXIST)
			return oci_err_errno(err, errno, "cannot create bundle '%s'", c->bundle);
	}
	double t0 = mono_secs();
	/* The bundle's files go where its rootfs goes: in the directory the staging opened
	 * (DIR of DIR/rootfs), not at DIR's path again, which another name may hold by then. */
	cleanup_close int bundlefd = -1;
	if (oci_unpack_stage_begin(&st, dest, err) < 0 ||
	    (c->bundle && (bundlefd = fcntl(st.parentfd, F_DUPFD_CLOEXEC, 3)) < 0)) {
		if (c->bundle && st.parentfd >= 0 && bundlefd < 0)
			oci_err_errno(err, errno, "bundle '%s'", c->bundle);
		oci_unpack_stage_abort(&st);
		if (made_bundle)
			rmdir(c->bundle);
		return -1;
	}
	oci_unpack_root_init(&r, st.rootfd, &c->opts, err);
	if (c->opts.cache && oci_unpack_cache_attach(&r, err) < 0) {
		oci_unpack_cache_detach(&r);
		oci_unpack_root_release(&r);
		oci_unpack_stage_abort(&st);
		if (made_bundle)
			rmdir(c->bundle);
		return -1;
	}
	progress pg;
	progress_start(&pg, &r,
		       !c->quiet && isatty(STDERR_FILENO) && oci_log_get_level() < OCI_LOG_DEBUG);
	if (c->layout) {
		ret = oci_unpack_layout(&r, c->layout, &c->in, err);
	} else {
		ret = oci_unpack_stream(&r, infd, st.spoolfd, &c->in, err);
		struct stat in_st;
		if (ret < 0 && strstr(err->msg, "Truncated") && fstat(infd, &in_st) == 0 &&
		    S_ISFIFO(in_st.st_mode))
			oci_err_prefix(err,
				       "%s ended before the whole image arrived (did the command "
				       "writing it fail?)",
				       what);
	}
	if (ret == 0)
		ret = oci_unpack_root_finish(&r, err);
	if (ret == 0)
		oci_unpack_cache_end(&r);
	progress_stop(&pg);
	/* [0] --image-config's, [1] and [2] the bundle's image-config.json and config.json */
	oci_staged_file files[3] = {OCI_STAGED_FILE_INIT, OCI_STAGED_FILE_INIT,
				    OCI_STAGED_FILE_INIT};
	cleanup_close int icdir = -1;
	if (ret == 0 && c->image_config)
		ret = stage_image_config(c, &icdir, &files[0], err);
	if (ret == 0 && c->bundle) {
		ret = stage_bundle_file(&files[1], bundlefd, c->bundle, "image-config.json",
					c->in.config_blob, c->in.config_len, err);
		if (ret == 0)
			ret = stage_bundle_config(c, bundlefd, st.rootfd, &files[2], err);
	}
	for (size_t i = 0; ret == 0 && i < ARRAY_SIZE(files); i++)
		if ((ret = oci_staged_file_swap(&files[i], err)) < 0 && i > 0)
			oci_err_prefix(err, "bundle '%s'", c->bundle);
	if (ret == 0)
		ret = oci_unpack_stage_publish(&st, err);
	for (size_t i = 0; ret == 0 && i < ARRAY_SIZE(files); i++)
		if ((ret = oci_staged_file_keep(&files[i], err)) < 0 && i > 0)
			oci_err_prefix(err, "bundle '%s'", c->bundle);
	/* what is not kept goes back, in reverse: a file named twice (--image-config
	 * B/image-config.json) comes back as it was (a no-op for a file kept) */
	for (size_t i = ARRAY_SIZE(files); i > 0; i--)
		oci_staged_file_undo(&files[i - 1]);
	if (ret == 0 && !c->quiet && isatty(STDERR_FILENO))
		summary(c, &r, dest, t0);
	oci_unpack_cache_detach(&r);
	oci_unpack_root_release(&r);
	oci_unpack_stage_abort(&st);
	if (ret < 0 && made_bundle) {
		/* a bundle directory this run made goes too when it holds nothing (no rootfs) */
		struct stat sb;
		if (fstatat(bundlefd, "rootfs", &sb, AT_SYMLINK_NOFOLLOW) < 0)
			rmdir(c->bundle);
	}
	return ret;
}

static int parse_args(cmd *c, int argc, char **argv, const char **dest, oci_error *err)
{
	oci_cli cli;
	int id;
	uint64_t v;
	oci_cli_init(&cli, options, ARRAY_SIZE(options), argc, argv, 1, false);
	while ((id = oci_cli_next(&cli, err)) > 0) {
		const char *a = cli.optarg;
		switch (id) {
		case 'h':
			oci_cli_help(stdout, USAGE, DESCRIPTION, options, ARRAY_SIZE(options));
			exit(oci_flush_stdout(err) < 0 ? 1 : 0);
		case OPT_VERSION:
			exit(oci_cli_print_version("oci-unpack", err) < 0 ? 1 : 0);
		case 'i':
			c->input = a;
			break;
		case 'q':
			c->quiet = true;
			break;
		case OPT_CACHE:
			c->opts.cache = true;
			c->opts.cache_dir = a;
			break;
		case OPT_CACHE_MAX:
			if (oci_parse_size(a, &c->opts.cache_max) < 0 || !c->opts.cache_max)
				return oci_err(err, OCI_E_INVALID, "--cache-max: invalid size '%s'",
					       a);
			break;
		case OPT_DEBUG:
			oci_log_set_level(OCI_LOG_DEBUG);
			break;
		case OPT_LAYOUT:
			c->layout = a;
			break;
		case OPT_LAYER:
			c->layer = a;
			break;
		case OPT_REF:
			c->in.ref = a;
			break;
		case OPT_PLATFORM:
			if (oci_platform_parse(a, &c->in.platform, err) < 0)
				return oci_err_prefix(err, "--platform");
			break;
		case OPT_IMAGE_CONFIG:
			c->image_config = a;
			break;
		case OPT_BUNDLE:
			c->bundle = a;
			break;
		case OPT_MAX_BYTES:
			if (oci_parse_size(a, &c->opts.max_bytes) < 0)
				return oci_err(err, OCI_E_INVALID, "--max-bytes: invalid size '%s'",
					       a);
			break;
		case OPT_MAX_PADDING:
			if (oci_parse_size(a, &c->opts.max_padding) < 0)
				return oci_err(err, OCI_E_INVALID,
					       "--max-padding: invalid size '%s'", a);
			break;
		case OPT_MAX_FILES:
			if (oci_parse_u64(a, UINT64_MAX, &c->opts.max_files) < 0)
				return oci_err(err, OCI_E_INVALID,
					       "--max-files: invalid number '%s'", a);
			break;
		case OPT_ZSTD_WLOG:
			if (oci_parse_u64(a, 31, &v) < 0 || v < 10)
				return oci_err(err, OCI_E_INVALID,
					       "--zstd-window-log-max: expected 10..31, got '%s'",
					       a);
			c->opts.zstd_window_log = (int)v;
			break;
		case OPT_ROOTLESS:
			c->opts.rootless = true;
			break;
		case OPT_UID_MAP:
			if (oci_unpack_parse_idmap(a, c->opts.uid_maps, &c->opts.n_uid_maps, err) <
			    0)
				return oci_err_prefix(err, "--uid-map");
			break;
		case OPT_GID_MAP:
			if (oci_unpack_parse_idmap(a, c->opts.gid_maps, &c->opts.n_gid_maps, err) <
			    0)
				return oci_err_prefix(err, "--gid-map");
			break;
		case OPT_ZLIB:
			c->opts.use_zlib = true;
			break;
		case OPT_NO_THREADS:
			c->opts.no_threads = true;
			break;
		}
	}
	if (id < 0)
		return -1;
	int nops = argc - cli.index;
	if (c->bundle) {
		if (nops != 0)
			return oci_err(err, OCI_E_INVALID,
				       "--bundle DIR takes no DEST operand (see --help)");
	} else if (nops != 1) {
		return oci_err(err, OCI_E_INVALID, "expected one DEST operand (see --help)");
	}
	*dest = nops ? argv[cli.index] : NULL;
	if ((c->layout != NULL) + (c->input != NULL) + (c->layer != NULL) > 1)
		return oci_err(err, OCI_E_INVALID, "--layout, --input and --layer are exclusive");
	if (c->layer && c->opts.cache)
		return oci_err(err, OCI_E_INVALID,
			       "--cache keeps whole images' trees: it does not apply to --layer");
	if (c->opts.cache_max && !c->opts.cache)
		return oci_err(err, OCI_E_INVALID, "--cache-max needs --cache");
	if (c->layer && (c->bundle || c->image_config))
		return oci_err(
		    err, OCI_E_INVALID,
		    "--layer applies one layer: --bundle and --image-config need an image");
	return 0;
}

int main(int argc, char **argv)
{
	oci_error err = OCI_ERROR_INIT;
	cmd c = {0};
	const char *dest = NULL;
	oci_log_init("oci-unpack");
	oci_cli_set_tool(&tool);
	umask(0);
	/* The big buffers (small files' data on its way to the file writers, up to 8 MiB each
	 * and 32 MiB in all; each layer's rings) come from the heap and stay there: mmap'ed,
	 * each would be faulted in page by page again, thousands of faults per layer. */
	mallopt(M_MMAP_THRESHOLD, 16 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	c.opts.max_bytes = UNPACK_DEFAULT_MAX_BYTES;
	c.opts.max_files = UNPACK_DEFAULT_MAX_FILES;
	c.opts.max_padding = UNPACK_DEFAULT_MAX_PADDING;
	c.opts.zstd_window_log = UNPACK_DEFAULT_ZSTD_WLOG;
	c.opts.rootless = geteuid() != 0;
	oci_platform_host(&c.in.platform);
	int ret = parse_args(&c, argc, argv, &dest, &err);
	if (ret == 0)
		ret = c.layer ? do_layer(&c, dest, &err) : do_image(&c, dest, &err);
	free(c.in.config_blob);
	if (ret < 0) {
		oci_log_error_final(&err);
		return oci_interrupted ? 128 + oci_interrupted : 1;
	}
	return 0;
}
