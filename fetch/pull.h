/* Pulling an image: resolve the reference (short names and mirrors from registries.conf),
 * check it against the signature policy, pick the platform, fetch and verify the manifest
 * and config, download the layers in parallel into the blob store, and write an oci-archive
 * stream (in streaming order) or an OCI layout. */
#ifndef OCI_FETCH_PULL_H
#define OCI_FETCH_PULL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common/error.h"
#include "fetch/registry.h"

typedef struct oci_pull_opts {
	const char *image;
	oci_registry_opts reg;
	const char *platform; /* "os/arch[/variant]", NULL for the host's */
	bool all_platforms;
	const char *cache_dir; /* NULL: the default cache */
	bool no_cache;
	int jobs;
	int64_t
	    chunk_size; /* split blobs over twice this into Range requests; 0: never; <0: default */
	bool progress;
	const char *layout_dir; /* NULL: stream to stdout */
	const char *layout_tag; /* NULL: the reference's tag */
	const char *digest_file;
	bool print_digest;
	const char *registries_conf; /* NULL: $CONTAINERS_REGISTRIES_CONF or the default files */
	const char *policy;	     /* NULL: the default policy.json, if any */
	bool insecure_policy;	     /* no policy check at all */
} oci_pull_opts;

int oci_pull(const oci_pull_opts *o, oci_error *err);

/* The media type of a fetched manifest document into mt: the Content-Type when it names a
 * manifest or index type, else what the document says or its shape. Returns OCI_KIND_INDEX
 * or OCI_KIND_MANIFEST; schema 1 and other types are errors. */
int oci_pull_doc_kind(const char *content_type, json_t *doc, char *mt, size_t len, oci_error *err);

/* An image config (cfg) against --platform (NULL: nothing to check): OCI_E_NOTFOUND naming
 * both when its os/architecture/variant do not match, OCI_E_INVALID when they are not strings
 * or too long; a config that names no os or architecture passes. */
int oci_pull_check_platform(json_t *cfg, const char *platform, const char *refstr, oci_error *err);
#endif
