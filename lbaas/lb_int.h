/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lb_int.h: what the files of the load-balancer service share: the
 * service struct, one stored object (a row of lb_objects), the rows and
 * computed status (lb_store.c), the VIP port and member address checks
 * (lb_vip.c) and the monitors' counters for the operator (lb_health.c).
 * Private to lbaas/; the public face is lbaas.h.
 *
 * Concurrency: single-threaded (the event loop).
 */
#ifndef SLUICE_LB_INT_H
#define SLUICE_LB_INT_H

#include <stdbool.h>

#include <jansson.h>
#include <sqlite3.h>

#include "health.h"
#include "lb_model.h"
#include "lbaas.h"

/*
 * The service. health is NULL until lbaas_health_start(). Concurrency:
 * the event loop only.
 */
struct lbaas {
	struct ctl *ctl;
	struct store *st; /* ctl's */
	sqlite3 *db;	  /* st's */
	struct health *health;
	lbaas_member_fn member_fn;
	void *member_arg;
	lbaas_change_fn change_fn;
	void *change_arg;
	lbaas_stats_fn stats_fn;
	void *stats_arg;
	bool is_probe_netns; /* probes from per-LB namespaces (lb_svc.c) */
	struct lb_svc *svc;  /* the namespaces made, n_svc of cap_svc */
	size_t n_svc, cap_svc;
};

/*
 * Service namespaces (lb_svc.c): the device_owner of a load balancer's
 * health port (device_id: the load balancer id).
 */
#define LB_SVC_DEVICE_OWNER "Octavia:health"
/* The device_owner of a load balancer's VIP port (lb_vip.c). */
#define LB_VIP_DEVICE_OWNER "Octavia"

/* Make or remove namespaces to match the monitored load balancers. */
void lb_svc_sync(struct lbaas *lb);
/* The probe namespace of lb_id, -1 if none (or not enabled). */
int lb_svc_netns_fd(const struct lbaas *lb, const char *lb_id);
/* Close the descriptors; the namespaces stay for the next start. */
void lb_svc_fini(struct lbaas *lb);
/*
 * At start, after the first sync: remove the VIP ports of load balancers
 * that are not stored (a VIP port is written before its load balancer
 * and removed after it) and the health ports (and namespaces) of load
 * balancers that are not stored or not monitored.
 */
void lb_svc_sweep(struct lbaas *lb);

/* One stored object. */
struct lb_row {
	enum lb_kind kind;
	char id[CTL_UUID_LEN + 1];
	char project_id[CTL_PROJECT_MAX + 1];
	char lb_id[CTL_UUID_LEN + 1];
	char parent_id[CTL_UUID_LEN + 1];
	json_t *doc; /* owned */
};

/* Rows (lb_store.c); a row's doc is owned, freed by lb_store_row_fini(). */

/* Get id (any kind) into *r: 0, -ENOENT or -EIO. */
int lb_store_get(struct lbaas *lb, const char *id, struct lb_row *r);
/*
 * Call cb for each row of kind whose column col ("parent_id", "lb_id",
 * "id") equals val (col NULL: every row of kind), in insertion order; the
 * row is borrowed for the call. cb's non-zero return stops and is
 * returned. 0 or -EIO.
 */
int lb_store_each(struct lbaas *lb, enum lb_kind kind, const char *col,
		  const char *val, int (*cb)(void *arg, struct lb_row *r),
		  void *arg);
/* The docs of lb_store_each() as a new array, NULL on error. */
json_t *lb_store_children(struct lbaas *lb, enum lb_kind kind, const char *col,
			  const char *val);
/* Insert (is_new) or replace a row: 0, -EEXIST, -ENOMEM or -EIO. */
int lb_store_put(struct lbaas *lb, const struct lb_row *r, bool is_new);
/* Delete the rows whose column col equals val: 0 or -EIO. */
int lb_store_del_where(struct lbaas *lb, const char *col, const char *val);
/* Free r's doc (r itself is the caller's). */
void lb_store_row_fini(struct lb_row *r);

/* A string attribute of doc, "" when absent. */
const char *lb_store_str(const json_t *doc, const char *key);
/* admin_state_up of doc. */
bool lb_store_is_up(const json_t *doc);
/* The monitor of pool_id, or NULL (new reference). */
json_t *lb_store_pool_monitor(struct lbaas *lb, const char *pool_id);
/* [{"id"}] of the listeners of lb_id whose default pool is pool_id. */
json_t *lb_store_pool_listeners(struct lbaas *lb, const char *lb_id,
				const char *pool_id);
/*
 * The API form of a row: its doc plus the computed attributes
 * (operating_status from the health monitors, relation lists). New
 * reference, NULL on out of memory.
 */
json_t *lb_store_view(struct lbaas *lb, const struct lb_row *r);
/* The status tree of load balancer row (GET .../status). New reference. */
json_t *lb_store_status_tree(struct lbaas *lb, const struct lb_row *row);

/* Addresses and the VIP (lb_vip.c). */

struct lb_vip_ip {
	int family; /* 4 or 6 */
	unsigned char a[16];
};

/* Parse an IPv4 or IPv6 address: 0 or -EINVAL. */
int lb_vip_ip_parse(const char *s, struct lb_vip_ip *ip);
/*
 * Check that addr (what names it in messages) is in subnet_id when given
 * (a subnet project can use), else in some subnet of project or a shared
 * one. 0, or -EINVAL with a 400 in err.
 */
int lb_vip_check_address(struct lbaas *lb, const char *what, const char *addr,
			 const char *subnet_id, const char *project,
			 struct lb_err *err);
/*
 * Make the VIP port of load balancer row (a Neutron port, device_owner
 * "Octavia", on the subnet from vip_subnet_id or vip_network_id, with
 * vip_address or an allocated one) with caller's rights in row's
 * project, and set vip_address/vip_port_id/vip_subnet_id/vip_network_id
 * in row's doc. 0, or -EINVAL/-EIO with err set.
 */
int lb_vip_port_create(struct lbaas *lb, const struct ctl_auth *caller,
		       struct lb_row *row, struct lb_err *err);
/* Delete the VIP port named by doc's vip_port_id (logged on failure). */
void lb_vip_release(struct lbaas *lb, const json_t *doc);

/* The health monitors for the operator (lb_health.c). */

/*
 * The body of GET /v2.0/lbaas/sluice/health: {"health": {"running",
 * the counters of health.h, "failures" by reason name, "members": one
 * entry per probed member, sorted by pool then member}}. Read-only.
 * New reference, NULL on out of memory.
 */
json_t *lb_health_view(const struct lbaas *lb);

#endif /* SLUICE_LB_INT_H */
