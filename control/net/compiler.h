/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * compiler.h: the compiler from tenant networking intent (net_view.h) to
 * flow rules (dp_flow.h): L2 switching inside a network, flooding confined
 * to the network, ARP answered from known addresses, anti-spoofing of MAC
 * and IP, and DHCP punted to the native responder (dhcp.h).
 *
 * Rules are grouped by owner. Every rule carries a cookie naming its owner
 * (layout below): one port, one network, or the global skeleton. A change
 * to one object regenerates only its owner's rules and replaces them in one
 * transaction (compiler_apply: begin; delete by cookie; add; commit).
 * The table layout and its reasons are in docs/compiler.md.
 *
 * The generators are pure functions of the view: same view, same rules,
 * byte for byte, which is what lets the reconciler (reconcile.h) find
 * nothing to do after a restart.
 */
#ifndef SLUICE_COMPILER_H
#define SLUICE_COMPILER_H

#include <stddef.h>
#include <stdint.h>

#include "dp_flow.h"
#include "net_dp.h"
#include "net_view.h"

/*
 * Cookie: bits 63..56 owner namespace (COMPILER_COOKIE_NS, the network
 * compiler; LB and VPN use others), 55..48 kind, 47..0 object id.
 * Port ids are 48 bits of the FNV-1a hash of the port's id string (two
 * ports colliding simply share an owner: both are regenerated together);
 * network ids are the segment id.
 */
#define COMPILER_COOKIE_NS 0x4e00000000000000ULL
#define COMPILER_COOKIE_NS_MASK 0xff00000000000000ULL
#define COMPILER_COOKIE_ALL ~0ULL
enum compiler_kind {
	COMPILER_KIND_GLOBAL = 1,
	COMPILER_KIND_NETWORK = 2,
	COMPILER_KIND_PORT = 3,
};

/* Tables. */
enum compiler_table {
	COMPILER_T_INGRESS = 0,	   /* per port: classify, anti-spoof, punt */
	COMPILER_T_ARP = 1,	   /* ARP responder */
	COMPILER_T_L2 = 2,	   /* metadata + eth_dst -> output */
	COMPILER_T_FLOOD = 3,	   /* per ingress port: flood in the network */
	COMPILER_T_FLOOD_LAST = 7, /* flood continues in 4..7 when large */
};

/* Punt reasons (struct dp_action.u.reason, dp_packet_msg.reason). */
enum compiler_punt {
	COMPILER_PUNT_DHCP = 1,
};

/* A growable array of rules. Zero-initialise; fini releases. */
struct compiler_rules {
	struct dp_rule *rules;
	size_t n;
	size_t cap;
	size_t n_cut_floods; /* networks whose flood was cut short: more
			      * members than the flood tables hold (76
			      * copies); the rest get no broadcast copy */
};

void compiler_rules_fini(struct compiler_rules *rs);
/* Append a copy of r. 0 or -ENOMEM. */
int compiler_rules_push(struct compiler_rules *rs, const struct dp_rule *r);

/* Owner cookies. */
uint64_t compiler_cookie_global(void);
uint64_t compiler_cookie_network(uint32_t segment_id);
uint64_t compiler_cookie_port(const char *port_id);
/* enum compiler_kind of a cookie, 0 when not in COMPILER_COOKIE_NS. */
int compiler_cookie_kind(uint64_t cookie);

/*
 * Generators: append the rules of one owner to out. A port that is not
 * attached (dp_port 0), whose network is unknown, or that is admin down
 * with an unknown network gets no rules. 0 or -ENOMEM. A network with
 * more attached ports than the flood tables hold floods to the first 76
 * others (by port number) and counts itself in out->n_cut_floods.
 */
int compiler_global(struct compiler_rules *out);
int compiler_network(const struct net_view *v,
		     const struct net_view_network *net,
		     struct compiler_rules *out);
int compiler_port(const struct net_view *v, const struct net_view_port *p,
		  struct compiler_rules *out);
/* The rules of every owner whose cookie is cookie (absent: none). */
int compiler_owner(const struct net_view *v, uint64_t cookie,
		   struct compiler_rules *out);
/* Everything: global, every network, every port. */
int compiler_all(const struct net_view *v, struct compiler_rules *out);

/*
 * Replace the rules of the owners named by cookies[0..n) with what the
 * view says now, in one transaction. For a port change pass the port's
 * cookie and its network's (flood lists change with membership). Returns
 * 0 or -errno from the datapath (nothing changed then).
 */
int compiler_apply(const struct net_dp *dp, const struct net_view *v,
		   const uint64_t *cookies, size_t n, char *err,
		   size_t err_len);

#endif /* SLUICE_COMPILER_H */
