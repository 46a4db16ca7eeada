/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline.c: the control side of the pipeline: creation, transactions,
 * publication, reclamation, dumps, statistics and trace. The per-packet
 * side is pl_worker.c; the classifier is pl_cls.c.
 *
 * A commit costs what it changes: each staged rule is built at dp_txn_add
 * (validated, its match compacted to the subtable's words), and at commit
 * linked into its subtable's hash with v_add = next version; a replaced or
 * deleted rule gets v_del = next. Then one pointer store publishes a new
 * struct pl_state carrying the version (and table 0's per-port map when
 * table 0 changed). Nothing is copied per table.
 *
 * Reclamation runs in a private thread (not an RCU reader): it waits for a
 * grace period (synchronize_rcu), frees what the last changes replaced,
 * then unlinks deleted rules (no reader can still be at a version that
 * sees them) and queues them for one more grace period before freeing. It
 * also re-ranks subtables by hits once a second. Workers never wait.
 *
 * Lock order: pl->lock only. It guards every field marked "control" in
 * pl_int.h and is never taken by workers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pl_ct.h"
#include "pl_esp.h"
#include "pl_lb.h"
#include "pl_int.h"
#include "pl_parse.h"

enum pl_op_type {
	PL_OP_ADD,
	PL_OP_DEL_COOKIE,
	PL_OP_DEL_STRICT,
};

struct pl_op {
	uint8_t type;  /* enum pl_op_type */
	bool is_done;  /* ADD: linked by the running commit */
	int16_t table; /* DEL_COOKIE: -1 for all */
	uint64_t cookie;
	uint64_t cookie_mask;
	struct pl_rule *r; /* ADD: the rule; DEL_STRICT: a probe */
};

struct dp_txn {
	struct dp_pipeline *pl;
	struct pl_op *ops;
	size_t n_ops;
	size_t cap_ops;
	size_t n_adds;
};

static const char *const drop_names[DP_DROP__COUNT] = {
	[DP_DROP_NO_MATCH] = "no_match",
	[DP_DROP_ACTION] = "action",
	[DP_DROP_TRUNC_ETH] = "trunc_eth",
	[DP_DROP_TRUNC_VLAN] = "trunc_vlan",
	[DP_DROP_TRUNC_ARP] = "trunc_arp",
	[DP_DROP_BAD_IPV4] = "bad_ipv4",
	[DP_DROP_BAD_IPV6] = "bad_ipv6",
	[DP_DROP_TRUNC_L4] = "trunc_l4",
	[DP_DROP_BAD_TCP] = "bad_tcp",
	[DP_DROP_TTL] = "ttl",
	[DP_DROP_NO_ROOM] = "no_room",
	[DP_DROP_NO_PORT] = "no_port",
	[DP_DROP_CLONE_FAIL] = "clone_fail",
	[DP_DROP_PUNT_FULL] = "punt_full",
	[DP_DROP_TX_FULL] = "tx_full",
	[DP_DROP_LOOP] = "loop",
	[DP_DROP_BAD_VLAN] = "bad_vlan",
	[DP_DROP_BAD_VXLAN] = "bad_vxlan",
	[DP_DROP_BAD_ARP] = "bad_arp",
	[DP_DROP_ESP_NO_SA] = "esp_no_sa",
	[DP_DROP_ESP_REPLAY] = "esp_replay",
	[DP_DROP_ESP_AUTH] = "esp_auth",
	[DP_DROP_ESP_BAD] = "esp_bad",
	[DP_DROP_ESP_SEQ] = "esp_seq",
	[DP_DROP_ESP_NO_ROOM] = "esp_no_room",
	[DP_DROP_LB_NO_MEMBER] = "lb_no_member",
	[DP_DROP_LB_LIMIT] = "lb_limit",
	[DP_DROP_ESP_TOO_BIG] = "esp_too_big",
	[DP_DROP_TX_TOO_BIG] = "tx_too_big",
	[DP_DROP_LB_FAMILY] = "lb_family",
};

const char *
dp_drop_reason_name(enum dp_drop_reason r)
{
	if ((unsigned)r >= DP_DROP__COUNT || drop_names[r] == NULL)
		return "unknown";
	return drop_names[r];
}

/* Garbage: the current batch collects what this change unpublished. */
int
pl_gb_reserve(struct dp_pipeline *pl, size_t n)
{
	struct pl_batch *b = pl->gb;
	void **p;
	size_t cap;

	if (b == NULL) {
		b = calloc(1, sizeof(*b));
		if (b == NULL)
			return -ENOMEM;
		pl->gb = b;
	}
	if (b->n_ptrs + n <= b->cap_ptrs)
		return 0;
	cap = b->cap_ptrs ? b->cap_ptrs * 2 : 16;
	while (cap < b->n_ptrs + n)
		cap *= 2;
	p = realloc(b->ptrs, cap * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	b->ptrs = p;
	b->cap_ptrs = cap;
	return 0;
}

void
pl_gb_add(struct dp_pipeline *pl, void *p)
{
	pl->gb->ptrs[pl->gb->n_ptrs++] = p;
}

/* Hand the current batch to the reclaimer. */
static void
gb_flush(struct dp_pipeline *pl)
{
	struct pl_batch *b = pl->gb;

	if (b == NULL ||
	    (b->n_ptrs == 0 && b->unlink == NULL && b->rfree == NULL))
		return;
	pl->gb = NULL;
	b->next = pl->queue;
	pl->queue = b;
	pthread_cond_signal(&pl->cond);
}

static void
id_release(struct dp_pipeline *pl, uint32_t id)
{
	uint32_t *ids;
	size_t cap;

	if (pl->n_free_ids == pl->cap_free_ids) {
		cap = pl->cap_free_ids ? pl->cap_free_ids * 2 : 1024;
		ids = realloc(pl->free_ids, cap * sizeof(*ids));
		if (ids == NULL)
			return; /* the id is lost, nothing else */
		pl->free_ids = ids;
		pl->cap_free_ids = cap;
	}
	pl->free_ids[pl->n_free_ids++] = id;
}

static int
id_alloc(struct dp_pipeline *pl, uint32_t *out)
{
	uint32_t id;

	if (pl->n_free_ids > 0) {
		id = pl->free_ids[--pl->n_free_ids];
	} else {
		id = pl->next_id;
		if ((id >> PL_CTR_SHIFT) >= pl->n_chunks) {
			if (pl->n_chunks == PL_CTR_CHUNKS_MAX)
				return -ENOSPC;
			for (unsigned w = 0; w < pl->n_workers; w++) {
				struct pl_ctr *c;

				c = calloc(PL_CTR_CHUNK, sizeof(*c));
				if (c == NULL)
					return -ENOMEM;
				rcu_assign_pointer(pl->ctr[w][pl->n_chunks], c);
			}
			pl->n_chunks++;
		}
		pl->next_id++;
	}
	for (unsigned w = 0; w < pl->n_workers; w++) {
		struct pl_ctr *c = &pl->ctr[w][id >> PL_CTR_SHIFT]
					   [id & (PL_CTR_CHUNK - 1)];

		c->n_packets = 0;
		c->n_bytes = 0;
	}
	*out = id;
	return 0;
}

/* Cookie index: control-side chains, for delete by cookie. */
static size_t
cookie_bucket(const struct dp_pipeline *pl, uint64_t cookie)
{
	return (size_t)pl_mix(cookie, 0x5bd1e995ULL) & pl->cookie_mask;
}

static void
cookie_link(struct dp_pipeline *pl, struct pl_rule *r)
{
	struct pl_rule **b;

	if (pl->n_cookies >= pl->cookie_mask + 1) {
		size_t n = (pl->cookie_mask + 1) * 2;
		struct pl_rule **nb = calloc(n, sizeof(*nb));

		if (nb != NULL) {
			struct pl_rule **ob = pl->cookies;
			size_t on = pl->cookie_mask + 1;

			pl->cookies = nb;
			pl->cookie_mask = n - 1;
			for (size_t i = 0; i < on; i++) {
				struct pl_rule *x = ob[i], *next;

				for (; x != NULL; x = next) {
					next = x->cnext;
					b = &pl->cookies[cookie_bucket(
						pl, x->cookie)];
					x->cprev = NULL;
					x->cnext = *b;
					if (*b != NULL)
						(*b)->cprev = x;
					*b = x;
				}
			}
			free(ob);
		}
	}
	b = &pl->cookies[cookie_bucket(pl, r->cookie)];
	r->cprev = NULL;
	r->cnext = *b;
	if (*b != NULL)
		(*b)->cprev = r;
	*b = r;
	pl->n_cookies++;
}

static void
cookie_unlink(struct dp_pipeline *pl, struct pl_rule *r)
{
	if (r->cprev != NULL)
		r->cprev->cnext = r->cnext;
	else
		pl->cookies[cookie_bucket(pl, r->cookie)] = r->cnext;
	if (r->cnext != NULL)
		r->cnext->cprev = r->cprev;
	pl->n_cookies--;
}

/* Build table 0's per-port map, or NULL when table 0 is not port-only. */
static int
fast_build(struct dp_pipeline *pl, uint64_t v, struct pl_fast **out)
{
	struct pl_table *t = &pl->tables[0];
	struct pl_subtable *port_st = NULL, *any_st = NULL;
	struct dp_key pmask, zero;
	struct pl_rule *dflt = NULL;
	struct pl_fast *f;
	uint32_t max_port = 0;

	*out = NULL;
	if (t->n_rules == 0 || t->n_rules > PL_FAST_RULES_MAX)
		return 0;
	memset(&zero, 0, sizeof(zero));
	pmask = zero;
	pmask.in_port = UINT32_MAX;
	for (uint32_t i = 0; i < t->n_all; i++) {
		struct pl_subtable *st = t->all[i];

		if (st->slots->n_live == 0)
			continue;
		if (memcmp(&st->mask, &pmask, sizeof(pmask)) == 0)
			port_st = st;
		else if (memcmp(&st->mask, &zero, sizeof(zero)) == 0)
			any_st = st;
		else
			return 0;
	}
	for (int k = 0; k < 2; k++) {
		struct pl_subtable *st = k ? any_st : port_st;

		for (uint32_t i = 0; st != NULL && i <= st->slots->mask; i++) {
			struct pl_rule *r = st->slots->s[i].r;

			if (r == NULL || r == PL_TOMB ||
			    !pl_rule_is_visible(r, v))
				continue;
			if (k == 0 && (uint32_t)r->words[0] > max_port)
				max_port = (uint32_t)r->words[0];
			if (k == 1 &&
			    (dflt == NULL || r->priority > dflt->priority))
				dflt = r;
		}
	}
	if (port_st == NULL)
		max_port = 0;
	/* An exact in_port past the real ports (found by dp_ctl_fuzz): no
	 * array of 2^32 entries; the classifier serves such a table. */
	if (max_port > DP_PORT_MAX)
		return 0;
	f = calloc(1, sizeof(*f) + ((size_t)max_port + 1) * sizeof(f->port[0]));
	if (f == NULL)
		return -ENOMEM;
	f->n_ports = max_port + 1;
	f->dflt = dflt;
	for (uint32_t i = 0; port_st != NULL && i <= port_st->slots->mask;
	     i++) {
		struct pl_rule *r = port_st->slots->s[i].r;
		uint32_t p;

		if (r == NULL || r == PL_TOMB || !pl_rule_is_visible(r, v))
			continue;
		p = (uint32_t)r->words[0];
		if (f->port[p] == NULL || r->priority > f->port[p]->priority)
			f->port[p] = r;
	}
	for (uint32_t p = 0; p < f->n_ports; p++) {
		if (f->port[p] == NULL ||
		    (dflt != NULL && dflt->priority > f->port[p]->priority))
			f->port[p] = dflt;
		else if (dflt != NULL && dflt->priority == f->port[p]->priority)
			f->has_ties = true;
	}
	*out = f;
	return 0;
}

/* Publish a new state at version v; the old one goes to garbage. */
static int
state_publish(struct dp_pipeline *pl, uint64_t v, bool is_fast_stale)
{
	struct pl_state *old = pl->state, *ns;
	int rc;

	ns = calloc(1, sizeof(*ns));
	if (ns == NULL)
		return -ENOMEM;
	ns->version = v;
	ns->fast = old->fast;
	if (is_fast_stale) {
		rc = fast_build(pl, v, &ns->fast);
		if (rc < 0)
			goto err_state;
	}
	rc = pl_gb_reserve(pl, 2);
	if (rc < 0)
		goto err_fast;
	pl_gb_add(pl, old);
	if (old->fast != NULL && old->fast != ns->fast)
		pl_gb_add(pl, old->fast);
	rcu_assign_pointer(pl->state, ns);
	pl->version = v;
	return 0;

err_fast:
	if (ns->fast != old->fast)
		free(ns->fast);
err_state:
	free(ns);
	return rc;
}

/* Re-rank subtables of every table by hits in the last period. */
static void
rerank(struct dp_pipeline *pl)
{
	for (unsigned t = 0; t < DP_TABLES_MAX; t++) {
		struct pl_table *tb = &pl->tables[t];
		bool is_sorted = true;

		if (tb->pub == NULL || tb->pub->n < 2)
			continue;
		for (uint32_t i = 0; i < tb->n_all; i++) {
			struct pl_subtable *st = tb->all[i];
			uint64_t sum = 0;

			for (unsigned w = 0; w < pl->n_workers; w++)
				sum += CMM_LOAD_SHARED(st->hits[w].n);
			st->rank = sum - st->hits_seen;
			st->hits_seen = sum;
		}
		for (uint32_t i = 1; i < tb->pub->n; i++)
			if (tb->pub->st[i]->rank > tb->pub->st[i - 1]->rank)
				is_sorted = false;
		if (!is_sorted)
			(void)pl_cls_publish(pl, tb);
	}
	gb_flush(pl);
}

/*
 * After a grace period, under the lock: release the ids of the batch's
 * freed rules and unlink its deleted rules (they go to the next batch).
 * The memory is freed by batch_free() without the lock.
 */
static void
batch_reclaim(struct dp_pipeline *pl, struct pl_batch *b)
{
	bool touched[DP_TABLES_MAX] = {false};
	struct pl_rule *r, *next;

	for (r = b->rfree; r != NULL; r = r->gnext)
		id_release(pl, r->id);
	for (r = b->unlink; r != NULL; r = next) {
		next = r->gnext;
		pl_cls_remove(pl, r);
		cookie_unlink(pl, r);
		if (r->st->slots->n_live == 0)
			touched[r->table] = true;
		if (pl_gb_reserve(pl, 0) == 0) {
			r->gnext = pl->gb->rfree;
			pl->gb->rfree = r;
		} else {
			r->gnext = NULL; /* leaked rather than unsafe */
		}
	}
	b->unlink = NULL;
	for (unsigned t = 0; t < DP_TABLES_MAX; t++) {
		if (!touched[t])
			continue;
		if (pl_cls_publish(pl, &pl->tables[t]) == 0)
			pl_cls_gc_subtables(pl, &pl->tables[t]);
	}
}

static void
batch_free(struct pl_batch *b)
{
	struct pl_rule *r, *next;

	for (size_t i = 0; i < b->n_ptrs; i++)
		free(b->ptrs[i]);
	for (r = b->rfree; r != NULL; r = next) {
		next = r->gnext;
		free(r);
	}
	free(b->ptrs);
	free(b);
}

static void *
reclaim_main(void *arg)
{
	struct dp_pipeline *pl = arg;
	struct timespec ts;

	pthread_mutex_lock(&pl->lock);
	while (!pl->is_stopping) {
		struct pl_batch *q, *b, *next;

		if (pl->queue == NULL) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += 1;
			if (pthread_cond_timedwait(&pl->cond, &pl->lock, &ts) ==
			    ETIMEDOUT)
				rerank(pl);
			continue;
		}
		q = pl->queue;
		pl->queue = NULL;
		pthread_mutex_unlock(&pl->lock);
		synchronize_rcu();
		pthread_mutex_lock(&pl->lock);
		for (b = q; b != NULL; b = b->next)
			batch_reclaim(pl, b);
		gb_flush(pl);
		pthread_mutex_unlock(&pl->lock);
		for (b = q; b != NULL; b = next) {
			next = b->next;
			batch_free(b);
		}
		pthread_mutex_lock(&pl->lock);
	}
	pthread_mutex_unlock(&pl->lock);
	return NULL;
}

int
dp_pipeline_create(const struct dp_pipeline_config *cfg,
		   struct dp_pipeline **out)
{
	struct dp_pipeline *pl;
	pthread_condattr_t ca;
	unsigned w;
	int rc;

	if (cfg->n_workers < 1 || cfg->n_workers > DP_WORKERS_MAX ||
	    (cfg->cache_entries & (cfg->cache_entries - 1)) != 0 ||
	    (cfg->cache_entries != 0 && cfg->cache_entries < PL_WAYS))
		return -EINVAL;
	pl = calloc(1, sizeof(*pl));
	if (pl == NULL)
		return -ENOMEM;
	pl->n_workers = cfg->n_workers;
	pl->cache_entries =
		cfg->cache_entries ? cfg->cache_entries : PL_CACHE_DEFAULT;
	pl->rules_max = cfg->rules_max;
	pl->version = 1;
	rc = pl_ct_create(cfg->ct_max ? cfg->ct_max : DP_CT_MAX_DEFAULT,
			  &pl->ct);
	if (rc < 0) {
		free(pl);
		return rc;
	}
	rc = -ENOMEM;
	for (w = 0; w < pl->n_workers; w++) {
		pl->ctr[w] = calloc(PL_CTR_CHUNKS_MAX, sizeof(*pl->ctr[w]));
		if (pl->ctr[w] == NULL)
			goto err_ctr;
	}
	pl->state = calloc(1, sizeof(*pl->state));
	if (pl->state == NULL)
		goto err_ctr;
	pl->state->version = pl->version;
	pl->cookie_mask = 1023;
	pl->cookies = calloc(pl->cookie_mask + 1, sizeof(*pl->cookies));
	if (pl->cookies == NULL)
		goto err_state;
	pthread_mutex_init(&pl->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pl->cond, &ca);
	pthread_condattr_destroy(&ca);
	rc = -pthread_create(&pl->reclaimer, NULL, reclaim_main, pl);
	if (rc < 0)
		goto err_sync;
	pl->has_reclaimer = true;
	*out = pl;
	return 0;

err_sync:
	pthread_cond_destroy(&pl->cond);
	pthread_mutex_destroy(&pl->lock);
	free(pl->cookies);
err_state:
	free(pl->state);
err_ctr:
	for (w = 0; w < pl->n_workers; w++)
		free(pl->ctr[w]);
	pl_ct_destroy(pl->ct);
	free(pl);
	return rc;
}

static void
txn_free(struct dp_txn *t)
{
	for (size_t i = 0; i < t->n_ops; i++) {
		struct pl_op *op = &t->ops[i];

		if (op->r != NULL && !op->is_done) {
			op->r->st->n_staged--;
			free(op->r);
		}
	}
	free(t->ops);
	t->pl->txn = NULL;
	free(t);
}

void
dp_pipeline_destroy(struct dp_pipeline *pl)
{
	struct pl_batch *b, *next;

	if (pl == NULL)
		return;
	if (pl->has_reclaimer) {
		pthread_mutex_lock(&pl->lock);
		pl->is_stopping = true;
		pthread_cond_signal(&pl->cond);
		pthread_mutex_unlock(&pl->lock);
		/*
		 * The reclaimer may be in synchronize_rcu(): a caller that is
		 * itself a reader (it owns a worker of this or another
		 * pipeline) must be offline while it waits for it.
		 */
		if (pl_thread_is_reader()) {
			rcu_thread_offline();
			pthread_join(pl->reclaimer, NULL);
			rcu_thread_online();
		} else {
			pthread_join(pl->reclaimer, NULL);
		}
	}
	if (pl->txn != NULL)
		txn_free(pl->txn);
	pl_esp_destroy(pl);
	pl_lb_destroy(pl);
	pl_ct_destroy(pl->ct);
	for (b = pl->queue; b != NULL; b = next) {
		next = b->next;
		batch_free(b);
	}
	if (pl->gb != NULL)
		batch_free(pl->gb);
	for (unsigned t = 0; t < DP_TABLES_MAX; t++)
		pl_cls_table_fini(&pl->tables[t]);
	free(pl->state->fast);
	free(pl->state);
	for (unsigned w = 0; w < pl->n_workers; w++) {
		for (uint32_t c = 0; c < pl->n_chunks; c++)
			free(pl->ctr[w][c]);
		free(pl->ctr[w]);
	}
	free(pl->cookies);
	free(pl->free_ids);
	pthread_cond_destroy(&pl->cond);
	pthread_mutex_destroy(&pl->lock);
	free(pl);
}

int
dp_txn_begin(struct dp_pipeline *pl, struct dp_txn **out)
{
	struct dp_txn *t;
	int rc = 0;

	pthread_mutex_lock(&pl->lock);
	if (pl->txn != NULL) {
		rc = -EBUSY;
		goto out;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	t->pl = pl;
	pl->txn = t;
	*out = t;
out:
	pthread_mutex_unlock(&pl->lock);
	return rc;
}

static int
txn_push(struct dp_txn *t, const struct pl_op *op)
{
	if (t->n_ops == t->cap_ops) {
		size_t cap = t->cap_ops ? t->cap_ops * 2 : 64;
		struct pl_op *ops = realloc(t->ops, cap * sizeof(*ops));

		if (ops == NULL)
			return -ENOMEM;
		t->ops = ops;
		t->cap_ops = cap;
	}
	t->ops[t->n_ops++] = *op;
	return 0;
}

/* Build the internal form of r (n_actions 0 for a delete probe). */
static int
rule_build(struct dp_pipeline *pl, const struct dp_rule *dr, unsigned n_actions,
	   struct pl_rule **out)
{
	const uint64_t *mw = (const uint64_t *)&dr->match;
	struct pl_subtable *st;
	struct pl_rule *r;
	int rc;

	rc = pl_cls_subtable_get(pl, dr->table, &dr->mask, &st);
	if (rc < 0)
		return rc;
	r = malloc(sizeof(*r) + st->n_words * sizeof(uint64_t) +
		   n_actions * sizeof(struct dp_action));
	if (r == NULL)
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	r->v_add = PL_V_INF;
	r->v_del = PL_V_INF;
	r->st = st;
	r->priority = dr->priority;
	r->table = dr->table;
	r->cookie = dr->cookie;
	r->n_actions = (uint8_t)n_actions;
	r->goto_table = PL_NO_TABLE;
	for (unsigned j = 0; j < st->n_words; j++)
		r->words[j] = mw[st->widx[j]] & st->mwords[j];
	r->hash = pl_hash_words(r->words, st->n_words);
	r->acts = (struct dp_action *)(r->words + st->n_words);
	memcpy(r->acts, dr->actions, n_actions * sizeof(struct dp_action));
	for (unsigned i = 0; i < n_actions; i++) {
		if (r->acts[i].type == DP_ACT_GOTO_TABLE)
			r->goto_table = (uint8_t)r->acts[i].u.table;
		if (r->acts[i].type == DP_ACT_VXLAN_DECAP)
			r->flags |= PL_RF_DECAP;
		if (r->acts[i].type == DP_ACT_CT) {
			r->goto_table = r->acts[i].u.ct.table;
			r->flags |= PL_RF_DECAP;
		}
		if (r->acts[i].type == DP_ACT_ESP_DECRYPT) {
			r->goto_table = r->acts[i].u.esp.table;
			r->flags |= PL_RF_DECAP;
		}
		if (r->acts[i].type == DP_ACT_LB_SELECT) {
			r->goto_table = r->acts[i].u.lb.table;
			r->flags |= PL_RF_DECAP;
		}
	}
	r->conn_zone = -1;
	if (n_actions > 0 && r->acts[n_actions - 1].type == DP_ACT_CT)
		r->conn_zone = r->acts[n_actions - 1].u.ct.zone;
	if (n_actions > 0 && r->acts[n_actions - 1].type == DP_ACT_LB_SELECT)
		r->conn_zone = r->acts[n_actions - 1].u.lb.zone;
	if (n_actions == 0 ||
	    (n_actions == 1 && r->acts[0].type == DP_ACT_DROP)) {
		r->flags |= PL_RF_SIMPLE;
		r->out_port = 0;
	} else if (n_actions == 1 && r->acts[0].type == DP_ACT_OUTPUT &&
		   r->acts[0].u.port != DP_PORT_CONTROLLER) {
		r->flags |= PL_RF_SIMPLE;
		r->out_port = r->acts[0].u.port;
	}
	st->n_staged++;
	*out = r;
	return 0;
}

int
dp_txn_add(struct dp_txn *t, const struct dp_rule *r, char *err, size_t err_len)
{
	struct dp_pipeline *pl = t->pl;
	struct pl_op op = {.type = PL_OP_ADD};
	int rc;

	rc = dp_rule_validate(r, err, err_len);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&pl->lock);
	if (pl->rules_max != 0 && pl->n_rules + t->n_adds + 1 > pl->rules_max) {
		snprintf(err, err_len, "table full (%u rules)", pl->rules_max);
		rc = -ENOSPC;
		goto out;
	}
	rc = rule_build(pl, r, r->n_actions, &op.r);
	if (rc < 0) {
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	rc = txn_push(t, &op);
	if (rc < 0) {
		op.r->st->n_staged--;
		free(op.r);
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	t->n_adds++;
out:
	pthread_mutex_unlock(&pl->lock);
	return rc;
}

int
dp_txn_del_cookie(struct dp_txn *t, int table, uint64_t cookie,
		  uint64_t cookie_mask)
{
	struct pl_op op = {
		.type = PL_OP_DEL_COOKIE,
		.table = (int16_t)(table < 0 ? -1 : table),
		.cookie = cookie,
		.cookie_mask = cookie_mask,
	};
	int rc;

	if (table >= DP_TABLES_MAX)
		return -EINVAL;
	pthread_mutex_lock(&t->pl->lock);
	rc = txn_push(t, &op);
	pthread_mutex_unlock(&t->pl->lock);
	return rc;
}

int
dp_txn_del_strict(struct dp_txn *t, const struct dp_rule *r)
{
	struct dp_pipeline *pl = t->pl;
	struct pl_op op = {.type = PL_OP_DEL_STRICT};
	int rc;

	if (r->table >= DP_TABLES_MAX)
		return -EINVAL;
	pthread_mutex_lock(&pl->lock);
	rc = rule_build(pl, r, 0, &op.r);
	if (rc == 0) {
		rc = txn_push(t, &op);
		if (rc < 0) {
			op.r->st->n_staged--;
			free(op.r);
		}
	}
	pthread_mutex_unlock(&pl->lock);
	return rc;
}

/* Commit bookkeeping, to undo a failed commit. */
struct pl_commit {
	uint64_t next;
	struct pl_rule *dels; /* via gnext */
	int64_t delta[DP_TABLES_MAX];
	bool touched[DP_TABLES_MAX];
};

static void
mark_del(struct pl_commit *c, struct pl_rule *r)
{
	CMM_STORE_SHARED(r->v_del, c->next);
	r->gnext = c->dels;
	c->dels = r;
	c->delta[r->table]--;
	c->touched[r->table] = true;
}

static void
del_cookie_scan(struct dp_pipeline *pl, struct pl_commit *c,
		const struct pl_op *op)
{
	uint64_t cm = op->cookie_mask, ck = op->cookie & cm;

	if (cm == UINT64_MAX) {
		struct pl_rule *r = pl->cookies[cookie_bucket(pl, ck)];

		for (; r != NULL; r = r->cnext)
			if (r->cookie == ck && pl_rule_is_visible(r, c->next) &&
			    (op->table < 0 || r->table == op->table))
				mark_del(c, r);
		return;
	}
	for (unsigned t = 0; t < DP_TABLES_MAX; t++) {
		struct pl_table *tb = &pl->tables[t];

		if (op->table >= 0 && (unsigned)op->table != t)
			continue;
		for (uint32_t i = 0; i < tb->n_all; i++) {
			struct pl_slots *s = tb->all[i]->slots;

			for (uint32_t k = 0; k <= s->mask; k++) {
				struct pl_rule *r = s->s[k].r;

				if (r != NULL && r != PL_TOMB &&
				    (r->cookie & cm) == ck &&
				    pl_rule_is_visible(r, c->next))
					mark_del(c, r);
			}
		}
	}
}

static int
apply_add(struct dp_pipeline *pl, struct pl_commit *c, struct pl_op *op)
{
	struct pl_rule *r = op->r, *old;
	int rc;

	old = pl_cls_find(r->st, r->words, r->hash, r->priority, c->next);
	if (old != NULL)
		mark_del(c, old);
	rc = id_alloc(pl, &r->id);
	if (rc < 0)
		return rc;
	r->v_add = c->next;
	r->v_del = PL_V_INF;
	rc = pl_cls_insert(pl, r);
	if (rc < 0) {
		id_release(pl, r->id);
		return rc;
	}
	cookie_link(pl, r);
	r->st->n_staged--;
	op->is_done = true;
	c->delta[r->table]++;
	c->touched[r->table] = true;
	return 0;
}

static void
commit_undo(struct dp_pipeline *pl, struct dp_txn *t, struct pl_commit *c)
{
	struct pl_rule *r;

	for (r = c->dels; r != NULL; r = r->gnext)
		if (r->v_add != c->next)
			CMM_STORE_SHARED(r->v_del, PL_V_INF);
	for (size_t i = 0; i < t->n_ops; i++) {
		struct pl_op *op = &t->ops[i];

		if (op->type != PL_OP_ADD || !op->is_done)
			continue;
		r = op->r;
		pl_cls_remove(pl, r);
		cookie_unlink(pl, r);
		op->r = NULL;
		if (pl_gb_reserve(pl, 0) == 0) {
			r->gnext = pl->gb->rfree;
			pl->gb->rfree = r;
		}
	}
}

int
dp_txn_commit(struct dp_txn *t, char *err, size_t err_len)
{
	struct dp_pipeline *pl = t->pl;
	struct pl_commit c;
	int64_t total = 0;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	pthread_mutex_lock(&pl->lock);
	c.next = pl->version + 1;
	for (size_t i = 0; i < t->n_ops && rc == 0; i++) {
		struct pl_op *op = &t->ops[i];
		struct pl_rule *r;

		switch (op->type) {
		case PL_OP_ADD:
			rc = apply_add(pl, &c, op);
			if (rc < 0)
				snprintf(err, err_len, "rule %zu: %s", i,
					 rc == -ENOSPC ? "too many rules"
						       : "out of memory");
			break;
		case PL_OP_DEL_COOKIE:
			del_cookie_scan(pl, &c, op);
			break;
		case PL_OP_DEL_STRICT:
			r = pl_cls_find(op->r->st, op->r->words, op->r->hash,
					op->r->priority, c.next);
			if (r != NULL)
				mark_del(&c, r);
			break;
		}
	}
	for (unsigned i = 0; i < DP_TABLES_MAX; i++)
		total += c.delta[i];
	if (rc == 0 && pl->rules_max != 0 &&
	    (int64_t)pl->n_rules + total > (int64_t)pl->rules_max) {
		snprintf(err, err_len, "table full (%u rules)", pl->rules_max);
		rc = -ENOSPC;
	}
	for (unsigned i = 0; i < DP_TABLES_MAX && rc == 0; i++) {
		if (c.touched[i])
			pl->tables[i].n_rules =
				(uint32_t)(pl->tables[i].n_rules + c.delta[i]);
		/*
		 * Republish a changed table: a subtable may be new, or was
		 * left out of the last array while it was empty.
		 */
		if (c.touched[i] || pl->tables[i].is_dirty)
			rc = pl_cls_publish(pl, &pl->tables[i]);
	}
	if (rc == 0)
		rc = state_publish(pl, c.next, c.touched[0]);
	if (rc < 0) {
		for (unsigned i = 0; i < DP_TABLES_MAX; i++)
			if (c.touched[i])
				pl->tables[i].n_rules =
					(uint32_t)(pl->tables[i].n_rules -
						   c.delta[i]);
		if (err_len > 0 && err[0] == '\0')
			snprintf(err, err_len, "out of memory");
		commit_undo(pl, t, &c);
	} else {
		pl->n_rules = (size_t)((int64_t)pl->n_rules + total);
		if (c.dels != NULL && pl_gb_reserve(pl, 0) == 0) {
			struct pl_rule *r, *next;

			for (r = c.dels; r != NULL; r = next) {
				next = r->gnext;
				r->gnext = pl->gb->unlink;
				pl->gb->unlink = r;
			}
		}
	}
	txn_free(t);
	for (unsigned i = 0; i < DP_TABLES_MAX; i++)
		if (pl->tables[i].is_dirty || c.touched[i])
			pl_cls_gc_subtables(pl, &pl->tables[i]);
	gb_flush(pl);
	pthread_mutex_unlock(&pl->lock);
	return rc;
}

void
dp_txn_abort(struct dp_txn *t)
{
	struct dp_pipeline *pl;

	if (t == NULL)
		return;
	pl = t->pl;
	pthread_mutex_lock(&pl->lock);
	txn_free(t);
	for (unsigned i = 0; i < DP_TABLES_MAX; i++)
		if (pl->tables[i].is_dirty)
			pl_cls_gc_subtables(pl, &pl->tables[i]);
	gb_flush(pl);
	pthread_mutex_unlock(&pl->lock);
}

static void
rule_export(const struct dp_pipeline *pl, const struct pl_rule *r,
	    struct dp_rule *dr, struct dp_rule_stats *st)
{
	memset(dr, 0, sizeof(*dr));
	dr->cookie = r->cookie;
	dr->priority = r->priority;
	dr->table = r->table;
	dr->n_actions = r->n_actions;
	pl_cls_rule_match(r, &dr->match);
	dr->mask = r->st->mask;
	memcpy(dr->actions, r->acts, r->n_actions * sizeof(struct dp_action));
	if (st == NULL)
		return;
	st->n_packets = 0;
	st->n_bytes = 0;
	for (unsigned w = 0; w < pl->n_workers; w++) {
		const struct pl_ctr *c = &pl->ctr[w][r->id >> PL_CTR_SHIFT]
						 [r->id & (PL_CTR_CHUNK - 1)];

		st->n_packets += CMM_LOAD_SHARED(c->n_packets);
		st->n_bytes += CMM_LOAD_SHARED(c->n_bytes);
	}
}

int
dp_pipeline_dump(struct dp_pipeline *pl, int table, dp_rule_visit_fn fn,
		 void *arg)
{
	struct dp_rule *dr;
	struct dp_rule_stats st;
	int rc = 0;

	if (table >= DP_TABLES_MAX)
		return -EINVAL;
	dr = malloc(sizeof(*dr));
	if (dr == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&pl->lock);
	for (unsigned t = 0; t < DP_TABLES_MAX && rc == 0; t++) {
		struct pl_table *tb = &pl->tables[t];

		if (table >= 0 && (unsigned)table != t)
			continue;
		for (uint32_t i = 0; i < tb->n_all && rc == 0; i++) {
			struct pl_slots *s = tb->all[i]->slots;

			for (uint32_t k = 0; k <= s->mask && rc == 0; k++) {
				struct pl_rule *r = s->s[k].r;

				if (r == NULL || r == PL_TOMB ||
				    !pl_rule_is_visible(r, pl->version))
					continue;
				rule_export(pl, r, dr, &st);
				rc = fn(dr, &st, arg);
			}
		}
	}
	pthread_mutex_unlock(&pl->lock);
	free(dr);
	return rc;
}

size_t
dp_pipeline_n_rules(const struct dp_pipeline *pl)
{
	return CMM_LOAD_SHARED(pl->n_rules);
}

void
dp_pipeline_flush_cache(struct dp_pipeline *pl)
{
	pthread_mutex_lock(&pl->lock);
	(void)state_publish(pl, pl->version + 1, false);
	gb_flush(pl);
	pthread_mutex_unlock(&pl->lock);
}

void
dp_pipeline_cache_stats(struct dp_pipeline *pl, struct dp_cache_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&pl->lock);
	for (unsigned w = 0; w < pl->n_workers; w++) {
		const struct dp_worker *wk = pl->workers[w];

		if (wk == NULL)
			continue;
		out->hits += CMM_LOAD_SHARED(wk->st.hits);
		out->misses += CMM_LOAD_SHARED(wk->st.misses);
		out->inserts += CMM_LOAD_SHARED(wk->st.inserts);
		out->evictions += CMM_LOAD_SHARED(wk->st.evictions);
		out->lookups_classifier += CMM_LOAD_SHARED(wk->st.lookups);
		out->entries += (uint32_t)CMM_LOAD_SHARED(wk->st.entries);
		out->entries_max += (wk->cache_mask + 1) * PL_WAYS;
	}
	for (unsigned t = 0; t < DP_TABLES_MAX; t++)
		if (pl->tables[t].pub != NULL)
			out->n_subtables += pl->tables[t].pub->n;
	pthread_mutex_unlock(&pl->lock);
}

void
dp_pipeline_drop_stats(struct dp_pipeline *pl, uint64_t out[DP_DROP__COUNT])
{
	memset(out, 0, DP_DROP__COUNT * sizeof(out[0]));
	pthread_mutex_lock(&pl->lock);
	for (unsigned w = 0; w < pl->n_workers; w++) {
		const struct dp_worker *wk = pl->workers[w];

		if (wk == NULL)
			continue;
		for (int i = 0; i < DP_DROP__COUNT; i++)
			out[i] += CMM_LOAD_SHARED(wk->drops[i]);
	}
	pthread_mutex_unlock(&pl->lock);
}

enum { PL_TRACE_ROOM = 256 };

int
dp_pipeline_trace(struct dp_pipeline *pl, const uint8_t *frame, uint32_t len,
		  uint32_t in_port, struct dp_trace *out)
{
	struct dp_packet pkt;
	struct pl_pctx *c;
	uint8_t *buf;
	int rc;

	if (len > 0xffff)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	buf = malloc(PL_TRACE_ROOM * 2 + (size_t)len);
	c = malloc(sizeof(*c));
	if (buf == NULL || c == NULL) {
		free(buf);
		free(c);
		return -ENOMEM;
	}
	memcpy(buf + PL_TRACE_ROOM, frame, len);
	memset(&pkt, 0, sizeof(pkt));
	pkt.data = buf + PL_TRACE_ROOM;
	pkt.len = len;
	pkt.headroom = PL_TRACE_ROOM;
	pkt.tailroom = PL_TRACE_ROOM;
	pkt.in_port = in_port;
	memset(c, 0, sizeof(*c));
	c->pkt = &pkt;
	out->parse_error = -1;
	rc = pl_parse(pkt.data, len, in_port, &c->key, &c->m, true);
	out->key = c->key;
	if (rc != 0) {
		out->parse_error = rc;
		out->verdict = rc + 1;
		goto done;
	}
	pthread_mutex_lock(&pl->lock);
	pl_trace_run(pl, c, out);
	pthread_mutex_unlock(&pl->lock);
done:
	free(buf);
	free(c);
	return 0;
}

void
pl_rule_export(const struct dp_pipeline *pl, const struct pl_rule *r,
	       struct dp_rule *dr)
{
	rule_export(pl, r, dr, NULL);
}
