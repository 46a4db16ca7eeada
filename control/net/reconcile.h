/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reconcile.h: bring the datapath's flow tables to a desired rule set with
 * the fewest changes. sluiced runs it on start (and whenever it finds a
 * restarted sluice-dp, by its boot_id): it dumps the rules it owns (by
 * cookie namespace), diffs them against what the compiler produces from
 * the store, and applies only the difference in one transaction. With
 * unchanged intent a restart of sluiced changes zero rules, so no packet
 * leaves its path; an empty (restarted) datapath gets everything.
 *
 * Two rules are the same rule when table, priority, mask and masked match
 * are equal (the datapath's identity, under which an add replaces); they
 * are equal when cookie and actions are too. Rules outside the namespace
 * (other owners: LB, VPN) are never touched.
 */
#ifndef SLUICE_RECONCILE_H
#define SLUICE_RECONCILE_H

#include <stddef.h>
#include <stdint.h>

#include "compiler.h"
#include "dp_proto.h"
#include "net_dp.h"

struct reconcile_diff {
	struct compiler_rules del; /* present, not wanted: del strict */
	struct compiler_rules add; /* wanted, missing or different */
	size_t n_same;		   /* wanted and present as they are */
};

void reconcile_diff_fini(struct reconcile_diff *d);

/*
 * Compute the difference between want[0..n_want) and have[0..n_have),
 * considering only have entries whose cookie & ns_mask == ns & ns_mask.
 * d must be zero-initialised; it is filled (caller finis). 0 or -ENOMEM.
 */
int reconcile_diff(const struct dp_rule *want, size_t n_want,
		   const struct dp_flow_entry *have, size_t n_have, uint64_t ns,
		   uint64_t ns_mask, struct reconcile_diff *d);

/* Apply d in one transaction; nothing at all when d is empty. */
int reconcile_apply(const struct net_dp *dp, const struct reconcile_diff *d,
		    char *err, size_t err_len);

struct reconcile_result {
	size_t n_deleted, n_added, n_same;
};

/* Dump the namespace, diff against want, apply. res may be NULL. */
int reconcile_run(const struct net_dp *dp, const struct dp_rule *want,
		  size_t n_want, uint64_t ns, uint64_t ns_mask,
		  struct reconcile_result *res, char *err, size_t err_len);

#endif /* SLUICE_RECONCILE_H */
