/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_ctl.h: the protocol server inside sluice-dp. It listens on the Unix
 * socket of dp_proto.h, frames and validates each message, applies flow
 * messages to the pipeline (pipeline.h) and hands port, packet-out and
 * counter requests to the runtime through struct dp_ctl_backend.
 *
 * It runs on the control thread of sluice-dp (the DPDK main lcore), never
 * on a worker. Nothing it does blocks a worker: flow changes are
 * transactions published by the pipeline. When every client is gone the
 * datapath keeps forwarding with the state it has; an open transaction of
 * a client that disconnects is aborted.
 *
 * Concurrency: single-threaded; all calls from the control thread.
 */
#ifndef SLUICE_DP_CTL_H
#define SLUICE_DP_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "dp_proto.h"
#include "pipeline.h"

/* What the runtime offers the protocol server. Each returns 0 or -errno
 * and writes a one-line reason into err on failure. */
struct dp_ctl_backend {
	int (*port_add)(void *ctx, const struct dp_port_spec *spec,
			struct dp_port_info *out, char *err, size_t err_len);
	int (*port_del)(void *ctx, const struct dp_port_ref *ref, char *err,
			size_t err_len);
	/* Fill up to max infos; *n is the count written. */
	int (*port_list)(void *ctx, struct dp_port_info *out, unsigned max,
			 unsigned *n);
	/*
	 * Inject a frame: out of port msg->port, or through the tables as
	 * if received on msg->in_port when msg->port is DP_PORT_NONE.
	 * frame is borrowed for the call.
	 */
	int (*packet_out)(void *ctx, const struct dp_packet_msg *msg,
			  const uint8_t *frame, char *err, size_t err_len);
	/* Extra counters the runtime owns (punts seen, ...); may be NULL. */
	void (*stats)(void *ctx, struct dp_stats_reply *inout);
	void *ctx;
	uint32_t n_workers;
	uint64_t boot_id;
};

struct dp_ctl;

/*
 * Listen on path (an existing stale socket file is replaced; the parent
 * directory is created with mode 0750). pl and be are borrowed and must
 * outlive the server.
 */
int dp_ctl_create(const char *path, struct dp_pipeline *pl,
		  const struct dp_ctl_backend *be, struct dp_ctl **out);
/* Closes every client and removes the socket file. Accepts NULL. */
void dp_ctl_destroy(struct dp_ctl *c);

/*
 * Serve: accept, read and answer whatever is ready, waiting at most
 * timeout_ms (0: do not wait). Returns 0 or -errno on a fatal error of
 * the listening socket; errors of one client only close that client.
 */
int dp_ctl_poll(struct dp_ctl *c, int timeout_ms);

/*
 * Serve an already connected stream socket as a client (tests, fuzzing,
 * an inherited socket). Takes ownership of fd (closed on failure too).
 * 0, -EMFILE when the client table is full, -ENOMEM.
 */
int dp_ctl_client_add(struct dp_ctl *c, int fd);

/*
 * Send a punted frame to every subscribed client as DP_MSG_PACKET_IN.
 * A client whose socket is full misses it (counted). frame is borrowed.
 */
void dp_ctl_packet_in(struct dp_ctl *c, uint32_t in_port, uint32_t reason,
		      const uint8_t *frame, uint32_t len);

/* Malformed messages seen since start. */
uint64_t dp_ctl_proto_errors(const struct dp_ctl *c);

#endif /* SLUICE_DP_CTL_H */
