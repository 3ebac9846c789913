/* Checkpoint and restore through CRIU, as runc does them: libcriu (Debian's criu package)
 * drives `criu swrk` over its RPC socket. checkpoint dumps the container's process tree with
 * its namespaces (the config's bind mounts and masked files recorded as external mounts, a
 * network namespace joined by path as an external one, the init's stdio in descriptors.json)
 * and, unless --leave-running or --pre-dump, removes the container as runc does. restore makes
 * a new container (any id) from a bundle through create's phases (the bundle loaded into the
 * typed model, the state directory, the cgroups with the config's limits), then CRIU restores
 * the tree into them (the process CRIU runs from has joined the cgroups first, so every
 * restored task starts there), with the bind mounts mapped to their sources, stdio pipes and
 * the joined network namespace handed over, and the prestart hooks run once the namespaces
 * exist.
 *
 * Without libcriu at build time both commands say so. CRIU's own reason for a failure is
 * taken from its log (the first "Error" line) and shown in one line with the log's path. */
#include "run/container.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/config.h"
#include "common/json.h"
#include "common/log.h"
#include "common/safepath.h"
#include "common/spec.h"
#include "common/util.h"
#include "run/cgroup/cgroup.h"
#include "run/container_internal.h"
#include "run/hooks.h"
#include "run/netdev.h"
#include "run/process.h"
#include "run/state.h"
#include "run/terminal.h"

#ifdef HAVE_CRIU
#include <criu/criu.h>
#include <criu/rpc.pb-c.h>
#endif

#define DESCRIPTORS "descriptors.json"
/* The nftables table CRIU locked the container's network with at dump (see netlock_*). */
#define NETLOCK "oci-run-netlock.json"
/* Where restore's child keeps the stdio it hands to the restored tree (CRIU inherits them). */
#define STDIO_BASE 200

static const struct {
	const char *name;
	int mode; /* enum criu_cg_mode */
} cg_modes[] = {{"soft", 3}, {"full", 4}, {"strict", 5}, {"ignore", 0}};

int oci_criu_cg_mode(const char *name, oci_error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(cg_modes); i++)
		if (!strcmp(name, cg_modes[i].name))
			return cg_modes[i].mode;
	return oci_err(err, OCI_E_INVALID,
		       "invalid --manage-cgroups-mode '%s': expected soft, full, strict or ignore",
		       name);
}

#ifndef HAVE_CRIU
int oci_container_checkpoint(const oci_runtime *rt, const char *id, const oci_criu_opts *o,
			     oci_error *err)
{
	return oci_err(err, OCI_E_UNSUPPORTED,
		       "checkpoint: this oci-run was built without CRIU support (libcriu, "
		       "Debian's criu and libprotobuf-c-dev packages)");
}

int oci_container_restore(const oci_runtime *rt, const oci_restore_opts *o, int *exit_status,
			  oci_error *err)
{
	return oci_err(err, OCI_E_UNSUPPORTED,
		       "restore: this oci-run was built without CRIU support (libcriu, Debian's "
		       "criu and libprotobuf-c-dev packages)");
}
#else

/* The criu binary: --criu, else criu on PATH (libcriu would only say "connection refused"). */
static char *criu_binary(const oci_runtime *rt, oci_error *err)
{
	const char *name = rt->criu && rt->criu[0] ? rt->criu : "criu";
	if (strchr(name, '/')) {
		if (access(name, X_OK) == 0)
			return oci_strdup(name, err);
		oci_err_errno(err, errno, "--criu '%s'", name);
		return NULL;
	}
	const char *path = getenv("PATH");
	cleanup_free char *copy =
	    oci_strdup(path && path[0] ? path : "/usr/sbin:/usr/bin:/sbin:/bin", err);
	if (!copy)
		return NULL;
	for (char *save, *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *p = oci_asprintf(err, "%s/%s", d, name);
		if (!p)
			return NULL;
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	oci_err(err, OCI_E_NOTFOUND,
		"cannot find '%s' on PATH: install Debian's criu package or give --criu PATH",
		name);
	return NULL;
}

/* CRIU's reason: the first "Error (file:line): ..." line of its log, without its prefix. */
static int criu_failed(const char *what, int dirfd, const char *dir, const char *log, int r,
		       oci_error *err)
{
	cleanup_free char *text = NULL;
	size_t len;
	if (oci_read_file_at(dirfd, log, 16 << 20, &text, &len, NULL) == 0) {
		for (char *save, *line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char *e = strstr(line, "Error (");
			/* a helper's exit status says less than the line after it */
			if (!e || strstr(e, "exited, status=") || strstr(e, "bad status"))
				continue;
			char *msg = strstr(e, "): ");
			msg = msg ? msg + 3 : e;
			return oci_err(err, OCI_E_IO, "%s: criu: %s (log: %s/%s)", what, msg, dir,
				       log);
		}
	}
	return oci_err(err, OCI_E_IO, "%s: criu failed (%s)%s%s%s%s", what,
		       r == -ECONNREFUSED || r == -ECOMM ? "it could not be run or died"
							 : strerror(r < 0 ? -r : EIO),
		       text ? "; log: " : "", text ? dir : "", text ? "/" : "", text ? log : "");
}

/* CRIU and the libraries it loads write to stderr; its log has it all, and the user gets one
 * line: stderr is /dev/null while it runs. Returns the saved stderr (or -1). */
static int quiet_stderr(void)
{
	int saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDERR_FILENO);
		close(null);
	}
	return saved;
}

