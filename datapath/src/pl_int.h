/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pl_int.h: private structures shared by the pipeline's files: the rule and
 * subtable layout of the tuple-space classifier (pl_cls.c), the published
 * state and control-side bookkeeping (pipeline.c), the worker with its
 * exact-match cache (pl_worker.c) and the packet actions (pl_actions.c).
 * Not installed, not used outside datapath/src/.
 *
 * Versioning: every rule is visible to lookups at versions v in
 * [v_add, v_del). The control thread stages changes with the next version
 * number, then publishes a new struct pl_state (one pointer store); a
 * worker reads the state once per burst and looks up with its version, so
 * a burst sees one whole version. The version doubles as the cache
 * generation.
 *
 * Concurrency: fields marked "control" are touched only under pl->lock
 * (control thread and the reclaim thread); fields marked "RCU" are
 * published with rcu_assign_pointer() and read by workers with
 * PL_LOAD() (rcu_dereference) between two quiescent points; rule counters and
 * cache entries are per worker.
 */
#ifndef SLUICE_PL_INT_H
#define SLUICE_PL_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <urcu-qsbr.h>

#include "pipeline.h"

#define PL_ALIGNED __attribute__((aligned(64)))

/*
 * Read an RCU-published pointer (or value) on the hot path: an acquire
 * load, which is a plain load on x86, inline (liburcu's rcu_dereference()
 * is a library call unless _LGPL_SOURCE).
 */
#define PL_LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define PL_V_INF UINT64_MAX
#define PL_TOMB ((struct pl_rule *)1)
#define PL_NO_TABLE 0xffu

enum {
	PL_CTR_SHIFT = 12,
	PL_CTR_CHUNK = 1 << PL_CTR_SHIFT, /* counters per chunk */
	PL_CTR_CHUNKS_MAX = 4096,	  /* 16M rule ids */
	PL_SEG_MAX = 5,			  /* rules in one cache entry */
	PL_FAST_RULES_MAX = 1024, /* table 0 size for the port fast path */
	PL_CACHE_DEFAULT = 1u << 18,
	PL_IPV6_EXT_MAX = 8, /* extension headers walked */
	PL_PEND_MAX = 16,    /* outputs pending on one packet */
};

/* Per-worker rule counters, indexed by rule id. */
struct pl_ctr {
	uint64_t n_packets;
	uint64_t n_bytes;
};

enum pl_rule_flag {
	PL_RF_SIMPLE = 0x01, /* no action, drop, or one output to a port */
	PL_RF_DECAP = 0x02,  /* ends a cache segment: vxlan_decap, or a
			      * stateful action (ct, esp_decrypt) whose
			      * table is in goto_table */
};

/*
 * A rule. Immutable once linked, except v_del (set once by the control
 * thread when a commit deletes or replaces it).
 */
struct pl_rule {
	uint64_t v_add; /* visible from this version ... */
	uint64_t v_del; /* ... until this one (PL_V_INF: live) */
	struct pl_subtable *st;
	uint32_t priority;
	uint32_t id;	   /* counter index */
	uint32_t hash;	   /* hash of the masked match words */
	uint32_t out_port; /* PL_RF_SIMPLE: port or 0 for drop */
	uint8_t table;
	uint8_t n_actions;
	uint8_t flags;	    /* enum pl_rule_flag */
	uint8_t goto_table; /* PL_NO_TABLE if none */
	int32_t conn_zone;  /* last action ct or lb_select: its zone; else -1 */
	uint64_t cookie;
	struct pl_rule *cnext; /* control: cookie index chain */
	struct pl_rule *cprev;
	struct pl_rule *gnext;	/* control: garbage list */
	struct dp_action *acts; /* n_actions, inside this allocation */
	uint64_t words[];	/* st->n_words masked match words */
};

struct pl_slot {
	uint32_t hash;
	uint32_t pad;
	struct pl_rule *r; /* NULL empty, PL_TOMB deleted, else rule */
};

