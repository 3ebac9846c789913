/* The little protocol between the runtime and the container's init while it is being set
 * up: typed messages over a SOCK_SEQPACKET socketpair, with an optional fd (SCM_RIGHTS). */
#ifndef OCI_RUN_SYNC_H
#define OCI_RUN_SYNC_H

#include <stddef.h>

#include "common/error.h"

enum oci_sync_type {
	OCI_SYNC_GO = 1,     /* runtime -> init: ids mapped, cgroups joined; payload: state JSON */
	OCI_SYNC_HOOKS,	     /* init -> runtime: mounts done, run prestart/createRuntime now */
	OCI_SYNC_HOOKS_DONE, /* runtime -> init */
	OCI_SYNC_PTY,	     /* init -> runtime: the pty master (fd) */
	OCI_SYNC_READY,	     /* init -> runtime: waiting for start */
	OCI_SYNC_ERROR,	     /* init -> runtime: payload is the error message */
};

#define OCI_SYNC_MAX 8192

/* Send a message; fd >= 0 is passed along. */
int oci_sync_send(int sock, int type, const void *data, size_t len, int fd, oci_error *err);
/* Receive one message: returns its type (0 at EOF), fills buf (NUL-terminated) and *fd (or -1). */
int oci_sync_recv(int sock, char *buf, size_t buflen, int *fd, oci_error *err);
/* Receive and require a given type; an OCI_SYNC_ERROR becomes err. */
int oci_sync_expect(int sock, int type, char *buf, size_t buflen, int *fd, oci_error *err);
#endif
