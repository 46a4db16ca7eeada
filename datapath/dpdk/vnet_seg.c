/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vnet_seg.c: segmentation of TSO/GSO super-frames and checksum
 * completion for frames received with a virtio-net header (vnet_seg.h).
 *
 * What a segment gets, as the kernel's own GSO (tcp_gso_segment,
 * __udp_gso_segment) would give it:
 *   - the super-frame's Ethernet (and one 802.1Q tag), IP and TCP/UDP
 *     headers, with its share of the payload (gso_size bytes, the last
 *     one the rest);
 *   - IPv4: total length of the segment, identification + i, the header
 *     checksum again; IPv6: payload length;
 *   - TCP: sequence number + i * gso_size; FIN and PSH on the last segment
 *     only, CWR on the first only;
 *   - UDP: its length;
 *   - the TCP/UDP checksum over the pseudo-header and the whole segment
 *     (the super-frame's field holds only the pseudo-header's partial sum).
 */
#include <stdbool.h>
#include <string.h>

#include "vnet_seg.h"

enum {
	ETH_HLEN_ = 14,
	VLAN_TPID = 0x8100,
	ET_IPV4 = 0x0800,
	ET_IPV6 = 0x86dd,
	IP4_HLEN = 20,
	IP6_HLEN = 40,
	PROTO_TCP = 6,
	PROTO_UDP = 17,
	TCP_HLEN = 20,
	UDP_HLEN = 8,
	TCP_FIN = 0x01,
	TCP_PSH = 0x08,
	TCP_CWR = 0x80,
};

static const char *const vnet_seg_errs[VNET_SEG_E_MAX] = {
	[VNET_SEG_OK] = "ok",
	[VNET_SEG_E_SHORT] = "frame shorter than an ethernet header",
	[VNET_SEG_E_ETHERTYPE] = "gso frame is not ipv4 or ipv6",
	[VNET_SEG_E_IP] = "ip header cut or malformed",
	[VNET_SEG_E_IP_FRAG] = "gso frame is an ipv4 fragment",
	[VNET_SEG_E_IP6_EXT] = "gso frame has ipv6 extension headers",
	[VNET_SEG_E_PROTO] = "gso type does not match the ip header",
	[VNET_SEG_E_L4] = "tcp/udp header cut or malformed",
	[VNET_SEG_E_GSO_TYPE] = "unsupported gso type",
	[VNET_SEG_E_GSO_SIZE] = "gso size 0",
	[VNET_SEG_E_SEGS] = "too many segments",
	[VNET_SEG_E_CSUM] = "checksum offsets beyond the frame",
	[VNET_SEG_E_BIG] = "segment over 65535 bytes of ip",
};

const char *
vnet_seg_err_name(int err)
{
	if (err < 0 || err >= VNET_SEG_E_MAX)
		return "?";
	return vnet_seg_errs[err];
}

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

/*
 * Sum of buf as native 32-bit words (RFC 1071: the ones' complement sum
 * does not depend on byte order, so the folded result stored in memory
 * order is the checksum in network order). buf starts an even offset of
 * the checksummed data; a tail of 1 to 3 bytes is padded with zeros.
 */
static uint64_t
csum_add(const uint8_t *buf, size_t len, uint64_t sum)
{
	uint32_t w;

	while (len >= 16) {
		uint32_t a, b, c, d;

		memcpy(&a, buf, 4);
		memcpy(&b, buf + 4, 4);
		memcpy(&c, buf + 8, 4);
		memcpy(&d, buf + 12, 4);
		sum += (uint64_t)a + b + c + d;
		buf += 16;
		len -= 16;
	}
	while (len >= 4) {
		memcpy(&w, buf, 4);
		sum += w;
		buf += 4;
		len -= 4;
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, buf, len);
		sum += w;
	}
	return sum;
}

static uint16_t
csum_fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}

uint16_t
vnet_csum_fold(const uint8_t *buf, size_t len, uint64_t sum)
{
	return csum_fold64(csum_add(buf, len, sum));
}