/* Open-addressed, linearly probed slot array; replaced whole on resize. */
struct pl_slots {
	uint32_t mask;	 /* capacity - 1 */
	uint32_t n_used; /* rules + tombstones */
	uint32_t n_live; /* rules */
	uint32_t pad;
	struct pl_slot s[];
};

struct pl_hits {
	uint64_t n;
} PL_ALIGNED;

/*
 * One subtable: the rules of one table that share one mask.
 * Concurrency: slots and max_prio are RCU-read by workers, hits[i] is
 * written by worker i only, the rest is control.
 */
struct pl_subtable {
	struct pl_slots *slots; /* RCU */
	uint32_t max_prio;	/* bound on any rule's priority */
	uint8_t n_words;
	uint8_t table;
	uint8_t widx[DP_KEY_WORDS];    /* key words the mask covers */
	uint64_t mwords[DP_KEY_WORDS]; /* mask of those words */
	struct dp_key mask;	       /* control */
	uint32_t n_staged;	       /* control: rules in an open txn */
	uint64_t hits_seen;	       /* control: hits when last ranked */
	uint64_t rank;		       /* control: hits in last period */
	struct pl_hits hits[DP_WORKERS_MAX];
};

/*
 * A published, immutable array of subtables in search order, with the
 * union of their masks (the key words any lookup reads) and a number no
 * other array ever had (pl_cls_lookup_memo()).
 */
struct pl_starray {
	uint64_t gen;
	uint32_t n;
	uint8_t n_uw;
	uint8_t uwidx[DP_KEY_WORDS];
	uint64_t umw[DP_KEY_WORDS];
	struct pl_subtable *st[];
};

/*
 * A worker's last lookup in one table (pl_cls_lookup_memo()): its answer
 * holds while the table's array (gen) and the version are the same and
 * the key agrees under the union of the masks (at most PL_MEMO_WORDS
 * words); the counts the lookup made are made again.
 */
enum { PL_MEMO_WORDS = 6 };

struct pl_memo {
	uint64_t gen; /* 0: empty */
	uint64_t v;
	struct pl_rule *r;
	struct pl_subtable *hit; /* the subtable counted a hit, or NULL */
	uint32_t n_lookups;
	uint64_t w[PL_MEMO_WORDS];
};

struct pl_table {
	struct pl_starray *pub;	  /* RCU */
	struct pl_subtable **all; /* control: every subtable */
	uint32_t n_all;
	uint32_t cap_all;
	uint32_t n_rules; /* control: visible rules */
	bool is_dirty;	  /* control: pub must be rebuilt */
};

/* Table 0 resolved per in_port when it matches nothing but in_port. */
struct pl_fast {
	uint32_t n_ports;
	/*
	 * A port's rule and the default have one priority: the classifier
	 * picks by subtable order, so the slow path asks it (the map is
	 * used for one-output rules only).
	 */
	bool has_ties;
	struct pl_rule *dflt; /* for ports >= n_ports */
	struct pl_rule *port[];
};

/* What a worker reads once per burst. Immutable once published. */
struct pl_state {
	uint64_t version;
	struct pl_fast *fast; /* NULL: no fast path */
};

/* Where the parser found the headers (offsets from data). */
enum pl_l3 {
	PL_L3_NONE,
	PL_L3_IPV4,
	PL_L3_IPV6,
	PL_L3_ARP,
};

/*
 * Which key words a freshly parsed key may have non-zero (every other word
 * is zero): the cache hashes and compares only those. A key that actions
 * or a decap rewrote uses PL_SHAPE_FULL.
 */
enum pl_shape {
	PL_SHAPE_L2,   /* words 0, 2, 3 */
	PL_SHAPE_IPV4, /* + 4, 9, 10 */
	PL_SHAPE_IPV6, /* L2 + 5, 6, 7, 8, 9, 10 */
	PL_SHAPE_ARP,  /* L2 + 4, 9, 11, 12 */
	PL_SHAPE_FULL, /* all 16 */
};

