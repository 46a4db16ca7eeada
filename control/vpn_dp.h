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
 * Concurrency: single-threaded (the event loop); the SA calls block for
 * the datapath's reply (bounded by the client's timeout).
 */
#ifndef SLUICE_VPN_DP_H
#define SLUICE_VPN_DP_H

#include <stddef.h>

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
/* Remove the two ESP SAs of a child SA (by its inbound SPI). */
void vpn_dp_sa_remove(void *arg, const struct ike_child_info *ci);

/* The datapath id of the outbound SA of the child whose inbound SPI is
 * spi_in (for esp_encrypt(sa=N) rules); 0 if none. */
uint32_t vpn_dp_out_id(const struct vpn_dp *v, uint32_t spi_in);

#endif /* SLUICE_VPN_DP_H */
