/* oci-bundle's commands: spec, edit, validate. main.c parses flags into oci_bundle_opts. */
#ifndef OCI_BUNDLE_CMD_H
#define OCI_BUNDLE_CMD_H

#include <stdbool.h>

#include "bundle/edit.h"
#include "common/error.h"

/* The file oci-unpack --bundle writes next to rootfs/: the image's config blob. */
#define BUNDLE_IMAGE_CONFIG "image-config.json"

typedef struct oci_bundle_opts {
	const char *bundle; /* directory holding config.json; "." by default */
	bool rootless;
	bool force;
	bool from_image;	  /* read BUNDLE/image-config.json */
	const char *image_config; /* an image config file ("-" for stdin) */
	bool entrypoint_set;
	oci_bundle_strv entrypoint;
	oci_bundle_edits edits;
	char **operands;
	int n_operands;
} oci_bundle_opts;

int oci_bundle_cmd_spec(oci_bundle_opts *o, oci_error *err);
int oci_bundle_cmd_edit(oci_bundle_opts *o, oci_error *err);
/* Returns the number of problems (printed on stdout), or -1. */
int oci_bundle_cmd_validate(oci_bundle_opts *o, oci_error *err);
#endif
