/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * compiler_vpn_test.c: VPN tunnel rules (compiler_vpn.h) on top of a
 * router's, with packets through the real pipeline and real ESP SAs
 * (harness.h, pl_esp.h). Topology:
 *
 *   router r1: interface ri-a (net-a, segment 100, 10.0.0.1, MAC
 *   fa:16:3e:00:01:0a), gateway rg on ext (segment 900, 172.24.4.0/24,
 *   gateway 172.24.4.1) at 172.24.4.10, MAC fa:16:3e:00:01:ee, SNAT on
 *     a1 dp 1  fa:16:3e:00:00:a1  10.0.0.11
 *     x1 dp 3  fa:16:3e:00:00:e1  172.24.4.100 (the peer's gateway)
 *   tunnel c1: 10.0.0.0/24 <-> 10.9.0.0/24 with peer 172.24.4.100.
 *
 * The IPv6 tests (dual_stack()) add 2001:db8:a::/64 to net-a (the router
 * at ::1, a1 at ::11) and the pair 2001:db8:a::/64 <-> 2001:db8:9::/64 to
 * c1: IPv6 inner traffic over the same IPv4 SAs. The IPv6 gateway tests
 * (outer6()) add 2001:db8:e::/64 (gateway ::1) to ext, the router's
 * gateway at ::a and the peer x1 at ::100, and make c1's SAs and outer
 * addresses IPv6.
 *
 * The peer's ESP is made by a second pipeline ("the peer") holding the
 * other side of each SA, so both directions use independent SA state.
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
#include "compiler_vpn.h"
#include "dp_flow_text.h"
#include "fake_dp.h"
#include "frames.h"
#include "harness.h"
#include "net_view.h"
#include "pl_esp.h"

static const uint8_t mac_a1[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xa1};
static const uint8_t mac_x1[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xe1};
static const uint8_t mac_ra[6] = {0xfa, 0x16, 0x3e, 0, 1, 0x0a};
static const uint8_t mac_rg[6] = {0xfa, 0x16, 0x3e, 0, 1, 0xee};

enum { DP_A1 = 1, DP_X1 = 3 };

/* SA ids: ours (site pipeline) and the peer pipeline's. */
enum {
	SA_IN = 1,     /* site: decrypts the peer's SPI_P2S */
	SA_OUT = 2,    /* site: encrypts with SPI_S2P */
	SA_IN_NEW = 3, /* after the rekey */
	SA_OUT_NEW = 4,
	PEER_OUT = 11, /* peer: encrypts with SPI_P2S */
	PEER_OUT_NEW = 12,
	SPI_S2P = 0x1002,
	SPI_P2S = 0x2001,
	SPI_S2P_NEW = 0x1004,
	SPI_P2S_NEW = 0x2003,
};

struct fixture {
	struct net_view_network nets[4];
	struct net_view_subnet subnets[4];
	struct net_view_port ports[8];
	struct net_view_router routers[1];
	struct net_view view;
	struct compiler_vpn_tunnel tun;
	struct harness h;    /* the site */
	struct harness peer; /* the peer's gateway */
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

static struct net_view_port *
add_port(struct fixture *x, const char *id, const char *net,
	 const uint8_t mac[6], const char *ip, uint32_t dp_port,
	 const char *owner)
{
	struct net_view_port *p = &x->ports[x->view.n_ports++];

	snprintf(p->id, sizeof(p->id), "%s", id);
	snprintf(p->network_id, sizeof(p->network_id), "%s", net);
	memcpy(p->mac, mac, 6);
	p->is_admin_up = true;
	p->n_ips = 1;
	snprintf(p->ips[0].subnet_id, sizeof(p->ips[0].subnet_id), "sn-%s",
		 net);
	addr(&p->ips[0].ip, ip);
	p->vif = dp_port != 0 ? NET_VIF_KERNEL : NET_VIF_NONE;
	p->dp_port = dp_port;
	if (owner != NULL) {
		snprintf(p->device_owner, sizeof(p->device_owner), "%s", owner);
		snprintf(p->device_id, sizeof(p->device_id), "r1");
	}
	return p;
}

/* An AES-GCM SA into pl; src and dst IPv4, or IPv6 (outer IPv6). */
static void
sa_put(struct dp_pipeline *pl, uint32_t id, uint32_t spi, uint8_t dir,
       uint8_t key_byte, const char *src, const char *dst, uint16_t mtu)
{
	struct dp_sa sa;
	char err[128] = "";

	memset(&sa, 0, sizeof(sa));
	sa.id = id;
	sa.spi = spi;
	sa.dir = dir;
	sa.cipher = DP_SA_AES_GCM_16;
	sa.enc_key_len = 20;
	sa.mtu = mtu;
	memset(sa.enc_key, key_byte, 20);
	if (strchr(src, ':') != NULL) {
		sa.flags = DP_SA_F_IPV6;
		inet_pton(AF_INET6, src, sa.src6);
		inet_pton(AF_INET6, dst, sa.dst6);
	} else {
		inet_pton(AF_INET, src, &sa.src);
		inet_pton(AF_INET, dst, &sa.dst);
	}
	if (pl_esp_sa_add(pl, &sa, err, sizeof(err)) != 0)
		fail_msg("sa %u: %s", id, err);
}

/* An AES-GCM SA; mtu 0: none. */
static void
sa_add_mtu(struct dp_pipeline *pl, uint32_t id, uint32_t spi, uint8_t dir,
	   uint8_t key_byte, const char *src, const char *dst, uint16_t mtu)
{
	sa_put(pl, id, spi, dir, key_byte, src, dst, mtu);
}

static void
sa_add(struct dp_pipeline *pl, uint32_t id, uint32_t spi, uint8_t dir,
       uint8_t key_byte, const char *src, const char *dst)
{
	sa_add_mtu(pl, id, spi, dir, key_byte, src, dst, 0);
}

/* Replace every rule with the router's, the neighbour's and the VPN's. */
static void
install(struct fixture *x, bool is_ike_punt)
{
	struct compiler_rules rs = {0};
	uint8_t ip[4];
	char err[256] = "";
	int rc;

	assert_int_equal(compiler_all(&x->view, &rs), 0);
	inet_pton(AF_INET, "172.24.4.100", ip);
	assert_int_equal(
		compiler_neigh(&x->view, &x->routers[0], ip, mac_x1, &rs), 0);
	assert_int_equal(
		compiler_vpn_all(&x->view, &x->tun, 1, is_ike_punt, &rs), 0);
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

/* The peer: whatever arrives on port 1 is encrypted with sa, to us. */
static void
peer_rule(struct fixture *x, uint32_t sa)
{
	struct dp_rule r;
	struct dp_txn *t;
	char err[128] = "";

	memset(&r, 0, sizeof(r));
	r.priority = 10;
	r.n_actions = 4;
	r.actions[0].type = DP_ACT_ESP_ENCRYPT;
	r.actions[0].u.esp.sa = sa;
	r.actions[1].type = DP_ACT_SET_FIELD;
	r.actions[1].u.set.field = DP_F_ETH_DST;
	memcpy(r.actions[1].u.set.value, mac_rg, 6);
	r.actions[2].type = DP_ACT_SET_FIELD;
	r.actions[2].u.set.field = DP_F_ETH_SRC;
	memcpy(r.actions[2].u.set.value, mac_x1, 6);
	r.actions[3].type = DP_ACT_OUTPUT;
	r.actions[3].u.port = 2;

	assert_int_equal(dp_rule_validate(&r, err, sizeof(err)), 0);
	assert_int_equal(dp_txn_begin(x->peer.pl, &t), 0);
	assert_int_equal(dp_txn_del_cookie(t, -1, 0, 0), 0);
	assert_int_equal(dp_txn_add(t, &r, err, sizeof(err)), 0);
	assert_int_equal(dp_txn_commit(t, err, sizeof(err)), 0);
}

static int
setup(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));
	struct net_view_router *r;
	struct compiler_vpn_tunnel *t;

	assert_non_null(x);
	x->view.networks = x->nets;
	x->view.subnets = x->subnets;
	x->view.ports = x->ports;
	x->view.routers = x->routers;
	add_net(x, "net-a", 100, "10.0.0.0/24", "10.0.0.1", false);
	add_net(x, "ext", 900, "172.24.4.0/24", "172.24.4.1", true);
	add_port(x, "a1", "net-a", mac_a1, "10.0.0.11", DP_A1, NULL);
	add_port(x, "x1", "ext", mac_x1, "172.24.4.100", DP_X1, NULL);
	add_port(x, "ri-a", "net-a", mac_ra, "10.0.0.1", 0,
		 "network:router_interface");
	add_port(x, "rg", "ext", mac_rg, "172.24.4.10", 0,
		 "network:router_gateway");
	r = &x->routers[x->view.n_routers++];
	snprintf(r->id, sizeof(r->id), "r1");
	r->is_admin_up = true;
	r->is_snat = true;
	snprintf(r->gw_port_id, sizeof(r->gw_port_id), "rg");
	t = &x->tun;
	snprintf(t->conn_id, sizeof(t->conn_id), "c1");
	snprintf(t->router_id, sizeof(t->router_id), "r1");
	inet_pton(AF_INET, "172.24.4.100", t->peer_ip);
	t->n_local = 1;
	addr(&t->local[0], "10.0.0.0/24");
	t->n_peer = 1;
	addr(&t->peer[0], "10.9.0.0/24");
	t->n_children = 1;
	t->children[0] = (struct compiler_vpn_child){SA_IN, SA_OUT};
	harness_init(&x->h);
	harness_init(&x->peer);
	fake_dp_init(&x->f, &x->dp);
	fake_dp_use_pipeline(&x->f, &x->dp, x->h.pl);
	sa_add(x->h.pl, SA_IN, SPI_P2S, DP_SA_IN, 0x22, "172.24.4.100",
	       "172.24.4.10");
	sa_add(x->h.pl, SA_OUT, SPI_S2P, DP_SA_OUT, 0x11, "172.24.4.10",
	       "172.24.4.100");
	sa_add(x->peer.pl, PEER_OUT, SPI_P2S, DP_SA_OUT, 0x22, "172.24.4.100",
	       "172.24.4.10");
	peer_rule(x, PEER_OUT);
	*state = x;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *x = *state;

	harness_fini(&x->h);
	harness_fini(&x->peer);
	free(x);
	return 0;
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void
assert_ip(const uint8_t *p, const char *s)
{
	uint8_t a[4];

	inet_pton(AF_INET, s, a);
	assert_memory_equal(p, a, 4);
}

/* The peer's one ESP frame for the clear frame f (at most 256 bytes). */
static size_t
peer_encrypt(struct fixture *x, const uint8_t *f, size_t len, uint8_t *out)
{
	struct harness_result res;

	harness_run(&x->peer, 1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_true(res.tx_len[0] <= 256);
	memcpy(out, res.tx_frame[0], res.tx_len[0]);
	return res.tx_len[0];
}

/* The peer's ESP carrying an ICMP echo from src to dst. */
static size_t
peer_esp(struct fixture *x, const char *src, const char *dst, uint8_t *out)
{
	uint8_t f[128];
	size_t len = frame_icmp(f, mac_rg, mac_x1, src, dst);

	return peer_encrypt(x, f, len, out);
}

/* Guest to a peer CIDR: ESP from the gateway to the peer, not NATed. */
static void
test_encrypt(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	uint8_t f[128];
	size_t len;

	install(x, false);
	len = frame_icmp(f, mac_ra, mac_a1, "10.0.0.11", "10.9.0.5");
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_X1);
	assert_memory_equal(res.tx_frame[0], mac_x1, 6);
	assert_memory_equal(res.tx_frame[0] + 6, mac_rg, 6);
	assert_int_equal(res.tx_frame[0][12], 0x08);
	assert_int_equal(res.tx_frame[0][14 + 9], 50);
	assert_ip(res.tx_frame[0] + 14 + 12, "172.24.4.10");
	assert_ip(res.tx_frame[0] + 14 + 16, "172.24.4.100");
	assert_int_equal(rd32(res.tx_frame[0] + 34), SPI_S2P);
	assert_int_equal(rd32(res.tx_frame[0] + 38), 1); /* sequence */
	/* Elsewhere: routed and SNATed in clear, as before. */
	len = frame_icmp(f, mac_ra, mac_a1, "10.0.0.11", "172.24.4.100");
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_frame[0][14 + 9], 1);
	assert_ip(res.tx_frame[0] + 14 + 12, "172.24.4.10");
	/* From outside the local CIDRs (the gateway's network): no. */
	len = frame_icmp(f, mac_rg, mac_x1, "172.24.4.100", "10.9.0.5");
	harness_run(&x->h, DP_X1, f, len, &res);
	for (unsigned i = 0; i < res.n_tx; i++)
		assert_int_not_equal(res.tx_frame[i][14 + 9], 50);
}

/* The peer's ESP: decrypted, checked, routed to the guest. */
static void
test_decrypt(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	uint8_t f[256];
	size_t len;

	install(x, false);
	len = peer_esp(x, "10.9.0.5", "10.0.0.11", f);
	assert_int_equal(f[14 + 9], 50);
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_A1);
	assert_memory_equal(res.tx_frame[0], mac_a1, 6);
	assert_memory_equal(res.tx_frame[0] + 6, mac_ra, 6);
	assert_int_equal(res.tx_frame[0][14 + 9], 1);
	assert_int_equal(res.tx_frame[0][14 + 8], 63); /* TTL: routed */
	assert_ip(res.tx_frame[0] + 14 + 12, "10.9.0.5");
	assert_ip(res.tx_frame[0] + 14 + 16, "10.0.0.11");
	/* The same packet again: a replay, dropped by the SA. */
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_tx, 0);
}

