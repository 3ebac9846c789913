/* Where a blob is downloaded from: the registry first, then, for a non-distributable
 * (foreign) layer the registry does not have, the URLs of its descriptor in order. This
 * module decides which source is next and keeps why each one failed; transfer.c does the
 * downloading and starts over when the source changes. */
#ifndef OCI_FETCH_SOURCES_H
#define OCI_FETCH_SOURCES_H

#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"

typedef struct oci_sources {
	bool nondist;	  /* set by the caller: a non-distributable layer */
	json_t *urls;	  /* set by the caller, borrowed from the manifest; may be NULL */
	int idx;	  /* -1: the registry; else the URL being tried */
	char tried[1024]; /* why each source failed, for the final error */
} oci_sources;

/* Start at the registry (urls and nondist are kept). */
void oci_sources_init(oci_sources *s);
/* The foreign URL being tried, or NULL while the source is the registry. Foreign sources get
 * no credentials, and their bytes are shown to consumers only once verified (another source
 * may still replace them). */
const char *oci_sources_url(const oci_sources *s);
/* The current source failed with err (a message without the blob prefix). Returns true
 * when another source may be tried: err came from a foreign URL, or is the registry's 404
 * for a blob with URLs (or a non-distributable one) of which nothing was received yet
 * (started: some bytes were). The failure is noted either way it moves on. */
bool oci_sources_failed(oci_sources *s, const oci_error *err, bool started);
/* Move to the next usable URL (an http(s) string); true when there is one. */
bool oci_sources_next(oci_sources *s);
/* No source is left: the error listing what each one said. */
int oci_sources_err_exhausted(oci_sources *s, oci_error *err);
#endif
