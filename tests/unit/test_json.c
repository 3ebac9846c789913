/* Unit tests for common/json.c: bounded loading (size and depth caps checked before jansson
 * parses), duplicate keys refused, typed getters that name the JSON path in their errors. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/util.h"

static json_t *load(const char *s, oci_error *err)
{
	return oci_json_loadb(s, strlen(s), OCI_JSON_MAX_SIZE, OCI_JSON_MAX_DEPTH, "doc", err);
}

/* "[[[...]]]" nested n deep. */
static char *nested(int n, char open, char close)
{
	char *s = malloc((size_t)n * 2 + 1);
	memset(s, open, (size_t)n);
	memset(s + n, close, (size_t)n);
	s[2 * n] = '\0';
	return s;
}

START_TEST(test_size_cap)
{
	oci_error err = OCI_ERROR_INIT;
	const char *doc = "{\"a\": \"0123456789\"}"; /* 19 bytes */
	json_t *j = oci_json_loadb(doc, strlen(doc), 19, 8, "manifest sha256:ab", &err);
	ck_assert_msg(j != NULL, "%s", err.msg);
	json_decref(j);
	ck_assert_ptr_null(oci_json_loadb(doc, strlen(doc), 18, 8, "manifest sha256:ab", &err));
	ck_assert_int_eq(err.code, OCI_E_LIMIT);
	ck_assert_msg(strstr(err.msg, "manifest sha256:ab: 19 bytes is over the 18 byte limit"),
		      "%s", err.msg);

	/* Through a file descriptor: the cap stops the read, not only the parse. */
	char tmpl[] = "/tmp/test_json.XXXXXX";
	int fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	unlink(tmpl);
	size_t big = 100000;
	char *buf = malloc(big);
	memset(buf, ' ', big);
	buf[0] = '[';
	buf[big - 1] = ']';
	ck_assert_int_eq(write(fd, buf, big), (ssize_t)big);
	free(buf);
	lseek(fd, 0, SEEK_SET);
	oci_err_clear(&err);
	ck_assert_ptr_null(oci_json_load_fd(fd, 50000, "config", &err));
	ck_assert_int_eq(err.code, OCI_E_LIMIT);
	ck_assert_msg(strncmp(err.msg, "config: ", 8) == 0, "%s", err.msg);
	lseek(fd, 0, SEEK_SET);
	j = oci_json_load_fd(fd, big, "config", &err);
	ck_assert_msg(j && json_is_array(j), "%s", err.msg);
	json_decref(j);
	close(fd);
}
END_TEST

START_TEST(test_depth_cap)
{
	oci_error err = OCI_ERROR_INIT;
	char *at = nested(OCI_JSON_MAX_DEPTH, '[', ']');
	json_t *j = load(at, &err);
	ck_assert_msg(j != NULL, "%s", err.msg);
	ck_assert_int_eq(oci_json_depth(j), OCI_JSON_MAX_DEPTH);
	json_decref(j);
	free(at);

	char *over = nested(OCI_JSON_MAX_DEPTH + 1, '[', ']');
	ck_assert_ptr_null(load(over, &err));
	ck_assert_int_eq(err.code, OCI_E_LIMIT);
	ck_assert_msg(strstr(err.msg, "nested deeper than 64 levels"), "%s", err.msg);
	free(over);

	/* A hostile million '[' (not even valid JSON) is refused by the cap, not by jansson. */
	char *huge = nested(1000000, '[', ']');
	huge[1000000] = '\0';
	oci_err_clear(&err);
	ck_assert_ptr_null(load(huge, &err));
	ck_assert_int_eq(err.code, OCI_E_LIMIT);
	free(huge);

	/* Objects count as well as arrays. */
	char objs[1024] = "";
	for (int i = 0; i < 65; i++)
		strcat(objs, "{\"a\":");
	strcat(objs, "1");
	for (int i = 0; i < 65; i++)
		strcat(objs, "}");
	ck_assert_ptr_null(load(objs, &err));
	ck_assert_int_eq(err.code, OCI_E_LIMIT);
}
END_TEST

