/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline_esp6_test.c: ESP tunnel mode with IPv6 outer addresses
 * (pl_esp.c, DP_SA_F_IPV6) through the real pipeline, between two
 * pipelines: site A encrypts what its guest sends, site B decrypts what
 * comes from the uplink. Round trips for AES-GCM, AES-CBC with HMAC and
 * ChaCha20-Poly1305 with inner IPv4 and IPv6, with and without ESP in UDP
 * (whose UDP checksum, mandatory over IPv6, is verified independently by
 * pl_test_util.h); the outer header's fields (next header, hop limit,
 * payload length, traffic class, flow label 0); malformed IPv6 ESP frames
 * counted and dropped; extension headers before ESP; the replay window;
 * the path MTU with the 40-byte header (punt, pre-fragmentation); SA
 * programming errors. pipeline_esp_test.c covers the IPv4 outer and the
 * parts that do not depend on the outer family (vectors, ESN wrap,
 * exhaustion, grouping).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "pl_esp_test_util.h"

enum {
	PORT_GUEST = 1,
	PORT_UPLINK = 2,
	PORT_INNER = 3,
	SA = 6,
	SPI = 0x6006,
	OUTER = 14 + 40, /* Ethernet + IPv6 */
};

static const uint8_t mac_gw[6] = {2, 0, 0, 0, 0x6a, 1};
static const uint8_t mac_peer[6] = {2, 0, 0, 0, 0x6b, 1};
/* 2001:db8:a::1 (site A) and 2001:db8:b::1 (site B). */
static const uint8_t ip6_a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x0a, [15] = 1};
static const uint8_t ip6_b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x0b, [15] = 1};

/*
 * A: guest -> esp_encrypt -> MACs -> uplink. B: IPv6 ESP (50, or UDP
 * 4500) -> esp_decrypt(table=1); table 1: reg1 = SA -> inner port.
 */
static void
site2_setup(struct pair *s)
{
	struct dp_rule r[3];

	assert_int_equal(tu_setup(&s->a, 1024, 0), 0);
	assert_int_equal(tu_setup(&s->b, 1024, 0), 0);
	tu_rule(&r[0], 0, 10, 0);
	r[0].match.in_port = PORT_GUEST;
	r[0].mask.in_port = UINT32_MAX;
	tu_act(&r[0], DP_ACT_ESP_ENCRYPT)->u.esp.sa = SA;
	set_mac(&r[0], DP_F_ETH_DST, mac_peer);
	set_mac(&r[0], DP_F_ETH_SRC, mac_gw);
	tu_act(&r[0], DP_ACT_OUTPUT)->u.port = PORT_UPLINK;
	assert_int_equal(tu_install(s->a.pl, r, 1), 0);
	tu_rule(&r[0], 0, 10, 0);
	r[0].match.eth_type = htons(0x86dd);
	r[0].mask.eth_type = 0xffff;
	r[0].match.nw_proto = 50;
	r[0].mask.nw_proto = 0xff;
	tu_act(&r[0], DP_ACT_ESP_DECRYPT)->u.esp.table = 1;
	r[1] = r[0];
	r[1].match.nw_proto = 17;
	r[1].match.tp_dst = htons(4500);
	r[1].mask.tp_dst = 0xffff;
	tu_rule(&r[2], 1, 10, PORT_INNER);
	r[2].match.reg1 = SA;
	r[2].mask.reg1 = UINT32_MAX;
	assert_int_equal(tu_install(s->b.pl, r, 3), 0);
}

/* The SA, out on A and in on B; mtu on A only. */
static void
site2_sa(struct pair *s, uint8_t cipher, uint8_t integ, uint8_t klen,
	 uint8_t flags, uint16_t mtu)
{
	static const uint8_t ikl[] = {0, 32, 48, 64};
	struct dp_sa sa;
	char err[160];

	memset(&sa, 0, sizeof(sa));
	sa.id = SA;
	sa.spi = SPI;
	sa.cipher = cipher;
	sa.integ = integ;
	sa.flags = (uint8_t)(flags | DP_SA_F_IPV6);
	sa.enc_key_len = klen;
	sa.integ_key_len = ikl[integ];
	memcpy(sa.src6, ip6_a, 16);
	memcpy(sa.dst6, ip6_b, 16);
	for (unsigned i = 0; i < sizeof(sa.enc_key); i++)
		sa.enc_key[i] = (uint8_t)(0x47 * i + cipher);
	for (unsigned i = 0; i < sizeof(sa.integ_key); i++)
		sa.integ_key[i] = (uint8_t)(0x29 * i + integ);
	sa.dir = DP_SA_OUT;
	sa.mtu = mtu;
	assert_int_equal(pl_esp_sa_add(s->a.pl, &sa, err, sizeof(err)), 0);
	sa.dir = DP_SA_IN;
	sa.mtu = 0;
	assert_int_equal(pl_esp_sa_add(s->b.pl, &sa, err, sizeof(err)), 0);
}

