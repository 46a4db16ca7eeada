/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_ctl.c: the protocol server of sluice-dp (dp_ctl.h). A non-blocking
 * Unix stream server with per-client receive and send buffers; messages
 * are framed and validated with dp_proto_codec.h, flow messages go to the
 * pipeline's transactions (pipeline.h), port and packet-out requests to
 * the runtime's struct dp_ctl_backend.
 *
 * Transactions: the pipeline allows one open transaction; the client that
 * began it owns it. A batch with a bad rule is rejected whole (every rule
 * is validated before any is staged) and, inside an explicit transaction,
 * marks it failed: later FLOW_ADD / FLOW_DEL and the COMMIT are answered
 * with the first error, and FLOW_ABORT clears it, so a client that sends
 * several batches before reading replies never commits half of them. A
 * FLOW_ADD or FLOW_DEL outside begin/commit is a transaction of its own.
 *
 * Faults: a message that fails validation gets DP_MSG_ERROR naming what
 * was wrong and is counted; only lost framing (bad magic, impossible
 * length) closes the connection. A client that does not read its replies
 * is first no longer read from (back-pressure), then closed when its send
 * buffer passes a hard limit. Nothing here touches the workers.
 *
 * Concurrency: single-threaded, on the control thread of sluice-dp.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dp_ctl.h"
#include "dp_proto_codec.h"
#include "pl_esp.h"
#include "pl_lb.h"

enum {
	CLIENTS_MAX = 64,
	READ_ROUND_MAX = 8u << 20, /* bytes read from a client per poll */
	TX_PAUSE = 16u << 20,	   /* stop reading a client above this */
	TX_HARD_MAX = 64u << 20,   /* close a client above this */
	TX_PIN_MAX = 1u << 20,	   /* packet-in only below this */
	DUMP_ENTRIES_PER_MSG = 256,
	DUMP_FLUSH_AT = 8u << 20, /* dump: flush when this is queued */
	DUMP_FLUSH_WAIT_MS = 5000,
	PORTS_LIST_MAX = 1024,
};

_Static_assert((int)DP_DROP__COUNT <= (int)DP_STATS_DROPS_MAX,
	       "drop reasons must fit dp_stats_reply");
_Static_assert((int)DP_TRACE_STEPS_MAX == (int)DP_TRACE_MSG_STEPS_MAX,
	       "trace steps of pipeline.h and dp_proto.h");

enum txn_state {
	TXN_NONE,
	TXN_OPEN,   /* this client owns ctl->txn */
	TXN_FAILED, /* a batch failed; waiting for COMMIT or ABORT */
};

struct ctl_client {
	int fd;
	struct dp_buf rx;
	struct dp_buf tx;
	uint8_t *body; /* aligned copy of the current body */
	size_t body_cap;
	bool is_subscribed;
	bool is_sa_subscribed; /* SA_EVENT_SUB */
	bool is_closing;       /* framing lost: flush, then close */
	bool is_dead;	       /* close now */
	enum txn_state txn_state;
	struct dp_error txn_err; /* first error of a failed transaction */
	char name[DP_NAME_LEN];
};

struct dp_ctl {
	int lfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct dp_pipeline *pl;
	const struct dp_ctl_backend *be;
	struct ctl_client *clients[CLIENTS_MAX];
	unsigned n_clients;
	struct dp_txn *txn; /* open transaction, or NULL */
	struct ctl_client *txn_owner;
	uint64_t proto_errors;
	uint64_t pin_dropped;
};

/* Replies. */

static void
client_kill(struct ctl_client *cl)
{
	cl->is_dead = true;
}

static void
reply(struct ctl_client *cl, uint16_t type, uint32_t xid, uint32_t flags,
      const void *body, size_t len)
{
	if (dp_proto_encode(&cl->tx, type, xid, flags, body, len) < 0)
		client_kill(cl);
}

static void
reply_ok(struct ctl_client *cl, uint32_t xid)
{
	reply(cl, DP_MSG_OK, xid, 0, NULL, 0);
}

