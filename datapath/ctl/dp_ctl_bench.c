/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_ctl_bench.c: how fast rules go through the programming protocol: a
 * client (dp_client.h) installs, dumps, replaces and deletes N exact /32
 * rules on a protocol server (dp_ctl.h) with the real pipeline, running
 * in a thread of this process over a temporary Unix socket. Each line
 * printed is one operation: what, rules, seconds, rules per second.
 *
 * usage: dp_ctl_bench [N_RULES]   (default 100000)
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dp_client.h"
#include "dp_ctl.h"

static atomic_bool is_stopping;

static void *
serve(void *arg)
{
	struct dp_ctl *ctl = arg;

	while (!atomic_load(&is_stopping))
		if (dp_ctl_poll(ctl, 10) < 0)
			break;
	return NULL;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
count(const struct dp_rule *r, const struct dp_rule_stats *st, void *arg)
{
	(void)r;
	(void)st;
	(*(size_t *)arg)++;
	return 0;
}

static void
report(const char *what, size_t n, double t)
{
	printf("op=%s rules=%zu seconds=%.3f rules_per_s=%.0f\n", what, n, t,
	       (double)n / t);
}

static int
run(struct dp_client *c, struct dp_rule *rules, size_t n)
{
	size_t got = 0;
	double t;

	t = now();
	if (dp_client_flow_begin(c) < 0 ||
	    dp_client_flow_add(c, rules, n) < 0 || dp_client_flow_commit(c) < 0)
		return -1;
	report("install", n, now() - t);
	t = now();
	if (dp_client_flow_dump(c, -1, 0, 0, count, &got) < 0 || got != n)
		return -1;
	report("dump", n, now() - t);
	for (size_t i = 0; i < n; i++)
		rules[i].cookie = 2;
	t = now();
	if (dp_client_flow_begin(c) < 0 ||
	    dp_client_flow_del_cookie(c, -1, 1, ~0ull) < 0 ||
	    dp_client_flow_add(c, rules, n) < 0 || dp_client_flow_commit(c) < 0)
		return -1;
	report("replace", n, now() - t);
	t = now();
	if (dp_client_flow_del_cookie(c, -1, 2, ~0ull) < 0)
		return -1;
	report("delete", n, now() - t);
	return 0;
}

int
main(int argc, char **argv)
{
	struct dp_pipeline_config cfg = {.n_workers = 1};
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000;
	char dir[] = "/tmp/dp_ctl_bench.XXXXXX", path[64], err[256];
	struct dp_pipeline *pl = NULL;
	struct dp_ctl *ctl = NULL;
	struct dp_client *c = NULL;
	struct dp_rule *rules;
	pthread_t th;
	int rc = 1;

	rules = calloc(n ? n : 1, sizeof(*rules));
	if (rules == NULL || mkdtemp(dir) == NULL)
		return 1;
	for (size_t i = 0; i < n; i++) {
		struct dp_rule *r = &rules[i];

		r->cookie = 1;
		r->priority = 10;
		r->match.eth_type = htons(0x0800);
		r->mask.eth_type = 0xffff;
		r->match.nw_dst = htonl(0x0a000000u + (uint32_t)i);
		r->mask.nw_dst = 0xffffffffu;
		r->n_actions = 1;
		r->actions[0].type = DP_ACT_OUTPUT;
		r->actions[0].u.port = 2;
	}
	snprintf(path, sizeof(path), "%s/dp.sock", dir);
	if (dp_pipeline_create(&cfg, &pl) < 0 ||
	    dp_ctl_create(path, pl, NULL, &ctl) < 0)
		goto out;
	if (pthread_create(&th, NULL, serve, ctl) != 0)
		goto out;
	if (dp_client_connect(path, &c, err, sizeof(err)) == 0) {
		dp_client_set_timeout(c, 0);
		rc = run(c, rules, n) < 0 ? 1 : 0;
		if (rc != 0)
			fprintf(stderr, "dp_ctl_bench: %s\n",
				dp_client_error(c));
		dp_client_close(c);
	} else {
		fprintf(stderr, "dp_ctl_bench: %s\n", err);
	}
	atomic_store(&is_stopping, true);
	pthread_join(th, NULL);
out:
	dp_ctl_destroy(ctl);
	dp_pipeline_destroy(pl);
	rmdir(dir);
	free(rules);
	return rc;
}
