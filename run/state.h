/* Container state on disk: one directory per container under --root holding state.json
 * (written atomically) and exec.fifo while the init waits for start; the directory itself is
 * the lock (flock) that serialises create/start/kill/delete of one container. */
#ifndef OCI_RUN_STATE_H
#define OCI_RUN_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "run/cgroup/cgroup.h"

#define OCI_STATE_FILE "state.json"
#define OCI_EXEC_FIFO  "exec.fifo"
/* The container's cgroup directories, written once at create: delete --force finds them
 * when state.json is unreadable. */
#define OCI_CGROUPS_FILE "cgroups.json"
/* config.json as create checked it: exec's base process and seccomp profile come from this
 * copy, as runc's from its state, so an edit of the bundle after create changes nothing. */
#define OCI_CONFIG_FILE "config.json"

enum oci_status {
	OCI_STATUS_CREATING = 0,
	OCI_STATUS_CREATED,
	OCI_STATUS_RUNNING,
	OCI_STATUS_STOPPED,
	OCI_STATUS_PAUSED
};

typedef struct oci_state {
	char *id;
	pid_t pid;
	uint64_t pid_start; /* /proc/PID/stat field 22: guards against pid reuse */
	uint64_t pid_ino;   /* the init's pidfd inode (pidfs: unique per process for the boot);
			     * 0 when not recorded (an older state, a kernel without pidfs) */
	char *bundle;
	char *rootfs;
	char *created;
	uid_t owner;
	json_t *annotations; /* may be NULL */
	json_t *hooks;	     /* config hooks, for poststop at delete (may be NULL) */
	oci_cgroup *cgroups; /* the container's cgroups, removed at delete (may be NULL) */
	bool own_pidns;	     /* the container has its own pid namespace */
	char *keyring;	     /* its session keyring's name; NULL in an older state (_ses.ID) */
} oci_state;

/* The name of a container's session keyring: runc's _ses.ID and 32 random hex digits. The
 * names of keyrings are one namespace per user namespace, where any process of the key's uid
 * that may search a keyring joins it by its name, and the first to use a name makes it: a
 * name another container (uid 0 of the host's user namespace, as all without one) can
 * guess, it could join, or make first for the container to join. */
#define OCI_KEYRING_NAME_MAX (sizeof("_ses.") + 1024 + 1 + 32)
int oci_state_keyring_name(const char *id, char *buf, size_t len, oci_error *err);

void oci_state_release(oci_state *st);

/* Ids: letters, digits, '_', '+', '-', '.', not starting with '.', at most 1024 bytes. */
int oci_state_check_id(const char *id, oci_error *err);

/* Open (mkdir -p, 0700) the root; returns an O_DIRECTORY fd. OCI_E_NOTFOUND when missing. */
int oci_state_open_root(const char *root, bool create, oci_error *err);
/* Create <root>/<id> exclusively and lock it; returns its fd (lock held while open). */
int oci_state_create_dir(int rootfd, const char *id, oci_error *err);
/* A container's state directory must belong to the caller (OCI_E_AUTH otherwise), whoever
 * the caller is: a user's state must not steer root's delete (hooks, cgroup paths) and a
 * user must not touch another's. dirfd, when >= 0, is the opened directory. */
int oci_state_check_owner(int rootfd, int dirfd, const char *id, oci_error *err);
/* Open and lock <root>/<id> (shared or exclusive), checking its owner. OCI_E_NOTFOUND when it
 * does not exist. */
int oci_state_open_dir(int rootfd, const char *id, bool exclusive, oci_error *err);
/* For a command on an existing container: check id, open the state root and id's directory
 * (locked as oci_state_open_dir), and read its state into st. A missing root is "container
 * 'ID' does not exist". Returns the directory fd; *rootfd gets the root's fd when rootfd is
 * not NULL (else it is closed). On error nothing stays open and st is untouched. */
int oci_state_load(const char *root, const char *id, bool exclusive, int *rootfd, oci_state *st,
		   oci_error *err);

/* Remove id's state directory for delete (and a foreground run's end): its files are
 * removed, then the empty directory is moved into <root>/.trash under a name of its own
 * rather than removed, so that the last close of it does not free its block: on a disk
 * mounted with discard (this VM's root, where /run is no tmpfs) that free is a synchronous
 * discard, 0.2-0.3 ms quiet and 1-4 ms under load, which the caller of `run` or `delete`
 * would wait for. oci_state_empty_trash removes them later, off anyone's waiting path. Ids
 * never start with '.', so .trash is nobody's state. Falls back to removing the directory
 * where the trash cannot be used (made by someone else, a full name, another filesystem). */
int oci_state_remove_dir(int rootfd, const char *id, oci_error *err);
/* Remove what <root>/.trash held when called but id's directory as this process moves it
 * there (a create's thread does it while the container is built and run). Errors are
 * ignored: whatever is left, the next call removes. */
void oci_state_empty_trash(int rootfd, const char *id);

/* state.json, replaced atomically (oci_write_file_replace, as the state directory's other
 * files and --pid-file: no fsync, state lives for one boot and readers only need never to see
 * a partial file). */
