/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * compiler_l3_test.c: routers, security groups, SNAT and floating IPs:
 * the rules' shape, their owners and dependencies, and packets through
 * the real pipeline (harness.h). Topology:
 *
 *   router r1: interfaces ri-a (net-a, segment 100, 10.0.0.1 and
 *   fd00:a::1, MAC fa:16:3e:00:01:0a) and ri-b (net-b, segment 101,
 *   10.0.1.1, MAC fa:16:3e:00:01:0b); gateway rg on ext (segment 900,
 *   172.24.4.0/24, gateway 172.24.4.1) at 172.24.4.10, MAC
 *   fa:16:3e:00:01:ee, SNAT on (only in the NAT tests)
 *     a1 dp 1  fa:16:3e:00:00:a1  10.0.0.11   sg-web (when SGs are on)
 *     a2 dp 4  fa:16:3e:00:00:a2  10.0.0.12   sg-web
 *     b1 dp 2  fa:16:3e:00:00:b1  10.0.1.11   sg-def
 *     x1 dp 3  fa:16:3e:00:00:e1  172.24.4.100 (external host, no SG)
 *   floating IP fip1 172.24.4.50 -> a1 (only in the FIP test)
 *
 * Tests that need the conntrack action skip when the datapath in this
 * tree does not accept it yet.
 */
#include <arpa/inet.h>
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
#include "frames.h"
#include "harness.h"
#include "net_view.h"

static const uint8_t mac_a1[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xa1};
static const uint8_t mac_a2[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xa2};
static const uint8_t mac_b1[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xb1};
static const uint8_t mac_x1[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xe1};
static const uint8_t mac_ra[6] = {0xfa, 0x16, 0x3e, 0, 1, 0x0a};
static const uint8_t mac_rb[6] = {0xfa, 0x16, 0x3e, 0, 1, 0x0b};
static const uint8_t mac_rg[6] = {0xfa, 0x16, 0x3e, 0, 1, 0xee};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t zero6[6];

enum { DP_A1 = 1, DP_B1 = 2, DP_X1 = 3, DP_A2 = 4 };

struct fixture {
	struct net_view_network nets[4];
	struct net_view_subnet subnets[8];
	struct net_view_port ports[16];
	struct net_view_router routers[2];
	struct net_view_fip fips[2];
	struct net_view_sg sgs[4];
	struct net_view_sg_rule rules[16];
	struct net_view view;
	struct harness h;
	struct fake_dp f;
	struct net_dp dp;
};

static void
addr(struct net_addr *a, const char *s)
{
	assert_int_equal(net_addr_parse(s, a), 0);
}

static void
add_net(struct fixture *x, const char *id, uint32_t seg, const char *cidr,
	const char *gw, bool is_external)
{
	struct net_view_network *n = &x->nets[x->view.n_networks++];
	struct net_view_subnet *s = &x->subnets[x->view.n_subnets++];

	memset(n, 0, sizeof(*n));
	snprintf(n->id, sizeof(n->id), "%s", id);
	snprintf(n->project_id, sizeof(n->project_id), "P1");
	n->segment_id = seg;
	n->is_port_security = true;
	n->is_admin_up = true;
	n->is_external = is_external;
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "sn-%s", id);
	snprintf(s->network_id, sizeof(s->network_id), "%s", id);
	addr(&s->cidr, cidr);
	addr(&s->gateway, gw);
}

static struct net_view_port *
add_port(struct fixture *x, const char *id, const char *net,
	 const uint8_t mac[6], const char *ip, uint32_t dp_port)
{
	struct net_view_port *p = &x->ports[x->view.n_ports++];

	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	snprintf(p->network_id, sizeof(p->network_id), "%s", net);
	memcpy(p->mac, mac, 6);
	p->is_admin_up = true;
	p->is_port_security = dp_port != 0;
	p->n_ips = 1;
	snprintf(p->ips[0].subnet_id, sizeof(p->ips[0].subnet_id), "sn-%s",
		 net);
	addr(&p->ips[0].ip, ip);
	p->vif = dp_port != 0 ? NET_VIF_KERNEL : NET_VIF_NONE;
	p->dp_port = dp_port;
	return p;
}

static struct net_view_port *
add_router_port(struct fixture *x, const char *id, const char *net,
		const uint8_t mac[6], const char *ip, const char *owner)
{
	struct net_view_port *p = add_port(x, id, net, mac, ip, 0);

	snprintf(p->device_owner, sizeof(p->device_owner), "%s", owner);
	snprintf(p->device_id, sizeof(p->device_id), "r1");
	return p;
}

