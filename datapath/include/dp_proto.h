/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_proto.h: the datapath programming protocol (seam 1 of the design).
 *
 * sluice-dp listens on a Unix stream socket; sluiced, sluicectl and tests
 * connect to it. Every message, in both directions, is a struct dp_msg_hdr
 * followed by len - sizeof(hdr) bytes of body whose layout is fixed by the
 * type. Requests carry an xid that the reply echoes. Each request gets
 * exactly one reply (DP_MSG_OK, DP_MSG_ERROR, or the typed reply below),
 * except dumps, which answer with zero or more typed reply messages, the
 * last one flagged DP_F_LAST (an empty PORT_LIST is answered by one
 * DP_MSG_OK flagged DP_F_LAST; an empty FLOW_DUMP by one FLOWS with n 0;
 * a DP_MSG_ERROR also ends a dump). PACKET_IN messages are sent unasked
 * (xid 0) to clients that subscribed.
 *
 * The receiver checks magic, version, type and the exact body length (or
 * the length implied by a count) before reading anything; a bad message
 * gets a DP_MSG_ERROR naming what was wrong, and a message that cannot be
 * framed (bad magic, len over DP_MSG_LEN_MAX) closes that connection only.
 *
 * All integers are host order (the socket is host-local); flow keys follow
 * dp_flow.h. Structs are fixed layout with explicit padding.
 */
#ifndef SLUICE_DP_PROTO_H
#define SLUICE_DP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "dp_flow.h"

#define DP_PROTO_MAGIC 0x534c4350u /* "SLCP" */
#define DP_PROTO_VERSION 1
#define DP_SOCKET_PATH_DEFAULT "/run/sluice/dp.sock"

enum {
	DP_MSG_LEN_MAX = 4u << 20, /* 4 MiB, header included */
	DP_NAME_LEN = 32,	   /* port names, NUL included */
	DP_ARGS_LEN = 256,	   /* devargs, paths, NUL included */
	DP_ERR_LEN = 256,	   /* error text, NUL included */
	DP_FRAME_MAX = 9216,	   /* packet-in/out/trace frames */
};

struct dp_msg_hdr {
	uint32_t magic;	  /* DP_PROTO_MAGIC */
	uint16_t version; /* DP_PROTO_VERSION */
	uint16_t type;	  /* enum dp_msg_type */
	uint32_t len;	  /* whole message, header included */
	uint32_t xid;	  /* request id, echoed in replies */
	uint32_t flags;	  /* DP_F_LAST on the last reply of a dump */
	uint32_t pad;
};

#define DP_F_LAST 0x1u

/* Message types. Numbers are the wire format: append only. */
enum dp_msg_type {
	DP_MSG_HELLO = 1, /* req and reply: struct dp_hello */
	DP_MSG_OK = 2,	  /* reply: empty body */
	DP_MSG_ERROR = 3, /* reply: struct dp_error */

	DP_MSG_PORT_ADD = 10,  /* req: dp_port_spec; reply: dp_port_info */
	DP_MSG_PORT_DEL = 11,  /* req: dp_port_ref; reply OK */
	DP_MSG_PORT_LIST = 12, /* req: empty; replies: PORT_INFO each */
	DP_MSG_PORT_INFO = 13, /* reply: dp_port_info */

	DP_MSG_FLOW_BEGIN = 20,	 /* req: empty; reply OK (-EBUSY if open) */
	DP_MSG_FLOW_ADD = 21,	 /* req: dp_flow_batch + n dp_rule; OK */
	DP_MSG_FLOW_DEL = 22,	 /* req: dp_flow_del; reply OK */
	DP_MSG_FLOW_COMMIT = 23, /* req: empty; reply OK or ERROR */
	DP_MSG_FLOW_ABORT = 24,	 /* req: empty; reply OK */
	DP_MSG_FLOW_DUMP = 25,	 /* req: dp_flow_dump_req; replies FLOWS */
	DP_MSG_FLOWS = 26,	 /* reply: dp_flow_batch + n dp_flow_entry */

