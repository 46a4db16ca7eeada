// SPDX-License-Identifier: BSD-2-Clause
/*
 * lbaas_api_test.c: the Octavia v2 API (lbaas/) through api_handle() over
 * an in-memory store, without a socket: the object life cycle, the status
 * tree, the VIP port, every validation error (400 with a clear message
 * and nothing stored), 409 while PENDING_*, batch member update, cascade
 * delete, filters and pagination; the health counters endpoint
 * (GET /v2.0/lbaas/sluice/health) with the monitors running on a loop
 * against a TCP port on 127.0.0.1, and its admin check in token mode.
 * Runs under ASan/UBSan in the sanitizer build.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "api.h"
#include "health.h"
#include "lbaas.h"

struct fx {
	struct store *st;
	struct ctl *ctl;
	struct lbaas *lb;
	struct api *api;
	struct api_config cfg;
	struct event_base *base; /* test_health only */
	const char *token;	 /* X-Auth-Token of req(), or NULL */
	char net[40];
	char subnet[40];
	char subnet2[40];
};

/*
 * Send one request; path may hold "?k=v&k=v". Returns the status; *out
 * (may be NULL) gets the parsed body.
 */
static int
req(struct fx *f, const char *method, const char *path, const char *body,
    json_t **out)
{
	struct query_arg args[16];
	struct http_request r;
	struct http_response resp = {0};
	char buf[512], *q, *save = NULL, *kv;
	size_t n = 0;
	int status;

	snprintf(buf, sizeof(buf), "%s", path);
	q = strchr(buf, '?');
	if (q != NULL) {
		*q++ = '\0';
		for (kv = strtok_r(q, "&", &save); kv && n < 16;
		     kv = strtok_r(NULL, "&", &save)) {
			char *eq = strchr(kv, '=');

			if (eq != NULL)
				*eq = '\0';
			args[n].key = kv;
			args[n].value = eq ? eq + 1 : "";
			n++;
		}
	}
	memset(&r, 0, sizeof(r));
	r.method = method;
	r.path = buf;
	r.args = args;
	r.n_args = n;
	r.host = "127.0.0.1:9876";
	r.token = f->token;
	r.body = body ? body : "";
	r.body_len = body ? strlen(body) : 0;
	api_handle(f->api, &r, &resp);
	status = resp.status;
	if (out != NULL)
		*out = resp.body ? json_loads(resp.body, 0, NULL) : NULL;
	free(resp.body);
	return status;
}

