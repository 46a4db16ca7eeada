/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ike_conf.c: policy helpers of the IKEv2 engine: parsing strongSwan-style
 * proposal strings into struct ike_proposal_cfg, building our SA payload
 * offers, selecting a proposal from a peer's offer (RFC 7296 section
 * 3.3.6: one transform of each type, no unknown mandatory ones), and
 * narrowing traffic selectors to the configured CIDRs (section 2.9).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "ike_priv.h"

/* Proposal strings. */

struct alg_name {
	const char *name;
	uint8_t kind; /* 'e' encr, 'i' integ(+prf for IKE), 'p' prf,
		       * 'd' dh */
	uint16_t id, bits;
};

static const struct alg_name algs[] = {
	{"aes128gcm16", 'e', IKE_ENCR_AES_GCM_16, 128},
	{"aes128gcm", 'e', IKE_ENCR_AES_GCM_16, 128},
	{"aes256gcm16", 'e', IKE_ENCR_AES_GCM_16, 256},
	{"aes256gcm", 'e', IKE_ENCR_AES_GCM_16, 256},
	{"chacha20poly1305", 'e', IKE_ENCR_CHACHA20_POLY1305, 256},
	{"aes128", 'e', IKE_ENCR_AES_CBC, 128},
	{"aes256", 'e', IKE_ENCR_AES_CBC, 256},
	{"sha256", 'i', IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256},
	{"sha384", 'i', IKE_INTEG_HMAC_SHA2_384_192, IKE_PRF_HMAC_SHA2_384},
	{"sha512", 'i', IKE_INTEG_HMAC_SHA2_512_256, IKE_PRF_HMAC_SHA2_512},
	{"prfsha256", 'p', IKE_PRF_HMAC_SHA2_256, 0},
	{"prfsha384", 'p', IKE_PRF_HMAC_SHA2_384, 0},
	{"prfsha512", 'p', IKE_PRF_HMAC_SHA2_512, 0},
	{"modp2048", 'd', IKE_DH_MODP2048, 0},
	{"ecp256", 'd', IKE_DH_ECP256, 0},
	{"ecp384", 'd', IKE_DH_ECP384, 0},
	{"curve25519", 'd', IKE_DH_CURVE25519, 0},
	{"x25519", 'd', IKE_DH_CURVE25519, 0},
};

static int
parse_one(const char *s, size_t len, bool is_esp, struct ike_proposal_cfg *p)
{
	const struct alg_name *a = NULL;
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strlen(algs[i].name) == len &&
		    !strncmp(algs[i].name, s, len))
			a = &algs[i];
	if (!a)
		return -EINVAL;
	switch (a->kind) {
	case 'e':
		if (p->n_encr == IKE_PROP_ALGS)
			return -EINVAL;
		p->encr[p->n_encr].encr = a->id;
		p->encr[p->n_encr].key_bits = a->bits;
		p->n_encr++;
		return 0;
	case 'i':
		if (p->n_integ == IKE_PROP_ALGS)
			return -EINVAL;
		p->integ[p->n_integ++] = a->id;
		/* strongSwan: an IKE integrity name implies the same PRF
		 * unless a prf is given explicitly; done in the caller. */
		(void)is_esp;
		return 0;
	case 'p':
		if (p->n_prf == IKE_PROP_ALGS)
			return -EINVAL;
		p->prf[p->n_prf++] = a->id;
		return 0;
	default:
		if (p->n_dh == IKE_PROP_ALGS)
			return -EINVAL;
		p->dh[p->n_dh++] = a->id;
		return 0;
	}
}

static uint16_t
integ_prf(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA2_256_128:
		return IKE_PRF_HMAC_SHA2_256;
	case IKE_INTEG_HMAC_SHA2_384_192:
		return IKE_PRF_HMAC_SHA2_384;
	default:
		return IKE_PRF_HMAC_SHA2_512;
	}
}

