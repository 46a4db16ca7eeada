/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * compiler_l3.c: the compiler's stateful and routed half: security groups
 * (conntrack per port zone, tables 1 and 40), distributed routers (tables
 * 16..20: TTL punt and un-NAT, LPM, learned next hops, SNAT), floating
 * IPs (1:1 NAT in the router's zone) and the owner dependencies that
 * tell sluiced what to regenerate after a change. The layout and its
 * reasons are in docs/compiler.md. Pure functions of the view, as in
 * compiler.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "compiler_int.h"
#include "l3svc.h"

/* Priorities, per table. */
enum {
	PRIO_SG_ND = 410,	/* T1/T40: IPv6 neighbour discovery */
	PRIO_SG_INV = 400,	/* T1/T40: +inv -> drop */
	PRIO_SG_REPLY = 390,	/* T1/T40: +est+rpl, +rel -> allow */
	PRIO_SG_RULE = 200,	/* T1/T40: a rule -> commit */
	PRIO_SG_DENY = 1,	/* T1/T40: the rest of the port's IP */
	PRIO_R_ARP_LEARN = 220, /* T1: ARP reply to a gateway IP */
	PRIO_R_ARP = 200,	/* T1: ARP for a router address */
	PRIO_R_ND = 150,	/* T2: NS for a router address */
	PRIO_R_IN = 120,	/* T2: IP to a router MAC */
	PRIO_R_TTL = 300,	/* T16: TTL <= 1 -> punt */
	PRIO_R_FIP_DNAT = 200,	/* T16: to a floating IP */
	PRIO_R_PRE = 100,	/* T16: un-NAT, then route */
	PRIO_R_HOST = 300,	/* T17: a known port's address */
	PRIO_R_LOCAL = 290,	/* T17: the router's own address */
	PRIO_R_ROUTE = 100,	/* T17: + prefix length */
	PRIO_R_NEIGH = 100,	/* T18: learned next hop */
	PRIO_R_FIP_SNAT = 200,	/* T19: from a floating IP's port */
	PRIO_R_SNAT = 100,	/* T19: from a router subnet */
	PRIO_R_DEFAULT = 0,	/* T18/T19 */
	ETH_IP4 = 0x0800,
	ETH_IP6 = 0x86dd,
	ETH_ARP = 0x0806,
};

#define CT_TRK DP_CS_TRK
#define CT_NEW DP_CS_NEW
#define CT_EST DP_CS_EST
#define CT_REL DP_CS_REL
#define CT_RPL DP_CS_RPL
#define CT_INV DP_CS_INV

bool
compiler_port_is_router(const struct net_view_port *p)
{
	return strncmp(p->device_owner, "network:router_", 15) == 0 ||
	       strcmp(p->device_owner, "network:floatingip") == 0;
}

bool
compiler_port_has_sg(const struct net_view_port *p)
{
	return p->is_port_security && p->n_sgs > 0 && p->dp_port != 0 &&
	       p->dp_port <= DP_PORT_MAX && !compiler_port_is_router(p);
}

static bool
port_in_sg(const struct net_view_port *p, const char *sg_id)
{
	for (unsigned i = 0; i < p->n_sgs && i < NET_PORT_SGS_MAX; i++)
		if (strcmp(p->sgs[i], sg_id) == 0)
			return true;
	return false;
}

/* A port on this host that forwards (bound, up, network up). */
static const struct net_view_network *
port_live_net(const struct net_view *v, const struct net_view_port *p)
{
	const struct net_view_network *n = net_view_network(v, p->network_id);

	if (n == NULL || !n->is_admin_up || n->segment_id == 0 ||
	    !p->is_admin_up || p->dp_port == 0 || p->dp_port > DP_PORT_MAX)
		return NULL;
	return n;
}

/* A network that routers may use (up, with a segment). */
static const struct net_view_network *
net_up(const struct net_view *v, const char *id)
{
	const struct net_view_network *n = net_view_network(v, id);

	return n != NULL && n->is_admin_up && n->segment_id != 0 ? n : NULL;
}

static void
match_addr(struct dp_rule *r, bool is_dst, const struct net_addr *a)
{
	if (a->version == 4)
		match_prefix(r, is_dst ? DP_F_NW_DST : DP_F_NW_SRC, a);
	else
		match_prefix(r, is_dst ? DP_F_IPV6_DST : DP_F_IPV6_SRC, a);
}

static struct net_addr
host_addr(const struct net_addr *ip)
{
	struct net_addr a = *ip;

	a.prefix_len = ip->version == 4 ? 32 : 128;
	return a;
}

/* Order of rule identity: table, priority, match, mask. */
static int
rule_cmp(const void *pa, const void *pb)
{
	const struct dp_rule *a = pa, *b = pb;
	int c;

	if (a->table != b->table)
		return a->table < b->table ? -1 : 1;
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	if ((c = memcmp(&a->match, &b->match, sizeof(a->match))) != 0)
		return c;
	return memcmp(&a->mask, &b->mask, sizeof(a->mask));
}

/*
 * Sort one owner's rules out[from..) by identity and drop repeats (the
 * same member address twice, a route equal to a host rule): the first of
 * equal rules stays. O(n log n), where a scan per push was O(n^2).
 */
static void
rules_dedup(struct compiler_rules *out, size_t from)
{
	size_t w = from;

	if (out->n - from < 2)
		return;
	qsort(out->rules + from, out->n - from, sizeof(out->rules[0]),
	      rule_cmp);
	for (size_t i = from; i < out->n; i++)
		if (w == from || rule_cmp(&out->rules[w - 1], &out->rules[i]))
			out->rules[w++] = out->rules[i];
	out->n = w;
}

static int
push_once(struct compiler_rules *out, size_t from, const struct dp_rule *r)
{
	(void)from; /* repeats are dropped by rules_dedup() */
	return compiler_rules_push(out, r);
}

/* Security groups. */

/*
 * A port range lo..hi as (value, mask) pairs, the fewest aligned blocks.
 * The whole range is one pair with mask 0 (no match needed).
 */
static size_t
port_blocks(uint32_t lo, uint32_t hi, uint16_t *val, uint16_t *mask)
{
	size_t n = 0;

	while (lo <= hi && n < 32) {
		uint32_t size = lo != 0 ? (lo & -lo) : 0x10000;

		while (lo + size - 1 > hi)
			size >>= 1;
		val[n] = (uint16_t)lo;
		mask[n] = (uint16_t) ~(size - 1);
		n++;
		lo += size;
	}
	return n;
}

struct sg_ctx {
	const struct net_view *v;
	const struct net_view_port *p;
	uint64_t c;
	uint16_t zone;
	struct compiler_rules *out;
	size_t from;
};

/* The port's own matcher in a direction's table. */
static void
sg_base(const struct sg_ctx *x, struct dp_rule *r, bool is_egress,
	uint32_t prio)
{
	if (is_egress) {
		rule_init(r, x->c, COMPILER_T_ARP, prio);
		match_u32h(r, DP_F_IN_PORT, x->p->dp_port);
	} else {
		rule_init(r, x->c, COMPILER_T_SG_IN, prio);
		match_u32h(r, DP_F_REG0, x->p->dp_port);
	}
}

/* The allow action of a direction: on (egress) or out (ingress). */
static void
sg_allow(const struct sg_ctx *x, struct dp_rule *r, bool is_egress)
{
	if (is_egress)
		act_goto(r, COMPILER_T_L2);
	else
		act_output(r, x->p->dp_port);
}

/* The rules that do not depend on the groups' rules. */
static int
sg_fixed(const struct sg_ctx *x, bool is_egress)
{
	/* RFC 4861/4890: ND and MLD pass (Neutron allows them always);
	 * router advertisements only towards the port. */
	static const uint8_t nd_out[] = {130, 131, 132, 133, 135, 136, 143};
	static const uint8_t nd_in[] = {130, 131, 132, 134, 135, 136, 143};
	const uint8_t *nd = is_egress ? nd_out : nd_in;
	struct dp_rule r;
	int rc;

	for (unsigned i = 0; i < sizeof(nd_out); i++) {
		sg_base(x, &r, is_egress, PRIO_SG_ND);
		match_u16n(&r, DP_F_ETH_TYPE, ETH_IP6);
		match_u8(&r, DP_F_NW_PROTO, 58);
		match_u16n(&r, DP_F_TP_SRC, nd[i]);
		sg_allow(x, &r, is_egress);
		if ((rc = compiler_rules_push(x->out, &r)) < 0)
			return rc;
	}
	sg_base(x, &r, is_egress, PRIO_SG_INV);
	match_ct(&r, CT_TRK | CT_INV, CT_TRK | CT_INV);
	act_drop(&r);
	if ((rc = compiler_rules_push(x->out, &r)) < 0)
		return rc;
	/* Replies of a connection this port's rules accepted. */
	sg_base(x, &r, is_egress, PRIO_SG_REPLY);
	match_ct(&r, CT_TRK | CT_EST | CT_RPL,
		 CT_TRK | CT_EST | CT_RPL | CT_INV);
	sg_allow(x, &r, is_egress);
	if ((rc = compiler_rules_push(x->out, &r)) < 0)
		return rc;
	/* ICMP errors about one (either direction). */
	sg_base(x, &r, is_egress, PRIO_SG_REPLY);
	match_ct(&r, CT_TRK | CT_REL, CT_TRK | CT_REL | CT_INV);
	sg_allow(x, &r, is_egress);
	if ((rc = compiler_rules_push(x->out, &r)) < 0)
		return rc;
	/* Default deny: what no rule allowed. */
	sg_base(x, &r, is_egress, PRIO_SG_DENY);
	match_ct(&r, CT_TRK, CT_TRK);
	act_drop(&r);
	return compiler_rules_push(x->out, &r);
}

/* One rule with one remote prefix (NULL: any). */
static int
sg_emit(const struct sg_ctx *x, const struct net_view_sg_rule *sr,
	const struct net_addr *remote)
{
	bool is_egress = sr->direction == NET_SG_EGRESS;
	int proto = sr->protocol;
	uint16_t val[32], mask[32];
	size_t n = 1;
	struct dp_rule base, r;
	int rc;

	sg_base(x, &base, is_egress, PRIO_SG_RULE);
	match_ct(&base, CT_TRK, CT_TRK | CT_RPL | CT_INV);
	match_u16n(&base, DP_F_ETH_TYPE,
		   sr->ethertype == 6 ? ETH_IP6 : ETH_IP4);
	if (sr->ethertype == 6 && proto == 1)
		proto = 58; /* "icmp" with IPv6 means ICMPv6 */
	if (proto >= 0 && proto <= 255)
		match_u8(&base, DP_F_NW_PROTO, (uint8_t)proto);
	if (remote != NULL)
		match_addr(&base, is_egress, remote);
	if (proto == 1 || proto == 58) {
		/* port_range_min/max are the ICMP type and code. */
		if (sr->port_min >= 0 && sr->port_min <= 255)
			match_u16n(&base, DP_F_TP_SRC, (uint16_t)sr->port_min);
		if (sr->port_min >= 0 && sr->port_max >= 0 &&
		    sr->port_max <= 255)
			match_u16n(&base, DP_F_TP_DST, (uint16_t)sr->port_max);
		val[0] = 0;
		mask[0] = 0;
	} else if ((proto == 6 || proto == 17) && sr->port_min >= 0) {
		uint32_t lo = (uint32_t)sr->port_min & 0xffff;
		uint32_t hi = sr->port_max >= 0
				      ? (uint32_t)sr->port_max & 0xffff
				      : lo;

		if (hi < lo)
			return 0;
		n = port_blocks(lo, hi, val, mask);
	} else {
		val[0] = 0;
		mask[0] = 0;
	}
	for (size_t i = 0; i < n; i++) {
		r = base;
		if (mask[i] != 0) {
			uint16_t v = htons(val[i]), m = htons(mask[i]);

			match_masked(&r, DP_F_TP_DST, &v, &m);
		}
		act_ct(&r, x->zone, DP_CT_COMMIT,
		       is_egress ? COMPILER_T_L2 : COMPILER_T_SG_IN_OUT,
		       DP_NAT_NONE, NULL);
		if ((rc = push_once(x->out, x->from, &r)) < 0)
			return rc;
	}
	return 0;
}

/* A rule, its remote group expanded to the members' addresses. */
static int
sg_rule(const struct sg_ctx *x, const struct net_view_sg_rule *sr)
{
	const struct net_view *v = x->v;
	unsigned ver = sr->ethertype == 6 ? 6 : 4;
	struct net_addr a;
	int rc;

	if (sr->ethertype != 4 && sr->ethertype != 6)
		return 0;
	if (sr->remote_group_id[0] == '\0') {
		if (sr->remote_prefix.version == 0)
			return sg_emit(x, sr, NULL);
		if (sr->remote_prefix.version != ver)
			return 0;
		return sg_emit(x, sr, &sr->remote_prefix);
	}
	for (size_t i = 0; i < v->n_ports; i++) {
		const struct net_view_port *m = &v->ports[i];

		if (!port_in_sg(m, sr->remote_group_id))
			continue;
		for (unsigned j = 0; j < m->n_ips && j < NET_PORT_IPS_MAX;
		     j++) {
			if (m->ips[j].ip.version != ver)
				continue;
			a = host_addr(&m->ips[j].ip);
			if ((rc = sg_emit(x, sr, &a)) < 0)
				return rc;
		}
		for (unsigned j = 0; j < m->n_pairs && j < NET_PAIRS_MAX; j++) {
			if (m->pairs[j].ip.version != ver)
				continue;
			if ((rc = sg_emit(x, sr, &m->pairs[j].ip)) < 0)
				return rc;
		}
	}
	return 0;
}

int
compiler_port_sg(const struct net_view *v, const struct net_view_port *p,
		 struct compiler_rules *out)
{
	struct sg_ctx x = {
		.v = v,
		.p = p,
		.c = compiler_cookie_port_sg(p->id),
		.zone = compiler_port_zone(p),
		.out = out,
		.from = out->n,
	};
	int rc;

	if (!compiler_port_has_sg(p) || port_live_net(v, p) == NULL)
		return 0;
	for (int dir = 0; dir < 2; dir++)
		if ((rc = sg_fixed(&x, dir == NET_SG_EGRESS)) < 0)
			return rc;
	/* Groups in the port's order, rules in the view's: deterministic. */
	for (unsigned g = 0; g < p->n_sgs && g < NET_PORT_SGS_MAX; g++) {
		if (net_view_sg(v, p->sgs[g]) == NULL)
			continue;
		for (size_t i = 0; i < v->n_sg_rules; i++) {
			const struct net_view_sg_rule *sr = &v->sg_rules[i];

			if (strcmp(sr->sg_id, p->sgs[g]) != 0)
				continue;
			if ((rc = sg_rule(&x, sr)) < 0)
				return rc;
		}
	}
	rules_dedup(out, x.from);
	return 0;
}

/* Routers. */

enum { ROUTER_IFS_MAX = 64 };

struct rtr {
	const struct net_view *v;
	const struct net_view_router *r;
	uint64_t c;
	uint32_t reg;
	uint16_t zone;
	size_t n_ifs;
	const struct net_view_port *ifs[ROUTER_IFS_MAX];
	const struct net_view_network *if_nets[ROUTER_IFS_MAX];
	const struct net_view_port *gw; /* NULL: no external gateway */
	const struct net_view_network *gw_net;
	const struct net_addr *gw_ip4; /* first IPv4 of the gateway */
	const struct net_addr *gw_ip6; /* first IPv6 of the gateway */
	struct compiler_rules *out;
	size_t from;
};

static bool
addr_in(const struct net_addr *ip, const struct net_addr *cidr)
{
	unsigned len = cidr->prefix_len, bytes;

	if (ip->version != cidr->version)
		return false;
	bytes = len / 8;
	if (memcmp(ip->a, cidr->a, bytes) != 0)
		return false;
	if (len % 8 == 0)
		return true;
	return ((ip->a[bytes] ^ cidr->a[bytes]) & (0xff00 >> (len % 8))) == 0;
}

static void
rtr_load(struct rtr *x, const struct net_view *v,
	 const struct net_view_router *r)
{
	memset(x, 0, sizeof(*x));
	x->v = v;
	x->r = r;
	x->c = compiler_cookie_router(r->id);
	x->reg = compiler_router_reg(r->id);
	x->zone = compiler_router_zone(r->id);
	for (size_t i = 0; i < v->n_ports && x->n_ifs < ROUTER_IFS_MAX; i++) {
		const struct net_view_port *p = &v->ports[i];
		const struct net_view_network *n;

		if (strcmp(p->device_id, r->id) != 0 ||
		    strncmp(p->device_owner, "network:router_interface", 24) !=
			    0 ||
		    !p->is_admin_up || (n = net_up(v, p->network_id)) == NULL)
			continue;
		x->ifs[x->n_ifs] = p;
		x->if_nets[x->n_ifs++] = n;
	}
	if (r->gw_port_id[0] != '\0') {
		const struct net_view_port *g = net_view_port(v, r->gw_port_id);
		const struct net_view_network *n =
			g != NULL ? net_up(v, g->network_id) : NULL;

		if (n != NULL && n->is_external) {
			x->gw = g;
			x->gw_net = n;
			for (unsigned i = 0; i < g->n_ips; i++)
				if (g->ips[i].ip.version == 4) {
					x->gw_ip4 = &g->ips[i].ip;
					break;
				}
			for (unsigned i = 0; i < g->n_ips; i++)
				if (g->ips[i].ip.version == 6) {
					x->gw_ip6 = &g->ips[i].ip;
					break;
				}
		}
	}
}

/* T1 ARP answer for a router address on network seg. */
static int
rtr_arp(struct rtr *x, uint64_t c, uint32_t seg, const uint8_t ip[4],
	const uint8_t mac[6])
{
	struct dp_rule r;

	rule_init(&r, c, COMPILER_T_ARP, PRIO_R_ARP);
	match_u32h(&r, DP_F_METADATA, seg);
	match_u16n(&r, DP_F_ETH_TYPE, ETH_ARP);
	match_u8(&r, DP_F_NW_PROTO, 1);
	match_exact(&r, DP_F_NW_DST, ip);
	memcpy(act_push(&r, DP_ACT_ARP_REPLY)->u.mac, mac, 6);
	act_output(&r, DP_PORT_IN_PORT);
	return push_once(x->out, x->from, &r);
}

/* Neighbor solicitations for a of router port p: the datapath answers. */
static int
rtr_nd(struct rtr *x, const struct net_view_port *p,
       const struct net_view_network *n, const uint8_t a[16])
{
	/* RFC 4291 2.7.1: the solicited-node group, and unicast. */
	uint8_t snm[16] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};
	struct dp_rule r;
	int rc;

	memcpy(snm + 13, a + 13, 3);
	for (int k = 0; k < 2; k++) {
		rule_init(&r, x->c, COMPILER_T_L2, PRIO_R_ND);
		match_u32h(&r, DP_F_METADATA, n->segment_id);
		match_u16n(&r, DP_F_ETH_TYPE, ETH_IP6);
		match_u8(&r, DP_F_NW_PROTO, 58);
		match_u16n(&r, DP_F_TP_SRC, 135);
		match_exact(&r, DP_F_IPV6_DST, k ? a : snm);
		memcpy(act_push(&r, DP_ACT_ND_REPLY)->u.mac, p->mac, 6);
		act_output(&r, DP_PORT_IN_PORT);
		if ((rc = push_once(x->out, x->from, &r)) < 0)
			return rc;
	}
	return 0;
}