/* Store ~sum at p (memory order); 0 becomes 0xffff (UDP's "no checksum"
 * must not appear, and TCP takes either). */
static void
csum_store(uint8_t *p, uint16_t folded)
{
	uint16_t c = (uint16_t)~folded;

	if (c == 0)
		c = 0xffff;
	memcpy(p, &c, 2);
}

/* The L3 offset and ethertype after at most one 802.1Q tag. */
static int
eth_l3(const uint8_t *f, size_t len, uint32_t *l3, uint16_t *et)
{
	if (len < ETH_HLEN_)
		return VNET_SEG_E_SHORT;
	*et = rd16(f + 12);
	*l3 = ETH_HLEN_;
	if (*et == VLAN_TPID) {
		if (len < ETH_HLEN_ + 4)
			return VNET_SEG_E_SHORT;
		*et = rd16(f + 16);
		*l3 = ETH_HLEN_ + 4;
	}
	return VNET_SEG_OK;
}

static int
plan_split(const struct vnet_hdr *h, const uint8_t *f, size_t len,
	   struct vnet_seg_plan *p)
{
	uint8_t type = h->gso_type & (uint8_t)~VNET_GSO_ECN;
	uint32_t l3, l4, l4len, n;
	uint16_t et;
	uint8_t proto;
	int rc;

	if (type != VNET_GSO_TCPV4 && type != VNET_GSO_TCPV6 &&
	    type != VNET_GSO_UDP_L4)
		return VNET_SEG_E_GSO_TYPE;
	if (h->gso_size == 0)
		return VNET_SEG_E_GSO_SIZE;
	rc = eth_l3(f, len, &l3, &et);
	if (rc != VNET_SEG_OK)
		return rc;
	if (et == ET_IPV4) {
		const uint8_t *ip = f + l3;
		uint32_t ihl;

		if (type == VNET_GSO_TCPV6)
			return VNET_SEG_E_PROTO;
		if (len < l3 + IP4_HLEN || ip[0] >> 4 != 4)
			return VNET_SEG_E_IP;
		ihl = (uint32_t)(ip[0] & 0xf) * 4;
		if (ihl < IP4_HLEN || len < l3 + ihl)
			return VNET_SEG_E_IP;
		if ((rd16(ip + 6) & 0x3fff) != 0) /* MF or an offset */
			return VNET_SEG_E_IP_FRAG;
		proto = ip[9];
		l4 = l3 + ihl;
		p->is_v6 = 0;
	} else if (et == ET_IPV6) {
		const uint8_t *ip = f + l3;

		if (type == VNET_GSO_TCPV4)
			return VNET_SEG_E_PROTO;
		if (len < l3 + IP6_HLEN || ip[0] >> 4 != 6)
			return VNET_SEG_E_IP;
		proto = ip[6];
		if (proto != PROTO_TCP && proto != PROTO_UDP)
			return VNET_SEG_E_IP6_EXT;
		l4 = l3 + IP6_HLEN;
		p->is_v6 = 1;
	} else {
		return VNET_SEG_E_ETHERTYPE;
	}
	if (proto != (type == VNET_GSO_UDP_L4 ? PROTO_UDP : PROTO_TCP))
		return VNET_SEG_E_PROTO;
	if (proto == PROTO_TCP) {
		if (len < l4 + TCP_HLEN)
			return VNET_SEG_E_L4;
		l4len = (uint32_t)(f[l4 + 12] >> 4) * 4;
		if (l4len < TCP_HLEN || len < l4 + l4len)
			return VNET_SEG_E_L4;
	} else {
		l4len = UDP_HLEN;
		if (len < l4 + l4len)
			return VNET_SEG_E_L4;
	}
	p->kind = VNET_SEG_SPLIT;
	p->l4_proto = proto;
	p->l3_off = l3;
	p->l4_off = l4;
	p->hdr_len = l4 + l4len;
	p->pay_len = (uint32_t)len - p->hdr_len;
	p->gso_size = h->gso_size;
	n = (p->pay_len + p->gso_size - 1) / p->gso_size;
	if (n == 0)
		n = 1;
	if (n > VNET_SEG_MAX)
		return VNET_SEG_E_SEGS;
	p->n = (uint16_t)n;
	p->max_len = p->hdr_len +
		     (p->pay_len < p->gso_size ? p->pay_len : p->gso_size);
	if (p->max_len - l3 > 0xffff)
		return VNET_SEG_E_BIG;
	return VNET_SEG_OK;
}

