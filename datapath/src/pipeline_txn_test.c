/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline_txn_test.c: transactions (all or nothing, abort, one at a
 * time, rules_max), counters and their restart on replace, cache
 * invalidation by commit and by flush, commit cost independent of table
 * size, and atomicity seen from a worker thread forwarding while rules
 * are replaced under it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <cmocka.h>

#include "pl_test_util.h"

static size_t
udp_frame(uint8_t *b, uint32_t dst4)
{
	struct tu_frame f;

	tu_frame_udp4(&f);
	f.dst4 = dst4;
	return tu_build(&f, b);
}

static void
dst_rule(struct dp_rule *r, uint32_t prio, uint32_t dst4, uint32_t port)
{
	tu_rule(r, 0, prio, port);
	r->mask.nw_dst = UINT32_MAX;
	r->match.nw_dst = htonl(dst4);
}

static uint32_t
port_of(struct tu *t, const uint8_t *b, size_t len)
{
	tu_run(t, b, (uint32_t)len, 1);
	return t->out.n_tx == 1 ? t->out.tx_port[0] : 0;
}

static void
test_abort_and_busy(void **state)
{
	struct dp_txn *txn, *txn2;
	struct dp_rule r;
	uint8_t b[128];
	size_t len = udp_frame(b, 0x0a000002);
	char err[128];
	struct tu t;

	(void)state;
	assert_int_equal(tu_setup(&t, 64, 0), 0);
	dst_rule(&r, 5, 0x0a000002, 1);
	assert_int_equal(tu_install(t.pl, &r, 1), 0);
	assert_int_equal(port_of(&t, b, len), 1);

	assert_int_equal(dp_txn_begin(t.pl, &txn), 0);
	assert_int_equal(dp_txn_begin(t.pl, &txn2), -EBUSY);
	dst_rule(&r, 5, 0x0a000002, 2); /* replaces */
	assert_int_equal(dp_txn_add(txn, &r, err, sizeof(err)), 0);
	dst_rule(&r, 9, 0x0a000003, 3); /* new mask value */
	assert_int_equal(dp_txn_add(txn, &r, err, sizeof(err)), 0);
	assert_int_equal(dp_txn_del_cookie(txn, -1, 0, 0), 0);
	/* Nothing is visible before commit. */
	assert_int_equal(port_of(&t, b, len), 1);
	dp_txn_abort(txn);
	assert_int_equal(port_of(&t, b, len), 1);
	assert_int_equal(dp_pipeline_n_rules(t.pl), 1);

	/* An invalid rule is refused, the transaction goes on. */
	assert_int_equal(dp_txn_begin(t.pl, &txn), 0);
	tu_rule(&r, 4, 1, 0);
	tu_act(&r, DP_ACT_GOTO_TABLE)->u.table = 2;
	err[0] = '\0';
	assert_int_equal(dp_txn_add(txn, &r, err, sizeof(err)), -EINVAL);
	assert_true(strlen(err) > 0);
	dst_rule(&r, 5, 0x0a000002, 2);
	assert_int_equal(dp_txn_add(txn, &r, err, sizeof(err)), 0);
	assert_int_equal(dp_txn_commit(txn, err, sizeof(err)), 0);
	assert_int_equal(port_of(&t, b, len), 2);
	assert_int_equal(dp_pipeline_n_rules(t.pl), 1);
	tu_teardown(&t);
}

static void
test_rules_max(void **state)
{
	struct dp_rule r[12];
	struct dp_txn *txn;
	char err[128];
	struct tu t;

	(void)state;
	assert_int_equal(tu_setup(&t, 64, 10), 0);
	for (int i = 0; i < 12; i++)
		dst_rule(&r[i], 1, 0x0a000100u + (uint32_t)i, 1);
	assert_int_equal(tu_install(t.pl, r, 8), 0);
	assert_int_equal(dp_txn_begin(t.pl, &txn), 0);
	assert_int_equal(dp_txn_add(txn, &r[8], err, sizeof(err)), 0);
	assert_int_equal(dp_txn_add(txn, &r[9], err, sizeof(err)), 0);
	assert_int_equal(dp_txn_add(txn, &r[10], err, sizeof(err)), -ENOSPC);
	dp_txn_abort(txn);
	assert_int_equal(dp_pipeline_n_rules(t.pl), 8);
	assert_int_equal(tu_install(t.pl, &r[8], 2), 0);
	assert_int_equal(dp_pipeline_n_rules(t.pl), 10);
	tu_teardown(&t);
}

