/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_client.c: the client library of the programming protocol
 * (dp_client.h). Frames requests with dp_proto_codec.h, waits for the
 * reply with the same xid (poll with a deadline), validates every message
 * it receives before reading it, and queues packet-ins that arrive while
 * a reply is awaited.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dp_client.h"
#include "dp_proto_codec.h"

enum { RX_CHUNK = 256 * 1024 };

struct pin {
	struct dp_packet_msg msg;
	uint8_t *frame; /* msg.len bytes, owned */
};

struct dp_client {
	int fd;
	int timeout_ms;
	uint32_t xid;
	bool is_in_txn; /* we sent FLOW_BEGIN, not yet ended */
	struct dp_buf rx;
	struct dp_buf tx;
	struct dp_msg_hdr hdr; /* last message received */
	uint8_t *body;	       /* its body, copied (aligned), owned */
	size_t body_cap;
	char err[DP_ERR_LEN + 64];
	uint32_t err_index;
	struct pin pins[DP_CLIENT_PIN_QUEUE_MAX];
	unsigned pin_head, n_pins;
	uint64_t pin_dropped;
};

static int seterr(struct dp_client *c, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
seterr(struct dp_client *c, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return rc;
}

int
dp_client_connect(const char *path, struct dp_client **out, char *err,
		  size_t err_len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct dp_client *c;
	int rc;

	*out = NULL;
	if (path == NULL)
		path = DP_SOCKET_PATH_DEFAULT;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		if (err != NULL)
			snprintf(err, err_len, "socket path too long: %s",
				 path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->timeout_ms = DP_CLIENT_TIMEOUT_MS_DEFAULT;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		rc = -errno;
		goto fail_free;
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto fail_close;
	}
	*out = c;
	return 0;
fail_close:
	close(c->fd);
fail_free:
	free(c);
	if (err != NULL)
		snprintf(err, err_len, "connect to %s: %s", path,
			 strerror(-rc));
	return rc;
}

void
dp_client_close(struct dp_client *c)
{
	if (c == NULL)
		return;
	while (c->n_pins > 0) {
		free(c->pins[c->pin_head].frame);
		c->pin_head = (c->pin_head + 1) % DP_CLIENT_PIN_QUEUE_MAX;
		c->n_pins--;
	}
	close(c->fd);
	dp_buf_fini(&c->rx);
	dp_buf_fini(&c->tx);
	free(c->body);
	free(c);
}

int
dp_client_fd(const struct dp_client *c)
{
	return c->fd;
}

void
dp_client_set_timeout(struct dp_client *c, int timeout_ms)
{
	c->timeout_ms = timeout_ms;
}

const char *
dp_client_error(const struct dp_client *c)
{
	return c->err;
}

uint32_t
dp_client_error_index(const struct dp_client *c)
{
	return c->err_index;
}

unsigned
dp_client_packet_in_pending(const struct dp_client *c)
{
	return c->n_pins;
}

uint64_t
dp_client_packet_in_dropped(const struct dp_client *c)
{
	return c->pin_dropped;
}

/* I/O. */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events until deadline (< 0: forever). 0, or -ETIMEDOUT. */
static int
wait_fd(struct dp_client *c, short events, int64_t deadline)
{
	struct pollfd pfd = {.fd = c->fd, .events = events};
	int t, n;

	for (;;) {
		t = -1;
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();

			if (left <= 0)
				return seterr(c, -ETIMEDOUT,
					      "datapath did not answer in "
					      "%d ms",
					      c->timeout_ms);
			t = (int)left;
		}
		n = poll(&pfd, 1, t);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return seterr(c, -errno, "poll: %s", strerror(errno));
	}
}

static int64_t
deadline_of(const struct dp_client *c)
{
	return c->timeout_ms > 0 ? now_ms() + c->timeout_ms : -1;
}

