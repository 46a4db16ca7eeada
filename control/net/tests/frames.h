/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * frames.h: hand-built test frames (Ethernet, ARP, IPv4 with UDP or ICMP,
 * IPv6, DHCP client messages) for the control/net unit tests. Byte by
 * byte, with valid checksums, so that no code under test builds its own
 * input.
 */
#ifndef SLUICE_FRAMES_H
#define SLUICE_FRAMES_H

#include <stddef.h>
#include <stdint.h>

enum { FRAME_MAX = 1024 };

/* ARP request (op 1) or reply (op 2), broadcast for requests. */
size_t frame_arp(uint8_t *f, uint16_t op, const uint8_t sha[6], const char *spa,
		 const uint8_t tha[6], const char *tpa);
/* IPv4 ICMP echo request. */
size_t frame_icmp(uint8_t *f, const uint8_t dst[6], const uint8_t src[6],
		  const char *ip_src, const char *ip_dst);
/* IPv4 UDP with payload. */
size_t frame_udp(uint8_t *f, const uint8_t dst[6], const uint8_t src[6],
		 const char *ip_src, const char *ip_dst, uint16_t sport,
		 uint16_t dport, const uint8_t *payload, size_t len);

/* IPv6 (hop limit 64) with next header nh and n payload bytes: the first
 * 8 zero, then a pattern. */
size_t frame_ip6(uint8_t *f, const uint8_t dst[6], const uint8_t src[6],
		 const char *ip_src, const char *ip_dst, uint8_t nh, size_t n);

/* A DHCP client message: type, xid, chaddr, ciaddr (NULL: 0), requested
 * IP (NULL: none), server id (NULL: none), broadcast flag. */
size_t frame_dhcp(uint8_t *f, uint8_t type, uint32_t xid,
		  const uint8_t chaddr[6], const char *ciaddr,
		  const char *requested, const char *server_id,
		  int is_broadcast);

/* Internet checksum of len bytes (folded, not inverted, for checking). */
uint16_t frame_csum(const uint8_t *p, size_t len, uint32_t sum);

/* In an Ethernet frame f with an IPv4 header of 20 bytes: set the TTL, or
 * set DF, and redo the header checksum. */
void frame_ip4_set_ttl(uint8_t *f, uint8_t ttl);
void frame_ip4_set_df(uint8_t *f);

#endif /* SLUICE_FRAMES_H */
