/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pl_esp.c: ESP tunnel mode (RFC 4303) for the pipeline (pl_esp.h): the
 * SA table, the esp_encrypt and esp_decrypt transforms, per-SA counters
 * and the events that tell the IKE side to rekey.
 *
 * Packet layout, outbound (RFC 4303 2, RFC 3948 2.1 for NAT-T):
 *
 *   Eth | IPv4 (proto 50, or 17) | [UDP sport dport] | SPI | Seq | IV |
 *   inner IP packet | Padding | Pad Length | Next Header | ICV
 *
 * or, for an SA with IPv6 outer addresses, IPv6 (next header 50, or 17;
 * hop limit the SA's TTL, flow label 0) in place of the IPv4 header. The
 * outer IPv6 packet is never fragmented by us (RFC 8200 5: the source
 * does it, and this is the source): over the mtu is the same punt, drop
 * or inner pre-fragmentation as over IPv4. ESP in UDP over IPv6 carries
 * a UDP checksum (RFC 8200 8.1), computed over the ciphertext.
 *
 * The inner packet is encrypted where it lies: the headers are written
 * into the headroom in front of it, the trailer and ICV into the tailroom
 * after it, so a packet is never copied. AEAD ciphers (RFC 4106, RFC 7634)
 * use an 8-byte explicit IV equal to the 64-bit sequence number (unique
 * per key, as RFC 4106 3.1 asks) behind a 4-byte salt, and authenticate
 * SPI | [Seq high] | Seq low as AAD (RFC 4106 5). AES-CBC (RFC 3602) uses
 * a 16-byte IV made unpredictable by encrypting (seq, per-SA random) with
 * a per-SA random AES key, and HMAC-SHA2 (RFC 4868) over SPI .. ciphertext
 * with the ESN high bits appended (RFC 4303 3.3.2.2.1).
 *
 * Path MTU (the SA's mtu): an inner IPv4 packet with DF set that would
 * not fit is punted for ICMP fragmentation needed; with DF clear it is
 * cut into fragments before encryption (RFC 4459 3), each its own ESP
 * packet; the extra ones are copies that follow the first out of the
 * executor (pl_esp_frag_next()).
 *
 * TCP MSS clamping (SAs with an mtu, both directions): a TCP segment with
 * SYN whose MSS option (RFC 9293 3.2, 3.7.1) is over what fits the SA's
 * inner limit gets it lowered, the checksum updated incrementally (RFC
 * 1624), before encryption and after decryption (mss_clamp()).
 *
 * Inbound: the SA comes from key.esp_spi (the parser fills it for protocol
 * 50 and for UDP 4500 when the non-ESP marker is absent). The sequence
 * number is checked against the replay window before authentication and
 * the window is updated only after it (RFC 4303 3.4.3); with ESN the high
 * 32 bits are inferred as in RFC 4303 Appendix A2.2. The window is 1024
 * packets, a bitmap indexed by sequence number modulo 1024.
 *
 * Sequence numbers never wrap (RFC 4303 3.3.3): at 2^32 - 1 (2^64 - 1 with
 * ESN) the SA stops sending, and an event is raised 2^20 numbers earlier
 * so the IKE side rekeys in time.
 *
 * Concurrency: the table (struct esp_tab) is immutable once published;
 * SAs are immutable after creation except their mutable state: the
 * outbound sequence number (compare-and-swap, one cache line shared by the
 * workers that send on the SA), the inbound window (a byte spinlock held
 * for the few instructions of an update; uncontended when one worker
 * receives an SA, which RSS on the outer header gives), per-worker
 * counters and per-worker EVP contexts (worker i uses index i only, with
 * its iv_next), and ev_raised, which only the control thread touches. The
 * burst groups (struct esp_wstate, pl_esp_burst_begin) are per worker too,
 * and live only between the two burst calls of one burst.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "pl_esp.h"
#include "pl_int.h"
#include "pl_parse.h"

enum {
	ESP_HDR = 8, /* SPI + sequence number */
	ESP_WIN = DP_SA_REPLAY_WINDOW,
	ESP_WIN_WORDS = 2 * ESP_WIN / 64, /* ring: room for a whole window */
	ESP_WARN = 1 << 20, /* event this many numbers before the end */
	ESP_MAC_MAX = 64,
	ESP_ETH = 14,
	ESP_IP4 = 20,
	ESP_IP6 = 40,
	ESP_UDP = 8,
	ESP_NATT_PORT = 4500,
	ESP_GRP_MAX = 8,  /* SA groups per burst (more: per packet) */
	ESP_FRAG_MAX = 8, /* fragments of one inner packet (more: dropped) */
	ESP_IP_DF = 0x4000,
	ESP_IP_MF = 0x2000,
	ESP_IP_OFF = 0x1fff,
	ESP_TCP_SYN = 0x02, /* key.tcp_flags */
};

/* Per-worker counters of one SA: one cache line per worker. */
struct esp_ctr {
	uint64_t packets;
	uint64_t bytes;
	uint64_t replay;
	uint64_t auth;
	uint64_t bad;
	uint64_t exhausted;
	uint64_t no_room;
	uint64_t too_big;	/* over the SA's mtu */
	uint64_t too_big_punts; /* of which punted */
	uint64_t frag;		/* of which fragmented (IPv4, DF clear) */
	uint64_t mss_clamped;	/* SYNs whose MSS was lowered */
	uint64_t mss_bad_opts;	/* SYNs with malformed options, untouched */
	uint64_t punt_sec;	/* second of the punts below */
	uint32_t punt_n;	/* punts in second punt_sec */
} PL_ALIGNED;

/* Keyed OpenSSL contexts of one SA for one worker (its cache line). */
struct esp_wctx {
	EVP_CIPHER_CTX *cipher; /* keyed; per packet only the IV */
	EVP_CIPHER_CTX *ivgen;	/* CBC: AES-ECB with the IV key */
	EVP_MAC_CTX *mac;	/* CBC: HMAC with the integrity key */
	/*
	 * Outbound AES-GCM with fast_iv: the sequence number whose IV the
	 * context's generator holds next (0: none; see gcm_prime()).
	 */
	uint64_t iv_next;
} PL_ALIGNED;

struct esp_sa {
	uint32_t id;
	uint32_t spi;		    /* network order */
	uint32_t src;		    /* network order */
	uint32_t dst;		    /* network order */
	uint16_t sport;		    /* network order */
	uint16_t dport;		    /* network order */
	uint8_t src6[16], dst6[16]; /* is_v6: outer IPv6 addresses */
	bool is_v6;		    /* outer IPv6 (DP_SA_F_IPV6) */
	uint8_t dir;		    /* enum dp_sa_dir */
	uint8_t cipher;		    /* enum dp_sa_cipher */
	uint8_t integ;		    /* enum dp_sa_integ */
	uint8_t flags;		    /* enum dp_sa_flag */
	uint8_t ttl;
	uint8_t iv_len;	 /* 8 (AEAD) or 16 (CBC) */
	uint8_t icv_len; /* 16, 24 or 32 */
	uint8_t align;	 /* payload alignment: 4 or 16 */
	uint8_t hdr_len; /* outer IPv4 or IPv6 .. IV */
	uint16_t mtu;	 /* outer IP packet limit; 0: none */
	uint16_t in_mtu; /* largest inner packet that fits mtu */
	uint16_t mss4;	 /* TCP MSS limit, IPv4 inner: in_mtu - 40; 0 none */
	uint16_t mss6;	 /* the same, IPv6 inner: in_mtu - 60 */
	bool is_aead;
	bool is_esn;
	bool fast_iv;	 /* AES-GCM: IV set through the TLS IV parameters */
	bool fast_nonce; /* ChaCha20-Poly1305: nonce through a parameter */
	uint8_t salt[4];
	uint64_t iv_nonce;  /* CBC: second half of the IV generator input */
	uint32_t csum_base; /* outer IPv4 checksum of the fixed words; IPv6:
			     * UDP pseudo-header addresses + protocol */
	uint64_t seq_max;   /* last usable sequence number */
	uint64_t soft_packets, soft_bytes;
	uint32_t ev_raised; /* control: events already reported */
	struct esp_wctx wc[DP_WORKERS_MAX];

	/* Outbound: last sequence number used (CAS). */
	uint64_t seq PL_ALIGNED;

	/* Inbound: replay window, under win_lock. */
	uint8_t win_lock PL_ALIGNED;
	uint64_t top; /* highest authenticated sequence number */
	uint64_t win[ESP_WIN_WORDS];

	struct esp_ctr ctr[DP_WORKERS_MAX];
};

/* Published table: SAs by id and inbound SAs by SPI (linear probing). */
struct esp_slot {
	uint32_t spi; /* network order; 0: empty (SPI 0 is reserved) */
	uint32_t pad;
	struct esp_sa *sa;
};

struct esp_tab {
	uint32_t n;	/* SAs */
	uint32_t n_out; /* outbound SAs (pl_esp_burst_begin) */
	uint32_t mask;	/* SPI slots - 1 */
	struct esp_sa *by_id[DP_SA_ID_MAX + 1];
	struct esp_slot slots[];
};

/*
 * The packets of one burst that encrypt into one SA (pl_esp_burst_begin):
 * their sequence numbers, reserved with one compare-and-swap, and their
 * counters, added once at the end of the burst.
 */
struct esp_grp {
	struct esp_sa *sa;
	uint64_t next, left; /* reserved: left numbers from next on */
	uint32_t want;	     /* packets the pre-pass found */
	uint64_t packets, bytes;
};

/*
 * A worker's groups (only worker idx touches ws[idx]), and the fragments
 * of an inner packet after the first (frag_split()), encrypted and
 * waiting for the first one's walk to end (pl_esp_frag_next()).
 */
struct esp_wstate {
	unsigned n_grp;
	struct esp_grp grp[ESP_GRP_MAX];
	const struct dp_packet *frag_of; /* the first fragment; NULL none */
	uint32_t frag_ip0;		 /* its outer IP packet's length */
	unsigned n_frag, i_frag;	 /* queued, handed out */
	struct dp_packet *frag[ESP_FRAG_MAX - 1];
} PL_ALIGNED;

struct pl_esp {
	struct esp_tab *tab; /* RCU */
	EVP_MAC *hmac;	     /* fetched once */
	struct esp_wstate ws[DP_WORKERS_MAX];
};

static inline uint32_t
spi_hash(uint32_t spi)
{
	return (uint32_t)((spi * 0x9e3779b97f4a7c15ULL) >> 32);
}

static struct esp_sa *
tab_spi_lookup(const struct esp_tab *t, uint32_t spi)
{
	for (uint32_t i = spi_hash(spi) & t->mask;; i = (i + 1) & t->mask) {
		if (t->slots[i].spi == spi)
			return t->slots[i].sa;
		if (t->slots[i].spi == 0)
			return NULL;
	}
}

/* Control side: contexts, tables, grace periods. */

static void
sa_free(struct esp_sa *sa)
{
	if (sa == NULL)
		return;
	for (unsigned i = 0; i < DP_WORKERS_MAX; i++) {
		EVP_CIPHER_CTX_free(sa->wc[i].cipher);
		EVP_CIPHER_CTX_free(sa->wc[i].ivgen);
		EVP_MAC_CTX_free(sa->wc[i].mac);
	}
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

static void
esp_synchronize(void)
{
	if (pl_thread_is_reader()) {
		rcu_thread_offline();
		synchronize_rcu();
		rcu_thread_online();
	} else {
		synchronize_rcu();
	}
}

static const EVP_CIPHER *
sa_evp_cipher(const struct dp_sa *s, size_t key_len)
{
	switch (s->cipher) {
	case DP_SA_AES_GCM_16:
		return key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
	case DP_SA_AES_CBC:
		return key_len == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
	default:
		return EVP_chacha20_poly1305();
	}
}

static const char *
sa_digest(uint8_t integ)
{
	switch (integ) {
	case DP_SA_HMAC_SHA256_128:
		return "SHA256";
	case DP_SA_HMAC_SHA384_192:
		return "SHA384";
	default:
		return "SHA512";
	}
}

static bool
addr6_is_zero(const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

/* Check an SA_ADD body; sets the derived lengths into sa. */
static int
sa_check(const struct dp_sa *s, struct esp_sa *sa, char *err, size_t err_len)
{
	static const uint8_t icv[] = {0, 16, 24, 32};
	static const uint8_t ikey[] = {0, 32, 48, 64};
	unsigned ek = s->enc_key_len;

	if (s->id == 0 || s->id > DP_SA_ID_MAX) {
		snprintf(err, err_len, "sa id %u out of 1..%u", s->id,
			 DP_SA_ID_MAX);
		return -EINVAL;
	}
	if (s->spi < 256) {
		snprintf(err, err_len, "sa %u: spi %u is reserved (< 256)",
			 s->id, s->spi);
		return -EINVAL;
	}
	if (s->dir != DP_SA_OUT && s->dir != DP_SA_IN) {
		snprintf(err, err_len, "sa %u: direction %u", s->id, s->dir);
		return -EINVAL;
	}
	if (s->flags & ~(DP_SA_F_ESN | DP_SA_F_NATT | DP_SA_F_IPV6)) {
		snprintf(err, err_len, "sa %u: unknown flags 0x%x", s->id,
			 s->flags);
		return -EINVAL;
	}
	switch (s->cipher) {
	case DP_SA_AES_GCM_16:
		if ((ek != 20 && ek != 36) || s->integ != DP_SA_INTEG_NONE)
			goto bad_key;
		break;
	case DP_SA_CHACHA20_POLY1305:
		if (ek != 36 || s->integ != DP_SA_INTEG_NONE)
			goto bad_key;
		break;
	case DP_SA_AES_CBC:
		if ((ek != 16 && ek != 32) || s->integ == DP_SA_INTEG_NONE ||
		    s->integ > DP_SA_HMAC_SHA512_256 ||
		    s->integ_key_len != ikey[s->integ])
			goto bad_key;
		break;
	default:
		snprintf(err, err_len, "sa %u: unknown cipher %u", s->id,
			 s->cipher);
		return -EINVAL;
	}
	if (s->integ_key_len > DP_SA_INTEG_KEY_MAX ||
	    (s->cipher != DP_SA_AES_CBC && s->integ_key_len != 0))
		goto bad_key;
	sa->is_v6 = (s->flags & DP_SA_F_IPV6) != 0;
	if (s->dir == DP_SA_OUT &&
	    (sa->is_v6 ? addr6_is_zero(s->src6) || addr6_is_zero(s->dst6)
		       : s->src == 0 || s->dst == 0)) {
		snprintf(err, err_len, "sa %u: outbound needs src and dst",
			 s->id);
		return -EINVAL;
	}
	sa->id = s->id;
	sa->spi = htonl(s->spi);
	if (sa->is_v6) {
		memcpy(sa->src6, s->src6, 16);
		memcpy(sa->dst6, s->dst6, 16);
	} else {
		sa->src = s->src;
		sa->dst = s->dst;
	}
	sa->sport = htons(s->sport ? s->sport : ESP_NATT_PORT);
	sa->dport = htons(s->dport ? s->dport : ESP_NATT_PORT);
	sa->dir = s->dir;
	sa->cipher = s->cipher;
	sa->integ = s->integ;
	sa->flags = s->flags;
	sa->ttl = s->ttl ? s->ttl : 64;
	sa->is_aead = s->cipher != DP_SA_AES_CBC;
	sa->is_esn = (s->flags & DP_SA_F_ESN) != 0;
	sa->iv_len = sa->is_aead ? 8 : 16;
	sa->icv_len = sa->is_aead ? 16 : icv[s->integ];
	sa->align = sa->is_aead ? 4 : 16;
	sa->hdr_len = (uint8_t)((sa->is_v6 ? ESP_IP6 : ESP_IP4) +
				(s->flags & DP_SA_F_NATT ? ESP_UDP : 0) +
				ESP_HDR + sa->iv_len);
	if (sa->is_v6) {
		/* RFC 8200 8.1: the pseudo-header's addresses and protocol. */
		sa->csum_base = (uint32_t)pl_ld16((const uint8_t[]){0, 17});
		for (unsigned i = 0; i < 16; i += 2)
			sa->csum_base += (uint32_t)pl_ld16(sa->src6 + i) +
					 pl_ld16(sa->dst6 + i);
	} else {
		/* Words 4 (TTL, protocol), 6-9 (addresses); 3 (flags) 0. */
		sa->csum_base =
			(uint32_t)pl_ld16((const uint8_t[]){
				sa->ttl, s->flags & DP_SA_F_NATT ? 17 : 50}) +
			(sa->src & 0xffff) + (sa->src >> 16) +
			(sa->dst & 0xffff) + (sa->dst >> 16);
	}
	sa->seq_max = sa->is_esn ? UINT64_MAX : UINT32_MAX;
	sa->seq = s->seq;
	sa->top = s->seq;
	sa->soft_packets = s->soft_packets;
	sa->soft_bytes = s->soft_bytes;
	if (s->mtu != 0) {
		/* The largest body (inner + pad + 2) that fits, aligned. */
		unsigned fixed = sa->hdr_len + sa->icv_len, body;

		body = s->mtu > fixed ? (s->mtu - fixed) / sa->align * sa->align
				      : 0;
		if (body < 68 + 2) { /* RFC 791: every host takes 68 */
			snprintf(err, err_len,
				 "sa %u: mtu %u leaves less than 68 bytes "
				 "for the inner packet",
				 s->id, s->mtu);
			return -EINVAL;
		}
		sa->mtu = s->mtu;
		sa->in_mtu = (uint16_t)(body - 2);
		/* body - 2 >= 68: both stay positive. */
		sa->mss4 = (uint16_t)(sa->in_mtu - ESP_IP4 - 20);
		sa->mss6 = (uint16_t)(sa->in_mtu - ESP_IP6 - 20);
	}
	if (s->seq > sa->seq_max) {
		snprintf(err, err_len, "sa %u: seq %llu past 2^32 - 1 (no esn)",
			 s->id, (unsigned long long)s->seq);
		return -EINVAL;
	}
	return 0;

bad_key:
	snprintf(err, err_len,
		 "sa %u: cipher %u integ %u with %u enc and %u integ key "
		 "bytes",
		 s->id, s->cipher, s->integ, s->enc_key_len, s->integ_key_len);
	return -EINVAL;
}

static bool gcm_seal_fast(EVP_CIPHER_CTX *cx, uint64_t *iv_next,
			  const uint8_t *salt, const uint8_t *aad, int al,
			  uint64_t seq, uint8_t *pt, int n);
static bool gcm_open_fast(EVP_CIPHER_CTX *cx, const uint8_t *aad, int al,
			  const uint8_t *iv, uint8_t *ct, int n);
static bool gcm_open_setup(EVP_CIPHER_CTX *cx, const uint8_t *salt);
static bool chacha_probe(void);

/*
 * Whether this OpenSSL's AES-GCM gives, through the TLS IV parameters,
 * exactly what the plain EVP calls give (gcm_seal_fast()): three messages
 * sealed both ways with consecutive and non-consecutive sequence numbers
 * must be equal, open the fast way, and a flipped tag bit must fail.
 * Computed once per process.
 */
static bool
gcm_probe(void)
{
	static int ok = -1;
	static const uint64_t seqs[] = {0x00000001fffffffeull,
					0x00000001ffffffffull, 7};
	uint8_t key[16], salt[4] = {0xca, 0xfe, 0xba, 0xbe};
	uint8_t a[61 + 16], b[61 + 16], nonce[12], aad[8] = {1, 2, 3, 4};
	EVP_CIPHER_CTX *ref = NULL, *enc = NULL, *dec = NULL;
	uint64_t iv_next = 0;
	int l, good, known = __atomic_load_n(&ok, __ATOMIC_RELAXED);

	/* Two threads adding SAs at once compute the same answer. */
	if (known >= 0)
		return known;
	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 13 + 1);
	ref = EVP_CIPHER_CTX_new();
	enc = EVP_CIPHER_CTX_new();
	dec = EVP_CIPHER_CTX_new();
	good = ref != NULL && enc != NULL && dec != NULL &&
	       EVP_EncryptInit_ex(ref, EVP_aes_128_gcm(), NULL, key, NULL) &&
	       EVP_EncryptInit_ex(enc, EVP_aes_128_gcm(), NULL, key, NULL) &&
	       EVP_DecryptInit_ex(dec, EVP_aes_128_gcm(), NULL, key, NULL) &&
	       gcm_open_setup(dec, salt);
	for (unsigned k = 0; good && k < sizeof(seqs) / sizeof(seqs[0]); k++) {
		uint64_t be = htobe64(seqs[k]);

		for (unsigned i = 0; i < 61; i++)
			a[i] = b[i] = (uint8_t)(i + k);
		memcpy(nonce, salt, 4);
		memcpy(nonce + 4, &be, 8);
		memcpy(aad + 4, &k, sizeof(k));
		good = EVP_EncryptInit_ex(ref, NULL, NULL, NULL, nonce) &&
		       EVP_EncryptUpdate(ref, NULL, &l, aad, 8) &&
		       EVP_EncryptUpdate(ref, a, &l, a, 61) &&
		       EVP_EncryptFinal_ex(ref, a + l, &l) &&
		       EVP_CIPHER_CTX_ctrl(ref, EVP_CTRL_AEAD_GET_TAG, 16,
					   a + 61) &&
		       gcm_seal_fast(enc, &iv_next, salt, aad, 8, seqs[k], b,
				     61) &&
		       iv_next == seqs[k] + 1 && memcmp(a, b, sizeof(a)) == 0;
		b[61] ^= (uint8_t)(k == 1);
		good = good &&
		       gcm_open_fast(dec, aad, 8, nonce + 4, b, 61) == (k != 1);
		for (unsigned i = 0; good && k != 1 && i < 61; i++)
			good = b[i] == (uint8_t)(i + k);
	}
	EVP_CIPHER_CTX_free(ref);
	EVP_CIPHER_CTX_free(enc);
	EVP_CIPHER_CTX_free(dec);
	__atomic_store_n(&ok, good, __ATOMIC_RELAXED);
	return good;
}

/* Create and key the contexts of n workers. */
static int
sa_keys(struct pl_esp *e, const struct dp_sa *s, struct esp_sa *sa, unsigned n)
{
	size_t klen = sa->is_aead ? s->enc_key_len - 4u : s->enc_key_len;
	const EVP_CIPHER *ci = sa_evp_cipher(s, klen);
	bool is_enc = s->dir == DP_SA_OUT;
	uint8_t ivkey[16];
	OSSL_PARAM params[2];
	int ok = 1;

	memcpy(sa->salt, s->enc_key + klen, sa->is_aead ? 4 : 0);
	sa->fast_iv = s->cipher == DP_SA_AES_GCM_16 && gcm_probe();
	sa->fast_nonce = s->cipher == DP_SA_CHACHA20_POLY1305 && chacha_probe();
	if (!sa->is_aead &&
	    (RAND_bytes(ivkey, sizeof(ivkey)) != 1 ||
	     RAND_bytes((uint8_t *)&sa->iv_nonce, sizeof(sa->iv_nonce)) != 1))
		return -EIO;
	params[0] = OSSL_PARAM_construct_utf8_string(
		OSSL_MAC_PARAM_DIGEST, (char *)sa_digest(s->integ), 0);
	params[1] = OSSL_PARAM_construct_end();
	for (unsigned i = 0; i < n && ok; i++) {
		struct esp_wctx *wc = &sa->wc[i];

		wc->cipher = EVP_CIPHER_CTX_new();
		if (wc->cipher == NULL)
			return -ENOMEM;
		ok = EVP_CipherInit_ex(wc->cipher, ci, NULL, s->enc_key, NULL,
				       is_enc);
		if (ok && sa->is_aead)
			ok = EVP_CIPHER_CTX_ctrl(
				wc->cipher, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL);
		if (ok && sa->fast_iv && !is_enc)
			ok = gcm_open_setup(wc->cipher, sa->salt);
		if (ok && !sa->is_aead)
			ok = EVP_CIPHER_CTX_set_padding(wc->cipher, 0);
		if (!ok || sa->is_aead)
			continue;
		wc->ivgen = EVP_CIPHER_CTX_new();
		wc->mac = EVP_MAC_CTX_new(e->hmac);
		if (wc->ivgen == NULL || wc->mac == NULL)
			return -ENOMEM;
		ok = EVP_EncryptInit_ex(wc->ivgen, EVP_aes_128_ecb(), NULL,
					ivkey, NULL) &&
		     EVP_CIPHER_CTX_set_padding(wc->ivgen, 0) &&
		     EVP_MAC_init(wc->mac, s->integ_key, s->integ_key_len,
				  params);
	}
	OPENSSL_cleanse(ivkey, sizeof(ivkey));
	return ok ? 0 : -EIO;
}

static int
esp_get(struct dp_pipeline *pl, struct pl_esp **out)
{
	struct esp_tab *t;
	struct pl_esp *e;

	if (pl->esp != NULL) {
		*out = pl->esp;
		return 0;
	}
	e = aligned_alloc(64, (sizeof(*e) + 63) & ~(size_t)63);
	t = calloc(1, sizeof(*t) + 16 * sizeof(t->slots[0]));
	if (e == NULL || t == NULL)
		goto err;
	memset(e, 0, sizeof(*e));
	e->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (e->hmac == NULL)
		goto err;
	t->mask = 15;
	e->tab = t;
	rcu_assign_pointer(pl->esp, e);
	*out = e;
	return 0;

err:
	free(t);
	free(e);
	return -ENOMEM;
}

/* A copy of t with sa added (sa non-NULL) or SA id removed. */
static struct esp_tab *
tab_rebuild(const struct esp_tab *t, struct esp_sa *sa, uint32_t del_id)
{
	uint32_t n_in = 0, cap = 16;
	struct esp_tab *nt;

	for (uint32_t i = 1; i <= DP_SA_ID_MAX; i++)
		if (t->by_id[i] != NULL && t->by_id[i]->dir == DP_SA_IN)
			n_in++;
	while (cap < 2 * (n_in + 1))
		cap *= 2;
	nt = calloc(1, sizeof(*nt) + cap * sizeof(nt->slots[0]));
	if (nt == NULL)
		return NULL;
	nt->mask = cap - 1;
	memcpy(nt->by_id, t->by_id, sizeof(nt->by_id));
	nt->n = t->n;
	if (sa != NULL) {
		nt->by_id[sa->id] = sa;
		nt->n++;
	} else {
		nt->by_id[del_id] = NULL;
		nt->n--;
	}
	for (uint32_t i = 1; i <= DP_SA_ID_MAX; i++) {
		struct esp_sa *s = nt->by_id[i];
		uint32_t j;

		if (s != NULL && s->dir == DP_SA_OUT)
			nt->n_out++;
		if (s == NULL || s->dir != DP_SA_IN)
			continue;
		for (j = spi_hash(s->spi) & nt->mask; nt->slots[j].spi != 0;
		     j = (j + 1) & nt->mask)
			;
		nt->slots[j].spi = s->spi;
		nt->slots[j].sa = s;
	}
	return nt;
}

int
pl_esp_sa_add(struct dp_pipeline *pl, const struct dp_sa *s, char *err,
	      size_t err_len)
{
	struct esp_tab *t, *nt;
	struct esp_sa *sa;
	struct pl_esp *e;
	int rc;

	sa = aligned_alloc(64, (sizeof(*sa) + 63) & ~(size_t)63);
	if (sa == NULL)
		return -ENOMEM;
	memset(sa, 0, sizeof(*sa));
	rc = sa_check(s, sa, err, err_len);
	if (rc < 0)
		goto err_sa;
	rc = esp_get(pl, &e);
	if (rc < 0)
		goto err_sa;
	t = e->tab;
	if (t->by_id[s->id] != NULL ||
	    (s->dir == DP_SA_IN && tab_spi_lookup(t, sa->spi) != NULL)) {
		snprintf(err, err_len, "sa %u: %s in use", s->id,
			 t->by_id[s->id] != NULL ? "id" : "inbound spi");
		rc = -EEXIST;
		goto err_sa;
	}
	rc = sa_keys(e, s, sa, pl->n_workers);
	if (rc < 0) {
		snprintf(err, err_len, "sa %u: OpenSSL refused the keys",
			 s->id);
		goto err_sa;
	}
	nt = tab_rebuild(t, sa, 0);
	if (nt == NULL) {
		rc = -ENOMEM;
		goto err_sa;
	}
	rcu_assign_pointer(e->tab, nt);
	dp_pipeline_flush_cache(pl);
	esp_synchronize();
	free(t);
	return 0;

err_sa:
	sa_free(sa);
	return rc;
}

int
pl_esp_sa_del(struct dp_pipeline *pl, uint32_t id)
{
	struct esp_tab *t, *nt;
	struct esp_sa *sa;
	struct pl_esp *e = pl->esp;

	if (e == NULL || id == 0 || id > DP_SA_ID_MAX ||
	    e->tab->by_id[id] == NULL)
		return -ENOENT;
	t = e->tab;
	sa = t->by_id[id];
	nt = tab_rebuild(t, NULL, id);
	if (nt == NULL)
		return -ENOMEM;
	rcu_assign_pointer(e->tab, nt);
	dp_pipeline_flush_cache(pl);
	esp_synchronize();
	free(t);
	sa_free(sa);
	return 0;
}

static void
sa_info(const struct dp_pipeline *pl, const struct esp_sa *sa,
	struct dp_sa_info *si)
{
	memset(si, 0, sizeof(*si));
	si->id = sa->id;
	si->spi = ntohl(sa->spi);
	si->dir = sa->dir;
	si->cipher = sa->cipher;
	si->integ = sa->integ;
	si->flags = sa->flags;
	si->src = sa->src;
	si->dst = sa->dst;
	memcpy(si->src6, sa->src6, 16);
	memcpy(si->dst6, sa->dst6, 16);
	si->sport = ntohs(sa->sport);
	si->dport = ntohs(sa->dport);
	si->seq = sa->dir == DP_SA_OUT
			  ? __atomic_load_n(&sa->seq, __ATOMIC_RELAXED)
			  : CMM_LOAD_SHARED(sa->top);
	si->soft_packets = sa->soft_packets;
	si->soft_bytes = sa->soft_bytes;
	si->mtu = sa->mtu;
	for (unsigned w = 0; w < pl->n_workers; w++) {
		const struct esp_ctr *c = &sa->ctr[w];

		si->packets += CMM_LOAD_SHARED(c->packets);
		si->bytes += CMM_LOAD_SHARED(c->bytes);
		si->replay_drops += CMM_LOAD_SHARED(c->replay);
		si->auth_fails += CMM_LOAD_SHARED(c->auth);
		si->bad_pad += CMM_LOAD_SHARED(c->bad);
		si->seq_exhausted += CMM_LOAD_SHARED(c->exhausted);
		si->no_room += CMM_LOAD_SHARED(c->no_room);
		si->too_big += CMM_LOAD_SHARED(c->too_big);
		si->too_big_punts += CMM_LOAD_SHARED(c->too_big_punts);
		si->too_big_frags += (uint32_t)CMM_LOAD_SHARED(c->frag);
		si->mss_clamped += CMM_LOAD_SHARED(c->mss_clamped);
		si->mss_bad_opts += CMM_LOAD_SHARED(c->mss_bad_opts);
	}
}

int
pl_esp_sa_dump(struct dp_pipeline *pl, uint32_t id, pl_esp_sa_fn fn, void *arg)
{
	struct pl_esp *e = pl->esp;
	struct dp_sa_info si;
	int rc;

	if (id > DP_SA_ID_MAX)
		return -ENOENT;
	if (e == NULL)
		return id == 0 ? 0 : -ENOENT;
	if (id != 0 && e->tab->by_id[id] == NULL)
		return -ENOENT;
	for (uint32_t i = id ? id : 1; i <= (id ? id : DP_SA_ID_MAX); i++) {
		if (e->tab->by_id[i] == NULL)
			continue;
		sa_info(pl, e->tab->by_id[i], &si);
		rc = fn(&si, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

unsigned
pl_esp_sa_events(struct dp_pipeline *pl, pl_esp_event_fn fn, void *arg)
{
	struct pl_esp *e = pl->esp;
	unsigned n = 0;

	if (e == NULL || e->tab->n == 0)
		return 0;
	for (uint32_t i = 1; i <= DP_SA_ID_MAX; i++) {
		struct esp_sa *sa = e->tab->by_id[i];
		struct dp_sa_event ev;
		struct dp_sa_info si;
		uint32_t k = 0;

		if (sa == NULL)
			continue;
		sa_info(pl, sa, &si);
		if (sa->dir == DP_SA_OUT && si.seq >= sa->seq_max - ESP_WARN)
			k |= DP_SA_EV_SEQ_NEAR_END;
		if (si.seq_exhausted != 0)
			k |= DP_SA_EV_SEQ_EXHAUSTED;
		if (sa->soft_packets != 0 && si.packets >= sa->soft_packets)
			k |= DP_SA_EV_SOFT_PACKETS;
		if (sa->soft_bytes != 0 && si.bytes >= sa->soft_bytes)
			k |= DP_SA_EV_SOFT_BYTES;
		k &= ~sa->ev_raised;
		if (k == 0)
			continue;
		sa->ev_raised |= k;
		memset(&ev, 0, sizeof(ev));
		ev.id = sa->id;
		ev.spi = si.spi;
		ev.kinds = k;
		ev.dir = sa->dir;
		ev.seq = si.seq;
		ev.packets = si.packets;
		ev.bytes = si.bytes;
		fn(&ev, arg);
		n++;
	}
	return n;
}

void
pl_esp_destroy(struct dp_pipeline *pl)
{
	struct pl_esp *e = pl->esp;

	if (e == NULL)
		return;
	for (uint32_t i = 1; i <= DP_SA_ID_MAX; i++)
		sa_free(e->tab->by_id[i]);
	free(e->tab);
	EVP_MAC_free(e->hmac);
	free(e);
	pl->esp = NULL;
}

/* Hot path. */

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

static inline struct esp_tab *
tab_get(const struct dp_worker *w)
{
	const struct pl_esp *e = PL_LOAD(w->pl->esp);

	return e != NULL ? PL_LOAD(e->tab) : NULL;
}

/* The headers as the burst parse found them (pl_act_apply's rule). */
static inline void
meta_fill(struct pl_pctx *c)
{
	if (c->m_stale) {
		(void)pl_parse(c->pkt->data, c->pkt->len, 0, NULL, &c->m,
			       false);
		c->m_stale = 0;
	}
}

/* Reparse after the transform, keeping what the frame does not hold. */
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

/* Take the next sequence number, or 0 when the space is used up. */
static inline uint64_t
seq_next(struct esp_sa *sa)
{
	uint64_t cur = __atomic_load_n(&sa->seq, __ATOMIC_RELAXED);

	do {
		if (cur >= sa->seq_max)
			return 0;
	} while (!__atomic_compare_exchange_n(&sa->seq, &cur, cur + 1, true,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return cur + 1;
}

/*
 * Reserve up to n sequence numbers with one compare-and-swap: returns how
 * many (0 when the space is used up), the first in *first.
 */
static inline uint64_t
seq_reserve(struct esp_sa *sa, uint64_t n, uint64_t *first)
{
	uint64_t cur = __atomic_load_n(&sa->seq, __ATOMIC_RELAXED), take;

	do {
		if (cur >= sa->seq_max)
			return 0;
		take = sa->seq_max - cur < n ? sa->seq_max - cur : n;
	} while (!__atomic_compare_exchange_n(&sa->seq, &cur, cur + take, true,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	*first = cur + 1;
	return take;
}

/* The SA of the first esp_encrypt of a cached segment; 0 if none. */
static inline uint32_t
seg_encrypt_sa(struct pl_rule *const *seg, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct pl_rule *r = seg[i];

		for (unsigned a = 0; a < r->n_actions; a++)
			if (r->acts[a].type == DP_ACT_ESP_ENCRYPT)
				return r->acts[a].u.esp.sa;
	}
	return 0;
}

bool pl_esp_group_bursts = true;

/*
 * The lines the encrypt will write and nothing has touched yet: the
 * headroom line in front of the frame (outer headers) and the tailroom
 * line after it (trailer, ICV). A cold line there costs a miss per packet
 * in the middle of the encrypt.
 */
static inline void
esp_prefetch_room(const struct dp_packet *p)
{
	__builtin_prefetch(p->data - 1, 1);
	__builtin_prefetch(p->data + p->len + 16, 1);
}

/* Whether two packets' cached segments are the same rules. */
static inline bool
seg_same(const struct pl_pctx *a, const struct pl_pctx *b)
{
	if (a->n_seg != b->n_seg)
		return false;
	for (unsigned i = 0; i < a->n_seg; i++)
		if (a->seg[i] != b->seg[i])
			return false;
	return true;
}

void
pl_esp_burst_begin(struct dp_worker *w, unsigned k)
{
	struct pl_esp *e = PL_LOAD(w->pl->esp);
	const struct pl_pctx *last = NULL;
	const struct esp_tab *t;
	struct esp_wstate *ws;
	unsigned n = 0, last_g = ESP_GRP_MAX;

	if (e == NULL)
		return;
	ws = &e->ws[w->idx];
	ws->n_grp = 0; /* pl_esp_burst_end() did; this makes sure */
	t = PL_LOAD(e->tab);
	if (t->n_out == 0 || !pl_esp_group_bursts)
		return;
	for (unsigned j = 0; j < k; j++) {
		const struct pl_pctx *c = &w->ctx[j];
		struct esp_sa *sa;
		uint32_t id;
		unsigned g;

		/* Cache hits only: their whole segment is known now. */
		if (c->n_seg == 0 || c->n_seg > PL_SEG_MAX)
			continue;
		/* Most packets of a burst repeat the previous segment. */
		if (last != NULL && seg_same(c, last)) {
			if (last_g < n) {
				ws->grp[last_g].want++;
				esp_prefetch_room(c->pkt);
			}
			continue;
		}
		last = c;
		last_g = ESP_GRP_MAX;
		id = seg_encrypt_sa(c->seg, c->n_seg);
		sa = id != 0 && id <= DP_SA_ID_MAX ? t->by_id[id] : NULL;
		if (sa == NULL || sa->dir != DP_SA_OUT)
			continue;
		for (g = 0; g < n && ws->grp[g].sa != sa; g++)
			;
		if (g == n) {
			if (n == ESP_GRP_MAX)
				continue;
			memset(&ws->grp[g], 0, sizeof(ws->grp[g]));
			ws->grp[g].sa = sa;
			n++;
		}
		ws->grp[g].want++;
		last_g = g;
		esp_prefetch_room(c->pkt);
	}
	for (unsigned g = 0; g < n; g++) {
		struct esp_grp *gr = &ws->grp[g];

		gr->left = seq_reserve(gr->sa, gr->want, &gr->next);
	}
	ws->n_grp = n;
}

void
pl_esp_burst_end(struct dp_worker *w)
{
	struct pl_esp *e = PL_LOAD(w->pl->esp);
	struct esp_wstate *ws;

	if (e == NULL)
		return;
	ws = &e->ws[w->idx];
	for (unsigned g = 0; g < ws->n_grp; g++) {
		struct esp_grp *gr = &ws->grp[g];
		struct esp_ctr *ct = &gr->sa->ctr[w->idx];

		ct->packets += gr->packets;
		ct->bytes += gr->bytes;
		/*
		 * Numbers left over (a packet dropped before its encrypt)
		 * go back when no other worker took any since; otherwise
		 * they are a gap the receiver sees as loss.
		 */
		if (gr->left != 0) {
			uint64_t exp = gr->next + gr->left - 1;

			(void)__atomic_compare_exchange_n(
				&gr->sa->seq, &exp, gr->next - 1, false,
				__ATOMIC_RELAXED, __ATOMIC_RELAXED);
		}
	}
	ws->n_grp = 0;
}

/* SPI | [Seq high] | Seq low: RFC 4106 5 / RFC 7634 3. */
static inline unsigned
aad_build(const struct esp_sa *sa, uint64_t seq, uint8_t *aad)
{
	memcpy(aad, &sa->spi, 4);
	if (!sa->is_esn) {
		st32(aad + 4, htonl((uint32_t)seq));
		return 8;
	}
	st32(aad + 4, htonl((uint32_t)(seq >> 32)));
	st32(aad + 8, htonl((uint32_t)seq));
	return 12;
}

/*
 * AES-GCM without EVP_{En,De}cryptInit_ex per packet (fast_iv). OpenSSL 3
 * spends about 800 instructions in an IV-only init, most of them looking
 * up the IV length through the provider's parameter list. The GCM provider
 * also has the IV handling of TLS 1.2 (RFC 5288), which is ESP's: a fixed
 * salt and an explicit 8-byte part. Outbound, the whole 12-byte IV is
 * loaded once (TLS1_IV_FIXED with length -1) and then each read of
 * TLS1_GET_IV_GEN starts the next message with the current IV and adds one
 * to its 8-byte big-endian explicit part: the sequence number itself, so
 * the read that fetches a packet's tag also primes the next sequence
 * number. Inbound, TLS1_SET_IV_INV sets the explicit part from the packet,
 * in the same parameter call that sets the expected tag. The contexts
 * keep the explicit IV = sequence number rule (docs/esp.md); gcm_probe()
 * checks the whole scheme against the plain EVP calls once per process.
 */

/* Prime the generator of an outbound GCM context for sequence seq. */
static bool
gcm_prime(EVP_CIPHER_CTX *cx, const uint8_t *salt, uint64_t seq)
{
	uint8_t iv[12], gen[8];
	uint64_t be = htobe64(seq);
	OSSL_PARAM p[2];

	memcpy(iv, salt, 4);
	memcpy(iv + 4, &be, 8);
	p[0] = OSSL_PARAM_construct_octet_string(
		OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED, iv, SIZE_MAX);
	p[1] = OSSL_PARAM_construct_end();
	if (EVP_CIPHER_CTX_set_params(cx, p) != 1)
		return false;
	p[0] = OSSL_PARAM_construct_octet_string(
		OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN, gen, sizeof(gen));
	return EVP_CIPHER_CTX_get_params(cx, p) == 1 &&
	       memcmp(gen, &be, 8) == 0;
}

/*
 * Seal with a context primed for seq (*iv_next == seq, else primed here);
 * the tag goes to pt + n and the context is left primed for seq + 1.
 */
static bool
gcm_seal_fast(EVP_CIPHER_CTX *cx, uint64_t *iv_next, const uint8_t *salt,
	      const uint8_t *aad, int al, uint64_t seq, uint8_t *pt, int n)
{
	uint8_t gen[8];
	/* Initialisers, not OSSL_PARAM_construct_*(): 50 instructions less. */
	OSSL_PARAM p[] = {
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, pt + n, 16),
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN,
					gen, sizeof(gen)),
		OSSL_PARAM_END};
	int l;

	if (*iv_next != seq && !gcm_prime(cx, salt, seq))
		return false;
	*iv_next = 0;
	if (EVP_EncryptUpdate(cx, NULL, &l, aad, al) != 1 ||
	    EVP_EncryptUpdate(cx, pt, &l, pt, n) != 1 ||
	    EVP_EncryptFinal_ex(cx, pt + l, &l) != 1 ||
	    EVP_CIPHER_CTX_get_params(cx, p) != 1)
		return false;
	*iv_next = seq + 1;
	return true;
}

/* Open in place with the explicit IV iv (8 bytes), tag at ct + n. */
static bool
gcm_open_fast(EVP_CIPHER_CTX *cx, const uint8_t *aad, int al, const uint8_t *iv,
	      uint8_t *ct, int n)
{
	OSSL_PARAM p[] = {
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, ct + n, 16),
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV,
					(void *)iv, 8),
		OSSL_PARAM_END};
	int l;

	return EVP_CIPHER_CTX_set_params(cx, p) == 1 &&
	       EVP_DecryptUpdate(cx, NULL, &l, aad, al) == 1 &&
	       EVP_DecryptUpdate(cx, ct, &l, ct, n) == 1 &&
	       EVP_DecryptFinal_ex(cx, ct + l, &l) == 1;
}

/* An inbound GCM context for gcm_open_fast(): the salt as fixed part. */
static bool
gcm_open_setup(EVP_CIPHER_CTX *cx, const uint8_t *salt)
{
	OSSL_PARAM p[2];

	p[0] = OSSL_PARAM_construct_octet_string(
		OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED, (void *)salt, 4);
	p[1] = OSSL_PARAM_construct_end();
	return EVP_CIPHER_CTX_set_params(cx, p) == 1;
}

/*
 * ChaCha20-Poly1305 without EVP_{En,De}cryptInit_ex per packet
 * (fast_nonce): the 12-byte nonce (salt | IV) goes in through the
 * provider's TLS fixed-IV parameter, which for this cipher is the whole
 * nonce the next message's keystream and one-time Poly1305 key start
 * from (OpenSSL 3 resets the MAC state at the end of each message). A
 * decrypt passes the expected tag in the same call. chacha_probe() checks
 * this OpenSSL gives exactly what the plain calls give before an SA uses
 * it. Init costs about 1000 instructions, the parameter about 300.
 */
static bool
chacha_nonce(EVP_CIPHER_CTX *cx, const uint8_t *nonce, uint8_t *tag)
{
	OSSL_PARAM p[] = {
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED,
					(void *)nonce, 12),
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, 16),
		OSSL_PARAM_END};

	if (tag == NULL)
		p[1] = (OSSL_PARAM)OSSL_PARAM_END;
	return EVP_CIPHER_CTX_set_params(cx, p) == 1;
}

/*
 * Seal n bytes at pt in place with nonce salt | iv and the AAD, tag at
 * pt + n; fast: the nonce through chacha_nonce().
 */
static bool
aead_seal_raw(EVP_CIPHER_CTX *cx, bool fast, const uint8_t *salt,
	      const uint8_t *iv, const uint8_t *aad, int al, uint8_t *pt, int n)
{
	uint8_t nonce[12];
	OSSL_PARAM tag[] = {
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, pt + n, 16),
		OSSL_PARAM_END};
	int l;

	memcpy(nonce, salt, 4);
	memcpy(nonce + 4, iv, 8);
	/*
	 * The tag through get_params: EVP_CIPHER_CTX_ctrl() would build the
	 * same parameter array at twice the cost (callgrind).
	 */
	return (fast ? chacha_nonce(cx, nonce, NULL)
		     : EVP_EncryptInit_ex(cx, NULL, NULL, NULL, nonce) == 1) &&
	       EVP_EncryptUpdate(cx, NULL, &l, aad, al) == 1 &&
	       EVP_EncryptUpdate(cx, pt, &l, pt, n) == 1 &&
	       EVP_EncryptFinal_ex(cx, pt + l, &l) == 1 &&
	       EVP_CIPHER_CTX_get_params(cx, tag) == 1;
}

/* Open n bytes at ct in place, tag at ct + n: false on a bad ICV. */
static bool
aead_open_raw(EVP_CIPHER_CTX *cx, bool fast, const uint8_t *salt,
	      const uint8_t *iv, const uint8_t *aad, int al, uint8_t *ct, int n)
{
	uint8_t nonce[12];
	OSSL_PARAM tag[] = {
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, ct + n, 16),
		OSSL_PARAM_END};
	int l;

	memcpy(nonce, salt, 4);
	memcpy(nonce + 4, iv, 8);
	return (fast ? chacha_nonce(cx, nonce, ct + n)
		     : EVP_DecryptInit_ex(cx, NULL, NULL, NULL, nonce) == 1 &&
				EVP_CIPHER_CTX_set_params(cx, tag) == 1) &&
	       EVP_DecryptUpdate(cx, NULL, &l, aad, al) == 1 &&
	       EVP_DecryptUpdate(cx, ct, &l, ct, n) == 1 &&
	       EVP_DecryptFinal_ex(cx, ct + l, &l) == 1;
}

/* Seal (is_enc) or open n bytes at b in place: packet seq of sa. */
static bool
aead_crypt(EVP_CIPHER_CTX *cx, const struct esp_sa *sa, const uint8_t *iv,
	   uint64_t seq, uint8_t *b, int n, bool is_enc)
{
	uint8_t aad[12];
	int al = (int)aad_build(sa, seq, aad);

	return is_enc ? aead_seal_raw(cx, sa->fast_nonce, sa->salt, iv, aad, al,
				      b, n)
		      : aead_open_raw(cx, sa->fast_nonce, sa->salt, iv, aad, al,
				      b, n);
}

/*
 * Whether chacha_nonce() works on this OpenSSL: three messages (the first
 * on a freshly keyed context) sealed with it and with the plain calls must
 * be equal and open with it, a flipped tag bit must fail, and the message
 * after that failure must open. Computed once per process.
 */
static bool
chacha_probe(void)
{
	static int ok = -1;
	uint8_t key[32], salt[4] = {7, 6, 5, 4}, iv[8], aad[8] = {9, 9};
	uint8_t a[45 + 16], b[45 + 16];
	EVP_CIPHER_CTX *cx[3];
	int good = 1, known = __atomic_load_n(&ok, __ATOMIC_RELAXED);

	if (known >= 0)
		return known;
	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 29 + 3);
	for (unsigned i = 0; i < 3; i++) {
		cx[i] = EVP_CIPHER_CTX_new();
		good = good && cx[i] != NULL &&
		       EVP_CipherInit_ex(cx[i], EVP_chacha20_poly1305(), NULL,
					 key, NULL, i != 2) == 1 &&
		       EVP_CIPHER_CTX_ctrl(cx[i], EVP_CTRL_AEAD_SET_IVLEN, 12,
					   NULL) == 1;
	}
	for (unsigned k = 0; good && k < 3; k++) {
		for (unsigned i = 0; i < 8; i++)
			iv[i] = (uint8_t)(k * 40 + i);
		aad[7] = (uint8_t)k;
		for (unsigned i = 0; i < 45; i++)
			a[i] = b[i] = (uint8_t)(i ^ k);
		good = aead_seal_raw(cx[0], false, salt, iv, aad, 8, a, 45) &&
		       aead_seal_raw(cx[1], true, salt, iv, aad, 8, b, 45) &&
		       memcmp(a, b, sizeof(a)) == 0;
		b[45] ^= (uint8_t)(k == 1);
		good = good && aead_open_raw(cx[2], true, salt, iv, aad, 8, b,
					     45) == (k != 1);
		for (unsigned i = 0; good && k != 1 && i < 45; i++)
			good = b[i] == (uint8_t)(i ^ k);
	}
	for (unsigned i = 0; i < 3; i++)
		EVP_CIPHER_CTX_free(cx[i]);
	__atomic_store_n(&ok, good, __ATOMIC_RELAXED);
	return good;
}

