/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ike_crypto.h: the cryptography of IKEv2, all through OpenSSL 3 EVP:
 * Diffie-Hellman (groups 14, 19, 20, 31), the PRFs (HMAC-SHA2), prf+,
 * the IKE SA key schedule (RFC 7296 section 2.14), child SA keying material
 * (section 2.17), the SK payload transform (AES-GCM-16 per RFC 5282,
 * ChaCha20-Poly1305 per RFC 7634, AES-CBC with HMAC-SHA2 per RFC 4868) and
 * the PSK AUTH value (section 2.15). Key buffers handed out are the
 * caller's; ike_crypto_cleanse() zeroes them. Nothing here logs.
 *
 * Stateless apart from struct ike_dh; safe from any thread.
 */
#ifndef IKE_CRYPTO_H
#define IKE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_PRF_MAX 64	   /* largest PRF output (SHA-512) */
#define IKE_KEY_MAX 64	   /* largest single key incl. salt */
#define IKE_DH_PUB_MAX 256 /* MODP-2048 public value */
#define IKE_DH_SECRET_MAX 256

/* Opaque Diffie-Hellman private state. */
struct ike_dh;

/* True if the DH group is one of 14, 19, 20, 31. */
bool ike_dh_supported(uint16_t group);

/* Public value length of a group in bytes, 0 if unsupported. */
size_t ike_dh_pub_len(uint16_t group);

/*
 * Creates a key pair for the group. Returns 0 and a new object in *out
 * (caller destroys), -ENOTSUP for an unknown group, -EIO on OpenSSL errors.
 */
int ike_dh_create(uint16_t group, struct ike_dh **out);

/*
 * Creates a key pair from a given private value (test vectors): big-endian
 * integer for groups 14, 19, 20; the raw 32-byte scalar for group 31.
 */
int ike_dh_create_private(uint16_t group, const uint8_t *priv, size_t priv_len,
			  struct ike_dh **out);

/* Frees the key pair (cleansed by OpenSSL). Accepts NULL. */
void ike_dh_destroy(struct ike_dh *dh);

uint16_t ike_dh_group(const struct ike_dh *dh);

/*
 * Writes the public value in IKE wire format (RFC 7296 3.4, RFC 5903 7:
 * x || y for ECP, raw u for X25519, zero-padded for MODP) to out; *len is
 * set. Returns 0, -ENOSPC or -EIO.
 */
int ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap,
		  size_t *len);

/*
 * Computes the shared secret with the peer's public value (wire format)
 * into out: the x coordinate for ECP, zero-padded g^ir for MODP. Returns 0,
 * -EINVAL for a malformed or invalid peer value, -EIO.
 */
int ike_dh_derive(struct ike_dh *dh, const uint8_t *peer, size_t peer_len,
		  uint8_t *out, size_t cap, size_t *len);

/* PRF output length for a PRF transform id, 0 if unsupported. */
size_t ike_prf_len(uint16_t prf);

/* HMAC-based prf(key, data) into out (ike_prf_len bytes). 0 or -EIO. */
int ike_prf(uint16_t prf, const uint8_t *key, size_t key_len,
	    const uint8_t *data, size_t data_len, uint8_t *out);

/* prf+ (RFC 7296 section 2.13) of out_len bytes. 0, -EINVAL or -EIO. */
int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t key_len,
		 const uint8_t *seed, size_t seed_len, uint8_t *out,
		 size_t out_len);

/*
 * An SK payload / ESP cipher suite: the encryption transform with its key
 * size and, for non-AEAD ciphers, the integrity transform.
 */
struct ike_cipher {
	uint16_t encr;	   /* enum ike_encr_id */
	uint16_t key_bits; /* 128/256 for AES, 256 for ChaCha20 */
	uint16_t integ;	   /* enum ike_integ_id; NONE for AEAD */
};

bool ike_cipher_valid(const struct ike_cipher *c);
bool ike_cipher_is_aead(const struct ike_cipher *c);

/* Encryption key length incl. the 4-byte AEAD salt, in bytes. */
size_t ike_cipher_enc_key_len(const struct ike_cipher *c);

/* Integrity key length in bytes (0 for AEAD). */
size_t ike_cipher_integ_key_len(const struct ike_cipher *c);

/* Integrity check value (tag) length in bytes. */
size_t ike_cipher_icv_len(const struct ike_cipher *c);

/* IV length carried in the SK payload. */
size_t ike_cipher_iv_len(const struct ike_cipher *c);

/* Length of IV || ciphertext (with padding and pad length) || ICV. */
size_t ike_cipher_sealed_len(const struct ike_cipher *c, size_t pt_len);

