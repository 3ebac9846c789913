/* The image as a tar stream: an oci-archive (oci-layout, index.json, blobs/ALG/HEX) or a
 * docker-save archive (manifest.json + files by name).
 *
 * In the streaming order oci-fetch writes (index.json, manifest, config, layers bottom to
 * top) each layer is applied straight from the stream, with no copy. Blobs that come early
 * (another tool's order) are spooled to the private staging directory and applied as soon
 * as they are due; blobs the chosen image does not use are skipped. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "unpack/targuard.h"
#include "unpack/unpack.h"

#define OUTER_BUF (1u << 20)

typedef struct outer {
	int fd;
	unsigned char *buf;
	oci_error err;
	bool failed;
	oci_unpack_targuard guard; /* what libarchive is handed: its headers bounded */
} outer;

static la_ssize_t outer_read(struct archive *a, void *ctx, const void **buf)
{
	outer *o = ctx;
	for (;;) {
		ssize_t n = read(o->fd, o->buf, OUTER_BUF);
		if (n < 0 && errno == EINTR && !oci_interrupted)
			continue;
		if (n < 0) {
			if (oci_check_interrupted(&o->err) == 0)
				oci_err_errno(&o->err, errno, "cannot read the image stream");
			o->failed = true;
			archive_set_error(a, EIO, "%s", o->err.msg);
			return -1;
		}
		*buf = o->buf;
		if (oci_unpack_targuard_feed(&o->guard, o->buf, (size_t)n, &o->err) < 0) {
			o->failed = true;
			archive_set_error(a, EINVAL, "%s", o->err.msg);
			return -1;
		}
		return n;
	}
}

/* The data of the current outer entry, as a layer source. */
static int entry_source(void *ctx, const void **buf, size_t *len, oci_error *err)
{
	struct archive *a = ctx;
	la_int64_t off;
	int rc = archive_read_data_block(a, buf, len, &off);
	if (rc == ARCHIVE_EOF)
		return 0;
	if (rc < ARCHIVE_WARN)
		return oci_err_archive(err, a, "cannot read the image stream");
	return 1;
}

static int read_entry(struct archive *a, struct archive_entry *e, const char *name, size_t max,
		      char **out, size_t *len, oci_error *err)
{
	la_int64_t size = archive_entry_size(e);
	if (size < 0 || (uint64_t)size > max)
		return oci_err(err, OCI_E_LIMIT,
			       "'%s': %lld bytes is over the size cap of %zu bytes", name,
			       (long long)size, max);
	char *buf = oci_malloc((size_t)size + 1, err);
	if (!buf)
		return -1;
	la_ssize_t n = archive_read_data(a, buf, (size_t)size);
	if (n != size) {
		free(buf);
		if (n < 0)
			return oci_err_archive(err, a, "'%s': cannot read", name);
		return oci_err(err, OCI_E_INVALID, "'%s': truncated", name);
	}
	buf[size] = '\0';
	*out = buf;
	*len = (size_t)size;
	return 0;
}

