/* The runtime-spec model shared by oci-bundle and oci-run: runc's default config.json (so
 * that `oci-bundle spec` and `oci-run spec` are drop-ins for `runc spec`) and the conversion
 * of an image config into the container's process, as docker run and the image-spec's
 * conversion rules describe it; and the table of namespace types. Validation lives in
 * spec_validate.c. */
#include "common/spec.h"

#include <errno.h>
#include <linux/magic.h>
#include <string.h>
#include <strings.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/passwd.h"
#include "common/safepath.h"
#include "common/util.h"

const oci_spec_namespace oci_spec_namespaces[OCI_SPEC_N_NAMESPACES] = {
    {"user", CLONE_NEWUSER, "user"}, {"ipc", CLONE_NEWIPC, "ipc"},
    {"uts", CLONE_NEWUTS, "uts"},    {"network", CLONE_NEWNET, "net"},
    {"pid", CLONE_NEWPID, "pid"},    {"cgroup", CLONE_NEWCGROUP, "cgroup"},
    {"time", CLONE_NEWTIME, "time"}, {"mount", CLONE_NEWNS, "mnt"},
};

const oci_spec_namespace *oci_spec_namespace_by_type(const char *type)
{
	for (size_t i = 0; type && i < OCI_SPEC_N_NAMESPACES; i++)
		if (!strcmp(type, oci_spec_namespaces[i].type))
			return &oci_spec_namespaces[i];
	return NULL;
}

const oci_spec_namespace *oci_spec_namespace_by_flag(int flag)
{
	for (size_t i = 0; i < OCI_SPEC_N_NAMESPACES; i++)
		if (oci_spec_namespaces[i].flag == flag)
			return &oci_spec_namespaces[i];
	return NULL;
}

/* runc 1.1's `runc spec`, key for key and in its order; only ociVersion is ours. */
static const char default_spec[] =
    "{\"ociVersion\":\"" OCI_RUNTIME_SPEC_VERSION "\","
    "\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
    "\"env\":[\"" OCI_SPEC_DEFAULT_PATH "\",\"TERM=xterm\"],\"cwd\":\"/\","
    "\"capabilities\":{"
    "\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
    "\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
    "\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
    "\"ambient\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
    "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
    "\"noNewPrivileges\":true},"
    "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
    "\"hostname\":\"runc\","
    "\"mounts\":["
    "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
    "\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
    "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
    "\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]}"
    ","
    "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
    "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
    "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
    "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
    "\"linux\":{"
    "\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
    "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":"
    "\"uts\"},"
    "{\"type\":\"mount\"}],"
    "\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\",\"/proc/"
    "latency_stats\","
    "\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\",\"/sys/firmware\",\"/proc/"
    "scsi\"],"
    "\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/"
    "sysrq-trigger\"]}}";

static json_t *id_mapping(unsigned long host)
{
	return json_pack("[{s:i,s:I,s:i}]", "containerID", 0, "hostID", (json_int_t)host, "size",
			 1);
}

/* runc's ToRootless: map the caller to root in a user namespace, drop the network namespace
 * (an unprivileged user cannot configure one), bind-mount /sys instead of a new sysfs, no
 * gid=5 on devpts (gid 5 is not mapped), and no resources (no cgroup delegation assumed). */
