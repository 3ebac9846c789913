/* Image references: parsing, validation against the distribution grammar, normalisation. */
#include "common/ref.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | [-]+ */
static bool valid_component(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	while (i < n) {
		if (is_lower_alnum(s[i])) {
			i++;
			continue;
		}
		size_t j = i;
		if (s[i] == '.' || s[i] == '_') {
			j++;
			if (s[i] == '_' && j < n && s[j] == '_')
				j++;
		} else if (s[i] == '-') {
			while (j < n && s[j] == '-')
				j++;
		} else {
			return false;
		}
		if (j >= n || !is_lower_alnum(s[j]))
			return false;
		i = j;
	}
	return true;
}

/* host := domain-name | IPv4 | "[" IPv6 "]", optional ":" port */
static bool valid_domain(const char *s, size_t n)
{
	size_t i = 0, host_end = n;
	if (n == 0)
		return false;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close || close == s + 1)
			return false;
		for (const char *p = s + 1; p < close; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
				return false;
		i = (size_t)(close - s) + 1;
		host_end = i;
		if (i < n && s[i] != ':')
			return false;
	} else {
		const char *colon = memchr(s, ':', n);
		if (colon)
			host_end = (size_t)(colon - s);
		/* labels of [A-Za-z0-9-], not starting or ending with '-', separated by '.' */
		size_t start = 0;
		for (size_t k = 0; k <= host_end; k++) {
			if (k == host_end || s[k] == '.') {
				if (k == start || s[start] == '-' || s[k - 1] == '-')
					return false;
				start = k + 1;
			} else if (!isalnum((unsigned char)s[k]) && s[k] != '-') {
				return false;
			}
		}
		i = host_end;
	}
	if (i < n) { /* ":port" */
		if (s[i] != ':' || i + 1 >= n)
			return false;
		for (size_t k = i + 1; k < n; k++)
			if (!isdigit((unsigned char)s[k]))
				return false;
		if (n - i - 1 > 5)
			return false;
	}
	return true;
}

