/* Unit tests for common/cli.c: the one option table each tool declares must parse the
 * command lines people and container engines write (GNU style and runc's -bundle style). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"

enum { OPT_ROOT = 256, OPT_LOG_FORMAT, OPT_COLOR };

static const oci_cli_option opts[] = {
    {"bundle", 'b', OCI_ARG_REQUIRED, "DIR", "path to the bundle directory", 'b'},
    {"detach", 'd', OCI_ARG_NONE, NULL, "detach from the container's process", 'd'},
    {"quiet", 'q', OCI_ARG_NONE, NULL, "print nothing but errors", 'q'},
    {"pid-file", 0, OCI_ARG_REQUIRED, "FILE", "write the container's pid to FILE", 'p'},
    {"root", 0, OCI_ARG_REQUIRED, "DIR", "state directory", OPT_ROOT},
    {"log-format", 0, OCI_ARG_REQUIRED, NULL, "text or json", OPT_LOG_FORMAT},
    {"color", 0, OCI_ARG_OPTIONAL, "WHEN", "colour output", OPT_COLOR},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", 'h'},
};

/* Parse a space-separated command line; record "id=arg" per option and the operands. */
struct result {
	char opts[512];
	char operands[256];
	int rc;
	char err[OCI_ERR_MSG_MAX];
};

static struct result parse(const char *line, bool stop_at_nonopt)
{
	static char storage[1024];
	char *argv[64];
	int argc = 0;
	struct result r = {"", "", 0, ""};
	oci_cli c;
	oci_error err = OCI_ERROR_INIT;
	snprintf(storage, sizeof(storage), "%s", line);
	argv[argc++] = "prog";
	for (char *t = strtok(storage, " "); t; t = strtok(NULL, " "))
		argv[argc++] = strcmp(t, "''") ? t : "";
	argv[argc] = NULL;
	oci_cli_init(&c, opts, sizeof(opts) / sizeof(opts[0]), argc, argv, 1, stop_at_nonopt);
	int id;
	while ((id = oci_cli_next(&c, &err)) > 0) {
		char one[128];
		snprintf(one, sizeof(one), "%s%d=%s", r.opts[0] ? " " : "", id,
			 c.optarg ? c.optarg : "(null)");
		strcat(r.opts, one);
	}
	r.rc = id;
	if (id < 0) {
		snprintf(r.err, sizeof(r.err), "%s", err.msg);
		return r;
	}
	for (int i = c.index; i < argc; i++) {
		strcat(r.operands, r.operands[0] ? " " : "");
		strcat(r.operands, argv[i]);
	}
	return r;
}

#define EXPECT(line, want_opts, want_operands)                                                     \
	do {                                                                                       \
		struct result _r = parse(line, false);                                             \
		ck_assert_msg(_r.rc == 0, "'%s': %s", line, _r.err);                               \
		ck_assert_msg(!strcmp(_r.opts, want_opts), "'%s': options '%s', want '%s'", line,  \
			      _r.opts, want_opts);                                                 \
		ck_assert_msg(!strcmp(_r.operands, want_operands),                                 \
			      "'%s': operands '%s', want '%s'", line, _r.operands, want_operands); \
	} while (0)

#define EXPECT_ERROR(line, want_msg)                                                               \
	do {                                                                                       \
		struct result _r = parse(line, false);                                             \
		ck_assert_msg(_r.rc < 0, "'%s' accepted", line);                                   \
		ck_assert_msg(!strcmp(_r.err, want_msg), "'%s': error '%s', want '%s'", line,      \
			      _r.err, want_msg);                                                   \
	} while (0)

START_TEST(test_long_and_short)
{
	EXPECT("--bundle /b id", "98=/b", "id");
	EXPECT("--bundle=/b id", "98=/b", "id");
	EXPECT("--bundle= id", "98=", "id"); /* explicit empty value */
	EXPECT("-b /b id", "98=/b", "id");
	EXPECT("-b/b id", "98=/b", "id");
	EXPECT("--pid-file /run/p --root=/r id", "112=/run/p 256=/r", "id");
	EXPECT("--detach --quiet", "100=(null) 113=(null)", "");
	EXPECT("--color", "258=(null)", "");
	EXPECT("--color=always x", "258=always", "x");
	EXPECT("--color never", "258=(null)",
	       "never"); /* optional arguments only attach with '=' */
	EXPECT("--log-format json x", "257=json", "x");
	EXPECT("", "", "");
	EXPECT("- x", "", "- x"); /* a lone '-' is an operand (stdin) */
}
END_TEST

