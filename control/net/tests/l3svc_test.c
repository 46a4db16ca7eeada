/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * l3svc_test.c: the routers' punt answers (l3svc.h): time exceeded and
 * echo replies checked byte by byte (addresses, MACs, checksums, quote),
 * the RFC 1812 cases that get no error, next-hop ARP requests and
 * learning, every truncation rejected with a counted reason; ICMPv6
 * Packet Too Big (fields, checksum recomputed here, the 1280-byte cut,
 * source address choice, the RFC 4443 2.4 (e) refusals); IPv6 next hops:
 * the neighbor solicitation byte by byte (checksum recomputed here) and
 * the advertisement's RFC 4861 7.1.2 checks.
 *
 * Topology: router r1 with interface ri-a (net-a, 10.0.0.1, MAC
 * fa:16:3e:00:01:0a) and gateway rg (ext, 172.24.4.10/24, gateway
 * 172.24.4.1, MAC fa:16:3e:00:01:ee); a1 on net-a (dp 1, 10.0.0.11); x1
 * on ext (dp 3); a static route 192.168.50.0/24 via 172.24.4.20.
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

#include "frames.h"
#include "l3svc.h"
#include "net_view.h"

static const uint8_t mac_a1[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xa1};
static const uint8_t mac_x1[6] = {0xfa, 0x16, 0x3e, 0, 0, 0xe1};
static const uint8_t mac_ra[6] = {0xfa, 0x16, 0x3e, 0, 1, 0x0a};
static const uint8_t mac_rg[6] = {0xfa, 0x16, 0x3e, 0, 1, 0xee};
static const uint8_t zero6[6];

struct fixture {
	struct net_view_network nets[2];
	struct net_view_subnet subnets[3];
	struct net_view_port ports[4];
	struct net_view_router router;
	struct net_view view;
	struct l3svc_stats st;
};

static struct fixture fx;

static void
addr(struct net_addr *a, const char *s)
{
	assert_int_equal(net_addr_parse(s, a), 0);
}

static struct net_view_port *
port(const char *id, const char *net, const uint8_t mac[6], const char *ip,
     uint32_t dp, const char *owner)
{
	struct net_view_port *p = &fx.ports[fx.view.n_ports++];

	snprintf(p->id, NET_ID_LEN, "%s", id);
	snprintf(p->network_id, NET_ID_LEN, "%s", net);
	snprintf(p->ips[0].subnet_id, NET_ID_LEN, "sn-%s", net);
	addr(&p->ips[0].ip, ip);
	p->n_ips = 1;
	memcpy(p->mac, mac, 6);
	p->dp_port = dp;
	p->is_admin_up = true;
	if (owner != NULL) {
		snprintf(p->device_owner, NET_OWNER_LEN, "%s", owner);
		snprintf(p->device_id, NET_ID_LEN, "r1");
	}
	return p;
}

static int
setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	fx.view.networks = fx.nets;
	fx.view.subnets = fx.subnets;
	fx.view.ports = fx.ports;
	fx.view.routers = &fx.router;
	fx.view.n_routers = 1;
	snprintf(fx.nets[0].id, NET_ID_LEN, "net-a");
	snprintf(fx.nets[1].id, NET_ID_LEN, "ext");
	fx.view.n_networks = 2;
	snprintf(fx.subnets[0].id, NET_ID_LEN, "sn-net-a");
	addr(&fx.subnets[0].cidr, "10.0.0.0/24");
	snprintf(fx.subnets[1].id, NET_ID_LEN, "sn-ext");
	addr(&fx.subnets[1].cidr, "172.24.4.0/24");
	addr(&fx.subnets[1].gateway, "172.24.4.1");
	fx.view.n_subnets = 2;
	port("a1", "net-a", mac_a1, "10.0.0.11", 1, NULL);
	port("x1", "ext", mac_x1, "172.24.4.100", 3, NULL);
	port("ri-a", "net-a", mac_ra, "10.0.0.1", 0,
	     "network:router_interface");
	port("rg", "ext", mac_rg, "172.24.4.10", 0, "network:router_gateway");
	snprintf(fx.router.id, NET_ID_LEN, "r1");
	snprintf(fx.router.gw_port_id, NET_ID_LEN, "rg");
	fx.router.is_admin_up = true;
	fx.router.n_routes = 1;
	addr(&fx.router.routes[0].dst, "192.168.50.0/24");
	addr(&fx.router.routes[0].nexthop, "172.24.4.20");
	return 0;
}

static bool
ip_is(const uint8_t *p, const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return memcmp(p, &a, 4) == 0;
}

/* out (out_len bytes) is an ICMP type/code message from the router's
 * 10.0.0.1 to a1, both checksums valid. */
static void
assert_icmp_to_a1(const uint8_t *out, size_t out_len, uint8_t type,
		  uint8_t code)
{
	assert_memory_equal(out, mac_a1, 6);
	assert_memory_equal(out + 6, mac_ra, 6);
	assert_int_equal(out[12] << 8 | out[13], 0x0800);
	assert_int_equal(out[23], 1);
	assert_true(ip_is(out + 26, "10.0.0.1"));
	assert_true(ip_is(out + 30, "10.0.0.11"));
	assert_int_equal(frame_csum(out + 14, 20, 0), 0xffff);
	assert_int_equal(out[34], type);
	assert_int_equal(out[35], code);
	assert_int_equal(frame_csum(out + 34, out_len - 34, 0), 0xffff);
}

/*
 * Path MTU through a tunnel (DP_PUNT_ESP_MTU): type 3 code 4 with the
 * next-hop MTU in bytes 6-7 (RFC 1191 4), only for DF datagrams.
 */
static void
test_frag_needed(void **state)
{
	static uint8_t payload[1400];
	uint8_t f[14 + 20 + 8 + sizeof(payload)], out[L3SVC_FRAME_MAX];
	size_t len, out_len;

	(void)state;
	for (unsigned i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	len = frame_udp(f, mac_ra, mac_a1, "10.0.0.11", "10.2.0.7", 5001, 5201,
			payload, sizeof(payload));
	frame_ip4_set_df(f);
	assert_int_equal(l3svc_frag_needed(&fx.view, 1, f, len, 1446, out,
					   sizeof(out), &out_len, &fx.st),
			 0);
	/* Quoted up to 576 bytes, from the router interface to a1. */
	assert_int_equal(out_len, 14 + 576);
	assert_icmp_to_a1(out, out_len, 3, 4);
	assert_int_equal(out[16] << 8 | out[17], 576);
	assert_int_equal(out[38], 0); /* unused */
	assert_int_equal(out[39], 0);
	assert_int_equal(out[40] << 8 | out[41], 1446);
	assert_memory_equal(out + 42, f + 14, 576 - 28);
	assert_int_equal(fx.st.n_frag_needed, 1);
	assert_int_equal(fx.st.n_time_exceeded, 0);
	/* DF clear: no error (the datapath drops those itself). */
	len = frame_udp(f, mac_ra, mac_a1, "10.0.0.11", "10.2.0.7", 5001, 5201,
			payload, sizeof(payload));
	assert_int_equal(l3svc_frag_needed(&fx.view, 1, f, len, 1446, out,
					   sizeof(out), &out_len, &fx.st),
			 -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_NO_ERROR], 1);
	/* Not about an ICMP error either. */
	len = frame_icmp(f, mac_ra, mac_a1, "10.0.0.11", "10.2.0.7");
	f[34] = 3;
	frame_ip4_set_df(f);
	assert_int_equal(l3svc_frag_needed(&fx.view, 1, f, len, 1446, out,
					   sizeof(out), &out_len, &fx.st),
			 -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_NO_ERROR], 2);
	/* Unknown port: no router. Truncations: rejected. */
	len = frame_udp(f, mac_ra, mac_a1, "10.0.0.11", "10.2.0.7", 1, 2,
			payload, 100);
	frame_ip4_set_df(f);
	assert_int_equal(l3svc_frag_needed(&fx.view, 9, f, len, 1446, out,
					   sizeof(out), &out_len, &fx.st),
			 -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_NO_ROUTER], 1);
	for (size_t n = 0; n < 34; n++) {
		uint8_t *cut = malloc(n + 1);

		memcpy(cut, f, n);
		assert_int_equal(l3svc_frag_needed(&fx.view, 1, cut, n, 1446,
						   out, sizeof(out), &out_len,
						   &fx.st),
				 -EINVAL);
		free(cut);
	}
	assert_int_equal(fx.st.rejects[L3SVC_R_SHORT], 34);
	assert_int_equal(fx.st.n_frag_needed, 1);
}