/*
 * A UDP guest frame of len bytes, IPv4 (10.1.0.5 -> 10.2.0.7, DF as
 * asked) or IPv6 (fd01::5 -> fd02::7), DSCP EF, payload a pattern.
 */
static size_t
inner_frame(uint8_t *b, unsigned len, bool is_v6, bool is_df)
{
	struct tu_frame f;
	size_t n;

	tu_frame_udp4(&f);
	f.tos = 0xb8;
	guest_addrs(&f, is_v6);
	f.payload = (uint16_t)(len - (is_v6 ? 62 : 42));
	n = tu_build(&f, b);
	if (!is_v6 && is_df) {
		uint16_t c;

		b[14 + 6] |= 0x40;
		b[14 + 10] = b[14 + 11] = 0;
		c = tu_fold(tu_sum(b + 14, 20, 0));
		tu_put16(b + 14 + 10, c);
	}
	assert_true(tu_csum_ok(b, n));
	return n;
}

/* Run a guest frame through A; the one ESP frame out (caller frees). */
static struct dp_packet *
seal1(struct pair *s, const uint8_t *frame, size_t len)
{
	tu_run(&s->a, frame, (uint32_t)len, PORT_GUEST);
	assert_int_equal(s->a.out.n_drop, 0);
	assert_int_equal(s->a.out.n_tx, 1);
	assert_int_equal(s->a.out.tx_port[0], PORT_UPLINK);
	return tu_pkt_new(s->a.out.tx[0]->data, s->a.out.tx[0]->len,
			  PORT_UPLINK);
}

/* Run an uplink frame through B: true when an inner packet came out. */
static bool
open1(struct pair *s, const uint8_t *frame, uint32_t len)
{
	tu_run(&s->b, frame, len, PORT_UPLINK);
	return s->b.out.n_tx == 1 && s->b.out.tx_port[0] == PORT_INNER;
}

/* The outer IPv6 header of an ESP frame A sent, field by field. */
static void
check_outer(const struct dp_packet *c, uint8_t flags, uint64_t seq)
{
	const uint8_t *ip = c->data + 14, *esp = ip + 40;

	assert_memory_equal(c->data, mac_peer, 6);
	assert_memory_equal(c->data + 6, mac_gw, 6);
	assert_int_equal(c->data[12] << 8 | c->data[13], 0x86dd);
	/* Version 6, traffic class = the inner DSCP EF, flow label 0. */
	assert_int_equal(ip[0], 0x6b);
	assert_int_equal(ip[1], 0x80);
	assert_int_equal(ip[2] | ip[3], 0);
	assert_int_equal(ip[4] << 8 | ip[5], c->len - OUTER);
	assert_int_equal(ip[6], flags & DP_SA_F_NATT ? 17 : 50);
	assert_int_equal(ip[7], 64);
	assert_memory_equal(ip + 8, ip6_a, 16);
	assert_memory_equal(ip + 24, ip6_b, 16);
	if (flags & DP_SA_F_NATT) {
		assert_int_equal(esp[0] << 8 | esp[1], 4500);
		assert_int_equal(esp[2] << 8 | esp[3], 4500);
		assert_int_equal(esp[4] << 8 | esp[5], c->len - OUTER);
		assert_int_not_equal(esp[6] | esp[7], 0);
		esp += 8;
	}
	/* The UDP checksum when there is one (pseudo-header, RFC 8200). */
	assert_true(tu_csum_ok(c->data, c->len));
	assert_int_equal(esp[0] << 24 | esp[1] << 16 | esp[2] << 8 | esp[3],
			 SPI);
	assert_int_equal(esp[4] << 24 | esp[5] << 16 | esp[6] << 8 | esp[7],
			 (uint32_t)seq);
}

