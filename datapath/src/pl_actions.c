/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pl_actions.c: the actions that rewrite a packet (set_field, push/pop
 * VLAN, dec_ttl, VXLAN encap/decap, ARP reply, ND reply). Each one changes the
 * frame and the flow key together, so later tables see the new fields.
 * Outputs, punts, drops and goto_table are the executor's (pl_worker.c).
 *
 * Checksums are updated incrementally (RFC 1624, eqn. 3): the IPv4 header
 * checksum, and the TCP, UDP and ICMPv6 checksums over the pseudo-header
 * (RFC 768, RFC 793, RFC 8200 8.1). A zero UDP-over-IPv4 checksum means
 * "none" and stays zero. A field whose header the frame lacks (nw_src on
 * an IPv6 frame, tp_src without a TCP/UDP header, ICMP type/code) changes
 * only the key.
 *
 * Hot path: no allocation; only memmove within the packet's headroom.
 */
#include <arpa/inet.h>
#include <string.h>

#include "pl_int.h"
#include "pl_parse.h"

static inline void
st16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static inline void
st32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static inline uint16_t
csum_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), words in memory order. */
static uint16_t
csum_replace(uint16_t hc, const uint8_t *old, const uint8_t *new, size_t n)
{
	uint32_t s = (uint16_t)~hc;

	for (size_t i = 0; i < n; i += 2) {
		s += (uint16_t)~pl_ld16(old + i);
		s += pl_ld16(new + i);
	}
	return (uint16_t)~csum_fold(csum_fold(s));
}

/* Update the L4 checksum for a change in covered bytes (n even). */
static void
l4_csum_update(struct pl_pctx *c, const uint8_t *old, const uint8_t *new,
	       size_t n, bool is_pseudo)
{
	uint8_t *l4 = c->pkt->data + c->m.l4_off;
	uint16_t cs;

	if (c->m.l4_off == 0)
		return;
	switch (c->key.nw_proto) {
	case 6:
		st16(l4 + 16, csum_replace(pl_ld16(l4 + 16), old, new, n));
		break;
	case 17:
		cs = pl_ld16(l4 + 6);
		if (cs == 0 && c->m.l3 == PL_L3_IPV4)
			break;
		cs = csum_replace(cs, old, new, n);
		st16(l4 + 6, cs == 0 ? 0xffff : cs);
		break;
	case 58:
		if (c->m.l3 == PL_L3_IPV6)
			st16(l4 + 2,
			     csum_replace(pl_ld16(l4 + 2), old, new, n));
		break;
	case 1:
		if (!is_pseudo && c->m.l3 == PL_L3_IPV4)
			st16(l4 + 2,
			     csum_replace(pl_ld16(l4 + 2), old, new, n));
		break;
	default:
		break;
	}
}

/* Rewrite 4 bytes of the IPv4 header at off (address). */
static void
ipv4_set32(struct pl_pctx *c, unsigned off, const uint8_t *v)
{
	uint8_t *ip = c->pkt->data + c->m.l3_off;
	uint8_t old[4];

	memcpy(old, ip + off, 4);
	st16(ip + 10, csum_replace(pl_ld16(ip + 10), old, v, 4));
	l4_csum_update(c, old, v, 4, true);
	memcpy(ip + off, v, 4);
}

/* Rewrite one byte of the IPv4 header (TOS at 1, TTL at 8). */
static void
ipv4_set8(struct pl_pctx *c, unsigned off, uint8_t v)
{
	uint8_t *ip = c->pkt->data + c->m.l3_off;
	uint8_t old[2], new[2];

	memcpy(old, ip + (off & ~1u), 2);
	memcpy(new, old, 2);
	new[off & 1] = v;
	st16(ip + 10, csum_replace(pl_ld16(ip + 10), old, new, 2));
	ip[off] = v;
}

static void
set_ipv6_addr(struct pl_pctx *c, unsigned off, const uint8_t *v)
{
	uint8_t *ip = c->pkt->data + c->m.l3_off;
	uint8_t old[16];

	memcpy(old, ip + off, 16);
	l4_csum_update(c, old, v, 16, true);
	memcpy(ip + off, v, 16);
}