/* Inner addresses the SA was not negotiated for are dropped. */
static void
test_decrypt_wrong_inner(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	uint8_t f[256];
	size_t len;

	install(x, false);
	/* Source outside the peer CIDRs (a spoofing peer). */
	len = peer_esp(x, "10.8.0.5", "10.0.0.11", f);
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_tx, 0);
	assert_int_equal(res.n_drop, 1);
	/* Destination outside the local CIDRs (the gateway's network). */
	len = peer_esp(x, "10.9.0.5", "172.24.4.100", f);
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_tx, 0);
	/* And a good one still passes. */
	len = peer_esp(x, "10.9.0.7", "10.0.0.11", f);
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_A1);
}

/* A rekey: new traffic on the new SA, both inbound SAs accepted. */
static void
test_rekey(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	uint8_t f[256];
	size_t len;

	sa_add(x->h.pl, SA_IN_NEW, SPI_P2S_NEW, DP_SA_IN, 0x44, "172.24.4.100",
	       "172.24.4.10");
	sa_add(x->h.pl, SA_OUT_NEW, SPI_S2P_NEW, DP_SA_OUT, 0x33, "172.24.4.10",
	       "172.24.4.100");
	sa_add(x->peer.pl, PEER_OUT_NEW, SPI_P2S_NEW, DP_SA_OUT, 0x44,
	       "172.24.4.100", "172.24.4.10");
	x->tun.n_children = 2;
	x->tun.children[1] = (struct compiler_vpn_child){SA_IN_NEW, SA_OUT_NEW};
	install(x, false);
	len = frame_icmp(f, mac_ra, mac_a1, "10.0.0.11", "10.9.0.5");
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(rd32(res.tx_frame[0] + 34), SPI_S2P_NEW);
	/* Old inbound SA still accepted (in flight during the rekey). */
	peer_rule(x, PEER_OUT);
	len = peer_esp(x, "10.9.0.5", "10.0.0.11", f);
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	peer_rule(x, PEER_OUT_NEW);
	len = peer_esp(x, "10.9.0.5", "10.0.0.11", f);
	assert_int_equal(rd32(f + 34), SPI_P2S_NEW);
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	/* The old child gone: its inbound SA's traffic no longer passes. */
	x->tun.children[0] = x->tun.children[1];
	x->tun.n_children = 1;
	install(x, false);
	peer_rule(x, PEER_OUT);
	len = peer_esp(x, "10.9.0.5", "10.0.0.11", f);
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_tx, 0);
}

