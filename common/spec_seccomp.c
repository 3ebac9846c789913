/* linux.seccomp's vocabulary and the parse of a profile into its typed model (every check that
 * needs no kernel), run once by the validator (oci-bundle validate, oci-run create and exec);
 * the filter builder in run/seccomp.c only reads the model, so the two cannot disagree about
 * what a profile means. */
#include "common/spec_seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "common/util.h"

const oci_spec_seccomp_name oci_spec_seccomp_actions[] = {
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    {"SCMP_ACT_KILL", SCMP_ACT_KILL, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
};
const size_t oci_spec_seccomp_n_actions = ARRAY_SIZE(oci_spec_seccomp_actions);

const oci_spec_seccomp_name oci_spec_seccomp_operators[] = {
    {"SCMP_CMP_EQ", SCMP_CMP_EQ, false}, {"SCMP_CMP_GE", SCMP_CMP_GE, false},
    {"SCMP_CMP_GT", SCMP_CMP_GT, false}, {"SCMP_CMP_LE", SCMP_CMP_LE, false},
    {"SCMP_CMP_LT", SCMP_CMP_LT, false}, {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ, false},
    {"SCMP_CMP_NE", SCMP_CMP_NE, false},
};
const size_t oci_spec_seccomp_n_operators = ARRAY_SIZE(oci_spec_seccomp_operators);

/* runtime-spec 1.3's architectures (libseccomp 2.6's), each where the libseccomp this is
 * built with has it: features lists this table, and the rest are refused by name below. */
const oci_spec_seccomp_name oci_spec_seccomp_archs[] = {
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64, false},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM, false},
#ifdef SCMP_ARCH_LOONGARCH64
    {"SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64, false},
#endif
#ifdef SCMP_ARCH_M68K
    {"SCMP_ARCH_M68K", SCMP_ARCH_M68K, false},
#endif
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS, false},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64, false},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32, false},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL, false},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64, false},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32, false},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC, false},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64, false},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC, false},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64, false},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE, false},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64, false},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390, false},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X, false},
#ifdef SCMP_ARCH_SH
    {"SCMP_ARCH_SH", SCMP_ARCH_SH, false},
#endif
#ifdef SCMP_ARCH_SHEB
    {"SCMP_ARCH_SHEB", SCMP_ARCH_SHEB, false},
#endif
    {"SCMP_ARCH_X32", SCMP_ARCH_X32, false},
    {"SCMP_ARCH_X86", SCMP_ARCH_X86, false},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64, false},
};
const size_t oci_spec_seccomp_n_archs = ARRAY_SIZE(oci_spec_seccomp_archs);

/* The runtime-spec's architectures that libseccomp lacks here (runc fails at create on them,
 * adding the architecture to its filter). */
static bool arch_missing_here(const char *name)
{
	static const char *const names[] = {"SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
					    "SCMP_ARCH_SH", "SCMP_ARCH_SHEB"};
	for (size_t k = 0; k < ARRAY_SIZE(names); k++)
		if (!strcmp(name, names[k]))
			return !oci_spec_seccomp_lookup(oci_spec_seccomp_archs,
							oci_spec_seccomp_n_archs, name);
	return false;
}

const oci_spec_seccomp_name oci_spec_seccomp_flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC, false},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG, false},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW, false},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, false},
};
const size_t oci_spec_seccomp_n_flags = ARRAY_SIZE(oci_spec_seccomp_flags);

const oci_spec_seccomp_name *oci_spec_seccomp_lookup(const oci_spec_seccomp_name *table, size_t n,
						     const char *name)
{
	for (size_t k = 0; name && k < n; k++)
		if (!strcmp(name, table[k].name))
			return &table[k];
	return NULL;
}