static int
check_proposal(struct ike_proposal_cfg *p, bool is_esp)
{
	uint8_t i, n_aead = 0;

	if (p->n_encr == 0)
		return -EINVAL;
	for (i = 0; i < p->n_encr; i++)
		if (ike_cipher_is_aead(&p->encr[i]))
			n_aead++;
	if (n_aead != 0 && n_aead != p->n_encr)
		return -EINVAL; /* mixed AEAD and non-AEAD */
	if (n_aead) {
		if (p->n_integ && is_esp)
			return -EINVAL;
		if (!is_esp && p->n_prf == 0) {
			/* "aes128gcm16-sha256" in IKE: sha256 is the PRF. */
			for (i = 0; i < p->n_integ; i++)
				p->prf[p->n_prf++] = integ_prf(p->integ[i]);
		}
		p->n_integ = 0;
	} else if (p->n_integ == 0) {
		return -EINVAL;
	}
	if (!is_esp) {
		if (p->n_prf == 0)
			for (i = 0; i < p->n_integ; i++)
				p->prf[p->n_prf++] = integ_prf(p->integ[i]);
		if (p->n_prf == 0 || p->n_dh == 0)
			return -EINVAL;
	} else if (p->n_prf) {
		return -EINVAL;
	}
	return 0;
}

int
ike_proposal_parse(const char *s, bool is_esp, struct ike_proposal_cfg *out,
		   uint8_t max, uint8_t *n)
{
	uint8_t count = 0;
	const char *p = s;

	while (*p) {
		struct ike_proposal_cfg *pc;
		const char *end = p + strcspn(p, ",");

		if (count == max)
			return -EINVAL;
		pc = &out[count];
		memset(pc, 0, sizeof(*pc));
		while (p < end) {
			size_t len = strcspn(p, "-,");

			if (len == 0 || parse_one(p, len, is_esp, pc))
				return -EINVAL;
			p += len;
			if (*p == '-')
				p++;
		}
		if (check_proposal(pc, is_esp))
			return -EINVAL;
		count++;
		if (*p == ',')
			p++;
	}
	if (count == 0)
		return -EINVAL;
	*n = count;
	return 0;
}

/* Offers and selection. */

static void
add_xf(struct ike_proposal *pr, uint8_t type, uint16_t id, uint16_t bits)
{
	if (pr->n_xforms == IKE_MAX_XFORMS)
		return;
	pr->xf[pr->n_xforms].type = type;
	pr->xf[pr->n_xforms].id = id;
	pr->xf[pr->n_xforms].key_bits = bits;
	pr->n_xforms++;
}

static uint16_t
wire_bits(const struct ike_cipher *c)
{
	/* ChaCha20-Poly1305 has a fixed key: no key length attribute. */
	return c->encr == IKE_ENCR_CHACHA20_POLY1305 ? 0 : c->key_bits;
}

void
ike_conf_offer(const struct ike_proposal_cfg *cfg, uint8_t n, uint8_t proto,
	       const uint8_t *spi, uint8_t spi_len, bool with_dh,
	       struct ike_sa_pl *out)
{
	uint8_t i, j;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n && i < IKE_MAX_PROPOSALS; i++) {
		const struct ike_proposal_cfg *c = &cfg[i];
		struct ike_proposal *pr = &out->props[i];

		pr->num = i + 1;
		pr->proto = proto;
		pr->spi_len = spi_len;
		if (spi_len)
			memcpy(pr->spi, spi, spi_len);
		for (j = 0; j < c->n_encr; j++)
			add_xf(pr, IKE_XF_ENCR, c->encr[j].encr,
			       wire_bits(&c->encr[j]));
		if (proto == IKE_PROTO_IKE)
			for (j = 0; j < c->n_prf; j++)
				add_xf(pr, IKE_XF_PRF, c->prf[j], 0);
		for (j = 0; j < c->n_integ; j++)
			add_xf(pr, IKE_XF_INTEG, c->integ[j], 0);
		if (with_dh)
			for (j = 0; j < c->n_dh; j++)
				add_xf(pr, IKE_XF_DH, c->dh[j], 0);
		if (proto == IKE_PROTO_ESP)
			add_xf(pr, IKE_XF_ESN, 0, 0);
		out->n_props++;
	}
}

