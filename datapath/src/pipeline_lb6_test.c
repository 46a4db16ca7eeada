/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline_lb6_test.c: lb_select with IPv6 pools over the real pipeline
 * with frames: full NAT of new TCP and UDP connections (destination to the
 * member, source to the pool's IPv6 address and a port) and of their
 * replies, every checksum verified from scratch (pl_test_util.h); the
 * four algorithms spread as for IPv4; drain, backups and down members; a
 * packet of the other family than the pool's dropped and counted
 * (lb_family) both ways; an ICMPv6 error about a connection translated
 * back to the client; stats of IPv6 members, kept across a replacement;
 * refused pools and members with their messages.
 *
 * Rules and pipeline: pl_lb_test_util.h, as pipeline_lb_test.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "pl_lb.h"
#include "pl_lb_test_util.h"
#include "pl_test_util.h"

enum { P_CLIENT = 1, P_MEMBER = 2, P_OUT = 3, POOL = 1, NM = 16 };
enum { TCP_SYN = 0x02, TCP_ACK = 0x10 };
enum { VIP_PORT = 80, MEMBER_PORT = 8080 };

/* 2001:db8::10 (VIP), 2001:db8:1::1 (the pool's source), members
 * 2001:db8:2::N, clients 2001:db8:c::/64. */
static const uint8_t vip6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x10};
static const uint8_t lb6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1};

static void
member6(unsigned i, uint8_t *a)
{
	static const uint8_t base[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 2};

	memcpy(a, base, 16);
	a[15] = (uint8_t)(10 + i);
}

static void
client6(uint32_t id, uint8_t *a)
{
	static const uint8_t base[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x0c};

	memcpy(a, base, 16);
	a[12] = (uint8_t)(id >> 24);
	a[13] = (uint8_t)(id >> 16);
	a[14] = (uint8_t)(id >> 8);
	a[15] = (uint8_t)id;
}

static void
setup_lb(struct tu *t)
{
	lbt_setup(t, 1 << 16, 0);
}

static void
pool_head(struct dp_lb_pool *p, uint8_t alg, unsigned n)
{
	memset(p, 0, sizeof(*p));
	p->id = POOL;
	p->alg = alg;
	p->flags = DP_LB_POOL_F_IPV6;
	p->n_members = n;
	memcpy(p->src_addr6, lb6, 16);
}

/* Members 0 .. n-1, weights w (NULL: 1), flags f (NULL: up). */
static void
set_pool6(struct tu *t, uint8_t alg, unsigned n, const uint16_t *w,
	  const uint8_t *f)
{
	struct dp_lb_member6 m[NM];
	struct dp_lb_pool p;
	char err[256];

	pool_head(&p, alg, n);
	memset(m, 0, sizeof(m));
	for (unsigned i = 0; i < n; i++) {
		member6(i, m[i].addr);
		m[i].port = htons(MEMBER_PORT);
		m[i].weight = w != NULL ? w[i] : 1;
		m[i].flags = f != NULL ? f[i] : DP_LB_M_UP;
	}
	if (dp_pipeline_lb_set6(t->pl, &p, m, err, sizeof(err)) != 0)
		fail_msg("lb_set6: %s", err);
}

static size_t
frame6(uint8_t *b, uint8_t proto, const uint8_t *src, uint16_t sport,
       const uint8_t *dst, uint16_t dport, uint8_t flags)
{
	struct tu_frame f;

	tu_frame_udp4(&f);
	f.eth_type = 0x86dd;
	f.proto = proto;
	memcpy(f.src6, src, 16);
	memcpy(f.dst6, dst, 16);
	f.sport = sport;
	f.dport = dport;
	f.tcp_flags = flags;
	f.payload = proto == 6 ? 7 : 19; /* odd: the checksum's last byte */
	return tu_build(&f, b);
}

/*
 * A client packet to the VIP: the member index it went to (the frame
 * checked: source the pool's address, destination port the member's,
 * checksums), or -1 when dropped. *lport: the pool's source port.
 */