/* HMAC over esp[0, n) [+ Seq high], truncated into icv. */
static bool
cbc_mac(EVP_MAC_CTX *mc, const struct esp_sa *sa, uint64_t seq,
	const uint8_t *esp, size_t n, uint8_t *icv)
{
	uint8_t full[ESP_MAC_MAX], hi[4];
	size_t l;

	st32(hi, htonl((uint32_t)(seq >> 32)));
	if (EVP_MAC_init(mc, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(mc, esp, n) != 1 ||
	    (sa->is_esn && EVP_MAC_update(mc, hi, 4) != 1) ||
	    EVP_MAC_final(mc, full, &l, sizeof(full)) != 1)
		return false;
	memcpy(icv, full, sa->icv_len);
	return true;
}

/* RFC 3602 with an unpredictable IV: E_ivkey(seq | per-SA nonce). */
static bool
cbc_seal(struct esp_wctx *wc, const struct esp_sa *sa, uint64_t seq,
	 uint8_t *esp, int n)
{
	uint8_t *iv = esp + ESP_HDR, *pt = iv + 16, blk[16];
	int l;

	memcpy(blk, &seq, 8);
	memcpy(blk + 8, &sa->iv_nonce, 8);
	if (EVP_EncryptUpdate(wc->ivgen, iv, &l, blk, 16) != 1 ||
	    EVP_EncryptInit_ex(wc->cipher, NULL, NULL, NULL, iv) != 1 ||
	    EVP_EncryptUpdate(wc->cipher, pt, &l, pt, n) != 1)
		return false;
	return cbc_mac(wc->mac, sa, seq, esp, (size_t)(ESP_HDR + 16 + n),
		       pt + n);
}

/* The ICV of an inbound CBC packet, in constant time. */
static bool
cbc_verify(struct esp_wctx *wc, const struct esp_sa *sa, uint64_t seq,
	   const uint8_t *esp, int n)
{
	uint8_t icv[ESP_MAC_MAX];

	return cbc_mac(wc->mac, sa, seq, esp, (size_t)(ESP_HDR + 16 + n),
		       icv) &&
	       CRYPTO_memcmp(icv, esp + ESP_HDR + 16 + n, sa->icv_len) == 0;
}

/* Decrypt n bytes (a multiple of 16) in place. */
static bool
cbc_decrypt(struct esp_wctx *wc, uint8_t *esp, int n)
{
	uint8_t *iv = esp + ESP_HDR, *ct = iv + 16;
	int l;

	return EVP_DecryptInit_ex(wc->cipher, NULL, NULL, NULL, iv) == 1 &&
	       EVP_DecryptUpdate(wc->cipher, ct, &l, ct, n) == 1 && l == n;
}

static inline uint16_t
csum_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* s + v in one's complement arithmetic on 64 bits (end-around carry). */
static inline uint64_t
csum_add64(uint64_t s, uint64_t v)
{
	s += v;
	return s + (s < v);
}

/*
 * One's complement sum of n bytes at b onto s (RFC 1071), in 64-bit words
 * with end-around carry, in the byte order of pl_ld16() like the rest of
 * this file's sums; not folded. 2^16 = 1 modulo 2^16 - 1, so the 64-bit
 * sum folds to the 16-bit one; 8 bytes cost a load, an add and a carry.
 */
static uint64_t
csum_bytes(uint64_t s, const uint8_t *b, uint32_t n)
{
	uint64_t v[4];
	uint32_t i = 0;

	for (; i + 32 <= n; i += 32) {
		memcpy(v, b + i, 32);
		s = csum_add64(csum_add64(s, v[0]), v[1]);
		s = csum_add64(csum_add64(s, v[2]), v[3]);
	}
	for (; i + 8 <= n; i += 8) {
		memcpy(v, b + i, 8);
		s = csum_add64(s, v[0]);
	}
	if (i + 4 <= n) {
		s = csum_add64(s, pl_ld32(b + i));
		i += 4;
	}
	if (i + 2 <= n) {
		s = csum_add64(s, pl_ld16(b + i));
		i += 2;
	}
	if (i < n)
		s = csum_add64(s, pl_ld16((const uint8_t[]){b[i], 0}));
	return s;
}

/*
 * The UDP checksum of ESP in UDP over IPv6 (RFC 8200 8.1: mandatory),
 * over the pseudo-header, the UDP header and the ciphertext: written
 * once the packet is sealed. udp_len: UDP header + payload.
 */
static void
udp6_csum(const struct esp_sa *sa, uint8_t *udp, uint32_t udp_len)
{
	uint64_t sum;
	uint16_t c;

	st16(udp + 6, 0);
	sum = csum_bytes(sa->csum_base + htons((uint16_t)udp_len), udp,
			 udp_len);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	c = (uint16_t)~csum_fold((uint32_t)sum);
	st16(udp + 6, c != 0 ? c : 0xffff); /* RFC 768: 0 is "none" */
}

/* Outer IPv6 (+ UDP) header; returns the ESP header's address. */
static uint8_t *
outer_write6(const struct esp_sa *sa, uint8_t *ip, uint32_t ip_len, uint8_t tos)
{
	bool is_natt = sa->flags & DP_SA_F_NATT;

	/* Version 6, traffic class tos, flow label 0. */
	ip[0] = (uint8_t)(0x60 | tos >> 4);
	ip[1] = (uint8_t)(tos << 4);
	ip[2] = 0;
	ip[3] = 0;
	st16(ip + 4, htons((uint16_t)(ip_len - ESP_IP6)));
	ip[6] = is_natt ? 17 : 50;
	ip[7] = sa->ttl;
	memcpy(ip + 8, sa->src6, 16);
	memcpy(ip + 24, sa->dst6, 16);
	if (!is_natt)
		return ip + ESP_IP6;
	st16(ip + 40, sa->sport);
	st16(ip + 42, sa->dport);
	st16(ip + 44, htons((uint16_t)(ip_len - ESP_IP6)));
	st16(ip + 46, 0); /* udp6_csum() once sealed */
	return ip + ESP_IP6 + ESP_UDP;
}

/* Outer IPv4 (+ UDP) header; returns the ESP header's address. */
static uint8_t *
outer_write(const struct esp_sa *sa, uint8_t *ip, uint32_t ip_len, uint8_t tos,
	    uint64_t seq)
{
	bool is_natt = sa->flags & DP_SA_F_NATT;
	uint32_t sum;

	if (sa->is_v6)
		return outer_write6(sa, ip, ip_len, tos);
	ip[0] = 0x45;
	ip[1] = tos;
	st16(ip + 2, htons((uint16_t)ip_len));
	st16(ip + 4, htons((uint16_t)seq));
	st16(ip + 6, 0);
	ip[8] = sa->ttl;
	ip[9] = is_natt ? 17 : 50;
	st32(ip + 12, sa->src);
	st32(ip + 16, sa->dst);
	/* The fixed words' sum comes from the SA (sa_check()). */
	sum = sa->csum_base + pl_ld16(ip) + pl_ld16(ip + 2) + pl_ld16(ip + 4);
	st16(ip + 10, (uint16_t)~csum_fold(sum));
	if (!is_natt)
		return ip + ESP_IP4;
	/* RFC 3948 2.1: checksum zero over IPv4. */
	st16(ip + 20, sa->sport);
	st16(ip + 22, sa->dport);
	st16(ip + 24, htons((uint16_t)(ip_len - ESP_IP4)));
	st16(ip + 26, 0);
	return ip + ESP_IP4 + ESP_UDP;
}

/*
 * TCP MSS clamping on the inner packet of c, a TCP segment with SYN set
 * (the caller's one flag test; the parser validated 20 <= data offset <=
 * the segment). The options (RFC 9293 3.1: kind 0 ends the list, kind 1
 * is one byte, any other kind has a length byte >= 2) are walked within
 * the header first; a list that runs past it, a length below 2 or an MSS
 * option (kind 2) whose length is not 4 is malformed: counted, nothing
 * changed. An MSS over the SA's limit (the largest inner packet that
 * fits, minus the IP and TCP headers: RFC 6691 2, no options counted) is
 * lowered to it and the checksum updated (RFC 1624 eqn. 3), with the
 * value's bytes swapped when it sits at an odd offset of the header. No
 * MSS option: nothing is added (RFC 9293 3.7.1 defaults to 536 / 1220).
 * An IPv6 segment behind extension headers is found (l4_off) as well.
 */
static void
mss_clamp(const struct esp_sa *sa, struct esp_ctr *ct, struct pl_pctx *c)
{
	uint16_t lim = c->m.l3 == PL_L3_IPV4 ? sa->mss4 : sa->mss6;
	uint8_t *tcp = c->pkt->data + c->m.l4_off;
	uint32_t doff, i, at = 0;
	uint16_t old, now, ck;
	uint32_t sum;

	if (lim == 0 || c->key.nw_proto != 6 || c->m.l4_off == 0 ||
	    (c->m.l3 != PL_L3_IPV4 && c->m.l3 != PL_L3_IPV6))
		return;
	doff = (uint32_t)(tcp[12] >> 4) * 4;
	if (doff < 20 || c->m.l4_off + doff > c->m.l3_end)
		return; /* the parser rejects these; kept for safety */
	for (i = 20; i < doff;) {
		uint8_t kind = tcp[i], len;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= doff)
			goto bad;
		len = tcp[i + 1];
		if (len < 2 || len > doff - i || (kind == 2 && len != 4))
			goto bad;
		if (kind == 2 && at == 0)
			at = i + 2;
		i += len;
	}
	if (at == 0)
		return;
	old = (uint16_t)(tcp[at] << 8 | tcp[at + 1]);
	if (old <= lim)
		return;
	tcp[at] = (uint8_t)(lim >> 8);
	tcp[at + 1] = (uint8_t)lim;
	now = lim;
	if (at & 1) { /* the value straddles two 16-bit words of the sum */
		old = (uint16_t)(old << 8 | old >> 8);
		now = (uint16_t)(now << 8 | now >> 8);
	}
	ck = (uint16_t)(tcp[16] << 8 | tcp[17]);
	sum = (uint32_t)(uint16_t)~ck + (uint16_t)~old + now;
	ck = (uint16_t)~csum_fold(sum);
	tcp[16] = (uint8_t)(ck >> 8);
	tcp[17] = (uint8_t)ck;
	ct->mss_clamped++;
	return;

bad:
	ct->mss_bad_opts++;
}

