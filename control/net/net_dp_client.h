/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net_dp_client.h: the net_dp.h table backed by the protocol client
 * (dp_client.h), i.e. by a running sluice-dp. This is what sluiced and the
 * namespace test program use.
 */
#ifndef SLUICE_NET_DP_CLIENT_H
#define SLUICE_NET_DP_CLIENT_H

#include "net_dp.h"

struct dp_client;

/* Fill dp so its calls go to c (borrowed; must outlive dp's use). */
void net_dp_client_init(struct net_dp *dp, struct dp_client *c);

#endif /* SLUICE_NET_DP_CLIENT_H */
