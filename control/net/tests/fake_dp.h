/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fake_dp.h: a net_dp.h table for the unit tests. Ports and packet-out
 * are recorded in memory; flow calls are recorded and, when a pipeline is
 * given (fake_dp_use_pipeline, in fake_dp_pl.c), applied to that real
 * in-process pipeline, so tests check what the compiler's rules do to
 * packets without a socket.
 */
#ifndef SLUICE_FAKE_DP_H
#define SLUICE_FAKE_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net_dp.h"

struct dp_pipeline;
struct dp_txn;

enum { FAKE_PORTS_MAX = 64 };

struct fake_dp {
	/* Flow side. */
	struct dp_pipeline *pl; /* NULL: record only */
	struct dp_txn *txn;
	unsigned n_begin, n_commit, n_abort;
	size_t n_rules_added; /* rules passed to flow_add */
	size_t n_del_cookie, n_del_strict;
	/* Port side. */
	struct dp_port_info ports[FAKE_PORTS_MAX];
	size_t n_ports;
	uint32_t next_port_no;
	unsigned n_port_add, n_port_del;
	struct dp_port_spec last_spec;
	int port_add_rc; /* forced failure when < 0 */
	/* Packet-out. */
	unsigned n_out;
	uint32_t out_port;
	uint8_t out_frame[2048];
	size_t out_len;
};

/* Initialise f (record only) and point dp at it. */
void fake_dp_init(struct fake_dp *f, struct net_dp *dp);
/* Make the flow calls drive pl (pipeline.h). In fake_dp_pl.c. */
void fake_dp_use_pipeline(struct fake_dp *f, struct net_dp *dp,
			  struct dp_pipeline *pl);
/* Mark a port up or down (by number). */
void fake_dp_set_up(struct fake_dp *f, uint32_t port_no, bool is_up);
/* Forget every port (a restarted, empty datapath). */
void fake_dp_clear_ports(struct fake_dp *f);

#endif /* SLUICE_FAKE_DP_H */
