/* One HTTP request at a time over libcurl: bounded response bodies, the response headers
 * the registry protocol needs, and helpers for redirects and retry decisions (URLs
 * themselves: url.h). */
#ifndef OCI_FETCH_HTTP_H
#define OCI_FETCH_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/digest.h"
#include "common/error.h"
#include "fetch/tls.h"

#define OCI_HTTP_USER_AGENT "oci-fetch/" OCI_VERSION

typedef struct oci_http_resp {
	long status;
	char *body; /* NUL-terminated, at most max_body bytes */
	size_t len;
	bool too_big;
	char content_type[128];
	char docker_digest[OCI_DIGEST_STR_MAX + 8];
	char www_auth[4096];	/* the first WWW-Authenticate value */
	bool www_auth_too_long; /* it did not fit in www_auth (and is not there) */
	char location[4096];
	bool location_too_long;	       /* it did not fit in location (and is not there) */
	long retry_after;	       /* seconds, -1 when absent */
	long long content_range_start; /* from Content-Range, -1 when absent */
	char next_link[4096];	       /* the URL of a Link header with rel="next" (pagination) */
	bool next_link_too_long;       /* there was one, too long to keep (and it is not there) */
} oci_http_resp;

void oci_http_resp_init(oci_http_resp *r);
void oci_http_resp_release(oci_http_resp *r);
/* Record one response header line into r (used by header callbacks). A new status line
 * (after a 100 Continue or a redirect) resets the recorded headers. */
void oci_http_resp_header(oci_http_resp *r, const char *line, size_t len);

/* Settings every request shares: user agent, protocols, timeouts, TLS, no signals. */
int oci_http_setup(CURL *e, const oci_tls *tls, oci_error *err);

/* Perform one request (no redirects followed). method is "GET" or "HEAD" (or "POST" through
 * oci_http_post_form); extra headers
 * (Accept, Authorization, Range) are given in hdrs. Returns 0 with r->status set, or -1 on
 * a transport failure (err set, *curl_code the CURLcode). */
int oci_http_perform(CURL *e, const char *method, const char *url, struct curl_slist *hdrs,
		     size_t max_body, oci_http_resp *r, int *curl_code, oci_error *err);

/* POST an application/x-www-form-urlencoded body (OAuth2 token requests); as above. */
int oci_http_post_form(CURL *e, const char *url, struct curl_slist *hdrs, const char *form,
		       size_t max_body, oci_http_resp *r, int *curl_code, oci_error *err);

/* Whether a transfer error or status is worth retrying (connection trouble, 5xx, 429). */
bool oci_http_retryable_code(int curl_code);
bool oci_http_retryable_status(long status);
/* How many attempts a transport error deserves, at most max: a host name that does not
 * resolve is tried twice, a server that cannot be reached four times (so an unreachable
 * registry fails in seconds, not minutes), anything else max times. */
int oci_http_attempts_for(int curl_code, int max);
/* "HTTP 429 Too Many Requests" into buf. */
const char *oci_http_status_text(long status, char *buf, size_t len);
/* Backoff before attempt n (1-based): 200 ms doubling, capped at 5 s, or Retry-After (capped at 60
 * s). */
long oci_http_backoff_ms(int attempt, long retry_after);

/* Whether r is a redirect (301, 302, 303, 307, 308 with a Location). */
bool oci_http_is_redirect(const oci_http_resp *r);
/* The absolute URL r redirects to from base (new string); a Location too long to keep is an
 * error, never followed cut. */
char *oci_http_redirect_target(const char *base, const oci_http_resp *r, oci_error *err);
/* The error a registry put in a JSON error body ({"errors":[{"code","message"}]}), or NULL. */
const char *oci_http_error_message(const oci_http_resp *r, char *buf, size_t len);
#endif
