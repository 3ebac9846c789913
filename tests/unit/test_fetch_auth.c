/* Unit tests for fetch/auth.c and fetch/credentials.c: WWW-Authenticate parsing and the
 * credential lookup in docker/containers auth files, which decide what oci-fetch sends and to
 * whom; and fetch/http.c and fetch/url.c helpers. Linked with oci-fetch's objects. */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "fetch/auth.h"
#include "fetch/credentials.h"
#include "fetch/http.h"
#include "fetch/url.h"

static char dir[] = "/tmp/test_fetch_auth.XXXXXX";

static void write_file(const char *name, const char *content)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
}

static void setup(void)
{
	strcpy(dir, "/tmp/test_fetch_auth.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("DOCKER_CONFIG");
	setenv("HOME", dir, 1);
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(challenge_bearer)
{
	oci_challenge c;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(
	    oci_challenge_parse(
		"Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
		"scope=\"repository:library/busybox:pull\",error=\"insufficient_scope\"",
		&c, &err),
	    0);
	ck_assert_str_eq(c.scheme, "bearer");
	ck_assert_str_eq(c.realm, "https://auth.docker.io/token");
	ck_assert_str_eq(c.service, "registry.docker.io");
	ck_assert_str_eq(c.scope, "repository:library/busybox:pull");
	ck_assert_str_eq(c.error, "insufficient_scope");
}
END_TEST

START_TEST(challenge_basic_and_odd)
{
	oci_challenge c;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_challenge_parse("Basic realm=\"Registry Realm\"", &c, &err), 0);
	ck_assert_str_eq(c.scheme, "basic");
	ck_assert_str_eq(c.realm, "Registry Realm");
	/* unquoted values, spaces after commas, escaped quotes, unknown keys ignored */
	ck_assert_int_eq(
	    oci_challenge_parse("BEARER realm=http://r/t, service=s, foo=\"a\\\"b\", scope=\"x y\"",
				&c, &err),
	    0);
	ck_assert_str_eq(c.scheme, "bearer");
	ck_assert_str_eq(c.realm, "http://r/t");
	ck_assert_str_eq(c.service, "s");
	ck_assert_str_eq(c.scope, "x y");
	ck_assert_int_eq(oci_challenge_parse("", &c, &err), -1);
	ck_assert_int_eq(err.code, OCI_E_AUTH);
}
END_TEST

START_TEST(creds_docker_config)
{
	oci_creds c = {0};
	oci_error err = OCI_ERROR_INIT;
	char d[300];
	snprintf(d, sizeof(d), "%s/.docker", dir);
	ck_assert_int_eq(mkdir(d, 0700), 0);
	/* "user:pa:ss" -> a password containing a colon */
	write_file(".docker/config.json",
		   "{\"auths\":{\"https://reg.example:5000/v1/\":{\"auth\":\"dXNlcjpwYTpzcw==\"},"
		   "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmh1YnB3\"}}}");
	ck_assert_int_eq(oci_creds_lookup("reg.example:5000", &c, &err), 1);
	ck_assert_str_eq(c.user, "user");
	ck_assert_str_eq(c.secret, "pa:ss");
	oci_creds_release(&c);
	ck_assert_int_eq(oci_creds_lookup("docker.io", &c, &err), 1);
	ck_assert_str_eq(c.user, "hub");
	ck_assert_str_eq(c.secret, "hubpw");
	oci_creds_release(&c);
	ck_assert_int_eq(oci_creds_lookup("other.example", &c, &err), 0);
	ck_assert_int_eq(oci_creds_lookup("reg.example", &c, &err),
			 0); /* the port is part of the name */
}
END_TEST

START_TEST(creds_order_and_errors)
{
	oci_creds c = {0};
	oci_error err = OCI_ERROR_INIT;
	char p[300];
	write_file("auth.json",
		   "{\"auths\":{\"r.example\":{\"username\":\"first\",\"password\":\"p1\"}}}");
	write_file("config.json",
		   "{\"auths\":{\"r.example\":{\"username\":\"second\",\"password\":\"p2\"}}}");
	snprintf(p, sizeof(p), "%s/auth.json", dir);
	setenv("REGISTRY_AUTH_FILE", p, 1);
	setenv("DOCKER_CONFIG", dir, 1);
	ck_assert_int_eq(oci_creds_lookup("r.example", &c, &err), 1);
	ck_assert_str_eq(c.user, "first");
	oci_creds_release(&c);
	unsetenv("REGISTRY_AUTH_FILE");
	ck_assert_int_eq(oci_creds_lookup("r.example", &c, &err), 1);
	ck_assert_str_eq(c.user, "second");
	oci_creds_release(&c);
	write_file("config.json",
		   "{\"auths\":{\"r.example\":{\"auth\":\"bm9jb2xvbg==\"}}}"); /* "nocolon" */
	ck_assert_int_eq(oci_creds_lookup("r.example", &c, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "config.json"));
	write_file("config.json", "{\"credHelpers\":{\"r.example\":\"../../bin/sh\"}}");
	ck_assert_int_eq(oci_creds_lookup("r.example", &c, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "bad credential helper name"));
}
END_TEST

START_TEST(creds_identity_token)
{
	oci_creds c = {0};
	oci_error err = OCI_ERROR_INIT;
	setenv("DOCKER_CONFIG", dir, 1);
	/* docker keeps "auth" as base64("user:") beside the identity token: the token wins */
	write_file(
	    "config.json",
	    "{\"auths\":{\"r.example\":{\"auth\":\"dXNlcjo=\",\"identitytoken\":\"rt-123\"}}}");
	ck_assert_int_eq(oci_creds_lookup("r.example", &c, &err), 1);
	ck_assert(c.identity_token);
	ck_assert_str_eq(c.secret, "rt-123");
	oci_creds_release(&c);
	ck_assert(!c.identity_token);
	/* an empty identitytoken is no identity token */
	write_file("config.json",
		   "{\"auths\":{\"r.example\":{\"auth\":\"dTpw\",\"identitytoken\":\"\"}}}");
	ck_assert_int_eq(oci_creds_lookup("r.example", &c, &err), 1);
	ck_assert(!c.identity_token);
	ck_assert_str_eq(c.user, "u");
	oci_creds_release(&c);
	/* with an identity token, a basic challenge is an error, not the token sent as a password
	 */
	oci_auth a;
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(oci_creds_set(&a.creds, "<token>", 7, "rt", &err), 1);
	a.creds.identity_token = true;
	a.have_creds = true;
	ck_assert_int_eq(oci_auth_challenge(&a, "Basic realm=\"x\"", NULL, &err), -1);
	ck_assert_int_eq(err.code, OCI_E_AUTH);
	ck_assert_ptr_nonnull(strstr(err.msg, "identity token"));
	ck_assert_ptr_null(a.header);
	oci_auth_release(&a);
	unsetenv("DOCKER_CONFIG");
}
END_TEST

START_TEST(http_status_and_attempts)
{
	char b[64];
	ck_assert_str_eq(oci_http_status_text(429, b, sizeof(b)), "HTTP 429 Too Many Requests");
	ck_assert_str_eq(oci_http_status_text(599, b, sizeof(b)), "HTTP 599");
	ck_assert_int_eq(oci_http_attempts_for(CURLE_COULDNT_RESOLVE_HOST, 6), 2);
	ck_assert_int_eq(oci_http_attempts_for(CURLE_COULDNT_CONNECT, 6), 4);
	ck_assert_int_eq(oci_http_attempts_for(CURLE_COULDNT_CONNECT, 3), 3);
	ck_assert_int_eq(oci_http_attempts_for(CURLE_RECV_ERROR, 6), 6);
}
END_TEST

START_TEST(creds_from_string)
{
	oci_creds c = {0};
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_creds_from_string("u:p:q", &c, &err), 0);
	ck_assert_str_eq(c.user, "u");
	ck_assert_str_eq(c.secret, "p:q");
	oci_creds_release(&c);
	ck_assert_int_eq(oci_creds_from_string("nouser", &c, &err), -1);
	ck_assert_int_eq(oci_creds_from_string(":p", &c, &err), -1);
}
END_TEST