/* IKE to the gateway: punted with COMPILER_PUNT_IKE only when asked. */
static void
test_ike_punt(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	uint8_t f[256], marker[8] = {0};
	size_t len;

	install(x, true);
	len = frame_udp(f, mac_rg, mac_x1, "172.24.4.100", "172.24.4.10", 500,
			500, marker, sizeof(marker));
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_punt, 1);
	assert_int_equal(res.punt_reason, COMPILER_PUNT_IKE);
	len = frame_udp(f, mac_rg, mac_x1, "172.24.4.100", "172.24.4.10", 4500,
			4500, marker, sizeof(marker));
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_punt, 1);
	assert_int_equal(res.punt_reason, COMPILER_PUNT_IKE);
	install(x, false);
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_true(res.n_punt == 0 || res.punt_reason != COMPILER_PUNT_IKE);
}

/*
 * Path MTU: the outbound SA with mtu 1500 (AES-GCM: 1446 inner bytes at
 * most); a 1500-byte DF packet through the compiled rules is punted with
 * DP_PUNT_ESP_MTU | 1446, without DF fragmented before encryption (two
 * ESP packets out of the uplink, docs/esp.md); 1446 bytes of the same
 * flow then pass (the too big walk was not cached cut short).
 */
static void
test_pmtu(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	static uint8_t payload[1472];
	uint8_t f[14 + 28 + sizeof(payload)];
	size_t len;

	assert_int_equal(pl_esp_sa_del(x->h.pl, SA_OUT), 0);
	sa_add_mtu(x->h.pl, SA_OUT, SPI_S2P, DP_SA_OUT, 0x11, "172.24.4.10",
		   "172.24.4.100", 1500);
	install(x, false);
	len = frame_udp(f, mac_ra, mac_a1, "10.0.0.11", "10.9.0.5", 5001, 5201,
			payload, sizeof(payload));
	assert_int_equal(len, 1514);
	frame_ip4_set_df(f);
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 0);
	assert_int_equal(res.n_punt, 1);
	assert_int_equal(res.punt_reason, DP_PUNT_ESP_MTU | 1446);
	len = frame_udp(f, mac_ra, mac_a1, "10.0.0.11", "10.9.0.5", 5001, 5201,
			payload, sizeof(payload));
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 2);
	assert_int_equal(res.n_punt, 0);
	assert_int_equal(res.n_drop, 0);
	assert_int_equal(res.tx_port[0], DP_X1);
	assert_int_equal(res.tx_port[1], DP_X1);
	assert_int_equal(res.tx_frame[1][14 + 9], 50);
	len = frame_udp(f, mac_ra, mac_a1, "10.0.0.11", "10.9.0.5", 5001, 5201,
			payload, 1446 - 28);
	frame_ip4_set_df(f);
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_X1);
	assert_int_equal(res.tx_frame[0][14 + 9], 50);
	assert_int_equal(res.tx_len[0], 14 + 1500);
}

