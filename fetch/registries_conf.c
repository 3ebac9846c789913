/* registries.conf: loading (files and drop-ins, merged as containers/image merges them),
 * validation, short-name resolution and the list of pull sources for a reference. The files
 * are TOML (common/toml.c) and every value is checked when read, so a mistake is reported
 * with its file instead of surfacing as a strange pull. */
#include "fetch/registries_conf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/toml.h"
#include "common/util.h"

#define SYSTEM_CONF	"/etc/containers/registries.conf"
#define SYSTEM_CONF_DIR "/etc/containers/registries.conf.d"
#define MAX_DROPINS	1024

static const struct {
	const char *name;
	int mode;
} short_modes[] = {
    {"enforcing", OCI_SHORT_NAME_ENFORCING},
    {"permissive", OCI_SHORT_NAME_PERMISSIVE},
    {"disabled", OCI_SHORT_NAME_DISABLED},
};

static const struct {
	const char *name;
	int mode;
} pull_from_modes[] = {
    {"all", OCI_PULL_FROM_ALL},
    {"digest-only", OCI_PULL_FROM_DIGEST_ONLY},
    {"tag-only", OCI_PULL_FROM_TAG_ONLY},
};

static void registry_release(oci_regconf_registry *r)
{
	free(r->prefix);
	free(r->location);
	for (size_t i = 0; i < r->n_mirrors; i++)
		free(r->mirrors[i].location);
	free(r->mirrors);
	memset(r, 0, sizeof(*r));
}

void oci_regconf_release(oci_regconf *c)
{
	oci_strvfreep(&c->search);
	for (size_t i = 0; i < c->n_regs; i++)
		registry_release(&c->regs[i]);
	free(c->regs);
	for (size_t i = 0; i < c->n_aliases; i++) {
		free(c->aliases[i].name);
		free(c->aliases[i].value);
	}
	free(c->aliases);
	free(c->files);
	memset(c, 0, sizeof(*c));
}

/* A location or prefix: "host[:port][/path]" as containers/image accepts it, trailing '/'
 * dropped. No scheme: it would be taken for a host name. */
static char *parse_location(const char *v, const char *key, oci_error *err)
{
	if (strstr(v, "://"))
		return oci_err(err, OCI_E_INVALID,
			       "%s '%s': a location has no scheme (write host[:port][/path]; "
			       "insecure = true allows HTTP)",
			       key, v),
		       NULL;
	size_t n = strlen(v);
	while (n && v[n - 1] == '/')
		n--;
	if (n > OCI_REF_NAME_MAX)
		return oci_err(err, OCI_E_INVALID, "%s: longer than %d characters", key,
			       OCI_REF_NAME_MAX),
		       NULL;
	char *s = strndup(v, n);
	if (!s)
		oci_err(err, OCI_E_IO, "out of memory");
	return s;
}

/* A prefix or location must be a valid reference name (or its host part) once a repository
 * is appended, so a typo is caught here and not at pull time. */
static int check_name(const char *v, const char *key, bool wildcard_ok, oci_error *err)
{
	if (wildcard_ok && oci_str_has_prefix(v, "*.")) {
		if (strchr(v, '/') || strchr(v, ':') || strchr(v + 2, '*'))
			return oci_err(err, OCI_E_INVALID,
				       "%s '%s': a wildcard prefix is '*.domain' only", key, v);
		v += 2;
	}
	/* the prefix may end in :tag or @digest: it is matched against full references */
	cleanup_free char *probe = oci_asprintf(err, "%s%s", v, strchr(v, '/') ? "" : "/x");
	if (!probe)
		return -1;
	oci_ref r;
	oci_error e2 = OCI_ERROR_INIT;
	if (oci_ref_parse(probe, &r, &e2) < 0 || !r.qualified)
		return oci_err(err, OCI_E_INVALID, "%s '%s': not host[:port][/path]", key, v);
	return 0;
}

static int get_bool(json_t *o, const char *path, const char *key, bool *out, oci_error *err)
{
	return oci_json_get_bool(o, path, key, false, out, err) < 0 ? -1 : 0;
}

