/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fake_dp_pl.c: the flow calls of the test datapath (fake_dp.h) applied to
 * a real in-process pipeline (pipeline.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_dp.h"
#include "pipeline.h"

static int
p_begin(void *ctx, char *err, size_t err_len)
{
	struct fake_dp *f = ctx;
	int rc;

	f->n_begin++;
	rc = dp_txn_begin(f->pl, &f->txn);
	if (rc < 0)
		snprintf(err, err_len, "txn begin: %d", rc);
	return rc;
}

static int
p_add(void *ctx, const struct dp_rule *rules, size_t n, char *err,
      size_t err_len)
{
	struct fake_dp *f = ctx;
	int rc;

	f->n_rules_added += n;
	for (size_t i = 0; i < n; i++)
		if ((rc = dp_txn_add(f->txn, &rules[i], err, err_len)) < 0)
			return rc;
	return 0;
}

static int
p_del_cookie(void *ctx, uint64_t cookie, uint64_t mask, char *err,
	     size_t err_len)
{
	struct fake_dp *f = ctx;

	(void)err;
	(void)err_len;
	f->n_del_cookie++;
	return dp_txn_del_cookie(f->txn, -1, cookie, mask);
}

static int
p_del_strict(void *ctx, const struct dp_rule *r, char *err, size_t err_len)
{
	struct fake_dp *f = ctx;

	(void)err;
	(void)err_len;
	f->n_del_strict++;
	return dp_txn_del_strict(f->txn, r);
}

static int
p_commit(void *ctx, char *err, size_t err_len)
{
	struct fake_dp *f = ctx;
	struct dp_txn *t = f->txn;

	f->n_commit++;
	f->txn = NULL;
	return dp_txn_commit(t, err, err_len);
}

static void
p_abort(void *ctx)
{
	struct fake_dp *f = ctx;

	f->n_abort++;
	if (f->txn != NULL)
		dp_txn_abort(f->txn);
	f->txn = NULL;
}

struct dump_arg {
	uint64_t cookie, mask;
	struct dp_flow_entry *v;
	size_t n, cap;
};

static int
dump_cb(const struct dp_rule *r, const struct dp_rule_stats *st, void *arg)
{
	struct dump_arg *d = arg;

	if ((r->cookie & d->mask) != (d->cookie & d->mask))
		return 0;
	if (d->n == d->cap) {
		size_t cap = d->cap != 0 ? d->cap * 2 : 64;
		struct dp_flow_entry *nv = realloc(d->v, cap * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		d->v = nv;
		d->cap = cap;
	}
	d->v[d->n].rule = *r;
	d->v[d->n].stats = *st;
	d->n++;
	return 0;
}

static int
p_dump(void *ctx, uint64_t cookie, uint64_t mask, struct dp_flow_entry **out,
       size_t *n, char *err, size_t err_len)
{
	struct fake_dp *f = ctx;
	struct dump_arg d = {.cookie = cookie, .mask = mask};
	int rc = dp_pipeline_dump(f->pl, -1, dump_cb, &d);

	if (rc < 0) {
		free(d.v);
		snprintf(err, err_len, "dump: %d", rc);
		return rc;
	}
	*out = d.v;
	*n = d.n;
	return 0;
}

void
fake_dp_use_pipeline(struct fake_dp *f, struct net_dp *dp,
		     struct dp_pipeline *pl)
{
	f->pl = pl;
	dp->flow_begin = p_begin;
	dp->flow_add = p_add;
	dp->flow_del_cookie = p_del_cookie;
	dp->flow_del_strict = p_del_strict;
	dp->flow_commit = p_commit;
	dp->flow_abort = p_abort;
	dp->flow_dump = p_dump;
}
