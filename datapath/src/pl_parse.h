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
 *
 * Speed: the key is zeroed with 8 vector stores and then written as whole
 * 64-bit words (pl_st64; pl_kor on rare paths), never field by field, and
 * word 9 is composed in a register before it is stored, so the hash that
 * reads the words right after is forwarded from the stores without a
 * stall. Word layouts are dp_flow.h's, on a little-endian host.
 */
#ifndef SLUICE_PL_PARSE_H
#define SLUICE_PL_PARSE_H

#include <arpa/inet.h>
#include <string.h>

#include "pl_int.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "pl_parse.h composes key words for a little-endian host"
#endif

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

PL_INLINE uint64_t
pl_ld64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* 6 bytes at p into the low 48 bits (reads p[0..7]: caller checks room). */
PL_INLINE uint64_t
pl_ld48(const uint8_t *p)
{
	return pl_ld64(p) & 0xffffffffffffULL;
}

PL_INLINE void
pl_st64(struct dp_key *key, unsigned i, uint64_t v)
{
	memcpy((char *)key + 8 * i, &v, 8);
}

PL_INLINE uint64_t
pl_ldk(const struct dp_key *key, unsigned i)
{
	uint64_t v;

	memcpy(&v, (const char *)key + 8 * i, 8);
	return v;
}

PL_INLINE void
pl_kor(struct dp_key *key, unsigned i, uint64_t v)
{
	pl_st64(key, i, pl_ldk(key, i) | v);
}

/*
 * Field positions inside the key words (dp_flow.h): word 9 is tp_src,
 * tp_dst, nw_proto, nw_tos, nw_ttl, nw_frag; word 10 esp_spi, tcp_flags.
 */
#define PL_W9_PROTO(x) ((uint64_t)(x) << 32)
#define PL_W9_TOS(x) ((uint64_t)(x) << 40)
#define PL_W9_TTL(x) ((uint64_t)(x) << 48)
#define PL_W9_FRAG(x) ((uint64_t)(x) << 56)
#define PL_W10_FLAGS(x) ((uint64_t)(x) << 32)

/*
 * L4 header at l4, datagram ends at end (end >= l4). w9 is key word 9 as
 * the L3 parser left it (already stored): the ports are stored with it,
 * not read back from the key.
 */
PL_INLINE int
pl_parse_l4(const uint8_t *p, uint32_t l4, uint32_t end, uint8_t proto,
	    bool is_v6, struct dp_key *key, struct pl_meta *m, const bool fill,
	    uint64_t w9)
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
			pl_st64(key, 9, w9 | pl_ld32(h)); /* tp_src, tp_dst */
			pl_st64(key, 10,
				PL_W10_FLAGS(ntohs(pl_ld16(h + 12)) & 0x0fff));
		}
		break;
	case 17:
		if (avail < 8)
			return DP_DROP_TRUNC_L4;
		ulen = ntohs(pl_ld16(h + 4));
		/* A first fragment holds only part of the datagram. */
		if (ulen < 8 ||
		    (ulen > avail && !(w9 & PL_W9_FRAG(DP_FRAG_ANY))))
			return DP_DROP_TRUNC_L4;
		if (fill) {
			pl_st64(key, 9, w9 | pl_ld32(h)); /* tp_src, tp_dst */
			/* RFC 3948: ESP in UDP 4500 has a non-zero SPI. */
			if (pl_ld16(h + 2) == htons(4500) && ulen >= 16)
				pl_st64(key, 10, pl_ld32(h + 8));
		}
		break;
	case 1:
	case 58:
		if ((proto == 58) != is_v6)
			return 0;
		if (avail < 4)
			return DP_DROP_TRUNC_L4;
		if (fill)
			pl_st64(key, 9,
				w9 | (uint64_t)h[0] << 8 |
					(uint64_t)h[1] << 24);
		break;
	case 50:
		if (avail < 8)
			return DP_DROP_TRUNC_L4;
		if (fill)
			pl_st64(key, 10, pl_ld32(h));
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
	uint64_t w9 = 0;
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
		pl_st64(key, 4, pl_ld64(ip + 12));
		w9 = PL_W9_PROTO(ip[9]) | PL_W9_TOS(ip[1]) | PL_W9_TTL(ip[8]);
	}
	if (frag & 0x3fff) {
		w9 |= PL_W9_FRAG(DP_FRAG_ANY);
		if (frag & 0x1fff) {
			if (fill)
				pl_st64(key, 9, w9 | PL_W9_FRAG(DP_FRAG_LATER));
			return 0;
		}
	}
	if (fill)
		pl_st64(key, 9, w9);
	return pl_parse_l4(p, off + ihl, off + tot, ip[9], false, key, m, fill,
			   w9);
}

