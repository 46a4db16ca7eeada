/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vpn_ike_dp_test.c: the frames of IKE through the datapath
 * (vpn_ike_dp.h): a built frame parses back to the same addresses, ports
 * and payload, with a valid IPv4 checksum; every malformed frame is
 * refused with its reason, at every truncation, without reading past the
 * buffer (run under ASan). Sending to a peer never heard from, over a
 * hand-made view and a recording packet-out: a known port of the
 * external network directly; else an ARP request from the gateway port
 * for the peer (on the external subnet) or the subnet's gateway (off it),
 * the frame sent when the reply is reported, and the retransmission
 * straight to the learned MAC. The same over IPv6: checksummed UDP, a
 * neighbor solicitation for the hop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "net_view.h"
#include "vpn_ike_dp.h"

static const uint8_t mac_a[6] = {0xfa, 0x16, 0x3e, 0, 1, 0xee};
static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0x64};

static void
addr(struct ike_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, a->ip), 1);
	a->port = port;
}

static size_t
build(uint8_t *f, size_t cap, size_t dlen)
{
	struct ike_addr l, r;
	uint8_t data[600];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	addr(&l, "172.24.4.10", 4500);
	addr(&r, "172.24.4.100", 4501);
	return vpn_ike_dp_build(f, cap, mac_b, mac_a, &l, &r, data, dlen);
}

