/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vpn_dp_test.c: datapath SA events reach the IKE side (vpn_dp.h). A real
 * protocol server and pipeline run on a thread (dp_ctl_testsrv.h);
 * vpn_dp installs a child SA through it and watches its events on a
 * libevent loop, with a fake standing in for vpn_driver_sa_event (which
 * calls ike_engine_rekey_child). The outbound SA is then replaced by one
 * whose sequence numbers are 2^19 from their end: the datapath's
 * SEQ_NEAR_END event must lead to exactly one rekey call, for the child's
 * engine connection; another event of the same child, or one for an SA
 * of no child, to none; a new child (the rekeyed one) to one of
 * its own. A child between IPv6 gateways becomes two IPv6 outer SAs and
 * an IPv6-outer tunnel for the rules; a child with mixed address families
 * is refused. Negotiated selectors,
 * IPv4 and IPv6, reach the tunnel rules as prefixes (a range that is not
 * one prefix split into aligned blocks). A rekey we answered moves new
 * traffic to the new SA only when the old one is removed. Two
 * connections' children on one IKE SA make two tunnels of their own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <event2/event.h>

#include "compiler_vpn.h"
#include "dp_client.h"
#include "dp_ctl.h"
#include "dp_ctl_testsrv.h"
#include "vpn_dp.h"
#include "vpn_test_child.h"

struct rekeys {
	unsigned n;
	uint32_t conn_id, spi_in, kinds;
};

struct env {
	struct dp_ctl_testsrv *srv;
	struct event_base *base;
	struct vpn_dp *v;
	struct rekeys rk;
};

/* The fake of vpn_driver_sa_event. */
static void
fake_rekey(void *arg, uint32_t conn_id, uint32_t spi_in, uint32_t kinds)
{
	struct rekeys *rk = arg;

	rk->n++;
	rk->conn_id = conn_id;
	rk->spi_in = spi_in;
	rk->kinds = kinds;
}

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	assert_int_equal(dp_ctl_testsrv_start("vpn_dp_test", &e->srv), 0);
	e->base = event_base_new();
	assert_non_null(e->base);
	assert_int_equal(vpn_dp_create(e->srv->path, &e->v), 0);
	assert_int_equal(vpn_dp_watch_events(e->v, e->base, fake_rekey, &e->rk),
			 0);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	vpn_dp_destroy(e->v);
	event_base_free(e->base);
	dp_ctl_testsrv_stop(e->srv);
	free(e);
	return 0;
}

/* Run the loop until the n_want-th rekey call arrives or ms pass. */
static void
loop_until_rekey(struct env *e, unsigned n_want, int ms)
{
	struct timeval tv = {0, 20000};

	for (int i = 0; i < ms / 20 && e->rk.n < n_want; i++) {
		event_base_loopexit(e->base, &tv);
		event_base_dispatch(e->base);
	}
}

