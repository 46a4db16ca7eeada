/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vpn_dp.h: the child SAs that sluiced's IKE engine negotiates, programmed
 * into sluice-dp as ESP SAs (dp_client.h SA_ADD/SA_DEL, docs/esp.md): each
 * child SA becomes one inbound SA (found by its SPI) and one outbound SA
 * (named by esp_encrypt(sa=N)), with datapath ids allocated here. Its own
 * connection to the datapath socket, opened on the first install, so the
 * keys cross one host-local socket once and live in no other process.
 *
 * The functions have the signatures of struct vpn_driver_config's
 * sa_install/sa_remove hooks; arg is the struct vpn_dp.
 *
 * SA events (sequence numbers near their end, soft lifetimes: docs/esp.md)
 * are read on a connection of their own when watched, and turn into one
 * rekey request per child SA (vpn_driver_sa_event).
 *
 * Concurrency: single-threaded (the event loop); the SA calls block for
 * the datapath's reply (bounded by the client's timeout).
 */
#ifndef SLUICE_VPN_DP_H
#define SLUICE_VPN_DP_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "dp_proto.h"
#include "ike.h"

struct vpn_dp;
struct compiler_vpn_tunnel;

/*
 * Called after every install and before every removal with the tunnels
 * (one per connection, compiler_vpn.h) that have child SAs: the flow
 * rules that carry traffic through them (netdrv_vpn_set). On removal it
 * runs before the SAs are deleted, so no rule names a missing SA.
 */
typedef void (*vpn_dp_tunnels_fn)(void *arg,
				  const struct compiler_vpn_tunnel *t,
				  size_t n);
void vpn_dp_set_observer(struct vpn_dp *v, vpn_dp_tunnels_fn fn, void *arg);

/* Create for the datapath socket path (copied). 0 or -ENOMEM. */
int vpn_dp_create(const char *socket_path, struct vpn_dp **out);
/* Delete the SAs still installed, close. Accepts NULL. */
void vpn_dp_destroy(struct vpn_dp *v);

/*
 * Install a child SA's two ESP SAs. 0, or -errno (the datapath is not
 * reachable, refused the SA, or no id is free): the engine then deletes
 * the child SA and the connection does not come up.
 */
int vpn_dp_sa_install(void *arg, const struct ike_child_info *ci);
/*
 * DPD action hold: while is_held and connection conn (its engine name)
 * has no child SA, its last tunnel's selectors stay in the flow rules as a
 * trap (compiler_vpn.h is_trap) whose traffic is punted for sluiced to
 * renegotiate. Unknown connections (never had a child): nothing.
 */
void vpn_dp_hold(void *arg, const char *conn, bool is_held);
/* Remove the two ESP SAs of a child SA (by its inbound SPI). */
void vpn_dp_sa_remove(void *arg, const struct ike_child_info *ci);

/* The datapath id of the outbound SA of the child whose inbound SPI is
 * spi_in (for esp_encrypt(sa=N) rules); 0 if none. */
uint32_t vpn_dp_out_id(const struct vpn_dp *v, uint32_t spi_in);

/*
 * A datapath SA event asks for a rekey of child SA spi_in of engine
 * connection conn_id (vpn_driver_sa_event's signature); kinds: enum
 * dp_sa_event_kind bits.
 */
typedef void (*vpn_dp_event_fn)(void *arg, uint32_t conn_id, uint32_t spi_in,
				uint32_t kinds);
/*
 * Subscribe to the datapath's SA events on base (borrowed) from now on:
 * a second connection, opened with the datapath connection (at the first
 * install) and reopened with it after a failure. Always 0.
 */
int vpn_dp_watch_events(struct vpn_dp *v, struct event_base *base,
			vpn_dp_event_fn fn, void *arg);
/*
 * One SA event (what the watcher calls for each): the child that owns
 * SA ev->id gets one fn call for its first event (both its SAs may
 * report). 1 if fn was called, 0 if not needed, -ENOENT for an SA of no
 * child (counted, logged).
 */
int vpn_dp_sa_event(struct vpn_dp *v, const struct dp_sa_event *ev);

#endif /* SLUICE_VPN_DP_H */