START_TEST(creds_find_order)
{
	oci_creds c = {0};
	oci_error err = OCI_ERROR_INIT;
	write_file("auth.json", "{\"auths\":{\"r.example\":{\"auth\":\"dTpw\"}}}");
	char p[300];
	snprintf(p, sizeof(p), "%s/auth.json", dir);
	setenv("REGISTRY_AUTH_FILE", p, 1);
	/* --creds first, then --username, then the auth files */
	oci_creds_flags f = {.creds = "a:b", .username = "x", .password = "y"};
	ck_assert_int_eq(oci_creds_find(&f, "r.example", &c, &err), 1);
	ck_assert_str_eq(c.user, "a");
	ck_assert_str_eq(c.source, "--creds");
	oci_creds_release(&c);
	f.creds = NULL;
	ck_assert_int_eq(oci_creds_find(&f, "r.example", &c, &err), 1);
	ck_assert_str_eq(c.user, "x");
	ck_assert_str_eq(c.secret, "y");
	ck_assert_str_eq(c.source, "--username");
	oci_creds_release(&c);
	f.password = "";
	ck_assert_int_eq(oci_creds_find(&f, "r.example", &c, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "--username: no password"));
	oci_creds_release(&c);
	f.username = NULL;
	ck_assert_int_eq(oci_creds_find(&f, "r.example", &c, &err), 1);
	ck_assert_str_eq(c.user, "u");
	ck_assert_str_eq(c.source, p);
	oci_creds_release(&c);
	ck_assert_int_eq(oci_creds_find(&f, "other.example", &c, &err), 0);
	unsetenv("REGISTRY_AUTH_FILE");
}
END_TEST

