/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline_esp_test.c: ESP tunnel mode through the real pipeline
 * (pl_esp.c): packets made by an independent implementation (scapy, see
 * gen_esp_vectors.py) decrypted to their inner packet; the RFC 8439 2.8.2
 * AEAD vector through the ChaCha20-Poly1305 decrypt path (RFC 7634 AAD
 * with ESN); round trips for every cipher between two pipelines; ESN
 * across 2^32; anti-replay (duplicate, too old, out of order within the
 * window); tampered ICV; sequence exhaustion and its events; NAT-T; path
 * MTU (DF punted, DF clear fragmented before encryption and reassembled
 * after decryption); SA programming errors; rule validation and text
 * syntax of the actions.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "dp_flow_text.h"
#include "pipeline_esp_vectors.h"
#include "pl_esp_test_util.h"

enum {
	PORT_GUEST = 1,
	PORT_UPLINK = 2,
	PORT_INNER = 3,
	PORT_IKE = 4,
	SPI_BASE = 0x5000,
};

static const uint8_t gw_mac[6] = {2, 0, 0, 0, 0xaa, 1};
static const uint8_t peer_mac[6] = {2, 0, 0, 0, 0xbb, 1};

/* A: in_port 1 -> esp_encrypt(sa) -> MACs -> output 2. */
static void
rules_a(struct tu *t, uint32_t sa)
{
	struct dp_rule r;

	tu_rule(&r, 0, 10, 0);
	r.match.in_port = PORT_GUEST;
	r.mask.in_port = UINT32_MAX;
	tu_act(&r, DP_ACT_ESP_ENCRYPT)->u.esp.sa = sa;
	set_mac(&r, DP_F_ETH_DST, peer_mac);
	set_mac(&r, DP_F_ETH_SRC, gw_mac);
	tu_act(&r, DP_ACT_OUTPUT)->u.port = PORT_UPLINK;
	assert_int_equal(tu_install(t->pl, &r, 1), 0);
}

/*
 * B: ESP (50, or UDP 4500 with a non-zero SPI) -> esp_decrypt(table=1);
 * UDP 4500 with SPI 0 (IKE, non-ESP marker) -> output 4; table 1: reg1 =
 * the SA id -> output 3.
 */
static void
rules_b(struct tu *t, uint32_t sa)
{
	struct dp_rule r[4];

	tu_rule(&r[0], 0, 10, 0);
	r[0].match.eth_type = htons(0x0800);
	r[0].mask.eth_type = 0xffff;
	r[0].match.nw_proto = 50;
	r[0].mask.nw_proto = 0xff;
	tu_act(&r[0], DP_ACT_ESP_DECRYPT)->u.esp.table = 1;
	tu_rule(&r[1], 0, 10, 0);
	r[1].match.eth_type = htons(0x0800);
	r[1].mask.eth_type = 0xffff;
	r[1].match.nw_proto = 17;
	r[1].mask.nw_proto = 0xff;
	r[1].match.tp_dst = htons(4500);
	r[1].mask.tp_dst = 0xffff;
	tu_act(&r[1], DP_ACT_ESP_DECRYPT)->u.esp.table = 1;
	r[2] = r[1];
	r[2].priority = 20;
	r[2].n_actions = 0;
	r[2].mask.esp_spi = UINT32_MAX;
	tu_act(&r[2], DP_ACT_OUTPUT)->u.port = PORT_IKE;
	tu_rule(&r[3], 1, 10, PORT_INNER);
	r[3].match.reg1 = sa;
	r[3].mask.reg1 = UINT32_MAX;
	assert_int_equal(tu_install(t->pl, r, 4), 0);
}

static void
pair_setup(struct pair *p, uint32_t sa)
{
	assert_int_equal(tu_setup(&p->a, 1024, 0), 0);
	assert_int_equal(tu_setup(&p->b, 1024, 0), 0);
	rules_a(&p->a, sa);
	rules_b(&p->b, sa);
}

static void
sa_fill(struct dp_sa *s, uint32_t id, uint8_t dir, uint8_t cipher,
	uint8_t integ, uint8_t klen, uint8_t flags)
{
	static const uint8_t ikl[] = {0, 32, 48, 64};

	memset(s, 0, sizeof(*s));
	s->id = id;
	s->spi = SPI_BASE + id;
	s->dir = dir;
	s->cipher = cipher;
	s->integ = integ;
	s->flags = flags;
	s->enc_key_len = klen;
	s->integ_key_len = ikl[integ];
	s->src = htonl(0xc0000201);
	s->dst = htonl(0xc0000202);
	for (unsigned i = 0; i < sizeof(s->enc_key); i++)
		s->enc_key[i] = (uint8_t)(0x31 * i + cipher);
	for (unsigned i = 0; i < sizeof(s->integ_key); i++)
		s->integ_key[i] = (uint8_t)(0x17 * i + integ);
}

/* The same SA out on A and in on B. */
static void
sa_pair(struct pair *p, struct dp_sa *s)
{
	char err[160];

	s->dir = DP_SA_OUT;
	assert_int_equal(pl_esp_sa_add(p->a.pl, s, err, sizeof(err)), 0);
	s->dir = DP_SA_IN;
	assert_int_equal(pl_esp_sa_add(p->b.pl, s, err, sizeof(err)), 0);
}

/* A UDP/IPv4 guest frame of len bytes (>= 42). */
static size_t
guest_frame(uint8_t *b, unsigned len, uint16_t sport)
{
	struct tu_frame f;

	tu_frame_udp4(&f);
	f.src4 = 0x0a010005;
	f.dst4 = 0x0a020007;
	f.sport = sport;
	f.payload = (uint16_t)(len - 42);
	return tu_build(&f, b);
}

/* Encrypt one frame on A; returns its ciphertext frame (caller frees). */
static struct dp_packet *
encrypt1(struct pair *p, const uint8_t *frame, size_t len)
{
	struct dp_packet *c;

	tu_run(&p->a, frame, (uint32_t)len, PORT_GUEST);
	assert_int_equal(p->a.out.n_drop, 0);
	assert_int_equal(p->a.out.n_tx, 1);
	assert_int_equal(p->a.out.tx_port[0], PORT_UPLINK);
	c = tu_pkt_new(p->a.out.tx[0]->data, p->a.out.tx[0]->len, PORT_UPLINK);
	return c;
}

/* Decrypt a frame on B; 0 when it came out of PORT_INNER. */
static int
decrypt1(struct pair *p, const struct dp_packet *c)
{
	tu_run(&p->b, c->data, c->len, PORT_UPLINK);
	if (p->b.out.n_tx == 1 && p->b.out.tx_port[0] == PORT_INNER)
		return 0;
	return -1;
}

static void
check_inner(const struct pair *p, const uint8_t *frame, size_t len)
{
	const struct dp_packet *o = p->b.out.tx[0];

	assert_int_equal(o->len, len);
	assert_memory_equal(o->data, peer_mac, 6);
	assert_memory_equal(o->data + 6, gw_mac, 6);
	assert_memory_equal(o->data + 12, frame + 12, len - 12);
}

static void
round_trip(uint8_t cipher, uint8_t integ, uint8_t klen, uint8_t flags)
{
	static const unsigned lens[] = {42, 43, 60, 64, 77, 128, 1400, 1514};
	struct pair p;
	struct dp_sa s;
	uint8_t frame[1600];

	pair_setup(&p, 7);
	sa_fill(&s, 7, 0, cipher, integ, klen, flags);
	sa_pair(&p, &s);
	for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t n = guest_frame(frame, lens[i], (uint16_t)(100 + i));
		struct dp_packet *c = encrypt1(&p, frame, n);
		const uint8_t *ip = c->data + 14;

		assert_true(tu_csum_ok(c->data, c->len));
		assert_int_equal(ip[9], flags & DP_SA_F_NATT ? 17 : 50);
		assert_memory_equal(c->data, peer_mac, 6);
		if (flags & DP_SA_F_NATT) {
			assert_int_equal(ip[20] << 8 | ip[21], 4500);
			assert_int_equal(ip[22] << 8 | ip[23], 4500);
			ip += 8;
		}
		assert_int_equal(ip[20] << 24 | ip[21] << 16 | ip[22] << 8 |
					 ip[23],
				 SPI_BASE + 7);
		assert_int_equal(ip[27], (i + 1) & 0xff); /* sequence */
		assert_int_equal(decrypt1(&p, c), 0);
		check_inner(&p, frame, n);
		tu_pkt_free(c);
	}
	assert_int_equal(sa_get(p.a.pl, 7).packets, 8);
	assert_int_equal(sa_get(p.b.pl, 7).packets, 8);
	assert_int_equal(sa_get(p.b.pl, 7).seq, 8);
	pair_teardown(&p);
}

