/* URL helpers over curl's URL API: a URL's origin and host, and a redirect's absolute
 * target. They decide where credentials may go (same origin, same host), so they parse the
 * way curl connects, never by hand. */
#ifndef OCI_FETCH_URL_H
#define OCI_FETCH_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* "scheme://host:port" of a URL into buf (host lower case, the scheme's default port
 * spelled out); false if it cannot be parsed. */
bool oci_url_origin(const char *url, char *buf, size_t len);
/* Whether two URLs name the same host (case-insensitive; any scheme and port). */
bool oci_url_same_host(const char *a, const char *b);
/* Absolute URL for a Location header relative to base (new string); only http(s) results
 * are accepted. */
char *oci_url_resolve(const char *base, const char *location, oci_error *err);
#endif