static void
round_trip6(uint8_t cipher, uint8_t integ, uint8_t klen, uint8_t flags)
{
	static const unsigned lens[] = {62, 63, 128, 1400, 1514};
	uint8_t frame[1600];
	struct pair s;
	uint64_t seq = 0;

	site2_setup(&s);
	site2_sa(&s, cipher, integ, klen, flags, 0);
	for (unsigned v6 = 0; v6 < 2; v6++) {
		for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			size_t n = inner_frame(frame, lens[i], v6, false);
			struct dp_packet *c = seal1(&s, frame, n);
			const struct dp_packet *o;

			check_outer(c, flags, ++seq);
			if (flags & DP_SA_F_NATT) {
				/* The checksum covers the ciphertext. */
				c->data[c->len - 1] ^= 1;
				assert_false(tu_csum_ok(c->data, c->len));
				c->data[c->len - 1] ^= 1;
			}
			assert_true(open1(&s, c->data, c->len));
			o = s.b.out.tx[0];
			assert_int_equal(o->len, n);
			assert_memory_equal(o->data, mac_peer, 6);
			assert_memory_equal(o->data + 6, mac_gw, 6);
			assert_memory_equal(o->data + 12, frame + 12, n - 12);
			tu_pkt_free(c);
		}
	}
	assert_int_equal(sa_get(s.a.pl, SA).packets, seq);
	assert_int_equal(sa_get(s.b.pl, SA).packets, seq);
	assert_int_equal(sa_get(s.b.pl, SA).bad_pad, 0);
	assert_int_equal(sa_get(s.b.pl, SA).flags & DP_SA_F_IPV6, DP_SA_F_IPV6);
	assert_memory_equal(sa_get(s.a.pl, SA).dst6, ip6_b, 16);
	pair_teardown(&s);
}

/* Every cipher family, with and without ESN and ESP in UDP. */
static void
test_v6_round_trips(void **state)
{
	static const struct {
		uint8_t cipher, integ, klen, flags;
	} cases[] = {
		{DP_SA_AES_GCM_16, 0, 20, 0},
		{DP_SA_AES_GCM_16, 0, 36, DP_SA_F_ESN},
		{DP_SA_AES_CBC, DP_SA_HMAC_SHA256_128, 16, 0},
		{DP_SA_AES_CBC, DP_SA_HMAC_SHA512_256, 32, DP_SA_F_ESN},
		{DP_SA_CHACHA20_POLY1305, 0, 36, 0},
		{DP_SA_CHACHA20_POLY1305, 0, 36, DP_SA_F_ESN},
		{DP_SA_AES_GCM_16, 0, 20, DP_SA_F_NATT},
		{DP_SA_AES_CBC, DP_SA_HMAC_SHA384_192, 32,
		 DP_SA_F_NATT | DP_SA_F_ESN},
		{DP_SA_CHACHA20_POLY1305, 0, 36, DP_SA_F_NATT},
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("cipher %u integ %u key %u flags 0x%x\n",
			      cases[i].cipher, cases[i].integ, cases[i].klen,
			      cases[i].flags);
		round_trip6(cases[i].cipher, cases[i].integ, cases[i].klen,
			    cases[i].flags);
	}
}

/* A copy of the ESP frame c with len bytes and payload length plen. */
static uint32_t
mangle(uint8_t *b, const struct dp_packet *c, uint32_t len, uint32_t plen)
{
	memcpy(b, c->data, len < c->len ? len : c->len);
	tu_put16(b + 14 + 4, (uint16_t)plen);
	return len;
}

/* Insert an 8-byte extension header of type nh_ext in front of ESP. */
static uint32_t
insert_ext(uint8_t *b, const struct dp_packet *c, uint8_t nh_ext, uint16_t frag)
{
	memcpy(b, c->data, OUTER);
	memset(b + OUTER, 0, 8);
	b[OUTER] = c->data[14 + 6];
	if (nh_ext == 44) {
		tu_put16(b + OUTER + 2, frag);
	} else {
		b[OUTER + 2] = 1; /* PadN: the 6 bytes after the length */
		b[OUTER + 3] = 4;
	}
	memcpy(b + OUTER + 8, c->data + OUTER, c->len - OUTER);
	b[14 + 6] = nh_ext;
	tu_put16(b + 14 + 4, (uint16_t)(c->len - OUTER + 8));
	return c->len + 8;
}

