/* Command lines from one table: parsing and --help generated from the tool's option table. */
#include "common/cli.h"

#include <stdlib.h>
#include <string.h>

#include "common/spec.h"
#include "common/util.h"

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

static const oci_cli_tool *cur_tool;
static const oci_cli_command *cur_cmd;

void oci_cli_set_tool(const oci_cli_tool *tool)
{
	cur_tool = tool;
	cur_cmd = NULL;
}

static const oci_cli_command *tool_cmd(size_t i)
{
	size_t size = cur_tool->cmd_size ? cur_tool->cmd_size : sizeof(oci_cli_command);
	return (const oci_cli_command *)(const void *)((const char *)cur_tool->cmds + i * size);
}

const oci_cli_command *oci_cli_enter_command(const char *name)
{
	for (size_t i = 0; cur_tool && i < cur_tool->n_cmds; i++)
		if (!strcmp(tool_cmd(i)->name, name))
			return cur_cmd = tool_cmd(i);
	return NULL;
}

int oci_cli_unknown_command(const char *name, oci_error *err)
{
	cleanup_free char *list = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&list, &len);
	if (!f)
		return oci_err(err, OCI_E_INVALID, "unknown command '%s' (see --help)", name);
	for (size_t i = 0; cur_tool && i < cur_tool->n_cmds; i++)
		fprintf(f, "%s%s", i ? ", " : "", tool_cmd(i)->name);
	fclose(f);
	return oci_err(err, OCI_E_INVALID, "unknown command '%s' (commands: %s; see %s --help)",
		       name, list ? list : "", cur_tool ? cur_tool->name : "--help");
}

/* The option's left column in text help, "  -b, --bundle DIR", padded to 34 columns. */
static void print_option_left(FILE *f, const oci_cli_option *o)
{
	int w = o->short_name ? fprintf(f, "  -%c, ", o->short_name) : fprintf(f, "      ");
	w += fprintf(f, "--%s", o->long_name);
	if (o->arg == OCI_ARG_REQUIRED)
		w += fprintf(f, " %s", o->arg_name ? o->arg_name : "VALUE");
	else if (o->arg == OCI_ARG_OPTIONAL)
		w += fprintf(f, "[=%s]", o->arg_name ? o->arg_name : "VALUE");
	fprintf(f, "%*s", w < 34 ? 34 - w : 0, "");
}

/* s with its first letter upper case and a final period, as a sentence. */
static void print_sentence(FILE *f, const char *s)
{
	size_t n = strlen(s);
	fprintf(f, "%c%s%s\n", s[0] >= 'a' && s[0] <= 'z' ? s[0] - 'a' + 'A' : s[0], s + 1,
		n && s[n - 1] == '.' ? "" : ".");
}

static void help_text(FILE *f, const char *usage, const char *description,
		      const oci_cli_option *opts, size_t n_opts)
{
	const char *summary = cur_cmd ? cur_cmd->summary : cur_tool ? cur_tool->summary : NULL;
	const char *examples = cur_cmd ? cur_cmd->examples : cur_tool ? cur_tool->examples : NULL;
	fprintf(f, "Usage: %s\n", usage);
	if (description && *description)
		fprintf(f, "\n%s\n", description);
	else if (summary)
		fprintf(f, "\n"), print_sentence(f, summary);
	if (n_opts)
		fprintf(f, "\nOptions:\n");
	for (size_t i = 0; i < n_opts; i++) {
		print_option_left(f, &opts[i]);
		fprintf(f, " %s\n", opts[i].help ? opts[i].help : "");
	}
	if (!cur_cmd && cur_tool && cur_tool->n_cmds) {
		fprintf(f, "\nCommands:\n");
		for (size_t i = 0; i < cur_tool->n_cmds; i++)
			fprintf(f, "  %-12s %s\n", tool_cmd(i)->name, tool_cmd(i)->summary);
		fprintf(f, "\nRun '%s COMMAND --help' for the options and examples of a command.\n",
			cur_tool->name);
	}
	if (examples) {
		fprintf(f, "\nExamples:\n");
		for (const char *p = examples; *p;) {
			size_t n = strcspn(p, "\n");
			fprintf(f, "  %.*s\n", (int)n, p);
			p += n + (p[n] == '\n');
		}
	}
}

/* A word inside a roff line: backslashes and hyphens escaped. */
static void roff_inline(FILE *f, const char *s)
{
	for (; *s; s++)
		fputs(*s == '\\' ? "\\e" : *s == '-' ? "\\-" : (char[2]){*s, 0}, f);
}

/* Text into roff: backslashes and hyphens escaped, a control character at the start of a line
 * neutralised, each blank line a paragraph break. */
static void roff_text(FILE *f, const char *s, bool verbatim)
{
	bool bol = true;
	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		if (bol && *s == '\n' && !verbatim) {
			fputs(".PP\n", f);
			continue;
		}
		bol = *s == '\n';
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
	if (!bol)
		fputc('\n', f);
}