/* A router MAC on a network: answer for its addresses, take its IP. */
static int
rtr_attach(struct rtr *x, const struct net_view_port *p,
	   const struct net_view_network *n)
{
	bool has_ll = false;
	struct dp_rule r;
	int rc;

	for (unsigned i = 0; i < p->n_ips && i < NET_PORT_IPS_MAX; i++) {
		const struct net_addr *ip = &p->ips[i].ip;

		if (ip->version == 4) {
			if ((rc = rtr_arp(x, x->c, n->segment_id, ip->a,
					  p->mac)) < 0)
				return rc;
			continue;
		}
		if (ip->version != 6)
			continue;
		if ((rc = rtr_nd(x, p, n, ip->a)) < 0)
			return rc;
		/* Its EUI-64 link-local address too: the advertisements'
		 * source, the guests' default router (l3svc.h). */
		if (!has_ll) {
			uint8_t ll[16];

			has_ll = true;
			l3svc_link_local(p->mac, ll);
			if ((rc = rtr_nd(x, p, n, ll)) < 0)
				return rc;
		}
	}
	for (int k = 0; k < 2; k++) {
		rule_init(&r, x->c, COMPILER_T_L2, PRIO_R_IN);
		match_u32h(&r, DP_F_METADATA, n->segment_id);
		match_exact(&r, DP_F_ETH_DST, p->mac);
		match_u16n(&r, DP_F_ETH_TYPE, k ? ETH_IP6 : ETH_IP4);
		act_set_u32h(&r, DP_F_REG0, x->reg);
		act_goto(&r, COMPILER_T_ROUTER);
		if ((rc = push_once(x->out, x->from, &r)) < 0)
			return rc;
	}
	return 0;
}

