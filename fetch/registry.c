/* A registry client for one repository (distribution API v2). Requests go one at a time
 * through a kept-alive handle; redirects are followed by hand so that the Authorization
 * header is only ever sent to the registry's own origin. */
#include "fetch/registry.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "fetch/url.h"

#define MAX_REDIRECTS 5

static int set_base(oci_registry *r, bool tls, oci_error *err)
{
	r->tls_on = tls;
	r->auth.registry_tls = tls;
	snprintf(r->base, sizeof(r->base), "%s://%s", tls ? "https" : "http", r->host);
	if (!oci_url_origin(r->base, r->origin, sizeof(r->origin)))
		return oci_err(err, OCI_E_INVALID, "%s: cannot make a URL of this registry host",
			       r->host);
	return 0;
}

int oci_registry_init(oci_registry *r, const oci_ref *ref, const oci_registry_opts *o,
		      oci_error *err)
{
	memset(r, 0, sizeof(*r));
	r->ref = *ref;
	r->max_attempts = o->max_attempts > 0 ? o->max_attempts : 6;
	snprintf(r->host, sizeof(r->host), "%s", oci_ref_registry_host(ref));
	/* Loopback registries speak plain HTTP unless TLS settings say otherwise. */
	bool tls_asked = o->tls.cacert || o->tls.cert || o->tls.cert_dir || o->tls.insecure;
	r->tls_on = !o->plain_http && (!oci_ref_is_local(ref) || tls_asked);
	r->tls_implicit = !o->plain_http && !r->tls_on;
	if (set_base(r, r->tls_on, err) < 0)
		return -1;
	snprintf(r->scope, sizeof(r->scope), "repository:%s:pull", ref->path);
	if (oci_tls_init(&r->tls, &o->tls, r->host, err) < 0)
		return -1;
	r->auth.tls = &r->tls;
	r->auth.registry_tls = r->tls_on;
	r->auth.registry_url = r->base;
	if (!r->tls_on && r->tls_implicit) {
		/* certs.d/<host>/ holding something also means TLS */
		r->tls_on = r->tls.ca_blob || r->tls.cert;
		if (set_base(r, r->tls_on, err) < 0)
			return -1;
	}
	oci_creds_flags flags = {.creds = o->creds,
				 .username = o->username,
				 .password = o->password,
				 .authfile = o->authfile};
	int found = oci_creds_find(&flags, ref->domain, &r->auth.creds, err);
	if (found < 0)
		return -1;
	r->auth.have_creds = found > 0;
	r->share = curl_share_init();
	if (r->share) {
		curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
		curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	}
	r->easy = curl_easy_init();
	if (!r->easy)
		return oci_err(err, OCI_E_INTERNAL, "cannot start libcurl");
	if (oci_http_setup(r->easy, &r->tls, err) < 0)
		return -1;
	if (r->share)
		curl_easy_setopt(r->easy, CURLOPT_SHARE, r->share);
	return 0;
}

void oci_registry_release(oci_registry *r)
{
	if (r->easy)
		curl_easy_cleanup(r->easy);
	if (r->easy_other)
		curl_easy_cleanup(r->easy_other);
	if (r->share)
		curl_share_cleanup(r->share);
	oci_auth_release(&r->auth);
	oci_tls_release(&r->tls);
	memset(r, 0, sizeof(*r));
}

bool oci_registry_same_origin(oci_registry *r, const char *url)
{
	char o[sizeof(r->origin)];
	return oci_url_origin(url, o, sizeof(o)) && !strcmp(o, r->origin);
}

static struct curl_slist *make_headers(oci_registry *r, const char *url, const char *accept,
				       bool *ok)
{
	struct curl_slist *h = NULL, *n;
	*ok = true;
	if (accept) {
		char line[512];
		snprintf(line, sizeof(line), "Accept: %s", accept);
		if (!(n = curl_slist_append(h, line)))
			goto oom;
		h = n;
	}
	const char *auth = oci_auth_header(&r->auth);
	if (auth && oci_registry_same_origin(r, url)) {
		if (!(n = curl_slist_append(h, auth)))
			goto oom;
		h = n;
	}
	return h;
oom:
	*ok = false;
	curl_slist_free_all(h);
	return NULL;
}

