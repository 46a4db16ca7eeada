/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * harness.c: the pipeline test harness of harness.h. Packets are malloc'd
 * buffers with headroom; clones are fresh copies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

enum { HEADROOM = 128, BUF = 2048 };

static struct dp_packet *
pkt_new(const uint8_t *frame, size_t len, uint32_t in_port)
{
	struct dp_packet *p = calloc(1, sizeof(*p));
	uint8_t *buf = calloc(1, BUF);

	assert_non_null(p);
	assert_non_null(buf);
	memcpy(buf + HEADROOM, frame, len);
	p->data = buf + HEADROOM;
	p->len = (uint32_t)len;
	p->headroom = HEADROOM;
	p->tailroom = (uint16_t)(BUF - HEADROOM - len);
	p->in_port = in_port;
	p->opaque = buf;
	return p;
}

static void
pkt_free(struct dp_packet *p)
{
	free(p->opaque);
	free(p);
}

static struct dp_packet *
pkt_clone(void *ctx, const struct dp_packet *src)
{
	struct dp_packet *p;

	(void)ctx;
	p = pkt_new(src->data, src->len, src->in_port);
	return p;
}

static const struct dp_packet_ops ops = {.clone = pkt_clone};

void
harness_init(struct harness *h)
{
	struct dp_pipeline_config cfg = {.n_workers = 1};

	assert_int_equal(dp_pipeline_create(&cfg, &h->pl), 0);
	assert_int_equal(dp_worker_create(h->pl, 0, &ops, &h->w), 0);
}

void
harness_fini(struct harness *h)
{
	dp_worker_destroy(h->w);
	dp_pipeline_destroy(h->pl);
}

void
harness_run(struct harness *h, uint32_t in_port, const uint8_t *frame,
	    size_t len, struct harness_result *res)
{
	static struct dp_burst_out out;
	struct dp_packet *p = pkt_new(frame, len, in_port);

	memset(res, 0, sizeof(*res));
	dp_worker_quiescent(h->w);
	dp_worker_process(h->w, &p, 1, &out);
	for (unsigned i = 0; i < out.n_tx; i++) {
		if (res->n_tx < HARNESS_OUT_MAX) {
			size_t n = out.tx[i]->len < 256 ? out.tx[i]->len : 256;

			res->tx_port[res->n_tx] = out.tx_port[i];
			res->tx_len[res->n_tx] = out.tx[i]->len;
			memcpy(res->tx_frame[res->n_tx], out.tx[i]->data, n);
			res->n_tx++;
		}
		pkt_free(out.tx[i]);
	}
	for (unsigned i = 0; i < out.n_punt; i++) {
		res->punt_reason = out.punt[i]->punt_reason;
		res->n_punt++;
		pkt_free(out.punt[i]);
	}
	for (unsigned i = 0; i < out.n_drop; i++) {
		res->n_drop++;
		pkt_free(out.drop[i]);
	}
	dp_worker_quiescent(h->w);
}

bool
harness_sent_to(const struct harness_result *res, uint32_t port)
{
	for (unsigned i = 0; i < res->n_tx; i++)
		if (res->tx_port[i] == port)
			return true;
	return false;
}
