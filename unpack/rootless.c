/* Ownership when the image's owners cannot (or must not) be applied as they are: --uid-map and
 * --gid-map ranges, and the user.rootlesscontainers xattr that records an image owner on a
 * file an unprivileged user had to own itself (the format umoci --rootless and the
 * rootlesscontainers proposal use: a protobuf message {uint32 uid = 1; uint32 gid = 2;}). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "unpack/unpack.h"

int oci_unpack_map_id(const oci_unpack_idmap *maps, size_t n, uint32_t id, uint32_t *out)
{
	for (size_t i = 0; i < n; i++) {
		if (id >= maps[i].inside && id - maps[i].inside < maps[i].count) {
			*out = maps[i].outside + (id - maps[i].inside);
			return 0;
		}
	}
	return -1;
}

/* "inside:outside:count", as umoci's --uid-map takes it. */
int oci_unpack_parse_idmap(const char *s, oci_unpack_idmap *maps, size_t *n, oci_error *err)
{
	uint64_t v[3];
	char buf[96];
	char *save = NULL, *tok;
	int i = 0;
	if (*n >= UNPACK_MAX_IDMAPS)
		return oci_err(err, OCI_E_LIMIT, "at most %d id maps", UNPACK_MAX_IDMAPS);
	if (strlen(s) >= sizeof(buf))
		return oci_err(err, OCI_E_INVALID, "invalid id map '%s'", s);
	strcpy(buf, s);
	for (tok = strtok_r(buf, ":", &save); tok && i < 3; tok = strtok_r(NULL, ":", &save), i++)
		if (oci_parse_u64(tok, UINT32_MAX, &v[i]) < 0)
			return oci_err(err, OCI_E_INVALID,
				       "invalid id map '%s': expected INSIDE:OUTSIDE:COUNT", s);
	if (i != 3 || tok || v[2] == 0 || v[0] + v[2] > (uint64_t)UINT32_MAX + 1 ||
	    v[1] + v[2] > (uint64_t)UINT32_MAX + 1)
		return oci_err(err, OCI_E_INVALID,
			       "invalid id map '%s': expected INSIDE:OUTSIDE:COUNT", s);
	maps[*n] = (oci_unpack_idmap){(uint32_t)v[0], (uint32_t)v[1], (uint32_t)v[2]};
	(*n)++;
	return 0;
}

static size_t put_varint(unsigned char *b, uint32_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		b[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	b[n++] = (unsigned char)v;
	return n;
}

size_t oci_unpack_rootless_xattr(uint32_t uid, uint32_t gid, unsigned char *buf, size_t len)
{
	/* proto3: fields equal to 0 are omitted; a real 0 is written as NoopID would be wrong, so
	 * we follow umoci and write every non-zero field (0 means "owned by the container root").
	 */
	size_t n = 0;
	if (len < 12)
		return 0;
	if (uid) {
		buf[n++] = 0x08;
		n += put_varint(buf + n, uid);
	}
	if (gid) {
		buf[n++] = 0x10;
		n += put_varint(buf + n, gid);
	}
	return n;
}
