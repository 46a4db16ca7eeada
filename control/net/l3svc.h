/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * l3svc.h: what sluiced does with the routers' punted packets (the punt
 * reasons of compiler.h): ICMP time exceeded for a routed packet whose
 * TTL ran out (RFC 792, RFC 1812 4.3.2.3 / 5.3.1), ICMP fragmentation
 * needed and ICMPv6 Packet Too Big for a packet over a tunnel's MTU
 * (RFC 1191, RFC 4443 3.2, RFC 8201), ICMP echo replies from
 * a router's own addresses, and next-hop resolution on the external
 * network: an ARP request from the gateway port for a next hop whose MAC
 * the datapath lacks, and learning from the reply (RFC 826); for IPv6 a
 * neighbor solicitation from the gateway's IPv6 address and learning
 * from the advertisement (RFC 4861 7.2).
 *
 * Each function takes the punted frame (untrusted: every length is
 * checked before a read; a frame that cannot be answered is rejected with
 * a counted reason) and the view, and builds the frame to send (packet-out
 * to out_ports, not through the tables). Pure: no I/O, no state beyond
 * the counters.
 */
#ifndef SLUICE_L3SVC_H
#define SLUICE_L3SVC_H

#include <stddef.h>
#include <stdint.h>

#include "net_view.h"

enum l3svc_reject {
	L3SVC_R_SHORT,	    /* truncated Ethernet/IPv4/ICMP/ARP */
	L3SVC_R_NOT_IPV4,   /* not IPv4 where IPv4 is answered */
	L3SVC_R_NO_ROUTER,  /* no router MAC/address matches the frame */
	L3SVC_R_NO_ERROR,   /* RFC 1812 4.3.2.7: no ICMP error about an
			     * ICMP error, a non-first fragment, or a
			     * broadcast/multicast/unspecified source */
	L3SVC_R_NOT_ECHO,   /* to a router address, not an echo request */
	L3SVC_R_NO_NEXTHOP, /* no route to an external next hop */
	L3SVC_R_BAD_ARP,    /* not an Ethernet/IPv4 ARP reply for us */
	L3SVC_R_SMALL_OUT,  /* output buffer too small */
	L3SVC_R_NOT_IPV6,   /* not IPv6 where IPv6 is answered */
	L3SVC_R_BAD_ND,	    /* not a valid neighbor advertisement for us
			     * (RFC 4861 7.1.2: hop limit 255, code 0,
			     * checksum, options, a unicast target) */
	L3SVC_R_BAD_RS,	    /* not a valid router solicitation (RFC 4861
			     * 6.1.1: hop limit 255, code 0, checksum,
			     * options, no source link-layer option from
			     * the unspecified address) */
	L3SVC_R__COUNT
};

struct l3svc_stats {
	uint64_t rejects[L3SVC_R__COUNT];
	uint64_t n_time_exceeded;
	uint64_t n_frag_needed;
	uint64_t n_ptb; /* ICMPv6 Packet Too Big */
	uint64_t n_echo;
	uint64_t n_arp_requests;
	uint64_t n_learned;
	uint64_t n_nd_requests; /* neighbor solicitations built */
	uint64_t n_probes;	/* re-probes of learned next hops built */
	uint64_t n_ra;		/* router advertisements built */
};

/* A frame built here: at most an ICMPv6 error of 1280 bytes (RFC 4443
 * 2.4 (c)); ICMP errors stop at 576. */
enum { L3SVC_OUT_PORTS_MAX = 16, L3SVC_FRAME_MAX = 14 + 1280 };

/*
 * Reason COMPILER_PUNT_TTL: the frame arrived on in_port addressed to a
 * router MAC with TTL <= 1. Builds the ICMP time exceeded (type 11 code
 * 0) from that router interface's IPv4 address back to the sender, with
 * as much of the original datagram as fits in 576 bytes. It goes back out
 * of in_port. 0, or -EINVAL (rejected, counted).
 */
int l3svc_time_exceeded(const struct net_view *v, uint32_t in_port,
			const uint8_t *f, size_t len, uint8_t *out, size_t cap,
			size_t *out_len, struct l3svc_stats *st);

/*
 * Reason DP_PUNT_ESP_MTU | mtu: an IPv4 packet with DF set that would not
 * fit its tunnel's SA once encrypted (esp_encrypt, docs/vpnaas.md "Path
 * MTU"). Builds ICMP destination unreachable, fragmentation needed (type
 * 3 code 4) with next-hop MTU mtu (RFC 1191 4), like the time exceeded
 * above: from the router interface on in_port back to the sender. 0, or
 * -EINVAL (rejected, counted; DF clear is L3SVC_R_NO_ERROR).
 */