static void
set_port(struct pl_pctx *c, unsigned off, const uint8_t *v)
{
	uint8_t *l4 = c->pkt->data + c->m.l4_off;

	if (c->m.l4_off == 0 || (c->key.nw_proto != 6 && c->key.nw_proto != 17))
		return;
	l4_csum_update(c, l4 + off, v, 2, false);
	memcpy(l4 + off, v, 2);
}

static void
set_field(struct pl_pctx *c, const struct dp_action *a)
{
	const struct dp_field_info *fi = dp_field_info(a->u.set.field);
	const uint8_t *v = a->u.set.value;
	uint8_t *d = c->pkt->data;
	bool is_v4 = c->m.l3 == PL_L3_IPV4, is_v6 = c->m.l3 == PL_L3_IPV6;

	switch (a->u.set.field) {
	case DP_F_ETH_DST:
		memcpy(d, v, 6);
		break;
	case DP_F_ETH_SRC:
		memcpy(d + 6, v, 6);
		break;
	case DP_F_NW_SRC:
	case DP_F_NW_DST:
		if (is_v4)
			ipv4_set32(c, a->u.set.field == DP_F_NW_SRC ? 12 : 16,
				   v);
		else if (c->m.l3 == PL_L3_ARP)
			memcpy(d + c->m.l3_off +
				       (a->u.set.field == DP_F_NW_SRC ? 14
								      : 24),
			       v, 4);
		break;
	case DP_F_IPV6_SRC:
	case DP_F_IPV6_DST:
		if (is_v6)
			set_ipv6_addr(
				c, a->u.set.field == DP_F_IPV6_SRC ? 8 : 24, v);
		break;
	case DP_F_TP_SRC:
	case DP_F_TP_DST:
		set_port(c, a->u.set.field == DP_F_TP_SRC ? 0 : 2, v);
		break;
	case DP_F_NW_TOS:
		if (is_v4) {
			ipv4_set8(c, 1, v[0]);
		} else if (is_v6) {
			uint8_t *ip = d + c->m.l3_off;

			ip[0] = (uint8_t)((ip[0] & 0xf0) | v[0] >> 4);
			ip[1] = (uint8_t)((ip[1] & 0x0f) | (v[0] & 0x0f) << 4);
		}
		break;
	case DP_F_NW_TTL:
		if (is_v4)
			ipv4_set8(c, 8, v[0]);
		else if (is_v6)
			d[c->m.l3_off + 7] = v[0];
		break;
	default:
		break; /* metadata, registers, tunnel: key only */
	}
	memcpy((uint8_t *)&c->key + fi->offset, v, fi->size);
}

static void
shift_offsets(struct pl_pctx *c, int delta)
{
	c->m.l2_len = (uint32_t)((int)c->m.l2_len + delta);
	if (c->m.l3 != PL_L3_NONE) {
		c->m.l3_off = (uint32_t)((int)c->m.l3_off + delta);
		c->m.l3_end = (uint32_t)((int)c->m.l3_end + delta);
	}
	if (c->m.l4_off != 0)
		c->m.l4_off = (uint32_t)((int)c->m.l4_off + delta);
}

static int
push_vlan(struct pl_pctx *c, uint16_t tci)
{
	struct dp_packet *p = c->pkt;

	if (p->headroom < 4)
		return DP_DROP_NO_ROOM;
	p->data -= 4;
	p->headroom -= 4;
	p->len += 4;
	memmove(p->data, p->data + 4, 12);
	st16(p->data + 12, htons(0x8100));
	st16(p->data + 14, tci);
	shift_offsets(c, 4);
	c->key.vlan_tci = tci | htons(DP_VLAN_PRESENT);
	return 0;
}

static void
pop_vlan(struct pl_pctx *c)
{
	struct dp_packet *p = c->pkt;

	if (!(c->key.vlan_tci & htons(DP_VLAN_PRESENT)) || p->len < 18)
		return;
	memmove(p->data + 4, p->data, 12);
	p->data += 4;
	p->headroom += 4;
	p->len -= 4;
	shift_offsets(c, -4);
	c->key.vlan_tci = 0;
}

