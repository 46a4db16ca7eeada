/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sluicectl_dp_lb.c: the load-balancer pool commands of the "dp" group
 * (listed in sluicectl_dp.c's table) over the datapath's programming
 * socket (dp_client.h; docs/lbaas.md, "Datapath"):
 *   lb-set id=N alg=A src=ADDR [ports=P-Q] [persist=S] [table-size=N]
 *          [limit=N]
 *          [member=ADDR:PORT[,weight=W][,backup][,down]]...
 *                     replace (or create) pool N whole; an IPv6 pool
 *                     when src is IPv6 (members [ADDR]:PORT, all IPv6)
 *   lb-del ID         delete a pool
 *   lb-stats [ID]     pool and member counters (every pool without ID)
 * lb-stats also prints JSON with the global JSON option.
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
#include "sluicectl_dp_lb.h"

static const char *const lb_alg_names[] = {
	[DP_LB_ROUND_ROBIN] = "round_robin",
	[DP_LB_LEAST_CONNECTIONS] = "least_connections",
	[DP_LB_SOURCE_IP] = "source_ip",
	[DP_LB_SOURCE_IP_PORT] = "source_ip_port",
};

static const char *
alg_name(unsigned a)
{
	return a >= DP_LB_ROUND_ROBIN && a <= DP_LB_SOURCE_IP_PORT
		       ? lb_alg_names[a]
		       : "?";
}

static bool
parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s == '\0' || *s == '-')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 0);
	return errno == 0 && *end == '\0' && *out <= max;
}

/*
 * ADDR:PORT[,weight=W][,backup][,down], ADDR IPv4 or [IPv6]; the member
 * into m6 (an IPv4 address as ::ffff:a.b.c.d), *family 4 or 6.
 */
static bool
parse_member(const char *s, struct dp_lb_member6 *m, int *family)
{
	char buf[128], *p, *opt, *colon, *a = buf;
	unsigned long v;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	memset(m, 0, sizeof(*m));
	m->weight = 1;
	m->flags = DP_LB_M_UP;
	if (buf[0] == '[') {
		colon = strstr(buf, "]:");
		if (colon == NULL)
			return false;
		*colon = '\0';
		colon += 2;
		a = buf + 1;
		p = strchr(colon, ',');
		*family = 6;
	} else {
		p = strchr(buf, ',');
		colon = strchr(buf, ':');
		*family = 4;
	}
	if (p != NULL)
		*p++ = '\0';
	if (*family == 4) {
		if (colon == NULL)
			return false;
		*colon++ = '\0';
		m->addr[10] = 0xff;
		m->addr[11] = 0xff;
	}
	if (inet_pton(*family == 6 ? AF_INET6 : AF_INET, a,
		      *family == 6 ? m->addr : m->addr + 12) != 1 ||
	    !parse_ulong(colon, 65535, &v))
		return false;
	m->port = htons((uint16_t)v);
	while (p != NULL) {
		opt = p;
		p = strchr(p, ',');
		if (p != NULL)
			*p++ = '\0';
		if (strncmp(opt, "weight=", 7) == 0) {
			if (!parse_ulong(opt + 7, DP_LB_WEIGHT_MAX, &v))
				return false;
			m->weight = (uint16_t)v;
		} else if (strcmp(opt, "backup") == 0) {
			m->flags |= DP_LB_M_BACKUP;
		} else if (strcmp(opt, "down") == 0) {
			m->flags &= (uint8_t)~DP_LB_M_UP;
		} else {
			return false;
		}
	}
	return true;
}

static int
parse_pool_arg(const struct sluicectl_cmd *cmd, const char *a,
	       struct dp_lb_pool *p)
{
	unsigned long v, w;
	char *dash;