static int
send_c(struct tu *t, uint8_t proto, const uint8_t *src, uint16_t sport,
       uint8_t flags, uint16_t *lport)
{
	uint8_t b[256], m0[16];
	size_t len = frame6(b, proto, src, sport, vip6, VIP_PORT, flags);
	const uint8_t *o;

	tu_run(t, b, (uint32_t)len, P_CLIENT);
	if (t->out.n_tx == 0)
		return -1;
	assert_int_equal(t->out.n_tx, 1);
	assert_int_equal(t->out.tx_port[0], P_OUT);
	o = t->out.tx[0]->data;
	assert_int_equal(t->out.tx[0]->len, len);
	assert_true(tu_csum_ok(o, t->out.tx[0]->len));
	assert_memory_equal(o + 22, lb6, 16);
	assert_int_equal(lbt_get16(o + 56), MEMBER_PORT);
	if (lport != NULL)
		*lport = lbt_get16(o + 54);
	member6(0, m0);
	assert_memory_equal(o + 38, m0, 15);
	assert_true(o[53] >= m0[15] && o[53] < m0[15] + NM);
	return o[53] - m0[15];
}

static int
syn(struct tu *t, uint32_t client, uint16_t sport)
{
	uint8_t c[16];

	client6(client, c);
	return send_c(t, 6, c, sport, TCP_SYN, NULL);
}

static void
spread(struct tu *t, unsigned n_conn, unsigned *count)
{
	for (unsigned i = 0; i < n_conn; i++) {
		int m = syn(t, lbt_rnd(), (uint16_t)(1024 + lbt_rnd() % 60000));

		assert_true(m >= 0 && m < NM);
		count[m]++;
	}
}

static const uint8_t algs[] = {DP_LB_SOURCE_IP_PORT, DP_LB_SOURCE_IP,
			       DP_LB_ROUND_ROBIN, DP_LB_LEAST_CONNECTIONS};

/*
 * A member's reply to the pool's address and port: reaches the client
 * from the VIP, its checksum right.
 */
static void
reply_check(struct tu *t, uint8_t proto, unsigned m, uint16_t lport,
	    const uint8_t *client, uint16_t cport, uint8_t flags)
{
	uint8_t b[256], ma[16];
	size_t len;
	const uint8_t *o;

	member6(m, ma);
	len = frame6(b, proto, ma, MEMBER_PORT, lb6, lport, flags);
	tu_run(t, b, (uint32_t)len, P_MEMBER);
	assert_int_equal(t->out.n_tx, 1);
	o = t->out.tx[0]->data;
	assert_true(tu_csum_ok(o, t->out.tx[0]->len));
	assert_memory_equal(o + 22, vip6, 16);
	assert_memory_equal(o + 38, client, 16);
	assert_int_equal(lbt_get16(o + 54), VIP_PORT);
	assert_int_equal(lbt_get16(o + 56), cport);
}

/* TCP and UDP both ways, every algorithm. */
static void
test_nat_both_ways(void **state)
{
	(void)state;
	for (unsigned a = 0; a < sizeof(algs); a++) {
		uint8_t c[16];
		uint16_t lport;
		struct tu t;
		int m, m2;

		setup_lb(&t);
		set_pool6(&t, algs[a], 4, NULL, NULL);
		client6(0x01020304u + a, c);
		m = send_c(&t, 6, c, 40000, TCP_SYN, &lport);
		assert_true(m >= 0 && m < 4);
		/* The client's port is kept when free (lb_candidate). */
		assert_int_equal(lport, 40000);
		assert_int_equal(t.out.tx[0]->data[14 + 40 + 13], TCP_SYN);
		reply_check(&t, 6, (unsigned)m, lport, c, 40000,
			    TCP_SYN | TCP_ACK);
		/* The next client packet: same member, same port. */
		m2 = send_c(&t, 6, c, 40000, TCP_ACK, &lport);
		assert_int_equal(m2, m);
		assert_int_equal(lport, 40000);
		/* UDP. */
		m = send_c(&t, 17, c, 5353, 0, &lport);
		assert_true(m >= 0 && m < 4);
		reply_check(&t, 17, (unsigned)m, lport, c, 5353, 0);
		tu_teardown(&t);
	}
}