/*
 * Inner packet of in_len bytes over the SA's mtu: counted; an IPv4 one
 * with DF set, or an IPv6 one (routers never fragment it, RFC 8200 5), is
 * punted (PL_ESP_TOO_BIG_PUNT) at most DP_ESP_MTU_PUNTS_PER_S times a
 * second per SA and worker, for sluiced to send ICMP fragmentation needed
 * or ICMPv6 Packet Too Big. Anything else: DP_DROP_ESP_TOO_BIG (the caller
 * fragments IPv4 with DF clear, frag_split(); docs/vpnaas.md, "Path MTU").
 */
static int
too_big(const struct esp_sa *sa, struct esp_ctr *ct, const struct pl_pctx *c)
{
	const uint8_t *ip = c->pkt->data + c->m.l3_off;
	struct timespec ts;
	uint64_t sec;

	ct->too_big++;
	if (c->m.l3 == PL_L3_IPV4 ? !(ip[6] & 0x40) : c->m.l3 != PL_L3_IPV6)
		return DP_DROP_ESP_TOO_BIG;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	sec = (uint64_t)ts.tv_sec;
	if (ct->punt_sec != sec) {
		ct->punt_sec = sec;
		ct->punt_n = 0;
	}
	if (ct->punt_n >= DP_ESP_MTU_PUNTS_PER_S)
		return DP_DROP_ESP_TOO_BIG;
	ct->punt_n++;
	ct->too_big_punts++;
	return -(int)sa->in_mtu;
}