/*
 * A frame the runtime found too big for its output port after routing
 * (DP_PUNT_TX_MTU): a1's packet to x1, as it was to leave by the gateway
 * (from rg's MAC to x1's), gets back the header it came in with (to ri-a's
 * MAC, from a1's), and then the same fragmentation needed as a tunnel's.
 */
static void
test_unroute(void **state)
{
	static uint8_t payload[1400];
	uint8_t f[14 + 20 + 8 + sizeof(payload)], out[L3SVC_FRAME_MAX];
	size_t len, out_len;

	(void)state;
	len = frame_udp(f, mac_x1, mac_rg, "10.0.0.11", "172.24.4.100", 5001,
			5201, payload, sizeof(payload));
	frame_ip4_set_df(f);
	assert_int_equal(l3svc_unroute(&fx.view, 1, f, len, &fx.st), 0);
	assert_memory_equal(f, mac_ra, 6);
	assert_memory_equal(f + 6, mac_a1, 6);
	assert_int_equal(l3svc_frag_needed(&fx.view, 1, f, len, 1500, out,
					   sizeof(out), &out_len, &fx.st),
			 0);
	assert_icmp_to_a1(out, out_len, 3, 4);
	assert_int_equal(out[40] << 8 | out[41], 1500);
	/* Not from a router's MAC, from an unknown port, cut: rejected. */
	len = frame_udp(f, mac_x1, mac_a1, "10.0.0.11", "172.24.4.100", 1, 2,
			payload, 10);
	assert_int_equal(l3svc_unroute(&fx.view, 1, f, len, &fx.st), -EINVAL);
	memcpy(f + 6, mac_rg, 6);
	assert_int_equal(l3svc_unroute(&fx.view, 9, f, len, &fx.st), -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_NO_ROUTER], 2);
	assert_int_equal(l3svc_unroute(&fx.view, 1, f, 13, &fx.st), -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_SHORT], 1);
	assert_memory_equal(f, mac_x1, 6); /* untouched */
}

static void
test_time_exceeded(void **state)
{
	uint8_t f[FRAME_MAX], out[L3SVC_FRAME_MAX];
	uint8_t payload[40];
	size_t len, out_len;

	(void)state;
	for (unsigned i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	len = frame_udp(f, mac_ra, mac_a1, "10.0.0.11", "8.8.8.8", 33434, 33435,
			payload, sizeof(payload));
	frame_ip4_set_ttl(f, 1);
	assert_int_equal(l3svc_time_exceeded(&fx.view, 1, f, len, out,
					     sizeof(out), &out_len, &fx.st),
			 0);
	/* RFC 792: type 11 code 0, the whole (small) datagram quoted. */
	assert_int_equal(out_len, 14 + 20 + 8 + (len - 14));
	assert_icmp_to_a1(out, out_len, 11, 0);
	assert_memory_equal(out + 42, f + 14, len - 14);
	assert_int_equal(fx.st.n_time_exceeded, 1);

	/* A big datagram: quoted up to 576 bytes in all. */
	{
		static uint8_t big[900];

		len = frame_udp(f, mac_ra, mac_a1, "10.0.0.11", "8.8.8.8", 1, 2,
				big, sizeof(big));
		frame_ip4_set_ttl(f, 0);
		assert_int_equal(l3svc_time_exceeded(&fx.view, 1, f, len, out,
						     sizeof(out), &out_len,
						     &fx.st),
				 0);
		assert_int_equal(out_len, 14 + 576);
		assert_int_equal(frame_csum(out + 34, out_len - 34, 0), 0xffff);
	}
	/* No error about an ICMP error (RFC 1812 4.3.2.7). */
	len = frame_icmp(f, mac_ra, mac_a1, "10.0.0.11", "8.8.8.8");
	f[34] = 3;
	assert_int_equal(l3svc_time_exceeded(&fx.view, 1, f, len, out,
					     sizeof(out), &out_len, &fx.st),
			 -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_NO_ERROR], 1);
	/* ... nor about a later fragment. */
	len = frame_icmp(f, mac_ra, mac_a1, "10.0.0.11", "8.8.8.8");
	f[20] = 0x00;
	f[21] = 0x10;
	assert_int_equal(l3svc_time_exceeded(&fx.view, 1, f, len, out,
					     sizeof(out), &out_len, &fx.st),
			 -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_NO_ERROR], 2);
	/* Not to a router MAC, or an unknown port: no router. */
	len = frame_icmp(f, mac_x1, mac_a1, "10.0.0.11", "8.8.8.8");
	assert_int_equal(l3svc_time_exceeded(&fx.view, 1, f, len, out,
					     sizeof(out), &out_len, &fx.st),
			 -EINVAL);
	len = frame_icmp(f, mac_ra, mac_a1, "10.0.0.11", "8.8.8.8");
	assert_int_equal(l3svc_time_exceeded(&fx.view, 9, f, len, out,
					     sizeof(out), &out_len, &fx.st),
			 -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_NO_ROUTER], 2);
	/* Every truncation: rejected, never read past the end. */
	len = frame_icmp(f, mac_ra, mac_a1, "10.0.0.11", "8.8.8.8");
	for (size_t n = 0; n < 34; n++) {
		uint8_t *cut = malloc(n + 1);

		memcpy(cut, f, n);
		assert_int_equal(l3svc_time_exceeded(&fx.view, 1, cut, n, out,
						     sizeof(out), &out_len,
						     &fx.st),
				 -EINVAL);
		free(cut);
	}
	/* Total length past the frame. */
	f[16] = 0x05;
	assert_int_equal(l3svc_time_exceeded(&fx.view, 1, f, len, out,
					     sizeof(out), &out_len, &fx.st),
			 -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_SHORT], 35);
	/* Small output buffer. */
	len = frame_icmp(f, mac_ra, mac_a1, "10.0.0.11", "8.8.8.8");
	assert_int_equal(l3svc_time_exceeded(&fx.view, 1, f, len, out, 40,
					     &out_len, &fx.st),
			 -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_SMALL_OUT], 1);
	assert_string_equal(l3svc_reject_name(L3SVC_R_NO_ERROR),
			    "no_error_allowed");
}

/* An IPv6 frame from a1 to the router MAC (frame_ip6). */
static size_t
frame6(uint8_t *f, const char *src, const char *dst, uint8_t nh, size_t n)
{
	return frame_ip6(f, mac_ra, mac_a1, src, dst, nh, n);
}

/* l3svc_packet_too_big() of f (len bytes) punted from a1's port 1. */
static int
ptb(const uint8_t *f, size_t len, uint16_t mtu, uint8_t *out, size_t *out_len)
{
	return l3svc_packet_too_big(&fx.view, 1, f, len, mtu, out,
				    L3SVC_FRAME_MAX, out_len, &fx.st);
}

static bool
ip6_is(const uint8_t *p, const char *s)
{
	uint8_t a[16];

	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
	return memcmp(p, a, 16) == 0;
}

