/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lbaas.h: the load-balancer service of sluiced: the Octavia v2 API
 * (/v2.0/lbaas/...) over the control daemon's store, the health monitors
 * that decide member status, and the hook through which the LB datapath
 * driver learns that a member went up or down.
 *
 * api.c hands every request under /v2.0/lbaas/ to lbaas_handle() after
 * authenticating it. Objects (load balancers, listeners, pools, members,
 * health monitors) are rows of one table of the store's SQLite database,
 * holding each object's API JSON; operating_status and the relation lists
 * (listeners, pools, members) are computed on read from the rows and the
 * health state, so they never go stale. The VIP is a Neutron port
 * (device_owner "Octavia") made through ctl.h, so IPAM never hands the
 * address out twice. Errors are Octavia fault bodies
 * ({"faultcode":"Client","faultstring":...,"debuginfo":null}).
 *
 * Concurrency: single-threaded (the event loop), like ctl.h.
 */
#ifndef SLUICE_LBAAS_H
#define SLUICE_LBAAS_H

#include <stdbool.h>

#include "ctl.h"
#include "http.h"

struct event_base;
struct lbaas;

/*
 * Called when the health monitors move a member up or down (is_up). A
 * member no monitor watches is never reported and counts as up (its
 * operating_status is NO_MONITOR). Ids are borrowed for the call.
 */
typedef void (*lbaas_member_fn)(void *arg, const char *pool_id,
				const char *member_id, bool is_up);

/*
 * Create the service over ctl (borrowed; must outlive it) and create its
 * table in ctl's store. *out is owned by the caller (lbaas_destroy).
 * 0, -ENOMEM or -EIO.
 */
int lbaas_create(struct ctl *ctl, struct lbaas **out);
/* Stop the monitors and free. Accepts NULL. */
void lbaas_destroy(struct lbaas *lb);

/*
 * Start the health monitors on base (borrowed): every monitor in the
 * store, and every later change, is probed from this loop. 0 or -errno.
 */
int lbaas_health_start(struct lbaas *lb, struct event_base *base);

/*
 * Probe from a service namespace per monitored load balancer (on: what
 * sluiced does unless its config says `[lbaas] probe_netns = off`), made
 * with a Neutron health port bound to the datapath (docs/lbaas.md,
 * "Probe namespaces"); off: from the daemon's own namespace (members the
 * host reaches, e.g. on loopback in tests). Set before
 * lbaas_health_start(). Needs CAP_SYS_ADMIN and CAP_NET_ADMIN.
 */
void lbaas_set_probe_netns(struct lbaas *lb, bool is_on);

/* Register the member up/down hook (one; NULL clears). */
void lbaas_set_member_fn(struct lbaas *lb, lbaas_member_fn fn, void *arg);

/*
 * Called after every committed API write (objects created, updated or
 * deleted); the datapath driver (lb_driver.h) resyncs from it. One hook;
 * NULL clears.
 */
typedef void (*lbaas_change_fn)(void *arg);
void lbaas_set_change_fn(struct lbaas *lb, lbaas_change_fn fn, void *arg);

/* Counters of a load balancer or listener (GET .../stats). */
struct lbaas_stats {
	unsigned long long bytes_in, bytes_out;
	unsigned long long active_connections, total_connections;
	unsigned long long request_errors;
};

/*
 * Fill *out for load balancer lb_id, or only its listener listener_id
 * when not NULL (ids borrowed). 0 or -errno (then zeros are answered).
 */
typedef int (*lbaas_stats_fn)(void *arg, const char *lb_id,
			      const char *listener_id, struct lbaas_stats *out);
/* Register the stats source (the datapath driver; one; NULL clears). */
void lbaas_set_stats_fn(struct lbaas *lb, lbaas_stats_fn fn, void *arg);

/* The health verdict for member_id: 1 up, 0 down, -1 not probed yet. */
int lbaas_member_health(const struct lbaas *lb, const char *member_id);

/*
 * Answer one request whose path starts with /v2.0/lbaas (auth checked by
 * the caller; base_url is "http://host:port", borrowed). Besides the
 * Octavia resources: GET /v2.0/lbaas/sluice/health, the health monitors'
 * counters and per-member state, admin only (docs/lbaas.md).
 */
void lbaas_handle(struct lbaas *lb, const struct ctl_auth *auth,
		  const char *base_url, const struct http_request *req,
		  struct http_response *resp);

/*
 * For the datapath driver: set the provisioning_status of object id
 * ("ACTIVE", "ERROR", "PENDING_UPDATE", ...). While an object or its load
 * balancer is PENDING_*, API writes to it are 409. 0, -ENOENT, -EINVAL
 * (unknown status) or -EIO.
 */
int lbaas_set_provisioning(struct lbaas *lb, const char *id,
			   const char *status);

#endif /* SLUICE_LBAAS_H */