int
vnet_seg_plan(const struct vnet_hdr *h, const uint8_t *frame, size_t len,
	      struct vnet_seg_plan *p)
{
	memset(p, 0, sizeof(*p));
	if (len < ETH_HLEN_)
		return VNET_SEG_E_SHORT;
	if (h->gso_type != VNET_GSO_NONE)
		return plan_split(h, frame, len, p);
	p->n = 1;
	p->max_len = (uint32_t)len;
	if (!(h->flags & VNET_F_NEEDS_CSUM)) {
		p->kind = VNET_SEG_PASS;
		return VNET_SEG_OK;
	}
	if ((size_t)h->csum_start + h->csum_offset + 2 > len)
		return VNET_SEG_E_CSUM;
	p->kind = VNET_SEG_CSUM;
	p->csum_start = h->csum_start;
	p->csum_offset = h->csum_offset;
	return VNET_SEG_OK;
}

/* The pseudo-header's sum for an L4 segment of l4len bytes. */
static uint64_t
pseudo_sum2(int is_v6, const uint8_t *ip, uint8_t proto, uint32_t l4len)
{
	uint8_t ph[40];

	if (!is_v6) {
		memcpy(ph, ip + 12, 8);
		ph[8] = 0;
		ph[9] = proto;
		wr16(ph + 10, (uint16_t)l4len);
		return csum_add(ph, 12, 0);
	}
	memcpy(ph, ip + 8, 32);
	wr32(ph + 32, l4len);
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = proto;
	return csum_add(ph, 40, 0);
}

static uint64_t
pseudo_sum(const struct vnet_seg_plan *p, const uint8_t *ip, uint32_t l4len)
{
	return pseudo_sum2(p->is_v6, ip, p->l4_proto, l4len);
}

uint16_t
vnet_pseudo_fold(int is_v6, const uint8_t *ip, uint8_t proto, uint32_t l4len)
{
	return csum_fold64(pseudo_sum2(is_v6, ip, proto, l4len));
}

size_t
vnet_seg_emit(const struct vnet_seg_plan *p, const uint8_t *frame, size_t len,
	      unsigned i, uint8_t *out)
{
	uint32_t off, chunk, l4len;
	uint8_t *ip, *l4;
	uint16_t c;

	if (p->kind != VNET_SEG_SPLIT) {
		memcpy(out, frame, len);
		if (p->kind == VNET_SEG_CSUM) {
			uint8_t *f = out + p->csum_start + p->csum_offset;

			c = vnet_csum_fold(out + p->csum_start,
					   len - p->csum_start, 0);
			csum_store(f, c);
		}
		return len;
	}
	off = i * p->gso_size;
	chunk = p->pay_len - off < p->gso_size ? p->pay_len - off : p->gso_size;
	memcpy(out, frame, p->hdr_len);
	memcpy(out + p->hdr_len, frame + p->hdr_len + off, chunk);
	ip = out + p->l3_off;
	l4 = out + p->l4_off;
	l4len = p->hdr_len - p->l4_off + chunk;
	if (!p->is_v6) {
		uint32_t ihl = p->l4_off - p->l3_off;

		wr16(ip + 2, (uint16_t)(ihl + l4len));
		wr16(ip + 4, (uint16_t)(rd16(ip + 4) + i));
		ip[10] = ip[11] = 0;
		c = vnet_csum_fold(ip, ihl, 0);
		c = (uint16_t)~c;
		memcpy(ip + 10, &c, 2);
	} else {
		wr16(ip + 4, (uint16_t)l4len);
	}
	if (p->l4_proto == PROTO_TCP) {
		uint8_t fl = l4[13];

		wr32(l4 + 4, rd32(l4 + 4) + off);
		if (i + 1 < p->n)
			fl &= (uint8_t) ~(TCP_FIN | TCP_PSH);
		if (i > 0)
			fl &= (uint8_t)~TCP_CWR;
		l4[13] = fl;
		l4[16] = l4[17] = 0;
		c = vnet_csum_fold(l4, l4len, pseudo_sum(p, ip, l4len));
		csum_store(l4 + 16, c);
	} else {
		wr16(l4 + 4, (uint16_t)l4len);
		l4[6] = l4[7] = 0;
		c = vnet_csum_fold(l4, l4len, pseudo_sum(p, ip, l4len));
		csum_store(l4 + 6, c);
	}
	return p->hdr_len + chunk;
}

