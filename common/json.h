/* JSON over jansson: bounded loading and typed getters that name the JSON path in errors.
 *
 * Unknown keys are ignored (the OCI specs require readers to); known keys with the wrong
 * type are errors such as "process.args[1]: expected a string". */
#ifndef OCI_JSON_H
#define OCI_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

#define OCI_JSON_MAX_SIZE  (4u << 20) /* manifests, configs, index: 4 MiB */
#define OCI_JSON_MAX_DEPTH 64

static inline void oci_json_decrefp(json_t **j)
{
	if (*j)
		json_decref(*j);
}
#define cleanup_json __attribute__((cleanup(oci_json_decrefp)))

/* Parse buf (len bytes) refusing more than max_size bytes or nesting deeper than max_depth.
 * what names the document in errors ("manifest sha256:..."). */
json_t *oci_json_loadb(const char *buf, size_t len, size_t max_size, int max_depth,
		       const char *what, oci_error *err);
json_t *oci_json_load_fd(int fd, size_t max_size, const char *what, oci_error *err);
/* A JSON file the tools keep or find in a directory (a bundle's config.json, a state file, a
 * checkpoint's records): opened only once known to be a regular file, so a FIFO or a device
 * put there never blocks or acts on being opened ("'PATH' is not a regular file"). */
json_t *oci_json_load_file_at(int dirfd, const char *path, size_t max_size, oci_error *err);
/* A file the caller named on the command line (exec --process, --image-config), opened by
 * oci_open_named: it may be a pipe (`--process <(...)`, /dev/stdin), as with runc and umoci,
 * but no FIFO, symlink or hard link another user put in a directory of theirs. */
json_t *oci_json_load_named(const char *path, size_t max_size, oci_error *err);

/* Nesting depth of a parsed value (a scalar is 0). */
int oci_json_depth(const json_t *j);

/* Typed getters. path is the JSON path of obj ("" for the root, "process"); the key is
 * appended in errors. When the key is absent: required -> OCI_E_INVALID "path.key: missing",
 * otherwise return 0 and leave *out unchanged. Returns 1 when the value was found. */
int oci_json_get_string(json_t *obj, const char *path, const char *key, bool required,
			const char **out, oci_error *err);
int oci_json_get_bool(json_t *obj, const char *path, const char *key, bool required, bool *out,
		      oci_error *err);
int oci_json_get_int(json_t *obj, const char *path, const char *key, bool required, int64_t *out,
		     oci_error *err);
int oci_json_get_object(json_t *obj, const char *path, const char *key, bool required, json_t **out,
			oci_error *err);
int oci_json_get_array(json_t *obj, const char *path, const char *key, bool required, json_t **out,
		       oci_error *err);
/* Like oci_json_get_array / oci_json_get_object, and every element (member value) must be of
 * JSON type elem (JSON_TRUE stands for either boolean); the error names the element's path. */
int oci_json_get_array_of(json_t *obj, const char *path, const char *key, bool required,
			  json_type elem, json_t **out, oci_error *err);
int oci_json_get_object_of(json_t *obj, const char *path, const char *key, bool required,
			   json_type elem, json_t **out, oci_error *err);
/* An array of strings as a NULL-terminated vector of copies (free with oci_strvfreep). */
int oci_json_get_strv(json_t *obj, const char *path, const char *key, bool required, char ***out,
		      oci_error *err);

/* Serialise with 2-space indentation (as runc writes config.json) plus a final newline. */
char *oci_json_dump_pretty(const json_t *j, oci_error *err);
#endif
