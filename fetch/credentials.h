/* Credential sources: the user name and secret oci-fetch authenticates with, from the flags
 * (--creds, --username) or from the auth files docker and podman write, including
 * credential helpers and identity tokens. Using them is auth.h's business. */
#ifndef OCI_FETCH_CREDENTIALS_H
#define OCI_FETCH_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

typedef struct oci_creds {
	char *user;
	char *secret;
	char *source;	     /* where they came from, for --debug (never the secret) */
	bool identity_token; /* secret is an OAuth2 refresh token ("identitytoken", helper user
				"<token>") */
} oci_creds;

/* What the command line says about credentials (NULL where a flag is absent). */
typedef struct oci_creds_flags {
	const char *creds;    /* --creds USER:PASS */
	const char *username; /* --username */
	const char *password; /* read from stdin for --username */
	const char *authfile; /* --authfile: the only auth file looked in */
} oci_creds_flags;

/* The credentials for host from the first source that has them: --creds, --username, then
 * the auth files (oci_creds_lookup). Returns 1 when found, 0 when not, -1 on error. */
int oci_creds_find(const oci_creds_flags *f, const char *host, oci_creds *c, oci_error *err);
/* "user:pass" (--creds). */
int oci_creds_from_string(const char *s, oci_creds *c, oci_error *err);
/* --username with its password (empty or NULL: an error). */
int oci_creds_from_user(const char *user, const char *password, oci_creds *c, oci_error *err);
/* Look host up in $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
 * $XDG_CONFIG_HOME/containers/auth.json, $DOCKER_CONFIG/config.json or
 * ~/.docker/config.json (auths, credHelpers, credsStore). Returns 1 when found, 0 when not. */
int oci_creds_lookup(const char *host, oci_creds *c, oci_error *err);
/* Set user (its first ulen bytes) and secret; returns 1, or -1 (c released). */
int oci_creds_set(oci_creds *c, const char *user, size_t ulen, const char *secret, oci_error *err);
/* The auth file login writes and logout edits: authfile when given, else
 * $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json, else
 * /run/containers/UID/auth.json: the first file podman and skopeo read. New string. */
char *oci_creds_auth_file(const char *authfile, oci_error *err);
/* Put user and secret for host (its auths entry, "auth": base64 of user:secret) in the auth
 * file at path, keeping everything else in it; written 0600 and atomically (a temporary file
 * renamed over it), its directory made 0700 when missing. */
int oci_creds_store(const char *path, const char *host, const char *user, const char *secret,
		    oci_error *err);
/* Remove host's auths entries (every entry when host is NULL). 1 when something was removed,
 * 0 when there was nothing for host. */
int oci_creds_erase(const char *path, const char *host, oci_error *err);
/* One line: from the terminal after prompt (echo off unless echo) when stdin is one, else
 * from stdin. New string, without its newline; wipe it with oci_creds_wipe. */
char *oci_creds_read_secret(const char *prompt, bool echo, oci_error *err);
/* Wipe and free. */
void oci_creds_release(oci_creds *c);
/* Wipe a secret string and free it (NULL is fine). */
void oci_creds_wipe(char *s);
#endif
