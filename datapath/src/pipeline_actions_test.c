/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline_actions_test.c: every action, bytes in and bytes out, with the
 * checksums of the result verified from scratch; outputs, clones, punts
 * and drops; key rewrites seen by later tables; trace of the final frame.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "pl_test_util.h"

static void
set_act(struct dp_rule *r, enum dp_field f, const void *v)
{
	struct dp_action *a = tu_act(r, DP_ACT_SET_FIELD);

	a->u.set.field = (uint16_t)f;
	memcpy(a->u.set.value, v, dp_field_info(f)->size);
}

static void
out_act(struct dp_rule *r, uint32_t port)
{
	tu_act(r, DP_ACT_OUTPUT)->u.port = port;
}

/* One rule in table 0 matching everything. */
static void
one_rule(struct tu *t, struct dp_rule *r)
{
	assert_int_equal(tu_setup(t, 64, 0), 0);
	assert_int_equal(tu_install(t->pl, r, 1), 0);
}

static void
test_output_clone_punt_drop(void **state)
{
	struct dp_rule r;
	struct tu_frame f;
	uint8_t b[128];
	size_t len;
	struct tu t;

	(void)state;
	tu_frame_udp4(&f);
	len = tu_build(&f, b);
	tu_rule(&r, 0, 1, 0);
	out_act(&r, 1);
	out_act(&r, DP_PORT_IN_PORT);
	out_act(&r, DP_PORT_CONTROLLER);
	tu_act(&r, DP_ACT_PUNT)->u.reason = 77;
	one_rule(&t, &r);
	for (int i = 0; i < 2; i++) {
		tu_run(&t, b, (uint32_t)len, 9);
		assert_int_equal(t.out.n_tx, 2);
		assert_int_equal(t.out.tx_port[0], 1);
		assert_int_equal(t.out.tx_port[1], 9);
		assert_int_equal(t.out.n_punt, 2);
		assert_int_equal(t.out.punt[0]->punt_reason, 0);
		assert_int_equal(t.out.punt[1]->punt_reason, 77);
		assert_int_equal(t.out.n_drop, 0);
		for (unsigned k = 0; k < t.out.n_tx; k++)
			assert_memory_equal(t.out.tx[k]->data, b, len);
		assert_true(t.out.tx[0] != t.out.tx[1]);
	}
	tu_teardown(&t);

	tu_rule(&r, 0, 1, 0);
	tu_act(&r, DP_ACT_DROP);
	one_rule(&t, &r);
	tu_run(&t, b, (uint32_t)len, 9);
	assert_int_equal(t.out.n_drop, 1);
	{
		uint64_t d[DP_DROP__COUNT];

		dp_pipeline_drop_stats(t.pl, d);
		assert_int_equal(d[DP_DROP_ACTION], 1);
	}
	tu_teardown(&t);
}

/* More than DP_BURST packets in one call are all accounted for. */
static void
test_big_burst(void **state)
{
	enum { N = DP_BURST + 9 };
	struct dp_packet *p[N];
	struct dp_rule r;
	struct tu_frame f;
	uint8_t b[128];
	size_t len;
	struct tu t;

	(void)state;
	tu_frame_udp4(&f);
	len = tu_build(&f, b);
	tu_rule(&r, 0, 1, 0);
	out_act(&r, 1);
	out_act(&r, 2);
	one_rule(&t, &r);
	for (int i = 0; i < N; i++)
		p[i] = tu_pkt_new(b, (uint32_t)len, 1);
	dp_worker_process(t.w, p, N, &t.out);
	dp_worker_quiescent(t.w);
	assert_int_equal(t.out.n_tx, 2 * N);
	assert_int_equal(t.out.n_drop, 0);
	tu_teardown(&t);
}

