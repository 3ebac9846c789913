/* containers-registries.conf(5), version 2 (and the old version 1 lists): which registries a
 * short name is searched in, short-name aliases, and for each name prefix where it really
 * lives (location), its mirrors, whether it is insecure or blocked. Read the way
 * containers/image reads it, so podman, skopeo and oci-fetch pull the same thing. */
#ifndef OCI_FETCH_REGISTRIES_CONF_H
#define OCI_FETCH_REGISTRIES_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/ref.h"

enum oci_regconf_pull_from {
	OCI_PULL_FROM_ALL = 0,
	OCI_PULL_FROM_DIGEST_ONLY,
	OCI_PULL_FROM_TAG_ONLY,
};

enum oci_regconf_short_mode {
	OCI_SHORT_NAME_ENFORCING = 0, /* the default here: an ambiguous name is an error */
	OCI_SHORT_NAME_PERMISSIVE,    /* no terminal to ask: try the search registries in order */
	OCI_SHORT_NAME_DISABLED,      /* try the search registries in order */
};

typedef struct oci_regconf_mirror {
	char *location;
	bool insecure;
	int pull_from; /* enum oci_regconf_pull_from */
} oci_regconf_mirror;

typedef struct oci_regconf_registry {
	char *prefix;	/* "example.com/foo", "*.example.com" */
	char *location; /* "" only for a wildcard prefix: no rewrite */
	bool insecure;
	bool blocked;
	bool mirror_by_digest_only;
	oci_regconf_mirror *mirrors;
	size_t n_mirrors;
} oci_regconf_registry;

typedef struct oci_regconf_alias {
	char *name;  /* a short name: "busybox", "opensuse/leap" */
	char *value; /* fully qualified, no tag or digest */
} oci_regconf_alias;

typedef struct oci_regconf {
	char **search; /* unqualified-search-registries */
	size_t n_search;
	bool search_set;
	oci_regconf_registry *regs;
	size_t n_regs;
	oci_regconf_alias *aliases;
	size_t n_aliases;
	int short_mode; /* enum oci_regconf_short_mode */
	char *files;	/* the files read, "a, b" (for messages) */
} oci_regconf;

/* One place to try a pull: the physical reference, and how to talk to it. */
typedef struct oci_pull_source {
	oci_ref ref;
	bool insecure;
	bool mirror;
} oci_pull_source;

/* Read the configuration as containers/image does: file (when not NULL; else
 * $CONTAINERS_REGISTRIES_CONF; else $HOME/.config/containers/registries.conf when it exists,
 * else /etc/containers/registries.conf), then the drop-ins *.conf in alphabetical order of
 * /etc/containers/registries.conf.d/ (unless the user file was used) and of
 * $HOME/.config/containers/registries.conf.d/. An explicit file or the environment variable
 * reads that one file, no drop-ins. A missing file is no configuration. */
int oci_regconf_load(oci_regconf *c, const char *file, oci_error *err);
/* Merge one file's text over c (what names it in errors): later settings replace earlier
 * ones, [[registry]] tables with the same prefix replace each other, aliases merge by name
 * (an empty value erases one). */
int oci_regconf_merge(oci_regconf *c, const char *text, size_t len, const char *what,
		      oci_error *err);
void oci_regconf_release(oci_regconf *c);

/* The fully qualified references to try for what the user typed: one for a qualified name or
 * an alias; one search registry; or, for an ambiguous short name in enforcing mode, an
 * OCI_E_INVALID error that lists the registries. No search registries: Docker's
 * normalisation (docker.io), as skopeo does. *out: a NULL-terminated vector. */
int oci_regconf_resolve(const oci_regconf *c, const char *input, char ***out, oci_error *err);

/* Where to pull a qualified reference from, in order: mirrors first (as pull-from-mirror and
 * mirror-by-digest-only allow), then the (rewritten) location. A blocked name is an
 * OCI_E_AUTH error naming the prefix. */
int oci_regconf_sources(const oci_regconf *c, const oci_ref *ref, oci_pull_source **out, size_t *n,
			oci_error *err);
#endif