static void
test_event_rekeys(void **state)
{
	struct env *e = *state;
	struct ike_child_info ci;
	struct dp_sa_event ev;
	struct dp_client *c;
	struct dp_sa s;
	uint32_t id_out;
	uint8_t key[40];
	char err[160];

	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 1);
	vpn_test_child(&ci, 7, 0x1111, key);
	assert_int_equal(vpn_dp_sa_install(e->v, &ci), 0);
	id_out = vpn_dp_out_id(e->v, 0x1111);
	assert_true(id_out != 0);

	/* Nothing to report yet (the server polls every 5 ms). */
	loop_until_rekey(e, 1, 300);
	assert_int_equal(e->rk.n, 0);

	/*
	 * The outbound SA again, as a test client, with 2^19 sequence numbers
	 * left (the datapath warns at 2^20).
	 */
	assert_int_equal(dp_client_connect(e->srv->path, &c, err, sizeof(err)),
			 0);
	dp_client_set_timeout(c, 5000);
	assert_int_equal(dp_client_sa_del(c, id_out), 0);
	memset(&s, 0, sizeof(s));
	s.id = id_out;
	s.spi = 0x1211;
	s.dir = DP_SA_OUT;
	s.cipher = DP_SA_AES_GCM_16;
	s.enc_key_len = 20;
	memcpy(s.enc_key, key, 20);
	s.src = 0x0102000c;
	s.dst = 0x0202000c;
	s.seq = UINT32_MAX - (1u << 19);
	assert_int_equal(dp_client_sa_add(c, &s), 0);
	explicit_bzero(&s, sizeof(s));
	dp_client_close(c);

	loop_until_rekey(e, 1, 5000);
	assert_int_equal(e->rk.n, 1);
	assert_int_equal(e->rk.conn_id, 7);
	assert_int_equal(e->rk.spi_in, 0x1111);
	assert_true(e->rk.kinds & DP_SA_EV_SEQ_NEAR_END);

	/* Once per kind and SA from the datapath: no second call. */
	loop_until_rekey(e, 2, 300);
	assert_int_equal(e->rk.n, 1);

	/* Another event of the same child: still one rekey per child. */
	memset(&ev, 0, sizeof(ev));
	ev.id = id_out;
	ev.dir = DP_SA_OUT;
	ev.kinds = DP_SA_EV_SOFT_BYTES;
	assert_int_equal(vpn_dp_sa_event(e->v, &ev), 0);
	assert_int_equal(e->rk.n, 1);
	/* An SA of no child: refused, no rekey. */
	ev.id = 4000;
	assert_int_equal(vpn_dp_sa_event(e->v, &ev), -ENOENT);
	assert_int_equal(e->rk.n, 1);

	/* The rekeyed child is a new child: its own event, its own call. */
	vpn_test_child(&ci, 7, 0x3333, key);
	assert_int_equal(vpn_dp_sa_install(e->v, &ci), 0);
	ev.id = vpn_dp_out_id(e->v, 0x3333);
	ev.kinds = DP_SA_EV_SOFT_PACKETS;
	assert_int_equal(vpn_dp_sa_event(e->v, &ev), 1);
	assert_int_equal(e->rk.n, 2);
	assert_int_equal(e->rk.spi_in, 0x3333);
	/* Not an event that asks for a rekey: nothing. */
	vpn_test_child(&ci, 8, 0x5555, key);
	assert_int_equal(vpn_dp_sa_install(e->v, &ci), 0);
	ev.id = vpn_dp_out_id(e->v, 0x5555);
	ev.kinds = 0x100;
	assert_int_equal(vpn_dp_sa_event(e->v, &ev), 0);
	assert_int_equal(e->rk.n, 2);

	ci.spi_in = 0x1111;
	vpn_dp_sa_remove(e->v, &ci);
	assert_int_equal(vpn_dp_out_id(e->v, 0x1111), 0);
}

struct tun_cap {
	unsigned calls;
	size_t n;
	struct compiler_vpn_tunnel t;
};

static void
tun_cb(void *arg, const struct compiler_vpn_tunnel *t, size_t n)
{
	struct tun_cap *cap = arg;

	cap->calls++;
	cap->n = n;
	if (n > 0)
		cap->t = t[0];
}

/* DPD hold: the last child gone, a held connection keeps a trap. */
static void
test_hold_trap(void **state)
{
	struct env *e = *state;
	struct ike_child_info ci;
	struct tun_cap cap = {0};
	uint8_t key[40];

	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 5);
	vpn_dp_set_observer(e->v, tun_cb, &cap);
	vpn_dp_hold(e->v, "conn-a", true); /* never seen: nothing */
	assert_int_equal(cap.calls, 0);
	vpn_test_child(&ci, 11, 0x3333, key);
	assert_int_equal(vpn_dp_sa_install(e->v, &ci), 0);
	assert_int_equal(cap.n, 1);
	assert_int_equal(cap.t.n_children, 1);
	assert_false(cap.t.is_trap);
	vpn_dp_hold(e->v, "conn-a", true);
	assert_int_equal(cap.n, 1);
	assert_int_equal(cap.t.n_children, 1); /* a child: no trap yet */
	assert_false(cap.t.is_trap);
	vpn_dp_sa_remove(e->v, &ci);
	assert_int_equal(cap.n, 1);
	assert_true(cap.t.is_trap);
	assert_int_equal(cap.t.n_children, 0);
	assert_string_equal(cap.t.conn_id, "conn-a");
	vpn_dp_hold(e->v, "conn-a", false);
	assert_int_equal(cap.n, 0);
	/* Not held: the last child gone, nothing left. */
	assert_int_equal(vpn_dp_sa_install(e->v, &ci), 0);
	vpn_dp_sa_remove(e->v, &ci);
	assert_int_equal(cap.n, 0);
	vpn_dp_set_observer(e->v, NULL, NULL);
}

