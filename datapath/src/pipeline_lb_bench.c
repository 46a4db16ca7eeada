/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline_lb_bench.c: dp-lb-bench, a microbenchmark of lb_select alone
 * (no I/O) on one worker: 64-byte TCP frames in memory through
 * dp_worker_process() in bursts of DP_BURST, side by side in one run:
 *
 *   new:  one SYN for each of N connections (default 1M): member picked
 *         (Maglev on the 5-tuple), connection committed with full NAT;
 *         prints new connections per second per core;
 *   est:  P packets (default 10M) of those N established connections in
 *         a random order (the table is far larger than the caches):
 *         prints Mpps per core, against Katran's published 5.2 (and,
 *         on stderr, any packet that was committed or +inv instead);
 *   evict: N more new connections into the full table, each one taking
 *         (evicting) the least recently used entry of its candidates:
 *         prints new connections per second per core with eviction;
 *   mem:  bytes per tracked connection (table memory / entries, and the
 *         resident growth over the new phase / N).
 *
 * Exits 1 when a phase's packet was not forwarded, or was committed or
 * +inv where none may be (the unit suite runs it small: lb_bench_smoke).
 *
 *   dp-lb-bench [--conns N] [--packets P] [--members M] [--alg A]
 *               [--cache ENTRIES] [--v6 1] [--vip 1] [--two 1]
 *               [--handshake 0]
 *
 * Before est, each connection's handshake is completed (its SYN again and
 * its member's SYN-ACK, untimed; the warm-up pass's ACKs then make it
 * ESTABLISHED, checked), as traffic a client sends is; --handshake 0
 * leaves the connections in SYN_SENT, as figures before 2026-11-26
 * evening were measured (the est line says which: state=).
 *
 * --v6 1: the same over IPv6 (an IPv6 pool, 84-byte TCP/IPv6 frames from
 * clients 2001:db8:c::/64 to the VIP [2001:db8::10]:80); the lines end in
 * family=6 instead of family=4.
 * --two 1: after the phases above, "two": the replies too, on a second
 * worker. Each connection's client packet after NAT is reversed into its
 * member's reply; then worker 0 (pinned to CPU 0) sends the client
 * packets while worker 1 (a thread pinned to CPU 1) sends the replies,
 * both P packets in the same random order of connections, so that the
 * two directions of a connection are looked up on two cores at about
 * the same time. Prints each worker's Mpps per core (IPv4 only; run it
 * without taskset).
 * --vip 1: table 0's rule matches as sluiced writes it (in_port=1, tcp,
 * the VIP and port 80) instead of everything (then table 0 is looked up
 * in the classifier, not in the per-port map).
 *
 * Rules: table 0 lb_select(pool=1,zone=1,table=1) over 64 members by
 * default (a member takes at most 64512 connections from the one LB
 * source address; with --vip, a lower rule sends the rest, a member's
 * reply, through ct(zone=1,nat)); table 1 outputs what is tracked and
 * not +inv. The
 * connection table's clock is frozen so that connections do not expire
 * during a long run on a loaded machine. Frames are copied from templates
 * before each packet (a NIC delivers fresh frames; the copy is in the timed
 * loop, so the figures are conservative). Times are the thread's CPU time.
 * Instructions per established packet: callgrind's totals of two runs
 * that differ only in P, (Ir(P2) - Ir(P1)) / (P2 - P1) (valgrind 3.19's
 * --toggle-collect=bench_est was seen counting every phase).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline.h"
#include "pl_ct.h"
#include "pl_lb.h"

enum { SLOT = 192, ROOM = 64, LEN = 64, LEN6 = 84, STRIDE = 96 };

struct lbb {
	struct dp_pipeline *pl;
	struct dp_worker *w;
	uint8_t *tmpl; /* STRIDE bytes per packet of the phase, send order */
	uint32_t n;    /* templates */
	bool is_v6;
	uint8_t slots[DP_BURST][SLOT];
};

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long
rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * 4096;
}

static uint32_t
sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	return s;
}

static uint16_t
fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * Connection i, TCP: client 10.x.y.z:port -> VIP 203.0.113.10:80, or over
 * IPv6 [2001:db8:c::x]:port -> [2001:db8::10]:80; 10 bytes of payload.
 */
