/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ike_crypto.c: IKEv2 cryptography on OpenSSL 3 (EVP_PKEY for DH, EVP_MAC
 * HMAC for the PRFs, EVP_CIPHER for the SK payload), as declared in
 * ike_crypto.h. Intermediate secrets on the stack are cleansed before
 * return. Used by ike_sa.c and the unit tests.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "ike_crypto.h"
#include "ike_msg.h"

struct ike_dh {
	uint16_t group;
	EVP_PKEY *pkey;
};

struct iov {
	const void *p;
	size_t len;
};

bool
ike_dh_supported(uint16_t group)
{
	return ike_dh_pub_len(group) != 0;
}

size_t
ike_dh_pub_len(uint16_t group)
{
	switch (group) {
	case IKE_DH_MODP2048:
		return 256;
	case IKE_DH_ECP256:
		return 64;
	case IKE_DH_ECP384:
		return 96;
	case IKE_DH_CURVE25519:
		return 32;
	default:
		return 0;
	}
}

static const char *
ec_curve(uint16_t group)
{
	return group == IKE_DH_ECP256 ? "P-256" : "P-384";
}

uint16_t
ike_dh_group(const struct ike_dh *dh)
{
	return dh->group;
}

static int
dh_alloc(uint16_t group, struct ike_dh **out)
{
	struct ike_dh *dh;

	if (!ike_dh_supported(group))
		return -ENOTSUP;
	dh = calloc(1, sizeof(*dh));
	if (!dh)
		return -ENOMEM;
	dh->group = group;
	*out = dh;
	return 0;
}

int
ike_dh_create(uint16_t group, struct ike_dh **out)
{
	OSSL_PARAM params[2];
	EVP_PKEY_CTX *ctx = NULL;
	struct ike_dh *dh;
	int rc;

	rc = dh_alloc(group, &dh);
	if (rc)
		return rc;
	rc = -EIO;
	if (group == IKE_DH_CURVE25519) {
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
		if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0)
			goto fail;
	} else {
		const char *name = group == IKE_DH_MODP2048 ? "modp_2048"
							    : ec_curve(group);

		ctx = EVP_PKEY_CTX_new_from_name(
			NULL, group == IKE_DH_MODP2048 ? "DH" : "EC", NULL);
		if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0)
			goto fail;
		params[0] = OSSL_PARAM_construct_utf8_string(
			OSSL_PKEY_PARAM_GROUP_NAME, (char *)name, 0);
		params[1] = OSSL_PARAM_construct_end();
		if (EVP_PKEY_CTX_set_params(ctx, params) <= 0)
			goto fail;
	}
	if (EVP_PKEY_generate(ctx, &dh->pkey) <= 0)
		goto fail;
	EVP_PKEY_CTX_free(ctx);
	*out = dh;
	return 0;
fail:
	EVP_PKEY_CTX_free(ctx);
	ike_dh_destroy(dh);
	return rc;
}

int
ike_dh_create_private(uint16_t group, const uint8_t *priv, size_t priv_len,
		      struct ike_dh **out)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL;
	struct ike_dh *dh;
	uint8_t le[IKE_DH_SECRET_MAX];
	size_t i;
	int rc;

	rc = dh_alloc(group, &dh);
	if (rc)
		return rc;
	rc = -EIO;
	if (group == IKE_DH_CURVE25519) {
		dh->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL,
							priv, priv_len);
		if (!dh->pkey)
			goto fail;
		*out = dh;
		return 0;
	}
	if (group == IKE_DH_MODP2048 || priv_len > sizeof(le)) {
		rc = -ENOTSUP;
		goto fail;
	}
	/* OSSL_PARAM integers are native-endian (little here). */
	for (i = 0; i < priv_len; i++)
		le[i] = priv[priv_len - 1 - i];
	params[0] = OSSL_PARAM_construct_utf8_string(
		OSSL_PKEY_PARAM_GROUP_NAME, (char *)ec_curve(group), 0);
	params[1] =
		OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_PRIV_KEY, le, priv_len);
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &dh->pkey, EVP_PKEY_KEYPAIR, params) <= 0)
		goto fail;
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_cleanse(le, sizeof(le));
	*out = dh;
	return 0;