int oci_state_write(int dirfd, const oci_state *st, oci_error *err);
/* The cgroup handle in JSON: the list of its directories (state.json's "cgroups" and
 * cgroups.json have this form). From JSON: not a list is an error; an entry that is not a
 * string is kept as a NULL directory, for oci_cgroup_check to refuse. */
json_t *oci_state_cgroups_to_json(const oci_cgroup *cg);
oci_cgroup *oci_state_cgroups_from_json(json_t *j, oci_error *err);
/* cgroups.json, written once at create; read back by delete (untrusted: check it). */
int oci_state_write_cgroups(int dirfd, const oci_cgroup *cg, oci_error *err);
oci_cgroup *oci_state_read_cgroups(int dirfd, oci_error *err);
int oci_state_read(int dirfd, oci_state *st, oci_error *err);

/* Start time of pid (or 0 when it is gone); *zombie set when it is a zombie. */
uint64_t oci_proc_start_time(pid_t pid, bool *zombie);
/* The same from the text of a /proc/PID/stat (its command name is the process's to choose):
 * 0 when it does not parse. */
uint64_t oci_proc_stat_start(const char *stat, bool *zombie);
/* The inode of pidfd on pidfs (Linux 6.9+), which no other process of this boot gets: an
 * identity finer than the start time, which counts clock ticks (a pid reused within the
 * same tick has the same). 0 without pidfs (pidfds then share one anonymous inode). */
uint64_t oci_pidfd_ino(int pidfd);
/* That of pid's process now (0 when it is gone, or without pidfs). */
uint64_t oci_proc_ino(pid_t pid);
/* Whether pid is the process recorded as (start, ino): it started at start and, when ino is
 * not 0, a pidfd opened on it before its start time was read has inode ino. *zombie (when
 * not NULL) says whether it is a zombie. */
bool oci_proc_is(pid_t pid, uint64_t start, uint64_t ino, bool *zombie);
/* oci_proc_is, and when it is, *pidfd holds a pidfd opened before the check (-1 on a
 * kernel without pidfds, before Linux 5.3): it names that process and polls readable when it
 * exits. */
bool oci_proc_hold(pid_t pid, uint64_t start, uint64_t ino, int *pidfd);
/* Send sig to pid only while it is the process recorded as (start, ino) (oci_proc_is):
 * through a pidfd opened before the check, so the pid cannot be reused by another process
 * between the two. -1 with errno ESRCH when it is gone or the pid names another process now.
 * Without pidfds (Linux before 5.3) the check and kill(2) race, as they did before. */
int oci_proc_signal(pid_t pid, uint64_t start, uint64_t ino, int sig);

/* Processes found by a walk (a cgroup's list, /proc), each held by a pidfd opened before its
 * identity is confirmed: a pidfd names the process that had the pid when it was opened, and
 * that process keeps the pid while it exists (a zombie too), so a check made after the open
 * that finds the pid in the container (listed by its cgroup again, in its pid namespace)
 * speaks of that process, or of a newer one when it has exited, whose signal then fails.
 * Signalling a pid that the walk found, with no such check, could reach a process that
 * reused it outside the container. Without pidfds (Linux before 5.3) fd is -1 and kill(2)
 * is used: racy, as it always was there. */
typedef struct oci_pidfds {
	pid_t *pid;
	int *fd;
	size_t n, cap;
} oci_pidfds;
/* pidfds held at once: a container with more processes than we may open files is signalled
 * whole, a batch at a time, each batch confirmed by itself. */
#define OCI_PIDFDS_BATCH 256
/* Send sig to those of pids[0..n) that confirm keeps, through pidfds, at most
 * OCI_PIDFDS_BATCH at once (fewer where the open-file limit is reached: then two are given
 * back for the confirming reads). confirm(ctx, batch, err) runs once per batch, after its
 * pidfds were opened: it drops those that are not the container's (oci_pidfds_keep_listed,
 * oci_pidfds_keep_if) or returns -1 to stop with an error. Returns how many were signalled,
 * or -1 (also when not one pidfd could be opened: no process is skipped silently). */
long oci_pidfds_signal_all(const pid_t *pids, size_t n, int sig,
			   int (*confirm)(void *ctx, oci_pidfds *batch, oci_error *err), void *ctx,
			   oci_error *err);
/* qsort/bsearch order of pid_t */
int oci_pid_cmp(const void *a, const void *b);
/* Keep only those listed (a second read of the list, after the pidfds were opened; listed is
 * sorted here). */
void oci_pidfds_keep_listed(oci_pidfds *s, pid_t *listed, size_t n_listed);
/* Keep only those keep(ctx, pid, pidfd) accepts (pidfd -1 without pidfds). */
void oci_pidfds_keep_if(oci_pidfds *s, bool (*keep)(void *ctx, pid_t pid, int pidfd), void *ctx);
/* Status from the recorded pid, its start time, the exec fifo and the freezer (paused). */
int oci_state_status(int dirfd, const oci_state *st);
const char *oci_status_name(int status);

/* runc's state JSON (the one `state` prints and hooks read), with status as the caller derived
 * it (oci_state_status). */
json_t *oci_state_to_json(const oci_state *st, int status, bool for_list, const char *owner_name);
#endif
