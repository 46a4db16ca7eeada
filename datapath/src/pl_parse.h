/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pl_parse.h: the packet parser, inline so the worker gets two copies of
 * one source: pl_parse(..., fill = true) builds the struct dp_key and
 * header offsets; pl_parse(..., fill = false) only validates (the port
 * fast path), with the same verdicts.
 *
 * Untrusted bytes: every read is preceded by a length check against len
 * (and, inside an IP datagram, against its stated end). A bad frame
 * returns a drop reason (> 0); 0 means parsed.
 *
 * Decisions: one 802.1Q tag; a stacked tag (0x88a8, or 0x8100 inside
 * 0x8100) is dropped as DP_DROP_BAD_VLAN. IPv4 options are skipped; IPv4
 * and IPv6 checksums are not verified. An IPv6 payload length of zero is
 * taken literally (no jumbograms). Later fragments get no L4 fields.
 * Ethernet padding beyond the IP total length is allowed.
 */
#ifndef SLUICE_PL_PARSE_H
#define SLUICE_PL_PARSE_H

#include <arpa/inet.h>
#include <string.h>

#include "pl_int.h"

#define PL_INLINE static inline __attribute__((always_inline))

PL_INLINE uint16_t
pl_ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

PL_INLINE uint32_t
pl_ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* L4 header at l4, datagram ends at end (end >= l4). */
PL_INLINE int
pl_parse_l4(const uint8_t *p, uint32_t l4, uint32_t end, uint8_t proto,
	    bool is_v6, struct dp_key *key, struct pl_meta *m, const bool fill)
{
	uint32_t avail = end - l4;
	const uint8_t *h = p + l4;
	uint16_t ulen;
	uint32_t doff;

	switch (proto) {
	case 6:
		if (avail < 20)
			return DP_DROP_TRUNC_L4;
		doff = (uint32_t)(h[12] >> 4) * 4;
		if (doff < 20 || doff > avail)
			return DP_DROP_BAD_TCP;
		if (fill) {
			memcpy(&key->tp_src, h, 4); /* and tp_dst */
			key->tcp_flags = ntohs(pl_ld16(h + 12)) & 0x0fff;
		}
		break;
	case 17:
		if (avail < 8)
			return DP_DROP_TRUNC_L4;
		ulen = ntohs(pl_ld16(h + 4));
		if (ulen < 8 || ulen > avail)
			return DP_DROP_TRUNC_L4;
		if (fill) {
			memcpy(&key->tp_src, h, 4); /* and tp_dst */
			/* RFC 3948: ESP in UDP 4500 has a non-zero SPI. */
			if (key->tp_dst == htons(4500) && ulen >= 16 &&
			    pl_ld32(h + 8) != 0)
				key->esp_spi = pl_ld32(h + 8);
		}
		break;
	case 1:
	case 58:
		if ((proto == 58) != is_v6)
			return 0;
		if (avail < 4)
			return DP_DROP_TRUNC_L4;
		if (fill) {
			key->tp_src = htons(h[0]);
			key->tp_dst = htons(h[1]);
		}
		break;
	case 50:
		if (avail < 8)
			return DP_DROP_TRUNC_L4;
		if (fill)
			key->esp_spi = pl_ld32(h);
		break;
	default:
		return 0;
	}
	m->l4_off = l4;
	return 0;
}

PL_INLINE int
pl_parse_ipv4(const uint8_t *p, uint32_t off, uint32_t len, struct dp_key *key,
	      struct pl_meta *m, const bool fill)
{
	const uint8_t *ip = p + off;
	uint32_t avail = len - off;
	uint32_t ihl, tot;
	uint16_t frag;

	if (avail < 20)
		return DP_DROP_BAD_IPV4;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if ((ip[0] >> 4) != 4 || ihl < 20 || ihl > avail)
		return DP_DROP_BAD_IPV4;
	tot = ntohs(pl_ld16(ip + 2));
	if (tot < ihl || tot > avail)
		return DP_DROP_BAD_IPV4;
	frag = ntohs(pl_ld16(ip + 6));
	m->l3 = PL_L3_IPV4;
	m->shape = PL_SHAPE_IPV4;
	m->l3_off = off;
	m->l3_end = off + tot;
	if (fill) {
		/* nw_src, nw_dst: adjacent in the header and in the key. */
		memcpy(&key->nw_src, ip + 12, 8);
		key->nw_proto = ip[9];
		key->nw_tos = ip[1];
		key->nw_ttl = ip[8];
	}
	if (frag & 0x3fff) {
		if (frag & 0x1fff) {
			if (fill)
				key->nw_frag = DP_FRAG_ANY | DP_FRAG_LATER;
			return 0;
		}
		if (fill)
			key->nw_frag = DP_FRAG_ANY;
	}
	return pl_parse_l4(p, off + ihl, off + tot, ip[9], false, key, m, fill);
}

PL_INLINE int
pl_parse_ipv6(const uint8_t *p, uint32_t off, uint32_t len, struct dp_key *key,
	      struct pl_meta *m, const bool fill)
{
	const uint8_t *ip = p + off;
	uint32_t avail = len - off;
	uint32_t cur, end, elen;
	uint16_t fo;
	uint8_t nh;