static void
test_round_trip_gcm(void **state)
{
	(void)state;
	round_trip(DP_SA_AES_GCM_16, 0, 20, 0);
	round_trip(DP_SA_AES_GCM_16, 0, 36, DP_SA_F_ESN);
}

static void
test_round_trip_cbc(void **state)
{
	(void)state;
	round_trip(DP_SA_AES_CBC, DP_SA_HMAC_SHA256_128, 16, 0);
	round_trip(DP_SA_AES_CBC, DP_SA_HMAC_SHA384_192, 32, DP_SA_F_ESN);
	round_trip(DP_SA_AES_CBC, DP_SA_HMAC_SHA512_256, 32, 0);
}

static void
test_round_trip_chacha(void **state)
{
	(void)state;
	round_trip(DP_SA_CHACHA20_POLY1305, 0, 36, 0);
	round_trip(DP_SA_CHACHA20_POLY1305, 0, 36, DP_SA_F_ESN);
}

static void
test_round_trip_natt(void **state)
{
	(void)state;
	round_trip(DP_SA_AES_GCM_16, 0, 20, DP_SA_F_NATT);
	round_trip(DP_SA_AES_CBC, DP_SA_HMAC_SHA256_128, 16,
		   DP_SA_F_NATT | DP_SA_F_ESN);
}

/* Packets made by scapy decrypt to scapy's inner packet. */
static void
test_scapy_vectors(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof(esp_vecs) / sizeof(esp_vecs[0]); i++) {
		const struct esp_vec *v = &esp_vecs[i];
		uint8_t frame[512];
		struct dp_packet *c;
		struct pair p;
		struct dp_sa s;
		char err[160];

		pair_setup(&p, 9);
		memset(&s, 0, sizeof(s));
		s.id = 9;
		s.spi = v->spi;
		s.dir = DP_SA_IN;
		s.cipher = v->cipher;
		s.integ = v->integ;
		s.flags = (v->esn ? DP_SA_F_ESN : 0) |
			  (v->natt ? DP_SA_F_NATT : 0);
		s.enc_key_len = v->enc_key_len;
		s.integ_key_len = v->integ_key_len;
		memcpy(s.enc_key, v->enc_key, sizeof(s.enc_key));
		memcpy(s.integ_key, v->integ_key, sizeof(s.integ_key));
		s.seq = v->seq - 1; /* window top just below */
		assert_int_equal(pl_esp_sa_add(p.b.pl, &s, err, sizeof(err)),
				 0);
		memcpy(frame, gw_mac, 6);
		memcpy(frame + 6, peer_mac, 6);
		frame[12] = 8;
		frame[13] = 0;
		memcpy(frame + 14, v->outer, v->outer_len);
		c = tu_pkt_new(frame, 14u + v->outer_len, PORT_UPLINK);
		print_message("vector %s\n", v->name);
		assert_int_equal(decrypt1(&p, c), 0);
		assert_int_equal(p.b.out.tx[0]->len, 14u + v->inner_len);
		assert_memory_equal(p.b.out.tx[0]->data + 14, v->inner,
				    v->inner_len);
		/* The same packet again is a replay. */
		assert_int_not_equal(decrypt1(&p, c), 0);
		assert_int_equal(drops(p.b.pl, DP_DROP_ESP_REPLAY), 1);
		tu_pkt_free(c);
		pair_teardown(&p);
	}
}

/*
 * RFC 8439 2.8.2: the AEAD vector's AAD (50515253 c0c1c2c3 c4c5c6c7) is
 * exactly ESP's with ESN (SPI, Seq high, Seq low; RFC 7634 3), and its
 * nonce the salt 07000000 and IV 4041424344454647. Its plaintext is not
 * an ESP payload (no valid trailer), so the packet authenticates and
 * decrypts in place, then is dropped as bad padding.
 */
static const uint8_t rfc8439_pt[] =
	"Ladies and Gentlemen of the class of '99: If I could offer you "
	"only one tip for the future, sunscreen would be it.";
static const uint8_t rfc8439_ct[] = {
	0xd3, 0x1a, 0x8d, 0x34, 0x64, 0x8e, 0x60, 0xdb, 0x7b, 0x86, 0xaf, 0xbc,
	0x53, 0xef, 0x7e, 0xc2, 0xa4, 0xad, 0xed, 0x51, 0x29, 0x6e, 0x08, 0xfe,
	0xa9, 0xe2, 0xb5, 0xa7, 0x36, 0xee, 0x62, 0xd6, 0x3d, 0xbe, 0xa4, 0x5e,
	0x8c, 0xa9, 0x67, 0x12, 0x82, 0xfa, 0xfb, 0x69, 0xda, 0x92, 0x72, 0x8b,
	0x1a, 0x71, 0xde, 0x0a, 0x9e, 0x06, 0x0b, 0x29, 0x05, 0xd6, 0xa5, 0xb6,
	0x7e, 0xcd, 0x3b, 0x36, 0x92, 0xdd, 0xbd, 0x7f, 0x2d, 0x77, 0x8b, 0x8c,
	0x98, 0x03, 0xae, 0xe3, 0x28, 0x09, 0x1b, 0x58, 0xfa, 0xb3, 0x24, 0xe4,
	0xfa, 0xd6, 0x75, 0x94, 0x55, 0x85, 0x80, 0x8b, 0x48, 0x31, 0xd7, 0xbc,
	0x3f, 0xf4, 0xde, 0xf0, 0x8e, 0x4b, 0x7a, 0x9d, 0xe5, 0x76, 0xd2, 0x65,
	0x86, 0xce, 0xc6, 0x4b, 0x61, 0x16,
	/* tag */
	0x1a, 0xe1, 0x0b, 0x59, 0x4f, 0x09, 0xe2, 0x6a, 0x7e, 0x90, 0x2e, 0xcb,
	0xd0, 0x60, 0x06, 0x91};

static void
test_rfc8439_vector(void **state)
{
	uint8_t frame[256], *ip = frame + 14, *esp = ip + 20;
	size_t ct_len = sizeof(rfc8439_ct), ip_len = 20 + 16 + ct_len;
	const struct dp_packet *o;
	struct dp_sa_info si;
	struct dp_packet *c;
	struct pair p;
	struct dp_sa s;
	char err[160];
	uint32_t sum = 0;

	(void)state;
	assert_int_equal(sizeof(rfc8439_pt) - 1 + 16, ct_len);
	pair_setup(&p, 5);
	memset(&s, 0, sizeof(s));
	s.id = 5;
	s.spi = 0x50515253;
	s.dir = DP_SA_IN;
	s.cipher = DP_SA_CHACHA20_POLY1305;
	s.flags = DP_SA_F_ESN;
	s.enc_key_len = 36;
	for (unsigned i = 0; i < 32; i++)
		s.enc_key[i] = (uint8_t)(0x80 + i);
	s.enc_key[32] = 0x07;
	s.seq = 0xc0c1c2c3c4c5c600ULL;
	assert_int_equal(pl_esp_sa_add(p.b.pl, &s, err, sizeof(err)), 0);

	memset(frame, 0, sizeof(frame));
	memcpy(frame, gw_mac, 6);
	memcpy(frame + 6, peer_mac, 6);
	frame[12] = 8;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(ip_len >> 8);
	ip[3] = (uint8_t)ip_len;
	ip[8] = 64;
	ip[9] = 50;
	tu_put32(ip + 12, 0xc0000202);
	tu_put32(ip + 16, 0xc0000201);
	tu_put16(ip + 10, (uint16_t)~tu_fold(tu_sum(ip, 20, sum)));
	tu_put32(esp, 0x50515253);
	tu_put32(esp + 4, 0xc4c5c6c7);
	for (unsigned i = 0; i < 8; i++)
		esp[8 + i] = (uint8_t)(0x40 + i);
	memcpy(esp + 16, rfc8439_ct, ct_len);
	c = tu_pkt_new(frame, (uint32_t)(14 + ip_len), PORT_UPLINK);
	assert_int_not_equal(decrypt1(&p, c), 0);
	si = sa_get(p.b.pl, 5);
	assert_int_equal(si.auth_fails, 0);
	assert_int_equal(si.bad_pad, 1);
	assert_int_equal(drops(p.b.pl, DP_DROP_ESP_BAD), 1);
	o = p.b.out.drop[0];
	assert_memory_equal(o->data + 14 + 20 + 16, rfc8439_pt,
			    sizeof(rfc8439_pt) - 1);
	/* Authenticated: the window saw it, so again is a replay. */
	assert_int_not_equal(decrypt1(&p, c), 0);
	assert_int_equal(sa_get(p.b.pl, 5).replay_drops, 1);
	assert_int_equal(sa_get(p.b.pl, 5).seq, 0xc0c1c2c3c4c5c6c7ULL);
	tu_pkt_free(c);
	pair_teardown(&p);
}

