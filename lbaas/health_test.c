// SPDX-License-Identifier: BSD-2-Clause
/*
 * health_test.c: the health monitors against real local servers on
 * 127.0.0.1, started and stopped by the test: python3's http.server
 * (HTTP, expected codes), `openssl s_server -www` (HTTPS, TLS-HELLO), a
 * listening TCP socket, a UDP socket (UDP-CONNECT: closed port = ICMP
 * port unreachable = down) and ICMP echo to 127.0.0.1-2. Each test stops
 * its server and checks that the member goes DOWN within
 * delay x max_retries_down + 1 s, then (where it restarts it) UP again.
 * Also the HTTP status line parser on good and bad bytes, the names of
 * reasons, states and types, and what health_each() reports of a target.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "health.h"

#define T_DELAY_MS 200
#define T_TIMEOUT_MS 150
#define T_FALL 3
#define T_RISE 2
/* The bound the issue sets: delay x max_retries_down + 1 s. */
#define T_BOUND_MS (T_DELAY_MS * T_FALL + 1000)

struct fx {
	struct event_base *base;
	struct health *h;
	enum health_state last;
	unsigned n_changes;
	char dir[64];
	pid_t server;
};

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
on_change(void *arg, const struct health_target *t, enum health_state st)
{
	struct fx *f = arg;

	(void)t;
	f->last = st;
	f->n_changes++;
}

/* Run the loop until the member is in state want; the elapsed ms or -1. */
static long
run_until(struct fx *f, enum health_state want, long max_ms)
{
	long start = now_ms();
	struct timeval tv = {0, 20000};

	while (now_ms() - start < max_ms) {
		if (f->last == want)
			return now_ms() - start;
		event_base_loopexit(f->base, &tv);
		event_base_dispatch(f->base);
	}
	return f->last == want ? now_ms() - start : -1;
}

static int
free_port(int type)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, type, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Block until 127.0.0.1:port accepts a TCP connection (max 5 s). */
static void
wait_listen(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int i, fd, rc;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	for (i = 0; i < 500; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
		close(fd);
		if (rc == 0)
			return;
		usleep(10000);
	}
	fail_msg("server on port %d did not start", port);
}

static pid_t
spawn(char *const argv[])
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void
stop(struct fx *f)
{
	if (f->server > 0) {
		kill(f->server, SIGTERM);
		waitpid(f->server, NULL, 0);
		f->server = 0;
	}
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->base = event_base_new();
	assert_non_null(f->base);
	assert_int_equal(health_create(f->base, on_change, f, &f->h), 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/health_test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	stop(f);
	health_destroy(f->h);
	event_base_free(f->base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
	free(f);
	return 0;
}

static void
target(struct health_target *t, enum health_type type, int port)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&t->addr;

	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "member-1");
	snprintf(t->pool_id, sizeof(t->pool_id), "pool-1");
	t->type = type;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = htons((uint16_t)port);
	t->addr_len = sizeof(*a);
	t->delay_ms = T_DELAY_MS;
	t->timeout_ms = T_TIMEOUT_MS;
	t->rise = T_RISE;
	t->fall = T_FALL;
	t->netns_fd = -1;
}

/* Up first, then the server stops: down within the bound. */
static void
check_down(struct fx *f, const char *what)
{
	long ms;

	assert_true(run_until(f, HEALTH_UP, 3000) >= 0);
	stop(f);
	ms = run_until(f, HEALTH_DOWN, T_BOUND_MS + 1000);
	printf("health: %s: member down %ld ms after its server stopped "
	       "(bound %d ms)\n",
	       what, ms, T_BOUND_MS);
	assert_true(ms >= 0 && ms <= T_BOUND_MS);
}

