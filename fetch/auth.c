/* The registry's challenge/token protocol: a 401's WWW-Authenticate challenge is parsed and
 * answered, with basic auth for the registry itself or a bearer token from the realm the
 * challenge names (as with Docker it may be another host; an OAuth2 refresh-token grant when
 * the credentials are an identity token), renewed when it expires or a new scope is asked
 * for. The credentials come from credentials.c; they are never sent to an http:// realm
 * unless the registry is plain http and the realm on its own host, never along a redirect
 * (token requests follow none), and never logged. A new way of answering a challenge (an
 * auth scheme, a grant type) goes here: a branch of oci_auth_challenge or fetch_token. A new
 * place to find credentials goes in credentials.c. */
#include "fetch/auth.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "fetch/http.h"
#include "fetch/url.h"

#define TOKEN_MAX      (1u << 20)
#define TOKEN_ATTEMPTS 4

int oci_challenge_parse(const char *hdr, oci_challenge *c, oci_error *err)
{
	memset(c, 0, sizeof(*c));
	const char *p = hdr;
	while (*p == ' ')
		p++;
	size_t n = strcspn(p, " ");
	if (n == 0 || n >= sizeof(c->scheme))
		return oci_err(err, OCI_E_AUTH, "bad WWW-Authenticate header");
	for (size_t i = 0; i < n; i++)
		c->scheme[i] = (char)tolower((unsigned char)p[i]);
	p += n;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		size_t kl = strcspn(p, "=");
		if (!p[kl])
			break;
		char key[32] = "";
		if (kl < sizeof(key))
			memcpy(key, p, kl);
		p += kl + 1;
		char *dst = NULL;
		size_t cap = 0;
		if (!strcasecmp(key, "realm"))
			dst = c->realm, cap = sizeof(c->realm);
		else if (!strcasecmp(key, "service"))
			dst = c->service, cap = sizeof(c->service);
		else if (!strcasecmp(key, "scope"))
			dst = c->scope, cap = sizeof(c->scope);
		else if (!strcasecmp(key, "error"))
			dst = c->error, cap = sizeof(c->error);
		/* values of unknown keys are skipped, not stored */
		size_t vl = 0;
		bool quoted = *p == '"';
		if (quoted)
			p++;
		while (*p && (quoted ? *p != '"' : *p != ',' && *p != ' ')) {
			if (quoted && *p == '\\' && p[1])
				p++;
			if (dst) {
				if (vl + 1 >= cap)
					return oci_err(
					    err, OCI_E_AUTH,
					    "bad WWW-Authenticate header: %s longer than "
					    "%zu bytes",
					    key, cap - 1);
				dst[vl] = *p;
			}
			vl++;
			p++;
		}
		if (quoted && *p == '"')
			p++;
		if (dst)
			dst[vl] = '\0';
	}
	return 0;
}

void oci_auth_release(oci_auth *a)
{
	oci_creds_release(&a->creds);
	oci_creds_wipe(a->token);
	oci_creds_wipe(a->header);
	a->token = a->header = NULL;
}

static int set_basic_header(oci_auth *a, oci_error *err)
{
	size_t ul = strlen(a->creds.user), sl = strlen(a->creds.secret);
	size_t plen = ul + 1 + sl;
	cleanup_free unsigned char *plain = malloc(plen + 1);
	cleanup_free char *b64 = malloc(4 * ((plen + 2) / 3) + 1);
	if (!plain || !b64)
		return oci_err(err, OCI_E_IO, "out of memory");
	memcpy(plain, a->creds.user, ul);
	plain[ul] = ':';
	memcpy(plain + ul + 1, a->creds.secret, sl);
	int n = EVP_EncodeBlock((unsigned char *)b64, plain, (int)plen);
	explicit_bzero(plain, plen);
	oci_creds_wipe(a->header);
	a->header = oci_asprintf(err, "Authorization: Basic %s", b64);
	explicit_bzero(b64, (size_t)n);
	return a->header ? 0 : -1;
}

/* Add each space-separated scope of add to a->scopes if missing; more than a->scopes holds is
 * an error (a scope left out would only show up later as a refused token). */
