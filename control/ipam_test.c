// SPDX-License-Identifier: BSD-2-Clause
/*
 * ipam_test.c: unit tests of ipam.c: address and CIDR parsing, default
 * gateway and pools, pool validation, and address picking.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ipam.h"

static struct ctl_subnet
subnet(const char *cidr)
{
	struct ctl_subnet s;

	memset(&s, 0, sizeof(s));
	assert_int_equal(ipam_prefix_parse(cidr, true, false, &s.cidr), 0);
	s.ip_version = s.cidr.ip.family;
	ipam_default_gateway(&s);
	ipam_default_pools(&s);
	return s;
}

static const char *
fmt(const struct ctl_ip *ip)
{
	static char buf[4][IPAM_STR_MAX];
	static unsigned k;

	return ipam_ip_format(ip, buf[k++ % 4], IPAM_STR_MAX);
}

static void
test_parse(void **state)
{
	struct ctl_prefix p;
	struct ctl_ip ip;
	char buf[64];

	(void)state;
	assert_int_equal(ipam_ip_parse("10.1.2.3", &ip), 0);
	assert_int_equal(ip.family, 4);
	assert_int_equal(ipam_ip_parse("2001:db8::1", &ip), 0);
	assert_int_equal(ip.family, 6);
	assert_int_not_equal(ipam_ip_parse("10.1.2", &ip), 0);
	assert_int_not_equal(ipam_ip_parse("", &ip), 0);
	assert_int_not_equal(ipam_ip_parse("1.2.3.4 ", &ip), 0);
	assert_int_equal(ipam_prefix_parse("10.0.0.0/24", true, false, &p), 0);
	assert_string_equal(ipam_prefix_format(&p, buf, sizeof(buf)),
			    "10.0.0.0/24");
	/* Host bits set: Neutron's "not a valid IP subnet". */
	assert_int_not_equal(ipam_prefix_parse("10.0.0.1/24", true, false, &p),
			     0);
	assert_int_equal(ipam_prefix_parse("10.0.0.1/24", false, false, &p), 0);
	assert_int_not_equal(ipam_prefix_parse("10.0.0.0/33", true, false, &p),
			     0);
	assert_int_not_equal(ipam_prefix_parse("10.0.0.0/", true, false, &p),
			     0);
	assert_int_not_equal(ipam_prefix_parse("10.0.0.0/2x", true, false, &p),
			     0);
	assert_int_not_equal(ipam_prefix_parse("10.0.0.0", true, false, &p), 0);
	assert_int_equal(ipam_prefix_parse("10.0.0.9", true, true, &p), 0);
	assert_int_equal(p.len, 32);
	assert_int_equal(ipam_prefix_parse("2001:db8::/64", true, false, &p),
			 0);
	assert_int_not_equal(
		ipam_prefix_parse("2001:db8::/129", true, false, &p), 0);
}

static void
test_defaults_v4(void **state)
{
	struct ctl_subnet s = subnet("10.0.0.0/24");

	(void)state;
	assert_true(s.has_gateway);
	assert_string_equal(fmt(&s.gateway_ip), "10.0.0.1");
	assert_int_equal(s.n_pools, 1);
	assert_string_equal(fmt(&s.pools[0].start), "10.0.0.2");
	assert_string_equal(fmt(&s.pools[0].end), "10.0.0.254");
	assert_int_equal(ipam_subnet_validate(&s, NULL), 0);

	/* A gateway in the middle splits the default pool in two. */
	memset(&s, 0, sizeof(s));
	ipam_prefix_parse("192.168.1.0/29", true, false, &s.cidr);
	s.ip_version = 4;
	s.has_gateway = true;
	ipam_ip_parse("192.168.1.4", &s.gateway_ip);
	ipam_default_pools(&s);
	assert_int_equal(s.n_pools, 2);
	assert_string_equal(fmt(&s.pools[0].start), "192.168.1.1");
	assert_string_equal(fmt(&s.pools[0].end), "192.168.1.3");
	assert_string_equal(fmt(&s.pools[1].start), "192.168.1.5");
	assert_string_equal(fmt(&s.pools[1].end), "192.168.1.6");

	/* /32 has no host address: no gateway, no pool. */
	s = subnet("10.9.9.9/32");
	assert_false(s.has_gateway);
	assert_int_equal(s.n_pools, 0);
}

static void
test_defaults_v6(void **state)
{
	struct ctl_subnet s = subnet("2001:db8::/64");

	(void)state;
	assert_string_equal(fmt(&s.gateway_ip), "2001:db8::1");
	assert_int_equal(s.n_pools, 1);
	assert_string_equal(fmt(&s.pools[0].start), "2001:db8::2");
	assert_string_equal(fmt(&s.pools[0].end),
			    "2001:db8::ffff:ffff:ffff:ffff");
}