static struct net_view_sg_rule *
add_rule(struct fixture *x, const char *sg, int dir, int proto, int pmin,
	 int pmax, const char *prefix, const char *rgroup)
{
	struct net_view_sg_rule *r = &x->rules[x->view.n_sg_rules++];

	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "rule%zu", x->view.n_sg_rules);
	snprintf(r->sg_id, sizeof(r->sg_id), "%s", sg);
	r->direction = (uint8_t)dir;
	r->ethertype = 4;
	r->protocol = (int16_t)proto;
	r->port_min = pmin;
	r->port_max = pmax;
	if (prefix != NULL)
		addr(&r->remote_prefix, prefix);
	if (rgroup != NULL)
		snprintf(r->remote_group_id, sizeof(r->remote_group_id), "%s",
			 rgroup);
	return r;
}

static void
add_sg(struct fixture *x, const char *id)
{
	struct net_view_sg *g = &x->sgs[x->view.n_sgs++];

	memset(g, 0, sizeof(*g));
	snprintf(g->id, sizeof(g->id), "%s", id);
	g->is_stateful = true;
}

static void
port_sg(struct net_view_port *p, const char *sg)
{
	snprintf(p->sgs[p->n_sgs++], NET_ID_LEN, "%s", sg);
}

/* True when the datapath in this tree takes the conntrack action. */
static bool
has_ct(void)
{
	struct dp_rule r;
	char err[128];

	memset(&r, 0, sizeof(r));
	r.n_actions = 1;
	r.actions[0].type = DP_ACT_CT;
	r.actions[0].u.ct.zone = 1;
	r.actions[0].u.ct.table = 1;
	return dp_rule_validate(&r, err, sizeof(err)) == 0;
}

static void
install(struct fixture *x)
{
	struct compiler_rules rs = {0};
	char err[256] = "";
	int rc;

	assert_int_equal(compiler_all(&x->view, &rs), 0);
	assert_int_equal(x->dp.flow_begin(x->dp.ctx, err, sizeof(err)), 0);
	assert_int_equal(
		x->dp.flow_del_cookie(x->dp.ctx, 0, 0, err, sizeof(err)), 0);
	for (size_t i = 0; i < rs.n; i++) {
		rc = dp_rule_validate(&rs.rules[i], err, sizeof(err));
		if (rc < 0)
			fail_msg("rule %zu (table %u) invalid: %s", i,
				 rs.rules[i].table, err);
	}
	rc = x->dp.flow_add(x->dp.ctx, rs.rules, rs.n, err, sizeof(err));
	if (rc < 0)
		fail_msg("add: %s", err);
	rc = x->dp.flow_commit(x->dp.ctx, err, sizeof(err));
	if (rc < 0)
		fail_msg("commit: %s", err);
	compiler_rules_fini(&rs);
}

/* The base topology: routing only (no gateway, no SG, no FIP). */
static int
setup(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));
	struct net_view_router *r;
	struct net_view_port *p;

	assert_non_null(x);
	x->view.networks = x->nets;
	x->view.subnets = x->subnets;
	x->view.ports = x->ports;
	x->view.routers = x->routers;
	x->view.fips = x->fips;
	x->view.sgs = x->sgs;
	x->view.sg_rules = x->rules;
	add_net(x, "net-a", 100, "10.0.0.0/24", "10.0.0.1", false);
	add_net(x, "net-b", 101, "10.0.1.0/24", "10.0.1.1", false);
	add_net(x, "ext", 900, "172.24.4.0/24", "172.24.4.1", true);
	/* An IPv6 subnet on net-a. */
	x->subnets[x->view.n_subnets] = x->subnets[0];
	snprintf(x->subnets[x->view.n_subnets].id, NET_ID_LEN, "sn6-net-a");
	addr(&x->subnets[x->view.n_subnets].cidr, "fd00:a::/64");
	addr(&x->subnets[x->view.n_subnets].gateway, "fd00:a::1");
	x->view.n_subnets++;
	add_port(x, "a1", "net-a", mac_a1, "10.0.0.11", DP_A1);
	add_port(x, "b1", "net-b", mac_b1, "10.0.1.11", DP_B1);
	p = add_port(x, "x1", "ext", mac_x1, "172.24.4.100", DP_X1);
	p->is_port_security = false;
	add_port(x, "a2", "net-a", mac_a2, "10.0.0.12", DP_A2);
	p = add_router_port(x, "ri-a", "net-a", mac_ra, "10.0.0.1",
			    "network:router_interface");
	p->n_ips = 2;
	snprintf(p->ips[1].subnet_id, NET_ID_LEN, "sn6-net-a");
	addr(&p->ips[1].ip, "fd00:a::1");
	add_router_port(x, "ri-b", "net-b", mac_rb, "10.0.1.1",
			"network:router_interface");
	add_router_port(x, "rg", "ext", mac_rg, "172.24.4.10",
			"network:router_gateway");
	r = &x->routers[x->view.n_routers++];
	snprintf(r->id, sizeof(r->id), "r1");
	r->is_admin_up = true;
	harness_init(&x->h);
	fake_dp_init(&x->f, &x->dp);
	fake_dp_use_pipeline(&x->f, &x->dp, x->h.pl);
	*state = x;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *x = *state;

	harness_fini(&x->h);
	free(x);
	return 0;
}