static int make_rootless(json_t *spec, oci_error *err)
{
	json_t *linux_ = json_object_get(spec, "linux");
	json_t *ns = json_object_get(linux_, "namespaces");
	json_t *mounts = json_object_get(spec, "mounts");
	json_t *fresh = json_object(), *fresh_ns = json_array(), *m;
	const char *k;
	json_t *v;
	size_t i;
	if (!fresh || !fresh_ns)
		goto nomem;
	/* Rebuild "linux" so the keys come in runc's order: uidMappings, gidMappings, namespaces...
	 */
	if (json_object_set_new(fresh, "uidMappings", id_mapping((unsigned long)geteuid())) < 0 ||
	    json_object_set_new(fresh, "gidMappings", id_mapping((unsigned long)getegid())) < 0)
		goto nomem;
	json_array_foreach(ns, i, v)
	{
		if (strcmp(json_string_value(json_object_get(v, "type")), "network") != 0)
			json_array_append(fresh_ns, v);
	}
	if (json_array_append_new(fresh_ns, json_pack("{s:s}", "type", "user")) < 0)
		goto nomem;
	json_object_foreach(linux_, k, v)
	{
		if (!strcmp(k, "resources"))
			continue;
		if (!strcmp(k, "namespaces")) {
			if (json_object_set(fresh, k, fresh_ns) < 0)
				goto nomem;
		} else if (json_object_set(fresh, k, v) < 0) {
			goto nomem;
		}
	}
	json_decref(fresh_ns);
	fresh_ns = NULL;
	if (json_object_set_new(spec, "linux", fresh) < 0) {
		fresh = NULL;
		goto nomem;
	}
	fresh = NULL;
	json_array_foreach(mounts, i, m)
	{
		const char *dst = json_string_value(json_object_get(m, "destination"));
		json_t *opts = json_object_get(m, "options");
		if (!strcmp(dst, "/dev/pts")) {
			size_t j;
			json_array_foreach(opts, j, v)
			{
				if (!strcmp(json_string_value(v), "gid=5")) {
					json_array_remove(opts, j);
					break;
				}
			}
		} else if (!strcmp(dst, "/sys")) {
			json_object_set_new(m, "type", json_string("none"));
			json_object_set_new(m, "source", json_string("/sys"));
			json_array_insert_new(opts, 0, json_string("rbind"));
		}
	}
	return 0;
nomem:
	json_decref(fresh);
	json_decref(fresh_ns);
	return oci_err_errno(err, ENOMEM, "cannot build the rootless spec");
}

json_t *oci_spec_default(bool rootless, oci_error *err)
{
	json_error_t jerr;
	json_t *spec = json_loads(default_spec, 0, &jerr);
	if (!spec) {
		oci_err(err, OCI_E_INTERNAL, "default spec: %s", jerr.text);
		return NULL;
	}
	/* runc's spec adds a cgroup namespace on a pure cgroup v2 host */
	struct statfs sf;
	if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC &&
	    json_array_append_new(json_object_get(json_object_get(spec, "linux"), "namespaces"),
				  json_pack("{s:s}", "type", "cgroup")) < 0) {
		json_decref(spec);
		oci_err(err, OCI_E_INTERNAL, "default spec: out of memory");
		return NULL;
	}
	if (rootless && make_rootless(spec, err) < 0) {
		json_decref(spec);
		return NULL;
	}
	return spec;
}

/* ---- edits shared by image conversion and oci-bundle's flags ---- */

/* Get obj[key] as an object, creating it (appended) when absent; a wrong type is an error. */
json_t *oci_spec_object(json_t *obj, const char *path, const char *key, oci_error *err)
{
	json_t *v = json_object_get(obj, key);
	if (v && !json_is_null(v)) {
		if (!json_is_object(v)) {
			oci_err(err, OCI_E_INVALID, "%s%s%s: expected an object", path,
				*path ? "." : "", key);
			return NULL;
		}
		return v;
	}
	v = json_object();
	if (!v || json_object_set_new(obj, key, v) < 0) {
		oci_err_errno(err, ENOMEM, "cannot allocate");
		return NULL;
	}
	return v;
}

/* Same for arrays. */
json_t *oci_spec_array(json_t *obj, const char *path, const char *key, oci_error *err)
{
	json_t *v = json_object_get(obj, key);
	if (v && !json_is_null(v)) {
		if (!json_is_array(v)) {
			oci_err(err, OCI_E_INVALID, "%s%s%s: expected an array", path,
				*path ? "." : "", key);
			return NULL;
		}
		return v;
	}
	v = json_array();
	if (!v || json_object_set_new(obj, key, v) < 0) {
		oci_err_errno(err, ENOMEM, "cannot allocate");
		return NULL;
	}
	return v;
}

