/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lb_driver.h: the datapath driver of the load-balancer service. It turns
 * the Octavia objects of lbaas.h into sluice-dp pools (dp_proto.h,
 * LB_POOL_SET/DEL): one datapath pool per (listener, default pool) of a
 * load balancer, with the pool's algorithm and SOURCE_IP persistence, the
 * LB's VIP as the source address members see, the listener's
 * connection_limit and timeouts, and every member of the VIP's IP
 * version with its weight, backup flag and up/down state (admin_state_up
 * and, when a health monitor watches the pool, its verdict). An IPv6
 * VIP makes an IPv6 datapath pool (DP_LB_POOL_F_IPV6, the VIP as
 * src_addr6, struct dp_lb_member6 members).
 *
 * Every API write and every health change marks the driver dirty; one
 * deferred pass on the event loop (coalescing a burst of writes) then
 * rebuilds all pools from the store, sends those that changed, deletes
 * those whose objects are gone, and sets provisioning_status: ACTIVE on
 * the load balancer, listener, pool and members once the datapath took
 * the pool, ERROR (logged with the reason) when it refused it or could
 * not be reached. Unreachable datapath: retried every second.
 *
 * Concurrency: single-threaded (the event loop of lbaas.h).
 */
#ifndef SLUICE_LB_DRIVER_H
#define SLUICE_LB_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_proto.h"
#include "lbaas.h"

struct event_base;
struct lb_driver;

/*
 * Where pools go. The default (lb_driver_create() with ops NULL) is a
 * dp_client connection to dp_socket; tests pass their own. Each returns
 * 0 or -errno.
 */
struct lb_driver_ops {
	int (*pool_set)(void *arg, const struct dp_lb_pool *p,
			const struct dp_lb_member *m);
	int (*pool_del)(void *arg, uint32_t id);
	/* Counters of pool id, IPv4 or IPv6 (members not needed). */
	int (*pool_stats)(void *arg, uint32_t id, struct dp_lb_pool_stats *out);
	void *arg;
	/* An IPv6 pool (p->flags has DP_LB_POOL_F_IPV6); NULL: refused
	 * with -EAFNOSUPPORT. */
	int (*pool_set6)(void *arg, const struct dp_lb_pool *p,
			 const struct dp_lb_member6 *m);
};

/* One datapath pool as the driver last sent it (for tests, status). */
struct lb_driver_pool_info {
	uint32_t dp_id;
	char lb_id[40];
	char listener_id[40];
	char pool_id[40];
	uint32_t n_members;
	uint32_t n_up; /* members with DP_LB_M_UP and weight > 0 */
};

/*
 * Create the driver over lb (borrowed; must outlive it) on base
 * (borrowed). ops NULL: the datapath at dp_socket. Registers lbaas's
 * change and member hooks and schedules a first full pass.
 * 0, -ENOMEM or -EINVAL.
 */
int lb_driver_create(struct lbaas *lb, struct event_base *base,
		     const char *dp_socket, const struct lb_driver_ops *ops,
		     struct lb_driver **out);
/* Unhook from lbaas and free (pools stay in the datapath). NULL ok. */
void lb_driver_destroy(struct lb_driver *d);

/*
 * The VIPs whose listeners have a pool in the datapath, for the flow
 * rules that bring packets there (control/net/compiler_lb.h): after every
 * pass whose list differs from the last one given, fn gets all of them
 * (n 0: none left). VIPs (IPv4 or IPv6) with a vip_port_id only.
 *
 * A listener's allowed_cidrs: null or [] leaves it open to every client
 * (is_restricted false); otherwise only sources in its prefixes of the
 * VIP's IP version reach it (prefixes of the other version never match
 * the VIP's clients, so a list of those alone admits nobody).
 */
enum { LB_DRIVER_VIP_LISTENERS_MAX = 16, LB_DRIVER_CIDRS_MAX = 64 };
struct lb_driver_cidr {
	uint8_t addr[16]; /* network order, host bits cleared; IPv4: the
			   * first 4 bytes, the rest 0 */
	uint8_t len;	  /* 0 .. 32 (IPv4), 0 .. 128 (IPv6) */
};
struct lb_driver_vip {
	char lb_id[40];
	char vip_port_id[40];
	uint8_t family;	 /* 4 or 6 */
	uint8_t vip[16]; /* network order; IPv4: the first 4 bytes */
	unsigned n_listeners;
	struct {
		uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
		uint16_t port; /* host order */
		uint32_t dp_pool;
		bool is_restricted; /* allowed_cidrs non-empty */
		unsigned n_cidrs;   /* its prefixes of the VIP's version */
		struct lb_driver_cidr cidrs[LB_DRIVER_CIDRS_MAX];
	} l[LB_DRIVER_VIP_LISTENERS_MAX];
};
typedef void (*lb_driver_vip_fn)(void *arg, const struct lb_driver_vip *v,
				 size_t n);
void lb_driver_set_vip_fn(struct lb_driver *d, lb_driver_vip_fn fn, void *arg);

/* Run the pending pass now (tests). 0, or the first -errno of a pool. */
int lb_driver_sync(struct lb_driver *d);

/*
 * The datapath pool id serving (listener_id, pool_id) into *info, 0 or
 * -ENOENT.
 */
int lb_driver_pool_find(const struct lb_driver *d, const char *listener_id,
			const char *pool_id, struct lb_driver_pool_info *info);

/*
 * The datapath pool id the driver tries first for a new (listener_id,
 * pool_id) with no stored id: 1 + FNV-1a of "listener/pool" modulo
 * DP_LB_POOL_ID_MAX; it takes the next ones when that one is held.
 */
uint32_t lb_driver_first_id(const char *listener_id, const char *pool_id);

#endif /* SLUICE_LB_DRIVER_H */
