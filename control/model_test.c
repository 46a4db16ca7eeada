// SPDX-License-Identifier: BSD-2-Clause
/*
 * model_test.c: unit tests of request validation (model.c): types and
 * strings-for-numbers, unknown and read-only attributes, subnet and port
 * rules, and the encode/decode round trip used by the store.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "model.h"

static json_t *
J(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);

	assert_non_null(j);
	return j;
}

/* Decode s as kind/mode; return rc and leave err. */
static int
dec(enum ctl_kind kind, enum model_mode mode, const char *s, void *out,
    unsigned *present, struct ctl_err *err)
{
	json_t *j = J(s);
	int rc;

	if (kind == CTL_NETWORK)
		rc = model_network_decode(j, mode, out, present, err);
	else if (kind == CTL_SUBNET)
		rc = model_subnet_decode(j, mode, out, present, err);
	else
		rc = model_port_decode(j, mode, out, present, err);
	json_decref(j);
	return rc;
}

static void
test_network(void **state)
{
	struct ctl_network n;
	struct ctl_err err;
	unsigned pr;

	(void)state;
	assert_int_equal(dec(CTL_NETWORK, MODEL_CREATE,
			     "{\"name\":\"n\",\"admin_state_up\":true}", &n,
			     &pr, &err),
			 0);
	assert_string_equal(n.m.name, "n");
	assert_int_equal(n.mtu, 1450);
	assert_true(n.has_port_security);
	/* The CLI sends numbers and booleans as strings. */
	assert_int_equal(dec(CTL_NETWORK, MODEL_CREATE,
			     "{\"mtu\":\"1400\",\"shared\":\"True\"}", &n, &pr,
			     &err),
			 0);
	assert_int_equal(n.mtu, 1400);
	assert_true(n.is_shared);
	/* Wrong types. */
	assert_int_not_equal(dec(CTL_NETWORK, MODEL_CREATE, "{\"mtu\":\"14x\"}",
				 &n, &pr, &err),
			     0);
	assert_int_equal(ctl_err_status(err.code), 400);
	assert_int_not_equal(dec(CTL_NETWORK, MODEL_CREATE, "{\"mtu\":99999}",
				 &n, &pr, &err),
			     0);
	assert_int_not_equal(
		dec(CTL_NETWORK, MODEL_CREATE, "{\"name\":5}", &n, &pr, &err),
		0);
	assert_int_not_equal(dec(CTL_NETWORK, MODEL_CREATE,
				 "{\"admin_state_up\":\"maybe\"}", &n, &pr,
				 &err),
			     0);
	/* Unknown and read-only attributes. */
	assert_int_not_equal(dec(CTL_NETWORK, MODEL_CREATE,
				 "{\"colour\":\"red\"}", &n, &pr, &err),
			     0);
	assert_non_null(strstr(err.message, "Unrecognized"));
	assert_int_not_equal(dec(CTL_NETWORK, MODEL_CREATE,
				 "{\"status\":\"ACTIVE\"}", &n, &pr, &err),
			     0);
	assert_non_null(strstr(err.message, "not allowed in POST"));
	/* project_id and tenant_id must agree. */
	assert_int_not_equal(dec(CTL_NETWORK, MODEL_CREATE,
				 "{\"project_id\":\"a\",\"tenant_id\":\"b\"}",
				 &n, &pr, &err),
			     0);
	assert_int_equal(dec(CTL_NETWORK, MODEL_CREATE,
			     "{\"tenant_id\":\"p1\"}", &n, &pr, &err),
			 0);
	assert_string_equal(n.m.project_id, "p1");
	assert_true(pr & MODEL_HAS_PROJECT);
	assert_int_not_equal(dec(CTL_NETWORK, MODEL_CREATE,
				 "{\"name\":\""
				 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				 "aaaaaaaaaaaaaaaaaaa"
				 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				 "aaaaaaaaaaaaaaaaaaa"
				 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				 "aaaaaaaaaaaaaaaaaaa"
				 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				 "aaaaaaaaaaaaaaaaaaa"
				 "\"}",
				 &n, &pr, &err),
			     0);
	assert_int_equal(dec(CTL_NETWORK, MODEL_CREATE,
			     "{\"provider:segmentation_id\":\"77\"}", &n, &pr,
			     &err),
			 0);
	assert_true(pr & MODEL_HAS_SEGMENT);
	assert_int_equal(n.segmentation_id, 77);
	{
		json_t *b = J("{\"provider:segmentation_id\":5}");

		assert_int_equal(model_check_update(CTL_NETWORK, b, &err),
				 -EINVAL);
		json_decref(b);
		b = J("{\"mtu\":1400,\"name\":\"x\"}");
		assert_int_equal(model_check_update(CTL_NETWORK, b, &err), 0);
		json_decref(b);
	}
}

