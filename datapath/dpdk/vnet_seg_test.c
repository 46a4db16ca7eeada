/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vnet_seg_test.c: segmentation of TSO/GSO super-frames and checksum
 * completion (vnet_seg.c), checked against a plain RFC 1071 checksum
 * written here word by word, and the refusal of malformed frames.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vnet_seg.h"

enum { BIG = 70000 };

/* RFC 1071, 16-bit big-endian words, the slow way. */
static uint32_t
ref_sum(const uint8_t *p, size_t len, uint32_t s)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return s;
}

static uint16_t
ref_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

/* A frame's L4 checksum verifies (sum over pseudo-header and L4 is 0xffff). */
static void
check_l4(const uint8_t *f, size_t len, uint32_t l3, bool v6, uint8_t proto)
{
	uint32_t l4 = l3 + (v6 ? 40 : (uint32_t)(f[l3] & 0xf) * 4);
	uint32_t l4len = (uint32_t)len - l4, s = 0;

	if (v6) {
		s = ref_sum(f + l3 + 8, 32, 0);
		assert_int_equal(rd16(f + l3 + 4), l4len);
	} else {
		s = ref_sum(f + l3 + 12, 8, 0);
		assert_int_equal(rd16(f + l3 + 2), len - l3);
		assert_int_equal(ref_fold(ref_sum(f + l3, l4 - l3, 0)), 0xffff);
	}
	s += proto + l4len;
	assert_int_equal(ref_fold(ref_sum(f + l4, l4len, s)), 0xffff);
}

/* An Ethernet + IPv4/IPv6 + TCP/UDP super-frame with pay payload bytes;
 * the L4 checksum field holds the pseudo-header's sum, as the kernel
 * leaves it for CHECKSUM_PARTIAL. Returns its length. */
static size_t
make(uint8_t *f, bool v6, uint8_t proto, size_t pay, uint8_t tcp_flags)
{
	uint32_t l3 = 14, l4 = l3 + (v6 ? 40 : 20);
	uint32_t l4h = proto == 6 ? 32 : 8, len = l4 + l4h + (uint32_t)pay, s;

	memset(f, 0, len);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (v6) {
		f[12] = 0x86, f[13] = 0xdd;
		f[l3] = 0x60;
		f[l3 + 6] = proto;
		f[l3 + 7] = 64;
		f[l3 + 8] = 0xfd, f[l3 + 23] = 1;
		f[l3 + 24] = 0xfd, f[l3 + 39] = 2;
		f[l3 + 4] = (uint8_t)((len - l4) >> 8);
		f[l3 + 5] = (uint8_t)(len - l4);
		s = ref_sum(f + l3 + 8, 32, 0);
	} else {
		f[12] = 0x08, f[13] = 0x00;
		f[l3] = 0x45;
		f[l3 + 2] = (uint8_t)((len - l3) >> 8);
		f[l3 + 3] = (uint8_t)(len - l3);
		f[l3 + 4] = 0x12, f[l3 + 5] = 0x34;
		f[l3 + 6] = 0x40; /* DF */
		f[l3 + 8] = 64;
		f[l3 + 9] = proto;
		memcpy(f + l3 + 12, "\x0a\x3d\x01\x02\x0a\x3d\x02\x02", 8);
		s = (uint32_t)~ref_fold(ref_sum(f + l3, 20, 0)) & 0xffff;
		f[l3 + 10] = (uint8_t)(s >> 8), f[l3 + 11] = (uint8_t)s;
		s = ref_sum(f + l3 + 12, 8, 0);
	}
	f[l4] = 0x9c, f[l4 + 1] = 0x40; /* 40000 */
	f[l4 + 2] = 0x14, f[l4 + 3] = 0x51;
	if (proto == 17) {
		f[l4 + 4] = (uint8_t)((8 + pay) >> 8);
		f[l4 + 5] = (uint8_t)(8 + pay);
	}
	if (proto == 6) {
		memcpy(f + l4 + 4, "\xff\xff\xfc\x00", 4); /* wraps */
		f[l4 + 12] = 0x80; /* 32 bytes: 12 of options */
		f[l4 + 13] = tcp_flags;
		f[l4 + 20] = 1, f[l4 + 21] = 1, f[l4 + 22] = 8, f[l4 + 23] = 10;
	}
	for (size_t i = 0; i < pay; i++)
		f[l4 + l4h + i] = (uint8_t)(i * 7 + 3);
	/* The pseudo-header's partial sum (length of the whole L4). */
	s += proto + (l4h + (uint32_t)pay);
	s = ref_fold(s);
	f[l4 + (proto == 6 ? 16 : 6)] = (uint8_t)(s >> 8);
	f[l4 + (proto == 6 ? 17 : 7)] = (uint8_t)s;
	return len;
}

