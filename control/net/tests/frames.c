/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * frames.c: the test frame builders of frames.h.
 */
#include <arpa/inet.h>
#include <string.h>

#include "frames.h"

static void
w16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
ip4(uint8_t *p, const char *s)
{
	if (s == NULL || inet_pton(AF_INET, s, p) != 1)
		memset(p, 0, 4);
}

uint16_t
frame_csum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static size_t
eth(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	w16(f + 12, type);
	return 14;
}

size_t
frame_arp(uint8_t *f, uint16_t op, const uint8_t sha[6], const char *spa,
	  const uint8_t tha[6], const char *tpa)
{
	static const uint8_t bc[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t *a;

	memset(f, 0, 60);
	eth(f, op == 1 ? bc : tha, sha, 0x0806);
	a = f + 14;
	w16(a, 1);
	w16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	w16(a + 6, op);
	memcpy(a + 8, sha, 6);
	ip4(a + 14, spa);
	memcpy(a + 18, tha, 6);
	ip4(a + 24, tpa);
	return 60;
}

static void
ip4_csum_redo(uint8_t *ip)
{
	w16(ip + 10, 0);
	w16(ip + 10, (uint16_t)~frame_csum(ip, 20, 0));
}

void
frame_ip4_set_ttl(uint8_t *f, uint8_t ttl)
{
	f[14 + 8] = ttl;
	ip4_csum_redo(f + 14);
}

void
frame_ip4_set_df(uint8_t *f)
{
	f[14 + 6] |= 0x40;
	ip4_csum_redo(f + 14);
}

static size_t
ipv4(uint8_t *ip, uint8_t proto, const char *src, const char *dst,
     size_t payload)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	w16(ip + 2, (uint16_t)(20 + payload));
	ip[8] = 64;
	ip[9] = proto;
	ip4(ip + 12, src);
	ip4(ip + 16, dst);
	w16(ip + 10, (uint16_t)~frame_csum(ip, 20, 0));
	return 20;
}

size_t
frame_icmp(uint8_t *f, const uint8_t dst[6], const uint8_t src[6],
	   const char *ip_src, const char *ip_dst)
{
	uint8_t *ic;

	memset(f, 0, 98);
	eth(f, dst, src, 0x0800);
	ipv4(f + 14, 1, ip_src, ip_dst, 64);
	ic = f + 34;
	ic[0] = 8;
	w16(ic + 4, 0x1234);
	w16(ic + 6, 1);
	w16(ic + 2, (uint16_t)~frame_csum(ic, 64, 0));
	return 98;
}

size_t
frame_udp(uint8_t *f, const uint8_t dst[6], const uint8_t src[6],
	  const char *ip_src, const char *ip_dst, uint16_t sport,
	  uint16_t dport, const uint8_t *payload, size_t len)
{
	uint8_t *u;
	size_t n;

	memset(f, 0, 14 + 28 + len < 60 ? 60 : 14 + 28 + len);
	eth(f, dst, src, 0x0800);
	ipv4(f + 14, 17, ip_src, ip_dst, 8 + len);
	u = f + 34;
	w16(u, sport);
	w16(u + 2, dport);
	w16(u + 4, (uint16_t)(8 + len));
	if (len > 0)
		memcpy(u + 8, payload, len);
	n = 42 + len;
	return n < 60 ? 60 : n;
}

size_t
frame_ip6(uint8_t *f, const uint8_t dst[6], const uint8_t src[6],
	  const char *ip_src, const char *ip_dst, uint8_t nh, size_t n)
{
	uint8_t *ip = f + 14;

	eth(f, dst, src, 0x86dd);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	w16(ip + 4, (uint16_t)n);
	ip[6] = nh;
	ip[7] = 64;
	if (inet_pton(AF_INET6, ip_src, ip + 8) != 1)
		memset(ip + 8, 0, 16);
	if (inet_pton(AF_INET6, ip_dst, ip + 24) != 1)
		memset(ip + 24, 0, 16);
	for (size_t i = 0; i < n; i++)
		ip[40 + i] = i < 8 ? 0 : (uint8_t)(i * 13);
	return 14 + 40 + n;
}

size_t
frame_dhcp(uint8_t *f, uint8_t type, uint32_t xid, const uint8_t chaddr[6],
	   const char *ciaddr, const char *requested, const char *server_id,
	   int is_broadcast)
{
	static const uint8_t bc[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t bp[300];
	size_t o = 240;

	memset(bp, 0, sizeof(bp));
	bp[0] = 1;
	bp[1] = 1;
	bp[2] = 6;
	memcpy(bp + 4, &xid, 4);
	if (is_broadcast)
		bp[10] = 0x80;
	ip4(bp + 12, ciaddr);
	memcpy(bp + 28, chaddr, 6);
	bp[236] = 99;
	bp[237] = 130;
	bp[238] = 83;
	bp[239] = 99;
	bp[o++] = 53;
	bp[o++] = 1;
	bp[o++] = type;
	if (requested != NULL) {
		bp[o++] = 50;
		bp[o++] = 4;
		ip4(bp + o, requested);
		o += 4;
	}
	if (server_id != NULL) {
		bp[o++] = 54;
		bp[o++] = 4;
		ip4(bp + o, server_id);
		o += 4;
	}
	bp[o++] = 55; /* parameter request list */
	bp[o++] = 3;
	bp[o++] = 1;
	bp[o++] = 3;
	bp[o++] = 6;
	bp[o++] = 255;
	return frame_udp(f, bc, chaddr, ciaddr != NULL ? ciaddr : "0.0.0.0",
			 "255.255.255.255", 68, 67, bp, sizeof(bp));
}
