/* Unit tests for run/cgroup/systemd_props.c: the GVariant text values of
 * org.systemd.property.* annotations (godbus's ParseVariant, the scalar part), runc's name
 * rule and its Sec -> USec conversion, and the one-line refusals. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "common/util.h"
#include "run/cgroup/systemd_dbus.h"

static oci_sd_value v;

static void ok(const char *text, char type)
{
	oci_error err = OCI_ERROR_INIT;
	int r = oci_sd_value_parse(text, &v, &err);
	ck_assert_msg(r == 0, "'%s': %s", text, err.msg);
	ck_assert_msg(v.type == type, "'%s': type %c, not %c", text, v.type, type);
}

static void bad(const char *text, const char *why)
{
	oci_error err = OCI_ERROR_INIT;
	ck_assert_msg(oci_sd_value_parse(text, &v, &err) < 0, "'%s' was taken", text);
	ck_assert_msg(strstr(err.msg, why), "'%s': '%s' has no '%s'", text, err.msg, why);
	ck_assert_int_eq(v.type, 0);
}

START_TEST(test_values)
{
	ok("uint64 15000000", 't');
	ck_assert_uint_eq(v.u, 15000000);
	ok("  uint64   18446744073709551615 ", 't');
	ck_assert_uint_eq(v.u, UINT64_MAX);
	ok("int64 -9223372036854775808", 'x');
	ck_assert(v.i == INT64_MIN);
	ok("uint32 0x10", 'u');
	ck_assert_uint_eq(v.u, 16);
	ok("uint32 010", 'u'); /* godbus: a leading 0 is octal */
	ck_assert_uint_eq(v.u, 8);
	ok("int16 -32768", 'n');
	ck_assert_int_eq(v.i, -32768);
	ok("byte 255", 'y');
	ok("42", 'i'); /* a bare number is an int32, as in GVariant */
	ck_assert_int_eq(v.i, 42);
	ok("-7", 'i');
	ok("1.5", 'd');
	ck_assert(v.d == 1.5);
	ok("2e3", 'd');
	ok("double 3", 'd');
	ok("true", 'b');
	ck_assert_uint_eq(v.u, 1);
	ok("boolean false", 'b');
	ck_assert_uint_eq(v.u, 0);
}
END_TEST

START_TEST(test_strings)
{
	ok("\"a \\\"b\\\"\\n\"", 's');
	ck_assert_str_eq(v.s, "a \"b\"\n");
	oci_sd_value_release(&v);
	ok("string 'caf\\u00e9 \\U0001F600'", 's');
	ck_assert_str_eq(v.s, "caf\xc3\xa9 \xf0\x9f\x98\x80");
	oci_sd_value_release(&v);
	ok("''", 's');
	ck_assert_str_eq(v.s, "");
	oci_sd_value_release(&v);
	/* nothing a D-Bus string cannot hold */
	bad("'\\u0000'", "cannot hold");
	bad("'\\ud800'", "cannot hold");
	bad("'\\U00110000'", "cannot hold");
	bad("'\\u12'", "short unicode escape");
	bad("'abc", "unterminated");
	bad("'abc\\'", "unterminated");
	bad("'", "unterminated");
}
END_TEST

START_TEST(test_refusals)
{
	bad("uint32 4294967296", "out of range");
	bad("uint64 18446744073709551616", "out of range");
	bad("uint64 99999999999999999999999", "out of range");
	bad("uint64 -1", "negative");
	bad("int32 2147483648", "out of range");
	bad("int64 -9223372036854775809", "out of range");
	bad("byte 256", "out of range");
	bad("42x", "not a number");
	bad("uint64 08", "not a number");
	bad("uint64 0x", "not a number");
	bad("uint64 1 2", "not a number");
	bad("double 1e999", "not a number");
	bad("uint64 true", "boolean where the type keyword asks another type");
	bad("uint64 'x'", "string where");
	bad("boolean 1", "number where");
	bad("", "no value");
	bad("uint64", "not a value");
	bad("uint64 ", "not a value");
	bad("[1, 2]", "no arrays");
	bad("<uint64 1>", "no arrays");
	bad("@t 1", "no arrays");
	bad("objectpath '/'", "no arrays");
	bad("10s", "not a number");
	bad("'a' 'b'", "after the closing quote");
	bad("'it''s'x'", "after the closing quote");
}
END_TEST