/* Send everything in c->tx. */
static int
flush_tx(struct dp_client *c)
{
	int64_t deadline = deadline_of(c);
	ssize_t k;
	int rc;

	while (dp_buf_avail(&c->tx) > 0) {
		k = send(c->fd, dp_buf_head(&c->tx), dp_buf_avail(&c->tx),
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k > 0) {
			dp_buf_consume(&c->tx, (size_t)k);
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno != EAGAIN) {
			rc = -errno;
			dp_buf_consume(&c->tx, dp_buf_avail(&c->tx));
			return seterr(c, rc, "send to datapath: %s",
				      strerror(-rc));
		}
		rc = wait_fd(c, POLLOUT, deadline);
		if (rc < 0) {
			dp_buf_consume(&c->tx, dp_buf_avail(&c->tx));
			return rc;
		}
	}
	return 0;
}

/* Read once into c->rx. 0 on data, -EAGAIN, -ECONNRESET at EOF. */
static int
read_some(struct dp_client *c)
{
	ssize_t k;
	int rc;

	rc = dp_buf_reserve(&c->rx, RX_CHUNK);
	if (rc < 0)
		return seterr(c, rc, "out of memory");
	k = recv(c->fd, c->rx.data + c->rx.len, RX_CHUNK, MSG_DONTWAIT);
	if (k > 0) {
		c->rx.len += (size_t)k;
		return 0;
	}
	if (k == 0)
		return seterr(c, -ECONNRESET, "datapath closed the connection");
	if (errno == EAGAIN || errno == EINTR)
		return -EAGAIN;
	return seterr(c, -errno, "recv from datapath: %s", strerror(errno));
}

/*
 * Take the next message into c->hdr / c->body. With is_blocking, wait up
 * to deadline; otherwise -EAGAIN when none is complete.
 */
static int
next_msg(struct dp_client *c, bool is_blocking, int64_t deadline)
{
	char why[DP_ERR_LEN];
	size_t body_len;
	int n, rc;

	for (;;) {
		n = dp_proto_frame(dp_buf_head(&c->rx), dp_buf_avail(&c->rx),
				   &c->hdr, why, sizeof(why));
		if (n < 0)
			return seterr(c, -EPROTO, "bad reply: %s", why);
		if (n > 0)
			break;
		rc = read_some(c);
		if (rc == -EAGAIN) {
			if (!is_blocking)
				return -EAGAIN;
			rc = wait_fd(c, POLLIN, deadline);
		}
		if (rc < 0)
			return rc;
	}
	body_len = c->hdr.len - sizeof(c->hdr);
	if (body_len + 1 > c->body_cap) {
		uint8_t *p = realloc(c->body, body_len + 1);

		if (p == NULL)
			return seterr(c, -ENOMEM, "out of memory");
		c->body = p;
		c->body_cap = body_len + 1;
	}
	memcpy(c->body, dp_buf_head(&c->rx) + sizeof(c->hdr), body_len);
	dp_buf_consume(&c->rx, (size_t)n);
	if (dp_proto_validate(&c->hdr, c->body, why, sizeof(why)) < 0)
		return seterr(c, -EPROTO, "bad reply: %s", why);
	return 0;
}

static void
queue_pin(struct dp_client *c)
{
	struct dp_packet_msg pm;
	struct pin *p;

	memcpy(&pm, c->body, sizeof(pm));
	if (c->n_pins == DP_CLIENT_PIN_QUEUE_MAX) {
		free(c->pins[c->pin_head].frame);
		c->pin_head = (c->pin_head + 1) % DP_CLIENT_PIN_QUEUE_MAX;
		c->n_pins--;
		c->pin_dropped++;
	}
	p = &c->pins[(c->pin_head + c->n_pins) % DP_CLIENT_PIN_QUEUE_MAX];
	p->msg = pm;
	p->frame = malloc(pm.len ? pm.len : 1);
	if (p->frame == NULL) {
		c->pin_dropped++;
		return;
	}
	memcpy(p->frame, c->body + sizeof(pm), pm.len);
	c->n_pins++;
}

/*
 * Wait for the next reply to xid (queueing packet-ins, skipping stale
 * replies). A DP_MSG_ERROR becomes its code with the message kept.
 */
