/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * compiler_lb_test.c: a load balancer's VIP rules (compiler_lb.h) on top
 * of a network's, with packets through the real pipeline and a real
 * lb_select pool (harness.h, pl_lb.h). Topology, network net-a (segment
 * 100, 10.0.0.0/24):
 *     c1 dp 1  fa:16:3e:00:00:c1  10.0.0.11  (client, in sg-web)
 *     m1 dp 2  fa:16:3e:00:00:01  10.0.0.21  (members; m3 with a
 *     m2 dp 3  fa:16:3e:00:00:02  10.0.0.22   security group allowing
 *     m3 dp 4  fa:16:3e:00:00:03  10.0.0.23   the VIP in)
 *     vip dp 0 fa:16:3e:00:00:ff  10.0.0.100 (the LB's VIP port)
 *   listener UDP 80 -> pool 1 (round robin, the three members, port 8080).
 * The routed tests add (add_routed()): router r1 with interfaces on
 * net-a (10.0.0.1) and net-b (segment 200, 10.1.0.0/24; client c2 dp 5
 * 10.1.0.11) and a gateway on the external network pub (segment 300,
 * 172.24.4.0/24, gateway port 172.24.4.2; client x dp 6 172.24.4.100),
 * and floating IP 172.24.4.50 on the VIP port.
 * The IPv6 tests (setup6()) give net-a a second subnet fd00:a::/64 and
 * every port an address there (c1 ::11, m1-m3 ::21-::23, the VIP
 * ::100), make the VIP IPv6 and pool 1 an IPv6 pool; add_routed6() adds
 * fd00:b::/64 on net-b (r1 ::1 on both, c2 fd00:b::11).
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
#include "compiler_lb.h"
#include "fake_dp.h"
#include "frames.h"
#include "harness.h"
#include "net_view.h"
#include "pl_lb.h"

static const uint8_t mac_c1[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xc1};
static const uint8_t mac_m[3][6] = {
	{0xfa, 0x16, 0x3e, 0, 0, 0x01},
	{0xfa, 0x16, 0x3e, 0, 0, 0x02},
	{0xfa, 0x16, 0x3e, 0, 0, 0x03},
};
static const uint8_t mac_vip[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xff};
static const uint8_t mac_c2[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xc2};
static const uint8_t mac_x[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xd1};
static const uint8_t mac_ra[6] = {0xfa, 0x16, 0x3e, 0, 1, 0xa1};
static const uint8_t mac_rb[6] = {0xfa, 0x16, 0x3e, 0, 1, 0xb1};
static const uint8_t mac_rg[6] = {0xfa, 0x16, 0x3e, 0, 1, 0xe1};
static const char *const ip_m[3] = {"10.0.0.21", "10.0.0.22", "10.0.0.23"};
static const char *const ip6_m[3] = {"fd00:a::21", "fd00:a::22", "fd00:a::23"};

enum {
	DP_C1 = 1,
	DP_M1 = 2,
	DP_C2 = 5,
	DP_X = 6,
	POOL = 1,
	MEMBER_PORT = 8080
};

struct fixture {
	struct net_view_network nets[3];
	struct net_view_subnet subnets[6];
	struct net_view_port ports[16];
	struct net_view_router routers[1];
	struct net_view_fip fips[1];
	struct net_view_sg sgs[1];
	struct net_view_sg_rule sg_rules[4];
	struct net_view view;
	struct compiler_lb lb;
	struct harness h;
	struct fake_dp f;
	struct net_dp dp;
	unsigned n_sport; /* round6()'s next source port */
};

static void
addr(struct net_addr *a, const char *s)
{
	assert_int_equal(net_addr_parse(s, a), 0);
}

static struct net_view_port *
add_port(struct fixture *x, const char *id, const uint8_t mac[6],
	 const char *ip, uint32_t dp_port)
{
	struct net_view_port *p = &x->ports[x->view.n_ports++];

	snprintf(p->id, sizeof(p->id), "%s", id);
	snprintf(p->network_id, sizeof(p->network_id), "net-a");
	memcpy(p->mac, mac, 6);
	p->is_admin_up = true;
	p->is_port_security = true;
	p->n_ips = 1;
	snprintf(p->ips[0].subnet_id, sizeof(p->ips[0].subnet_id), "sn-a");
	addr(&p->ips[0].ip, ip);
	p->vif = dp_port != 0 ? NET_VIF_KERNEL : NET_VIF_NONE;
	p->dp_port = dp_port;
	return p;
}

/* A network with one subnet. */
static void
add_net(struct fixture *x, const char *id, uint32_t seg, const char *cidr,
	const char *gw, bool is_external)
{
	struct net_view_network *n = &x->nets[x->view.n_networks++];
	struct net_view_subnet *s = &x->subnets[x->view.n_subnets++];

	snprintf(n->id, sizeof(n->id), "%s", id);
	snprintf(n->project_id, sizeof(n->project_id), "P1");
	n->segment_id = seg;
	n->is_admin_up = true;
	n->is_external = is_external;
	snprintf(s->id, sizeof(s->id), "sn-%s", id);
	snprintf(s->network_id, sizeof(s->network_id), "%s", id);
	addr(&s->cidr, cidr);
	addr(&s->gateway, gw);
}

/* A port on network net (subnet sn-<net>, sn-a for net-a), owned by
 * owner (router r1's) when not NULL. */
static struct net_view_port *
add_port_on(struct fixture *x, const char *id, const char *net,
	    const uint8_t mac[6], const char *ip, uint32_t dp_port,
	    const char *owner)
{
	struct net_view_port *p = add_port(x, id, mac, ip, dp_port);

	snprintf(p->network_id, sizeof(p->network_id), "%s", net);
	if (strcmp(net, "net-a") != 0) /* net-a's is sn-a (setup) */
		snprintf(p->ips[0].subnet_id, sizeof(p->ips[0].subnet_id),
			 "sn-%s", net);
	if (owner != NULL) {
		snprintf(p->device_owner, sizeof(p->device_owner), "%s", owner);
		snprintf(p->device_id, sizeof(p->device_id), "r1");
		p->is_port_security = false;
	}
	return p;
}

static void
pool_set(struct fixture *x, uint16_t w3)
{
	struct dp_lb_pool p;
	struct dp_lb_member m[3];
	char err[128] = "";

	memset(&p, 0, sizeof(p));
	memset(m, 0, sizeof(m));
	p.id = POOL;
	p.n_members = 3;
	p.alg = DP_LB_ROUND_ROBIN;
	memcpy(&p.src_addr, x->lb.vip, 4);
	for (unsigned i = 0; i < 3; i++) {
		inet_pton(AF_INET, ip_m[i], &m[i].addr);
		m[i].port = htons(MEMBER_PORT);
		m[i].weight = i == 2 ? w3 : 1;
		m[i].flags = DP_LB_M_UP;
	}
	if (dp_pipeline_lb_set(x->h.pl, &p, m, err, sizeof(err)) != 0)
		fail_msg("lb_set: %s", err);
}

static void
install(struct fixture *x)
{
	struct compiler_rules rs = {0};
	char err[256] = "";
	int rc;

	assert_int_equal(compiler_all(&x->view, &rs), 0);
	assert_int_equal(compiler_lb(&x->view, &x->lb, &rs), 0);
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

/* Router r1 (net-a, net-b, gateway on pub), clients c2 and x, a
 * floating IP on the VIP port; rules installed again. */
static void
add_routed(struct fixture *x)
{
	struct net_view_router *r = &x->routers[0];
	struct net_view_fip *f = &x->fips[0];
	struct net_view_port *p;

	x->view.routers = x->routers;
	x->view.fips = x->fips;
	add_net(x, "net-b", 200, "10.1.0.0/24", "10.1.0.1", false);
	add_net(x, "pub", 300, "172.24.4.0/24", "172.24.4.1", true);
	add_port_on(x, "c2", "net-b", mac_c2, "10.1.0.11", DP_C2, NULL);
	p = add_port_on(x, "x", "pub", mac_x, "172.24.4.100", DP_X, NULL);
	p->is_port_security = false;
	add_port_on(x, "r1-a", "net-a", mac_ra, "10.0.0.1", 0,
		    "network:router_interface");
	add_port_on(x, "r1-b", "net-b", mac_rb, "10.1.0.1", 0,
		    "network:router_interface");
	add_port_on(x, "r1-gw", "pub", mac_rg, "172.24.4.2", 0,
		    "network:router_gateway");
	snprintf(r->id, sizeof(r->id), "r1");
	snprintf(r->project_id, sizeof(r->project_id), "P1");
	r->is_admin_up = true;
	r->is_snat = true;
	snprintf(r->gw_port_id, sizeof(r->gw_port_id), "r1-gw");
	x->view.n_routers = 1;
	snprintf(f->id, sizeof(f->id), "fip1");
	snprintf(f->floating_network_id, sizeof(f->floating_network_id), "pub");
	addr(&f->floating_ip, "172.24.4.50");
	snprintf(f->port_id, sizeof(f->port_id), "vip");
	addr(&f->fixed_ip, "10.0.0.100");
	snprintf(f->router_id, sizeof(f->router_id), "r1");
	x->view.n_fips = 1;
	install(x);
}

static int
setup(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));
	struct net_view_network *n;
	struct net_view_subnet *s;
	struct net_view_port *p;
	struct net_view_sg_rule *sr;
	char name[8];

	assert_non_null(x);
	x->view.networks = x->nets;
	x->view.subnets = x->subnets;
	x->view.ports = x->ports;
	x->view.sgs = x->sgs;
	x->view.sg_rules = x->sg_rules;
	n = &x->nets[x->view.n_networks++];
	snprintf(n->id, sizeof(n->id), "net-a");
	snprintf(n->project_id, sizeof(n->project_id), "P1");
	n->segment_id = 100;
	n->is_admin_up = true;
	s = &x->subnets[x->view.n_subnets++];
	snprintf(s->id, sizeof(s->id), "sn-a");
	snprintf(s->network_id, sizeof(s->network_id), "net-a");
	addr(&s->cidr, "10.0.0.0/24");
	addr(&s->gateway, "10.0.0.1");
	/* The client in sg-web too: its egress (any) and the replies
	 * (+est+rpl in its zone) pass its stage. */
	p = add_port(x, "c1", mac_c1, "10.0.0.11", DP_C1);
	snprintf(p->sgs[0], NET_ID_LEN, "sg-web");
	p->n_sgs = 1;
	for (unsigned i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "m%u", i + 1);
		p = add_port(x, name, mac_m[i], ip_m[i], DP_M1 + i);
		if (i == 2) {
			/* m3: a group allowing UDP 8080 from the VIP only. */
			snprintf(p->sgs[0], NET_ID_LEN, "sg-web");
			p->n_sgs = 1;
		}
	}
	add_port(x, "vip", mac_vip, "10.0.0.100", 0);
	snprintf(x->sgs[0].id, sizeof(x->sgs[0].id), "sg-web");
	x->view.n_sgs = 1;
	sr = &x->sg_rules[x->view.n_sg_rules++];
	snprintf(sr->id, sizeof(sr->id), "sgr-in");
	snprintf(sr->sg_id, sizeof(sr->sg_id), "sg-web");
	sr->direction = NET_SG_INGRESS;
	sr->ethertype = 4;
	sr->protocol = 17;
	sr->port_min = MEMBER_PORT;
	sr->port_max = MEMBER_PORT;
	addr(&sr->remote_prefix, "10.0.0.100/32");
	sr = &x->sg_rules[x->view.n_sg_rules++];
	snprintf(sr->id, sizeof(sr->id), "sgr-out");
	snprintf(sr->sg_id, sizeof(sr->sg_id), "sg-web");
	sr->direction = NET_SG_EGRESS;
	sr->ethertype = 4;
	sr->protocol = -1;
	sr->port_min = -1;
	sr->port_max = -1;

	snprintf(x->lb.vip_port_id, sizeof(x->lb.vip_port_id), "vip");
	snprintf(x->lb.network_id, sizeof(x->lb.network_id), "net-a");
	inet_pton(AF_INET, "10.0.0.100", x->lb.vip);
	memcpy(x->lb.vip_mac, mac_vip, 6);
	x->lb.n_listeners = 1;
	x->lb.listeners[0] =
		(struct compiler_lb_listener){IPPROTO_UDP, 80, POOL};
	harness_init(&x->h);
	fake_dp_init(&x->f, &x->dp);
	fake_dp_use_pipeline(&x->f, &x->dp, x->h.pl);
	pool_set(x, 1);
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
assert_ip(const uint8_t *p, const char *s)
{
	uint8_t a[4];

	inet_pton(AF_INET, s, a);
	assert_memory_equal(p, a, 4);
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The VIP is answered with its port's MAC. */
static void
test_arp(void **state)
{
	static const uint8_t zero[6];
	struct fixture *x = *state;
	struct harness_result res;
	uint8_t f[128];
	size_t len;

	len = frame_arp(f, 1, mac_c1, "10.0.0.11", zero, "10.0.0.100");
	harness_run(&x->h, DP_C1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_C1);
	assert_memory_equal(res.tx_frame[0], mac_c1, 6);
	assert_memory_equal(res.tx_frame[0] + 6, mac_vip, 6);
	assert_memory_equal(res.tx_frame[0] + 22, mac_vip, 6); /* sha */
}

/* Client -> VIP:80: one member each, round robin; reply back un-NATed. */
static void
test_select_and_reply(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	unsigned hits[3] = {0};
	uint8_t f[128], back[128];
	size_t len;

	for (unsigned k = 0; k < 30; k++) {
		uint16_t sport = (uint16_t)(40000 + k);
		uint16_t lport;
		unsigned m;

		len = frame_udp(f, mac_vip, mac_c1, "10.0.0.11", "10.0.0.100",
				sport, 80, NULL, 0);
		harness_run(&x->h, DP_C1, f, len, &res);
		assert_int_equal(res.n_tx, 1);
		assert_true(res.tx_port[0] >= DP_M1 &&
			    res.tx_port[0] < DP_M1 + 3);
		m = res.tx_port[0] - DP_M1;
		hits[m]++;
		assert_memory_equal(res.tx_frame[0], mac_m[m], 6);
		assert_memory_equal(res.tx_frame[0] + 6, mac_vip, 6);
		assert_ip(res.tx_frame[0] + 14 + 12, "10.0.0.100");
		assert_ip(res.tx_frame[0] + 14 + 16, ip_m[m]);
		assert_int_equal(rd16(res.tx_frame[0] + 36), MEMBER_PORT);
		lport = rd16(res.tx_frame[0] + 34);

		/* The member answers the VIP at the LB's source port. */
		len = frame_udp(back, mac_vip, mac_m[m], ip_m[m], "10.0.0.100",
				MEMBER_PORT, lport, NULL, 0);
		harness_run(&x->h, DP_M1 + m, back, len, &res);
		assert_int_equal(res.n_tx, 1);
		assert_int_equal(res.tx_port[0], DP_C1);
		assert_memory_equal(res.tx_frame[0], mac_c1, 6);
		assert_memory_equal(res.tx_frame[0] + 6, mac_vip, 6);
		assert_ip(res.tx_frame[0] + 14 + 12, "10.0.0.100");
		assert_ip(res.tx_frame[0] + 14 + 16, "10.0.0.11");
		assert_int_equal(rd16(res.tx_frame[0] + 34), 80);
		assert_int_equal(rd16(res.tx_frame[0] + 36), sport);
	}
	for (unsigned m = 0; m < 3; m++)
		assert_int_equal(hits[m], 10);
}

/* A member with weight 0 gets no new connection. */
static void
test_drain(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	uint8_t f[128];
	size_t len;

	pool_set(x, 0);
	for (unsigned k = 0; k < 20; k++) {
		len = frame_udp(f, mac_vip, mac_c1, "10.0.0.11", "10.0.0.100",
				(uint16_t)(41000 + k), 80, NULL, 0);
		harness_run(&x->h, DP_C1, f, len, &res);
		assert_int_equal(res.n_tx, 1);
		assert_int_not_equal(res.tx_port[0], DP_M1 + 2);
	}
}

/*
 * m3's group allows the client, not the VIP: what lb_select sends there
 * (source: the VIP) is dropped by m3's ingress stage; the others pass.
 */
static void
test_sg_needs_vip(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	unsigned n_out = 0;
	uint8_t f[128];
	size_t len;

	addr(&x->sg_rules[0].remote_prefix, "10.0.0.11/32");
	install(x);
	for (unsigned k = 0; k < 9; k++) {
		len = frame_udp(f, mac_vip, mac_c1, "10.0.0.11", "10.0.0.100",
				(uint16_t)(42000 + k), 80, NULL, 0);
		harness_run(&x->h, DP_C1, f, len, &res);
		assert_false(harness_sent_to(&res, DP_M1 + 2));
		n_out += res.n_tx;
	}
	assert_int_equal(n_out, 6);
}

/* Not a listener, or a member's packet to the VIP of no connection. */
static void
test_other_dropped(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	uint8_t f[128];
	size_t len;

	len = frame_udp(f, mac_vip, mac_c1, "10.0.0.11", "10.0.0.100", 40000,
			81, NULL, 0);
	harness_run(&x->h, DP_C1, f, len, &res);
	assert_int_equal(res.n_tx, 0);
	len = frame_udp(f, mac_vip, mac_m[0], ip_m[0], "10.0.0.100",
			MEMBER_PORT, 5555, NULL, 0);
	harness_run(&x->h, DP_M1, f, len, &res);
	assert_int_equal(res.n_tx, 0);
	/* Ordinary L2 between ports is untouched. */
	len = frame_udp(f, mac_m[1], mac_c1, "10.0.0.11", ip_m[1], 40000,
			MEMBER_PORT, NULL, 0);
	harness_run(&x->h, DP_C1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_M1 + 1);
}

/*
 * A client not on the VIP's network: in_port/mac/ip send UDP to dst:80
 * with eth_dst gw_mac (its router); a member gets it from the router's
 * MAC on net-a (TTL one less) and the VIP; its reply to the VIP comes
 * back out of in_port from gw_mac and dst:80, TTL one less.
 */
static void
routed_round(struct fixture *x, uint32_t in_port, const uint8_t mac[6],
	     const char *ip, const uint8_t gw_mac[6], const char *dst,
	     unsigned hits[3])
{
	struct harness_result res;
	uint8_t f[128], back[128];
	size_t len;

	for (unsigned k = 0; k < 12; k++) {
		uint16_t sport = (uint16_t)(43000 + k);
		uint16_t lport;
		unsigned m;

		len = frame_udp(f, gw_mac, mac, ip, dst, sport, 80, NULL, 0);
		harness_run(&x->h, in_port, f, len, &res);
		assert_int_equal(res.n_tx, 1);
		assert_true(res.tx_port[0] >= DP_M1 &&
			    res.tx_port[0] < DP_M1 + 3);
		m = res.tx_port[0] - DP_M1;
		hits[m]++;
		assert_memory_equal(res.tx_frame[0], mac_m[m], 6);
		assert_memory_equal(res.tx_frame[0] + 6, mac_ra, 6);
		assert_int_equal(res.tx_frame[0][14 + 8], f[14 + 8] - 1);
		assert_ip(res.tx_frame[0] + 14 + 12, "10.0.0.100");
		assert_ip(res.tx_frame[0] + 14 + 16, ip_m[m]);
		assert_int_equal(rd16(res.tx_frame[0] + 36), MEMBER_PORT);
		lport = rd16(res.tx_frame[0] + 34);

		len = frame_udp(back, mac_vip, mac_m[m], ip_m[m], "10.0.0.100",
				MEMBER_PORT, lport, NULL, 0);
		harness_run(&x->h, DP_M1 + m, back, len, &res);
		assert_int_equal(res.n_tx, 1);
		assert_int_equal(res.tx_port[0], in_port);
		assert_memory_equal(res.tx_frame[0], mac, 6);
		assert_memory_equal(res.tx_frame[0] + 6, gw_mac, 6);
		assert_int_equal(res.tx_frame[0][14 + 8], back[14 + 8] - 1);
		assert_ip(res.tx_frame[0] + 14 + 12, dst);
		assert_ip(res.tx_frame[0] + 14 + 16, ip);
		assert_int_equal(rd16(res.tx_frame[0] + 34), 80);
		assert_int_equal(rd16(res.tx_frame[0] + 36), sport);
	}
}

/* A client on another subnet of the VIP subnet's router. */
static void
test_routed_client(void **state)
{
	struct fixture *x = *state;
	unsigned hits[3] = {0};

	add_routed(x);
	routed_round(x, DP_C2, mac_c2, "10.1.0.11", mac_rb, "10.0.0.100", hits);
	for (unsigned m = 0; m < 3; m++)
		assert_int_equal(hits[m], 4);
}

/* A client on the external network through the VIP's floating IP. */
static void
test_fip_client(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	unsigned hits[3] = {0};
	uint8_t f[128];
	size_t len;

	add_routed(x);
	routed_round(x, DP_X, mac_x, "172.24.4.100", mac_rg, "172.24.4.50",
		     hits);
	for (unsigned m = 0; m < 3; m++)
		assert_int_equal(hits[m], 4);
	/* Not a listener's port on the floating IP: nothing reaches a
	 * member (DNAT to the VIP, which the router does not route). */
	len = frame_udp(f, mac_rg, mac_x, "172.24.4.100", "172.24.4.50", 43100,
			81, NULL, 0);
	harness_run(&x->h, DP_X, f, len, &res);
	assert_int_equal(res.n_tx, 0);
	/* Without the floating IP: the external client gets nothing. */
	x->view.n_fips = 0;
	install(x);
	len = frame_udp(f, mac_rg, mac_x, "172.24.4.100", "172.24.4.50", 43101,
			80, NULL, 0);
	harness_run(&x->h, DP_X, f, len, &res);
	assert_int_equal(res.n_tx, 0);
}

/* The on-network client is served as before with the router there. */
static void
test_routed_keeps_local(void **state)
{
	struct fixture *x = *state;

	add_routed(x);
	test_select_and_reply(state);
}

/* Packets counted by the rules of table at priority (summed). */
struct hits {
	uint8_t table;
	uint16_t priority;
	uint64_t n;
	unsigned n_rules;
};

static int
hits_cb(const struct dp_rule *r, const struct dp_rule_stats *st, void *arg)
{
	struct hits *h = arg;

	if (r->table == h->table && r->priority == h->priority) {
		h->n += st->n_packets;
		h->n_rules++;
	}
	return 0;
}

static uint64_t
rule_hits(struct fixture *x, uint8_t table, uint16_t priority)
{
	struct hits h = {table, priority, 0, 0};

	assert_int_equal(dp_pipeline_dump(x->h.pl, table, hits_cb, &h), 0);
	return h.n;
}

static unsigned
rule_count(struct fixture *x, uint8_t table, uint16_t priority)
{
	struct hits h = {table, priority, 0, 0};

	assert_int_equal(dp_pipeline_dump(x->h.pl, table, hits_cb, &h), 0);
	return h.n_rules;
}

/*
 * One UDP datagram from a client (in_port, mac, ip) to dst:80 sent to
 * dmac: the member port it reached, or 0 when nothing left.
 */
static uint32_t
send_one(struct fixture *x, uint32_t in_port, const uint8_t mac[6],
	 const char *ip, const uint8_t dmac[6], const char *dst, uint16_t sport)
{
	struct harness_result res;
	uint8_t f[128];
	size_t len = frame_udp(f, dmac, mac, ip, dst, sport, 80, NULL, 0);

	harness_run(&x->h, in_port, f, len, &res);
	if (res.n_tx == 0)
		return 0;
	assert_int_equal(res.n_tx, 1);
	assert_true(res.tx_port[0] >= DP_M1 && res.tx_port[0] < DP_M1 + 3);
	return res.tx_port[0];
}

/* Restrict listener 0 to the prefixes in list (NULL-terminated). */
static void
allow(struct fixture *x, const char *const *list)
{
	struct compiler_lb_listener *l = &x->lb.listeners[0];

	l->is_restricted = true;
	l->n_cidrs = 0;
	for (; *list != NULL; list++) {
		struct net_addr a;

		addr(&a, *list);
		memcpy(l->cidrs[l->n_cidrs].addr, a.a, 4);
		l->cidrs[l->n_cidrs++].len = a.prefix_len;
	}
	install(x);
}

/* Clients c1 (VIP network), c2 (routed), x (floating IP): served? */
static void
expect_clients(struct fixture *x, uint16_t sport, bool c1, bool c2, bool fx)
{
	assert_int_equal(send_one(x, DP_C1, mac_c1, "10.0.0.11", mac_vip,
				  "10.0.0.100", sport) != 0,
			 c1);
	assert_int_equal(send_one(x, DP_C2, mac_c2, "10.1.0.11", mac_rb,
				  "10.0.0.100", sport) != 0,
			 c2);
	assert_int_equal(send_one(x, DP_X, mac_x, "172.24.4.100", mac_rg,
				  "172.24.4.50", sport) != 0,
			 fx);
}

/*
 * allowed_cidrs on the three paths: on the VIP's network, routed from
 * another subnet, and through the floating IP (where the source checked
 * is the external client's own address). Clients outside are dropped
 * and counted by the listener's drop rule (table 8, or 17 when routed);
 * a prefix list with host bits and repeats is one rule per prefix; an
 * empty list (restricted) admits nobody; unrestricted, everybody.
 */
static void
test_allowed_cidrs(void **state)
{
	static const char *const some[] = {"10.0.0.0/28", "10.1.0.11/32",
					   "10.1.0.11/32", "10.1.0.12/24",
					   NULL};
	static const char *const ext[] = {"172.24.4.0/24", NULL};
	static const char *const none[] = {NULL};
	struct fixture *x = *state;

	add_routed(x);
	allow(x, some);
	/* Three prefixes: on the VIP's network, and per path in T16 (the
	 * router's VIP rules and the floating IP's). */
	assert_int_equal(rule_count(x, 2, 260), 3);
	assert_int_equal(rule_count(x, 16, 250), 6);
	expect_clients(x, 44000, true, true, false);
	assert_int_equal(rule_hits(x, 17, 310), 1);
	assert_int_equal(rule_hits(x, 8, 50), 0);
	/* Replies of the allowed ones come back (routed_round checks). */
	{
		unsigned hits[3] = {0};

		routed_round(x, DP_C2, mac_c2, "10.1.0.11", mac_rb,
			     "10.0.0.100", hits);
	}
	allow(x, ext);
	expect_clients(x, 44100, false, false, true);
	assert_int_equal(rule_hits(x, 8, 50), 1);
	assert_int_equal(rule_hits(x, 17, 310), 1);
	{
		unsigned hits[3] = {0};

		routed_round(x, DP_X, mac_x, "172.24.4.100", mac_rg,
			     "172.24.4.50", hits);
		for (unsigned m = 0; m < 3; m++)
			assert_int_equal(hits[m], 4);
	}
	allow(x, none);
	assert_int_equal(rule_count(x, 2, 260), 0);
	expect_clients(x, 44200, false, false, false);
	assert_int_equal(rule_hits(x, 8, 50), 1);
	assert_int_equal(rule_hits(x, 17, 310), 2);
	x->lb.listeners[0].is_restricted = false;
	install(x);
	expect_clients(x, 44300, true, true, true);
}

/*
 * A client outside the list cannot open a connection, but a member's
 * reply to an LB source port that equals the listener's port (a pool
 * whose source ports are 80 only) still reaches the allowed client; a
 * connection made before the list changed goes on, a new one from the
 * same client is dropped.
 */
static void
test_allowed_cidrs_replies(void **state)
{
	static const char *const c1[] = {"10.0.0.11/32", NULL};
	static const char *const other[] = {"10.9.0.0/16", NULL};
	struct fixture *x = *state;
	struct harness_result res;
	struct dp_lb_member m[3];
	struct dp_lb_pool p;
	uint8_t f[128];
	char err[128] = "";
	uint32_t to;
	size_t len;

	memset(&p, 0, sizeof(p));
	memset(m, 0, sizeof(m));
	p.id = POOL;
	p.n_members = 3;
	p.alg = DP_LB_ROUND_ROBIN;
	p.port_min = 80;
	p.port_max = 80;
	memcpy(&p.src_addr, x->lb.vip, 4);
	for (unsigned i = 0; i < 3; i++) {
		inet_pton(AF_INET, ip_m[i], &m[i].addr);
		m[i].port = htons(MEMBER_PORT);
		m[i].weight = 1;
		m[i].flags = DP_LB_M_UP;
	}
	if (dp_pipeline_lb_set(x->h.pl, &p, m, err, sizeof(err)) != 0)
		fail_msg("lb_set: %s", err);
	allow(x, c1);
	/* A member is no client: its own packet to VIP:80 opens nothing. */
	len = frame_udp(f, mac_vip, mac_m[0], ip_m[0], "10.0.0.100", 45000, 80,
			NULL, 0);
	harness_run(&x->h, DP_M1, f, len, &res);
	assert_int_equal(res.n_tx, 0);
	assert_int_equal(rule_hits(x, 8, 50), 1);
	/* c1 is allowed; the member answers VIP:80 (the LB's port). */
	to = send_one(x, DP_C1, mac_c1, "10.0.0.11", mac_vip, "10.0.0.100",
		      45001);
	assert_true(to != 0);
	len = frame_udp(f, mac_vip, mac_m[to - DP_M1], ip_m[to - DP_M1],
			"10.0.0.100", MEMBER_PORT, 80, NULL, 0);
	harness_run(&x->h, to, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_C1);
	assert_ip(res.tx_frame[0] + 14 + 12, "10.0.0.100");
	assert_int_equal(rd16(res.tx_frame[0] + 36), 45001);
	/* The list no longer holds c1: its connection goes on, a new
	 * one (another member: one LB port per member) does not open. */
	allow(x, other);
	assert_int_equal(send_one(x, DP_C1, mac_c1, "10.0.0.11", mac_vip,
				  "10.0.0.100", 45001),
			 to);
	assert_int_equal(send_one(x, DP_C1, mac_c1, "10.0.0.11", mac_vip,
				  "10.0.0.100", 45002),
			 0);
	assert_int_equal(rule_hits(x, 8, 50), 1);
}

/* Bad input and cookies. */
static void
test_api(void **state)
{
	struct fixture *x = *state;
	struct compiler_rules rs = {0}, rs2 = {0};
	struct compiler_lb bad = x->lb;
	uint16_t z = compiler_lb_zone("vip");

	assert_true(z >= COMPILER_LB_ZONE_BASE && z < 0x8000);
	assert_int_equal(compiler_lb_cookie("vip") & 0xff00000000000000ULL,
			 COMPILER_LB_COOKIE_NS);
	assert_int_equal(compiler_cookie_kind(compiler_lb_cookie("vip")), 0);
	bad.listeners[0].pool = 0;
	assert_int_equal(compiler_lb(&x->view, &bad, &rs), -EINVAL);
	bad = x->lb;
	bad.n_listeners = COMPILER_LB_LISTENERS_MAX + 1;
	assert_int_equal(compiler_lb(&x->view, &bad, &rs), -EINVAL);
	bad = x->lb;
	snprintf(bad.network_id, sizeof(bad.network_id), "nope");
	assert_int_equal(compiler_lb(&x->view, &bad, &rs), 0);
	assert_int_equal(rs.n, 0);
	/* Network and MAC from the VIP port: the same rules. */
	assert_int_equal(compiler_lb(&x->view, &x->lb, &rs), 0);
	assert_true(rs.n > 0);
	bad = x->lb;
	bad.network_id[0] = '\0';
	memset(bad.vip_mac, 0, 6);
	assert_int_equal(compiler_lb(&x->view, &bad, &rs2), 0);
	assert_int_equal(rs2.n, rs.n);
	assert_memory_equal(rs2.rules, rs.rules, rs.n * sizeof(*rs.rules));
	compiler_rules_fini(&rs2);
	/* compiler_lb_all skips (and counts) the bad one. */
	bad.listeners[0].port = 0;
	{
		struct compiler_lb two[2] = {bad, x->lb};
		size_t n_bad = 0;

		assert_int_equal(
			compiler_lb_all(&x->view, two, 2, &rs2, &n_bad), 0);
		assert_int_equal(n_bad, 1);
		assert_int_equal(rs2.n, rs.n);
	}
	/* No such VIP port: nothing. */
	snprintf(bad.vip_port_id, sizeof(bad.vip_port_id), "gone");
	bad.listeners[0].port = 80;
	compiler_rules_fini(&rs2);
	assert_int_equal(compiler_lb(&x->view, &bad, &rs2), 0);
	assert_int_equal(rs2.n, 0);
	compiler_rules_fini(&rs2);
	compiler_rules_fini(&rs);
}

/* IPv6. */

/* A second address on subnet sid for port id. */
static void
add_ip6(struct fixture *x, const char *id, const char *sid, const char *ip)
{
	for (size_t i = 0; i < x->view.n_ports; i++) {
		struct net_view_port *p = &x->ports[i];

		if (strcmp(p->id, id) != 0)
			continue;
		snprintf(p->ips[p->n_ips].subnet_id, NET_ID_LEN, "%s", sid);
		addr(&p->ips[p->n_ips].ip, ip);
		p->n_ips++;
		return;
	}
	fail_msg("no port %s", id);
}

static void
add_subnet6(struct fixture *x, const char *id, const char *net,
	    const char *cidr, const char *gw)
{
	struct net_view_subnet *s = &x->subnets[x->view.n_subnets++];

	snprintf(s->id, sizeof(s->id), "%s", id);
	snprintf(s->network_id, sizeof(s->network_id), "%s", net);
	addr(&s->cidr, cidr);
	addr(&s->gateway, gw);
}

/* Pool 1 as an IPv6 pool of m1-m3 (:8080), m3 at weight w3. */
static void
pool_set6(struct fixture *x, uint16_t w3)
{
	struct dp_lb_pool p;
	struct dp_lb_member6 m[3];
	char err[128] = "";

	memset(&p, 0, sizeof(p));
	memset(m, 0, sizeof(m));
	p.id = POOL;
	p.n_members = 3;
	p.alg = DP_LB_ROUND_ROBIN;
	p.flags = DP_LB_POOL_F_IPV6;
	memcpy(p.src_addr6, x->lb.vip, 16);
	for (unsigned i = 0; i < 3; i++) {
		inet_pton(AF_INET6, ip6_m[i], m[i].addr);
		m[i].port = htons(MEMBER_PORT);
		m[i].weight = i == 2 ? w3 : 1;
		m[i].flags = DP_LB_M_UP;
	}
	if (dp_pipeline_lb_set6(x->h.pl, &p, m, err, sizeof(err)) != 0)
		fail_msg("lb_set6: %s", err);
}

static int
setup6(void **state)
{
	struct fixture *x;
	struct net_view_sg_rule *sr;
	char name[8];

	setup(state);
	x = *state;
	add_subnet6(x, "sn6-a", "net-a", "fd00:a::/64", "fd00:a::1");
	add_ip6(x, "c1", "sn6-a", "fd00:a::11");
	for (unsigned i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "m%u", i + 1);
		add_ip6(x, name, "sn6-a", ip6_m[i]);
	}
	add_ip6(x, "vip", "sn6-a", "fd00:a::100");
	/* sg-web for IPv6: UDP 8080 from the VIP in, anything out. */
	sr = &x->sg_rules[x->view.n_sg_rules++];
	*sr = x->sg_rules[0];
	snprintf(sr->id, sizeof(sr->id), "sgr-in6");
	sr->ethertype = 6;
	addr(&sr->remote_prefix, "fd00:a::100/128");
	sr = &x->sg_rules[x->view.n_sg_rules++];
	*sr = x->sg_rules[1];
	snprintf(sr->id, sizeof(sr->id), "sgr-out6");
	sr->ethertype = 6;
	x->lb.family = 6;
	memset(x->lb.vip, 0, sizeof(x->lb.vip));
	inet_pton(AF_INET6, "fd00:a::100", x->lb.vip);
	dp_pipeline_lb_del(x->h.pl, POOL);
	pool_set6(x, 1);
	install(x);
	return 0;
}