static int status_error(oci_registry *r, const char *what, const oci_http_resp *resp, int attempts,
			oci_error *err)
{
	char buf[512], st[64];
	const char *m = oci_http_error_message(resp, buf, sizeof(buf));
	int code = OCI_E_NET;
	if (resp->status == 404)
		code = OCI_E_NOTFOUND;
	else if (resp->status == 401 || resp->status == 403)
		code = OCI_E_AUTH;
	oci_http_status_text(resp->status, st, sizeof(st));
	if (m && oci_http_retryable_status(resp->status))
		return oci_err(err, code, "%s: %s (%s, gave up after %d attempts)", what, m, st,
			       attempts);
	if (m)
		return oci_err(err, code, "%s: %s", what, m);
	if (resp->status == 400 && resp->body &&
	    strstr(resp->body, "HTTP request to an HTTPS server"))
		return oci_err(err, code, "%s: the registry speaks HTTPS, not plain HTTP", r->host);
	if (resp->status == 404)
		return oci_err(err, code, "%s: not found", what);
	if (code == OCI_E_AUTH)
		return oci_err(err, code, "%s: authentication failed (%s)", what, st);
	if (oci_http_retryable_status(resp->status))
		return oci_err(err, code, "%s: %s, gave up after %d attempts", what, st, attempts);
	return oci_err(err, code, "%s: %s", what, st);
}

int oci_registry_reauth(oci_registry *r, const oci_http_resp *resp, oci_error *err)
{
	if (!resp)
		return oci_auth_refresh(&r->auth, err);
	if (resp->www_auth_too_long)
		return oci_err(err, OCI_E_AUTH, "WWW-Authenticate header longer than %zu bytes",
			       sizeof(resp->www_auth) - 1);
	return oci_auth_challenge(&r->auth, resp->www_auth, r->scope, err);
}

/* The handle for a request to url: the registry's own, or for another origin (a redirect to
 * blob storage) one that presents no client certificate. NULL with err set. */
static CURL *other_origin_handle(oci_registry *r, const char *url, oci_error *err)
{
	if (oci_registry_same_origin(r, url))
		return r->easy;
	if (!r->easy_other) {
		r->easy_other = curl_easy_init();
		if (!r->easy_other)
			return oci_err(err, OCI_E_INTERNAL, "cannot start libcurl"), NULL;
		if (oci_registry_setup_foreign(r, r->easy_other, url, err) < 0)
			return NULL;
	}
	return r->easy_other;
}

int oci_registry_get(oci_registry *r, const char *method, const char *path, const char *accept,
		     size_t max_body, oci_http_resp *resp, oci_error *err)
{
	cleanup_free char *url = oci_asprintf(err, "%s%s", r->base, path);
	if (!url)
		return -1;
	int redirects = 0, auth_tries = 0;
	for (int attempt = 1;; attempt++) {
		if (oci_auth_refresh(&r->auth, err) < 0)
			return -1;
		bool ok;
		CURL *e = other_origin_handle(r, url, err);
		if (!e)
			return -1;
		struct curl_slist *h = make_headers(r, url, accept, &ok);
		if (!ok)
			return oci_err(err, OCI_E_IO, "out of memory");
		int cc = 0;
		int rc = oci_http_perform(e, method, url, h, max_body, resp, &cc, err);
		curl_slist_free_all(h);
		if (rc < 0) {
			if (oci_http_retryable_code(cc) &&
			    attempt < oci_http_attempts_for(cc, r->max_attempts)) {
				long ms = oci_http_backoff_ms(attempt, -1);
				log_debug("%s: %s; retrying in %ld ms", path, err->msg, ms);
				usleep((useconds_t)ms * 1000);
				continue;
			}
			return -1;
		}
		long st = resp->status;
		if (st >= 200 && st < 300)
			return 0;
		if (st == 400 && r->tls_implicit && !r->tls_on && resp->body &&
		    strstr(resp->body, "HTTP request to an HTTPS server")) {
			/* a loopback registry that speaks TLS: switch to https (and verify it) */
			log_debug("%s speaks HTTPS; switching", r->host);
			if (set_base(r, true, err) < 0)
				return -1;
			free(url);
			url = oci_asprintf(err, "%s%s", r->base, path);
			if (!url)
				return -1;
			attempt--;
			continue;
		}
		if (st == 401 && auth_tries < 3 && oci_registry_same_origin(r, url)) {
			auth_tries++;
			if (oci_registry_reauth(r, resp, err) < 0)
				return -1;
			attempt--;
			continue;
		}
		if (oci_http_is_redirect(resp)) {
			if (++redirects > MAX_REDIRECTS)
				return oci_err(err, OCI_E_NET, "%s: too many redirects", path);
			char *next = oci_http_redirect_target(url, resp, err);
			if (!next)
				return -1;
			log_debug("redirected to %s%s", next,
				  oci_registry_same_origin(r, next)
				      ? ""
				      : " (another origin: no credentials)");
			free(url);
			url = next;
			attempt--;
			continue;
		}
		if (oci_http_retryable_status(st) && attempt < r->max_attempts) {
			long ms = oci_http_backoff_ms(attempt, resp->retry_after);
			log_debug("%s: HTTP %ld; retrying in %ld ms", path, st, ms);
			usleep((useconds_t)ms * 1000);
			continue;
		}
		return status_error(r, path, resp, attempt, err);
	}
}

