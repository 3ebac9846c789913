/* The tar header guard: follows a tar stream's 512-byte header blocks as they pass from the
 * decompressor to libarchive, and refuses extension headers that would make libarchive's
 * parse cost far more than their size: libarchive 3.6.2 adds each ACL entry of a pax
 * SCHILY.acl.* record or a Solaris 'A' header to a list it walks from the head (quadratic: a
 * 900 KB record is ~25 s of CPU). It sees every byte before libarchive does, and checks at
 * each entry that libarchive reads its headers where the guard's own reading put them, so
 * the two cannot drift apart unseen. */
#ifndef OCI_UNPACK_TARGUARD_H
#define OCI_UNPACK_TARGUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct archive;

/* A pax extended header ('x'/'X', or a global 'g'): a path and a link target (4 KiB each,
 * PATH_MAX) and the file's xattrs, of which the VFS caps one value at 64 KiB (XATTR_SIZE_MAX)
 * and ext4 keeps all of a file's in one 4 KiB block: real ones are a few KiB (Go's, GNU
 * tar's, bsdtar's); 256 KiB holds two full-size 64 KiB values base64-encoded with room. */
#define OCI_TARGUARD_PAX_MAX (256u << 10)
/* One SCHILY.acl.* record, or a Solaris 'A' header: ext4 stores an ACL in one xattr block, at
 * most ~500 entries, and 16 KiB of text holds 256 entries of a 32-character user name. */
#define OCI_TARGUARD_ACL_TEXT_MAX (16u << 10)
/* ACL entries of one tar entry: libarchive's cost is the square of this count. oci-unpack
 * applies no ACL (apply.c sets no system.posix_acl_* xattr), so this only has to let real
 * layers through: getfacl shows a handful of entries; 256 costs libarchive ~0.1 ms, about
 * what creating the file costs. */
#define OCI_TARGUARD_ACL_ENTRIES_MAX 256u
/* Extension headers ('x', 'g', 'L', 'K', 'A', 'V') in front of one entry: real ones have at
 * most three (pax, long name, long link); libarchive gives up at 32. */
#define OCI_TARGUARD_EXT_MAX 16u
/* Entries of a GNU sparse map (old format: 4 in the header, 21 per extension block; 1.0: a
 * count at the start of the data). libarchive keeps each in a list: 2 million from an 8 KB
 * gzip layer took 106 MB. A real sparse file (a VM image, a database) has a few thousand
 * extents; 65536 cost libarchive ~3 MB. */
#define OCI_TARGUARD_SPARSE_MAX 65536u

/* Fixed size: no input grows it but the list of entry starts not yet checked, which holds at
 * most the entries in the bytes libarchive has been handed and not consumed (a block or
 * two). */
typedef struct oci_unpack_targuard {
	uint64_t off;		/* stream bytes looked at */
	int state;		/* where off is: a header, an extension body, data, the end */
	unsigned char blk[512]; /* the header block being assembled */
	size_t have;
	uint64_t left, pad; /* bytes left of the body or data being skipped, then its padding */
	char kind;	    /* the typeflag of the extension header whose body is being read */
	int fmt; /* libarchive's idea of the archive format (it decides hard link sizes) */
	/* the entry whose headers are being read */
	unsigned n_ext;
	bool had_pax;
	bool has_size; /* a pax "size" record: the entry's data size */
	int64_t pax_size;
	uint32_t acl_entries;
	uint32_t n_sparse; /* GNU sparse extension blocks */
	int sparse10;	   /* pax GNU.sparse.major (1) and .minor (2) seen */
	int sp_major, sp_minor;
	int map;	   /* reading a sparse 1.0 map's count at the start of the data */
	uint64_t map_n;	   /* its value so far */
	char name[256];	   /* its name so far, for messages (pax path, GNU long name, header) */
	bool name_set;	   /* from a pax path or a long name: the header's name is not used */
	oci_error pending; /* a refusal, reported once the entry's name is known */
	bool has_pending;
	/* the pax record being parsed */
	int rstate, rkind;
	uint64_t rlen, rdone, room; /* its length, bytes of it seen, the body left at its start */
	char key[24];
	size_t keylen;
	int nstate; /* the "size" value: whitespace, digits, done (libarchive's tar_atol10) */
	bool nneg, nover;
	uint64_t nval;
	size_t namelen;
	/* where entries start, as this reading sees them, not yet checked against libarchive */
	uint64_t *starts;
	size_t n_starts, cap_starts, first;
	unsigned long synced; /* entries checked */
	bool failed;
} oci_unpack_targuard;

void oci_unpack_targuard_init(oci_unpack_targuard *g);
void oci_unpack_targuard_release(oci_unpack_targuard *g);
/* Look at the next n bytes of the stream, before libarchive is handed them; n = 0 is its end.
 * -1 (and failed set) with the refusal: "entry 'NAME': ... over the limit of N bytes". */
int oci_unpack_targuard_feed(oci_unpack_targuard *g, const void *buf, size_t n, oci_error *err);
/* libarchive is about to be at stream byte pos to read an entry's headers: -1 unless the guard
 * also reads an entry's headers there. */
int oci_unpack_targuard_expect(oci_unpack_targuard *g, uint64_t pos, oci_error *err);
/* Before archive_read_next_header(a): skip the rest of the current entry and check where a
 * stands (oci_unpack_targuard_expect). */
int oci_unpack_targuard_sync(oci_unpack_targuard *g, struct archive *a, oci_error *err);

#endif
