/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * compiler_vpn.h: flow rules for VPNaaS tunnels on a distributed router
 * (docs/vpnaas.md, "Traffic through the tunnel"). For each IPsec site
 * connection with child SAs in sluice-dp: traffic the router routes from
 * the local CIDRs to the peer CIDRs is encrypted with the newest outbound
 * SA and leaves by the router's gateway towards the peer (ahead of SNAT,
 * so tunnelled traffic is never NATed); ESP to the gateway address is
 * decrypted and the inner packet is routed only if its addresses are
 * the ones the SA it arrived on was negotiated for (reg1 = that SA).
 * Pure functions of the view and the tunnel list, like compiler.c.
 */
#ifndef SLUICE_COMPILER_VPN_H
#define SLUICE_COMPILER_VPN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

/*
 * Cookies: namespace 0x56 ('V'), kind in 55..48, id in 47..0 (hash of
 * the connection's id, or of the router's id for its gateway rules).
 * Outside COMPILER_COOKIE_NS, so the network reconciler leaves them.
 */
#define COMPILER_VPN_COOKIE_NS 0x5600000000000000ULL
enum compiler_vpn_kind {
	COMPILER_VPN_KIND_TUNNEL = 1,  /* one connection's encrypt + check */
	COMPILER_VPN_KIND_GATEWAY = 2, /* a router's ESP decrypt, IKE punt */
};

/* Decrypted inner packets continue here (reg1 = the inbound SA id):
 * between the ARP/L2 tables and the router's, as gotos go forward. */
enum { COMPILER_T_VPN_IN = 12 };

/* Punt reason of IKE (UDP 500, 4500 with the non-ESP marker) to a
 * gateway address, when IKE is served through the datapath. */
enum { COMPILER_PUNT_IKE = 16 };

/* Punt reason of traffic caught by a held connection's trap (DPD action
 * hold, docs/vpnaas.md "DPD"): sluiced renegotiates the connection. */
enum { COMPILER_PUNT_VPN_TRAP = 17 };

enum {
	COMPILER_VPN_CIDRS_MAX = 4, /* the engine's traffic selector limit */
	COMPILER_VPN_CHILDREN_MAX = 4,
};

/* One child SA in sluice-dp: its two SA ids. */
struct compiler_vpn_child {
	uint32_t sa_in;
	uint32_t sa_out;
};

/* One connection that has at least one child SA installed. */
struct compiler_vpn_tunnel {
	char conn_id[NET_ID_LEN];
	char router_id[NET_ID_LEN]; /* "": the router whose gateway has
				     * local_ip */
	/* Outer addresses, network order: IPv4 in [0..3], or IPv6. */
	uint8_t local_ip[16];
	uint8_t peer_ip[16];
	bool is_outer6;
	unsigned n_local, n_peer;
	/* Inner prefixes, IPv4 or IPv6: rules for each local x peer pair
	 * of one family. */
	struct net_addr local[COMPILER_VPN_CIDRS_MAX];
	struct net_addr peer[COMPILER_VPN_CIDRS_MAX];
	/* Oldest first; the last is the one new traffic is encrypted with
	 * (during a rekey both are accepted inbound). */
	unsigned n_children;
	struct compiler_vpn_child children[COMPILER_VPN_CHILDREN_MAX];
	/* No child (DPD hold): local -> peer traffic is punted with
	 * COMPILER_PUNT_VPN_TRAP, never routed in the clear. */
	bool is_trap;
};

uint64_t compiler_vpn_cookie_tunnel(const char *conn_id);
/* The router whose external gateway port holds ip (IPv4: 4 bytes, is6:
 * 16); NULL: none. */
const struct net_view_router *
compiler_vpn_router_by_gw(const struct net_view *v, const uint8_t *ip,
			  bool is6);
uint64_t compiler_vpn_cookie_gateway(const char *router_id);

/*
 * A tunnel's rules: T17 (above every route) encrypt + towards the peer
 * (T18 resolves its MAC like any next hop; an IPv6 peer's by its
 * compiler_nh6_tag() or ipv6_dst), T12 per inbound SA: inner
 * source in a peer CIDR and destination in a local CIDR -> back to T16
 * in the router. A trap (is_trap, no child): T17 local -> peer CIDRs ->
 * punt COMPILER_PUNT_VPN_TRAP (the packet goes no further). None when the
 * router has no usable gateway, the tunnel no child and no trap, or no
 * CIDR pair. 0 or -ENOMEM.
 */
int compiler_vpn_tunnel(const struct net_view *v,
			const struct compiler_vpn_tunnel *t,
			struct compiler_rules *out);
/*
 * A router's gateway rules (T2, above its MAC's rule): ESP and ESP-in-UDP 4500
 * to its gateway address -> esp_decrypt(table 12); with is_ike_punt, IKE (UDP
 * 500, 4500 with esp_spi 0) to it -> punt COMPILER_PUNT_IKE. For its first
 * IPv4 and its first IPv6 gateway address. 0 or -ENOMEM.
 */
int compiler_vpn_gateway(const struct net_view *v, const char *router_id,
			 bool is_ike_punt, struct compiler_rules *out);
/* Everything for tunnels t[0..n): each tunnel, and each tunnel's router's
 * gateway rules once; with is_ike_punt every router's gateway rules
 * (IKE comes before any tunnel). */
int compiler_vpn_all(const struct net_view *v,
		     const struct compiler_vpn_tunnel *t, size_t n,
		     bool is_ike_punt, struct compiler_rules *out);

#endif /* SLUICE_COMPILER_VPN_H */
