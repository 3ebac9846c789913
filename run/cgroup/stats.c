/* Reading a container's cgroup counters: the entry points (dispatching to the handle's driver)
 * and the parsing of cgroup stat files that the v1 and v2 readers share. Every file is read
 * whole with a size cap, and every list it adds is capped (OCI_STATS_MAX_*). */
#include "run/cgroup/stats.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "run/cgroup/internal.h"

#define STAT_FILE_MAX (1 << 20)

const char *const oci_stats_cpuset_flags[OCI_STATS_CPUSET_FLAGS] = {
    "cpu_exclusive",   "mem_hardwall",	     "mem_exclusive",
    "memory_migrate",  "memory_spread_page", "memory_spread_slab",
    "memory_pressure", "sched_load_balance", "sched_relax_domain_level"};

int oci_cgroup_stats_read(const oci_cgroup *cg, oci_cgroup_stats *s, oci_error *err)
{
	memset(s, 0, sizeof(*s));
	if (!cg->ops->stats)
		return oci_err(err, OCI_E_UNSUPPORTED, "the %s cgroup driver has no statistics",
			       cg->ops->name);
	return cg->ops->stats(cg, s, err);
}

int oci_cgroup_oom_kills(const oci_cgroup *cg, uint64_t *n, oci_error *err)
{
	*n = 0;
	if (!cg->ops->oom_kills)
		return oci_err(err, OCI_E_UNSUPPORTED, "the %s cgroup driver has no OOM counter",
			       cg->ops->name);
	return cg->ops->oom_kills(cg, n, err);
}

void oci_cgroup_stats_release(oci_cgroup_stats *s)
{
	free(s->cpu.percpu);
	free(s->cpu.percpu_user);
	free(s->cpu.percpu_kernel);
	free(s->cpuset.cpus);
	free(s->cpuset.mems);
	for (size_t i = 0; i < s->memory.n_raw; i++)
		free(s->memory.raw[i].key);
	free(s->memory.raw);
	free(s->blkio.service_bytes);
	free(s->blkio.serviced);
	free(s->hugetlb);
	memset(s, 0, sizeof(*s));
}

char *oci_stats_read(const char *dir, const char *file)
{
	cleanup_free char *p = oci_asprintf(NULL, "%s/%s", dir, file);
	char *out = NULL;
	size_t len;
	if (!p || oci_read_file_at(AT_FDCWD, p, STAT_FILE_MAX, &out, &len, NULL) < 0)
		return NULL;
	return out;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	while (*s == ' ' || *s == '\t')
		s++;
	if (!strncmp(s, "max", 3) && (s[3] == '\0' || s[3] == '\n')) {
		*out = UINT64_MAX;
		return true;
	}
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || (*end && *end != '\n' && *end != ' '))
		return false;
	*out = v;
	return true;
}

bool oci_stats_u64(const char *dir, const char *file, uint64_t *out)
{
	cleanup_free char *t = oci_stats_read(dir, file);
	return t && parse_u64(t, out);
}

bool oci_stats_key(const char *dir, const char *file, const char *key, uint64_t *out)
{
	cleanup_free char *t = oci_stats_read(dir, file);
	if (!t)
		return false;
	size_t kl = strlen(key);
	for (char *save, *line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, key, kl) && line[kl] == ' ')
			return parse_u64(line + kl + 1, out);
	return false;
}

static int push_u64(uint64_t **v, size_t *n, uint64_t x, size_t cap, oci_error *err)
{
	if (*n >= cap)
		return oci_err(err, OCI_E_LIMIT, "more than %zu entries in a cgroup stat file",
			       cap);
	uint64_t *nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return oci_err(err, OCI_E_INTERNAL, "out of memory");
	nv[(*n)++] = x;
	*v = nv;
	return 0;
}

int oci_stats_u64_list(const char *text, uint64_t **v, size_t *n, oci_error *err)
{
	const char *p = text;
	while (*p) {
		while (*p == ' ' || *p == '\n')
			p++;
		if (!*p)
			break;
		char *end;
		errno = 0;
		unsigned long long x = strtoull(p, &end, 10);
		if (end == p || errno)
			return oci_err(err, OCI_E_INVALID,
				       "malformed number list in a cgroup file");
		if (push_u64(v, n, x, OCI_STATS_MAX_CPUS, err) < 0)
			return -1;
		p = end;
	}
	return 0;
}

int oci_stats_id_list(const char *text, uint64_t **v, size_t *n, oci_error *err)
{
	const char *p = text;
	while (*p && *p != '\n') {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p)
			return oci_err(err, OCI_E_INVALID,
				       "malformed id list '%s' in a cgroup file", text);
		p = end;
		if (*p == '-') {
			const char *q = p + 1;
			b = strtoul(q, &end, 10);
			if (end == q || b < a)
				return oci_err(err, OCI_E_INVALID,
					       "malformed id list '%s' in a cgroup file", text);
			p = end;
		}
		if (b - a >= OCI_STATS_MAX_CPUS)
			return oci_err(err, OCI_E_LIMIT, "id range too large in a cgroup file");
		for (unsigned long i = a; i <= b; i++)
			if (push_u64(v, n, i, OCI_STATS_MAX_CPUS, err) < 0)
				return -1;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return oci_err(err, OCI_E_INVALID,
				       "malformed id list '%s' in a cgroup file", text);
	}
	return 0;
}

