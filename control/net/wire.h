/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wire.h: big-endian 16- and 32-bit fields read from and written to
 * packet bytes at any alignment, for the protocol servers in sluiced
 * (DHCPv4, DHCPv6, ARP/ND/ICMP in l3svc). The caller has checked the
 * length.
 */
#ifndef SLUICE_CONTROL_NET_WIRE_H
#define SLUICE_CONTROL_NET_WIRE_H

#include <stdint.h>

static inline uint16_t
wire_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
wire_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
wire_wr32(uint8_t *p, uint32_t v)
{
	wire_wr16(p, (uint16_t)(v >> 16));
	wire_wr16(p + 2, (uint16_t)v);
}

#endif
