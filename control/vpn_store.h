/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vpn_store.h: persistence of the VPNaaS resources in sluiced's SQLite
 * store (store.h), in the same database and the same transactions as the
 * core resources: one table, vpn_objects, one row per object with its
 * kind, id, project, name, its API JSON document (vpn_model.h) and, for a
 * connection, its pre-shared key in a column of its own that no API
 * document is ever built from.
 *
 * Also the read side of the routers a vpnservice hangs off: routers are
 * another module's resource; vpn_store_router() finds one by id in the
 * "routers" table when that exists (its API document) and its gateway and
 * interfaces through the ports that carry its id as device_id
 * (network:router_gateway, network:router_interface), so it depends only
 * on the Neutron conventions, not on that module's structs.
 *
 * The caller brackets writes in store_begin() .. store_commit().
 *
 * Concurrency: single-threaded (the event loop), like store.h.
 */
#ifndef SLUICE_VPN_STORE_H
#define SLUICE_VPN_STORE_H

#include <stdbool.h>

#include <jansson.h>

#include "store.h"
#include "vpn_model.h"

/* Create the VPN table if missing. 0 or -EIO. */
int vpn_store_init(struct store *st);

/*
 * Insert (is_new) or replace the object doc (borrowed; its "id" and
 * "project_id" are used). psk: the connection's key, or NULL to keep the
 * stored one. 0, -EEXIST, -ENOENT (update of a missing row) or -EIO.
 */
int vpn_store_put(struct store *st, enum vpn_kind k, const json_t *doc,
		  const char *psk, bool is_new);

/* *doc gets a new reference to object id of kind. 0, -ENOENT or -EIO. */
int vpn_store_get(struct store *st, enum vpn_kind k, const char *id,
		  json_t **doc);

/*
 * Call cb with each object of kind (doc borrowed for the call), in
 * creation order. A non-zero return of cb stops and is returned.
 */
int vpn_store_foreach(struct store *st, enum vpn_kind k,
		      int (*cb)(void *arg, const json_t *doc), void *arg);

/* The connection's PSK into buf (VPN_PSK_MAX + 1). 0, -ENOENT, -EIO. */
int vpn_store_psk(struct store *st, const char *conn_id, char *buf);

/* Delete object id of kind. 0, -ENOENT or -EIO. */
int vpn_store_del(struct store *st, enum vpn_kind k, const char *id);

/*
 * Is router_id the router of a vpnservice? 1 (its id copied into svc_id,
 * len bytes), 0 (none, or no VPN table in this store: VPNaaS never
 * enabled), -EIO. For the router API's delete (Neutron: 409).
 */
int vpn_store_router_user(struct store *st, const char *router_id, char *svc_id,
			  size_t len);

#define VPN_ROUTER_SUBNETS_MAX 16

/* What a VPN needs to know of a router. */
struct vpn_router {
	char project_id[CTL_PROJECT_MAX + 1];
	bool has_gw4, has_gw6;
	struct ctl_ip gw4, gw6; /* external_v4_ip / external_v6_ip */
	unsigned n_subnets;	/* attached subnets (interfaces) */
	char subnet_ids[VPN_ROUTER_SUBNETS_MAX][CTL_UUID_LEN + 1];
	struct ctl_prefix subnets[VPN_ROUTER_SUBNETS_MAX];
};

/* Look router id up. 0, -ENOENT (no such router) or -EIO. */
int vpn_store_router(struct store *st, const char *id, struct vpn_router *out);

#endif /* SLUICE_VPN_STORE_H */