int oci_registry_get_manifest(oci_registry *r, const char *reference, const oci_digest *want,
			      int64_t want_size, char **body, size_t *len, oci_digest *out_digest,
			      char *media_type, size_t mt_len, oci_error *err)
{
	char refstr[512];
	oci_ref_str(&r->ref, refstr, sizeof(refstr));
	cleanup_free char *path = oci_asprintf(err, "/v2/%s/manifests/%s", r->ref.path, reference);
	if (!path)
		return -1;
	oci_http_resp resp;
	oci_http_resp_init(&resp);
	if (oci_registry_get(r, "GET", path, OCI_MANIFEST_ACCEPT, OCI_JSON_MAX_SIZE, &resp, err) <
	    0) {
		oci_http_resp_release(&resp);
		if (err->code == OCI_E_LIMIT)
			return oci_err_prefix(err, "%s: manifest %s", refstr, reference);
		/* "127.0.0.1:5000/nope:latest: manifest unknown": drop the URL path. */
		const char *m = strstr(err->msg, ": ");
		if (m && oci_str_has_prefix(err->msg, "/v2/"))
			memmove(err->msg, m + 2, strlen(m + 2) + 1);
		/* a manifest an index names, or the one the user asked for */
		if (want && !(r->ref.has_digest && oci_digest_equal(want, &r->ref.digest)))
			return oci_err_prefix(err, "%s: manifest %s", refstr, reference);
		return oci_err_prefix(err, "%s", refstr);
	}
	oci_digest got;
	if (oci_digest_buffer(want ? want->alg : OCI_DIGEST_SHA256, resp.body ? resp.body : "",
			      resp.len, &got, err) < 0)
		goto fail;
	if (want) {
		char what[sizeof(refstr) + 48];
		snprintf(what, sizeof(what), "%s: manifest", refstr);
		if (oci_digest_verify(want, want_size, &got, resp.len, what, err) < 0)
			goto fail;
	} else if (resp.docker_digest[0]) {
		oci_digest hd;
		oci_error e2 = OCI_ERROR_INIT;
		if (oci_digest_parse(resp.docker_digest, &hd, &e2) == 0) {
			oci_digest g2 = got;
			if (hd.alg != got.alg &&
			    oci_digest_buffer(hd.alg, resp.body ? resp.body : "", resp.len, &g2,
					      err) < 0)
				goto fail;
			char what[sizeof(refstr) + 48];
			snprintf(what, sizeof(what), "%s: manifest (Docker-Content-Digest)",
				 refstr);
			if (oci_digest_verify(&hd, -1, &g2, resp.len, what, err) < 0)
				goto fail;
		}
	}
	if (!resp.len) {
		oci_err(err, OCI_E_INVALID, "%s: empty manifest", refstr);
		goto fail;
	}
	*out_digest = got;
	snprintf(media_type, mt_len, "%s", resp.content_type);
	*len = resp.len;
	*body = steal_pointer(&resp.body);
	oci_http_resp_release(&resp);
	return 0;
fail:
	oci_http_resp_release(&resp);
	return -1;
}

/* The path (below base) a next-page Link points at: relative to the registry, or an absolute
 * URL on its own origin (credentials go along). New string, or NULL with err set. */