static void restore_stderr(int saved)
{
	if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
}

/* dir created (0700) when missing and opened. */
static int open_dir(const char *what, const char *path, bool create, oci_error *err)
{
	if (create && mkdir(path, 0700) < 0 && errno != EEXIST)
		return oci_err_errno(err, errno, "%s '%s'", what, path);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return oci_err_errno(err, errno, "%s '%s'", what, path);
	return fd;
}

static bool is_bind(const oci_config_mount *m)
{
	if (m->type && !strcmp(m->type, "bind"))
		return true;
	for (char **o = m->options; o && *o; o++)
		if (!strcmp(*o, "bind") || !strcmp(*o, "rbind"))
			return true;
	return false;
}

/* dest as the container sees it: resolved inside rootfs (symlinks included), as the runtime
 * resolved it when it mounted there; CRIU names the mount by that path. Caller frees. */
static char *in_root(const char *rootfs, const char *dest, oci_error *err)
{
	cleanup_close int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int fd =
	    rootfd >= 0 ? oci_safe_open(rootfd, dest, O_PATH | O_CLOEXEC, 0, NULL) : -1;
	char link[64], real[4096];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = fd >= 0 ? readlink(link, real, sizeof(real) - 1) : -1;
	size_t rl = strlen(rootfs);
	if (n > 0) {
		real[n] = '\0';
		if (!strncmp(real, rootfs, rl) && (real[rl] == '/' || !real[rl]))
			return oci_strdup(real[rl] ? real + rl : "/", err);
	}
	return oci_strdup(dest, err); /* not there (yet): CRIU reports what it misses */
}

/* CRIU's key for the network namespace a container joined by path (runc's name): at dump the
 * namespace is recorded as external, at restore the namespace at that path is handed in. */
#define EXT_NETNS_KEY "extRootNetNS"

/* What checkpoint and restore do not handle: user namespaces, and namespaces joined by path
 * other than the network one (CRIU would need each as an external one). */
static int check_namespaces(const oci_config *cfg, oci_error *err)
{
	const oci_config_linux *l = &cfg->linux_;
	for (size_t i = 0; i < l->n_namespaces; i++) {
		const char *type = l->namespaces[i].kind->type, *path = l->namespaces[i].path;
		if (l->namespaces[i].kind->flag == CLONE_NEWUSER)
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "a container with a user namespace cannot be checkpointed "
				       "or restored by oci-run");
		if (path && path[0] && l->namespaces[i].kind->flag != CLONE_NEWNET)
			return oci_err(
			    err, OCI_E_UNSUPPORTED,
			    "linux.namespaces[%zu]: a %s namespace joined by path cannot "
			    "be checkpointed or restored by oci-run",
			    i, type);
	}
	return 0;
}

/* linux.netDevices: refused by both commands before anything is done. CRIU 3.17 does not dump
 * a dummy, ifb or physical link of a namespace it dumps ("unsupported link"), and checkpoint
 * ends the container, whose delete gives the devices back to the host: a restore would have
 * to move them in again into CRIU's namespace, as create does. runc 1.2 carries them only
 * in a namespace joined by path, which it neither dumps nor empties (runc never moves a
 * device back). recorded: the state directory says devices were moved in (checkpoint). */
static int check_netdevices(const oci_config *cfg, bool recorded, oci_error *err)
{
	if (!cfg->linux_.n_net_devices && !recorded)
		return 0;
	return oci_err(err, OCI_E_UNSUPPORTED,
		       "linux.netDevices: a container with network devices moved in cannot be "
		       "checkpointed or restored by oci-run (CRIU does not carry them over)");
}

/* The path of the network namespace the config joins, or NULL. */
static const char *joined_netns(const oci_config *cfg)
{
	const oci_config_namespace *ns = oci_config_find_namespace(cfg, "network");
	return ns && ns->path && ns->path[0] ? ns->path : NULL;
}

/* libcriu 3.17 has no setter for CRIU's empty_ns (runc's --empty-ns): the RPC request is the
 * first member of libcriu's criu_opts, as in every libcriu release. It is only written after
 * checking that it holds what the setters put there (the log level and file). */
static int set_empty_ns(criu_opts *c, unsigned flags, const char *log, oci_error *err)
{
	if (!flags)
		return 0;
	CriuOpts *rpc = *(CriuOpts **)c;
	if (!rpc || !rpc->has_log_level || rpc->log_level != 4 || !rpc->log_file ||
	    strcmp(rpc->log_file, log))
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "--empty-ns: this libcriu's options are not laid out as expected");
	rpc->has_empty_ns = true;
	rpc->empty_ns = flags;
	return 0;
}

