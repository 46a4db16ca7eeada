/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_proto_test.c: the protocol codec (dp_proto_codec.h): every message
 * type encodes, frames, validates and decodes back to the same bytes;
 * malformed inputs (short header, bad magic, version, type, length, count
 * overflow, oversized frames, unterminated strings) are each rejected
 * with a message naming the fault.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dp_proto_codec.h"

/* A valid body for type; returns its length in *len (caller frees). */
static uint8_t *
sample_body(uint16_t type, size_t *len)
{
	uint8_t *b = calloc(1, 64 * 1024);
	struct dp_flow_batch fb = {.n = 2};
	struct dp_packet_msg pm = {.port = 3, .in_port = 3, .len = 60};
	uint32_t out_len = 10;

	assert_non_null(b);
	for (size_t i = 0; i < 64 * 1024; i++)
		b[i] = (uint8_t)(i * 7 + type);
	switch (type) {
	case DP_MSG_OK:
	case DP_MSG_PORT_LIST:
	case DP_MSG_FLOW_BEGIN:
	case DP_MSG_FLOW_COMMIT:
	case DP_MSG_FLOW_ABORT:
	case DP_MSG_CACHE_STATS:
	case DP_MSG_CACHE_FLUSH:
	case DP_MSG_PACKET_IN_SUB:
		*len = 0;
		break;
	case DP_MSG_HELLO:
		*len = sizeof(struct dp_hello);
		b[offsetof(struct dp_hello, name) + 5] = 0;
		break;
	case DP_MSG_ERROR:
		*len = sizeof(struct dp_error);
		b[offsetof(struct dp_error, message) + 100] = 0;
		break;
	case DP_MSG_PORT_ADD:
		*len = sizeof(struct dp_port_spec);
		b[offsetof(struct dp_port_spec, name) + 3] = 0;
		b[offsetof(struct dp_port_spec, args) + 200] = 0;
		break;
	case DP_MSG_PORT_DEL:
		*len = sizeof(struct dp_port_ref);
		b[offsetof(struct dp_port_ref, name) + 31] = 0;
		break;
	case DP_MSG_PORT_INFO:
		*len = sizeof(struct dp_port_info);
		b[offsetof(struct dp_port_info, name)] = 0;
		b[offsetof(struct dp_port_info, args) + 255] = 0;
		break;
	case DP_MSG_FLOW_ADD:
		memcpy(b, &fb, sizeof(fb));
		*len = sizeof(fb) + 2 * sizeof(struct dp_rule);
		break;
	case DP_MSG_FLOWS:
		memcpy(b, &fb, sizeof(fb));
		*len = sizeof(fb) + 2 * sizeof(struct dp_flow_entry);
		break;
	case DP_MSG_FLOW_DEL:
		*len = sizeof(struct dp_flow_del);
		break;
	case DP_MSG_FLOW_DUMP:
		*len = sizeof(struct dp_flow_dump_req);
		break;
	case DP_MSG_STATS:
		*len = sizeof(struct dp_stats_reply);
		memset(b + offsetof(struct dp_stats_reply, n_drop_reasons), 0,
		       4);
		b[offsetof(struct dp_stats_reply, n_drop_reasons)] = 16;
		break;
	case DP_MSG_TRACE:
	case DP_MSG_PACKET_IN:
	case DP_MSG_PACKET_OUT:
		memcpy(b, &pm, sizeof(pm));
		*len = sizeof(pm) + pm.len;
		break;
	case DP_MSG_TRACE_RESULT: {
		uint32_t steps = 3, outs = 2;

		memcpy(b + offsetof(struct dp_trace_reply, n_steps), &steps, 4);
		memcpy(b + offsetof(struct dp_trace_reply, n_out), &outs, 4);
		memcpy(b + offsetof(struct dp_trace_reply, out_len), &out_len,
		       4);
		*len = sizeof(struct dp_trace_reply) + out_len;
		break;
	}
	default:
		fail_msg("no sample for type %u", type);
	}
	return b;
}

