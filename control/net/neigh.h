/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * neigh.h: the ages of the routers' learned next hops (external
 * gateways' ARP and neighbor discovery answers, l3svc.h). Each learned
 * (router, address) has the time it was last confirmed. Once it is older
 * than the reachable time, the owner re-probes it (the same ARP request /
 * neighbor solicitation that resolved it) every retransmit interval; an
 * answer confirms it again (and may carry a new MAC); after the last
 * probe's interval with no answer the entry expires and its owner removes
 * the datapath rule, so traffic punts and resolution starts over. Like
 * Linux's neighbour states REACHABLE, PROBE and FAILED (defaults:
 * base_reachable_time 30 s, retrans_time 1 s, ucast_probes 3), without
 * the DELAY state: probes start at once, the rule stays while they run.
 *
 * Pure: the time is the caller's (milliseconds on any monotonic clock),
 * so tests drive it. No I/O; probes and expiries are callbacks.
 */
#ifndef SLUICE_NEIGH_H
#define SLUICE_NEIGH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net_view.h"

enum {
	NEIGH_REACHABLE_MS = 30000, /* defaults, as Linux's */
	NEIGH_RETRANS_MS = 1000,
	NEIGH_PROBES = 3,
};

struct neigh_config {
	unsigned reachable_ms; /* 0: NEIGH_REACHABLE_MS */
	unsigned retrans_ms;   /* 0: NEIGH_RETRANS_MS */
	unsigned n_probes;     /* 0: NEIGH_PROBES */
};

struct neigh_entry {
	char router_id[NET_ID_LEN];
	int family; /* AF_INET: ip[0..3], AF_INET6: ip[0..15] */
	uint8_t ip[16];
	uint8_t mac[6];
	double confirmed_ms; /* learned or last answer */
	double next_ms;	     /* next probe, or expiry after the last */
	unsigned n_probes;   /* sent since confirmed */
};

struct neigh_table {
	struct neigh_config cfg;
	struct neigh_entry *v;
	size_t n, cap;
};

enum neigh_learned {
	NEIGH_NEW,     /* not known: install it */
	NEIGH_CHANGED, /* known with another MAC: replace it */
	NEIGH_SAME,    /* confirmed: the rule stands */
};

/* cfg NULL: the defaults. Zero-filled table; fini releases. */
void neigh_init(struct neigh_table *t, const struct neigh_config *cfg);
void neigh_fini(struct neigh_table *t);
/* Forget everything (a new datapath: its rules are gone). */
void neigh_clear(struct neigh_table *t);

/* An answer from (router_id, ip) with mac at now_ms: *what says what to
 * do with the rule. 0 or -ENOMEM. */
int neigh_learn(struct neigh_table *t, const char *router_id, int family,
		const uint8_t *ip, const uint8_t mac[6], double now_ms,
		enum neigh_learned *what);

/*
 * Due work at now_ms: probe(arg, e) for each entry past its reachable
 * time whose next probe is due (a probe that returns < 0, e.g. the
 * router is gone, expires the entry at once), then expire(arg, e) and
 * removal for each whose last probe went unanswered for a retransmit
 * interval. Returns the number expired.
 */
typedef int (*neigh_probe_fn)(void *arg, const struct neigh_entry *e);
typedef void (*neigh_expire_fn)(void *arg, const struct neigh_entry *e);
size_t neigh_tick(struct neigh_table *t, double now_ms, neigh_probe_fn probe,
		  neigh_expire_fn expire, void *arg);

/* The entry of (router_id, ip), or NULL. */
const struct neigh_entry *neigh_lookup(const struct neigh_table *t,
				       const char *router_id, int family,
				       const uint8_t *ip);

#endif /* SLUICE_NEIGH_H */
