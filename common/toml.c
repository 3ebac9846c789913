/* A strict TOML-subset parser for containers' configuration files (see toml.h). The input is
 * untrusted (a drop-in anyone with write access to a config directory can add): it is bounded
 * in size, nesting (a fixed cap, so recursion depth is never the input's choice) and key
 * length, and every error names its line. */
#include "common/toml.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

#define MAX_KEY_PARTS 16

typedef struct ptrset {
	const json_t **p;
	size_t n, cap;
} ptrset;

typedef struct tp {
	const char *s;
	size_t len, pos;
	int line;
	const char *what;
	oci_error *err;
	json_t *root, *cur;
	ptrset defined;	     /* tables given by a [header] or a dotted key: not again */
	ptrset table_arrays; /* arrays made by [[header]]: the only ones [[...]] may extend */
	ptrset frozen;	     /* inline tables and static arrays: values, never extended */
} tp;

typedef struct sbuf {
	char *p;
	size_t n, cap;
} sbuf;

static int fail(tp *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(tp *t, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return oci_err(t->err, OCI_E_INVALID, "%s: line %d: %s", t->what, t->line, msg);
}

static bool ptrset_has(const ptrset *s, const json_t *j)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->p[i] == j)
			return true;
	return false;
}

static int ptrset_add(tp *t, ptrset *s, const json_t *j)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		const json_t **np = realloc(s->p, cap * sizeof(*np));
		if (!np)
			return oci_err(t->err, OCI_E_IO, "out of memory");
		s->p = np;
		s->cap = cap;
	}
	s->p[s->n++] = j;
	return 0;
}

static int buf_add(tp *t, sbuf *b, const char *data, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np)
			return oci_err(t->err, OCI_E_IO, "out of memory");
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

static int peek(const tp *t)
{
	return t->pos < t->len ? (unsigned char)t->s[t->pos] : -1;
}

static int peek_at(const tp *t, size_t off)
{
	return t->pos + off < t->len ? (unsigned char)t->s[t->pos + off] : -1;
}

static void skip_ws(tp *t)
{
	while (peek(t) == ' ' || peek(t) == '\t')
		t->pos++;
}

static void skip_comment(tp *t)
{
	while (t->pos < t->len && t->s[t->pos] != '\n')
		t->pos++;
}

/* A newline, "\r\n" or "\n": consumes it and counts the line. */
static bool take_newline(tp *t)
{
	if (peek(t) == '\n') {
		t->pos++;
		t->line++;
		return true;
	}
	if (peek(t) == '\r' && peek_at(t, 1) == '\n') {
		t->pos += 2;
		t->line++;
		return true;
	}
	return false;
}

/* Whitespace, newlines and comments, as allowed between array elements. */
static void skip_ws_nl(tp *t)
{
	for (;;) {
		skip_ws(t);
		if (peek(t) == '#')
			skip_comment(t);
		if (!take_newline(t))
			return;
	}
}

static int end_of_line(tp *t)
{
	skip_ws(t);
	if (peek(t) == '#')
		skip_comment(t);
	if (t->pos >= t->len || take_newline(t))
		return 0;
	return fail(t, "unexpected '%c' after the value (one key = value per line)", t->s[t->pos]);
}