fail:
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_cleanse(le, sizeof(le));
	ike_dh_destroy(dh);
	return rc;
}

void
ike_dh_destroy(struct ike_dh *dh)
{
	if (!dh)
		return;
	EVP_PKEY_free(dh->pkey);
	free(dh);
}

int
ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap, size_t *len)
{
	size_t want = ike_dh_pub_len(dh->group), got = 0;
	uint8_t enc[1 + 2 * 48];
	BIGNUM *bn = NULL;

	if (cap < want)
		return -ENOSPC;
	switch (dh->group) {
	case IKE_DH_CURVE25519:
		got = want;
		if (EVP_PKEY_get_raw_public_key(dh->pkey, out, &got) <= 0 ||
		    got != want)
			return -EIO;
		break;
	case IKE_DH_MODP2048:
		if (EVP_PKEY_get_bn_param(dh->pkey, OSSL_PKEY_PARAM_PUB_KEY,
					  &bn) <= 0)
			return -EIO;
		if (BN_bn2binpad(bn, out, (int)want) < 0) {
			BN_free(bn);
			return -EIO;
		}
		BN_free(bn);
		break;
	default:
		/* Uncompressed point 0x04 || x || y; IKE carries x || y. */
		if (EVP_PKEY_get_octet_string_param(
			    dh->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, enc,
			    sizeof(enc), &got) <= 0 ||
		    got != want + 1 || enc[0] != 4)
			return -EIO;
		memcpy(out, enc + 1, want);
		break;
	}
	*len = want;
	return 0;
}

static EVP_PKEY *
peer_key(uint16_t group, const uint8_t *peer, size_t len)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	uint8_t enc[1 + 2 * 48];
	uint8_t le[256];
	size_t i;

	if (len != ike_dh_pub_len(group))
		return NULL;
	if (group == IKE_DH_CURVE25519)
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer,
						   len);
	if (group == IKE_DH_MODP2048) {
		for (i = 0; i < len; i++)
			le[i] = peer[len - 1 - i];
		params[0] = OSSL_PARAM_construct_utf8_string(
			OSSL_PKEY_PARAM_GROUP_NAME, "modp_2048", 0);
		params[1] = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_PUB_KEY, le,
						    len);
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	} else {
		enc[0] = 4;
		memcpy(enc + 1, peer, len);
		params[0] = OSSL_PARAM_construct_utf8_string(
			OSSL_PKEY_PARAM_GROUP_NAME, (char *)ec_curve(group), 0);
		params[1] = OSSL_PARAM_construct_octet_string(
			OSSL_PKEY_PARAM_PUB_KEY, enc, len + 1);
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	}
	params[2] = OSSL_PARAM_construct_end();
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

int
ike_dh_derive(struct ike_dh *dh, const uint8_t *peer, size_t peer_len,
	      uint8_t *out, size_t cap, size_t *len)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk;
	size_t n = cap;
	int rc = -EINVAL;

	pk = peer_key(dh->group, peer, peer_len);
	if (!pk)
		return -EINVAL;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->pkey, NULL);
	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0) {
		rc = -EIO;
		goto out;
	}
	if (dh->group == IKE_DH_MODP2048 &&
	    EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0) {
		rc = -EIO;
		goto out;
	}
	/* set_peer validates the peer's public value (range, on curve). */
	if (EVP_PKEY_derive_set_peer(ctx, pk) <= 0)
		goto out;
	if (EVP_PKEY_derive(ctx, out, &n) <= 0)
		goto out;
	*len = n;
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return rc;
}

/* PRFs. */

static const char *
prf_digest(uint16_t prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA2_256:
		return "SHA256";
	case IKE_PRF_HMAC_SHA2_384:
		return "SHA384";
	case IKE_PRF_HMAC_SHA2_512:
		return "SHA512";
	default:
		return NULL;
	}
}

size_t
ike_prf_len(uint16_t prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA2_256:
		return 32;
	case IKE_PRF_HMAC_SHA2_384:
		return 48;
	case IKE_PRF_HMAC_SHA2_512:
		return 64;
	default:
		return 0;
	}
}

