/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dhcp_fuzz.c: libFuzzer target for the DHCP responder: any bytes as a
 * punted frame from a guest port, through dhcp_server_handle() (parse,
 * then build a reply when the frame parsed). Seeds: fuzz-corpus/.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dhcp.h"
#include "net_view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct net_view_network net = {
		.id = "n",
		.segment_id = 1,
		.mtu = 1400,
		.is_admin_up = true,
	};
	static struct net_view_subnet sn = {
		.id = "s",
		.network_id = "n",
		.is_dhcp = true,
		.n_dns = 1,
		.cidr = {.version = 4, .prefix_len = 24, .a = {10, 0, 0, 0}},
		.gateway = {.version = 4, .prefix_len = 32, .a = {10, 0, 0, 1}},
		.dns = {{.version = 4, .prefix_len = 32, .a = {10, 0, 0, 2}}},
		.n_routes = 1,
		.routes = {{
			.dst = {.version = 4,
				.prefix_len = 16,
				.a = {192, 168, 0, 0}},
			.nexthop = {.version = 4,
				    .prefix_len = 32,
				    .a = {10, 0, 0, 254}},
		}},
	};
	static struct net_view_port port = {
		.id = "p",
		.network_id = "n",
		.mac = {0xfa, 0x16, 0x3e, 0, 0, 0xa1},
		.is_admin_up = true,
		.n_ips = 1,
		.ips = {{.subnet_id = "s",
			 .ip = {.version = 4,
				.prefix_len = 32,
				.a = {10, 0, 0, 11}}}},
		.dp_port = 1,
	};
	static const struct net_view view = {&net, 1, &sn, 1, &port, 1};
	static const struct dhcp_config cfg = {.lease_time = 600};
	struct dhcp_server s;
	uint8_t out[DHCP_FRAME_MAX];
	size_t out_len;

	dhcp_server_init(&s, &cfg);
	if (dhcp_server_handle(&s, &view, 1, data, size, out, sizeof(out),
			       &out_len) == 0 &&
	    (out_len > sizeof(out) || out_len < 14 + 20 + 8 + 240))
		__builtin_trap();
	return 0;
}
