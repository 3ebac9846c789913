/* Events: a container's resource usage as runc's `events` prints it (runc's types.Stats JSON:
 * field names, units and Go's omitempty rules), and the stream of stats and OOM events that
 * lasts as long as the container's init. Counters come from the container's cgroups
 * (run/cgroup/stats.h) and, when the container has a network namespace of its own, from that
 * namespace's /proc/PID/net/dev.
 *
 * The JSON is written by hand rather than through jansson: cgroup v2 says "max" as
 * 18446744073709551615, which a json_int_t cannot hold, and runc prints it that way. The
 * stream holds no lock on the container: delete must not wait for an events reader. */
#include "run/container.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "run/cgroup/cgroup.h"
#include "run/cgroup/stats.h"
#include "run/state.h"

#define MAX_IFACES 4096

/* ---- a JSON writer for one event line ---- */

typedef struct jw {
	FILE *f;
	bool first; /* no member written yet in the innermost object or array */
} jw;

static void jw_sep(jw *w)
{
	if (!w->first)
		fputc(',', w->f);
	w->first = false;
}

/* A JSON string, escaped by jansson (interface names come from the container). */
static void jw_str(jw *w, const char *s)
{
	json_t *j = json_string(s);
	char *t = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	fputs(t ? t : "\"\"", w->f);
	free(t);
	json_decref(j);
}

static void jw_key(jw *w, const char *key)
{
	jw_sep(w);
	jw_str(w, key);
	fputc(':', w->f);
}

static void jw_open(jw *w, const char *key, char c)
{
	if (key)
		jw_key(w, key);
	else
		jw_sep(w);
	fputc(c, w->f);
	w->first = true;
}

static void jw_close(jw *w, char c)
{
	fputc(c, w->f);
	w->first = false;
}

/* Go's `json:"key,omitempty"` drops a zero; without omitempty it is always written. */
static void jw_u64(jw *w, const char *key, uint64_t v, bool omitempty)
{
	if (omitempty && !v)
		return;
	jw_key(w, key);
	fprintf(w->f, "%" PRIu64, v);
}

static void jw_u64s(jw *w, const char *key, const uint64_t *v, size_t n)
{
	if (!n)
		return;
	jw_open(w, key, '[');
	for (size_t i = 0; i < n; i++) {
		jw_sep(w);
		fprintf(w->f, "%" PRIu64, v[i]);
	}
	jw_close(w, ']');
}

static void jw_mem(jw *w, const char *key, const oci_stats_mem *m)
{
	jw_open(w, key, '{');
	jw_u64(w, "limit", m->limit, false);
	jw_u64(w, "usage", m->usage, true);
	jw_u64(w, "max", m->max, true);
	jw_u64(w, "failcnt", m->failcnt, false);
	jw_close(w, '}');
}

