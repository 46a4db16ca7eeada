/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ike_msg_test.c: the IKEv2 codec: a message with every payload type
 * survives encode/decode unchanged; each malformation is refused with its
 * own reason; every truncation and single-byte corruption of a valid
 * message is handled without reading outside the buffer (ASan build).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ike_msg.h"

static const uint8_t ke_data[64] = {1, 2, 3, 4, 5};
static const uint8_t nonce[32] = {9, 8, 7};
static const uint8_t authv[32] = {0xaa, 0xbb};
static const uint8_t natd[20] = {0x42};
static const uint8_t vid[16] = {'v', 'i', 'd'};

static void
full_msg(struct ike_msg *m)
{
	struct ike_proposal *p;

	memset(m, 0, sizeof(*m));
	m->spi_i = 0x0102030405060708ull;
	m->spi_r = 0x1112131415161718ull;
	m->exchange = IKE_EXCH_AUTH;
	m->flags = IKE_FLAG_INITIATOR;
	m->msg_id = 7;
	m->present = IKE_HAS(IKE_PL_SA) | IKE_HAS(IKE_PL_KE) |
		     IKE_HAS(IKE_PL_NONCE) | IKE_HAS(IKE_PL_IDI) |
		     IKE_HAS(IKE_PL_IDR) | IKE_HAS(IKE_PL_AUTH) |
		     IKE_HAS(IKE_PL_TSI) | IKE_HAS(IKE_PL_TSR);
	m->sa.n_props = 2;
	p = &m->sa.props[0];
	p->num = 1;
	p->proto = IKE_PROTO_ESP;
	p->spi_len = 4;
	memcpy(p->spi, "\xc0\x01\xd0\x0d", 4);
	p->n_xforms = 3;
	p->xf[0] = (struct ike_xform){IKE_XF_ENCR, IKE_ENCR_AES_GCM_16, 256};
	p->xf[1] = (struct ike_xform){IKE_XF_DH, IKE_DH_ECP256, 0};
	p->xf[2] = (struct ike_xform){IKE_XF_ESN, 0, 0};
	p = &m->sa.props[1];
	p->num = 2;
	p->proto = IKE_PROTO_ESP;
	p->spi_len = 4;
	memcpy(p->spi, "\xc0\x01\xd0\x0e", 4);
	p->n_xforms = 2;
	p->xf[0] = (struct ike_xform){IKE_XF_ENCR, IKE_ENCR_AES_CBC, 128};
	p->xf[1] = (struct ike_xform){IKE_XF_INTEG, IKE_INTEG_HMAC_SHA2_256_128,
				      0};
	m->ke_group = IKE_DH_ECP256;
	m->ke.data = ke_data;
	m->ke.len = sizeof(ke_data);
	m->nonce.data = nonce;
	m->nonce.len = sizeof(nonce);
	m->idi = (struct ike_id){IKE_ID_IPV4_ADDR, 4, {10, 0, 0, 1}};
	m->idr = (struct ike_id){IKE_ID_FQDN, 11, "example.net"};
	m->auth_method = IKE_AUTH_PSK;
	m->auth.data = authv;
	m->auth.len = sizeof(authv);
	m->tsi.n_ts = 2;
	m->tsi.ts[0] = (struct ike_ts){
		IKE_TS_IPV4, 0, 0, 65535, {10, 1, 0, 0}, {10, 1, 0, 255}};
	m->tsi.ts[1] = (struct ike_ts){IKE_TS_IPV6,
				       6,
				       80,
				       80,
				       {0x20, 0x01, 0x0d, 0xb8},
				       {0x20, 0x01, 0x0d, 0xb8, 0xff}};
	m->tsr.n_ts = 1;
	m->tsr.ts[0] = (struct ike_ts){
		IKE_TS_IPV4, 17, 500, 4500, {10, 2, 0, 0}, {10, 2, 255, 255}};
	ike_msg_add_notify(m, 0, IKE_N_NAT_DETECTION_SOURCE_IP, natd, 20);
	ike_msg_add_notify(m, IKE_PROTO_ESP, IKE_N_REKEY_SA, NULL, 0);
	m->notify[1].spi_len = 4;
	memcpy(m->notify[1].spi, "\x01\x02\x03\x04", 4);
	m->n_delete = 2;
	m->del[0] = (struct ike_delete){
		IKE_PROTO_ESP, 4, 2, {0xdeadbeef, 0x12345678}};
	m->del[1] = (struct ike_delete){IKE_PROTO_IKE, 0, 0, {0}};
	m->n_vendor = 1;
	m->vendor[0].data = vid;
	m->vendor[0].len = sizeof(vid);
}

static size_t
encode(struct ike_msg *m, uint8_t *buf, size_t cap)
{
	size_t len;

	assert_int_equal(ike_msg_encode(m, buf, cap, &len), 0);
	return len;
}

