// SPDX-License-Identifier: BSD-2-Clause
/*
 * lb_netns_test.c: health probes from load balancers' service
 * namespaces (lb_netns.h), with overlapping member addresses. Root only
 * (exit 77 otherwise).
 *
 *   sluice-lb-A [eth0 10.99.0.2/24] ==veth== [lbv-A 10.99.0.5/24] lbt-mA
 *                                         http.server :8080 serves /a
 *   sluice-lb-B [eth0 10.99.0.2/24] ==veth== [lbv-B 10.99.0.5/24] lbt-mB
 *                                         http.server :8080 serves /b
 *
 * The same member address 10.99.0.5 is two different servers: probes
 * from A see /a and not /b, from B the reverse. PING 10.99.0.5 from A is
 * up, PING 10.99.0.6 (nobody) is down; stopping A's server takes its
 * member down within delay x max_retries_down + 1 s. Every namespace,
 * interface and process made here is removed at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
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
#include "lb_netns.h"

#define T_DELAY_MS 200
#define T_FALL 3
#define T_BOUND_MS (T_DELAY_MS * T_FALL + 1000)

struct side {
	char lb_id[40];
	char member_ns[32];
	char dir[64];
	struct lb_netns_config cfg;
	int ns_fd;
	bool is_made;
	pid_t server;
};

struct fx {
	struct event_base *base;
	struct health *h;
	struct side s[2];
};

static struct fx g_fx;

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void
server_stop(struct side *s)
{
	if (s->server > 0) {
		kill(s->server, SIGTERM);
		waitpid(s->server, NULL, 0);
		s->server = 0;
	}
}

static int
group_teardown(void **state)
{
	struct fx *f = &g_fx;
	int i;

	(void)state;
	health_destroy(f->h);
	f->h = NULL;
	if (f->base != NULL)
		event_base_free(f->base);
	f->base = NULL;
	for (i = 0; i < 2; i++) {
		struct side *s = &f->s[i];

		server_stop(s);
		if (s->ns_fd > 0)
			close(s->ns_fd);
		if (s->is_made)
			lb_netns_destroy(&s->cfg);
		if (s->member_ns[0] != '\0')
			sh("ip netns del %s 2>/dev/null", s->member_ns);
		if (s->dir[0] != '\0')
			sh("rm -rf %s", s->dir);
	}
	return 0;
}

static int
group_setup(void **state)
{
	struct fx *f = &g_fx;
	static const uint8_t lb_addr[4] = {10, 99, 0, 2};
	static const uint8_t gw[4] = {10, 99, 0, 1};
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct side *s = &f->s[i];
		char *argv[16], port[] = "8080", nsx[40];
		FILE *fp;

		snprintf(s->lb_id, sizeof(s->lb_id),
			 "%08x-0000-4000-8000-00000000000%d",
			 0x50000000u | ((unsigned)getpid() << 1) | (unsigned)i,
			 i);
		assert_int_equal(lb_netns_names(s->lb_id, &s->cfg), 0);
		s->cfg.family = AF_INET;
		memcpy(s->cfg.addr, lb_addr, 4);
		s->cfg.prefix_len = 24;
		s->cfg.has_gateway = true;
		memcpy(s->cfg.gateway, gw, 4);
		assert_int_equal(lb_netns_create(&s->cfg, &s->ns_fd), 0);
		s->is_made = true;
		/* The tenant side: the host end moved into a member ns. */
		snprintf(s->member_ns, sizeof(s->member_ns), "lbt-m%c-%d",
			 'A' + i, (int)getpid());
		if (sh("ip netns add %s && ip link set %s netns %s && "
		       "ip -n %s addr add 10.99.0.5/24 dev %s && "
		       "ip -n %s link set %s up && ip -n %s link set lo up",
		       s->member_ns, s->cfg.host_if, s->member_ns, s->member_ns,
		       s->cfg.host_if, s->member_ns, s->cfg.host_if,
		       s->member_ns) != 0)
			fail_msg("member namespace %s", s->member_ns);
		snprintf(s->dir, sizeof(s->dir), "/tmp/lb_netns_test.XXXXXX");
		assert_non_null(mkdtemp(s->dir));
		{
			char path[96];

			snprintf(path, sizeof(path), "%s/%c", s->dir, 'a' + i);
			fp = fopen(path, "w");
			assert_non_null(fp);
			fputs("ok\n", fp);
			fclose(fp);
		}
		snprintf(nsx, sizeof(nsx), "%s", s->member_ns);
		argv[0] = "ip";
		argv[1] = "netns";
		argv[2] = "exec";
		argv[3] = nsx;
		argv[4] = "python3";
		argv[5] = "-m";
		argv[6] = "http.server";
		argv[7] = port;
		argv[8] = "--bind";
		argv[9] = "10.99.0.5";
		argv[10] = "--directory";
		argv[11] = s->dir;
		argv[12] = NULL;
		s->server = fork();
		assert_true(s->server >= 0);
		if (s->server == 0) {
			int null = open("/dev/null", O_RDWR);

			dup2(null, 1);
			dup2(null, 2);
			execvp(argv[0], argv);
			_exit(127);
		}
	}
	f->base = event_base_new();
	assert_non_null(f->base);
	assert_int_equal(health_create(f->base, NULL, NULL, &f->h), 0);
	return 0;
}

