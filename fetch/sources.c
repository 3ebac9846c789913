/* A blob's chain of sources: the registry, then a foreign layer's descriptor URLs (the image
 * spec's "urls"), tried in order when the registry answers 404. A URL that is not an http(s)
 * string is skipped with a note; every failure is noted, so that the final error says what
 * each source said. Adding a kind of source (a mirror, say) means a step in
 * oci_sources_next and a case in oci_sources_url. */
#include "fetch/sources.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void oci_sources_init(oci_sources *s)
{
	s->idx = -1;
	s->tried[0] = '\0';
}

const char *oci_sources_url(const oci_sources *s)
{
	if (s->idx < 0)
		return NULL;
	return json_string_value(json_array_get(s->urls, (size_t)s->idx));
}

/* Append "where: why" to the list of sources tried. Both come from the image or a server:
 * what is not printable ASCII is shown as '?'. */
static void note_tried(oci_sources *s, const char *where, const char *why)
{
	size_t n = strlen(s->tried), wl = strlen(where);
	if (!strncmp(why, where, wl) && !strncmp(why + wl, ": ", 2))
		why += wl + 2; /* libcurl's messages start with the URL */
	char line[sizeof(s->tried)];
	snprintf(line, sizeof(line), "%s%s: %s", n ? "; " : "", where, why);
	for (char *c = line; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	snprintf(s->tried + n, sizeof(s->tried) - n, "%s", line);
}

static bool is_http_url(const char *u)
{
	return !strncasecmp(u, "http://", 7) || !strncasecmp(u, "https://", 8);
}

bool oci_sources_failed(oci_sources *s, const oci_error *err, bool started)
{
	if (s->idx >= 0) {
		note_tried(s, oci_sources_url(s), err->msg);
		return true;
	}
	if (err->code == OCI_E_NOTFOUND && (s->nondist || json_array_size(s->urls) > 0) &&
	    !started) {
		note_tried(s, "registry", err->msg);
		return true;
	}
	return false;
}

bool oci_sources_next(oci_sources *s)
{
	size_t n = json_array_size(s->urls);
	for (s->idx++; (size_t)s->idx < n; s->idx++) {
		const char *u = json_string_value(json_array_get(s->urls, (size_t)s->idx));
		char where[32];
		snprintf(where, sizeof(where), "urls[%d]", s->idx);
		if (!u)
			note_tried(s, where, "not a string");
		else if (!is_http_url(u))
			note_tried(s, u, "not an http(s) URL");
		else
			return true;
	}
	return false;
}

int oci_sources_err_exhausted(oci_sources *s, oci_error *err)
{
	if (json_array_size(s->urls) == 0)
		note_tried(s, "urls", "none in its descriptor");
	return oci_err(err, OCI_E_NOTFOUND, "%s: no source served it (%s)",
		       s->nondist ? "non-distributable layer" : "blob with urls", s->tried);
}