START_TEST(scopes_merge)
{
	oci_auth a;
	oci_error err = OCI_ERROR_INIT;
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(oci_auth_merge_scopes(&a, "repository:a:pull", &err), 0);
	ck_assert_int_eq(oci_auth_merge_scopes(&a, "repository:a:pull repository:b:pull", &err), 0);
	ck_assert_int_eq(oci_auth_merge_scopes(&a, "repository:a:pul", &err), 0);
	ck_assert_str_eq(a.scopes, "repository:a:pull repository:b:pull repository:a:pul");
	/* scopes that do not fit are an error, not silently left out of the token request */
	char big[600];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 3; i++) {
		big[0] = (char)('a' + i);
		ck_assert_int_eq(oci_auth_merge_scopes(&a, big, &err), 0);
	}
	big[0] = 'z';
	ck_assert_int_eq(oci_auth_merge_scopes(&a, big, &err), -1);
	ck_assert_int_eq(err.code, OCI_E_AUTH);
	ck_assert_ptr_nonnull(strstr(err.msg, "token scopes"));
}
END_TEST

/* Percent-escapes in upper case, as RFC 3986 prefers (libcurl versions differ in which case
 * they write; servers decode both). */
static void upper_escapes(char *s)
{
	for (; *s; s++)
		if (*s == '%' && s[1] && s[2]) {
			s[1] = (char)toupper((unsigned char)s[1]);
			s[2] = (char)toupper((unsigned char)s[2]);
		}
}

/* Item 4 of issue 10: ~30 short scopes that need URL escaping used to overflow the URL
 * buffer sized from the unescaped lengths. The URL must hold every scope, exactly. */
START_TEST(token_url_many_escaped_scopes)
{
	oci_auth a;
	oci_error err = OCI_ERROR_INIT;
	memset(&a, 0, sizeof(a));
	strcpy(a.realm, "http://auth.example/token");
	strcpy(a.service, "reg svc");
	char want[8192] = "http://auth.example/token?service=reg+svc";
	const char *special = ":/?#[]@!$&'()*+,;=%";
	size_t ns = strlen(special);
	for (size_t i = 0; i < 40; i++) {
		char sc[3] = {special[i % ns], special[(i / ns + i) % ns], '\0'};
		if (i)
			strcat(a.scopes, " ");
		strcat(a.scopes, sc);
		strcat(want, "&scope=");
		for (const char *c = sc; *c; c++)
			sprintf(want + strlen(want), "%%%02X", (unsigned char)*c);
	}
	char *url = oci_auth_token_url(&a, &err);
	ck_assert_ptr_nonnull(url);
	upper_escapes(url);
	ck_assert_str_eq(url, want);
	free(url);
	/* a realm with a query of its own keeps it; no service means no service= */
	strcpy(a.realm, "https://auth.example/t?account=me");
	a.service[0] = '\0';
	strcpy(a.scopes, "repository:library/busybox:pull");
	url = oci_auth_token_url(&a, &err);
	ck_assert_ptr_nonnull(url);
	upper_escapes(url);
	ck_assert_str_eq(
	    url, "https://auth.example/t?account=me&scope=repository%3Alibrary%2Fbusybox%3Apull");
	free(url);
	strcpy(a.realm, "http://[bad");
	ck_assert_ptr_null(oci_auth_token_url(&a, &err));
	ck_assert_int_eq(err.code, OCI_E_AUTH);
}
END_TEST

