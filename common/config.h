/* config.json as a typed model, filled by the walk that validates it (common/spec_validate.c):
 * one pass, one set of rules. oci-bundle validate runs the walk and throws the model away;
 * oci-run create and exec keep it and never read the JSON again. Every string is owned by the
 * model; absent optional values are NULL, empty or flagged by their has_ field. */
#ifndef OCI_CONFIG_H
#define OCI_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/spec.h"
#include "common/spec_resources.h"

/* One entry of linux.uidMappings / linux.gidMappings. */
typedef struct oci_config_idmap {
	uint32_t container_id, host_id, size;
} oci_config_idmap;

/* process.rlimits[] */
typedef struct oci_config_rlimit {
	char *type; /* "RLIMIT_NOFILE" (a known name) */
	int resource;
	uint64_t soft, hard;
} oci_config_rlimit;

/* The capability sets of process.capabilities, NULL-terminated names; an absent set is NULL
 * (empty). */
enum oci_config_capset {
	OCI_CAPS_BOUNDING,
	OCI_CAPS_EFFECTIVE,
	OCI_CAPS_INHERITABLE,
	OCI_CAPS_PERMITTED,
	OCI_CAPS_AMBIENT,
	OCI_CAPS_N
};
extern const char *const oci_config_capset_names[OCI_CAPS_N];

/* process: config.json's, or exec's (--process FILE, or the container's own with exec's
 * flags), through the same checker. */
typedef struct oci_process {
	bool terminal;
	bool has_console_size;
	uint32_t console_height, console_width;
	char **args; /* at least one */
	char **env;  /* NULL: none */
	char *cwd;   /* absolute */
	struct {
		uint32_t uid, gid;
		bool has_umask;
		uint32_t umask;
		gid_t *additional_gids;
		size_t n_additional_gids;
		char *username;
	} user;
	char **caps[OCI_CAPS_N];
	oci_config_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	char *apparmor_profile, *selinux_label;
	bool has_oom_score_adj;
	int oom_score_adj;
	/* process.scheduler: sched_setattr(2)'s values (policy and flags from the names) */
	bool has_scheduler;
	struct {
		uint32_t policy;
		uint64_t flags;
		int32_t nice;
		uint32_t priority;
		uint64_t runtime, deadline, period;
	} scheduler;
	/* process.ioPriority: ioprio_set(2)'s class (1 RT, 2 BE, 3 IDLE) and level */
	bool has_io_priority;
	int io_class, io_level;
	/* process.execCPUAffinity, for exec'd processes (cpu lists such as "0-3,7"; NULL:
	 * absent): initial before joining the container's cgroup, final after */
	char *exec_cpu_initial, *exec_cpu_final;
} oci_process;

typedef struct oci_config_mount {
	char *destination;   /* absolute */
	char *type, *source; /* NULL when absent */
	char **options;	     /* NULL: none */
	/* An id-mapped bind (runtime-spec 1.2): uidMappings/gidMappings given, or the idmap or
	 * ridmap option (without mappings: the container's own, linux.uidMappings). */
	bool idmapped, idmap_recursive;
	oci_config_idmap *uid_mappings, *gid_mappings; /* the mount's own; NULL: none */
	size_t n_uid_mappings, n_gid_mappings;
} oci_config_mount;

typedef struct oci_config_hook {
	char *path;
	char **args, **env; /* NULL: none */
	int timeout;	    /* seconds; 0: none */
} oci_config_hook;

/* hooks, one list per kind in the order of oci_spec_hook_kinds. */
#define OCI_HOOK_KINDS 6
typedef struct oci_config_hooks {
	oci_config_hook *list[OCI_HOOK_KINDS];
	size_t n[OCI_HOOK_KINDS];
} oci_config_hooks;

typedef struct oci_config_namespace {
	const oci_spec_namespace *kind; /* the table's entry */
	char *path;			/* NULL or "": a new one */
} oci_config_namespace;

/* linux.devices[] */
typedef struct oci_config_device {
	char *path;
	char type; /* 'c', 'b', 'u' or 'p' */
	int64_t major, minor;
	bool has_file_mode, has_uid, has_gid;
	uint32_t file_mode, uid, gid;
} oci_config_device;

