/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ike_msg.c: the IKEv2 message codec declared in ike_msg.h (RFC 7296
 * section 3). The decoder walks the payload chain with a cursor that is
 * checked against the end of the buffer before every read; the encoder
 * writes into a caller buffer with the same discipline. ike_sa.c is the only
 * user besides the tests and the fuzzer.
 */
#include <errno.h>
#include <string.h>

#include "ike_msg.h"

static const char *const err_names[IKE_ERR__COUNT] = {
	[IKE_ERR_OK] = "ok",
	[IKE_ERR_TRUNCATED] = "truncated",
	[IKE_ERR_BAD_LENGTH] = "bad-length",
	[IKE_ERR_BAD_VERSION] = "bad-version",
	[IKE_ERR_BAD_PAYLOAD_LENGTH] = "bad-payload-length",
	[IKE_ERR_UNSUPPORTED_CRITICAL] = "unsupported-critical-payload",
	[IKE_ERR_TOO_MANY] = "too-many-items",
	[IKE_ERR_BAD_PROPOSAL] = "bad-proposal",
	[IKE_ERR_BAD_TS] = "bad-traffic-selector",
	[IKE_ERR_BAD_NOTIFY] = "bad-notify",
	[IKE_ERR_DUPLICATE_PAYLOAD] = "duplicate-payload",
	[IKE_ERR_SK_NOT_LAST] = "sk-not-last",
	[IKE_ERR_BAD_SPI] = "bad-spi",
	[IKE_ERR_UNKNOWN_EXCHANGE] = "unknown-exchange",
	[IKE_ERR_DECRYPT] = "decrypt-failed",
	[IKE_ERR_MISSING_PAYLOAD] = "missing-payload",
	[IKE_ERR_NO_SA] = "no-sa",
	[IKE_ERR_BAD_MSG_ID] = "bad-message-id",
	[IKE_ERR_NOT_IKE] = "not-ike",
};

const char *
ike_msg_err_name(enum ike_msg_err err)
{
	if ((unsigned)err >= IKE_ERR__COUNT)
		return "unknown";
	return err_names[err];
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, v & 0xffffffff);
}

/* Decoding. */

static enum ike_msg_err
decode_xform(const uint8_t *p, size_t len, struct ike_xform *xf)
{
	size_t off = 8;

	/* Transform: last(1) rsv(1) len(2) type(1) rsv(1) id(2) attrs. */
	xf->type = p[4];
	xf->id = get16(p + 6);
	xf->key_bits = 0;
	while (off < len) {
		uint16_t at;

		if (len - off < 4)
			return IKE_ERR_BAD_PROPOSAL;
		at = get16(p + off);
		if (at & 0x8000) {
			if ((at & 0x7fff) == IKE_ATTR_KEY_LENGTH)
				xf->key_bits = get16(p + off + 2);
			off += 4;
		} else {
			uint16_t alen = get16(p + off + 2);

			/* TLV attributes are not defined for IKEv2
			 * transforms we know; skip after checking. */
			if (len - off - 4 < alen)
				return IKE_ERR_BAD_PROPOSAL;
			off += 4 + (size_t)alen;
		}
	}
	return IKE_ERR_OK;
}

static enum ike_msg_err
decode_proposal(const uint8_t *p, size_t len, struct ike_proposal *pr)
{
	size_t off;
	uint8_t n, i;

	/* last(1) rsv(1) len(2) num(1) proto(1) spisize(1) ntrans(1) spi */
	if (len < 8)
		return IKE_ERR_BAD_PROPOSAL;
	pr->num = p[4];
	pr->proto = p[5];
	pr->spi_len = p[6];
	n = p[7];
	if (pr->spi_len > IKE_MAX_SPI || 8u + pr->spi_len > len)
		return IKE_ERR_BAD_PROPOSAL;
	memcpy(pr->spi, p + 8, pr->spi_len);
	if (n > IKE_MAX_XFORMS)
		return IKE_ERR_TOO_MANY;
	off = 8 + pr->spi_len;
	for (i = 0; i < n; i++) {
		uint16_t tlen;
		uint8_t last;
		enum ike_msg_err err;

		if (len - off < 8)
			return IKE_ERR_BAD_PROPOSAL;
		last = p[off];
		tlen = get16(p + off + 2);
		if (tlen < 8 || tlen > len - off)
			return IKE_ERR_BAD_PROPOSAL;
		if ((last == 0) != (i + 1 == n))
			return IKE_ERR_BAD_PROPOSAL;
		if (last != 0 && last != 3)
			return IKE_ERR_BAD_PROPOSAL;
		err = decode_xform(p + off, tlen, &pr->xf[i]);
		if (err)
			return err;
		off += tlen;
	}
	if (off != len)
		return IKE_ERR_BAD_PROPOSAL;
	pr->n_xforms = n;
	return IKE_ERR_OK;
}