static void
test_esn_wrap(void **state)
{
	struct pair p;
	struct dp_sa s;
	uint8_t frame[128];
	size_t n = guest_frame(frame, 100, 7);

	(void)state;
	pair_setup(&p, 3);
	sa_fill(&s, 3, 0, DP_SA_AES_GCM_16, 0, 20, DP_SA_F_ESN);
	s.seq = 0xfffffff0ULL;
	sa_pair(&p, &s);
	struct dp_packet *c[40];

	for (unsigned i = 0; i < 40; i++)
		c[i] = encrypt1(&p, frame, n);
	/*
	 * Out of order across the wrap of the low 32 bits: 0x1_00000002
	 * before 0xffffffff and 0x1_00000000 (RFC 4303 A2.2 infers the high
	 * bits of each from the window), then duplicates on both sides.
	 */
	for (unsigned i = 0; i < 14; i++)
		assert_int_equal(decrypt1(&p, c[i]), 0);
	assert_int_equal(decrypt1(&p, c[17]), 0);
	assert_int_equal(decrypt1(&p, c[14]), 0);
	assert_int_equal(decrypt1(&p, c[16]), 0);
	assert_int_equal(decrypt1(&p, c[15]), 0);
	assert_int_not_equal(decrypt1(&p, c[14]), 0);
	assert_int_not_equal(decrypt1(&p, c[17]), 0);
	for (unsigned i = 18; i < 40; i++)
		assert_int_equal(decrypt1(&p, c[i]), 0);
	assert_int_equal(sa_get(p.b.pl, 3).replay_drops, 2);
	for (unsigned i = 0; i < 40; i++)
		tu_pkt_free(c[i]);
	assert_int_equal(sa_get(p.a.pl, 3).seq, 0x100000018ULL);
	assert_int_equal(sa_get(p.b.pl, 3).seq, 0x100000018ULL);
	assert_int_equal(sa_get(p.b.pl, 3).packets, 40);
	pair_teardown(&p);
}

/* Replay: out of order within the window, duplicates, too old. */
static void
test_replay(void **state)
{
	struct dp_packet *c[1100];
	struct dp_sa_info si;
	struct pair p;
	struct dp_sa s;
	uint8_t frame[128];
	size_t n = guest_frame(frame, 80, 9);

	(void)state;
	pair_setup(&p, 4);
	sa_fill(&s, 4, 0, DP_SA_AES_GCM_16, 0, 20, 0);
	sa_pair(&p, &s);
	for (unsigned i = 0; i < 1100; i++)
		c[i] = encrypt1(&p, frame, n);
	/* 0, 2, 1: out of order within the window. */
	assert_int_equal(decrypt1(&p, c[0]), 0);
	assert_int_equal(decrypt1(&p, c[2]), 0);
	assert_int_equal(decrypt1(&p, c[1]), 0);
	/* Duplicates. */
	assert_int_not_equal(decrypt1(&p, c[1]), 0);
	assert_int_not_equal(decrypt1(&p, c[2]), 0);
	/* Jump ahead by 1099: 3 .. 75 fall out of the 1024 window. */
	assert_int_equal(decrypt1(&p, c[1099]), 0);
	assert_int_not_equal(decrypt1(&p, c[3]), 0);
	assert_int_not_equal(decrypt1(&p, c[75]), 0);
	/* 76 is the oldest still inside: accepted once. */
	assert_int_equal(decrypt1(&p, c[76]), 0);
	assert_int_not_equal(decrypt1(&p, c[76]), 0);
	assert_int_equal(decrypt1(&p, c[1000]), 0);
	si = sa_get(p.b.pl, 4);
	assert_int_equal(si.replay_drops, 5);
	assert_int_equal(si.packets, 6);
	assert_int_equal(drops(p.b.pl, DP_DROP_ESP_REPLAY), 5);
	for (unsigned i = 0; i < 1100; i++)
		tu_pkt_free(c[i]);
	pair_teardown(&p);

	/*
	 * With ESN a number below the window is read as one of the next
	 * 2^32 cycle (RFC 4303 A2.2): it fails authentication instead, and
	 * the window does not move.
	 */
	pair_setup(&p, 4);
	sa_fill(&s, 4, 0, DP_SA_AES_GCM_16, 0, 20, DP_SA_F_ESN);
	s.seq = 0x1ffff0000ULL;
	sa_pair(&p, &s);
	for (unsigned i = 0; i < 1100; i++)
		c[i] = encrypt1(&p, frame, n);
	assert_int_equal(decrypt1(&p, c[1099]), 0);
	assert_int_not_equal(decrypt1(&p, c[3]), 0);
	si = sa_get(p.b.pl, 4);
	assert_int_equal(si.auth_fails, 1);
	assert_int_equal(si.replay_drops, 0);
	assert_int_equal(si.seq, 0x1ffff0000ULL + 1100);
	assert_int_equal(decrypt1(&p, c[1000]), 0);
	for (unsigned i = 0; i < 1100; i++)
		tu_pkt_free(c[i]);
	pair_teardown(&p);
}

static void
test_tamper(void **state)
{
	static const uint8_t ciphers[][3] = {
		{DP_SA_AES_GCM_16, 0, 20},
		{DP_SA_AES_CBC, DP_SA_HMAC_SHA256_128, 16},
		{DP_SA_CHACHA20_POLY1305, 0, 36},
	};

	(void)state;
	for (unsigned k = 0; k < 3; k++) {
		struct pair p;
		struct dp_sa s;
		uint8_t frame[256];
		size_t n = guest_frame(frame, 200, 11);
		struct dp_packet *c;

		pair_setup(&p, 6);
		sa_fill(&s, 6, 0, ciphers[k][0], ciphers[k][1], ciphers[k][2],
			0);
		sa_pair(&p, &s);
		/* ICV, ciphertext, sequence number: each is a forgery. */
		c = encrypt1(&p, frame, n);
		c->data[c->len - 3] ^= 0x40;
		assert_int_not_equal(decrypt1(&p, c), 0);
		tu_pkt_free(c);
		c = encrypt1(&p, frame, n);
		c->data[14 + 20 + 8 + 20] ^= 1;
		assert_int_not_equal(decrypt1(&p, c), 0);
		tu_pkt_free(c);
		c = encrypt1(&p, frame, n);
		c->data[14 + 20 + 7] ^= 0x10;
		assert_int_not_equal(decrypt1(&p, c), 0);
		/* The untouched packet still passes after the forgeries. */
		c->data[14 + 20 + 7] ^= 0x10;
		assert_int_equal(decrypt1(&p, c), 0);
		tu_pkt_free(c);
		assert_int_equal(sa_get(p.b.pl, 6).auth_fails, 3);
		assert_int_equal(drops(p.b.pl, DP_DROP_ESP_AUTH), 3);
		/* A truncated ESP packet is bad, not a forgery. */
		c = encrypt1(&p, frame, n);
		c->len = 14 + 20 + 8 + 8;
		c->data[16] = 0;
		c->data[17] = 36;
		assert_int_not_equal(decrypt1(&p, c), 0);
		tu_pkt_free(c);
		pair_teardown(&p);
	}
}

struct ev_log {
	unsigned n;
	struct dp_sa_event ev[8];
};

static void
ev_cb(const struct dp_sa_event *ev, void *arg)
{
	struct ev_log *l = arg;

	if (l->n < 8)
		l->ev[l->n++] = *ev;
}

