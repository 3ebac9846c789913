/* Fuzz the signature policy (fetch/policy.c) and cosign signatures (fetch/signature.c): one
 * input is a policy.json, a signature manifest and a payload. The policy is parsed and its
 * scope chosen for a few references; the signature manifest is read with the payload as every
 * layer's blob; the payload is parsed; and when the policy names no key file (the harness
 * reads no files), the whole check runs on those signatures. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "fetch/policy.h"
#include "tests/fuzz/fuzz_util.h"

typedef struct input {
	char *manifest, *payload;
	size_t manifest_len, payload_len;
} input;

static int give_payload(void *ctx, const oci_descriptor *d, char **body, size_t *len,
			oci_error *err)
{
	input *in = ctx;
	if (in->payload_len > OCI_SIG_PAYLOAD_MAX)
		return oci_err(err, OCI_E_LIMIT, "payload over the limit");
	*body = malloc(in->payload_len + 1);
	if (!*body)
		return oci_err(err, OCI_E_IO, "out of memory");
	memcpy(*body, in->payload, in->payload_len + 1);
	*len = in->payload_len;
	return 0;
}

static int give_sigs(void *ctx, const oci_digest *d, oci_sigs *out, oci_error *err)
{
	input *in = ctx;
	memset(out, 0, sizeof(*out));
	out->found = true;
	if (oci_sig_parse_manifest(in->manifest, in->manifest_len, give_payload, in, out, err) <
	    0) {
		oci_sigs_release(out);
		return -1;
	}
	return 0;
}

static bool reads_files(const oci_policy *p)
{
	for (size_t i = 0; i <= p->n_docker; i++) {
		const oci_policy_scope *s = i < p->n_docker ? &p->docker[i] : &p->def;
		for (size_t k = 0; k < s->n; k++)
			if (s->reqs[k].key_paths)
				return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *parts[3];
	size_t lens[3];
	fuzz_split(data, size, parts, lens, 3);
	input in = {parts[1], parts[2], lens[1], lens[2]};
	oci_error err = OCI_ERROR_INIT;
	oci_sig_claim claim;
	(void)oci_sig_parse_payload(parts[2], lens[2], &claim, &err);
	oci_sigs sigs;
	if (give_sigs(&in, NULL, &sigs, &err) == 0)
		oci_sigs_release(&sigs);
	oci_policy p;
	if (oci_policy_parse(&p, parts[0], lens[0], "fuzz", &err) == 0) {
		static const char *const refs[] = {
		    "r.io/ns/app:v1", "a.sub.example.com:5000/x",
		    "docker.io/library/busybox@sha256:"
		    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};
		oci_digest d;
		(void)oci_digest_parse(
		    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", &d,
		    &err);
		p.path = strdup("fuzz");
		for (size_t i = 0; i < ARRAY_SIZE(refs); i++) {
			oci_ref r;
			if (oci_ref_parse(refs[i], &r, &err) < 0)
				abort();
			if (!oci_policy_scope_for(&p, &r))
				abort();
			if (!reads_files(&p))
				(void)oci_policy_check(&p, &r, &d, give_sigs, &in, &err);
		}
		oci_policy_release(&p);
	}
	fuzz_parts_free(parts, 3);
	return 0;
}
