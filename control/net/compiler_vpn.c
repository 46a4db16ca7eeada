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
	ETH_IP6 = 0x86dd,
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
compiler_vpn_router_by_gw(const struct net_view *v, const uint8_t *ip, bool is6)
{
	unsigned alen = is6 ? 16 : 4;

	for (size_t i = 0; i < v->n_routers; i++) {
		const struct net_view_router *r = &v->routers[i];
		const struct net_view_port *p;

		if (r->gw_port_id[0] == '\0' ||
		    (p = net_view_port(v, r->gw_port_id)) == NULL)
			continue;
		for (unsigned j = 0; j < p->n_ips && j < NET_PORT_IPS_MAX; j++)
			if (p->ips[j].ip.version == (is6 ? 6 : 4) &&
			    memcmp(p->ips[j].ip.a, ip, alen) == 0)
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
	r = compiler_vpn_router_by_gw(v, t->local_ip, t->is_outer6);
	return r != NULL ? r->id : NULL;
}

/* The router's external gateway, as compiler_l3.c sees it. */
struct vpn_gw {
	const struct net_view_router *r;
	const struct net_view_port *port;
	const struct net_view_network *net;
	const struct net_addr *ip4, *ip6;		/* the first of each */
	const struct net_view_subnet *subnet, *subnet6; /* ip4's, ip6's */
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
	for (unsigned i = 0; i < g->port->n_ips && i < NET_PORT_IPS_MAX; i++) {
		const struct net_view_fixed_ip *f = &g->port->ips[i];

		if (f->ip.version == 4 && g->ip4 == NULL) {
			g->ip4 = &f->ip;
			g->subnet = net_view_subnet(v, f->subnet_id);
		} else if (f->ip.version == 6 && g->ip6 == NULL) {
			g->ip6 = &f->ip;
			g->subnet6 = net_view_subnet(v, f->subnet_id);
		}
	}
	return g->ip4 != NULL || g->ip6 != NULL ? 0 : -ENOENT;
}

/* True if ip (the prefix's family: 4 or 16 bytes) is in prefix p. */
static bool
in_prefix(const uint8_t *ip, const struct net_addr *p)
{
	unsigned bits = p->prefix_len, i;

	if ((p->version != 4 || bits > 32) && (p->version != 6 || bits > 128))
		return false;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (ip[i] != p->a[i])
			return false;
	return bits == 0 || ((ip[i] ^ p->a[i]) & (0xff00 >> bits)) == 0;
}

/*
 * reg1 for T18, as l3svc_arp_request() resolves the hop: 0 when the peer
 * is on the external subnet (T18 then matches nw_dst = peer), else the
 * longest static route's next hop there, else the subnet's gateway. An
 * IPv6 peer (is6): the same on the IPv6 external subnet, the hop as
 * compiler_nh6_tag() (l3svc_nd_request() resolves it).
 */
static uint32_t
vpn_nexthop(const struct vpn_gw *g, const uint8_t *peer, bool is6)
{
	const struct net_view_subnet *sn = is6 ? g->subnet6 : g->subnet;
	uint8_t ver = is6 ? 6 : 4;
	const struct net_addr *nh = NULL;
	unsigned best = 0;
	uint32_t v;

	if (sn != NULL && in_prefix(peer, &sn->cidr))
		return 0;
	for (unsigned i = 0; i < g->r->n_routes && i < NET_ROUTER_ROUTES_MAX;
	     i++) {
		const struct net_view_route *rt = &g->r->routes[i];

		if (!in_prefix(peer, &rt->dst) || rt->nexthop.version != ver ||
		    sn == NULL || !in_prefix(rt->nexthop.a, &sn->cidr) ||
		    rt->dst.prefix_len + 1u <= best)
			continue;
		best = rt->dst.prefix_len + 1u;
		nh = &rt->nexthop;
	}
	if (nh == NULL && sn != NULL && sn->gateway.version == ver)
		nh = &sn->gateway;
	if (nh == NULL)
		return 0;
	if (is6)
		return compiler_nh6_tag(nh->a); /* as l3svc_nd_request() */
	memcpy(&v, nh->a, 4);
	return ntohl(v);
}

/* A local and a peer CIDR of one family (IPv4 or IPv6 inner traffic). */
static bool
pair_ok(const struct net_addr *a, const struct net_addr *b)
{
	return a->version == b->version &&
	       ((a->version == 4 && a->prefix_len <= 32 &&
		 b->prefix_len <= 32) ||
		(a->version == 6 && a->prefix_len <= 128 &&
		 b->prefix_len <= 128));
}

/* The inner header is IPv4 or IPv6 (pair_ok) from src to dst. */
static void
match_inner(struct dp_rule *r, const struct net_addr *src,
	    const struct net_addr *dst)
{
	bool is6 = src->version == 6;

	match_u16n(r, DP_F_ETH_TYPE, is6 ? ETH_IP6 : ETH_IP4);
	match_prefix(r, is6 ? DP_F_IPV6_SRC : DP_F_NW_SRC, src);
	match_prefix(r, is6 ? DP_F_IPV6_DST : DP_F_NW_DST, dst);
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
	    vpn_gw_load(v, rid, &g) < 0 ||
	    (t->is_outer6 ? g.ip6 : g.ip4) == NULL)
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
				if (!pair_ok(&t->local[i], &t->peer[j]))
					continue;
				rule_init(&r, c, COMPILER_T_ROUTE,
					  PRIO_V_ENCRYPT +
						  t->peer[j].prefix_len);
				match_u32h(&r, DP_F_REG0, reg);
				match_inner(&r, &t->local[i], &t->peer[j]);
				act_push(&r, DP_ACT_PUNT)->u.reason =
					COMPILER_PUNT_VPN_TRAP;
				if ((rc = compiler_rules_push(out, &r)) < 0)
					return rc;
			}
		}
		return 0;
	}
	last = &t->children[n_ch - 1];
	nh = vpn_nexthop(&g, t->peer_ip, t->is_outer6);
	for (unsigned i = 0; i < n_l; i++) {
		for (unsigned j = 0; j < n_p; j++) {
			if (!pair_ok(&t->local[i], &t->peer[j]))
				continue;
			/* Out: encrypt, then towards the peer as the
			 * gateway (T18 finds the MAC, T19 does not NAT
			 * the gateway's own source, T20 sends). The
			 * inner packet may be IPv4 or IPv6, the ESP is
			 * the SA's. */
			rule_init(&r, c, COMPILER_T_ROUTE,
				  PRIO_V_ENCRYPT + t->peer[j].prefix_len);
			match_u32h(&r, DP_F_REG0, reg);
			match_inner(&r, &t->local[i], &t->peer[j]);
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
				match_inner(&r, &t->peer[j], &t->local[i]);
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

/* One T2 rule to the gateway's MAC and address ip (IPv4 or IPv6). */
static void
gw_rule(struct dp_rule *r, uint64_t c, const struct vpn_gw *g,
	const struct net_addr *ip, uint32_t prio, uint8_t proto)
{
	bool is6 = ip->version == 6;

	rule_init(r, c, COMPILER_T_L2, prio);
	match_u32h(r, DP_F_METADATA, g->net->segment_id);
	match_exact(r, DP_F_ETH_DST, g->port->mac);
	match_u16n(r, DP_F_ETH_TYPE, is6 ? ETH_IP6 : ETH_IP4);
	match_u8(r, DP_F_NW_PROTO, proto);
	match_exact(r, is6 ? DP_F_IPV6_DST : DP_F_NW_DST, ip->a);
}

/* The gateway rules of one of its addresses (compiler_vpn_gateway()). */
static int
gw_rules(const struct vpn_gw *g, const struct net_addr *ip, uint64_t c,
	 uint32_t reg, bool is_ike_punt, struct compiler_rules *out)
{
	uint32_t zero = 0;
	struct dp_rule r;
	int rc;

	gw_rule(&r, c, g, ip, PRIO_V_DECRYPT, PROTO_ESP);
	act_push(&r, DP_ACT_ESP_DECRYPT)->u.esp.table = COMPILER_T_VPN_IN;
	if ((rc = compiler_rules_push(out, &r)) < 0)
		return rc;
	/* ESP in UDP (RFC 3948): the parser leaves esp_spi 0 for IKE. */
	gw_rule(&r, c, g, ip, PRIO_V_DECRYPT, PROTO_UDP);
	match_u16n(&r, DP_F_TP_DST, PORT_NATT);
	act_push(&r, DP_ACT_ESP_DECRYPT)->u.esp.table = COMPILER_T_VPN_IN;
	if ((rc = compiler_rules_push(out, &r)) < 0)
		return rc;
	for (int k = 0; k < 2; k++) {
		gw_rule(&r, c, g, ip, PRIO_V_IKE, PROTO_UDP);
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
compiler_vpn_gateway(const struct net_view *v, const char *router_id,
		     bool is_ike_punt, struct compiler_rules *out)
{
	uint64_t c = compiler_vpn_cookie_gateway(router_id);
	uint32_t reg = compiler_router_reg(router_id);
	struct vpn_gw g;
	int rc;

	if (vpn_gw_load(v, router_id, &g) < 0)
		return 0;
	if (g.ip4 != NULL &&
	    (rc = gw_rules(&g, g.ip4, c, reg, is_ike_punt, out)) < 0)
		return rc;
	if (g.ip6 != NULL &&
	    (rc = gw_rules(&g, g.ip6, c, reg, is_ike_punt, out)) < 0)
		return rc;
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