static void
test_status_line(void **state)
{
	int code = 0;

	(void)state;
	assert_int_equal(health_http_status_parse("HTTP/1.1 204 No", 15, &code),
			 0);
	assert_int_equal(code, 204);
	assert_int_equal(
		health_http_status_parse("HTTP/1.0 200\r\n", 14, &code), 0);
	assert_int_equal(health_http_status_parse("HTTP/1.1 20", 11, &code),
			 -EAGAIN);
	assert_int_equal(health_http_status_parse("HTT", 3, &code), -EAGAIN);
	assert_int_equal(health_http_status_parse("SSH-2.0-x", 9, &code),
			 -EINVAL);
	assert_int_equal(health_http_status_parse("HTTP/1.1 2x0 ", 13, &code),
			 -EINVAL);
	assert_int_equal(health_http_status_parse("HTTP/1.1 2000", 13, &code),
			 -EINVAL);
	assert_int_equal(health_http_status_parse("", 0, &code), -EAGAIN);
}

/* What health_each() gives of the only target "member-1". */
static int
info_cb(void *arg, const struct health_info *in)
{
	struct health_info *out = arg;

	assert_string_equal(in->t->id, "member-1");
	assert_string_equal(in->t->pool_id, "pool-1");
	*out = *in;
	out->t = NULL; /* borrowed for the call only */
	return 0;
}

static struct health_info
info_of(struct fx *f)
{
	struct health_info in;

	memset(&in, 0xff, sizeof(in));
	assert_int_equal(health_each(f->h, info_cb, &in), 0);
	return in;
}

static int
stop_cb(void *arg, const struct health_info *in)
{
	(void)in;
	++*(int *)arg;
	return -EINTR;
}

static void
test_names(void **state)
{
	const char *seen[HEALTH_FAIL__COUNT];
	int i, j;

	(void)state;
	for (i = 0; i < HEALTH_FAIL__COUNT; i++) {
		seen[i] = health_fail_name((enum health_fail)i);
		assert_string_not_equal(seen[i], "?");
		for (j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);
	}
	assert_string_equal(health_fail_name(HEALTH_FAIL_TIMEOUT), "timeout");
	assert_string_equal(health_fail_name(HEALTH_FAIL_REFUSED), "refused");
	assert_string_equal(health_fail_name(HEALTH_FAIL__COUNT), "?");
	assert_string_equal(
		health_fail_name((enum health_fail)(HEALTH_FAIL__COUNT + 1)),
		"?");
	assert_string_equal(health_state_name(HEALTH_UNKNOWN), "UNKNOWN");
	assert_string_equal(health_state_name(HEALTH_UP), "UP");
	assert_string_equal(health_state_name(HEALTH_DOWN), "DOWN");
	assert_string_equal(health_state_name((enum health_state)7), "?");
	assert_string_equal(health_type_name(HEALTH_TLS_HELLO), "TLS-HELLO");
	assert_string_equal(health_type_name(HEALTH_UDP_CONNECT),
			    "UDP-CONNECT");
	assert_string_equal(health_type_name((enum health_type)99), "?");
	/* The parse is the name's inverse, for every type. */
	for (unsigned ty = HEALTH_PING; ty <= HEALTH_UDP_CONNECT; ty++) {
		enum health_type t = (enum health_type)99;

		assert_int_equal(
			health_type_parse(
				health_type_name((enum health_type)ty), &t),
			0);
		assert_int_equal(t, ty);
	}
	{
		enum health_type t = HEALTH_HTTP;

		assert_int_equal(health_type_parse("SCTP", &t), -1);
		assert_int_equal(health_type_parse("tcp", &t), -1);
		assert_int_equal(t, HEALTH_HTTP);
	}
}

