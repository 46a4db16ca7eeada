/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pl_worker.c: the per-packet side of the pipeline. A burst goes through
 * named stages:
 *
 *   fast_burst   table 0 resolved per in_port (when table 0 matches only
 *                in_port): validate the headers, count, output; no key
 *   parse_burst  parse into keys, hash, prefetch the cache buckets
 *   probe_burst  exact-match cache probe (2-way, per worker)
 *   run          the cached rule segment, or the classifier on a miss
 *                (then cached), with the actions of every rule hit
 *
 * A cache entry maps (key, table) to the segment of rules that key hits
 * across goto_table, valid while its version equals the published one; a
 * segment ends at a rule with vxlan_decap (what follows depends on inner
 * bytes the key does not hold), so the inner frame is looked up again.
 *
 * Outputs are collected as pending ports and materialized when the packet
 * is about to change or at the end: every pending output but the last
 * gets a clone, the last one the packet itself.
 *
 * Hot path: no allocation, locks, syscalls or floating point. RCU: a
 * burst reads pl->state once and every structure reachable from it stays
 * valid until the worker's next quiescent point.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "pl_ct.h"
#include "pl_esp.h"
#include "pl_int.h"
#include "pl_lb.h"
#include "pl_parse.h"

/* Executor state of one packet walk. */
struct pl_exec {
	struct dp_pipeline *pl;
	struct dp_worker *w; /* NULL when tracing */
	struct dp_burst_out *out;
	struct dp_trace *tr; /* non-NULL when tracing */
	uint64_t v;
	bool no_cache; /* per-connection traffic: the cache is bypassed */
	struct dp_packet *frag_of; /* esp_encrypt's other fragments follow */
	unsigned n_pend;
	uint32_t pend_port[PL_PEND_MAX];
	uint32_t pend_reason[PL_PEND_MAX];
	/*
	 * Counts not added yet (count_run()): the rule the bypassed walk
	 * ran last at its first step (0) and after it (1), with packets
	 * and bytes; added when the rule changes and at the burst's end.
	 */
	const struct pl_rule *run_r[2];
	uint32_t run_n[2];
	uint64_t run_b[2];
};

static __thread unsigned pl_n_registered;

#define PREFETCH(p) __builtin_prefetch(p)

static inline void
drop(struct dp_worker *w, struct dp_burst_out *out, struct dp_packet *p,
     int reason)
{
	w->drops[reason]++;
	out->drop[out->n_drop++] = p;
}

static void frags_follow(struct pl_exec *x, uint32_t port, uint32_t reason,
			 int drop_reason);

static inline void
emit(struct pl_exec *x, struct dp_packet *p, uint32_t port, uint32_t reason)
{
	struct dp_burst_out *out = x->out;

	if (port == DP_PORT_CONTROLLER) {
		p->punt_reason = reason;
		out->punt[out->n_punt++] = p;
	} else {
		out->tx[out->n_tx] = p;
		out->tx_port[out->n_tx++] = port;
	}
	if (__builtin_expect(p == x->frag_of, 0))
		frags_follow(x, port, reason, -1);
}

/*
 * esp_encrypt fragmented x->frag_of (pl_esp.h): its other fragments go
 * where it went (drop_reason < 0) or are dropped with it.
 */
static void
frags_follow(struct pl_exec *x, uint32_t port, uint32_t reason, int drop_reason)
{
	const struct dp_packet *first = x->frag_of;
	struct dp_packet *f;
	bool ok = false;

	x->frag_of = NULL;
	while ((f = pl_esp_frag_next(x->w, first, &ok)) != NULL) {
		if (drop_reason >= 0 || !ok)
			drop(x->w, x->out, f,
			     drop_reason >= 0 ? drop_reason : DP_DROP_NO_ROOM);
		else
			emit(x, f, port, reason);
	}
}

static void
clone_emit(struct pl_exec *x, struct pl_pctx *c, uint32_t port, uint32_t reason)
{
	struct dp_worker *w = x->w;
	struct dp_packet *cl;

	if (w->clone_budget == 0 || w->ops.clone == NULL) {
		w->drops[DP_DROP_CLONE_FAIL]++;
		return;
	}
	cl = w->ops.clone(w->ops.ctx, c->pkt);
	if (cl == NULL) {
		w->drops[DP_DROP_CLONE_FAIL]++;
		return;
	}
	w->clone_budget--;
	emit(x, cl, port, reason);
}

static void
pend_flush(struct pl_exec *x, struct pl_pctx *c)
{
	for (unsigned i = 0; i < x->n_pend; i++)
		clone_emit(x, c, x->pend_port[i], x->pend_reason[i]);
	x->n_pend = 0;
}

static void
trace_frame(struct dp_trace *tr, const struct dp_packet *p)
{
	uint32_t n =
		p->len < sizeof(tr->out_frame) ? p->len : sizeof(tr->out_frame);

	tr->out_len = p->len;
	memcpy(tr->out_frame, p->data, n);
}

static void
pend_add(struct pl_exec *x, struct pl_pctx *c, uint32_t port, uint32_t reason)
{
	if (port == DP_PORT_IN_PORT)
		port = c->pkt->in_port;
	if (x->tr != NULL) {
		if (x->tr->n_out == 0)
			trace_frame(x->tr, c->pkt);
		if (x->tr->n_out < DP_TRACE_OUT_MAX)
			x->tr->out_port[x->tr->n_out++] = port;
		return;
	}
	if (x->n_pend == PL_PEND_MAX)
		pend_flush(x, c);
	x->pend_port[x->n_pend] = port;
	x->pend_reason[x->n_pend] = reason;
	x->n_pend++;
}

