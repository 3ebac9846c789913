/* org.systemd.property.NAME=VALUE annotations as runc reads them (specconv's initSystemdProps,
 * with --systemd-cgroup only): extra properties of the transient unit, given to systemd after
 * the driver's own. NAME is three or more ASCII letters; a NAME ending in a lower-case letter
 * and "Sec" (TimeoutStopSec) is systemd's NAMEUSec, its number of seconds made microseconds.
 * VALUE is GVariant text as godbus's ParseVariant reads it, the scalar part of it: true,
 * false, a number (int32, or a double with a '.' or an exponent), a quoted string, each
 * optionally typed by a keyword ("uint64 15000000", podman's --stop-timeout). Containers
 * (arrays, tuples, dictionaries, variants) are refused, as are values out of their type's
 * range (runc wraps them). The annotations are the caller's (config.json), the bytes are
 * still hostile: every value is parsed into a typed value that sd-bus marshals itself. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "run/cgroup/systemd_dbus.h"

#define PREFIX OCI_SD_PROPERTY_PREFIX

static const struct {
	const char *word;
	char type;
} type_words[] = {
    {"boolean", 'b'}, {"byte", 'y'},  {"int16", 'n'},  {"uint16", 'q'}, {"int32", 'i'},
    {"uint32", 'u'},  {"int64", 'x'}, {"uint64", 't'}, {"double", 'd'}, {"string", 's'},
};

/* Properties that say where the unit is and which processes it holds: the driver's handle
 * (the directories it planned, the holder process) relies on its own values. */
static const char *const driver_owned[] = {"Slice", "PIDs"};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* An integer as godbus reads it: optional sign, 0x hex, a leading 0 octal, else decimal;
 * in [min, max] (signed types) or [0, umax] (unsigned ones). */
static const char *parse_int(const char *s, char type, oci_sd_value *v)
{
	static const struct {
		char type;
		bool is_signed;
		uint64_t umax; /* the magnitude limit: max, or for signed types max + 1 below 0 */
	} lim[] = {{'y', false, UINT8_MAX}, {'n', true, INT16_MAX},   {'q', false, UINT16_MAX},
		   {'i', true, INT32_MAX},  {'u', false, UINT32_MAX}, {'x', true, INT64_MAX},
		   {'t', false, UINT64_MAX}};
	size_t k = 0;
	while (lim[k].type != type)
		k++;
	bool neg = false;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	unsigned base = 10;
	if (s[0] == '0' && s[1] == 'x') {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		base = 8;
		s++;
	}
	uint64_t n = 0;
	const char *start = s;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return "not a number";
		if (d >= base)
			return "not a number";
		if (n > (UINT64_MAX - d) / base)
			return "out of range";
		n = n * base + d;
	}
	if (s == start)
		return "not a number";
	if (!lim[k].is_signed) {
		if (neg && n)
			return "out of range (negative)";
		if (n > lim[k].umax)
			return "out of range";
		v->u = n;
		return NULL;
	}
	if (n > lim[k].umax + (neg ? 1 : 0))
		return "out of range";
	v->i = neg ? (int64_t)(0 - n) : (int64_t)n;
	return NULL;
}

/* A quoted string s[0..len) (its quotes included) with godbus's escapes; the result is never
 * longer than the text (an escape takes more bytes than the UTF-8 it stands for). */
