/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dhcp6.h: the native DHCPv6 server (RFC 8415) for tenant IPv6 subnets,
 * the IPv6 counterpart of dhcp.h. The compiler punts a guest's DHCPv6
 * client frames (UDP 546 -> 547) with COMPILER_PUNT_DHCP6 when its network
 * has a dhcpv6-stateful or dhcpv6-stateless subnet; sluiced hands each
 * punted frame here and sends the reply back out of the ingress port.
 *
 * What is answered: Solicit (Advertise, or Reply with Rapid Commit),
 * Request, Renew, Rebind (Reply with IA_NA holding the port's fixed
 * address on a dhcpv6-stateful subnet), Confirm (Success or NotOnLink),
 * Release and Decline (Success: nothing to free, the address is the
 * port's), Information-Request (DNS servers, option 23). There is no
 * lease state, no prefix delegation, no temporary addresses, no
 * Reconfigure and no relay agent support.
 *
 * The server is the router interface on the subnet: DUID-LL of its MAC,
 * replies from its EUI-64 link-local address; with no router interface,
 * struct dhcp6_config.server_mac stands in.
 *
 * Punted frames are untrusted: dhcp6_parse() checks every length before a
 * read and says why it rejected a frame (enum dhcp6_reject), which
 * dhcp6_server_handle() counts.
 *
 * Concurrency: a struct dhcp6_server belongs to one thread.
 */
#ifndef SLUICE_DHCP6_H
#define SLUICE_DHCP6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net_view.h"

/* Message types (RFC 8415 7.3). */
enum dhcp6_type {
	DHCP6_SOLICIT = 1,
	DHCP6_ADVERTISE = 2,
	DHCP6_REQUEST = 3,
	DHCP6_CONFIRM = 4,
	DHCP6_RENEW = 5,
	DHCP6_REBIND = 6,
	DHCP6_REPLY = 7,
	DHCP6_RELEASE = 8,
	DHCP6_DECLINE = 9,
	DHCP6_INFO_REQUEST = 11,
	DHCP6_TYPE_MAX = 11,
};

/* Status codes (RFC 8415 21.13). */
enum dhcp6_status {
	DHCP6_ST_SUCCESS = 0,
	DHCP6_ST_NO_ADDRS = 2,
	DHCP6_ST_NO_BINDING = 3,
	DHCP6_ST_NOT_ON_LINK = 4,
};

/* Why a frame was not answered; the last three are found when choosing
 * the answer (dhcp6_reply()), the others by dhcp6_parse(). */
enum dhcp6_reject {
	DHCP6_R_TRUNC_ETH,    /* shorter than Ethernet */
	DHCP6_R_NOT_IPV6,     /* ethertype is not IPv6 */
	DHCP6_R_BAD_IPV6,     /* truncated, version, payload length */
	DHCP6_R_NOT_UDP,      /* next header not UDP (extension headers) */
	DHCP6_R_BAD_UDP,      /* truncated or UDP length inconsistent */
	DHCP6_R_BAD_PORTS,    /* not 546 -> 547 */
	DHCP6_R_BAD_ADDR,     /* source not link-local, or destination
			       * neither ff02::1:2 nor link-local */
	DHCP6_R_TRUNC_MSG,    /* shorter than the 4-byte header */
	DHCP6_R_BAD_TYPE,     /* not a client message (relay too) */
	DHCP6_R_BAD_OPTION,   /* runs past its container, bad length,
			       * a repeated Client/Server ID */
	DHCP6_R_NO_CLIENT_ID, /* required and missing */
	DHCP6_R_SERVER_ID,    /* present where forbidden (Solicit,
			       * Confirm, Rebind) or missing where
			       * required (Request, Renew, Release,
			       * Decline), RFC 8415 16 */
	DHCP6_R_OTHER_SERVER, /* Server ID is another server's */
	DHCP6_R_OTHER_DST,    /* unicast to another address than ours */
	DHCP6_R_NOT_PORT_MAC, /* source MAC is not the port's */
	DHCP6_R__COUNT
};

const char *dhcp6_reject_name(enum dhcp6_reject r);

enum {
	DHCP6_DUID_MAX = 130,	  /* type + 128 bytes (RFC 8415 11.1) */
	DHCP6_IA_ADDRS_MAX = 4,	  /* IA Address options kept per IA_NA */
	DHCP6_FRAME_MAX = 1024,	  /* any reply fits */
	DHCP6_VALID_S = 86400,	  /* default valid lifetime */
	DHCP6_PREFERRED_S = 14400 /* default preferred lifetime */
};

/* A parsed client message: only what the server uses. */
struct dhcp6_msg {
	uint8_t type; /* enum dhcp6_type */
	uint8_t xid[3];
	uint8_t eth_src[6];
	uint8_t ip_src[16];
	uint8_t ip_dst[16];
	uint16_t client_id_len; /* 0: none */
	uint8_t client_id[DHCP6_DUID_MAX];
	uint16_t server_id_len; /* 0: none */
	uint8_t server_id[DHCP6_DUID_MAX];
	bool has_rapid_commit;
	bool has_ia_na; /* the first IA_NA; others are not answered */
	uint8_t iaid[4];
	unsigned n_addrs; /* its IA Address options (first few) */
	uint8_t addrs[DHCP6_IA_ADDRS_MAX][16];
};

/*
 * Parse an Ethernet frame carrying a DHCPv6 client message. Returns 0, or
 * -EINVAL with *why set. Reads only frame[0 .. len).
 */
int dhcp6_parse(const uint8_t *frame, size_t len, struct dhcp6_msg *out,
		enum dhcp6_reject *why);

struct dhcp6_config {
	uint8_t server_mac[6]; /* when the subnet has no router interface */
	uint32_t valid_s;      /* 0: DHCP6_VALID_S */
	uint32_t preferred_s;  /* 0: DHCP6_PREFERRED_S; T1 = 1/2, T2 = 4/5 */
};

struct dhcp6_stats {
	uint64_t rejects[DHCP6_R__COUNT];
	uint64_t rx[DHCP6_TYPE_MAX + 1]; /* by enum dhcp6_type */
	uint64_t advertises, replies;
	uint64_t ignored; /* valid, but no answer */
};

struct dhcp6_server {
	struct dhcp6_config cfg;
	struct dhcp6_stats stats;
};

void dhcp6_server_init(struct dhcp6_server *s, const struct dhcp6_config *cfg);

/*
 * The answer to m, received from port p: the reply frame into out
 * (out_max bytes, DHCP6_FRAME_MAX is enough). 0 with *out_len set;
 * -ENOENT when nothing is sent (no dhcpv6 subnet on p's network, a
 * Solicit or Rebind without an address to give, nothing to confirm);
 * -EINVAL with *why for the answer-time rejections; -ENOSPC when out is
 * too small. Pure function of its arguments.
 */
int dhcp6_reply(const struct dhcp6_config *cfg, const struct net_view *v,
		const struct net_view_port *p, const struct dhcp6_msg *m,
		uint8_t *out, size_t out_max, size_t *out_len,
		enum dhcp6_reject *why);

/*
 * Parse a frame punted from datapath port in_port and build the reply for
 * the port bound there. Counts into s->stats. 0 with a reply in out,
 * -ENOENT (nothing to send), -EINVAL (rejected, counted), -ENOSPC.
 */
int dhcp6_server_handle(struct dhcp6_server *s, const struct net_view *v,
			uint32_t in_port, const uint8_t *frame, size_t len,
			uint8_t *out, size_t out_max, size_t *out_len);

#endif /* SLUICE_DHCP6_H */