/*
 * out is a Packet Too Big from src to a1's dst with MTU mtu quoting the
 * first q bytes of f's datagram; its checksum is recomputed here over the
 * RFC 8200 8.1 pseudo-header.
 */
static void
assert_ptb(const uint8_t *out, size_t out_len, const uint8_t *f,
	   const char *src, const char *dst, uint32_t mtu, size_t q)
{
	static uint8_t ph[40 + 8 + 1280];
	const uint8_t *ip = out + 14, *icmp = out + 54;

	assert_int_equal(out_len, 14 + 40 + 8 + q);
	assert_true(out_len - 14 <= 1280);
	assert_memory_equal(out, mac_a1, 6);
	assert_memory_equal(out + 6, mac_ra, 6);
	assert_int_equal(out[12] << 8 | out[13], 0x86dd);
	assert_int_equal(ip[0], 0x60);
	assert_int_equal(ip[1] | ip[2] | ip[3], 0);
	assert_int_equal(ip[4] << 8 | ip[5], 8 + q);
	assert_int_equal(ip[6], 58);
	assert_int_equal(ip[7], 64);
	assert_true(ip6_is(ip + 8, src));
	assert_true(ip6_is(ip + 24, dst));
	assert_int_equal(icmp[0], 2);
	assert_int_equal(icmp[1], 0);
	assert_int_equal((uint32_t)icmp[4] << 24 | (uint32_t)icmp[5] << 16 |
				 (uint32_t)icmp[6] << 8 | icmp[7],
			 mtu);
	assert_memory_equal(icmp + 8, f + 14, q);
	memset(ph, 0, 40);
	memcpy(ph, ip + 8, 32);
	ph[34] = (uint8_t)((8 + q) >> 8);
	ph[35] = (uint8_t)(8 + q);
	ph[39] = 58;
	memcpy(ph + 40, icmp, 8 + q);
	assert_int_equal(frame_csum(ph, 40 + 8 + q, 0), 0xffff);
}

/*
 * Path MTU for IPv6 through a tunnel (DP_PUNT_ESP_MTU on an IPv6 frame):
 * ICMPv6 Packet Too Big (RFC 4443 3.2) from the router interface,
 * quoting up to 1280 bytes in all.
 */
static void
test_packet_too_big(void **state)
{
	uint8_t f[14 + 40 + 1500], out[L3SVC_FRAME_MAX], *ip = f + 14;
	struct net_view_port *ri = &fx.ports[2];
	size_t len, out_len;

	(void)state;
	/* ri-a also has fd00:a::1 on fd00:a::/64; a1 has fd00:a::11. */
	snprintf(fx.subnets[2].id, NET_ID_LEN, "sn6-net-a");
	snprintf(fx.subnets[2].network_id, NET_ID_LEN, "net-a");
	addr(&fx.subnets[2].cidr, "fd00:a::/64");
	fx.view.n_subnets = 3;
	snprintf(ri->ips[1].subnet_id, NET_ID_LEN, "sn6-net-a");
	addr(&ri->ips[1].ip, "fd00:a::1");
	ri->n_ips = 2;

	/* 1448 bytes: the quote stops at 1280 - 48 = 1232. */
	len = frame6(f, "fd00:a::11", "fd00:b::7", 17, 1408);
	assert_int_equal(ptb(f, len, 1446, out, &out_len), 0);
	assert_int_equal(out_len, 14 + 1280);
	assert_ptb(out, out_len, f, "fd00:a::1", "fd00:a::11", 1446, 1232);
	assert_int_equal(fx.st.n_ptb, 1);
	assert_int_equal(fx.st.n_frag_needed, 0);
	/* Exactly 1232 bytes: quoted whole; one less, odd length. */
	len = frame6(f, "fd00:a::11", "fd00:b::7", 17, 1232 - 40);
	assert_int_equal(ptb(f, len, 1280, out, &out_len), 0);
	assert_ptb(out, out_len, f, "fd00:a::1", "fd00:a::11", 1280, 1232);
	len = frame6(f, "fd00:a::11", "fd00:b::7", 17, 1231 - 40);
	assert_int_equal(ptb(f, len, 1280, out, &out_len), 0);
	assert_ptb(out, out_len, f, "fd00:a::1", "fd00:a::11", 1280, 1231);
	/* Bytes after the datagram (Ethernet padding) are not quoted. */
	len = frame6(f, "fd00:a::11", "fd00:b::7", 17, 100);
	assert_int_equal(ptb(f, len + 30, 1400, out, &out_len), 0);
	assert_ptb(out, out_len, f, "fd00:a::1", "fd00:a::11", 1400, 140);
	/* A link-local source: from the interface's EUI-64 link-local. */
	len = frame6(f, "fe80::f816:3eff:fe00:a1", "fd00:b::7", 17, 1408);
	assert_int_equal(ptb(f, len, 1446, out, &out_len), 0);
	assert_ptb(out, out_len, f, "fe80::f816:3eff:fe00:10a",
		   "fe80::f816:3eff:fe00:a1", 1446, 1232);
	/* Off every subnet of the interface: its first IPv6 address. */
	len = frame6(f, "fd00:99::5", "fd00:b::7", 17, 1408);
	assert_int_equal(ptb(f, len, 1446, out, &out_len), 0);
	assert_ptb(out, out_len, f, "fd00:a::1", "fd00:99::5", 1446, 1232);
	/* A multicast destination is answered (RFC 4443 2.4 (e.2)), and
	 * an ICMPv6 informational message (echo request) too. */
	len = frame6(f, "fd00:a::11", "ff0e::1", 17, 1408);
	assert_int_equal(ptb(f, len, 1446, out, &out_len), 0);
	len = frame6(f, "fd00:a::11", "fd00:b::7", 58, 1408);
	ip[40] = 128;
	assert_int_equal(ptb(f, len, 1446, out, &out_len), 0);
	assert_ptb(out, out_len, f, "fd00:a::1", "fd00:a::11", 1446, 1232);
	assert_int_equal(fx.st.n_ptb, 8);
	assert_int_equal(fx.st.rejects[L3SVC_R_NO_ERROR], 0);

	/* RFC 4443 2.4 (e): not about an ICMPv6 error (type 1 here), even
	 * behind a hop-by-hop header; not to :: or a multicast source. */
	ip[40] = 1;
	assert_int_equal(ptb(f, len, 1446, out, &out_len), -EINVAL);
	len = frame6(f, "fd00:a::11", "fd00:b::7", 0, 1408);
	ip[40] = 58; /* hop-by-hop: next ICMPv6, 8 bytes long */
	ip[48] = 2;  /* Packet Too Big */
	assert_int_equal(ptb(f, len, 1446, out, &out_len), -EINVAL);
	len = frame6(f, "::", "fd00:b::7", 17, 100);
	assert_int_equal(ptb(f, len, 1446, out, &out_len), -EINVAL);
	len = frame6(f, "ff02::1", "fd00:b::7", 17, 100);
	assert_int_equal(ptb(f, len, 1446, out, &out_len), -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_NO_ERROR], 4);
	/* A non-first fragment of an ICMPv6 error: its type is unknown,
	 * and the sender still needs the MTU. */
	len = frame6(f, "fd00:a::11", "fd00:b::7", 44, 1408);
	ip[40] = 58;
	ip[43] = 0xb8; /* offset 23 (x 8 bytes) */
	ip[48] = 1;
	assert_int_equal(ptb(f, len, 1446, out, &out_len), 0);
	/* An extension header chain that runs past the datagram. */
	len = frame6(f, "fd00:a::11", "fd00:b::7", 60, 100);
	ip[40] = 58;
	ip[41] = 200;
	assert_int_equal(ptb(f, len, 1446, out, &out_len), 0);
	assert_int_equal(fx.st.n_ptb, 10);

	/* Not IPv6, an unknown port, a small buffer: counted. */
	len = frame_udp(f, mac_ra, mac_a1, "10.0.0.11", "10.2.0.7", 1, 2,
			(const uint8_t *)"x", 1);
	assert_int_equal(ptb(f, len, 1446, out, &out_len), -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_NOT_IPV6], 1);
	len = frame6(f, "fd00:a::11", "fd00:b::7", 17, 1408);
	assert_int_equal(l3svc_packet_too_big(&fx.view, 9, f, len, 1446, out,
					      sizeof(out), &out_len, &fx.st),
			 -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_NO_ROUTER], 1);
	assert_int_equal(l3svc_packet_too_big(&fx.view, 1, f, len, 1446, out,
					      14 + 1279, &out_len, &fx.st),
			 -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_SMALL_OUT], 1);
	/* Truncated: every cut of the header, and a payload length over
	 * what arrived; version not 6. */
	len = frame6(f, "fd00:a::11", "fd00:b::7", 17, 100);
	for (size_t n = 0; n < 54; n++) {
		uint8_t *cut = malloc(n + 1);

		memcpy(cut, f, n);
		assert_int_equal(ptb(cut, n, 1446, out, &out_len), -EINVAL);
		free(cut);
	}
	assert_int_equal(fx.st.rejects[L3SVC_R_SHORT], 54);
	assert_int_equal(ptb(f, len - 1, 1446, out, &out_len), -EINVAL);
	ip[0] = 0x40;
	assert_int_equal(ptb(f, len, 1446, out, &out_len), -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_SHORT], 56);
	assert_int_equal(fx.st.n_ptb, 10);
	assert_string_equal(l3svc_reject_name(L3SVC_R_NOT_IPV6), "not_ipv6");
}

