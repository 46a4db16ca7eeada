/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline_ct_race_test.c: lookups without the lock (ct_lookup_ro())
 * while another thread changes the same groups. A reader thread (worker
 * slot 0) looks up random tuples of a small set in both directions,
 * never committing; a writer thread (slot 1) commits, replies, expires
 * (an injected clock it advances), flushes and, the table being smaller
 * than the set, evicts, so that the entries and links the reader reads
 * are being unlinked and reused under it. Every connection's mark names
 * its tuple (index << 16 | a generation): a lookup that answered from an
 * entry reused for another tuple, or read half of a change, would give a
 * mark of another tuple or the wrong direction. The reader writes too:
 * its first reply packet of a connection changes the state word, and each
 * tick of the clock the expiry, which ct_lookup_ro() does under the lock
 * taken from the sequence count it read (CAS), the other way it is
 * tested. Tables of normal hashing
 * (most lookups lockless) and of forced collisions (few groups, 2-bit
 * tags, long overflow chains: the lockless path gives up more often).
 * The table's invariants are checked after each run. Every other lookup
 * of the reader goes through the worker's prefetch stage first (the hash
 * and the slot hint it hands the lookup, ct_hash and ct_hint), so that a
 * hint made stale by the writer in between is tested too.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "pl_ct.h"

/*
 * Each run goes on until the reader has made RT_READS lookups, the writer
 * RT_WRITES changes, and RT_OVERLAP of the lookups overlapped a change
 * (the writer's count of changes moved during the lookup), so that a
 * busy machine, where the two threads share a CPU and take turns, runs
 * longer instead of testing less; at most RT_SECONDS.
 */
enum {
	RT_READS = 1500000,
	RT_WRITES = 300000,
	RT_OVERLAP = 50000,
	RT_SECONDS = 40,
};

struct rt {
	struct pl_ct *ct;
	uint32_t n_tuples;
	uint32_t now;	     /* atomic: the clock */
	uint32_t stop;	     /* atomic: the main thread's end of the run */
	uint64_t reads;	     /* atomic: reader's lookups */
	uint64_t writes;     /* atomic: writer's changes */
	uint64_t overlapped; /* atomic: lookups during which writes moved */
	uint64_t found;	     /* reader: lookups that found */
	uint64_t wrong;	     /* reader: found the wrong one */
	char what[160];	     /* reader: the first wrong answer */
	uint64_t commits;    /* writer */
};

static uint32_t
rt_clock(void *arg)
{
	return __atomic_load_n(&((struct rt *)arg)->now, __ATOMIC_RELAXED);
}

static uint32_t
rt_rand(uint64_t *r)
{
	*r ^= *r << 13;
	*r ^= *r >> 7;
	*r ^= *r << 17;
	return (uint32_t)(*r >> 16);
}

/*
 * One UDP packet of tuple i in direction dir; its ct_state, *mark. pre:
 * through the prefetch stage first, as a worker does.
 */
static uint8_t
rt_packet(struct rt *t, unsigned slot, uint32_t i, unsigned dir,
	  uint32_t commit_mark, bool pre, uint32_t *mark)
{
	struct dp_act_ct a = {.zone = (uint16_t)(i % 2)};
	struct dp_packet pkt = {.len = 64};
	uint32_t cl = htonl(0x0a000000u | i), sv = htonl(0x0a010001u);
	uint16_t cp = htons((uint16_t)(1000 + i)), sp = htons(53);
	struct pl_pctx c;

	memset(&c, 0, sizeof(c));
	c.pkt = &pkt;
	c.key.eth_type = htons(0x0800);
	c.key.nw_proto = 17;
	c.key.nw_src = dir ? sv : cl;
	c.key.nw_dst = dir ? cl : sv;
	c.key.tp_src = dir ? sp : cp;
	c.key.tp_dst = dir ? cp : sp;
	if (commit_mark != 0) {
		a.flags = DP_CT_COMMIT | DP_CT_SET_MARK;
		a.mark = commit_mark;
	}
	if (pre) {
		c.ct_hash = pl_ct_prefetch_group(t->ct, &c.key, a.zone);
		if (c.ct_hash != 0)
			c.ct_hint = pl_ct_prefetch_conn(t->ct, c.ct_hash,
							c.key.eth_type ==
								htons(0x86dd));
	}
	pl_ct_exec(t->ct, slot, &c, &a, false);
	*mark = c.key.ct_mark;
	return c.key.ct_state;
}

static void *
rt_reader(void *arg)
{
	struct rt *t = arg;
	uint64_t r = 0x9e3779b97f4a7c15ull;

	for (uint64_t n = 0; !__atomic_load_n(&t->stop, __ATOMIC_RELAXED);
	     n++) {
		uint32_t v = rt_rand(&r), i = v % t->n_tuples, mark;
		unsigned dir = (v >> 24) & 1;
		uint64_t w0 = __atomic_load_n(&t->writes, __ATOMIC_RELAXED);
		uint8_t cs;

		if (n % 64 == 0) {
			pl_ct_burst(t->ct, 0);
			pl_ct_quiescent(t->ct, 0);
		}
		cs = rt_packet(t, 0, i, dir, 0, n & 1, &mark);
		__atomic_store_n(&t->reads, n + 1, __ATOMIC_RELAXED);
		if (__atomic_load_n(&t->writes, __ATOMIC_RELAXED) != w0)
			__atomic_store_n(&t->overlapped, t->overlapped + 1,
					 __ATOMIC_RELAXED);
		if (!(cs & DP_CS_EST))
			continue;
		t->found++;
		if (mark >> 16 != i || !!(cs & DP_CS_RPL) != dir) {
			if (t->wrong++ == 0)
				snprintf(t->what, sizeof(t->what),
					 "tuple %u dir %u: mark %#x (tuple "
					 "%u), ct_state %#x",
					 i, dir, mark, mark >> 16, cs);
		}
	}
	return NULL;
}

