/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pl_cls.c: the tuple-space classifier of one flow table. A table holds
 * one subtable per distinct mask; a subtable is an open-addressed hash
 * table of rules keyed by their masked match words (only the key words
 * the mask covers are stored and hashed). A lookup probes each subtable in
 * the published order (ranked by hits, see pipeline.c), skipping those
 * whose highest priority cannot beat the best rule found so far.
 *
 * Writers (pipeline.c, under pl->lock) insert into a free slot with a
 * release store, tombstone on removal, and replace the whole slot array on
 * growth; replaced arrays and subtables go to the pipeline's garbage and
 * are freed after a grace period. Readers see every rule that was linked
 * before the state they read was published.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pl_int.h"

static struct pl_slots *
slots_alloc(uint32_t cap)
{
	struct pl_slots *s;

	s = calloc(1, sizeof(*s) + (size_t)cap * sizeof(struct pl_slot));
	if (s == NULL)
		return NULL;
	s->mask = cap - 1;
	return s;
}

static bool
words_eq(const uint64_t *a, const uint64_t *b, unsigned n)
{
	uint64_t d = 0;

	for (unsigned i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/* What one lookup counted (pl_cls_lookup_memo()). */
struct cls_rec {
	struct pl_subtable *hit;
	uint32_t n_hits;
	uint32_t n_lookups;
};

/* A lookup in the array a; rec (a constant NULL: compiled out) or not. */
static inline __attribute__((always_inline)) struct pl_rule *
cls_lookup(struct dp_worker *w, const struct pl_starray *a,
	   const struct dp_key *key, uint64_t v, struct cls_rec *rec)
{
	const uint64_t *kw = (const uint64_t *)key;
	struct pl_rule *best = NULL;
	uint32_t best_prio = 0;
	uint64_t mw[DP_KEY_WORDS];

	for (uint32_t i = 0; i < a->n; i++) {
		struct pl_subtable *st = a->st[i];
		const struct pl_slots *s;
		bool is_hit = false;
		uint32_t h, idx;
		unsigned n = st->n_words;

		if (best != NULL && CMM_LOAD_SHARED(st->max_prio) <= best_prio)
			continue;
		for (unsigned j = 0; j < n; j++)
			mw[j] = kw[st->widx[j]] & st->mwords[j];
		h = pl_hash_words(mw, n);
		s = PL_LOAD(st->slots);
		if (w != NULL)
			w->st.lookups++;
		if (rec != NULL)
			rec->n_lookups++;
		for (idx = h & s->mask;; idx = (idx + 1) & s->mask) {
			struct pl_rule *r = PL_LOAD(s->s[idx].r);

			if (r == NULL)
				break;
			if (r == PL_TOMB || s->s[idx].hash != h)
				continue;
			if (!pl_rule_is_visible(r, v) ||
			    !words_eq(r->words, mw, n))
				continue;
			if (best == NULL || r->priority > best_prio) {
				best = r;
				best_prio = r->priority;
				is_hit = true;
			}
			/*
			 * Nothing further in this subtable can beat it (ties
			 * keep the first found, as the loop does anyway).
			 */
			if (best_prio >= CMM_LOAD_SHARED(st->max_prio))
				break;
		}
		if (is_hit && w != NULL)
			st->hits[w->idx].n++;
		if (is_hit && rec != NULL) {
			rec->hit = st;
			rec->n_hits++;
		}
	}
	return best;
}

struct pl_rule *
pl_cls_lookup(struct dp_worker *w, const struct pl_table *t,
	      const struct dp_key *key, uint64_t v)
{
	const struct pl_starray *a = PL_LOAD(t->pub);

	if (a == NULL)
		return NULL;
	return cls_lookup(w, a, key, v, NULL);
}

/*
 * A lookup's answer depends only on the array (its subtables, their order
 * and the rules in them visible at v: rules are linked with later
 * versions and unlinked after every reader left the versions that saw
 * them), v and the key words under the union of the masks. The memo
 * keeps the last answer per table with those words, and the counts it
 * made (a lookup that counted hits in two subtables is not kept).
 */
struct pl_rule *
pl_cls_lookup_memo(struct dp_worker *w, const struct pl_table *t,
		   const struct dp_key *key, uint64_t v, struct pl_memo *m)
{
	const struct pl_starray *a = PL_LOAD(t->pub);
	const uint64_t *kw = (const uint64_t *)key;
	struct cls_rec rec = {NULL, 0, 0};
	uint64_t u[PL_MEMO_WORDS];
	struct pl_rule *r;
	unsigned n;

	if (a == NULL)
		return NULL;
	n = a->n_uw;
	if (n > PL_MEMO_WORDS)
		return cls_lookup(w, a, key, v, NULL);
	for (unsigned j = 0; j < n; j++)
		u[j] = kw[a->uwidx[j]] & a->umw[j];
	if (m->gen == a->gen && m->v == v && words_eq(u, m->w, n)) {
		w->st.lookups += m->n_lookups;
		if (m->hit != NULL)
			m->hit->hits[w->idx].n++;
		return m->r;
	}
	r = cls_lookup(w, a, key, v, &rec);
	m->gen = 0;
	if (rec.n_hits > 1)
		return r;
	memcpy(m->w, u, n * sizeof(u[0]));
	m->v = v;
	m->r = r;
	m->hit = rec.hit;
	m->n_lookups = rec.n_lookups;
	m->gen = a->gen;
	return r;
}

struct pl_subtable *
pl_cls_subtable_find(struct pl_table *t, const struct dp_key *mask)
{
	for (uint32_t i = 0; i < t->n_all; i++)
		if (memcmp(&t->all[i]->mask, mask, sizeof(*mask)) == 0)
			return t->all[i];
	return NULL;
}

int
pl_cls_subtable_get(struct dp_pipeline *pl, unsigned table,
		    const struct dp_key *mask, struct pl_subtable **out)
{
	struct pl_table *t = &pl->tables[table];
	const uint64_t *m = (const uint64_t *)mask;
	struct pl_subtable *st, **all;

	(void)pl;
	st = pl_cls_subtable_find(t, mask);
	if (st != NULL) {
		*out = st;
		return 0;
	}
	if (t->n_all == t->cap_all) {
		uint32_t cap = t->cap_all ? t->cap_all * 2 : 8;

		all = realloc(t->all, cap * sizeof(*all));
		if (all == NULL)
			return -ENOMEM;
		t->all = all;
		t->cap_all = cap;
	}
	st = aligned_alloc(64, (sizeof(*st) + 63) & ~(size_t)63);
	if (st == NULL)
		return -ENOMEM;
	memset(st, 0, sizeof(*st));
	st->slots = slots_alloc(8);
	if (st->slots == NULL) {
		free(st);
		return -ENOMEM;
	}
	st->mask = *mask;
	st->table = (uint8_t)table;
	for (int i = 0; i < DP_KEY_WORDS; i++) {
		if (m[i] == 0)
			continue;
		st->widx[st->n_words] = (uint8_t)i;
		st->mwords[st->n_words] = m[i];
		st->n_words++;
	}
	t->all[t->n_all++] = st;
	t->is_dirty = true;
	*out = st;
	return 0;
}

/* Rebuild a subtable's slot array at a capacity for n rules. */
static int
slots_resize(struct dp_pipeline *pl, struct pl_subtable *st, uint32_t n)
{
	struct pl_slots *old = st->slots, *s;
	uint32_t cap = 8;

	while (cap < n * 2 + 2)
		cap *= 2;
	s = slots_alloc(cap);
	if (s == NULL)
		return -ENOMEM;
	if (pl_gb_reserve(pl, 1) < 0) {
		free(s);
		return -ENOMEM;
	}
	pl_gb_add(pl, old);
	for (uint32_t i = 0; i <= old->mask; i++) {
		struct pl_rule *r = old->s[i].r;
		uint32_t idx;

		if (r == NULL || r == PL_TOMB)
			continue;
		for (idx = r->hash & s->mask; s->s[idx].r != NULL;
		     idx = (idx + 1) & s->mask)
			;
		s->s[idx].hash = r->hash;
		s->s[idx].r = r;
		s->n_used++;
		s->n_live++;
	}
	rcu_assign_pointer(st->slots, s);
	return 0;
}

int
pl_cls_insert(struct dp_pipeline *pl, struct pl_rule *r)
{
	struct pl_subtable *st = r->st;
	struct pl_slots *s = st->slots;
	uint32_t idx;
	int rc;

	if ((s->n_used + 1) * 4 > (s->mask + 1) * 3 ||
	    (s->n_live + 1) * 2 > s->mask + 1) {
		rc = slots_resize(pl, st, s->n_live + 1);
		if (rc < 0)
			return rc;
		s = st->slots;
	}
	for (idx = r->hash & s->mask;; idx = (idx + 1) & s->mask) {
		if (s->s[idx].r == NULL) {
			s->n_used++;
			break;
		}
		if (s->s[idx].r == PL_TOMB)
			break;
	}
	s->n_live++;
	if (r->priority > st->max_prio)
		CMM_STORE_SHARED(st->max_prio, r->priority);
	s->s[idx].hash = r->hash;
	rcu_assign_pointer(s->s[idx].r, r);
	return 0;
}

void
pl_cls_remove(struct dp_pipeline *pl, struct pl_rule *r)
{
	struct pl_slots *s = r->st->slots;

	(void)pl;
	for (uint32_t idx = r->hash & s->mask;; idx = (idx + 1) & s->mask) {
		if (s->s[idx].r == NULL)
			return;
		if (s->s[idx].r == r) {
			rcu_assign_pointer(s->s[idx].r, PL_TOMB);
			s->n_live--;
			return;
		}
	}
}

struct pl_rule *
pl_cls_find(const struct pl_subtable *st, const uint64_t *words, uint32_t hash,
	    uint32_t priority, uint64_t v)
{
	const struct pl_slots *s = st->slots;

	for (uint32_t idx = hash & s->mask;; idx = (idx + 1) & s->mask) {
		struct pl_rule *r = s->s[idx].r;

		if (r == NULL)
			return NULL;
		if (r == PL_TOMB || s->s[idx].hash != hash)
			continue;
		if (r->priority == priority && pl_rule_is_visible(r, v) &&
		    words_eq(r->words, words, st->n_words))
			return r;
	}
}

static int
rank_cmp(const void *a, const void *b)
{
	const struct pl_subtable *x = *(struct pl_subtable *const *)a;
	const struct pl_subtable *y = *(struct pl_subtable *const *)b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? 1 : -1;
	if (x->max_prio != y->max_prio)
		return x->max_prio < y->max_prio ? 1 : -1;
	return 0;
}

int
pl_cls_publish(struct dp_pipeline *pl, struct pl_table *t)
{
	static uint64_t gen; /* all pipelines (atomic: each has its lock) */
	struct pl_starray *a, *old = t->pub;
	uint64_t um[DP_KEY_WORDS] = {0};
	uint32_t n = 0;

	qsort(t->all, t->n_all, sizeof(*t->all), rank_cmp);
	a = malloc(sizeof(*a) + t->n_all * sizeof(a->st[0]));
	if (a == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->n_all; i++) {
		const struct pl_subtable *st = t->all[i];

		if (st->slots->n_live == 0)
			continue;
		a->st[n++] = t->all[i];
		for (unsigned j = 0; j < st->n_words; j++)
			um[st->widx[j]] |= st->mwords[j];
	}
	a->n = n;
	a->n_uw = 0;
	for (unsigned j = 0; j < DP_KEY_WORDS; j++) {
		if (um[j] == 0)
			continue;
		a->uwidx[a->n_uw] = (uint8_t)j;
		a->umw[a->n_uw++] = um[j];
	}
	a->gen = __atomic_add_fetch(&gen, 1, __ATOMIC_RELAXED);
	if (pl_gb_reserve(pl, 1) < 0) {
		free(a);
		return -ENOMEM;
	}
	if (old != NULL)
		pl_gb_add(pl, old);
	rcu_assign_pointer(t->pub, a);
	t->is_dirty = false;
	return 0;
}

/*
 * Drop subtables with no rule and none staged. Call after publishing a
 * starray that no longer lists them; they are freed after a grace period.
 */
void
pl_cls_gc_subtables(struct dp_pipeline *pl, struct pl_table *t)
{
	uint32_t j = 0;

	for (uint32_t i = 0; i < t->n_all; i++) {
		struct pl_subtable *st = t->all[i];
		bool is_listed = false;

		if (st->slots->n_live == 0 && st->n_staged == 0) {
			for (uint32_t k = 0; t->pub && k < t->pub->n; k++)
				is_listed |= t->pub->st[k] == st;
			if (!is_listed && pl_gb_reserve(pl, 2) == 0) {
				pl_gb_add(pl, st->slots);
				pl_gb_add(pl, st);
				continue;
			}
		}
		t->all[j++] = st;
	}
	t->n_all = j;
}

void
pl_cls_table_fini(struct pl_table *t)
{
	for (uint32_t i = 0; i < t->n_all; i++) {
		struct pl_slots *s = t->all[i]->slots;

		for (uint32_t k = 0; k <= s->mask; k++)
			if (s->s[k].r != NULL && s->s[k].r != PL_TOMB)
				free(s->s[k].r);
		free(s);
		free(t->all[i]);
	}
	free(t->all);
	free(t->pub);
	memset(t, 0, sizeof(*t));
}

void
pl_cls_rule_match(const struct pl_rule *r, struct dp_key *match)
{
	uint64_t *k = (uint64_t *)match;

	memset(match, 0, sizeof(*match));
	for (unsigned j = 0; j < r->st->n_words; j++)
		k[r->st->widx[j]] = r->words[j];
}
