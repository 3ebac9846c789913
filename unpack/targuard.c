/* The tar header guard (targuard.h): a reading of the tar stream that follows what
 * libarchive 3.6.2's tar reader does with each 512-byte block (its header checksum, size
 * fields in octal or base-256, which entry types have data, the pax "size" record, GNU
 * sparse extension blocks, the end marker), looking only at header blocks and extension
 * bodies, skipping data. Anything it cannot tell the way libarchive would is refused, and
 * oci_unpack_targuard_sync checks at every entry that both readings agree. */
#include <archive.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "unpack/targuard.h"
#include "unpack/unpack.h"

enum { S_HEADER, S_BODY, S_SPARSE, S_DATA, S_END };
enum { F_NONE, F_TAR, F_USTAR, F_GNU, F_PAX }; /* libarchive's archive_format, as it sets it */
enum { R_LEN, R_KEY, R_VAL, R_STOP };	       /* a pax record: "LEN KEY=VALUE\n" */
enum { K_OTHER, K_ACL, K_SIZE, K_PATH, K_SPMAJOR, K_SPMINOR };
enum { N_WS, N_DIG, N_DONE };
enum { M_NONE, M_LINE, M_COMMENT, M_COUNT }; /* a sparse 1.0 map's first lines */

#define ACL_PREFIX "SCHILY.acl."

void oci_unpack_targuard_init(oci_unpack_targuard *g)
{
	memset(g, 0, sizeof(*g));
	g->pending = (oci_error)OCI_ERROR_INIT;
}

void oci_unpack_targuard_release(oci_unpack_targuard *g)
{
	free(g->starts);
	g->starts = NULL;
	g->n_starts = g->cap_starts = g->first = 0;
}

static int fail(oci_unpack_targuard *g)
{
	g->failed = true;
	return -1;
}

/* An entry's headers start at the current offset. */
static int push_start(oci_unpack_targuard *g, oci_error *err)
{
	if (g->first > 0 && g->first == g->n_starts)
		g->first = g->n_starts = 0;
	if (g->n_starts == g->cap_starts) {
		if (g->first > 0) {
			memmove(g->starts, g->starts + g->first,
				(g->n_starts - g->first) * sizeof(*g->starts));
			g->n_starts -= g->first;
			g->first = 0;
		} else {
			size_t cap = g->cap_starts ? 2 * g->cap_starts : 64;
			uint64_t *p = realloc(g->starts, cap * sizeof(*p));
			if (!p) {
				fail(g);
				return oci_err_errno(err, ENOMEM, "cannot allocate");
			}
			g->starts = p;
			g->cap_starts = cap;
		}
	}
	g->starts[g->n_starts++] = g->off;
	return 0;
}

/* libarchive's tar_atol: base-256 when the high bit is set, else octal after blanks. Its
 * overflow value is INT64_MAX (or INT64_MIN). */
static int64_t field_num(const unsigned char *p, size_t n)
{
	if (p[0] & 0x80) {
		unsigned char neg = (p[0] & 0x40) ? 0xff : 0, c = p[0];
		uint64_t l = neg ? ~0ull : 0;
		c = neg ? (c | 0x80) : (c & 0x7f);
		for (; n > 8; n--) {
			if (c != neg)
				return neg ? INT64_MIN : INT64_MAX;
			c = *++p;
		}
		if ((c ^ neg) & 0x80)
			return neg ? INT64_MIN : INT64_MAX;
		while (--n > 0) {
			l = (l << 8) | c;
			c = *++p;
		}
		l = (l << 8) | c;
		return (int64_t)l;
	}
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	bool neg = n > 0 && *p == '-';
	if (neg) {
		p++;
		n--;
	}
	uint64_t l = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; n > 0 && *p >= '0' && *p <= '7'; p++, n--) {
		if (l > (lim - (uint64_t)(*p - '0')) / 8)
			return neg ? INT64_MIN : INT64_MAX;
		l = l * 8 + (uint64_t)(*p - '0');
	}
	return neg ? (int64_t)(0 - l) : (int64_t)l;
}

/* libarchive's checksum(): the field holds octal digits, and the sum of the block with the
 * field as blanks matches, over unsigned or (old tars) signed bytes. */
static bool checksum_ok(const unsigned char *b)
{
	for (int i = 148; i < 156; i++)
		if (b[i] != ' ' && b[i] != 0 && (b[i] < '0' || b[i] > '7'))
			return false;
	int64_t sum = field_num(b + 148, 8);
	int64_t u = 0, s = 0;
	for (int i = 0; i < 512; i++) {
		bool field = i >= 148 && i < 156;
		u += field ? 32 : b[i];
		s += field ? 32 : (signed char)b[i];
	}
	return sum == u || sum == s;
}

