/* One error type for the whole toolkit: a code and a message, carried by pointer.
 *
 * Library functions that can fail take `oci_error *err` as their last argument and return
 * a negative number (or NULL) after filling it; callers add context with oci_err_prefix()
 * while returning up, and only main() prints it, once, on one line. */
#ifndef OCI_ERROR_H
#define OCI_ERROR_H

#include <stdarg.h>
#include <stddef.h>

enum oci_errcode {
	OCI_OK = 0,
	OCI_E_INVALID,	   /* bad input: reference, JSON, option, config value */
	OCI_E_IO,	   /* a system call failed (errno kept in sys_errno) */
	OCI_E_NOTFOUND,	   /* name, tag, blob, container, file does not exist */
	OCI_E_EXISTS,	   /* something that must not exist does */
	OCI_E_DIGEST,	   /* digest or size mismatch */
	OCI_E_LIMIT,	   /* a size, depth or count cap was hit */
	OCI_E_UNSUPPORTED, /* valid but not supported (schema1, unknown media type) */
	OCI_E_UNSAFE,	   /* a path escaping its root, a hostile entry */
	OCI_E_NET,	   /* network / HTTP failure */
	OCI_E_AUTH,	   /* authentication or authorization failure */
	OCI_E_TLS,	   /* certificate / TLS failure */
	OCI_E_STATE,	   /* wrong container state for the operation */
	OCI_E_INTERNAL,
};

#define OCI_ERR_MSG_MAX 2048

typedef struct oci_error {
	int code;      /* enum oci_errcode, OCI_OK when unset */
	int sys_errno; /* errno when the cause was a system call, else 0 */
	char msg[OCI_ERR_MSG_MAX];
} oci_error;

#define OCI_ERROR_INIT                                                                             \
	{                                                                                          \
		0, 0,                                                                              \
		{                                                                                  \
			0                                                                          \
		}                                                                                  \
	}

/* Set err (if not NULL) and return -1. */
int oci_err(oci_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int oci_err_v(oci_error *err, int code, const char *fmt, va_list ap);
/* Like oci_err with code OCI_E_IO (or NOTFOUND/EXISTS for ENOENT/EEXIST) and ": strerror(errnum)"
 * appended. */
int oci_err_errno(oci_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prepend "context: " to the message; returns -1 so it can be used in return statements. */
int oci_err_prefix(oci_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void oci_err_clear(oci_error *err);
const char *oci_err_code_name(int code);
/* Append text to the message (used by the library-specific converters). */
void oci_err_append(oci_error *err, const char *suffix);

/* Conversions from the libraries' own errors (see error.c). Each returns -1. */
struct archive;
int oci_err_archive(oci_error *err, struct archive *a, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int oci_err_curl(oci_error *err, int curl_code, const char *errbuf, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int oci_err_openssl(oci_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
