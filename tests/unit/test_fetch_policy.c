/* Unit tests for fetch/policy.c and fetch/signature.c: which scope of a policy.json applies,
 * what each signedIdentity accepts, the strict simple-signing payload, and the verdicts for
 * signatures made here with OpenSSL keys (ECDSA P-256, Ed25519) - good, by another key, of
 * another digest, for another identity, malformed. */
#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "fetch/policy.h"

#define HEXA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEXB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static oci_ref ref_of(const char *s)
{
	oci_ref r;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_msg(oci_ref_parse(s, &r, &err) == 0, "%s: %s", s, err.msg);
	return r;
}

static void parse_policy(oci_policy *p, const char *json)
{
	oci_error err = OCI_ERROR_INIT;
	ck_assert_msg(oci_policy_parse(p, json, strlen(json), "policy", &err) == 0, "%s: %s", json,
		      err.msg);
	p->path = strdup("policy.json");
}

static void policy_bad(const char *json, const char *want)
{
	oci_policy p;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_msg(oci_policy_parse(&p, json, strlen(json), "policy", &err) < 0, "accepted %s",
		      json);
	ck_assert_msg(strstr(err.msg, want), "%s: '%s' lacks '%s'", json, err.msg, want);
}

START_TEST(most_specific_scope_wins)
{
	oci_policy p;
	parse_policy(&p, "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{"
			 "\"r.io/ns/app:v1\":[{\"type\":\"reject\"}],"
			 "\"r.io/ns/app\":[{\"type\":\"reject\"}],"
			 "\"r.io/ns\":[{\"type\":\"reject\"}],"
			 "\"r.io\":[{\"type\":\"reject\"}],"
			 "\"*.example.com\":[{\"type\":\"reject\"}],"
			 "\"*.sub.example.com\":[{\"type\":\"reject\"}],"
			 "\"\":[{\"type\":\"insecureAcceptAnything\"}]},"
			 "\"atomic\":{\"x\":[{\"type\":\"reject\"}]}}}");
	static const struct {
		const char *ref, *scope;
	} cases[] = {
	    {"r.io/ns/app:v1", "r.io/ns/app:v1"},
	    {"r.io/ns/app:v2", "r.io/ns/app"},
	    {"r.io/ns/app@sha256:" HEXA, "r.io/ns/app"},
	    {"r.io/ns/other:v1", "r.io/ns"},
	    {"r.io/ns2/app:v1", "r.io"},
	    {"a.sub.example.com:5000/x", "*.sub.example.com"},
	    {"b.example.com/x", "*.example.com"},
	    {"example.com/x", ""},
	    {"q.io/x", ""},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		oci_ref r = ref_of(cases[i].ref);
		const oci_policy_scope *s = oci_policy_scope_for(&p, &r);
		ck_assert_msg(!strcmp(s->name, cases[i].scope), "%s: scope '%s', want '%s'",
			      cases[i].ref, s->name, cases[i].scope);
	}
	oci_policy_release(&p);
	parse_policy(&p, "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
	oci_ref r = ref_of("q.io/x");
	ck_assert_str_eq(oci_policy_scope_for(&p, &r)->name, "default");
	oci_policy_release(&p);
}
END_TEST

static bool id_match(int type, const char *arg1, const char *arg2, const char *image,
		     const char *signed_ref)
{
	oci_policy_identity id = {.type = type};
	id.ref = (char *)arg1;
	if (type == OCI_ID_REMAP_IDENTITY) {
		id.ref = NULL;
		id.prefix = (char *)arg1;
		id.signed_prefix = (char *)arg2;
	}
	oci_ref r = ref_of(image);
	return oci_policy_identity_match(&id, &r, signed_ref);
}

START_TEST(signed_identities)
{
	const char *dig = "r.io/app@sha256:" HEXA;
	/* matchExact: both tagged (or digested) and equal */
	ck_assert(id_match(OCI_ID_MATCH_EXACT, NULL, NULL, "r.io/app:v1", "r.io/app:v1"));
	ck_assert(!id_match(OCI_ID_MATCH_EXACT, NULL, NULL, "r.io/app:v1", "r.io/app"));
	ck_assert(!id_match(OCI_ID_MATCH_EXACT, NULL, NULL, "r.io/app:v1", "r.io/app:v2"));
	ck_assert(!id_match(OCI_ID_MATCH_EXACT, NULL, NULL, dig, "r.io/app:v1"));
	ck_assert(id_match(OCI_ID_MATCH_EXACT, NULL, NULL, dig, dig));
	/* the default: exact for a tag, the repository for a digest */
	ck_assert(
	    id_match(OCI_ID_MATCH_REPO_DIGEST_OR_EXACT, NULL, NULL, "r.io/app:v1", "r.io/app:v1"));
	ck_assert(
	    !id_match(OCI_ID_MATCH_REPO_DIGEST_OR_EXACT, NULL, NULL, "r.io/app:v1", "r.io/app"));
	ck_assert(id_match(OCI_ID_MATCH_REPO_DIGEST_OR_EXACT, NULL, NULL, dig, "r.io/app:v9"));
	ck_assert(id_match(OCI_ID_MATCH_REPO_DIGEST_OR_EXACT, NULL, NULL, dig, "r.io/app"));
	ck_assert(!id_match(OCI_ID_MATCH_REPO_DIGEST_OR_EXACT, NULL, NULL, dig, "r.io/other"));
	/* Docker Hub names are compared normalised */
	ck_assert(id_match(OCI_ID_MATCH_REPOSITORY, NULL, NULL, "docker.io/busybox:1",
			   "docker.io/library/busybox"));
	ck_assert(id_match(OCI_ID_MATCH_REPOSITORY, NULL, NULL, "r.io/app:v1", "r.io/app:v2"));
	ck_assert(!id_match(OCI_ID_MATCH_REPOSITORY, NULL, NULL, "r.io/app:v1", "r.io/app2"));
	/* a short name in a signature is not an identity */
	ck_assert(!id_match(OCI_ID_MATCH_REPOSITORY, NULL, NULL, "docker.io/busybox:1", "busybox"));
	ck_assert(!id_match(OCI_ID_MATCH_REPOSITORY, NULL, NULL, "r.io/app:v1", "not a ref"));
	/* exactReference / exactRepository ignore the image's own name */
	ck_assert(id_match(OCI_ID_EXACT_REFERENCE, "s.io/app:v1", NULL, "r.io/x:y", "s.io/app:v1"));
	ck_assert(!id_match(OCI_ID_EXACT_REFERENCE, "s.io/app:v1", NULL, "r.io/x:y", "s.io/app"));
	ck_assert(id_match(OCI_ID_EXACT_REPOSITORY, "s.io/app", NULL, "r.io/x:y", "s.io/app:v7"));
	ck_assert(!id_match(OCI_ID_EXACT_REPOSITORY, "s.io/app", NULL, "r.io/x:y", "s.io/ap"));
	/* remapIdentity: the prefix is swapped, then the default rule */
	ck_assert(id_match(OCI_ID_REMAP_IDENTITY, "m.io/mirror", "s.io/pub", "m.io/mirror/app:v1",
			   "s.io/pub/app:v1"));
	ck_assert(!id_match(OCI_ID_REMAP_IDENTITY, "m.io/mirror", "s.io/pub", "m.io/mirror/app:v1",
			    "m.io/mirror/app:v2"));
	ck_assert(!id_match(OCI_ID_REMAP_IDENTITY, "m.io/mirror", "s.io/pub", "m.io/mirrorx/app:v1",
			    "s.io/pubx/app:v1"));
	ck_assert(id_match(OCI_ID_REMAP_IDENTITY, "m.io/mirror", "s.io/pub", "m.io/other:v1",
			   "m.io/other:v1"));
}
END_TEST

static char *payload_of(const char *identity, const char *digest)
{
	char *s = NULL;
	ck_assert_int_ge(asprintf(&s,
				  "{\"critical\":{\"identity\":{\"docker-reference\":\"%s\"},"
				  "\"image\":{\"docker-manifest-digest\":\"%s\"},\"type\":\"cosign "
				  "container image signature\"},\"optional\":null}",
				  identity, digest),
			 0);
	return s;
}

static void payload_bad(const char *json, const char *want)
{
	oci_sig_claim c;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_msg(oci_sig_parse_payload(json, strlen(json), &c, &err) < 0, "accepted %s", json);
	ck_assert_msg(strstr(err.msg, want), "%s: '%s' lacks '%s'", json, err.msg, want);
}

START_TEST(payloads_are_strict)
{
	char *p = payload_of("r.io/app", "sha256:" HEXA);
	oci_sig_claim c;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_sig_parse_payload(p, strlen(p), &c, &err), 0);
	ck_assert_str_eq(c.docker_ref, "r.io/app");
	free(p);
	const char *ok = "{\"critical\":{\"identity\":{\"docker-reference\":\"r.io/a\"},\"image\":{"
			 "\"docker-manifest-digest\":\"sha256:" HEXA "\"},\"type\":\"cosign "
			 "container image signature\"},\"optional\":{\"creator\":\"x\",\"y\":1}}";
	ck_assert_int_eq(oci_sig_parse_payload(ok, strlen(ok), &c, &err), 0);
	payload_bad("{\"critical\":{}}", "payload.optional: missing");
	payload_bad("[]", "expected an object");
	payload_bad("{\"critical\":{},\"optional\":null,\"x\":1}", "payload.x: unexpected key");
	payload_bad("{\"critical\":{\"identity\":{\"docker-reference\":\"r.io/a\"},\"image\":{"
		    "\"docker-manifest-digest\":\"sha256:" HEXA "\"},\"type\":\"atomic container "
		    "signature\"},\"optional\":null}",
		    "is not 'cosign container image signature'");
	payload_bad("{\"critical\":{\"identity\":{\"docker-reference\":\"r.io/a\"},\"image\":{"
		    "\"docker-manifest-digest\":\"sha256:" HEXA "\",\"more\":1},\"type\":\"cosign "
		    "container image signature\"},\"optional\":null}",
		    "critical.image.more: unexpected key");
	payload_bad("{\"critical\":{\"identity\":{},\"image\":{\"docker-manifest-digest\":"
		    "\"sha256:" HEXA "\"},\"type\":\"cosign container image signature\"},"
		    "\"optional\":null}",
		    "critical.identity.docker-reference: missing");
	payload_bad("{\"critical\":{\"identity\":{\"docker-reference\":\"r.io/a\"},\"image\":{"
		    "\"docker-manifest-digest\":\"sha256:short\"},\"type\":\"cosign container "
		    "image signature\"},\"optional\":null}",
		    "docker-manifest-digest");
	payload_bad("{\"critical\":{\"identity\":{\"docker-reference\":1},\"image\":{"
		    "\"docker-manifest-digest\":\"sha256:" HEXA "\"},\"type\":\"cosign container "
		    "image signature\"},\"optional\":null}",
		    "expected a string");
	payload_bad("{\"critical\":{},\"critical\":{},\"optional\":null}", "invalid JSON");
}
END_TEST