/* 6,000 connections over 3 members: within 10% of even, every alg. */
static void
test_even(void **state)
{
	(void)state;
	for (unsigned a = 0; a < sizeof(algs); a++) {
		unsigned count[NM] = {0};
		struct tu t;

		setup_lb(&t);
		set_pool6(&t, algs[a], 3, NULL, NULL);
		spread(&t, 6000, count);
		for (unsigned i = 0; i < 3; i++)
			if (count[i] < 1800 || count[i] > 2200)
				fail_msg("alg %u member %u: %u of 6000",
					 algs[a], i, count[i]);
		tu_teardown(&t);
	}
}

/* SOURCE_IP: one client's connections all reach one member. */
static void
test_source_ip(void **state)
{
	struct tu t;

	(void)state;
	setup_lb(&t);
	set_pool6(&t, DP_LB_SOURCE_IP, 8, NULL, NULL);
	for (uint32_t c = 1; c < 50; c++) {
		int m = syn(&t, c * 7919u, 1024);

		for (uint16_t p = 1025; p < 1030; p++)
			assert_int_equal(syn(&t, c * 7919u, p), m);
	}
	tu_teardown(&t);
}

/* Weight 0 drains, backups only when no primary is up, down never. */
static void
test_drain_backup_down(void **state)
{
	uint16_t w[3] = {1, 1, 1};
	uint8_t f[3] = {DP_LB_M_UP, DP_LB_M_UP, DP_LB_M_UP | DP_LB_M_BACKUP};
	unsigned count[NM] = {0};
	uint8_t c[16];
	struct tu t;
	int m;

	(void)state;
	setup_lb(&t);
	set_pool6(&t, DP_LB_SOURCE_IP_PORT, 3, w, NULL);
	client6(99, c);
	m = send_c(&t, 6, c, 5555, TCP_SYN, NULL);
	assert_true(m >= 0 && m < 3);
	w[m] = 0;
	set_pool6(&t, DP_LB_SOURCE_IP_PORT, 3, w, NULL);
	for (int i = 0; i < 3; i++)
		assert_int_equal(send_c(&t, 6, c, 5555, TCP_ACK, NULL), m);
	spread(&t, 600, count);
	assert_int_equal(count[m], 0);

	set_pool6(&t, DP_LB_ROUND_ROBIN, 3, NULL, f);
	memset(count, 0, sizeof(count));
	spread(&t, 300, count);
	assert_int_equal(count[2], 0);
	assert_true(count[0] > 0 && count[1] > 0);
	f[0] = f[1] = 0; /* primaries down: the backup */
	set_pool6(&t, DP_LB_LEAST_CONNECTIONS, 3, NULL, f);
	memset(count, 0, sizeof(count));
	spread(&t, 200, count);
	assert_int_equal(count[2], 200);
	f[2] = DP_LB_M_BACKUP; /* nothing up: dropped */
	set_pool6(&t, DP_LB_SOURCE_IP, 3, NULL, f);
	assert_int_equal(syn(&t, 12345, 7777), -1);
	tu_teardown(&t);
}

static uint64_t
drops(struct tu *t, enum dp_drop_reason r)
{
	uint64_t d[DP_DROP__COUNT];

	dp_pipeline_drop_stats(t->pl, d);
	return d[r];
}