static int put_utf8(tp *t, sbuf *b, uint32_t cp)
{
	char u[4];
	size_t n = oci_utf8_put(u, cp);
	if (!n)
		return fail(t, "\\u escape of an invalid character U+%04X", cp);
	return buf_add(t, b, u, n);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A single-line basic ("...") or literal ('...') string into b (NUL-terminated, may be
 * empty). */
static int parse_string(tp *t, sbuf *b)
{
	char q = t->s[t->pos];
	if (peek_at(t, 1) == q && peek_at(t, 2) == q)
		return fail(t, "multi-line strings are not supported");
	t->pos++;
	b->n = 0;
	if (buf_add(t, b, "", 0) < 0)
		return -1;
	for (;;) {
		int c = peek(t);
		if (c < 0 || c == '\n' || c == '\r')
			return fail(t, "unterminated string");
		t->pos++;
		if (c == q)
			return 0;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(t, "control character 0x%02x in a string", c);
		if (c != '\\' || q == '\'') {
			char ch = (char)c;
			if (buf_add(t, b, &ch, 1) < 0)
				return -1;
			continue;
		}
		int e = peek(t);
		t->pos++;
		const char *rep = NULL;
		switch (e) {
		case 'b':
			rep = "\b";
			break;
		case 't':
			rep = "\t";
			break;
		case 'n':
			rep = "\n";
			break;
		case 'f':
			rep = "\f";
			break;
		case 'r':
			rep = "\r";
			break;
		case '"':
			rep = "\"";
			break;
		case '\\':
			rep = "\\";
			break;
		case 'u':
		case 'U': {
			int digits = e == 'u' ? 4 : 8;
			uint32_t cp = 0;
			for (int i = 0; i < digits; i++) {
				int h = hexval(peek(t));
				if (h < 0)
					return fail(t, "\\%c needs %d hex digits", e, digits);
				cp = cp * 16 + (uint32_t)h;
				t->pos++;
			}
			if (put_utf8(t, b, cp) < 0)
				return -1;
			continue;
		}
		default:
			return fail(t, "invalid escape in a string");
		}
		if (buf_add(t, b, rep, 1) < 0)
			return -1;
	}
}

static bool is_bare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* key := simple-key (ws "." ws simple-key)*; parts get new strings. */
static int parse_key(tp *t, char **parts, size_t *n)
{
	*n = 0;
	for (;;) {
		if (*n == MAX_KEY_PARTS)
			return fail(t, "key with more than %d parts", MAX_KEY_PARTS);
		skip_ws(t);
		int c = peek(t);
		if (c == '"' || c == '\'') {
			sbuf b = {0};
			if (parse_string(t, &b) < 0) {
				free(b.p);
				return -1;
			}
			if (b.n != strlen(b.p)) {
				free(b.p);
				return fail(t, "NUL in a key");
			}
			parts[(*n)++] = b.p;
		} else if (is_bare(c)) {
			size_t start = t->pos;
			while (is_bare(peek(t)))
				t->pos++;
			parts[*n] = strndup(t->s + start, t->pos - start);
			if (!parts[*n])
				return oci_err(t->err, OCI_E_IO, "out of memory");
			(*n)++;
		} else {
			return c < 0 || c == '\n' || c == '\r'
				   ? fail(t, "expected a key")
				   : fail(t, "unexpected '%c' in a key", c);
		}
		skip_ws(t);
		if (peek(t) != '.')
			return 0;
		t->pos++;
	}
}

static void free_parts(char **parts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(parts[i]);
}

static int key_str(char **parts, size_t n, char *out, size_t len)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? "." : "", parts[i]);
	return 0;
}

static json_t *parse_value(tp *t, int depth);

/* Set parts = v below table (v is taken over). Intermediate parts are tables made on the way
 * (a dotted key defines them). */
static int set_dotted(tp *t, json_t *table, char **parts, size_t n, json_t *v)
{
	char ks[256];
	for (size_t i = 0; i + 1 < n; i++) {
		json_t *child = json_object_get(table, parts[i]);
		if (!child) {
			child = json_object();
			if (!child || json_object_set_new(table, parts[i], child) < 0) {
				json_decref(v);
				return fail(t, "invalid key '%s' (not UTF-8?)", parts[i]);
			}
			if (ptrset_add(t, &t->defined, child) < 0) {
				json_decref(v);
				return -1;
			}
		} else if (!json_is_object(child) || ptrset_has(&t->frozen, child)) {
			json_decref(v);
			key_str(parts, i + 1, ks, sizeof(ks));
			return fail(t, "'%s' is already defined as a value", ks);
		}
		table = child;
	}
	if (json_object_get(table, parts[n - 1])) {
		json_decref(v);
		key_str(parts, n, ks, sizeof(ks));
		return fail(t, "duplicate key '%s'", ks);
	}
	if (json_object_set_new(table, parts[n - 1], v) < 0)
		return fail(t, "invalid key '%s' (not UTF-8?)", parts[n - 1]);
	return 0;
}

static bool value_end(int c)
{
	return c < 0 || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ']' ||
	       c == '}' || c == '#';
}

static json_t *parse_integer(tp *t)
{
	size_t start = t->pos;
	bool neg = false;
	if (peek(t) == '+' || peek(t) == '-') {
		neg = peek(t) == '-';
		t->pos++;
	}
	if (peek(t) < '0' || peek(t) > '9')
		return fail(t, "unsupported value"), NULL;
	if (peek(t) == '0' && !value_end(peek_at(t, 1)))
		return fail(t, "unsupported number (only decimal integers are)"), NULL;
	uint64_t v = 0;
	bool digit_before = false;
	for (;;) {
		int c = peek(t);
		if (c >= '0' && c <= '9') {
			if (v > (UINT64_C(1) << 63) / 10)
				return fail(t, "integer out of range"), NULL;
			v = v * 10 + (uint64_t)(c - '0');
			digit_before = true;
		} else if (c == '_' && digit_before && peek_at(t, 1) >= '0' &&
			   peek_at(t, 1) <= '9') {
			digit_before = false;
		} else {
			break;
		}
		t->pos++;
	}
	if (!value_end(peek(t)))
		return fail(t, "unsupported value '%.*s...' (floats and dates are not supported)",
			    (int)(t->pos - start + 1), t->s + start),
		       NULL;
	if (v > (uint64_t)INT64_MAX + (neg ? 1 : 0))
		return fail(t, "integer out of range"), NULL;
	json_int_t iv = neg ? (json_int_t)(0 - v) : (json_int_t)v;
	json_t *j = json_integer(iv);
	if (!j)
		oci_err(t->err, OCI_E_IO, "out of memory");
	return j;
}