/* Copy the entry's data to spoolfd/name. */
static int spool_entry(struct archive *a, int spoolfd, const char *name, uint64_t *spooled,
		       uint64_t max, oci_error *err)
{
	cleanup_close int fd =
	    openat(spoolfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return oci_err_errno(err, errno, "cannot spool '%s'", name);
	for (;;) {
		const void *buf;
		size_t len;
		int rc = entry_source(a, &buf, &len, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
		*spooled += len;
		if (*spooled > max)
			return oci_err(
			    err, OCI_E_LIMIT,
			    "spooled data is over the limit of %llu bytes (see --max-bytes)",
			    (unsigned long long)max);
		if (oci_write_all(fd, buf, len, err) < 0)
			return oci_err_prefix(err, "cannot spool '%s'", name);
	}
	return 0;
}

static int blob_entry(oci_unpack_image *img, struct archive *a, struct archive_entry *e,
		      const char *name, int spoolfd, uint64_t *spooled, oci_error *err)
{
	char dstr[OCI_DIGEST_STR_MAX + 8], spname[OCI_DIGEST_STR_MAX + 8];
	const char *rest = name + strlen("blobs/");
	const char *slash = strchr(rest, '/');
	oci_digest d;
	if (!slash || (size_t)(slash - rest) > 16 || strlen(slash + 1) > OCI_DIGEST_MAX_HEX)
		return oci_err(err, OCI_E_INVALID, "invalid blob name '%s'", name);
	snprintf(dstr, sizeof(dstr), "%.*s:%s", (int)(slash - rest), rest, slash + 1);
	if (oci_digest_parse(dstr, &d, err) < 0)
		return oci_err_prefix(err, "invalid blob name '%s'", name);
	if (archive_entry_filetype(e) != AE_IFREG)
		return oci_err(err, OCI_E_INVALID, "blob '%s' is not a regular file", name);
	int role = oci_unpack_image_blob_role(img, &d);
	if (role == UNPACK_BLOB_LAYER_NOW && oci_unpack_image_layer_reused(img))
		role = UNPACK_BLOB_LATER; /* needed again later: keep a copy, apply from it */
	switch (role) {
	case UNPACK_BLOB_UNNEEDED:
		log_debug("skipping blob %s", dstr);
		return 0;
	case UNPACK_BLOB_DOC:
	case UNPACK_BLOB_CONFIG: {
		cleanup_free char *buf = NULL;
		size_t len;
		if (read_entry(a, e, name, OCI_JSON_MAX_SIZE, &buf, &len, err) < 0)
			return -1;
		if (oci_unpack_image_take_doc(img, &d, buf, len, err) < 0)
			return -1;
		return oci_unpack_image_advance(img, err);
	}
	case UNPACK_BLOB_LAYER_NOW: {
		oci_unpack_layer_desc ld;
		oci_unpack_image_layer_desc(img, &ld);
		if (oci_unpack_layer_apply(img->root, &ld, entry_source, a, err) < 0)
			return -1;
		img->next_layer++;
		return oci_unpack_image_advance(img, err);
	}
	default:
		snprintf(spname, sizeof(spname), "%s-%s", oci_digest_alg_name(d.alg), d.hex);
		log_debug("spooling blob %s", dstr);
		if (spool_entry(a, spoolfd, spname, spooled, img->root->opts->max_bytes, err) < 0)
			return -1;
		return oci_unpack_image_advance(img, err);
	}
}

static const char *clean_outer_name(const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[0] == '/')
		name++;
	return name;
}

int oci_unpack_stream(oci_unpack_root *r, int fd, int spoolfd, oci_unpack_input *in, oci_error *err)
{
	outer o = {.fd = fd};
	struct archive *a = NULL;
	struct archive_entry *e;
	oci_unpack_image img;
	oci_unpack_strmap names = {0};
	uint64_t spooled = 0, others = 0;
	bool saw_index = false;
	int ret = -1;

	oci_unpack_targuard_init(&o.guard);
	oci_unpack_image_init(&img, r);
	img.ref = in->ref;
	img.platform = in->platform;
	img.blobdirfd = spoolfd;
	r->stream_fd = fd; /* oci-unpack --cache's handshake with oci-fetch (unpack/cache.c) */
	o.buf = malloc(OUTER_BUF);
	a = archive_read_new();
	if (!o.buf || !a) {
		oci_err_errno(err, ENOMEM, "cannot allocate");
		goto out;
	}
	archive_read_support_format_tar(a);
	if (archive_read_open(a, &o, NULL, outer_read, NULL) != ARCHIVE_OK) {
		if (o.failed)
			*err = o.err;
		else
			oci_err_archive(err, a, "not an image archive");
		goto out;
	}
	for (;;) {
		if (oci_unpack_targuard_sync(&o.guard, a, err) < 0) {
			if (o.failed)
				*err = o.err;
			goto out;
		}
		int rc = archive_read_next_header(a, &e);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc < ARCHIVE_WARN || rc == ARCHIVE_RETRY) { /* RETRY: a damaged header */
			if (o.failed)
				*err = o.err;
			else
				oci_err_archive(err, a, "invalid image archive");
			goto out;
		}
		const char *raw = archive_entry_pathname(e);
		const char *name = clean_outer_name(raw ? raw : "");
		if (archive_entry_filetype(e) == AE_IFDIR || !*name)
			continue;
		if (!strcmp(name, "oci-layout")) {
			continue;
		} else if (!strcmp(name, "index.json")) {
			cleanup_free char *buf = NULL;
			size_t len;
			if (saw_index) {
				oci_err(err, OCI_E_INVALID, "two index.json in the archive");
				goto out;
			}
			saw_index = true;
			if (read_entry(a, e, name, OCI_JSON_MAX_SIZE, &buf, &len, err) < 0 ||
			    oci_unpack_image_set_index(&img, buf, len, err) < 0 ||
			    oci_unpack_image_advance(&img, err) < 0)
				goto out;
		} else if (oci_str_has_prefix(name, "blobs/")) {
			if (blob_entry(&img, a, e, name, spoolfd, &spooled, err) < 0)
				goto out;
		} else if (archive_entry_filetype(e) == AE_IFREG) {
			/* docker-save: manifest.json, the config and the layers, by name */
			char spname[32];
			uint32_t idx;
			if (oci_unpack_strmap_get(&names, name, &idx)) {
				oci_err(err, OCI_E_INVALID, "'%s' appears twice in the archive",
					name);
				goto out;
			}
			if (++others > r->opts->max_files) {
				oci_err(err, OCI_E_LIMIT, "too many files in the archive");
				goto out;
			}
			snprintf(spname, sizeof(spname), "n%llu", (unsigned long long)others);
			if (oci_unpack_strmap_put(&names, name, (uint32_t)others, err) < 0 ||
			    spool_entry(a, spoolfd, spname, &spooled, r->opts->max_bytes, err) < 0)
				goto out;
		}
		if (oci_check_interrupted(err) < 0)
			goto out;
	}
	/* Let the writer finish its padding rather than die of EPIPE (bounded). */
	for (int i = 0; i < 16; i++) {
		ssize_t n = read(fd, o.buf, OUTER_BUF);
		if (n <= 0)
			break;
	}
	if (saw_index) {
		if (oci_unpack_image_advance(&img, err) < 0 ||
		    oci_unpack_image_check_done(&img, err) < 0)
			goto out;
		in->config_blob = steal_pointer(&img.config_blob);
		in->config_len = img.config_len;
		ret = 0;
	} else if (oci_unpack_strmap_get(&names, "manifest.json", NULL)) {
		ret = oci_unpack_docker_save(r, spoolfd, &names, in, err);
	} else {
		oci_err(err, OCI_E_INVALID,
			"not an image archive: no index.json (oci-archive) or manifest.json "
			"(docker save)");
	}
out:
	if (a)
		archive_read_free(a);
	free(o.buf);
	oci_unpack_targuard_release(&o.guard);
	oci_unpack_strmap_clear(&names);
	oci_unpack_image_release(&img);
	return ret;
}
