/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reconcile.c: the minimal difference between two rule sets (reconcile.h).
 * Both sides are normalised (match masked, unused action bytes and padding
 * zeroed) so that bytes the datapath does not keep cannot make equal rules
 * look different, then sorted by identity and merged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile.h"

void
reconcile_diff_fini(struct reconcile_diff *d)
{
	if (d == NULL)
		return;
	compiler_rules_fini(&d->del);
	compiler_rules_fini(&d->add);
	d->n_same = 0;
}

/* Bytes of the action union that carry meaning, by type. */
static size_t
action_len(const struct dp_action *a)
{
	const struct dp_field_info *fi;

	switch (a->type) {
	case DP_ACT_OUTPUT:
	case DP_ACT_GOTO_TABLE:
	case DP_ACT_PUNT:
		return 4;
	case DP_ACT_PUSH_VLAN:
		return 2;
	case DP_ACT_ARP_REPLY:
		return 6;
	case DP_ACT_SET_FIELD:
		fi = dp_field_info(a->u.set.field);
		return 4 + (fi != NULL ? fi->size : 16);
	case DP_ACT_VXLAN_ENCAP:
		return sizeof(struct dp_act_vxlan);
	case DP_ACT_DROP:
	case DP_ACT_POP_VLAN:
	case DP_ACT_DEC_TTL:
	case DP_ACT_VXLAN_DECAP:
		return 0;
	default:
		return sizeof(a->u);
	}
}

static void
rule_norm(const struct dp_rule *in, struct dp_rule *out)
{
	unsigned n = in->n_actions <= DP_ACTIONS_MAX ? in->n_actions
						     : DP_ACTIONS_MAX;

	memset(out, 0, sizeof(*out));
	out->cookie = in->cookie;
	out->priority = in->priority;
	out->table = in->table;
	out->n_actions = (uint8_t)n;
	out->match = in->match;
	out->mask = in->mask;
	dp_key_mask(&out->match, &out->mask);
	for (unsigned i = 0; i < n; i++) {
		const struct dp_action *a = &in->actions[i];
		size_t len = action_len(a);

		out->actions[i].type = a->type;
		if (a->type == DP_ACT_SET_FIELD) {
			out->actions[i].u.set.field = a->u.set.field;
			memcpy(out->actions[i].u.set.value, a->u.set.value,
			       len - 4);
		} else {
			memcpy(out->actions[i].u.raw, a->u.raw, len);
		}
	}
}

/* Identity order: table, priority, mask, match. */
static int
cmp_identity(const struct dp_rule *a, const struct dp_rule *b)
{
	int c;

	if (a->table != b->table)
		return a->table < b->table ? -1 : 1;
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	c = memcmp(&a->mask, &b->mask, sizeof(a->mask));
	if (c != 0)
		return c;
	return memcmp(&a->match, &b->match, sizeof(a->match));
}

/*
 * Sort items: a hash of the identity first, the full comparison only on
 * equal hashes. Any total order serves the merge, as long as both sides
 * use the same one; rules are 912 bytes, too big to move around.
 */
struct item {
	uint64_t h;
	const struct dp_rule *r;
};

static uint64_t
identity_hash(const struct dp_rule *r)
{
	const uint64_t *m = (const uint64_t *)&r->mask;
	const uint64_t *v = (const uint64_t *)&r->match;
	uint64_t h = ((uint64_t)r->table << 32 | r->priority) *
		     0x9e3779b97f4a7c15ULL;

	for (int i = 0; i < DP_KEY_WORDS; i++) {
		h ^= m[i] + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
		h ^= v[i] + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	}
	return h;
}

static int
cmp_item(const struct item *a, const struct item *b)
{
	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return cmp_identity(a->r, b->r);
}

static int
cmp_item_q(const void *pa, const void *pb)
{
	return cmp_item(pa, pb);
}

static bool
rule_equal(const struct dp_rule *a, const struct dp_rule *b)
{
	return a->cookie == b->cookie && a->n_actions == b->n_actions &&
	       memcmp(a->actions, b->actions,
		      a->n_actions * sizeof(a->actions[0])) == 0;
}

