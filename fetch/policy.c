/* policy.json: parsing into the typed model of policy.h, choosing the scope for a reference,
 * and checking its requirements (reject, insecureAcceptAnything, sigstoreSigned with keys and
 * signedIdentity), with the semantics of containers/image so that skopeo and oci-fetch give
 * the same verdict for the same policy. */
#include "fetch/policy.h"

#include <fcntl.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"

#define SYSTEM_POLICY "/etc/containers/policy.json"
#define POLICY_MAX    (4u << 20)
#define KEY_FILE_MAX  (64u << 10)
#define MAX_KEYS      64

static const struct {
	const char *name;
	int type;
} identity_types[] = {
    {"matchRepoDigestOrExact", OCI_ID_MATCH_REPO_DIGEST_OR_EXACT},
    {"matchExact", OCI_ID_MATCH_EXACT},
    {"matchRepository", OCI_ID_MATCH_REPOSITORY},
    {"exactReference", OCI_ID_EXACT_REFERENCE},
    {"exactRepository", OCI_ID_EXACT_REPOSITORY},
    {"remapIdentity", OCI_ID_REMAP_IDENTITY},
};

static void req_release(oci_policy_req *r)
{
	free(r->why);
	oci_strvfreep(&r->key_paths);
	oci_strvfreep(&r->key_datas);
	free(r->id.ref);
	free(r->id.prefix);
	free(r->id.signed_prefix);
}

static void scope_release(oci_policy_scope *s)
{
	for (size_t i = 0; i < s->n; i++)
		req_release(&s->reqs[i]);
	free(s->reqs);
	free(s->name);
	memset(s, 0, sizeof(*s));
}

void oci_policy_release(oci_policy *p)
{
	scope_release(&p->def);
	for (size_t i = 0; i < p->n_docker; i++)
		scope_release(&p->docker[i]);
	free(p->docker);
	free(p->path);
	memset(p, 0, sizeof(*p));
}

/* Every key of o is one of keys (containers/image refuses unknown fields in policies). */
static int known_keys(json_t *o, const char *path, const char *const *keys, oci_error *err)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		const char *const *q;
		for (q = keys; *q; q++)
			if (!strcmp(*q, k))
				break;
		if (!*q)
			return oci_err(err, OCI_E_INVALID, "%s: unknown key '%s'", path, k);
	}
	return 0;
}

/* A name as written: parsed, and whether it has neither tag nor digest. */
static int parse_named(const char *s, oci_ref *r, bool *name_only)
{
	oci_error e2 = OCI_ERROR_INIT;
	if (oci_ref_parse(s, r, &e2) < 0 || !r->qualified)
		return -1;
	const char *slash = strrchr(s, '/');
	*name_only = !strchr(s, '@') && !strchr(slash ? slash : s, ':');
	return 0;
}

/* host[:port][/ns...] or *.domain, as remapIdentity's prefixes must be. */
static bool valid_prefix(const char *s)
{
	if (oci_str_has_prefix(s, "*."))
		return !strchr(s, '/') && !strchr(s, ':') && !strchr(s + 2, '*') && s[2];
	cleanup_free char *probe = NULL;
	if (asprintf(&probe, "%s%s", s, strchr(s, '/') ? "" : "/x") < 0)
		return false;
	oci_ref r;
	bool name_only;
	return parse_named(probe, &r, &name_only) == 0 && name_only;
}

