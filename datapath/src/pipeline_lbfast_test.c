/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline_lbfast_test.c: the shortcuts of the load balancer's path
 * decide every packet as the full walk does. Two pipelines with the same
 * rules, pools and clock get the same bursts: one worker takes table 0's
 * rule from the per-port map and looks up through its memo (the
 * shortcuts), the other asks the classifier every time
 * (pl_worker_no_memo()). After every burst the frames that leave (port
 * and bytes), the drops, and then the rule counters, drop counters,
 * connection table and pool counters must be equal; with the cache
 * bypassed (as with 1M connections) and with the cache. The first also
 * runs the connection table's prefetch stage, as a big table does, and so
 * lb_select's lockless path for established connections (pl_ct_lb_est());
 * the second counts each rule's packets one by one where the first adds a
 * run of them at once (count_run()), so that the rule counters compared
 * after every burst test that too.
 *
 * Between bursts: rules replaced (table 1's output, a rule for replies,
 * table 0 no longer port-only, a tie in table 0), packets from another
 * in_port, RST and FIN, the connection table flushed, a member drained,
 * removed and taken down, the pool replaced and deleted; IPv4 and IPv6.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "dp_flow_text.h"
#include "pl_ct.h"
#include "pl_int.h"
#include "pl_lb.h"
#include "pl_lb_test_util.h"
#include "pl_test_util.h"

enum { P_CLIENT = 1, P_MEMBER = 2, POOL = 1, NC = 48, NM = 4 };
enum { SYN = 0x02, ACK = 0x10, FIN = 0x01, RST = 0x04, PSH = 0x08 };

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static const uint32_t ip_vip = IP4(203, 0, 113, 10);
static const uint32_t ip_lb = IP4(192, 168, 1, 1);
static const uint8_t vip6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x10};
static const uint8_t lb6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1};
static const uint16_t vip_port = 80, member_port = 8080;

/* The pair: a with the shortcuts, b without; bypass forced or not. */
struct pair {
	struct tu a, b;
	bool is_v6;
	bool is_bypass;
	unsigned n_bursts; /* bursts compared */
	unsigned n_tx;	   /* frames compared */
	/* Table 0 not port-only: the classifier's probes are equal too. */
	bool is_same_work;
};

/* What the clients know of each connection (from pipeline a). */
struct conn {
	uint32_t member; /* index, or UINT32_MAX: none */
	uint16_t lport;
};

static void
addr6(uint8_t *a, uint8_t net, uint32_t id)
{
	memset(a, 0, 16);
	a[0] = 0x20;
	a[1] = 0x01;
	a[2] = 0x0d;
	a[3] = 0xb8;
	a[5] = net;
	a[12] = (uint8_t)(id >> 24);
	a[13] = (uint8_t)(id >> 16);
	a[14] = (uint8_t)(id >> 8);
	a[15] = (uint8_t)id;
}

static uint32_t
member4(unsigned i)
{
	return IP4(192, 168, 1, 10 + i);
}

/* Pool POOL (IPv4 or IPv6 by the pair), members 0 .. n-1. */
static void
pool_set(struct pair *p, uint8_t alg, unsigned n, const uint16_t *w,
	 const uint8_t *f)
{
	struct dp_tu_pool {
		struct dp_lb_member m4[NM];
		struct dp_lb_member6 m6[NM];
	} m;
	struct dp_lb_pool pool;
	char err[256];

	memset(&pool, 0, sizeof(pool));
	memset(&m, 0, sizeof(m));
	pool.id = POOL;
	pool.alg = alg;
	pool.n_members = n;
	if (p->is_v6) {
		pool.flags = DP_LB_POOL_F_IPV6;
		memcpy(pool.src_addr6, lb6, 16);
	} else {
		pool.src_addr = htonl(ip_lb);
	}
	for (unsigned i = 0; i < n; i++) {
		m.m4[i].addr = htonl(member4(i));
		m.m4[i].port = htons(member_port);
		m.m4[i].weight = w != NULL ? w[i] : 1;
		m.m4[i].flags = f != NULL ? f[i] : DP_LB_M_UP;
		addr6(m.m6[i].addr, 2, 10 + i);
		m.m6[i].port = htons(member_port);
		m.m6[i].weight = m.m4[i].weight;
		m.m6[i].flags = m.m4[i].flags;
	}
	for (int k = 0; k < 2; k++) {
		struct tu *t = k ? &p->b : &p->a;
		int rc = p->is_v6 ? dp_pipeline_lb_set6(t->pl, &pool, m.m6, err,
							sizeof(err))
				  : dp_pipeline_lb_set(t->pl, &pool, m.m4, err,
						       sizeof(err));

		if (rc != 0)
			fail_msg("lb_set: %s", err);
	}
}

