// SPDX-License-Identifier: BSD-2-Clause
/*
 * lb_driver_test.c: the LB datapath driver (lbaas/lb_driver.c) over the
 * Octavia API (api_handle(), in-memory store) with fake datapath ops: the
 * pool built per (listener, pool) (algorithm, persistence, VIP source,
 * members' weight/backup/admin state), no resend when nothing changed,
 * deletion with the objects, and provisioning_status ACTIVE/ERROR from
 * the datapath's answer; an IPv6 load balancer's pool (IPv6 flag, VIP
 * source, IPv6 members) and its VIP for the flow rules.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "api.h"
#include "lb_driver.h"
#include "lbaas.h"
#include "store.h"

struct fx {
	struct store *st;
	struct ctl *ctl;
	struct lbaas *lb;
	struct api *api;
	struct api_config cfg;
	struct lb_driver *d;
	char net[40];
	char subnet[40];
	/* The fake datapath. */
	int n_set, n_del, refuse;
	struct dp_lb_pool last;
	struct dp_lb_member m[8];
	int n_set6;
	struct dp_lb_pool last6;
	struct dp_lb_member6 m6[8];
	uint32_t last_del;
	/* The VIP hook (lb_driver_set_vip_fn). */
	int n_vip_calls;
	size_t n_vips;
	struct lb_driver_vip vip;
};

static int
fake_set(void *arg, const struct dp_lb_pool *p, const struct dp_lb_member *m)
{
	struct fx *f = arg;

	if (f->refuse != 0)
		return f->refuse;
	f->n_set++;
	f->last = *p;
	memset(f->m, 0, sizeof(f->m));
	if (p->n_members > 0)
		memcpy(f->m, m,
		       (p->n_members < 8 ? p->n_members : 8) * sizeof(*m));
	return 0;
}

static int
fake_set6(void *arg, const struct dp_lb_pool *p, const struct dp_lb_member6 *m)
{
	struct fx *f = arg;

	if (f->refuse != 0)
		return f->refuse;
	f->n_set6++;
	f->last6 = *p;
	memset(f->m6, 0, sizeof(f->m6));
	if (p->n_members > 0)
		memcpy(f->m6, m,
		       (p->n_members < 8 ? p->n_members : 8) * sizeof(*m));
	return 0;
}

static int
fake_del(void *arg, uint32_t id)
{
	struct fx *f = arg;

	f->n_del++;
	f->last_del = id;
	return 0;
}

static int
fake_stats(void *arg, uint32_t id, struct dp_lb_pool_stats *out)
{
	(void)arg;
	memset(out, 0, sizeof(*out));
	out->id = id;
	out->bytes = 1000;
	out->bytes_rpl = 600;
	out->active = 2;
	out->total = 7;
	out->no_member = 1;
	return 0;
}

static int
req(struct fx *f, const char *method, const char *path, const char *body,
    json_t **out)
{
	struct query_arg arg;
	struct http_request r;
	struct http_response resp = {0};
	char buf[256], *q, *eq;
	int status;

	memset(&r, 0, sizeof(r));
	snprintf(buf, sizeof(buf), "%s", path);
	q = strchr(buf, '?');
	if (q != NULL) { /* one "k=v" */
		*q++ = '\0';
		eq = strchr(q, '=');
		if (eq != NULL)
			*eq++ = '\0';
		arg.key = q;
		arg.value = eq != NULL ? eq : "";
		r.args = &arg;
		r.n_args = 1;
	}
	r.method = method;
	r.path = buf;
	r.host = "127.0.0.1:9876";
	r.body = body ? body : "";
	r.body_len = body ? strlen(body) : 0;
	api_handle(f->api, &r, &resp);
	status = resp.status;
	if (out != NULL)
		*out = resp.body ? json_loads(resp.body, 0, NULL) : NULL;
	free(resp.body);
	return status;
}