static int parse_mirror(json_t *m, const char *path, bool by_digest_only, oci_regconf_mirror *out,
			oci_error *err)
{
	const char *loc = NULL, *pf = NULL;
	if (!json_is_object(m))
		return oci_err(err, OCI_E_INVALID, "%s: expected a table", path);
	if (oci_json_get_string(m, path, "location", true, &loc, err) < 0 ||
	    get_bool(m, path, "insecure", &out->insecure, err) < 0 ||
	    oci_json_get_string(m, path, "pull-from-mirror", false, &pf, err) < 0)
		return -1;
	if (!*loc)
		return oci_err(err, OCI_E_INVALID, "%s.location: empty", path);
	if (pf && *pf) {
		size_t i;
		for (i = 0; i < ARRAY_SIZE(pull_from_modes); i++)
			if (!strcmp(pf, pull_from_modes[i].name))
				break;
		if (i == ARRAY_SIZE(pull_from_modes))
			return oci_err(err, OCI_E_INVALID,
				       "%s.pull-from-mirror: '%s' is not all, digest-only or "
				       "tag-only",
				       path, pf);
		if (by_digest_only)
			return oci_err(err, OCI_E_INVALID,
				       "%s.pull-from-mirror: not allowed with "
				       "mirror-by-digest-only = true",
				       path);
		out->pull_from = pull_from_modes[i].mode;
	}
	if (!(out->location = parse_location(loc, "mirror location", err)))
		return -1;
	return check_name(out->location, "mirror location", false, err);
}

static int parse_registry(json_t *t, const char *path, oci_regconf_registry *r, oci_error *err)
{
	const char *prefix = NULL, *loc = NULL;
	json_t *mirrors = NULL;
	char mp[96];
	if (!json_is_object(t))
		return oci_err(err, OCI_E_INVALID, "%s: expected a table", path);
	if (oci_json_get_string(t, path, "prefix", false, &prefix, err) < 0 ||
	    oci_json_get_string(t, path, "location", false, &loc, err) < 0 ||
	    get_bool(t, path, "insecure", &r->insecure, err) < 0 ||
	    get_bool(t, path, "blocked", &r->blocked, err) < 0 ||
	    get_bool(t, path, "mirror-by-digest-only", &r->mirror_by_digest_only, err) < 0 ||
	    oci_json_get_array(t, path, "mirror", false, &mirrors, err) < 0)
		return -1;
	if (!loc)
		loc = "";
	if ((!prefix || !*prefix) && !*loc)
		return oci_err(err, OCI_E_INVALID, "%s: needs a location or a prefix", path);
	if (!(r->location = parse_location(loc, "location", err)) ||
	    !(r->prefix = parse_location(prefix && *prefix ? prefix : loc, "prefix", err)))
		return -1;
	bool wildcard = oci_str_has_prefix(r->prefix, "*.");
	if (check_name(r->prefix, "prefix", true, err) < 0 ||
	    (*r->location && check_name(r->location, "location", false, err) < 0))
		return -1;
	if (wildcard && *r->location)
		return oci_err(err, OCI_E_INVALID,
			       "%s: prefix '%s' is a wildcard: location must be empty", path,
			       r->prefix);
	if (!wildcard && !*r->location)
		return oci_err(err, OCI_E_INVALID, "%s: location: empty", path);
	size_t n = mirrors ? json_array_size(mirrors) : 0;
	if (n > 64)
		return oci_err(err, OCI_E_LIMIT, "%s.mirror: more than 64 mirrors", path);
	if (n && !(r->mirrors = oci_calloc(n, sizeof(*r->mirrors), err)))
		return -1;
	for (size_t i = 0; i < n; i++) {
		snprintf(mp, sizeof(mp), "%s.mirror[%zu]", path, i);
		r->n_mirrors = i + 1;
		if (parse_mirror(json_array_get(mirrors, i), mp, r->mirror_by_digest_only,
				 &r->mirrors[i], err) < 0)
			return -1;
	}
	return 0;
}

/* An alias name is a short name without tag or digest; its value a qualified name. */
static int check_alias(const char *name, const char *value, oci_error *err)
{
	oci_ref r;
	oci_error e2 = OCI_ERROR_INIT;
	if (oci_ref_parse(name, &r, &e2) < 0 || r.qualified || strchr(name, ':') ||
	    strchr(name, '@') || !strncmp(name, "localhost/", 10))
		return oci_err(err, OCI_E_INVALID,
			       "aliases: '%s' is not a short name (no registry, tag or digest)",
			       name);
	if (!*value)
		return 0;
	const char *slash = strchr(value, '/');
	const char *last = strrchr(value, '/');
	if (oci_ref_parse(value, &r, &e2) < 0 || !r.qualified || strchr(value, '@') ||
	    (last && strchr(last, ':')) || !slash)
		return oci_err(err, OCI_E_INVALID,
			       "aliases: '%s' = '%s': the value must be a qualified name "
			       "(registry/repository, no tag or digest)",
			       name, value);
	return 0;
}

