/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dhcp6_test.c: the DHCPv6 server, byte by byte: Advertise and Reply
 * contents (server DUID-LL, IA_NA with the port's address, lifetimes,
 * T1/T2, DNS servers, status codes), the headers and a UDP checksum
 * recomputed here, silence where RFC 8415 wants it, and every rejection
 * reason with a crafted frame.
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

#include "dhcp6.h"
#include "net_view.h"

static const uint8_t mac_a1[6] = {0xfa, 0x16, 0x3e, 0x00, 0x00, 0xa1};
static const uint8_t mac_b1[6] = {0xfa, 0x16, 0x3e, 0x00, 0x00, 0xb1};
static const uint8_t mac_c1[6] = {0xfa, 0x16, 0x3e, 0x00, 0x00, 0xc1};
static const uint8_t mac_rtr[6] = {0xfa, 0x16, 0x3e, 0x00, 0x00, 0x01};
static const uint8_t mac_srv[6] = {0x02, 0x5c, 0x00, 0x00, 0x00, 0x01};
static const uint8_t mac_x[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x99};

static const char ll_a1[] = "fe80::f816:3eff:fe00:a1";
static const char ll_rtr[] = "fe80::f816:3eff:fe00:1";
static const char ll_srv[] = "fe80::5c:ff:fe00:1";
static const char all_srv[] = "ff02::1:2";

static const uint8_t duid_c[] = {0,    1,    0,	   1,	 0x2a, 0x2b, 0x2c,
				 0x2d, 0xfa, 0x16, 0x3e, 0,    0,    0xa1};
static const uint8_t iaid[4] = {0x3e, 0x00, 0x00, 0xa1};

static struct net_view_network nets[3];
static struct net_view_subnet sns[3];
static struct net_view_port ports[4];
static struct net_view view;
static struct dhcp6_config cfg;

static void
addr(struct net_addr *a, const char *s)
{
	assert_int_equal(net_addr_parse(s, a), 0);
}

static void
a6(uint8_t out[16], const char *s)
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

static void
mk_port(struct net_view_port *p, const char *id, const char *net_id,
	const uint8_t mac[6], uint32_t dp, const char *sn_id, const char *ip)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->id, id);
	strcpy(p->network_id, net_id);
	memcpy(p->mac, mac, 6);
	p->is_admin_up = true;
	p->dp_port = dp;
	if (sn_id != NULL) {
		p->n_ips = 1;
		strcpy(p->ips[0].subnet_id, sn_id);
		addr(&p->ips[0].ip, ip);
	}
}

/*
 * net-s: stateful 2001:db8:1::/64 with a router interface; net-l:
 * stateless 2001:db8:2::/64 without a router; net-n: slaac only.
 */
static int
setup(void **state)
{
	static const char *const nid[3] = {"net-s", "net-l", "net-n"};
	static const char *const cidr[3] = {
		"2001:db8:1::/64", "2001:db8:2::/64", "2001:db8:3::/64"};
	static const uint8_t mode[3] = {NET_V6_DHCP_STATEFUL,
					NET_V6_DHCP_STATELESS, NET_V6_SLAAC};

	(void)state;
	memset(nets, 0, sizeof(nets));
	memset(sns, 0, sizeof(sns));
	for (int i = 0; i < 3; i++) {
		strcpy(nets[i].id, nid[i]);
		nets[i].segment_id = 100 + (uint32_t)i;
		nets[i].is_admin_up = true;
		snprintf(sns[i].id, sizeof(sns[i].id), "sn-%d", i);
		strcpy(sns[i].network_id, nid[i]);
		addr(&sns[i].cidr, cidr[i]);
		sns[i].is_dhcp = true;
		sns[i].ra_mode = mode[i];
	}
	addr(&sns[0].gateway, "2001:db8:1::1");
	sns[0].n_dns = 3;
	addr(&sns[0].dns[0], "2001:db8::53");
	addr(&sns[0].dns[1], "10.0.0.53"); /* IPv4: not in option 23 */
	addr(&sns[0].dns[2], "2001:db8::54");
	sns[1].n_dns = 1;
	addr(&sns[1].dns[0], "2001:db8:2::53");
	mk_port(&ports[0], "port-a1", "net-s", mac_a1, 1, "sn-0",
		"2001:db8:1::11");
	mk_port(&ports[1], "port-b1", "net-l", mac_b1, 2, "sn-1",
		"2001:db8:2::f816:3eff:fe00:b1");
	mk_port(&ports[2], "port-c1", "net-n", mac_c1, 3, "sn-2",
		"2001:db8:3::f816:3eff:fe00:c1");
	mk_port(&ports[3], "port-r", "net-s", mac_rtr, 0, "sn-0",
		"2001:db8:1::1");
	strcpy(ports[3].device_owner, "network:router_interface");
	strcpy(ports[3].device_id, "router-1");
	view = (struct net_view){nets, 3, sns, 3, ports, 4};
	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.server_mac, mac_srv, 6);
	return 0;
}

