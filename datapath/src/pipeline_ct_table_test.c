/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline_ct_table_test.c: the connection table's layout (tagged slots
 * in a group line, overflow chains) against a model. Random UDP packets
 * of a fixed set of tuples, both directions, commit or not, on an
 * injected clock that expires connections, with sweeps, zone flushes and
 * commits into a full table that evict; every answer of the table is
 * checked against the model (a connection found is always the one the
 * model has, with its mark; one the model has is missing only when an
 * eviction explains it), and every 64 steps the table's invariants
 * (pl_ct_test_check()), a dump against the model, and the table's lookup
 * against an exhaustive search of every group (pl_ct_test_find()).
 * Tables of normal hashing and of forced group and tag collisions (the
 * test hook pl_ct_test_collide()): one group, every tag equal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pl_ct.h"

enum { TT_MAX_TUPLES = 2048, TT_CHECK_EVERY = 64, TT_STEPS = 20000 };

struct tt_conn {
	bool is_in;
	bool is_replied;
	uint32_t mark;
	uint32_t expires;
};

struct tt {
	struct pl_ct *ct;
	uint32_t now;
	uint32_t n_tuples;
	uint32_t next_mark;
	uint64_t rng;
	uint64_t evicted_seen; /* evictions the model was told of */
	uint64_t explained;    /* of them, matched to a missing connection */
	struct tt_conn m[TT_MAX_TUPLES];
	uint8_t dumped[TT_MAX_TUPLES];
};

static uint32_t
tt_clock(void *arg)
{
	return ((const struct tt *)arg)->now;
}

static uint32_t
tt_rand(struct tt *t)
{
	/* xorshift64 */
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	return (uint32_t)(t->rng >> 16);
}

static uint16_t
tt_zone(uint32_t i)
{
	return (uint16_t)(i % 3);
}

/* Tuple i's original direction (network order). */
static void
tt_tuple(uint32_t i, struct dp_ct_tuple *u)
{
	uint32_t src = htonl(0x0a000000u | i), dst = htonl(0x0a010001u + i % 3);

	memset(u, 0, sizeof(*u));
	memcpy(u->src, &src, 4);
	memcpy(u->dst, &dst, 4);
	u->sport = htons((uint16_t)(1000 + i));
	u->dport = htons(53);
}

static bool
tt_live(const struct tt *t, uint32_t i)
{
	return t->m[i].is_in && (int32_t)(t->now - t->m[i].expires) < 0;
}

/* Evictions the table counted that the model has not matched yet. */
static uint64_t
tt_unexplained(struct tt *t)
{
	struct dp_ct_stats st;

	pl_ct_stats(t->ct, &st);
	t->evicted_seen = st.evicted;
	return t->evicted_seen - t->explained;
}

/* The model had i, the table has not: an eviction must account for it. */
static void
tt_lost(struct tt *t, uint32_t i)
{
	if (tt_unexplained(t) == 0)
		fail_msg("connection %u (mark %u) lost without an eviction", i,
			 t->m[i].mark);
	t->explained++;
	t->m[i].is_in = false;
}

/* One packet of tuple i in direction dir, committed (dir 0) or not. */
static void
tt_packet(struct tt *t, uint32_t i, unsigned dir, bool is_commit)
{
	struct dp_act_ct a = {.zone = tt_zone(i)};
	struct dp_packet pkt = {.len = 64};
	struct pl_pctx c;
	struct dp_ct_tuple u;
	uint32_t s, d;
	uint16_t sp, dp;
	bool is_live = tt_live(t, i);
	uint8_t cs;

	tt_tuple(i, &u);
	memcpy(&s, dir ? u.dst : u.src, 4);
	memcpy(&d, dir ? u.src : u.dst, 4);
	sp = dir ? u.dport : u.sport;
	dp = dir ? u.sport : u.dport;
	memset(&c, 0, sizeof(c));
	c.pkt = &pkt;
	c.key.eth_type = htons(0x0800);
	c.key.nw_proto = 17;
	c.key.nw_src = s;
	c.key.nw_dst = d;
	c.key.tp_src = sp;
	c.key.tp_dst = dp;
	if (is_commit) {
		a.flags = DP_CT_COMMIT | DP_CT_SET_MARK;
		a.mark = ++t->next_mark;
	}
	pl_ct_exec(t->ct, 0, &c, &a, false);
	cs = c.key.ct_state;
	if (cs & DP_CS_INV)
		fail_msg("tuple %u dir %u: invalid (0x%x)", i, dir, cs);
	if (cs & DP_CS_EST) {
		/* Found: only ever the model's connection, with its mark. */
		if (!is_live)
			fail_msg("tuple %u dir %u: found a connection the "
				 "model has not",
				 i, dir);
		/* ct(commit,mark=M) sets an existing connection's mark. */
		if (is_commit)
			t->m[i].mark = a.mark;
		assert_int_equal(c.key.ct_mark, t->m[i].mark);
		assert_int_equal(!!(cs & DP_CS_RPL), dir);
		if (dir == 1)
			t->m[i].is_replied = true;
		t->m[i].expires = t->now + (t->m[i].is_replied ? 120 : 30);
		return;
	}
	assert_true(cs & DP_CS_NEW);
	if (is_live)
		tt_lost(t, i);
	t->m[i].is_in = false;
	if (is_commit) {
		t->m[i].is_in = true;
		t->m[i].is_replied = false;
		t->m[i].mark = a.mark;
		t->m[i].expires = t->now + 30;
		assert_int_equal(c.key.ct_mark, a.mark);
	}
}

