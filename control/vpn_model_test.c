// SPDX-License-Identifier: BSD-2-Clause
/*
 * vpn_model_test.c: unit tests of the VPNaaS validation (vpn_model.h) and
 * its store (vpn_store.h): defaults, refusals with their reasons, the
 * merge of updates, the write-only PSK, the proposals handed to the IKE
 * engine (parsed by the engine's own parser), persistence of documents
 * and keys, and the router lookup through ports.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ike.h"
#include "vpn_model.h"
#include "vpn_store.h"

static char psk[VPN_PSK_MAX + 1];
static bool has_psk;

/* Decode the JSON text body as a create (old NULL) or update. */
static int
decode(enum vpn_kind k, const char *text, const json_t *old, json_t **out,
       struct ctl_err *err)
{
	json_t *body = json_loads(text, 0, NULL);
	int rc;

	assert_non_null(body);
	memset(err, 0, sizeof(*err));
	rc = vpn_model_decode(k, body, old, out, psk, &has_psk, err);
	json_decref(body);
	return rc;
}

/* The create must fail with a message containing want. */
static void
refused(enum vpn_kind k, const char *text, const json_t *old, const char *want)
{
	struct ctl_err err;
	json_t *out = NULL;

	assert_int_equal(decode(k, text, old, &out, &err), -EINVAL);
	assert_null(out);
	assert_int_equal(ctl_err_status(err.code), 400);
	if (strstr(err.message, want) == NULL)
		fail_msg("'%s': message '%s' lacks '%s'", text, err.message,
			 want);
}

static const char *
str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void
test_ikepolicy_defaults(void **state)
{
	struct ctl_err err;
	json_t *o;
	char prop[VPN_PROPOSAL_MAX];

	(void)state;
	assert_int_equal(
		decode(VPN_IKEPOLICY, "{\"name\": \"p\"}", NULL, &o, &err), 0);
	assert_string_equal(str(o, "ike_version"), "v2");
	assert_string_equal(str(o, "auth_algorithm"), "sha256");
	assert_string_equal(str(o, "encryption_algorithm"), "aes-128");
	assert_string_equal(str(o, "pfs"), "group14");
	assert_string_equal(str(o, "phase1_negotiation_mode"), "main");
	assert_int_equal(vpn_model_lifetime(o), 3600);
	assert_int_equal(vpn_model_proposal(o, false, prop, sizeof(prop)), 0);
	assert_string_equal(prop, "aes128-sha256-modp2048");
	json_decref(o);
}

static void
test_refusals(void **state)
{
	(void)state;
	refused(VPN_IKEPOLICY, "{\"ike_version\": \"v1\"}", NULL, "IKEv2 only");
	refused(VPN_IKEPOLICY, "{\"auth_algorithm\": \"sha1\"}", NULL,
		"sha1 is not supported");
	refused(VPN_IKEPOLICY, "{\"encryption_algorithm\": \"3des\"}", NULL,
		"3des is not supported");
	refused(VPN_IKEPOLICY, "{\"encryption_algorithm\": \"aes-192\"}", NULL,
		"aes-192 is not supported");
	refused(VPN_IKEPOLICY, "{\"encryption_algorithm\": \"rot13\"}", NULL,
		"not a valid value");
	refused(VPN_IKEPOLICY, "{\"pfs\": \"group5\"}", NULL,
		"group5 is not supported");
	refused(VPN_IKEPOLICY, "{\"phase1_negotiation_mode\": \"aggressive\"}",
		NULL, "IKEv2 only");
	refused(VPN_IKEPOLICY, "{\"lifetime\": {\"value\": 59}}", NULL,
		"not in [60");
	refused(VPN_IKEPOLICY, "{\"lifetime\": {\"units\": \"kilobytes\"}}",
		NULL, "kilobytes");
	refused(VPN_IKEPOLICY, "{\"lifetime\": 3600}", NULL,
		"not a dictionary");
	refused(VPN_IKEPOLICY, "{\"id\": \"x\"}", NULL, "not allowed in POST");
	refused(VPN_IKEPOLICY, "{\"bogus\": 1}", NULL, "Unrecognized");
	refused(VPN_IKEPOLICY, "{\"project_id\": \"a\", \"tenant_id\": \"b\"}",
		NULL, "do not match");
	refused(VPN_IPSECPOLICY, "{\"encapsulation_mode\": \"transport\"}",
		NULL, "transport is not supported");
	refused(VPN_IPSECPOLICY, "{\"transform_protocol\": \"ah\"}", NULL,
		"ah is not supported");
	refused(VPN_SERVICE, "{\"name\": \"s\"}", NULL,
		"Required attribute 'router_id'");
	refused(VPN_SERVICE, "{\"router_id\": \"nope\"}", NULL,
		"not a valid UUID");
	refused(VPN_SERVICE,
		"{\"router_id\": \"3f1c2b9a-0000-4000-8000-000000000000\", "
		"\"status\": \"ACTIVE\"}",
		NULL, "not allowed in POST");
	refused(VPN_EPG, "{\"type\": \"network\", \"endpoints\": [\"x\"]}",
		NULL, "type network is not supported");
	refused(VPN_EPG, "{\"type\": \"cidr\", \"endpoints\": []}", NULL,
		"at least one");
	refused(VPN_EPG,
		"{\"type\": \"cidr\", \"endpoints\": [\"10.0.0.1/8\"]}", NULL,
		"not a valid CIDR");
	refused(VPN_EPG,
		"{\"type\": \"cidr\", \"endpoints\": [\"10.0.0.0/8\", "
		"\"2001:db8::/32\"]}",
		NULL, "mixes IPv4 and IPv6");
	refused(VPN_EPG, "{\"type\": \"subnet\", \"endpoints\": [\"x\"]}", NULL,
		"subnet UUID");
}

