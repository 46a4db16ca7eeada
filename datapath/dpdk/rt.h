/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rt.h: the DPDK runtime of sluice-dp, shared between its files.
 *
 *   sluice_dp.c  main: command line, EAL, pipeline, protocol server, the
 *                main lcore loop (packet-in, packet-out), shutdown
 *   rt_args.c    command line parsing into struct rt_config
 *   rt_port.c    ports: type -> DPDK devargs, hotplug add/del, the port
 *                table the workers read, counters
 *   rt_worker.c  the worker lcores' run-to-completion loop
 *   rt_vnet.c    the "vnet" port type: AF_PACKET with virtio-net headers
 *                (guests keep TSO/GSO and checksum offload; vnet_seg.c)
 *   rt_log.c     leveled, rate-limited logging to stderr or syslog
 *
 * Only these files see DPDK types; the pipeline (pipeline.h) sees packets
 * as struct dp_packet.
 *
 * Concurrency: the main lcore (control thread) owns struct rt and every
 * port; it publishes a new struct rt_ptab with rcu_assign_pointer() for
 * each port change and frees the old one after synchronize_rcu() (liburcu
 * QSBR, the same flavour as the pipeline). Workers read the published
 * table between two quiescent points and never take a lock, except a
 * port's tx lock when the device has fewer tx queues than lcores.
 */
#ifndef SLUICE_RT_H
#define SLUICE_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include "dp_proto.h"
#include "pipeline.h"

struct rte_mempool;
struct dp_ctl;
struct rt_vnet;

enum {
	RT_PORT_NO_MAX = 255,  /* port numbers 1 .. RT_PORT_NO_MAX */
	RT_PORTS_MAX = 64,     /* ports at once */
	RT_PUNT_RING = 1024,   /* per-worker punt ring entries */
	RT_CLI_PORTS_MAX = 32, /* --port options */
	RT_EAL_ARGS_MAX = 64,
	RT_BIG_MBUFS = 4096, /* at most, in the big pool */
	RT_FRAGS_MAX = 16,   /* fragments of one frame sent again */
	/*
	 * The size (IP MTU) a datagram is fragmented again to: the guest
	 * behind the port may have a smaller MTU than its host end (a
	 * Neutron network's 1450 or a tunnel's 1400 on a 1500-byte veth)
	 * and its fragments' size is not known any more; 1280 fits any.
	 */
	RT_REFRAG_MTU = 1280,
	RT_VNET_MBUFS = 16383, /* the vnet ports' pool, at most */
};

/*
 * AF_PACKET ports: the kernel reassembles IPv4 fragments for the socket
 * (DPDK 22.11's PMD joins a fanout group with PACKET_FANOUT_FLAG_DEFRAG),
 * so a ring frame must hold a whole datagram: RT_AFP_FRAME-byte frames
 * (datagrams up to about 10,100 bytes), received into mbufs of the big
 * pool, and sent out fragmented again to the port's MTU (rt_worker.c).
 * Macros, for the devargs string. docs/runtime.md.
 */
#define RT_AFP_FRAME 10240
#define RT_AFP_BLOCK 20480 /* two frames a block (a page multiple) */
#define RT_AFP_FRAMES 1024 /* 10 MiB a ring */
#define RT_XSTR(x) #x
#define RT_STR(x) RT_XSTR(x)

enum rt_log_level {
	RT_LOG_ERR,
	RT_LOG_WARN,
	RT_LOG_INFO,
	RT_LOG_DEBUG,
};

/* The command line, parsed (rt_args.c). Strings point into argv. */
struct rt_config {
	const char *socket_path;
	int main_cpu;
	unsigned n_workers;
	int worker_cpus[DP_WORKERS_MAX];
	bool is_hugepages;
	const char *huge_dir;
	unsigned mem_mb;
	const char *file_prefix; /* NULL: sluice-dp-<pid> */
	unsigned cache_entries;
	unsigned ct_max; /* 0: DP_CT_MAX_DEFAULT */
	enum rt_log_level log_level;
	bool is_syslog;
	const char *eal_extra; /* split on spaces */
	unsigned n_ports;
	struct dp_port_spec ports[RT_CLI_PORTS_MAX];
};

/*
 * Parse argv. Returns 0, 1 when --help was printed, or -EINVAL after
 * printing a message naming the bad argument (main exits 2).
 */
int rt_args_parse(int argc, char **argv, struct rt_config *cfg);
/* "af_xdp" -> DP_PORT_AF_XDP; -EINVAL when unknown. */
int rt_args_port_type(const char *s);
const char *rt_args_port_type_name(uint32_t type);
/* A port name (or file prefix): 1 to DP_NAME_LEN - 1 of [A-Za-z0-9_.-]. */
bool rt_args_name_ok(const char *s, size_t len);