/* An unsigned integer member; absent keeps *out and returns 0, present returns 1. */
static int get_uint(json_t *obj, const char *path, const char *key, bool required, uint64_t max,
		    uint64_t *out, oci_error *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		if (required)
			return oci_err(err, OCI_E_INVALID, "%s.%s: missing", path, key);
		return 0;
	}
	if (!json_is_integer(v))
		return oci_err(err, OCI_E_INVALID, "%s.%s: expected an unsigned integer", path,
			       key);
	json_int_t n = json_integer_value(v);
	if (n < 0 || (uint64_t)n > max)
		return oci_err(err, OCI_E_INVALID, "%s.%s: %lld out of range (0 to %llu)", path,
			       key, (long long)n, (unsigned long long)max);
	*out = (uint64_t)n;
	return 1;
}

static int seccomp_action(json_t *obj, const char *path, const char *akey, const char *ekey,
			  uint32_t *out, oci_error *err)
{
	json_t *a = json_object_get(obj, akey);
	const char *name = json_string_value(a);
	if (!a)
		return oci_err(err, OCI_E_INVALID, "%s.%s: missing", path, akey);
	if (!name)
		return oci_err(err, OCI_E_INVALID, "%s.%s: expected a string", path, akey);
	const oci_spec_seccomp_name *act =
	    oci_spec_seccomp_lookup(oci_spec_seccomp_actions, oci_spec_seccomp_n_actions, name);
	if (!act)
		return oci_err(err, OCI_E_INVALID, "%s.%s: unknown action '%s'", path, akey, name);
	uint64_t eno = EPERM;
	int r = get_uint(obj, path, ekey, false, OCI_SECCOMP_MAX_ERRNO, &eno, err);
	if (r < 0)
		return -1;
	if (r > 0 && !act->takes_errno)
		return oci_err(
		    err, OCI_E_INVALID,
		    "%s.%s: %s takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)", path,
		    ekey, name);
	*out = act->value;
	if (act->takes_errno)
		*out |= (uint32_t)eno;
	return 0;
}

static int seccomp_arg(json_t *a, const char *path, struct scmp_arg_cmp *c, oci_error *err)
{
	if (!json_is_object(a))
		return oci_err(err, OCI_E_INVALID, "%s: expected an object", path);
	uint64_t index = 0, value = 0, value2 = 0;
	if (get_uint(a, path, "index", true, OCI_SECCOMP_MAX_ARGS - 1, &index, err) < 0 ||
	    get_uint(a, path, "value", true, INT64_MAX, &value, err) < 0 ||
	    get_uint(a, path, "valueTwo", false, INT64_MAX, &value2, err) < 0)
		return -1;
	const char *op = json_string_value(json_object_get(a, "op"));
	if (!json_object_get(a, "op"))
		return oci_err(err, OCI_E_INVALID, "%s.op: missing", path);
	if (!op)
		return oci_err(err, OCI_E_INVALID, "%s.op: expected a string", path);
	const oci_spec_seccomp_name *o =
	    oci_spec_seccomp_lookup(oci_spec_seccomp_operators, oci_spec_seccomp_n_operators, op);
	if (!o)
		return oci_err(err, OCI_E_INVALID, "%s.op: unknown operator '%s'", path, op);
	/* For SCMP_CMP_MASKED_EQ value is the mask and valueTwo the value, as in runc. */
	*c = (struct scmp_arg_cmp){.arg = (unsigned)index,
				   .op = (enum scmp_compare)o->value,
				   .datum_a = value,
				   .datum_b = value2};
	return 0;
}

/* An optional member that must be an array when present (null counts as absent). */
static int opt_array(json_t *obj, const char *path, const char *key, json_t **out, oci_error *err)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return oci_err(err, OCI_E_INVALID, "%s.%s: expected an array", path, key);
	*out = v;
	return 0;
}

/* An optional string member: NULL when absent or null. */
static int opt_string(json_t *obj, const char *path, const char *key, char **out, oci_error *err)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return oci_err(err, OCI_E_INVALID, "%s.%s: expected a string", path, key);
	*out = oci_strdup(json_string_value(v), err);
	return *out ? 0 : -1;
}