	DP_MSG_CACHE_STATS = 30, /* req: empty; reply: dp_stats_reply */
	DP_MSG_STATS = 31,	 /* reply: dp_stats_reply */
	DP_MSG_CACHE_FLUSH = 32, /* req: empty; reply OK */

	DP_MSG_TRACE = 40,	  /* req: dp_packet_msg; reply TRACE_RESULT */
	DP_MSG_TRACE_RESULT = 41, /* reply: dp_trace_reply */

	DP_MSG_PACKET_IN_SUB = 50, /* req: empty; reply OK; then PACKET_IN */
	DP_MSG_PACKET_IN = 51,	   /* async: dp_packet_msg */
	DP_MSG_PACKET_OUT = 52,	   /* req: dp_packet_msg; reply OK */

	/*
	 * Reserved ranges for the stateful parts (each part defines its
	 * messages in its range): 60-69 connection tracking (stats, flush,
	 * dump), 70-79 load-balancer pools (set, delete, stats), 80-89 ESP
	 * security associations (add, delete, stats, events).
	 */

	/* Connection tracking (docs/conntrack.md). */
	DP_MSG_CT_STATS = 60,	    /* req: empty; reply: CT_STATS_REPLY */
	DP_MSG_CT_STATS_REPLY = 61, /* reply: dp_ct_stats */
	DP_MSG_CT_FLUSH = 62,	    /* req: dp_ct_zone_req; reply: CT_FLUSHED */
	DP_MSG_CT_FLUSHED = 63,	    /* reply: dp_ct_flushed */
	DP_MSG_CT_DUMP = 64,	/* req: dp_ct_zone_req; replies CT_ENTRIES */
	DP_MSG_CT_ENTRIES = 65, /* reply: dp_ct_batch + n dp_ct_entry */

	/* Load-balancer pools (docs/lbaas.md, "Datapath"). */
	DP_MSG_LB_POOL_SET = 70,    /* req: dp_lb_pool + n dp_lb_member; OK */
	DP_MSG_LB_POOL_DEL = 71,    /* req: dp_lb_pool_ref; reply OK */
	DP_MSG_LB_STATS = 72,	    /* req: dp_lb_pool_ref (id 0: all);
				     * replies LB_STATS_REPLY */
	DP_MSG_LB_STATS_REPLY = 73, /* reply: dp_lb_pool_stats + n
				     * dp_lb_member_stats */

	/* ESP security associations (docs/esp.md). */
	DP_MSG_SA_ADD = 80,	  /* req: dp_sa; reply OK */
	DP_MSG_SA_DEL = 81,	  /* req: dp_sa_ref; reply OK */
	DP_MSG_SA_DUMP = 82,	  /* req: dp_sa_ref (id 0: all); SA_INFO */
	DP_MSG_SA_INFO = 83,	  /* reply: dp_sa_info */
	DP_MSG_SA_EVENT_SUB = 84, /* req: empty; reply OK; then SA_EVENT */
	DP_MSG_SA_EVENT = 85,	  /* async: dp_sa_event */
};

struct dp_hello {
	uint32_t version;	/* highest version the sender speaks */
	uint32_t n_workers;	/* filled by the datapath */
	uint64_t boot_id;	/* datapath: random per process start */
	char name[DP_NAME_LEN]; /* sender's name, for logs */
};

struct dp_error {
	int32_t code;		  /* negative errno */
	uint32_t index;		  /* for batches: rule index that failed */
	char message[DP_ERR_LEN]; /* NUL-terminated, names what was wrong */
};