static void
w16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
r16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
r32(const uint8_t *p)
{
	return (uint32_t)r16(p) << 16 | r16(p + 2);
}

/* A client message under construction: the DHCPv6 payload. */
struct msg {
	uint8_t b[512];
	size_t n;
};

static void
m_init(struct msg *m, uint8_t type)
{
	m->b[0] = type;
	m->b[1] = 0x12;
	m->b[2] = 0x34;
	m->b[3] = 0x56;
	m->n = 4;
}

static void
m_opt(struct msg *m, uint16_t code, const void *val, size_t len)
{
	w16(m->b + m->n, code);
	w16(m->b + m->n + 2, (uint16_t)len);
	if (len > 0)
		memcpy(m->b + m->n + 4, val, len);
	m->n += 4 + len;
}

static void
m_client(struct msg *m)
{
	m_opt(m, 1, duid_c, sizeof(duid_c));
}

/* Server ID: DUID-LL of mac. */
static void
m_server(struct msg *m, const uint8_t mac[6])
{
	uint8_t d[10] = {0, 3, 0, 1};

	memcpy(d + 4, mac, 6);
	m_opt(m, 2, d, sizeof(d));
}

/* IA_NA with n addresses (NULL entries end the list). */
static void
m_ia_na(struct msg *m, const char *a0, const char *a1)
{
	uint8_t b[12 + 2 * 28];
	size_t n = 12;
	const char *as[2] = {a0, a1};

	memset(b, 0, sizeof(b));
	memcpy(b, iaid, 4);
	for (int i = 0; i < 2 && as[i] != NULL; i++) {
		w16(b + n, 5);
		w16(b + n + 2, 24);
		a6(b + n + 4, as[i]);
		n += 28;
	}
	m_opt(m, 3, b, n);
}

/* The frame: Ethernet from src_mac, IPv6 ip_src -> ip_dst, UDP 546->547,
 * checksum left 0 (the server does not check it: the datapath did). */
static size_t
frame(uint8_t *f, const uint8_t src_mac[6], const char *ip_src,
      const char *ip_dst, const struct msg *m)
{
	static const uint8_t dst_mac[6] = {0x33, 0x33, 0, 1, 0, 2};
	uint8_t *ip = f + 14, *udp = f + 54;

	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	w16(f + 12, 0x86dd);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	w16(ip + 4, (uint16_t)(8 + m->n));
	ip[6] = 17;
	ip[7] = 1;
	a6(ip + 8, ip_src);
	a6(ip + 24, ip_dst);
	w16(udp, 546);
	w16(udp + 2, 547);
	w16(udp + 4, (uint16_t)(8 + m->n));
	w16(udp + 6, 0);
	memcpy(udp + 8, m->b, m->n);
	return 62 + m->n;
}

/* One's complement sum, written independently of the server's. */
static uint16_t
udp6_csum_ok(const uint8_t *f, size_t len)
{
	uint64_t sum = 0;
	size_t udp_len = r16(f + 54 + 4);

	assert_true(54 + udp_len <= len);
	for (size_t i = 0; i < 32; i += 2)
		sum += r16(f + 22 + i);
	sum += udp_len;
	sum += 17;
	for (size_t i = 0; i < udp_len; i++)
		sum += i % 2 == 0 ? (uint64_t)f[54 + i] << 8 : f[54 + i];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum; /* 0xffff when right */
}

