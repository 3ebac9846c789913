/* Unit tests for common/toml.c: the TOML subset registries.conf files are written in, parsed
 * into the same tree a TOML library would give, and everything outside the subset or broken
 * refused with its line. */
#include <check.h>
#include <string.h>

#include "common/toml.h"

static json_t *parse_ok(const char *s)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *j = oci_toml_parse(s, strlen(s), "t", &err);
	ck_assert_msg(j, "refused '%s': %s", s, err.msg);
	return j;
}

static void parse_bad(const char *s, const char *want)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *j = oci_toml_parse(s, strlen(s), "t", &err);
	ck_assert_msg(!j, "accepted '%s'", s);
	ck_assert_msg(strstr(err.msg, want), "'%s': message '%s' lacks '%s'", s, err.msg, want);
}

/* The tree as compact JSON with sorted keys equals want. */
static void expect_json(const char *toml, const char *want)
{
	json_t *j = parse_ok(toml);
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	ck_assert_str_eq(s, want);
	free(s);
	json_decref(j);
}

START_TEST(registries_conf_shapes)
{
	expect_json(
	    "# comment\n"
	    "unqualified-search-registries = ['a.io', \"b.io\", ] # trailing\n"
	    "short-name-mode=\"enforcing\"\r\n"
	    "\n"
	    "[[registry]]\n"
	    "prefix = \"x.io/foo\"\n"
	    "insecure = true\n"
	    "[[registry.mirror]]\n"
	    "location = \"m1.io\"\n"
	    "[[registry.mirror]]\n"
	    "location = \"m2.io\"\n"
	    "pull-from-mirror = \"digest-only\"\n"
	    "[[registry]]\n"
	    "location = \"y.io\"\n"
	    "mirror = [ { location = \"m3.io\", insecure = false },\n"
	    "  # comment in an array\n"
	    "]\n"
	    "[aliases]\n"
	    "\"busybox\" = \"docker.io/library/busybox\"\n"
	    "'opensuse/leap' = 'registry.opensuse.org/opensuse/leap'\n",
	    "{\"aliases\":{\"busybox\":\"docker.io/library/busybox\",\"opensuse/leap\":"
	    "\"registry.opensuse.org/opensuse/leap\"},\"registry\":[{\"insecure\":true,"
	    "\"mirror\":[{\"location\":\"m1.io\"},{\"location\":\"m2.io\",\"pull-from-"
	    "mirror\":\"digest-only\"}],\"prefix\":\"x.io/foo\"},{\"location\":\"y.io\","
	    "\"mirror\":[{\"insecure\":false,\"location\":\"m3.io\"}]}],\"short-name-mode\":"
	    "\"enforcing\",\"unqualified-search-registries\":[\"a.io\",\"b.io\"]}");
}
END_TEST

START_TEST(values_and_keys)
{
	expect_json("a.b.c = 1\na.d = -42\ne = +7\nf = 1_000\n",
		    "{\"a\":{\"b\":{\"c\":1},\"d\":-42},"
		    "\"e\":7,\"f\":1000}");
	expect_json("s = \"q\\\" \\\\ \\t \\u00e9 \\U0001F600\"\nl = 'C:\\path'\n",
		    "{\"l\":\"C:\\\\path\",\"s\":\"q\\\" \\\\ \\t \\u00E9 \\uD83D\\uDE00\"}");
	expect_json("[x.y]\n[x]\nz = true\n", "{\"x\":{\"y\":{},\"z\":true}}");
	expect_json("n = [[1, 2], [\"a\"], []]\n", "{\"n\":[[1,2],[\"a\"],[]]}");
	expect_json("\xef\xbb\xbf"
		    "a = 1",
		    "{\"a\":1}");
	expect_json("", "{}");
}
END_TEST

START_TEST(refusals_name_their_line)
{
	parse_bad("a = 1\na = 2\n", "line 2: duplicate key 'a'");
	parse_bad("[t]\n[t]\n", "line 2: table 't' is defined twice");
	parse_bad("a = 1\n[a]\n", "'a' is already defined as a value");
	parse_bad("a = [1]\n[[a]]\n", "not an array of tables");
	parse_bad("a = {b = 1}\n[a]\n", "already defined as a value");
	parse_bad("a = {b = 1}\n[a.c]\n", "already defined as a value");
	parse_bad("a = 1.5\n", "floats and dates are not supported");
	parse_bad("a = 1979-05-27\n", "floats and dates are not supported");
	parse_bad("a = 0x10\n", "only decimal integers");
	parse_bad("a = 99999999999999999999\n", "out of range");
	parse_bad("a = \"\"\"x\"\"\"\n", "multi-line strings are not supported");
	parse_bad("a = \"x\n", "line 1: unterminated string");
	parse_bad("a = \"\\q\"\n", "invalid escape");
	parse_bad("a = \"\\u0000\"\n", "invalid character");
	parse_bad("a = \"\\ud800\"\n", "invalid character");
	parse_bad("a = \"\x01\"\n", "control character");
	parse_bad("a = \"\xff\"\n", "not valid UTF-8");
	parse_bad("a = 1 b = 2\n", "one key = value per line");
	parse_bad("a\n", "expected '=' after the key 'a'");
	parse_bad("= 1\n", "unexpected '=' in a key");
	parse_bad("a = \n", "expected a value");
	parse_bad("a = nope\n", "unsupported value");
	parse_bad("[a\n", "expected ']' to close");
	parse_bad("[[a]\n", "expected ']]' to close");
	parse_bad("a = {b = 1,\nc = 2}\n", "expected a key");
	parse_bad("a = {b = 1\n}\n", "on one line");
	parse_bad("a = [1 2]\n", "expected ',' or ']'");
	parse_bad("a = \"x\"\r\n\rb = 1\n", "stray carriage return");
}
END_TEST

START_TEST(bounded)
{
	/* nesting: a fixed cap, whatever the input */
	char deep[64];
	memset(deep, 0, sizeof(deep));
	strcpy(deep, "a = ");
	memset(deep + 4, '[', 20);
	parse_bad(deep, "nested deeper than 8 levels");
	char many[200] = "";
	for (int i = 0; i < 17; i++)
		strcat(many, "k.");
	strcat(many, "k = 1\n");
	parse_bad(many, "key with more than 16 parts");
	size_t big = OCI_TOML_MAX_SIZE + 1;
	char *b = malloc(big);
	ck_assert_ptr_nonnull(b);
	memset(b, '#', big);
	oci_error err = OCI_ERROR_INIT;
	ck_assert_ptr_null(oci_toml_parse(b, big, "t", &err));
	ck_assert_int_eq(err.code, OCI_E_LIMIT);
	free(b);
	/* a NUL inside a key or string, which a C string would silently cut */
	err = (oci_error)OCI_ERROR_INIT;
	ck_assert_ptr_null(oci_toml_parse("a = 'x\0y'\n", 10, "t", &err));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("toml");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, registries_conf_shapes);
	tcase_add_test(tc, values_and_keys);
	tcase_add_test(tc, refusals_name_their_line);
	tcase_add_test(tc, bounded);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
