/* The hand edits of the `runc spec` workflow (args, terminal, env, mounts, limits,
 * capabilities, user, network...) as flags: each one changes its keys of config.json and
 * keeps every other key, so a config written by another tool survives an edit. */
#include "bundle/edit.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/passwd.h"
#include "common/spec.h"
#include "common/util.h"

int oci_bundle_strv_add(oci_bundle_strv *s, char *item, oci_error *err)
{
	if (s->n + 1 >= s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 8;
		char **n = realloc(s->v, ncap * sizeof(char *));
		if (!n)
			return oci_err_errno(err, ENOMEM, "cannot allocate");
		s->v = n;
		s->cap = ncap;
	}
	s->v[s->n++] = item;
	s->v[s->n] = NULL;
	return 0;
}

void oci_bundle_strv_release(oci_bundle_strv *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void oci_bundle_edits_init(oci_bundle_edits *e)
{
	memset(e, 0, sizeof(*e));
	e->terminal = -1;
	e->readonly_rootfs = -1;
}

void oci_bundle_edits_release(oci_bundle_edits *e)
{
	oci_bundle_strv *all[] = {&e->args,    &e->env,	     &e->mounts,     &e->tmpfs,
				  &e->cap_add, &e->cap_drop, &e->annotations};
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		oci_bundle_strv_release(all[i]);
}

bool oci_bundle_edits_empty(const oci_bundle_edits *e)
{
	return e->terminal < 0 && e->readonly_rootfs < 0 && !e->args_set && !e->env.n && !e->cwd &&
	       !e->hostname && !e->user && !e->mounts.n && !e->tmpfs.n && !e->memory && !e->cpus &&
	       !e->pids_limit && !e->cap_add.n && !e->cap_drop.n && !e->net && !e->annotations.n;
}

static int check_dest(const char *what, const char *dst, oci_error *err)
{
	if (!dst || dst[0] != '/')
		return oci_err(err, OCI_E_INVALID, "%s: destination '%s' is not an absolute path",
			       what, dst ? dst : "");
	return 0;
}

static int append_str(json_t *arr, const char *s, const char *what, oci_error *err)
{
	if (json_array_append_new(arr, json_string(s)) < 0)
		return oci_err(err, OCI_E_INVALID, "%s: '%s' is not valid UTF-8", what, s);
	return 0;
}

/* type=bind,src=/a,dst=/b,options=rbind,ro: every token after options= is one more option
 * (so options keep their commas); bare tokens ("ro", "rbind") before it are options too. */
json_t *oci_bundle_parse_mount(const char *s, oci_error *err)
{
	cleanup_free char *copy = oci_strdup(s, err);
	cleanup_json json_t *opts = json_array();
	const char *type = NULL, *src = NULL, *dst = NULL;
	bool in_opts = false, has_bind = false;
	char *save = NULL;
	if (!copy || !opts) {
		if (copy)
			oci_err_errno(err, ENOMEM, "cannot allocate");
		return NULL;
	}
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		const char *val = eq ? eq + 1 : NULL;
		size_t kl = eq ? (size_t)(eq - tok) : strlen(tok);
#define KEY(k) (kl == strlen(k) && !strncmp(tok, k, kl))
		if (!in_opts && eq && KEY("type"))
			type = val;
		else if (!in_opts && eq && (KEY("src") || KEY("source")))
			src = val;
		else if (!in_opts && eq && (KEY("dst") || KEY("destination") || KEY("target")))
			dst = val;
		else if (!in_opts && eq && (KEY("options") || KEY("opts") || KEY("o"))) {
			in_opts = true;
			if (*val && append_str(opts, val, "--mount", err) < 0)
				return NULL;
		} else if (!in_opts && eq) {
			oci_err(err, OCI_E_INVALID, "--mount '%s': unknown key '%.*s'", s, (int)kl,
				tok);
			return NULL;
		} else if (*tok && append_str(opts, !strcmp(tok, "readonly") ? "ro" : tok,
					      "--mount", err) < 0) {
			return NULL;
		}
#undef KEY
	}
	if (!dst || !*dst) {
		oci_err(err, OCI_E_INVALID, "--mount '%s': needs dst=PATH", s);
		return NULL;
	}
	if (check_dest("--mount", dst, err) < 0)
		return NULL;
	if (!type || !*type)
		type = "bind";
	size_t i;
	json_t *v;
	json_array_foreach(opts, i, v)
	{
		const char *o = json_string_value(v);
		has_bind |= !strcmp(o, "bind") || !strcmp(o, "rbind");
	}
	if (!strcmp(type, "bind")) {
		if (!src || !*src) {
			oci_err(err, OCI_E_INVALID, "--mount '%s': a bind mount needs src=PATH", s);
			return NULL;
		}
		/* Docker's binds are recursive; runc needs bind or rbind in the options. */
		if (!has_bind)
			json_array_insert_new(opts, 0, json_string("rbind"));
	}
	json_t *m = json_pack("{s:s,s:s,s:s}", "destination", dst, "type", type, "source",
			      src && *src ? src : type);
	if (!m) {
		oci_err(err, OCI_E_INVALID, "--mount '%s': not valid UTF-8", s);
		return NULL;
	}
	if (json_array_size(opts))
		json_object_set(m, "options", opts);
	return m;
}

