/* Unit tests for common/media.c: media types, descriptors, manifests, indexes (platform
 * selection) and image configs, for OCI and Docker schema2; schema1 is refused clearly. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/media.h"

#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"
#define H3 "3333333333333333333333333333333333333333333333333333333333333333"
#define H4 "4444444444444444444444444444444444444444444444444444444444444444"

static json_t *load(const char *s)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *j =
	    oci_json_loadb(s, strlen(s), OCI_JSON_MAX_SIZE, OCI_JSON_MAX_DEPTH, "test", &err);
	ck_assert_msg(j != NULL, "%s", err.msg);
	return j;
}

START_TEST(test_kinds)
{
	ck_assert_int_eq(oci_media_kind("application/vnd.oci.image.index.v1+json"), OCI_KIND_INDEX);
	ck_assert_int_eq(
	    oci_media_kind("application/vnd.docker.distribution.manifest.list.v2+json"),
	    OCI_KIND_INDEX);
	ck_assert_int_eq(oci_media_kind("application/vnd.oci.image.manifest.v1+json"),
			 OCI_KIND_MANIFEST);
	ck_assert_int_eq(oci_media_kind("application/vnd.docker.distribution.manifest.v2+json"),
			 OCI_KIND_MANIFEST);
	ck_assert_int_eq(oci_media_kind("application/vnd.oci.image.config.v1+json"),
			 OCI_KIND_CONFIG);
	ck_assert_int_eq(oci_media_kind("application/vnd.docker.container.image.v1+json"),
			 OCI_KIND_CONFIG);
	ck_assert_int_eq(oci_media_kind("application/vnd.docker.distribution.manifest.v1+json"),
			 OCI_KIND_SCHEMA1);
	ck_assert_int_eq(
	    oci_media_kind("application/vnd.docker.distribution.manifest.v1+prettyjws"),
	    OCI_KIND_SCHEMA1);
	ck_assert_int_eq(oci_media_kind("application/vnd.oci.image.layer.v1.tar+zstd"),
			 OCI_KIND_LAYER);
	ck_assert_int_eq(oci_media_kind("application/vnd.docker.image.rootfs.diff.tar.gzip"),
			 OCI_KIND_LAYER);
	ck_assert_int_eq(oci_media_kind("application/json"), OCI_KIND_UNKNOWN);
	ck_assert_int_eq(oci_media_kind("application/vnd.oci.image.manifest.v1+jsonx"),
			 OCI_KIND_UNKNOWN);
	ck_assert_int_eq(oci_media_kind(""), OCI_KIND_UNKNOWN);
	ck_assert_int_eq(oci_media_kind(NULL), OCI_KIND_UNKNOWN);
	/* The Accept header asks for every manifest type we can read, and no schema1. */
	ck_assert_ptr_nonnull(strstr(OCI_MANIFEST_ACCEPT,
				     "application/vnd.docker.distribution.manifest.list.v2+json"));
	ck_assert_ptr_nonnull(
	    strstr(OCI_MANIFEST_ACCEPT, "application/vnd.oci.image.index.v1+json"));
	ck_assert_ptr_null(strstr(OCI_MANIFEST_ACCEPT, "distribution.manifest.v1"));
}
END_TEST