static void
test_echo(void **state)
{
	uint8_t f[FRAME_MAX], out[L3SVC_FRAME_MAX];
	size_t len, out_len;

	(void)state;
	len = frame_icmp(f, mac_ra, mac_a1, "10.0.0.11", "10.0.0.1");
	assert_int_equal(l3svc_echo_reply(&fx.view, 1, f, len, out, sizeof(out),
					  &out_len, &fx.st),
			 0);
	assert_int_equal(out_len, len);
	assert_icmp_to_a1(out, out_len, 0, 0);
	assert_memory_equal(out + 38, f + 38, len - 38); /* id, seq, data */
	/* The gateway's address answers from inside too (same router). */
	len = frame_icmp(f, mac_ra, mac_a1, "10.0.0.11", "172.24.4.10");
	assert_int_equal(l3svc_echo_reply(&fx.view, 1, f, len, out, sizeof(out),
					  &out_len, &fx.st),
			 0);
	assert_true(ip_is(out + 26, "172.24.4.10"));
	/* Not an echo request; not a router address. */
	len = frame_udp(f, mac_ra, mac_a1, "10.0.0.11", "10.0.0.1", 1, 2, NULL,
			0);
	assert_int_equal(l3svc_echo_reply(&fx.view, 1, f, len, out, sizeof(out),
					  &out_len, &fx.st),
			 -EINVAL);
	len = frame_icmp(f, mac_ra, mac_a1, "10.0.0.11", "10.0.0.99");
	assert_int_equal(l3svc_echo_reply(&fx.view, 1, f, len, out, sizeof(out),
					  &out_len, &fx.st),
			 -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_NOT_ECHO], 1);
	assert_int_equal(fx.st.rejects[L3SVC_R_NO_ROUTER], 1);
	assert_int_equal(fx.st.n_echo, 2);
	len = frame_icmp(f, mac_ra, mac_a1, "10.0.0.11", "10.0.0.1");
	for (size_t n = 0; n < len; n++) {
		uint8_t *cut = malloc(n + 1);

		memcpy(cut, f, n);
		assert_int_equal(l3svc_echo_reply(&fx.view, 1, cut, n, out,
						  sizeof(out), &out_len,
						  &fx.st),
				 -EINVAL);
		free(cut);
	}
}

static void
test_arp_resolve(void **state)
{
	const struct net_view_router *r = NULL;
	uint8_t f[FRAME_MAX], out[L3SVC_FRAME_MAX], nh[4], ip[4], mac[6];
	uint32_t ports[L3SVC_OUT_PORTS_MAX];
	size_t len, out_len, n;

	(void)state;
	/* Routed to the default route: ask for 172.24.4.1. */
	len = frame_icmp(f, zero6, mac_rg, "172.24.4.10", "8.8.8.8");
	assert_int_equal(l3svc_arp_request(&fx.view, f, len, out, sizeof(out),
					   &out_len, ports, &n, &r, nh, &fx.st),
			 0);
	assert_ptr_equal(r, &fx.router);
	assert_true(ip_is(nh, "172.24.4.1"));
	assert_int_equal(n, 1);
	assert_int_equal(ports[0], 3);
	assert_int_equal(out_len, 60);
	assert_memory_equal(out + 6, mac_rg, 6);
	assert_int_equal(out[12], 0x08);
	assert_int_equal(out[13], 0x06);
	assert_int_equal(out[21], 1);
	assert_memory_equal(out + 22, mac_rg, 6);
	assert_true(ip_is(out + 28, "172.24.4.10"));
	assert_true(ip_is(out + 38, "172.24.4.1"));
	/* By the static route. */
	len = frame_icmp(f, zero6, mac_rg, "172.24.4.10", "192.168.50.7");
	assert_int_equal(l3svc_arp_request(&fx.view, f, len, out, sizeof(out),
					   &out_len, ports, &n, &r, nh, &fx.st),
			 0);
	assert_true(ip_is(nh, "172.24.4.20"));
	/* On the external subnet: the destination. */
	len = frame_icmp(f, zero6, mac_rg, "172.24.4.10", "172.24.4.77");
	assert_int_equal(l3svc_arp_request(&fx.view, f, len, out, sizeof(out),
					   &out_len, ports, &n, &r, nh, &fx.st),
			 0);
	assert_true(ip_is(nh, "172.24.4.77"));
	/* Not from a gateway MAC. */
	len = frame_icmp(f, zero6, mac_ra, "172.24.4.10", "8.8.8.8");
	assert_int_equal(l3svc_arp_request(&fx.view, f, len, out, sizeof(out),
					   &out_len, ports, &n, &r, nh, &fx.st),
			 -EINVAL);
	/* The reply from 172.24.4.1 is learned. */
	len = frame_arp(f, 2, mac_x1, "172.24.4.1", mac_rg, "172.24.4.10");
	memcpy(f, mac_rg, 6);
	assert_int_equal(
		l3svc_arp_learn(&fx.view, 3, f, len, &r, ip, mac, &fx.st), 0);
	assert_true(ip_is(ip, "172.24.4.1"));
	assert_memory_equal(mac, mac_x1, 6);
	/* Not for the gateway address, a request, outside the subnet. */
	len = frame_arp(f, 2, mac_x1, "172.24.4.1", mac_rg, "172.24.4.11");
	assert_int_equal(
		l3svc_arp_learn(&fx.view, 3, f, len, &r, ip, mac, &fx.st),
		-EINVAL);
	len = frame_arp(f, 1, mac_x1, "172.24.4.1", zero6, "172.24.4.10");
	assert_int_equal(
		l3svc_arp_learn(&fx.view, 3, f, len, &r, ip, mac, &fx.st),
		-EINVAL);
	len = frame_arp(f, 2, mac_x1, "10.9.9.9", mac_rg, "172.24.4.10");
	assert_int_equal(
		l3svc_arp_learn(&fx.view, 3, f, len, &r, ip, mac, &fx.st),
		-EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_BAD_ARP], 2);
	len = frame_arp(f, 2, mac_x1, "172.24.4.1", mac_rg, "172.24.4.10");
	for (size_t k = 0; k < 42; k++) {
		uint8_t *cut = malloc(k + 1);

		memcpy(cut, f, k);
		assert_int_equal(l3svc_arp_learn(&fx.view, 3, cut, k, &r, ip,
						 mac, &fx.st),
				 -EINVAL);
		assert_int_equal(l3svc_arp_request(&fx.view, cut, k, out,
						   sizeof(out), &out_len, ports,
						   &n, &r, nh, &fx.st),
				 -EINVAL);
		free(cut);
	}
	assert_int_equal(fx.st.n_learned, 1);
	assert_int_equal(fx.st.n_arp_requests, 3);
}

