/* One HTTP request at a time over libcurl, with response bodies capped so a hostile server
 * cannot grow memory; the registry client (registry.c) builds auth, retries and redirects
 * on top of it, and the parallel downloader (transfer.c) reuses its setup and helpers.
 * URL parsing is url.c's. */
#include "fetch/http.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "fetch/url.h"

void oci_http_resp_init(oci_http_resp *r)
{
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	r->content_range_start = -1;
}

void oci_http_resp_release(oci_http_resp *r)
{
	free(r->body);
	oci_http_resp_init(r);
}

static void copy_value(char *dst, size_t dlen, const char *v, size_t vlen)
{
	while (vlen && isspace((unsigned char)v[vlen - 1]))
		vlen--;
	if (vlen >= dlen)
		vlen = dlen - 1;
	memcpy(dst, v, vlen);
	dst[vlen] = '\0';
}

/* Link: <url>; rel="next" (RFC 8288; the registry's tag and catalog pagination). Other
 * relations are not ours to follow. */
static void link_next(oci_http_resp *r, const char *v, size_t vlen)
{
	const char *end = v + vlen;
	while (v < end) {
		while (v < end && (*v == ' ' || *v == ','))
			v++;
		if (v >= end || *v != '<')
			return;
		const char *gt = memchr(v, '>', (size_t)(end - v));
		if (!gt)
			return;
		const char *url = v + 1;
		size_t ulen = (size_t)(gt - url);
		const char *params = gt + 1;
		const char *next = memchr(params, ',', (size_t)(end - params));
		const char *pend = next ? next : end;
		bool is_next = false;
		for (const char *p = params; p + 3 <= pend; p++)
			if (!strncasecmp(p, "rel", 3)) {
				const char *q = p + 3;
				while (q < pend && (*q == ' ' || *q == '='))
					q++;
				if (q < pend && *q == '"')
					q++;
				if ((size_t)(pend - q) >= 4 && !strncasecmp(q, "next", 4) &&
				    (q + 4 == pend || q[4] == '"' || q[4] == ' ' || q[4] == ';' ||
				     q[4] == '\r' || q[4] == '\n'))
					is_next = true;
			}
		if (is_next) {
			r->next_link_too_long = ulen >= sizeof(r->next_link);
			copy_value(r->next_link, sizeof(r->next_link), url,
				   r->next_link_too_long ? 0 : ulen);
			return;
		}
		v = pend;
	}
}

void oci_http_resp_header(oci_http_resp *r, const char *line, size_t len)
{
	if (len >= 5 && !strncmp(line, "HTTP/", 5)) {
		r->content_type[0] = r->docker_digest[0] = r->www_auth[0] = r->location[0] = '\0';
		r->next_link[0] = '\0';
		r->www_auth_too_long = r->location_too_long = r->next_link_too_long = false;
		r->retry_after = -1;
		r->content_range_start = -1;
		return;
	}
	const char *colon = memchr(line, ':', len);
	if (!colon)
		return;
	size_t nlen = (size_t)(colon - line);
	const char *v = colon + 1;
	size_t vlen = len - nlen - 1;
	while (vlen && (*v == ' ' || *v == '\t'))
		v++, vlen--;
#define IS(name) (nlen == strlen(name) && !strncasecmp(line, name, nlen))
	if (IS("Content-Type"))
		copy_value(r->content_type, sizeof(r->content_type), v,
			   strcspn(v, ";\r\n") < vlen ? strcspn(v, ";\r\n") : vlen);
	else if (IS("Docker-Content-Digest"))
		copy_value(r->docker_digest, sizeof(r->docker_digest), v, vlen);
	else if (IS("WWW-Authenticate") && !r->www_auth[0] && !r->www_auth_too_long) {
		/* a cut challenge would lose scopes: keep it whole or not at all */
		while (vlen && isspace((unsigned char)v[vlen - 1]))
			vlen--;
		if (vlen < sizeof(r->www_auth))
			copy_value(r->www_auth, sizeof(r->www_auth), v, vlen);
		else
			r->www_auth_too_long = true;
	} else if (IS("Location")) {
		while (vlen && isspace((unsigned char)v[vlen - 1]))
			vlen--;
		r->location_too_long = vlen >= sizeof(r->location);
		copy_value(r->location, sizeof(r->location), v, r->location_too_long ? 0 : vlen);
	} else if (IS("Link")) {
		link_next(r, v, vlen);
	} else if (IS("Retry-After")) {
		char buf[32];
		uint64_t n;
		copy_value(buf, sizeof(buf), v, vlen);
		if (oci_parse_u64(buf, 86400, &n) == 0)
			r->retry_after = (long)n;
	} else if (IS("Content-Range")) {
		char buf[96];
		copy_value(buf, sizeof(buf), v, vlen);
		long long s;
		if (sscanf(buf, "bytes %lld-", &s) == 1)
			r->content_range_start = s;
	}
#undef IS
}

