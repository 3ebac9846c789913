/* The common error type: formatting, context, and conversion from library errors. */
#include "common/error.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int oci_err_v(oci_error *err, int code, const char *fmt, va_list ap)
{
	if (!err)
		return -1;
	err->code = code ? code : OCI_E_INTERNAL;
	err->sys_errno = 0;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return -1;
}

int oci_err(oci_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	oci_err_v(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

void oci_err_append(oci_error *err, const char *suffix)
{
	size_t len = strlen(err->msg);
	if (len < sizeof(err->msg) - 1)
		snprintf(err->msg + len, sizeof(err->msg) - len, "%s", suffix);
}

int oci_err_errno(oci_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int code = OCI_E_IO;
	if (errnum == ENOENT)
		code = OCI_E_NOTFOUND;
	else if (errnum == EEXIST)
		code = OCI_E_EXISTS;
	else if (errnum == EXDEV || errnum == ELOOP)
		code = OCI_E_UNSAFE;
	if (!err)
		return -1;
	va_start(ap, fmt);
	oci_err_v(err, code, fmt, ap);
	va_end(ap);
	err->sys_errno = errnum;
	oci_err_append(err, ": ");
	oci_err_append(err, strerror(errnum));
	return -1;
}

int oci_err_prefix(oci_error *err, const char *fmt, ...)
{
	char prefix[OCI_ERR_MSG_MAX];
	char old[OCI_ERR_MSG_MAX];
	va_list ap;
	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	/* The message is one line of bounded size: when prefix and message do not fit, the end
	 * is cut visibly ("...") rather than silently. */
	size_t max = sizeof(err->msg) - 1, pl = strlen(prefix), ol = strlen(old);
	if (pl > max - 5)
		pl = max - 5;
	size_t room = max - pl - 2;
	bool cut = ol > room;
	if (cut)
		ol = room - 3;
	char *p = err->msg;
	memcpy(p, prefix, pl);
	p += pl;
	memcpy(p, ": ", 2);
	p += 2;
	memcpy(p, old, ol);
	p += ol;
	if (cut) {
		memcpy(p, "...", 3);
		p += 3;
	}
	*p = '\0';
	if (!err->code)
		err->code = OCI_E_INTERNAL;
	return -1;
}

void oci_err_clear(oci_error *err)
{
	if (err) {
		err->code = OCI_OK;
		err->sys_errno = 0;
		err->msg[0] = '\0';
	}
}

const char *oci_err_code_name(int code)
{
	static const char *names[] = {
	    [OCI_OK] = "ok",
	    [OCI_E_INVALID] = "invalid",
	    [OCI_E_IO] = "io",
	    [OCI_E_NOTFOUND] = "not found",
	    [OCI_E_EXISTS] = "exists",
	    [OCI_E_DIGEST] = "digest mismatch",
	    [OCI_E_LIMIT] = "limit exceeded",
	    [OCI_E_UNSUPPORTED] = "unsupported",
	    [OCI_E_UNSAFE] = "unsafe",
	    [OCI_E_NET] = "network",
	    [OCI_E_AUTH] = "authentication",
	    [OCI_E_TLS] = "tls",
	    [OCI_E_STATE] = "state",
	    [OCI_E_INTERNAL] = "internal",
	};
	if (code < 0 || code > OCI_E_INTERNAL)
		return "unknown";
	return names[code];
}
