/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline_parse_test.c: the packet parser, through the public API.
 * Frames are data (pipeline_parse_cases.h): bytes in, the expected verdict
 * and key fields out, checked through dp_pipeline_trace(), through a
 * worker (drop counters) and through the port fast path (validate-only
 * parse: same verdicts). Every prefix of every frame is also run through
 * both paths, which must agree and never read past the buffer (ASan).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "pl_test_util.h"

struct parse_check {
	const char *field;
	uint32_t value; /* host order */
};

struct parse_case {
	const char *name;
	const uint8_t *data;
	size_t len;
	int err; /* enum dp_drop_reason, or -1 */
	struct parse_check checks[10];
};

#include "pipeline_parse_cases.h"

static uint32_t
key_field(const struct dp_key *k, const char *name)
{
	int f = dp_field_lookup(name);
	const struct dp_field_info *fi;
	const uint8_t *p;
	uint16_t v16;
	uint32_t v32;

	assert_true(f >= 0);
	fi = dp_field_info(f);
	p = (const uint8_t *)k + fi->offset;
	switch (fi->size) {
	case 1:
		return p[0];
	case 2:
		memcpy(&v16, p, 2);
		return fi->is_host_order ? v16 : ntohs(v16);
	default:
		memcpy(&v32, p, 4);
		return fi->is_host_order ? v32 : ntohl(v32);
	}
}

static void
test_parse_cases(void **state)
{
	struct dp_trace *tr = malloc(sizeof(*tr));
	struct tu t;

	(void)state;
	assert_non_null(tr);
	assert_int_equal(tu_setup(&t, 64, 0), 0);
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]);
	     i++) {
		const struct parse_case *pc = &parse_cases[i];
		uint64_t before[DP_DROP__COUNT], after[DP_DROP__COUNT];
		int want = pc->err < 0 ? DP_DROP_NO_MATCH : pc->err;

		assert_int_equal(dp_pipeline_trace(t.pl, pc->data,
						   (uint32_t)pc->len, 3, tr),
				 0);
		if (tr->parse_error != pc->err)
			fail_msg("%s: parse_error %d, want %d", pc->name,
				 tr->parse_error, pc->err);
		assert_int_equal(tr->key.in_port, 3);
		for (int j = 0; pc->err < 0 && j < 10 && pc->checks[j].field;
		     j++) {
			uint32_t got = key_field(&tr->key, pc->checks[j].field);

			if (got != pc->checks[j].value)
				fail_msg("%s: %s = %#x, want %#x", pc->name,
					 pc->checks[j].field, got,
					 pc->checks[j].value);
		}
		dp_pipeline_drop_stats(t.pl, before);
		tu_run(&t, pc->data, (uint32_t)pc->len, 3);
		dp_pipeline_drop_stats(t.pl, after);
		assert_int_equal(t.out.n_drop, 1);
		if (after[want] != before[want] + 1)
			fail_msg("%s: drop %s not counted", pc->name,
				 dp_drop_reason_name(want));
	}
	tu_teardown(&t);
	free(tr);
}

/* Verdict of one frame: -1 forwarded, else the drop reason counted. */
static int
verdict(struct tu *t, const uint8_t *f, uint32_t len)
{
	uint64_t before[DP_DROP__COUNT], after[DP_DROP__COUNT];

	dp_pipeline_drop_stats(t->pl, before);
	tu_run(t, f, len, 1);
	dp_pipeline_drop_stats(t->pl, after);
	if (t->out.n_tx == 1)
		return -1;
	for (int i = 0; i < DP_DROP__COUNT; i++)
		if (after[i] != before[i])
			return i;
	return -2;
}

/*
 * Every prefix and a few corruptions of every frame: the slow path (a
 * rule on eth_type) and the fast path (a rule on in_port only) agree.
 */
static void
test_parse_prefixes(void **state)
{
	struct dp_rule r[2];
	struct tu slow, fast;

	(void)state;
	assert_int_equal(tu_setup(&slow, 64, 0), 0);
	assert_int_equal(tu_setup(&fast, 64, 0), 0);
	tu_rule(&r[0], 0, 10, 2);
	r[0].mask.in_port = UINT32_MAX;
	r[0].match.in_port = 1;
	assert_int_equal(tu_install(fast.pl, r, 1), 0);
	tu_rule(&r[0], 0, 10, 2);
	tu_rule(&r[1], 0, 5, 2);
	r[0].mask.metadata = UINT32_MAX;
	assert_int_equal(tu_install(slow.pl, r, 2), 0);
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]);
	     i++) {
		const struct parse_case *pc = &parse_cases[i];
		uint8_t buf[512];

		assert_true(pc->len <= sizeof(buf));
		for (size_t n = 0; n <= pc->len; n++) {
			int a = verdict(&slow, pc->data, (uint32_t)n);
			int b = verdict(&fast, pc->data, (uint32_t)n);

			if (a != b || a == -2)
				fail_msg("%s[0..%zu]: slow %d fast %d",
					 pc->name, n, a, b);
			if (n == pc->len && a != pc->err)
				fail_msg("%s: verdict %d want %d", pc->name, a,
					 pc->err);
		}
		for (size_t k = 12; k < pc->len; k++) {
			int a, b;

			memcpy(buf, pc->data, pc->len);
			buf[k] ^= 0xff;
			a = verdict(&slow, buf, (uint32_t)pc->len);
			b = verdict(&fast, buf, (uint32_t)pc->len);
			if (a != b)
				fail_msg("%s byte %zu flipped: slow %d fast %d",
					 pc->name, k, a, b);
		}
	}
	tu_teardown(&slow);
	tu_teardown(&fast);
}

static void
test_drop_names(void **state)
{
	(void)state;
	for (int i = 0; i < DP_DROP__COUNT; i++)
		assert_string_not_equal(dp_drop_reason_name(i), "unknown");
	assert_string_equal(dp_drop_reason_name(DP_DROP__COUNT), "unknown");
	assert_string_equal(dp_drop_reason_name(DP_DROP_TRUNC_ETH),
			    "trunc_eth");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_cases),
		cmocka_unit_test(test_parse_prefixes),
		cmocka_unit_test(test_drop_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