static criu_opts *new_opts(const oci_runtime *rt, const oci_criu_opts *o, int images, int work,
			   const char *log, oci_error *err)
{
	cleanup_free char *bin = criu_binary(rt, err);
	if (!bin)
		return NULL;
	criu_opts *c = NULL;
	if (criu_local_init_opts(&c) < 0 || criu_local_set_service_binary(c, bin) < 0) {
		criu_local_free_opts(c);
		oci_err(err, OCI_E_INTERNAL, "out of memory");
		return NULL;
	}
	criu_local_set_images_dir_fd(c, images);
	criu_local_set_work_dir_fd(c, work);
	criu_local_set_log_level(c, 4);
	criu_local_set_log_file(c, log);
	criu_local_set_ext_unix_sk(c, o->ext_unix_sk);
	criu_local_set_tcp_established(c, o->tcp_established);
	criu_local_set_shell_job(c, o->shell_job);
	criu_local_set_file_locks(c, o->file_locks);
	criu_local_set_auto_dedup(c, o->auto_dedup);
	criu_local_set_orphan_pts_master(c, true);
	/* busybox guests and minimal hosts have no iptables; CRIU links libnftables */
	criu_local_set_network_lock(c, CRIU_NETWORK_LOCK_NFTABLES);
	if (set_empty_ns(c, o->empty_ns, log, err) < 0) {
		criu_local_free_opts(c);
		return NULL;
	}
	return c;
}

/* ---- checkpoint ---- */

/* The init's stdio as runc's descriptors.json: ["/dev/null","pipe:[123]",...]. */
static int write_descriptors(int images, pid_t pid, oci_error *err)
{
	cleanup_json json_t *a = json_array();
	for (int fd = 0; a && fd < 3; fd++) {
		char p[64], target[4096];
		snprintf(p, sizeof(p), "/proc/%d/fd/%d", (int)pid, fd);
		ssize_t n = readlink(p, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		json_array_append_new(a, json_string(target));
	}
	cleanup_free char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
	if (!s)
		return oci_err(err, OCI_E_INTERNAL, "out of memory");
	return oci_write_file_atomic(images, DESCRIPTORS, s, strlen(s), 0600, err);
}

/* CRIU 3.17 locks a dumped network namespace with an nftables table named after the dumped
 * init's host pid ("inet CRIU-<pid>", every packet not marked by CRIU dropped), which the dump
 * of the namespace's ruleset carries along. At restore it deletes "CRIU-<restored pid>", which
 * does not exist, so the restored namespace kept dropping everything: connections restored
 * with --tcp-established never moved a byte (fixed in CRIU 4.1, which names the table by run
 * id). checkpoint records the name; restore deletes that table in the restored namespace. */
static int netlock_record(int images, pid_t pid, oci_error *err)
{
	char table[32];
	snprintf(table, sizeof(table), "CRIU-%d", (int)pid);
	cleanup_json json_t *o = json_pack("{s:s}", "nftables_table", table);
	cleanup_free char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (!s)
		return oci_err(err, OCI_E_INTERNAL, "out of memory");
	return oci_write_file_atomic(images, NETLOCK, s, strlen(s), 0600, err);
}

/* The recorded table name, checked to be CRIU's ("CRIU-" and digits), into name; 0 when
 * the checkpoint has none (made by another runtime or an older oci-run). */
static int netlock_load(int images, char *name, size_t len, oci_error *err)
{
	if (faccessat(images, NETLOCK, F_OK, 0) < 0 && errno == ENOENT)
		return 0;
	cleanup_json json_t *o = oci_json_load_file_at(images, NETLOCK, 4096, err);
	if (!o)
		return -1;
	const char *t = json_string_value(json_object_get(o, "nftables_table"));
	size_t n = t ? strlen(t) : 0;
	/* a pid: at most 7 digits (pid_max is 4194304 at most) */
	if (n < 6 || n > 12 || n >= len || strncmp(t, "CRIU-", 5) ||
	    strspn(t + 5, "0123456789") != n - 5)
		return oci_err(err, OCI_E_INVALID,
			       "%s: nftables_table: expected \"CRIU-\" and a pid; checkpoint again "
			       "with this oci-run",
			       NETLOCK);
	memcpy(name, t, n + 1);
	return 1;
}

/* One netlink message of nfnetlink at buf+*off: header, nfgenmsg, optional string attr. */
static void nfnl_put(char *buf, size_t *off, uint16_t type, uint16_t flags, uint8_t family,
		     uint16_t res_id, uint16_t attr, const char *val)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(buf + *off);
	struct nfgenmsg *g = NLMSG_DATA(h);
	size_t len = NLMSG_LENGTH(sizeof(*g));
	memset(h, 0, len);
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	h->nlmsg_seq = (uint32_t)*off + 1;
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	if (val) {
		struct nlattr *a = (struct nlattr *)(buf + *off + NLMSG_ALIGN(len));
		a->nla_type = attr;
		a->nla_len = (uint16_t)(NLA_HDRLEN + strlen(val) + 1);
		memcpy((char *)a + NLA_HDRLEN, val, strlen(val) + 1);
		len = NLMSG_ALIGN(len) + NLA_ALIGN(a->nla_len);
	}
	h->nlmsg_len = (uint32_t)len;
	*off += NLMSG_ALIGN(len);
}

/* `nft delete table inet NAME` in the network namespace of pid: one nf_tables batch. A table
 * that is not there (CRIU unlocked it itself, e.g. with --empty-ns) is fine. */
