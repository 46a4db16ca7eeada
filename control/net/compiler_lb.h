/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * compiler_lb.h: the flow rules that carry load-balancer (LBaaS) traffic
 * from a client to the members of a listener's datapath pool and back
 * (compiler_lb.c). One owner per load balancer, named by its VIP port:
 * ARP for the VIP (table 1), each listener's (protocol, port) on the VIP
 * to lb_select (table 2), anything else to the VIP through the LB's
 * conntrack zone (replies of members, un-NATed), and delivery by address
 * to the ports of the VIP's network (tables 8, 9, then the ports' own
 * table 20 rules: tables only go forward). Clients on other subnets of
 * the VIP network's routers, and through a floating IP of the VIP port,
 * are served in the routers' table 16 (lb_select, then the router's
 * table 17); replies to them leave table 9 for the router's table 17.
 * A listener's allowed_cidrs narrow its lb_select rules by source.
 * An IPv6 VIP gets the same rules for IPv6 (ipv6_dst/ipv6_src; table 2
 * answers neighbour solicitations for it in place of table 1's ARP; no
 * floating IPs, which are IPv4).
 * The pools themselves are programmed by lbaas/lb_driver.c. Layout and
 * reasons: docs/lbaas.md ("Flow rules").
 */
#ifndef SLUICE_COMPILER_LB_H
#define SLUICE_COMPILER_LB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

/*
 * Cookie namespace of LB owners: bits 63..56 'L', 55..48 kind 1, 47..0 a
 * hash of the VIP port id. Outside COMPILER_COOKIE_NS: the network
 * reconciler leaves them.
 */
#define COMPILER_LB_COOKIE_NS 0x4c00000000000000ULL

enum compiler_lb_table {
	COMPILER_T_LB_REPLY = 8,   /* after un-NAT: +est only */
	COMPILER_T_LB_DELIVER = 9, /* nw_dst of a port -> its MAC, T20 */
};

/*
 * Conntrack zones of load balancers: 0x7c00 | 10 bits of the VIP port
 * id's hash. Ports' zones are their datapath port numbers (below 0x7c00
 * in practice: sluice-dp numbers ports from 1), routers' 0x8000 and up.
 */
enum {
	COMPILER_LB_ZONE_BASE = 0x7c00,
	COMPILER_LB_LISTENERS_MAX = 16,
	COMPILER_LB_CIDRS_MAX = 64, /* Octavia's allowed_cidrs bound here */
};

struct compiler_lb_cidr {
	uint8_t addr[16]; /* the VIP's family, network order (IPv4: the
			   * first 4 bytes) */
	uint8_t len;	  /* prefix length 0 .. 32 (IPv4), .. 128 (IPv6) */
};

/*
 * A listener. is_restricted (the listener's allowed_cidrs is a non-empty
 * list): only clients whose source lies in one of cidrs[0..n_cidrs)
 * (its prefixes, of the VIP's family; none: nobody) open connections,
 * on every path (the VIP's network, routed, floating IP); the others'
 * new connections are dropped and counted by the rule "-est to the
 * listener" of table 8 (the VIP's network) or 17 (routed, floating IP).
 */
struct compiler_lb_listener {
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port; /* host order */
	uint32_t pool; /* datapath pool id (lb_select) */
	bool is_restricted;
	unsigned n_cidrs;
	struct compiler_lb_cidr cidrs[COMPILER_LB_CIDRS_MAX];
};

/*
 * network_id "" (the driver's case): network and MAC are the VIP port's
 * in the view (no such port: no rules).
 */
struct compiler_lb {
	char vip_port_id[NET_ID_LEN];
	char network_id[NET_ID_LEN]; /* the VIP's network */
	uint8_t family;		     /* 6: IPv6 VIP; 0 or 4: IPv4 */
	uint8_t vip[16]; /* network order; IPv4: the first 4 bytes */
	uint8_t vip_mac[6];
	uint16_t zone; /* 0: compiler_lb_zone(vip_port_id) */
	unsigned n_listeners;
	struct compiler_lb_listener listeners[COMPILER_LB_LISTENERS_MAX];
};

uint64_t compiler_lb_cookie(const char *vip_port_id);
uint16_t compiler_lb_zone(const char *vip_port_id);

/*
 * Append the rules of lb to out. The VIP's network unknown, down or
 * without a segment: no rules (0). Delivery rules cover the ports of the
 * network, the routers on it and the VIP port's floating IPs in v now:
 * the caller regenerates this owner when those change. 0, -EINVAL (bad
 * lb) or -ENOMEM.
 */
int compiler_lb(const struct net_view *v, const struct compiler_lb *lb,
		struct compiler_rules *out);
/* Every load balancer of lbs[0..n): those that fail -EINVAL are skipped
 * (counted in *n_bad when not NULL). 0 or -ENOMEM. */
int compiler_lb_all(const struct net_view *v, const struct compiler_lb *lbs,
		    size_t n, struct compiler_rules *out, size_t *n_bad);

#endif /* SLUICE_COMPILER_LB_H */
