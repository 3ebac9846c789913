/* Where a container's cgroup goes below each hierarchy: linux.cgroupsPath as given (relative
 * paths are taken from the hierarchy's root, as runc does), /oci-run/<id> without one, and
 * for --systemd-cgroup the "slice:prefix:name" form placed where systemd would put the unit
 * (runc's ExpandSlice). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "run/cgroup/internal.h"

/* A path under construction, bounded: no input grows it past PATH_MAX. */
struct rel {
	char buf[4096];
	size_t len;
	bool overflow;
};

static void rel_add(struct rel *r, const char *s, size_t n)
{
	if (r->overflow || r->len + n >= sizeof(r->buf)) {
		r->overflow = true;
		return;
	}
	memcpy(r->buf + r->len, s, n);
	r->len += n;
	r->buf[r->len] = '\0';
}

static char *rel_take(struct rel *r, const char *cp, oci_error *err)
{
	if (r->overflow)
		return oci_err(err, OCI_E_INVALID, "linux.cgroupsPath: '%s' is too long", cp), NULL;
	return oci_strdup(r->buf, err);
}

char *oci_cgroup_plan_path(const oci_cgroup_manager *m, const char *cp, const char *id,
			   oci_error *err)
{
	if (cp && cp[0])
		return oci_asprintf(err, "%s%s", cp[0] == '/' ? "" : "/", cp);
	return oci_asprintf(err, "/oci-run/%s", id);
}

/* Append the directories of a systemd slice ("a-b.slice" -> /a.slice/a-b.slice): systemd
 * nests a slice in the slices named by its dash-separated prefixes. */
static int expand_slice(const char *slice, size_t n, struct rel *out, oci_error *err)
{
	if (n < 6 || strncmp(slice + n - 6, ".slice", 6) || memchr(slice, '/', n))
		return oci_err(err, OCI_E_INVALID, "linux.cgroupsPath: invalid slice '%.*s'",
			       (int)n, slice);
	size_t base = n - 6;
	if (base == 1 && slice[0] == '-')
		return 0; /* the root slice */
	if (base == 0 || slice[0] == '-' || slice[base - 1] == '-' || memmem(slice, base, "--", 2))
		return oci_err(err, OCI_E_INVALID, "linux.cgroupsPath: invalid slice '%.*s'",
			       (int)n, slice);
	for (size_t i = 0; i <= base; i++) {
		if (i < base && slice[i] != '-')
			continue;
		rel_add(out, "/", 1);
		rel_add(out, slice, i);
		rel_add(out, ".slice", 6);
	}
	return 0;
}

char *oci_cgroup_plan_systemd(const char *cp, oci_error *err)
{
	const char *c1 = strchr(cp, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c2 || strchr(c2 + 1, ':') || !c2[1])
		return oci_err(err, OCI_E_INVALID,
			       "linux.cgroupsPath: expected \"slice:prefix:name\" with "
			       "--systemd-cgroup, got '%s'",
			       cp),
		       NULL;
	struct rel r = {.len = 0};
	r.buf[0] = '\0';
	/* an empty slice is system.slice */
	if ((c1 == cp ? expand_slice("system.slice", 12, &r, err)
		      : expand_slice(cp, (size_t)(c1 - cp), &r, err)) < 0)
		return NULL;
	const char *name = c2 + 1;
	if (oci_str_has_suffix(name, ".slice")) {
		if (expand_slice(name, strlen(name), &r, err) < 0)
			return NULL;
		return rel_take(&r, cp, err);
	}
	const char *prefix = c1 + 1;
	size_t plen = (size_t)(c2 - c1 - 1);
	if (strchr(name, '/') || memchr(prefix, '/', plen))
		return oci_err(err, OCI_E_INVALID, "linux.cgroupsPath: invalid unit name in '%s'",
			       cp),
		       NULL;
	rel_add(&r, "/", 1);
	if (plen) { /* runc: no prefix, no dash */
		rel_add(&r, prefix, plen);
		rel_add(&r, "-", 1);
	}
	rel_add(&r, name, strlen(name));
	rel_add(&r, ".scope", 6);
	if (r.overflow)
		return oci_err(err, OCI_E_INVALID, "linux.cgroupsPath: invalid unit name in '%s'",
			       cp),
		       NULL;
	return rel_take(&r, cp, err);
}