/* Port types. */
enum dp_port_type {
	DP_PORT_AF_XDP = 1,	       /* args: kernel interface name */
	DP_PORT_AF_PACKET = 2,	       /* args: kernel interface name */
	DP_PORT_VHOST_USER = 3,	       /* args: socket path (server mode) */
	DP_PORT_VHOST_USER_CLIENT = 4, /* args: socket path (client mode) */
	DP_PORT_TAP = 5,	       /* args: tap interface name to create */
	DP_PORT_DEVARGS = 6, /* args: raw DPDK devargs (pcap, null, ring,
			      * PCI address...) */
	DP_PORT_VNET = 7,    /* args: kernel interface name; AF_PACKET with
			      * virtio-net headers: the guest keeps TSO/GSO
			      * and checksum offload on */
};

struct dp_port_spec {
	char name[DP_NAME_LEN]; /* unique port name */
	uint32_t type;		/* enum dp_port_type */
	uint32_t port_no;	/* requested number, 0 = datapath chooses */
	char args[DP_ARGS_LEN];
};

/* Identify a port by number (non-zero) or else by name. */
struct dp_port_ref {
	uint32_t port_no;
	uint32_t pad;
	char name[DP_NAME_LEN];
};

struct dp_port_info {
	char name[DP_NAME_LEN];
	uint32_t type;
	uint32_t port_no;
	char args[DP_ARGS_LEN];
	uint8_t mac[6];
	uint8_t is_up;
	uint8_t pad;
	uint32_t mtu;
	uint32_t pad2; /* explicit: the counters are 8-aligned */
	uint64_t rx_packets, rx_bytes, rx_dropped, rx_errors;
	uint64_t tx_packets, tx_bytes, tx_dropped, tx_errors;
};

/* FLOW_ADD and FLOWS body: header then n items. */
struct dp_flow_batch {
	uint32_t n;
	uint32_t pad;
};

struct dp_flow_del {
	int32_t table;	    /* -1: all tables */
	uint32_t is_strict; /* 1: delete exactly rule (table, prio,
			     * match); 0: by cookie */
	uint64_t cookie;
	uint64_t cookie_mask; /* 0 with is_strict 0: delete all */
	struct dp_rule rule;  /* for strict */
};

struct dp_flow_dump_req {
	int32_t table; /* -1: all */
	uint32_t pad;
	uint64_t cookie;
	uint64_t cookie_mask;
};

struct dp_flow_entry {
	struct dp_rule rule;
	struct dp_rule_stats stats;
};

/* Counters reply to CACHE_STATS. */
enum { DP_STATS_DROPS_MAX = 32 };
struct dp_stats_reply {
	uint64_t hits, misses, inserts, evictions, lookups_classifier;
	uint32_t entries, entries_max;
	uint32_t n_subtables;
	uint32_t n_drop_reasons; /* valid entries in drops[] */
	uint64_t n_rules;
	uint64_t generation;
	uint64_t drops[DP_STATS_DROPS_MAX]; /* by enum dp_drop_reason */
	uint64_t proto_errors; /* malformed protocol messages seen */
	uint64_t punt_packets;
};

/* A frame with its port: packet-in, packet-out and trace requests. */
struct dp_packet_msg {
	uint32_t port;	  /* in: ingress port; out: egress port, or
			   * DP_PORT_NONE to run through table 0 as if
			   * received on in_port */
	uint32_t in_port; /* packet-out via tables: ingress port */
	uint32_t reason;  /* packet-in: the punt action's reason */
	uint32_t len;	  /* frame bytes that follow this struct */
			  /* uint8_t frame[len]; */
};

/* TRACE_RESULT body. */
enum { DP_TRACE_MSG_STEPS_MAX = DP_GOTO_DEPTH_MAX };
struct dp_trace_reply {
	struct dp_key key;
	int32_t parse_error; /* drop reason, or -1 when parsed fine */
	int32_t verdict;     /* 0 forwarded or punted; else drop reason+1 */
	uint32_t n_steps;
	uint32_t n_out;
	struct {
		uint8_t table;
		uint8_t is_hit;
		uint16_t pad;
		uint32_t pad2;
		struct dp_rule rule;
	} steps[DP_TRACE_MSG_STEPS_MAX];
	uint32_t out_port[16];
	uint32_t out_len;
	uint32_t pad;
	/* uint8_t out_frame[out_len]; */
};

