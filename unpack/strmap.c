/* A small open-addressing map from strings to numbers: the paths a layer touched (for opaque
 * directories and same-layer whiteouts) and the index of recorded directory metadata. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "unpack/unpack.h"

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static size_t find_slot(char **keys, size_t cap, const char *key)
{
	size_t i = (size_t)hash_str(key) & (cap - 1);
	while (keys[i] && strcmp(keys[i], key))
		i = (i + 1) & (cap - 1);
	return i;
}

static int grow(oci_unpack_strmap *m, oci_error *err)
{
	size_t ncap = m->cap ? m->cap * 2 : 1024;
	char **keys = oci_calloc(ncap, sizeof(*keys), err);
	uint32_t *vals = oci_calloc(ncap, sizeof(*vals), err);
	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t j = find_slot(keys, ncap, m->keys[i]);
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = ncap;
	return 0;
}

int oci_unpack_strmap_put(oci_unpack_strmap *m, const char *key, uint32_t val, oci_error *err)
{
	if ((m->len + 1) * 2 > m->cap && grow(m, err) < 0)
		return -1;
	size_t i = find_slot(m->keys, m->cap, key);
	if (!m->keys[i]) {
		m->keys[i] = oci_strdup(key, err);
		if (!m->keys[i])
			return -1;
		m->len++;
	}
	m->vals[i] = val;
	return 0;
}

bool oci_unpack_strmap_get(const oci_unpack_strmap *m, const char *key, uint32_t *val)
{
	if (!m->cap)
		return false;
	size_t i = find_slot(m->keys, m->cap, key);
	if (!m->keys[i])
		return false;
	if (val)
		*val = m->vals[i];
	return true;
}

void oci_unpack_strmap_clear(oci_unpack_strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
