// SPDX-License-Identifier: BSD-2-Clause
/*
 * ipam.c: subnet address management (see ipam.h). The rules follow
 * Neutron's IPAM: a subnet cidr must have its host bits zero, the gateway
 * defaults to the first host address, the default allocation pools are
 * every other host address, pools must lie inside the cidr, must not
 * overlap each other and must not hold the gateway.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipam.h"

int
ipam_ip_parse(const char *s, struct ctl_ip *out)
{
	memset(out, 0, sizeof(*out));
	if (strchr(s, ':') != NULL) {
		if (inet_pton(AF_INET6, s, out->addr) != 1)
			return -EINVAL;
		out->family = 6;
		return 0;
	}
	if (inet_pton(AF_INET, s, out->addr) != 1)
		return -EINVAL;
	out->family = 4;
	return 0;
}

const char *
ipam_ip_format(const struct ctl_ip *ip, char *buf, size_t len)
{
	if (inet_ntop(ip->family == 6 ? AF_INET6 : AF_INET, ip->addr, buf,
		      (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

static unsigned
ipam_bits(const struct ctl_ip *ip)
{
	return ip->family == 6 ? 128 : 32;
}

/* Keep the first len bits of ip, zero (or set) the rest. */
static void
ipam_mask(struct ctl_ip *ip, unsigned len, bool set_host)
{
	unsigned bits = ipam_bits(ip);
	unsigned i;

	for (i = len; i < bits; i++) {
		uint8_t bit = (uint8_t)(0x80u >> (i % 8));

		if (set_host)
			ip->addr[i / 8] |= bit;
		else
			ip->addr[i / 8] &= (uint8_t)~bit;
	}
}

int
ipam_prefix_parse(const char *s, bool is_strict, bool allow_bare,
		  struct ctl_prefix *out)
{
	char addr[IPAM_STR_MAX + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	struct ctl_ip net;
	unsigned long len;
	char *end;

	memset(out, 0, sizeof(*out));
	if (alen == 0 || alen > IPAM_STR_MAX)
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (ipam_ip_parse(addr, &out->ip) != 0)
		return -EINVAL;
	if (slash == NULL) {
		if (!allow_bare)
			return -EINVAL;
		out->len = (uint8_t)ipam_bits(&out->ip);
		return 0;
	}
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end - (slash + 1) > 3 ||
	    len > ipam_bits(&out->ip))
		return -EINVAL;
	out->len = (uint8_t)len;
	net = out->ip;
	ipam_mask(&net, out->len, false);
	if (is_strict && memcmp(net.addr, out->ip.addr, 16) != 0)
		return -EINVAL;
	return 0;
}

const char *
ipam_prefix_format(const struct ctl_prefix *p, char *buf, size_t len)
{
	char a[IPAM_STR_MAX];

	snprintf(buf, len, "%s/%u", ipam_ip_format(&p->ip, a, sizeof(a)),
		 p->len);
	return buf;
}

int
ipam_ip_cmp(const struct ctl_ip *a, const struct ctl_ip *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->addr, b->addr, ipam_ip_len(a));
}

bool
ipam_prefix_contains(const struct ctl_prefix *p, const struct ctl_ip *ip)
{
	struct ctl_ip a = *ip, b = p->ip;

	if (ip->family != p->ip.family)
		return false;
	ipam_mask(&a, p->len, false);
	ipam_mask(&b, p->len, false);
	return memcmp(a.addr, b.addr, 16) == 0;
}

bool
ipam_prefix_overlaps(const struct ctl_prefix *a, const struct ctl_prefix *b)
{
	if (a->ip.family != b->ip.family)
		return false;
	return a->len <= b->len ? ipam_prefix_contains(a, &b->ip)
				: ipam_prefix_contains(b, &a->ip);
}

bool
ipam_ip_next(struct ctl_ip *ip)
{
	size_t i = ipam_ip_len(ip);

	while (i-- > 0) {
		if (++ip->addr[i] != 0)
			return true;
	}
	return false;
}

/* ip - 1; false on wrap-around. */
static bool
ipam_ip_prev(struct ctl_ip *ip)
{
	size_t i = ipam_ip_len(ip);

	while (i-- > 0) {
		if (ip->addr[i]-- != 0)
			return true;
	}
	return false;
}

