/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_flow.h: the value types of Sluice's flow tables, shared by the
 * datapath pipeline, the programming protocol, its client library,
 * sluicectl and the control daemon's compiler.
 *
 * A packet is parsed once into a struct dp_key. A rule matches a key under
 * a mask (a set bit in the mask is a bit that must be equal), has a
 * priority, a table, a cookie (owner tag) and an action list. These structs
 * are plain values with a fixed layout: they cross the Unix socket as they
 * are (the protocol is host-local, so host byte order applies to the
 * fields documented "host order"; addresses and L4 ports are kept in
 * network byte order, as they sit in the packet).
 *
 * No pointers, no allocation, no dependency beyond libc.
 */
#ifndef SLUICE_DP_FLOW_H
#define SLUICE_DP_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits (inclusive maxima are _max, counts are n_). */
enum {
	DP_TABLES_MAX = 64,	/* table ids 0 .. DP_TABLES_MAX - 1 */
	DP_ACTIONS_MAX = 16,	/* actions in one rule */
	DP_BURST = 32,		/* packets per burst, everywhere */
	DP_WORKERS_MAX = 8,	/* worker lcores */
	DP_GOTO_DEPTH_MAX = 16, /* tables one packet may visit */
	DP_KEY_WORDS = 16,	/* struct dp_key is 16 x 64-bit words */
};

/* Reserved port numbers (host order). Real ports are 1 .. 0xfff0. */
enum {
	DP_PORT_NONE = 0,
	DP_PORT_MAX = 0xfff0,
	DP_PORT_IN_PORT = 0xfff8,    /* output: back out of the ingress port */
	DP_PORT_CONTROLLER = 0xfffd, /* output: punt to the controller */
};

/* nw_frag bits. */
enum {
	DP_FRAG_ANY = 0x01,   /* the packet is an IP fragment */
	DP_FRAG_LATER = 0x02, /* ... and not the first one (no L4 header) */
};

/* vlan_tci: DP_VLAN_PRESENT is set (in network order) when a tag exists. */
#define DP_VLAN_PRESENT 0x1000

/*
 * The flow key: 128 bytes, 16 words. Each line below is one 64-bit word so
 * the classifier can hash and compare masked words.
 *
 * Byte order: in_port, metadata, tun_id, ct_zone, ct_mark, reg0, reg1 and
 * tcp_flags are host order; everything else is network order as on the
 * wire (eth_type 0x0800 is stored as htons(0x0800)).
 *
 * ICMP and ICMPv6: tp_src is the type, tp_dst the code (each in the low
 * byte, network order 16-bit). ARP: nw_src/nw_dst are SPA/TPA, nw_proto is
 * the low byte of the opcode, arp_sha/arp_tha are SHA/THA.
 * ESP: esp_spi (network order); for ESP in UDP 4500 tp_* are also set.
 * VXLAN: the pipeline does not look inside by itself; after the
 * vxlan_decap action, tun_id is the VNI and tun_src/tun_dst the outer IPv4
 * addresses, and the key describes the inner frame.
 */
struct dp_key {
	uint32_t in_port;
	uint32_t metadata;
	uint32_t tun_id;
	uint32_t tun_src;
	uint8_t eth_dst[6];
	uint16_t eth_type;
	uint8_t eth_src[6];
	uint16_t vlan_tci;
	uint32_t nw_src;
	uint32_t nw_dst;
	uint8_t ipv6_src[16];
	uint8_t ipv6_dst[16];
	uint16_t tp_src;
	uint16_t tp_dst;
	uint8_t nw_proto;
	uint8_t nw_tos;
	uint8_t nw_ttl;
	uint8_t nw_frag;
	uint32_t esp_spi;
	uint16_t tcp_flags;
	uint8_t ct_state;
	uint8_t pad0;
	uint8_t arp_sha[6];
	uint16_t ct_zone;
	uint8_t arp_tha[6];
	uint16_t pad1;
	uint32_t tun_dst;
	uint32_t ct_mark;
	uint32_t reg0;
	uint32_t reg1;
	uint64_t reserved;
} __attribute__((aligned(8)));

_Static_assert(sizeof(struct dp_key) == DP_KEY_WORDS * 8,
	       "dp_key must be 16 words");

