/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pl_lb.c: load-balancer pools and the lb_select action. A pool is an
 * immutable version: its members (address, port, weight, backup, up),
 * the Maglev table of its eligible members (lbaas/maglev.h) and a weighted
 * round-robin sequence. lb_select hands the packet to pl_ct.c's
 * pl_ct_lb_exec(), which finds its connection or, for a packet that may
 * open one, asks lb_pick() here for a member and commits the full NAT
 * binding (destination to the member, source to the pool's address and a
 * free port), then translates the packet.
 *
 * Eligible members: the primaries that are up with weight > 0; when no
 * primary is up, the backups that are up with weight > 0. Weight 0
 * drains (no new connection; existing ones keep their binding, which
 * lives in the connection table, not here). A member that is down is
 * never picked.
 *
 * Members are known across versions by address and port: each holds a
 * stats slot (mark = slot + 1, also the connection's ct_mark) kept while
 * it stays in the pool; the connection table's close hook decrements the
 * slot's active count. A slot released by a removed member is reused only
 * once its connections are gone.
 *
 * Families: a pool is IPv4 or IPv6 (DP_LB_POOL_F_IPV6), its members and
 * source address with it. lb_select balances only packets of the pool's
 * family; a new connection of the other family is dropped (counted as
 * lb_family), never translated with the wrong addresses. SOURCE_IP hashes
 * the whole 16-byte source; its persistence table keys an IPv6 source by
 * a 32-bit hash of it (two clients whose hashes collide share a member
 * while persistence lasts).
 *
 * Timeouts: a pool's idle and connect timeouts are handed to pl_ct.c
 * (pl_ct_set_lb_timeouts) under its id, and each connection carries its
 * pool id, so its replies, which only meet ct(nat), use them as well. A
 * deleted pool's connections keep its timeouts until the id is set again.
 *
 * Concurrency: see pl_lb.h. Per-worker counters are written by their
 * worker only; the control thread reads them racily and keeps a baseline
 * per slot, so a reused slot starts from zero without any worker write.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"
#include "pl_ct.h"
#include "pl_lb.h"

enum {
	LB_SLOTS = 16384,	/* member stats slots, all pools */
	LB_PERSIST = 1 << 16,	/* SOURCE_IP persistence entries */
	LB_TABLE_MAX = 1048573, /* the largest prime below 2^20: 4 MiB */
};

/* A member in a version. */
struct lb_member {
	uint32_t addr; /* network order; IPv4 pool */
	uint16_t port; /* network order; 0: the VIP's port */
	uint16_t weight;
	uint32_t mslot; /* stats slot */
	uint8_t flags;	/* enum dp_lb_member_flag */
	uint8_t is_elig;
	uint8_t pad[2];
	uint8_t addr6[16]; /* IPv6 pool; else zero */
};

/* One immutable version of a pool. */
struct lb_pool {
	uint32_t id;
	uint8_t alg;
	uint8_t is_v6;
	uint8_t pad[2];
	uint32_t src_addr;
	uint8_t src6[16];
	uint16_t port_min, port_max;
	uint32_t persist; /* seconds, SOURCE_IP */
	uint32_t limit;	  /* active connections allowed; 0: no limit */
	uint32_t idle_s;  /* connections' timeouts (pl_ct); 0: default */
	uint32_t connect_s;
	uint32_t size; /* Maglev entries */
	uint32_t n;    /* members */
	uint32_t n_elig;
	uint32_t n_rr;	      /* round-robin sequence length */
	uint32_t *table;      /* size entries: member index or MAGLEV_EMPTY */
	uint16_t *rr;	      /* n_rr member indexes */
	uint16_t *elig;	      /* n_elig member indexes */
	struct lb_member m[]; /* n */
};

/* Per worker, per stats slot. */
struct lb_wctr {
	uint64_t packets, bytes, total;
	uint64_t packets_rpl, bytes_rpl; /* of packets, bytes: replies */
};

/* Per worker, per pool id. */
struct lb_pctr {
	uint64_t no_member;
	uint32_t rr; /* round-robin position */
	uint32_t pad;
	uint64_t limit; /* new connections refused: limit reached */
};

/* Control: where a slot's counters started. */
struct lb_base {
	uint64_t packets, bytes, total, packets_rpl, bytes_rpl;
};

struct pl_lb {
	struct lb_pool *pool[DP_LB_POOL_ID_MAX + 1]; /* RCU */
	struct lb_wctr *w[DP_WORKERS_MAX + 1];	     /* [LB_SLOTS] */
	struct lb_pctr *pc[DP_WORKERS_MAX + 1];	     /* [pool id] */
	int64_t *active;			     /* [LB_SLOTS], atomic */
	uint64_t *persist;			     /* 2 words per entry */
	uint32_t *owner;			     /* control: pool id, 0 */
	struct lb_base *base;			     /* control */
	uint64_t no_member_base[DP_LB_POOL_ID_MAX + 1]; /* control */
	uint64_t limit_base[DP_LB_POOL_ID_MAX + 1];	/* control */
	uint32_t next_slot;				/* control */
};

/* Hashes. */

static inline uint32_t
lb_fold(uint64_t h)
{
	return (uint32_t)(h ^ h >> 32);
}

static inline uint32_t
lb_hash_tuple(const struct dp_key *k)
{
	return lb_fold(pl_mix((uint64_t)k->nw_src << 32 | k->nw_dst,
			      (uint64_t)k->nw_proto << 32 |
				      (uint32_t)k->tp_src << 16 | k->tp_dst));
}

static inline uint32_t
lb_hash_src(uint32_t src)
{
	return lb_fold(pl_mix(src, 0x5eed5eedULL));
}

/* IPv6: the 5-tuple, and a source address folded to 32 bits. */
static inline uint32_t
lb_hash_tuple6(const struct dp_key *k)
{
	uint64_t w[4];

	memcpy(w, k->ipv6_src, 16);
	memcpy(w + 2, k->ipv6_dst, 16);
	return lb_fold(pl_mix(pl_mix(w[0], w[1]) ^ w[2],
			      w[3] ^ ((uint64_t)k->nw_proto << 32 |
				      (uint32_t)k->tp_src << 16 | k->tp_dst)));
}

static inline uint32_t
lb_src6(const uint8_t *a)
{
	uint64_t w[2];

	memcpy(w, a, 16);
	return lb_fold(pl_mix(w[0], w[1] ^ 0x5eed6eedULL));
}

/* SOURCE_IP persistence: a lossy table of (source, pool) -> slot. */

static inline uint32_t
persist_check(uint64_t w0, uint32_t expires)
{
	return lb_fold(pl_mix(w0, expires)) | 1;
}

static inline uint64_t *
persist_entry(struct pl_lb *lb, uint32_t src, uint32_t pool)
{
	uint32_t i = lb_fold(pl_mix(src, pool)) & (LB_PERSIST - 1);

	return &lb->persist[2 * i];
}

/* The slot src was last sent to in pool, if still within its time. */
static bool
persist_get(struct pl_lb *lb, uint32_t src, uint32_t pool, uint32_t now,
	    uint32_t *mslot, uint32_t *expires)
{
	uint64_t *e = persist_entry(lb, src, pool);
	uint64_t w0 = __atomic_load_n(&e[0], __ATOMIC_RELAXED);
	uint64_t w1 = __atomic_load_n(&e[1], __ATOMIC_RELAXED);
	uint32_t exp = (uint32_t)(w1 >> 32);

	/* A torn pair (two writers) fails the check: a miss. */
	if ((uint32_t)w1 != persist_check(w0, exp) ||
	    (uint32_t)(w0 >> 32) != src || ((w0 >> 16) & 0xffff) != pool ||
	    (int32_t)(exp - now) <= 0)
		return false;
	*mslot = (uint32_t)(w0 & 0xffff);
	*expires = exp;
	return true;
}

static void
persist_put(struct pl_lb *lb, uint32_t src, uint32_t pool, uint32_t mslot,
	    uint32_t expires)
{
	uint64_t *e = persist_entry(lb, src, pool);
	uint64_t w0 = (uint64_t)src << 32 | (uint64_t)pool << 16 | mslot;

	__atomic_store_n(&e[0], w0, __ATOMIC_RELAXED);
	__atomic_store_n(&e[1],
			 (uint64_t)expires << 32 | persist_check(w0, expires),
			 __ATOMIC_RELAXED);
}

/* Picking a member for a new connection. */

struct lb_pick {
	struct pl_lb *lb;
	const struct lb_pool *p;
	unsigned slot;
	struct pl_ct *ct; /* pl_ct_now(): read for new connections only */
	bool is_limited;  /* refused: the pool is at its limit */
	bool is_family;	  /* refused: the packet is of the other family */
};

/* Is the packet of the other IP family than pool p? */
static inline bool
lb_family_differs(const struct lb_pool *p, const struct dp_key *k)
{
	return p->is_v6 != (k->eth_type == htons(0x86dd));
}

/* The client's address as SOURCE_IP persistence keys it. */
static inline uint32_t
lb_src_key(const struct lb_pool *p, const struct dp_key *k)
{
	return p->is_v6 ? lb_src6(k->ipv6_src) : k->nw_src;
}

static int
lb_member_of(const struct lb_pool *p, uint32_t i)
{
	return i < p->n ? (int)i : -ENOENT;
}

static int
lb_least_conn(const struct pl_lb *lb, const struct lb_pool *p, uint32_t start)
{
	int best = -ENOENT;
	int64_t ba = 0;
	uint32_t bw = 1;

	for (uint32_t k = 0; k < p->n_elig; k++) {
		uint32_t i = p->elig[(start + k) % p->n_elig];
		const struct lb_member *m = &p->m[i];
		int64_t act = __atomic_load_n(&lb->active[m->mslot],
					      __ATOMIC_RELAXED);

		if (act < 0)
			act = 0;
		/* act / weight < ba / bw, without division. */
		if (best < 0 || act * bw < ba * m->weight) {
			best = (int)i;
			ba = act;
			bw = m->weight;
		}
	}
	return best;
}

/* Connections of the pool's members now (new connections only). */
static int64_t
lb_pool_active(const struct pl_lb *lb, const struct lb_pool *p)
{
	int64_t sum = 0;

	for (uint32_t i = 0; i < p->n; i++) {
		int64_t act = __atomic_load_n(&lb->active[p->m[i].mslot],
					      __ATOMIC_RELAXED);

		sum += act > 0 ? act : 0;
	}
	return sum;
}

static int
lb_pick(void *arg, struct pl_pctx *c, struct pl_ct_lb_bind *b)
{
	struct lb_pick *pk = arg;
	const struct lb_pool *p = pk->p;
	struct lb_pctr *pc;
	uint32_t ms, exp, src, now;
	int i = -ENOENT;

	if (p == NULL)
		return -ENOENT;
	if (lb_family_differs(p, &c->key)) {
		/* Never translated with the other family's addresses. */
		pk->is_family = true;
		return -ENOENT;
	}
	if (p->n_elig == 0)
		return -ENOENT;
	if (p->limit != 0 && lb_pool_active(pk->lb, p) >= p->limit) {
		pk->is_limited = true;
		return -ENOENT;
	}
	pc = &pk->lb->pc[pk->slot][p->id];
	switch (p->alg) {
	case DP_LB_ROUND_ROBIN:
		if (pc->rr >= p->n_rr)
			pc->rr = (pk->slot * 7919u) % p->n_rr;
		i = p->rr[pc->rr];
		if (++pc->rr == p->n_rr)
			pc->rr = 0;
		break;
	case DP_LB_LEAST_CONNECTIONS:
		i = lb_least_conn(pk->lb, p, pc->rr++);
		break;
	case DP_LB_SOURCE_IP:
		src = lb_src_key(p, &c->key);
		now = pl_ct_now(pk->ct, pk->slot);
		if (p->persist != 0 &&
		    persist_get(pk->lb, src, p->id, now, &ms, &exp)) {
			for (uint32_t k = 0; k < p->n; k++) {
				if (p->m[k].mslot == ms && p->m[k].is_elig) {
					i = (int)k;
					break;
				}
			}
		}
		if (i < 0)
			i = lb_member_of(p, maglev_lookup(p->table, p->size,
							  lb_hash_src(src)));
		if (i >= 0 && p->persist != 0)
			persist_put(pk->lb, src, p->id, p->m[i].mslot,
				    now + p->persist);
		break;
	default: /* DP_LB_SOURCE_IP_PORT */
		i = lb_member_of(
			p, maglev_lookup(p->table, p->size,
					 p->is_v6 ? lb_hash_tuple6(&c->key)
						  : lb_hash_tuple(&c->key)));
		break;
	}
	if (i < 0)
		return -ENOENT;
	if (p->is_v6) {
		b->member6 = p->m[i].addr6;
		b->src6 = p->src6;
	}
	b->member_addr = p->m[i].addr;
	b->member_port = p->m[i].port;
	b->src_addr = p->src_addr;
	b->port_min = p->port_min;
	b->port_max = p->port_max;
	b->mark = p->m[i].mslot + 1;
	b->pool = (uint16_t)p->id;
	return 0;
}

/* The action. */

/* SOURCE_IP persistence: the client keeps its member while it sends. */
static __attribute__((noinline)) void
lb_persist_refresh(struct dp_pipeline *pl, struct pl_lb *lb,
		   const struct lb_pool *p, unsigned slot,
		   const struct pl_pctx *c)
{
	uint32_t now = pl_ct_now(pl->ct, slot), ms, exp;

	if (persist_get(lb, lb_src_key(p, &c->key), p->id, now, &ms, &exp) &&
	    exp - now < p->persist / 2)
		persist_put(lb, lb_src_key(p, &c->key), p->id, ms,
			    now + p->persist);
}

/*
 * A packet of a connection the pool made (mark: its member's slot + 1),
 * counted for the member; res is what pl_ct_lb_exec() or pl_ct_lb_est()
 * said.
 */
static inline void
lb_count(struct dp_pipeline *pl, struct pl_lb *lb, const struct lb_pool *p,
	 unsigned slot, const struct pl_pctx *c, uint32_t mark, int res)
{
	uint32_t len = c->pkt->len, ms;
	struct lb_wctr *w;

	if (lb == NULL || mark == 0 || mark > LB_SLOTS)
		return;
	ms = mark - 1;
	w = &lb->w[slot][ms];
	w->packets++;
	w->bytes += len;
	if (c->key.ct_state & DP_CS_RPL) {
		w->packets_rpl++;
		w->bytes_rpl += len;
	}
	if (res == PL_CT_LB_NEW) {
		w->total++;
		__atomic_fetch_add(&lb->active[ms], 1, __ATOMIC_RELAXED);
	} else if (p != NULL && p->alg == DP_LB_SOURCE_IP && p->persist != 0 &&
		   !(c->key.ct_state & DP_CS_RPL)) {
		lb_persist_refresh(pl, lb, p, slot, c);
	}
}

static inline const struct lb_pool *
lb_pool_of(const struct pl_lb *lb, uint32_t pool)
{
	return lb != NULL && pool <= DP_LB_POOL_ID_MAX ? PL_LOAD(lb->pool[pool])
						       : NULL;
}

/* pl_lb_exec() past the established path: a pick, a trace, a drop. */
static __attribute__((noinline)) int
lb_exec_rest(struct dp_pipeline *pl, struct pl_lb *lb, unsigned slot,
	     struct pl_pctx *c, const struct dp_act_lb *a, bool is_trace)
{
	uint32_t mark = 0;
	struct lb_pick pk;
	int res;

	pk.p = lb_pool_of(lb, a->pool);
	pk.lb = lb;
	pk.slot = slot;
	pk.ct = pl->ct;
	pk.is_limited = false;
	pk.is_family = false;
	res = pl_ct_lb_exec(pl->ct, slot, c, a->zone, lb_pick, &pk, is_trace,
			    &mark);
	if (is_trace) {
		/* The trace picks nothing: the family is checked here. */
		if (res == PL_CT_LB_TRACE_NEW && pk.p != NULL &&
		    lb_family_differs(pk.p, &c->key))
			return DP_DROP_LB_FAMILY;
		if (res == PL_CT_LB_NO_MEMBER)
			return pk.is_limited ? DP_DROP_LB_LIMIT
					     : DP_DROP_LB_NO_MEMBER;
		return 0;
	}
	if (res == PL_CT_LB_NO_MEMBER && pk.is_family)
		return DP_DROP_LB_FAMILY;
	if (res == PL_CT_LB_NO_MEMBER && pk.is_limited) {
		lb->pc[slot][a->pool].limit++;
		return DP_DROP_LB_LIMIT;
	}
	if (res == PL_CT_LB_NO_MEMBER) {
		if (lb != NULL && a->pool <= DP_LB_POOL_ID_MAX)
			lb->pc[slot][a->pool].no_member++;
		return DP_DROP_LB_NO_MEMBER;
	}
	lb_count(pl, lb, pk.p, slot, c, mark, res);
	return 0;
}

/*
 * Most packets: an established connection, nothing to pick. Kept small,
 * with everything else out of line, so that the link-time optimised
 * build (meson.build) inlines pl_ct_lb_est() here without the rest's
 * frame and saved registers.
 */
int
pl_lb_exec(struct dp_pipeline *pl, unsigned slot, struct pl_pctx *c,
	   const struct dp_act_lb *a, bool is_trace)
{
	struct pl_lb *lb = PL_LOAD(pl->lb);
	uint32_t mark = 0;

	if (is_trace ||
	    pl_ct_lb_est(pl->ct, slot, c, a->zone, &mark) != PL_CT_LB_FOUND)
		return lb_exec_rest(pl, lb, slot, c, a, is_trace);
	lb_count(pl, lb, lb_pool_of(lb, a->pool), slot, c, mark,
		 PL_CT_LB_FOUND);
	return 0;
}

/* The connection table's reply hook: a member's reply through ct. */
static void
lb_reply(void *arg, unsigned slot, uint32_t mark, uint32_t len)
{
	struct pl_lb *lb = arg;
	struct lb_wctr *w;

	if (mark == 0 || mark > LB_SLOTS)
		return;
	w = &lb->w[slot][mark - 1];
	w->packets++;
	w->bytes += len;
	w->packets_rpl++;
	w->bytes_rpl += len;
}

/* The connection table's close hook. */
static void
lb_closed(void *arg, uint32_t mark)
{
	struct pl_lb *lb = arg;

	if (mark != 0 && mark <= LB_SLOTS)
		__atomic_fetch_sub(&lb->active[mark - 1], 1, __ATOMIC_RELAXED);
}

/* Control. */

static void
lb_synchronize(void)
{
	if (pl_thread_is_reader()) {
		rcu_thread_offline();
		synchronize_rcu();
		rcu_thread_online();
	} else {
		synchronize_rcu();
	}
}

static void
pool_free(struct lb_pool *p)
{
	if (p == NULL)
		return;
	free(p->table);
	free(p->rr);
	free(p->elig);
	free(p);
}

static void
lb_free(struct pl_lb *lb)
{
	if (lb == NULL)
		return;
	for (unsigned i = 0; i <= DP_WORKERS_MAX; i++) {
		free(lb->w[i]);
		free(lb->pc[i]);
	}
	free(lb->active);
	free(lb->persist);
	free(lb->owner);
	free(lb->base);
	free(lb);
}

static int
lb_get(struct dp_pipeline *pl, struct pl_lb **out)
{
	struct pl_lb *lb = pl->lb;

	if (lb != NULL) {
		*out = lb;
		return 0;
	}
	lb = calloc(1, sizeof(*lb));
	if (lb == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i <= DP_WORKERS_MAX; i++) {
		lb->w[i] = calloc(LB_SLOTS, sizeof(*lb->w[i]));
		lb->pc[i] = calloc(DP_LB_POOL_ID_MAX + 1, sizeof(*lb->pc[i]));
		if (lb->w[i] == NULL || lb->pc[i] == NULL)
			goto err;
	}
	lb->active = calloc(LB_SLOTS, sizeof(*lb->active));
	lb->persist = calloc(2 * LB_PERSIST, sizeof(*lb->persist));
	lb->owner = calloc(LB_SLOTS, sizeof(*lb->owner));
	lb->base = calloc(LB_SLOTS, sizeof(*lb->base));
	if (lb->active == NULL || lb->persist == NULL || lb->owner == NULL ||
	    lb->base == NULL)
		goto err;
	pl_ct_set_lb_hook(pl->ct, lb_closed, lb_reply, lb);
	rcu_assign_pointer(pl->lb, lb);
	*out = lb;
	return 0;

err:
	lb_free(lb);
	return -ENOMEM;
}

void
pl_lb_destroy(struct dp_pipeline *pl)
{
	struct pl_lb *lb = pl->lb;

	if (lb == NULL)
		return;
	pl_ct_set_lb_hook(pl->ct, NULL, NULL, NULL);
	for (unsigned i = 0; i <= DP_LB_POOL_ID_MAX; i++)
		pool_free(lb->pool[i]);
	lb_free(lb);
	pl->lb = NULL;
}

static void
slot_sums(const struct pl_lb *lb, uint32_t ms, struct lb_base *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned w = 0; w <= DP_WORKERS_MAX; w++) {
		const struct lb_wctr *c = &lb->w[w][ms];

		s->packets += CMM_LOAD_SHARED(c->packets);
		s->bytes += CMM_LOAD_SHARED(c->bytes);
		s->total += CMM_LOAD_SHARED(c->total);
		s->packets_rpl += CMM_LOAD_SHARED(c->packets_rpl);
		s->bytes_rpl += CMM_LOAD_SHARED(c->bytes_rpl);
	}
}