/*
 * A router interface with an IPv6 subnet that has an ipv6_ra_mode: its
 * network's router solicitations go to sluiced (l3svc_router_solicit()),
 * which answers with the advertisement.
 */
static int
rtr_rs(struct rtr *x, const struct net_view_port *p,
       const struct net_view_network *n)
{
	struct dp_rule r;

	for (unsigned i = 0; i < p->n_ips && i < NET_PORT_IPS_MAX; i++) {
		const struct net_view_subnet *s =
			net_view_subnet(x->v, p->ips[i].subnet_id);

		if (p->ips[i].ip.version != 6 || s == NULL ||
		    s->ra_mode == NET_V6_NONE)
			continue;
		rule_init(&r, x->c, COMPILER_T_L2, PRIO_R_ND);
		match_u32h(&r, DP_F_METADATA, n->segment_id);
		match_u16n(&r, DP_F_ETH_TYPE, ETH_IP6);
		match_u8(&r, DP_F_NW_PROTO, 58);
		match_u16n(&r, DP_F_TP_SRC, 133);
		act_push(&r, DP_ACT_PUNT)->u.reason = COMPILER_PUNT_RS;
		return push_once(x->out, x->from, &r);
	}
	return 0;
}

/* T17: to a known port's address (or via it): rewrite and on to SNAT. */
static int
rtr_to_port(struct rtr *x, const struct net_addr *dst, uint32_t prio,
	    const uint8_t src_mac[6], const struct net_view_port *q,
	    uint32_t seg)
{
	struct dp_rule r;

	rule_init(&r, x->c, COMPILER_T_ROUTE, prio);
	match_u32h(&r, DP_F_REG0, x->reg);
	match_u16n(&r, DP_F_ETH_TYPE, dst->version == 4 ? ETH_IP4 : ETH_IP6);
	match_addr(&r, true, dst);
	act_push(&r, DP_ACT_DEC_TTL);
	act_set(&r, DP_F_ETH_SRC, src_mac);
	act_set(&r, DP_F_ETH_DST, q->mac);
	act_set_u32h(&r, DP_F_METADATA, seg);
	act_goto(&r, COMPILER_T_SNAT);
	return push_once(x->out, x->from, &r);
}