static int set_alias(oci_regconf *c, const char *name, const char *value, oci_error *err)
{
	for (size_t i = 0; i < c->n_aliases; i++) {
		if (strcmp(c->aliases[i].name, name))
			continue;
		char *v = oci_strdup(value, err);
		if (!v)
			return -1;
		free(c->aliases[i].value);
		c->aliases[i].value = v;
		return 0;
	}
	oci_regconf_alias *na = realloc(c->aliases, (c->n_aliases + 1) * sizeof(*na));
	if (!na)
		return oci_err(err, OCI_E_IO, "out of memory");
	c->aliases = na;
	na[c->n_aliases].name = oci_strdup(name, err);
	na[c->n_aliases].value = oci_strdup(value, err);
	if (!na[c->n_aliases].name || !na[c->n_aliases].value) {
		free(na[c->n_aliases].name);
		free(na[c->n_aliases].value);
		return -1;
	}
	c->n_aliases++;
	return 0;
}

/* Replace the registry with the same prefix, or add it (r is taken over). */
static int put_registry(oci_regconf *c, oci_regconf_registry *r, oci_error *err)
{
	for (size_t i = 0; i < c->n_regs; i++) {
		if (strcmp(c->regs[i].prefix, r->prefix))
			continue;
		registry_release(&c->regs[i]);
		c->regs[i] = *r;
		memset(r, 0, sizeof(*r));
		return 0;
	}
	oci_regconf_registry *nr = realloc(c->regs, (c->n_regs + 1) * sizeof(*nr));
	if (!nr)
		return oci_err(err, OCI_E_IO, "out of memory");
	c->regs = nr;
	nr[c->n_regs++] = *r;
	memset(r, 0, sizeof(*r));
	return 0;
}

/* Version 1: [registries.search|insecure|block] registries = [...]. */
static int merge_v1(oci_regconf *c, json_t *v1, oci_error *err)
{
	static const char *const kinds[] = {"search", "insecure", "block"};
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		json_t *t = NULL;
		cleanup_strv char **list = NULL;
		char path[64];
		snprintf(path, sizeof(path), "registries.%s", kinds[k]);
		if (oci_json_get_object(v1, "registries", kinds[k], false, &t, err) < 0 ||
		    (t && oci_json_get_strv(t, path, "registries", false, &list, err) < 0))
			return -1;
		for (size_t i = 0; list && list[i]; i++) {
			if (k == 0)
				continue;
			oci_regconf_registry r;
			memset(&r, 0, sizeof(r));
			r.insecure = k == 1;
			r.blocked = k == 2;
			if (!(r.location = parse_location(list[i], path, err)) ||
			    !(r.prefix = oci_strdup(r.location, err)) ||
			    check_name(r.location, path, false, err) < 0) {
				registry_release(&r);
				return -1;
			}
			/* a registry both insecure and blocked is one table with both */
			for (size_t j = 0; j < c->n_regs; j++)
				if (!strcmp(c->regs[j].prefix, r.prefix)) {
					r.insecure |= c->regs[j].insecure;
					r.blocked |= c->regs[j].blocked;
				}
			if (put_registry(c, &r, err) < 0) {
				registry_release(&r);
				return -1;
			}
		}
		if (k == 0 && list) {
			oci_strvfreep(&c->search);
			c->search = steal_pointer(&list);
			for (c->n_search = 0; c->search[c->n_search]; c->n_search++)
				;
			c->search_set = true;
		}
	}
	return 0;
}