static const char *parse_string(const char *s, size_t len, oci_sd_value *v, oci_error *err)
{
	if (len < 2 || s[len - 1] != s[0])
		return "unterminated string";
	char *o = oci_malloc(len, err);
	if (!o)
		return "out of memory";
	size_t n = 0;
	for (size_t i = 1; i < len - 1; i++) {
		char c = s[i];
		if (c == s[0]) {
			free(o);
			return "text after the closing quote";
		}
		if (c != '\\') {
			o[n++] = c;
			continue;
		}
		if (++i >= len - 1) {
			free(o);
			return "unterminated string";
		}
		static const char from[] = "abfnrt", to[] = "\a\b\f\n\r\t";
		const char *e = strchr(from, s[i]);
		if (e && s[i]) {
			o[n++] = to[e - from];
		} else if (s[i] == '\n') {
			/* a line continuation: nothing */
		} else if (s[i] == 'u' || s[i] == 'U') {
			size_t w = s[i] == 'u' ? 4 : 8;
			unsigned long c2 = 0;
			for (size_t j = 1; j <= w; j++) {
				char h = i + j < len - 1 ? s[i + j] : '\0';
				if (!isxdigit((unsigned char)h)) {
					free(o);
					return "short unicode escape";
				}
				c2 = c2 * 16 +
				     (unsigned long)(isdigit((unsigned char)h)
							 ? h - '0'
							 : (tolower((unsigned char)h) - 'a' + 10));
			}
			size_t u = oci_utf8_put(o + n, (uint32_t)c2);
			if (!u) {
				free(o);
				return "unicode escape of a code point a D-Bus string cannot hold";
			}
			n += u;
			i += w;
		} else {
			o[n++] = s[i];
		}
	}
	/* the text is UTF-8 (jansson checks config.json's strings; sd-bus checks again) */
	o[n] = '\0';
	v->s = o;
	return NULL;
}

static const char *parse_value(const char *text, oci_sd_value *v, oci_error *err)
{
	memset(v, 0, sizeof(*v));
	const char *s = text;
	while (is_space(*s))
		s++;
	size_t len = strlen(s);
	while (len && is_space(s[len - 1]))
		len--;
	char type = 0;
	if (isalpha((unsigned char)*s)) {
		size_t w = 0;
		while (w < len && (isalpha((unsigned char)s[w]) || isdigit((unsigned char)s[w])))
			w++;
		for (size_t k = 0; k < ARRAY_SIZE(type_words); k++)
			if (strlen(type_words[k].word) == w && !strncmp(s, type_words[k].word, w) &&
			    w < len && is_space(s[w])) {
				type = type_words[k].type;
				s += w;
				len -= w;
				while (is_space(*s))
					s++, len--;
				break;
			}
	}
	if (len == 0)
		return "no value";
	if ((len == 4 && !strncmp(s, "true", 4)) || (len == 5 && !strncmp(s, "false", 5))) {
		if (type && type != 'b')
			return "a boolean where the type keyword asks another type";
		v->type = 'b';
		v->u = *s == 't';
		return NULL;
	}
	if (*s == '"' || *s == '\'') {
		if (type && type != 's')
			return "a string where the type keyword asks another type";
		v->type = 's';
		return parse_string(s, len, v, err);
	}
	if (!(isdigit((unsigned char)*s) || *s == '+' || *s == '-' || *s == '.'))
		return "not a value oci-run reads (true, false, a number or a quoted string, "
		       "optionally after a type such as uint64; no arrays, tuples or variants)";
	if (type == 'b' || type == 's')
		return "a number where the type keyword asks another type";
	char num[80];
	if (len >= sizeof(num))
		return "number too long";
	memcpy(num, s, len);
	num[len] = '\0';
	bool hex = strstr(num, "0x") != NULL;
	if (!type)
		type = !hex && strpbrk(num, ".eE") ? 'd' : 'i';
	v->type = type;
	if (type != 'd')
		return parse_int(num, type, v);
	char *end;
	errno = 0;
	v->d = strtod(num, &end);
	if (hex || end == num || *end || errno || !isfinite(v->d))
		return "not a number";
	return NULL;
}

int oci_sd_value_parse(const char *text, oci_sd_value *v, oci_error *err)
{
	const char *why = parse_value(text, v, err);
	if (!why)
		return 0;
	oci_sd_value_release(v);
	return err->code ? -1 : oci_err(err, OCI_E_INVALID, "%s", why);
}