static int
wait_reply(struct dp_client *c, uint32_t xid, int64_t deadline)
{
	struct dp_error e;
	int rc;

	for (;;) {
		rc = next_msg(c, true, deadline);
		if (rc < 0)
			return rc;
		if (c->hdr.type == DP_MSG_PACKET_IN) {
			queue_pin(c);
			continue;
		}
		if (c->hdr.xid != xid)
			continue;
		if (c->hdr.type != DP_MSG_ERROR)
			return 0;
		memcpy(&e, c->body, sizeof(e));
		c->err_index = e.index;
		return seterr(c, e.code < 0 ? e.code : -EIO, "%s", e.message);
	}
}

static int
send_msg(struct dp_client *c, uint16_t type, const void *body, size_t len,
	 uint32_t *xid)
{
	int rc;

	c->err[0] = '\0';
	c->err_index = 0;
	*xid = ++c->xid;
	if (*xid == 0)
		*xid = ++c->xid;
	rc = dp_proto_encode(&c->tx, type, *xid, 0, body, len);
	if (rc < 0)
		return seterr(c, rc, "encode %s: %s", dp_proto_type_name(type),
			      strerror(-rc));
	return flush_tx(c);
}

/* One request, one reply of type want (copied to out if non-NULL). */
static int
request(struct dp_client *c, uint16_t type, const void *body, size_t len,
	uint16_t want, void *out, size_t out_len)
{
	uint32_t xid = 0;
	int rc;

	rc = send_msg(c, type, body, len, &xid);
	if (rc < 0)
		return rc;
	rc = wait_reply(c, xid, deadline_of(c));
	if (rc < 0)
		return rc;
	if (c->hdr.type != want)
		return seterr(c, -EPROTO, "%s answered with %s, expected %s",
			      dp_proto_type_name(type),
			      dp_proto_type_name(c->hdr.type),
			      dp_proto_type_name(want));
	if (out != NULL)
		memcpy(out, c->body, out_len);
	return 0;
}

/* Calls. */

int
dp_client_hello(struct dp_client *c, const char *name, struct dp_hello *out)
{
	struct dp_hello h = {.version = DP_PROTO_VERSION};
	struct dp_hello r;
	int rc;

	snprintf(h.name, sizeof(h.name), "%s", name != NULL ? name : "");
	rc = request(c, DP_MSG_HELLO, &h, sizeof(h), DP_MSG_HELLO, &r,
		     sizeof(r));
	if (rc == 0 && out != NULL)
		*out = r;
	return rc;
}

int
dp_client_port_add(struct dp_client *c, const struct dp_port_spec *spec,
		   struct dp_port_info *out)
{
	struct dp_port_info pi;
	int rc;

	rc = request(c, DP_MSG_PORT_ADD, spec, sizeof(*spec), DP_MSG_PORT_INFO,
		     &pi, sizeof(pi));
	if (rc == 0 && out != NULL)
		*out = pi;
	return rc;
}

int
dp_client_port_del(struct dp_client *c, const struct dp_port_ref *ref)
{
	return request(c, DP_MSG_PORT_DEL, ref, sizeof(*ref), DP_MSG_OK, NULL,
		       0);
}

int
dp_client_port_list(struct dp_client *c, dp_client_port_fn fn, void *arg)
{
	int64_t deadline = deadline_of(c);
	struct dp_port_info pi;
	uint32_t xid = 0;
	int rc, stop = 0;

	rc = send_msg(c, DP_MSG_PORT_LIST, NULL, 0, &xid);
	while (rc == 0) {
		rc = wait_reply(c, xid, deadline);
		if (rc < 0)
			break;
		if (c->hdr.type == DP_MSG_PORT_INFO) {
			memcpy(&pi, c->body, sizeof(pi));
			if (stop == 0)
				stop = fn(&pi, arg);
		} else if (c->hdr.type != DP_MSG_OK) {
			rc = seterr(c, -EPROTO, "PORT_LIST answered with %s",
				    dp_proto_type_name(c->hdr.type));
			break;
		}
		if (c->hdr.flags & DP_F_LAST)
			break;
	}
	return rc < 0 ? rc : stop;
}

int
dp_client_flow_begin(struct dp_client *c)
{
	int rc;

	rc = request(c, DP_MSG_FLOW_BEGIN, NULL, 0, DP_MSG_OK, NULL, 0);
	if (rc == 0)
		c->is_in_txn = true;
	return rc;
}