/* T17: to the external network, next hop (0: the destination; an IPv6
 * one as compiler_nh6_tag()) by T18. */
static int
rtr_to_ext(struct rtr *x, const struct net_addr *dst, uint32_t prio,
	   uint32_t nexthop)
{
	struct dp_rule r;

	rule_init(&r, x->c, COMPILER_T_ROUTE, prio);
	match_u32h(&r, DP_F_REG0, x->reg);
	match_u16n(&r, DP_F_ETH_TYPE, dst->version == 4 ? ETH_IP4 : ETH_IP6);
	match_addr(&r, true, dst);
	act_push(&r, DP_ACT_DEC_TTL);
	act_set(&r, DP_F_ETH_SRC, x->gw->mac);
	act_set_u32h(&r, DP_F_METADATA, x->gw_net->segment_id);
	act_set_u32h(&r, DP_F_REG1, nexthop);
	act_goto(&r, COMPILER_T_NEIGH);
	return push_once(x->out, x->from, &r);
}

/* Live ports of network n with an address in subnet_id: host routes. */
static int
rtr_hosts(struct rtr *x, const struct net_view_network *n,
	  const char *subnet_id, const uint8_t src_mac[6])
{
	const struct net_view *v = x->v;
	int rc;

	for (size_t i = 0; i < v->n_ports; i++) {
		const struct net_view_port *q = &v->ports[i];

		if (compiler_port_is_router(q) || port_live_net(v, q) != n)
			continue;
		for (unsigned j = 0; j < q->n_ips && j < NET_PORT_IPS_MAX;
		     j++) {
			struct net_addr h;

			if (strcmp(q->ips[j].subnet_id, subnet_id) != 0)
				continue;
			h = host_addr(&q->ips[j].ip);
			if ((rc = rtr_to_port(x, &h, PRIO_R_HOST, src_mac, q,
					      n->segment_id)) < 0)
				return rc;
		}
	}
	return 0;
}

