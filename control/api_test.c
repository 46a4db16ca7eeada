// SPDX-License-Identifier: BSD-2-Clause
/*
 * api_test.c: unit tests of the REST layer (api.c) without a socket:
 * requests are handed to api_handle() over an in-memory store, so the
 * routing, auth, encoding and error bodies also run under ASan/UBSan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api.h"

struct fx {
	struct store *st;
	struct ctl *ctl;
	struct api *api;
	struct api_config cfg;
	struct api_token tok[1];
};

static int
setup_cfg(void **state, enum api_auth_mode mode)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_int_equal(store_open(":memory:", &f->st), 0);
	assert_int_equal(ctl_create(f->st, &f->ctl), 0);
	f->cfg.auth = mode;
	f->cfg.admin_token = "admin-token-1";
	strcpy(f->tok[0].project_id, "pa");
	strcpy(f->tok[0].token, "token-pa-1");
	f->cfg.tokens = f->tok;
	f->cfg.n_tokens = 1;
	f->cfg.default_project = "admin";
	f->cfg.self_url = "http://127.0.0.1:9696";
	assert_int_equal(api_create(f->ctl, &f->cfg, &f->api), 0);
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_cfg(state, API_AUTH_NONE);
}

static int
setup_token(void **state)
{
	return setup_cfg(state, API_AUTH_TOKEN);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	api_destroy(f->api);
	ctl_destroy(f->ctl);
	store_close(f->st);
	free(f);
	return 0;
}

/*
 * Send one request; path may hold "?k=v&k=v" (split here, not decoded).
 * Returns the status; *out (may be NULL) gets the parsed body.
 */
static int
req(struct fx *f, const char *method, const char *path, const char *body,
    const char *token, const char *if_match, json_t **out)
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
	r.token = token;
	r.if_match = if_match;
	r.host = "127.0.0.1:9696";
	r.body = body ? body : "";
	r.body_len = body ? strlen(body) : 0;
	api_handle(f->api, &r, &resp);
	status = resp.status;
	if (out != NULL)
		*out = resp.body ? json_loads(resp.body, 0, NULL) : NULL;
	free(resp.body);
	return status;
}

static const char *
err_type(json_t *j)
{
	return json_string_value(
		json_object_get(json_object_get(j, "NeutronError"), "type"));
}

static void
test_discovery(void **state)
{
	struct fx *f = *state;
	json_t *j;

	assert_int_equal(req(f, "GET", "/", NULL, NULL, NULL, &j), 200);
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(
				json_object_get(
					json_array_get(
						json_object_get(j, "versions"),
						0),
					"links"),
				0),
			"href")),
		"http://127.0.0.1:9696/v2.0/");
	json_decref(j);
	assert_int_equal(req(f, "GET", "/v2.0/", NULL, NULL, NULL, NULL), 200);
	assert_int_equal(
		req(f, "GET", "/v2.0/extensions", NULL, NULL, NULL, NULL), 200);
	assert_int_equal(
		req(f, "GET", "/v2.0/extensions/nope", NULL, NULL, NULL, &j),
		404);
	assert_string_equal(err_type(j), "ExtensionNotFound");
	json_decref(j);
	assert_int_equal(req(f, "GET", "/v2.0/routers", NULL, NULL, NULL, NULL),
			 200);
	assert_int_equal(
		req(f, "GET", "/v2.0/qos/policies", NULL, NULL, NULL, NULL),
		404);
	assert_int_equal(
		req(f, "PATCH", "/v2.0/networks", NULL, NULL, NULL, NULL), 405);
	assert_int_equal(req(f, "GET", "/projects/p1", NULL, NULL, NULL, NULL),
			 200);
}