static int netlock_release(pid_t pid, const char *name, oci_error *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	cleanup_close int ns = open(path, O_RDONLY | O_CLOEXEC);
	cleanup_close int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns < 0 || self < 0 || setns(ns, CLONE_NEWNET) < 0)
		return oci_err_errno(err, errno, "cannot enter the network namespace of %d", pid);
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	int e = s < 0 ? errno : 0;
	if (setns(self, CLONE_NEWNET) < 0 && !e)
		e = errno;
	if (e) {
		if (s >= 0)
			close(s);
		return oci_err_errno(err, e, "nftables netlink socket");
	}
	cleanup_close int sk = s;
	_Alignas(struct nlmsghdr) char buf[512];
	size_t off = 0;
	nfnl_put(buf, &off, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, 0, NULL);
	nfnl_put(buf, &off, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE, NLM_F_ACK, NFPROTO_INET,
		 0, NFTA_TABLE_NAME, name);
	nfnl_put(buf, &off, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, 0, NULL);
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct timeval tv = {.tv_sec = 5};
	setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(sk, buf, off, 0, (struct sockaddr *)&kernel, sizeof(kernel)) != (ssize_t)off)
		return oci_err_errno(err, errno, "nftables: delete table inet %s", name);
	_Alignas(struct nlmsghdr) char ans[1024];
	ssize_t n = recv(sk, ans, sizeof(ans), 0);
	if (n < 0)
		return oci_err_errno(err, errno, "nftables: delete table inet %s", name);
	for (struct nlmsghdr *h = (struct nlmsghdr *)ans; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_len < NLMSG_LENGTH(sizeof(int)))
			continue;
		int code = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		if (code && code != -ENOENT)
			return oci_err_errno(err, -code, "nftables: delete table inet %s", name);
		return 0;
	}
	return oci_err(err, OCI_E_IO, "nftables: delete table inet %s: no answer", name);
}

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* On a pure cgroup v2 host, a container without a cgroup namespace has its own cgroup bound at
 * the cgroup mount's destination (run/cgroup/v2.c): not a root mount, so CRIU must be told it
 * is external, like the config's binds (runc records cgroup mounts so on v2). At restore it
 * is bound from the new container's cgroup. The destination, or NULL when there is none. */
static const char *cgroup_bind_dest(const oci_config *cfg)
{
	struct statfs sf;
	if (statfs("/sys/fs/cgroup", &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC)
		return NULL;
	if (oci_config_find_namespace(cfg, "cgroup"))
		return NULL; /* a fresh cgroup2 mount: CRIU dumps it itself */
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const char *t = cfg->mounts[i].type;
		if (t && (!strcmp(t, "cgroup") || !strcmp(t, "cgroup2")))
			return cfg->mounts[i].destination;
	}
	return NULL;
}

static int add_ext_mount(criu_opts *c, const char *key, const char *val, oci_error *err)
{
	if (criu_local_add_ext_mount(c, key, val) < 0)
		return oci_err(err, OCI_E_INTERNAL, "out of memory");
	return 0;
}

/* The config's bind mounts and masked files, recorded as external mounts; the network
 * namespace joined by path as an external one. */
static int dump_externals(criu_opts *c, const oci_config *cfg, const char *rootfs, pid_t pid,
			  oci_error *err)
{
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		if (!is_bind(&cfg->mounts[i]))
			continue;
		cleanup_free char *key = in_root(rootfs, cfg->mounts[i].destination, err);
		if (!key || add_ext_mount(c, key, key, err) < 0)
			return -1;
	}
	const char *cg = cgroup_bind_dest(cfg);
	if (cg) {
		cleanup_free char *key = in_root(rootfs, cg, err);
		if (!key || add_ext_mount(c, key, key, err) < 0)
			return -1;
	}
	for (char **p = cfg->linux_.masked_paths; p && *p; p++) {
		char path[4200];
		struct stat sb;
		snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, *p);
		/* a masked file is /dev/null bound over it; a directory gets a tmpfs */
		if (stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode) &&
		    add_ext_mount(c, *p, "/dev/null", err) < 0)
			return -1;
	}
	if (joined_netns(cfg)) {
		char path[64], key[128];
		struct stat sb;
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
		if (stat(path, &sb) < 0)
			return oci_err_errno(err, errno, "'%s'", path);
		snprintf(key, sizeof(key), "net[%lu]:" EXT_NETNS_KEY, (unsigned long)sb.st_ino);
		if (criu_local_add_external(c, key) < 0)
			return oci_err(err, OCI_E_INTERNAL, "out of memory");
	}
	return 0;
}

