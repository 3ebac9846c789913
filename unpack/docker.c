/* docker save / podman save archives: manifest.json lists, per image, its config file and its
 * layer files by name. The archive was spooled by name (stream.c); layers are verified against
 * the config's diff_ids (and against their blob name when it is a digest). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/util.h"
#include "unpack/unpack.h"

/* The digest named by "blobs/ALG/HEX", or -1. */
static int blob_digest(const char *name, oci_digest *d)
{
	char dstr[OCI_DIGEST_STR_MAX + 8];
	if (!oci_str_has_prefix(name, "blobs/"))
		return -1;
	const char *rest = name + 6, *slash = strchr(rest, '/');
	if (!slash || slash - rest > 16 || strlen(slash + 1) > OCI_DIGEST_MAX_HEX)
		return -1;
	snprintf(dstr, sizeof(dstr), "%.*s:%s", (int)(slash - rest), rest, slash + 1);
	return oci_digest_parse(dstr, d, NULL);
}

/* The digest a config's name gives it: the image ID that docker save (<hex>.json), Docker 25
 * and later (blobs/sha256/<hex>) and go-containerregistry (sha256:<hex>) name it by, or -1
 * for another name. */
static int config_name_digest(const char *name, oci_digest *d)
{
	size_t n = strlen(name);
	char dstr[OCI_DIGEST_STR_MAX + 8];
	while (name[0] == '.' && name[1] == '/')
		name += 2, n -= 2;
	if (blob_digest(name, d) == 0 || oci_digest_parse(name, d, NULL) == 0)
		return 0;
	if (n != 64 + strlen(".json") || strcmp(name + 64, ".json"))
		return -1;
	snprintf(dstr, sizeof(dstr), "sha256:%.64s", name);
	return oci_digest_parse(dstr, d, NULL);
}

static int open_named(int spoolfd, oci_unpack_strmap *names, const char *name, oci_error *err)
{
	uint32_t idx;
	char spname[OCI_DIGEST_STR_MAX + 8];
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	if (oci_unpack_strmap_get(names, name, &idx)) {
		snprintf(spname, sizeof(spname), "n%u", idx);
	} else {
		/* Docker 25 and later save an OCI layout and name its blobs in manifest.json:
		 * those were spooled by digest (stream.c), as ALG-HEX. */
		oci_digest d;
		if (blob_digest(name, &d) < 0)
			return oci_err(err, OCI_E_NOTFOUND, "'%s' is missing from the archive",
				       name);
		snprintf(spname, sizeof(spname), "%s-%s", oci_digest_alg_name(d.alg), d.hex);
	}
	int fd = openat(spoolfd, spname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return oci_err_errno(err, errno, "cannot open spooled '%s'", name);
	return fd;
}

static bool has_tag(json_t *img, const char *ref)
{
	json_t *tags = json_object_get(img, "RepoTags"), *v;
	size_t i;
	json_array_foreach(tags, i, v)
	{
		const char *t = json_string_value(v);
		if (!t)
			continue;
		if (!strcmp(t, ref))
			return true;
		const char *colon = strrchr(t, ':');
		if (colon && !strcmp(colon + 1, ref))
			return true;
	}
	return false;
}

int oci_unpack_docker_save(oci_unpack_root *r, int spoolfd, oci_unpack_strmap *names,
			   oci_unpack_input *in, oci_error *err)
{
	cleanup_close int mfd = open_named(spoolfd, names, "manifest.json", err);
	if (mfd < 0)
		return -1;
	cleanup_json json_t *m = oci_json_load_fd(mfd, OCI_JSON_MAX_SIZE, "manifest.json", err);
	if (!m)
		return -1;
	if (!json_is_array(m) || json_array_size(m) == 0)
		return oci_err(err, OCI_E_INVALID, "manifest.json: expected a non-empty array");
	json_t *pick = NULL;
	if (in->ref) {
		size_t i;
		json_t *v;
		json_array_foreach(m, i, v) if (!pick && has_tag(v, in->ref)) pick = v;
		if (!pick)
			return oci_err(err, OCI_E_NOTFOUND, "manifest.json: no image tagged '%s'",
				       in->ref);
	} else if (json_array_size(m) == 1) {
		pick = json_array_get(m, 0);
	} else {
		return oci_err(err, OCI_E_INVALID,
			       "manifest.json lists %zu images: choose one with --ref TAG",
			       json_array_size(m));
	}
	const char *cfgname;
	json_t *layers;
	if (!json_is_object(pick) ||
	    oci_json_get_string(pick, "manifest.json", "Config", true, &cfgname, err) < 0 ||
	    oci_json_get_array(pick, "manifest.json", "Layers", true, &layers, err) < 0)
		return oci_err_prefix(err, "docker archive");

	cleanup_close int cfd = open_named(spoolfd, names, cfgname, err);
	cleanup_free char *cbuf = NULL;
	size_t clen;
	if (cfd < 0 || oci_read_fd(cfd, OCI_JSON_MAX_SIZE, &cbuf, &clen, err) < 0)
		return oci_err_prefix(err, "config '%s'", cfgname);
	/* Named by its digest (the image ID): the bytes must be those, as the layers named by
	 * theirs are checked. Another config under the ID's name carried other diff_ids, Env,
	 * Entrypoint or User than the image the archive says it holds. */
	oci_digest want, got;
	if (config_name_digest(cfgname, &want) == 0 &&
	    (oci_digest_buffer(want.alg, cbuf, clen, &got, err) < 0 ||
	     oci_digest_verify(&want, -1, &got, clen, "named by its digest", err) < 0))
		return oci_err_prefix(err, "config '%s'", cfgname);
	cleanup_json json_t *cdoc =
	    oci_json_loadb(cbuf, clen, OCI_JSON_MAX_SIZE, OCI_JSON_MAX_DEPTH, "config", err);
	oci_image_config cfg;
	if (!cdoc || oci_image_config_parse(cdoc, &cfg, err) < 0)
		return oci_err_prefix(err, "config '%s'", cfgname);
	size_t n = json_array_size(layers);
	int ret = -1;
	if (n != cfg.n_diff_ids) {
		oci_err(err, OCI_E_INVALID, "config '%s': %zu diff_ids for %zu layers", cfgname,
			cfg.n_diff_ids, n);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *lname = json_string_value(json_array_get(layers, i));
		oci_unpack_layer_desc ld = {.index = i,
					    .count = n,
					    .compression = -1,
					    .has_diff_id = true,
					    .diff_id = cfg.diff_ids[i],
					    .size = -1,
					    .name = lname};
		if (!lname) {
			oci_err(err, OCI_E_INVALID, "manifest.json: Layers[%zu]: expected a string",
				i);
			goto out;
		}
		/* Newer archives name layers blobs/sha256/HEX: verify that digest too. */
		ld.has_digest = blob_digest(lname, &ld.digest) == 0;
		cleanup_close int lfd = open_named(spoolfd, names, lname, err);
		if (lfd < 0 || oci_unpack_layer_apply_fd(r, &ld, lfd, err) < 0)
			goto out;
	}
	in->config_blob = steal_pointer(&cbuf);
	in->config_len = clen;
	ret = 0;
out:
	oci_image_config_release(&cfg);
	return ret;
}
