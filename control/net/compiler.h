/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * compiler.h: the compiler from tenant networking intent (net_view.h) to
 * flow rules (dp_flow.h): L2 switching inside a network, flooding confined
 * to the network, ARP answered from known addresses, anti-spoofing of MAC
 * and IP, and DHCP punted to the native responders (dhcp.h, and dhcp6.h
 * on networks with a dhcpv6 subnet); and (compiler_l3.c) stateful
 * security groups, distributed routers with SNAT and floating IPs, whose
 * punts sluiced answers with l3svc.h.
 *
 * Rules are grouped by owner. Every rule carries a cookie naming its owner
 * (layout below): one port, one network, or the global skeleton. A change
 * to one object regenerates only its owner's rules and replaces them in one
 * transaction (compiler_apply: begin; delete by cookie; add; commit).
 * The table layout and its reasons are in docs/compiler.md.
 *
 * The generators are pure functions of the view: same view, same rules,
 * byte for byte, which is what lets the reconciler (reconcile.h) find
 * nothing to do after a restart.
 */
#ifndef SLUICE_COMPILER_H
#define SLUICE_COMPILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_flow.h"
#include "net_dp.h"
#include "net_view.h"

/*
 * Cookie: bits 63..56 owner namespace (COMPILER_COOKIE_NS, the network
 * compiler; LB and VPN use others), 55..48 kind, 47..0 object id.
 * Port ids are 48 bits of the FNV-1a hash of the port's id string (two
 * ports colliding simply share an owner: both are regenerated together);
 * network ids are the segment id.
 */
#define COMPILER_COOKIE_NS 0x4e00000000000000ULL
#define COMPILER_COOKIE_NS_MASK 0xff00000000000000ULL
#define COMPILER_COOKIE_ALL ~0ULL
enum compiler_kind {
	COMPILER_KIND_GLOBAL = 1,
	COMPILER_KIND_NETWORK = 2,
	COMPILER_KIND_PORT = 3,
	COMPILER_KIND_ROUTER = 4,  /* id: hash of the router's id */
	COMPILER_KIND_PORT_SG = 5, /* a port's security-group stage; id: as
				    * the port's */
	COMPILER_KIND_FIP = 6,	   /* id: hash of the floating IP's id */
};

/*
 * Learned neighbours (next hops on external networks that are not Neutron
 * ports) live in their own namespace, so that the reconciler (which owns
 * COMPILER_COOKIE_NS) never deletes them and a restarted sluiced can read
 * them back from the datapath. id: hash of (router id, address).
 */
#define COMPILER_COOKIE_NEIGH_NS 0x4f00000000000000ULL

/* Tables. */
enum compiler_table {
	COMPILER_T_INGRESS = 0,	   /* per port: classify, anti-spoof, punt */
	COMPILER_T_ARP = 1,	   /* ARP responder */
	COMPILER_T_L2 = 2,	   /* metadata + eth_dst -> output */
	COMPILER_T_FLOOD = 3,	   /* per ingress port: flood in the network */
	COMPILER_T_FLOOD_LAST = 7, /* flood continues in 4..7 when large */
	COMPILER_T_ROUTER = 16,	   /* per router: TTL punt, un-NAT, DNAT */
	COMPILER_T_ROUTE = 17,	   /* per router: LPM, dec_ttl, MACs */
	COMPILER_T_NEIGH = 18,	   /* per router: learned next-hop MACs */
	COMPILER_T_SNAT = 19,	   /* per router: SNAT / FIP source NAT */
	COMPILER_T_L2_ROUTED = 20, /* after routing: eth_dst -> port */
	COMPILER_T_SG_IN = 40,	   /* per port: ingress security groups */
	COMPILER_T_SG_IN_OUT = 41, /* per port: output after ingress commit */
};

/*
 * Connection-tracking zones: a port's zone is its datapath port number
 * (1 .. 0x7fff), a router's is 0x8000 | 15 bits of its id's hash.
 */
enum { COMPILER_ZONE_ROUTER = 0x8000 };

/* Punt reasons (struct dp_action.u.reason, dp_packet_msg.reason). */
enum compiler_punt {
	COMPILER_PUNT_DHCP = 1,
	COMPILER_PUNT_TTL = 2,	       /* routed packet with TTL <= 1 */
	COMPILER_PUNT_NEIGH_MISS = 3,  /* next hop's MAC unknown */
	COMPILER_PUNT_ARP_LEARN = 4,   /* ARP reply to a router gateway */
	COMPILER_PUNT_ROUTER_ICMP = 5, /* IPv4 to a router's own address */
	COMPILER_PUNT_ND_LEARN = 6,    /* NA to a router gateway's IPv6 */
	COMPILER_PUNT_RS = 7,	       /* router solicitation (RA subnets) */
	COMPILER_PUNT_DHCP6 = 8,       /* DHCPv6 client (dhcpv6 subnets) */
};

/* A growable array of rules. Zero-initialise; fini releases. */
struct compiler_rules {
	struct dp_rule *rules;
	size_t n;
	size_t cap;
	size_t n_cut_floods; /* networks whose flood was cut short: more
			      * members than the flood tables hold (76
			      * copies); the rest get no broadcast copy */
};

void compiler_rules_fini(struct compiler_rules *rs);
/* Append a copy of r. 0 or -ENOMEM. */
int compiler_rules_push(struct compiler_rules *rs, const struct dp_rule *r);