/*
 * Seals an SK payload body. 'hdr' is the message from the IKE header to
 * the end of the SK generic payload header, with the final total length
 * already written (hdr_len bytes). The sealed body (IV, ciphertext with
 * padding and pad length, ICV) goes to out, ike_cipher_sealed_len() bytes.
 * For AEAD the header is the associated data (RFC 5282 section 5.1); for
 * CBC the ICV is the HMAC of header || IV || ciphertext (RFC 7296 3.14).
 * Returns 0 or -EIO.
 */
int ike_sk_seal(const struct ike_cipher *c, const uint8_t *enc_key,
		const uint8_t *integ_key, const uint8_t *hdr, size_t hdr_len,
		const uint8_t *pt, size_t pt_len, uint8_t *out);

/*
 * Opens an SK payload body 'body' of body_len bytes (IV, ciphertext, ICV)
 * that follows 'hdr'. The plaintext without padding goes to pt (at least
 * body_len bytes) and *pt_len. Returns 0, -EBADMSG when the ICV does not
 * verify or the padding is malformed, -EINVAL when too short, -EIO.
 */
int ike_sk_open(const struct ike_cipher *c, const uint8_t *enc_key,
		const uint8_t *integ_key, const uint8_t *hdr, size_t hdr_len,
		const uint8_t *body, size_t body_len, uint8_t *pt,
		size_t *pt_len);

/* The seven IKE SA keys (RFC 7296 section 2.14). */
struct ike_keys {
	uint16_t prf;
	struct ike_cipher cipher;
	size_t prf_len, ek_len, ak_len;
	uint8_t sk_d[IKE_PRF_MAX];
	uint8_t sk_ai[IKE_KEY_MAX], sk_ar[IKE_KEY_MAX];
	uint8_t sk_ei[IKE_KEY_MAX], sk_er[IKE_KEY_MAX];
	uint8_t sk_pi[IKE_PRF_MAX], sk_pr[IKE_PRF_MAX];
};

/*
 * SKEYSEED and the seven keys: SKEYSEED = prf(Ni | Nr, g^ir), or for an
 * IKE SA rekey (old_sk_d != NULL) prf(SK_d, g^ir | Ni | Nr); then prf+
 * (SKEYSEED, Ni | Nr | SPIi | SPIr). prf and cipher are taken from
 * keys->prf and keys->cipher. Returns 0, -EINVAL or -EIO.
 */
int ike_keys_derive(struct ike_keys *keys, const uint8_t *old_sk_d,
		    const uint8_t *gir, size_t gir_len, const uint8_t *ni,
		    size_t ni_len, const uint8_t *nr, size_t nr_len,
		    uint64_t spi_i, uint64_t spi_r);

/*
 * Child SA keying material: prf+(SK_d, [g^ir] | Ni | Nr), out_len bytes
 * (section 2.17). gir may be NULL (no PFS). Returns 0, -EINVAL or -EIO.
 */
int ike_child_keymat(uint16_t prf, const uint8_t *sk_d, size_t sk_d_len,
		     const uint8_t *gir, size_t gir_len, const uint8_t *ni,
		     size_t ni_len, const uint8_t *nr, size_t nr_len,
		     uint8_t *out, size_t out_len);

/*
 * PSK AUTH payload data (section 2.15): prf(prf(PSK, "Key Pad for IKEv2"),
 * msg | nonce | prf(SK_p, id_body)). msg is the sender's IKE_SA_INIT
 * message, nonce the peer's nonce, id_body the ID payload after its
 * generic header (type, 3 reserved bytes, data). Writes ike_prf_len bytes.
 */
int ike_psk_auth(uint16_t prf, const uint8_t *psk, size_t psk_len,
		 const uint8_t *sk_p, size_t sk_p_len, const uint8_t *msg,
		 size_t msg_len, const uint8_t *nonce, size_t nonce_len,
		 const uint8_t *id_body, size_t id_body_len, uint8_t *out);

/* SHA-1 NAT detection hash (RFC 7296 2.23) over spi_i, spi_r, addr, port. */
int ike_natd_hash(uint64_t spi_i, uint64_t spi_r, const uint8_t *addr,
		  size_t addr_len, uint16_t port, uint8_t out[20]);

/* Random bytes from OpenSSL's CSPRNG. 0 or -EIO. */
int ike_random(void *buf, size_t len);

/* Zeroes a secret (OPENSSL_cleanse). */
void ike_crypto_cleanse(void *p, size_t len);

/* Constant-time comparison; true when equal. */
bool ike_crypto_equal(const void *a, const void *b, size_t len);

#endif /* IKE_CRYPTO_H */
