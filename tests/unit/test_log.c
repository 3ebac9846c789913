/* Unit tests for common/log.c: runc-style JSON log lines ({"level","msg","time"}, one object
 * per line) that a container engine parses, level filtering, text format, stderr lines. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

/* Per-run directory, removed by main() even when a test fails before its teardown. */
static char base[64];
static char tmpdir[256], logpath[300], errpath[300];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/t.XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(logpath, sizeof(logpath), "%s/log.json", tmpdir);
	snprintf(errpath, sizeof(errpath), "%s/stderr", tmpdir);
	oci_log_init("/usr/bin/oci-run");
	oci_log_set_level(OCI_LOG_WARN);
	ck_assert_int_eq(oci_log_set_format("text", NULL), 0);
}

static void teardown(void)
{
	oci_remove_tree_at(AT_FDCWD, tmpdir, NULL);
}

/* Lines of a file, as a NULL-terminated vector (static storage). */
static char **lines_of(const char *path, int *n)
{
	static char buf[65536];
	static char *v[256];
	char *data = NULL;
	size_t len = 0;
	oci_error err = OCI_ERROR_INIT;
	*n = 0;
	v[0] = NULL;
	if (oci_read_file_at(AT_FDCWD, path, sizeof(buf) - 1, &data, &len, &err) < 0)
		return v;
	memcpy(buf, data, len + 1);
	free(data);
	ck_assert_msg(len == 0 || buf[len - 1] == '\n', "last line of %s not terminated", path);
	for (char *p = buf, *nl; *p && (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = '\0';
		v[(*n)++] = p;
	}
	v[*n] = NULL;
	return v;
}

/* Parse one JSON log line and check it has exactly level, msg and a valid time. */
static void check_json_line(const char *line, const char *level, const char *msg)
{
	json_error_t jerr;
	regex_t re;
	json_t *j = json_loads(line, 0, &jerr);
	ck_assert_msg(j != NULL, "not JSON: '%s': %s", line, jerr.text);
	ck_assert_int_eq(json_object_size(j), 3);
	ck_assert_str_eq(json_string_value(json_object_get(j, "level")), level);
	ck_assert_str_eq(json_string_value(json_object_get(j, "msg")), msg);
	const char *t = json_string_value(json_object_get(j, "time"));
	ck_assert_ptr_nonnull(t);
	regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z$",
		REG_EXTENDED);
	ck_assert_msg(regexec(&re, t, 0, NULL, 0) == 0, "time '%s'", t);
	regfree(&re);
	json_decref(j);
}

/* Run fn with stderr redirected into errpath. */
static void with_stderr_captured(void (*fn)(void))
{
	int saved = dup(STDERR_FILENO);
	int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
}

START_TEST(test_json_lines)
{
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_log_set_file(logpath, &err), 0);
	ck_assert_int_ge(oci_log_fd(), 0);
	ck_assert_int_eq(oci_log_set_format("json", &err), 0);
	oci_log_set_level(OCI_LOG_INFO);
	log_info("container %s started", "c1");
	log_warn("quote \" backslash \\ newline\nand tab\t end");
	log_error("failed");
	log_debug("not shown at info level");
	int n;
	char **l = lines_of(logpath, &n);
	ck_assert_int_eq(n, 3);
	check_json_line(l[0], "info", "container c1 started");
	check_json_line(l[1], "warning", "quote \" backslash \\ newline\nand tab\t end");
	check_json_line(l[2], "error", "failed");
}
END_TEST

START_TEST(test_json_invalid_utf8_not_lost)
{
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_log_set_file(logpath, &err), 0);
	ck_assert_int_eq(oci_log_set_format("json", &err), 0);
	/* A file name from a hostile layer need not be UTF-8; the line must still be written. */
	log_warn("cannot create 'usr/\xff\xfe/x': denied");
	int n;
	char **l = lines_of(logpath, &n);
	ck_assert_int_eq(n, 1);
	json_error_t jerr;
	json_t *j = json_loads(l[0], 0, &jerr);
	ck_assert_msg(j != NULL, "not JSON: '%s'", l[0]);
	const char *msg = json_string_value(json_object_get(j, "msg"));
	ck_assert_msg(msg && strstr(msg, "cannot create 'usr/") && strstr(msg, "/x': denied"),
		      "msg '%s'", msg);
	json_decref(j);
}
END_TEST

START_TEST(test_levels)
{
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_log_set_file(logpath, &err), 0);
	ck_assert_int_eq(oci_log_set_format("json", &err), 0);
	oci_log_set_level(OCI_LOG_ERROR);
	ck_assert_int_eq(oci_log_get_level(), OCI_LOG_ERROR);
	log_warn("w1");
	log_info("i1");
	log_error("e1");
	oci_log_set_level(OCI_LOG_DEBUG); /* --debug */
	log_debug("d1");
	log_info("i2");
	oci_log_set_level(OCI_LOG_WARN); /* the default */
	log_info("i3");
	log_warn("w2");
	int n;
	char **l = lines_of(logpath, &n);
	ck_assert_int_eq(n, 4);
	check_json_line(l[0], "error", "e1");
	check_json_line(l[1], "debug", "d1");
	check_json_line(l[2], "info", "i2");
	check_json_line(l[3], "warning", "w2");
}
END_TEST

