/* The D-Bus calls of the systemd cgroup driver: StartTransientUnit, StopUnit, GetUnit +
 * ControlGroup and SetUnitProperties on org.freedesktop.systemd1 through libsystemd's sd-bus,
 * each job waited for through its JobRemoved signal (systemd sends it to the client that
 * queued the job), bounded. */
#include "run/cgroup/systemd_dbus.h"

#include <dlfcn.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "common/util.h"

/* libsystemd is opened when the driver first needs the bus, not linked: linked, it and the six
 * libraries it needs were loaded by every oci-run start (twice per container, from the binary
 * and its sealed copy), systemd cgroups or not, which made a run 1.3x slower. */
#define SD_FUNCS(X)                                                                                \
	X(sd_bus_call)                                                                             \
	X(sd_bus_call_method)                                                                      \
	X(sd_bus_error_free)                                                                       \
	X(sd_bus_error_has_name)                                                                   \
	X(sd_bus_error_is_set)                                                                     \
	X(sd_bus_flush_close_unref)                                                                \
	X(sd_bus_get_property_string)                                                              \
	X(sd_bus_match_signal)                                                                     \
	X(sd_bus_message_append)                                                                   \
	X(sd_bus_message_append_array)                                                             \
	X(sd_bus_message_close_container)                                                          \
	X(sd_bus_message_new_method_call)                                                          \
	X(sd_bus_message_open_container)                                                           \
	X(sd_bus_message_read)                                                                     \
	X(sd_bus_message_unref)                                                                    \
	X(sd_bus_open_system)                                                                      \
	X(sd_bus_process)                                                                          \
	X(sd_bus_slot_unref)                                                                       \
	X(sd_bus_wait)
static struct {
#define SD_PTR(f) __typeof__(f) *f;
	SD_FUNCS(SD_PTR)
#undef SD_PTR
} sd;

static int sd_load(oci_error *err)
{
	static bool loaded;
	if (loaded)
		return 0;
	void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "--systemd-cgroup: cannot load libsystemd.so.0 (%s); install "
			       "libsystemd0",
			       dlerror());