/* The gateway dual-stack: 2001:db8:e::a on sn6-ext (2001:db8:e::/64,
 * gateway ::1), a route 2001:db8:50::/48 via 2001:db8:e::20. */
static void
v6_ext(void)
{
	struct net_view_port *rg = &fx.ports[3];

	snprintf(fx.subnets[2].id, NET_ID_LEN, "sn6-ext");
	addr(&fx.subnets[2].cidr, "2001:db8:e::/64");
	addr(&fx.subnets[2].gateway, "2001:db8:e::1");
	fx.view.n_subnets = 3;
	snprintf(rg->ips[1].subnet_id, NET_ID_LEN, "sn6-ext");
	addr(&rg->ips[1].ip, "2001:db8:e::a");
	rg->n_ips = 2;
	addr(&fx.router.routes[1].dst, "2001:db8:50::/48");
	addr(&fx.router.routes[1].nexthop, "2001:db8:e::20");
	fx.router.n_routes = 2;
}

/* True if the ICMPv6 message of the IPv6 packet ip6 has a good checksum
 * (RFC 8200 8.1 pseudo-header). */
static bool
icmp6_ok(const uint8_t *ip6)
{
	size_t n = (size_t)ip6[4] << 8 | ip6[5];
	uint32_t sum = n + 58;

	for (size_t i = 8; i < 40; i += 2)
		sum += (uint32_t)ip6[i] << 8 | ip6[i + 1];
	for (size_t i = 0; i < n; i += 2)
		sum += (uint32_t)ip6[40 + i] << 8 |
		       (i + 1 < n ? ip6[40 + i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* Set the ICMPv6 checksum of the IPv6 packet ip6 (even length). */
static void
icmp6_fix(uint8_t *ip6)
{
	size_t n = (size_t)ip6[4] << 8 | ip6[5];
	uint32_t sum = n + 58;

	ip6[42] = ip6[43] = 0;
	for (size_t i = 8; i < 40 + n; i += 2)
		sum += (uint32_t)ip6[i] << 8 | ip6[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip6[42] = (uint8_t)(~sum >> 8);
	ip6[43] = (uint8_t)~sum;
	assert_true(icmp6_ok(ip6));
}

/*
 * An ND message of type (hop limit 255) whose fixed part is hdr bytes,
 * then a link-layer option opt carrying mac (NULL: none), checksum set;
 * the ICMPv6 part at *icmp for the caller to fill in before icmp6_fix().
 */
static size_t
frame_nd(uint8_t *f, const uint8_t dst_mac[6], const uint8_t src_mac[6],
	 const char *src, const char *dst, uint8_t type, size_t hdr,
	 uint8_t opt, const uint8_t *mac, uint8_t **icmp)
{
	size_t n = hdr + (mac != NULL ? 8 : 0);
	size_t len = frame_ip6(f, dst_mac, src_mac, src, dst, 58, n);

	*icmp = f + 14 + 40;
	f[14 + 7] = 255;
	memset(*icmp, 0, n);
	(*icmp)[0] = type;
	if (mac != NULL) {
		(*icmp)[hdr] = opt;
		(*icmp)[hdr + 1] = 1;
		memcpy(*icmp + hdr + 2, mac, 6);
	}
	icmp6_fix(f + 14);
	return len;
}

/* A neighbor advertisement from x1 for target to dst (hop limit hl), with
 * a target link-layer option of mac (NULL: none), checksum set. */
static size_t
frame_na(uint8_t *f, const char *target, const char *dst, uint8_t hl,
	 const uint8_t *mac)
{
	uint8_t *icmp;
	size_t len = frame_nd(f, mac_rg, mac_x1, target, dst, 136, 24, 2, mac,
			      &icmp);

	f[14 + 7] = hl;
	icmp[4] = 0x60; /* solicited, override */
	assert_int_equal(inet_pton(AF_INET6, target, icmp + 8), 1);
	icmp6_fix(f + 14);
	return len;
}

/*
 * IPv6 next hops: the solicitation for the destination on the external
 * subnet, a static route's next hop, the subnet's gateway; its bytes;
 * an advertisement learned; every malformed or foreign one refused with
 * its reason; truncations refused.
 */
static void
test_nd_resolve(void **state)
{
	const struct net_view_router *r = NULL;
	uint8_t f[FRAME_MAX], out[L3SVC_FRAME_MAX], nh[16], ip[16], mac[6];
	uint32_t ports[L3SVC_OUT_PORTS_MAX];
	size_t len, out_len, n;
	const uint8_t *o = out + 14;

	(void)state;
	len = frame_ip6(f, zero6, mac_rg, "2001:db8:a::11", "2001:db8:e::77",
			17, 16);
	/* No IPv6 address on the gateway yet. */
	assert_int_equal(l3svc_nd_request(&fx.view, f, len, out, sizeof(out),
					  &out_len, ports, &n, &r, nh, &fx.st),
			 -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_NO_ROUTER], 1);
	v6_ext();
	assert_int_equal(l3svc_nd_request(&fx.view, f, len, out, sizeof(out),
					  &out_len, ports, &n, &r, nh, &fx.st),
			 0);
	assert_ptr_equal(r, &fx.router);
	assert_true(ip6_is(nh, "2001:db8:e::77"));
	assert_int_equal(n, 1);
	assert_int_equal(ports[0], 3);
	assert_int_equal(out_len, 14 + 40 + 32);
	assert_int_equal(out[0], 0x33);
	assert_int_equal(out[1], 0x33);
	assert_int_equal(out[2], 0xff);
	assert_int_equal(out[3], 0);
	assert_int_equal(out[4], 0);
	assert_int_equal(out[5], 0x77);
	assert_memory_equal(out + 6, mac_rg, 6);
	assert_int_equal(out[12] << 8 | out[13], 0x86dd);
	assert_int_equal(o[0], 0x60);
	assert_int_equal(o[4] << 8 | o[5], 32);
	assert_int_equal(o[6], 58);
	assert_int_equal(o[7], 255);
	assert_true(ip6_is(o + 8, "2001:db8:e::a"));
	assert_true(ip6_is(o + 24, "ff02::1:ff00:77"));
	assert_int_equal(o[40], 135);
	assert_int_equal(o[41], 0);
	assert_true(ip6_is(o + 48, "2001:db8:e::77"));
	assert_int_equal(o[64], 1);
	assert_int_equal(o[65], 1);
	assert_memory_equal(o + 66, mac_rg, 6);
	assert_true(icmp6_ok(o));
	/* By the static route, else the subnet's gateway. */
	len = frame_ip6(f, zero6, mac_rg, "2001:db8:a::11", "2001:db8:50:1::5",
			17, 16);
	assert_int_equal(l3svc_nd_request(&fx.view, f, len, out, sizeof(out),
					  &out_len, ports, &n, &r, nh, &fx.st),
			 0);
	assert_true(ip6_is(nh, "2001:db8:e::20"));
	len = frame_ip6(f, zero6, mac_rg, "2001:db8:a::11", "2001:db8:99::5",
			17, 16);
	assert_int_equal(l3svc_nd_request(&fx.view, f, len, out, sizeof(out),
					  &out_len, ports, &n, &r, nh, &fx.st),
			 0);
	assert_true(ip6_is(nh, "2001:db8:e::1"));
	assert_true(ip6_is(o + 24, "ff02::1:ff00:1"));
	/* IPv4, not from a gateway MAC, no room. */
	len = frame_icmp(f, zero6, mac_rg, "172.24.4.10", "8.8.8.8");
	assert_int_equal(l3svc_nd_request(&fx.view, f, len, out, sizeof(out),
					  &out_len, ports, &n, &r, nh, &fx.st),
			 -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_NOT_IPV6], 1);
	len = frame_ip6(f, zero6, mac_ra, "2001:db8:a::11", "2001:db8:99::5",
			17, 16);
	assert_int_equal(l3svc_nd_request(&fx.view, f, len, out, sizeof(out),
					  &out_len, ports, &n, &r, nh, &fx.st),
			 -EINVAL);
	memcpy(f + 6, mac_rg, 6);
	assert_int_equal(l3svc_nd_request(&fx.view, f, len, out, 85, &out_len,
					  ports, &n, &r, nh, &fx.st),
			 -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_SMALL_OUT], 1);
	assert_int_equal(fx.st.n_nd_requests, 3);
	/* The advertisement of 2001:db8:e::1 with its MAC: learned. */
	len = frame_na(f, "2001:db8:e::1", "2001:db8:e::a", 255, mac_x1);
	assert_int_equal(
		l3svc_nd_learn(&fx.view, 3, f, len, &r, ip, mac, &fx.st), 0);
	assert_ptr_equal(r, &fx.router);
	assert_true(ip6_is(ip, "2001:db8:e::1"));
	assert_memory_equal(mac, mac_x1, 6);
	/* Without the option: the frame's source. */
	len = frame_na(f, "2001:db8:e::20", "2001:db8:e::a", 255, NULL);
	assert_int_equal(
		l3svc_nd_learn(&fx.view, 3, f, len, &r, ip, mac, &fx.st), 0);
	assert_true(ip6_is(ip, "2001:db8:e::20"));
	assert_memory_equal(mac, mac_x1, 6);
	assert_int_equal(fx.st.n_learned, 2);
	/* Refused: hop limit 254 (off link), a bad checksum, an option of
	 * length 0, a multicast MAC, a target off the subnet, a
	 * solicitation. */
	len = frame_na(f, "2001:db8:e::1", "2001:db8:e::a", 254, mac_x1);
	assert_int_equal(
		l3svc_nd_learn(&fx.view, 3, f, len, &r, ip, mac, &fx.st),
		-EINVAL);
	len = frame_na(f, "2001:db8:e::1", "2001:db8:e::a", 255, mac_x1);
	f[14 + 40 + 31] ^= 1;
	assert_int_equal(
		l3svc_nd_learn(&fx.view, 3, f, len, &r, ip, mac, &fx.st),
		-EINVAL);
	len = frame_na(f, "2001:db8:e::1", "2001:db8:e::a", 255, mac_x1);
	f[14 + 40 + 25] = 0;
	icmp6_fix(f + 14);
	assert_int_equal(
		l3svc_nd_learn(&fx.view, 3, f, len, &r, ip, mac, &fx.st),
		-EINVAL);
	len = frame_na(f, "2001:db8:e::1", "2001:db8:e::a", 255,
		       (const uint8_t[6]){0x33, 0x33, 0, 0, 0, 1});
	assert_int_equal(
		l3svc_nd_learn(&fx.view, 3, f, len, &r, ip, mac, &fx.st),
		-EINVAL);
	len = frame_na(f, "2001:db8:f::1", "2001:db8:e::a", 255, mac_x1);
	assert_int_equal(
		l3svc_nd_learn(&fx.view, 3, f, len, &r, ip, mac, &fx.st),
		-EINVAL);
	len = frame_na(f, "2001:db8:e::1", "2001:db8:e::a", 255, mac_x1);
	f[14 + 40] = 135;
	assert_int_equal(
		l3svc_nd_learn(&fx.view, 3, f, len, &r, ip, mac, &fx.st),
		-EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_BAD_ND], 6);
	/* Not to the gateway address, not from a port. */
	len = frame_na(f, "2001:db8:e::1", "2001:db8:e::b", 255, mac_x1);
	assert_int_equal(
		l3svc_nd_learn(&fx.view, 3, f, len, &r, ip, mac, &fx.st),
		-EINVAL);
	len = frame_na(f, "2001:db8:e::1", "2001:db8:e::a", 255, mac_x1);
	assert_int_equal(
		l3svc_nd_learn(&fx.view, 99, f, len, &r, ip, mac, &fx.st),
		-EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_NO_ROUTER], 4);
	/* Every truncation of a good one. */
	for (size_t k = 0; k < len; k++) {
		uint8_t *cut = malloc(k + 1);

		memcpy(cut, f, k);
		assert_int_equal(l3svc_nd_learn(&fx.view, 3, cut, k, &r, ip,
						mac, &fx.st),
				 -EINVAL);
		if (k < 14 + 40)
			assert_int_equal(l3svc_nd_request(&fx.view, cut, k, out,
							  sizeof(out), &out_len,
							  ports, &n, &r, nh,
							  &fx.st),
					 -EINVAL);
		free(cut);
	}
	assert_int_equal(fx.st.n_learned, 2);
	assert_string_equal(l3svc_reject_name(L3SVC_R_BAD_ND), "bad_nd");
}

