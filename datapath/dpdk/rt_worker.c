/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rt_worker.c: the worker lcores of sluice-dp. Each runs one
 * run-to-completion loop over the rx queues the port table gives it:
 *
 *   rx_burst(32) -> wrap as dp_packet -> dp_worker_process -> write back
 *   -> tx grouped by port -> punts to the main lcore's ring -> free drops
 *
 * A packet is wrapped in a per-worker array of struct dp_packet (always hot
 * in L1), not in the mbuf's private area. Clones for multi-output rules are
 * rte_pktmbuf_copy()s wrapped in a per-burst slot array.
 *
 * An idle worker backs off: first it spins, then pauses progressively
 * longer, then sleeps (RCU-offline while asleep) from RT_SLEEP_MIN_US
 * doubling up to RT_SLEEP_MAX_US, and after about a second of silence
 * RT_SLEEP_DEEP_US, so an idle datapath uses next to no CPU (a wake-up
 * costs about 12 us of CPU in a VM, most of it the timer). The first
 * packet after a quiet spell waits at most one sleep in the device's
 * ring; steady traffic never sleeps.
 *
 * Concurrency: everything here runs on its own worker lcore, except
 * rt_worker_wrap/writeback/clone, which the main lcore also calls on its
 * own packets. The port table is read under RCU (QSBR): the worker
 * reports a quiescent point once per loop and goes offline to sleep.
 */
#include <errno.h>
#include <time.h>

#include <urcu-qsbr.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring_elem.h>

#include "rt.h"

enum {
	/*
	 * Empty polls before pausing, and before sleeping: short, because a
	 * worker that spins between a TCP flow's bursts takes the CPU from
	 * the very processes (and softirqs) that make the next burst when
	 * it shares its CPU with them (docs/runtime.md: 64/1024 before, the
	 * ESP tunnel's iperf3 about 10 % slower on a busy 2-CPU machine).
	 */
	RT_IDLE_SPIN = 16,
	RT_IDLE_PAUSE = 64,
	RT_SLEEP_MIN_US = 16,
	RT_SLEEP_MAX_US = 1000,
	RT_DEEP_SLEEPS = 1000,	 /* sleeps (about 1 s) before ... */
	RT_SLEEP_DEEP_US = 4000, /* ... sleeping longer */
	RT_TX_RETRIES = 1,
};

struct dp_packet *
rt_worker_clone(void *ctx, const struct dp_packet *pkt)
{
	struct rt_clone_ctx *c = ctx;
	struct rte_mbuf *m;
	struct dp_packet *np;

	if (unlikely(c->n_used >= DP_OUT_MAX))
		return NULL;
	rt_worker_writeback(pkt);
	/* One segment always: the big pool for a frame over 2 KiB. */
	m = rte_pktmbuf_copy(
		pkt->opaque,
		pkt->len + RTE_PKTMBUF_HEADROOM > RTE_MBUF_DEFAULT_BUF_SIZE &&
				c->pool_big != NULL
			? c->pool_big
			: c->pool,
		0, UINT32_MAX);
	if (unlikely(m == NULL))
		return NULL;
	np = &c->slots[c->n_used++];
	rt_worker_wrap(m, pkt->in_port, np);
	np->punt_reason = pkt->punt_reason;
	return np;
}

static void
rt_worker_free(struct dp_packet **pkts, unsigned n)
{
	struct rte_mbuf *m[DP_OUT_MAX];

	for (unsigned i = 0; i < n; i++)
		m[i] = pkts[i]->opaque;
	rte_pktmbuf_free_bulk(m, n);
}

/*
 * An IPv4 packet with DF, or an IPv6 one, too big for the port's MTU: to
 * sluiced (at most DP_ESP_MTU_PUNTS_PER_S a second per worker) as
 * DP_PUNT_TX_MTU | the MTU, from the port it came in on (hash.usr,
 * rt_worker_tx), so that the router answers with ICMP fragmentation
 * needed or ICMPv6 Packet Too Big as for a tunnel (RFC 1191, 8201). True
 * if m was taken.
 */