/* HMAC over the concatenation of n pieces; out gets the full output. */
static int
hmac_iov(const char *digest, const uint8_t *key, size_t key_len,
	 const struct iov *v, size_t n, uint8_t *out, size_t out_cap)
{
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx = NULL;
	static const uint8_t nokey[1];
	size_t i, olen;
	int rc = -EIO;

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		return -EIO;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, key_len ? key : nokey, key_len, params))
		goto out;
	for (i = 0; i < n; i++)
		if (v[i].len && !EVP_MAC_update(ctx, v[i].p, v[i].len))
			goto out;
	if (!EVP_MAC_final(ctx, out, &olen, out_cap))
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

static int
prf_iov(uint16_t prf, const uint8_t *key, size_t key_len, const struct iov *v,
	size_t n, uint8_t *out)
{
	const char *d = prf_digest(prf);

	if (!d)
		return -EINVAL;
	return hmac_iov(d, key, key_len, v, n, out, ike_prf_len(prf));
}

int
ike_prf(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *data,
	size_t data_len, uint8_t *out)
{
	struct iov v = {data, data_len};

	return prf_iov(prf, key, key_len, &v, 1, out);
}

int
ike_prf_plus(uint16_t prf, const uint8_t *key, size_t key_len,
	     const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
	uint8_t t[IKE_PRF_MAX];
	size_t hl = ike_prf_len(prf), done = 0, take;
	uint8_t ctr = 1;
	int rc;

	/* T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n); at most 255
	 * blocks. */
	if (!hl || out_len > 255 * hl)
		return -EINVAL;
	while (done < out_len) {
		struct iov v[3] = {
			{t, ctr == 1 ? 0 : hl},
			{seed, seed_len},
			{&ctr, 1},
		};

		rc = prf_iov(prf, key, key_len, v, 3, t);
		if (rc) {
			OPENSSL_cleanse(t, sizeof(t));
			return rc;
		}
		take = out_len - done < hl ? out_len - done : hl;
		memcpy(out + done, t, take);
		done += take;
		ctr++;
	}
	OPENSSL_cleanse(t, sizeof(t));
	return 0;
}

/* Ciphers. */

bool
ike_cipher_is_aead(const struct ike_cipher *c)
{
	return c->encr == IKE_ENCR_AES_GCM_16 ||
	       c->encr == IKE_ENCR_CHACHA20_POLY1305;
}

static const char *
integ_digest(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA2_256_128:
		return "SHA256";
	case IKE_INTEG_HMAC_SHA2_384_192:
		return "SHA384";
	case IKE_INTEG_HMAC_SHA2_512_256:
		return "SHA512";
	default:
		return NULL;
	}
}

bool
ike_cipher_valid(const struct ike_cipher *c)
{
	switch (c->encr) {
	case IKE_ENCR_AES_GCM_16:
		return (c->key_bits == 128 || c->key_bits == 256) &&
		       c->integ == IKE_INTEG_NONE;
	case IKE_ENCR_CHACHA20_POLY1305:
		return (c->key_bits == 256 || c->key_bits == 0) &&
		       c->integ == IKE_INTEG_NONE;
	case IKE_ENCR_AES_CBC:
		return (c->key_bits == 128 || c->key_bits == 256) &&
		       integ_digest(c->integ) != NULL;
	default:
		return false;
	}
}

size_t
ike_cipher_enc_key_len(const struct ike_cipher *c)
{
	if (c->encr == IKE_ENCR_CHACHA20_POLY1305)
		return 32 + 4;
	if (c->encr == IKE_ENCR_AES_GCM_16)
		return c->key_bits / 8 + 4;
	return c->key_bits / 8;
}

size_t
ike_cipher_integ_key_len(const struct ike_cipher *c)
{
	switch (c->integ) {
	case IKE_INTEG_HMAC_SHA2_256_128:
		return 32;
	case IKE_INTEG_HMAC_SHA2_384_192:
		return 48;
	case IKE_INTEG_HMAC_SHA2_512_256:
		return 64;
	default:
		return 0;
	}
}