static json_t *parse_array(tp *t, int depth)
{
	json_t *a = json_array();
	if (!a || ptrset_add(t, &t->frozen, a) < 0) {
		json_decref(a);
		return oci_err(t->err, OCI_E_IO, "out of memory"), NULL;
	}
	t->pos++; /* [ */
	for (;;) {
		skip_ws_nl(t);
		if (peek(t) == ']') {
			t->pos++;
			return a;
		}
		json_t *v = parse_value(t, depth + 1);
		if (!v || json_array_append_new(a, v) < 0) {
			json_decref(a);
			return NULL;
		}
		skip_ws_nl(t);
		if (peek(t) == ',') {
			t->pos++;
			continue;
		}
		if (peek(t) == ']') {
			t->pos++;
			return a;
		}
		json_decref(a);
		return fail(t, "expected ',' or ']' in an array"), NULL;
	}
}

static json_t *parse_inline_table(tp *t, int depth)
{
	json_t *o = json_object();
	if (!o || ptrset_add(t, &t->frozen, o) < 0) {
		json_decref(o);
		return oci_err(t->err, OCI_E_IO, "out of memory"), NULL;
	}
	t->pos++; /* { */
	skip_ws(t);
	if (peek(t) == '}') {
		t->pos++;
		return o;
	}
	for (;;) {
		char *parts[MAX_KEY_PARTS];
		size_t n;
		if (parse_key(t, parts, &n) < 0) {
			free_parts(parts, n);
			json_decref(o);
			return NULL;
		}
		skip_ws(t);
		if (peek(t) != '=') {
			free_parts(parts, n);
			json_decref(o);
			return fail(t, "expected '=' after a key"), NULL;
		}
		t->pos++;
		skip_ws(t);
		json_t *v = parse_value(t, depth + 1);
		int r = v ? set_dotted(t, o, parts, n, v) : -1;
		free_parts(parts, n);
		if (r < 0) {
			json_decref(o);
			return NULL;
		}
		skip_ws(t);
		if (peek(t) == ',') {
			t->pos++;
			continue;
		}
		if (peek(t) == '}') {
			t->pos++;
			return o;
		}
		json_decref(o);
		return fail(t, "expected ',' or '}' in an inline table (on one line)"), NULL;
	}
}

static json_t *parse_value(tp *t, int depth)
{
	if (depth > OCI_TOML_MAX_DEPTH)
		return oci_err(t->err, OCI_E_LIMIT, "%s: line %d: nested deeper than %d levels",
			       t->what, t->line, OCI_TOML_MAX_DEPTH),
		       NULL;
	int c = peek(t);
	if (c == '"' || c == '\'') {
		sbuf b = {0};
		if (parse_string(t, &b) < 0) {
			free(b.p);
			return NULL;
		}
		if (b.n != strlen(b.p)) {
			free(b.p);
			return fail(t, "NUL in a string"), NULL;
		}
		json_t *j = json_stringn(b.p, b.n);
		free(b.p);
		if (!j)
			fail(t, "string is not valid UTF-8");
		return j;
	}
	if (c == '[')
		return parse_array(t, depth);
	if (c == '{')
		return parse_inline_table(t, depth);
	if (c == 't' && t->len - t->pos >= 4 && !memcmp(t->s + t->pos, "true", 4) &&
	    value_end(peek_at(t, 4))) {
		t->pos += 4;
		return json_true();
	}
	if (c == 'f' && t->len - t->pos >= 5 && !memcmp(t->s + t->pos, "false", 5) &&
	    value_end(peek_at(t, 5))) {
		t->pos += 5;
		return json_false();
	}
	if (c == '+' || c == '-' || (c >= '0' && c <= '9'))
		return parse_integer(t);
	if (c < 0 || c == '\n' || c == '\r' || c == '#')
		return fail(t, "expected a value"), NULL;
	return fail(t, "unsupported value starting with '%c'", c), NULL;
}

