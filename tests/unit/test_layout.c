/* Unit tests for common/layout.c: a layout directory never holds a blob whose name lies about
 * its content, index.json keeps one entry per tag, and names resolve by tag or digest. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "common/layout.h"
#include "common/util.h"

/* Per-run directory, removed by main() even when a test fails before its teardown. */
static char base[64];
static char tmpdir[256], lpath[300];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/t.XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(lpath, sizeof(lpath), "%s/img", tmpdir);
}

static void teardown(void)
{
	oci_remove_tree_at(AT_FDCWD, tmpdir, NULL);
}

/* Number of entries in a directory of the layout. */
static int count_in(oci_layout *l, const char *dir)
{
	int n = 0;
	int fd = openat(l->dirfd, dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	DIR *d = fdopendir(fd);
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void open_new(oci_layout *l)
{
	oci_error err = OCI_ERROR_INIT;
	ck_assert_msg(oci_layout_open(lpath, true, l, &err) == 0, "%s", err.msg);
}

/* Attack: anyone who can read oci-layout (0644) may hold it exclusively. A pull (b) that made
 * the layout and went on without its shared hold there (the holder took the lock in the
 * moment between b's write of the file and its flock), then a pull (a) that also had to go on
 * without it: when the holder lets go and b fails, b's discard must still see a (through the
 * writers' own 0600 hold file) and keep the layout, which b removed under a. */
START_TEST(test_discard_sees_writers_past_a_foreign_lock)
{
	oci_layout a, b;
	open_new(&b);
	flock(b.usefd, LOCK_UN); /* the moment the holder got in first */
	char p[400];
	snprintf(p, sizeof(p), "%s/oci-layout", lpath);
	int holder = open(p, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(holder, 0);
	ck_assert_int_eq(flock(holder, LOCK_EX | LOCK_NB), 0);
	open_new(&a); /* waits its second for oci-layout, goes on without */
	close(holder);
	oci_layout_discard(&b);
	oci_layout_release(&b);
	ck_assert_int_eq(faccessat(a.dirfd, "oci-layout", F_OK, 0), 0);
	ck_assert_int_eq(faccessat(a.dirfd, "index.json", F_OK, 0), 0);
	struct stat st;
	ck_assert_int_eq(fstat(a.dirfd, &st), 0);
	ck_assert_uint_gt(st.st_nlink, 0);
	/* the hold file is 0600 and goes with the last writer */
	ck_assert_int_eq(fstatat(a.dirfd, ".writers.lock", &st, 0), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	oci_layout_release(&a);
	snprintf(p, sizeof(p), "%s/.writers.lock", lpath);
	ck_assert_int_lt(faccessat(AT_FDCWD, p, F_OK, 0), 0);
}
END_TEST

/* A writer killed outright left blobs/.tmp-*: the next writer, alone, removes them; one
 * opened while another writer has the layout open leaves them (they may be its own). */
START_TEST(test_dead_writer_temps_swept)
{
	oci_layout a, b;
	open_new(&a);
	int bfd = openat(a.dirfd, "blobs", O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(bfd, 0);
	int t = openat(bfd, ".tmp-999999-0", O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(t, 0);
	close(t);
	open_new(&b); /* a is live: its temporaries stay */
	ck_assert_int_eq(faccessat(bfd, ".tmp-999999-0", F_OK, 0), 0);
	oci_layout_release(&b);
	oci_layout_release(&a);
	open_new(&b); /* alone */
	ck_assert_int_lt(faccessat(bfd, ".tmp-999999-0", F_OK, 0), 0);
	oci_layout_release(&b);
	close(bfd);
}
END_TEST

START_TEST(test_create_and_open)
{
	oci_layout l;
	oci_error err = OCI_ERROR_INIT;
	open_new(&l);
	oci_layout_release(&l);
	/* What other tools read: oci-layout and an empty index. */
	char *s = NULL;
	int dfd = open(lpath, O_RDONLY | O_DIRECTORY);
	ck_assert_int_eq(oci_read_file_at(dfd, "oci-layout", 4096, &s, NULL, &err), 0);
	json_t *j = json_loads(s, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(j, "imageLayoutVersion")), "1.0.0");
	json_decref(j);
	free(s);
	j = oci_json_load_file_at(dfd, "index.json", 4096, &err);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "schemaVersion")), 2);
	ck_assert_int_eq(json_array_size(json_object_get(j, "manifests")), 0);
	json_decref(j);
	ck_assert_int_eq(faccessat(dfd, "blobs", F_OK, 0), 0);

	/* Reopen without create. */
	ck_assert_msg(oci_layout_open(lpath, false, &l, &err) == 0, "%s", err.msg);
	oci_layout_release(&l);

	/* A directory that is not a layout is refused, and nothing is written into it. */
	ck_assert_int_eq(mkdirat(dfd, "plain", 0755), 0);
	char p[400];
	snprintf(p, sizeof(p), "%s/plain", lpath);
	ck_assert_int_lt(oci_layout_open(p, false, &l, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	ck_assert_msg(strstr(err.msg, "not an OCI image layout"), "%s", err.msg);
	ck_assert_int_lt(faccessat(dfd, "plain/index.json", F_OK, 0), 0);
	ck_assert_int_lt(faccessat(dfd, "plain/oci-layout", F_OK, 0), 0);
	snprintf(p, sizeof(p), "%s/missing", lpath);
	ck_assert_int_lt(oci_layout_open(p, false, &l, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_NOTFOUND);

	/* An unknown layout version is refused. */
	ck_assert_int_eq(oci_write_file_atomic(dfd, "oci-layout",
					       "{\"imageLayoutVersion\":\"2.0.0\"}", 30, 0644,
					       &err),
			 0);
	ck_assert_int_lt(oci_layout_open(lpath, false, &l, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_UNSUPPORTED);
	ck_assert_msg(strstr(err.msg, "2.0.0"), "%s", err.msg);
	close(dfd);
}
END_TEST

START_TEST(test_put_read_verify)
{
	oci_layout l;
	oci_error err = OCI_ERROR_INIT;
	oci_digest d, abc;
	char *out = NULL;
	size_t len = 0;
	open_new(&l);
	ck_assert_int_eq(oci_layout_put_blob(&l, "abc", 3, &d, &err), 0);
	ck_assert_int_eq(
	    oci_digest_parse(
		"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", &abc,
		&err),
	    0);
	ck_assert(oci_digest_equal(&d, &abc));
	ck_assert(oci_layout_has_blob(&l, &d, 3));
	ck_assert(oci_layout_has_blob(&l, &d, -1));
	ck_assert(!oci_layout_has_blob(&l, &d, 4));
	ck_assert_int_eq(
	    faccessat(
		l.dirfd,
		"blobs/sha256/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		F_OK, 0),
	    0);
	/* Putting it again is a no-op. */
	ck_assert_int_eq(oci_layout_put_blob(&l, "abc", 3, &d, &err), 0);
	ck_assert_int_eq(count_in(&l, "blobs/sha256"), 1);

	ck_assert_int_eq(oci_layout_read_blob(&l, &d, 100, &out, &len, &err), 0);
	ck_assert_uint_eq(len, 3);
	ck_assert_str_eq(out, "abc");
	free(out);
	out = NULL;
	ck_assert_int_lt(oci_layout_read_blob(&l, &d, 2, &out, &len, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_LIMIT);

	/* Flip a byte on disk: reading must notice. */
	char p[256];
	oci_digest_blob_path(&d, p, sizeof(p));
	int fd = openat(l.dirfd, p, O_WRONLY);
	ck_assert_int_eq(pwrite(fd, "x", 1, 1), 1);
	close(fd);
	ck_assert_int_lt(oci_layout_read_blob(&l, &d, 100, &out, &len, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_DIGEST);
	ck_assert_msg(strstr(err.msg, "digest mismatch"), "%s", err.msg);
	ck_assert_ptr_null(out);

	/* Missing blob. */
	oci_digest none;
	oci_digest_buffer(OCI_DIGEST_SHA256, "nope", 4, &none, &err);
	ck_assert(!oci_layout_has_blob(&l, &none, -1));
	ck_assert_int_lt(oci_layout_read_blob(&l, &none, 100, &out, &len, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_NOTFOUND);

	/* A symlink in place of a blob is not followed. */
	oci_digest_buffer(OCI_DIGEST_SHA256, "root:x:0:0", 10, &none, &err);
	oci_digest_blob_path(&none, p, sizeof(p));
	ck_assert_int_eq(symlinkat("/etc/passwd", l.dirfd, p), 0);
	ck_assert(!oci_layout_has_blob(&l, &none, -1));
	ck_assert_int_lt(oci_layout_open_blob(&l, &none, &err), 0);
	oci_layout_release(&l);
}
END_TEST

START_TEST(test_writer_refuses_wrong_content)
{
	oci_layout l;
	oci_blob_writer w;
	oci_error err = OCI_ERROR_INIT;
	oci_digest want, other;
	open_new(&l);
	oci_digest_buffer(OCI_DIGEST_SHA256, "hello", 5, &want, &err);

	/* Right size, wrong content. */
	ck_assert_int_eq(oci_blob_writer_start(&l, &want, 5, &w, &err), 0);
	ck_assert_int_eq(oci_blob_writer_write(&w, "hellO", 5, &err), 0);
	ck_assert_int_lt(oci_blob_writer_commit(&w, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_DIGEST);
	oci_blob_writer_abort(&w); /* safe after a failed commit */
	ck_assert(!oci_layout_has_blob(&l, &want, -1));
	oci_digest_buffer(OCI_DIGEST_SHA256, "hellO", 5, &other, &err);
	ck_assert(!oci_layout_has_blob(&l, &other, -1));
	ck_assert_int_eq(count_in(&l, "blobs/sha256"), 0);
	ck_assert_int_eq(count_in(&l, "blobs"), 1); /* only the sha256 directory: no temporary */

	/* Too much data is refused as it arrives. */
	ck_assert_int_eq(oci_blob_writer_start(&l, &want, 5, &w, &err), 0);
	ck_assert_int_eq(oci_blob_writer_write(&w, "hel", 3, &err), 0);
	ck_assert_int_lt(oci_blob_writer_write(&w, "lo!", 3, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_DIGEST);
	oci_blob_writer_abort(&w);
	ck_assert_int_eq(count_in(&l, "blobs"), 1);

	/* Too little. */
	ck_assert_int_eq(oci_blob_writer_start(&l, &want, 5, &w, &err), 0);
	ck_assert_int_eq(oci_blob_writer_write(&w, "hell", 4, &err), 0);
	ck_assert_int_lt(oci_blob_writer_commit(&w, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_DIGEST);
	ck_assert_msg(strstr(err.msg, "size mismatch"), "%s", err.msg);
	ck_assert_int_eq(count_in(&l, "blobs"), 1);
	ck_assert_int_eq(count_in(&l, "blobs/sha256"), 0);

	/* An abandoned writer leaves nothing. */
	ck_assert_int_eq(oci_blob_writer_start(&l, &want, 5, &w, &err), 0);
	ck_assert_int_eq(oci_blob_writer_write(&w, "he", 2, &err), 0);
	oci_blob_writer_abort(&w);
	ck_assert_int_eq(count_in(&l, "blobs"), 1);

	/* The right content in pieces is stored under its digest. */
	ck_assert_int_eq(oci_blob_writer_start(&l, &want, 5, &w, &err), 0);
	ck_assert_int_eq(oci_blob_writer_write(&w, "he", 2, &err), 0);
	ck_assert_int_eq(oci_blob_writer_write(&w, "llo", 3, &err), 0);
	ck_assert_msg(oci_blob_writer_commit(&w, &err) == 0, "%s", err.msg);
	oci_blob_writer_abort(&w);
	ck_assert(oci_layout_has_blob(&l, &want, 5));
	ck_assert_int_eq(count_in(&l, "blobs"), 1);

	/* Without an expected digest the writer names the blob by what it hashed. */
	ck_assert_int_eq(oci_blob_writer_start(&l, NULL, -1, &w, &err), 0);
	ck_assert_int_eq(oci_blob_writer_write(&w, "hellO", 5, &err), 0);
	ck_assert_int_eq(oci_blob_writer_commit(&w, &err), 0);
	ck_assert(oci_digest_equal(&w.want, &other));
	ck_assert(oci_layout_has_blob(&l, &other, 5));
	ck_assert_int_eq(count_in(&l, "blobs/sha256"), 2);
	oci_layout_release(&l);
}
END_TEST

/* A layout someone else prepared: a blob of the right size but other bytes is not taken as
 * held (it was, and oci-fetch -o reported success over a layout that failed every reader),
 * and blobs/ or blobs/sha256 as a symlink takes no blob out of the layout. */
START_TEST(test_prepared_layout)
{
	oci_layout l;
	oci_blob_writer w;
	oci_error err = OCI_ERROR_INIT;
	oci_digest d;
	char p[256], buf[8] = {0};
	open_new(&l);
	ck_assert_int_eq(oci_layout_put_blob(&l, "abc", 3, &d, &err), 0);
	oci_digest_blob_path(&d, p, sizeof(p));
	int fd = openat(l.dirfd, p, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, "abd", 3), 3);
	close(fd);
	ck_assert(!oci_layout_has_blob(&l, &d, 3));
	ck_assert(!oci_layout_has_blob(&l, &d, -1));
	/* written again, right */
	ck_assert_int_eq(oci_layout_put_blob(&l, "abc", 3, &d, &err), 0);
	ck_assert(oci_layout_has_blob(&l, &d, 3));
	fd = openat(l.dirfd, p, O_RDONLY);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 3);
	close(fd);
	ck_assert_str_eq(buf, "abc");

	/* blobs/sha256 a symlink to a directory outside */
	char out[300];
	snprintf(out, sizeof(out), "%s/outside", tmpdir);
	ck_assert_int_eq(mkdir(out, 0755), 0);
	ck_assert_int_eq(oci_remove_tree_at(l.dirfd, "blobs/sha256", &err), 0);
	ck_assert_int_eq(symlinkat(out, l.dirfd, "blobs/sha256"), 0);
	ck_assert_int_lt(oci_layout_put_blob(&l, "abc", 3, &d, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_UNSAFE);
	ck_assert_msg(strstr(err.msg, "'blobs/sha256' is not a directory (a symlink?)"), "%s",
		      err.msg);
	ck_assert_int_lt(oci_blob_writer_start(&l, &d, 3, &w, &err), 0);
	ck_assert(!oci_layout_has_blob(&l, &d, 3));
	ck_assert_int_eq(count_in(&l, "blobs"), 1); /* no temporary left */
	/* blobs/ itself */
	ck_assert_int_eq(oci_remove_tree_at(l.dirfd, "blobs", &err), 0);
	ck_assert_int_eq(symlinkat(out, l.dirfd, "blobs"), 0);
	oci_err_clear(&err);
	ck_assert_int_lt(oci_layout_put_blob(&l, "abc", 3, &d, &err), 0);
	ck_assert_msg(strstr(err.msg, "'blobs' is not a directory (a symlink?)"), "%s", err.msg);
	DIR *dir = opendir(out);
	struct dirent *de;
	int n = 0;
	while ((de = readdir(dir)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(dir);
	ck_assert_int_eq(n, 0);
	oci_layout_release(&l);
}
END_TEST

static void make_desc(oci_layout *l, const char *content, oci_descriptor *d)
{
	oci_error err = OCI_ERROR_INIT;
	memset(d, 0, sizeof(*d));
	strcpy(d->media_type, OCI_MT_MANIFEST);
	ck_assert_int_eq(oci_layout_put_blob(l, content, strlen(content), &d->digest, &err), 0);
	d->size = (int64_t)strlen(content);
}

static int index_entries(oci_layout *l)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *idx = oci_layout_read_index(l, &err);
	ck_assert_ptr_nonnull(idx);
	int n = (int)json_array_size(json_object_get(idx, "manifests"));
	json_decref(idx);
	return n;
}

START_TEST(test_index_tags)
{
	oci_layout l;
	oci_error err = OCI_ERROR_INIT;
	oci_descriptor a, b, got;
	char ds[OCI_DIGEST_STR_MAX + 1], name[OCI_DIGEST_STR_MAX + 2];
	open_new(&l);
	make_desc(&l, "{\"manifest\":\"a\"}", &a);
	make_desc(&l, "{\"manifest\":\"b\"}", &b);

	/* Empty layout. */
	ck_assert_int_lt(oci_layout_resolve(&l, NULL, &got, NULL, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_NOTFOUND);

	ck_assert_int_eq(oci_layout_add_manifest(&l, &a, "latest", &err), 0);
	ck_assert_int_eq(oci_layout_resolve(&l, "latest", &got, NULL, &err), 0);
	ck_assert(oci_digest_equal(&got.digest, &a.digest));
	ck_assert_int_eq(got.size, a.size);
	ck_assert_str_eq(got.media_type, OCI_MT_MANIFEST);
	ck_assert_int_eq(oci_layout_resolve(&l, NULL, &got, NULL, &err), 0); /* the only one */
	ck_assert(oci_digest_equal(&got.digest, &a.digest));

	/* The ref name is the standard annotation, visible to other tools. */
	json_t *idx = NULL;
	ck_assert_int_eq(oci_layout_resolve(&l, "latest", &got, &idx, &err), 0);
	ck_assert_str_eq(json_string_value(json_object_get(got.annotations, OCI_ANNOT_REF_NAME)),
			 "latest");
	json_decref(idx);

	ck_assert_int_eq(oci_layout_add_manifest(&l, &b, "v2", &err), 0);
	ck_assert_int_eq(index_entries(&l), 2);
	ck_assert_int_lt(oci_layout_resolve(&l, NULL, &got, NULL, &err), 0); /* ambiguous */
	ck_assert_msg(strstr(err.msg, "several images"), "%s", err.msg);

	/* By digest. */
	snprintf(name, sizeof(name), "@%s", oci_digest_str(&b.digest, ds));
	ck_assert_int_eq(oci_layout_resolve(&l, name, &got, NULL, &err), 0);
	ck_assert(oci_digest_equal(&got.digest, &b.digest));
	ck_assert_int_lt(oci_layout_resolve(&l, "@sha256:../../etc", &got, NULL, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_INVALID);

	/* Moving a tag replaces its entry instead of adding a second one. */
	ck_assert_int_eq(oci_layout_add_manifest(&l, &b, "latest", &err), 0);
	ck_assert_int_eq(index_entries(&l), 2);
	ck_assert_int_eq(oci_layout_resolve(&l, "latest", &got, NULL, &err), 0);
	ck_assert(oci_digest_equal(&got.digest, &b.digest));
	ck_assert_int_eq(oci_layout_resolve(&l, "v2", &got, NULL, &err), 0);
	ck_assert(oci_digest_equal(&got.digest, &b.digest));

	/* An entry without a name is added once per digest. */
	ck_assert_int_eq(oci_layout_add_manifest(&l, &a, NULL, &err), 0);
	ck_assert_int_eq(oci_layout_add_manifest(&l, &a, NULL, &err), 0);
	ck_assert_int_eq(index_entries(&l), 3);

	ck_assert_int_lt(oci_layout_resolve(&l, "nope", &got, NULL, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_NOTFOUND);
	ck_assert_msg(strstr(err.msg, "no image named 'nope'"), "%s", err.msg);
	oci_digest_buffer(OCI_DIGEST_SHA256, "zzz", 3, &got.digest, &err);
	snprintf(name, sizeof(name), "@%s", oci_digest_str(&got.digest, ds));
	ck_assert_int_lt(oci_layout_resolve(&l, name, &got, NULL, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_NOTFOUND);
	oci_layout_release(&l);

	/* The index survives reopening, and no temporary index is left behind. */
	ck_assert_int_eq(oci_layout_open(lpath, false, &l, &err), 0);
	ck_assert_int_eq(index_entries(&l), 3);
	ck_assert_int_eq(count_in(&l, "."), 3); /* oci-layout, index.json, blobs */
	oci_layout_release(&l);
}
END_TEST

START_TEST(test_bad_index)
{
	oci_layout l;
	oci_error err = OCI_ERROR_INIT;
	oci_descriptor got;
	open_new(&l);
	ck_assert_int_eq(
	    oci_write_file_atomic(l.dirfd, "index.json", "{\"manifests\": {}}", 17, 0644, &err), 0);
	ck_assert_int_lt(oci_layout_resolve(&l, "latest", &got, NULL, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	ck_assert_msg(strstr(err.msg, "manifests"), "%s", err.msg);
	ck_assert_int_eq(
	    oci_write_file_atomic(l.dirfd, "index.json", "{\"manifests\": [", 15, 0644, &err), 0);
	ck_assert_int_lt(oci_layout_resolve(&l, "latest", &got, NULL, &err), 0);
	ck_assert_msg(strstr(err.msg, "index.json"), "%s", err.msg);
	oci_layout_release(&l);
}
END_TEST

static Suite *layout_suite(void)
{
	Suite *s = suite_create("layout");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_create_and_open);
	tcase_add_test(tc, test_discard_sees_writers_past_a_foreign_lock);
	tcase_add_test(tc, test_dead_writer_temps_swept);
	tcase_add_test(tc, test_put_read_verify);
	tcase_add_test(tc, test_writer_refuses_wrong_content);
	tcase_add_test(tc, test_prepared_layout);
	tcase_add_test(tc, test_index_tags);
	tcase_add_test(tc, test_bad_index);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	snprintf(base, sizeof(base), "/tmp/test_layout.XXXXXX");
	if (!mkdtemp(base))
		return 1;
	SRunner *sr = srunner_create(layout_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	oci_remove_tree_at(AT_FDCWD, base, NULL);
	return failed ? 1 : 0;
}