/*
 * Hostile IPv6 ESP frames: each dropped with a counted reason and no
 * packet out; the genuine frame still opens afterwards (nothing moved
 * the replay window).
 */
static void
test_v6_malformed(void **state)
{
	static uint8_t b[1700];
	uint8_t frame[1600];
	struct dp_packet *c, *u;
	struct dp_sa_info si;
	struct pair s;
	uint32_t pl;
	size_t n;

	(void)state;
	site2_setup(&s);
	site2_sa(&s, DP_SA_AES_GCM_16, 0, 20, 0, 0);
	n = inner_frame(frame, 300, false, false);
	c = seal1(&s, frame, n);
	pl = c->len - OUTER;
	/* Truncated: the payload length says more than the frame holds. */
	assert_false(open1(&s, b, mangle(b, c, c->len - 10, pl)));
	assert_int_equal(drops(s.b.pl, DP_DROP_BAD_IPV6), 1);
	/* Truncated inside ESP, consistently: too short for an ESP packet. */
	assert_false(open1(&s, b, mangle(b, c, OUTER + 20, 20)));
	assert_int_equal(drops(s.b.pl, DP_DROP_ESP_BAD), 1);
	assert_int_equal(sa_get(s.b.pl, SA).bad_pad, 1);
	/* Shorter than the frame by 4: the ICV is not where it says. */
	assert_false(open1(&s, b, mangle(b, c, c->len, pl - 4)));
	assert_int_equal(drops(s.b.pl, DP_DROP_ESP_AUTH), 1);
	/* Just the fixed header, payload length 0. */
	assert_false(open1(&s, b, mangle(b, c, OUTER, 0)));
	assert_int_equal(s.b.out.n_drop, 1);
	/* Wrong next header (TCP): not ESP, no decrypt rule takes it. */
	mangle(b, c, c->len, pl);
	b[14 + 6] = 6;
	assert_false(open1(&s, b, c->len));
	assert_int_equal(s.b.out.n_drop, 1);
	/* A fragment header (first fragment, MF) before ESP: bad. */
	assert_false(open1(&s, b, insert_ext(b, c, 44, 1)));
	assert_int_equal(drops(s.b.pl, DP_DROP_ESP_BAD), 2);
	si = sa_get(s.b.pl, SA);
	assert_int_equal(si.bad_pad, 2);
	assert_int_equal(si.auth_fails, 1);
	assert_int_equal(si.replay_drops, 0);
	assert_int_equal(si.packets, 0);
	/* A destination options header before ESP is skipped. */
	assert_true(open1(&s, b, insert_ext(b, c, 60, 0)));
	assert_int_equal(s.b.out.tx[0]->len, n);
	assert_memory_equal(s.b.out.tx[0]->data + 12, frame + 12, n - 12);
	/* And the frame itself is now a replay. */
	assert_false(open1(&s, c->data, c->len));
	assert_int_equal(sa_get(s.b.pl, SA).replay_drops, 1);
	tu_pkt_free(c);

	/* ESP in UDP over IPv6 whose UDP length overruns the datagram. */
	pair_teardown(&s);
	site2_setup(&s);
	site2_sa(&s, DP_SA_AES_GCM_16, 0, 20, DP_SA_F_NATT, 0);
	c = seal1(&s, frame, n);
	u = tu_pkt_new(c->data, c->len, PORT_UPLINK);
	tu_put16(u->data + OUTER + 4, (uint16_t)(c->len - OUTER + 1));
	assert_false(open1(&s, u->data, u->len));
	assert_int_equal(drops(s.b.pl, DP_DROP_TRUNC_L4), 1);
	/* A UDP length shorter than the datagram cuts the ICV: forged. */
	tu_put16(u->data + OUTER + 4, (uint16_t)(c->len - OUTER - 4));
	assert_false(open1(&s, u->data, u->len));
	assert_int_equal(sa_get(s.b.pl, SA).auth_fails, 1);
	assert_true(open1(&s, c->data, c->len));
	tu_pkt_free(u);
	tu_pkt_free(c);
	pair_teardown(&s);
}

