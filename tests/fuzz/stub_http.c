/* A stand-in for fetch/http.c under the auth fuzzer: every request "succeeds" at once with
 * the response the harness prepared, so the token request URL and form that fetch/auth.c
 * builds from a hostile challenge, and its parsing of a hostile token response, are fuzzed
 * without a network. The URL and form are copied, so that a missing terminator or an
 * overflow in building them shows up under ASan here. URL helpers are the real fetch/url.c,
 * linked beside this stub. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch/http.h"
#include "tests/fuzz/stub_http.h"

const char *fuzz_http_body;
size_t fuzz_http_len;
long fuzz_http_status = 200;
const char *(*fuzz_http_route)(const char *url, size_t *len);

void oci_http_resp_init(oci_http_resp *r)
{
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	r->content_range_start = -1;
}

void oci_http_resp_release(oci_http_resp *r)
{
	free(r->body);
	r->body = NULL;
}

int oci_http_setup(CURL *e, const oci_tls *tls, oci_error *err)
{
	return 0;
}

static int answer(const char *url, const char *form, oci_http_resp *r, oci_error *err)
{
	char *u = strdup(url), *f = strdup(form ? form : "");
	if (!u || !f)
		abort();
	free(u);
	free(f);
	size_t len = fuzz_http_len;
	const char *body = fuzz_http_route ? fuzz_http_route(url, &len) : fuzz_http_body;
	free(r->body);
	r->body = malloc(len + 1);
	if (!r->body)
		abort();
	memcpy(r->body, body, len);
	r->body[len] = '\0';
	r->len = len;
	r->status = fuzz_http_status;
	return 0;
}

int oci_http_perform(CURL *e, const char *method, const char *url, struct curl_slist *hdrs,
		     size_t max_body, oci_http_resp *r, int *curl_code, oci_error *err)
{
	return answer(url, NULL, r, err);
}

int oci_http_post_form(CURL *e, const char *url, struct curl_slist *hdrs, const char *form,
		       size_t max_body, oci_http_resp *r, int *curl_code, oci_error *err)
{
	return answer(url, form, r, err);
}

bool oci_http_retryable_code(int curl_code)
{
	return false;
}

bool oci_http_retryable_status(long status)
{
	return false;
}

int oci_http_attempts_for(int curl_code, int max)
{
	return 1;
}

long oci_http_backoff_ms(int attempt, long retry_after)
{
	return 0;
}

/* The rest of fetch/http.c's interface, for harnesses that link the whole of fetch/ (inspect):
 * no header is ever received, so none of them has anything to say. */
void oci_http_resp_header(oci_http_resp *r, const char *line, size_t len)
{
}

const char *oci_http_status_text(long status, char *buf, size_t len)
{
	snprintf(buf, len, "%ld", status);
	return buf;
}

bool oci_http_is_redirect(const oci_http_resp *r)
{
	return false;
}

char *oci_http_redirect_target(const char *base, const oci_http_resp *r, oci_error *err)
{
	oci_err(err, OCI_E_NET, "no redirects here");
	return NULL;
}

const char *oci_http_error_message(const oci_http_resp *r, char *buf, size_t len)
{
	snprintf(buf, len, "status %ld", r->status);
	return buf;
}