static int
tt_visit(const struct dp_ct_entry *e, void *arg)
{
	struct tt *t = arg;
	struct dp_ct_tuple u;
	uint32_t src, i;

	memcpy(&src, e->orig.src, 4);
	i = ntohl(src) & 0xffff;
	assert_true(i < t->n_tuples);
	tt_tuple(i, &u);
	assert_memory_equal(&e->orig, &u, sizeof(u));
	assert_int_equal(e->zone, tt_zone(i));
	if (!tt_live(t, i))
		fail_msg("dump: tuple %u the model has not", i);
	assert_int_equal(e->mark, t->m[i].mark);
	assert_int_equal(t->dumped[i], 0);
	t->dumped[i] = 1;
	return 0;
}

/* The invariants, a dump against the model, lookups against a search. */
static void
tt_check(struct tt *t)
{
	struct pl_ct_check chk;

	assert_int_equal(pl_ct_test_check(t->ct, &chk), 0);
	memset(t->dumped, 0, sizeof(t->dumped));
	assert_int_equal(pl_ct_dump(t->ct, DP_CT_ZONE_ALL, tt_visit, t), 0);
	for (uint32_t i = 0; i < t->n_tuples; i++)
		if (tt_live(t, i) && !t->dumped[i])
			tt_lost(t, i);
	for (unsigned k = 0; k < 16; k++) {
		uint32_t i = tt_rand(t) % t->n_tuples, fast, slow;
		unsigned dir = tt_rand(t) & 1;
		struct dp_ct_tuple u, r;

		tt_tuple(i, &u);
		r = u;
		if (dir) {
			memcpy(r.src, u.dst, 16);
			memcpy(r.dst, u.src, 16);
			r.sport = u.dport;
			r.dport = u.sport;
		}
		assert_int_equal(pl_ct_test_find(t->ct, &r, tt_zone(i), 17, 4,
						 &fast, &slow),
				 0);
		assert_int_equal(fast, slow);
		/* Linked (perhaps expired, not yet removed) when live. */
		if (tt_live(t, i))
			assert_int_not_equal(slow, 0);
	}
}

static void
tt_run(uint32_t ct_max, uint32_t n_tuples, uint32_t gmask, uint8_t tag_mask,
       uint64_t seed)
{
	struct tt *t = calloc(1, sizeof(*t));
	struct pl_ct_check chk;

	assert_non_null(t);
	assert_true(n_tuples <= TT_MAX_TUPLES);
	assert_int_equal(pl_ct_create(ct_max, &t->ct), 0);
	if (gmask != UINT32_MAX)
		assert_int_equal(pl_ct_test_collide(t->ct, gmask, tag_mask), 0);
	t->now = 1;
	t->n_tuples = n_tuples;
	t->rng = seed;
	pl_ct_set_clock(t->ct, tt_clock, t);
	pl_ct_burst(t->ct, 0);
	for (unsigned step = 1; step <= TT_STEPS; step++) {
		uint32_t r = tt_rand(t) % 100, i = tt_rand(t) % n_tuples;

		if (r < 85) {
			unsigned dir = tt_rand(t) % 3 == 0;

			tt_packet(t, i, dir, dir == 0 && tt_rand(t) % 2);
		} else if (r < 93) {
			t->now += tt_rand(t) % 12;
			pl_ct_burst(t->ct, 0);
		} else if (r < 99) {
			pl_ct_sweep(t->ct, 0, 1 + tt_rand(t) % 8);
		} else if (tt_rand(t) % 8 == 0) {
			uint16_t z = tt_zone(i);

			(void)pl_ct_flush(t->ct, z);
			for (uint32_t j = 0; j < n_tuples; j++)
				if (tt_zone(j) == z)
					t->m[j].is_in = false;
		}
		if (step % TT_CHECK_EVERY == 0)
			tt_check(t);
	}
	tt_check(t);
	/*
	 * Every connection lost was an eviction (not the converse: one
	 * evicted and then expired in the model is never asked about).
	 */
	(void)tt_unexplained(t);
	assert_true(t->explained <= t->evicted_seen);
	assert_int_equal(pl_ct_test_check(t->ct, &chk), 0);
	pl_ct_destroy(t->ct);
	free(t);
}

/* Hashing as in production: 64 groups, evictions (more tuples). */
static void
test_normal(void **state)
{
	(void)state;
	tt_run(256, 512, UINT32_MAX, 0xff, 0x9e3779b97f4a7c15ull);
	tt_run(1024, 900, UINT32_MAX, 0xff, 0x1234567ull);
}

/* Every tag equal: lookups compare every slot's connection. */
static void
test_tag_collisions(void **state)
{
	(void)state;
	tt_run(256, 512, 15, 0, 0xdeadbeefull);
	tt_run(512, 700, 31, 0x1, 0xfeedull);
}

/* One group: eleven slots and a long overflow chain. */
static void
test_group_collisions(void **state)
{
	(void)state;
	tt_run(64, 128, 0, 0xff, 0xabcdefull);
	tt_run(128, 120, 0, 0, 0x5555ull);
	tt_run(256, 600, 3, 0x3, 0x77ull);
}

/* The hook refuses a table in use and a group count not a power of 2. */
static void
test_collide_hook(void **state)
{
	struct pl_ct *ct;

	(void)state;
	assert_int_equal(pl_ct_create(256, &ct), 0);
	assert_int_equal(pl_ct_test_collide(ct, 5, 0xff), -EINVAL);
	assert_int_equal(pl_ct_test_collide(ct, 1u << 20, 0xff), -EINVAL);
	assert_int_equal(pl_ct_test_collide(ct, 7, 0xff), 0);
	pl_ct_destroy(ct);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal),
		cmocka_unit_test(test_tag_collisions),
		cmocka_unit_test(test_group_collisions),
		cmocka_unit_test(test_collide_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
