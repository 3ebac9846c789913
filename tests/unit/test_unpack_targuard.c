/* Unit tests for unpack/targuard.c, the tar header guard: tars built here block by block are
 * read by libarchive through the guard (as layer.c and stream.c do), handed over whole, one
 * byte at a time and in 511-byte pieces, so that headers and pax records fall across
 * buffers. The guard must agree with libarchive on where every entry starts (ustar and GNU
 * base-256 sizes, entry types without data, the pax size record, GNU long names and sparse
 * extension blocks, a damaged block) and refuse oversized pax headers, ACL records and ACL
 * entry counts with one line naming the entry and the limit. Linked with oci-unpack's
 * objects. */
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unpack/targuard.h"

typedef struct tarbuf {
	unsigned char *p;
	size_t len, cap;
} tarbuf;

static unsigned char *grow(tarbuf *t, size_t n)
{
	if (t->len + n > t->cap) {
		t->cap = (t->len + n) * 2;
		t->p = realloc(t->p, t->cap);
		ck_assert_ptr_nonnull(t->p);
	}
	memset(t->p + t->len, 0, n);
	t->len += n;
	return t->p + t->len - n;
}

static void checksum(unsigned char *b)
{
	unsigned sum = 0;
	memset(b + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += b[i];
	snprintf((char *)b + 148, 8, "%06o", sum);
	b[155] = ' ';
}

/* One header block; gnu: GNU magic (else ustar); size in base-256 when it is >= 8 GiB. */
static unsigned char *header(tarbuf *t, const char *name, char type, uint64_t size, bool gnu)
{
	unsigned char *b = grow(t, 512);
	snprintf((char *)b, 100, "%s", name);
	memcpy(b + 100, "0000644", 8);
	memcpy(b + 108, "0000000", 8);
	memcpy(b + 116, "0000000", 8);
	memcpy(b + 136, "00000000000", 12);
	if (size >= (1ull << 33)) {
		b[124] = 0x80;
		for (int i = 0; i < 8; i++)
			b[135 - i] = (unsigned char)(size >> (8 * i));
	} else {
		snprintf((char *)b + 124, 12, "%011llo", (unsigned long long)size);
	}
	b[156] = (unsigned char)type;
	memcpy(b + 257,
	       gnu ? "ustar  "
		   : "ustar\0"
		     "00",
	       8);
	checksum(b);
	return b;
}

static void data(tarbuf *t, const void *d, size_t n)
{
	memcpy(grow(t, n), d, n);
	grow(t, (512 - n % 512) % 512);
}

/* One pax record "LEN KEY=VALUE\n" appended to s (NUL-terminated, malloc'ed). */
static char *rec(char *s, const char *key, const char *val)
{
	size_t body = 1 + strlen(key) + 1 + strlen(val) + 1, n = body + 1;
	while (snprintf(NULL, 0, "%zu", n) + body != n)
		n++;
	size_t old = s ? strlen(s) : 0;
	s = realloc(s, old + n + 1);
	sprintf(s + old, "%zu %s=%s\n", n, key, val);
	return s;
}

static void pax(tarbuf *t, const char *records)
{
	header(t, "PaxHeaders/x", 'x', strlen(records), false);
	data(t, records, strlen(records));
}

static void end(tarbuf *t)
{
	grow(t, 1024);
}

/* count ACL entries "u:N:r" joined by commas */
static char *acl(unsigned n)
{
	char *s = calloc(n, 16);
	size_t off = 0;
	for (unsigned i = 0; i < n; i++)
		off += (size_t)sprintf(s + off, "%su:%u:r", i ? "," : "", 1000 + i);
	return s;
}

typedef struct feeder {
	const unsigned char *p;
	size_t len, off, chunk;
	oci_unpack_targuard g;
	oci_error err;
	bool failed;
} feeder;

static la_ssize_t feed_cb(struct archive *a, void *ctx, const void **buf)
{
	feeder *f = ctx;
	size_t n = f->len - f->off < f->chunk ? f->len - f->off : f->chunk;
	*buf = f->p + f->off;
	f->off += n;
	if (oci_unpack_targuard_feed(&f->g, *buf, n, &f->err) < 0) {
		f->failed = true;
		archive_set_error(a, EINVAL, "%s", f->err.msg);
		return -1;
	}
	return (la_ssize_t)n;
}

/* Read t through the guard with libarchive in pieces of chunk bytes: the number of entries,
 * or -1 with the error in err. Each entry's data is read when data_too. */
static int read_chunked(const tarbuf *t, size_t chunk, bool data_too, oci_error *err)
{
	feeder f = {.p = t->p, .len = t->len, .chunk = chunk, .err = OCI_ERROR_INIT};
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int n = 0, ret = -1;
	oci_unpack_targuard_init(&f.g);
	archive_read_support_format_tar(a);
	if (archive_read_open(a, &f, NULL, feed_cb, NULL) != ARCHIVE_OK) {
		oci_err(err, OCI_E_INVALID, "open: %s", archive_error_string(a));
		goto out;
	}
	bool retry = false;
	for (;;) {
		/* after a damaged block libarchive has no entry to skip: only check */
		if ((retry ? oci_unpack_targuard_expect(&f.g, (uint64_t)archive_filter_bytes(a, 0),
							err)
			   : oci_unpack_targuard_sync(&f.g, a, err)) < 0) {
			if (f.failed)
				*err = f.err;
			goto out;
		}
		int rc = archive_read_next_header(a, &e);
		if (rc == ARCHIVE_EOF)
			break;
		retry = rc == ARCHIVE_RETRY;
		if (retry)
			continue;
		if (rc < ARCHIVE_WARN) {
			if (f.failed)
				*err = f.err;
			else
				oci_err(err, OCI_E_INVALID, "libarchive: %s",
					archive_error_string(a));
			goto out;
		}
		n++;
		if (data_too) {
			char b[4096];
			while (archive_read_data(a, b, sizeof(b)) > 0)
				;
		}
	}
	ret = n;
out:
	archive_read_free(a);
	oci_unpack_targuard_release(&f.g);
	return ret;
}

/* All the ways of handing t over give the same result: n entries, or a refusal containing
 * msg. */
/* The guard alone, fed t in pieces of chunk bytes: the byte its refusal came at, or 0. */
static uint64_t refused_at(const tarbuf *t, size_t chunk)
{
	oci_unpack_targuard g;
	oci_error err = OCI_ERROR_INIT;
	int rc = 0;
	oci_unpack_targuard_init(&g);
	for (size_t off = 0; off < t->len && rc == 0; off += chunk)
		rc = oci_unpack_targuard_feed(&g, t->p + off,
					      t->len - off < chunk ? t->len - off : chunk, &err);
	if (rc == 0)
		rc = oci_unpack_targuard_feed(&g, NULL, 0, &err);
	uint64_t at = rc < 0 ? g.off : 0;
	oci_unpack_targuard_release(&g);
	return at;
}

static void check_read(const tarbuf *t, int n, const char *msg)
{
	static const size_t chunks[] = {1u << 20, 1, 511, 512, 1536};
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		/* a refusal comes at the same byte however the stream is cut */
		ck_assert_msg(refused_at(t, chunks[i]) == refused_at(t, chunks[0]),
			      "chunk %zu: refused at byte %llu, whole at %llu", chunks[i],
			      (unsigned long long)refused_at(t, chunks[i]),
			      (unsigned long long)refused_at(t, chunks[0]));
		ck_assert_msg(!msg || refused_at(t, chunks[i]) > 0,
			      "chunk %zu: the guard alone did not refuse", chunks[i]);
		for (int d = 0; d < 2; d++) {
			oci_error err = OCI_ERROR_INIT;
			int rc = read_chunked(t, chunks[i], d, &err);
			if (msg) {
				ck_assert_msg(rc < 0, "chunk %zu: read %d entries, expected '%s'",
					      chunks[i], rc, msg);
				ck_assert_msg(strstr(err.msg, msg),
					      "chunk %zu: '%s', expected '%s'", chunks[i], err.msg,
					      msg);
			} else {
				ck_assert_msg(rc == n, "chunk %zu: %d entries, expected %d: %s",
					      chunks[i], rc, n, err.msg);
			}
		}
	}
}