#define CONN_BASE                                                              \
	"\"vpnservice_id\": \"3f1c2b9a-0000-4000-8000-000000000001\", "        \
	"\"ikepolicy_id\": \"3f1c2b9a-0000-4000-8000-000000000002\", "         \
	"\"ipsecpolicy_id\": \"3f1c2b9a-0000-4000-8000-000000000003\", "       \
	"\"peer_address\": \"203.0.113.2\", \"peer_id\": \"@branch\", "        \
	"\"psk\": \"s3cret\""

static void
test_conn(void **state)
{
	struct ctl_err err;
	json_t *o, *u;

	(void)state;
	refused(VPN_CONN, "{" CONN_BASE "}", NULL,
		"Missing peer CIDRs or endpoint groups");
	refused(VPN_CONN,
		"{" CONN_BASE ", \"peer_cidrs\": [\"10.2.0.0/24\"], "
		"\"local_ep_group_id\": "
		"\"3f1c2b9a-0000-4000-8000-000000000004\", "
		"\"peer_ep_group_id\": "
		"\"3f1c2b9a-0000-4000-8000-000000000005\"}",
		NULL, "both peer_cidrs and endpoint groups");
	refused(VPN_CONN,
		"{" CONN_BASE ", \"local_ep_group_id\": "
		"\"3f1c2b9a-0000-4000-8000-000000000004\"}",
		NULL, "both local and peer");
	refused(VPN_CONN,
		"{" CONN_BASE ", \"peer_cidrs\": [\"10.2.0.0/24\"], \"dpd\": "
		"{\"interval\": 30, \"timeout\": 30}}",
		NULL, "must be greater than the interval");
	refused(VPN_CONN,
		"{" CONN_BASE ", \"peer_cidrs\": [\"10.2.0.0/24\"], \"dpd\": "
		"{\"action\": \"panic\"}}",
		NULL, "dpd action");
	refused(VPN_CONN,
		"{" CONN_BASE
		", \"peer_cidrs\": [\"10.2.0.0/24\"], \"mtu\": 67}",
		NULL, "not in [68");
	refused(VPN_CONN,
		"{" CONN_BASE ", \"peer_cidrs\": [\"10.1.0.0/24\", "
		"\"10.2.0.0/24\", \"10.3.0.0/24\", \"10.4.0.0/24\", "
		"\"10.5.0.0/24\"]}",
		NULL, "at most 4");
	refused(VPN_CONN,
		"{" CONN_BASE ", \"peer_cidrs\": [\"10.2.0.0/24\"], "
		"\"peer_address\": \"vpn.example.com\"}",
		NULL, "does not resolve FQDNs");
	refused(VPN_CONN,
		"{" CONN_BASE ", \"peer_cidrs\": [\"10.2.0.0/24\"], "
		"\"peer_id\": \"a b\"}",
		NULL, "without spaces");

	/* The CLI sends one --peer-cidr as a string; strings for numbers. */
	assert_int_equal(
		decode(VPN_CONN,
		       "{" CONN_BASE ", \"peer_cidrs\": \"10.2.0.0/24\", "
		       "\"mtu\": \"1400\", \"admin_state_up\": \"false\"}",
		       NULL, &o, &err),
		0);
	assert_true(has_psk);
	assert_string_equal(psk, "s3cret");
	assert_null(json_object_get(o, "psk"));
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(o, "peer_cidrs"), 0)),
			    "10.2.0.0/24");
	assert_int_equal(json_integer_value(json_object_get(o, "mtu")), 1400);
	assert_true(json_is_false(json_object_get(o, "admin_state_up")));
	assert_string_equal(str(o, "status"), "DOWN");
	assert_string_equal(str(o, "initiator"), "bi-directional");
	assert_string_equal(str(json_object_get(o, "dpd"), "action"), "hold");

	/* Updates merge over the stored object and are checked whole. */
	refused(VPN_CONN, "{\"dpd\": {\"interval\": 200}}", o,
		"must be greater than the interval");
	refused(VPN_CONN,
		"{\"vpnservice_id\": \"3f1c2b9a-0000-4000-8000-000000000009\"}",
		o, "Cannot update read-only attribute vpnservice_id");
	refused(VPN_CONN, "{\"status\": \"ACTIVE\"}", o,
		"Cannot update read-only attribute status");
	refused(VPN_CONN,
		"{\"peer_ep_group_id\": "
		"\"3f1c2b9a-0000-4000-8000-000000000005\"}",
		o, "both");
	assert_int_equal(decode(VPN_CONN,
				"{\"dpd\": {\"interval\": 100, \"timeout\": "
				"\"300\"}}",
				o, &u, &err),
			 0);
	assert_false(has_psk);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(u, "dpd"), "timeout")),
			 300);
	assert_string_equal(str(json_object_get(u, "dpd"), "action"), "hold");
	json_decref(u);
	refused(VPN_EPG, "{\"endpoints\": [\"10.0.0.0/8\"]}", o,
		"Cannot update read-only attribute endpoints");
	json_decref(o);
}