/* The 1024-packet window over an IPv6 outer. */
static void
test_v6_replay(void **state)
{
	static struct dp_packet *c[1100];
	uint8_t frame[256];
	struct dp_sa_info si;
	struct pair s;
	size_t n = inner_frame(frame, 100, true, false);

	(void)state;
	site2_setup(&s);
	site2_sa(&s, DP_SA_AES_GCM_16, 0, 20, 0, 0);
	for (unsigned i = 0; i < 1100; i++)
		c[i] = seal1(&s, frame, n);
	assert_true(open1(&s, c[0]->data, c[0]->len));
	assert_true(open1(&s, c[2]->data, c[2]->len));
	assert_true(open1(&s, c[1]->data, c[1]->len));
	assert_false(open1(&s, c[1]->data, c[1]->len));
	assert_true(open1(&s, c[1099]->data, c[1099]->len));
	assert_false(open1(&s, c[75]->data, c[75]->len));
	assert_true(open1(&s, c[76]->data, c[76]->len));
	assert_false(open1(&s, c[76]->data, c[76]->len));
	si = sa_get(s.b.pl, SA);
	assert_int_equal(si.replay_drops, 3);
	assert_int_equal(si.packets, 5);
	assert_int_equal(si.seq, 1100);
	assert_int_equal(drops(s.b.pl, DP_DROP_ESP_REPLAY), 3);
	for (unsigned i = 0; i < 1100; i++)
		tu_pkt_free(c[i]);
	pair_teardown(&s);
}

/*
 * Path MTU 1500 over IPv6: AES-GCM's fixed part is 40 + 8 + 8 + 16 = 72
 * (80 with UDP), so the largest inner packet is 1426 (1418); one byte
 * more with DF is punted with that MTU, an IPv6 inner one too, with DF
 * clear it leaves as IPv4 fragments each in an outer packet of at most
 * 1500 bytes, never an outer fragment.
 */
static void
mtu6_case(uint8_t flags, unsigned in_mtu)
{
	static uint8_t frame[4096], re[4096];
	unsigned chunk = (in_mtu - 20) & ~7u, data = 3000 - 20, nf, got = 0;
	struct dp_packet *c[4];
	struct pair s;
	size_t n;

	site2_setup(&s);
	site2_sa(&s, DP_SA_AES_GCM_16, 0, 20, flags, 1500);
	n = inner_frame(frame, 14 + in_mtu, false, true);
	c[0] = seal1(&s, frame, n);
	assert_int_equal(c[0]->len, 14 + 1500);
	check_outer(c[0], flags, 1);
	assert_true(open1(&s, c[0]->data, c[0]->len));
	tu_pkt_free(c[0]);
	for (unsigned v6 = 0; v6 < 2; v6++) {
		n = inner_frame(frame, 14 + in_mtu + 1, v6, true);
		tu_run(&s.a, frame, (uint32_t)n, PORT_GUEST);
		assert_int_equal(s.a.out.n_tx, 0);
		assert_int_equal(s.a.out.n_punt, 1);
		assert_int_equal(s.a.out.punt[0]->punt_reason,
				 DP_PUNT_ESP_MTU | in_mtu);
	}
	n = inner_frame(frame, 14 + 3000, false, false);
	nf = (data + chunk - 1) / chunk;
	tu_run(&s.a, frame, (uint32_t)n, PORT_GUEST);
	assert_int_equal(s.a.out.n_drop, 0);
	assert_int_equal(s.a.out.n_tx, nf);
	for (unsigned i = 0; i < nf; i++) {
		const struct dp_packet *o = s.a.out.tx[i];

		assert_true(o->len <= 14 + 1500);
		check_outer(o, flags, 2 + i);
		c[i] = tu_pkt_new(o->data, o->len, PORT_UPLINK);
	}
	memcpy(re, frame, 42);
	for (unsigned i = 0; i < nf; i++) {
		const uint8_t *ip;
		unsigned flen, off;

		assert_true(open1(&s, c[i]->data, c[i]->len));
		tu_pkt_free(c[i]);
		ip = s.b.out.tx[0]->data + 14;
		flen = (unsigned)(ip[2] << 8 | ip[3]) - 20;
		off = (unsigned)((ip[6] & 0x1f) << 8 | ip[7]) * 8;
		assert_int_equal(!!(ip[6] & 0x20), i < nf - 1);
		memcpy(re + 34 + off, ip + 20, flen);
		got += flen;
	}
	assert_int_equal(got, data);
	assert_memory_equal(re + 34, frame + 34, data);
	assert_int_equal(sa_get(s.a.pl, SA).too_big_frags, 1);
	assert_int_equal(sa_get(s.a.pl, SA).too_big_punts, 2);
	pair_teardown(&s);
}