static void
test_tcp(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct health_target t;
	struct health_stats st;
	struct health_info in;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = free_port(SOCK_STREAM);
	int n_calls = 0;
	time_t t0 = time(NULL);
	long ms;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 64), 0);
	target(&t, HEALTH_TCP, port);
	assert_int_equal(health_set(f->h, &t), 0);
	assert_true(run_until(f, HEALTH_UP, 2000) >= 0);
	in = info_of(f);
	assert_int_equal(in.state, HEALTH_UP);
	assert_true(in.n_ok >= 1);
	assert_int_equal(in.n_fail, 0);
	assert_false(in.has_fail);
	close(fd);
	ms = run_until(f, HEALTH_DOWN, T_BOUND_MS + 1000);
	printf("health: TCP: member down %ld ms after close (bound %d ms)\n",
	       ms, T_BOUND_MS);
	assert_true(ms >= 0 && ms <= T_BOUND_MS);
	in = info_of(f);
	assert_int_equal(in.state, HEALTH_DOWN);
	assert_int_equal(in.n_ok, 0);
	assert_true(in.n_fail >= T_FALL);
	assert_true(in.has_fail);
	assert_int_equal(in.last_fail, HEALTH_FAIL_REFUSED);
	assert_true(in.last_fail_at >= (int64_t)t0 &&
		    in.last_fail_at <= (int64_t)time(NULL));
	/* A nonzero return stops the walk and is returned. */
	assert_int_equal(health_each(f->h, stop_cb, &n_calls), -EINTR);
	assert_int_equal(n_calls, 1);
	/* Back: rise consecutive successes. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 64), 0);
	ms = run_until(f, HEALTH_UP, 3000);
	printf("health: TCP: member up %ld ms after restart\n", ms);
	assert_true(ms >= (T_RISE - 1) * T_DELAY_MS - 50 && ms <= 2000);
	close(fd);
	/* Up again: the successes count, the last failure is kept. */
	in = info_of(f);
	assert_true(in.n_ok >= T_RISE);
	assert_int_equal(in.n_fail, 0);
	assert_true(in.has_fail);
	assert_int_equal(in.last_fail, HEALTH_FAIL_REFUSED);
	health_get_stats(f->h, &st);
	assert_true(st.fail[HEALTH_FAIL_REFUSED] >= T_FALL);
	assert_int_equal(health_get(f->h, "member-1"), HEALTH_UP);
	assert_int_equal(health_del(f->h, "member-1"), 0);
	assert_int_equal(health_get(f->h, "member-1"), HEALTH_UNKNOWN);
}

static void
test_http(void **state)
{
	struct fx *f = *state;
	struct health_target t;
	struct health_stats st;
	char port_s[16], path[128];
	int port = free_port(SOCK_STREAM);
	FILE *fp;
	char *argv[] = {"python3",     "-m",	 "http.server",
			port_s,	       "--bind", "127.0.0.1",
			"--directory", f->dir,	 NULL};

	snprintf(path, sizeof(path), "%s/healthz", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("ok\n", fp);
	fclose(fp);
	snprintf(port_s, sizeof(port_s), "%d", port);
	f->server = spawn(argv);
	wait_listen(port);
	/* A path that is 404: with expected 200 it is down at once. */
	target(&t, HEALTH_HTTP, port);
	snprintf(t.method, sizeof(t.method), "GET");
	snprintf(t.path, sizeof(t.path), "/missing");
	snprintf(t.codes, sizeof(t.codes), "200-204");
	assert_int_equal(health_set(f->h, &t), 0);
	assert_true(run_until(f, HEALTH_DOWN, 3000) >= 0);
	health_get_stats(f->h, &st);
	assert_true(st.fail[HEALTH_FAIL_HTTP_CODE] >= 1);
	/* ... and up with expected 404 (a list), same member. */
	snprintf(t.codes, sizeof(t.codes), "200,404");
	assert_int_equal(health_set(f->h, &t), 0);
	assert_true(run_until(f, HEALTH_UP, 3000) >= 0);
	/* The real path. */
	snprintf(t.path, sizeof(t.path), "/healthz");
	snprintf(t.codes, sizeof(t.codes), "200");
	assert_int_equal(health_set(f->h, &t), 0);
	check_down(f, "HTTP");
}

/*
 * A child answering each connection 200 when the request is HTTP/1.1
 * "GET /h" with "Host: app.example", 400 otherwise (as a name-based
 * virtual host that wants HTTP/1.1 would). Ends itself after 20 s.
 */
static pid_t
http11_server(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid > 0) {
		close(fd);
		return pid;
	}
	alarm(20);
	for (;;) {
		static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: "
					 "0\r\nConnection: close\r\n\r\n";
		static const char bad[] = "HTTP/1.1 400 Bad Request\r\n"
					  "Content-Length: 0\r\n\r\n";
		char req[1024];
		size_t n = 0;
		ssize_t r;
		int c = accept(fd, NULL, NULL);
		bool is_ok;

		if (c < 0)
			_exit(0);
		while (n < sizeof(req) - 1 &&
		       (r = read(c, req + n, sizeof(req) - 1 - n)) > 0) {
			n += (size_t)r;
			req[n] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL)
				break;
		}
		req[n] = '\0';
		is_ok = strncmp(req, "GET /h HTTP/1.1\r\n", 17) == 0 &&
			strstr(req, "\r\nHost: app.example\r\n") != NULL;
		if (write(c, is_ok ? ok : bad,
			  is_ok ? sizeof(ok) - 1 : sizeof(bad) - 1) < 0)
			_exit(1);
		close(c);
	}
}

