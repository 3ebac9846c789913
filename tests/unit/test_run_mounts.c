/* Unit tests for run/mounts.c's mount option parsing: the options of a config.json mount
 * become mount(2) flags (set and cleared in order), a propagation type, mount_setattr(2)
 * attributes for the recursive r* options, and the data string the filesystem gets; and the
 * option list `oci-run features` prints is exactly what the parser accepts. */
#include <check.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mount.h>

#include "run/mounts.h"

typedef struct parsed {
	unsigned long flags, prop;
	bool rbind;
	oci_mount_rec_attr rec;
	char data[256];
	int rc;
	oci_error err;
} parsed;

/* Parse a NULL-terminated list of option strings. */
static parsed parse_list(const char *first, ...)
{
	parsed p;
	va_list ap;
	char *opts[32];
	size_t n = 0;
	memset(&p, 0, sizeof(p));
	va_start(ap, first);
	for (const char *o = first; o && n < 31; o = va_arg(ap, const char *))
		opts[n++] = (char *)o;
	va_end(ap);
	opts[n] = NULL;
	/* Garbage in the outputs: the parser must set every one of them. */
	p.flags = p.prop = ~0UL;
	p.rbind = true;
	p.rec.set = p.rec.clr = ~(uint64_t)0;
	memset(p.data, 'x', sizeof(p.data));
	p.rc = oci_mount_parse_options(opts, &p.flags, &p.prop, &p.rbind, &p.rec, p.data,
				       sizeof(p.data), &p.err);
	return p;
}
#define PARSE(...) parse_list(__VA_ARGS__, (const char *)NULL)

START_TEST(test_empty)
{
	parsed p = PARSE(NULL);
	ck_assert_int_eq(p.rc, 0);
	ck_assert_uint_eq(p.flags, 0);
	ck_assert_uint_eq(p.prop, 0);
	ck_assert(!p.rbind);
	ck_assert_uint_eq(p.rec.set, 0);
	ck_assert_uint_eq(p.rec.clr, 0);
	ck_assert_str_eq(p.data, "");
	/* "defaults" means nothing beyond the defaults. */
	p = PARSE("defaults");
	ck_assert_int_eq(p.rc, 0);
	ck_assert_uint_eq(p.flags, 0);
	ck_assert_str_eq(p.data, "");
}
END_TEST