int
dp_client_flow_commit(struct dp_client *c)
{
	c->is_in_txn = false;
	return request(c, DP_MSG_FLOW_COMMIT, NULL, 0, DP_MSG_OK, NULL, 0);
}

int
dp_client_flow_abort(struct dp_client *c)
{
	c->is_in_txn = false;
	return request(c, DP_MSG_FLOW_ABORT, NULL, 0, DP_MSG_OK, NULL, 0);
}

/* Send rules[0, n) (n within one message) as one FLOW_ADD. */
static int
flow_add_one(struct dp_client *c, const struct dp_rule *rules, size_t n)
{
	struct dp_flow_batch fb = {.n = (uint32_t)n};
	size_t start;
	uint32_t xid = 0;
	int rc;

	c->err[0] = '\0';
	c->err_index = 0;
	xid = ++c->xid;
	if (xid == 0)
		xid = ++c->xid;
	rc = dp_buf_reserve(&c->tx, sizeof(struct dp_msg_hdr) + sizeof(fb) +
					    n * sizeof(*rules));
	if (rc == 0)
		rc = dp_proto_begin(&c->tx, DP_MSG_FLOW_ADD, xid, 0, &start);
	if (rc == 0)
		rc = dp_proto_append(&c->tx, start, &fb, sizeof(fb));
	if (rc == 0)
		rc = dp_proto_append(&c->tx, start, rules, n * sizeof(*rules));
	if (rc < 0) {
		c->tx.len = c->tx.off;
		return seterr(c, rc, "encode FLOW_ADD: %s", strerror(-rc));
	}
	dp_proto_end(&c->tx, start);
	rc = flush_tx(c);
	if (rc == 0)
		rc = wait_reply(c, xid, deadline_of(c));
	if (rc == 0 && c->hdr.type != DP_MSG_OK)
		rc = seterr(c, -EPROTO, "FLOW_ADD answered with %s",
			    dp_proto_type_name(c->hdr.type));
	return rc;
}

int
dp_client_flow_add(struct dp_client *c, const struct dp_rule *rules, size_t n)
{
	const size_t per = DP_PROTO_RULES_PER_MSG_MAX;
	bool is_wrapped = false;
	size_t off, k;
	int rc = 0;

	/* Many messages outside a transaction: make them one. */
	if (n > per && !c->is_in_txn) {
		rc = dp_client_flow_begin(c);
		if (rc < 0)
			return rc;
		is_wrapped = true;
	}
	for (off = 0; off < n || (n == 0 && off == 0); off += k) {
		k = n - off < per ? n - off : per;
		rc = flow_add_one(c, rules + off, k);
		if (rc < 0) {
			c->err_index += (uint32_t)off;
			break;
		}
		if (n == 0)
			break;
	}
	if (is_wrapped) {
		if (rc < 0) {
			char keep[sizeof(c->err)];
			uint32_t idx = c->err_index;

			memcpy(keep, c->err, sizeof(keep));
			dp_client_flow_abort(c);
			memcpy(c->err, keep, sizeof(keep));
			c->err_index = idx;
		} else {
			rc = dp_client_flow_commit(c);
		}
	}
	return rc;
}

int
dp_client_flow_del_cookie(struct dp_client *c, int table, uint64_t cookie,
			  uint64_t cookie_mask)
{
	struct dp_flow_del d;

	memset(&d, 0, sizeof(d));
	d.table = table;
	d.cookie = cookie;
	d.cookie_mask = cookie_mask;
	return request(c, DP_MSG_FLOW_DEL, &d, sizeof(d), DP_MSG_OK, NULL, 0);
}

int
dp_client_flow_del_strict(struct dp_client *c, const struct dp_rule *r)
{
	struct dp_flow_del d;

	memset(&d, 0, sizeof(d));
	d.table = r->table;
	d.is_strict = 1;
	d.rule = *r;
	return request(c, DP_MSG_FLOW_DEL, &d, sizeof(d), DP_MSG_OK, NULL, 0);
}