/* r1 on fd00:a::/64 and fd00:b::/64 (both ::1), c2 fd00:b::11. */
static void
add_routed6(struct fixture *x)
{
	add_routed(x);
	add_subnet6(x, "sn6-b", "net-b", "fd00:b::/64", "fd00:b::1");
	add_ip6(x, "r1-a", "sn6-a", "fd00:a::1");
	add_ip6(x, "r1-b", "sn6-b", "fd00:b::1");
	add_ip6(x, "c2", "sn6-b", "fd00:b::11");
	install(x);
}

/* An IPv6 UDP datagram with 8 payload bytes and its checksum. */
static size_t
udp6(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], const char *s,
     const char *d, uint16_t sport, uint16_t dport)
{
	size_t len = frame_ip6(f, dst, src, s, d, IPPROTO_UDP, 16);
	uint8_t *u = f + 54;
	uint32_t sum;

	u[0] = (uint8_t)(sport >> 8);
	u[1] = (uint8_t)sport;
	u[2] = (uint8_t)(dport >> 8);
	u[3] = (uint8_t)dport;
	u[5] = 16;
	sum = frame_csum(f + 22, 32, 0) + 16 + IPPROTO_UDP;
	sum = (uint16_t)~frame_csum(u, 16, sum);
	if (sum == 0)
		sum = 0xffff;
	u[6] = (uint8_t)(sum >> 8);
	u[7] = (uint8_t)sum;
	return len;
}