/* ---- verdicts with real keys ---- */

typedef struct keypair {
	EVP_PKEY *k;
	char *pub_b64; /* keyData */
} keypair;

static keypair make_key(const char *type)
{
	keypair kp;
	kp.k = !strcmp(type, "EC") ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
				   : EVP_PKEY_Q_keygen(NULL, NULL, type);
	ck_assert_ptr_nonnull(kp.k);
	BIO *b = BIO_new(BIO_s_mem());
	ck_assert_int_eq(PEM_write_bio_PUBKEY(b, kp.k), 1);
	char *pem;
	long n = BIO_get_mem_data(b, &pem);
	kp.pub_b64 = calloc(1, (size_t)n * 2 + 4);
	EVP_EncodeBlock((unsigned char *)kp.pub_b64, (unsigned char *)pem, (int)n);
	BIO_free(b);
	return kp;
}

static void keypair_free(keypair *kp)
{
	EVP_PKEY_free(kp->k);
	free(kp->pub_b64);
}

static oci_sig sign_with(const keypair *kp, char *payload)
{
	oci_sig s;
	memset(&s, 0, sizeof(s));
	s.payload = payload;
	s.payload_len = strlen(payload);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ed = EVP_PKEY_is_a(kp->k, "ED25519");
	ck_assert_int_eq(EVP_DigestSignInit(ctx, NULL, ed ? NULL : EVP_sha256(), NULL, kp->k), 1);
	size_t len = 0;
	ck_assert_int_eq(EVP_DigestSign(ctx, NULL, &len, (unsigned char *)payload, s.payload_len),
			 1);
	s.sig = malloc(len);
	ck_assert_int_eq(EVP_DigestSign(ctx, s.sig, &len, (unsigned char *)payload, s.payload_len),
			 1);
	s.sig_len = len;
	EVP_MD_CTX_free(ctx);
	return s;
}