static void
create_id(struct fx *f, const char *path, const char *key, char *id,
	  const char *body)
{
	json_t *j = NULL;

	assert_int_equal(req(f, "POST", path, body, &j), 201);
	snprintf(id, 40, "%s",
		 json_string_value(
			 json_object_get(json_object_get(j, key), "id")));
	json_decref(j);
}

/* provisioning_status of an object at path, key its singular. */
static void
assert_prov(struct fx *f, const char *path, const char *key, const char *want)
{
	json_t *j = NULL;

	assert_int_equal(req(f, "GET", path, NULL, &j), 200);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(j, key),
						  "provisioning_status")),
		want);
	json_decref(j);
}

static void
assert_stats(struct fx *f, const char *path)
{
	json_t *j = NULL, *o;

	assert_int_equal(req(f, "GET", path, NULL, &j), 200);
	o = json_object_get(j, "stats");
	/* Both directions counted together, the replies apart. */
	assert_int_equal(json_integer_value(json_object_get(o, "bytes_in")),
			 400);
	assert_int_equal(json_integer_value(json_object_get(o, "bytes_out")),
			 600);
	assert_int_equal(
		json_integer_value(json_object_get(o, "active_connections")),
		2);
	assert_int_equal(
		json_integer_value(json_object_get(o, "total_connections")), 7);
	assert_int_equal(
		json_integer_value(json_object_get(o, "request_errors")), 1);
	json_decref(j);
}

/* The driver over the fake datapath (f->d). */
static void
driver_start(struct fx *f)
{
	struct lb_driver_ops ops = {0};

	ops.pool_set = fake_set;
	ops.pool_set6 = fake_set6;
	ops.pool_del = fake_del;
	ops.pool_stats = fake_stats;
	ops.arg = f;
	assert_int_equal(lb_driver_create(f->lb, NULL, NULL, &ops, &f->d), 0);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char body[256];

	assert_non_null(f);
	assert_int_equal(store_open(":memory:", &f->st), 0);
	assert_int_equal(ctl_create(f->st, &f->ctl), 0);
	assert_int_equal(lbaas_create(f->ctl, &f->lb), 0);
	f->cfg.auth = API_AUTH_NONE;
	f->cfg.default_project = "admin";
	f->cfg.self_url = "http://127.0.0.1:9876";
	f->cfg.lbaas = f->lb;
	assert_int_equal(api_create(f->ctl, &f->cfg, &f->api), 0);
	driver_start(f);
	*state = f;
	create_id(f, "/v2.0/networks", "network", f->net,
		  "{\"network\":{\"name\":\"n1\"}}");
	snprintf(body, sizeof(body),
		 "{\"subnet\":{\"network_id\":\"%s\",\"ip_version\":"
		 "4,\"cidr\":\"10.0.0.0/24\"}}",
		 f->net);
	create_id(f, "/v2.0/subnets", "subnet", f->subnet, body);
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	lb_driver_destroy(f->d);
	api_destroy(f->api);
	lbaas_destroy(f->lb);
	ctl_destroy(f->ctl);
	store_close(f->st);
	free(f);
	return 0;
}

/*
 * On load balancer lb: a TCP listener on port (id into l) with a pool of
 * alg (id into p) and a member at 10.0.0.<host>:8080 with the extra JSON
 * fields more ("" or ",...") (id into m).
 */
static void
make_listener(struct fx *f, const char *lb, int port, const char *alg, char *l,
	      char *p, int host, const char *more, char *m)
{
	char body[512], path[160];

	snprintf(body, sizeof(body),
		 "{\"listener\":{\"loadbalancer_id\":\"%s\",\"protocol\":"
		 "\"TCP\",\"protocol_port\":%d}}",
		 lb, port);
	create_id(f, "/v2.0/lbaas/listeners", "listener", l, body);
	snprintf(body, sizeof(body),
		 "{\"pool\":{\"protocol\":\"TCP\",\"listener_id\":\"%s\","
		 "\"lb_algorithm\":\"%s\"}}",
		 l, alg);
	create_id(f, "/v2.0/lbaas/pools", "pool", p, body);
	snprintf(path, sizeof(path), "/v2.0/lbaas/pools/%s/members", p);
	snprintf(body, sizeof(body),
		 "{\"member\":{\"address\":\"10.0.0.%d\",\"subnet_id\":"
		 "\"%s\",\"protocol_port\":8080%s}}",
		 host, f->subnet, more);
	create_id(f, path, "member", m, body);
}