/* The gateway (SNAT) and security groups: sg-web on a1/a2 allows TCP 80
 * and ICMP in from anywhere and UDP 5000-5003 from group sg-def (b1);
 * sg-def allows everything in from its own members; both allow all out. */
static void
with_gw_and_sgs(struct fixture *x)
{
	snprintf(x->routers[0].gw_port_id, NET_ID_LEN, "rg");
	x->routers[0].is_snat = true;
	add_sg(x, "sg-web");
	add_sg(x, "sg-def");
	add_rule(x, "sg-web", NET_SG_EGRESS, -1, -1, -1, NULL, NULL);
	add_rule(x, "sg-web", NET_SG_INGRESS, 6, 80, 80, NULL, NULL);
	add_rule(x, "sg-web", NET_SG_INGRESS, 1, -1, -1, "0.0.0.0/0", NULL);
	add_rule(x, "sg-web", NET_SG_INGRESS, 17, 5000, 5003, NULL, "sg-def");
	add_rule(x, "sg-def", NET_SG_EGRESS, -1, -1, -1, NULL, NULL);
	add_rule(x, "sg-def", NET_SG_INGRESS, -1, -1, -1, NULL, "sg-def");
	port_sg(&x->ports[0], "sg-web");
	port_sg(&x->ports[3], "sg-web");
	port_sg(&x->ports[1], "sg-def");
}

static size_t
frame_ttl(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], const char *s,
	  const char *d, uint8_t ttl)
{
	size_t len = frame_icmp(f, dst, src, s, d);

	frame_ip4_set_ttl(f, ttl);
	return len;
}

static void
assert_ipv4_csum(const uint8_t *f)
{
	assert_int_equal(frame_csum(f + 14, 20, 0), 0xffff);
}

static bool
ip_is(const uint8_t *p, const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return memcmp(p, &a, 4) == 0;
}

/* Rules: valid, deterministic, each owner regenerates exactly its own. */
static void
test_owners(void **state)
{
	struct fixture *x = *state;
	struct compiler_rules all = {0}, again = {0}, one = {0};
	uint64_t *deps = NULL;
	size_t n_deps = 0, cap = 0, n_own;
	int kinds[8] = {0};

	with_gw_and_sgs(x);
	assert_int_equal(compiler_all(&x->view, &all), 0);
	assert_int_equal(compiler_all(&x->view, &again), 0);
	assert_int_equal(all.n, again.n);
	assert_memory_equal(all.rules, again.rules,
			    all.n * sizeof(all.rules[0]));
	for (size_t i = 0; i < all.n; i++) {
		int k = compiler_cookie_kind(all.rules[i].cookie);

		assert_true(k >= 1 && k <= 6);
		kinds[k]++;
	}
	assert_true(kinds[COMPILER_KIND_ROUTER] > 0);
	assert_true(kinds[COMPILER_KIND_PORT_SG] > 0);
	/* Every owner's rules, alone, are the same as in the whole. */
	for (size_t i = 0; i < all.n; i++) {
		uint64_t c = all.rules[i].cookie;

		one.n = 0;
		assert_int_equal(compiler_owner(&x->view, c, &one), 0);
		n_own = 0;
		for (size_t j = 0; j < all.n; j++)
			if (all.rules[j].cookie == c)
				assert_memory_equal(&all.rules[j],
						    &one.rules[n_own++],
						    sizeof(all.rules[j]));
		assert_int_equal(n_own, one.n);
	}
	/* b1 joins/leaves: a1 and a2 (remote group sg-def) are recompiled. */
	assert_int_equal(
		compiler_deps_port(&x->view, "b1", &deps, &n_deps, &cap), 0);
	{
		bool has_a1 = false, has_a2 = false, has_r = false;

		for (size_t i = 0; i < n_deps; i++) {
			has_a1 |= deps[i] == compiler_cookie_port_sg("a1");
			has_a2 |= deps[i] == compiler_cookie_port_sg("a2");
			has_r |= deps[i] == compiler_cookie_router("r1");
		}
		assert_true(has_a1 && has_a2 && has_r);
	}
	n_deps = 0;
	assert_int_equal(
		compiler_deps_sg(&x->view, "sg-def", &deps, &n_deps, &cap), 0);
	assert_int_equal(n_deps, 3); /* b1 (member), a1, a2 (remote) */
	free(deps);
	compiler_rules_fini(&all);
	compiler_rules_fini(&again);
	compiler_rules_fini(&one);
}

