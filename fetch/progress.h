/* Progress bars on stderr while layers download: one line per layer with its bytes, a bar
 * and its rate, redrawn in place. Only used when stderr is a terminal (and not --quiet). */
#ifndef OCI_FETCH_PROGRESS_H
#define OCI_FETCH_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct oci_progress_line {
	const char *label;  /* "layer 2/3 sha256:ab12cd34ef56" */
	const char *status; /* "waiting", "downloading", "verified", "cached", "failed" */
	uint64_t done, total;
	uint64_t rate; /* bytes per second, 0 when unknown */
} oci_progress_line;

typedef struct oci_progress {
	int fd;
	size_t drawn; /* lines drawn last time, to move the cursor back over */
} oci_progress;

void oci_progress_init(oci_progress *p, int fd);
/* Redraw every line in place (over what was drawn before). */
void oci_progress_draw(oci_progress *p, const oci_progress_line *lines, size_t n);
/* One line, at most width columns (without a newline) into buf; returns its length. */
size_t oci_progress_format(const oci_progress_line *l, int width, char *buf, size_t len);
/* "12.3 MiB" */
void oci_progress_human(uint64_t n, char *buf, size_t len);
#endif