static int
dec_ttl(struct pl_pctx *c)
{
	uint8_t *ip = c->pkt->data + c->m.l3_off;

	if (c->m.l3 == PL_L3_IPV4) {
		if (ip[8] <= 1)
			return DP_DROP_TTL;
		ipv4_set8(c, 8, (uint8_t)(ip[8] - 1));
		c->key.nw_ttl = ip[8];
	} else if (c->m.l3 == PL_L3_IPV6) {
		if (ip[7] <= 1)
			return DP_DROP_TTL;
		ip[7]--;
		c->key.nw_ttl = ip[7];
	}
	return 0;
}

static int
arp_reply(struct pl_pctx *c, const uint8_t *mac)
{
	uint8_t *d = c->pkt->data, *a = d + c->m.l3_off;
	uint8_t sha[6], spa[4], tpa[4];

	if (c->m.l3 != PL_L3_ARP || pl_ld16(a + 6) != htons(1))
		return DP_DROP_BAD_ARP;
	memcpy(sha, a + 8, 6);
	memcpy(spa, a + 14, 4);
	memcpy(tpa, a + 24, 4);
	st16(a + 6, htons(2));
	memcpy(a + 8, mac, 6);
	memcpy(a + 14, tpa, 4);
	memcpy(a + 18, sha, 6);
	memcpy(a + 24, spa, 4);
	memcpy(d, d + 6, 6);
	memcpy(d + 6, mac, 6);
	c->key.nw_proto = 2;
	memcpy(c->key.arp_sha, mac, 6);
	memcpy(c->key.arp_tha, sha, 6);
	memcpy(&c->key.nw_src, tpa, 4);
	memcpy(&c->key.nw_dst, spa, 4);
	memcpy(c->key.eth_dst, d, 6);
	memcpy(c->key.eth_src, mac, 6);
	return 0;
}

enum { PL_NS_LEN = 24, PL_NA_LEN = 32 }; /* ICMPv6 bytes, RFC 4861 4.3/4.4 */

/*
 * RFC 4861 7.2.4: answer a neighbour solicitation with the solicited
 * advertisement for its target from mac (router, solicited and override
 * flags; the target link-layer address option). Only a valid NS is
 * answered (7.1.1: hop limit 255, code 0, ICMPv6 right after the IPv6
 * header, at least 24 bytes, target not multicast); a DAD probe (source
 * ::) is not answered, so that a duplicate address stays detectable.
 * Other frames are dropped as DP_DROP_BAD_ARP (the responders' reason).
 * The frame becomes 14 (+4) + 40 + 32 bytes; the tailroom covers an NS
 * that had no source link-layer option.
 */
static int
nd_reply(struct pl_pctx *c, const uint8_t *mac)
{
	static const uint8_t unspec[16];
	struct dp_packet *p = c->pkt;
	uint8_t *d = p->data, *ip = d + c->m.l3_off, *icmp = ip + 40;
	uint32_t sum = 0, need = c->m.l3_off + 40 + PL_NA_LEN;
	uint8_t target[16], src[16], smac[6];

	if (c->m.l3 != PL_L3_IPV6 || c->m.l4_off != c->m.l3_off + 40 ||
	    ip[6] != 58 || ip[7] != 255 ||
	    c->m.l3_end < c->m.l4_off + PL_NS_LEN || icmp[0] != 135 ||
	    icmp[1] != 0 || icmp[8] == 0xff || memcmp(ip + 8, unspec, 16) == 0)
		return DP_DROP_BAD_ARP;
	if (need > p->len + p->tailroom)
		return DP_DROP_NO_ROOM;
	memcpy(target, icmp + 8, 16);
	memcpy(src, ip + 8, 16);
	memcpy(smac, d + 6, 6);
	/* Ethernet: back to the sender, from mac (a VLAN tag stays). */
	memcpy(d, smac, 6);
	memcpy(d + 6, mac, 6);
	/* IPv6: target -> solicitor, hop limit 255, payload 32. */
	st16(ip + 4, htons(PL_NA_LEN));
	ip[7] = 255;
	memcpy(ip + 8, target, 16);
	memcpy(ip + 24, src, 16);
	/* ICMPv6 NA: type 136, R|S|O, target, option 2 (target MAC). */
	memset(icmp, 0, PL_NA_LEN);
	icmp[0] = 136;
	icmp[4] = 0xe0;
	memcpy(icmp + 8, target, 16);
	icmp[24] = 2;
	icmp[25] = 1;
	memcpy(icmp + 26, mac, 6);
	for (unsigned i = 0; i < 32; i += 2) /* pseudo-header addresses */
		sum += pl_ld16(ip + 8 + i);
	sum += htons(PL_NA_LEN) + htons(58);
	for (unsigned i = 0; i < PL_NA_LEN; i += 2)
		sum += pl_ld16(icmp + i);
	st16(icmp + 2, (uint16_t)~csum_fold(csum_fold(sum)));
	if (need > p->len)
		p->tailroom = (uint16_t)(p->tailroom - (need - p->len));
	else
		p->tailroom = (uint16_t)(p->tailroom + (p->len - need));
	p->len = need;
	c->m.l3_end = need;
	memcpy(c->key.eth_dst, d, 6);
	memcpy(c->key.eth_src, mac, 6);
	memcpy(c->key.ipv6_src, target, 16);
	memcpy(c->key.ipv6_dst, src, 16);
	c->key.tp_src = htons(136);
	c->key.tp_dst = 0;
	c->key.nw_ttl = 255;
	return 0;
}

