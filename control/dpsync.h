/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dpsync.h: the seam between sluiced's intent (ctl.h, the store) and the
 * tenant-network driver of control/net/ (netdrv.h: connection to
 * sluice-dp, port binding, compiler, reconciler, DHCP responder).
 *
 * dpsync keeps an in-memory net_view of the whole store, loaded once at
 * start and kept current by a struct ctl_observer, so that the driver can
 * ask for the view on every change without reading SQLite. A change that
 * alters what the datapath sees (a port's network, MAC, addresses, pairs,
 * port security, admin state or binding:profile; a network's segment,
 * MTU or admin state; a subnet) is passed to the driver, which replaces
 * the rules of that port and its network only, in one transaction, before
 * the HTTP answer is sent. Changes that only touch the API view (names,
 * tags, status, vif_type) are not.
 *
 * What the datapath reports comes back as store writes: a port bound by
 * the binder gets binding:vif_type/vif_details ("tap" {}, or "vhostuser"
 * {vhostuser_socket, vhostuser_mode}; "binding_failed" with the reason in
 * the log when the interface is missing), and status ACTIVE when its
 * datapath port is up (DOWN when it goes down). These writes are queued
 * and made from a zero-delay event, never from inside a driver call.
 *
 * The REST API never waits for sluice-dp: while it is absent the driver
 * retries the connection every reconnect period and changes are only
 * applied (by a full reconcile) once it is back. While it is connected,
 * each datapath call blocks the loop for its duration (a port add: ms for
 * AF_PACKET, up to seconds for AF_XDP; timeout 10 s).
 *
 * Concurrency: sluiced's event loop only.
 */
#ifndef SLUICE_DPSYNC_H
#define SLUICE_DPSYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "neigh.h"

struct ctl;
struct event_base;

struct dpsync_config {
	const char *dp_socket;	   /* sluice-dp's protocol socket */
	uint32_t kernel_port_type; /* kernel interfaces as these ports
				    * (DP_PORT_AF_XDP, _VNET; 0: AF_PACKET) */
	const char *vhost_dir;	   /* vhost-user sockets; NULL: default */
	unsigned poll_ms;	   /* port status poll; 0 = 500 */
	unsigned reconnect_ms;	   /* reconnect period; 0 = 100 */
	struct neigh_config neigh; /* next-hop aging; 0s: defaults */
	unsigned ra_interval_ms;   /* router advertisements; 0: RFC 4861 */
};

struct dpsync;

/*
 * Load the view from ctl's store, register the observer and start
 * connecting to sluice-dp (on the loop; returns at once). ctl and base are
 * borrowed and must outlive the dpsync. 0, -ENOMEM, -EIO (store), -ENOSPC
 * (no observer slot).
 */
int dpsync_create(struct event_base *base, struct ctl *ctl,
		  const struct dpsync_config *cfg, struct dpsync **out);
/*
 * Disconnect from sluice-dp, which keeps forwarding with its tables.
 * Accepts NULL. The observer stays registered but inert: call only when
 * no request will be served any more.
 */
void dpsync_destroy(struct dpsync *s);

struct dpsync_stats {
	bool is_connected;
	uint64_t n_connects, n_syncs, n_applies, n_dhcp_replies;
	uint64_t n_skipped; /* changes the datapath does not see */
	size_t last_added, last_deleted, last_same; /* last full reconcile */
	double last_sync_ms;
};

void dpsync_stats(const struct dpsync *s, struct dpsync_stats *out);

/* The tenant-network driver (for the VPN's tunnel rules and IKE punts:
 * netdrv_vpn_set, netdrv_vpn_ike_punt, netdrv_packet_out). */
struct netdrv;
struct netdrv *dpsync_netdrv(struct dpsync *s);

#endif /* SLUICE_DPSYNC_H */
