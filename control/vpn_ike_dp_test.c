/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vpn_ike_dp_test.c: the frames of IKE through the datapath
 * (vpn_ike_dp.h): a built frame parses back to the same addresses, ports
 * and payload, with a valid IPv4 checksum; every malformed frame is
 * refused with its reason, at every truncation, without reading past the
 * buffer (run under ASan).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "vpn_ike_dp.h"

static const uint8_t mac_a[6] = {0xfa, 0x16, 0x3e, 0, 1, 0xee};
static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0x64};

static void
addr(struct ike_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, a->ip), 1);
	a->port = port;
}

static size_t
build(uint8_t *f, size_t cap, size_t dlen)
{
	struct ike_addr l, r;
	uint8_t data[600];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	addr(&l, "172.24.4.10", 4500);
	addr(&r, "172.24.4.100", 4501);
	return vpn_ike_dp_build(f, cap, mac_b, mac_a, &l, &r, data, dlen);
}

static void
test_round_trip(void **state)
{
	uint8_t f[1024], md[6], ms[6];
	struct ike_addr l, r;
	const uint8_t *data;
	size_t n, dlen;
	uint32_t sum = 0;

	(void)state;
	n = build(f, sizeof(f), 300);
	assert_int_equal(n, 14 + 20 + 8 + 300);
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(f[14 + i] << 8 | f[15 + i]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
	/* Parsed as sluiced sees a punt: to us from the peer. */
	assert_int_equal(vpn_ike_dp_parse(f, n, &r, &l, md, ms, &data, &dlen),
			 0);
	assert_int_equal(l.port, 4500);
	assert_int_equal(r.port, 4501);
	assert_memory_equal(md, mac_b, 6);
	assert_memory_equal(ms, mac_a, 6);
	assert_int_equal(dlen, 300);
	assert_ptr_equal(data, f + 42);
	assert_int_equal(data[299], (uint8_t)299);
	/* Too small an output buffer. */
	assert_int_equal(build(f, 42 + 299, 300), 0);
}

static void
test_rejects(void **state)
{
	uint8_t f[512], md[6], ms[6];
	struct ike_addr l, r;
	const uint8_t *data;
	size_t n, dlen;

	(void)state;
	n = build(f, sizeof(f), 100);
	/* Every truncation: refused, never read past (each in its own
	 * heap buffer of exactly that length, for ASan). */
	for (size_t k = 0; k < n; k++) {
		uint8_t *c = malloc(k + 1);

		assert_non_null(c);
		memcpy(c, f, k);
		assert_true(vpn_ike_dp_parse(c, k, &l, &r, md, ms, &data,
					     &dlen) < 0);
		free(c);
	}
#define EXPECT(reason)                                                         \
	assert_int_equal(vpn_ike_dp_parse(f, n, &l, &r, md, ms, &data, &dlen), \
			 -(reason))
	f[12] = 0x86;
	EXPECT(VPN_IKE_DP_R_NOT_IPV4);
	f[12] = 0x08;
	f[14] = 0x65;
	EXPECT(VPN_IKE_DP_R_BAD_IP);
	f[14] = 0x44;
	EXPECT(VPN_IKE_DP_R_BAD_IP);
	f[14] = 0x45;
	f[14 + 9] = 50;
	EXPECT(VPN_IKE_DP_R_NOT_UDP);
	f[14 + 9] = 17;
	f[14 + 6] = 0x20; /* MF */
	EXPECT(VPN_IKE_DP_R_FRAGMENT);
	f[14 + 6] = 0x40;
	f[34 + 4] = 0;
	f[34 + 5] = 7;
	EXPECT(VPN_IKE_DP_R_BAD_UDP);
	f[34 + 5] = 200; /* longer than the IP packet */
	EXPECT(VPN_IKE_DP_R_BAD_UDP);
	f[34 + 5] = 108;
	f[16] = 0x10; /* IP total length past the frame */
	EXPECT(VPN_IKE_DP_R_SHORT);
	f[16] = 0;
	assert_int_equal(vpn_ike_dp_parse(f, n, &l, &r, md, ms, &data, &dlen),
			 0);
#undef EXPECT
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