/*
 * Encrypt the inner packet of in_len bytes at l3_off in p (headroom in
 * front of it for the outer headers, tailroom behind for trailer and ICV)
 * into an ESP frame that replaces it. Takes a sequence number from the
 * burst's group gr when it has one left, else from the SA. 0 or a drop
 * reason.
 */
static int
esp_seal(struct dp_worker *w, struct esp_sa *sa, struct esp_grp *gr,
	 struct dp_packet *p, uint32_t l3_off, uint32_t in_len, uint8_t nh,
	 uint8_t tos)
{
	struct esp_ctr *ct = &sa->ctr[w->idx];
	uint32_t body, trail, front, ip_len, slack;
	uint8_t *inner = p->data + l3_off, *d, *esp, mac[12];
	unsigned pad;
	uint64_t seq;
	bool ok;

	pad = (sa->align - (in_len + 2) % sa->align) % sa->align;
	body = in_len + pad + 2;
	trail = pad + 2 + sa->icv_len;
	front = ESP_ETH + sa->hdr_len;
	ip_len = sa->hdr_len + body + sa->icv_len;
	slack = p->len - (l3_off + in_len);
	if (front > p->headroom + l3_off ||
	    (trail > slack && trail - slack > p->tailroom) || ip_len > 0xffff) {
		ct->no_room++;
		return DP_DROP_ESP_NO_ROOM;
	}
	if (gr != NULL && gr->left != 0) {
		seq = gr->next++; /* the burst's reservation */
		gr->left--;
	} else
		seq = seq_next(sa);
	if (seq == 0) {
		ct->exhausted++;
		return DP_DROP_ESP_SEQ;
	}
	/* Trailer (RFC 4303 2.4: pad bytes 1, 2, 3 ...). */
	for (unsigned i = 0; i < pad; i++)
		inner[in_len + i] = (uint8_t)(i + 1);
	inner[in_len + pad] = (uint8_t)pad;
	inner[in_len + pad + 1] = nh;
	/* Outer Ethernet: the frame's addresses, rewritten by later rules. */
	memcpy(mac, p->data, 12);
	d = inner - front;
	memcpy(d, mac, 12);
	st16(d + 12, htons(sa->is_v6 ? 0x86dd : 0x0800));
	esp = outer_write(sa, d + ESP_ETH, ip_len, tos, seq);
	memcpy(esp, &sa->spi, 4);
	st32(esp + 4, htonl((uint32_t)seq));
	if (sa->fast_iv) {
		struct esp_wctx *wc = &sa->wc[w->idx];
		uint64_t ivbe = htobe64(seq);
		uint8_t aad[12];
		int al = (int)aad_build(sa, seq, aad);

		memcpy(esp + ESP_HDR, &ivbe, 8);
		ok = gcm_seal_fast(wc->cipher, &wc->iv_next, sa->salt, aad, al,
				   seq, inner, (int)body);
	} else if (sa->is_aead) {
		uint64_t ivbe = htobe64(seq);

		memcpy(esp + ESP_HDR, &ivbe, 8);
		ok = aead_crypt(sa->wc[w->idx].cipher, sa, esp + ESP_HDR, seq,
				inner, (int)body, true);
	} else {
		ok = cbc_seal(&sa->wc[w->idx], sa, seq, esp, (int)body);
	}
	if (!ok) {
		ct->no_room++;
		return DP_DROP_ESP_NO_ROOM;
	}
	if (sa->is_v6 && (sa->flags & DP_SA_F_NATT))
		udp6_csum(sa, esp - ESP_UDP, ip_len - ESP_IP6);
	p->headroom = (uint16_t)(p->headroom - (uint32_t)(p->data - d));
	if (trail > slack)
		p->tailroom = (uint16_t)(p->tailroom - (trail - slack));
	else
		p->tailroom = (uint16_t)(p->tailroom + (slack - trail));
	p->data = d;
	p->len = ESP_ETH + ip_len;
	if (gr != NULL) {
		gr->packets++;
		gr->bytes += in_len;
	} else {
		ct->packets++;
		ct->bytes += in_len;
	}
	return 0;
}