static void
test_subnet(void **state)
{
	struct ctl_subnet s;
	struct ctl_err err;
	unsigned pr;
	const char *net =
		"\"network_id\":\"e2fd5410-ff2c-4424-a8db-fb96fd708611\"";
	char buf[512];

	(void)state;
	snprintf(buf, sizeof(buf),
		 "{%s,\"ip_version\":4,\"cidr\":\"10.0.0.0/24\"}", net);
	assert_int_equal(dec(CTL_SUBNET, MODEL_CREATE, buf, &s, &pr, &err), 0);
	assert_true(s.has_gateway);
	assert_int_equal(s.n_pools, 1);
	assert_true(s.is_dhcp);
	/* Missing cidr, bad cidr, version mismatch. */
	snprintf(buf, sizeof(buf), "{%s,\"ip_version\":4}", net);
	assert_int_not_equal(dec(CTL_SUBNET, MODEL_CREATE, buf, &s, &pr, &err),
			     0);
	assert_non_null(strstr(err.message, "cidr"));
	snprintf(buf, sizeof(buf),
		 "{%s,\"ip_version\":4,\"cidr\":\"10.0.0.300/24\"}", net);
	assert_int_not_equal(dec(CTL_SUBNET, MODEL_CREATE, buf, &s, &pr, &err),
			     0);
	assert_int_equal(err.code, CTL_E_INVALID_INPUT);
	snprintf(buf, sizeof(buf),
		 "{%s,\"ip_version\":6,\"cidr\":\"10.0.0.0/24\"}", net);
	assert_int_not_equal(dec(CTL_SUBNET, MODEL_CREATE, buf, &s, &pr, &err),
			     0);
	snprintf(buf, sizeof(buf),
		 "{%s,\"ip_version\":5,\"cidr\":\"10.0.0.0/24\"}", net);
	assert_int_not_equal(dec(CTL_SUBNET, MODEL_CREATE, buf, &s, &pr, &err),
			     0);
	/* gateway null, explicit pools, dns and routes. */
	snprintf(buf, sizeof(buf),
		 "{%s,\"ip_version\":\"4\",\"cidr\":"
		 "\"10.0.0.0/24\",\"gateway_ip\":null,\"allocation_pools\":"
		 "[{\"start\":\"10.0.0.10\",\"end\":\"10.0.0.20\"}],"
		 "\"dns_nameservers\":[\"8.8.8.8\"],\"host_routes\":"
		 "[{\"destination\":\"192.168.0.0/"
		 "16\",\"nexthop\":\"10.0.0.1\"}],"
		 "\"enable_dhcp\":\"false\"}",
		 net);
	assert_int_equal(dec(CTL_SUBNET, MODEL_CREATE, buf, &s, &pr, &err), 0);
	assert_false(s.has_gateway);
	assert_int_equal(s.n_pools, 1);
	assert_int_equal(s.n_dns, 1);
	assert_int_equal(s.n_routes, 1);
	assert_false(s.is_dhcp);
	/* A pool entry with an extra key. */
	snprintf(buf, sizeof(buf),
		 "{%s,\"ip_version\":4,\"cidr\":"
		 "\"10.0.0.0/24\",\"allocation_pools\":[{\"start\":"
		 "\"10.0.0.10\",\"end\":\"10.0.0.20\",\"x\":1}]}",
		 net);
	assert_int_not_equal(dec(CTL_SUBNET, MODEL_CREATE, buf, &s, &pr, &err),
			     0);
	/* ipv6 modes on a v4 subnet. */
	snprintf(buf, sizeof(buf),
		 "{%s,\"ip_version\":4,\"cidr\":"
		 "\"10.0.0.0/24\",\"ipv6_ra_mode\":\"slaac\"}",
		 net);
	assert_int_not_equal(dec(CTL_SUBNET, MODEL_CREATE, buf, &s, &pr, &err),
			     0);
	snprintf(buf, sizeof(buf),
		 "{%s,\"ip_version\":6,\"cidr\":"
		 "\"2001:db8::/64\",\"ipv6_ra_mode\":\"slaac\","
		 "\"ipv6_address_mode\":\"slaac\"}",
		 net);
	assert_int_equal(dec(CTL_SUBNET, MODEL_CREATE, buf, &s, &pr, &err), 0);
	assert_int_equal(s.ra_mode, CTL_V6_SLAAC);
}

