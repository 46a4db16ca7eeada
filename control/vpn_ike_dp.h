/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vpn_ike_dp.h: IKE through the datapath, for gateway addresses that live
 * only in sluice-dp (docs/vpnaas.md). sluice-dp punts IKE to a router's
 * gateway address (UDP 500, and 4500 with the non-ESP marker: rules of
 * compiler_vpn.c) to sluiced; the UDP payload goes to the VPN driver's
 * engine, and the engine's datagrams leave by packet-out as Ethernet +
 * IPv4 or IPv6 + UDP frames from the gateway's MAC: to the MAC and port
 * the peer last spoke from, else to the peer's MAC when it is a known port
 * on the external network, else to its next hop's MAC, resolved by ARP
 * or neighbor discovery from the gateway port (l3svc_arp_request(),
 * l3svc_nd_request(); the answer comes back through netdrv's neighbour
 * observer, vpn_ike_dp_neigh()).
 *
 * The frame functions are pure (unit-tested and fuzzable); the rest runs
 * on sluiced's event loop.
 */
#ifndef SLUICE_VPN_IKE_DP_H
#define SLUICE_VPN_IKE_DP_H

#include <stddef.h>
#include <stdint.h>

#include "ike.h"

enum vpn_ike_dp_reject {
	VPN_IKE_DP_R_SHORT = 1, /* shorter than its headers say */
	VPN_IKE_DP_R_NOT_IPV4,	/* not untagged Ethernet + IPv4 or IPv6 */
	VPN_IKE_DP_R_BAD_IP,	/* bad version, header length or total */
	VPN_IKE_DP_R_NOT_UDP,	/* not UDP (IPv6: as the next header) */
	VPN_IKE_DP_R_FRAGMENT,	/* a fragment (IKE fragments itself) */
	VPN_IKE_DP_R_BAD_UDP,	/* UDP length out of the packet */
	VPN_IKE_DP_R_MAX,
};

struct vpn_ike_dp_stats {
	uint64_t n_in, n_out;
	uint64_t n_no_route;	 /* nowhere to send: no gateway port for the
				  * local address, or no next hop */
	uint64_t n_arp_requests; /* next hops asked for (a frame waits) */
	uint64_t n_resolved;	 /* waiting frames sent on the ARP reply */
	uint64_t n_rejects[VPN_IKE_DP_R_MAX];
};

/*
 * A punted frame: the UDP payload (*data, *len, inside f), local = the
 * IPv4 or IPv6 destination and port, remote = the source, the Ethernet
 * addresses in mac_dst/mac_src. 0 or -enum vpn_ike_dp_reject.
 */
int vpn_ike_dp_parse(const uint8_t *f, size_t len, struct ike_addr *local,
		     struct ike_addr *remote, uint8_t mac_dst[6],
		     uint8_t mac_src[6], const uint8_t **data, size_t *dlen);
/* A frame from local to remote (both IPv4 or both IPv6; the UDP checksum
 * set over IPv6) carrying data; its length, or 0 when it does not fit cap
 * or the families differ. */
size_t vpn_ike_dp_build(uint8_t *out, size_t cap, const uint8_t mac_dst[6],
			const uint8_t mac_src[6], const struct ike_addr *local,
			const struct ike_addr *remote, const uint8_t *data,
			size_t dlen);

struct netdrv;
struct vpn_driver;
struct vpn_ike_dp;

int vpn_ike_dp_create(struct netdrv *nd, struct vpn_ike_dp **out);
/* For tests: the view and packet-out from io instead of a netdrv
 * (vpn_ike_dp_start() then only sets the driver). */
struct net_view;
struct vpn_ike_dp_io {
	const struct net_view *(*view)(void *ctx);
	int (*packet_out)(void *ctx, const uint32_t *ports, size_t n,
			  const uint8_t *frame, size_t len);
	void *ctx;
};
int vpn_ike_dp_create_io(const struct vpn_ike_dp_io *io,
			 struct vpn_ike_dp **out);
/* netdrv_neigh_fn: a next hop learned; a frame waiting for it leaves.
 * mac NULL: it aged out (no answer to netdrv's re-probes): forgotten. */
void vpn_ike_dp_neigh(void *arg, uint32_t in_port, int family,
		      const uint8_t *ip, const uint8_t mac[6]);
void vpn_ike_dp_destroy(struct vpn_ike_dp *x);
/* Start punting IKE to drv (0, or -ENOTCONN: applied on connect). */
int vpn_ike_dp_start(struct vpn_ike_dp *x, struct vpn_driver *drv);
/* struct vpn_driver_config.ike_send; arg is the struct vpn_ike_dp. */
int vpn_ike_dp_send(void *arg, const uint8_t *data, size_t len,
		    const struct ike_addr *local,
		    const struct ike_addr *remote);
void vpn_ike_dp_stats(const struct vpn_ike_dp *x, struct vpn_ike_dp_stats *out);

#endif /* SLUICE_VPN_IKE_DP_H */