/* Fields a rule can match or an action can set. */
enum dp_field {
	DP_F_IN_PORT,
	DP_F_METADATA,
	DP_F_TUN_ID,
	DP_F_TUN_SRC,
	DP_F_TUN_DST,
	DP_F_ETH_DST,
	DP_F_ETH_SRC,
	DP_F_ETH_TYPE,
	DP_F_VLAN_TCI,
	DP_F_NW_SRC,
	DP_F_NW_DST,
	DP_F_IPV6_SRC,
	DP_F_IPV6_DST,
	DP_F_TP_SRC,
	DP_F_TP_DST,
	DP_F_NW_PROTO,
	DP_F_NW_TOS,
	DP_F_NW_TTL,
	DP_F_NW_FRAG,
	DP_F_ESP_SPI,
	DP_F_TCP_FLAGS,
	DP_F_CT_STATE,
	DP_F_CT_ZONE,
	DP_F_CT_MARK,
	DP_F_ARP_SHA,
	DP_F_ARP_THA,
	DP_F_REG0,
	DP_F_REG1,
	DP_F__COUNT
};

/* Where a field sits in struct dp_key. */
struct dp_field_info {
	const char *name;   /* as in the text syntax: "nw_src" */
	uint16_t offset;    /* byte offset in struct dp_key */
	uint8_t size;	    /* bytes */
	bool is_host_order; /* integer in host order (else network) */
	bool is_settable;   /* valid in a set_field action */
};

/* Table of all fields, indexed by enum dp_field. */
const struct dp_field_info *dp_field_info(enum dp_field f);
/* Field by text name, or -ENOENT. */
int dp_field_lookup(const char *name);

/* Action types. Numbers are part of the wire protocol: append only. */
enum dp_action_type {
	DP_ACT_OUTPUT = 1,    /* port */
	DP_ACT_DROP = 2,      /* explicit drop; must be the only action */
	DP_ACT_SET_FIELD = 3, /* field, value (rewrites packet and key) */
	DP_ACT_PUSH_VLAN = 4, /* tci (network order, without PRESENT) */
	DP_ACT_POP_VLAN = 5,
	DP_ACT_DEC_TTL = 6,	/* IPv4 TTL or IPv6 hop limit; 0 -> drop */
	DP_ACT_VXLAN_ENCAP = 7, /* vxlan params */
	DP_ACT_VXLAN_DECAP = 8,
	DP_ACT_GOTO_TABLE = 9, /* table; must be the last action */
	DP_ACT_PUNT = 10,      /* reason: send to controller (packet-in) */
	DP_ACT_ARP_REPLY = 11, /* mac: turn an ARP request for nw_dst into
				* the reply from mac (swap addresses, op 2,
				* eth_src = mac); follow with output:in_port */
	DP_ACT_ND_REPLY = 12,  /* mac: turn an IPv6 neighbour solicitation
				* for ipv6_dst's target into the solicited
				* advertisement from mac (router flag set);
				* follow with output:in_port */
	DP_ACT__STATELESS_END,
	/*
	 * Stateful actions: numbers from 32. Each of CT, LB_SELECT and
	 * ESP_DECRYPT ends the rule's action list and continues the walk in
	 * the table it names (like goto_table, which the rule must not also
	 * have): what follows depends on state the flow key did not hold, so
	 * the datapath looks the new key up again (docs/conntrack.md).
	 */
	DP_ACT_CT = 32,		 /* struct dp_act_ct */
	DP_ACT_LB_SELECT = 33,	 /* struct dp_act_lb */
	DP_ACT_ESP_ENCRYPT = 34, /* struct dp_act_esp: tunnel-mode encap */
	DP_ACT_ESP_DECRYPT = 35, /* struct dp_act_esp: SA by esp_spi */
	DP_ACT__COUNT
};

/*
 * ct_state bits (key.ct_state, host order), as Open vSwitch numbers them.
 * A packet that has not been through a ct action has ct_state 0.
 */
enum dp_ct_state {
	DP_CS_NEW = 0x01,  /* first packet(s) of a connection not committed */
	DP_CS_EST = 0x02,  /* part of a committed connection */
	DP_CS_REL = 0x04,  /* related: ICMP error about a committed one */
	DP_CS_RPL = 0x08,  /* reply direction */
	DP_CS_INV = 0x10,  /* invalid: bad state change, or table full */
	DP_CS_TRK = 0x20,  /* went through ct */
	DP_CS_SNAT = 0x40, /* source was translated */
	DP_CS_DNAT = 0x80, /* destination was translated */
};

/* struct dp_act_ct.flags */
enum dp_ct_flag {
	DP_CT_COMMIT = 0x01,   /* create the connection if new */
	DP_CT_NAT = 0x02,      /* apply the connection's NAT binding; with
				* COMMIT and nat_kind, create it */
	DP_CT_SET_MARK = 0x04, /* on commit, set the connection's mark */
};

/* struct dp_act_ct.nat_kind */
enum dp_ct_nat_kind {
	DP_NAT_NONE = 0,
	DP_NAT_SRC = 1, /* rewrite the source to the range */
	DP_NAT_DST = 2, /* rewrite the destination to the range */
};

