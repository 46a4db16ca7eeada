/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vpn_driver.h: runs the IKEv2 engine of vpnaas/ (ike.h) inside sluiced,
 * on its libevent loop. Each ipsec-site-connection in the store becomes
 * one engine connection: its IKE and IPsec policies become proposals, its
 * peer_cidrs or endpoint groups traffic selectors, its dpd settings the
 * engine's DPD, its initiator mode responder-only or not, and the local
 * address is the external gateway address of its vpnservice's router.
 * The driver reconciles the engine with the store after every API change
 * (vpn_api.h observer) and at start.
 *
 * IKE packets: one pair of UDP sockets (IKE port, NAT-T port) per gateway
 * address, bound with IP_FREEBIND so the address need not be configured
 * yet; see docs/vpnaas.md for why sockets rather than datapath punts.
 *
 * Statuses that tell the truth: a connection is ACTIVE while the engine
 * has its IKE SA and a child SA up, otherwise DOWN with the reason in its
 * read-only "status_description" ("authentication failed: ...", "peer not
 * responding (DPD)", "no proposal chosen", "administratively down"...);
 * a vpnservice is ACTIVE while one of its connections is. Statuses are
 * written to the store, so lists and filters see them.
 *
 * Child SAs: the engine's install/remove callbacks go to the optional
 * sa_install/sa_remove hooks (the datapath's ESP SAs); without hooks the
 * SA is only negotiated.
 *
 * Concurrency: single-threaded (the event loop).
 */
#ifndef SLUICE_VPN_DRIVER_H
#define SLUICE_VPN_DRIVER_H

#include <stdint.h>

#include <event2/event.h>

#include "ctl.h"
#include "ike.h"
#include "store.h"
#include "vpn_model.h"

struct vpn_driver_config {
	uint16_t ike_port;  /* 500; 0: no sockets (the engine still runs) */
	uint16_t natt_port; /* 4500 */
	/* Optional datapath hooks for child SAs (see ike_ops). */
	int (*sa_install)(void *arg, const struct ike_child_info *ci);
	void (*sa_remove)(void *arg, const struct ike_child_info *ci);
	/* DPD action hold: keep (or drop) the connection's trap (engine
	 * name conn) while it has no child SA (vpn_dp_hold()). */
	void (*hold)(void *arg, const char *conn, bool is_held);
	void *sa_arg;
	/*
	 * IKE through the datapath (the gateway addresses live only in
	 * sluice-dp): when set, no sockets are opened; the engine's
	 * datagrams go to ike_send and punted ones come in through
	 * vpn_driver_ike_input().
	 */
	int (*ike_send)(void *arg, const uint8_t *data, size_t len,
			const struct ike_addr *local,
			const struct ike_addr *remote);
	void *ike_arg;
};

struct vpn_driver;

/*
 * Create the driver on base over st (both borrowed, must outlive it) and
 * reconcile once with the store. 0, -ENOMEM or -EINVAL.
 */
int vpn_driver_create(struct event_base *base, struct store *st,
		      const struct vpn_driver_config *cfg,
		      struct vpn_driver **out);
/* Delete every connection (Delete sent to peers), free. Accepts NULL. */
void vpn_driver_destroy(struct vpn_driver *d);

/*
 * Traffic caught by a trap (COMPILER_PUNT_VPN_TRAP; frame: Ethernet +
 * IPv4, untrusted): each held connection (DPD hold, down) whose
 * selectors cover its source and destination is initiated again, at
 * most once per VPN_DRV_ACQUIRE_MS. Returns how many were.
 */
enum { VPN_DRV_ACQUIRE_MS = 2000 };
unsigned vpn_driver_acquire(struct vpn_driver *d, const uint8_t *frame,
			    size_t len);

/*
 * Also reconcile when a router or a router port (gateway, interface)
 * changes, through a ctl observer on ctl (borrowed). 0 or -ENOSPC.
 */
int vpn_driver_watch_routers(struct vpn_driver *d, struct ctl *ctl);

/* The vpn_api observer: reconcile with the store (arg: the driver). */
void vpn_driver_changed(void *arg, enum vpn_kind k, const char *id);

/* Bring the engine in line with the store and write statuses. */
void vpn_driver_reconcile(struct vpn_driver *d);

/* The engine's counters. */
void vpn_driver_stats(const struct vpn_driver *d, struct ike_stats *st);
/* A datagram to local (our gateway address and port) from remote. */
void vpn_driver_ike_input(struct vpn_driver *d, const uint8_t *data, size_t len,
			  const struct ike_addr *local,
			  const struct ike_addr *remote);

/*
 * The datapath reported an SA event (sequence numbers near their end, a
 * soft lifetime reached: vpn_dp.h) for a child SA of engine connection
 * conn_id: start a rekey of its child SAs now (ike_engine_rekey_child),
 * so the new child SA is up before the old one stops. arg: the driver
 * (the signature of vpn_dp_event_fn).
 */
void vpn_driver_sa_event(void *arg, uint32_t conn_id, uint32_t spi_in,
			 uint32_t kinds);

#endif /* SLUICE_VPN_DRIVER_H */
