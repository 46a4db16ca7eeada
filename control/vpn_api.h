/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vpn_api.h: the Neutron VPNaaS REST API of sluiced, under /v2.0/vpn/:
 * ikepolicies, ipsecpolicies, vpnservices, endpoint-groups and
 * ipsec-site-connections (list, create, show, update, delete). api.c
 * routes every path under /v2.0/vpn/ here after authenticating it.
 *
 * Each handler decodes with vpn_model.h, checks the request against the
 * store (the objects it names exist and are visible to the caller, the
 * vpnservice's router has an external gateway, an object still referenced
 * is not deleted: 409), writes in one store transaction and, after the
 * commit, tells the observer (the IKE driver, vpn_driver.h) so it can
 * reconfigure the engine. Lists go through query.h like the core
 * resources. The pre-shared key is write-only: no response carries it
 * and no log line names it.
 *
 * Concurrency: single-threaded (the event loop).
 */
#ifndef SLUICE_VPN_API_H
#define SLUICE_VPN_API_H

#include "ctl.h"
#include "http.h"
#include "vpn_model.h"

struct vpn_api;

/* Called after every committed change (id of the object of kind k). */
typedef void (*vpn_api_changed_fn)(void *arg, enum vpn_kind k, const char *id);

/*
 * Create the API over ctl's store (borrowed; must outlive it) and create
 * the VPN table in it. 0, -ENOMEM or -EIO.
 */
int vpn_api_create(struct ctl *ctl, struct vpn_api **out);
/* Accepts NULL. */
void vpn_api_destroy(struct vpn_api *v);

/* Set the change observer (one; NULL to clear). */
void vpn_api_set_observer(struct vpn_api *v, vpn_api_changed_fn fn, void *arg);

/*
 * Answer one authenticated request whose path is /v2.0/vpn/<seg...>;
 * seg holds the n segments after "vpn" (borrowed).
 */
void vpn_api_handle(struct vpn_api *v, const struct ctl_auth *auth,
		    const struct http_request *req, char *const *seg, int n,
		    struct http_response *resp);

/* Requests answered with a 4xx so far. */
unsigned long vpn_api_client_errors(const struct vpn_api *v);

#endif /* SLUICE_VPN_API_H */