/* A live non-router port on a router network holding address ip. */
static const struct net_view_port *
rtr_find_host(struct rtr *x, const struct net_addr *ip,
	      const struct net_view_network **netp, const uint8_t **src_mac)
{
	const struct net_view *v = x->v;

	for (size_t i = 0; i < v->n_ports; i++) {
		const struct net_view_port *q = &v->ports[i];
		const struct net_view_network *n;

		if (compiler_port_is_router(q) ||
		    (n = port_live_net(v, q)) == NULL)
			continue;
		for (unsigned j = 0; j < q->n_ips && j < NET_PORT_IPS_MAX;
		     j++) {
			if (q->ips[j].ip.version != ip->version ||
			    memcmp(q->ips[j].ip.a, ip->a, 16) != 0)
				continue;
			for (size_t k = 0; k < x->n_ifs; k++)
				if (x->if_nets[k] == n) {
					*netp = n;
					*src_mac = x->ifs[k]->mac;
					return q;
				}
			if (x->gw != NULL && x->gw_net == n) {
				*netp = n;
				*src_mac = x->gw->mac;
				return q;
			}
		}
	}
	return NULL;
}

/* True if ip is inside one of the gateway port's subnets. */
static bool
rtr_on_ext(struct rtr *x, const struct net_addr *ip)
{
	if (x->gw == NULL)
		return false;
	for (unsigned i = 0; i < x->gw->n_ips && i < NET_PORT_IPS_MAX; i++) {
		const struct net_view_subnet *s =
			net_view_subnet(x->v, x->gw->ips[i].subnet_id);

		if (s != NULL && addr_in(ip, &s->cidr))
			return true;
	}
	return false;
}

/* A static or default route: via a known port, or a learned next hop. */
static int
rtr_route(struct rtr *x, const struct net_addr *dst,
	  const struct net_addr *nexthop)
{
	const struct net_view_network *n;
	const struct net_view_port *q;
	const uint8_t *src_mac;
	uint32_t nh;

	if (dst->version != nexthop->version)
		return 0;
	q = rtr_find_host(x, nexthop, &n, &src_mac);
	if (q != NULL)
		return rtr_to_port(x, dst, PRIO_R_ROUTE + dst->prefix_len,
				   src_mac, q, n->segment_id);
	if (!rtr_on_ext(x, nexthop))
		return 0;
	if (dst->version == 6)
		return rtr_to_ext(x, dst, PRIO_R_ROUTE + dst->prefix_len,
				  compiler_nh6_tag(nexthop->a));
	memcpy(&nh, nexthop->a, 4);
	return rtr_to_ext(x, dst, PRIO_R_ROUTE + dst->prefix_len, ntohl(nh));
}

static int
rtr_own_addr(struct rtr *x, const struct net_addr *ip)
{
	struct net_addr h = host_addr(ip);
	struct dp_rule r;
	int rc;

	rule_init(&r, x->c, COMPILER_T_ROUTE, PRIO_R_LOCAL);
	match_u32h(&r, DP_F_REG0, x->reg);
	match_u16n(&r, DP_F_ETH_TYPE, ip->version == 4 ? ETH_IP4 : ETH_IP6);
	match_addr(&r, true, &h);
	if (ip->version == 4) {
		act_push(&r, DP_ACT_PUNT)->u.reason = COMPILER_PUNT_ROUTER_ICMP;
		return push_once(x->out, x->from, &r);
	}
	act_drop(&r);
	if ((rc = push_once(x->out, x->from, &r)) < 0)
		return rc;
	/* ICMPv6 echo requests to it: answered by sluiced (l3svc.h). */
	rule_init(&r, x->c, COMPILER_T_ROUTE, PRIO_R_LOCAL + 1);
	match_u32h(&r, DP_F_REG0, x->reg);
	match_u16n(&r, DP_F_ETH_TYPE, ETH_IP6);
	match_addr(&r, true, &h);
	match_u8(&r, DP_F_NW_PROTO, 58);
	match_u16n(&r, DP_F_TP_SRC, 128);
	act_push(&r, DP_ACT_PUNT)->u.reason = COMPILER_PUNT_ROUTER_ICMP;
	return push_once(x->out, x->from, &r);
}

/* T17 for one interface (or the gateway): hosts, subnet, own address. */
static int
rtr_connected(struct rtr *x, const struct net_view_port *p,
	      const struct net_view_network *n, bool is_gw)
{
	struct dp_rule r;
	int rc;

	for (unsigned i = 0; i < p->n_ips && i < NET_PORT_IPS_MAX; i++) {
		const struct net_view_subnet *s =
			net_view_subnet(x->v, p->ips[i].subnet_id);

		if ((rc = rtr_own_addr(x, &p->ips[i].ip)) < 0)
			return rc;
		if (s == NULL || s->cidr.version != p->ips[i].ip.version)
			continue;
		if ((rc = rtr_hosts(x, n, s->id, p->mac)) < 0)
			return rc;
		if (is_gw) {
			/* Other hosts there: by learned neighbour. */
			if ((rc = rtr_to_ext(x, &s->cidr,
					     PRIO_R_ROUTE + s->cidr.prefix_len,
					     0)) < 0)
				return rc;
			continue;
		}
		/* Not a known port of the subnet: nowhere to go. */
		rule_init(&r, x->c, COMPILER_T_ROUTE,
			  PRIO_R_ROUTE + s->cidr.prefix_len);
		match_u32h(&r, DP_F_REG0, x->reg);
		match_u16n(&r, DP_F_ETH_TYPE,
			   s->cidr.version == 4 ? ETH_IP4 : ETH_IP6);
		match_addr(&r, true, &s->cidr);
		act_drop(&r);
		if ((rc = push_once(x->out, x->from, &r)) < 0)
			return rc;
	}
	return 0;
}