/* Inner IPv4 header of a fragment: length, flags and offset, checksum. */
static void
frag_hdr(uint8_t *ip, uint32_t len, uint16_t off_field)
{
	uint32_t sum = 0;

	st16(ip + 2, htons((uint16_t)len));
	st16(ip + 6, htons(off_field));
	st16(ip + 10, 0);
	for (unsigned i = 0; i < 20; i += 2)
		sum += pl_ld16(ip + i);
	st16(ip + 10, (uint16_t)~csum_fold(sum));
}

/* Fragments of another packet wait for their walk to end. */
static inline bool
frag_busy(const struct esp_wstate *ws)
{
	return ws->frag_of != NULL;
}

/*
 * RFC 4459 3 (pre-fragmentation): an inner IPv4 packet with DF clear
 * that is over the SA's mtu is cut into fragments (RFC 791) that each fit,
 * and every fragment becomes an ESP packet of its own; the peer's guest
 * reassembles. The first fragment stays in c's packet (its walk goes on);
 * the others are copies (the backend's clone, from the burst's clone
 * budget) encrypted here and queued until that walk ends
 * (pl_esp_frag_next()). Returns PL_ESP_FRAGS + 0, PL_ESP_FRAGS + a drop
 * reason (queued fragments must then be dropped with the first), or a
 * plain drop reason when nothing was queued.
 */
