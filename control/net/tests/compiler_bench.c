/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * compiler_bench.c: figures for docs/compiler.md. Builds a view of
 * N ports (default 10,000) in networks of 50, then times: compiling it
 * all, installing it in an in-process pipeline, a no-change reconcile (a
 * sluiced restart), and adding one more port incrementally (compile its
 * and its network's rules, replace them by cookie in one transaction).
 *
 *   ctlnet_compiler_bench [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compiler.h"
#include "fake_dp.h"
#include "pipeline.h"
#include "reconcile.h"

enum { PER_NET = 50 };

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
	size_t n_nets = n / PER_NET + 1;
	struct net_view_network *nets = calloc(n_nets, sizeof(*nets));
	struct net_view_subnet *sns = calloc(n_nets, sizeof(*sns));
	struct net_view_port *ports = calloc(n + 1, sizeof(*ports));
	struct dp_pipeline_config cfg = {.n_workers = 1};
	struct compiler_rules rs = {0};
	struct reconcile_result res;
	struct dp_pipeline *pl;
	struct fake_dp f;
	struct net_dp dp;
	struct net_view v;
	uint64_t owners[2];
	char err[256];
	double t0, t1;

	if (nets == NULL || sns == NULL || ports == NULL)
		return 1;
	for (size_t i = 0; i < n_nets; i++) {
		snprintf(nets[i].id, NET_ID_LEN, "net%zu", i);
		nets[i].segment_id = (uint32_t)(i + 1);
		nets[i].is_admin_up = true;
		snprintf(sns[i].id, NET_ID_LEN, "sn%zu", i);
		snprintf(sns[i].network_id, NET_ID_LEN, "net%zu", i);
		net_addr_parse("10.0.0.0/16", &sns[i].cidr);
	}
	for (size_t i = 0; i <= n; i++) {
		struct net_view_port *p = &ports[i];
		char ip[20];

		snprintf(p->id, NET_ID_LEN, "port-%08zu", i);
		snprintf(p->network_id, NET_ID_LEN, "net%zu", i / PER_NET);
		p->mac[0] = 0x02;
		p->mac[4] = (uint8_t)(i >> 8);
		p->mac[5] = (uint8_t)i;
		p->is_admin_up = true;
		p->is_port_security = true;
		p->n_ips = 1;
		snprintf(p->ips[0].subnet_id, NET_ID_LEN, "sn%zu", i / PER_NET);
		snprintf(ip, sizeof(ip), "10.0.%zu.%zu", (i % PER_NET) / 250,
			 2 + i % PER_NET);
		net_addr_parse(ip, &p->ips[0].ip);
		p->dp_port = (uint32_t)(i + 1);
	}
	v = (struct net_view){nets, n_nets, sns, n_nets, ports, n};

	t0 = now_ms();
	if (compiler_all(&v, &rs) < 0)
		return 1;
	t1 = now_ms();
	printf("compile %zu ports: %zu rules in %.1f ms\n", n, rs.n, t1 - t0);

	if (dp_pipeline_create(&cfg, &pl) < 0)
		return 1;
	fake_dp_init(&f, &dp);
	fake_dp_use_pipeline(&f, &dp, pl);
	t0 = now_ms();
	if (reconcile_run(&dp, rs.rules, rs.n, COMPILER_COOKIE_NS,
			  COMPILER_COOKIE_NS_MASK, &res, err,
			  sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	t1 = now_ms();
	printf("reconcile into an empty pipeline: +%zu rules in %.1f ms\n",
	       res.n_added, t1 - t0);
	t0 = now_ms();
	reconcile_run(&dp, rs.rules, rs.n, COMPILER_COOKIE_NS,
		      COMPILER_COOKIE_NS_MASK, &res, err, sizeof(err));
	t1 = now_ms();
	printf("restart reconcile (no change): %zu same, %zu changed, "
	       "%.1f ms\n",
	       res.n_same, res.n_added + res.n_deleted, t1 - t0);

	/* One new port in a full network (net0, 50 ports already). */
	snprintf(ports[n].network_id, NET_ID_LEN, "net0");
	snprintf(ports[n].ips[0].subnet_id, NET_ID_LEN, "sn0");
	net_addr_parse("10.0.1.250", &ports[n].ips[0].ip);
	v.n_ports = n + 1;
	owners[0] = compiler_cookie_port(ports[n].id);
	owners[1] = compiler_cookie_network(nets[0].segment_id);
	f.n_rules_added = 0;
	t0 = now_ms();
	if (compiler_apply(&dp, &v, owners, 2, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	t1 = now_ms();
	printf("add one port to a network of %d with %zu present: %zu rules "
	       "replaced in %.2f ms\n",
	       PER_NET, n, f.n_rules_added, t1 - t0);

	compiler_rules_fini(&rs);
	dp_pipeline_destroy(pl);
	free(nets);
	free(sns);
	free(ports);
	return 0;
}
