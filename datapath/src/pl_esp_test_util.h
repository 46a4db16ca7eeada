/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pl_esp_test_util.h: what the ESP unit tests (pipeline_esp_test.c,
 * pipeline_esp6_test.c) share on top of pl_test_util.h: the two sites'
 * pipelines, a set_field action for a MAC, an SA's counters by id, a
 * pipeline drop counter, TCP frames with options for the MSS clamping
 * tests.
 * Header-only, static functions, for cmocka tests (asserts on failure).
 */
#ifndef SLUICE_PL_ESP_TEST_UTIL_H
#define SLUICE_PL_ESP_TEST_UTIL_H

#include "pl_esp.h"
#include "pl_test_util.h"

/* Two pipelines: site A encrypts, site B decrypts. */
struct pair {
	struct tu a, b;
};

static inline void
pair_teardown(struct pair *p)
{
	tu_teardown(&p->a);
	tu_teardown(&p->b);
}

/* Append set_field:MAC->f to r. */
static inline void
set_mac(struct dp_rule *r, enum dp_field f, const uint8_t *mac)
{
	struct dp_action *a = tu_act(r, DP_ACT_SET_FIELD);

	a->u.set.field = (uint16_t)f;
	memcpy(a->u.set.value, mac, 6);
}

/* pl_esp_sa_dump() visitor: copy the SA into arg. */
static inline int
info_cb(const struct dp_sa_info *si, void *arg)
{
	*(struct dp_sa_info *)arg = *si;
	return 0;
}

/* SA id of pl with its counters (it must exist). */
static inline struct dp_sa_info
sa_get(struct dp_pipeline *pl, uint32_t id)
{
	struct dp_sa_info si;

	memset(&si, 0, sizeof(si));
	assert_int_equal(pl_esp_sa_dump(pl, id, info_cb, &si), 0);
	return si;
}

/* Packets pl dropped for reason r. */
static inline uint64_t
drops(struct dp_pipeline *pl, enum dp_drop_reason r)
{
	uint64_t d[DP_DROP__COUNT];

	dp_pipeline_drop_stats(pl, d);
	return d[r];
}

/*
 * The guests' addresses on f: 10.1.0.5 -> 10.2.0.7, or with is_v6 an
 * IPv6 frame fd01::5 -> fd02::7.
 */
static inline void
guest_addrs(struct tu_frame *f, bool is_v6)
{
	f->src4 = 0x0a010005;
	f->dst4 = 0x0a020007;
	if (!is_v6)
		return;
	f->eth_type = 0x86dd;
	f->src6[0] = f->dst6[0] = 0xfd;
	f->src6[1] = 1;
	f->dst6[1] = 2;
	f->src6[15] = 5;
	f->dst6[15] = 7;
}

/*
 * A TCP guest frame, IPv4 (10.1.0.5:40000 -> 10.2.0.7:5201) or IPv6
 * (fd01::5 -> fd02::7), with TCP flags and the opt_len option bytes opt
 * (a multiple of 4, at most 40), no payload, checksums right. Its length.
 */
static inline size_t
tcp_opt_frame(uint8_t *b, bool is_v6, uint8_t flags, const uint8_t *opt,
	      unsigned opt_len)
{
	struct tu_frame f;
	uint8_t *ip = b + 14, *l4 = ip + (is_v6 ? 40 : 20);
	uint32_t l4_len = 20 + opt_len;
	size_t n;

	assert_true(opt_len % 4 == 0 && opt_len <= 40);
	tu_frame_udp4(&f);
	f.proto = 6;
	f.sport = 40000;
	f.dport = 5201;
	f.tcp_flags = flags;
	f.payload = (uint16_t)opt_len;
	guest_addrs(&f, is_v6);
	n = tu_build(&f, b);
	memcpy(l4 + 20, opt, opt_len);
	l4[12] = (uint8_t)((5 + opt_len / 4) << 4);
	l4[16] = l4[17] = 0;
	tu_put16(l4 + 16,
		 tu_fold(tu_sum(l4, l4_len, tu_pseudo(ip, is_v6, 6, l4_len))));
	assert_true(tu_csum_ok(b, n));
	return n;
}

/* The 16-bit value at byte off of the TCP header of a tcp_opt_frame(). */
static inline unsigned
tcp_at16(const uint8_t *b, bool is_v6, unsigned off)
{
	const uint8_t *l4 = b + 14 + (is_v6 ? 40 : 20) + off;

	return (unsigned)(l4[0] << 8 | l4[1]);
}

/*
 * Check that frame out (what a site sent after a tcp_opt_frame() went
 * through it) is frame in with the MSS value at TCP byte at set to mss
 * (at 0: nothing changed), a checksum verified from scratch, and the
 * Ethernet addresses aside.
 */
static inline void
tcp_check_mss(const uint8_t *out, const uint8_t *in, size_t n, bool is_v6,
	      unsigned at, unsigned mss)
{
	unsigned l4 = 14 + (is_v6 ? 40 : 20);

	assert_true(tu_csum_ok(out, n));
	assert_memory_equal(out + 12, in + 12, l4 + 16 - 12);
	if (at == 0) {
		assert_memory_equal(out + l4 + 16, in + l4 + 16, n - l4 - 16);
		return;
	}
	assert_int_equal(tcp_at16(out, is_v6, at), mss);
	assert_memory_equal(out + l4 + 18, in + l4 + 18, at - 18);
	assert_memory_equal(out + l4 + at + 2, in + l4 + at + 2,
			    n - l4 - at - 2);
}

#endif /* SLUICE_PL_ESP_TEST_UTIL_H */