/* A challenge value longer than its field is refused, never cut: a cut realm or scope
 * would send the token request (and credentials) somewhere else, or ask for less. */
START_TEST(challenge_too_long)
{
	oci_challenge c;
	oci_error err = OCI_ERROR_INIT;
	char hdr[4096];
	char realm[1100];
	memset(realm, 'a', sizeof(realm) - 1);
	realm[sizeof(realm) - 1] = '\0';
	snprintf(hdr, sizeof(hdr), "Bearer realm=\"https://%s/token\",service=\"s\"", realm);
	ck_assert_int_eq(oci_challenge_parse(hdr, &c, &err), -1);
	ck_assert_int_eq(err.code, OCI_E_AUTH);
	ck_assert_ptr_nonnull(strstr(err.msg, "realm longer than 1023 bytes"));
	/* unknown keys may be long: they are skipped */
	snprintf(hdr, sizeof(hdr), "Bearer foo=\"%s\",realm=\"https://r/t\"", realm);
	ck_assert_int_eq(oci_challenge_parse(hdr, &c, &err), 0);
	ck_assert_str_eq(c.realm, "https://r/t");
	/* exactly the field's size minus one fits */
	realm[sizeof(c.error) - 1] = '\0';
	snprintf(hdr, sizeof(hdr), "Bearer error=%s", realm);
	ck_assert_int_eq(oci_challenge_parse(hdr, &c, &err), 0);
	ck_assert_str_eq(c.error, realm);
	realm[sizeof(c.error) - 1] = 'a';
	realm[sizeof(c.error)] = '\0';
	snprintf(hdr, sizeof(hdr), "Bearer error=%s", realm);
	ck_assert_int_eq(oci_challenge_parse(hdr, &c, &err), -1);
}
END_TEST

START_TEST(www_authenticate_kept_whole)
{
	oci_http_resp r;
	oci_http_resp_init(&r);
	size_t n = sizeof(r.www_auth) + 100;
	char *line = malloc(n + 64);
	ck_assert_ptr_nonnull(line);
	strcpy(line, "WWW-Authenticate: Bearer scope=\"");
	size_t l = strlen(line);
	memset(line + l, 'x', n);
	strcpy(line + l + n, "\"\r\n");
	oci_http_resp_header(&r, line, strlen(line));
	ck_assert(r.www_auth_too_long);
	ck_assert_str_eq(r.www_auth, "");
	free(line);
	/* a new response starts afresh */
	const char *st = "HTTP/1.1 401 Unauthorized\r\n";
	const char *h = "WWW-Authenticate: Bearer realm=\"https://r/t\"\r\n";
	oci_http_resp_header(&r, st, strlen(st));
	oci_http_resp_header(&r, h, strlen(h));
	ck_assert(!r.www_auth_too_long);
	ck_assert_str_eq(r.www_auth, "Bearer realm=\"https://r/t\"");
	/* a Location too long to keep is an error, not a redirect to a cut URL */
	oci_http_resp_header(&r, st, strlen(st));
	r.status = 307;
	char *loc = malloc(sizeof(r.location) + 64);
	ck_assert_ptr_nonnull(loc);
	strcpy(loc, "Location: http://a/");
	size_t ll = strlen(loc);
	memset(loc + ll, 'x', sizeof(r.location));
	strcpy(loc + ll + sizeof(r.location), "\r\n");
	oci_http_resp_header(&r, loc, strlen(loc));
	free(loc);
	ck_assert(oci_http_is_redirect(&r));
	oci_error err = OCI_ERROR_INIT;
	ck_assert_ptr_null(oci_http_redirect_target("http://a/v2/", &r, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "Location longer than"));
	const char *l2 = "Location: /b?x=1\r\n";
	oci_http_resp_header(&r, st, strlen(st));
	oci_http_resp_header(&r, l2, strlen(l2));
	char *u = oci_http_redirect_target("http://a/v2/", &r, &err);
	ck_assert_str_eq(u, "http://a/b?x=1");
	free(u);
}
END_TEST