static const uint16_t all_types[] = {
	DP_MSG_HELLO,	     DP_MSG_OK,
	DP_MSG_ERROR,	     DP_MSG_PORT_ADD,
	DP_MSG_PORT_DEL,     DP_MSG_PORT_LIST,
	DP_MSG_PORT_INFO,    DP_MSG_FLOW_BEGIN,
	DP_MSG_FLOW_ADD,     DP_MSG_FLOW_DEL,
	DP_MSG_FLOW_COMMIT,  DP_MSG_FLOW_ABORT,
	DP_MSG_FLOW_DUMP,    DP_MSG_FLOWS,
	DP_MSG_CACHE_STATS,  DP_MSG_STATS,
	DP_MSG_CACHE_FLUSH,  DP_MSG_TRACE,
	DP_MSG_TRACE_RESULT, DP_MSG_PACKET_IN_SUB,
	DP_MSG_PACKET_IN,    DP_MSG_PACKET_OUT,
};

static void
test_roundtrip_every_type(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(all_types) / sizeof(all_types[0]); i++) {
		uint16_t t = all_types[i];
		struct dp_buf b = {0};
		struct dp_msg_hdr h;
		size_t len = 0;
		uint8_t *body = sample_body(t, &len);
		char err[256] = "";
		int n;

		assert_int_equal(
			dp_proto_encode(&b, t, 1000 + t, DP_F_LAST, body, len),
			0);
		assert_int_equal(b.len, sizeof(h) + len);
		/* Every strict prefix is incomplete, the whole is framed. */
		for (size_t k = 0; k < b.len; k += 1 + k / 4)
			assert_int_equal(
				dp_proto_frame(b.data, k, &h, err, sizeof(err)),
				0);
		n = dp_proto_frame(b.data, b.len, &h, err, sizeof(err));
		assert_int_equal(n, (int)b.len);
		assert_int_equal(h.type, t);
		assert_int_equal(h.xid, 1000 + t);
		assert_int_equal(h.flags, DP_F_LAST);
		assert_int_equal(h.version, DP_PROTO_VERSION);
		if (dp_proto_validate(&h, b.data + sizeof(h), err,
				      sizeof(err)) != 0)
			fail_msg("%s: %s", dp_proto_type_name(t), err);
		assert_memory_equal(b.data + sizeof(h), body, len);
		assert_string_not_equal(dp_proto_type_name(t), "?");
		dp_buf_fini(&b);
		free(body);
	}
}

/* Encode type with body, then corrupt via fn, and expect rc and text. */
static void
expect_reject(uint16_t type, const void *body, size_t len,
	      void (*fix)(struct dp_msg_hdr *h), int want_frame,
	      int want_validate, const char *want_text)
{
	struct dp_buf b = {0};
	struct dp_msg_hdr h;
	char err[256] = "";
	int rc;

	assert_int_equal(dp_proto_encode(&b, type, 7, 0, body, len), 0);
	if (fix != NULL) {
		memcpy(&h, b.data, sizeof(h));
		fix(&h);
		memcpy(b.data, &h, sizeof(h));
	}
	rc = dp_proto_frame(b.data, b.len, &h, err, sizeof(err));
	if (want_frame != 0) {
		assert_int_equal(rc, want_frame);
	} else {
		assert_true(rc > 0);
		rc = dp_proto_validate(&h, b.data + sizeof(h), err,
				       sizeof(err));
		assert_int_equal(rc, want_validate);
	}
	if (strstr(err, want_text) == NULL)
		fail_msg("error '%s' does not name '%s'", err, want_text);
	dp_buf_fini(&b);
}

static void
fix_magic(struct dp_msg_hdr *h)
{
	h->magic = 0xdeadbeef;
}
static void
fix_version(struct dp_msg_hdr *h)
{
	h->version = 9;
}
static void
fix_type(struct dp_msg_hdr *h)
{
	h->type = 999;
}
static void
fix_len_small(struct dp_msg_hdr *h)
{
	h->len = 10;
}
static void
fix_len_huge(struct dp_msg_hdr *h)
{
	h->len = DP_MSG_LEN_MAX + 1;
}

static void
test_reject_framing(void **state)
{
	struct dp_msg_hdr h;
	char err[256];
	uint8_t junk[8] = {1, 2, 3};

	(void)state;
	/* Short header: not yet framed, no error. */
	assert_int_equal(
		dp_proto_frame(junk, sizeof(junk), &h, err, sizeof(err)), 0);
	expect_reject(DP_MSG_OK, NULL, 0, fix_magic, -EPROTO, 0, "magic");
	expect_reject(DP_MSG_OK, NULL, 0, fix_len_small, -EPROTO, 0, "below");
	expect_reject(DP_MSG_OK, NULL, 0, fix_len_huge, -EPROTO, 0,
		      "over the maximum");
}