/* DST[:opts] with docker's defaults (nosuid, noexec, nodev) before the given options, which
 * come later and so win (exec, dev...). */
json_t *oci_bundle_parse_tmpfs(const char *s, oci_error *err)
{
	cleanup_free char *copy = oci_strdup(s, err);
	char *save = NULL;
	if (!copy)
		return NULL;
	char *colon = strchr(copy, ':');
	if (colon)
		*colon++ = '\0';
	if (check_dest("--tmpfs", copy, err) < 0)
		return NULL;
	json_t *m = json_pack("{s:s,s:s,s:s,s:[s,s,s]}", "destination", copy, "type", "tmpfs",
			      "source", "tmpfs", "options", "nosuid", "noexec", "nodev");
	if (!m) {
		oci_err(err, OCI_E_INVALID, "--tmpfs '%s': not valid UTF-8", s);
		return NULL;
	}
	json_t *opts = json_object_get(m, "options");
	for (char *tok = colon ? strtok_r(colon, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save))
		if (*tok && append_str(opts, tok, "--tmpfs", err) < 0) {
			json_decref(m);
			return NULL;
		}
	return m;
}

int oci_bundle_parse_cpus(const char *s, long long *quota)
{
	/* Fixed point with 5 decimals: 100000us period, no floating point rounding surprises. */
	long long whole = 0, frac = 0, scale = 100000;
	const char *p = s;
	if (!*p || *p == '.')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (*p - '0');
		if (whole > 1000000)
			return -1;
	}
	if (*p == '.') {
		p++;
		if (!*p)
			return -1;
		for (; *p >= '0' && *p <= '9'; p++) {
			scale /= 10;
			if (!scale)
				return -1; /* more precision than a microsecond of quota */
			frac += (*p - '0') * scale;
		}
	}
	if (*p)
		return -1;
	long long q = whole * 100000 + frac;
	/* The kernel refuses a quota under 1ms. */
	if (q < 1000)
		return -1;
	*quota = q;
	return 0;
}

/* Replace the mount with the same destination in place, or append. */
static int put_mount(json_t *spec, json_t *m, oci_error *err)
{
	json_t *mounts = oci_spec_array(spec, "", "mounts", err), *old;
	size_t i;
	const char *dst = json_string_value(json_object_get(m, "destination"));
	if (!mounts) {
		json_decref(m);
		return -1;
	}
	json_array_foreach(mounts, i, old)
	{
		const char *od = json_string_value(json_object_get(old, "destination"));
		if (od && !strcmp(od, dst))
			return json_array_set_new(mounts, i, m) < 0
				   ? oci_err_errno(err, ENOMEM, "cannot allocate")
				   : 0;
	}
	return json_array_append_new(mounts, m) < 0 ? oci_err_errno(err, ENOMEM, "cannot allocate")
						    : 0;
}

static int set_kv(json_t *obj, const char *key, json_t *v, oci_error *err)
{
	if (!v || json_object_set_new(obj, key, v) < 0)
		return oci_err_errno(err, ENOMEM, "cannot allocate");
	return 0;
}

/* The namespaces array, and the index of the entry of type t (or -1). */
static json_t *namespaces(json_t *spec, oci_error *err)
{
	json_t *linux_ = oci_spec_object(spec, "", "linux", err);
	return linux_ ? oci_spec_array(linux_, "linux", "namespaces", err) : NULL;
}

static long ns_find(json_t *ns, const char *t)
{
	size_t i;
	json_t *v;
	json_array_foreach(ns, i, v)
	{
		const char *s = json_string_value(json_object_get(v, "type"));
		if (s && !strcmp(s, t))
			return (long)i;
	}
	return -1;
}

static int edit_net(json_t *spec, const char *mode, oci_error *err)
{
	json_t *ns = namespaces(spec, err);
	long i;
	if (!ns)
		return -1;
	if (!strcmp(mode, "host")) {
		while ((i = ns_find(ns, "network")) >= 0)
			json_array_remove(ns, (size_t)i);
		return 0;
	}
	json_t *entry;
	if (!strcmp(mode, "none"))
		entry = json_pack("{s:s}", "type", "network");
	else if (oci_str_has_prefix(mode, "ns:") && mode[3] == '/')
		entry = json_pack("{s:s,s:s}", "type", "network", "path", mode + 3);
	else
		return oci_err(err, OCI_E_INVALID,
			       "--net '%s': expected host, none or ns:/ABSOLUTE/PATH", mode);
	if (!entry)
		return oci_err(err, OCI_E_INVALID, "--net '%s': not valid UTF-8", mode);
	if ((i = ns_find(ns, "network")) >= 0)
		return json_array_set_new(ns, (size_t)i, entry) < 0
			   ? oci_err_errno(err, ENOMEM, "cannot allocate")
			   : 0;
	return json_array_append_new(ns, entry) < 0 ? oci_err_errno(err, ENOMEM, "cannot allocate")
						    : 0;
}