static enum ike_msg_err
decode_sa(const uint8_t *p, size_t len, struct ike_sa_pl *sa)
{
	size_t off = 0;

	sa->n_props = 0;
	while (off < len) {
		uint16_t plen;
		uint8_t last;
		enum ike_msg_err err;

		if (len - off < 8)
			return IKE_ERR_BAD_PROPOSAL;
		if (sa->n_props == IKE_MAX_PROPOSALS)
			return IKE_ERR_TOO_MANY;
		last = p[off];
		plen = get16(p + off + 2);
		if (plen < 8 || plen > len - off)
			return IKE_ERR_BAD_PROPOSAL;
		if (last != 0 && last != 2)
			return IKE_ERR_BAD_PROPOSAL;
		err = decode_proposal(p + off, plen, &sa->props[sa->n_props]);
		if (err)
			return err;
		sa->n_props++;
		off += plen;
		if (last == 0 && off != len)
			return IKE_ERR_BAD_PROPOSAL;
		if (last == 2 && off == len)
			return IKE_ERR_BAD_PROPOSAL;
	}
	if (sa->n_props == 0)
		return IKE_ERR_BAD_PROPOSAL;
	return IKE_ERR_OK;
}

static enum ike_msg_err
decode_ts(const uint8_t *p, size_t len, struct ike_ts_pl *tp)
{
	size_t off = 4;
	uint8_t n, i;

	/* n(1) rsv(3) then selectors */
	if (len < 4)
		return IKE_ERR_BAD_TS;
	n = p[0];
	if (n == 0)
		return IKE_ERR_BAD_TS;
	if (n > IKE_MAX_TS)
		return IKE_ERR_TOO_MANY;
	for (i = 0; i < n && i < IKE_MAX_TS; i++) {
		struct ike_ts ts;
		uint16_t slen;
		size_t alen;

		if (len - off < 8)
			return IKE_ERR_BAD_TS;
		memset(&ts, 0, sizeof(ts));
		ts.type = p[off];
		ts.ip_proto = p[off + 1];
		slen = get16(p + off + 2);
		if (ts.type == IKE_TS_IPV4)
			alen = 4;
		else if (ts.type == IKE_TS_IPV6)
			alen = 16;
		else
			return IKE_ERR_BAD_TS;
		if (slen != 8 + 2 * alen || slen > len - off)
			return IKE_ERR_BAD_TS;
		ts.port_lo = get16(p + off + 4);
		ts.port_hi = get16(p + off + 6);
		memcpy(ts.start, p + off + 8, alen);
		memcpy(ts.end, p + off + 8 + alen, alen);
		tp->ts[i] = ts;
		off += slen;
	}
	if (off != len)
		return IKE_ERR_BAD_TS;
	tp->n_ts = n;
	return IKE_ERR_OK;
}

static enum ike_msg_err
decode_notify(const uint8_t *p, size_t len, struct ike_msg *m)
{
	struct ike_notify *n;

	/* proto(1) spisize(1) type(2) spi data */
	if (len < 4)
		return IKE_ERR_BAD_NOTIFY;
	if (m->n_notify == IKE_MAX_NOTIFY)
		return IKE_ERR_TOO_MANY;
	n = &m->notify[m->n_notify];
	n->proto = p[0];
	n->spi_len = p[1];
	n->type = get16(p + 2);
	if (n->spi_len > IKE_MAX_SPI || 4u + n->spi_len > len)
		return IKE_ERR_BAD_NOTIFY;
	memcpy(n->spi, p + 4, n->spi_len);
	n->data = p + 4 + n->spi_len;
	n->data_len = (uint16_t)(len - 4 - n->spi_len);
	m->n_notify++;
	return IKE_ERR_OK;
}

