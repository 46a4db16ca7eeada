/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dhcp6_fuzz.c: libFuzzer target for the DHCPv6 server: any bytes as a
 * punted frame from a guest port on a dhcpv6-stateful network (with a
 * router interface) and from one on a stateless network (without),
 * through dhcp6_server_handle(). Seeds: fuzz-corpus-dhcp6/.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dhcp6.h"
#include "net_view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define A6(...)                                                                \
	{                                                                      \
		.version = 6, .prefix_len = 128, .a = { __VA_ARGS__ }          \
	}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct net_view_network nets[2] = {
		{.id = "n1", .segment_id = 1, .is_admin_up = true},
		{.id = "n2", .segment_id = 2, .is_admin_up = true},
	};
	static struct net_view_subnet sns[2] = {
		{
			.id = "s1",
			.network_id = "n1",
			.is_dhcp = true,
			.ra_mode = NET_V6_DHCP_STATEFUL,
			.cidr = {.version = 6,
				 .prefix_len = 64,
				 .a = {0x20, 0x01, 0x0d, 0xb8, 0, 1}},
			.n_dns = 2,
			.dns = {A6(0x20, 0x01, 0x0d, 0xb8, [15] = 0x53),
				{.version = 4, .a = {10, 0, 0, 2}}},
		},
		{
			.id = "s2",
			.network_id = "n2",
			.is_dhcp = true,
			.ra_mode = NET_V6_DHCP_STATELESS,
			.cidr = {.version = 6,
				 .prefix_len = 64,
				 .a = {0x20, 0x01, 0x0d, 0xb8, 0, 2}},
			.n_dns = 1,
			.dns = {A6(0x20, 0x01, 0x0d, 0xb8, [15] = 0x54)},
		},
	};
	static struct net_view_port ports[3] = {
		{
			.id = "p1",
			.network_id = "n1",
			.mac = {0xfa, 0x16, 0x3e, 0, 0, 0xa1},
			.is_admin_up = true,
			.n_ips = 1,
			.ips = {{.subnet_id = "s1",
				 .ip = A6(0x20, 0x01, 0x0d, 0xb8, 0,
					  1, [15] = 0x11)}},
			.dp_port = 1,
		},
		{
			.id = "p2",
			.network_id = "n2",
			.mac = {0xfa, 0x16, 0x3e, 0, 0, 0xa1},
			.is_admin_up = true,
			.dp_port = 2,
		},
		{
			.id = "r1",
			.network_id = "n1",
			.mac = {0xfa, 0x16, 0x3e, 0, 0, 0x01},
			.is_admin_up = true,
			.n_ips = 1,
			.ips = {{.subnet_id = "s1",
				 .ip = A6(0x20, 0x01, 0x0d, 0xb8, 0,
					  1, [15] = 1)}},
			.device_owner = "network:router_interface",
			.device_id = "rt",
		},
	};
	static const struct net_view v = {nets, 2, sns, 2, ports, 3};
	static const struct dhcp6_config cfg = {
		.server_mac = {0x02, 0x5c, 0, 0, 0, 1},
	};
	struct dhcp6_server s;
	uint8_t out[DHCP6_FRAME_MAX];
	size_t out_len;

	dhcp6_server_init(&s, &cfg);
	for (uint32_t port = 1; port <= 2; port++)
		if (dhcp6_server_handle(&s, &v, port, data, size, out,
					sizeof(out), &out_len) == 0 &&
		    (out_len < 66 || out_len > sizeof(out)))
			__builtin_trap();
	return 0;
}