int
dp_client_flow_dump(struct dp_client *c, int table, uint64_t cookie,
		    uint64_t cookie_mask, dp_client_flow_fn fn, void *arg)
{
	struct dp_flow_dump_req q = {
		.table = table,
		.cookie = cookie,
		.cookie_mask = cookie_mask,
	};
	int64_t deadline = deadline_of(c);
	struct dp_flow_batch fb;
	const struct dp_flow_entry *e;
	uint32_t xid = 0;
	int rc, stop = 0;

	rc = send_msg(c, DP_MSG_FLOW_DUMP, &q, sizeof(q), &xid);
	while (rc == 0) {
		rc = wait_reply(c, xid, deadline);
		if (rc < 0)
			break;
		if (c->hdr.type != DP_MSG_FLOWS) {
			rc = seterr(c, -EPROTO, "FLOW_DUMP answered with %s",
				    dp_proto_type_name(c->hdr.type));
			break;
		}
		memcpy(&fb, c->body, sizeof(fb));
		/* The body copy is malloc-aligned; entries are 8-aligned. */
		e = (const struct dp_flow_entry *)(c->body + sizeof(fb));
		for (uint32_t i = 0; i < fb.n && stop == 0; i++)
			stop = fn(&e[i].rule, &e[i].stats, arg);
		if (c->hdr.flags & DP_F_LAST)
			break;
		/* A long dump: the deadline applies per message. */
		deadline = deadline_of(c);
	}
	return rc < 0 ? rc : stop;
}

int
dp_client_stats(struct dp_client *c, struct dp_stats_reply *out)
{
	return request(c, DP_MSG_CACHE_STATS, NULL, 0, DP_MSG_STATS, out,
		       sizeof(*out));
}

int
dp_client_cache_flush(struct dp_client *c)
{
	return request(c, DP_MSG_CACHE_FLUSH, NULL, 0, DP_MSG_OK, NULL, 0);
}

int
dp_client_ct_stats(struct dp_client *c, struct dp_ct_stats *out)
{
	return request(c, DP_MSG_CT_STATS, NULL, 0, DP_MSG_CT_STATS_REPLY, out,
		       sizeof(*out));
}

int
dp_client_ct_flush(struct dp_client *c, uint32_t zone, uint64_t *n)
{
	struct dp_ct_zone_req q = {.zone = zone};
	struct dp_ct_flushed fl = {0};
	int rc;

	rc = request(c, DP_MSG_CT_FLUSH, &q, sizeof(q), DP_MSG_CT_FLUSHED, &fl,
		     sizeof(fl));
	if (rc == 0 && n != NULL)
		*n = fl.n;
	return rc;
}

int
dp_client_ct_dump(struct dp_client *c, uint32_t zone, dp_client_ct_fn fn,
		  void *arg)
{
	struct dp_ct_zone_req q = {.zone = zone};
	int64_t deadline = deadline_of(c);
	struct dp_ct_batch b;
	struct dp_ct_entry e;
	uint32_t xid = 0;
	int rc, stop = 0;

	rc = send_msg(c, DP_MSG_CT_DUMP, &q, sizeof(q), &xid);
	while (rc == 0) {
		rc = wait_reply(c, xid, deadline);
		if (rc < 0)
			break;
		if (c->hdr.type != DP_MSG_CT_ENTRIES) {
			rc = seterr(c, -EPROTO, "CT_DUMP answered with %s",
				    dp_proto_type_name(c->hdr.type));
			break;
		}
		memcpy(&b, c->body, sizeof(b));
		for (uint32_t i = 0; i < b.n && stop == 0; i++) {
			memcpy(&e, c->body + sizeof(b) + i * sizeof(e),
			       sizeof(e));
			stop = fn(&e, arg);
		}
		if (c->hdr.flags & DP_F_LAST)
			break;
		deadline = deadline_of(c);
	}
	return rc < 0 ? rc : stop;
}