static size_t header_cb(char *buf, size_t size, size_t n, void *ud)
{
	oci_http_resp_header(ud, buf, size * n);
	return size * n;
}

typedef struct body_sink {
	oci_http_resp *r;
	size_t max;
	size_t cap;
} body_sink;

static size_t body_cb(char *buf, size_t size, size_t n, void *ud)
{
	body_sink *s = ud;
	size_t len = size * n;
	if (s->r->len + len > s->max) {
		s->r->too_big = true;
		return 0;
	}
	if (s->r->len + len + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 16384;
		while (cap < s->r->len + len + 1)
			cap *= 2;
		char *nb = realloc(s->r->body, cap);
		if (!nb)
			return 0;
		s->r->body = nb;
		s->cap = cap;
	}
	memcpy(s->r->body + s->r->len, buf, len);
	s->r->len += len;
	s->r->body[s->r->len] = '\0';
	return len;
}

/* Called by libcurl at least once a second, also while a server trickles its answer just
 * over the low-speed limit (a 4 MiB manifest at 1.1 KB/s takes an hour): SIGINT, SIGTERM or
 * SIGHUP ends the transfer at once instead of when the server is done. */
static int interrupt_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			curl_off_t ulnow)
{
	return oci_interrupted != 0;
}

int oci_http_setup(CURL *e, const oci_tls *tls, oci_error *err)
{
	CURLcode rc = CURLE_OK;
	rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, OCI_HTTP_USER_AGENT);
	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	/* redirects are followed by hand (registry.c, transfer.c), so that Authorization goes
	 * to the registry's own origin only; curl must never carry credentials along */
	rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	rc |= curl_easy_setopt(e, CURLOPT_UNRESTRICTED_AUTH, 0L);
	/* bounded: an unreachable registry is an error in seconds, not a hang */
	rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
	/* A stalled transfer (under 1 KiB/s for 30 s) fails and is retried. */
	rc |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	rc |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 30L);
	rc |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	rc |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, NULL);
	rc |= curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, interrupt_cb);
	rc |= curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	if (rc != CURLE_OK)
		return oci_err(err, OCI_E_INTERNAL, "cannot configure libcurl");
	return oci_tls_apply(tls, e, err);
}

int oci_http_perform(CURL *e, const char *method, const char *url, struct curl_slist *hdrs,
		     size_t max_body, oci_http_resp *r, int *curl_code, oci_error *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	body_sink sink = {.r = r, .max = max_body};
	oci_http_resp_release(r);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(e, CURLOPT_NOBODY, !strcmp(method, "HEAD") ? 1L : 0L);
	if (!strcmp(method, "GET"))
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode rc = curl_easy_perform(e);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	log_debug("%s %s -> %ld%s", method, url, r->status, rc ? " (transfer error)" : "");
	if (curl_code)
		*curl_code = rc;
	if (rc == CURLE_ABORTED_BY_CALLBACK && oci_check_interrupted(err) < 0)
		return -1;
	if (rc == CURLE_WRITE_ERROR && r->too_big)
		return oci_err(err, OCI_E_LIMIT, "response larger than %zu bytes", max_body);
	if (rc != CURLE_OK) {
		oci_err_curl(err, rc, errbuf, "%s", url);
		if (rc == CURLE_PEER_FAILED_VERIFICATION)
			oci_err_append(err, " (trust its CA with --cacert or "
					    "certs.d/<host>/ca.crt, or use --insecure)");
		return -1;
	}
	return 0;
}