/*
 * ESP security associations (RFC 4303 tunnel mode). An SA is identified by
 * its id (1 .. DP_SA_ID_MAX): outbound SAs are named by esp_encrypt(sa=N),
 * inbound ones are found by SPI and report their id in reg1. Keys cross
 * the host-local socket in SA_ADD only; no reply ever carries them.
 */
enum {
	DP_SA_ID_MAX = 4095,
	DP_SA_KEY_MAX = 36,	   /* encryption key + salt (AEAD) */
	DP_SA_INTEG_KEY_MAX = 64,  /* HMAC key */
	DP_SA_REPLAY_WINDOW = 1024 /* inbound anti-replay window, packets */
};

enum dp_sa_dir {
	DP_SA_OUT = 1, /* encrypt */
	DP_SA_IN = 2,  /* decrypt */
};

enum dp_sa_cipher {
	DP_SA_AES_GCM_16 = 1,	     /* RFC 4106: key 16/32 + 4 salt */
	DP_SA_AES_CBC = 2,	     /* RFC 3602: key 16/32, with integ */
	DP_SA_CHACHA20_POLY1305 = 3, /* RFC 7634: key 32 + 4 salt */
};

enum dp_sa_integ {
	DP_SA_INTEG_NONE = 0,	   /* AEAD ciphers */
	DP_SA_HMAC_SHA256_128 = 1, /* RFC 4868: key 32, ICV 16 */
	DP_SA_HMAC_SHA384_192 = 2, /* key 48, ICV 24 */
	DP_SA_HMAC_SHA512_256 = 3, /* key 64, ICV 32 */
};

enum dp_sa_flag {
	DP_SA_F_ESN = 0x01,  /* 64-bit extended sequence numbers */
	DP_SA_F_NATT = 0x02, /* RFC 3948 ESP in UDP (ports below) */
	DP_SA_F_IPV6 = 0x04, /* outer IPv6: src6/dst6, not src/dst */
};

/* SA_ADD body. Replacing an existing id is -EEXIST: delete it first. */
struct dp_sa {
	uint32_t id;	       /* 1 .. DP_SA_ID_MAX */
	uint32_t spi;	       /* host order, >= 256 (RFC 4303 2.1) */
	uint8_t dir;	       /* enum dp_sa_dir */
	uint8_t cipher;	       /* enum dp_sa_cipher */
	uint8_t integ;	       /* enum dp_sa_integ */
	uint8_t flags;	       /* enum dp_sa_flag */
	uint8_t enc_key_len;   /* bytes of enc_key used, salt included */
	uint8_t integ_key_len; /* bytes of integ_key used */
	uint8_t ttl;	       /* outer TTL; 0: 64 */
	uint8_t pad0;
	uint32_t src;	/* outer IPv4 source (local gateway), network order */
	uint32_t dst;	/* outer IPv4 destination (peer), network order */
	uint16_t sport; /* NAT-T UDP ports, host order; 0: 4500 */
	uint16_t dport;
	uint16_t mtu; /* out: outer IP packet limit (path MTU); 0: none.
		       * Larger packets: counted drop, DF ones punted with
		       * DP_PUNT_ESP_MTU (docs/vpnaas.md, "Path MTU").
		       * Both directions: TCP SYNs' MSS clamped to fit it */
	uint16_t pad1;
	uint64_t seq;	       /* out: last sequence number sent (0: none
				* yet); in: highest seen (0: none) */
	uint64_t soft_packets; /* SA_EVENT when reached; 0: none */
	uint64_t soft_bytes;   /* SA_EVENT when reached; 0: none */
	uint8_t enc_key[DP_SA_KEY_MAX];
	uint8_t integ_key[DP_SA_INTEG_KEY_MAX];
	uint32_t pad2;
	uint8_t src6[16]; /* with DP_SA_F_IPV6: outer IPv6 source */
	uint8_t dst6[16]; /* with DP_SA_F_IPV6: outer IPv6 destination */
};

