/* Streaming tar writer for the oci-archive stream. Entries are written by hand as ustar
 * headers so each blob can be streamed while it downloads (its size comes from the
 * descriptor); metadata is fixed (root, 0644, mtime 0) so the same image gives the same
 * stream. Names over 100 bytes and sizes over 8 GiB use pax extended headers. */
#include "fetch/archive_out.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "common/util.h"

#define BLOCK	   512
#define PIPE_BYTES (1 << 20)

static const char zeros[BLOCK * 2];

void oci_archive_out_init(oci_archive_out *a, int fd)
{
	memset(a, 0, sizeof(*a));
	a->fd = fd;
	a->sendfile_ok = true;
	/* A pipe of 64 KiB (the default) costs a sendfile and a wake-up of each side per 64 KiB:
	 * ask for 1 MiB, as oci-unpack does on its end, so any consumer (tar, cat, a peer) gets
	 * the bigger pipe. Only ever grown, never shrunk below what the consumer chose. Best
	 * effort: over the user's pipe quota (EPERM) the stream simply flows through the smaller
	 * pipe. */
	int cur = fcntl(fd, F_GETPIPE_SZ);
	if (cur > 0 && cur < PIPE_BYTES)
		(void)fcntl(fd, F_SETPIPE_SZ, PIPE_BYTES);
}

static int put(oci_archive_out *a, const void *p, size_t len, oci_error *err)
{
	if (oci_write_all(a->fd, p, len, err) < 0)
		return oci_err_prefix(err, "writing the image stream");
	return 0;
}

static void octal(char *field, size_t width, uint64_t v)
{
	snprintf(field, width, "%0*llo", (int)width - 1, (unsigned long long)v);
}

static int header(oci_archive_out *a, const char *name, uint64_t size, char type, oci_error *err)
{
	unsigned char h[BLOCK];
	memset(h, 0, sizeof(h));
	snprintf((char *)h, 100, "%s", name);
	octal((char *)h + 100, 8, 0644);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	octal((char *)h + 124, 12, size > 077777777777ULL ? 0 : size);
	octal((char *)h + 136, 12, 0);
	memset(h + 148, ' ', 8);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memcpy(h + 265, "root", 4);
	memcpy(h + 297, "root", 4);
	unsigned sum = 0;
	for (size_t i = 0; i < BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	return put(a, h, sizeof(h), err);
}

/* A pax record "LEN key=value\n", where LEN counts itself. */
static size_t pax_record(char *buf, size_t len, const char *key, const char *value)
{
	size_t body = strlen(key) + strlen(value) + 3; /* ' ', '=', '\n' */
	size_t n = body + 1;
	while (snprintf(NULL, 0, "%zu", n) + body != n)
		n++;
	snprintf(buf, len, "%zu %s=%s\n", n, key, value);
	return n;
}

int oci_archive_out_begin(oci_archive_out *a, const char *name, uint64_t size, oci_error *err)
{
	bool long_name = strlen(name) >= 100;
	bool big = size > 077777777777ULL;
	if (long_name || big) {
		char pax[1024];
		size_t n = 0;
		char num[32];
		if (strlen(name) > 900)
			return oci_err(err, OCI_E_INVALID, "archive entry name too long");
		if (long_name)
			n += pax_record(pax + n, sizeof(pax) - n, "path", name);
		if (big) {
			snprintf(num, sizeof(num), "%llu", (unsigned long long)size);
			n += pax_record(pax + n, sizeof(pax) - n, "size", num);
		}
		char pname[100];
		snprintf(pname, sizeof(pname), "PaxHeaders/%.80s",
			 strrchr(name, '/') ? strrchr(name, '/') + 1 : name);
		if (header(a, pname, n, 'x', err) < 0 || put(a, pax, n, err) < 0)
			return -1;
		if (n % BLOCK && put(a, zeros, BLOCK - n % BLOCK, err) < 0)
			return -1;
	}
	a->entry_size = size;
	a->entry_written = 0;
	return header(a, name, size, '0', err);
}

int oci_archive_out_data(oci_archive_out *a, const void *data, size_t len, oci_error *err)
{
	if (a->entry_written + len > a->entry_size)
		return oci_err(err, OCI_E_INTERNAL, "archive entry overflow");
	a->entry_written += len;
	return put(a, data, len, err);
}

int oci_archive_out_data_fd(oci_archive_out *a, int fd, uint64_t off, uint64_t len, char *buf,
			    size_t cap, oci_error *err)
{
	if (a->entry_written + len > a->entry_size)
		return oci_err(err, OCI_E_INTERNAL, "archive entry overflow");
	/* sendfile hands the page cache's pages to a pipe without copying them through here */
	while (len > 0 && a->sendfile_ok) {
		off_t o = (off_t)off;
		ssize_t n = sendfile(a->fd, fd, &o, len > (1u << 30) ? (1u << 30) : (size_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
			a->sendfile_ok = false;
			break;
		}
		if (n < 0)
			return oci_err_errno(err, errno, "writing the image stream: write failed");
		if (n == 0)
			return oci_err(err, OCI_E_IO,
				       "reading the downloaded blob: it ended early");
		off += (uint64_t)n;
		len -= (uint64_t)n;
		a->entry_written += (uint64_t)n;
	}
	while (len > 0) {
		ssize_t n = pread(fd, buf, len < cap ? (size_t)len : cap, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return oci_err_errno(err, n < 0 ? errno : EIO,
					     "reading the downloaded blob");
		if (oci_archive_out_data(a, buf, (size_t)n, err) < 0)
			return -1;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

int oci_archive_out_end(oci_archive_out *a, oci_error *err)
{
	if (a->entry_written != a->entry_size)
		return oci_err(err, OCI_E_INTERNAL, "archive entry short: %llu of %llu bytes",
			       (unsigned long long)a->entry_written,
			       (unsigned long long)a->entry_size);
	size_t pad = (size_t)(a->entry_size % BLOCK);
	if (pad && put(a, zeros, BLOCK - pad, err) < 0)
		return -1;
	return 0;
}

int oci_archive_out_file(oci_archive_out *a, const char *name, const void *data, size_t len,
			 oci_error *err)
{
	if (oci_archive_out_begin(a, name, len, err) < 0 ||
	    oci_archive_out_data(a, data, len, err) < 0)
		return -1;
	return oci_archive_out_end(a, err);
}

int oci_archive_out_finish(oci_archive_out *a, oci_error *err)
{
	return put(a, zeros, sizeof(zeros), err);
}