START_TEST(test_flags)
{
	static const struct {
		const char *name;
		unsigned long flag;
	} cases[] = {
	    {"ro", MS_RDONLY},
	    {"nosuid", MS_NOSUID},
	    {"nodev", MS_NODEV},
	    {"noexec", MS_NOEXEC},
	    {"sync", MS_SYNCHRONOUS},
	    {"dirsync", MS_DIRSYNC},
	    {"mand", MS_MANDLOCK},
	    {"noatime", MS_NOATIME},
	    {"nodiratime", MS_NODIRATIME},
	    {"relatime", MS_RELATIME},
	    {"strictatime", MS_STRICTATIME},
	    {"remount", MS_REMOUNT},
	    {"bind", MS_BIND},
	    {"rbind", MS_BIND | MS_REC},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parsed p = PARSE(cases[i].name);
		ck_assert_msg(p.rc == 0, "%s: %s", cases[i].name, p.err.msg);
		ck_assert_msg(p.flags == cases[i].flag, "%s: flags %#lx, want %#lx", cases[i].name,
			      p.flags, cases[i].flag);
		ck_assert_msg(!strcmp(p.data, ""), "%s went to data '%s'", cases[i].name, p.data);
		ck_assert_uint_eq(p.prop, 0);
		ck_assert_uint_eq(p.rec.set | p.rec.clr, 0);
	}
	/* A typical /proc or /sys entry of a config. */
	parsed p = PARSE("nosuid", "noexec", "nodev", "ro");
	ck_assert_int_eq(p.rc, 0);
	ck_assert_uint_eq(p.flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
	ck_assert_str_eq(p.data, "");
}
END_TEST

/* Options apply in order: the clearing form undoes an earlier setting one, and the last word
 * wins (a config's "ro" then "rw" is a writable mount). */
START_TEST(test_clear_flags_in_order)
{
	static const struct {
		const char *set, *clear;
		unsigned long flag;
	} pairs[] = {
	    {"ro", "rw", MS_RDONLY},
	    {"nosuid", "suid", MS_NOSUID},
	    {"nodev", "dev", MS_NODEV},
	    {"noexec", "exec", MS_NOEXEC},
	    {"sync", "async", MS_SYNCHRONOUS},
	    {"mand", "nomand", MS_MANDLOCK},
	    {"noatime", "atime", MS_NOATIME},
	    {"nodiratime", "diratime", MS_NODIRATIME},
	    {"relatime", "norelatime", MS_RELATIME},
	    {"strictatime", "nostrictatime", MS_STRICTATIME},
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		parsed p = PARSE("nosuid", pairs[i].set, pairs[i].clear);
		ck_assert_msg(p.rc == 0, "%s", p.err.msg);
		unsigned long want = pairs[i].flag == MS_NOSUID ? 0 : MS_NOSUID;
		ck_assert_msg(p.flags == want, "%s,%s: flags %#lx, want %#lx", pairs[i].set,
			      pairs[i].clear, p.flags, want);
		ck_assert_msg(!strcmp(p.data, ""), "%s went to data '%s'", pairs[i].clear, p.data);
		p = PARSE(pairs[i].clear, pairs[i].set);
		ck_assert_msg(p.flags == pairs[i].flag, "%s,%s: flags %#lx", pairs[i].clear,
			      pairs[i].set, p.flags);
	}
	/* Clearing something never set is no error and sets nothing. */
	parsed p = PARSE("rw", "exec", "suid", "dev");
	ck_assert_int_eq(p.rc, 0);
	ck_assert_uint_eq(p.flags, 0);
}
END_TEST

START_TEST(test_bind)
{
	parsed p = PARSE("bind", "ro");
	ck_assert_uint_eq(p.flags, MS_BIND | MS_RDONLY);
	ck_assert(!p.rbind);
	p = PARSE("rbind", "nosuid");
	ck_assert_uint_eq(p.flags, MS_BIND | MS_REC | MS_NOSUID);
	ck_assert(p.rbind);
	ck_assert_uint_eq(p.prop, 0);
	ck_assert_str_eq(p.data, "");
}
END_TEST

START_TEST(test_propagation)
{
	static const struct {
		const char *name;
		unsigned long prop;
	} cases[] = {
	    {"private", MS_PRIVATE},	   {"rprivate", MS_PRIVATE | MS_REC},
	    {"shared", MS_SHARED},	   {"rshared", MS_SHARED | MS_REC},
	    {"slave", MS_SLAVE},	   {"rslave", MS_SLAVE | MS_REC},
	    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parsed p = PARSE("bind", cases[i].name);
		ck_assert_msg(p.rc == 0, "%s: %s", cases[i].name, p.err.msg);
		ck_assert_msg(p.prop == cases[i].prop, "%s: propagation %#lx, want %#lx",
			      cases[i].name, p.prop, cases[i].prop);
		/* Propagation is a separate mount(2) call: it is not in the flags. */
		ck_assert_msg(p.flags == MS_BIND, "%s: flags %#lx", cases[i].name, p.flags);
		ck_assert_msg(!strcmp(p.data, ""), "%s went to data '%s'", cases[i].name, p.data);
	}
	/* One propagation type per mount: the last one given. */
	parsed p = PARSE("rshared", "nodev", "private");
	ck_assert_uint_eq(p.prop, MS_PRIVATE);
	ck_assert_uint_eq(p.flags, MS_NODEV);
}
END_TEST

/* The r* options go to mount_setattr(AT_RECURSIVE) as MOUNT_ATTR_* bits, never to flags. */
START_TEST(test_recursive_attributes)
{
	static const struct {
		const char *name;
		uint64_t set, clr;
	} cases[] = {
	    {"rro", MOUNT_ATTR_RDONLY, 0},
	    {"rrw", 0, MOUNT_ATTR_RDONLY},
	    {"rnosuid", MOUNT_ATTR_NOSUID, 0},
	    {"rsuid", 0, MOUNT_ATTR_NOSUID},
	    {"rnodev", MOUNT_ATTR_NODEV, 0},
	    {"rdev", 0, MOUNT_ATTR_NODEV},
	    {"rnoexec", MOUNT_ATTR_NOEXEC, 0},
	    {"rexec", 0, MOUNT_ATTR_NOEXEC},
	    {"rnodiratime", MOUNT_ATTR_NODIRATIME, 0},
	    {"rdiratime", 0, MOUNT_ATTR_NODIRATIME},
	    /* An atime mode replaces the whole mode: the kernel wants MOUNT_ATTR__ATIME in
	     * attr_clr with it. */
	    {"rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
	    {"rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
	    {"rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
	    {"ratime", 0, MOUNT_ATTR__ATIME},
	    {"rnorelatime", 0, MOUNT_ATTR__ATIME},
	    {"rnostrictatime", 0, MOUNT_ATTR__ATIME},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parsed p = PARSE("rbind", cases[i].name);
		ck_assert_msg(p.rc == 0, "%s: %s", cases[i].name, p.err.msg);
		ck_assert_msg(p.rec.set == cases[i].set && p.rec.clr == cases[i].clr,
			      "%s: set %#llx clr %#llx, want %#llx %#llx", cases[i].name,
			      (unsigned long long)p.rec.set, (unsigned long long)p.rec.clr,
			      (unsigned long long)cases[i].set, (unsigned long long)cases[i].clr);
		ck_assert_msg(p.flags == (MS_BIND | MS_REC), "%s: flags %#lx", cases[i].name,
			      p.flags);
		ck_assert_msg(!strcmp(p.data, ""), "%s went to data '%s'", cases[i].name, p.data);
	}
	/* Several combine; a later one undoes an earlier one. */
	parsed p = PARSE("rro", "rnosuid", "rnodev");
	ck_assert_uint_eq(p.rec.set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	ck_assert_uint_eq(p.rec.clr, 0);
	p = PARSE("rro", "rnoexec", "rrw");
	ck_assert_uint_eq(p.rec.set, MOUNT_ATTR_NOEXEC);
	ck_assert_uint_eq(p.rec.clr, MOUNT_ATTR_RDONLY);
	p = PARSE("rrw", "rro");
	ck_assert_uint_eq(p.rec.set, MOUNT_ATTR_RDONLY);
	ck_assert_uint_eq(p.rec.clr, 0);
	/* The last atime mode wins, and never two atime bits at once. */
	p = PARSE("rnoatime", "rstrictatime");
	ck_assert_uint_eq(p.rec.set, MOUNT_ATTR_STRICTATIME);
	ck_assert_uint_eq(p.rec.clr, MOUNT_ATTR__ATIME);
	p = PARSE("rstrictatime", "rnodiratime", "rrelatime");
	ck_assert_uint_eq(p.rec.set, MOUNT_ATTR_NODIRATIME);
	ck_assert_uint_eq(p.rec.clr, MOUNT_ATTR__ATIME);
	/* "rro" is not "ro": the plain flag stays off. */
	p = PARSE("rro");
	ck_assert_uint_eq(p.flags, 0);
}
END_TEST

/* What the parser does not know is filesystem data, passed on in order (tmpfs size=, mode=,
 * overlay lowerdir=...); the kernel or the filesystem judges it. */
START_TEST(test_data_passed_through)
{
	parsed p = PARSE("nosuid", "mode=755", "strictatime", "size=65536k", "nodev");
	ck_assert_int_eq(p.rc, 0);
	ck_assert_str_eq(p.data, "mode=755,size=65536k");
	ck_assert_uint_eq(p.flags, MS_NOSUID | MS_STRICTATIME | MS_NODEV);
	p = PARSE("lowerdir=/a:/b", "upperdir=/u", "workdir=/w");
	ck_assert_str_eq(p.data, "lowerdir=/a:/b,upperdir=/u,workdir=/w");
	ck_assert_uint_eq(p.flags, 0);
	/* An unknown word is not an error here and is not dropped: it reaches mount(2). */
	p = PARSE("ro", "no-such-option");
	ck_assert_int_eq(p.rc, 0);
	ck_assert_uint_eq(p.flags, MS_RDONLY);
	ck_assert_str_eq(p.data, "no-such-option");
	/* Near misses of known names are data too, not a flag. */
	p = PARSE("RO", "ro ", "nosuid=1");
	ck_assert_uint_eq(p.flags, 0);
	ck_assert_str_eq(p.data, "RO,ro ,nosuid=1");
	/* tmpcopyup is oci-run's own: accepted, never given to the kernel. */
	p = PARSE("tmpcopyup", "mode=1777");
	ck_assert_int_eq(p.rc, 0);
	ck_assert_uint_eq(p.flags, 0);
	ck_assert_str_eq(p.data, "mode=1777");
}
END_TEST

START_TEST(test_data_limit)
{
	char *opts[] = {"abc", "ro", "de", NULL};
	unsigned long flags, prop;
	bool rbind;
	oci_mount_rec_attr rec;
	oci_error err = OCI_ERROR_INIT;
	char data[16];
	/* "abc,de" and its NUL fit in exactly 7 bytes. */
	memset(data, 'x', sizeof(data));
	ck_assert_int_eq(oci_mount_parse_options(opts, &flags, &prop, &rbind, &rec, data, 7, &err),
			 0);
	ck_assert_str_eq(data, "abc,de");
	ck_assert_int_eq(data[7], 'x'); /* nothing written past the given length */
	/* One byte less is refused, not truncated. */
	memset(data, 'x', sizeof(data));
	ck_assert_int_lt(oci_mount_parse_options(opts, &flags, &prop, &rbind, &rec, data, 6, &err),
			 0);
	ck_assert_int_eq(err.code, OCI_E_LIMIT);
	ck_assert_str_eq(err.msg, "mount options too long");
	ck_assert_int_eq(data[6], 'x');
}
END_TEST

/* A mount option that is not a string never reaches the parser: the config's walk refuses it
 * with its JSON path. */
START_TEST(test_not_a_string)
{
	json_t *spec = json_pack("{s:s,s:{s:s},s:[{s:s,s:[s,i]}]}", "ociVersion", "1.2.0", "root",
				 "path", "/", "mounts", "destination", "/x", "options", "ro", 1);
	json_t *problems = json_array();
	oci_config cfg;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_config_load(spec, -1, &cfg, problems, &err), 1);
	ck_assert_str_eq(json_string_value(json_array_get(problems, 0)),
			 "mounts[0].options[1]: expected a string");
	oci_config_release(&cfg);
	json_decref(problems);
	json_decref(spec);
}
END_TEST

/* `features` lists the option names from the same tables the parser reads: every listed name
 * is understood (never passed on as data), and the list is sorted without duplicates. */
START_TEST(test_option_names)
{
	json_t *names = oci_mount_option_names();
	ck_assert_ptr_nonnull(names);
	ck_assert(json_is_array(names));
	size_t i;
	json_t *v;
	const char *prev = NULL;
	json_array_foreach(names, i, v)
	{
		const char *n = json_string_value(v);
		ck_assert_ptr_nonnull(n);
		if (prev)
			ck_assert_msg(strcmp(prev, n) < 0, "'%s' before '%s'", prev, n);
		prev = n;
		parsed p = PARSE(n);
		ck_assert_msg(p.rc == 0, "%s: %s", n, p.err.msg);
		ck_assert_msg(!strcmp(p.data, ""), "listed option '%s' is passed on as data", n);
	}
	/* What runc lists (HEAD's specconv.KnownMountOptions, tmpcopyup and idmap/ridmap
	 * included): the whole list, in order. */
	char all[1024] = "";
	json_array_foreach(names, i, v)
	{
		if (i)
			strcat(all, " ");
		strcat(all, json_string_value(v));
	}
	ck_assert_str_eq(all,
			 "async atime bind defaults dev diratime dirsync exec idmap iversion "
			 "lazytime loud mand noatime nodev nodiratime noexec noiversion "
			 "nolazytime nomand norelatime nostrictatime nosuid nosymfollow private "
			 "ratime rbind rdev rdiratime relatime remount rexec ridmap rnoatime "
			 "rnodev rnodiratime rnoexec rnorelatime rnostrictatime rnosuid "
			 "rnosymfollow ro rprivate rrelatime rro rrw rshared rslave rstrictatime "
			 "rsuid rsymfollow runbindable rw shared silent slave strictatime suid "
			 "symfollow sync tmpcopyup unbindable");
	json_decref(names);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("run_mounts");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_flags);
	tcase_add_test(tc, test_clear_flags_in_order);
	tcase_add_test(tc, test_bind);
	tcase_add_test(tc, test_propagation);
	tcase_add_test(tc, test_recursive_attributes);
	tcase_add_test(tc, test_data_passed_through);
	tcase_add_test(tc, test_data_limit);
	tcase_add_test(tc, test_not_a_string);
	tcase_add_test(tc, test_option_names);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