START_TEST(plain_entries_agree)
{
	tarbuf t = {0};
	header(&t, "d/", '5', 0, false);
	header(&t, "d/f", '0', 700, false);
	data(&t, memset(malloc(700), 'a', 700), 700);
	header(&t, "d/l", '2', 0, false);
	header(&t, "d/h", '1', 0, false);
	header(&t, "gnu", '0', 3, true);
	data(&t, "abc", 3);
	header(&t, "empty", '0', 0, false);
	end(&t);
	check_read(&t, 6, NULL);
	free(t.p);
}
END_TEST

START_TEST(size_fields_that_libarchive_ignores_or_overrides)
{
	tarbuf t = {0};
	/* a symlink, a directory and a fifo with sizes: libarchive reads no data for them, so
	 * the blocks after them are headers (a guard that skipped them would miss the 'x') */
	header(&t, "l", '2', 1024, false);
	header(&t, "dir/", '5', 512, false);
	header(&t, "fifo", '6', 512, false);
	/* GNU and old tars: a hard link's size is ignored */
	header(&t, "h", '1', 512, true);
	char *r = rec(NULL, "size", "600"); /* the pax size record beats the header's 0 */
	pax(&t, r);
	free(r);
	header(&t, "big", '0', 0, false);
	data(&t, memset(malloc(600), 'b', 600), 600);
	char *a = acl(300);
	r = rec(NULL, "SCHILY.acl.access", a);
	pax(&t, r);
	header(&t, "after", '0', 0, false);
	end(&t);
	check_read(&t, 5, "entry 'after': more than 256 ACL entries");
	free(r);
	free(a);
	free(t.p);
}
END_TEST

