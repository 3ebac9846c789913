/* The problem collector and typed checks of the config.json walk (see spec_check.h). */
#include "common/spec_check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void oci_spec_problem(oci_spec_checker *c, const char *path, const char *fmt, ...)
{
	if (c->n >= OCI_SPEC_MAX_LISTED) {
		c->n++;
		return;
	}
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	char *s = NULL;
	if (asprintf(&s, "%s: %s", path && *path ? path : "(root)", msg) < 0) {
		c->failed = true;
		return;
	}
	/* json_string refuses invalid UTF-8 (a hostile key echoed back): fall back to a copy
	 * that keeps only ASCII. */
	json_t *js = json_string(s);
	if (!js) {
		for (char *p = s; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		js = json_string(s);
	}
	free(s);
	if (!js || json_array_append_new(c->problems, js) < 0)
		c->failed = true;
	c->n++;
}

void oci_spec_problem_msg(oci_spec_checker *c, const char *msg)
{
	const char *colon = strstr(msg, ": ");
	char path[1024];
	if (!colon || (size_t)(colon - msg) >= sizeof(path)) {
		oci_spec_problem(c, "", "%s", msg);
		return;
	}
	snprintf(path, sizeof(path), "%.*s", (int)(colon - msg), msg);
	oci_spec_problem(c, path, "%s", colon + 2);
}

static const char *type_name(enum oci_spec_vtype t)
{
	switch (t) {
	case V_STRING:
		return "a string";
	case V_BOOL:
		return "a boolean";
	case V_OBJECT:
		return "an object";
	case V_ARRAY:
		return "an array";
	case V_INT:
	case V_INT64:
		return "an integer";
	case V_UINT32:
		return "an integer from 0 to 4294967295";
	case V_INT32:
		return "a 32-bit integer";
	case V_UINT64:
		return "a non-negative integer";
	}
	return "?";
}

static bool type_ok(json_t *v, enum oci_spec_vtype t)
{
	switch (t) {
	case V_STRING:
		return json_is_string(v);
	case V_BOOL:
		return json_is_boolean(v);
	case V_OBJECT:
		return json_is_object(v);
	case V_ARRAY:
		return json_is_array(v);
	case V_INT:
	case V_INT64:
		return json_is_integer(v);
	case V_UINT32:
		return json_is_integer(v) && json_integer_value(v) >= 0 &&
		       json_integer_value(v) <= 4294967295LL;
	case V_INT32:
		return json_is_integer(v) && json_integer_value(v) >= -2147483648LL &&
		       json_integer_value(v) <= 2147483647LL;
	case V_UINT64:
		return json_is_integer(v) && json_integer_value(v) >= 0;
	}
	return false;
}

json_t *oci_spec_check_value(oci_spec_checker *c, json_t *v, const char *path,
			     enum oci_spec_vtype t, bool required)
{
	if (!v) {
		if (required)
			oci_spec_problem(c, path, "missing (%s is required)", type_name(t));
		return NULL;
	}
	if (!type_ok(v, t)) {
		oci_spec_problem(c, path, "expected %s", type_name(t));
		return NULL;
	}
	return v;
}

json_t *oci_spec_check(oci_spec_checker *c, json_t *obj, const char *path, const char *key,
		       enum oci_spec_vtype t, bool required)
{
	char kp[1024];
	if (!obj)
		return NULL;
	snprintf(kp, sizeof(kp), "%s%s%s", path, *path ? "." : "", key);
	return oci_spec_check_value(c, json_object_get(obj, key), kp, t, required);
}

json_t *oci_spec_check_array_of(oci_spec_checker *c, json_t *obj, const char *path, const char *key,
				enum oci_spec_vtype t, bool required)
{
	char ip[1024];
	size_t i;
	json_t *v, *arr = oci_spec_check(c, obj, path, key, V_ARRAY, required);
	json_array_foreach(arr, i, v)
	{
		PATHF(ip, "%s%s%s[%zu]", path, *path ? "." : "", key, i);
		oci_spec_check_value(c, v, ip, t, true);
	}
	return arr;
}

void oci_spec_check_abs_path(oci_spec_checker *c, json_t *v, const char *path)
{
	const char *s = json_string_value(v);
	if (s && s[0] != '/')
		oci_spec_problem(c, path, "'%s' is not an absolute path", s);
}

int oci_spec_checker_finish(oci_spec_checker *c, oci_error *err)
{
	if (c->n > OCI_SPEC_MAX_LISTED) {
		char more[64];
		snprintf(more, sizeof(more), "(%d more problems not listed)",
			 c->n - OCI_SPEC_MAX_LISTED);
		if (json_array_append_new(c->problems, json_string(more)) < 0)
			c->failed = true;
	}
	if (c->failed)
		return oci_err_errno(err, ENOMEM, "cannot record validation problems");
	return c->n;
}

int oci_spec_checker_first(oci_spec_checker *c, oci_error *err)
{
	if (c->failed)
		return oci_err_errno(err, ENOMEM, "cannot record validation problems");
	if (!c->n)
		return 0;
	return oci_err(err, OCI_E_INVALID, "%s", json_string_value(json_array_get(c->problems, 0)));
}