static void
test_exhaustion(void **state)
{
	struct ev_log log;
	struct pair p;
	struct dp_sa s;
	uint8_t frame[128];
	size_t n = guest_frame(frame, 64, 13);
	struct dp_packet *c;

	(void)state;
	pair_setup(&p, 8);
	sa_fill(&s, 8, 0, DP_SA_AES_GCM_16, 0, 20, 0);
	s.seq = 0xffffffffULL - (1u << 20) - 2;
	sa_pair(&p, &s);
	memset(&log, 0, sizeof(log));
	assert_int_equal(pl_esp_sa_events(p.a.pl, ev_cb, &log), 0);
	c = encrypt1(&p, frame, n);
	tu_pkt_free(c);
	assert_int_equal(pl_esp_sa_events(p.a.pl, ev_cb, &log), 0);
	c = encrypt1(&p, frame, n);
	tu_pkt_free(c);
	assert_int_equal(pl_esp_sa_events(p.a.pl, ev_cb, &log), 1);
	assert_int_equal(log.ev[0].id, 8);
	assert_int_equal(log.ev[0].kinds, DP_SA_EV_SEQ_NEAR_END);
	assert_int_equal(log.ev[0].seq, 0xffffffffULL - (1u << 20));
	/* Reported once. */
	assert_int_equal(pl_esp_sa_events(p.a.pl, ev_cb, &log), 0);
	pair_teardown(&p);

	/* The last number is used, then nothing is sent: never a wrap. */
	pair_setup(&p, 8);
	sa_fill(&s, 8, 0, DP_SA_AES_GCM_16, 0, 20, 0);
	s.seq = 0xfffffffeULL;
	s.soft_packets = 1;
	sa_pair(&p, &s);
	c = encrypt1(&p, frame, n);
	assert_int_equal(c->data[14 + 20 + 4], 0xff);
	assert_int_equal(c->data[14 + 20 + 7], 0xff);
	assert_int_equal(decrypt1(&p, c), 0);
	tu_pkt_free(c);
	tu_run(&p.a, frame, (uint32_t)n, PORT_GUEST);
	assert_int_equal(p.a.out.n_tx, 0);
	assert_int_equal(p.a.out.n_drop, 1);
	assert_int_equal(drops(p.a.pl, DP_DROP_ESP_SEQ), 1);
	assert_int_equal(sa_get(p.a.pl, 8).seq_exhausted, 1);
	assert_int_equal(sa_get(p.a.pl, 8).seq, 0xffffffffULL);
	memset(&log, 0, sizeof(log));
	assert_int_equal(pl_esp_sa_events(p.a.pl, ev_cb, &log), 1);
	assert_int_equal(log.ev[0].kinds, DP_SA_EV_SEQ_NEAR_END |
						  DP_SA_EV_SEQ_EXHAUSTED |
						  DP_SA_EV_SOFT_PACKETS);
	pair_teardown(&p);
}

/*
 * One burst of k copies of the frames f[i % n_f] on A; packet no_room
 * (UINT32_MAX: none) has too little headroom for the ESP headers.
 */
static void
burst_a(struct pair *p, uint8_t (*f)[128], const size_t *len, unsigned n_f,
	unsigned k, unsigned no_room)
{
	struct dp_packet *v[DP_BURST];

	tu_out_free(&p->a.out);
	for (unsigned i = 0; i < k; i++) {
		v[i] = tu_pkt_new(f[i % n_f], (uint32_t)len[i % n_f],
				  PORT_GUEST);
		if (i == no_room)
			v[i]->headroom = 20;
	}
	dp_worker_process(p->a.w, v, k, &p->a.out);
	dp_worker_quiescent(p->a.w);
}

/* ESP sequence number (low 32 bits) and SPI of an output frame. */
static uint32_t
out_seq(const struct dp_packet *o)
{
	return (uint32_t)o->data[38] << 24 | (uint32_t)o->data[39] << 16 |
	       (uint32_t)o->data[40] << 8 | o->data[41];
}

static uint32_t
out_spi(const struct dp_packet *o)
{
	return (uint32_t)o->data[34] << 24 | (uint32_t)o->data[35] << 16 |
	       (uint32_t)o->data[36] << 8 | o->data[37];
}

static uint64_t
cache_hits(struct dp_pipeline *pl)
{
	struct dp_cache_stats cs;

	dp_pipeline_cache_stats(pl, &cs);
	return cs.hits;
}

/*
 * Bursts grouped per SA (pl_esp_burst_begin): two SAs interleaved in a
 * burst of cache hits each get consecutive sequence numbers in packet
 * order, continuing where the per-packet path (the first burst, all cache
 * misses) stopped; a packet dropped before its encrypt leaves no gap (its
 * reserved number goes back); counters are complete after each burst; the
 * ciphertexts decrypt.
 */
static void
test_burst_groups(void **state)
{
	uint8_t f[2][128];
	size_t len[2];
	uint32_t next[2] = {1, 1};
	struct dp_rule r;
	struct pair p;
	struct dp_sa s;
	char err[160];
	unsigned n_ok = 0;

	(void)state;
	pair_setup(&p, 1);
	sa_fill(&s, 1, 0, DP_SA_AES_GCM_16, 0, 20, 0);
	sa_pair(&p, &s);
	sa_fill(&s, 2, DP_SA_OUT, DP_SA_AES_GCM_16, 0, 36, DP_SA_F_ESN);
	assert_int_equal(pl_esp_sa_add(p.a.pl, &s, err, sizeof(err)), 0);
	/* UDP source port 2 goes to SA 2, the rest (port 1) to SA 1. */
	tu_rule(&r, 0, 20, 0);
	r.match.in_port = PORT_GUEST;
	r.mask.in_port = UINT32_MAX;
	r.match.eth_type = htons(0x0800);
	r.mask.eth_type = 0xffff;
	r.match.nw_proto = 17;
	r.mask.nw_proto = 0xff;
	r.match.tp_src = htons(2);
	r.mask.tp_src = 0xffff;
	tu_act(&r, DP_ACT_ESP_ENCRYPT)->u.esp.sa = 2;
	tu_act(&r, DP_ACT_OUTPUT)->u.port = PORT_UPLINK;
	assert_int_equal(tu_install(p.a.pl, &r, 1), 0);
	len[0] = guest_frame(f[0], 80, 1);
	len[1] = guest_frame(f[1], 90, 2);

	for (unsigned b = 0; b < 4; b++) {
		uint64_t hits = cache_hits(p.a.pl);
		unsigned no_room = b == 2 ? 5 : UINT32_MAX;

		burst_a(&p, f, len, 2, DP_BURST, no_room);
		if (b > 0) /* grouped: every packet a cache hit */
			assert_int_equal(cache_hits(p.a.pl) - hits, DP_BURST);
		assert_int_equal(p.a.out.n_tx, DP_BURST - (b == 2));
		for (unsigned i = 0; i < p.a.out.n_tx; i++) {
			const struct dp_packet *o = p.a.out.tx[i];
			unsigned which = out_spi(o) == SPI_BASE + 2;
			struct dp_packet *c;

			assert_int_equal(out_seq(o), next[which]);
			next[which]++;
			if (which == 1)
				continue;
			c = tu_pkt_new(o->data, o->len, PORT_UPLINK);
			assert_int_equal(decrypt1(&p, c), 0);
			check_inner(&p, f[0], len[0]);
			tu_pkt_free(c);
			n_ok++;
		}
		/* Counters and numbers are complete at the burst's end. */
		assert_int_equal(sa_get(p.a.pl, 1).seq, next[0] - 1);
		assert_int_equal(sa_get(p.a.pl, 2).seq, next[1] - 1);
		assert_int_equal(sa_get(p.a.pl, 1).packets, next[0] - 1);
		assert_int_equal(sa_get(p.a.pl, 2).packets, next[1] - 1);
	}
	assert_int_equal(n_ok, next[0] - 1);
	assert_int_equal(sa_get(p.a.pl, 2).no_room, 1); /* packet 5 */
	pair_teardown(&p);
}

/*
 * Exhaustion through a grouped burst, without and with ESN: of a burst
 * of 32 cache hits with 10 numbers left, 10 are sent (the last with the
 * last number) and 22 dropped and counted; the next burst sends nothing;
 * the events come once. Never a wrap.
 */
