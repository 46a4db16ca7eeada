// SPDX-License-Identifier: BSD-2-Clause
/*
 * l3_test.c: unit tests of the document kinds (res.c decoding, ctl_doc.c,
 * l3.c, sg.c) on a temporary SQLite file: every validation rule of
 * routers, interfaces, gateways, floating IPs, security groups and rules
 * with the exact error code (hence HTTP status and NeutronError type),
 * the ports the service makes, the observers' events and persistence
 * across a reopen.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl.h"
#include "ipam.h"
#include "res.h"
#include "store.h"

struct fx {
	char path[64];
	struct store *st;
	struct ctl *ctl;
	unsigned n_doc[CTL_KIND_COUNT][3]; /* by kind and change */
	unsigned n_port[3];
};

static const struct ctl_auth admin = {true, "admin"};
static const struct ctl_auth p1 = {false, "p1"};

static void
on_port(void *arg, enum ctl_change what, const struct ctl_port *old,
	const struct ctl_port *cur)
{
	struct fx *f = arg;

	(void)old;
	(void)cur;
	f->n_port[what]++;
}

static void
on_doc(void *arg, enum ctl_kind kind, enum ctl_change what, const json_t *old,
       const json_t *cur)
{
	struct fx *f = arg;

	assert_true(ctl_kind_is_doc(kind));
	assert_true(what == CTL_CREATED	  ? old == NULL && cur != NULL
		    : what == CTL_DELETED ? old != NULL && cur == NULL
					  : old != NULL && cur != NULL);
	f->n_doc[kind][what]++;
}