int oci_regconf_merge(oci_regconf *c, const char *text, size_t len, const char *what,
		      oci_error *err)
{
	cleanup_json json_t *doc = oci_toml_parse(text, len, what, err);
	if (!doc)
		return -1;
	json_t *v1 = NULL, *regs = NULL, *aliases = NULL;
	cleanup_strv char **search = NULL, **helpers = NULL;
	const char *mode = NULL;
	if (oci_json_get_object(doc, "", "registries", false, &v1, err) < 0 ||
	    oci_json_get_array(doc, "", "registry", false, &regs, err) < 0 ||
	    oci_json_get_object(doc, "", "aliases", false, &aliases, err) < 0 ||
	    oci_json_get_strv(doc, "", "unqualified-search-registries", false, &search, err) < 0 ||
	    oci_json_get_string(doc, "", "short-name-mode", false, &mode, err) < 0 ||
	    oci_json_get_strv(doc, "", "credential-helpers", false, &helpers, err) < 0)
		return oci_err_prefix(err, "%s", what);
	if (v1 && (regs || search || aliases || mode))
		return oci_err(err, OCI_E_INVALID,
			       "%s: mixes the version 1 [registries.*] lists with version 2 "
			       "settings; use version 2 only",
			       what);
	/* oci-fetch reads credentials from the auth files only: that is the default helper */
	for (size_t i = 0; helpers && helpers[i]; i++)
		if (strcmp(helpers[i], "containers-auth.json"))
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "%s: credential-helpers '%s' is not supported by oci-fetch "
				       "(use credHelpers in the auth file)",
				       what, helpers[i]);
	if (v1)
		return merge_v1(c, v1, err) < 0 ? oci_err_prefix(err, "%s", what) : 0;
	size_t n_search = 0;
	for (; search && search[n_search]; n_search++) {
		cleanup_free char *loc =
		    parse_location(search[n_search], "unqualified-search-registries", err);
		if (!loc || check_name(loc, "unqualified-search-registries", false, err) < 0)
			return oci_err_prefix(err, "%s", what);
		if (strchr(loc, '/'))
			return oci_err(
			    err, OCI_E_INVALID,
			    "%s: unqualified-search-registries: '%s' is not a host[:port]", what,
			    search[n_search]);
	}
	if (mode && *mode) {
		size_t i;
		for (i = 0; i < ARRAY_SIZE(short_modes); i++)
			if (!strcmp(mode, short_modes[i].name))
				break;
		if (i == ARRAY_SIZE(short_modes))
			return oci_err(err, OCI_E_INVALID,
				       "%s: short-name-mode '%s' is not enforcing, permissive or "
				       "disabled",
				       what, mode);
		c->short_mode = short_modes[i].mode;
	}
	/* check the whole file before changing anything */
	size_t n_regs = regs ? json_array_size(regs) : 0;
	oci_regconf_registry *parsed = n_regs ? oci_calloc(n_regs, sizeof(*parsed), err) : NULL;
	if (n_regs && !parsed)
		return -1;
	int rc = -1;
	for (size_t i = 0; i < n_regs; i++) {
		char path[48];
		snprintf(path, sizeof(path), "registry[%zu]", i);
		if (parse_registry(json_array_get(regs, i), path, &parsed[i], err) < 0) {
			oci_err_prefix(err, "%s", what);
			goto out;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(parsed[j].prefix, parsed[i].prefix)) {
				oci_err(err, OCI_E_INVALID,
					"%s: registry[%zu]: prefix '%s' is defined twice", what, i,
					parsed[i].prefix);
				goto out;
			}
	}
	if (aliases) {
		const char *k;
		json_t *v;
		json_object_foreach(aliases, k, v)
		{
			if (!json_is_string(v)) {
				oci_err(err, OCI_E_INVALID, "%s: aliases.%s: expected a string",
					what, k);
				goto out;
			}
			if (check_alias(k, json_string_value(v), err) < 0) {
				oci_err_prefix(err, "%s", what);
				goto out;
			}
		}
	}
	for (size_t i = 0; i < n_regs; i++)
		if (put_registry(c, &parsed[i], err) < 0)
			goto out;
	if (aliases) {
		const char *k;
		json_t *v;
		json_object_foreach(aliases, k, v)
		{
			if (set_alias(c, k, json_string_value(v), err) < 0)
				goto out;
		}
	}
	if (search) {
		oci_strvfreep(&c->search);
		c->search = steal_pointer(&search);
		c->n_search = n_search;
		c->search_set = true;
	}
	rc = 0;
out:
	for (size_t i = 0; i < n_regs; i++)
		registry_release(&parsed[i]);
	free(parsed);
	return rc;
}

static int add_file_name(oci_regconf *c, const char *path, oci_error *err)
{
	char *f = c->files ? oci_asprintf(err, "%s, %s", c->files, path) : oci_strdup(path, err);
	if (!f)
		return -1;
	free(c->files);
	c->files = f;
	return 0;
}

