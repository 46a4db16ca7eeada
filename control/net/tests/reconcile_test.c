/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reconcile_test.c: the minimal difference between rule sets, on plain
 * sets and against the real pipeline: a restart with unchanged intent
 * changes nothing, an empty datapath gets everything, one changed port
 * changes only its rules, rules of other owners are never touched.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler.h"
#include "fake_dp.h"
#include "harness.h"
#include "net_view.h"
#include "reconcile.h"

static struct net_view_network nets[2];
static struct net_view_subnet subnets[2];
static struct net_view_port ports[8];
static struct net_view view;

static void
addr(struct net_addr *a, const char *s)
{
	assert_int_equal(net_addr_parse(s, a), 0);
}

static void
fill_view(void)
{
	memset(nets, 0, sizeof(nets));
	memset(subnets, 0, sizeof(subnets));
	memset(ports, 0, sizeof(ports));
	for (unsigned i = 0; i < 2; i++) {
		snprintf(nets[i].id, sizeof(nets[i].id), "net%u", i);
		nets[i].segment_id = 10 + i;
		nets[i].is_admin_up = true;
		snprintf(subnets[i].id, sizeof(subnets[i].id), "sn%u", i);
		snprintf(subnets[i].network_id, NET_ID_LEN, "net%u", i);
		addr(&subnets[i].cidr, "10.0.0.0/24");
		subnets[i].is_dhcp = true;
	}
	for (unsigned i = 0; i < 8; i++) {
		struct net_view_port *p = &ports[i];
		char ip[16];

		snprintf(p->id, sizeof(p->id), "port%u", i);
		snprintf(p->network_id, NET_ID_LEN, "net%u", i % 2);
		p->mac[0] = 0x02;
		p->mac[5] = (uint8_t)i;
		p->is_admin_up = true;
		p->is_port_security = true;
		p->n_ips = 1;
		snprintf(p->ips[0].subnet_id, NET_ID_LEN, "sn%u", i % 2);
		snprintf(ip, sizeof(ip), "10.0.0.%u", 10 + i);
		addr(&p->ips[0].ip, ip);
		p->dp_port = 1 + i;
	}
	view = (struct net_view){nets, 2, subnets, 2, ports, 8};
}

static struct dp_flow_entry *
as_entries(const struct compiler_rules *rs)
{
	struct dp_flow_entry *e = calloc(rs->n + 1, sizeof(*e));

	assert_non_null(e);
	for (size_t i = 0; i < rs->n; i++)
		e[i].rule = rs->rules[i];
	return e;
}

static void
test_diff_sets(void **state)
{
	struct compiler_rules want = {0}, other = {0};
	struct reconcile_diff d = {0};
	struct dp_flow_entry *have;
	struct dp_rule foreign;

	(void)state;
	fill_view();
	assert_int_equal(compiler_all(&view, &want), 0);
	have = as_entries(&want);

	/* Equal sets: nothing to do, even with junk in unused bytes. */
	for (size_t i = 0; i < want.n; i++) {
		struct dp_rule *r = &have[i].rule;

		r->pad = 0x5a5a;
		for (unsigned k = 0; k < r->n_actions; k++) {
			r->actions[k].pad = 7;
			if (r->actions[k].type == DP_ACT_OUTPUT)
				r->actions[k].u.raw[30] = 0xee;
		}
		r->match.reserved = 0x55; /* masked out */
	}
	assert_int_equal(reconcile_diff(want.rules, want.n, have, want.n,
					COMPILER_COOKIE_NS,
					COMPILER_COOKIE_NS_MASK, &d),
			 0);
	assert_int_equal(d.add.n, 0);
	assert_int_equal(d.del.n, 0);
	assert_int_equal(d.n_same, want.n);
	reconcile_diff_fini(&d);

	/* Order does not matter: reversed view, same rules. */
	for (unsigned i = 0; i < 4; i++) {
		struct net_view_port t = ports[i];

		ports[i] = ports[7 - i];
		ports[7 - i] = t;
	}
	assert_int_equal(compiler_all(&view, &other), 0);
	assert_int_equal(reconcile_diff(other.rules, other.n, have, want.n,
					COMPILER_COOKIE_NS,
					COMPILER_COOKIE_NS_MASK, &d),
			 0);
	assert_int_equal(d.add.n + d.del.n, 0);
	reconcile_diff_fini(&d);
	compiler_rules_fini(&other);

	/* One changed action, one extra, one missing, one foreign. */
	have[0].rule.cookie ^= 1; /* another owner in the namespace */
	memcpy(&have[want.n - 1].rule, &have[1].rule, sizeof(struct dp_rule));
	have[want.n - 1].rule.priority = 12345; /* unknown to want */
	memset(&foreign, 0, sizeof(foreign));
	foreign.cookie = 0x1100000000000001ULL;
	foreign.table = 9;
	have[2].rule = foreign; /* want's rule 2 is missing, foreign kept */
	assert_int_equal(reconcile_diff(want.rules, want.n, have, want.n,
					COMPILER_COOKIE_NS,
					COMPILER_COOKIE_NS_MASK, &d),
			 0);
	assert_int_equal(d.del.n, 1);
	assert_int_equal(d.del.rules[0].priority, 12345);
	assert_int_equal(d.add.n, 3); /* 0 changed, 2 missing, n-1 gone */
	assert_int_equal(d.n_same, want.n - 3);
	reconcile_diff_fini(&d);
	free(have);
	compiler_rules_fini(&want);
}

