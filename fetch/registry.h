/* A registry client for one repository: the /v2/ API over HTTP(S) with authentication,
 * redirects (credentials dropped when the origin changes), retries with backoff, and
 * verified manifest and small-blob fetches. Large blobs go through transfer.h. */
#ifndef OCI_FETCH_REGISTRY_H
#define OCI_FETCH_REGISTRY_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/media.h"
#include "common/ref.h"
#include "fetch/auth.h"
#include "fetch/http.h"
#include "fetch/tls.h"

typedef struct oci_registry_opts {
	oci_tls_opts tls;
	bool
	    plain_http; /* forced; loopback registries default to it unless TLS options are given */
	const char *creds;    /* "user:pass" */
	const char *username; /* with password */
	const char *password;
	const char *authfile; /* the only auth file to read (--authfile), or NULL */
	int max_attempts;     /* per request, default 6 */
} oci_registry_opts;

typedef struct oci_registry {
	oci_ref ref;
	char host[OCI_REF_NAME_MAX +
		  1]; /* what to connect to: "registry-1.docker.io", "127.0.0.1:5000" */
	char base[OCI_REF_NAME_MAX + 16];   /* "https://host" */
	char origin[OCI_REF_NAME_MAX + 32]; /* normalised origin of base, for redirect checks */
	char scope[OCI_REF_NAME_MAX + 32];  /* "repository:<path>:pull" */
	bool tls_on;
	bool tls_implicit; /* a loopback registry in plain HTTP by default (may turn out to speak
			      TLS) */
	oci_tls tls;
	oci_auth auth;
	CURL *easy;	  /* for one-at-a-time requests; keeps its connection */
	CURL *easy_other; /* the same after a redirect to another origin: no client certificate */
	CURLSH *share;
	int max_attempts;
} oci_registry;

int oci_registry_init(oci_registry *r, const oci_ref *ref, const oci_registry_opts *o,
		      oci_error *err);
void oci_registry_release(oci_registry *r);

/* GET (or HEAD) path below base ("/v2/<name>/manifests/<ref>") with auth, redirects and retries.
 * Success is any 2xx; 404 is OCI_E_NOTFOUND with the registry's own message. */
int oci_registry_get(oci_registry *r, const char *method, const char *path, const char *accept,
		     size_t max_body, oci_http_resp *resp, oci_error *err);

/* Fetch a manifest or index by tag or digest ("sha256:..."), verified: against want when given
 * (digest and size), else against the Docker-Content-Digest header when the registry sends
 * one. Fills out_digest and media_type (from Content-Type or the document). */
int oci_registry_get_manifest(oci_registry *r, const char *reference, const oci_digest *want,
			      int64_t want_size, char **body, size_t *len, oci_digest *out_digest,
			      char *media_type, size_t mt_len, oci_error *err);

/* Every tag of the repository, following the registry's Link pagination (page_size tags a
 * page when > 0, else the registry's default page). *tags receives a new JSON array of
 * strings, in the registry's order. A next page on another origin, a page that points back
 * to itself, a page without tags that links on, more than OCI_REGISTRY_TAG_PAGES_MAX pages
 * and more than OCI_REGISTRY_TAGS_MAX tags are errors. */
#define OCI_REGISTRY_TAGS_MAX 1000000
/* Pages of a tag list followed at most (Docker Hub's 100 a page: 1M tags). */
#define OCI_REGISTRY_TAG_PAGES_MAX 10000
int oci_registry_list_tags(oci_registry *r, unsigned page_size, json_t **tags, oci_error *err);

/* GET /v2/ with the credentials (a token without any repository scope): whether the registry
 * accepts them. OCI_E_AUTH when it does not. */
int oci_registry_ping(oci_registry *r, oci_error *err);

/* Fetch a small blob (config) into memory, verified against its descriptor. */
int oci_registry_get_blob(oci_registry *r, const oci_descriptor *d, size_t max, char **body,
			  size_t *len, oci_error *err);

/* "<base>/v2/<name>/blobs/<digest>" (new string). */
char *oci_registry_blob_url(oci_registry *r, const oci_digest *d, oci_error *err);
/* Whether url is on the registry's own origin (credentials may be sent there). */
bool oci_registry_same_origin(oci_registry *r, const char *url);
/* Set up a handle for a blob transfer from url: shared connections, TLS, Authorization only
 * when url is on the registry's origin, and the client certificate only there too (a blob
 * redirected to storage on another host is set up as oci_registry_setup_foreign does). *hdrs
 * receives the header list (free it after). */
int oci_registry_setup_blob(oci_registry *r, CURL *e, const char *url, struct curl_slist **hdrs,
			    oci_error *err);
/* Set up a handle for a URL that is not the registry's (a foreign layer's "urls"): nothing
 * of the registry's credentials goes there, not even its client certificate, whatever the
 * URL's origin. */
int oci_registry_setup_foreign(oci_registry *r, CURL *e, const char *url, oci_error *err);
/* React to a 401 response from a transfer (or, with resp NULL, refresh an expired token). */
int oci_registry_reauth(oci_registry *r, const oci_http_resp *resp, oci_error *err);
#endif
