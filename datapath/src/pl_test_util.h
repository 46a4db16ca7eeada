/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pl_test_util.h: helpers for the pipeline's unit tests, fuzzer and
 * nothing else: frame builders with correct checksums, a checksum
 * verifier, a pipeline with one worker whose packets are plain malloc'd
 * buffers (clone copies them), and rule constructors. Test code only.
 */
#ifndef SLUICE_PL_TEST_UTIL_H
#define SLUICE_PL_TEST_UTIL_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

enum { TU_ROOM = 128 };

/* A test packet: the dp_packet and its buffer in one allocation. */
struct tu_pkt {
	struct dp_packet p;
	size_t size;
	uint8_t buf[];
};

static inline struct dp_packet *
tu_pkt_new(const uint8_t *frame, uint32_t len, uint32_t in_port)
{
	struct tu_pkt *t = calloc(1, sizeof(*t) + TU_ROOM * 2 + len);

	if (t == NULL)
		abort();
	t->size = TU_ROOM * 2 + len;
	memcpy(t->buf + TU_ROOM, frame, len);
	t->p.data = t->buf + TU_ROOM;
	t->p.len = len;
	t->p.headroom = TU_ROOM;
	t->p.tailroom = TU_ROOM;
	t->p.in_port = in_port;
	t->p.opaque = t;
	return &t->p;
}

static inline void
tu_pkt_free(struct dp_packet *p)
{
	free(p->opaque);
}

static inline struct dp_packet *
tu_clone(void *ctx, const struct dp_packet *pkt)
{
	struct dp_packet *c = tu_pkt_new(pkt->data, pkt->len, pkt->in_port);

	(void)ctx;
	return c;
}

struct tu {
	struct dp_pipeline *pl;
	struct dp_worker *w;
	struct dp_burst_out out;
};

static inline int
tu_setup(struct tu *t, unsigned cache_entries, unsigned rules_max)
{
	struct dp_pipeline_config cfg = {
		.n_workers = 1,
		.cache_entries = cache_entries,
		.rules_max = rules_max,
	};
	struct dp_packet_ops ops = {.clone = tu_clone};
	int rc;

	memset(t, 0, sizeof(*t));
	rc = dp_pipeline_create(&cfg, &t->pl);
	if (rc < 0)
		return rc;
	return dp_worker_create(t->pl, 0, &ops, &t->w);
}

static inline void
tu_out_free(struct dp_burst_out *o)
{
	for (unsigned i = 0; i < o->n_tx; i++)
		tu_pkt_free(o->tx[i]);
	for (unsigned i = 0; i < o->n_punt; i++)
		tu_pkt_free(o->punt[i]);
	for (unsigned i = 0; i < o->n_drop; i++)
		tu_pkt_free(o->drop[i]);
	o->n_tx = o->n_punt = o->n_drop = 0;
}

static inline void
tu_teardown(struct tu *t)
{
	tu_out_free(&t->out);
	dp_worker_destroy(t->w);
	dp_pipeline_destroy(t->pl);
}

/* Run one frame; the previous output is freed first. */
static inline void
tu_run(struct tu *t, const uint8_t *frame, uint32_t len, uint32_t in_port)
{
	struct dp_packet *p = tu_pkt_new(frame, len, in_port);

	tu_out_free(&t->out);
	dp_worker_process(t->w, &p, 1, &t->out);
	dp_worker_quiescent(t->w);
}

static inline int
tu_install(struct dp_pipeline *pl, const struct dp_rule *rules, unsigned n)
{
	struct dp_txn *t;
	char err[160];
	int rc;

	rc = dp_txn_begin(pl, &t);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < n; i++) {
		rc = dp_txn_add(t, &rules[i], err, sizeof(err));
		if (rc < 0) {
			dp_txn_abort(t);
			return rc;
		}
	}
	return dp_txn_commit(t, err, sizeof(err));
}

/* A rule in table with priority and one output (port 0: no action). */
static inline void
tu_rule(struct dp_rule *r, unsigned table, uint32_t prio, uint32_t port)
{
	memset(r, 0, sizeof(*r));
	r->table = (uint8_t)table;
	r->priority = prio;
	if (port != 0) {
		r->n_actions = 1;
		r->actions[0].type = DP_ACT_OUTPUT;
		r->actions[0].u.port = port;
	}
}

