/* TLS settings for registry connections: CA bundles, client certificates, the certs.d
 * directory conventions, and --insecure. */
#ifndef OCI_FETCH_TLS_H
#define OCI_FETCH_TLS_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

typedef struct oci_tls_opts {
	const char *cacert;   /* --cacert: extra trusted CAs (PEM), added to the system ones */
	const char *cert;     /* --cert: client certificate (PEM) */
	const char *key;      /* --key: its private key */
	const char *cert_dir; /* --cert-dir: *.crt, *.cert, *.key as in certs.d/<host>/ */
	bool insecure;	      /* --insecure: do not verify the server */
} oci_tls_opts;

typedef struct oci_tls {
	bool insecure;
	char *ca_blob; /* system bundle + extra CAs, or NULL for libcurl's default */
	size_t ca_len;
	char *cert; /* client certificate and key paths, or NULL */
	char *key;
} oci_tls;

/* Gather the TLS settings for host ("127.0.0.1:5000"): options first, then
 * /etc/docker/certs.d/<host>/ and /etc/containers/certs.d/<host>/ (or $OCI_CERTS_D, a
 * colon-separated list of such parent directories). */
int oci_tls_init(oci_tls *t, const oci_tls_opts *o, const char *host, oci_error *err);
void oci_tls_release(oci_tls *t);
/* Apply to an easy handle (for https URLs; harmless for http). */
int oci_tls_apply(const oci_tls *t, CURL *e, oci_error *err);
#endif