static void
test_validate(void **state)
{
	struct ctl_subnet s = subnet("10.0.0.0/24");
	struct ctl_err err;

	(void)state;
	/* Gateway inside a pool. */
	s.n_pools = 1;
	ipam_ip_parse("10.0.0.1", &s.pools[0].start);
	ipam_ip_parse("10.0.0.9", &s.pools[0].end);
	assert_int_not_equal(ipam_subnet_validate(&s, &err), 0);
	assert_int_equal(err.code, CTL_E_GATEWAY_CONFLICT);
	/* Overlapping pools (given unsorted). */
	s.n_pools = 2;
	ipam_ip_parse("10.0.0.50", &s.pools[0].start);
	ipam_ip_parse("10.0.0.60", &s.pools[0].end);
	ipam_ip_parse("10.0.0.10", &s.pools[1].start);
	ipam_ip_parse("10.0.0.50", &s.pools[1].end);
	assert_int_not_equal(ipam_subnet_validate(&s, &err), 0);
	assert_int_equal(err.code, CTL_E_POOL_OVERLAP);
	/* Disjoint: accepted and sorted. */
	ipam_ip_parse("10.0.0.50", &s.pools[0].start);
	ipam_ip_parse("10.0.0.60", &s.pools[0].end);
	ipam_ip_parse("10.0.0.10", &s.pools[1].start);
	ipam_ip_parse("10.0.0.49", &s.pools[1].end);
	assert_int_equal(ipam_subnet_validate(&s, &err), 0);
	assert_string_equal(fmt(&s.pools[0].start), "10.0.0.10");
	/* Out of the cidr, or the broadcast address. */
	ipam_ip_parse("10.0.1.5", &s.pools[1].end);
	assert_int_not_equal(ipam_subnet_validate(&s, &err), 0);
	assert_int_equal(err.code, CTL_E_INVALID_INPUT);
	s.n_pools = 1;
	ipam_ip_parse("10.0.0.200", &s.pools[0].start);
	ipam_ip_parse("10.0.0.255", &s.pools[0].end);
	assert_int_not_equal(ipam_subnet_validate(&s, &err), 0);
	/* start > end. */
	ipam_ip_parse("10.0.0.20", &s.pools[0].start);
	ipam_ip_parse("10.0.0.10", &s.pools[0].end);
	assert_int_not_equal(ipam_subnet_validate(&s, &err), 0);
	/* Gateway outside the cidr. */
	s = subnet("10.0.0.0/24");
	ipam_ip_parse("10.0.5.1", &s.gateway_ip);
	assert_int_not_equal(ipam_subnet_validate(&s, &err), 0);
	/* Wrong-family pool. */
	s = subnet("10.0.0.0/24");
	ipam_ip_parse("2001:db8::5", &s.pools[0].start);
	assert_int_not_equal(ipam_subnet_validate(&s, &err), 0);
}

static void
test_pick(void **state)
{
	struct ctl_subnet s = subnet("10.0.0.0/29"); /* pool .2 - .6 */
	struct ctl_ip used[8], out;
	size_t n = 0;

	(void)state;
	assert_int_equal(ipam_pick(&s, used, 0, &out), 0);
	assert_string_equal(fmt(&out), "10.0.0.2");
	ipam_ip_parse("10.0.0.1", &used[n++]); /* the gateway: no effect */
	ipam_ip_parse("10.0.0.2", &used[n++]);
	ipam_ip_parse("10.0.0.3", &used[n++]);
	ipam_ip_parse("10.0.0.5", &used[n++]);
	assert_int_equal(ipam_pick(&s, used, n, &out), 0);
	assert_string_equal(fmt(&out), "10.0.0.4");
	used[n++] = out;
	/* keep sorted */
	{
		struct ctl_ip t = used[3];

		used[3] = used[4];
		used[4] = t;
	}
	assert_int_equal(ipam_pick(&s, used, n, &out), 0);
	assert_string_equal(fmt(&out), "10.0.0.6");
	used[n++] = out;
	assert_int_equal(ipam_pick(&s, used, n, &out), -ENOSPC);
}

static void
test_predicates(void **state)
{
	struct ctl_subnet s = subnet("10.0.0.0/24");
	struct ctl_prefix a, b;
	struct ctl_ip ip;

	(void)state;
	ipam_ip_parse("10.0.0.255", &ip);
	assert_false(ipam_is_assignable(&s, &ip));
	ipam_ip_parse("10.0.0.0", &ip);
	assert_false(ipam_is_assignable(&s, &ip));
	ipam_ip_parse("10.0.0.1", &ip);
	assert_true(ipam_is_assignable(&s, &ip));
	assert_false(ipam_in_pools(&s, &ip));
	ipam_prefix_parse("10.0.0.0/16", true, false, &a);
	ipam_prefix_parse("10.0.3.0/24", true, false, &b);
	assert_true(ipam_prefix_overlaps(&a, &b));
	assert_true(ipam_prefix_overlaps(&b, &a));
	ipam_prefix_parse("10.1.0.0/16", true, false, &b);
	assert_false(ipam_prefix_overlaps(&a, &b));
	ipam_ip_parse("255.255.255.255", &ip);
	assert_false(ipam_ip_next(&ip));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_defaults_v4),
		cmocka_unit_test(test_defaults_v6),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_predicates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