static bool
rt_worker_mtu_punt(struct rt_worker *w, struct rte_mbuf *m, uint16_t mtu)
{
	uint64_t now = rte_get_tsc_cycles();
	struct rt_punt e;

	if (now - w->mtu_punt_tsc >= rte_get_tsc_hz()) {
		w->mtu_punt_tsc = now;
		w->mtu_punt_n = 0;
	}
	if (w->mtu_punt_n >= DP_ESP_MTU_PUNTS_PER_S)
		return false;
	w->mtu_punt_n++;
	e.mbuf = m;
	e.in_port = m->hash.usr;
	e.reason = DP_PUNT_TX_MTU | mtu;
	if (rte_ring_sp_enqueue_elem(w->punt_ring, &e, sizeof(e)) != 0)
		return false;
	w->stats.punts++;
	return true;
}

/*
 * A frame over the MTU of an AF_PACKET port (the kernel would refuse it:
 * most often a datagram the kernel reassembled on the way in, rt.h):
 * an IPv4 packet without DF is fragmented again to the MTU or
 * RT_REFRAG_MTU, the smaller (DPDK's
 * rte_ipv4_fragment_packet, each fragment made one segment and given the
 * frame's Ethernet header); IPv4 with DF and IPv6 are punted for an ICMP
 * error (rt_worker_mtu_punt); either way the frame does not leave and is
 * counted tx_too_big. Writes at most room mbufs to out; returns how many.
 */
static unsigned
rt_worker_frag(struct rt_worker *w, uint16_t mtu, struct rte_mbuf *m,
	       struct rte_mbuf **out, unsigned room)
{
	uint8_t l2[RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN];
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	unsigned l2len = RTE_ETHER_HDR_LEN, hl, k;
	const struct rte_ipv4_hdr *ip;
	uint16_t type;
	int32_t rc;

	if (m->data_len < RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN)
		goto drop;
	memcpy(&type, d + 12, 2);
	if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN)) {
		l2len += RTE_VLAN_HLEN;
		memcpy(&type, d + 16, 2);
	}
	if (m->pkt_len <= mtu + l2len && room > 0) {
		out[0] = m; /* a tag's 4 bytes are allowed */
		return 1;
	}
	if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6) && l2len == 14 &&
	    m->nb_segs == 1)
		goto too_big;
	if (type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || m->nb_segs != 1 ||
	    m->data_len < l2len + sizeof(*ip))
		goto drop;
	ip = (const struct rte_ipv4_hdr *)(d + l2len);
	hl = (ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * 4u;
	if ((ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) &&
	    l2len == 14)
		goto too_big;
	if (mtu > RT_REFRAG_MTU) /* fragments fit the normal pool's mbufs */
		mtu = RT_REFRAG_MTU;
	if ((ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) ||
	    hl < sizeof(*ip) || mtu < hl + 8 || m->data_len < l2len + hl)
		goto drop;
	memcpy(l2, d, l2len);
	rte_pktmbuf_adj(m, (uint16_t)l2len);
	/* Fragment data a multiple of 8 bytes (RFC 791). */
	rc = rte_ipv4_fragment_packet(m, out, (uint16_t)room,
				      (uint16_t)(hl + ((mtu - hl) & ~7u)),
				      w->rt->pool, w->rt->pool_ind);
	rte_pktmbuf_free(m); /* the fragments hold their own references */
	if (rc <= 0) {
		dp_worker_count_drop(w->dw, DP_DROP_TX_TOO_BIG, 1);
		return 0;
	}
	for (k = 0; k < (unsigned)rc; k++) {
		struct rte_mbuf *f = out[k];
		struct rte_ipv4_hdr *fh;
		char *h;

		if (rte_pktmbuf_linearize(f) != 0 ||
		    (h = rte_pktmbuf_prepend(f, (uint16_t)l2len)) == NULL) {
			dp_worker_count_drop(w->dw, DP_DROP_TX_TOO_BIG, 1);
			rte_pktmbuf_free_bulk(out, (unsigned)rc);
			return 0;
		}
		memcpy(h, l2, l2len);
		fh = (struct rte_ipv4_hdr *)(h + l2len);
		fh->hdr_checksum = 0;
		fh->hdr_checksum = rte_ipv4_cksum(fh);
	}
	return (unsigned)rc;
too_big:
	dp_worker_count_drop(w->dw, DP_DROP_TX_TOO_BIG, 1);
	if (!rt_worker_mtu_punt(w, m, mtu))
		rte_pktmbuf_free(m);
	return 0;
drop:
	dp_worker_count_drop(w->dw, DP_DROP_TX_TOO_BIG, 1);
	rte_pktmbuf_free(m);
	return 0;
}

