// SPDX-License-Identifier: BSD-2-Clause
/*
 * lb_model_test.c: unit tests of the Octavia attribute validation:
 * expected_codes syntax and matching, numbers and booleans as strings,
 * defaults, unknown and read-only attributes, update-only rules and the
 * cross-attribute checks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lb_model.h"

static void
test_codes(void **state)
{
	(void)state;
	assert_true(lb_model_codes_valid("200"));
	assert_true(lb_model_codes_valid("200,202"));
	assert_true(lb_model_codes_valid("200,202,301"));
	assert_true(lb_model_codes_valid("200-204"));
	assert_false(lb_model_codes_valid(""));
	assert_false(lb_model_codes_valid("20"));
	assert_false(lb_model_codes_valid("2000"));
	assert_false(lb_model_codes_valid("204-200"));
	assert_false(lb_model_codes_valid("200-"));
	assert_false(lb_model_codes_valid("200,"));
	assert_false(lb_model_codes_valid("099"));
	assert_false(lb_model_codes_valid("600"));
	assert_false(lb_model_codes_valid("200-204,300"));
	assert_true(lb_model_codes_match("200-204", 203));
	assert_false(lb_model_codes_match("200-204", 205));
	assert_true(lb_model_codes_match("200,404", 404));
	assert_false(lb_model_codes_match("200,404", 403));
	assert_true(lb_model_codes_match("301", 301));
}

/* Decode text as kind; returns the status (0 ok). */
static int
dec(enum lb_kind kind, const char *text, bool is_create, json_t **doc,
    struct lb_err *err)
{
	json_t *body = json_loads(text, 0, NULL);
	int rc;

	assert_non_null(body);
	if (*doc == NULL)
		*doc = json_object();
	rc = lb_model_decode(kind, body, is_create, *doc, err);
	if (rc == 0)
		rc = lb_model_check(kind, *doc, is_create, err);
	json_decref(body);
	return rc == 0 ? 0 : err->status;
}

