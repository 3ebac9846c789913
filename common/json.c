/* JSON over jansson: bounded loading and typed getters that name the JSON path in errors. */
#include "common/json.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

/* Check nesting depth on the raw text before handing it to jansson, so a hostile document of
 * a million '[' cannot exhaust the parser's stack. Brackets inside strings are skipped. */
static int scan_depth(const char *buf, size_t len, int max_depth)
{
	int depth = 0;
	bool in_str = false;
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '[' || c == '{') {
			if (++depth > max_depth)
				return -1;
		} else if (c == ']' || c == '}')
			depth--;
	}
	return 0;
}

json_t *oci_json_loadb(const char *buf, size_t len, size_t max_size, int max_depth,
		       const char *what, oci_error *err)
{
	json_error_t jerr;
	if (len > max_size) {
		oci_err(err, OCI_E_LIMIT, "%s: %zu bytes is over the %zu byte limit", what, len,
			max_size);
		return NULL;
	}
	if (scan_depth(buf, len, max_depth) < 0) {
		oci_err(err, OCI_E_LIMIT, "%s: nested deeper than %d levels", what, max_depth);
		return NULL;
	}
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		oci_err(err, OCI_E_INVALID, "%s: invalid JSON at line %d column %d: %s", what,
			jerr.line, jerr.column, jerr.text);
	return j;
}

json_t *oci_json_load_fd(int fd, size_t max_size, const char *what, oci_error *err)
{
	cleanup_free char *buf = NULL;
	size_t len;
	if (oci_read_fd(fd, max_size, &buf, &len, err) < 0) {
		oci_err_prefix(err, "%s", what);
		return NULL;
	}
	return oci_json_loadb(buf, len, max_size, OCI_JSON_MAX_DEPTH, what, err);
}

json_t *oci_json_load_file_at(int dirfd, const char *path, size_t max_size, oci_error *err)
{
	cleanup_close int fd = oci_open_regular_at(dirfd, path, 0, err);
	if (fd < 0)
		return NULL;
	return oci_json_load_fd(fd, max_size, path, err);
}

json_t *oci_json_load_named(const char *path, size_t max_size, oci_error *err)
{
	cleanup_close int fd = oci_open_named(path, O_RDONLY, 0, err);
	if (fd < 0)
		return NULL;
	return oci_json_load_fd(fd, max_size, path, err);
}

int oci_json_depth(const json_t *j)
{
	int best = 0;
	if (json_is_object(j)) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)j, k, v)
		{
			int d = oci_json_depth(v);
			if (d > best)
				best = d;
		}
		return best + 1;
	}
	if (json_is_array(j)) {
		size_t i;
		json_t *v;
		json_array_foreach(j, i, v)
		{
			int d = oci_json_depth(v);
			if (d > best)
				best = d;
		}
		return best + 1;
	}
	return 0;
}

static void key_path(char *buf, size_t len, const char *path, const char *key)
{
	if (path && *path)
		snprintf(buf, len, "%s.%s", path, key);
	else
		snprintf(buf, len, "%s", key);
}

/* Shared lookup: returns 1 with *v set, 0 when absent and optional, -1 on error. */
static int lookup(json_t *obj, const char *path, const char *key, bool required, json_t **v,
		  oci_error *err)
{
	char kp[512];
	if (!json_is_object(obj)) {
		return oci_err(err, OCI_E_INVALID, "%s: expected an object",
			       path && *path ? path : "(root)");
	}
	*v = json_object_get(obj, key);
	if (!*v || json_is_null(*v)) {
		if (required) {
			key_path(kp, sizeof(kp), path, key);
			return oci_err(err, OCI_E_INVALID, "%s: missing", kp);
		}
		return 0;
	}
	return 1;
}

static int type_error(const char *path, const char *key, const char *expected, oci_error *err)
{
	char kp[512];
	key_path(kp, sizeof(kp), path, key);
	return oci_err(err, OCI_E_INVALID, "%s: expected %s", kp, expected);
}

int oci_json_get_string(json_t *obj, const char *path, const char *key, bool required,
			const char **out, oci_error *err)
{
	json_t *v;
	int r = lookup(obj, path, key, required, &v, err);
	if (r <= 0)
		return r;
	if (!json_is_string(v))
		return type_error(path, key, "a string", err);
	*out = json_string_value(v);
	return 1;
}

