/* Unit tests for common/ref.c: Docker's normalisation of image references and the
 * distribution grammar's validation, which decide what oci-fetch asks a registry for. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "common/ref.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Parse s and compare the normalised string form. */
static void expect_ref(const char *s, const char *domain, const char *path, const char *tag,
		       bool has_digest, const char *full)
{
	oci_ref r;
	oci_error err = OCI_ERROR_INIT;
	char buf[1024];
	ck_assert_msg(oci_ref_parse(s, &r, &err) == 0, "'%s' refused: %s", s, err.msg);
	ck_assert_str_eq(r.domain, domain);
	ck_assert_str_eq(r.path, path);
	ck_assert_str_eq(r.tag, tag);
	ck_assert_int_eq(r.has_digest, has_digest);
	ck_assert_str_eq(oci_ref_str(&r, buf, sizeof(buf)), full);
}

/* Parse s, expect a refusal with OCI_E_INVALID whose message quotes s and contains what. */
static void expect_bad(const char *s, const char *what)
{
	oci_ref r;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_msg(oci_ref_parse(s, &r, &err) < 0, "'%s' accepted", s);
	ck_assert_msg(err.code == OCI_E_INVALID, "'%s': code %d (%s)", s, err.code, err.msg);
	ck_assert_msg(strstr(err.msg, "invalid reference"), "'%s': message '%s'", s, err.msg);
	ck_assert_msg(strstr(err.msg, what), "'%s': message '%s' lacks '%s'", s, err.msg, what);
}

START_TEST(test_docker_hub_normalisation)
{
	expect_ref("busybox", "docker.io", "library/busybox", "latest", false,
		   "docker.io/library/busybox:latest");
	expect_ref("busybox:1.36", "docker.io", "library/busybox", "1.36", false,
		   "docker.io/library/busybox:1.36");
	expect_ref("foo/bar", "docker.io", "foo/bar", "latest", false, "docker.io/foo/bar:latest");
	expect_ref("index.docker.io/foo/bar", "docker.io", "foo/bar", "latest", false,
		   "docker.io/foo/bar:latest");
	expect_ref("index.docker.io/busybox", "docker.io", "library/busybox", "latest", false,
		   "docker.io/library/busybox:latest");
	expect_ref("docker.io/busybox", "docker.io", "library/busybox", "latest", false,
		   "docker.io/library/busybox:latest");
	expect_ref("docker.io/library/busybox:musl", "docker.io", "library/busybox", "musl", false,
		   "docker.io/library/busybox:musl");
}
END_TEST

START_TEST(test_hosts_and_ports)
{
	expect_ref("localhost:5000/x", "localhost:5000", "x", "latest", false,
		   "localhost:5000/x:latest");
	expect_ref("localhost/x", "localhost", "x", "latest", false, "localhost/x:latest");
	expect_ref("[::1]:5000/x:t", "[::1]:5000", "x", "t", false, "[::1]:5000/x:t");
	expect_ref("127.0.0.1:40123/a/b/c:v1", "127.0.0.1:40123", "a/b/c", "v1", false,
		   "127.0.0.1:40123/a/b/c:v1");
	expect_ref("quay.io/org/app", "quay.io", "org/app", "latest", false,
		   "quay.io/org/app:latest");
	/* Without '.', ':' or "localhost" the first component is part of the path. */
	expect_ref("myhost/app", "docker.io", "myhost/app", "latest", false,
		   "docker.io/myhost/app:latest");
	/* No '/' before the colon: "5000" is a tag, not a port. */
	expect_ref("foo:5000", "docker.io", "library/foo", "5000", false,
		   "docker.io/library/foo:5000");
	/* Separators the grammar allows inside a component. */
	expect_ref("a.b/c_d/e__f/g--h/i.j-k", "a.b", "c_d/e__f/g--h/i.j-k", "latest", false,
		   "a.b/c_d/e__f/g--h/i.j-k:latest");
}
END_TEST

