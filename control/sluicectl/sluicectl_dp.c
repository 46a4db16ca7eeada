/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sluicectl_dp.c: the "dp" commands of sluicectl, spoken over the
 * datapath's programming socket with the client library (dp_client.h):
 * ports, flows in the text syntax of dp_flow_text.h (dump, add, delete,
 * atomic replace), counters, cache flush, packet trace and packet-out.
 * Output is text, or JSON with -o json.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dp_client.h"
#include "dp_flow_text.h"
#include "dp_frame.h"
#include "dp_proto_codec.h"
#include "sluicectl.h"
#include "sluicectl_dp_ct.h"
#include "sluicectl_dp_lb.h"
#include "sluicectl_dp_sa.h"

/* Arguments. */

struct opt {
	const char *name; /* "--table" */
	const char **val; /* receives the value */
};

/*
 * Split argv[1..] into options (each with a value, as "--x V" or
 * "--x=V") and positionals; "--" ends options. Positionals beyond max
 * or under min are usage errors.
 */
static int
parse_args(const struct sluicectl_cmd *cmd, int argc, char **argv,
	   const struct opt *opts, const char **pos, int min, int max,
	   int *n_pos)
{
	bool is_opts_done = false;
	int n = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct opt *o = NULL;
		const char *eq;
		size_t len;

		if (!is_opts_done && strcmp(a, "--") == 0) {
			is_opts_done = true;
			continue;
		}
		if (is_opts_done || strncmp(a, "--", 2) != 0) {
			if (n == max)
				return sluicectl_usage(cmd,
						       "unexpected argument "
						       "'%s'",
						       a);
			pos[n++] = a;
			continue;
		}
		eq = strchr(a, '=');
		len = eq != NULL ? (size_t)(eq - a) : strlen(a);
		for (const struct opt *p = opts; p != NULL && p->name; p++)
			if (strlen(p->name) == len &&
			    strncmp(p->name, a, len) == 0)
				o = p;
		if (o == NULL)
			return sluicectl_usage(cmd, "unknown option '%s'", a);
		if (eq != NULL) {
			*o->val = eq + 1;
		} else if (i + 1 < argc) {
			*o->val = argv[++i];
		} else {
			return sluicectl_usage(cmd, "option %s needs a value",
					       o->name);
		}
	}
	if (n < min)
		return sluicectl_usage(cmd, "missing argument");
	*n_pos = n;
	return SLUICECTL_OK;
}

static bool
parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s == '\0' || *s == '-')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno == 0 && *end == '\0';
}

/* "C" or "C/M" (M defaults to all ones). */
static bool
parse_cookie(const char *s, uint64_t *cookie, uint64_t *mask)
{
	char buf[64];
	char *slash;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	*mask = UINT64_MAX;
	if (slash != NULL) {
		*slash++ = '\0';
		if (!parse_u64(slash, mask))
			return false;
	}
	return parse_u64(buf, cookie);
}

static int
opt_table(const struct sluicectl_cmd *cmd, const char *s, int *table)
{
	uint64_t v;

	*table = -1;
	if (s == NULL)
		return SLUICECTL_OK;
	if (!parse_u64(s, &v) || v >= DP_TABLES_MAX)
		return sluicectl_usage(cmd,
				       "--table '%s': expected a table 0..%d",
				       s, DP_TABLES_MAX - 1);
	*table = (int)v;
	return SLUICECTL_OK;
}

static int
opt_cookie(const struct sluicectl_cmd *cmd, const char *s, uint64_t *cookie,
	   uint64_t *mask)
{
	*cookie = 0;
	*mask = 0;
	if (s == NULL)
		return SLUICECTL_OK;
	if (!parse_cookie(s, cookie, mask))
		return sluicectl_usage(cmd,
				       "--cookie '%s': expected COOKIE or "
				       "COOKIE/MASK (integers)",
				       s);
	return SLUICECTL_OK;
}

/* Connection. */

int
sluicectl_dp_open(const struct sluicectl_cmd *cmd,
		  const struct sluicectl_opts *o, struct dp_client **out)
{
	struct dp_hello h;
	char err[512];
	int rc;

	rc = dp_client_connect(o->dp_socket, out, err, sizeof(err));
	if (rc < 0)
		return sluicectl_fail(cmd, "%s (is sluice-dp running?)", err);
	rc = dp_client_hello(*out, "sluicectl", &h);
	if (rc < 0) {
		sluicectl_fail(cmd, "hello: %s", dp_client_error(*out));
		dp_client_close(*out);
		*out = NULL;
		return SLUICECTL_FAIL;
	}
	return SLUICECTL_OK;
}

