/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline.h: the per-packet pipeline of sluice-dp, in pure C over packet
 * bursts. No DPDK, libbpf or OpenSSL types here: the DPDK runtime
 * (datapath/dpdk/) wraps its mbufs in struct dp_packet and calls
 * dp_worker_process(); unit tests do the same over plain buffers.
 *
 * A pipeline owns the flow tables. The control thread changes them with
 * transactions (begin, add/modify/del, commit or abort); a commit builds
 * the new table version off the hot path and publishes it with one atomic
 * pointer store, bumping the generation so every worker's exact-match
 * cache entries fall through; the old version is freed after all workers
 * passed a quiescent point (liburcu QSBR).
 *
 * Concurrency: one control thread calls everything except the dp_worker_*
 * hot-path calls; each worker thread owns one struct dp_worker and calls
 * dp_worker_process() and dp_worker_quiescent() from its loop only.
 */
#ifndef SLUICE_PIPELINE_H
#define SLUICE_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "dp_flow.h"
#include "dp_proto.h"

/*
 * A packet as the pipeline sees it. The backend fills data, len, headroom,
 * tailroom and in_port before processing; the pipeline may move data
 * (push/pop VLAN, VXLAN encap/decap) within headroom and change len; the
 * backend writes those back to its buffer afterwards. opaque is the
 * backend's own handle (the mbuf) and is never touched by the pipeline.
 */
struct dp_packet {
	uint8_t *data;
	uint32_t len;
	uint16_t headroom; /* bytes writable before data */
	uint16_t tailroom; /* bytes writable after data + len */
	uint32_t in_port;
	uint32_t punt_reason; /* set when the packet is punted */
	void *opaque;
};

/* Why a packet was dropped. Every drop is counted under one of these. */
enum dp_drop_reason {
	DP_DROP_NO_MATCH,  /* table miss */
	DP_DROP_ACTION,	   /* explicit drop / empty action list */
	DP_DROP_TRUNC_ETH, /* shorter than an Ethernet header */
	DP_DROP_TRUNC_VLAN,
	DP_DROP_TRUNC_ARP,
	DP_DROP_BAD_IPV4,     /* truncated, bad version/IHL/total length */
	DP_DROP_BAD_IPV6,     /* truncated, bad payload length, ext chain */
	DP_DROP_TRUNC_L4,     /* TCP/UDP/ICMP header cut short */
	DP_DROP_BAD_TCP,      /* data offset < 5 or past the packet */
	DP_DROP_TTL,	      /* dec_ttl reached zero */
	DP_DROP_NO_ROOM,      /* push/encap without headroom */
	DP_DROP_NO_PORT,      /* output to a port that does not exist */
	DP_DROP_CLONE_FAIL,   /* no buffer to copy a multi-output packet */
	DP_DROP_PUNT_FULL,    /* controller ring full */
	DP_DROP_TX_FULL,      /* port's tx queue full */
	DP_DROP_LOOP,	      /* goto depth exceeded */
	DP_DROP_BAD_VLAN,     /* stacked tags (802.1ad / QinQ): unsupported */
	DP_DROP_BAD_VXLAN,    /* vxlan_decap on a frame that is not VXLAN */
	DP_DROP_BAD_ARP,      /* arp_reply on a frame that is not a request */
	DP_DROP_ESP_NO_SA,    /* esp_*: no such SA (id or inbound SPI) */
	DP_DROP_ESP_REPLAY,   /* esp_decrypt: duplicate or too old */
	DP_DROP_ESP_AUTH,     /* esp_decrypt: ICV mismatch */
	DP_DROP_ESP_BAD,      /* esp_decrypt: padding, next header, length */
	DP_DROP_ESP_SEQ,      /* esp_encrypt: sequence numbers exhausted */
	DP_DROP_ESP_NO_ROOM,  /* esp_encrypt: head/tailroom or size */
	DP_DROP_LB_NO_MEMBER, /* lb_select: no pool, or no member up */
	DP_DROP_LB_LIMIT,     /* lb_select: pool at its conn_limit */
	DP_DROP_ESP_TOO_BIG,  /* esp_encrypt: over the SA's mtu */
	DP_DROP_TX_TOO_BIG,   /* over the port's MTU, DF or not IPv4 */
	DP_DROP_LB_FAMILY,    /* lb_select: packet not of the pool's family */
	DP_DROP__COUNT
};

