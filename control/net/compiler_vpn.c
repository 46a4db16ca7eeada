/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * compiler_vpn.c: the flow rules that carry VPNaaS traffic through a
 * router's tunnels (compiler_vpn.h). The router's own rules
 * (compiler_l3.c) are untouched: the tunnel's encrypt rule sits above
 * every route in T17, so packets to a peer CIDR never reach SNAT as
 * themselves (only their ESP does, whose source is the gateway), and the
 * decrypt rules sit above the router MAC's rule in T2. The layout and its
 * reasons are in docs/vpnaas.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "compiler_int.h"
#include "compiler_vpn.h"

enum {
	PRIO_V_ENCRYPT = 400,  /* T17: above host (300) and local (290) */
	PRIO_V_IKE = 131,      /* T2: IKE to the gateway address */
	PRIO_V_DECRYPT = 130,  /* T2: above the router MAC's rule (120) */
	PRIO_V_INNER = 100,    /* T12: inner addresses of the SA */
	PRIO_V_INNER_DROP = 1, /* T12: anything else of the SA */
	ETH_IP4 = 0x0800,
	PROTO_ESP = 50,
	PROTO_UDP = 17,
	PORT_IKE = 500,
	PORT_NATT = 4500,
};

static uint64_t
vpn_cookie(enum compiler_vpn_kind kind, const char *id)
{
	return COMPILER_VPN_COOKIE_NS | ((uint64_t)kind << 48) |
	       (compiler_hash(id, 0) & 0xffffffffffffULL);
}

uint64_t
compiler_vpn_cookie_tunnel(const char *conn_id)
{
	return vpn_cookie(COMPILER_VPN_KIND_TUNNEL, conn_id);
}

uint64_t
compiler_vpn_cookie_gateway(const char *router_id)
{
	return vpn_cookie(COMPILER_VPN_KIND_GATEWAY, router_id);
}

const struct net_view_router *
compiler_vpn_router_by_gw(const struct net_view *v, const uint8_t ip[4])
{
	for (size_t i = 0; i < v->n_routers; i++) {
		const struct net_view_router *r = &v->routers[i];
		const struct net_view_port *p;

		if (r->gw_port_id[0] == '\0' ||
		    (p = net_view_port(v, r->gw_port_id)) == NULL)
			continue;
		for (unsigned j = 0; j < p->n_ips && j < NET_PORT_IPS_MAX; j++)
			if (p->ips[j].ip.version == 4 &&
			    memcmp(p->ips[j].ip.a, ip, 4) == 0)
				return r;
	}
	return NULL;
}

static const char *
tunnel_router(const struct net_view *v, const struct compiler_vpn_tunnel *t)
{
	const struct net_view_router *r;

	if (t->router_id[0] != '\0')
		return t->router_id;
	r = compiler_vpn_router_by_gw(v, t->local_ip);
	return r != NULL ? r->id : NULL;
}

/* The router's external gateway, as compiler_l3.c sees it. */
struct vpn_gw {
	const struct net_view_router *r;
	const struct net_view_port *port;
	const struct net_view_network *net;
	const struct net_addr *ip4;
	const struct net_view_subnet *subnet; /* ip4's */
};

static int
vpn_gw_load(const struct net_view *v, const char *router_id, struct vpn_gw *g)
{
	const struct net_view_network *n;

	memset(g, 0, sizeof(*g));
	g->r = net_view_router(v, router_id);
	if (g->r == NULL || !g->r->is_admin_up || g->r->gw_port_id[0] == '\0')
		return -ENOENT;
	g->port = net_view_port(v, g->r->gw_port_id);
	if (g->port == NULL)
		return -ENOENT;
	n = net_view_network(v, g->port->network_id);
	if (n == NULL || !n->is_admin_up || n->segment_id == 0 ||
	    !n->is_external)
		return -ENOENT;
	g->net = n;
	for (unsigned i = 0; i < g->port->n_ips && i < NET_PORT_IPS_MAX; i++)
		if (g->port->ips[i].ip.version == 4) {
			g->ip4 = &g->port->ips[i].ip;
			g->subnet =
				net_view_subnet(v, g->port->ips[i].subnet_id);
			break;
		}
	return g->ip4 != NULL ? 0 : -ENOENT;
}

static bool
in_prefix(const uint8_t ip[4], const struct net_addr *p)
{
	uint32_t a, b, m;

	if (p->version != 4 || p->prefix_len > 32)
		return false;
	memcpy(&a, ip, 4);
	memcpy(&b, p->a, 4);
	m = p->prefix_len == 0 ? 0 : htonl(~0u << (32 - p->prefix_len));
	return ((a ^ b) & m) == 0;
}

/*
 * reg1 for T18, as l3svc_arp_request() resolves the hop: 0 when the peer
 * is on the external subnet (T18 then matches nw_dst = peer), else the
 * longest static route's next hop there, else the subnet's gateway.
 */