typedef struct fake_sigs {
	oci_sig *v;
	size_t n;
	bool found;
	int calls;
} fake_sigs;

static int give_sigs(void *ctx, const oci_digest *d, oci_sigs *out, oci_error *err)
{
	fake_sigs *f = ctx;
	f->calls++;
	out->n = f->n;
	out->found = f->found;
	out->v = calloc(f->n ? f->n : 1, sizeof(*out->v));
	for (size_t i = 0; i < f->n; i++) {
		out->v[i] = f->v[i];
		out->v[i].payload = f->v[i].payload ? strdup(f->v[i].payload) : NULL;
		if (f->v[i].sig) {
			out->v[i].sig = malloc(f->v[i].sig_len);
			memcpy(out->v[i].sig, f->v[i].sig, f->v[i].sig_len);
		}
	}
	return 0;
}

/* Check ref (pulled with digest HEXA) against a policy requiring kp's signature; "" = accepted,
 * else the message must contain want. */
static void verdict(const keypair *kp, const char *identity_json, const char *image, fake_sigs *f,
		    const char *want)
{
	char *json = NULL;
	ck_assert_int_ge(
	    asprintf(&json, "{\"default\":[{\"type\":\"sigstoreSigned\",\"keyData\":\"%s\"%s%s}]}",
		     kp->pub_b64, identity_json ? ",\"signedIdentity\":" : "",
		     identity_json ? identity_json : ""),
	    0);
	oci_policy p;
	parse_policy(&p, json);
	free(json);
	oci_ref r = ref_of(image);
	oci_digest d;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_digest_parse("sha256:" HEXA, &d, &err), 0);
	int rc = oci_policy_check(&p, &r, &d, give_sigs, f, &err);
	if (!*want)
		ck_assert_msg(rc == 0, "%s rejected: %s", image, err.msg);
	else {
		ck_assert_msg(rc < 0, "%s accepted, want '%s'", image, want);
		ck_assert_int_eq(err.code, OCI_E_AUTH);
		ck_assert_msg(strstr(err.msg, want), "'%s' lacks '%s'", err.msg, want);
		ck_assert_ptr_nonnull(strstr(err.msg, "rejected by policy 'policy.json' (scope "
						      "default)"));
	}
	oci_policy_release(&p);
}

