/* Media types and the image-spec documents: descriptors, manifests, indexes, image configs,
 * for OCI and Docker schema2 (schema1 is recognised and refused with a clear message). */
#ifndef OCI_MEDIA_H
#define OCI_MEDIA_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/digest.h"
#include "common/error.h"

#define OCI_MT_INDEX		"application/vnd.oci.image.index.v1+json"
#define OCI_MT_MANIFEST		"application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_CONFIG		"application/vnd.oci.image.config.v1+json"
#define OCI_MT_LAYER		"application/vnd.oci.image.layer.v1.tar"
#define OCI_MT_LAYER_GZIP	"application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_MT_LAYER_ZSTD	"application/vnd.oci.image.layer.v1.tar+zstd"
#define OCI_MT_LAYER_ND		"application/vnd.oci.image.layer.nondistributable.v1.tar"
#define OCI_MT_LAYER_ND_GZIP	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
#define OCI_MT_LAYER_ND_ZSTD	"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
#define DOCKER_MT_LIST		"application/vnd.docker.distribution.manifest.list.v2+json"
#define DOCKER_MT_MANIFEST	"application/vnd.docker.distribution.manifest.v2+json"
#define DOCKER_MT_SCHEMA1	"application/vnd.docker.distribution.manifest.v1+json"
#define DOCKER_MT_SCHEMA1_SIG	"application/vnd.docker.distribution.manifest.v1+prettyjws"
#define DOCKER_MT_CONFIG	"application/vnd.docker.container.image.v1+json"
#define DOCKER_MT_LAYER_GZIP	"application/vnd.docker.image.rootfs.diff.tar.gzip"
#define DOCKER_MT_LAYER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

#define OCI_ANNOT_REF_NAME "org.opencontainers.image.ref.name"
/* Layers of one image, in a manifest and in a config's rootfs.diff_ids (a docker save archive
 * has no manifest to cap them): far above any real image (docker stops at 127). */
#define OCI_MEDIA_MAX_LAYERS 1000

/* Accept header value for manifest requests: every manifest and index type we read. */
#define OCI_MANIFEST_ACCEPT                                                                        \
	OCI_MT_INDEX ", " OCI_MT_MANIFEST ", " DOCKER_MT_LIST ", " DOCKER_MT_MANIFEST

enum oci_media_kind {
	OCI_KIND_UNKNOWN = 0,
	OCI_KIND_INDEX,	   /* OCI index or Docker manifest list */
	OCI_KIND_MANIFEST, /* OCI manifest or Docker schema2 */
	OCI_KIND_CONFIG,
	OCI_KIND_LAYER,
	OCI_KIND_SCHEMA1,
};

enum oci_compression { OCI_COMP_NONE = 0, OCI_COMP_GZIP, OCI_COMP_ZSTD };

int oci_media_kind(const char *media_type);
/* For a layer media type: its compression, whether it is non-distributable/foreign.
 * Returns -1 (OCI_E_UNSUPPORTED) for a type that is not a known layer type. */
int oci_media_layer_info(const char *media_type, int *compression, bool *nondistributable,
			 oci_error *err);

typedef struct oci_platform {
	char os[32];
	char arch[32];
	char variant[16];
	char os_version[64];
} oci_platform;

/* The host's platform (linux/amd64, linux/arm64/v8, ...). */
void oci_platform_host(oci_platform *p);
/* "os/arch[/variant]"; arm64 without a variant means v8. */
int oci_platform_parse(const char *s, oci_platform *p, oci_error *err);
const char *oci_platform_str(const oci_platform *p, char *buf, size_t len);
/* Whether an index entry's platform satisfies the wanted one (variant defaults compared). */
bool oci_platform_match(const oci_platform *want, const oci_platform *have);

typedef struct oci_descriptor {
	char media_type[128];
	oci_digest digest;
	int64_t size;
	bool has_platform;
	oci_platform platform;
	json_t *annotations; /* borrowed from the parsed document, may be NULL */
	json_t *urls;	     /* borrowed, may be NULL */
} oci_descriptor;

/* Parse a descriptor object; path names it in errors ("layers[2]"). */
int oci_descriptor_parse(json_t *j, const char *path, oci_descriptor *d, oci_error *err);
/* Build a JSON descriptor {mediaType,digest,size[,annotations]} (new reference). */
json_t *oci_descriptor_to_json(const oci_descriptor *d, oci_error *err);

typedef struct oci_manifest {
	json_t *doc; /* owns the parsed document */
	char media_type[128];
	oci_descriptor config;
	size_t n_layers;
	oci_descriptor *layers;
} oci_manifest;

/* Parse a manifest; media_type is from the HTTP Content-Type or descriptor (may be NULL, then
 * the document's mediaType is used). Schema1 is refused with OCI_E_UNSUPPORTED. Takes a
 * reference to doc. */
int oci_manifest_parse(json_t *doc, const char *media_type, oci_manifest *m, oci_error *err);
void oci_manifest_release(oci_manifest *m);

typedef struct oci_index {
	json_t *doc;
	char media_type[128];
	size_t n_manifests;
	oci_descriptor *manifests;
} oci_index;

int oci_index_parse(json_t *doc, const char *media_type, oci_index *idx, oci_error *err);
void oci_index_release(oci_index *idx);
/* Pick the entry for the platform; on no match the error lists the available platforms. */
int oci_index_select(const oci_index *idx, const oci_platform *want, const oci_descriptor **out,
		     oci_error *err);

typedef struct oci_image_config {
	json_t *doc;
	json_t *config; /* the "config" object (Entrypoint, Cmd, Env, ...), may be NULL */
	size_t n_diff_ids;
	oci_digest *diff_ids;
	char os[32];
	char arch[32];
} oci_image_config;

int oci_image_config_parse(json_t *doc, oci_image_config *c, oci_error *err);
void oci_image_config_release(oci_image_config *c);
#endif
