/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline_ct_test.c: the ct action over the real pipeline with frames:
 * TCP states, reply direction, invalid packets, zones, the lookup-then-
 * commit pattern, UDP and ICMP echo, source and destination NAT with port
 * allocation and collisions, un-NAT of replies, ICMP errors related and
 * translated (checksums verified from scratch), expiry on an injected
 * clock with the sweep, a full table that keeps established flows going,
 * flush by zone, and the text syntax and validation of ct.
 *
 * Every test installs rules whose table 1 outputs a packet to port
 * 0x100 + ct_state, so the port a packet leaves by is the state it got.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "dp_flow_text.h"
#include "pl_ct.h"
#include "pl_lb.h"
#include "pl_test_util.h"

enum { PROBE = 0x100, P_A = 1, P_B = 2 };

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static const uint32_t ip_a = IP4(10, 0, 0, 1), ip_a2 = IP4(10, 0, 0, 3);
static const uint32_t ip_b = IP4(198, 51, 100, 2);
static const uint32_t ip_nat = IP4(203, 0, 113, 5);
static const uint32_t ip_rtr = IP4(198, 51, 100, 254);

static uint32_t fake_now = 1;
static unsigned probe_table = 1;

static uint32_t
fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

static void
setup_ct(struct tu *t, uint32_t ct_max)
{
	struct dp_pipeline_config cfg = {.n_workers = 1, .ct_max = ct_max};
	struct dp_packet_ops ops = {.clone = tu_clone};

	memset(t, 0, sizeof(*t));
	assert_int_equal(dp_pipeline_create(&cfg, &t->pl), 0);
	assert_int_equal(dp_worker_create(t->pl, 0, &ops, &t->w), 0);
	fake_now = 1;
	pl_ct_set_clock(pl_ct_of(t->pl), fake_clock, NULL);
}

/* Install rule lines plus the probe table 1 (output 0x100 + ct_state). */
static void
install(struct tu *t, const char *const *lines)
{
	struct dp_rule *rules = calloc(300, sizeof(*rules));
	char err[256];
	unsigned n = 0;

	assert_non_null(rules);
	for (; lines[n] != NULL; n++) {
		int rc = dp_flow_text_parse(lines[n], &rules[n], err,
					    sizeof(err));

		if (rc != 1)
			fail_msg("%s: %s", lines[n], err);
	}
	for (unsigned s = 0; s < 256; s++) {
		struct dp_rule *r = &rules[n++];

		tu_rule(r, probe_table, 1, PROBE + s);
		r->match.ct_state = (uint8_t)s;
		r->mask.ct_state = 0xff;
	}
	assert_int_equal(tu_install(t->pl, rules, n), 0);
	free(rules);
}

/* Run a frame: the ct_state it left with, or -1 when dropped. */
static int
probe(struct tu *t, const uint8_t *f, size_t len, uint32_t in_port)
{
	tu_run(t, f, (uint32_t)len, in_port);
	if (t->out.n_tx != 1)
		return -1;
	return (int)t->out.tx_port[0] - PROBE;
}

static const uint8_t *
out_frame(struct tu *t)
{
	assert_int_equal(t->out.n_tx, 1);
	return t->out.tx[0]->data;
}

static size_t
tcp4(uint8_t *b, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
     uint8_t flags)
{
	struct tu_frame f;

	tu_frame_udp4(&f);
	f.proto = 6;
	f.src4 = src;
	f.dst4 = dst;
	f.sport = sport;
	f.dport = dport;
	f.tcp_flags = flags;
	f.payload = 0;
	return tu_build(&f, b);
}

static size_t
udp4(uint8_t *b, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
	struct tu_frame f;

	tu_frame_udp4(&f);
	f.src4 = src;
	f.dst4 = dst;
	f.sport = sport;
	f.dport = dport;
	return tu_build(&f, b);
}

/* Run a TCP segment (no payload) from src:sport to dst:dport in on
 * in_port; its probe() result. */
static int
probe_tcp(struct tu *t, uint32_t src, uint16_t sport, uint32_t dst,
	  uint16_t dport, uint8_t flags, uint32_t in_port)
{
	uint8_t b[256];

	return probe(t, b, tcp4(b, src, sport, dst, dport, flags), in_port);
}

/* Likewise a UDP datagram. */
static int
probe_udp(struct tu *t, uint32_t src, uint16_t sport, uint32_t dst,
	  uint16_t dport, uint32_t in_port)
{
	uint8_t b[256];

	return probe(t, b, udp4(b, src, sport, dst, dport), in_port);
}

/* ICMP echo request (type 8) or reply (0) with identifier id. */
static size_t
echo4(uint8_t *b, uint32_t src, uint32_t dst, uint8_t type, uint16_t id)
{
	struct tu_frame f;
	size_t len;
	uint8_t *l4;

	tu_frame_udp4(&f);
	f.proto = 1;
	f.src4 = src;
	f.dst4 = dst;
	f.sport = type;
	f.payload = 8;
	len = tu_build(&f, b);
	l4 = b + 14 + 20;
	tu_put16(l4 + 4, id);
	tu_put16(l4 + 2, 0);
	tu_put16(l4 + 2, tu_fold(tu_sum(l4, len - 34, 0)));
	return len;
}