/* LB 10.0.0.100, TCP listener 80, pool alg, members .11 w1, .12 w2. */
static void
make_stack(struct fx *f, const char *alg, char *lb, char *l, char *p, char *m1,
	   char *m2)
{
	char body[512], path[160];

	snprintf(body, sizeof(body),
		 "{\"loadbalancer\":{\"name\":\"lb1\",\"vip_subnet_id\":"
		 "\"%s\",\"vip_address\":\"10.0.0.100\"}}",
		 f->subnet);
	create_id(f, "/v2.0/lbaas/loadbalancers", "loadbalancer", lb, body);
	make_listener(f, lb, 80, alg, l, p, 11, "", m1);
	snprintf(path, sizeof(path), "/v2.0/lbaas/pools/%s/members", p);
	snprintf(body, sizeof(body),
		 "{\"member\":{\"address\":\"10.0.0.12\",\"subnet_id\":"
		 "\"%s\",\"protocol_port\":8080,\"weight\":2,\"backup\":"
		 "true}}",
		 f->subnet);
	create_id(f, path, "member", m2, body);
}

static void
test_pool_built(void **state)
{
	struct fx *f = *state;
	char lb[40], l[40], p[40], m1[40], m2[40], path[200];
	struct lb_driver_pool_info info;

	make_stack(f, "LEAST_CONNECTIONS", lb, l, p, m1, m2);
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(f->n_set, 1);
	assert_int_equal(f->last.alg, DP_LB_LEAST_CONNECTIONS);
	assert_int_equal(f->last.n_members, 2);
	assert_int_equal(f->last.src_addr, inet_addr("10.0.0.100"));
	assert_int_equal(f->last.persist_timeout, 0);
	assert_int_equal(f->m[0].addr, inet_addr("10.0.0.11"));
	assert_int_equal(f->m[0].port, htons(8080));
	assert_int_equal(f->m[0].weight, 1);
	assert_int_equal(f->m[0].flags, DP_LB_M_UP);
	assert_int_equal(f->m[1].weight, 2);
	assert_int_equal(f->m[1].flags, DP_LB_M_UP | DP_LB_M_BACKUP);
	assert_int_equal(lb_driver_pool_find(f->d, l, p, &info), 0);
	assert_int_equal(info.dp_id, f->last.id);
	assert_int_equal(info.n_up, 2);
	/* Stats of the LB and of its listener: the datapath's counters. */
	snprintf(path, sizeof(path), "/v2.0/lbaas/loadbalancers/%s/stats", lb);
	assert_stats(f, path);
	snprintf(path, sizeof(path), "/v2.0/lbaas/listeners/%s/stats", l);
	assert_stats(f, path);
	/* Nothing changed: nothing sent. */
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(f->n_set, 1);
	/* Weight 0 drains; admin down takes the UP flag away. */
	snprintf(path, sizeof(path), "/v2.0/lbaas/pools/%s/members/%s", p, m1);
	assert_int_equal(
		req(f, "PUT", path, "{\"member\":{\"weight\":0}}", NULL), 202);
	snprintf(path, sizeof(path), "/v2.0/lbaas/pools/%s/members/%s", p, m2);
	assert_int_equal(req(f, "PUT", path,
			     "{\"member\":{\"admin_state_up\":false}}", NULL),
			 202);
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(f->n_set, 2);
	assert_int_equal(f->m[0].weight, 0);
	assert_int_equal(f->m[1].flags, DP_LB_M_BACKUP);
	assert_int_equal(lb_driver_pool_find(f->d, l, p, &info), 0);
	assert_int_equal(info.n_up, 0);
	/* SOURCE_IP persistence: the SOURCE_IP algorithm with a timeout. */
	snprintf(path, sizeof(path), "/v2.0/lbaas/pools/%s", p);
	assert_int_equal(req(f, "PUT", path,
			     "{\"pool\":{\"session_persistence\":{\"type\":"
			     "\"SOURCE_IP\",\"persistence_timeout\":60}}}",
			     NULL),
			 202);
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(f->last.alg, DP_LB_SOURCE_IP);
	assert_int_equal(f->last.persist_timeout, 60);
	/* Deleting the load balancer deletes the datapath pool. */
	snprintf(path, sizeof(path),
		 "/v2.0/lbaas/loadbalancers/%s?cascade=True", lb);
	assert_int_equal(req(f, "DELETE", path, NULL, NULL), 204);
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(f->n_del, 1);
	assert_int_equal(f->last_del, info.dp_id);
	assert_int_equal(lb_driver_pool_find(f->d, l, p, &info), -ENOENT);
}

