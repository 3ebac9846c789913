/* Fuzz registry authentication (fetch/auth.c) against a hostile registry: the first line is a
 * WWW-Authenticate value, the rest the token server's response. The challenge is parsed, then
 * answered four ways (anonymous, then again for the same realm as a scope renewal, with the
 * credentials of a plain-http registry, and with an identity token, which POSTs a form), with
 * HTTP itself replaced by stub_http.c; the token URL is also built on its own. A
 * response starting with '!' is answered with status 401. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "fetch/auth.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/fuzz/stub_http.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	oci_log_set_level(-1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hl = nl ? (size_t)(nl - data) : size;
	char *hdr = fuzz_strndup(data, hl);
	fuzz_http_body = nl ? (const char *)nl + 1 : "";
	fuzz_http_len = nl ? size - hl - 1 : 0;
	fuzz_http_status = fuzz_http_len > 0 && fuzz_http_body[0] == '!' ? 401 : 200;

	oci_error err = OCI_ERROR_INIT;
	oci_challenge c;
	(void)oci_challenge_parse(hdr, &c, &err);

	oci_auth a;
	memset(&a, 0, sizeof(a));
	a.registry_url = "https://registry.example:5000";
	if (oci_auth_challenge(&a, hdr, "repository:library/busybox:pull", &err) == 0)
		(void)oci_auth_header(&a);
	(void)oci_auth_challenge(&a, hdr, NULL, &err);
	char *url = oci_auth_token_url(&a, &err);
	free(url);
	oci_auth_release(&a);

	/* with credentials of a plain-http registry, once as an identity token */
	for (int i = 0; i < 2; i++) {
		memset(&a, 0, sizeof(a));
		a.registry_url = "http://127.0.0.1:5000";
		if (oci_creds_from_string("user:secret", &a.creds, &err) == 0) {
			a.have_creds = true;
			a.creds.identity_token = i == 1;
			(void)oci_auth_challenge(&a, hdr, "repository:x/y:pull,push", &err);
		}
		oci_auth_release(&a);
	}
	free(hdr);
	return 0;
}