START_TEST(sigstore_verdicts)
{
	keypair ec = make_key("EC"), ed = make_key("ED25519"), other = make_key("EC");
	oci_sig good_ec = sign_with(&ec, payload_of("r.io/app", "sha256:" HEXA));
	oci_sig good_ed = sign_with(&ed, payload_of("r.io/app:v1", "sha256:" HEXA));
	oci_sig by_other = sign_with(&other, payload_of("r.io/app", "sha256:" HEXA));
	oci_sig other_digest = sign_with(&ec, payload_of("r.io/app", "sha256:" HEXB));
	oci_sig other_repo = sign_with(&ec, payload_of("r.io/evil", "sha256:" HEXA));
	oci_sig garbage = sign_with(&ec, strdup("{}"));
	oci_sig tampered = sign_with(&ec, payload_of("r.io/app", "sha256:" HEXA));
	tampered.sig[tampered.sig_len / 2] ^= 1;
	oci_sig broken = {.problem = "no dev.cosignproject.cosign/signature annotation"};
	const char *repo = "{\"type\":\"matchRepository\"}";

	fake_sigs f = {.v = &good_ec, .n = 1, .found = true};
	verdict(&ec, repo, "r.io/app:v1", &f, "");
	ck_assert_int_eq(f.calls, 1);
	f.v = &good_ed;
	verdict(&ed, NULL, "r.io/app:v1", &f, "");
	verdict(&ed, "{\"type\":\"matchExact\"}", "r.io/app:v2", &f,
		"signed identity 'r.io/app:v1' does not match (signedIdentity matchExact)");
	f.v = &by_other;
	verdict(&ec, repo, "r.io/app:v1", &f, "signature 1: not signed by the policy's key");
	f.v = &other_digest;
	verdict(&ec, repo, "r.io/app:v1", &f,
		"signs manifest sha256:" HEXB ", not the pulled sha256:" HEXA);
	f.v = &other_repo;
	verdict(&ec, repo, "r.io/app:v1", &f, "signed identity 'r.io/evil' does not match");
	f.v = &garbage;
	verdict(&ec, repo, "r.io/app:v1", &f, "invalid payload: payload.critical: missing");
	f.v = &tampered;
	verdict(&ec, repo, "r.io/app:v1", &f, "not signed by the policy's key");
	f.v = &broken;
	verdict(&ec, repo, "r.io/app:v1", &f, "signature 1: no dev.cosignproject");
	/* the cosign default identity (repository only) fails the default rule for a tag */
	f.v = &good_ec;
	verdict(&ec, NULL, "r.io/app:v1", &f,
		"does not match (signedIdentity "
		"matchRepoDigestOrExact)");
	verdict(&ec, NULL, "r.io/app@sha256:" HEXA, &f, "");
	/* none, or a tag without signatures */
	f.n = 0;
	f.found = false;
	verdict(&ec, repo, "r.io/app:v1", &f,
		"a signature is required, and there is none (no tag "
		"sha256-" HEXA ".sig, no cosign referrers)");
	f.found = true;
	verdict(&ec, repo, "r.io/app:v1", &f, "no simple-signing layer in the signature manifests");
	/* several: any one good one is enough; all bad lists every reason */
	oci_sig mix[] = {by_other, other_digest, good_ec};
	f.v = mix;
	f.n = 3;
	verdict(&ec, repo, "r.io/app:v1", &f, "");
	f.n = 2;
	verdict(&ec, repo, "r.io/app:v1", &f,
		"none of the 2 signatures is accepted: signature 1: not signed by the policy's "
		"key; signature 2: signs manifest");
	oci_sig all[] = {good_ec, good_ed, by_other, other_digest, other_repo, garbage, tampered};
	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		free(all[i].payload);
		free(all[i].sig);
	}
	keypair_free(&ec);
	keypair_free(&ed);
	keypair_free(&other);
}
END_TEST