static void
exhaust_grouped(uint8_t flags, uint64_t max)
{
	struct ev_log log;
	uint8_t f[1][128];
	size_t len[1];
	struct pair p;
	struct dp_sa s;

	pair_setup(&p, 3);
	sa_fill(&s, 3, 0, DP_SA_AES_GCM_16, 0, 20, flags);
	s.seq = max - 10 - DP_BURST;
	sa_pair(&p, &s);
	len[0] = guest_frame(f[0], 64, 9);
	burst_a(&p, f, len, 1, DP_BURST, UINT32_MAX); /* misses */
	assert_int_equal(p.a.out.n_tx, DP_BURST);
	assert_true(sa_get(p.a.pl, 3).seq == max - 10);
	burst_a(&p, f, len, 1, DP_BURST, UINT32_MAX); /* hits */
	assert_int_equal(p.a.out.n_tx, 10);
	assert_int_equal(p.a.out.n_drop, DP_BURST - 10);
	assert_int_equal(out_seq(p.a.out.tx[9]), 0xffffffffu);
	assert_true(sa_get(p.a.pl, 3).seq == max);
	assert_int_equal(sa_get(p.a.pl, 3).seq_exhausted, DP_BURST - 10);
	assert_int_equal(drops(p.a.pl, DP_DROP_ESP_SEQ), DP_BURST - 10);
	assert_int_equal(decrypt1(&p, p.a.out.tx[9]), 0);
	burst_a(&p, f, len, 1, DP_BURST, UINT32_MAX);
	assert_int_equal(p.a.out.n_tx, 0);
	assert_int_equal(sa_get(p.a.pl, 3).seq_exhausted, 2 * DP_BURST - 10);
	assert_true(sa_get(p.a.pl, 3).seq == max);
	memset(&log, 0, sizeof(log));
	assert_int_equal(pl_esp_sa_events(p.a.pl, ev_cb, &log), 1);
	assert_int_equal(log.ev[0].kinds,
			 DP_SA_EV_SEQ_NEAR_END | DP_SA_EV_SEQ_EXHAUSTED);
	assert_int_equal(pl_esp_sa_events(p.a.pl, ev_cb, &log), 0);
	pair_teardown(&p);
}

static void
test_exhaustion_grouped(void **state)
{
	(void)state;
	exhaust_grouped(0, UINT32_MAX);
	exhaust_grouped(DP_SA_F_ESN, UINT64_MAX);
}

/* NAT-T: IKE (non-ESP marker) goes by the rules, never to decrypt. */
static void
test_natt_ike_marker(void **state)
{
	struct pair p;
	struct dp_sa s;
	uint8_t frame[256];
	struct tu_frame f;
	size_t n;

	(void)state;
	pair_setup(&p, 2);
	sa_fill(&s, 2, 0, DP_SA_AES_GCM_16, 0, 20, DP_SA_F_NATT);
	sa_pair(&p, &s);
	tu_frame_udp4(&f);
	f.sport = 4500;
	f.dport = 4500;
	f.payload = 40;
	n = tu_build(&f, frame);
	memset(frame + 42, 0, 4); /* the non-ESP marker, then IKE */
	tu_run(&p.b, frame, (uint32_t)n, PORT_UPLINK);
	assert_int_equal(p.b.out.n_tx, 1);
	assert_int_equal(p.b.out.tx_port[0], PORT_IKE);
	/* ESP to an unknown SPI: counted, dropped. */
	frame[14 + 20 + 8 + 3] = 0x77;
	tu_run(&p.b, frame, (uint32_t)n, PORT_UPLINK);
	assert_int_equal(p.b.out.n_drop, 1);
	assert_int_equal(drops(p.b.pl, DP_DROP_ESP_NO_SA), 1);
	pair_teardown(&p);
}

static void
test_no_room(void **state)
{
	struct pair p;
	struct dp_sa s;
	uint8_t frame[128];
	size_t n = guest_frame(frame, 100, 1);
	struct dp_packet *pk;

	(void)state;
	pair_setup(&p, 1);
	sa_fill(&s, 1, 0, DP_SA_AES_GCM_16, 0, 20, 0);
	sa_pair(&p, &s);
	pk = tu_pkt_new(frame, (uint32_t)n, PORT_GUEST);
	pk->headroom = 20;
	tu_out_free(&p.a.out);
	dp_worker_process(p.a.w, &pk, 1, &p.a.out);
	assert_int_equal(p.a.out.n_drop, 1);
	tu_out_free(&p.a.out);
	pk = tu_pkt_new(frame, (uint32_t)n, PORT_GUEST);
	pk->tailroom = 10;
	dp_worker_process(p.a.w, &pk, 1, &p.a.out);
	assert_int_equal(p.a.out.n_drop, 1);
	tu_out_free(&p.a.out);
	assert_int_equal(drops(p.a.pl, DP_DROP_ESP_NO_ROOM), 2);
	assert_int_equal(sa_get(p.a.pl, 1).no_room, 2);
	/* Neither consumed a sequence number. */
	assert_int_equal(sa_get(p.a.pl, 1).seq, 0);
	/* No SA 2: dropped. */
	assert_int_equal(pl_esp_sa_del(p.a.pl, 1), 0);
	tu_run(&p.a, frame, (uint32_t)n, PORT_GUEST);
	assert_int_equal(drops(p.a.pl, DP_DROP_ESP_NO_SA), 1);
	pair_teardown(&p);
}