#define SD_SYM(f)                                                                                  \
	if (!(sd.f = (__typeof__(f) *)dlsym(h, #f)))                                               \
		return oci_err(err, OCI_E_UNSUPPORTED,                                             \
			       "--systemd-cgroup: libsystemd.so.0 has no %s", #f);
	SD_FUNCS(SD_SYM)
#undef SD_SYM
	loaded = true;
	return 0;
}

/* Below, every sd_bus_* call goes through the table. */
#define sd_bus_call		       (*sd.sd_bus_call)
#define sd_bus_call_method	       (*sd.sd_bus_call_method)
#define sd_bus_error_free	       (*sd.sd_bus_error_free)
#define sd_bus_error_has_name	       (*sd.sd_bus_error_has_name)
#define sd_bus_error_is_set	       (*sd.sd_bus_error_is_set)
#define sd_bus_flush_close_unref       (*sd.sd_bus_flush_close_unref)
#define sd_bus_get_property_string     (*sd.sd_bus_get_property_string)
#define sd_bus_match_signal	       (*sd.sd_bus_match_signal)
#define sd_bus_message_append	       (*sd.sd_bus_message_append)
#define sd_bus_message_append_array    (*sd.sd_bus_message_append_array)
#define sd_bus_message_close_container (*sd.sd_bus_message_close_container)
#define sd_bus_message_new_method_call (*sd.sd_bus_message_new_method_call)
#define sd_bus_message_open_container  (*sd.sd_bus_message_open_container)
#define sd_bus_message_read	       (*sd.sd_bus_message_read)
#define sd_bus_message_unref	       (*sd.sd_bus_message_unref)
#define sd_bus_open_system	       (*sd.sd_bus_open_system)
#define sd_bus_process		       (*sd.sd_bus_process)
#define sd_bus_slot_unref	       (*sd.sd_bus_slot_unref)
#define sd_bus_wait		       (*sd.sd_bus_wait)

#define SD_DEST	   "org.freedesktop.systemd1"
#define SD_PATH	   "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
/* runc waits as long for systemd's jobs */
#define SD_JOB_TIMEOUT_USEC (30ULL * 1000 * 1000)

struct oci_sd_bus {
	sd_bus *bus;
	char unit[256];
};

struct sd_prop {
	char name[OCI_SD_PROP_NAME_MAX];
	char type; /* 't' for the driver's own integers */
	uint64_t v;
	int64_t i;
	double d;
	char *s;
	uint8_t *bytes; /* a byte array when set */
	size_t n;
	char *annotation; /* the org.systemd.property.* annotation it came from, or NULL */
};

struct oci_sd_props {
	struct sd_prop *v;
	size_t n;
};

/* One line: the unit, what was done, systemd's message (or the local error). */
static int sd_fail(const oci_sd_bus *b, const char *what, const sd_bus_error *e, int r,
		   oci_error *err)
{
	const char *msg = e && sd_bus_error_is_set(e) && e->message ? e->message : strerror(-r);
	int code = e && sd_bus_error_has_name(e, "org.freedesktop.systemd1.UnitExists")
		       ? OCI_E_EXISTS
		       : OCI_E_IO;
	return oci_err(err, code, "systemd unit '%s': %s: %s", b->unit, what, msg);
}

/* NAME as a word of systemd's message ("Cannot set property NAME, or unknown property.") */
static bool names_prop(const char *msg, const char *name)
{
	size_t n = strlen(name);
	for (const char *h = msg; (h = strstr(h, name)); h++) {
		bool start = h == msg || !isalnum((unsigned char)h[-1]);
		if (start && !isalnum((unsigned char)h[n]))
			return true;
	}
	return false;
}

/* systemd refused a unit that holds properties from org.systemd.property.* annotations: the
 * one line names the annotation systemd's message names, or every annotation when it names
 * none of them (a value of the wrong type: "Invalid argument"), and says what to do. The
 * driver's own properties are not the caller's to change: then the plain line. */
static int sd_fail_props(const oci_sd_bus *b, const char *what, const sd_bus_error *e, int r,
			 const oci_sd_props *p, oci_error *err)
{
	const struct sd_prop *hit = NULL;
	size_t n_ann = 0;
	bool driver = false;
	const char *msg = e && sd_bus_error_is_set(e) && e->message ? e->message : NULL;
	for (size_t i = 0; msg && p && i < p->n; i++) {
		bool named = names_prop(msg, p->v[i].name);
		n_ann += p->v[i].annotation != NULL;
		if (named && p->v[i].annotation)
			hit = &p->v[i];
		else if (named)
			driver = true;
	}
	if (!msg || !n_ann || (driver && !hit) ||
	    sd_bus_error_has_name(e, "org.freedesktop.systemd1.UnitExists"))
		return sd_fail(b, what, e, r, err);
	if (hit)
		return oci_err(err, OCI_E_INVALID,
			       "annotation '%s': systemd refused it for unit '%s': %s (correct its "
			       "value or remove the annotation)",
			       hit->annotation, b->unit, msg);
	cleanup_free char *list = NULL;
	for (size_t i = 0; i < p->n; i++) {
		if (!p->v[i].annotation)
			continue;
		char *more = oci_asprintf(err, "%s%s'%s'", list ? list : "", list ? ", " : "",
					  p->v[i].annotation);
		if (!more)
			return -1;
		free(list);
		list = more;
	}
	return oci_err(
	    err, OCI_E_INVALID, "systemd unit '%s': %s: %s (with the annotation%s %s: %s)", b->unit,
	    what, msg, n_ann > 1 ? "s" : "", list,
	    n_ann > 1 ? "correct their values or remove them" : "correct its value or remove it");
}

oci_sd_bus *oci_sd_open(const char *unit, oci_error *err)
{
	oci_sd_bus *b = oci_calloc(1, sizeof(*b), err);
	if (!b)
		return NULL;
	snprintf(b->unit, sizeof(b->unit), "%s", unit);
	if (sd_load(err) < 0) {
		free(b);
		return NULL;
	}
	int r = sd_bus_open_system(&b->bus);
	if (r < 0) {
		sd_fail(b, "cannot connect to the system bus", NULL, r, err);
		free(b);
		return NULL;
	}
	return b;
}

void oci_sd_close(oci_sd_bus *b)
{
	if (!b)
		return;
	sd_bus_flush_close_unref(b->bus);
	free(b);
}

void oci_sd_closep(oci_sd_bus **b)
{
	oci_sd_close(*b);
}

static uint64_t now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

struct job {
	char *path;
	char result[64];
	bool done;
};

static int job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	(void)ret_error;
	struct job *j = userdata;
	uint32_t id;
	const char *path, *unit, *result;
	if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
		return 0;
	if (j->path && !strcmp(path, j->path)) {
		snprintf(j->result, sizeof(j->result), "%s", result);
		j->done = true;
	}
	return 0;
}

/* Call m (a method returning a job), then wait for the job's end. 1 when done, 0 when
 * systemd answered with the error named ignore (e.g. no such unit), -1 on error. */
static int call_job(oci_sd_bus *b, sd_bus_message *m, const char *what, const char *ignore,
		    const oci_sd_props *blame, oci_error *err)
{
	struct job j = {.path = NULL, .done = false};
	sd_bus_slot *slot = NULL;
	sd_bus_message *reply = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int ret = -1;
	/* before the call: the signal may come before its reply is read */
	int r = sd_bus_match_signal(b->bus, &slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved",
				    job_removed, &j);
	if (r < 0) {
		sd_fail(b, "cannot watch systemd's jobs", NULL, r, err);
		goto out;
	}
	r = sd_bus_call(b->bus, m, SD_JOB_TIMEOUT_USEC, &e, &reply);
	if (r < 0) {
		if (ignore && sd_bus_error_has_name(&e, ignore))
			ret = 0;
		else
			sd_fail_props(b, what, &e, r, blame, err);
		goto out;
	}
	const char *path;
	r = sd_bus_message_read(reply, "o", &path);
	if (r < 0 || !(j.path = strdup(path))) {
		sd_fail(b, what, NULL, r < 0 ? r : -ENOMEM, err);
		goto out;
	}
	uint64_t deadline = now_usec() + SD_JOB_TIMEOUT_USEC;
	while (!j.done) {
		r = sd_bus_process(b->bus, NULL);
		if (r < 0) {
			sd_fail(b, what, NULL, r, err);
			goto out;
		}
		if (r > 0)
			continue;
		uint64_t now = now_usec();
		if (now >= deadline) {
			oci_err(err, OCI_E_IO,
				"systemd unit '%s': %s: the job did not end in %llu s", b->unit,
				what, SD_JOB_TIMEOUT_USEC / 1000000);
			goto out;
		}
		r = sd_bus_wait(b->bus, deadline - now);
		if (r < 0) {
			sd_fail(b, what, NULL, r, err);
			goto out;
		}
	}
	if (strcmp(j.result, "done")) {
		oci_err(err, OCI_E_IO, "systemd unit '%s': %s: the job ended '%s'", b->unit, what,
			j.result);
		goto out;
	}
	ret = 1;
out:
	free(j.path);
	sd_bus_error_free(&e);
	sd_bus_message_unref(reply);
	sd_bus_slot_unref(slot);
	return ret;
}

static int append_props(sd_bus_message *m, const oci_sd_props *p)
{
	int r = 0;
	for (size_t i = 0; p && i < p->n && r >= 0; i++) {
		const struct sd_prop *q = &p->v[i];
		const char sig[2] = {q->type, '\0'};
		switch (q->bytes ? 0 : q->type) {
		case 0:
			break;
		case 'b':
		case 'y':
		case 'q':
			r = sd_bus_message_append(m, "(sv)", q->name, sig, (int)q->v);
			continue;
		case 'u':
			r = sd_bus_message_append(m, "(sv)", q->name, sig, (uint32_t)q->v);
			continue;
		case 'n':
		case 'i':
			r = sd_bus_message_append(m, "(sv)", q->name, sig, (int32_t)q->i);
			continue;
		case 'x':
			r = sd_bus_message_append(m, "(sv)", q->name, sig, q->i);
			continue;
		case 'd':
			r = sd_bus_message_append(m, "(sv)", q->name, sig, q->d);
			continue;
		case 's':
			r = sd_bus_message_append(m, "(sv)", q->name, sig, q->s);
			continue;
		default:
			r = sd_bus_message_append(m, "(sv)", q->name, "t", q->v);
			continue;
		}
		if ((r = sd_bus_message_open_container(m, 'r', "sv")) < 0 ||
		    (r = sd_bus_message_append(m, "s", q->name)) < 0 ||
		    (r = sd_bus_message_open_container(m, 'v', "ay")) < 0 ||
		    (r = sd_bus_message_append_array(m, 'y', q->bytes, q->n)) < 0 ||
		    (r = sd_bus_message_close_container(m)) < 0)
			return r;
		r = sd_bus_message_close_container(m);
	}
	return r;
}

int oci_sd_start_unit(oci_sd_bus *b, const char *unit, const char *slice, pid_t pid,
		      const oci_sd_props *extra, oci_error *err)
{
	sd_bus_message *m = NULL;
	int r = sd_bus_message_new_method_call(b->bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
					       "StartTransientUnit");
	char desc[300];
	snprintf(desc, sizeof(desc), "oci-run container %s", unit);
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", unit, "fail");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(sv)");
	if (r >= 0)
		r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)(sv)(sv)", "Description", "s",
					  desc, "Slice", "s", slice, "DefaultDependencies", "b", 0,
					  "MemoryAccounting", "b", 1, "CPUAccounting", "b", 1,
					  "IOAccounting", "b", 1, "TasksAccounting", "b", 1);
	/* a slice takes no process and cannot be delegated (runc sets Delegate on scopes) */
	if (r >= 0 && pid > 0)
		r = sd_bus_message_append(m, "(sv)(sv)", "PIDs", "au", 1, (uint32_t)pid, "Delegate",
					  "b", 1);
	if (r >= 0)
		r = append_props(m, extra);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_append(m, "a(sa(sv))", 0);
	if (r < 0) {
		sd_bus_message_unref(m);
		return sd_fail(b, "cannot build StartTransientUnit", NULL, r, err);
	}
	r = call_job(b, m, "cannot start the transient unit", NULL, extra, err);
	sd_bus_message_unref(m);
	return r < 0 ? -1 : 0;
}