static int parse_identity(json_t *j, const char *path, oci_policy_identity *id, oci_error *err)
{
	static const char *const keys[] = {"type",   "dockerReference", "dockerRepository",
					   "prefix", "signedPrefix",	NULL};
	const char *type, *v = NULL, *prefix = NULL, *sp = NULL;
	if (!json_is_object(j))
		return oci_err(err, OCI_E_INVALID, "%s: expected an object", path);
	if (known_keys(j, path, keys, err) < 0 ||
	    oci_json_get_string(j, path, "type", true, &type, err) < 0)
		return -1;
	size_t i;
	for (i = 0; i < ARRAY_SIZE(identity_types); i++)
		if (!strcmp(type, identity_types[i].name))
			break;
	if (i == ARRAY_SIZE(identity_types))
		return oci_err(err, OCI_E_INVALID, "%s.type: unknown identity type '%s'", path,
			       type);
	id->type = identity_types[i].type;
	oci_ref r;
	bool name_only;
	switch (id->type) {
	case OCI_ID_EXACT_REFERENCE:
		if (oci_json_get_string(j, path, "dockerReference", true, &v, err) < 0)
			return -1;
		if (parse_named(v, &r, &name_only) < 0 || name_only)
			return oci_err(err, OCI_E_INVALID,
				       "%s.dockerReference: '%s' is not a qualified reference with "
				       "a tag or digest",
				       path, v);
		break;
	case OCI_ID_EXACT_REPOSITORY:
		if (oci_json_get_string(j, path, "dockerRepository", true, &v, err) < 0)
			return -1;
		if (parse_named(v, &r, &name_only) < 0 || !name_only)
			return oci_err(err, OCI_E_INVALID,
				       "%s.dockerRepository: '%s' is not a qualified repository "
				       "name",
				       path, v);
		break;
	case OCI_ID_REMAP_IDENTITY:
		if (oci_json_get_string(j, path, "prefix", true, &prefix, err) < 0 ||
		    oci_json_get_string(j, path, "signedPrefix", true, &sp, err) < 0)
			return -1;
		if (!valid_prefix(prefix) || !valid_prefix(sp))
			return oci_err(err, OCI_E_INVALID,
				       "%s: prefix and signedPrefix must be host[:port][/path] or "
				       "*.domain",
				       path);
		break;
	}
	/* fields that belong to another identity type are errors, not ignored */
	if ((json_object_get(j, "dockerReference") && id->type != OCI_ID_EXACT_REFERENCE) ||
	    (json_object_get(j, "dockerRepository") && id->type != OCI_ID_EXACT_REPOSITORY) ||
	    ((json_object_get(j, "prefix") || json_object_get(j, "signedPrefix")) &&
	     id->type != OCI_ID_REMAP_IDENTITY))
		return oci_err(err, OCI_E_INVALID, "%s: a field that %s does not take", path, type);
	if ((v && !(id->ref = oci_strdup(v, err))) ||
	    (prefix && !(id->prefix = oci_strdup(prefix, err))) ||
	    (sp && !(id->signed_prefix = oci_strdup(sp, err))))
		return -1;
	return 0;
}

/* One key source: a string field or an array of them. */
static int get_keys(json_t *j, const char *path, const char *one, const char *many, char ***out,
		    int *count, oci_error *err)
{
	const char *s = NULL;
	if (oci_json_get_string(j, path, one, false, &s, err) < 0 ||
	    oci_json_get_strv(j, path, many, false, out, err) < 0)
		return -1;
	if (s) {
		(*count)++;
		if (*out) {
			(*count)++;
			return 0;
		}
		*out = oci_calloc(2, sizeof(char *), err);
		if (!*out || !((*out)[0] = oci_strdup(s, err)))
			return -1;
	} else if (*out) {
		(*count)++;
		size_t n = 0;
		while ((*out)[n])
			n++;
		if (n == 0 || n > MAX_KEYS)
			return oci_err(err, OCI_E_INVALID, "%s.%s: expected 1 to %d keys", path,
				       many, MAX_KEYS);
	}
	return 0;
}