/* End of a packet's walk: reason < 0 when nothing stopped it. */
static void
finish(struct pl_exec *x, struct pl_pctx *c, int reason)
{
	unsigned last;

	if (x->tr != NULL) {
		if (x->tr->n_out == 0) {
			trace_frame(x->tr, c->pkt);
			x->tr->verdict =
				(reason < 0 ? DP_DROP_ACTION : reason) + 1;
		}
		return;
	}
	if (x->n_pend == 0) {
		drop(x->w, x->out, c->pkt,
		     reason < 0 ? DP_DROP_ACTION : reason);
		if (c->pkt == x->frag_of)
			frags_follow(x, 0, 0,
				     reason < 0 ? DP_DROP_ACTION : reason);
		return;
	}
	last = x->n_pend - 1;
	for (unsigned i = 0; i < last; i++)
		clone_emit(x, c, x->pend_port[i], x->pend_reason[i]);
	emit(x, c->pkt, x->pend_port[last], x->pend_reason[last]);
	x->n_pend = 0;
}

/* Apply a rule's actions; returns a drop reason, or -1 to go on. */
static int
exec_rule(struct pl_exec *x, struct pl_pctx *c, const struct pl_rule *r)
{
	for (unsigned i = 0; i < r->n_actions; i++) {
		const struct dp_action *a = &r->acts[i];
		int rc;

		switch (a->type) {
		case DP_ACT_OUTPUT:
			pend_add(x, c, a->u.port, 0);
			break;
		case DP_ACT_PUNT:
			pend_add(x, c, DP_PORT_CONTROLLER, a->u.reason);
			break;
		case DP_ACT_DROP:
			return DP_DROP_ACTION;
		case DP_ACT_GOTO_TABLE:
			break;
		case DP_ACT_CT:
			/* Last action; the walk goes on at its table. */
			if (x->n_pend != 0 && (a->u.ct.flags & DP_CT_NAT))
				pend_flush(x, c);
			pl_ct_exec(x->pl->ct,
				   x->w != NULL ? x->w->idx : PL_CT_CONTROL, c,
				   &a->u.ct, x->tr != NULL);
			break;
		case DP_ACT_LB_SELECT:
			/* Last action; translates, goes on at its table. */
			if (x->n_pend != 0)
				pend_flush(x, c);
			rc = pl_lb_exec(
				x->pl, x->w != NULL ? x->w->idx : PL_CT_CONTROL,
				c, &a->u.lb, x->tr != NULL);
			if (rc != 0)
				return rc;
			break;
		case DP_ACT_ESP_ENCRYPT:
		case DP_ACT_ESP_DECRYPT:
			if (x->n_pend != 0)
				pend_flush(x, c);
			rc = a->type == DP_ACT_ESP_ENCRYPT
				     ? pl_esp_encrypt(x->w, c, a->u.esp.sa)
				     : pl_esp_decrypt(x->w, c);
			if (rc >= PL_ESP_FRAGS) { /* see frags_follow() */
				x->frag_of = c->pkt;
				rc -= PL_ESP_FRAGS;
			}
			if (rc < 0) { /* too big, DF: the controller answers */
				pend_add(x, c, DP_PORT_CONTROLLER,
					 DP_PUNT_ESP_MTU | (uint32_t)-rc);
				return DP_DROP_ESP_TOO_BIG;
			}
			if (rc != 0)
				return rc;
			break;
		default:
			if (x->n_pend != 0 && pl_act_is_modifying(a))
				pend_flush(x, c);
			rc = pl_act_apply(c, a);
			if (rc != 0)
				return rc;
			break;
		}
	}
	return -1;
}

static inline void
count(struct dp_worker *w, const struct pl_rule *r, uint32_t len)
{
	struct pl_ctr *ct;

	if (w == NULL)
		return;
	ct = &PL_LOAD(
		w->ctr[r->id >> PL_CTR_SHIFT])[r->id & (PL_CTR_CHUNK - 1)];
	ct->n_packets++;
	ct->n_bytes += len;
}

/* count() of step i's run so far (count_run()). */
static inline void
count_flush(struct pl_exec *x, unsigned i)
{
	struct pl_ctr *ct;
	const struct pl_rule *r = x->run_r[i];

	if (r == NULL)
		return;
	ct = &PL_LOAD(
		x->w->ctr[r->id >> PL_CTR_SHIFT])[r->id & (PL_CTR_CHUNK - 1)];
	ct->n_packets += x->run_n[i];
	ct->n_bytes += x->run_b[i];
	x->run_r[i] = NULL;
}

/*
 * count() for a step of the bypassed walk (a worker): consecutive
 * packets that ran the same rule there are added to its counter once.
 */
static inline __attribute__((always_inline)) void
count_run(struct pl_exec *x, unsigned i, const struct pl_rule *r, uint32_t len)
{
	if (x->w->no_memo) { /* the reference for tests: one by one */
		count(x->w, r, len);
		return;
	}
	if (x->run_r[i] == r) {
		x->run_n[i]++;
		x->run_b[i] += len;
		return;
	}
	count_flush(x, i);
	x->run_r[i] = r;
	x->run_n[i] = 1;
	x->run_b[i] = len;
}

static inline uint16_t
cache_sig(uint32_t h)
{
	return (uint16_t)(h >> 16 | 0x8000); /* never 0 (empty) */
}

/*
 * First way of bucket b whose 16-bit signature may equal sig, or -1: four
 * lanes a word, SWAR zero-lane test. The lowest flagged lane is exact;
 * callers verify the entry and fall back to cache_probe().
 */
#ifdef __SSE2__
/*
 * SSE2 (every x86-64): compare the 16 signatures at once; the lowest
 * matching way, or -1.
 */
static inline int
cache_way(const struct pl_cbucket *b, uint16_t sig)
{
	const __m128i s = _mm_set1_epi16((short)sig);
	__m128i a = _mm_loadu_si128((const __m128i *)(const void *)&b->sig[0]);
	__m128i c = _mm_loadu_si128((const __m128i *)(const void *)&b->sig[8]);
	unsigned mask;

	a = _mm_cmpeq_epi16(a, s);
	c = _mm_cmpeq_epi16(c, s);
	mask = (unsigned)_mm_movemask_epi8(_mm_packs_epi16(a, c));
	return mask != 0 ? __builtin_ctz(mask) : -1;
}
#else
static inline int
cache_way(const struct pl_cbucket *b, uint16_t sig)
{
	const uint64_t lo = 0x0001000100010001ULL, hi = lo << 15;
	uint64_t pat = sig * lo;

	for (int q = 0; q < PL_WAYS / 4; q++) {
		uint64_t w, x, t;

		memcpy(&w, &b->sig[q * 4], 8);
		x = w ^ pat;
		t = (x - lo) & ~x & hi;
		if (t != 0)
			return q * 4 + __builtin_ctzll(t) / 16;
	}
	return -1;
}
#endif