static int
dp_failed(const struct sluicectl_cmd *cmd, struct dp_client *c,
	  const char *what)
{
	if (what == NULL)
		return sluicectl_fail(cmd, "%s", dp_client_error(c));
	return sluicectl_fail(cmd, "%s: %s", what, dp_client_error(c));
}

static void
json_print(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(j);
}

static const struct sluicectl_cmd *
self(const char *name)
{
	return sluicectl_cmd_lookup("dp", name);
}

/* dp ports */

static void
mac_str(const uint8_t *m, char *s, size_t n)
{
	snprintf(s, n, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
		 m[4], m[5]);
}

static json_t *
port_json(const struct dp_port_info *pi)
{
	const char *tn = dp_proto_port_type_name(pi->type);
	char mac[18];

	mac_str(pi->mac, mac, sizeof(mac));
	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:i, s:b, s:I, s:I, s:I, "
			 "s:I, s:I, s:I, s:I, s:I}",
			 "port_no", (int)pi->port_no, "name", pi->name, "type",
			 tn ? tn : "?", "args", pi->args, "mac", mac, "mtu",
			 (int)pi->mtu, "is_up", pi->is_up != 0, "rx_packets",
			 (json_int_t)pi->rx_packets, "rx_bytes",
			 (json_int_t)pi->rx_bytes, "rx_dropped",
			 (json_int_t)pi->rx_dropped, "rx_errors",
			 (json_int_t)pi->rx_errors, "tx_packets",
			 (json_int_t)pi->tx_packets, "tx_bytes",
			 (json_int_t)pi->tx_bytes, "tx_dropped",
			 (json_int_t)pi->tx_dropped, "tx_errors",
			 (json_int_t)pi->tx_errors);
}

static void
port_text(const struct dp_port_info *pi)
{
	const char *tn = dp_proto_port_type_name(pi->type);
	char mac[18];

	mac_str(pi->mac, mac, sizeof(mac));
	printf("%5u %-16s %-17s %s mtu %u %s\n"
	       "      rx: %" PRIu64 " pkts %" PRIu64 " bytes %" PRIu64
	       " dropped %" PRIu64 " errors\n"
	       "      tx: %" PRIu64 " pkts %" PRIu64 " bytes %" PRIu64
	       " dropped %" PRIu64 " errors\n"
	       "      args: %s\n",
	       pi->port_no, pi->name, tn ? tn : "?", mac, pi->mtu,
	       pi->is_up ? "up" : "down", pi->rx_packets, pi->rx_bytes,
	       pi->rx_dropped, pi->rx_errors, pi->tx_packets, pi->tx_bytes,
	       pi->tx_dropped, pi->tx_errors, pi->args);
}

static int
port_visit(const struct dp_port_info *pi, void *arg)
{
	json_t *arr = arg;

	if (arr != NULL)
		json_array_append_new(arr, port_json(pi));
	else
		port_text(pi);
	return 0;
}

static int
cmd_ports(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = self("ports");
	struct dp_client *c;
	json_t *arr = NULL;
	int n, rc;

	rc = parse_args(cmd, argc, argv, NULL, NULL, 0, 0, &n);
	if (rc != 0)
		return rc;
	if (sluicectl_dp_open(cmd, o, &c) != 0)
		return SLUICECTL_FAIL;
	if (o->is_json)
		arr = json_array();
	rc = dp_client_port_list(c, port_visit, arr);
	if (rc < 0) {
		json_decref(arr);
		rc = dp_failed(cmd, c, "list ports");
	} else if (arr != NULL) {
		json_print(arr);
	}
	dp_client_close(c);
	return rc < 0 ? SLUICECTL_FAIL : rc;
}

/* dp port-add NAME TYPE ARGS [--port-no N] */