/* Outputs see the packet as it was when they were issued. */
static void
test_output_then_modify(void **state)
{
	static const uint8_t mac[6] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	struct dp_rule r;
	struct tu_frame f;
	uint8_t b[128], want[128];
	size_t len;
	struct tu t;

	(void)state;
	tu_frame_udp4(&f);
	len = tu_build(&f, b);
	memcpy(f.dst, mac, 6);
	assert_int_equal(tu_build(&f, want), len);
	tu_rule(&r, 0, 1, 0);
	out_act(&r, 1);
	set_act(&r, DP_F_ETH_DST, mac);
	out_act(&r, 2);
	one_rule(&t, &r);
	for (int i = 0; i < 2; i++) {
		tu_run(&t, b, (uint32_t)len, 9);
		assert_int_equal(t.out.n_tx, 2);
		assert_int_equal(t.out.tx_port[0], 1);
		assert_memory_equal(t.out.tx[0]->data, b, len);
		assert_int_equal(t.out.tx_port[1], 2);
		assert_memory_equal(t.out.tx[1]->data, want, len);
	}
	tu_teardown(&t);
}

/* Run in through one rule; expect exactly want on one output. */
static void
expect_rewrite(struct dp_rule *r, const uint8_t *in, size_t in_len,
	       const uint8_t *want, size_t want_len)
{
	struct tu t;

	one_rule(&t, r);
	for (int i = 0; i < 2; i++) { /* classifier, then cache */
		tu_run(&t, in, (uint32_t)in_len, 1);
		assert_int_equal(t.out.n_tx, 1);
		assert_int_equal(t.out.tx[0]->len, want_len);
		assert_memory_equal(t.out.tx[0]->data, want, want_len);
		assert_true(tu_csum_ok(t.out.tx[0]->data, t.out.tx[0]->len));
	}
	tu_teardown(&t);
}