/*
 * Re-probes of learned next hops (neigh.h): the same request as the
 * first resolution, byte for byte; refused when the router, its gateway
 * or the address's subnet is gone.
 */
static void
test_neigh_probe(void **state)
{
	const struct net_view_router *r = NULL;
	uint8_t f[FRAME_MAX], first[L3SVC_FRAME_MAX], out[L3SVC_FRAME_MAX];
	uint8_t nh[16], ip[16];
	uint32_t ports[L3SVC_OUT_PORTS_MAX];
	size_t len, first_len, out_len, n;

	(void)state;
	len = frame_icmp(f, zero6, mac_rg, "172.24.4.10", "8.8.8.8");
	assert_int_equal(l3svc_arp_request(&fx.view, f, len, first,
					   sizeof(first), &first_len, ports, &n,
					   &r, nh, &fx.st),
			 0);
	memset(out, 0xee, sizeof(out));
	assert_int_equal(l3svc_neigh_probe(&fx.view, "r1", AF_INET, nh, out,
					   sizeof(out), &out_len, ports, &n,
					   &fx.st),
			 0);
	assert_int_equal(out_len, 60);
	assert_memory_equal(out, first, 60);
	assert_memory_equal(out, "\xff\xff\xff\xff\xff\xff", 6);
	assert_int_equal(n, 1);
	assert_int_equal(ports[0], 3);
	/* IPv6: the solicitation, checksum checked here. */
	v6_ext();
	len = frame_ip6(f, zero6, mac_rg, "2001:db8:a::11", "2001:db8:e::77",
			17, 16);
	assert_int_equal(l3svc_nd_request(&fx.view, f, len, first,
					  sizeof(first), &first_len, ports, &n,
					  &r, nh, &fx.st),
			 0);
	assert_int_equal(l3svc_neigh_probe(&fx.view, "r1", AF_INET6, nh, out,
					   sizeof(out), &out_len, ports, &n,
					   &fx.st),
			 0);
	assert_int_equal(out_len, first_len);
	assert_memory_equal(out, first, out_len);
	assert_int_equal(out[14 + 40], 135);
	assert_true(ip6_is(out + 14 + 48, "2001:db8:e::77"));
	assert_true(icmp6_ok(out + 14));
	assert_int_equal(fx.st.n_probes, 2);
	/* Gone: an unknown router, an address off the gateway's subnets,
	 * no room (counted), no gateway. */
	assert_int_equal(l3svc_neigh_probe(&fx.view, "r9", AF_INET6, nh, out,
					   sizeof(out), &out_len, ports, &n,
					   &fx.st),
			 -ENOENT);
	assert_true(inet_pton(AF_INET6, "2001:db8:f::1", ip) == 1);
	assert_int_equal(l3svc_neigh_probe(&fx.view, "r1", AF_INET6, ip, out,
					   sizeof(out), &out_len, ports, &n,
					   &fx.st),
			 -ENOENT);
	assert_int_equal(l3svc_neigh_probe(&fx.view, "r1", AF_INET6, nh, out,
					   85, &out_len, ports, &n, &fx.st),
			 -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_SMALL_OUT], 1);
	fx.router.gw_port_id[0] = '\0';
	assert_int_equal(l3svc_neigh_probe(&fx.view, "r1", AF_INET, nh, out,
					   sizeof(out), &out_len, ports, &n,
					   &fx.st),
			 -ENOENT);
	assert_int_equal(fx.st.n_probes, 2);
}