/* req() with a printf-formatted body. */
static int reqf(struct fx *f, const char *method, const char *path,
		json_t **out, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int
reqf(struct fx *f, const char *method, const char *path, json_t **out,
     const char *fmt, ...)
{
	char body[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	return req(f, method, path, body, out);
}

/* POST and return the new object's id (static buffer per call site). */
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

static const char *
fault(json_t *j)
{
	assert_string_equal(json_string_value(json_object_get(j, "faultcode")),
			    "Client");
	return json_string_value(json_object_get(j, "faultstring"));
}

/* The number of objects in a list. */
static size_t
count(struct fx *f, const char *path, const char *key)
{
	json_t *j = NULL;
	size_t n;

	assert_int_equal(req(f, "GET", path, NULL, &j), 200);
	n = json_array_size(json_object_get(j, key));
	json_decref(j);
	return n;
}

/* A subnet of IP version v with cidr on network net; its id into id. */
static void
add_subnet(struct fx *f, const char *net, int v, const char *cidr, char *id)
{
	char body[256];

	snprintf(body, sizeof(body),
		 "{\"subnet\":{\"network_id\":\"%s\",\"ip_version\":%d,"
		 "\"cidr\":\"%s\"}}",
		 net, v, cidr);
	create_id(f, "/v2.0/subnets", "subnet", id, body);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(store_open(":memory:", &f->st), 0);
	assert_int_equal(ctl_create(f->st, &f->ctl), 0);
	assert_int_equal(lbaas_create(f->ctl, &f->lb), 0);
	f->cfg.auth = API_AUTH_NONE;
	f->cfg.default_project = "admin";
	f->cfg.self_url = "http://127.0.0.1:9876";
	f->cfg.lbaas = f->lb;
	assert_int_equal(api_create(f->ctl, &f->cfg, &f->api), 0);
	*state = f;
	create_id(f, "/v2.0/networks", "network", f->net,
		  "{\"network\":{\"name\":\"n1\"}}");
	add_subnet(f, f->net, 4, "10.0.0.0/24", f->subnet);
	add_subnet(f, f->net, 4, "10.0.1.0/24", f->subnet2);
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	api_destroy(f->api);
	lbaas_destroy(f->lb);
	if (f->base != NULL)
		event_base_free(f->base);
	ctl_destroy(f->ctl);
	store_close(f->st);
	free(f);
	return 0;
}

/* A load balancer, a TCP listener on 80 and a pool behind it. */
static void
make_stack(struct fx *f, char *lb, char *listener, char *pool)
{
	char body[512];

	snprintf(body, sizeof(body),
		 "{\"loadbalancer\":{\"name\":\"lb1\",\"vip_subnet_id\":"
		 "\"%s\",\"admin_state_up\":true}}",
		 f->subnet);
	create_id(f, "/v2.0/lbaas/loadbalancers", "loadbalancer", lb, body);
	snprintf(body, sizeof(body),
		 "{\"listener\":{\"loadbalancer_id\":\"%s\",\"name\":\"l1\","
		 "\"protocol\":\"TCP\",\"connection_limit\":\"1000\","
		 "\"protocol_port\":80}}",
		 lb);
	create_id(f, "/v2.0/lbaas/listeners", "listener", listener, body);
	snprintf(body, sizeof(body),
		 "{\"pool\":{\"name\":\"p1\",\"protocol\":\"TCP\","
		 "\"listener_id\":\"%s\",\"session_persistence\":{\"type\":"
		 "\"SOURCE_IP\"},\"lb_algorithm\":\"SOURCE_IP_PORT\"}}",
		 listener);
	create_id(f, "/v2.0/lbaas/pools", "pool", pool, body);
}

static void
test_lifecycle(void **state)
{
	struct fx *f = *state;
	char lb[40], l[40], p[40], m[40], hm[40], path[200];
	json_t *j = NULL, *o, *tree;

	make_stack(f, lb, l, p);
	/* The VIP is a port of the subnet held by device_owner Octavia. */
	snprintf(path, sizeof(path), "/v2.0/lbaas/loadbalancers/%s", lb);
	assert_int_equal(req(f, "GET", path, NULL, &j), 200);
	o = json_object_get(j, "loadbalancer");
	assert_string_equal(
		json_string_value(json_object_get(o, "vip_address")),
		"10.0.0.2");
	assert_string_equal(
		json_string_value(json_object_get(o, "provisioning_status")),
		"ACTIVE");
	assert_int_equal(json_array_size(json_object_get(o, "listeners")), 1);
	assert_int_equal(json_array_size(json_object_get(o, "pools")), 1);
	json_decref(j);
	assert_int_equal(count(f, "/v2.0/ports?device_owner=Octavia", "ports"),
			 1);
	assert_int_equal(req(f, "PUT", path,
			     "{\"loadbalancer\":{\"name\":\"lb1b\"}}", &j),
			 202);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(j, "loadbalancer"), "name")),
		"lb1b");
	json_decref(j);
	assert_int_equal(
		req(f, "PUT", path,
		    "{\"loadbalancer\":{\"vip_address\":\"10.0.0.9\"}}", NULL),
		400);
	/* The listener's string connection_limit became a number. */
	snprintf(path, sizeof(path), "/v2.0/lbaas/listeners/%s", l);
	assert_int_equal(req(f, "GET", path, NULL, &j), 200);
	o = json_object_get(j, "listener");
	assert_int_equal(
		json_integer_value(json_object_get(o, "connection_limit")),
		1000);
	assert_string_equal(
		json_string_value(json_object_get(o, "default_pool_id")), p);
	json_decref(j);
	/* A member with weight and backup. */
	snprintf(path, sizeof(path), "/v2.0/lbaas/pools/%s/members", p);
	assert_int_equal(reqf(f, "POST", path, &j,
			      "{\"member\":{\"name\":\"m1\",\"backup\":true,"
			      "\"weight\":10,\"address\":\"10.0.0.5\","
			      "\"subnet_id\":\"%s\",\"protocol_port\":8080}}",
			      f->subnet),
			 201);
	o = json_object_get(j, "member");
	snprintf(m, sizeof(m), "%s",
		 json_string_value(json_object_get(o, "id")));
	assert_true(json_is_true(json_object_get(o, "backup")));
	/* No monitor yet: NO_MONITOR, not ONLINE. */
	assert_string_equal(
		json_string_value(json_object_get(o, "operating_status")),
		"NO_MONITOR");
	json_decref(j);
	/* A health monitor. */
	assert_int_equal(
		reqf(f, "POST", "/v2.0/lbaas/healthmonitors", &j,
		     "{\"healthmonitor\":{\"pool_id\":\"%s\",\"name\":\"hm1\","
		     "\"delay\":5,\"expected_codes\":\"200-204\","
		     "\"http_method\":\"GET\",\"timeout\":3,\"max_retries\":3,"
		     "\"url_path\":\"/healthz\",\"type\":\"HTTP\","
		     "\"max_retries_down\":2,\"admin_state_up\":true}}",
		     p),
		201);
	snprintf(hm, sizeof(hm), "%s",
		 json_string_value(json_object_get(
			 json_object_get(j, "healthmonitor"), "id")));
	json_decref(j);
	/* Monitored but not probed (no loop here): OFFLINE, never ONLINE. */
	snprintf(path, sizeof(path), "/v2.0/lbaas/pools/%s/members/%s", p, m);
	assert_int_equal(req(f, "GET", path, NULL, &j), 200);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(j, "member"),
						  "operating_status")),
		"OFFLINE");
	json_decref(j);
	/* Update: 202 with the object. */
	assert_int_equal(req(f, "PUT", path, "{\"member\":{\"weight\":0}}", &j),
			 202);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(j, "member"), "weight")),
			 0);
	json_decref(j);
	/* The status tree. */
	snprintf(path, sizeof(path), "/v2.0/lbaas/loadbalancers/%s/status", lb);
	assert_int_equal(req(f, "GET", path, NULL, &j), 200);
	tree = json_object_get(json_object_get(j, "statuses"), "loadbalancer");
	o = json_array_get(json_object_get(tree, "listeners"), 0);
	assert_string_equal(json_string_value(json_object_get(o, "id")), l);
	o = json_array_get(json_object_get(o, "pools"), 0);
	assert_string_equal(json_string_value(json_object_get(o, "id")), p);
	assert_int_equal(json_array_size(json_object_get(o, "members")), 1);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(o, "health_monitor"), "id")),
		hm);
	json_decref(j);
	snprintf(path, sizeof(path), "/v2.0/lbaas/loadbalancers/%s/stats", lb);
	assert_int_equal(req(f, "GET", path, NULL, &j), 200);
	assert_non_null(json_object_get(json_object_get(j, "stats"),
					"active_connections"));
	json_decref(j);
	snprintf(path, sizeof(path), "/v2.0/lbaas/loadbalancers/%s/failover",
		 lb);
	assert_int_equal(req(f, "PUT", path, NULL, NULL), 202);
	/* Delete without cascade: 400; with: everything goes, VIP too. */
	snprintf(path, sizeof(path), "/v2.0/lbaas/loadbalancers/%s", lb);
	assert_int_equal(req(f, "DELETE", path, NULL, &j), 400);
	assert_non_null(strstr(fault(j), "children"));
	json_decref(j);
	snprintf(path, sizeof(path),
		 "/v2.0/lbaas/loadbalancers/%s?cascade=True", lb);
	assert_int_equal(req(f, "DELETE", path, NULL, NULL), 204);
	assert_int_equal(count(f, "/v2.0/lbaas/loadbalancers", "loadbalancers"),
			 0);
	assert_int_equal(count(f, "/v2.0/lbaas/pools", "pools"), 0);
	assert_int_equal(
		count(f, "/v2.0/lbaas/healthmonitors", "healthmonitors"), 0);
	assert_int_equal(count(f, "/v2.0/ports?device_owner=Octavia", "ports"),
			 0);
}