/* Headers of a reply to port a1's client; returns the message. */
static const uint8_t *
check_frame(const uint8_t *f, size_t len, const uint8_t dst_mac[6],
	    const uint8_t src_mac[6], const char *src_ip, const char *dst_ip)
{
	uint8_t want[16];

	assert_true(len >= 62 + 4);
	assert_memory_equal(f, dst_mac, 6);
	assert_memory_equal(f + 6, src_mac, 6);
	assert_int_equal(r16(f + 12), 0x86dd);
	assert_int_equal(f[14] >> 4, 6);
	assert_int_equal(r16(f + 18), len - 54);
	assert_int_equal(f[20], 17);
	assert_int_equal(f[21], 255);
	a6(want, src_ip);
	assert_memory_equal(f + 22, want, 16);
	a6(want, dst_ip);
	assert_memory_equal(f + 38, want, 16);
	assert_int_equal(r16(f + 54), 547);
	assert_int_equal(r16(f + 56), 546);
	assert_int_equal(r16(f + 58), len - 54);
	assert_int_not_equal(r16(f + 60), 0);
	assert_int_equal(udp6_csum_ok(f, len), 0xffff);
	assert_int_equal(f[63], 0x12); /* xid */
	assert_int_equal(f[64], 0x34);
	assert_int_equal(f[65], 0x56);
	return f + 62;
}

/* Find top-level option code in a reply; value or NULL. */
static const uint8_t *
opt(const uint8_t *f, size_t len, uint16_t code, uint16_t *olen)
{
	size_t i = 66;

	while (i + 4 <= len) {
		uint16_t c = r16(f + i), l = r16(f + i + 2);

		assert_true(i + 4 + l <= len);
		if (c == code) {
			*olen = l;
			return f + i + 4;
		}
		i += 4 + (size_t)l;
	}
	assert_int_equal(i, len);
	return NULL;
}

static void
check_ids(const uint8_t *f, size_t len, const uint8_t srv_mac[6])
{
	uint8_t d[10] = {0, 3, 0, 1};
	const uint8_t *v;
	uint16_t l;

	memcpy(d + 4, srv_mac, 6);
	v = opt(f, len, 2, &l);
	assert_non_null(v);
	assert_int_equal(l, 10);
	assert_memory_equal(v, d, 10);
	v = opt(f, len, 1, &l);
	assert_non_null(v);
	assert_int_equal(l, sizeof(duid_c));
	assert_memory_equal(v, duid_c, sizeof(duid_c));
}

static void
check_status(const uint8_t *v, uint16_t l, uint16_t want)
{
	assert_non_null(v);
	assert_true(l >= 2);
	assert_int_equal(r16(v), want);
}

/* The IA_NA of a reply: iaid, T1, T2, then the IA Address of addr. */
static const uint8_t *
check_ia(const uint8_t *f, size_t len, const char *ip, uint16_t *ia_len)
{
	const uint8_t *v = opt(f, len, 3, ia_len);
	uint8_t want[16];

	assert_non_null(v);
	assert_memory_equal(v, iaid, 4);
	if (ip == NULL)
		return v;
	assert_true(*ia_len >= 12 + 28);
	assert_int_equal(r32(v + 4), 7200);  /* preferred / 2 */
	assert_int_equal(r32(v + 8), 11520); /* preferred * 4 / 5 */
	assert_int_equal(r16(v + 12), 5);
	assert_int_equal(r16(v + 14), 24);
	a6(want, ip);
	assert_memory_equal(v + 16, want, 16);
	assert_int_equal(r32(v + 32), DHCP6_PREFERRED_S);
	assert_int_equal(r32(v + 36), DHCP6_VALID_S);
	return v;
}

static size_t
handle(struct dhcp6_server *s, uint32_t port, const uint8_t *req, size_t n,
       uint8_t *out, int want_rc)
{
	size_t out_len = 0;

	assert_int_equal(dhcp6_server_handle(s, &view, port, req, n, out,
					     DHCP6_FRAME_MAX, &out_len),
			 want_rc);
	return out_len;
}

