// SPDX-License-Identifier: BSD-2-Clause
/*
 * lb_health.c: what the health monitors know, for the operator of the
 * host (see lb_int.h): the counters of health.c (probes, successes,
 * failures by reason, late successes, starved timeouts) and one entry
 * per probed member with its state, consecutive results and latest
 * failure. lbaas.c routes GET /v2.0/lbaas/sluice/health here after its
 * admin check; `sluicectl lb health` prints it. Read-only: it only reads
 * health.h, so a request never changes what is probed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lb_int.h"

/* Octavia's timestamp form (created_at): UTC, seconds. */
#define LB_HEALTH_TIME_FMT "%Y-%m-%dT%H:%M:%S"

/* The address of t as text, and its port (-1 for PING: no port). */
static void
lb_health_addr(const struct health_target *t, char *buf, size_t len, int *port)
{
	const void *a;

	if (t->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 =
			(const struct sockaddr_in6 *)&t->addr;

		a = &s6->sin6_addr;
		*port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 =
			(const struct sockaddr_in *)&t->addr;

		a = &s4->sin_addr;
		*port = ntohs(s4->sin_port);
	}
	if (inet_ntop(t->addr.ss_family, a, buf, (socklen_t)len) == NULL)
		buf[0] = '\0';
	if (t->type == HEALTH_PING)
		*port = -1;
}

/* When the latest failure was, or JSON null. New reference. */
static json_t *
lb_health_time(const struct health_info *in)
{
	time_t at = (time_t)in->last_fail_at;
	struct tm tm;
	char buf[32];

	if (!in->has_fail || gmtime_r(&at, &tm) == NULL ||
	    strftime(buf, sizeof(buf), LB_HEALTH_TIME_FMT, &tm) == 0)
		return json_null();
	return json_string(buf);
}

static int
lb_health_member_cb(void *arg, const struct health_info *in)
{
	json_t *members = arg, *m;
	char addr[INET6_ADDRSTRLEN];
	int port;

	lb_health_addr(in->t, addr, sizeof(addr), &port);
	m = json_pack(
		"{ss ss ss ss so ss sI sI so so}", "member_id", in->t->id,
		"pool_id", in->t->pool_id, "type",
		health_type_name(in->t->type), "address", addr, "protocol_port",
		port >= 0 ? json_integer(port) : json_null(), "state",
		health_state_name(in->state), "consecutive_successes",
		(json_int_t)in->n_ok, "consecutive_failures",
		(json_int_t)in->n_fail, "last_failure",
		in->has_fail ? json_string(health_fail_name(in->last_fail))
			     : json_null(),
		"last_failure_at", lb_health_time(in));
	if (m == NULL || json_array_append_new(members, m) != 0)
		return -ENOMEM;
	return 0;
}

static int
lb_health_cmp(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(lb_store_str(x, "pool_id"), lb_store_str(y, "pool_id"));

	return c != 0 ? c
		      : strcmp(lb_store_str(x, "member_id"),
			       lb_store_str(y, "member_id"));
}

/* The members in a stable order (the monitor keeps none). */
static json_t *
lb_health_sorted(json_t *members)
{
	size_t i, n = json_array_size(members);
	json_t **v = calloc(n > 0 ? n : 1, sizeof(*v));
	json_t *out = json_array();

	if (v == NULL || out == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		v[i] = json_array_get(members, i);
	qsort(v, n, sizeof(*v), lb_health_cmp);
	for (i = 0; i < n; i++) {
		if (json_array_append(out, v[i]) != 0)
			goto fail;
	}
	free(v);
	return out;

fail:
	json_decref(out);
	free(v);
	return NULL;
}

json_t *
lb_health_view(const struct lbaas *lb)
{
	struct health_stats st = {0};
	json_t *fails = json_object(), *members = json_array(), *sorted = NULL;
	json_t *out = NULL;
	int i;

	if (fails == NULL || members == NULL)
		goto out;
	if (lb->health != NULL) {
		health_get_stats(lb->health, &st);
		if (health_each(lb->health, lb_health_member_cb, members) != 0)
			goto out;
	}
	for (i = 0; i < HEALTH_FAIL__COUNT; i++) {
		if (json_object_set_new(
			    fails, health_fail_name((enum health_fail)i),
			    json_integer((json_int_t)st.fail[i])) != 0)
			goto out;
	}
	sorted = lb_health_sorted(members);
	if (sorted == NULL)
		goto out;
	out = json_pack("{s{sb sI sI sI sI sI sO sO}}", "health", "running",
			lb->health != NULL, "probes", (json_int_t)st.probes,
			"ok", (json_int_t)st.ok, "late_ok",
			(json_int_t)st.late_ok, "starved",
			(json_int_t)st.starved, "starved_ms_max",
			(json_int_t)st.starved_ms_max, "failures", fails,
			"members", sorted);
out:
	json_decref(sorted);
	json_decref(members);
	json_decref(fails);
	return out;
}
