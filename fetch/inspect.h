/* Looking at a remote image without pulling it: the manifest (and index), the config and the
 * tags, as skopeo inspect's JSON, a short listing, or the raw verified bytes. */
#ifndef OCI_FETCH_INSPECT_H
#define OCI_FETCH_INSPECT_H

#include <stdbool.h>
#include <stdio.h>

#include "common/error.h"
#include "fetch/registry.h"

enum oci_inspect_format {
	OCI_INSPECT_JSON = 0, /* skopeo inspect's fields, plus a few of ours */
	OCI_INSPECT_TEXT,     /* a short listing for people */
	OCI_INSPECT_RAW,      /* the manifest (or index) bytes, as the registry sent them */
	OCI_INSPECT_CONFIG,   /* the config blob's bytes (of the platform picked from an index) */
};

typedef struct oci_inspect_opts {
	const char *image;
	oci_registry_opts reg;
	const char *platform; /* "os/arch[/variant]", NULL for the host's */
	int format;	      /* enum oci_inspect_format */
	bool no_tags;	      /* do not list the repository's tags (RepoTags stays empty) */
} oci_inspect_opts;

/* Fetch the manifest (the platform's one when the reference names an index), verify it and
 * its config, and print them to out. Layer blobs are never requested. */
int oci_inspect(const oci_inspect_opts *o, FILE *out, oci_error *err);

typedef struct oci_list_tags_opts {
	const char *repo;
	oci_registry_opts reg;
	unsigned page_size; /* 0: the registry's default page */
	bool text;	    /* one tag a line instead of skopeo's JSON */
} oci_list_tags_opts;

/* Print every tag of the repository (following pagination). */
int oci_list_tags(const oci_list_tags_opts *o, FILE *out, oci_error *err);
#endif
