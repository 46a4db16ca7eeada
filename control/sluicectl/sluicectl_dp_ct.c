/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sluicectl_dp_ct.c: the connection tracking commands of the "dp" group
 * (listed in sluicectl_dp.c's table) over the datapath's programming
 * socket (dp_client.h, docs/conntrack.md):
 *   ct-stats          entries, limit, memory, commits, invalid by reason
 *   ct-flush [ZONE]   remove a zone's connections (all without ZONE)
 *   ct-dump [ZONE]    one connection a line, as conntrack -L prints them
 * Each also prints JSON with the global --json option.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dp_client.h"
#include "sluicectl.h"
#include "sluicectl_dp_ct.h"

/* [ZONE] as argv[1]: 0..65535, DP_CT_ZONE_ALL without it. */
static int
zone_arg(const struct sluicectl_cmd *cmd, int argc, char **argv, uint32_t *zone)
{
	unsigned long v;
	char *end;

	*zone = DP_CT_ZONE_ALL;
	if (argc > 2)
		return sluicectl_usage(cmd, "expected [ZONE]");
	if (argc < 2)
		return SLUICECTL_OK;
	errno = 0;
	v = strtoul(argv[1], &end, 0);
	if (argv[1][0] == '\0' || argv[1][0] == '-' || *end != '\0' ||
	    errno != 0 || v > 0xffff)
		return sluicectl_usage(cmd, "zone '%s' is not 0..65535",
				       argv[1]);
	*zone = (uint32_t)v;
	return SLUICECTL_OK;
}

static void
json_out(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(j);
}

int
sluicectl_dp_ct_stats(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd =
		sluicectl_cmd_lookup("dp", "ct-stats");
	struct dp_ct_stats s;
	struct dp_client *c;
	json_t *j, *inv;
	int rc;

	(void)argv;
	if (argc > 1)
		return sluicectl_usage(cmd, "takes no argument");
	if (sluicectl_dp_open(cmd, o, &c) != SLUICECTL_OK)
		return SLUICECTL_FAIL;
	rc = dp_client_ct_stats(c, &s);
	if (rc < 0) {
		rc = sluicectl_fail(cmd, "%s", dp_client_error(c));
		dp_client_close(c);
		return rc;
	}
	dp_client_close(c);
	if (o->is_json) {
		inv = json_object();
		for (unsigned i = 0; i < DP_CT_INV__COUNT; i++)
			json_object_set_new(
				inv, dp_proto_ct_inv_name(i),
				json_integer((json_int_t)s.invalid[i]));
		j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			      "s:I, s:I, s:o}",
			      "entries", (json_int_t)s.entries, "entries_max",
			      (json_int_t)s.entries_max, "mem_bytes",
			      (json_int_t)s.mem_bytes, "lookups",
			      (json_int_t)s.lookups, "commits",
			      (json_int_t)s.commits, "commit_rate",
			      (json_int_t)s.commit_rate, "expired",
			      (json_int_t)s.expired, "flushed",
			      (json_int_t)s.flushed, "related",
			      (json_int_t)s.related, "nat", (json_int_t)s.nat,
			      "evicted", (json_int_t)s.evicted, "invalid", inv);
		json_out(j);
		return SLUICECTL_OK;
	}
	printf("entries: %" PRIu64 "/%" PRIu64 "  memory: %" PRIu64
	       " KiB reserved\n"
	       "lookups: %" PRIu64 "  commits: %" PRIu64 " (%" PRIu64
	       "/s)  expired: %" PRIu64 "  flushed: %" PRIu64 "\n"
	       "related: %" PRIu64 "  translated: %" PRIu64
	       "  evicted: %" PRIu64 "\n"
	       "invalid:\n",
	       s.entries, s.entries_max, s.mem_bytes >> 10, s.lookups,
	       s.commits, s.commit_rate, s.expired, s.flushed, s.related, s.nat,
	       s.evicted);
	for (unsigned i = 0; i < DP_CT_INV__COUNT; i++)
		printf("  %-13s %" PRIu64 "\n", dp_proto_ct_inv_name(i),
		       s.invalid[i]);
	return SLUICECTL_OK;
}