int oci_auth_merge_scopes(oci_auth *a, const char *add, oci_error *err)
{
	cleanup_free char *copy = oci_strdup(add ? add : "", err);
	char *save = NULL;
	if (!copy)
		return -1;
	for (char *s = strtok_r(copy, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
		bool have = false;
		size_t sl = strlen(s);
		for (const char *p = a->scopes; (p = strstr(p, s)); p += sl)
			if ((p == a->scopes || p[-1] == ' ') && (p[sl] == ' ' || p[sl] == '\0'))
				have = true;
		if (have)
			continue;
		size_t cur = strlen(a->scopes);
		if (cur + sl + 2 > sizeof(a->scopes))
			return oci_err(
			    err, OCI_E_AUTH,
			    "token scopes: more than %zu bytes asked for (scope '%.100s')",
			    sizeof(a->scopes) - 1, s);
		if (cur)
			a->scopes[cur++] = ' ';
		memcpy(a->scopes + cur, s, sl + 1);
	}
	return 0;
}

/* Append name=value to u's query, URL-encoded (curl keeps the first '=' as it is). */
static int append_query(CURLU *u, const char *name, const char *value, oci_error *err)
{
	cleanup_free char *pair = oci_asprintf(err, "%s=%s", name, value);
	if (!pair)
		return -1;
	if (curl_url_set(u, CURLUPART_QUERY, pair, CURLU_APPENDQUERY | CURLU_URLENCODE) !=
	    CURLUE_OK)
		return oci_err(err, OCI_E_IO, "token request URL: cannot add %s", name);
	return 0;
}

char *oci_auth_token_url(const oci_auth *a, oci_error *err)
{
	CURLU *u = curl_url();
	char *out = NULL, *res = NULL;
	cleanup_free char *scopes = NULL;
	if (!u) {
		oci_err(err, OCI_E_IO, "out of memory");
		return NULL;
	}
	if (curl_url_set(u, CURLUPART_URL, a->realm, 0) != CURLUE_OK) {
		oci_err(err, OCI_E_AUTH, "token realm '%.200s' is not a valid URL", a->realm);
		goto out;
	}
	if (a->service[0] && append_query(u, "service", a->service, err) < 0)
		goto out;
	if (!(scopes = oci_strdup(a->scopes, err)))
		goto out;
	char *save = NULL;
	for (char *s = strtok_r(scopes, " ", &save); s; s = strtok_r(NULL, " ", &save))
		if (append_query(u, "scope", s, err) < 0)
			goto out;
	if (curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK) {
		oci_err(err, OCI_E_AUTH, "token realm '%.200s' is not a valid URL", a->realm);
		goto out;
	}
	res = oci_strdup(out, err);
out:
	curl_free(out);
	curl_url_cleanup(u);
	return res;
}

/* One token request, retried like the registry's own requests: a transport error that
 * deserves it (oci_http_attempts_for) and a 429 or 5xx answer, up to TOKEN_ATTEMPTS times
 * with backoff. With form, POSTs it to url; otherwise GETs url. */
static int token_request(CURL *e, const char *url, struct curl_slist *hdrs, const char *form,
			 oci_http_resp *r, oci_error *err)
{
	int cc = 0;
	for (int attempt = 1;; attempt++) {
		int rc = form ? oci_http_post_form(e, url, hdrs, form, TOKEN_MAX, r, &cc, err)
			      : oci_http_perform(e, "GET", url, hdrs, TOKEN_MAX, r, &cc, err);
		if (rc < 0) {
			if (attempt < oci_http_attempts_for(cc, TOKEN_ATTEMPTS) &&
			    oci_http_retryable_code(cc)) {
				usleep((useconds_t)oci_http_backoff_ms(attempt, -1) * 1000);
				continue;
			}
			return oci_err_prefix(err, "token request");
		}
		if (attempt < TOKEN_ATTEMPTS && oci_http_retryable_status(r->status)) {
			usleep((useconds_t)oci_http_backoff_ms(attempt, r->retry_after) * 1000);
			continue;
		}
		return 0;
	}
}

/* The OAuth2 refresh-token grant's form (new string, to be wiped): the identity token is
 * POSTed to the realm itself. */
static char *oauth_form(CURL *e, const oci_auth *a, oci_error *err)
{
	char *form = NULL;
	char *rt = curl_easy_escape(e, a->creds.secret, 0);
	char *sv = curl_easy_escape(e, a->service, 0);
	char *sc = curl_easy_escape(e, a->scopes, 0);
	if (rt && sv && sc)
		form = oci_asprintf(err,
				    "grant_type=refresh_token&client_id=oci-fetch&service=%"
				    "s&scope=%s&refresh_token=%s",
				    sv, sc, rt);
	else
		oci_err(err, OCI_E_IO, "out of memory");
	if (rt)
		explicit_bzero(rt, strlen(rt));
	curl_free(rt);
	curl_free(sv);
	curl_free(sc);
	return form;
}

/* A 200 answer of the token server: keep its token (and a rotated refresh token) and build
 * the Authorization header from it. */
static int take_token(oci_auth *a, const oci_http_resp *r, bool oauth, oci_error *err)
{
	cleanup_json json_t *j =
	    oci_json_loadb(r->body, r->len, TOKEN_MAX, 8, "token response", err);
	if (!j)
		return -1;
	const char *nrt = oauth ? json_string_value(json_object_get(j, "refresh_token")) : NULL;
	if (nrt && *nrt) {
		/* a rotated refresh token replaces the old one (for renewals in this run) */
		char *copy = strdup(nrt);
		if (copy) {
			oci_creds_wipe(a->creds.secret);
			a->creds.secret = copy;
		}
		explicit_bzero((char *)nrt, strlen(nrt));
	}
	const char *tok = json_string_value(json_object_get(j, "token"));
	if (!tok || !*tok)
		tok = json_string_value(json_object_get(j, "access_token"));
	if (!tok || !*tok)
		return oci_err(err, OCI_E_AUTH, "token response has no token");
	/* it becomes "Authorization: Bearer TOKEN": a CR or LF would add headers of the token
	 * server's choosing to every request (RFC 6750's b64token is visible ASCII) */
	for (const char *t = tok; *t; t++)
		if (*t < 0x21 || *t > 0x7e)
			return oci_err(err, OCI_E_AUTH,
				       "token response: the token holds a byte (0x%02x) an HTTP "
				       "header cannot carry",
				       (unsigned char)*t);
	json_int_t exp = json_integer_value(json_object_get(j, "expires_in"));
	if (exp <= 0)
		exp = 60; /* the distribution spec's default */
	/* a hostile token server's 2^63 would overflow the expiry time: renewing a token still
	 * valid costs one request a day */
	if (exp > 86400)
		exp = 86400;
	oci_creds_wipe(a->token);
	a->token = strdup(tok);
	explicit_bzero((char *)tok, strlen(tok));
	if (!a->token)
		return oci_err(err, OCI_E_IO, "out of memory");
	a->expires = time(NULL) + exp - (exp > 30 ? 10 : exp / 3); /* renew a little early */
	oci_creds_wipe(a->header);
	a->header = oci_asprintf(err, "Authorization: Bearer %s", a->token);
	if (!a->header)
		return -1;
	log_debug("got a bearer token for scope '%s' (expires in %llds)%s", a->scopes,
		  (long long)exp, oauth ? " with the identity token" : "");
	return 0;
}

static int fetch_token(oci_auth *a, oci_error *err)
{
	bool realm_tls = oci_str_has_prefix(a->realm, "https://");
	if (!realm_tls && !oci_str_has_prefix(a->realm, "http://"))
		return oci_err(err, OCI_E_AUTH, "token realm '%.200s' is not an http(s) URL",
			       a->realm);
	bool send_creds = a->have_creds;
	if (send_creds && a->registry_tls && !realm_tls)
		return oci_err(err, OCI_E_AUTH,
			       "token realm '%.200s' is plain http: refusing to send the "
			       "credentials of a TLS registry",
			       a->realm);
	/* A plain-http registry already gets its credentials in clear text (the user chose
	 * that for this host); an http:// realm elsewhere would put them on the wire to a
	 * host the user never named. */
	if (send_creds && !realm_tls &&
	    !(a->registry_url && oci_url_same_host(a->registry_url, a->realm)))
		return oci_err(err, OCI_E_AUTH,
			       "token realm '%.200s' is plain http on another host than the "
			       "registry: refusing to send the credentials",
			       a->realm);
	CURL *e = curl_easy_init();
	if (!e)
		return oci_err(err, OCI_E_INTERNAL, "cannot start libcurl");
	int ret = -1;
	struct curl_slist *hdrs = NULL;
	oci_http_resp r;
	oci_http_resp_init(&r);
	char *form = NULL;
	char *url = oci_auth_token_url(a, err);
	if (!url)
		goto out;
	if (oci_http_setup(e, a->tls, err) < 0)
		goto out;
	bool oauth = send_creds && a->creds.identity_token;
	if (oauth) {
		if (!(form = oauth_form(e, a, err)))
			goto out;
	} else if (send_creds) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, a->creds.user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, a->creds.secret);
	}
	hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (token_request(e, oauth ? a->realm : url, hdrs, form, &r, err) < 0)
		goto out;
	if (r.status == 401 || r.status == 403 || (oauth && r.status == 400)) {
		char why[160] = "";
		if (oauth) {
			json_error_t je;
			cleanup_json json_t *ej = r.body ? json_loadb(r.body, r.len, 0, &je) : NULL;
			const char *e1 = json_string_value(json_object_get(ej, "error"));
			if (e1 && strlen(e1) < 64 && !strpbrk(e1, "\r\n"))
				snprintf(why, sizeof(why), ": %s", e1);
		}
		oci_err(err, OCI_E_AUTH,
			"authentication failed: token server refused %s (HTTP %ld%s)",
			oauth	     ? "the identity token"
			: send_creds ? "the credentials"
				     : "anonymous access",
			r.status, why);
		goto out;
	}
	if (r.status != 200) {
		oci_err(err, OCI_E_AUTH, "token request failed: HTTP %ld", r.status);
		goto out;
	}
	if (take_token(a, &r, oauth, err) < 0)
		goto out;
	ret = 0;
