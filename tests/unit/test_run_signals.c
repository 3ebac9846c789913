/* Unit tests for run/signals.c's oci_signal_parse, what `kill ID SIGNAL` sends: numbers,
 * names with and without SIG, and RTMIN+N / RTMAX-N, whose offset once went through strtol
 * into an int, so that RTMIN+4294967297 sent RTMIN+1 and "RTMIN+ 2" was RTMIN+2. */
#include <check.h>
#include <signal.h>

#include "run/container.h"

static int parse(const char *s)
{
	oci_error err = OCI_ERROR_INIT;
	int r = oci_signal_parse(s, &err);
	oci_err_clear(&err);
	return r;
}

START_TEST(test_names_and_numbers)
{
	ck_assert_int_eq(parse("9"), SIGKILL);
	ck_assert_int_eq(parse("KILL"), SIGKILL);
	ck_assert_int_eq(parse("sigterm"), SIGTERM);
	ck_assert_int_eq(parse("SIGRTMIN"), SIGRTMIN);
	ck_assert_int_eq(parse("RTMIN+3"), SIGRTMIN + 3);
	ck_assert_int_eq(parse("SIGRTMAX-2"), SIGRTMAX - 2);
	ck_assert_int_eq(parse("RTMAX"), SIGRTMAX);
	ck_assert_int_eq(parse("64"), 64);
}
END_TEST

START_TEST(test_refused)
{
	const char *bad[] = {"0",
			     "65",
			     "4294967297", /* (int) of it is 1, SIGHUP */
			     "-1",
			     "NOPE",
			     "RTMIN+4294967297", /* wrapped to RTMIN+1 */
			     "RTMIN+18446744073709551617",
			     "RTMIN+ 2",
			     "RTMIN+",
			     "RTMIN3",
			     "RTMIN+31",
			     "RTMAX+1",
			     "RTMIN-1",
			     "RTMIN+2x",
			     ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		oci_error err = OCI_ERROR_INIT;
		ck_assert_msg(oci_signal_parse(bad[i], &err) < 0, "'%s' was taken", bad[i]);
		ck_assert_int_eq(err.code, OCI_E_INVALID);
		oci_err_clear(&err);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("run_signals");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_names_and_numbers);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
