/* A strict, bounded parser for the TOML subset that containers' configuration files use
 * (registries.conf and its drop-ins), producing a jansson tree so the typed JSON getters can
 * read it. Debian 12 packages no C TOML library. */
#ifndef OCI_TOML_H
#define OCI_TOML_H

#include <jansson.h>
#include <stddef.h>

#include "common/error.h"

#define OCI_TOML_MAX_SIZE  (1u << 20) /* 1 MiB: a config file, not a data set */
#define OCI_TOML_MAX_DEPTH 8	      /* nesting of arrays and inline tables in one value */

/* Parse len bytes of buf. Supported: comments, bare and quoted keys (dotted keys too),
 * basic and literal strings (single-line), integers, booleans, arrays (multi-line, trailing
 * comma), inline tables, [table] and [[array.of.tables]] headers. Anything else (multi-line
 * strings, floats, dates) is refused with its line, as are duplicate keys and tables defined
 * twice. what names the document in errors ("'/etc/containers/registries.conf'"). */
json_t *oci_toml_parse(const char *buf, size_t len, const char *what, oci_error *err);
#endif
