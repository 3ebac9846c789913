/* Image references: [host[:port]/]path[:tag][@digest], validated per the distribution spec
 * grammar and normalised as Docker does (busybox -> docker.io/library/busybox:latest). */
#ifndef OCI_REF_H
#define OCI_REF_H

#include <stdbool.h>
#include <stddef.h>

#include "common/digest.h"
#include "common/error.h"

#define OCI_REF_NAME_MAX 255
#define OCI_REF_TAG_MAX	 128

typedef struct oci_ref {
	char domain[OCI_REF_NAME_MAX + 1]; /* "docker.io", "localhost:5000", "[::1]:5000" */
	char path[OCI_REF_NAME_MAX + 1];   /* "library/busybox" */
	char tag[OCI_REF_TAG_MAX + 1];	   /* "" when the reference pins only a digest */
	bool has_digest;
	oci_digest digest;
	bool qualified; /* the input named a registry host (not a short name such as "busybox") */
} oci_ref;

int oci_ref_parse(const char *s, oci_ref *out, oci_error *err);
/* The distribution spec's tag grammar: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
bool oci_ref_tag_valid(const char *s);
/* Normalised full form: "docker.io/library/busybox:latest", "x/y:t@sha256:...". */
const char *oci_ref_str(const oci_ref *r, char *buf, size_t len);
/* What to ask /v2/<path>/manifests/ for: the digest when pinned, else the tag. */
const char *oci_ref_manifest_ref(const oci_ref *r, char *buf, size_t len);
/* Host to connect to: docker.io is served by registry-1.docker.io. */
const char *oci_ref_registry_host(const oci_ref *r);
/* True for localhost, 127.0.0.0/8 and ::1 registries, which default to plain HTTP. */
bool oci_ref_is_local(const oci_ref *r);
/* containers/image's prefix rule, as registries.conf and policy.json use it: name ("host/path
 * [:tag][@digest]") starts with prefix, then ends or goes on with '/', ':' or '@'. A prefix
 * "*.example.com" matches a host (before its port and path) that ends in ".example.com" and
 * is longer than it: the host's own suffix, so "a.example.comb.example.com" is a subdomain
 * of example.com and "a.example.com.evil" is not. Returns the length of name matched, 0 when
 * it does not match. */
size_t oci_ref_prefix_match(const char *name, const char *prefix);
#endif