static int
mtu_cb(const struct dp_sa_info *si, void *arg)
{
	*(uint32_t *)arg = si->mtu;
	return 0;
}

/*
 * The connection's mtu reaches both SAs (inbound: TCP MSS clamping of
 * decrypted SYNs, docs/esp.md).
 */
static void
test_sa_mtu(void **state)
{
	struct env *e = *state;
	struct ike_child_info ci;
	struct dp_client *c;
	uint32_t mtu_out = 0, mtu_in = 7;
	uint8_t key[40];
	char err[160];

	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 3);
	vpn_test_child(&ci, 9, 0x2222, key);
	ci.mtu = 1400;
	assert_int_equal(vpn_dp_sa_install(e->v, &ci), 0);
	assert_int_equal(dp_client_connect(e->srv->path, &c, err, sizeof(err)),
			 0);
	dp_client_set_timeout(c, 5000);
	assert_int_equal(dp_client_sa_dump(c, vpn_dp_out_id(e->v, 0x2222),
					   mtu_cb, &mtu_out),
			 0);
	assert_int_equal(mtu_out, 1400);
	/* The inbound one: the highest id that is not the outbound. */
	for (uint32_t id = 1; id < 16; id++) {
		uint32_t m = 99;

		if (id == vpn_dp_out_id(e->v, 0x2222) ||
		    dp_client_sa_dump(c, id, mtu_cb, &m) != 0 || m == 99)
			continue;
		mtu_in = m;
	}
	assert_int_equal(mtu_in, 1400);
	dp_client_close(c);
	vpn_dp_sa_remove(e->v, &ci);
}

struct sa6_seen {
	unsigned n;
	uint8_t flags[2];
	uint8_t src6[2][16], dst6[2][16];
	uint8_t dir[2];
};

static int
sa6_cb(const struct dp_sa_info *si, void *arg)
{
	struct sa6_seen *s = arg;

	if (s->n < 2) {
		s->flags[s->n] = si->flags;
		s->dir[s->n] = si->dir;
		memcpy(s->src6[s->n], si->src6, 16);
		memcpy(s->dst6[s->n], si->dst6, 16);
	}
	s->n++;
	return 0;
}

