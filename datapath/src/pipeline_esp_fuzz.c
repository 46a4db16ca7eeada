/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline_esp_fuzz.c: libFuzzer target for esp_decrypt (pl_esp.c) with
 * known inbound SAs (AES-GCM, ChaCha20-Poly1305 with ESN, AES-CBC with
 * HMAC-SHA-256). Every frame is copied into a buffer of exactly its
 * length (no head or tailroom), so any read past the packet is an
 * AddressSanitizer error. The first input byte picks the mode:
 *
 *   0  the rest is a whole frame
 *   1  the rest is an ESP packet behind a valid Ethernet + IPv4 header
 *   2  the same in UDP 4500 (RFC 3948)
 *   3  the rest is [SA][seq:4][plaintext]: the plaintext (payload and a
 *      hostile trailer) is sealed with the SA's key here, so the packet
 *      authenticates and the trailer, padding and inner-packet checks run
 *
 * The SAs have an mtu, so that an inner TCP SYN (seeds m3_syn_*,
 * m7_v6_syn_mss) has its MSS option parsed and clamped (mss_clamp()).
 *
 * With bit 2 of that byte set, modes 1-3 put an IPv6 header (next header
 * 50, or 17) in front instead of the IPv4 one (DP_SA_F_IPV6 SAs' traffic;
 * the inbound SA is found by SPI whatever the outer family).
 *
 * Seeds: fuzz-corpus/esp/.
 */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "pl_esp.h"
#include "pl_test_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FZ_MAX = 2048 };

static struct tu fz;
static struct dp_trace *fz_trace;

static const uint8_t fz_key[36] = {
	1,  2,	3,  4,	5,  6,	7,  8,	9,  10, 11, 12, 13, 14, 15, 16, 17, 18,
	19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36,
};

static void
fz_sa(uint32_t id, uint8_t cipher, uint8_t integ, uint8_t klen, uint8_t flags)
{
	struct dp_sa s;
	char err[160];

	memset(&s, 0, sizeof(s));
	s.id = id;
	s.spi = 0x1000 + id;
	s.dir = DP_SA_IN;
	s.cipher = cipher;
	s.integ = integ;
	s.flags = flags;
	s.enc_key_len = klen;
	s.mtu = 1400; /* decrypted TCP SYNs go through the MSS clamp */
	memcpy(s.enc_key, fz_key, sizeof(fz_key));
	if (integ != 0) {
		s.integ_key_len = 32;
		memcpy(s.integ_key, fz_key, 32);
	}
	if (pl_esp_sa_add(fz.pl, &s, err, sizeof(err)) < 0)
		abort();
}

static void
fuzz_init(void)
{
	struct dp_rule r[5];

	if (tu_setup(&fz, 256, 0) < 0)
		abort();
	fz_trace = malloc(sizeof(*fz_trace));
	if (fz_trace == NULL)
		abort();
	fz_sa(1, DP_SA_AES_GCM_16, 0, 20, 0);
	fz_sa(2, DP_SA_CHACHA20_POLY1305, 0, 36, DP_SA_F_ESN);
	fz_sa(3, DP_SA_AES_CBC, DP_SA_HMAC_SHA256_128, 16, DP_SA_F_ESN);
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
	tu_act(&r[1], DP_ACT_ESP_DECRYPT)->u.esp.table = 1;
	tu_rule(&r[2], 1, 1, 2);
	/* The same two over IPv6. */
	r[3] = r[0];
	r[3].match.eth_type = htons(0x86dd);
	r[4] = r[1];
	r[4].match.eth_type = htons(0x86dd);
	if (tu_install(fz.pl, r, 5) < 0)
		abort();
}

/* Ethernet + IPv6 (+ UDP 4500) in front of n ESP bytes; frame length. */
static size_t
fz_outer6(uint8_t *b, size_t n, bool is_udp)
{
	size_t hl = 40 + (is_udp ? 8 : 0);
	uint8_t *ip = b + 14;

	memset(b, 0, 14 + hl);
	b[0] = 2;
	b[6] = 2;
	b[12] = 0x86;
	b[13] = 0xdd;
	ip[0] = 0x60;
	tu_put16(ip + 4, (uint16_t)(hl - 40 + n));
	ip[6] = is_udp ? 17 : 50;
	ip[7] = 64;
	ip[8] = ip[24] = 0x20;
	ip[9] = ip[25] = 0x01;
	ip[23] = 2;
	ip[39] = 1;
	if (is_udp) {
		tu_put16(ip + 40, 4500);
		tu_put16(ip + 42, 4500);
		tu_put16(ip + 44, (uint16_t)(8 + n));
	}
	return 14 + hl + n;
}

