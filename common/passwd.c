/* User and group lookup inside a container's rootfs, read safely (the files come from an
 * untrusted image): resolution follows runc's GetExecUser so that a bundle made here runs
 * its process as the same user docker and runc would pick. */
#include "common/passwd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/safepath.h"
#include "common/util.h"

int oci_passwd_parse_id(const char *s, uint32_t *out)
{
	uint64_t v;
	if (!s || !*s || *s == '+' || *s == '-')
		return -1;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	if (oci_parse_u64(s, OCI_PASSWD_MAX_ID, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Open for reading the regular file that the O_PATH handle pfd (of path) names
 * (oci_reopen_regular); without /proc, path is resolved again and must come to the same
 * inode. */
static int reopen_regular(int rootfd, int pfd, const struct stat *st, const char *path,
			  oci_error *err)
{
	struct stat now;
	oci_error e2 = OCI_ERROR_INIT;
	int fd = oci_reopen_regular(pfd, path, &e2);
	if (fd < 0 && e2.code != OCI_E_NOTFOUND) {
		if (err)
			*err = e2;
		return oci_err_prefix(err, "'%s' in the rootfs", path);
	}
	if (fd < 0 && (fd = oci_safe_open(
			   rootfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0, err)) < 0)
		return oci_err_prefix(err, "'%s' in the rootfs", path);
	if (fstat(fd, &now) < 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino) {
		close(fd);
		return oci_err(err, OCI_E_UNSAFE, "'%s' in the rootfs changed while it was read",
			       path);
	}
	return fd;
}

int oci_passwd_read_file(int rootfd, const char *path, char **out, size_t *len, oci_error *err)
{
	struct stat st;
	*out = NULL;
	if (len)
		*len = 0;
	/* O_PATH first: opening a device can act by itself (a watchdog arms, a tape rewinds, a
	 * FIFO blocks), so the image's file is opened for reading only once it is known to be a
	 * regular file. */
	cleanup_close int pfd = oci_safe_open(rootfd, path, O_PATH | O_CLOEXEC, 0, err);
	if (pfd < 0) {
		if (err && err->code == OCI_E_NOTFOUND) {
			oci_err_clear(err);
			return 0;
		}
		return oci_err_prefix(err, "'%s' in the rootfs", path);
	}
	if (fstat(pfd, &st) < 0)
		return oci_err_errno(err, errno, "cannot stat '%s' in the rootfs", path);
	if (!S_ISREG(st.st_mode))
		return oci_err(err, OCI_E_UNSAFE, "'%s' in the rootfs is not a regular file", path);
	if ((uint64_t)st.st_size > OCI_PASSWD_MAX_SIZE)
		return oci_err(err, OCI_E_LIMIT,
			       "'%s' in the rootfs: %jd bytes is over the %u byte limit", path,
			       (intmax_t)st.st_size, OCI_PASSWD_MAX_SIZE);
	cleanup_close int fd = reopen_regular(rootfd, pfd, &st, path, err);
	if (fd < 0)
		return -1;
	if (oci_read_fd(fd, OCI_PASSWD_MAX_SIZE, out, len, err) < 0)
		return oci_err_prefix(err, "'%s' in the rootfs", path);
	return 0;
}

/* Split one line (not NUL-terminated inside the buffer) into at most max ':' fields, in a
 * copy held by *copy. Returns the number of fields. */
static size_t split_fields(const char *line, size_t n, char **copy, char **fields, size_t max,
			   oci_error *err)
{
	size_t k = 0;
	char *c = oci_malloc(n + 1, err);
	if (!c)
		return (size_t)-1;
	memcpy(c, line, n);
	c[n] = '\0';
	*copy = c;
	fields[k++] = c;
	for (char *p = c; *p && k < max; p++)
		if (*p == ':') {
			*p = '\0';
			fields[k++] = p + 1;
		}
	return k;
}

/* Iterate over the lines of buf: *pos is advanced; returns false at the end. */
static bool next_line(const char *buf, size_t len, size_t *pos, const char **line, size_t *n)
{
	while (*pos < len) {
		const char *s = buf + *pos;
		const char *e = memchr(s, '\n', len - *pos);
		size_t l = e ? (size_t)(e - s) : len - *pos;
		*pos += l + (e ? 1 : 0);
		while (l > 0 && (s[l - 1] == '\r' || s[l - 1] == ' ' || s[l - 1] == '\t'))
			l--;
		while (l > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			l--;
		}
		if (l == 0 || *s == '#' || memchr(s, '\0', l))
			continue;
		*line = s;
		*n = l;
		return true;
	}
	return false;
}

/* Find the passwd entry: by uid when user is numeric, by name otherwise (first match wins). */
static int find_passwd(const char *buf, size_t len, const char *user, bool numeric, uint32_t uid,
		       oci_user *u, char **matched_name, oci_error *err)
{
	size_t pos = 0, n;
	const char *line;
	while (buf && next_line(buf, len, &pos, &line, &n)) {
		cleanup_free char *copy = NULL;
		char *f[7] = {0};
		size_t k = split_fields(line, n, &copy, f, 7, err);
		uint32_t fuid, fgid = 0;
		if (k == (size_t)-1)
			return -1;
		/* A line whose uid does not parse is skipped: it must never count as uid 0. */
		if (k < 3 || oci_passwd_parse_id(f[2], &fuid) < 0)
			continue;
		if (numeric ? fuid != uid : strcmp(f[0], user) != 0)
			continue;
		if (k >= 4 && *f[3] && oci_passwd_parse_id(f[3], &fgid) < 0)
			continue;
		u->uid = fuid;
		u->gid = fgid;
		u->found_passwd = true;
		if (!(u->home = oci_strdup(k >= 6 && *f[5] ? f[5] : "/", err)))
			return -1;
		if (!(*matched_name = oci_strdup(f[0], err)))
			return -1;
		return 1;
	}
	return 0;
}

static bool list_has(const char *list, const char *name)
{
	size_t nl = strlen(name);
	const char *p = list;
	while (*p) {
		size_t l = strcspn(p, ",");
		const char *s = p;
		size_t sl = l;
		while (sl > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			sl--;
		}
		while (sl > 0 && (s[sl - 1] == ' ' || s[sl - 1] == '\t'))
			sl--;
		if (sl == nl && !memcmp(s, name, nl))
			return true;
		p += l;
		if (*p == ',')
			p++;
	}
	return false;
}

static int add_gid(oci_user *u, size_t *cap, uint32_t gid, oci_error *err)
{
	if (u->n_additional_gids >= OCI_PASSWD_MAX_GROUPS)
		return oci_err(err, OCI_E_LIMIT, "user is in more than %u groups",
			       OCI_PASSWD_MAX_GROUPS);
	if (u->n_additional_gids == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		uint32_t *n = realloc(u->additional_gids, ncap * sizeof(*n));
		if (!n)
			return oci_err_errno(err, ENOMEM, "cannot allocate groups");
		u->additional_gids = n;
		*cap = ncap;
	}
	u->additional_gids[u->n_additional_gids++] = gid;
	return 0;
}

/* Walk /etc/group: with group_arg, find that group (by gid when numeric, else by name) and
 * set u->gid; without it, collect the groups that list member as supplementary groups. */
static int scan_groups(const char *buf, size_t len, const char *group_arg, const char *member,
		       oci_user *u, oci_error *err)
{
	size_t pos = 0, n, cap = 0;
	const char *line;
	bool numeric = group_arg && all_digits(group_arg);
	uint32_t want = 0;
	if (numeric && oci_passwd_parse_id(group_arg, &want) < 0)
		return oci_err(err, OCI_E_INVALID, "gid '%s' out of range (0-%u)", group_arg,
			       OCI_PASSWD_MAX_ID);
	while (buf && next_line(buf, len, &pos, &line, &n)) {
		cleanup_free char *copy = NULL;
		char *f[4] = {0};
		size_t k = split_fields(line, n, &copy, f, 4, err);
		uint32_t gid;
		if (k == (size_t)-1)
			return -1;
		if (k < 3 || oci_passwd_parse_id(f[2], &gid) < 0)
			continue;
		if (group_arg) {
			if (numeric ? gid != want : strcmp(f[0], group_arg) != 0)
				continue;
			u->gid = gid;
			return 1;
		}
		if (k == 4 && list_has(f[3], member) && add_gid(u, &cap, gid, err) < 0)
			return -1;
	}
	if (group_arg) {
		if (!numeric)
			return oci_err(err, OCI_E_NOTFOUND,
				       "group '%s' not found in the rootfs's /etc/group",
				       group_arg);
		u->gid = want;
	}
	return 0;
}

int oci_passwd_resolve(int rootfd, const char *spec, oci_user *out, oci_error *err)
{
	cleanup_free char *copy = NULL, *passwd = NULL, *group = NULL, *matched = NULL;
	size_t passwd_len = 0, group_len = 0;
	oci_user u = {0};
	uint32_t uid = 0;
	memset(out, 0, sizeof(*out));
	if (!spec)
		spec = "";
	if (!(copy = oci_strdup(spec, err)))
		return -1;
	char *user = copy;
	char *group_arg = strchr(copy, ':');
	if (group_arg)
		*group_arg++ = '\0';
	if (!*user)
		user = "0"; /* "" and ":grp" mean root, as in docker */
	if (group_arg && !*group_arg)
		return oci_err(err, OCI_E_INVALID, "user '%s': empty group", spec);
	bool numeric = all_digits(user);
	if (numeric && oci_passwd_parse_id(user, &uid) < 0)
		return oci_err(err, OCI_E_INVALID, "user '%s': uid out of range (0-%u)", spec,
			       OCI_PASSWD_MAX_ID);
	if (rootfd < 0) {
		if (!numeric || (group_arg && !all_digits(group_arg)))
			return oci_err(err, OCI_E_INVALID,
				       "user '%s': names need a rootfs to be resolved", spec);
		u.uid = uid;
		if (group_arg && oci_passwd_parse_id(group_arg, &u.gid) < 0)
			return oci_err(err, OCI_E_INVALID, "user '%s': gid out of range (0-%u)",
				       spec, OCI_PASSWD_MAX_ID);
		*out = u;
		return 0;
	}
	if (oci_passwd_read_file(rootfd, "/etc/passwd", &passwd, &passwd_len, err) < 0)
		goto fail;
	int r = find_passwd(passwd, passwd_len, user, numeric, uid, &u, &matched, err);
	if (r < 0)
		goto fail;
	if (r == 0) {
		if (!numeric) {
			oci_err(err, OCI_E_NOTFOUND, "not found in the rootfs's /etc/passwd");
			goto fail;
		}
		u.uid = uid;
		u.gid = 0;
	}
	if (group_arg && all_digits(group_arg)) {
		/* A numeric group is that gid whatever /etc/group says: no need to read it. */
		if (oci_passwd_parse_id(group_arg, &u.gid) < 0) {
			oci_err(err, OCI_E_INVALID, "gid '%s' out of range (0-%u)", group_arg,
				OCI_PASSWD_MAX_ID);
			goto fail;
		}
	} else if (group_arg || matched) {
		if (oci_passwd_read_file(rootfd, "/etc/group", &group, &group_len, err) < 0)
			goto fail;
		if (scan_groups(group, group_len, group_arg, matched, &u, err) < 0)
			goto fail;
	}
	*out = u;
	return 0;
fail:
	oci_user_release(&u);
	return oci_err_prefix(err, "user '%s'", spec);
}

void oci_user_release(oci_user *u)
{
	free(u->additional_gids);
	free(u->home);
	memset(u, 0, sizeof(*u));
}