/* Encode a dp_packet_msg and its frame as one message of type. */
static int
send_packet(struct dp_client *c, uint16_t type, const struct dp_packet_msg *m,
	    const uint8_t *frame, uint32_t *xid)
{
	size_t start;
	int rc;

	if (m->len > DP_FRAME_MAX)
		return seterr(c, -EMSGSIZE, "frame of %u bytes over %u", m->len,
			      (unsigned)DP_FRAME_MAX);
	c->err[0] = '\0';
	c->err_index = 0;
	*xid = ++c->xid;
	if (*xid == 0)
		*xid = ++c->xid;
	rc = dp_proto_begin(&c->tx, type, *xid, 0, &start);
	if (rc == 0)
		rc = dp_proto_append(&c->tx, start, m, sizeof(*m));
	if (rc == 0)
		rc = dp_proto_append(&c->tx, start, frame, m->len);
	if (rc < 0) {
		c->tx.len = c->tx.off;
		return seterr(c, rc, "encode %s: %s", dp_proto_type_name(type),
			      strerror(-rc));
	}
	dp_proto_end(&c->tx, start);
	return flush_tx(c);
}

int
dp_client_trace(struct dp_client *c, uint32_t in_port, const uint8_t *frame,
		uint32_t len, struct dp_trace_reply *out, uint8_t *out_frame,
		uint32_t out_frame_max, uint32_t *out_frame_len)
{
	struct dp_packet_msg m = {
		.port = in_port,
		.in_port = in_port,
		.len = len,
	};
	uint32_t xid = 0, n;
	int rc;

	rc = send_packet(c, DP_MSG_TRACE, &m, frame, &xid);
	if (rc == 0)
		rc = wait_reply(c, xid, deadline_of(c));
	if (rc < 0)
		return rc;
	if (c->hdr.type != DP_MSG_TRACE_RESULT)
		return seterr(c, -EPROTO, "TRACE answered with %s",
			      dp_proto_type_name(c->hdr.type));
	memcpy(out, c->body, sizeof(*out));
	n = out->out_len < out_frame_max ? out->out_len : out_frame_max;
	if (out_frame != NULL)
		memcpy(out_frame, c->body + sizeof(*out), n);
	if (out_frame_len != NULL)
		*out_frame_len = out->out_len;
	return 0;
}

int
dp_client_packet_out(struct dp_client *c, const struct dp_packet_msg *msg,
		     const uint8_t *frame)
{
	uint32_t xid = 0;
	int rc;

	rc = send_packet(c, DP_MSG_PACKET_OUT, msg, frame, &xid);
	if (rc == 0)
		rc = wait_reply(c, xid, deadline_of(c));
	if (rc == 0 && c->hdr.type != DP_MSG_OK)
		rc = seterr(c, -EPROTO, "PACKET_OUT answered with %s",
			    dp_proto_type_name(c->hdr.type));
	return rc;
}

int
dp_client_packet_in_subscribe(struct dp_client *c)
{
	return request(c, DP_MSG_PACKET_IN_SUB, NULL, 0, DP_MSG_OK, NULL, 0);
}

int
dp_client_packet_in_recv(struct dp_client *c, struct dp_packet_msg *msg,
			 uint8_t *frame, size_t frame_max)
{
	struct pin *p;
	size_t n;
	int rc;

	while (c->n_pins == 0) {
		rc = next_msg(c, false, -1);
		if (rc < 0)
			return rc;
		if (c->hdr.type == DP_MSG_PACKET_IN)
			queue_pin(c);
		/* Anything else is a stale reply: skip it. */
	}
	p = &c->pins[c->pin_head];
	*msg = p->msg;
	n = p->msg.len < frame_max ? p->msg.len : frame_max;
	if (frame != NULL)
		memcpy(frame, p->frame, n);
	free(p->frame);
	c->pin_head = (c->pin_head + 1) % DP_CLIENT_PIN_QUEUE_MAX;
	c->n_pins--;
	return 0;
}

/* ESP security associations. */

int
dp_client_sa_add(struct dp_client *c, const struct dp_sa *sa)
{
	int rc;

	rc = request(c, DP_MSG_SA_ADD, sa, sizeof(*sa), DP_MSG_OK, NULL, 0);
	/* The encoded copy of the keys: gone with the sent bytes. */
	if (c->tx.data != NULL)
		explicit_bzero(c->tx.data, c->tx.cap);
	return rc;
}

