/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pl_lb.h: load-balancer pools behind the lb_select action (pl_lb.c),
 * private to the pipeline. The executor (pl_worker.c) calls pl_lb_exec()
 * for lb_select; the control socket (datapath/ctl) sets, deletes and reads
 * pools with the dp_pipeline_lb_* calls; pipeline.c destroys the pools
 * with the pipeline. Connections themselves live in pl_ct.c's table.
 *
 * Concurrency: pools are immutable versions published per id with one
 * pointer store and freed after an RCU grace period; set, delete and
 * stats run on one control thread at a time (the caller serialises them).
 * Packet, byte and connection counters are per worker; the number of
 * active connections of a member is one shared atomic per member (it is
 * what LEAST_CONNECTIONS compares, and changes only when a connection
 * opens or closes).
 */
#ifndef SLUICE_PL_LB_H
#define SLUICE_PL_LB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_proto.h"
#include "pl_int.h"

struct pl_lb;

/*
 * lb_select(pool, zone, table) on the packet, in slot's name (a worker
 * index, or PL_CT_CONTROL). Returns 0 (the walk goes on at a->table) or
 * DP_DROP_LB_NO_MEMBER, DP_DROP_LB_LIMIT, DP_DROP_LB_FAMILY (a new
 * connection of the other IP family than the pool's). With is_trace
 * nothing is committed or counted.
 * Hot path: no allocation; RCU read side.
 */
int pl_lb_exec(struct dp_pipeline *pl, unsigned slot, struct pl_pctx *c,
	       const struct dp_act_lb *a, bool is_trace);

/* Free every pool. No worker may run. Accepts a pipeline without pools. */
void pl_lb_destroy(struct dp_pipeline *pl);

/*
 * Replace (or create) pool p->id with p and its p->n_members members m.
 * The new Maglev table and member array are built here, published with
 * one store; the old version is freed after a grace period. Members kept
 * (same address and port) keep their counters and connections. 0 or
 * -EINVAL (err says why), -ENOSPC (member slots), -ENOMEM. Control thread.
 */
int dp_pipeline_lb_set(struct dp_pipeline *pl, const struct dp_lb_pool *p,
		       const struct dp_lb_member *m, char *err, size_t err_len);
/*
 * The same for an IPv6 pool (p->src_addr6 its source, p->src_addr 0):
 * DP_LB_POOL_F_IPV6 is taken as set. dp_pipeline_lb_set() refuses a p
 * with that flag (its members would be of the wrong form).
 */
int dp_pipeline_lb_set6(struct dp_pipeline *pl, const struct dp_lb_pool *p,
			const struct dp_lb_member6 *m, char *err,
			size_t err_len);
/*
 * Delete pool id: new connections to it are dropped; existing ones keep
 * their binding until they end. 0 or -ENOENT. Control thread.
 */
int dp_pipeline_lb_del(struct dp_pipeline *pl, uint32_t id);

/*
 * Visit pool id's counters (id 0: every pool, by id): fn (IPv4 pools) or
 * fn6 (IPv6 pools, ps->flags has DP_LB_POOL_F_IPV6) gets the pool and its
 * n_members member counters; a pool whose function is NULL is skipped; a
 * non-zero return stops and is returned. -ENOENT for an unknown id,
 * -ENOMEM. dp_pipeline_lb_stats() visits IPv4 pools only. Control thread.
 */
typedef int (*dp_lb_visit_fn)(const struct dp_lb_pool_stats *ps,
			      const struct dp_lb_member_stats *ms, void *arg);
typedef int (*dp_lb_visit6_fn)(const struct dp_lb_pool_stats *ps,
			       const struct dp_lb_member6_stats *ms, void *arg);
int dp_pipeline_lb_stats_all(struct dp_pipeline *pl, uint32_t id,
			     dp_lb_visit_fn fn, dp_lb_visit6_fn fn6, void *arg);
int dp_pipeline_lb_stats(struct dp_pipeline *pl, uint32_t id, dp_lb_visit_fn fn,
			 void *arg);

/*
 * Tests: the Maglev table of pool id (member index per entry) and its
 * members' addresses (network order) and ports: copies at most max entries
 * into table and returns the size, or -ENOENT.
 */
int pl_lb_table(struct dp_pipeline *pl, uint32_t id, uint32_t *table,
		uint32_t max, struct dp_lb_member *members,
		uint32_t max_members);

#endif /* SLUICE_PL_LB_H */
