/* Unit tests for fetch/registries_conf.c: which sources a reference is pulled from (prefix
 * matching as containers/image does it, mirrors and their pull-from-mirror modes, rewrites,
 * blocked), how drop-ins merge, and how short names resolve. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "fetch/registries_conf.h"

static void merge(oci_regconf *c, const char *text)
{
	oci_error err = OCI_ERROR_INIT;
	ck_assert_msg(oci_regconf_merge(c, text, strlen(text), "conf", &err) == 0, "'%s': %s", text,
		      err.msg);
}

static void merge_bad(const char *text, const char *want)
{
	oci_regconf c;
	memset(&c, 0, sizeof(c));
	oci_error err = OCI_ERROR_INIT;
	ck_assert_msg(oci_regconf_merge(&c, text, strlen(text), "conf", &err) < 0, "accepted '%s'",
		      text);
	ck_assert_msg(strstr(err.msg, want), "'%s': '%s' lacks '%s'", text, err.msg, want);
	oci_regconf_release(&c);
}

/* The sources for ref as "ref[!insecure][(mirror)]" joined by spaces. */
static void expect_sources(const oci_regconf *c, const char *ref, const char *want)
{
	oci_ref r;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_ref_parse(ref, &r, &err), 0);
	oci_pull_source *src;
	size_t n;
	ck_assert_msg(oci_regconf_sources(c, &r, &src, &n, &err) == 0, "%s: %s", ref, err.msg);
	char got[4096] = "", one[1024];
	for (size_t i = 0; i < n; i++) {
		oci_ref_str(&src[i].ref, one, sizeof(one));
		strcat(got, i ? " " : "");
		strcat(got, one);
		strcat(got, src[i].insecure ? "!" : "");
		strcat(got, src[i].mirror ? "(m)" : "");
	}
	free(src);
	ck_assert_msg(!strcmp(got, want), "%s: got '%s', want '%s'", ref, got, want);
}

static void expect_resolve(const oci_regconf *c, const char *in, const char *want)
{
	char **v = NULL;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_msg(oci_regconf_resolve(c, in, &v, &err) == 0, "%s: %s", in, err.msg);
	char got[2048] = "";
	for (size_t i = 0; v[i]; i++) {
		strcat(got, i ? " " : "");
		strcat(got, v[i]);
	}
	oci_strvfreep(&v);
	ck_assert_msg(!strcmp(got, want), "%s: got '%s', want '%s'", in, got, want);
}

#define D "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

START_TEST(prefixes_mirrors_and_rewrites)
{
	oci_regconf c;
	memset(&c, 0, sizeof(c));
	merge(&c, "[[registry]]\nprefix = \"example.com/foo\"\nlocation = \"internal.net/bar\"\n"
		  "[[registry.mirror]]\nlocation = \"m0.local/mirror-for-foo\"\n"
		  "[[registry.mirror]]\nlocation = \"m1.local/mirrors/foo\"\ninsecure = true\n"
		  "[[registry]]\nlocation = \"registry.com\"\n"
		  "[[registry.mirror]]\nlocation = \"mirror.registry.com\"\n"
		  "pull-from-mirror = \"tag-only\"\n"
		  "[[registry]]\nprefix = \"*.wild.io\"\ninsecure = true\n"
		  "[[registry]]\nlocation = \"d.io\"\nmirror-by-digest-only = true\n"
		  "[[registry.mirror]]\nlocation = \"dm.io/x/\"\n");
	/* the man page's example, in order */
	expect_sources(
	    &c, "example.com/foo/image:latest",
	    "m0.local/mirror-for-foo/image:latest(m) m1.local/mirrors/foo/image:latest!(m) "
	    "internal.net/bar/image:latest");
	/* a prefix ends at '/', ':' or '@' only */
	expect_sources(&c, "example.com/foobar/image:1", "example.com/foobar/image:1");
	expect_sources(&c, "example.com/foo:1",
		       "m0.local/mirror-for-foo:1(m) "
		       "m1.local/mirrors/foo:1!(m) internal.net/bar:1");
	/* tag-only mirror: skipped for a digest */
	expect_sources(&c, "registry.com/a/b:t", "mirror.registry.com/a/b:t(m) registry.com/a/b:t");
	expect_sources(&c, "registry.com/a/b" D, "registry.com/a/b" D);
	/* wildcard: any depth of subdomain, no rewrite, never the bare domain or a lookalike */
	expect_sources(&c, "a.b.wild.io/x:1", "a.b.wild.io/x:1!");
	expect_sources(&c, "wild.io/x:1", "wild.io/x:1");
	expect_sources(&c, "a.wild.io.evil.com/x:1", "a.wild.io.evil.com/x:1");
	expect_sources(&c, "evil.com/a.wild.io/x:1", "evil.com/a.wild.io/x:1");
	/* mirror-by-digest-only: mirrors for digests only; a trailing '/' is dropped */
	expect_sources(&c, "d.io/r:t", "d.io/r:t");
	expect_sources(&c, "d.io/r" D, "dm.io/x/r" D "(m) d.io/r" D);
	/* no table: the reference as is */
	expect_sources(&c, "other.io/r:t", "other.io/r:t");
	oci_regconf_release(&c);
}
END_TEST

