/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline_cls_test.c: the tuple-space classifier against the naive
 * reference (dp_rule_matches over every rule, highest priority wins) on
 * 10k random rules over several masks and priorities and 10k random
 * packets, through trace (classifier only) and a worker (cache, then
 * classifier), across transactions that add, replace and delete rules
 * (strict and by cookie). Also checks dump and rule counts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "pl_int.h"
#include "pl_test_util.h"

enum { N_RULES = 10000, N_PKTS = 10000, N_MASKS = 9 };

static uint64_t rng = 88172645463325252ULL;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* The value universe, small so rules and packets meet. */
static uint32_t
u_ip(void)
{
	return htonl(0x0a000000u | rnd(2) << 8 | (1 + rnd(8)));
}

static uint16_t
u_port(void)
{
	return htons((uint16_t)(1000 + rnd(6) * 257));
}

static void
rand_rule(struct dp_rule *r, uint32_t idx)
{
	unsigned m = rnd(N_MASKS);

	tu_rule(r, 0, 1 + rnd(40), idx + 1);
	r->cookie = idx % 7;
	switch (m) {
	case 0:
		r->mask.in_port = UINT32_MAX;
		break;
	case 1:
		r->mask.nw_src = UINT32_MAX;
		break;
	case 2:
		r->mask.nw_src = htonl(0xffffff00);
		break;
	case 3:
		r->mask.nw_dst = UINT32_MAX;
		r->mask.tp_dst = 0xffff;
		break;
	case 4:
		r->mask.nw_proto = 0xff;
		r->mask.tp_src = 0xffff;
		break;
	case 5:
		r->mask.in_port = UINT32_MAX;
		r->mask.nw_src = UINT32_MAX;
		r->mask.nw_dst = UINT32_MAX;
		break;
	case 6:
		break;
	case 7:
		r->mask.tp_src = htons(0xff00);
		r->mask.eth_type = 0xffff;
		break;
	default:
		r->mask.nw_dst = htonl(0xfffffff0);
		r->mask.nw_proto = 0xff;
		r->mask.tp_dst = 0xffff;
		break;
	}
	r->match.in_port = (1 + rnd(3)) & r->mask.in_port;
	r->match.nw_src = u_ip() & r->mask.nw_src;
	r->match.nw_dst = u_ip() & r->mask.nw_dst;
	r->match.nw_proto = (uint8_t)((rnd(2) ? 6 : 17) & r->mask.nw_proto);
	r->match.tp_src = u_port() & r->mask.tp_src;
	r->match.tp_dst = u_port() & r->mask.tp_dst;
	r->match.eth_type = htons(0x0800) & r->mask.eth_type;
}

static bool
same_identity(const struct dp_rule *a, const struct dp_rule *b)
{
	return a->table == b->table && a->priority == b->priority &&
	       memcmp(&a->mask, &b->mask, sizeof(a->mask)) == 0 &&
	       memcmp(&a->match, &b->match, sizeof(a->match)) == 0;
}

/* The reference: a list of live rules with replace semantics. */
struct ref {
	struct dp_rule *r;
	bool *is_live;
	size_t n;
};

static void
ref_add(struct ref *ref, const struct dp_rule *r)
{
	for (size_t i = 0; i < ref->n; i++)
		if (ref->is_live[i] && same_identity(&ref->r[i], r))
			ref->is_live[i] = false;
	ref->r[ref->n] = *r;
	ref->is_live[ref->n++] = true;
}

static size_t
ref_count(const struct ref *ref)
{
	size_t n = 0;

	for (size_t i = 0; i < ref->n; i++)
		n += ref->is_live[i];
	return n;
}

/* Live rules by descending priority: the first match is the best. */
static const struct ref *sort_ref;

static int
prio_cmp(const void *a, const void *b)
{
	uint32_t x = sort_ref->r[*(const size_t *)a].priority;
	uint32_t y = sort_ref->r[*(const size_t *)b].priority;

	return x < y ? 1 : x > y ? -1 : 0;
}

static size_t
ref_order(const struct ref *ref, size_t *order)
{
	size_t n = 0;

	for (size_t i = 0; i < ref->n; i++)
		if (ref->is_live[i])
			order[n++] = i;
	sort_ref = ref;
	qsort(order, n, sizeof(*order), prio_cmp);
	return n;
}

static int
ref_best(const struct ref *ref, const size_t *order, size_t n,
	 const struct dp_key *k)
{
	for (size_t i = 0; i < n; i++)
		if (dp_rule_matches(&ref->r[order[i]], k))
			return (int)order[i];
	return -1;
}

