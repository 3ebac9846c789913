/* Unit tests for unpack/writer.c: what the jobs in flight hold stays within the pool's memory
 * bound (32 MiB) even when the entries carry no data but big pax xattrs, as a hostile layer's
 * many small files can. Linked with oci-unpack's objects. */
#include <archive_entry.h>
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "unpack/unpack.h"
#include "tests/unit/skip.h"

#define XATTR_SIZE (1u << 20)
#define ENTRIES	   100

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool released;
static int submitted;

/* A worker that holds its job until the test lets it go. */
static int held_write(oci_unpack_root *r, int fd, struct archive_entry *e,
		      const unsigned char *data, size_t len, oci_error *err)
{
	pthread_mutex_lock(&mu);
	while (!released)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return 0;
}

static void *submitter(void *arg)
{
	oci_unpack_writers *w = arg;
	char *value = malloc(XATTR_SIZE);
	ck_assert_ptr_nonnull(value);
	memset(value, 'x', XATTR_SIZE);
	for (int i = 0; i < ENTRIES; i++) {
		struct archive_entry *e = archive_entry_new();
		char name[32];
		snprintf(name, sizeof(name), "f%d", i);
		archive_entry_set_pathname(e, name);
		archive_entry_xattr_add_entry(e, "user.big", value, XATTR_SIZE);
		oci_error err = OCI_ERROR_INIT;
		int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(oci_unpack_writers_submit(w, fd, e, NULL, 0, &err), 0);
		archive_entry_free(e);
		pthread_mutex_lock(&mu);
		submitted++;
		pthread_mutex_unlock(&mu);
	}
	free(value);
	return NULL;
}

START_TEST(test_xattrs_count_in_the_bound)
{
	oci_unpack_opts opts;
	memset(&opts, 0, sizeof(opts));
	oci_unpack_root r;
	memset(&r, 0, sizeof(r));
	r.opts = &opts;
	oci_error err = OCI_ERROR_INIT;
	oci_unpack_writers *w = oci_unpack_writers_new(&r, held_write, &err);
	if (!w) {
		unit_skip("one CPU: no pool, every file is written on the calling thread");
		return;
	}
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, submitter, w), 0);
	/* The workers hold their jobs: the submitter runs until the bound stops it (no new
	 * submit for half a second) or it has submitted everything. */
	struct timespec pause = {0, 100 * 1000 * 1000};
	int in_flight = -1, still = 0;
	for (int i = 0; i < 200 && still < 5 && in_flight < ENTRIES; i++) {
		nanosleep(&pause, NULL);
		pthread_mutex_lock(&mu);
		still = submitted == in_flight ? still + 1 : 0;
		in_flight = submitted;
		pthread_mutex_unlock(&mu);
	}
	pthread_mutex_lock(&mu);
	released = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(th, NULL);
	ck_assert_int_eq(oci_unpack_writers_drain(w, &err), 0);
	oci_unpack_writers_free(w);
	/* 32 MiB of 1 MiB xattr copies, and the one a blocked submit holds */
	ck_assert_msg(in_flight <= 32, "%d jobs of a 1 MiB xattr each were in flight", in_flight);
	ck_assert_int_ge(in_flight, 8);
	ck_assert_int_eq(submitted, ENTRIES);
}
END_TEST

static Suite *writer_suite(void)
{
	Suite *s = suite_create("writer");
	TCase *tc = tcase_create("bound");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_xattrs_count_in_the_bound);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(writer_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