void
ike_conf_answer(const struct ike_sel *sel, struct ike_sa_pl *out)
{
	struct ike_proposal *pr = &out->props[0];

	memset(out, 0, sizeof(*out));
	out->n_props = 1;
	pr->num = sel->num;
	pr->proto = sel->proto;
	pr->spi_len = sel->spi_len;
	memcpy(pr->spi, sel->spi, sel->spi_len);
	add_xf(pr, IKE_XF_ENCR, sel->cipher.encr, wire_bits(&sel->cipher));
	if (sel->proto == IKE_PROTO_IKE)
		add_xf(pr, IKE_XF_PRF, sel->prf, 0);
	if (sel->cipher.integ)
		add_xf(pr, IKE_XF_INTEG, sel->cipher.integ, 0);
	if (sel->dh)
		add_xf(pr, IKE_XF_DH, sel->dh, 0);
	if (sel->proto == IKE_PROTO_ESP)
		add_xf(pr, IKE_XF_ESN, sel->esn ? 1 : 0, 0);
}

static bool
cfg_has_encr(const struct ike_proposal_cfg *c, const struct ike_xform *xf)
{
	uint8_t i;

	for (i = 0; i < c->n_encr; i++) {
		if (c->encr[i].encr != xf->id)
			continue;
		if (xf->id == IKE_ENCR_CHACHA20_POLY1305 &&
		    (xf->key_bits == 0 || xf->key_bits == 256))
			return true;
		if (c->encr[i].key_bits == xf->key_bits)
			return true;
	}
	return false;
}

static bool
list_has(const uint16_t *l, uint8_t n, uint16_t id)
{
	uint8_t i;

	for (i = 0; i < n; i++)
		if (l[i] == id)
			return true;
	return false;
}

/* Tries one configured proposal against one offered proposal. */
static bool
match(const struct ike_proposal_cfg *c, const struct ike_proposal *pr,
      enum ike_dh_mode dhm, struct ike_sel *sel)
{
	bool got_e = false, got_i = false, got_p = false, got_d = false;
	bool seen_i = false, seen_d = false, got_esn = false;
	bool esn_no = false, esn_yes = false;
	uint8_t k;

	memset(sel, 0, sizeof(*sel));
	for (k = 0; k < pr->n_xforms; k++) {
		const struct ike_xform *xf = &pr->xf[k];

		switch (xf->type) {
		case IKE_XF_ENCR:
			if (!got_e && cfg_has_encr(c, xf)) {
				got_e = true;
				sel->cipher.encr = xf->id;
				sel->cipher.key_bits =
					xf->key_bits ? xf->key_bits : 256;
			}
			break;
		case IKE_XF_INTEG:
			seen_i = true;
			if (!got_i &&
			    (list_has(c->integ, c->n_integ, xf->id) ||
			     (c->n_integ == 0 && xf->id == IKE_INTEG_NONE))) {
				got_i = true;
				sel->cipher.integ = xf->id;
			}
			break;
		case IKE_XF_PRF:
			if (!got_p && list_has(c->prf, c->n_prf, xf->id)) {
				got_p = true;
				sel->prf = xf->id;
			}
			break;
		case IKE_XF_DH:
			if (dhm == IKE_DHM_IGNORE)
				break;
			seen_d = true;
			if (got_d)
				break;
			if (xf->id == IKE_DH_NONE && c->n_dh == 0 &&
			    dhm == IKE_DHM_CFG) {
				got_d = true;
				sel->dh = 0;
			} else if (list_has(c->dh, c->n_dh, xf->id)) {
				got_d = true;
				sel->dh = xf->id;
			}
			break;
		case IKE_XF_ESN:
			got_esn = true;
			if (xf->id == 0)
				esn_no = true;
			else if (xf->id == 1)
				esn_yes = true;
			break;
		default:
			/* Unknown transform type: the proposal cannot be
			 * accepted (section 3.3.6). */
			return false;
		}
	}
	if (!got_e)
		return false;
	if (ike_cipher_is_aead(&sel->cipher)) {
		if (got_i && sel->cipher.integ != IKE_INTEG_NONE)
			return false;
		sel->cipher.integ = IKE_INTEG_NONE;
	} else if (!got_i || (seen_i && sel->cipher.integ == IKE_INTEG_NONE)) {
		return false;
	}
	if (!ike_cipher_valid(&sel->cipher))
		return false;
	if (pr->proto == IKE_PROTO_IKE) {
		if (!got_p || !got_d || sel->dh == 0)
			return false;
	} else {
		if (dhm == IKE_DHM_CFG && c->n_dh && !got_d)
			return false; /* PFS required by policy */
		if (seen_d && !got_d)
			return false;
		if (got_esn && !esn_no && !esn_yes)
			return false;
		sel->esn = got_esn && !esn_no;
	}
	sel->num = pr->num;
	sel->proto = pr->proto;
	sel->spi_len = pr->spi_len;
	memcpy(sel->spi, pr->spi, pr->spi_len);
	return true;
}