static void
pair_setup(struct pair *p, bool is_v6, bool is_bypass)
{
	memset(p, 0, sizeof(*p));
	p->is_v6 = is_v6;
	p->is_bypass = is_bypass;
	lbt_setup(&p->a, 1 << 12, 0);
	lbt_setup(&p->b, 1 << 12, 0);
	pl_worker_no_memo(p->b.w);
	/* a: the prefetch stage, its slot hint and lb_select's lockless
	 * established path, as with 1M connections; b: none of them. */
	pl_ct_test_prefetch_min(pl_ct_of(p->a.pl), 0);
	pool_set(p, DP_LB_SOURCE_IP_PORT, 3, NULL, NULL);
}

static int
rule_cb(const struct dp_rule *r, const struct dp_rule_stats *st, void *arg)
{
	uint64_t *v = arg;
	unsigned i = (unsigned)v[0];

	if (i + 4 > 256)
		return -ENOSPC;
	v[i + 1] = (uint64_t)r->table << 32 | r->priority;
	v[i + 2] = r->n_actions;
	v[i + 3] = st->n_packets;
	v[i + 4] = st->n_bytes;
	v[0] += 4;
	return 0;
}

/* Append a pool's counters and a member's (ms: NULL for none) to b. */
static int
pool_put(uint8_t *b, const void *ps, size_t n_ps, const void *ms, size_t n_ms)
{
	size_t *n = (size_t *)(void *)b;

	if (*n + n_ps + n_ms > 4096 - sizeof(size_t))
		return -ENOSPC;
	memcpy(b + sizeof(size_t) + *n, ps, n_ps);
	*n += n_ps;
	if (ms != NULL) {
		memcpy(b + sizeof(size_t) + *n, ms, n_ms);
		*n += n_ms;
	}
	return 0;
}

static int
pool_cb(const struct dp_lb_pool_stats *ps, const struct dp_lb_member_stats *ms,
	void *arg)
{
	return pool_put(arg, ps, sizeof(*ps), ms, sizeof(*ms));
}

static int
pool6_cb(const struct dp_lb_pool_stats *ps,
	 const struct dp_lb_member6_stats *ms, void *arg)
{
	return pool_put(arg, ps, sizeof(*ps), ms, sizeof(*ms));
}

static int
conn_cb(const struct dp_ct_entry *e, void *arg)
{
	uint64_t *sum = arg;
	const uint8_t *b = (const uint8_t *)e;

	/* Order-independent: a sum of per-entry hashes. */
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < sizeof(*e); i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	sum[0] += h;
	sum[1]++;
	return 0;
}

