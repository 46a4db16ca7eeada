/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pl_esp_test_util.h: what the ESP unit tests (pipeline_esp_test.c,
 * pipeline_esp6_test.c) share on top of pl_test_util.h: the two sites'
 * pipelines, a set_field action for a MAC, an SA's counters by id, a
 * pipeline drop counter.
 * Header-only, static functions, for cmocka tests (asserts on failure).
 */
#ifndef SLUICE_PL_ESP_TEST_UTIL_H
#define SLUICE_PL_ESP_TEST_UTIL_H

#include "pl_esp.h"
#include "pl_test_util.h"

/* Two pipelines: site A encrypts, site B decrypts. */
struct pair {
	struct tu a, b;
};

static inline void
pair_teardown(struct pair *p)
{
	tu_teardown(&p->a);
	tu_teardown(&p->b);
}

/* Append set_field:MAC->f to r. */
static inline void
set_mac(struct dp_rule *r, enum dp_field f, const uint8_t *mac)
{
	struct dp_action *a = tu_act(r, DP_ACT_SET_FIELD);

	a->u.set.field = (uint16_t)f;
	memcpy(a->u.set.value, mac, 6);
}

/* pl_esp_sa_dump() visitor: copy the SA into arg. */
static inline int
info_cb(const struct dp_sa_info *si, void *arg)
{
	*(struct dp_sa_info *)arg = *si;
	return 0;
}

/* SA id of pl with its counters (it must exist). */
static inline struct dp_sa_info
sa_get(struct dp_pipeline *pl, uint32_t id)
{
	struct dp_sa_info si;

	memset(&si, 0, sizeof(si));
	assert_int_equal(pl_esp_sa_dump(pl, id, info_cb, &si), 0);
	return si;
}

/* Packets pl dropped for reason r. */
static inline uint64_t
drops(struct dp_pipeline *pl, enum dp_drop_reason r)
{
	uint64_t d[DP_DROP__COUNT];

	dp_pipeline_drop_stats(pl, d);
	return d[r];
}

#endif /* SLUICE_PL_ESP_TEST_UTIL_H */