/* Reparse after encap/decap, keeping the fields the frame does not hold. */
static int
reparse(struct pl_pctx *c)
{
	struct dp_key old = c->key;
	int rc;

	rc = pl_parse(c->pkt->data, c->pkt->len, old.in_port, &c->key, &c->m,
		      true);
	c->key.metadata = old.metadata;
	c->key.tun_id = old.tun_id;
	c->key.tun_src = old.tun_src;
	c->key.tun_dst = old.tun_dst;
	c->key.reg0 = old.reg0;
	c->key.reg1 = old.reg1;
	return rc;
}

enum { PL_VXLAN_HDR = 14 + 20 + 8 + 8 };

/* RFC 7348 5: outer Ethernet, IPv4, UDP (checksum 0), VXLAN header. */
static int
vxlan_encap(struct pl_pctx *c, const struct dp_act_vxlan *vx)
{
	struct dp_packet *p = c->pkt;
	uint32_t h = pl_hash_key(&c->key, PL_SHAPE_FULL, 0xfe);
	uint32_t sum = 0;
	uint8_t *d, *ip, *udp;

	if (p->headroom < PL_VXLAN_HDR)
		return DP_DROP_NO_ROOM;
	if (p->len > 0xffff - (PL_VXLAN_HDR - 14))
		return DP_DROP_NO_ROOM;
	p->data -= PL_VXLAN_HDR;
	p->headroom -= PL_VXLAN_HDR;
	d = p->data;
	ip = d + 14;
	udp = ip + 20;
	memcpy(d, vx->eth_dst, 6);
	memcpy(d + 6, vx->eth_src, 6);
	st16(d + 12, htons(0x0800));
	ip[0] = 0x45;
	ip[1] = vx->tos;
	st16(ip + 2, htons((uint16_t)(p->len + 36)));
	st32(ip + 4, 0);
	ip[8] = vx->ttl ? vx->ttl : 64;
	ip[9] = 17;
	st16(ip + 10, 0);
	st32(ip + 12, vx->ip_src);
	st32(ip + 16, vx->ip_dst);
	for (int i = 0; i < 20; i += 2)
		sum += pl_ld16(ip + i);
	st16(ip + 10, (uint16_t)~csum_fold(csum_fold(sum)));
	/* RFC 7348: source port from the inner flow, in 49152-65535. */
	st16(udp, htons((uint16_t)(0xc000 | (h & 0x3fff))));
	st16(udp + 2, vx->udp_dst ? vx->udp_dst : htons(4789));
	st16(udp + 4, htons((uint16_t)(p->len + 16)));
	st16(udp + 6, 0);
	st32(udp + 8, htonl(0x08000000));
	st32(udp + 12, htonl(vx->vni << 8));
	p->len += PL_VXLAN_HDR;
	return reparse(c);
}