size_t
ike_cipher_icv_len(const struct ike_cipher *c)
{
	if (ike_cipher_is_aead(c))
		return 16;
	return ike_cipher_integ_key_len(c) / 2;
}

size_t
ike_cipher_iv_len(const struct ike_cipher *c)
{
	return ike_cipher_is_aead(c) ? 8 : 16;
}

static size_t
padded_len(const struct ike_cipher *c, size_t pt_len)
{
	size_t n = pt_len + 1; /* pad length byte */

	if (!ike_cipher_is_aead(c))
		n = (n + 15) & ~(size_t)15;
	return n;
}

size_t
ike_cipher_sealed_len(const struct ike_cipher *c, size_t pt_len)
{
	return ike_cipher_iv_len(c) + padded_len(c, pt_len) +
	       ike_cipher_icv_len(c);
}

static const EVP_CIPHER *
evp_cipher(const struct ike_cipher *c)
{
	switch (c->encr) {
	case IKE_ENCR_AES_GCM_16:
		return c->key_bits == 128 ? EVP_aes_128_gcm()
					  : EVP_aes_256_gcm();
	case IKE_ENCR_CHACHA20_POLY1305:
		return EVP_chacha20_poly1305();
	case IKE_ENCR_AES_CBC:
		return c->key_bits == 128 ? EVP_aes_128_cbc()
					  : EVP_aes_256_cbc();
	default:
		return NULL;
	}
}

/* AEAD: nonce = salt (last 4 key bytes) || 8-byte IV (RFC 5282 / 7634). */
static int
aead_run(const struct ike_cipher *c, bool enc, const uint8_t *key,
	 const uint8_t *iv, const uint8_t *aad, size_t aad_len,
	 const uint8_t *in, size_t in_len, uint8_t *out, uint8_t *tag)
{
	size_t klen = ike_cipher_enc_key_len(c) - 4;
	uint8_t nonce[12];
	EVP_CIPHER_CTX *ctx;
	int l, rc = -EIO;

	memcpy(nonce, key + klen, 4);
	memcpy(nonce + 4, iv, 8);
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -EIO;
	if (!EVP_CipherInit_ex(ctx, evp_cipher(c), NULL, NULL, NULL, enc) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) ||
	    !EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc))
		goto out;
	if (!enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag))
		goto out;
	if (!EVP_CipherUpdate(ctx, NULL, &l, aad, (int)aad_len))
		goto out;
	if (in_len && !EVP_CipherUpdate(ctx, out, &l, in, (int)in_len))
		goto out;
	if (!EVP_CipherFinal_ex(ctx, out + in_len, &l)) {
		rc = -EBADMSG;
		goto out;
	}
	if (enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag))
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

static int
cbc_run(const struct ike_cipher *c, bool enc, const uint8_t *key,
	const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	int l, rc = -EIO;

	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -EIO;
	if (!EVP_CipherInit_ex(ctx, evp_cipher(c), NULL, key, iv, enc) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0) ||
	    !EVP_CipherUpdate(ctx, out, &l, in, (int)len) ||
	    !EVP_CipherFinal_ex(ctx, out + l, &l))
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int
ike_sk_seal(const struct ike_cipher *c, const uint8_t *enc_key,
	    const uint8_t *integ_key, const uint8_t *hdr, size_t hdr_len,
	    const uint8_t *pt, size_t pt_len, uint8_t *out)
{
	size_t ivl = ike_cipher_iv_len(c), plen = padded_len(c, pt_len);
	uint8_t *iv = out, *ct = out + ivl, *icv = ct + plen;
	uint8_t mac[IKE_PRF_MAX];
	int rc;

	if (!ike_cipher_valid(c))
		return -EINVAL;
	if (ike_random(iv, ivl))
		return -EIO;
	/* Plaintext, zero padding, pad length (section 3.14). */
	memmove(ct, pt, pt_len);
	memset(ct + pt_len, 0, plen - pt_len - 1);
	ct[plen - 1] = (uint8_t)(plen - pt_len - 1);
	if (ike_cipher_is_aead(c))
		return aead_run(c, true, enc_key, iv, hdr, hdr_len, ct, plen,
				ct, icv);
	rc = cbc_run(c, true, enc_key, iv, ct, plen, ct);
	if (rc)
		return rc;
	{
		struct iov v[2] = {{hdr, hdr_len}, {out, ivl + plen}};

		rc = hmac_iov(integ_digest(c->integ), integ_key,
			      ike_cipher_integ_key_len(c), v, 2, mac,
			      sizeof(mac));
	}
	if (rc)
		return rc;
	memcpy(icv, mac, ike_cipher_icv_len(c));
	return 0;
}