START_TEST(test_digests)
{
	oci_ref r;
	oci_error err = OCI_ERROR_INIT;
	char buf[512];
	expect_ref("example.com/a/b:t@sha256:" HEX64, "example.com", "a/b", "t", true,
		   "example.com/a/b:t@sha256:" HEX64);
	expect_ref("x@sha256:" HEX64, "docker.io", "library/x", "", true,
		   "docker.io/library/x@sha256:" HEX64);
	ck_assert_int_eq(oci_ref_parse("example.com/a/b:t@sha256:" HEX64, &r, &err), 0);
	ck_assert_int_eq(r.digest.alg, OCI_DIGEST_SHA256);
	ck_assert_str_eq(r.digest.hex, HEX64);
	/* A pinned digest wins over the tag when asking the registry. */
	ck_assert_str_eq(oci_ref_manifest_ref(&r, buf, sizeof(buf)), "sha256:" HEX64);
	ck_assert_int_eq(oci_ref_parse("example.com/a/b:t", &r, &err), 0);
	ck_assert_str_eq(oci_ref_manifest_ref(&r, buf, sizeof(buf)), "t");
	ck_assert_int_eq(oci_ref_parse("busybox", &r, &err), 0);
	ck_assert_str_eq(oci_ref_manifest_ref(&r, buf, sizeof(buf)), "latest");
}
END_TEST

START_TEST(test_bad_references)
{
	char tag129[140], longname[300], buf[400];
	memset(tag129, 'a', 129);
	tag129[129] = '\0';
	expect_bad("", "empty");
	expect_bad("Busybox", "lowercase");
	expect_bad("foo/Bar", "lowercase");
	expect_bad("a//b", "component");
	expect_bad("-a", "component");
	expect_bad("a-", "component");
	expect_bad("a/.b", "component");
	expect_bad("a b", "component");
	expect_bad("example.com/", "empty");
	snprintf(buf, sizeof(buf), "busybox:%s", tag129);
	expect_bad(buf, "invalid tag");
	/* 128 characters is the longest valid tag. */
	tag129[128] = '\0';
	snprintf(buf, sizeof(buf), "busybox:%s", tag129);
	expect_ref(buf, "docker.io", "library/busybox", tag129, false,
		   strcat(strcpy(longname, "docker.io/library/"), buf));
	expect_bad("busybox:a/b", "registry host"); /* a ':' before the last '/' is a port */
	expect_bad("busybox:-x", "invalid tag");
	expect_bad("busybox:.x", "invalid tag");
	expect_bad("busybox:x!", "invalid tag");
	expect_bad("busybox:", "invalid tag");
	expect_bad("busybox@sha256:abc", "sha256 needs 64");
	expect_bad("busybox@sha256:" HEX64 "00", "sha256 needs 64");
	expect_bad("busybox@sha256:../../x", "invalid digest");
	expect_bad("busybox@" HEX64, "invalid digest");
	expect_bad("exa_mple.com/x", "registry host");
	expect_bad("-bad.com/x", "registry host");
	expect_bad("bad-.com:5000/x", "registry host");
	expect_bad("host.com:/x", "registry host");
	expect_bad("host.com:123456/x", "registry host");
	expect_bad("host.com:50a/x", "registry host");
	expect_bad("[::1/x", "registry host");
	expect_bad("[]:5000/x", "registry host");
	/* The whole name (host + path) is capped at 255 characters. */
	memset(longname, 'a', 256);
	longname[256] = '\0';
	expect_bad(longname, "longer than 255");
	snprintf(buf, sizeof(buf), "example.com/%.243s", longname); /* 12 + 243 = 255: still fine */
	{
		oci_ref r;
		oci_error err = OCI_ERROR_INIT;
		ck_assert_msg(oci_ref_parse(buf, &r, &err) == 0, "%s", err.msg);
	}
	snprintf(buf, sizeof(buf), "example.com/%.244s", longname);
	expect_bad(buf, "longer than 255");
}
END_TEST