/* An ICMP error (type, code) from src to dst about the frame inner. */
static size_t
icmp_err4(uint8_t *b, uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
	  const uint8_t *inner, size_t inner_n)
{
	struct tu_frame f;
	size_t len;
	uint8_t *l4;

	tu_frame_udp4(&f);
	f.proto = 1;
	f.src4 = src;
	f.dst4 = dst;
	f.sport = type;
	f.dport = code;
	f.payload = (uint16_t)inner_n;
	len = tu_build(&f, b);
	l4 = b + 14 + 20;
	memcpy(l4 + 8, inner + 14, inner_n);
	tu_put16(l4 + 2, 0);
	tu_put16(l4 + 2, tu_fold(tu_sum(l4, len - 34, 0)));
	return len;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

struct ct_seen {
	unsigned n;
	struct dp_ct_entry e[8];
};

static int
collect(const struct dp_ct_entry *e, void *arg)
{
	struct ct_seen *s = arg;

	if (s->n < 8)
		s->e[s->n] = *e;
	s->n++;
	return 0;
}

static struct ct_seen
dump(struct tu *t, uint32_t zone)
{
	struct ct_seen s;

	memset(&s, 0, sizeof(s));
	assert_int_equal(dp_pipeline_ct_dump(t->pl, zone, collect, &s), 0);
	return s;
}

static struct dp_ct_stats
stats(struct tu *t)
{
	struct dp_ct_stats st;

	dp_pipeline_ct_stats(t->pl, &st);
	return st;
}

enum {
	S_NEW = DP_CS_TRK | DP_CS_NEW,
	S_EST = DP_CS_TRK | DP_CS_EST,
	S_RPL = DP_CS_TRK | DP_CS_EST | DP_CS_RPL,
	S_INV = DP_CS_TRK | DP_CS_INV,
	SYN = 0x02,
	ACK = 0x10,
	FIN = 0x01,
	RST = 0x04,
};

/* Commit from port A, look up from port B, zone 1. */
static const char *const fw_rules[] = {
	"table=0,priority=10,in_port=1,actions=ct(zone=1,commit,table=1)",
	"table=0,priority=10,in_port=2,actions=ct(zone=1,table=1)",
	NULL,
};

static void
test_tcp_states(void **state)
{
	uint8_t b[256];
	struct tu t;
	struct ct_seen s;
	size_t n;

	(void)state;
	setup_ct(&t, 64);
	install(&t, fw_rules);
	n = tcp4(b, ip_a, 1000, ip_b, 80, SYN);
	assert_int_equal(probe(&t, b, n, P_A), S_NEW);
	assert_int_equal(probe(&t, b, n, P_A), S_EST); /* retransmitted */
	s = dump(&t, 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.e[0].tcp_state, DP_CT_TCP_SYN_SENT);
	assert_int_equal(probe_tcp(&t, ip_b, 80, ip_a, 1000, SYN | ACK, P_B),
			 S_RPL);
	assert_int_equal(probe_tcp(&t, ip_a, 1000, ip_b, 80, ACK, P_A), S_EST);
	s = dump(&t, 1);
	assert_int_equal(s.e[0].tcp_state, DP_CT_TCP_ESTABLISHED);
	assert_int_equal(s.e[0].expires, 24 * 3600);
	/* A SYN from the server side of an established connection. */
	assert_int_equal(probe_tcp(&t, ip_b, 80, ip_a, 1000, SYN, P_B), S_INV);
	assert_int_equal(stats(&t).invalid[DP_CT_INV_TCP_STATE], 1);
	/* Close: FIN each way, then TIME_WAIT; a new SYN reopens. */
	assert_int_equal(probe_tcp(&t, ip_a, 1000, ip_b, 80, FIN | ACK, P_A),
			 S_EST);
	assert_int_equal(dump(&t, 1).e[0].tcp_state, DP_CT_TCP_FIN_WAIT);
	assert_int_equal(probe_tcp(&t, ip_b, 80, ip_a, 1000, FIN | ACK, P_B),
			 S_RPL);
	assert_int_equal(dump(&t, 1).e[0].tcp_state, DP_CT_TCP_TIME_WAIT);
	assert_int_equal(probe_tcp(&t, ip_a, 1000, ip_b, 80, SYN, P_A), S_NEW);
	assert_int_equal(dump(&t, 1).e[0].tcp_state, DP_CT_TCP_SYN_SENT);
	/* RST closes. */
	assert_int_equal(probe_tcp(&t, ip_b, 80, ip_a, 1000, RST | ACK, P_B),
			 S_RPL);
	s = dump(&t, 1);
	assert_int_equal(s.e[0].tcp_state, DP_CT_TCP_CLOSED);
	assert_int_equal(s.e[0].expires, 10);
	tu_teardown(&t);
}

static void
test_tcp_invalid(void **state)
{
	struct dp_ct_stats st;
	struct tu t;

	(void)state;
	setup_ct(&t, 64);
	install(&t, fw_rules);
	/* A first packet that is not a SYN is invalid, never committed. */
	assert_int_equal(probe_tcp(&t, ip_a, 1001, ip_b, 80, ACK, P_A), S_INV);
	assert_int_equal(probe_tcp(&t, ip_a, 1001, ip_b, 80, RST, P_A), S_INV);
	/* Impossible flags. */
	assert_int_equal(probe_tcp(&t, ip_a, 1002, ip_b, 80, SYN | FIN, P_A),
			 S_INV);
	assert_int_equal(probe_tcp(&t, ip_a, 1002, ip_b, 80, 0, P_A), S_INV);
	/* The reply side may not open with SYN|ACK from the client. */
	assert_int_equal(probe_tcp(&t, ip_a, 1003, ip_b, 80, SYN, P_A), S_NEW);
	assert_int_equal(probe_tcp(&t, ip_a, 1003, ip_b, 80, SYN | ACK, P_A),
			 S_INV);
	st = stats(&t);
	assert_int_equal(st.invalid[DP_CT_INV_TCP_NOT_SYN], 2);
	assert_int_equal(st.invalid[DP_CT_INV_TCP_FLAGS], 2);
	assert_int_equal(st.invalid[DP_CT_INV_TCP_STATE], 1);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.commits, 1);
	tu_teardown(&t);
}

/*
 * A member still in TIME_WAIT answers a reused tuple's SYN with a bare
 * ACK: it passes as a reply (not +inv), the state stays SYN_SENT, the
 * opener's RST closes, and its retried SYN opens anew. A reply FIN in
 * SYN_SENT stays invalid.
 */
static void
test_tcp_challenge_ack(void **state)
{
	struct tu t;

	(void)state;
	setup_ct(&t, 64);
	install(&t, fw_rules);
	assert_int_equal(probe_tcp(&t, ip_a, 1010, ip_b, 80, SYN, P_A), S_NEW);
	assert_int_equal(probe_tcp(&t, ip_b, 80, ip_a, 1010, ACK, P_B), S_RPL);
	assert_int_equal(dump(&t, 1).e[0].tcp_state, DP_CT_TCP_SYN_SENT);
	assert_int_equal(stats(&t).invalid[DP_CT_INV_TCP_STATE], 0);
	assert_int_equal(probe_tcp(&t, ip_b, 80, ip_a, 1010, FIN | ACK, P_B),
			 S_INV);
	assert_int_equal(stats(&t).invalid[DP_CT_INV_TCP_STATE], 1);
	assert_int_equal(probe_tcp(&t, ip_a, 1010, ip_b, 80, RST, P_A), S_EST);
	assert_int_equal(dump(&t, 1).e[0].tcp_state, DP_CT_TCP_CLOSED);
	assert_int_equal(probe_tcp(&t, ip_a, 1010, ip_b, 80, SYN, P_A), S_NEW);
	assert_int_equal(dump(&t, 1).e[0].tcp_state, DP_CT_TCP_SYN_SENT);
	tu_teardown(&t);
}