static void
test_roundtrip(void **state)
{
	struct ike_msg m, d;
	uint8_t buf[2048], buf2[2048];
	size_t len, len2;
	int i;

	(void)state;
	full_msg(&m);
	len = encode(&m, buf, sizeof(buf));
	assert_int_equal(ike_msg_decode(buf, len, &d), IKE_ERR_OK);
	assert_true(d.spi_i == m.spi_i && d.spi_r == m.spi_r);
	assert_int_equal(d.msg_id, 7);
	assert_int_equal(d.exchange, IKE_EXCH_AUTH);
	assert_int_equal(d.flags, IKE_FLAG_INITIATOR);
	assert_int_equal(d.length, len);
	assert_int_equal(d.sa.n_props, 2);
	assert_memory_equal(&d.sa.props[0], &m.sa.props[0],
			    sizeof(m.sa.props[0]));
	assert_memory_equal(&d.sa.props[1], &m.sa.props[1],
			    sizeof(m.sa.props[1]));
	assert_int_equal(d.ke_group, IKE_DH_ECP256);
	assert_int_equal(d.ke.len, sizeof(ke_data));
	assert_memory_equal(d.ke.data, ke_data, sizeof(ke_data));
	assert_memory_equal(d.nonce.data, nonce, sizeof(nonce));
	assert_memory_equal(&d.idi, &m.idi, sizeof(m.idi));
	assert_memory_equal(&d.idr, &m.idr, sizeof(m.idr));
	assert_int_equal(d.auth_method, IKE_AUTH_PSK);
	assert_memory_equal(d.auth.data, authv, sizeof(authv));
	assert_memory_equal(&d.tsi, &m.tsi, sizeof(m.tsi));
	assert_memory_equal(&d.tsr, &m.tsr, sizeof(m.tsr));
	assert_int_equal(d.n_notify, 2);
	/* COOKIE and REKEY_SA are encoded first. */
	assert_int_equal(d.notify[0].type, IKE_N_REKEY_SA);
	assert_int_equal(d.notify[0].spi_len, 4);
	assert_memory_equal(d.notify[0].spi, "\x01\x02\x03\x04", 4);
	assert_non_null(ike_msg_find_notify(&d, IKE_N_NAT_DETECTION_SOURCE_IP));
	assert_memory_equal(
		ike_msg_find_notify(&d, IKE_N_NAT_DETECTION_SOURCE_IP)->data,
		natd, 20);
	assert_null(ike_msg_find_notify(&d, IKE_N_COOKIE));
	assert_int_equal(d.n_delete, 2);
	assert_int_equal(d.del[0].n_spi, 2);
	assert_int_equal(d.del[0].spi[1], 0x12345678);
	assert_int_equal(d.del[1].proto, IKE_PROTO_IKE);
	assert_int_equal(d.n_vendor, 1);
	/* Re-encoding the decoded message gives the same bytes. */
	len2 = encode(&d, buf2, sizeof(buf2));
	assert_int_equal(len2, len);
	assert_memory_equal(buf, buf2, len);
	/* Too small a buffer: -ENOSPC at every size, no overflow. */
	for (i = 0; i < (int)len; i += 7)
		assert_int_not_equal(ike_msg_encode(&m, buf2, (size_t)i, &len2),
				     0);
}

/* A header followed by hand-made payloads. */
static size_t
raw(uint8_t *buf, uint8_t first, const uint8_t *pl, size_t pl_len)
{
	struct ike_msg m;

	memset(&m, 0, sizeof(m));
	m.spi_i = 1;
	m.exchange = IKE_EXCH_SA_INIT;
	m.next_payload = first;
	m.length = (uint32_t)(IKE_HDR_LEN + pl_len);
	ike_msg_encode_header(&m, buf);
	if (pl_len)
		memcpy(buf + IKE_HDR_LEN, pl, pl_len);
	return IKE_HDR_LEN + pl_len;
}

static enum ike_msg_err
dec_raw(uint8_t first, const uint8_t *pl, size_t pl_len)
{
	uint8_t buf[1024];
	struct ike_msg m;
	size_t n = raw(buf, first, pl, pl_len);

	return ike_msg_decode(buf, n, &m);
}