int oci_container_checkpoint(const oci_runtime *rt, const char *id, const oci_criu_opts *o,
			     oci_error *err)
{
	oci_state st;
	int rootfd = -1;
	cleanup_close int dirfd = oci_state_load(rt->root, id, true, &rootfd, &st, err);
	if (dirfd < 0)
		return -1;
	cleanup_close int rfd = rootfd;
	int ret = -1;
	criu_opts *c = NULL;
	cleanup_close int images = -1, work = -1;
	/* above every goto: clang refuses a jump past a cleanup variable */
	cleanup_bundle_config oci_bundle_config b = {0};
	cleanup_free char *what = oci_asprintf(err, "checkpoint of '%s'", id);
	int status = oci_state_status(dirfd, &st);
	if (!what)
		goto out;
	if (status != OCI_STATUS_RUNNING && status != OCI_STATUS_PAUSED) {
		oci_err(err, OCI_E_STATE, "%s: the container is %s, not running", what,
			oci_status_name(status));
		goto out;
	}
	if (oci_container_load_bundle(st.bundle, NULL, &b, err) < 0 ||
	    check_netdevices(&b.cfg, oci_netdev_recorded(dirfd), err) < 0 ||
	    check_namespaces(&b.cfg, err) < 0) {
		oci_err_prefix(err, "%s", what);
		goto out;
	}
	images = open_dir("--image-path", o->image_path, true, err);
	if (images < 0)
		goto out;
	const char *work_path = o->work_path ? o->work_path : o->image_path;
	work = open_dir("--work-path", work_path, true, err);
	if (work < 0)
		goto out;
	const char *log = o->pre_dump ? "pre-dump.log" : "dump.log";
	c = new_opts(rt, o, images, work, log, err);
	if (!c)
		goto out;
	criu_local_set_pid(c, st.pid);
	criu_local_set_root(c, st.rootfs);
	criu_local_set_leave_running(c, o->leave_running);
	criu_local_set_manage_cgroups(c, true);
	criu_local_set_manage_cgroups_mode(
	    c, (enum criu_cg_mode)(
		   o->manage_cgroups_mode ? oci_criu_cg_mode(o->manage_cgroups_mode, NULL) : 3));
	if (o->parent_path) {
		/* relative to the image directory, as CRIU takes it */
		criu_local_set_parent_images(c, o->parent_path);
		criu_local_set_track_mem(c, true);
	}
	if (o->pre_dump)
		criu_local_set_track_mem(c, true);
	if (!o->pre_dump &&
	    (dump_externals(c, &b.cfg, st.rootfs, st.pid, err) < 0 ||
	     write_descriptors(images, st.pid, err) < 0 || netlock_record(images, st.pid, err) < 0))
		goto out;
	int saved = quiet_stderr();
	int r = o->pre_dump ? criu_local_pre_dump(c) : criu_local_dump(c);
	restore_stderr(saved);
	if (r < 0) {
		criu_failed(what, work, work_path, log, r, err);
		goto out;
	}
	ret = 0;
	/* As runc: a container checkpointed without --leave-running is gone. */
	if (!o->pre_dump && !o->leave_running) {
		oci_container_kill_all(&st, false);
		ret = oci_container_destroy(rfd, id, &st, true, err);
	}
out:
	if (c)
		criu_local_free_opts(c);
	oci_state_release(&st);
	return ret;
}

/* ---- restore ---- */

/* A container being restored: create's bundle and state directory phases, then CRIU. */
typedef struct restoring {
	const oci_runtime *rt;
	const oci_restore_opts *o;
	oci_bundle_config b;
	oci_container_dir d;
	char *criu_root;
	bool mounted;
	int netns;	  /* the network namespace joined by path, handed to CRIU; or -1 */
	int cg_mode;	  /* CRIU's cgroup mode (0: ignore) */
	char netlock[32]; /* the nftables table of the dump's network lock, or "" */
} restoring;

static void restoring_release(restoring *r, bool failed)
{
	if (r->mounted)
		umount2(r->criu_root, MNT_DETACH);
	if (r->criu_root)
		rmdir(r->criu_root);
	if (failed)
		oci_container_dir_rollback(&r->d, r->o->id);
	if (r->netns >= 0)
		close(r->netns);
	oci_container_dir_release(&r->d);
	oci_bundle_config_release(&r->b);
	free(r->criu_root);
}

/* The bundle as create loads it, what restore cannot do refused; then create's state
 * directory and cgroups, and the rootfs bound on a mount point of its own (CRIU wants its
 * root to be one). */