static int parse_rule(json_t *entry, const char *path, oci_config_seccomp_rule *r, oci_error *err)
{
	if (!json_is_object(entry))
		return oci_err(err, OCI_E_INVALID, "%s: expected an object", path);
	json_t *names = json_object_get(entry, "names"), *args, *v;
	if (!names)
		return oci_err(err, OCI_E_INVALID, "%s.names: missing", path);
	if (!json_is_array(names))
		return oci_err(err, OCI_E_INVALID, "%s.names: expected an array", path);
	if (seccomp_action(entry, path, "action", "errnoRet", &r->action, err) < 0 ||
	    opt_array(entry, path, "args", &args, err) < 0)
		return -1;
	if (json_array_size(args) > OCI_SECCOMP_MAX_CONDITIONS)
		return oci_err(err, OCI_E_LIMIT, "%s.args: more than %d conditions", path,
			       OCI_SECCOMP_MAX_CONDITIONS);
	size_t i;
	if (json_array_size(args)) {
		r->args = oci_calloc(json_array_size(args), sizeof(*r->args), err);
		if (!r->args)
			return -1;
	}
	json_array_foreach(args, i, v)
	{
		char ap[300];
		snprintf(ap, sizeof(ap), "%s.args[%zu]", path, i);
		if (seccomp_arg(v, ap, &r->args[r->n_args++], err) < 0)
			return -1;
	}
	r->names = oci_calloc(json_array_size(names) + 1, sizeof(char *), err);
	if (!r->names)
		return -1;
	json_array_foreach(names, i, v)
	{
		if (!json_is_string(v))
			return oci_err(err, OCI_E_INVALID, "%s.names[%zu]: expected a string", path,
				       i);
		if (!(r->names[r->n_names++] = oci_strdup(json_string_value(v), err)))
			return -1;
	}
	return 0;
}

void oci_spec_seccomp_free(oci_config_seccomp *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_rules; i++) {
		for (size_t k = 0; k < s->rules[i].n_names; k++)
			free(s->rules[i].names[k]);
		free(s->rules[i].names);
		free(s->rules[i].args);
	}
	free(s->rules);
	free(s->archs);
	free(s->archs_at);
	free(s->listener_path);
	free(s->listener_metadata);
	free(s);
}