static void reply_err(struct ctl_client *cl, uint32_t xid, int code,
		      uint32_t index, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void
reply_err(struct ctl_client *cl, uint32_t xid, int code, uint32_t index,
	  const char *fmt, ...)
{
	struct dp_error e;
	va_list ap;

	memset(&e, 0, sizeof(e));
	e.code = code < 0 ? code : -EINVAL;
	e.index = index;
	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	reply(cl, DP_MSG_ERROR, xid, DP_F_LAST, &e, sizeof(e));
}

/* Send what we can without blocking. */
static void
client_flush(struct ctl_client *cl)
{
	ssize_t k;

	while (dp_buf_avail(&cl->tx) > 0) {
		k = send(cl->fd, dp_buf_head(&cl->tx), dp_buf_avail(&cl->tx),
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k > 0) {
			dp_buf_consume(&cl->tx, (size_t)k);
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno != EAGAIN)
			client_kill(cl);
		break;
	}
	if (dp_buf_avail(&cl->tx) > TX_HARD_MAX)
		client_kill(cl);
}

/* Flush, waiting up to ms for the client to read. 0 or -ETIMEDOUT. */
static int
client_flush_wait(struct ctl_client *cl, int ms)
{
	struct pollfd pfd = {.fd = cl->fd, .events = POLLOUT};

	for (;;) {
		client_flush(cl);
		if (cl->is_dead)
			return -EPIPE;
		if (dp_buf_avail(&cl->tx) == 0)
			return 0;
		if (poll(&pfd, 1, ms) <= 0)
			return -ETIMEDOUT;
	}
}

/* Transactions. */

static void
txn_release(struct dp_ctl *c, struct ctl_client *cl, bool do_abort)
{
	if (cl->txn_state == TXN_OPEN && c->txn != NULL) {
		if (do_abort)
			dp_txn_abort(c->txn);
		c->txn = NULL;
		c->txn_owner = NULL;
	}
	cl->txn_state = TXN_NONE;
}

/* Fail the client's transaction with e (kept for COMMIT). */
static void
txn_fail(struct dp_ctl *c, struct ctl_client *cl, const struct dp_error *e)
{
	txn_release(c, cl, true);
	cl->txn_state = TXN_FAILED;
	cl->txn_err = *e;
}

static int
txn_begin(struct dp_ctl *c, struct ctl_client *cl, char *err, size_t err_len)
{
	struct dp_txn *t = NULL;
	int rc;

	rc = dp_txn_begin(c->pl, &t);
	if (rc == -EBUSY) {
		snprintf(err, err_len,
			 "another client (%s) has a transaction open",
			 c->txn_owner != NULL && c->txn_owner->name[0]
				 ? c->txn_owner->name
				 : "unnamed");
		return rc;
	}
	if (rc < 0) {
		snprintf(err, err_len, "begin transaction: %s", strerror(-rc));
		return rc;
	}
	c->txn = t;
	c->txn_owner = cl;
	cl->txn_state = TXN_OPEN;
	return 0;
}

/* Stage a FLOW_ADD body. On failure fills e (with the rule's index). */
static int
stage_add(struct dp_ctl *c, const uint8_t *body, struct dp_error *e)
{
	struct dp_flow_batch fb;
	const struct dp_rule *rules;
	char why[DP_ERR_LEN - 96];
	int rc;

	memcpy(&fb, body, sizeof(fb));
	rules = (const struct dp_rule *)(body + sizeof(fb));
	for (uint32_t i = 0; i < fb.n; i++) {
		rc = dp_rule_validate(&rules[i], why, sizeof(why));
		if (rc < 0) {
			e->index = i;
			goto fail;
		}
	}
	for (uint32_t i = 0; i < fb.n; i++) {
		why[0] = '\0';
		rc = dp_txn_add(c->txn, &rules[i], why, sizeof(why));
		if (rc < 0) {
			if (why[0] == '\0')
				snprintf(why, sizeof(why), "%s", strerror(-rc));
			e->index = i;
			goto fail;
		}
	}
	return 0;
fail:
	e->code = rc;
	snprintf(e->message, sizeof(e->message),
		 "rule %u rejected, batch not applied: %s", e->index, why);
	return rc;
}

static int
stage_del(struct dp_ctl *c, const uint8_t *body, struct dp_error *e)
{
	struct dp_flow_del d;
	int rc;

	memcpy(&d, body, sizeof(d));
	if (d.table < -1 || d.table >= DP_TABLES_MAX) {
		rc = -EINVAL;
		snprintf(e->message, sizeof(e->message),
			 "FLOW_DEL: table %d out of range -1..%d", d.table,
			 DP_TABLES_MAX - 1);
	} else if (d.is_strict > 1) {
		rc = -EINVAL;
		snprintf(e->message, sizeof(e->message),
			 "FLOW_DEL: is_strict %u is not 0 or 1", d.is_strict);
	} else if (d.is_strict && d.rule.table >= DP_TABLES_MAX) {
		rc = -EINVAL;
		snprintf(e->message, sizeof(e->message),
			 "FLOW_DEL: strict rule table %u out of range",
			 d.rule.table);
	} else if (d.is_strict) {
		rc = dp_txn_del_strict(c->txn, &d.rule);
		if (rc < 0)
			snprintf(e->message, sizeof(e->message),
				 "FLOW_DEL strict: %s", strerror(-rc));
	} else {
		rc = dp_txn_del_cookie(c->txn, d.table, d.cookie,
				       d.cookie_mask);
		if (rc < 0)
			snprintf(e->message, sizeof(e->message),
				 "FLOW_DEL cookie 0x%llx/0x%llx: %s",
				 (unsigned long long)d.cookie,
				 (unsigned long long)d.cookie_mask,
				 strerror(-rc));
	}
	e->code = rc;
	e->index = 0;
	return rc;
}

/* FLOW_ADD and FLOW_DEL, inside a transaction or as their own. */
static void
handle_flow_mod(struct dp_ctl *c, struct ctl_client *cl,
		const struct dp_msg_hdr *h, const uint8_t *body)
{
	struct dp_error e;
	bool is_oneshot = cl->txn_state == TXN_NONE;
	char why[DP_ERR_LEN];
	int rc;

	memset(&e, 0, sizeof(e));
	if (cl->txn_state == TXN_FAILED) {
		reply_err(cl, h->xid, -ECANCELED, cl->txn_err.index,
			  "transaction already failed (%s); send FLOW_ABORT",
			  cl->txn_err.message);
		return;
	}
	if (is_oneshot) {
		rc = txn_begin(c, cl, why, sizeof(why));
		if (rc < 0) {
			reply_err(cl, h->xid, rc, 0, "%s", why);
			return;
		}
	}
	if (h->type == DP_MSG_FLOW_ADD)
		rc = stage_add(c, body, &e);
	else
		rc = stage_del(c, body, &e);
	if (rc < 0) {
		if (is_oneshot)
			txn_release(c, cl, true);
		else
			txn_fail(c, cl, &e);
		reply(cl, DP_MSG_ERROR, h->xid, DP_F_LAST, &e, sizeof(e));
		return;
	}
	if (is_oneshot) {
		why[0] = '\0';
		rc = dp_txn_commit(c->txn, why, sizeof(why));
		txn_release(c, cl, false);
		if (rc < 0) {
			reply_err(cl, h->xid, rc, 0, "commit: %s",
				  why[0] ? why : strerror(-rc));
			return;
		}
	}
	reply_ok(cl, h->xid);
}

static void
handle_txn(struct dp_ctl *c, struct ctl_client *cl, const struct dp_msg_hdr *h)
{
	char why[DP_ERR_LEN];
	int rc;

	switch (h->type) {
	case DP_MSG_FLOW_BEGIN:
		if (cl->txn_state != TXN_NONE) {
			reply_err(cl, h->xid, -EBUSY, 0,
				  "a transaction is already open on this "
				  "connection");
			return;
		}
		rc = txn_begin(c, cl, why, sizeof(why));
		if (rc < 0)
			reply_err(cl, h->xid, rc, 0, "%s", why);
		else
			reply_ok(cl, h->xid);
		return;
	case DP_MSG_FLOW_COMMIT:
		if (cl->txn_state == TXN_NONE) {
			reply_err(cl, h->xid, -ENOENT, 0,
				  "FLOW_COMMIT without FLOW_BEGIN");
			return;
		}
		if (cl->txn_state == TXN_FAILED) {
			struct dp_error e = cl->txn_err;

			txn_release(c, cl, false);
			reply(cl, DP_MSG_ERROR, h->xid, DP_F_LAST, &e,
			      sizeof(e));
			return;
		}
		why[0] = '\0';
		rc = dp_txn_commit(c->txn, why, sizeof(why));
		txn_release(c, cl, false);
		if (rc < 0)
			reply_err(cl, h->xid, rc, 0, "commit: %s",
				  why[0] ? why : strerror(-rc));
		else
			reply_ok(cl, h->xid);
		return;
	default: /* DP_MSG_FLOW_ABORT */
		txn_release(c, cl, true);
		reply_ok(cl, h->xid);
		return;
	}
}

/* Dumps. */

struct dump_ctx {
	struct ctl_client *cl;
	uint32_t xid;
	uint64_t cookie, cookie_mask;
	size_t start; /* current FLOWS message */
	uint32_t n;   /* entries in it */
	int rc;
};

static int
dump_begin_msg(struct dump_ctx *d)
{
	struct dp_flow_batch fb = {0};
	int rc;

	rc = dp_proto_begin(&d->cl->tx, DP_MSG_FLOWS, d->xid, 0, &d->start);
	if (rc == 0)
		rc = dp_proto_append(&d->cl->tx, d->start, &fb, sizeof(fb));
	d->n = 0;
	return rc;
}

static void
dump_end_msg(struct dump_ctx *d)
{
	memcpy(d->cl->tx.data + d->start + sizeof(struct dp_msg_hdr), &d->n,
	       sizeof(d->n));
	dp_proto_end(&d->cl->tx, d->start);
}

static int
dump_visit(const struct dp_rule *r, const struct dp_rule_stats *st, void *arg)
{
	struct dump_ctx *d = arg;
	struct dp_flow_entry fe;
	int rc;

	if ((r->cookie & d->cookie_mask) != (d->cookie & d->cookie_mask))
		return 0;
	fe.rule = *r;
	fe.stats = *st;
	rc = dp_proto_append(&d->cl->tx, d->start, &fe, sizeof(fe));
	if (rc < 0)
		goto fail;
	if (++d->n < DUMP_ENTRIES_PER_MSG)
		return 0;
	dump_end_msg(d);
	/* A big dump: let the client drain what is queued. */
	if (dp_buf_avail(&d->cl->tx) >= DUMP_FLUSH_AT) {
		rc = client_flush_wait(d->cl, DUMP_FLUSH_WAIT_MS);
		if (rc < 0)
			goto fail;
	}
	rc = dump_begin_msg(d);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	d->rc = rc;
	return rc;
}

static void
handle_dump(struct dp_ctl *c, struct ctl_client *cl, const struct dp_msg_hdr *h,
	    const uint8_t *body)
{
	struct dp_flow_dump_req q;
	struct dump_ctx d = {.cl = cl, .xid = h->xid};
	int rc;

	memcpy(&q, body, sizeof(q));
	if (q.table < -1 || q.table >= DP_TABLES_MAX) {
		reply_err(cl, h->xid, -EINVAL, 0,
			  "FLOW_DUMP: table %d out of range -1..%d", q.table,
			  DP_TABLES_MAX - 1);
		return;
	}
	d.cookie = q.cookie;
	d.cookie_mask = q.cookie_mask;
	rc = dump_begin_msg(&d);
	if (rc == 0)
		rc = dp_pipeline_dump(c->pl, q.table, dump_visit, &d);
	if (d.rc < 0 || rc < 0) {
		/* The client stopped reading or memory ran out. */
		client_kill(cl);
		return;
	}
	dump_end_msg(&d);
	dp_proto_set_flags(&cl->tx, d.start, DP_F_LAST);
}

/* Ports, counters, packets. */

static bool
has_backend(struct dp_ctl *c, struct ctl_client *cl, uint32_t xid,
	    const void *fn, const char *what)
{
	if (c->be != NULL && fn != NULL)
		return true;
	reply_err(cl, xid, -EOPNOTSUPP, 0, "%s: not supported by this datapath",
		  what);
	return false;
}

static void
handle_port(struct dp_ctl *c, struct ctl_client *cl, const struct dp_msg_hdr *h,
	    const uint8_t *body)
{
	char why[DP_ERR_LEN - 96];
	struct dp_port_spec spec;
	struct dp_port_info pi;
	struct dp_port_ref ref;
	int rc;

	why[0] = '\0';
	if (h->type == DP_MSG_PORT_ADD) {
		memcpy(&spec, body, sizeof(spec));
		if (spec.name[0] == '\0') {
			reply_err(cl, h->xid, -EINVAL, 0,
				  "PORT_ADD: empty port name");
			return;
		}
		if (dp_proto_port_type_name(spec.type) == NULL) {
			reply_err(cl, h->xid, -EINVAL, 0,
				  "PORT_ADD %s: unknown port type %u",
				  spec.name, spec.type);
			return;
		}
		if (spec.port_no > DP_PORT_MAX) {
			reply_err(cl, h->xid, -EINVAL, 0,
				  "PORT_ADD %s: port number %u over %u",
				  spec.name, spec.port_no, DP_PORT_MAX);
			return;
		}
		if (!has_backend(c, cl, h->xid,
				 c->be ? (void *)c->be->port_add : NULL,
				 "PORT_ADD"))
			return;
		memset(&pi, 0, sizeof(pi));
		rc = c->be->port_add(c->be->ctx, &spec, &pi, why, sizeof(why));
		if (rc < 0)
			reply_err(cl, h->xid, rc, 0, "PORT_ADD %s: %s",
				  spec.name, why[0] ? why : strerror(-rc));
		else
			reply(cl, DP_MSG_PORT_INFO, h->xid, 0, &pi, sizeof(pi));
		return;
	}
	memcpy(&ref, body, sizeof(ref));
	if (ref.port_no == 0 && ref.name[0] == '\0') {
		reply_err(cl, h->xid, -EINVAL, 0,
			  "PORT_DEL: neither port number nor name given");
		return;
	}
	if (!has_backend(c, cl, h->xid, c->be ? (void *)c->be->port_del : NULL,
			 "PORT_DEL"))
		return;
	rc = c->be->port_del(c->be->ctx, &ref, why, sizeof(why));
	if (rc < 0)
		reply_err(cl, h->xid, rc, 0, "PORT_DEL %s: %s",
			  ref.port_no ? "" : ref.name,
			  why[0] ? why : strerror(-rc));
	else
		reply_ok(cl, h->xid);
}

static void
handle_port_list(struct dp_ctl *c, struct ctl_client *cl,
		 const struct dp_msg_hdr *h)
{
	struct dp_port_info *pi;
	unsigned n = 0;
	int rc;

	if (!has_backend(c, cl, h->xid, c->be ? (void *)c->be->port_list : NULL,
			 "PORT_LIST"))
		return;
	pi = calloc(PORTS_LIST_MAX, sizeof(*pi));
	if (pi == NULL) {
		reply_err(cl, h->xid, -ENOMEM, 0, "PORT_LIST: out of memory");
		return;
	}
	rc = c->be->port_list(c->be->ctx, pi, PORTS_LIST_MAX, &n);
	if (rc < 0) {
		reply_err(cl, h->xid, rc, 0, "PORT_LIST: %s", strerror(-rc));
	} else if (n == 0) {
		reply(cl, DP_MSG_OK, h->xid, DP_F_LAST, NULL, 0);
	} else {
		if (n > PORTS_LIST_MAX)
			n = PORTS_LIST_MAX;
		for (unsigned i = 0; i < n; i++)
			reply(cl, DP_MSG_PORT_INFO, h->xid,
			      i + 1 == n ? DP_F_LAST : 0, &pi[i],
			      sizeof(pi[i]));
	}
	free(pi);
}

static void
handle_stats(struct dp_ctl *c, struct ctl_client *cl,
	     const struct dp_msg_hdr *h)
{
	uint64_t drops[DP_DROP__COUNT];
	struct dp_cache_stats cs;
	struct dp_stats_reply s;

	memset(&s, 0, sizeof(s));
	memset(&cs, 0, sizeof(cs));
	dp_pipeline_cache_stats(c->pl, &cs);
	dp_pipeline_drop_stats(c->pl, drops);
	s.hits = cs.hits;
	s.misses = cs.misses;
	s.inserts = cs.inserts;
	s.evictions = cs.evictions;
	s.lookups_classifier = cs.lookups_classifier;
	s.entries = cs.entries;
	s.entries_max = cs.entries_max;
	s.n_subtables = cs.n_subtables;
	s.n_drop_reasons = DP_DROP__COUNT;
	memcpy(s.drops, drops, sizeof(drops));
	s.n_rules = dp_pipeline_n_rules(c->pl);
	s.proto_errors = c->proto_errors;
	if (c->be != NULL && c->be->stats != NULL)
		c->be->stats(c->be->ctx, &s);
	reply(cl, DP_MSG_STATS, h->xid, 0, &s, sizeof(s));
}

static void
handle_trace(struct dp_ctl *c, struct ctl_client *cl,
	     const struct dp_msg_hdr *h, const uint8_t *body)
{
	struct dp_trace_reply *tr = NULL;
	struct dp_trace *t = NULL;
	struct dp_packet_msg pm;
	uint32_t in_port, n;
	size_t start;
	int rc;

	memcpy(&pm, body, sizeof(pm));
	in_port = pm.port != DP_PORT_NONE ? pm.port : pm.in_port;
	t = calloc(1, sizeof(*t));
	tr = calloc(1, sizeof(*tr));
	if (t == NULL || tr == NULL) {
		reply_err(cl, h->xid, -ENOMEM, 0, "TRACE: out of memory");
		goto out;
	}
	rc = dp_pipeline_trace(c->pl, body + sizeof(pm), pm.len, in_port, t);
	if (rc < 0) {
		reply_err(cl, h->xid, rc, 0, "TRACE: %s", strerror(-rc));
		goto out;
	}
	tr->key = t->key;
	tr->parse_error = t->parse_error;
	tr->verdict = t->verdict;
	tr->n_steps = t->n_steps < DP_TRACE_MSG_STEPS_MAX
			      ? t->n_steps
			      : DP_TRACE_MSG_STEPS_MAX;
	for (uint32_t i = 0; i < tr->n_steps; i++) {
		tr->steps[i].table = t->steps[i].table;
		tr->steps[i].is_hit = t->steps[i].is_hit;
		tr->steps[i].rule = t->steps[i].rule;
	}
	n = sizeof(tr->out_port) / sizeof(tr->out_port[0]);
	tr->n_out = t->n_out < n ? t->n_out : n;
	memcpy(tr->out_port, t->out_port, tr->n_out * sizeof(uint32_t));
	n = t->out_len < sizeof(t->out_frame) ? t->out_len
					      : (uint32_t)sizeof(t->out_frame);
	tr->out_len = n;
	rc = dp_proto_begin(&cl->tx, DP_MSG_TRACE_RESULT, h->xid, 0, &start);
	if (rc == 0)
		rc = dp_proto_append(&cl->tx, start, tr, sizeof(*tr));
	if (rc == 0)
		rc = dp_proto_append(&cl->tx, start, t->out_frame, n);
	if (rc < 0) {
		client_kill(cl);
		goto out;
	}
	dp_proto_end(&cl->tx, start);
out:
	free(t);
	free(tr);
}

static void
handle_packet_out(struct dp_ctl *c, struct ctl_client *cl,
		  const struct dp_msg_hdr *h, const uint8_t *body)
{
	char why[DP_ERR_LEN - 96];
	struct dp_packet_msg pm;
	int rc;

	memcpy(&pm, body, sizeof(pm));
	if (!has_backend(c, cl, h->xid,
			 c->be ? (void *)c->be->packet_out : NULL,
			 "PACKET_OUT"))
		return;
	why[0] = '\0';
	rc = c->be->packet_out(c->be->ctx, &pm, body + sizeof(pm), why,
			       sizeof(why));
	if (rc < 0)
		reply_err(cl, h->xid, rc, 0, "PACKET_OUT: %s",
			  why[0] ? why : strerror(-rc));
	else
		reply_ok(cl, h->xid);
}

static void
handle_hello(struct dp_ctl *c, struct ctl_client *cl,
	     const struct dp_msg_hdr *h, const uint8_t *body)
{
	struct dp_hello in, out;

	memcpy(&in, body, sizeof(in));
	snprintf(cl->name, sizeof(cl->name), "%s", in.name);
	memset(&out, 0, sizeof(out));
	out.version = DP_PROTO_VERSION;
	out.n_workers = c->be != NULL ? c->be->n_workers : 0;
	out.boot_id = c->be != NULL ? c->be->boot_id : 0;
	snprintf(out.name, sizeof(out.name), "sluice-dp");
	reply(cl, DP_MSG_HELLO, h->xid, 0, &out, sizeof(out));
}

/* ESP SAs (pl_esp.h): add, delete, dump, events. */

static void
handle_sa_add(struct dp_ctl *c, struct ctl_client *cl,
	      const struct dp_msg_hdr *h, const uint8_t *body)
{
	char why[DP_ERR_LEN - 96];
	struct dp_sa sa;
	int rc;

	memcpy(&sa, body, sizeof(sa));
	/* The keys stay in the pipeline only. */
	explicit_bzero((void *)body, sizeof(sa));
	why[0] = '\0';
	rc = pl_esp_sa_add(c->pl, &sa, why, sizeof(why));
	explicit_bzero(&sa, sizeof(sa));
	if (rc < 0)
		reply_err(cl, h->xid, rc, 0, "SA_ADD: %s",
			  why[0] ? why : strerror(-rc));
	else
		reply_ok(cl, h->xid);
}

struct sa_dump_ctx {
	struct ctl_client *cl;
	uint32_t xid;
	unsigned n;
	struct dp_sa_info prev; /* sent when the next one (or the end) comes */
};

static int
sa_dump_visit(const struct dp_sa_info *si, void *arg)
{
	struct sa_dump_ctx *d = arg;

	if (d->n++ > 0)
		reply(d->cl, DP_MSG_SA_INFO, d->xid, 0, &d->prev,
		      sizeof(d->prev));
	d->prev = *si;
	return 0;
}

static void
handle_sa_ref(struct dp_ctl *c, struct ctl_client *cl,
	      const struct dp_msg_hdr *h, const uint8_t *body)
{
	struct sa_dump_ctx d;
	struct dp_sa_ref ref;
	int rc;

	memcpy(&ref, body, sizeof(ref));
	if (h->type == DP_MSG_SA_DEL) {
		rc = pl_esp_sa_del(c->pl, ref.id);
		if (rc < 0)
			reply_err(cl, h->xid, rc, 0, "SA_DEL: sa %u: %s",
				  ref.id, strerror(-rc));
		else
			reply_ok(cl, h->xid);
		return;
	}
	memset(&d, 0, sizeof(d));
	d.cl = cl;
	d.xid = h->xid;
	rc = pl_esp_sa_dump(c->pl, ref.id, sa_dump_visit, &d);
	if (rc < 0)
		reply_err(cl, h->xid, rc, 0, "SA_DUMP: sa %u: %s", ref.id,
			  strerror(-rc));
	else if (d.n == 0)
		reply(cl, DP_MSG_OK, h->xid, DP_F_LAST, NULL, 0);
	else
		reply(cl, DP_MSG_SA_INFO, h->xid, DP_F_LAST, &d.prev,
		      sizeof(d.prev));
}

static void
sa_event_send(const struct dp_sa_event *ev, void *arg)
{
	struct dp_ctl *c = arg;

	for (unsigned i = 0; i < c->n_clients; i++) {
		struct ctl_client *cl = c->clients[i];

		if (!cl->is_sa_subscribed || cl->is_dead)
			continue;
		reply(cl, DP_MSG_SA_EVENT, 0, 0, ev, sizeof(*ev));
		client_flush(cl);
	}
}

/* New SA events go to subscribers; none is consumed without one. */
static void
sa_events(struct dp_ctl *c)
{
	for (unsigned i = 0; i < c->n_clients; i++) {
		if (c->clients[i]->is_sa_subscribed) {
			pl_esp_sa_events(c->pl, sa_event_send, c);
			return;
		}
	}
}

/* Connection tracking (docs/conntrack.md): stats, flush, dump. */

struct ct_dump_ctx {
	struct ctl_client *cl;
	uint32_t xid;
	size_t start; /* current CT_ENTRIES message */
	uint32_t n;   /* entries in it */
	int rc;
};

static int
ct_dump_begin(struct ct_dump_ctx *d)
{
	struct dp_ct_batch b = {0};
	int rc;

	rc = dp_proto_begin(&d->cl->tx, DP_MSG_CT_ENTRIES, d->xid, 0,
			    &d->start);
	if (rc == 0)
		rc = dp_proto_append(&d->cl->tx, d->start, &b, sizeof(b));
	d->n = 0;
	return rc;
}

static void
ct_dump_end(struct ct_dump_ctx *d)
{
	memcpy(d->cl->tx.data + d->start + sizeof(struct dp_msg_hdr), &d->n,
	       sizeof(d->n));
	dp_proto_end(&d->cl->tx, d->start);
}

static int
ct_dump_visit(const struct dp_ct_entry *e, void *arg)
{
	struct ct_dump_ctx *d = arg;
	int rc;

	rc = dp_proto_append(&d->cl->tx, d->start, e, sizeof(*e));
	if (rc == 0 && ++d->n >= DUMP_ENTRIES_PER_MSG) {
		ct_dump_end(d);
		if (dp_buf_avail(&d->cl->tx) >= DUMP_FLUSH_AT)
			rc = client_flush_wait(d->cl, DUMP_FLUSH_WAIT_MS);
		if (rc == 0)
			rc = ct_dump_begin(d);
	}
	if (rc < 0)
		d->rc = rc;
	return rc;
}

static void
handle_ct(struct dp_ctl *c, struct ctl_client *cl, const struct dp_msg_hdr *h,
	  const uint8_t *body)
{
	struct ct_dump_ctx d = {.cl = cl, .xid = h->xid};
	struct dp_ct_zone_req q;
	struct dp_ct_flushed fl;
	struct dp_ct_stats st;
	int rc;

	if (h->type == DP_MSG_CT_STATS) {
		dp_pipeline_ct_stats(c->pl, &st);
		reply(cl, DP_MSG_CT_STATS_REPLY, h->xid, 0, &st, sizeof(st));
		return;
	}
	memcpy(&q, body, sizeof(q));
	if (q.zone > 0xffff && q.zone != DP_CT_ZONE_ALL) {
		reply_err(cl, h->xid, -EINVAL, 0,
			  "%s: zone %u out of range 0..65535",
			  dp_proto_type_name(h->type), q.zone);
		return;
	}
	if (h->type == DP_MSG_CT_FLUSH) {
		fl.n = dp_pipeline_ct_flush(c->pl, q.zone);
		reply(cl, DP_MSG_CT_FLUSHED, h->xid, 0, &fl, sizeof(fl));
		return;
	}
	rc = ct_dump_begin(&d);
	if (rc == 0)
		rc = dp_pipeline_ct_dump(c->pl, q.zone, ct_dump_visit, &d);
	if (d.rc < 0 || rc < 0) {
		client_kill(cl);
		return;
	}
	ct_dump_end(&d);
	dp_proto_set_flags(&cl->tx, d.start, DP_F_LAST);
}

/* Load-balancer pools (pl_lb.h): set, delete, stats. */

struct lb_stats_ctx {
	struct ctl_client *cl;
	uint32_t xid;
	size_t start; /* last LB_STATS_REPLY begun */
	unsigned n;
};

/* One LB_STATS_REPLY: the head, then n_members items of item bytes. */
static int
lb_stats_emit(struct lb_stats_ctx *d, const struct dp_lb_pool_stats *ps,
	      const void *ms, size_t item)
{
	int rc;

	rc = dp_proto_begin(&d->cl->tx, DP_MSG_LB_STATS_REPLY, d->xid, 0,
			    &d->start);
	if (rc == 0)
		rc = dp_proto_append(&d->cl->tx, d->start, ps, sizeof(*ps));
	if (rc == 0)
		rc = dp_proto_append(&d->cl->tx, d->start, ms,
				     ps->n_members * item);
	if (rc < 0)
		return rc;
	dp_proto_end(&d->cl->tx, d->start);
	d->n++;
	return 0;
}

static int
lb_stats_visit(const struct dp_lb_pool_stats *ps,
	       const struct dp_lb_member_stats *ms, void *arg)
{
	return lb_stats_emit(arg, ps, ms, sizeof(*ms));
}

/* An IPv6 pool's reply: the whole head, then dp_lb_member6_stats. */
static int
lb_stats_visit6(const struct dp_lb_pool_stats *ps,
		const struct dp_lb_member6_stats *ms, void *arg)
{
	return lb_stats_emit(arg, ps, ms, sizeof(*ms));
}

/*
 * LB_POOL_SET's members (validated: p->n_members of them at items, IPv6
 * ones for an IPv6 pool), copied out of the receive buffer (they may be
 * unaligned), then the pool set.
 */
static int
lb_set(struct dp_ctl *c, const struct dp_lb_pool *p, const uint8_t *items,
       bool is_v6, char *why, size_t why_len)
{
	size_t item = is_v6 ? sizeof(struct dp_lb_member6)
			    : sizeof(struct dp_lb_member);
	void *m;
	int rc;

	m = calloc(p->n_members + 1, item);
	if (m == NULL) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	memcpy(m, items, p->n_members * item);
	rc = is_v6 ? dp_pipeline_lb_set6(c->pl, p, m, why, why_len)
		   : dp_pipeline_lb_set(c->pl, p, m, why, why_len);
	free(m);
	return rc;
}

static void
handle_lb(struct dp_ctl *c, struct ctl_client *cl, const struct dp_msg_hdr *h,
	  const uint8_t *body)
{
	struct lb_stats_ctx d = {.cl = cl, .xid = h->xid};
	char why[DP_ERR_LEN - 96];
	struct dp_lb_pool_ref ref;
	struct dp_lb_pool p;
	int rc;

	if (h->type == DP_MSG_LB_POOL_SET) {
		/* The head is what the members leave (validated: this
		 * one or an older shorter one, the rest zeros; an IPv6
		 * pool's is whole). */
		memset(&p, 0, sizeof(p));
		memcpy(&p, body, DP_LB_POOL_V1_LEN);
		why[0] = '\0';
		if (p.flags & DP_LB_POOL_F_IPV6) {
			memcpy(&p, body, sizeof(p));
			rc = lb_set(c, &p, body + sizeof(p), true, why,
				    sizeof(why));
		} else {
			size_t head = h->len - sizeof(*h) -
				      p.n_members * sizeof(struct dp_lb_member);

			memcpy(&p, body, head < sizeof(p) ? head : sizeof(p));
			rc = lb_set(c, &p, body + head, false, why,
				    sizeof(why));
		}
		if (rc < 0)
			reply_err(cl, h->xid, rc, 0, "LB_POOL_SET: %s",
				  why[0] ? why : strerror(-rc));
		else
			reply_ok(cl, h->xid);
		return;
	}
	memcpy(&ref, body, sizeof(ref));
	if (h->type == DP_MSG_LB_POOL_DEL) {
		rc = dp_pipeline_lb_del(c->pl, ref.id);
		if (rc < 0)
			reply_err(cl, h->xid, rc, 0, "LB_POOL_DEL: pool %u: %s",
				  ref.id, strerror(-rc));
		else
			reply_ok(cl, h->xid);
		return;
	}
	rc = dp_pipeline_lb_stats_all(c->pl, ref.id, lb_stats_visit,
				      lb_stats_visit6, &d);
	if (rc == -ENOENT && d.n == 0) {
		reply_err(cl, h->xid, rc, 0, "LB_STATS: pool %u: %s", ref.id,
			  strerror(-rc));
		return;
	}
	if (rc < 0) {
		client_kill(cl);
		return;
	}
	if (d.n == 0)
		reply(cl, DP_MSG_OK, h->xid, DP_F_LAST, NULL, 0);
	else
		dp_proto_set_flags(&cl->tx, d.start, DP_F_LAST);
}

/* Dispatch one validated message. */
static void
dispatch(struct dp_ctl *c, struct ctl_client *cl, const struct dp_msg_hdr *h,
	 const uint8_t *body)
{
	switch (h->type) {
	case DP_MSG_HELLO:
		handle_hello(c, cl, h, body);
		break;
	case DP_MSG_PORT_ADD:
	case DP_MSG_PORT_DEL:
		handle_port(c, cl, h, body);
		break;
	case DP_MSG_PORT_LIST:
		handle_port_list(c, cl, h);
		break;
	case DP_MSG_FLOW_BEGIN:
	case DP_MSG_FLOW_COMMIT:
	case DP_MSG_FLOW_ABORT:
		handle_txn(c, cl, h);
		break;
	case DP_MSG_FLOW_ADD:
	case DP_MSG_FLOW_DEL:
		handle_flow_mod(c, cl, h, body);
		break;
	case DP_MSG_FLOW_DUMP:
		handle_dump(c, cl, h, body);
		break;
	case DP_MSG_CACHE_STATS:
		handle_stats(c, cl, h);
		break;
	case DP_MSG_CACHE_FLUSH:
		dp_pipeline_flush_cache(c->pl);
		reply_ok(cl, h->xid);
		break;
	case DP_MSG_TRACE:
		handle_trace(c, cl, h, body);
		break;
	case DP_MSG_PACKET_IN_SUB:
		cl->is_subscribed = true;
		reply_ok(cl, h->xid);
		break;
	case DP_MSG_PACKET_OUT:
		handle_packet_out(c, cl, h, body);
		break;
	case DP_MSG_SA_ADD:
		handle_sa_add(c, cl, h, body);
		break;
	case DP_MSG_SA_DEL:
	case DP_MSG_SA_DUMP:
		handle_sa_ref(c, cl, h, body);
		break;
	case DP_MSG_SA_EVENT_SUB:
		cl->is_sa_subscribed = true;
		reply_ok(cl, h->xid);
		break;
	case DP_MSG_CT_STATS:
	case DP_MSG_CT_FLUSH:
	case DP_MSG_CT_DUMP:
		handle_ct(c, cl, h, body);
		break;
	case DP_MSG_LB_POOL_SET:
	case DP_MSG_LB_POOL_DEL:
	case DP_MSG_LB_STATS:
		handle_lb(c, cl, h, body);
		break;
	default:
		c->proto_errors++;
		reply_err(cl, h->xid, -EINVAL, 0, "%s is not a request",
			  dp_proto_type_name(h->type));
		break;
	}
}

/* Frame, validate and dispatch every complete message in cl->rx. */
static void
client_process(struct dp_ctl *c, struct ctl_client *cl)
{
	struct dp_msg_hdr h;
	char why[DP_ERR_LEN - 96];
	size_t body_len;
	int n;

	while (!cl->is_dead && !cl->is_closing &&
	       dp_buf_avail(&cl->tx) < TX_PAUSE) {
		n = dp_proto_frame(dp_buf_head(&cl->rx), dp_buf_avail(&cl->rx),
				   &h, why, sizeof(why));
		if (n == 0)
			return;
		if (n < 0) {
			c->proto_errors++;
			reply_err(cl, 0, -EPROTO, 0, "%s", why);
			cl->is_closing = true;
			dp_buf_consume(&cl->rx, dp_buf_avail(&cl->rx));
			return;
		}
		body_len = h.len - sizeof(h);
		if (body_len > cl->body_cap) {
			uint8_t *p = realloc(cl->body, body_len);

			if (p == NULL) {
				client_kill(cl);
				return;
			}
			cl->body = p;
			cl->body_cap = body_len;
		}
		if (body_len > 0)
			memcpy(cl->body, dp_buf_head(&cl->rx) + sizeof(h),
			       body_len);
		dp_buf_consume(&cl->rx, (size_t)n);
		if (dp_proto_validate(&h, cl->body, why, sizeof(why)) < 0) {
			c->proto_errors++;
			reply_err(cl, h.xid, -EINVAL, 0, "%s", why);
			continue;
		}
		dispatch(c, cl, &h, cl->body);
	}
}

static void
client_read(struct dp_ctl *c, struct ctl_client *cl)
{
	size_t total = 0;
	ssize_t k;

	while (total < READ_ROUND_MAX) {
		if (dp_buf_reserve(&cl->rx, 65536) < 0) {
			client_kill(cl);
			return;
		}
		k = recv(cl->fd, cl->rx.data + cl->rx.len,
			 cl->rx.cap - cl->rx.len, MSG_DONTWAIT);
		if (k > 0) {
			cl->rx.len += (size_t)k;
			total += (size_t)k;
			client_process(c, cl);
			if (cl->is_dead || cl->is_closing ||
			    dp_buf_avail(&cl->tx) >= TX_PAUSE)
				return;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k == 0 || errno != EAGAIN)
			client_kill(cl);
		return;
	}
}

static void
client_free(struct dp_ctl *c, unsigned i)
{
	struct ctl_client *cl = c->clients[i];

	txn_release(c, cl, true);
	close(cl->fd);
	dp_buf_fini(&cl->rx);
	dp_buf_fini(&cl->tx);
	free(cl->body);
	free(cl);
	c->clients[i] = c->clients[--c->n_clients];
	c->clients[c->n_clients] = NULL;
}

int
dp_ctl_client_add(struct dp_ctl *c, int fd)
{
	struct ctl_client *cl;
	int fl;

	if (c->n_clients == CLIENTS_MAX) {
		close(fd);
		return -EMFILE;
	}
	cl = calloc(1, sizeof(*cl));
	if (cl == NULL) {
		close(fd);
		return -ENOMEM;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	cl->fd = fd;
	c->clients[c->n_clients++] = cl;
	return 0;
}

static void
accept_all(struct dp_ctl *c)
{
	int fd;

	for (;;) {
		fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (dp_ctl_client_add(c, fd) < 0)
			return;
	}
}

int
dp_ctl_poll(struct dp_ctl *c, int timeout_ms)
{
	struct pollfd pfd[CLIENTS_MAX + 1];
	struct ctl_client *order[CLIENTS_MAX];
	unsigned n = 0, nc;
	int rc;

	if (c->lfd >= 0) {
		pfd[n].fd = c->lfd;
		pfd[n].events = POLLIN;
		n++;
	}
	nc = c->n_clients;
	for (unsigned i = 0; i < nc; i++) {
		struct ctl_client *cl = c->clients[i];

		order[i] = cl;
		pfd[n].fd = cl->fd;
		pfd[n].events = 0;
		if (!cl->is_closing && dp_buf_avail(&cl->tx) < TX_PAUSE)
			pfd[n].events |= POLLIN;
		if (dp_buf_avail(&cl->tx) > 0)
			pfd[n].events |= POLLOUT;
		n++;
	}
	rc = poll(pfd, n, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	sa_events(c);
	for (unsigned i = 0; i < nc; i++) {
		struct ctl_client *cl = order[i];
		short re = pfd[i + (c->lfd >= 0)].revents;

		if (re & POLLIN)
			client_read(c, cl);
		else if (re & (POLLHUP | POLLERR))
			client_kill(cl);
		/* Messages left when back-pressure lifted. */
		if (!cl->is_dead && dp_buf_avail(&cl->tx) < TX_PAUSE)
			client_process(c, cl);
		client_flush(cl);
		if (cl->is_closing && dp_buf_avail(&cl->tx) == 0)
			client_kill(cl);
	}
	for (unsigned i = 0; i < c->n_clients;)
		if (c->clients[i]->is_dead)
			client_free(c, i);
		else
			i++;
	if (c->lfd >= 0 && (pfd[0].revents & POLLIN))
		accept_all(c);
	return 0;
}

void
dp_ctl_packet_in(struct dp_ctl *c, uint32_t in_port, uint32_t reason,
		 const uint8_t *frame, uint32_t len)
{
	struct dp_packet_msg pm = {
		.port = in_port,
		.in_port = in_port,
		.reason = reason,
		.len = len,
	};
	size_t start;

	if (len > DP_FRAME_MAX) {
		c->pin_dropped++;
		return;
	}
	for (unsigned i = 0; i < c->n_clients; i++) {
		struct ctl_client *cl = c->clients[i];

		if (!cl->is_subscribed || cl->is_dead)
			continue;
		if (dp_buf_avail(&cl->tx) >= TX_PIN_MAX ||
		    dp_proto_begin(&cl->tx, DP_MSG_PACKET_IN, 0, 0, &start) <
			    0) {
			c->pin_dropped++;
			continue;
		}
		if (dp_proto_append(&cl->tx, start, &pm, sizeof(pm)) < 0 ||
		    dp_proto_append(&cl->tx, start, frame, len) < 0) {
			client_kill(cl);
			continue;
		}
		dp_proto_end(&cl->tx, start);
		client_flush(cl);
	}
}

uint64_t
dp_ctl_proto_errors(const struct dp_ctl *c)
{
	return c->proto_errors;
}

/* Listening socket. */

/* mkdir -p of path's parent directory, mode 0750. */
static int
make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0750) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Remove a stale socket file; -EADDRINUSE if a server still answers. */
static int
remove_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, rc;

	if (lstat(sa->sun_path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (rc == 0)
		return -EADDRINUSE;
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int
dp_ctl_create(const char *path, struct dp_pipeline *pl,
	      const struct dp_ctl_backend *be, struct dp_ctl **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct dp_ctl *c;
	int rc;

	*out = NULL;
	if (path == NULL || strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->pl = pl;
	c->be = be;
	snprintf(c->path, sizeof(c->path), "%s", path);
	rc = make_parent(path);
	if (rc < 0)
		goto fail_free;
	rc = remove_stale(&sa);
	if (rc < 0)
		goto fail_free;
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->lfd < 0) {
		rc = -errno;
		goto fail_free;
	}
	if (bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(c->lfd, 16) < 0) {
		rc = -errno;
		goto fail_close;
	}
	*out = c;
	return 0;
fail_close:
	close(c->lfd);
fail_free:
	free(c);
	return rc;
}

void
dp_ctl_destroy(struct dp_ctl *c)
{
	if (c == NULL)
		return;
	while (c->n_clients > 0)
		client_free(c, 0);
	if (c->lfd >= 0) {
		close(c->lfd);
		unlink(c->path);
	}
	free(c);
}