static int parse_req(json_t *j, const char *path, oci_policy_req *r, oci_error *err)
{
	static const char *const plain[] = {"type", NULL};
	static const char *const sigstore[] = {"type",
					       "keyPath",
					       "keyPaths",
					       "keyData",
					       "keyDatas",
					       "fulcio",
					       "rekorPublicKeyPath",
					       "rekorPublicKeyPaths",
					       "rekorPublicKeyData",
					       "rekorPublicKeyDatas",
					       "pki",
					       "signedIdentity",
					       NULL};
	static const char *const signed_by[] = {"type",	   "keyType",	     "keyPath", "keyPaths",
						"keyData", "signedIdentity", NULL};
	static const char *const base_layer[] = {"type", "baseLayerIdentity", NULL};
	const char *type;
	if (!json_is_object(j))
		return oci_err(err, OCI_E_INVALID, "%s: expected an object", path);
	if (oci_json_get_string(j, path, "type", true, &type, err) < 0)
		return -1;
	if (!strcmp(type, "insecureAcceptAnything") || !strcmp(type, "reject")) {
		r->type = type[0] == 'r' ? OCI_POLICY_REJECT : OCI_POLICY_ACCEPT;
		return known_keys(j, path, plain, err);
	}
	if (!strcmp(type, "signedBy")) {
		r->type = OCI_POLICY_UNSUPPORTED;
		r->why =
		    oci_strdup("signedBy (GPG simple signing) is not supported by oci-fetch", err);
		return r->why ? known_keys(j, path, signed_by, err) : -1;
	}
	if (!strcmp(type, "signedBaseLayer")) {
		r->type = OCI_POLICY_UNSUPPORTED;
		r->why = oci_strdup("signedBaseLayer is not supported by oci-fetch", err);
		return r->why ? known_keys(j, path, base_layer, err) : -1;
	}
	if (strcmp(type, "sigstoreSigned"))
		return oci_err(err, OCI_E_INVALID, "%s.type: unknown requirement type '%s'", path,
			       type);
	r->type = OCI_POLICY_SIGSTORE;
	if (known_keys(j, path, sigstore, err) < 0)
		return -1;
	int sources = 0;
	if (get_keys(j, path, "keyPath", "keyPaths", &r->key_paths, &sources, err) < 0 ||
	    get_keys(j, path, "keyData", "keyDatas", &r->key_datas, &sources, err) < 0)
		return -1;
	static const char *const trust_roots[] = {"fulcio", "pki"};
	static const char *const rekor[] = {"rekorPublicKeyPath", "rekorPublicKeyPaths",
					    "rekorPublicKeyData", "rekorPublicKeyDatas"};
	for (size_t i = 0; i < ARRAY_SIZE(trust_roots); i++)
		if (json_object_get(j, trust_roots[i])) {
			sources++;
			if (!r->why)
				r->why = oci_asprintf(err,
						      "sigstoreSigned with %s is not supported by "
						      "oci-fetch (public keys are)",
						      trust_roots[i]);
		}
	for (size_t i = 0; i < ARRAY_SIZE(rekor); i++)
		if (json_object_get(j, rekor[i]) && !r->why)
			r->why = oci_asprintf(err,
					      "sigstoreSigned with %s (Rekor) is not supported by "
					      "oci-fetch",
					      rekor[i]);
	if (sources != 1)
		return oci_err(err, OCI_E_INVALID,
			       "%s: sigstoreSigned needs exactly one of keyPath, keyPaths, "
			       "keyData, keyDatas, fulcio, pki",
			       path);
	if (r->why)
		r->type = OCI_POLICY_UNSUPPORTED;
	json_t *id = json_object_get(j, "signedIdentity");
	if (id) {
		char ip[480];
		snprintf(ip, sizeof(ip), "%s.signedIdentity", path);
		return parse_identity(id, ip, &r->id, err);
	}
	r->id.type = OCI_ID_MATCH_REPO_DIGEST_OR_EXACT;
	return 0;
}

static int parse_scope(json_t *arr, const char *path, const char *name, oci_policy_scope *s,
		       oci_error *err)
{
	if (!json_is_array(arr))
		return oci_err(err, OCI_E_INVALID, "%s: expected an array of requirements", path);
	size_t n = json_array_size(arr);
	if (n == 0)
		return oci_err(err, OCI_E_INVALID,
			       "%s: no requirements (write [{\"type\": "
			       "\"reject\"}] to refuse everything)",
			       path);
	if (n > 64)
		return oci_err(err, OCI_E_LIMIT, "%s: more than 64 requirements", path);
	if (!(s->name = oci_strdup(name, err)) || !(s->reqs = oci_calloc(n, sizeof(*s->reqs), err)))
		return -1;
	for (size_t i = 0; i < n; i++) {
		char rp[440];
		snprintf(rp, sizeof(rp), "%s[%zu]", path, i);
		s->n = i + 1;
		if (parse_req(json_array_get(arr, i), rp, &s->reqs[i], err) < 0)
			return -1;
	}
	return 0;
}