int
reconcile_diff(const struct dp_rule *want, size_t n_want,
	       const struct dp_flow_entry *have, size_t n_have, uint64_t ns,
	       uint64_t ns_mask, struct reconcile_diff *d)
{
	struct dp_rule *w = NULL, *h = NULL;
	struct item *pw = NULL, *ph = NULL;
	size_t nw = 0, nh = 0, i = 0, j = 0;
	int rc = -ENOMEM;

	w = malloc((n_want + 1) * sizeof(*w));
	h = malloc((n_have + 1) * sizeof(*h));
	pw = malloc((n_want + 1) * sizeof(*pw));
	ph = malloc((n_have + 1) * sizeof(*ph));
	if (w == NULL || h == NULL || pw == NULL || ph == NULL)
		goto free_arrays;
	for (size_t k = 0; k < n_want; k++) {
		rule_norm(&want[k], &w[nw]);
		pw[nw].r = &w[nw];
		pw[nw].h = identity_hash(&w[nw]);
		nw++;
	}
	for (size_t k = 0; k < n_have; k++) {
		if ((have[k].rule.cookie & ns_mask) != (ns & ns_mask))
			continue;
		rule_norm(&have[k].rule, &h[nh]);
		ph[nh].r = &h[nh];
		ph[nh].h = identity_hash(&h[nh]);
		nh++;
	}
	qsort(pw, nw, sizeof(*pw), cmp_item_q);
	qsort(ph, nh, sizeof(*ph), cmp_item_q);

	while (i < nw || j < nh) {
		int c;

		/* Of wanted duplicates, one wins (the compiler makes none). */
		if (i + 1 < nw && cmp_item(&pw[i], &pw[i + 1]) == 0) {
			i++;
			continue;
		}
		if (i == nw)
			c = 1;
		else if (j == nh)
			c = -1;
		else
			c = cmp_item(&pw[i], &ph[j]);
		if (c < 0) {
			if ((rc = compiler_rules_push(&d->add, pw[i].r)) < 0)
				goto free_arrays;
			i++;
		} else if (c > 0) {
			if ((rc = compiler_rules_push(&d->del, ph[j].r)) < 0)
				goto free_arrays;
			j++;
		} else {
			if (rule_equal(pw[i].r, ph[j].r))
				d->n_same++;
			else if ((rc = compiler_rules_push(&d->add, pw[i].r)) <
				 0)
				goto free_arrays;
			i++;
			j++;
		}
	}
	rc = 0;
free_arrays:
	free(pw);
	free(ph);
	free(w);
	free(h);
	return rc;
}

int
reconcile_apply(const struct net_dp *dp, const struct reconcile_diff *d,
		char *err, size_t err_len)
{
	char dummy[8];
	int rc;

	if (d->del.n == 0 && d->add.n == 0)
		return 0;
	if (err == NULL) {
		err = dummy;
		err_len = sizeof(dummy);
	}
	if ((rc = dp->flow_begin(dp->ctx, err, err_len)) < 0)
		return rc;
	for (size_t i = 0; i < d->del.n; i++)
		if ((rc = dp->flow_del_strict(dp->ctx, &d->del.rules[i], err,
					      err_len)) < 0)
			goto abort;
	if (d->add.n > 0 && (rc = dp->flow_add(dp->ctx, d->add.rules, d->add.n,
					       err, err_len)) < 0)
		goto abort;
	return dp->flow_commit(dp->ctx, err, err_len);
abort:
	dp->flow_abort(dp->ctx);
	return rc;
}

int
reconcile_run(const struct net_dp *dp, const struct dp_rule *want,
	      size_t n_want, uint64_t ns, uint64_t ns_mask,
	      struct reconcile_result *res, char *err, size_t err_len)
{
	struct reconcile_diff d = {0};
	struct dp_flow_entry *have = NULL;
	size_t n_have = 0;
	int rc;

	rc = dp->flow_dump(dp->ctx, ns, ns_mask, &have, &n_have, err, err_len);
	if (rc < 0)
		return rc;
	if ((rc = reconcile_diff(want, n_want, have, n_have, ns, ns_mask, &d)) <
	    0) {
		if (err != NULL)
			snprintf(err, err_len, "reconcile: out of memory");
		goto free_dump;
	}
	if ((rc = reconcile_apply(dp, &d, err, err_len)) < 0)
		goto free_diff;
	if (res != NULL) {
		res->n_deleted = d.del.n;
		res->n_added = d.add.n;
		res->n_same = d.n_same;
	}
free_diff:
	reconcile_diff_fini(&d);
free_dump:
	free(have);
	return rc;
}