static char *next_page_path(oci_registry *r, const char *link, oci_error *err)
{
	if (link[0] == '/' && link[1] != '/')
		return oci_strdup(link, err);
	if (!oci_registry_same_origin(r, link))
		return oci_err(err, OCI_E_NET,
			       "tag list: the next page '%.200s' is not on the registry's origin",
			       link),
		       NULL;
	const char *p = strstr(link, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	if (!p)
		return oci_err(err, OCI_E_NET, "tag list: bad next page link '%.200s'", link), NULL;
	return oci_strdup(p, err);
}

int oci_registry_list_tags(oci_registry *r, unsigned page_size, json_t **tags, oci_error *err)
{
	char refstr[OCI_REF_NAME_MAX * 2 + 2];
	snprintf(refstr, sizeof(refstr), "%s/%s", r->ref.domain, r->ref.path);
	cleanup_json json_t *all = json_array();
	char *path = page_size ? oci_asprintf(err, "/v2/%s/tags/list?n=%u", r->ref.path, page_size)
			       : oci_asprintf(err, "/v2/%s/tags/list", r->ref.path);
	if (!all || !path) {
		free(path);
		return all ? -1 : oci_err(err, OCI_E_IO, "out of memory");
	}
	int ret = -1;
	for (size_t page = 1;; page++) {
		oci_http_resp resp;
		oci_http_resp_init(&resp);
		if (oci_registry_get(r, "GET", path, "application/json", OCI_JSON_MAX_SIZE, &resp,
				     err) < 0) {
			oci_http_resp_release(&resp);
			const char *m = strstr(err->msg, ": ");
			if (m && oci_str_has_prefix(err->msg, "/v2/"))
				memmove(err->msg, m + 2, strlen(m + 2) + 1);
			oci_err_prefix(err, "%s: tag list", refstr);
			break;
		}
		char what[64];
		snprintf(what, sizeof(what), "tag list page %zu", page);
		cleanup_json json_t *doc = oci_json_loadb(resp.body ? resp.body : "", resp.len,
							  OCI_JSON_MAX_SIZE, 8, what, err);
		json_t *list = NULL;
		/* a repository without tags may say "tags": null */
		bool bad = !doc || (!json_is_null(json_object_get(doc, "tags")) &&
				    oci_json_get_array(doc, "", "tags", false, &list, err) < 0);
		size_t i;
		json_t *t;
		if (!bad)
			json_array_foreach(list, i, t)
			{
				if (!json_is_string(t)) {
					oci_err(err, OCI_E_INVALID, "tags[%zu]: expected a string",
						i);
					bad = true;
					break;
				}
				/* printed one a line by --format text: a newline would forge tags
				 */
				if (!oci_ref_tag_valid(json_string_value(t))) {
					oci_err(err, OCI_E_INVALID,
						"tags[%zu]: '%.140s' is not a tag", i,
						json_string_value(t));
					bad = true;
					break;
				}
				if (json_array_size(all) >= OCI_REGISTRY_TAGS_MAX) {
					oci_err(err, OCI_E_LIMIT, "more than %d tags",
						OCI_REGISTRY_TAGS_MAX);
					bad = true;
					break;
				}
				json_array_append(all, t);
			}
		if (!bad && resp.next_link_too_long) {
			oci_err(err, OCI_E_LIMIT, "next page link longer than %zu bytes",
				sizeof(resp.next_link) - 1);
			bad = true;
		}
		char *next = NULL;
		if (!bad && resp.next_link[0] && !(next = next_page_path(r, resp.next_link, err)))
			bad = true;
		oci_http_resp_release(&resp);
		if (bad) {
			oci_err_prefix(err, "%s: %s", refstr, what);
			break;
		}
		if (!next) {
			ret = 0;
			break;
		}
		/* A hostile registry could link pages on forever: every page but the last must
		 * bring tags (so the tag limit bounds the walk), and the pages are counted too. */
		if (json_array_size(list) == 0 || page >= OCI_REGISTRY_TAG_PAGES_MAX) {
			free(next);
			if (json_array_size(list) == 0)
				oci_err(err, OCI_E_INVALID,
					"%s: %s: a page without tags links to a next one", refstr,
					what);
			else
				oci_err(err, OCI_E_LIMIT, "%s: more than %d pages of tags", refstr,
					OCI_REGISTRY_TAG_PAGES_MAX);
			break;
		}
		if (!strcmp(next, path)) {
			free(next);
			oci_err(err, OCI_E_NET, "%s: %s: the next page link points back to it",
				refstr, what);
			break;
		}
		log_debug("tag list: next page %s", next);
		free(path);
		path = next;
	}
	free(path);
	if (ret == 0)
		*tags = steal_pointer(&all);
	return ret;
}

int oci_registry_ping(oci_registry *r, oci_error *err)
{
	char scope[sizeof(r->scope)];
	memcpy(scope, r->scope, sizeof(scope));
	r->scope[0] = '\0'; /* a login asks for no repository */
	oci_http_resp resp;
	oci_http_resp_init(&resp);
	int rc = oci_registry_get(r, "GET", "/v2/", "application/json", 64 << 10, &resp, err);
	oci_http_resp_release(&resp);
	memcpy(r->scope, scope, sizeof(scope));
	if (rc < 0) {
		const char *m = strstr(err->msg, ": ");
		if (m && oci_str_has_prefix(err->msg, "/v2/"))
			memmove(err->msg, m + 2, strlen(m + 2) + 1);
		return oci_err_prefix(err, "%s", r->host);
	}
	return 0;
}

char *oci_registry_blob_url(oci_registry *r, const oci_digest *d, oci_error *err)
{
	char ds[OCI_DIGEST_STR_MAX];
	return oci_asprintf(err, "%s/v2/%s/blobs/%s", r->base, r->ref.path, oci_digest_str(d, ds));
}

int oci_registry_get_blob(oci_registry *r, const oci_descriptor *d, size_t max, char **body,
			  size_t *len, oci_error *err)
{
	char ds[OCI_DIGEST_STR_MAX], what[OCI_DIGEST_STR_MAX + 8];
	oci_digest_str(&d->digest, ds);
	snprintf(what, sizeof(what), "blob %s", ds);
	if (d->size < 0 || (uint64_t)d->size > max)
		return oci_err(err, OCI_E_LIMIT, "%s: size %lld over the %zu-byte limit", what,
			       (long long)d->size, max);
	cleanup_free char *path = oci_asprintf(err, "/v2/%s/blobs/%s", r->ref.path, ds);
	if (!path)
		return -1;
	oci_http_resp resp;
	oci_http_resp_init(&resp);
	if (oci_registry_get(r, "GET", path, NULL, (size_t)d->size, &resp, err) < 0) {
		oci_http_resp_release(&resp);
		const char *m = strstr(err->msg, ": ");
		if (m && oci_str_has_prefix(err->msg, "/v2/"))
			memmove(err->msg, m + 2, strlen(m + 2) + 1);
		return oci_err_prefix(err, "%s", what);
	}
	oci_digest got;
	if (oci_digest_buffer(d->digest.alg, resp.body ? resp.body : "", resp.len, &got, err) < 0 ||
	    oci_digest_verify(&d->digest, d->size, &got, resp.len, what, err) < 0) {
		oci_http_resp_release(&resp);
		return -1;
	}
	*len = resp.len;
	*body = resp.body ? steal_pointer(&resp.body) : calloc(1, 1);
	oci_http_resp_release(&resp);
	return *body ? 0 : oci_err(err, OCI_E_IO, "out of memory");
}

int oci_registry_setup_blob(oci_registry *r, CURL *e, const char *url, struct curl_slist **hdrs,
			    oci_error *err)
{
	bool ok;
	if (!oci_registry_same_origin(r, url)) {
		*hdrs = NULL;
		return oci_registry_setup_foreign(r, e, url, err);
	}
	if (oci_http_setup(e, &r->tls, err) < 0)
		return -1;
	if (r->share)
		curl_easy_setopt(e, CURLOPT_SHARE, r->share);
	*hdrs = make_headers(r, url, NULL, &ok);
	if (!ok)
		return oci_err(err, OCI_E_IO, "out of memory");
	curl_easy_setopt(e, CURLOPT_URL, url);
	return 0;
}

int oci_registry_setup_foreign(oci_registry *r, CURL *e, const char *url, oci_error *err)
{
	oci_tls t = r->tls;
	t.cert = t.key = NULL;
	/* no shared TLS sessions either: one resumed from the registry's would carry its client
	 * certificate along */
	if (oci_http_setup(e, &t, err) < 0)
		return -1;
	curl_easy_setopt(e, CURLOPT_URL, url);
	return 0;
}
