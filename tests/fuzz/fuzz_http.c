/* Fuzz what fetch/http.c reads from a registry's responses: header lines (Content-Type,
 * Docker-Content-Digest, WWW-Authenticate, Location, Retry-After, Content-Range), a
 * redirect's Location resolved against the request URL, and a JSON error body.
 * Parts (separated by FUZZ_SEP): header lines, a Location, an error body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fetch/http.h"
#include "fetch/url.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p[3];
	size_t len[3];
	fuzz_split(data, size, p, len, 3);
	oci_http_resp r;
	oci_http_resp_init(&r);
	/* one line at a time, as libcurl hands them over (with their CRLF) */
	for (char *line = p[0]; *line;) {
		char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
		char *copy = fuzz_strndup((const uint8_t *)line, n);
		oci_http_resp_header(&r, copy, n);
		free(copy);
		line += n;
	}
	char buf[512];
	(void)oci_http_status_text(r.status, buf, sizeof(buf));
	oci_error err = OCI_ERROR_INIT;
	char *u =
	    oci_url_resolve("https://registry.example:5000/v2/a/b/blobs/sha256:00", p[1], &err);
	if (u) {
		(void)oci_url_origin(u, buf, sizeof(buf));
		free(u);
	}
	(void)oci_url_origin(p[1], buf, sizeof(buf));
	if (r.location[0]) {
		u = oci_url_resolve("http://127.0.0.1/v2/", r.location, &err);
		free(u);
	}
	if (oci_http_is_redirect(&r)) {
		u = oci_http_redirect_target("https://registry.example/v2/x/blobs/sha256:00", &r,
					     &err);
		if (u)
			(void)oci_url_same_host(u, "https://registry.example/");
		free(u);
	}
	(void)oci_url_same_host(p[1], "http://127.0.0.1:5000/v2/");
	r.body = p[2];
	r.len = len[2];
	(void)oci_http_error_message(&r, buf, sizeof(buf));
	r.body = NULL;
	(void)oci_http_backoff_ms(3, r.retry_after);
	oci_http_resp_release(&r);
	fuzz_parts_free(p, 3);
	return 0;
}
