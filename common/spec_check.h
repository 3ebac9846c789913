/* The problem collector and the typed checks that every part of the config.json walk shares
 * (spec_validate.c, spec_resources.c, config.c): a problem is a string "json.path: message"
 * appended to a JSON array, so validation lists them all and the runtime refuses on the first.
 * Internal to common/spec*.c and common/config*.c. */
#ifndef OCI_SPEC_CHECK_H
#define OCI_SPEC_CHECK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/error.h"

/* Past this many problems they are only counted, so a hostile config cannot make the list
 * (and the one-line error of create) grow without bound. */
#define OCI_SPEC_MAX_LISTED 100

typedef struct oci_spec_checker {
	json_t *problems; /* a JSON array of strings */
	int n;		  /* problems found, listed or not */
	bool failed;	  /* an allocation failed: the result is not to be trusted */
} oci_spec_checker;

/* Append "path: message" ("(root): message" for an empty path). */
__attribute__((format(printf, 3, 4))) void oci_spec_problem(oci_spec_checker *c, const char *path,
							    const char *fmt, ...);
/* A message that already starts with its JSON path (from a parser shared with the runtime). */
void oci_spec_problem_msg(oci_spec_checker *c, const char *msg);

enum oci_spec_vtype {
	V_STRING,
	V_BOOL,
	V_OBJECT,
	V_ARRAY,
	V_INT,
	V_UINT32,
	V_INT32,
	V_UINT64,
	V_INT64
};

/* v at path when present and of type t, else NULL (with a problem when it is present but of
 * another type, or required and missing). */
json_t *oci_spec_check_value(oci_spec_checker *c, json_t *v, const char *path,
			     enum oci_spec_vtype t, bool required);
/* The same for obj[key] at path.key; NULL without a word when obj is NULL. */
json_t *oci_spec_check(oci_spec_checker *c, json_t *obj, const char *path, const char *key,
		       enum oci_spec_vtype t, bool required);
/* An array whose items must all be of type t; returns the array when it is one. */
json_t *oci_spec_check_array_of(oci_spec_checker *c, json_t *obj, const char *path, const char *key,
				enum oci_spec_vtype t, bool required);
/* A string that must be an absolute path. */
void oci_spec_check_abs_path(oci_spec_checker *c, json_t *v, const char *path);
/* Close the list: the "(N more problems not listed)" line; returns the count, or -1 with err
 * when an allocation failed. */
int oci_spec_checker_finish(oci_spec_checker *c, oci_error *err);
/* The first problem as an error (OCI_E_INVALID), for the runtime's parsers that stop at one;
 * 0 when there is none. */
int oci_spec_checker_first(oci_spec_checker *c, oci_error *err);

#define PATHF(buf, ...) snprintf(buf, sizeof(buf), __VA_ARGS__)
#endif
