/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_client.h: the client library of the datapath programming protocol
 * (dp_proto.h), used by sluiced, sluicectl and tests.
 *
 * Calls are blocking request/reply exchanges over one Unix stream socket,
 * bounded by a timeout (dp_client_set_timeout). Every call returns 0 or a
 * negative errno; when the datapath answered DP_MSG_ERROR, the errno is
 * the server's code and dp_client_error() holds its message (for a flow
 * batch, dp_client_error_index() the index of the failing rule in the
 * caller's array). Local failures (connect, I/O, timeout, a malformed
 * reply) also leave a message there.
 *
 * Packet-in: after dp_client_packet_in_subscribe(), the datapath sends
 * PACKET_IN messages unasked. An event loop watches dp_client_fd() for
 * reading and calls dp_client_packet_in_recv() until it returns -EAGAIN.
 * Packet-ins that arrive while a blocking call waits for its reply are
 * queued (up to DP_CLIENT_PIN_QUEUE_MAX, then the oldest are dropped and
 * counted); the fd does not signal those, so a loop also drains after
 * each blocking call (dp_client_packet_in_pending() says if any wait).
 *
 * Concurrency: a struct dp_client is used by one thread at a time.
 */
#ifndef SLUICE_DP_CLIENT_H
#define SLUICE_DP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "dp_flow.h"
#include "dp_proto.h"

enum {
	DP_CLIENT_TIMEOUT_MS_DEFAULT = 60000,
	DP_CLIENT_PIN_QUEUE_MAX = 256,
};

struct dp_client;

/* Connect to the datapath's socket (path NULL: DP_SOCKET_PATH_DEFAULT).
 * On failure *out is NULL and the return is -errno; err (may be NULL)
 * receives a message naming the path. */
int dp_client_connect(const char *path, struct dp_client **out, char *err,
		      size_t err_len);
/* Close and free. Accepts NULL. */
void dp_client_close(struct dp_client *c);

/* The socket, for an event loop (read readiness = packet-in). */
int dp_client_fd(const struct dp_client *c);
/* Timeout of each blocking call in ms; <= 0 waits forever. */
void dp_client_set_timeout(struct dp_client *c, int timeout_ms);

/* Message of the last failure ("" if none). Valid until the next call. */
const char *dp_client_error(const struct dp_client *c);
/* Rule index of the last failed flow batch call (0 otherwise). */
uint32_t dp_client_error_index(const struct dp_client *c);

/* Exchange HELLO: name is ours (for the datapath's logs); out receives
 * the datapath's (version, n_workers, boot_id); out may be NULL. */
int dp_client_hello(struct dp_client *c, const char *name,
		    struct dp_hello *out);

/* Ports. out of port_add may be NULL. */
int dp_client_port_add(struct dp_client *c, const struct dp_port_spec *spec,
		       struct dp_port_info *out);
int dp_client_port_del(struct dp_client *c, const struct dp_port_ref *ref);
/* Call fn for each port; a non-zero return of fn stops the walk (the
 * rest of the reply is still read) and is returned. */
typedef int (*dp_client_port_fn)(const struct dp_port_info *pi, void *arg);
int dp_client_port_list(struct dp_client *c, dp_client_port_fn fn, void *arg);

/*
 * Flow transactions. Between begin and commit, adds and deletes are
 * staged; commit publishes them all or nothing, abort drops them. Outside
 * a transaction, each flow_add / flow_del call is its own transaction on
 * the datapath; a flow_add of more rules than fit in one message is then
 * wrapped by the library in its own begin/commit, so it stays atomic.
 *
 * flow_add sends the rules in as many FLOW_ADD messages as needed (each
 * under DP_MSG_LEN_MAX). A bad rule rejects its batch: the error names
 * it and dp_client_error_index() is its index in rules[]; within a
 * transaction the transaction then fails (commit reports the error;
 * abort clears it).
 */
int dp_client_flow_begin(struct dp_client *c);
int dp_client_flow_add(struct dp_client *c, const struct dp_rule *rules,
		       size_t n);
/* Delete rules whose cookie matches under cookie_mask, in table (-1:
 * all). cookie_mask 0 deletes every rule of the table(s). */
int dp_client_flow_del_cookie(struct dp_client *c, int table, uint64_t cookie,
			      uint64_t cookie_mask);
/* Delete exactly the rule with r's table, priority and match. */
int dp_client_flow_del_strict(struct dp_client *c, const struct dp_rule *r);
int dp_client_flow_commit(struct dp_client *c);
int dp_client_flow_abort(struct dp_client *c);

/* Dump rules of table (-1: all) whose cookie matches, with counters.
 * fn's non-zero return stops the walk as for port_list. */
typedef int (*dp_client_flow_fn)(const struct dp_rule *r,
				 const struct dp_rule_stats *st, void *arg);
int dp_client_flow_dump(struct dp_client *c, int table, uint64_t cookie,
			uint64_t cookie_mask, dp_client_flow_fn fn, void *arg);

/* Cache, drop and protocol counters. */
int dp_client_stats(struct dp_client *c, struct dp_stats_reply *out);
int dp_client_cache_flush(struct dp_client *c);

/*
 * Trace a frame through the tables as if received on in_port. out
 * receives the result; out_frame (may be NULL) up to out_frame_max bytes
 * of the final frame, *out_frame_len its length (may be NULL).
 */
