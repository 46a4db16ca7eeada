/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pl_lb_test_util.h: what pipeline_lb_test.c (IPv4 pools) and
 * pipeline_lb6_test.c (IPv6 pools) share: the pipeline with the LB rules
 * on an injected clock, a small random generator and big-endian reads.
 * Header-only, for those test programs (include after pl_test_util.h).
 *
 * Rules: table 0 sends the client port's (1) packets to
 * lb_select(pool=1,zone=5,table=1) and the member port's (2) to
 * ct(zone=5,nat,table=1); table 1 drops +inv and outputs everything else
 * to port 3, so the frame that leaves shows the member that was picked.
 */
#ifndef SLUICE_PL_LB_TEST_UTIL_H
#define SLUICE_PL_LB_TEST_UTIL_H

#include "dp_flow_text.h"
#include "pl_ct.h"
#include "pl_test_util.h"

/* The connection table's clock (seconds), moved by the tests. */
static uint32_t lbt_now = 1;

static uint32_t
lbt_clock(void *arg)
{
	(void)arg;
	return lbt_now;
}

static uint32_t lbt_rng = 12345;

static uint32_t
lbt_rnd(void)
{
	lbt_rng = lbt_rng * 1103515245u + 12345u;
	return lbt_rng >> 8;
}

static inline uint16_t
lbt_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The pipeline of the rules above: ct_max connections, cache entries of
 * flow cache (0: the default), the clock at 1. */
static void
lbt_setup(struct tu *t, uint32_t ct_max, unsigned cache)
{
	static const char *const lines[] = {
		"table=0,priority=10,in_port=1,"
		"actions=lb_select(pool=1,zone=5,table=1)",
		"table=0,priority=10,in_port=2,actions=ct(zone=5,nat,table=1)",
		"table=1,priority=20,ct_state=+inv,actions=drop",
		"table=1,priority=10,actions=output:3",
		NULL,
	};
	struct dp_pipeline_config cfg = {
		.n_workers = 1, .ct_max = ct_max, .cache_entries = cache};
	struct dp_packet_ops ops = {.clone = tu_clone};
	struct dp_rule r[4];
	char err[256];
	unsigned n = 0;

	memset(t, 0, sizeof(*t));
	assert_int_equal(dp_pipeline_create(&cfg, &t->pl), 0);
	assert_int_equal(dp_worker_create(t->pl, 0, &ops, &t->w), 0);
	lbt_now = 1;
	pl_ct_set_clock(pl_ct_of(t->pl), lbt_clock, NULL);
	for (; lines[n] != NULL; n++)
		if (dp_flow_text_parse(lines[n], &r[n], err, sizeof(err)) != 1)
			fail_msg("%s: %s", lines[n], err);
	assert_int_equal(tu_install(t->pl, r, n), 0);
}

#endif /* SLUICE_PL_LB_TEST_UTIL_H */
