/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net_dp_client.c: net_dp.h over dp_client.h. Each call forwards to the
 * client and copies its error message into the caller's buffer; dumps and
 * port lists are collected into arrays the caller frees.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_client.h"
#include "net_dp_client.h"

static int
fail(struct dp_client *c, int rc, char *err, size_t err_len)
{
	if (rc < 0 && err != NULL && err_len > 0)
		snprintf(err, err_len, "%s", dp_client_error(c));
	return rc;
}

static int
c_begin(void *ctx, char *err, size_t err_len)
{
	return fail(ctx, dp_client_flow_begin(ctx), err, err_len);
}

static int
c_add(void *ctx, const struct dp_rule *rules, size_t n, char *err,
      size_t err_len)
{
	return fail(ctx, dp_client_flow_add(ctx, rules, n), err, err_len);
}

static int
c_del_cookie(void *ctx, uint64_t cookie, uint64_t mask, char *err,
	     size_t err_len)
{
	return fail(ctx, dp_client_flow_del_cookie(ctx, -1, cookie, mask), err,
		    err_len);
}

static int
c_del_strict(void *ctx, const struct dp_rule *r, char *err, size_t err_len)
{
	return fail(ctx, dp_client_flow_del_strict(ctx, r), err, err_len);
}

static int
c_commit(void *ctx, char *err, size_t err_len)
{
	return fail(ctx, dp_client_flow_commit(ctx), err, err_len);
}

static void
c_abort(void *ctx)
{
	(void)dp_client_flow_abort(ctx);
}

struct collect {
	void *v;
	size_t n, cap, size;
};

static int
collect_push(struct collect *cl, const void *item)
{
	if (cl->n == cl->cap) {
		size_t cap = cl->cap != 0 ? cl->cap * 2 : 64;
		void *nv = realloc(cl->v, cap * cl->size);

		if (nv == NULL)
			return -ENOMEM;
		cl->v = nv;
		cl->cap = cap;
	}
	memcpy((char *)cl->v + cl->n * cl->size, item, cl->size);
	cl->n++;
	return 0;
}

static int
flow_cb(const struct dp_rule *r, const struct dp_rule_stats *st, void *arg)
{
	struct dp_flow_entry e;

	e.rule = *r;
	e.stats = *st;
	return collect_push(arg, &e);
}

static int
c_dump(void *ctx, uint64_t cookie, uint64_t mask, struct dp_flow_entry **out,
       size_t *n, char *err, size_t err_len)
{
	struct collect cl = {.size = sizeof(struct dp_flow_entry)};
	int rc = dp_client_flow_dump(ctx, -1, cookie, mask, flow_cb, &cl);

	if (rc < 0) {
		free(cl.v);
		if (rc == -ENOMEM) {
			snprintf(err, err_len, "flow dump: out of memory");
			return rc;
		}
		return fail(ctx, rc, err, err_len);
	}
	*out = cl.v;
	*n = cl.n;
	return 0;
}

static int
c_port_add(void *ctx, const struct dp_port_spec *spec, struct dp_port_info *out,
	   char *err, size_t err_len)
{
	return fail(ctx, dp_client_port_add(ctx, spec, out), err, err_len);
}

static int
c_port_del(void *ctx, const struct dp_port_ref *ref, char *err, size_t err_len)
{
	return fail(ctx, dp_client_port_del(ctx, ref), err, err_len);
}

static int
port_cb(const struct dp_port_info *pi, void *arg)
{
	return collect_push(arg, pi);
}

static int
c_port_list(void *ctx, struct dp_port_info **out, size_t *n, char *err,
	    size_t err_len)
{
	struct collect cl = {.size = sizeof(struct dp_port_info)};
	int rc = dp_client_port_list(ctx, port_cb, &cl);

	if (rc < 0) {
		free(cl.v);
		return fail(ctx, rc, err, err_len);
	}
	*out = cl.v;
	*n = cl.n;
	return 0;
}

static int
c_packet_out(void *ctx, uint32_t port, const uint8_t *frame, size_t len,
	     char *err, size_t err_len)
{
	struct dp_packet_msg msg = {.port = port, .len = (uint32_t)len};

	if (len > DP_FRAME_MAX)
		return -EMSGSIZE;
	return fail(ctx, dp_client_packet_out(ctx, &msg, frame), err, err_len);
}

static int
c_ct_flush(void *ctx, uint16_t zone, char *err, size_t err_len)
{
	uint64_t n = 0;

	return fail(ctx, dp_client_ct_flush(ctx, zone, &n), err, err_len);
}

void
net_dp_client_init(struct net_dp *dp, struct dp_client *c)
{
	dp->flow_begin = c_begin;
	dp->flow_add = c_add;
	dp->flow_del_cookie = c_del_cookie;
	dp->flow_del_strict = c_del_strict;
	dp->flow_commit = c_commit;
	dp->flow_abort = c_abort;
	dp->flow_dump = c_dump;
	dp->port_add = c_port_add;
	dp->port_del = c_port_del;
	dp->port_list = c_port_list;
	dp->packet_out = c_packet_out;
	dp->ct_flush = c_ct_flush;
	dp->ctx = c;
}