/* SA_DEL and SA_DUMP body. */
struct dp_sa_ref {
	uint32_t id; /* SA_DUMP: 0 means every SA */
	uint32_t pad;
};

/* SA_INFO body: an SA without its keys, with counters summed over workers. */
struct dp_sa_info {
	uint32_t id;
	uint32_t spi;
	uint8_t dir, cipher, integ, flags;
	uint32_t src, dst;
	uint16_t sport, dport;
	uint64_t seq;		 /* out: last sent; in: highest accepted */
	uint64_t packets, bytes; /* processed fine (inner bytes) */
	uint64_t replay_drops;	 /* duplicate or older than the window */
	uint64_t auth_fails;	 /* ICV mismatch */
	uint64_t bad_pad;	 /* padding or next header wrong */
	uint64_t seq_exhausted;	 /* out: not sent, sequence space used up */
	uint64_t no_room;	 /* out: no head/tailroom, or too long */
	uint64_t soft_packets, soft_bytes;
	uint64_t too_big; /* out: inner packet over the SA's mtu (dropped) */
	uint64_t too_big_punts;	    /* of which punted (DF set, rate-limited) */
	uint32_t mtu;		    /* the SA's mtu (0: none) */
	uint32_t too_big_frags;	    /* of too_big: IPv4, DF clear, fragmented
				     * before encryption (mod 2^32) */
	uint8_t src6[16], dst6[16]; /* with DP_SA_F_IPV6: outer IPv6 */
	/* Appended; a 160-byte body without them decodes as zeros, see
	 * DP_SA_INFO_V1_LEN. TCP MSS clamping (SAs with an mtu; docs/esp.md,
	 * "MSS clamping"): */
	uint64_t mss_clamped;  /* SYNs whose MSS option was lowered */
	uint64_t mss_bad_opts; /* SYNs with malformed options, untouched */
};

/* SA_INFO body as sent before `mss_clamped` was appended. */
#define DP_SA_INFO_V1_LEN 160

/*
 * Packet-in reason of an IPv4 packet with DF set that esp_encrypt found
 * too big for its SA's mtu: DP_PUNT_ESP_MTU | next-hop MTU (the largest
 * inner packet that fits) in the low 16 bits. The frame is the inner one
 * as it reached esp_encrypt (TTL already decremented), for sluiced to
 * answer with ICMP fragmentation needed (RFC 1191). At most
 * DP_ESP_MTU_PUNTS_PER_S per SA and worker.
 */
#define DP_PUNT_ESP_MTU 0xfffe0000u
#define DP_PUNT_ESP_MTU_MASK 0xffff0000u
/*
 * The same from the runtime, for a port's own MTU: DP_PUNT_TX_MTU | the
 * port's MTU, an IPv4 packet with DF or an IPv6 one that the pipeline sent
 * to a port whose interface cannot take it. The frame is as the pipeline
 * left it (routed: Ethernet addresses of the next hop); in_port is where
 * it came in. At most DP_ESP_MTU_PUNTS_PER_S per worker.
 */
#define DP_PUNT_TX_MTU 0xfffd0000u
enum { DP_ESP_MTU_PUNTS_PER_S = 100 };

/* SA_EVENT kinds (bits: one event may report several). */
enum dp_sa_event_kind {
	DP_SA_EV_SEQ_NEAR_END = 0x01,  /* out: rekey now (2^20 before end) */
	DP_SA_EV_SEQ_EXHAUSTED = 0x02, /* out: packets are being dropped */
	DP_SA_EV_SOFT_PACKETS = 0x04,  /* soft packet lifetime reached */
	DP_SA_EV_SOFT_BYTES = 0x08,    /* soft byte lifetime reached */
};

