/* URL helpers over curl's URL API (CURLU), which parses a URL the way curl will connect to
 * it: origins for the same-origin rule of Authorization headers (registry.c), hosts for
 * where a token realm may receive credentials (auth.c), and redirect targets. */
#include "fetch/url.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"

bool oci_url_origin(const char *url, char *buf, size_t len)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	bool ok = false;
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		for (char *p = host; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		snprintf(buf, len, "%s://%s:%s", scheme, host, port);
		ok = true;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ok;
}

static char *url_host(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK)
		curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_cleanup(u);
	return host;
}

bool oci_url_same_host(const char *a, const char *b)
{
	char *ha = url_host(a), *hb = url_host(b);
	bool same = ha && hb && !strcasecmp(ha, hb);
	curl_free(ha);
	curl_free(hb);
	return same;
}

char *oci_url_resolve(const char *base, const char *location, oci_error *err)
{
	CURLU *u = curl_url();
	char *out = NULL;
	char *res = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, location, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK) {
		if (!oci_str_has_prefix(out, "http://") && !oci_str_has_prefix(out, "https://"))
			oci_err(err, OCI_E_NET, "redirect to a non-HTTP URL refused");
		else
			res = oci_strdup(out, err);
	} else {
		oci_err(err, OCI_E_NET, "bad redirect location '%.200s'", location);
	}
	curl_free(out);
	curl_url_cleanup(u);
	return res;
}