static void
test_port(void **state)
{
	struct ctl_port p;
	struct ctl_err err;
	unsigned pr;
	const char *net =
		"\"network_id\":\"e2fd5410-ff2c-4424-a8db-fb96fd708611\"";
	char buf[768];

	(void)state;
	snprintf(buf, sizeof(buf), "{%s,\"name\":\"p\"}", net);
	assert_int_equal(dec(CTL_PORT, MODEL_CREATE, buf, &p, &pr, &err), 0);
	assert_int_equal(pr & (MODEL_HAS_MAC | MODEL_HAS_FIXED_IPS), 0);
	assert_int_equal(p.status, CTL_STATUS_DOWN);
	assert_string_equal(p.vif_type, "unbound");
	snprintf(
		buf, sizeof(buf),
		"{%s,\"mac_address\":\"FA:16:3E:00:00:01\","
		"\"fixed_ips\":[{\"ip_address\":\"10.0.0.5\"},{\"subnet_id\":"
		"\"e2fd5410-ff2c-4424-a8db-fb96fd708612\"}],"
		"\"binding:profile\":{\"interface\":\"veth1\"},"
		"\"binding:host_id\":\"h1\",\"binding:vnic_type\":\"normal\","
		"\"allowed_address_pairs\":[{\"ip_address\":\"10.0.0.0/24\"}]}",
		net);
	assert_int_equal(dec(CTL_PORT, MODEL_CREATE, buf, &p, &pr, &err), 0);
	assert_true(pr & MODEL_HAS_MAC);
	assert_true(pr & MODEL_HAS_FIXED_IPS);
	assert_int_equal(p.mac[5], 1);
	assert_int_equal(p.n_fixed_ips, 2);
	assert_int_equal(p.fixed_ips[1].ip.family, 0);
	assert_string_equal(p.profile, "{\"interface\":\"veth1\"}");
	assert_int_equal(p.pairs[0].ip.len, 24);
	/* Bad MACs: multicast, short, zero. */
	snprintf(buf, sizeof(buf), "{%s,\"mac_address\":\"01:00:5e:00:00:01\"}",
		 net);
	assert_int_not_equal(dec(CTL_PORT, MODEL_CREATE, buf, &p, &pr, &err),
			     0);
	snprintf(buf, sizeof(buf), "{%s,\"mac_address\":\"fa:16:3e:00:00\"}",
		 net);
	assert_int_not_equal(dec(CTL_PORT, MODEL_CREATE, buf, &p, &pr, &err),
			     0);
	/* fixed_ips entry with neither key, or not a list. */
	snprintf(buf, sizeof(buf), "{%s,\"fixed_ips\":[{}]}", net);
	assert_int_not_equal(dec(CTL_PORT, MODEL_CREATE, buf, &p, &pr, &err),
			     0);
	snprintf(buf, sizeof(buf), "{%s,\"fixed_ips\":\"10.0.0.1\"}", net);
	assert_int_not_equal(dec(CTL_PORT, MODEL_CREATE, buf, &p, &pr, &err),
			     0);
	/* Pairs need port security. */
	snprintf(buf, sizeof(buf),
		 "{%s,\"port_security_enabled\":false,"
		 "\"allowed_address_pairs\":[{\"ip_address\":\"10.0.0.9\"}]}",
		 net);
	assert_int_not_equal(dec(CTL_PORT, MODEL_CREATE, buf, &p, &pr, &err),
			     0);
	assert_int_equal(ctl_err_status(err.code), 409);
	/* binding:profile must be an object; vif_type is read-only. */
	snprintf(buf, sizeof(buf), "{%s,\"binding:profile\":[1]}", net);
	assert_int_not_equal(dec(CTL_PORT, MODEL_CREATE, buf, &p, &pr, &err),
			     0);
	snprintf(buf, sizeof(buf), "{%s,\"binding:vif_type\":\"ovs\"}", net);
	assert_int_not_equal(dec(CTL_PORT, MODEL_CREATE, buf, &p, &pr, &err),
			     0);
	/* Missing network_id. */
	assert_int_not_equal(dec(CTL_PORT, MODEL_CREATE, "{}", &p, &pr, &err),
			     0);
	assert_int_equal(ctl_err_status(err.code), 400);
}