/* Owner cookies. */
uint64_t compiler_cookie_global(void);
uint64_t compiler_cookie_network(uint32_t segment_id);
uint64_t compiler_cookie_port(const char *port_id);
uint64_t compiler_cookie_router(const char *router_id);
uint64_t compiler_cookie_port_sg(const char *port_id);
uint64_t compiler_cookie_fip(const char *fip_id);
uint64_t compiler_cookie_neigh(const char *router_id, const uint8_t ip[4]);
uint64_t compiler_cookie_neigh6(const char *router_id, const uint8_t ip[16]);
/*
 * reg1 of a routed IPv6 packet towards next hop ip (tables 17 -> 18):
 * 240.0.0.0/4 | 28 bits of its hash, never an IPv4 next hop's value (and
 * 0 stays "the destination itself").
 */
uint32_t compiler_nh6_tag(const uint8_t ip[16]);
/* enum compiler_kind of a cookie, 0 when not in COMPILER_COOKIE_NS. */
int compiler_cookie_kind(uint64_t cookie);

/* reg0 value of a router's packets in tables 16..19. */
uint32_t compiler_router_reg(const char *router_id);
uint16_t compiler_router_zone(const char *router_id);
/* True for ports a router owns (device_owner network:router_*). */
bool compiler_port_is_router(const struct net_view_port *p);
/* True if the port's traffic passes a security-group stage. */
bool compiler_port_has_sg(const struct net_view_port *p);

/*
 * Generators: append the rules of one owner to out. A port that is not
 * attached (dp_port 0), whose network is unknown, or that is admin down
 * with an unknown network gets no rules. 0 or -ENOMEM. A network with
 * more attached ports than the flood tables hold floods to the first 76
 * others (by port number) and counts itself in out->n_cut_floods.
 */
int compiler_global(struct compiler_rules *out);
int compiler_network(const struct net_view *v,
		     const struct net_view_network *net,
		     struct compiler_rules *out);
int compiler_port(const struct net_view *v, const struct net_view_port *p,
		  struct compiler_rules *out);
/*
 * Security groups of a port (owner kind PORT_SG): egress in table 1 (after
 * ct in the port's zone), ingress in table 40; rules of its groups, with
 * remote groups expanded to their members' addresses.
 */
int compiler_port_sg(const struct net_view *v, const struct net_view_port *p,
		     struct compiler_rules *out);
/* A router's rules (interfaces, ARP/ND for its addresses, LPM, SNAT). */
int compiler_router(const struct net_view *v, const struct net_view_router *r,
		    struct compiler_rules *out);
/* The router serving an associated floating IP (NULL: none). */
const struct net_view_router *compiler_fip_router(const struct net_view *v,
						  const struct net_view_fip *f);
/* A floating IP's rules (ARP, DNAT, source NAT); none unassociated. */
int compiler_fip(const struct net_view *v, const struct net_view_fip *f,
		 struct compiler_rules *out);
/*
 * A learned neighbour of a router: the next hop ip (IPv4) on the router's
 * external network has mac. Namespace COMPILER_COOKIE_NEIGH_NS.
 */
int compiler_neigh(const struct net_view *v, const struct net_view_router *r,
		   const uint8_t ip[4], const uint8_t mac[6],
		   struct compiler_rules *out);
/* The same for an IPv6 next hop (learned by neighbor discovery):
 * reg1 = compiler_nh6_tag(ip), or reg1 0 and ipv6_dst = ip. */
int compiler_neigh6(const struct net_view *v, const struct net_view_router *r,
		    const uint8_t ip[16], const uint8_t mac[6],
		    struct compiler_rules *out);
/*
 * Owners to regenerate after a change, appended to *cookies (a growable
 * array, *n entries, *cap capacity; free() it). For a port: the port, its
 * PORT_SG stage, its network, the routers attached to its network, the
 * floating IPs on it, and the PORT_SG stages of the ports whose groups
 * have a rule naming one of its current groups as remote group (for the
 * groups it left, the caller names the ports: the view no longer says
 * which they were). For a router:
 * the router and its floating IPs. For a security group: the PORT_SG
 * stage of its members and of ports whose rules name it as remote group.
 * 0 or -ENOMEM.
 */
int compiler_deps_port(const struct net_view *v, const char *port_id,
		       uint64_t **cookies, size_t *n, size_t *cap);
int compiler_deps_router(const struct net_view *v, const char *router_id,
			 uint64_t **cookies, size_t *n, size_t *cap);
int compiler_deps_sg(const struct net_view *v, const char *sg_id,
		     uint64_t **cookies, size_t *n, size_t *cap);

/* The rules of every owner whose cookie is cookie (absent: none). */
int compiler_owner(const struct net_view *v, uint64_t cookie,
		   struct compiler_rules *out);
/* Everything: global, every network, port, port SG stage, router and
 * floating IP (not learned neighbours). */
int compiler_all(const struct net_view *v, struct compiler_rules *out);

/*
 * Replace the rules of the owners named by cookies[0..n) with what the
 * view says now, in one transaction. For a port change pass the port's
 * cookie and its network's (flood lists change with membership). Returns
 * 0 or -errno from the datapath (nothing changed then).
 */
int compiler_apply(const struct net_dp *dp, const struct net_view *v,
		   const uint64_t *cookies, size_t n, char *err,
		   size_t err_len);

#endif /* SLUICE_COMPILER_H */