/* Count a port's SG rules in table t with priority 200. */
static size_t
count_sg_rules(const struct compiler_rules *rs, const char *port, uint8_t t)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->n; i++)
		if (rs->rules[i].cookie == compiler_cookie_port_sg(port) &&
		    rs->rules[i].table == t && rs->rules[i].priority == 200)
			n++;
	return n;
}

/* Port ranges split into aligned blocks; remote groups expand to their
 * members; a member more, a rule more. */
static void
test_sg_rules(void **state)
{
	struct fixture *x = *state;
	struct compiler_rules rs = {0};

	with_gw_and_sgs(x);
	assert_int_equal(compiler_all(&x->view, &rs), 0);
	/* a1 ingress: tcp 80 (1), icmp (1), udp 5000-5003 from b1 (1
	 * block: 5000 is 8-aligned, 5000-5003 one /14 block) */
	assert_int_equal(count_sg_rules(&rs, "a1", COMPILER_T_SG_IN), 3);
	assert_int_equal(count_sg_rules(&rs, "a1", COMPILER_T_ARP), 1);
	/* b1 ingress: all from sg-def members (b1 itself) */
	assert_int_equal(count_sg_rules(&rs, "b1", COMPILER_T_SG_IN), 1);
	/* x1 has no SG stage. */
	assert_int_equal(count_sg_rules(&rs, "x1", COMPILER_T_SG_IN), 0);
	compiler_rules_fini(&rs);
	/* 1000-1999 is 1000-1007, 1008-1023, 1024-1535, 1536-1791,
	 * 1792-1919, 1920-1983, 1984-1999: 7 blocks. */
	x->rules[1].port_min = 1000;
	x->rules[1].port_max = 1999;
	/* a2 joins sg-def: a1's remote rule and b1's get a member more. */
	port_sg(&x->ports[3], "sg-def");
	assert_int_equal(compiler_all(&x->view, &rs), 0);
	assert_int_equal(count_sg_rules(&rs, "a1", COMPILER_T_SG_IN),
			 7 + 1 + 2);
	assert_int_equal(count_sg_rules(&rs, "b1", COMPILER_T_SG_IN), 2);
	compiler_rules_fini(&rs);
}

/* Routing between two subnets: TTL-1, router MACs, punts, ARP, ND. */
static void
test_route(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	uint8_t f[FRAME_MAX];
	size_t len;

	install(x);
	len = frame_ttl(f, mac_ra, mac_a1, "10.0.0.11", "10.0.1.11", 64);
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_B1);
	assert_memory_equal(res.tx_frame[0], mac_b1, 6);
	assert_memory_equal(res.tx_frame[0] + 6, mac_rb, 6);
	assert_int_equal(res.tx_frame[0][14 + 8], 63);
	assert_ipv4_csum(res.tx_frame[0]);
	/* And back. */
	len = frame_ttl(f, mac_rb, mac_b1, "10.0.1.11", "10.0.0.11", 9);
	harness_run(&x->h, DP_B1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_A1);
	assert_memory_equal(res.tx_frame[0] + 6, mac_ra, 6);
	assert_int_equal(res.tx_frame[0][14 + 8], 8);
	/* TTL 1: punted for time exceeded, not forwarded. */
	len = frame_ttl(f, mac_ra, mac_a1, "10.0.0.11", "10.0.1.11", 1);
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 0);
	assert_int_equal(res.n_punt, 1);
	assert_int_equal(res.punt_reason, COMPILER_PUNT_TTL);
	/* To the router's own address: punted (echo answered by sluiced). */
	len = frame_ttl(f, mac_ra, mac_a1, "10.0.0.11", "10.0.0.1", 64);
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_punt, 1);
	assert_int_equal(res.punt_reason, COMPILER_PUNT_ROUTER_ICMP);
	/* To an address no port has, on an attached subnet: dropped. */
	len = frame_ttl(f, mac_ra, mac_a1, "10.0.0.11", "10.0.1.99", 64);
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx + res.n_punt, 0);
	/* Not routed without the router: a frame to the router MAC from
	 * a spoofed source never gets there. */
	len = frame_ttl(f, mac_ra, mac_a1, "10.0.0.99", "10.0.1.11", 64);
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 0);
	/* ARP for the gateway address: answered with the interface MAC. */
	len = frame_arp(f, 1, mac_a1, "10.0.0.11", zero6, "10.0.0.1");
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_A1);
	assert_memory_equal(res.tx_frame[0], mac_a1, 6);
	assert_memory_equal(res.tx_frame[0] + 6, mac_ra, 6);
	assert_memory_equal(res.tx_frame[0] + 14 + 8, mac_ra, 6);
	assert_true(ip_is(res.tx_frame[0] + 14 + 14, "10.0.0.1"));
	/* ... but not on the other network. */
	len = frame_arp(f, 1, mac_b1, "10.0.1.11", zero6, "10.0.0.1");
	harness_run(&x->h, DP_B1, f, len, &res);
	assert_false(harness_sent_to(&res, DP_B1));
	(void)bcast;
}