/* SA_EVENT body, sent unasked (xid 0) to subscribed clients. */
struct dp_sa_event {
	uint32_t id;
	uint32_t spi;
	uint32_t kinds; /* enum dp_sa_event_kind bits */
	uint32_t dir;
	uint64_t seq;
	uint64_t packets;
	uint64_t bytes;
};

/*
 * Connection tracking (the ct action, docs/conntrack.md). A connection is
 * known by its original and its reply tuple; NAT bindings are what makes
 * the reply tuple differ from the original one reversed.
 */
#define DP_CT_ZONE_ALL 0xffffffffu

/* Why a packet got ct_state +inv (counters in dp_ct_stats.invalid). */
enum dp_ct_inv_reason {
	DP_CT_INV_NOT_IP,	/* neither IPv4 nor IPv6 */
	DP_CT_INV_FRAG,		/* IP fragment: no reassembly */
	DP_CT_INV_TCP_FLAGS,	/* impossible flag combination */
	DP_CT_INV_TCP_NOT_SYN,	/* first packet of a TCP flow is not a SYN */
	DP_CT_INV_TCP_STATE,	/* flags not allowed in the state */
	DP_CT_INV_ICMP_NO_CONN, /* ICMP error or echo reply, no connection */
	DP_CT_INV_ICMP_BAD,	/* ICMP error with a cut or bad inner header */
	DP_CT_INV_FULL,		/* commit with the table full */
	DP_CT_INV_NAT_FAIL,	/* no free address/port for the binding */
	DP_CT_INV__COUNT
};

/* Name of an invalid reason ("tcp_not_syn"), or "?" (dp_proto.c). */
const char *dp_proto_ct_inv_name(unsigned r);

/* TCP connection states (dp_ct_entry.tcp_state). */
enum dp_ct_tcp_state {
	DP_CT_TCP_NONE = 0, /* not TCP */
	DP_CT_TCP_SYN_SENT,
	DP_CT_TCP_SYN_RECV,
	DP_CT_TCP_ESTABLISHED,
	DP_CT_TCP_FIN_WAIT,
	DP_CT_TCP_CLOSE_WAIT,
	DP_CT_TCP_TIME_WAIT,
	DP_CT_TCP_CLOSED,
	DP_CT_TCP__COUNT
};

/* Name of a TCP state ("ESTABLISHED"), or "?" (dp_proto.c). */
const char *dp_proto_ct_tcp_state_name(unsigned s);

/* CT_FLUSH and CT_DUMP body. */
struct dp_ct_zone_req {
	uint32_t zone; /* 0 .. 65535, or DP_CT_ZONE_ALL */
	uint32_t pad;
};

/* CT_FLUSHED body. */
struct dp_ct_flushed {
	uint64_t n; /* connections removed */
};

/* CT_STATS_REPLY body: counters summed over workers. */
struct dp_ct_stats {
	uint64_t entries;     /* connections in the table now */
	uint64_t entries_max; /* --ct-max */
	uint64_t mem_bytes;   /* memory the table reserves */
	uint64_t lookups;     /* ct actions run */
	uint64_t commits;     /* connections created */
	uint64_t commit_rate; /* per second, since the previous stats call */
	uint64_t expired;     /* reclaimed after their timeout */
	uint64_t flushed;     /* removed by CT_FLUSH */
	uint64_t related;     /* ICMP errors found related */
	uint64_t nat;	      /* packets translated */
	uint64_t invalid[DP_CT_INV__COUNT]; /* by enum dp_ct_inv_reason */
	uint64_t evicted; /* taken by a new connection with the table full */
};