static enum ike_msg_err
decode_delete(const uint8_t *p, size_t len, struct ike_msg *m)
{
	struct ike_delete *d;
	uint16_t i;

	/* proto(1) spisize(1) nspi(2) spis */
	if (len < 4)
		return IKE_ERR_BAD_NOTIFY;
	if (m->n_delete == 4)
		return IKE_ERR_TOO_MANY;
	d = &m->del[m->n_delete];
	d->proto = p[0];
	d->spi_len = p[1];
	d->n_spi = get16(p + 2);
	if (d->proto == IKE_PROTO_IKE) {
		if (d->spi_len != 0 || d->n_spi != 0 || len != 4)
			return IKE_ERR_BAD_NOTIFY;
	} else {
		if (d->spi_len != 4)
			return IKE_ERR_BAD_NOTIFY;
		if (d->n_spi > IKE_MAX_DELETE_SPI)
			return IKE_ERR_TOO_MANY;
		if (len != 4u + 4u * d->n_spi)
			return IKE_ERR_BAD_NOTIFY;
		for (i = 0; i < d->n_spi; i++)
			d->spi[i] = get32(p + 4 + 4 * i);
	}
	m->n_delete++;
	return IKE_ERR_OK;
}

static enum ike_msg_err
decode_id(const uint8_t *p, size_t len, struct ike_id *id)
{
	if (len < 4 || len - 4 > sizeof(id->data))
		return IKE_ERR_BAD_PAYLOAD_LENGTH;
	id->type = p[0];
	id->len = (uint8_t)(len - 4);
	memcpy(id->data, p + 4, id->len);
	return IKE_ERR_OK;
}

static enum ike_msg_err
decode_blob(const uint8_t *p, size_t len, struct ike_blob *b)
{
	if (len > UINT16_MAX)
		return IKE_ERR_BAD_PAYLOAD_LENGTH;
	b->data = p;
	b->len = (uint16_t)len;
	return IKE_ERR_OK;
}

static bool
once_only(uint8_t type)
{
	switch (type) {
	case IKE_PL_SA:
	case IKE_PL_KE:
	case IKE_PL_IDI:
	case IKE_PL_IDR:
	case IKE_PL_AUTH:
	case IKE_PL_NONCE:
	case IKE_PL_TSI:
	case IKE_PL_TSR:
	case IKE_PL_SK:
		return true;
	default:
		return false;
	}
}

/* Decodes the body of one payload of a known type. */
static enum ike_msg_err
decode_body(uint8_t type, const uint8_t *p, size_t len, struct ike_msg *m)
{
	switch (type) {
	case IKE_PL_SA:
		return decode_sa(p, len, &m->sa);
	case IKE_PL_KE:
		if (len < 4)
			return IKE_ERR_BAD_PAYLOAD_LENGTH;
		m->ke_group = get16(p);
		return decode_blob(p + 4, len - 4, &m->ke);
	case IKE_PL_NONCE:
		/* Section 3.9: 16 to 256 octets. */
		if (len < 16 || len > 256)
			return IKE_ERR_BAD_PAYLOAD_LENGTH;
		return decode_blob(p, len, &m->nonce);
	case IKE_PL_IDI:
		return decode_id(p, len, &m->idi);
	case IKE_PL_IDR:
		return decode_id(p, len, &m->idr);
	case IKE_PL_AUTH:
		if (len < 4)
			return IKE_ERR_BAD_PAYLOAD_LENGTH;
		m->auth_method = p[0];
		return decode_blob(p + 4, len - 4, &m->auth);
	case IKE_PL_TSI:
		return decode_ts(p, len, &m->tsi);
	case IKE_PL_TSR:
		return decode_ts(p, len, &m->tsr);
	case IKE_PL_NOTIFY:
		return decode_notify(p, len, m);
	case IKE_PL_DELETE:
		return decode_delete(p, len, m);
	case IKE_PL_VENDOR:
		if (m->n_vendor < 4)
			decode_blob(p, len, &m->vendor[m->n_vendor++]);
		return IKE_ERR_OK;
	default:
		/* CERT, CERTREQ, CP, EAP: known, ignored. */
		return IKE_ERR_OK;
	}
}

static bool
known_payload(uint8_t type)
{
	return (type >= IKE_PL_SA && type <= IKE_PL_EAP) || type == IKE_PL_SKF;
}