/* T16: TTL punt, un-NAT; T18/T19 defaults; SNAT of the subnets. */
static int
rtr_stages(struct rtr *x)
{
	bool is_nat = x->gw != NULL && x->gw_ip4 != NULL;
	struct dp_rule r;
	int rc;

	for (int k = 0; k < 2; k++) {
		uint8_t zero = 0, fe = 0xfe;

		rule_init(&r, x->c, COMPILER_T_ROUTER, PRIO_R_TTL);
		match_u32h(&r, DP_F_REG0, x->reg);
		match_u16n(&r, DP_F_ETH_TYPE, k ? ETH_IP6 : ETH_IP4);
		match_masked(&r, DP_F_NW_TTL, &zero, &fe);
		act_push(&r, DP_ACT_PUNT)->u.reason = COMPILER_PUNT_TTL;
		if ((rc = compiler_rules_push(x->out, &r)) < 0)
			return rc;
		/* IPv4 of a NAT router: through its zone, which applies
		 * the binding of a known connection (both ways). */
		rule_init(&r, x->c, COMPILER_T_ROUTER, PRIO_R_PRE);
		match_u32h(&r, DP_F_REG0, x->reg);
		match_u16n(&r, DP_F_ETH_TYPE, k ? ETH_IP6 : ETH_IP4);
		if (is_nat && k == 0)
			act_ct(&r, x->zone, DP_CT_NAT, COMPILER_T_ROUTE,
			       DP_NAT_NONE, NULL);
		else
			act_goto(&r, COMPILER_T_ROUTE);
		if ((rc = compiler_rules_push(x->out, &r)) < 0)
			return rc;
	}
	rule_init(&r, x->c, COMPILER_T_SNAT, PRIO_R_DEFAULT);
	match_u32h(&r, DP_F_REG0, x->reg);
	act_goto(&r, COMPILER_T_L2_ROUTED);
	if ((rc = compiler_rules_push(x->out, &r)) < 0)
		return rc;
	if (x->gw == NULL)
		return 0;
	/* No learned MAC for the next hop: ask sluiced to resolve it. */
	rule_init(&r, x->c, COMPILER_T_NEIGH, PRIO_R_DEFAULT);
	match_u32h(&r, DP_F_REG0, x->reg);
	act_push(&r, DP_ACT_PUNT)->u.reason = COMPILER_PUNT_NEIGH_MISS;
	if ((rc = compiler_rules_push(x->out, &r)) < 0)
		return rc;
	if (x->gw_ip6 != NULL) {
		/* Neighbor advertisements to the gateway's IPv6 address
		 * (answers to sluiced's solicitations): learning. */
		rule_init(&r, x->c, COMPILER_T_L2, PRIO_R_ND);
		match_u32h(&r, DP_F_METADATA, x->gw_net->segment_id);
		match_u16n(&r, DP_F_ETH_TYPE, ETH_IP6);
		match_u8(&r, DP_F_NW_PROTO, 58);
		match_u16n(&r, DP_F_TP_SRC, 136);
		match_exact(&r, DP_F_IPV6_DST, x->gw_ip6->a);
		act_push(&r, DP_ACT_PUNT)->u.reason = COMPILER_PUNT_ND_LEARN;
		if ((rc = compiler_rules_push(x->out, &r)) < 0)
			return rc;
	}
	if (!is_nat)
		return 0;
	/* ARP replies to the gateway address: learning (sluiced asked). */
	rule_init(&r, x->c, COMPILER_T_ARP, PRIO_R_ARP_LEARN);
	match_u32h(&r, DP_F_METADATA, x->gw_net->segment_id);
	match_u16n(&r, DP_F_ETH_TYPE, ETH_ARP);
	match_u8(&r, DP_F_NW_PROTO, 2);
	match_exact(&r, DP_F_NW_DST, x->gw_ip4->a);
	act_push(&r, DP_ACT_PUNT)->u.reason = COMPILER_PUNT_ARP_LEARN;
	if ((rc = compiler_rules_push(x->out, &r)) < 0)
		return rc;
	if (!x->r->is_snat)
		return 0;
	/* New connections from the router's subnets leave as the gateway. */
	for (size_t i = 0; i < x->n_ifs; i++) {
		const struct net_view_port *p = x->ifs[i];

		for (unsigned j = 0; j < p->n_ips && j < NET_PORT_IPS_MAX;
		     j++) {
			const struct net_view_subnet *s =
				net_view_subnet(x->v, p->ips[j].subnet_id);

			if (s == NULL || s->cidr.version != 4)
				continue;
			rule_init(&r, x->c, COMPILER_T_SNAT, PRIO_R_SNAT);
			match_u32h(&r, DP_F_REG0, x->reg);
			match_u32h(&r, DP_F_METADATA, x->gw_net->segment_id);
			match_u16n(&r, DP_F_ETH_TYPE, ETH_IP4);
			match_ct(&r, CT_TRK | CT_NEW,
				 CT_TRK | CT_NEW | CT_RPL | CT_INV);
			match_addr(&r, false, &s->cidr);
			act_ct(&r, x->zone, DP_CT_COMMIT | DP_CT_NAT,
			       COMPILER_T_L2_ROUTED, DP_NAT_SRC, x->gw_ip4->a);
			if ((rc = push_once(x->out, x->from, &r)) < 0)
				return rc;
		}
	}
	return 0;
}

int
compiler_router(const struct net_view *v, const struct net_view_router *r,
		struct compiler_rules *out)
{
	struct rtr *x;
	int rc = 0;