int dp_client_trace(struct dp_client *c, uint32_t in_port, const uint8_t *frame,
		    uint32_t len, struct dp_trace_reply *out,
		    uint8_t *out_frame, uint32_t out_frame_max,
		    uint32_t *out_frame_len);

/*
 * Connection tracking (docs/conntrack.md). ct_flush removes the
 * connections of zone (DP_CT_ZONE_ALL: all), *n (may be NULL) how many;
 * ct_dump calls fn for each connection of zone (or all), fn's non-zero
 * return stops the walk as for port_list.
 */
int dp_client_ct_stats(struct dp_client *c, struct dp_ct_stats *out);
int dp_client_ct_flush(struct dp_client *c, uint32_t zone, uint64_t *n);
typedef int (*dp_client_ct_fn)(const struct dp_ct_entry *e, void *arg);
int dp_client_ct_dump(struct dp_client *c, uint32_t zone, dp_client_ct_fn fn,
		      void *arg);

/* Inject a frame (see struct dp_packet_msg; msg->len is the frame's). */
int dp_client_packet_out(struct dp_client *c, const struct dp_packet_msg *msg,
			 const uint8_t *frame);

/* Ask for PACKET_IN messages on this connection. */
int dp_client_packet_in_subscribe(struct dp_client *c);
/*
 * Non-blocking: take one packet-in (queued, or read from the socket).
 * msg receives the header; frame up to frame_max bytes (the frame is cut
 * if longer; msg->len keeps the original length). Returns 0, -EAGAIN
 * when none is waiting, or another -errno when the connection failed.
 */
int dp_client_packet_in_recv(struct dp_client *c, struct dp_packet_msg *msg,
			     uint8_t *frame, size_t frame_max);
/* Packet-ins queued during blocking calls. */
unsigned dp_client_packet_in_pending(const struct dp_client *c);
/* Packet-ins dropped because the queue was full. */
uint64_t dp_client_packet_in_dropped(const struct dp_client *c);

/*
 * ESP security associations (docs/esp.md). sa_add copies the keys into the
 * request and zeroes the request buffer once sent; sa_del and the dump
 * name an SA by id (dump: 0 for every SA); fn's non-zero return stops the
 * walk (the rest of the reply is read and dropped) and is returned.
 */
int dp_client_sa_add(struct dp_client *c, const struct dp_sa *sa);
int dp_client_sa_del(struct dp_client *c, uint32_t id);
typedef int (*dp_client_sa_fn)(const struct dp_sa_info *si, void *arg);
int dp_client_sa_dump(struct dp_client *c, uint32_t id, dp_client_sa_fn fn,
		      void *arg);
/*
 * Subscribe this connection to SA events, then wait up to timeout_ms (< 0:
 * forever) for the next one. An event that arrives while another request
 * waits for its reply is skipped: use a connection of its own for events.
 * 0, -ETIMEDOUT, or another -errno when the connection failed.
 */
int dp_client_sa_event_subscribe(struct dp_client *c);
int dp_client_sa_event_recv(struct dp_client *c, struct dp_sa_event *ev,
			    int timeout_ms);

/*
 * Load-balancer pools (docs/lbaas.md, "Datapath"). lb_set replaces pool
 * p->id with p and its p->n_members members m (m may be NULL when 0), an
 * IPv4 pool (it refuses a p whose flags has DP_LB_POOL_F_IPV6); lb_del
 * deletes a pool of either family; lb_stats calls fn for pool id's
 * counters (id 0: every IPv4 pool; IPv6 pools are skipped) with its
 * p->n_members member counters; fn's non-zero return stops the walk and
 * is returned.
 */
int dp_client_lb_set(struct dp_client *c, const struct dp_lb_pool *p,
		     const struct dp_lb_member *m);
int dp_client_lb_del(struct dp_client *c, uint32_t id);
typedef int (*dp_client_lb_fn)(const struct dp_lb_pool_stats *ps,
			       const struct dp_lb_member_stats *ms, void *arg);
int dp_client_lb_stats(struct dp_client *c, uint32_t id, dp_client_lb_fn fn,
		       void *arg);

/*
 * IPv6 pools. lb_set6 replaces pool p->id with an IPv6 pool: p (its
 * src_addr6 the pool's source address, src_addr 0) and its p->n_members
 * members m (may be NULL when 0); DP_LB_POOL_F_IPV6 is set in what is sent
 * whatever p->flags holds. lb_stats6 walks pool id's counters (id 0:
 * EVERY pool, IPv4 and IPv6): for an IPv6 pool ps->flags has
 * DP_LB_POOL_F_IPV6 and ms[i].m.addr is the member's address; for an IPv4
 * pool the flag is clear and ms[i].m.addr is its address as ::ffff:a.b.c.d
 * (IPv4-mapped). fn's non-zero return stops the walk and is returned.
 */
int dp_client_lb_set6(struct dp_client *c, const struct dp_lb_pool *p,
		      const struct dp_lb_member6 *m);
typedef int (*dp_client_lb6_fn)(const struct dp_lb_pool_stats *ps,
				const struct dp_lb_member6_stats *ms,
				void *arg);
int dp_client_lb_stats6(struct dp_client *c, uint32_t id, dp_client_lb6_fn fn,
			void *arg);

#endif /* SLUICE_DP_CLIENT_H */