enum ike_msg_err
ike_msg_decode_payloads(uint8_t first, const uint8_t *buf, size_t len,
			struct ike_msg *m)
{
	uint8_t type = first;
	size_t off = 0;

	while (type != IKE_PL_NONE) {
		uint8_t next, crit;
		uint16_t plen;
		enum ike_msg_err err;

		if (len - off < IKE_GEN_HDR_LEN)
			return IKE_ERR_TRUNCATED;
		next = buf[off];
		crit = buf[off + 1] & 0x80;
		plen = get16(buf + off + 2);
		if (plen < IKE_GEN_HDR_LEN)
			return IKE_ERR_BAD_PAYLOAD_LENGTH;
		if (plen > len - off)
			return IKE_ERR_TRUNCATED;
		if (type == IKE_PL_SK) {
			if (next == IKE_PL_NONE && plen != len - off)
				return IKE_ERR_SK_NOT_LAST;
			if (plen != len - off)
				return IKE_ERR_SK_NOT_LAST;
			if (m->present & IKE_HAS(IKE_PL_SK))
				return IKE_ERR_DUPLICATE_PAYLOAD;
			m->present |= IKE_HAS(IKE_PL_SK);
			m->sk_off = (uint32_t)off;
			m->sk_len = plen;
			m->sk_next = next;
			return IKE_ERR_OK;
		}
		if (!known_payload(type)) {
			/* Section 2.5: skip unknown non-critical payloads;
			 * refuse the message for unknown critical ones. */
			if (crit)
				return IKE_ERR_UNSUPPORTED_CRITICAL;
		} else if (type == IKE_PL_SKF) {
			/* Fragments are not negotiated (we never send
			 * IKEV2_FRAGMENTATION_SUPPORTED). */
			return IKE_ERR_UNSUPPORTED_CRITICAL;
		} else {
			if (once_only(type) && (m->present & IKE_HAS(type)))
				return IKE_ERR_DUPLICATE_PAYLOAD;
			err = decode_body(type, buf + off + 4, plen - 4u, m);
			if (err)
				return err;
			m->present |= IKE_HAS(type);
		}
		off += plen;
		type = next;
	}
	if (off != len)
		return IKE_ERR_BAD_PAYLOAD_LENGTH;
	return IKE_ERR_OK;
}

enum ike_msg_err
ike_msg_decode(const uint8_t *buf, size_t len, struct ike_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (len < IKE_HDR_LEN)
		return IKE_ERR_TRUNCATED;
	m->spi_i = get64(buf);
	m->spi_r = get64(buf + 8);
	m->next_payload = buf[16];
	m->version = buf[17];
	m->exchange = buf[18];
	m->flags = buf[19];
	m->msg_id = get32(buf + 20);
	m->length = get32(buf + 24);
	if ((m->version >> 4) != 2)
		return IKE_ERR_BAD_VERSION;
	if (m->length != len || len > IKE_MSG_MAX)
		return IKE_ERR_BAD_LENGTH;
	if (m->exchange < IKE_EXCH_SA_INIT ||
	    m->exchange > IKE_EXCH_INFORMATIONAL)
		return IKE_ERR_UNKNOWN_EXCHANGE;
	if (m->spi_i == 0)
		return IKE_ERR_BAD_SPI;
	return ike_msg_decode_payloads(m->next_payload, buf + IKE_HDR_LEN,
				       len - IKE_HDR_LEN, m);
}

/* Encoding. */

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	size_t np_off; /* where the previous next-payload byte is */
	bool has_prev;
	uint8_t first;
	bool overflow;
};

static uint8_t *
wb_take(struct wbuf *w, size_t n)
{
	uint8_t *r;

	if (w->overflow || w->cap - w->len < n) {
		w->overflow = true;
		return NULL;
	}
	r = w->p + w->len;
	w->len += n;
	return r;
}

/* Starts a payload: chains the previous next-payload field to 'type'. */
static size_t
wb_begin(struct wbuf *w, uint8_t type)
{
	size_t start = w->len;
	uint8_t *h = wb_take(w, IKE_GEN_HDR_LEN);

	if (!h)
		return start;
	if (w->has_prev)
		w->p[w->np_off] = type;
	else
		w->first = type;
	w->has_prev = true;
	w->np_off = start;
	h[0] = IKE_PL_NONE;
	h[1] = 0;
	return start;
}