int oci_spec_env_set(json_t *spec, const char *kv, bool replace, oci_error *err)
{
	const char *eq = strchr(kv, '=');
	json_t *process, *env, *v;
	size_t i;
	if (!eq || eq == kv)
		return oci_err(err, OCI_E_INVALID, "environment variable '%s': expected KEY=VALUE",
			       kv);
	if (!(process = oci_spec_object(spec, "", "process", err)) ||
	    !(env = oci_spec_array(process, "process", "env", err)))
		return -1;
	size_t klen = (size_t)(eq - kv) + 1; /* including '=' */
	json_array_foreach(env, i, v)
	{
		const char *s = json_string_value(v);
		if (s && !strncmp(s, kv, klen)) {
			if (!replace)
				return 0;
			return json_array_set_new(env, i, json_string(kv)) < 0
				   ? oci_err(err, OCI_E_INVALID,
					     "environment variable '%s': not valid UTF-8", kv)
				   : 0;
		}
	}
	if (json_array_append_new(env, json_string(kv)) < 0)
		return oci_err(err, OCI_E_INVALID, "environment variable '%s': not valid UTF-8",
			       kv);
	return 0;
}

int oci_spec_set_args(json_t *spec, char *const *args, oci_error *err)
{
	json_t *process, *arr = json_array();
	if (!arr)
		return oci_err_errno(err, ENOMEM, "cannot allocate");
	for (size_t i = 0; args && args[i]; i++)
		if (json_array_append_new(arr, json_string(args[i])) < 0) {
			json_decref(arr);
			return oci_err(err, OCI_E_INVALID, "argument '%s': not valid UTF-8",
				       args[i]);
		}
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		return oci_err(err, OCI_E_INVALID, "the process needs at least one argument");
	}
	if (!(process = oci_spec_object(spec, "", "process", err))) {
		json_decref(arr);
		return -1;
	}
	return json_object_set_new(process, "args", arr) < 0
		   ? oci_err_errno(err, ENOMEM, "cannot allocate")
		   : 0;
}

int oci_spec_check_cwd(const char *cwd, char *out, size_t outlen, oci_error *err)
{
	char clean[4096];
	if (!cwd || cwd[0] != '/')
		return oci_err(err, OCI_E_INVALID,
			       "working directory '%s': must be an absolute path", cwd ? cwd : "");
	if (oci_path_clean(cwd, clean, sizeof(clean)) < 0)
		return oci_err(err, OCI_E_INVALID, "working directory: path too long");
	/* /proc/self/fd/N and friends are magic links to whatever the runtime has open: a
	 * working directory there is how CVE-2024-21626 escaped. Nothing legitimate lives in
	 * /proc or /sys, so refuse them outright. */
	if (!strcmp(clean, "proc") || oci_str_has_prefix(clean, "proc/") || !strcmp(clean, "sys") ||
	    oci_str_has_prefix(clean, "sys/"))
		return oci_err(err, OCI_E_UNSAFE,
			       "working directory '%s': refusing a path inside /proc or /sys", cwd);
	if (snprintf(out, outlen, "/%s", clean) >= (int)outlen)
		return oci_err(err, OCI_E_INVALID, "working directory: path too long");
	return 0;
}

int oci_spec_set_user(json_t *spec, const struct oci_user *u, oci_error *err)
{
	json_t *process = oci_spec_object(spec, "", "process", err);
	json_t *user, *gids;
	if (!process)
		return -1;
	/* Keep umask and any other user keys, replace the ids. */
	if (!(user = oci_spec_object(process, "process", "user", err)))
		return -1;
	if (json_object_set_new(user, "uid", json_integer(u->uid)) < 0 ||
	    json_object_set_new(user, "gid", json_integer(u->gid)) < 0)
		return oci_err_errno(err, ENOMEM, "cannot allocate");
	json_object_del(user, "additionalGids");
	if (u->n_additional_gids) {
		if (!(gids = json_array()) || json_object_set_new(user, "additionalGids", gids) < 0)
			return oci_err_errno(err, ENOMEM, "cannot allocate");
		for (size_t i = 0; i < u->n_additional_gids; i++)
			if (json_array_append_new(gids, json_integer(u->additional_gids[i])) < 0)
				return oci_err_errno(err, ENOMEM, "cannot allocate");
	}
	return 0;
}

