/* containers-policy.json(5): which images may be pulled. The policy is read once into a typed
 * model (strictly: an unknown key or requirement type is an error, as in containers/image), the
 * most specific scope of the "docker" transport is chosen for a reference, and its requirements
 * are checked against the pulled manifest digest and the image's sigstore signatures. */
#ifndef OCI_FETCH_POLICY_H
#define OCI_FETCH_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/ref.h"
#include "fetch/signature.h"

enum oci_policy_req_type {
	OCI_POLICY_ACCEPT,	/* insecureAcceptAnything */
	OCI_POLICY_REJECT,	/* reject */
	OCI_POLICY_SIGSTORE,	/* sigstoreSigned with public keys */
	OCI_POLICY_UNSUPPORTED, /* signedBy, signedBaseLayer, Fulcio, Rekor: refused when used */
};

enum oci_policy_identity_type {
	OCI_ID_MATCH_REPO_DIGEST_OR_EXACT, /* the default */
	OCI_ID_MATCH_EXACT,
	OCI_ID_MATCH_REPOSITORY,
	OCI_ID_EXACT_REFERENCE,
	OCI_ID_EXACT_REPOSITORY,
	OCI_ID_REMAP_IDENTITY,
};

typedef struct oci_policy_identity {
	int type;
	char *ref;    /* exactReference's dockerReference, exactRepository's dockerRepository */
	char *prefix; /* remapIdentity */
	char *signed_prefix;
} oci_policy_identity;

typedef struct oci_policy_req {
	int type;
	char *why;	  /* OCI_POLICY_UNSUPPORTED: what is not supported */
	char **key_paths; /* PEM files */
	char **key_datas; /* base64 of PEM */
	oci_policy_identity id;
} oci_policy_req;

typedef struct oci_policy_scope {
	char *name; /* "default", "" (the transport's default), or a docker scope */
	oci_policy_req *reqs;
	size_t n;
} oci_policy_scope;

typedef struct oci_policy {
	char *path;
	oci_policy_scope def;
	oci_policy_scope *docker; /* transports.docker */
	size_t n_docker;
} oci_policy;

/* file, else $HOME/.config/containers/policy.json when it exists, else
 * /etc/containers/policy.json. Returns 1 when a policy was read, 0 when there is none (only
 * possible without file), -1 on error. */
int oci_policy_load(oci_policy *p, const char *file, oci_error *err);
/* Parse policy text; what names it in errors. */
int oci_policy_parse(oci_policy *p, const char *text, size_t len, const char *what, oci_error *err);
void oci_policy_release(oci_policy *p);

/* The scope that applies to ref: its exact reference, its repository, each namespace up to the
 * host, "*.domain" wildcards, the transport's "" scope, then "default". */
const oci_policy_scope *oci_policy_scope_for(const oci_policy *p, const oci_ref *ref);

/* Signatures for a digest, fetched only when a requirement needs them. */
typedef int (*oci_policy_sigs_fn)(void *ctx, const oci_digest *d, oci_sigs *out, oci_error *err);

/* Whether the image ref (the name the user asked for, after short-name resolution) whose
 * manifest has digest d may be pulled. 0: yes. -1: no, err says which scope of which file
 * refused it and why (OCI_E_AUTH), or what failed while checking. */
int oci_policy_check(const oci_policy *p, const oci_ref *ref, const oci_digest *d,
		     oci_policy_sigs_fn get_sigs, void *ctx, oci_error *err);

/* Whether a signature's docker-reference is acceptable for ref under identity id (exposed for
 * the unit tests). */
bool oci_policy_identity_match(const oci_policy_identity *id, const oci_ref *ref,
			       const char *signed_ref);
#endif