static void
test_reject_header_fields(void **state)
{
	(void)state;
	expect_reject(DP_MSG_OK, NULL, 0, fix_version, 0, -EINVAL, "version 9");
	expect_reject(DP_MSG_OK, NULL, 0, fix_type, 0, -EINVAL,
		      "unknown message type 999");
	expect_reject(200, NULL, 0, NULL, 0, -EINVAL, "unknown message type");
	expect_reject(0, NULL, 0, NULL, 0, -EINVAL, "unknown message type");
}

static void
test_reject_lengths(void **state)
{
	uint8_t body[2048];
	struct dp_flow_batch fb;
	struct dp_packet_msg pm;

	(void)state;
	memset(body, 0, sizeof(body));
	expect_reject(DP_MSG_OK, body, 4, NULL, 0, -EINVAL,
		      "OK: body of 4 bytes, expected 0");
	expect_reject(DP_MSG_HELLO, body, sizeof(struct dp_hello) - 1, NULL, 0,
		      -EINVAL, "HELLO: body of");
	expect_reject(DP_MSG_FLOW_DEL, body, sizeof(struct dp_flow_del) + 8,
		      NULL, 0, -EINVAL, "FLOW_DEL: body of");
	/* Batches: short header, count overflow, count/length mismatch. */
	expect_reject(DP_MSG_FLOW_ADD, body, 4, NULL, 0, -EINVAL,
		      "shorter than its");
	fb.n = 0xffffffffu;
	fb.pad = 0;
	memcpy(body, &fb, sizeof(fb));
	expect_reject(DP_MSG_FLOW_ADD, body, sizeof(fb), NULL, 0, -EINVAL,
		      "count 4294967295 over the maximum");
	fb.n = 2;
	memcpy(body, &fb, sizeof(fb));
	expect_reject(DP_MSG_FLOW_ADD, body,
		      sizeof(fb) + sizeof(struct dp_rule), NULL, 0, -EINVAL,
		      "count 2 implies");
	expect_reject(DP_MSG_FLOWS, body, sizeof(fb) + 3, NULL, 0, -EINVAL,
		      "FLOWS: body of");
	/* Packets: frame length over the maximum or not matching. */
	memset(&pm, 0, sizeof(pm));
	pm.len = DP_FRAME_MAX + 1;
	memcpy(body, &pm, sizeof(pm));
	expect_reject(DP_MSG_PACKET_OUT, body, sizeof(pm), NULL, 0, -EINVAL,
		      "frame length 9217 over");
	pm.len = 100;
	memcpy(body, &pm, sizeof(pm));
	expect_reject(DP_MSG_TRACE, body, sizeof(pm) + 99, NULL, 0, -EINVAL,
		      "frame length 100 implies");
	expect_reject(DP_MSG_PACKET_IN, body, 3, NULL, 0, -EINVAL,
		      "shorter than its");
}

static void
test_reject_counts_in_replies(void **state)
{
	struct dp_trace_reply *tr = calloc(1, sizeof(*tr));
	struct dp_stats_reply st;

	(void)state;
	assert_non_null(tr);
	tr->n_steps = DP_TRACE_MSG_STEPS_MAX + 1;
	expect_reject(DP_MSG_TRACE_RESULT, tr, sizeof(*tr), NULL, 0, -EINVAL,
		      "steps over");
	tr->n_steps = 1;
	tr->n_out = 17;
	expect_reject(DP_MSG_TRACE_RESULT, tr, sizeof(*tr), NULL, 0, -EINVAL,
		      "outputs over");
	tr->n_out = 1;
	tr->out_len = 5;
	expect_reject(DP_MSG_TRACE_RESULT, tr, sizeof(*tr), NULL, 0, -EINVAL,
		      "frame length 5 implies");
	memset(&st, 0, sizeof(st));
	st.n_drop_reasons = 33;
	expect_reject(DP_MSG_STATS, &st, sizeof(st), NULL, 0, -EINVAL,
		      "33 drop reasons");
	free(tr);
}

/*
 * LB_POOL_SET: the head with the timeouts appended and the 32-byte one
 * before them both validate, and the timeouts come through encoding as
 * sent; a head of another length, or members that do not add up, are
 * refused with the lengths named.
 */