static void
test_zones(void **state)
{
	static const char *const rules[] = {
		"table=0,priority=10,in_port=1,actions=ct(zone=1,commit,"
		"table=1)",
		"table=0,priority=10,in_port=2,actions=ct(zone=2,table=1)",
		"table=0,priority=10,in_port=3,actions=ct(zone=1,table=1)",
		NULL,
	};
	uint8_t b[256];
	struct tu t;
	size_t n;

	(void)state;
	setup_ct(&t, 64);
	install(&t, rules);
	assert_int_equal(probe_udp(&t, ip_a, 1000, ip_b, 53, P_A), S_NEW);
	n = udp4(b, ip_b, 53, ip_a, 1000);
	assert_int_equal(probe(&t, b, n, 2), S_NEW); /* zone 2: unknown */
	assert_int_equal(probe(&t, b, n, 3), S_RPL); /* zone 1 */
	assert_int_equal(dump(&t, 1).n, 1);
	assert_int_equal(dump(&t, 2).n, 0);
	assert_int_equal(t.out.tx[0]->len, n);
	tu_teardown(&t);
}

/* Security groups look up, then commit what the rules allow. */
static void
test_lookup_then_commit(void **state)
{
	static const char *const rules[] = {
		"table=0,priority=10,actions=ct(zone=7,table=2)",
		"table=2,priority=10,ct_state=+trk+new,udp,tp_dst=53,"
		"actions=ct(zone=7,commit,mark=9,table=10)",
		"table=2,priority=5,ct_state=+trk+est,actions=ct(zone=7,"
		"table=10)",
		NULL,
	};
	uint8_t b[256];
	struct dp_ct_stats st;
	struct tu t;
	size_t n;

	(void)state;
	setup_ct(&t, 64);
	probe_table = 10;
	install(&t, rules);
	probe_table = 1;
	assert_int_equal(probe_udp(&t, ip_a, 1000, ip_b, 53, P_A), S_NEW);
	assert_int_equal(probe_udp(&t, ip_b, 53, ip_a, 1000, P_B), S_RPL);
	n = udp4(b, ip_a, 1000, ip_b, 54); /* not allowed: not committed */
	assert_int_equal(probe(&t, b, n, P_A), -1);
	st = stats(&t);
	assert_int_equal(st.commits, 1);
	assert_int_equal(st.lookups, 5);
	assert_int_equal(dump(&t, 7).e[0].mark, 9);
	tu_teardown(&t);
}

/* A TCP segment (no payload) from fd00::src:sport to fd00::dst:dport. */
static void
tcp6_frame(struct tu_frame *f, uint8_t src, uint8_t dst, uint16_t sport,
	   uint16_t dport, uint8_t flags)
{
	tu_frame_udp4(f);
	f->eth_type = 0x86dd;
	f->src6[0] = 0xfd;
	f->src6[15] = src;
	f->dst6[0] = 0xfd;
	f->dst6[15] = dst;
	f->proto = 6;
	f->sport = sport;
	f->dport = dport;
	f->tcp_flags = flags;
	f->payload = 0;
}

static void
test_udp_icmp_ipv6(void **state)
{
	uint8_t b[256];
	struct tu_frame f;
	struct ct_seen s;
	struct tu t;
	size_t n;

	(void)state;
	setup_ct(&t, 64);
	install(&t, fw_rules);
	assert_int_equal(probe_udp(&t, ip_a, 1000, ip_b, 53, P_A), S_NEW);
	assert_int_equal(dump(&t, 1).e[0].expires, 30);
	assert_int_equal(probe_udp(&t, ip_b, 53, ip_a, 1000, P_B), S_RPL);
	assert_int_equal(dump(&t, 1).e[0].expires, 120);
	/* ICMP echo by identifier; a reply without request is invalid. */
	n = echo4(b, ip_a, ip_b, 8, 77);
	assert_int_equal(probe(&t, b, n, P_A), S_NEW);
	n = echo4(b, ip_b, ip_a, 0, 77);
	assert_int_equal(probe(&t, b, n, P_B), S_RPL);
	n = echo4(b, ip_b, ip_a, 0, 78);
	assert_int_equal(probe(&t, b, n, P_B), S_INV);
	/* IPv6 TCP. */
	tcp6_frame(&f, 1, 2, 4000, 22, SYN);
	n = tu_build(&f, b);
	assert_int_equal(probe(&t, b, n, P_A), S_NEW);
	f.src6[15] = 2;
	f.dst6[15] = 1;
	f.sport = 22;
	f.dport = 4000;
	f.tcp_flags = SYN | ACK;
	n = tu_build(&f, b);
	assert_int_equal(probe(&t, b, n, P_B), S_RPL);
	s = dump(&t, 1);
	assert_int_equal(s.n, 3);
	/* Not IP, and a later fragment: invalid. */
	tu_frame_udp4(&f);
	f.eth_type = 0x88b5;
	n = tu_build(&f, b);
	assert_int_equal(probe(&t, b, n, P_A), S_INV);
	n = udp4(b, ip_a, 1000, ip_b, 53);
	tu_put16(b + 14 + 6, 0x2001); /* MF, offset 8 */
	b[14 + 10] = 0;
	b[14 + 11] = 0;
	tu_put16(b + 14 + 10, tu_fold(tu_sum(b + 14, 20, 0)));
	assert_int_equal(probe(&t, b, n, P_A), S_INV);
	assert_int_equal(stats(&t).invalid[DP_CT_INV_FRAG], 1);
	assert_int_equal(stats(&t).invalid[DP_CT_INV_NOT_IP], 1);
	tu_teardown(&t);
}

/*
 * IPv6 addresses that differ only past their first 4 bytes (which a
 * connection's hot part holds) are other connections: the lookup compares
 * the cold part too (pl_ct.c, struct ct_cold). One group and one tag for
 * all, so that the compare alone tells them apart.
 */