void
ipam_prefix_first(const struct ctl_prefix *p, struct ctl_ip *out)
{
	*out = p->ip;
	ipam_mask(out, p->len, false);
}

void
ipam_prefix_last(const struct ctl_prefix *p, struct ctl_ip *out)
{
	*out = p->ip;
	ipam_mask(out, p->len, true);
}

/* First and last host address of the cidr; false if there is none. */
static bool
ipam_host_range(const struct ctl_subnet *s, struct ctl_ip *lo,
		struct ctl_ip *hi)
{
	ipam_prefix_first(&s->cidr, lo);
	ipam_prefix_last(&s->cidr, hi);
	if (!ipam_ip_next(lo))
		return false;
	if (s->cidr.ip.family == 4 && !ipam_ip_prev(hi))
		return false;
	return ipam_ip_cmp(lo, hi) <= 0;
}

void
ipam_default_gateway(struct ctl_subnet *s)
{
	struct ctl_ip lo, hi;

	s->has_gateway = ipam_host_range(s, &lo, &hi);
	if (s->has_gateway)
		s->gateway_ip = lo;
	else
		memset(&s->gateway_ip, 0, sizeof(s->gateway_ip));
}

void
ipam_default_pools(struct ctl_subnet *s)
{
	struct ctl_ip lo, hi, g;

	s->n_pools = 0;
	if (!ipam_host_range(s, &lo, &hi))
		return;
	if (!s->has_gateway || ipam_ip_cmp(&s->gateway_ip, &lo) < 0 ||
	    ipam_ip_cmp(&s->gateway_ip, &hi) > 0) {
		s->pools[s->n_pools++] = (struct ctl_pool){lo, hi};
		return;
	}
	g = s->gateway_ip;
	if (ipam_ip_cmp(&g, &lo) > 0) {
		struct ctl_ip e = g;

		ipam_ip_prev(&e);
		s->pools[s->n_pools++] = (struct ctl_pool){lo, e};
	}
	if (ipam_ip_cmp(&g, &hi) < 0) {
		struct ctl_ip b = g;

		ipam_ip_next(&b);
		s->pools[s->n_pools++] = (struct ctl_pool){b, hi};
	}
}

static int
ipam_pool_cmp(const void *a, const void *b)
{
	return ipam_ip_cmp(&((const struct ctl_pool *)a)->start,
			   &((const struct ctl_pool *)b)->start);
}

bool
ipam_is_assignable(const struct ctl_subnet *s, const struct ctl_ip *ip)
{
	struct ctl_ip lo, hi;

	if (!ipam_prefix_contains(&s->cidr, ip))
		return false;
	if (!ipam_host_range(s, &lo, &hi))
		return false;
	return ipam_ip_cmp(ip, &lo) >= 0 && ipam_ip_cmp(ip, &hi) <= 0;
}

static int
ipam_validate_pools(struct ctl_subnet *s, struct ctl_err *err)
{
	char a[IPAM_STR_MAX], b[IPAM_STR_MAX], c[IPAM_STR_MAX], d[IPAM_STR_MAX];
	unsigned i;

	for (i = 0; i < s->n_pools; i++) {
		const struct ctl_pool *p = &s->pools[i];

		if (p->start.family != s->cidr.ip.family ||
		    p->end.family != s->cidr.ip.family ||
		    ipam_ip_cmp(&p->start, &p->end) > 0)
			return ctl_err_set(
				err, CTL_E_INVALID_INPUT,
				"The allocation pool %s-%s is not valid.",
				ipam_ip_format(&p->start, a, sizeof(a)),
				ipam_ip_format(&p->end, b, sizeof(b)));
		if (!ipam_is_assignable(s, &p->start) ||
		    !ipam_is_assignable(s, &p->end))
			return ctl_err_set(
				err, CTL_E_INVALID_INPUT,
				"The allocation pool %s-%s spans beyond the "
				"subnet cidr.",
				ipam_ip_format(&p->start, a, sizeof(a)),
				ipam_ip_format(&p->end, b, sizeof(b)));
	}
	qsort(s->pools, s->n_pools, sizeof(s->pools[0]), ipam_pool_cmp);
	for (i = 1; i < s->n_pools; i++) {
		if (ipam_ip_cmp(&s->pools[i].start, &s->pools[i - 1].end) <= 0)
			return ctl_err_set(
				err, CTL_E_POOL_OVERLAP,
				"Found overlapping allocation pools: %s-%s "
				"and %s-%s.",
				ipam_ip_format(&s->pools[i - 1].start, a,
					       sizeof(a)),
				ipam_ip_format(&s->pools[i - 1].end, b,
					       sizeof(b)),
				ipam_ip_format(&s->pools[i].start, c,
					       sizeof(c)),
				ipam_ip_format(&s->pools[i].end, d, sizeof(d)));
	}
	if (s->has_gateway && ipam_in_pools(s, &s->gateway_ip))
		return ctl_err_set(
			err, CTL_E_GATEWAY_CONFLICT,
			"Gateway ip %s conflicts with allocation pool.",
			ipam_ip_format(&s->gateway_ip, a, sizeof(a)));
	return 0;
}