/* net-a gets 2001:db8:a::/64 (ra_mode mode), ri-a 2001:db8:a::1, MTU. */
static void
v6_tenant(uint8_t mode, uint32_t mtu)
{
	struct net_view_port *ri = &fx.ports[2];
	struct net_view_subnet *sn = &fx.subnets[fx.view.n_subnets++];

	snprintf(sn->id, NET_ID_LEN, "sn6-a");
	snprintf(sn->network_id, NET_ID_LEN, "net-a");
	addr(&sn->cidr, "2001:db8:a::/64");
	addr(&sn->gateway, "2001:db8:a::1");
	sn->ra_mode = mode;
	snprintf(ri->ips[1].subnet_id, NET_ID_LEN, "sn6-a");
	addr(&ri->ips[1].ip, "2001:db8:a::1");
	ri->n_ips = 2;
	fx.nets[0].mtu = mtu;
}

/* A router solicitation from a1 (source src), with a source link-layer
 * option when with_slla, checksum set. */
static size_t
frame_rs(uint8_t *f, const char *src, bool with_slla)
{
	static const uint8_t all_routers[6] = {0x33, 0x33, 0, 0, 0, 2};
	uint8_t *icmp;

	return frame_nd(f, all_routers, mac_a1, src, "ff02::2", 133, 8, 1,
			with_slla ? mac_a1 : NULL, &icmp);
}

/*
 * Router advertisements: the bytes of a slaac subnet's (flags, lifetime,
 * options, prefix), a stateful and a stateless one's flags, none for a
 * subnet without ra_mode; the answer to a solicitation (unicast, or to
 * all nodes from ::); malformed solicitations refused and counted.
 */
static void
test_router_advert(void **state)
{
	static const uint8_t ll_ra[16] = {0xfe, 0x80, [8] = 0xf8, 0x16, 0x3e,
					  0xff, 0xfe, 0,	  0x01, 0x0a};
	uint8_t f[FRAME_MAX], out[L3SVC_FRAME_MAX];
	const uint8_t *o = out + 14, *icmp = out + 14 + 40;
	uint32_t ports[L3SVC_OUT_PORTS_MAX];
	size_t len, out_len, n;
	uint8_t ll[16];

	(void)state;
	l3svc_link_local(mac_ra, ll);
	assert_memory_equal(ll, ll_ra, 16);
	/* No subnet with an ra_mode: nothing to say. */
	v6_tenant(NET_V6_NONE, 0);
	assert_int_equal(l3svc_router_advert(&fx.view, &fx.ports[2], NULL, NULL,
					     out, sizeof(out), &out_len, ports,
					     &n, &fx.st),
			 -ENOENT);
	len = frame_rs(f, "fe80::f816:3eff:fe00:a1", true);
	assert_int_equal(l3svc_router_solicit(&fx.view, 1, f, len, out,
					      sizeof(out), &out_len, &fx.st),
			 -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_NO_ROUTER], 1);
	/* slaac, MTU 1450: unsolicited, to all nodes. */
	fx.subnets[fx.view.n_subnets - 1].ra_mode = NET_V6_SLAAC;
	fx.nets[0].mtu = 1450;
	assert_int_equal(l3svc_router_advert(&fx.view, &fx.ports[2], NULL, NULL,
					     out, sizeof(out), &out_len, ports,
					     &n, &fx.st),
			 0);
	assert_int_equal(out_len, 14 + 40 + 16 + 8 + 8 + 32);
	assert_memory_equal(out, "\x33\x33\x00\x00\x00\x01", 6);
	assert_memory_equal(out + 6, mac_ra, 6);
	assert_int_equal(out[12] << 8 | out[13], 0x86dd);
	assert_int_equal(o[0], 0x60);
	assert_int_equal(o[4] << 8 | o[5], 64);
	assert_int_equal(o[6], 58);
	assert_int_equal(o[7], 255);
	assert_memory_equal(o + 8, ll_ra, 16);
	assert_true(ip6_is(o + 24, "ff02::1"));
	assert_int_equal(icmp[0], 134);
	assert_int_equal(icmp[1], 0);
	assert_true(icmp6_ok(o));
	assert_int_equal(icmp[4], 64); /* cur hop limit */
	assert_int_equal(icmp[5], 0);  /* no M, no O */
	assert_int_equal(icmp[6] << 8 | icmp[7], 1800);
	assert_memory_equal(icmp + 8, "\0\0\0\0\0\0\0\0", 8);
	/* Source link-layer address, MTU, prefix information. */
	assert_int_equal(icmp[16], 1);
	assert_int_equal(icmp[17], 1);
	assert_memory_equal(icmp + 18, mac_ra, 6);
	assert_int_equal(icmp[24], 5);
	assert_int_equal(icmp[25], 1);
	assert_memory_equal(icmp + 26, "\0\0\0\0\x05\xaa", 6);
	assert_int_equal(icmp[32], 3);
	assert_int_equal(icmp[33], 4);
	assert_int_equal(icmp[34], 64);
	assert_int_equal(icmp[35], 0xc0); /* L, A */
	assert_memory_equal(icmp + 36, "\x00\x01\x51\x80\x00\x00\x38\x40", 8);
	assert_true(ip6_is(icmp + 48, "2001:db8:a::"));
	/* To net-a's attached ports: a1. */
	assert_int_equal(n, 1);
	assert_int_equal(ports[0], 1);
	/* Not for a gateway port; no room. */
	assert_int_equal(l3svc_router_advert(&fx.view, &fx.ports[3], NULL, NULL,
					     out, sizeof(out), &out_len, ports,
					     &n, &fx.st),
			 -ENOENT);
	assert_int_equal(l3svc_router_advert(&fx.view, &fx.ports[2], NULL, NULL,
					     out, 100, &out_len, ports, &n,
					     &fx.st),
			 -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_SMALL_OUT], 1);
	/* Stateless: O, prefix autonomous; stateful: M and O, not A. */
	fx.subnets[fx.view.n_subnets - 1].ra_mode = NET_V6_DHCP_STATELESS;
	fx.nets[0].mtu = 0;
	assert_int_equal(l3svc_router_advert(&fx.view, &fx.ports[2], NULL, NULL,
					     out, sizeof(out), &out_len, ports,
					     &n, &fx.st),
			 0);
	assert_int_equal(out_len, 14 + 40 + 16 + 8 + 32);
	assert_int_equal(icmp[5], 0x40);
	assert_int_equal(icmp[24], 3);
	assert_int_equal(icmp[27], 0xc0);
	assert_true(icmp6_ok(o));
	fx.subnets[fx.view.n_subnets - 1].ra_mode = NET_V6_DHCP_STATEFUL;
	assert_int_equal(l3svc_router_advert(&fx.view, &fx.ports[2], NULL, NULL,
					     out, sizeof(out), &out_len, ports,
					     &n, &fx.st),
			 0);
	assert_int_equal(icmp[5], 0xc0);
	assert_int_equal(icmp[27], 0x80);
	assert_true(icmp6_ok(o));
	/* A solicitation from a1's link-local address: unicast answer. */
	fx.subnets[fx.view.n_subnets - 1].ra_mode = NET_V6_SLAAC;
	assert_int_equal(l3svc_router_solicit(&fx.view, 1, f, len, out,
					      sizeof(out), &out_len, &fx.st),
			 0);
	assert_memory_equal(out, mac_a1, 6);
	assert_true(ip6_is(o + 24, "fe80::f816:3eff:fe00:a1"));
	assert_int_equal(icmp[0], 134);
	assert_true(icmp6_ok(o));
	/* From ::, without the option: to all nodes. */
	len = frame_rs(f, "::", false);
	assert_int_equal(l3svc_router_solicit(&fx.view, 1, f, len, out,
					      sizeof(out), &out_len, &fx.st),
			 0);
	assert_true(ip6_is(o + 24, "ff02::1"));
	assert_memory_equal(out, "\x33\x33\x00\x00\x00\x01", 6);
	assert_int_equal(fx.st.n_ra, 5);
	/* Refused: the option from ::, hop limit 64, code 1, checksum,
	 * option of length 0, truncated option, an NS. */
	len = frame_rs(f, "::", true);
	assert_int_equal(l3svc_router_solicit(&fx.view, 1, f, len, out,
					      sizeof(out), &out_len, &fx.st),
			 -EINVAL);
	len = frame_rs(f, "fe80::1", true);
	f[14 + 7] = 64;
	assert_int_equal(l3svc_router_solicit(&fx.view, 1, f, len, out,
					      sizeof(out), &out_len, &fx.st),
			 -EINVAL);
	len = frame_rs(f, "fe80::1", true);
	f[14 + 41] = 1;
	icmp6_fix(f + 14);
	assert_int_equal(l3svc_router_solicit(&fx.view, 1, f, len, out,
					      sizeof(out), &out_len, &fx.st),
			 -EINVAL);
	len = frame_rs(f, "fe80::1", true);
	f[14 + 40 + 12] ^= 0x10;
	assert_int_equal(l3svc_router_solicit(&fx.view, 1, f, len, out,
					      sizeof(out), &out_len, &fx.st),
			 -EINVAL);
	len = frame_rs(f, "fe80::1", true);
	f[14 + 40 + 9] = 0;
	icmp6_fix(f + 14);
	assert_int_equal(l3svc_router_solicit(&fx.view, 1, f, len, out,
					      sizeof(out), &out_len, &fx.st),
			 -EINVAL);
	len = frame_rs(f, "fe80::1", true);
	f[14 + 40 + 9] = 2;
	icmp6_fix(f + 14);
	assert_int_equal(l3svc_router_solicit(&fx.view, 1, f, len, out,
					      sizeof(out), &out_len, &fx.st),
			 -EINVAL);
	len = frame_rs(f, "fe80::1", true);
	f[14 + 40] = 135;
	icmp6_fix(f + 14);
	assert_int_equal(l3svc_router_solicit(&fx.view, 1, f, len, out,
					      sizeof(out), &out_len, &fx.st),
			 -EINVAL);
	assert_int_equal(fx.st.rejects[L3SVC_R_BAD_RS], 7);
	/* From a router port, or a port we do not know. */
	len = frame_rs(f, "fe80::1", true);
	assert_int_equal(l3svc_router_solicit(&fx.view, 99, f, len, out,
					      sizeof(out), &out_len, &fx.st),
			 -EINVAL);
	/* IPv4; every truncation of a good one. */
	len = frame_icmp(f, zero6, mac_ra, "10.0.0.11", "10.0.0.1");
	assert_int_equal(l3svc_router_solicit(&fx.view, 1, f, len, out,
					      sizeof(out), &out_len, &fx.st),
			 -EINVAL);
	len = frame_rs(f, "fe80::1", true);
	for (size_t k = 0; k < len; k++) {
		uint8_t *cut = malloc(k + 1);

		memcpy(cut, f, k);
		assert_int_equal(l3svc_router_solicit(&fx.view, 1, cut, k, out,
						      sizeof(out), &out_len,
						      &fx.st),
				 -EINVAL);
		free(cut);
	}
	assert_int_equal(fx.st.n_ra, 5);
	assert_string_equal(l3svc_reject_name(L3SVC_R_BAD_RS), "bad_rs");
}