static void
test_ipv6_tail(void **state)
{
	uint8_t b[256];
	struct tu_frame f;
	struct tu t;
	size_t n;

	(void)state;
	setup_ct(&t, 64);
	assert_int_equal(pl_ct_test_collide(pl_ct_of(t.pl), 0, 0), 0);
	install(&t, fw_rules);
	tcp6_frame(&f, 1, 2, 4000, 22, SYN);
	n = tu_build(&f, b);
	assert_int_equal(probe(&t, b, n, P_A), S_NEW);
	f.src6[15] = 3;
	n = tu_build(&f, b);
	assert_int_equal(probe(&t, b, n, P_A), S_NEW);
	f.dst6[15] = 4;
	n = tu_build(&f, b);
	assert_int_equal(probe(&t, b, n, P_A), S_NEW);
	assert_int_equal(dump(&t, 1).n, 3);
	/* Not a SYN, from an address with no connection. */
	f.src6[15] = 5;
	f.tcp_flags = ACK;
	n = tu_build(&f, b);
	assert_int_equal(probe(&t, b, n, P_A), S_INV);
	assert_int_equal(dump(&t, 1).n, 3);
	tu_teardown(&t);
}

static const char *const snat_rules[] = {
	"table=0,priority=10,in_port=1,actions=ct(zone=1,commit,"
	"nat(src=203.0.113.5),table=1)",
	"table=0,priority=10,in_port=2,actions=ct(zone=1,nat,table=1)",
	NULL,
};

static void
test_snat(void **state)
{
	const uint8_t *o;
	struct tu t;
	uint16_t p2;

	(void)state;
	setup_ct(&t, 64);
	install(&t, snat_rules);
	assert_int_equal(probe_tcp(&t, ip_a, 1000, ip_b, 80, SYN, P_A),
			 S_NEW | DP_CS_SNAT);
	o = out_frame(&t);
	assert_int_equal(get32(o + 26), ip_nat);
	assert_int_equal(get32(o + 30), ip_b);
	assert_int_equal(get16(o + 34), 1000); /* the port was free */
	assert_true(tu_csum_ok(o, t.out.tx[0]->len));
	/* A second client with the same port: another port. */
	assert_int_equal(probe_tcp(&t, ip_a2, 1000, ip_b, 80, SYN, P_A),
			 S_NEW | DP_CS_SNAT);
	o = out_frame(&t);
	assert_int_equal(get32(o + 26), ip_nat);
	p2 = get16(o + 34);
	assert_true(p2 != 1000 && p2 >= 1024);
	assert_true(tu_csum_ok(o, t.out.tx[0]->len));
	/* Replies are un-NATed to each client. */
	assert_int_equal(probe_tcp(&t, ip_b, 80, ip_nat, 1000, SYN | ACK, P_B),
			 S_RPL | DP_CS_SNAT);
	o = out_frame(&t);
	assert_int_equal(get32(o + 26), ip_b);
	assert_int_equal(get32(o + 30), ip_a);
	assert_int_equal(get16(o + 36), 1000);
	assert_true(tu_csum_ok(o, t.out.tx[0]->len));
	assert_int_equal(probe_tcp(&t, ip_b, 80, ip_nat, p2, SYN | ACK, P_B),
			 S_RPL | DP_CS_SNAT);
	o = out_frame(&t);
	assert_int_equal(get32(o + 30), ip_a2);
	assert_int_equal(get16(o + 36), 1000);
	assert_true(tu_csum_ok(o, t.out.tx[0]->len));
	/* Later packets of the original direction keep the binding. */
	assert_int_equal(probe_tcp(&t, ip_a2, 1000, ip_b, 80, ACK, P_A),
			 S_EST | DP_CS_SNAT);
	assert_int_equal(get16(out_frame(&t) + 34), p2);
	/* Unknown reply to the NAT address: not translated, new. */
	assert_int_equal(probe_tcp(&t, ip_b, 80, ip_nat, 999, SYN, P_B), S_NEW);
	assert_int_equal(stats(&t).nat, 5);
	tu_teardown(&t);
}

static void
test_snat_port_range(void **state)
{
	static const char *const rules[] = {
		"table=0,priority=10,in_port=1,actions=ct(zone=1,commit,"
		"nat(src=203.0.113.5:5000-5001),table=1)",
		"table=0,priority=10,in_port=2,actions=ct(zone=1,nat,table=1)",
		NULL,
	};
	uint8_t b[256];
	uint16_t ports[2];
	struct tu t;
	size_t n;

	(void)state;
	setup_ct(&t, 64);
	install(&t, rules);
	for (unsigned i = 0; i < 2; i++) {
		n = udp4(b, ip_a + i, 1000, ip_b, 53);
		assert_int_equal(probe(&t, b, n, P_A), S_NEW | DP_CS_SNAT);
		ports[i] = get16(out_frame(&t) + 34);
		assert_true(ports[i] == 5000 || ports[i] == 5001);
	}
	assert_int_not_equal(ports[0], ports[1]);
	/* A third flow to the same server: no tuple left. */
	assert_int_equal(probe_udp(&t, ip_a + 2, 1000, ip_b, 53, P_A), S_INV);
	assert_int_equal(stats(&t).invalid[DP_CT_INV_NAT_FAIL], 1);
	/* Another server: the same ports are free again. */
	assert_int_equal(probe_udp(&t, ip_a + 2, 1000, ip_b + 1, 53, P_A),
			 S_NEW | DP_CS_SNAT);
	/* ICMP echo: the identifier is the port. */
	n = echo4(b, ip_a, ip_b, 8, 4242);
	assert_int_equal(probe(&t, b, n, P_A), S_NEW | DP_CS_SNAT);
	ports[0] = get16(out_frame(&t) + 38);
	assert_true(ports[0] == 5000 || ports[0] == 5001);
	assert_true(tu_csum_ok(out_frame(&t), t.out.tx[0]->len));
	n = echo4(b, ip_b, ip_nat, 0, ports[0]);
	assert_int_equal(probe(&t, b, n, P_B), S_RPL | DP_CS_SNAT);
	assert_int_equal(get16(out_frame(&t) + 38), 4242);
	assert_int_equal(get32(out_frame(&t) + 30), ip_a);
	assert_true(tu_csum_ok(out_frame(&t), t.out.tx[0]->len));
	tu_teardown(&t);
}