static inline bool
cache_entry_is(const struct pl_centry *e, const struct dp_key *key,
	       unsigned shape, unsigned t, uint64_t v)
{
	return e->tag == pl_centry_tag(v, t, shape) &&
	       pl_key_eq_packed(e, key, shape);
}

/* Every way with the signature, verified. */
static inline struct pl_centry *
cache_probe(struct dp_worker *w, const struct dp_key *key, uint32_t h,
	    unsigned shape, unsigned t, uint64_t v)
{
	uint32_t bi = h & w->cache_mask;
	const struct pl_cbucket *b = &w->buckets[bi];
	struct pl_centry *e = &w->cache[bi * PL_WAYS];
	uint16_t sig = cache_sig(h);

	for (int i = 0; i < PL_WAYS; i++)
		if (b->sig[i] == sig && cache_entry_is(&e[i], key, shape, t, v))
			return &e[i];
	return NULL;
}

/*
 * A full bucket takes one in PL_CONN_INSERT per-connection segment: with
 * more connections than the cache holds such entries only evict each
 * other (every insert also reads the victims' lines from DRAM).
 */
enum { PL_CONN_INSERT = 32 };

/*
 * Insert a segment: into the flow's own stale entry if it has one (so a
 * flow has one entry), else a free way, else a stale one, else a victim
 * chosen by the hash. is_conn: the key is per connection (the segment
 * ends in, or follows, ct or lb_select); into a full bucket it goes only
 * one time in PL_CONN_INSERT, over the victim chosen by the hash.
 */
static void
cache_insert(struct dp_worker *w, const struct dp_key *key, uint32_t h,
	     unsigned shape, unsigned t, uint64_t v, struct pl_rule *const *seg,
	     unsigned n, bool is_conn)
{
	uint32_t bi = h & w->cache_mask;
	struct pl_cbucket *b = &w->buckets[bi];
	struct pl_centry *e = &w->cache[bi * PL_WAYS];
	uint16_t sig = cache_sig(h);
	int way = -1;

	if (is_conn && cache_way(b, 0) < 0) {
		if (++w->conn_skip % PL_CONN_INSERT != 0)
			return;
		way = (int)((h >> 8) & (PL_WAYS - 1));
		w->st.evictions++;
	}
	for (int i = 0; way < 0 && i < PL_WAYS; i++)
		if (b->sig[i] == sig &&
		    (e[i].tag & 0xffff) == (pl_centry_tag(0, t, shape)) &&
		    pl_key_eq_packed(&e[i], key, shape))
			way = i;
	for (int i = 0; way < 0 && i < PL_WAYS; i++)
		if (b->sig[i] == 0)
			way = i;
	for (int i = 0; way < 0 && i < PL_WAYS; i++)
		if ((e[i].tag >> 16) != v)
			way = i;
	if (way < 0) {
		way = (int)((h >> 8) & (PL_WAYS - 1));
		w->st.evictions++;
	}
	e += way;
	if (b->sig[way] == 0)
		w->st.entries++;
	b->sig[way] = sig;
	e->tag = pl_centry_tag(v, t, shape);
	e->n = (uint8_t)n;
	if (n == 1 && (seg[0]->flags & PL_RF_SIMPLE)) {
		e->id0 = seg[0]->id;
		e->out0 = seg[0]->out_port;
	} else {
		e->id0 = 0;
		e->out0 = PL_NOT_SIMPLE;
	}
	memcpy(e->r, seg, n * sizeof(seg[0]));
	pl_key_pack(key, shape, e);
	w->st.inserts++;
}

static void
trace_step(struct pl_exec *x, unsigned t, const struct pl_rule *r)
{
	struct dp_trace *tr = x->tr;
	struct dp_trace_step *s;

	if (tr->n_steps >= DP_TRACE_STEPS_MAX)
		return;
	s = &tr->steps[tr->n_steps++];
	s->table = (uint8_t)t;
	s->is_hit = r != NULL;
	if (r != NULL)
		pl_rule_export(x->pl, r, &s->rule);
}

/*
 * Resolve one segment with the classifier from table *t, running the
 * actions as it goes. Returns a drop reason, -1 at a normal end, or -2
 * when the walk continues (after vxlan_decap) in table *t.
 */
static int
resolve(struct pl_exec *x, struct pl_pctx *c, unsigned *t, unsigned *depth,
	uint32_t h, unsigned shape, struct pl_rule *r0)
{
	struct pl_rule *seg[PL_SEG_MAX];
	unsigned n = 0, t0 = *t;
	bool is_cacheable = x->w != NULL && x->w->cache != NULL && !x->no_cache;
	struct dp_key k0;
	int reason = -1;

	if (is_cacheable)
		k0 = c->key;
	for (;;) {
		struct pl_rule *r;

		if (++*depth > DP_GOTO_DEPTH_MAX) {
			reason = DP_DROP_LOOP;
			is_cacheable = false;
			break;
		}
		if (r0 != NULL) {
			r = r0; /* looked up already (burst_miss_lookup) */
			r0 = NULL;
		} else {
			r = pl_cls_lookup(x->w, &x->pl->tables[*t], &c->key,
					  x->v);
		}
		if (x->tr != NULL)
			trace_step(x, *t, r);
		if (r == NULL) {
			reason = DP_DROP_NO_MATCH;
			break;
		}
		if (n < PL_SEG_MAX)
			seg[n++] = r;
		else
			is_cacheable = false;
		count(x->w, r, c->pkt->len);
		reason = exec_rule(x, c, r);
		if (reason == DP_DROP_ESP_TOO_BIG)
			is_cacheable = false; /* the packet's size, not the
					       * flow's: a cut segment */
		if (reason >= 0 || r->goto_table == PL_NO_TABLE)
			break;
		*t = r->goto_table;
		if (r->flags & PL_RF_DECAP) {
			reason = -2;
			break;
		}
	}
	if (is_cacheable)
		cache_insert(x->w, &k0, h, shape, t0, x->v, seg, n,
			     (c->key.ct_state & DP_CS_TRK) != 0);
	return reason;
}