START_TEST(test_layer_info)
{
	static const struct {
		const char *mt;
		int comp;
		bool nd;
	} cases[] = {
	    {"application/vnd.oci.image.layer.v1.tar", OCI_COMP_NONE, false},
	    {"application/vnd.oci.image.layer.v1.tar+gzip", OCI_COMP_GZIP, false},
	    {"application/vnd.oci.image.layer.v1.tar+zstd", OCI_COMP_ZSTD, false},
	    {"application/vnd.oci.image.layer.nondistributable.v1.tar", OCI_COMP_NONE, true},
	    {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", OCI_COMP_GZIP, true},
	    {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", OCI_COMP_ZSTD, true},
	    {"application/vnd.docker.image.rootfs.diff.tar.gzip", OCI_COMP_GZIP, false},
	    {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", OCI_COMP_GZIP, true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int comp = -1;
		bool nd = !cases[i].nd;
		oci_error err = OCI_ERROR_INIT;
		ck_assert_msg(oci_media_layer_info(cases[i].mt, &comp, &nd, &err) == 0, "%s: %s",
			      cases[i].mt, err.msg);
		ck_assert_msg(comp == cases[i].comp, "%s: compression %d", cases[i].mt, comp);
		ck_assert_msg(nd == cases[i].nd, "%s: nondistributable %d", cases[i].mt, nd);
	}
	oci_error err = OCI_ERROR_INIT;
	int comp = 42;
	ck_assert_int_lt(
	    oci_media_layer_info("application/vnd.oci.image.layer.v1.tar+bzip2", &comp, NULL, &err),
	    0);
	ck_assert_int_eq(err.code, OCI_E_UNSUPPORTED);
	ck_assert_str_eq(
	    err.msg, "unsupported layer media type 'application/vnd.oci.image.layer.v1.tar+bzip2'");
	ck_assert_int_eq(comp, 42);
	ck_assert_int_lt(
	    oci_media_layer_info("application/vnd.oci.image.config.v1+json", NULL, NULL, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_UNSUPPORTED);
}
END_TEST

START_TEST(test_platforms)
{
	oci_platform p, q;
	oci_error err = OCI_ERROR_INIT;
	char buf[128];
	ck_assert_int_eq(oci_platform_parse("linux/amd64", &p, &err), 0);
	ck_assert_str_eq(p.os, "linux");
	ck_assert_str_eq(p.arch, "amd64");
	ck_assert_str_eq(p.variant, "");
	ck_assert_int_eq(oci_platform_parse("linux/arm64", &p, &err), 0);
	ck_assert_str_eq(p.variant, "v8"); /* arm64 means arm64/v8 */
	ck_assert_str_eq(oci_platform_str(&p, buf, sizeof(buf)), "linux/arm64/v8");
	ck_assert_int_eq(oci_platform_parse("linux/arm/v7", &p, &err), 0);
	ck_assert_str_eq(oci_platform_str(&p, buf, sizeof(buf)), "linux/arm/v7");
	static const char *bad[] = {"linux",	  "linux/",	    "/amd64",
				    "linux/arm/", "linux/arm/v7/x", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(oci_platform_parse(bad[i], &p, &err) < 0, "'%s' accepted", bad[i]);
		ck_assert_int_eq(err.code, OCI_E_INVALID);
		ck_assert_msg(strstr(err.msg, "invalid platform"), "%s", err.msg);
	}
	/* Matching: arm64 with and without v8 are the same; arm v6 is not v7. */
	oci_platform_parse("linux/arm64", &p, &err);
	memset(&q, 0, sizeof(q));
	strcpy(q.os, "linux");
	strcpy(q.arch, "arm64");
	ck_assert(oci_platform_match(&p, &q));
	strcpy(q.variant, "v8");
	ck_assert(oci_platform_match(&p, &q));
	oci_platform_parse("linux/arm/v7", &p, &err);
	oci_platform_parse("linux/arm/v6", &q, &err);
	ck_assert(!oci_platform_match(&p, &q));
	oci_platform_parse("linux/amd64", &p, &err);
	oci_platform_parse("windows/amd64", &q, &err);
	ck_assert(!oci_platform_match(&p, &q));
	/* The host is something we can name. */
	oci_platform_host(&p);
	ck_assert_str_eq(p.os, "linux");
	ck_assert_int_gt(strlen(p.arch), 0);
	ck_assert_str_ne(p.arch, "x86_64");
}
END_TEST

START_TEST(test_manifest)
{
	oci_manifest m;
	oci_error err = OCI_ERROR_INIT;
	json_t *doc = load(
	    "{\"schemaVersion\": 2, \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\","
	    " \"config\": {\"mediaType\": \"application/vnd.oci.image.config.v1+json\", "
	    "\"digest\": \"sha256:" H1 "\", \"size\": 123},"
	    " \"layers\": ["
	    "  {\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\", \"digest\": "
	    "\"sha256:" H2 "\", \"size\": 1000,"
	    "   \"annotations\": {\"a\": \"b\"}, \"futureKey\": 1},"
	    "  {\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+zstd\", \"digest\": "
	    "\"sha256:" H3 "\", \"size\": 0}],"
	    " \"annotations\": {\"x\": \"y\"}, \"unknown\": [1, 2]}");
	ck_assert_msg(oci_manifest_parse(doc, NULL, &m, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(m.media_type, "application/vnd.oci.image.manifest.v1+json");
	ck_assert_str_eq(m.config.media_type, "application/vnd.oci.image.config.v1+json");
	ck_assert_str_eq(m.config.digest.hex, H1);
	ck_assert_int_eq(m.config.size, 123);
	ck_assert_uint_eq(m.n_layers, 2);
	ck_assert_str_eq(m.layers[0].digest.hex, H2);
	ck_assert_int_eq(m.layers[0].size, 1000);
	ck_assert_str_eq(json_string_value(json_object_get(m.layers[0].annotations, "a")), "b");
	ck_assert_str_eq(m.layers[1].media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
	oci_manifest_release(&m);
	ck_assert_ptr_null(m.layers);

	/* Docker schema2, with the type given by the transport and none in the document. */
	json_object_del(doc, "mediaType");
	ck_assert_msg(oci_manifest_parse(doc,
					 "application/vnd.docker.distribution.manifest.v2+json", &m,
					 &err) == 0,
		      "%s", err.msg);
	ck_assert_str_eq(m.media_type, "application/vnd.docker.distribution.manifest.v2+json");
	oci_manifest_release(&m);
	/* OCI may omit mediaType altogether. */
	ck_assert_int_eq(oci_manifest_parse(doc, NULL, &m, &err), 0);
	ck_assert_str_eq(m.media_type, "application/vnd.oci.image.manifest.v1+json");
	oci_manifest_release(&m);

	/* The transport and the document must agree. */
	json_object_set_new(doc, "mediaType",
			    json_string("application/vnd.oci.image.manifest.v1+json"));
	ck_assert_int_lt(oci_manifest_parse(
			     doc, "application/vnd.docker.distribution.manifest.v2+json", &m, &err),
			 0);
	ck_assert_msg(strstr(err.msg, "media type mismatch"), "%s", err.msg);
	/* An index is not a manifest. */
	ck_assert_int_lt(
	    oci_manifest_parse(doc, "application/vnd.oci.image.index.v1+json", &m, &err), 0);
	json_decref(doc);
}
END_TEST

/* A manifest's config descriptor with the given size (JSON text). */
#define CONFIG(size)                                                                               \
	"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","                  \
	"\"digest\":\"sha256:" H1 "\",\"size\":" size "}"
#define TAR_LAYER "\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\""

START_TEST(test_manifest_errors_name_the_path)
{
	static const struct {
		const char *doc;
		const char *msg;
	} cases[] = {
	    {"{\"schemaVersion\":2,\"layers\":[]}", "config: missing"},
	    {"{\"schemaVersion\":2," CONFIG("1") "}", "layers: missing"},
	    {"{\"schemaVersion\":2," CONFIG("1") ",\"layers\":{}}", "layers: expected an array"},
	    {"{\"schemaVersion\":2," CONFIG("\"1\"") ",\"layers\":[]}",
	     "config.size: expected an integer"},
	    {"{\"schemaVersion\":2," CONFIG("-1") ",\"layers\":[]}", "config.size: negative"},
	    {"{\"schemaVersion\":2," CONFIG(
		 "1") ",\"layers\":[{" TAR_LAYER
		      ",\"digest\":\"sha256:../../etc/passwd\",\"size\":1}]}",
	     "layers[0].digest: invalid digest"},
	    {"{\"schemaVersion\":2," CONFIG("1") ",\"layers\":[{" TAR_LAYER
						 ",\"digest\":\"sha256:" H2
						 "\",\"size\":1},\"oops\"]}",
	     "layers[1]: expected an object"},
	    {"{\"schemaVersion\":2," CONFIG("1") ",\"layers\":[{\"digest\":\"sha256:" H2
						 "\",\"size\":1}]}",
	     "layers[0].mediaType: missing"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		oci_manifest m;
		oci_error err = OCI_ERROR_INIT;
		json_t *doc = load(cases[i].doc);
		ck_assert_msg(oci_manifest_parse(doc, NULL, &m, &err) < 0, "case %zu accepted", i);
		ck_assert_msg(strstr(err.msg, cases[i].msg), "case %zu: '%s' lacks '%s'", i,
			      err.msg, cases[i].msg);
		ck_assert_ptr_null(m.doc);
		json_decref(doc);
	}
}
END_TEST

START_TEST(test_schema1_refused)
{
	oci_manifest m;
	oci_index idx;
	oci_error err = OCI_ERROR_INIT;
	json_t *doc =
	    load("{\"schemaVersion\": 1, \"name\": \"library/busybox\", \"tag\": \"latest\","
		 " \"architecture\": \"amd64\", \"fsLayers\": [{\"blobSum\": \"sha256:" H1 "\"}],"
		 " \"history\": [], \"signatures\": []}");
	ck_assert_int_lt(oci_manifest_parse(doc, NULL, &m, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_UNSUPPORTED);
	ck_assert_msg(strstr(err.msg, "schema 1"), "%s", err.msg);
	oci_err_clear(&err);
	ck_assert_int_lt(
	    oci_manifest_parse(doc, "application/vnd.docker.distribution.manifest.v1+prettyjws", &m,
			       &err),
	    0);
	ck_assert_int_eq(err.code, OCI_E_UNSUPPORTED);
	ck_assert_msg(strstr(err.msg, "schema 1"), "%s", err.msg);
	oci_err_clear(&err);
	ck_assert_int_lt(oci_index_parse(doc, NULL, &idx, &err), 0);
	ck_assert_msg(strstr(err.msg, "schema 1"), "%s", err.msg);
	json_decref(doc);
	/* Announced as schema1 by the registry even if the body looks otherwise. */
	doc = load("{\"schemaVersion\": 2, \"config\": {}, \"layers\": []}");
	oci_err_clear(&err);
	ck_assert_int_lt(oci_manifest_parse(
			     doc, "application/vnd.docker.distribution.manifest.v1+json", &m, &err),
			 0);
	ck_assert_int_eq(err.code, OCI_E_UNSUPPORTED);
	ck_assert_msg(strstr(err.msg, "schema 1"), "%s", err.msg);
	json_decref(doc);
}
END_TEST

/* An index entry: a descriptor with a platform (variant may be NULL). */
static json_t *entry(const char *mt, const char *hex, const char *os, const char *arch,
		     const char *variant)
{
	json_t *e =
	    json_pack("{s:s,s:s+,s:i,s:{s:s,s:s}}", "mediaType", mt, "digest", "sha256:", hex,
		      "size", 500, "platform", "os", os, "architecture", arch);
	ck_assert_ptr_nonnull(e);
	if (variant)
		json_object_set_new(json_object_get(e, "platform"), "variant",
				    json_string(variant));
	return e;
}

START_TEST(test_index_select)
{
	oci_index idx;
	oci_platform want;
	const oci_descriptor *d = NULL;
	oci_error err = OCI_ERROR_INIT;
	json_t *doc = json_pack(
	    "{s:i,s:s,s:[o,o,o,o]}", "schemaVersion", 2, "mediaType",
	    "application/vnd.oci.image.index.v1+json", "manifests",
	    entry("application/vnd.oci.image.manifest.v1+json", H1, "linux", "amd64", NULL),
	    entry("application/vnd.oci.image.manifest.v1+json", H2, "linux", "arm64", NULL),
	    entry("application/vnd.oci.image.manifest.v1+json", H3, "linux", "arm", "v6"),
	    entry("application/vnd.oci.image.manifest.v1+json", H4, "unknown", "unknown", NULL));
	ck_assert_msg(oci_index_parse(doc, NULL, &idx, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(idx.n_manifests, 4);
	ck_assert(idx.manifests[0].has_platform);

	oci_platform_parse("linux/amd64", &want, &err);
	ck_assert_int_eq(oci_index_select(&idx, &want, &d, &err), 0);
	ck_assert_str_eq(d->digest.hex, H1);
	oci_platform_parse("linux/arm64", &want, &err);
	ck_assert_int_eq(oci_index_select(&idx, &want, &d, &err), 0);
	ck_assert_str_eq(d->digest.hex, H2);
	oci_platform_parse("linux/arm64/v8", &want, &err);
	ck_assert_int_eq(oci_index_select(&idx, &want, &d, &err), 0);
	ck_assert_str_eq(d->digest.hex, H2);
	oci_platform_parse("linux/arm/v6", &want, &err);
	ck_assert_int_eq(oci_index_select(&idx, &want, &d, &err), 0);
	ck_assert_str_eq(d->digest.hex, H3);

	d = NULL;
	oci_platform_parse("linux/arm/v7", &want, &err);
	ck_assert_int_lt(oci_index_select(&idx, &want, &d, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_NOTFOUND);
	ck_assert_str_eq(err.msg, "no image for platform linux/arm/v7 (available: linux/amd64, "
				  "linux/arm64, linux/arm/v6)");
	ck_assert_ptr_null(d);
	oci_platform_parse("linux/s390x", &want, &err);
	ck_assert_int_lt(oci_index_select(&idx, &want, &d, &err), 0);
	ck_assert_msg(strstr(err.msg, "linux/s390x"), "%s", err.msg);
	oci_index_release(&idx);
	json_decref(doc);

	/* A Docker manifest list works the same; nested indexes are not picked as images. */
	doc =
	    json_pack("{s:i,s:s,s:[o,o]}", "schemaVersion", 2, "mediaType",
		      "application/vnd.docker.distribution.manifest.list.v2+json", "manifests",
		      entry("application/vnd.oci.image.index.v1+json", H1, "linux", "amd64", NULL),
		      entry("application/vnd.docker.distribution.manifest.v2+json", H2, "linux",
			    "amd64", NULL));
	ck_assert_msg(oci_index_parse(doc, NULL, &idx, &err) == 0, "%s", err.msg);
	oci_platform_parse("linux/amd64", &want, &err);
	ck_assert_int_eq(oci_index_select(&idx, &want, &d, &err), 0);
	ck_assert_str_eq(d->digest.hex, H2);
	oci_index_release(&idx);
	json_decref(doc);

	/* Errors name the entry. */
	json_t *noarch =
	    entry("application/vnd.oci.image.manifest.v1+json", H2, "linux", "x", NULL);
	json_object_del(json_object_get(noarch, "platform"), "architecture");
	doc = json_pack(
	    "{s:i,s:[o,o]}", "schemaVersion", 2, "manifests",
	    entry("application/vnd.oci.image.manifest.v1+json", H1, "linux", "amd64", NULL),
	    noarch);
	ck_assert_int_lt(oci_index_parse(doc, NULL, &idx, &err), 0);
	ck_assert_msg(strstr(err.msg, "manifests[1].platform.architecture: missing"), "%s",
		      err.msg);
	json_decref(doc);
	doc =
	    load("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\"}");
	ck_assert_int_lt(oci_index_parse(doc, NULL, &idx, &err), 0);
	ck_assert_msg(strstr(err.msg, "manifests: missing"), "%s", err.msg);
	json_decref(doc);
}
END_TEST

START_TEST(test_descriptor_round_trip)
{
	oci_descriptor d, back;
	oci_error err = OCI_ERROR_INIT;
	json_t *j = entry("application/vnd.oci.image.manifest.v1+json", H1, "linux", "arm", "v7");
	json_object_set_new(j, "annotations",
			    json_pack("{s:s}", "org.opencontainers.image.ref.name", "v1"));
	ck_assert_int_eq(oci_descriptor_parse(j, "manifests[0]", &d, &err), 0);
	json_t *out = oci_descriptor_to_json(&d, &err);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(oci_descriptor_parse(out, "x", &back, &err), 0);
	ck_assert_str_eq(back.media_type, "application/vnd.oci.image.manifest.v1+json");
	ck_assert(oci_digest_equal(&back.digest, &d.digest));
	ck_assert_int_eq(back.size, 500);
	ck_assert(back.has_platform);
	ck_assert_str_eq(back.platform.variant, "v7");
	ck_assert_str_eq(json_string_value(json_object_get(back.annotations,
							   "org.opencontainers.image.ref.name")),
			 "v1");
	json_decref(out);
	json_decref(j);
}
END_TEST

START_TEST(test_image_config)
{
	oci_image_config c;
	oci_error err = OCI_ERROR_INIT;
	json_t *doc = load("{\"architecture\":\"amd64\",\"os\":\"linux\","
			   "\"config\":{\"Entrypoint\":[\"/bin/sh\"],\"Env\":[\"PATH=/bin\"]},"
			   "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" H1
			   "\",\"sha256:" H2 "\"]},"
			   "\"history\":[{\"created_by\":\"x\"}]}");
	ck_assert_msg(oci_image_config_parse(doc, &c, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(c.os, "linux");
	ck_assert_str_eq(c.arch, "amd64");
	ck_assert_uint_eq(c.n_diff_ids, 2);
	ck_assert_str_eq(c.diff_ids[0].hex, H1);
	ck_assert_str_eq(c.diff_ids[1].hex, H2);
	ck_assert_ptr_nonnull(c.config);
	ck_assert_ptr_nonnull(json_object_get(c.config, "Entrypoint"));
	oci_image_config_release(&c);
	json_decref(doc);

	static const struct {
		const char *doc;
		const char *msg;
	} bad[] = {
	    {"{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" H1 "\",\"sha256:XYZ\"]}}",
	     "image config: rootfs.diff_ids[1]: invalid digest"},
	    {"{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[7]}}",
	     "image config: rootfs.diff_ids[0]: expected a string"},
	    {"{\"rootfs\":{\"type\":\"layers\"}}", "rootfs.diff_ids: missing"},
	    {"{\"rootfs\":{\"type\":\"zfs\",\"diff_ids\":[]}}", "rootfs.type: expected \"layers\""},
	    {"{\"os\":\"linux\"}", "rootfs: missing"},
	    {"{\"os\":1,\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
	     "os: expected a string"},
	    {"[]", "image config: expected an object"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		doc = load(bad[i].doc);
		ck_assert_msg(oci_image_config_parse(doc, &c, &err) < 0, "case %zu accepted", i);
		ck_assert_msg(strstr(err.msg, bad[i].msg), "case %zu: '%s' lacks '%s'", i, err.msg,
			      bad[i].msg);
		ck_assert_ptr_null(c.diff_ids);
		json_decref(doc);
	}
}
END_TEST

static Suite *media_suite(void)
{
	Suite *s = suite_create("media");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_kinds);
	tcase_add_test(tc, test_layer_info);
	tcase_add_test(tc, test_platforms);
	tcase_add_test(tc, test_manifest);
	tcase_add_test(tc, test_manifest_errors_name_the_path);
	tcase_add_test(tc, test_schema1_refused);
	tcase_add_test(tc, test_index_select);
	tcase_add_test(tc, test_descriptor_round_trip);
	tcase_add_test(tc, test_image_config);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(media_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