	if (avail < 40 || (ip[0] >> 4) != 6)
		return DP_DROP_BAD_IPV6;
	end = 40 + (uint32_t)ntohs(pl_ld16(ip + 4));
	if (end > avail)
		return DP_DROP_BAD_IPV6;
	cur = off + 40;
	end += off;
	nh = ip[6];
	m->l3 = PL_L3_IPV6;
	m->shape = PL_SHAPE_IPV6;
	m->l3_off = off;
	m->l3_end = end;
	if (fill) {
		memcpy(key->ipv6_src, ip + 8, 16);
		memcpy(key->ipv6_dst, ip + 24, 16);
		key->nw_tos = (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4);
		key->nw_ttl = ip[7];
	}
	for (unsigned n = 0;; n++) {
		if (nh != 0 && nh != 43 && nh != 60 && nh != 51 && nh != 44)
			break;
		/* RFC 8200 4.1: hop-by-hop only first; bounded chain. */
		if ((nh == 0 && n != 0) || n >= PL_IPV6_EXT_MAX ||
		    end - cur < 8)
			return DP_DROP_BAD_IPV6;
		if (nh == 44) {
			fo = ntohs(pl_ld16(p + cur + 2));
			nh = p[cur];
			cur += 8;
			if (fo & 0xfff9) {
				if (fill)
					key->nw_frag = DP_FRAG_ANY;
				if (fo & 0xfff8) {
					if (fill) {
						key->nw_frag |= DP_FRAG_LATER;
						key->nw_proto = nh;
					}
					return 0;
				}
			}
			continue;
		}
		if (nh == 51)
			elen = ((uint32_t)p[cur + 1] + 2) * 4;
		else
			elen = ((uint32_t)p[cur + 1] + 1) * 8;
		if (elen > end - cur)
			return DP_DROP_BAD_IPV6;
		nh = p[cur];
		cur += elen;
	}
	if (fill)
		key->nw_proto = nh;
	return pl_parse_l4(p, cur, end, nh, true, key, m, fill);
}

PL_INLINE int
pl_parse_arp(const uint8_t *p, uint32_t off, uint32_t len, struct dp_key *key,
	     struct pl_meta *m, const bool fill)
{
	const uint8_t *a = p + off;
	uint32_t avail = len - off;

	if (avail < 8)
		return DP_DROP_TRUNC_ARP;
	if (pl_ld16(a) != htons(1) || pl_ld16(a + 2) != htons(0x0800) ||
	    a[4] != 6 || a[5] != 4)
		return 0;
	if (avail < 28)
		return DP_DROP_TRUNC_ARP;
	m->l3 = PL_L3_ARP;
	m->shape = PL_SHAPE_ARP;
	m->l3_off = off;
	m->l3_end = off + 28;
	if (fill) {
		key->nw_proto = a[7];
		memcpy(key->arp_sha, a + 8, 6);
		key->nw_src = pl_ld32(a + 14);
		memcpy(key->arp_tha, a + 18, 6);
		key->nw_dst = pl_ld32(a + 24);
	}
	return 0;
}

/*
 * Parse a frame. With fill, key is fully (re)written, in_port set and
 * every other metadata field zero. Returns 0 or an enum dp_drop_reason.
 */
PL_INLINE int
pl_parse(const uint8_t *p, uint32_t len, uint32_t in_port, struct dp_key *key,
	 struct pl_meta *m, const bool fill)
{
	uint32_t off = 14;
	uint16_t type;

	m->l3 = PL_L3_NONE;
	m->shape = PL_SHAPE_L2;
	m->l3_off = 0;
	m->l4_off = 0;
	m->l3_end = len;
	if (fill) {
		pl_key_zero(key);
		key->in_port = in_port;
	}
	if (len < 14)
		return DP_DROP_TRUNC_ETH;
	type = pl_ld16(p + 12);
	if (fill) {
		memcpy(key->eth_dst, p, 6);
		memcpy(key->eth_src, p + 6, 6);
	}
	if (type == htons(0x8100)) {
		if (len < 18)
			return DP_DROP_TRUNC_VLAN;
		if (fill)
			key->vlan_tci =
				pl_ld16(p + 14) | htons(DP_VLAN_PRESENT);
		type = pl_ld16(p + 16);
		off = 18;
		if (type == htons(0x8100) || type == htons(0x88a8))
			return DP_DROP_BAD_VLAN;
	} else if (type == htons(0x88a8)) {
		return DP_DROP_BAD_VLAN;
	}
	m->l2_len = off;
	if (fill)
		key->eth_type = type;
	if (type == htons(0x0800))
		return pl_parse_ipv4(p, off, len, key, m, fill);
	if (type == htons(0x86dd))
		return pl_parse_ipv6(p, off, len, key, m, fill);
	if (type == htons(0x0806))
		return pl_parse_arp(p, off, len, key, m, fill);
	return 0;
}

#endif /* SLUICE_PL_PARSE_H */