int
dp_client_sa_del(struct dp_client *c, uint32_t id)
{
	struct dp_sa_ref ref = {.id = id};

	return request(c, DP_MSG_SA_DEL, &ref, sizeof(ref), DP_MSG_OK, NULL, 0);
}

int
dp_client_sa_dump(struct dp_client *c, uint32_t id, dp_client_sa_fn fn,
		  void *arg)
{
	int64_t deadline = deadline_of(c);
	struct dp_sa_ref ref = {.id = id};
	struct dp_sa_info si;
	uint32_t xid = 0;
	int rc, stop = 0;

	rc = send_msg(c, DP_MSG_SA_DUMP, &ref, sizeof(ref), &xid);
	while (rc == 0) {
		rc = wait_reply(c, xid, deadline);
		if (rc < 0)
			break;
		if (c->hdr.type == DP_MSG_SA_INFO) {
			/* Validated: this size or DP_SA_INFO_V1_LEN. */
			memset(&si, 0, sizeof(si));
			memcpy(&si, c->body, c->hdr.len - sizeof(c->hdr));
			if (stop == 0)
				stop = fn(&si, arg);
		} else if (c->hdr.type != DP_MSG_OK) {
			rc = seterr(c, -EPROTO, "SA_DUMP answered with %s",
				    dp_proto_type_name(c->hdr.type));
			break;
		}
		if (c->hdr.flags & DP_F_LAST)
			break;
	}
	return rc < 0 ? rc : stop;
}

int
dp_client_sa_event_subscribe(struct dp_client *c)
{
	return request(c, DP_MSG_SA_EVENT_SUB, NULL, 0, DP_MSG_OK, NULL, 0);
}

int
dp_client_sa_event_recv(struct dp_client *c, struct dp_sa_event *ev,
			int timeout_ms)
{
	int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
	int rc;

	for (;;) {
		rc = next_msg(c, true, deadline);
		if (rc < 0)
			return rc;
		if (c->hdr.type == DP_MSG_PACKET_IN) {
			queue_pin(c);
			continue;
		}
		if (c->hdr.type == DP_MSG_SA_EVENT) {
			memcpy(ev, c->body, sizeof(*ev));
			return 0;
		}
	}
}

/* Load-balancer pools. */

/* LB_POOL_SET: p (flags as given) and n_members items of item bytes. */
static int
lb_send_pool(struct dp_client *c, const struct dp_lb_pool *p, const void *m,
	     size_t item)
{
	size_t len;
	uint8_t *body;
	int rc;

	if (p->n_members > DP_LB_MEMBERS_MAX)
		return seterr(c, -EINVAL, "pool %u: %u members, at most %u",
			      p->id, p->n_members, DP_LB_MEMBERS_MAX);
	len = sizeof(*p) + (size_t)p->n_members * item;
	body = malloc(len);
	if (body == NULL)
		return seterr(c, -ENOMEM, "out of memory");
	memcpy(body, p, sizeof(*p));
	if (p->n_members > 0)
		memcpy(body + sizeof(*p), m, p->n_members * item);
	rc = request(c, DP_MSG_LB_POOL_SET, body, len, DP_MSG_OK, NULL, 0);
	free(body);
	return rc;
}

int
dp_client_lb_set(struct dp_client *c, const struct dp_lb_pool *p,
		 const struct dp_lb_member *m)
{
	if (p->flags & DP_LB_POOL_F_IPV6)
		return seterr(c, -EINVAL,
			      "pool %u: flag ipv6 with IPv4 members (use "
			      "dp_client_lb_set6)",
			      p->id);
	return lb_send_pool(c, p, m, sizeof(*m));
}

int
dp_client_lb_set6(struct dp_client *c, const struct dp_lb_pool *p,
		  const struct dp_lb_member6 *m)
{
	struct dp_lb_pool q = *p;

	q.flags |= DP_LB_POOL_F_IPV6;
	return lb_send_pool(c, &q, m, sizeof(*m));
}

int
dp_client_lb_del(struct dp_client *c, uint32_t id)
{
	struct dp_lb_pool_ref ref = {.id = id};

	return request(c, DP_MSG_LB_POOL_DEL, &ref, sizeof(ref), DP_MSG_OK,
		       NULL, 0);
}

