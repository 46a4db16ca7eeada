/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * neigh_test.c: learned next hops' ages (neigh.h) on a fake clock: no
 * probe before the reachable time, probes every retransmit interval
 * after it, an answer that confirms (same MAC) or replaces (new MAC),
 * expiry after the last unanswered probe, a probe refused (router gone)
 * expiring at once, and keys by router and family.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "neigh.h"

struct calls {
	unsigned n_probes, n_expired;
	int probe_rc;
	struct neigh_entry last;
};

static int
on_probe(void *arg, const struct neigh_entry *e)
{
	struct calls *c = arg;

	c->n_probes++;
	c->last = *e;
	return c->probe_rc;
}

static void
on_expire(void *arg, const struct neigh_entry *e)
{
	struct calls *c = arg;

	c->n_expired++;
	c->last = *e;
}

static const uint8_t ip4[4] = {172, 24, 4, 1};
static const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t mac1[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t mac2[6] = {2, 0, 0, 0, 0, 2};

static void
test_defaults(void **state)
{
	struct neigh_table t;

	(void)state;
	neigh_init(&t, NULL);
	assert_int_equal(t.cfg.reachable_ms, 30000);
	assert_int_equal(t.cfg.retrans_ms, 1000);
	assert_int_equal(t.cfg.n_probes, 3);
	neigh_fini(&t);
	neigh_fini(&t);
}

static void
test_aging(void **state)
{
	struct neigh_config cfg = {
		.reachable_ms = 30000, .retrans_ms = 1000, .n_probes = 3};
	enum neigh_learned what;
	struct calls c = {0};
	struct neigh_table t;
	double now = 1000;

	(void)state;
	neigh_init(&t, &cfg);
	assert_int_equal(neigh_learn(&t, "r1", AF_INET, ip4, mac1, now, &what),
			 0);
	assert_int_equal(what, NEIGH_NEW);
	/* Reachable: nothing for 30 s. */
	for (now = 1000; now < 31000; now += 500)
		assert_int_equal(neigh_tick(&t, now, on_probe, on_expire, &c),
				 0);
	assert_int_equal(c.n_probes, 0);
	/* Stale: one probe a second, three in all. */
	assert_int_equal(neigh_tick(&t, 31000, on_probe, on_expire, &c), 0);
	assert_int_equal(c.n_probes, 1);
	assert_memory_equal(c.last.ip, ip4, 4);
	assert_string_equal(c.last.router_id, "r1");
	assert_int_equal(neigh_tick(&t, 31500, on_probe, on_expire, &c), 0);
	assert_int_equal(c.n_probes, 1);
	assert_int_equal(neigh_tick(&t, 32000, on_probe, on_expire, &c), 0);
	assert_int_equal(c.n_probes, 2);
	/* Answered (same MAC): reachable again, probes reset. */
	assert_int_equal(
		neigh_learn(&t, "r1", AF_INET, ip4, mac1, 32100, &what), 0);
	assert_int_equal(what, NEIGH_SAME);
	assert_int_equal(neigh_tick(&t, 33000, on_probe, on_expire, &c), 0);
	assert_int_equal(neigh_tick(&t, 62000, on_probe, on_expire, &c), 0);
	assert_int_equal(c.n_probes, 2);
	/* Then the MAC changes in an answer to a probe. */
	assert_int_equal(neigh_tick(&t, 62100, on_probe, on_expire, &c), 0);
	assert_int_equal(c.n_probes, 3);
	assert_int_equal(
		neigh_learn(&t, "r1", AF_INET, ip4, mac2, 62200, &what), 0);
	assert_int_equal(what, NEIGH_CHANGED);
	assert_memory_equal(neigh_lookup(&t, "r1", AF_INET, ip4)->mac, mac2, 6);
	/* No answer any more: 3 probes, then gone a second after the last
	 * (33 s after the last answer). */
	c.n_probes = 0;
	for (now = 62200; now < 92200 + 3000; now += 100)
		assert_int_equal(neigh_tick(&t, now, on_probe, on_expire, &c),
				 0);
	assert_int_equal(c.n_probes, 3);
	assert_int_equal(c.n_expired, 0);
	assert_non_null(neigh_lookup(&t, "r1", AF_INET, ip4));
	assert_int_equal(neigh_tick(&t, 95200, on_probe, on_expire, &c), 1);
	assert_int_equal(c.n_expired, 1);
	assert_memory_equal(c.last.mac, mac2, 6);
	assert_null(neigh_lookup(&t, "r1", AF_INET, ip4));
	assert_int_equal(t.n, 0);
	/* Learned again afterwards: new. */
	assert_int_equal(
		neigh_learn(&t, "r1", AF_INET, ip4, mac2, 96000, &what), 0);
	assert_int_equal(what, NEIGH_NEW);
	neigh_fini(&t);
}

static void
test_keys_and_refusal(void **state)
{
	enum neigh_learned what;
	struct calls c = {.probe_rc = -ENOENT};
	struct neigh_table t;
	uint8_t ip[4];

	(void)state;
	neigh_init(&t, NULL);
	/* The same address under two routers, IPv4 and IPv6: distinct. */
	assert_int_equal(neigh_learn(&t, "r1", AF_INET, ip4, mac1, 0, &what),
			 0);
	assert_int_equal(neigh_learn(&t, "r2", AF_INET, ip4, mac2, 0, &what),
			 0);
	assert_int_equal(what, NEIGH_NEW);
	assert_int_equal(neigh_learn(&t, "r1", AF_INET6, ip6, mac1, 0, &what),
			 0);
	assert_int_equal(what, NEIGH_NEW);
	assert_memory_equal(neigh_lookup(&t, "r2", AF_INET, ip4)->mac, mac2, 6);
	assert_null(neigh_lookup(&t, "r3", AF_INET, ip4));
	/* Many: the table grows. */
	for (unsigned i = 0; i < 40; i++) {
		memcpy(ip, ip4, 4);
		ip[3] = (uint8_t)(10 + i);
		assert_int_equal(
			neigh_learn(&t, "r1", AF_INET, ip, mac1, 5000, &what),
			0);
	}
	assert_int_equal(t.n, 43);
	/* Probes refused (routers gone): the stale ones expire at once. */
	assert_int_equal(neigh_tick(&t, 30000, on_probe, on_expire, &c), 3);
	assert_int_equal(c.n_probes, 3);
	assert_int_equal(t.n, 40);
	assert_int_equal(neigh_tick(&t, 35000, on_probe, on_expire, &c), 40);
	assert_int_equal(t.n, 0);
	neigh_learn(&t, "r1", AF_INET, ip4, mac1, 0, &what);
	neigh_clear(&t);
	assert_int_equal(t.n, 0);
	neigh_fini(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_aging),
		cmocka_unit_test(test_keys_and_refusal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
