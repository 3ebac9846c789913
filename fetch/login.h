/* oci-fetch login and logout: credentials checked against the registry, then kept in (or
 * removed from) the auth file podman and skopeo read. */
#ifndef OCI_FETCH_LOGIN_H
#define OCI_FETCH_LOGIN_H

#include <stdbool.h>

#include "common/error.h"
#include "fetch/registry.h"

typedef struct oci_login_opts {
	const char *registry;  /* "host[:port]"; docker.io for Docker Hub */
	oci_registry_opts reg; /* TLS settings; username and password are the ones to check */
	const char *authfile;  /* NULL: oci_creds_auth_file's default */
	bool all;	       /* logout: every registry */
} oci_login_opts;

/* The registry key an auth file uses for a login argument: "docker.io" for any spelling of
 * Docker Hub, else the host[:port] in lower case. A path, tag or scheme is an error. */
int oci_login_host(const char *arg, char *host, size_t len, oci_error *err);
/* Check o->reg.username / o->reg.password against the registry (GET /v2/ answered 200), then
 * store them. Nothing is written when the registry refuses them. */
int oci_login(const oci_login_opts *o, oci_error *err);
/* Remove the stored credentials of o->registry (or all with o->all). Not being logged in
 * there is an error (OCI_E_NOTFOUND). */
int oci_logout(const oci_login_opts *o, oci_error *err);
#endif
