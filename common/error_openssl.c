/* Converts openssl errors into the common error type; a file of its own so a tool that
 * does not use openssl does not link it. */
#include "common/error.h"

#include <openssl/err.h>

int oci_err_openssl(oci_error *err, const char *fmt, ...)
{
	va_list ap;
	char buf[256];
	unsigned long e = ERR_get_error();
	if (!err) {
		ERR_clear_error();
		return -1;
	}
	va_start(ap, fmt);
	oci_err_v(err, OCI_E_INTERNAL, fmt, ap);
	va_end(ap);
	if (e) {
		ERR_error_string_n(e, buf, sizeof(buf));
		oci_err_append(err, ": ");
		oci_err_append(err, buf);
	}
	ERR_clear_error();
	return -1;
}