static uint32_t
vpn_nexthop(const struct vpn_gw *g, const uint8_t peer[4])
{
	const struct net_addr *nh = NULL;
	unsigned best = 0;
	uint32_t v;

	if (g->subnet != NULL && in_prefix(peer, &g->subnet->cidr))
		return 0;
	for (unsigned i = 0; i < g->r->n_routes && i < NET_ROUTER_ROUTES_MAX;
	     i++) {
		const struct net_view_route *rt = &g->r->routes[i];

		if (!in_prefix(peer, &rt->dst) || rt->nexthop.version != 4 ||
		    g->subnet == NULL ||
		    !in_prefix(rt->nexthop.a, &g->subnet->cidr) ||
		    rt->dst.prefix_len + 1u <= best)
			continue;
		best = rt->dst.prefix_len + 1u;
		nh = &rt->nexthop;
	}
	if (nh == NULL && g->subnet != NULL && g->subnet->gateway.version == 4)
		nh = &g->subnet->gateway;
	if (nh == NULL)
		return 0;
	memcpy(&v, nh->a, 4);
	return ntohl(v);
}

static bool
cidr_ok(const struct net_addr *a)
{
	return a->version == 4 && a->prefix_len <= 32;
}

int
compiler_vpn_tunnel(const struct net_view *v,
		    const struct compiler_vpn_tunnel *t,
		    struct compiler_rules *out)
{
	uint64_t c = compiler_vpn_cookie_tunnel(t->conn_id);
	const char *rid = tunnel_router(v, t);
	unsigned n_ch = t->n_children, n_l = t->n_local, n_p = t->n_peer;
	const struct compiler_vpn_child *last;
	uint32_t reg, nh;
	struct dp_rule r;
	struct vpn_gw g;
	int rc;

	if ((n_ch == 0 && !t->is_trap) || rid == NULL ||
	    vpn_gw_load(v, rid, &g) < 0)
		return 0;
	reg = compiler_router_reg(rid);
	n_ch = n_ch < COMPILER_VPN_CHILDREN_MAX ? n_ch
						: COMPILER_VPN_CHILDREN_MAX;
	n_l = n_l < COMPILER_VPN_CIDRS_MAX ? n_l : COMPILER_VPN_CIDRS_MAX;
	n_p = n_p < COMPILER_VPN_CIDRS_MAX ? n_p : COMPILER_VPN_CIDRS_MAX;
	if (n_ch == 0) {
		/* The trap: where the encrypt rules were, a punt. */
		for (unsigned i = 0; i < n_l; i++) {
			for (unsigned j = 0; j < n_p; j++) {
				if (!cidr_ok(&t->local[i]) ||
				    !cidr_ok(&t->peer[j]))
					continue;
				rule_init(&r, c, COMPILER_T_ROUTE,
					  PRIO_V_ENCRYPT +
						  t->peer[j].prefix_len);
				match_u32h(&r, DP_F_REG0, reg);
				match_u16n(&r, DP_F_ETH_TYPE, ETH_IP4);
				match_prefix(&r, DP_F_NW_SRC, &t->local[i]);
				match_prefix(&r, DP_F_NW_DST, &t->peer[j]);
				act_push(&r, DP_ACT_PUNT)->u.reason =
					COMPILER_PUNT_VPN_TRAP;
				if ((rc = compiler_rules_push(out, &r)) < 0)
					return rc;
			}
		}
		return 0;
	}
	last = &t->children[n_ch - 1];
	nh = vpn_nexthop(&g, t->peer_ip);
	for (unsigned i = 0; i < n_l; i++) {
		for (unsigned j = 0; j < n_p; j++) {
			if (!cidr_ok(&t->local[i]) || !cidr_ok(&t->peer[j]))
				continue;
			/* Out: encrypt, then towards the peer as the
			 * gateway (T18 finds the MAC, T19 does not NAT
			 * the gateway's own source, T20 sends). */
			rule_init(&r, c, COMPILER_T_ROUTE,
				  PRIO_V_ENCRYPT + t->peer[j].prefix_len);
			match_u32h(&r, DP_F_REG0, reg);
			match_u16n(&r, DP_F_ETH_TYPE, ETH_IP4);
			match_prefix(&r, DP_F_NW_SRC, &t->local[i]);
			match_prefix(&r, DP_F_NW_DST, &t->peer[j]);
			act_push(&r, DP_ACT_DEC_TTL);
			act_push(&r, DP_ACT_ESP_ENCRYPT)->u.esp.sa =
				last->sa_out;
			act_set(&r, DP_F_ETH_SRC, g.port->mac);
			act_set_u32h(&r, DP_F_METADATA, g.net->segment_id);
			act_set_u32h(&r, DP_F_REG1, nh);
			act_goto(&r, COMPILER_T_NEIGH);
			if ((rc = compiler_rules_push(out, &r)) < 0)
				return rc;
			/* In: only what the SA was negotiated for. */
			for (unsigned k = 0; k < n_ch; k++) {
				rule_init(&r, c, COMPILER_T_VPN_IN,
					  PRIO_V_INNER);
				match_u32h(&r, DP_F_REG1, t->children[k].sa_in);
				match_u16n(&r, DP_F_ETH_TYPE, ETH_IP4);
				match_prefix(&r, DP_F_NW_SRC, &t->peer[j]);
				match_prefix(&r, DP_F_NW_DST, &t->local[i]);
				act_set_u32h(&r, DP_F_REG0, reg);
				act_set_u32h(&r, DP_F_REG1, 0);
				act_goto(&r, COMPILER_T_ROUTER);
				if ((rc = compiler_rules_push(out, &r)) < 0)
					return rc;
			}
		}
	}
	/* Anything else that arrives on the tunnel's SAs: dropped, and
	 * counted on this rule. */
	for (unsigned k = 0; k < n_ch; k++) {
		rule_init(&r, c, COMPILER_T_VPN_IN, PRIO_V_INNER_DROP);
		match_u32h(&r, DP_F_REG1, t->children[k].sa_in);
		act_drop(&r);
		if ((rc = compiler_rules_push(out, &r)) < 0)
			return rc;
	}
	return 0;
}

