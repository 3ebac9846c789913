/* Whiteouts with the image-spec's exact semantics.
 *
 * `.wh.NAME` removes NAME as left by lower layers (a NAME created by this same layer stays);
 * `.wh..wh..opq` makes its directory opaque: everything lower layers put in it is hidden, but
 * entries of this layer survive even when they came before the marker. Opaque directories are
 * therefore pruned when the layer ends, keeping the paths the layer touched. Whiteout files
 * themselves never reach the root filesystem. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/safepath.h"
#include "common/util.h"
#include "unpack/unpack.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

/* Remember dir as opaque once, however many markers name it: each prune reads the whole
 * directory. Its node's val stays 0 unless an entry names it: a marker is not an entry. */
static int add_opaque(oci_unpack_root *r, const char *dir, oci_error *err)
{
	uint32_t id;
	if (oci_unpack_pathtree_add(&r->layer_tree, dir, 0, &id, err) < 0)
		return -1;
	if (!oci_unpack_pathtree_set_opaque(&r->layer_tree, id))
		return 0;
	if (r->n_opaque == r->cap_opaque) {
		size_t ncap = r->cap_opaque ? r->cap_opaque * 2 : 16;
		uint32_t *n = realloc(r->opaque, ncap * sizeof(*n));
		if (!n)
			return oci_err_errno(err, ENOMEM, "cannot record opaque directory");
		r->opaque = n;
		r->cap_opaque = ncap;
	}
	r->opaque[r->n_opaque++] = id;
	return 0;
}

int oci_unpack_whiteout(oci_unpack_root *r, const char *path, const char *leaf, oci_error *err)
{
	if (strncmp(leaf, WH_PREFIX, strlen(WH_PREFIX)))
		return 0;
	size_t dlen = leaf > path ? (size_t)(leaf - path - 1) : 0;
	cleanup_free char *dir = strndup(path, dlen);
	if (!dir)
		return oci_err_errno(err, ENOMEM, "cannot allocate a string");
	if (!strcmp(leaf, WH_OPAQUE)) {
		oci_error e3 = OCI_ERROR_INIT;
		if (oci_unpack_root_dir(r, dir, &e3) < 0 && e3.code == OCI_E_UNSAFE) {
			*err = e3;
			return -1;
		}
		return add_opaque(r, dir, err) < 0 ? -1 : 1;
	}
	const char *name = leaf + strlen(WH_PREFIX);
	if (!strncmp(name, WH_PREFIX, strlen(WH_PREFIX)))
		return 1; /* other aufs metadata (.wh..wh.plnk, ...): ignored, as docker does */
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return oci_err(err, OCI_E_UNSAFE, "invalid whiteout name '%s'", leaf);
	cleanup_free char *victim = oci_asprintf(err, "%s%s%s", dir, dir[0] ? "/" : "", name);
	if (!victim)
		return -1;
	uint32_t v = oci_unpack_pathtree_find(&r->layer_tree, victim);
	if (v != UNPACK_NODE_NONE && r->layer_tree.nodes[v].val == 1)
		return 1; /* created by this layer: only a later layer can hide it */
	oci_error e2 = OCI_ERROR_INIT;
	int pfd = oci_unpack_root_dir(r, dir, &e2);
	if (pfd < 0) {
		if (e2.code != OCI_E_UNSAFE && (e2.sys_errno == ENOENT || e2.sys_errno == ENOTDIR))
			return 1; /* nothing below to hide */
		*err = e2;
		return -1;
	}
	oci_unpack_root_removed(r);
	if (oci_remove_tree_at(pfd, name, err) < 0)
		return -1;
	oci_unpack_root_forget(r, victim);
	return 1;
}

/* A directory of the prune walk: its nodes in the layer's paths and in the recorded
 * directories (UNPACK_NODE_NONE where it has none). */
typedef struct prune_frame {
	uint32_t layer, dir;
} prune_frame;

static uint32_t child_of(const oci_unpack_pathtree *t, uint32_t parent, const char *name)
{
	return oci_unpack_pathtree_child(t, parent, name, strlen(name));
}