static void
test_decode(void **state)
{
	struct lb_err err;
	json_t *doc = NULL;

	(void)state;
	assert_int_equal(dec(LB_LISTENER,
			     "{\"loadbalancer_id\":\"11111111-1111-1111-1111-"
			     "111111111111\",\"protocol\":\"UDP\","
			     "\"protocol_port\":\"53\",\"connection_limit\":"
			     "\"1000\",\"admin_state_up\":\"True\"}",
			     true, &doc, &err),
			 0);
	assert_int_equal(
		json_integer_value(json_object_get(doc, "protocol_port")), 53);
	assert_int_equal(
		json_integer_value(json_object_get(doc, "timeout_client_data")),
		50000);
	assert_true(json_is_true(json_object_get(doc, "admin_state_up")));
	/* A PUT may not change the protocol. */
	assert_int_equal(
		dec(LB_LISTENER, "{\"protocol\":\"TCP\"}", false, &doc, &err),
		400);
	assert_int_equal(dec(LB_LISTENER, "{\"connection_limit\":-2}", false,
			     &doc, &err),
			 400);
	/* A timeout set, then unset (null, the CLI's `listener unset`):
	 * back to the default, not null. */
	assert_int_equal(dec(LB_LISTENER, "{\"timeout_client_data\":2000}",
			     false, &doc, &err),
			 0);
	assert_int_equal(
		json_integer_value(json_object_get(doc, "timeout_client_data")),
		2000);
	assert_int_equal(dec(LB_LISTENER, "{\"timeout_client_data\":null}",
			     false, &doc, &err),
			 0);
	assert_int_equal(
		json_integer_value(json_object_get(doc, "timeout_client_data")),
		50000);
	assert_int_equal(dec(LB_LISTENER, "{\"connection_limit\":null}", false,
			     &doc, &err),
			 400);
	assert_int_equal(dec(LB_LISTENER, "{\"id\":\"x\"}", false, &doc, &err),
			 400);
	assert_non_null(strstr(err.msg, "read-only"));
	json_decref(doc);
	doc = NULL;
	assert_int_equal(dec(LB_MEMBER,
			     "{\"address\":\"10.0.0.1\",\"protocol_port\":80,"
			     "\"monitor_port\":0}",
			     true, &doc, &err),
			 400);
	json_decref(doc);
	doc = NULL;
	assert_int_equal(
		dec(LB_MEMBER,
		    "{\"address\":\"::ffff:10.0.0.1\",\"protocol_port\":"
		    "80,\"foo\":1}",
		    true, &doc, &err),
		400);
	assert_non_null(strstr(err.msg, "Unknown attribute"));
	json_decref(doc);
	doc = NULL;
	assert_int_equal(
		dec(LB_MEMBER,
		    "{\"address\":\"10.0.0.300\",\"protocol_port\":80}", true,
		    &doc, &err),
		400);
	json_decref(doc);
	doc = NULL;
	/* Monitor HTTP defaults. */
	assert_int_equal(dec(LB_HEALTHMONITOR,
			     "{\"pool_id\":\"11111111-1111-1111-1111-"
			     "111111111111\",\"type\":\"HTTP\",\"delay\":5,"
			     "\"timeout\":4,\"max_retries\":1}",
			     true, &doc, &err),
			 0);
	assert_string_equal(
		json_string_value(json_object_get(doc, "http_method")), "GET");
	assert_string_equal(
		json_string_value(json_object_get(doc, "expected_codes")),
		"200");
	assert_int_equal(
		json_integer_value(json_object_get(doc, "max_retries_down")),
		3);
	assert_int_equal(dec(LB_HEALTHMONITOR, "{\"http_version\":\"1.1\"}",
			     false, &doc, &err),
			 0);
	assert_true(json_real_value(json_object_get(doc, "http_version")) ==
		    1.1);
	assert_int_equal(dec(LB_HEALTHMONITOR, "{\"http_version\":2}", false,
			     &doc, &err),
			 400);
	/* Update that breaks timeout < delay. */
	assert_int_equal(
		dec(LB_HEALTHMONITOR, "{\"delay\":4}", false, &doc, &err), 400);
	assert_int_equal(dec(LB_HEALTHMONITOR, "{\"url_path\":\"no-slash\"}",
			     false, &doc, &err),
			 400);
	json_decref(doc);
	doc = NULL;
	assert_int_equal(
		dec(LB_POOL,
		    "{\"protocol\":\"TCP\",\"lb_algorithm\":"
		    "\"ROUND_ROBIN\",\"session_persistence\":{\"type\":"
		    "\"SOURCE_IP\",\"persistence_timeout\":\"60\"}}",
		    true, &doc, &err),
		0);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(doc, "session_persistence"),
				 "persistence_timeout")),
			 60);
	json_decref(doc);
	doc = NULL;
	assert_int_equal(dec(LB_POOL,
			     "{\"protocol\":\"TCP\",\"lb_algorithm\":"
			     "\"ROUND_ROBIN\",\"session_persistence\":\"x\"}",
			     true, &doc, &err),
			 400);
	json_decref(doc);
	doc = NULL;
	assert_int_equal(dec(LB_LOADBALANCER, "{\"name\":5}", true, &doc, &err),
			 400);
	json_decref(doc);
	assert_true(lb_model_is_pending("PENDING_UPDATE"));
	assert_false(lb_model_is_pending("ACTIVE"));
	assert_true(lb_model_is_attribute(LB_MEMBER, "operating_status"));
	assert_false(lb_model_is_attribute(LB_MEMBER, "nothing"));
}

/* allowed_cidrs items: either family, host bits cleared, bad ones. */
static void
test_cidr(void **state)
{
	static const uint8_t v4[4] = {10, 1, 0, 0};
	static const uint8_t v6[16] = {0xfd, 0, 0, 0x70};
	struct lb_model_cidr c;

	(void)state;
	assert_int_equal(lb_model_cidr_parse("10.1.2.3/16", &c), 0);
	assert_int_equal(c.family, 4);
	assert_int_equal(c.len, 16);
	assert_memory_equal(c.addr, v4, 4);
	assert_int_equal(lb_model_cidr_parse("fd00:7f::1/28", &c), 0);
	assert_int_equal(c.family, 6);
	assert_int_equal(c.len, 28);
	assert_memory_equal(c.addr, v6, 16);
	assert_int_equal(lb_model_cidr_parse("0.0.0.0/0", &c), 0);
	assert_int_equal(c.len, 0);
	assert_int_equal(lb_model_cidr_parse("10.0.0.1/33", &c), -EINVAL);
	assert_int_equal(lb_model_cidr_parse("fd00::/129", &c), -EINVAL);
	assert_int_equal(lb_model_cidr_parse("10.0.0.1", &c), -EINVAL);
	assert_int_equal(lb_model_cidr_parse("10.0.0.1/", &c), -EINVAL);
	assert_int_equal(lb_model_cidr_parse("10.0.0.1/8x", &c), -EINVAL);
	assert_int_equal(lb_model_cidr_parse("10.0.0/8", &c), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_cidr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