static void
assert_ip6(const uint8_t *p, const char *s)
{
	uint8_t a[16];

	inet_pton(AF_INET6, s, a);
	assert_memory_equal(p, a, 16);
}

/* A neighbour solicitation for the VIP (solicited-node group or the VIP
 * itself as destination) is answered from the VIP port's MAC. */
static void
test_v6_nd(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	uint8_t f[128];
	uint8_t tgt[16];
	uint8_t snm[16] = {0xff, 2, [11] = 1, [12] = 0xff};
	uint32_t s;

	inet_pton(AF_INET6, "fd00:a::100", tgt);
	memcpy(snm + 13, tgt + 13, 3);
	for (int k = 0; k < 2; k++) {
		char dst[INET6_ADDRSTRLEN];
		uint8_t *icmp = f + 54;

		inet_ntop(AF_INET6, k == 0 ? snm : tgt, dst, sizeof(dst));
		frame_ip6(f,
			  k == 0 ? (const uint8_t[6]){0x33, 0x33, 0xff, tgt[13],
						      tgt[14], tgt[15]}
				 : mac_vip,
			  mac_c1, "fd00:a::11", dst, 58, 32);
		f[21] = 255; /* RFC 4861 7.1.1: hop limit 255 */
		memset(icmp, 0, 32);
		icmp[0] = 135;
		memcpy(icmp + 8, tgt, 16);
		icmp[24] = 1; /* source link-layer address option */
		icmp[25] = 1;
		memcpy(icmp + 26, mac_c1, 6);
		s = frame_csum(f + 22, 32, 0) + 32 + 58;
		s = frame_csum(icmp, 32, s);
		icmp[2] = (uint8_t)(~s >> 8);
		icmp[3] = (uint8_t)~s;
		harness_run(&x->h, DP_C1, f, 86, &res);
		assert_int_equal(res.n_tx, 1);
		assert_int_equal(res.tx_port[0], DP_C1);
		assert_int_equal(res.tx_frame[0][54], 136);
		assert_memory_equal(res.tx_frame[0], mac_c1, 6);
		assert_memory_equal(res.tx_frame[0] + 6, mac_vip, 6);
		assert_memory_equal(res.tx_frame[0] + 62, tgt, 16);
		assert_memory_equal(res.tx_frame[0] + 80, mac_vip, 6);
	}
	/* No ARP rule for an IPv6 VIP; the IPv4 address is not the VIP. */
	assert_int_equal(rule_count(x, 1, 205), 0);
}