/* Expect a 400 whose faultstring contains want. */
static void
bad(struct fx *f, const char *path, const char *body, const char *want)
{
	json_t *j = NULL;
	int st = req(f, "POST", path, body, &j);

	if (st != 400 || strstr(fault(j), want) == NULL)
		fail_msg("POST %s %s: %d %s (want 400 '%s')", path, body, st,
			 json_string_value(json_object_get(j, "faultstring")),
			 want);
	json_decref(j);
}

static void
test_errors(void **state)
{
	struct fx *f = *state;
	char lb[40], l[40], p[40], path[200], body[600];
	json_t *j = NULL;

	make_stack(f, lb, l, p);
	snprintf(body, sizeof(body),
		 "{\"listener\":{\"loadbalancer_id\":\"%s\",\"protocol\":"
		 "\"HTTP\",\"protocol_port\":81}}",
		 lb);
	bad(f, "/v2.0/lbaas/listeners", body,
	    "protocol HTTP is not supported by the sluice provider");
	snprintf(body, sizeof(body),
		 "{\"listener\":{\"loadbalancer_id\":\"%s\",\"protocol\":"
		 "\"TERMINATED_HTTPS\",\"protocol_port\":443}}",
		 lb);
	bad(f, "/v2.0/lbaas/listeners", body,
	    "protocol TERMINATED_HTTPS is not supported");
	/* Same port again: 409. */
	snprintf(body, sizeof(body),
		 "{\"listener\":{\"loadbalancer_id\":\"%s\",\"protocol\":"
		 "\"TCP\",\"protocol_port\":80}}",
		 lb);
	assert_int_equal(req(f, "POST", "/v2.0/lbaas/listeners", body, NULL),
			 409);
	assert_int_equal(count(f, "/v2.0/lbaas/listeners", "listeners"), 1);
	snprintf(body, sizeof(body),
		 "{\"pool\":{\"loadbalancer_id\":\"%s\",\"protocol\":\"TCP\","
		 "\"lb_algorithm\":\"RANDOM\"}}",
		 lb);
	bad(f, "/v2.0/lbaas/pools", body, "lb_algorithm");
	snprintf(body, sizeof(body),
		 "{\"pool\":{\"loadbalancer_id\":\"%s\",\"protocol\":\"TCP\","
		 "\"lb_algorithm\":\"ROUND_ROBIN\",\"session_persistence\":"
		 "{\"type\":\"HTTP_COOKIE\"}}}",
		 lb);
	bad(f, "/v2.0/lbaas/pools", body,
	    "HTTP_COOKIE is not supported by the sluice provider");
	assert_int_equal(count(f, "/v2.0/lbaas/pools", "pools"), 1);
	/* Members: outside every subnet; weight out of range. */
	snprintf(path, sizeof(path), "/v2.0/lbaas/pools/%s/members", p);
	bad(f, path,
	    "{\"member\":{\"address\":\"192.0.2.7\",\"protocol_port\":80}}",
	    "outside every subnet of project admin");
	snprintf(body, sizeof(body),
		 "{\"member\":{\"address\":\"10.0.1.7\",\"protocol_port\":80,"
		 "\"subnet_id\":\"%s\"}}",
		 f->subnet);
	bad(f, path, body, "is outside subnet");
	bad(f, path,
	    "{\"member\":{\"address\":\"10.0.0.7\",\"protocol_port\":80,"
	    "\"weight\":257}}",
	    "between 0 and 256");
	bad(f, path, "{\"member\":{\"address\":\"10.0.0.7\"}}",
	    "protocol_port");
	assert_int_equal(count(f, path, "members"), 0);
	/* Monitors: timeout >= delay, bad codes, bad retries, HTTP fields
	 * on a TCP monitor. */
	snprintf(body, sizeof(body),
		 "{\"healthmonitor\":{\"pool_id\":\"%s\",\"type\":\"TCP\","
		 "\"delay\":3,\"timeout\":3,\"max_retries\":3}}",
		 p);
	bad(f, "/v2.0/lbaas/healthmonitors", body,
	    "timeout (3) must be less than delay (3)");
	snprintf(body, sizeof(body),
		 "{\"healthmonitor\":{\"pool_id\":\"%s\",\"type\":\"HTTP\","
		 "\"delay\":3,\"timeout\":1,\"max_retries\":3,"
		 "\"expected_codes\":\"200-\"}}",
		 p);
	bad(f, "/v2.0/lbaas/healthmonitors", body, "expected_codes '200-'");
	snprintf(body, sizeof(body),
		 "{\"healthmonitor\":{\"pool_id\":\"%s\",\"type\":\"TCP\","
		 "\"delay\":3,\"timeout\":1,\"max_retries\":11}}",
		 p);
	bad(f, "/v2.0/lbaas/healthmonitors", body, "between 1 and 10");
	snprintf(body, sizeof(body),
		 "{\"healthmonitor\":{\"pool_id\":\"%s\",\"type\":\"TCP\","
		 "\"delay\":3,\"timeout\":1,\"max_retries\":2,"
		 "\"url_path\":\"/x\"}}",
		 p);
	bad(f, "/v2.0/lbaas/healthmonitors", body,
	    "url_path is only valid for HTTP and HTTPS");
	snprintf(body, sizeof(body),
		 "{\"healthmonitor\":{\"pool_id\":\"%s\",\"type\":\"UDP-"
		 "CONNECT\",\"delay\":3,\"timeout\":1,\"max_retries\":2}}",
		 p);
	bad(f, "/v2.0/lbaas/healthmonitors", body, "not valid for a TCP pool");
	assert_int_equal(
		count(f, "/v2.0/lbaas/healthmonitors", "healthmonitors"), 0);
	/* One monitor per pool. */
	snprintf(body, sizeof(body),
		 "{\"healthmonitor\":{\"pool_id\":\"%s\",\"type\":\"HTTPS\","
		 "\"delay\":3,\"timeout\":1,\"max_retries\":2,"
		 "\"expected_codes\":\"200,202\"}}",
		 p);
	assert_int_equal(req(f, "POST", "/v2.0/lbaas/healthmonitors", body, &j),
			 201);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(j, "healthmonitor"), "url_path")),
		"/");
	json_decref(j);
	assert_int_equal(
		req(f, "POST", "/v2.0/lbaas/healthmonitors", body, NULL), 409);
	/* Unknown attribute, bad JSON, unknown provider. */
	bad(f, "/v2.0/lbaas/loadbalancers", "{\"loadbalancer\":{\"bogus\":1}}",
	    "Unknown attribute");
	bad(f, "/v2.0/lbaas/loadbalancers", "{\"loadbalancer\":", "Malformed");
	snprintf(body, sizeof(body),
		 "{\"loadbalancer\":{\"vip_subnet_id\":\"%s\",\"provider\":"
		 "\"amphora\"}}",
		 f->subnet);
	bad(f, "/v2.0/lbaas/loadbalancers", body, "Provider 'amphora'");
	bad(f, "/v2.0/lbaas/loadbalancers",
	    "{\"loadbalancer\":{\"vip_subnet_id\":"
	    "\"11111111-1111-1111-1111-111111111111\"}}",
	    "Subnet 11111111-1111-1111-1111-111111111111 not found");
	/* A VIP address already taken: the port's 409, nothing stored. */
	snprintf(body, sizeof(body),
		 "{\"loadbalancer\":{\"vip_subnet_id\":\"%s\","
		 "\"vip_address\":\"10.0.0.2\"}}",
		 f->subnet);
	assert_int_equal(
		req(f, "POST", "/v2.0/lbaas/loadbalancers", body, NULL), 409);
	assert_int_equal(count(f, "/v2.0/lbaas/loadbalancers", "loadbalancers"),
			 1);
	/* 404s. */
	assert_int_equal(req(f, "GET",
			     "/v2.0/lbaas/pools/"
			     "11111111-1111-1111-1111-111111111111",
			     NULL, &j),
			 404);
	fault(j);
	json_decref(j);
	assert_int_equal(req(f, "GET", "/v2.0/lbaas/nothing", NULL, NULL), 404);
}

