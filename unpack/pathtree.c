/* The paths a layer names, and the directories whose metadata waits for the end, as a tree of
 * components: a node is its parent's id and its own name, found through one hash table keyed by
 * both. Recording or finding a path costs one step per component, and a new path costs one
 * node per component that was not there yet, so memory grows with the names an archive holds,
 * never with the square of their depth (a prefix stored as a whole string per component made a
 * 4 KiB name cost 4 MiB).
 *
 * A removed subtree is detached once: its nodes are flagged and it leaves its parent's child
 * list, so removing it again, or removing a sibling, never walks it again. Flagged nodes stay
 * in the hash table and come back to life, empty, when a path through them is recorded anew.
 *
 * The table's hash is seeded from getrandom() so that an archive cannot be written to make
 * every name collide. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/util.h"
#include "unpack/unpack.h"

#define NODE_DETACHED 1u
#define NODE_OPAQUE   2u

static uint64_t hash_seed;

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static uint64_t hash_name(uint32_t parent, const char *name, size_t len)
{
	uint64_t h = mix64(hash_seed ^ parent) ^ len;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, name + i, 8);
		h = mix64(h ^ w);
	}
	uint64_t w = 0;
	memcpy(&w, name + i, len - i);
	return mix64(h ^ w ^ ((uint64_t)len << 56));
}

static const char *node_name(const oci_unpack_pathtree *t, const oci_unpack_pathnode *n)
{
	return t->names + n->name_off;
}

static bool node_is(const oci_unpack_pathtree *t, uint32_t id, uint32_t parent, const char *name,
		    size_t len)
{
	const oci_unpack_pathnode *n = &t->nodes[id];
	return n->parent == parent && n->name_len == len && !memcmp(node_name(t, n), name, len);
}

/* The slot holding (parent, name), or the empty slot where it would go. */
static size_t tree_slot(const oci_unpack_pathtree *t, uint32_t parent, const char *name, size_t len)
{
	size_t mask = t->n_slots - 1;
	size_t i = (size_t)hash_name(parent, name, len) & mask;
	while (t->slots[i] != UNPACK_NODE_NONE && !node_is(t, t->slots[i], parent, name, len))
		i = (i + 1) & mask;
	return i;
}

static int grow_slots(oci_unpack_pathtree *t, oci_error *err)
{
	size_t ncap = t->n_slots ? t->n_slots * 2 : 1024;
	uint32_t *slots = oci_malloc(ncap * sizeof(*slots), err);
	if (!slots)
		return -1;
	memset(slots, 0xff, ncap * sizeof(*slots));
	free(t->slots);
	t->slots = slots;
	t->n_slots = ncap;
	for (uint32_t id = 1; id < t->n; id++) {
		const oci_unpack_pathnode *n = &t->nodes[id];
		t->slots[tree_slot(t, n->parent, node_name(t, n), n->name_len)] = id;
	}
	return 0;
}

void oci_unpack_pathtree_init(oci_unpack_pathtree *t, size_t max_nodes)
{
	memset(t, 0, sizeof(*t));
	t->max_nodes = max_nodes;
}

/* The root node, made on the first add. */
static int start(oci_unpack_pathtree *t, oci_error *err)
{
	if (!hash_seed &&
	    getrandom(&hash_seed, sizeof(hash_seed), GRND_NONBLOCK) != sizeof(hash_seed))
		hash_seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&hash_seed;
	t->cap = 256;
	t->nodes = oci_malloc(t->cap * sizeof(*t->nodes), err);
	if (!t->nodes)
		return -1;
	t->nodes[0] = (oci_unpack_pathnode){
	    .parent = UNPACK_NODE_NONE,
	    .first_child = UNPACK_NODE_NONE,
	    .next = UNPACK_NODE_NONE,
	    .prev = UNPACK_NODE_NONE,
	};
	t->n = 1;
	return grow_slots(t, err);
}

void oci_unpack_pathtree_release(oci_unpack_pathtree *t)
{
	size_t max_nodes = t->max_nodes;
	free(t->nodes);
	free(t->names);
	free(t->slots);
	oci_unpack_pathtree_init(t, max_nodes);
}

bool oci_unpack_pathtree_live(const oci_unpack_pathtree *t, uint32_t id)
{
	return id != UNPACK_NODE_NONE && !(t->nodes[id].flags & NODE_DETACHED);
}

uint32_t oci_unpack_pathtree_child(const oci_unpack_pathtree *t, uint32_t parent, const char *name,
				   size_t len)
{
	if (parent == UNPACK_NODE_NONE || !t->n_slots)
		return UNPACK_NODE_NONE;
	uint32_t id = t->slots[tree_slot(t, parent, name, len)];
	return oci_unpack_pathtree_live(t, id) ? id : UNPACK_NODE_NONE;
}

uint32_t oci_unpack_pathtree_find(const oci_unpack_pathtree *t, const char *path)
{
	uint32_t id = t->n ? 0 : UNPACK_NODE_NONE;
	while (*path && id != UNPACK_NODE_NONE) {
		const char *slash = strchr(path, '/');
		size_t len = slash ? (size_t)(slash - path) : strlen(path);
		id = oci_unpack_pathtree_child(t, id, path, len);
		path += len + (slash ? 1 : 0);
	}
	return id;
}

static void link_child(oci_unpack_pathtree *t, uint32_t parent, uint32_t id)
{
	oci_unpack_pathnode *p = &t->nodes[parent], *n = &t->nodes[id];
	n->prev = UNPACK_NODE_NONE;
	n->next = p->first_child;
	if (p->first_child != UNPACK_NODE_NONE)
		t->nodes[p->first_child].prev = id;
	p->first_child = id;
}

