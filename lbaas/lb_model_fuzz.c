// SPDX-License-Identifier: BSD-2-Clause
/*
 * lb_model_fuzz.c: libFuzzer target for the untrusted inputs of lbaas/:
 * Octavia request bodies (lb_model_decode() and lb_model_check() of each
 * kind, create and update) and HTTP status lines read from members
 * (health_http_status_parse()). The first byte picks the kind and mode.
 */
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "health.h"
#include "lb_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_err err;
	enum lb_kind kind;
	json_t *body, *doc;
	bool is_create;
	int code;

	health_http_status_parse((const char *)data, size, &code);
	if (size < 1)
		return 0;
	kind = (enum lb_kind)(data[0] % LB_KIND_COUNT);
	is_create = (data[0] & 0x80) == 0;
	body = json_loadb((const char *)data + 1, size - 1,
			  JSON_REJECT_DUPLICATES, NULL);
	if (body == NULL)
		return 0;
	doc = json_object();
	if (doc != NULL &&
	    lb_model_decode(kind, body, is_create, doc, &err) == 0) {
		lb_model_check(kind, doc, is_create, &err);
		if (json_is_string(json_object_get(doc, "expected_codes")) &&
		    lb_model_codes_valid(json_string_value(
			    json_object_get(doc, "expected_codes"))))
			lb_model_codes_match(json_string_value(json_object_get(
						     doc, "expected_codes")),
					     200);
	}
	json_decref(doc);
	json_decref(body);
	return 0;
}