START_TEST(test_bad_digest_is_not_a_path)
{
	oci_ref r;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_lt(oci_ref_parse("x@sha256:../../../../etc/passwd", &r, &err), 0);
	ck_assert_int_eq(r.has_digest, 0);
	ck_assert_int_lt(
	    oci_ref_parse("x@sha256:"
			  "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
			  &r, &err),
	    0);
	ck_assert_ptr_nonnull(strstr(err.msg, "lower-case hex"));
	ck_assert_int_lt(oci_ref_parse("x@md5:0123456789abcdef0123456789abcdef", &r, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "unsupported algorithm"));
}
END_TEST

/* registries.conf / policy.json prefixes: whole components, and wildcards on the host's own
 * suffix only (a host naming the domain twice is still its subdomain). */
START_TEST(test_prefix_match)
{
	ck_assert_uint_eq(oci_ref_prefix_match("example.com/a/b:1", "example.com/a"), 13);
	ck_assert_uint_eq(oci_ref_prefix_match("example.com/ab", "example.com/a"), 0);
	ck_assert_uint_eq(oci_ref_prefix_match("example.com/a@sha256:00", "example.com/a"), 13);
	ck_assert_uint_eq(oci_ref_prefix_match("a.evil.test/x:1", "*.evil.test"), 11);
	ck_assert_uint_eq(oci_ref_prefix_match("a.evil.testb.evil.test/x", "*.evil.test"), 22);
	ck_assert_uint_eq(oci_ref_prefix_match("x.evil.test.evil.test/x", "*.evil.test"), 21);
	ck_assert_uint_eq(oci_ref_prefix_match("a.evil.test:5000/x", "*.evil.test"), 11);
	ck_assert_uint_eq(oci_ref_prefix_match("evil.test/x", "*.evil.test"), 0);
	ck_assert_uint_eq(oci_ref_prefix_match(".evil.test/x", "*.evil.test"), 0);
	ck_assert_uint_eq(oci_ref_prefix_match("a.evil.test.other/x", "*.evil.test"), 0);
	ck_assert_uint_eq(oci_ref_prefix_match("good.com/a.evil.test/x", "*.evil.test"), 0);
}
END_TEST

START_TEST(test_local_and_registry_host)
{
	static const struct {
		const char *ref;
		bool local;
		const char *host;
	} cases[] = {
	    {"busybox", false, "registry-1.docker.io"},
	    {"index.docker.io/foo/bar", false, "registry-1.docker.io"},
	    {"localhost/x", true, "localhost"},
	    {"localhost:5000/x", true, "localhost:5000"},
	    {"127.0.0.1:5000/x", true, "127.0.0.1:5000"},
	    {"127.1.2.3/x", true, "127.1.2.3"},
	    {"[::1]:5000/x", true, "[::1]:5000"},
	    {"localhost.example.com/x", false, "localhost.example.com"},
	    {"localhostx.com/x", false, "localhostx.com"},
	    /* A DNS name that merely starts with "127." is not loopback: no plain-HTTP default. */
	    {"127.example.com/x", false, "127.example.com"},
	    {"10.0.0.1:5000/x", false, "10.0.0.1:5000"},
	    {"quay.io/x", false, "quay.io"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		oci_ref r;
		oci_error err = OCI_ERROR_INIT;
		ck_assert_msg(oci_ref_parse(cases[i].ref, &r, &err) == 0, "%s: %s", cases[i].ref,
			      err.msg);
		ck_assert_msg(oci_ref_is_local(&r) == cases[i].local, "%s: is_local %d",
			      cases[i].ref, oci_ref_is_local(&r));
		ck_assert_str_eq(oci_ref_registry_host(&r), cases[i].host);
	}
}
END_TEST

static Suite *ref_suite(void)
{
	Suite *s = suite_create("ref");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_docker_hub_normalisation);
	tcase_add_test(tc, test_hosts_and_ports);
	tcase_add_test(tc, test_digests);
	tcase_add_test(tc, test_bad_references);
	tcase_add_test(tc, test_bad_digest_is_not_a_path);
	tcase_add_test(tc, test_local_and_registry_host);
	tcase_add_test(tc, test_prefix_match);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ref_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