static void
frame_build(uint8_t *f, uint32_t i, uint8_t flags, bool is_v6)
{
	static const uint8_t vip6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x10};
	uint16_t sport = htons((uint16_t)(1024 + (i & 15) * 3001));
	uint8_t *ip = f + 14, *tcp = f + (is_v6 ? 54 : 34);
	uint32_t src, s;
	uint16_t cs;

	memset(f, 0, is_v6 ? LEN6 : LEN);
	memcpy(f, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
	if (is_v6) {
		src = htonl((i >> 4) + 1);
		memcpy(f + 12, "\x86\xdd", 2);
		ip[0] = 0x60;
		ip[5] = 30; /* 20 + 10 bytes of payload */
		ip[6] = 6;
		ip[7] = 64;
		memcpy(ip + 8, "\x20\x01\x0d\xb8\0\x0c", 6);
		memcpy(ip + 20, &src, 4);
		memcpy(ip + 24, vip6, 16);
		s = sum16(ip + 8, 32, 6 + 30);
	} else {
		src = htonl(0x0a000000u + (i >> 4) + 1);
		memcpy(f + 12, "\x08\x00", 2);
		ip[0] = 0x45;
		ip[3] = 50; /* 20 + 20 + 10 bytes of payload */
		ip[8] = 64;
		ip[9] = 6;
		memcpy(ip + 12, &src, 4);
		memcpy(ip + 16, "\xcb\x00\x71\x0a", 4);
		cs = htons(fold(sum16(ip, 20, 0)));
		memcpy(ip + 10, &cs, 2);
		s = sum16(ip + 12, 8, 6 + 30);
	}
	memcpy(tcp, &sport, 2);
	tcp[3] = 80;
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	tcp[15] = 0xff;
	cs = htons(fold(sum16(tcp, 30, s)));
	memcpy(tcp + 16, &cs, 2);
}

static void
tmpl_build(struct lbb *b, uint32_t slot, uint32_t i, uint8_t flags)
{
	frame_build(b->tmpl + (size_t)slot * STRIDE, i, flags, b->is_v6);
}

/* A frozen clock: a run on a loaded machine must not expire SYN_SENT. */
static uint32_t
frozen_clock(void *arg)
{
	(void)arg;
	return 1;
}

