/* The D-Bus side of the systemd cgroup driver (systemd.c): transient units through
 * org.freedesktop.systemd1.Manager with libsystemd's sd-bus, each job waited for (its
 * JobRemoved signal) with a timeout. Every error is one line naming the unit and systemd's
 * message. */
#ifndef OCI_RUN_CGROUP_SYSTEMD_DBUS_H
#define OCI_RUN_CGROUP_SYSTEMD_DBUS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/config.h"
#include "common/error.h"

typedef struct oci_sd_bus oci_sd_bus;
/* Unit properties to set (resources): integers and CPU/node bitmasks. */
typedef struct oci_sd_props oci_sd_props;

/* /run/systemd/system exists: systemd is PID 1 (runc's test). */
bool oci_cgroup_systemd_running(void);

/* The system bus, for work on unit (named in errors). */
oci_sd_bus *oci_sd_open(const char *unit, oci_error *err);
void oci_sd_close(oci_sd_bus *bus);
void oci_sd_closep(oci_sd_bus **bus);
#define cleanup_sd_bus __attribute__((cleanup(oci_sd_closep)))

/* Start the transient unit in slice: Delegate=yes, DefaultDependencies=no, accounting on,
 * PIDs=[pid] for a scope (pid > 0), then extra (may be NULL: the annotations' properties,
 * which systemd takes after the driver's, as runc orders them); waits for the job. */
int oci_sd_start_unit(oci_sd_bus *bus, const char *unit, const char *slice, pid_t pid,
		      const oci_sd_props *extra, oci_error *err);
/* Stop the unit and wait for the job; a unit systemd no longer has is no error. */
int oci_sd_stop_unit(oci_sd_bus *bus, const char *unit, oci_error *err);
/* The unit's ControlGroup into *cgroup: 1, or 0 when systemd has no such unit loaded. */
int oci_sd_unit_cgroup(oci_sd_bus *bus, const char *unit, char **cgroup, oci_error *err);
/* SetUnitProperties(unit, runtime=true, props). */
int oci_sd_set_properties(oci_sd_bus *bus, const char *unit, const oci_sd_props *p, oci_error *err);

oci_sd_props *oci_sd_props_new(oci_error *err);
void oci_sd_props_free(oci_sd_props *p);
void oci_sd_props_freep(oci_sd_props **p);
#define cleanup_sd_props __attribute__((cleanup(oci_sd_props_freep)))
int oci_sd_props_u64(oci_sd_props *p, const char *name, uint64_t v, oci_error *err);
/* A cpuset list ("0-3,5") as systemd's byte-array bitmask (bit i of byte i/8 is CPU i). */
int oci_sd_props_cpuset(oci_sd_props *p, const char *name, const char *list, oci_error *err);
size_t oci_sd_props_count(const oci_sd_props *p);

/* A property's name is shorter than this. */
#define OCI_SD_PROP_NAME_MAX 64
/* A scalar D-Bus value: type is its signature letter (b y n q i u x t d s). */
typedef struct oci_sd_value {
	char type;
	uint64_t u; /* b y q u t */
	int64_t i;  /* n i x */
	double d;
	char *s;
} oci_sd_value;
/* annotation: the org.systemd.property.* key it came from (named when systemd refuses the
 * unit), or NULL. */
int oci_sd_props_value(oci_sd_props *p, const char *name, const oci_sd_value *v,
		       const char *annotation, oci_error *err);
/* GVariant text ("uint64 15000000", "true", "'text'") into *v (released with
 * oci_sd_value_release); the reason in err when it is not one (systemd_props.c). */
int oci_sd_value_parse(const char *text, oci_sd_value *v, oci_error *err);
void oci_sd_value_release(oci_sd_value *v);
/* The org.systemd.property.* annotations of a[0..n) as properties, as runc reads them; one
 * line naming the annotation for one it does not take. features lists the prefix among the
 * annotations that change what the runtime does. */
#define OCI_SD_PROPERTY_PREFIX "org.systemd.property."
int oci_sd_props_annotations(oci_sd_props *p, const oci_config_kv *a, size_t n, oci_error *err);
#endif
