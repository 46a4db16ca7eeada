/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * l3svc_fuzz.c: libFuzzer target for the routers' punt answers
 * (l3svc.h): any bytes as a punted frame through all the handlers, on a
 * fixed view (router r1: interface on net a at 10.0.0.1 and fd00::1,
 * gateway on external network e at 172.24.4.10/24 and fd0e::a/64,
 * gateway fd0e::1). Seeds:
 * fuzz-corpus-l3svc/.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "l3svc.h"
#include "net_view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define A4(x, y, z, w, len)                                                    \
	{                                                                      \
		.version = 4, .prefix_len = len, .a = { x, y, z, w }           \
	}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct net_view_network nets[2] = {{.id = "a"}, {.id = "e"}};
	static struct net_view_subnet sns[4] = {
		{.id = "sa", .network_id = "a", .cidr = A4(10, 0, 0, 0, 24)},
		{.id = "sa6",
		 .network_id = "a",
		 .cidr = {.version = 6, .prefix_len = 64, .a = {0xfd}},
		 .ra_mode = NET_V6_SLAAC},
		{.id = "se",
		 .network_id = "e",
		 .cidr = A4(172, 24, 4, 0, 24),
		 .gateway = A4(172, 24, 4, 1, 32)},
		{.id = "se6",
		 .network_id = "e",
		 .cidr = {.version = 6, .prefix_len = 64, .a = {0xfd, 0x0e}},
		 .gateway = {.version = 6,
			     .prefix_len = 128,
			     .a = {0xfd, 0x0e, [15] = 1}}},
	};
	static struct net_view_port ports[4] = {
		{.id = "g",
		 .network_id = "a",
		 .mac = {2, 0, 0, 0, 0, 1},
		 .dp_port = 1,
		 .is_admin_up = true,
		 .n_ips = 1,
		 .ips = {{.subnet_id = "sa", .ip = A4(10, 0, 0, 11, 32)}}},
		{.id = "x",
		 .network_id = "e",
		 .mac = {2, 0, 0, 0, 0, 2},
		 .dp_port = 2,
		 .is_admin_up = true,
		 .n_ips = 1,
		 .ips = {{.subnet_id = "se", .ip = A4(172, 24, 4, 9, 32)}}},
		{.id = "ri",
		 .network_id = "a",
		 .mac = {2, 0, 0, 0, 1, 1},
		 .device_owner = "network:router_interface",
		 .device_id = "r1",
		 .n_ips = 2,
		 .ips = {{.subnet_id = "sa", .ip = A4(10, 0, 0, 1, 32)},
			 {.subnet_id = "sa6",
			  .ip = {.version = 6,
				 .prefix_len = 128,
				 .a = {0xfd, [15] = 1}}}}},
		{.id = "rg",
		 .network_id = "e",
		 .mac = {2, 0, 0, 0, 1, 2},
		 .device_owner = "network:router_gateway",
		 .device_id = "r1",
		 .n_ips = 2,
		 .ips = {{.subnet_id = "se", .ip = A4(172, 24, 4, 10, 32)},
			 {.subnet_id = "se6",
			  .ip = {.version = 6,
				 .prefix_len = 128,
				 .a = {0xfd, 0x0e, [15] = 0xa}}}}},
	};
	static struct net_view_router r = {
		.id = "r1",
		.gw_port_id = "rg",
		.is_admin_up = true,
		.n_routes = 1,
		.routes = {{
			.dst = A4(192, 168, 0, 0, 16),
			.nexthop = A4(172, 24, 4, 20, 32),
		}}};
	static const struct net_view v = {
		.networks = nets,
		.n_networks = 2,
		.subnets = sns,
		.n_subnets = 4,
		.ports = ports,
		.n_ports = 4,
		.routers = &r,
		.n_routers = 1,
	};
	static struct l3svc_stats st;
	static uint8_t unrouted[9216];
	const struct net_view_router *rt;
	uint8_t out[L3SVC_FRAME_MAX], ip[4], ip6[16], mac[6];
	uint32_t oports[L3SVC_OUT_PORTS_MAX];
	size_t out_len, n;

	for (uint32_t in = 1; in <= 2; in++) {
		(void)l3svc_time_exceeded(&v, in, data, size, out, sizeof(out),
					  &out_len, &st);
		(void)l3svc_echo_reply(&v, in, data, size, out, sizeof(out),
				       &out_len, &st);
		(void)l3svc_arp_learn(&v, in, data, size, &rt, ip, mac, &st);
		(void)l3svc_nd_learn(&v, in, data, size, &rt, ip6, mac, &st);
		(void)l3svc_router_solicit(&v, in, data, size, out, sizeof(out),
					   &out_len, &st);
		(void)l3svc_frag_needed(&v, in, data, size, 1446, out,
					sizeof(out), &out_len, &st);
		(void)l3svc_packet_too_big(&v, in, data, size, 1446, out,
					   sizeof(out), &out_len, &st);
		/* A routed frame too big for its port (DP_PUNT_TX_MTU). */
		if (size <= sizeof(unrouted)) {
			memcpy(unrouted, data, size);
			if (l3svc_unroute(&v, in, unrouted, size, &st) == 0)
				(void)l3svc_frag_needed(&v, in, unrouted, size,
							1500, out, sizeof(out),
							&out_len, &st);
		}
	}
	(void)l3svc_arp_request(&v, data, size, out, sizeof(out), &out_len,
				oports, &n, &rt, ip, &st);
	(void)l3svc_nd_request(&v, data, size, out, sizeof(out), &out_len,
			       oports, &n, &rt, ip6, &st);
	return 0;
}
