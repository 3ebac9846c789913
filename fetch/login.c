/* oci-fetch login and logout. Login asks the registry first (GET /v2/ with the credentials,
 * through the same challenge and token protocol a pull uses), so a wrong password is an error
 * and never a file that fails later; then credentials.c writes them where podman and skopeo
 * look. */
#include "fetch/login.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "fetch/credentials.h"

int oci_login_host(const char *arg, char *host, size_t len, oci_error *err)
{
	const char *a = arg;
	if (oci_str_has_prefix(a, "docker://"))
		a += 9;
	size_t n = strlen(a);
	while (n && a[n - 1] == '/')
		n--;
	if (!n)
		return oci_err(err, OCI_E_INVALID, "missing REGISTRY (host[:port])");
	if (n >= len || n > OCI_REF_NAME_MAX)
		return oci_err(err, OCI_E_INVALID, "'%s': registry name too long", arg);
	for (size_t i = 0; i < n; i++) {
		char c = a[i];
		if (c == '/' || c == '@')
			return oci_err(
			    err, OCI_E_INVALID,
			    "'%s': expected a registry (host[:port]), not a repository or "
			    "image",
			    arg);
		if (!isalnum((unsigned char)c) && !strchr(".-:[]_", c))
			return oci_err(err, OCI_E_INVALID, "'%s': not a registry host name", arg);
		host[i] = (char)tolower((unsigned char)c);
	}
	host[n] = '\0';
	if (!strcmp(host, "index.docker.io") || !strcmp(host, "registry-1.docker.io"))
		snprintf(host, len, "docker.io");
	return 0;
}

int oci_login(const oci_login_opts *o, oci_error *err)
{
	char host[OCI_REF_NAME_MAX + 1];
	if (oci_login_host(o->registry, host, sizeof(host), err) < 0)
		return -1;
	if (!o->reg.username || !*o->reg.username)
		return oci_err(err, OCI_E_INVALID, "missing user name");
	if (!o->reg.password || !*o->reg.password)
		return oci_err(err, OCI_E_INVALID, "empty password");
	cleanup_free char *path = oci_creds_auth_file(o->authfile, err);
	if (!path)
		return -1;
	oci_ref ref;
	memset(&ref, 0, sizeof(ref));
	snprintf(ref.domain, sizeof(ref.domain), "%s", host);
	oci_registry reg;
	if (oci_registry_init(&reg, &ref, &o->reg, err) < 0) {
		oci_registry_release(&reg);
		return oci_err_prefix(err, "%s", host);
	}
	int rc = oci_registry_ping(&reg, err);
	oci_registry_release(&reg);
	if (rc < 0)
		return -1;
	if (oci_creds_store(path, host, o->reg.username, o->reg.password, err) < 0)
		return -1;
	log_debug("credentials for %s stored in %s", host, path);
	return 0;
}

int oci_logout(const oci_login_opts *o, oci_error *err)
{
	char host[OCI_REF_NAME_MAX + 1];
	if (!o->all && oci_login_host(o->registry, host, sizeof(host), err) < 0)
		return -1;
	cleanup_free char *path = oci_creds_auth_file(o->authfile, err);
	if (!path)
		return -1;
	int r = oci_creds_erase(path, o->all ? NULL : host, err);
	if (r < 0)
		return -1;
	if (r == 0 && !o->all)
		return oci_err(err, OCI_E_NOTFOUND, "not logged in to %s (in '%s')", host, path);
	return 0;
}