/* [a.b] or [[a.b]]: make the table current. */
static int parse_header(tp *t)
{
	bool array = peek_at(t, 1) == '[';
	t->pos += array ? 2 : 1;
	char *parts[MAX_KEY_PARTS];
	size_t n;
	char ks[256];
	if (parse_key(t, parts, &n) < 0) {
		free_parts(parts, n);
		return -1;
	}
	key_str(parts, n, ks, sizeof(ks));
	skip_ws(t);
	if (peek(t) != ']' || (array && peek_at(t, 1) != ']')) {
		free_parts(parts, n);
		return fail(t, "expected '%s' to close the table header", array ? "]]" : "]");
	}
	t->pos += array ? 2 : 1;
	json_t *table = t->root;
	int rc = -1;
	for (size_t i = 0; i < n; i++) {
		json_t *child = json_object_get(table, parts[i]);
		bool last = i + 1 == n;
		if (last && array) {
			if (!child) {
				child = json_array();
				if (!child || json_object_set_new(table, parts[i], child) < 0 ||
				    ptrset_add(t, &t->table_arrays, child) < 0) {
					fail(t, "invalid key '%s'", ks);
					goto out;
				}
			} else if (!json_is_array(child) || !ptrset_has(&t->table_arrays, child)) {
				fail(t, "'%s' is already defined and is not an array of tables",
				     ks);
				goto out;
			}
			json_t *elem = json_object();
			if (!elem || json_array_append_new(child, elem) < 0) {
				oci_err(t->err, OCI_E_IO, "out of memory");
				goto out;
			}
			table = elem;
			break;
		}
		if (!child) {
			child = json_object();
			if (!child || json_object_set_new(table, parts[i], child) < 0) {
				fail(t, "invalid key '%s'", ks);
				goto out;
			}
		} else if (json_is_array(child) && ptrset_has(&t->table_arrays, child) && !last) {
			child = json_array_get(child, json_array_size(child) - 1);
		} else if (!json_is_object(child) || ptrset_has(&t->frozen, child)) {
			fail(t, "'%s' is already defined as a value", ks);
			goto out;
		} else if (last && ptrset_has(&t->defined, child)) {
			fail(t, "table '%s' is defined twice", ks);
			goto out;
		}
		if (last && ptrset_add(t, &t->defined, child) < 0)
			goto out;
		table = child;
	}
	t->cur = table;
	rc = 0;
out:
	free_parts(parts, n);
	return rc;
}

static int parse_keyval(tp *t)
{
	char *parts[MAX_KEY_PARTS];
	size_t n;
	if (parse_key(t, parts, &n) < 0) {
		free_parts(parts, n);
		return -1;
	}
	skip_ws(t);
	int rc = -1;
	if (peek(t) != '=') {
		fail(t, "expected '=' after the key '%s'", parts[n - 1]);
		goto out;
	}
	t->pos++;
	skip_ws(t);
	json_t *v = parse_value(t, 1);
	if (v && set_dotted(t, t->cur, parts, n, v) == 0)
		rc = 0;
out:
	free_parts(parts, n);
	return rc;
}

json_t *oci_toml_parse(const char *buf, size_t len, const char *what, oci_error *err)
{
	if (len > OCI_TOML_MAX_SIZE)
		return oci_err(err, OCI_E_LIMIT, "%s: %zu bytes is over the %u byte limit", what,
			       len, OCI_TOML_MAX_SIZE),
		       NULL;
	tp t = {.s = buf, .len = len, .line = 1, .what = what, .err = err};
	t.root = json_object();
	if (!t.root)
		return oci_err(err, OCI_E_IO, "out of memory"), NULL;
	t.cur = t.root;
	/* a UTF-8 byte order mark may start the file */
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		t.pos = 3;
	int rc = 0;
	while (rc == 0 && t.pos < t.len) {
		skip_ws(&t);
		int c = peek(&t);
		if (c < 0)
			break;
		if (c == '#') {
			skip_comment(&t);
		} else if (c == '\n' || c == '\r') {
			if (!take_newline(&t))
				rc = fail(&t, "stray carriage return");
			continue;
		} else if (c == '[') {
			rc = parse_header(&t);
		} else {
			rc = parse_keyval(&t);
		}
		if (rc == 0)
			rc = end_of_line(&t);
	}
	free(t.defined.p);
	free(t.table_arrays.p);
	free(t.frozen.p);
	if (rc < 0) {
		json_decref(t.root);
		return NULL;
	}
	return t.root;
}
