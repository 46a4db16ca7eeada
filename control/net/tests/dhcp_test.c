/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dhcp_test.c: the DHCPv4 responder, byte by byte: OFFER and ACK contents
 * (addresses, mask, router, DNS, MTU, lease, server id, classless routes,
 * checksums), NAK for a wrong address, silence where RFC 2131 wants it,
 * and the parser's rejection of truncated and malformed frames.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp.h"
#include "frames.h"
#include "net_view.h"

static const uint8_t mac_a1[6] = {0xfa, 0x16, 0x3e, 0x00, 0x00, 0xa1};
static const uint8_t mac_srv[6] = {0x02, 0x5c, 0x00, 0x00, 0x00, 0x01};

static struct net_view_network net;
static struct net_view_subnet sn;
static struct net_view_port port;
static struct net_view view;
static struct dhcp_config cfg;

static void
addr(struct net_addr *a, const char *s)
{
	assert_int_equal(net_addr_parse(s, a), 0);
}

static int
setup(void **state)
{
	(void)state;
	memset(&net, 0, sizeof(net));
	memset(&sn, 0, sizeof(sn));
	memset(&port, 0, sizeof(port));
	strcpy(net.id, "net-a");
	net.segment_id = 100;
	net.mtu = 1450;
	net.is_admin_up = true;
	strcpy(sn.id, "sn-a");
	strcpy(sn.network_id, "net-a");
	addr(&sn.cidr, "10.0.0.0/24");
	addr(&sn.gateway, "10.0.0.1");
	sn.n_dns = 2;
	addr(&sn.dns[0], "10.0.0.2");
	addr(&sn.dns[1], "8.8.8.8");
	sn.n_routes = 1;
	addr(&sn.routes[0].dst, "192.168.0.0/16");
	addr(&sn.routes[0].nexthop, "10.0.0.254");
	sn.is_dhcp = true;
	strcpy(port.id, "port-a1");
	strcpy(port.network_id, "net-a");
	memcpy(port.mac, mac_a1, 6);
	port.is_admin_up = true;
	port.n_ips = 1;
	strcpy(port.ips[0].subnet_id, "sn-a");
	addr(&port.ips[0].ip, "10.0.0.11");
	port.dp_port = 1;
	view = (struct net_view){&net, 1, &sn, 1, &port, 1};
	memset(&cfg, 0, sizeof(cfg));
	cfg.lease_time = 3600;
	memcpy(cfg.server_mac, mac_srv, 6);
	return 0;
}

/* Find option code in a reply frame; returns its value or NULL. */
static const uint8_t *
opt(const uint8_t *f, size_t len, uint8_t code, uint8_t *olen)
{
	size_t i = 14 + 20 + 8 + 240;

	while (i < len) {
		uint8_t c = f[i++];

		if (c == 0)
			continue;
		if (c == 255 || i >= len)
			return NULL;
		*olen = f[i++];
		if (c == code)
			return f + i;
		i += *olen;
	}
	return NULL;
}

static void
ip_is(const uint8_t *p, const char *s)
{
	uint8_t want[4];

	assert_int_equal(inet_pton(AF_INET, s, want), 1);
	assert_memory_equal(p, want, 4);
}

static size_t
handle(struct dhcp_server *s, const uint8_t *req, size_t req_len, uint8_t *out,
       int want_rc)
{
	size_t out_len = 0;

	assert_int_equal(dhcp_server_handle(s, &view, 1, req, req_len, out,
					    DHCP_FRAME_MAX, &out_len),
			 want_rc);
	return out_len;
}

/* Every check of a well-formed reply frame: lengths and checksums. */
static void
check_frame(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14, *udp = f + 34;
	uint32_t sum;
	size_t udp_len;

	assert_true(len >= 14 + 20 + 8 + 300);
	assert_int_equal(f[12] << 8 | f[13], 0x0800);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(ip[2] << 8 | ip[3], len - 14);
	assert_int_equal(frame_csum(ip, 20, 0), 0xffff);
	assert_int_equal(udp[0] << 8 | udp[1], 67);
	assert_int_equal(udp[2] << 8 | udp[3], 68);
	udp_len = (size_t)(udp[4] << 8 | udp[5]);
	assert_int_equal(udp_len, len - 34);
	sum = frame_csum(ip + 12, 8, 0) + 17 + (uint32_t)udp_len;
	assert_int_equal(frame_csum(udp, udp_len, sum), 0xffff);
	assert_int_equal(f[42], 2);		     /* BOOTREPLY */
	assert_memory_equal(f + 42 + 28, mac_a1, 6); /* chaddr */
	assert_memory_equal(f + 6, mac_srv, 6);
}