struct pl_meta {
	uint32_t l2_len; /* Ethernet (+ VLAN) header bytes */
	uint32_t l3_off;
	uint32_t l4_off; /* 0: no L4 header */
	uint32_t l3_end; /* end of the IP datagram */
	uint8_t l3;	 /* enum pl_l3 */
	uint8_t shape;	 /* enum pl_shape */
	uint8_t pad[2];
};

/* One packet in flight through the tables. */
struct pl_centry;

struct pl_pctx {
	struct dp_packet *pkt;
	struct pl_meta m;
	uint32_t hash;	 /* cache hash of key at ingress */
	uint8_t shape;	 /* shape of key at ingress */
	uint8_t n_seg;	 /* cached segment: rules, 0xff miss,
			  * 0xfe one simple rule (simple_*), 0xfc
			  * miss whose table 0 rule is seg[0] */
	uint8_t m_stale; /* m not filled: pl_act_apply() fills it first */
	uint8_t ct_hint; /* pl_ct.c: with ct_hash, its group's slot + 1 */
	uint32_t simple_out;
	uint32_t ct_stamp; /* pl_ct.c: last ct lookup of this packet, 0 none */
	uint32_t ct_hash;  /* pl_ct.c: tuple hash for the walk's first ct, 0 */
	struct pl_ctr *simple_ct;
	struct pl_centry *cand; /* cache entry whose signature matched */
	struct pl_rule *seg[PL_SEG_MAX];
	struct dp_key key;
};

enum { PL_WAYS = 16 };

/* Cache bucket: 16-bit signatures (0 when empty) of PL_WAYS entries. */
struct pl_cbucket {
	uint16_t sig[PL_WAYS];
};

/*
 * A cache entry, 3 cache lines. Line 0 is enough for an IPv4 key whose
 * segment is one simple rule: tag, counter id, output, key words 0-5.
 * Line 1 holds the segment's rules and key words 6-7, line 2 words 8-15.
 */
enum { PL_NOT_SIMPLE = UINT32_MAX };

struct pl_centry {
	uint64_t tag;	/* version << 16 | table << 8 | shape; 0 free */
	uint32_t id0;	/* one simple rule: its counter id */
	uint32_t out0;	/* ... its output (0 drop), or PL_NOT_SIMPLE */
	uint64_t kw[6]; /* key words 0-5 in shape order */
	uint8_t n;	/* rules in r */
	uint8_t pad[7];
	struct pl_rule *r[PL_SEG_MAX];
	uint64_t kx[DP_KEY_WORDS - 6]; /* key words 6-15 */
} PL_ALIGNED;

static inline uint64_t
pl_centry_tag(uint64_t v, unsigned table, unsigned shape)
{
	return v << 16 | table << 8 | shape;
}

struct pl_wstats {
	uint64_t hits;
	uint64_t misses;
	uint64_t inserts;
	uint64_t evictions;
	uint64_t lookups;
	uint64_t entries;
};

/*
 * A worker. Everything here is written by its thread only, and read
 * (racily, for statistics) by the control thread.
 */