PL_INLINE int
pl_parse_ipv6(const uint8_t *p, uint32_t off, uint32_t len, struct dp_key *key,
	      struct pl_meta *m, const bool fill)
{
	const uint8_t *ip = p + off;
	uint32_t avail = len - off;
	uint32_t cur, end, elen;
	uint64_t fw = 0; /* a first fragment, for pl_parse_l4 without fill */
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
		pl_st64(key, 5, pl_ld64(ip + 8));
		pl_st64(key, 6, pl_ld64(ip + 16));
		pl_st64(key, 7, pl_ld64(ip + 24));
		pl_st64(key, 8, pl_ld64(ip + 32));
		pl_st64(key, 9,
			PL_W9_TOS((ip[0] & 0x0f) << 4 | ip[1] >> 4) |
				PL_W9_TTL(ip[7]));
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
				fw = PL_W9_FRAG(DP_FRAG_ANY);
				if (fill)
					pl_kor(key, 9, PL_W9_FRAG(DP_FRAG_ANY));
				if (fo & 0xfff8) {
					if (fill)
						pl_kor(key, 9,
						       PL_W9_FRAG(
							       DP_FRAG_LATER) |
							       PL_W9_PROTO(nh));
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
		pl_kor(key, 9, PL_W9_PROTO(nh));
	return pl_parse_l4(p, cur, end, nh, true, key, m, fill,
			   fill ? pl_ldk(key, 9) : fw);
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
		/* 28 bytes checked: the 8-byte loads end by a + 26. */
		pl_st64(key, 9, PL_W9_PROTO(a[7]));
		pl_st64(key, 11, pl_ld48(a + 8));
		pl_st64(key, 4,
			pl_ld32(a + 14) | (uint64_t)pl_ld32(a + 24) << 32);
		pl_st64(key, 12, pl_ld48(a + 18));
	}
	return 0;
}

/*
 * Parse a frame into the key, written as whole 64-bit words.
 * Returns 0 or an enum dp_drop_reason; on a drop, the words hold what was
 * parsed before the bad header.
 */
PL_INLINE int
pl_parse_kw(const uint8_t *p, uint32_t len, uint32_t in_port,
	    struct dp_key *key, struct pl_meta *m, const bool fill)
{
	uint32_t off = 14;
	uint16_t type, tci = 0;
	int rc = 0;

	m->l3 = PL_L3_NONE;
	m->shape = PL_SHAPE_L2;
	m->l3_off = 0;
	m->l4_off = 0;
	m->l3_end = len;
	if (fill) {
		pl_key_zero(key);
		pl_st64(key, 0, in_port);
	}
	if (len < 14)
		return DP_DROP_TRUNC_ETH;
	type = pl_ld16(p + 12);
	if (type == htons(0x8100)) {
		if (len < 18) {
			rc = DP_DROP_TRUNC_VLAN;
		} else {
			tci = pl_ld16(p + 14) | htons(DP_VLAN_PRESENT);
			type = pl_ld16(p + 16);
			off = 18;
			if (type == htons(0x8100) || type == htons(0x88a8))
				rc = DP_DROP_BAD_VLAN;
		}
	} else if (type == htons(0x88a8)) {
		rc = DP_DROP_BAD_VLAN;
	}
	if (rc != 0)
		type = 0; /* eth_type stays 0 in a dropped frame's key */
	if (fill) {
		pl_st64(key, 2, pl_ld48(p) | (uint64_t)type << 48);
		pl_st64(key, 3, pl_ld48(p + 6) | (uint64_t)tci << 48);
	}
	if (rc != 0)
		return rc;
	m->l2_len = off;
	if (type == htons(0x0800))
		return pl_parse_ipv4(p, off, len, key, m, fill);
	if (type == htons(0x86dd))
		return pl_parse_ipv6(p, off, len, key, m, fill);
	if (type == htons(0x0806))
		return pl_parse_arp(p, off, len, key, m, fill);
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
	return pl_parse_kw(p, len, in_port, key, m, fill);
}

#endif /* SLUICE_PL_PARSE_H */