/* Replay a cached segment; same returns as resolve(). */
static int
replay(struct pl_exec *x, struct pl_pctx *c, struct pl_rule *const *seg,
       unsigned n, unsigned *t, unsigned *depth)
{
	const struct pl_rule *last;
	int reason;

	if (n == 0)
		return DP_DROP_NO_MATCH;
	for (unsigned i = 0; i < n; i++) {
		if (++*depth > DP_GOTO_DEPTH_MAX)
			return DP_DROP_LOOP;
		count(x->w, seg[i], c->pkt->len);
		reason = exec_rule(x, c, seg[i]);
		if (reason >= 0)
			return reason;
	}
	last = seg[n - 1];
	if (last->goto_table == PL_NO_TABLE)
		return -1;
	if (!(last->flags & PL_RF_DECAP))
		return DP_DROP_NO_MATCH;
	*t = last->goto_table;
	return -2;
}

/*
 * resolve() of a table 0 rule (looked up already) whose one action is ct
 * or lb_select, while the cache is bypassed (no segment to keep, no
 * trace, nothing pending): no generic action loop; the same counts,
 * returns and walk.
 */
static inline __attribute__((always_inline)) int
run_conn(struct pl_exec *x, struct pl_pctx *c, unsigned *t, unsigned *depth,
	 const struct pl_rule *r)
{
	const struct dp_action *a = &r->acts[0];
	int rc;

	*depth = 1;
	count_run(x, 0, r, c->pkt->len);
	if (a->type == DP_ACT_CT) {
		pl_ct_exec(x->pl->ct, x->w->idx, c, &a->u.ct, false);
	} else {
		rc = pl_lb_exec(x->pl, x->w->idx, c, &a->u.lb, false);
		if (rc != 0)
			return rc;
	}
	if (r->goto_table == PL_NO_TABLE)
		return -1;
	*t = r->goto_table;
	return -2;
}

/*
 * The first segment of a packet's walk (cached or resolved); -2 when the
 * walk goes on (after ct or a decap) in table *t.
 */
static int
run_first(struct pl_exec *x, struct pl_pctx *c, unsigned *t, unsigned *depth)
{
	*t = 0;
	*depth = 0;
	x->n_pend = 0;
	c->ct_stamp = 0;
	if (c->n_seg == 0xfc && x->no_cache && c->seg[0]->n_actions == 1 &&
	    (c->seg[0]->acts[0].type == DP_ACT_LB_SELECT ||
	     c->seg[0]->acts[0].type == DP_ACT_CT))
		return run_conn(x, c, t, depth, c->seg[0]);
	if (c->n_seg == 0xfc)
		return resolve(x, c, t, depth, c->hash, c->shape, c->seg[0]);
	if (c->n_seg != 0xff)
		return replay(x, c, c->seg, c->n_seg, t, depth);
	return resolve(x, c, t, depth, c->hash, c->shape, NULL);
}

/*
 * One step of run_rest() while the cache is bypassed (a worker, no
 * trace, nothing pending): the rule after ct or lb_select is most often
 * one output, sent here without the generic walk (-3: the packet is
 * out); else resolve() from the rule looked up. The lookup goes through
 * the worker's memo of the table: after lb_select the tables mostly
 * match ct_state and few other fields, the same for most packets.
 */
static inline __attribute__((always_inline)) int
rest_bypass(struct pl_exec *x, struct pl_pctx *c, unsigned *t, unsigned *depth)
{
	struct pl_rule *r =
		x->w->no_memo
			? pl_cls_lookup(x->w, &x->pl->tables[*t], &c->key, x->v)
			: pl_cls_memo(x->w, &x->pl->tables[*t], &c->key, x->v,
				      &x->w->memo[*t]);

	if (r == NULL)
		return DP_DROP_NO_MATCH;
	if (!(r->flags & PL_RF_SIMPLE))
		return resolve(x, c, t, depth, 0, PL_SHAPE_FULL, r);
	count_run(x, 1, r, c->pkt->len);
	if (r->out_port == 0) {
		drop(x->w, x->out, c->pkt, DP_DROP_ACTION);
		if (c->pkt == x->frag_of)
			frags_follow(x, 0, 0, DP_DROP_ACTION);
	} else
		emit(x, c->pkt,
		     r->out_port == DP_PORT_IN_PORT ? c->pkt->in_port
						    : r->out_port,
		     0);
	return -3;
}

/*
 * The rest of the walk from table t: each further segment is looked up
 * by the FULL-shape key. h is the hash of the first such lookup and e0 a
 * cache entry whose signature matched it (NULL: none known).
 */
static void
run_rest(struct pl_exec *x, struct pl_pctx *c, unsigned t, unsigned depth,
	 int reason, uint32_t h, struct pl_centry *e0)
{
	while (reason == -2) {
		struct pl_centry *e = NULL;

		if (x->no_cache && x->n_pend == 0 &&
		    depth < DP_GOTO_DEPTH_MAX) {
			reason = rest_bypass(x, c, &t, &depth);
			if (reason == -3)
				return;
			continue;
		}
		if (x->w != NULL && !x->no_cache) {
			if (e0 != NULL &&
			    cache_entry_is(e0, &c->key, PL_SHAPE_FULL, t, x->v))
				e = e0;
			else
				e = cache_probe(x->w, &c->key, h, PL_SHAPE_FULL,
						t, x->v);
			e0 = NULL;
		}
		if (e != NULL) {
			struct pl_rule *seg[PL_SEG_MAX];
			unsigned n = e->n;

			memcpy(seg, e->r, n * sizeof(seg[0]));
			x->w->st.hits++;
			reason = replay(x, c, seg, n, &t, &depth);
		} else {
			if (x->w != NULL)
				x->w->st.misses++;
			reason = resolve(x, c, &t, &depth, h, PL_SHAPE_FULL,
					 NULL);
		}
		if (reason == -2 && x->w != NULL && !x->no_cache)
			h = pl_hash_key(&c->key, PL_SHAPE_FULL, t);
	}
	finish(x, c, reason);
}

