/* The little protocol between the runtime and the container's init (or exec's process)
 * while it is being set up: typed messages over a SOCK_SEQPACKET socketpair, with an
 * optional fd (SCM_RIGHTS), and the runtime's loop serving it. */
#ifndef OCI_RUN_SYNC_H
#define OCI_RUN_SYNC_H

#include <stddef.h>

#include "common/error.h"

enum oci_sync_type {
	OCI_SYNC_GO = 1,       /* runtime -> init: ids mapped, cgroups joined (by the runtime, or by
				  the init itself before it waits for GO); payload: state JSON */
	OCI_SYNC_HOOKS,	       /* init -> runtime: mounts done, run prestart/createRuntime now */
	OCI_SYNC_HOOKS_DONE,   /* runtime -> init */
	OCI_SYNC_PTY,	       /* init -> runtime: the pty master (fd) */
	OCI_SYNC_READY,	       /* init -> runtime: waiting for start */
	OCI_SYNC_ERROR,	       /* init -> runtime: payload is the error message */
	OCI_SYNC_SECCOMP,      /* init -> runtime: the seccomp notify fd (fd) for the agent */
	OCI_SYNC_SECCOMP_DONE, /* runtime -> init: the agent has it */
	OCI_SYNC_PID, /* create's intermediate -> runtime: the init's pid (decimal), cloned into a
		       * pid namespace joined by path */
	OCI_SYNC_MOUNT_TREE,	/* runtime -> init, before GO: a bind source's copy (fd);
				   payload: the mount's index (run/mounts.h) */
	OCI_SYNC_CGROUP,	/* runtime -> init, after GO: the container's cgroup directories
				   (payload: each ends with its NUL), made while the init built its
				   mounts; as many messages as they need */
	OCI_SYNC_CGROUPS_READY, /* runtime -> init: every directory sent, limits and device filter
				   in place: the init joins them before anything of the
				   container's runs */
	OCI_SYNC_DEVICES_READY, /* runtime -> init, after CGROUPS_READY: a hybrid host's eBPF
				   backup of the v1 device list is attached (or cannot be): the
				   init waits for it after its mounts, before any hook */
};

#define OCI_SYNC_MAX 8192

/* Send a message; fd >= 0 is passed along. */
int oci_sync_send(int sock, int type, const void *data, size_t len, int fd, oci_error *err);
/* Receive one message: returns its type (0 at EOF), fills buf (NUL-terminated) and *fd (or -1). */
int oci_sync_recv(int sock, char *buf, size_t buflen, int *fd, oci_error *err);
/* Receive and require a given type; an OCI_SYNC_ERROR becomes err. */
int oci_sync_expect(int sock, int type, char *buf, size_t buflen, int *fd, oci_error *err);

/* The runtime's side of the protocol while a container's init (create) or a new process
 * (exec) is set up: one loop for both. */
typedef struct oci_sync_server {
	const char *console_socket; /* the pty master goes there; without one it is kept */
	int master;		    /* out: the pty master kept, or -1 (the caller closes it) */
	/* OCI_SYNC_HOOKS: run the runtime's hooks (NULL: none); HOOKS_DONE is then sent. */
	int (*hooks)(void *ctx, oci_error *err);
	/* OCI_SYNC_READY with its payload: 1 ends the loop, 0 goes on until the peer closes. */
	int (*ready)(void *ctx, const char *payload, oci_error *err);
	/* OCI_SYNC_SECCOMP: the callback owns fd and sends OCI_SYNC_SECCOMP_DONE on sock once
	 * the agent has it (NULL: the message is refused). */
	int (*seccomp)(void *ctx, int sock, int fd, oci_error *err);
	/* Called each time idle_ms pass without a message (NULL or 0: wait for ever); -1 ends
	 * the loop with err set (a peer that can no longer answer: its cgroup frozen). */
	int (*idle)(void *ctx, oci_error *err);
	int idle_ms;
	void *ctx;
} oci_sync_server;

/* Serve messages until ready() ends the loop (returns 1) or the peer closes the socket
 * (returns 0); an OCI_SYNC_ERROR from the peer or a failure of ours is -1 with err set. Set
 * s->master to -1 first. */
int oci_sync_serve(int sock, oci_sync_server *s, oci_error *err);
#endif
