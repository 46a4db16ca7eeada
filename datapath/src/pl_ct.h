/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pl_ct.h: the connection table behind the ct action (pl_ct.c), private
 * to the pipeline. The executor (pl_worker.c) calls pl_ct_exec() for a
 * ct action and pl_ct_burst() once per burst; workers sweep expired
 * connections from dp_worker_quiescent(); pipeline.c creates the table
 * with the pipeline and exposes stats, flush and dump (pipeline.h).
 *
 * Concurrency: one table shared by every worker and the control thread.
 * Buckets come in groups of 11 tagged links with one spinlock in the same
 * cache line; a connection is linked under the group of its original tuple and
 * the group of its reply tuple. Lock order: groups in ascending index, then the
 * free-list lock. Per-worker state (clock, counters, last lookup) is indexed by
 * worker; the control thread uses slot DP_WORKERS_MAX.
 */
#ifndef SLUICE_PL_CT_H
#define SLUICE_PL_CT_H

#include <stdbool.h>
#include <stdint.h>

#include "pl_int.h"

struct pl_ct;

/* Slot of the control thread (trace, flush, dump, sweep). */
enum { PL_CT_CONTROL = DP_WORKERS_MAX };

/*
 * Reserve a table for ct_max connections (1 .. DP_CT_MAX_MAX). Memory is
 * mapped, not touched: it costs what connections use. 0 or -ENOMEM,
 * -EINVAL.
 */
int pl_ct_create(uint32_t ct_max, struct pl_ct **out);
/* Accepts NULL. No worker may run. */
void pl_ct_destroy(struct pl_ct *ct);

/* Read the coarse clock for slot's next burst. Hot path. */
void pl_ct_burst(struct pl_ct *ct, unsigned slot);

/*
 * Run a ct action on the packet: set key.ct_state, ct_zone and ct_mark,
 * commit and translate as a asks. With is_trace, the table is only read
 * (no commit, no state change, no counters). Hot path: no allocation;
 * takes one or two bucket-group spinlocks.
 */
void pl_ct_exec(struct pl_ct *ct, unsigned slot, struct pl_pctx *c,
		const struct dp_act_ct *a, bool is_trace);

/*
 * Prefetch for a packet whose cached segment ends in ct(zone), its key as
 * parsed (TCP and UDP only): _group prefetches the bucket group and
 * returns the tuple hash (0: nothing prefetched), _conn (a little later)
 * the connections of the first two slots whose tag matches (none: the
 * head of the group's overflow chain) and returns the first such slot +
 * 1 (0: none), for the packet's context (ct_hint); is_v6: the key is
 * IPv6 (its connection's cold part is read too). Hot path; no lock.
 */
uint32_t pl_ct_prefetch_group(struct pl_ct *ct, const struct dp_key *key,
			      uint16_t zone);
uint8_t pl_ct_prefetch_conn(struct pl_ct *ct, uint32_t hash, bool is_v6);

/*
 * True when the table holds at least PL_CT_PREFETCH_MIN connections (1.5
 * MiB: beyond a core's L2). Below, the prefetch stages cost more
 * instructions than the misses they save (measured: dp-lb-bench --conns
 * 1000 went from 3.20 to 2.92 Mpps with them).
 */
enum { PL_CT_PREFETCH_MIN = 16384 };
bool pl_ct_is_big(const struct pl_ct *ct);

/* Reclaim expired connections in the next n bucket groups. */
void pl_ct_sweep(struct pl_ct *ct, unsigned slot, unsigned n);
/* Called by a worker once per loop: sweeps a little every few calls. */
void pl_ct_quiescent(struct pl_ct *ct, unsigned slot);

void pl_ct_stats(struct pl_ct *ct, struct dp_ct_stats *out);
uint64_t pl_ct_flush(struct pl_ct *ct, uint32_t zone);
int pl_ct_dump(struct pl_ct *ct, uint32_t zone, dp_ct_visit_fn fn, void *arg);

/*
 * Tests only: replace the clock (seconds, monotonic) with fn(arg); NULL
 * restores CLOCK_MONOTONIC_COARSE.
 */
void pl_ct_set_clock(struct pl_ct *ct, uint32_t (*fn)(void *), void *arg);
/*
 * lb_select (pl_lb.c). The binding a pool picked for a new connection:
 * addresses network order, ports network order except the host-order
 * source port range (0: 1024 .. 65535); mark names the member to the
 * close hook and is the connection's ct_mark.
 */
struct pl_ct_lb_bind {
	uint32_t member_addr;
	uint16_t member_port; /* 0: the packet's destination port */
	uint16_t port_min;
	uint32_t src_addr;
	uint16_t port_max;
	uint16_t pool; /* its id: the connection takes that pool's
			* timeouts (pl_ct_set_lb_timeouts) for its life */
	uint32_t mark;
	/* An IPv6 pool's (16 bytes each, read during the commit; the
	 * IPv4 ones above are then unused), else NULL. */
	const uint8_t *member6;
	const uint8_t *src6;
};

/* Pick a member for the new connection of c: 0, or -ENOENT for none. */
typedef int (*pl_ct_lb_pick_fn)(void *arg, struct pl_pctx *c,
				struct pl_ct_lb_bind *b);