/* ---- image config -> process ---- */

static int strv_from(json_t *obj, const char *path, const char *key, char ***out, oci_error *err)
{
	*out = NULL;
	return oci_json_get_strv(obj, path, key, false, out, err);
}

static int add_annotation(json_t *annotations, const char *key, const char *value, oci_error *err)
{
	if (json_object_set_new(annotations, key, json_string(value)) < 0)
		return oci_err(err, OCI_E_INVALID, "annotation '%s': not valid UTF-8", key);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Annotation keys a runtime or a tool around it acts on: from an image's label, each would let
 * the image change what happens on the host. The image-spec's conversion allows a converter to
 * leave out labels its security policy finds unsafe, saying so (umoci copies them all). */
static const struct {
	const char *prefix, *who;
} acted_on[] = {
    {"org.systemd.property.", "runc and crun set them on the container's systemd unit"},
    {"org.criu.", "runc's org.criu.config names a CRIU configuration file for checkpoint"},
    {"run.oci.", "crun's: handlers, hook output files, cgroup delegation, seccomp"},
    {"io.katacontainers.", "Kata's: hypervisor, kernel and agent settings"},
    {"dev.gvisor.", "gVisor's: mounts and sandbox settings"},
    {"cdi.k8s.io/", "CDI device requests: host devices injected into the container"},
};

/* The prefix of acted_on that key starts with, or -1. */
static int acted_on_key(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(acted_on); i++)
		if (!strncmp(key, acted_on[i].prefix, strlen(acted_on[i].prefix)))
			return (int)i;
	return -1;
}

/* Labels, StopSignal, ExposedPorts and the image's identity as annotations, with the keys of
 * the image-spec's conversion rules (labels first, so the derived keys win a clash). A label
 * a runtime acts on (acted_on) is left out with a warning: --annotation gives it. */
static int image_annotations(json_t *spec, json_t *top, json_t *cfg, oci_error *err)
{
	json_t *ann, *labels = NULL, *ports = NULL, *v;
	const char *k, *s = NULL;
	if (!(ann = oci_spec_object(spec, "", "annotations", err)))
		return -1;
	if (oci_json_get_object(cfg, "config", "Labels", false, &labels, err) < 0)
		return -1;
	if (labels) {
		json_object_foreach(labels, k, v)
		{
			if (!json_is_string(v))
				return oci_err(err, OCI_E_INVALID,
					       "config.Labels.%s: expected a string", k);
			/* it would become an annotation, whose key the runtime-spec requires */
			if (!*k)
				return oci_err(err, OCI_E_INVALID,
					       "config.Labels: a label with an empty name");
			int a = acted_on_key(k);
			if (a >= 0) {
				log_warn("the image's label '%s' is not made an annotation: keys "
					 "'%s...' are acted on (%s); give it with --annotation if "
					 "you trust the image",
					 k, acted_on[a].prefix, acted_on[a].who);
				continue;
			}
			if (add_annotation(ann, k, json_string_value(v), err) < 0)
				return -1;
		}
	}
	if (top) {
		static const struct {
			const char *key, *annotation;
		} ids[] = {
		    {"os", "org.opencontainers.image.os"},
		    {"architecture", "org.opencontainers.image.architecture"},
		    {"variant", "org.opencontainers.image.variant"},
		    {"os.version", "org.opencontainers.image.os.version"},
		    {"author", "org.opencontainers.image.author"},
		    {"created", "org.opencontainers.image.created"},
		};
		for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
			s = NULL;
			if (oci_json_get_string(top, "", ids[i].key, false, &s, err) < 0)
				return -1;
			if (s && add_annotation(ann, ids[i].annotation, s, err) < 0)
				return -1;
		}
	}
	s = NULL;
	if (oci_json_get_string(cfg, "config", "StopSignal", false, &s, err) < 0)
		return -1;
	if (s && add_annotation(ann, "org.opencontainers.image.stopSignal", s, err) < 0)
		return -1;
	if (oci_json_get_object(cfg, "config", "ExposedPorts", false, &ports, err) < 0)
		return -1;
	if (ports && json_object_size(ports)) {
		size_t n = 0, total = 0;
		cleanup_free const char **keys =
		    oci_calloc(json_object_size(ports), sizeof(char *), err);
		if (!keys)
			return -1;
		json_object_foreach(ports, k, v)
		{
			keys[n++] = k;
			total += strlen(k) + 1;
		}
		qsort(keys, n, sizeof(char *), cmp_str);
		cleanup_free char *joined = oci_malloc(total + 1, err);
		if (!joined)
			return -1;
		joined[0] = '\0';
		for (size_t i = 0; i < n; i++) {
			if (i)
				strcat(joined, ",");
			strcat(joined, keys[i]);
		}
		if (add_annotation(ann, "org.opencontainers.image.exposedPorts", joined, err) < 0)
			return -1;
	}
	if (json_object_size(ann) == 0)
		json_object_del(spec, "annotations");
	return 0;
}