/* v6 pool, v4 packet; v4 pool, v6 packet: dropped, counted lb_family. */
static void
test_family_mismatch(void **state)
{
	struct dp_lb_member m4 = {.addr = htonl(0xc0a8010a),
				  .port = htons(MEMBER_PORT),
				  .weight = 1,
				  .flags = DP_LB_M_UP};
	struct dp_trace *tr;
	struct dp_lb_pool p;
	struct tu_frame f;
	uint8_t b[256];
	char err[256];
	size_t len;
	struct tu t;

	(void)state;
	setup_lb(&t);
	set_pool6(&t, DP_LB_ROUND_ROBIN, 2, NULL, NULL);
	tu_frame_udp4(&f);
	f.proto = 6;
	f.tcp_flags = TCP_SYN;
	f.dst4 = 0xcb00710a;
	f.dport = VIP_PORT;
	len = tu_build(&f, b);
	/* A trace says so (nothing picked there), and counts nothing. */
	tr = malloc(sizeof(*tr));
	assert_non_null(tr);
	assert_int_equal(
		dp_pipeline_trace(t.pl, b, (uint32_t)len, P_CLIENT, tr), 0);
	assert_int_equal(tr->verdict, DP_DROP_LB_FAMILY + 1);
	free(tr);
	assert_int_equal(drops(&t, DP_DROP_LB_FAMILY), 0);
	tu_run(&t, b, (uint32_t)len, P_CLIENT);
	assert_int_equal(t.out.n_tx, 0);
	assert_int_equal(drops(&t, DP_DROP_LB_FAMILY), 1);
	assert_int_equal(drops(&t, DP_DROP_LB_NO_MEMBER), 0);
	/* Nothing was committed. */
	{
		struct dp_ct_stats cs;

		dp_pipeline_ct_stats(t.pl, &cs);
		assert_int_equal(cs.entries, 0);
	}
	/* The same id as an IPv4 pool: a v6 SYN is the mismatch now. */
	memset(&p, 0, sizeof(p));
	p.id = POOL;
	p.alg = DP_LB_ROUND_ROBIN;
	p.src_addr = htonl(0xc0a80101);
	p.n_members = 1;
	assert_int_equal(dp_pipeline_lb_set(t.pl, &p, &m4, err, sizeof(err)),
			 0);
	assert_int_equal(syn(&t, 7, 1234), -1);
	assert_int_equal(drops(&t, DP_DROP_LB_FAMILY), 2);
	/* ... and the v4 SYN goes through. */
	tu_run(&t, b, (uint32_t)len, P_CLIENT);
	assert_int_equal(t.out.n_tx, 1);
	assert_string_equal(dp_drop_reason_name(DP_DROP_LB_FAMILY),
			    "lb_family");
	tu_teardown(&t);
}

/*
 * An ICMPv6 port unreachable from the member about the translated SYN
 * goes back to the client: outer destination the client, the inner packet
 * the client's own (client -> VIP), the ICMPv6 and inner TCP checksums
 * right.
 */