static int
frag_split(struct dp_worker *w, struct esp_wstate *ws, struct esp_sa *sa,
	   struct esp_grp *gr, struct pl_pctx *c, uint32_t in_len, uint8_t tos)
{
	struct dp_packet *p = c->pkt;
	uint32_t l3 = c->m.l3_off, chunk, data, n, end;
	uint8_t *ip = p->data + l3;
	uint16_t field = (uint16_t)pl_ld16(ip + 6), off0;
	int rc;

	field = ntohs(field);
	off0 = field & ESP_IP_OFF;
	chunk = (uint32_t)(sa->in_mtu - 20) & ~7u;
	data = in_len - 20;
	n = (data + chunk - 1) / chunk;
	/*
	 * Options (IHL > 5) would need the copied ones sorted out per
	 * fragment: such packets are dropped (and rare). Fragments queued
	 * for another walk, or no copies to be had: dropped too.
	 */
	if ((ip[0] & 0x0f) != 5 || n > ESP_FRAG_MAX || frag_busy(ws) ||
	    off0 + (data + 7) / 8 > ESP_IP_OFF)
		return DP_DROP_ESP_TOO_BIG;
	if (w->ops.clone == NULL || w->clone_budget < n - 1)
		return DP_DROP_CLONE_FAIL;
	ws->n_frag = 0;
	ws->i_frag = 0;
	for (uint32_t k = 1; k < n; k++) {
		struct dp_packet *f = w->ops.clone(w->ops.ctx, p);
		uint32_t off = k * chunk,
			 len = data - off < chunk ? data - off : chunk;
		uint8_t *fi;
		uint16_t mf = k < n - 1 || (field & ESP_IP_MF) ? ESP_IP_MF : 0;

		if (f == NULL)
			break; /* the packet is lost: the queue is dropped */
		w->clone_budget--;
		ws->frag[ws->n_frag++] = f;
		/* The header goes in front of this fragment's data. */
		fi = f->data + l3 + off;
		memmove(fi - l3, f->data, l3); /* L2 header */
		memcpy(fi, ip, 20);
		frag_hdr(fi, 20 + len,
			 (uint16_t)(field & ESP_IP_DF) | mf |
				 (uint16_t)(off0 + off / 8));
		end = l3 + 20 + len;
		f->tailroom = (uint16_t)(f->tailroom + (f->len - off - end));
		f->headroom = (uint16_t)(f->headroom + off);
		f->data += off;
		f->len = end;
	}
	ws->frag_of = p;
	if (ws->n_frag != n - 1)
		return PL_ESP_FRAGS + DP_DROP_CLONE_FAIL;
	/* The first fragment: this packet, cut after chunk bytes of data. */
	frag_hdr(ip, 20 + chunk, (uint16_t)(field | ESP_IP_MF));
	end = l3 + 20 + chunk;
	p->tailroom = (uint16_t)(p->tailroom + (p->len - end));
	p->len = end;
	c->m.l3_end = end;
	rc = esp_seal(w, sa, gr, p, l3, 20 + chunk, 4, tos);
	for (unsigned k = 0; k < ws->n_frag && rc == 0; k++) {
		struct dp_packet *f = ws->frag[k];

		rc = esp_seal(w, sa, gr, f, l3, f->len - l3, 4, tos);
	}
	if (rc != 0)
		return PL_ESP_FRAGS + rc;
	ws->frag_ip0 = p->len - ESP_ETH;
	sa->ctr[w->idx].frag++;
	rc = reparse(c);
	return PL_ESP_FRAGS + rc;
}