/* Ask as port a1's client; returns the reply's message (router's). */
static const uint8_t *
ask_a1(struct dhcp6_server *s, const struct msg *m, const char *ip_dst,
       uint8_t *out, size_t *n)
{
	uint8_t f[1024];

	*n = handle(s, 1, f, frame(f, mac_a1, ll_a1, ip_dst, m), out, 0);
	return check_frame(out, *n, mac_a1, mac_rtr, ll_rtr, ll_a1);
}

static void
test_solicit_advertise(void **state)
{
	struct dhcp6_server s;
	uint8_t out[DHCP6_FRAME_MAX], want[16];
	const uint8_t *v;
	struct msg m;
	uint16_t l;
	size_t n;

	(void)state;
	dhcp6_server_init(&s, &cfg);
	m_init(&m, DHCP6_SOLICIT);
	m_client(&m);
	m_opt(&m, 8, "\0\0", 2); /* elapsed time */
	m_ia_na(&m, NULL, NULL);
	m_opt(&m, 6, "\0\x17", 2); /* ORO: DNS */
	v = ask_a1(&s, &m, all_srv, out, &n);
	assert_int_equal(v[0], DHCP6_ADVERTISE);
	check_ids(out, n, mac_rtr);
	check_ia(out, n, "2001:db8:1::11", &l);
	assert_int_equal(l, 12 + 28);
	v = opt(out, n, 23, &l);
	assert_non_null(v);
	assert_int_equal(l, 32);
	a6(want, "2001:db8::53");
	assert_memory_equal(v, want, 16);
	a6(want, "2001:db8::54");
	assert_memory_equal(v + 16, want, 16);
	assert_null(opt(out, n, 14, &l));
	assert_null(opt(out, n, 13, &l));
	assert_int_equal(s.stats.advertises, 1);
	assert_int_equal(s.stats.rx[DHCP6_SOLICIT], 1);

	/* Rapid Commit: a Reply that says so. */
	m_opt(&m, 14, NULL, 0);
	v = ask_a1(&s, &m, all_srv, out, &n);
	assert_int_equal(v[0], DHCP6_REPLY);
	assert_non_null(opt(out, n, 14, &l));
	assert_int_equal(l, 0);
	check_ia(out, n, "2001:db8:1::11", &l);
	assert_int_equal(s.stats.replies, 1);
}

static void
test_request_renew_rebind(void **state)
{
	struct dhcp6_server s;
	uint8_t out[DHCP6_FRAME_MAX], want[16];
	const uint8_t *v;
	struct msg m;
	uint16_t l;
	size_t n;

	(void)state;
	dhcp6_server_init(&s, &cfg);
	m_init(&m, DHCP6_REQUEST);
	m_client(&m);
	m_server(&m, mac_rtr);
	m_ia_na(&m, "2001:db8:1::11", NULL);
	v = ask_a1(&s, &m, all_srv, out, &n);
	assert_int_equal(v[0], DHCP6_REPLY);
	check_ids(out, n, mac_rtr);
	check_ia(out, n, "2001:db8:1::11", &l);
	assert_int_equal(l, 40);

	/* Renew, unicast to the server, with a stale address too: that
	 * one comes back with lifetimes 0 (RFC 8415 18.3.4). */
	m_init(&m, DHCP6_RENEW);
	m_client(&m);
	m_server(&m, mac_rtr);
	m_ia_na(&m, "2001:db8:1::99", "2001:db8:1::11");
	v = ask_a1(&s, &m, ll_rtr, out, &n);
	assert_int_equal(v[0], DHCP6_REPLY);
	v = check_ia(out, n, "2001:db8:1::11", &l);
	assert_int_equal(l, 12 + 2 * 28);
	a6(want, "2001:db8:1::99");
	assert_memory_equal(v + 44, want, 16);
	assert_int_equal(r32(v + 60), 0);
	assert_int_equal(r32(v + 64), 0);

	/* Rebind: no server id, same answer. */
	m_init(&m, DHCP6_REBIND);
	m_client(&m);
	m_ia_na(&m, "2001:db8:1::11", NULL);
	v = ask_a1(&s, &m, all_srv, out, &n);
	assert_int_equal(v[0], DHCP6_REPLY);
	check_ia(out, n, "2001:db8:1::11", &l);
	assert_int_equal(s.stats.replies, 3);
}

