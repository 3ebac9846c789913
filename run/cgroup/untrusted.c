/* Finding and emptying a container's cgroups without trusting its state: delete reads lists
 * of directories from files that may be corrupt or written by someone else, so each list is
 * checked (a cgroup directory strictly below a hierarchy of /sys/fs/cgroup), and killing a
 * subtree stops at once when it holds a process of the host's mount namespace. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "run/cgroup/internal.h"
#include "run/state.h"

/* The hierarchies of /sys/fs/cgroup, read from mountinfo once per process: delete asks for
 * them for each list it checks (four times for a stopped container's), and a runtime command
 * stays in one mount namespace. Each directory found through them is still checked to be on a
 * cgroup file system, so a hierarchy mounted or moved meanwhile is refused, not trusted. */
static const oci_cgroup_manager *hierarchies(oci_error *err)
{
	static oci_cgroup_manager m;
	static bool loaded;
	if (!loaded && oci_cgroup_manager_init(&m, false, err) < 0)
		return NULL;
	loaded = true;
	return &m;
}

oci_cgroup *oci_cgroup_default(const char *id, oci_error *err)
{
	const oci_cgroup_manager *m = hierarchies(err);
	if (!m)
		return NULL;
	oci_cgroup *cg = NULL;
	cleanup_free char **dirs = oci_calloc(m->n_mounts + 1, sizeof(char *), err);
	size_t n = 0;
	bool ok = dirs != NULL;
	for (size_t i = 0; ok && i < m->n_mounts; i++)
		ok =
		    (dirs[n++] = oci_asprintf(err, "%s/oci-run/%s", m->mounts[i].path, id)) != NULL;
	if (ok)
		cg = oci_cgroup_from_dirs((const char *const *)dirs, n, err);
	for (size_t i = 0; dirs && i < n; i++)
		free(dirs[i]);
	return cg;
}

/* rel ("/a/b") has no empty, "." or ".." component. */
static bool clean_rel(const char *rel)
{
	if (rel[0] != '/' || !rel[1])
		return false;
	for (const char *p = rel; *p;) {
		p++; /* past '/' */
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
	}
	return true;
}

oci_cgroup *oci_cgroup_check(const oci_cgroup *cg, oci_error *err)
{
	const oci_cgroup_manager *m = hierarchies(err);
	if (!m)
		return NULL;
	cleanup_free const char **ok = oci_calloc(cg->n + 1, sizeof(char *), err);
	size_t n_ok = 0;
	const char *first_rel = NULL;
	int r = ok ? 0 : -1;
	for (size_t i = 0; r == 0 && i < cg->n; i++) {
		const char *d = cg->dirs[i], *rel = NULL;
		for (size_t k = 0; d && k < m->n_mounts; k++) {
			size_t l = strlen(m->mounts[k].path);
			if (!strncmp(d, m->mounts[k].path, l) && d[l] == '/')
				rel = d + l;
		}
		if (!rel || !clean_rel(rel)) {
			r = oci_err(err, OCI_E_UNSAFE,
				    "'%s' is not a cgroup below a hierarchy of /sys/fs/cgroup",
				    d ? d : "(not a string)");
			break;
		}
		if (first_rel && strcmp(rel, first_rel)) {
			r = oci_err(err, OCI_E_UNSAFE, "'%s' and '%s' are different cgroups",
				    first_rel, rel);
			break;
		}
		first_rel = rel;
		struct stat sb;
		struct statfs sf;
		if (lstat(d, &sb) < 0 && errno == ENOENT)
			continue; /* already gone */
		if (!S_ISDIR(sb.st_mode) || statfs(d, &sf) < 0 ||
		    (sf.f_type != CGROUP_SUPER_MAGIC && sf.f_type != CGROUP2_SUPER_MAGIC)) {
			r = oci_err(err, OCI_E_UNSAFE, "'%s' is not a cgroup directory", d);
			break;
		}
		ok[n_ok++] = d;
	}
	return r == 0 ? oci_cgroup_from_dirs(ok, n_ok, err) : NULL;
}

/* file of the directory dfd (-1: none) */
static void write_if_present(int dfd, const char *file, const char *val)
{
	int fd = dfd >= 0 ? openat(dfd, file, O_WRONLY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		if (write(fd, val, strlen(val)) < 0) {
			/* nothing more to do: the kill below reports what stays */
		}
		close(fd);
	}
}