struct dp_worker {
	struct dp_pipeline *pl;
	unsigned idx;
	/* one burst: CRC32C or portable cache hash, fixed at creation */
	void (*burst)(struct dp_worker *w, const struct pl_state *s,
		      struct dp_packet **pkts, unsigned n,
		      struct dp_burst_out *out);
	struct dp_packet_ops ops;
	struct pl_ctr **ctr;	 /* pl->ctr[idx] */
	struct pl_centry *cache; /* PL_WAYS entries per bucket */
	struct pl_cbucket *buckets;
	uint32_t cache_mask;   /* buckets - 1 */
	unsigned clone_budget; /* clones left in this burst */
	uint32_t conn_skip;    /* per-connection inserts into full buckets */
	uint32_t byp_n;	       /* pl_worker.c: cache bypass window */
	uint32_t byp_conn;
	uint32_t byp_left;  /* bursts left without the cache */
	uint32_t byp_len;   /* the last bypass's length, 0 none */
	bool is_registered; /* this thread did rcu_register */
	bool no_memo;	    /* tests: no table-0 port map, no lookup memo */
	uint64_t drops[DP_DROP__COUNT] PL_ALIGNED;
	struct pl_wstats st PL_ALIGNED;
	struct pl_pctx ctx[DP_BURST] PL_ALIGNED;
	struct pl_memo memo[DP_TABLES_MAX] PL_ALIGNED; /* after: layout */
};

/* Deferred reclamation: freed after one grace period. */
struct pl_batch {
	struct pl_batch *next;
	void **ptrs; /* plain free() */
	size_t n_ptrs;
	size_t cap_ptrs;
	struct pl_rule *unlink; /* rules to unlink after the grace period */
	struct pl_rule *rfree;	/* unlinked rules to free */
};

struct dp_txn;

struct dp_pipeline {
	struct pl_state *state; /* RCU */
	struct pl_table tables[DP_TABLES_MAX];
	struct pl_ctr **ctr[DP_WORKERS_MAX]; /* chunk tables, per worker */
	struct dp_worker *workers[DP_WORKERS_MAX];
	unsigned n_workers;
	unsigned cache_entries;
	unsigned rules_max;

	pthread_mutex_t lock; /* control state below */
	uint64_t version;     /* last published */
	size_t n_rules;
	struct dp_txn *txn; /* the open transaction */
	uint32_t *free_ids;
	size_t n_free_ids;
	size_t cap_free_ids;
	uint32_t next_id;
	uint32_t n_chunks;
	struct pl_rule **cookies; /* cookie index buckets */
	size_t cookie_mask;
	size_t n_cookies;
	struct pl_batch *gb; /* garbage of the current change */

	pthread_t reclaimer;
	pthread_cond_t cond;
	struct pl_batch *queue; /* batches awaiting a grace period */
	bool is_stopping;
	bool has_reclaimer;
	struct pl_esp *esp; /* RCU: ESP SAs (pl_esp.c), NULL until the first */
	struct pl_ct *ct;   /* connection table (pl_ct.c), shared */
	struct pl_lb *lb;   /* RCU: LB pools (pl_lb.c), NULL until the first */
};

/* Hash helpers. */
static inline uint64_t
pl_mix(uint64_t a, uint64_t b)
{
	__uint128_t p = (__uint128_t)(a ^ 0xa0761d6478bd642fULL) *
			(b ^ 0xe7037ed1a0b428dbULL);

	return (uint64_t)(p >> 64) ^ (uint64_t)p;
}

static const uint64_t pl_hash_k[DP_KEY_WORDS] = {
	0x8ebc6af09c88c6e3ULL, 0x589965cc75374cc3ULL, 0x1d8e4e27c47d124fULL,
	0xd6e8feb86659fd93ULL, 0x9e3779b97f4a7c15ULL, 0xbf58476d1ce4e5b9ULL,
	0x94d049bb133111ebULL, 0x2545f4914f6cdd1dULL, 0xa24baed4963ee407ULL,
	0x9fb21c651e98df25ULL, 0xc2b2ae3d27d4eb4fULL, 0x165667b19e3779f9ULL,
	0x85ebca77c2b2ae63ULL, 0x27d4eb2f165667c5ULL, 0xff51afd7ed558ccdULL,
	0xc4ceb9fe1a85ec53ULL,
};

typedef uint64_t pl_v2 __attribute__((vector_size(16), aligned(8), may_alias));