START_TEST(test_clusters)
{
	EXPECT("-dq id", "100=(null) 113=(null)", "id");
	EXPECT("-qdb /b id", "113=(null) 100=(null) 98=/b", "id");
	EXPECT("-qdb/b id", "113=(null) 100=(null) 98=/b", "id");
	EXPECT("-d -q", "100=(null) 113=(null)", "");
}
END_TEST

START_TEST(test_runc_single_dash_long)
{
	/* containerd and podman call runtimes with Go-style flags. */
	EXPECT("-bundle /b id", "98=/b", "id");
	EXPECT("-bundle=/b id", "98=/b", "id");
	EXPECT("-pid-file /p -detach id", "112=/p 100=(null)", "id");
	EXPECT("-root /r -log-format=json", "256=/r 257=json", "");
}
END_TEST

START_TEST(test_permutation)
{
	EXPECT("id --detach", "100=(null)", "id");
	EXPECT("a -d b -q c", "100=(null) 113=(null)", "a b c");
	/* An option's argument stays with it when it comes after an operand. */
	EXPECT("id --bundle /b", "98=/b", "id");
	EXPECT("id -b /b", "98=/b", "id");
	EXPECT("a --bundle /b c", "98=/b", "a c");
	EXPECT("a b -b /b c -q d", "98=/b 113=(null)", "a b c d");
	EXPECT("a -qb /b c", "113=(null) 98=/b", "a c");
	EXPECT("a -bundle /b c", "98=/b", "a c");
	EXPECT("a --root=/r c", "256=/r", "a c");
}
END_TEST

START_TEST(test_double_dash)
{
	EXPECT("-d -- -q --bundle x", "100=(null)", "-q --bundle x");
	EXPECT("a -- -q", "", "a -q");
	EXPECT("a -d -- -b x", "100=(null)", "a -b x");
	EXPECT("--bundle -- x", "98=--", "x"); /* "--" as a required argument is a value */
}
END_TEST

START_TEST(test_stop_at_nonopt)
{
	/* Subcommand dispatch: global options, then the subcommand and everything after it. */
	struct result r = parse("--root /r run -d id", true);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.opts, "256=/r");
	ck_assert_str_eq(r.operands, "run -d id");
	r = parse("exec id sh -c ls", true);
	ck_assert_str_eq(r.opts, "");
	ck_assert_str_eq(r.operands, "exec id sh -c ls");
}
END_TEST

START_TEST(test_errors)
{
	EXPECT_ERROR("--nope", "unknown option '--nope'");
	EXPECT_ERROR("--nope=1", "unknown option '--nope'");
	EXPECT_ERROR("-z", "unknown option '-z'");
	EXPECT_ERROR("-dz", "unknown option '-z'");
	EXPECT_ERROR("--bundle", "option '--bundle' needs an argument");
	EXPECT_ERROR("id --bundle", "option '--bundle' needs an argument");
	EXPECT_ERROR("-b", "option '-b' needs an argument");
	EXPECT_ERROR("-db", "option '-b' needs an argument");
	EXPECT_ERROR("-bundle", "option '--bundle' needs an argument");
	EXPECT_ERROR("a -bundle", "option '--bundle' needs an argument");
	EXPECT_ERROR("a -db", "option '-b' needs an argument");
	EXPECT_ERROR("--detach=yes", "option '--detach' takes no argument");
}
END_TEST

START_TEST(test_help_lists_every_option)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	oci_cli_help(f, "oci-run run [OPTIONS] ID", "Create and start a container.", opts,
		     sizeof(opts) / sizeof(opts[0]));
	fclose(f);
	ck_assert_msg(
	    !strncmp(buf, "Usage: oci-run run [OPTIONS] ID\n\nCreate and start a container.\n", 63),
	    "%s", buf);
	static const char *want[] = {
	    "  -b, --bundle DIR ",
	    "path to the bundle directory\n",
	    "  -d, --detach ",
	    "detach from the container's process\n",
	    "  -q, --quiet ",
	    "      --pid-file FILE ",
	    "write the container's pid to FILE\n",
	    "      --root DIR ",
	    "      --log-format VALUE ",
	    "      --color[=WHEN] ",
	    "  -h, --help ",
	    "show this help\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(strstr(buf, want[i]), "help lacks '%s':\n%s", want[i], buf);
	/* One line per option after the header. */
	int lines = 0;
	for (char *p = strstr(buf, "Options:\n"); p && *p; p++)
		lines += *p == '\n';
	ck_assert_int_eq(lines, 1 + (int)(sizeof(opts) / sizeof(opts[0])));
	free(buf);
}
END_TEST