/* Ethernet + IPv4 (+ UDP 4500) in front of n ESP bytes; frame length. */
static size_t
fz_outer(uint8_t *b, size_t n, bool is_udp, bool is_v6)
{
	size_t hl = 20 + (is_udp ? 8 : 0), ip_len = hl + n;
	uint8_t *ip = b + 14;

	if (is_v6)
		return fz_outer6(b, n, is_udp);
	memset(b, 0, 14 + hl);
	b[0] = 2;
	b[6] = 2;
	b[12] = 8;
	ip[0] = 0x45;
	tu_put16(ip + 2, (uint16_t)ip_len);
	ip[8] = 64;
	ip[9] = is_udp ? 17 : 50;
	tu_put32(ip + 12, 0xc0000202);
	tu_put32(ip + 16, 0xc0000201);
	tu_put16(ip + 10, (uint16_t)~tu_fold(tu_sum(ip, 20, 0)));
	if (is_udp) {
		tu_put16(ip + 20, 4500);
		tu_put16(ip + 22, 4500);
		tu_put16(ip + 24, (uint16_t)(8 + n));
	}
	return 14 + ip_len;
}

/* Seal pt (n bytes) for SA 1 (GCM) or 2 (ChaCha, ESN high 0) at esp. */
static size_t
fz_seal(uint8_t *esp, unsigned sa, uint32_t seq, const uint8_t *pt, size_t n)
{
	const EVP_CIPHER *ci =
		sa == 1 ? EVP_aes_128_gcm() : EVP_chacha20_poly1305();
	size_t klen = sa == 1 ? 16 : 32;
	uint8_t nonce[12], aad[12];
	EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
	int l, al = sa == 1 ? 8 : 12;

	if (cx == NULL)
		abort();
	tu_put32(esp, 0x1000 + sa);
	tu_put32(esp + 4, seq);
	memset(esp + 8, 0, 4);
	memcpy(esp + 12, &seq, 4);
	memcpy(nonce, fz_key + klen, 4);
	memcpy(nonce + 4, esp + 8, 8);
	memcpy(aad, esp, 4);
	memset(aad + 4, 0, 8);
	memcpy(aad + al - 4, esp + 4, 4);
	if (EVP_EncryptInit_ex(cx, ci, NULL, fz_key, nonce) != 1 ||
	    EVP_EncryptUpdate(cx, NULL, &l, aad, al) != 1 ||
	    EVP_EncryptUpdate(cx, esp + 16, &l, pt, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(cx, esp + 16 + l, &l) != 1 ||
	    EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_AEAD_GET_TAG, 16, esp + 16 + n) !=
		    1)
		abort();
	EVP_CIPHER_CTX_free(cx);
	return 16 + n + 16;
}

/* Run a frame from an exactly sized buffer. */
static void
fz_run(const uint8_t *frame, size_t len)
{
	/* frame is also a harmless non-NULL source for the empty copy. */
	uint8_t *buf = malloc(len ? len : 1);
	struct dp_packet *p;

	if (buf == NULL)
		abort();
	memcpy(buf, frame, len);
	(void)dp_pipeline_trace(fz.pl, buf, (uint32_t)len, 1, fz_trace);
	p = tu_pkt_new(frame, 0, 1);
	p->data = buf;
	p->len = (uint32_t)len;
	p->headroom = 0;
	p->tailroom = 0;
	tu_out_free(&fz.out);
	dp_worker_process(fz.w, &p, 1, &fz.out);
	dp_worker_quiescent(fz.w);
	tu_out_free(&fz.out);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[FZ_MAX + 128];
	size_t n, len;

	if (fz.pl == NULL)
		fuzz_init();
	if (size < 1 || size > FZ_MAX)
		return 0;
	n = size - 1;
	switch (data[0] & 3) {
	case 0:
		fz_run(data + 1, n);
		break;
	case 1:
	case 2:
		len = fz_outer(frame, n, (data[0] & 3) == 2, data[0] & 4);
		memcpy(frame + len - n, data + 1, n);
		fz_run(frame, len);
		break;
	default:
		if (size < 6)
			return 0;
		len = fz_seal(
			frame + 14 + (data[0] & 4 ? 40 : 20), 1 + (data[1] & 1),
			(uint32_t)data[2] << 24 | (uint32_t)data[3] << 16 |
				(uint32_t)data[4] << 8 | data[5],
			data + 6, size - 6);
		len = fz_outer(frame, len, false, data[0] & 4);
		fz_run(frame, len);
		break;
	}
	return 0;
}
