/* The sd_notify relay (runc's, for systemd's Type=notify and podman's --sdnotify=container):
 * with NOTIFY_SOCKET set, the container gets a datagram socket of its own,
 * <state dir>/notify/notify.sock, its directory bind-mounted read-only (nosuid, nodev,
 * noexec) at /run/notify and NOTIFY_SOCKET=/run/notify/notify.sock in its process's
 * environment. The runtime waits for a READY=1 line on it and then tells the host's socket
 * READY=1 and MAINPID (itself for a foreground run, the init for start and run -d), then
 * BARRIER=1 with a pipe it waits on (30 s at most). Nothing else the container sends reaches
 * the host (docs/RUNTIME.md says why): other lines are dropped, a datagram with fds is
 * refused at its sendmsg (SO_PASSRIGHTS; before Linux 6.16 a child of the runtime reads the
 * socket, the fds are closed there, and only the bytes reach the runtime), a datagram longer
 * than sd_notify's
 * limit is dropped whole, and every read goes into one fixed buffer. */
#ifndef OCI_RUN_NOTIFY_H
#define OCI_RUN_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/config.h"
#include "common/error.h"
#include "run/container.h"
#include "run/signals.h"

#define OCI_NOTIFY_DIR		"notify"
#define OCI_NOTIFY_SOCK		"notify.sock"
#define OCI_NOTIFY_IN_CONTAINER "/run/notify"
/* systemd's own limit of a notification (NOTIFY_BUFFER_MAX) */
#define OCI_NOTIFY_MAX 4096
/* how long the host's listener has to answer BARRIER=1 (runc's) */
#define OCI_NOTIFY_BARRIER_MS 30000

typedef struct oci_notify {
	int host;	      /* connected to the host's NOTIFY_SOCKET; -1: none */
	int sock;	      /* the container's, bound in its state directory; -1: none */
	int barrier;	      /* the read end of BARRIER=1's pipe while it is waited for; -1 */
	pid_t filter;	      /* without SO_PASSRIGHTS: the child that reads sock for us; 0 */
	pid_t mainpid;	      /* what MAINPID= names (foreground run: the runtime) */
	bool ready;	      /* READY=1 was relayed */
	oci_wait_watch watch; /* the foreground wait's view of it (oci_notify_watch) */
} oci_notify;

void oci_notify_init(oci_notify *n);
void oci_notify_release(oci_notify *n);
#define cleanup_notify __attribute__((cleanup(oci_notify_release)))

/* NOTIFY_SOCKET's value as sd_notify(3) takes it: an absolute path or an @abstract name.
 * Anything else is one line saying so. */
int oci_notify_check(const char *value, oci_error *err);
/* Connect a datagram socket to the host's NOTIFY_SOCKET (checked as above). A path's last
 * component is followed only when it is a symlink of root's or ours (common/util.c's
 * oci_open_named) and must be a socket; a missing one or one nobody listens on is an error
 * here, before the container exists. */
int oci_notify_connect(oci_notify *n, const char *value, oci_error *err);
/* create: <dirfd>/notify (0755), the container's socket bound in it when bind (run; start
 * binds it for create), and cfg gets the bind mount at /run/notify (last, over whatever is
 * there) and NOTIFY_SOCKET=/run/notify/notify.sock in place of the process's own. */
int oci_notify_prepare(oci_notify *n, int dirfd, oci_config *cfg, bool bind, oci_error *err);
/* Foreground run: the watch the wait loop serves (run/signals.h), MAINPID=mainpid. */
oci_wait_watch *oci_notify_watch(oci_notify *n, pid_t mainpid);
/* run -d: wait until the init (pid, recorded as start and ino) sends READY=1, then relay it
 * with MAINPID=pid; its exit first ends the wait with nothing sent (runc's). */
int oci_notify_wait_ready(oci_notify *n, pid_t pid, uint64_t start, uint64_t ino, oci_error *err);
/* start with NOTIFY_SOCKET set (value): the container's socket bound, the container started
 * and then waited for as above. */
int oci_notify_start(const oci_runtime *rt, const char *id, const char *value, oci_error *err);
#endif