/* The whole walk of one parsed packet. */
static void
run(struct pl_exec *x, struct pl_pctx *c)
{
	unsigned t, depth;
	int reason = run_first(x, c, &t, &depth);
	uint32_t h = 0;

	if (reason == -2 && x->w != NULL)
		h = pl_hash_key(&c->key, PL_SHAPE_FULL, t);
	run_rest(x, c, t, depth, reason, h, NULL);
}

int
pl_trace_run(struct dp_pipeline *pl, struct pl_pctx *c, struct dp_trace *tr)
{
	struct pl_exec x;

	memset(&x, 0, sizeof(x));
	x.pl = pl;
	x.tr = tr;
	x.v = pl->version;
	c->n_seg = 0xff;
	c->ct_hash = 0;
	pl_ct_burst(pl->ct, PL_CT_CONTROL);
	run(&x, c);
	return 0;
}

static inline void
count_n(struct dp_worker *w, const struct pl_rule *r, uint64_t np, uint64_t nb)
{
	struct pl_ctr *ct = &PL_LOAD(
		w->ctr[r->id >> PL_CTR_SHIFT])[r->id & (PL_CTR_CHUNK - 1)];

	ct->n_packets += np;
	ct->n_bytes += nb;
}

/*
 * Table 0's rule for a port by the per-port map (never NULL for a slow
 * packet: fast_burst() drops a port without one).
 */
static inline struct pl_rule *
fast_rule(const struct pl_fast *f, uint32_t port)
{
	return port < f->n_ports ? f->port[port] : f->dflt;
}

/*
 * Table 0 by in_port: returns how many packets went to slow[]. Output
 * counts are kept in locals (the compiler cannot keep out->n_tx in a
 * register across stores to out->tx_port[]). The rule, its verdict and
 * output port are resolved once per run of packets from one port (a
 * burst usually comes from one port), and counted once per run.
 */
enum { FB_FWD, FB_DROP, FB_SLOW };

static inline __attribute__((always_inline)) unsigned
fast_burst(struct dp_worker *w, const struct pl_fast *f,
	   struct dp_packet **pkts, unsigned n, struct dp_burst_out *out,
	   struct dp_packet **slow)
{
	unsigned m = 0, n_tx = out->n_tx, mode = FB_SLOW;
	uint32_t cur = UINT32_MAX, oport = 0;
	struct pl_rule *r = NULL;
	uint64_t np = 0, nb = 0;
	int why = 0;

	for (unsigned i = 0; i < n; i++) {
		struct dp_packet *p = pkts[i];
		uint32_t port = p->in_port, len = p->len;
		struct pl_meta meta;
		int rc;

		if (port != cur) {
			if (np != 0)
				count_n(w, r, np, nb);
			np = 0;
			nb = 0;
			cur = port;
			r = fast_rule(f, port);
			if (r == NULL) {
				mode = FB_DROP;
				why = DP_DROP_NO_MATCH;
			} else if (!(r->flags & PL_RF_SIMPLE)) {
				mode = FB_SLOW;
			} else if (r->out_port == 0) {
				mode = FB_DROP;
				why = DP_DROP_ACTION;
			} else {
				mode = FB_FWD;
				oport = r->out_port == DP_PORT_IN_PORT
						? port
						: r->out_port;
			}
		}
		if (mode == FB_SLOW) {
			slow[m++] = p;
			continue;
		}
		rc = pl_parse(p->data, len, port, NULL, &meta, false);
		if (rc != 0) {
			drop(w, out, p, rc);
			continue;
		}
		if (r != NULL) {
			np++;
			nb += len;
		}
		if (mode == FB_DROP) {
			drop(w, out, p, why);
			continue;
		}
		out->tx[n_tx] = p;
		out->tx_port[n_tx++] = oport;
	}
	if (np != 0)
		count_n(w, r, np, nb);
	out->n_tx = n_tx;
	return m;
}

/*
 * The zone of a rule whose last action is ct or lb_select (it ends its
 * cache segment: what follows is keyed per connection), else -1.
 */
static inline int
conn_rule_zone(const struct pl_rule *r)
{
	return r->conn_zone; /* set when the rule was made (pipeline.c) */
}

static inline bool
bucket_is_full(const struct dp_worker *w, uint32_t h)
{
	return cache_way(&w->buckets[h & w->cache_mask], 0) < 0;
}

/*
 * Cache bypass. Per-connection keys (a segment ending in ct or
 * lb_select) with more connections than the cache holds only miss: the
 * probe costs a hash, a bucket line and an insert attempt for nothing,
 * and the lookup after the stateful action (a FULL-shape key) the same
 * again. When 7/8 of a window of PL_BYPASS_WINDOW packets are such
 * misses into full buckets (a cache still filling up is not bypassed),
 * the next PL_BYPASS_BURSTS bursts go straight to the classifier (no
 * probe, no insert), then a window measures again; each window in a row
 * that confirms it doubles the next bypass, up to PL_BYPASS_BURSTS_MAX.
 */
enum {
	PL_BYPASS_WINDOW = 1024,
	PL_BYPASS_BURSTS = 1024,
	PL_BYPASS_BURSTS_MAX = 16384,
};

/*
 * Packets whose first segment ends in ct or lb_select (cache hits, and
 * misses whose first rule was looked up: n_seg 0xfc): prefetch each
 * one's bucket group, then (the groups arriving meanwhile) its first
 * connection, so the connection lookups of the run below find them in
 * cache. When that rule is the first of the walk and ct (or lb_select)
 * its only action, that action is the walk's first and the key is still
 * the parsed one when it runs: the tuple hash, in its zone, is kept for
 * it (ct_hash; the walk's first ct or lb_select consumes it).
 */
