/* Fuzz the tar header guard (unpack/targuard.c), which reads hostile tar streams: the input
 * (after a first byte that picks a piece size) is fed to one guard whole and to another in
 * pieces, which must end the same way (the same refusal at the same byte, or none), and is
 * read by libarchive through a third guard as layer.c does (entry starts checked before each
 * header). No crash, no undefined behaviour, no leak. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "unpack/targuard.h"

typedef struct feeder {
	const uint8_t *p;
	size_t len, off, chunk;
	oci_unpack_targuard g;
	oci_error err;
} feeder;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	oci_log_set_level(-1);
	return 0;
}

/* Feed data in pieces of chunk bytes, then the end: 0, or -1 with err; *at: the byte reached. */
static int feed_all(const uint8_t *data, size_t size, size_t chunk, oci_error *err, uint64_t *at)
{
	oci_unpack_targuard g;
	int rc = 0;
	oci_unpack_targuard_init(&g);
	for (size_t off = 0; off < size && rc == 0; off += chunk)
		rc = oci_unpack_targuard_feed(&g, data + off,
					      size - off < chunk ? size - off : chunk, err);
	if (rc == 0)
		rc = oci_unpack_targuard_feed(&g, NULL, 0, err);
	*at = g.off;
	oci_unpack_targuard_release(&g);
	return rc;
}

static la_ssize_t read_cb(struct archive *a, void *ctx, const void **buf)
{
	feeder *f = ctx;
	size_t n = f->len - f->off < f->chunk ? f->len - f->off : f->chunk;
	*buf = f->p + f->off;
	f->off += n;
	if (oci_unpack_targuard_feed(&f->g, *buf, n, &f->err) < 0) {
		archive_set_error(a, EINVAL, "%s", f->err.msg);
		return -1;
	}
	return (la_ssize_t)n;
}

static void through_libarchive(const uint8_t *data, size_t size, size_t chunk)
{
	feeder f = {.p = data, .len = size, .chunk = chunk, .err = OCI_ERROR_INIT};
	oci_error err = OCI_ERROR_INIT;
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	if (!a)
		abort();
	oci_unpack_targuard_init(&f.g);
	archive_read_support_format_tar(a);
	if (archive_read_open(a, &f, NULL, read_cb, NULL) == ARCHIVE_OK) {
		for (int i = 0; i < 10000; i++) {
			if (oci_unpack_targuard_sync(&f.g, a, &err) < 0)
				break;
			int rc = archive_read_next_header(a, &e);
			if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
				break;
			char b[4096];
			la_ssize_t n;
			while ((n = archive_read_data(a, b, sizeof(b))) > 0)
				;
			if (n < 0)
				break;
		}
	}
	archive_read_free(a);
	oci_unpack_targuard_release(&f.g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = (size_t)data[0] * 64 + 1; /* 1 byte at a time: the unit tests */
	data++;
	size--;
	oci_error e1 = OCI_ERROR_INIT, e2 = OCI_ERROR_INIT;
	uint64_t at1, at2;
	int r1 = feed_all(data, size, size ? size : 1, &e1, &at1);
	int r2 = feed_all(data, size, chunk, &e2, &at2);
	if (r1 != r2 || (r1 < 0 && (strcmp(e1.msg, e2.msg) || at1 != at2)))
		abort(); /* the result depends on how the stream was cut */
	through_libarchive(data, size, chunk);
	return 0;
}