int oci_json_get_bool(json_t *obj, const char *path, const char *key, bool required, bool *out,
		      oci_error *err)
{
	json_t *v;
	int r = lookup(obj, path, key, required, &v, err);
	if (r <= 0)
		return r;
	if (!json_is_boolean(v))
		return type_error(path, key, "a boolean", err);
	*out = json_is_true(v);
	return 1;
}

int oci_json_get_int(json_t *obj, const char *path, const char *key, bool required, int64_t *out,
		     oci_error *err)
{
	json_t *v;
	int r = lookup(obj, path, key, required, &v, err);
	if (r <= 0)
		return r;
	if (!json_is_integer(v))
		return type_error(path, key, "an integer", err);
	*out = json_integer_value(v);
	return 1;
}

int oci_json_get_object(json_t *obj, const char *path, const char *key, bool required, json_t **out,
			oci_error *err)
{
	json_t *v;
	int r = lookup(obj, path, key, required, &v, err);
	if (r <= 0)
		return r;
	if (!json_is_object(v))
		return type_error(path, key, "an object", err);
	*out = v;
	return 1;
}

int oci_json_get_array(json_t *obj, const char *path, const char *key, bool required, json_t **out,
		       oci_error *err)
{
	json_t *v;
	int r = lookup(obj, path, key, required, &v, err);
	if (r <= 0)
		return r;
	if (!json_is_array(v))
		return type_error(path, key, "an array", err);
	*out = v;
	return 1;
}

static const char *type_name(json_type t)
{
	switch (t) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

int oci_json_get_array_of(json_t *obj, const char *path, const char *key, bool required,
			  json_type elem, json_t **out, oci_error *err)
{
	json_t *arr, *v;
	size_t i;
	char kp[512];
	int r = oci_json_get_array(obj, path, key, required, &arr, err);
	if (r <= 0)
		return r;
	json_array_foreach(arr, i, v)
	{
		if (json_typeof(v) != elem && !(elem == JSON_TRUE && json_is_boolean(v))) {
			key_path(kp, sizeof(kp), path, key);
			return oci_err(err, OCI_E_INVALID, "%s[%zu]: expected %s", kp, i,
				       type_name(elem));
		}
	}
	*out = arr;
	return 1;
}

int oci_json_get_object_of(json_t *obj, const char *path, const char *key, bool required,
			   json_type elem, json_t **out, oci_error *err)
{
	json_t *o, *v;
	const char *k;
	char kp[512];
	int r = oci_json_get_object(obj, path, key, required, &o, err);
	if (r <= 0)
		return r;
	json_object_foreach(o, k, v)
	{
		if (json_typeof(v) != elem && !(elem == JSON_TRUE && json_is_boolean(v))) {
			key_path(kp, sizeof(kp), path, key);
			return oci_err(err, OCI_E_INVALID, "%s.\"%s\": expected %s", kp, k,
				       type_name(elem));
		}
	}
	*out = o;
	return 1;
}

int oci_json_get_strv(json_t *obj, const char *path, const char *key, bool required, char ***out,
		      oci_error *err)
{
	json_t *arr, *v;
	size_t i;
	int r = oci_json_get_array_of(obj, path, key, required, JSON_STRING, &arr, err);
	if (r <= 0)
		return r;
	cleanup_strv char **vec = oci_calloc(json_array_size(arr) + 1, sizeof(char *), err);
	if (!vec)
		return -1;
	json_array_foreach(arr, i, v)
	{
		if (!(vec[i] = oci_strdup(json_string_value(v), err)))
			return -1;
	}
	*out = steal_pointer(&vec);
	return 1;
}

char *oci_json_dump_pretty(const json_t *j, oci_error *err)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!s) {
		oci_err(err, OCI_E_INTERNAL, "cannot serialise JSON");
		return NULL;
	}
	size_t n = strlen(s);
	char *r = realloc(s, n + 2);
	if (!r) {
		free(s);
		oci_err_errno(err, ENOMEM, "cannot allocate");
		return NULL;
	}
	r[n] = '\n';
	r[n + 1] = '\0';
	return r;
}