static inline void
ct_prefetch(struct dp_worker *w, unsigned k)
{
	struct pl_ct *ct = w->pl->ct;
	uint32_t h[DP_BURST];
	unsigned n_ct = 0;

	if (!pl_ct_is_big(ct))
		return;
	for (unsigned j = 0; j < k; j++) {
		struct pl_pctx *c = &w->ctx[j];
		const struct pl_rule *r;
		int zone;

		h[j] = 0;
		if (c->n_seg == 0xfc)
			r = c->seg[0];
		else if (c->n_seg != 0 && c->n_seg <= PL_SEG_MAX)
			r = c->seg[c->n_seg - 1];
		else
			continue;
		zone = conn_rule_zone(r);
		if (zone < 0)
			continue;
		h[j] = pl_ct_prefetch_group(ct, &c->key, (uint16_t)zone);
		if (h[j] != 0 && r->n_actions == 1 &&
		    (c->n_seg == 0xfc || c->n_seg == 1))
			c->ct_hash = h[j];
		n_ct += h[j] != 0;
	}
	for (unsigned j = 0; j < k && n_ct != 0; j++)
		if (h[j] != 0)
			w->ctx[j].ct_hint = pl_ct_prefetch_conn(
				ct, h[j],
				w->ctx[j].key.eth_type == htons(0x86dd));
}

/*
 * A cache miss's table-0 rule, for ct_prefetch(): the one fast_burst()
 * found by port, when table 0 matches nothing but in_port (the
 * classifier's answer at this version), else the classifier's; through
 * the memo in bypass (per-connection traffic, mostly to a few VIPs: the
 * words table 0 reads are the same). Sets seg[0] and n_seg (0xfc, or
 * 0xff: no rule).
 */
static inline __attribute__((always_inline)) void
miss_rule(struct dp_worker *w, const struct pl_state *s, struct pl_pctx *c,
	  bool no_cache)
{
	if (s->fast != NULL && !s->fast->has_ties && !w->no_memo)
		c->seg[0] = fast_rule(s->fast, c->pkt->in_port);
	else if (no_cache && !w->no_memo)
		c->seg[0] = pl_cls_memo(w, &w->pl->tables[0], &c->key,
					s->version, &w->memo[0]);
	else
		c->seg[0] = pl_cls_lookup(w, &w->pl->tables[0], &c->key,
					  s->version);
	c->n_seg = c->seg[0] != NULL ? 0xfc : 0xff;
	w->st.misses++;
}

/*
 * One burst of at most DP_BURST packets at the state s. Inline, compiled
 * four times: with the CRC32C cache hash (x86-64 with SSE4.2, checked at
 * worker creation) and with the portable one, each with and without the
 * cache bypass (no_cache: the cache is neither probed nor filled).
 */