/*
 * Client (in_port, mac, ip) -> dst:80 via eth_dst gw_mac, 12 or 30
 * datagrams: each reaches a member from src_mac (hop limit one less
 * when routed), from the VIP; the member's reply comes back to the
 * client from dst:80.
 */
static void
round6(struct fixture *x, uint32_t in_port, const uint8_t mac[6],
       const char *ip, const uint8_t gw_mac[6], const uint8_t src_mac[6],
       unsigned n, unsigned hits[3])
{
	struct harness_result res;
	uint8_t f[128], back[128];
	bool is_routed = src_mac != mac_vip;
	size_t len;

	for (unsigned k = 0; k < n; k++) {
		/* A new source port each time: a new connection. */
		uint16_t sport = (uint16_t)(46000 + x->n_sport++);
		uint16_t lport;
		unsigned m;

		len = udp6(f, gw_mac, mac, ip, "fd00:a::100", sport, 80);
		harness_run(&x->h, in_port, f, len, &res);
		assert_int_equal(res.n_tx, 1);
		assert_true(res.tx_port[0] >= DP_M1 &&
			    res.tx_port[0] < DP_M1 + 3);
		m = res.tx_port[0] - DP_M1;
		hits[m]++;
		assert_memory_equal(res.tx_frame[0], mac_m[m], 6);
		assert_memory_equal(res.tx_frame[0] + 6, src_mac, 6);
		assert_int_equal(res.tx_frame[0][21], is_routed ? 63 : 64);
		assert_ip6(res.tx_frame[0] + 22, "fd00:a::100");
		assert_ip6(res.tx_frame[0] + 38, ip6_m[m]);
		assert_int_equal(rd16(res.tx_frame[0] + 56), MEMBER_PORT);
		lport = rd16(res.tx_frame[0] + 54);

		len = udp6(back, mac_vip, mac_m[m], ip6_m[m], "fd00:a::100",
			   MEMBER_PORT, lport);
		harness_run(&x->h, DP_M1 + m, back, len, &res);
		assert_int_equal(res.n_tx, 1);
		assert_int_equal(res.tx_port[0], in_port);
		assert_memory_equal(res.tx_frame[0], mac, 6);
		assert_memory_equal(res.tx_frame[0] + 6, gw_mac, 6);
		assert_ip6(res.tx_frame[0] + 22, "fd00:a::100");
		assert_ip6(res.tx_frame[0] + 38, ip);
		assert_int_equal(rd16(res.tx_frame[0] + 54), 80);
		assert_int_equal(rd16(res.tx_frame[0] + 56), sport);
	}
}