static int edit_hostname(json_t *spec, const char *name, oci_error *err)
{
	json_t *ns = namespaces(spec, err);
	if (!ns)
		return -1;
	/* A hostname needs its own UTS namespace (runc refuses it otherwise). */
	if (ns_find(ns, "uts") < 0 &&
	    json_array_append_new(ns, json_pack("{s:s}", "type", "uts")) < 0)
		return oci_err_errno(err, ENOMEM, "cannot allocate");
	if (json_object_set_new(spec, "hostname", json_string(name)) < 0)
		return oci_err(err, OCI_E_INVALID, "--hostname: not valid UTF-8");
	return 0;
}

/* runc sets these four; inheritable too when the config has it. */
static const char *const cap_sets[] = {"bounding", "effective", "permitted", "ambient",
				       "inheritable"};

static long str_index(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		const char *x = json_string_value(v);
		if (x && !strcmp(x, s))
			return (long)i;
	}
	return -1;
}

static int edit_caps(json_t *spec, const oci_bundle_strv *add, const oci_bundle_strv *drop,
		     oci_error *err)
{
	json_t *process = oci_spec_object(spec, "", "process", err), *caps,
	       *sets[ARRAY_SIZE(cap_sets)];
	char name[64];
	if (!process || !(caps = oci_spec_object(process, "process", "capabilities", err)))
		return -1;
	for (size_t s = 0; s < ARRAY_SIZE(cap_sets); s++) {
		sets[s] = NULL;
		if (s == 4 && !json_object_get(caps, "inheritable"))
			continue;
		if (!(sets[s] = oci_spec_array(caps, "process.capabilities", cap_sets[s], err)))
			return -1;
	}
	/* Drops first, then adds, as docker does: --cap-drop ALL --cap-add X leaves only X. */
	for (size_t i = 0; i < drop->n; i++) {
		bool all = !strcasecmp(drop->v[i], "ALL");
		if (!all && oci_spec_capability_name(drop->v[i], name, sizeof(name)) < 0)
			return oci_err(err, OCI_E_INVALID, "--cap-drop: unknown capability '%s'",
				       drop->v[i]);
		for (size_t s = 0; s < ARRAY_SIZE(cap_sets); s++) {
			long j;
			if (!sets[s])
				continue;
			if (all)
				json_array_clear(sets[s]);
			else
				while ((j = str_index(sets[s], name)) >= 0)
					json_array_remove(sets[s], (size_t)j);
		}
	}
	for (size_t i = 0; i < add->n; i++) {
		bool all = !strcasecmp(add->v[i], "ALL");
		if (!all && oci_spec_capability_name(add->v[i], name, sizeof(name)) < 0)
			return oci_err(err, OCI_E_INVALID, "--cap-add: unknown capability '%s'",
				       add->v[i]);
		for (size_t k = 0; k < (all ? oci_spec_n_capabilities : 1); k++) {
			const char *c = all ? oci_spec_capabilities[k] : name;
			for (size_t s = 0; s < ARRAY_SIZE(cap_sets); s++)
				if (sets[s] && str_index(sets[s], c) < 0 &&
				    json_array_append_new(sets[s], json_string(c)) < 0)
					return oci_err_errno(err, ENOMEM, "cannot allocate");
		}
	}
	return 0;
}

static json_t *resources(json_t *spec, const char *key, oci_error *err)
{
	json_t *linux_ = oci_spec_object(spec, "", "linux", err), *res;
	if (!linux_ || !(res = oci_spec_object(linux_, "linux", "resources", err)))
		return NULL;
	return oci_spec_object(res, "linux.resources", key, err);
}

