/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * compiler_lb.c: the flow rules of a load balancer's VIP
 * (compiler_lb.h). A client's packet reaches table 2 with the VIP's MAC
 * (answered in table 1) as destination; the listener's rule there runs
 * lb_select, which picks a member and rewrites the packet to (LB source
 * port, VIP) -> (member, member port); table 9 then gives it the
 * member's MAC and hands it to table 20, where the member's own rule
 * for routed delivery (and its ingress security groups) deliver it
 * (goto only goes forward, so table 2 cannot be visited again). The member's
 * reply is addressed to the VIP: it goes through ct(zone, nat) in the LB's
 * zone, which restores (VIP, listener port) -> client; table 8 keeps only
 * established connections and table 9 delivers to the client.
 *
 * Routed clients: for each router with an interface on the VIP's
 * network, table 16 (after the router's ingress, before its un-NAT) runs
 * the same lb_select for (VIP, listener) and for (floating IP of the VIP
 * port, listener) from the router's gateway network, and continues in
 * the router's table 17, which routes to the member. Replies whose
 * client is not on the VIP's network leave table 9 for the router's
 * table 17 (reg0 = the router) by the client's subnet or, through a
 * router with a gateway, by default route. Members on other subnets of
 * the router answer the VIP through the router: table 16 un-NATs them
 * in the LB's zone (docs/lbaas.md "Flow rules").
 *
 * A listener with allowed_cidrs gets its lb_select rules once per
 * allowed prefix (nw_src); other clients fall to the ct(nat) of the LB's
 * zone (which still passes a member's reply whose LB port happens to be
 * the listener's, and packets of connections made before the list
 * changed), and what that does not find is dropped by a rule of its own
 * in table 8 (the VIP's network) or 17 (routed, floating IP), whose
 * counter `sluicectl dp dump` shows.
 *
 * An IPv6 VIP (lb->family 6) gets the same rules with ipv6/ipv6_dst
 * (ipv6_src for allowed_cidrs) and the lb_select of an IPv6 datapath
 * pool; neighbour solicitations for the VIP (to its solicited-node
 * group or to the VIP itself) are answered in table 2 with nd_reply, as
 * compiler_l3.c answers them for router addresses; floating IPs are
 * IPv4 only (no IPv6 NAT in Neutron), so an IPv6 VIP has none.
 */
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "compiler_int.h"
#include "compiler_lb.h"

enum {
	PRIO_LB_ARP = 205,	  /* T1: above a port's answer (200) */
	PRIO_LB_ND = 265,	  /* T2: NS for an IPv6 VIP, above the
				   * VIP's ct(nat) rule (250) */
	PRIO_LB_LISTENER = 260,	  /* T2: above router (150) and ports (100) */
	PRIO_LB_VIP = 250,	  /* T2: anything else to the VIP */
	PRIO_LB_DELIVER = 100,	  /* T9: a port's address */
	PRIO_LB_ROUTED = 50,	  /* T9: + prefix length, via a router */
	PRIO_LB_DEFAULT = 40,	  /* T9: the rest via a gateway router */
	PRIO_LB_R_LISTENER = 250, /* T16: below TTL punt (300), above
				   * floating IP DNAT (200) */
	PRIO_LB_R_FIP_CT = 245,	  /* T16: a restricted listener on a FIP,
				   * other clients: ct(nat) of the zone */
	PRIO_LB_R_VIP = 240,	  /* T16: members' replies via a router */
	PRIO_LB_R_DENIED = 310,	  /* T17: above host routes (300) */
	PRIO_LB_EST = 100,	  /* T8: established */
	PRIO_LB_DENIED = 50,	  /* T8: new, outside allowed_cidrs */
	PRIO_LB_DROP = 1,	  /* T8/T9: the rest */
	LB_ETH_IP4 = 0x0800,
	LB_ETH_IP6 = 0x86dd,
	LB_ICMP6 = 58,
	LB_ND_NS = 135,
	LB_ETH_ARP = 0x0806,
	LB_ARP_REQUEST = 1,
};

uint64_t
compiler_lb_cookie(const char *vip_port_id)
{
	return COMPILER_LB_COOKIE_NS | (1ULL << 48) |
	       (compiler_hash(vip_port_id, 0) & 0xffffffffffffULL);
}

uint16_t
compiler_lb_zone(const char *vip_port_id)
{
	return (uint16_t)(COMPILER_LB_ZONE_BASE |
			  (compiler_hash(vip_port_id, 0x6c62) & 0x3ff));
}

static bool
lb_is6(const struct compiler_lb *lb)
{
	return lb->family == 6;
}

/* Bytes of an address of lb's family. */
static unsigned
lb_alen(const struct compiler_lb *lb)
{
	return lb_is6(lb) ? 16 : 4;
}

/* Match lb's IP ethertype and, when dst is not NULL, the destination. */
static void
lb_match_ip(struct dp_rule *r, const struct compiler_lb *lb, const uint8_t *dst)
{
	match_u16n(r, DP_F_ETH_TYPE, lb_is6(lb) ? LB_ETH_IP6 : LB_ETH_IP4);
	if (dst != NULL)
		match_exact(r, lb_is6(lb) ? DP_F_IPV6_DST : DP_F_NW_DST, dst);
}

static int
lb_check(const struct compiler_lb *lb)
{
	static const uint8_t zero[16];

	if (lb->vip_port_id[0] == '\0' ||
	    memchr(lb->vip_port_id, '\0', sizeof(lb->vip_port_id)) == NULL ||
	    memchr(lb->network_id, '\0', sizeof(lb->network_id)) == NULL ||
	    (lb->family != 0 && lb->family != 4 && lb->family != 6) ||
	    memcmp(lb->vip, zero, lb_alen(lb)) == 0 ||
	    lb->n_listeners > COMPILER_LB_LISTENERS_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < lb->n_listeners; i++) {
		const struct compiler_lb_listener *l = &lb->listeners[i];

		if ((l->proto != IPPROTO_TCP && l->proto != IPPROTO_UDP) ||
		    l->port == 0 || l->pool == 0 ||
		    l->n_cidrs > COMPILER_LB_CIDRS_MAX)
			return -EINVAL;
		for (unsigned k = 0; k < l->n_cidrs; k++)
			if (l->cidrs[k].len > 8 * lb_alen(lb))
				return -EINVAL;
	}
	return 0;
}

/* T9: packets to one of p's fixed IPs of the VIP's family get its MAC. */
static int
lb_deliver_port(const struct compiler_lb *lb, const struct net_view_port *p,
		uint32_t seg, uint64_t c, struct compiler_rules *out)
{
	struct dp_rule r;
	int rc;

	for (unsigned i = 0; i < p->n_ips && i < NET_PORT_IPS_MAX; i++) {
		const struct net_addr *ip = &p->ips[i].ip;

		if (ip->version != (lb_is6(lb) ? 6 : 4) ||
		    memcmp(ip->a, lb->vip, lb_alen(lb)) == 0)
			continue;
		rule_init(&r, c, COMPILER_T_LB_DELIVER, PRIO_LB_DELIVER);
		match_u32h(&r, DP_F_METADATA, seg);
		lb_match_ip(&r, lb, ip->a);
		act_set(&r, DP_F_ETH_SRC, lb->vip_mac);
		act_set(&r, DP_F_ETH_DST, p->mac);
		act_goto(&r, COMPILER_T_L2_ROUTED);
		if ((rc = compiler_rules_push(out, &r)) < 0)
			return rc;
	}
	return 0;
}

/* A rule of the same identity (table, priority, match) in out[from..). */
static bool
lb_has_rule(const struct compiler_rules *out, size_t from,
	    const struct dp_rule *r)
{
	for (size_t i = from; i < out->n; i++) {
		const struct dp_rule *q = &out->rules[i];

		if (q->table == r->table && q->priority == r->priority &&
		    memcmp(&q->match, &r->match, sizeof(r->match)) == 0 &&
		    memcmp(&q->mask, &r->mask, sizeof(r->mask)) == 0)
			return true;
	}
	return false;
}

/* Push r unless out[from..) has one of its identity (the first wins). */
static int
lb_push_once(struct compiler_rules *out, size_t from, const struct dp_rule *r)
{
	return lb_has_rule(out, from, r) ? 0 : compiler_rules_push(out, r);
}

/*
 * A listener's lb_select rule r: as it is, or for a restricted listener
 * once per allowed prefix with nw_src matched (none: no rule). Rules of
 * an identity already in out[from..) are not repeated (the same prefix
 * twice, or two that differ only in host bits).
 */
static int
lb_push_allowed(struct compiler_rules *out, size_t from,
		const struct compiler_lb *lb,
		const struct compiler_lb_listener *l, const struct dp_rule *r)
{
	struct dp_rule q;
	int rc;

	if (!l->is_restricted)
		return lb_push_once(out, from, r);
	for (unsigned k = 0; k < l->n_cidrs; k++) {
		struct net_addr a = {.version = lb_is6(lb) ? 6 : 4,
				     .prefix_len = l->cidrs[k].len};

		memcpy(a.a, l->cidrs[k].addr, lb_alen(lb));
		q = *r;
		match_prefix(&q, lb_is6(lb) ? DP_F_IPV6_SRC : DP_F_NW_SRC, &a);
		if ((rc = lb_push_once(out, from, &q)) < 0)
			return rc;
	}
	return 0;
}

/*
 * Match a listener's packets to dst in r: lb's IP version, its protocol
 * and port, and, for the drop rules of restricted listeners, +trk-est (a
 * client outside allowed_cidrs whose packet ct(nat) of the zone did not
 * find).
 */
static void
lb_match_listener(struct dp_rule *r, const struct compiler_lb *lb,
		  const struct compiler_lb_listener *l, const uint8_t *dst,
		  bool is_new)
{
	if (is_new)
		match_ct(r, DP_CS_TRK, DP_CS_TRK | DP_CS_EST);
	lb_match_ip(r, lb, NULL);
	match_u8(r, DP_F_NW_PROTO, l->proto);
	match_exact(r, lb_is6(lb) ? DP_F_IPV6_DST : DP_F_NW_DST, dst);
	match_u16n(r, DP_F_TP_DST, l->port);
}

/* Where routed rules go: the owner's cookie, zone, first rule. */
struct lb_ctx {
	const struct net_view *v;
	const struct compiler_lb *lb;
	uint32_t seg; /* the VIP's network */
	uint64_t c;
	uint16_t zone;
	struct compiler_rules *out;
	size_t from;
};

/* The network of a router's gateway port when it may route (else NULL). */
static const struct net_view_network *
lb_gw_net(const struct net_view *v, const struct net_view_router *rt)
{
	const struct net_view_port *g;
	const struct net_view_network *n;

	if (rt->gw_port_id[0] == '\0' ||
	    (g = net_view_port(v, rt->gw_port_id)) == NULL ||
	    (n = net_view_network(v, g->network_id)) == NULL ||
	    !n->is_admin_up || n->segment_id == 0 || !n->is_external)
		return NULL;
	return n;
}

/*
 * T16 of router reg: each listener's (protocol, port) on dst (the VIP or
 * a floating IP; from network gw_seg only when not 0) to lb_select, then
 * the router's T17 routes to the member.
 */
static int
lb_r_listeners(struct lb_ctx *x, uint32_t reg, uint32_t gw_seg,
	       const uint8_t *dst)
{
	struct dp_rule r;
	int rc;

	for (unsigned i = 0; i < x->lb->n_listeners; i++) {
		const struct compiler_lb_listener *l = &x->lb->listeners[i];
		struct dp_action *a;

		rule_init(&r, x->c, COMPILER_T_ROUTER, PRIO_LB_R_LISTENER);
		match_u32h(&r, DP_F_REG0, reg);
		if (gw_seg != 0)
			match_u32h(&r, DP_F_METADATA, gw_seg);
		lb_match_listener(&r, x->lb, l, dst, false);
		a = act_push(&r, DP_ACT_LB_SELECT);
		a->u.lb.pool = l->pool;
		a->u.lb.zone = x->zone;
		a->u.lb.table = COMPILER_T_ROUTE;
		if ((rc = lb_push_allowed(x->out, x->from, x->lb, l, &r)) < 0)
			return rc;
		if (!l->is_restricted)
			continue;
		/*
		 * The other clients meet ct(nat) of the zone (on the VIP,
		 * the members' rule below; on a floating IP, this one), so
		 * a reply whose LB port is a listener's still gets through,
		 * and their new connections are dropped in table 17.
		 */
		if (gw_seg != 0) {
			rule_init(&r, x->c, COMPILER_T_ROUTER,
				  PRIO_LB_R_FIP_CT);
			match_u32h(&r, DP_F_REG0, reg);
			match_u32h(&r, DP_F_METADATA, gw_seg);
			lb_match_listener(&r, x->lb, l, dst, false);
			act_ct(&r, x->zone, DP_CT_NAT, COMPILER_T_ROUTE,
			       DP_NAT_NONE, NULL);
			if ((rc = lb_push_once(x->out, x->from, &r)) < 0)
				return rc;
		}
		rule_init(&r, x->c, COMPILER_T_ROUTE, PRIO_LB_R_DENIED);
		match_u32h(&r, DP_F_REG0, reg);
		lb_match_listener(&r, x->lb, l, dst, true);
		act_drop(&r);
		if ((rc = lb_push_once(x->out, x->from, &r)) < 0)
			return rc;
	}
	return 0;
}

/* T9: nw_dst in cidr (NULL: any) leaves for router reg's table 17. */
static int
lb_t9_route(struct lb_ctx *x, uint32_t reg, const struct net_addr *cidr)
{
	struct dp_rule r;

	rule_init(&r, x->c, COMPILER_T_LB_DELIVER,
		  cidr != NULL ? PRIO_LB_ROUTED + cidr->prefix_len
			       : PRIO_LB_DEFAULT);
	match_u32h(&r, DP_F_METADATA, x->seg);
	lb_match_ip(&r, x->lb, NULL);
	if (cidr != NULL)
		match_prefix(&r, lb_is6(x->lb) ? DP_F_IPV6_DST : DP_F_NW_DST,
			     cidr);
	act_set_u32h(&r, DP_F_REG0, reg);
	act_goto(&r, COMPILER_T_ROUTE);
	return lb_push_once(x->out, x->from, &r);
}

/* Floating IPs of the VIP port: their listeners, a default route back. */
static int
lb_fips(struct lb_ctx *x)
{
	const struct net_view *v = x->v;
	int rc;

	if (lb_is6(x->lb))
		return 0; /* floating IPs are IPv4 */
	for (size_t i = 0; i < v->n_fips; i++) {
		const struct net_view_fip *f = &v->fips[i];
		const struct net_view_router *rt;
		const struct net_view_network *gn;
		uint32_t reg;

		if (strcmp(f->port_id, x->lb->vip_port_id) != 0 ||
		    f->floating_ip.version != 4 ||
		    (rt = compiler_fip_router(v, f)) == NULL ||
		    !rt->is_admin_up || (gn = lb_gw_net(v, rt)) == NULL ||
		    strcmp(gn->id, f->floating_network_id) != 0)
			continue;
		reg = compiler_router_reg(rt->id);
		if ((rc = lb_r_listeners(x, reg, gn->segment_id,
					 f->floating_ip.a)) < 0 ||
		    (rc = lb_t9_route(x, reg, NULL)) < 0)
			return rc;
	}
	return 0;
}

/* A router with an interface on the VIP's network. */
static int
lb_router(struct lb_ctx *x, const struct net_view_router *rt)
{
	const struct net_view *v = x->v;
	uint32_t reg = compiler_router_reg(rt->id);
	struct dp_rule r;
	int rc;

	if ((rc = lb_r_listeners(x, reg, 0, x->lb->vip)) < 0)
		return rc;
	/* Members on its other subnets answer the VIP through it. */
	rule_init(&r, x->c, COMPILER_T_ROUTER, PRIO_LB_R_VIP);
	match_u32h(&r, DP_F_REG0, reg);
	lb_match_ip(&r, x->lb, x->lb->vip);
	act_ct(&r, x->zone, DP_CT_NAT, COMPILER_T_ROUTE, DP_NAT_NONE, NULL);
	if ((rc = lb_push_once(x->out, x->from, &r)) < 0)
		return rc;
	/* Clients on its other subnets: back through it. */
	for (size_t i = 0; i < v->n_ports; i++) {
		const struct net_view_port *q = &v->ports[i];
		const struct net_view_network *n;

		if (strcmp(q->device_id, rt->id) != 0 ||
		    strncmp(q->device_owner, "network:router_interface", 24) !=
			    0 ||
		    !q->is_admin_up ||
		    strcmp(q->network_id, x->lb->network_id) == 0 ||
		    (n = net_view_network(v, q->network_id)) == NULL ||
		    !n->is_admin_up || n->segment_id == 0)
			continue;
		for (unsigned j = 0; j < q->n_ips && j < NET_PORT_IPS_MAX;
		     j++) {
			const struct net_view_subnet *s =
				net_view_subnet(v, q->ips[j].subnet_id);

			if (s == NULL ||
			    s->cidr.version != (lb_is6(x->lb) ? 6 : 4))
				continue;
			if ((rc = lb_t9_route(x, reg, &s->cidr)) < 0)
				return rc;
		}
	}
	/* The rest (the external network) through its gateway. */
	if (lb_gw_net(v, rt) != NULL)
		return lb_t9_route(x, reg, NULL);
	return 0;
}

/* Routers on the VIP's network and floating IPs of the VIP port. */
static int
lb_routed(struct lb_ctx *x)
{
	const struct net_view *v = x->v;
	int rc;

	if ((rc = lb_fips(x)) < 0)
		return rc;
	for (size_t i = 0; i < v->n_ports; i++) {
		const struct net_view_port *q = &v->ports[i];
		const struct net_view_router *rt;

		if (strcmp(q->network_id, x->lb->network_id) != 0 ||
		    strncmp(q->device_owner, "network:router_interface", 24) !=
			    0 ||
		    !q->is_admin_up ||
		    (rt = net_view_router(v, q->device_id)) == NULL ||
		    !rt->is_admin_up)
			continue;
		if ((rc = lb_router(x, rt)) < 0)
			return rc;
	}
	return 0;
}

static int lb_rules(const struct net_view *v, const struct compiler_lb *lb,
		    struct compiler_rules *out);

/*
 * Who has the VIP? IPv4: an ARP request (T1). IPv6: a neighbour
 * solicitation (ICMPv6 135, RFC 4861 4.3) to the VIP's solicited-node
 * group (RFC 4291 2.7.1) or to the VIP itself (T2, above the VIP's
 * ct(nat) rule). Answered from the VIP port's MAC on the port it came
 * from.
 */
static int
lb_neigh(const struct compiler_lb *lb, uint32_t seg, uint64_t c,
	 struct compiler_rules *out)
{
	uint8_t snm[16] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};
	struct dp_rule r;
	int rc;

	if (!lb_is6(lb)) {
		rule_init(&r, c, COMPILER_T_ARP, PRIO_LB_ARP);
		match_u32h(&r, DP_F_METADATA, seg);
		match_u16n(&r, DP_F_ETH_TYPE, LB_ETH_ARP);
		match_u8(&r, DP_F_NW_PROTO, LB_ARP_REQUEST);
		match_exact(&r, DP_F_NW_DST, lb->vip);
		memcpy(act_push(&r, DP_ACT_ARP_REPLY)->u.mac, lb->vip_mac, 6);
		act_output(&r, DP_PORT_IN_PORT);
		return compiler_rules_push(out, &r);
	}
	memcpy(snm + 13, lb->vip + 13, 3);
	for (int k = 0; k < 2; k++) {
		rule_init(&r, c, COMPILER_T_L2, PRIO_LB_ND);
		match_u32h(&r, DP_F_METADATA, seg);
		match_u16n(&r, DP_F_ETH_TYPE, LB_ETH_IP6);
		match_u8(&r, DP_F_NW_PROTO, LB_ICMP6);
		match_u16n(&r, DP_F_TP_SRC, LB_ND_NS);
		match_exact(&r, DP_F_IPV6_DST, k ? lb->vip : snm);
		memcpy(act_push(&r, DP_ACT_ND_REPLY)->u.mac, lb->vip_mac, 6);
		act_output(&r, DP_PORT_IN_PORT);
		if ((rc = compiler_rules_push(out, &r)) < 0)
			return rc;
	}
	return 0;
}

int
compiler_lb(const struct net_view *v, const struct compiler_lb *lb,
	    struct compiler_rules *out)
{
	const struct net_view_port *p;
	struct compiler_lb full;
	int rc;

	if ((rc = lb_check(lb)) < 0)
		return rc;
	if (lb->network_id[0] != '\0')
		return lb_rules(v, lb, out);
	p = net_view_port(v, lb->vip_port_id);
	if (p == NULL)
		return 0;
	full = *lb;
	snprintf(full.network_id, sizeof(full.network_id), "%s", p->network_id);
	memcpy(full.vip_mac, p->mac, 6);
	return lb_rules(v, &full, out);
}

int
compiler_lb_all(const struct net_view *v, const struct compiler_lb *lbs,
		size_t n, struct compiler_rules *out, size_t *n_bad)
{
	int rc;

	for (size_t i = 0; i < n; i++) {
		rc = compiler_lb(v, &lbs[i], out);
		if (rc == -EINVAL) {
			if (n_bad != NULL)
				(*n_bad)++;
			continue;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
lb_rules(const struct net_view *v, const struct compiler_lb *lb,
	 struct compiler_rules *out)
{
	const struct net_view_network *net;
	struct lb_ctx x;
	uint64_t c;
	uint16_t zone;
	uint32_t seg;
	struct dp_rule r;
	int rc;

	net = net_view_network(v, lb->network_id);
	if (net == NULL || !net->is_admin_up || net->segment_id == 0)
		return 0;
	seg = net->segment_id;
	c = compiler_lb_cookie(lb->vip_port_id);
	zone = lb->zone != 0 ? lb->zone : compiler_lb_zone(lb->vip_port_id);
	x = (struct lb_ctx){
		.v = v, .lb = lb, .seg = seg, .c = c, .zone = zone, .out = out};

	/* T1 (IPv4) or T2 (IPv6): who has the VIP? Its port's MAC. */
	if ((rc = lb_neigh(lb, seg, c, out)) < 0)
		return rc;

	/*
	 * T2: a listener's (protocol, port) on the VIP: pick a member
	 * (restricted listeners: only from their allowed prefixes; other
	 * clients fall to the VIP's ct(nat) rule below).
	 */
	x.from = out->n;
	for (unsigned i = 0; i < lb->n_listeners; i++) {
		const struct compiler_lb_listener *l = &lb->listeners[i];
		struct dp_action *a;

		rule_init(&r, c, COMPILER_T_L2, PRIO_LB_LISTENER);
		match_u32h(&r, DP_F_METADATA, seg);
		lb_match_listener(&r, lb, l, lb->vip, false);
		a = act_push(&r, DP_ACT_LB_SELECT);
		a->u.lb.pool = l->pool;
		a->u.lb.zone = zone;
		a->u.lb.table = COMPILER_T_LB_DELIVER;
		if ((rc = lb_push_allowed(out, x.from, lb, l, &r)) < 0)
			return rc;
	}

	/* T2: anything else to the VIP (members' replies): un-NAT. */
	rule_init(&r, c, COMPILER_T_L2, PRIO_LB_VIP);
	match_u32h(&r, DP_F_METADATA, seg);
	lb_match_ip(&r, lb, lb->vip);
	act_ct(&r, zone, DP_CT_NAT, COMPILER_T_LB_REPLY, DP_NAT_NONE, NULL);
	if ((rc = compiler_rules_push(out, &r)) < 0)
		return rc;

	/* T8: only connections lb_select made; the rest is dropped. */
	rule_init(&r, c, COMPILER_T_LB_REPLY, PRIO_LB_EST);
	match_u32h(&r, DP_F_METADATA, seg);
	match_ct(&r, DP_CS_EST, DP_CS_EST | DP_CS_INV);
	act_goto(&r, COMPILER_T_LB_DELIVER);
	if ((rc = compiler_rules_push(out, &r)) < 0)
		return rc;
	/* T8: new connections from outside a listener's allowed_cidrs. */
	for (unsigned i = 0; i < lb->n_listeners; i++) {
		const struct compiler_lb_listener *l = &lb->listeners[i];

		if (!l->is_restricted)
			continue;
		rule_init(&r, c, COMPILER_T_LB_REPLY, PRIO_LB_DENIED);
		match_u32h(&r, DP_F_METADATA, seg);
		lb_match_listener(&r, lb, l, lb->vip, true);
		act_drop(&r);
		if ((rc = compiler_rules_push(out, &r)) < 0)
			return rc;
	}
	rule_init(&r, c, COMPILER_T_LB_REPLY, PRIO_LB_DROP);
	match_u32h(&r, DP_F_METADATA, seg);
	act_drop(&r);
	if ((rc = compiler_rules_push(out, &r)) < 0)
		return rc;

	/* T9: to the member (after lb_select) or the client (reply). */
	for (size_t i = 0; i < v->n_ports; i++) {
		const struct net_view_port *p = &v->ports[i];

		if (strcmp(p->network_id, lb->network_id) != 0 ||
		    strcmp(p->id, lb->vip_port_id) == 0)
			continue;
		if ((rc = lb_deliver_port(lb, p, seg, c, out)) < 0)
			return rc;
	}
	x.from = out->n;
	if ((rc = lb_routed(&x)) < 0)
		return rc;
	rule_init(&r, c, COMPILER_T_LB_DELIVER, PRIO_LB_DROP);
	match_u32h(&r, DP_F_METADATA, seg);
	act_drop(&r);
	return compiler_rules_push(out, &r);
}