/* The frames of m to send to a port of MTU mtu, fragmented where over. */
static unsigned
rt_worker_fit(struct rt_worker *w, uint16_t mtu, struct rte_mbuf **m,
	      unsigned n, struct rte_mbuf **out)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		if (m[i]->pkt_len <= (uint32_t)mtu + RTE_ETHER_HDR_LEN) {
			out[k++] = m[i];
			continue;
		}
		k += rt_worker_frag(w, mtu, m[i], out + k,
				    DP_OUT_MAX - k < RT_FRAGS_MAX
					    ? DP_OUT_MAX - k
					    : RT_FRAGS_MAX);
	}
	return k;
}

/* Send n mbufs out of one port; count and free what did not go. */
static void
rt_worker_send(struct rt_worker *w, const struct rt_ptab *tab, uint32_t port,
	       struct rte_mbuf **m, unsigned n)
{
	struct rte_mbuf *fit[DP_OUT_MAX];
	unsigned sent = 0;
	uint16_t mtu;
	int rc;

	mtu = port <= RT_PORT_NO_MAX ? tab->tx[port].mtu : 0;
	if (unlikely(mtu != 0)) {
		unsigned i = 0;

		while (i < n &&
		       m[i]->pkt_len <= (uint32_t)mtu + RTE_ETHER_HDR_LEN)
			i++;
		if (unlikely(i < n)) {
			n = rt_worker_fit(w, mtu, m, n, fit);
			m = fit;
			if (n == 0)
				return;
		}
	}
	rc = rt_port_tx(tab, port, (uint16_t)w->idx, m, (uint16_t)n);
	if (unlikely(rc < 0)) {
		dp_worker_count_drop(w->dw, DP_DROP_NO_PORT, n);
		rte_pktmbuf_free_bulk(m, n);
		return;
	}
	sent = (unsigned)rc;
	for (unsigned r = 0; unlikely(sent < n) && r < RT_TX_RETRIES; r++)
		sent += (unsigned)rt_port_tx(tab, port, (uint16_t)w->idx,
					     m + sent, (uint16_t)(n - sent));
	w->stats.tx_packets += sent;
	if (unlikely(sent < n)) {
		dp_worker_count_drop(w->dw, DP_DROP_TX_FULL, n - sent);
		w->stats.tx_drop[port] += n - sent;
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	}
}

/* Transmit a burst's outputs, grouped by port. */
static void
rt_worker_tx(struct rt_worker *w, const struct rt_ptab *tab,
	     struct dp_burst_out *out)
{
	struct rte_mbuf *m[DP_OUT_MAX];
	uint32_t port = out->tx_port[0];
	unsigned n = out->n_tx;
	bool is_mixed = false;

	for (unsigned i = 0; i < n; i++) {
		m[i] = rt_worker_writeback(out->tx[i]);
		/* Where it came in, for an MTU punt (rt_worker_mtu_punt). */
		m[i]->hash.usr = out->tx[i]->in_port;
		is_mixed |= out->tx_port[i] != port;
	}
	if (likely(!is_mixed)) {
		rt_worker_send(w, tab, port, m, n);
		return;
	}
	/* Several ports: one pass per distinct port, keeping order. */
	while (n > 0) {
		struct rte_mbuf *grp[DP_OUT_MAX];
		unsigned n_grp = 0, n_rest = 0;

		port = out->tx_port[0];
		for (unsigned i = 0; i < n; i++) {
			if (out->tx_port[i] == port) {
				grp[n_grp++] = m[i];
			} else {
				m[n_rest] = m[i];
				out->tx_port[n_rest++] = out->tx_port[i];
			}
		}
		rt_worker_send(w, tab, port, grp, n_grp);
		n = n_rest;
	}
}