static int
cmd_port_add(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = self("port-add");
	const char *port_no = NULL;
	const struct opt opts[] = {{"--port-no", &port_no}, {NULL, NULL}};
	struct dp_port_spec spec;
	struct dp_port_info pi;
	struct dp_client *c;
	const char *pos[3];
	uint64_t v;
	int n, t, rc;

	rc = parse_args(cmd, argc, argv, opts, pos, 3, 3, &n);
	if (rc != 0)
		return rc;
	memset(&spec, 0, sizeof(spec));
	if (pos[0][0] == '\0' || strlen(pos[0]) >= sizeof(spec.name))
		return sluicectl_usage(cmd,
				       "port name '%s': 1 to %zu characters",
				       pos[0], sizeof(spec.name) - 1);
	t = dp_proto_port_type_lookup(pos[1]);
	if (t < 0)
		return sluicectl_usage(
			cmd,
			"port type '%s': expected af_xdp, "
			"af_packet, vhost-user, "
			"vhost-user-client, tap, devargs or vnet",
			pos[1]);
	if (strlen(pos[2]) >= sizeof(spec.args))
		return sluicectl_usage(cmd, "args: at most %zu characters",
				       sizeof(spec.args) - 1);
	if (port_no != NULL &&
	    (!parse_u64(port_no, &v) || v == 0 || v > DP_PORT_MAX))
		return sluicectl_usage(cmd, "--port-no '%s': expected 1..%u",
				       port_no, DP_PORT_MAX);
	strcpy(spec.name, pos[0]);
	strcpy(spec.args, pos[2]);
	spec.type = (uint32_t)t;
	spec.port_no = port_no != NULL ? (uint32_t)v : 0;
	if (sluicectl_dp_open(cmd, o, &c) != 0)
		return SLUICECTL_FAIL;
	rc = dp_client_port_add(c, &spec, &pi);
	if (rc < 0) {
		rc = dp_failed(cmd, c, NULL);
	} else {
		if (o->is_json)
			json_print(port_json(&pi));
		else
			port_text(&pi);
		rc = SLUICECTL_OK;
	}
	dp_client_close(c);
	return rc;
}

/* dp port-del NAME|NUM */

static int
cmd_port_del(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = self("port-del");
	struct dp_port_ref ref;
	struct dp_client *c;
	const char *pos[1];
	uint64_t v;
	int n, rc;

	rc = parse_args(cmd, argc, argv, NULL, pos, 1, 1, &n);
	if (rc != 0)
		return rc;
	memset(&ref, 0, sizeof(ref));
	if (parse_u64(pos[0], &v)) {
		if (v == 0 || v > DP_PORT_MAX)
			return sluicectl_usage(cmd,
					       "port number %s: expected "
					       "1..%u",
					       pos[0], DP_PORT_MAX);
		ref.port_no = (uint32_t)v;
	} else if (pos[0][0] == '\0' || strlen(pos[0]) >= sizeof(ref.name)) {
		return sluicectl_usage(cmd,
				       "port name '%s': 1 to %zu "
				       "characters",
				       pos[0], sizeof(ref.name) - 1);
	} else {
		strcpy(ref.name, pos[0]);
	}
	if (sluicectl_dp_open(cmd, o, &c) != 0)
		return SLUICECTL_FAIL;
	rc = dp_client_port_del(c, &ref);
	rc = rc < 0 ? dp_failed(cmd, c, NULL) : SLUICECTL_OK;
	dp_client_close(c);
	return rc;
}

/* dp dump-flows [--table N] [--cookie C/M] */

struct dump_arg {
	json_t *arr;
	size_t n;
};

static int
flow_visit(const struct dp_rule *r, const struct dp_rule_stats *st, void *arg)
{
	struct dump_arg *d = arg;
	char text[DP_FLOW_TEXT_MAX], match[DP_FLOW_TEXT_MAX];
	char acts[DP_FLOW_TEXT_MAX], cookie[24];

	d->n++;
	dp_flow_text_format(r, st, text, sizeof(text));
	if (d->arr == NULL) {
		printf("%s\n", text);
		return 0;
	}
	dp_flow_text_format_match(&r->match, &r->mask, match, sizeof(match));
	dp_flow_text_format_actions(r->actions, r->n_actions, acts,
				    sizeof(acts));
	snprintf(cookie, sizeof(cookie), "0x%" PRIx64, r->cookie);
	json_array_append_new(
		d->arr, json_pack("{s:i, s:I, s:s, s:I, s:I, s:s, s:s, s:s}",
				  "table", (int)r->table, "priority",
				  (json_int_t)r->priority, "cookie", cookie,
				  "n_packets", (json_int_t)st->n_packets,
				  "n_bytes", (json_int_t)st->n_bytes, "match",
				  match, "actions", acts, "text", text));
	return 0;
}

static int
cmd_dump_flows(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = self("dump-flows");
	const char *table_s = NULL, *cookie_s = NULL;
	const struct opt opts[] = {
		{"--table", &table_s}, {"--cookie", &cookie_s}, {NULL, NULL}};
	struct dump_arg d = {NULL, 0};
	uint64_t cookie, mask;
	struct dp_client *c;
	int n, table, rc;

	rc = parse_args(cmd, argc, argv, opts, NULL, 0, 0, &n);
	if (rc == 0)
		rc = opt_table(cmd, table_s, &table);
	if (rc == 0)
		rc = opt_cookie(cmd, cookie_s, &cookie, &mask);
	if (rc != 0)
		return rc;
	if (sluicectl_dp_open(cmd, o, &c) != 0)
		return SLUICECTL_FAIL;
	if (o->is_json)
		d.arr = json_array();
	rc = dp_client_flow_dump(c, table, cookie, mask, flow_visit, &d);
	if (rc < 0) {
		json_decref(d.arr);
		rc = dp_failed(cmd, c, "dump");
	} else {
		if (d.arr != NULL)
			json_print(d.arr);
		rc = SLUICECTL_OK;
	}
	dp_client_close(c);
	return rc;
}