int oci_sd_stop_unit(oci_sd_bus *b, const char *unit, oci_error *err)
{
	sd_bus_message *m = NULL;
	int r =
	    sd_bus_message_new_method_call(b->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit");
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", unit, "replace");
	if (r < 0) {
		sd_bus_message_unref(m);
		return sd_fail(b, "cannot build StopUnit", NULL, r, err);
	}
	r = call_job(b, m, "cannot stop the unit", "org.freedesktop.systemd1.NoSuchUnit", NULL,
		     err);
	sd_bus_message_unref(m);
	if (r < 0)
		return -1;
	/* a scope whose processes were killed may be left "failed": forget it, as runc does */
	sd_bus_call_method(b->bus, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit", NULL, NULL, "s",
			   unit);
	return 0;
}

int oci_sd_unit_cgroup(oci_sd_bus *b, const char *unit, char **cgroup, oci_error *err)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r = sd_bus_call_method(b->bus, SD_DEST, SD_PATH, SD_MANAGER, "GetUnit", &e, &reply, "s",
				   unit);
	if (r < 0) {
		bool none = sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit");
		if (!none)
			sd_fail(b, "cannot look the unit up", &e, r, err);
		sd_bus_error_free(&e);
		return none ? 0 : -1;
	}
	const char *path;
	r = sd_bus_message_read(reply, "o", &path);
	const char *iface = oci_str_has_suffix(unit, ".slice") ? "org.freedesktop.systemd1.Slice"
							       : "org.freedesktop.systemd1.Scope";
	char *cg = NULL;
	if (r >= 0)
		r = sd_bus_get_property_string(b->bus, SD_DEST, path, iface, "ControlGroup", &e,
					       &cg);
	sd_bus_message_unref(reply);
	if (r < 0) {
		sd_fail(b, "cannot read the unit's ControlGroup", &e, r, err);
		sd_bus_error_free(&e);
		return -1;
	}
	if (!cg[0]) {
		free(cg);
		return 0;
	}
	*cgroup = cg;
	return 1;
}

