/* The runtime-spec model shared by oci-bundle and oci-run: runc's default config.json,
 * a config derived from an image config, and validation beyond the JSON schema. */
#ifndef OCI_SPEC_H
#define OCI_SPEC_H

#include <jansson.h>
#include <sched.h>
#include <stdbool.h>

#include "common/error.h"

/* The runtime-spec version this toolkit implements (config.json ociVersion, state JSON). */
#define OCI_RUNTIME_SPEC_VERSION "1.3.0"
/* The PATH of runc's default spec, also the base of image-derived environments. */
#define OCI_SPEC_DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* runc spec's default config (rootless: runc spec --rootless for the calling uid/gid). */
json_t *oci_spec_default(bool rootless, oci_error *err);

/* Options for deriving a process from an image config ("config" object of the image config). */
typedef struct oci_spec_image_opts {
	char **entrypoint; /* overrides the image Entrypoint when non-NULL (may be empty vector);
			    * like docker run --entrypoint it also drops the image's Cmd */
	char **args;	   /* overrides the image Cmd when non-NULL */
	char **env;	   /* K=V on top of the image's Env */
	const char *user;  /* overrides the image User */
	const char *cwd;   /* overrides WorkingDir */
} oci_spec_image_opts;

/* Apply an image config to spec: process.args/env/cwd/user (resolved through rootfs_fd's
 * /etc/passwd and /etc/group, read safely inside the rootfs), annotations from StopSignal,
 * Labels and ExposedPorts, Volumes. rootfs_fd may be -1 when User is numeric.
 *
 * image_config is the whole image config blob (its "config" object is used, and os,
 * architecture, author, created become annotations) or just its "config" object.
 * process.terminal becomes false (docker run without -t); env = the default PATH, the image
 * Env over it, opts->env over that, plus HOME from passwd ("/" without an entry) when unset;
 * WorkingDir must not be inside /proc or /sys; Volumes become tmpfs mounts (nosuid, nodev,
 * mode=755) which, unlike docker's volumes, start empty. No Entrypoint, Cmd nor opts->args
 * is an error. On error spec may be partly changed: apply to a copy to keep the original. */
int oci_spec_apply_image(json_t *spec, json_t *image_config, int rootfs_fd,
			 const oci_spec_image_opts *opts, oci_error *err);

/* Only process.args of oci_spec_apply_image: Entrypoint + Cmd with opts->entrypoint and
 * opts->args as there (oci-bundle edit -- ARGS on a bundle from an image). */
int oci_spec_apply_image_args(json_t *spec, json_t *image_config, const oci_spec_image_opts *opts,
			      oci_error *err);

/* Validate config.json: schema-level types plus the rules a schema cannot express. Every
 * problem is appended to problems (a JSON array) as a string "json.path: message". bundle_dirfd
 * (or -1) is used to check that root.path exists. Returns the number of problems, -1 on error.
 * This is oci_config_load (common/config.h) with the typed model thrown away. */
int oci_spec_validate(json_t *spec, int bundle_dirfd, json_t *problems, oci_error *err);

/* Limits the kernel sets, checked by validation so create does not fail halfway. */
#define OCI_SPEC_HOSTNAME_MAX	  64   /* hostname, domainname: HOST_NAME_MAX */
#define OCI_SPEC_IFNAME_SIZE	  16   /* linux.netDevices names: IFNAMSIZ, with the NUL */
#define OCI_SPEC_MOUNT_DATA_MAX	  4096 /* a mount's options, joined with ',' and NUL */
#define OCI_SPEC_CGROUPS_PATH_MAX 4095
#define OCI_SPEC_SYSCTL_KEY_MAX	  255
#define OCI_SPEC_IDMAP_MAX	  340 /* lines of a uid_map or gid_map */

/* Whether linux.sysctl may set key: a namespaced sysctl (runc's list: kernel.msg*, sem, shm*,
 * fs.mqueue.* with an ipc namespace; net.* with a network one; kernel.hostname/domainname with
 * a uts one), and the container has that namespace in cfg's linux.namespaces, new or (with
 * check_paths, which stats the path from the caller's namespaces) joined by a path that is
 * not the caller's own. Anything else would write the host's kernel. The message does not
 * name linux.sysctl: add it. */
struct oci_config;
int oci_spec_sysctl_check(const struct oci_config *cfg, const char *key, bool check_paths,
			  oci_error *err);