/* On the VIP's network: spread 10/10/10, replies un-NATed; weight 0
 * drains. */
static void
test_v6_select_and_reply(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	unsigned hits[3] = {0};
	uint8_t f[128];
	size_t len;

	round6(x, DP_C1, mac_c1, "fd00:a::11", mac_vip, mac_vip, 30, hits);
	for (unsigned m = 0; m < 3; m++)
		assert_int_equal(hits[m], 10);
	/* IPv4 to the VIP port's IPv4 address is no LB traffic: flooded
	 * as to any unknown MAC, untranslated. */
	len = frame_udp(f, mac_vip, mac_c1, "10.0.0.11", "10.0.0.100", 40000,
			80, NULL, 0);
	harness_run(&x->h, DP_C1, f, len, &res);
	for (unsigned i = 0; i < res.n_tx; i++)
		assert_ip(res.tx_frame[i] + 14 + 16, "10.0.0.100");
	/* Weight 0 drains m3. */
	pool_set6(x, 0);
	memset(hits, 0, sizeof(hits));
	round6(x, DP_C1, mac_c1, "fd00:a::11", mac_vip, mac_vip, 10, hits);
	assert_int_equal(hits[2], 0);
}

/* From another subnet of router r1: spread 4/4/4, routed both ways. */
static void
test_v6_routed(void **state)
{
	struct fixture *x = *state;
	unsigned hits[3] = {0};

	add_routed6(x);
	round6(x, DP_C2, mac_c2, "fd00:b::11", mac_rb, mac_ra, 12, hits);
	for (unsigned m = 0; m < 3; m++)
		assert_int_equal(hits[m], 4);
	/* No floating-IP rules for an IPv6 VIP: T16 holds the router's
	 * one listener rule only. */
	assert_int_equal(rule_count(x, 16, 250), 1);
}