/* IPv6 gateways: outbound local -> remote, inbound remote -> local. */
static void
test_sa_ipv6(void **state)
{
	static const uint8_t l6[16] = {0x20, 0x01, 0x0d,    0xb8,
				       0,    0xa,  [15] = 1};
	static const uint8_t r6[16] = {0x20, 0x01, 0x0d,    0xb8,
				       0,    0xb,  [15] = 1};
	struct env *e = *state;
	struct ike_child_info ci;
	struct sa6_seen seen;
	struct tun_cap cap = {0};
	struct dp_client *c;
	uint8_t key[40];
	char err[160];

	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 5);
	vpn_test_child(&ci, 11, 0x3333, key);
	ci.local.family = AF_INET6;
	memcpy(ci.local.ip, l6, 16);
	/* Mixed families: refused, nothing installed. */
	assert_int_equal(vpn_dp_sa_install(e->v, &ci), -ENOTSUP);
	assert_int_equal(vpn_dp_out_id(e->v, 0x3333), 0);
	ci.remote.family = AF_INET6;
	memcpy(ci.remote.ip, r6, 16);
	assert_int_equal(vpn_dp_sa_install(e->v, &ci), 0);
	assert_int_equal(dp_client_connect(e->srv->path, &c, err, sizeof(err)),
			 0);
	dp_client_set_timeout(c, 5000);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(dp_client_sa_dump(c, 0, sa6_cb, &seen), 0);
	assert_int_equal(seen.n, 2);
	for (unsigned i = 0; i < 2; i++) {
		bool is_out = seen.dir[i] == DP_SA_OUT;

		assert_true(seen.flags[i] & DP_SA_F_IPV6);
		assert_memory_equal(seen.src6[i], is_out ? l6 : r6, 16);
		assert_memory_equal(seen.dst6[i], is_out ? r6 : l6, 16);
	}
	dp_client_close(c);
	vpn_dp_sa_remove(e->v, &ci);
	assert_int_equal(vpn_dp_out_id(e->v, 0x3333), 0);
	/* With tunnel rules compiled (sluiced): an IPv6-outer tunnel. */
	vpn_dp_set_observer(e->v, tun_cb, &cap);
	assert_int_equal(vpn_dp_sa_install(e->v, &ci), 0);
	assert_int_equal(cap.n, 1);
	assert_true(cap.t.is_outer6);
	assert_memory_equal(cap.t.local_ip, l6, 16);
	assert_memory_equal(cap.t.peer_ip, r6, 16);
	assert_int_not_equal(vpn_dp_out_id(e->v, 0x3333), 0);
	vpn_dp_sa_remove(e->v, &ci);
	vpn_dp_set_observer(e->v, NULL, NULL);
}

/* One selector of type (IKE_TS_IPV4 or _IPV6) from start to end. */
static void
ts_set(struct ike_ts_pl *pl, uint8_t type, const char *start, const char *end)
{
	struct ike_ts *ts = &pl->ts[pl->n_ts++];
	int af = type == IKE_TS_IPV6 ? AF_INET6 : AF_INET;

	memset(ts, 0, sizeof(*ts));
	ts->type = type;
	ts->port_hi = 0xffff;
	assert_int_equal(inet_pton(af, start, ts->start), 1);
	assert_int_equal(inet_pton(af, end, ts->end), 1);
}

static void
assert_cidr(const struct net_addr *a, const char *s)
{
	char buf[64], txt[INET6_ADDRSTRLEN];

	inet_ntop(a->version == 6 ? AF_INET6 : AF_INET, a->a, txt, sizeof(txt));
	snprintf(buf, sizeof(buf), "%s/%u", txt, a->prefix_len);
	assert_string_equal(buf, s);
}

/*
 * Selectors of both families over IPv4 gateways: every IPv4 and IPv6
 * range becomes prefixes of its family in the tunnel, in order; a range
 * that is not one prefix splits into aligned blocks (at most
 * COMPILER_VPN_CIDRS_MAX in all); ::/0 is one /0.
 */
static void
test_ts_ipv6(void **state)
{
	struct env *e = *state;
	struct ike_child_info ci;
	struct tun_cap cap = {0};
	uint8_t key[40];

	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 5);
	vpn_test_child(&ci, 11, 0x3333, key);
	ts_set(&ci.ts_local, IKE_TS_IPV4, "10.31.0.0", "10.31.0.255");
	ts_set(&ci.ts_local, IKE_TS_IPV6,
	       "2001:db8:31::", "2001:db8:31::ffff:ffff:ffff:ffff");
	/* 2001:db8:32::1 .. ::4: ::1/128, ::2/127, ::4/128. */
	ts_set(&ci.ts_remote, IKE_TS_IPV6, "2001:db8:32::1", "2001:db8:32::4");
	ts_set(&ci.ts_remote, IKE_TS_IPV6,
	       "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	vpn_dp_set_observer(e->v, tun_cb, &cap);
	assert_int_equal(vpn_dp_sa_install(e->v, &ci), 0);
	assert_int_equal(cap.n, 1);
	assert_int_equal(cap.t.n_local, 2);
	assert_cidr(&cap.t.local[0], "10.31.0.0/24");
	assert_cidr(&cap.t.local[1], "2001:db8:31::/64");
	assert_int_equal(cap.t.n_peer, 4);
	assert_cidr(&cap.t.peer[0], "2001:db8:32::1/128");
	assert_cidr(&cap.t.peer[1], "2001:db8:32::2/127");
	assert_cidr(&cap.t.peer[2], "2001:db8:32::4/128");
	assert_cidr(&cap.t.peer[3], "::/0");
	vpn_dp_sa_remove(e->v, &ci);
	vpn_dp_set_observer(e->v, NULL, NULL);
}

