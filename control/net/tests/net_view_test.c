/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net_view_test.c: the view's lookups and its address and MAC parsers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net_view.h"

static void
test_addr_parse(void **state)
{
	static const char *const bad[] = {
		"",
		"/24",
		"10.0.0.0/",
		"10.0.0.0/33",
		"10.0.0.0/2x",
		"10.0.0.0/-1",
		"10.0.0",
		"x",
		"fd00::/129",
		"10.0.0.0/ 8",
		"10.0.0.0.0",
		/* longer than the parser's buffer */
		("0123456789012345678901234567890123456789"
		 "0123456789012345678901234567/8"),
	};
	struct net_addr a;

	(void)state;
	assert_int_equal(net_addr_parse("10.0.0.0/24", &a), 0);
	assert_int_equal(a.version, 4);
	assert_int_equal(a.prefix_len, 24);
	assert_int_equal(a.a[0], 10);
	assert_int_equal(net_addr_parse("10.0.0.1", &a), 0);
	assert_int_equal(a.prefix_len, 32);
	assert_int_equal(a.a[3], 1);
	assert_int_equal(net_addr_parse("0.0.0.0/0", &a), 0);
	assert_int_equal(a.prefix_len, 0);
	assert_int_equal(net_addr_parse("fd00::1/64", &a), 0);
	assert_int_equal(a.version, 6);
	assert_int_equal(a.prefix_len, 64);
	assert_int_equal(a.a[0], 0xfd);
	assert_int_equal(a.a[15], 1);
	assert_int_equal(net_addr_parse("::", &a), 0);
	assert_int_equal(a.prefix_len, 128);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(net_addr_parse(bad[i], &a), -EINVAL);
		assert_int_equal(a.version, 0);
	}
}

static void
test_mac_parse(void **state)
{
	static const uint8_t want[6] = {0xfa, 0x16, 0x3e, 0x00, 0x0a, 0xff};
	uint8_t mac[6];

	(void)state;
	assert_int_equal(net_mac_parse("fa:16:3e:00:0a:ff", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(net_mac_parse("FA:16:3E:00:0A:FF", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(net_mac_parse("fa:16:3e:00:0a", mac), -EINVAL);
	assert_int_equal(net_mac_parse("fa:16:3e:00:0a:ff:01", mac), -EINVAL);
	assert_int_equal(net_mac_parse("fa:16:3e:00:0a:fg", mac), -EINVAL);
	assert_int_equal(net_mac_parse("fa:16:3e:0:0a:ff", mac), -EINVAL);
	assert_int_equal(net_mac_parse("", mac), -EINVAL);
}

static void
test_lookups(void **state)
{
	struct net_view_network nets[2] = {{.id = "n1"}, {.id = "n2"}};
	struct net_view_subnet sns[1] = {{.id = "s1"}};
	struct net_view_port ports[2] = {{.id = "p1", .dp_port = 7},
					 {.id = "p2"}};
	struct net_view v = {nets, 2, sns, 1, ports, 2};

	(void)state;
	assert_ptr_equal(net_view_network(&v, "n2"), &nets[1]);
	assert_null(net_view_network(&v, "n3"));
	assert_ptr_equal(net_view_subnet(&v, "s1"), &sns[0]);
	assert_null(net_view_subnet(&v, "n1"));
	assert_ptr_equal(net_view_port(&v, "p2"), &ports[1]);
	assert_ptr_equal(net_view_port_by_dp(&v, 7), &ports[0]);
	assert_null(net_view_port_by_dp(&v, 0)); /* unbound is no match */
	assert_null(net_view_port_by_dp(&v, 8));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_parse),
		cmocka_unit_test(test_mac_parse),
		cmocka_unit_test(test_lookups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
