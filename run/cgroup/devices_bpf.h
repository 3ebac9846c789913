/* The device allow list on cgroup v2: an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) built
 * from the rules, attached to the container's cgroup, as runc's devicefilter does. */
#ifndef OCI_RUN_CGROUP_DEVICES_BPF_H
#define OCI_RUN_CGROUP_DEVICES_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/spec_resources.h"

/* oci_device_rule: common/spec_resources.h, where linux.resources.devices is parsed. */

/* Attach a program deciding by the last matching rule (deny when none matches); an allow
 * rule must cover all the access asked, a deny rule refuses any access it names. */
int oci_devices_bpf_attach(const char *cgroup_dir, const oci_device_rule *rules, size_t n,
			   oci_error *err);
#endif
