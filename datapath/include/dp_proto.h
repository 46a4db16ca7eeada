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

#endif /* SLUICE_DP_PROTO_H */
