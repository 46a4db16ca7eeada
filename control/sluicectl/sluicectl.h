/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sluicectl.h: the command table of the sluicectl program. Each group of
 * commands ("dp" for the datapath socket; "network", "subnet", "port"
 * and "lb" for the REST API of sluiced) lives in its
 * own file and exports a table of struct sluicectl_cmd ended by an entry
 * with a NULL name; sluicectl.c lists the tables and dispatches
 * "sluicectl [global options] GROUP COMMAND ARGS...".
 *
 * Exit codes: 0 success, 1 failure (the datapath or server refused, I/O),
 * 2 usage (a bad or missing argument, named in the message).
 */
#ifndef SLUICE_SLUICECTL_H
#define SLUICE_SLUICECTL_H

#include <stdbool.h>

enum {
	SLUICECTL_OK = 0,
	SLUICECTL_FAIL = 1,
	SLUICECTL_USAGE = 2,
};

struct sluicectl_cmd;

/* Global options, parsed before the group name. */
struct sluicectl_opts {
	const char *dp_socket; /* -s: the datapath socket */
	const char *api_url;   /* -u/--api: the REST endpoint (REST groups) */
	const char *api_token; /* -t/--token: X-Auth-Token, NULL for none */
	bool is_json;	       /* -o json (else text, alias table) */
	/* The command being run (set by main; groups share run functions). */
	const struct sluicectl_cmd *cmd;
};

struct sluicectl_cmd {
	const char *group; /* "dp" */
	const char *name;  /* "dump-flows"; NULL ends a table */
	const char *args;  /* usage of the arguments */
	const char *help;  /* one line */
	/* argv[0] is the command name; returns an exit code. */
	int (*run)(const struct sluicectl_opts *o, int argc, char **argv);
};

/* The tables (one per file). */
extern const struct sluicectl_cmd sluicectl_dp_cmds[];
extern const struct sluicectl_cmd sluicectl_rest_cmds[];

/* Print "sluicectl: GROUP CMD: message" to stderr; return the code. */
int sluicectl_usage(const struct sluicectl_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int sluicectl_fail(const struct sluicectl_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Connect to sluice-dp at o->dp_socket and say hello; on failure print
 * why (naming cmd) and return SLUICECTL_FAIL with *out NULL.
 */
struct dp_client;
int sluicectl_dp_open(const struct sluicectl_cmd *cmd,
		      const struct sluicectl_opts *o, struct dp_client **out);

/* The entry of the table that holds run (for messages). */
const struct sluicectl_cmd *sluicectl_cmd_lookup(const char *group,
						 const char *name);

#endif /* SLUICE_SLUICECTL_H */