/* Name of a drop reason, e.g. "trunc_eth". */
const char *dp_drop_reason_name(enum dp_drop_reason r);

/* What the backend provides to the pipeline. */
struct dp_packet_ops {
	/*
	 * Return a new, independent copy of pkt (same in_port, same headroom
	 * guarantees), or NULL when out of buffers. Called on the hot path
	 * for a rule with more than one output; must not block.
	 */
	struct dp_packet *(*clone)(void *ctx, const struct dp_packet *pkt);
	void *ctx;
};

/*
 * Result of one burst: packets to transmit with their port, packets to
 * punt to the controller, packets to free. Each input packet (and each
 * clone) ends in exactly one of the three lists; the backend owns them
 * again after dp_worker_process() returns.
 */
enum { DP_OUT_MAX = DP_BURST * 4 };
struct dp_burst_out {
	unsigned n_tx;
	struct dp_packet *tx[DP_OUT_MAX];
	uint32_t tx_port[DP_OUT_MAX];
	unsigned n_punt;
	struct dp_packet *punt[DP_OUT_MAX];
	unsigned n_drop;
	struct dp_packet *drop[DP_OUT_MAX];
};

struct dp_pipeline;
struct dp_txn;
struct dp_worker;

struct dp_pipeline_config {
	unsigned n_workers;	/* 1 .. DP_WORKERS_MAX */
	unsigned cache_entries; /* per worker, power of two; 0 default */
	unsigned rules_max;	/* 0: no limit but memory */
	unsigned ct_max;	/* tracked connections; 0: DP_CT_MAX_DEFAULT */
};

/* Connection table size when none is given (docs/conntrack.md). */
enum { DP_CT_MAX_DEFAULT = 1u << 20, DP_CT_MAX_MAX = 1u << 28 };

/* Create an empty pipeline (every table empty: every packet misses). */
int dp_pipeline_create(const struct dp_pipeline_config *cfg,
		       struct dp_pipeline **out);
/* Accepts NULL. Workers must be destroyed first. */
void dp_pipeline_destroy(struct dp_pipeline *pl);

/* Transactions: all or nothing. One open transaction at a time (-EBUSY). */
int dp_txn_begin(struct dp_pipeline *pl, struct dp_txn **out);
/*
 * Stage a rule. A rule with the same table, priority and masked match as an
 * existing one replaces it (its counters restart). Returns -EINVAL with a
 * reason in err when the rule is invalid (dp_rule_validate), -ENOSPC past
 * rules_max.
 */
int dp_txn_add(struct dp_txn *t, const struct dp_rule *r, char *err,
	       size_t err_len);
/*
 * Stage deletion of rules whose cookie & cookie_mask == cookie & cookie_mask
 * in table (or all tables when table < 0). With strict set, only the rule
 * with exactly r's table, priority and masked match (cookie ignored).
 */
int dp_txn_del_cookie(struct dp_txn *t, int table, uint64_t cookie,
		      uint64_t cookie_mask);
int dp_txn_del_strict(struct dp_txn *t, const struct dp_rule *r);
/* Publish. On error nothing changed; the transaction is finished anyway. */
int dp_txn_commit(struct dp_txn *t, char *err, size_t err_len);
void dp_txn_abort(struct dp_txn *t);

/* Visit every rule (control thread), counters summed over workers. */
typedef int (*dp_rule_visit_fn)(const struct dp_rule *r,
				const struct dp_rule_stats *st, void *arg);
int dp_pipeline_dump(struct dp_pipeline *pl, int table, dp_rule_visit_fn fn,
		     void *arg);
size_t dp_pipeline_n_rules(const struct dp_pipeline *pl);

/* Bump the generation: every worker's cache falls through once. */
void dp_pipeline_flush_cache(struct dp_pipeline *pl);

