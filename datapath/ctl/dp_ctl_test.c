/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_ctl_test.c: the protocol server end to end, with the real pipeline
 * and a fake runtime backend, over a temporary Unix socket. The server
 * runs in its own thread (its control thread); the test talks to it only
 * through the client library or raw sockets.
 *
 * Covered: one-shot and transactional adds, dump with counters, delete by
 * cookie and strict, abort, a bad rule rejected with its index and the
 * whole batch unapplied, a failed transaction refusing to commit, a client
 * disconnecting mid-transaction, garbage and oversized input answered and
 * counted while other clients are served, ports and packet-out through
 * the backend, packet-in, trace, and batches split over many messages.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dp_client.h"
#include "dp_ctl.h"
#include "dp_flow_text.h"
#include "dp_frame.h"
#include "dp_proto_codec.h"

/* The fake runtime: a port table and a record of packet-outs. */
struct fake_be {
	struct dp_port_info ports[8];
	unsigned n_ports;
	unsigned n_packet_out;
	struct dp_packet_msg last_out;
};

static int
fake_port_add(void *ctx, const struct dp_port_spec *spec,
	      struct dp_port_info *out, char *err, size_t err_len)
{
	struct fake_be *f = ctx;
	struct dp_port_info *pi;

	if (strcmp(spec->args, "missing0") == 0) {
		snprintf(err, err_len, "no such interface %s", spec->args);
		return -ENODEV;
	}
	if (f->n_ports == 8)
		return -ENOSPC;
	pi = &f->ports[f->n_ports];
	memset(pi, 0, sizeof(*pi));
	memcpy(pi->name, spec->name, sizeof(pi->name));
	memcpy(pi->args, spec->args, sizeof(pi->args));
	pi->type = spec->type;
	pi->port_no = spec->port_no ? spec->port_no : f->n_ports + 1;
	pi->mtu = 1500;
	pi->is_up = 1;
	f->n_ports++;
	*out = *pi;
	return 0;
}

static int
fake_port_del(void *ctx, const struct dp_port_ref *ref, char *err,
	      size_t err_len)
{
	struct fake_be *f = ctx;

	for (unsigned i = 0; i < f->n_ports; i++) {
		if ((ref->port_no && f->ports[i].port_no == ref->port_no) ||
		    (!ref->port_no &&
		     strcmp(f->ports[i].name, ref->name) == 0)) {
			f->ports[i] = f->ports[--f->n_ports];
			return 0;
		}
	}
	snprintf(err, err_len, "no such port");
	return -ENOENT;
}

static int
fake_port_list(void *ctx, struct dp_port_info *out, unsigned max, unsigned *n)
{
	struct fake_be *f = ctx;

	*n = f->n_ports < max ? f->n_ports : max;
	memcpy(out, f->ports, *n * sizeof(*out));
	return 0;
}

static int
fake_packet_out(void *ctx, const struct dp_packet_msg *msg,
		const uint8_t *frame, char *err, size_t err_len)
{
	struct fake_be *f = ctx;

	(void)frame;
	if (msg->port == 999) {
		snprintf(err, err_len, "port 999 does not exist");
		return -ENODEV;
	}
	f->n_packet_out++;
	f->last_out = *msg;
	return 0;
}

static void
fake_stats(void *ctx, struct dp_stats_reply *s)
{
	(void)ctx;
	s->punt_packets = 42;
}

/* The server and its thread. */
struct env {
	char dir[64];
	char path[128];
	struct dp_pipeline *pl;
	struct dp_ctl *ctl;
	struct fake_be fake;
	struct dp_ctl_backend be;
	pthread_t thread;
	atomic_bool stop;
	atomic_int pin_request; /* packet-ins to emit */
};

static void *
server_main(void *arg)
{
	struct env *e = arg;
	static const uint8_t frame[60] = {1, 2, 3};

	while (!atomic_load(&e->stop)) {
		/* cmocka asserts are not for other threads. */
		if (dp_ctl_poll(e->ctl, 5) < 0)
			abort();
		if (atomic_exchange(&e->pin_request, 0) > 0)
			dp_ctl_packet_in(e->ctl, 4, 77, frame, sizeof(frame));
	}
	return NULL;
}