/* dp add-flow RULE... (the words are joined with spaces) */

static int
cmd_add_flow(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = self("add-flow");
	char line[DP_FLOW_TEXT_MAX] = "", err[512];
	struct dp_client *c;
	struct dp_rule r;
	int rc;

	if (argc < 2)
		return sluicectl_usage(cmd, "missing RULE");
	for (int i = 1; i < argc; i++) {
		if (strlen(line) + strlen(argv[i]) + 2 > sizeof(line))
			return sluicectl_usage(cmd, "RULE too long");
		if (i > 1)
			strcat(line, " ");
		strcat(line, argv[i]);
	}
	rc = dp_flow_text_parse(line, &r, err, sizeof(err));
	if (rc == 0)
		return sluicectl_usage(cmd, "RULE is empty");
	if (rc < 0)
		return sluicectl_usage(cmd, "RULE %s", err);
	if (sluicectl_dp_open(cmd, o, &c) != 0)
		return SLUICECTL_FAIL;
	rc = dp_client_flow_add(c, &r, 1);
	rc = rc < 0 ? dp_failed(cmd, c, "rejected") : SLUICECTL_OK;
	dp_client_close(c);
	return rc;
}

/* Rules parsed from a file, sent in chunks of one FLOW_ADD message. */
struct chunk {
	struct dp_rule *rules;
	unsigned *lines; /* file line of each rule */
	size_t n;
};

static int
chunk_send(const struct sluicectl_cmd *cmd, struct dp_client *c,
	   struct chunk *ch, const char *path)
{
	uint32_t i;

	if (ch->n == 0)
		return SLUICECTL_OK;
	if (dp_client_flow_add(c, ch->rules, ch->n) < 0) {
		i = dp_client_error_index(c);
		return sluicectl_fail(cmd, "%s:%u: rejected: %s", path,
				      i < ch->n ? ch->lines[i] : 0,
				      dp_client_error(c));
	}
	ch->n = 0;
	return SLUICECTL_OK;
}

/*
 * Stream a file's rules (one a line) into the open transaction, one
 * message-sized chunk at a time, so memory stays small for any file.
 * Errors name the file line. Returns an exit code.
 */
static int
stream_file(const struct sluicectl_cmd *cmd, struct dp_client *c, FILE *f,
	    const char *path, size_t *n_total)
{
	struct chunk ch = {NULL, NULL, 0};
	const size_t per = DP_PROTO_RULES_PER_MSG_MAX;
	char *line = NULL, err[512];
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = SLUICECTL_OK, k;

	ch.rules = malloc(per * sizeof(*ch.rules));
	ch.lines = malloc(per * sizeof(*ch.lines));
	if (ch.rules == NULL || ch.lines == NULL) {
		rc = sluicectl_fail(cmd, "out of memory");
		goto out;
	}
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		k = dp_flow_text_parse(line, &ch.rules[ch.n], err, sizeof(err));
		if (k < 0) {
			rc = sluicectl_fail(cmd, "%s: line %u, %s", path,
					    lineno, err);
			goto out;
		}
		if (k == 0)
			continue;
		ch.lines[ch.n++] = lineno;
		(*n_total)++;
		if (ch.n == per) {
			rc = chunk_send(cmd, c, &ch, path);
			if (rc != SLUICECTL_OK)
				goto out;
		}
	}
	if (ferror(f)) {
		rc = sluicectl_fail(cmd, "%s: read error", path);
		goto out;
	}
	rc = chunk_send(cmd, c, &ch, path);
out:
	free(line);
	free(ch.rules);
	free(ch.lines);
	return rc;
}

/*
 * Add a file's rules in one transaction, optionally after deleting the
 * rules of a cookie (replace): all or nothing.
 */