static inline void
pl_key_zero(struct dp_key *key)
{
	pl_v2 *v = (pl_v2 *)key;
	const pl_v2 z = {0, 0};

	v[0] = z;
	v[1] = z;
	v[2] = z;
	v[3] = z;
	v[4] = z;
	v[5] = z;
	v[6] = z;
	v[7] = z;
}

#define PL_HW(i, j) pl_mix(w[i] ^ pl_hash_k[i], w[j] ^ pl_hash_k[j])

/*
 * The cache's hash of a key of a given shape, starting in a table: only
 * the words the shape allows to be non-zero are mixed.
 */
static inline uint32_t
pl_hash_key(const struct dp_key *key, unsigned shape, unsigned table)
{
	const uint64_t *w = (const uint64_t *)key;
	uint64_t h = (uint64_t)shape << 8 | table;

	switch (shape) {
	case PL_SHAPE_L2:
		h ^= PL_HW(0, 2) ^ pl_mix(w[3] ^ pl_hash_k[3], h);
		break;
	case PL_SHAPE_IPV4:
		h ^= PL_HW(0, 2) ^ PL_HW(3, 4) ^ PL_HW(9, 10);
		break;
	case PL_SHAPE_IPV6:
		h ^= PL_HW(0, 2) ^ PL_HW(3, 5) ^ PL_HW(6, 7) ^ PL_HW(8, 9) ^
		     pl_mix(w[10] ^ pl_hash_k[10], h);
		break;
	case PL_SHAPE_ARP:
		h ^= PL_HW(0, 2) ^ PL_HW(3, 4) ^ PL_HW(9, 11) ^
		     pl_mix(w[12] ^ pl_hash_k[12], h);
		break;
	default:
		for (int i = 0; i < DP_KEY_WORDS; i += 2)
			h ^= PL_HW(i, i + 1);
		break;
	}
	h ^= h >> 29;
	return (uint32_t)h | 0x80000000u;
}

/*
 * On x86-64 CPUs with SSE4.2 (checked at run time) the burst's first
 * lookup hashes with CRC32C over the shape's words instead of
 * pl_hash_key(): 6 instructions for IPv4 instead of three 128-bit
 * multiplies. A worker uses one of the two for its lifetime (its cache
 * needs one hash); the other lookups (FULL shape) use pl_hash_key().
 */
#if defined(__x86_64__)
#define PL_HAVE_CRC 1
/*
 * The instruction itself (crc32q), so no function needs a target
 * attribute and nothing else is compiled for SSE4.2.
 */
static inline __attribute__((always_inline)) uint64_t
pl_crc32q(uint64_t h, const uint64_t *x)
{
	__asm__("crc32q %1, %0" : "+r"(h) : "m"(*x));
	return h;
}

#define PL_CRC(h, x) pl_crc32q((h), &w[(x)])
static inline __attribute__((always_inline)) uint32_t
pl_hash_key_crc(const struct dp_key *key, unsigned shape, unsigned table)
{
	const uint64_t *w = (const uint64_t *)key;
	uint64_t h = (uint64_t)shape << 8 | table;

	h = PL_CRC(h, 0);
	h = PL_CRC(h, 2);
	h = PL_CRC(h, 3);
	switch (shape) {
	case PL_SHAPE_L2:
		break;
	case PL_SHAPE_IPV4:
		h = PL_CRC(h, 4);
		h = PL_CRC(h, 9);
		h = PL_CRC(h, 10);
		break;
	case PL_SHAPE_IPV6:
		h = PL_CRC(h, 5);
		h = PL_CRC(h, 6);
		h = PL_CRC(h, 7);
		h = PL_CRC(h, 8);
		h = PL_CRC(h, 9);
		h = PL_CRC(h, 10);
		break;
	default: /* PL_SHAPE_ARP */
		h = PL_CRC(h, 4);
		h = PL_CRC(h, 9);
		h = PL_CRC(h, 11);
		h = PL_CRC(h, 12);
		break;
	}
	return (uint32_t)h | 0x80000000u;
}
#undef PL_CRC
#endif