bool oci_pid_in_own_mntns(pid_t pid)
{
	char p[64], a[64] = "", b[64] = "";
	snprintf(p, sizeof(p), "/proc/%d/ns/mnt", (int)pid);
	ssize_t la = readlink(p, a, sizeof(a) - 1),
		lb = readlink("/proc/self/ns/mnt", b, sizeof(b) - 1);
	if (la <= 0 || la != lb || memcmp(a, b, (size_t)la))
		return false;
	struct stat r, own;
	snprintf(p, sizeof(p), "/proc/%d/root", (int)pid);
	if (stat(p, &r) < 0 || stat("/", &own) < 0)
		return true; /* cannot tell: a host process */
	return r.st_dev == own.st_dev && r.st_ino == own.st_ino;
}

/* How long a process of our mount namespace found in a container's cgroup is given to leave
 * it (an exec's helper joining the container) before the cgroup is taken for the host's. */
#define HELPER_WAIT_MS 1000

struct round {
	oci_cgroup_tree *all;
};

static int host_process(const char *dir, pid_t pid, oci_error *err)
{
	return oci_err(err, OCI_E_UNSAFE,
		       "cgroup '%s' holds pid %ld of the host's mount namespace: not a container's "
		       "cgroup, left alone",
		       dir, (long)pid);
}

/* The pids listed in every cgroup of all, appended to *pids (*n of *cap). */
static int read_all_procs(oci_cgroup_tree *all, pid_t **pids, size_t *n, size_t *cap,
			  oci_error *err)
{
	for (size_t i = 0; i < all->n; i++)
		if (oci_cgroup_tree_read_procs(all, i, pids, n, cap, err) < 0)
			return -1;
	return 0;
}

/* A batch, its pidfds opened: a read of the lists after the open must still list each (a
 * process that left and whose pid was reused elsewhere is not signalled), and none of those
 * still listed may be a process of the host's mount namespace. The order matters: a pid
 * that a member left behind and a host process took is not in the cgroup, and must neither
 * be signalled nor taken for a host process in it (which would leave the container's
 * processes alive, the cgroup refused as the host's). */
static int confirm_round(void *ctx, oci_pidfds *batch, oci_error *err)
{
	const struct round *r = ctx;
	cleanup_free pid_t *again = NULL;
	size_t m = 0, cap = 0;
	if (read_all_procs(r->all, &again, &m, &cap, err) < 0)
		return -1;
	oci_pidfds_keep_listed(batch, again, m);
	for (size_t k = 0; k < batch->n; k++)
		if (oci_pid_in_own_mntns(batch->pid[k]))
			return host_process(r->all->name[0], batch->pid[k], err);
	return 0;
}

/* Every level thawed: frozen tasks only die once thawed, and a process of the container may
 * freeze a cgroup below its own (v1's freezer.state, v2's cgroup.freeze, where its cgroup
 * mount is writable) at any time until it is dead: done again each round. */
static void thaw_levels(oci_cgroup_tree *all)
{
	for (size_t i = 0; i < all->n; i++) {
		cleanup_close int dfd = oci_cgroup_tree_open(all, i);
		write_if_present(dfd, "freezer.state", "THAWED");
		write_if_present(dfd, "cgroup.freeze", "0");
	}
}

/* The deduplicated pids of every cgroup of all into *pids (*n): a process is in one cgroup of
 * each v1 hierarchy, checked and signalled once. */
static int read_uniq(oci_cgroup_tree *all, pid_t **pids, size_t *n, oci_error *err)
{
	size_t cap = 0, uniq = 0;
	*n = 0;
	if (read_all_procs(all, pids, n, &cap, err) < 0)
		return -1;
	if (*n > 0)
		qsort(*pids, *n, sizeof(**pids), oci_pid_cmp);
	for (size_t k = 0; k < *n; k++)
		if ((*pids)[k] > 0 && (uniq == 0 || (*pids)[uniq - 1] != (*pids)[k]))
			(*pids)[uniq++] = (*pids)[k];
	*n = uniq;
	return 0;
}

/* One round. The decision to leave the cgroup alone is made before anything is signalled:
 * every process the lists name is checked first, and one that looks like the host's is
 * confirmed a member (its pidfd opened, then still listed: confirm_round with signal 0)
 * before the cgroup is refused for it; a pid reused by a host process after the read does
 * not refuse it. The batches of the kill (at most OCI_PIDFDS_BATCH pidfds are held at once)
 * are confirmed by the same function: a host process that only a later batch finds listed
 * has joined the cgroup since that check, so what the earlier batches signalled was checked
 * and confirmed to be the container's; the refusal then stops the kill there.
 *
 * Checked, the cgroup is killed at once by the kernel where it can (cgroup.kill), else frozen
 * while its lists are read again and signalled (*freeze: until a freeze fails once), so that
 * nothing forks between the read and the signals; a freeze that catches a process of our
 * mount namespace (an exec's helper, which cannot leave it while frozen) is thawed and the
 * round ends, the next one waiting for the helper first. Returns the number of processes
 * found (0: the cgroups are empty), or -1. */