	if (strncmp(a, "id=", 3) == 0) {
		if (!parse_ulong(a + 3, DP_LB_POOL_ID_MAX, &v) || v == 0)
			return sluicectl_usage(cmd, "'%s': id is 1..%u", a,
					       DP_LB_POOL_ID_MAX);
		p->id = (uint32_t)v;
	} else if (strncmp(a, "alg=", 4) == 0) {
		for (unsigned i = DP_LB_ROUND_ROBIN; i <= DP_LB_SOURCE_IP_PORT;
		     i++)
			if (strcasecmp(a + 4, lb_alg_names[i]) == 0)
				p->alg = (uint8_t)i;
		if (p->alg == 0)
			return sluicectl_usage(cmd,
					       "'%s': alg is round_robin, "
					       "least_connections, source_ip "
					       "or source_ip_port",
					       a);
	} else if (strncmp(a, "src=", 4) == 0) {
		p->flags &= (uint8_t)~DP_LB_POOL_F_IPV6;
		if (inet_pton(AF_INET6, a + 4, p->src_addr6) == 1)
			p->flags |= DP_LB_POOL_F_IPV6;
		else if (inet_pton(AF_INET, a + 4, &p->src_addr) != 1)
			return sluicectl_usage(cmd,
					       "'%s': expected an IPv4 or "
					       "IPv6 address",
					       a);
	} else if (strncmp(a, "ports=", 6) == 0) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%s", a + 6);
		dash = strchr(buf, '-');
		if (dash != NULL)
			*dash++ = '\0';
		if (dash == NULL || !parse_ulong(buf, 65535, &v) ||
		    !parse_ulong(dash, 65535, &w) || v == 0 || w < v)
			return sluicectl_usage(cmd, "'%s': expected P-Q", a);
		p->port_min = (uint16_t)v;
		p->port_max = (uint16_t)w;
	} else if (strncmp(a, "persist=", 8) == 0) {
		if (!parse_ulong(a + 8, UINT32_MAX, &v))
			return sluicectl_usage(cmd, "'%s': expected seconds",
					       a);
		p->persist_timeout = (uint32_t)v;
	} else if (strncmp(a, "table-size=", 11) == 0) {
		if (!parse_ulong(a + 11, UINT32_MAX, &v))
			return sluicectl_usage(cmd, "'%s': expected a prime",
					       a);
		p->table_size = (uint32_t)v;
	} else if (strncmp(a, "limit=", 6) == 0) {
		if (!parse_ulong(a + 6, UINT32_MAX, &v))
			return sluicectl_usage(cmd,
					       "'%s': expected a connection "
					       "count (0: no limit)",
					       a);
		p->conn_limit = (uint32_t)v;
	} else {
		return sluicectl_usage(cmd, "unknown argument '%s'", a);
	}
	return SLUICECTL_OK;
}

/* The members of an IPv4 pool, from their IPv4-mapped form. */
static int
lb_set_v4(struct dp_client *c, const struct dp_lb_pool *p,
	  const struct dp_lb_member6 *m6)
{
	struct dp_lb_member *m;
	int rc;

	m = calloc(p->n_members + 1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < p->n_members; i++) {
		memcpy(&m[i].addr, m6[i].addr + 12, 4);
		m[i].port = m6[i].port;
		m[i].weight = m6[i].weight;
		m[i].flags = m6[i].flags;
	}
	rc = dp_client_lb_set(c, p, m);
	free(m);
	return rc;
}