static int
setup(void **state)
{
	struct dp_pipeline_config cfg = {.n_workers = 1};
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	strcpy(e->dir, "/tmp/dp_ctl_test.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	/* The server creates the missing sub-directory itself. */
	snprintf(e->path, sizeof(e->path), "%s/run/dp.sock", e->dir);
	assert_int_equal(dp_pipeline_create(&cfg, &e->pl), 0);
	e->be = (struct dp_ctl_backend){
		.port_add = fake_port_add,
		.port_del = fake_port_del,
		.port_list = fake_port_list,
		.packet_out = fake_packet_out,
		.stats = fake_stats,
		.ctx = &e->fake,
		.n_workers = 1,
		.boot_id = 0x1234,
	};
	assert_int_equal(dp_ctl_create(e->path, e->pl, &e->be, &e->ctl), 0);
	assert_int_equal(pthread_create(&e->thread, NULL, server_main, e), 0);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;
	char run[80];

	atomic_store(&e->stop, true);
	pthread_join(e->thread, NULL);
	dp_ctl_destroy(e->ctl);
	dp_pipeline_destroy(e->pl);
	snprintf(run, sizeof(run), "%s/run", e->dir);
	rmdir(run);
	rmdir(e->dir);
	free(e);
	return 0;
}

static struct dp_client *
open_client(struct env *e)
{
	struct dp_client *c;
	struct dp_hello h;
	char err[256];

	if (dp_client_connect(e->path, &c, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	dp_client_set_timeout(c, 10000);
	assert_int_equal(dp_client_hello(c, "test", &h), 0);
	assert_int_equal(h.version, DP_PROTO_VERSION);
	assert_int_equal(h.boot_id, 0x1234);
	return c;
}

static struct dp_rule
rule(const char *text)
{
	struct dp_rule r;
	char err[256];

	if (dp_flow_text_parse(text, &r, err, sizeof(err)) != 1)
		fail_msg("%s: %s", text, err);
	return r;
}

struct collect {
	unsigned n;
	char text[64][DP_FLOW_TEXT_MAX];
};

static int
collect_visit(const struct dp_rule *r, const struct dp_rule_stats *st,
	      void *arg)
{
	struct collect *col = arg;

	if (col->n < 64)
		dp_flow_text_format(r, st, col->text[col->n], DP_FLOW_TEXT_MAX);
	col->n++;
	return 0;
}

static unsigned
count_rules(struct dp_client *c, int table, uint64_t cookie, uint64_t mask,
	    struct collect *col)
{
	memset(col, 0, sizeof(*col));
	assert_int_equal(
		dp_client_flow_dump(c, table, cookie, mask, collect_visit, col),
		0);
	return col->n;
}

static void
test_oneshot_add_dump_del(void **state)
{
	struct env *e = *state;
	struct dp_client *c = open_client(e);
	struct dp_rule r[3];
	struct collect *col = malloc(sizeof(*col));
	struct dp_stats_reply st;

	assert_non_null(col);
	r[0] = rule("cookie=0x10,priority=10,in_port=1,actions=output:2");
	r[1] = rule("cookie=0x11,priority=10,in_port=2,actions=output:1");
	r[2] = rule("table=1,cookie=0x20,priority=5,tcp,tp_dst=80,"
		    "actions=drop");
	assert_int_equal(dp_client_flow_add(c, r, 3), 0);
	assert_int_equal(count_rules(c, -1, 0, 0, col), 3);
	assert_int_equal(count_rules(c, 1, 0, 0, col), 1);
	assert_non_null(strstr(col->text[0], "tcp,tp_dst=80,actions=drop"));
	assert_non_null(strstr(col->text[0], "n_packets=0,n_bytes=0"));
	/* Cookie filter on dump: 0x10/0xf0 selects 0x10 and 0x11. */
	assert_int_equal(count_rules(c, -1, 0x10, 0xf0, col), 2);
	assert_int_equal(dp_client_stats(c, &st), 0);
	assert_int_equal(st.n_rules, 3);
	assert_int_equal(st.punt_packets, 42);
	assert_int_equal(st.n_drop_reasons, DP_DROP__COUNT);
	/* Delete by cookie, then strictly. */
	assert_int_equal(dp_client_flow_del_cookie(c, -1, 0x11, ~0ull), 0);
	assert_int_equal(count_rules(c, -1, 0, 0, col), 2);
	assert_int_equal(dp_client_flow_del_strict(c, &r[2]), 0);
	assert_int_equal(count_rules(c, -1, 0, 0, col), 1);
	assert_int_equal(dp_client_flow_del_cookie(c, -1, 0, 0), 0);
	assert_int_equal(count_rules(c, -1, 0, 0, col), 0);
	assert_int_equal(dp_client_cache_flush(c), 0);
	dp_client_close(c);
	free(col);
}

static void
test_transaction_commit_abort(void **state)
{
	struct env *e = *state;
	struct dp_client *a = open_client(e), *b = open_client(e);
	struct dp_rule r[2];
	struct collect *col = malloc(sizeof(*col));

	assert_non_null(col);
	r[0] = rule("priority=1,in_port=3,actions=output:4");
	r[1] = rule("priority=2,in_port=4,actions=output:3");
	assert_int_equal(dp_client_flow_begin(a), 0);
	assert_int_equal(dp_client_flow_add(a, &r[0], 1), 0);
	assert_int_equal(dp_client_flow_add(a, &r[1], 1), 0);
	/* Nothing visible before commit; a second begin is refused. */
	assert_int_equal(count_rules(b, -1, 0, 0, col), 0);
	assert_int_equal(dp_client_flow_begin(b), -EBUSY);
	assert_non_null(strstr(dp_client_error(b), "(test) has a transaction"));
	assert_int_equal(dp_client_flow_add(b, &r[0], 1), -EBUSY);
	assert_int_equal(dp_client_flow_begin(a), -EBUSY);
	assert_int_equal(dp_client_flow_commit(a), 0);
	assert_int_equal(count_rules(b, -1, 0, 0, col), 2);
	/* Abort drops staged changes. */
	assert_int_equal(dp_client_flow_begin(a), 0);
	assert_int_equal(dp_client_flow_del_cookie(a, -1, 0, 0), 0);
	assert_int_equal(dp_client_flow_abort(a), 0);
	assert_int_equal(count_rules(b, -1, 0, 0, col), 2);
	assert_int_equal(dp_client_flow_commit(a), -ENOENT);
	assert_int_equal(dp_client_flow_del_cookie(b, -1, 0, 0), 0);
	dp_client_close(a);
	dp_client_close(b);
	free(col);
}

static void
test_bad_rule_rejects_batch(void **state)
{
	struct env *e = *state;
	struct dp_client *c = open_client(e);
	struct dp_rule r[3];
	struct collect *col = malloc(sizeof(*col));

	assert_non_null(col);
	r[0] = rule("priority=1,in_port=1,actions=output:2");
	r[1] = rule("table=2,priority=1,in_port=2,actions=output:1");
	r[2] = rule("priority=1,in_port=3,actions=output:1");
	/* Rule 1 jumps backwards: invalid on the wire. */
	r[1].actions[0].type = DP_ACT_GOTO_TABLE;
	r[1].actions[0].u.table = 1;
	assert_int_equal(dp_client_flow_add(c, r, 3), -EINVAL);
	assert_int_equal(dp_client_error_index(c), 1);
	if (strstr(dp_client_error(c), "rule 1 rejected, batch not applied") ==
	    NULL)
		fail_msg("error: %s", dp_client_error(c));
	assert_non_null(strstr(dp_client_error(c), "goto_table 1"));
	assert_int_equal(count_rules(c, -1, 0, 0, col), 0);

	/* In a transaction: the batch fails, and so does the commit. */
	assert_int_equal(dp_client_flow_begin(c), 0);
	assert_int_equal(dp_client_flow_add(c, &r[0], 1), 0);
	assert_int_equal(dp_client_flow_add(c, r, 3), -EINVAL);
	assert_int_equal(dp_client_flow_add(c, &r[2], 1), -ECANCELED);
	assert_non_null(strstr(dp_client_error(c), "already failed"));
	assert_int_equal(dp_client_flow_commit(c), -EINVAL);
	assert_non_null(strstr(dp_client_error(c), "rule 1 rejected"));
	assert_int_equal(count_rules(c, -1, 0, 0, col), 0);
	/* The connection is usable again. */
	assert_int_equal(dp_client_flow_begin(c), 0);
	assert_int_equal(dp_client_flow_add(c, &r[2], 1), 0);
	assert_int_equal(dp_client_flow_commit(c), 0);
	assert_int_equal(count_rules(c, -1, 0, 0, col), 1);
	assert_int_equal(dp_client_flow_del_cookie(c, -1, 0, 0), 0);
	dp_client_close(c);
	free(col);
}

static void
test_disconnect_mid_transaction(void **state)
{
	struct env *e = *state;
	struct dp_client *a = open_client(e), *b;
	struct dp_rule r = rule("priority=1,in_port=9,actions=output:8");
	struct collect *col = malloc(sizeof(*col));
	int rc = -EBUSY;

	assert_non_null(col);
	assert_int_equal(dp_client_flow_begin(a), 0);
	assert_int_equal(dp_client_flow_add(a, &r, 1), 0);
	dp_client_close(a);
	b = open_client(e);
	/* The server aborts a's transaction when it sees the hang-up. */
	for (int i = 0; i < 200 && rc == -EBUSY; i++) {
		rc = dp_client_flow_begin(b);
		if (rc == -EBUSY)
			usleep(10000);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(dp_client_flow_commit(b), 0);
	assert_int_equal(count_rules(b, -1, 0, 0, col), 0);
	dp_client_close(b);
	free(col);
}

/* Raw socket helpers for malformed input. */
static int
raw_connect(struct env *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, e->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Read one message (blocking, 5 s); returns its type, or -1 at EOF. */
static int
raw_recv(int fd, struct dp_msg_hdr *h, uint8_t *body, size_t max)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	size_t got = 0;
	ssize_t k;

	while (got < sizeof(*h)) {
		assert_true(poll(&p, 1, 5000) == 1);
		k = recv(fd, (uint8_t *)h + got, sizeof(*h) - got, 0);
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	assert_true(h->len - sizeof(*h) <= max);
	got = 0;
	while (got < h->len - sizeof(*h)) {
		assert_true(poll(&p, 1, 5000) == 1);
		k = recv(fd, body + got, h->len - sizeof(*h) - got, 0);
		assert_true(k > 0);
		got += (size_t)k;
	}
	return h->type;
}

static void
raw_send_hdr(int fd, uint32_t magic, uint16_t version, uint16_t type,
	     uint32_t len, uint32_t xid)
{
	struct dp_msg_hdr h = {magic, version, type, len, xid, 0, 0};

	assert_int_equal(send(fd, &h, sizeof(h), MSG_NOSIGNAL),
			 (ssize_t)sizeof(h));
}

static void
expect_error_reply(int fd, uint32_t xid, const char *text)
{
	struct dp_msg_hdr h;
	struct dp_error err;

	assert_int_equal(raw_recv(fd, &h, (uint8_t *)&err, sizeof(err)),
			 DP_MSG_ERROR);
	assert_int_equal(h.xid, xid);
	if (strstr(err.message, text) == NULL)
		fail_msg("error '%s' lacks '%s'", err.message, text);
}

static void
test_malformed_input(void **state)
{
	struct env *e = *state;
	struct dp_client *c = open_client(e);
	struct dp_stats_reply st0, st1;
	struct dp_msg_hdr h;
	uint8_t body[512];
	int fd;

	assert_int_equal(dp_client_stats(c, &st0), 0);

	/* Unknown type, wrong length, bad version: answered, then the same
	 * connection still serves a valid request. */
	fd = raw_connect(e);
	raw_send_hdr(fd, DP_PROTO_MAGIC, DP_PROTO_VERSION, 77, sizeof(h), 5);
	expect_error_reply(fd, 5, "unknown message type 77");
	raw_send_hdr(fd, DP_PROTO_MAGIC, DP_PROTO_VERSION, DP_MSG_HELLO,
		     sizeof(h) + 3, 6);
	assert_int_equal(send(fd, "abc", 3, MSG_NOSIGNAL), 3);
	expect_error_reply(fd, 6, "HELLO: body of 3 bytes, expected 48");
	raw_send_hdr(fd, DP_PROTO_MAGIC, 2, DP_MSG_CACHE_FLUSH, sizeof(h), 7);
	expect_error_reply(fd, 7, "version 2 not supported");
	raw_send_hdr(fd, DP_PROTO_MAGIC, DP_PROTO_VERSION, DP_MSG_OK, sizeof(h),
		     8);
	expect_error_reply(fd, 8, "OK is not a request");
	raw_send_hdr(fd, DP_PROTO_MAGIC, DP_PROTO_VERSION, DP_MSG_CACHE_FLUSH,
		     sizeof(h), 9);
	assert_int_equal(raw_recv(fd, &h, body, sizeof(body)), DP_MSG_OK);
	assert_int_equal(h.xid, 9);
	close(fd);

	/* Garbage: framing is lost, the error names it, the connection
	 * closes; other clients are served. */
	fd = raw_connect(e);
	assert_int_equal(send(fd, "GET / HTTP/1.0\r\nHost: sluice\r\n\r\n", 32,
			      MSG_NOSIGNAL),
			 32);
	expect_error_reply(fd, 0, "bad magic");
	assert_int_equal(raw_recv(fd, &h, body, sizeof(body)), -1);
	close(fd);

	/* Oversized: refused from the header alone. */
	fd = raw_connect(e);
	raw_send_hdr(fd, DP_PROTO_MAGIC, DP_PROTO_VERSION, DP_MSG_FLOW_ADD,
		     DP_MSG_LEN_MAX + 1, 10);
	expect_error_reply(fd, 0, "over the maximum");
	assert_int_equal(raw_recv(fd, &h, body, sizeof(body)), -1);
	close(fd);

	assert_int_equal(dp_client_stats(c, &st1), 0);
	assert_int_equal(st1.proto_errors - st0.proto_errors, 6);
	assert_int_equal(dp_client_cache_flush(c), 0);
	dp_client_close(c);
}

static int
port_count(const struct dp_port_info *pi, void *arg)
{
	(void)pi;
	(*(unsigned *)arg)++;
	return 0;
}

static void
test_ports_and_packet_out(void **state)
{
	struct env *e = *state;
	struct dp_client *c = open_client(e);
	struct dp_port_spec spec;
	struct dp_port_info pi;
	struct dp_port_ref ref;
	struct dp_packet_msg m;
	uint8_t frame[64] = {0};
	unsigned n = 0;

	assert_int_equal(dp_client_port_list(c, port_count, &n), 0);
	assert_int_equal(n, 0);
	memset(&spec, 0, sizeof(spec));
	strcpy(spec.name, "veth0");
	strcpy(spec.args, "veth0");
	spec.type = DP_PORT_AF_XDP;
	spec.port_no = 5;
	assert_int_equal(dp_client_port_add(c, &spec, &pi), 0);
	assert_int_equal(pi.port_no, 5);
	assert_string_equal(pi.name, "veth0");
	strcpy(spec.name, "veth1");
	strcpy(spec.args, "missing0");
	assert_int_equal(dp_client_port_add(c, &spec, &pi), -ENODEV);
	assert_non_null(strstr(dp_client_error(c),
			       "PORT_ADD veth1: no such interface missing0"));
	spec.type = 99;
	assert_int_equal(dp_client_port_add(c, &spec, &pi), -EINVAL);
	assert_non_null(strstr(dp_client_error(c), "unknown port type 99"));
	n = 0;
	assert_int_equal(dp_client_port_list(c, port_count, &n), 0);
	assert_int_equal(n, 1);

	memset(&m, 0, sizeof(m));
	m.port = 5;
	m.len = sizeof(frame);
	assert_int_equal(dp_client_packet_out(c, &m, frame), 0);
	m.port = 999;
	assert_int_equal(dp_client_packet_out(c, &m, frame), -ENODEV);
	assert_non_null(strstr(dp_client_error(c), "port 999"));

	memset(&ref, 0, sizeof(ref));
	strcpy(ref.name, "veth0");
	assert_int_equal(dp_client_port_del(c, &ref), 0);
	assert_int_equal(dp_client_port_del(c, &ref), -ENOENT);
	memset(&ref, 0, sizeof(ref));
	assert_int_equal(dp_client_port_del(c, &ref), -EINVAL);
	dp_client_close(c);
	/* Backend state is read after the server answered (it is idle). */
	assert_int_equal(e->fake.n_packet_out, 1);
	assert_int_equal(e->fake.last_out.port, 5);
}

static void
test_packet_in(void **state)
{
	struct env *e = *state;
	struct dp_client *c = open_client(e);
	struct dp_packet_msg m;
	uint8_t frame[128];
	int rc = -EAGAIN;

	assert_int_equal(dp_client_packet_in_recv(c, &m, frame, sizeof(frame)),
			 -EAGAIN);
	assert_int_equal(dp_client_packet_in_subscribe(c), 0);
	atomic_store(&e->pin_request, 1);
	for (int i = 0; i < 500 && rc == -EAGAIN; i++) {
		struct pollfd p = {.fd = dp_client_fd(c), .events = POLLIN};

		poll(&p, 1, 10);
		rc = dp_client_packet_in_recv(c, &m, frame, sizeof(frame));
	}
	assert_int_equal(rc, 0);
	assert_int_equal(m.in_port, 4);
	assert_int_equal(m.reason, 77);
	assert_int_equal(m.len, 60);
	assert_int_equal(frame[1], 2);
	/* One arriving during a blocking call is queued, not lost. */
	atomic_store(&e->pin_request, 1);
	usleep(50000);
	assert_int_equal(dp_client_cache_flush(c), 0);
	assert_int_equal(dp_client_packet_in_pending(c), 1);
	assert_int_equal(dp_client_packet_in_recv(c, &m, frame, 10), 0);
	assert_int_equal(m.reason, 77);
	dp_client_close(c);
}

static void
test_trace(void **state)
{
	struct env *e = *state;
	struct dp_client *c = open_client(e);
	struct dp_rule r[2];
	struct dp_trace_reply *t = calloc(1, sizeof(*t));
	struct dp_key k, m;
	uint8_t frame[DP_FRAME_BUILD_MAX], out[2048];
	uint32_t out_len = 0;
	size_t len;
	char err[256];

	assert_non_null(t);
	r[0] = rule("priority=1,in_port=1,actions=goto_table:1");
	r[1] = rule("table=1,priority=1,udp,tp_dst=53,actions=dec_ttl,"
		    "output:2");
	assert_int_equal(dp_client_flow_add(c, r, 2), 0);
	assert_int_equal(dp_flow_text_parse_match("udp,nw_src=10.0.0.1,"
						  "nw_dst=10.0.0.2,tp_dst=53,"
						  "nw_ttl=9",
						  &k, &m, err, sizeof(err)),
			 0);
	assert_int_equal(dp_frame_build(&k, frame, sizeof(frame), &len), 0);
	assert_int_equal(dp_client_trace(c, 1, frame, (uint32_t)len, t, out,
					 sizeof(out), &out_len),
			 0);
	assert_int_equal(t->parse_error, -1);
	assert_int_equal(t->key.in_port, 1);
	assert_int_equal(t->key.tp_dst, htons(53));
	assert_int_equal(t->n_steps, 2);
	assert_int_equal(t->steps[0].is_hit, 1);
	assert_int_equal(t->steps[1].table, 1);
	assert_int_equal(t->steps[1].rule.n_actions, 2);
	assert_int_equal(t->verdict, 0);
	assert_int_equal(t->n_out, 1);
	assert_int_equal(t->out_port[0], 2);
	assert_int_equal(out_len, len);
	assert_int_equal(out[14 + 8], 8); /* TTL decremented */
	/* From another port: a miss and a drop. */
	assert_int_equal(
		dp_client_trace(c, 3, frame, (uint32_t)len, t, NULL, 0, NULL),
		0);
	assert_int_equal(t->n_steps, 1);
	assert_int_equal(t->steps[0].is_hit, 0);
	assert_int_equal(t->verdict, DP_DROP_NO_MATCH + 1);
	assert_int_equal(dp_client_flow_del_cookie(c, -1, 0, 0), 0);
	dp_client_close(c);
	free(t);
}

/* Regression (found by dp_ctl_fuzz): an exact in_port past the real
 * ports made the pipeline size a per-port array by it (2^32 entries). */
static void
test_in_port_beyond_ports(void **state)
{
	struct env *e = *state;
	struct dp_client *c = open_client(e);
	struct dp_rule r[2];
	struct collect *col = malloc(sizeof(*col));

	assert_non_null(col);
	r[0] = rule("priority=1,in_port=4294967295,actions=output:1");
	r[1] = rule("priority=1,in_port=2,actions=output:1");
	assert_int_equal(dp_client_flow_add(c, r, 2), 0);
	assert_int_equal(count_rules(c, -1, 0, 0, col), 2);
	assert_int_equal(dp_client_flow_del_cookie(c, -1, 0, 0), 0);
	dp_client_close(c);
	free(col);
}

static int
count_only(const struct dp_rule *r, const struct dp_rule_stats *st, void *arg)
{
	(void)r;
	(void)st;
	(*(size_t *)arg)++;
	return 0;
}

static void
test_large_batch(void **state)
{
	struct env *e = *state;
	struct dp_client *c = open_client(e);
	const size_t n = 12000; /* three FLOW_ADD messages */
	struct dp_rule *r = calloc(n, sizeof(*r));
	struct dp_rule base = rule("priority=7,ip,actions=output:2");
	size_t got = 0;

	assert_non_null(r);
	for (size_t i = 0; i < n; i++) {
		r[i] = base;
		r[i].cookie = 0x77;
		r[i].match.nw_dst = htonl(0x0a000000 + (uint32_t)i);
		r[i].mask.nw_dst = 0xffffffff;
	}
	/* Bad rule in the third message: nothing at all is applied. */
	r[n - 2].n_actions = 200;
	assert_int_equal(dp_client_flow_add(c, r, n), -EINVAL);
	assert_int_equal(dp_client_error_index(c), n - 2);
	assert_int_equal(dp_client_flow_dump(c, -1, 0, 0, count_only, &got), 0);
	assert_int_equal(got, 0);
	r[n - 2].n_actions = 1;
	assert_int_equal(dp_client_flow_add(c, r, n), 0);
	got = 0;
	assert_int_equal(
		dp_client_flow_dump(c, -1, 0x77, ~0ull, count_only, &got), 0);
	assert_int_equal(got, n);
	assert_int_equal(dp_client_flow_del_cookie(c, -1, 0x77, ~0ull), 0);
	dp_client_close(c);
	free(r);
}

static void
test_drop_names_agree(void **state)
{
	(void)state;
	for (unsigned i = 0; i < DP_DROP__COUNT; i++) {
		const char *n = dp_proto_drop_name(i);

		if (n == NULL || strcmp(n, dp_drop_reason_name(i)) != 0)
			fail_msg("drop %u: codec '%s', pipeline '%s'", i,
				 n ? n : "(none)", dp_drop_reason_name(i));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_oneshot_add_dump_del,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_transaction_commit_abort,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_rule_rejects_batch,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_disconnect_mid_transaction,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_input, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ports_and_packet_out,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_packet_in, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_batch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_in_port_beyond_ports,
						setup, teardown),
		cmocka_unit_test(test_drop_names_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