/* A port the runtime owns (rt_port.c). */
struct rt_port {
	struct dp_port_spec spec; /* as added; spec.port_no is final */
	uint16_t eth_id;	  /* DPDK port id */
	uint16_t n_txq;		  /* tx queues configured */
	bool is_tx_shared;	  /* n_txq < lcores: queue 0 + lock */
	char dev_name[64];	  /* DPDK device name */
	uint16_t tx_mtu;	  /* AF_PACKET, vnet: the interface's MTU */
	struct rt_vnet *vnet;	  /* a vnet port (no ethdev); else NULL */
	rte_spinlock_t tx_lock;
	uint64_t tx_drop_base; /* tx drops before this port */
};

/* Where a worker polls. */
struct rt_rxq {
	uint16_t eth_id;
	uint16_t pad;
	uint32_t port_no;
	struct rt_vnet *vnet; /* non-NULL: rt_vnet_rx() instead of eth_id */
};

/* Where a port number transmits. */
struct rt_txq {
	struct rt_port *port; /* NULL: no such port */
	uint16_t eth_id;
	uint16_t is_shared;
	uint16_t mtu;	      /* frames over it are fragmented (0: no check) */
	struct rt_vnet *vnet; /* non-NULL: rt_vnet_tx() instead of eth_id */
};

/*
 * The published port table: immutable once published. Workers read it
 * between two quiescent points.
 */
struct rt_ptab {
	unsigned n_rx[DP_WORKERS_MAX];
	struct rt_rxq rx[DP_WORKERS_MAX][RT_PORTS_MAX];
	struct rt_txq tx[RT_PORT_NO_MAX + 1];
};

/* Per-worker counters, written by that worker only. */
struct rt_wstats {
	uint64_t rx_packets;
	uint64_t tx_packets;
	uint64_t punts;
	uint64_t idle_sleeps;
	uint64_t tx_drop[RT_PORT_NO_MAX + 1];
} __attribute__((aligned(64)));

/* A punted packet on its way to the main lcore. */
struct rt_punt {
	void *mbuf;
	uint32_t in_port;
	uint32_t reason;
};

struct rt;

/* dp_packet_ops.clone context: clones of one burst, reset per burst. */
struct rt_clone_ctx {
	struct rte_mempool *pool;
	struct rte_mempool *pool_big; /* for copies of frames over 2 KiB */
	unsigned n_used;
	struct dp_packet slots[DP_OUT_MAX];
};

/* Per-worker state (rt_worker.c). */
struct rt_worker {
	struct rt *rt;
	unsigned idx; /* 0 .. n_workers - 1 */
	unsigned lcore;
	struct dp_worker *dw;	    /* created on the worker's thread */
	struct rte_ring *punt_ring; /* SP/SC to the main lcore */
	struct rt_wstats stats;
	struct dp_packet pkts[DP_BURST];
	struct rt_clone_ctx clone;
	/* MTU punts (rt_worker_frag): this second's start and count. */
	uint64_t mtu_punt_tsc;
	unsigned mtu_punt_n;
	int init_error;
	volatile int is_ready;
};

/* The runtime. One per process, owned by the main lcore. */
struct rt {
	struct rt_config *cfg;
	unsigned n_workers;
	struct rte_mempool *pool;
	struct rte_mempool *pool_big; /* RT_AFP_FRAME data room: AF_PACKET rx */
	struct rte_mempool *pool_ind; /* indirect mbufs for fragments */
	/*
	 * vnet ports' rx (rt_vnet.c): never an AF_XDP port's UMEM. DPDK
	 * 22.11's af_xdp driver sends an mbuf of its UMEM's pool in place and
	 * copies one of another pool into its own. An AF_XDP uplink fed
	 * vnet rx's mbufs of the shared pool (48 at once for a super-frame)
	 * stopped sending for good within a second; with this pool it did
	 * not. Why the in-place sends stalled was not found (suspected: the
	 * UMEM registered under --no-huge not covering the whole pool;
	 * docs/runtime.md, "vnet ports").
	 */
	struct rte_mempool *pool_vnet;
	struct dp_pipeline *pl;
	struct dp_ctl *ctl;
	struct rt_ptab *ptab; /* published (RCU) */
	struct rt_port *ports[RT_PORT_NO_MAX + 1];
	unsigned n_ports;
	struct rt_worker workers[DP_WORKERS_MAX];
	struct dp_worker *main_dw;	/* packet-out through the tables */
	struct rt_clone_ctx main_clone; /* ... and its clones */
	volatile int is_stopping;
	uint64_t punts_delivered;
	uint64_t punts_dropped;
	uint64_t boot_id;
};

/* Ports (rt_port.c). Main lcore only. */
int rt_port_add(struct rt *rt, const struct dp_port_spec *spec,
		struct dp_port_info *out, char *err, size_t err_len);
int rt_port_del(struct rt *rt, const struct dp_port_ref *ref, char *err,
		size_t err_len);