/*
 * DPD hold: a trap (no child) punts local -> peer traffic with
 * COMPILER_PUNT_VPN_TRAP; nothing leaves, in clear or otherwise. No trap
 * and no child: no rule (the traffic is routed as without the tunnel).
 */
static void
test_trap(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	uint8_t f[128];
	size_t len;

	x->tun.n_children = 0;
	x->tun.is_trap = true;
	install(x, false);
	len = frame_icmp(f, mac_ra, mac_a1, "10.0.0.11", "10.9.0.5");
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 0);
	assert_int_equal(res.n_punt, 1);
	assert_int_equal(res.punt_reason, COMPILER_PUNT_VPN_TRAP);
	/* Not the tunnel's: routed as usual. */
	len = frame_icmp(f, mac_ra, mac_a1, "10.0.0.11", "172.24.4.100");
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	x->tun.is_trap = false;
	install(x, false);
	len = frame_icmp(f, mac_ra, mac_a1, "10.0.0.11", "10.9.0.5");
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_true(res.n_punt == 0 ||
		    res.punt_reason != COMPILER_PUNT_VPN_TRAP);
}

/* The fixture dual-stack: an IPv6 subnet on net-a, a1 and the router
 * interface with an address there, and an IPv6 CIDR pair on c1. */
static void
dual_stack(struct fixture *x)
{
	struct net_view_subnet *s = &x->subnets[x->view.n_subnets++];
	struct compiler_vpn_tunnel *t = &x->tun;

	snprintf(s->id, sizeof(s->id), "sn6-net-a");
	snprintf(s->network_id, sizeof(s->network_id), "net-a");
	addr(&s->cidr, "2001:db8:a::/64");
	addr(&s->gateway, "2001:db8:a::1");
	for (size_t i = 0; i < x->view.n_ports; i++) {
		struct net_view_port *p = &x->ports[i];
		const char *ip = strcmp(p->id, "a1") == 0     ? "2001:db8:a::11"
				 : strcmp(p->id, "ri-a") == 0 ? "2001:db8:a::1"
							      : NULL;

		if (ip == NULL)
			continue;
		snprintf(p->ips[p->n_ips].subnet_id,
			 sizeof(p->ips[p->n_ips].subnet_id), "sn6-net-a");
		addr(&p->ips[p->n_ips++].ip, ip);
	}
	addr(&t->local[t->n_local++], "2001:db8:a::/64");
	addr(&t->peer[t->n_peer++], "2001:db8:9::/64");
}