static const char *const dnat_rules[] = {
	"table=0,priority=10,in_port=1,actions=ct(zone=3,commit,"
	"nat(dst=10.0.0.9:8080),table=1)",
	"table=0,priority=10,in_port=2,actions=ct(zone=3,nat,table=1)",
	NULL,
};

static void
test_dnat(void **state)
{
	const uint8_t *o;
	struct tu t;

	(void)state;
	setup_ct(&t, 64);
	install(&t, dnat_rules);
	assert_int_equal(probe_tcp(&t, ip_b, 5555, ip_nat, 80, SYN, P_A),
			 S_NEW | DP_CS_DNAT);
	o = out_frame(&t);
	assert_int_equal(get32(o + 26), ip_b);
	assert_int_equal(get32(o + 30), IP4(10, 0, 0, 9));
	assert_int_equal(get16(o + 36), 8080);
	assert_true(tu_csum_ok(o, t.out.tx[0]->len));
	assert_int_equal(probe_tcp(&t, IP4(10, 0, 0, 9), 8080, ip_b, 5555,
				   SYN | ACK, P_B),
			 S_RPL | DP_CS_DNAT);
	o = out_frame(&t);
	assert_int_equal(get32(o + 26), ip_nat);
	assert_int_equal(get16(o + 34), 80);
	assert_true(tu_csum_ok(o, t.out.tx[0]->len));
	tu_teardown(&t);
}

/* The inner IPv4 header's checksum of an ICMP error frame verifies. */
static bool
inner_ok(const uint8_t *o)
{
	return tu_fold(tu_sum(o + 42, 20, 0)) == 0;
}

static void
test_icmp_related(void **state)
{
	uint8_t b[256], in[256];
	const uint8_t *o;
	struct tu t;
	size_t n, ni;

	(void)state;
	setup_ct(&t, 64);
	install(&t, snat_rules);
	/* A's TCP SYN leaves as 203.0.113.5:1000. */
	ni = tcp4(in, ip_a, 1000, ip_b, 80, SYN);
	assert_int_equal(probe(&t, in, ni, P_A), S_NEW | DP_CS_SNAT);
	memcpy(in, out_frame(&t), ni);
	/* A router says time exceeded about it, with 28 bytes of it. */
	n = icmp_err4(b, ip_rtr, ip_nat, 11, 0, in, 28);
	assert_int_equal(probe(&t, b, n, P_B),
			 DP_CS_TRK | DP_CS_REL | DP_CS_RPL | DP_CS_SNAT);
	o = out_frame(&t);
	assert_int_equal(get32(o + 26), ip_rtr);
	assert_int_equal(get32(o + 30), ip_a);
	assert_int_equal(get32(o + 34 + 8 + 12), ip_a);
	assert_int_equal(get32(o + 34 + 8 + 16), ip_b);
	assert_int_equal(get16(o + 34 + 28), 1000);
	assert_true(tu_csum_ok(o, t.out.tx[0]->len));
	assert_true(inner_ok(o));
	/* The whole TCP header quoted: its checksum is translated too. */
	n = icmp_err4(b, ip_rtr, ip_nat, 3, 4, in, ni - 14);
	assert_int_equal(probe(&t, b, n, P_B),
			 DP_CS_TRK | DP_CS_REL | DP_CS_RPL | DP_CS_SNAT);
	o = out_frame(&t);
	assert_true(tu_csum_ok(o, t.out.tx[0]->len));
	assert_true(inner_ok(o));
	assert_true(tu_csum_ok(o + 28, ni)); /* the quoted frame itself */
	/* An error about nothing we know, and a cut one: invalid. */
	ni = tcp4(in, ip_nat, 1001, ip_b, 80, SYN);
	n = icmp_err4(b, ip_rtr, ip_nat, 11, 0, in, 28);
	assert_int_equal(probe(&t, b, n, P_B), S_INV);
	n = icmp_err4(b, ip_rtr, ip_nat, 11, 0, in, 24);
	assert_int_equal(probe(&t, b, n, P_B), S_INV);
	assert_int_equal(stats(&t).invalid[DP_CT_INV_ICMP_NO_CONN], 1);
	assert_int_equal(stats(&t).invalid[DP_CT_INV_ICMP_BAD], 1);
	assert_int_equal(stats(&t).related, 2);
	tu_teardown(&t);
}

/* The server itself reports port unreachable through DNAT. */
static void
test_icmp_related_dnat(void **state)
{
	uint8_t b[256], in[256];
	const uint8_t *o;
	struct tu t;
	size_t n, ni;

	(void)state;
	setup_ct(&t, 64);
	install(&t, dnat_rules);
	ni = udp4(in, ip_b, 5555, ip_nat, 80);
	assert_int_equal(probe(&t, in, ni, P_A), S_NEW | DP_CS_DNAT);
	memcpy(in, out_frame(&t), ni);
	n = icmp_err4(b, IP4(10, 0, 0, 9), ip_b, 3, 3, in, ni - 14);
	assert_int_equal(probe(&t, b, n, P_B),
			 DP_CS_TRK | DP_CS_REL | DP_CS_RPL | DP_CS_DNAT);
	o = out_frame(&t);
	assert_int_equal(get32(o + 26), ip_nat); /* from the VIP */
	assert_int_equal(get32(o + 30), ip_b);
	assert_int_equal(get32(o + 42 + 16), ip_nat);
	assert_int_equal(get16(o + 42 + 20 + 2), 80);
	assert_true(tu_csum_ok(o, t.out.tx[0]->len));
	assert_true(inner_ok(o));
	assert_true(tu_csum_ok(o + 28, ni));
	tu_teardown(&t);
}