/* http_version 1.1 and domain_name reach the request line and Host. */
static void
test_http11(void **state)
{
	struct fx *f = *state;
	struct health_target t;
	int port = free_port(SOCK_STREAM);

	f->server = http11_server(port);
	target(&t, HEALTH_HTTP, port);
	snprintf(t.method, sizeof(t.method), "GET");
	snprintf(t.path, sizeof(t.path), "/h");
	snprintf(t.codes, sizeof(t.codes), "200");
	snprintf(t.host, sizeof(t.host), "app.example");
	/* HTTP/1.0 (the default): 400 from this server, down. */
	assert_int_equal(health_set(f->h, &t), 0);
	assert_true(run_until(f, HEALTH_DOWN, 3000) >= 0);
	t.http_minor = 1;
	assert_int_equal(health_set(f->h, &t), 0);
	check_down(f, "HTTP/1.1");
}

static void
make_cert(struct fx *f, char *cert, char *key, size_t len)
{
	char cmd[512];

	snprintf(cert, len, "%s/cert.pem", f->dir);
	snprintf(key, len, "%s/key.pem", f->dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt "
		 "ec_paramgen_curve:prime256v1 -nodes -subj /CN=member -days 1 "
		 "-keyout %s -out %s >/dev/null 2>&1",
		 key, cert);
	assert_int_equal(system(cmd), 0);
}

static void
run_tls(struct fx *f, enum health_type type, const char *what)
{
	struct health_target t;
	char cert[128], key[128], accept[32];
	int port = free_port(SOCK_STREAM);
	char *argv[] = {"openssl", "s_server", "-accept", accept,
			"-cert",   cert,       "-key",	  key,
			"-www",	   "-quiet",   NULL};

	make_cert(f, cert, key, sizeof(cert));
	snprintf(accept, sizeof(accept), "127.0.0.1:%d", port);
	f->server = spawn(argv);
	wait_listen(port);
	target(&t, type, port);
	snprintf(t.path, sizeof(t.path), "/");
	snprintf(t.codes, sizeof(t.codes), "200");
	snprintf(t.host, sizeof(t.host), "member.example");
	assert_int_equal(health_set(f->h, &t), 0);
	check_down(f, what);
}

static void
test_https(void **state)
{
	run_tls(*state, HEALTH_HTTPS, "HTTPS");
}

static void
test_tls_hello(void **state)
{
	run_tls(*state, HEALTH_TLS_HELLO, "TLS-HELLO");
}

static void
test_udp(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct health_target t;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), port = free_port(SOCK_DGRAM);
	long ms;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	target(&t, HEALTH_UDP_CONNECT, port);
	assert_int_equal(health_set(f->h, &t), 0);
	/* A bound socket that never answers: silence is up. */
	assert_true(run_until(f, HEALTH_UP, 3000) >= 0);
	close(fd);
	ms = run_until(f, HEALTH_DOWN, T_BOUND_MS + 1000);
	printf("health: UDP-CONNECT: member down %ld ms after close (bound "
	       "%d ms)\n",
	       ms, T_BOUND_MS);
	assert_true(ms >= 0 && ms <= T_BOUND_MS);
}