#define IMAGE_VOLUMES_MAX 4096 /* far above any image's, far below the kernel's mount-max */

/* Volumes become private tmpfs mounts: the container's writes there never reach the rootfs
 * (what the image-spec asks for). Unlike docker's anonymous volumes they start empty. */
static int image_volumes(json_t *spec, json_t *cfg, oci_error *err)
{
	json_t *vols = NULL, *mounts, *v;
	const char *k;
	char dst[4096];
	if (oci_json_get_object(cfg, "config", "Volumes", false, &vols, err) < 0)
		return -1;
	if (!vols || !json_object_size(vols))
		return 0;
	/* each is looked for among the mounts before it, and each is a mount the runtime makes */
	if (json_object_size(vols) > IMAGE_VOLUMES_MAX)
		return oci_err(err, OCI_E_LIMIT,
			       "config.Volumes: %zu volumes is over the limit of %d",
			       json_object_size(vols), IMAGE_VOLUMES_MAX);
	if (!(mounts = oci_spec_array(spec, "", "mounts", err)))
		return -1;
	json_object_foreach(vols, k, v)
	{
		if (k[0] != '/')
			return oci_err(err, OCI_E_INVALID,
				       "config.Volumes: '%s' is not an absolute path", k);
		if (oci_path_clean(k, dst + 1, sizeof(dst) - 1) < 0 || !dst[1])
			return oci_err(err, OCI_E_INVALID,
				       "config.Volumes: '%s' is not a usable mount point", k);
		dst[0] = '/';
		json_t *m =
		    json_pack("{s:s,s:s,s:s,s:[s,s,s]}", "destination", dst, "type", "tmpfs",
			      "source", "tmpfs", "options", "nosuid", "nodev", "mode=755");
		if (!m)
			return oci_err(err, OCI_E_INVALID,
				       "config.Volumes: '%s' is not valid UTF-8", k);
		/* A volume over a mount the spec already has replaces nothing: skip it. */
		bool dup = false;
		size_t i;
		json_t *old;
		json_array_foreach(mounts, i, old)
		{
			const char *od = json_string_value(json_object_get(old, "destination"));
			if (od && !strcmp(od, dst))
				dup = true;
		}
		if (dup)
			json_decref(m);
		else if (json_array_append_new(mounts, m) < 0)
			return oci_err_errno(err, ENOMEM, "cannot allocate");
	}
	return 0;
}