static void
target(struct health_target *t, const char *id, enum health_type type,
       const char *addr, const char *path, int ns_fd)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&t->addr;

	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", id);
	t->type = type;
	a->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &a->sin_addr);
	a->sin_port = htons(8080);
	t->addr_len = sizeof(*a);
	t->delay_ms = T_DELAY_MS;
	t->timeout_ms = 150;
	t->rise = 1;
	t->fall = T_FALL;
	snprintf(t->path, sizeof(t->path), "%s", path);
	snprintf(t->codes, sizeof(t->codes), "200");
	t->netns_fd = ns_fd;
}

/* Run until id is in want; elapsed ms or -1. */
static long
run_until(const char *id, enum health_state want, long max_ms)
{
	struct fx *f = &g_fx;
	long start = now_ms();
	struct timeval tv = {0, 20000};

	while (now_ms() - start < max_ms) {
		if (health_get(f->h, id) == want)
			return now_ms() - start;
		event_base_loopexit(f->base, &tv);
		event_base_dispatch(f->base);
	}
	return -1;
}

static void
test_overlap(void **state)
{
	struct fx *f = &g_fx;
	struct health_target t;
	long ms;

	(void)state;
	target(&t, "A-a", HEALTH_HTTP, "10.99.0.5", "/a", f->s[0].ns_fd);
	assert_int_equal(health_set(f->h, &t), 0);
	target(&t, "A-b", HEALTH_HTTP, "10.99.0.5", "/b", f->s[0].ns_fd);
	assert_int_equal(health_set(f->h, &t), 0);
	target(&t, "B-b", HEALTH_HTTP, "10.99.0.5", "/b", f->s[1].ns_fd);
	assert_int_equal(health_set(f->h, &t), 0);
	target(&t, "B-a", HEALTH_HTTP, "10.99.0.5", "/a", f->s[1].ns_fd);
	assert_int_equal(health_set(f->h, &t), 0);
	target(&t, "A-ping", HEALTH_PING, "10.99.0.5", "", f->s[0].ns_fd);
	assert_int_equal(health_set(f->h, &t), 0);
	target(&t, "A-ping-none", HEALTH_PING, "10.99.0.6", "", f->s[0].ns_fd);
	assert_int_equal(health_set(f->h, &t), 0);
	/* python3 takes a moment to listen: allow 10 s. */
	assert_true(run_until("A-a", HEALTH_UP, 10000) >= 0);
	assert_true(run_until("B-b", HEALTH_UP, 10000) >= 0);
	assert_true(run_until("A-b", HEALTH_DOWN, 3000) >= 0);
	assert_true(run_until("B-a", HEALTH_DOWN, 3000) >= 0);
	assert_true(run_until("A-ping", HEALTH_UP, 3000) >= 0);
	assert_true(run_until("A-ping-none", HEALTH_DOWN, 3000) >= 0);
	printf("lb_netns: same member address 10.99.0.5, two servers: "
	       "probes from each namespace reach only their own\n");
	/* Stop A's server: A-a goes down within the bound, B-b stays up. */
	server_stop(&f->s[0]);
	ms = run_until("A-a", HEALTH_DOWN, T_BOUND_MS + 1000);
	printf("lb_netns: member down %ld ms after its server stopped "
	       "(bound %d ms)\n",
	       ms, T_BOUND_MS);
	assert_true(ms >= 0 && ms <= T_BOUND_MS);
	assert_int_equal(health_get(f->h, "B-b"), HEALTH_UP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overlap),
	};

	if (geteuid() != 0) {
		printf("SKIP: needs root (network namespaces)\n");
		return 77;
	}
	if (system("command -v ip >/dev/null && command -v python3 "
		   ">/dev/null") != 0) {
		printf("SKIP: needs ip and python3\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
