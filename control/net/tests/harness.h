/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * harness.h: run one frame through a real pipeline (pipeline.h) with one
 * worker over plain buffers, and report where its copies went. Used by
 * the compiler and reconcile tests.
 */
#ifndef SLUICE_HARNESS_H
#define SLUICE_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"

enum { HARNESS_OUT_MAX = DP_OUT_MAX };

struct harness {
	struct dp_pipeline *pl;
	struct dp_worker *w;
};

struct harness_result {
	unsigned n_tx;
	uint32_t tx_port[HARNESS_OUT_MAX];
	uint8_t tx_frame[HARNESS_OUT_MAX][256]; /* first bytes of each */
	uint32_t tx_len[HARNESS_OUT_MAX];
	unsigned n_punt;
	uint32_t punt_reason;
	unsigned n_drop;
};

void harness_init(struct harness *h);
void harness_fini(struct harness *h);
void harness_run(struct harness *h, uint32_t in_port, const uint8_t *frame,
		 size_t len, struct harness_result *res);
/* True if a copy went out of port. */
bool harness_sent_to(const struct harness_result *res, uint32_t port);

#endif /* SLUICE_HARNESS_H */
