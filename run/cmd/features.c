/* oci-run features: what this runtime supports, as runc's `features` JSON (engines read it
 * to decide what they may ask for), generated from the tables the runtime itself uses. */
#include "run/cmd/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <seccomp.h>

#include "common/cli.h"
#include "common/json.h"
#include "common/spec.h"
#include "common/util.h"
#include "run/cgroup/systemd_dbus.h"
#include "run/mounts.h"
#include "run/seccomp.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The namespace types of common/spec.c's table, sorted by name as runc lists them. */
static json_t *namespace_names(void)
{
	const char *names[OCI_SPEC_N_NAMESPACES];
	for (size_t i = 0; i < OCI_SPEC_N_NAMESPACES; i++)
		names[i] = oci_spec_namespaces[i].type;
	qsort(names, OCI_SPEC_N_NAMESPACES, sizeof(names[0]), cmp_str);
	json_t *a = json_array();
	for (size_t i = 0; a && i < OCI_SPEC_N_NAMESPACES; i++)
		json_array_append_new(a, json_string(names[i]));
	return a;
}

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

int oci_cmd_features(const oci_runtime *rt, int argc, char **argv, oci_error *err)
{
	(void)rt;
	static const oci_cli_option opts[] = {
	    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", 'h'}};
	oci_cli cli;
	int opt;
	oci_cli_init(&cli, opts, ARRAY_SIZE(opts), argc, argv, 1, false);
	if ((opt = oci_cli_next(&cli, err)) > 0) {
		oci_cli_help(stdout, "oci-run features", NULL, opts, ARRAY_SIZE(opts));
		return oci_flush_stdout(err) < 0 ? -1 : 0;
	}
	if (opt < 0)
		return -1;
	if (cli.index < argc)
		return oci_err(err, OCI_E_INVALID, "features: takes no arguments");
	/* mountOptions come from run/mounts.c's tables: what is listed is what is applied. */
	cleanup_json json_t *f = json_pack("{s:s,s:s,s:o,s:o}", "ociVersionMin", "1.0.0",
					   "ociVersionMax", OCI_RUNTIME_SPEC_VERSION, "hooks",
					   strings(oci_spec_hook_kinds, oci_spec_n_hook_kinds),
					   "mountOptions", oci_mount_option_names());
	/* The capabilities validation accepts (common/spec_validate.c's table), as runc lists its
	 * own list rather than the running kernel's. */
	json_t *caps = strings(oci_spec_capabilities, oci_spec_n_capabilities);
	/* apparmor/selinux "enabled": the runtime applies them (run/lsm.c), as the spec means it;
	 * whether this host has them enabled is checked at create. systemd: --systemd-cgroup
	 * (run/cgroup/systemd.c, on the system bus only: no systemdUser); rdma: no driver
	 * applies linux.resources.rdma, which create refuses (oci_process_check_host). */
	json_t *lin =
	    json_pack("{s:o,s:o,s:{s:b,s:b,s:b,s:b,s:b},s:o,s:{s:b},s:{s:b}}", "namespaces",
		      namespace_names(), "capabilities", caps, "cgroup", "v1", 1, "v2", 1,
		      "systemd", 1, "systemdUser", 0, "rdma", 0, "seccomp", oci_seccomp_features(),
		      "apparmor", "enabled", 1, "selinux", "enabled", 1);
	/* runtime-spec 1.3's switches (features-linux.md), as they are implemented: intelRdt,
	 * with its 1.3 schemata and enableMonitoring, is refused (oci_process_check_host). */
	json_object_set_new(
	    lin, "intelRdt",
	    json_pack("{s:b,s:b,s:b}", "enabled", 0, "schemata", 0, "monitoring", 0));
	json_object_set_new(lin, "netDevices", json_pack("{s:b}", "enabled", 1)); /* run/netdev.c */
	json_object_set_new(lin, "mountExtensions", json_pack("{s:{s:b}}", "idmap", "enabled", 1));
	/* run/mempolicy.c: every mode and flag of the table validation reads, as runc lists
	 * the ones it knows whatever the running kernel has. */
	json_t *modes = json_array(), *flags = json_array();
	for (size_t i = 0; modes && i < oci_spec_n_mpol_modes; i++)
		json_array_append_new(modes, json_string(oci_spec_mpol_modes[i].name));
	for (size_t i = 0; flags && i < oci_spec_n_mpol_flags; i++)
		json_array_append_new(flags, json_string(oci_spec_mpol_flags[i].name));
	json_object_set_new(lin, "memoryPolicy",
			    json_pack("{s:o,s:o}", "modes", modes, "flags", flags));
	json_object_set_new(f, "linux", lin);
	json_t *ann = json_pack("{s:s}", "org.opencontainers.runc.version", "oci-run " OCI_VERSION);
	/* runc's: the libseccomp the filters are compiled with (linked in) */
	const struct scmp_version *sv = seccomp_version();
	char svs[48];
	snprintf(svs, sizeof(svs), "%u.%u.%u", sv->major, sv->minor, sv->micro);
	json_object_set_new(ann, "io.github.seccomp.libseccomp.version", json_string(svs));
#ifdef HAVE_CRIU
	/* runc's way of saying checkpoint/restore works (podman reads it) */
	json_object_set_new(ann, "org.opencontainers.runc.checkpoint.enabled", json_string("true"));
#endif
	json_object_set_new(f, "annotations", ann);
	/* The config annotations the runtime acts on (runc also lists "bundle" and
	 * "org.criu.config", which oci-run does not read): a prefix ends with a dot. */
	json_object_set_new(f, "potentiallyUnsafeConfigAnnotations",
			    json_pack("[s]", OCI_SD_PROPERTY_PREFIX));
	cleanup_free char *s = oci_json_dump_pretty(f, err);
	if (!s)
		return -1;
	fputs(s, stdout);
	return oci_flush_stdout(err) < 0 ? -1 : 0;
}