/* A docker scope as containers/image accepts it: "*.domain", a host[:port], or a canonical
 * name (docker.io/library/busybox, not busybox) optionally with a tag or digest. */
static bool valid_docker_scope(const char *s)
{
	if (oci_str_has_prefix(s, "*."))
		return valid_prefix(s);
	if (!strchr(s, '/'))
		return valid_prefix(s);
	oci_ref r;
	bool name_only;
	if (parse_named(s, &r, &name_only) < 0)
		return false;
	char canon[OCI_REF_NAME_MAX * 2 + 300];
	if (name_only)
		snprintf(canon, sizeof(canon), "%s/%s", r.domain, r.path);
	else
		oci_ref_str(&r, canon, sizeof(canon));
	return !strcmp(canon, s);
}

int oci_policy_parse(oci_policy *p, const char *text, size_t len, const char *what, oci_error *err)
{
	static const char *const top[] = {"default", "transports", NULL};
	memset(p, 0, sizeof(*p));
	cleanup_json json_t *doc = oci_json_loadb(text, len, POLICY_MAX, 32, what, err);
	json_t *def, *transports = NULL;
	if (!doc)
		return -1;
	if (!json_is_object(doc))
		return oci_err(err, OCI_E_INVALID, "%s: expected an object", what);
	if (known_keys(doc, "", top, err) < 0 ||
	    oci_json_get_array(doc, "", "default", true, &def, err) < 0 ||
	    oci_json_get_object(doc, "", "transports", false, &transports, err) < 0 ||
	    parse_scope(def, "default", "default", &p->def, err) < 0)
		goto fail;
	const char *tname;
	json_t *t;
	json_object_foreach(transports, tname, t)
	{
		char tp[96];
		snprintf(tp, sizeof(tp), "transports.%.64s", tname);
		if (!json_is_object(t)) {
			oci_err(err, OCI_E_INVALID, "%s: expected an object of scopes", tp);
			goto fail;
		}
		bool docker = !strcmp(tname, "docker");
		if (docker && json_object_size(t) > 4096) {
			oci_err(err, OCI_E_LIMIT, "%s: more than 4096 scopes", tp);
			goto fail;
		}
		if (docker && json_object_size(t) &&
		    !(p->docker = oci_calloc(json_object_size(t), sizeof(*p->docker), err)))
			goto fail;
		const char *sname;
		json_t *reqs;
		json_object_foreach(t, sname, reqs)
		{
			char sp[400];
			snprintf(sp, sizeof(sp), "%s[\"%.256s\"]", tp, sname);
			if (docker && *sname && !valid_docker_scope(sname)) {
				oci_err(err, OCI_E_INVALID,
					"%s: not a docker scope (a canonical name such as "
					"docker.io/library/busybox, a host, or *.domain)",
					sp);
				goto fail;
			}
			oci_policy_scope tmp;
			memset(&tmp, 0, sizeof(tmp));
			oci_policy_scope *s = docker ? &p->docker[p->n_docker++] : &tmp;
			int r = parse_scope(reqs, sp, sname, s, err);
			if (!docker)
				scope_release(&tmp);
			if (r < 0)
				goto fail;
		}
	}
	return 0;
fail:
	oci_err_prefix(err, "%s", what);
	oci_policy_release(p);
	return -1;
}

static int load_file(oci_policy *p, const char *path, oci_error *err)
{
	cleanup_free char *text = NULL;
	size_t len;
	if (oci_read_named(path, POLICY_MAX, &text, &len, err) < 0)
		return oci_err_prefix(err, "policy");
	cleanup_free char *what = oci_asprintf(err, "policy '%s'", path);
	if (!what || oci_policy_parse(p, text, len, what, err) < 0)
		return -1;
	if (!(p->path = oci_strdup(path, err))) {
		oci_policy_release(p);
		return -1;
	}
	log_debug("policy: read '%s'", path);
	return 1;
}