/*
 * LB_STATS walk: fn (IPv4 pools; NULL skips them) or fn6 (IPv6 pools, and
 * with as_v6 IPv4 ones too, their members as ::ffff:a.b.c.d).
 */
static int
lb_stats_walk(struct dp_client *c, uint32_t id, dp_client_lb_fn fn,
	      dp_client_lb6_fn fn6, bool as_v6, void *arg)
{
	int64_t deadline = deadline_of(c);
	struct dp_lb_pool_ref ref = {.id = id};
	struct dp_lb_member6_stats *m6 = NULL;
	struct dp_lb_member_stats *m4 = NULL;
	struct dp_lb_pool_stats ps;
	uint32_t xid = 0;
	int rc, stop = 0;

	rc = send_msg(c, DP_MSG_LB_STATS, &ref, sizeof(ref), &xid);
	while (rc == 0) {
		rc = wait_reply(c, xid, deadline);
		if (rc < 0)
			break;
		if (c->hdr.type == DP_MSG_LB_STATS_REPLY) {
			size_t head, item;
			bool is_v6;

			/* The head is what the members leave (validated:
			 * one of its sizes, whole for an IPv6 pool); the
			 * fields it lacks are 0. */
			memset(&ps, 0, sizeof(ps));
			memcpy(&ps, c->body, DP_LB_POOL_STATS_V1_LEN);
			is_v6 = ps.flags & DP_LB_POOL_F_IPV6;
			item = is_v6 ? sizeof(*m6) : sizeof(*m4);
			head = c->hdr.len - sizeof(c->hdr) -
			       ps.n_members * item;
			memcpy(&ps, c->body, head);
			m4 = calloc(ps.n_members + 1, sizeof(*m4));
			m6 = calloc(ps.n_members + 1, sizeof(*m6));
			if (m4 == NULL || m6 == NULL) {
				rc = seterr(c, -ENOMEM, "out of memory");
				break;
			}
			if (is_v6) {
				memcpy(m6, c->body + head, ps.n_members * item);
			} else {
				memcpy(m4, c->body + head, ps.n_members * item);
				for (uint32_t i = 0; as_v6 && i < ps.n_members;
				     i++) {
					m6[i].m.addr[10] = 0xff;
					m6[i].m.addr[11] = 0xff;
					memcpy(m6[i].m.addr + 12, &m4[i].m.addr,
					       4);
					m6[i].m.port = m4[i].m.port;
					m6[i].m.weight = m4[i].m.weight;
					m6[i].m.flags = m4[i].m.flags;
					m6[i].packets = m4[i].packets;
					m6[i].bytes = m4[i].bytes;
					m6[i].active = m4[i].active;
					m6[i].total = m4[i].total;
					m6[i].table_entries =
						m4[i].table_entries;
				}
			}
			if (stop == 0 && (is_v6 || as_v6))
				stop = fn6(&ps, m6, arg);
			else if (stop == 0)
				stop = fn(&ps, m4, arg);
			free(m4);
			free(m6);
			m4 = NULL;
			m6 = NULL;
		} else if (c->hdr.type != DP_MSG_OK) {
			rc = seterr(c, -EPROTO, "LB_STATS answered with %s",
				    dp_proto_type_name(c->hdr.type));
			break;
		}
		if (c->hdr.flags & DP_F_LAST)
			break;
	}
	free(m4);
	free(m6);
	return rc < 0 ? rc : stop;
}

/* IPv6 pools are skipped: their members do not fit dp_lb_member_stats. */
static int
lb_skip6(const struct dp_lb_pool_stats *ps,
	 const struct dp_lb_member6_stats *ms, void *arg)
{
	(void)ps;
	(void)ms;
	(void)arg;
	return 0;
}

int
dp_client_lb_stats(struct dp_client *c, uint32_t id, dp_client_lb_fn fn,
		   void *arg)
{
	return lb_stats_walk(c, id, fn, lb_skip6, false, arg);
}

int
dp_client_lb_stats6(struct dp_client *c, uint32_t id, dp_client_lb6_fn fn,
		    void *arg)
{
	return lb_stats_walk(c, id, NULL, fn, true, arg);
}