static inline struct dp_action *
tu_act(struct dp_rule *r, uint16_t type)
{
	struct dp_action *a = &r->actions[r->n_actions++];

	memset(a, 0, sizeof(*a));
	a->type = type;
	return a;
}

/* Frame description for tu_frame(). Host order numbers. */
struct tu_frame {
	uint8_t dst[6], src[6];
	bool has_vlan;
	uint16_t tci;
	uint16_t eth_type; /* 0x0800, 0x86dd, 0x0806, other */
	uint32_t src4, dst4;
	uint8_t src6[16], dst6[16];
	uint8_t proto;	       /* 6, 17, 1, 58, 50 */
	uint16_t sport, dport; /* ICMP: type, code */
	uint8_t ttl, tos;
	uint8_t tcp_flags;
	uint16_t payload; /* L4 payload bytes */
	uint16_t arp_op;
};

static inline uint32_t
tu_sum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	return s;
}

static inline uint16_t
tu_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static inline void
tu_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
tu_put32(uint8_t *p, uint32_t v)
{
	tu_put16(p, (uint16_t)(v >> 16));
	tu_put16(p + 2, (uint16_t)v);
}

/* Pseudo-header sum for the L4 checksum. */
static inline uint32_t
tu_pseudo(const uint8_t *ip, bool is_v6, uint8_t proto, uint32_t l4_len)
{
	uint32_t s = 0;

	if (is_v6)
		s = tu_sum(ip + 8, 32, 0);
	else
		s = tu_sum(ip + 12, 8, 0);
	return s + proto + (l4_len >> 16) + (l4_len & 0xffff);
}

static inline size_t
tu_build(const struct tu_frame *f, uint8_t *b)
{
	size_t off = 12, l4_len = 0, ip_off;
	bool is_v6 = f->eth_type == 0x86dd;
	uint8_t *ip, *l4;

	memcpy(b, f->dst, 6);
	memcpy(b + 6, f->src, 6);
	if (f->has_vlan) {
		tu_put16(b + 12, 0x8100);
		tu_put16(b + 14, f->tci);
		off = 16;
	}
	tu_put16(b + off, f->eth_type);
	off += 2;
	ip_off = off;
	ip = b + off;
	if (f->eth_type == 0x0806) {
		tu_put16(ip, 1);
		tu_put16(ip + 2, 0x0800);
		ip[4] = 6;
		ip[5] = 4;
		tu_put16(ip + 6, f->arp_op);
		memcpy(ip + 8, f->src, 6);
		tu_put32(ip + 14, f->src4);
		memset(ip + 18, 0, 6);
		tu_put32(ip + 24, f->dst4);
		return off + 28;
	}
	if (f->eth_type != 0x0800 && !is_v6) {
		memset(b + off, 0xab, 46);
		return off + 46;
	}
	l4 = ip + (is_v6 ? 40 : 20);
	switch (f->proto) {
	case 6:
		l4_len = 20 + f->payload;
		memset(l4, 0, l4_len);
		tu_put16(l4, f->sport);
		tu_put16(l4 + 2, f->dport);
		tu_put32(l4 + 4, 1000);
		l4[12] = 5 << 4;
		l4[13] = f->tcp_flags;
		tu_put16(l4 + 14, 8192);
		break;
	case 17:
		l4_len = 8 + f->payload;
		memset(l4, 0, l4_len);
		tu_put16(l4, f->sport);
		tu_put16(l4 + 2, f->dport);
		tu_put16(l4 + 4, (uint16_t)l4_len);
		break;
	case 1:
	case 58:
		l4_len = 8 + f->payload;
		memset(l4, 0, l4_len);
		l4[0] = (uint8_t)f->sport;
		l4[1] = (uint8_t)f->dport;
		break;
	default:
		l4_len = 8 + f->payload;
		memset(l4, 0, l4_len);
		tu_put32(l4, 0x1234);
		break;
	}
	for (size_t i = 0; i < f->payload; i++)
		l4[l4_len - f->payload + i] = (uint8_t)i;
	if (is_v6) {
		memset(ip, 0, 40);
		ip[0] = (uint8_t)(0x60 | f->tos >> 4);
		ip[1] = (uint8_t)(f->tos << 4);
		tu_put16(ip + 4, (uint16_t)l4_len);
		ip[6] = f->proto;
		ip[7] = f->ttl ? f->ttl : 64;
		memcpy(ip + 8, f->src6, 16);
		memcpy(ip + 24, f->dst6, 16);
	} else {
		memset(ip, 0, 20);
		ip[0] = 0x45;
		ip[1] = f->tos;
		tu_put16(ip + 2, (uint16_t)(20 + l4_len));
		ip[8] = f->ttl ? f->ttl : 64;
		ip[9] = f->proto;
		tu_put32(ip + 12, f->src4);
		tu_put32(ip + 16, f->dst4);
		tu_put16(ip + 10, tu_fold(tu_sum(ip, 20, 0)));
	}
	if (f->proto == 6)
		tu_put16(l4 + 16, tu_fold(tu_sum(l4, l4_len,
						 tu_pseudo(ip, is_v6, 6,
							   (uint32_t)l4_len))));
	else if (f->proto == 17)
		tu_put16(l4 + 6, tu_fold(tu_sum(l4, l4_len,
						tu_pseudo(ip, is_v6, 17,
							  (uint32_t)l4_len))));
	else if (f->proto == 58)
		tu_put16(l4 + 2, tu_fold(tu_sum(l4, l4_len,
						tu_pseudo(ip, true, 58,
							  (uint32_t)l4_len))));
	else if (f->proto == 1)
		tu_put16(l4 + 2, tu_fold(tu_sum(l4, l4_len, 0)));
	return ip_off + (is_v6 ? 40 : 20) + l4_len;
}