/* A TCP segment or UDP datagram a run can hold: offsets, or false. */
struct gro_seg {
	uint32_t l4, hl, pay, seq;
	uint8_t is_v6, flags, proto;
};

static bool
gro_parse(const uint8_t *f, uint32_t len, struct gro_seg *s)
{
	uint32_t l4, tot, doff;

	if (len < ETH_HLEN_ + IP4_HLEN + UDP_HLEN)
		return false;
	switch (rd16(f + 12)) {
	case ET_IPV4:
		s->proto = f[14 + 9];
		if (f[14] != 0x45 ||
		    (s->proto != PROTO_TCP && s->proto != PROTO_UDP) ||
		    (rd16(f + 14 + 6) & 0x3fff) != 0)
			return false;
		tot = rd16(f + 14 + 2);
		if (tot < IP4_HLEN + UDP_HLEN || ETH_HLEN_ + tot > len)
			return false;
		l4 = ETH_HLEN_ + IP4_HLEN;
		len = ETH_HLEN_ + tot; /* without Ethernet padding */
		s->is_v6 = 0;
		break;
	case ET_IPV6:
		s->proto = f[14 + 6];
		if (len < ETH_HLEN_ + IP6_HLEN + UDP_HLEN || f[14] >> 4 != 6 ||
		    (s->proto != PROTO_TCP && s->proto != PROTO_UDP))
			return false;
		tot = rd16(f + 14 + 4);
		l4 = ETH_HLEN_ + IP6_HLEN;
		if (tot < UDP_HLEN || l4 + tot > len)
			return false;
		len = l4 + tot;
		s->is_v6 = 1;
		break;
	default:
		return false;
	}
	if (s->proto == PROTO_UDP) {
		/* Its length must be the IP payload's. */
		if (rd16(f + l4 + 4) != len - l4)
			return false;
		s->flags = 0x10; /* as if ACK: the TCP tests below pass */
		doff = UDP_HLEN;
		s->seq = 0;
	} else {
		if (len < l4 + TCP_HLEN)
			return false;
		doff = (uint32_t)(f[l4 + 12] >> 4) * 4;
		if (doff < TCP_HLEN || l4 + doff > len)
			return false;
		s->flags = f[l4 + 13];
		s->seq = rd32(f + l4 + 4);
	}
	if ((s->flags & ~TCP_PSH) != 0x10) /* ACK, perhaps PSH, nothing else */
		return false;
	s->l4 = l4;
	s->hl = l4 + doff;
	s->pay = len - s->hl;
	return s->pay > 0;
}