static void
test_pipeline_restarts(void **state)
{
	struct harness h;
	struct fake_dp f;
	struct net_dp dp;
	struct compiler_rules want = {0};
	struct reconcile_result res;
	struct dp_rule foreign;
	struct dp_txn *t;
	char err[256];
	size_t n_total;

	(void)state;
	fill_view();
	harness_init(&h);
	fake_dp_init(&f, &dp);
	fake_dp_use_pipeline(&f, &dp, h.pl);

	/* A rule of another owner, which reconcile must leave alone. */
	memset(&foreign, 0, sizeof(foreign));
	foreign.cookie = 0x1100000000000001ULL;
	foreign.table = 9;
	foreign.priority = 1;
	assert_int_equal(dp_txn_begin(h.pl, &t), 0);
	assert_int_equal(dp_txn_add(t, &foreign, err, sizeof(err)), 0);
	assert_int_equal(dp_txn_commit(t, err, sizeof(err)), 0);

	/* Empty datapath: everything added, in one transaction. */
	assert_int_equal(compiler_all(&view, &want), 0);
	assert_int_equal(
		reconcile_run(&dp, want.rules, want.n, COMPILER_COOKIE_NS,
			      COMPILER_COOKIE_NS_MASK, &res, err, sizeof(err)),
		0);
	assert_int_equal(res.n_added, want.n);
	assert_int_equal(res.n_deleted, 0);
	assert_int_equal(f.n_commit, 1);
	n_total = dp_pipeline_n_rules(h.pl);
	assert_int_equal(n_total, want.n + 1);

	/* sluiced restarts with the same intent: zero changes, no txn. */
	assert_int_equal(
		reconcile_run(&dp, want.rules, want.n, COMPILER_COOKIE_NS,
			      COMPILER_COOKIE_NS_MASK, &res, err, sizeof(err)),
		0);
	assert_int_equal(res.n_added + res.n_deleted, 0);
	assert_int_equal(res.n_same, want.n);
	assert_int_equal(f.n_begin, 1);

	/* Intent changed while it was down: port3 moved to 10.0.0.33 and
	 * port6 was deleted. Only their rules (and network flood) change. */
	compiler_rules_fini(&want);
	addr(&ports[3].ips[0].ip, "10.0.0.33");
	ports[6] = ports[7];
	view.n_ports = 7;
	assert_int_equal(compiler_all(&view, &want), 0);
	assert_int_equal(
		reconcile_run(&dp, want.rules, want.n, COMPILER_COOKIE_NS,
			      COMPILER_COOKIE_NS_MASK, &res, err, sizeof(err)),
		0);
	assert_true(res.n_added > 0);
	assert_true(res.n_deleted > 0);
	assert_true(res.n_added + res.n_deleted < want.n / 2);
	assert_int_equal(dp_pipeline_n_rules(h.pl), want.n + 1);
	assert_int_equal(
		reconcile_run(&dp, want.rules, want.n, COMPILER_COOKIE_NS,
			      COMPILER_COOKIE_NS_MASK, &res, err, sizeof(err)),
		0);
	assert_int_equal(res.n_added + res.n_deleted, 0);

	compiler_rules_fini(&want);
	harness_fini(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_sets),
		cmocka_unit_test(test_pipeline_restarts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