/* Captures every tunnel (up to 4). */
struct tuns_cap {
	size_t n;
	struct compiler_vpn_tunnel t[4];
};

static void
tuns_cb(void *arg, const struct compiler_vpn_tunnel *t, size_t n)
{
	struct tuns_cap *cap = arg;

	cap->n = n;
	for (size_t i = 0; i < n && i < 4; i++)
		cap->t[i] = t[i];
}

static const struct compiler_vpn_tunnel *
tun_of(const struct tuns_cap *cap, const char *conn)
{
	for (size_t i = 0; i < cap->n && i < 4; i++)
		if (strcmp(cap->t[i].conn_id, conn) == 0)
			return &cap->t[i];
	return NULL;
}

/*
 * Two connections' children on one IKE SA (the same outer addresses,
 * docs/ikev2.md "Several connections on one IKE SA"): a tunnel each, with
 * its own selectors and SAs; an SA event names the child's connection;
 * the removal of one child leaves the other connection's tunnel as it
 * was.
 */
static void
test_shared_ike_sa(void **state)
{
	struct env *e = *state;
	struct ike_child_info a, b;
	struct tuns_cap cap = {0};
	const struct compiler_vpn_tunnel *ta, *tb;
	struct dp_sa_event ev;
	uint8_t key[40];

	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 3);
	vpn_test_child(&a, 31, 0x6000, key);
	ts_set(&a.ts_local, IKE_TS_IPV4, "10.10.0.0", "10.10.0.255");
	ts_set(&a.ts_remote, IKE_TS_IPV4, "10.20.0.0", "10.20.0.255");
	vpn_test_child(&b, 32, 0x7000, key);
	b.conn_name = "conn-b";
	ts_set(&b.ts_local, IKE_TS_IPV4, "10.10.0.0", "10.10.0.255");
	ts_set(&b.ts_remote, IKE_TS_IPV4, "10.21.0.0", "10.21.0.255");
	vpn_dp_set_observer(e->v, tuns_cb, &cap);
	assert_int_equal(vpn_dp_sa_install(e->v, &a), 0);
	assert_int_equal(vpn_dp_sa_install(e->v, &b), 0);
	assert_int_equal(cap.n, 2);
	ta = tun_of(&cap, "conn-a");
	tb = tun_of(&cap, "conn-b");
	assert_non_null(ta);
	assert_non_null(tb);
	assert_int_equal(ta->n_children, 1);
	assert_int_equal(tb->n_children, 1);
	assert_int_equal(ta->children[0].sa_out, vpn_dp_out_id(e->v, 0x6000));
	assert_int_equal(tb->children[0].sa_out, vpn_dp_out_id(e->v, 0x7000));
	assert_cidr(&ta->peer[0], "10.20.0.0/24");
	assert_cidr(&tb->peer[0], "10.21.0.0/24");
	assert_memory_equal(ta->peer_ip, tb->peer_ip, 4);
	/* An event of b's SA rekeys b's connection. */
	memset(&ev, 0, sizeof(ev));
	ev.id = vpn_dp_out_id(e->v, 0x7000);
	ev.dir = DP_SA_OUT;
	ev.kinds = DP_SA_EV_SOFT_PACKETS;
	assert_int_equal(vpn_dp_sa_event(e->v, &ev), 1);
	assert_int_equal(e->rk.n, 1);
	assert_int_equal(e->rk.conn_id, 32);
	assert_int_equal(e->rk.spi_in, 0x7000);
	/* b deleted: a's tunnel unchanged. */
	vpn_dp_sa_remove(e->v, &b);
	assert_int_equal(cap.n, 1);
	ta = tun_of(&cap, "conn-a");
	assert_non_null(ta);
	assert_int_equal(ta->children[0].sa_out, vpn_dp_out_id(e->v, 0x6000));
	assert_int_equal(vpn_dp_out_id(e->v, 0x7000), 0);
	vpn_dp_sa_remove(e->v, &a);
	assert_int_equal(cap.n, 0);
	vpn_dp_set_observer(e->v, NULL, NULL);
}