static void jw_blkio(jw *w, const char *key, const oci_stats_blkio *e, size_t n)
{
	if (!n)
		return;
	jw_open(w, key, '[');
	for (size_t i = 0; i < n; i++) {
		jw_open(w, NULL, '{');
		jw_u64(w, "major", e[i].major, true);
		jw_u64(w, "minor", e[i].minor, true);
		if (e[i].op[0]) {
			jw_key(w, "op");
			jw_str(w, e[i].op);
		}
		jw_u64(w, "value", e[i].value, true);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

/* ---- network counters of the container's own net namespace ---- */

typedef struct iface {
	char name[32];
	uint64_t v[8]; /* rx bytes packets errors dropped, tx bytes packets errors dropped */
} iface;

static const char *const iface_keys[8] = {"RxBytes", "RxPackets", "RxErrors", "RxDropped",
					  "TxBytes", "TxPackets", "TxErrors", "TxDropped"};

/* The interfaces of pid's network namespace, or *n = SIZE_MAX when it shares the runtime's
 * (runc reports interfaces only for a namespace it made). */
static int read_ifaces(pid_t pid, iface **out, size_t *n, oci_error *err)
{
	*out = NULL;
	*n = SIZE_MAX;
	char path[64];
	struct stat own, theirs;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (stat("/proc/self/ns/net", &own) < 0 || stat(path, &theirs) < 0 ||
	    (own.st_ino == theirs.st_ino && own.st_dev == theirs.st_dev))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
	cleanup_free char *t = NULL;
	size_t len;
	if (oci_read_file_at(AT_FDCWD, path, 1 << 22, &t, &len, NULL) < 0)
		return 0; /* gone meanwhile: the caller notices the container stopped */
	*n = 0;
	char *save, *line = strtok_r(t, "\n", &save);
	line = line ? strtok_r(NULL, "\n", &save) : NULL; /* two header lines */
	for (line = line ? strtok_r(NULL, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strrchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		while (*line == ' ')
			line++;
		uint64_t f[16];
		int k = 0;
		for (char *p = colon + 1, *end; k < 16; p = end, k++) {
			errno = 0;
			f[k] = strtoull(p, &end, 10);
			if (end == p || errno)
				break;
		}
		if (k < 12)
			continue;
		if (*n >= MAX_IFACES) {
			free(*out);
			*out = NULL;
			return oci_err(err, OCI_E_LIMIT, "more than %d network interfaces",
				       MAX_IFACES);
		}
		iface *ni = realloc(*out, (*n + 1) * sizeof(*ni));
		if (!ni) {
			free(*out);
			*out = NULL;
			return oci_err(err, OCI_E_INTERNAL, "out of memory");
		}
		*out = ni;
		iface *x = &ni[(*n)++];
		snprintf(x->name, sizeof(x->name), "%s", line);
		static const int col[8] = {0, 1, 2, 3, 8, 9, 10, 11};
		for (int i = 0; i < 8; i++)
			x->v[i] = f[col[i]];
	}
	return 0;
}

/* ---- the stats object ---- */

static void write_stats(jw *w, const oci_cgroup_stats *s, const iface *ifs, size_t n_ifs)
{
	jw_open(w, "cpu", '{');
	jw_open(w, "usage", '{');
	jw_u64(w, "total", s->cpu.total, true);
	jw_u64s(w, "percpu", s->cpu.percpu, s->cpu.n_percpu);
	jw_u64s(w, "percpu_kernel", s->cpu.percpu_kernel, s->cpu.n_percpu_kernel);
	jw_u64s(w, "percpu_user", s->cpu.percpu_user, s->cpu.n_percpu_user);
	jw_u64(w, "kernel", s->cpu.kernel, false);
	jw_u64(w, "user", s->cpu.user, false);
	jw_close(w, '}');
	jw_open(w, "throttling", '{');
	jw_u64(w, "periods", s->cpu.periods, true);
	jw_u64(w, "throttledPeriods", s->cpu.throttled_periods, true);
	jw_u64(w, "throttledTime", s->cpu.throttled_time, true);
	jw_close(w, '}');
	jw_close(w, '}');

	jw_open(w, "cpuset", '{');
	jw_u64s(w, "cpus", s->cpuset.cpus, s->cpuset.n_cpus);
	for (size_t i = 0; i < OCI_STATS_CPUSET_FLAGS; i++) {
		if (i == 1) /* runc's order: cpus, cpu_exclusive, mems, the rest */
			jw_u64s(w, "mems", s->cpuset.mems, s->cpuset.n_mems);
		jw_key(w, oci_stats_cpuset_flags[i]);
		fprintf(w->f, "%" PRId64, s->cpuset.flags[i]);
	}
	jw_close(w, '}');

	jw_open(w, "memory", '{');
	jw_u64(w, "cache", s->memory.cache, true);
	jw_mem(w, "usage", &s->memory.usage);
	jw_mem(w, "swap", &s->memory.swap);
	jw_mem(w, "kernel", &s->memory.kernel);
	jw_mem(w, "kernelTCP", &s->memory.kernel_tcp);
	if (s->memory.n_raw) {
		jw_open(w, "raw", '{');
		for (size_t i = 0; i < s->memory.n_raw; i++)
			jw_u64(w, s->memory.raw[i].key, s->memory.raw[i].value, false);
		jw_close(w, '}');
	}
	jw_close(w, '}');

	jw_open(w, "pids", '{');
	jw_u64(w, "current", s->pids.current, true);
	jw_u64(w, "limit", s->pids.limit, true);
	jw_close(w, '}');

	jw_open(w, "blkio", '{');
	jw_blkio(w, "ioServiceBytesRecursive", s->blkio.service_bytes, s->blkio.n_service_bytes);
	jw_blkio(w, "ioServicedRecursive", s->blkio.serviced, s->blkio.n_serviced);
	jw_close(w, '}');

	jw_open(w, "hugetlb", '{');
	for (size_t i = 0; i < s->n_hugetlb; i++) {
		jw_open(w, s->hugetlb[i].size, '{');
		jw_u64(w, "usage", s->hugetlb[i].usage, true);
		jw_u64(w, "max", s->hugetlb[i].max, true);
		jw_u64(w, "failcnt", s->hugetlb[i].failcnt, false);
		jw_close(w, '}');
	}
	jw_close(w, '}');

	jw_open(w, "intel_rdt", '{');
	jw_close(w, '}');

	if (n_ifs == SIZE_MAX) {
		jw_key(w, "network_interfaces");
		fputs("null", w->f);
		return;
	}
	jw_open(w, "network_interfaces", '[');
	for (size_t i = 0; i < n_ifs; i++) {
		jw_open(w, NULL, '{');
		jw_key(w, "Name");
		jw_str(w, ifs[i].name);
		for (int k = 0; k < 8; k++)
			jw_u64(w, iface_keys[k], ifs[i].v[k], false);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

/* What the stream needs of the container, read once (no lock is kept). */
typedef struct watched {
	const char *id;
	pid_t pid;
	uint64_t pid_start, pid_ino;
	oci_cgroup *cg;
} watched;

static bool alive(const watched *c)
{
	bool zombie;
	return oci_proc_is(c->pid, c->pid_start, c->pid_ino, &zombie) && !zombie;
}

/* One event line: {"type":TYPE,"id":ID[,"data":STATS]} */
static char *event_line(const watched *c, const char *type, bool with_stats, oci_error *err)
{
	oci_cgroup_stats s;
	cleanup_free iface *ifs = NULL;
	size_t n_ifs = SIZE_MAX;
	if (with_stats) {
		if (oci_cgroup_stats_read(c->cg, &s, err) < 0 ||
		    read_ifaces(c->pid, &ifs, &n_ifs, err) < 0) {
			oci_cgroup_stats_release(&s);
			return NULL;
		}
	}
	char *buf = NULL;
	size_t len = 0;
	jw w = {open_memstream(&buf, &len), true};
	if (!w.f) {
		if (with_stats)
			oci_cgroup_stats_release(&s);
		oci_err_errno(err, errno, "open_memstream");
		return NULL;
	}
	jw_open(&w, NULL, '{');
	jw_key(&w, "type");
	jw_str(&w, type);
	jw_key(&w, "id");
	jw_str(&w, c->id);
	if (with_stats) {
		jw_open(&w, "data", '{');
		write_stats(&w, &s, ifs, n_ifs);
		jw_close(&w, '}');
		oci_cgroup_stats_release(&s);
	}
	jw_close(&w, '}');
	if (fclose(w.f) != 0) {
		free(buf);
		oci_err(err, OCI_E_INTERNAL, "out of memory");
		return NULL;
	}
	return buf;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* How often the OOM counter is looked at (and the longest a stopped container keeps the
 * stream open when no pidfd can tell at once). */
#define OOM_POLL_MS 100

static int stream(const watched *c, bool once, uint64_t interval_ns, oci_event_fn *emit, void *arg,
		  oci_error *err)
{
	if (once) {
		cleanup_free char *line = event_line(c, "stats", true, err);
		return line ? emit(line, arg, err) : -1;
	}
	/* A pidfd tells the moment the init exits; checked against its start time, so a
	 * reused pid is not taken for the container. */
	cleanup_close int pfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	if (!alive(c))
		return 0;
	uint64_t ooms = 0;
	oci_cgroup_oom_kills(c->cg, &ooms, NULL);
	uint64_t next = now_ns() + interval_ns;
	for (;;) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		uint64_t now = now_ns();
		int wait_ms = OOM_POLL_MS;
		if (next > now && (next - now) / 1000000 < (uint64_t)wait_ms)
			wait_ms = (int)((next - now + 999999) / 1000000);
		if (next <= now)
			wait_ms = 0;
		if (poll(&p, pfd >= 0 ? 1 : 0, wait_ms) < 0 && errno != EINTR)
			return oci_err_errno(err, errno, "poll");
		bool up = alive(c);
		/* An OOM kill that stopped the container is still reported. */
		uint64_t n = 0;
		if (oci_cgroup_oom_kills(c->cg, &n, NULL) == 0 && n > ooms) {
			for (; ooms < n; ooms++) {
				cleanup_free char *line = event_line(c, "oom", false, err);
				if (!line || emit(line, arg, err) < 0)
					return -1;
			}
		}
		if (!up)
			return 0;
		if (now_ns() >= next) {
			next += interval_ns;
			if (next < now_ns())
				next = now_ns() + interval_ns;
			oci_error e = OCI_ERROR_INIT;
			cleanup_free char *line = event_line(c, "stats", true, &e);
			if (!line) {
				/* runc logs and goes on; a container that stopped meanwhile
				 * ends the stream instead */
				if (!alive(c))
					return 0;
				log_warn("events: container '%s': %s", c->id, e.msg);
				oci_err_clear(&e);
				continue;
			}
			if (emit(line, arg, err) < 0)
				return -1;
		}
	}
}

int oci_container_events(const oci_runtime *rt, const char *id, bool once, uint64_t interval_ns,
			 oci_event_fn *emit, void *arg, oci_error *err)
{
	if (!once && interval_ns == 0)
		return oci_err(err, OCI_E_INVALID, "events: the interval must be greater than 0");
	oci_state st;
	int dirfd = oci_state_load(rt->root, id, false, NULL, &st, err);
	if (dirfd < 0)
		return -1;
	int status = oci_state_status(dirfd, &st);
	close(dirfd);
	int ret = -1;
	if (status == OCI_STATUS_STOPPED)
		oci_err(err, OCI_E_STATE, "container '%s' is not running", id);
	else if (!st.cgroups || !st.cgroups->n)
		oci_err(err, OCI_E_UNSUPPORTED,
			"container '%s' has no cgroup of its own: no statistics to show", id);
	else {
		watched c = {st.id, st.pid, st.pid_start, st.pid_ino, st.cgroups};
		ret = stream(&c, once, interval_ns, emit, arg, err);
	}
	oci_state_release(&st);
	return ret;
}