static void
test_crud(void **state)
{
	struct fx *f = *state;
	char path[128], body[256];
	const char *id;
	json_t *j, *s;

	assert_int_equal(req(f, "POST", "/v2.0/networks",
			     "{\"network\":{\"name\":\"n1\",\"mtu\":\"1400\"}}",
			     NULL, NULL, &j),
			 201);
	id = json_string_value(
		json_object_get(json_object_get(j, "network"), "id"));
	assert_non_null(id);
	snprintf(path, sizeof(path), "/v2.0/networks/%s", id);
	snprintf(body, sizeof(body),
		 "{\"subnet\":{\"network_id\":\"%s\","
		 "\"ip_version\":4,\"cidr\":\"10.0.0.0/24\"}}",
		 id);
	assert_int_equal(req(f, "POST", "/v2.0/subnets", body, NULL, NULL, &s),
			 201);
	json_decref(s);
	assert_int_equal(req(f, "GET", path, NULL, NULL, NULL, &s), 200);
	assert_int_equal(json_array_size(json_object_get(
				 json_object_get(s, "network"), "subnets")),
			 1);
	json_decref(s);
	assert_int_equal(
		req(f, "GET", "/v2.0/networks/n1", NULL, NULL, NULL, &s), 404);
	assert_string_equal(err_type(s), "NetworkNotFound");
	json_decref(s);
	assert_int_equal(req(f, "GET", "/v2.0/networks?name=n1&fields=id", NULL,
			     NULL, NULL, &s),
			 200);
	assert_int_equal(json_array_size(json_object_get(s, "networks")), 1);
	json_decref(s);
	assert_int_equal(req(f, "PUT", path, "{\"network\":{\"name\":\"n2\"}}",
			     NULL, "revision_number=9", &s),
			 412);
	assert_string_equal(err_type(s), "RevisionNumberConstraintFailed");
	json_decref(s);
	assert_int_equal(req(f, "PUT", path, "{\"network\":{\"name\":\"n2\"}}",
			     NULL, "revision_number=x", NULL),
			 400);
	assert_int_equal(req(f, "PUT", path, "{\"network\":{\"name\":\"n2\"}}",
			     NULL, "revision_number=1", NULL),
			 200);
	snprintf(body, sizeof(body), "%s/tags/red", path);
	assert_int_equal(req(f, "PUT", body, NULL, NULL, NULL, NULL), 201);
	assert_int_equal(req(f, "GET", body, NULL, NULL, NULL, NULL), 204);
	snprintf(body, sizeof(body), "%s/tags", path);
	assert_int_equal(
		req(f, "PUT", body, "{\"tags\":[\"a\",\"b\"]}", NULL, NULL, &s),
		200);
	assert_int_equal(json_array_size(json_object_get(s, "tags")), 2);
	json_decref(s);
	assert_int_equal(
		req(f, "GET", "/v2.0/networks?tags=a,b", NULL, NULL, NULL, &s),
		200);
	assert_int_equal(json_array_size(json_object_get(s, "networks")), 1);
	json_decref(s);
	/* Bad bodies. */
	assert_int_equal(req(f, "POST", "/v2.0/networks", "{\"network\":", NULL,
			     NULL, &s),
			 400);
	assert_string_equal(err_type(s), "HTTPBadRequest");
	json_decref(s);
	assert_int_equal(
		req(f, "POST", "/v2.0/networks", "[]", NULL, NULL, NULL), 400);
	assert_int_equal(
		req(f, "POST", "/v2.0/networks", NULL, NULL, NULL, NULL), 400);
	assert_int_equal(req(f, "POST", "/v2.0/networks",
			     "{\"network\":{},\"x\":1}", NULL, NULL, NULL),
			 400);
	assert_int_equal(req(f, "POST", "/v2.0/networks",
			     "{\"networks\":[{},5]}", NULL, NULL, NULL),
			 400);
	assert_int_equal(
		req(f, "GET", "/v2.0/networks?limit=x", NULL, NULL, NULL, NULL),
		400);
	/* Delete: subnets go with an unused network. */
	assert_int_equal(req(f, "DELETE", path, NULL, NULL, NULL, NULL), 204);
	assert_int_equal(req(f, "GET", "/v2.0/subnets", NULL, NULL, NULL, &s),
			 200);
	assert_int_equal(json_array_size(json_object_get(s, "subnets")), 0);
	json_decref(s);
	json_decref(j);
}

static void
test_pages(void **state)
{
	struct fx *f = *state;
	json_t *j, *links;

	assert_int_equal(req(f, "POST", "/v2.0/networks",
			     "{\"networks\":[{\"name\":\"a\"},{\"name\":\"b\"},"
			     "{\"name\":\"c\"}]}",
			     NULL, NULL, &j),
			 201);
	assert_int_equal(json_array_size(json_object_get(j, "networks")), 3);
	json_decref(j);
	assert_int_equal(req(f, "GET", "/v2.0/networks?limit=2&sort_key=name",
			     NULL, NULL, NULL, &j),
			 200);
	links = json_object_get(j, "networks_links");
	assert_int_equal(json_array_size(links), 1);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(links, 0), "rel")),
			    "next");
	assert_non_null(strstr(
		json_string_value(
			json_object_get(json_array_get(links, 0), "href")),
		"http://127.0.0.1:9696/v2.0/networks?limit=2&sort_key=name&"
		"marker="));
	json_decref(j);
}

static void
test_token(void **state)
{
	struct fx *f = *state;
	json_t *j;

	assert_int_equal(req(f, "GET", "/v2.0/networks", NULL, NULL, NULL, &j),
			 401);
	assert_string_equal(err_type(j), "NotAuthenticated");
	json_decref(j);
	assert_int_equal(req(f, "GET", "/v2.0/networks", NULL, "admin-token-",
			     NULL, NULL),
			 401);
	assert_int_equal(req(f, "GET", "/", NULL, NULL, NULL, NULL), 200);
	assert_int_equal(req(f, "POST", "/v2.0/networks",
			     "{\"network\":{\"name\":\"mine\"}}", "token-pa-1",
			     NULL, &j),
			 201);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(j, "network"),
						  "project_id")),
		"pa");
	json_decref(j);
	assert_int_equal(
		req(f, "POST", "/v2.0/networks",
		    "{\"network\":{\"name\":\"theirs\",\"project_id\":\"pb\"}}",
		    "token-pa-1", NULL, NULL),
		403);
	assert_int_equal(
		req(f, "POST", "/v2.0/networks",
		    "{\"network\":{\"name\":\"theirs\",\"project_id\":\"pb\"}}",
		    "admin-token-1", NULL, NULL),
		201);
	assert_int_equal(
		req(f, "GET", "/v2.0/networks", NULL, "token-pa-1", NULL, &j),
		200);
	assert_int_equal(json_array_size(json_object_get(j, "networks")), 1);
	json_decref(j);
	assert_int_equal(req(f, "GET", "/v2.0/networks", NULL, "admin-token-1",
			     NULL, &j),
			 200);
	assert_int_equal(json_array_size(json_object_get(j, "networks")), 2);
	json_decref(j);
	assert_int_equal(
		req(f, "GET", "/projects/pb", NULL, "token-pa-1", NULL, NULL),
		404);
	assert_int_equal(
		req(f, "GET", "/projects/pa", NULL, "token-pa-1", NULL, NULL),
		200);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_discovery, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_crud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token, setup_token,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
