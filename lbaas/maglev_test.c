// SPDX-License-Identifier: BSD-2-Clause
/*
 * maglev_test.c: unit tests of the Maglev table builder: balance with
 * equal weights, shares in proportion to weights, the disruption bound
 * when one of N backends goes away, and argument checks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "maglev.h"

#define T_SIZE MAGLEV_SIZE_DEFAULT

static void
t_backends(struct maglev_backend *b, uint32_t n, uint32_t weight)
{
	char name[64];
	uint32_t i;

	for (i = 0; i < n; i++) {
		int len = snprintf(name, sizeof(name),
				   "member-%08x-0000-4000-8000-%012x", i,
				   i * 7919u);

		b[i].key = maglev_key(name, (size_t)len);
		b[i].weight = weight;
	}
}

static void
t_count(const uint32_t *table, uint32_t n, uint32_t *count)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		count[i] = 0;
	for (i = 0; i < T_SIZE; i++) {
		assert_true(table[i] < n);
		count[table[i]]++;
	}
}

static void
test_primes(void **state)
{
	(void)state;
	assert_true(maglev_is_prime(65537));
	assert_true(maglev_is_prime(2));
	assert_false(maglev_is_prime(65536));
	assert_false(maglev_is_prime(1));
	assert_int_equal(maglev_size_for(3), 65537);
	assert_int_equal(maglev_size_for(655), 65537);
	/* 100 x 1000 = 100000; the next prime is 100003. */
	assert_int_equal(maglev_size_for(1000), 100003);
}

static void
test_bad_args(void **state)
{
	uint32_t *table = malloc(T_SIZE * sizeof(*table));
	struct maglev_backend b[2];

	(void)state;
	assert_non_null(table);
	t_backends(b, 2, 1);
	assert_int_equal(maglev_build(b, 2, 65536, table), -EINVAL);
	assert_int_equal(maglev_build(b, 2, 2, table), -EINVAL);
	b[1].weight = MAGLEV_WEIGHT_MAX + 1;
	assert_int_equal(maglev_build(b, 2, T_SIZE, table), -EINVAL);
	/* No weight anywhere: every entry empty. */
	b[0].weight = 0;
	b[1].weight = 0;
	assert_int_equal(maglev_build(b, 2, T_SIZE, table), 0);
	assert_int_equal(table[0], MAGLEV_EMPTY);
	assert_int_equal(table[T_SIZE - 1], MAGLEV_EMPTY);
	assert_int_equal(maglev_build(b, 0, T_SIZE, table), 0);
	free(table);
}

static void
test_balance_equal(void **state)
{
	uint32_t *table = malloc(T_SIZE * sizeof(*table));
	struct maglev_backend b[10];
	uint32_t count[10], i, hits[10] = {0};
	double even = (double)T_SIZE / 10, max_dev = 0;

	(void)state;
	assert_non_null(table);
	t_backends(b, 10, 1);
	assert_int_equal(maglev_build(b, 10, T_SIZE, table), 0);
	t_count(table, 10, count);
	for (i = 0; i < 10; i++) {
		double dev = (count[i] - even) / even;

		if (dev > max_dev)
			max_dev = dev;
		if (-dev > max_dev)
			max_dev = -dev;
		assert_true(dev < 0.02 && dev > -0.02);
	}
	printf("maglev: 10 equal members: entries within %.3f%% of even\n",
	       max_dev * 100);
	/* Lookups by hash land on every backend. */
	for (i = 0; i < 100000; i++)
		hits[maglev_lookup(table, T_SIZE, i * 2654435761u)]++;
	for (i = 0; i < 10; i++)
		assert_true(hits[i] > 9000 && hits[i] < 11000);
	free(table);
}

static void
test_weights(void **state)
{
	uint32_t *table = malloc(T_SIZE * sizeof(*table));
	struct maglev_backend b[4];
	uint32_t count[4], i;
	/* Weights 1, 2, 3 and 0 (drained): shares 1/6, 2/6, 3/6, 0. */
	static const uint32_t w[4] = {1, 2, 3, 0};

	(void)state;
	assert_non_null(table);
	t_backends(b, 4, 1);
	for (i = 0; i < 4; i++)
		b[i].weight = w[i];
	assert_int_equal(maglev_build(b, 4, T_SIZE, table), 0);
	t_count(table, 4, count);
	assert_int_equal(count[3], 0);
	for (i = 0; i < 3; i++) {
		double want = (double)T_SIZE * w[i] / 6;
		double dev = (count[i] - want) / want;

		printf("maglev: weight %u: %u entries (%.2f%% off the "
		       "proportional share)\n",
		       w[i], count[i], dev * 100);
		assert_true(dev < 0.03 && dev > -0.03);
	}
	free(table);
}

/* Remove backend `gone` of n and count the entries that changed. */
static double
t_disruption(uint32_t n, uint32_t gone, uint32_t *t1, uint32_t *t2)
{
	struct maglev_backend b[64], b2[64];
	uint32_t i, j = 0, map[64], changed = 0, moved_other = 0;

	t_backends(b, n, 1);
	for (i = 0; i < n; i++) {
		if (i == gone)
			continue;
		map[j] = i;
		b2[j++] = b[i];
	}
	assert_int_equal(maglev_build(b, n, T_SIZE, t1), 0);
	assert_int_equal(maglev_build(b2, n - 1, T_SIZE, t2), 0);
	for (i = 0; i < T_SIZE; i++) {
		uint32_t now = map[t2[i]];

		if (now != t1[i]) {
			changed++;
			if (t1[i] != gone)
				moved_other++;
		}
	}
	printf("maglev: remove 1 of %u: %.2f%% of %u entries changed "
	       "(1/N = %.2f%%; %.2f%% were not on the removed member)\n",
	       n, 100.0 * changed / T_SIZE, T_SIZE, 100.0 / n,
	       100.0 * moved_other / T_SIZE);
	return (double)changed / T_SIZE;
}

static void
test_disruption(void **state)
{
	uint32_t *t1 = malloc(T_SIZE * sizeof(*t1));
	uint32_t *t2 = malloc(T_SIZE * sizeof(*t2));
	static const uint32_t ns[] = {3, 5, 10, 20, 50};
	size_t k;

	(void)state;
	assert_non_null(t1);
	assert_non_null(t2);
	for (k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		double d = t_disruption(ns[k], ns[k] / 2, t1, t2);

		assert_true(d <= 1.0 / ns[k] + 0.02);
		/* At least the removed member's share moves. */
		assert_true(d >= 1.0 / ns[k] - 0.01);
	}
	free(t1);
	free(t2);
}

static double
t_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Build time, printed for docs/lbaas.md (asserts only a loose bound). */
static void
test_build_time(void **state)
{
	static const uint32_t ns[] = {10, 100, 600};
	uint32_t *table = malloc(T_SIZE * sizeof(*table));
	struct maglev_backend *b = calloc(600, sizeof(*b));
	size_t k;

	(void)state;
	assert_non_null(table);
	assert_non_null(b);
	for (k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		double t0;

		t_backends(b, ns[k], 1);
		t0 = t_ms();
		assert_int_equal(maglev_build(b, ns[k], T_SIZE, table), 0);
		printf("maglev: build of %u entries for %u members: %.2f ms\n",
		       T_SIZE, ns[k], t_ms() - t0);
		assert_true(t_ms() - t0 < 1000);
	}
	free(b);
	free(table);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_primes),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_balance_equal),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_disruption),
		cmocka_unit_test(test_build_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