int
ike_conf_select(const struct ike_proposal_cfg *cfg, uint8_t n,
		const struct ike_sa_pl *offer, uint8_t proto,
		enum ike_dh_mode dhm, struct ike_sel *sel)
{
	uint8_t i, j;

	for (i = 0; i < offer->n_props; i++) {
		const struct ike_proposal *pr = &offer->props[i];

		if (pr->proto != proto)
			continue;
		if (proto == IKE_PROTO_ESP && pr->spi_len != 4)
			continue;
		for (j = 0; j < n; j++)
			if (match(&cfg[j], pr, dhm, sel))
				return 0;
	}
	return -ENOENT;
}

/* Traffic selectors. */

static size_t
ts_alen(const struct ike_ts *t)
{
	return t->type == IKE_TS_IPV6 ? 16 : 4;
}

void
ike_conf_cidrs_ts(const struct ike_cidr *c, uint8_t n, struct ike_ts_pl *out)
{
	uint8_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n && i < IKE_MAX_TS; i++) {
		struct ike_ts *t = &out->ts[i];
		size_t alen = c[i].family == AF_INET6 ? 16 : 4, b;

		t->type = c[i].family == AF_INET6 ? IKE_TS_IPV6 : IKE_TS_IPV4;
		t->ip_proto = 0;
		t->port_lo = 0;
		t->port_hi = 0xffff;
		for (b = 0; b < alen; b++) {
			int bits = (int)c[i].prefix - 8 * (int)b;
			uint8_t mask = bits >= 8 ? 0xff
				       : bits <= 0
					       ? 0
					       : (uint8_t)(0xff << (8 - bits));

			t->start[b] = c[i].ip[b] & mask;
			t->end[b] = (uint8_t)(c[i].ip[b] | ~mask);
		}
		out->n_ts++;
	}
}

static bool
ts_intersect(const struct ike_ts *a, const struct ike_ts *b, struct ike_ts *out)
{
	size_t alen = ts_alen(a);

	if (a->type != b->type)
		return false;
	if (a->ip_proto && b->ip_proto && a->ip_proto != b->ip_proto)
		return false;
	*out = *a;
	out->ip_proto = a->ip_proto ? a->ip_proto : b->ip_proto;
	out->port_lo = a->port_lo > b->port_lo ? a->port_lo : b->port_lo;
	out->port_hi = a->port_hi < b->port_hi ? a->port_hi : b->port_hi;
	if (out->port_lo > out->port_hi)
		return false;
	memcpy(out->start,
	       memcmp(a->start, b->start, alen) > 0 ? a->start : b->start,
	       alen);
	memcpy(out->end, memcmp(a->end, b->end, alen) < 0 ? a->end : b->end,
	       alen);
	return memcmp(out->start, out->end, alen) <= 0;
}

int
ike_conf_narrow(const struct ike_ts_pl *offer, const struct ike_ts_pl *allowed,
		struct ike_ts_pl *out)
{
	uint8_t i, j;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < offer->n_ts; i++)
		for (j = 0; j < allowed->n_ts && out->n_ts < IKE_MAX_TS; j++)
			if (ts_intersect(&offer->ts[i], &allowed->ts[j],
					 &out->ts[out->n_ts]))
				out->n_ts++;
	return out->n_ts ? 0 : -ENOENT;
}

bool
ike_conf_ts_subset(const struct ike_ts_pl *got, const struct ike_ts_pl *allowed)
{
	uint8_t i, j;

	if (got->n_ts == 0)
		return false;
	for (i = 0; i < got->n_ts; i++) {
		bool ok = false;

		for (j = 0; j < allowed->n_ts && !ok; j++) {
			struct ike_ts x;

			ok = ts_intersect(&got->ts[i], &allowed->ts[j], &x) &&
			     !memcmp(&x, &got->ts[i], sizeof(x));
		}
		if (!ok)
			return false;
	}
	return true;
}