int
ike_sk_open(const struct ike_cipher *c, const uint8_t *enc_key,
	    const uint8_t *integ_key, const uint8_t *hdr, size_t hdr_len,
	    const uint8_t *body, size_t body_len, uint8_t *pt, size_t *pt_len)
{
	size_t ivl = ike_cipher_iv_len(c), icvl = ike_cipher_icv_len(c);
	const uint8_t *iv = body, *ct = body + ivl;
	uint8_t tag[16], mac[IKE_PRF_MAX];
	size_t clen;
	uint8_t padl;
	int rc;

	if (!ike_cipher_valid(c))
		return -EINVAL;
	if (body_len < ivl + icvl + 1)
		return -EINVAL;
	clen = body_len - ivl - icvl;
	if (ike_cipher_is_aead(c)) {
		memcpy(tag, ct + clen, 16);
		rc = aead_run(c, false, enc_key, iv, hdr, hdr_len, ct, clen, pt,
			      tag);
		if (rc)
			return rc;
	} else {
		struct iov v[2] = {{hdr, hdr_len}, {body, ivl + clen}};

		if (clen % 16)
			return -EINVAL;
		rc = hmac_iov(integ_digest(c->integ), integ_key,
			      ike_cipher_integ_key_len(c), v, 2, mac,
			      sizeof(mac));
		if (rc)
			return rc;
		if (CRYPTO_memcmp(mac, ct + clen, icvl) != 0)
			return -EBADMSG;
		rc = cbc_run(c, false, enc_key, iv, ct, clen, pt);
		if (rc)
			return rc;
	}
	padl = pt[clen - 1];
	if ((size_t)padl + 1 > clen)
		return -EBADMSG;
	*pt_len = clen - padl - 1;
	return 0;
}

/* Key schedule. */

int
ike_keys_derive(struct ike_keys *k, const uint8_t *old_sk_d, const uint8_t *gir,
		size_t gir_len, const uint8_t *ni, size_t ni_len,
		const uint8_t *nr, size_t nr_len, uint64_t spi_i,
		uint64_t spi_r)
{
	uint8_t skeyseed[IKE_PRF_MAX], seed[2 * 256 + 16];
	uint8_t km[3 * IKE_PRF_MAX + 4 * IKE_KEY_MAX];
	size_t off = 0, total, i;
	int rc;

	k->prf_len = ike_prf_len(k->prf);
	if (!k->prf_len || !ike_cipher_valid(&k->cipher) || ni_len > 256 ||
	    nr_len > 256)
		return -EINVAL;
	k->ek_len = ike_cipher_enc_key_len(&k->cipher);
	k->ak_len = ike_cipher_integ_key_len(&k->cipher);
	memcpy(seed, ni, ni_len);
	memcpy(seed + ni_len, nr, nr_len);
	if (old_sk_d) {
		struct iov v[2] = {{gir, gir_len}, {seed, ni_len + nr_len}};

		rc = prf_iov(k->prf, old_sk_d, k->prf_len, v, 2, skeyseed);
	} else {
		rc = ike_prf(k->prf, seed, ni_len + nr_len, gir, gir_len,
			     skeyseed);
	}
	if (rc)
		goto out;
	off = ni_len + nr_len;
	for (i = 0; i < 8; i++)
		seed[off + i] = (uint8_t)(spi_i >> (56 - 8 * i));
	for (i = 0; i < 8; i++)
		seed[off + 8 + i] = (uint8_t)(spi_r >> (56 - 8 * i));
	total = 3 * k->prf_len + 2 * k->ak_len + 2 * k->ek_len;
	rc = ike_prf_plus(k->prf, skeyseed, k->prf_len, seed, off + 16, km,
			  total);
	if (rc)
		goto out;
	off = 0;
	memcpy(k->sk_d, km + off, k->prf_len);
	off += k->prf_len;
	memcpy(k->sk_ai, km + off, k->ak_len);
	off += k->ak_len;
	memcpy(k->sk_ar, km + off, k->ak_len);
	off += k->ak_len;
	memcpy(k->sk_ei, km + off, k->ek_len);
	off += k->ek_len;
	memcpy(k->sk_er, km + off, k->ek_len);
	off += k->ek_len;
	memcpy(k->sk_pi, km + off, k->prf_len);
	off += k->prf_len;
	memcpy(k->sk_pr, km + off, k->prf_len);
out:
	OPENSSL_cleanse(skeyseed, sizeof(skeyseed));
	OPENSSL_cleanse(km, sizeof(km));
	return rc;
}