/* One T2 rule to the gateway's MAC and IPv4 address. */
static void
gw_rule(struct dp_rule *r, uint64_t c, const struct vpn_gw *g, uint32_t prio,
	uint8_t proto)
{
	rule_init(r, c, COMPILER_T_L2, prio);
	match_u32h(r, DP_F_METADATA, g->net->segment_id);
	match_exact(r, DP_F_ETH_DST, g->port->mac);
	match_u16n(r, DP_F_ETH_TYPE, ETH_IP4);
	match_u8(r, DP_F_NW_PROTO, proto);
	match_exact(r, DP_F_NW_DST, g->ip4->a);
}

int
compiler_vpn_gateway(const struct net_view *v, const char *router_id,
		     bool is_ike_punt, struct compiler_rules *out)
{
	uint64_t c = compiler_vpn_cookie_gateway(router_id);
	uint32_t reg = compiler_router_reg(router_id), zero = 0;
	struct dp_rule r;
	struct vpn_gw g;
	int rc;

	if (vpn_gw_load(v, router_id, &g) < 0)
		return 0;
	gw_rule(&r, c, &g, PRIO_V_DECRYPT, PROTO_ESP);
	act_push(&r, DP_ACT_ESP_DECRYPT)->u.esp.table = COMPILER_T_VPN_IN;
	if ((rc = compiler_rules_push(out, &r)) < 0)
		return rc;
	/* ESP in UDP (RFC 3948): the parser leaves esp_spi 0 for IKE. */
	gw_rule(&r, c, &g, PRIO_V_DECRYPT, PROTO_UDP);
	match_u16n(&r, DP_F_TP_DST, PORT_NATT);
	act_push(&r, DP_ACT_ESP_DECRYPT)->u.esp.table = COMPILER_T_VPN_IN;
	if ((rc = compiler_rules_push(out, &r)) < 0)
		return rc;
	for (int k = 0; k < 2; k++) {
		gw_rule(&r, c, &g, PRIO_V_IKE, PROTO_UDP);
		match_u16n(&r, DP_F_TP_DST, k ? PORT_NATT : PORT_IKE);
		if (k)
			match_exact(&r, DP_F_ESP_SPI, &zero);
		if (is_ike_punt) {
			act_push(&r, DP_ACT_PUNT)->u.reason = COMPILER_PUNT_IKE;
		} else {
			/* As the router's MAC rule would: IKE is served by
			 * a socket on this address elsewhere. */
			act_set_u32h(&r, DP_F_REG0, reg);
			act_goto(&r, COMPILER_T_ROUTER);
		}
		if ((rc = compiler_rules_push(out, &r)) < 0)
			return rc;
	}
	return 0;
}

int
compiler_vpn_all(const struct net_view *v, const struct compiler_vpn_tunnel *t,
		 size_t n, bool is_ike_punt, struct compiler_rules *out)
{
	int rc;

	if (is_ike_punt) {
		/* IKE through the datapath: every gateway, tunnel or not
		 * (the first IKE message comes before any child SA). */
		for (size_t i = 0; i < v->n_routers; i++)
			if ((rc = compiler_vpn_gateway(v, v->routers[i].id,
						       true, out)) < 0)
				return rc;
		for (size_t i = 0; i < n; i++)
			if ((rc = compiler_vpn_tunnel(v, &t[i], out)) < 0)
				return rc;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		const char *rid = tunnel_router(v, &t[i]);
		bool is_first = rid != NULL;

		if ((rc = compiler_vpn_tunnel(v, &t[i], out)) < 0)
			return rc;
		for (size_t j = 0; j < i && is_first; j++) {
			const char *o = tunnel_router(v, &t[j]);

			if (o != NULL && strcmp(o, rid) == 0)
				is_first = false;
		}
		if (is_first &&
		    (rc = compiler_vpn_gateway(v, rid, is_ike_punt, out)) < 0)
			return rc;
	}
	return 0;
}