/* 1: read, 0: no such file. */
static int merge_file(oci_regconf *c, const char *path, oci_error *err)
{
	cleanup_free char *text = NULL;
	size_t len;
	oci_error e2 = OCI_ERROR_INIT;
	if (oci_read_named(path, OCI_TOML_MAX_SIZE, &text, &len, &e2) < 0) {
		if (e2.code == OCI_E_NOTFOUND)
			return 0;
		*err = e2;
		return oci_err_prefix(err, "registries.conf");
	}
	cleanup_free char *what = oci_asprintf(err, "'%s'", path);
	if (!what || oci_regconf_merge(c, text, len, what, err) < 0 ||
	    add_file_name(c, path, err) < 0)
		return -1;
	log_debug("registries.conf: read '%s'", path);
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int merge_dir(oci_regconf *c, const char *dir, oci_error *err)
{
	cleanup_closedir DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR
			   ? 0
			   : oci_err_errno(err, errno, "registries.conf.d '%s'", dir);
	char **names = NULL;
	size_t n = 0;
	int rc = -1;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !oci_str_has_suffix(de->d_name, ".conf"))
			continue;
		if (n == MAX_DROPINS) {
			oci_err(err, OCI_E_LIMIT, "registries.conf.d '%s': more than %d files", dir,
				MAX_DROPINS);
			goto out;
		}
		char **nn = realloc(names, (n + 1) * sizeof(*nn));
		if (!nn) {
			oci_err(err, OCI_E_IO, "out of memory");
			goto out;
		}
		names = nn;
		if (!(names[n] = oci_strdup(de->d_name, err)))
			goto out;
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		cleanup_free char *p = oci_asprintf(err, "%s/%s", dir, names[i]);
		struct stat st;
		/* sub-directories and other non-files are skipped, as containers/image does */
		if (!p)
			rc = -1;
		else if (stat(p, &st) == 0 && !S_ISREG(st.st_mode))
			continue;
		else if (merge_file(c, p, err) < 0)
			rc = -1;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int oci_regconf_load(oci_regconf *c, const char *file, oci_error *err)
{
	memset(c, 0, sizeof(*c));
	if (!file)
		file = getenv("CONTAINERS_REGISTRIES_CONF");
	if (file && *file) {
		/* asked for by name: it must be there */
		int r = merge_file(c, file, err);
		if (r == 0)
			return oci_err(err, OCI_E_NOTFOUND, "registries.conf '%s': no such file",
				       file);
		return r < 0 ? -1 : 0;
	}
	const char *home = getenv("HOME");
	cleanup_free char *user = NULL, *user_dir = NULL;
	if (home && *home) {
		user = oci_asprintf(err, "%s/.config/containers/registries.conf", home);
		user_dir = oci_asprintf(err, "%s/.config/containers/registries.conf.d", home);
		if (!user || !user_dir)
			return -1;
	}
	int r = user ? merge_file(c, user, err) : 0;
	if (r < 0)
		return -1;
	if (r == 0 &&
	    (merge_file(c, SYSTEM_CONF, err) < 0 || merge_dir(c, SYSTEM_CONF_DIR, err) < 0))
		return -1;
	if (user_dir && merge_dir(c, user_dir, err) < 0)
		return -1;
	return 0;
}

static const oci_regconf_registry *find_registry(const oci_regconf *c, const char *name,
						 long *match)
{
	const oci_regconf_registry *best = NULL;
	long best_len = -1;
	for (size_t i = 0; i < c->n_regs; i++) {
		size_t m = oci_ref_prefix_match(name, c->regs[i].prefix);
		long l = m ? (long)m : -1;
		if (l > best_len) {
			best_len = l;
			best = &c->regs[i];
		}
	}
	*match = best_len;
	return best;
}

/* Replace the matched part of the full reference string with location and parse it. */
static int rewrite(const char *full, long match, const char *location, bool insecure, bool mirror,
		   oci_pull_source *out, oci_error *err)
{
	cleanup_free char *s = *location ? oci_asprintf(err, "%s%s", location, full + (size_t)match)
					 : oci_strdup(full, err);
	if (!s)
		return -1;
	memset(out, 0, sizeof(*out));
	if (oci_ref_parse(s, &out->ref, err) < 0)
		return oci_err_prefix(err, "registries.conf rewrites '%s' to '%s'", full, s);
	out->insecure = insecure;
	out->mirror = mirror;
	return 0;
}

int oci_regconf_sources(const oci_regconf *c, const oci_ref *ref, oci_pull_source **out, size_t *n,
			oci_error *err)
{
	char name[OCI_REF_NAME_MAX * 2 + 2], full[OCI_REF_NAME_MAX * 2 + 300];
	snprintf(name, sizeof(name), "%s/%s", ref->domain, ref->path);
	oci_ref_str(ref, full, sizeof(full));
	long match;
	const oci_regconf_registry *r = find_registry(c, name, &match);
	*out = NULL;
	*n = 0;
	oci_pull_source *src = oci_calloc(r ? r->n_mirrors + 1 : 1, sizeof(*src), err);
	if (!src)
		return -1;
	if (!r) {
		src[0].ref = *ref;
		*out = src;
		*n = 1;
		return 0;
	}
	if (r->blocked) {
		free(src);
		return oci_err(err, OCI_E_AUTH,
			       "%s: blocked by registries.conf (prefix '%s' in %s)", full,
			       r->prefix, c->files ? c->files : "the configuration");
	}
	bool digested = ref->has_digest;
	size_t k = 0;
	for (size_t i = 0; i < r->n_mirrors; i++) {
		const oci_regconf_mirror *m = &r->mirrors[i];
		if (r->mirror_by_digest_only
			? !digested
			: (digested ? m->pull_from == OCI_PULL_FROM_TAG_ONLY
				    : m->pull_from == OCI_PULL_FROM_DIGEST_ONLY))
			continue;
		if (rewrite(full, match, m->location, m->insecure, true, &src[k], err) < 0) {
			free(src);
			return -1;
		}
		k++;
	}
	if (rewrite(full, match, r->location, r->insecure, false, &src[k], err) < 0) {
		free(src);
		return -1;
	}
	*out = src;
	*n = k + 1;
	return 0;
}

static int push_candidate(char ***vec, size_t *n, char *s, oci_error *err)
{
	if (!s)
		return -1;
	char **nv = realloc(*vec, (*n + 2) * sizeof(*nv));
	if (!nv) {
		free(s);
		return oci_err(err, OCI_E_IO, "out of memory");
	}
	nv[(*n)++] = s;
	nv[*n] = NULL;
	*vec = nv;
	return 0;
}

int oci_regconf_resolve(const oci_regconf *c, const char *input, char ***out, oci_error *err)
{
	oci_ref r;
	cleanup_strv char **vec = NULL;
	size_t n = 0;
	if (oci_ref_parse(input, &r, err) < 0)
		return -1;
	if (r.qualified) {
		if (push_candidate(&vec, &n, oci_strdup(input, err), err) < 0)
			return -1;
		*out = steal_pointer(&vec);
		return 0;
	}
	/* the name without tag or digest */
	size_t nl = strcspn(input, "@");
	const char *slash = memrchr(input, '/', nl);
	const char *colon =
	    memchr(slash ? slash : input, ':', nl - (size_t)((slash ? slash : input) - input));
	if (colon)
		nl = (size_t)(colon - input);
	const char *suffix = input + nl;
	for (size_t i = 0; i < c->n_aliases; i++) {
		if (strlen(c->aliases[i].name) != nl || strncmp(c->aliases[i].name, input, nl) ||
		    !*c->aliases[i].value)
			continue;
		log_debug("'%.*s' is an alias of '%s'", (int)nl, input, c->aliases[i].value);
		if (push_candidate(&vec, &n, oci_asprintf(err, "%s%s", c->aliases[i].value, suffix),
				   err) < 0)
			return -1;
		*out = steal_pointer(&vec);
		return 0;
	}
	if (c->n_search == 0) {
		/* nothing configured: Docker's normalisation, as skopeo and docker do */
		if (push_candidate(&vec, &n, oci_strdup(input, err), err) < 0)
			return -1;
		*out = steal_pointer(&vec);
		return 0;
	}
	if (c->n_search > 1 && c->short_mode == OCI_SHORT_NAME_ENFORCING) {
		cleanup_free char *list = oci_strdup(c->search[0], err);
		for (size_t i = 1; list && i < c->n_search; i++) {
			char *l = oci_asprintf(err, "%s, %s", list, c->search[i]);
			free(list);
			list = l;
		}
		if (!list)
			return -1;
		return oci_err(err, OCI_E_INVALID,
			       "'%s' is a short name and %zu unqualified-search registries could "
			       "serve it (%s): name one, e.g. '%s/%s', or add an alias in "
			       "registries.conf",
			       input, c->n_search, list, c->search[0], input);
	}
	for (size_t i = 0; i < c->n_search; i++)
		if (push_candidate(&vec, &n, oci_asprintf(err, "%s/%s", c->search[i], input), err) <
		    0)
			return -1;
	*out = steal_pointer(&vec);
	return 0;
}
