/* Logging for people: levels, an optional log file, text or runc-style JSON lines.
 *
 * Without --log, messages go to stderr as "prog: message". With --log FILE they go to the
 * file only, as text ("time=... level=... msg=...") or JSON ({"level","msg","time"} per line,
 * as runc writes it). */
#ifndef OCI_LOG_H
#define OCI_LOG_H

#include <stdbool.h>
#include "common/error.h"

enum oci_log_level { OCI_LOG_ERROR = 0, OCI_LOG_WARN, OCI_LOG_INFO, OCI_LOG_DEBUG };
enum oci_log_format { OCI_LOG_TEXT = 0, OCI_LOG_JSON };

/* prog is used as the prefix of stderr lines. Call again to change settings. */
void oci_log_init(const char *prog);
void oci_log_set_level(int level);
int oci_log_get_level(void);
int oci_log_set_format(const char *name, oci_error *err); /* "text" or "json" */
int oci_log_set_file(const char *path, oci_error *err);	  /* opened O_APPEND */
/* The log file's fd (or -1): a runtime that forks can keep logging to it. */
int oci_log_fd(void);
const char *oci_log_prog(void);

void oci_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) oci_log(OCI_LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  oci_log(OCI_LOG_WARN, __VA_ARGS__)
#define log_info(...)  oci_log(OCI_LOG_INFO, __VA_ARGS__)
#define log_debug(...) oci_log(OCI_LOG_DEBUG, __VA_ARGS__)

/* s as a terminal may show it: control bytes (C0, DEL, and the C1 controls as UTF-8 encodes
 * them) written as \n, \r, \t or \xHH, so text from an image or a registry can neither
 * move the cursor, retitle the window or write the clipboard nor forge a line. New string
 * (NULL when out of memory). Every line on stderr goes through it. */
char *oci_log_escape(const char *s);

/* Print the one error line for a failed command: "prog: msg" on stderr (and to the log file
 * when one is set). Used only by main(). */
void oci_log_error_final(const oci_error *err);
#endif