static int
apply_file(const struct sluicectl_cmd *cmd, const struct sluicectl_opts *o,
	   const char *path, bool do_del, uint64_t cookie, uint64_t mask)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	struct dp_client *c = NULL;
	size_t n = 0;
	int rc;

	if (f == NULL)
		return sluicectl_fail(cmd, "%s: %s", path, strerror(errno));
	rc = sluicectl_dp_open(cmd, o, &c);
	if (rc != 0)
		goto out;
	if (dp_client_flow_begin(c) < 0) {
		rc = dp_failed(cmd, c, "begin");
		goto out;
	}
	if (do_del && dp_client_flow_del_cookie(c, -1, cookie, mask) < 0) {
		rc = dp_failed(cmd, c, "delete old rules");
		goto abort;
	}
	rc = stream_file(cmd, c, f, path, &n);
	if (rc != SLUICECTL_OK)
		goto abort;
	if (dp_client_flow_commit(c) < 0) {
		rc = dp_failed(cmd, c, "commit");
		goto out;
	}
	if (o->is_json)
		json_print(json_pack("{s:I}", "added", (json_int_t)n));
	rc = SLUICECTL_OK;
	goto out;
abort:
	dp_client_flow_abort(c);
out:
	dp_client_close(c);
	if (f != stdin)
		fclose(f);
	return rc;
}

static int
cmd_add_flows(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = self("add-flows");
	const char *pos[1];
	int n, rc;

	rc = parse_args(cmd, argc, argv, NULL, pos, 1, 1, &n);
	if (rc != 0)
		return rc;
	return apply_file(cmd, o, pos[0], false, 0, 0);
}

static int
cmd_replace_flows(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = self("replace-flows");
	const char *cookie_s = NULL;
	const struct opt opts[] = {{"--cookie", &cookie_s}, {NULL, NULL}};
	uint64_t cookie, mask;
	const char *pos[1];
	int n, rc;

	rc = parse_args(cmd, argc, argv, opts, pos, 1, 1, &n);
	if (rc == 0)
		rc = opt_cookie(cmd, cookie_s, &cookie, &mask);
	if (rc != 0)
		return rc;
	return apply_file(cmd, o, pos[0], true, cookie, mask);
}

/* dp del-flows [--cookie C/M] [--table N] */

static int
cmd_del_flows(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = self("del-flows");
	const char *table_s = NULL, *cookie_s = NULL;
	const struct opt opts[] = {
		{"--table", &table_s}, {"--cookie", &cookie_s}, {NULL, NULL}};
	uint64_t cookie, mask;
	struct dp_client *c;
	int n, table, rc;

	rc = parse_args(cmd, argc, argv, opts, NULL, 0, 0, &n);
	if (rc == 0)
		rc = opt_table(cmd, table_s, &table);
	if (rc == 0)
		rc = opt_cookie(cmd, cookie_s, &cookie, &mask);
	if (rc != 0)
		return rc;
	if (sluicectl_dp_open(cmd, o, &c) != 0)
		return SLUICECTL_FAIL;
	rc = dp_client_flow_del_cookie(c, table, cookie, mask);
	rc = rc < 0 ? dp_failed(cmd, c, "delete") : SLUICECTL_OK;
	dp_client_close(c);
	return rc;
}

/* dp stats */

static int
cmd_stats(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = self("stats");
	struct dp_stats_reply s;
	struct dp_client *c;
	json_t *j, *drops;
	int n, rc;

	rc = parse_args(cmd, argc, argv, NULL, NULL, 0, 0, &n);
	if (rc != 0)
		return rc;
	if (sluicectl_dp_open(cmd, o, &c) != 0)
		return SLUICECTL_FAIL;
	rc = dp_client_stats(c, &s);
	if (rc < 0) {
		rc = dp_failed(cmd, c, "stats");
		dp_client_close(c);
		return rc;
	}
	dp_client_close(c);
	if (o->is_json) {
		drops = json_object();
		for (unsigned i = 0; i < s.n_drop_reasons; i++) {
			const char *nm = dp_proto_drop_name(i);
			char tmp[32];

			if (nm == NULL) {
				snprintf(tmp, sizeof(tmp), "drop_%u", i);
				nm = tmp;
			}
			json_object_set_new(
				drops, nm,
				json_integer((json_int_t)s.drops[i]));
		}
		j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			      "s:I, s:I, s:I, s:o}",
			      "cache_hits", (json_int_t)s.hits, "cache_misses",
			      (json_int_t)s.misses, "cache_inserts",
			      (json_int_t)s.inserts, "cache_evictions",
			      (json_int_t)s.evictions, "classifier_lookups",
			      (json_int_t)s.lookups_classifier, "cache_entries",
			      (json_int_t)s.entries, "cache_entries_max",
			      (json_int_t)s.entries_max, "subtables",
			      (json_int_t)s.n_subtables, "rules",
			      (json_int_t)s.n_rules, "generation",
			      (json_int_t)s.generation, "proto_errors",
			      (json_int_t)s.proto_errors, "punt_packets",
			      (json_int_t)s.punt_packets, "drops", drops);
		json_print(j);
		return SLUICECTL_OK;
	}
	printf("rules: %" PRIu64 "  subtables: %u\n"
	       "cache: hits %" PRIu64 " misses %" PRIu64 " inserts %" PRIu64
	       " evictions %" PRIu64 " entries %u/%u\n"
	       "classifier lookups: %" PRIu64 "\n"
	       "protocol errors: %" PRIu64 "  punted: %" PRIu64 "\n"
	       "drops:\n",
	       s.n_rules, s.n_subtables, s.hits, s.misses, s.inserts,
	       s.evictions, s.entries, s.entries_max, s.lookups_classifier,
	       s.proto_errors, s.punt_packets);
	for (unsigned i = 0; i < s.n_drop_reasons; i++) {
		const char *nm = dp_proto_drop_name(i);

		if (nm != NULL)
			printf("  %-12s %" PRIu64 "\n", nm, s.drops[i]);
		else
			printf("  drop_%-7u %" PRIu64 "\n", i, s.drops[i]);
	}
	return SLUICECTL_OK;
}

