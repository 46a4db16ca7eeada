/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_client_test.c: the client library (dp_client.h) against a scripted
 * server on a temporary socket: replies are matched by xid (stale ones
 * skipped), a DP_MSG_ERROR becomes its code and message, a malformed
 * reply, a silent server and a closed connection each fail the call with
 * a message, and a packet-in arriving before a reply is queued.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "dp_client.h"
#include "dp_proto_codec.h"

/* What the scripted server answers to the one request it reads. */
enum script {
	SCRIPT_STALE_THEN_OK, /* a reply with another xid, then OK */
	SCRIPT_ERROR,	      /* DP_MSG_ERROR -ENOSPC "table full" */
	SCRIPT_GARBAGE,	      /* bytes with a bad magic */
	SCRIPT_BAD_BODY,      /* OK with a 4-byte body */
	SCRIPT_SILENT,	      /* nothing (client times out) */
	SCRIPT_CLOSE,	      /* close the connection */
	SCRIPT_PIN_THEN_OK,   /* a PACKET_IN, then OK */
};

struct server {
	char dir[64];
	char path[128];
	int lfd;
	enum script script;
	pthread_t thread;
};

static void
send_buf(int fd, struct dp_buf *b)
{
	/* Not a cmocka assert: this runs on the server thread. */
	if (send(fd, b->data, b->len, MSG_NOSIGNAL) != (ssize_t)b->len)
		abort();
	b->len = 0;
}

static void *
server_main(void *arg)
{
	struct server *s = arg;
	struct dp_msg_hdr h;
	struct dp_buf b = {0};
	struct dp_error e;
	uint8_t req[4096];
	int fd;

	fd = accept(s->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	if (recv(fd, req, sizeof(req), 0) < (ssize_t)sizeof(h))
		goto out;
	memcpy(&h, req, sizeof(h));
	switch (s->script) {
	case SCRIPT_STALE_THEN_OK:
		dp_proto_encode(&b, DP_MSG_OK, h.xid + 100, 0, NULL, 0);
		dp_proto_encode(&b, DP_MSG_OK, h.xid, 0, NULL, 0);
		break;
	case SCRIPT_ERROR:
		memset(&e, 0, sizeof(e));
		e.code = -ENOSPC;
		e.index = 3;
		strcpy(e.message, "table full (10/10)");
		dp_proto_encode(&b, DP_MSG_ERROR, h.xid, 0, &e, sizeof(e));
		break;
	case SCRIPT_GARBAGE:
		dp_buf_append(&b, "HTTP/1.0 400 Bad Request\r\n\r\n", 28);
		break;
	case SCRIPT_BAD_BODY:
		dp_proto_encode(&b, DP_MSG_OK, h.xid, 0, "abcd", 4);
		break;
	case SCRIPT_SILENT:
		usleep(400 * 1000);
		break;
	case SCRIPT_CLOSE:
		break;
	case SCRIPT_PIN_THEN_OK: {
		struct dp_packet_msg pm = {
			.port = 2, .in_port = 2, .reason = 9, .len = 3};
		size_t start;

		dp_proto_begin(&b, DP_MSG_PACKET_IN, 0, 0, &start);
		dp_proto_append(&b, start, &pm, sizeof(pm));
		dp_proto_append(&b, start, "xyz", 3);
		dp_proto_end(&b, start);
		dp_proto_encode(&b, DP_MSG_OK, h.xid, 0, NULL, 0);
		break;
	}
	}
	if (b.len > 0)
		send_buf(fd, &b);
	if (s->script == SCRIPT_SILENT)
		usleep(100 * 1000);
out:
	close(fd);
	dp_buf_fini(&b);
	return NULL;
}

/* Start a server for one script and connect a client to it. */
static struct dp_client *
start(struct server *s, enum script script)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct dp_client *c;
	char err[256];

	memset(s, 0, sizeof(*s));
	strcpy(s->dir, "/tmp/dp_client_test.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/s", s->dir);
	strcpy(sa.sun_path, s->path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->lfd, 1), 0);
	s->script = script;
	assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
	assert_int_equal(dp_client_connect(s->path, &c, err, sizeof(err)), 0);
	dp_client_set_timeout(c, 5000);
	return c;
}

