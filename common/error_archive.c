/* Converts archive errors into the common error type; a file of its own so a tool that
 * does not use archive does not link it. */
#include "common/error.h"

#include <archive.h>
#include <errno.h>
#include <string.h>

int oci_err_archive(oci_error *err, struct archive *a, const char *fmt, ...)
{
	va_list ap;
	const char *s = a ? archive_error_string(a) : NULL;
	int e = a ? archive_errno(a) : 0;
	if (!err)
		return -1;
	va_start(ap, fmt);
	oci_err_v(err, OCI_E_INVALID, fmt, ap);
	va_end(ap);
	if (e == ENOSPC || e == EIO || e == EDQUOT) {
		err->code = OCI_E_IO;
		err->sys_errno = e;
	}
	oci_err_append(err, ": ");
	oci_err_append(err, s ? s : (e ? strerror(e) : "archive error"));
	return -1;
}
