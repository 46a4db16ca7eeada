/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ipam.h: IP address management for subnets: parsing and printing of
 * addresses and CIDRs (IPv4 and IPv6), the default gateway and allocation
 * pools of a subnet, their validation, and the choice of a free address
 * given the addresses already in use.
 *
 * Pure functions over struct ctl_ip / ctl_prefix / ctl_subnet (model.h);
 * no I/O, no allocation. Addresses are compared as big-endian byte strings
 * of 4 (v4) or 16 (v6) bytes, which is also how the store keeps them, so
 * SQLite's BLOB order is numeric order.
 */
#ifndef SLUICE_IPAM_H
#define SLUICE_IPAM_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

#define IPAM_STR_MAX 46 /* INET6_ADDRSTRLEN */

/* Bytes of an address of family (4 or 16). */
static inline size_t
ipam_ip_len(const struct ctl_ip *ip)
{
	return ip->family == 6 ? 16 : 4;
}

/* Parse a textual v4 or v6 address. 0 or -EINVAL. */
int ipam_ip_parse(const char *s, struct ctl_ip *out);
/* Print ip into buf (>= IPAM_STR_MAX); returns buf. */
const char *ipam_ip_format(const struct ctl_ip *ip, char *buf, size_t len);
/*
 * Parse "addr/len". With is_strict the host bits must be zero (Neutron
 * rejects "10.0.0.1/24" as a subnet cidr). Without a "/len" part the
 * full length is assumed if allow_bare. 0 or -EINVAL.
 */
int ipam_prefix_parse(const char *s, bool is_strict, bool allow_bare,
		      struct ctl_prefix *out);
/* Print "addr/len" into buf (>= IPAM_STR_MAX + 4); returns buf. */
const char *ipam_prefix_format(const struct ctl_prefix *p, char *buf,
			       size_t len);

/* <0, 0, >0 like memcmp; addresses of different families order v4 first. */
int ipam_ip_cmp(const struct ctl_ip *a, const struct ctl_ip *b);
/* True if p contains ip (same family). */
bool ipam_prefix_contains(const struct ctl_prefix *p, const struct ctl_ip *ip);
/* True if the two prefixes share any address. */
bool ipam_prefix_overlaps(const struct ctl_prefix *a,
			  const struct ctl_prefix *b);
/* ip + 1; returns false on wrap-around (ip was all ones). */
bool ipam_ip_next(struct ctl_ip *ip);
/* First (network) and last (v4 broadcast) address of p. */
void ipam_prefix_first(const struct ctl_prefix *p, struct ctl_ip *out);
void ipam_prefix_last(const struct ctl_prefix *p, struct ctl_ip *out);

/*
 * Fill s->gateway_ip with the first host address of s->cidr and set
 * s->has_gateway (false when the subnet has no host address).
 */
void ipam_default_gateway(struct ctl_subnet *s);
/*
 * Fill s->pools with the default pools: every host address of the cidr
 * (v4: without network and broadcast; v6: without the subnet-router
 * anycast address) except the gateway, as one or two ranges.
 */
void ipam_default_pools(struct ctl_subnet *s);
/*
 * Validate s's gateway, pools, dns servers and host routes against its
 * cidr and sort the pools. 0, or -EINVAL with err (InvalidInput,
 * OverlappingAllocationPools, GatewayConflictWithAllocationPools).
 */
int ipam_subnet_validate(struct ctl_subnet *s, struct ctl_err *err);

/* True if ip lies in one of s's allocation pools. */
bool ipam_in_pools(const struct ctl_subnet *s, const struct ctl_ip *ip);
/*
 * True if ip may be a fixed IP of a port on s: inside the cidr, not the
 * v4 network or broadcast address, not the v6 subnet-router anycast.
 * The gateway is allowed (router ports hold it).
 */
bool ipam_is_assignable(const struct ctl_subnet *s, const struct ctl_ip *ip);

/*
 * Choose a free address of s's pools. used holds the addresses in use on
 * s sorted ascending (n_used of them); the lowest free address of the
 * first pool that has one is taken. 0 with *out, or -ENOSPC.
 */
int ipam_pick(const struct ctl_subnet *s, const struct ctl_ip *used,
	      size_t n_used, struct ctl_ip *out);

#endif /* SLUICE_IPAM_H */