static int restore_prepare(restoring *r, oci_error *err)
{
	if (oci_container_load_bundle(r->o->bundle, NULL, &r->b, err) < 0 ||
	    check_netdevices(&r->b.cfg, false, err) < 0 || check_namespaces(&r->b.cfg, err) < 0)
		return -1;
	/* CRIU makes a new pty master for the restored terminal and sends it back (runc's way);
	 * it goes to the console socket. oci-run does not relay one itself (runc does in the
	 * foreground). */
	bool terminal = r->b.cfg.process.terminal;
	if (terminal && !r->o->console_socket)
		return oci_err(err, OCI_E_INVALID,
			       "restore of a container with a terminal needs --console-socket to "
			       "receive its pty master");
	if (!terminal && r->o->console_socket)
		return oci_err(err, OCI_E_INVALID,
			       "cannot use console socket: the container has no terminal "
			       "(process.terminal is false)");
	const char *netns = joined_netns(&r->b.cfg);
	if (netns) {
		r->netns = oci_container_open_ns_path("network", CLONE_NEWNET, netns, err);
		if (r->netns < 0)
			return -1;
	}
	const oci_config_namespace *pid = oci_config_find_namespace(&r->b.cfg, "pid");
	r->d.rootfd = oci_state_open_root(r->rt->root, true, err);
	if (r->d.rootfd < 0 ||
	    oci_container_prepare_dir(&r->d, r->rt, r->o->id, r->o->bundle, &r->b,
				      pid && !(pid->path && pid->path[0]), err) < 0)
		return -1;
	r->criu_root = oci_asprintf(err, "%s/%s/criu-root", r->rt->root, r->o->id);
	if (!r->criu_root)
		return -1;
	if (mkdir(r->criu_root, 0755) < 0)
		return oci_err_errno(err, errno, "mkdir '%s'", r->criu_root);
	if (mount(r->b.rootfs, r->criu_root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return oci_err_errno(err, errno, "cannot bind '%s' for CRIU", r->b.rootfs);
	r->mounted = true;
	return 0;
}

/* The external mounts by the names checkpoint gave them (the destination resolved in the
 * rootfs), mapped to their sources; the stdio pipes and the joined network namespace as
 * inherited descriptors (the child that runs CRIU has them at STDIO_BASE + 0..3). */
static int restore_ext(criu_opts *c, restoring *r, int images, oci_error *err)
{
	const oci_config *cfg = &r->b.cfg;
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const oci_config_mount *m = &cfg->mounts[i];
		if (!m->source || !is_bind(m))
			continue;
		cleanup_free char *abs = m->source[0] == '/'
					     ? oci_strdup(m->source, err)
					     : oci_asprintf(err, "%s/%s", r->o->bundle, m->source);
		cleanup_free char *key = abs ? in_root(r->b.rootfs, m->destination, err) : NULL;
		if (!key || add_ext_mount(c, key, abs, err) < 0)
			return -1;
	}
	const char *cg = cgroup_bind_dest(cfg);
	if (cg && r->d.st.cgroups && r->d.st.cgroups->n) {
		cleanup_free char *key = in_root(r->b.rootfs, cg, err);
		if (!key ||
		    add_ext_mount(c, key, r->d.st.cgroups->dirs[r->d.st.cgroups->n - 1], err) < 0)
			return -1;
	}
	if (cfg->linux_.masked_paths && cfg->linux_.masked_paths[0] &&
	    add_ext_mount(c, "/dev/null", "/dev/null", err) < 0)
		return -1;
	/* stdio pipes of the checkpointed init become ours (runc's rule) */
	cleanup_json json_t *fds = oci_json_load_file_at(images, DESCRIPTORS, 1 << 16, err);
	if (!fds)
		return oci_err_prefix(err, "--image-path '%s'", r->o->criu.image_path);
	size_t i;
	json_t *m;
	json_array_foreach(fds, i, m)
	{
		const char *s = json_string_value(m);
		if (i < 3 && s && strstr(s, "pipe:") &&
		    criu_local_add_inherit_fd(c, STDIO_BASE + (int)i, s) < 0)
			return oci_err(err, OCI_E_INTERNAL, "out of memory");
	}
	if (r->netns >= 0 && criu_local_add_inherit_fd(c, STDIO_BASE + 3, EXT_NETNS_KEY) < 0)
		return oci_err(err, OCI_E_INTERNAL, "out of memory");
	return 0;
}

/* When CRIU manages cgroups at restore, the dumped tree's cgroups are mapped onto the new
 * container's (which this process has joined): each line of /proc/self/cgroup becomes a
 * cgroup root for its controllers (v2's "0::/path" one for all). */
static int add_cg_roots(criu_opts *c)
{
	cleanup_free char *text = NULL;
	size_t len;
	if (oci_read_file_at(AT_FDCWD, "/proc/self/cgroup", 1 << 16, &text, &len, NULL) < 0)
		return -1;
	for (char *save, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *ctrls = strchr(line, ':');
		char *path = ctrls ? strchr(ctrls + 1, ':') : NULL;
		if (!path)
			continue;
		*path++ = '\0';
		ctrls++;
		if (!ctrls[0]) {
			if (criu_local_add_cg_root(c, NULL, path) < 0)
				return -1;
			continue;
		}
		for (char *s2, *ctl = strtok_r(ctrls, ",", &s2); ctl;
		     ctl = strtok_r(NULL, ",", &s2))
			if (criu_local_add_cg_root(c, ctl, path) < 0)
				return -1;
	}
	return 0;
}

/* What restore's child reports up its pipe: the restored init's pid (or a negative errno),
 * and why the hooks failed when they did. */
typedef struct restore_report {
	int pid;
	bool console_sent;		  /* the pty master went to the console socket */
	char hook_error[OCI_ERR_MSG_MAX]; /* one write: less than PIPE_BUF */
} restore_report;

/* libcriu's notify callback takes no argument: the one restore of this process. */
static restoring *notify_restoring;
static restore_report *notify_report;

/* The pty master CRIU made for the restored terminal (libcriu keeps the fd that came with
 * the "orphan-pts-master" notification), to the console socket under its slave's name, as
 * create sends one. */
static int send_pty_master(const char *console_socket, oci_error *err)
{
	int master = criu_get_orphan_pts_master_fd();
	unsigned idx;
	if (master < 0 || ioctl(master, TIOCGPTN, &idx) < 0)
		return oci_err(err, OCI_E_IO, "criu sent no pty master for the terminal");
	char name[64];
	snprintf(name, sizeof(name), "/dev/pts/%u", idx);
	int ret = oci_terminal_send(console_socket, master, name, err);
	close(master);
	return ret;
}

/* As runc: when CRIU has made the namespaces (the network one empty with --empty-ns), the
 * prestart and createRuntime hooks run with the restored init's pid, to set them up. */
static int restore_notify(char *action, criu_notify_arg_t na)
{
	restoring *r = notify_restoring;
	oci_error e = OCI_ERROR_INIT;
	if (r && !strcmp(action, "orphan-pts-master")) {
		/* A checkpoint with a terminal restored from a config without one (the config
		 * decides whether --console-socket was required): nowhere to send the master. */
		if (!r->o->console_socket) {
			oci_err(
			    &e, OCI_E_INVALID,
			    "the checkpoint's process has a terminal but config.json's "
			    "process.terminal is false: set it and restore with --console-socket");
			close(criu_get_orphan_pts_master_fd());
		} else if (send_pty_master(r->o->console_socket, &e) == 0) {
			notify_report->console_sent = true;
			return 0;
		}
		memcpy(notify_report->hook_error, e.msg, sizeof(e.msg));
		return -1;
	}
	if (strcmp(action, "setup-namespaces") || !r)
		return 0;
	r->d.st.pid = criu_notify_pid(na);
	cleanup_free char *state = oci_container_hook_state(&r->d.st, "creating");
	if (!state)
		oci_err(&e, OCI_E_INTERNAL, "cannot build state");
	else if (oci_hooks_run(&r->b.cfg.hooks, "prestart", state, r->d.st.bundle, &e) == 0 &&
		 oci_hooks_run(&r->b.cfg.hooks, "createRuntime", state, r->d.st.bundle, &e) == 0)
		return 0;
	memcpy(notify_report->hook_error, e.msg, sizeof(e.msg));
	return -1;
}

/* Once CRIU has restored the tree: the terminal must have gone to the console socket, and
 * the dump's network lock goes (netlock_record). It runs in the process CRIU restored the tree
 * under (libcriu's restore_child: the tree is CRIU's sibling, so its init is this process's
 * child), before that process waits for anything: an init that exits at once stays a zombie
 * under rep->pid, which no other process can get, until it is reaped below. */
static int restore_finish(restoring *r, const restore_report *rep, oci_error *err)
{
	if (r->b.cfg.process.terminal && !rep->console_sent)
		return oci_err(err, OCI_E_INVALID,
			       "restore of '%s': the checkpoint has no terminal to send to "
			       "--console-socket (process.terminal is true)",
			       r->o->id);
	if (r->netlock[0] && netlock_release(rep->pid, r->netlock, err) < 0)
		return oci_err_prefix(err, "restore of '%s': cannot unlock its network", r->o->id);
	return 0;
}

/* In a child that joined the container's cgroups: CRIU restores the tree as its child. The
 * pid goes up the socket; the child then waits for a byte (or the end) from the runtime, which
 * takes a pidfd of the init and its start time first (*pidfd, -1 when the kernel has none;
 * *start): once the child exits (--detach) or reaps the init, that pid may belong to anyone.
 * Then the child exits or waits for the container. */
static int restore_run(restoring *r, criu_opts *c, const char *work_path, int work, pid_t *pid,
		       int *pidfd, uint64_t *start, pid_t *waiter, oci_error *err)
{
	int p[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
		return oci_err_errno(err, errno, "socketpair");
	fflush(NULL);
	pid_t child = fork();
	if (child < 0) {
		close(p[0]);
		close(p[1]);
		return oci_err_errno(err, errno, "fork");
	}
	if (child == 0) {
		close(p[0]);
		oci_error e = OCI_ERROR_INIT;
		restore_report rep = {.pid = -1};
		for (int i = 0; i < 3; i++)
			dup2(i, STDIO_BASE + i);
		if (r->netns >= 0)
			dup2(r->netns, STDIO_BASE + 3);
		/* runc's subreaper: the restored tree is this process's child, and whatever it
		 * leaves behind reparents here and is reaped below */
		bool reap = !r->o->detach && r->o->subreaper &&
			    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
		notify_restoring = r;
		notify_report = &rep;
		criu_local_set_notify_cb(c, restore_notify);
		int saved = quiet_stderr();
		if (oci_cgroup_enter(r->d.st.cgroups, getpid(), &e) == 0 &&
		    (r->cg_mode == 0 || add_cg_roots(c) == 0)) {
			rep.pid = criu_local_restore_child(c);
		} else {
			if (!e.msg[0])
				oci_err(&e, OCI_E_IO, "cannot place CRIU's cgroup roots");
			oci_err_prefix(&e, "cannot join its cgroups");
			memcpy(rep.hook_error, e.msg, sizeof(e.msg));
			rep.pid = -EPERM;
		}
		restore_stderr(saved);
		if (rep.pid > 0 && (restore_finish(r, &rep, &e) < 0)) {
			memcpy(rep.hook_error, e.msg, sizeof(e.msg));
			kill(rep.pid, SIGKILL);
			rep.pid = -EIO;
		}
		for (int i = 0; i < 4; i++)
			close(STDIO_BASE + i);
		if (write(p[1], &rep, sizeof(rep)) != sizeof(rep) || rep.pid <= 0)
			_exit(1);
		char go;
		while (read(p[1], &go, 1) < 0 && errno == EINTR)
			;
		close(p[1]);
		if (r->o->detach)
			_exit(0);
		int st = 0;
		for (pid_t w; (w = waitpid(reap ? -1 : rep.pid, &st, 0)) != rep.pid;)
			if (w < 0 && errno != EINTR)
				_exit(255);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	close(p[1]);
	restore_report rep = {.pid = -1};
	ssize_t n = read(p[0], &rep, sizeof(rep));
	/* still the child's child, a zombie at worst: the pidfd names the restored init */
	*pidfd = n == sizeof(rep) && rep.pid > 0 ? (int)syscall(SYS_pidfd_open, rep.pid, 0) : -1;
	*start = n == sizeof(rep) && rep.pid > 0 ? oci_proc_start_time(rep.pid, NULL) : 0;
	close(p[0]);
	if (n != sizeof(rep) || rep.pid <= 0) {
		waitpid(child, NULL, 0);
		if (n != sizeof(rep))
			rep.pid = -ECOMM;
		/* the notify callback's, restore_finish's or the cgroups' own words (CRIU's
		 * failure codes say nothing of them: libcriu's -1 is -EPERM) */
		rep.hook_error[sizeof(rep.hook_error) - 1] = '\0';
		if (rep.hook_error[0])
			return oci_err(err, OCI_E_IO, "restore of '%s': %s", r->o->id,
				       rep.hook_error);
		cleanup_free char *what = oci_asprintf(NULL, "restore of '%s'", r->o->id);
		return criu_failed(what ? what : "restore", work, work_path, "restore.log", rep.pid,
				   err);
	}
	*pid = rep.pid;
	if (r->o->detach) {
		waitpid(child, NULL, 0);
		*waiter = -1;
	} else {
		*waiter = child;
	}
	return 0;
}

int oci_container_restore(const oci_runtime *rt, const oci_restore_opts *o, int *exit_status,
			  oci_error *err)
{
	if (oci_state_check_id(o->id, err) < 0)
		return -1;
	restoring r = {.rt = rt, .o = o, .d = {.rootfd = -1, .dirfd = -1}, .netns = -1};
	int ret = -1;
	criu_opts *c = NULL;
	cleanup_close int images = -1, work = -1;
	pid_t pid = -1, waiter = -1;
	cleanup_close int pidfd = -1;
	uint64_t start = 0;
	const char *work_path = o->criu.work_path ? o->criu.work_path : o->criu.image_path;
	images = open_dir("--image-path", o->criu.image_path, false, err);
	if (images < 0)
		goto out;
	work = open_dir("--work-path", work_path, true, err);
	if (work < 0)
		goto out;
	if (netlock_load(images, r.netlock, sizeof(r.netlock), err) < 0) {
		oci_err_prefix(err, "--image-path '%s'", o->criu.image_path);
		goto out;
	}
	if (restore_prepare(&r, err) < 0)
		goto out;
	c = new_opts(rt, &o->criu, images, work, "restore.log", err);
	if (!c)
		goto out;
	criu_local_set_root(c, r.criu_root);
	criu_local_set_evasive_devices(c, true);
	/* The tasks start in the cgroups restore made (they inherit them from CRIU). By default
	 * CRIU leaves cgroups alone, except for a cgroup-namespaced container: the namespace's
	 * root is only restored when CRIU manages cgroups (soft, runc's default), with the
	 * dumped cgroups mapped onto the new container's. */
	r.cg_mode = o->criu.manage_cgroups_mode
			? oci_criu_cg_mode(o->criu.manage_cgroups_mode, NULL)
			: (oci_config_find_namespace(&r.b.cfg, "cgroup") ? 3 : 0);
	criu_local_set_manage_cgroups(c, true);
	criu_local_set_manage_cgroups_mode(c, (enum criu_cg_mode)r.cg_mode);
	if (restore_ext(c, &r, images, err) < 0 ||
	    restore_run(&r, c, work_path, work, &pid, &pidfd, &start, &waiter, err) < 0)
		goto out;
	/* CRIU is done with its root: the container's mount namespace has its own copy */
	umount2(r.criu_root, MNT_DETACH);
	rmdir(r.criu_root);
	r.mounted = false;
	r.d.st.pid = pid;
	r.d.st.pid_start = start;
	r.d.st.pid_ino = oci_pidfd_ino(pidfd);
	if (oci_state_write(r.d.dirfd, &r.d.st, err) < 0 ||
	    (o->pid_file && oci_process_write_pid_file(o->pid_file, pid, err) < 0)) {
		/* by its pidfd: with --detach the init is no child of ours, and may be gone */
		if (pidfd >= 0)
			syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		else
			kill(pid, SIGKILL); /* a kernel before 5.3 */
		goto out;
	}
	ret = 0;
	if (waiter > 0) {
		/* foreground: the container's status, then it is removed (as run) */
		int st;
		while (waitpid(waiter, &st, 0) < 0 && errno == EINTR)
			;
		waiter = -1;
		*exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		oci_container_kill_all(&r.d.st, false);
		ret = oci_container_destroy(r.d.rootfd, o->id, &r.d.st, true, err);
	}
out:
	if (waiter > 0) {
		kill(waiter, SIGKILL);
		waitpid(waiter, NULL, 0);
	}
	if (c)
		criu_local_free_opts(c);
	restoring_release(&r, ret < 0);
	return ret;
}
#endif