static void
test_header_errors(void **state)
{
	uint8_t buf[64];
	struct ike_msg m;
	size_t n;

	(void)state;
	n = raw(buf, 0, NULL, 0);
	assert_int_equal(ike_msg_decode(buf, n, &m), IKE_ERR_OK);
	assert_int_equal(ike_msg_decode(buf, 27, &m), IKE_ERR_TRUNCATED);
	buf[27] = 40; /* length field says more */
	assert_int_equal(ike_msg_decode(buf, n, &m), IKE_ERR_BAD_LENGTH);
	buf[27] = 28;
	buf[17] = 0x10; /* IKEv1 */
	assert_int_equal(ike_msg_decode(buf, n, &m), IKE_ERR_BAD_VERSION);
	buf[17] = 0x20;
	buf[18] = 99;
	assert_int_equal(ike_msg_decode(buf, n, &m), IKE_ERR_UNKNOWN_EXCHANGE);
	buf[18] = IKE_EXCH_SA_INIT;
	buf[7] = 0; /* SPIi zero */
	assert_int_equal(ike_msg_decode(buf, n, &m), IKE_ERR_BAD_SPI);
	assert_string_equal(ike_msg_err_name(IKE_ERR_UNSUPPORTED_CRITICAL),
			    "unsupported-critical-payload");
	for (n = 0; n < IKE_ERR__COUNT; n++)
		assert_non_null(ike_msg_err_name((enum ike_msg_err)n));
}

static void
test_payload_errors(void **state)
{
	/* Unknown payload 200: non-critical is skipped, critical refused. */
	const uint8_t unk[] = {0, 0x00, 0, 8, 1, 2, 3, 4};
	const uint8_t unk_c[] = {0, 0x80, 0, 8, 1, 2, 3, 4};
	const uint8_t short_len[] = {0, 0, 0, 3};
	const uint8_t long_len[] = {0, 0, 0, 40, 1, 2, 3, 4};
	const uint8_t trailing[] = {0, 0, 0, 4, 9, 9, 9, 9};
	uint8_t nonce8[12] = {0, 0, 0, 12};
	/* Two Nonce payloads of 16 bytes. */
	uint8_t dup[40] = {IKE_PL_NONCE, 0, 0, 20};
	/* SK followed by another payload. */
	const uint8_t sk_mid[] = {
		IKE_PL_NOTIFY, 0, 0, 8, 1, 2, 3, 4, 0, 0, 0, 8, 0, 0, 0, 16};
	/* TS: zero count; bad type; wrong selector length. */
	const uint8_t ts0[] = {0, 0, 0, 8, 0, 0, 0, 0};
	const uint8_t tsbad[] = {0, 0, 0,   24,	 1,  0, 0, 0, 9,  0, 0, 16,
				 0, 0, 255, 255, 10, 0, 0, 0, 10, 0, 0, 255};
	const uint8_t tslen[] = {0, 0, 0,   24,	 1,  0, 0, 0, 7,  0, 0, 17,
				 0, 0, 255, 255, 10, 0, 0, 0, 10, 0, 0, 255};
	/* Notify with an SPI size beyond the payload. */
	const uint8_t nbad[] = {0, 0, 0, 8, 3, 9, 64, 0};
	/* Delete of the IKE SA with an SPI size. */
	const uint8_t dbad[] = {0, 0, 0, 12, 1, 4, 0, 1, 1, 2, 3, 4};
	/* Delete ESP with a count that does not fit the length. */
	const uint8_t dcnt[] = {0, 0, 0, 12, 3, 4, 0, 2, 1, 2, 3, 4};
	/* SA: transform length overflowing the proposal. */
	const uint8_t sabad[] = {0, 0, 0, 20, 0, 0,  0, 16, 1, 1,
				 0, 1, 0, 0,  0, 12, 1, 0,  0, 20};
	/* SA: a proposal claiming 17 transforms. */
	const uint8_t samany[] = {0, 0,	 0, 20, 0, 0, 0, 16, 1, 1,
				  0, 17, 0, 0,	0, 8, 1, 0,  0, 20};
	/* SA: "more proposals" flag on the last one. */
	const uint8_t samore[] = {0, 0, 0, 20, 2, 0, 0, 16, 1, 1,
				  0, 1, 0, 0,  0, 8, 1, 0,  0, 20};
	/* A well-formed one-transform SA. */
	const uint8_t saok[] = {0, 0, 0, 20, 0, 0, 0, 16, 1, 1,
				0, 1, 0, 0,  0, 8, 1, 0,  0, 20};

	(void)state;
	assert_int_equal(dec_raw(200, unk, sizeof(unk)), IKE_ERR_OK);
	assert_int_equal(dec_raw(200, unk_c, sizeof(unk_c)),
			 IKE_ERR_UNSUPPORTED_CRITICAL);
	assert_int_equal(dec_raw(IKE_PL_NOTIFY, short_len, sizeof(short_len)),
			 IKE_ERR_BAD_PAYLOAD_LENGTH);
	assert_int_equal(dec_raw(IKE_PL_VENDOR, long_len, sizeof(long_len)),
			 IKE_ERR_TRUNCATED);
	assert_int_equal(dec_raw(IKE_PL_VENDOR, trailing, sizeof(trailing)),
			 IKE_ERR_BAD_PAYLOAD_LENGTH);
	assert_int_equal(dec_raw(IKE_PL_NONCE, nonce8, sizeof(nonce8)),
			 IKE_ERR_BAD_PAYLOAD_LENGTH);
	dup[23] = 20;
	assert_int_equal(dec_raw(IKE_PL_NONCE, dup, sizeof(dup)),
			 IKE_ERR_DUPLICATE_PAYLOAD);
	assert_int_equal(dec_raw(IKE_PL_SK, sk_mid, sizeof(sk_mid)),
			 IKE_ERR_SK_NOT_LAST);
	assert_int_equal(dec_raw(IKE_PL_TSI, ts0, sizeof(ts0)), IKE_ERR_BAD_TS);
	assert_int_equal(dec_raw(IKE_PL_TSI, tsbad, sizeof(tsbad)),
			 IKE_ERR_BAD_TS);
	assert_int_equal(dec_raw(IKE_PL_TSR, tslen, sizeof(tslen)),
			 IKE_ERR_BAD_TS);
	assert_int_equal(dec_raw(IKE_PL_NOTIFY, nbad, sizeof(nbad)),
			 IKE_ERR_BAD_NOTIFY);
	assert_int_equal(dec_raw(IKE_PL_DELETE, dbad, sizeof(dbad)),
			 IKE_ERR_BAD_NOTIFY);
	assert_int_equal(dec_raw(IKE_PL_DELETE, dcnt, sizeof(dcnt)),
			 IKE_ERR_BAD_NOTIFY);
	assert_int_equal(dec_raw(IKE_PL_SA, sabad, sizeof(sabad)),
			 IKE_ERR_BAD_PROPOSAL);
	assert_int_equal(dec_raw(IKE_PL_SA, samany, sizeof(samany)),
			 IKE_ERR_TOO_MANY);
	assert_int_equal(dec_raw(IKE_PL_SA, samore, sizeof(samore)),
			 IKE_ERR_BAD_PROPOSAL);
	assert_int_equal(dec_raw(IKE_PL_SA, saok, sizeof(saok)), IKE_ERR_OK);
	assert_int_equal(dec_raw(IKE_PL_SKF, unk, sizeof(unk)),
			 IKE_ERR_UNSUPPORTED_CRITICAL);
}