int oci_http_post_form(CURL *e, const char *url, struct curl_slist *hdrs, const char *form,
		       size_t max_body, oci_http_resp *r, int *curl_code, oci_error *err)
{
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, form);
	int rc = oci_http_perform(e, "POST", url, hdrs, max_body, r, curl_code, err);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, NULL);
	return rc;
}

bool oci_http_retryable_code(int c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		return false;
	}
}

int oci_http_attempts_for(int c, int max)
{
	int n = max;
	if (c == CURLE_COULDNT_RESOLVE_HOST)
		n = 2;
	else if (c == CURLE_COULDNT_CONNECT)
		n = 4;
	return n < max ? n : max;
}

const char *oci_http_status_text(long status, char *buf, size_t len)
{
	const char *t = "";
	switch (status) {
	case 400:
		t = " Bad Request";
		break;
	case 401:
		t = " Unauthorized";
		break;
	case 403:
		t = " Forbidden";
		break;
	case 404:
		t = " Not Found";
		break;
	case 405:
		t = " Method Not Allowed";
		break;
	case 408:
		t = " Request Timeout";
		break;
	case 416:
		t = " Range Not Satisfiable";
		break;
	case 429:
		t = " Too Many Requests";
		break;
	case 500:
		t = " Internal Server Error";
		break;
	case 502:
		t = " Bad Gateway";
		break;
	case 503:
		t = " Service Unavailable";
		break;
	case 504:
		t = " Gateway Timeout";
		break;
	default:
		break;
	}
	snprintf(buf, len, "HTTP %ld%s", status, t);
	return buf;
}

bool oci_http_retryable_status(long s)
{
	return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

long oci_http_backoff_ms(int attempt, long retry_after)
{
	if (retry_after >= 0)
		return (retry_after > 60 ? 60 : retry_after) * 1000;
	long ms = 200;
	for (int i = 1; i < attempt && ms < 5000; i++)
		ms *= 2;
	return ms > 5000 ? 5000 : ms;
}

bool oci_http_is_redirect(const oci_http_resp *r)
{
	long st = r->status;
	return (st == 301 || st == 302 || st == 303 || st == 307 || st == 308) &&
	       (r->location[0] || r->location_too_long);
}

char *oci_http_redirect_target(const char *base, const oci_http_resp *r, oci_error *err)
{
	if (r->location_too_long) {
		oci_err(err, OCI_E_NET, "redirect Location longer than %zu bytes",
			sizeof(r->location) - 1);
		return NULL;
	}
	return oci_url_resolve(base, r->location, err);
}

const char *oci_http_error_message(const oci_http_resp *r, char *buf, size_t len)
{
	if (!r->body || !r->len)
		return NULL;
	json_error_t je;
	cleanup_json json_t *j = json_loadb(r->body, r->len, JSON_DECODE_ANY, &je);
	json_t *errs = j ? json_object_get(j, "errors") : NULL;
	json_t *e0 = json_is_array(errs) ? json_array_get(errs, 0) : NULL;
	if (!e0)
		return NULL;
	const char *msg = json_string_value(json_object_get(e0, "message"));
	const char *code = json_string_value(json_object_get(e0, "code"));
	if (msg && *msg)
		snprintf(buf, len, "%s", msg);
	else if (code)
		snprintf(buf, len, "%s", code);
	else
		return NULL;
	/* keep it on one line */
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return buf;
}