static oci_sd_props *props(const char *key, const char *value, oci_error *err)
{
	oci_config_kv a[] = {{(char *)"other", (char *)"[ignored]"}, {(char *)key, (char *)value}};
	oci_sd_props *p = oci_sd_props_new(err);
	ck_assert_ptr_nonnull(p);
	if (oci_sd_props_annotations(p, a, 2, err) < 0) {
		oci_sd_props_free(p);
		return NULL;
	}
	return p;
}

START_TEST(test_annotations)
{
	oci_error err = OCI_ERROR_INIT;
	oci_sd_props *p = props("org.systemd.property.TimeoutStopUSec", "uint64 15000000", &err);
	ck_assert_msg(p, "%s", err.msg);
	ck_assert_uint_eq(oci_sd_props_count(p), 1);
	oci_sd_props_free(p);
	/* NAMESec (a lower-case letter before Sec): seconds made microseconds, as runc */
	static const char *const secs[][2] = {{"uint64 10", NULL},
					      {"int32 3", NULL},
					      {"7", NULL},
					      {"1.5", NULL},
					      {"-1", "out of range"},
					      {"uint64 18446744073709551615", "out of range"},
					      {"true", "not a number of seconds"},
					      {"'10s'", "not a number of seconds"}};
	for (size_t i = 0; i < ARRAY_SIZE(secs); i++) {
		err = (oci_error)OCI_ERROR_INIT;
		p = props("org.systemd.property.TimeoutStopSec", secs[i][0], &err);
		if (!secs[i][1]) {
			ck_assert_msg(p, "%s: %s", secs[i][0], err.msg);
			oci_sd_props_free(p);
			continue;
		}
		ck_assert_msg(!p, "%s taken", secs[i][0]);
		ck_assert_msg(strstr(err.msg, secs[i][1]), "%s", err.msg);
		ck_assert_msg(strstr(err.msg, "annotation 'org.systemd.property.TimeoutStopSec'"),
			      "%s", err.msg);
	}
	/* the names runc refuses, and the ones the driver's handle relies on */
	static const char *const names[][2] = {
	    {"org.systemd.property.Ab", "too short"},
	    {"org.systemd.property.CPU_Weight", "not only ASCII letters"},
	    {"org.systemd.property.Memory\xc3\xa9", "not only ASCII letters"},
	    {"org.systemd.property.", "too short"},
	    {"org.systemd.property."
	     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	     "too long"},
	    {"org.systemd.property.Slice", "set by oci-run's systemd driver"},
	    {"org.systemd.property.PIDs", "set by oci-run's systemd driver"}};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		err = (oci_error)OCI_ERROR_INIT;
		ck_assert(!props(names[i][0], "uint64 1", &err));
		ck_assert_msg(strstr(err.msg, names[i][1]), "%s", err.msg);
		ck_assert_msg(strstr(err.msg, "annotation 'org.systemd.property."), "%s", err.msg);
	}
	/* a bad value: one line naming the annotation, the value cut short */
	char big[4096];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err = (oci_error)OCI_ERROR_INIT;
	ck_assert(!props("org.systemd.property.CPUWeight", big, &err));
	ck_assert_msg(strstr(err.msg, "annotation 'org.systemd.property.CPUWeight': value 'xxx"),
		      "%s", err.msg);
	ck_assert_msg(strlen(err.msg) < 400, "%s", err.msg);
	ck_assert(!strchr(err.msg, '\n'));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("run_cgroup_systemd_props");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_annotations);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
