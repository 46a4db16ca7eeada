/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline_lb_test.c: the lb_select action over the real pipeline with
 * frames: spread of new connections for each algorithm (even and
 * weighted), drain by weight 0, backups, down members, removal of a member
 * (connections pinned, Maglev disruption bound), replies un-NATed with
 * checksums verified from scratch, SOURCE_IP persistence on an injected
 * clock, counters, and the action's text syntax and validation; a table
 * big enough for the connection prefetch stages, whose hash the lookup
 * reuses (test_big_table).
 *
 * Rules: table 0 sends the client port's packets to lb_select and the
 * member port's replies to ct(nat) in the same zone; table 1 drops +inv
 * and outputs everything else to port 3, so the frame that leaves shows
 * the member that was picked.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "dp_flow_text.h"
#include "dp_proto_codec.h"
#include "pl_ct.h"
#include "pl_lb.h"
#include "pl_lb_test_util.h"
#include "pl_test_util.h"

enum { P_CLIENT = 1, P_MEMBER = 2, P_OUT = 3, ZONE = 5, POOL = 1 };
enum { TCP_SYN = 0x02, TCP_ACK = 0x10 };

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static const uint32_t ip_vip = IP4(203, 0, 113, 10);
static const uint32_t ip_lb = IP4(192, 168, 1, 1);
static const uint16_t vip_port = 80, member_port = 8080;

static uint32_t
member_ip(unsigned i)
{
	return IP4(192, 168, 1, 10 + i);
}

/* Flow cache entries for setup_lb() (0: the default). */
static unsigned setup_cache;

static void
setup_lb(struct tu *t)
{
	lbt_setup(t, 1 << 17, setup_cache);
}

/*
 * Members 0 .. n-1 with weights w (NULL: 1), flags f (NULL: up); the
 * connections' idle and connect timeouts in ms (0: the table's).
 */
static void
set_pool_to(struct tu *t, uint8_t alg, unsigned n, const uint16_t *w,
	    const uint8_t *f, uint32_t persist, uint32_t idle_ms,
	    uint32_t connect_ms)
{
	struct dp_lb_member m[16];
	struct dp_lb_pool p;
	char err[256];

	memset(&p, 0, sizeof(p));
	memset(m, 0, sizeof(m));
	p.id = POOL;
	p.alg = alg;
	p.src_addr = htonl(ip_lb);
	p.n_members = n;
	p.persist_timeout = persist;
	p.idle_timeout_ms = idle_ms;
	p.connect_timeout_ms = connect_ms;
	for (unsigned i = 0; i < n; i++) {
		m[i].addr = htonl(member_ip(i));
		m[i].port = htons(member_port);
		m[i].weight = w != NULL ? w[i] : 1;
		m[i].flags = f != NULL ? f[i] : DP_LB_M_UP;
	}
	if (dp_pipeline_lb_set(t->pl, &p, m, err, sizeof(err)) != 0)
		fail_msg("lb_set: %s", err);
}

static void
set_pool(struct tu *t, uint8_t alg, unsigned n, const uint16_t *w,
	 const uint8_t *f, uint32_t persist)
{
	set_pool_to(t, alg, n, w, f, persist, 0, 0);
}

