/* Command lines from one table: parsing and --help generated from the tool's option table. */
#include "common/cli.h"

#include <string.h>

void oci_cli_init(oci_cli *c, const oci_cli_option *opts, size_t n_opts, int argc, char **argv,
		  int first, bool stop_at_nonopt)
{
	memset(c, 0, sizeof(*c));
	c->opts = opts;
	c->n_opts = n_opts;
	c->argc = argc;
	c->argv = argv;
	c->index = first;
	c->stop_at_nonopt = stop_at_nonopt;
}

static const oci_cli_option *find_long(oci_cli *c, const char *name, size_t len)
{
	for (size_t i = 0; i < c->n_opts; i++)
		if (c->opts[i].long_name && strlen(c->opts[i].long_name) == len &&
		    !strncmp(c->opts[i].long_name, name, len))
			return &c->opts[i];
	return NULL;
}

static const oci_cli_option *find_short(oci_cli *c, int ch)
{
	for (size_t i = 0; i < c->n_opts; i++)
		if (c->opts[i].short_name == ch)
			return &c->opts[i];
	return NULL;
}

/* Move argv[from] to argv[to] shifting the ones between, so operands stay in order. */
static void rotate(char **argv, int to, int from)
{
	char *x = argv[from];
	memmove(&argv[to + 1], &argv[to], (size_t)(from - to) * sizeof(char *));
	argv[to] = x;
}

/* The option in the word arg that takes the next argv element as its argument, or NULL;
 * *is_long says whether it was spelt as a long option. */
static const oci_cli_option *wants_next(oci_cli *c, const char *arg, bool *is_long)
{
	*is_long =
	    arg[1] == '-' || (strlen(arg) > 2 && find_long(c, arg + 1, strcspn(arg + 1, "=")));
	if (*is_long) {
		const char *name = arg + (arg[1] == '-' ? 2 : 1);
		size_t len = strcspn(name, "=");
		const oci_cli_option *o = find_long(c, name, len);
		return o && o->arg == OCI_ARG_REQUIRED && name[len] != '=' ? o : NULL;
	}
	for (const char *p = arg + 1; *p; p++) {
		const oci_cli_option *o = find_short(c, (unsigned char)*p);
		if (!o)
			return NULL;
		if (o->arg != OCI_ARG_NONE)
			return !p[1] && o->arg == OCI_ARG_REQUIRED ? o : NULL;
	}
	return NULL;
}

int oci_cli_next(oci_cli *c, oci_error *err)
{
	c->optarg = NULL;
	if (c->pos) { /* continuing a cluster of short options */
		char *arg = c->argv[c->index];
		int ch = (unsigned char)arg[c->pos];
		const oci_cli_option *o = find_short(c, ch);
		if (!o)
			return oci_err(err, OCI_E_INVALID, "unknown option '-%c'", ch);
		c->pos++;
		if (o->arg != OCI_ARG_NONE) {
			if (arg[c->pos]) {
				c->optarg = arg + c->pos;
			} else if (o->arg == OCI_ARG_REQUIRED) {
				if (c->index + 1 >= c->argc)
					return oci_err(err, OCI_E_INVALID,
						       "option '-%c' needs an argument", ch);
				c->optarg = c->argv[++c->index];
			}
			c->pos = 0;
			c->index++;
		} else if (!arg[c->pos]) {
			c->pos = 0;
			c->index++;
		}
		return o->id;
	}
	/* Find the next option, keeping operands in front when permuting. */
	int scan = c->index;
	while (scan < c->argc) {
		char *a = c->argv[scan];
		if (!strcmp(a, "--")) {
			if (scan != c->index)
				rotate(c->argv, c->index, scan);
			c->index++;
			/* everything after "--" is operands: mark by stopping here */
			return 0;
		}
		if (a[0] == '-' && a[1])
			break;
		if (c->stop_at_nonopt)
			return 0;
		scan++;
	}
	if (scan >= c->argc)
		return 0;
	if (scan != c->index) {
		/* Move the option in front of the operands, and its argument with it. */
		bool is_long;
		const oci_cli_option *o = wants_next(c, c->argv[scan], &is_long);
		if (o && scan + 1 >= c->argc) {
			if (is_long)
				return oci_err(err, OCI_E_INVALID,
					       "option '--%s' needs an argument", o->long_name);
			return oci_err(err, OCI_E_INVALID, "option '-%c' needs an argument",
				       o->short_name);
		}
		rotate(c->argv, c->index, scan);
		if (o)
			rotate(c->argv, c->index + 1, scan + 1);
	}
	char *arg = c->argv[c->index];
	if (arg[1] == '-' || (strlen(arg) > 2 && find_long(c, arg + 1, strcspn(arg + 1, "=")))) {
		const char *name = arg + (arg[1] == '-' ? 2 : 1);
		size_t len = strcspn(name, "=");
		const oci_cli_option *o = find_long(c, name, len);
		if (!o)
			return oci_err(err, OCI_E_INVALID, "unknown option '--%.*s'", (int)len,
				       name);
		if (name[len] == '=') {
			if (o->arg == OCI_ARG_NONE)
				return oci_err(err, OCI_E_INVALID,
					       "option '--%s' takes no argument", o->long_name);
			c->optarg = name + len + 1;
		} else if (o->arg == OCI_ARG_REQUIRED) {
			if (c->index + 1 >= c->argc)
				return oci_err(err, OCI_E_INVALID,
					       "option '--%s' needs an argument", o->long_name);
			c->optarg = c->argv[++c->index];
		}
		c->index++;
		return o->id;
	}
	c->pos = 1;
	return oci_cli_next(c, err);
}

void oci_cli_help(FILE *f, const char *usage, const char *description, const oci_cli_option *opts,
		  size_t n_opts)
{
	fprintf(f, "Usage: %s\n", usage);
	if (description && *description)
		fprintf(f, "\n%s\n", description);
	if (n_opts)
		fprintf(f, "\nOptions:\n");
	for (size_t i = 0; i < n_opts; i++) {
		const oci_cli_option *o = &opts[i];
		char left[96];
		int n = 0;
		if (o->short_name)
			n = snprintf(left, sizeof(left), "  -%c, ", o->short_name);
		else
			n = snprintf(left, sizeof(left), "      ");
		n += snprintf(left + n, sizeof(left) - (size_t)n, "--%s", o->long_name);
		if (o->arg == OCI_ARG_REQUIRED)
			snprintf(left + n, sizeof(left) - (size_t)n, " %s",
				 o->arg_name ? o->arg_name : "VALUE");
		else if (o->arg == OCI_ARG_OPTIONAL)
			snprintf(left + n, sizeof(left) - (size_t)n, "[=%s]",
				 o->arg_name ? o->arg_name : "VALUE");
		fprintf(f, "%-34s %s\n", left, o->help ? o->help : "");
	}
}