START_TEST(base256_size)
{
	/* GNU base-256: the guard must skip what libarchive skips; with a 2^33-byte claim the
	 * entry is truncated, and libarchive says so, not the guard */
	tarbuf t = {0};
	unsigned char *b = header(&t, "f", '0', 0, true);
	b[124] = 0x80;
	memset(b + 125, 0, 11);
	b[135] = 0x02; /* 2 bytes */
	checksum(b);
	data(&t, "hi", 2);
	header(&t, "g", '0', 0, true);
	end(&t);
	check_read(&t, 2, NULL);
	t.len -= 1024;
	header(&t, "huge", '0', 1ull << 33, true);
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_lt(read_chunked(&t, 4096, true, &err), 0);
	ck_assert_ptr_null(strstr(err.msg, "cannot follow"));
	free(t.p);
}
END_TEST

START_TEST(acl_entries_limit)
{
	for (unsigned n = 255; n <= 258; n++) {
		tarbuf t = {0};
		char *a = acl(n), *r = rec(NULL, "path", "named/by/pax");
		r = rec(r, "SCHILY.acl.default", a);
		pax(&t, r);
		header(&t, "ignored", '0', 0, false);
		end(&t);
		if (n <= OCI_TARGUARD_ACL_ENTRIES_MAX)
			check_read(&t, 1, NULL);
		else
			check_read(&t, 0,
				   "entry 'named/by/pax': more than 256 ACL entries, the limit");
		free(a);
		free(r);
		free(t.p);
	}
}
END_TEST

START_TEST(acl_entries_add_up_over_records)
{
	/* two records of 200 each: libarchive adds both to one list */
	tarbuf t = {0};
	char *a = acl(200), *r = rec(NULL, "SCHILY.acl.access", a);
	r = rec(r, "SCHILY.acl.ace", a);
	pax(&t, r);
	header(&t, "f", '0', 0, false);
	end(&t);
	check_read(&t, 0, "entry 'f': more than 256 ACL entries");
	free(a);
	free(r);
	free(t.p);
}
END_TEST

START_TEST(acl_record_size_limit)
{
	char *v = malloc(OCI_TARGUARD_ACL_TEXT_MAX + 1);
	memset(v, 'u', OCI_TARGUARD_ACL_TEXT_MAX);
	v[OCI_TARGUARD_ACL_TEXT_MAX] = 0;
	tarbuf t = {0};
	char *r = rec(NULL, "SCHILY.acl.access", v);
	pax(&t, r);
	header(&t, "f", '0', 0, false);
	end(&t);
	check_read(&t, 0,
		   "entry 'f': SCHILY.acl.access record of 16409 bytes is over the limit of "
		   "16384 bytes");
	free(r);
	free(v);
	free(t.p);
}
END_TEST