/* dp cache-flush */

static int
cmd_cache_flush(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = self("cache-flush");
	struct dp_client *c;
	int n, rc;

	rc = parse_args(cmd, argc, argv, NULL, NULL, 0, 0, &n);
	if (rc != 0)
		return rc;
	if (sluicectl_dp_open(cmd, o, &c) != 0)
		return SLUICECTL_FAIL;
	rc = dp_client_cache_flush(c);
	rc = rc < 0 ? dp_failed(cmd, c, "flush") : SLUICECTL_OK;
	dp_client_close(c);
	return rc;
}

/* A frame from a FLOWSPEC or from --hex HEX. */
static int
make_frame(const struct sluicectl_cmd *cmd, const char *spec, const char *hex,
	   uint8_t *frame, size_t max, size_t *len)
{
	struct dp_key k, m;
	char err[512];
	size_t n = 0;

	if ((spec == NULL) == (hex == NULL))
		return sluicectl_usage(cmd, "give a FLOWSPEC or --hex HEX");
	if (spec != NULL) {
		if (dp_flow_text_parse_match(spec, &k, &m, err, sizeof(err)) <
		    0)
			return sluicectl_usage(cmd, "FLOWSPEC %s", err);
		if (dp_frame_build(&k, frame, max, len) < 0)
			return sluicectl_fail(cmd, "frame too long");
		return SLUICECTL_OK;
	}
	for (const char *p = hex; *p != '\0';) {
		if (isspace((unsigned char)*p) || *p == ':') {
			p++;
			continue;
		}
		if (!isxdigit((unsigned char)p[0]) ||
		    !isxdigit((unsigned char)p[1]))
			return sluicectl_usage(cmd,
					       "--hex: bad hex at offset %zu",
					       (size_t)(p - hex));
		if (n == max)
			return sluicectl_usage(
				cmd, "--hex: frame over %zu bytes", max);
		char b[3] = {p[0], p[1], '\0'};
		frame[n++] = (uint8_t)strtoul(b, NULL, 16);
		p += 2;
	}
	if (n == 0)
		return sluicectl_usage(cmd, "--hex: empty frame");
	*len = n;
	return SLUICECTL_OK;
}

static void
port_name(uint32_t p, char *s, size_t n)
{
	if (p == DP_PORT_CONTROLLER)
		snprintf(s, n, "controller");
	else if (p == DP_PORT_IN_PORT)
		snprintf(s, n, "in_port");
	else
		snprintf(s, n, "%u", p);
}