/* IPv4 guest frame of len bytes with DF set (checksum redone). */
static size_t
guest_frame_df(uint8_t *b, unsigned len, uint16_t sport)
{
	size_t n = guest_frame(b, len, sport);
	uint32_t sum = 0;

	b[14 + 6] |= 0x40;
	b[14 + 10] = b[14 + 11] = 0;
	for (unsigned i = 0; i < 20; i += 2)
		sum += (uint32_t)(b[14 + i] << 8 | b[14 + i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	b[14 + 10] = (uint8_t)(~sum >> 8);
	b[14 + 11] = (uint8_t)~sum;
	return n;
}

/* A UDP/IPv6 guest frame of len bytes (fd01::5 -> fd02::7). */
static size_t
guest_frame6(uint8_t *b, unsigned len)
{
	struct tu_frame f;

	tu_frame_udp4(&f);
	guest_addrs(&f, true);
	f.ttl = 64;
	f.payload = (uint16_t)(len - 62);
	return tu_build(&f, b);
}

/*
 * Path MTU: with mtu 1500 the largest inner packet is 1446 bytes (AES-GCM:
 * 20 + 8 + 8 + body aligned to 4 + 16 ICV), 1438 with NAT-T, 1438 with
 * AES-CBC (16-byte alignment). One byte more: DF set -> punted unchanged
 * with DP_PUNT_ESP_MTU | next-hop MTU; DF clear -> two fragments
 * (test_prefrag), counted.
 */
static void
mtu_case(uint8_t cipher, uint8_t integ, uint8_t klen, uint8_t flags,
	 unsigned in_mtu)
{
	struct pair p;
	struct dp_sa s;
	uint8_t frame[1600];
	size_t n;
	struct dp_packet *c;
	struct dp_sa_info si;

	pair_setup(&p, 3);
	sa_fill(&s, 3, 0, cipher, integ, klen, flags);
	s.mtu = 1500;
	sa_pair(&p, &s);
	/* Exactly in_mtu: fits, and the outer packet is <= 1500. */
	n = guest_frame_df(frame, 14 + in_mtu, 9);
	c = encrypt1(&p, frame, n);
	assert_true(c->len - 14 <= 1500);
	assert_true(c->len - 14 > 1500 - 16); /* the bound is tight */
	assert_true(tu_csum_ok(c->data, c->len));
	assert_int_equal(decrypt1(&p, c), 0);
	check_inner(&p, frame, n);
	tu_pkt_free(c);
	/* One byte more with DF: punted as it was, with the MTU. */
	n = guest_frame_df(frame, 14 + in_mtu + 1, 9);
	tu_run(&p.a, frame, (uint32_t)n, PORT_GUEST);
	assert_int_equal(p.a.out.n_tx, 0);
	assert_int_equal(p.a.out.n_drop, 0);
	assert_int_equal(p.a.out.n_punt, 1);
	assert_int_equal(p.a.out.punt[0]->punt_reason,
			 DP_PUNT_ESP_MTU | in_mtu);
	assert_int_equal(p.a.out.punt[0]->len, n);
	assert_memory_equal(p.a.out.punt[0]->data, frame, n);
	si = sa_get(p.a.pl, 3);
	assert_int_equal(si.seq, 1); /* the too big used no number */
	/* IPv6 one byte over: punted too (routers never fragment it). */
	n = guest_frame6(frame, 14 + in_mtu + 1);
	tu_run(&p.a, frame, (uint32_t)n, PORT_GUEST);
	assert_int_equal(p.a.out.n_punt, 1);
	assert_int_equal(p.a.out.punt[0]->punt_reason,
			 DP_PUNT_ESP_MTU | in_mtu);
	assert_memory_equal(p.a.out.punt[0]->data, frame, n);
	/* DF clear: fragmented into two ESP packets. */
	n = guest_frame(frame, 14 + in_mtu + 1, 9);
	tu_run(&p.a, frame, (uint32_t)n, PORT_GUEST);
	assert_int_equal(p.a.out.n_punt, 0);
	assert_int_equal(p.a.out.n_drop, 0);
	assert_int_equal(p.a.out.n_tx, 2);
	assert_int_equal(drops(p.a.pl, DP_DROP_ESP_TOO_BIG), 0);
	si = sa_get(p.a.pl, 3);
	assert_int_equal(si.too_big, 3);
	assert_int_equal(si.too_big_punts, 2);
	assert_int_equal(si.too_big_frags, 1);
	assert_int_equal(si.packets, 3);
	assert_int_equal(si.seq, 3);
	/* Rate limit: at most DP_ESP_MTU_PUNTS_PER_S a second. */
	n = guest_frame_df(frame, 1514, 9);
	for (unsigned i = 0; i < DP_ESP_MTU_PUNTS_PER_S + 20; i++)
		tu_run(&p.a, frame, (uint32_t)n, PORT_GUEST);
	si = sa_get(p.a.pl, 3);
	assert_int_equal(si.too_big, 3 + DP_ESP_MTU_PUNTS_PER_S + 20);
	assert_int_equal(si.too_big_frags, 1);
	assert_true(si.too_big_punts <= 2 * DP_ESP_MTU_PUNTS_PER_S + 2);
	assert_true(si.too_big_punts >= DP_ESP_MTU_PUNTS_PER_S);
	pair_teardown(&p);
}

/* A UDP/IPv4 guest frame of len bytes, DF clear, payload a pattern. */
static size_t
big_frame(uint8_t *b, unsigned len, uint16_t frag_field)
{
	size_t n = guest_frame(b, len, 77);
	uint8_t *ip = b + 14, *udp = ip + 20;
	uint32_t sum = 0;

	for (size_t i = 42; i < n; i++)
		b[i] = (uint8_t)(i * 7 + 3);
	udp[6] = udp[7] = 0;
	sum = tu_pseudo(ip, false, 17, (uint32_t)(n - 34));
	sum = tu_fold(tu_sum(udp, n - 34, sum));
	udp[6] = (uint8_t)(sum >> 8);
	udp[7] = (uint8_t)sum;
	ip[6] = (uint8_t)(frag_field >> 8);
	ip[7] = (uint8_t)frag_field;
	ip[10] = ip[11] = 0;
	sum = tu_fold(tu_sum(ip, 20, 0));
	ip[10] = (uint8_t)(sum >> 8);
	ip[11] = (uint8_t)sum;
	assert_true(tu_csum_ok(b, n));
	return n;
}

/*
 * RFC 4459 pre-fragmentation: an inner IPv4 packet with DF clear over
 * the SA's mtu leaves as several ESP packets, each an inner fragment
 * that fits (offsets, MF, lengths, header checksums right), in sequence
 * order, each with the Ethernet addresses the rules set after the
 * encrypt; decrypted one by one on B they reassemble to the original. An
 * inner packet that is itself a fragment keeps its offset and MF.
 */
static void
prefrag_case(uint8_t cipher, uint8_t integ, uint8_t klen, uint8_t flags,
	     unsigned in_mtu, unsigned len, uint16_t frag_field)
{
	static uint8_t frame[16384], re[16384];
	unsigned chunk = (in_mtu - 20) & ~7u, data = len - 20;
	unsigned nf = (data + chunk - 1) / chunk, got = 0;
	uint16_t off0 = frag_field & 0x1fff;
	struct dp_packet *c[8];
	struct dp_sa_info si;
	struct pair p;
	struct dp_sa s;
	size_t n;

	pair_setup(&p, 3);
	sa_fill(&s, 3, 0, cipher, integ, klen, flags);
	s.mtu = 1500;
	sa_pair(&p, &s);
	n = big_frame(frame, 14 + len, frag_field);
	tu_run(&p.a, frame, (uint32_t)n, PORT_GUEST);
	assert_int_equal(p.a.out.n_drop, 0);
	assert_int_equal(p.a.out.n_punt, 0);
	assert_int_equal(p.a.out.n_tx, nf);
	for (unsigned i = 0; i < nf; i++) {
		const struct dp_packet *o = p.a.out.tx[i];
		const uint8_t *ip = o->data + 14;
		unsigned esp = flags & DP_SA_F_NATT ? 28 : 20;

		assert_int_equal(p.a.out.tx_port[i], PORT_UPLINK);
		assert_memory_equal(o->data, peer_mac, 6);
		assert_memory_equal(o->data + 6, gw_mac, 6);
		assert_true(tu_csum_ok(o->data, o->len));
		assert_true(o->len - 14 <= 1500);
		assert_int_equal(ip[2] << 8 | ip[3], o->len - 14);
		assert_int_equal(ip[esp + 7], i + 1); /* sequence order */
		c[i] = tu_pkt_new(o->data, o->len, PORT_UPLINK);
	}
	si = sa_get(p.a.pl, 3);
	assert_int_equal(si.too_big, 1);
	assert_int_equal(si.too_big_frags, 1);
	assert_int_equal(si.packets, nf);
	memcpy(re, frame, 34);
	for (unsigned i = 0; i < nf; i++) {
		const struct dp_packet *o;
		const uint8_t *ip;
		unsigned flen, off, want;
		uint16_t ff;

		assert_int_equal(decrypt1(&p, c[i]), 0);
		tu_pkt_free(c[i]);
		o = p.b.out.tx[0];
		ip = o->data + 14;
		assert_true(tu_csum_ok(o->data, o->len)); /* header checksum */
		flen = (unsigned)(ip[2] << 8 | ip[3]);
		ff = (uint16_t)(ip[6] << 8 | ip[7]);
		off = (ff & 0x1fffu) - off0;
		want = i < nf - 1 ? chunk : data - i * chunk;
		assert_int_equal(o->len, 14 + flen);
		assert_int_equal(flen, 20 + want);
		assert_true(flen <= in_mtu);
		assert_int_equal(off * 8, i * chunk);
		assert_int_equal(ff & 0x4000, 0);
		assert_int_equal(!!(ff & 0x2000),
				 i < nf - 1 || (frag_field & 0x2000));
		/* The rest of the header is the original's. */
		assert_memory_equal(ip, frame + 14, 2);
		assert_memory_equal(ip + 4, frame + 14 + 4, 2);
		assert_memory_equal(ip + 8, frame + 14 + 8, 2);
		assert_memory_equal(ip + 12, frame + 14 + 12, 8);
		memcpy(re + 34 + off * 8, ip + 20, want);
		got += want;
	}
	assert_int_equal(got, data);
	assert_memory_equal(re + 34, frame + 34, data);
	if (frag_field == 0)
		assert_true(tu_csum_ok(re, n)); /* the UDP checksum */
	assert_int_equal(sa_get(p.b.pl, 3).packets, nf);
	pair_teardown(&p);
}

static void
test_prefrag(void **state)
{
	(void)state;
	prefrag_case(DP_SA_AES_GCM_16, 0, 20, 0, 1446, 3028, 0);
	prefrag_case(DP_SA_AES_GCM_16, 0, 20, DP_SA_F_NATT, 1438, 3028, 0);
	prefrag_case(DP_SA_AES_CBC, DP_SA_HMAC_SHA256_128, 16, DP_SA_F_ESN,
		     1438, 1500, 0);
	prefrag_case(DP_SA_CHACHA20_POLY1305, 0, 36, 0, 1446, 1447, 0);
	/* A fragment (offset 800 bytes, MF) fragmented again. */
	prefrag_case(DP_SA_AES_GCM_16, 0, 20, 0, 1446, 2000, 0x2000 | 100);
	/* The last fragment of a packet (offset, no MF). */
	prefrag_case(DP_SA_AES_GCM_16, 0, 20, 0, 1446, 1500, 185);
	/* Eight fragments at most; more is a drop. */
	prefrag_case(DP_SA_AES_GCM_16, 0, 20, 0, 1446, 20 + 8 * 1424, 0);
}

/*
 * What is not fragmented: an inner IPv4 header with options (dropped,
 * counted), more than eight fragments (dropped).
 */
static void
test_prefrag_refused(void **state)
{
	static uint8_t frame[16384];
	struct pair p;
	struct dp_sa s;
	size_t n;

	(void)state;
	pair_setup(&p, 3);
	sa_fill(&s, 3, 0, DP_SA_AES_GCM_16, 0, 20, 0);
	s.mtu = 1500;
	sa_pair(&p, &s);
	n = big_frame(frame, 14 + 20 + 8 * 1424 + 1, 0);
	tu_run(&p.a, frame, (uint32_t)n, PORT_GUEST);
	assert_int_equal(p.a.out.n_tx, 0);
	assert_int_equal(p.a.out.n_drop, 1);
	assert_int_equal(drops(p.a.pl, DP_DROP_ESP_TOO_BIG), 1);
	/* IHL 6 (a 4-byte NOP option): the frame grows by 4 in front. */
	n = big_frame(frame, 14 + 2000, 0);
	memmove(frame + 38, frame + 34, n - 34);
	memset(frame + 34, 1, 4);
	frame[14] = 0x46;
	frame[16] = (uint8_t)((2004) >> 8);
	frame[17] = (uint8_t)2004;
	tu_run(&p.a, frame, (uint32_t)n + 4, PORT_GUEST);
	assert_int_equal(p.a.out.n_tx, 0);
	assert_int_equal(p.a.out.n_drop, 1);
	assert_int_equal(drops(p.a.pl, DP_DROP_ESP_TOO_BIG), 2);
	assert_int_equal(sa_get(p.a.pl, 3).too_big_frags, 0);
	assert_int_equal(sa_get(p.a.pl, 3).seq, 0);
	pair_teardown(&p);
}

static void
test_mtu(void **state)
{
	struct pair p;
	struct dp_sa s;
	char err[160];

	(void)state;
	mtu_case(DP_SA_AES_GCM_16, 0, 20, 0, 1446);
	mtu_case(DP_SA_AES_GCM_16, 0, 20, DP_SA_F_NATT, 1438);
	mtu_case(DP_SA_AES_CBC, DP_SA_HMAC_SHA256_128, 16, 0, 1438);
	mtu_case(DP_SA_CHACHA20_POLY1305, 0, 36, 0, 1446);
	/* No mtu: a 1500-byte inner packet is encrypted as before. */
	pair_setup(&p, 4);
	sa_fill(&s, 4, 0, DP_SA_AES_GCM_16, 0, 20, 0);
	sa_pair(&p, &s);
	{
		uint8_t frame[1600];
		size_t n = guest_frame_df(frame, 1514, 1);
		struct dp_packet *c = encrypt1(&p, frame, n);

		assert_int_equal(decrypt1(&p, c), 0);
		tu_pkt_free(c);
	}
	/* An mtu that leaves no room for 68 inner bytes is refused. */
	sa_fill(&s, 5, DP_SA_OUT, DP_SA_AES_GCM_16, 0, 20, 0);
	s.mtu = 100;
	assert_int_equal(pl_esp_sa_add(p.a.pl, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "mtu"));
	s.mtu = 20 + 8 + 8 + 16 + 72;
	assert_int_equal(pl_esp_sa_add(p.a.pl, &s, err, sizeof(err)), 0);
	pair_teardown(&p);
}

static void
test_sa_errors(void **state)
{
	struct dp_sa s, bad;
	struct tu t;
	char err[160];

	(void)state;
	assert_int_equal(tu_setup(&t, 64, 0), 0);
	sa_fill(&s, 1, DP_SA_IN, DP_SA_AES_GCM_16, 0, 20, 0);
	assert_int_equal(pl_esp_sa_add(t.pl, &s, err, sizeof(err)), 0);
	assert_int_equal(pl_esp_sa_add(t.pl, &s, err, sizeof(err)), -EEXIST);
	s.id = 2; /* same inbound SPI */
	assert_int_equal(pl_esp_sa_add(t.pl, &s, err, sizeof(err)), -EEXIST);
	s.spi++;
	assert_int_equal(pl_esp_sa_add(t.pl, &s, err, sizeof(err)), 0);
	bad = s;
	bad.id = 0;
	assert_int_equal(pl_esp_sa_add(t.pl, &bad, err, sizeof(err)), -EINVAL);
	bad = s;
	bad.id = 3;
	bad.spi = 255;
	assert_int_equal(pl_esp_sa_add(t.pl, &bad, err, sizeof(err)), -EINVAL);
	bad.spi = 0x9999;
	bad.enc_key_len = 16; /* GCM needs the salt */
	assert_int_equal(pl_esp_sa_add(t.pl, &bad, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "key bytes"));
	bad.enc_key_len = 20;
	bad.integ = DP_SA_HMAC_SHA256_128;
	assert_int_equal(pl_esp_sa_add(t.pl, &bad, err, sizeof(err)), -EINVAL);
	bad = s;
	bad.id = 3;
	bad.spi = 0x9999;
	bad.dir = DP_SA_OUT;
	bad.src = 0;
	assert_int_equal(pl_esp_sa_add(t.pl, &bad, err, sizeof(err)), -EINVAL);
	bad.src = 1;
	bad.cipher = DP_SA_AES_CBC;
	bad.enc_key_len = 16;
	bad.integ = DP_SA_HMAC_SHA384_192;
	bad.integ_key_len = 32;
	assert_int_equal(pl_esp_sa_add(t.pl, &bad, err, sizeof(err)), -EINVAL);
	bad.integ_key_len = 48;
	assert_int_equal(pl_esp_sa_add(t.pl, &bad, err, sizeof(err)), 0);
	assert_int_equal(sa_get(t.pl, 3).dir, DP_SA_OUT);
	assert_int_equal(pl_esp_sa_del(t.pl, 1), 0);
	assert_int_equal(pl_esp_sa_del(t.pl, 1), -ENOENT);
	assert_int_equal(pl_esp_sa_dump(t.pl, 1, info_cb, &s), -ENOENT);
	tu_teardown(&t);
}

static void
test_validate_and_text(void **state)
{
	struct dp_rule r;
	char err[200], buf[512];

	(void)state;
	assert_int_equal(
		dp_flow_text_parse("table=0,priority=5,in_port=1,"
				   "actions=esp_encrypt(sa=12),output:2",
				   &r, err, sizeof(err)),
		1);
	assert_int_equal(r.actions[0].type, DP_ACT_ESP_ENCRYPT);
	assert_int_equal(r.actions[0].u.esp.sa, 12);
	assert_int_equal(dp_rule_validate(&r, err, sizeof(err)), 0);
	assert_true(dp_flow_text_format(&r, NULL, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "esp_encrypt(sa=12),output:2"));
	assert_int_equal(dp_flow_text_parse("table=2,priority=5,nw_proto=50,"
					    "eth_type=0x800,"
					    "actions=esp_decrypt(table=3)",
					    &r, err, sizeof(err)),
			 1);
	assert_int_equal(dp_rule_validate(&r, err, sizeof(err)), 0);
	assert_true(dp_flow_text_format(&r, NULL, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "esp_decrypt(table=3)"));
	/* Decrypt goes forward and ends the list. */
	r.actions[0].u.esp.table = 2;
	assert_int_equal(dp_rule_validate(&r, err, sizeof(err)), -EINVAL);
	r.actions[0].u.esp.table = 3;
	tu_act(&r, DP_ACT_OUTPUT)->u.port = 1;
	assert_int_equal(dp_rule_validate(&r, err, sizeof(err)), -EINVAL);
	r.n_actions = 1;
	r.actions[0].type = DP_ACT_ESP_ENCRYPT;
	r.actions[0].u.esp.sa = 0;
	assert_int_equal(dp_rule_validate(&r, err, sizeof(err)), -EINVAL);
	assert_int_not_equal(dp_flow_text_parse("actions=esp_encrypt(sa=0x)",
						&r, err, sizeof(err)),
			     0);
	assert_int_not_equal(dp_flow_text_parse("actions=esp_encrypt:1", &r,
						err, sizeof(err)),
			     0);
	assert_int_not_equal(dp_flow_text_parse("actions=esp_decrypt(sa=1)", &r,
						err, sizeof(err)),
			     0);
}

/*
 * TCP MSS clamping (docs/esp.md, "MSS clamping"): AES-GCM with mtu 1400
 * leaves 1346 bytes for the inner packet (20 + 8 + 8, body aligned to 4,
 * 16 ICV), so a SYN's MSS goes down to 1306 over IPv4, 1286 over IPv6.
 */
enum { MSS_SA = 5, MSS_MTU = 1400, MSS4 = 1306, MSS6 = 1286 };

/* Option lists: MSS 1460 first; after a NOP (value at an odd offset). */
static const uint8_t opt_mss[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 1, 1};
static const uint8_t opt_mss_odd[] = {1, 2, 4, 0x05, 0xb4, 1, 1, 1};

/* SA MSS_SA out on A with mtu_a, in on B with mtu_b. */
static void
mss_pair(struct pair *p, uint16_t mtu_a, uint16_t mtu_b)
{
	struct dp_sa s;
	char err[160];

	pair_setup(p, MSS_SA);
	sa_fill(&s, MSS_SA, DP_SA_OUT, DP_SA_AES_GCM_16, 0, 20, 0);
	s.mtu = mtu_a;
	assert_int_equal(pl_esp_sa_add(p->a.pl, &s, err, sizeof(err)), 0);
	s.dir = DP_SA_IN;
	s.mtu = mtu_b;
	assert_int_equal(pl_esp_sa_add(p->b.pl, &s, err, sizeof(err)), 0);
}

/*
 * A TCP frame with options opt through A and B: checks that the inner
 * frame out of B is it with the MSS at TCP byte at (0: none) equal to mss.
 */
static void
mss_through(struct pair *p, bool is_v6, uint8_t flags, const uint8_t *opt,
	    unsigned opt_len, unsigned at, unsigned mss)
{
	uint8_t frame[256];
	size_t n = tcp_opt_frame(frame, is_v6, flags, opt, opt_len);
	struct dp_packet *c = encrypt1(p, frame, n);

	assert_int_equal(decrypt1(p, c), 0);
	tu_pkt_free(c);
	assert_int_equal(p->b.out.tx[0]->len, n);
	tcp_check_mss(p->b.out.tx[0]->data, frame, n, is_v6, at, mss);
}

/* Outbound SYNs: clamped before encryption, whatever the alignment. */
static void
test_mss_clamp(void **state)
{
	static const uint8_t opt_small[] = {2, 4, 0x04, 0xb0}; /* 1200 */
	static const uint8_t opt_equal[] = {2, 4, MSS4 >> 8, MSS4 & 0xff};
	static const uint8_t opt_none[] = {1, 1, 4, 2, 1, 3, 3, 7};
	/* After the end of the list (kind 0), anything goes. */
	static const uint8_t opt_eol[] = {2, 4, 5, 0xb4, 0, 0xff, 0, 0xff};
	struct pair p;

	(void)state;
	mss_pair(&p, MSS_MTU, MSS_MTU);
	mss_through(&p, false, 0x02, opt_mss, sizeof(opt_mss), 22, MSS4);
	mss_through(&p, false, 0x02, opt_mss_odd, sizeof(opt_mss_odd), 23,
		    MSS4);
	mss_through(&p, false, 0x02, opt_eol, sizeof(opt_eol), 22, MSS4);
	mss_through(&p, true, 0x02, opt_mss, sizeof(opt_mss), 22, MSS6);
	assert_int_equal(sa_get(p.a.pl, MSS_SA).mss_clamped, 4);
	/* B's limit is the same: nothing left to do there. */
	assert_int_equal(sa_get(p.b.pl, MSS_SA).mss_clamped, 0);
	/* Small enough, equal, absent (none added), or not a SYN. */
	mss_through(&p, false, 0x02, opt_small, sizeof(opt_small), 0, 0);
	mss_through(&p, false, 0x02, opt_equal, sizeof(opt_equal), 0, 0);
	mss_through(&p, false, 0x02, opt_none, sizeof(opt_none), 0, 0);
	mss_through(&p, false, 0x10, opt_mss, sizeof(opt_mss), 0, 0);
	mss_through(&p, true, 0x18, opt_mss_odd, sizeof(opt_mss_odd), 0, 0);
	assert_int_equal(sa_get(p.a.pl, MSS_SA).mss_clamped, 4);
	assert_int_equal(sa_get(p.a.pl, MSS_SA).mss_bad_opts, 0);
	assert_int_equal(sa_get(p.b.pl, MSS_SA).packets, 9);
	pair_teardown(&p);
	/* No mtu on either SA: no clamping. */
	mss_pair(&p, 0, 0);
	mss_through(&p, false, 0x02, opt_mss, sizeof(opt_mss), 0, 0);
	assert_int_equal(sa_get(p.a.pl, MSS_SA).mss_clamped, 0);
	pair_teardown(&p);
}

/* Inbound SYN-ACKs (the far site's MSS): clamped after decryption. */
static void
test_mss_inbound(void **state)
{
	struct pair p;

	(void)state;
	mss_pair(&p, 0, MSS_MTU);
	mss_through(&p, false, 0x12, opt_mss, sizeof(opt_mss), 22, MSS4);
	mss_through(&p, true, 0x12, opt_mss_odd, sizeof(opt_mss_odd), 23, MSS6);
	mss_through(&p, false, 0x02, opt_mss_odd, sizeof(opt_mss_odd), 23,
		    MSS4);
	assert_int_equal(sa_get(p.a.pl, MSS_SA).mss_clamped, 0);
	assert_int_equal(sa_get(p.b.pl, MSS_SA).mss_clamped, 3);
	pair_teardown(&p);
}

/*
 * Malformed option lists: left as they are (even an MSS before the
 * fault), counted on both sites.
 */
static void
test_mss_malformed(void **state)
{
	static const uint8_t bad[][8] = {
		{3, 0, 1, 1, 2, 4, 5, 0xb4},  /* length 0 */
		{2, 4, 5, 0xb4, 1, 1, 8, 10}, /* runs past the header */
		{2, 6, 5, 0xb4, 0, 0, 1, 1},  /* MSS of length 6 */
		{2, 4, 5, 0xb4, 1, 1, 1, 5},  /* kind without a length */
		{2, 4, 5, 0xb4, 2, 1, 0, 0},  /* length 1 */
	};
	struct pair p;

	(void)state;
	mss_pair(&p, MSS_MTU, MSS_MTU);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		mss_through(&p, i % 2 == 1, 0x02, bad[i], 8, 0, 0);
	assert_int_equal(sa_get(p.a.pl, MSS_SA).mss_bad_opts, 5);
	assert_int_equal(sa_get(p.b.pl, MSS_SA).mss_bad_opts, 5);
	assert_int_equal(sa_get(p.a.pl, MSS_SA).mss_clamped, 0);
	assert_int_equal(sa_get(p.b.pl, MSS_SA).mss_clamped, 0);
	pair_teardown(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_gcm),
		cmocka_unit_test(test_round_trip_cbc),
		cmocka_unit_test(test_round_trip_chacha),
		cmocka_unit_test(test_round_trip_natt),
		cmocka_unit_test(test_scapy_vectors),
		cmocka_unit_test(test_rfc8439_vector),
		cmocka_unit_test(test_esn_wrap),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_burst_groups),
		cmocka_unit_test(test_exhaustion_grouped),
		cmocka_unit_test(test_natt_ike_marker),
		cmocka_unit_test(test_no_room),
		cmocka_unit_test(test_mtu),
		cmocka_unit_test(test_prefrag),
		cmocka_unit_test(test_prefrag_refused),
		cmocka_unit_test(test_mss_clamp),
		cmocka_unit_test(test_mss_inbound),
		cmocka_unit_test(test_mss_malformed),
		cmocka_unit_test(test_sa_errors),
		cmocka_unit_test(test_validate_and_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