	if (!r->is_admin_up)
		return 0;
	x = malloc(sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	rtr_load(x, v, r);
	x->out = out;
	x->from = out->n;
	if (x->n_ifs == 0 && x->gw == NULL)
		goto out;
	for (size_t i = 0; i < x->n_ifs; i++) {
		if ((rc = rtr_attach(x, x->ifs[i], x->if_nets[i])) < 0 ||
		    (rc = rtr_rs(x, x->ifs[i], x->if_nets[i])) < 0 ||
		    (rc = rtr_connected(x, x->ifs[i], x->if_nets[i], false)) <
			    0)
			goto out;
	}
	if (x->gw != NULL &&
	    ((rc = rtr_attach(x, x->gw, x->gw_net)) < 0 ||
	     (rc = rtr_connected(x, x->gw, x->gw_net, true)) < 0))
		goto out;
	for (unsigned i = 0; i < r->n_routes && i < NET_ROUTER_ROUTES_MAX; i++)
		if ((rc = rtr_route(x, &r->routes[i].dst,
				    &r->routes[i].nexthop)) < 0)
			goto out;
	/* The default routes: the external subnets' gateways (the first
	 * IPv4 one, the first IPv6 one). */
	for (uint8_t ver = 4; x->gw != NULL && ver <= 6; ver += 2) {
		for (unsigned i = 0; i < x->gw->n_ips && i < NET_PORT_IPS_MAX;
		     i++) {
			const struct net_view_subnet *s =
				net_view_subnet(v, x->gw->ips[i].subnet_id);
			struct net_addr any = {.version = ver};

			if (s == NULL || s->gateway.version != ver ||
			    s->cidr.version != ver)
				continue;
			if ((rc = rtr_route(x, &any, &s->gateway)) < 0)
				goto out;
			break;
		}
	}
	rc = rtr_stages(x);
	if (rc == 0)
		rules_dedup(out, x->from);
out:
	free(x);
	return rc;
}

int
compiler_neigh(const struct net_view *v, const struct net_view_router *r,
	       const uint8_t ip[4], const uint8_t mac[6],
	       struct compiler_rules *out)
{
	uint64_t c = compiler_cookie_neigh(r->id, ip);
	uint32_t reg = compiler_router_reg(r->id), nh;
	struct dp_rule rl;
	int rc;

	(void)v;
	memcpy(&nh, ip, 4);
	/* Via a route (reg1 = next hop) or directly (reg1 0, the dst). */
	rule_init(&rl, c, COMPILER_T_NEIGH, PRIO_R_NEIGH);
	match_u32h(&rl, DP_F_REG0, reg);
	match_u32h(&rl, DP_F_REG1, ntohl(nh));
	act_set(&rl, DP_F_ETH_DST, mac);
	act_goto(&rl, COMPILER_T_SNAT);
	if ((rc = compiler_rules_push(out, &rl)) < 0)
		return rc;
	rule_init(&rl, c, COMPILER_T_NEIGH, PRIO_R_NEIGH);
	match_u32h(&rl, DP_F_REG0, reg);
	match_u32h(&rl, DP_F_REG1, 0);
	match_u16n(&rl, DP_F_ETH_TYPE, ETH_IP4);
	match_exact(&rl, DP_F_NW_DST, ip);
	act_set(&rl, DP_F_ETH_DST, mac);
	act_goto(&rl, COMPILER_T_SNAT);
	return compiler_rules_push(out, &rl);
}

int
compiler_neigh6(const struct net_view *v, const struct net_view_router *r,
		const uint8_t ip[16], const uint8_t mac[6],
		struct compiler_rules *out)
{
	uint64_t c = compiler_cookie_neigh6(r->id, ip);
	uint32_t reg = compiler_router_reg(r->id);
	struct dp_rule rl;
	int rc;

	(void)v;
	for (int k = 0; k < 2; k++) {
		/* Via a route (reg1 = its tag) or directly (reg1 0). */
		rule_init(&rl, c, COMPILER_T_NEIGH, PRIO_R_NEIGH);
		match_u32h(&rl, DP_F_REG0, reg);
		match_u32h(&rl, DP_F_REG1, k ? 0 : compiler_nh6_tag(ip));
		match_u16n(&rl, DP_F_ETH_TYPE, ETH_IP6);
		if (k)
			match_exact(&rl, DP_F_IPV6_DST, ip);
		act_set(&rl, DP_F_ETH_DST, mac);
		act_goto(&rl, COMPILER_T_SNAT);
		if ((rc = compiler_rules_push(out, &rl)) < 0)
			return rc;
	}
	return 0;
}

/* Floating IPs. */

/* The router of an associated floating IP (its router_id, else the one
 * with the port's network as interface and a gateway on its network). */
static const struct net_view_router *
fip_router(const struct net_view *v, const struct net_view_fip *f,
	   const struct net_view_port *p)
{
	if (f->router_id[0] != '\0')
		return net_view_router(v, f->router_id);
	for (size_t i = 0; i < v->n_routers; i++) {
		const struct net_view_router *r = &v->routers[i];
		const struct net_view_port *g = net_view_port(v, r->gw_port_id);

		if (g == NULL ||
		    strcmp(g->network_id, f->floating_network_id) != 0)
			continue;
		for (size_t j = 0; j < v->n_ports; j++) {
			const struct net_view_port *q = &v->ports[j];

			if (strcmp(q->device_id, r->id) == 0 &&
			    strcmp(q->network_id, p->network_id) == 0 &&
			    strncmp(q->device_owner, "network:router_interface",
				    24) == 0)
				return r;
		}
	}
	return NULL;
}

const struct net_view_router *
compiler_fip_router(const struct net_view *v, const struct net_view_fip *f)
{
	const struct net_view_port *p = net_view_port(v, f->port_id);

	return f->port_id[0] != '\0' && p != NULL ? fip_router(v, f, p) : NULL;
}

int
compiler_fip(const struct net_view *v, const struct net_view_fip *f,
	     struct compiler_rules *out)
{
	const struct net_view_router *rt;
	const struct net_view_port *p;
	struct dp_rule r;
	struct rtr *x;
	int rc = 0;