static inline __attribute__((always_inline)) void
process_burst_t(struct dp_worker *w, const struct pl_state *s,
		struct dp_packet **pkts, unsigned n, struct dp_burst_out *out,
		const bool crc, const bool no_cache)
{
	struct dp_packet *slow[DP_BURST];
	struct {
		uint8_t j, t, depth;
		uint32_t h;
		struct pl_centry *e;
	} more[DP_BURST];
	unsigned n_more = 0;
	struct pl_exec x;
	unsigned m, k = 0;

	if (s->fast != NULL) {
		m = fast_burst(w, s->fast, pkts, n, out, slow);
		if (m == 0)
			return;
	} else {
		memcpy(slow, pkts, n * sizeof(pkts[0]));
		m = n;
	}

	/*
	 * Parse, hash (the key is written in whole words, so reading them
	 * back is store-forwarded), prefetch the cache bucket. Frames are
	 * prefetched four ahead (a frame cold in DRAM takes longer than
	 * parsing one).
	 */
	for (unsigned i = 0; i < m && i < 4; i++)
		PREFETCH(slow[i]->data);
	for (unsigned i = 0; i < m; i++) {
		struct pl_pctx *c = &w->ctx[k];
		struct dp_packet *p = slow[i];
		struct pl_meta meta;
		unsigned shape;
		int rc;

		if (i + 4 < m)
			PREFETCH(slow[i + 4]->data);
		/*
		 * Header offsets only in registers: most packets never need
		 * them (pl_act_apply() finds them again when m_stale). In
		 * bypass (per-connection traffic, which ct or lb_select
		 * mostly NATs) the parser writes them to the context, so
		 * that pl_act_meta() need not parse again.
		 */
		rc = pl_parse(p->data, p->len, p->in_port, &c->key,
			      no_cache ? &c->m : &meta, true);
		if (rc != 0) {
			drop(w, out, p, rc);
			continue;
		}
		c->m_stale = no_cache ? 0 : 1;
		c->pkt = p;
		c->ct_hash = 0;
		shape = no_cache ? c->m.shape : meta.shape;
		c->shape = (uint8_t)shape;
		if (no_cache) {
			/* No cache: a miss, resolved here (no stage waits). */
			c->hash = 0;
			c->cand = NULL;
			miss_rule(w, s, c, true);
			k++;
			continue;
		}
#ifdef PL_HAVE_CRC
		if (crc)
			c->hash = pl_hash_key_crc(&c->key, shape, 0);
		else
#endif
			c->hash = pl_hash_key(&c->key, shape, 0);
		PREFETCH(&w->buckets[c->hash & w->cache_mask]);
		k++;
	}

	/* Match signatures, prefetch the candidate entries. */
	for (unsigned j = 0; j < k && !no_cache; j++) {
		struct pl_pctx *c = &w->ctx[j];
		uint32_t b = c->hash & w->cache_mask;
		int way = cache_way(&w->buckets[b], cache_sig(c->hash));
		const char *e;

		if (way < 0) {
			c->cand = NULL;
			continue;
		}
		c->cand = &w->cache[b * PL_WAYS + (unsigned)way];
		e = (const char *)c->cand;
		PREFETCH(e);
		if (pl_shape_n[c->shape] > 6)
			PREFETCH(e + 64);
		if (pl_shape_n[c->shape] > 8)
			PREFETCH(e + 128);
	}

	/*
	 * Confirm. A hit on one simple rule needs only its counter; other
	 * hits copy the segment and prefetch its first rule.
	 */
	for (unsigned j = 0; j < k && !no_cache; j++) {
		struct pl_pctx *c = &w->ctx[j];
		struct pl_centry *e = c->cand;

		if (e != NULL &&
		    !cache_entry_is(e, &c->key, c->shape, 0, s->version))
			e = cache_probe(w, &c->key, c->hash, c->shape, 0,
					s->version);
		if (e == NULL) {
			/* The first rule now, for ct_prefetch(). */
			miss_rule(w, s, c, false);
			/* Per-connection key, missing into a full bucket. */
			if (c->seg[0] != NULL &&
			    conn_rule_zone(c->seg[0]) >= 0 &&
			    bucket_is_full(w, c->hash))
				w->byp_conn++;
			continue;
		}
		w->st.hits++;
		if (e->out0 != PL_NOT_SIMPLE) {
			c->n_seg = 0xfe;
			c->simple_ct = &PL_LOAD(w->ctr[e->id0 >> PL_CTR_SHIFT])
					       [e->id0 & (PL_CTR_CHUNK - 1)];
			c->simple_out = e->out0;
			PREFETCH(c->simple_ct);
			continue;
		}
		c->n_seg = 0xfd; /* segment still in line 1 */
		c->cand = e;
		PREFETCH((const char *)e + 64);
	}

	/* Segments of other hits: copy, prefetch the first rule. */
	for (unsigned j = 0; j < k && !no_cache; j++) {
		struct pl_pctx *c = &w->ctx[j];
		const struct pl_centry *e = c->cand;

		if (c->n_seg != 0xfd)
			continue;
		c->n_seg = e->n;
		memcpy(c->seg, e->r, sizeof(c->seg));
		if (e->n > 0)
			PREFETCH(e->r[0]);
	}
	if (!no_cache) {
		/* Mostly misses of per-connection keys: bypass for a while. */
		w->byp_n += k;
		if (w->byp_n >= PL_BYPASS_WINDOW) {
			/* 16384 bursts: 0.5M packets, ~70 ms at 7 Mpps. */
			if (w->byp_conn * 8 >= w->byp_n * 7) {
				w->byp_len = w->byp_len == 0 ? PL_BYPASS_BURSTS
							     : w->byp_len * 2;
				if (w->byp_len > PL_BYPASS_BURSTS_MAX)
					w->byp_len = PL_BYPASS_BURSTS_MAX;
				w->byp_left = w->byp_len;
			} else {
				w->byp_len = 0;
			}
			w->byp_n = 0;
			w->byp_conn = 0;
		}
	}
	ct_prefetch(w, k);
	/* Sequence numbers per SA for the burst (docs/esp.md). */
	pl_esp_burst_begin(w, k);

	/*
	 * Run: a simple hit is counted and output directly; other packets
	 * run their first segment. Walks that go on (after ct or a decap)
	 * are resumed below, once the cache lines of their next lookup were
	 * prefetched for the whole burst; with the cache bypassed, at once.
	 */
	x.pl = w->pl;
	x.w = w;
	x.out = out;
	x.tr = NULL;
	x.v = s->version;
	x.no_cache = no_cache;
	x.frag_of = NULL;
	x.run_r[0] = x.run_r[1] = NULL;
	for (unsigned j = 0; j < k; j++) {
		struct pl_pctx *c = &w->ctx[j];
		unsigned t, depth;
		int reason;

		if (c->n_seg == 0xfe) {
			struct dp_packet *p = c->pkt;
			unsigned n_tx = out->n_tx;

			c->simple_ct->n_packets++;
			c->simple_ct->n_bytes += p->len;
			if (c->simple_out == 0) {
				drop(w, out, p, DP_DROP_ACTION);
				continue;
			}
			out->tx[n_tx] = p;
			out->tx_port[n_tx] = c->simple_out == DP_PORT_IN_PORT
						     ? p->in_port
						     : c->simple_out;
			out->n_tx = n_tx + 1;
			continue;
		}
		if (no_cache && c->n_seg == 0xfc && c->seg[0]->n_actions == 1 &&
		    c->seg[0]->acts[0].type == DP_ACT_LB_SELECT) {
			/* run_first()'s most frequent case, inline. */
			t = 0;
			x.n_pend = 0;
			c->ct_stamp = 0;
			reason = run_conn(&x, c, &t, &depth, c->seg[0]);
		} else {
			reason = run_first(&x, c, &t, &depth);
		}
		if (reason != -2) {
			finish(&x, c, reason);
			continue;
		}
		/* Outputs before the break leave now (copies). */
		if (x.n_pend != 0)
			pend_flush(&x, c);
		if (no_cache) {
			/*
			 * No cache lines to prefetch first: at once, its
			 * next step here (run_rest()'s first, inline).
			 */
			if (depth < DP_GOTO_DEPTH_MAX) {
				reason = rest_bypass(&x, c, &t, &depth);
				if (reason == -3)
					continue;
			}
			run_rest(&x, c, t, depth, reason, 0, NULL);
			continue;
		}
		more[n_more].j = (uint8_t)j;
		more[n_more].t = (uint8_t)t;
		more[n_more].depth = (uint8_t)depth;
		more[n_more].h = 0;
		more[n_more].e = NULL;
		if (!no_cache) {
			more[n_more].h = pl_hash_key(&c->key, PL_SHAPE_FULL, t);
			PREFETCH(&w->buckets[more[n_more].h & w->cache_mask]);
		}
		n_more++;
	}
	for (unsigned i = 0; i < n_more && !no_cache; i++) {
		uint32_t b = more[i].h & w->cache_mask;
		int way = cache_way(&w->buckets[b], cache_sig(more[i].h));
		const char *e;

		more[i].e = NULL;
		if (way < 0)
			continue;
		more[i].e = &w->cache[b * PL_WAYS + (unsigned)way];
		e = (const char *)more[i].e;
		PREFETCH(e);
		PREFETCH(e + 64);
		PREFETCH(e + 128);
	}
	for (unsigned i = 0; i < n_more; i++) {
		x.n_pend = 0;
		run_rest(&x, &w->ctx[more[i].j], more[i].t, more[i].depth, -2,
			 more[i].h, more[i].e);
	}
	count_flush(&x, 0);
	count_flush(&x, 1);
	pl_esp_burst_end(w);
}