static void
test_roundtrip(void **state)
{
	struct ctl_port p, q;
	struct ctl_subnet s, t;
	struct ctl_err err;
	json_t *j;
	const char *net =
		"\"network_id\":\"e2fd5410-ff2c-4424-a8db-fb96fd708611\"";
	char buf[768];

	(void)state;
	snprintf(buf, sizeof(buf),
		 "{%s,\"fixed_ips\":[{\"subnet_id\":"
		 "\"e2fd5410-ff2c-4424-a8db-fb96fd708612\",\"ip_address\":"
		 "\"10.0.0.5\"}],\"tags\":[\"x\",\"y\",\"x\"],"
		 "\"mac_address\":\"fa:16:3e:aa:bb:cc\"}",
		 net);
	assert_int_equal(dec(CTL_PORT, MODEL_CREATE, buf, &p, NULL, &err), 0);
	assert_int_equal(p.m.n_tags, 2);
	model_uuid_new(p.m.id);
	assert_true(model_is_uuid(p.m.id));
	p.m.created_at = 1700000000;
	p.m.updated_at = 1700000001;
	p.m.revision_number = 3;
	strcpy(p.m.project_id, "p1");
	j = model_port_encode(&p);
	if (model_port_decode(j, MODEL_STORE, &q, NULL, &err) != 0)
		fail_msg("%s", err.message);
	json_decref(j);
	assert_memory_equal(&p, &q, sizeof(p));

	snprintf(buf, sizeof(buf),
		 "{%s,\"ip_version\":4,\"cidr\":"
		 "\"10.1.0.0/16\",\"dns_nameservers\":[\"1.1.1.1\"]}",
		 net);
	assert_int_equal(dec(CTL_SUBNET, MODEL_CREATE, buf, &s, NULL, &err), 0);
	model_uuid_new(s.m.id);
	strcpy(s.m.project_id, "p1");
	j = model_subnet_encode(&s);
	assert_int_equal(model_subnet_decode(j, MODEL_STORE, &t, NULL, &err),
			 0);
	json_decref(j);
	assert_memory_equal(&s, &t, sizeof(s));
}

static void
test_errors(void **state)
{
	(void)state;
	assert_int_equal(ctl_err_status(CTL_E_IP_IN_USE), 409);
	assert_string_equal(ctl_err_type(CTL_E_IP_IN_USE),
			    "IpAddressAlreadyAllocated");
	assert_int_equal(ctl_err_status(CTL_E_REVISION), 412);
	assert_string_equal(ctl_err_type(CTL_E_NETWORK_NOT_FOUND),
			    "NetworkNotFound");
	assert_int_equal(ctl_err_status(CTL_E_COUNT), 500);
	assert_false(model_is_uuid("e2fd5410-ff2c-4424-a8db-fb96fd70861"));
	assert_false(model_is_uuid("e2fd5410xff2c-4424-a8db-fb96fd708611"));
	assert_true(model_is_attribute(CTL_PORT, "binding:host_id"));
	assert_false(model_is_attribute(CTL_NETWORK, "binding:host_id"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_network),
		cmocka_unit_test(test_subnet),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