/* An IPv6 UDP frame (checksum left 0: the pipeline does not check it). */
static size_t
frame_udp6(uint8_t *f, const uint8_t dst[6], const uint8_t src[6],
	   const char *s, const char *d, uint8_t hops)
{
	memset(f, 0, 14 + 40 + 8);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	f[14] = 0x60;
	f[19] = 8;
	f[20] = 17;
	f[21] = hops;
	assert_int_equal(inet_pton(AF_INET6, s, f + 22), 1);
	assert_int_equal(inet_pton(AF_INET6, d, f + 38), 1);
	f[54] = 0x30;
	f[55] = 0x39;
	f[56] = 0x00;
	f[57] = 0x35;
	f[59] = 8;
	return 14 + 40 + 8;
}

static void
add_v6(struct fixture *x, struct net_view_port *p, const char *subnet,
       const char *ip)
{
	snprintf(p->ips[p->n_ips].subnet_id, NET_ID_LEN, "%s", subnet);
	addr(&p->ips[p->n_ips].ip, ip);
	p->n_ips++;
	(void)x;
}

/* IPv6 routed too: hop limit - 1, router MACs; hop limit 1 punted. */
static void
test_route6(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	uint8_t f[FRAME_MAX];
	size_t len;

	x->subnets[x->view.n_subnets] = x->subnets[1];
	snprintf(x->subnets[x->view.n_subnets].id, NET_ID_LEN, "sn6-net-b");
	addr(&x->subnets[x->view.n_subnets].cidr, "fd00:b::/64");
	x->view.n_subnets++;
	add_v6(x, &x->ports[0], "sn6-net-a", "fd00:a::11");
	add_v6(x, &x->ports[1], "sn6-net-b", "fd00:b::11");
	add_v6(x, &x->ports[5], "sn6-net-b", "fd00:b::1"); /* ri-b */
	install(x);
	len = frame_udp6(f, mac_ra, mac_a1, "fd00:a::11", "fd00:b::11", 64);
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_B1);
	assert_memory_equal(res.tx_frame[0], mac_b1, 6);
	assert_memory_equal(res.tx_frame[0] + 6, mac_rb, 6);
	assert_int_equal(res.tx_frame[0][21], 63);
	len = frame_udp6(f, mac_ra, mac_a1, "fd00:a::11", "fd00:b::11", 1);
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 0);
	assert_int_equal(res.n_punt, 1);
	assert_int_equal(res.punt_reason, COMPILER_PUNT_TTL);
	/* No such host on the attached v6 subnet: dropped. */
	len = frame_udp6(f, mac_ra, mac_a1, "fd00:a::11", "fd00:b::99", 64);
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx + res.n_punt, 0);
}

/* Add rs to the datapath beside what is there; rs is released. */
static void
add_rules(struct fixture *x, struct compiler_rules *rs)
{
	char err[256] = "";

	assert_int_equal(x->dp.flow_begin(x->dp.ctx, err, sizeof(err)), 0);
	if (x->dp.flow_add(x->dp.ctx, rs->rules, rs->n, err, sizeof(err)) < 0)
		fail_msg("add: %s", err);
	if (x->dp.flow_commit(x->dp.ctx, err, sizeof(err)) < 0)
		fail_msg("commit: %s", err);
	compiler_rules_fini(rs);
}

/*
 * IPv6 through the gateway (2001:db8:e::a on ext's 2001:db8:e::/64,
 * gateway ::1): next hops on the subnet and by the default route are
 * punted COMPILER_PUNT_NEIGH_MISS until compiler_neigh6() gives their
 * MAC, then leave by x1 from the gateway MAC, hop limit 63; an NA to the
 * gateway address is punted COMPILER_PUNT_ND_LEARN; IPv4 still routes.
 */