static int
setup(struct lbb *b, uint32_t n_conns, unsigned n_members, uint8_t alg,
      unsigned cache, bool is_vip, unsigned n_workers)
{
	struct dp_pipeline_config cfg = {
		.n_workers = n_workers,
		.ct_max = n_conns,
		.cache_entries = cache,
	};
	struct dp_lb_member *m;
	struct dp_lb_pool p;
	struct dp_rule r[3];
	struct dp_txn *t;
	char err[256];
	int rc;

	rc = dp_pipeline_create(&cfg, &b->pl);
	if (rc == 0)
		rc = dp_worker_create(b->pl, 0, NULL, &b->w);
	if (rc < 0)
		return rc;
	pl_ct_set_clock(pl_ct_of(b->pl), frozen_clock, NULL);
	memset(r, 0, sizeof(r));
	r[0].priority = 10;
	r[0].n_actions = 1;
	r[0].actions[0].type = DP_ACT_LB_SELECT;
	r[0].actions[0].u.lb.pool = 1;
	r[0].actions[0].u.lb.zone = 1;
	r[0].actions[0].u.lb.table = 1;
	if (is_vip) {
		/* As sluiced writes it: in_port, tcp, the VIP and its port. */
		static const uint8_t vip6[16] = {0x20, 0x01, 0x0d,
						 0xb8, [15] = 0x10};

		r[0].match.in_port = 1;
		r[0].mask.in_port = UINT32_MAX;
		r[0].match.eth_type = htons(b->is_v6 ? 0x86dd : 0x0800);
		r[0].mask.eth_type = 0xffff;
		r[0].match.nw_proto = 6;
		r[0].mask.nw_proto = 0xff;
		r[0].match.tp_dst = htons(80);
		r[0].mask.tp_dst = 0xffff;
		if (b->is_v6) {
			memcpy(r[0].match.ipv6_dst, vip6, 16);
			memset(r[0].mask.ipv6_dst, 0xff, 16);
		} else {
			r[0].match.nw_dst = htonl(0xcb00710a);
			r[0].mask.nw_dst = UINT32_MAX;
		}
	}
	/*
	 * --vip: the rest (a member's reply) through ct(zone=1,nat), as
	 * sluiced writes it: the handshake's SYN-ACKs take it.
	 */
	r[2].priority = 5;
	r[2].n_actions = 1;
	r[2].actions[0].type = DP_ACT_CT;
	r[2].actions[0].u.ct.zone = 1;
	r[2].actions[0].u.ct.flags = DP_CT_NAT;
	r[2].actions[0].u.ct.table = 1;
	r[1].table = 1;
	r[1].priority = 10;
	r[1].match.ct_state = DP_CS_TRK;
	r[1].mask.ct_state = DP_CS_TRK | DP_CS_INV;
	r[1].n_actions = 1;
	r[1].actions[0].type = DP_ACT_OUTPUT;
	r[1].actions[0].u.port = 2;
	rc = dp_txn_begin(b->pl, &t);
	if (rc == 0)
		rc = dp_txn_add(t, &r[0], err, sizeof(err));
	if (rc == 0)
		rc = dp_txn_add(t, &r[1], err, sizeof(err));
	if (rc == 0 && is_vip)
		rc = dp_txn_add(t, &r[2], err, sizeof(err));
	if (rc == 0)
		rc = dp_txn_commit(t, err, sizeof(err));
	else
		dp_txn_abort(t);
	if (rc < 0) {
		fprintf(stderr, "dp-lb-bench: rules: %s\n", err);
		return rc;
	}
	m = calloc(n_members, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	memset(&p, 0, sizeof(p));
	p.id = 1;
	p.alg = alg;
	p.src_addr = htonl(0xc0a80101);
	p.n_members = n_members;
	for (unsigned i = 0; i < n_members; i++) {
		m[i].addr = htonl(0xc0a8010a + i);
		m[i].port = htons(8080);
		m[i].weight = 1;
		m[i].flags = DP_LB_M_UP;
	}
	if (b->is_v6) {
		struct dp_lb_member6 *m6 = calloc(n_members, sizeof(*m6));

		if (m6 == NULL) {
			free(m);
			return -ENOMEM;
		}
		/* [2001:db8:2::N]:8080 from [2001:db8:1::1]. */
		p.src_addr = 0;
		memcpy(p.src_addr6, "\x20\x01\x0d\xb8\0\x01", 6);
		p.src_addr6[15] = 1;
		for (unsigned i = 0; i < n_members; i++) {
			memcpy(m6[i].addr, "\x20\x01\x0d\xb8\0\x02", 6);
			memcpy(m6[i].addr + 12, &m[i].addr, 4);
			m6[i].port = m[i].port;
			m6[i].weight = 1;
			m6[i].flags = DP_LB_M_UP;
		}
		rc = dp_pipeline_lb_set6(b->pl, &p, m6, err, sizeof(err));
		free(m6);
	} else {
		rc = dp_pipeline_lb_set(b->pl, &p, m, err, sizeof(err));
	}
	free(m);
	if (rc < 0)
		fprintf(stderr, "dp-lb-bench: pool: %s\n", err);
	return rc;
}

static uint64_t sink;
/* Packets not forwarded, new or invalid where none may be: exit 1. */
static unsigned faults;

/*
 * n packets from the templates in order (wrapping), in bursts; len is a
 * constant where this is inlined, so that the IPv4 loop is what it was
 * before --v6 (the copy inlined, no test per packet).
 */
static inline __attribute__((always_inline)) void
bench_loop_len(struct lbb *b, uint64_t n, uint32_t len)
{
	static struct dp_burst_out out;
	struct dp_packet pk[DP_BURST], *pp[DP_BURST];
	uint64_t done = 0;
	uint32_t f = 0;

	for (unsigned i = 0; i < DP_BURST; i++)
		pp[i] = &pk[i];
	while (done < n) {
		unsigned k =
			n - done < DP_BURST ? (unsigned)(n - done) : DP_BURST;

		for (unsigned i = 0; i < k; i++) {
			memcpy(b->slots[i] + ROOM, b->tmpl + (size_t)f * STRIDE,
			       len);
			pk[i].data = b->slots[i] + ROOM;
			pk[i].len = len;
			pk[i].headroom = ROOM;
			pk[i].tailroom = SLOT - ROOM - len;
			pk[i].in_port = 1;
			if (++f == b->n)
				f = 0;
		}
		dp_worker_process(b->w, pp, k, &out);
		sink += out.n_tx;
		dp_worker_quiescent(b->w);
		done += k;
	}
}

static void
bench_loop(struct lbb *b, uint64_t n)
{
	if (b->is_v6)
		bench_loop_len(b, n, LEN6);
	else
		bench_loop_len(b, n, LEN);
}

/*
 * The reply to frame f (after NAT: member's side) in r: MACs, addresses
 * and ports swapped (the sums are the same), TCP flags set to flags with
 * the checksum updated (RFC 1624).
 */
static void
reply_build(uint8_t *r, const uint8_t *f, bool is_v6, uint8_t flags)
{
	unsigned len = is_v6 ? LEN6 : LEN, alen = is_v6 ? 16 : 4,
		 sa = is_v6 ? 14 + 8 : 14 + 12, tcp = is_v6 ? 54 : 34;
	uint16_t hc, w0, w1;

	memcpy(r, f, len);
	memcpy(r, f + 6, 6);
	memcpy(r + 6, f, 6);
	memcpy(r + sa, f + sa + alen, alen);
	memcpy(r + sa + alen, f + sa, alen);
	memcpy(r + tcp, f + tcp + 2, 2);
	memcpy(r + tcp + 2, f + tcp, 2);
	w0 = (uint16_t)(r[tcp + 12] << 8 | r[tcp + 13]);
	r[tcp + 13] = flags;
	w1 = (uint16_t)(r[tcp + 12] << 8 | r[tcp + 13]);
	hc = (uint16_t)(r[tcp + 16] << 8 | r[tcp + 17]);
	hc = fold((uint16_t)~hc + (uint32_t)(uint16_t)~w0 + w1);
	r[tcp + 16] = (uint8_t)(hc >> 8);
	r[tcp + 17] = (uint8_t)hc;
}

/*
 * Frame f of len bytes alone through worker 0, translated in place: 0,
 * or -1 when it did not come out.
 */
static int
one_out(struct lbb *b, uint8_t *f, unsigned len)
{
	static struct dp_burst_out out;
	struct dp_packet pk, *pp = &pk;

	memset(&pk, 0, sizeof(pk));
	pk.data = f;
	pk.len = len;
	pk.headroom = ROOM;
	pk.tailroom = SLOT - ROOM - len;
	pk.in_port = 1;
	dp_worker_process(b->w, &pp, 1, &out);
	return out.n_tx == 1 ? 0 : -1;
}

/*
 * Before the established phase: each connection's SYN again (a
 * retransmission, translated) and its member's SYN-ACK back, so that the
 * ACKs of the warm-up pass make it ESTABLISHED, as a connection a client
 * sends data on is. 0, or -1 when a packet did not come out.
 */
static int
handshake(struct lbb *b)
{
	unsigned len = b->is_v6 ? LEN6 : LEN;
	uint8_t *f = b->slots[0] + ROOM, r[LEN6];

	for (uint32_t i = 0; i < b->n; i++) {
		memcpy(f, b->tmpl + (size_t)i * STRIDE, len);
		if (one_out(b, f, len) < 0)
			return -1;
		reply_build(r, f, b->is_v6, 0x12);
		memcpy(f, r, len);
		if (one_out(b, f, len) < 0)
			return -1;
	}
	return 0;
}

/* dp_pipeline_ct_dump() visitor: counts ESTABLISHED connections. */
static int
count_est(const struct dp_ct_entry *e, void *arg)
{
	*(uint32_t *)arg += e->tcp_state == DP_CT_TCP_ESTABLISHED;
	return 0;
}

/* The timed loops, named for profilers (not inlined). */
void bench_new(struct lbb *b, uint64_t n) __attribute__((noinline));
void bench_est(struct lbb *b, uint64_t n) __attribute__((noinline));

void
bench_new(struct lbb *b, uint64_t n)
{
	bench_loop(b, n);
}

void
bench_est(struct lbb *b, uint64_t n)
{
	bench_loop(b, n);
}

/* --two: one worker's loop over its own templates and slots. */
struct two_run {
	struct dp_pipeline *pl;
	struct dp_worker *w;
	const uint8_t *tmpl;
	uint32_t n_tmpl;
	uint64_t n;
	uint32_t in_port;
	unsigned cpu;
	int rc;
	uint64_t sent;
	double cpu_s;
};

static void *
two_loop(void *arg)
{
	struct two_run *r = arg;
	static __thread struct dp_burst_out out;
	static __thread uint8_t slots[DP_BURST][SLOT];
	struct dp_packet pk[DP_BURST], *pp[DP_BURST];
	uint64_t done = 0;
	uint32_t f = 0;
	cpu_set_t cs;
	double c0;

	CPU_ZERO(&cs);
	CPU_SET(r->cpu, &cs);
	(void)pthread_setaffinity_np(pthread_self(), sizeof(cs), &cs);
	if (r->w == NULL) {
		r->rc = dp_worker_create(r->pl, 1, NULL, &r->w);
		if (r->rc < 0)
			return NULL;
	}
	for (unsigned i = 0; i < DP_BURST; i++)
		pp[i] = &pk[i];
	c0 = cpu_s();
	while (done < r->n) {
		unsigned k = r->n - done < DP_BURST ? (unsigned)(r->n - done)
						    : DP_BURST;

		for (unsigned i = 0; i < k; i++) {
			memcpy(slots[i] + ROOM, r->tmpl + (size_t)f * STRIDE,
			       LEN);
			pk[i].data = slots[i] + ROOM;
			pk[i].len = LEN;
			pk[i].headroom = ROOM;
			pk[i].tailroom = SLOT - ROOM - LEN;
			pk[i].in_port = r->in_port;
			if (++f == r->n_tmpl)
				f = 0;
		}
		dp_worker_process(r->w, pp, k, &out);
		r->sent += out.n_tx;
		dp_worker_quiescent(r->w);
		done += k;
	}
	r->cpu_s = cpu_s() - c0;
	if (r->cpu == 1) {
		/* Made on this thread: destroyed on it (RCU registration). */
		dp_worker_destroy(r->w);
		r->w = NULL;
	}
	return NULL;
}

/*
 * The member's reply to each client packet of b->tmpl: the packet run
 * alone through worker 0 (a known connection: translated to the member),
 * then reply_build() with the flags as they are. 0, or -1 when a packet
 * did not come out.
 */
static int
two_replies(struct lbb *b, uint8_t *rtmpl)
{
	uint8_t *f = b->slots[0] + ROOM;

	for (uint32_t i = 0; i < b->n; i++) {
		memcpy(f, b->tmpl + (size_t)i * STRIDE, LEN);
		if (one_out(b, f, LEN) < 0)
			return -1;
		reply_build(rtmpl + (size_t)i * STRIDE, f, false, 0x10);
	}
	return 0;
}

static int
two_phase(struct lbb *b, uint64_t n_pkts)
{
	struct two_run r[2];
	uint8_t *rtmpl = malloc((size_t)b->n * STRIDE);
	pthread_t th;
	int rc = -1;

	if (rtmpl == NULL || two_replies(b, rtmpl) < 0) {
		fprintf(stderr, "dp-lb-bench: two: no replies\n");
		free(rtmpl);
		return -1;
	}
	memset(r, 0, sizeof(r));
	for (unsigned i = 0; i < 2; i++) {
		r[i].pl = b->pl;
		r[i].n = n_pkts;
		r[i].n_tmpl = b->n;
		r[i].cpu = i;
		r[i].in_port = 1 + i;
	}
	r[0].w = b->w;
	r[0].tmpl = b->tmpl;
	r[1].tmpl = rtmpl;
	if (pthread_create(&th, NULL, two_loop, &r[1]) != 0)
		goto out;
	(void)two_loop(&r[0]);
	pthread_join(th, NULL);
	if ((r[1].rc < 0 || r[0].sent != n_pkts || r[1].sent != n_pkts) &&
	    ++faults)
		fprintf(stderr,
			"dp-lb-bench: two: %llu and %llu of %llu "
			"forwarded\n",
			(unsigned long long)r[0].sent,
			(unsigned long long)r[1].sent,
			(unsigned long long)n_pkts);
	printf("lb two: conns=%u packets=%llu client_mpps_per_core=%.2f "
	       "reply_mpps_per_core=%.2f\n",
	       b->n, (unsigned long long)n_pkts, n_pkts / r[0].cpu_s / 1e6,
	       n_pkts / r[1].cpu_s / 1e6);
	rc = 0;
out:
	free(rtmpl);
	return rc;
}

static int
usage(void)
{
	fprintf(stderr, "usage: dp-lb-bench [--conns N] [--packets P] "
			"[--members M] [--alg 1-4] [--cache ENTRIES] "
			"[--v6 1] [--vip 1] [--two 1] [--handshake 0]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	uint32_t n_conns = 1u << 20, *perm;
	uint64_t n_pkts = 10000000, n_bad;
	unsigned n_members = 64, alg = DP_LB_SOURCE_IP_PORT, cache = 1u << 16;
	bool is_v6 = false, is_vip = false, is_two = false, is_hs = true;
	struct dp_cache_stats cst;
	struct dp_ct_stats cts;
	struct lbb *b;
	double c0, c1, c2, c3;
	long rss0, rss1;
	int rc = 1;

	for (int i = 1; i + 1 < argc; i += 2) {
		unsigned long v = strtoul(argv[i + 1], NULL, 0);

		if (strcmp(argv[i], "--conns") == 0 && v > 0 && v < (1u << 24))
			n_conns = (uint32_t)v;
		else if (strcmp(argv[i], "--packets") == 0 && v > 0)
			n_pkts = v;
		else if (strcmp(argv[i], "--members") == 0 && v > 0 &&
			 v <= DP_LB_MEMBERS_MAX)
			n_members = (unsigned)v;
		else if (strcmp(argv[i], "--alg") == 0 && v >= 1 && v <= 4)
			alg = (unsigned)v;
		else if (strcmp(argv[i], "--cache") == 0 && v >= 1024)
			cache = (unsigned)v;
		else if (strcmp(argv[i], "--v6") == 0 && v <= 1)
			is_v6 = v == 1;
		else if (strcmp(argv[i], "--vip") == 0 && v <= 1)
			is_vip = v == 1;
		else if (strcmp(argv[i], "--two") == 0 && v <= 1)
			is_two = v == 1;
		else if (strcmp(argv[i], "--handshake") == 0 && v <= 1)
			is_hs = v == 1;
		else
			return usage();
	}
	if (argc % 2 == 0 || (is_two && is_v6))
		return usage();
	b = aligned_alloc(64, (sizeof(*b) + 63) & ~(size_t)63);
	perm = malloc((size_t)n_conns * sizeof(*perm));
	if (b == NULL || perm == NULL)
		return 1;
	memset(b, 0, sizeof(*b));
	b->n = n_conns;
	b->is_v6 = is_v6;
	b->tmpl = malloc((size_t)n_conns * STRIDE);
	if (b->tmpl == NULL || setup(b, n_conns, n_members, (uint8_t)alg, cache,
				     is_vip, is_two ? 2 : 1) < 0)
		goto out;
	for (uint32_t i = 0; i < n_conns; i++)
		tmpl_build(b, i, i, 0x02);
	rss0 = rss_bytes();
	c0 = cpu_s();
	sink = 0;
	bench_new(b, n_conns);
	c1 = cpu_s();
	rss1 = rss_bytes();
	dp_pipeline_ct_stats(b->pl, &cts);
	if ((sink != n_conns || cts.entries != n_conns) && ++faults)
		fprintf(stderr,
			"dp-lb-bench: new: %llu of %u forwarded, %llu "
			"tracked\n",
			(unsigned long long)sink, n_conns,
			(unsigned long long)cts.entries);
	printf("lb new: conns=%u members=%u alg=%u ns_per_conn=%.1f "
	       "new_conns_per_s_per_core=%.0f family=%d\n",
	       n_conns, n_members, alg, (c1 - c0) * 1e9 / n_conns,
	       n_conns / (c1 - c0), is_v6 ? 6 : 4);
	/* The table's layout (and invariants) with every connection in. */
	{
		struct pl_ct_check chk;
		int crc = pl_ct_test_check(pl_ct_of(b->pl), &chk);

		printf("lb table: links=%u overflow=%u (%.2f%%) "
		       "longest_overflow=%u check=%s\n",
		       chk.links, chk.ovf,
		       chk.links != 0 ? 100.0 * chk.ovf / chk.links : 0.0,
		       chk.max_ovf, crc == 0 ? "ok" : "FAILED");
		if (crc != 0)
			goto out;
	}
	if (is_hs && handshake(b) < 0) {
		fprintf(stderr, "dp-lb-bench: handshake: a packet was lost\n");
		goto out;
	}
	/*
	 * The established phase: ACKs of every connection, random order;
	 * the warm-up pass's make them ESTABLISHED (SYN_SENT without the
	 * handshake).
	 */
	for (uint32_t i = 0; i < n_conns; i++)
		perm[i] = i;
	for (uint32_t i = n_conns - 1; i > 0; i--) {
		uint32_t j =
			(uint32_t)(((uint64_t)rand() << 31 ^ (uint64_t)rand()) %
				   (i + 1));
		uint32_t x = perm[i];

		perm[i] = perm[j];
		perm[j] = x;
	}
	for (uint32_t i = 0; i < n_conns; i++)
		tmpl_build(b, i, perm[i], 0x10);
	bench_loop(b, n_conns); /* warm-up pass, not timed */
	if (is_hs) {
		uint32_t n_est = 0;

		(void)dp_pipeline_ct_dump(b->pl, DP_CT_ZONE_ALL, count_est,
					  &n_est);
		if (n_est != n_conns) {
			fprintf(stderr,
				"dp-lb-bench: %u of %u connections "
				"ESTABLISHED after the handshake\n",
				n_est, n_conns);
			goto out;
		}
	}
	dp_pipeline_ct_stats(b->pl, &cts);
	sink = 0;
	c2 = cpu_s();
	bench_est(b, n_pkts);
	c3 = cpu_s();
	if (sink != n_pkts && ++faults)
		fprintf(stderr, "dp-lb-bench: est: %llu of %llu forwarded\n",
			(unsigned long long)sink, (unsigned long long)n_pkts);
	/* Every packet found its connection: none new, none invalid. */
	n_bad = cts.commits;
	for (unsigned r = 0; r < DP_CT_INV__COUNT; r++)
		n_bad += cts.invalid[r];
	dp_pipeline_ct_stats(b->pl, &cts);
	n_bad = cts.commits - n_bad;
	for (unsigned r = 0; r < DP_CT_INV__COUNT; r++)
		n_bad += cts.invalid[r];
	if (n_bad != 0 && ++faults)
		fprintf(stderr, "dp-lb-bench: est: %llu new or invalid\n",
			(unsigned long long)n_bad);
	printf("lb est: conns=%u packets=%llu ns_per_pkt=%.2f "
	       "mpps_per_core=%.2f katran_mpps_per_core=5.2 family=%d "
	       "state=%s\n",
	       n_conns, (unsigned long long)n_pkts, (c3 - c2) * 1e9 / n_pkts,
	       n_pkts / (c3 - c2) / 1e6, is_v6 ? 6 : 4,
	       is_hs ? "established" : "syn_sent");
	dp_pipeline_cache_stats(b->pl, &cst);
	fprintf(stderr,
		"cache=%u hits=%llu misses=%llu inserts=%llu evictions=%llu "
		"entries=%u\n",
		cache, (unsigned long long)cst.hits,
		(unsigned long long)cst.misses, (unsigned long long)cst.inserts,
		(unsigned long long)cst.evictions, cst.entries);
	if (is_two && two_phase(b, n_pkts) < 0)
		goto out;
	/*
	 * The full table: N more new connections (other clients), each one
	 * evicting the least recently used of its candidates.
	 */
	for (uint32_t i = 0; i < n_conns; i++)
		tmpl_build(b, i, n_conns + i, 0x02);
	sink = 0;
	c2 = cpu_s();
	bench_new(b, n_conns);
	c3 = cpu_s();
	dp_pipeline_ct_stats(b->pl, &cts);
	printf("lb evict: new=%u forwarded=%llu evicted=%llu full=%llu "
	       "ns_per_conn=%.1f new_conns_per_s_per_core=%.0f\n",
	       n_conns, (unsigned long long)sink,
	       (unsigned long long)cts.evicted,
	       (unsigned long long)cts.invalid[DP_CT_INV_FULL],
	       (c3 - c2) * 1e9 / n_conns, n_conns / (c3 - c2));
	printf("lb mem: bytes_per_conn_table=%.1f bytes_per_conn_rss=%.1f "
	       "table_mib=%.1f conns=%llu (1M conns <= 128 MiB: %s)\n",
	       (double)cts.mem_bytes / (double)cts.entries_max,
	       (double)(rss1 - rss0) / n_conns,
	       (double)cts.mem_bytes / (1 << 20),
	       (unsigned long long)cts.entries,
	       (double)cts.mem_bytes / (double)cts.entries_max * (1 << 20) <=
			       128.0 * (1 << 20)
		       ? "yes"
		       : "no");
	if (sink != n_conns && ++faults)
		fprintf(stderr, "dp-lb-bench: evict: %llu of %u forwarded\n",
			(unsigned long long)sink, n_conns);
	rc = faults != 0;
out:
	dp_worker_destroy(b->w);
	dp_pipeline_destroy(b->pl);
	free(b->tmpl);
	free(perm);
	free(b);
	return rc;
}