static void
hex_str(const uint8_t *p, size_t n, char *s)
{
	for (size_t i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	s[2 * n] = '\0';
}

static void
trace_print(const struct sluicectl_opts *o, const struct dp_trace_reply *t,
	    const uint8_t *frame, uint32_t frame_len)
{
	char key[DP_FLOW_TEXT_MAX], rule[DP_FLOW_TEXT_MAX], pn[16];
	const char *perr =
		t->parse_error >= 0
			? dp_proto_drop_name((unsigned)t->parse_error)
			: NULL;
	const char *why = t->verdict > 0
				  ? dp_proto_drop_name((unsigned)t->verdict - 1)
				  : NULL;
	char *hex = malloc(2 * (size_t)frame_len + 1);
	json_t *j, *steps, *outs;

	if (hex == NULL)
		return;
	hex_str(frame, frame_len, hex);
	dp_flow_text_format_key(&t->key, key, sizeof(key));
	if (o->is_json) {
		steps = json_array();
		outs = json_array();
		for (uint32_t i = 0; i < t->n_steps; i++) {
			json_t *s = json_pack("{s:i, s:b}", "table",
					      (int)t->steps[i].table, "hit",
					      t->steps[i].is_hit != 0);

			if (t->steps[i].is_hit) {
				dp_flow_text_format(&t->steps[i].rule, NULL,
						    rule, sizeof(rule));
				json_object_set_new(s, "rule",
						    json_string(rule));
			}
			json_array_append_new(steps, s);
		}
		for (uint32_t i = 0; i < t->n_out; i++) {
			port_name(t->out_port[i], pn, sizeof(pn));
			json_array_append_new(outs, json_string(pn));
		}
		j = json_pack("{s:s, s:o, s:o, s:o, s:o, s:s}", "key", key,
			      "parse_error",
			      perr ? json_string(perr) : json_null(), "steps",
			      steps, "outputs", outs, "drop",
			      t->verdict > 0 ? json_string(why ? why : "?")
					     : json_null(),
			      "final_frame", hex);
		json_print(j);
		free(hex);
		return;
	}
	printf("key: %s\n", key);
	if (t->parse_error >= 0)
		printf("parse error: %s\n", perr ? perr : "?");
	for (uint32_t i = 0; i < t->n_steps; i++) {
		if (t->steps[i].is_hit) {
			dp_flow_text_format(&t->steps[i].rule, NULL, rule,
					    sizeof(rule));
			printf("table %u: hit %s\n", t->steps[i].table, rule);
		} else {
			printf("table %u: miss\n", t->steps[i].table);
		}
	}
	if (t->verdict > 0)
		printf("verdict: drop (%s)\n", why ? why : "?");
	else
		printf("verdict: %s\n", t->n_out ? "output" : "no output");
	if (t->n_out > 0) {
		printf("outputs:");
		for (uint32_t i = 0; i < t->n_out; i++) {
			port_name(t->out_port[i], pn, sizeof(pn));
			printf(" %s", pn);
		}
		printf("\nfinal frame (%u bytes): %s\n", frame_len, hex);
	}
	free(hex);
}

/* dp trace PORT FLOWSPEC|--hex HEX */

static int
cmd_trace(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = self("trace");
	const char *hex = NULL;
	const struct opt opts[] = {{"--hex", &hex}, {NULL, NULL}};
	uint8_t frame[DP_FRAME_MAX], out[DP_FRAME_MAX];
	struct dp_trace_reply *t;
	struct dp_client *c;
	const char *pos[2];
	uint32_t out_len;
	size_t len = 0;
	uint64_t port;
	int n, rc;

	rc = parse_args(cmd, argc, argv, opts, pos, 1, 2, &n);
	if (rc != 0)
		return rc;
	if (!parse_u64(pos[0], &port) || port == 0 || port > DP_PORT_MAX)
		return sluicectl_usage(cmd, "PORT '%s': expected 1..%u", pos[0],
				       DP_PORT_MAX);
	rc = make_frame(cmd, n > 1 ? pos[1] : NULL, hex, frame, sizeof(frame),
			&len);
	if (rc != 0)
		return rc;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return sluicectl_fail(cmd, "out of memory");
	rc = sluicectl_dp_open(cmd, o, &c);
	if (rc == 0) {
		rc = dp_client_trace(c, (uint32_t)port, frame, (uint32_t)len, t,
				     out, sizeof(out), &out_len);
		if (rc < 0) {
			rc = dp_failed(cmd, c, "trace");
		} else {
			trace_print(o, t, out,
				    out_len < sizeof(out) ? out_len
							  : sizeof(out));
			rc = SLUICECTL_OK;
		}
		dp_client_close(c);
	}
	free(t);
	return rc;
}

/* dp packet-out [--in-port N] PORT|tables FLOWSPEC|--hex HEX */

static int
cmd_packet_out(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = self("packet-out");
	const char *hex = NULL, *in_port_s = NULL;
	const struct opt opts[] = {
		{"--hex", &hex}, {"--in-port", &in_port_s}, {NULL, NULL}};
	uint8_t frame[DP_FRAME_MAX];
	struct dp_packet_msg m;
	struct dp_client *c;
	const char *pos[2];
	uint64_t port = 0, in_port = 0;
	size_t len = 0;
	int n, rc;

	rc = parse_args(cmd, argc, argv, opts, pos, 1, 2, &n);
	if (rc != 0)
		return rc;
	if (strcmp(pos[0], "tables") != 0 &&
	    (!parse_u64(pos[0], &port) || port == 0 || port > DP_PORT_MAX))
		return sluicectl_usage(cmd,
				       "PORT '%s': expected 1..%u or tables",
				       pos[0], DP_PORT_MAX);
	if (in_port_s != NULL && (!parse_u64(in_port_s, &in_port) ||
				  in_port == 0 || in_port > DP_PORT_MAX))
		return sluicectl_usage(cmd, "--in-port '%s': expected 1..%u",
				       in_port_s, DP_PORT_MAX);
	if (port == 0 && in_port == 0)
		return sluicectl_usage(cmd, "PORT tables needs --in-port N");
	rc = make_frame(cmd, n > 1 ? pos[1] : NULL, hex, frame, sizeof(frame),
			&len);
	if (rc != 0)
		return rc;
	memset(&m, 0, sizeof(m));
	m.port = (uint32_t)port;
	m.in_port = (uint32_t)in_port;
	m.len = (uint32_t)len;
	if (sluicectl_dp_open(cmd, o, &c) != 0)
		return SLUICECTL_FAIL;
	rc = dp_client_packet_out(c, &m, frame);
	rc = rc < 0 ? dp_failed(cmd, c, "packet-out") : SLUICECTL_OK;
	dp_client_close(c);
	return rc;
}

const struct sluicectl_cmd sluicectl_dp_cmds[] = {
	{"dp", "ports", "", "list the datapath's ports with counters",
	 cmd_ports},
	{"dp", "port-add", "NAME TYPE ARGS [--port-no N]",
	 "add a port; TYPE: af_xdp, af_packet, vhost-user, vhost-user-client, "
	 "tap, devargs, vnet",
	 cmd_port_add},
	{"dp", "port-del", "NAME|NUM", "delete a port", cmd_port_del},
	{"dp", "dump-flows", "[--table N] [--cookie C[/M]]",
	 "print rules with counters in the add-flow syntax", cmd_dump_flows},
	{"dp", "add-flow", "RULE", "add one rule", cmd_add_flow},
	{"dp", "add-flows", "FILE|-",
	 "add a file's rules (one a line) in one atomic transaction",
	 cmd_add_flows},
	{"dp", "del-flows", "[--cookie C[/M]] [--table N]",
	 "delete rules by cookie (all without --cookie)", cmd_del_flows},
	{"dp", "replace-flows", "FILE|- [--cookie C[/M]]",
	 "atomically delete the cookie's rules (all without --cookie) and "
	 "add the file's",
	 cmd_replace_flows},
	{"dp", "stats", "", "cache, classifier, drop and protocol counters",
	 cmd_stats},
	{"dp", "cache-flush", "", "invalidate every worker's flow cache",
	 cmd_cache_flush},
	{"dp", "trace", "PORT FLOWSPEC|--hex HEX",
	 "run a packet through the tables: key, rules hit, outputs", cmd_trace},
	{"dp", "packet-out", "[--in-port N] PORT|tables FLOWSPEC|--hex HEX",
	 "send a frame out of PORT, or through the tables from --in-port",
	 cmd_packet_out},
	{"dp", "sa-add",
	 "id=N spi=N dir=in|out cipher=C key=HEX [integ=I ikey=HEX] "
	 "[src=A dst=B] [esn] [natt[=SP:DP]] [ttl=N] [mtu=N] [seq=N] "
	 "[soft-packets=N] [soft-bytes=N]",
	 "add an ESP SA; C: aes-gcm-128|256, aes-cbc-128|256, "
	 "chacha20-poly1305; I: sha256|384|512",
	 sluicectl_dp_sa_add},
	{"dp", "sa-del", "ID", "delete an ESP SA", sluicectl_dp_sa_del},
	{"dp", "sa-list", "[ID]", "ESP SAs with their counters (no keys)",
	 sluicectl_dp_sa_list},
	{"dp", "ct-stats", "",
	 "connection tracking: entries, limit, memory, commits, invalid",
	 sluicectl_dp_ct_stats},
	{"dp", "ct-flush", "[ZONE]",
	 "remove the connections of ZONE (all without ZONE)",
	 sluicectl_dp_ct_flush},
	{"dp", "ct-dump", "[ZONE]", "tracked connections, one a line",
	 sluicectl_dp_ct_dump},
	{"dp", "lb-set",
	 "id=N alg=A src=ADDR [ports=P-Q] [persist=S] [table-size=N] "
	 "[member=ADDR:PORT[,weight=W][,backup][,down]]...",
	 "replace LB pool N whole; A: round_robin, least_connections, "
	 "source_ip, source_ip_port; IPv6: src=IPV6 and members "
	 "[IPV6]:PORT",
	 sluicectl_dp_lb_set},
	{"dp", "lb-del", "ID", "delete an LB pool", sluicectl_dp_lb_del},
	{"dp", "lb-stats", "[ID]",
	 "LB pool and member counters (every pool without ID)",
	 sluicectl_dp_lb_stats},
	{NULL, NULL, NULL, NULL, NULL},
};
