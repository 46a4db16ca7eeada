// SPDX-License-Identifier: BSD-2-Clause
/*
 * query_test.c: unit tests of query.c: filter semantics (AND across keys,
 * OR within a key, strings for booleans, tags, fixed_ips=ip_address=X),
 * bad arguments, sorting, pagination with markers and links, fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "query.h"

static json_t *
objs(void)
{
	json_error_t e;
	json_t *j = json_loads(
		"[{\"id\":\"c\",\"name\":\"net3\",\"shared\":false,\"mtu\":"
		"1500,"
		"  \"tags\":[\"red\"],\"fixed_ips\":[{\"subnet_id\":\"s1\","
		"  \"ip_address\":\"10.0.0.3\"}]},"
		" {\"id\":\"a\",\"name\":\"net1\",\"shared\":true,\"mtu\":1400,"
		"  \"tags\":[\"red\",\"blue\"],\"fixed_ips\":[]},"
		" {\"id\":\"b\",\"name\":\"net2\",\"shared\":false,\"mtu\":"
		"1400,"
		"  \"tags\":[],\"fixed_ips\":[{\"subnet_id\":\"s2\","
		"  \"ip_address\":\"10.0.0.4\"}]},"
		" {\"id\":\"d\",\"name\":\"net1\",\"shared\":false,\"mtu\":"
		"9000,"
		"  \"tags\":[\"blue\"],\"fixed_ips\":[]}]",
		0, &e);

	assert_non_null(j);
	return j;
}

/* Names of the objects of arr that match args, joined by ','. */
static void
matching(const struct query_arg *args, size_t n, char *out, size_t len)
{
	struct query q;
	struct ctl_err err;
	json_t *all = objs(), *o;
	size_t i;

	out[0] = '\0';
	assert_int_equal(query_parse(CTL_PORT, args, n, &q, &err), 0);
	json_array_foreach(all, i, o)
	{
		if (query_match(&q, o)) {
			strncat(out,
				json_string_value(json_object_get(o, "id")),
				len - strlen(out) - 1);
		}
	}
	query_fini(&q);
	json_decref(all);
}

static void
test_filters(void **state)
{
	char buf[64];

	(void)state;
	{
		struct query_arg a[] = {{"name", "net1"}};

		matching(a, 1, buf, sizeof(buf));
		assert_string_equal(buf, "ad");
	}
	{
		/* Repeated key: OR. */
		struct query_arg a[] = {{"name", "net1"}, {"name", "net2"}};

		matching(a, 2, buf, sizeof(buf));
		assert_string_equal(buf, "abd");
	}
	{
		/* Different keys: AND; booleans as strings. */
		struct query_arg a[] = {{"name", "net1"},
					{"admin_state_up", "True"}};

		matching(a, 2, buf, sizeof(buf));
		assert_string_equal(buf, "");
	}
	{
		struct query_arg a[] = {{"device_id", "x"}};

		matching(a, 1, buf, sizeof(buf));
		assert_string_equal(buf, "");
	}
	{
		struct query_arg a[] = {{"fixed_ips", "ip_address=10.0.0.4"}};

		matching(a, 1, buf, sizeof(buf));
		assert_string_equal(buf, "b");
	}
	{
		struct query_arg a[] = {{"tags", "red,blue"}};

		matching(a, 1, buf, sizeof(buf));
		assert_string_equal(buf, "a");
	}
	{
		struct query_arg a[] = {{"tags-any", "red,blue"}};

		matching(a, 1, buf, sizeof(buf));
		assert_string_equal(buf, "cad");
	}
	{
		struct query_arg a[] = {{"not-tags-any", "red"}};

		matching(a, 1, buf, sizeof(buf));
		assert_string_equal(buf, "bd");
	}
}

static void
test_shared_bool(void **state)
{
	struct query_arg a[] = {{"shared", "true"}};
	struct query q;
	struct ctl_err err;
	json_t *all = objs();

	(void)state;
	assert_int_equal(query_parse(CTL_NETWORK, a, 1, &q, &err), 0);
	assert_false(query_match(&q, json_array_get(all, 0)));
	assert_true(query_match(&q, json_array_get(all, 1)));
	query_fini(&q);
	{
		struct query_arg m[] = {{"mtu", "1400"}};

		assert_int_equal(query_parse(CTL_NETWORK, m, 1, &q, &err), 0);
		assert_true(query_match(&q, json_array_get(all, 2)));
		assert_false(query_match(&q, json_array_get(all, 3)));
		query_fini(&q);
	}
	json_decref(all);
}

