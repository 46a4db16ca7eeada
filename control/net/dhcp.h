/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dhcp.h: the native DHCPv4 responder (RFC 2131, options RFC 2132 and
 * RFC 3442). The compiler (compiler.h) punts a guest's DHCP client frames
 * (UDP 68 -> 67) with COMPILER_PUNT_DHCP; sluiced hands each punted frame
 * and its ingress datapath port here, and sends the reply frame back out
 * of that port as a packet-out. Addresses come from the port's fixed IPs:
 * there is no pool and no lease state, as the address is the port's.
 *
 * Punted frames are untrusted guest input: dhcp_parse() checks every
 * length before reading, never reads past len, and says why it rejected
 * a frame (enum dhcp_reject), which dhcp_server counts.
 *
 * Concurrency: a struct dhcp_server belongs to one thread (sluiced's loop).
 */
#ifndef SLUICE_DHCP_H
#define SLUICE_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net_view.h"

/* DHCP message types (option 53). */
enum dhcp_type {
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
	DHCP_INFORM = 8,
};

/* Why a frame was not a DHCP request we can parse. */
enum dhcp_reject {
	DHCP_R_TRUNC_ETH, /* shorter than Ethernet */
	DHCP_R_NOT_IPV4,  /* ethertype is not IPv4 (VLAN tags too) */
	DHCP_R_BAD_IPV4,  /* truncated, version, IHL, total length */
	DHCP_R_FRAGMENT,  /* an IP fragment */
	DHCP_R_NOT_UDP,
	DHCP_R_BAD_UDP,	    /* truncated or UDP length inconsistent */
	DHCP_R_NOT_BOOTP,   /* ports are not 68 -> 67 */
	DHCP_R_TRUNC_BOOTP, /* shorter than BOOTP + magic cookie */
	DHCP_R_NOT_REQUEST, /* op is not BOOTREQUEST */
	DHCP_R_BAD_HW,	    /* htype/hlen not Ethernet */
	DHCP_R_BAD_COOKIE,  /* magic cookie missing */
	DHCP_R_BAD_OPTION,  /* an option runs past the end, bad length */
	DHCP_R_NO_TYPE,	    /* no option 53 */
	DHCP_R_BAD_TYPE,    /* option 53 not a client message type */
	DHCP_R__COUNT
};

/* Name of a rejection reason, e.g. "bad_option". */
const char *dhcp_reject_name(enum dhcp_reject r);

/* A parsed client message: only what the responder uses. */
struct dhcp_msg {
	uint8_t type; /* enum dhcp_type */
	uint8_t eth_src[6];
	uint8_t chaddr[6];
	uint16_t flags; /* host order; 0x8000 = broadcast */
	uint32_t xid;	/* as on the wire (echoed) */
	uint8_t ciaddr[4];
	uint8_t giaddr[4];
	bool has_requested; /* option 50 */
	uint8_t requested[4];
	bool has_server_id; /* option 54 */
	uint8_t server_id[4];
};

/*
 * Parse an Ethernet frame carrying a DHCP client message. Returns 0, or
 * -EINVAL with *why set. Reads only frame[0 .. len).
 */
int dhcp_parse(const uint8_t *frame, size_t len, struct dhcp_msg *out,
	       enum dhcp_reject *why);

struct dhcp_config {
	uint32_t lease_time;   /* seconds; 0 means 86400 */
	uint8_t server_mac[6]; /* source MAC of replies */
};

/* Counters. */
struct dhcp_stats {
	uint64_t rejects[DHCP_R__COUNT];
	uint64_t rx[DHCP_INFORM + 1]; /* by enum dhcp_type */
	uint64_t offers, acks, naks;
	uint64_t ignored; /* valid, but no answer (see dhcp_reply) */
};

struct dhcp_server {
	struct dhcp_config cfg;
	struct dhcp_stats stats;
};

void dhcp_server_init(struct dhcp_server *s, const struct dhcp_config *cfg);

/*
 * Decide the answer to m, received from port p, and build the reply frame
 * into out (out_max bytes; DHCP_FRAME_MAX is always enough). Returns 0
 * with *out_len set; -ENOENT when there is nothing to send (RELEASE,
 * DECLINE, another server was chosen, chaddr is not the port's MAC, the
 * port has no IPv4 address on a DHCP-enabled subnet, a relayed request);
 * -ENOSPC when out is too small. Pure function of its arguments.
 */
enum { DHCP_FRAME_MAX = 600 };
int dhcp_reply(const struct dhcp_config *cfg, const struct net_view *v,
	       const struct net_view_port *p, const struct dhcp_msg *m,
	       uint8_t *out, size_t out_max, size_t *out_len);

/*
 * Parse a punted frame received on datapath port in_port and build the
 * reply for the port bound there. Counts into s->stats. Returns 0 with a
 * reply in out, -ENOENT (nothing to send), -EINVAL (rejected, counted).
 */
int dhcp_server_handle(struct dhcp_server *s, const struct net_view *v,
		       uint32_t in_port, const uint8_t *frame, size_t len,
		       uint8_t *out, size_t out_max, size_t *out_len);

/* Internet checksum (RFC 1071) over len bytes added to sum, and its
 * folded complement; dhcp6.c uses them too. */
uint32_t dhcp_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t dhcp_csum_fold(uint32_t sum);

#endif /* SLUICE_DHCP_H */