struct stats_ctx {
	uint64_t n_packets, n_bytes;
	uint32_t port;
	unsigned n;
};

static int
stats_visit(const struct dp_rule *r, const struct dp_rule_stats *st, void *arg)
{
	struct stats_ctx *s = arg;

	s->n_packets = st->n_packets;
	s->n_bytes = st->n_bytes;
	s->port = r->actions[0].u.port;
	s->n++;
	return 0;
}

static void
test_counters_and_replace(void **state)
{
	struct stats_ctx s;
	struct dp_rule r;
	uint8_t b[128];
	size_t len = udp_frame(b, 0x0a000002);
	struct tu t;

	(void)state;
	assert_int_equal(tu_setup(&t, 64, 0), 0);
	dst_rule(&r, 5, 0x0a000002, 1);
	assert_int_equal(tu_install(t.pl, &r, 1), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(port_of(&t, b, len), 1);
	memset(&s, 0, sizeof(s));
	assert_int_equal(dp_pipeline_dump(t.pl, 0, stats_visit, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.n_packets, 3);
	assert_int_equal(s.n_bytes, 3 * len);
	memset(&s, 0, sizeof(s));
	assert_int_equal(dp_pipeline_dump(t.pl, 1, stats_visit, &s), 0);
	assert_int_equal(s.n, 0);

	dst_rule(&r, 5, 0x0a000002, 4);
	assert_int_equal(tu_install(t.pl, &r, 1), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(dp_pipeline_dump(t.pl, -1, stats_visit, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.port, 4);
	assert_int_equal(s.n_packets, 0);
	assert_int_equal(port_of(&t, b, len), 4);
	tu_teardown(&t);
}

static void
test_cache_invalidation(void **state)
{
	struct dp_cache_stats cs;
	struct dp_rule r;
	uint8_t b[128];
	size_t len = udp_frame(b, 0x0a000002);
	struct tu t;

	(void)state;
	assert_int_equal(tu_setup(&t, 64, 0), 0);
	dst_rule(&r, 5, 0x0a000002, 1);
	assert_int_equal(tu_install(t.pl, &r, 1), 0);
	assert_int_equal(port_of(&t, b, len), 1);
	assert_int_equal(port_of(&t, b, len), 1);
	dp_pipeline_cache_stats(t.pl, &cs);
	assert_int_equal(cs.misses, 1);
	assert_int_equal(cs.hits, 1);
	assert_int_equal(cs.inserts, 1);
	assert_int_equal(cs.entries_max, 64);
	assert_int_equal(cs.n_subtables, 1);

	/* A higher-priority rule in another subtable: the entry is stale. */
	tu_rule(&r, 0, 9, 2);
	r.mask.nw_src = UINT32_MAX;
	r.match.nw_src = htonl(0x0a000001);
	assert_int_equal(tu_install(t.pl, &r, 1), 0);
	assert_int_equal(port_of(&t, b, len), 2);
	dp_pipeline_cache_stats(t.pl, &cs);
	assert_int_equal(cs.misses, 2);
	assert_int_equal(cs.n_subtables, 2);
	assert_int_equal(port_of(&t, b, len), 2);
	dp_pipeline_cache_stats(t.pl, &cs);
	assert_int_equal(cs.hits, 2);

	dp_pipeline_flush_cache(t.pl);
	assert_int_equal(port_of(&t, b, len), 2);
	dp_pipeline_cache_stats(t.pl, &cs);
	assert_int_equal(cs.misses, 3);
	tu_teardown(&t);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A one-rule commit costs the same with 100k rules present. */
static void
test_commit_cost(void **state)
{
	enum { N = 100000 };
	struct dp_rule *r = calloc(N + 1, sizeof(*r));
	double t0, t1, t2;
	uint8_t b[128];
	size_t len;
	struct tu t;

	(void)state;
	assert_non_null(r);
	assert_int_equal(tu_setup(&t, 64, 0), 0);
	for (uint32_t i = 0; i <= N; i++)
		dst_rule(&r[i], 1, 0x0b000000u + i, 1 + i % 100);
	t0 = now_s();
	assert_int_equal(tu_install(t.pl, r, N), 0);
	t1 = now_s();
	assert_int_equal(tu_install(t.pl, &r[N], 1), 0);
	t2 = now_s();
	print_message("install %d rules: %.3f s, then 1 rule: %.1f us\n", N,
		      t1 - t0, (t2 - t1) * 1e6);
	/* Generous bounds: sanitizers and a loaded machine. */
	assert_true(t1 - t0 < 10.0);
	assert_true(t2 - t1 < 0.05);
	len = udp_frame(b, 0x0b000000u + 777);
	assert_int_equal(port_of(&t, b, len), 1 + 777 % 100);
	len = udp_frame(b, 0x0b000000u + N);
	assert_int_equal(port_of(&t, b, len), 1 + N % 100);
	assert_int_equal(dp_pipeline_n_rules(t.pl), N + 1);
	tu_teardown(&t);
	free(r);
}

/*
 * Atomicity under load: a worker thread forwards one flow while the
 * control thread replaces its rule (delete by cookie + add, in one
 * transaction, alternating masks and ports) hundreds of times. Every
 * packet must leave by the old or the new rule: no miss, no drop.
 */
struct load {
	struct dp_pipeline *pl;
	volatile int stop;
	uint64_t n_tx, n_bad;
	int rc;
};

static void *
load_main(void *arg)
{
	struct load *l = arg;
	struct dp_packet_ops ops = {.clone = tu_clone};
	struct dp_burst_out *out = malloc(sizeof(*out));
	struct dp_worker *w;
	uint8_t b[128];
	size_t len = udp_frame(b, 0x0a000002);

	l->rc = dp_worker_create(l->pl, 0, &ops, &w);
	if (l->rc < 0 || out == NULL)
		return NULL;
	while (!__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE)) {
		struct dp_packet *p[4];

		for (int i = 0; i < 4; i++)
			p[i] = tu_pkt_new(b, (uint32_t)len, 1);
		dp_worker_process(w, p, 4, out);
		__atomic_store_n(&l->n_tx, l->n_tx + out->n_tx,
				 __ATOMIC_RELEASE);
		for (unsigned i = 0; i < out->n_tx; i++)
			if (out->tx_port[i] != 1 && out->tx_port[i] != 2)
				l->n_bad++;
		l->n_bad += out->n_drop + out->n_punt;
		tu_out_free(out);
		dp_worker_quiescent(w);
	}
	dp_worker_destroy(w);
	free(out);
	return NULL;
}

static void
test_atomic_replace_under_load(void **state)
{
	struct dp_pipeline_config cfg = {.n_workers = 1, .cache_entries = 64};
	struct load l;
	struct dp_rule r;
	pthread_t th;
	char err[128];

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(dp_pipeline_create(&cfg, &l.pl), 0);
	dst_rule(&r, 5, 0x0a000002, 1);
	r.cookie = 1;
	assert_int_equal(tu_install(l.pl, &r, 1), 0);
	assert_int_equal(pthread_create(&th, NULL, load_main, &l), 0);
	while (__atomic_load_n(&l.n_tx, __ATOMIC_ACQUIRE) == 0)
		sched_yield();
	for (int i = 0; i < 300; i++) {
		struct dp_txn *txn;

		assert_int_equal(dp_txn_begin(l.pl, &txn), 0);
		assert_int_equal(dp_txn_del_cookie(txn, -1, 1, UINT64_MAX), 0);
		if (i % 2) {
			dst_rule(&r, 5, 0x0a000002, 1);
		} else {
			tu_rule(&r, 0, (uint32_t)(1 + i % 7), 2);
			r.mask.nw_src = UINT32_MAX;
			r.match.nw_src = htonl(0x0a000001);
		}
		r.cookie = 1;
		assert_int_equal(dp_txn_add(txn, &r, err, sizeof(err)), 0);
		assert_int_equal(dp_txn_commit(txn, err, sizeof(err)), 0);
		if (i % 50 == 0)
			dp_pipeline_flush_cache(l.pl);
		assert_int_equal(dp_pipeline_n_rules(l.pl), 1);
	}
	__atomic_store_n(&l.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	assert_int_equal(l.rc, 0);
	print_message("forwarded %llu packets during 300 replacements\n",
		      (unsigned long long)l.n_tx);
	assert_true(l.n_tx > 0);
	assert_int_equal(l.n_bad, 0);
	dp_pipeline_destroy(l.pl);
}

/* Two workers on two threads: per-worker counters add up in the dump. */
struct two {
	struct dp_pipeline *pl;
	unsigned idx;
	unsigned n_tx;
	int rc;
};

static void *
two_main(void *arg)
{
	struct two *tw = arg;
	struct dp_packet_ops ops = {.clone = tu_clone};
	struct dp_burst_out *out = malloc(sizeof(*out));
	struct dp_worker *w;
	uint8_t b[128];
	size_t len = udp_frame(b, 0x0a000002);

	tw->rc = dp_worker_create(tw->pl, tw->idx, &ops, &w);
	if (tw->rc < 0 || out == NULL) {
		free(out);
		return NULL;
	}
	for (int i = 0; i < 1000; i++) {
		struct dp_packet *p[DP_BURST];

		for (int j = 0; j < DP_BURST; j++)
			p[j] = tu_pkt_new(b, (uint32_t)len, 1);
		dp_worker_process(w, p, DP_BURST, out);
		tw->n_tx += out->n_tx;
		tu_out_free(out);
		dp_worker_quiescent(w);
	}
	dp_worker_destroy(w);
	free(out);
	return NULL;
}

static void
test_two_workers(void **state)
{
	struct dp_pipeline_config cfg = {.n_workers = 2, .cache_entries = 64};
	struct dp_pipeline *pl;
	struct two tw[2];
	pthread_t th[2];
	struct stats_ctx s;
	struct dp_rule r;

	(void)state;
	assert_int_equal(dp_pipeline_create(&cfg, &pl), 0);
	dst_rule(&r, 5, 0x0a000002, 1);
	assert_int_equal(tu_install(pl, &r, 1), 0);
	for (unsigned i = 0; i < 2; i++) {
		memset(&tw[i], 0, sizeof(tw[i]));
		tw[i].pl = pl;
		tw[i].idx = i;
		assert_int_equal(pthread_create(&th[i], NULL, two_main, &tw[i]),
				 0);
	}
	for (unsigned i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(tw[i].rc, 0);
		assert_int_equal(tw[i].n_tx, 1000 * DP_BURST);
	}
	memset(&s, 0, sizeof(s));
	assert_int_equal(dp_pipeline_dump(pl, -1, stats_visit, &s), 0);
	assert_int_equal(s.n_packets, 2 * 1000 * DP_BURST);
	dp_pipeline_destroy(pl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abort_and_busy),
		cmocka_unit_test(test_rules_max),
		cmocka_unit_test(test_counters_and_replace),
		cmocka_unit_test(test_cache_invalidation),
		cmocka_unit_test(test_commit_cost),
		cmocka_unit_test(test_atomic_replace_under_load),
		cmocka_unit_test(test_two_workers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