	if (f->port_id[0] == '\0' || f->floating_ip.version != 4 ||
	    f->fixed_ip.version != 4 ||
	    (p = net_view_port(v, f->port_id)) == NULL ||
	    (rt = fip_router(v, f, p)) == NULL || !rt->is_admin_up)
		return 0;
	x = malloc(sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	rtr_load(x, v, rt);
	x->out = out;
	x->from = out->n;
	x->c = compiler_cookie_fip(f->id);
	if (x->gw == NULL ||
	    strcmp(x->gw->network_id, f->floating_network_id) != 0)
		goto out;
	/* The floating address answers ARP with the gateway's MAC. */
	if ((rc = rtr_arp(x, x->c, x->gw_net->segment_id, f->floating_ip.a,
			  x->gw->mac)) < 0)
		goto out;
	/* Outside -> floating IP: DNAT to the fixed IP, then routed. */
	rule_init(&r, x->c, COMPILER_T_ROUTER, PRIO_R_FIP_DNAT);
	match_u32h(&r, DP_F_REG0, x->reg);
	match_u32h(&r, DP_F_METADATA, x->gw_net->segment_id);
	match_u16n(&r, DP_F_ETH_TYPE, ETH_IP4);
	match_exact(&r, DP_F_NW_DST, f->floating_ip.a);
	act_ct(&r, x->zone, DP_CT_COMMIT | DP_CT_NAT, COMPILER_T_ROUTE,
	       DP_NAT_DST, f->fixed_ip.a);
	if ((rc = compiler_rules_push(out, &r)) < 0)
		goto out;
	/* The port's new connections out: from the floating IP. */
	rule_init(&r, x->c, COMPILER_T_SNAT, PRIO_R_FIP_SNAT);
	match_u32h(&r, DP_F_REG0, x->reg);
	match_u32h(&r, DP_F_METADATA, x->gw_net->segment_id);
	match_u16n(&r, DP_F_ETH_TYPE, ETH_IP4);
	match_ct(&r, CT_TRK | CT_NEW, CT_TRK | CT_NEW | CT_RPL | CT_INV);
	match_exact(&r, DP_F_NW_SRC, f->fixed_ip.a);
	act_ct(&r, x->zone, DP_CT_COMMIT | DP_CT_NAT, COMPILER_T_L2_ROUTED,
	       DP_NAT_SRC, f->floating_ip.a);
	rc = compiler_rules_push(out, &r);
	if (rc == 0)
		rules_dedup(out, x->from);
out:
	free(x);
	return rc;
}

/* Dependencies. */

static int
deps_add(uint64_t **cookies, size_t *n, size_t *cap, uint64_t c)
{
	uint64_t *nc;

	for (size_t i = 0; i < *n; i++)
		if ((*cookies)[i] == c)
			return 0;
	if (*n == *cap) {
		size_t ncap = *cap != 0 ? *cap * 2 : 16;

		nc = realloc(*cookies, ncap * sizeof(*nc));
		if (nc == NULL)
			return -ENOMEM;
		*cookies = nc;
		*cap = ncap;
	}
	(*cookies)[(*n)++] = c;
	return 0;
}

/* Routers with an interface or gateway on network_id. */
static int
deps_routers_of_net(const struct net_view *v, const char *network_id,
		    uint64_t **cookies, size_t *n, size_t *cap)
{
	int rc;

	for (size_t i = 0; i < v->n_ports; i++) {
		const struct net_view_port *q = &v->ports[i];

		if (strcmp(q->network_id, network_id) != 0 ||
		    strncmp(q->device_owner, "network:router_", 15) != 0 ||
		    net_view_router(v, q->device_id) == NULL)
			continue;
		if ((rc = compiler_deps_router(v, q->device_id, cookies, n,
					       cap)) < 0)
			return rc;
	}
	return 0;
}

int
compiler_deps_router(const struct net_view *v, const char *router_id,
		     uint64_t **cookies, size_t *n, size_t *cap)
{
	int rc;

	if ((rc = deps_add(cookies, n, cap,
			   compiler_cookie_router(router_id))) < 0)
		return rc;
	for (size_t i = 0; i < v->n_fips; i++) {
		const struct net_view_fip *f = &v->fips[i];
		const struct net_view_port *p;
		const struct net_view_router *r;

		if (f->port_id[0] == '\0' ||
		    (p = net_view_port(v, f->port_id)) == NULL ||
		    (r = fip_router(v, f, p)) == NULL ||
		    strcmp(r->id, router_id) != 0)
			continue;
		if ((rc = deps_add(cookies, n, cap,
				   compiler_cookie_fip(f->id))) < 0)
			return rc;
	}
	return 0;
}

int
compiler_deps_port(const struct net_view *v, const char *port_id,
		   uint64_t **cookies, size_t *n, size_t *cap)
{
	const struct net_view_port *p = net_view_port(v, port_id);
	const struct net_view_network *net;
	int rc;

	if ((rc = deps_add(cookies, n, cap, compiler_cookie_port(port_id))) <
		    0 ||
	    (rc = deps_add(cookies, n, cap, compiler_cookie_port_sg(port_id))) <
		    0)
		return rc;
	if (p != NULL) {
		net = net_view_network(v, p->network_id);
		if (net != NULL &&
		    (rc = deps_add(cookies, n, cap,
				   compiler_cookie_network(net->segment_id))) <
			    0)
			return rc;
		if ((rc = deps_routers_of_net(v, p->network_id, cookies, n,
					      cap)) < 0)
			return rc;
		if (compiler_port_is_router(p) &&
		    net_view_router(v, p->device_id) != NULL &&
		    (rc = compiler_deps_router(v, p->device_id, cookies, n,
					       cap)) < 0)
			return rc;
	}
	for (size_t i = 0; i < v->n_fips; i++)
		if (strcmp(v->fips[i].port_id, port_id) == 0 &&
		    (rc = deps_add(cookies, n, cap,
				   compiler_cookie_fip(v->fips[i].id))) < 0)
			return rc;
	/*
	 * Its addresses may be new to groups: ports whose rules name one of
	 * its (current) groups as remote group. Those of groups it left are
	 * the caller's to name (sluiced's dpsync does, from the old port).
	 */
	for (size_t i = 0; p != NULL && i < v->n_sg_rules; i++) {
		const struct net_view_sg_rule *sr = &v->sg_rules[i];

		if (sr->remote_group_id[0] == '\0' ||
		    !port_in_sg(p, sr->remote_group_id))
			continue;
		for (size_t j = 0; j < v->n_ports; j++)
			if (port_in_sg(&v->ports[j], sr->sg_id) &&
			    (rc = deps_add(cookies, n, cap,
					   compiler_cookie_port_sg(
						   v->ports[j].id))) < 0)
				return rc;
	}
	return 0;
}

int
compiler_deps_sg(const struct net_view *v, const char *sg_id,
		 uint64_t **cookies, size_t *n, size_t *cap)
{
	int rc;

	for (size_t j = 0; j < v->n_ports; j++) {
		const struct net_view_port *p = &v->ports[j];
		bool is_dep = port_in_sg(p, sg_id);

		for (size_t i = 0; i < v->n_sg_rules && !is_dep; i++)
			is_dep = strcmp(v->sg_rules[i].remote_group_id,
					sg_id) == 0 &&
				 port_in_sg(p, v->sg_rules[i].sg_id);
		if (is_dep &&
		    (rc = deps_add(cookies, n, cap,
				   compiler_cookie_port_sg(p->id))) < 0)
			return rc;
	}
	return 0;
}