static void
test_offer(void **state)
{
	uint8_t req[FRAME_MAX], out[DHCP_FRAME_MAX];
	struct dhcp_server s;
	const uint8_t *v;
	uint8_t ol;
	size_t n, len;
	static const uint8_t cls[] = {16,  192, 168, 10, 0, 0,
				      254, 0,	10,  0,	 0, 1};

	(void)state;
	dhcp_server_init(&s, &cfg);
	n = frame_dhcp(req, DHCP_DISCOVER, 0x11223344, mac_a1, NULL, NULL, NULL,
		       0);
	len = handle(&s, req, n, out, 0);
	check_frame(out, len);
	assert_memory_equal(out, mac_a1, 6); /* unicast to chaddr */
	ip_is(out + 14 + 12, "10.0.0.1");    /* from the server id */
	ip_is(out + 14 + 16, "10.0.0.11");   /* to yiaddr */
	assert_memory_equal(out + 42 + 4, req + 42 + 4, 4); /* xid */
	ip_is(out + 42 + 16, "10.0.0.11");		    /* yiaddr */
	ip_is(out + 42 + 12, "0.0.0.0");		    /* ciaddr */

	v = opt(out, len, 53, &ol);
	assert_non_null(v);
	assert_int_equal(ol, 1);
	assert_int_equal(v[0], DHCP_OFFER);
	v = opt(out, len, 54, &ol);
	assert_non_null(v);
	ip_is(v, "10.0.0.1");
	v = opt(out, len, 1, &ol);
	assert_non_null(v);
	ip_is(v, "255.255.255.0");
	v = opt(out, len, 3, &ol);
	assert_non_null(v);
	ip_is(v, "10.0.0.1");
	v = opt(out, len, 6, &ol);
	assert_non_null(v);
	assert_int_equal(ol, 8);
	ip_is(v, "10.0.0.2");
	ip_is(v + 4, "8.8.8.8");
	v = opt(out, len, 26, &ol);
	assert_non_null(v);
	assert_int_equal(v[0] << 8 | v[1], 1450);
	v = opt(out, len, 51, &ol);
	assert_non_null(v);
	assert_int_equal((uint32_t)(v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3]),
			 3600);
	v = opt(out, len, 28, &ol);
	assert_non_null(v);
	ip_is(v, "10.0.0.255");
	v = opt(out, len, 121, &ol);
	assert_non_null(v);
	assert_int_equal(ol, sizeof(cls));
	assert_memory_equal(v, cls, sizeof(cls));
	assert_int_equal(s.stats.offers, 1);
	assert_int_equal(s.stats.rx[DHCP_DISCOVER], 1);
}

static void
test_broadcast_flag(void **state)
{
	uint8_t req[FRAME_MAX], out[DHCP_FRAME_MAX];
	struct dhcp_server s;
	size_t n, len;

	(void)state;
	dhcp_server_init(&s, &cfg);
	n = frame_dhcp(req, DHCP_DISCOVER, 7, mac_a1, NULL, NULL, NULL, 1);
	len = handle(&s, req, n, out, 0);
	check_frame(out, len);
	assert_memory_equal(out, "\xff\xff\xff\xff\xff\xff", 6);
	ip_is(out + 14 + 16, "255.255.255.255");
	assert_int_equal(out[42 + 10], 0x80);
}

static void
test_request_ack_nak(void **state)
{
	uint8_t req[FRAME_MAX], out[DHCP_FRAME_MAX];
	struct dhcp_server s;
	const uint8_t *v;
	uint8_t ol;
	size_t n, len;

	(void)state;
	dhcp_server_init(&s, &cfg);
	/* SELECTING with our server id and the right address: ACK. */
	n = frame_dhcp(req, DHCP_REQUEST, 9, mac_a1, NULL, "10.0.0.11",
		       "10.0.0.1", 0);
	len = handle(&s, req, n, out, 0);
	check_frame(out, len);
	v = opt(out, len, 53, &ol);
	assert_int_equal(v[0], DHCP_ACK);
	ip_is(out + 42 + 16, "10.0.0.11");

	/* INIT-REBOOT asking for another address: NAK, broadcast. */
	n = frame_dhcp(req, DHCP_REQUEST, 10, mac_a1, NULL, "10.0.0.99", NULL,
		       0);
	len = handle(&s, req, n, out, 0);
	check_frame(out, len);
	v = opt(out, len, 53, &ol);
	assert_int_equal(v[0], DHCP_NAK);
	ip_is(out + 14 + 16, "255.255.255.255");
	ip_is(out + 42 + 16, "0.0.0.0");
	assert_null(opt(out, len, 51, &ol));

	/* RENEWING: ciaddr is ours: ACK unicast to ciaddr. */
	n = frame_dhcp(req, DHCP_REQUEST, 11, mac_a1, "10.0.0.11", NULL, NULL,
		       0);
	len = handle(&s, req, n, out, 0);
	v = opt(out, len, 53, &ol);
	assert_int_equal(v[0], DHCP_ACK);
	ip_is(out + 14 + 16, "10.0.0.11");
	ip_is(out + 42 + 12, "10.0.0.11");

	/* RENEWING a stale address: NAK. */
	n = frame_dhcp(req, DHCP_REQUEST, 12, mac_a1, "10.0.0.12", NULL, NULL,
		       0);
	len = handle(&s, req, n, out, 0);
	v = opt(out, len, 53, &ol);
	assert_int_equal(v[0], DHCP_NAK);

	/* SELECTING another server: stay silent. */
	n = frame_dhcp(req, DHCP_REQUEST, 13, mac_a1, NULL, "10.0.0.11",
		       "10.0.0.5", 0);
	handle(&s, req, n, out, -ENOENT);
	assert_int_equal(s.stats.acks, 2);
	assert_int_equal(s.stats.naks, 2);
	assert_int_equal(s.stats.ignored, 1);
}