static int
vxlan_decap(struct pl_pctx *c)
{
	struct dp_packet *p = c->pkt;
	const uint8_t *udp = p->data + c->m.l4_off;
	uint32_t strip, inner, ulen;

	if (c->m.l3 != PL_L3_IPV4 || c->key.nw_proto != 17 || c->m.l4_off == 0)
		return DP_DROP_BAD_VXLAN;
	ulen = ntohs(pl_ld16(udp + 4));
	if (ulen < 16 + 14 || !(udp[8] & 0x08))
		return DP_DROP_BAD_VXLAN;
	strip = c->m.l4_off + 16;
	inner = ulen - 16;
	c->key.tun_id = ntohl(pl_ld32(udp + 12)) >> 8;
	c->key.tun_src = c->key.nw_src;
	c->key.tun_dst = c->key.nw_dst;
	p->tailroom = (uint16_t)(p->tailroom + (p->len - strip - inner));
	p->data += strip;
	p->headroom = (uint16_t)(p->headroom + strip);
	p->len = inner;
	return reparse(c);
}

void
pl_act_meta(struct pl_pctx *c)
{
	if (c->m_stale) {
		(void)pl_parse(c->pkt->data, c->pkt->len, 0, NULL, &c->m,
			       false);
		c->m_stale = 0;
	}
}

void
pl_act_set_ipv4(struct pl_pctx *c, bool is_dst, uint32_t addr)
{
	ipv4_set32(c, is_dst ? 16 : 12, (const uint8_t *)&addr);
	if (is_dst)
		c->key.nw_dst = addr;
	else
		c->key.nw_src = addr;
}

void
pl_act_set_port(struct pl_pctx *c, bool is_dst, uint16_t port)
{
	set_port(c, is_dst ? 2 : 0, (const uint8_t *)&port);
	if (is_dst)
		c->key.tp_dst = port;
	else
		c->key.tp_src = port;
}

uint16_t
pl_csum_replace(uint16_t hc, const uint8_t *old, const uint8_t *new, size_t n)
{
	return csum_replace(hc, old, new, n);
}

bool
pl_act_is_modifying(const struct dp_action *a)
{
	switch (a->type) {
	case DP_ACT_SET_FIELD:
		switch (a->u.set.field) {
		case DP_F_METADATA:
		case DP_F_TUN_ID:
		case DP_F_TUN_SRC:
		case DP_F_TUN_DST:
		case DP_F_CT_ZONE:
		case DP_F_CT_MARK:
		case DP_F_REG0:
		case DP_F_REG1:
			return false;
		default:
			return true;
		}
	case DP_ACT_PUSH_VLAN:
	case DP_ACT_POP_VLAN:
	case DP_ACT_DEC_TTL:
	case DP_ACT_VXLAN_ENCAP:
	case DP_ACT_VXLAN_DECAP:
	case DP_ACT_ARP_REPLY:
	case DP_ACT_ND_REPLY:
		return true;
	default:
		return false;
	}
}

int
pl_act_apply(struct pl_pctx *c, const struct dp_action *a)
{
	/*
	 * The burst parse keeps only the key; the frame is unchanged until
	 * the first rewrite, so the same headers (it parsed) are found.
	 */
	if (c->m_stale) {
		(void)pl_parse(c->pkt->data, c->pkt->len, 0, NULL, &c->m,
			       false);
		c->m_stale = 0;
	}
	switch (a->type) {
	case DP_ACT_SET_FIELD:
		set_field(c, a);
		return 0;
	case DP_ACT_PUSH_VLAN:
		return push_vlan(c, a->u.tci);
	case DP_ACT_POP_VLAN:
		pop_vlan(c);
		return 0;
	case DP_ACT_DEC_TTL:
		return dec_ttl(c);
	case DP_ACT_VXLAN_ENCAP:
		return vxlan_encap(c, &a->u.vxlan);
	case DP_ACT_VXLAN_DECAP:
		return vxlan_decap(c);
	case DP_ACT_ARP_REPLY:
		return arp_reply(c, a->u.mac);
	case DP_ACT_ND_REPLY:
		return nd_reply(c, a->u.mac);
	default:
		return 0;
	}
}