START_TEST(test_text_format_and_append)
{
	oci_error err = OCI_ERROR_INIT;
	int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_eq(write(fd, "earlier line\n", 13), 13);
	close(fd);
	ck_assert_int_eq(oci_log_set_file(logpath, &err), 0);
	ck_assert_int_eq(oci_log_set_format("text", &err), 0);
	log_warn("disk %d%% full", 90);
	log_warn("two\nlines \"quoted\"");
	int n;
	char **l = lines_of(logpath, &n);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(l[0], "earlier line"); /* appended, not truncated */
	regex_t re;
	regcomp(&re, "^time=\"[0-9T:.-]+Z\" level=warning msg=\"disk 90% full\"$", REG_EXTENDED);
	ck_assert_msg(regexec(&re, l[1], 0, NULL, 0) == 0, "'%s'", l[1]);
	regfree(&re);
	/* One message is one line, whatever it contains. */
	ck_assert_msg(oci_str_has_suffix(l[2], " level=warning msg=\"two\\nlines \\\"quoted\\\"\""),
		      "'%s'", l[2]);

	ck_assert_int_lt(oci_log_set_format("xml", &err), 0);
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	ck_assert_msg(strstr(err.msg, "'xml'"), "%s", err.msg);
	ck_assert_int_lt(oci_log_set_file("/nonexistent/dir/log", &err), 0);
	ck_assert_int_eq(err.code, OCI_E_NOTFOUND);
	ck_assert_msg(strstr(err.msg, "/nonexistent/dir/log"), "%s", err.msg);
	/* The failed call kept the working log file. */
	log_warn("still here");
	l = lines_of(logpath, &n);
	ck_assert_int_eq(n, 4);
}
END_TEST

static void log_to_stderr(void)
{
	log_warn("pulling %s", "busybox");
	log_info("filtered");
}

START_TEST(test_escape)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"plain 'text' / x", "plain 'text' / x"},
	    {"caf\xc3\xa9 \xe2\x9c\x93", "caf\xc3\xa9 \xe2\x9c\x93"}, /* UTF-8 stays */
	    {"a\nb\rc\td", "a\\nb\\rc\\td"},
	    {"\x1b]2;t\x07", "\\x1b]2;t\\x07"},
	    {"\x7f\x01", "\\x7f\\x01"},
	    {"\xc2\x9b"
	     "2J",
	     "\\xc2\\x9b2J"},	      /* CSI as UTF-8 */
	    {"\xc2\xa0", "\xc2\xa0"}, /* a no-break space is text */
	    {"\xc2", "\xc2"},
	    {"", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *e = oci_log_escape(cases[i].in);
		ck_assert_str_eq(e, cases[i].out);
		free(e);
	}
}
END_TEST

START_TEST(test_stderr_without_log_file)
{
	ck_assert_int_lt(oci_log_fd(), 0);
	ck_assert_str_eq(oci_log_prog(), "oci-run");
	with_stderr_captured(log_to_stderr);
	int n;
	char **l = lines_of(errpath, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(l[0], "oci-run: pulling busybox");
}
END_TEST

static void final_error(void)
{
	oci_error err = OCI_ERROR_INIT;
	oci_err(&err, OCI_E_NOTFOUND, "container 'c1' does not exist");
	oci_log_error_final(&err);
}

START_TEST(test_final_error)
{
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_log_set_file(logpath, &err), 0);
	ck_assert_int_eq(oci_log_set_format("json", &err), 0);
	oci_log_set_level(OCI_LOG_ERROR);
	with_stderr_captured(final_error);
	int n;
	char **l = lines_of(errpath, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(l[0], "oci-run: container 'c1' does not exist");
	l = lines_of(logpath, &n);
	ck_assert_int_eq(n, 1);
	check_json_line(l[0], "error", "container 'c1' does not exist");
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	/* First: there is no way to drop a log file once set, so this also holds with CK_FORK=no.
	 */
	tcase_add_test(tc, test_escape);
	tcase_add_test(tc, test_stderr_without_log_file);
	tcase_add_test(tc, test_json_lines);
	tcase_add_test(tc, test_json_invalid_utf8_not_lost);
	tcase_add_test(tc, test_levels);
	tcase_add_test(tc, test_text_format_and_append);
	tcase_add_test(tc, test_final_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	snprintf(base, sizeof(base), "/tmp/test_log.XXXXXX");
	if (!mkdtemp(base))
		return 1;
	SRunner *sr = srunner_create(log_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	oci_remove_tree_at(AT_FDCWD, base, NULL);
	return failed ? 1 : 0;
}
