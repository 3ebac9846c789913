/* oci-run events [--stats] [--interval D] ID: runc's event stream of a container (stats every
 * interval, OOM kills as they happen, until the container stops) or, with --stats, one stats
 * event. Each event is one JSON line on stdout, flushed at once so a reader of the pipe sees
 * it as it happens. */
#include "run/cmd/cmd.h"

#include <stdio.h>
#include <string.h>

#include "common/cli.h"
#include "common/util.h"

enum { OPT_STATS = 256, OPT_INTERVAL, OPT_HELP };

static const oci_cli_option events_options[] = {
    {"interval", 0, OCI_ARG_REQUIRED, "DURATION",
     "time between stats events, in Go's syntax: 5s (the default), 100ms, 1m30s", OPT_INTERVAL},
    {"stats", 0, OCI_ARG_NONE, NULL, "print the container's stats once and exit", OPT_STATS},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
};

int oci_cmd_parse_duration(const char *s, uint64_t *ns, oci_error *err)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {{"ns", 1},
		     {"us", 1000},
		     {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
		     {"\xce\xbcs", 1000}, /* U+03BC mu */
		     {"ms", 1000000},
		     {"s", 1000000000ull},
		     {"m", 60000000000ull},
		     {"h", 3600000000000ull}};
	const char *p = s;
	bool neg = false;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!strcmp(p, "0")) {
		*ns = 0;
		return 0;
	}
	if (!*p)
		goto bad;
	long double total = 0;
	while (*p) {
		/* [0-9]*(.[0-9]*)? then a unit */
		long double v = 0, scale = 1;
		bool digits = false;
		for (; *p >= '0' && *p <= '9'; p++, digits = true)
			v = v * 10 + (*p - '0');
		if (*p == '.')
			for (p++; *p >= '0' && *p <= '9'; p++, digits = true)
				v += (*p - '0') * (scale /= 10);
		if (!digits)
			goto bad;
		size_t best = 0, ui = 0;
		for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
			size_t l = strlen(units[i].unit);
			if (l > best && !strncmp(p, units[i].unit, l)) {
				best = l;
				ui = i;
			}
		}
		if (!best)
			return oci_err(err, OCI_E_INVALID,
				       "invalid duration '%s': %s (units: ns, us, ms, s, m, h)", s,
				       *p ? "unknown unit" : "missing unit");
		p += best;
		total += v * (long double)units[ui].ns;
		if (total > (long double)INT64_MAX)
			return oci_err(err, OCI_E_INVALID, "invalid duration '%s': too large", s);
	}
	if (neg && total > 0)
		return oci_err(err, OCI_E_INVALID, "invalid duration '%s': must not be negative",
			       s);
	*ns = (uint64_t)total;
	return 0;
bad:
	return oci_err(err, OCI_E_INVALID,
		       "invalid duration '%s': expected a number and a unit, e.g. 5s or 100ms", s);
}

static int print_line(const char *line, void *arg, oci_error *err)
{
	(void)arg;
	fputs(line, stdout);
	fputc('\n', stdout);
	return oci_flush_stdout(err);
}

int oci_cmd_events(const oci_runtime *rt, int argc, char **argv, oci_error *err)
{
	oci_cli cli;
	int opt;
	bool once = false;
	uint64_t interval = 5000000000ull;
	oci_cli_init(&cli, events_options, ARRAY_SIZE(events_options), argc, argv, 1, true);
	while ((opt = oci_cli_next(&cli, err)) > 0) {
		switch (opt) {
		case OPT_HELP:
			oci_cli_help(stdout, "oci-run events [--stats] [--interval DURATION] ID",
				     "Print a container's stats and OOM events as JSON lines.",
				     events_options, ARRAY_SIZE(events_options));
			return 0;
		case OPT_STATS:
			once = true;
			break;
		case OPT_INTERVAL:
			if (oci_cmd_parse_duration(cli.optarg, &interval, err) < 0)
				return -1;
			if (interval == 0)
				return oci_err(
				    err, OCI_E_INVALID,
				    "invalid duration '%s': the interval must be greater "
				    "than 0",
				    cli.optarg);
			break;
		}
	}
	if (opt < 0)
		return -1;
	if (cli.index >= argc)
		return oci_err(err, OCI_E_INVALID, "events: expected a container id");
	if (cli.index + 1 < argc)
		return oci_err(err, OCI_E_INVALID, "events: expected one container id, got %d",
			       argc - cli.index);
	return oci_container_events(rt, argv[cli.index], once, interval, print_line, NULL, err) < 0
		   ? -1
		   : 0;
}