static void
split_case(bool v6, uint8_t proto, size_t pay, uint16_t gso)
{
	uint8_t *f = malloc(BIG), *o = malloc(BIG), *got = calloc(1, BIG);
	uint32_t l3 = 14, l4 = l3 + (v6 ? 40 : 20);
	uint32_t l4h = proto == 6 ? 32 : 8;
	size_t len = make(f, v6, proto, pay, 0x19 | 0x80); /* FIN PSH ACK CWR */
	struct vnet_hdr h = {
		.flags = VNET_F_NEEDS_CSUM,
		.gso_type = proto == 17 ? VNET_GSO_UDP_L4
			    : v6	? VNET_GSO_TCPV6
					: VNET_GSO_TCPV4,
		.gso_size = gso,
		.csum_start = (uint16_t)l4,
		.csum_offset = proto == 6 ? 16 : 6,
	};
	struct vnet_seg_plan p;
	size_t total = 0;

	assert_int_equal(vnet_seg_plan(&h, f, len, &p), VNET_SEG_OK);
	assert_int_equal(p.kind, VNET_SEG_SPLIT);
	assert_int_equal(p.n, (pay + gso - 1) / gso);
	for (unsigned i = 0; i < p.n; i++) {
		size_t l = vnet_seg_emit(&p, f, len, i, o);
		size_t chunk = l - l4 - l4h;

		assert_true(l <= p.max_len);
		assert_int_equal(chunk, i + 1 < p.n ? gso : pay - i * gso);
		check_l4(o, l, l3, v6, proto);
		/* Payload in place, headers as the super-frame's. */
		memcpy(got + total, o + l4 + l4h, chunk);
		total += chunk;
		assert_memory_equal(o, f, 14);
		if (!v6)
			assert_int_equal(rd16(o + l3 + 4), 0x1234 + i);
		if (proto == 6) {
			uint8_t fl = o[l4 + 13];

			assert_int_equal(rd32(o + l4 + 4),
					 (uint32_t)(0xfffffc00u + i * gso));
			assert_int_equal(fl & 0x09, i + 1 == p.n ? 0x09 : 0);
			assert_int_equal(fl & 0x80, i == 0 ? 0x80 : 0);
			assert_int_equal(fl & 0x10, 0x10);
			assert_memory_equal(o + l4 + 20, f + l4 + 20, 12);
		} else {
			assert_int_equal(rd16(o + l4 + 4), 8 + chunk);
		}
	}
	assert_int_equal(total, pay);
	assert_memory_equal(got, f + l4 + l4h, pay);
	free(f);
	free(o);
	free(got);
}

static void
test_split_tcp4(void **state)
{
	(void)state;
	split_case(false, 6, 65000, 1348); /* 49 segments, last short */
	split_case(false, 6, 4 * 1000, 1000);
	split_case(false, 6, 1, 1348);	  /* one segment */
	split_case(false, 6, 1349, 1348); /* the last of one byte */
}

static void
test_split_tcp6_udp(void **state)
{
	(void)state;
	split_case(true, 6, 60001, 1428);
	split_case(false, 17, 9000, 1472);
	split_case(true, 17, 3001, 1000);
}