/* A load balancer on subnet sub with a TCP listener on 80 and a pool. */
static void
make_stack_on(struct fx *f, const char *sub, char *lb, char *listener,
	      char *pool)
{
	char body[512];

	snprintf(body, sizeof(body),
		 "{\"loadbalancer\":{\"vip_subnet_id\":\"%s\"}}", sub);
	create_id(f, "/v2.0/lbaas/loadbalancers", "loadbalancer", lb, body);
	snprintf(body, sizeof(body),
		 "{\"listener\":{\"loadbalancer_id\":\"%s\",\"protocol\":"
		 "\"TCP\",\"protocol_port\":80}}",
		 lb);
	create_id(f, "/v2.0/lbaas/listeners", "listener", listener, body);
	snprintf(body, sizeof(body),
		 "{\"pool\":{\"protocol\":\"TCP\",\"listener_id\":\"%s\","
		 "\"lb_algorithm\":\"ROUND_ROBIN\"}}",
		 listener);
	create_id(f, "/v2.0/lbaas/pools", "pool", pool, body);
}

/* The vip_address of load balancer lb into out (64 bytes). */
static void
vip_of(struct fx *f, const char *lb, char *out)
{
	char path[200];
	json_t *j = NULL;

	snprintf(path, sizeof(path), "/v2.0/lbaas/loadbalancers/%s", lb);
	assert_int_equal(req(f, "GET", path, NULL, &j), 200);
	snprintf(out, 64, "%s",
		 json_string_value(json_object_get(
			 json_object_get(j, "loadbalancer"), "vip_address")));
	json_decref(j);
}

