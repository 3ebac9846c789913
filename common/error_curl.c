/* Converts curl errors into the common error type; a file of its own so a tool that
 * does not use curl does not link it. */
#include "common/error.h"

#include <curl/curl.h>

int oci_err_curl(oci_error *err, int curl_code, const char *errbuf, const char *fmt, ...)
{
	va_list ap;
	int code = OCI_E_NET;
	if (!err)
		return -1;
	switch (curl_code) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		code = OCI_E_TLS;
		break;
	default:
		break;
	}
	va_start(ap, fmt);
	oci_err_v(err, code, fmt, ap);
	va_end(ap);
	oci_err_append(err, ": ");
	oci_err_append(err, errbuf && *errbuf ? errbuf : curl_easy_strerror((CURLcode)curl_code));
	return -1;
}