static void
test_inform_release(void **state)
{
	uint8_t req[FRAME_MAX], out[DHCP_FRAME_MAX];
	struct dhcp_server s;
	const uint8_t *v;
	uint8_t ol;
	size_t n, len;

	(void)state;
	dhcp_server_init(&s, &cfg);
	n = frame_dhcp(req, DHCP_INFORM, 1, mac_a1, "10.0.0.11", NULL, NULL, 0);
	len = handle(&s, req, n, out, 0);
	check_frame(out, len);
	v = opt(out, len, 53, &ol);
	assert_int_equal(v[0], DHCP_ACK);
	ip_is(out + 42 + 16, "0.0.0.0");     /* no yiaddr for INFORM */
	assert_null(opt(out, len, 51, &ol)); /* nor a lease */
	assert_non_null(opt(out, len, 1, &ol));

	n = frame_dhcp(req, DHCP_RELEASE, 2, mac_a1, "10.0.0.11", NULL,
		       "10.0.0.1", 0);
	handle(&s, req, n, out, -ENOENT);
	n = frame_dhcp(req, DHCP_DECLINE, 3, mac_a1, NULL, "10.0.0.11",
		       "10.0.0.1", 0);
	handle(&s, req, n, out, -ENOENT);
}

static void
test_not_ours(void **state)
{
	static const uint8_t other[6] = {0xfa, 0x16, 0x3e, 0, 0, 0x99};
	uint8_t req[FRAME_MAX], out[DHCP_FRAME_MAX];
	struct dhcp_server s;
	size_t n, out_len;

	(void)state;
	dhcp_server_init(&s, &cfg);
	/* chaddr is not the port's MAC. */
	n = frame_dhcp(req, DHCP_DISCOVER, 1, other, NULL, NULL, NULL, 0);
	handle(&s, req, n, out, -ENOENT);
	/* Unknown ingress port. */
	n = frame_dhcp(req, DHCP_DISCOVER, 1, mac_a1, NULL, NULL, NULL, 0);
	assert_int_equal(dhcp_server_handle(&s, &view, 7, req, n, out,
					    sizeof(out), &out_len),
			 -ENOENT);
	/* DHCP disabled on the subnet. */
	sn.is_dhcp = false;
	handle(&s, req, n, out, -ENOENT);
	sn.is_dhcp = true;
	/* Too small an output buffer. */
	assert_int_equal(
		dhcp_server_handle(&s, &view, 1, req, n, out, 100, &out_len),
		-ENOSPC);
}

static void
test_no_gateway(void **state)
{
	uint8_t req[FRAME_MAX], out[DHCP_FRAME_MAX];
	struct dhcp_server s;
	const uint8_t *v;
	uint8_t ol;
	size_t n, len;

	(void)state;
	memset(&sn.gateway, 0, sizeof(sn.gateway));
	sn.n_routes = 0;
	net.mtu = 0;
	dhcp_server_init(&s, &cfg);
	n = frame_dhcp(req, DHCP_DISCOVER, 1, mac_a1, NULL, NULL, NULL, 0);
	len = handle(&s, req, n, out, 0);
	check_frame(out, len);
	v = opt(out, len, 54, &ol);
	assert_non_null(v);
	ip_is(v, "10.0.0.254");
	assert_null(opt(out, len, 3, &ol));
	assert_null(opt(out, len, 26, &ol));
	assert_null(opt(out, len, 121, &ol));
}

static void
expect_reject(const uint8_t *f, size_t len, enum dhcp_reject want)
{
	struct dhcp_msg m;
	enum dhcp_reject why = DHCP_R__COUNT;

	assert_int_equal(dhcp_parse(f, len, &m, &why), -EINVAL);
	assert_int_equal(why, want);
}