/* Every counter the two pipelines keep, equal. */
static void
pair_check_state(struct pair *p)
{
	static uint64_t ra[257], rb[257];
	static uint8_t la[4096], lb[4096];
	uint64_t da[DP_DROP__COUNT], db[DP_DROP__COUNT];
	uint64_t ca[2] = {0, 0}, cb[2] = {0, 0};
	struct dp_ct_stats sa, sb;

	memset(ra, 0, sizeof(ra));
	memset(rb, 0, sizeof(rb));
	assert_int_equal(dp_pipeline_dump(p->a.pl, -1, rule_cb, ra), 0);
	assert_int_equal(dp_pipeline_dump(p->b.pl, -1, rule_cb, rb), 0);
	assert_memory_equal(ra, rb, sizeof(ra));
	dp_pipeline_drop_stats(p->a.pl, da);
	dp_pipeline_drop_stats(p->b.pl, db);
	assert_memory_equal(da, db, sizeof(da));
	dp_pipeline_ct_stats(p->a.pl, &sa);
	dp_pipeline_ct_stats(p->b.pl, &sb);
	sa.commit_rate = sb.commit_rate = 0;
	assert_memory_equal(&sa, &sb, sizeof(sa));
	assert_int_equal(dp_pipeline_ct_dump(p->a.pl, 5, conn_cb, ca), 0);
	assert_int_equal(dp_pipeline_ct_dump(p->b.pl, 5, conn_cb, cb), 0);
	assert_int_equal(ca[0], cb[0]);
	assert_int_equal(ca[1], cb[1]);
	memset(la, 0, sizeof(la));
	memset(lb, 0, sizeof(lb));
	(void)dp_pipeline_lb_stats_all(p->a.pl, 0, pool_cb, pool6_cb, la);
	(void)dp_pipeline_lb_stats_all(p->b.pl, 0, pool_cb, pool6_cb, lb);
	assert_memory_equal(la, lb, sizeof(la));
}