static void
test_ping(void **state)
{
	struct fx *f = *state;
	struct health_target t;
	struct sockaddr_in *a = (struct sockaddr_in *)&t.addr;

	target(&t, HEALTH_PING, 0);
	assert_int_equal(health_set(f->h, &t), 0);
	if (run_until(f, HEALTH_UP, 3000) < 0) {
		struct health_stats st;

		health_get_stats(f->h, &st);
		if (st.fail[HEALTH_FAIL_SOCKET] > 0)
			skip(); /* no raw or ping socket allowed here */
		fail_msg("no echo reply from 127.0.0.1");
	}
	/*
	 * A second member on 127.0.0.2 (the only addresses a unit test may
	 * send to are loopback ones, which all answer: the down case of
	 * PING is in the netns test).
	 */
	snprintf(t.id, sizeof(t.id), "member-2");
	a->sin_addr.s_addr = htonl(0x7f000002);
	assert_int_equal(health_set(f->h, &t), 0);
	f->last = HEALTH_UNKNOWN;
	assert_true(run_until(f, HEALTH_UP, 3000) >= 0);
	assert_int_equal(health_get(f->h, "member-2"), HEALTH_UP);
	/* mark/sweep drops what was not set again. */
	health_mark(f->h);
	snprintf(t.id, sizeof(t.id), "member-1");
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(health_set(f->h, &t), 0);
	assert_int_equal(health_sweep(f->h), 1);
	assert_int_equal(health_get(f->h, "member-1"), HEALTH_UP);
	assert_int_equal(health_get(f->h, "member-2"), HEALTH_UNKNOWN);
}

/*
 * A new target is not DOWN after one failure: the first probes of a new
 * monitor may leave before their path exists. Nothing listens on the
 * port, so every probe is refused: UNKNOWN after the first, DOWN after
 * max_retries_down (fall) of them, never UP on the way.
 */
static void
test_unknown_needs_fall(void **state)
{
	struct fx *f = *state;
	struct health_target t;
	struct health_stats st;
	long ms;

	target(&t, HEALTH_TCP, free_port(SOCK_STREAM));
	assert_int_equal(health_set(f->h, &t), 0);
	assert_int_equal(run_until(f, HEALTH_DOWN, T_DELAY_MS / 2), -1);
	health_get_stats(f->h, &st);
	assert_true(st.fail[HEALTH_FAIL_REFUSED] >= 1);
	assert_int_equal(health_get(f->h, "member-1"), HEALTH_UNKNOWN);
	ms = run_until(f, HEALTH_DOWN, T_BOUND_MS + 1000);
	printf("health: new target down %ld ms after the first probe's "
	       "half-delay (fall %d, delay %d ms)\n",
	       ms, T_FALL, T_DELAY_MS);
	assert_true(ms >= 0);
	/*
	 * Probes at 0, delay, 2 x delay: the third refusal decides (not at
	 * 0, 2 x delay, 3 x delay, as when the first probe was activated as
	 * a timeout: 624 ms measured).
	 */
	assert_true(ms + T_DELAY_MS / 2 >= (T_FALL - 1) * T_DELAY_MS - 50);
	assert_true(ms + T_DELAY_MS / 2 <= (T_FALL - 1) * T_DELAY_MS + 150);
	health_get_stats(f->h, &st);
	assert_true(st.fail[HEALTH_FAIL_REFUSED] >= T_FALL);
	assert_int_equal(f->n_changes, 1);
}