static size_t
rand_frame(uint8_t *b, uint32_t *in_port)
{
	struct tu_frame f;
	uint32_t v;

	tu_frame_udp4(&f);
	f.proto = rnd(2) ? 6 : 17;
	v = u_ip();
	f.src4 = ntohl(v);
	v = u_ip();
	f.dst4 = ntohl(v);
	f.sport = ntohs(u_port());
	f.dport = ntohs(u_port());
	*in_port = 1 + rnd(3);
	return tu_build(&f, b);
}

/* Check N_PKTS random packets through trace and through the worker. */
static void
check_packets(struct tu *t, const struct ref *ref, struct dp_trace *tr)
{
	size_t *order = calloc(ref->n, sizeof(*order));
	size_t n_order = ref_order(ref, order);
	struct dp_cache_stats cs0, cs1;

	dp_pipeline_cache_stats(t->pl, &cs0);

	for (int i = 0; i < N_PKTS; i++) {
		uint8_t frame[128];
		uint32_t port, len = (uint32_t)rand_frame(frame, &port);
		int best;

		assert_int_equal(dp_pipeline_trace(t->pl, frame, len, port, tr),
				 0);
		best = ref_best(ref, order, n_order, &tr->key);
		tu_run(t, frame, len, port);
		/* Odd packets twice: the second one is a cache hit. */
		if (i & 1) {
			uint32_t n_tx = t->out.n_tx;
			uint32_t tx_port = n_tx != 0 ? t->out.tx_port[0] : 0;

			tu_run(t, frame, len, port);
			assert_int_equal(t->out.n_tx, n_tx);
			if (n_tx != 0)
				assert_int_equal(t->out.tx_port[0], tx_port);
		}
		if (best < 0) {
			assert_int_equal(tr->n_steps, 1);
			assert_false(tr->steps[0].is_hit);
			assert_int_equal(t->out.n_tx, 0);
			continue;
		}
		assert_int_equal(tr->n_steps, 1);
		assert_true(tr->steps[0].is_hit);
		assert_int_equal(tr->steps[0].rule.priority,
				 ref->r[best].priority);
		assert_true(dp_rule_matches(&tr->steps[0].rule, &tr->key));
		assert_int_equal(t->out.n_tx, 1);
		/* The port names the rule the worker hit. */
		{
			uint32_t idx = t->out.tx_port[0] - 1;

			assert_true(idx < ref->n);
			assert_true(ref->is_live[idx]);
			assert_int_equal(ref->r[idx].priority,
					 ref->r[best].priority);
			assert_true(dp_rule_matches(&ref->r[idx], &tr->key));
		}
	}
	/* Every repeated packet hit the entry its first run inserted. */
	dp_pipeline_cache_stats(t->pl, &cs1);
	assert_true(cs1.hits - cs0.hits >= N_PKTS / 2);
	free(order);
}

struct dump_ctx {
	const struct ref *ref;
	size_t n;
};

static int
dump_visit(const struct dp_rule *r, const struct dp_rule_stats *st, void *arg)
{
	struct dump_ctx *d = arg;
	uint32_t idx = r->actions[0].u.port - 1;

	(void)st;
	assert_true(idx < d->ref->n);
	assert_true(d->ref->is_live[idx]);
	assert_true(same_identity(r, &d->ref->r[idx]));
	assert_int_equal(r->cookie, d->ref->r[idx].cookie);
	d->n++;
	return 0;
}

static void
check_dump(struct tu *t, const struct ref *ref)
{
	struct dump_ctx d = {.ref = ref};

	assert_int_equal(dp_pipeline_dump(t->pl, -1, dump_visit, &d), 0);
	assert_int_equal(d.n, ref_count(ref));
	assert_int_equal(dp_pipeline_n_rules(t->pl), ref_count(ref));
}