/* NEEDS_CSUM without GSO: the checksum is finished, nothing else moves. */
static void
test_csum_only(void **state)
{
	uint8_t f[2000], o[2000];
	struct vnet_hdr h = {.flags = VNET_F_NEEDS_CSUM,
			     .csum_start = 34,
			     .csum_offset = 16};
	struct vnet_seg_plan p;
	size_t len;

	(void)state;
	for (size_t pay = 0; pay < 40; pay += 13) {
		len = make(f, false, 6, pay, 0x18);
		assert_int_equal(vnet_seg_plan(&h, f, len, &p), VNET_SEG_OK);
		assert_int_equal(p.kind, VNET_SEG_CSUM);
		assert_int_equal(p.n, 1);
		assert_int_equal(vnet_seg_emit(&p, f, len, 0, o), len);
		check_l4(o, len, 14, false, 6);
		assert_memory_equal(o, f, 50);
		assert_memory_equal(o + 52, f + 52, len - 52);
	}
	/* IPv6 UDP at an odd length. */
	len = make(f, true, 17, 33, 0);
	h.csum_start = 54;
	h.csum_offset = 6;
	assert_int_equal(vnet_seg_plan(&h, f, len, &p), VNET_SEG_OK);
	vnet_seg_emit(&p, f, len, 0, o);
	check_l4(o, len, 14, true, 17);
	/* Without NEEDS_CSUM the frame is copied as it is. */
	h.flags = 0;
	assert_int_equal(vnet_seg_plan(&h, f, len, &p), VNET_SEG_OK);
	assert_int_equal(p.kind, VNET_SEG_PASS);
	assert_int_equal(vnet_seg_emit(&p, f, len, 0, o), len);
	assert_memory_equal(o, f, len);
}

static void
expect_err(const struct vnet_hdr *h, const uint8_t *f, size_t len, int err)
{
	struct vnet_seg_plan p;

	assert_int_equal(vnet_seg_plan(h, f, len, &p), err);
	assert_string_not_equal(vnet_seg_err_name(err), "?");
}

static void
test_refused(void **state)
{
	uint8_t *f = malloc(BIG);
	struct vnet_hdr h = {.flags = VNET_F_NEEDS_CSUM,
			     .gso_type = VNET_GSO_TCPV4,
			     .gso_size = 1000,
			     .csum_start = 34,
			     .csum_offset = 16};
	struct vnet_hdr h2;
	size_t len = make(f, false, 6, 5000, 0x10);

	(void)state;
	expect_err(&h, f, 13, VNET_SEG_E_SHORT);
	expect_err(&h, f, 30, VNET_SEG_E_IP); /* IP header cut */
	expect_err(&h, f, 50, VNET_SEG_E_L4); /* TCP header cut */
	expect_err(&h, f, 60, VNET_SEG_E_L4); /* options cut */
	h2 = h, h2.gso_size = 0;
	expect_err(&h2, f, len, VNET_SEG_E_GSO_SIZE);
	h2 = h, h2.gso_size = 19; /* 264 segments */
	expect_err(&h2, f, len, VNET_SEG_E_SEGS);
	h2 = h, h2.gso_type = VNET_GSO_UDP;
	expect_err(&h2, f, len, VNET_SEG_E_GSO_TYPE);
	h2 = h, h2.gso_type = 9;
	expect_err(&h2, f, len, VNET_SEG_E_GSO_TYPE);
	h2 = h, h2.gso_type = VNET_GSO_TCPV6;
	expect_err(&h2, f, len, VNET_SEG_E_PROTO);
	h2 = h, h2.gso_type = VNET_GSO_UDP_L4; /* the frame is TCP */
	expect_err(&h2, f, len, VNET_SEG_E_PROTO);
	f[14 + 6] |= 0x20; /* MF */
	expect_err(&h, f, len, VNET_SEG_E_IP_FRAG);
	f[14 + 6] &= 0x40;
	f[14] = 0x44; /* IHL 4 */
	expect_err(&h, f, len, VNET_SEG_E_IP);
	f[14] = 0x65; /* version 6 in an IPv4 frame */
	expect_err(&h, f, len, VNET_SEG_E_IP);
	f[14] = 0x45;
	f[34 + 12] = 0x40; /* data offset 4 */
	expect_err(&h, f, len, VNET_SEG_E_L4);
	f[34 + 12] = 0x80;
	f[12] = 0x08, f[13] = 0x06; /* ARP */
	expect_err(&h, f, len, VNET_SEG_E_ETHERTYPE);
	f[12] = 0x08, f[13] = 0x00;
	h2 = (struct vnet_hdr){.flags = VNET_F_NEEDS_CSUM,
			       .csum_start = (uint16_t)(len - 1),
			       .csum_offset = 0};
	expect_err(&h2, f, len, VNET_SEG_E_CSUM);
	/* An IPv6 hop-by-hop header before TCP. */
	len = make(f, true, 6, 3000, 0x10);
	f[14 + 6] = 0;
	h2 = h, h2.gso_type = VNET_GSO_TCPV6;
	expect_err(&h2, f, len, VNET_SEG_E_IP6_EXT);
	assert_string_equal(vnet_seg_err_name(VNET_SEG_E_MAX), "?");
	assert_string_equal(vnet_seg_err_name(-1), "?");
	free(f);
}