static void
assert_ip6(const uint8_t *p, const char *s)
{
	uint8_t a[16];

	inet_pton(AF_INET6, s, a);
	assert_memory_equal(p, a, 16);
}

/* An IPv6 UDP packet (16 bytes, ports 0, its length set) on a frame. */
static size_t
frame_udp6(uint8_t *f, const uint8_t dst[6], const uint8_t src[6],
	   const char *ip_src, const char *ip_dst)
{
	size_t len = frame_ip6(f, dst, src, ip_src, ip_dst, 17, 16);

	f[14 + 40 + 5] = 16;
	return len;
}

/* The peer's ESP carrying an IPv6 UDP packet from src to dst. */
static size_t
peer_esp6(struct fixture *x, const char *src, const char *dst, uint8_t *out)
{
	uint8_t f[128];
	size_t len = frame_udp6(f, mac_rg, mac_x1, src, dst);

	return peer_encrypt(x, f, len, out);
}

/*
 * IPv6 inner traffic over IPv4 gateways: a1's IPv6 to the peer's IPv6
 * CIDR leaves as IPv4 ESP to the peer; the peer's ESP with IPv6 inside
 * is routed to a1 (hop limit 63) when its addresses are the SA's, and
 * dropped when not; IPv4 still passes beside it.
 */