static void
test_confirm_release_decline(void **state)
{
	struct dhcp6_server s;
	uint8_t f[1024], out[DHCP6_FRAME_MAX];
	const uint8_t *v;
	struct msg m;
	uint16_t l;
	size_t n;

	(void)state;
	dhcp6_server_init(&s, &cfg);
	m_init(&m, DHCP6_CONFIRM);
	m_client(&m);
	m_ia_na(&m, "2001:db8:1::11", NULL);
	v = ask_a1(&s, &m, all_srv, out, &n);
	assert_int_equal(v[0], DHCP6_REPLY);
	v = opt(out, n, 13, &l);
	check_status(v, l, DHCP6_ST_SUCCESS);
	assert_null(opt(out, n, 3, &l));

	m_init(&m, DHCP6_CONFIRM);
	m_client(&m);
	m_ia_na(&m, "2001:db8:1::11", "2001:db8:7::11");
	ask_a1(&s, &m, all_srv, out, &n);
	v = opt(out, n, 13, &l);
	check_status(v, l, DHCP6_ST_NOT_ON_LINK);

	/* Nothing to confirm: no answer (RFC 8415 18.3.3). */
	m_init(&m, DHCP6_CONFIRM);
	m_client(&m);
	m_ia_na(&m, NULL, NULL);
	handle(&s, 1, f, frame(f, mac_a1, ll_a1, all_srv, &m), out, -ENOENT);
	assert_int_equal(s.stats.ignored, 1);

	for (int t = DHCP6_RELEASE; t <= DHCP6_DECLINE; t++) {
		m_init(&m, (uint8_t)t);
		m_client(&m);
		m_server(&m, mac_rtr);
		m_ia_na(&m, "2001:db8:1::11", NULL);
		v = ask_a1(&s, &m, all_srv, out, &n);
		assert_int_equal(v[0], DHCP6_REPLY);
		check_ids(out, n, mac_rtr);
		v = opt(out, n, 13, &l);
		check_status(v, l, DHCP6_ST_SUCCESS);
		assert_null(opt(out, n, 3, &l));
		assert_null(opt(out, n, 23, &l));
	}
}