static void
test_round_trip(void **state)
{
	uint8_t f[1024], md[6], ms[6];
	struct ike_addr l, r;
	const uint8_t *data;
	size_t n, dlen;
	uint32_t sum = 0;

	(void)state;
	n = build(f, sizeof(f), 300);
	assert_int_equal(n, 14 + 20 + 8 + 300);
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(f[14 + i] << 8 | f[15 + i]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
	/* Parsed as sluiced sees a punt: to us from the peer. */
	assert_int_equal(vpn_ike_dp_parse(f, n, &r, &l, md, ms, &data, &dlen),
			 0);
	assert_int_equal(l.port, 4500);
	assert_int_equal(r.port, 4501);
	assert_memory_equal(md, mac_b, 6);
	assert_memory_equal(ms, mac_a, 6);
	assert_int_equal(dlen, 300);
	assert_ptr_equal(data, f + 42);
	assert_int_equal(data[299], (uint8_t)299);
	/* Too small an output buffer. */
	assert_int_equal(build(f, 42 + 299, 300), 0);
}

static void
test_rejects(void **state)
{
	uint8_t f[512], md[6], ms[6];
	struct ike_addr l, r;
	const uint8_t *data;
	size_t n, dlen;

	(void)state;
	n = build(f, sizeof(f), 100);
	/* Every truncation: refused, never read past (each in its own
	 * heap buffer of exactly that length, for ASan). */
	for (size_t k = 0; k < n; k++) {
		uint8_t *c = malloc(k + 1);

		assert_non_null(c);
		memcpy(c, f, k);
		assert_true(vpn_ike_dp_parse(c, k, &l, &r, md, ms, &data,
					     &dlen) < 0);
		free(c);
	}
#define EXPECT(reason)                                                         \
	assert_int_equal(vpn_ike_dp_parse(f, n, &l, &r, md, ms, &data, &dlen), \
			 -(reason))
	f[12] = 0x86;
	EXPECT(VPN_IKE_DP_R_NOT_IPV4);
	f[12] = 0x08;
	f[14] = 0x65;
	EXPECT(VPN_IKE_DP_R_BAD_IP);
	f[14] = 0x44;
	EXPECT(VPN_IKE_DP_R_BAD_IP);
	f[14] = 0x45;
	f[14 + 9] = 50;
	EXPECT(VPN_IKE_DP_R_NOT_UDP);
	f[14 + 9] = 17;
	f[14 + 6] = 0x20; /* MF */
	EXPECT(VPN_IKE_DP_R_FRAGMENT);
	f[14 + 6] = 0x40;
	f[34 + 4] = 0;
	f[34 + 5] = 7;
	EXPECT(VPN_IKE_DP_R_BAD_UDP);
	f[34 + 5] = 200; /* longer than the IP packet */
	EXPECT(VPN_IKE_DP_R_BAD_UDP);
	f[34 + 5] = 108;
	f[16] = 0x10; /* IP total length past the frame */
	EXPECT(VPN_IKE_DP_R_SHORT);
	f[16] = 0;
	assert_int_equal(vpn_ike_dp_parse(f, n, &l, &r, md, ms, &data, &dlen),
			 0);
#undef EXPECT
}

/* The view: external network "ext" 172.30.0.0/24 (gateway .1), router
 * r1's gateway port .10, an uplink port (dp 5, no address) and, in the
 * direct case, a peer port .30 (dp 6). */
static const uint8_t mac_gw[6] = {0xfa, 0x16, 0x3e, 0, 0, 0x10};
static const uint8_t mac_nh[6] = {0x02, 0, 0, 0, 0, 0x20};
static const uint8_t mac_p30[6] = {0xfa, 0x16, 0x3e, 0, 0, 0x30};

struct fix {
	struct net_view_network net;
	struct net_view_subnet sub;
	struct net_view_router r;
	struct net_view_port ports[3];
	struct net_view v;
	unsigned n_out;	       /* packet-out calls */
	uint32_t ports_out[8]; /* of the last call */
	size_t n_ports_out;
	uint8_t frame[2048];
	size_t len;
};

static void
ip4(struct net_addr *a, const char *s, uint8_t plen)
{
	memset(a, 0, sizeof(*a));
	a->version = 4;
	a->prefix_len = plen;
	assert_int_equal(inet_pton(AF_INET, s, a->a), 1);
}

static const struct net_view *
fix_view(void *ctx)
{
	return &((struct fix *)ctx)->v;
}

static int
fix_out(void *ctx, const uint32_t *ports, size_t n, const uint8_t *f,
	size_t len)
{
	struct fix *x = ctx;

	assert_true(n <= 8 && len <= sizeof(x->frame));
	x->n_out++;
	memcpy(x->ports_out, ports, n * sizeof(*ports));
	x->n_ports_out = n;
	memcpy(x->frame, f, len);
	x->len = len;
	return 0;
}

/* A port on network "ext", admin up; with ip (NULL: none) on ext-sub. */
static struct net_view_port *
ext_port(struct net_view_port *p, const char *id, const uint8_t mac[6],
	 const char *ip)
{
	strcpy(p->id, id);
	strcpy(p->network_id, "ext");
	memcpy(p->mac, mac, 6);
	p->is_admin_up = true;
	if (ip != NULL) {
		p->n_ips = 1;
		strcpy(p->ips[0].subnet_id, "ext-sub");
		ip4(&p->ips[0].ip, ip, 32);
	}
	return p;
}

static void
fix_init(struct fix *x, bool has_peer_port)
{
	static const uint8_t mac_uplink[6] = {0x02};
	struct net_view_port *p;

	memset(x, 0, sizeof(*x));
	strcpy(x->net.id, "ext");
	x->net.segment_id = 7;
	x->net.is_admin_up = x->net.is_external = true;
	strcpy(x->sub.id, "ext-sub");
	strcpy(x->sub.network_id, "ext");
	ip4(&x->sub.cidr, "172.30.0.0", 24);
	ip4(&x->sub.gateway, "172.30.0.1", 32);
	strcpy(x->r.id, "r1");
	x->r.is_admin_up = true;
	strcpy(x->r.gw_port_id, "gw");
	p = ext_port(&x->ports[0], "gw", mac_gw, "172.30.0.10");
	strcpy(p->device_owner, "network:router_gateway");
	strcpy(p->device_id, "r1");
	p = ext_port(&x->ports[1], "uplink", mac_uplink, NULL);
	p->dp_port = 5;
	p = ext_port(&x->ports[2], "p30", mac_p30, "172.30.0.30");
	p->dp_port = 6;
	x->v.networks = &x->net;
	x->v.n_networks = 1;
	x->v.subnets = &x->sub;
	x->v.n_subnets = 1;
	x->v.routers = &x->r;
	x->v.n_routers = 1;
	x->v.ports = x->ports;
	x->v.n_ports = has_peer_port ? 3 : 2;
}

static struct vpn_ike_dp *
fix_dp(struct fix *x)
{
	struct vpn_ike_dp_io io = {
		.view = fix_view, .packet_out = fix_out, .ctx = x};
	struct vpn_ike_dp *d = NULL;

	assert_int_equal(vpn_ike_dp_create_io(&io, &d), 0);
	assert_int_equal(vpn_ike_dp_start(d, NULL), 0);
	return d;
}

/* The last frame out is an ARP request from the gateway for target. */
static void
assert_arp(const struct fix *x, const char *target)
{
	uint8_t t[4];

	assert_int_equal(inet_pton(AF_INET, target, t), 1);
	assert_int_equal(x->n_ports_out, 1);
	assert_int_equal(x->ports_out[0], 5); /* the uplink, not the gw */
	assert_true(x->len >= 42);
	assert_int_equal(x->frame[12] << 8 | x->frame[13], 0x0806);
	assert_int_equal(x->frame[20] << 8 | x->frame[21], 1); /* request */
	assert_memory_equal(x->frame + 6, mac_gw, 6);
	assert_memory_equal(x->frame + 22, mac_gw, 6);
	assert_memory_equal(x->frame + 38, t, 4);
}

/* The last frame out is IKE from the gateway to (mac, peer). */
static void
assert_ike(const struct fix *x, uint32_t port, const uint8_t mac[6],
	   const char *peer, const uint8_t *data, size_t dlen)
{
	uint8_t md[6], ms[6];
	struct ike_addr l, r, want;
	const uint8_t *d;
	size_t n;

	assert_int_equal(x->n_ports_out, 1);
	assert_int_equal(x->ports_out[0], port);
	addr(&want, peer, 500);
	assert_int_equal(
		vpn_ike_dp_parse(x->frame, x->len, &r, &l, md, ms, &d, &n), 0);
	assert_memory_equal(md, mac, 6);
	assert_memory_equal(ms, mac_gw, 6);
	assert_memory_equal(r.ip, want.ip, 4);
	assert_int_equal(n, dlen);
	assert_memory_equal(d, data, dlen);
}

static void
resolve_case(const char *peer, const char *hop)
{
	static const uint8_t data[] = "IKE_SA_INIT, or so";
	struct vpn_ike_dp_stats st;
	struct ike_addr l, r;
	uint8_t hop_ip[4], other[4] = {172, 30, 0, 99};
	struct vpn_ike_dp *d;
	struct fix x;

	fix_init(&x, false);
	d = fix_dp(&x);
	addr(&l, "172.30.0.10", 500);
	addr(&r, peer, 500);
	assert_int_equal(inet_pton(AF_INET, hop, hop_ip), 1);
	/* Never heard from, not a port: ARP for the hop, the frame waits. */
	assert_int_equal(vpn_ike_dp_send(d, data, sizeof(data), &l, &r), 0);
	assert_int_equal(x.n_out, 1);
	assert_arp(&x, hop);
	/* Another address learned: nothing leaves. */
	vpn_ike_dp_neigh(d, 5, AF_INET, other, mac_p30);
	assert_int_equal(x.n_out, 1);
	/* The reply: the waiting frame leaves to the hop's MAC. */
	vpn_ike_dp_neigh(d, 5, AF_INET, hop_ip, mac_nh);
	assert_int_equal(x.n_out, 2);
	assert_ike(&x, 5, mac_nh, peer, data, sizeof(data));
	/* Only once. */
	vpn_ike_dp_neigh(d, 5, AF_INET, hop_ip, mac_nh);
	assert_int_equal(x.n_out, 2);
	/* A retransmission goes straight out, no second ARP. */
	assert_int_equal(vpn_ike_dp_send(d, data, 5, &l, &r), 0);
	assert_int_equal(x.n_out, 3);
	assert_ike(&x, 5, mac_nh, peer, data, 5);
	vpn_ike_dp_stats(d, &st);
	assert_int_equal(st.n_arp_requests, 1);
	assert_int_equal(st.n_resolved, 1);
	assert_int_equal(st.n_out, 2);
	assert_int_equal(st.n_no_route, 0);
	/* The hop aged out in netdrv (mac NULL): the next send resolves
	 * again; learned on a port not of this network: not used. */
	vpn_ike_dp_neigh(d, 0, AF_INET, hop_ip, NULL);
	assert_int_equal(vpn_ike_dp_send(d, data, 5, &l, &r), 0);
	assert_int_equal(x.n_out, 4);
	assert_arp(&x, hop);
	vpn_ike_dp_neigh(d, 77, AF_INET, hop_ip, mac_p30);
	assert_int_equal(vpn_ike_dp_send(d, data, 5, &l, &r), 0);
	assert_int_equal(x.n_out, 6); /* the waiting frame, another ARP */
	assert_arp(&x, hop);
	/* Learned again where it belongs, with a new MAC: used. */
	vpn_ike_dp_neigh(d, 5, AF_INET, hop_ip, mac_p30);
	assert_ike(&x, 5, mac_p30, peer, data, 5);
	assert_int_equal(vpn_ike_dp_send(d, data, 5, &l, &r), 0);
	assert_ike(&x, 5, mac_p30, peer, data, 5);
	vpn_ike_dp_destroy(d);
}

static void
test_resolve_on_subnet(void **state)
{
	(void)state;
	resolve_case("172.30.0.20", "172.30.0.20");
}

static void
test_resolve_off_subnet(void **state)
{
	(void)state;
	resolve_case("198.51.100.7", "172.30.0.1");
}

static void
test_direct_and_no_route(void **state)
{
	static const uint8_t data[] = "x";
	struct vpn_ike_dp_stats st;
	struct ike_addr l, r;
	struct vpn_ike_dp *d;
	struct fix x;

	(void)state;
	fix_init(&x, true);
	d = fix_dp(&x);
	addr(&l, "172.30.0.10", 500);
	/* A known port: straight to it, no ARP. */
	addr(&r, "172.30.0.30", 500);
	assert_int_equal(vpn_ike_dp_send(d, data, 1, &l, &r), 0);
	assert_int_equal(x.n_out, 1);
	assert_ike(&x, 6, mac_p30, "172.30.0.30", data, 1);
	/* No gateway port holds the local address. */
	addr(&l, "172.30.0.11", 500);
	assert_int_equal(vpn_ike_dp_send(d, data, 1, &l, &r), -EHOSTUNREACH);
	/* The external subnet without a gateway: no hop off it. */
	x.sub.gateway.version = 0;
	addr(&l, "172.30.0.10", 500);
	addr(&r, "198.51.100.7", 500);
	assert_int_equal(vpn_ike_dp_send(d, data, 1, &l, &r), -EHOSTUNREACH);
	assert_int_equal(x.n_out, 1);
	vpn_ike_dp_stats(d, &st);
	assert_int_equal(st.n_no_route, 2);
	assert_int_equal(st.n_arp_requests, 0);
	vpn_ike_dp_destroy(d);
}

/* net_addr of an IPv6 address s with prefix length plen. */
static void
ip6(struct net_addr *a, const char *s, uint8_t plen)
{
	memset(a, 0, sizeof(*a));
	a->version = 6;
	a->prefix_len = plen;
	assert_int_equal(inet_pton(AF_INET6, s, a->a), 1);
}

/*
 * IPv6 gateways: a built frame is IPv6 + UDP with a valid checksum and
 * parses back; cut short or fragmented it is refused; sent to a peer off
 * the gateway's IPv6 subnet it waits for a neighbor solicitation of the
 * subnet's gateway (::1), and leaves to the MAC learned from the answer.
 */
static void
test_ipv6(void **state)
{
	static const uint8_t data[] = "IKE over IPv6";
	struct vpn_ike_dp_stats st;
	struct ike_addr l, r, l2, r2;
	uint8_t f[256], md[6], ms[6], hop[16];
	const uint8_t *d;
	size_t n, dlen;
	uint32_t sum;
	struct vpn_ike_dp *dp;
	struct fix x;

	(void)state;
	memset(&l, 0, sizeof(l));
	memset(&r, 0, sizeof(r));
	l.family = r.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:30::10", l.ip);
	inet_pton(AF_INET6, "2001:db8:99::7", r.ip);
	l.port = 500;
	r.port = 4500;
	n = vpn_ike_dp_build(f, sizeof(f), mac_b, mac_a, &l, &r, data,
			     sizeof(data));
	assert_int_equal(n, 14 + 40 + 8 + sizeof(data));
	assert_int_equal(f[12] << 8 | f[13], 0x86dd);
	assert_int_equal(f[14 + 6], 17);
	sum = 8 + sizeof(data) + 17;
	for (size_t i = 14 + 8; i < n; i += 2)
		sum += (uint32_t)f[i] << 8 | (i + 1 < n ? f[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
	assert_int_equal(vpn_ike_dp_parse(f, n, &r2, &l2, md, ms, &d, &dlen),
			 0);
	assert_int_equal(l2.family, AF_INET6);
	assert_memory_equal(l2.ip, l.ip, 16);
	assert_memory_equal(r2.ip, r.ip, 16);
	assert_int_equal(r2.port, 4500);
	assert_int_equal(dlen, sizeof(data));
	assert_memory_equal(d, data, dlen);
	for (size_t k = 0; k < n; k++)
		assert_true(vpn_ike_dp_parse(f, k, &r2, &l2, md, ms, &d,
					     &dlen) < 0);
	f[14 + 6] = 44;
	assert_int_equal(vpn_ike_dp_parse(f, n, &r2, &l2, md, ms, &d, &dlen),
			 -VPN_IKE_DP_R_FRAGMENT);
	f[14 + 6] = 6;
	assert_int_equal(vpn_ike_dp_parse(f, n, &r2, &l2, md, ms, &d, &dlen),
			 -VPN_IKE_DP_R_NOT_UDP);
	/* Mixed families: nothing built. */
	l.family = AF_INET;
	assert_int_equal(vpn_ike_dp_build(f, sizeof(f), mac_b, mac_a, &l, &r,
					  data, sizeof(data)),
			 0);
	l.family = AF_INET6;
	/* The gateway on 2001:db8:30::/64 (gateway ::1) only. */
	fix_init(&x, false);
	ip6(&x.sub.cidr, "2001:db8:30::", 64);
	ip6(&x.sub.gateway, "2001:db8:30::1", 128);
	ip6(&x.ports[0].ips[0].ip, "2001:db8:30::10", 128);
	dp = fix_dp(&x);
	assert_int_equal(vpn_ike_dp_send(dp, data, sizeof(data), &l, &r), 0);
	assert_int_equal(x.n_out, 1);
	assert_int_equal(x.ports_out[0], 5);
	assert_int_equal(x.frame[12] << 8 | x.frame[13], 0x86dd);
	assert_int_equal(x.frame[14 + 40], 135);
	inet_pton(AF_INET6, "2001:db8:30::1", hop);
	assert_memory_equal(x.frame + 14 + 48, hop, 16);
	assert_memory_equal(x.frame + 6, mac_gw, 6);
	/* An IPv4 next hop with the same first bytes: nothing leaves. */
	vpn_ike_dp_neigh(dp, 5, AF_INET, hop, mac_p30);
	assert_int_equal(x.n_out, 1);
	vpn_ike_dp_neigh(dp, 5, AF_INET6, hop, mac_nh);
	assert_int_equal(x.n_out, 2);
	assert_int_equal(
		vpn_ike_dp_parse(x.frame, x.len, &r2, &l2, md, ms, &d, &dlen),
		0);
	assert_memory_equal(md, mac_nh, 6);
	assert_memory_equal(ms, mac_gw, 6);
	assert_memory_equal(r2.ip, r.ip, 16);
	assert_int_equal(dlen, sizeof(data));
	vpn_ike_dp_stats(dp, &st);
	assert_int_equal(st.n_arp_requests, 1);
	assert_int_equal(st.n_resolved, 1);
	vpn_ike_dp_destroy(dp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_resolve_on_subnet),
		cmocka_unit_test(test_resolve_off_subnet),
		cmocka_unit_test(test_direct_and_no_route),
		cmocka_unit_test(test_ipv6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