START_TEST(requirements_and_refusals)
{
	oci_policy p;
	oci_ref r = ref_of("r.io/app:v1");
	oci_digest d;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_digest_parse("sha256:" HEXA, &d, &err), 0);
	fake_sigs f = {0};
	/* all requirements of a scope must hold; signatures are fetched only when needed */
	parse_policy(&p,
		     "{\"default\":[{\"type\":\"insecureAcceptAnything\"},{\"type\":\"reject\"}]}");
	ck_assert_int_lt(oci_policy_check(&p, &r, &d, give_sigs, &f, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "the scope rejects every image"));
	ck_assert_int_eq(f.calls, 0);
	oci_policy_release(&p);
	parse_policy(&p, "{\"default\":[{\"type\":\"insecureAcceptAnything\"}],\"transports\":{"
			 "\"docker\":{\"r.io\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\","
			 "\"keyPath\":\"/k\"}],\"s.io\":[{\"type\":\"sigstoreSigned\",\"fulcio\":{}"
			 "}]}}}");
	ck_assert_int_lt(oci_policy_check(&p, &r, &d, give_sigs, &f, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(err.msg, "signedBy (GPG simple signing) is not supported"));
	oci_ref s = ref_of("s.io/x:1");
	ck_assert_int_lt(oci_policy_check(&p, &s, &d, give_sigs, &f, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "fulcio is not supported"));
	oci_ref q = ref_of("q.io/x:1");
	ck_assert_int_eq(oci_policy_check(&p, &q, &d, give_sigs, &f, &err), 0);
	oci_policy_release(&p);

	policy_bad("{}", "default: missing");
	policy_bad("{\"default\":[]}", "default: no requirements");
	policy_bad("{\"default\":[{\"type\":\"accept\"}]}", "unknown requirement type 'accept'");
	policy_bad("{\"default\":[{\"type\":\"reject\",\"why\":1}]}", "unknown key 'why'");
	policy_bad("{\"default\":[{\"type\":\"sigstoreSigned\"}]}", "needs exactly one of");
	policy_bad(
	    "{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/a\",\"keyPaths\":[\"/b"
	    "\"]}]}",
	    "needs exactly one of");
	policy_bad("{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPaths\":[]}]}", "1 to 64 keys");
	policy_bad(
	    "{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/a\",\"signedIdentity\":"
	    "{\"type\":\"matchAnything\"}}]}",
	    "unknown identity type 'matchAnything'");
	policy_bad(
	    "{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/a\",\"signedIdentity\":"
	    "{\"type\":\"exactReference\",\"dockerReference\":\"r.io/app\"}}]}",
	    "is not a qualified reference with a tag or digest");
	policy_bad(
	    "{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/a\",\"signedIdentity\":"
	    "{\"type\":\"matchRepository\",\"dockerRepository\":\"r.io/app\"}}]}",
	    "a field that matchRepository does not take");
	policy_bad(
	    "{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/a\",\"signedIdentity\":"
	    "{\"type\":\"remapIdentity\",\"prefix\":\"r.io/a:b\",\"signedPrefix\":\"s.io\"}}]}",
	    "prefix and signedPrefix must be");
	policy_bad("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"docker.io/"
		   "busybox\":[{\"type\":\"reject\"}]}}}",
		   "not a docker scope");
	policy_bad(
	    "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"r.io\":{}}}}",
	    "expected an array of requirements");

	/* keys: only P-256 and Ed25519 */
	EVP_PKEY *k384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_PUBKEY(b, k384);
	char *pem;
	long n = BIO_get_mem_data(b, &pem);
	ck_assert_ptr_null(oci_sig_load_key(pem, (size_t)n, "key", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "EC secp384r1 key is not supported"));
	ck_assert_ptr_null(oci_sig_load_key("junk", 4, "key", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "not a PEM public key"));
	BIO_free(b);
	EVP_PKEY_free(k384);
	unsigned char *raw;
	size_t rl;
	ck_assert_int_eq(oci_sig_base64_decode("aGk=", 100, &raw, &rl), 0);
	ck_assert_uint_eq(rl, 2);
	free(raw);
	ck_assert_int_lt(oci_sig_base64_decode("aGk", 100, &raw, &rl), 0);
	ck_assert_int_lt(oci_sig_base64_decode("a=Gk", 100, &raw, &rl), 0);
	ck_assert_int_lt(oci_sig_base64_decode("aG k", 100, &raw, &rl), 0);
	ck_assert_int_lt(oci_sig_base64_decode("aGk=aGk=", 4, &raw, &rl), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fetch_policy");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, most_specific_scope_wins);
	tcase_add_test(tc, signed_identities);
	tcase_add_test(tc, payloads_are_strict);
	tcase_add_test(tc, sigstore_verdicts);
	tcase_add_test(tc, requirements_and_refusals);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