/*
 * A restarted driver gives a pool the datapath id it had, also after
 * another pool made before it was deleted (ids are not handed out in
 * store order).
 */
static void
test_stable_ids(void **state)
{
	struct fx *f = *state;
	char lb[40], l[40], p[40], m1[40], m2[40], l2[40], p2[40], m3[40];
	char path[200];
	struct lb_driver_pool_info info;
	uint32_t id2;

	make_stack(f, "ROUND_ROBIN", lb, l, p, m1, m2);
	make_listener(f, lb, 81, "ROUND_ROBIN", l2, p2, 13, "", m3);
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(lb_driver_pool_find(f->d, l2, p2, &info), 0);
	id2 = info.dp_id;
	assert_int_equal(lb_driver_pool_find(f->d, l, p, &info), 0);
	assert_true(info.dp_id != id2);
	/* The first pool goes; sluiced restarts. */
	snprintf(path, sizeof(path), "/v2.0/lbaas/pools/%s", p);
	assert_int_equal(req(f, "DELETE", path, NULL, NULL), 204);
	assert_int_equal(lb_driver_sync(f->d), 0);
	lb_driver_destroy(f->d);
	driver_start(f);
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(lb_driver_pool_find(f->d, l2, p2, &info), 0);
	assert_int_equal(info.dp_id, id2);
	assert_int_equal(f->last.id, id2);
	assert_int_equal(lb_driver_pool_find(f->d, l, p, &info), -ENOENT);
}

