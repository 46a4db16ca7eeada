/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dpsync_l3.h: dpsync's cache of the document kinds in net_view form
 * (routers, floating IPs, security groups and rules; net_view.h), kept
 * current from the stored documents, and which other ports a port's
 * change touches through remote security groups.
 *
 * Concurrency: sluiced's event loop only.
 */
#ifndef SLUICE_DPSYNC_L3_H
#define SLUICE_DPSYNC_L3_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "model.h"
#include "net_view.h"
#include "store.h"

struct dpsync_docs {
	struct net_view_router *routers;
	size_t n_routers, routers_cap;
	struct net_view_fip *fips;
	size_t n_fips, fips_cap;
	struct net_view_sg *sgs;
	size_t n_sgs, sgs_cap;
	struct net_view_sg_rule *rules;
	size_t n_rules, rules_cap;
};

/* Load every document of the four kinds from st. 0, -ENOMEM or -EIO. */
int dpsync_docs_load(struct dpsync_docs *d, struct store *st);
/* Free the arrays; d may be zeroed or loaded. */
void dpsync_docs_fini(struct dpsync_docs *d);
/*
 * Apply one change (cur NULL: deleted). 0 or -ENOMEM. *is_same is true
 * when the view of the object did not change (names, tags, revisions).
 */
int dpsync_docs_apply(struct dpsync_docs *d, enum ctl_kind kind,
		      const json_t *old, const json_t *cur, bool *is_same);
/*
 * Fill the document part of v from d; routers' gw_port_id from v's ports
 * (the network:router_gateway port whose device_id is the router).
 */
void dpsync_docs_view(struct dpsync_docs *d, struct net_view *v);

/*
 * A port's groups or addresses changed (old/cur its views, either NULL):
 * port(arg, id) for the members of groups that have rules naming one of
 * its groups as remote_group_id, other than the port itself (remote
 * groups follow membership). Changes of the documents themselves go to
 * the driver's own entry points (netdrv_router_changed, _fip_changed,
 * _sg_changed).
 */
void dpsync_docs_port_touched(const struct net_view *v,
			      const struct net_view_port *old,
			      const struct net_view_port *cur,
			      void (*port)(void *arg, const char *port_id),
			      void *arg);

#endif /* SLUICE_DPSYNC_L3_H */