struct dp_packet *
pl_esp_frag_next(struct dp_worker *w, const struct dp_packet *first, bool *ok)
{
	struct pl_esp *e = PL_LOAD(w->pl->esp);
	struct esp_wstate *ws;
	struct dp_packet *f;
	uint32_t front, ip_len;

	if (e == NULL)
		return NULL;
	ws = &e->ws[w->idx];
	if (ws->frag_of != first || ws->i_frag == ws->n_frag) {
		if (ws->frag_of == first)
			ws->frag_of = NULL;
		return NULL;
	}
	f = ws->frag[ws->i_frag++];
	*ok = false;
	/*
	 * The first fragment's headers in front of its outer IP packet,
	 * as later rules left them (Ethernet addresses, a VLAN tag).
	 */
	ip_len = f->len - ESP_ETH;
	front = first->len - ws->frag_ip0;
	if (first->len < ws->frag_ip0 ||
	    (front > ESP_ETH && front - ESP_ETH > f->headroom))
		return f;
	f->headroom = (uint16_t)(f->headroom + ESP_ETH - front);
	f->data = f->data + ESP_ETH - front;
	f->len = front + ip_len;
	memcpy(f->data, first->data, front);
	*ok = true;
	return f;
}

int
pl_esp_encrypt(struct dp_worker *w, struct pl_pctx *c, uint32_t sa_id)
{
	struct dp_packet *p = c->pkt;
	struct pl_esp *e;
	const struct esp_tab *t;
	struct esp_wstate *ws;
	struct esp_grp *gr = NULL;
	struct esp_ctr *ct;
	struct esp_sa *sa;
	uint32_t in_len;
	uint8_t tos, nh;
	int rc;

	if (w == NULL)
		return 0;
	e = PL_LOAD(w->pl->esp);
	t = e != NULL ? PL_LOAD(e->tab) : NULL;
	sa = t != NULL && sa_id <= DP_SA_ID_MAX ? t->by_id[sa_id] : NULL;
	if (sa == NULL || sa->dir != DP_SA_OUT)
		return DP_DROP_ESP_NO_SA;
	ct = &sa->ctr[w->idx];
	ws = &e->ws[w->idx];
	for (unsigned g = 0; g < ws->n_grp && gr == NULL; g++)
		if (ws->grp[g].sa == sa)
			gr = &ws->grp[g];
	meta_fill(c);
	if (c->m.l3 == PL_L3_IPV4) {
		nh = 4;
		tos = p->data[c->m.l3_off + 1];
	} else if (c->m.l3 == PL_L3_IPV6) {
		nh = 41;
		tos = (uint8_t)((p->data[c->m.l3_off] << 4) |
				(p->data[c->m.l3_off + 1] >> 4));
	} else {
		ct->bad++; /* not IP: nothing to tunnel */
		return DP_DROP_ESP_BAD;
	}
	if (c->key.tcp_flags & ESP_TCP_SYN)
		mss_clamp(sa, ct, c);
	in_len = c->m.l3_end - c->m.l3_off;
	if (sa->mtu != 0 && in_len > sa->in_mtu) {
		rc = too_big(sa, ct, c);
		if (rc == DP_DROP_ESP_TOO_BIG && nh == 4 &&
		    !(p->data[c->m.l3_off + 6] & 0x40))
			rc = frag_split(w, ws, sa, gr, c, in_len, tos);
		return rc;
	}
	rc = esp_seal(w, sa, gr, p, c->m.l3_off, in_len, nh, tos);
	return rc != 0 ? rc : reparse(c);
}