/* Key words of each shape, in the order a cache entry stores them. */
static const uint8_t pl_shape_words[PL_SHAPE_FULL + 1][DP_KEY_WORDS] = {
	[PL_SHAPE_L2] = {0, 2, 3},
	[PL_SHAPE_IPV4] = {0, 2, 3, 4, 9, 10},
	[PL_SHAPE_IPV6] = {0, 2, 3, 5, 6, 7, 8, 9, 10},
	[PL_SHAPE_ARP] = {0, 2, 3, 4, 9, 11, 12},
	[PL_SHAPE_FULL] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
			   15},
};
static const uint8_t pl_shape_n[PL_SHAPE_FULL + 1] = {3, 6, 9, 7, 16};

static inline void
pl_key_pack(const struct dp_key *key, unsigned shape, struct pl_centry *e)
{
	const uint64_t *w = (const uint64_t *)key;

	for (unsigned i = 0; i < pl_shape_n[shape]; i++) {
		uint64_t v = w[pl_shape_words[shape][i]];

		if (i < 6)
			e->kw[i] = v;
		else
			e->kx[i - 6] = v;
	}
}

/* Equality of a key with an entry's words of the same shape. */
static inline bool
pl_key_eq_packed(const struct pl_centry *e, const struct dp_key *key,
		 unsigned shape)
{
	const uint64_t *x = (const uint64_t *)key;
	const uint64_t *kw = e->kw;
	uint64_t d;

	/* FULL packs words 0, 1, 2, ...: not the 0, 2, 3 of the others. */
	if (shape == PL_SHAPE_FULL) {
		d = 0;
		for (unsigned i = 0; i < DP_KEY_WORDS; i++)
			d |= x[i] ^ (i < 6 ? kw[i] : e->kx[i - 6]);
		return d == 0;
	}
	d = (x[0] ^ kw[0]) | (x[2] ^ kw[1]) | (x[3] ^ kw[2]);
	switch (shape) {
	case PL_SHAPE_L2:
		return d == 0;
	case PL_SHAPE_IPV4:
		return (d | (x[4] ^ kw[3]) | (x[9] ^ kw[4]) |
			(x[10] ^ kw[5])) == 0;
	default:
		for (unsigned i = 3; i < pl_shape_n[shape]; i++)
			d |= x[pl_shape_words[shape][i]] ^
			     (i < 6 ? kw[i] : e->kx[i - 6]);
		return d == 0;
	}
}

/* Hash of n compacted masked words (a subtable's hash). */
static inline uint32_t
pl_hash_words(const uint64_t *w, unsigned n)
{
	uint64_t h = n;
	unsigned i;

	for (i = 0; i + 1 < n; i += 2)
		h ^= pl_mix(w[i] ^ pl_hash_k[i], w[i + 1] ^ pl_hash_k[i + 1]);
	if (i < n)
		h ^= pl_mix(w[i] ^ pl_hash_k[i], pl_hash_k[15]);
	h = pl_mix(h, 0x7654321ULL);
	return (uint32_t)h;
}

static inline bool
pl_rule_is_visible(const struct pl_rule *r, uint64_t v)
{
	return r->v_add <= v && v < CMM_LOAD_SHARED(r->v_del);
}

/* pl_cls.c: classifier. */
struct pl_rule *pl_cls_lookup(struct dp_worker *w, const struct pl_table *t,
			      const struct dp_key *key, uint64_t v);
/* The same lookup (w not NULL) through the worker's memo of table t. */
struct pl_rule *pl_cls_lookup_memo(struct dp_worker *w,
				   const struct pl_table *t,
				   const struct dp_key *key, uint64_t v,
				   struct pl_memo *m);

