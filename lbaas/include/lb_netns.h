/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lb_netns.h: the service network namespace of a load balancer. Member
 * addresses live on tenant networks and may overlap between projects, so
 * the health monitors (health.h) probe from a namespace of the load
 * balancer's own: "sluice-lb-XXXXXXXX" (/run/netns, as `ip netns` names
 * them), holding one end of a veth pair with an address of the load
 * balancer on the tenant subnet (its health port's) and a route through the
 * subnet's gateway. The other end stays in the host namespace for the
 * datapath to attach as a port of the tenant network, like any guest's
 * veth (lb_svc.c binds a Neutron health port to it, docs/lbaas.md
 * "Probe namespaces").
 *
 * Made with libnl (route) and two syscalls: the namespace by unshare()
 * in a short-lived child bound onto /run/netns/NAME, addresses and routes
 * through a netlink socket opened inside it.
 *
 * Needs CAP_SYS_ADMIN and CAP_NET_ADMIN. Concurrency: call from one
 * thread (the event loop); it switches that thread's namespace briefly.
 */
#ifndef SLUICE_LB_NETNS_H
#define SLUICE_LB_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LB_NETNS_NAME_MAX 31
#define LB_NETNS_IFNAME_MAX 15

struct lb_netns_config {
	char name[LB_NETNS_NAME_MAX + 1];      /* namespace name */
	char host_if[LB_NETNS_IFNAME_MAX + 1]; /* veth end left outside */
	char ns_if[LB_NETNS_IFNAME_MAX + 1];   /* veth end inside */
	int family;			       /* AF_INET or AF_INET6 */
	uint8_t addr[16];		       /* the LB's address */
	uint8_t prefix_len;
	bool has_gateway;
	uint8_t gateway[16];
	bool has_mac;
	uint8_t mac[6]; /* the inside end's MAC (the VIP port's) */
};

/*
 * Fill cfg's names for load balancer lb_id: namespace "sluice-lb-" and
 * the first 8 hex digits of the id, host end "lbv-" and the same digits,
 * inside end "eth0". 0 or -EINVAL (id too short).
 */
int lb_netns_names(const char *lb_id, struct lb_netns_config *cfg);

/*
 * Create the namespace, the veth pair, the inside address, lo and the
 * default route, and bring both ends up. *ns_fd gets an O_CLOEXEC
 * descriptor of the namespace (caller closes; health_target.netns_fd
 * takes it). On failure everything made is removed. 0, -EEXIST (the
 * namespace or the interface exists), -EPERM or -EIO.
 */
int lb_netns_create(const struct lb_netns_config *cfg, int *ns_fd);

/*
 * Adopt the namespace of cfg made by an earlier run: *ns_fd as for
 * lb_netns_create() if /run/netns/NAME is a namespace and the host end
 * exists. 0 or -ENOENT.
 */
int lb_netns_open(const struct lb_netns_config *cfg, int *ns_fd);

/*
 * Remove the veth pair and the namespace. Missing parts are not an
 * error. 0 or -EIO.
 */
int lb_netns_destroy(const struct lb_netns_config *cfg);

#endif /* SLUICE_LB_NETNS_H */
