/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * compiler_test.c: the compiler's rules, installed in the real pipeline
 * and exercised with crafted frames. Topology:
 *
 *   project P1, network A (segment 100), 10.0.0.0/24
 *     a1 dp 1  fa:16:3e:00:00:a1  10.0.0.11
 *     a2 dp 2  fa:16:3e:00:00:a2  10.0.0.12
 *     a3 dp 5  fa:16:3e:00:00:a3  10.0.0.13  (port security off)
 *   project P2, network B (segment 200), the same 10.0.0.0/24
 *     b1 dp 3  fa:16:3e:00:00:b1  10.0.0.11
 *     b2 dp 4  fa:16:3e:00:00:b2  10.0.0.12
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
static const uint8_t mac_a3[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xa3};
static const uint8_t mac_b1[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xb1};
static const uint8_t mac_b2[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xb2};
static const uint8_t mac_x[6] = {0x02, 0, 0, 0, 0, 0x77};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t zero6[6];

enum { PORTS_MAX = 128, FLOOD_N = 40 };

struct fixture {
	struct net_view_network nets[4];
	struct net_view_subnet subnets[4];
	struct net_view_port ports[PORTS_MAX];
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

static struct net_view_port *
add_port(struct fixture *x, const char *id, const char *net, const char *subnet,
	 const uint8_t mac[6], const char *ip, uint32_t dp_port)
{
	struct net_view_port *p = &x->ports[x->view.n_ports++];

	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	snprintf(p->network_id, sizeof(p->network_id), "%s", net);
	memcpy(p->mac, mac, 6);
	p->is_admin_up = true;
	p->is_port_security = true;
	p->n_ips = 1;
	snprintf(p->ips[0].subnet_id, sizeof(p->ips[0].subnet_id), "%s",
		 subnet);
	addr(&p->ips[0].ip, ip);
	p->vif = NET_VIF_KERNEL;
	p->dp_port = dp_port;
	return p;
}

static void
add_net(struct fixture *x, const char *id, const char *project, uint32_t seg)
{
	struct net_view_network *n = &x->nets[x->view.n_networks];
	struct net_view_subnet *s = &x->subnets[x->view.n_subnets];

	memset(n, 0, sizeof(*n));
	snprintf(n->id, sizeof(n->id), "%s", id);
	snprintf(n->project_id, sizeof(n->project_id), "%s", project);
	n->segment_id = seg;
	n->mtu = 1500;
	n->is_port_security = true;
	n->is_admin_up = true;
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "sn-%s", id);
	snprintf(s->network_id, sizeof(s->network_id), "%s", id);
	addr(&s->cidr, "10.0.0.0/24");
	addr(&s->gateway, "10.0.0.1");
	s->is_dhcp = true;
	x->view.n_networks++;
	x->view.n_subnets++;
}

/* Replace every rule in the pipeline with the view's. */
static void
install(struct fixture *x)
{
	struct compiler_rules rs = {0};
	char err[256] = "";
	int rc;

	assert_int_equal(compiler_all(&x->view, &rs), 0);
	assert_int_equal(x->dp.flow_begin(x->dp.ctx, err, sizeof(err)), 0);
	assert_int_equal(x->dp.flow_del_cookie(x->dp.ctx, COMPILER_COOKIE_NS,
					       COMPILER_COOKIE_NS_MASK, err,
					       sizeof(err)),
			 0);
	for (size_t i = 0; i < rs.n; i++) {
		rc = dp_rule_validate(&rs.rules[i], err, sizeof(err));
		if (rc < 0)
			fail_msg("rule %zu invalid: %s", i, err);
	}
	rc = x->dp.flow_add(x->dp.ctx, rs.rules, rs.n, err, sizeof(err));
	if (rc < 0)
		fail_msg("add: %s", err);
	rc = x->dp.flow_commit(x->dp.ctx, err, sizeof(err));
	if (rc < 0)
		fail_msg("commit: %s", err);
	compiler_rules_fini(&rs);
}