static void
process_burst(struct dp_worker *w, const struct pl_state *s,
	      struct dp_packet **pkts, unsigned n, struct dp_burst_out *out)
{
	if (w->byp_left == 0) {
		process_burst_t(w, s, pkts, n, out, false, false);
	} else {
		w->byp_left--;
		process_burst_t(w, s, pkts, n, out, false, true);
	}
}

#ifdef PL_HAVE_CRC
/* The bypass variant apart: one function each compiles tighter. */
static __attribute__((noinline)) void
process_burst_crc_nc(struct dp_worker *w, const struct pl_state *s,
		     struct dp_packet **pkts, unsigned n,
		     struct dp_burst_out *out)
{
	process_burst_t(w, s, pkts, n, out, true, true);
}

static void
process_burst_crc(struct dp_worker *w, const struct pl_state *s,
		  struct dp_packet **pkts, unsigned n, struct dp_burst_out *out)
{
	if (w->byp_left == 0) {
		process_burst_t(w, s, pkts, n, out, true, false);
	} else {
		w->byp_left--;
		process_burst_crc_nc(w, s, pkts, n, out);
	}
}
#endif

void
dp_worker_process(struct dp_worker *w, struct dp_packet **pkts, unsigned n,
		  struct dp_burst_out *out)
{
	const struct pl_state *s = PL_LOAD(w->pl->state);

	out->n_tx = 0;
	out->n_punt = 0;
	out->n_drop = 0;
	/*
	 * Contract: n <= DP_BURST. Up to DP_OUT_MAX is processed in bursts
	 * (every packet still fits the output lists); beyond, the caller
	 * keeps the rest.
	 */
	if (n > DP_OUT_MAX)
		n = DP_OUT_MAX;
	w->clone_budget = DP_OUT_MAX - n;
	pl_ct_burst(w->pl->ct, w->idx);
	for (unsigned i = 0; i < n; i += DP_BURST)
		w->burst(w, s, pkts + i, n - i < DP_BURST ? n - i : DP_BURST,
			 out);
}

/* Entries, then one signature bucket per PL_WAYS entries. */
static size_t
cache_size(const struct dp_pipeline *pl)
{
	return (size_t)pl->cache_entries * sizeof(struct pl_centry) +
	       (size_t)pl->cache_entries / PL_WAYS * sizeof(struct pl_cbucket);
}

int
dp_worker_create(struct dp_pipeline *pl, unsigned idx,
		 const struct dp_packet_ops *ops, struct dp_worker **out)
{
	struct dp_worker *w;
	size_t sz;
	void *mem;
	int rc;

	if (idx >= pl->n_workers)
		return -EINVAL;
	w = aligned_alloc(64, (sizeof(*w) + 63) & ~(size_t)63);
	if (w == NULL)
		return -ENOMEM;
	memset(w, 0, sizeof(*w));
	w->pl = pl;
	w->idx = idx;
	if (ops != NULL)
		w->ops = *ops;
	w->ctr = pl->ctr[idx];
	w->burst = process_burst;
#ifdef PL_HAVE_CRC
	if (__builtin_cpu_supports("sse4.2"))
		w->burst = process_burst_crc;
#endif
	sz = cache_size(pl);
	mem = mmap(NULL, sz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		rc = -ENOMEM;
		goto err_worker;
	}
	/* Huge pages when the kernel has them: a TLB miss per probe else. */
	(void)madvise(mem, sz, MADV_HUGEPAGE);
	w->cache = mem;
	w->buckets = (struct pl_cbucket *)(w->cache + pl->cache_entries);
	w->cache_mask = pl->cache_entries / PL_WAYS - 1;
	pthread_mutex_lock(&pl->lock);
	if (pl->workers[idx] != NULL) {
		pthread_mutex_unlock(&pl->lock);
		rc = -EBUSY;
		goto err_cache;
	}
	pl->workers[idx] = w;
	pthread_mutex_unlock(&pl->lock);
	if (pl_n_registered++ == 0)
		rcu_register_thread();
	w->is_registered = true;
	*out = w;
	return 0;

err_cache:
	munmap(w->cache, sz);
err_worker:
	free(w);
	return rc;
}

void
dp_worker_destroy(struct dp_worker *w)
{
	struct dp_pipeline *pl;

	if (w == NULL)
		return;
	pl = w->pl;
	pthread_mutex_lock(&pl->lock);
	pl->workers[w->idx] = NULL;
	pthread_mutex_unlock(&pl->lock);
	if (w->is_registered && --pl_n_registered == 0)
		rcu_unregister_thread();
	munmap(w->cache, cache_size(pl));
	free(w);
}

void
pl_worker_use_portable_hash(struct dp_worker *w)
{
	w->burst = process_burst;
}

void
pl_worker_no_memo(struct dp_worker *w)
{
	w->no_memo = true;
}

bool
pl_thread_is_reader(void)
{
	return pl_n_registered > 0;
}

void
dp_worker_quiescent(struct dp_worker *w)
{
	pl_ct_quiescent(w->pl->ct, w->idx);
	rcu_quiescent_state();
}

void
dp_worker_offline(struct dp_worker *w)
{
	(void)w;
	rcu_thread_offline();
}

void
dp_worker_online(struct dp_worker *w)
{
	(void)w;
	rcu_thread_online();
}

void
dp_worker_count_drop(struct dp_worker *w, enum dp_drop_reason r, unsigned n)
{
	if ((unsigned)r < DP_DROP__COUNT)
		w->drops[r] += n;
}