static void
test_lb_pool_heads(void **state)
{
	uint8_t body[sizeof(struct dp_lb_pool) +
		     2 * sizeof(struct dp_lb_member)];
	struct dp_lb_pool p, q;
	struct dp_buf b = {0};
	struct dp_msg_hdr h;
	char err[256] = "";

	(void)state;
	memset(&p, 0, sizeof(p));
	memset(body, 0, sizeof(body));
	p.id = 7;
	p.n_members = 2;
	p.idle_timeout_ms = 2000;
	p.connect_timeout_ms = 5000;
	memcpy(body, &p, sizeof(p));
	assert_int_equal(dp_proto_encode(&b, DP_MSG_LB_POOL_SET, 9, 0, body,
					 sizeof(body)),
			 0);
	assert_int_equal(dp_proto_frame(b.data, b.len, &h, err, sizeof(err)),
			 (int)b.len);
	assert_int_equal(
		dp_proto_validate(&h, b.data + sizeof(h), err, sizeof(err)), 0);
	memcpy(&q, b.data + sizeof(h), sizeof(q));
	assert_int_equal(q.idle_timeout_ms, 2000);
	assert_int_equal(q.connect_timeout_ms, 5000);
	dp_buf_fini(&b);
	/* The 32-byte head, then two members: accepted. */
	memmove(body + DP_LB_POOL_V1_LEN, body + sizeof(p),
		2 * sizeof(struct dp_lb_member));
	assert_int_equal(
		dp_proto_encode(&b, DP_MSG_LB_POOL_SET, 9, 0, body,
				DP_LB_POOL_V1_LEN +
					2 * sizeof(struct dp_lb_member)),
		0);
	assert_true(dp_proto_frame(b.data, b.len, &h, err, sizeof(err)) > 0);
	assert_int_equal(
		dp_proto_validate(&h, b.data + sizeof(h), err, sizeof(err)), 0);
	dp_buf_fini(&b);
	/* Heads of 36 bytes, or shorter than the old one: refused. */
	expect_reject(DP_MSG_LB_POOL_SET, body,
		      36 + 2 * sizeof(struct dp_lb_member), NULL, 0, -EINVAL,
		      "2 IPv4 members imply 92");
	expect_reject(DP_MSG_LB_POOL_SET, body, DP_LB_POOL_V1_LEN - 1, NULL, 0,
		      -EINVAL, "shorter than its 32-byte head");
}

/*
 * SA_INFO: the body with the MSS counters appended and the 160-byte one
 * before them both validate; any other length is refused.
 */
static void
test_sa_info_lengths(void **state)
{
	uint8_t body[sizeof(struct dp_sa_info)] = {0};
	struct dp_buf b = {0};
	struct dp_msg_hdr h;
	char err[256] = "";
	size_t lens[] = {sizeof(body), DP_SA_INFO_V1_LEN};

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(dp_proto_encode(&b, DP_MSG_SA_INFO, 9, 0, body,
						 lens[i]),
				 0);
		assert_true(dp_proto_frame(b.data, b.len, &h, err,
					   sizeof(err)) > 0);
		assert_int_equal(dp_proto_validate(&h, b.data + sizeof(h), err,
						   sizeof(err)),
				 0);
		dp_buf_fini(&b);
	}
	expect_reject(DP_MSG_SA_INFO, body, DP_SA_INFO_V1_LEN + 8, NULL, 0,
		      -EINVAL, "expected 176");
	expect_reject(DP_MSG_SA_INFO, body, DP_SA_INFO_V1_LEN - 1, NULL, 0,
		      -EINVAL, "expected 176");
}

static void
test_reject_strings(void **state)
{
	struct dp_hello hello;
	struct dp_port_spec spec;
	struct dp_port_ref ref;
	struct dp_error e;
	struct dp_port_info pi;

	(void)state;
	memset(&hello, 'A', sizeof(hello));
	hello.version = 1;
	expect_reject(DP_MSG_HELLO, &hello, sizeof(hello), NULL, 0, -EINVAL,
		      "name is not NUL-terminated");
	memset(&spec, 0, sizeof(spec));
	memset(spec.args, 'x', sizeof(spec.args));
	expect_reject(DP_MSG_PORT_ADD, &spec, sizeof(spec), NULL, 0, -EINVAL,
		      "PORT_ADD: args is not NUL-terminated");
	memset(&ref, 'r', sizeof(ref));
	expect_reject(DP_MSG_PORT_DEL, &ref, sizeof(ref), NULL, 0, -EINVAL,
		      "PORT_DEL: name");
	memset(&e, 'e', sizeof(e));
	expect_reject(DP_MSG_ERROR, &e, sizeof(e), NULL, 0, -EINVAL,
		      "message is not NUL-terminated");
	memset(&pi, 0, sizeof(pi));
	memset(pi.name, 'n', sizeof(pi.name));
	expect_reject(DP_MSG_PORT_INFO, &pi, sizeof(pi), NULL, 0, -EINVAL,
		      "PORT_INFO: name");
}