/* One direction of a connection (addresses v4 in the first 4 bytes). */
struct dp_ct_tuple {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport; /* network order; ICMP echo: the identifier */
	uint16_t dport; /* network order; ICMP echo: 0 */
};

/* CT_ENTRIES item. */
struct dp_ct_entry {
	uint16_t zone;
	uint8_t proto;	   /* IP protocol */
	uint8_t family;	   /* 4 or 6 */
	uint8_t tcp_state; /* enum dp_ct_tcp_state */
	uint8_t flags;	   /* DP_CS_SNAT, DP_CS_DNAT (as in ct_state) */
	uint16_t pad;
	uint32_t mark;
	uint32_t expires; /* seconds left */
	struct dp_ct_tuple orig;
	struct dp_ct_tuple reply;
};

/* CT_ENTRIES body head, followed by n dp_ct_entry. */
struct dp_ct_batch {
	uint32_t n;
	uint32_t pad;
};

/*
 * Load-balancer pools, the state behind lb_select(pool=N,...). A pool is
 * replaced whole by LB_POOL_SET; a member is known by its address and
 * port, so one kept across a replacement keeps its connections and its
 * counters. A pool is IPv4 or IPv6 (DP_LB_POOL_F_IPV6): its members and
 * its source address are of that family, and it balances only packets of
 * that family (others are dropped, counted as lb_family).
 */
enum {
	DP_LB_POOL_ID_MAX = 4095, /* pool ids 1 .. */
	DP_LB_MEMBERS_MAX = 1024, /* members of one pool */
	DP_LB_WEIGHT_MAX = 256,	  /* as Octavia's member weight */
};

enum dp_lb_alg {
	DP_LB_ROUND_ROBIN = 1,	     /* weighted, per worker */
	DP_LB_LEAST_CONNECTIONS = 2, /* fewest active / weight */
	DP_LB_SOURCE_IP = 3,	     /* Maglev on the source address */
	DP_LB_SOURCE_IP_PORT = 4,    /* Maglev on the 5-tuple */
};

enum dp_lb_member_flag {
	DP_LB_M_UP = 0x01,     /* may take new connections */
	DP_LB_M_BACKUP = 0x02, /* only when no primary is up */
};

/* dp_lb_pool.flags, dp_lb_pool_stats.flags. */
enum dp_lb_pool_flag {
	DP_LB_POOL_F_IPV6 = 0x01, /* members and source address are IPv6 */
};

/*
 * LB_POOL_SET body head, followed by n_members struct dp_lb_member (an
 * IPv4 pool) or struct dp_lb_member6 (flags has DP_LB_POOL_F_IPV6; such a
 * pool sends the whole head, src_addr6 included).
 */
struct dp_lb_pool {
	uint32_t id;	    /* 1 .. DP_LB_POOL_ID_MAX */
	uint32_t n_members; /* 0 .. DP_LB_MEMBERS_MAX */
	uint8_t alg;	    /* enum dp_lb_alg */
	uint8_t flags;	    /* enum dp_lb_pool_flag (was padding, 0) */
	uint8_t pad[2];
	uint32_t src_addr; /* the LB's own IPv4 address, network order:
			    * the source members see; 0 in an IPv6 pool */
	uint16_t port_min; /* source ports, host order; 0: 1024 .. 65535 */
	uint16_t port_max;
	uint32_t persist_timeout; /* SOURCE_IP persistence, s; 0: none */
	uint32_t table_size;	  /* Maglev table, a prime > n_members,
				   * at most 1048573; 0: the default
				   * (65537 and up: maglev_size_for) */
	uint32_t conn_limit;	  /* the listener's connection_limit: a new
				   * connection is dropped (counted `limit`)
				   * while the pool has this many active; 0: no
				   * limit (this was padding, sent as 0) */
	/* Appended; a 32-byte head without them (DP_LB_POOL_V1_LEN) is
	 * taken as zeros. Timeouts of the pool's connections, ms, rounded
	 * up to the connection table's whole seconds; 0: its defaults. */
	uint32_t idle_timeout_ms;    /* TCP established and closing, UDP */
	uint32_t connect_timeout_ms; /* TCP SYN sent, member silent */
	/* Appended; a 40-byte head without them (DP_LB_POOL_V2_LEN) is
	 * taken as zeros. An IPv6 pool's own address, network order (the
	 * source its members see); all zero in an IPv4 pool. */
	uint8_t src_addr6[16];
	uint32_t pad2; /* 0; makes the head 60 bytes, which no count of
			* 16-byte members confuses with an older head */
};