/* Run sql on the fixture's store; the first column of its first row. */
static long long
sql(struct fx *f, const char *q)
{
	sqlite3_stmt *s;
	long long v = -1;

	assert_int_equal(sqlite3_prepare_v2(store_db(f->st), q, -1, &s, NULL),
			 SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/*
 * Datapath ids are stored (lb_dp_pools): a restart takes the stored id,
 * not the hash's; a new pool does not take an id a stored row holds (a
 * pool the pass has not met yet); rows no pool holds are swept after a
 * pass; a pool's row goes with it.
 */
static void
test_ids_stored(void **state)
{
	struct fx *f = *state;
	char lb[40], l[40], p[40], m1[40], m2[40], l2[40], p2[40], m3[40];
	char q[300];
	struct lb_driver_pool_info info;
	uint32_t s2, other;

	make_stack(f, "ROUND_ROBIN", lb, l, p, m1, m2);
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(lb_driver_pool_find(f->d, l, p, &info), 0);
	snprintf(q, sizeof(q),
		 "SELECT dp_id FROM lb_dp_pools WHERE listener_id='%s' AND"
		 " pool_id='%s'",
		 l, p);
	assert_int_equal(sql(f, q), info.dp_id);
	/* The stored id wins over the hash after a restart. */
	other = info.dp_id == 4000 ? 4001 : 4000;
	snprintf(q, sizeof(q), "UPDATE lb_dp_pools SET dp_id=%u", other);
	sql(f, q);
	lb_driver_destroy(f->d);
	driver_start(f);
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(lb_driver_pool_find(f->d, l, p, &info), 0);
	assert_int_equal(info.dp_id, other);
	assert_int_equal(f->last.id, other);
	/* A row of a pool not met yet holds the new pool's first choice. */
	make_listener(f, lb, 81, "ROUND_ROBIN", l2, p2, 13, "", m3);
	s2 = lb_driver_first_id(l2, p2);
	assert_true(s2 != other); /* one chance in 4095 */
	snprintf(q, sizeof(q),
		 "INSERT INTO lb_dp_pools VALUES('later-l', 'later-p', %u)",
		 s2);
	sql(f, q);
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(lb_driver_pool_find(f->d, l2, p2, &info), 0);
	assert_true(info.dp_id != s2);
	assert_true(info.dp_id != other);
	/* ... and, held by no pool after the pass, it is swept. */
	assert_int_equal(sql(f, "SELECT count(*) FROM lb_dp_pools WHERE"
				" listener_id='later-l'"),
			 0);
	assert_int_equal(sql(f, "SELECT count(*) FROM lb_dp_pools"), 2);
	/* A deleted pool's row goes with its datapath pool. */
	snprintf(q, sizeof(q), "/v2.0/lbaas/pools/%s", p);
	assert_int_equal(req(f, "DELETE", q, NULL, NULL), 204);
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(f->last_del, other);
	assert_int_equal(sql(f, "SELECT count(*) FROM lb_dp_pools"), 1);
	snprintf(q, sizeof(q),
		 "SELECT dp_id FROM lb_dp_pools WHERE listener_id='%s'", l2);
	assert_int_equal(sql(f, q), info.dp_id);
}

/* The listener's connection_limit reaches the datapath pool (-1: 0). */
static void
test_conn_limit(void **state)
{
	struct fx *f = *state;
	char lb[40], l[40], p[40], m1[40], m2[40], path[200];
	unsigned n;

	make_stack(f, "ROUND_ROBIN", lb, l, p, m1, m2);
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(f->last.conn_limit, 0); /* default -1 */
	n = f->n_set;
	snprintf(path, sizeof(path), "/v2.0/lbaas/listeners/%s", l);
	assert_int_equal(req(f, "PUT", path,
			     "{\"listener\":{\"connection_limit\":250}}", NULL),
			 202);
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(f->n_set, n + 1);
	assert_int_equal(f->last.conn_limit, 250);
	assert_int_equal(f->last.n_members, 2);
	assert_int_equal(req(f, "PUT", path,
			     "{\"listener\":{\"connection_limit\":-1}}", NULL),
			 202);
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(f->n_set, n + 2);
	assert_int_equal(f->last.conn_limit, 0);
}

static void
fake_vips(void *arg, const struct lb_driver_vip *v, size_t n)
{
	struct fx *f = arg;

	f->n_vip_calls++;
	f->n_vips = n;
	if (n > 0)
		f->vip = v[0];
}

/* The VIP hook: the LB's VIP port, address and listeners with pools. */
static void
test_vip_hook(void **state)
{
	struct fx *f = *state;
	char lb[40], l[40], p[40], m1[40], m2[40], path[200];
	uint8_t want[4] = {10, 0, 0, 100};

	lb_driver_set_vip_fn(f->d, fake_vips, f);
	make_stack(f, "ROUND_ROBIN", lb, l, p, m1, m2);
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(f->n_vip_calls, 1);
	assert_int_equal(f->n_vips, 1);
	assert_string_equal(f->vip.lb_id, lb);
	assert_true(strlen(f->vip.vip_port_id) > 0);
	assert_memory_equal(f->vip.vip, want, 4);
	assert_int_equal(f->vip.n_listeners, 1);
	assert_int_equal(f->vip.l[0].proto, IPPROTO_TCP);
	assert_int_equal(f->vip.l[0].port, 80);
	assert_int_equal(f->vip.l[0].dp_pool, f->last.id);
	/* Unchanged: not called again. */
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(f->n_vip_calls, 1);
	/* Gone: called with none. */
	snprintf(path, sizeof(path),
		 "/v2.0/lbaas/loadbalancers/%s?cascade=True", lb);
	assert_int_equal(req(f, "DELETE", path, NULL, NULL), 204);
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(f->n_vip_calls, 2);
	assert_int_equal(f->n_vips, 0);
}

/* PUT {"listener":body} on listener l, then a driver pass. */
static void
set_listener(struct fx *f, const char *l, const char *body)
{
	char path[200], doc[300];

	snprintf(path, sizeof(path), "/v2.0/lbaas/listeners/%s", l);
	snprintf(doc, sizeof(doc), "{\"listener\":%s}", body);
	assert_int_equal(req(f, "PUT", path, doc, NULL), 202);
	assert_int_equal(lb_driver_sync(f->d), 0);
}

/*
 * Listener timeouts to the pool: idle = the smaller of the two data
 * timeouts (Octavia's 50000 by default), connect = timeout_member_connect
 * (5000), a 0 one ignored; a change is sent again.
 */
static void
test_timeouts(void **state)
{
	struct fx *f = *state;
	char lb[40], l[40], p[40], m1[40], m2[40];

	make_stack(f, "ROUND_ROBIN", lb, l, p, m1, m2);
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(f->last.idle_timeout_ms, 50000);
	assert_int_equal(f->last.connect_timeout_ms, 5000);
	set_listener(f, l,
		     "{\"timeout_client_data\":2000,"
		     "\"timeout_member_connect\":1500}");
	assert_int_equal(f->last.idle_timeout_ms, 2000);
	assert_int_equal(f->last.connect_timeout_ms, 1500);
	set_listener(f, l,
		     "{\"timeout_client_data\":90000,"
		     "\"timeout_member_data\":70000}");
	assert_int_equal(f->last.idle_timeout_ms, 70000);
	set_listener(
		f, l,
		"{\"timeout_member_data\":0,\"timeout_member_connect\":0}");
	assert_int_equal(f->last.idle_timeout_ms, 90000);
	assert_int_equal(f->last.connect_timeout_ms, 0);
}

/*
 * allowed_cidrs to the VIP hook: IPv4 prefixes with host bits cleared,
 * IPv6 ones left out (the listener stays restricted: a list of IPv6
 * prefixes alone admits nobody), [] and null open; each change is given
 * to the hook again.
 */
static void
test_vip_cidrs(void **state)
{
	struct fx *f = *state;
	char lb[40], l[40], p[40], m1[40], m2[40];
	const uint8_t want0[4] = {10, 1, 0, 0}, want1[4] = {192, 0, 2, 7};
	int calls;

	lb_driver_set_vip_fn(f->d, fake_vips, f);
	make_stack(f, "ROUND_ROBIN", lb, l, p, m1, m2);
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_false(f->vip.l[0].is_restricted);
	assert_int_equal(f->vip.l[0].n_cidrs, 0);
	calls = f->n_vip_calls;
	set_listener(f, l,
		     "{\"allowed_cidrs\":[\"10.1.2.3/16\",\"fd00::/8\","
		     "\"192.0.2.7/32\"]}");
	assert_int_equal(f->n_vip_calls, calls + 1);
	assert_true(f->vip.l[0].is_restricted);
	assert_int_equal(f->vip.l[0].n_cidrs, 2);
	assert_memory_equal(f->vip.l[0].cidrs[0].addr, want0, 4);
	assert_int_equal(f->vip.l[0].cidrs[0].len, 16);
	assert_memory_equal(f->vip.l[0].cidrs[1].addr, want1, 4);
	assert_int_equal(f->vip.l[0].cidrs[1].len, 32);
	set_listener(f, l, "{\"allowed_cidrs\":[\"fd00::/8\"]}");
	assert_true(f->vip.l[0].is_restricted);
	assert_int_equal(f->vip.l[0].n_cidrs, 0);
	set_listener(f, l, "{\"allowed_cidrs\":[]}");
	assert_false(f->vip.l[0].is_restricted);
	set_listener(f, l, "{\"allowed_cidrs\":[\"0.0.0.0/0\"]}");
	assert_true(f->vip.l[0].is_restricted);
	assert_int_equal(f->vip.l[0].n_cidrs, 1);
	assert_int_equal(f->vip.l[0].cidrs[0].len, 0);
	set_listener(f, l, "{\"allowed_cidrs\":null}");
	assert_false(f->vip.l[0].is_restricted);
}

static void
test_provisioning(void **state)
{
	struct fx *f = *state;
	char lb[40], l[40], p[40], m1[40], m2[40], path[200];

	make_stack(f, "ROUND_ROBIN", lb, l, p, m1, m2);
	f->refuse = -EINVAL;
	assert_int_equal(lb_driver_sync(f->d), -EINVAL);
	snprintf(path, sizeof(path), "/v2.0/lbaas/loadbalancers/%s", lb);
	assert_prov(f, path, "loadbalancer", "ERROR");
	snprintf(path, sizeof(path), "/v2.0/lbaas/listeners/%s", l);
	assert_prov(f, path, "listener", "ERROR");
	snprintf(path, sizeof(path), "/v2.0/lbaas/pools/%s", p);
	assert_prov(f, path, "pool", "ERROR");
	snprintf(path, sizeof(path), "/v2.0/lbaas/pools/%s/members/%s", p, m1);
	assert_prov(f, path, "member", "ERROR");
	/* The datapath not running is no refusal: the status stays. */
	f->refuse = -ENOTCONN;
	assert_int_equal(lb_driver_sync(f->d), -ENOTCONN);
	assert_prov(f, path, "member", "ERROR");
	/* Accepted: ACTIVE everywhere. */
	f->refuse = 0;
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(f->last.alg, DP_LB_ROUND_ROBIN);
	assert_prov(f, path, "member", "ACTIVE");
	snprintf(path, sizeof(path), "/v2.0/lbaas/loadbalancers/%s", lb);
	assert_prov(f, path, "loadbalancer", "ACTIVE");
}

/*
 * An IPv6 load balancer: its pool goes through pool_set6 with the IPv6
 * flag, the VIP as source and the IPv6 members (weight, backup, admin
 * state); the VIP hook gives family 6 and the listener's IPv6 prefixes
 * (host bits cleared, IPv4 ones left out); stats are read as for IPv4.
 * An IPv4 load balancer beside it still goes through pool_set.
 */
static void
test_ipv6_pool(void **state)
{
	struct fx *f = *state;
	char sub6[40], lb[40], l[40], p[40], m[40], body[512], path[200];
	uint8_t vip[16], a11[16], a12[16], pfx[16] = {0};

	inet_pton(AF_INET6, "fd00:7::100", vip);
	inet_pton(AF_INET6, "fd00:7::11", a11);
	inet_pton(AF_INET6, "fd00:7::12", a12);
	inet_pton(AF_INET6, "fd00:7::", pfx);
	lb_driver_set_vip_fn(f->d, fake_vips, f);
	snprintf(body, sizeof(body),
		 "{\"subnet\":{\"network_id\":\"%s\",\"ip_version\":"
		 "6,\"cidr\":\"fd00:7::/64\"}}",
		 f->net);
	create_id(f, "/v2.0/subnets", "subnet", sub6, body);
	snprintf(body, sizeof(body),
		 "{\"loadbalancer\":{\"vip_subnet_id\":\"%s\","
		 "\"vip_address\":\"fd00:7::100\"}}",
		 sub6);
	create_id(f, "/v2.0/lbaas/loadbalancers", "loadbalancer", lb, body);
	snprintf(body, sizeof(body),
		 "{\"listener\":{\"loadbalancer_id\":\"%s\",\"protocol\":"
		 "\"TCP\",\"protocol_port\":80,\"allowed_cidrs\":"
		 "[\"fd00:7::1/64\",\"10.0.0.0/8\",\"fd00:8::/48\"]}}",
		 lb);
	create_id(f, "/v2.0/lbaas/listeners", "listener", l, body);
	snprintf(body, sizeof(body),
		 "{\"pool\":{\"protocol\":\"TCP\",\"listener_id\":\"%s\","
		 "\"lb_algorithm\":\"SOURCE_IP_PORT\"}}",
		 l);
	create_id(f, "/v2.0/lbaas/pools", "pool", p, body);
	snprintf(path, sizeof(path), "/v2.0/lbaas/pools/%s/members", p);
	create_id(f, path, "member", m,
		  "{\"member\":{\"address\":\"fd00:7::11\","
		  "\"protocol_port\":8080,\"weight\":3}}");
	create_id(f, path, "member", m,
		  "{\"member\":{\"address\":\"fd00:7::12\","
		  "\"protocol_port\":8081,\"backup\":true,"
		  "\"admin_state_up\":false}}");
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(f->n_set, 0);
	assert_int_equal(f->n_set6, 1);
	assert_int_equal(f->last6.flags & DP_LB_POOL_F_IPV6, DP_LB_POOL_F_IPV6);
	assert_int_equal(f->last6.src_addr, 0);
	assert_memory_equal(f->last6.src_addr6, vip, 16);
	assert_int_equal(f->last6.alg, DP_LB_SOURCE_IP_PORT);
	assert_int_equal(f->last6.n_members, 2);
	assert_memory_equal(f->m6[0].addr, a11, 16);
	assert_int_equal(ntohs(f->m6[0].port), 8080);
	assert_int_equal(f->m6[0].weight, 3);
	assert_int_equal(f->m6[0].flags, DP_LB_M_UP);
	assert_memory_equal(f->m6[1].addr, a12, 16);
	assert_int_equal(ntohs(f->m6[1].port), 8081);
	assert_int_equal(f->m6[1].flags, DP_LB_M_BACKUP);
	snprintf(path, sizeof(path), "/v2.0/lbaas/pools/%s/members/%s", p, m);
	assert_prov(f, path, "member", "ACTIVE");
	/* Unchanged: not sent again. */
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(f->n_set6, 1);
	/* The VIP for the flow rules. */
	assert_int_equal(f->n_vips, 1);
	assert_int_equal(f->vip.family, 6);
	assert_memory_equal(f->vip.vip, vip, 16);
	assert_int_equal(f->vip.n_listeners, 1);
	assert_true(f->vip.l[0].is_restricted);
	assert_int_equal(f->vip.l[0].n_cidrs, 2);
	assert_int_equal(f->vip.l[0].cidrs[0].len, 64);
	assert_memory_equal(f->vip.l[0].cidrs[0].addr, pfx, 16);
	inet_pton(AF_INET6, "fd00:8::", pfx);
	assert_int_equal(f->vip.l[0].cidrs[1].len, 48);
	assert_memory_equal(f->vip.l[0].cidrs[1].addr, pfx, 16);
	/* Stats as for IPv4. */
	snprintf(path, sizeof(path), "/v2.0/lbaas/loadbalancers/%s/stats", lb);
	assert_stats(f, path);
	/* An IPv4 load balancer beside it: pool_set, IPv4 source. */
	make_stack(f, "ROUND_ROBIN", lb, l, p, m, m);
	assert_int_equal(lb_driver_sync(f->d), 0);
	assert_int_equal(f->n_set, 1);
	assert_int_equal(f->n_set6, 1);
	assert_int_equal(f->last.flags, 0);
	assert_int_equal(f->last.src_addr, htonl(0x0a000064));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pool_built, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stable_ids, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ids_stored, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_provisioning, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vip_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conn_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_timeouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vip_cidrs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_pool, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
