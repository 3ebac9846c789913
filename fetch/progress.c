/* Per-layer progress bars. Each redraw moves the cursor up over the lines drawn before and
 * rewrites them, so the lines never wrap (they are cut to the terminal's width) and the
 * final state stays on screen. Everything goes out in one write to avoid flicker. */
#include "fetch/progress.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/util.h"

#define BAR 24

void oci_progress_init(oci_progress *p, int fd)
{
	p->fd = fd;
	p->drawn = 0;
}

void oci_progress_human(uint64_t n, char *buf, size_t len)
{
	oci_format_size(n, buf, len);
}

size_t oci_progress_format(const oci_progress_line *l, int width, char *buf, size_t len)
{
	char got[32], tot[32], rate[40] = "";
	char bar[BAR + 3];
	uint64_t done = l->done > l->total ? l->total : l->done;
	size_t fill = l->total ? (size_t)((double)done / (double)l->total * BAR) : 0;
	bar[0] = '[';
	for (size_t i = 0; i < BAR; i++)
		bar[i + 1] = i < fill ? '=' : (i == fill && done < l->total && done ? '>' : ' ');
	bar[BAR + 1] = ']';
	bar[BAR + 2] = '\0';
	oci_progress_human(done, got, sizeof(got));
	oci_progress_human(l->total, tot, sizeof(tot));
	if (l->rate) {
		char r[32];
		oci_progress_human(l->rate, r, sizeof(r));
		snprintf(rate, sizeof(rate), "  %s/s", r);
	}
	int n = snprintf(buf, len, "%s %s %s / %s%s  %s", l->label, bar, got, tot, rate, l->status);
	if (n < 0)
		n = 0;
	size_t out = (size_t)n < len ? (size_t)n : len - 1;
	if (width > 0 && out > (size_t)width)
		out = (size_t)width;
	buf[out] = '\0';
	return out;
}

static int term_width(int fd)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col - 1; /* never the last column: some terminals wrap there */
	return 79;
}

void oci_progress_draw(oci_progress *p, const oci_progress_line *lines, size_t n)
{
	int width = term_width(p->fd);
	size_t cap = (n + 1) * 320 + 32;
	cleanup_free char *out = malloc(cap);
	if (!out)
		return;
	size_t o = 0;
	if (p->drawn)
		o += (size_t)snprintf(out, cap, "\033[%zuA", p->drawn);
	for (size_t i = 0; i < n && o + 320 < cap; i++) {
		o += (size_t)snprintf(out + o, cap - o, "\r\033[K");
		o += oci_progress_format(&lines[i], width, out + o, 300);
		out[o++] = '\n';
	}
	p->drawn = n;
	oci_error e = OCI_ERROR_INIT;
	oci_write_all(p->fd, out, o, &e);
}