static size_t strv_len(char **v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

/* One variable of the merged environment: where it came from and its place in the list. */
typedef struct env_item {
	const char *kv;
	size_t klen; /* up to the '=' */
	size_t pos;
} env_item;

static int cmp_env_item(const void *a, const void *b)
{
	const env_item *x = a, *y = b;
	int c = memcmp(x->kv, y->kv, x->klen < y->klen ? x->klen : y->klen);
	if (c)
		return c;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Env: the default PATH, the image's Env over it, opts->env over that: a later key replaces
 * an earlier one in place. Merged by sorting (an image may list hundreds of thousands of
 * variables: looking each up among those before it was quadratic). */
static int image_env(json_t *spec, json_t *cfg, const oci_spec_image_opts *opts, oci_error *err)
{
	cleanup_strv char **env = NULL;
	json_t *process = json_object_get(spec, "process");
	if (strv_from(cfg, "config", "Env", &env, err) < 0)
		return -1;
	size_t ni = strv_len(env), no = strv_len(opts ? opts->env : NULL), n = 1 + ni + no;
	cleanup_free env_item *items = oci_calloc(n, sizeof(*items), err);
	cleanup_free const char **out = oci_calloc(n, sizeof(*out), err);
	if (!items || !out)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *kv = i == 0	   ? OCI_SPEC_DEFAULT_PATH
				 : i <= ni ? env[i - 1]
					   : opts->env[i - 1 - ni];
		const char *eq = strchr(kv, '=');
		if (!eq || eq == kv) {
			oci_err(err, OCI_E_INVALID, "environment variable '%s': expected KEY=VALUE",
				kv);
			return i >= 1 && i <= ni ? oci_err_prefix(err, "config.Env[%zu]", i - 1)
						 : -1;
		}
		items[i] = (env_item){.kv = kv, .klen = (size_t)(eq - kv), .pos = i};
	}
	qsort(items, n, sizeof(*items), cmp_env_item);
	/* each key at its first place, with its last value */
	for (size_t i = 0, j; i < n; i = j) {
		j = i + 1;
		while (j < n && items[j].klen == items[i].klen &&
		       !memcmp(items[j].kv, items[i].kv, items[i].klen))
			j++;
		out[items[i].pos] = items[j - 1].kv;
	}
	json_t *fresh = json_array();
	if (!fresh || json_object_set_new(process, "env", fresh) < 0)
		return oci_err_errno(err, ENOMEM, "cannot allocate");
	for (size_t i = 0; i < n; i++) {
		if (!out[i])
			continue;
		if (json_array_append_new(fresh, json_string(out[i])) < 0)
			return oci_err(err, OCI_E_INVALID,
				       "environment variable '%s': not valid UTF-8", out[i]);
	}
	return 0;
}

/* args = Entrypoint + Cmd; opts->entrypoint replaces the Entrypoint and, as in docker run,
 * also clears the image's Cmd; opts->args replaces the Cmd. */
static int image_args(json_t *spec, json_t *cfg, const oci_spec_image_opts *opts, oci_error *err)
{
	cleanup_strv char **entry = NULL, **cmd = NULL;
	char **use_entry, **use_cmd;
	if (strv_from(cfg, "config", "Entrypoint", &entry, err) < 0 ||
	    strv_from(cfg, "config", "Cmd", &cmd, err) < 0)
		return -1;
	use_entry = opts && opts->entrypoint ? opts->entrypoint : entry;
	use_cmd = opts && opts->args ? opts->args : (opts && opts->entrypoint ? NULL : cmd);
	size_t ne = strv_len(use_entry), nc = strv_len(use_cmd);
	if (ne + nc == 0)
		return oci_err(err, OCI_E_INVALID,
			       "neither Entrypoint nor Cmd is set: give the command to run");
	cleanup_free char **all = oci_calloc(ne + nc + 1, sizeof(char *), err);
	if (!all)
		return -1;
	if (ne)
		memcpy(all, use_entry, ne * sizeof(char *));
	if (nc)
		memcpy(all + ne, use_cmd, nc * sizeof(char *));
	return oci_spec_set_args(spec, all, err);
}

int oci_spec_apply_image_args(json_t *spec, json_t *image_config, const oci_spec_image_opts *opts,
			      oci_error *err)
{
	json_t *cfg = json_object_get(image_config, "config");
	if (!json_is_object(image_config) || (cfg && !json_is_object(cfg)))
		return oci_err(err, OCI_E_INVALID, "image config: config: expected an object");
	return image_args(spec, cfg ? cfg : image_config, opts, err);
}

static bool env_has(json_t *spec, const char *key)
{
	json_t *env = json_object_get(json_object_get(spec, "process"), "env"), *v;
	size_t i, n = strlen(key);
	json_array_foreach(env, i, v)
	{
		const char *s = json_string_value(v);
		if (s && !strncmp(s, key, n) && s[n] == '=')
			return true;
	}
	return false;
}

int oci_spec_apply_image(json_t *spec, json_t *image_config, int rootfs_fd,
			 const oci_spec_image_opts *opts, oci_error *err)
{
	json_t *cfg = NULL, *top = NULL, *process;
	const char *user = NULL, *cwd = NULL;
	char cwdbuf[4096];
	if (!json_is_object(spec))
		return oci_err(err, OCI_E_INVALID, "spec: expected an object");
	if (!json_is_object(image_config))
		return oci_err(err, OCI_E_INVALID, "image config: expected an object");
	/* Accept the whole image config (with its "config" object) or just that object. */
	if (json_object_get(image_config, "rootfs") ||
	    json_object_get(image_config, "architecture") || json_object_get(image_config, "os") ||
	    json_is_object(json_object_get(image_config, "config"))) {
		top = image_config;
		if (oci_json_get_object(image_config, "", "config", false, &cfg, err) < 0)
			return oci_err_prefix(err, "image config");
	} else {
		cfg = image_config;
	}
	cleanup_json json_t *empty = json_object();
	if (!cfg)
		cfg = empty;
	if (!(process = oci_spec_object(spec, "", "process", err)))
		return -1;
	/* Like docker run without -t: no terminal, hence no TERM either. */
	json_object_set_new(process, "terminal", json_false());
	if (image_args(spec, cfg, opts, err) < 0 || image_env(spec, cfg, opts, err) < 0)
		return -1;

	if (oci_json_get_string(cfg, "config", "WorkingDir", false, &cwd, err) < 0)
		return -1;
	if (opts && opts->cwd)
		cwd = opts->cwd;
	if (cwd && *cwd) {
		/* A relative WorkingDir is relative to "/", as docker takes it. */
		char abs[4096];
		if (snprintf(abs, sizeof(abs), "%s%s", cwd[0] == '/' ? "" : "/", cwd) >=
		    (int)sizeof(abs))
			return oci_err(err, OCI_E_INVALID, "working directory: path too long");
		if (oci_spec_check_cwd(abs, cwdbuf, sizeof(cwdbuf), err) < 0)
			return -1;
		json_object_set_new(process, "cwd", json_string(cwdbuf));
	} else {
		json_object_set_new(process, "cwd", json_string("/"));
	}

	if (oci_json_get_string(cfg, "config", "User", false, &user, err) < 0)
		return -1;
	if (opts && opts->user)
		user = opts->user;
	oci_user u;
	if (oci_passwd_resolve(rootfs_fd, user ? user : "", &u, err) < 0)
		return -1;
	int r = oci_spec_set_user(spec, &u, err);
	if (r == 0 && !env_has(spec, "HOME") && rootfs_fd >= 0) {
		cleanup_free char *home = oci_asprintf(err, "HOME=%s", u.home ? u.home : "/");
		r = home ? oci_spec_env_set(spec, home, true, err) : -1;
	}
	oci_user_release(&u);
	if (r < 0)
		return -1;

	if (image_annotations(spec, top, cfg, err) < 0 || image_volumes(spec, cfg, err) < 0)
		return -1;
	return 0;
}