int oci_stats_blkio_add(oci_stats_blkio **v, size_t *n, uint64_t major, uint64_t minor,
			const char *op, uint64_t value, oci_error *err)
{
	if (*n >= OCI_STATS_MAX_ENTRIES)
		return oci_err(err, OCI_E_LIMIT, "more than %d block devices in a cgroup stat file",
			       OCI_STATS_MAX_ENTRIES);
	oci_stats_blkio *nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return oci_err(err, OCI_E_INTERNAL, "out of memory");
	*v = nv;
	oci_stats_blkio *e = &nv[(*n)++];
	e->major = major;
	e->minor = minor;
	e->value = value;
	snprintf(e->op, sizeof(e->op), "%s", op);
	return 0;
}

oci_stats_hugetlb *oci_stats_hugetlb_add(oci_cgroup_stats *s, const char *size, oci_error *err)
{
	if (s->n_hugetlb >= OCI_STATS_MAX_ENTRIES)
		return oci_err(err, OCI_E_INVALID, "more than %d hugetlb page sizes",
			       OCI_STATS_MAX_ENTRIES),
		       NULL;
	oci_stats_hugetlb *nh = realloc(s->hugetlb, (s->n_hugetlb + 1) * sizeof(*nh));
	if (!nh)
		return oci_err(err, OCI_E_INTERNAL, "out of memory"), NULL;
	s->hugetlb = nh;
	oci_stats_hugetlb *h = &nh[s->n_hugetlb++];
	memset(h, 0, sizeof(*h));
	snprintf(h->size, sizeof(h->size), "%s", size);
	return h;
}

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const oci_stats_kv *)a)->key, ((const oci_stats_kv *)b)->key);
}

int oci_stats_raw(const char *dir, const char *file, oci_cgroup_stats *s, oci_error *err)
{
	cleanup_free char *t = oci_stats_read(dir, file);
	if (!t)
		return 0;
	for (char *save, *line = strtok_r(t, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		uint64_t v;
		if (!sp || !parse_u64(sp + 1, &v))
			continue;
		if (s->memory.n_raw >= OCI_STATS_MAX_ENTRIES)
			return oci_err(err, OCI_E_LIMIT, "more than %d entries in '%s/%s'",
				       OCI_STATS_MAX_ENTRIES, dir, file);
		oci_stats_kv *nr = realloc(s->memory.raw, (s->memory.n_raw + 1) * sizeof(*nr));
		if (!nr)
			return oci_err(err, OCI_E_INTERNAL, "out of memory");
		s->memory.raw = nr;
		char *key = strndup(line, (size_t)(sp - line));
		if (!key)
			return oci_err(err, OCI_E_INTERNAL, "out of memory");
		nr[s->memory.n_raw].key = key;
		nr[s->memory.n_raw++].value = v;
	}
	/* in key order, as runc's Go map prints */
	if (s->memory.n_raw)
		qsort(s->memory.raw, s->memory.n_raw, sizeof(*s->memory.raw), cmp_kv);
	return 0;
}

static int cmp_size(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

int oci_stats_hugepage_sizes(char (**sizes)[16], size_t *n, oci_error *err)
{
	*sizes = NULL;
	*n = 0;
	cleanup_closedir DIR *d = opendir("/sys/kernel/mm/hugepages");
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		/* hugepages-2048kB -> 2MB, hugepages-1048576kB -> 1GB (the cgroup file names) */
		unsigned long kb;
		if (sscanf(de->d_name, "hugepages-%lukB", &kb) != 1 || *n >= 64 || kb > (1ul << 30))
			continue;
		char(*ns)[16] = realloc(*sizes, (*n + 1) * sizeof(**sizes));
		if (!ns) {
			free(*sizes);
			*sizes = NULL;
			return oci_err(err, OCI_E_INTERNAL, "out of memory");
		}
		*sizes = ns;
		unsigned k = (unsigned)kb;
		if (k >= 1024 * 1024 && k % (1024 * 1024) == 0)
			snprintf(ns[*n], 16, "%uGB", k / (1024 * 1024));
		else if (k >= 1024 && k % 1024 == 0)
			snprintf(ns[*n], 16, "%uMB", k / 1024);
		else
			snprintf(ns[*n], 16, "%uKB", k);
		(*n)++;
	}
	if (*n)
		qsort(*sizes, *n, sizeof(**sizes), cmp_size);
	return 0;
}