int
sluicectl_dp_ct_flush(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd =
		sluicectl_cmd_lookup("dp", "ct-flush");
	struct dp_client *c;
	uint32_t zone;
	uint64_t n = 0;
	int rc;

	rc = zone_arg(cmd, argc, argv, &zone);
	if (rc != SLUICECTL_OK)
		return rc;
	if (sluicectl_dp_open(cmd, o, &c) != SLUICECTL_OK)
		return SLUICECTL_FAIL;
	rc = dp_client_ct_flush(c, zone, &n);
	if (rc < 0)
		rc = sluicectl_fail(cmd, "%s", dp_client_error(c));
	else if (o->is_json)
		json_out(json_pack("{s:I}", "flushed", (json_int_t)n));
	else
		printf("flushed %" PRIu64 " connections\n", n);
	dp_client_close(c);
	return rc < 0 ? SLUICECTL_FAIL : rc;
}

static void
tuple_str(const struct dp_ct_entry *e, const struct dp_ct_tuple *t, char *s,
	  size_t n)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int af = e->family == 6 ? AF_INET6 : AF_INET;

	inet_ntop(af, t->src, a, sizeof(a));
	inet_ntop(af, t->dst, b, sizeof(b));
	if (e->proto == 6 || e->proto == 17)
		snprintf(s, n, "src=%s dst=%s sport=%u dport=%u", a, b,
			 ntohs(t->sport), ntohs(t->dport));
	else if (e->proto == 1 || e->proto == 58)
		snprintf(s, n, "src=%s dst=%s id=%u", a, b, ntohs(t->sport));
	else
		snprintf(s, n, "src=%s dst=%s", a, b);
}

static int
dump_visit(const struct dp_ct_entry *e, void *arg)
{
	json_t *arr = arg;
	char o[160], r[160];

	tuple_str(e, &e->orig, o, sizeof(o));
	tuple_str(e, &e->reply, r, sizeof(r));
	if (arr != NULL) {
		json_array_append_new(
			arr,
			json_pack("{s:i, s:i, s:i, s:s, s:I, s:I, s:s, s:s, "
				  "s:b, s:b}",
				  "zone", e->zone, "proto", e->proto, "family",
				  e->family, "tcp_state",
				  dp_proto_ct_tcp_state_name(e->tcp_state),
				  "mark", (json_int_t)e->mark, "expires",
				  (json_int_t)e->expires, "orig", o, "reply", r,
				  "snat", (e->flags & DP_CS_SNAT) != 0, "dnat",
				  (e->flags & DP_CS_DNAT) != 0));
		return 0;
	}
	printf("zone=%u proto=%u %s%s%s | %s%s%s mark=%u expires=%u\n", e->zone,
	       e->proto,
	       e->proto == 6 ? dp_proto_ct_tcp_state_name(e->tcp_state) : "",
	       e->proto == 6 ? " " : "", o, r,
	       e->flags & DP_CS_SNAT ? " [snat]" : "",
	       e->flags & DP_CS_DNAT ? " [dnat]" : "", e->mark, e->expires);
	return 0;
}

int
sluicectl_dp_ct_dump(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = sluicectl_cmd_lookup("dp", "ct-dump");
	struct dp_client *c;
	json_t *arr = NULL;
	uint32_t zone;
	int rc;

	rc = zone_arg(cmd, argc, argv, &zone);
	if (rc != SLUICECTL_OK)
		return rc;
	if (sluicectl_dp_open(cmd, o, &c) != SLUICECTL_OK)
		return SLUICECTL_FAIL;
	if (o->is_json)
		arr = json_array();
	rc = dp_client_ct_dump(c, zone, dump_visit, arr);
	if (rc < 0) {
		json_decref(arr);
		rc = sluicectl_fail(cmd, "%s", dp_client_error(c));
	} else {
		if (arr != NULL)
			json_out(arr);
		rc = SLUICECTL_OK;
	}
	dp_client_close(c);
	return rc;
}