int
ike_child_keymat(uint16_t prf, const uint8_t *sk_d, size_t sk_d_len,
		 const uint8_t *gir, size_t gir_len, const uint8_t *ni,
		 size_t ni_len, const uint8_t *nr, size_t nr_len, uint8_t *out,
		 size_t out_len)
{
	uint8_t seed[IKE_DH_SECRET_MAX + 2 * 256];
	size_t off = 0;
	int rc;

	if (gir_len > IKE_DH_SECRET_MAX || ni_len > 256 || nr_len > 256)
		return -EINVAL;
	if (gir) {
		memcpy(seed, gir, gir_len);
		off = gir_len;
	}
	memcpy(seed + off, ni, ni_len);
	memcpy(seed + off + ni_len, nr, nr_len);
	rc = ike_prf_plus(prf, sk_d, sk_d_len, seed, off + ni_len + nr_len, out,
			  out_len);
	OPENSSL_cleanse(seed, sizeof(seed));
	return rc;
}

int
ike_psk_auth(uint16_t prf, const uint8_t *psk, size_t psk_len,
	     const uint8_t *sk_p, size_t sk_p_len, const uint8_t *msg,
	     size_t msg_len, const uint8_t *nonce, size_t nonce_len,
	     const uint8_t *id_body, size_t id_body_len, uint8_t *out)
{
	static const char pad[] = "Key Pad for IKEv2";
	uint8_t key[IKE_PRF_MAX], maced[IKE_PRF_MAX];
	size_t hl = ike_prf_len(prf);
	int rc;

	rc = ike_prf(prf, sk_p, sk_p_len, id_body, id_body_len, maced);
	if (rc)
		return rc;
	rc = ike_prf(prf, psk, psk_len, (const uint8_t *)pad, sizeof(pad) - 1,
		     key);
	if (rc)
		goto out;
	{
		struct iov v[3] = {
			{msg, msg_len}, {nonce, nonce_len}, {maced, hl}};

		rc = prf_iov(prf, key, hl, v, 3, out);
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int
ike_natd_hash(uint64_t spi_i, uint64_t spi_r, const uint8_t *addr,
	      size_t addr_len, uint16_t port, uint8_t out[20])
{
	uint8_t buf[8 + 8 + 16 + 2];
	unsigned int olen = 20;
	size_t i;

	if (addr_len > 16)
		return -EINVAL;
	for (i = 0; i < 8; i++) {
		buf[i] = (uint8_t)(spi_i >> (56 - 8 * i));
		buf[8 + i] = (uint8_t)(spi_r >> (56 - 8 * i));
	}
	memcpy(buf + 16, addr, addr_len);
	buf[16 + addr_len] = port >> 8;
	buf[17 + addr_len] = port & 0xff;
	if (!EVP_Digest(buf, 18 + addr_len, out, &olen, EVP_sha1(), NULL))
		return -EIO;
	return 0;
}

int
ike_random(void *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}

void
ike_crypto_cleanse(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}

bool
ike_crypto_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}