START_TEST(pax_header_size_limit)
{
	size_t n = OCI_TARGUARD_PAX_MAX - 64;
	char *v = malloc(n + 1);
	memset(v, 'v', n);
	v[n] = 0;
	for (int over = 0; over < 2; over++) {
		tarbuf t = {0};
		char *r = rec(NULL, "SCHILY.xattr.user.v", v);
		if (over)
			r = rec(r, "comment", "0123456789012345678901234567890123456789");
		pax(&t, r);
		header(&t, "long/name/in/the/header", '0', 0, false);
		end(&t);
		if (over)
			check_read(&t, 0,
				   "entry 'long/name/in/the/header': pax extended header of "
				   "262160 bytes is over the limit of 262144 bytes");
		else
			check_read(&t, 1, NULL);
		free(r);
		free(t.p);
	}
	free(v);
}
END_TEST

START_TEST(solaris_acl_header)
{
	tarbuf t = {0};
	char *a = acl(300), *body = malloc(strlen(a) + 16);
	sprintf(body, "01000454%c%s", 0, a);
	header(&t, "f", 'A', 9 + strlen(a) + 1, false);
	data(&t, body, 9 + strlen(a) + 1);
	header(&t, "f", '0', 0, false);
	end(&t);
	check_read(&t, 0, "entry 'f': more than 256 ACL entries");
	free(a);
	free(body);
	free(t.p);
}
END_TEST

START_TEST(second_pax_header_and_too_many_extensions)
{
	tarbuf t = {0};
	char *r = rec(NULL, "mtime", "1");
	pax(&t, r);
	pax(&t, r);
	header(&t, "f", '0', 0, false);
	end(&t);
	check_read(&t, 0, "entry 'f': a second pax extended header for one entry");
	free(t.p);
	t = (tarbuf){0};
	for (int i = 0; i < 17; i++) {
		header(&t, "g", 'g', strlen(r), false);
		data(&t, r, strlen(r));
	}
	header(&t, "f", '0', 0, false);
	end(&t);
	check_read(&t, 0, "entry 'f': more than 16 extension headers for one entry");
	free(r);
	free(t.p);
}
END_TEST

START_TEST(gnu_long_name_and_sparse_blocks)
{
	tarbuf t = {0};
	char name[700];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	header(&t, "././@LongLink", 'L', sizeof(name), true);
	data(&t, name, sizeof(name));
	header(&t, "short", '0', 5, true);
	data(&t, "hello", 5);
	/* an old GNU sparse file: 2 extension blocks between its header and its 512 bytes */
	unsigned char *b = header(&t, "sparse", 'S', 512, true);
	snprintf((char *)b + 386, 12, "%011o", 0);
	snprintf((char *)b + 398, 12, "%011o", 512);
	b[482] = 1;
	snprintf((char *)b + 483, 12, "%011o", 4096);
	checksum(b);
	b = grow(&t, 512);
	b[504] = 1;
	grow(&t, 512);
	data(&t, memset(malloc(512), 's', 512), 512);
	header(&t, "last", '0', 0, true);
	end(&t);
	check_read(&t, 3, NULL);
	free(t.p);
}
END_TEST

START_TEST(gnu_sparse_map_limit)
{
	/* each extension block costs libarchive 21 list entries (~2 KiB of memory per 512
	 * bytes, 4x): a compressed map of a GiB would be GiBs */
	tarbuf t = {0};
	header(&t, "first", '0', 0, true);
	unsigned char *b = header(&t, "sparse", 'S', 0, true);
	b[386] = '0'; /* libarchive reads a sparse map only when this is set */
	b[482] = 1;
	checksum(b);
	for (unsigned i = 0; i <= OCI_TARGUARD_SPARSE_MAX / 21; i++)
		grow(&t, 512)[504] = 1;
	end(&t);
	check_read(&t, 0, "entry 'sparse': a GNU sparse map of more than 65536 entries");
	free(t.p);
	/* format 1.0: the count that starts the data */
	for (int over = 0; over < 2; over++) {
		t = (tarbuf){0};
		char *r = rec(NULL, "GNU.sparse.major", "1");
		r = rec(r, "GNU.sparse.minor", "0");
		r = rec(r, "GNU.sparse.realsize", "4096");
		r = rec(r, "GNU.sparse.name", "real");
		pax(&t, r);
		free(r);
		char map[1024];
		int n = snprintf(map, sizeof(map), "# a comment\n%u\n", over ? 65537 : 2);
		memset(map + n, 0, sizeof(map) - n);
		if (!over)
			memcpy(map + n, "0\n1\n4095\n1\n", 12);
		header(&t, "GNUSparseFile.0/real", '0', 514, false);
		data(&t, map, 512);
		data(&t, "ab", 2);
		header(&t, "after", '0', 0, false);
		end(&t);
		if (over)
			check_read(&t, 0, "a GNU sparse map of more than 65536 entries");
		else
			check_read(&t, 2, NULL);
		free(t.p);
	}
}
END_TEST