/*
 * ct(zone=Z[,commit][,nat[(src|dst=A[-B][:P[-Q]])]][,mark=M],table=T)
 * IPv4 NAT only (Neutron has no IPv6 NAT); conntrack itself is v4 and v6.
 */
struct dp_act_ct {
	uint16_t zone;
	uint8_t flags;	  /* enum dp_ct_flag */
	uint8_t table;	  /* continue here */
	uint8_t nat_kind; /* enum dp_ct_nat_kind */
	uint8_t pad[3];
	uint32_t nat_min;  /* IPv4, network order */
	uint32_t nat_max;  /* IPv4, network order; 0: = nat_min */
	uint16_t port_min; /* host order; 0: keep the port when free */
	uint16_t port_max; /* host order */
	uint32_t mark;	   /* with DP_CT_SET_MARK */
};

/*
 * lb_select(pool=N,zone=Z,table=T): pick a member of load-balancer pool N
 * for a new connection (the pool's algorithm), pin it in the connection
 * table of zone Z with full NAT (destination to the member, source to the
 * pool's own address), translate every later packet of the connection in
 * both directions, continue at table T. Pools are programmed with their
 * own messages (dp_proto.h).
 */
struct dp_act_lb {
	uint32_t pool; /* pool id, 1 .. */
	uint16_t zone;
	uint8_t table;
	uint8_t pad;
};

/*
 * esp_encrypt(sa=N): ESP tunnel mode (RFC 4303) with outbound SA N: the
 * frame's IP packet becomes the payload of a new outer IPv4 header (the
 * SA's addresses, in UDP 4500 when the SA says NAT-T); follow with the
 * actions that send it (set eth addresses, output).
 * esp_decrypt(table=T): inbound SA chosen by esp_spi; verify, check the
 * replay window, strip the outer headers; the inner packet continues at
 * table T with reg1 = the SA id.
 */
struct dp_act_esp {
	uint32_t sa;   /* encrypt: SA id */
	uint8_t table; /* decrypt: continue here */
	uint8_t pad[3];
};

struct dp_act_vxlan {
	uint8_t eth_dst[6];
	uint8_t eth_src[6];
	uint32_t ip_src;  /* network order */
	uint32_t ip_dst;  /* network order */
	uint32_t vni;	  /* host order, 24 bits */
	uint16_t udp_dst; /* network order; 0 means 4789 */
	uint8_t ttl;	  /* 0 means 64 */
	uint8_t tos;
};

/* One action: a fixed-size value, 40 bytes. */
struct dp_action {
	uint16_t type; /* enum dp_action_type */
	uint16_t pad;
	union {
		uint32_t port;	 /* OUTPUT */
		uint32_t table;	 /* GOTO_TABLE */
		uint32_t reason; /* PUNT: opaque to the datapath */
		uint16_t tci;	 /* PUSH_VLAN */
		uint8_t mac[6];	 /* ARP_REPLY */
		struct {
			uint16_t field; /* enum dp_field */
			uint8_t pad[2];
			uint8_t value[16]; /* field's size, key's byte order */
		} set;
		struct dp_act_vxlan vxlan;
		struct dp_act_ct ct;
		struct dp_act_lb lb;
		struct dp_act_esp esp;
		uint8_t raw[36];
	} u;
};

_Static_assert(sizeof(struct dp_action) == 40, "dp_action is 40 bytes");

/* A rule as the control side sees it. */
struct dp_rule {
	uint64_t cookie;   /* owner tag: the controller's to choose */
	uint32_t priority; /* higher wins; equal priority: unspecified */
	uint8_t table;	   /* 0 .. DP_TABLES_MAX - 1 */
	uint8_t n_actions; /* 0 means drop */
	uint16_t pad;
	struct dp_key match; /* only bits set in mask are meaningful */
	struct dp_key mask;
	struct dp_action actions[DP_ACTIONS_MAX];
};

/* Per-rule counters, summed over workers. */
struct dp_rule_stats {
	uint64_t n_packets;
	uint64_t n_bytes;
};

/*
 * Validate a rule's shape: table in range, n_actions bound, known action
 * types, set_field on a settable field, goto only last and to a higher
 * table, drop alone, match bits only where the mask is set.
 * On failure returns -EINVAL and writes a one-line reason into err.
 */
int dp_rule_validate(const struct dp_rule *r, char *err, size_t err_len);

/* Apply mask to key in place (match &= mask). */
void dp_key_mask(struct dp_key *key, const struct dp_key *mask);

/* True if key matches rule (masked compare). Reference semantics. */
bool dp_rule_matches(const struct dp_rule *r, const struct dp_key *key);

#endif /* SLUICE_DP_FLOW_H */