static int
fx_open(struct fx *f)
{
	struct ctl_observer obs = {
		.port_changed = on_port,
		.doc_changed = on_doc,
		.arg = f,
	};

	if (store_open(f->path, &f->st) != 0 || ctl_create(f->st, &f->ctl) != 0)
		return -1;
	return ctl_observer_add(f->ctl, &obs);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int fd;

	snprintf(f->path, sizeof(f->path), "/tmp/l3_test.XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fx_open(f), 0);
	*state = f;
	return 0;
}

static void
fx_close(struct fx *f)
{
	ctl_destroy(f->ctl);
	store_close(f->st);
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char p[96];

	fx_close(f);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	free(f);
	return 0;
}

static json_t *J(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *
J(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	j = json_loads(buf, 0, NULL);
	assert_non_null(j);
	return j;
}

/* Create a document from JSON text; 0 with *out (or NULL) or -EINVAL. */
static int
mk(struct fx *f, const struct ctl_auth *a, enum ctl_kind kind, json_t *body,
   json_t **out, struct ctl_err *err)
{
	json_t *doc = NULL;
	unsigned present = 0;
	int rc = res_decode(kind, body, &doc, &present, err);

	json_decref(body);
	if (rc == 0)
		rc = ctl_doc_create(f->ctl, a, kind, &doc, &present, 1, err);
	if (rc == 0 && out != NULL)
		*out = doc;
	else
		json_decref(doc);
	return rc;
}

/* The same, expecting success: the new document's id into id. */
static void
mk_ok(struct fx *f, enum ctl_kind kind, json_t *body, char *id)
{
	struct ctl_err err;
	json_t *doc = NULL;

	if (mk(f, &admin, kind, body, &doc, &err) != 0)
		fail_msg("create: %s", err.message);
	snprintf(id, CTL_UUID_LEN + 1, "%s", res_str(doc, "id"));
	json_decref(doc);
}

/* Expect a decode or create failure with code. */
static void
mk_err(struct fx *f, enum ctl_kind kind, json_t *body, enum ctl_errcode code)
{
	struct ctl_err err = {0};

	assert_int_not_equal(mk(f, &admin, kind, body, NULL, &err), 0);
	if (err.code != code)
		fail_msg("expected %s, got %s: %s", ctl_err_type(code),
			 ctl_err_type(err.code), err.message);
}

static void
mk_net(struct fx *f, const char *name, bool is_external, char *id)
{
	struct ctl_network n;
	struct ctl_err err;
	unsigned present = 0;
	json_t *j = J("{\"name\":\"%s\",\"router:external\":%s}", name,
		      is_external ? "true" : "false");

	assert_int_equal(
		model_network_decode(j, MODEL_CREATE, &n, &present, &err), 0);
	json_decref(j);
	assert_int_equal(
		ctl_network_create(f->ctl, &admin, &n, &present, 1, &err), 0);
	snprintf(id, CTL_UUID_LEN + 1, "%s", n.m.id);
}

static void
mk_sub(struct fx *f, const char *net, const char *cidr, const char *extra,
       char *id)
{
	struct ctl_subnet s;
	struct ctl_err err;
	unsigned present = 0;
	json_t *j = J("{\"network_id\":\"%s\",\"ip_version\":4,\"cidr\":\"%s\""
		      "%s}",
		      net, cidr, extra);

	assert_int_equal(
		model_subnet_decode(j, MODEL_CREATE, &s, &present, &err), 0);
	json_decref(j);
	if (ctl_subnet_create(f->ctl, &admin, &s, &present, 1, &err) != 0)
		fail_msg("subnet: %s", err.message);
	snprintf(id, CTL_UUID_LEN + 1, "%s", s.m.id);
}

static int
mk_port(struct fx *f, const struct ctl_auth *a, json_t *j, struct ctl_port *p,
	struct ctl_err *err)
{
	unsigned present = 0;
	int rc = model_port_decode(j, MODEL_CREATE, p, &present, err);

	json_decref(j);
	return rc != 0 ? rc : ctl_port_create(f->ctl, a, p, &present, 1, err);
}

static void
expect(int rc, const struct ctl_err *err, enum ctl_errcode code)
{
	if (rc == 0)
		fail_msg("expected %s, got success", ctl_err_type(code));
	if (err->code != code)
		fail_msg("expected %s, got %s: %s", ctl_err_type(code),
			 ctl_err_type(err->code), err->message);
}

static int
iface(struct fx *f, const char *router, const char *key, const char *id,
      bool is_add, json_t **out, struct ctl_err *err)
{
	json_t *body = J("{\"%s\":\"%s\"}", key, id), *o = NULL;
	int rc = ctl_router_interface(f->ctl, &admin, router, body, is_add, &o,
				      err);

	json_decref(body);
	if (out != NULL)
		*out = o;
	else
		json_decref(o);
	return rc;
}

static int
update(struct fx *f, enum ctl_kind kind, const char *id, json_t *body,
       json_t **out, struct ctl_err *err)
{
	json_t *o = NULL;
	int rc = ctl_doc_update(f->ctl, &admin, kind, id, body, CTL_NO_IF_MATCH,
				&o, err);

	json_decref(body);
	if (out != NULL)
		*out = o;
	else
		json_decref(o);
	return rc;
}

/* Decoding: the rules that need no store. */
static void
test_decode(void **state)
{
	static const char sg[] = "\"security_group_id\":"
				 "\"0b5b6c4a-6a39-4b0e-9a6b-0c6c5e6e7f70\"";
	struct ctl_err err;
	json_t *doc = NULL, *j;

	(void)state;
#define BAD(kind, want, ...)                                                   \
	do {                                                                   \
		j = J(__VA_ARGS__);                                            \
		assert_int_not_equal(res_decode(kind, j, &doc, NULL, &err),    \
				     0);                                       \
		assert_null(doc);                                              \
		assert_int_equal(err.code, want);                              \
		json_decref(j);                                                \
	} while (0)
	BAD(CTL_SGRULE, CTL_E_BAD_REQUEST,
	    "{%s,\"direction\":\"ingress\",\"remote_ip_prefix\":\"10.0.0.0/8\","
	    "\"remote_group_id\":\"0b5b6c4a-6a39-4b0e-9a6b-0c6c5e6e7f70\"}",
	    sg);
	BAD(CTL_SGRULE, CTL_E_BAD_REQUEST,
	    "{%s,\"direction\":\"ingress\",\"ethertype\":\"IPv4\","
	    "\"remote_ip_prefix\":\"::/0\"}",
	    sg);
	BAD(CTL_SGRULE, CTL_E_BAD_REQUEST,
	    "{%s,\"direction\":\"ingress\",\"ethertype\":\"IPv6\","
	    "\"remote_ip_prefix\":\"10.0.0.0/8\"}",
	    sg);
	BAD(CTL_SGRULE, CTL_E_INVALID_INPUT,
	    "{%s,\"direction\":\"ingress\",\"port_range_min\":22}", sg);
	BAD(CTL_SGRULE, CTL_E_INVALID_INPUT,
	    "{%s,\"direction\":\"ingress\",\"protocol\":\"tcp\","
	    "\"port_range_min\":80,\"port_range_max\":22}",
	    sg);
	BAD(CTL_SGRULE, CTL_E_INVALID_INPUT,
	    "{%s,\"direction\":\"ingress\",\"protocol\":\"tcp\","
	    "\"port_range_min\":22}",
	    sg);
	BAD(CTL_SGRULE, CTL_E_INVALID_INPUT,
	    "{%s,\"direction\":\"ingress\",\"protocol\":\"icmp\","
	    "\"port_range_max\":0}",
	    sg);
	BAD(CTL_SGRULE, CTL_E_INVALID_INPUT,
	    "{%s,\"direction\":\"ingress\",\"protocol\":\"icmp\","
	    "\"port_range_min\":256}",
	    sg);
	BAD(CTL_SGRULE, CTL_E_INVALID_INPUT,
	    "{%s,\"direction\":\"ingress\",\"protocol\":\"gre\","
	    "\"port_range_min\":1,\"port_range_max\":2}",
	    sg);
	BAD(CTL_SGRULE, CTL_E_INVALID_INPUT,
	    "{%s,\"direction\":\"ingress\",\"protocol\":\"foo\"}", sg);
	BAD(CTL_SGRULE, CTL_E_INVALID_INPUT,
	    "{%s,\"direction\":\"ingress\",\"protocol\":\"256\"}", sg);
	BAD(CTL_SGRULE, CTL_E_INVALID_INPUT,
	    "{%s,\"direction\":\"ingress\",\"protocol\":-1}", sg);
	BAD(CTL_SGRULE, CTL_E_BAD_REQUEST,
	    "{%s,\"direction\":\"ingress\",\"protocol\":\"icmpv6\"}", sg);
	BAD(CTL_SGRULE, CTL_E_INVALID_INPUT, "{%s,\"direction\":\"sideways\"}",
	    sg);
	BAD(CTL_SGRULE, CTL_E_INVALID_INPUT,
	    "{%s,\"direction\":\"ingress\",\"ethertype\":\"IPv5\"}", sg);
	BAD(CTL_SGRULE, CTL_E_BAD_REQUEST, "{%s}", sg);
	BAD(CTL_SGRULE, CTL_E_BAD_REQUEST,
	    "{%s,\"direction\":\"egress\",\"bogus\":1}", sg);
	BAD(CTL_ROUTER, CTL_E_BAD_REQUEST, "{\"routes\":[]}");
	BAD(CTL_ROUTER, CTL_E_BAD_REQUEST, "{\"status\":\"DOWN\"}");
	BAD(CTL_ROUTER, CTL_E_INVALID_INPUT,
	    "{\"external_gateway_info\":{\"network_id\":\"x\"}}");
	BAD(CTL_ROUTER, CTL_E_INVALID_INPUT,
	    "{\"external_gateway_info\":{\"enable_snat\":false}}");
	BAD(CTL_ROUTER, CTL_E_INVALID_INPUT, "{\"admin_state_up\":\"maybe\"}");
	BAD(CTL_FLOATINGIP, CTL_E_BAD_REQUEST, "{}");
	BAD(CTL_FLOATINGIP, CTL_E_INVALID_INPUT,
	    "{\"floating_network_id\":\"0b5b6c4a-6a39-4b0e-9a6b-0c6c5e6e7f70\","
	    "\"floating_ip_address\":\"300.1.1.1\"}");
	BAD(CTL_SECGROUP, CTL_E_INVALID_INPUT, "{\"tags\":[\"a,b\"]}");
	BAD(CTL_SECGROUP, CTL_E_BAD_REQUEST,
	    "{\"project_id\":\"a\",\"tenant_id\":\"b\"}");

	/* Normalization: names, numbers, strings for numbers and booleans. */
	j = J("{%s,\"direction\":\"ingress\",\"protocol\":\"TCP\","
	      "\"port_range_min\":\"22\",\"port_range_max\":22,"
	      "\"remote_ip_prefix\":\"10.1.2.3/8\"}",
	      sg);
	assert_int_equal(res_decode(CTL_SGRULE, j, &doc, NULL, &err), 0);
	json_decref(j);
	assert_string_equal(res_str(doc, "protocol"), "tcp");
	assert_int_equal(
		json_integer_value(json_object_get(doc, "port_range_min")), 22);
	assert_string_equal(res_str(doc, "remote_ip_prefix"), "10.0.0.0/8");
	assert_string_equal(res_str(doc, "ethertype"), "IPv4");
	json_decref(doc);
	j = J("{%s,\"direction\":\"egress\",\"protocol\":\"any\"}", sg);
	assert_int_equal(res_decode(CTL_SGRULE, j, &doc, NULL, &err), 0);
	assert_true(json_is_null(json_object_get(doc, "protocol")));
	json_decref(doc);
	json_decref(j);
	j = J("{%s,\"direction\":\"egress\",\"protocol\":6}", sg);
	assert_int_equal(res_decode(CTL_SGRULE, j, &doc, NULL, &err), 0);
	assert_string_equal(res_str(doc, "protocol"), "6");
	json_decref(doc);
	json_decref(j);
	j = J("{\"name\":\"r\",\"admin_state_up\":\"false\","
	      "\"external_gateway_info\":{}}");
	assert_int_equal(res_decode(CTL_ROUTER, j, &doc, NULL, &err), 0);
	assert_true(json_is_false(json_object_get(doc, "admin_state_up")));
	assert_true(
		json_is_null(json_object_get(doc, "external_gateway_info")));
	json_decref(doc);
	json_decref(j);
	assert_true(res_is_attribute(CTL_FLOATINGIP, "router_id"));
	assert_false(res_is_attribute(CTL_FLOATINGIP, "mtu"));
	assert_true(model_is_attribute(CTL_SECGROUP, "security_group_rules"));
	assert_int_equal(res_kind_of("security-group-rules"), CTL_SGRULE);
#undef BAD
}

/* Count the rules of group id. */
static size_t
n_rules(struct fx *f, const char *id)
{
	struct ctl_err err;
	json_t *g = NULL;
	size_t n;

	assert_int_equal(
		ctl_doc_get(f->ctl, &admin, CTL_SECGROUP, id, &g, &err), 0);
	n = json_array_size(json_object_get(g, "security_group_rules"));
	json_decref(g);
	return n;
}

static void
test_security_groups(void **state)
{
	struct fx *f = *state;
	char net[40], sub[40], sg1[40], sg2[40], rule[40], def[40];
	struct ctl_port p, q;
	struct ctl_err err;
	json_t *doc;

	mk_net(f, "n", false, net);
	mk_sub(f, net, "10.0.0.0/24", "", sub);
	/* A port gets the project's default group, made on first use. */
	assert_int_equal(mk_port(f, &admin,
				 J("{\"network_id\":\"%s\","
				   "\"project_id\":\"p1\"}",
				   net),
				 &p, &err),
			 0);
	assert_int_equal(p.n_security_groups, 1);
	snprintf(def, sizeof(def), "%s", p.security_groups[0]);
	assert_int_equal(
		ctl_doc_get(f->ctl, &p1, CTL_SECGROUP, def, &doc, &err), 0);
	assert_string_equal(res_str(doc, "name"), "default");
	assert_string_equal(res_str(doc, "project_id"), "p1");
	json_decref(doc);
	assert_int_equal(n_rules(f, def), 4);
	/* Another project cannot see it. */
	expect(ctl_doc_get(f->ctl, &(struct ctl_auth){false, "p2"},
			   CTL_SECGROUP, def, &doc, &err),
	       &err, CTL_E_SG_NOT_FOUND);
	/* A new group: two egress rules. */
	mk_ok(f, CTL_SECGROUP, J("{\"name\":\"web\"}"), sg1);
	assert_int_equal(n_rules(f, sg1), 2);
	mk_ok(f, CTL_SECGROUP, J("{\"name\":\"db\"}"), sg2);
	mk_err(f, CTL_SECGROUP, J("{\"name\":\"default\"}"), CTL_E_CONFLICT);
	/* Rules: duplicates, unknown groups. */
	mk_ok(f, CTL_SGRULE,
	      J("{\"security_group_id\":\"%s\",\"direction\":\"ingress\","
		"\"protocol\":\"tcp\",\"port_range_min\":80,"
		"\"port_range_max\":80,\"remote_ip_prefix\":\"0.0.0.0/0\"}",
		sg1),
	      rule);
	mk_err(f, CTL_SGRULE,
	       J("{\"security_group_id\":\"%s\",\"direction\":\"ingress\","
		 "\"protocol\":\"6\",\"port_range_min\":80,"
		 "\"port_range_max\":80}",
		 sg1),
	       CTL_E_SGRULE_EXISTS);
	mk_err(f, CTL_SGRULE,
	       J("{\"security_group_id\":\"%s\",\"direction\":\"egress\"}",
		 sg1),
	       CTL_E_SGRULE_EXISTS);
	mk_err(f, CTL_SGRULE,
	       J("{\"security_group_id\":\"%s\",\"direction\":\"ingress\"}",
		 net),
	       CTL_E_SG_NOT_FOUND);
	mk_err(f, CTL_SGRULE,
	       J("{\"security_group_id\":\"%s\",\"direction\":\"ingress\","
		 "\"remote_group_id\":\"%s\"}",
		 sg1, net),
	       CTL_E_SG_NOT_FOUND);
	mk_ok(f, CTL_SGRULE,
	      J("{\"security_group_id\":\"%s\",\"direction\":\"ingress\","
		"\"remote_group_id\":\"%s\"}",
		sg1, sg2),
	      rule);
	assert_int_equal(n_rules(f, sg1), 4);
	/* Ports: unknown group, port security off with groups. */
	expect(mk_port(f, &admin,
		       J("{\"network_id\":\"%s\",\"security_groups\":[\"%s\"]}",
			 net, net),
		       &q, &err),
	       &err, CTL_E_SG_NOT_FOUND);
	expect(mk_port(f, &admin,
		       J("{\"network_id\":\"%s\",\"security_groups\":[\"%s\"],"
			 "\"port_security_enabled\":false}",
			 net, sg1),
		       &q, &err),
	       &err, CTL_E_PORTSEC_SG);
	assert_int_equal(mk_port(f, &admin,
				 J("{\"network_id\":\"%s\","
				   "\"port_security_enabled\":false}",
				   net),
				 &q, &err),
			 0);
	assert_int_equal(q.n_security_groups, 0);
	assert_int_equal(mk_port(f, &admin,
				 J("{\"network_id\":\"%s\","
				   "\"security_groups\":[\"%s\"]}",
				   net, sg2),
				 &q, &err),
			 0);
	{
		json_t *b = J("{\"port_security_enabled\":false}");
		struct ctl_port out;

		expect(ctl_port_update(f->ctl, &admin, q.m.id, b,
				       CTL_NO_IF_MATCH, &out, &err),
		       &err, CTL_E_PORTSEC_SG);
		json_decref(b);
	}
	/* Deletes: in use, default, cascade of rules and remote rules. */
	expect(ctl_doc_delete(f->ctl, &admin, CTL_SECGROUP, sg2,
			      CTL_NO_IF_MATCH, &err),
	       &err, CTL_E_SG_IN_USE);
	expect(ctl_doc_delete(f->ctl, &admin, CTL_SECGROUP, def,
			      CTL_NO_IF_MATCH, &err),
	       &err, CTL_E_SG_DEFAULT);
	expect(update(f, CTL_SECGROUP, def, J("{\"name\":\"x\"}"), NULL, &err),
	       &err, CTL_E_CONFLICT);
	expect(update(f, CTL_SGRULE, rule, J("{\"direction\":\"egress\"}"),
		      NULL, &err),
	       &err, CTL_E_BAD_REQUEST);
	assert_int_equal(
		ctl_port_delete(f->ctl, &admin, q.m.id, CTL_NO_IF_MATCH, &err),
		0);
	memset(f->n_doc, 0, sizeof(f->n_doc));
	assert_int_equal(ctl_doc_delete(f->ctl, &admin, CTL_SECGROUP, sg2,
					CTL_NO_IF_MATCH, &err),
			 0);
	/* Its two egress rules and sg1's remote-group rule. */
	assert_int_equal(f->n_doc[CTL_SGRULE][CTL_DELETED], 3);
	assert_int_equal(f->n_doc[CTL_SECGROUP][CTL_DELETED], 1);
	assert_int_equal(n_rules(f, sg1), 3);
	expect(ctl_doc_delete(f->ctl, &admin, CTL_SGRULE, rule, CTL_NO_IF_MATCH,
			      &err),
	       &err, CTL_E_SGRULE_NOT_FOUND);
	(void)sub;
}

static void
test_router_interfaces(void **state)
{
	struct fx *f = *state;
	char net[40], net2[40], sub[40], sub2[40], nogw[40], ovl[40], r[40],
		r2[40];
	struct ctl_port p, ifp;
	struct ctl_err err;
	json_t *o = NULL, *rt;

	mk_net(f, "n", false, net);
	mk_net(f, "n2", false, net2);
	mk_sub(f, net, "10.0.0.0/24", "", sub);
	mk_sub(f, net, "10.0.1.0/24", ",\"gateway_ip\":null", nogw);
	mk_sub(f, net2, "10.1.0.0/24", "", sub2);
	mk_sub(f, net2, "10.0.0.128/25", "", ovl);
	mk_ok(f, CTL_ROUTER, J("{\"name\":\"r\"}"), r);
	mk_ok(f, CTL_ROUTER, J("{\"name\":\"r2\",\"admin_state_up\":false}"),
	      r2);
	assert_int_equal(ctl_doc_get(f->ctl, &admin, CTL_ROUTER, r2, &o, &err),
			 0);
	assert_string_equal(res_str(o, "status"), "DOWN");
	json_decref(o);
	/* Body: exactly one of subnet_id and port_id. */
	{
		json_t *b = J("{\"subnet_id\":\"%s\",\"port_id\":\"%s\"}", sub,
			      sub);

		expect(ctl_router_interface(f->ctl, &admin, r, b, true, &o,
					    &err),
		       &err, CTL_E_BAD_REQUEST);
		json_decref(b);
		b = J("{}");
		expect(ctl_router_interface(f->ctl, &admin, r, b, true, &o,
					    &err),
		       &err, CTL_E_BAD_REQUEST);
		json_decref(b);
	}
	expect(iface(f, r, "subnet_id", nogw, true, NULL, &err), &err,
	       CTL_E_BAD_REQUEST);
	expect(iface(f, net, "subnet_id", sub, true, NULL, &err), &err,
	       CTL_E_ROUTER_NOT_FOUND);
	expect(iface(f, r, "subnet_id", net, true, NULL, &err), &err,
	       CTL_E_SUBNET_NOT_FOUND);
	f->n_port[CTL_CREATED] = 0;
	assert_int_equal(iface(f, r, "subnet_id", sub, true, &o, &err), 0);
	assert_int_equal(f->n_port[CTL_CREATED], 1);
	assert_string_equal(res_str(o, "id"), r);
	assert_string_equal(res_str(o, "subnet_id"), sub);
	assert_string_equal(res_str(o, "network_id"), net);
	assert_int_equal(
		ctl_port_get(f->ctl, &admin, res_str(o, "port_id"), &ifp, &err),
		0);
	json_decref(o);
	assert_string_equal(ifp.device_owner, "network:router_interface");
	assert_string_equal(ifp.device_id, r);
	assert_int_equal(ifp.n_fixed_ips, 1);
	assert_int_equal(ifp.fixed_ips[0].ip.addr[3], 1); /* the gateway */
	assert_int_equal(ifp.n_security_groups, 0);
	/* Again, on another router, overlapping. */
	expect(iface(f, r, "subnet_id", sub, true, NULL, &err), &err,
	       CTL_E_CONFLICT);
	expect(iface(f, r2, "subnet_id", sub, true, NULL, &err), &err,
	       CTL_E_CONFLICT);
	expect(iface(f, r, "subnet_id", ovl, true, NULL, &err), &err,
	       CTL_E_CONFLICT);
	/* The port, subnet, network and router are now in use. */
	expect(ctl_port_delete(f->ctl, &admin, ifp.m.id, CTL_NO_IF_MATCH, &err),
	       &err, CTL_E_L3_PORT_IN_USE);
	expect(ctl_subnet_delete(f->ctl, &admin, sub, CTL_NO_IF_MATCH, &err),
	       &err, CTL_E_SUBNET_IN_USE);
	expect(ctl_network_delete(f->ctl, &admin, net, CTL_NO_IF_MATCH, &err),
	       &err, CTL_E_NETWORK_IN_USE);
	expect(ctl_doc_delete(f->ctl, &admin, CTL_ROUTER, r, CTL_NO_IF_MATCH,
			      &err),
	       &err, CTL_E_ROUTER_IN_USE);
	/* By port: a free port is taken over, an owned one is 409. */
	assert_int_equal(mk_port(f, &admin,
				 J("{\"network_id\":\"%s\","
				   "\"device_owner\":\"compute:nova\"}",
				   net2),
				 &p, &err),
			 0);
	expect(iface(f, r, "port_id", p.m.id, true, NULL, &err), &err,
	       CTL_E_PORT_IN_USE);
	assert_int_equal(mk_port(f, &admin, J("{\"network_id\":\"%s\"}", net2),
				 &p, &err),
			 0);
	assert_int_equal(iface(f, r, "port_id", p.m.id, true, NULL, &err), 0);
	assert_int_equal(ctl_port_get(f->ctl, &admin, p.m.id, &p, &err), 0);
	assert_string_equal(p.device_owner, "network:router_interface");
	/* Routes: the nexthop must be on a connected subnet. */
	expect(update(f, CTL_ROUTER, r,
		      J("{\"routes\":[{\"destination\":\"192.168.0.0/16\","
			"\"nexthop\":\"172.16.0.1\"}]}"),
		      NULL, &err),
	       &err, CTL_E_BAD_REQUEST);
	expect(update(f, CTL_ROUTER, r,
		      J("{\"routes\":[{\"destination\":\"192.168.0.0/16\","
			"\"nexthop\":\"10.0.0.1\"}]}"),
		      NULL, &err),
	       &err, CTL_E_BAD_REQUEST);
	expect(update(f, CTL_ROUTER, r,
		      J("{\"routes\":[{\"destination\":\"192.168.0.0/16\","
			"\"nexthop\":\"10.0.0.9\"},{\"destination\":"
			"\"192.168.0.0/16\",\"nexthop\":\"10.0.0.9\"}]}"),
		      NULL, &err),
	       &err, CTL_E_INVALID_INPUT);
	assert_int_equal(
		update(f, CTL_ROUTER, r,
		       J("{\"routes\":[{\"destination\":\"192.168.0.0/16\","
			 "\"nexthop\":\"10.0.0.9\"}]}"),
		       &rt, &err),
		0);
	assert_int_equal(json_array_size(json_object_get(rt, "routes")), 1);
	json_decref(rt);
	expect(iface(f, r, "subnet_id", sub, false, NULL, &err), &err,
	       CTL_E_IF_IN_USE);
	assert_int_equal(
		update(f, CTL_ROUTER, r, J("{\"routes\":[]}"), NULL, &err), 0);
	/* Remove: unknown, by subnet, by port (the port goes too). */
	expect(iface(f, r, "subnet_id", nogw, false, NULL, &err), &err,
	       CTL_E_IF_NOT_FOUND);
	expect(iface(f, r2, "port_id", ifp.m.id, false, NULL, &err), &err,
	       CTL_E_IF_NOT_FOUND);
	assert_int_equal(iface(f, r, "subnet_id", sub, false, NULL, &err), 0);
	assert_int_equal(iface(f, r, "port_id", p.m.id, false, NULL, &err), 0);
	expect(ctl_port_get(f->ctl, &admin, p.m.id, &p, &err), &err,
	       CTL_E_PORT_NOT_FOUND);
	assert_int_equal(ctl_doc_delete(f->ctl, &admin, CTL_ROUTER, r,
					CTL_NO_IF_MATCH, &err),
			 0);
	assert_int_equal(
		ctl_subnet_delete(f->ctl, &admin, sub, CTL_NO_IF_MATCH, &err),
		0);
}

static void
test_gateway_fip(void **state)
{
	struct fx *f = *state;
	char ext[40], esub[40], net[40], sub[40], net2[40], sub2[40], r[40],
		fip[40], fip2[40];
	struct ctl_port vm, vm2;
	struct ctl_err err;
	json_t *o = NULL;

	mk_net(f, "ext", true, ext);
	mk_sub(f, ext, "203.0.113.0/24", "", esub);
	mk_net(f, "n", false, net);
	mk_sub(f, net, "10.0.0.0/24", "", sub);
	mk_net(f, "n2", false, net2);
	mk_sub(f, net2, "10.2.0.0/24", "", sub2);
	assert_int_equal(mk_port(f, &admin, J("{\"network_id\":\"%s\"}", net),
				 &vm, &err),
			 0);
	assert_int_equal(mk_port(f, &admin, J("{\"network_id\":\"%s\"}", net2),
				 &vm2, &err),
			 0);
	/* A gateway needs an external network. */
	mk_err(f, CTL_ROUTER,
	       J("{\"external_gateway_info\":{\"network_id\":\"%s\"}}", net),
	       CTL_E_BAD_REQUEST);
	mk_err(f, CTL_ROUTER,
	       J("{\"external_gateway_info\":{\"network_id\":\"%s\"}}", esub),
	       CTL_E_NETWORK_NOT_FOUND);
	assert_int_equal(mk(f, &admin, CTL_ROUTER,
			    J("{\"external_gateway_info\":{\"network_id\":"
			      "\"%s\",\"enable_snat\":false}}",
			      ext),
			    &o, &err),
			 0);
	snprintf(r, sizeof(r), "%s", res_str(o, "id"));
	{
		json_t *gw = json_object_get(o, "external_gateway_info");
		json_t *ip = json_array_get(
			json_object_get(gw, "external_fixed_ips"), 0);

		assert_true(json_is_false(json_object_get(gw, "enable_snat")));
		assert_string_equal(res_str(ip, "subnet_id"), esub);
		assert_string_equal(res_str(ip, "ip_address"), "203.0.113.2");
	}
	json_decref(o);
	assert_int_equal(iface(f, r, "subnet_id", sub, true, NULL, &err), 0);
	/* Floating IPs: external network only; allocated or given. */
	mk_err(f, CTL_FLOATINGIP, J("{\"floating_network_id\":\"%s\"}", net),
	       CTL_E_BAD_REQUEST);
	mk_err(f, CTL_FLOATINGIP,
	       J("{\"floating_network_id\":\"%s\",\"port_id\":\"%s\"}", ext,
		 vm2.m.id),
	       CTL_E_NO_EXT_GW);
	mk_err(f, CTL_FLOATINGIP,
	       J("{\"floating_network_id\":\"%s\",\"port_id\":\"%s\"}", ext,
		 net),
	       CTL_E_PORT_NOT_FOUND);
	mk_err(f, CTL_FLOATINGIP,
	       J("{\"floating_network_id\":\"%s\",\"port_id\":\"%s\","
		 "\"fixed_ip_address\":\"10.0.0.99\"}",
		 ext, vm.m.id),
	       CTL_E_BAD_REQUEST);
	mk_err(f, CTL_FLOATINGIP,
	       J("{\"floating_network_id\":\"%s\","
		 "\"floating_ip_address\":\"203.0.113.2\"}",
		 ext),
	       CTL_E_IP_IN_USE);
	assert_int_equal(mk(f, &admin, CTL_FLOATINGIP,
			    J("{\"floating_network_id\":\"%s\","
			      "\"floating_ip_address\":\"203.0.113.50\"}",
			      ext),
			    &o, &err),
			 0);
	assert_string_equal(res_str(o, "status"), "DOWN");
	assert_null(json_object_get(o, "subnet_id"));
	snprintf(fip, sizeof(fip), "%s", res_str(o, "id"));
	json_decref(o);
	assert_int_equal(update(f, CTL_FLOATINGIP, fip,
				J("{\"port_id\":\"%s\"}", vm.m.id), &o, &err),
			 0);
	assert_string_equal(res_str(o, "status"), "ACTIVE");
	assert_string_equal(res_str(o, "router_id"), r);
	assert_string_equal(res_str(o, "fixed_ip_address"), "10.0.0.2");
	json_decref(o);
	mk_err(f, CTL_FLOATINGIP,
	       J("{\"floating_network_id\":\"%s\",\"port_id\":\"%s\"}", ext,
		 vm.m.id),
	       CTL_E_FIP_ASSOCIATED);
	mk_ok(f, CTL_FLOATINGIP, J("{\"floating_network_id\":\"%s\"}", ext),
	      fip2);
	/* In use: gateway, interface, external network, the fip port. */
	expect(update(f, CTL_ROUTER, r, J("{\"external_gateway_info\":null}"),
		      NULL, &err),
	       &err, CTL_E_GW_IN_USE);
	expect(iface(f, r, "subnet_id", sub, false, NULL, &err), &err,
	       CTL_E_IF_IN_USE);
	/* Another gateway address on the same network is fine. */
	assert_int_equal(update(f, CTL_ROUTER, r,
				J("{\"external_gateway_info\":{\"network_id\":"
				  "\"%s\",\"external_fixed_ips\":[{"
				  "\"ip_address\":\"203.0.113.70\"}]}}",
				  ext),
				&o, &err),
			 0);
	assert_string_equal(
		res_str(json_array_get(
				json_object_get(
					json_object_get(
						o, "external_gateway_info"),
					"external_fixed_ips"),
				0),
			"ip_address"),
		"203.0.113.70");
	json_decref(o);
	expect(ctl_network_delete(f->ctl, &admin, ext, CTL_NO_IF_MATCH, &err),
	       &err, CTL_E_NETWORK_IN_USE);
	/* Deleting the guest's port disassociates. */
	memset(f->n_doc, 0, sizeof(f->n_doc));
	assert_int_equal(
		ctl_port_delete(f->ctl, &admin, vm.m.id, CTL_NO_IF_MATCH, &err),
		0);
	assert_int_equal(f->n_doc[CTL_FLOATINGIP][CTL_UPDATED], 1);
	assert_int_equal(
		ctl_doc_get(f->ctl, &admin, CTL_FLOATINGIP, fip, &o, &err), 0);
	assert_true(json_is_null(json_object_get(o, "port_id")));
	assert_string_equal(res_str(o, "status"), "DOWN");
	json_decref(o);
	/* Delete both: their ports go; then the gateway can go. */
	f->n_port[CTL_DELETED] = 0;
	assert_int_equal(ctl_doc_delete(f->ctl, &admin, CTL_FLOATINGIP, fip,
					CTL_NO_IF_MATCH, &err),
			 0);
	assert_int_equal(ctl_doc_delete(f->ctl, &admin, CTL_FLOATINGIP, fip2,
					CTL_NO_IF_MATCH, &err),
			 0);
	assert_int_equal(f->n_port[CTL_DELETED], 2);
	assert_int_equal(update(f, CTL_ROUTER, r,
				J("{\"external_gateway_info\":{}}"), &o, &err),
			 0);
	assert_true(json_is_null(json_object_get(o, "external_gateway_info")));
	json_decref(o);
	assert_int_equal(iface(f, r, "subnet_id", sub, false, NULL, &err), 0);
	assert_int_equal(
		ctl_network_delete(f->ctl, &admin, ext, CTL_NO_IF_MATCH, &err),
		0);
}

/* Documents survive a reopen; tags and If-Match work on them. */
static void
test_persistence(void **state)
{
	struct fx *f = *state;
	char r[40], sg[40];
	struct ctl_meta meta;
	struct ctl_err err;
	json_t *o = NULL, *tags = J("[\"a\",\"b\"]");

	mk_ok(f, CTL_ROUTER, J("{\"name\":\"keep\"}"), r);
	mk_ok(f, CTL_SECGROUP, J("{\"name\":\"web\"}"), sg);
	assert_int_equal(ctl_tags_update(f->ctl, &admin, CTL_ROUTER, r,
					 CTL_TAGS_REPLACE, tags, NULL, &meta,
					 &err),
			 0);
	json_decref(tags);
	assert_int_equal(meta.n_tags, 2);
	tags = J("{\"name\":\"x\"}");
	expect(ctl_doc_update(f->ctl, &admin, CTL_ROUTER, r, tags, 1, &o, &err),
	       &err, CTL_E_REVISION);
	json_decref(tags);
	fx_close(f);
	assert_int_equal(fx_open(f), 0);
	assert_int_equal(ctl_doc_get(f->ctl, &admin, CTL_ROUTER, r, &o, &err),
			 0);
	assert_string_equal(res_str(o, "name"), "keep");
	assert_int_equal(json_array_size(json_object_get(o, "tags")), 2);
	assert_int_equal(
		json_integer_value(json_object_get(o, "revision_number")), 2);
	json_decref(o);
	assert_int_equal(n_rules(f, sg), 2);
	/* A project sees its own documents only. */
	expect(ctl_doc_get(f->ctl, &p1, CTL_ROUTER, r, &o, &err), &err,
	       CTL_E_ROUTER_NOT_FOUND);
	expect(ctl_doc_get(f->ctl, &admin, CTL_ROUTER, "nope", &o, &err), &err,
	       CTL_E_ROUTER_NOT_FOUND);
}

/* An IPv6 subnet of net: 0 with its id, or the error. */
static int
sub6(struct fx *f, const char *net, const char *cidr, const char *modes,
     char *id, struct ctl_err *err)
{
	struct ctl_subnet s;
	unsigned present = 0;
	json_t *j = J("{\"network_id\":\"%s\",\"ip_version\":6,\"cidr\":\"%s\""
		      "%s}",
		      net, cidr, modes);
	int rc = model_subnet_decode(j, MODEL_CREATE, &s, &present, err);

	json_decref(j);
	if (rc == 0)
		rc = ctl_subnet_create(f->ctl, &admin, &s, &present, 1, err);
	if (rc == 0)
		snprintf(id, CTL_UUID_LEN + 1, "%s", s.m.id);
	return rc;
}

/* p's address on subnet sub, printed into buf ("" when none). */
static const char *
ip_on(const struct ctl_port *p, const char *sub, char *buf)
{
	buf[0] = '\0';
	for (unsigned i = 0; i < p->n_fixed_ips; i++)
		if (strcmp(p->fixed_ips[i].subnet_id, sub) == 0)
			ipam_ip_format(&p->fixed_ips[i].ip, buf, IPAM_STR_MAX);
	return buf;
}

/*
 * Auto-address subnets (slaac, dhcpv6-stateless): Neutron's validation
 * of the modes and the /64, ports get the EUI-64 address of their MAC
 * and follow a MAC change, an explicit other address is refused except
 * for a router's interface; a dhcpv6-stateful subnet allocates from its
 * pool as before.
 */
static void
test_slaac(void **state)
{
	struct fx *f = *state;
	char net[CTL_UUID_LEN + 1], sub[CTL_UUID_LEN + 1];
	char st[CTL_UUID_LEN + 1], r[CTL_UUID_LEN + 1], a[IPAM_STR_MAX];
	struct ctl_port p, q, out;
	struct ctl_err err;
	json_t *b;

	mk_net(f, "n6", false, net);
	expect(sub6(f, net, "2001:db8:5::/80",
		    ",\"ipv6_ra_mode\":\"slaac\","
		    "\"ipv6_address_mode\":\"slaac\"",
		    sub, &err),
	       &err, CTL_E_INVALID_INPUT);
	assert_non_null(strstr(err.message, "requires the prefix to be /64"));
	expect(sub6(f, net, "2001:db8:5::/72", ",\"ipv6_ra_mode\":\"slaac\"",
		    sub, &err),
	       &err, CTL_E_INVALID_INPUT);
	expect(sub6(f, net, "2001:db8:5::/64",
		    ",\"ipv6_ra_mode\":\"slaac\","
		    "\"ipv6_address_mode\":\"dhcpv6-stateful\"",
		    sub, &err),
	       &err, CTL_E_INVALID_INPUT);
	assert_non_null(strstr(err.message, "must be the same value"));
	/* A stateful /80 is fine: no EUI-64 there. */
	assert_int_equal(sub6(f, net, "2001:db8:6::/80",
			      ",\"ipv6_ra_mode\":\"dhcpv6-stateful\","
			      "\"ipv6_address_mode\":\"dhcpv6-stateful\"",
			      st, &err),
			 0);
	assert_int_equal(sub6(f, net, "2001:db8:5::/64",
			      ",\"ipv6_ra_mode\":\"slaac\","
			      "\"ipv6_address_mode\":\"slaac\"",
			      sub, &err),
			 0);
	/* The EUI-64 of the MAC, with the universal/local bit flipped. */
	assert_int_equal(mk_port(f, &admin,
				 J("{\"network_id\":\"%s\",\"mac_address\":"
				   "\"fa:16:3e:05:00:01\",\"fixed_ips\":"
				   "[{\"subnet_id\":\"%s\"},{\"subnet_id\":"
				   "\"%s\"}]}",
				   net, sub, st),
				 &p, &err),
			 0);
	assert_string_equal(ip_on(&p, sub, a), "2001:db8:5:0:f816:3eff:fe05:1");
	assert_string_not_equal(ip_on(&p, st, a), "");
	assert_null(strstr(a, "ff:fe"));
	/* Another address on the slaac subnet: refused, naming the one. */
	expect(mk_port(f, &admin,
		       J("{\"network_id\":\"%s\",\"mac_address\":"
			 "\"fa:16:3e:05:00:02\",\"fixed_ips\":[{\"ip_address\":"
			 "\"2001:db8:5::99\"}]}",
			 net),
		       &q, &err),
	       &err, CTL_E_INVALID_INPUT);
	assert_non_null(strstr(err.message, "2001:db8:5:0:f816:3eff:fe05:2"));
	/* Its own EUI-64 address asked for explicitly: granted. */
	assert_int_equal(mk_port(f, &admin,
				 J("{\"network_id\":\"%s\",\"mac_address\":"
				   "\"fa:16:3e:05:00:02\",\"fixed_ips\":[{\"ip_"
				   "address\":"
				   "\"2001:db8:5:0:f816:3eff:fe05:2\"}]}",
				   net),
				 &q, &err),
			 0);
	/* A MAC change moves the slaac address, not the stateful one. */
	{
		char before[IPAM_STR_MAX];

		ip_on(&p, st, before);
		b = J("{\"mac_address\":\"fa:16:3e:05:00:03\"}");
		assert_int_equal(ctl_port_update(f->ctl, &admin, p.m.id, b,
						 CTL_NO_IF_MATCH, &out, &err),
				 0);
		json_decref(b);
		assert_int_equal(
			ctl_port_get(f->ctl, &admin, p.m.id, &out, &err), 0);
		assert_string_equal(ip_on(&out, sub, a),
				    "2001:db8:5:0:f816:3eff:fe05:3");
		assert_string_equal(ip_on(&out, st, a), before);
	}
	/* The old address is free again: the port whose MAC gives it. */
	assert_int_equal(mk_port(f, &admin,
				 J("{\"network_id\":\"%s\",\"mac_address\":"
				   "\"fa:16:3e:05:00:01\"}",
				   net),
				 &q, &err),
			 0);
	assert_string_equal(ip_on(&q, sub, a), "2001:db8:5:0:f816:3eff:fe05:1");
	assert_string_not_equal(ip_on(&q, st, a), ""); /* and one stateful */
	/* A router's interface takes the gateway address, as asked. */
	mk_ok(f, CTL_ROUTER, J("{\"name\":\"r6\"}"), r);
	assert_int_equal(iface(f, r, "subnet_id", sub, true, NULL, &err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test_setup_teardown(test_security_groups, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_router_interfaces, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_gateway_fip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_persistence, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_slaac, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