/* b continues a's flow: every header byte the same but those that vary. */
static bool
gro_same(const uint8_t *a, const uint8_t *b, const struct gro_seg *s)
{
	const uint8_t *ta = a + s->l4, *tb = b + s->l4;

	if (memcmp(a, b, 14) != 0)
		return false;
	if (!s->is_v6) {
		/* tos; flags (DF); ttl, protocol; addresses */
		if (a[15] != b[15] || a[20] != b[20] ||
		    memcmp(a + 22, b + 22, 2) != 0 ||
		    memcmp(a + 26, b + 26, 8) != 0)
			return false;
	} else if (memcmp(a + 14, b + 14, 4) != 0 ||
		   memcmp(a + 20, b + 20, 34) != 0) {
		return false;
	}
	if (s->proto == PROTO_UDP) /* ports; length and checksum vary */
		return memcmp(ta, tb, 4) == 0;
	/* ports; ack; data offset; window; urgent; options */
	return memcmp(ta, tb, 4) == 0 && memcmp(ta + 8, tb + 8, 5) == 0 &&
	       memcmp(ta + 14, tb + 14, 2) == 0 &&
	       memcmp(ta + 18, tb + 18, s->hl - s->l4 - 18) == 0;
}

unsigned
vnet_gro_run(uint8_t *const *f, const uint32_t *len, unsigned n, unsigned max_n,
	     struct vnet_gro *g)
{
	struct gro_seg a, prev, b;
	uint32_t ip_len;
	unsigned k = 1;

	memset(g, 0, sizeof(*g));
	if (n == 0 || !gro_parse(f[0], len[0], &a))
		return 1;
	prev = a;
	ip_len = a.hl - ETH_HLEN_ + a.pay;
	while (k < n && k < max_n && !(prev.flags & TCP_PSH) &&
	       prev.pay == a.pay && gro_parse(f[k], len[k], &b) &&
	       b.is_v6 == a.is_v6 && b.proto == a.proto && b.hl == a.hl &&
	       b.pay <= a.pay &&
	       (a.proto == PROTO_UDP || b.seq == prev.seq + prev.pay) &&
	       ip_len + b.pay <= 0xffff && gro_same(f[0], f[k], &a)) {
		ip_len += b.pay;
		prev = b;
		k++;
	}
	g->is_v6 = a.is_v6;
	g->l4_proto = a.proto;
	g->psh = prev.flags & TCP_PSH;
	g->l4_off = a.l4;
	g->hdr_len = a.hl;
	g->mss = a.pay;
	g->pay_len = ip_len - (a.hl - ETH_HLEN_);
	return k;
}

void
vnet_gro_patch(uint8_t *f0, const struct vnet_gro *g, struct vnet_hdr *h)
{
	uint8_t *ip = f0 + ETH_HLEN_, *th = f0 + g->l4_off;
	uint32_t l4len = g->hdr_len - g->l4_off + g->pay_len;
	uint16_t c;

	if (!g->is_v6) {
		wr16(ip + 2, (uint16_t)(IP4_HLEN + l4len));
		ip[10] = ip[11] = 0;
		c = (uint16_t)~vnet_csum_fold(ip, IP4_HLEN, 0);
		memcpy(ip + 10, &c, 2);
	} else {
		wr16(ip + 4, (uint16_t)l4len);
	}
	c = vnet_pseudo_fold(g->is_v6, ip, g->l4_proto, l4len);
	memset(h, 0, sizeof(*h));
	if (g->l4_proto == PROTO_UDP) {
		wr16(th + 4, (uint16_t)l4len);
		memcpy(th + 6, &c, 2);
		h->gso_type = VNET_GSO_UDP_L4;
		h->csum_offset = 6;
	} else {
		th[13] |= g->psh;
		memcpy(th + 16, &c, 2);
		h->gso_type = g->is_v6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4;
		h->csum_offset = 16;
	}
	h->flags = VNET_F_NEEDS_CSUM;
	h->hdr_len = (uint16_t)g->hdr_len;
	h->gso_size = (uint16_t)g->mss;
	h->csum_start = (uint16_t)g->l4_off;
}

uint32_t
vnet_gro_pay(const uint8_t *f, const struct vnet_gro *g)
{
	if (!g->is_v6)
		return ETH_HLEN_ + rd16(f + ETH_HLEN_ + 2) - g->hdr_len;
	return ETH_HLEN_ + IP6_HLEN + rd16(f + ETH_HLEN_ + 4) - g->hdr_len;
}