typedef struct oci_config_kv {
	char *key, *value;
} oci_config_kv;

/* linux.timeOffsets.<clock> */
typedef struct oci_config_time_offset {
	char *clock;
	int64_t secs, nanosecs;
} oci_config_time_offset;

/* linux.memoryPolicy, as set_mempolicy(2) takes it: validated with runc's rules and the
 * kernel's (run/mempolicy.c applies it). */
typedef struct oci_config_mempolicy {
	unsigned mode;	/* MPOL_DEFAULT .. */
	unsigned flags; /* MPOL_F_* */
	unsigned long nodes[OCI_SPEC_NUMA_NODES / (8 * sizeof(unsigned long))];
	size_t n_nodes;	       /* ids set in nodes */
	const char *mode_name; /* the table's name of mode */
	char *nodes_list;      /* as written, for messages ("" when none) */
} oci_config_mempolicy;

typedef struct oci_config_linux {
	oci_config_namespace *namespaces;
	size_t n_namespaces;
	oci_config_idmap *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	oci_config_device *devices;
	size_t n_devices;
	char *cgroups_path; /* NULL when absent */
	oci_resources resources;
	oci_config_kv *sysctl;
	size_t n_sysctl;
	struct oci_config_seccomp *seccomp;    /* linux.seccomp (NULL: none), typed by
						* common/spec_seccomp.c; run/seccomp.c compiles it */
	char *rootfs_propagation;	       /* NULL or "" when absent */
	char **masked_paths, **readonly_paths; /* NULL: none */
	char *mount_label;
	bool has_personality;
	unsigned long personality; /* personality(2)'s domain */
	char *personality_domain;
	bool has_intel_rdt; /* linux.intelRdt given (oci-run refuses it: no resctrl support) */
	oci_config_kv *net_devices; /* linux.netDevices: key the host's name, value the name in
				     * the container (the key when the entry has no name) */
	size_t n_net_devices;
	oci_config_time_offset *time_offsets;
	size_t n_time_offsets;
	bool has_time_offsets; /* a non-empty linux.timeOffsets */
	bool has_memory_policy;
	oci_config_mempolicy memory_policy;
} oci_config_linux;

typedef struct oci_config {
	char *oci_version;
	char *root_path; /* as written: relative to the bundle or absolute */
	bool root_readonly;
	bool has_process;
	oci_process process;
	char *hostname, *domainname; /* NULL when absent */
	oci_config_mount *mounts;
	size_t n_mounts;
	oci_config_hooks hooks;
	oci_config_kv *annotations;
	size_t n_annotations;
	bool has_linux;
	oci_config_linux linux_;
} oci_config;

/* Validate spec and fill out from the same walk: every problem is appended to problems (a JSON
 * array) as "json.path: message", exactly as oci_spec_validate lists them; bundle_dirfd (or
 * -1) is where a relative root.path is checked. Returns the number of problems (the model is
 * complete only when it is 0), -1 with err when an allocation failed. out is released by
 * oci_config_release() in every case. */
int oci_config_load(json_t *spec, int bundle_dirfd, oci_config *out, json_t *problems,
		    oci_error *err);
void oci_config_release(oci_config *c);

/* A process object alone (exec's --process FILE, or the container's process with exec's
 * flags) through the checker config.json's process goes through: problems as above, with
 * paths "process.*". */
int oci_config_load_process(json_t *process, oci_process *out, json_t *problems, oci_error *err);
void oci_config_process_release(oci_process *p);

/* A hooks object alone (the copy in a container's state, for poststart and poststop). */
int oci_config_load_hooks(json_t *hooks, oci_config_hooks *out, json_t *problems, oci_error *err);
void oci_config_hooks_release(oci_config_hooks *h);

/* Every problem at once on one line, as create refuses a config: "config.json: N problems:
 * a; b" (what names the file). Returns -1. */
int oci_config_report(json_t *problems, int n, const char *what, oci_error *err);

/* The entry of linux.namespaces of a type ("network"), or NULL. */
const oci_config_namespace *oci_config_find_namespace(const oci_config *c, const char *type);
/* The value of KEY in a NULL-terminated K=V list, or NULL. */
const char *oci_config_env_get(char *const *env, const char *key);
#endif