int l3svc_frag_needed(const struct net_view *v, uint32_t in_port,
		      const uint8_t *f, size_t len, uint16_t mtu, uint8_t *out,
		      size_t cap, size_t *out_len, struct l3svc_stats *st);

/*
 * Reason DP_PUNT_ESP_MTU | mtu for an IPv6 packet (routers never fragment
 * IPv6, RFC 8200 5). Builds ICMPv6 Packet Too Big (type 2 code 0, RFC
 * 4443 3.2) with MTU mtu, quoting as much of the packet as fits in 1280
 * bytes, back out of in_port to the sender from the router interface the
 * frame was addressed to (eth_dst): its IPv6 address on the subnet of the
 * packet's source, else its EUI-64 link-local address (RFC 4291 2.5.6)
 * for a link-local source or when it has no IPv6 address, else its first
 * IPv6 address. No error about an ICMPv6 error or from an unspecified or
 * multicast source (RFC 4443 2.4 (e); L3SVC_R_NO_ERROR). 0, or -EINVAL
 * (rejected, counted).
 */
int l3svc_packet_too_big(const struct net_view *v, uint32_t in_port,
			 const uint8_t *f, size_t len, uint16_t mtu,
			 uint8_t *out, size_t cap, size_t *out_len,
			 struct l3svc_stats *st);

/*
 * Reason DP_PUNT_TX_MTU: the frame was routed before it was found too big
 * for its output port, so its Ethernet header is the next hop's. Rewrite
 * it, in place, into the one it arrived with: destination the MAC of the
 * same router's interface on in_port's network (the router whose
 * interface sent it: the frame's source MAC), source in_port's own MAC (a
 * guest's port; from a network port the sender's MAC is not known:
 * L3SVC_R_NO_ROUTER). Then l3svc_frag_needed() or l3svc_packet_too_big()
 * answer it as they answer a tunnel's. 0, or -EINVAL (rejected, counted).
 */
int l3svc_unroute(const struct net_view *v, uint32_t in_port, uint8_t *f,
		  size_t len, struct l3svc_stats *st);

/*
 * Reason COMPILER_PUNT_ROUTER_ICMP: an IPv4 packet to a router's own
 * address, or an ICMPv6 echo request to its IPv6 address (no extension
 * headers). An echo request gets its echo reply (out of in_port);
 * anything else is rejected.
 */
int l3svc_echo_reply(const struct net_view *v, uint32_t in_port,
		     const uint8_t *f, size_t len, uint8_t *out, size_t cap,
		     size_t *out_len, struct l3svc_stats *st);

/*
 * Reason COMPILER_PUNT_NEIGH_MISS: a routed frame (eth_src already the
 * gateway port's MAC) whose next hop on the external network has no MAC.
 * Finds the router, the next hop (the destination when on the external
 * subnet, else the longest matching static route, else the subnet's
 * gateway_ip) and builds the ARP request from the gateway port, to be
 * sent out of out_ports[0..*n_out) (the external network's attached
 * ports). *router and nexthop name what was asked, for rate limiting.
 */
int l3svc_arp_request(const struct net_view *v, const uint8_t *f, size_t len,
		      uint8_t *out, size_t cap, size_t *out_len,
		      uint32_t *out_ports, size_t *n_out,
		      const struct net_view_router **router, uint8_t nexthop[4],
		      struct l3svc_stats *st);

/*
 * Reason COMPILER_PUNT_ARP_LEARN: an ARP reply to a router's gateway
 * address. On success *router, ip (the sender, inside the gateway's
 * subnet) and mac are the neighbour to install (compiler_neigh()).
 */
int l3svc_arp_learn(const struct net_view *v, uint32_t in_port,
		    const uint8_t *f, size_t len,
		    const struct net_view_router **router, uint8_t ip[4],
		    uint8_t mac[6], struct l3svc_stats *st);

/*
 * Reason COMPILER_PUNT_NEIGH_MISS for an IPv6 frame: as
 * l3svc_arp_request(), with the IPv6 routes (the destination when on the
 * gateway's IPv6 subnet, else the longest IPv6 static route with a next
 * hop there, else that subnet's gateway_ip), and a neighbor solicitation
 * (RFC 4861 4.3, 7.2.2) from the gateway's IPv6 address to the next
 * hop's solicited-node group, with the gateway MAC as source link-layer
 * option. nexthop names what was asked.
 */
int l3svc_nd_request(const struct net_view *v, const uint8_t *f, size_t len,
		     uint8_t *out, size_t cap, size_t *out_len,
		     uint32_t *out_ports, size_t *n_out,
		     const struct net_view_router **router, uint8_t nexthop[16],
		     struct l3svc_stats *st);