static int
setup(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	x->view.networks = x->nets;
	x->view.subnets = x->subnets;
	x->view.ports = x->ports;
	add_net(x, "net-a", "P1", 100);
	add_net(x, "net-b", "P2", 200);
	add_port(x, "a1", "net-a", "sn-net-a", mac_a1, "10.0.0.11", 1);
	add_port(x, "a2", "net-a", "sn-net-a", mac_a2, "10.0.0.12", 2);
	add_port(x, "a3", "net-a", "sn-net-a", mac_a3, "10.0.0.13", 5)
		->is_port_security = false;
	add_port(x, "b1", "net-b", "sn-net-b", mac_b1, "10.0.0.11", 3);
	add_port(x, "b2", "net-b", "sn-net-b", mac_b2, "10.0.0.12", 4);
	harness_init(&x->h);
	fake_dp_init(&x->f, &x->dp);
	fake_dp_use_pipeline(&x->f, &x->dp, x->h.pl);
	install(x);
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

static void
send_icmp(struct fixture *x, uint32_t in_port, const uint8_t *dst,
	  const uint8_t *src, const char *ip_src, const char *ip_dst,
	  struct harness_result *r)
{
	uint8_t f[FRAME_MAX];
	size_t n = frame_icmp(f, dst, src, ip_src, ip_dst);

	harness_run(&x->h, in_port, f, n, r);
}

static void
send_arp(struct fixture *x, uint32_t in_port, const uint8_t *sha,
	 const char *spa, const char *tpa, struct harness_result *r)
{
	uint8_t f[FRAME_MAX];
	size_t n = frame_arp(f, 1, sha, spa, zero6, tpa);

	harness_run(&x->h, in_port, f, n, r);
}

static void
expect_only(const struct harness_result *r, const uint32_t *ports, unsigned n)
{
	if (r->n_tx != n) {
		fprintf(stderr, "sent to:");
		for (unsigned i = 0; i < r->n_tx; i++)
			fprintf(stderr, " %u", r->tx_port[i]);
		fprintf(stderr, "\n");
	}
	assert_int_equal(r->n_tx, n);
	for (unsigned i = 0; i < n; i++)
		assert_true(harness_sent_to(r, ports[i]));
	assert_int_equal(r->n_punt, 0);
}

static void
test_rules_valid(void **state)
{
	struct fixture *x = *state;
	struct compiler_rules rs = {0};
	char err[256];

	assert_int_equal(compiler_all(&x->view, &rs), 0);
	assert_true(rs.n > 20);
	for (size_t i = 0; i < rs.n; i++) {
		assert_int_equal(
			dp_rule_validate(&rs.rules[i], err, sizeof(err)), 0);
		assert_int_not_equal(compiler_cookie_kind(rs.rules[i].cookie),
				     0);
	}
	assert_int_equal(compiler_cookie_kind(compiler_cookie_port("a1")),
			 COMPILER_KIND_PORT);
	assert_int_equal(compiler_cookie_kind(compiler_cookie_network(100)),
			 COMPILER_KIND_NETWORK);
	assert_int_equal(compiler_cookie_kind(0x1234), 0);
	assert_true(compiler_cookie_port("a1") != compiler_cookie_port("a2"));
	compiler_rules_fini(&rs);
}

static void
test_same_network(void **state)
{
	struct fixture *x = *state;
	struct harness_result r;
	static const uint32_t to2[] = {2}, to4[] = {4}, to1[] = {1};

	send_icmp(x, 1, mac_a2, mac_a1, "10.0.0.11", "10.0.0.12", &r);
	expect_only(&r, to2, 1);
	send_icmp(x, 2, mac_a1, mac_a2, "10.0.0.12", "10.0.0.11", &r);
	expect_only(&r, to1, 1);
	send_icmp(x, 3, mac_b2, mac_b1, "10.0.0.11", "10.0.0.12", &r);
	expect_only(&r, to4, 1);
}

static void
test_isolation(void **state)
{
	struct fixture *x = *state;
	struct harness_result r;
	static const uint32_t flood_a1[] = {2, 5};

	/* a1 addresses b2's MAC: unknown in A, flooded inside A only. */
	send_icmp(x, 1, mac_b2, mac_a1, "10.0.0.11", "10.0.0.12", &r);
	expect_only(&r, flood_a1, 2);
	assert_false(harness_sent_to(&r, 3));
	assert_false(harness_sent_to(&r, 4));
	/* ... and the same from b1 to a2's MAC stays in B. */
	send_icmp(x, 3, mac_a2, mac_b1, "10.0.0.11", "10.0.0.12", &r);
	assert_int_equal(r.n_tx, 1);
	assert_true(harness_sent_to(&r, 4));
}

static void
check_arp_reply(const struct harness_result *r, uint32_t in_port,
		const uint8_t *asker, const char *asker_ip,
		const uint8_t *owner, const char *owner_ip)
{
	const uint8_t *f = r->tx_frame[0], *a = f + 14;
	uint8_t ip[4];

	assert_int_equal(r->n_tx, 1);
	assert_true(r->tx_port[0] == in_port ||
		    r->tx_port[0] == DP_PORT_IN_PORT);
	assert_memory_equal(f, asker, 6);
	assert_memory_equal(f + 6, owner, 6);
	assert_int_equal(a[6] << 8 | a[7], 2);
	assert_memory_equal(a + 8, owner, 6);
	inet_pton(AF_INET, owner_ip, ip);
	assert_memory_equal(a + 14, ip, 4);
	assert_memory_equal(a + 18, asker, 6);
	inet_pton(AF_INET, asker_ip, ip);
	assert_memory_equal(a + 24, ip, 4);
}

static void
test_arp_answered(void **state)
{
	struct fixture *x = *state;
	struct harness_result r;
	static const uint32_t flood_a1[] = {2, 5};

	send_arp(x, 1, mac_a1, "10.0.0.11", "10.0.0.12", &r);
	check_arp_reply(&r, 1, mac_a1, "10.0.0.11", mac_a2, "10.0.0.12");
	/* The same address in project P2 is b2. */
	send_arp(x, 3, mac_b1, "10.0.0.11", "10.0.0.12", &r);
	check_arp_reply(&r, 3, mac_b1, "10.0.0.11", mac_b2, "10.0.0.12");
	/* A port asking for its own address is not answered by us. */
	send_arp(x, 1, mac_a1, "10.0.0.11", "10.0.0.11", &r);
	expect_only(&r, flood_a1, 2);
	/* An ARP probe (sender 0.0.0.0) is allowed and answered. */
	send_arp(x, 1, mac_a1, "0.0.0.0", "10.0.0.12", &r);
	assert_int_equal(r.n_tx, 1);
}

static void
test_broadcast_flood(void **state)
{
	struct fixture *x = *state;
	struct harness_result r;
	static const uint32_t from_a1[] = {2, 5}, from_a3[] = {1, 2},
			      from_b1[] = {4};

	send_arp(x, 1, mac_a1, "10.0.0.11", "10.0.0.99", &r);
	expect_only(&r, from_a1, 2);
	send_arp(x, 5, mac_a3, "10.0.0.13", "10.0.0.99", &r);
	expect_only(&r, from_a3, 2);
	send_arp(x, 3, mac_b1, "10.0.0.11", "10.0.0.99", &r);
	expect_only(&r, from_b1, 1);
	send_icmp(x, 1, bcast, mac_a1, "10.0.0.11", "10.0.0.255", &r);
	expect_only(&r, from_a1, 2);
}

static void
test_spoof_dropped(void **state)
{
	struct fixture *x = *state;
	struct harness_result r;
	uint8_t f[FRAME_MAX];
	size_t n;

	/* Source MAC of another port. */
	send_icmp(x, 1, mac_a2, mac_a2, "10.0.0.11", "10.0.0.12", &r);
	assert_int_equal(r.n_tx, 0);
	assert_int_equal(r.n_drop, 1);
	/* Source IP of another port. */
	send_icmp(x, 1, mac_a2, mac_a1, "10.0.0.12", "10.0.0.12", &r);
	assert_int_equal(r.n_tx, 0);
	assert_int_equal(r.n_drop, 1);
	/* b1 using P1's a2 address is as spoofed as anything. */
	send_icmp(x, 3, mac_b2, mac_b1, "10.0.0.99", "10.0.0.12", &r);
	assert_int_equal(r.n_tx, 0);
	/* ARP with a forged sender address or hardware address. */
	send_arp(x, 1, mac_a1, "10.0.0.12", "10.0.0.13", &r);
	assert_int_equal(r.n_tx, 0);
	n = frame_arp(f, 1, mac_a1, "10.0.0.11", zero6, "10.0.0.12");
	memcpy(f + 14 + 8, mac_x, 6);
	harness_run(&x->h, 1, f, n, &r);
	assert_int_equal(r.n_tx, 0);
	/* DHCP with a forged source MAC is not punted. */
	n = frame_dhcp(f, 1, 1, mac_x, NULL, NULL, NULL, 0);
	harness_run(&x->h, 1, f, n, &r);
	assert_int_equal(r.n_punt, 0);
	assert_int_equal(r.n_tx, 0);
	/* Unknown ingress port. */
	send_icmp(x, 9, mac_a2, mac_a1, "10.0.0.11", "10.0.0.12", &r);
	assert_int_equal(r.n_tx, 0);
	/* Port security off: anything goes from a3. */
	send_icmp(x, 5, mac_a1, mac_x, "192.0.2.1", "10.0.0.11", &r);
	assert_int_equal(r.n_tx, 1);
	assert_true(harness_sent_to(&r, 1));
}

static void
test_dhcp_punted(void **state)
{
	struct fixture *x = *state;
	struct harness_result r;
	uint8_t f[FRAME_MAX];
	size_t n;

	n = frame_dhcp(f, 1, 1, mac_a1, NULL, NULL, NULL, 0);
	harness_run(&x->h, 1, f, n, &r);
	assert_int_equal(r.n_punt, 1);
	assert_int_equal(r.punt_reason, COMPILER_PUNT_DHCP);
	assert_int_equal(r.n_tx, 0);
	/* Renewal from the leased address too. */
	n = frame_dhcp(f, 3, 2, mac_b1, "10.0.0.11", NULL, NULL, 0);
	harness_run(&x->h, 3, f, n, &r);
	assert_int_equal(r.n_punt, 1);
	/* Port security off: still answered natively. */
	n = frame_dhcp(f, 1, 3, mac_a3, NULL, NULL, NULL, 0);
	harness_run(&x->h, 5, f, n, &r);
	assert_int_equal(r.n_punt, 1);
	assert_int_equal(r.n_tx, 0);
}

/* A DHCPv6 client frame (546 -> 547) from port in_port's MAC src. */
static void
send_dhcp6(struct fixture *x, uint32_t in_port, const uint8_t *src,
	   uint16_t sport, struct harness_result *r)
{
	static const uint8_t all_srv[6] = {0x33, 0x33, 0, 1, 0, 2};
	uint8_t f[FRAME_MAX];
	size_t n = frame_ip6(f, all_srv, src, "fe80::f816:3eff:fe00:a1",
			     "ff02::1:2", 17, 24);

	f[54] = (uint8_t)(sport >> 8);
	f[55] = (uint8_t)sport;
	f[56] = 547 >> 8;
	f[57] = 547 & 0xff;
	f[58] = 0;
	f[59] = 24;
	harness_run(&x->h, in_port, f, n, r);
}

/* DHCPv6 is punted only on a network with a dhcpv6 subnet, from the
 * port's MAC (port security), before admission of its link-local source. */
static void
test_dhcp6_punted(void **state)
{
	struct fixture *x = *state;
	struct net_view_subnet *s6 = &x->subnets[x->view.n_subnets];
	struct harness_result r;

	send_dhcp6(x, 1, mac_a1, 546, &r);
	assert_int_equal(r.n_punt, 0);
	memset(s6, 0, sizeof(*s6));
	snprintf(s6->id, sizeof(s6->id), "sn6-a");
	snprintf(s6->network_id, sizeof(s6->network_id), "net-a");
	addr(&s6->cidr, "2001:db8:a::/64");
	s6->is_dhcp = true;
	s6->ra_mode = NET_V6_SLAAC;
	x->view.n_subnets++;
	install(x);
	send_dhcp6(x, 1, mac_a1, 546, &r);
	assert_int_equal(r.n_punt, 0);
	for (int mode = NET_V6_DHCP_STATEFUL; mode <= NET_V6_DHCP_STATELESS;
	     mode++) {
		s6->ra_mode = (uint8_t)mode;
		install(x);
		send_dhcp6(x, 1, mac_a1, 546, &r);
		assert_int_equal(r.n_punt, 1);
		assert_int_equal(r.punt_reason, COMPILER_PUNT_DHCP6);
		assert_int_equal(r.n_tx, 0);
		/* Port security off: answered too. */
		send_dhcp6(x, 5, mac_a3, 546, &r);
		assert_int_equal(r.n_punt, 1);
		/* Forged MAC, wrong source port, other network: not. */
		send_dhcp6(x, 1, mac_x, 546, &r);
		assert_int_equal(r.n_punt, 0);
		send_dhcp6(x, 1, mac_a1, 547, &r);
		assert_int_equal(r.n_punt, 0);
		send_dhcp6(x, 3, mac_b1, 546, &r);
		assert_int_equal(r.n_punt, 0);
	}
}

static void
test_admin_down_and_pairs(void **state)
{
	struct fixture *x = *state;
	struct harness_result r;
	struct net_view_port *a2 = &x->ports[1];
	static const uint32_t to2[] = {2}, to5[] = {5};

	a2->n_pairs = 2;
	addr(&a2->pairs[0].ip, "10.0.0.100");
	addr(&a2->pairs[1].ip, "10.0.0.200/32");
	a2->pairs[1].has_mac = true;
	memcpy(a2->pairs[1].mac, mac_x, 6);
	install(x);
	send_icmp(x, 2, mac_a1, mac_a2, "10.0.0.100", "10.0.0.11", &r);
	assert_int_equal(r.n_tx, 1);
	send_icmp(x, 2, mac_a1, mac_a2, "10.0.0.101", "10.0.0.11", &r);
	assert_int_equal(r.n_tx, 0);
	send_icmp(x, 2, mac_a1, mac_x, "10.0.0.200", "10.0.0.11", &r);
	assert_int_equal(r.n_tx, 1);
	send_icmp(x, 2, mac_a1, mac_x, "10.0.0.12", "10.0.0.11", &r);
	assert_int_equal(r.n_tx, 0);
	send_icmp(x, 1, mac_x, mac_a1, "10.0.0.11", "10.0.0.200", &r);
	expect_only(&r, to2, 1);

	a2->is_admin_up = false;
	install(x);
	send_icmp(x, 2, mac_a1, mac_a2, "10.0.0.12", "10.0.0.11", &r);
	assert_int_equal(r.n_tx, 0);
	assert_int_equal(r.n_drop, 1);
	/* a2's MAC is unknown now: flooded, but a2 is no member. */
	send_icmp(x, 1, mac_a2, mac_a1, "10.0.0.11", "10.0.0.12", &r);
	expect_only(&r, to5, 1);
}

static size_t
count_owner(struct fixture *x, uint64_t cookie, struct dp_flow_entry **out)
{
	size_t n = 0;
	char err[128];

	assert_int_equal(x->dp.flow_dump(x->dp.ctx, cookie, ~0ULL, out, &n, err,
					 sizeof(err)),
			 0);
	return n;
}

static void
test_incremental(void **state)
{
	struct fixture *x = *state;
	struct net_view_port *a1 = &x->ports[0];
	struct dp_flow_entry *b_before, *b_after, *a1_rules;
	struct harness_result r;
	uint64_t owners[2];
	size_t n_b, n_b2, n_total;
	char err[256];

	n_b = count_owner(x, compiler_cookie_port("b1"), &b_before);
	assert_true(n_b > 0);
	n_total = dp_pipeline_n_rules(x->h.pl);

	addr(&a1->ips[0].ip, "10.0.0.21");
	owners[0] = compiler_cookie_port("a1");
	owners[1] = compiler_cookie_network(100);
	x->f.n_rules_added = 0;
	assert_int_equal(
		compiler_apply(&x->dp, &x->view, owners, 2, err, sizeof(err)),
		0);
	/* Only a1's and network A's rules were sent. */
	assert_true(x->f.n_rules_added < 20);
	assert_int_equal(dp_pipeline_n_rules(x->h.pl), n_total);
	n_b2 = count_owner(x, compiler_cookie_port("b1"), &b_after);
	assert_int_equal(n_b2, n_b);
	for (size_t i = 0; i < n_b; i++)
		assert_memory_equal(&b_before[i].rule, &b_after[i].rule,
				    sizeof(struct dp_rule));
	free(b_before);
	free(b_after);

	send_icmp(x, 1, mac_a2, mac_a1, "10.0.0.21", "10.0.0.12", &r);
	assert_int_equal(r.n_tx, 1);
	send_icmp(x, 1, mac_a2, mac_a1, "10.0.0.11", "10.0.0.12", &r);
	assert_int_equal(r.n_tx, 0);
	send_arp(x, 2, mac_a2, "10.0.0.12", "10.0.0.21", &r);
	check_arp_reply(&r, 2, mac_a2, "10.0.0.12", mac_a1, "10.0.0.21");

	/* Port deleted: its owner's rules go, the network's are rebuilt. */
	memmove(&x->ports[0], &x->ports[1], 4 * sizeof(struct net_view_port));
	x->view.n_ports = 4;
	assert_int_equal(
		compiler_apply(&x->dp, &x->view, owners, 2, err, sizeof(err)),
		0);
	assert_int_equal(count_owner(x, owners[0], &a1_rules), 0);
	free(a1_rules);
	send_icmp(x, 2, bcast, mac_a2, "10.0.0.12", "10.0.0.255", &r);
	assert_int_equal(r.n_tx, 1);
	assert_true(harness_sent_to(&r, 5));
}

static void
test_flood_many(void **state)
{
	struct fixture *x = *state;
	struct harness_result r;
	struct compiler_rules rs = {0};
	char id[16], ip[20];
	uint8_t mac[6] = {0x02, 0, 0, 0, 1, 0};

	/* 40 members: 39 copies, 15 from table 3, 15 from 4, 9 from 5. */
	x->view.n_ports = 0;
	for (unsigned i = 0; i < FLOOD_N; i++) {
		snprintf(id, sizeof(id), "m%u", i);
		snprintf(ip, sizeof(ip), "10.0.0.%u", 100 + i);
		mac[5] = (uint8_t)i;
		add_port(x, id, "net-a", "sn-net-a", mac, ip, 101 + i);
	}
	install(x);
	mac[5] = 0;
	send_arp(x, 101, mac, "10.0.0.100", "10.0.0.250", &r);
	assert_int_equal(r.n_tx, FLOOD_N - 1);
	for (unsigned i = 1; i < FLOOD_N; i++)
		assert_true(harness_sent_to(&r, 101 + i));
	assert_false(harness_sent_to(&r, 101));

	/* More ports than the flood tables hold (90 members). */
	for (unsigned i = FLOOD_N; i < 90; i++) {
		snprintf(id, sizeof(id), "m%u", i);
		snprintf(ip, sizeof(ip), "10.0.1.%u", i);
		add_port(x, id, "net-a", "sn-net-a", mac, ip, 101 + i);
	}
	assert_int_equal(compiler_network(&x->view, &x->nets[0], &rs), 0);
	assert_int_equal(rs.n_cut_floods, 1);
	compiler_rules_fini(&rs);
	/* Cut short, not failed: 76 copies, the rest of the host works. */
	install(x);
	send_arp(x, 101, mac, "10.0.0.100", "10.0.0.250", &r);
	assert_int_equal(r.n_tx, 76);
	for (unsigned i = 1; i <= 76; i++)
		assert_true(harness_sent_to(&r, 101 + i));
}

/*
 * Packets seen before the rules exist (a datapath restarted under
 * traffic) must not keep missing once the rules are committed.
 */
static void
test_rules_after_traffic(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));
	struct harness_result r;
	static const uint32_t to2[] = {2};

	(void)state;
	assert_non_null(x);
	x->view.networks = x->nets;
	x->view.subnets = x->subnets;
	x->view.ports = x->ports;
	add_net(x, "net-a", "P1", 100);
	add_port(x, "a1", "net-a", "sn-net-a", mac_a1, "10.0.0.11", 1);
	add_port(x, "a2", "net-a", "sn-net-a", mac_a2, "10.0.0.12", 2);
	harness_init(&x->h);
	fake_dp_init(&x->f, &x->dp);
	fake_dp_use_pipeline(&x->f, &x->dp, x->h.pl);
	for (int i = 0; i < 3; i++) {
		send_icmp(x, 1, mac_a2, mac_a1, "10.0.0.11", "10.0.0.12", &r);
		assert_int_equal(r.n_tx, 0);
	}
	install(x);
	send_icmp(x, 1, mac_a2, mac_a1, "10.0.0.11", "10.0.0.12", &r);
	expect_only(&r, to2, 1);
	harness_fini(&x->h);
	free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rules_valid, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_same_network, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_isolation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_arp_answered, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_broadcast_flood, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_spoof_dropped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dhcp_punted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dhcp6_punted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_admin_down_and_pairs,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_incremental, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_flood_many, setup,
						teardown),
		cmocka_unit_test(test_rules_after_traffic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
