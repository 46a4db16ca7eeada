/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sluicectl.c: main of the sluicectl program: global options, the list of
 * command tables (sluicectl.h) and dispatch to one command. Commands of
 * each group live in their own file (sluicectl_dp.c: the datapath
 * socket; sluicectl_rest.c: networks, subnets, ports and the load
 * balancers' health counters over REST).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_proto.h"
#include "sluicectl.h"

/* Every command table; a new group adds its table here. */
static const struct sluicectl_cmd *const tables[] = {
	sluicectl_dp_cmds,
	sluicectl_rest_cmds,
};

static void
print_usage(FILE *f, const char *group)
{
	fprintf(f,
		"usage: sluicectl [-s DP_SOCKET] [--api URL] [--token T] "
		"[-o table|json] GROUP COMMAND [ARGS...]\n"
		"  -s PATH  datapath socket (default $SLUICE_DP_SOCKET or "
		"%s)\n"
		"  -u, --api URL    REST API endpoint (default $SLUICE_API, "
		"$SLUICE_URL or http://127.0.0.1:9696)\n"
		"  -t, --token T    X-Auth-Token (default $SLUICE_TOKEN)\n"
		"  -o json  print JSON (default: text tables)\n"
		"commands:\n",
		DP_SOCKET_PATH_DEFAULT);
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct sluicectl_cmd *c = tables[t]; c->name; c++)
			if (group == NULL || strcmp(group, c->group) == 0)
				fprintf(f, "  %s %s %s\n      %s\n", c->group,
					c->name, c->args, c->help);
}

const struct sluicectl_cmd *
sluicectl_cmd_lookup(const char *group, const char *name)
{
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct sluicectl_cmd *c = tables[t]; c->name; c++)
			if (strcmp(group, c->group) == 0 &&
			    strcmp(name, c->name) == 0)
				return c;
	return NULL;
}

static bool
group_exists(const char *group)
{
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct sluicectl_cmd *c = tables[t]; c->name; c++)
			if (strcmp(group, c->group) == 0)
				return true;
	return false;
}

static void vreport(const struct sluicectl_cmd *cmd, const char *fmt,
		    va_list ap) __attribute__((format(printf, 2, 0)));

static void
vreport(const struct sluicectl_cmd *cmd, const char *fmt, va_list ap)
{
	if (cmd != NULL)
		fprintf(stderr, "sluicectl: %s %s: ", cmd->group, cmd->name);
	else
		fprintf(stderr, "sluicectl: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int
sluicectl_usage(const struct sluicectl_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(cmd, fmt, ap);
	va_end(ap);
	if (cmd != NULL)
		fprintf(stderr, "usage: sluicectl %s %s %s\n", cmd->group,
			cmd->name, cmd->args);
	return SLUICECTL_USAGE;
}

int
sluicectl_fail(const struct sluicectl_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(cmd, fmt, ap);
	va_end(ap);
	return SLUICECTL_FAIL;
}

int
main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{"api", required_argument, NULL, 'u'},
		{"token", required_argument, NULL, 't'},
		{"socket", required_argument, NULL, 's'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct sluicectl_opts o = {
		.dp_socket = getenv("SLUICE_DP_SOCKET"),
		.api_url = getenv("SLUICE_API"),
		.api_token = getenv("SLUICE_TOKEN"),
	};
	const struct sluicectl_cmd *cmd;
	int ch;

	if (o.dp_socket == NULL)
		o.dp_socket = DP_SOCKET_PATH_DEFAULT;
	if (o.api_url == NULL)
		o.api_url = getenv("SLUICE_URL");
	/* '+': stop at the group name; commands parse their own options. */
	while ((ch = getopt_long(argc, argv, "+s:u:t:o:h", long_opts, NULL)) !=
	       -1) {
		switch (ch) {
		case 's':
			o.dp_socket = optarg;
			break;
		case 'u':
			o.api_url = optarg;
			break;
		case 't':
			o.api_token = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "json") == 0) {
				o.is_json = true;
			} else if (strcmp(optarg, "text") != 0 &&
				   strcmp(optarg, "table") != 0) {
				fprintf(stderr,
					"sluicectl: -o %s: expected table, "
					"text or json\n",
					optarg);
				return SLUICECTL_USAGE;
			}
			break;
		case 'h':
			print_usage(stdout, NULL);
			return SLUICECTL_OK;
		default:
			print_usage(stderr, NULL);
			return SLUICECTL_USAGE;
		}
	}
	if (argc - optind < 2) {
		if (argc - optind == 1 && group_exists(argv[optind])) {
			fprintf(stderr, "sluicectl: %s: missing command\n",
				argv[optind]);
			print_usage(stderr, argv[optind]);
		} else if (argc - optind == 1) {
			fprintf(stderr, "sluicectl: unknown group '%s'\n",
				argv[optind]);
			print_usage(stderr, NULL);
		} else {
			print_usage(stderr, NULL);
		}
		return SLUICECTL_USAGE;
	}
	cmd = sluicectl_cmd_lookup(argv[optind], argv[optind + 1]);
	if (cmd == NULL) {
		if (group_exists(argv[optind]))
			fprintf(stderr, "sluicectl: %s: unknown command '%s'\n",
				argv[optind], argv[optind + 1]);
		else
			fprintf(stderr, "sluicectl: unknown group '%s'\n",
				argv[optind]);
		print_usage(stderr,
			    group_exists(argv[optind]) ? argv[optind] : NULL);
		return SLUICECTL_USAGE;
	}
	o.cmd = cmd;
	return cmd->run(&o, argc - optind - 1, argv + optind + 1);
}