START_TEST(damaged_block_resyncs_like_libarchive)
{
	/* a block with a bad checksum: libarchive skips it alone and reads the next one as a
	 * header, which is where the guard must look for the hostile pax header */
	tarbuf t = {0};
	header(&t, "first", '0', 0, false);
	unsigned char *b = header(&t, "bad", '0', 1024, false);
	b[0] ^= 1;
	char *a = acl(300), *r = rec(NULL, "SCHILY.acl.access", a);
	pax(&t, r);
	header(&t, "f", '0', 0, false);
	end(&t);
	check_read(&t, 0, "entry 'f': more than 256 ACL entries");
	free(a);
	free(r);
	free(t.p);
}
END_TEST

START_TEST(ustar_hard_link_with_size_is_refused)
{
	tarbuf t = {0};
	header(&t, "first", '0', 0, false);
	header(&t, "h", '1', 512, false);
	grow(&t, 512);
	header(&t, "f", '0', 0, false);
	end(&t);
	check_read(&t, 0, "entry 'h': hard link with a size of 512 bytes in a ustar archive");
	free(t.p);
}
END_TEST

START_TEST(truncated_extension_is_reported_at_the_end)
{
	tarbuf t = {0};
	header(&t, "PaxHeaders/f", 'x', OCI_TARGUARD_PAX_MAX + 1, false);
	oci_unpack_targuard g;
	oci_error err = OCI_ERROR_INIT;
	oci_unpack_targuard_init(&g);
	ck_assert_int_eq(oci_unpack_targuard_feed(&g, t.p, t.len, &err), 0);
	ck_assert_int_eq(oci_unpack_targuard_feed(&g, NULL, 0, &err), -1);
	ck_assert_str_eq(err.msg, "entry 'PaxHeaders/f': pax extended header of 262145 bytes is "
				  "over the limit of 262144 bytes");
	oci_unpack_targuard_release(&g);
	free(t.p);
}
END_TEST

START_TEST(expect_refuses_a_position_inside_data)
{
	tarbuf t = {0};
	header(&t, "f", '0', 1024, false);
	grow(&t, 1024);
	header(&t, "g", '0', 0, false);
	oci_unpack_targuard g;
	oci_error err = OCI_ERROR_INIT;
	oci_unpack_targuard_init(&g);
	ck_assert_int_eq(oci_unpack_targuard_feed(&g, t.p, t.len, &err), 0);
	ck_assert_int_eq(oci_unpack_targuard_expect(&g, 0, &err), 0);
	ck_assert_int_eq(oci_unpack_targuard_expect(&g, 1024, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot follow the tar stream"));
	oci_unpack_targuard_release(&g);
	oci_unpack_targuard_init(&g);
	ck_assert_int_eq(oci_unpack_targuard_feed(&g, t.p, t.len, &err), 0);
	ck_assert_int_eq(oci_unpack_targuard_expect(&g, 0, &err), 0);
	ck_assert_int_eq(oci_unpack_targuard_expect(&g, 1536, &err), 0);
	oci_unpack_targuard_release(&g);
	free(t.p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("unpack_targuard");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, plain_entries_agree);
	tcase_add_test(tc, size_fields_that_libarchive_ignores_or_overrides);
	tcase_add_test(tc, base256_size);
	tcase_add_test(tc, acl_entries_limit);
	tcase_add_test(tc, acl_entries_add_up_over_records);
	tcase_add_test(tc, acl_record_size_limit);
	tcase_add_test(tc, pax_header_size_limit);
	tcase_add_test(tc, solaris_acl_header);
	tcase_add_test(tc, second_pax_header_and_too_many_extensions);
	tcase_add_test(tc, gnu_long_name_and_sparse_blocks);
	tcase_add_test(tc, gnu_sparse_map_limit);
	tcase_add_test(tc, damaged_block_resyncs_like_libarchive);
	tcase_add_test(tc, ustar_hard_link_with_size_is_refused);
	tcase_add_test(tc, truncated_extension_is_reported_at_the_end);
	tcase_add_test(tc, expect_refuses_a_position_inside_data);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