bool oci_ref_tag_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > OCI_REF_TAG_MAX)
		return false;
	if (!(isalnum((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return false;
	return true;
}

int oci_ref_parse(const char *s, oci_ref *out, oci_error *err)
{
	char buf[OCI_REF_NAME_MAX + OCI_REF_TAG_MAX + OCI_DIGEST_STR_MAX + 4];
	char *name, *at, *tag = NULL;
	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return oci_err(err, OCI_E_INVALID, "invalid reference '': empty");
	if (strlen(s) >= sizeof(buf))
		return oci_err(err, OCI_E_INVALID, "invalid reference '%.64s...': too long", s);
	strcpy(buf, s);
	name = buf;
	if ((at = strchr(buf, '@'))) {
		*at = '\0';
		if (oci_digest_parse(at + 1, &out->digest, err) < 0)
			return oci_err_prefix(err, "invalid reference '%s'", s);
		out->has_digest = true;
	}
	/* A tag is after the last ':' that follows the last '/' (a ':' before it is a port). */
	char *slash = strrchr(name, '/');
	char *colon = strrchr(slash ? slash : name, ':');
	if (colon) {
		*colon = '\0';
		tag = colon + 1;
		if (!oci_ref_tag_valid(tag))
			return oci_err(err, OCI_E_INVALID,
				       "invalid reference '%s': invalid tag '%s'", s, tag);
	}
	/* Split the domain: the first component is a host only with '.', ':', '[' or "localhost".
	 */
	char *first_slash = strchr(name, '/');
	const char *path = name;
	if (first_slash) {
		size_t dlen = (size_t)(first_slash - name);
		bool is_host = memchr(name, '.', dlen) || memchr(name, ':', dlen) ||
			       name[0] == '[' || (dlen == 9 && !strncmp(name, "localhost", 9));
		/* An upper-case first component can only be a host name. */
		for (size_t k = 0; k < dlen && !is_host; k++)
			if (isupper((unsigned char)name[k]))
				is_host = true;
		if (is_host) {
			if (!valid_domain(name, dlen))
				return oci_err(
				    err, OCI_E_INVALID,
				    "invalid reference '%s': invalid registry host '%.*s'", s,
				    (int)dlen, name);
			if (dlen >= sizeof(out->domain))
				return oci_err(err, OCI_E_INVALID,
					       "invalid reference '%s': host too long", s);
			memcpy(out->domain, name, dlen);
			out->domain[dlen] = '\0';
			path = first_slash + 1;
			out->qualified = true;
		}
	}
	if (!out->domain[0] || !strcmp(out->domain, "index.docker.io"))
		strcpy(out->domain, "docker.io");
	/* Validate the path components. */
	if (!*path)
		return oci_err(err, OCI_E_INVALID, "invalid reference '%s': empty repository name",
			       s);
	for (const char *p = path; *p; p++)
		if (isupper((unsigned char)*p))
			return oci_err(err, OCI_E_INVALID,
				       "invalid reference '%s': repository name must be lowercase",
				       s);
	const char *c = path;
	for (;;) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		if (!valid_component(c, n))
			return oci_err(
			    err, OCI_E_INVALID,
			    "invalid reference '%s': invalid repository name component '%.*s'", s,
			    (int)n, c);
		if (!e)
			break;
		c = e + 1;
	}
	bool library = !strcmp(out->domain, "docker.io") && !strchr(path, '/');
	int n = snprintf(out->path, sizeof(out->path), "%s%s", library ? "library/" : "", path);
	if (n < 0 || (size_t)n >= sizeof(out->path) ||
	    strlen(out->domain) + 1 + (size_t)n > OCI_REF_NAME_MAX)
		return oci_err(err, OCI_E_INVALID,
			       "invalid reference '%s': name longer than %d characters", s,
			       OCI_REF_NAME_MAX);
	if (tag)
		strcpy(out->tag, tag);
	else if (!out->has_digest)
		strcpy(out->tag, "latest");
	return 0;
}

const char *oci_ref_str(const oci_ref *r, char *buf, size_t len)
{
	char d[OCI_DIGEST_STR_MAX];
	snprintf(buf, len, "%s/%s%s%s%s%s", r->domain, r->path, r->tag[0] ? ":" : "", r->tag,
		 r->has_digest ? "@" : "", r->has_digest ? oci_digest_str(&r->digest, d) : "");
	return buf;
}

const char *oci_ref_manifest_ref(const oci_ref *r, char *buf, size_t len)
{
	if (r->has_digest) {
		char d[OCI_DIGEST_STR_MAX];
		snprintf(buf, len, "%s", oci_digest_str(&r->digest, d));
	} else {
		snprintf(buf, len, "%s", r->tag);
	}
	return buf;
}

const char *oci_ref_registry_host(const oci_ref *r)
{
	return strcmp(r->domain, "docker.io") ? r->domain : "registry-1.docker.io";
}

bool oci_ref_is_local(const oci_ref *r)
{
	const char *d = r->domain;
	char host[OCI_REF_NAME_MAX + 1];
	struct in_addr a;
	if (!strncmp(d, "localhost", 9) && (d[9] == '\0' || d[9] == ':'))
		return true;
	if (!strcmp(d, "[::1]") || !strncmp(d, "[::1]:", 6))
		return true;
	/* 127.0.0.0/8 only as an IPv4 address: "127.example.com" is a remote host. */
	snprintf(host, sizeof(host), "%.*s", (int)strcspn(d, ":"), d);
	return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

size_t oci_ref_prefix_match(const char *name, const char *prefix)
{
	size_t pl = strlen(prefix);
	if (oci_str_has_prefix(prefix, "*.")) {
		const char *dom = prefix + 1; /* ".example.com" */
		size_t dl = strlen(dom), hl = strcspn(name, "/:@");
		if (hl <= dl || memcmp(name + hl - dl, dom, dl))
			return 0;
		pl = hl;
	} else if (strncmp(name, prefix, pl)) {
		return 0;
	}
	char c = name[pl];
	return c == '\0' || c == '/' || c == ':' || c == '@' ? pl : 0;
}