/*
 * Reason COMPILER_PUNT_ND_LEARN: a neighbor advertisement to a router's
 * gateway IPv6 address (an answer to l3svc_nd_request()), checked as RFC
 * 4861 7.1.2 says. On success *router, ip (the target, inside the
 * gateway's IPv6 subnet) and mac (its target link-layer option, else the
 * frame's source) are the neighbour to install (compiler_neigh6()).
 */
int l3svc_nd_learn(const struct net_view *v, uint32_t in_port, const uint8_t *f,
		   size_t len, const struct net_view_router **router,
		   uint8_t ip[16], uint8_t mac[6], struct l3svc_stats *st);

/*
 * Re-probe of a learned next hop (neigh.h) of router router_id: the
 * request that resolved it, from the gateway port, to be sent out of
 * out_ports[0..*n_out): an ARP request (family AF_INET, 4 bytes at ip,
 * broadcast) or a neighbor solicitation (AF_INET6, 16 bytes, to the
 * solicited-node group). Broadcast like the first request, so that an
 * answer from a new MAC is heard. 0; -ENOENT when the router or its
 * gateway address of that family is gone (not counted); -EINVAL (small
 * out, counted).
 */
int l3svc_neigh_probe(const struct net_view *v, const char *router_id,
		      int family, const uint8_t *ip, uint8_t *out, size_t cap,
		      size_t *out_len, uint32_t *out_ports, size_t *n_out,
		      struct l3svc_stats *st);

/* Router advertisements (RFC 4861 4.2, 6.2): Neutron's radvd settings. */
enum {
	L3SVC_RA_LIFETIME_S = 1800,    /* router lifetime (3 x max interval) */
	L3SVC_RA_VALID_S = 86400,      /* prefix valid lifetime */
	L3SVC_RA_PREFERRED_S = 14400,  /* prefix preferred lifetime */
	L3SVC_RA_HOP_LIMIT = 64,       /* cur hop limit advertised */
	L3SVC_RA_INTERVAL_MIN_S = 200, /* unsolicited: RFC 4861 6.2.1 */
	L3SVC_RA_INTERVAL_MAX_S = 600, /* MaxRtrAdvInterval default */
	L3SVC_RA_INITIAL_S = 16,       /* MAX_INITIAL_RTR_ADVERT_INTERVAL */
	L3SVC_RA_INITIAL_COUNT = 3,    /* MAX_INITIAL_RTR_ADVERTISEMENTS */
};

/*
 * The router advertisement of router interface rp, for its IPv6 subnets
 * whose ra_mode is not NET_V6_NONE: from rp's EUI-64 link-local address
 * (RFC 4291 2.5.6) and MAC, hop limit 255, M flag if one is
 * dhcpv6-stateful, O flag if one is dhcpv6-stateless or stateful, router
 * lifetime L3SVC_RA_LIFETIME_S, a source link-layer option, the MTU option
 * when rp's network has one, and a prefix information option per subnet
 * (L flag; A flag for slaac and dhcpv6-stateless). To dst_mac/dst_ip, or
 * (NULL) to all nodes (ff02::1, 33:33:00:00:00:01). out_ports[0..*n_out)
 * are the network's attached ports (for an unsolicited one). 0; -ENOENT
 * when rp has no such subnet (not counted); -EINVAL (small out,
 * counted).
 */
int l3svc_router_advert(const struct net_view *v,
			const struct net_view_port *rp, const uint8_t *dst_mac,
			const uint8_t *dst_ip, uint8_t *out, size_t cap,
			size_t *out_len, uint32_t *out_ports, size_t *n_out,
			struct l3svc_stats *st);

/*
 * Reason COMPILER_PUNT_RS: a router solicitation (ICMPv6 133) from a
 * port, checked as RFC 4861 6.1.1 says. Answered by the advertisement of
 * the first router interface on in_port's network that has one, to the
 * solicitor (its link-layer option's MAC, else the frame's source) or to
 * all nodes when it came from the unspecified address; it goes out of
 * in_port. 0, or -EINVAL (rejected, counted: L3SVC_R_BAD_RS, no router
 * with an advertisement is L3SVC_R_NO_ROUTER).
 */
int l3svc_router_solicit(const struct net_view *v, uint32_t in_port,
			 const uint8_t *f, size_t len, uint8_t *out, size_t cap,
			 size_t *out_len, struct l3svc_stats *st);

/* rp's EUI-64 link-local address (fe80::/64, RFC 4291 appendix A). */
void l3svc_link_local(const uint8_t mac[6], uint8_t out[16]);

const char *l3svc_reject_name(enum l3svc_reject r);

#endif /* SLUICE_L3SVC_H */
