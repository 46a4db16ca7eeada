// SPDX-License-Identifier: BSD-2-Clause
/*
 * dpsync_l3_test.c: unit tests of dpsync_l3.c: the net_view projection of
 * routers, floating IPs, security groups and rules from their documents,
 * the gateway port lookup, no-op detection, and the ports a port's change
 * touches through remote security groups.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dpsync_l3.h"

#define R1 "11111111-1111-4111-8111-111111111111"
#define SGA "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define SGB "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"

/* The ports a change touched, as "p:<id> " words. */
struct seen {
	char log[1024];
};

static void
seen_port(void *arg, const char *id)
{
	struct seen *s = arg;
	size_t n = strlen(s->log);

	snprintf(s->log + n, sizeof(s->log) - n, "p:%s ", id);
}

static json_t *
J(const char *s)
{
	json_t *j = json_loads(s, 0, NULL);

	assert_non_null(j);
	return j;
}

static void
apply(struct dpsync_docs *d, enum ctl_kind k, const char *old, const char *cur,
      bool want_same)
{
	json_t *o = old != NULL ? J(old) : NULL,
	       *c = cur != NULL ? J(cur) : NULL;
	bool same = !want_same;

	assert_int_equal(dpsync_docs_apply(d, k, o, c, &same), 0);
	assert_int_equal(same, want_same);
	json_decref(o);
	json_decref(c);
}

static struct net_view_port
port(const char *id, const char *net, const char *owner, const char *dev,
     const char *sg)
{
	struct net_view_port p;

	memset(&p, 0, sizeof(p));
	snprintf(p.id, sizeof(p.id), "%s", id);
	snprintf(p.network_id, sizeof(p.network_id), "%s", net);
	snprintf(p.device_owner, sizeof(p.device_owner), "%s", owner);
	snprintf(p.device_id, sizeof(p.device_id), "%s", dev);
	if (sg != NULL) {
		snprintf(p.sgs[0], sizeof(p.sgs[0]), "%s", sg);
		p.n_sgs = 1;
	}
	return p;
}