static void
test_ipv6_inner(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	uint8_t f[256];
	size_t len;

	dual_stack(x);
	install(x, false);
	len = frame_udp6(f, mac_ra, mac_a1, "2001:db8:a::11", "2001:db8:9::5");
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_X1);
	assert_memory_equal(res.tx_frame[0], mac_x1, 6);
	assert_memory_equal(res.tx_frame[0] + 6, mac_rg, 6);
	assert_int_equal(res.tx_frame[0][12], 0x08);
	assert_int_equal(res.tx_frame[0][14 + 9], 50);
	assert_ip(res.tx_frame[0] + 14 + 12, "172.24.4.10");
	assert_ip(res.tx_frame[0] + 14 + 16, "172.24.4.100");
	assert_int_equal(rd32(res.tx_frame[0] + 34), SPI_S2P);
	/* Outside the peer's IPv6 CIDR: not through the tunnel. */
	len = frame_udp6(f, mac_ra, mac_a1, "2001:db8:a::11", "2001:db8:8::5");
	harness_run(&x->h, DP_A1, f, len, &res);
	for (unsigned i = 0; i < res.n_tx; i++)
		assert_int_not_equal(res.tx_frame[i][14 + 9], 50);
	/* In: decrypted, checked, routed to a1. */
	len = peer_esp6(x, "2001:db8:9::5", "2001:db8:a::11", f);
	assert_int_equal(f[14 + 9], 50);
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_A1);
	assert_memory_equal(res.tx_frame[0], mac_a1, 6);
	assert_memory_equal(res.tx_frame[0] + 6, mac_ra, 6);
	assert_int_equal(res.tx_frame[0][12], 0x86);
	assert_int_equal(res.tx_frame[0][14 + 7], 63); /* hop limit: routed */
	assert_ip6(res.tx_frame[0] + 14 + 8, "2001:db8:9::5");
	assert_ip6(res.tx_frame[0] + 14 + 24, "2001:db8:a::11");
	/* A source outside the peer's CIDRs: dropped by the inner check. */
	len = peer_esp6(x, "2001:db8:8::5", "2001:db8:a::11", f);
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_tx, 0);
	assert_int_equal(res.n_drop, 1);
	/* The IPv4 pair beside it still passes. */
	len = peer_esp(x, "10.9.0.5", "10.0.0.11", f);
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_A1);
	assert_int_equal(res.tx_frame[0][12], 0x08);
}

/* A held dual-stack connection traps its IPv6 traffic too. */
static void
test_ipv6_trap(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	uint8_t f[128];
	size_t len;

	dual_stack(x);
	x->tun.n_children = 0;
	x->tun.is_trap = true;
	install(x, false);
	len = frame_udp6(f, mac_ra, mac_a1, "2001:db8:a::11", "2001:db8:9::5");
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 0);
	assert_int_equal(res.n_punt, 1);
	assert_int_equal(res.punt_reason, COMPILER_PUNT_VPN_TRAP);
}

/*
 * The rules of a dual-stack tunnel: one encrypt and one inner check per
 * pair of one family (v4 x v4, v6 x v6; never v4 x v6), on the
 * addresses of that family.
 */
static void
test_ipv6_shape(void **state)
{
	struct fixture *x = *state;
	struct compiler_rules rs = {0};
	unsigned n_enc6 = 0, n_in6 = 0;

	dual_stack(x);
	assert_int_equal(compiler_vpn_tunnel(&x->view, &x->tun, &rs), 0);
	assert_int_equal(rs.n, 2 + 2 + 1);
	for (size_t i = 0; i < rs.n; i++) {
		const struct dp_rule *r = &rs.rules[i];
		char txt[1024];

		assert_true(dp_flow_text_format(r, NULL, txt, sizeof(txt)) > 0);
		if (strstr(txt, "ipv6") == NULL)
			continue;
		assert_null(strstr(txt, "nw_src"));
		assert_null(strstr(txt, "nw_dst"));
		if (r->table == COMPILER_T_ROUTE) {
			n_enc6++;
			assert_int_equal(r->priority, 400 + 64);
			assert_non_null(strstr(
				txt, "ipv6_src=2001:db8:a::/64,ipv6_dst=2001:"
				     "db8:9::/64"));
		} else {
			n_in6++;
			assert_int_equal(r->table, COMPILER_T_VPN_IN);
			assert_non_null(strstr(
				txt, "ipv6_src=2001:db8:9::/64,ipv6_dst=2001:"
				     "db8:a::/64"));
		}
	}
	assert_int_equal(n_enc6, 1);
	assert_int_equal(n_in6, 1);
	compiler_rules_fini(&rs);
	/* Only mixed pairs left: no rule but the inner drop. */
	x->tun.local[0] = x->tun.local[1];
	x->tun.n_local = 1;
	x->tun.n_peer = 1; /* 10.9.0.0/24 */
	assert_int_equal(compiler_vpn_tunnel(&x->view, &x->tun, &rs), 0);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.rules[0].priority, 1);
	compiler_rules_fini(&rs);
}

/* The fixture's gateway and peer dual-stack, c1 over IPv6 (SAs 21, 22;
 * the peer's 31). */
