/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * compiler.c: tenant networking intent (net_view.h) to flow rules. The
 * layout (tables 0 ingress, 1 ARP, 2 L2, 3..7 flood) is described in
 * compiler.h and argued in docs/compiler.md. Everything here is a pure
 * function of the view except compiler_apply(), which hands the result to
 * the datapath through net_dp.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "compiler_int.h"

/* Priorities, per table. */
enum {
	PRIO_IN_DHCP = 400,    /* T0: DHCP client -> punt */
	PRIO_IN_ALLOW = 300,   /* T0: allowed (in_port, MAC, IP) */
	PRIO_IN_OPEN = 100,    /* T0: port security off: everything */
	PRIO_IN_DROP = 1,      /* T0: the rest of a port: spoofed */
	PRIO_ARP_SELF = 210,   /* T1: a port asking about itself */
	PRIO_ARP_ANSWER = 200, /* T1: known address -> arp_reply */
	PRIO_L2 = 100,	       /* T2: known MAC -> output */
	PRIO_L2_IP = 110,      /* T2, T20: known MAC, IP -> SG or output */
	PRIO_FLOOD = 100,      /* T3+: per ingress port flood */
	PRIO_DEFAULT = 0,      /* global: miss handling */
};

enum { ETH_P_IPV4 = 0x0800, ETH_P_ARPV = 0x0806, ETH_P_IPV6V = 0x86dd };
enum { ARP_OP_REQUEST = 1 };
enum { IPPROTO_UDPV = 17 };

void
compiler_rules_fini(struct compiler_rules *rs)
{
	if (rs == NULL)
		return;
	free(rs->rules);
	rs->rules = NULL;
	rs->n = 0;
	rs->cap = 0;
	rs->n_cut_floods = 0;
}

int
compiler_rules_push(struct compiler_rules *rs, const struct dp_rule *r)
{
	struct dp_rule *nr;
	size_t cap;

	if (rs->n == rs->cap) {
		cap = rs->cap != 0 ? rs->cap * 2 : 64;
		nr = realloc(rs->rules, cap * sizeof(*nr));
		if (nr == NULL)
			return -ENOMEM;
		rs->rules = nr;
		rs->cap = cap;
	}
	rs->rules[rs->n++] = *r;
	return 0;
}

static uint64_t
cookie_make(enum compiler_kind kind, uint64_t id)
{
	return COMPILER_COOKIE_NS | ((uint64_t)kind << 48) |
	       (id & 0xffffffffffffULL);
}

uint64_t
compiler_cookie_global(void)
{
	return cookie_make(COMPILER_KIND_GLOBAL, 0);
}

uint64_t
compiler_cookie_network(uint32_t segment_id)
{
	return cookie_make(COMPILER_KIND_NETWORK, segment_id);
}

uint64_t
compiler_cookie_port(const char *port_id)
{
	return cookie_make(COMPILER_KIND_PORT, compiler_hash(port_id, 0));
}

uint64_t
compiler_cookie_port_sg(const char *port_id)
{
	return cookie_make(COMPILER_KIND_PORT_SG, compiler_hash(port_id, 0));
}

uint64_t
compiler_cookie_router(const char *router_id)
{
	return cookie_make(COMPILER_KIND_ROUTER, compiler_hash(router_id, 0));
}

uint64_t
compiler_cookie_fip(const char *fip_id)
{
	return cookie_make(COMPILER_KIND_FIP, compiler_hash(fip_id, 0));
}

uint64_t
compiler_cookie_neigh(const char *router_id, const uint8_t ip[4])
{
	uint32_t a;

	memcpy(&a, ip, 4);
	return COMPILER_COOKIE_NEIGH_NS |
	       (compiler_hash(router_id, a) & 0xffffffffffffffULL);
}

/* 32 bits of an IPv6 address (its four words folded). */
static uint32_t
ip6_fold(const uint8_t ip[16])
{
	uint32_t a = 0, w;

	for (int i = 0; i < 4; i++) {
		memcpy(&w, ip + 4 * i, 4);
		a = (a ^ w) * 0x01000193u;
	}
	return a != 0 ? a : 1;
}

uint64_t
compiler_cookie_neigh6(const char *router_id, const uint8_t ip[16])
{
	return COMPILER_COOKIE_NEIGH_NS |
	       (compiler_hash(router_id, ip6_fold(ip)) & 0xffffffffffffffULL);
}

uint32_t
compiler_nh6_tag(const uint8_t ip[16])
{
	return 0xf0000000u | (ip6_fold(ip) & 0x0fffffffu);
}