/* The fold against the reference, at every length and start offset. */
static void
test_fold(void **state)
{
	uint8_t b[300];

	(void)state;
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 151 + 17);
	for (size_t off = 0; off < 4; off++)
		for (size_t l = 0; l + off < sizeof(b); l += 7) {
			uint16_t c = vnet_csum_fold(b + off, l, 0);
			uint16_t r = ref_fold(ref_sum(b + off, l, 0));
			uint8_t m[2];

			memcpy(m, &c, 2);
			assert_int_equal(rd16(m), r);
		}
}

/*
 * Segments of a super-frame merge back into it: vnet_gro_run() takes the
 * whole run and vnet_gro_patch() gives back the super-frame's header
 * byte for byte (its checksum field holds the pseudo-header's sum, as
 * make() left it), with the payloads following in order.
 */
static void
gro_round_trip(bool v6, uint8_t proto, size_t pay, uint16_t gso)
{
	uint8_t *f = malloc(BIG), *back = malloc(BIG);
	uint8_t *seg[VNET_SEG_MAX];
	uint32_t len[VNET_SEG_MAX];
	uint32_t l4 = 14 + (v6 ? 40 : 20);
	size_t flen = make(f, v6, proto, pay, 0x18); /* PSH ACK */
	uint32_t l4h = proto == 6 ? 32 : 8;
	struct vnet_hdr h = {.flags = VNET_F_NEEDS_CSUM,
			     .gso_type = proto == 17 ? VNET_GSO_UDP_L4
					 : v6	     ? VNET_GSO_TCPV6
						     : VNET_GSO_TCPV4,
			     .gso_size = gso};
	struct vnet_hdr hg;
	struct vnet_seg_plan p;
	struct vnet_gro g;
	size_t off;

	assert_int_equal(vnet_seg_plan(&h, f, flen, &p), VNET_SEG_OK);
	for (unsigned i = 0; i < p.n; i++) {
		seg[i] = malloc(p.max_len);
		len[i] = (uint32_t)vnet_seg_emit(&p, f, flen, i, seg[i]);
	}
	assert_int_equal(vnet_gro_run(seg, len, p.n, VNET_SEG_MAX, &g), p.n);
	assert_int_equal(g.mss, p.n > 1 ? gso : pay);
	assert_int_equal(g.pay_len, pay);
	vnet_gro_patch(seg[0], &g, &hg);
	assert_int_equal(hg.gso_type, h.gso_type);
	assert_int_equal(hg.gso_size, g.mss);
	assert_int_equal(hg.csum_start, l4);
	assert_int_equal(hg.csum_offset, proto == 6 ? 16 : 6);
	assert_int_equal(hg.hdr_len, l4 + l4h);
	memcpy(back, seg[0], g.hdr_len);
	off = g.hdr_len;
	for (unsigned i = 0; i < p.n; i++) {
		memcpy(back + off, seg[i] + g.hdr_len, len[i] - g.hdr_len);
		off += len[i] - g.hdr_len;
	}
	assert_int_equal(off, flen);
	assert_memory_equal(back, f, flen);
	for (unsigned i = 0; i < p.n; i++)
		free(seg[i]);
	free(f);
	free(back);
}