/* ICMPv6 echo to the router's IPv6 address: the reply, checksum checked
 * here; not to another address, not an echo, truncated: refused. */
static void
test_echo6(void **state)
{
	uint8_t f[FRAME_MAX], out[L3SVC_FRAME_MAX];
	const uint8_t *o = out + 14;
	size_t len, out_len;

	(void)state;
	v6_tenant(NET_V6_SLAAC, 0);
	len = frame_ip6(f, mac_ra, mac_a1, "2001:db8:a::11", "2001:db8:a::1",
			58, 16);
	memset(f + 14 + 40, 0, 16);
	f[14 + 40] = 128;
	f[14 + 45] = 7; /* identifier, sequence, data */
	memcpy(f + 14 + 48, "pingdata", 8);
	icmp6_fix(f + 14);
	assert_int_equal(l3svc_echo_reply(&fx.view, 1, f, len, out, sizeof(out),
					  &out_len, &fx.st),
			 0);
	assert_int_equal(out_len, len);
	assert_memory_equal(out, mac_a1, 6);
	assert_memory_equal(out + 6, mac_ra, 6);
	assert_true(ip6_is(o + 8, "2001:db8:a::1"));
	assert_true(ip6_is(o + 24, "2001:db8:a::11"));
	assert_int_equal(o[40], 129);
	assert_int_equal(o[45], 7);
	assert_memory_equal(o + 48, "pingdata", 8);
	assert_true(icmp6_ok(o));
	/* Not a router address; not an echo request. */
	len = frame_ip6(f, mac_ra, mac_a1, "2001:db8:a::11", "2001:db8:a::9",
			58, 16);
	f[14 + 40] = 128;
	assert_int_equal(l3svc_echo_reply(&fx.view, 1, f, len, out, sizeof(out),
					  &out_len, &fx.st),
			 -EINVAL);
	len = frame_ip6(f, mac_ra, mac_a1, "2001:db8:a::11", "2001:db8:a::1",
			58, 16);
	f[14 + 40] = 129;
	assert_int_equal(l3svc_echo_reply(&fx.view, 1, f, len, out, sizeof(out),
					  &out_len, &fx.st),
			 -EINVAL);
	f[14 + 40] = 128;
	for (size_t k = 14; k < len; k++)
		assert_int_equal(l3svc_echo_reply(&fx.view, 1, f, k, out,
						  sizeof(out), &out_len,
						  &fx.st),
				 -EINVAL);
	assert_int_equal(fx.st.n_echo, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_time_exceeded, setup),
		cmocka_unit_test_setup(test_frag_needed, setup),
		cmocka_unit_test_setup(test_unroute, setup),
		cmocka_unit_test_setup(test_packet_too_big, setup),
		cmocka_unit_test_setup(test_echo, setup),
		cmocka_unit_test_setup(test_arp_resolve, setup),
		cmocka_unit_test_setup(test_nd_resolve, setup),
		cmocka_unit_test_setup(test_neigh_probe, setup),
		cmocka_unit_test_setup(test_router_advert, setup),
		cmocka_unit_test_setup(test_echo6, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