static void
test_set_eth(void **state)
{
	static const uint8_t d[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
	static const uint8_t s[6] = {0x02, 0x66, 0x77, 0x88, 0x99, 0xaa};
	struct tu_frame f;
	struct dp_rule r;
	uint8_t in[128], want[128];
	size_t len;

	(void)state;
	tu_frame_udp4(&f);
	len = tu_build(&f, in);
	memcpy(f.dst, d, 6);
	memcpy(f.src, s, 6);
	tu_build(&f, want);
	tu_rule(&r, 0, 1, 0);
	set_act(&r, DP_F_ETH_DST, d);
	set_act(&r, DP_F_ETH_SRC, s);
	out_act(&r, 1);
	expect_rewrite(&r, in, len, want, len);
}

/* IPv4 addresses, TOS, TTL and ports over UDP, TCP and ICMP. */
static void
test_set_ipv4(void **state)
{
	static const uint8_t protos[] = {17, 6, 1};
	uint32_t src = htonl(0xc0a80105), dst = htonl(0xac100203);
	uint16_t sp = htons(4444), dp = htons(5555);
	uint8_t tos = 0xb8, ttl = 9;

	(void)state;
	for (size_t i = 0; i < sizeof(protos); i++) {
		struct tu_frame f;
		struct dp_rule r;
		uint8_t in[128], want[128];
		size_t len;

		tu_frame_udp4(&f);
		f.proto = protos[i];
		if (f.proto == 1) {
			f.sport = 8;
			f.dport = 0;
		}
		len = tu_build(&f, in);
		f.src4 = 0xc0a80105;
		f.dst4 = 0xac100203;
		f.tos = tos;
		f.ttl = ttl;
		if (f.proto != 1) {
			f.sport = 4444;
			f.dport = 5555;
		}
		tu_build(&f, want);
		tu_rule(&r, 0, 1, 0);
		set_act(&r, DP_F_NW_SRC, &src);
		set_act(&r, DP_F_NW_DST, &dst);
		set_act(&r, DP_F_NW_TOS, &tos);
		set_act(&r, DP_F_NW_TTL, &ttl);
		if (f.proto != 1) {
			set_act(&r, DP_F_TP_SRC, &sp);
			set_act(&r, DP_F_TP_DST, &dp);
		}
		out_act(&r, 1);
		expect_rewrite(&r, in, len, want, len);
	}
}

/* A zero UDP checksum over IPv4 means none and stays zero. */
static void
test_set_udp_zero_csum(void **state)
{
	uint32_t src = htonl(0xc0a80105);
	struct tu_frame f;
	struct dp_rule r;
	uint8_t in[128], want[128];
	size_t len;

	(void)state;
	tu_frame_udp4(&f);
	len = tu_build(&f, in);
	in[14 + 20 + 6] = in[14 + 20 + 7] = 0;
	f.src4 = 0xc0a80105;
	tu_build(&f, want);
	want[14 + 20 + 6] = want[14 + 20 + 7] = 0;
	tu_rule(&r, 0, 1, 0);
	set_act(&r, DP_F_NW_SRC, &src);
	out_act(&r, 1);
	expect_rewrite(&r, in, len, want, len);
}

static void
test_set_ipv6(void **state)
{
	static const uint8_t protos[] = {17, 6, 58};
	/* clang-format off */
	static const uint8_t a6[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	static const uint8_t n6[16] = {
		0xfd, 0, 0x12, 0x34, 0xff, 0xee, 0, 0, 0, 0, 0, 0,
		0xab, 0xcd, 0, 7};
	static const uint8_t m6[16] = {
		0xfd, 0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
	/* clang-format on */
	uint16_t sp = htons(4444), dp = htons(5555);
	uint8_t tos = 0x48, ttl = 3;

	(void)state;
	for (size_t i = 0; i < sizeof(protos); i++) {
		struct tu_frame f;
		struct dp_rule r;
		uint8_t in[160], want[160];
		size_t len;

		tu_frame_udp4(&f);
		f.eth_type = 0x86dd;
		f.proto = protos[i];
		memcpy(f.src6, a6, 16);
		memcpy(f.dst6, a6, 16);
		f.dst6[15] = 2;
		if (f.proto == 58) {
			f.sport = 128;
			f.dport = 0;
		}
		len = tu_build(&f, in);
		memcpy(f.src6, n6, 16);
		memcpy(f.dst6, m6, 16);
		f.tos = tos;
		f.ttl = ttl;
		if (f.proto != 58) {
			f.sport = 4444;
			f.dport = 5555;
		}
		tu_build(&f, want);
		tu_rule(&r, 0, 1, 0);
		set_act(&r, DP_F_IPV6_SRC, n6);
		set_act(&r, DP_F_IPV6_DST, m6);
		set_act(&r, DP_F_NW_TOS, &tos);
		set_act(&r, DP_F_NW_TTL, &ttl);
		if (f.proto != 58) {
			set_act(&r, DP_F_TP_SRC, &sp);
			set_act(&r, DP_F_TP_DST, &dp);
		}
		out_act(&r, 1);
		expect_rewrite(&r, in, len, want, len);
	}
}

/* Registers and metadata change the key only; a later table sees them. */
static void
test_set_key_only(void **state)
{
	uint32_t reg = 42, md = 7;
	struct dp_rule r[2];
	struct tu_frame f;
	uint8_t b[128];
	size_t len;
	struct tu t;

	(void)state;
	tu_frame_udp4(&f);
	len = tu_build(&f, b);
	tu_rule(&r[0], 0, 1, 0);
	set_act(&r[0], DP_F_REG0, &reg);
	set_act(&r[0], DP_F_METADATA, &md);
	out_act(&r[0], 5);
	tu_act(&r[0], DP_ACT_GOTO_TABLE)->u.table = 1;
	tu_rule(&r[1], 1, 1, 3);
	r[1].mask.reg0 = UINT32_MAX;
	r[1].match.reg0 = 42;
	r[1].mask.metadata = UINT32_MAX;
	r[1].match.metadata = 7;
	assert_int_equal(tu_setup(&t, 64, 0), 0);
	assert_int_equal(tu_install(t.pl, r, 2), 0);
	for (int i = 0; i < 2; i++) {
		tu_run(&t, b, (uint32_t)len, 1);
		assert_int_equal(t.out.n_tx, 2);
		assert_int_equal(t.out.tx_port[0], 5);
		assert_int_equal(t.out.tx_port[1], 3);
		assert_memory_equal(t.out.tx[1]->data, b, len);
	}
	tu_teardown(&t);
}

static void
test_vlan_push_pop(void **state)
{
	uint16_t tci = htons(5 << 13 | 100);
	struct dp_rule r[2];
	struct tu_frame f;
	uint8_t plain[128], tagged[128];
	size_t plen, tlen;
	struct dp_packet *p;
	struct tu t;

	(void)state;
	tu_frame_udp4(&f);
	plen = tu_build(&f, plain);
	f.has_vlan = true;
	f.tci = 5 << 13 | 100;
	tlen = tu_build(&f, tagged);
	assert_int_equal(tlen, plen + 4);

	/* push, then a later table matches the new tag. */
	tu_rule(&r[0], 0, 1, 0);
	tu_act(&r[0], DP_ACT_PUSH_VLAN)->u.tci = tci;
	tu_act(&r[0], DP_ACT_GOTO_TABLE)->u.table = 1;
	tu_rule(&r[1], 1, 1, 1);
	r[1].mask.vlan_tci = 0xffff;
	r[1].match.vlan_tci = tci | htons(DP_VLAN_PRESENT);
	assert_int_equal(tu_setup(&t, 64, 0), 0);
	assert_int_equal(tu_install(t.pl, r, 2), 0);
	for (int i = 0; i < 2; i++) {
		tu_run(&t, plain, (uint32_t)plen, 1);
		assert_int_equal(t.out.n_tx, 1);
		assert_int_equal(t.out.tx[0]->len, tlen);
		assert_memory_equal(t.out.tx[0]->data, tagged, tlen);
	}
	/* No headroom: counted drop. */
	p = tu_pkt_new(plain, (uint32_t)plen, 1);
	p->headroom = 2;
	tu_out_free(&t.out);
	dp_worker_process(t.w, &p, 1, &t.out);
	assert_int_equal(t.out.n_drop, 1);
	{
		uint64_t d[DP_DROP__COUNT];

		dp_pipeline_drop_stats(t.pl, d);
		assert_int_equal(d[DP_DROP_NO_ROOM], 1);
	}
	tu_teardown(&t);

	tu_rule(&r[0], 0, 1, 0);
	tu_act(&r[0], DP_ACT_POP_VLAN);
	out_act(&r[0], 1);
	expect_rewrite(&r[0], tagged, tlen, plain, plen);
	expect_rewrite(&r[0], plain, plen, plain, plen); /* no tag */
}

static void
test_dec_ttl(void **state)
{
	struct dp_rule r;
	struct tu_frame f;
	uint8_t in[160], want[160];
	size_t len;
	uint64_t d[DP_DROP__COUNT];
	struct dp_trace *tr = malloc(sizeof(*tr));
	struct tu t;

	(void)state;
	tu_rule(&r, 0, 1, 0);
	tu_act(&r, DP_ACT_DEC_TTL);
	out_act(&r, 1);
	for (int v6 = 0; v6 < 2; v6++) {
		tu_frame_udp4(&f);
		if (v6) {
			f.eth_type = 0x86dd;
			f.src6[0] = 0xfe;
		}
		f.ttl = 64;
		len = tu_build(&f, in);
		f.ttl = 63;
		tu_build(&f, want);
		expect_rewrite(&r, in, len, want, len);
		f.ttl = 1;
		len = tu_build(&f, in);
		one_rule(&t, &r);
		tu_run(&t, in, (uint32_t)len, 1);
		assert_int_equal(t.out.n_drop, 1);
		dp_pipeline_drop_stats(t.pl, d);
		assert_int_equal(d[DP_DROP_TTL], 1);
		assert_int_equal(
			dp_pipeline_trace(t.pl, in, (uint32_t)len, 1, tr), 0);
		assert_int_equal(tr->verdict, DP_DROP_TTL + 1);
		assert_int_equal(tr->n_out, 0);
		tu_teardown(&t);
	}
	free(tr);
}

static void
test_vxlan(void **state)
{
	static const uint8_t omac_d[6] = {2, 9, 9, 9, 9, 1};
	static const uint8_t omac_s[6] = {2, 9, 9, 9, 9, 2};
	struct dp_trace *tr = malloc(sizeof(*tr));
	struct dp_rule r[3];
	struct dp_action *a;
	struct tu_frame f;
	uint8_t inner[128], outer[256];
	size_t ilen, olen;
	const uint8_t *o, *ip, *udp;
	uint16_t sport, v16;
	struct tu t;

	(void)state;
	tu_frame_udp4(&f);
	ilen = tu_build(&f, inner);
	tu_rule(&r[0], 0, 1, 0);
	a = tu_act(&r[0], DP_ACT_VXLAN_ENCAP);
	memcpy(a->u.vxlan.eth_dst, omac_d, 6);
	memcpy(a->u.vxlan.eth_src, omac_s, 6);
	a->u.vxlan.ip_src = htonl(0xc0000201);
	a->u.vxlan.ip_dst = htonl(0xc0000202);
	a->u.vxlan.vni = 5001;
	out_act(&r[0], 1);
	one_rule(&t, &r[0]);
	tu_run(&t, inner, (uint32_t)ilen, 1);
	assert_int_equal(t.out.n_tx, 1);
	o = t.out.tx[0]->data;
	olen = t.out.tx[0]->len;
	assert_int_equal(olen, ilen + 50);
	assert_memory_equal(o, omac_d, 6);
	assert_memory_equal(o + 6, omac_s, 6);
	assert_int_equal(o[12], 0x08);
	assert_int_equal(o[13], 0x00);
	ip = o + 14;
	udp = ip + 20;
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(ip[2] << 8 | ip[3], ilen + 36);
	assert_int_equal(ip[8], 64);
	assert_int_equal(ip[9], 17);
	assert_true(tu_csum_ok(o, olen)); /* IPv4 header checksum */
	sport = (uint16_t)(udp[0] << 8 | udp[1]);
	assert_true(sport >= 49152);
	assert_int_equal(udp[2] << 8 | udp[3], 4789);
	assert_int_equal(udp[4] << 8 | udp[5], ilen + 16);
	assert_int_equal(udp[6] | udp[7], 0);
	assert_int_equal(udp[8], 0x08);
	assert_int_equal(udp[12] << 16 | udp[13] << 8 | udp[14], 5001);
	assert_memory_equal(udp + 16, inner, ilen);
	memcpy(outer, o, olen);
	tu_run(&t, inner, (uint32_t)ilen, 1); /* same flow, same port */
	memcpy(&v16, t.out.tx[0]->data + 34, 2);
	assert_int_equal(ntohs(v16), sport);
	tu_teardown(&t);

	/* Decap: outer validated, tunnel fields set, inner looked up. */
	tu_rule(&r[0], 0, 1, 0);
	r[0].mask.eth_type = 0xffff;
	r[0].match.eth_type = htons(0x0800);
	r[0].mask.nw_proto = 0xff;
	r[0].match.nw_proto = 17;
	r[0].mask.tp_dst = 0xffff;
	r[0].match.tp_dst = htons(4789);
	tu_act(&r[0], DP_ACT_VXLAN_DECAP);
	tu_act(&r[0], DP_ACT_GOTO_TABLE)->u.table = 1;
	tu_rule(&r[1], 1, 1, 2);
	r[1].mask.tun_id = UINT32_MAX;
	r[1].match.tun_id = 5001;
	r[1].mask.tun_src = UINT32_MAX;
	r[1].match.tun_src = htonl(0xc0000201);
	r[1].mask.nw_dst = UINT32_MAX;
	r[1].match.nw_dst = htonl(0x0a000002);
	tu_rule(&r[2], 0, 0, 0);
	tu_act(&r[2], DP_ACT_VXLAN_DECAP);
	out_act(&r[2], 3);
	assert_int_equal(tu_setup(&t, 64, 0), 0);
	assert_int_equal(tu_install(t.pl, r, 3), 0);
	for (int i = 0; i < 3; i++) {
		tu_run(&t, outer, (uint32_t)olen, 1);
		assert_int_equal(t.out.n_tx, 1);
		assert_int_equal(t.out.tx_port[0], 2);
		assert_int_equal(t.out.tx[0]->len, ilen);
		assert_memory_equal(t.out.tx[0]->data, inner, ilen);
	}
	assert_int_equal(dp_pipeline_trace(t.pl, outer, (uint32_t)olen, 1, tr),
			 0);
	assert_int_equal(tr->n_steps, 2);
	assert_int_equal(tr->steps[1].table, 1);
	assert_int_equal(tr->out_port[0], 2);
	assert_int_equal(tr->out_len, ilen);
	assert_memory_equal(tr->out_frame, inner, ilen);
	/* A frame that is not VXLAN: counted drop. */
	tu_run(&t, inner, (uint32_t)ilen, 1);
	assert_int_equal(t.out.n_drop, 1);
	{
		uint64_t d[DP_DROP__COUNT];

		dp_pipeline_drop_stats(t.pl, d);
		assert_int_equal(d[DP_DROP_BAD_VXLAN], 1);
	}
	tu_teardown(&t);
	free(tr);
}

static void
test_arp_reply(void **state)
{
	static const uint8_t mac[6] = {0x02, 0xaa, 0, 0, 0, 0x09};
	struct dp_rule r;
	struct tu_frame f;
	uint8_t req[128], want[128];
	size_t len;
	struct tu t;

	(void)state;
	tu_frame_udp4(&f);
	memset(f.dst, 0xff, 6);
	f.eth_type = 0x0806;
	f.arp_op = 1;
	f.src4 = 0x0a000001;
	f.dst4 = 0x0a000009;
	len = tu_build(&f, req);
	/* The reply, by hand: RFC 826 packet reception. */
	memcpy(want, req, len);
	memcpy(want, req + 6, 6);
	memcpy(want + 6, mac, 6);
	want[14 + 7] = 2;
	memcpy(want + 14 + 8, mac, 6);
	memcpy(want + 14 + 14, req + 14 + 24, 4);
	memcpy(want + 14 + 18, req + 14 + 8, 6);
	memcpy(want + 14 + 24, req + 14 + 14, 4);
	tu_rule(&r, 0, 1, 0);
	tu_act(&r, DP_ACT_ARP_REPLY);
	memcpy(r.actions[0].u.mac, mac, 6);
	out_act(&r, DP_PORT_IN_PORT);
	one_rule(&t, &r);
	for (int i = 0; i < 2; i++) {
		tu_run(&t, req, (uint32_t)len, 4);
		assert_int_equal(t.out.n_tx, 1);
		assert_int_equal(t.out.tx_port[0], 4);
		assert_memory_equal(t.out.tx[0]->data, want, len);
	}
	tu_run(&t, want, (uint32_t)len, 4); /* a reply: not answered */
	assert_int_equal(t.out.n_drop, 1);
	{
		uint64_t d[DP_DROP__COUNT];

		dp_pipeline_drop_stats(t.pl, d);
		assert_int_equal(d[DP_DROP_BAD_ARP], 1);
	}
	tu_teardown(&t);
}

/* Build an NS from fe80::1 for target fd00::1 (to its solicited-node
 * group), with the source link-layer option when has_sll. */
static size_t
nd_ns_frame(uint8_t *b, bool has_sll, uint8_t hop, const uint8_t *src6)
{
	static const uint8_t target[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0,
					   0,	 0, 0, 0, 0, 0, 0, 1};
	static const uint8_t snm[16] = {0xff, 2, 0, 0, 0,    0, 0, 0,
					0,    0, 0, 1, 0xff, 0, 0, 1};
	struct tu_frame f;
	uint8_t *ip = b + 14, *icmp = b + 54;
	size_t len;

	memset(&f, 0, sizeof(f));
	memcpy(f.dst, (const uint8_t[6]){0x33, 0x33, 0xff, 0, 0, 1}, 6);
	memcpy(f.src, (const uint8_t[6]){2, 0, 0, 0, 0, 7}, 6);
	f.eth_type = 0x86dd;
	f.proto = 58;
	f.sport = 135;
	f.ttl = hop;
	f.payload = has_sll ? 24 : 16;
	memcpy(f.src6, src6, 16);
	memcpy(f.dst6, snm, 16);
	len = tu_build(&f, b);
	memcpy(icmp + 8, target, 16);
	if (has_sll) {
		icmp[24] = 1;
		icmp[25] = 1;
		memcpy(icmp + 26, f.src, 6);
	}
	tu_put16(icmp + 2, 0);
	tu_put16(icmp + 2, tu_fold(tu_sum(icmp, len - 54,
					  tu_pseudo(ip, true, 58,
						    (uint32_t)(len - 54)))));
	return len;
}

static void
test_nd_reply(void **state)
{
	static const uint8_t mac[6] = {0x02, 0xaa, 0, 0, 0, 0x0a};
	static const uint8_t ll[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0,
				       0,    0,	   0, 0, 0, 0, 0, 1};
	static const uint8_t unspec[16];
	struct dp_rule r;
	uint8_t req[128], want[128];
	const uint8_t *o;
	size_t len;
	struct tu t;
	uint64_t d[DP_DROP__COUNT];

	(void)state;
	/* The advertisement, by hand: RFC 4861 4.4 and 7.2.4. */
	memset(want, 0, sizeof(want));
	memcpy(want, (const uint8_t[6]){2, 0, 0, 0, 0, 7}, 6);
	memcpy(want + 6, mac, 6);
	tu_put16(want + 12, 0x86dd);
	want[14] = 0x60;
	tu_put16(want + 18, 32);
	want[20] = 58;
	want[21] = 255;
	want[22] = 0xfd;
	want[37] = 1;
	memcpy(want + 38, ll, 16);
	want[54] = 136;
	want[58] = 0xe0; /* router, solicited, override */
	memcpy(want + 62, want + 22, 16);
	want[78] = 2;
	want[79] = 1;
	memcpy(want + 80, mac, 6);
	tu_put16(want + 56,
		 tu_fold(tu_sum(want + 54, 32,
				tu_pseudo(want + 14, true, 58, 32))));

	tu_rule(&r, 0, 1, 0);
	tu_act(&r, DP_ACT_ND_REPLY);
	memcpy(r.actions[0].u.mac, mac, 6);
	out_act(&r, DP_PORT_IN_PORT);
	one_rule(&t, &r);
	for (int sll = 0; sll < 2; sll++) {
		len = nd_ns_frame(req, sll, 255, ll);
		assert_int_equal(len, sll ? 86 : 78);
		tu_run(&t, req, (uint32_t)len, 4);
		assert_int_equal(t.out.n_tx, 1);
		assert_int_equal(t.out.tx_port[0], 4);
		assert_int_equal(t.out.tx[0]->len, 86);
		o = t.out.tx[0]->data;
		assert_memory_equal(o, want, 86);
		/* The checksum verifies over the pseudo-header. */
		assert_int_equal(
			tu_fold(tu_sum(o + 54, 32,
				       tu_pseudo(o + 14, true, 58, 32))),
			0);
	}
	/* Not answered: DAD (source ::), hop limit not 255, an NA. */
	len = nd_ns_frame(req, true, 255, unspec);
	tu_run(&t, req, (uint32_t)len, 4);
	assert_int_equal(t.out.n_drop, 1);
	len = nd_ns_frame(req, true, 64, ll);
	tu_run(&t, req, (uint32_t)len, 4);
	assert_int_equal(t.out.n_drop, 1);
	tu_run(&t, want, 86, 4);
	assert_int_equal(t.out.n_drop, 1);
	/* Truncated NS: 8 bytes of ICMPv6 only. */
	len = nd_ns_frame(req, false, 255, ll);
	tu_put16(req + 18, 8);
	tu_run(&t, req, 62, 4);
	assert_int_equal(t.out.n_drop, 1);
	dp_pipeline_drop_stats(t.pl, d);
	assert_int_equal(d[DP_DROP_BAD_ARP], 4);
	tu_teardown(&t);
}

static void
test_trace_frame(void **state)
{
	uint32_t dst = htonl(0x0a0000fe);
	struct dp_trace *tr = malloc(sizeof(*tr));
	struct dp_rule r;
	struct tu_frame f;
	uint8_t in[128], want[128];
	size_t len;
	struct dp_cache_stats cs;
	struct tu t;

	(void)state;
	tu_frame_udp4(&f);
	len = tu_build(&f, in);
	f.dst4 = 0x0a0000fe;
	tu_build(&f, want);
	tu_rule(&r, 0, 3, 0);
	r.cookie = 0xfeed;
	set_act(&r, DP_F_NW_DST, &dst);
	out_act(&r, 4);
	out_act(&r, 6);
	one_rule(&t, &r);
	assert_int_equal(dp_pipeline_trace(t.pl, in, (uint32_t)len, 1, tr), 0);
	assert_int_equal(tr->parse_error, -1);
	assert_int_equal(tr->key.nw_dst, htonl(0x0a000002));
	assert_int_equal(tr->n_steps, 1);
	assert_int_equal(tr->steps[0].rule.cookie, 0xfeed);
	assert_int_equal(tr->verdict, 0);
	assert_int_equal(tr->n_out, 2);
	assert_int_equal(tr->out_port[0], 4);
	assert_int_equal(tr->out_port[1], 6);
	assert_int_equal(tr->out_len, len);
	assert_memory_equal(tr->out_frame, want, len);
	/* Trace touches neither cache nor counters. */
	dp_pipeline_cache_stats(t.pl, &cs);
	assert_int_equal(cs.misses + cs.hits, 0);
	assert_int_equal(dp_pipeline_trace(t.pl, in, 10, 1, tr), 0);
	assert_int_equal(tr->parse_error, DP_DROP_TRUNC_ETH);
	assert_int_equal(tr->verdict, DP_DROP_TRUNC_ETH + 1);
	tu_teardown(&t);
	free(tr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_clone_punt_drop),
		cmocka_unit_test(test_big_burst),
		cmocka_unit_test(test_output_then_modify),
		cmocka_unit_test(test_set_eth),
		cmocka_unit_test(test_set_ipv4),
		cmocka_unit_test(test_set_udp_zero_csum),
		cmocka_unit_test(test_set_ipv6),
		cmocka_unit_test(test_set_key_only),
		cmocka_unit_test(test_vlan_push_pop),
		cmocka_unit_test(test_dec_ttl),
		cmocka_unit_test(test_vxlan),
		cmocka_unit_test(test_arp_reply),
		cmocka_unit_test(test_nd_reply),
		cmocka_unit_test(test_trace_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