/* A tool with commands in a larger struct, as run/main.c declares them. */
static const struct tool_cmd {
	oci_cli_command doc;
	int fn;
} cmds[] = {
    {{"create", "create a container", "# create c1\noci-run create c1"}, 1},
    {{"run", "create and start a container", NULL}, 2},
};
static const oci_cli_tool tool = {"oci-run", "an OCI runtime", NULL, &cmds[0].doc,
				  2,	     sizeof(cmds[0])};

static char *help_of(const char *format, const char *command)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (format)
		setenv("OCI_TOOLKIT_HELP_FORMAT", format, 1);
	else
		unsetenv("OCI_TOOLKIT_HELP_FORMAT");
	oci_cli_set_tool(&tool);
	if (command)
		ck_assert_ptr_nonnull(oci_cli_enter_command(command));
	oci_cli_help(f, command ? "oci-run create [OPTIONS] ID" : "oci-run COMMAND", NULL, opts, 2);
	fclose(f);
	unsetenv("OCI_TOOLKIT_HELP_FORMAT");
	return buf;
}

START_TEST(test_tool_and_command_help)
{
	char *t = help_of(NULL, NULL);
	ck_assert_msg(strstr(t, "\nAn OCI runtime.\n"), "%s", t);
	ck_assert_msg(strstr(t, "Commands:\n  create       create a container\n"
				"  run          create and start a container\n"),
		      "%s", t);
	free(t);
	t = help_of(NULL, "create");
	ck_assert_msg(strstr(t, "\nCreate a container.\n"), "%s", t);
	ck_assert_msg(strstr(t, "Examples:\n  # create c1\n  oci-run create c1\n"), "%s", t);
	ck_assert_msg(!strstr(t, "Commands:"), "%s", t);
	free(t);
	/* the man page: name line, escaped options, examples, and a way back to the tool */
	t = help_of("man", "create");
	ck_assert_msg(!strncmp(t, ".TH OCI-RUN-CREATE 1 ", 21), "%s", t);
	ck_assert_msg(strstr(t, ".SH NAME\noci\\-run\\-create \\- create a container\n"), "%s", t);
	ck_assert_msg(strstr(t, "\\fB\\-b\\fR, \\fB\\-\\-bundle\\fR \\fIDIR\\fR\n"), "%s", t);
	ck_assert_msg(strstr(t, "oci\\-run create c1\n"), "%s", t);
	ck_assert_msg(strstr(t, ".SH SEE ALSO\n\\fBoci\\-run\\fR(1)\n"), "%s", t);
	free(t);
	/* the list the completion generator reads */
	t = help_of("list", NULL);
	ck_assert_str_eq(t, "option\t--bundle\t-b\tDIR\noption\t--detach\t-d\t\n"
			    "command\tcreate\tcreate a container\n"
			    "command\trun\tcreate and start a container\n");
	free(t);
	oci_error err = OCI_ERROR_INIT;
	oci_cli_set_tool(&tool);
	ck_assert_ptr_null(oci_cli_enter_command("frob"));
	ck_assert_int_eq(oci_cli_unknown_command("frob", &err), -1);
	ck_assert_str_eq(err.msg,
			 "unknown command 'frob' (commands: create, run; see oci-run --help)");
	ck_assert_int_eq(((const struct tool_cmd *)(const void *)oci_cli_enter_command("run"))->fn,
			 2);
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_long_and_short);
	tcase_add_test(tc, test_clusters);
	tcase_add_test(tc, test_runc_single_dash_long);
	tcase_add_test(tc, test_permutation);
	tcase_add_test(tc, test_double_dash);
	tcase_add_test(tc, test_stop_at_nonopt);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_help_lists_every_option);
	tcase_add_test(tc, test_tool_and_command_help);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cli_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