/* Hand punted packets to the main lcore; a full ring is a counted drop. */
static void
rt_worker_punt(struct rt_worker *w, struct dp_burst_out *out)
{
	struct rt_punt e[DP_OUT_MAX];
	unsigned n = out->n_punt, k;

	for (unsigned i = 0; i < n; i++) {
		rt_worker_writeback(out->punt[i]);
		e[i].mbuf = out->punt[i]->opaque;
		e[i].in_port = out->punt[i]->in_port;
		e[i].reason = out->punt[i]->punt_reason;
	}
	k = rte_ring_sp_enqueue_burst_elem(w->punt_ring, e, sizeof(*e), n,
					   NULL);
	w->stats.punts += k;
	if (unlikely(k < n)) {
		dp_worker_count_drop(w->dw, DP_DROP_PUNT_FULL, n - k);
		rt_worker_free(out->punt + k, n - k);
	}
}

/* One rx queue: receive, process, transmit. Returns packets received. */
static unsigned
rt_worker_poll(struct rt_worker *w, const struct rt_ptab *tab,
	       const struct rt_rxq *q, struct dp_burst_out *out)
{
	struct rte_mbuf *m[DP_BURST];
	struct dp_packet *pp[DP_BURST];
	uint16_t n;

	if (q->vnet != NULL)
		n = rt_vnet_rx(q->vnet, m, DP_BURST);
	else
		n = rte_eth_rx_burst(q->eth_id, 0, m, DP_BURST);
	if (n == 0)
		return 0;
	for (uint16_t i = 0; i < n; i++) {
		rt_worker_wrap(m[i], q->port_no, &w->pkts[i]);
		pp[i] = &w->pkts[i];
	}
	w->clone.n_used = 0;
	dp_worker_process(w->dw, pp, n, out);
	if (likely(out->n_tx > 0))
		rt_worker_tx(w, tab, out);
	if (unlikely(out->n_punt > 0))
		rt_worker_punt(w, out);
	if (unlikely(out->n_drop > 0))
		rt_worker_free(out->drop, out->n_drop);
	w->stats.rx_packets += n;
	return n;
}

/* Back off after *idle empty loops; sleep RCU-offline when long idle. */
static void
rt_worker_idle(struct rt_worker *w, unsigned *idle)
{
	unsigned i = ++*idle, us;
	struct timespec ts;

	if (i < RT_IDLE_SPIN)
		return;
	if (i < RT_IDLE_PAUSE) {
		for (unsigned k = 0; k < i / RT_IDLE_SPIN; k++)
			rte_pause();
		return;
	}
	i -= RT_IDLE_PAUSE;
	if (i >= RT_DEEP_SLEEPS) {
		us = RT_SLEEP_DEEP_US;
		*idle = RT_IDLE_PAUSE + RT_DEEP_SLEEPS; /* no overflow */
	} else if (i < 6) {
		us = RT_SLEEP_MIN_US << i; /* 16 .. 512 us */
	} else {
		us = RT_SLEEP_MAX_US;
	}
	ts.tv_sec = 0;
	ts.tv_nsec = (long)us * 1000;
	dp_worker_offline(w->dw);
	nanosleep(&ts, NULL);
	dp_worker_online(w->dw);
	w->stats.idle_sleeps++;
}

int
rt_worker_main(void *arg)
{
	struct rt_worker *w = arg;
	struct rt *rt = w->rt;
	struct dp_packet_ops ops = {
		.clone = rt_worker_clone,
		.ctx = &w->clone,
	};
	struct dp_burst_out out;
	unsigned idle = 0;
	int rc;

	w->clone.pool = rt->pool;
	w->clone.pool_big = rt->pool_big;
	rc = dp_worker_create(rt->pl, w->idx, &ops, &w->dw);
	if (rc != 0) {
		w->init_error = rc;
		__atomic_store_n(&w->is_ready, 1, __ATOMIC_RELEASE);
		return rc;
	}
	__atomic_store_n(&w->is_ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&rt->is_stopping, __ATOMIC_RELAXED)) {
		const struct rt_ptab *tab = rcu_dereference(rt->ptab);
		unsigned n = 0;

		for (unsigned q = 0; q < tab->n_rx[w->idx]; q++)
			n += rt_worker_poll(w, tab, &tab->rx[w->idx][q], &out);
		dp_worker_quiescent(w->dw);
		if (n > 0)
			idle = 0;
		else
			rt_worker_idle(w, &idle);
	}
	dp_worker_destroy(w->dw);
	w->dw = NULL;
	return 0;
}