static void
test_ext6(void **state)
{
	static const uint8_t mac_nh[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xe2};
	struct fixture *x = *state;
	struct compiler_rules rs = {0};
	struct harness_result res;
	struct net_view_subnet *s = &x->subnets[x->view.n_subnets++];
	uint8_t f[FRAME_MAX], ip[16];
	size_t len;

	snprintf(x->routers[0].gw_port_id, NET_ID_LEN, "rg");
	*s = x->subnets[2];
	snprintf(s->id, NET_ID_LEN, "sn6-ext");
	addr(&s->cidr, "2001:db8:e::/64");
	addr(&s->gateway, "2001:db8:e::1");
	add_v6(x, &x->ports[0], "sn6-net-a", "fd00:a::11");
	add_v6(x, &x->ports[6], "sn6-ext", "2001:db8:e::a");
	install(x);
	len = frame_udp6(f, mac_ra, mac_a1, "fd00:a::11", "2001:db8:e::77", 64);
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 0);
	assert_int_equal(res.n_punt, 1);
	assert_int_equal(res.punt_reason, COMPILER_PUNT_NEIGH_MISS);
	len = frame_udp6(f, mac_ra, mac_a1, "fd00:a::11", "2001:db8:99::5", 64);
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_punt, 1);
	assert_int_equal(res.punt_reason, COMPILER_PUNT_NEIGH_MISS);
	/* Learned: ::77 on the subnet is x1, the gateway ::1 another. */
	inet_pton(AF_INET6, "2001:db8:e::77", ip);
	assert_int_equal(
		compiler_neigh6(&x->view, &x->routers[0], ip, mac_x1, &rs), 0);
	inet_pton(AF_INET6, "2001:db8:e::1", ip);
	assert_int_equal(
		compiler_neigh6(&x->view, &x->routers[0], ip, mac_nh, &rs), 0);
	assert_int_equal(rs.n, 4);
	assert_true(rs.rules[2].cookie ==
		    compiler_cookie_neigh6(x->routers[0].id, ip));
	assert_true(rs.rules[0].cookie != rs.rules[2].cookie);
	add_rules(x, &rs);
	len = frame_udp6(f, mac_ra, mac_a1, "fd00:a::11", "2001:db8:e::77", 64);
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_X1);
	assert_memory_equal(res.tx_frame[0], mac_x1, 6);
	assert_memory_equal(res.tx_frame[0] + 6, mac_rg, 6);
	assert_int_equal(res.tx_frame[0][21], 63);
	len = frame_udp6(f, mac_ra, mac_a1, "fd00:a::11", "2001:db8:99::5", 64);
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_punt, 0);
	assert_int_equal(res.n_tx, 1);
	assert_memory_equal(res.tx_frame[0], mac_nh, 6);
	assert_memory_equal(res.tx_frame[0] + 6, mac_rg, 6);
	/* An NA to the gateway address: learning. */
	len = frame_ip6(f, mac_rg, mac_x1, "2001:db8:e::77", "2001:db8:e::a",
			58, 24);
	f[14 + 40] = 136;
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_punt, 1);
	assert_int_equal(res.punt_reason, COMPILER_PUNT_ND_LEARN);
	/* IPv4 to x1 beside it. */
	len = frame_icmp(f, mac_ra, mac_a1, "10.0.0.11", "172.24.4.100");
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_X1);
}