START_TEST(test_depth_ignores_strings)
{
	oci_error err = OCI_ERROR_INIT;
	/* 200 brackets inside a string, with escaped quotes and backslashes around them. */
	char doc[1024] = "{\"s\": \"\\\\\\\"";
	for (int i = 0; i < 200; i++)
		strcat(doc, i % 2 ? "[" : "{");
	strcat(doc, "\\\"\", \"t\": [[1]]}");
	json_t *j = load(doc, &err);
	ck_assert_msg(j != NULL, "%s", err.msg);
	ck_assert_int_eq(oci_json_depth(j), 3);
	json_decref(j);
	/* A closing bracket inside a string must not hide real nesting either. */
	char doc2[1024] = "[\"]]]]]]]]]]\",";
	char *deep = nested(64, '[', ']');
	strcat(doc2, deep);
	strcat(doc2, "]");
	free(deep);
	ck_assert_ptr_null(load(doc2, &err));
	ck_assert_int_eq(err.code, OCI_E_LIMIT);
}
END_TEST

START_TEST(test_invalid_and_duplicates)
{
	oci_error err = OCI_ERROR_INIT;
	ck_assert_ptr_null(load("{\"a\": 1, \"a\": 2}", &err));
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	ck_assert_msg(strstr(err.msg, "doc: invalid JSON at line 1"), "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "duplicate"), "%s", err.msg);
	ck_assert_ptr_null(load("{\"a\": }", &err));
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	ck_assert_ptr_null(load("", &err));
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	ck_assert_ptr_null(load("{} {}", &err));
	/* Missing file: not found, naming the file. */
	ck_assert_ptr_null(oci_json_load_file_at(AT_FDCWD, "/nonexistent/x.json", 100, &err));
	ck_assert_int_eq(err.code, OCI_E_NOTFOUND);
	ck_assert_msg(strstr(err.msg, "'/nonexistent/x.json'"), "%s", err.msg);
}
END_TEST

START_TEST(test_getters)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *j = load(
	    "{\"process\": {\"args\": [\"sh\", 1], \"cwd\": \"/\", \"terminal\": true, \"uid\": 7,"
	    " \"unknownKey\": {\"deep\": [1,2,3]}, \"env\": null, \"user\": {}},"
	    " \"futureField\": 1}",
	    &err);
	ck_assert_msg(j != NULL, "%s", err.msg);
	json_t *proc = NULL, *arr = NULL;
	const char *cwd = NULL;
	bool term = false;
	int64_t uid = 0;
	ck_assert_int_eq(oci_json_get_object(j, "", "process", true, &proc, &err), 1);
	ck_assert_int_eq(oci_json_get_string(proc, "process", "cwd", true, &cwd, &err), 1);
	ck_assert_str_eq(cwd, "/");
	ck_assert_int_eq(oci_json_get_bool(proc, "process", "terminal", true, &term, &err), 1);
	ck_assert(term);
	ck_assert_int_eq(oci_json_get_int(proc, "process", "uid", true, &uid, &err), 1);
	ck_assert_int_eq(uid, 7);
	ck_assert_int_eq(oci_json_get_array(proc, "process", "args", true, &arr, &err), 1);
	ck_assert_int_eq(json_array_size(arr), 2);

	/* Optional and absent (or null): 0, output untouched. */
	const char *untouched = "keep";
	ck_assert_int_eq(oci_json_get_string(proc, "process", "hostname", false, &untouched, &err),
			 0);
	ck_assert_str_eq(untouched, "keep");
	ck_assert_int_eq(oci_json_get_string(proc, "process", "env", false, &untouched, &err), 0);
	ck_assert_str_eq(untouched, "keep");

	/* Required and absent: "path.key: missing"; at the root: "key: missing". */
	ck_assert_int_lt(oci_json_get_string(proc, "process", "hostname", true, &cwd, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	ck_assert_str_eq(err.msg, "process.hostname: missing");
	ck_assert_int_lt(oci_json_get_int(j, "", "x", true, &uid, &err), 0);
	ck_assert_str_eq(err.msg, "x: missing");

	/* Wrong types name the path and the expected type. */
	ck_assert_int_lt(oci_json_get_array(proc, "process", "cwd", true, &arr, &err), 0);
	ck_assert_str_eq(err.msg, "process.cwd: expected an array");
	ck_assert_int_lt(oci_json_get_string(proc, "process", "uid", true, &cwd, &err), 0);
	ck_assert_str_eq(err.msg, "process.uid: expected a string");
	ck_assert_int_lt(oci_json_get_bool(proc, "process", "uid", false, &term, &err), 0);
	ck_assert_str_eq(err.msg, "process.uid: expected a boolean");
	ck_assert_int_lt(oci_json_get_int(proc, "process", "terminal", true, &uid, &err), 0);
	ck_assert_str_eq(err.msg, "process.terminal: expected an integer");
	ck_assert_int_lt(oci_json_get_object(proc, "process", "args", true, &arr, &err), 0);
	ck_assert_str_eq(err.msg, "process.args: expected an object");
	/* Asking a non-object for a key. */
	ck_assert_int_lt(oci_json_get_string(arr, "process.args", "x", true, &cwd, &err), 0);
	ck_assert_str_eq(err.msg, "process.args: expected an object");
	json_decref(j);
}
END_TEST

START_TEST(test_strv)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *j = load(
	    "{\"ok\": [\"a\", \"b c\", \"\"], \"empty\": [], \"bad\": [\"a\", \"b\", {}]}", &err);
	ck_assert_ptr_nonnull(j);
	char **v = NULL;
	ck_assert_int_eq(oci_json_get_strv(j, "process", "ok", true, &v, &err), 1);
	ck_assert_str_eq(v[0], "a");
	ck_assert_str_eq(v[1], "b c");
	ck_assert_str_eq(v[2], "");
	ck_assert_ptr_null(v[3]);
	oci_strvfreep(&v);
	v = NULL;
	ck_assert_int_eq(oci_json_get_strv(j, "", "empty", true, &v, &err), 1);
	ck_assert_ptr_null(v[0]);
	oci_strvfreep(&v);
	v = NULL;
	ck_assert_int_lt(oci_json_get_strv(j, "process", "bad", true, &v, &err), 0);
	ck_assert_str_eq(err.msg, "process.bad[2]: expected a string");
	ck_assert_ptr_null(v);
	ck_assert_int_eq(oci_json_get_strv(j, "process", "none", false, &v, &err), 0);
	ck_assert_ptr_null(v);
	json_decref(j);
}
END_TEST

START_TEST(test_typed_containers)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *j = load("{\"env\": [\"A=1\", \"B=2\"], \"hist\": [{}, {\"x\": 1}], "
			 "\"mixed\": [{}, \"s\"], \"labels\": {\"a\": \"1\", \"b\": 2}, "
			 "\"flags\": [true, false], \"str\": \"x\"}",
			 &err);
	ck_assert_ptr_nonnull(j);
	json_t *v = NULL;
	ck_assert_int_eq(oci_json_get_array_of(j, "config", "env", true, JSON_STRING, &v, &err), 1);
	ck_assert_int_eq(json_array_size(v), 2);
	ck_assert_int_eq(oci_json_get_array_of(j, "", "hist", true, JSON_OBJECT, &v, &err), 1);
	ck_assert_int_eq(oci_json_get_array_of(j, "", "flags", true, JSON_TRUE, &v, &err), 1);
	v = NULL;
	ck_assert_int_lt(oci_json_get_array_of(j, "", "mixed", true, JSON_OBJECT, &v, &err), 0);
	ck_assert_str_eq(err.msg, "mixed[1]: expected an object");
	ck_assert_ptr_null(v);
	ck_assert_int_lt(oci_json_get_array_of(j, "config", "str", true, JSON_STRING, &v, &err), 0);
	ck_assert_str_eq(err.msg, "config.str: expected an array");
	ck_assert_int_lt(oci_json_get_object_of(j, "config", "labels", true, JSON_STRING, &v, &err),
			 0);
	ck_assert_str_eq(err.msg, "config.labels.\"b\": expected a string");
	ck_assert_int_eq(oci_json_get_object_of(j, "config", "none", false, JSON_STRING, &v, &err),
			 0);
	ck_assert_ptr_null(v);
	json_decref(j);
}
END_TEST

START_TEST(test_dump_pretty)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *j = load("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sh\"]}}", &err);
	ck_assert_ptr_nonnull(j);
	char *s = oci_json_dump_pretty(j, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "{\n"
			    "  \"ociVersion\": \"1.0.2\",\n"
			    "  \"process\": {\n"
			    "    \"args\": [\n"
			    "      \"sh\"\n"
			    "    ]\n"
			    "  }\n"
			    "}\n");
	/* And it reads back to the same document. */
	json_t *back = load(s, &err);
	ck_assert(json_equal(j, back));
	json_decref(back);
	free(s);
	json_decref(j);
}
END_TEST

static Suite *json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_size_cap);
	tcase_add_test(tc, test_depth_cap);
	tcase_add_test(tc, test_depth_ignores_strings);
	tcase_add_test(tc, test_invalid_and_duplicates);
	tcase_add_test(tc, test_getters);
	tcase_add_test(tc, test_strv);
	tcase_add_test(tc, test_typed_containers);
	tcase_add_test(tc, test_dump_pretty);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(json_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