uint32_t
compiler_router_reg(const char *router_id)
{
	return (uint32_t)compiler_hash(router_id, 0);
}

uint16_t
compiler_router_zone(const char *router_id)
{
	return (uint16_t)(COMPILER_ZONE_ROUTER |
			  (compiler_hash(router_id, 0) & 0x7fff));
}

int
compiler_cookie_kind(uint64_t cookie)
{
	if ((cookie & COMPILER_COOKIE_NS_MASK) != COMPILER_COOKIE_NS)
		return 0;
	return (int)((cookie >> 48) & 0xff);
}

/* Global skeleton: what a packet does when no owner's rule matches. */
int
compiler_global(struct compiler_rules *out)
{
	uint64_t c = compiler_cookie_global();
	struct dp_rule r;
	int rc;

	/* Unknown ingress port: drop, counted on this rule. */
	rule_init(&r, c, COMPILER_T_INGRESS, PRIO_DEFAULT);
	act_drop(&r);
	if ((rc = compiler_rules_push(out, &r)) < 0)
		return rc;
	/* ARP not for a known address: switch it like any frame. */
	rule_init(&r, c, COMPILER_T_ARP, PRIO_DEFAULT);
	act_goto(&r, COMPILER_T_L2);
	if ((rc = compiler_rules_push(out, &r)) < 0)
		return rc;
	/* Broadcast, multicast, unknown unicast: flood in the network. */
	rule_init(&r, c, COMPILER_T_L2, PRIO_DEFAULT);
	act_goto(&r, COMPILER_T_FLOOD);
	return compiler_rules_push(out, &r);
}