static void
test_expiry(void **state)
{
	uint8_t b[256];
	struct dp_ct_stats st;
	struct tu t;
	size_t n;

	(void)state;
	setup_ct(&t, 64);
	install(&t, fw_rules);
	n = udp4(b, ip_a, 1000, ip_b, 53);
	assert_int_equal(probe(&t, b, n, P_A), S_NEW);
	fake_now += 29;
	assert_int_equal(probe(&t, b, n, P_A), S_EST); /* refreshed: 30 s */
	fake_now += 29;
	n = udp4(b, ip_b, 53, ip_a, 1000);
	assert_int_equal(probe(&t, b, n, P_B), S_RPL); /* now 120 s */
	fake_now += 119;
	assert_int_equal(probe(&t, b, n, P_B), S_RPL);
	fake_now += 121;
	assert_int_equal(probe(&t, b, n, P_B), S_NEW); /* gone */
	/* A second connection is reclaimed by the sweep. */
	n = udp4(b, ip_a, 1001, ip_b, 53);
	assert_int_equal(probe(&t, b, n, P_A), S_NEW);
	assert_int_equal(stats(&t).entries, 1);
	fake_now += 31;
	dp_pipeline_ct_sweep(t.pl);
	st = stats(&t);
	assert_int_equal(st.entries, 0);
	assert_true(st.expired >= 1);
	assert_int_equal(dump(&t, DP_CT_ZONE_ALL).n, 0);
	tu_teardown(&t);
}

/* TCP connection port from A to B:80, opened and answered (replied). */
static void
tcp_open(struct tu *t, uint16_t port)
{
	uint8_t b[256];
	size_t n;

	n = tcp4(b, ip_a, port, ip_b, 80, SYN);
	assert_int_equal(probe(t, b, n, P_A), S_NEW);
	n = tcp4(b, ip_b, 80, ip_a, port, SYN | ACK);
	assert_int_equal(probe(t, b, n, P_B), S_RPL);
	n = tcp4(b, ip_a, port, ip_b, 80, ACK);
	assert_int_equal(probe(t, b, n, P_A), S_EST);
}

/* A packet of connection port from A, flags f: its ct_state. */
static int
tcp_send(struct tu *t, uint16_t port, uint8_t f)
{
	uint8_t b[256];
	size_t n = tcp4(b, ip_a, port, ip_b, 80, f);

	return probe(t, b, n, P_A);
}

/* Is the connection from A's port in the table (dump of zone 1)? */
static bool
has_conn(struct tu *t, uint16_t port)
{
	struct ct_seen s = dump(t, 1);

	for (unsigned i = 0; i < s.n && i < 8; i++)
		if (ntohs(s.e[i].orig.sport) == port)
			return true;
	return false;
}

/*
 * A full table evicts (TCP-state aware LRU): a table of 8 with six
 * established connections and two closed ones (RST, TIME_WAIT); new
 * connections take the closed ones first (least recently used first),
 * then the least recently used established one; a never-answered one
 * goes before an established one; established flows keep flowing; expired
 * entries are taken before anything else and counted as expired.
 */
static void
test_evict(void **state)
{
	uint8_t b[256];
	struct dp_ct_stats st;
	struct tu t;
	size_t n;

	(void)state;
	setup_ct(&t, 8);
	install(&t, fw_rules);
	for (uint16_t i = 0; i < 8; i++) {
		tcp_open(&t, (uint16_t)(1000 + i));
		fake_now++;
	}
	/* 1007 closed by RST at 9, 1006 in TIME_WAIT at 10. */
	assert_int_equal(probe_tcp(&t, ip_b, 80, ip_a, 1007, RST | ACK, P_B),
			 S_RPL);
	fake_now++;
	assert_int_equal(tcp_send(&t, 1006, FIN | ACK), S_EST);
	n = tcp4(b, ip_b, 80, ip_a, 1006, FIN | ACK);
	assert_int_equal(probe(&t, b, n, P_B), S_RPL);
	fake_now++;
	/* 1000 and 1001 used again: 1002 is now the least recently used. */
	assert_int_equal(tcp_send(&t, 1000, ACK), S_EST);
	assert_int_equal(tcp_send(&t, 1001, ACK), S_EST);
	fake_now++;
	st = stats(&t);
	assert_int_equal(st.entries, 8);
	assert_int_equal(st.evicted, 0);

	/* The closed ones go first, the one idle longest (RST) first. */
	tcp_open(&t, 2000);
	assert_false(has_conn(&t, 1007));
	assert_true(has_conn(&t, 1006));
	assert_int_equal(stats(&t).evicted, 1);
	fake_now++;
	tcp_open(&t, 2001);
	assert_false(has_conn(&t, 1006));
	fake_now++;
	/* Then the least recently used established connection. */
	tcp_open(&t, 2002);
	assert_false(has_conn(&t, 1002));
	assert_true(has_conn(&t, 1000) && has_conn(&t, 1001));
	assert_true(has_conn(&t, 1003) && has_conn(&t, 2000));
	/* An evicted connection is gone: its next ACK is not a SYN. */
	assert_int_equal(tcp_send(&t, 1002, ACK), S_INV);
	/* A SYN never answered goes before any established one. */
	fake_now++;
	assert_int_equal(tcp_send(&t, 2003, SYN), S_NEW);
	assert_false(has_conn(&t, 1003));
	fake_now++;
	assert_int_equal(tcp_send(&t, 2004, SYN), S_NEW);
	assert_false(has_conn(&t, 2003));
	assert_true(has_conn(&t, 1004));
	/* Established flows never stopped. */
	for (uint16_t p = 1004; p < 1006; p++) {
		assert_int_equal(tcp_send(&t, p, ACK), S_EST);
		n = tcp4(b, ip_b, 80, ip_a, p, ACK);
		assert_int_equal(probe(&t, b, n, P_B), S_RPL);
	}
	st = stats(&t);
	assert_int_equal(st.entries, 8);
	assert_int_equal(st.evicted, 5);
	assert_int_equal(st.invalid[DP_CT_INV_FULL], 0);
	assert_int_equal(st.commits, 13);
	assert_int_equal(dump(&t, 1).n, 8);

	/* Expired entries are taken first and counted as expired. */
	fake_now += 200;
	assert_int_equal(probe_udp(&t, ip_a, 3000, ip_b, 53, P_A), S_NEW);
	st = stats(&t);
	assert_int_equal(st.evicted, 5);
	assert_int_equal(st.entries, 8);
	tu_teardown(&t);
}

struct lb_sum {
	uint64_t active, total;
};

static int
lb_sum_visit(const struct dp_lb_pool_stats *ps,
	     const struct dp_lb_member_stats *ms, void *arg)
{
	struct lb_sum *s = arg;

	for (uint32_t i = 0; i < ps->n_members; i++) {
		s->active += ms[i].active;
		s->total += ms[i].total;
	}
	return 0;
}

/*
 * An evicted load-balanced connection leaves its member's active count
 * (the close hook): 16 entries, 40 connections, the members' active
 * counts still sum to 16.
 */