static void
test_icmp6_error(void **state)
{
	uint8_t c[16], ma[16], b[512], inner[128];
	size_t ilen, len;
	const uint8_t *o;
	struct tu_frame f;
	uint16_t lport;
	struct tu t;
	uint32_t s;
	int m;

	(void)state;
	setup_lb(&t);
	set_pool6(&t, DP_LB_SOURCE_IP_PORT, 2, NULL, NULL);
	client6(77, c);
	m = send_c(&t, 6, c, 33333, TCP_SYN, &lport);
	assert_true(m >= 0);
	/* The translated SYN as the member got it, 14 bytes of Ethernet
	 * off: the error quotes it. */
	ilen = t.out.tx[0]->len - 14;
	memcpy(inner, t.out.tx[0]->data + 14, ilen);
	member6((unsigned)m, ma);
	tu_frame_udp4(&f);
	f.eth_type = 0x86dd;
	f.proto = 58;
	f.sport = 1; /* destination unreachable */
	f.dport = 4; /* port unreachable */
	memcpy(f.src6, ma, 16);
	memcpy(f.dst6, lb6, 16);
	f.payload = (uint16_t)ilen;
	len = tu_build(&f, b);
	memcpy(b + 14 + 40 + 8, inner, ilen);
	b[14 + 40 + 2] = 0;
	b[14 + 40 + 3] = 0;
	s = tu_pseudo(b + 14, true, 58, (uint32_t)(8 + ilen));
	tu_put16(b + 14 + 40 + 2, tu_fold(tu_sum(b + 54, 8 + ilen, s)));
	assert_true(tu_csum_ok(b, len));
	tu_run(&t, b, (uint32_t)len, P_MEMBER);
	assert_int_equal(t.out.n_tx, 1);
	o = t.out.tx[0]->data;
	assert_true(tu_csum_ok(o, t.out.tx[0]->len));
	assert_memory_equal(o + 22, vip6, 16); /* from the VIP's side */
	assert_memory_equal(o + 38, c, 16);
	/* The inner packet: client -> VIP:80, its TCP checksum right. */
	assert_memory_equal(o + 62 + 8, c, 16);
	assert_memory_equal(o + 62 + 24, vip6, 16);
	assert_int_equal(lbt_get16(o + 102), 33333);
	assert_int_equal(lbt_get16(o + 104), VIP_PORT);
	s = tu_pseudo(o + 62, true, 6, (uint32_t)(ilen - 40));
	assert_int_equal(tu_fold(tu_sum(o + 102, ilen - 40, s)), 0);
	tu_teardown(&t);
}

struct stats6 {
	unsigned n4, n6;
	struct dp_lb_pool_stats ps;
	struct dp_lb_member6_stats ms[NM];
};

static int
stats_cb4(const struct dp_lb_pool_stats *ps,
	  const struct dp_lb_member_stats *ms, void *arg)
{
	struct stats6 *s = arg;

	(void)ps;
	(void)ms;
	s->n4++;
	return 0;
}

static int
stats_cb6(const struct dp_lb_pool_stats *ps,
	  const struct dp_lb_member6_stats *ms, void *arg)
{
	struct stats6 *s = arg;

	s->n6++;
	s->ps = *ps;
	memcpy(s->ms, ms, ps->n_members * sizeof(*ms));
	return 0;
}