START_TEST(http_helpers)
{
	char o[256];
	oci_error err = OCI_ERROR_INIT;
	ck_assert(oci_url_origin("HTTP://Example.COM/v2/x", o, sizeof(o)));
	ck_assert_str_eq(o, "http://example.com:80");
	ck_assert(oci_url_origin("https://127.0.0.1:5000/v2/", o, sizeof(o)));
	ck_assert_str_eq(o, "https://127.0.0.1:5000");
	char *u = oci_url_resolve("http://a:1/v2/x/blobs/sha256:1", "/elsewhere?sig=1", &err);
	ck_assert_str_eq(u, "http://a:1/elsewhere?sig=1");
	free(u);
	ck_assert_ptr_null(oci_url_resolve("http://a:1/", "file:///etc/passwd", &err));
	ck_assert_int_eq(oci_http_backoff_ms(1, -1), 200);
	ck_assert_int_eq(oci_http_backoff_ms(3, -1), 800);
	ck_assert_int_eq(oci_http_backoff_ms(20, -1), 5000);
	ck_assert_int_eq(oci_http_backoff_ms(1, 2), 2000);
	ck_assert_int_eq(oci_http_backoff_ms(1, 99999), 60000);
	oci_http_resp r;
	oci_http_resp_init(&r);
	const char *h1 = "Docker-Content-Digest: sha256:abc\r\n";
	const char *h2 = "retry-after: 7\r\n";
	const char *h3 = "Content-Range: bytes 100-199/200\r\n";
	const char *h4 = "Content-Type: application/json; charset=utf-8\r\n";
	oci_http_resp_header(&r, h1, strlen(h1));
	oci_http_resp_header(&r, h2, strlen(h2));
	oci_http_resp_header(&r, h3, strlen(h3));
	oci_http_resp_header(&r, h4, strlen(h4));
	ck_assert_str_eq(r.docker_digest, "sha256:abc");
	ck_assert_int_eq(r.retry_after, 7);
	ck_assert_int_eq(r.content_range_start, 100);
	ck_assert_str_eq(r.content_type, "application/json");
	r.body = (char *)"{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest "
			 "unknown\"}]}";
	r.len = strlen(r.body);
	char buf[64];
	ck_assert_str_eq(oci_http_error_message(&r, buf, sizeof(buf)), "manifest unknown");
}
END_TEST

START_TEST(http_same_host)
{
	ck_assert(oci_url_same_host("http://127.0.0.1:5000", "http://127.0.0.1:9/token"));
	ck_assert(oci_url_same_host("http://Reg.Example:5000", "https://reg.example/token"));
	ck_assert(!oci_url_same_host("http://127.0.0.1:5000", "http://localhost:5000/token"));
	ck_assert(!oci_url_same_host("http://127.0.0.1:5000", "http://127.0.0.2:5000/token"));
	ck_assert(!oci_url_same_host("http://r.example", "http://r.example.evil/token"));
	ck_assert(!oci_url_same_host("http://r.example", "http://r.example@evil/token"));
	ck_assert(!oci_url_same_host("http://r.example", "not a url"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fetch_auth");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, challenge_bearer);
	tcase_add_test(tc, challenge_basic_and_odd);
	tcase_add_test(tc, creds_docker_config);
	tcase_add_test(tc, creds_order_and_errors);
	tcase_add_test(tc, creds_from_string);
	tcase_add_test(tc, creds_find_order);
	tcase_add_test(tc, creds_identity_token);
	tcase_add_test(tc, http_status_and_attempts);
	tcase_add_test(tc, scopes_merge);
	tcase_add_test(tc, token_url_many_escaped_scopes);
	tcase_add_test(tc, challenge_too_long);
	tcase_add_test(tc, www_authenticate_kept_whole);
	tcase_add_test(tc, http_helpers);
	tcase_add_test(tc, http_same_host);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