static void
test_build_in_parts(void **state)
{
	struct dp_buf b = {0};
	struct dp_flow_batch fb = {.n = 0};
	static struct dp_rule r;
	struct dp_msg_hdr h;
	size_t start, n = 0;
	char err[256];
	int rc;

	(void)state;
	assert_int_equal(dp_proto_begin(&b, DP_MSG_FLOW_ADD, 5, 0, &start), 0);
	assert_int_equal(dp_proto_append(&b, start, &fb, sizeof(fb)), 0);
	/* Fill up to the maximum: the next rule is refused. */
	while ((rc = dp_proto_append(&b, start, &r, sizeof(r))) == 0)
		n++;
	assert_int_equal(rc, -EMSGSIZE);
	assert_int_equal(n, DP_PROTO_RULES_PER_MSG_MAX);
	fb.n = (uint32_t)n;
	memcpy(b.data + start + sizeof(h), &fb, sizeof(fb));
	dp_proto_end(&b, start);
	dp_proto_set_flags(&b, start, DP_F_LAST);
	assert_true(b.len <= DP_MSG_LEN_MAX);
	rc = dp_proto_frame(b.data, b.len, &h, err, sizeof(err));
	assert_int_equal(rc, (int)b.len);
	assert_int_equal(h.flags, DP_F_LAST);
	assert_int_equal(
		dp_proto_validate(&h, b.data + sizeof(h), err, sizeof(err)), 0);
	/* A whole message over the maximum is refused by encode. */
	assert_int_equal(
		dp_proto_encode(&b, DP_MSG_OK, 1, 0, b.data, DP_MSG_LEN_MAX),
		-EMSGSIZE);
	dp_buf_fini(&b);
}

static void
test_two_messages_in_one_buffer(void **state)
{
	struct dp_buf b = {0};
	struct dp_msg_hdr h;
	char err[256];
	int n;

	(void)state;
	assert_int_equal(dp_proto_encode(&b, DP_MSG_OK, 1, 0, NULL, 0), 0);
	assert_int_equal(dp_proto_encode(&b, DP_MSG_FLOW_BEGIN, 2, 0, NULL, 0),
			 0);
	n = dp_proto_frame(dp_buf_head(&b), dp_buf_avail(&b), &h, err,
			   sizeof(err));
	assert_int_equal(h.xid, 1);
	dp_buf_consume(&b, (size_t)n);
	n = dp_proto_frame(dp_buf_head(&b), dp_buf_avail(&b), &h, err,
			   sizeof(err));
	assert_int_equal(n, (int)sizeof(h));
	assert_int_equal(h.xid, 2);
	assert_int_equal(h.type, DP_MSG_FLOW_BEGIN);
	dp_buf_consume(&b, (size_t)n);
	assert_int_equal(dp_buf_avail(&b), 0);
	dp_buf_fini(&b);
}

static void
test_port_type_names(void **state)
{
	static const char *names[] = {
		"af_xdp", "af_packet", "vhost-user", "vhost-user-client",
		"tap",	  "devargs",   "vnet"};

	(void)state;
	for (unsigned i = 0; i < 7; i++) {
		int t = dp_proto_port_type_lookup(names[i]);

		assert_int_equal(t, (int)i + 1);
		assert_string_equal(dp_proto_port_type_name((uint32_t)t),
				    names[i]);
	}
	assert_int_equal(dp_proto_port_type_lookup("pcap"), -ENOENT);
	assert_null(dp_proto_port_type_name(0));
	assert_null(dp_proto_port_type_name(77));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_every_type),
		cmocka_unit_test(test_reject_framing),
		cmocka_unit_test(test_reject_header_fields),
		cmocka_unit_test(test_reject_lengths),
		cmocka_unit_test(test_reject_counts_in_replies),
		cmocka_unit_test(test_reject_strings),
		cmocka_unit_test(test_build_in_parts),
		cmocka_unit_test(test_two_messages_in_one_buffer),
		cmocka_unit_test(test_port_type_names),
		cmocka_unit_test(test_lb_pool_heads),
		cmocka_unit_test(test_sa_info_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