int rt_port_list(struct rt *rt, struct dp_port_info *out, unsigned max,
		 unsigned *n);
/* Remove every port (shutdown, after the workers stopped). */
void rt_port_del_all(struct rt *rt);
/* Publish an empty port table. */
int rt_port_init(struct rt *rt);
void rt_port_fini(struct rt *rt);

/* vnet ports (rt_vnet.c). open/close/info: main lcore; rx: the port's
 * worker; tx: any lcore. */
int rt_vnet_open(const struct dp_port_spec *spec, struct rte_mempool *pool,
		 struct rte_mempool *pool_big, struct rt_vnet **out, char *err,
		 size_t err_len);
void rt_vnet_close(struct rt_vnet *v);
uint16_t rt_vnet_rx(struct rt_vnet *v, struct rte_mbuf **m, uint16_t max);
/* Frames taken (sent, or refused by the kernel and counted); the caller
 * frees the rest. */
uint16_t rt_vnet_tx(struct rt_vnet *v, struct rte_mbuf **m, uint16_t n);
void rt_vnet_info(const struct rt_vnet *v, struct dp_port_info *o);

/*
 * Transmit on port_no from lcore queue qidx (workers: their index; main:
 * n_workers). Returns how many went, or -1 when there is no such port;
 * the caller frees the rest. Hot path.
 */
static inline int
rt_port_tx(const struct rt_ptab *tab, uint32_t port_no, uint16_t qidx,
	   struct rte_mbuf **m, uint16_t n)
{
	const struct rt_txq *t;
	uint16_t sent;

	if (port_no > RT_PORT_NO_MAX || tab->tx[port_no].port == NULL)
		return -1;
	t = &tab->tx[port_no];
	if (t->vnet != NULL)
		return rt_vnet_tx(t->vnet, m, n);
	if (!t->is_shared)
		return rte_eth_tx_burst(t->eth_id, qidx, m, n);
	rte_spinlock_lock(&t->port->tx_lock);
	sent = rte_eth_tx_burst(t->eth_id, 0, m, n);
	rte_spinlock_unlock(&t->port->tx_lock);
	return sent;
}

/* Workers (rt_worker.c). */
int rt_worker_main(void *arg); /* lcore entry */
/*
 * Wrap an mbuf as a dp_packet, and write the pipeline's changes (data
 * moved within headroom, length) back. Hot path; also used by the main
 * lcore for packet-out through the tables. A chained mbuf offers no
 * tailroom: the pipeline only ever sees its first segment.
 */
static inline void
rt_worker_wrap(struct rte_mbuf *m, uint32_t in_port, struct dp_packet *p)
{
	uint16_t off = m->data_off, len = m->data_len;

	p->data = (uint8_t *)m->buf_addr + off;
	p->len = len;
	p->headroom = off;
	/* nb_segs, not next: next sits in the mbuf's second cache line. */
	p->tailroom = m->nb_segs == 1 ? (uint16_t)(m->buf_len - off - len) : 0;
	p->in_port = in_port;
	p->punt_reason = 0;
	p->opaque = m;
}

static inline struct rte_mbuf *
rt_worker_writeback(const struct dp_packet *p)
{
	struct rte_mbuf *m = p->opaque;
	uint16_t off = (uint16_t)(p->data - (uint8_t *)m->buf_addr);

	if (__builtin_expect(off != m->data_off || p->len != m->data_len, 0)) {
		m->data_off = off;
		m->pkt_len = m->pkt_len - m->data_len + p->len;
		m->data_len = (uint16_t)p->len;
	}
	return m;
}

/* dp_packet_ops.clone; ctx is a struct rt_clone_ctx. */
struct dp_packet *rt_worker_clone(void *ctx, const struct dp_packet *pkt);

/* Logging (rt_log.c). */
void rt_log_init(enum rt_log_level level, bool is_syslog);
void rt_log(enum rt_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* True at most burst times per second per *state (rate limit). */
bool rt_log_allow(uint64_t *state);
void rt_vlog(enum rt_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Send libbpf's and libxdp's messages to our debug level. */
void rt_log_hook_bpf(void);
int rt_log_level_parse(const char *s);

#define RT_ERR(...) rt_log(RT_LOG_ERR, __VA_ARGS__)
#define RT_WARN(...) rt_log(RT_LOG_WARN, __VA_ARGS__)
#define RT_INFO(...) rt_log(RT_LOG_INFO, __VA_ARGS__)
#define RT_DEBUG(...) rt_log(RT_LOG_DEBUG, __VA_ARGS__)
/* Rate-limited (about 10 lines a second per call site). */
#define RT_WARN_RL(...)                                                        \
	do {                                                                   \
		static uint64_t rt_rl_;                                        \
		if (rt_log_allow(&rt_rl_))                                     \
			rt_log(RT_LOG_WARN, __VA_ARGS__);                      \
	} while (0)

#endif /* SLUICE_RT_H */