struct dp_cache_stats {
	uint64_t hits, misses, inserts, evictions;
	uint64_t lookups_classifier; /* subtable probes on misses */
	uint32_t entries, entries_max;
	uint32_t n_subtables;
};
void dp_pipeline_cache_stats(struct dp_pipeline *pl,
			     struct dp_cache_stats *out);

/* Drop counters summed over workers, indexed by enum dp_drop_reason. */
void dp_pipeline_drop_stats(struct dp_pipeline *pl,
			    uint64_t out[DP_DROP__COUNT]);

/*
 * Connection tracking (the ct action; pl_ct.c). Control thread only; the
 * table is shared by all workers and these calls take its bucket locks
 * briefly, so workers keep running.
 *   stats: counters summed over workers (commit_rate since the last call).
 *   flush: remove every connection of zone (DP_CT_ZONE_ALL: all); returns
 *          how many were removed.
 *   dump:  visit the connections of zone (or all); fn's non-zero return
 *          stops the walk and is returned.
 *   sweep: reclaim expired connections (the control thread calls it when
 *          no worker runs; workers sweep from dp_worker_quiescent()).
 */
void dp_pipeline_ct_stats(struct dp_pipeline *pl, struct dp_ct_stats *out);
uint64_t dp_pipeline_ct_flush(struct dp_pipeline *pl, uint32_t zone);
typedef int (*dp_ct_visit_fn)(const struct dp_ct_entry *e, void *arg);
int dp_pipeline_ct_dump(struct dp_pipeline *pl, uint32_t zone,
			dp_ct_visit_fn fn, void *arg);
void dp_pipeline_ct_sweep(struct dp_pipeline *pl);

/*
 * Trace: run one frame through the tables without a cache and without
 * touching counters; report each table visited, the rule hit (or miss) and
 * the final packet bytes and outputs. Control thread only.
 */
enum { DP_TRACE_STEPS_MAX = DP_GOTO_DEPTH_MAX, DP_TRACE_OUT_MAX = 16 };
struct dp_trace_step {
	uint8_t table;
	uint8_t is_hit;
	uint16_t pad;
	struct dp_rule rule; /* valid if is_hit */
};
struct dp_trace {
	struct dp_key key; /* as parsed at ingress */
	int parse_error;   /* enum dp_drop_reason or -1 */
	unsigned n_steps;
	struct dp_trace_step steps[DP_TRACE_STEPS_MAX];
	int verdict; /* 0 forwarded/punted, else drop reason + 1 */
	unsigned n_out;
	uint32_t out_port[DP_TRACE_OUT_MAX];
	uint32_t out_len;	 /* final frame length */
	uint8_t out_frame[2048]; /* final frame (first output) */
};
int dp_pipeline_trace(struct dp_pipeline *pl, const uint8_t *frame,
		      uint32_t len, uint32_t in_port, struct dp_trace *out);

/* Workers. idx is 0 .. n_workers - 1; the calling thread registers. */
int dp_worker_create(struct dp_pipeline *pl, unsigned idx,
		     const struct dp_packet_ops *ops, struct dp_worker **out);
/* Call on the thread that created w: it unregisters that thread. */
void dp_worker_destroy(struct dp_worker *w);

/*
 * Run a burst (n <= DP_BURST) through parse, cache, tables and actions.
 * Hot path: no allocation, locks or syscalls. Fills out (reset first).
 */
void dp_worker_process(struct dp_worker *w, struct dp_packet **pkts, unsigned n,
		       struct dp_burst_out *out);

/* Report a quiescent point; call once per loop iteration. */
void dp_worker_quiescent(struct dp_worker *w);
/* An idle worker going to sleep goes offline; online when it wakes. */
void dp_worker_offline(struct dp_worker *w);
void dp_worker_online(struct dp_worker *w);

/* Count a drop the backend made (tx full, punt ring full). */
void dp_worker_count_drop(struct dp_worker *w, enum dp_drop_reason r,
			  unsigned n);

#endif /* SLUICE_PIPELINE_H */