static bool all_zero(const unsigned char *b)
{
	for (int i = 0; i < 512; i++)
		if (b[i])
			return false;
	return true;
}

static uint64_t padding(uint64_t n)
{
	return (512 - (n & 511)) & 511;
}

/* The entry's name for messages, from a header's name field (with the ustar prefix). */
static void name_from_header(oci_unpack_targuard *g, const unsigned char *b)
{
	const char *name = (const char *)b, *prefix = (const char *)b + 345;
	size_t nl = strnlen(name, 100), pl = 0;
	if (!memcmp(b + 257, "ustar\0", 6))
		pl = strnlen(prefix, 155);
	size_t n = 0;
	if (pl) {
		memcpy(g->name, prefix, pl);
		g->name[pl] = '/';
		n = pl + 1;
	}
	memcpy(g->name + n, name, nl);
	g->name[n + nl] = 0;
}

/* A refusal for the entry being read: kept until its name is known (libarchive parses
 * extension headers only once it has the entry's own header, which the guard sees first). */
static void refuse(oci_unpack_targuard *g, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void refuse(oci_unpack_targuard *g, int code, const char *fmt, ...)
{
	if (g->has_pending)
		return;
	va_list ap;
	va_start(ap, fmt);
	oci_err_v(&g->pending, code, fmt, ap);
	va_end(ap);
	g->has_pending = true;
}

static int report(oci_unpack_targuard *g, oci_error *err)
{
	*err = g->pending;
	oci_unpack_err_entry(err, g->name);
	g->has_pending = false;
	return fail(g);
}

static void acl_entry(oci_unpack_targuard *g)
{
	if (++g->acl_entries == OCI_TARGUARD_ACL_ENTRIES_MAX + 1)
		refuse(g, OCI_E_LIMIT, "more than %u ACL entries, the limit",
		       OCI_TARGUARD_ACL_ENTRIES_MAX);
}

/* One byte of a pax extended header's body. libarchive stops at the first malformed record,
 * so the guard does too: what follows it is never parsed. */
static void pax_byte(oci_unpack_targuard *g, unsigned char c, uint64_t room)
{
	switch (g->rstate) {
	case R_LEN:
		if (g->rdone++ == 0)
			g->room = room;
		if (c >= '0' && c <= '9') {
			g->rlen = g->rlen * 10 + (c - '0');
			if (g->rlen > g->room)
				g->rstate = R_STOP;
		} else if (c == ' ' && g->rlen > 0 && g->rdone < g->rlen) {
			g->rstate = R_KEY;
			g->keylen = 0;
		} else {
			g->rstate = R_STOP;
		}
		return;
	case R_KEY:
		if (++g->rdone == g->rlen || c == 0 || (c == '=' && g->keylen == 0)) {
			g->rstate = R_STOP;
			return;
		}
		if (c != '=') {
			if (g->keylen < sizeof(g->key) - 1)
				g->key[g->keylen] = (char)c;
			g->keylen++;
			return;
		}
		g->key[g->keylen < sizeof(g->key) ? g->keylen : sizeof(g->key) - 1] = 0;
		g->rkind = K_OTHER;
		if (!strncmp(g->key, ACL_PREFIX, strlen(ACL_PREFIX))) {
			g->rkind = K_ACL;
			if (g->rlen > OCI_TARGUARD_ACL_TEXT_MAX)
				refuse(g, OCI_E_LIMIT,
				       "%s%s record of %llu bytes is over the limit of %u bytes",
				       g->key, g->keylen >= sizeof(g->key) ? "..." : "",
				       (unsigned long long)g->rlen, OCI_TARGUARD_ACL_TEXT_MAX);
			acl_entry(g);
		} else if ((g->keylen == 4 && !memcmp(g->key, "size", 4)) ||
			   (g->keylen == 16 && !memcmp(g->key, "GNU.sparse.major", 16)) ||
			   (g->keylen == 16 && !memcmp(g->key, "GNU.sparse.minor", 16))) {
			g->rkind = g->keylen == 4      ? K_SIZE
				   : g->key[12] == 'a' ? K_SPMAJOR
						       : K_SPMINOR;
			g->nstate = N_WS;
			g->nneg = g->nover = false;
			g->nval = 0;
		} else if (g->keylen == 4 && !memcmp(g->key, "path", 4)) {
			g->rkind = K_PATH;
			g->namelen = 0;
			g->name_set = true;
			g->name[0] = 0;
		}
		g->rstate = R_VAL;
		return;
	case R_VAL:
		if (++g->rdone == g->rlen) {
			if (c != '\n') {
				g->rstate = R_STOP;
				return;
			}
			/* libarchive's tar_atol10; a negative or overflowing size fails the
			 * archive there, so any value will do for it */
			int64_t v = g->nover ? (g->nneg ? INT64_MIN : INT64_MAX)
					     : (g->nneg ? -(int64_t)g->nval : (int64_t)g->nval);
			if (g->rkind == K_SIZE) {
				g->has_size = true;
				g->pax_size = v < 0 || v == INT64_MAX ? 0 : v;
			} else if (g->rkind == K_SPMAJOR) {
				g->sparse10 |= 1;
				g->sp_major = (int)v;
			} else if (g->rkind == K_SPMINOR) {
				g->sparse10 |= 2;
				g->sp_minor = (int)v;
			}
			g->rstate = R_LEN;
			g->rlen = g->rdone = 0;
			return;
		}
		if (g->rkind == K_ACL && (c == ',' || c == '\n')) {
			acl_entry(g);
		} else if (g->rkind == K_PATH) {
			if (g->namelen < sizeof(g->name) - 1 && c) {
				g->name[g->namelen++] = (char)c;
				g->name[g->namelen] = 0;
			}
		} else if (g->rkind == K_SIZE || g->rkind == K_SPMAJOR || g->rkind == K_SPMINOR) {
			if (g->nstate == N_WS && (c == ' ' || c == '\t'))
				return;
			if (g->nstate == N_WS && c == '-') {
				g->nneg = true;
				g->nstate = N_DIG;
				return;
			}
			if (g->nstate != N_DONE && c >= '0' && c <= '9') {
				g->nstate = N_DIG;
				if (g->nval > ((uint64_t)INT64_MAX - (c - '0')) / 10)
					g->nover = true;
				else
					g->nval = g->nval * 10 + (c - '0');
				return;
			}
			g->nstate = N_DONE;
		}
		return;
	default:
		return;
	}
}

/* The first bytes of a sparse 1.0 entry's data: its map's number of entries. */
static int map_bytes(oci_unpack_targuard *g, const unsigned char *p, size_t n, oci_error *err)
{
	for (size_t i = 0; i < n && g->map != M_NONE; i++) {
		unsigned char c = p[i];
		if (g->map == M_COMMENT) {
			if (c == '\n')
				g->map = M_LINE;
		} else if (g->map == M_LINE && c == '#') {
			g->map = M_COMMENT;
		} else if (c >= '0' && c <= '9') {
			g->map = M_COUNT;
			g->map_n = g->map_n * 10 + (c - '0');
			if (g->map_n > OCI_TARGUARD_SPARSE_MAX) {
				/* refused at this digit, however the stream was cut */
				g->off += i + 1;
				refuse(g, OCI_E_LIMIT, "a GNU sparse map of more than %u entries",
				       OCI_TARGUARD_SPARSE_MAX);
				return report(g, err);
			}
		} else {
			g->map = M_NONE; /* the count's end, or what libarchive refuses */
		}
	}
	return 0;
}

/* The next n bytes of the body of the extension header being read (g->left not yet
 * counted down). */
static void body_bytes(oci_unpack_targuard *g, const unsigned char *p, size_t n)
{
	if (g->kind == 'x' || g->kind == 'X') {
		for (size_t i = 0; i < n && g->rstate != R_STOP; i++)
			pax_byte(g, p[i], g->left - i);
	} else if (g->kind == 'A') {
		for (size_t i = 0; i < n; i++)
			if (p[i] == ',' || p[i] == '\n')
				acl_entry(g);
	} else if (g->kind == 'L' && g->namelen < sizeof(g->name) - 1) {
		size_t k = strnlen((const char *)p, n);
		if (k > sizeof(g->name) - 1 - g->namelen)
			k = sizeof(g->name) - 1 - g->namelen;
		memcpy(g->name + g->namelen, p, k);
		g->namelen += k;
		g->name[g->namelen] = 0;
	}
}

static void entry_reset(oci_unpack_targuard *g)
{
	g->n_ext = 0;
	g->had_pax = g->has_size = g->name_set = false;
	g->acl_entries = 0;
	g->n_sparse = 0;
	g->sparse10 = 0;
	g->sp_major = g->sp_minor = 0;
	g->name[0] = 0;
	g->namelen = 0;
}

/* An extension header: its body comes next, then another header for the same entry. */
static int ext_header(oci_unpack_targuard *g, const unsigned char *b, char t, int64_t size)
{
	if (++g->n_ext > OCI_TARGUARD_EXT_MAX)
		refuse(g, OCI_E_LIMIT, "more than %u extension headers for one entry",
		       OCI_TARGUARD_EXT_MAX);
	if (t == 'x' || t == 'X' || t == 'g' || t == 'A')
		g->fmt = F_PAX;
	if (!g->name_set)
		name_from_header(g, b);
	if (t == 'V')
		return 0; /* a volume label: libarchive reads the next header at once */
	if (size < 0 || size == INT64_MAX)
		size = 0;
	if ((t == 'x' || t == 'X') && g->had_pax)
		refuse(g, OCI_E_INVALID, "a second pax extended header for one entry");
	if ((t == 'x' || t == 'X' || t == 'g') && (uint64_t)size > OCI_TARGUARD_PAX_MAX)
		refuse(g, OCI_E_LIMIT, "pax %s header of %lld bytes is over the limit of %u bytes",
		       t == 'g' ? "global" : "extended", (long long)size, OCI_TARGUARD_PAX_MAX);
	if (t == 'A' && (uint64_t)size > OCI_TARGUARD_ACL_TEXT_MAX)
		refuse(g, OCI_E_LIMIT,
		       "Solaris ACL header of %lld bytes is over the limit of %u bytes",
		       (long long)size, OCI_TARGUARD_ACL_TEXT_MAX);
	if (t == 'x' || t == 'X')
		g->had_pax = true;
	if (t == 'L') {
		g->name_set = true;
		g->namelen = 0;
		g->name[0] = 0;
	}
	if (t == 'A')
		acl_entry(g);
	g->kind = t;
	g->rstate = R_LEN;
	g->rlen = g->rdone = 0;
	g->left = (uint64_t)size;
	g->pad = padding((uint64_t)size);
	g->state = S_BODY;
	return 0;
}

/* The entry's own header: its data follows, then the next entry. */
static int entry_header(oci_unpack_targuard *g, const unsigned char *b, char t, int64_t size,
			oci_error *err)
{
	if (!memcmp(b + 257, "ustar  \0", 8))
		g->fmt = F_GNU;
	else if (!memcmp(b + 257, "ustar", 5))
		g->fmt = g->fmt == F_PAX ? F_PAX : F_USTAR;
	else
		g->fmt = F_TAR;
	if (!g->name_set)
		name_from_header(g, b);
	if (size < 0 || size == INT64_MAX)
		size = 0;
	switch (t) {
	case '1':
		/* libarchive: a hard link has data in pax, none in GNU or old tars; in ustar
		 * it guesses by looking for a header after it. No guess here. */
		if (size > 0 && g->fmt == F_USTAR)
			refuse(g, OCI_E_INVALID,
			       "hard link with a size of %lld bytes in a ustar archive: its data "
			       "cannot be told from the next entry",
			       (long long)size);
		if (g->fmt == F_GNU || g->fmt == F_TAR)
			size = 0;
		break;
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
		size = 0;
		break;
	}
	if (g->has_size)
		size = g->pax_size;
	if (g->has_pending)
		return report(g, err);
	g->left = (uint64_t)size;
	g->pad = padding((uint64_t)size);
	/* GNU's old sparse format: extension blocks come between the header and the data, as
	 * long as the previous one's flag says so. libarchive's gnu_sparse_old_read looks for
	 * them after any GNU header whose first sparse offset is not empty, whatever its type. */
	g->state = g->fmt == F_GNU && b[386] && b[482] ? S_SPARSE : S_DATA;
	/* GNU's sparse format 1.0 (pax GNU.sparse.major=1, minor=0): the data starts with the
	 * map, a line with its number of entries ('#' lines before it are skipped), each of
	 * which libarchive keeps in a list */
	g->map = g->sparse10 && g->sp_major == 1 && g->sp_minor == 0 ? M_LINE : M_NONE;
	g->map_n = 0;
	return 0;
}

/* A whole header block at g->off - 512. */
static int header_block(oci_unpack_targuard *g, const unsigned char *b, oci_error *err)
{
	if (g->state == S_SPARSE) {
		if (4 + 21 * (uint64_t)++g->n_sparse > OCI_TARGUARD_SPARSE_MAX) {
			refuse(g, OCI_E_LIMIT, "a GNU sparse map of more than %u entries",
			       OCI_TARGUARD_SPARSE_MAX);
			return report(g, err);
		}
		if (!b[504])
			g->state = S_DATA;
		return 0;
	}
	if (all_zero(b)) {
		/* libarchive's end of the archive: what follows is not read as tar */
		if (g->has_pending)
			return report(g, err);
		g->state = S_END;
		return 0;
	}
	if (!checksum_ok(b)) {
		/* libarchive skips this block alone and starts over with the next one */
		if (g->has_pending)
			return report(g, err);
		entry_reset(g);
		return push_start(g, err);
	}
	char t = (char)b[156];
	int64_t size = field_num(b + 124, 12);
	switch (t) {
	case 'A':
	case 'g':
	case 'K':
	case 'L':
	case 'V':
	case 'X':
	case 'x':
		return ext_header(g, b, t, size);
	default:
		return entry_header(g, b, t, size, err);
	}
}

/* The data (or a body) and its padding are behind: what comes next. */
static int skipped(oci_unpack_targuard *g, oci_error *err)
{
	if (g->state == S_BODY) {
		g->state = S_HEADER;
		return 0;
	}
	entry_reset(g);
	g->state = S_HEADER;
	return push_start(g, err);
}

/* After a header block: an entry without data is over at once (libarchive may ask where the
 * next one starts before the guard is handed another byte). */
static int settle(oci_unpack_targuard *g, oci_error *err)
{
	if ((g->state == S_BODY || g->state == S_DATA) && g->left == 0 && g->pad == 0)
		return skipped(g, err);
	return 0;
}

int oci_unpack_targuard_feed(oci_unpack_targuard *g, const void *buf, size_t n, oci_error *err)
{
	const unsigned char *p = buf;
	if (g->failed)
		return oci_err(err, OCI_E_INTERNAL, "tar guard used after a failure");
	if (g->n_starts == 0 && g->off == 0 && push_start(g, err) < 0)
		return -1;
	if (n == 0) {
		/* the end of the stream: libarchive parses no header left incomplete */
		return g->has_pending ? report(g, err) : 0;
	}
	while (n > 0) {
		size_t k;
		if (g->state == S_END) {
			g->off += n;
			return 0;
		}
		if ((g->state == S_BODY || g->state == S_DATA) && g->left > 0) {
			k = g->left < n ? (size_t)g->left : n;
			if (g->state == S_BODY)
				body_bytes(g, p, k);
			else if (g->map != M_NONE && map_bytes(g, p, k, err) < 0)
				return -1;
			g->left -= k;
		} else if (g->state == S_BODY || g->state == S_DATA) {
			k = g->pad < n ? (size_t)g->pad : n;
			g->pad -= k;
		} else if (g->have == 0 && n >= 512) {
			/* a header (or sparse extension) block, whole in buf */
			g->off += 512;
			if (header_block(g, p, err) < 0 || settle(g, err) < 0)
				return -1;
			p += 512;
			n -= 512;
			continue;
		} else {
			k = 512 - g->have < n ? 512 - g->have : n;
			memcpy(g->blk + g->have, p, k);
			g->have += k;
			g->off += k;
			p += k;
			n -= k;
			if (g->have == 512) {
				g->have = 0;
				if (header_block(g, g->blk, err) < 0 || settle(g, err) < 0)
					return -1;
			}
			continue;
		}
		g->off += k;
		p += k;
		n -= k;
		if (g->left == 0 && g->pad == 0 && skipped(g, err) < 0)
			return -1;
	}
	return 0;
}

int oci_unpack_targuard_expect(oci_unpack_targuard *g, uint64_t pos, oci_error *err)
{
	while (g->first < g->n_starts && g->starts[g->first] < pos)
		g->first++;
	if (g->first < g->n_starts && g->starts[g->first] == pos) {
		g->first++;
		g->synced++;
		return 0;
	}
	fail(g);
	return oci_err(err, OCI_E_INVALID,
		       "cannot follow the tar stream: an entry's headers are read at byte %llu, "
		       "inside what its previous headers describe",
		       (unsigned long long)pos);
}

int oci_unpack_targuard_sync(oci_unpack_targuard *g, struct archive *a, oci_error *err)
{
	if (g->synced > 0 && archive_read_data_skip(a) != ARCHIVE_OK)
		return oci_err_archive(err, a, "invalid tar data");
	la_int64_t pos = archive_filter_bytes(a, 0);
	if (pos < 0)
		return oci_err(err, OCI_E_INTERNAL, "no tar stream position");
	return oci_unpack_targuard_expect(g, (uint64_t)pos, err);
}