int
sluicectl_dp_lb_set(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = sluicectl_cmd_lookup("dp", "lb-set");
	struct dp_lb_member6 *m;
	struct dp_lb_pool p;
	struct dp_client *c;
	int rc = SLUICECTL_OK, family = 0, fam = 0;
	bool is_v6;

	memset(&p, 0, sizeof(p));
	m = calloc((size_t)argc + 1, sizeof(*m));
	if (m == NULL)
		return sluicectl_fail(cmd, "out of memory");
	for (int i = 1; i < argc && rc == SLUICECTL_OK; i++) {
		if (strncmp(argv[i], "member=", 7) != 0) {
			rc = parse_pool_arg(cmd, argv[i], &p);
			continue;
		}
		if (p.n_members == DP_LB_MEMBERS_MAX ||
		    !parse_member(argv[i] + 7, &m[p.n_members], &fam))
			rc = sluicectl_usage(cmd,
					     "'%s': expected member=ADDR:PORT"
					     "[,weight=W][,backup][,down] "
					     "(ADDR IPv4 or [IPv6])",
					     argv[i]);
		else if (family != 0 && fam != family)
			rc = sluicectl_usage(cmd,
					     "'%s': IPv4 and IPv6 members in "
					     "one pool",
					     argv[i]);
		else
			p.n_members++;
		if (rc == SLUICECTL_OK)
			family = fam;
	}
	is_v6 = p.flags & DP_LB_POOL_F_IPV6;
	if (rc == SLUICECTL_OK &&
	    (p.id == 0 || p.alg == 0 || (p.src_addr == 0 && !is_v6)))
		rc = sluicectl_usage(cmd,
				     "id=N, alg=A and src=ADDR are needed");
	if (rc == SLUICECTL_OK && family != 0 && (family == 6) != is_v6)
		rc = sluicectl_usage(cmd,
				     "src is IPv%d and the members IPv%d: a "
				     "pool is of one family",
				     is_v6 ? 6 : 4, family);
	if (rc != SLUICECTL_OK)
		goto out;
	rc = sluicectl_dp_open(cmd, o, &c);
	if (rc != SLUICECTL_OK)
		goto out;
	fam = is_v6 ? dp_client_lb_set6(c, &p, m) : lb_set_v4(c, &p, m);
	if (fam < 0)
		rc = sluicectl_fail(cmd, "%s",
				    dp_client_error(c)[0] != '\0'
					    ? dp_client_error(c)
					    : strerror(-fam));
	dp_client_close(c);
out:
	free(m);
	return rc;
}

int
sluicectl_dp_lb_del(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = sluicectl_cmd_lookup("dp", "lb-del");
	struct dp_client *c;
	unsigned long id;
	int rc = SLUICECTL_OK;

	if (argc != 2 || !parse_ulong(argv[1], DP_LB_POOL_ID_MAX, &id) ||
	    id == 0)
		return sluicectl_usage(cmd, "expected a pool ID 1..%u",
				       DP_LB_POOL_ID_MAX);
	if (sluicectl_dp_open(cmd, o, &c) != SLUICECTL_OK)
		return SLUICECTL_FAIL;
	if (dp_client_lb_del(c, (uint32_t)id) < 0)
		rc = sluicectl_fail(cmd, "%s", dp_client_error(c));
	dp_client_close(c);
	return rc;
}

/* A member as ADDR:PORT (IPv4 pool) or [ADDR]:PORT (IPv6 pool). */
static void
member_name(const struct dp_lb_pool_stats *ps, const struct dp_lb_member6 *m,
	    char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ps->flags & DP_LB_POOL_F_IPV6) {
		inet_ntop(AF_INET6, m->addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(m->port));
	} else {
		inet_ntop(AF_INET, m->addr + 12, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(m->port));
	}
}

static int
stats_text(const struct dp_lb_pool_stats *ps,
	   const struct dp_lb_member6_stats *ms, void *arg)
{
	(void)arg;
	printf("pool %u%s alg=%s table=%u packets=%" PRIu64 " bytes=%" PRIu64
	       " packets_rpl=%" PRIu64 " bytes_rpl=%" PRIu64 " active=%" PRIu64
	       " total=%" PRIu64 " no_member=%" PRIu64
	       " conn_limit=%u limit=%" PRIu64 "\n",
	       ps->id, ps->flags & DP_LB_POOL_F_IPV6 ? " ipv6" : "",
	       alg_name(ps->alg), ps->table_size, ps->packets, ps->bytes,
	       ps->packets_rpl, ps->bytes_rpl, ps->active, ps->total,
	       ps->no_member, ps->conn_limit, ps->limit);
	for (uint32_t i = 0; i < ps->n_members; i++) {
		char a[INET6_ADDRSTRLEN + 16];

		member_name(ps, &ms[i].m, a, sizeof(a));
		printf("  member %s weight=%u %s%s packets=%" PRIu64
		       " bytes=%" PRIu64 " active=%" PRIu64 " total=%" PRIu64
		       " entries=%u\n",
		       a, ms[i].m.weight,
		       ms[i].m.flags & DP_LB_M_UP ? "up" : "down",
		       ms[i].m.flags & DP_LB_M_BACKUP ? " backup" : "",
		       ms[i].packets, ms[i].bytes, ms[i].active, ms[i].total,
		       ms[i].table_entries);
	}
	return 0;
}