int oci_sd_set_properties(oci_sd_bus *b, const char *unit, const oci_sd_props *p, oci_error *err)
{
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r = sd_bus_message_new_method_call(b->bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
					       "SetUnitProperties");
	if (r >= 0)
		r = sd_bus_message_append(m, "sb", unit, 1);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(sv)");
	if (r >= 0)
		r = append_props(m, p);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_call(b->bus, m, SD_JOB_TIMEOUT_USEC, &e, &reply);
	if (r < 0)
		sd_fail(b, "cannot set the unit's properties", &e, r, err);
	sd_bus_error_free(&e);
	sd_bus_message_unref(reply);
	sd_bus_message_unref(m);
	return r < 0 ? -1 : 0;
}

oci_sd_props *oci_sd_props_new(oci_error *err)
{
	return oci_calloc(1, sizeof(oci_sd_props), err);
}

void oci_sd_props_free(oci_sd_props *p)
{
	for (size_t i = 0; p && i < p->n; i++) {
		free(p->v[i].bytes);
		free(p->v[i].s);
		free(p->v[i].annotation);
	}
	if (p)
		free(p->v);
	free(p);
}

void oci_sd_props_freep(oci_sd_props **p)
{
	oci_sd_props_free(*p);
}

static struct sd_prop *prop_add(oci_sd_props *p, const char *name, oci_error *err)
{
	struct sd_prop *nv = realloc(p->v, (p->n + 1) * sizeof(*nv));
	if (!nv)
		return oci_err(err, OCI_E_INTERNAL, "out of memory"), NULL;
	p->v = nv;
	struct sd_prop *q = &p->v[p->n++];
	memset(q, 0, sizeof(*q));
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->type = 't';
	return q;
}