static void
stop(struct server *s, struct dp_client *c)
{
	dp_client_close(c);
	pthread_join(s->thread, NULL);
	close(s->lfd);
	unlink(s->path);
	rmdir(s->dir);
}

static void
test_stale_reply_skipped(void **state)
{
	struct server s;
	struct dp_client *c = start(&s, SCRIPT_STALE_THEN_OK);

	(void)state;
	assert_int_equal(dp_client_cache_flush(c), 0);
	assert_string_equal(dp_client_error(c), "");
	stop(&s, c);
}

static void
test_error_reply(void **state)
{
	struct server s;
	struct dp_client *c = start(&s, SCRIPT_ERROR);

	(void)state;
	assert_int_equal(dp_client_flow_begin(c), -ENOSPC);
	assert_string_equal(dp_client_error(c), "table full (10/10)");
	assert_int_equal(dp_client_error_index(c), 3);
	stop(&s, c);
}

static void
test_garbage_reply(void **state)
{
	struct server s;
	struct dp_client *c = start(&s, SCRIPT_GARBAGE);

	(void)state;
	assert_int_equal(dp_client_cache_flush(c), -EPROTO);
	assert_non_null(strstr(dp_client_error(c), "bad reply: bad magic"));
	stop(&s, c);
}

static void
test_bad_body_reply(void **state)
{
	struct server s;
	struct dp_client *c = start(&s, SCRIPT_BAD_BODY);

	(void)state;
	assert_int_equal(dp_client_cache_flush(c), -EPROTO);
	assert_non_null(strstr(dp_client_error(c),
			       "bad reply: OK: body of 4 bytes, expected 0"));
	stop(&s, c);
}

static void
test_silent_server_times_out(void **state)
{
	struct server s;
	struct dp_client *c = start(&s, SCRIPT_SILENT);

	(void)state;
	dp_client_set_timeout(c, 100);
	assert_int_equal(dp_client_cache_flush(c), -ETIMEDOUT);
	assert_non_null(strstr(dp_client_error(c), "did not answer in 100 ms"));
	stop(&s, c);
}

static void
test_closed_connection(void **state)
{
	struct server s;
	struct dp_client *c = start(&s, SCRIPT_CLOSE);

	(void)state;
	assert_int_equal(dp_client_cache_flush(c), -ECONNRESET);
	assert_non_null(strstr(dp_client_error(c), "closed the connection"));
	stop(&s, c);
}

static void
test_packet_in_queued(void **state)
{
	struct server s;
	struct dp_client *c = start(&s, SCRIPT_PIN_THEN_OK);
	struct dp_packet_msg m;
	uint8_t frame[2];

	(void)state;
	assert_int_equal(dp_client_packet_in_subscribe(c), 0);
	assert_int_equal(dp_client_packet_in_pending(c), 1);
	/* The frame is cut to the buffer; len keeps the original. */
	assert_int_equal(dp_client_packet_in_recv(c, &m, frame, sizeof(frame)),
			 0);
	assert_int_equal(m.reason, 9);
	assert_int_equal(m.len, 3);
	assert_memory_equal(frame, "xy", 2);
	assert_int_equal(dp_client_packet_in_pending(c), 0);
	stop(&s, c);
}

static void
test_connect_error_names_path(void **state)
{
	struct dp_client *c;
	char err[256];

	(void)state;
	assert_int_equal(
		dp_client_connect("/nonexistent/dp.sock", &c, err, sizeof(err)),
		-ENOENT);
	assert_null(c);
	assert_non_null(strstr(err, "connect to /nonexistent/dp.sock"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stale_reply_skipped),
		cmocka_unit_test(test_error_reply),
		cmocka_unit_test(test_garbage_reply),
		cmocka_unit_test(test_bad_body_reply),
		cmocka_unit_test(test_silent_server_times_out),
		cmocka_unit_test(test_closed_connection),
		cmocka_unit_test(test_packet_in_queued),
		cmocka_unit_test(test_connect_error_names_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