/*
 * RFC 4303 A2.2: the full 64-bit number of low-order bits sl against the
 * window's top; 0 when it can only lie below sequence number 1.
 */
static inline uint64_t
esn_infer(uint64_t top, uint32_t sl)
{
	uint32_t tl = (uint32_t)top, th = (uint32_t)(top >> 32);
	uint32_t bottom = tl - ESP_WIN + 1; /* modulo 2^32 */

	if (tl >= ESP_WIN - 1) {
		if (sl >= bottom)
			return (uint64_t)th << 32 | sl;
		return (uint64_t)(th + 1) << 32 | sl;
	}
	if (sl >= bottom) {
		if (th == 0)
			return 0;
		return (uint64_t)(th - 1) << 32 | sl;
	}
	return (uint64_t)th << 32 | sl;
}

/* True when seq may be new: not 0, not below the window, not seen. */
static inline bool
win_check(const struct esp_sa *sa, uint64_t seq)
{
	uint64_t top = CMM_LOAD_SHARED(sa->top);

	if (seq == 0)
		return false;
	if (seq > top)
		return true;
	if (top - seq >= ESP_WIN)
		return false;
	return !(CMM_LOAD_SHARED(sa->win[(seq / 64) % ESP_WIN_WORDS]) &
		 (1ULL << (seq % 64)));
}

/* Record an authenticated seq; false if another worker just did. */
static bool
win_update(struct esp_sa *sa, uint64_t seq)
{
	bool ok;

	while (__atomic_test_and_set(&sa->win_lock, __ATOMIC_ACQUIRE))
		;
	ok = win_check(sa, seq);
	if (ok) {
		if (seq > sa->top) {
			uint64_t from = sa->top / 64 + 1, to = seq / 64;

			if (to - from + 1 >= ESP_WIN_WORDS || sa->top == 0)
				memset(sa->win, 0, sizeof(sa->win));
			else
				for (uint64_t i = from; i <= to; i++)
					sa->win[i % ESP_WIN_WORDS] = 0;
			CMM_STORE_SHARED(sa->top, seq);
		}
		sa->win[(seq / 64) % ESP_WIN_WORDS] |= 1ULL << (seq % 64);
	}
	__atomic_clear(&sa->win_lock, __ATOMIC_RELEASE);
	return ok;
}

/*
 * Where the ESP header starts (and *end, where it ends), or 0 when the
 * frame is not ESP: not IP, a fragment, or UDP not to port 4500. Over
 * IPv6 the parser has walked the extension headers (bounded, each length
 * checked; pl_parse.h) and l4_off is the header after them: they are
 * stripped with the outer header. The UDP checksum over IPv6 is not
 * verified: the ICV covers everything it would, and more.
 */
static uint32_t
esp_offset(const struct pl_pctx *c, uint32_t *end)
{
	const uint8_t *udp = c->pkt->data + c->m.l4_off;

	*end = c->m.l3_end;
	if ((c->m.l3 != PL_L3_IPV4 && c->m.l3 != PL_L3_IPV6) ||
	    c->m.l4_off == 0 || (c->key.nw_frag & DP_FRAG_ANY))
		return 0;
	if (c->key.nw_proto == 50)
		return c->m.l4_off;
	if (c->key.nw_proto != 17 || c->key.tp_dst != htons(ESP_NATT_PORT))
		return 0;
	/* The parser checked 8 <= UDP length <= what the datagram holds. */
	*end = c->m.l4_off + ntohs(pl_ld16(udp + 4));
	return c->m.l4_off + ESP_UDP;
}

int
pl_esp_decrypt(struct dp_worker *w, struct pl_pctx *c)
{
	struct dp_packet *p = c->pkt;
	const struct esp_tab *t;
	struct esp_ctr *ct;
	struct esp_sa *sa;
	uint32_t off, esp_len, n, in_len, end;
	uint8_t *esp, *pt, mac[12], padlen, nh;
	uint64_t seq;
	bool ok;
	int rc;

	if (w == NULL)
		return DP_DROP_ACTION;
	meta_fill(c);
	t = tab_get(w);
	sa = t != NULL && c->key.esp_spi != 0
		     ? tab_spi_lookup(t, c->key.esp_spi)
		     : NULL;
	if (sa == NULL)
		return DP_DROP_ESP_NO_SA;
	ct = &sa->ctr[w->idx];
	off = esp_offset(c, &end);
	esp_len = off != 0 && end > off ? end - off : 0;
	if (esp_len <
	    (uint32_t)ESP_HDR + sa->iv_len + sa->align + sa->icv_len) {
		ct->bad++;
		return DP_DROP_ESP_BAD;
	}
	n = esp_len - ESP_HDR - sa->iv_len - sa->icv_len;
	esp = p->data + off;
	seq = ntohl(pl_ld32(esp + 4));
	if (sa->is_esn)
		seq = esn_infer(CMM_LOAD_SHARED(sa->top), (uint32_t)seq);
	if (!win_check(sa, seq)) {
		ct->replay++;
		return DP_DROP_ESP_REPLAY;
	}
	pt = esp + ESP_HDR + sa->iv_len;
	if (sa->fast_iv) {
		uint8_t aad[12];
		int al = (int)aad_build(sa, seq, aad);

		ok = gcm_open_fast(sa->wc[w->idx].cipher, aad, al,
				   esp + ESP_HDR, pt, (int)n);
	} else if (sa->is_aead) {
		ok = aead_crypt(sa->wc[w->idx].cipher, sa, esp + ESP_HDR, seq,
				pt, (int)n, false);
	} else {
		ok = cbc_verify(&sa->wc[w->idx], sa, seq, esp, (int)n);
	}
	if (!ok) {
		ct->auth++;
		return DP_DROP_ESP_AUTH;
	}
	if (!win_update(sa, seq)) {
		ct->replay++;
		return DP_DROP_ESP_REPLAY;
	}
	/*
	 * The alignment is checked after the ICV, so that a misaligned but
	 * authentic packet counts as bad, not as a forgery; CBC decrypts
	 * only whole blocks.
	 */
	if (n % sa->align != 0 ||
	    (!sa->is_aead && !cbc_decrypt(&sa->wc[w->idx], esp, (int)n))) {
		ct->bad++;
		return DP_DROP_ESP_BAD;
	}
	/* Trailer: RFC 4303 2.4-2.6. */
	padlen = pt[n - 2];
	nh = pt[n - 1];
	if ((uint32_t)padlen + 2 > n || (nh != 4 && nh != 41)) {
		ct->bad++;
		return DP_DROP_ESP_BAD;
	}
	for (unsigned i = 0; i < padlen; i++) {
		if (pt[n - 2 - padlen + i] != (uint8_t)(i + 1)) {
			ct->bad++;
			return DP_DROP_ESP_BAD;
		}
	}
	in_len = n - 2 - padlen;
	/* The inner packet behind the outer Ethernet addresses. */
	memcpy(mac, p->data, 12);
	memcpy(pt - ESP_ETH, mac, 12);
	st16(pt - 2, htons(nh == 4 ? 0x0800 : 0x86dd));
	end = (uint32_t)(pt - p->data) + in_len;
	p->tailroom = (uint16_t)(p->tailroom + (p->len - end));
	p->headroom = (uint16_t)(p->headroom + (pt - ESP_ETH - p->data));
	p->data = pt - ESP_ETH;
	p->len = ESP_ETH + in_len;
	ct->packets++;
	ct->bytes += in_len;
	c->key.reg1 = sa->id;
	rc = reparse(c);
	if (rc == 0 && (c->key.tcp_flags & ESP_TCP_SYN))
		mss_clamp(sa, ct, c);
	return rc;
}