START_TEST(longest_prefix_and_blocked)
{
	oci_regconf c;
	memset(&c, 0, sizeof(c));
	merge(&c, "[[registry]]\nlocation = \"r.io\"\n[[registry]]\nprefix = \"r.io/ns\"\n"
		  "location = \"r.io/ns\"\nblocked = true\n"
		  "[[registry]]\nprefix = \"r.io/ns/ok\"\nlocation = \"s.io/ok\"\n");
	expect_sources(&c, "r.io/a:1", "r.io/a:1");
	expect_sources(&c, "r.io/ns/ok/x:1", "s.io/ok/x:1");
	oci_ref r;
	oci_error err = OCI_ERROR_INIT;
	oci_pull_source *src;
	size_t n;
	ck_assert_int_eq(oci_ref_parse("r.io/ns/b:1", &r, &err), 0);
	ck_assert_int_lt(oci_regconf_sources(&c, &r, &src, &n, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_AUTH);
	ck_assert_ptr_nonnull(strstr(err.msg, "blocked by registries.conf (prefix 'r.io/ns'"));
	oci_regconf_release(&c);
}
END_TEST

START_TEST(dropins_merge)
{
	oci_regconf c;
	memset(&c, 0, sizeof(c));
	merge(&c, "unqualified-search-registries = [\"a.io\", \"b.io\"]\n"
		  "[aliases]\n\"x\" = \"a.io/lib/x\"\n\"y\" = \"a.io/lib/y\"\n"
		  "[[registry]]\nlocation = \"a.io\"\nblocked = true\n");
	/* a later file: replaces the search list and the a.io table, erases an alias */
	merge(&c, "unqualified-search-registries = [\"c.io\"]\n[aliases]\n\"x\" = \"\"\n"
		  "[[registry]]\nlocation = \"a.io\"\ninsecure = true\n");
	ck_assert_uint_eq(c.n_search, 1);
	ck_assert_str_eq(c.search[0], "c.io");
	ck_assert_uint_eq(c.n_regs, 1);
	ck_assert(!c.regs[0].blocked && c.regs[0].insecure);
	expect_resolve(&c, "x:1", "c.io/x:1");
	expect_resolve(&c, "y" D, "a.io/lib/y" D);
	/* a file without a search list keeps the earlier one */
	merge(&c, "[aliases]\n\"z\" = \"q.io/z\"\n");
	expect_resolve(&c, "w", "c.io/w");
	oci_regconf_release(&c);
}
END_TEST

START_TEST(short_names)
{
	oci_regconf c;
	memset(&c, 0, sizeof(c));
	/* nothing configured: Docker's normalisation */
	expect_resolve(&c, "busybox", "busybox");
	merge(&c, "unqualified-search-registries = [\"a.io\", \"b.io:5000\"]\n"
		  "[aliases]\n\"tools\" = \"q.io/team/tools\"\n\"org/app\" = \"q.io/org/app\"\n");
	expect_resolve(&c, "a.io/x", "a.io/x");
	expect_resolve(&c, "localhost/x", "localhost/x");
	expect_resolve(&c, "tools:1.2", "q.io/team/tools:1.2");
	expect_resolve(&c, "org/app", "q.io/org/app");
	char **v = NULL;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_lt(oci_regconf_resolve(&c, "other:1", &v, &err), 0);
	ck_assert_msg(strstr(err.msg, "'other:1' is a short name and 2 unqualified-search "
				      "registries could serve it (a.io, b.io:5000)"),
		      "%s", err.msg);
	merge(&c, "short-name-mode = \"permissive\"\n");
	expect_resolve(&c, "other:1", "a.io/other:1 b.io:5000/other:1");
	oci_regconf_release(&c);
}
END_TEST

START_TEST(v1_format)
{
	oci_regconf c;
	memset(&c, 0, sizeof(c));
	merge(&c, "[registries.search]\nregistries = ['s.io']\n[registries.insecure]\n"
		  "registries = ['i.io', 'b.io']\n[registries.block]\nregistries = ['b.io']\n");
	expect_resolve(&c, "x", "s.io/x");
	expect_sources(&c, "i.io/x:1", "i.io/x:1!");
	oci_ref r;
	oci_error err = OCI_ERROR_INIT;
	oci_pull_source *src;
	size_t n;
	ck_assert_int_eq(oci_ref_parse("b.io/x", &r, &err), 0);
	ck_assert_int_lt(oci_regconf_sources(&c, &r, &src, &n, &err), 0);
	oci_regconf_release(&c);
}
END_TEST

START_TEST(refusals)
{
	merge_bad("[[registry]]\ninsecure = true\n", "needs a location or a prefix");
	merge_bad("[[registry]]\nlocation = \"UPPER..io\"\n", "not host[:port][/path]");
	merge_bad("[[registry]]\nprefix = \"*.a.io/x\"\n", "a wildcard prefix is '*.domain' only");
	merge_bad("[[registry]]\nprefix = \"*.a.io\"\nlocation = \"b.io\"\n", "location must be "
									      "empty");
	merge_bad("[[registry]]\nlocation = \"a.io\"\nmirror = [{insecure = true}]\n",
		  "registry[0].mirror[0].location: missing");
	merge_bad("[[registry]]\nlocation = \"a.io\"\ninsecure = \"yes\"\n",
		  "registry[0].insecure: expected a boolean");
	merge_bad("unqualified-search-registries = \"a.io\"\n", "expected an array");
	merge_bad("unqualified-search-registries = [\"a.io/ns\"]\n", "is not a host[:port]");
	merge_bad("[aliases]\n\"x\" = 1\n", "aliases.x: expected a string");
	merge_bad("[aliases]\n\"x:1\" = \"a.io/x\"\n", "is not a short name");
	merge_bad("[aliases]\n\"localhost/x\" = \"a.io/x\"\n", "is not a short name");
	merge_bad("[aliases]\n\"x\" = \"a.io/x@sha256:0123456789abcdef0123456789abcdef0123456789"
		  "abcdef0123456789abcdef\"\n",
		  "must be a qualified name");
	merge_bad("[aliases]\n\"x\" = \"x\"\n", "must be a qualified name");
	merge_bad("credential-helpers = [\"pass\"]\n", "'pass' is not supported");
	/* the documented default helper is what oci-fetch does */
	oci_regconf c;
	memset(&c, 0, sizeof(c));
	merge(&c, "credential-helpers = [\"containers-auth.json\"]\n");
	oci_regconf_release(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fetch_registries_conf");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, prefixes_mirrors_and_rewrites);
	tcase_add_test(tc, longest_prefix_and_blocked);
	tcase_add_test(tc, dropins_merge);
	tcase_add_test(tc, short_names);
	tcase_add_test(tc, v1_format);
	tcase_add_test(tc, refusals);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
