/* TLS settings for registry connections. libcurl takes one CA source, so the system bundle
 * and every extra CA (--cacert, the *.crt files of certs.d/<host>) are joined into one in-memory
 * PEM blob: extra CAs add to the system trust, as Docker and skopeo do, instead of replacing it. */
#include "fetch/tls.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

#define CA_FILE_MAX (8u << 20)

static const char *const system_bundles[] = {
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
};

static int append_file(oci_tls *t, const char *path, bool required, oci_error *err)
{
	cleanup_free char *data = NULL;
	size_t len = 0;
	if (oci_read_named(path, CA_FILE_MAX, &data, &len, err) < 0) {
		if (!required && err->code == OCI_E_NOTFOUND) {
			oci_err_clear(err);
			return 0;
		}
		return oci_err_prefix(err, "CA file '%s'", path);
	}
	if (required && !strstr(data, "-----BEGIN CERTIFICATE-----"))
		return oci_err(err, OCI_E_TLS, "CA file '%s': no PEM certificate in it", path);
	char *n = realloc(t->ca_blob, t->ca_len + len + 2);
	if (!n)
		return oci_err(err, OCI_E_IO, "out of memory");
	t->ca_blob = n;
	memcpy(t->ca_blob + t->ca_len, data, len);
	t->ca_len += len;
	t->ca_blob[t->ca_len++] = '\n';
	t->ca_blob[t->ca_len] = '\0';
	return 1;
}

static int add_system_bundle(oci_tls *t, oci_error *err)
{
	if (t->ca_blob)
		return 0;
	const char *env = getenv("SSL_CERT_FILE");
	if (env && *env)
		return append_file(t, env, false, err) < 0 ? -1 : 0;
	for (size_t i = 0; i < ARRAY_SIZE(system_bundles); i++) {
		int r = append_file(t, system_bundles[i], false, err);
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
	/* No system bundle: start an empty blob so the extra CA alone is trusted. */
	t->ca_blob = calloc(1, 1);
	return t->ca_blob ? 0 : oci_err(err, OCI_E_IO, "out of memory");
}

static int add_ca(oci_tls *t, const char *path, oci_error *err)
{
	if (add_system_bundle(t, err) < 0)
		return -1;
	return append_file(t, path, true, err) < 0 ? -1 : 0;
}

/* One certs.d-style directory: *.crt are CAs, X.cert + X.key a client certificate. */
static int scan_dir(oci_tls *t, const char *dir, bool required, oci_error *err)
{
	cleanup_closedir DIR *d = opendir(dir);
	if (!d) {
		if (!required && (errno == ENOENT || errno == ENOTDIR))
			return 0;
		return oci_err_errno(err, errno, "certificate directory '%s'", dir);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		if (n[0] == '.')
			continue;
		cleanup_free char *p = oci_asprintf(err, "%s/%s", dir, n);
		if (!p)
			return -1;
		if (oci_str_has_suffix(n, ".crt")) {
			if (add_ca(t, p, err) < 0)
				return -1;
		} else if (oci_str_has_suffix(n, ".cert") && !t->cert) {
			cleanup_free char *k =
			    oci_asprintf(err, "%s/%.*s.key", dir, (int)(strlen(n) - 5), n);
			if (!k)
				return -1;
			if (access(k, R_OK) != 0)
				return oci_err(err, OCI_E_TLS,
					       "client certificate '%s' has no matching key '%s'",
					       p, k);
			t->cert = steal_pointer(&p);
			t->key = steal_pointer(&k);
		}
	}
	return 0;
}

int oci_tls_init(oci_tls *t, const oci_tls_opts *o, const char *host, oci_error *err)
{
	memset(t, 0, sizeof(*t));
	t->insecure = o->insecure;
	if (o->cacert && add_ca(t, o->cacert, err) < 0)
		return -1;
	if ((o->cert && !o->key) || (!o->cert && o->key))
		return oci_err(err, OCI_E_INVALID, "--cert and --key go together");
	if (o->cert) {
		if (access(o->cert, R_OK) != 0)
			return oci_err_errno(err, errno, "client certificate '%s'", o->cert);
		if (access(o->key, R_OK) != 0)
			return oci_err_errno(err, errno, "client key '%s'", o->key);
		t->cert = oci_strdup(o->cert, err);
		t->key = oci_strdup(o->key, err);
		if (!t->cert || !t->key)
			return -1;
	}
	if (o->cert_dir)
		return scan_dir(t, o->cert_dir, true, err);
	const char *env = getenv("OCI_CERTS_D");
	cleanup_free char *parents =
	    oci_strdup(env ? env : "/etc/docker/certs.d:/etc/containers/certs.d", err);
	if (!parents)
		return -1;
	char *save = NULL;
	for (char *p = strtok_r(parents, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		cleanup_free char *dir = oci_asprintf(err, "%s/%s", p, host);
		if (!dir)
			return -1;
		if (scan_dir(t, dir, false, err) < 0)
			return -1;
	}
	return 0;
}

void oci_tls_release(oci_tls *t)
{
	free(t->ca_blob);
	free(t->cert);
	free(t->key);
	memset(t, 0, sizeof(*t));
}

int oci_tls_apply(const oci_tls *t, CURL *e, oci_error *err)
{
	CURLcode rc = CURLE_OK;
	if (t->insecure) {
		rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (t->ca_blob) {
		struct curl_blob b = {
		    .data = t->ca_blob, .len = t->ca_len, .flags = CURL_BLOB_NOCOPY};
		rc |= curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
	}
	if (t->cert) {
		rc |= curl_easy_setopt(e, CURLOPT_SSLCERT, t->cert);
		rc |= curl_easy_setopt(e, CURLOPT_SSLKEY, t->key);
	}
	if (rc != CURLE_OK)
		return oci_err(err, OCI_E_TLS, "cannot apply TLS settings");
	return 0;
}