static void
test_sk_located(void **state)
{
	const uint8_t pl[] = {IKE_PL_VENDOR,
			      0,
			      0,
			      8,
			      1,
			      2,
			      3,
			      4,
			      IKE_PL_IDI,
			      0,
			      0,
			      12,
			      0xaa,
			      0xbb,
			      0xcc,
			      0xdd,
			      1,
			      2,
			      3,
			      4};
	uint8_t buf[128];
	struct ike_msg m;
	size_t n = raw(buf, IKE_PL_VENDOR, pl, sizeof(pl));

	(void)state;
	buf[IKE_HDR_LEN] = IKE_PL_SK;
	assert_int_equal(ike_msg_decode(buf, n, &m), IKE_ERR_OK);
	assert_true(m.present & IKE_HAS(IKE_PL_SK));
	assert_int_equal(m.sk_off, 8);
	assert_int_equal(m.sk_len, 12);
	assert_int_equal(m.sk_next, IKE_PL_IDI);
	/* The inner chain decodes on its own. */
	assert_int_equal(
		ike_msg_decode_payloads(
			IKE_PL_IDI,
			(const uint8_t *)"\x00\x00\x00\x08\x01\x00\x00\x00", 8,
			&m),
		IKE_ERR_OK);
	assert_int_equal(m.idi.type, 1);
	assert_int_equal(m.idi.len, 0);
}

/* Every prefix and every single-byte change of a valid message. */
static void
test_mutations(void **state)
{
	struct ike_msg m, d;
	uint8_t buf[2048], mut[2048];
	size_t len, i;
	int v;

	(void)state;
	full_msg(&m);
	len = encode(&m, buf, sizeof(buf));
	for (i = 0; i < len; i++) {
		memcpy(mut, buf, i);
		/* Keep the header length consistent so the payload walk
		 * itself is exercised. */
		if (i >= IKE_HDR_LEN) {
			mut[24] = 0;
			mut[25] = 0;
			mut[26] = (uint8_t)(i >> 8);
			mut[27] = (uint8_t)i;
			assert_int_not_equal(ike_msg_decode(mut, i, &d),
					     IKE_ERR_OK);
		}
	}
	for (i = 0; i < len; i++) {
		for (v = 0; v < 256; v += 51) {
			memcpy(mut, buf, len);
			mut[i] ^= (uint8_t)(v | 1);
			(void)ike_msg_decode(mut, len, &d);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_payload_errors),
		cmocka_unit_test(test_sk_located),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