/*
 * IPv6 load balancers: a VIP on an IPv6 subnet (by vip_subnet_id, by
 * an IPv6 vip_address on a network with both families, by a network
 * whose only subnet is IPv6) with IPv6 members; a member (or its
 * monitor_address) of the other family than its load balancer's VIP,
 * in either direction, created, in a batch update or set later, is a
 * 400 naming both, and nothing is stored.
 */
static void
test_ipv6(void **state)
{
	struct fx *f = *state;
	char lb[40], l[40], p[40], lb6[40], l6[40], p6[40], m6[40];
	char sub6[40], net6[40], sub6b[40], path[200], body[600], vip[64];
	json_t *j = NULL;

	add_subnet(f, f->net, 6, "fd00:5::/64", sub6);
	make_stack_on(f, sub6, lb6, l6, p6);
	vip_of(f, lb6, vip);
	assert_non_null(strstr(vip, "fd00:5::"));
	assert_int_equal(count(f, "/v2.0/ports?device_owner=Octavia", "ports"),
			 1);
	/* An IPv6 vip_address picks the network's IPv6 subnet. */
	snprintf(body, sizeof(body),
		 "{\"loadbalancer\":{\"vip_network_id\":\"%s\","
		 "\"vip_address\":\"fd00:5::10\"}}",
		 f->net);
	assert_int_equal(req(f, "POST", "/v2.0/lbaas/loadbalancers", body, &j),
			 201);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(j, "loadbalancer"), "vip_address")),
		"fd00:5::10");
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(j, "loadbalancer"), "vip_subnet_id")),
		sub6);
	json_decref(j);
	/* A network whose only subnet is IPv6. */
	create_id(f, "/v2.0/networks", "network", net6,
		  "{\"network\":{\"name\":\"n6\"}}");
	add_subnet(f, net6, 6, "fd00:6::/64", sub6b);
	snprintf(body, sizeof(body),
		 "{\"loadbalancer\":{\"vip_network_id\":\"%s\"}}", net6);
	assert_int_equal(req(f, "POST", "/v2.0/lbaas/loadbalancers", body, &j),
			 201);
	assert_non_null(strstr(
		json_string_value(json_object_get(
			json_object_get(j, "loadbalancer"), "vip_address")),
		"fd00:6::"));
	json_decref(j);
	/* An IPv6 address on an IPv4 subnet: refused, nothing stored. */
	snprintf(body, sizeof(body),
		 "{\"loadbalancer\":{\"vip_subnet_id\":\"%s\","
		 "\"vip_address\":\"fd00:5::11\"}}",
		 f->subnet);
	assert_int_equal(
		req(f, "POST", "/v2.0/lbaas/loadbalancers", body, NULL), 400);
	assert_int_equal(count(f, "/v2.0/lbaas/loadbalancers", "loadbalancers"),
			 3);
	assert_int_equal(count(f, "/v2.0/ports?device_owner=Octavia", "ports"),
			 3);

	/* IPv6 members of the IPv6 load balancer. */
	snprintf(path, sizeof(path), "/v2.0/lbaas/pools/%s/members", p6);
	snprintf(body, sizeof(body),
		 "{\"member\":{\"address\":\"fd00:5::20\",\"subnet_id\":"
		 "\"%s\",\"protocol_port\":80,\"monitor_address\":"
		 "\"fd00:5::21\"}}",
		 sub6);
	create_id(f, path, "member", m6, body);
	snprintf(body, sizeof(body),
		 "{\"member\":{\"address\":\"10.0.0.20\",\"protocol_port\":"
		 "80}}");
	{
		char want[300];

		snprintf(want, sizeof(want),
			 "Member address 10.0.0.20 is IPv4 but load balancer "
			 "%s has an IPv6 VIP (%s): the addresses of a pool's "
			 "members must be of its load balancer's IP version.",
			 lb6, vip);
		bad(f, path, body, want);
	}
	bad(f, path,
	    "{\"member\":{\"address\":\"fd00:5::22\",\"protocol_port\":80,"
	    "\"monitor_address\":\"10.0.0.22\"}}",
	    "monitor_address 10.0.0.22 is IPv4 but load balancer");
	bad(f, path,
	    "{\"member\":{\"address\":\"fd00:99::1\",\"protocol_port\":80}}",
	    "Member address fd00:99::1 is outside every subnet of project");
	assert_int_equal(req(f, "PUT", path,
			     "{\"members\":[{\"address\":\"fd00:5::20\","
			     "\"protocol_port\":80},{\"address\":"
			     "\"10.0.0.21\",\"protocol_port\":80}]}",
			     &j),
			 400);
	assert_non_null(strstr(fault(j), "10.0.0.21 is IPv4"));
	json_decref(j);
	assert_int_equal(count(f, path, "members"), 1);
	assert_int_equal(req(f, "PUT", path,
			     "{\"members\":[{\"address\":\"fd00:5::20\","
			     "\"protocol_port\":80},{\"address\":"
			     "\"fd00:5::23\",\"protocol_port\":80}]}",
			     NULL),
			 202);
	assert_int_equal(count(f, path, "members"), 2);
	snprintf(path, sizeof(path), "/v2.0/lbaas/pools/%s/members/%s", p6, m6);
	assert_int_equal(req(f, "PUT", path,
			     "{\"member\":{\"monitor_address\":\"10.0.0.5\"}}",
			     &j),
			 400);
	assert_non_null(strstr(fault(j), "monitor_address 10.0.0.5 is IPv4"));
	json_decref(j);

	/* The reverse: IPv6 addresses on an IPv4 load balancer. */
	make_stack(f, lb, l, p);
	vip_of(f, lb, vip);
	snprintf(path, sizeof(path), "/v2.0/lbaas/pools/%s/members", p);
	snprintf(body, sizeof(body),
		 "{\"member\":{\"address\":\"fd00:5::20\",\"subnet_id\":"
		 "\"%s\",\"protocol_port\":80}}",
		 sub6);
	{
		char want[300];

		snprintf(want, sizeof(want),
			 "Member address fd00:5::20 is IPv6 but load balancer "
			 "%s has an IPv4 VIP (%s): the addresses",
			 lb, vip);
		bad(f, path, body, want);
	}
	bad(f, path,
	    "{\"member\":{\"address\":\"10.0.0.11\",\"protocol_port\":80,"
	    "\"monitor_address\":\"fd00:5::30\"}}",
	    "monitor_address fd00:5::30 is IPv6 but load balancer");
	assert_int_equal(count(f, path, "members"), 0);
	assert_int_equal(req(f, "PUT", path,
			     "{\"members\":[{\"address\":\"10.0.0.11\","
			     "\"protocol_port\":80}]}",
			     NULL),
			 202);
	assert_int_equal(req(f, "PUT", path,
			     "{\"members\":[{\"address\":\"10.0.0.12\","
			     "\"protocol_port\":80},{\"address\":"
			     "\"fd00:5::21\",\"protocol_port\":80}]}",
			     &j),
			 400);
	assert_non_null(strstr(fault(j), "fd00:5::21 is IPv6"));
	json_decref(j);
	assert_int_equal(count(f, path, "members"), 1);
	snprintf(path, sizeof(path),
		 "/v2.0/lbaas/pools/%s/members?address=10.0.0.11", p);
	assert_int_equal(count(f, path, "members"), 1);
}