/* A port takes part in forwarding: attached, up, its network up. */
static bool
port_is_live(const struct net_view *v, const struct net_view_port *p,
	     const struct net_view_network **netp)
{
	const struct net_view_network *net = net_view_network(v, p->network_id);

	*netp = net;
	return net != NULL && p->dp_port != 0 && p->is_admin_up &&
	       net->is_admin_up && net->segment_id != 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
compiler_network(const struct net_view *v, const struct net_view_network *net,
		 struct compiler_rules *out)
{
	const struct net_view_network *pn;
	uint64_t c = compiler_cookie_network(net->segment_id);
	uint32_t *members;
	size_t n = 0;
	struct dp_rule r;
	bool is_cut = false;
	int rc = 0;

	if (!net->is_admin_up || net->segment_id == 0)
		return 0;
	members = calloc(v->n_ports + 1, sizeof(*members));
	if (members == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < v->n_ports; i++)
		if (strcmp(v->ports[i].network_id, net->id) == 0 &&
		    port_is_live(v, &v->ports[i], &pn) && pn == net)
			members[n++] = v->ports[i].dp_port;
	/* Sorted, so the rules do not depend on the view's order. */
	qsort(members, n, sizeof(*members), cmp_u32);

	for (size_t i = 0; i < n; i++) {
		size_t left = n - 1; /* every member but the ingress one */
		size_t j = 0;
		unsigned table = COMPILER_T_FLOOD;

		for (;;) {
			bool is_last = table == COMPILER_T_FLOOD_LAST;

			rule_init(&r, c, (uint8_t)table, PRIO_FLOOD);
			match_u32h(&r, DP_F_METADATA, net->segment_id);
			match_u32h(&r, DP_F_IN_PORT, members[i]);
			/* Keep a slot for the goto unless this is the end. */
			while (left > 0 && (r.n_actions < DP_ACTIONS_MAX - 1 ||
					    ((left == 1 || is_last) &&
					     r.n_actions < DP_ACTIONS_MAX))) {
				if (j == i) {
					j++;
					continue;
				}
				act_output(&r, members[j++]);
				left--;
			}
			if (left > 0 && !is_last)
				act_goto(&r, ++table);
			if ((rc = compiler_rules_push(out, &r)) < 0)
				goto out;
			if (left == 0)
				break;
			if (is_last) {
				is_cut = true;
				break;
			}
		}
	}
	if (is_cut)
		out->n_cut_floods++;
	/*
	 * Routed frames to a MAC no local port has (next hops on an external
	 * network, learned by ARP): out of every member, at most 16.
	 */
	if (net->is_external && n > 0) {
		rule_init(&r, c, COMPILER_T_L2_ROUTED, PRIO_DEFAULT);
		match_u32h(&r, DP_F_METADATA, net->segment_id);
		for (size_t i = 0; i < n && i < DP_ACTIONS_MAX; i++)
			act_output(&r, members[i]);
		if ((rc = compiler_rules_push(out, &r)) < 0)
			goto out;
	}
out:
	free(members);
	return rc;
}

/* Allowed (MAC, prefix) pairs of a port: fixed IPs and address pairs. */
struct allow {
	uint8_t mac[6];
	struct net_addr ip;
};

static size_t
port_allows(const struct net_view_port *p, struct allow *al, size_t max)
{
	size_t n = 0;

	for (unsigned i = 0; i < p->n_ips && n < max; i++) {
		memcpy(al[n].mac, p->mac, 6);
		al[n].ip = p->ips[i].ip;
		al[n].ip.prefix_len = p->ips[i].ip.version == 4 ? 32 : 128;
		n++;
	}
	for (unsigned i = 0; i < p->n_pairs && n < max; i++) {
		const uint8_t *mac =
			p->pairs[i].has_mac ? p->pairs[i].mac : p->mac;

		memcpy(al[n].mac, mac, 6);
		al[n].ip = p->pairs[i].ip;
		n++;
	}
	return n;
}

/* Push r unless a rule with the same table, priority and match exists in
 * out[from..). Duplicates come from address pairs repeating fixed IPs. */
static int
push_unique(struct compiler_rules *out, size_t from, const struct dp_rule *r)
{
	for (size_t i = from; i < out->n; i++) {
		const struct dp_rule *o = &out->rules[i];

		if (o->table == r->table && o->priority == r->priority &&
		    memcmp(&o->match, &r->match, sizeof(r->match)) == 0 &&
		    memcmp(&o->mask, &r->mask, sizeof(r->mask)) == 0)
			return 0;
	}
	return compiler_rules_push(out, r);
}

/* T0 rules admitting one (MAC, prefix) of a secured port. */
/* Where admitted IP goes: the L2 table, or (zone != 0) conntrack in the
 * port's zone and then its egress security groups in table 1. */
static void
act_ip_next(struct dp_rule *r, uint16_t zone)
{
	if (zone != 0)
		act_ct(r, zone, 0, COMPILER_T_ARP, DP_NAT_NONE, NULL);
	else
		act_goto(r, COMPILER_T_L2);
}

static int
port_allow_rules(const struct dp_rule *base, const struct allow *al,
		 uint32_t segment, uint16_t zone, struct compiler_rules *out,
		 size_t from)
{
	static const uint8_t ll[16] = {0xfe, 0x80};
	struct dp_rule r;
	int rc;

	if (al->ip.version == 4) {
		r = *base;
		match_exact(&r, DP_F_ETH_SRC, al->mac);
		match_u16n(&r, DP_F_ETH_TYPE, ETH_P_IPV4);
		match_prefix(&r, DP_F_NW_SRC, &al->ip);
		act_set_metadata(&r, segment);
		act_ip_next(&r, zone);
		if ((rc = push_unique(out, from, &r)) < 0)
			return rc;
		r = *base;
		match_exact(&r, DP_F_ETH_SRC, al->mac);
		match_u16n(&r, DP_F_ETH_TYPE, ETH_P_ARPV);
		match_exact(&r, DP_F_ARP_SHA, al->mac);
		match_prefix(&r, DP_F_NW_SRC, &al->ip);
		act_set_metadata(&r, segment);
		act_goto(&r, COMPILER_T_ARP);
		return push_unique(out, from, &r);
	}
	if (al->ip.version != 6)
		return 0;
	struct net_addr lla = {.version = 6, .prefix_len = 10};
	struct net_addr any = {.version = 6, .prefix_len = 128};
	const struct net_addr *v6[] = {&al->ip, &lla, &any};

	memcpy(lla.a, ll, 16);
	for (unsigned i = 0; i < 3; i++) {
		r = *base;
		match_exact(&r, DP_F_ETH_SRC, al->mac);
		match_u16n(&r, DP_F_ETH_TYPE, ETH_P_IPV6V);
		match_prefix(&r, DP_F_IPV6_SRC, v6[i]);
		act_set_metadata(&r, segment);
		act_ip_next(&r, zone);
		if ((rc = push_unique(out, from, &r)) < 0)
			return rc;
	}
	return 0;
}

/* Whether network net_id has a dhcpv6-stateful or -stateless subnet. */
static bool
net_has_dhcp6(const struct net_view *v, const char *net_id)
{
	for (size_t i = 0; i < v->n_subnets; i++) {
		const struct net_view_subnet *sn = &v->subnets[i];

		if (sn->cidr.version == 6 && sn->is_dhcp &&
		    (sn->ra_mode == NET_V6_DHCP_STATEFUL ||
		     sn->ra_mode == NET_V6_DHCP_STATELESS) &&
		    strcmp(sn->network_id, net_id) == 0)
			return true;
	}
	return false;
}

/* T0 of a port: DHCP punt, admission (anti-spoofing), drop. */
static int
port_ingress(const struct net_view_port *p, uint32_t segment, uint64_t c,
	     bool is_dhcp6, struct compiler_rules *out, size_t from)
{
	struct allow al[NET_PORT_IPS_MAX + NET_PAIRS_MAX];
	struct dp_rule base, r;
	size_t n_al;
	uint32_t zero = 0;
	int rc;

	rule_init(&base, c, COMPILER_T_INGRESS, PRIO_IN_ALLOW);
	match_u32h(&base, DP_F_IN_PORT, p->dp_port);

	/* DHCP client -> server: answered natively (dhcp.h). */
	r = base;
	r.priority = PRIO_IN_DHCP;
	if (p->is_port_security)
		match_exact(&r, DP_F_ETH_SRC, p->mac);
	match_u16n(&r, DP_F_ETH_TYPE, ETH_P_IPV4);
	match_u8(&r, DP_F_NW_PROTO, IPPROTO_UDPV);
	match_u16n(&r, DP_F_TP_SRC, 68);
	match_u16n(&r, DP_F_TP_DST, 67);
	act_push(&r, DP_ACT_PUNT)->u.reason = COMPILER_PUNT_DHCP;
	if ((rc = compiler_rules_push(out, &r)) < 0)
		return rc;
	/* DHCPv6 client -> server (dhcp6.h), before admission: the client
	 * uses its link-local source. */
	if (is_dhcp6) {
		r = base;
		r.priority = PRIO_IN_DHCP;
		if (p->is_port_security)
			match_exact(&r, DP_F_ETH_SRC, p->mac);
		match_u16n(&r, DP_F_ETH_TYPE, ETH_P_IPV6V);
		match_u8(&r, DP_F_NW_PROTO, IPPROTO_UDPV);
		match_u16n(&r, DP_F_TP_SRC, 546);
		match_u16n(&r, DP_F_TP_DST, 547);
		act_push(&r, DP_ACT_PUNT)->u.reason = COMPILER_PUNT_DHCP6;
		if ((rc = compiler_rules_push(out, &r)) < 0)
			return rc;
	}

	if (!p->is_port_security) {
		r = base;
		r.priority = PRIO_IN_OPEN;
		act_set_metadata(&r, segment);
		act_goto(&r, COMPILER_T_ARP);
		return compiler_rules_push(out, &r);
	}

	n_al = port_allows(p, al, sizeof(al) / sizeof(al[0]));
	for (size_t i = 0; i < n_al; i++)
		if ((rc = port_allow_rules(&base, &al[i], segment,
					   compiler_port_has_sg(p)
						   ? compiler_port_zone(p)
						   : 0,
					   out, from)) < 0)
			return rc;
	/* ARP probes (sender address 0.0.0.0, RFC 5227) from its MAC. */
	r = base;
	match_exact(&r, DP_F_ETH_SRC, p->mac);
	match_u16n(&r, DP_F_ETH_TYPE, ETH_P_ARPV);
	match_exact(&r, DP_F_ARP_SHA, p->mac);
	match_exact(&r, DP_F_NW_SRC, &zero);
	act_set_metadata(&r, segment);
	act_goto(&r, COMPILER_T_ARP);
	if ((rc = push_unique(out, from, &r)) < 0)
		return rc;

	/* Anything else from this port is spoofed. */
	r = base;
	r.priority = PRIO_IN_DROP;
	act_drop(&r);
	return compiler_rules_push(out, &r);
}

/*
 * Delivery to a port by destination MAC: T2 (switched) and T20 (routed).
 * A port with security groups gets its IP through conntrack in its zone
 * and the ingress rules (T40, reg0 = the port) first.
 */
static int
port_l2_mac(const struct net_view_port *p, const uint8_t mac[6],
	    uint32_t segment, uint64_t c, struct compiler_rules *out,
	    size_t from)
{
	static const uint16_t ip_types[2] = {ETH_P_IPV4, ETH_P_IPV6V};
	bool has_sg = compiler_port_has_sg(p);
	struct dp_rule r;
	int rc;

	rule_init(&r, c, COMPILER_T_L2, PRIO_L2);
	match_u32h(&r, DP_F_METADATA, segment);
	match_exact(&r, DP_F_ETH_DST, mac);
	act_output(&r, p->dp_port);
	if ((rc = push_unique(out, from, &r)) < 0)
		return rc;
	for (unsigned i = 0; i < 2; i++) {
		for (unsigned t = 0; t < 2; t++) {
			uint8_t table =
				t ? COMPILER_T_L2_ROUTED : COMPILER_T_L2;

			if (!has_sg && table == COMPILER_T_L2)
				continue;
			rule_init(&r, c, table, PRIO_L2_IP);
			match_u32h(&r, DP_F_METADATA, segment);
			match_exact(&r, DP_F_ETH_DST, mac);
			match_u16n(&r, DP_F_ETH_TYPE, ip_types[i]);
			if (has_sg) {
				act_set_u32h(&r, DP_F_REG0, p->dp_port);
				act_ct(&r, compiler_port_zone(p), 0,
				       COMPILER_T_SG_IN, DP_NAT_NONE, NULL);
			} else {
				act_output(&r, p->dp_port);
			}
			if ((rc = push_unique(out, from, &r)) < 0)
				return rc;
		}
	}
	return 0;
}

/* T1: answer ARP requests for the port's IPv4 fixed IPs. T2: its MACs. */
static int
port_arp_l2(const struct net_view_port *p, uint32_t segment, uint64_t c,
	    struct compiler_rules *out, size_t from)
{
	struct dp_rule r;
	int rc;

	for (unsigned i = 0; i < p->n_ips; i++) {
		const struct net_addr *ip = &p->ips[i].ip;

		if (ip->version != 4)
			continue;
		/* A port asking about its own address (gratuitous ARP,
		 * conflict detection) must not get an answer from us. */
		rule_init(&r, c, COMPILER_T_ARP, PRIO_ARP_SELF);
		match_u32h(&r, DP_F_METADATA, segment);
		match_u32h(&r, DP_F_IN_PORT, p->dp_port);
		match_u16n(&r, DP_F_ETH_TYPE, ETH_P_ARPV);
		match_u8(&r, DP_F_NW_PROTO, ARP_OP_REQUEST);
		match_exact(&r, DP_F_NW_DST, ip->a);
		act_goto(&r, COMPILER_T_L2);
		if ((rc = push_unique(out, from, &r)) < 0)
			return rc;

		rule_init(&r, c, COMPILER_T_ARP, PRIO_ARP_ANSWER);
		match_u32h(&r, DP_F_METADATA, segment);
		match_u16n(&r, DP_F_ETH_TYPE, ETH_P_ARPV);
		match_u8(&r, DP_F_NW_PROTO, ARP_OP_REQUEST);
		match_exact(&r, DP_F_NW_DST, ip->a);
		memcpy(act_push(&r, DP_ACT_ARP_REPLY)->u.mac, p->mac, 6);
		act_output(&r, DP_PORT_IN_PORT);
		if ((rc = push_unique(out, from, &r)) < 0)
			return rc;
	}

	if ((rc = port_l2_mac(p, p->mac, segment, c, out, from)) < 0)
		return rc;
	for (unsigned i = 0; i < p->n_pairs; i++) {
		if (!p->pairs[i].has_mac)
			continue;
		if ((rc = port_l2_mac(p, p->pairs[i].mac, segment, c, out,
				      from)) < 0)
			return rc;
	}
	if (!compiler_port_has_sg(p))
		return 0;
	/* After the ingress security groups committed: out. */
	rule_init(&r, c, COMPILER_T_SG_IN_OUT, PRIO_L2);
	match_u32h(&r, DP_F_REG0, p->dp_port);
	act_output(&r, p->dp_port);
	return compiler_rules_push(out, &r);
}

int
compiler_port(const struct net_view *v, const struct net_view_port *p,
	      struct compiler_rules *out)
{
	const struct net_view_network *net;
	uint64_t c = compiler_cookie_port(p->id);
	size_t from = out->n;
	struct dp_rule r;
	int rc;

	if (p->dp_port == 0 || p->dp_port > DP_PORT_MAX)
		return 0;
	if (!port_is_live(v, p, &net)) {
		if (net == NULL)
			return 0;
		/* Attached but down: its traffic goes nowhere. */
		rule_init(&r, c, COMPILER_T_INGRESS, PRIO_IN_DROP);
		match_u32h(&r, DP_F_IN_PORT, p->dp_port);
		act_drop(&r);
		return compiler_rules_push(out, &r);
	}
	rc = port_ingress(p, net->segment_id, c,
			  net_has_dhcp6(v, p->network_id), out, from);
	if (rc < 0)
		return rc;
	return port_arp_l2(p, net->segment_id, c, out, from);
}

int
compiler_owner(const struct net_view *v, uint64_t cookie,
	       struct compiler_rules *out)
{
	int rc;

	switch (compiler_cookie_kind(cookie)) {
	case COMPILER_KIND_GLOBAL:
		return cookie == compiler_cookie_global() ? compiler_global(out)
							  : 0;
	case COMPILER_KIND_NETWORK:
		for (size_t i = 0; i < v->n_networks; i++) {
			const struct net_view_network *n = &v->networks[i];

			if (compiler_cookie_network(n->segment_id) == cookie)
				return compiler_network(v, n, out);
		}
		return 0;
	case COMPILER_KIND_PORT:
		for (size_t i = 0; i < v->n_ports; i++) {
			if (compiler_cookie_port(v->ports[i].id) != cookie)
				continue;
			if ((rc = compiler_port(v, &v->ports[i], out)) < 0)
				return rc;
		}
		return 0;
	case COMPILER_KIND_PORT_SG:
		for (size_t i = 0; i < v->n_ports; i++) {
			if (compiler_cookie_port_sg(v->ports[i].id) != cookie)
				continue;
			if ((rc = compiler_port_sg(v, &v->ports[i], out)) < 0)
				return rc;
		}
		return 0;
	case COMPILER_KIND_ROUTER:
		for (size_t i = 0; i < v->n_routers; i++) {
			if (compiler_cookie_router(v->routers[i].id) != cookie)
				continue;
			if ((rc = compiler_router(v, &v->routers[i], out)) < 0)
				return rc;
		}
		return 0;
	case COMPILER_KIND_FIP:
		for (size_t i = 0; i < v->n_fips; i++) {
			if (compiler_cookie_fip(v->fips[i].id) != cookie)
				continue;
			if ((rc = compiler_fip(v, &v->fips[i], out)) < 0)
				return rc;
		}
		return 0;
	default:
		return -EINVAL;
	}
}

int
compiler_all(const struct net_view *v, struct compiler_rules *out)
{
	int rc;

	if ((rc = compiler_global(out)) < 0)
		return rc;
	for (size_t i = 0; i < v->n_networks; i++)
		if ((rc = compiler_network(v, &v->networks[i], out)) < 0)
			return rc;
	for (size_t i = 0; i < v->n_ports; i++) {
		if ((rc = compiler_port(v, &v->ports[i], out)) < 0)
			return rc;
		if ((rc = compiler_port_sg(v, &v->ports[i], out)) < 0)
			return rc;
	}
	for (size_t i = 0; i < v->n_routers; i++)
		if ((rc = compiler_router(v, &v->routers[i], out)) < 0)
			return rc;
	for (size_t i = 0; i < v->n_fips; i++)
		if ((rc = compiler_fip(v, &v->fips[i], out)) < 0)
			return rc;
	return 0;
}

int
compiler_apply(const struct net_dp *dp, const struct net_view *v,
	       const uint64_t *cookies, size_t n, char *err, size_t err_len)
{
	struct compiler_rules rs = {0};
	char dummy[8];
	int rc;

	if (err == NULL) {
		err = dummy;
		err_len = sizeof(dummy);
	}
	for (size_t i = 0; i < n; i++) {
		if ((rc = compiler_owner(v, cookies[i], &rs)) < 0) {
			snprintf(err, err_len,
				 "compiler: owner %#llx: cannot compile: %s",
				 (unsigned long long)cookies[i], strerror(-rc));
			goto free_rules;
		}
	}
	if ((rc = dp->flow_begin(dp->ctx, err, err_len)) < 0)
		goto free_rules;
	for (size_t i = 0; i < n; i++)
		if ((rc = dp->flow_del_cookie(dp->ctx, cookies[i],
					      COMPILER_COOKIE_ALL, err,
					      err_len)) < 0)
			goto abort;
	if (rs.n > 0 &&
	    (rc = dp->flow_add(dp->ctx, rs.rules, rs.n, err, err_len)) < 0)
		goto abort;
	rc = dp->flow_commit(dp->ctx, err, err_len);
	goto free_rules;
abort:
	dp->flow_abort(dp->ctx);
free_rules:
	compiler_rules_fini(&rs);
	return rc;
}