/* IPv6: NS for the router's address answered by nd_reply. */
static void
test_nd(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	uint8_t f[128] = {0};
	uint8_t src[16] = {0xfd, 0, 0, 0x0a, [15] = 0x11};
	uint8_t tgt[16] = {0xfd, 0, 0, 0x0a, [15] = 0x01};
	uint8_t snm[16] = {0xff, 2, [11] = 1, [12] = 0xff, [15] = 1};
	uint32_t s = 0;

	x->ports[0].n_ips = 2;
	snprintf(x->ports[0].ips[1].subnet_id, NET_ID_LEN, "sn6-net-a");
	memset(&x->ports[0].ips[1].ip, 0, sizeof(struct net_addr));
	x->ports[0].ips[1].ip.version = 6;
	memcpy(x->ports[0].ips[1].ip.a, src, 16);
	install(x);
	memcpy(f, (const uint8_t[6]){0x33, 0x33, 0xff, 0, 0, 1}, 6);
	memcpy(f + 6, mac_a1, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	f[14] = 0x60;
	f[19] = 32;
	f[20] = 58;
	f[21] = 255;
	memcpy(f + 22, src, 16);
	memcpy(f + 38, snm, 16);
	f[54] = 135;
	memcpy(f + 62, tgt, 16);
	f[78] = 1;
	f[79] = 1;
	memcpy(f + 80, mac_a1, 6);
	s = frame_csum(f + 22, 32, 0) + 32 + 58;
	s = frame_csum(f + 54, 32, s);
	f[56] = (uint8_t)(~s >> 8);
	f[57] = (uint8_t)~s;
	harness_run(&x->h, DP_A1, f, 86, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_A1);
	assert_int_equal(res.tx_frame[0][54], 136);
	assert_memory_equal(res.tx_frame[0] + 6, mac_ra, 6);
	assert_memory_equal(res.tx_frame[0] + 22, tgt, 16);
	assert_memory_equal(res.tx_frame[0] + 80, mac_ra, 6);
}

/* Security groups through the pipeline's conntrack. */
static void
test_sg_pipeline(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	uint8_t f[FRAME_MAX];
	size_t len;

	if (!has_ct())
		skip();
	with_gw_and_sgs(x);
	install(x);
	/* b1 -> a1 UDP 5001 (sg-web allows 5000-5003 from sg-def). */
	len = frame_udp(f, mac_rb, mac_b1, "10.0.1.11", "10.0.0.11", 4000, 5001,
			NULL, 0);
	harness_run(&x->h, DP_B1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_A1);
	/* The reply a1 -> b1 (sg-def ingress allows sg-def only: this is a
	 * reply, so it passes). */
	len = frame_udp(f, mac_ra, mac_a1, "10.0.0.11", "10.0.1.11", 5001, 4000,
			NULL, 0);
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_B1);
	/* b1 -> a1 UDP 6000: no rule, dropped. */
	len = frame_udp(f, mac_rb, mac_b1, "10.0.1.11", "10.0.0.11", 4000, 6000,
			NULL, 0);
	harness_run(&x->h, DP_B1, f, len, &res);
	assert_int_equal(res.n_tx, 0);
	/* a1 -> b1 new UDP: b1 only takes sg-def members: dropped. */
	len = frame_udp(f, mac_ra, mac_a1, "10.0.0.11", "10.0.1.11", 7000, 7000,
			NULL, 0);
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 0);
	/* a2 joins sg-def: now a2 -> b1 is let in (same network as a1,
	 * switched to the router). */
	port_sg(&x->ports[3], "sg-def");
	install(x);
	len = frame_udp(f, mac_ra, mac_a2, "10.0.0.12", "10.0.1.11", 7000, 7001,
			NULL, 0);
	harness_run(&x->h, DP_A2, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_B1);
	/* Rule removed under a live connection: b1 -> a1 5001 stops. */
	x->rules[3].port_min = 5002;
	x->rules[3].port_max = 5002;
	install(x);
	len = frame_udp(f, mac_rb, mac_b1, "10.0.1.11", "10.0.0.11", 4000, 5001,
			NULL, 0);
	harness_run(&x->h, DP_B1, f, len, &res);
	assert_int_equal(res.n_tx, 0);
}