static int parse(json_t *seccomp, oci_config_seccomp *s, oci_error *err)
{
	static const char path[] = "linux.seccomp";
	json_t *list, *v;
	size_t i;
	if (!json_is_object(seccomp))
		return oci_err(err, OCI_E_INVALID, "%s: expected an object", path);
	if (opt_string(seccomp, path, "listenerPath", &s->listener_path, err) < 0 ||
	    opt_string(seccomp, path, "listenerMetadata", &s->listener_metadata, err) < 0)
		return -1;
	if (seccomp_action(seccomp, path, "defaultAction", "defaultErrnoRet", &s->default_action,
			   err) < 0)
		return -1;
	/* runc's rule: a default notify would need the runtime's own last syscalls served by an
	 * agent that has no fd yet, and every future syscall would go to it. */
	if (s->default_action == SCMP_ACT_NOTIFY)
		return oci_err(err, OCI_E_INVALID,
			       "%s.defaultAction: SCMP_ACT_NOTIFY cannot be the default action "
			       "(name the syscalls to notify in syscalls[])",
			       path);
	if (opt_array(seccomp, path, "flags", &list, err) < 0)
		return -1;
	size_t killable_at = 0;
	bool killable = false;
	json_array_foreach(list, i, v)
	{
		const char *name = json_string_value(v);
		if (!name)
			return oci_err(err, OCI_E_INVALID, "%s.flags[%zu]: expected a string", path,
				       i);
		const oci_spec_seccomp_name *f =
		    oci_spec_seccomp_lookup(oci_spec_seccomp_flags, oci_spec_seccomp_n_flags, name);
		if (!f)
			return oci_err(err, OCI_E_INVALID, "%s.flags[%zu]: unknown flag '%s'", path,
				       i, name);
		if (f->value == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !killable) {
			killable = true;
			killable_at = i;
		}
		s->flags |= f->value;
	}
	if (opt_array(seccomp, path, "architectures", &list, err) < 0)
		return -1;
	if (json_array_size(list) &&
	    (!(s->archs = oci_calloc(json_array_size(list), sizeof(*s->archs), err)) ||
	     !(s->archs_at = oci_calloc(json_array_size(list), sizeof(*s->archs_at), err))))
		return -1;
	json_array_foreach(list, i, v)
	{
		const char *name = json_string_value(v);
		if (!name)
			return oci_err(err, OCI_E_INVALID,
				       "%s.architectures[%zu]: expected a string", path, i);
		const oci_spec_seccomp_name *a =
		    oci_spec_seccomp_lookup(oci_spec_seccomp_archs, oci_spec_seccomp_n_archs, name);
		if (!a && arch_missing_here(name))
			return oci_err(
			    err, OCI_E_INVALID,
			    "%s.architectures[%zu]: '%s' is not supported by the libseccomp "
			    "%d.%d.%d this is built with (libseccomp 2.6 has it)",
			    path, i, name, SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
		if (!a)
			return oci_err(err, OCI_E_INVALID,
				       "%s.architectures[%zu]: unknown architecture '%s'", path, i,
				       name);
		bool dup = false;
		for (size_t k = 0; k < s->n_archs; k++)
			dup |= s->archs[k] == a->value;
		if (!dup) {
			s->archs_at[s->n_archs] = i;
			s->archs[s->n_archs++] = a->value;
		}
	}
	if (opt_array(seccomp, path, "syscalls", &list, err) < 0)
		return -1;
	if (json_array_size(list) &&
	    !(s->rules = oci_calloc(json_array_size(list), sizeof(*s->rules), err)))
		return -1;
	json_array_foreach(list, i, v)
	{
		char sp[64];
		snprintf(sp, sizeof(sp), "%s.syscalls[%zu]", path, i);
		if (parse_rule(v, sp, &s->rules[s->n_rules++], err) < 0)
			return -1;
		s->notify |= s->rules[i].action == SCMP_ACT_NOTIFY;
	}
	if (s->notify && !s->listener_path)
		return oci_err(
		    err, OCI_E_INVALID,
		    "%s.listenerPath: missing (SCMP_ACT_NOTIFY needs the unix socket of a "
		    "seccomp agent to send the notify fd to)",
		    path);
	if (s->listener_path && !s->listener_path[0])
		return oci_err(err, OCI_E_INVALID,
			       "%s.listenerPath: empty (name the unix socket of the seccomp agent)",
			       path);
	/* Relative, it would be resolved against whatever directory create or exec runs in, which
	 * a bundle inside the container's reach could point at a socket of the host's. */
	if (s->listener_path && s->listener_path[0] != '/')
		return oci_err(err, OCI_E_INVALID,
			       "%s.listenerPath: '%s' is not an absolute path (name the agent's "
			       "socket from /)",
			       path, s->listener_path);
	if (s->listener_path &&
	    strlen(s->listener_path) >= sizeof(((struct sockaddr_un){0}).sun_path))
		return oci_err(err, OCI_E_LIMIT,
			       "%s.listenerPath: longer than a unix socket path (%zu bytes)", path,
			       sizeof(((struct sockaddr_un){0}).sun_path) - 1);
	if (s->listener_path && !s->notify)
		return oci_err(err, OCI_E_INVALID,
			       "%s.listenerPath: no syscall has SCMP_ACT_NOTIFY (the agent would "
			       "never get a notify fd)",
			       path);
	if (killable && !s->notify)
		return oci_err(err, OCI_E_INVALID,
			       "%s.flags[%zu]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs an "
			       "SCMP_ACT_NOTIFY rule",
			       path, killable_at);
	return 0;
}

int oci_spec_seccomp_parse(json_t *seccomp, oci_config_seccomp **out, oci_error *err)
{
	*out = NULL;
	if (!seccomp || json_is_null(seccomp))
		return 0;
	oci_config_seccomp *s = oci_calloc(1, sizeof(*s), err);
	if (!s)
		return -1;
	if (parse(seccomp, s, err) < 0) {
		oci_spec_seccomp_free(s);
		return -1;
	}
	*out = s;
	return 0;
}