static void
wb_end(struct wbuf *w, size_t start)
{
	if (w->overflow)
		return;
	put16(w->p + start + 2, (uint16_t)(w->len - start));
}

static void
wb_bytes(struct wbuf *w, const void *d, size_t n)
{
	uint8_t *q = wb_take(w, n);

	if (q && n)
		memcpy(q, d, n);
}

static void
wb_u8(struct wbuf *w, uint8_t v)
{
	wb_bytes(w, &v, 1);
}

static void
wb_u16(struct wbuf *w, uint16_t v)
{
	uint8_t b[2];

	put16(b, v);
	wb_bytes(w, b, 2);
}

static void
wb_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	wb_bytes(w, b, 4);
}

static void
enc_sa(struct wbuf *w, const struct ike_sa_pl *sa)
{
	size_t start = wb_begin(w, IKE_PL_SA);
	uint8_t i, j;

	for (i = 0; i < sa->n_props; i++) {
		const struct ike_proposal *pr = &sa->props[i];
		size_t ps = w->len;

		wb_u8(w, i + 1 == sa->n_props ? 0 : 2);
		wb_u8(w, 0);
		wb_u16(w, 0);
		wb_u8(w, pr->num);
		wb_u8(w, pr->proto);
		wb_u8(w, pr->spi_len);
		wb_u8(w, pr->n_xforms);
		wb_bytes(w, pr->spi, pr->spi_len);
		for (j = 0; j < pr->n_xforms; j++) {
			const struct ike_xform *xf = &pr->xf[j];

			wb_u8(w, j + 1 == pr->n_xforms ? 0 : 3);
			wb_u8(w, 0);
			wb_u16(w, xf->key_bits ? 12 : 8);
			wb_u8(w, xf->type);
			wb_u8(w, 0);
			wb_u16(w, xf->id);
			if (xf->key_bits) {
				wb_u16(w, 0x8000 | IKE_ATTR_KEY_LENGTH);
				wb_u16(w, xf->key_bits);
			}
		}
		if (!w->overflow)
			put16(w->p + ps + 2, (uint16_t)(w->len - ps));
	}
	wb_end(w, start);
}

static void
enc_ts(struct wbuf *w, uint8_t type, const struct ike_ts_pl *tp)
{
	size_t start = wb_begin(w, type);
	uint8_t i;

	wb_u8(w, tp->n_ts);
	wb_u8(w, 0);
	wb_u16(w, 0);
	for (i = 0; i < tp->n_ts; i++) {
		const struct ike_ts *ts = &tp->ts[i];
		size_t alen = ts->type == IKE_TS_IPV6 ? 16 : 4;

		wb_u8(w, ts->type);
		wb_u8(w, ts->ip_proto);
		wb_u16(w, (uint16_t)(8 + 2 * alen));
		wb_u16(w, ts->port_lo);
		wb_u16(w, ts->port_hi);
		wb_bytes(w, ts->start, alen);
		wb_bytes(w, ts->end, alen);
	}
	wb_end(w, start);
}

static void
enc_notify(struct wbuf *w, const struct ike_notify *n)
{
	size_t start = wb_begin(w, IKE_PL_NOTIFY);

	wb_u8(w, n->proto);
	wb_u8(w, n->spi_len);
	wb_u16(w, n->type);
	wb_bytes(w, n->spi, n->spi_len);
	wb_bytes(w, n->data, n->data_len);
	wb_end(w, start);
}

static void
enc_id(struct wbuf *w, uint8_t type, const struct ike_id *id)
{
	size_t start = wb_begin(w, type);

	wb_u8(w, id->type);
	wb_u8(w, 0);
	wb_u16(w, 0);
	wb_bytes(w, id->data, id->len);
	wb_end(w, start);
}

static void
enc_blob(struct wbuf *w, uint8_t type, const struct ike_blob *b)
{
	size_t start = wb_begin(w, type);

	wb_bytes(w, b->data, b->len);
	wb_end(w, start);
}

static bool
notify_first(uint16_t type)
{
	return type == IKE_N_COOKIE || type == IKE_N_REKEY_SA;
}

