/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net_view.c: lookups over the flattened intent view (net_view.h) and the
 * address and MAC text parsers the view's fillers and tests share.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_view.h"

const struct net_view_network *
net_view_network(const struct net_view *v, const char *id)
{
	for (size_t i = 0; i < v->n_networks; i++)
		if (strcmp(v->networks[i].id, id) == 0)
			return &v->networks[i];
	return NULL;
}

const struct net_view_subnet *
net_view_subnet(const struct net_view *v, const char *id)
{
	for (size_t i = 0; i < v->n_subnets; i++)
		if (strcmp(v->subnets[i].id, id) == 0)
			return &v->subnets[i];
	return NULL;
}

const struct net_view_port *
net_view_port(const struct net_view *v, const char *id)
{
	for (size_t i = 0; i < v->n_ports; i++)
		if (strcmp(v->ports[i].id, id) == 0)
			return &v->ports[i];
	return NULL;
}

const struct net_view_router *
net_view_router(const struct net_view *v, const char *id)
{
	for (size_t i = 0; i < v->n_routers; i++)
		if (strcmp(v->routers[i].id, id) == 0)
			return &v->routers[i];
	return NULL;
}

const struct net_view_sg *
net_view_sg(const struct net_view *v, const char *id)
{
	for (size_t i = 0; i < v->n_sgs; i++)
		if (strcmp(v->sgs[i].id, id) == 0)
			return &v->sgs[i];
	return NULL;
}

const struct net_view_port *
net_view_port_by_dp(const struct net_view *v, uint32_t dp_port)
{
	if (dp_port == 0)
		return NULL;
	for (size_t i = 0; i < v->n_ports; i++)
		if (v->ports[i].dp_port == dp_port)
			return &v->ports[i];
	return NULL;
}

int
net_addr_parse(const char *s, struct net_addr *a)
{
	char buf[64];
	const char *slash;
	size_t n;
	unsigned long len;
	char *end;
	unsigned max;

	memset(a, 0, sizeof(*a));
	slash = strchr(s, '/');
	n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, a->a) == 1) {
		a->version = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, a->a) == 1) {
		a->version = 6;
		max = 128;
	} else {
		return -EINVAL;
	}
	a->prefix_len = (uint8_t)max;
	if (slash == NULL)
		return 0;
	if (slash[1] < '0' || slash[1] > '9')
		goto bad;
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || len > max)
		goto bad;
	a->prefix_len = (uint8_t)len;
	return 0;
bad:
	memset(a, 0, sizeof(*a));
	return -EINVAL;
}

int
net_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}