static size_t
frame4(uint8_t *b, uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst,
       uint16_t dport, uint8_t flags)
{
	struct tu_frame f;

	tu_frame_udp4(&f);
	f.proto = proto;
	f.src4 = src;
	f.dst4 = dst;
	f.sport = sport;
	f.dport = dport;
	f.tcp_flags = flags;
	f.payload = proto == 6 ? 0 : 18;
	return tu_build(&f, b);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/*
 * Send a client packet to the VIP: the member index it was sent to (the
 * frame checked: source the LB address, destination port the member's,
 * checksums), or -1 when dropped. *lport gets the LB source port.
 */
static int
send_c(struct tu *t, uint8_t proto, uint32_t src, uint16_t sport, uint8_t flags,
       uint16_t *lport)
{
	uint8_t b[256];
	size_t len = frame4(b, proto, src, sport, ip_vip, vip_port, flags);
	const uint8_t *o;
	uint32_t dst;

	tu_run(t, b, (uint32_t)len, P_CLIENT);
	if (t->out.n_tx == 0)
		return -1;
	assert_int_equal(t->out.n_tx, 1);
	assert_int_equal(t->out.tx_port[0], P_OUT);
	o = t->out.tx[0]->data;
	assert_true(tu_csum_ok(o, t->out.tx[0]->len));
	assert_int_equal(get32(o + 26), ip_lb);
	assert_int_equal(lbt_get16(o + 36), member_port);
	if (lport != NULL)
		*lport = lbt_get16(o + 34);
	dst = get32(o + 30);
	assert_true(dst >= member_ip(0) && dst < member_ip(16));
	return (int)(dst - member_ip(0));
}

static int
syn(struct tu *t, uint32_t src, uint16_t sport)
{
	return send_c(t, 6, src, sport, TCP_SYN, NULL);
}

static uint32_t
client_ip(void)
{
	return IP4(10, 1, 0, 0) | (lbt_rnd() & 0xffff);
}

static void
spread(struct tu *t, unsigned n_conn, unsigned *count)
{
	for (unsigned i = 0; i < n_conn; i++) {
		int m = syn(t, client_ip(),
			    (uint16_t)(1024 + lbt_rnd() % 60000));

		assert_true(m >= 0 && m < 16);
		count[m]++;
	}
}

static const uint8_t algs[] = {DP_LB_SOURCE_IP_PORT, DP_LB_SOURCE_IP,
			       DP_LB_ROUND_ROBIN, DP_LB_LEAST_CONNECTIONS};

/* 10,000 new connections over 3 equal members: within 10% of even. */
static void
test_even(void **state)
{
	(void)state;
	for (unsigned a = 0; a < sizeof(algs); a++) {
		unsigned count[16] = {0};
		struct tu t;

		setup_lb(&t);
		set_pool(&t, algs[a], 3, NULL, NULL, 0);
		spread(&t, 10000, count);
		for (unsigned i = 0; i < 3; i++) {
			if (count[i] < 3000 || count[i] > 3667)
				fail_msg("alg %u member %u: %u of 10000",
					 algs[a], i, count[i]);
		}
		tu_teardown(&t);
	}
}

/* Weights 1:2:3: shares in proportion (within 10% of each share). */
static void
test_weights(void **state)
{
	static const uint16_t w[3] = {1, 2, 3};

	(void)state;
	for (unsigned a = 0; a < sizeof(algs); a++) {
		unsigned count[16] = {0};
		struct tu t;

		setup_lb(&t);
		set_pool(&t, algs[a], 3, w, NULL, 0);
		spread(&t, 12000, count);
		for (unsigned i = 0; i < 3; i++) {
			unsigned want = 2000 * w[i];

			if (count[i] < want * 9 / 10 ||
			    count[i] > want * 11 / 10)
				fail_msg("alg %u member %u (weight %u): %u "
					 "of 12000, want ~%u",
					 algs[a], i, w[i], count[i], want);
		}
		tu_teardown(&t);
	}
}

/* Weight 0 drains: the existing connection keeps its member. */
static void
test_drain(void **state)
{
	uint16_t w[3] = {1, 1, 1};
	unsigned count[16] = {0};
	struct tu t;
	uint32_t c = IP4(10, 9, 9, 9);
	int m;

	(void)state;
	setup_lb(&t);
	set_pool(&t, DP_LB_SOURCE_IP_PORT, 3, w, NULL, 0);
	m = syn(&t, c, 5555);
	assert_true(m >= 0 && m < 3);
	w[m] = 0;
	set_pool(&t, DP_LB_SOURCE_IP_PORT, 3, w, NULL, 0);
	/* The established connection continues to its member. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(send_c(&t, 6, c, 5555, TCP_ACK, NULL), m);
	spread(&t, 1000, count);
	assert_int_equal(count[m], 0);
	tu_teardown(&t);
}

/* Backups only when no primary is up. */
static void
test_backup(void **state)
{
	uint8_t f[3] = {DP_LB_M_UP, DP_LB_M_UP, DP_LB_M_UP | DP_LB_M_BACKUP};
	unsigned count[16] = {0};
	struct tu t;

	(void)state;
	setup_lb(&t);
	set_pool(&t, DP_LB_SOURCE_IP_PORT, 3, NULL, f, 0);
	spread(&t, 1000, count);
	assert_int_equal(count[2], 0);
	assert_true(count[0] > 0 && count[1] > 0);
	f[0] = f[1] = 0; /* primaries down */
	set_pool(&t, DP_LB_ROUND_ROBIN, 3, NULL, f, 0);
	memset(count, 0, sizeof(count));
	spread(&t, 300, count);
	assert_int_equal(count[2], 300);
	f[0] = DP_LB_M_UP;
	set_pool(&t, DP_LB_LEAST_CONNECTIONS, 3, NULL, f, 0);
	memset(count, 0, sizeof(count));
	spread(&t, 300, count);
	assert_int_equal(count[0], 300);
	/* Nothing up: new connections are dropped and counted. */
	f[0] = 0;
	f[2] = DP_LB_M_BACKUP;
	set_pool(&t, DP_LB_SOURCE_IP_PORT, 3, NULL, f, 0);
	assert_int_equal(syn(&t, IP4(10, 2, 2, 2), 7777), -1);
	tu_teardown(&t);
}

/* A member set down gets no new connection, whatever the algorithm. */
static void
test_down(void **state)
{
	uint8_t f[3] = {DP_LB_M_UP, 0, DP_LB_M_UP};

	(void)state;
	for (unsigned a = 0; a < sizeof(algs); a++) {
		unsigned count[16] = {0};
		struct tu t;

		setup_lb(&t);
		set_pool(&t, algs[a], 3, NULL, f, 0);
		spread(&t, 1000, count);
		assert_int_equal(count[1], 0);
		assert_int_equal(count[0] + count[2], 1000);
		tu_teardown(&t);
	}
}

struct conn {
	uint32_t src;
	uint16_t sport;
	int member;
};

/*
 * Removing one of 5 members: pinned connections keep their member; after
 * a flush, the same tuples move only off the removed member (Maglev);
 * the table changes in at most about k/N + 2% of its entries.
 */
static void
test_removal(void **state)
{
	enum { N_CONN = 5000, N = 5, GONE = 2 };
	static uint32_t before[65537], after[65537];
	struct dp_lb_member mb[N], ma[N];
	struct conn *cs = calloc(N_CONN, sizeof(*cs));
	unsigned moved_other = 0, changed = 0, n_gone = 0;
	uint16_t w[N] = {1, 1, 1, 1, 1};
	struct dp_lb_member m[N];
	struct dp_lb_pool p;
	struct tu t;
	char err[256];
	int size;

	(void)state;
	assert_non_null(cs);
	setup_lb(&t);
	set_pool(&t, DP_LB_SOURCE_IP_PORT, N, w, NULL, 0);
	size = pl_lb_table(t.pl, POOL, before, 65537, mb, N);
	assert_int_equal(size, 65537);
	for (unsigned i = 0; i < N_CONN; i++) {
		cs[i].src = client_ip();
		cs[i].sport = (uint16_t)(1024 + lbt_rnd() % 60000);
		cs[i].member = syn(&t, cs[i].src, cs[i].sport);
		if (cs[i].member < 0)
			fail_msg("connection %u dropped", i);
		n_gone += cs[i].member == GONE;
	}
	/* The pool without member GONE (indexes shift: keep identities). */
	memset(&p, 0, sizeof(p));
	p.id = POOL;
	p.alg = DP_LB_SOURCE_IP_PORT;
	p.src_addr = htonl(ip_lb);
	for (unsigned i = 0; i < N; i++) {
		if (i == GONE)
			continue;
		memset(&m[p.n_members], 0, sizeof(m[0]));
		m[p.n_members].addr = htonl(member_ip(i));
		m[p.n_members].port = htons(member_port);
		m[p.n_members].weight = 1;
		m[p.n_members].flags = DP_LB_M_UP;
		p.n_members++;
	}
	assert_int_equal(dp_pipeline_lb_set(t.pl, &p, m, err, sizeof(err)), 0);
	assert_int_equal(pl_lb_table(t.pl, POOL, after, 65537, ma, N), size);
	for (int e = 0; e < size; e++)
		if (mb[before[e]].addr != ma[after[e]].addr)
			changed++;
	printf("maglev: %u of %d entries changed removing 1 of %d members "
	       "(k/N = %d)\n",
	       changed, size, N, size / N);
	assert_true(changed <= (unsigned)(size / N + size / 50));
	/* Pinned: every connection continues to its member. */
	for (unsigned i = 0; i < N_CONN; i += 7)
		assert_int_equal(
			send_c(&t, 6, cs[i].src, cs[i].sport, TCP_ACK, NULL),
			cs[i].member);
	/* New connections with the same tuples: only GONE's move. */
	assert_true(dp_pipeline_ct_flush(t.pl, ZONE) >= N_CONN);
	for (unsigned i = 0; i < N_CONN; i++) {
		int mm = syn(&t, cs[i].src, cs[i].sport);

		assert_true(mm >= 0 && mm != GONE);
		if (cs[i].member != GONE && mm != cs[i].member)
			moved_other++;
	}
	printf("connections: %u on the removed member moved, %u of %u "
	       "others moved\n",
	       n_gone, moved_other, N_CONN - n_gone);
	assert_true(moved_other <= (N_CONN - n_gone) / 50);
	free(cs);
	tu_teardown(&t);
}

struct stats_seen {
	struct dp_lb_pool_stats ps;
	struct dp_lb_member_stats ms[8];
};

static int
stats_cb(const struct dp_lb_pool_stats *ps, const struct dp_lb_member_stats *ms,
	 void *arg)
{
	struct stats_seen *s = arg;

	s->ps = *ps;
	memcpy(s->ms, ms, ps->n_members * sizeof(*ms));
	return 0;
}

/*
 * A member's reply to the LB address and port comes back as VIP -> client
 * with valid checksums, for TCP and UDP; a reply to an unknown port does
 * not pass. The pool counts the replies apart (bytes_out in the API).
 */
static void
test_reply(void **state)
{
	static const uint8_t protos[] = {6, 17};
	const uint32_t c = IP4(10, 7, 7, 7);
	uint64_t rpl_bytes = 0, all_bytes = 0;
	struct stats_seen s;
	uint8_t b[256];
	const uint8_t *o;
	struct tu t;

	(void)state;
	setup_lb(&t);
	set_pool(&t, DP_LB_SOURCE_IP_PORT, 3, NULL, NULL, 0);
	for (unsigned k = 0; k < sizeof(protos); k++) {
		uint16_t lport = 0;
		int m = send_c(&t, protos[k], c, 4321,
			       protos[k] == 6 ? TCP_SYN : 0, &lport);
		size_t len;

		assert_true(m >= 0);
		len = frame4(b, protos[k], member_ip((unsigned)m), member_port,
			     ip_lb, lport,
			     protos[k] == 6 ? TCP_SYN | TCP_ACK : 0);
		tu_run(&t, b, (uint32_t)len, P_MEMBER);
		assert_int_equal(t.out.n_tx, 1);
		o = t.out.tx[0]->data;
		rpl_bytes += t.out.tx[0]->len;
		assert_true(tu_csum_ok(o, t.out.tx[0]->len));
		assert_int_equal(get32(o + 26), ip_vip);
		assert_int_equal(lbt_get16(o + 34), vip_port);
		assert_int_equal(get32(o + 30), c);
		assert_int_equal(lbt_get16(o + 36), 4321);
		/* The client's next packet still goes to the same member. */
		assert_int_equal(send_c(&t, protos[k], c, 4321,
					protos[k] == 6 ? TCP_ACK : 0, NULL),
				 m);
		all_bytes += 2 * len; /* the client's two, as long */
		/* Counted: three packets, one of them a reply. */
		assert_int_equal(dp_pipeline_lb_stats(t.pl, POOL, stats_cb, &s),
				 0);
		assert_int_equal(s.ps.packets, 3 * (k + 1));
		assert_int_equal(s.ps.packets_rpl, k + 1);
		assert_int_equal(s.ps.bytes_rpl, rpl_bytes);
		assert_int_equal(s.ps.bytes, all_bytes + rpl_bytes);
		/* A reply to a port nobody holds is +inv: dropped. */
		len = frame4(b, protos[k], member_ip((unsigned)m), member_port,
			     ip_lb, (uint16_t)(lport + 1),
			     protos[k] == 6 ? TCP_ACK : 0);
		tu_run(&t, b, (uint32_t)len, P_MEMBER);
		if (protos[k] == 6)
			assert_int_equal(t.out.n_tx, 0);
	}
	tu_teardown(&t);
}

/*
 * More connections than a small flow cache holds: the worker bypasses
 * the cache (pl_worker.c) and runs lb_select on the offsets the parser
 * kept. Every packet still reaches its connection's member with the
 * full NAT and valid checksums, TCP and UDP, while the bypass is on.
 */
static void
test_bypass(void **state)
{
	enum { N = 4096 };
	static int8_t mem[N];
	static uint16_t lport[N];
	unsigned n_byp = 0;
	uint8_t b[256];
	struct tu t;

	(void)state;
	setup_cache = 1024;
	setup_lb(&t);
	setup_cache = 0;
	set_pool(&t, DP_LB_SOURCE_IP_PORT, 5, NULL, NULL, 0);
	for (unsigned i = 0; i < N; i++) {
		uint8_t proto = i & 1 ? 17 : 6;

		mem[i] = (int8_t)send_c(&t, proto, IP4(10, 2, i >> 8, i & 255),
					(uint16_t)(2000 + i),
					proto == 6 ? TCP_SYN : 0, &lport[i]);
		assert_true(mem[i] >= 0 && mem[i] < 5);
	}
	for (unsigned k = 0; k < 3; k++) {
		for (unsigned i = 0; i < N; i++) {
			uint8_t proto = i & 1 ? 17 : 6;
			const uint8_t *o;
			size_t len;

			/* The member's reply (ct nat), then the client. */
			n_byp += t.w->byp_left != 0;
			len = frame4(b, proto, member_ip((unsigned)mem[i]),
				     member_port, ip_lb, lport[i],
				     proto != 6 ? 0
				     : k == 0	? TCP_SYN | TCP_ACK
						: TCP_ACK);
			tu_run(&t, b, (uint32_t)len, P_MEMBER);
			assert_int_equal(t.out.n_tx, 1);
			o = t.out.tx[0]->data;
			assert_true(tu_csum_ok(o, t.out.tx[0]->len));
			assert_int_equal(get32(o + 26), ip_vip);
			assert_int_equal(get32(o + 30),
					 IP4(10, 2, i >> 8, i & 255));
			assert_int_equal(lbt_get16(o + 36), 2000 + i);
			n_byp += t.w->byp_left != 0;
			assert_int_equal(send_c(&t, proto,
						IP4(10, 2, i >> 8, i & 255),
						(uint16_t)(2000 + i),
						proto == 6 ? TCP_ACK : 0, NULL),
					 mem[i]);
		}
	}
	/* Most of the packets above went through the bypass. */
	assert_true(n_byp > 2 * N);
	tu_teardown(&t);
}

/*
 * A table big enough for the prefetch stages (pl_ct_is_big()), whose
 * tuple hash the lookup reuses: every established packet and every reply
 * finds its connection (same member, same source port, nothing committed
 * or invalid after the SYNs), with the cache bypassed and with it.
 */
static void
test_big_table(void **state)
{
	enum { N = PL_CT_PREFETCH_MIN + 4096 };
	static int8_t mem[N];
	static uint16_t lport[N];
	struct dp_ct_stats cts;
	uint8_t b[256];
	struct tu t;

	(void)state;
	for (unsigned cache = 1024; cache <= 1u << 18; cache <<= 8) {
		setup_cache = cache;
		setup_lb(&t);
		setup_cache = 0;
		set_pool(&t, DP_LB_SOURCE_IP_PORT, 5, NULL, NULL, 0);
		for (unsigned i = 0; i < N; i++) {
			uint8_t proto = i & 1 ? 17 : 6;

			mem[i] = (int8_t)send_c(
				&t, proto, IP4(10, 3, i >> 8, i & 255),
				(uint16_t)(3000 + i), proto == 6 ? TCP_SYN : 0,
				&lport[i]);
			assert_true(mem[i] >= 0 && mem[i] < 5);
		}
		assert_true(pl_ct_is_big(pl_ct_of(t.pl)));
		for (unsigned i = 0; i < N; i++) {
			uint8_t proto = i & 1 ? 17 : 6;
			const uint8_t *o;
			size_t len;

			len = frame4(b, proto, member_ip((unsigned)mem[i]),
				     member_port, ip_lb, lport[i],
				     proto == 6 ? TCP_SYN | TCP_ACK : 0);
			tu_run(&t, b, (uint32_t)len, P_MEMBER);
			assert_int_equal(t.out.n_tx, 1);
			o = t.out.tx[0]->data;
			assert_int_equal(get32(o + 30),
					 IP4(10, 3, i >> 8, i & 255));
			assert_int_equal(lbt_get16(o + 36), 3000 + i);
			assert_int_equal(send_c(&t, proto,
						IP4(10, 3, i >> 8, i & 255),
						(uint16_t)(3000 + i),
						proto == 6 ? TCP_ACK : 0, NULL),
					 mem[i]);
		}
		dp_pipeline_ct_stats(t.pl, &cts);
		assert_int_equal(cts.entries, N);
		assert_int_equal(cts.commits, N);
		for (unsigned r = 0; r < DP_CT_INV__COUNT; r++)
			assert_int_equal(cts.invalid[r], 0);
		tu_teardown(&t);
	}
}

/*
 * SOURCE_IP with persistence: clients keep their member across a pool
 * change within the timeout; after it, Maglev decides again.
 */
static void
test_persistence(void **state)
{
	enum { N_CLIENTS = 60 };
	int first[N_CLIENTS];
	unsigned kept = 0, moved = 0;
	uint32_t src[N_CLIENTS];
	struct tu t;

	(void)state;
	setup_lb(&t);
	set_pool(&t, DP_LB_SOURCE_IP, 3, NULL, NULL, 300);
	for (unsigned i = 0; i < N_CLIENTS; i++) {
		src[i] = client_ip();
		first[i] = syn(&t, src[i], 2000);
		assert_true(first[i] >= 0);
	}
	/* Six members now: Maglev alone would move about half of them. */
	set_pool(&t, DP_LB_SOURCE_IP, 6, NULL, NULL, 300);
	lbt_now += 100;
	for (unsigned i = 0; i < N_CLIENTS; i++)
		kept += syn(&t, src[i], 2001) == first[i];
	assert_int_equal(kept, N_CLIENTS);
	/* Past the timeout (and the connections' own): Maglev again. */
	lbt_now += 400;
	assert_true(dp_pipeline_ct_flush(t.pl, ZONE) > 0);
	for (unsigned i = 0; i < N_CLIENTS; i++) {
		int m = syn(&t, src[i], 2002);

		moved += m != first[i];
		/* And persistent from now on. */
		assert_int_equal(syn(&t, src[i], 2003), m);
	}
	printf("persistence: %u of %d clients kept their member, %u moved "
	       "after the timeout\n",
	       kept, N_CLIENTS, moved);
	assert_true(moved > 0);
	tu_teardown(&t);
}

/* Counters: per member packets, bytes, active, total; LEAST_CONN. */
static void
test_stats(void **state)
{
	struct stats_seen s;
	unsigned count[16] = {0};
	uint64_t pk = 0, tot = 0, act = 0;
	struct tu t;

	(void)state;
	setup_lb(&t);
	set_pool(&t, DP_LB_LEAST_CONNECTIONS, 3, NULL, NULL, 0);
	spread(&t, 300, count);
	assert_int_equal(send_c(&t, 17, IP4(10, 3, 3, 3), 53, 0, NULL) >= 0, 1);
	assert_int_equal(dp_pipeline_lb_stats(t.pl, POOL, stats_cb, &s), 0);
	assert_int_equal(s.ps.n_members, 3);
	for (unsigned i = 0; i < 3; i++) {
		pk += s.ms[i].packets;
		tot += s.ms[i].total;
		act += s.ms[i].active;
		assert_true(s.ms[i].table_entries > 60000 / 3 - 2000);
		assert_true(s.ms[i].bytes > 0);
	}
	assert_int_equal(pk, 301);
	assert_int_equal(tot, 301);
	assert_int_equal(act, 301);
	assert_int_equal(s.ps.total, 301);
	/* Least connections: 301 spread 100/100/101. */
	for (unsigned i = 0; i < 3; i++)
		assert_true(s.ms[i].active >= 100 && s.ms[i].active <= 101);
	/* Connections leave the table: active follows. */
	assert_int_equal(dp_pipeline_ct_flush(t.pl, ZONE), 301);
	assert_int_equal(dp_pipeline_lb_stats(t.pl, POOL, stats_cb, &s), 0);
	assert_int_equal(s.ps.active, 0);
	assert_int_equal(s.ps.total, 301);
	/* No member: counted. */
	set_pool(&t, DP_LB_ROUND_ROBIN, 0, NULL, NULL, 0);
	assert_int_equal(syn(&t, IP4(10, 4, 4, 4), 9), -1);
	assert_int_equal(dp_pipeline_lb_stats(t.pl, POOL, stats_cb, &s), 0);
	assert_int_equal(s.ps.no_member, 1);
	assert_int_equal(dp_pipeline_lb_del(t.pl, POOL), 0);
	assert_int_equal(dp_pipeline_lb_del(t.pl, POOL), -ENOENT);
	assert_int_equal(dp_pipeline_lb_stats(t.pl, POOL, stats_cb, &s),
			 -ENOENT);
	assert_int_equal(syn(&t, IP4(10, 4, 4, 5), 9), -1);
	tu_teardown(&t);
}

/* Bad pools are refused with a reason. */
static void
test_bad_pool(void **state)
{
	struct dp_lb_member m[2];
	struct dp_lb_pool p;
	struct tu t;
	char err[256];

	(void)state;
	setup_lb(&t);
	memset(m, 0, sizeof(m));
	m[0].addr = htonl(member_ip(0));
	m[0].weight = 1;
	m[1] = m[0];
	memset(&p, 0, sizeof(p));
	p.id = POOL;
	p.alg = 9;
	p.src_addr = htonl(ip_lb);
	p.n_members = 1;
	assert_int_equal(dp_pipeline_lb_set(t.pl, &p, m, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "algorithm"));
	p.alg = DP_LB_ROUND_ROBIN;
	p.table_size = 65536;
	assert_int_equal(dp_pipeline_lb_set(t.pl, &p, m, err, sizeof(err)),
			 -EINVAL);
	p.table_size = 0;
	p.n_members = 2;
	assert_int_equal(dp_pipeline_lb_set(t.pl, &p, m, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "twice"));
	p.n_members = 1;
	m[0].weight = 257;
	assert_int_equal(dp_pipeline_lb_set(t.pl, &p, m, err, sizeof(err)),
			 -EINVAL);
	m[0].weight = 1;
	p.src_addr = 0;
	assert_int_equal(dp_pipeline_lb_set(t.pl, &p, m, err, sizeof(err)),
			 -EINVAL);
	p.src_addr = htonl(ip_lb);
	p.id = 0;
	assert_int_equal(dp_pipeline_lb_set(t.pl, &p, m, err, sizeof(err)),
			 -EINVAL);
	p.id = POOL;
	assert_int_equal(dp_pipeline_lb_set(t.pl, &p, m, err, sizeof(err)), 0);
	tu_teardown(&t);
}

/* lb_select(pool=N,zone=Z,table=T): parse, format, validation. */
static void
test_text(void **state)
{
	static const char *const bad[] = {
		"table=0,actions=lb_select(pool=0,zone=1,table=2)",
		"table=0,actions=lb_select(zone=1,table=2)",
		"table=0,actions=lb_select(pool=1,zone=1)",
		"table=0,actions=lb_select(pool=1,zone=70000,table=2)",
		"table=0,actions=lb_select(pool=1,bogus=1,table=2)",
		"table=3,actions=lb_select(pool=1,table=2)",
		"table=0,actions=lb_select(pool=1,table=2),output:1",
		"table=0,actions=lb_select:1",
		NULL,
	};
	struct dp_rule r;
	char err[256], buf[512];

	(void)state;
	assert_int_equal(
		dp_flow_text_parse("table=0,priority=5,actions=lb_select("
				   "table=9,pool=4095,zone=7)",
				   &r, err, sizeof(err)),
		1);
	assert_int_equal(r.actions[0].type, DP_ACT_LB_SELECT);
	assert_int_equal(r.actions[0].u.lb.pool, 4095);
	assert_int_equal(r.actions[0].u.lb.zone, 7);
	assert_int_equal(r.actions[0].u.lb.table, 9);
	assert_int_equal(dp_rule_validate(&r, err, sizeof(err)), 0);
	assert_true(dp_flow_text_format(&r, NULL, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "lb_select(pool=4095,zone=7,table=9)"));
	for (unsigned i = 0; bad[i] != NULL; i++) {
		int rc = dp_flow_text_parse(bad[i], &r, err, sizeof(err));

		if (rc == 1 && dp_rule_validate(&r, err, sizeof(err)) == 0)
			fail_msg("accepted: %s", bad[i]);
	}
}

/* Validate one LB message body of len bytes as received. */
static int
validate(uint16_t type, const void *body, size_t len)
{
	struct dp_buf b = {0};
	struct dp_msg_hdr h;
	char err[256];
	int rc;

	assert_int_equal(dp_proto_encode(&b, type, 1, 0, body, len), 0);
	memcpy(&h, b.data, sizeof(h));
	rc = dp_proto_validate(&h, b.data + sizeof(h), err, sizeof(err));
	dp_buf_fini(&b);
	return rc;
}

/* The protocol's LB bodies: counts and lengths checked before reading. */
static void
test_proto(void **state)
{
	uint8_t buf[sizeof(struct dp_lb_pool) +
		    3 * sizeof(struct dp_lb_member)];
	struct dp_lb_pool p;
	struct dp_lb_pool_ref ref = {.id = 1};

	(void)state;
	memset(buf, 0, sizeof(buf));
	memset(&p, 0, sizeof(p));
	p.id = 1;
	p.n_members = 3;
	memcpy(buf, &p, sizeof(p));
	assert_int_equal(validate(DP_MSG_LB_POOL_SET, buf, sizeof(buf)), 0);
	/* One member short, one byte short, the head cut. */
	assert_int_equal(validate(DP_MSG_LB_POOL_SET, buf,
				  sizeof(buf) - sizeof(struct dp_lb_member)),
			 -EINVAL);
	assert_int_equal(validate(DP_MSG_LB_POOL_SET, buf, sizeof(buf) - 1),
			 -EINVAL);
	assert_int_equal(validate(DP_MSG_LB_POOL_SET, buf, 7), -EINVAL);
	/* A count over the maximum. */
	p.n_members = DP_LB_MEMBERS_MAX + 1;
	memcpy(buf, &p, sizeof(p));
	assert_int_equal(validate(DP_MSG_LB_POOL_SET, buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(validate(DP_MSG_LB_POOL_DEL, &ref, sizeof(ref)), 0);
	assert_int_equal(validate(DP_MSG_LB_STATS, &ref, sizeof(ref) - 1),
			 -EINVAL);
	assert_string_equal(dp_proto_type_name(DP_MSG_LB_STATS_REPLY),
			    "LB_STATS_REPLY");
	assert_string_equal(dp_proto_drop_name(DP_DROP_LB_NO_MEMBER),
			    "lb_no_member");
	/* Stats replies: this head, and the older 72- and 56-byte ones
	 * (before packets_rpl, before limit), with one member; no other. */
	{
		const size_t ml = sizeof(struct dp_lb_member_stats);
		uint8_t sb[sizeof(struct dp_lb_pool_stats) + ml];
		struct dp_lb_pool_stats ps = {.id = 1, .n_members = 1};
		static const size_t heads[] = {sizeof(struct dp_lb_pool_stats),
					       DP_LB_POOL_STATS_V2_LEN,
					       DP_LB_POOL_STATS_V1_LEN, 64};

		for (unsigned i = 0; i < 4; i++) {
			memset(sb, 0, sizeof(sb));
			memcpy(sb, &ps, heads[i]);
			assert_int_equal(validate(DP_MSG_LB_STATS_REPLY, sb,
						  heads[i] + ml),
					 i < 3 ? 0 : -EINVAL);
		}
	}
}

/*
 * conn_limit: with the pool at its limit a new connection is dropped and
 * counted `limit`; established ones continue; room again once one goes.
 */
static void
test_limit(void **state)
{
	struct dp_lb_member m[3];
	struct dp_lb_pool p;
	struct stats_seen s;
	struct tu t;
	char err[256];
	int first;

	(void)state;
	setup_lb(&t);
	memset(&p, 0, sizeof(p));
	memset(m, 0, sizeof(m));
	p.id = POOL;
	p.alg = DP_LB_ROUND_ROBIN;
	p.src_addr = htonl(ip_lb);
	p.n_members = 3;
	p.conn_limit = 5;
	for (unsigned i = 0; i < 3; i++) {
		m[i].addr = htonl(member_ip(i));
		m[i].port = htons(member_port);
		m[i].weight = 1;
		m[i].flags = DP_LB_M_UP;
	}
	if (dp_pipeline_lb_set(t.pl, &p, m, err, sizeof(err)) != 0)
		fail_msg("lb_set: %s", err);
	first = syn(&t, IP4(10, 5, 0, 1), 1000);
	assert_true(first >= 0);
	for (uint16_t i = 1; i < 5; i++)
		assert_true(syn(&t, IP4(10, 5, 0, 1), (uint16_t)(1000 + i)) >=
			    0);
	/* The sixth and seventh are refused, on any member. */
	assert_int_equal(syn(&t, IP4(10, 5, 0, 2), 2000), -1);
	assert_int_equal(syn(&t, IP4(10, 5, 0, 3), 2001), -1);
	/* Established connections are not affected. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(
			send_c(&t, 6, IP4(10, 5, 0, 1), 1000, TCP_ACK, NULL),
			first);
	assert_int_equal(dp_pipeline_lb_stats(t.pl, POOL, stats_cb, &s), 0);
	assert_int_equal(s.ps.active, 5);
	assert_int_equal(s.ps.limit, 2);
	assert_int_equal(s.ps.no_member, 0);
	assert_int_equal(s.ps.conn_limit, 5);
	/* Connections gone: new ones are accepted again. */
	assert_int_equal(dp_pipeline_ct_flush(t.pl, ZONE), 5);
	assert_true(syn(&t, IP4(10, 5, 0, 2), 2000) >= 0);
	/* Limit 0 (the default): none. */
	p.conn_limit = 0;
	if (dp_pipeline_lb_set(t.pl, &p, m, err, sizeof(err)) != 0)
		fail_msg("lb_set: %s", err);
	for (uint16_t i = 0; i < 20; i++)
		assert_true(syn(&t, IP4(10, 5, 0, 4), (uint16_t)(3000 + i)) >=
			    0);
	assert_int_equal(dp_pipeline_lb_stats(t.pl, POOL, stats_cb, &s), 0);
	assert_int_equal(s.ps.limit, 2);
	assert_int_equal(s.ps.conn_limit, 0);
	assert_string_equal(dp_proto_drop_name(DP_DROP_LB_LIMIT), "lb_limit");
	tu_teardown(&t);
}

/* LB_STATS_REPLY: the head with `limit` and the older 56-byte one. */
static void
test_proto_stats_head(void **state)
{
	uint8_t buf[sizeof(struct dp_lb_pool_stats) +
		    sizeof(struct dp_lb_member_stats)];
	uint32_t n = 1;

	(void)state;
	memset(buf, 0, sizeof(buf));
	memcpy(buf + 4, &n, sizeof(n));
	assert_int_equal(validate(DP_MSG_LB_STATS_REPLY, buf, sizeof(buf)), 0);
	assert_int_equal(validate(DP_MSG_LB_STATS_REPLY, buf,
				  DP_LB_POOL_STATS_V1_LEN +
					  sizeof(struct dp_lb_member_stats)),
			 0);
	assert_int_equal(validate(DP_MSG_LB_STATS_REPLY, buf, sizeof(buf) - 4),
			 -EINVAL);
	assert_int_equal(validate(DP_MSG_LB_STATS_REPLY, buf,
				  DP_LB_POOL_STATS_V1_LEN - 1),
			 -EINVAL);
}

/* The live connection of zone ZONE from client port sport, if any. */
struct ct_find {
	uint16_t sport; /* host order */
	bool found;
	struct dp_ct_entry e;
};

static int
ct_find_cb(const struct dp_ct_entry *e, void *arg)
{
	struct ct_find *f = arg;

	if (ntohs(e->orig.sport) == f->sport) {
		f->found = true;
		f->e = *e;
	}
	return 0;
}

static bool
ct_live(struct tu *t, uint16_t sport, uint32_t *expires)
{
	struct ct_find f = {.sport = sport};

	assert_int_equal(dp_pipeline_ct_dump(t->pl, ZONE, ct_find_cb, &f), 0);
	if (f.found && expires != NULL)
		*expires = f.e.expires;
	return f.found;
}

/* The member's packet to the LB's source port lport: delivered? */
static bool
member_sends(struct tu *t, int m, uint16_t lport, uint8_t flags)
{
	uint8_t b[256];
	size_t len = frame4(b, 6, member_ip((unsigned)m), member_port, ip_lb,
			    lport, flags);

	tu_run(t, b, (uint32_t)len, P_MEMBER);
	return t->out.n_tx == 1;
}

/*
 * Open a TCP connection from c:sport through the VIP (SYN, the member's
 * SYN|ACK, ACK), its SYN_SENT expiry checked against syn_s: the member.
 */
static int
handshake(struct tu *t, uint32_t c, uint16_t sport, uint32_t syn_s,
	  uint16_t *lport)
{
	uint32_t exp = 0;
	int m = send_c(t, 6, c, sport, TCP_SYN, lport);

	assert_true(m >= 0);
	assert_true(ct_live(t, sport, &exp));
	assert_int_equal(exp, syn_s);
	assert_true(member_sends(t, m, *lport, TCP_SYN | TCP_ACK));
	assert_int_equal(send_c(t, 6, c, sport, TCP_ACK, NULL), m);
	return m;
}

/*
 * A pool's timeouts (the listener's): an established connection idle
 * longer than the idle timeout is gone, one within it stays, refreshed
 * by either direction (the member's replies meet ct(nat), not
 * lb_select); a SYN the member does not answer is gone after the connect
 * timeout; UDP takes the idle timeout; timeouts 0 keep the table's.
 * ms become whole seconds plus one (5000 -> 6, 2000 -> 3).
 */
static void
test_timeouts(void **state)
{
	const uint32_t c = IP4(10, 9, 0, 1);
	struct stats_seen s;
	uint16_t lport = 0;
	uint32_t exp = 0;
	struct tu t;
	int m;

	(void)state;
	setup_lb(&t);
	set_pool_to(&t, DP_LB_ROUND_ROBIN, 3, NULL, NULL, 0, 5000, 2000);
	/* Handshake: SYN_SENT takes the connect timeout. */
	m = handshake(&t, c, 1000, 3, &lport);
	assert_true(ct_live(&t, 1000, &exp));
	assert_int_equal(exp, 6);
	/* Idle 5 s: still there; the member's packet refreshes it too. */
	lbt_now += 5;
	assert_int_equal(send_c(&t, 6, c, 1000, TCP_ACK, NULL), m);
	lbt_now += 5;
	assert_true(member_sends(&t, m, lport, TCP_ACK));
	assert_true(ct_live(&t, 1000, &exp));
	assert_int_equal(exp, 6);
	lbt_now += 5;
	assert_int_equal(send_c(&t, 6, c, 1000, TCP_ACK, NULL), m);
	/* Idle 7 s: gone; the next segment is +inv and dropped. */
	lbt_now += 7;
	assert_false(ct_live(&t, 1000, NULL));
	assert_int_equal(send_c(&t, 6, c, 1000, TCP_ACK, NULL), -1);
	assert_false(member_sends(&t, m, lport, TCP_ACK));
	dp_pipeline_ct_sweep(t.pl);
	assert_int_equal(dp_pipeline_lb_stats(t.pl, POOL, stats_cb, &s), 0);
	assert_int_equal(s.ps.active, 0);

	/* A member that does not answer the SYN: gone after 3 s. */
	assert_true(send_c(&t, 6, c, 2000, TCP_SYN, NULL) >= 0);
	lbt_now += 2;
	assert_true(ct_live(&t, 2000, &exp));
	assert_int_equal(exp, 1);
	lbt_now += 1;
	assert_false(ct_live(&t, 2000, NULL));

	/* UDP: the idle timeout too (the table's default would be 30 s). */
	assert_true(send_c(&t, 17, c, 3000, 0, NULL) >= 0);
	assert_true(ct_live(&t, 3000, &exp));
	assert_int_equal(exp, 6);

	/* Timeouts 0: the table's defaults (24 h established, 30 s SYN),
	 * also for the connections already there, from their next packet. */
	set_pool(&t, DP_LB_ROUND_ROBIN, 3, NULL, NULL, 0);
	assert_true(send_c(&t, 17, c, 3000, 0, NULL) >= 0);
	assert_true(ct_live(&t, 3000, &exp));
	assert_int_equal(exp, 30);
	m = handshake(&t, c, 4000, 30, &lport);
	lbt_now += 60;
	assert_int_equal(send_c(&t, 6, c, 4000, TCP_ACK, NULL), m);
	assert_true(ct_live(&t, 4000, &exp));
	assert_int_equal(exp, 24 * 3600);
	/* A pool with timeouts again: the connection takes them. */
	set_pool_to(&t, DP_LB_ROUND_ROBIN, 3, NULL, NULL, 0, 1000, 0);
	assert_int_equal(send_c(&t, 6, c, 4000, TCP_ACK, NULL), m);
	assert_true(ct_live(&t, 4000, &exp));
	assert_int_equal(exp, 2);
	tu_teardown(&t);
}

/* Memory per tracked connection: 1M connections in <= 128 MiB. */
static void
test_conn_bytes(void **state)
{
	struct dp_pipeline_config cfg = {.n_workers = 1, .ct_max = 1 << 20};
	struct dp_pipeline *pl;
	size_t b;

	(void)state;
	assert_int_equal(dp_pipeline_create(&cfg, &pl), 0);
	b = pl_ct_conn_bytes(pl_ct_of(pl));
	printf("memory per tracked connection: %zu bytes (1M: %zu MiB)\n", b,
	       (b << 20) >> 20);
	assert_true(b <= 128);
	dp_pipeline_destroy(pl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_even),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_backup),
		cmocka_unit_test(test_down),
		cmocka_unit_test(test_removal),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_bypass),
		cmocka_unit_test(test_big_table),
		cmocka_unit_test(test_persistence),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_bad_pool),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_proto),
		cmocka_unit_test(test_conn_bytes),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_proto_stats_head),
		cmocka_unit_test(test_timeouts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