/* The SA new traffic of the captured tunnel is encrypted with. */
static uint32_t
cap_out(const struct tun_cap *cap)
{
	assert_int_equal(cap->n, 1);
	assert_true(cap->t.n_children > 0);
	return cap->t.children[cap->t.n_children - 1].sa_out;
}

/*
 * A rekey where we responded (defer_out): the peer has the new inbound
 * SA only once it has our response, so traffic stays on the old SA until
 * that is removed; then the new one carries it. A rekey we initiated
 * moves traffic at once.
 */
static void
test_defer_out(void **state)
{
	struct env *e = *state;
	struct ike_child_info a, b, c, d;
	struct tun_cap cap = {0};
	uint8_t key[40];

	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 9);
	vpn_dp_set_observer(e->v, tun_cb, &cap);
	vpn_test_child(&a, 11, 0x1000, key);
	assert_int_equal(vpn_dp_sa_install(e->v, &a), 0);
	assert_int_equal(cap_out(&cap), vpn_dp_out_id(e->v, 0x1000));
	/* Responder's rekey: both accepted inbound, out stays on a. */
	vpn_test_child(&b, 11, 0x2000, key);
	b.replaces_spi_in = 0x1000;
	b.defer_out = true;
	assert_int_equal(vpn_dp_sa_install(e->v, &b), 0);
	assert_int_equal(cap.t.n_children, 2);
	assert_int_equal(cap_out(&cap), vpn_dp_out_id(e->v, 0x1000));
	/* The initiator's DELETE of a: b carries the traffic. */
	vpn_dp_sa_remove(e->v, &a);
	assert_int_equal(cap.t.n_children, 1);
	assert_int_equal(cap_out(&cap), vpn_dp_out_id(e->v, 0x2000));
	/* Again: c waits for b to go, and is then numbered (no tie with a
	 * later deferred one). */
	vpn_test_child(&c, 11, 0x3000, key);
	c.replaces_spi_in = 0x2000;
	c.defer_out = true;
	assert_int_equal(vpn_dp_sa_install(e->v, &c), 0);
	assert_int_equal(cap_out(&cap), vpn_dp_out_id(e->v, 0x2000));
	vpn_dp_sa_remove(e->v, &b);
	assert_int_equal(cap_out(&cap), vpn_dp_out_id(e->v, 0x3000));
	/* A rekey we initiated: d at once, c still accepted inbound. */
	vpn_test_child(&d, 11, 0x4000, key);
	d.replaces_spi_in = 0x3000;
	assert_int_equal(vpn_dp_sa_install(e->v, &d), 0);
	assert_int_equal(cap.t.n_children, 2);
	assert_int_equal(cap_out(&cap), vpn_dp_out_id(e->v, 0x4000));
	vpn_dp_sa_remove(e->v, &c);
	assert_int_equal(cap_out(&cap), vpn_dp_out_id(e->v, 0x4000));
	vpn_dp_sa_remove(e->v, &d);
	vpn_dp_set_observer(e->v, NULL, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_event_rekeys, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sa_mtu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sa_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_trap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ts_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_ike_sa, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_defer_out, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