/* linux.personality.domain ("LINUX", "LINUX32") as personality(2)'s value; -1 when unknown. */
int oci_spec_personality(const char *domain, unsigned long *out);

/* A name of the runtime-spec for a kernel value. */
typedef struct oci_spec_name_value {
	const char *name;
	unsigned value;
} oci_spec_name_value;
/* linux.memoryPolicy: set_mempolicy(2)'s modes and mode flags by their runtime-spec names, with
 * the kernel's values, sorted by name (the order `features` lists them in, as runc). */
extern const oci_spec_name_value oci_spec_mpol_modes[];
extern const size_t oci_spec_n_mpol_modes;
extern const oci_spec_name_value oci_spec_mpol_flags[];
extern const size_t oci_spec_n_mpol_flags;
/* The most NUMA nodes a kernel numbers (MAX_NUMNODES: NODES_SHIFT is at most 10 on every
 * architecture): a node above it is refused by set_mempolicy(2) everywhere. */
#define OCI_SPEC_NUMA_NODES 1024
/* The most CPUs a kernel numbers (NR_CPUS with MAXSMP). */
#define OCI_SPEC_MAX_CPUS 8192

/* An id list as the kernel writes cpu and node lists ("0-3,7": items separated by ',', each
 * an id or a range "A-B" with A <= B, at least one id), every id at most max; loose: as runc
 * reads them, blanks around an item and empty items allowed. Sets the ids in mask (max+1
 * bits, zeroed first) and their number in *count. -1 with err (the item quoted; err may be
 * NULL) when it is not one. */
int oci_spec_id_list(const char *s, unsigned max, bool loose, unsigned long *mask, size_t *count,
		     oci_error *err);

/* ---- helpers for the edits oci-bundle and oci-run make ---- */
struct oci_user;

/* obj[key] as an object / array, created (appended) when absent; a wrong type is an error
 * naming path.key. */
json_t *oci_spec_object(json_t *obj, const char *path, const char *key, oci_error *err);
json_t *oci_spec_array(json_t *obj, const char *path, const char *key, oci_error *err);
/* Set KEY=VALUE in process.env, in place when KEY is there (unless !replace: then keep it). */
int oci_spec_env_set(json_t *spec, const char *kv, bool replace, oci_error *err);
/* process.args = args (NULL-terminated, at least one). */
int oci_spec_set_args(json_t *spec, char *const *args, oci_error *err);
/* process.user uid/gid/additionalGids from a resolved user (common/passwd.h), keeping umask. */
int oci_spec_set_user(json_t *spec, const struct oci_user *u, oci_error *err);
/* Check a working directory: absolute, lexically cleaned into out, not in /proc or /sys. */
int oci_spec_check_cwd(const char *cwd, char *out, size_t outlen, oci_error *err);

/* Capability names: known to this toolkit (CAP_CHOWN .. CAP_CHECKPOINT_RESTORE). */
/* Hook kinds of config.json's "hooks", in the order of a container's life. */
extern const char *const oci_spec_hook_kinds[];
extern const size_t oci_spec_n_hook_kinds;
extern const char *const oci_spec_capabilities[];
extern const size_t oci_spec_n_capabilities;
/* Normalise "net_admin" / "CAP_NET_ADMIN" to "CAP_NET_ADMIN" in out; -1 when unknown. */
int oci_spec_capability_name(const char *in, char *out, size_t outlen);
/* Older libc headers lack it (Linux 5.6). */
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* The namespace types of the runtime-spec, the one table that validation, create, exec and
 * `features` read: the config's name, the clone(2) flag and the name under /proc/PID/ns/.
 * Its order is the one exec joins them in: user first (it gives the right to join the
 * others), mount last (joining it hides the host's /proc). */
typedef struct oci_spec_namespace {
	const char *type; /* linux.namespaces[].type: "network" */
	int flag;	  /* CLONE_NEWNET */
	const char *proc; /* /proc/PID/ns/net */
} oci_spec_namespace;
#define OCI_SPEC_N_NAMESPACES 8
extern const oci_spec_namespace oci_spec_namespaces[OCI_SPEC_N_NAMESPACES];
/* The entry of a config type ("network") or of a CLONE_NEW* flag; NULL when unknown. */
const oci_spec_namespace *oci_spec_namespace_by_type(const char *type);
const oci_spec_namespace *oci_spec_namespace_by_flag(int flag);
/* Namespace types of the runtime-spec (pid, network, mount, ipc, uts, user, cgroup, time). */
bool oci_spec_namespace_known(const char *type);
#endif