static long kill_round(const oci_cgroup *cg, oci_cgroup_tree *all, bool *freeze, oci_error *err)
{
	thaw_levels(all);
	cleanup_free pid_t *pids = NULL;
	size_t uniq = 0;
	if (read_uniq(all, &pids, &uniq, err) < 0)
		return -1;
	if (uniq == 0)
		return 0;
	struct round r = {all};
	cleanup_free pid_t *host = NULL;
	size_t n_host = 0;
	for (size_t k = 0; k < uniq; k++) {
		if (!oci_pid_in_own_mntns(pids[k]))
			continue;
		if (!host && !(host = oci_calloc(uniq, sizeof(pid_t), err)))
			return -1;
		host[n_host++] = pids[k];
	}
	/* exec puts its helper in the container's cgroups from here, and the helper then joins
	 * the container's namespaces (exec lets go of the state lock before, so as never to
	 * hold delete up): given a moment, such a process leaves our mount namespace or exits.
	 * A host process stays, and the cgroup is refused for it below. */
	for (int t = 0; n_host > 0 && t < HELPER_WAIT_MS / 5; t++) {
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
		size_t still = 0;
		for (size_t k = 0; k < n_host; k++)
			if (oci_pid_in_own_mntns(host[k]))
				host[still++] = host[k];
		n_host = still;
	}
	if (n_host > 0 && oci_pidfds_signal_all(host, n_host, 0, confirm_round, &r, err) < 0)
		return -1;
	int atomic = oci_cgroup_kill_atomic(cg, err);
	if (atomic < 0)
		return -1;
	bool froze = false;
	if (!atomic && *freeze) {
		froze = oci_cgroup_freeze(cg, true, NULL) == 0;
		*freeze = froze;
	}
	if (froze) {
		free(pids);
		pids = NULL;
		long r2 = read_uniq(all, &pids, &uniq, err);
		for (size_t k = 0; r2 == 0 && k < uniq; k++)
			if (oci_pid_in_own_mntns(pids[k]))
				uniq = 0, r2 = 1; /* the next round waits for it */
		if (r2 != 0) {
			(void)oci_cgroup_freeze(cg, false, NULL);
			return r2 < 0 ? -1 : 1;
		}
	}
	long sent = oci_pidfds_signal_all(pids, uniq, SIGKILL, confirm_round, &r, err);
	if (froze)
		(void)oci_cgroup_freeze(cg, false, NULL);
	return sent < 0 ? -1 : (long)uniq + (atomic ? 1 : 0);
}

int oci_cgroup_kill_tree(const oci_cgroup *cg, oci_error *err)
{
	bool freeze = true;
	int ret = -1;
	/* A process may join the cgroups after the rounds found them empty (an exec racing the
	 * delete, without a pid namespace of the container's to die with its init): the removal
	 * then finds them busy, and the kill starts again, a few times. */
	for (int pass = 0; pass < 5 && ret < 0; pass++) {
		oci_cgroup_tree all;
		if (oci_cgroup_subtree(cg->dirs, cg->n, &all) < 0)
			return oci_err(err, OCI_E_INTERNAL, "out of memory");
		long n = 1;
		for (int round = 0; round < 400 && n > 0; round++) {
			n = kill_round(cg, &all, &freeze, err);
			if (n > 0) {
				struct timespec ts = {0, 5 * 1000 * 1000};
				nanosleep(&ts, NULL);
			}
		}
		if (n < 0) {
			oci_cgroup_tree_release(&all);
			return -1;
		}
		/* Children before parents. */
		ret = 0;
		if (err)
			oci_err_clear(err);
		for (size_t k = all.n; k-- > 0 && ret == 0;)
			if (oci_cgroup_tree_rmdir(&all, k, err) < 0)
				ret = -1;
		oci_cgroup_tree_release(&all);
		/* again only for a process that joined after the rounds emptied the cgroups: one
		 * that never died in them (stuck in the kernel) would not die in the next pass */
		if (ret < 0 && (n > 0 || !err || err->sys_errno != EBUSY))
			break;
	}
	return ret;
}