static void
test_evict_lb(void **state)
{
	static const char *const rules[] = {
		"table=0,priority=10,in_port=1,"
		"actions=lb_select(pool=1,zone=1,table=1)",
		NULL,
	};
	struct dp_lb_member m[2];
	struct dp_lb_pool p;
	struct lb_sum sum;
	uint8_t b[256];
	char err[256];
	struct tu t;
	size_t n;

	(void)state;
	setup_ct(&t, 16);
	install(&t, rules);
	memset(&p, 0, sizeof(p));
	memset(m, 0, sizeof(m));
	p.id = 1;
	p.alg = DP_LB_SOURCE_IP_PORT;
	p.src_addr = htonl(ip_nat);
	p.n_members = 2;
	for (unsigned i = 0; i < 2; i++) {
		m[i].addr = htonl(IP4(192, 168, 1, 10 + i));
		m[i].port = htons(8080);
		m[i].weight = 1;
		m[i].flags = DP_LB_M_UP;
	}
	if (dp_pipeline_lb_set(t.pl, &p, m, err, sizeof(err)) != 0)
		fail_msg("lb_set: %s", err);
	for (uint16_t i = 0; i < 40; i++) {
		n = tcp4(b, ip_a, (uint16_t)(5000 + i), ip_b, 80, SYN);
		assert_int_equal(probe(&t, b, n, P_A) &
					 ~(DP_CS_SNAT | DP_CS_DNAT),
				 S_NEW);
		fake_now++;
	}
	memset(&sum, 0, sizeof(sum));
	assert_int_equal(dp_pipeline_lb_stats(t.pl, 1, lb_sum_visit, &sum), 0);
	assert_int_equal(sum.total, 40);
	assert_int_equal(sum.active, 16);
	assert_int_equal(stats(&t).entries, 16);
	assert_int_equal(stats(&t).evicted, 24);
	assert_int_equal(dp_pipeline_ct_flush(t.pl, DP_CT_ZONE_ALL), 16);
	memset(&sum, 0, sizeof(sum));
	assert_int_equal(dp_pipeline_lb_stats(t.pl, 1, lb_sum_visit, &sum), 0);
	assert_int_equal(sum.active, 0);
	tu_teardown(&t);
}

static void
test_flush(void **state)
{
	static const char *const rules[] = {
		"table=0,priority=10,in_port=1,actions=ct(zone=1,commit,"
		"table=1)",
		"table=0,priority=10,in_port=2,actions=ct(zone=2,commit,"
		"table=1)",
		NULL,
	};
	uint8_t b[256];
	struct tu t;
	size_t n;

	(void)state;
	setup_ct(&t, 1024);
	install(&t, rules);
	for (unsigned i = 0; i < 100; i++) {
		n = udp4(b, ip_a, (uint16_t)(2000 + i), ip_b, 53);
		assert_int_equal(probe(&t, b, n, 1), S_NEW);
		assert_int_equal(probe(&t, b, n, 2), S_NEW);
	}
	assert_int_equal(dump(&t, 1).n, 100);
	assert_int_equal(dp_pipeline_ct_flush(t.pl, 1), 100);
	assert_int_equal(dump(&t, 1).n, 0);
	assert_int_equal(dump(&t, 2).n, 100);
	n = udp4(b, ip_a, 2000, ip_b, 53);
	assert_int_equal(probe(&t, b, n, 1), S_NEW);
	assert_int_equal(probe(&t, b, n, 2), S_EST);
	assert_int_equal(dp_pipeline_ct_flush(t.pl, DP_CT_ZONE_ALL), 101);
	assert_int_equal(stats(&t).entries, 0);
	assert_int_equal(stats(&t).flushed, 201);
	tu_teardown(&t);
}

/* Many flows: collisions in buckets, dump and flush see every one. */
static void
test_many(void **state)
{
	uint8_t b[256];
	struct tu t;
	size_t n;

	(void)state;
	setup_ct(&t, 5000);
	install(&t, snat_rules);
	for (unsigned i = 0; i < 5000; i++) {
		n = udp4(b, ip_a + i % 50, (uint16_t)(1000 + i / 50), ip_b, 53);
		assert_int_equal(probe(&t, b, n, P_A), S_NEW | DP_CS_SNAT);
	}
	for (unsigned i = 0; i < 5000; i += 7) {
		n = udp4(b, ip_a + i % 50, (uint16_t)(1000 + i / 50), ip_b, 53);
		assert_int_equal(probe(&t, b, n, P_A), S_EST | DP_CS_SNAT);
	}
	assert_int_equal(dump(&t, 1).n, 5000);
	assert_int_equal(stats(&t).entries, 5000);
	assert_int_equal(dp_pipeline_ct_flush(t.pl, 1), 5000);
	tu_teardown(&t);
}

