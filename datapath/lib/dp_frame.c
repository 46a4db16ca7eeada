/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_frame.c: synthesize a frame from a flow key (dp_frame.h). Header
 * layouts: Ethernet and 802.1Q, ARP (RFC 826), IPv4 (RFC 791), IPv6
 * (RFC 8200), TCP (RFC 9293), UDP (RFC 768), ICMP (RFC 792), ICMPv6
 * (RFC 4443), ESP (RFC 4303: SPI and sequence number, then opaque bytes).
 * Checksums follow RFC 1071, with the IPv4/IPv6 pseudo-headers for TCP,
 * UDP and ICMPv6.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "dp_frame.h"

enum {
	ETH_LEN = 14,
	VLAN_LEN = 4,
	IPV4_LEN = 20,
	IPV6_LEN = 40,
	FRAME_MIN = 60,
	ETH_P_IPV4 = 0x0800,
	ETH_P_IPV6 = 0x86dd,
	ETH_P_ARP = 0x0806,
	ETH_P_VLAN = 0x8100,
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Network-order 16-bit value from a key field. */
static uint16_t
net16(uint16_t v)
{
	return ntohs(v);
}

static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Pseudo-header sum for L4 checksums. */
static uint32_t
pseudo_sum(const uint8_t *l3, int is_v6, uint8_t proto, size_t l4_len)
{
	uint32_t sum = 0;

	if (is_v6)
		sum = csum_add(sum, l3 + 8, 32);
	else
		sum = csum_add(sum, l3 + 12, 8);
	sum += proto;
	sum += (uint32_t)l4_len;
	return sum;
}

/* Write the L4 header and payload at p; returns its length. */
static size_t
build_l4(const struct dp_key *k, const uint8_t *l3, int is_v6, uint8_t *p)
{
	static const uint8_t payload[8] = "sluice!";
	size_t n = 0;
	uint16_t c;

	switch (k->nw_proto) {
	case 6: /* TCP */
		memset(p, 0, 20);
		memcpy(p, &k->tp_src, 2);
		memcpy(p + 2, &k->tp_dst, 2);
		p[12] = (uint8_t)(5 << 4 | ((k->tcp_flags >> 8) & 0x0f));
		p[13] = (uint8_t)k->tcp_flags;
		put16(p + 14, 65535);
		n = 20;
		c = csum_fold(csum_add(pseudo_sum(l3, is_v6, 6, n), p, n));
		put16(p + 16, c);
		return n;
	case 17: /* UDP */
		memcpy(p, &k->tp_src, 2);
		memcpy(p + 2, &k->tp_dst, 2);
		n = 8 + sizeof(payload);
		put16(p + 4, (uint16_t)n);
		put16(p + 6, 0);
		memcpy(p + 8, payload, sizeof(payload));
		c = csum_fold(csum_add(pseudo_sum(l3, is_v6, 17, n), p, n));
		put16(p + 6, c == 0 ? 0xffff : c);
		return n;
	case 1:	 /* ICMP */
	case 58: /* ICMPv6 */
		memset(p, 0, 8);
		p[0] = (uint8_t)net16(k->tp_src);
		p[1] = (uint8_t)net16(k->tp_dst);
		memcpy(p + 8, payload, sizeof(payload));
		n = 8 + sizeof(payload);
		if (k->nw_proto == 58)
			c = csum_fold(csum_add(pseudo_sum(l3, 1, 58, n), p, n));
		else
			c = csum_fold(csum_add(0, p, n));
		put16(p + 2, c);
		return n;
	case 50: /* ESP */
		memcpy(p, &k->esp_spi, 4);
		memset(p + 4, 0, 4);
		p[7] = 1;
		memset(p + 8, 0xab, 16);
		return 24;
	default:
		return 0;
	}
}

static size_t
build_arp(const struct dp_key *k, uint8_t *p)
{
	put16(p, 1);
	put16(p + 2, ETH_P_IPV4);
	p[4] = 6;
	p[5] = 4;
	put16(p + 6, k->nw_proto != 0 ? k->nw_proto : 1);
	memcpy(p + 8, k->arp_sha, 6);
	memcpy(p + 14, &k->nw_src, 4);
	memcpy(p + 18, k->arp_tha, 6);
	memcpy(p + 24, &k->nw_dst, 4);
	return 28;
}

static size_t
build_ipv4(const struct dp_key *k, uint8_t *p)
{
	size_t l4;
	uint16_t frag = 0;

	memset(p, 0, IPV4_LEN);
	p[0] = 0x45;
	p[1] = k->nw_tos;
	if (k->nw_frag & DP_FRAG_ANY)
		frag = 0x2000; /* more fragments */
	if (k->nw_frag & DP_FRAG_LATER)
		frag = 0x2001; /* offset 8 bytes */
	put16(p + 6, frag);
	p[8] = k->nw_ttl != 0 ? k->nw_ttl : 64;
	p[9] = k->nw_proto;
	memcpy(p + 12, &k->nw_src, 4);
	memcpy(p + 16, &k->nw_dst, 4);
	l4 = (k->nw_frag & DP_FRAG_LATER) ? 0 : build_l4(k, p, 0, p + 20);
	put16(p + 2, (uint16_t)(IPV4_LEN + l4));
	put16(p + 10, csum_fold(csum_add(0, p, IPV4_LEN)));
	return IPV4_LEN + l4;
}

static size_t
build_ipv6(const struct dp_key *k, uint8_t *p)
{
	size_t l4;

	memset(p, 0, IPV6_LEN);
	p[0] = (uint8_t)(0x60 | k->nw_tos >> 4);
	p[1] = (uint8_t)(k->nw_tos << 4);
	p[6] = k->nw_proto;
	p[7] = k->nw_ttl != 0 ? k->nw_ttl : 64;
	memcpy(p + 8, k->ipv6_src, 16);
	memcpy(p + 24, k->ipv6_dst, 16);
	l4 = build_l4(k, p, 1, p + IPV6_LEN);
	put16(p + 4, (uint16_t)l4);
	return IPV6_LEN + l4;
}

int
dp_frame_build(const struct dp_key *key, uint8_t *buf, size_t max, size_t *len)
{
	uint16_t type = net16(key->eth_type);
	size_t n;

	if (max < DP_FRAME_BUILD_MAX)
		return -ENOSPC;
	memset(buf, 0, DP_FRAME_BUILD_MAX);
	memcpy(buf, key->eth_dst, 6);
	memcpy(buf + 6, key->eth_src, 6);
	n = 12;
	if (net16(key->vlan_tci) & DP_VLAN_PRESENT) {
		put16(buf + n, ETH_P_VLAN);
		put16(buf + n + 2,
		      (uint16_t)(net16(key->vlan_tci) & ~DP_VLAN_PRESENT));
		n += VLAN_LEN;
	}
	put16(buf + n, type);
	n += 2;
	if (type == ETH_P_IPV4)
		n += build_ipv4(key, buf + n);
	else if (type == ETH_P_IPV6)
		n += build_ipv6(key, buf + n);
	else if (type == ETH_P_ARP)
		n += build_arp(key, buf + n);
	*len = n < FRAME_MIN ? FRAME_MIN : n;
	return 0;
}