static void
outer6(struct fixture *x)
{
	struct net_view_subnet *s = &x->subnets[x->view.n_subnets++];
	struct compiler_vpn_tunnel *t = &x->tun;

	snprintf(s->id, sizeof(s->id), "sn6-ext");
	snprintf(s->network_id, sizeof(s->network_id), "ext");
	addr(&s->cidr, "2001:db8:e::/64");
	addr(&s->gateway, "2001:db8:e::1");
	for (size_t i = 0; i < x->view.n_ports; i++) {
		struct net_view_port *p = &x->ports[i];
		const char *ip = strcmp(p->id, "rg") == 0   ? "2001:db8:e::a"
				 : strcmp(p->id, "x1") == 0 ? "2001:db8:e::100"
							    : NULL;

		if (ip == NULL)
			continue;
		snprintf(p->ips[p->n_ips].subnet_id,
			 sizeof(p->ips[p->n_ips].subnet_id), "sn6-ext");
		addr(&p->ips[p->n_ips++].ip, ip);
	}
	t->is_outer6 = true;
	inet_pton(AF_INET6, "2001:db8:e::a", t->local_ip);
	inet_pton(AF_INET6, "2001:db8:e::100", t->peer_ip);
	t->children[0] = (struct compiler_vpn_child){21, 22};
	sa_add(x->h.pl, 21, 0x6001, DP_SA_IN, 0x66, "2001:db8:e::100",
	       "2001:db8:e::a");
	sa_add(x->h.pl, 22, 0x6002, DP_SA_OUT, 0x77, "2001:db8:e::a",
	       "2001:db8:e::100");
	sa_add(x->peer.pl, 31, 0x6001, DP_SA_OUT, 0x66, "2001:db8:e::100",
	       "2001:db8:e::a");
	peer_rule(x, 31);
}

/* Install, plus the peer's MAC as a learned IPv6 neighbour (on link). */
static void
install6(struct fixture *x, bool is_ike_punt)
{
	struct compiler_rules rs = {0};
	uint8_t ip[16];
	char err[256] = "";

	install(x, is_ike_punt);
	inet_pton(AF_INET6, "2001:db8:e::100", ip);
	assert_int_equal(
		compiler_neigh6(&x->view, &x->routers[0], ip, mac_x1, &rs), 0);
	assert_int_equal(x->dp.flow_begin(x->dp.ctx, err, sizeof(err)), 0);
	assert_int_equal(
		x->dp.flow_add(x->dp.ctx, rs.rules, rs.n, err, sizeof(err)), 0);
	assert_int_equal(x->dp.flow_commit(x->dp.ctx, err, sizeof(err)), 0);
	compiler_rules_fini(&rs);
}

/*
 * IPv6 gateways: a1's IPv4 and IPv6 to the peer's CIDRs leave as ESP in
 * IPv6 (next header 50) from the gateway's ::a to the peer's ::100, to
 * the peer's learned MAC; the peer's ESP over IPv6 is decrypted, checked
 * and routed to a1; IKE over IPv6 to the gateway is punted, and over
 * IPv4 still.
 */
static void
test_outer6(void **state)
{
	struct fixture *x = *state;
	struct harness_result res;
	uint8_t f[256], marker[8] = {0};
	size_t len;

	dual_stack(x);
	outer6(x);
	install6(x, true);
	len = frame_icmp(f, mac_ra, mac_a1, "10.0.0.11", "10.9.0.5");
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_X1);
	assert_memory_equal(res.tx_frame[0], mac_x1, 6);
	assert_memory_equal(res.tx_frame[0] + 6, mac_rg, 6);
	assert_int_equal(res.tx_frame[0][12], 0x86);
	assert_int_equal(res.tx_frame[0][14 + 6], 50);
	assert_ip6(res.tx_frame[0] + 14 + 8, "2001:db8:e::a");
	assert_ip6(res.tx_frame[0] + 14 + 24, "2001:db8:e::100");
	assert_int_equal(rd32(res.tx_frame[0] + 54), 0x6002);
	len = frame_udp6(f, mac_ra, mac_a1, "2001:db8:a::11", "2001:db8:9::5");
	harness_run(&x->h, DP_A1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_frame[0][14 + 6], 50);
	assert_int_equal(rd32(res.tx_frame[0] + 54), 0x6002);
	/* In: IPv4 and IPv6 inner from the peer. */
	len = peer_esp(x, "10.9.0.5", "10.0.0.11", f);
	assert_int_equal(f[14 + 6], 50);
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_A1);
	assert_ip(res.tx_frame[0] + 14 + 16, "10.0.0.11");
	len = peer_esp6(x, "2001:db8:9::5", "2001:db8:a::11", f);
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_tx, 1);
	assert_int_equal(res.tx_port[0], DP_A1);
	assert_ip6(res.tx_frame[0] + 14 + 24, "2001:db8:a::11");
	/* IKE over IPv6 to the gateway, and over IPv4 still. */
	len = frame_udp6(f, mac_rg, mac_x1, "2001:db8:e::100", "2001:db8:e::a");
	f[14 + 40] = 0x01;
	f[14 + 41] = 0xf4;
	f[14 + 42] = 0x01;
	f[14 + 43] = 0xf4;
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_punt, 1);
	assert_int_equal(res.punt_reason, COMPILER_PUNT_IKE);
	len = frame_udp(f, mac_rg, mac_x1, "172.24.4.100", "172.24.4.10", 500,
			500, marker, sizeof(marker));
	harness_run(&x->h, DP_X1, f, len, &res);
	assert_int_equal(res.n_punt, 1);
	assert_int_equal(res.punt_reason, COMPILER_PUNT_IKE);
}