static void
test_stateless(void **state)
{
	static const char ll_b1[] = "fe80::f816:3eff:fe00:b1";
	struct dhcp6_server s;
	uint8_t f[1024], out[DHCP6_FRAME_MAX], want[16];
	const uint8_t *v;
	struct msg m;
	uint16_t l;
	size_t n;

	(void)state;
	dhcp6_server_init(&s, &cfg);
	/* No router on net-l: the configured server MAC answers. */
	m_init(&m, DHCP6_INFO_REQUEST);
	m_client(&m);
	m_opt(&m, 6, "\0\x17", 2);
	n = handle(&s, 2, f, frame(f, mac_b1, ll_b1, all_srv, &m), out, 0);
	v = check_frame(out, n, mac_b1, mac_srv, ll_srv, ll_b1);
	assert_int_equal(v[0], DHCP6_REPLY);
	check_ids(out, n, mac_srv);
	v = opt(out, n, 23, &l);
	assert_non_null(v);
	assert_int_equal(l, 16);
	a6(want, "2001:db8:2::53");
	assert_memory_equal(v, want, 16);
	assert_null(opt(out, n, 3, &l));

	/* Information-Request without a Client ID is fine too. */
	m_init(&m, DHCP6_INFO_REQUEST);
	n = handle(&s, 2, f, frame(f, mac_b1, ll_b1, all_srv, &m), out, 0);
	check_frame(out, n, mac_b1, mac_srv, ll_srv, ll_b1);
	assert_null(opt(out, n, 1, &l));

	/* A stateful subnet answers it as well (O flag). */
	m_init(&m, DHCP6_INFO_REQUEST);
	m_client(&m);
	ask_a1(&s, &m, all_srv, out, &n);
	assert_non_null(opt(out, n, 23, &l));
	assert_int_equal(l, 32);

	/* Solicit on a stateless subnet: ignored; Request: NoAddrsAvail;
	 * Renew: NoBinding; Rebind: ignored. */
	m_init(&m, DHCP6_SOLICIT);
	m_client(&m);
	m_ia_na(&m, NULL, NULL);
	handle(&s, 2, f, frame(f, mac_b1, ll_b1, all_srv, &m), out, -ENOENT);
	for (int t = DHCP6_REQUEST; t <= DHCP6_RENEW; t += 2) {
		m_init(&m, (uint8_t)t);
		m_client(&m);
		m_server(&m, mac_srv);
		m_ia_na(&m, NULL, NULL);
		n = handle(&s, 2, f, frame(f, mac_b1, ll_b1, all_srv, &m), out,
			   0);
		check_frame(out, n, mac_b1, mac_srv, ll_srv, ll_b1);
		v = check_ia(out, n, NULL, &l);
		assert_int_equal(r32(v + 4), 0);
		check_status(v + 12 + 4, r16(v + 12 + 2),
			     t == DHCP6_REQUEST ? DHCP6_ST_NO_ADDRS
						: DHCP6_ST_NO_BINDING);
		assert_int_equal(r16(v + 12), 13);
	}
	m_init(&m, DHCP6_REBIND);
	m_client(&m);
	m_ia_na(&m, NULL, NULL);
	handle(&s, 2, f, frame(f, mac_b1, ll_b1, all_srv, &m), out, -ENOENT);

	/* A slaac-only network has no DHCPv6 server; nor an unknown port. */
	m_init(&m, DHCP6_INFO_REQUEST);
	m_client(&m);
	handle(&s, 3, f,
	       frame(f, mac_c1, "fe80::f816:3eff:fe00:c1", all_srv, &m), out,
	       -ENOENT);
	handle(&s, 9, f, frame(f, mac_c1, ll_a1, all_srv, &m), out, -ENOENT);
	assert_int_equal(s.stats.ignored, 4);
}

/* Answer-time rejections: another server, another destination, a MAC
 * that is not the port's. */
static void
test_not_ours(void **state)
{
	struct dhcp6_server s;
	uint8_t f[1024], out[DHCP6_FRAME_MAX];
	struct msg m;

	(void)state;
	dhcp6_server_init(&s, &cfg);
	m_init(&m, DHCP6_REQUEST);
	m_client(&m);
	m_server(&m, mac_x);
	m_ia_na(&m, NULL, NULL);
	handle(&s, 1, f, frame(f, mac_a1, ll_a1, all_srv, &m), out, -EINVAL);
	assert_int_equal(s.stats.rejects[DHCP6_R_OTHER_SERVER], 1);
	/* A server DUID of another length. */
	m_init(&m, DHCP6_INFO_REQUEST);
	m_opt(&m, 2, duid_c, sizeof(duid_c));
	handle(&s, 1, f, frame(f, mac_a1, ll_a1, all_srv, &m), out, -EINVAL);
	assert_int_equal(s.stats.rejects[DHCP6_R_OTHER_SERVER], 2);

	m_init(&m, DHCP6_SOLICIT);
	m_client(&m);
	handle(&s, 1, f, frame(f, mac_a1, ll_a1, "fe80::1", &m), out, -EINVAL);
	assert_int_equal(s.stats.rejects[DHCP6_R_OTHER_DST], 1);
	handle(&s, 1, f, frame(f, mac_x, ll_a1, all_srv, &m), out, -EINVAL);
	assert_int_equal(s.stats.rejects[DHCP6_R_NOT_PORT_MAC], 1);
	/* Too small an output buffer. */
	{
		size_t out_len;
		size_t n = frame(f, mac_a1, ll_a1, all_srv, &m);

		assert_int_equal(dhcp6_server_handle(&s, &view, 1, f, n, out,
						     80, &out_len),
				 -ENOSPC);
	}
}

/* A valid Solicit to break in one place per case. */
static size_t
good(uint8_t *f)
{
	struct msg m;

	m_init(&m, DHCP6_SOLICIT);
	m_client(&m);
	m_ia_na(&m, NULL, NULL);
	return frame(f, mac_a1, ll_a1, all_srv, &m);
}

