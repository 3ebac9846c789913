/* oci-run list: the caller's containers as runc prints them (people and scripts parse both):
 * a table in Go tabwriter's layout, --format json, or -q for the ids only. */
#include "run/cmd/cmd.h"

#include <stdio.h>
#include <string.h>

#include "common/cli.h"
#include "common/json.h"
#include "common/util.h"

enum { OPT_FORMAT = 'f', OPT_HELP = 'h', OPT_QUIET = 'q' };

static const oci_cli_option list_opts[] = {
    {"format", 'f', OCI_ARG_REQUIRED, "FORMAT", "table or json", OPT_FORMAT},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
    {"quiet", 'q', OCI_ARG_NONE, NULL, "print only the ids", OPT_QUIET},
};

int oci_cmd_list(const oci_runtime *rt, int argc, char **argv, oci_error *err)
{
	oci_cli cli;
	int opt;
	bool quiet = false, json = false;
	oci_cli_init(&cli, list_opts, ARRAY_SIZE(list_opts), argc, argv, 1, false);
	while ((opt = oci_cli_next(&cli, err)) > 0) {
		if (opt == OPT_QUIET)
			quiet = true;
		else if (opt == OPT_HELP) {
			oci_cli_help(stdout, "oci-run list [OPTIONS]", NULL, list_opts,
				     ARRAY_SIZE(list_opts));
			return 0;
		} else if (opt == OPT_FORMAT) {
			if (oci_cmd_parse_format(cli.optarg, &json, err) < 0)
				return -1;
		}
	}
	if (opt < 0)
		return -1;
	if (cli.index != argc)
		return oci_err(err, OCI_E_INVALID, "list: takes no arguments");
	json_t *arr = oci_container_list(rt, err);
	if (!arr)
		return -1;
	int ret = 0;
	if (quiet) {
		size_t i;
		json_t *v;
		json_array_foreach(arr, i, v)
		    printf("%s\n", json_string_value(json_object_get(v, "id")));
		ret = oci_flush_stdout(err);
	} else if (json) {
		if (json_array_size(arr) == 0) {
			fputs("null\n", stdout);
			ret = oci_flush_stdout(err);
		} else {
			ret = oci_cmd_print_json(arr, JSON_COMPACT, true, err);
		}
	} else {
		/* Go's tabwriter(minwidth 12, padding 3): each column as wide as its widest cell
		 * + 3. */
		const char *hdr[5] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED"};
		const char *keys[5] = {"id", "pid", "status", "bundle", "created"};
		size_t w[5];
		for (int c = 0; c < 5; c++)
			w[c] = strlen(hdr[c]);
		size_t i;
		json_t *v;
		char num[32];
		json_array_foreach(arr, i, v)
		{
			for (int c = 0; c < 5; c++) {
				json_t *f = json_object_get(v, keys[c]);
				size_t l;
				if (json_is_integer(f))
					l = (size_t)snprintf(num, sizeof(num), "%lld",
							     (long long)json_integer_value(f));
				else
					l = strlen(json_string_value(f) ? json_string_value(f)
									: "");
				if (l > w[c])
					w[c] = l;
			}
		}
		for (int c = 0; c < 5; c++) {
			w[c] += 3;
			if (w[c] < 12)
				w[c] = 12;
			printf("%-*s", (int)w[c], hdr[c]);
		}
		printf("OWNER\n");
		json_array_foreach(arr, i, v)
		{
			for (int c = 0; c < 5; c++) {
				json_t *f = json_object_get(v, keys[c]);
				if (json_is_integer(f)) {
					snprintf(num, sizeof(num), "%lld",
						 (long long)json_integer_value(f));
					printf("%-*s", (int)w[c], num);
				} else {
					printf("%-*s", (int)w[c],
					       json_string_value(f) ? json_string_value(f) : "");
				}
			}
			printf("%s\n", json_string_value(json_object_get(v, "owner")));
		}
		ret = oci_flush_stdout(err);
	}
	json_decref(arr);
	return ret < 0 ? -1 : 0;
}