/* A free slot (no owner, no connection left), or -ENOSPC. */
static int
slot_alloc(struct pl_lb *lb, uint32_t pool)
{
	for (uint32_t k = 0; k < LB_SLOTS; k++) {
		uint32_t ms = (lb->next_slot + k) % LB_SLOTS;

		if (lb->owner[ms] != 0 ||
		    __atomic_load_n(&lb->active[ms], __ATOMIC_RELAXED) != 0)
			continue;
		lb->owner[ms] = pool;
		slot_sums(lb, ms, &lb->base[ms]);
		lb->next_slot = (ms + 1) % LB_SLOTS;
		return (int)ms;
	}
	return -ENOSPC;
}

/* A member's address and port as text, for messages. */
static void
member_text(const struct lb_member *m, bool is_v6, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (is_v6) {
		inet_ntop(AF_INET6, m->addr6, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(m->port));
	} else {
		inet_ntop(AF_INET, &m->addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(m->port));
	}
}

static bool
addr6_is_zero(const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

/* An IPv6 address a pool may use: not ::, multicast, loopback or v4-mapped. */
static const char *
addr6_unusable(const uint8_t *a)
{
	static const uint8_t loop[16] = {[15] = 1};
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (addr6_is_zero(a))
		return "unspecified (::)";
	if (a[0] == 0xff)
		return "multicast";
	if (memcmp(a, loop, 16) == 0)
		return "loopback";
	if (memcmp(a, mapped, 12) == 0)
		return "IPv4-mapped";
	return NULL;
}

static bool
member_same(const struct lb_member *x, const struct lb_member *y)
{
	return x->addr == y->addr && x->port == y->port &&
	       memcmp(x->addr6, y->addr6, 16) == 0;
}

static int
pool_validate(const struct dp_lb_pool *p, const struct lb_member *m, char *err,
	      size_t err_len)
{
	bool is_v6 = p->flags & DP_LB_POOL_F_IPV6;
	const char *why;

	if (p->id == 0 || p->id > DP_LB_POOL_ID_MAX) {
		snprintf(err, err_len, "pool id %u out of 1..%u", p->id,
			 DP_LB_POOL_ID_MAX);
		return -EINVAL;
	}
	if (p->alg < DP_LB_ROUND_ROBIN || p->alg > DP_LB_SOURCE_IP_PORT) {
		snprintf(err, err_len, "pool %u: unknown algorithm %u", p->id,
			 p->alg);
		return -EINVAL;
	}
	if ((p->flags & ~DP_LB_POOL_F_IPV6) != 0) {
		snprintf(err, err_len, "pool %u: unknown flags 0x%x", p->id,
			 p->flags);
		return -EINVAL;
	}
	if (p->n_members > DP_LB_MEMBERS_MAX) {
		snprintf(err, err_len, "pool %u: %u members, at most %u", p->id,
			 p->n_members, DP_LB_MEMBERS_MAX);
		return -EINVAL;
	}
	if (!is_v6 && p->src_addr == 0) {
		snprintf(err, err_len, "pool %u: no source address", p->id);
		return -EINVAL;
	}
	if (!is_v6 && !addr6_is_zero(p->src_addr6)) {
		snprintf(err, err_len,
			 "pool %u: an IPv4 pool with an IPv6 source address "
			 "(set flag ipv6 for an IPv6 pool)",
			 p->id);
		return -EINVAL;
	}
	if (is_v6 && p->src_addr != 0) {
		snprintf(err, err_len,
			 "pool %u: an IPv6 pool with an IPv4 source address",
			 p->id);
		return -EINVAL;
	}
	if (is_v6 && (why = addr6_unusable(p->src_addr6)) != NULL) {
		snprintf(err, err_len, "pool %u: IPv6 source address is %s",
			 p->id, why);
		return -EINVAL;
	}
	if ((p->port_min == 0 && p->port_max != 0) ||
	    (p->port_min != 0 && p->port_max < p->port_min)) {
		snprintf(err, err_len, "pool %u: bad source port range %u-%u",
			 p->id, p->port_min, p->port_max);
		return -EINVAL;
	}
	if (p->table_size != 0 &&
	    (p->table_size > LB_TABLE_MAX || !maglev_is_prime(p->table_size) ||
	     p->table_size <= p->n_members)) {
		snprintf(err, err_len,
			 "pool %u: table size %u is not a prime above %u "
			 "members and at most %u",
			 p->id, p->table_size, p->n_members, LB_TABLE_MAX);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < p->n_members; i++) {
		char a[INET6_ADDRSTRLEN + 16];

		member_text(&m[i], is_v6, a, sizeof(a));
		why = NULL;
		if (!is_v6 && m[i].addr == 0)
			why = "0.0.0.0";
		else if (is_v6)
			why = addr6_unusable(m[i].addr6);
		if (why != NULL) {
			snprintf(err, err_len,
				 "pool %u: member %u (%s): address is %s",
				 p->id, i, a, why);
			return -EINVAL;
		}
		if (m[i].weight > DP_LB_WEIGHT_MAX) {
			snprintf(err, err_len,
				 "pool %u: member %u (%s): weight %u over the "
				 "maximum %u",
				 p->id, i, a, m[i].weight, DP_LB_WEIGHT_MAX);
			return -EINVAL;
		}
		if ((m[i].flags & ~(DP_LB_M_UP | DP_LB_M_BACKUP)) != 0) {
			snprintf(err, err_len,
				 "pool %u: member %u (%s): unknown flags 0x%x",
				 p->id, i, a, m[i].flags);
			return -EINVAL;
		}
		for (uint32_t j = 0; j < i; j++) {
			if (member_same(&m[j], &m[i])) {
				snprintf(err, err_len,
					 "pool %u: member %s listed twice",
					 p->id, a);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/*
 * A timeout in ms as the connection table's seconds: rounded up, plus
 * one, since its clock ticks in whole seconds (a connection idle less
 * than ms is never removed; one idle longer is, within a second).
 * 0 stays 0: the table's default.
 */
static uint32_t
lb_timeout_s(uint32_t ms)
{
	return ms != 0 ? ms / 1000 + (ms % 1000 != 0) + 1 : 0;
}

/* Eligible members, the round-robin sequence and the Maglev table. */
static int
pool_build(struct lb_pool *np)
{
	struct maglev_backend *b;
	uint32_t w_max = 0, n_rr = 0;
	bool has_primary = false;
	int rc;

	for (uint32_t i = 0; i < np->n; i++) {
		const struct lb_member *m = &np->m[i];

		if (!(m->flags & DP_LB_M_BACKUP) && (m->flags & DP_LB_M_UP) &&
		    m->weight > 0)
			has_primary = true;
	}
	np->elig = calloc(np->n + 1, sizeof(*np->elig));
	np->table = malloc((size_t)np->size * sizeof(*np->table));
	b = calloc(np->n + 1, sizeof(*b));
	if (np->elig == NULL || np->table == NULL || b == NULL) {
		free(b);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < np->n; i++) {
		struct lb_member *m = &np->m[i];
		bool is_backup = m->flags & DP_LB_M_BACKUP;

		m->is_elig = (m->flags & DP_LB_M_UP) && m->weight > 0 &&
			     is_backup != has_primary;
		if (np->is_v6) {
			uint8_t k[18];

			memcpy(k, m->addr6, 16);
			memcpy(k + 16, &m->port, 2);
			b[i].key = maglev_key(k, sizeof(k));
		} else {
			b[i].key = maglev_key(&m->addr, 6);
		}
		b[i].weight = m->is_elig ? m->weight : 0;
		if (m->is_elig) {
			np->elig[np->n_elig++] = (uint16_t)i;
			n_rr += m->weight;
			if (m->weight > w_max)
				w_max = m->weight;
		}
	}
	rc = maglev_build(b, np->n, np->size, np->table);
	free(b);
	if (rc < 0)
		return rc;
	/* Round robin: pass r takes every member of weight >= r. */
	np->rr = calloc(n_rr + 1, sizeof(*np->rr));
	if (np->rr == NULL)
		return -ENOMEM;
	for (uint32_t r = 1; r <= w_max; r++)
		for (uint32_t k = 0; k < np->n_elig; k++)
			if (np->m[np->elig[k]].weight >= r)
				np->rr[np->n_rr++] = np->elig[k];
	return 0;
}

/* Set pool p whose members m are in the version's form (mslot unset). */
static int
lb_set(struct dp_pipeline *pl, const struct dp_lb_pool *p,
       const struct lb_member *m, char *err, size_t err_len)
{
	struct lb_pool *np, *old;
	struct pl_lb *lb;
	int rc;

	rc = pool_validate(p, m, err, err_len);
	if (rc < 0)
		return rc;
	rc = lb_get(pl, &lb);
	if (rc < 0)
		return rc;
	old = lb->pool[p->id];
	np = calloc(1, sizeof(*np) + (size_t)p->n_members * sizeof(np->m[0]));
	if (np == NULL)
		return -ENOMEM;
	np->id = p->id;
	np->alg = p->alg;
	np->is_v6 = (p->flags & DP_LB_POOL_F_IPV6) != 0;
	np->src_addr = p->src_addr;
	memcpy(np->src6, p->src_addr6, 16);
	np->port_min = p->port_min;
	np->port_max = p->port_max;
	np->persist = p->persist_timeout;
	np->limit = p->conn_limit;
	np->idle_s = lb_timeout_s(p->idle_timeout_ms);
	np->connect_s = lb_timeout_s(p->connect_timeout_ms);
	np->size = p->table_size != 0 ? p->table_size
				      : maglev_size_for(p->n_members);
	np->n = p->n_members;
	for (uint32_t i = 0; i < np->n; i++) {
		np->m[i] = m[i];
		np->m[i].is_elig = 0;
		np->m[i].mslot = UINT32_MAX;
		for (uint32_t j = 0; old != NULL && j < old->n; j++)
			if (member_same(&old->m[j], &m[i]))
				np->m[i].mslot = old->m[j].mslot;
	}
	rc = pool_build(np);
	if (rc < 0) {
		snprintf(err, err_len, "pool %u: building its table: %s", p->id,
			 strerror(-rc));
		goto err_pool;
	}
	/* Slots for new members last: nothing to undo after this. */
	for (uint32_t i = 0; i < np->n; i++) {
		if (np->m[i].mslot != UINT32_MAX)
			continue;
		rc = slot_alloc(lb, p->id);
		if (rc < 0) {
			snprintf(err, err_len,
				 "pool %u: no member slot left (%u in use)",
				 p->id, LB_SLOTS);
			goto err_slots;
		}
		np->m[i].mslot = (uint32_t)rc;
	}
	if (old == NULL) {
		uint64_t s = 0;

		for (unsigned w = 0; w <= DP_WORKERS_MAX; w++)
			s += CMM_LOAD_SHARED(lb->pc[w][p->id].no_member);
		lb->no_member_base[p->id] = s;
		s = 0;
		for (unsigned w = 0; w <= DP_WORKERS_MAX; w++)
			s += CMM_LOAD_SHARED(lb->pc[w][p->id].limit);
		lb->limit_base[p->id] = s;
	}
	/* Before the pool: its first connection already takes them. */
	pl_ct_set_lb_timeouts(pl->ct, p->id, np->idle_s, np->connect_s);
	rcu_assign_pointer(lb->pool[p->id], np);
	if (old != NULL) {
		/* Release the slots of members that left. */
		for (uint32_t j = 0; j < old->n; j++) {
			bool is_kept = false;

			for (uint32_t i = 0; i < np->n && !is_kept; i++)
				is_kept = np->m[i].mslot == old->m[j].mslot;
			if (!is_kept)
				lb->owner[old->m[j].mslot] = 0;
		}
		lb_synchronize();
		pool_free(old);
	}
	return 0;

err_slots:
	for (uint32_t i = 0; i < np->n; i++) {
		bool is_old = false;

		for (uint32_t j = 0; old != NULL && j < old->n; j++)
			is_old |= old->m[j].mslot == np->m[i].mslot;
		if (np->m[i].mslot != UINT32_MAX && !is_old)
			lb->owner[np->m[i].mslot] = 0;
	}
err_pool:
	pool_free(np);
	return rc;
}

int
dp_pipeline_lb_set(struct dp_pipeline *pl, const struct dp_lb_pool *p,
		   const struct dp_lb_member *m, char *err, size_t err_len)
{
	struct lb_member *v;
	int rc;

	if (p->flags & DP_LB_POOL_F_IPV6) {
		snprintf(err, err_len,
			 "pool %u: flag ipv6 with IPv4 members (an IPv6 pool "
			 "takes dp_lb_member6)",
			 p->id);
		return -EINVAL;
	}
	if (p->n_members > DP_LB_MEMBERS_MAX)
		return pool_validate(p, NULL, err, err_len);
	v = calloc(p->n_members + 1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < p->n_members; i++) {
		v[i].addr = m[i].addr;
		v[i].port = m[i].port;
		v[i].weight = m[i].weight;
		v[i].flags = m[i].flags;
	}
	rc = lb_set(pl, p, v, err, err_len);
	free(v);
	return rc;
}

int
dp_pipeline_lb_set6(struct dp_pipeline *pl, const struct dp_lb_pool *p,
		    const struct dp_lb_member6 *m, char *err, size_t err_len)
{
	struct dp_lb_pool q = *p;
	struct lb_member *v;
	int rc;

	q.flags |= DP_LB_POOL_F_IPV6;
	if (q.n_members > DP_LB_MEMBERS_MAX)
		return pool_validate(&q, NULL, err, err_len);
	v = calloc(q.n_members + 1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < q.n_members; i++) {
		memcpy(v[i].addr6, m[i].addr, 16);
		v[i].port = m[i].port;
		v[i].weight = m[i].weight;
		v[i].flags = m[i].flags;
	}
	rc = lb_set(pl, &q, v, err, err_len);
	free(v);
	return rc;
}

int
dp_pipeline_lb_del(struct dp_pipeline *pl, uint32_t id)
{
	struct pl_lb *lb = pl->lb;
	struct lb_pool *old;

	if (lb == NULL || id == 0 || id > DP_LB_POOL_ID_MAX ||
	    lb->pool[id] == NULL)
		return -ENOENT;
	old = lb->pool[id];
	rcu_assign_pointer(lb->pool[id], NULL);
	for (uint32_t j = 0; j < old->n; j++)
		lb->owner[old->m[j].mslot] = 0;
	lb_synchronize();
	pool_free(old);
	return 0;
}

/*
 * A member's counters as both wire forms end (dp_lb_member_stats and
 * dp_lb_member6_stats after their member), copied whole.
 */
struct lb_mcount {
	uint64_t packets, bytes, active, total;
	uint32_t table_entries;
	uint32_t pad;
};

_Static_assert(offsetof(struct dp_lb_member_stats, packets) +
			       sizeof(struct lb_mcount) ==
		       sizeof(struct dp_lb_member_stats),
	       "dp_lb_member_stats ends in lb_mcount");
_Static_assert(offsetof(struct dp_lb_member6_stats, packets) +
			       sizeof(struct lb_mcount) ==
		       sizeof(struct dp_lb_member6_stats),
	       "dp_lb_member6_stats ends in lb_mcount");

static int
pool_stats(struct pl_lb *lb, const struct lb_pool *p, dp_lb_visit_fn fn,
	   dp_lb_visit6_fn fn6, void *arg)
{
	struct dp_lb_member6_stats *ms6 = NULL;
	struct dp_lb_member_stats *ms = NULL;
	struct dp_lb_pool_stats ps;
	struct lb_mcount *mc;
	int rc;

	if (p->is_v6 ? fn6 == NULL : fn == NULL)
		return 0;
	mc = calloc(p->n + 1, sizeof(*mc));
	if (p->is_v6)
		ms6 = calloc(p->n + 1, sizeof(*ms6));
	else
		ms = calloc(p->n + 1, sizeof(*ms));
	if (mc == NULL || (ms == NULL && ms6 == NULL)) {
		rc = -ENOMEM;
		goto out;
	}
	memset(&ps, 0, sizeof(ps));
	ps.id = p->id;
	ps.n_members = p->n;
	ps.alg = p->alg;
	ps.flags = p->is_v6 ? DP_LB_POOL_F_IPV6 : 0;
	ps.table_size = p->size;
	ps.conn_limit = p->limit;
	for (uint32_t e = 0; e < p->size; e++)
		if (p->table[e] < p->n)
			mc[p->table[e]].table_entries++;
	for (uint32_t i = 0; i < p->n; i++) {
		const struct lb_member *m = &p->m[i];
		struct lb_base s;
		int64_t act;

		slot_sums(lb, m->mslot, &s);
		act = __atomic_load_n(&lb->active[m->mslot], __ATOMIC_RELAXED);
		mc[i].packets = s.packets - lb->base[m->mslot].packets;
		mc[i].bytes = s.bytes - lb->base[m->mslot].bytes;
		mc[i].total = s.total - lb->base[m->mslot].total;
		mc[i].active = act > 0 ? (uint64_t)act : 0;
		ps.packets += mc[i].packets;
		ps.bytes += mc[i].bytes;
		ps.packets_rpl +=
			s.packets_rpl - lb->base[m->mslot].packets_rpl;
		ps.bytes_rpl += s.bytes_rpl - lb->base[m->mslot].bytes_rpl;
		ps.total += mc[i].total;
		ps.active += mc[i].active;
		if (p->is_v6) {
			memcpy(ms6[i].m.addr, m->addr6, 16);
			ms6[i].m.port = m->port;
			ms6[i].m.weight = m->weight;
			ms6[i].m.flags = m->flags;
			memcpy(&ms6[i].packets, &mc[i], sizeof(mc[i]));
		} else {
			ms[i].m.addr = m->addr;
			ms[i].m.port = m->port;
			ms[i].m.weight = m->weight;
			ms[i].m.flags = m->flags;
			memcpy(&ms[i].packets, &mc[i], sizeof(mc[i]));
		}
	}
	for (unsigned w = 0; w <= DP_WORKERS_MAX; w++)
		ps.no_member += CMM_LOAD_SHARED(lb->pc[w][p->id].no_member);
	ps.no_member -= lb->no_member_base[p->id];
	for (unsigned w = 0; w <= DP_WORKERS_MAX; w++)
		ps.limit += CMM_LOAD_SHARED(lb->pc[w][p->id].limit);
	ps.limit -= lb->limit_base[p->id];
	rc = p->is_v6 ? fn6(&ps, ms6, arg) : fn(&ps, ms, arg);
out:
	free(mc);
	free(ms);
	free(ms6);
	return rc;
}

int
dp_pipeline_lb_stats_all(struct dp_pipeline *pl, uint32_t id, dp_lb_visit_fn fn,
			 dp_lb_visit6_fn fn6, void *arg)
{
	struct pl_lb *lb = pl->lb;
	int rc = 0;

	if (id > DP_LB_POOL_ID_MAX)
		return -ENOENT;
	if (id != 0) {
		if (lb == NULL || lb->pool[id] == NULL)
			return -ENOENT;
		return pool_stats(lb, lb->pool[id], fn, fn6, arg);
	}
	for (uint32_t i = 1; lb != NULL && i <= DP_LB_POOL_ID_MAX && rc == 0;
	     i++)
		if (lb->pool[i] != NULL)
			rc = pool_stats(lb, lb->pool[i], fn, fn6, arg);
	return rc;
}

int
dp_pipeline_lb_stats(struct dp_pipeline *pl, uint32_t id, dp_lb_visit_fn fn,
		     void *arg)
{
	return dp_pipeline_lb_stats_all(pl, id, fn, NULL, arg);
}

int
pl_lb_table(struct dp_pipeline *pl, uint32_t id, uint32_t *table, uint32_t max,
	    struct dp_lb_member *members, uint32_t max_members)
{
	const struct lb_pool *p;

	if (pl->lb == NULL || id == 0 || id > DP_LB_POOL_ID_MAX ||
	    pl->lb->pool[id] == NULL)
		return -ENOENT;
	p = pl->lb->pool[id];
	memcpy(table, p->table, (p->size < max ? p->size : max) * 4);
	for (uint32_t i = 0; i < p->n && i < max_members; i++) {
		memset(&members[i], 0, sizeof(members[i]));
		members[i].addr = p->m[i].addr;
		members[i].port = p->m[i].port;
		members[i].weight = p->m[i].weight;
		members[i].flags = p->m[i].flags;
	}
	return (int)p->size;
}
