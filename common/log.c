/* Logging for people: levels, an optional log file, text or runc-style JSON lines. */
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

static struct {
	const char *prog;
	int level;
	int format;
	int fd;
} logger = {"oci", OCI_LOG_WARN, OCI_LOG_TEXT, -1};

static const char *level_names[] = {"error", "warning", "info", "debug"};

void oci_log_init(const char *prog)
{
	const char *slash = strrchr(prog, '/');
	logger.prog = slash ? slash + 1 : prog;
}

void oci_log_set_level(int level)
{
	logger.level = level;
}

int oci_log_get_level(void)
{
	return logger.level;
}

const char *oci_log_prog(void)
{
	return logger.prog;
}

int oci_log_fd(void)
{
	return logger.fd;
}

int oci_log_set_format(const char *name, oci_error *err)
{
	if (!strcmp(name, "text"))
		logger.format = OCI_LOG_TEXT;
	else if (!strcmp(name, "json"))
		logger.format = OCI_LOG_JSON;
	else
		return oci_err(err, OCI_E_INVALID,
			       "unknown log format '%s' (expected text or json)", name);
	return 0;
}

int oci_log_set_file(const char *path, oci_error *err)
{
	int fd = oci_open_named(path, O_WRONLY | O_APPEND | O_CREAT, 0644, err);
	if (fd < 0)
		return oci_err_prefix(err, "log file");
	if (logger.fd >= 0)
		close(logger.fd);
	logger.fd = fd;
	return 0;
}

/* Quote a message for the text format as logrus does, so one message stays one line. */
static void quote_text(const char *msg, char *out, size_t len)
{
	size_t o = 0;
	for (const char *p = msg; *p && o + 3 < len; p++) {
		char c = *p, e = c == '\n'		 ? 'n'
				 : c == '\r'		 ? 'r'
				 : c == '\t'		 ? 't'
				 : c == '"' || c == '\\' ? c
							 : 0;
		if (e) {
			out[o++] = '\\';
			out[o++] = e;
		} else {
			out[o++] = c;
		}
	}
	out[o] = '\0';
}

char *oci_log_escape(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	if (!s)
		s = "";
	char *out = malloc(4 * strlen(s) + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		bool c1 = c == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;
		if (c >= 0x20 && c != 0x7f && !c1) {
			*o++ = (char)c;
			continue;
		}
		*o++ = '\\';
		if (c == '\n' || c == '\r' || c == '\t') {
			*o++ = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			continue;
		}
		if (c1) { /* U+0080..U+009F: both of its bytes escaped */
			memcpy(o, "xc2\\", 4);
			o += 4;
			c = *++p;
		}
		*o++ = 'x';
		*o++ = hex[c >> 4];
		*o++ = hex[c & 15];
	}
	*o = '\0';
	return out;
}

/* "prog: msg" on stderr, one line whatever msg holds. */
static void stderr_line(const char *msg)
{
	char *safe = oci_log_escape(msg);
	dprintf(STDERR_FILENO, "%s: %s\n", logger.prog, safe ? safe : "(out of memory)");
	free(safe);
}

static void write_line(int level, const char *msg)
{
	char tbuf[64];
	if (logger.fd < 0) {
		stderr_line(msg);
		return;
	}
	oci_time_rfc3339(tbuf, sizeof(tbuf));
	if (logger.format == OCI_LOG_JSON) {
		json_t *o = json_pack("{s:s,s:s,s:s}", "level", level_names[level], "msg", msg,
				      "time", tbuf);
		if (!o) {
			/* Not UTF-8 (a hostile file name): keep the line, with '?' for non-ASCII
			 * bytes. */
			char safe[4096];
			size_t i;
			for (i = 0; msg[i] && i < sizeof(safe) - 1; i++)
				safe[i] = (unsigned char)msg[i] < 0x80 ? msg[i] : '?';
			safe[i] = '\0';
			o = json_pack("{s:s,s:s,s:s}", "level", level_names[level], "msg", safe,
				      "time", tbuf);
		}
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		if (s) {
			size_t len = strlen(s);
			s[len] = '\n';
			/* One write per line so concurrent writers do not interleave. */
			if (write(logger.fd, s, len + 1) < 0) {
				/* nowhere left to report it */
			}
			s[len] = '\0';
		}
		free(s);
		json_decref(o);
	} else {
		char q[8192];
		quote_text(msg, q, sizeof(q));
		dprintf(logger.fd, "time=\"%s\" level=%s msg=\"%s\"\n", tbuf, level_names[level],
			q);
	}
}

void oci_log(int level, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;
	if (level > logger.level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	write_line(level < 0 ? 0 : level > OCI_LOG_DEBUG ? OCI_LOG_DEBUG : level, msg);
}

void oci_log_error_final(const oci_error *err)
{
	const char *msg = err && err->msg[0] ? err->msg : "unknown error";
	if (logger.fd >= 0)
		write_line(OCI_LOG_ERROR, msg);
	/* runc prints errors on stderr too, so callers without --log see them. */
	stderr_line(msg);
}