/* "PARENT/NAME" for a message, PARENT being a node of the layer's paths. */
static char *child_path(oci_unpack_root *r, uint32_t parent, const char *name)
{
	cleanup_free char *p = oci_unpack_pathtree_path(&r->layer_tree, parent, NULL);
	return oci_asprintf(NULL, "%s%s%s", p ? p : "?", p && *p ? "/" : "", name);
}

/* Remove from the opaque directory fd (layer_tree node top) everything this layer did not
 * touch, keeping the paths it did. Iterative (common/util.h's directory stack): the depth is
 * the layer's to choose, the C stack's is not. Each step finds a child by its parent's node and
 * its name, so no path is built or compared; removed directories' metadata is forgotten by node
 * the same way. */
static int prune(oci_unpack_root *r, int fd, uint32_t top_node, oci_error *err)
{
	oci_dirstack s = {0};
	cleanup_free prune_frame *nodes = NULL;
	size_t cap = 0;
	cleanup_free char *top_path = oci_unpack_pathtree_path(&r->layer_tree, top_node, err);
	if (!top_path || !(nodes = oci_malloc(sizeof(*nodes), err))) {
		close(fd);
		return -1;
	}
	cap = 1;
	nodes[0] = (prune_frame){top_node, oci_unpack_pathtree_find(&r->dir_tree, top_path)};
	int ret = oci_dirstack_push(&s, fd, NULL, err);
	while (ret == 0 && s.depth > 0) {
		oci_dirframe *top = &s.f[s.depth - 1];
		if (top->next == top->n) {
			ret = oci_dirstack_pop(&s, err);
			continue;
		}
		prune_frame here = nodes[s.depth - 1];
		const char *name = top->names[top->next++];
		uint32_t kept = child_of(&r->layer_tree, here.layer, name);
		uint32_t dir = child_of(&r->dir_tree, here.dir, name);
		struct stat st;
		if (kept == UNPACK_NODE_NONE || !r->layer_tree.nodes[kept].val) {
			ret = oci_remove_tree_at(top->fd, name, err);
			if (ret == 0)
				oci_unpack_pathtree_detach(&r->dir_tree, dir);
			continue;
		}
		if (fstatat(top->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (s.depth == cap) {
			prune_frame *n = realloc(nodes, cap * 2 * sizeof(*n));
			if (!n) {
				ret = oci_err_errno(err, ENOMEM, "cannot walk directory");
				break;
			}
			nodes = n;
			cap *= 2;
		}
		int cfd = openat(top->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0) {
			cleanup_free char *p = child_path(r, here.layer, name);
			ret = oci_err_errno(err, errno, "cannot open '%s'", p ? p : name);
			break;
		}
		nodes[s.depth] = (prune_frame){kept, dir};
		ret = oci_dirstack_push(&s, cfd, NULL, err);
	}
	oci_dirstack_release(&s);
	return ret;
}

int oci_unpack_whiteout_opaque_finish(oci_unpack_root *r, oci_error *err)
{
	for (size_t i = 0; i < r->n_opaque; i++) {
		oci_error e2 = OCI_ERROR_INIT;
		cleanup_free char *dir =
		    oci_unpack_pathtree_path(&r->layer_tree, r->opaque[i], err);
		if (!dir)
			return -1;
		cleanup_close int fd =
		    oci_safe_open(r->rootfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, &e2);
		if (fd < 0)
			continue; /* gone or not a directory any more: nothing to hide */
		if (prune(r, steal_fd(&fd), r->opaque[i], err) < 0)
			return oci_err_prefix(err, "opaque directory '%s'", dir);
	}
	return 0;
}

int oci_unpack_root_end_layer(oci_unpack_root *r, oci_error *err)
{
	int ret = oci_unpack_root_sync(r, err);
	if (ret == 0 && r->n_opaque) {
		oci_unpack_root_removed(r);
		ret = oci_unpack_whiteout_opaque_finish(r, err);
	}
	r->layers++;
	r->n_opaque = 0;
	oci_unpack_pathtree_release(&r->layer_tree);
	return ret;
}