/* Counters name IPv6 members and survive a replacement of the pool. */
static void
test_stats(void **state)
{
	uint16_t w[2] = {1, 1};
	struct stats6 s;
	uint8_t a0[16];
	uint64_t total;
	struct tu t;

	(void)state;
	setup_lb(&t);
	set_pool6(&t, DP_LB_ROUND_ROBIN, 2, w, NULL);
	for (uint32_t i = 0; i < 10; i++)
		assert_true(syn(&t, i + 1, 2000) >= 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(
		dp_pipeline_lb_stats_all(t.pl, POOL, stats_cb4, stats_cb6, &s),
		0);
	assert_int_equal(s.n4, 0);
	assert_int_equal(s.n6, 1);
	assert_true(s.ps.flags & DP_LB_POOL_F_IPV6);
	assert_int_equal(s.ps.n_members, 2);
	assert_int_equal(s.ps.total, 10);
	assert_int_equal(s.ps.active, 10);
	member6(0, a0);
	assert_memory_equal(s.ms[0].m.addr, a0, 16);
	assert_int_equal(ntohs(s.ms[0].m.port), MEMBER_PORT);
	assert_int_equal(s.ms[0].total + s.ms[1].total, 10);
	assert_int_equal(s.ms[0].table_entries + s.ms[1].table_entries,
			 s.ps.table_size);
	total = s.ms[0].total;
	/* Drained member 0: kept (same address and port), counters too. */
	w[0] = 0;
	set_pool6(&t, DP_LB_ROUND_ROBIN, 2, w, NULL);
	memset(&s, 0, sizeof(s));
	assert_int_equal(
		dp_pipeline_lb_stats_all(t.pl, 0, stats_cb4, stats_cb6, &s), 0);
	assert_int_equal(s.ms[0].total, total);
	assert_int_equal(s.ms[0].table_entries, 0);
	/* The IPv4-only walk skips IPv6 pools. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(dp_pipeline_lb_stats(t.pl, 0, stats_cb4, &s), 0);
	assert_int_equal(s.n4 + s.n6, 0);
	tu_teardown(&t);
}

static void
expect_refused(struct tu *t, const struct dp_lb_pool *p,
	       const struct dp_lb_member6 *m, const char *want)
{
	char err[256] = "";

	assert_int_equal(dp_pipeline_lb_set6(t->pl, p, m, err, sizeof(err)),
			 -EINVAL);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not name '%s'", err, want);
}

/* Bad pools and members: refused, the message naming what and which. */
static void
test_bad(void **state)
{
	struct dp_lb_member6 m[2];
	struct dp_lb_member m4[1];
	struct dp_lb_pool p;
	char err[256] = "";
	struct tu t;

	(void)state;
	setup_lb(&t);
	memset(m, 0, sizeof(m));
	member6(0, m[0].addr);
	member6(1, m[1].addr);
	m[0].port = m[1].port = htons(MEMBER_PORT);
	m[0].weight = m[1].weight = 1;
	m[0].flags = m[1].flags = DP_LB_M_UP;
	pool_head(&p, DP_LB_ROUND_ROBIN, 2);

	m[1].weight = 300;
	expect_refused(&t, &p, m,
		       "member 1 ([2001:db8:2::b]:8080): weight 300 over the "
		       "maximum 256");
	m[1].weight = 1;
	m[1].flags = 0x80;
	expect_refused(&t, &p, m,
		       "member 1 ([2001:db8:2::b]:8080): unknown "
		       "flags 0x80");
	m[1].flags = DP_LB_M_UP;
	m[1].addr[0] = 0xff;
	expect_refused(&t, &p, m,
		       "member 1 ([ff01:db8:2::b]:8080): address "
		       "is multicast");
	memset(m[1].addr, 0, 16);
	expect_refused(&t, &p, m, "address is unspecified (::)");
	memcpy(m[1].addr, m[0].addr, 16);
	expect_refused(&t, &p, m, "member [2001:db8:2::a]:8080 listed twice");
	member6(1, m[1].addr);
	memset(p.src_addr6, 0, 16);
	p.src_addr6[15] = 1;
	expect_refused(&t, &p, m, "pool 1: IPv6 source address is loopback");
	memcpy(p.src_addr6, lb6, 16);
	p.src_addr = htonl(0xc0a80101);
	expect_refused(&t, &p, m, "an IPv6 pool with an IPv4 source address");
	p.src_addr = 0;
	p.flags |= 0x40;
	expect_refused(&t, &p, m, "unknown flags 0x41");
	p.flags = DP_LB_POOL_F_IPV6;
	/* The IPv4 call refuses the flag; an IPv4 pool an IPv6 source. */
	memset(m4, 0, sizeof(m4));
	assert_int_equal(dp_pipeline_lb_set(t.pl, &p, m4, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "flag ipv6 with IPv4 members"));
	p.flags = 0;
	p.src_addr = htonl(0xc0a80101);
	p.n_members = 0;
	assert_int_equal(dp_pipeline_lb_set(t.pl, &p, m4, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "an IPv4 pool with an IPv6 source"));
	/* None of it was set. */
	assert_int_equal(dp_pipeline_lb_del(t.pl, POOL), -ENOENT);
	/* Good: accepted, and deleted like an IPv4 pool. */
	pool_head(&p, DP_LB_ROUND_ROBIN, 2);
	assert_int_equal(dp_pipeline_lb_set6(t.pl, &p, m, err, sizeof(err)), 0);
	assert_int_equal(dp_pipeline_lb_del(t.pl, POOL), 0);
	tu_teardown(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nat_both_ways),
		cmocka_unit_test(test_even),
		cmocka_unit_test(test_source_ip),
		cmocka_unit_test(test_drain_backup_down),
		cmocka_unit_test(test_family_mismatch),
		cmocka_unit_test(test_icmp6_error),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