static void
test_classifier_vs_reference(void **state)
{
	size_t cap = N_RULES * 2;
	struct ref ref = {
		.r = calloc(cap, sizeof(struct dp_rule)),
		.is_live = calloc(cap, sizeof(bool)),
	};
	struct dp_trace *tr = malloc(sizeof(*tr));
	struct dp_rule *batch = calloc(N_RULES, sizeof(*batch));
	struct dp_txn *txn;
	char err[160];
	struct tu t;

	assert_non_null(ref.r);
	assert_non_null(ref.is_live);
	assert_non_null(tr);
	assert_non_null(batch);
	assert_int_equal(tu_setup(&t, 1024, 0), 0);
	/* Both cache hashes: CRC32C (where the CPU has it) and portable. */
	if (*state != NULL)
		pl_worker_use_portable_hash(t.w);

	/* 10k random rules in one transaction. */
	for (uint32_t i = 0; i < N_RULES; i++) {
		rand_rule(&batch[i], i);
		ref_add(&ref, &batch[i]);
	}
	assert_int_equal(tu_install(t.pl, batch, N_RULES), 0);
	check_dump(&t, &ref);
	check_packets(&t, &ref, tr);

	/* Delete 20% strictly, cookie 3 exactly, add 2000 more. */
	assert_int_equal(dp_txn_begin(t.pl, &txn), 0);
	for (size_t i = 0; i < ref.n; i++) {
		if (!ref.is_live[i] || rnd(5) != 0)
			continue;
		assert_int_equal(dp_txn_del_strict(txn, &ref.r[i]), 0);
		ref.is_live[i] = false;
	}
	assert_int_equal(dp_txn_del_cookie(txn, 0, 3, UINT64_MAX), 0);
	for (size_t i = 0; i < ref.n; i++)
		if (ref.r[i].cookie == 3)
			ref.is_live[i] = false;
	for (uint32_t i = 0; i < 2000; i++) {
		struct dp_rule r;

		rand_rule(&r, (uint32_t)ref.n);
		assert_int_equal(dp_txn_add(txn, &r, err, sizeof(err)), 0);
		ref_add(&ref, &r);
	}
	assert_int_equal(dp_txn_commit(txn, err, sizeof(err)), 0);
	check_dump(&t, &ref);
	check_packets(&t, &ref, tr);

	/* Delete by a cookie mask (cookies 4 and 5 share 0b1xx with 6). */
	assert_int_equal(dp_txn_begin(t.pl, &txn), 0);
	assert_int_equal(dp_txn_del_cookie(txn, -1, 4, 6), 0);
	for (size_t i = 0; i < ref.n; i++)
		if ((ref.r[i].cookie & 6) == 4)
			ref.is_live[i] = false;
	assert_int_equal(dp_txn_commit(txn, err, sizeof(err)), 0);
	check_dump(&t, &ref);
	check_packets(&t, &ref, tr);

	tu_teardown(&t);
	free(batch);
	free(tr);
	free(ref.r);
	free(ref.is_live);
}

/* goto_table chains: the trace lists each table and rule visited. */
static void
test_goto_chain(void **state)
{
	struct dp_trace *tr = malloc(sizeof(*tr));
	struct dp_rule r[4];
	struct tu_frame f;
	uint8_t b[128];
	size_t len;
	struct tu t;

	(void)state;
	assert_int_equal(tu_setup(&t, 64, 0), 0);
	tu_rule(&r[0], 0, 1, 0);
	tu_act(&r[0], DP_ACT_GOTO_TABLE)->u.table = 3;
	tu_rule(&r[1], 3, 7, 0);
	r[1].mask.nw_dst = UINT32_MAX;
	r[1].match.nw_dst = htonl(0x0a000002);
	tu_act(&r[1], DP_ACT_GOTO_TABLE)->u.table = 9;
	tu_rule(&r[2], 9, 1, 5);
	tu_rule(&r[3], 3, 1, 0); /* other nw_dst: drop */
	assert_int_equal(tu_install(t.pl, r, 4), 0);
	tu_frame_udp4(&f);
	len = tu_build(&f, b);
	assert_int_equal(dp_pipeline_trace(t.pl, b, (uint32_t)len, 1, tr), 0);
	assert_int_equal(tr->n_steps, 3);
	assert_int_equal(tr->steps[0].table, 0);
	assert_int_equal(tr->steps[1].table, 3);
	assert_int_equal(tr->steps[1].rule.priority, 7);
	assert_int_equal(tr->steps[2].table, 9);
	assert_int_equal(tr->n_out, 1);
	assert_int_equal(tr->out_port[0], 5);
	assert_int_equal(tr->verdict, 0);
	for (int i = 0; i < 3; i++) { /* miss, then cache hits */
		tu_run(&t, b, (uint32_t)len, 1);
		assert_int_equal(t.out.n_tx, 1);
		assert_int_equal(t.out.tx_port[0], 5);
	}
	f.dst4 = 0x0a000009;
	len = tu_build(&f, b);
	for (int i = 0; i < 2; i++) {
		tu_run(&t, b, (uint32_t)len, 1);
		assert_int_equal(t.out.n_drop, 1);
	}
	assert_int_equal(dp_pipeline_trace(t.pl, b, (uint32_t)len, 1, tr), 0);
	assert_int_equal(tr->n_steps, 2);
	assert_int_equal(tr->verdict, DP_DROP_ACTION + 1);
	tu_teardown(&t);
	free(tr);
}

int
main(void)
{
	static const int portable = 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classifier_vs_reference),
		cmocka_unit_test_prestate(test_classifier_vs_reference,
					  (void *)&portable),
		cmocka_unit_test(test_goto_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