/* pl_cls_lookup_memo(), its check inline (the answer when it holds). */
static inline struct pl_rule *
pl_cls_memo(struct dp_worker *w, const struct pl_table *t,
	    const struct dp_key *key, uint64_t v, struct pl_memo *m)
{
	const struct pl_starray *a = PL_LOAD(t->pub);
	const uint64_t *kw = (const uint64_t *)key;
	uint64_t d = 0;
	unsigned n;

	if (a == NULL || m->gen != a->gen || m->v != v)
		return pl_cls_lookup_memo(w, t, key, v, m);
	n = a->n_uw; /* <= PL_MEMO_WORDS: the memo was kept */
	for (unsigned j = 0; j < n; j++)
		d |= (kw[a->uwidx[j]] & a->umw[j]) ^ m->w[j];
	if (d != 0)
		return pl_cls_lookup_memo(w, t, key, v, m);
	w->st.lookups += m->n_lookups;
	if (m->hit != NULL)
		m->hit->hits[w->idx].n++;
	return m->r;
}
struct pl_subtable *pl_cls_subtable_find(struct pl_table *t,
					 const struct dp_key *mask);
int pl_cls_subtable_get(struct dp_pipeline *pl, unsigned table,
			const struct dp_key *mask, struct pl_subtable **out);
int pl_cls_insert(struct dp_pipeline *pl, struct pl_rule *r);
void pl_cls_remove(struct dp_pipeline *pl, struct pl_rule *r);
struct pl_rule *pl_cls_find(const struct pl_subtable *st, const uint64_t *words,
			    uint32_t hash, uint32_t priority, uint64_t v);
int pl_cls_publish(struct dp_pipeline *pl, struct pl_table *t);
void pl_cls_gc_subtables(struct dp_pipeline *pl, struct pl_table *t);
void pl_cls_table_fini(struct pl_table *t);
void pl_cls_rule_match(const struct pl_rule *r, struct dp_key *match);
int pl_gb_reserve(struct dp_pipeline *pl, size_t n);
void pl_gb_add(struct dp_pipeline *pl, void *p);

/* pl_actions.c: packet rewrites; return 0 or enum dp_drop_reason. */
int pl_act_apply(struct pl_pctx *c, const struct dp_action *a);
bool pl_act_is_modifying(const struct dp_action *a);
/*
 * For NAT (pl_ct.c): fill c->m if stale; rewrite the IPv4 source or
 * destination address, or the TCP/UDP port (network order), with the
 * checksums and the key; RFC 1624 incremental checksum update.
 */
void pl_act_meta(struct pl_pctx *c);
void pl_act_set_ipv4(struct pl_pctx *c, bool is_dst, uint32_t addr);
void pl_act_set_port(struct pl_pctx *c, bool is_dst, uint16_t port);
uint16_t pl_csum_replace(uint16_t hc, const uint8_t *old, const uint8_t *new,
			 size_t n);

/* pipeline.c: a rule as the control side sees it (no counters). */
void pl_rule_export(const struct dp_pipeline *pl, const struct pl_rule *r,
		    struct dp_rule *dr);

/*
 * pl_worker.c: tests only: make a fresh worker (empty cache) hash with
 * the portable hash even where CRC32C is available.
 */
void pl_worker_use_portable_hash(struct dp_worker *w);
/*
 * Tests only: the worker looks up table 0 with the classifier even when
 * its port map answers, and never uses its lookup memo (the walk that the
 * shortcuts must match).
 */
void pl_worker_no_memo(struct dp_worker *w);

/* pl_worker.c: run one packet through the tables without the cache. */
struct pl_exec;
int pl_trace_run(struct dp_pipeline *pl, struct pl_pctx *c,
		 struct dp_trace *tr);

/*
 * True when the calling thread is registered as an RCU reader (it owns a
 * worker). Such a thread must go offline before it waits for a grace
 * period, or for a thread that does, or the wait never ends.
 */
bool pl_thread_is_reader(void);

#endif /* SLUICE_PL_INT_H */