int
ipam_subnet_validate(struct ctl_subnet *s, struct ctl_err *err)
{
	char a[IPAM_STR_MAX];
	unsigned i;

	if (s->cidr.ip.family != s->ip_version)
		return ctl_err_set(
			err, CTL_E_INVALID_INPUT,
			"Invalid input for operation: cidr is not an IPv%u "
			"prefix.",
			s->ip_version);
	if (s->has_gateway) {
		if (s->gateway_ip.family != s->ip_version ||
		    !ipam_is_assignable(s, &s->gateway_ip))
			return ctl_err_set(
				err, CTL_E_INVALID_INPUT,
				"Invalid input for operation: gateway_ip %s "
				"is not a host address of the subnet.",
				ipam_ip_format(&s->gateway_ip, a, sizeof(a)));
	}
	for (i = 0; i < s->n_dns; i++) {
		unsigned j;

		for (j = 0; j < i; j++) {
			if (ipam_ip_cmp(&s->dns[i], &s->dns[j]) == 0)
				return ctl_err_set(
					err, CTL_E_INVALID_INPUT,
					"Invalid input for dns_nameservers: "
					"duplicate nameserver %s.",
					ipam_ip_format(&s->dns[i], a,
						       sizeof(a)));
		}
	}
	for (i = 0; i < s->n_routes; i++) {
		const struct ctl_route *r = &s->routes[i];

		if (r->destination.ip.family != s->ip_version ||
		    r->nexthop.family != s->ip_version)
			return ctl_err_set(
				err, CTL_E_INVALID_INPUT,
				"Invalid input for host_routes: route %u is "
				"not IPv%u.",
				i, s->ip_version);
	}
	return ipam_validate_pools(s, err);
}

bool
ipam_in_pools(const struct ctl_subnet *s, const struct ctl_ip *ip)
{
	unsigned i;

	for (i = 0; i < s->n_pools; i++) {
		if (ipam_ip_cmp(ip, &s->pools[i].start) >= 0 &&
		    ipam_ip_cmp(ip, &s->pools[i].end) <= 0)
			return true;
	}
	return false;
}

/* Index of the first used address >= ip (binary search). */
static size_t
ipam_lower_bound(const struct ctl_ip *used, size_t n, const struct ctl_ip *ip)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ipam_ip_cmp(&used[mid], ip) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
ipam_pick(const struct ctl_subnet *s, const struct ctl_ip *used, size_t n_used,
	  struct ctl_ip *out)
{
	unsigned i;

	for (i = 0; i < s->n_pools; i++) {
		struct ctl_ip cand = s->pools[i].start;
		size_t k = ipam_lower_bound(used, n_used, &cand);

		while (k < n_used && ipam_ip_cmp(&used[k], &cand) == 0) {
			if (ipam_ip_cmp(&cand, &s->pools[i].end) >= 0 ||
			    !ipam_ip_next(&cand))
				goto next_pool;
			k++;
		}
		if (ipam_ip_cmp(&cand, &s->pools[i].end) <= 0) {
			*out = cand;
			return 0;
		}
	next_pool:;
	}
	return -ENOSPC;
}