/* A listening TCP socket on 127.0.0.1 that never answers; its port. */
static int
silent_listener(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* The loop held up: a callback that runs until an absolute time. */
static void
on_stall(evutil_socket_t fd, short what, void *arg)
{
	long until = *(long *)arg;

	(void)fd;
	(void)what;
	while (now_ms() < until)
		usleep(1000);
}

/* At (start + ms), hold the loop until (start + until_ms). */
static struct event *
stall_at(struct fx *f, long start, long ms, long *until)
{
	struct event *ev = evtimer_new(f->base, on_stall, until);
	struct timeval tv;
	long in = start + ms - now_ms();

	assert_non_null(ev);
	in = in > 0 ? in : 0;
	tv.tv_sec = in / 1000;
	tv.tv_usec = (in % 1000) * 1000;
	assert_int_equal(evtimer_add(ev, &tv), 0);
	return ev;
}

/* Accept the probe's connection on the listener and answer 200. */
static void
on_answer(evutil_socket_t fd, short what, void *arg)
{
	static const char ok[] = "HTTP/1.0 200 OK\r\n\r\n";
	int *c = arg;
	char req[512];

	(void)what;
	*c = accept(fd, NULL, NULL);
	assert_true(*c >= 0);
	if (recv(*c, req, sizeof(req), MSG_DONTWAIT) < 0)
		req[0] = '\0';
	assert_int_equal(send(*c, ok, sizeof(ok) - 1, 0), sizeof(ok) - 1);
}

/*
 * The answer is queued when the timeout runs: it came in time, the loop
 * had not read it yet. The loop is held (stall) past the deadline, so
 * the next pass finds both an answer timer (the server writing 200, due
 * 1 ms before the probe's deadline) and the deadline expired, and runs
 * them in that order, before it polls the socket again: the deadline
 * sees a timeout unless it reads the socket. One probe (delay 10 s),
 * fall 1: a counted timeout would take the member DOWN.
 */
static void
test_answer_at_deadline(void **state)
{
	struct fx *f = *state;
	struct health_target t;
	struct health_stats st;
	struct event *stall, *answer;
	struct timeval tv = {0, (T_TIMEOUT_MS - 1) * 1000};
	int port, c = -1, lfd = silent_listener(&port);
	long start, until;

	target(&t, HEALTH_HTTP, port);
	t.delay_ms = 10000;
	t.fall = 1;
	snprintf(t.path, sizeof(t.path), "/");
	snprintf(t.codes, sizeof(t.codes), "200");
	start = now_ms();
	assert_int_equal(health_set(f->h, &t), 0);
	answer = event_new(f->base, lfd, EV_TIMEOUT, on_answer, &c);
	assert_non_null(answer);
	assert_int_equal(event_add(answer, &tv), 0);
	/* Held from 120 ms to 10 ms past the deadline (lateness < 1/4). */
	until = start + T_TIMEOUT_MS + 10;
	stall = stall_at(f, start, T_TIMEOUT_MS - 30, &until);
	assert_true(run_until(f, HEALTH_UP, 1000) >= 0);
	health_get_stats(f->h, &st);
	printf("health: answer queued at the deadline: ok %lu (late_ok %lu), "
	       "timeouts %lu, starved %lu\n",
	       st.ok, st.late_ok, st.fail[HEALTH_FAIL_TIMEOUT], st.starved);
	assert_int_equal(st.ok, 1);
	assert_int_equal(st.late_ok, 1);
	assert_int_equal(st.fail[HEALTH_FAIL_TIMEOUT], 0);
	assert_int_equal(st.starved, 0);
	assert_int_equal(health_get(f->h, "member-1"), HEALTH_UP);
	event_free(stall);
	event_free(answer);
	if (c >= 0)
		close(c);
	close(lfd);
}

/*
 * A member that accepts and never answers, probed by a starved loop
 * (held 110 ms past each deadline, more than a quarter of the 150 ms
 * timeout): the first timeout is not counted (member still UNKNOWN with
 * fall 1), the second, as starved, is (DOWN): one excuse between two
 * successes, so a dead member is DOWN one delay later at most.
 */
static void
test_starved_timeout(void **state)
{
	struct fx *f = *state;
	struct health_target t;
	struct health_stats st;
	struct event *stall[2];
	int port, lfd = silent_listener(&port);
	long start, until[2];

	target(&t, HEALTH_HTTP, port);
	t.delay_ms = 400;
	t.fall = 1;
	snprintf(t.path, sizeof(t.path), "/");
	start = now_ms();
	assert_int_equal(health_set(f->h, &t), 0);
	until[0] = start + T_TIMEOUT_MS + 110;
	until[1] = start + 400 + T_TIMEOUT_MS + 110;
	stall[0] = stall_at(f, start, 100, &until[0]);
	stall[1] = stall_at(f, start, 500, &until[1]);
	/* After the first (starved) round, before the second probe. */
	assert_int_equal(run_until(f, HEALTH_DOWN, 350 - (now_ms() - start)),
			 -1);
	health_get_stats(f->h, &st);
	printf("health: starved round: starved %lu (lost %u ms of %d), "
	       "timeouts %lu\n",
	       st.starved, st.starved_ms_max, T_TIMEOUT_MS,
	       st.fail[HEALTH_FAIL_TIMEOUT]);
	assert_int_equal(st.starved, 1);
	assert_true(st.starved_ms_max >= 100);
	assert_int_equal(st.fail[HEALTH_FAIL_TIMEOUT], 0);
	assert_int_equal(health_get(f->h, "member-1"), HEALTH_UNKNOWN);
	/* The second round is starved too: counted this time. */
	assert_true(run_until(f, HEALTH_DOWN, 1000) >= 0);
	printf("health: starved again: DOWN %ld ms after the first probe\n",
	       now_ms() - start);
	health_get_stats(f->h, &st);
	assert_int_equal(st.starved, 1);
	assert_int_equal(st.fail[HEALTH_FAIL_TIMEOUT], 1);
	event_free(stall[0]);
	event_free(stall[1]);
	close(lfd);
}

/*
 * A member that accepts and never answers, on a loop that is not held:
 * each probe times out and counts, DOWN within delay x fall + timeout
 * (the bound of an idle prober; a busy machine may excuse one round,
 * still within T_BOUND_MS).
 */
static void
test_silent_down(void **state)
{
	struct fx *f = *state;
	struct health_target t;
	struct health_stats st;
	int port, lfd = silent_listener(&port);
	long ms;

	target(&t, HEALTH_HTTP, port);
	snprintf(t.path, sizeof(t.path), "/");
	assert_int_equal(health_set(f->h, &t), 0);
	ms = run_until(f, HEALTH_DOWN, T_BOUND_MS + 1000);
	health_get_stats(f->h, &st);
	printf("health: silent member down %ld ms after its first probe "
	       "(delay x fall + timeout %d ms, bound %d ms), starved %lu\n",
	       ms, T_DELAY_MS * (T_FALL - 1) + T_TIMEOUT_MS, T_BOUND_MS,
	       st.starved);
	assert_true(ms >= 0 && ms <= T_BOUND_MS);
	assert_true(st.fail[HEALTH_FAIL_TIMEOUT] >= T_FALL);
	assert_true(st.starved <= 1);
	close(lfd);
}

static void
test_bad_target(void **state)
{
	struct fx *f = *state;
	struct health_target t;

	target(&t, HEALTH_TCP, 80);
	t.delay_ms = 0;
	assert_int_equal(health_set(f->h, &t), -EINVAL);
	target(&t, HEALTH_TCP, 80);
	t.fall = 0;
	assert_int_equal(health_set(f->h, &t), -EINVAL);
	target(&t, HEALTH_TCP, 80);
	t.addr.ss_family = AF_UNIX;
	assert_int_equal(health_set(f->h, &t), -EINVAL);
	assert_int_equal(health_del(f->h, "nothing"), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_line),
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_bad_target, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_needs_fall, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_http, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http11, setup, teardown),
		cmocka_unit_test_setup_teardown(test_https, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_hello, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_at_deadline, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_starved_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_silent_down, setup,
						teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