static void
test_v6_mtu(void **state)
{
	(void)state;
	mtu6_case(0, 1426);
	mtu6_case(DP_SA_F_NATT, 1418);
}

/*
 * TCP MSS clamping under an IPv6 outer header: mtu 1400 less 40 + 8 + 8
 * and 16 ICV leaves 1326 bytes (body aligned to 4), so SYNs leave A with
 * MSS 1286 (IPv4 inner) or 1266 (IPv6 inner), the checksum right; B's SA
 * has no mtu and changes nothing; malformed options pass untouched.
 */
static void
test_v6_mss(void **state)
{
	static const uint8_t opt[] = {1, 1, 4, 2, 2, 4, 0x05, 0xa0}; /* 1440 */
	static const uint8_t opt_odd[] = {1, 2, 4, 0x05, 0xb4, 1, 1, 0};
	static const uint8_t opt_bad[] = {2, 4, 0x05, 0xb4, 5, 6, 1, 1};
	static const struct {
		const uint8_t *opt;
		bool is_v6;
		unsigned at, mss;
	} cases[] = {
		{opt, true, 26, 1266},	{opt_odd, true, 23, 1266},
		{opt, false, 26, 1286}, {opt_odd, false, 23, 1286},
		{opt_bad, true, 0, 0},
	};
	uint8_t frame[256];
	struct dp_packet *c;
	struct pair s;
	size_t n;

	(void)state;
	site2_setup(&s);
	site2_sa(&s, DP_SA_AES_GCM_16, 0, 20, 0, 1400);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = tcp_opt_frame(frame, cases[i].is_v6, 0x02, cases[i].opt, 8);
		c = seal1(&s, frame, n);
		assert_true(open1(&s, c->data, c->len));
		tu_pkt_free(c);
		assert_int_equal(s.b.out.tx[0]->len, n);
		tcp_check_mss(s.b.out.tx[0]->data, frame, n, cases[i].is_v6,
			      cases[i].at, cases[i].mss);
	}
	assert_int_equal(sa_get(s.a.pl, SA).mss_clamped, 4);
	assert_int_equal(sa_get(s.a.pl, SA).mss_bad_opts, 1);
	assert_int_equal(sa_get(s.b.pl, SA).mss_clamped, 0);
	assert_int_equal(sa_get(s.b.pl, SA).mss_bad_opts, 0);
	pair_teardown(&s);
}

/* Programming errors of IPv6 SAs; the 40 bytes count in the mtu floor. */
static void
test_v6_sa_errors(void **state)
{
	struct dp_sa sa;
	struct tu t;
	char err[160];

	(void)state;
	assert_int_equal(tu_setup(&t, 64, 0), 0);
	memset(&sa, 0, sizeof(sa));
	sa.id = 1;
	sa.spi = 0x7001;
	sa.dir = DP_SA_OUT;
	sa.cipher = DP_SA_AES_GCM_16;
	sa.enc_key_len = 20;
	sa.flags = DP_SA_F_IPV6;
	/* IPv4 addresses do not make an IPv6 SA. */
	sa.src = htonl(0xc0000201);
	sa.dst = htonl(0xc0000202);
	assert_int_equal(pl_esp_sa_add(t.pl, &sa, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "src and dst"));
	memcpy(sa.src6, ip6_a, 16);
	assert_int_equal(pl_esp_sa_add(t.pl, &sa, err, sizeof(err)), -EINVAL);
	memcpy(sa.dst6, ip6_b, 16);
	/* 72 fixed bytes + 70: the IPv4 floor (124) is too small here. */
	sa.mtu = 20 + 8 + 8 + 16 + 72;
	assert_int_equal(pl_esp_sa_add(t.pl, &sa, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "mtu"));
	sa.mtu = 40 + 8 + 8 + 16 + 72;
	assert_int_equal(pl_esp_sa_add(t.pl, &sa, err, sizeof(err)), 0);
	sa.id = 2;
	sa.flags = 0x80;
	assert_int_equal(pl_esp_sa_add(t.pl, &sa, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "flags"));
	tu_teardown(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v6_round_trips),
		cmocka_unit_test(test_v6_malformed),
		cmocka_unit_test(test_v6_replay),
		cmocka_unit_test(test_v6_mtu),
		cmocka_unit_test(test_v6_mss),
		cmocka_unit_test(test_v6_sa_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