static void *
rt_writer(void *arg)
{
	struct rt *t = arg;
	uint64_t r = 0x2545f4914f6cdd1dull;
	uint32_t gen = 0;

	for (uint32_t n = 0; !__atomic_load_n(&t->stop, __ATOMIC_RELAXED);
	     n++) {
		uint32_t v = rt_rand(&r), i = v % t->n_tuples, mark;

		if (n % 64 == 0) {
			pl_ct_burst(t->ct, 1);
			pl_ct_quiescent(t->ct, 1);
		}
		/* Every 4096: a second passes; every 50000: a flush. */
		if (n % 4096 == 4095)
			__atomic_add_fetch(&t->now, 1, __ATOMIC_RELAXED);
		if (n % 50000 == 49999)
			(void)pl_ct_flush(t->ct, v % 2);
		if ((v >> 24) % 4 == 0) {
			/* A reply: the state word changes once. */
			(void)rt_packet(t, 1, i, 1, 0, false, &mark);
		} else {
			gen = (gen + 1) & 0xffff;
			(void)rt_packet(t, 1, i, 0, i << 16 | gen | 1, false,
					&mark);
			t->commits++;
		}
		__atomic_store_n(&t->writes, n + 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void
rt_run(uint32_t ct_max, uint32_t n_tuples, uint32_t gmask, uint8_t tag_mask,
       double min_lockless)
{
	struct pl_ct_check chk;
	pthread_t rd, wr;
	uint64_t lockless, upgraded;
	struct timespec t0, t1;
	double secs;
	struct rt *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	assert_int_equal(pl_ct_create(ct_max, &t->ct), 0);
	if (gmask != 0)
		assert_int_equal(pl_ct_test_collide(t->ct, gmask, tag_mask), 0);
	t->n_tuples = n_tuples;
	t->now = 1;
	pl_ct_set_clock(t->ct, rt_clock, t);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pthread_create(&wr, NULL, rt_writer, t), 0);
	assert_int_equal(pthread_create(&rd, NULL, rt_reader, t), 0);
	do {
		const struct timespec tick = {0, 10 * 1000 * 1000};

		nanosleep(&tick, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs = (double)(t1.tv_sec - t0.tv_sec) +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	} while (secs < RT_SECONDS &&
		 (__atomic_load_n(&t->reads, __ATOMIC_RELAXED) < RT_READS ||
		  __atomic_load_n(&t->writes, __ATOMIC_RELAXED) < RT_WRITES ||
		  __atomic_load_n(&t->overlapped, __ATOMIC_RELAXED) <
			  RT_OVERLAP));
	__atomic_store_n(&t->stop, 1, __ATOMIC_RELAXED);
	pthread_join(wr, NULL);
	pthread_join(rd, NULL);
	pl_ct_test_lockless(t->ct, 0, &lockless, &upgraded);
	printf("ct_max %u tuples %u groups %s: %.1f s, %llu lookups (%llu "
	       "during a change), %llu found, %llu lockless (%llu of them "
	       "writing), %llu commits, %llu wrong\n",
	       ct_max, n_tuples, gmask != 0 ? "forced" : "hashed", secs,
	       (unsigned long long)t->reads, (unsigned long long)t->overlapped,
	       (unsigned long long)t->found,
	       (unsigned long long)(lockless + upgraded),
	       (unsigned long long)upgraded, (unsigned long long)t->commits,
	       (unsigned long long)t->wrong);
	if (t->wrong != 0)
		fail_msg("%llu wrong answers, the first: %s",
			 (unsigned long long)t->wrong, t->what);
	assert_int_equal(pl_ct_test_check(t->ct, &chk), 0);
	/* The threads ran at the same time enough for the race. */
	if (t->overlapped < RT_OVERLAP)
		fail_msg("only %llu lookups overlapped a change in %d s "
			 "(want %d): the race was not exercised",
			 (unsigned long long)t->overlapped, RT_SECONDS,
			 RT_OVERLAP);
	/* The lockless path was the one under test. */
	assert_true(t->found > 1000);
	assert_true((double)(lockless + upgraded) >=
		    min_lockless * (double)t->found);
	/* Both ways: the reader's replies and the clock make it write. */
	assert_true(lockless > 1000);
	assert_true(upgraded > 100);
	pl_ct_destroy(t->ct);
	free(t);
}

static void
test_race_hashed(void **state)
{
	(void)state;
	/* 512 tuples into 256 entries: evictions all the time. */
	rt_run(256, 512, 0, 0xff, 0.5);
}

static void
test_race_collide(void **state)
{
	(void)state;
	/* 16 groups, four tags: slots shared, long overflow chains. */
	rt_run(256, 384, 15, 0x03, 0.05);
}

static void
test_race_roomy(void **state)
{
	(void)state;
	/* Everything fits: only the writer's commits and replies race. */
	rt_run(4096, 1024, 0, 0xff, 0.5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_race_hashed),
		cmocka_unit_test(test_race_collide),
		cmocka_unit_test(test_race_roomy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