enum pl_ct_lb_result {
	PL_CT_LB_FOUND,	    /* a connection of the zone: translated */
	PL_CT_LB_NEW,	    /* committed with pick's binding: translated */
	PL_CT_LB_INVALID,   /* ct_state +inv (counted by reason) */
	PL_CT_LB_NO_MEMBER, /* may open, but nothing to send it to */
	PL_CT_LB_TRACE_NEW, /* trace: would pick a member */
};

/*
 * Run lb_select's connection part on the packet in zone: look it up
 * (either direction) and translate it; a TCP or UDP packet that may open
 * a connection gets a member from pick and is committed with full NAT,
 * IPv4 or IPv6 (pick checks that the pool is of the packet's family).
 * Sets key.ct_state, ct_zone, ct_mark; *mark is the member's mark of an
 * LB connection, else 0. Hot path: no allocation; bucket spinlocks.
 */
int pl_ct_lb_exec(struct pl_ct *ct, unsigned slot, struct pl_pctx *c,
		  uint16_t zone, pl_ct_lb_pick_fn pick, void *arg,
		  bool is_trace, uint32_t *mark);

/*
 * pl_ct_lb_exec()'s common packet alone, for a worker: a TCP or UDP
 * packet whose tuple the prefetch stage hashed (ct_hash), of a connection
 * the lockless lookup finds. PL_CT_LB_FOUND with everything set as
 * pl_ct_lb_exec() sets it; else PL_CT_LB_INVALID having changed nothing
 * that pl_ct_lb_exec(), which the caller then runs, does not set again.
 */
int pl_ct_lb_est(struct pl_ct *ct, unsigned slot, struct pl_pctx *c,
		 uint16_t zone, uint32_t *mark);

/*
 * Call closed(arg, mark) whenever an LB connection leaves the table
 * (expiry, flush, reuse, eviction by a commit into a full table), on
 * whichever thread removes it; and reply(arg, slot, mark, len) for each
 * reply-direction packet of an LB connection that a ct action (not
 * lb_select, not a trace) finds, on its worker slot: the member's
 * counters of the other direction. Set before workers run.
 */
void pl_ct_set_lb_hook(struct pl_ct *ct,
		       void (*closed)(void *arg, uint32_t mark),
		       void (*reply)(void *arg, unsigned slot, uint32_t mark,
				     uint32_t len),
		       void *arg);

/*
 * Timeouts, seconds, of the LB connections of pool (1 ..
 * DP_LB_POOL_ID_MAX): idle_s for TCP established and closing (FIN_WAIT,
 * CLOSE_WAIT) and UDP, connect_s for TCP SYN_SENT; 0 keeps the table's
 * default for those states. They apply from each connection's next
 * packet. Control thread; workers read them atomically.
 */
void pl_ct_set_lb_timeouts(struct pl_ct *ct, uint32_t pool, uint32_t idle_s,
			   uint32_t connect_s);

/* slot's clock (seconds) as read at its last burst. */
uint32_t pl_ct_now(const struct pl_ct *ct, unsigned slot);

/* Bytes of table memory per tracked connection (entry + bucket share). */
size_t pl_ct_conn_bytes(const struct pl_ct *ct);

/* The pipeline's table (tests). */
struct pl_ct *pl_ct_of(struct dp_pipeline *pl);

/*
 * Tests only. _collide, on a table that never held a connection: use
 * gmask + 1 groups (a power of two, at most the table's) and tags masked
 * with tag_mask (0: every tag collides). _check: the table's invariants
 * (every link in range, once, in its hash's group with its tag, found by
 * a lookup; both directions of a connection linked; the overflow chain
 * used only when the slots are full); 0 or -EINVAL (the reason on
 * stderr). _find: the table's lookup (*fast) and a search of every link
 * of every group (*slow) for one tuple; -EEXIST when linked twice.
 */
struct pl_ct_check {
	uint32_t links;	  /* linked tuples (two a connection) */
	uint32_t ovf;	  /* of them, in overflow chains */
	uint32_t max_ovf; /* the longest overflow chain */
};
int pl_ct_test_collide(struct pl_ct *ct, uint32_t gmask, uint8_t tag_mask);
/*
 * The prefetch stage (and what it hands the lookup) from n connections
 * instead of PL_CT_PREFETCH_MIN, so that a small table takes the path of
 * a big one.
 */
void pl_ct_test_prefetch_min(struct pl_ct *ct, uint32_t n);
/*
 * Lookups of slot ct_lookup_ro() answered: reading only (*ro), and with
 * a write under the lock taken from its sequence count (*upgraded).
 */
void pl_ct_test_lockless(const struct pl_ct *ct, unsigned slot, uint64_t *ro,
			 uint64_t *upgraded);
int pl_ct_test_check(struct pl_ct *ct, struct pl_ct_check *out);
int pl_ct_test_find(struct pl_ct *ct, const struct dp_ct_tuple *t,
		    uint16_t zone, uint8_t proto, uint8_t family,
		    uint32_t *fast, uint32_t *slow);

#endif /* SLUICE_PL_CT_H */