/* The page name: "oci\\-run" or "oci\\-run\\-create"; upper case (and plain) for .TH. */
static void page_name(FILE *f, bool upper)
{
	const char *t = cur_tool ? cur_tool->name : "oci-toolkit";
	for (int part = 0; part < (cur_cmd ? 2 : 1); part++) {
		if (part)
			fputs(upper ? "-" : "\\-", f);
		for (const char *p = part ? cur_cmd->name : t; *p; p++)
			if (upper)
				fputc(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p, f);
			else
				fputs(*p == '-' ? "\\-" : (char[2]){*p, 0}, f);
	}
}

static void help_man(FILE *f, const char *usage, const char *description,
		     const oci_cli_option *opts, size_t n_opts)
{
	const char *summary = cur_cmd ? cur_cmd->summary : cur_tool ? cur_tool->summary : "";
	const char *examples = cur_cmd ? cur_cmd->examples : cur_tool ? cur_tool->examples : NULL;
	const char *tool = cur_tool ? cur_tool->name : "oci-toolkit";
	fputs(".TH ", f);
	page_name(f, true);
	fprintf(f, " 1 \"\" \"oci-toolkit %s\" \"oci-toolkit manual\"\n.SH NAME\n", OCI_VERSION);
	page_name(f, false);
	fputs(" \\- ", f);
	roff_text(f, summary ? summary : "", false);
	fputs(".SH SYNOPSIS\n.nf\n", f);
	roff_text(f, usage, true);
	fputs(".fi\n.SH DESCRIPTION\n", f);
	if (description && *description)
		roff_text(f, description, false);
	else if (summary)
		print_sentence(f, summary);
	if (n_opts)
		fputs(".SH OPTIONS\n", f);
	for (size_t i = 0; i < n_opts; i++) {
		const oci_cli_option *o = &opts[i];
		fputs(".TP\n", f);
		if (o->short_name)
			fprintf(f, "\\fB\\-%c\\fR, ", o->short_name);
		fputs("\\fB\\-\\-", f);
		roff_inline(f, o->long_name);
		fputs("\\fR", f);
		if (o->arg != OCI_ARG_NONE) {
			fputs(o->arg == OCI_ARG_REQUIRED ? " \\fI" : "[=\\fI", f);
			roff_inline(f, o->arg_name ? o->arg_name : "VALUE");
			fputs(o->arg == OCI_ARG_REQUIRED ? "\\fR" : "\\fR]", f);
		}
		fputs("\n", f);
		roff_text(f, o->help ? o->help : "", false);
	}
	if (!cur_cmd && cur_tool && cur_tool->n_cmds) {
		fputs(".SH COMMANDS\n", f);
		for (size_t i = 0; i < cur_tool->n_cmds; i++) {
			const oci_cli_command *c = tool_cmd(i);
			fprintf(f, ".TP\n.B %s\n", c->name);
			roff_text(f, c->summary, false);
			if (strcmp(c->name, "help")) {
				fputs("(\\fB", f);
				roff_inline(f, tool);
				fprintf(f, "\\-%s\\fR(1))\n", c->name);
			}
		}
	}
	if (examples) {
		fputs(".SH EXAMPLES\n.RS 4\n.nf\n", f);
		roff_text(f, examples, true);
		fputs(".fi\n.RE\n", f);
	}
	fputs(".SH SEE ALSO\n", f);
	if (cur_cmd) {
		fputs("\\fB", f);
		roff_inline(f, tool);
		fputs("\\fR(1)\n", f);
	} else
		fputs("\\fBoci\\-fetch\\fR(1), \\fBoci\\-unpack\\fR(1), \\fBoci\\-bundle\\fR(1), "
		      "\\fBoci\\-run\\fR(1)\n",
		      f);
}

static void help_list(FILE *f, const oci_cli_option *opts, size_t n_opts)
{
	for (size_t i = 0; i < n_opts; i++) {
		const oci_cli_option *o = &opts[i];
		fprintf(f, "option\t--%s\t", o->long_name);
		if (o->short_name)
			fprintf(f, "-%c", o->short_name);
		fprintf(f, "\t%s\n",
			o->arg == OCI_ARG_NONE ? ""
			: o->arg_name	       ? o->arg_name
					       : "VALUE");
	}
	for (size_t i = 0; !cur_cmd && cur_tool && i < cur_tool->n_cmds; i++)
		fprintf(f, "command\t%s\t%s\n", tool_cmd(i)->name, tool_cmd(i)->summary);
}

void oci_cli_help(FILE *f, const char *usage, const char *description, const oci_cli_option *opts,
		  size_t n_opts)
{
	const char *format = getenv("OCI_TOOLKIT_HELP_FORMAT");
	if (format && !strcmp(format, "man"))
		help_man(f, usage, description, opts, n_opts);
	else if (format && !strcmp(format, "list"))
		help_list(f, opts, n_opts);
	else
		help_text(f, usage, description, opts, n_opts);
}

int oci_cli_print_version(const char *tool, oci_error *err)
{
	printf("%s version %s\nspec: %s\n", tool, OCI_VERSION, OCI_RUNTIME_SPEC_VERSION);
	return oci_flush_stdout(err);
}