static void
test_bad_args(void **state)
{
	struct query q;
	struct ctl_err err;

	(void)state;
	{
		struct query_arg a[] = {{"colour", "red"}};

		assert_int_not_equal(query_parse(CTL_NETWORK, a, 1, &q, &err),
				     0);
		assert_int_equal(ctl_err_status(err.code), 400);
	}
	{
		struct query_arg a[] = {{"limit", "-1"}};

		assert_int_not_equal(query_parse(CTL_NETWORK, a, 1, &q, &err),
				     0);
	}
	{
		struct query_arg a[] = {{"limit", "ten"}};

		assert_int_not_equal(query_parse(CTL_NETWORK, a, 1, &q, &err),
				     0);
	}
	{
		struct query_arg a[] = {{"sort_key", "colour"}};

		assert_int_not_equal(query_parse(CTL_NETWORK, a, 1, &q, &err),
				     0);
	}
	{
		struct query_arg a[] = {{"sort_key", "name"},
					{"sort_dir", "up"}};

		assert_int_not_equal(query_parse(CTL_NETWORK, a, 2, &q, &err),
				     0);
	}
	{
		struct query_arg a[] = {{"page_reverse", "perhaps"}};

		assert_int_not_equal(query_parse(CTL_NETWORK, a, 1, &q, &err),
				     0);
	}
}

/* Run a paged query; ids of the page into out. */
static void
page(const struct query_arg *args, size_t n, char *out, size_t len, char *next,
     char *prev)
{
	const char *nm, *pm;
	struct query q;
	struct ctl_err err;
	json_t *all = objs(), *pg = NULL, *o;
	size_t i;

	out[0] = '\0';
	assert_int_equal(query_parse(CTL_NETWORK, args, n, &q, &err), 0);
	assert_int_equal(query_page(&q, all, &pg, &nm, &pm, &err), 0);
	json_array_foreach(pg, i, o)
	{
		json_t *id = json_object_get(o, "id");

		strncat(out, id ? json_string_value(id) : "-",
			len - strlen(out) - 1);
	}
	snprintf(next, 8, "%s", nm ? nm : "");
	snprintf(prev, 8, "%s", pm ? pm : "");
	json_decref(pg);
	query_fini(&q);
	json_decref(all);
}

static void
test_paging(void **state)
{
	char buf[64], nx[8], pv[8];

	(void)state;
	{
		struct query_arg a[] = {{"limit", "2"}};

		page(a, 1, buf, sizeof(buf), nx, pv);
		assert_string_equal(buf, "ab"); /* sorted by id */
		assert_string_equal(nx, "b");
		assert_string_equal(pv, "");
	}
	{
		struct query_arg a[] = {{"limit", "2"}, {"marker", "b"}};

		page(a, 2, buf, sizeof(buf), nx, pv);
		assert_string_equal(buf, "cd");
		assert_string_equal(nx, "");
		assert_string_equal(pv, "c");
	}
	{
		struct query_arg a[] = {{"limit", "1"},
					{"marker", "c"},
					{"page_reverse", "True"}};

		page(a, 3, buf, sizeof(buf), nx, pv);
		assert_string_equal(buf, "b");
		assert_string_equal(nx, "b");
		assert_string_equal(pv, "b");
	}
	{
		/* Sort by mtu desc then name asc; id breaks the tie. */
		struct query_arg a[] = {{"sort_key", "mtu"},
					{"sort_dir", "desc"},
					{"sort_key", "name"}};

		page(a, 3, buf, sizeof(buf), nx, pv);
		assert_string_equal(buf, "dcab");
	}
	{
		struct query_arg a[] = {{"marker", "zz"}};
		const char *nm, *pm;
		struct query q;
		struct ctl_err err;
		json_t *all = objs(), *pg = NULL;

		assert_int_equal(query_parse(CTL_NETWORK, a, 1, &q, &err), 0);
		assert_int_not_equal(query_page(&q, all, &pg, &nm, &pm, &err),
				     0);
		assert_null(pg);
		query_fini(&q);
		json_decref(all);
	}
	{
		/* fields= projects the objects. */
		struct query_arg a[] = {{"fields", "name"}, {"fields", "mtu"}};
		const char *nm, *pm;
		struct query q;
		struct ctl_err err;
		json_t *all = objs(), *pg = NULL;

		assert_int_equal(query_parse(CTL_NETWORK, a, 2, &q, &err), 0);
		assert_int_equal(query_page(&q, all, &pg, &nm, &pm, &err), 0);
		assert_int_equal(json_object_size(json_array_get(pg, 0)), 2);
		assert_null(json_object_get(json_array_get(pg, 0), "id"));
		json_decref(pg);
		query_fini(&q);
		json_decref(all);
	}
}

static void
test_link(void **state)
{
	struct query_arg a[] = {
		{"limit", "2"}, {"name", "a b&c"}, {"marker", "old"}};
	char *s;

	(void)state;
	s = query_link("http://h:1/v2.0/networks", a, 3, "m1", false);
	assert_string_equal(s, "http://h:1/v2.0/networks?limit=2&"
			       "name=a%20b%26c&marker=m1");
	free(s);
	s = query_link("http://h:1/v2.0/networks", a, 1, "m2", true);
	assert_string_equal(s, "http://h:1/v2.0/networks?limit=2&marker=m2&"
			       "page_reverse=True");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_shared_bool),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_paging),
		cmocka_unit_test(test_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
