/* Registry authentication: credentials (flags, docker/containers auth files, credential
 * helpers), WWW-Authenticate challenges, basic auth and bearer tokens with scope renewal. */
#ifndef OCI_FETCH_AUTH_H
#define OCI_FETCH_AUTH_H

#include <curl/curl.h>
#include <stdbool.h>
#include <time.h>

#include "common/error.h"
#include "fetch/tls.h"

typedef struct oci_creds {
	char *user;
	char *secret;
	char *source;	     /* where they came from, for --debug (never the secret) */
	bool identity_token; /* secret is an OAuth2 refresh token ("identitytoken", helper user
				"<token>") */
} oci_creds;

/* "user:pass" (--creds). */
int oci_creds_from_string(const char *s, oci_creds *c, oci_error *err);
/* Look host up in $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
 * $XDG_CONFIG_HOME/containers/auth.json, $DOCKER_CONFIG/config.json or
 * ~/.docker/config.json (auths, credHelpers, credsStore). Returns 1 when found, 0 when not. */
int oci_creds_lookup(const char *host, oci_creds *c, oci_error *err);
/* Wipe and free. */
void oci_creds_release(oci_creds *c);

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
/* The token request URL for the current realm, service and scopes (new string): the realm
 * with service= and one scope= per scope appended to its query, each URL-encoded. */
char *oci_auth_token_url(const oci_auth *a, oci_error *err);
/* Refresh an expired bearer token (no-op otherwise). */
int oci_auth_refresh(oci_auth *a, oci_error *err);
/* The Authorization header line for requests to the registry, or NULL. */
const char *oci_auth_header(const oci_auth *a);
#endif