out:
	if (r.body)
		explicit_bzero(r.body, r.len);
	oci_http_resp_release(&r);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(e);
	free(url);
	oci_creds_wipe(form);
	return ret;
}

int oci_auth_challenge(oci_auth *a, const char *www_authenticate, const char *default_scope,
		       oci_error *err)
{
	oci_challenge c;
	if (!www_authenticate || !*www_authenticate)
		return oci_err(err, OCI_E_AUTH,
			       "authentication required, but the registry sent no challenge");
	if (oci_challenge_parse(www_authenticate, &c, err) < 0)
		return -1;
	if (!strcmp(c.scheme, "basic")) {
		if (!a->have_creds)
			return oci_err(
			    err, OCI_E_AUTH,
			    "authentication required (use --creds, --username or an auth file)");
		if (a->creds.identity_token)
			return oci_err(err, OCI_E_AUTH,
				       "authentication failed: the registry asks for basic auth, "
				       "and an identity token "
				       "only works with a token server");
		if (a->scheme == OCI_AUTH_BASIC)
			return oci_err(err, OCI_E_AUTH,
				       "authentication failed: credentials refused");
		a->scheme = OCI_AUTH_BASIC;
		return set_basic_header(a, err);
	}
	if (strcmp(c.scheme, "bearer"))
		return oci_err(err, OCI_E_AUTH, "unsupported authentication scheme '%s'", c.scheme);
	if (!c.realm[0])
		return oci_err(err, OCI_E_AUTH, "bearer challenge without a realm");
	char before[sizeof(a->scopes)];
	memcpy(before, a->scopes, sizeof(before));
	bool same_realm = a->scheme == OCI_AUTH_BEARER && !strcmp(a->realm, c.realm);
	if (oci_auth_merge_scopes(a, default_scope, err) < 0 ||
	    oci_auth_merge_scopes(a, c.scope, err) < 0)
		return -1;
	/* A token we just got for these very scopes was refused: trying again cannot help. */
	if (same_realm && !strcmp(before, a->scopes) && a->token && time(NULL) < a->expires &&
	    a->failures++ >= 1)
		return oci_err(err, OCI_E_AUTH, "authentication failed: %s",
			       c.error[0] ? c.error : "the registry refused the token");
	a->scheme = OCI_AUTH_BEARER;
	_Static_assert(sizeof(a->realm) == sizeof(c.realm) &&
			   sizeof(a->service) == sizeof(c.service),
		       "oci_auth keeps the challenge's realm and service whole");
	memcpy(a->realm, c.realm, sizeof(a->realm));
	memcpy(a->service, c.service, sizeof(a->service));
	if (!strcmp(c.error, "insufficient_scope"))
		log_debug("token scope renewal: %s", a->scopes);
	return fetch_token(a, err);
}

int oci_auth_refresh(oci_auth *a, oci_error *err)
{
	if (a->scheme != OCI_AUTH_BEARER || time(NULL) < a->expires)
		return 0;
	log_debug("bearer token expired, renewing");
	return fetch_token(a, err);
}

const char *oci_auth_header(const oci_auth *a)
{
	return a->header;
}