void oci_sd_value_release(oci_sd_value *v)
{
	if (v->type == 's')
		free(v->s);
	memset(v, 0, sizeof(*v));
}

/* runc's convertSecToUSec: a number of seconds as a uint64 of microseconds (refused when it
 * is negative, not finite or out of range, where runc wraps). */
static int sec_to_usec(oci_sd_value *v, oci_error *err)
{
	const uint64_t M = 1000000;
	uint64_t us;
	switch (v->type) {
	case 'y':
	case 'q':
	case 'u':
	case 't':
		if (v->u > UINT64_MAX / M)
			return oci_err(err, OCI_E_INVALID, "seconds out of range");
		us = v->u * M;
		break;
	case 'n':
	case 'i':
	case 'x':
		if (v->i < 0 || (uint64_t)v->i > UINT64_MAX / M)
			return oci_err(err, OCI_E_INVALID, "seconds out of range");
		us = (uint64_t)v->i * M;
		break;
	case 'd':
		if (!(v->d >= 0 && v->d * 1e6 < 18446744073709551616.0))
			return oci_err(err, OCI_E_INVALID, "seconds out of range");
		us = (uint64_t)(v->d * 1e6);
		break;
	default:
		return oci_err(err, OCI_E_INVALID, "not a number of seconds");
	}
	v->type = 't';
	v->u = us;
	return 0;
}

static const char *check_name(const char *name)
{
	size_t n = strlen(name);
	if (n < 3)
		return "too short (three letters at least)";
	if (n >= OCI_SD_PROP_NAME_MAX)
		return "too long";
	for (size_t i = 0; i < n; i++)
		if (!isalpha((unsigned char)name[i]) || (unsigned char)name[i] >= 0x80)
			return "not only ASCII letters";
	for (size_t i = 0; i < ARRAY_SIZE(driver_owned); i++)
		if (!strcmp(name, driver_owned[i]))
			return "set by oci-run's systemd driver itself (where the unit is, what it "
			       "holds)";
	return NULL;
}

int oci_sd_props_annotations(oci_sd_props *p, const oci_config_kv *a, size_t n, oci_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (!oci_str_has_prefix(a[i].key, PREFIX))
			continue;
		char name[OCI_SD_PROP_NAME_MAX + 8];
		snprintf(name, sizeof(name), "%s", a[i].key + strlen(PREFIX));
		const char *why = strlen(a[i].key + strlen(PREFIX)) >= OCI_SD_PROP_NAME_MAX
				      ? "too long"
				      : check_name(name);
		if (why)
			return oci_err(err, OCI_E_INVALID,
				       "annotation '%.120s': not a systemd property name runc "
				       "accepts: %s",
				       a[i].key, why);
		oci_sd_value v;
		oci_error e = OCI_ERROR_INIT;
		int r = oci_sd_value_parse(a[i].value, &v, &e);
		size_t l = strlen(name);
		/* NAMESec: a lower-case letter before "Sec" (TimeoutStopSec, not ...USec) */
		if (r == 0 && l > 3 && !strcmp(name + l - 3, "Sec") && name[l - 4] >= 'a' &&
		    name[l - 4] <= 'z') {
			if (l + 1 >= OCI_SD_PROP_NAME_MAX) {
				r = oci_err(&e, OCI_E_INVALID, "name too long");
			} else {
				memcpy(name + l - 3, "USec", 5);
				r = sec_to_usec(&v, &e);
			}
		}
		if (r == 0)
			r = oci_sd_props_value(p, name, &v, a[i].key, &e);
		oci_sd_value_release(&v);
		if (r < 0)
			return oci_err(
			    err, e.code == OCI_E_INTERNAL ? OCI_E_INTERNAL : OCI_E_INVALID,
			    "annotation '%s': value '%.80s%s': %s (write e.g. 'uint64 "
			    "15000000', 'true' or \"'text'\")",
			    a[i].key, a[i].value, strlen(a[i].value) > 80 ? "..." : "", e.msg);
	}
	return 0;
}