static void
test_text(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{"table=0,priority=1,actions=ct(zone=5,commit,nat(src=203.0."
		 "113.5-203.0.113.9:1024-65535),mark=7,table=20)",
		 "ct(zone=5,commit,nat(src=203.0.113.5-203.0.113.9:1024-65535),"
		 "mark=7,table=20)"},
		{"table=0,priority=1,actions=ct(table=1)",
		 "ct(zone=0,table=1)"},
		{"table=2,priority=1,actions=ct(zone=1,nat,table=3)",
		 "ct(zone=1,nat,table=3)"},
		{"table=0,priority=1,actions=ct(commit,nat(dst=10.0.0.9:80),"
		 "zone=9,table=4)",
		 "ct(zone=9,commit,nat(dst=10.0.0.9:80),table=4)"},
	};
	static const char *const bad[] = {
		"table=0,priority=1,actions=ct(zone=5)",
		"table=3,priority=1,actions=ct(zone=5,table=2)",
		"table=0,priority=1,actions=ct(zone=5,table=2),output:1",
		"table=0,priority=1,actions=ct(zone=5,nat(src=1.2.3.4),"
		"table=2)",
		"table=0,priority=1,actions=ct(zone=5,mark=3,table=2)",
		"table=0,priority=1,actions=ct(zone=70000,table=2)",
		"table=0,priority=1,actions=ct(zone=1,commit,nat(src=1.2.3.9-"
		"1.2.3.4),table=2)",
		"table=0,priority=1,actions=ct(zone=1,commit,nat(src=1.2.3.4:"
		"9-5),table=2)",
		"table=0,priority=1,actions=ct(zone=1,bogus,table=2)",
		"table=0,priority=1,ct_state=+trk+bogus,actions=drop",
		"table=0,priority=1,ct_state=+trk-trk,actions=drop",
	};
	struct dp_rule r;
	char err[256], buf[DP_FLOW_TEXT_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(
			dp_flow_text_parse(ok[i].in, &r, err, sizeof(err)), 1);
		assert_true(dp_flow_text_format_actions(r.actions, r.n_actions,
							buf, sizeof(buf)) > 0);
		assert_string_equal(buf, ok[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = dp_flow_text_parse(bad[i], &r, err, sizeof(err));

		if (rc != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
	}
	assert_int_equal(dp_flow_text_parse("table=1,priority=1,ct_state=+trk"
					    "+est-rpl,ct_zone=5,ct_mark=0x7,"
					    "actions=output:1",
					    &r, err, sizeof(err)),
			 1);
	assert_int_equal(r.match.ct_state, DP_CS_TRK | DP_CS_EST);
	assert_int_equal(r.mask.ct_state, DP_CS_TRK | DP_CS_EST | DP_CS_RPL);
	assert_int_equal(r.match.ct_zone, 5);
	assert_int_equal(r.match.ct_mark, 7);
	assert_true(dp_flow_text_format_match(&r.match, &r.mask, buf,
					      sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "ct_state=+est+trk-rpl"));
	assert_non_null(strstr(buf, "ct_zone=5"));
}

/*
 * Two workers on two threads see the two directions of the same flows at
 * once (SNAT, commit on one side, un-NAT on the other) while the control
 * thread flushes and sweeps: nothing breaks, counts stay in bounds. 512
 * flows through a table of 256: commits evict while the other worker
 * looks the same connections up.
 */
struct mt_arg {
	struct dp_pipeline *pl;
	unsigned idx;
	int rc;
};

static void *
mt_worker(void *p)
{
	struct mt_arg *m = p;
	struct dp_packet_ops ops = {.clone = tu_clone};
	struct dp_burst_out *out = malloc(sizeof(*out));
	struct dp_worker *w;
	uint8_t b[256];

	if (out == NULL || dp_worker_create(m->pl, m->idx, &ops, &w) < 0) {
		free(out);
		m->rc = -1;
		return NULL;
	}
	for (unsigned round = 0; round < 40; round++) {
		for (unsigned i = 0; i < 512; i += 16) {
			struct dp_packet *pk[16];

			for (unsigned j = 0; j < 16; j++) {
				size_t n;

				if (m->idx == 0)
					n = udp4(b, ip_a + (i + j) % 64,
						 (uint16_t)(1000 + (i + j)),
						 ip_b, 53);
				else
					n = udp4(b, ip_b, 53, ip_nat,
						 (uint16_t)(1000 + (i + j)));
				pk[j] = tu_pkt_new(b, (uint32_t)n,
						   m->idx == 0 ? P_A : P_B);
			}
			dp_worker_process(w, pk, 16, out);
			tu_out_free(out);
			dp_worker_quiescent(w);
		}
	}
	dp_worker_destroy(w);
	free(out);
	return NULL;
}

static void
test_two_workers(void **state)
{
	struct dp_pipeline_config cfg = {.n_workers = 2, .ct_max = 256};
	struct mt_arg m[2];
	pthread_t th[2];
	struct dp_ct_stats st;
	struct tu t;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(dp_pipeline_create(&cfg, &t.pl), 0);
	install(&t, snat_rules);
	for (unsigned i = 0; i < 2; i++) {
		m[i].pl = t.pl;
		m[i].idx = i;
		m[i].rc = 0;
		assert_int_equal(pthread_create(&th[i], NULL, mt_worker, &m[i]),
				 0);
	}
	for (unsigned i = 0; i < 20; i++) {
		(void)dp_pipeline_ct_flush(t.pl, 1);
		dp_pipeline_ct_sweep(t.pl);
		dp_pipeline_ct_stats(t.pl, &st);
		assert_true(st.entries <= 256);
	}
	for (unsigned i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(m[i].rc, 0);
	}
	dp_pipeline_ct_stats(t.pl, &st);
	assert_true(st.entries <= 256);
	assert_true(st.commits > 0);
	assert_true(st.evicted > 0);
	assert_int_equal(dump(&t, 1).n, st.entries);
	(void)dp_pipeline_ct_flush(t.pl, DP_CT_ZONE_ALL);
	assert_int_equal(stats(&t).entries, 0);
	dp_pipeline_destroy(t.pl);
}

/* Trace reads the table without changing it. */
static void
test_trace(void **state)
{
	uint8_t b[256];
	struct dp_trace *tr = malloc(sizeof(*tr));
	struct tu t;
	size_t n;

	(void)state;
	assert_non_null(tr);
	setup_ct(&t, 64);
	install(&t, snat_rules);
	n = udp4(b, ip_a, 1000, ip_b, 53);
	assert_int_equal(dp_pipeline_trace(t.pl, b, (uint32_t)n, P_A, tr), 0);
	assert_int_equal(tr->n_out, 1);
	assert_int_equal(tr->out_port[0], PROBE + S_NEW);
	assert_int_equal(stats(&t).entries, 0);
	assert_int_equal(probe(&t, b, n, P_A), S_NEW | DP_CS_SNAT);
	assert_int_equal(dp_pipeline_trace(t.pl, b, (uint32_t)n, P_A, tr), 0);
	assert_int_equal(tr->out_port[0], PROBE + (S_EST | DP_CS_SNAT));
	assert_int_equal(get32(tr->out_frame + 26), ip_nat);
	free(tr);
	tu_teardown(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_states),
		cmocka_unit_test(test_tcp_invalid),
		cmocka_unit_test(test_tcp_challenge_ack),
		cmocka_unit_test(test_zones),
		cmocka_unit_test(test_lookup_then_commit),
		cmocka_unit_test(test_udp_icmp_ipv6),
		cmocka_unit_test(test_ipv6_tail),
		cmocka_unit_test(test_snat),
		cmocka_unit_test(test_snat_port_range),
		cmocka_unit_test(test_dnat),
		cmocka_unit_test(test_icmp_related),
		cmocka_unit_test(test_icmp_related_dnat),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_evict),
		cmocka_unit_test(test_evict_lb),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_two_workers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