/* allowed_cidrs of an IPv6 VIP: IPv6 prefixes match ipv6_src. */
static void
test_v6_allowed_cidrs(void **state)
{
	struct fixture *x = *state;
	struct compiler_lb_listener *l = &x->lb.listeners[0];
	struct harness_result res;
	struct net_addr a;
	uint8_t f[128];
	size_t len;

	add_routed6(x);
	l->is_restricted = true;
	l->n_cidrs = 1;
	addr(&a, "fd00:b::/64");
	memcpy(l->cidrs[0].addr, a.a, 16);
	l->cidrs[0].len = a.prefix_len;
	install(x);
	assert_int_equal(rule_count(x, 2, 260), 1);
	/* c1 (fd00:a::11) is outside: dropped, counted in table 8. */
	len = udp6(f, mac_vip, mac_c1, "fd00:a::11", "fd00:a::100", 47000, 80);
	harness_run(&x->h, DP_C1, f, len, &res);
	assert_int_equal(res.n_tx, 0);
	assert_int_equal(rule_hits(x, 8, 50), 1);
	/* c2 is inside. */
	{
		unsigned hits[3] = {0};

		round6(x, DP_C2, mac_c2, "fd00:b::11", mac_rb, mac_ra, 3, hits);
		assert_int_equal(hits[0] + hits[1] + hits[2], 3);
	}
	/* A prefix longer than 128 is refused. */
	l->cidrs[0].len = 129;
	{
		struct compiler_rules rs = {0};

		assert_int_equal(compiler_lb(&x->view, &x->lb, &rs), -EINVAL);
		compiler_rules_fini(&rs);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_and_reply, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sg_needs_vip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_dropped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_api, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routed_client, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fip_client, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_allowed_cidrs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_allowed_cidrs_replies,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_routed_keeps_local, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_v6_nd, setup6, teardown),
		cmocka_unit_test_setup_teardown(test_v6_select_and_reply,
						setup6, teardown),
		cmocka_unit_test_setup_teardown(test_v6_routed, setup6,
						teardown),
		cmocka_unit_test_setup_teardown(test_v6_allowed_cidrs, setup6,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