static int edit_limits(json_t *spec, const oci_bundle_edits *e, oci_error *err)
{
	json_t *o;
	if (e->memory) {
		uint64_t bytes;
		if (oci_parse_size(e->memory, &bytes) < 0 || bytes == 0 || bytes > INT64_MAX)
			return oci_err(err, OCI_E_INVALID,
				       "--memory '%s': expected a size such as 512M or 2G",
				       e->memory);
		if (!(o = resources(spec, "memory", err)) ||
		    set_kv(o, "limit", json_integer((json_int_t)bytes), err) < 0)
			return -1;
	}
	if (e->cpus) {
		long long quota;
		if (oci_bundle_parse_cpus(e->cpus, &quota) < 0)
			return oci_err(err, OCI_E_INVALID,
				       "--cpus '%s': expected a number of CPUs such as 1 or 0.5",
				       e->cpus);
		if (!(o = resources(spec, "cpu", err)) ||
		    set_kv(o, "quota", json_integer(quota), err) < 0 ||
		    set_kv(o, "period", json_integer(100000), err) < 0)
			return -1;
	}
	if (e->pids_limit) {
		uint64_t n = 0;
		json_int_t v;
		if (!strcmp(e->pids_limit, "-1"))
			v = -1; /* unlimited */
		else if (oci_parse_u64(e->pids_limit, INT64_MAX, &n) < 0 || n == 0)
			return oci_err(err, OCI_E_INVALID,
				       "--pids-limit '%s': expected a positive number or -1",
				       e->pids_limit);
		else
			v = (json_int_t)n;
		if (!(o = resources(spec, "pids", err)) ||
		    set_kv(o, "limit", json_integer(v), err) < 0)
			return -1;
	}
	return 0;
}

static int edit_user(json_t *spec, const char *user, int rootfs_fd, oci_error *err)
{
	oci_user u;
	if (oci_passwd_resolve(rootfs_fd, user, &u, err) < 0)
		return oci_err_prefix(err, "--user");
	int r = oci_spec_set_user(spec, &u, err);
	if (r == 0 && u.found_passwd && u.home) {
		cleanup_free char *home = oci_asprintf(err, "HOME=%s", u.home);
		r = home ? oci_spec_env_set(spec, home, true, err) : -1;
	}
	oci_user_release(&u);
	return r;
}

int oci_bundle_edits_apply(json_t *spec, const oci_bundle_edits *e, int rootfs_fd,
			   bool skip_process, oci_error *err)
{
	json_t *process, *root, *ann = NULL;
	char cwd[4096];
	if (!json_is_object(spec))
		return oci_err(err, OCI_E_INVALID, "config.json: expected an object");
	if (!(process = oci_spec_object(spec, "", "process", err)))
		return -1;
	if (!skip_process) {
		if (e->user && edit_user(spec, e->user, rootfs_fd, err) < 0)
			return -1;
		for (size_t i = 0; i < e->env.n; i++)
			if (oci_spec_env_set(spec, e->env.v[i], true, err) < 0)
				return oci_err_prefix(err, "--env");
		if (e->args_set && oci_spec_set_args(spec, e->args.v, err) < 0)
			return oci_err_prefix(err, "--args");
		if (e->cwd) {
			if (oci_spec_check_cwd(e->cwd, cwd, sizeof(cwd), err) < 0)
				return oci_err_prefix(err, "--cwd");
			if (set_kv(process, "cwd", json_string(cwd), err) < 0)
				return -1;
		}
	}
	if (e->terminal >= 0 && set_kv(process, "terminal", json_boolean(e->terminal), err) < 0)
		return -1;
	if (e->readonly_rootfs >= 0) {
		if (!(root = oci_spec_object(spec, "", "root", err)) ||
		    set_kv(root, "readonly", json_boolean(e->readonly_rootfs), err) < 0)
			return -1;
	}
	if (e->hostname && edit_hostname(spec, e->hostname, err) < 0)
		return -1;
	for (size_t i = 0; i < e->mounts.n; i++) {
		json_t *m = oci_bundle_parse_mount(e->mounts.v[i], err);
		if (!m || put_mount(spec, m, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < e->tmpfs.n; i++) {
		json_t *m = oci_bundle_parse_tmpfs(e->tmpfs.v[i], err);
		if (!m || put_mount(spec, m, err) < 0)
			return -1;
	}
	if (edit_limits(spec, e, err) < 0)
		return -1;
	if ((e->cap_add.n || e->cap_drop.n) && edit_caps(spec, &e->cap_add, &e->cap_drop, err) < 0)
		return -1;
	if (e->net && edit_net(spec, e->net, err) < 0)
		return -1;
	if (e->annotations.n && !(ann = oci_spec_object(spec, "", "annotations", err)))
		return -1;
	for (size_t i = 0; i < e->annotations.n; i++) {
		const char *kv = e->annotations.v[i], *eq = strchr(kv, '=');
		if (!eq || eq == kv)
			return oci_err(err, OCI_E_INVALID, "--annotation '%s': expected KEY=VALUE",
				       kv);
		cleanup_free char *key = strndup(kv, (size_t)(eq - kv));
		if (!key)
			return oci_err_errno(err, ENOMEM, "cannot allocate");
		if (json_object_set_new(ann, key, json_string(eq + 1)) < 0)
			return oci_err(err, OCI_E_INVALID, "--annotation '%s': not valid UTF-8",
				       kv);
	}
	return 0;
}