static void
test_proposals(void **state)
{
	static const struct {
		const char *policy;
		bool is_esp;
		const char *want;
	} cases[] = {
		{"{\"encryption_algorithm\": \"aes-256\", \"auth_algorithm\": "
		 "\"sha512\"}",
		 false, "aes256-sha512-modp2048"},
		{"{\"encryption_algorithm\": \"aes-256-gcm-16\", "
		 "\"auth_algorithm\": \"sha384\", \"pfs\": \"group20\"}",
		 false, "aes256gcm16-prfsha384-ecp384"},
		{"{\"encryption_algorithm\": \"aes-128-gcm-16\", \"pfs\": "
		 "\"group31\"}",
		 true, "aes128gcm16-curve25519"},
		{"{\"pfs\": \"group19\"}", true, "aes128-sha256-ecp256"},
	};
	struct ike_proposal_cfg p[IKE_MAX_PROPS_CFG];
	char prop[VPN_PROPOSAL_MAX];
	struct ctl_err err;
	uint8_t n;
	size_t i;
	json_t *o;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(decode(cases[i].is_esp ? VPN_IPSECPOLICY
							: VPN_IKEPOLICY,
					cases[i].policy, NULL, &o, &err),
				 0);
		assert_int_equal(vpn_model_proposal(o, cases[i].is_esp, prop,
						    sizeof(prop)),
				 0);
		assert_string_equal(prop, cases[i].want);
		/* The engine's own parser takes it. */
		assert_int_equal(ike_proposal_parse(prop, cases[i].is_esp, p,
						    IKE_MAX_PROPS_CFG, &n),
				 0);
		assert_int_equal(n, 1);
		json_decref(o);
	}
}

static void
test_kinds(void **state)
{
	enum vpn_kind k;

	(void)state;
	assert_int_equal(vpn_kind_from_plural("ipsec-site-connections", &k), 0);
	assert_int_equal(k, VPN_CONN);
	assert_string_equal(vpn_kind_singular(k), "ipsec_site_connection");
	assert_int_equal(vpn_kind_from_plural("endpoint_groups", &k), -ENOENT);
	assert_true(vpn_model_is_attribute(VPN_CONN, "status_description"));
	assert_false(vpn_model_is_attribute(VPN_IKEPOLICY, "psk"));
}

