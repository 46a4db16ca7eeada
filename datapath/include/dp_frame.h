/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_frame.h: synthesize an Ethernet frame from a flow key, for
 * `sluicectl dp trace` and `dp packet-out` with a flow spec and for tests.
 * The frame carries the key's Ethernet, VLAN, ARP, IPv4/IPv6 and
 * TCP/UDP/ICMP/ICMPv6/ESP fields with valid lengths and checksums, so the
 * datapath's parser turns it back into the same key (for the fields a
 * frame can express).
 *
 * Pure function over a caller buffer. Not for the hot path.
 */
#ifndef SLUICE_DP_FRAME_H
#define SLUICE_DP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "dp_flow.h"

/* Smallest buffer dp_frame_build needs. */
enum { DP_FRAME_BUILD_MAX = 256 };

/*
 * Build a frame for key into buf (at least DP_FRAME_BUILD_MAX bytes);
 * *len receives its length (padded to the 60-byte Ethernet minimum).
 * A zero TTL becomes 64; ARP with a zero opcode becomes a request.
 * Returns 0 or -ENOSPC when max is too small.
 */
int dp_frame_build(const struct dp_key *key, uint8_t *buf, size_t max,
		   size_t *len);

#endif /* SLUICE_DP_FRAME_H */