static void
test_pending(void **state)
{
	struct fx *f = *state;
	char lb[40], l[40], p[40], path[200];

	make_stack(f, lb, l, p);
	assert_int_equal(lbaas_set_provisioning(f->lb, lb, "PENDING_UPDATE"),
			 0);
	assert_int_equal(lbaas_set_provisioning(f->lb, lb, "SOMETHING"),
			 -EINVAL);
	snprintf(path, sizeof(path), "/v2.0/lbaas/listeners/%s", l);
	assert_int_equal(
		req(f, "PUT", path, "{\"listener\":{\"name\":\"x\"}}", NULL),
		409);
	snprintf(path, sizeof(path), "/v2.0/lbaas/pools/%s/members", p);
	assert_int_equal(req(f, "POST", path,
			     "{\"member\":{\"address\":\"10.0.0.9\","
			     "\"protocol_port\":80}}",
			     NULL),
			 409);
	snprintf(path, sizeof(path),
		 "/v2.0/lbaas/loadbalancers/%s?cascade=true", lb);
	assert_int_equal(req(f, "DELETE", path, NULL, NULL), 409);
	assert_int_equal(lbaas_set_provisioning(f->lb, lb, "ACTIVE"), 0);
	snprintf(path, sizeof(path), "/v2.0/lbaas/listeners/%s", l);
	assert_int_equal(
		req(f, "PUT", path, "{\"listener\":{\"name\":\"x\"}}", NULL),
		202);
}