static int
stats_json(const struct dp_lb_pool_stats *ps,
	   const struct dp_lb_member6_stats *ms, void *arg)
{
	json_t *pools = arg, *mem = json_array();
	bool is_v6 = ps->flags & DP_LB_POOL_F_IPV6;

	for (uint32_t i = 0; i < ps->n_members; i++) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(is_v6 ? AF_INET6 : AF_INET,
			  is_v6 ? ms[i].m.addr : ms[i].m.addr + 12, a,
			  sizeof(a));
		json_array_append_new(
			mem,
			json_pack("{s:s, s:i, s:i, s:b, s:b, s:I, s:I, s:I, "
				  "s:I, s:i}",
				  "address", a, "port", ntohs(ms[i].m.port),
				  "weight", ms[i].m.weight, "up",
				  (ms[i].m.flags & DP_LB_M_UP) != 0, "backup",
				  (ms[i].m.flags & DP_LB_M_BACKUP) != 0,
				  "packets", (json_int_t)ms[i].packets, "bytes",
				  (json_int_t)ms[i].bytes, "active",
				  (json_int_t)ms[i].active, "total",
				  (json_int_t)ms[i].total, "table_entries",
				  (int)ms[i].table_entries));
	}
	json_array_append_new(
		pools,
		json_pack("{s:i, s:b, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, "
			  "s:I, s:I, s:I, s:o}",
			  "id", (int)ps->id, "ipv6", is_v6, "alg",
			  alg_name(ps->alg), "table_size", (int)ps->table_size,
			  "packets", (json_int_t)ps->packets, "bytes",
			  (json_int_t)ps->bytes, "packets_rpl",
			  (json_int_t)ps->packets_rpl, "bytes_rpl",
			  (json_int_t)ps->bytes_rpl, "active",
			  (json_int_t)ps->active, "total",
			  (json_int_t)ps->total, "no_member",
			  (json_int_t)ps->no_member, "conn_limit",
			  (json_int_t)ps->conn_limit, "limit",
			  (json_int_t)ps->limit, "members", mem));
	return 0;
}

int
sluicectl_dp_lb_stats(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd =
		sluicectl_cmd_lookup("dp", "lb-stats");
	struct dp_client *c;
	unsigned long id = 0;
	json_t *pools = NULL;
	int rc = SLUICECTL_OK;

	if (argc > 2 ||
	    (argc == 2 && !parse_ulong(argv[1], DP_LB_POOL_ID_MAX, &id)))
		return sluicectl_usage(cmd, "expected [ID] in 1..%u",
				       DP_LB_POOL_ID_MAX);
	if (sluicectl_dp_open(cmd, o, &c) != SLUICECTL_OK)
		return SLUICECTL_FAIL;
	if (o->is_json)
		pools = json_array();
	if (dp_client_lb_stats6(c, (uint32_t)id,
				o->is_json ? stats_json : stats_text,
				pools) < 0)
		rc = sluicectl_fail(cmd, "%s", dp_client_error(c));
	dp_client_close(c);
	if (pools != NULL) {
		if (rc == SLUICECTL_OK) {
			json_dumpf(pools, stdout,
				   JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			fputc('\n', stdout);
		}
		json_decref(pools);
	}
	return rc;
}
