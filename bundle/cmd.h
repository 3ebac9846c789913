/* oci-bundle's commands: spec, edit, validate. main.c parses flags into bundle_opts. */
#ifndef OCI_BUNDLE_CMD_H
#define OCI_BUNDLE_CMD_H

#include <stdbool.h>

#include "bundle/edit.h"
#include "common/error.h"

/* The file oci-unpack --bundle writes next to rootfs/: the image's config blob. */
#define BUNDLE_IMAGE_CONFIG "image-config.json"

typedef struct bundle_opts {
	const char *bundle; /* directory holding config.json; "." by default */
	bool rootless;
	bool force;
	bool from_image;          /* read BUNDLE/image-config.json */
	const char *image_config; /* an image config file ("-" for stdin) */
	bool entrypoint_set;
	bundle_strv entrypoint;
	bundle_edits edits;
	char **operands;
	int n_operands;
} bundle_opts;

int bundle_cmd_spec(bundle_opts *o, oci_error *err);
int bundle_cmd_edit(bundle_opts *o, oci_error *err);
/* Returns the number of problems (printed on stdout), or -1. */
int bundle_cmd_validate(bundle_opts *o, oci_error *err);
#endif
