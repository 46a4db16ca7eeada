/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net_dp.h: the few datapath operations control/net/ needs (flow
 * transactions and dumps, ports, packet-out), as a table of functions.
 *
 * In sluiced the table is backed by the protocol client (net_dp_client.c
 * over dp_client.h, talking to sluice-dp); the unit tests back it with an
 * in-process pipeline (pipeline.h) or a recording fake. The reconciler and
 * the binder only see this table, so they are tested on real tables
 * without a socket.
 *
 * Every function returns 0 or a negative errno; err (may be NULL) receives
 * a one-line reason on failure. Blocking calls: control thread only.
 */
#ifndef SLUICE_NET_DP_H
#define SLUICE_NET_DP_H

#include <stddef.h>
#include <stdint.h>

#include "dp_flow.h"
#include "dp_proto.h"

struct net_dp {
	int (*flow_begin)(void *ctx, char *err, size_t err_len);
	/* Stage n rules. */
	int (*flow_add)(void *ctx, const struct dp_rule *rules, size_t n,
			char *err, size_t err_len);
	/* Stage deletion of rules with cookie & mask == cookie & mask. */
	int (*flow_del_cookie)(void *ctx, uint64_t cookie, uint64_t mask,
			       char *err, size_t err_len);
	/* Stage deletion of exactly r's (table, priority, masked match). */
	int (*flow_del_strict)(void *ctx, const struct dp_rule *r, char *err,
			       size_t err_len);
	int (*flow_commit)(void *ctx, char *err, size_t err_len);
	void (*flow_abort)(void *ctx);
	/*
	 * Dump rules with cookie & mask == cookie & mask, all tables.
	 * *out is a new array the caller frees with free().
	 */
	int (*flow_dump)(void *ctx, uint64_t cookie, uint64_t mask,
			 struct dp_flow_entry **out, size_t *n, char *err,
			 size_t err_len);
	int (*port_add)(void *ctx, const struct dp_port_spec *spec,
			struct dp_port_info *out, char *err, size_t err_len);
	int (*port_del)(void *ctx, const struct dp_port_ref *ref, char *err,
			size_t err_len);
	/* *out is a new array the caller frees with free(). */
	int (*port_list)(void *ctx, struct dp_port_info **out, size_t *n,
			 char *err, size_t err_len);
	/* Send frame out of datapath port (not through the tables). */
	int (*packet_out)(void *ctx, uint32_t port, const uint8_t *frame,
			  size_t len, char *err, size_t err_len);
	/* Forget every connection of conntrack zone (NULL: not supported
	 * by this backend; the connections then age out). */
	int (*ct_flush)(void *ctx, uint16_t zone, char *err, size_t err_len);
	void *ctx;
};

#endif /* SLUICE_NET_DP_H */
