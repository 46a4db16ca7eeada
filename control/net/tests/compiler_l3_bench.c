/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * compiler_l3_bench.c: figures for docs/compiler.md (routers and security
 * groups). N ports in projects of G ports (5 networks of G/5 each); each
 * project has a router with the 5 networks as interfaces and a gateway
 * (SNAT) on one external network, and its default security group (all
 * egress; ingress from the group itself: a remote group of G members).
 * Times: compiling everything, installing it in an in-process pipeline,
 * and one more port joining a project (its owners from compiler_deps_port,
 * replaced in one transaction).
 *
 *   ctlnet_compiler_l3_bench [N [G]]     (defaults 2000 and 100)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compiler.h"
#include "fake_dp.h"
#include "pipeline.h"

enum { NETS_PER_PROJ = 5 };

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void
ip4(struct net_addr *a, unsigned b1, unsigned b2, unsigned b3, unsigned b4,
    unsigned len)
{
	memset(a, 0, sizeof(*a));
	a->version = 4;
	a->prefix_len = (uint8_t)len;
	a->a[0] = (uint8_t)b1;
	a->a[1] = (uint8_t)b2;
	a->a[2] = (uint8_t)b3;
	a->a[3] = (uint8_t)b4;
}

int
main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000;
	size_t g = argc > 2 ? strtoul(argv[2], NULL, 10) : 100;
	size_t n_proj = (n + g - 1) / g, n_nets = n_proj * NETS_PER_PROJ + 1;
	size_t per_net = g / NETS_PER_PROJ, n_ports = 0;
	struct net_view_network *nets = calloc(n_nets, sizeof(*nets));
	struct net_view_subnet *sns = calloc(n_nets, sizeof(*sns));
	struct net_view_port *ports =
		calloc(n + 1 + n_nets + n_proj, sizeof(*ports));
	struct net_view_router *rts = calloc(n_proj, sizeof(*rts));
	struct net_view_sg *sgs = calloc(n_proj, sizeof(*sgs));
	struct net_view_sg_rule *rules = calloc(n_proj * 2, sizeof(*rules));
	struct dp_pipeline_config cfg = {.n_workers = 1};
	struct compiler_rules rs = {0};
	struct dp_pipeline *pl;
	struct fake_dp f;
	struct net_dp dp;
	struct net_view v;
	uint64_t *owners = NULL;
	size_t n_own = 0, cap = 0;
	char err[256];
	double t0, t1;

	if (nets == NULL || sns == NULL || ports == NULL || rts == NULL ||
	    sgs == NULL || rules == NULL || per_net == 0)
		return 1;
	/* The external network, last. */
	snprintf(nets[n_nets - 1].id, NET_ID_LEN, "ext");
	nets[n_nets - 1].segment_id = (uint32_t)n_nets;
	nets[n_nets - 1].is_admin_up = true;
	nets[n_nets - 1].is_external = true;
	snprintf(sns[n_nets - 1].id, NET_ID_LEN, "sn-ext");
	snprintf(sns[n_nets - 1].network_id, NET_ID_LEN, "ext");
	ip4(&sns[n_nets - 1].cidr, 172, 16, 0, 0, 16);
	ip4(&sns[n_nets - 1].gateway, 172, 16, 0, 1, 32);
	for (size_t j = 0; j < n_proj; j++) {
		struct net_view_port *gp = &ports[n_ports++];

		snprintf(rts[j].id, NET_ID_LEN, "r%zu", j);
		rts[j].is_admin_up = true;
		rts[j].is_snat = true;
		snprintf(rts[j].gw_port_id, NET_ID_LEN, "gw%zu", j);
		snprintf(gp->id, NET_ID_LEN, "gw%zu", j);
		snprintf(gp->network_id, NET_ID_LEN, "ext");
		snprintf(gp->device_owner, NET_OWNER_LEN,
			 "network:router_gateway");
		snprintf(gp->device_id, NET_ID_LEN, "r%zu", j);
		gp->mac[0] = 0x06;
		gp->mac[5] = (uint8_t)j;
		gp->mac[4] = (uint8_t)(j >> 8);
		gp->is_admin_up = true;
		gp->n_ips = 1;
		snprintf(gp->ips[0].subnet_id, NET_ID_LEN, "sn-ext");
		ip4(&gp->ips[0].ip, 172, 16, (unsigned)(j >> 8) + 1,
		    (unsigned)(j & 0xff), 32);
		snprintf(sgs[j].id, NET_ID_LEN, "sg%zu", j);
		sgs[j].is_stateful = true;
		for (int k = 0; k < 2; k++) {
			struct net_view_sg_rule *r = &rules[j * 2 + (size_t)k];

			snprintf(r->id, NET_ID_LEN, "rule%zu.%d", j, k);
			snprintf(r->sg_id, NET_ID_LEN, "sg%zu", j);
			r->direction = k ? NET_SG_INGRESS : NET_SG_EGRESS;
			r->ethertype = 4;
			r->protocol = -1;
			r->port_min = -1;
			r->port_max = -1;
			if (k)
				snprintf(r->remote_group_id, NET_ID_LEN,
					 "sg%zu", j);
		}
		for (size_t k = 0; k < NETS_PER_PROJ; k++) {
			size_t ni = j * NETS_PER_PROJ + k;
			struct net_view_port *ip = &ports[n_ports++];

			snprintf(nets[ni].id, NET_ID_LEN, "net%zu", ni);
			nets[ni].segment_id = (uint32_t)(ni + 1);
			nets[ni].is_admin_up = true;
			snprintf(sns[ni].id, NET_ID_LEN, "sn%zu", ni);
			snprintf(sns[ni].network_id, NET_ID_LEN, "net%zu", ni);
			ip4(&sns[ni].cidr, 10, (unsigned)k, 0, 0, 16);
			snprintf(ip->id, NET_ID_LEN, "ri%zu", ni);
			snprintf(ip->network_id, NET_ID_LEN, "net%zu", ni);
			snprintf(ip->device_owner, NET_OWNER_LEN,
				 "network:router_interface");
			snprintf(ip->device_id, NET_ID_LEN, "r%zu", j);
			ip->mac[0] = 0x0a;
			ip->mac[3] = (uint8_t)(ni >> 16);
			ip->mac[4] = (uint8_t)(ni >> 8);
			ip->mac[5] = (uint8_t)ni;
			ip->is_admin_up = true;
			ip->n_ips = 1;
			snprintf(ip->ips[0].subnet_id, NET_ID_LEN, "sn%zu", ni);
			ip4(&ip->ips[0].ip, 10, (unsigned)k, 0, 1, 32);
		}
	}
	for (size_t i = 0; i <= n; i++) {
		struct net_view_port *p = &ports[n_ports++];
		size_t proj = (i % n) / g, k = ((i % n) % g) / per_net;
		size_t ni = proj * NETS_PER_PROJ + (k % NETS_PER_PROJ);

		snprintf(p->id, NET_ID_LEN, "port-%08zu", i);
		snprintf(p->network_id, NET_ID_LEN, "net%zu", ni);
		p->mac[0] = 0x02;
		p->mac[3] = (uint8_t)(i >> 16);
		p->mac[4] = (uint8_t)(i >> 8);
		p->mac[5] = (uint8_t)i;
		p->is_admin_up = true;
		p->is_port_security = true;
		p->n_ips = 1;
		snprintf(p->ips[0].subnet_id, NET_ID_LEN, "sn%zu", ni);
		ip4(&p->ips[0].ip, 10, (unsigned)(k % NETS_PER_PROJ),
		    (unsigned)(i >> 7) & 0xff, 2 + (unsigned)(i & 0x7f), 32);
		p->n_sgs = 1;
		snprintf(p->sgs[0], NET_ID_LEN, "sg%zu", proj);
		p->dp_port = (uint32_t)(i + 1);
	}
	v = (struct net_view){
		.networks = nets,
		.n_networks = n_nets,
		.subnets = sns,
		.n_subnets = n_nets,
		.ports = ports,
		.n_ports = n_ports - 1, /* the last port joins later */
		.routers = rts,
		.n_routers = n_proj,
		.sgs = sgs,
		.n_sgs = n_proj,
		.sg_rules = rules,
		.n_sg_rules = n_proj * 2,
	};

	t0 = now_ms();
	if (compiler_all(&v, &rs) < 0)
		return 1;
	t1 = now_ms();
	printf("%zu ports, %zu projects of %zu (routers with SNAT, default "
	       "groups): compile %zu rules: %.1f ms\n",
	       n, n_proj, g, rs.n, t1 - t0);
	if (dp_pipeline_create(&cfg, &pl) < 0)
		return 1;
	fake_dp_init(&f, &dp);
	fake_dp_use_pipeline(&f, &dp, pl);
	t0 = now_ms();
	if (dp.flow_begin(dp.ctx, err, sizeof(err)) < 0 ||
	    dp.flow_add(dp.ctx, rs.rules, rs.n, err, sizeof(err)) < 0 ||
	    dp.flow_commit(dp.ctx, err, sizeof(err)) < 0) {
		fprintf(stderr, "install: %s\n", err);
		return 1;
	}
	t1 = now_ms();
	printf("install into an in-process pipeline: %.1f ms\n", t1 - t0);
	compiler_rules_fini(&rs);

	/* One more port in project 0: its owners, applied together. */
	v.n_ports = n_ports;
	t0 = now_ms();
	if (compiler_deps_port(&v, ports[n_ports - 1].id, &owners, &n_own,
			       &cap) < 0 ||
	    compiler_apply(&dp, &v, owners, n_own, err, sizeof(err)) < 0) {
		fprintf(stderr, "apply: %s\n", err);
		return 1;
	}
	t1 = now_ms();
	printf("one port joins a project of %zu: %zu owners replaced in one "
	       "transaction: %.1f ms\n",
	       g, n_own, t1 - t0);
	free(owners);
	dp_pipeline_destroy(pl);
	free(nets);
	free(sns);
	free(ports);
	free(rts);
	free(sgs);
	free(rules);
	return 0;
}
