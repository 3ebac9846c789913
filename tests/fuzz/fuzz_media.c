/* Fuzz the image-spec documents (common/media.c) behind the bounded JSON loader
 * (common/json.c): one registry or image document is read as a manifest, an index (with the
 * platform choice), an image config and a descriptor, as oci-fetch and oci-unpack do with
 * whatever a registry or an archive sends. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	oci_error err = OCI_ERROR_INIT;
	json_t *doc = oci_json_loadb((const char *)data, size, OCI_JSON_MAX_SIZE,
				     OCI_JSON_MAX_DEPTH, "fuzz", &err);
	if (!doc)
		return 0;
	(void)oci_json_depth(doc);
	const char *mt = json_string_value(json_object_get(doc, "mediaType"));
	if (mt) {
		int comp;
		bool nd;
		(void)oci_media_kind(mt);
		(void)oci_media_layer_info(mt, &comp, &nd, &err);
	}

	oci_manifest m;
	memset(&m, 0, sizeof(m));
	if (oci_manifest_parse(doc, NULL, &m, &err) == 0) {
		json_t *j = oci_descriptor_to_json(&m.config, &err);
		if (j)
			json_decref(j);
		for (size_t i = 0; i < m.n_layers; i++) {
			int comp;
			bool nd;
			(void)oci_media_layer_info(m.layers[i].media_type, &comp, &nd, &err);
		}
		oci_manifest_release(&m);
	}
	memset(&m, 0, sizeof(m));
	if (oci_manifest_parse(doc, DOCKER_MT_MANIFEST, &m, &err) == 0)
		oci_manifest_release(&m);

	oci_index idx;
	memset(&idx, 0, sizeof(idx));
	if (oci_index_parse(doc, NULL, &idx, &err) == 0) {
		oci_platform want;
		const oci_descriptor *pick;
		char pbuf[256];
		oci_platform_host(&want);
		(void)oci_index_select(&idx, &want, &pick, &err);
		for (size_t i = 0; i < idx.n_manifests; i++)
			oci_platform_str(&idx.manifests[i].platform, pbuf, sizeof(pbuf));
		if (oci_platform_parse("linux/arm/v7", &want, &err) == 0)
			(void)oci_index_select(&idx, &want, &pick, &err);
		oci_index_release(&idx);
	}

	oci_image_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	if (oci_image_config_parse(doc, &cfg, &err) == 0)
		oci_image_config_release(&cfg);

	oci_descriptor d;
	if (oci_descriptor_parse(doc, "fuzz", &d, &err) == 0) {
		json_t *j = oci_descriptor_to_json(&d, &err);
		if (j)
			json_decref(j);
	}
	oci_platform p;
	const char *os = json_string_value(json_object_get(doc, "os"));
	if (os)
		(void)oci_platform_parse(os, &p, &err);
	json_decref(doc);
	return 0;
}