static void
test_projection(void **state)
{
	struct dpsync_docs d = {0};
	struct net_view_network nets[2] = {0};
	struct net_view_port ports[5];
	struct net_view v = {0};
	struct seen s = {{0}};
	(void)state;
	strcpy(nets[0].id, "net-a");
	nets[0].segment_id = 10;
	strcpy(nets[1].id, "ext");
	nets[1].segment_id = 99;
	nets[1].is_external = true;
	ports[0] = port("if1", "net-a", "network:router_interface", R1, NULL);
	ports[1] = port("gw1", "ext", "network:router_gateway", R1, NULL);
	ports[2] = port("vm1", "net-a", "compute:x", "", SGA);
	ports[3] = port("vm2", "net-a", "compute:x", "", SGB);
	ports[4] = port("vm3", "net-a", "compute:x", "", SGB);
	v.networks = nets;
	v.n_networks = 2;
	v.ports = ports;
	v.n_ports = 5;

	apply(&d, CTL_ROUTER, NULL,
	      "{\"id\":\"" R1 "\",\"project_id\":\"p\",\"name\":\"r\","
	      "\"admin_state_up\":true,\"external_gateway_info\":"
	      "{\"network_id\":\"ext\",\"enable_snat\":true},"
	      "\"routes\":[{\"destination\":\"192.168.0.0/16\","
	      "\"nexthop\":\"10.0.0.5\"}]}",
	      false);
	/* A new name only: same view. */
	apply(&d, CTL_ROUTER, NULL,
	      "{\"id\":\"" R1 "\",\"project_id\":\"p\",\"name\":\"r2\","
	      "\"admin_state_up\":true,\"external_gateway_info\":"
	      "{\"network_id\":\"ext\",\"enable_snat\":true},"
	      "\"routes\":[{\"destination\":\"192.168.0.0/16\","
	      "\"nexthop\":\"10.0.0.5\"}]}",
	      true);
	apply(&d, CTL_SECGROUP, NULL,
	      "{\"id\":\"" SGA "\",\"project_id\":\"p\",\"stateful\":true}",
	      false);
	apply(&d, CTL_SGRULE, NULL,
	      "{\"id\":\"rule1\",\"security_group_id\":\"" SGA "\","
	      "\"direction\":\"ingress\",\"ethertype\":\"IPv4\","
	      "\"protocol\":\"tcp\",\"port_range_min\":22,"
	      "\"port_range_max\":23,\"remote_ip_prefix\":\"0.0.0.0/0\","
	      "\"remote_group_id\":null}",
	      false);
	apply(&d, CTL_SGRULE, NULL,
	      "{\"id\":\"rule2\",\"security_group_id\":\"" SGB "\","
	      "\"direction\":\"egress\",\"ethertype\":\"IPv6\","
	      "\"protocol\":null,\"port_range_min\":null,"
	      "\"port_range_max\":null,\"remote_ip_prefix\":\"fd00::/8\","
	      "\"remote_group_id\":\"" SGA "\"}",
	      false);
	apply(&d, CTL_FLOATINGIP, NULL,
	      "{\"id\":\"fip1\",\"floating_network_id\":\"ext\","
	      "\"floating_ip_address\":\"203.0.113.9\",\"port_id\":\"vm1\","
	      "\"fixed_ip_address\":\"10.0.0.3\",\"router_id\":\"" R1 "\"}",
	      false);
	dpsync_docs_view(&d, &v);
	assert_int_equal(v.n_routers, 1);
	assert_string_equal(v.routers[0].gw_port_id, "gw1");
	assert_true(v.routers[0].is_snat);
	assert_int_equal(v.routers[0].n_routes, 1);
	assert_int_equal(v.routers[0].routes[0].dst.prefix_len, 16);
	assert_int_equal(v.routers[0].routes[0].nexthop.a[3], 5);
	assert_int_equal(v.n_sg_rules, 2);
	assert_int_equal(v.sg_rules[0].protocol, 6);
	assert_int_equal(v.sg_rules[0].port_min, 22);
	assert_int_equal(v.sg_rules[0].port_max, 23);
	assert_int_equal(v.sg_rules[0].remote_prefix.version, 0); /* any */
	assert_int_equal(v.sg_rules[1].direction, NET_SG_EGRESS);
	assert_int_equal(v.sg_rules[1].ethertype, 6);
	assert_int_equal(v.sg_rules[1].protocol, -1);
	assert_int_equal(v.sg_rules[1].port_min, -1);
	assert_int_equal(v.sg_rules[1].remote_prefix.prefix_len, 8);
	assert_string_equal(v.sg_rules[1].remote_group_id, SGA);
	assert_int_equal(v.n_fips, 1);
	assert_int_equal(v.fips[0].floating_ip.a[3], 9);
	assert_string_equal(v.fips[0].router_id, R1);
	assert_true(v.sgs[0].is_stateful);

	/*
	 * vm1 (group A) changes: group B's rule names A as remote, so B's
	 * members follow; vm1 itself is recompiled by its own event.
	 */
	s.log[0] = '\0';
	dpsync_docs_port_touched(&v, &ports[2], &ports[2], seen_port, &s);
	assert_string_equal(s.log, "p:vm2 p:vm3 ");
	s.log[0] = '\0';
	dpsync_docs_port_touched(&v, &ports[3], NULL, seen_port, &s);
	assert_string_equal(s.log, "");
	/* Deletes leave the arrays. */
	apply(&d, CTL_SGRULE, "{\"id\":\"rule1\"}", NULL, false);
	apply(&d, CTL_FLOATINGIP, "{\"id\":\"fip1\"}", NULL, false);
	dpsync_docs_view(&d, &v);
	assert_int_equal(v.n_sg_rules, 1);
	assert_string_equal(v.sg_rules[0].id, "rule2");
	assert_int_equal(v.n_fips, 0);
	dpsync_docs_fini(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_projection),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