static void
test_parse_rejects(void **state)
{
	uint8_t f[FRAME_MAX], g[FRAME_MAX];
	struct dhcp_server s;
	struct dhcp_msg m;
	enum dhcp_reject why;
	size_t n;

	(void)state;
	n = frame_dhcp(f, DHCP_DISCOVER, 1, mac_a1, NULL, NULL, NULL, 0);
	assert_int_equal(dhcp_parse(f, n, &m, &why), 0);
	assert_int_equal(m.type, DHCP_DISCOVER);
	assert_memory_equal(m.chaddr, mac_a1, 6);

	expect_reject(f, 13, DHCP_R_TRUNC_ETH);
	expect_reject(f, 14 + 19, DHCP_R_BAD_IPV4);
	/* IP total length past the frame. */
	expect_reject(f, 14 + 200, DHCP_R_BAD_IPV4);

	memcpy(g, f, n);
	g[12] = 0x86;
	g[13] = 0xdd;
	expect_reject(g, n, DHCP_R_NOT_IPV4);
	memcpy(g, f, n);
	g[14] = 0x46; /* IHL 6: options eat into UDP */
	expect_reject(g, n, DHCP_R_NOT_BOOTP);
	memcpy(g, f, n);
	g[14] = 0x44;
	expect_reject(g, n, DHCP_R_BAD_IPV4);
	memcpy(g, f, n);
	g[14 + 6] = 0x20; /* MF */
	expect_reject(g, n, DHCP_R_FRAGMENT);
	memcpy(g, f, n);
	g[14 + 9] = 6;
	expect_reject(g, n, DHCP_R_NOT_UDP);
	memcpy(g, f, n);
	g[34 + 4] = 0xff; /* UDP length past IP */
	expect_reject(g, n, DHCP_R_BAD_UDP);
	memcpy(g, f, n);
	g[34 + 4] = 0;
	g[34 + 5] = 4; /* UDP length under its header */
	expect_reject(g, n, DHCP_R_BAD_UDP);
	memcpy(g, f, n);
	g[34 + 1] = 69;
	expect_reject(g, n, DHCP_R_NOT_BOOTP);
	memcpy(g, f, n);
	g[34 + 4] = 0;
	g[34 + 5] = 8 + 200;
	expect_reject(g, n, DHCP_R_TRUNC_BOOTP);
	memcpy(g, f, n);
	g[42] = 2;
	expect_reject(g, n, DHCP_R_NOT_REQUEST);
	memcpy(g, f, n);
	g[42 + 2] = 16;
	expect_reject(g, n, DHCP_R_BAD_HW);
	memcpy(g, f, n);
	g[42 + 236] = 0;
	expect_reject(g, n, DHCP_R_BAD_COOKIE);
	memcpy(g, f, n);
	memset(g + 42 + 240, 0, 3); /* option 53 becomes PADs */
	expect_reject(g, n, DHCP_R_NO_TYPE);
	memcpy(g, f, n);
	g[42 + 242] = 2; /* a server's message type */
	expect_reject(g, n, DHCP_R_BAD_TYPE);
	memcpy(g, f, n);
	g[42 + 241] = 2; /* option 53 of length 2 */
	expect_reject(g, n, DHCP_R_BAD_OPTION);

	/* Options running past the UDP payload: a long last option. */
	memcpy(g, f, n);
	memset(g + 42 + 243, 0, 300 - 243);
	g[42 + 243] = 12;
	g[42 + 244] = 200;
	expect_reject(g, n, DHCP_R_BAD_OPTION);
	/* A code byte with no length byte at the very end. */
	memcpy(g, f, n);
	memset(g + 42 + 243, 0, 300 - 243);
	g[42 + 299] = 12;
	expect_reject(g, n, DHCP_R_BAD_OPTION);

	/* Every truncation of a valid frame is rejected, never overread. */
	dhcp_server_init(&s, &cfg);
	for (size_t k = 0; k < n; k++) {
		uint8_t out[DHCP_FRAME_MAX];
		size_t out_len;

		assert_int_equal(dhcp_server_handle(&s, &view, 1, f, k, out,
						    sizeof(out), &out_len),
				 -EINVAL);
	}
	assert_int_equal(s.stats.rejects[DHCP_R_TRUNC_ETH], 14);
	assert_true(s.stats.rejects[DHCP_R_BAD_IPV4] > 0);
	assert_string_equal(dhcp_reject_name(DHCP_R_BAD_OPTION), "bad_option");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_offer, setup),
		cmocka_unit_test_setup(test_broadcast_flag, setup),
		cmocka_unit_test_setup(test_request_ack_nak, setup),
		cmocka_unit_test_setup(test_inform_release, setup),
		cmocka_unit_test_setup(test_not_ours, setup),
		cmocka_unit_test_setup(test_no_gateway, setup),
		cmocka_unit_test_setup(test_parse_rejects, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
