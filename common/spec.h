/* The runtime-spec model shared by oci-bundle and oci-run: runc's default config.json,
 * a config derived from an image config, and validation beyond the JSON schema. */
#ifndef OCI_SPEC_H
#define OCI_SPEC_H

#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"

/* The runtime-spec version this toolkit implements (config.json ociVersion, state JSON). */
#define OCI_RUNTIME_SPEC_VERSION "1.2.0"

/* runc spec's default config (rootless: runc spec --rootless for the calling uid/gid). */
json_t *oci_spec_default(bool rootless, oci_error *err);

/* Options for deriving a process from an image config ("config" object of the image config). */
typedef struct oci_spec_image_opts {
	char **entrypoint; /* overrides the image Entrypoint when non-NULL (may be empty vector) */
	char **args;       /* overrides the image Cmd when non-NULL */
	char **env;        /* K=V on top of the image's Env */
	const char *user;  /* overrides the image User */
	const char *cwd;   /* overrides WorkingDir */
} oci_spec_image_opts;

/* Apply an image config to spec: process.args/env/cwd/user (resolved through rootfs_fd's
 * /etc/passwd and /etc/group, read safely inside the rootfs), annotations from StopSignal,
 * Labels and ExposedPorts, Volumes. rootfs_fd may be -1 when User is numeric. */
int oci_spec_apply_image(json_t *spec, json_t *image_config, int rootfs_fd, const oci_spec_image_opts *opts,
			 oci_error *err);

/* Validate config.json: schema-level types plus the rules a schema cannot express. Every
 * problem is appended to problems (a JSON array) as a string "json.path: message". bundle_dirfd
 * (or -1) is used to check that root.path exists. Returns the number of problems, -1 on error. */
int oci_spec_validate(json_t *spec, int bundle_dirfd, json_t *problems, oci_error *err);
#endif