/* SNAT out, un-SNAT back; a floating IP both ways. */
static void
test_nat_pipeline(void **state)
{
	struct fixture *x = *state;
	struct net_view_fip *fp;
	struct harness_result res;
	uint8_t f[FRAME_MAX];
	size_t len;

	if (!has_ct())
		skip();
	with_gw_and_sgs(x);
	install(x);
	/* ARP for the gateway address on the external network. */
	len = frame_arp(f, 1, mac_x1, "172.24.4.100", zero6, "172.24.4.10");
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_memory_equal(res.tx_frame[0] + 14 + 8, mac_rg, 6);
	/* b1 -> x1 (a Neutron port on ext): SNAT to 172.24.4.10. */
	len = frame_udp(f, mac_rb, mac_b1, "10.0.1.11", "172.24.4.100", 4444,
			53, NULL, 0);
	harness_run(&x->h, DP_B1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_X1);
	assert_memory_equal(res.tx_frame[0], mac_x1, 6);
	assert_memory_equal(res.tx_frame[0] + 6, mac_rg, 6);
	assert_true(ip_is(res.tx_frame[0] + 14 + 12, "172.24.4.10"));
	assert_ipv4_csum(res.tx_frame[0]);
	/* The reply to the gateway address comes back to b1. */
	len = frame_udp(f, mac_rg, mac_x1, "172.24.4.100", "172.24.4.10", 53,
			res.tx_frame[0][34] << 8 | res.tx_frame[0][35], NULL,
			0);
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_B1);
	assert_true(ip_is(res.tx_frame[0] + 14 + 16, "10.0.1.11"));
	assert_int_equal(res.tx_frame[0][36], 4444 >> 8);
	/* x1's ICMP port unreachable about the SNATed datagram comes back
	 * translated (related to the connection): to b1, quoting b1's own
	 * addresses and port. */
	{
		uint8_t q[28];
		uint8_t *ip = f + 14, *icmp = f + 34;

		len = frame_udp(f, mac_rb, mac_b1, "10.0.1.11", "172.24.4.100",
				4444, 53, NULL, 0);
		harness_run(&x->h, DP_B1, f, len, &res);
		assert_int_equal(res.n_tx, 1);
		memcpy(q, res.tx_frame[0] + 14, 28);
		len = frame_icmp(f, mac_rg, mac_x1, "172.24.4.100",
				 "172.24.4.10");
		ip[2] = 0;
		ip[3] = 20 + 8 + 28;
		ip[10] = 0;
		ip[11] = 0;
		uint16_t c = (uint16_t)~frame_csum(ip, 20, 0);

		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
		memset(icmp, 0, 8);
		icmp[0] = 3;
		icmp[1] = 3;
		memcpy(icmp + 8, q, 28);
		c = (uint16_t)~frame_csum(icmp, 36, 0);
		icmp[2] = (uint8_t)(c >> 8);
		icmp[3] = (uint8_t)c;
		len = 14 + 20 + 36;
		harness_run(&x->h, DP_X1, f, len, &res);
		assert_int_equal(res.n_tx, 1);
		assert_int_equal(res.tx_port[0], DP_B1);
		assert_true(ip_is(res.tx_frame[0] + 14 + 16, "10.0.1.11"));
		assert_int_equal(res.tx_frame[0][34], 3);
		/* The quoted header: b1's source address and port. */
		assert_true(ip_is(res.tx_frame[0] + 42 + 12, "10.0.1.11"));
		assert_int_equal(res.tx_frame[0][62], 4444 >> 8);
		assert_int_equal(res.tx_frame[0][63], 4444 & 0xff);
	}
	/* Unsolicited to the gateway address: nothing goes in. */
	len = frame_udp(f, mac_rg, mac_x1, "172.24.4.100", "172.24.4.10", 53,
			9999, NULL, 0);
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_tx, 0);

	/* A floating IP on a1. */
	fp = &x->fips[x->view.n_fips++];
	memset(fp, 0, sizeof(*fp));
	snprintf(fp->id, NET_ID_LEN, "fip1");
	snprintf(fp->floating_network_id, NET_ID_LEN, "ext");
	addr(&fp->floating_ip, "172.24.4.50");
	snprintf(fp->port_id, NET_ID_LEN, "a1");
	addr(&fp->fixed_ip, "10.0.0.11");
	snprintf(fp->router_id, NET_ID_LEN, "r1");
	install(x);
	len = frame_arp(f, 1, mac_x1, "172.24.4.100", zero6, "172.24.4.50");
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_memory_equal(res.tx_frame[0] + 14 + 8, mac_rg, 6);
	/* x1 -> 172.24.4.50 tcp 80 reaches a1 at 10.0.0.11 (sg-web). */
	len = frame_icmp(f, mac_rg, mac_x1, "172.24.4.100", "172.24.4.50");
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_A1);
	assert_true(ip_is(res.tx_frame[0] + 14 + 16, "10.0.0.11"));
	assert_memory_equal(res.tx_frame[0] + 6, mac_ra, 6);
	/* a1 -> x1: leaves from the floating IP, not the gateway. */
	len = frame_udp(f, mac_ra, mac_a1, "10.0.0.11", "172.24.4.100", 5555,
			53, NULL, 0);
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_X1);
	assert_true(ip_is(res.tx_frame[0] + 14 + 12, "172.24.4.50"));
	/* Disassociated: the address is gone (no ARP, no DNAT). */
	fp->port_id[0] = '\0';
	install(x);
	len = frame_arp(f, 1, mac_x1, "172.24.4.100", zero6, "172.24.4.50");
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_false(harness_sent_to(&res, DP_X1) &&
		     memcmp(res.tx_frame[0] + 14 + 8, mac_rg, 6) == 0);
	len = frame_udp(f, mac_rg, mac_x1, "172.24.4.100", "172.24.4.50", 1, 80,
			NULL, 0);
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_false(harness_sent_to(&res, DP_A1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_owners, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sg_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ext6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sg_pipeline, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nat_pipeline, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