static void
expect_reject(const uint8_t *f, size_t n, enum dhcp6_reject want)
{
	struct dhcp6_server s;
	uint8_t out[DHCP6_FRAME_MAX];
	uint8_t *copy = malloc(n > 0 ? n : 1);

	assert_non_null(copy);
	memcpy(copy, f, n); /* exactly n bytes: ASan sees any over-read */
	dhcp6_server_init(&s, &cfg);
	handle(&s, 1, copy, n, out, -EINVAL);
	assert_int_equal(s.stats.rejects[want], 1);
	assert_string_not_equal(dhcp6_reject_name(want), "unknown");
	free(copy);
}

static void
reject_msg(struct msg *m, enum dhcp6_reject want)
{
	uint8_t f[1024];

	expect_reject(f, frame(f, mac_a1, ll_a1, all_srv, m), want);
}

static void
test_rejects(void **state)
{
	uint8_t f[1024];
	struct msg m;
	size_t n;

	(void)state;
	n = good(f);
	expect_reject(f, 13, DHCP6_R_TRUNC_ETH);
	f[12] = 0x08;
	f[13] = 0x00;
	expect_reject(f, n, DHCP6_R_NOT_IPV6);
	n = good(f);
	expect_reject(f, 14 + 39, DHCP6_R_BAD_IPV6);
	f[14] = 0x40;
	expect_reject(f, n, DHCP6_R_BAD_IPV6);
	n = good(f);
	w16(f + 18, (uint16_t)(n - 54 + 1)); /* payload past the frame */
	expect_reject(f, n, DHCP6_R_BAD_IPV6);
	n = good(f);
	f[20] = 0; /* a hop-by-hop header is not followed */
	expect_reject(f, n, DHCP6_R_NOT_UDP);
	n = good(f);
	w16(f + 18, 7);
	expect_reject(f, n, DHCP6_R_BAD_UDP);
	n = good(f);
	w16(f + 58, 7);
	expect_reject(f, n, DHCP6_R_BAD_UDP);
	w16(f + 58, (uint16_t)(n - 54 + 1));
	expect_reject(f, n, DHCP6_R_BAD_UDP);
	n = good(f);
	w16(f + 56, 546);
	expect_reject(f, n, DHCP6_R_BAD_PORTS);
	n = good(f);
	w16(f + 54, 547);
	expect_reject(f, n, DHCP6_R_BAD_PORTS);
	n = good(f);
	a6(f + 22, "2001:db8:1::11"); /* global source */
	expect_reject(f, n, DHCP6_R_BAD_ADDR);
	n = good(f);
	a6(f + 38, "2001:db8:1::1"); /* global destination */
	expect_reject(f, n, DHCP6_R_BAD_ADDR);
	n = good(f);
	w16(f + 18, 11);
	w16(f + 58, 11);
	expect_reject(f, n, DHCP6_R_TRUNC_MSG);

	m_init(&m, DHCP6_ADVERTISE);
	m_client(&m);
	reject_msg(&m, DHCP6_R_BAD_TYPE);
	m_init(&m, 12); /* Relay-forward */
	m_client(&m);
	reject_msg(&m, DHCP6_R_BAD_TYPE);
	m_init(&m, 0);
	reject_msg(&m, DHCP6_R_BAD_TYPE);

	/* Options: past the end, short header, bad lengths, repeats. */
	m_init(&m, DHCP6_SOLICIT);
	m_client(&m);
	m.b[m.n - sizeof(duid_c) - 1] += 1;
	reject_msg(&m, DHCP6_R_BAD_OPTION);
	m_init(&m, DHCP6_SOLICIT);
	m_client(&m);
	m.b[m.n++] = 0;
	m.b[m.n++] = 8;
	m.b[m.n++] = 0;
	reject_msg(&m, DHCP6_R_BAD_OPTION);
	m_init(&m, DHCP6_SOLICIT);
	m_opt(&m, 1, duid_c, 2);
	reject_msg(&m, DHCP6_R_BAD_OPTION);
	m_init(&m, DHCP6_SOLICIT);
	{
		uint8_t big[DHCP6_DUID_MAX + 1] = {0, 4};

		m_opt(&m, 1, big, sizeof(big));
	}
	reject_msg(&m, DHCP6_R_BAD_OPTION);
	m_init(&m, DHCP6_SOLICIT);
	m_client(&m);
	m_client(&m);
	reject_msg(&m, DHCP6_R_BAD_OPTION);
	m_init(&m, DHCP6_SOLICIT);
	m_client(&m);
	m_opt(&m, 3, iaid, 4);
	reject_msg(&m, DHCP6_R_BAD_OPTION);
	m_init(&m, DHCP6_SOLICIT);
	m_client(&m);
	m_opt(&m, 14, "x", 1);
	reject_msg(&m, DHCP6_R_BAD_OPTION);
	{
		/* IA_NA holding a short IA Address, and one running past
		 * the IA_NA. */
		uint8_t ia[12 + 4 + 16] = {0};

		w16(ia + 12, 5);
		w16(ia + 14, 16);
		m_init(&m, DHCP6_SOLICIT);
		m_client(&m);
		m_opt(&m, 3, ia, sizeof(ia));
		reject_msg(&m, DHCP6_R_BAD_OPTION);
		w16(ia + 14, 24);
		m_init(&m, DHCP6_SOLICIT);
		m_client(&m);
		m_opt(&m, 3, ia, sizeof(ia));
		reject_msg(&m, DHCP6_R_BAD_OPTION);
		m_init(&m, DHCP6_SOLICIT);
		m_client(&m);
		m_opt(&m, 3, ia, 14);
		reject_msg(&m, DHCP6_R_BAD_OPTION);
	}

	m_init(&m, DHCP6_SOLICIT);
	m_ia_na(&m, NULL, NULL);
	reject_msg(&m, DHCP6_R_NO_CLIENT_ID);
	m_init(&m, DHCP6_REQUEST);
	m_server(&m, mac_rtr);
	reject_msg(&m, DHCP6_R_NO_CLIENT_ID);

	/* RFC 8415 16: Server ID where forbidden, or missing. */
	for (int t = DHCP6_SOLICIT; t <= DHCP6_DECLINE; t++) {
		bool need = t == DHCP6_REQUEST || t == DHCP6_RENEW ||
			    t == DHCP6_RELEASE || t == DHCP6_DECLINE;

		m_init(&m, (uint8_t)t);
		m_client(&m);
		if (!need)
			m_server(&m, mac_rtr);
		if (t != DHCP6_REPLY && t != DHCP6_ADVERTISE)
			reject_msg(&m, DHCP6_R_SERVER_ID);
	}
}