int
ike_msg_encode_payloads(const struct ike_msg *m, uint8_t *out, size_t cap,
			size_t *len, uint8_t *first)
{
	struct wbuf w = {.p = out, .cap = cap, .first = IKE_PL_NONE};
	uint8_t i, j;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < m->n_notify; i++)
			if (notify_first(m->notify[i].type) == (pass == 0))
				enc_notify(&w, &m->notify[i]);
	if (m->present & IKE_HAS(IKE_PL_SA))
		enc_sa(&w, &m->sa);
	if (m->present & IKE_HAS(IKE_PL_KE)) {
		size_t s = wb_begin(&w, IKE_PL_KE);

		wb_u16(&w, m->ke_group);
		wb_u16(&w, 0);
		wb_bytes(&w, m->ke.data, m->ke.len);
		wb_end(&w, s);
	}
	if (m->present & IKE_HAS(IKE_PL_NONCE))
		enc_blob(&w, IKE_PL_NONCE, &m->nonce);
	if (m->present & IKE_HAS(IKE_PL_IDI))
		enc_id(&w, IKE_PL_IDI, &m->idi);
	if (m->present & IKE_HAS(IKE_PL_IDR))
		enc_id(&w, IKE_PL_IDR, &m->idr);
	if (m->present & IKE_HAS(IKE_PL_AUTH)) {
		size_t s = wb_begin(&w, IKE_PL_AUTH);

		wb_u8(&w, m->auth_method);
		wb_u8(&w, 0);
		wb_u16(&w, 0);
		wb_bytes(&w, m->auth.data, m->auth.len);
		wb_end(&w, s);
	}
	if (m->present & IKE_HAS(IKE_PL_TSI))
		enc_ts(&w, IKE_PL_TSI, &m->tsi);
	if (m->present & IKE_HAS(IKE_PL_TSR))
		enc_ts(&w, IKE_PL_TSR, &m->tsr);
	for (i = 0; i < m->n_delete; i++) {
		const struct ike_delete *d = &m->del[i];
		size_t s = wb_begin(&w, IKE_PL_DELETE);

		wb_u8(&w, d->proto);
		wb_u8(&w, d->proto == IKE_PROTO_IKE ? 0 : 4);
		wb_u16(&w, d->proto == IKE_PROTO_IKE ? 0 : d->n_spi);
		if (d->proto != IKE_PROTO_IKE)
			for (j = 0; j < d->n_spi && j < IKE_MAX_DELETE_SPI; j++)
				wb_u32(&w, d->spi[j]);
		wb_end(&w, s);
	}
	for (i = 0; i < m->n_vendor; i++)
		enc_blob(&w, IKE_PL_VENDOR, &m->vendor[i]);
	if (w.overflow)
		return -ENOSPC;
	*len = w.len;
	*first = w.first;
	return 0;
}

void
ike_msg_encode_header(const struct ike_msg *m, uint8_t *out)
{
	put64(out, m->spi_i);
	put64(out + 8, m->spi_r);
	out[16] = m->next_payload;
	out[17] = 0x20;
	out[18] = m->exchange;
	out[19] = m->flags;
	put32(out + 20, m->msg_id);
	put32(out + 24, m->length);
}

int
ike_msg_encode(struct ike_msg *m, uint8_t *out, size_t cap, size_t *len)
{
	size_t plen;
	int rc;

	if (cap < IKE_HDR_LEN)
		return -ENOSPC;
	rc = ike_msg_encode_payloads(m, out + IKE_HDR_LEN, cap - IKE_HDR_LEN,
				     &plen, &m->next_payload);
	if (rc)
		return rc;
	m->length = (uint32_t)(IKE_HDR_LEN + plen);
	ike_msg_encode_header(m, out);
	*len = m->length;
	return 0;
}

int
ike_msg_add_notify(struct ike_msg *m, uint8_t proto, uint16_t type,
		   const uint8_t *data, uint16_t data_len)
{
	struct ike_notify *n;

	if (m->n_notify == IKE_MAX_NOTIFY)
		return -ENOSPC;
	n = &m->notify[m->n_notify++];
	memset(n, 0, sizeof(*n));
	n->proto = proto;
	n->type = type;
	n->data = data;
	n->data_len = data_len;
	m->present |= IKE_HAS(IKE_PL_NOTIFY);
	return 0;
}

const struct ike_notify *
ike_msg_find_notify(const struct ike_msg *m, uint16_t type)
{
	uint8_t i;

	for (i = 0; i < m->n_notify; i++)
		if (m->notify[i].type == type)
			return &m->notify[i];
	return NULL;
}
