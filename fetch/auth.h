/* Registry authentication, the protocol side: WWW-Authenticate challenges, basic auth and
 * bearer tokens with scope renewal. Where the credentials come from: credentials.h. */
#ifndef OCI_FETCH_AUTH_H
#define OCI_FETCH_AUTH_H

#include <curl/curl.h>
#include <stdbool.h>
#include <time.h>

#include "common/error.h"
#include "fetch/credentials.h"
#include "fetch/tls.h"

typedef struct oci_challenge {
	char scheme[16]; /* "bearer" or "basic" (lower case) */
	char realm[1024];
	char service[256];
	char scope[2048];
	char error[64];
} oci_challenge;

/* Parse a WWW-Authenticate value. A realm, service, scope or error longer than its field is
 * an error (OCI_E_AUTH), never cut. */
int oci_challenge_parse(const char *hdr, oci_challenge *c, oci_error *err);

enum { OCI_AUTH_NONE = 0, OCI_AUTH_BASIC, OCI_AUTH_BEARER };

typedef struct oci_auth {
	oci_creds creds;
	bool have_creds;
	bool registry_tls;	  /* credentials never go to an http:// realm of a TLS registry */
	const char *registry_url; /* "http(s)://host:port": an http:// realm on another host never
				     gets the credentials of a plain-http registry either */
	const oci_tls *tls;
	int scheme;
	char realm[1024];
	char service[256];
	char scopes[2048]; /* space-separated scopes asked for so far */
	char *token;
	time_t expires;
	char *header; /* "Authorization: ..." for the registry's own origin, or NULL */
	int failures;
} oci_auth;

void oci_auth_release(oci_auth *a);
/* React to a 401: set up basic auth or fetch a bearer token for the challenge's scope
 * (merged with the scopes asked before, and with default_scope). Fails with OCI_E_AUTH when
 * nothing new can be tried (bad credentials, token refused). */
int oci_auth_challenge(oci_auth *a, const char *www_authenticate, const char *default_scope,
		       oci_error *err);
/* Add each space-separated scope of add to a->scopes unless already there; scopes beyond
 * what a->scopes holds are an error (OCI_E_AUTH), never left out. */
int oci_auth_merge_scopes(oci_auth *a, const char *add, oci_error *err);
/* The token request URL for the current realm, service and scopes (new string): the realm
 * with service= and one scope= per scope appended to its query, each URL-encoded. */
char *oci_auth_token_url(const oci_auth *a, oci_error *err);
/* Refresh an expired bearer token (no-op otherwise). */
int oci_auth_refresh(oci_auth *a, oci_error *err);
/* The Authorization header line for requests to the registry, or NULL. */
const char *oci_auth_header(const oci_auth *a);
#endif