static void
test_batch_and_lists(void **state)
{
	struct fx *f = *state;
	char lb[40], l[40], p[40], path[200];
	json_t *j = NULL, *links;

	make_stack(f, lb, l, p);
	snprintf(path, sizeof(path), "/v2.0/lbaas/pools/%s/members", p);
	assert_int_equal(req(f, "PUT", path,
			     "{\"members\":[{\"address\":\"10.0.0.11\","
			     "\"protocol_port\":80},{\"address\":\"10.0.0.12\","
			     "\"protocol_port\":80,\"weight\":5},"
			     "{\"address\":\"10.0.1.13\",\"protocol_port\":80,"
			     "\"backup\":true}]}",
			     NULL),
			 202);
	assert_int_equal(count(f, path, "members"), 3);
	/* A bad one anywhere: nothing changes. */
	assert_int_equal(req(f, "PUT", path,
			     "{\"members\":[{\"address\":\"10.0.0.11\","
			     "\"protocol_port\":80},{\"address\":\"192.0.2.1\","
			     "\"protocol_port\":80}]}",
			     NULL),
			 400);
	assert_int_equal(count(f, path, "members"), 3);
	/* Replace: 11 stays, 12 and 13 go, 14 comes. */
	assert_int_equal(
		req(f, "PUT", path,
		    "{\"members\":[{\"address\":\"10.0.0.11\","
		    "\"protocol_port\":80,\"weight\":7},"
		    "{\"address\":\"10.0.0.14\",\"protocol_port\":80}]}",
		    NULL),
		202);
	assert_int_equal(count(f, path, "members"), 2);
	snprintf(path, sizeof(path),
		 "/v2.0/lbaas/pools/%s/members?address=10.0.0.11", p);
	assert_int_equal(req(f, "GET", path, NULL, &j), 200);
	assert_int_equal(
		json_integer_value(json_object_get(
			json_array_get(json_object_get(j, "members"), 0),
			"weight")),
		7);
	json_decref(j);
	/* Pagination and sorting. */
	snprintf(path, sizeof(path),
		 "/v2.0/lbaas/pools/%s/members?limit=1&sort_key=address", p);
	assert_int_equal(req(f, "GET", path, NULL, &j), 200);
	assert_int_equal(json_array_size(json_object_get(j, "members")), 1);
	links = json_object_get(j, "members_links");
	assert_int_equal(json_array_size(links), 1);
	assert_non_null(strstr(json_string_value(json_object_get(
				       json_array_get(links, 0), "href")),
			       "marker="));
	json_decref(j);
	assert_int_equal(req(f, "GET", "/v2.0/lbaas/pools?bogus=1", NULL, NULL),
			 400);
	assert_int_equal(
		count(f, "/v2.0/lbaas/loadbalancers?name=lb1", "loadbalancers"),
		1);
	assert_int_equal(count(f, "/v2.0/lbaas/loadbalancers?name=other",
			       "loadbalancers"),
			 0);
	assert_int_equal(req(f, "GET",
			     "/v2.0/lbaas/listeners?fields=id&fields=name",
			     NULL, &j),
			 200);
	assert_int_equal(json_object_size(json_array_get(
				 json_object_get(j, "listeners"), 0)),
			 2);
	json_decref(j);
	assert_int_equal(count(f, "/v2.0/lbaas/providers", "providers"), 1);
	assert_int_equal(count(f, "/v2.0/lbaas/l7policies", "l7policies"), 0);
}

/* GET /v2.0/lbaas/sluice/health: 200 and its "health" object (new). */
static json_t *
hc_get(struct fx *f)
{
	json_t *j = NULL, *h;

	assert_int_equal(req(f, "GET", "/v2.0/lbaas/sluice/health", NULL, &j),
			 200);
	h = json_incref(json_object_get(j, "health"));
	json_decref(j);
	assert_non_null(h);
	return h;
}

static long long
hc_num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static const char *
hc_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	assert_non_null(s);
	return s;
}

/*
 * Run the loop until the only member's state is want (max 3 s: the
 * monitor probes every second, the first at once); its entry (new).
 */
static json_t *
hc_wait(struct fx *f, const char *want)
{
	struct timeval tv = {0, 20000};
	json_t *h, *m;
	int i;

	for (i = 0; i < 150; i++) {
		event_base_loopexit(f->base, &tv);
		event_base_dispatch(f->base);
		h = hc_get(f);
		m = json_incref(
			json_array_get(json_object_get(h, "members"), 0));
		json_decref(h);
		if (m != NULL && strcmp(hc_str(m, "state"), want) == 0)
			return m;
		json_decref(m);
	}
	fail_msg("member not %s within 3 s", want);
	return NULL;
}

/* A TCP port on 127.0.0.1 nobody listens on (yet). */
static int
closed_port(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)a, sizeof(*a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)a, &len), 0);
	close(fd);
	return ntohs(a->sin_port);
}

/*
 * The health counters: empty before the monitors run; a member on a
 * closed port counted as refused and DOWN, with its pool, type and the
 * time of the failure; UP once the port listens, the last failure kept;
 * errors (404, 405, 400) as the rest of the API.
 */