/* A frame: client c to the VIP (from the client port) or its reply. */
static size_t
frame(const struct pair *p, uint8_t *b, bool is_reply, unsigned c,
      const struct conn *k, uint8_t proto, uint8_t flags)
{
	struct tu_frame f;
	uint16_t cport = (uint16_t)(3000 + c);

	tu_frame_udp4(&f);
	f.proto = proto;
	f.tcp_flags = flags;
	f.payload = (uint16_t)(proto == 6 ? (flags & PSH ? 11 : 0)
					  : 17 + lbt_rnd() % 16);
	if (p->is_v6)
		f.eth_type = 0x86dd;
	if (!is_reply) {
		f.src4 = IP4(10, 1, c >> 8, c & 255);
		f.dst4 = ip_vip;
		addr6(f.src6, 0x0c, c);
		memcpy(f.dst6, vip6, 16);
		f.sport = cport;
		f.dport = vip_port;
	} else {
		uint32_t m = k->member == UINT32_MAX ? 0 : k->member;

		f.src4 = member4(m);
		f.dst4 = ip_lb;
		addr6(f.src6, 2, 10 + m);
		memcpy(f.dst6, lb6, 16);
		f.sport = member_port;
		f.dport = k->lport;
	}
	return tu_build(&f, b);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/*
 * Send the burst of frames fr (lengths len, from port) to both pipelines;
 * the outputs must be equal. Client frames that leave tell the clients
 * their member and the LB's port (k, by client index ci; NULL: none).
 */
static void
pair_burst(struct pair *p, uint8_t fr[][128], const size_t *len,
	   const uint32_t *port, unsigned n, const unsigned *ci, struct conn *k)
{
	struct dp_packet *pa[DP_BURST], *pb[DP_BURST];

	assert_true(n <= DP_BURST);
	for (unsigned i = 0; i < n; i++) {
		pa[i] = tu_pkt_new(fr[i], (uint32_t)len[i], port[i]);
		pb[i] = tu_pkt_new(fr[i], (uint32_t)len[i], port[i]);
	}
	tu_out_free(&p->a.out);
	tu_out_free(&p->b.out);
	p->a.w->byp_left = p->is_bypass ? 1000 : 0;
	p->b.w->byp_left = p->is_bypass ? 1000 : 0;
	dp_worker_process(p->a.w, pa, n, &p->a.out);
	dp_worker_process(p->b.w, pb, n, &p->b.out);
	dp_worker_quiescent(p->a.w);
	dp_worker_quiescent(p->b.w);
	assert_int_equal(p->a.out.n_tx, p->b.out.n_tx);
	assert_int_equal(p->a.out.n_drop, p->b.out.n_drop);
	assert_int_equal(p->a.out.n_punt, p->b.out.n_punt);
	for (unsigned i = 0; i < p->a.out.n_tx; i++) {
		const struct dp_packet *x = p->a.out.tx[i];
		const struct dp_packet *y = p->b.out.tx[i];

		assert_int_equal(p->a.out.tx_port[i], p->b.out.tx_port[i]);
		assert_int_equal(x->len, y->len);
		assert_memory_equal(x->data, y->data, x->len);
		assert_true(tu_csum_ok(x->data, x->len));
		p->n_tx++;
	}
	for (unsigned i = 0; i < p->a.out.n_drop; i++)
		assert_int_equal(p->a.out.drop[i]->len, p->b.out.drop[i]->len);
	p->n_bursts++;
	if (ci == NULL)
		return;
	/* Which member each client frame went to (a's output, in order). */
	for (unsigned i = 0, o = 0; i < n && o < p->a.out.n_tx; i++) {
		const uint8_t *d = p->a.out.tx[o]->data;
		uint32_t m;

		if (port[i] != P_CLIENT)
			continue;
		if (p->is_v6) {
			if (memcmp(d + 14 + 8, lb6, 16) != 0)
				continue;
			m = (uint32_t)d[14 + 24 + 15] - 10;
			k[ci[i]].lport = lbt_get16(d + 14 + 40);
		} else {
			if (get32(d + 26) != ip_lb)
				continue;
			m = get32(d + 30) - member4(0);
			k[ci[i]].lport = lbt_get16(d + 34);
		}
		if (m < NM)
			k[ci[i]].member = m;
		o++;
	}
}

/*
 * Every client from..to-1 sends one frame (flags; is_reply: its member
 * answers), in bursts of up to 32 mixing TCP (even) and UDP (odd)
 * clients; in_port: the port the frames come from (0: their own).
 */
static void
pair_round(struct pair *p, struct conn *k, unsigned from, unsigned to,
	   bool is_reply, uint8_t flags, uint32_t in_port)
{
	static uint8_t fr[DP_BURST][128];
	size_t len[DP_BURST];
	uint32_t port[DP_BURST];
	unsigned ci[DP_BURST];
	struct dp_cache_stats a0, b0, a1, b1;
	unsigned n = 0;

	dp_pipeline_cache_stats(p->a.pl, &a0);
	dp_pipeline_cache_stats(p->b.pl, &b0);
	for (unsigned c = from; c < to; c++) {
		uint8_t proto = c & 1 ? 17 : 6;

		if (is_reply && k[c].member == UINT32_MAX)
			continue;
		len[n] = frame(p, fr[n], is_reply, c, &k[c], proto,
			       proto == 6 ? flags : 0);
		port[n] = in_port != 0 ? in_port
			  : is_reply   ? P_MEMBER
				       : P_CLIENT;
		ci[n++] = c;
		if (n == 32 || c + 1 == to) {
			pair_burst(p, fr, len, port, n, ci, k);
			n = 0;
		}
	}
	if (n != 0)
		pair_burst(p, fr, len, port, n, ci, k);
	pair_check_state(p);
	dp_pipeline_cache_stats(p->a.pl, &a1);
	dp_pipeline_cache_stats(p->b.pl, &b1);
	if (p->is_same_work)
		assert_int_equal(a1.lookups_classifier - a0.lookups_classifier,
				 b1.lookups_classifier - b0.lookups_classifier);
}

/* Bursts that mix clients' frames and their members' replies. */
static void
pair_mixed(struct pair *p, struct conn *k, unsigned from, unsigned to,
	   uint8_t flags)
{
	static uint8_t fr[DP_BURST][128];
	size_t len[DP_BURST];
	uint32_t port[DP_BURST];
	unsigned ci[DP_BURST];
	unsigned n = 0;

	for (unsigned c = from; c < to; c++) {
		uint8_t proto = c & 1 ? 17 : 6;

		for (int r = 0; r < 2; r++) {
			if (r && k[c].member == UINT32_MAX)
				continue;
			len[n] = frame(p, fr[n], r, c, &k[c], proto,
				       proto == 6 ? flags : 0);
			port[n] = r ? P_MEMBER : P_CLIENT;
			ci[n++] = c;
		}
		if (n >= 30 || c + 1 == to) {
			pair_burst(p, fr, len, port, n, ci, k);
			n = 0;
		}
	}
	pair_check_state(p);
}

static void
pair_rules(struct pair *p, const char *const *lines, bool is_del)
{
	for (int k = 0; k < 2; k++) {
		struct tu *t = k ? &p->b : &p->a;
		struct dp_txn *x;
		char err[256];

		assert_int_equal(dp_txn_begin(t->pl, &x), 0);
		for (unsigned i = 0; lines[i] != NULL; i++) {
			struct dp_rule r;

			if (dp_flow_text_parse(lines[i], &r, err,
					       sizeof(err)) != 1)
				fail_msg("%s: %s", lines[i], err);
			if (is_del)
				assert_int_equal(dp_txn_del_strict(x, &r), 0);
			else
				assert_int_equal(
					dp_txn_add(x, &r, err, sizeof(err)), 0);
		}
		assert_int_equal(dp_txn_commit(x, err, sizeof(err)), 0);
	}
}

/* A connection's handshake and a few data packets both ways. */
static void
pair_traffic(struct pair *p, struct conn *k, unsigned from, unsigned to)
{
	pair_round(p, k, from, to, false, SYN, 0);
	pair_round(p, k, from, to, true, SYN | ACK, 0);
	for (int i = 0; i < 3; i++) {
		pair_round(p, k, from, to, false, ACK | (i ? PSH : 0), 0);
		pair_round(p, k, from, to, true, ACK | PSH, 0);
	}
}

static void
run_scenario(bool is_v6, bool is_bypass)
{
	static const char *const reply_rule[] = {
		"table=1,priority=30,ct_state=+trk+rpl,actions=output:4",
		NULL,
	};
	static const char *const out5[] = {
		"table=1,priority=10,actions=output:5",
		NULL,
	};
	static const char *const t0_ip[] = {
		"table=0,priority=5,ip,actions=output:9",
		NULL,
	};
	static const char *const t0_tie[] = {
		"table=0,priority=10,actions=drop",
		NULL,
	};
	static const char *const t1_mark[] = {
		"table=1,priority=40,in_port=1,ct_state=+trk+est,"
		"actions=output:6",
		NULL,
	};
	static const uint16_t drain[] = {1, 0, 1};
	static const uint8_t down[] = {DP_LB_M_UP, DP_LB_M_UP, 0};
	struct conn k[NC];
	struct pair p;

	for (unsigned i = 0; i < NC; i++)
		k[i].member = UINT32_MAX;
	pair_setup(&p, is_v6, is_bypass);

	/* Connections, then the same with rules changed between rounds. */
	pair_traffic(&p, k, 0, NC / 2);
	pair_rules(&p, reply_rule, false);
	pair_round(&p, k, 0, NC / 2, true, ACK, 0);
	pair_round(&p, k, 0, NC / 2, false, ACK, 0);
	pair_rules(&p, out5, false); /* replaces output:3 */
	pair_round(&p, k, 0, NC / 2, false, ACK, 0);
	pair_round(&p, k, 0, NC / 2, true, ACK, 0);
	pair_rules(&p, reply_rule, true);
	pair_round(&p, k, 0, NC / 2, true, ACK, 0);
	pair_rules(&p, t1_mark, false); /* in_port and ct_state */
	pair_round(&p, k, 0, NC / 2, false, ACK, 0);
	pair_round(&p, k, 0, NC / 2, true, ACK, 0);

	pair_mixed(&p, k, 0, NC / 2, ACK);

	/* Client packets from the member's port, from a port with no rule. */
	pair_round(&p, k, 0, NC / 2, false, ACK, P_MEMBER);
	pair_round(&p, k, 0, NC / 2, false, ACK, 7);
	pair_round(&p, k, 0, NC / 2, true, ACK, P_CLIENT);

	/* FIN and RST from either side, then more packets. */
	pair_round(&p, k, 0, 8, false, FIN | ACK, 0);
	pair_round(&p, k, 0, 4, true, FIN | ACK, 0);
	pair_round(&p, k, 8, 16, true, RST, 0);
	pair_round(&p, k, 16, 20, false, RST | ACK, 0);
	pair_round(&p, k, 0, NC / 2, false, ACK, 0);
	pair_round(&p, k, 0, NC / 2, true, ACK, 0);
	pair_traffic(&p, k, 0, 8); /* new SYNs on closed tuples */

	/* Members drained, down, removed; the pool replaced. */
	pool_set(&p, DP_LB_SOURCE_IP_PORT, 3, drain, NULL);
	pair_traffic(&p, k, NC / 2, NC / 2 + 8);
	pair_round(&p, k, 0, NC / 2, false, ACK, 0);
	pool_set(&p, DP_LB_SOURCE_IP_PORT, 3, NULL, down);
	pair_round(&p, k, 0, NC / 2 + 8, false, ACK, 0);
	pair_round(&p, k, 0, NC / 2 + 8, true, ACK, 0);
	pool_set(&p, DP_LB_SOURCE_IP_PORT, 2, NULL, NULL);
	pair_round(&p, k, 0, NC / 2 + 8, false, ACK, 0);
	pool_set(&p, DP_LB_ROUND_ROBIN, 4, NULL, NULL);
	pair_traffic(&p, k, NC / 2 + 8, NC - 8);
	pair_round(&p, k, 0, NC - 8, false, ACK, 0);

	/* The table flushed: ACKs are invalid, SYNs open again. */
	for (int i = 0; i < 2; i++)
		(void)dp_pipeline_ct_flush(i ? p.b.pl : p.a.pl, DP_CT_ZONE_ALL);
	pair_check_state(&p);
	pair_round(&p, k, 0, NC - 8, false, ACK, 0);
	pair_round(&p, k, 0, NC - 8, true, ACK, 0);
	pair_traffic(&p, k, 0, 16);
	pair_mixed(&p, k, 0, NC, ACK | PSH);

	/* Table 0 not port-only, then with a tie: the classifier's. */
	pair_rules(&p, t0_ip, false);
	p.is_same_work = true;
	pair_round(&p, k, 0, NC - 8, false, ACK, 0);
	pair_round(&p, k, 0, NC - 8, true, ACK, 0);
	p.is_same_work = false;
	pair_rules(&p, t0_ip, true);
	pair_rules(&p, t0_tie, false);
	pair_round(&p, k, 0, NC - 8, false, ACK, 0);
	pair_round(&p, k, 0, NC - 8, true, ACK, 0);
	pair_round(&p, k, 0, NC, false, ACK, 9);
	pair_rules(&p, t0_tie, true);
	pair_round(&p, k, 0, NC - 8, false, ACK, 0);

	/* The pool deleted: no new connections, the old ones go on. */
	for (int i = 0; i < 2; i++)
		assert_int_equal(dp_pipeline_lb_del(i ? p.b.pl : p.a.pl, POOL),
				 0);
	pair_traffic(&p, k, NC - 8, NC);
	pair_round(&p, k, 0, 16, false, ACK, 0);
	pair_round(&p, k, 0, 16, true, ACK, 0);

	/* Both ways, every kind of packet was seen and compared. */
	assert_true(p.n_bursts > 80);
	assert_true(p.n_tx > 1000);
	tu_teardown(&p.a);
	tu_teardown(&p.b);
}

static void
test_v4_bypass(void **state)
{
	(void)state;
	run_scenario(false, true);
}

static void
test_v4_cache(void **state)
{
	(void)state;
	run_scenario(false, false);
}

static void
test_v6_bypass(void **state)
{
	(void)state;
	run_scenario(true, true);
}

static void
test_v6_cache(void **state)
{
	(void)state;
	run_scenario(true, false);
}

/* The shortcuts were taken: table 1's memo answered. */
static void
test_memo_used(void **state)
{
	struct conn k[NC];
	struct pair p;
	struct pl_memo *m;

	(void)state;
	for (unsigned i = 0; i < NC; i++)
		k[i].member = UINT32_MAX;
	pair_setup(&p, false, true);
	pair_traffic(&p, k, 0, NC);
	m = &p.a.w->memo[1];
	assert_int_not_equal(m->gen, 0);
	assert_non_null(m->r);
	assert_int_equal(p.b.w->memo[1].gen, 0);
	tu_teardown(&p.a);
	tu_teardown(&p.b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_bypass),
		cmocka_unit_test(test_v4_cache),
		cmocka_unit_test(test_v6_bypass),
		cmocka_unit_test(test_v6_cache),
		cmocka_unit_test(test_memo_used),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