static int new_node(oci_unpack_pathtree *t, uint32_t parent, const char *name, size_t len,
		    uint32_t fill, size_t slot, uint32_t *out, oci_error *err)
{
	if (t->n >= t->max_nodes || t->n >= UNPACK_NODE_NONE)
		return oci_err(err, OCI_E_LIMIT, "more than %zu distinct paths (see --max-files)",
			       t->max_nodes);
	if (t->names_len + len > UINT32_MAX)
		return oci_err(err, OCI_E_LIMIT, "more than 4 GiB of path names");
	if (t->n == t->cap) {
		size_t ncap = t->cap * 2;
		oci_unpack_pathnode *nn = realloc(t->nodes, ncap * sizeof(*nn));
		if (!nn)
			return oci_err_errno(err, ENOMEM, "cannot record a path");
		t->nodes = nn;
		t->cap = ncap;
	}
	if (t->names_len + len > t->names_cap) {
		size_t ncap = t->names_cap ? t->names_cap * 2 : 4096;
		while (ncap < t->names_len + len)
			ncap *= 2;
		char *nn = realloc(t->names, ncap);
		if (!nn)
			return oci_err_errno(err, ENOMEM, "cannot record a path");
		t->names = nn;
		t->names_cap = ncap;
	}
	uint32_t id = (uint32_t)t->n++;
	memcpy(t->names + t->names_len, name, len);
	t->nodes[id] = (oci_unpack_pathnode){
	    .parent = parent,
	    .first_child = UNPACK_NODE_NONE,
	    .val = fill,
	    .name_off = (uint32_t)t->names_len,
	    .name_len = (uint16_t)len,
	    .depth = (uint16_t)(t->nodes[parent].depth + 1),
	};
	t->names_len += len;
	t->slots[slot] = id;
	link_child(t, parent, id);
	*out = id;
	return 0;
}

int oci_unpack_pathtree_add(oci_unpack_pathtree *t, const char *path, uint32_t fill, uint32_t *out,
			    oci_error *err)
{
	uint32_t id = 0;
	if (!t->n && start(t, err) < 0)
		return -1;
	while (*path) {
		const char *slash = strchr(path, '/');
		size_t len = slash ? (size_t)(slash - path) : strlen(path);
		if (len == 0 || len > UINT16_MAX || t->nodes[id].depth == UINT16_MAX)
			return oci_err(err, OCI_E_INVALID, "cannot record path '%.200s'", path);
		if ((t->n + 1) * 2 > t->n_slots && grow_slots(t, err) < 0)
			return -1;
		size_t slot = tree_slot(t, id, path, len);
		uint32_t c = t->slots[slot];
		if (c == UNPACK_NODE_NONE) {
			if (new_node(t, id, path, len, fill, slot, &c, err) < 0)
				return -1;
		} else if (t->nodes[c].flags & NODE_DETACHED) {
			/* a path removed earlier, named again: it starts afresh */
			t->nodes[c].flags = 0;
			t->nodes[c].val = fill;
			t->nodes[c].first_child = UNPACK_NODE_NONE;
			link_child(t, id, c);
		} else if (!t->nodes[c].val) {
			t->nodes[c].val = fill;
		}
		id = c;
		path += len + (slash ? 1 : 0);
	}
	*out = id;
	return 0;
}

void oci_unpack_pathtree_detach(oci_unpack_pathtree *t, uint32_t id)
{
	if (!oci_unpack_pathtree_live(t, id) || id == 0)
		return;
	oci_unpack_pathnode *n = &t->nodes[id];
	if (n->prev != UNPACK_NODE_NONE)
		t->nodes[n->prev].next = n->next;
	else
		t->nodes[n->parent].first_child = n->next;
	if (n->next != UNPACK_NODE_NONE)
		t->nodes[n->next].prev = n->prev;
	/* Flag the whole subtree, depth first, without a stack: down to the first child, else
	 * to the next sibling, else up until an ancestor has one (never above id). */
	uint32_t c = id;
	for (;;) {
		t->nodes[c].flags |= NODE_DETACHED;
		if (t->nodes[c].first_child != UNPACK_NODE_NONE) {
			c = t->nodes[c].first_child;
			continue;
		}
		while (c != id && t->nodes[c].next == UNPACK_NODE_NONE)
			c = t->nodes[c].parent;
		if (c == id)
			break;
		c = t->nodes[c].next;
	}
}

bool oci_unpack_pathtree_set_opaque(oci_unpack_pathtree *t, uint32_t id)
{
	bool was = t->nodes[id].flags & NODE_OPAQUE;
	t->nodes[id].flags |= NODE_OPAQUE;
	return !was;
}

char *oci_unpack_pathtree_path(const oci_unpack_pathtree *t, uint32_t id, oci_error *err)
{
	size_t len = 0;
	for (uint32_t c = id; c != 0; c = t->nodes[c].parent)
		len += t->nodes[c].name_len + (t->nodes[c].parent != 0);
	char *s = oci_malloc(len + 1, err);
	if (!s)
		return NULL;
	s[len] = '\0';
	for (uint32_t c = id; c != 0; c = t->nodes[c].parent) {
		const oci_unpack_pathnode *n = &t->nodes[c];
		len -= n->name_len;
		memcpy(s + len, node_name(t, n), n->name_len);
		if (n->parent != 0)
			s[--len] = '/';
	}
	return s;
}