int oci_policy_load(oci_policy *p, const char *file, oci_error *err)
{
	memset(p, 0, sizeof(*p));
	if (file)
		return load_file(p, file, err);
	const char *home = getenv("HOME");
	if (home && *home) {
		cleanup_free char *user =
		    oci_asprintf(err, "%s/.config/containers/policy.json", home);
		if (!user)
			return -1;
		if (access(user, F_OK) == 0)
			return load_file(p, user, err);
	}
	if (access(SYSTEM_POLICY, F_OK) == 0)
		return load_file(p, SYSTEM_POLICY, err);
	log_debug("policy: no policy.json: every image is accepted");
	return 0;
}

static const oci_policy_scope *find_scope(const oci_policy *p, const char *name)
{
	for (size_t i = 0; i < p->n_docker; i++)
		if (!strcmp(p->docker[i].name, name))
			return &p->docker[i];
	return NULL;
}

const oci_policy_scope *oci_policy_scope_for(const oci_policy *p, const oci_ref *ref)
{
	char id[OCI_REF_NAME_MAX * 2 + 300], dg[OCI_DIGEST_STR_MAX];
	const oci_policy_scope *s;
	/* the reference itself: name@digest when pinned, else name:tag */
	if (ref->has_digest)
		snprintf(id, sizeof(id), "%s/%s@%s", ref->domain, ref->path,
			 oci_digest_str(&ref->digest, dg));
	else
		snprintf(id, sizeof(id), "%s/%s:%s", ref->domain, ref->path, ref->tag);
	if ((s = find_scope(p, id)))
		return s;
	/* the repository, then each namespace up to the host */
	snprintf(id, sizeof(id), "%s/%s", ref->domain, ref->path);
	for (;;) {
		if ((s = find_scope(p, id)))
			return s;
		char *slash = strrchr(id, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	/* *.domain wildcards of the host (without its port), most specific first */
	char host[OCI_REF_NAME_MAX + 1];
	snprintf(host, sizeof(host), "%s", ref->domain);
	if (host[0] != '[') {
		char *colon = strchr(host, ':');
		if (colon)
			*colon = '\0';
		for (char *dot = strchr(host, '.'); dot; dot = strchr(dot + 1, '.')) {
			snprintf(id, sizeof(id), "*%s", dot);
			if ((s = find_scope(p, id)))
				return s;
		}
	}
	if ((s = find_scope(p, "")))
		return s;
	return &p->def;
}

static bool same_repo(const oci_ref *a, const oci_ref *b)
{
	return !strcmp(a->domain, b->domain) && !strcmp(a->path, b->path);
}

/* Both tagged or digested, and the same. */
static bool same_exact(const oci_ref *a, bool a_name_only, const oci_ref *b, bool b_name_only)
{
	if (a_name_only || b_name_only || !same_repo(a, b))
		return false;
	if (a->has_digest || b->has_digest)
		return a->has_digest && b->has_digest && oci_digest_equal(&a->digest, &b->digest);
	return !strcmp(a->tag, b->tag);
}

static bool repo_digest_or_exact(const oci_ref *img, const oci_ref *sig, bool sig_name_only)
{
	if (img->has_digest)
		return same_repo(img, sig);
	return same_exact(img, false, sig, sig_name_only);
}

bool oci_policy_identity_match(const oci_policy_identity *id, const oci_ref *ref,
			       const char *signed_ref)
{
	oci_ref sig, want;
	bool sig_name_only, want_name_only;
	if (parse_named(signed_ref, &sig, &sig_name_only) < 0)
		return false;
	switch (id->type) {
	case OCI_ID_MATCH_EXACT:
		return same_exact(ref, false, &sig, sig_name_only);
	case OCI_ID_MATCH_REPOSITORY:
		return same_repo(ref, &sig);
	case OCI_ID_EXACT_REFERENCE:
		return parse_named(id->ref, &want, &want_name_only) == 0 &&
		       same_exact(&want, want_name_only, &sig, sig_name_only);
	case OCI_ID_EXACT_REPOSITORY:
		return parse_named(id->ref, &want, &want_name_only) == 0 && same_repo(&want, &sig);
	case OCI_ID_REMAP_IDENTITY: {
		char full[OCI_REF_NAME_MAX * 2 + 300];
		oci_ref_str(ref, full, sizeof(full));
		size_t m = oci_ref_prefix_match(full, id->prefix);
		if (m) {
			cleanup_free char *s = NULL;
			oci_ref remapped;
			bool ignored;
			if (asprintf(&s, "%s%s", id->signed_prefix, full + m) < 0 ||
			    parse_named(s, &remapped, &ignored) < 0)
				return false;
			return repo_digest_or_exact(&remapped, &sig, sig_name_only);
		}
		return repo_digest_or_exact(ref, &sig, sig_name_only);
	}
	default:
		return repo_digest_or_exact(ref, &sig, sig_name_only);
	}
}

static const char *identity_name(int type)
{
	for (size_t i = 0; i < ARRAY_SIZE(identity_types); i++)
		if (identity_types[i].type == type)
			return identity_types[i].name;
	return "?";
}

typedef struct keyset {
	EVP_PKEY **k;
	size_t n;
} keyset;

static void keyset_release(keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		EVP_PKEY_free(ks->k[i]);
	free(ks->k);
}

static int load_keys(const oci_policy_req *r, keyset *ks, oci_error *err)
{
	size_t n = 0;
	for (char **q = r->key_paths; q && *q; q++)
		n++;
	for (char **q = r->key_datas; q && *q; q++)
		n++;
	memset(ks, 0, sizeof(*ks));
	if (!(ks->k = oci_calloc(n ? n : 1, sizeof(*ks->k), err)))
		return -1;
	for (char **q = r->key_paths; q && *q; q++) {
		cleanup_free char *pem = NULL;
		size_t len;
		if (oci_read_named(*q, KEY_FILE_MAX, &pem, &len, err) < 0)
			return oci_err_prefix(err, "keyPath");
		cleanup_free char *what = oci_asprintf(err, "keyPath '%s'", *q);
		if (!what || !(ks->k[ks->n] = oci_sig_load_key(pem, len, what, err)))
			return -1;
		ks->n++;
	}
	for (char **q = r->key_datas; q && *q; q++) {
		cleanup_free unsigned char *pem = NULL;
		size_t len;
		if (oci_sig_base64_decode(*q, KEY_FILE_MAX, &pem, &len) < 0)
			return oci_err(err, OCI_E_INVALID, "keyData: not base64 of a PEM key");
		if (!(ks->k[ks->n] = oci_sig_load_key((char *)pem, len, "keyData", err)))
			return -1;
		ks->n++;
	}
	return 0;
}

typedef struct reasons {
	char *text;
	size_t n;
} reasons;

static void add_reason(reasons *r, size_t sig, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_reason(reasons *r, size_t sig, const char *fmt, ...)
{
	char *one = NULL, *all = NULL;
	va_list ap;
	va_start(ap, fmt);
	int ok = vasprintf(&one, fmt, ap);
	va_end(ap);
	if (ok < 0)
		return;
	if (asprintf(&all, "%s%ssignature %zu: %s", r->text ? r->text : "", r->text ? "; " : "",
		     sig + 1, one) >= 0) {
		free(r->text);
		r->text = all;
		r->n++;
	}
	free(one);
}

/* 1 accepted, 0 rejected (why in *why), -1 error. */
static int check_sigstore(const oci_policy_req *req, const oci_ref *ref, const oci_digest *d,
			  const oci_sigs *sigs, char **why, oci_error *err)
{
	keyset ks;
	if (load_keys(req, &ks, err) < 0) {
		keyset_release(&ks);
		return -1;
	}
	char ds[OCI_DIGEST_STR_MAX], tag[OCI_DIGEST_STR_MAX + 8];
	oci_digest_str(d, ds);
	snprintf(tag, sizeof(tag), "%s.sig", ds);
	*strchr(tag, ':') = '-';
	reasons rs = {0};
	int verdict = 0;
	for (size_t i = 0; i < sigs->n && verdict == 0; i++) {
		const oci_sig *s = &sigs->v[i];
		if (s->problem[0]) {
			add_reason(&rs, i, "%s", s->problem);
			continue;
		}
		bool good = false;
		for (size_t k = 0; k < ks.n && !good; k++) {
			int r = oci_sig_verify(ks.k[k], s, err);
			if (r < 0) {
				verdict = -1;
				break;
			}
			good = r == 1;
		}
		if (verdict < 0)
			break;
		if (!good) {
			add_reason(&rs, i, "not signed by %s",
				   ks.n == 1 ? "the policy's key" : "any of the policy's keys");
			continue;
		}
		oci_sig_claim c;
		oci_error e2 = OCI_ERROR_INIT;
		if (oci_sig_parse_payload(s->payload, s->payload_len, &c, &e2) < 0) {
			add_reason(&rs, i, "invalid payload: %s", e2.msg);
			continue;
		}
		if (!oci_digest_equal(&c.digest, d)) {
			char cs[OCI_DIGEST_STR_MAX];
			add_reason(&rs, i, "signs manifest %s, not the pulled %s",
				   oci_digest_str(&c.digest, cs), ds);
			continue;
		}
		if (!oci_policy_identity_match(&req->id, ref, c.docker_ref)) {
			add_reason(&rs, i,
				   "signed identity '%s' does not match (signedIdentity %s)",
				   c.docker_ref, identity_name(req->id.type));
			continue;
		}
		verdict = 1;
	}
	keyset_release(&ks);
	if (verdict == 0) {
		if (!sigs->found || sigs->n == 0)
			*why = sigs->found ? oci_asprintf(err,
							  "a signature is required, and there is "
							  "none (no simple-signing layer in the "
							  "signature manifests of %s)",
							  ds)
					   : oci_asprintf(err,
							  "a signature is required, and there is "
							  "none (no tag %s, no cosign referrers)",
							  tag);
		else if (rs.n > 1)
			*why = oci_asprintf(err, "none of the %zu signatures is accepted: %s", rs.n,
					    rs.text);
		else
			*why = oci_strdup(rs.text ? rs.text : "rejected", err);
		if (!*why)
			verdict = -1;
	}
	free(rs.text);
	return verdict;
}

int oci_policy_check(const oci_policy *p, const oci_ref *ref, const oci_digest *d,
		     oci_policy_sigs_fn get_sigs, void *ctx, oci_error *err)
{
	const oci_policy_scope *s = oci_policy_scope_for(p, ref);
	char rs[OCI_REF_NAME_MAX * 2 + 300], scope[300];
	oci_ref_str(ref, rs, sizeof(rs));
	if (s == &p->def)
		snprintf(scope, sizeof(scope), "default");
	else
		snprintf(scope, sizeof(scope), "docker \"%.256s\"", s->name);
	oci_sigs sigs;
	bool have_sigs = false;
	int rc = 0;
	memset(&sigs, 0, sizeof(sigs));
	for (size_t i = 0; i < s->n && rc == 0; i++) {
		const oci_policy_req *r = &s->reqs[i];
		cleanup_free char *why = NULL;
		switch (r->type) {
		case OCI_POLICY_ACCEPT:
			continue;
		case OCI_POLICY_REJECT:
			rc = oci_err(
			    err, OCI_E_AUTH,
			    "%s: rejected by policy '%s' (scope %s): the scope rejects every "
			    "image",
			    rs, p->path, scope);
			continue;
		case OCI_POLICY_UNSUPPORTED:
			rc = oci_err(err, OCI_E_UNSUPPORTED,
				     "%s: rejected by policy '%s' (scope %s): %s", rs, p->path,
				     scope, r->why);
			continue;
		}
		if (!have_sigs) {
			if (get_sigs(ctx, d, &sigs, err) < 0) {
				rc = oci_err_prefix(err, "%s: policy '%s' (scope %s)", rs, p->path,
						    scope);
				break;
			}
			have_sigs = true;
		}
		int v = check_sigstore(r, ref, d, &sigs, &why, err);
		if (v < 0)
			rc = oci_err_prefix(err, "%s: policy '%s' (scope %s)", rs, p->path, scope);
		else if (v == 0)
			rc = oci_err(err, OCI_E_AUTH, "%s: rejected by policy '%s' (scope %s): %s",
				     rs, p->path, scope, why);
	}
	oci_sigs_release(&sigs);
	if (rc == 0)
		log_debug("%s: accepted by policy '%s' (scope %s)", rs, p->path, scope);
	return rc;
}