/* A UDP/IPv4 frame from 10.0.0.1:1000 to 10.0.0.2:2000. */
static inline void
tu_frame_udp4(struct tu_frame *f)
{
	static const uint8_t d[6] = {2, 0, 0, 0, 0, 2};
	static const uint8_t s[6] = {2, 0, 0, 0, 0, 1};

	memset(f, 0, sizeof(*f));
	memcpy(f->dst, d, 6);
	memcpy(f->src, s, 6);
	f->eth_type = 0x0800;
	f->src4 = 0x0a000001;
	f->dst4 = 0x0a000002;
	f->proto = 17;
	f->sport = 1000;
	f->dport = 2000;
	f->payload = 18;
}

/*
 * Check the IPv4 header checksum and the TCP/UDP/ICMP/ICMPv6 checksum of
 * a frame. Returns true when every checksum present verifies.
 */
static inline bool
tu_csum_ok(const uint8_t *b, size_t len)
{
	size_t off = 14, l4_len;
	const uint8_t *ip, *l4;
	bool is_v6;
	uint8_t proto;
	uint32_t s;

	if (len < 14)
		return false;
	if (b[12] == 0x81 && b[13] == 0x00)
		off = 18;
	is_v6 = b[off - 2] == 0x86 && b[off - 1] == 0xdd;
	if (!is_v6 && !(b[off - 2] == 0x08 && b[off - 1] == 0x00))
		return true;
	ip = b + off;
	if (is_v6) {
		proto = ip[6];
		l4 = ip + 40;
		l4_len = (size_t)(ip[4] << 8 | ip[5]);
	} else {
		if (tu_fold(tu_sum(ip, (size_t)(ip[0] & 15) * 4, 0)) != 0)
			return false;
		proto = ip[9];
		l4 = ip + (ip[0] & 15) * 4;
		l4_len =
			(size_t)(ip[2] << 8 | ip[3]) - (size_t)(ip[0] & 15) * 4;
		if ((ip[6] & 0x3f) != 0 || ip[7] != 0)
			return true; /* fragment */
	}
	if (l4 + l4_len > b + len)
		return false;
	switch (proto) {
	case 17:
		if (!is_v6 && l4[6] == 0 && l4[7] == 0)
			return true;
		/* fall through */
	case 6:
		s = tu_pseudo(ip, is_v6, proto, (uint32_t)l4_len);
		return tu_fold(tu_sum(l4, l4_len, s)) == 0;
	case 58:
		s = tu_pseudo(ip, true, 58, (uint32_t)l4_len);
		return tu_fold(tu_sum(l4, l4_len, s)) == 0;
	case 1:
		return tu_fold(tu_sum(l4, l4_len, 0)) == 0;
	default:
		return true;
	}
}

#endif /* SLUICE_PL_TEST_UTIL_H */