static void
test_health(void **state)
{
	struct fx *f = *state;
	char lb[40], l[40], p[40], m[40], sub[40], path[200], want[64];
	struct sockaddr_in a;
	json_t *h, *fl, *mj, *j = NULL;
	long long refused;
	time_t t0 = time(NULL);
	int port = closed_port(&a), lfd;

	/* Not started: zeros, no members, and every reason named. */
	h = hc_get(f);
	assert_true(json_is_false(json_object_get(h, "running")));
	assert_int_equal(hc_num(h, "probes"), 0);
	assert_int_equal(json_array_size(json_object_get(h, "members")), 0);
	fl = json_object_get(h, "failures");
	assert_int_equal(json_object_size(fl), HEALTH_FAIL__COUNT);
	assert_int_equal(hc_num(fl, "timeout"), 0);
	assert_int_equal(hc_num(fl, "http_code"), 0);
	json_decref(h);
	assert_int_equal(req(f, "POST", "/v2.0/lbaas/sluice/health", "{}", &j),
			 405);
	assert_non_null(strstr(fault(j), "POST is not allowed"));
	json_decref(j);
	assert_int_equal(
		req(f, "DELETE", "/v2.0/lbaas/sluice/health", NULL, NULL), 405);
	assert_int_equal(req(f, "GET", "/v2.0/lbaas/sluice", NULL, NULL), 404);
	assert_int_equal(
		req(f, "GET", "/v2.0/lbaas/sluice/health/x", NULL, NULL), 404);
	assert_int_equal(req(f, "GET", "/v2/lbaas/sluice/stats", NULL, NULL),
			 404);
	assert_int_equal(
		req(f, "GET", "/v2.0/lbaas/sluice/health?pool_id=x", NULL, &j),
		400);
	assert_non_null(strstr(fault(j), "pool_id"));
	json_decref(j);

	/* A TCP monitor on a member of 127.0.0.0/24, probed from here. */
	add_subnet(f, f->net, 4, "127.0.0.0/24", sub);
	make_stack(f, lb, l, p);
	snprintf(path, sizeof(path), "/v2.0/lbaas/pools/%s/members", p);
	assert_int_equal(reqf(f, "POST", path, &j,
			      "{\"member\":{\"address\":\"127.0.0.1\","
			      "\"protocol_port\":%d}}",
			      port),
			 201);
	snprintf(m, sizeof(m), "%s",
		 json_string_value(
			 json_object_get(json_object_get(j, "member"), "id")));
	json_decref(j);
	assert_int_equal(
		reqf(f, "POST", "/v2.0/lbaas/healthmonitors", NULL,
		     "{\"healthmonitor\":{\"pool_id\":\"%s\",\"type\":\"TCP\","
		     "\"delay\":1,\"timeout\":0,\"max_retries\":1,"
		     "\"max_retries_down\":1}}",
		     p),
		201);
	f->base = event_base_new();
	assert_non_null(f->base);
	lbaas_set_probe_netns(f->lb, false);
	assert_int_equal(lbaas_health_start(f->lb, f->base), 0);

	mj = hc_wait(f, "DOWN");
	assert_string_equal(hc_str(mj, "member_id"), m);
	assert_string_equal(hc_str(mj, "pool_id"), p);
	assert_string_equal(hc_str(mj, "type"), "TCP");
	assert_string_equal(hc_str(mj, "address"), "127.0.0.1");
	assert_int_equal(hc_num(mj, "protocol_port"), port);
	assert_true(hc_num(mj, "consecutive_failures") >= 1);
	assert_int_equal(hc_num(mj, "consecutive_successes"), 0);
	assert_string_equal(hc_str(mj, "last_failure"), "refused");
	/* "YYYY-MM-DDTHH:MM:SS", UTC, not before the test began. */
	strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", gmtime(&t0));
	assert_int_equal(strlen(hc_str(mj, "last_failure_at")), 19);
	assert_true(strcmp(hc_str(mj, "last_failure_at"), want) >= 0);
	json_decref(mj);
	h = hc_get(f);
	assert_true(json_is_true(json_object_get(h, "running")));
	assert_true(hc_num(h, "probes") >= 1);
	refused = hc_num(json_object_get(h, "failures"), "refused");
	assert_true(refused >= 1);
	assert_int_equal(hc_num(json_object_get(h, "failures"), "timeout"), 0);
	json_decref(h);

	/* The port listens: UP, successes counted, the failure kept. */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int));
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 16), 0);
	mj = hc_wait(f, "UP");
	assert_true(hc_num(mj, "consecutive_successes") >= 1);
	assert_int_equal(hc_num(mj, "consecutive_failures"), 0);
	assert_string_equal(hc_str(mj, "last_failure"), "refused");
	json_decref(mj);
	h = hc_get(f);
	assert_true(hc_num(h, "ok") >= 1);
	assert_true(hc_num(h, "probes") >= hc_num(h, "ok") + refused);
	json_decref(h);
	close(lfd);
}

/* Token mode: the counters are the admin's; a project token gets 403. */
static void
test_health_admin_only(void **state)
{
	struct fx *f = *state;
	static const struct api_token tokens[] = {
		{"proj-a", "token-of-project-a"},
	};
	json_t *j = NULL;

	api_destroy(f->api);
	f->cfg.auth = API_AUTH_TOKEN;
	f->cfg.admin_token = "token-of-the-admin";
	f->cfg.tokens = tokens;
	f->cfg.n_tokens = 1;
	assert_int_equal(api_create(f->ctl, &f->cfg, &f->api), 0);
	f->token = "token-of-project-a";
	assert_int_equal(req(f, "GET", "/v2.0/lbaas/sluice/health", NULL, &j),
			 403);
	assert_non_null(strstr(fault(j), "Policy does not allow"));
	json_decref(j);
	/* The same project may list its own objects. */
	assert_int_equal(count(f, "/v2.0/lbaas/loadbalancers", "loadbalancers"),
			 0);
	f->token = NULL;
	assert_int_equal(req(f, "GET", "/v2.0/lbaas/sluice/health", NULL, NULL),
			 401);
	f->token = "token-of-the-admin";
	json_decref(hc_get(f));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lifecycle, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_and_lists, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_health, setup, teardown),
		cmocka_unit_test_setup_teardown(test_health_admin_only, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