/*
 * The encrypt rule's next hop for an IPv6 peer: reg1 0 on the gateway's
 * IPv6 subnet, else the subnet gateway's compiler_nh6_tag() (never an
 * IPv4 address: 240.0.0.0/4); a dual-stack gateway has 4 rules per
 * address.
 */
static void
test_outer6_shape(void **state)
{
	struct fixture *x = *state;
	struct compiler_rules rs = {0};
	uint8_t gw6[16];
	uint32_t want[2] = {0, 0}, got;
	size_t n_gw = 0;

	outer6(x);
	inet_pton(AF_INET6, "2001:db8:e::1", gw6);
	want[1] = compiler_nh6_tag(gw6);
	assert_int_equal(want[1] >> 28, 0xf);
	for (int k = 0; k < 2; k++) {
		if (k)
			inet_pton(AF_INET6, "2001:db8:77::1", x->tun.peer_ip);
		assert_int_equal(
			compiler_vpn_all(&x->view, &x->tun, 1, false, &rs), 0);
		got = 1;
		for (size_t i = 0; i < rs.n; i++) {
			const struct dp_rule *r = &rs.rules[i];

			if (r->cookie == compiler_vpn_cookie_gateway("r1")) {
				n_gw++;
				continue;
			}
			if (r->table != COMPILER_T_ROUTE)
				continue;
			for (unsigned a = 0; a < r->n_actions; a++)
				if (r->actions[a].type == DP_ACT_SET_FIELD &&
				    r->actions[a].u.set.field == DP_F_REG1)
					memcpy(&got, r->actions[a].u.set.value,
					       4);
		}
		assert_int_equal(got, want[k]);
		compiler_rules_fini(&rs);
	}
	assert_int_equal(n_gw, 2 * 8);
}

/* Owners, and nothing without a gateway, a child or CIDRs. */
static void
test_shape(void **state)
{
	struct fixture *x = *state;
	struct compiler_rules rs = {0};
	struct compiler_vpn_tunnel two[2];
	size_t n_gw = 0;

	assert_int_equal(compiler_vpn_tunnel(&x->view, &x->tun, &rs), 0);
	assert_int_equal(rs.n, 3); /* encrypt, inner check, inner drop */
	for (size_t i = 0; i < rs.n; i++)
		assert_true(rs.rules[i].cookie ==
			    compiler_vpn_cookie_tunnel("c1"));
	compiler_rules_fini(&rs);
	/* Two connections on one router: the gateway's rules once. */
	two[0] = x->tun;
	two[1] = x->tun;
	snprintf(two[1].conn_id, sizeof(two[1].conn_id), "c2");
	/* The second names its router by the gateway address only. */
	two[1].router_id[0] = '\0';
	inet_pton(AF_INET, "172.24.4.10", two[1].local_ip);
	assert_ptr_equal(
		compiler_vpn_router_by_gw(&x->view, two[1].local_ip, false),
		&x->routers[0]);
	assert_int_equal(compiler_vpn_all(&x->view, two, 2, false, &rs), 0);
	for (size_t i = 0; i < rs.n; i++) {
		assert_int_equal(rs.rules[i].cookie & COMPILER_COOKIE_NS_MASK,
				 COMPILER_VPN_COOKIE_NS);
		n_gw += rs.rules[i].cookie == compiler_vpn_cookie_gateway("r1");
	}
	assert_int_equal(n_gw, 4);
	assert_int_equal(rs.n, 3 + 3 + 4);
	compiler_rules_fini(&rs);
	/* No child SA yet. */
	x->tun.n_children = 0;
	assert_int_equal(compiler_vpn_tunnel(&x->view, &x->tun, &rs), 0);
	assert_int_equal(rs.n, 0);
	x->tun.n_children = 1;
	/* No gateway. */
	x->routers[0].gw_port_id[0] = '\0';
	assert_int_equal(compiler_vpn_all(&x->view, &x->tun, 1, true, &rs), 0);
	assert_int_equal(rs.n, 0);
	compiler_rules_fini(&rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_encrypt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decrypt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decrypt_wrong_inner, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rekey, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ike_punt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pmtu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_inner, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_trap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_shape, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_outer6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outer6_shape, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