int oci_sd_props_u64(oci_sd_props *p, const char *name, uint64_t v, oci_error *err)
{
	struct sd_prop *q = prop_add(p, name, err);
	if (!q)
		return -1;
	q->v = v;
	return 0;
}

int oci_sd_props_value(oci_sd_props *p, const char *name, const oci_sd_value *v,
		       const char *annotation, oci_error *err)
{
	char *s = NULL, *a = NULL;
	if ((v->type == 's' && !(s = oci_strdup(v->s, err))) ||
	    (annotation && !(a = oci_strdup(annotation, err)))) {
		free(s);
		return -1;
	}
	struct sd_prop *q = prop_add(p, name, err);
	if (!q) {
		free(s);
		free(a);
		return -1;
	}
	q->annotation = a;
	q->type = v->type;
	q->v = v->u;
	q->i = v->i;
	q->d = v->d;
	q->s = s;
	return 0;
}

int oci_sd_props_cpuset(oci_sd_props *p, const char *name, const char *list, oci_error *err)
{
	enum { MAX_BITS = 8192 };
	uint8_t bits[MAX_BITS / 8];
	size_t n = 0;
	memset(bits, 0, sizeof(bits));
	for (const char *s = list; *s && *s != '\n';) {
		char *end;
		unsigned long a = strtoul(s, &end, 10), z = a;
		if (end == s)
			goto bad;
		if (*end == '-') {
			s = end + 1;
			z = strtoul(s, &end, 10);
			if (end == s)
				goto bad;
		}
		if (z < a || z >= MAX_BITS)
			goto bad;
		for (unsigned long i = a; i <= z; i++)
			bits[i / 8] |= (uint8_t)(1u << (i % 8));
		if (z / 8 + 1 > n)
			n = z / 8 + 1;
		s = end;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			goto bad;
	}
	struct sd_prop *q = prop_add(p, name, err);
	if (!q)
		return -1;
	if (!(q->bytes = oci_malloc(n ? n : 1, err)))
		return -1;
	memcpy(q->bytes, bits, n);
	q->n = n;
	return 0;
bad:
	return oci_err(err, OCI_E_INVALID, "%s: cannot read the cpu list '%s'", name, list);
}

size_t oci_sd_props_count(const oci_sd_props *p)
{
	return p ? p->n : 0;
}