/* Store: documents, the key column, and the router lookup by ports. */
static void
test_store(void **state)
{
	struct store *st;
	struct vpn_router r;
	struct ctl_port port;
	struct ctl_network net;
	struct ctl_subnet sub;
	char key[VPN_PSK_MAX + 1];
	json_t *doc, *got;

	(void)state;
	assert_int_equal(store_open(":memory:", &st), 0);
	assert_int_equal(vpn_store_init(st), 0);
	doc = json_pack("{ss ss ss}", "id",
			"3f1c2b9a-0000-4000-8000-0000000000c1", "project_id",
			"p1", "name", "c1");
	assert_int_equal(vpn_store_put(st, VPN_CONN, doc, "k1", true), 0);
	assert_int_equal(vpn_store_put(st, VPN_CONN, doc, "k1", true), -EEXIST);
	assert_int_equal(
		vpn_store_psk(st, "3f1c2b9a-0000-4000-8000-0000000000c1", key),
		0);
	assert_string_equal(key, "k1");
	/* An update without a key keeps the stored one. */
	json_object_set_new(doc, "name", json_string("c1b"));
	assert_int_equal(vpn_store_put(st, VPN_CONN, doc, NULL, false), 0);
	assert_int_equal(
		vpn_store_psk(st, "3f1c2b9a-0000-4000-8000-0000000000c1", key),
		0);
	assert_string_equal(key, "k1");
	assert_int_equal(vpn_store_get(st, VPN_CONN,
				       "3f1c2b9a-0000-4000-8000-0000000000c1",
				       &got),
			 0);
	assert_string_equal(str(got, "name"), "c1b");
	json_decref(got);
	/* Kinds do not mix. */
	assert_int_equal(vpn_store_get(st, VPN_SERVICE,
				       "3f1c2b9a-0000-4000-8000-0000000000c1",
				       &got),
			 -ENOENT);
	assert_int_equal(vpn_store_del(st, VPN_CONN,
				       "3f1c2b9a-0000-4000-8000-0000000000c1"),
			 0);
	assert_int_equal(vpn_store_del(st, VPN_CONN,
				       "3f1c2b9a-0000-4000-8000-0000000000c1"),
			 -ENOENT);
	json_decref(doc);

	/* A router known only by its gateway port. */
	assert_int_equal(
		vpn_store_router(st, "3f1c2b9a-0000-4000-8000-0000000000a1",
				 &r),
		-ENOENT);
	memset(&net, 0, sizeof(net));
	snprintf(net.m.id, sizeof(net.m.id),
		 "3f1c2b9a-0000-4000-8000-0000000000e1");
	snprintf(net.m.project_id, sizeof(net.m.project_id), "p1");
	net.segmentation_id = 7;
	assert_int_equal(store_network_put(st, &net, true), 0);
	memset(&sub, 0, sizeof(sub));
	snprintf(sub.m.id, sizeof(sub.m.id),
		 "3f1c2b9a-0000-4000-8000-0000000000e2");
	snprintf(sub.network_id, sizeof(sub.network_id), "%s", net.m.id);
	sub.ip_version = 4;
	assert_int_equal(vpn_model_cidr("198.51.100.0/24", &sub.cidr), 0);
	assert_int_equal(store_subnet_put(st, &sub, true), 0);
	memset(&port, 0, sizeof(port));
	snprintf(port.m.id, sizeof(port.m.id),
		 "3f1c2b9a-0000-4000-8000-0000000000e3");
	snprintf(port.m.project_id, sizeof(port.m.project_id), "p1");
	snprintf(port.network_id, sizeof(port.network_id), "%s", net.m.id);
	snprintf(port.device_id, sizeof(port.device_id),
		 "3f1c2b9a-0000-4000-8000-0000000000a1");
	snprintf(port.device_owner, sizeof(port.device_owner),
		 "network:router_gateway");
	port.n_fixed_ips = 1;
	snprintf(port.fixed_ips[0].subnet_id,
		 sizeof(port.fixed_ips[0].subnet_id), "%s", sub.m.id);
	assert_int_equal(ipam_ip_parse("198.51.100.10", &port.fixed_ips[0].ip),
			 0);
	assert_int_equal(store_port_put(st, &port, true), 0);
	assert_int_equal(
		vpn_store_router(st, "3f1c2b9a-0000-4000-8000-0000000000a1",
				 &r),
		0);
	assert_true(r.has_gw4);
	assert_false(r.has_gw6);
	assert_memory_equal(r.gw4.addr, port.fixed_ips[0].ip.addr, 4);
	assert_string_equal(r.project_id, "p1");
	assert_int_equal(r.n_subnets, 0);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ikepolicy_defaults),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_conn),
		cmocka_unit_test(test_proposals),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