static void
test_gro(void **state)
{
	uint8_t *f = malloc(BIG), *s[4];
	uint32_t len[4];
	struct vnet_hdr h = {.gso_type = VNET_GSO_TCPV4, .gso_size = 1000};
	struct vnet_seg_plan p;
	struct vnet_gro g;
	size_t flen;

	(void)state;
	gro_round_trip(false, 6, 65000, 1348);
	gro_round_trip(false, 6, 2500, 1000);
	gro_round_trip(true, 6, 60001, 1428);
	gro_round_trip(false, 6, 10, 1348);	    /* a run of one */
	gro_round_trip(false, 17, 40 * 1436, 1436); /* ESP in UDP */
	gro_round_trip(true, 17, 9001, 1000);
	/* Four segments of 1000; break the run in different ways. */
	flen = make(f, false, 6, 4000, 0x10);
	assert_int_equal(vnet_seg_plan(&h, f, flen, &p), VNET_SEG_OK);
	for (unsigned i = 0; i < 4; i++) {
		s[i] = malloc(p.max_len);
		len[i] = (uint32_t)vnet_seg_emit(&p, f, flen, i, s[i]);
	}
	assert_int_equal(vnet_gro_run(s, len, 4, 64, &g), 4);
	assert_int_equal(vnet_gro_run(s, len, 4, 3, &g), 3); /* max_n */
	assert_int_equal(vnet_gro_run(s + 1, len + 1, 2, 64, &g), 2);
	s[2][34 + 7] ^= 1; /* sequence number off by one */
	assert_int_equal(vnet_gro_run(s, len, 4, 64, &g), 2);
	s[2][34 + 7] ^= 1;
	s[2][34 + 1] ^= 1; /* another destination port */
	assert_int_equal(vnet_gro_run(s, len, 4, 64, &g), 2);
	s[2][34 + 1] ^= 1;
	s[1][34 + 13] |= 0x08; /* PSH on the second ends the run there */
	assert_int_equal(vnet_gro_run(s, len, 4, 64, &g), 2);
	assert_int_equal(g.psh, 0x08);
	s[1][34 + 13] = 0x10;
	s[0][34 + 13] = 0x11; /* FIN: alone */
	assert_int_equal(vnet_gro_run(s, len, 4, 64, &g), 1);
	s[0][34 + 13] = 0x10;
	s[3][22] = 1; /* another TTL */
	assert_int_equal(vnet_gro_run(s, len, 4, 64, &g), 3);
	s[3][22] = 64;
	s[1][14] = 0x46; /* IPv4 options: the second cannot join */
	assert_int_equal(vnet_gro_run(s, len, 4, 64, &g), 1);
	s[1][14] = 0x45;
	len[0] = 40; /* cut */
	assert_int_equal(vnet_gro_run(s, len, 4, 64, &g), 1);
	assert_int_equal(vnet_gro_run(s, len, 0, 64, &g), 1);
	for (unsigned i = 0; i < 4; i++)
		free(s[i]);
	free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_tcp4),
		cmocka_unit_test(test_split_tcp6_udp),
		cmocka_unit_test(test_csum_only),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_gro),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