/* LB_POOL_SET head as sent before the timeouts were appended. */
#define DP_LB_POOL_V1_LEN 32
/* LB_POOL_SET head as sent before src_addr6 was appended. */
#define DP_LB_POOL_V2_LEN 40

struct dp_lb_member {
	uint32_t addr;	 /* IPv4, network order */
	uint16_t port;	 /* network order; 0: the VIP's port */
	uint16_t weight; /* 0 .. DP_LB_WEIGHT_MAX; 0 drains */
	uint8_t flags;	 /* enum dp_lb_member_flag */
	uint8_t pad[7];
};

/* A member of an IPv6 pool. */
struct dp_lb_member6 {
	uint8_t addr[16]; /* IPv6, network order */
	uint16_t port;	  /* network order; 0: the VIP's port */
	uint16_t weight;  /* 0 .. DP_LB_WEIGHT_MAX; 0 drains */
	uint8_t flags;	  /* enum dp_lb_member_flag */
	uint8_t pad[3];
};

/* LB_POOL_DEL and LB_STATS body. */
struct dp_lb_pool_ref {
	uint32_t id; /* LB_STATS: 0 means every pool */
	uint32_t pad;
};

/*
 * LB_STATS_REPLY body head, followed by n_members dp_lb_member_stats, or
 * dp_lb_member6_stats for an IPv6 pool (flags has DP_LB_POOL_F_IPV6; its
 * reply carries the whole head).
 */
struct dp_lb_pool_stats {
	uint32_t id;
	uint32_t n_members;
	uint8_t alg;
	uint8_t flags; /* enum dp_lb_pool_flag (was padding, 0) */
	uint8_t pad[2];
	uint32_t table_size;
	uint64_t packets, bytes; /* lb_select, and ct replies of its conns */
	uint64_t active;	 /* connections in the table now */
	uint64_t total;		 /* connections made */
	uint64_t no_member;	 /* new connections dropped: no member */
	/* Appended; a 56-byte head without them decodes as zeros, see
	 * DP_LB_POOL_STATS_V1_LEN. */
	uint64_t limit;	     /* new connections dropped: conn_limit */
	uint32_t conn_limit; /* the pool's, 0: none */
	uint32_t pad2;
	/* Appended; a 72-byte head without them decodes as zeros, see
	 * DP_LB_POOL_STATS_V2_LEN. Of packets and bytes, those of the
	 * reply direction (member to client). */
	uint64_t packets_rpl, bytes_rpl;
};

/* LB_STATS_REPLY head as sent before `limit` was appended. */
#define DP_LB_POOL_STATS_V1_LEN 56
/* LB_STATS_REPLY head as sent before `packets_rpl` was appended. */
#define DP_LB_POOL_STATS_V2_LEN 72

struct dp_lb_member_stats {
	struct dp_lb_member m;
	uint64_t packets, bytes, active, total;
	uint32_t table_entries; /* Maglev entries it holds now */
	uint32_t pad;
};

/* The member counters of an IPv6 pool. */
struct dp_lb_member6_stats {
	struct dp_lb_member6 m;
	uint64_t packets, bytes, active, total;
	uint32_t table_entries; /* Maglev entries it holds now */
	uint32_t pad;
};

#endif /* SLUICE_DP_PROTO_H */