/* Every prefix of valid frames is either rejected or answered, reading
 * only its bytes (ASan checks with an exact-size copy). */
static void
test_truncations(void **state)
{
	struct dhcp6_server s;
	uint8_t f[1024], out[DHCP6_FRAME_MAX];
	struct msg m;
	size_t n, out_len;

	(void)state;
	dhcp6_server_init(&s, &cfg);
	m_init(&m, DHCP6_RENEW);
	m_client(&m);
	m_server(&m, mac_rtr);
	m_ia_na(&m, "2001:db8:1::99", "2001:db8:1::11");
	m_opt(&m, 6, "\0\x17", 2);
	n = frame(f, mac_a1, ll_a1, all_srv, &m);
	for (size_t k = 0; k <= n; k++) {
		uint8_t *c = malloc(k > 0 ? k : 1);

		assert_non_null(c);
		memcpy(c, f, k);
		(void)dhcp6_server_handle(&s, &view, 1, c, k, out, sizeof(out),
					  &out_len);
		free(c);
	}
	assert_int_equal(s.stats.replies, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_solicit_advertise, setup),
		cmocka_unit_test_setup(test_request_renew_rebind, setup),
		cmocka_unit_test_setup(test_confirm_release_decline, setup),
		cmocka_unit_test_setup(test_stateless, setup),
		cmocka_unit_test_setup(test_not_ours, setup),
		cmocka_unit_test_setup(test_rejects, setup),
		cmocka_unit_test_setup(test_truncations, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
