// SPDX-License-Identifier: BSD-2-Clause
/*
 * lb_netns.c: a load balancer's service namespace and its veth pair (see
 * lb_netns.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/ethtool.h>
#include <linux/nsfs.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "lb_netns.h"

#define LB_NETNS_DIR "/run/netns"

int
lb_netns_names(const char *lb_id, struct lb_netns_config *cfg)
{
	char hex[9];
	size_t i, n = 0;

	for (i = 0; lb_id[i] != '\0' && n < 8; i++) {
		if (lb_id[i] != '-')
			hex[n++] = lb_id[i];
	}
	if (n < 8)
		return -EINVAL;
	hex[8] = '\0';
	snprintf(cfg->name, sizeof(cfg->name), "sluice-lb-%s", hex);
	snprintf(cfg->host_if, sizeof(cfg->host_if), "lbv-%s", hex);
	snprintf(cfg->ns_if, sizeof(cfg->ns_if), "eth0");
	return 0;
}

/* Make /run/netns/NAME a new network namespace; 0 or -errno. */
static int
lb_netns_make(const char *path)
{
	int fd, status;
	pid_t pid;

	if (mkdir(LB_NETNS_DIR, 0755) != 0 && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0)
		return -errno;
	close(fd);
	/* The child's new namespace outlives it through the bind mount. */
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) != 0 ||
		    mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) !=
			    0)
			_exit(1);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		errno = EPERM;
		goto fail;
	}
	return 0;
fail:
	status = -errno;
	unlink(path);
	return status;
}

/* A route netlink socket opened inside ns_fd (caller frees). */
static struct nl_sock *
lb_netns_sock(int ns_fd)
{
	struct nl_sock *sk = nl_socket_alloc();
	int self = -1, ok = 0;

	if (sk == NULL)
		return NULL;
	if (ns_fd >= 0) {
		self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0 || setns(ns_fd, CLONE_NEWNET) != 0)
			goto out;
	}
	ok = nl_connect(sk, NETLINK_ROUTE) == 0;
	if (self >= 0 && setns(self, CLONE_NEWNET) != 0)
		abort(); /* every later socket would be in the wrong one */
out:
	if (self >= 0)
		close(self);
	if (!ok) {
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

static int
lb_netns_up(struct nl_sock *sk, const char *ifname, const uint8_t *mac)
{
	struct rtnl_link *link = NULL, *change;
	struct nl_addr *ll = NULL;
	int rc;

	if (rtnl_link_get_kernel(sk, 0, ifname, &link) != 0)
		return -ENODEV;
	change = rtnl_link_alloc();
	if (change == NULL) {
		rtnl_link_put(link);
		return -ENOMEM;
	}
	rtnl_link_set_flags(change, IFF_UP);
	if (mac != NULL) {
		ll = nl_addr_build(AF_LLC, mac, 6);
		if (ll != NULL)
			rtnl_link_set_addr(change, ll);
	}
	rc = rtnl_link_change(sk, link, change, 0) == 0 ? 0 : -EIO;
	nl_addr_put(ll);
	rtnl_link_put(change);
	rtnl_link_put(link);
	return rc;
}

static int
lb_netns_ifindex(struct nl_sock *sk, const char *ifname)
{
	struct rtnl_link *link = NULL;
	int idx;

	if (rtnl_link_get_kernel(sk, 0, ifname, &link) != 0)
		return -ENODEV;
	idx = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return idx;
}

/* The ipv6 sysctls lb_netns_tune() sets (at most). */
enum { LB_NETNS_SYS_MAX = 4 };

/*
 * Inside ns_fd: checksum and segmentation offloads off on ifname (the
 * datapath is a userspace switch that fills in no checksums, as for
 * guests' veths). An IPv4 load balancer: IPv6 off (the probes are IPv4;
 * no RS/DAD noise on the tenant network). An IPv6 one: IPv6 on, without
 * duplicate address detection (IPAM gave the address: the probes need
 * not wait for DAD) and without router advertisements (the routes are
 * the ones set here). Best effort: a probe with an offloaded checksum
 * would fail visibly, so failures are only returned.
 */
static int
lb_netns_tune(int ns_fd, const char *ifname, int family)
{
	static const uint32_t cmds[] = {ETHTOOL_STXCSUM, ETHTOOL_SSG,
					ETHTOOL_STSO, ETHTOOL_SGSO};
	int self, sock = -1, sys[LB_NETNS_SYS_MAX], rc = 0;
	const char *val[LB_NETNS_SYS_MAX];
	struct ethtool_value ev;
	struct ifreq ifr;
	char path[96];
	size_t n_sys = 0;

	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || setns(ns_fd, CLONE_NEWNET) != 0) {
		if (self >= 0)
			close(self);
		return -EIO;
	}
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	/* /proc/sys/net is the namespace's of whoever opens it. */
	if (family == AF_INET6) {
		static const char *const keys[] = {"accept_dad", "accept_ra",
						   "disable_ipv6"};

		for (size_t i = 0; i < 3; i++) {
			snprintf(path, sizeof(path),
				 "/proc/sys/net/ipv6/conf/%s/%s", ifname,
				 keys[i]);
			val[n_sys] = "0\n";
			sys[n_sys++] = open(path, O_WRONLY | O_CLOEXEC);
		}
	} else {
		val[n_sys] = "1\n";
		sys[n_sys++] = open("/proc/sys/net/ipv6/conf/all/disable_ipv6",
				    O_WRONLY | O_CLOEXEC);
	}
	if (setns(self, CLONE_NEWNET) != 0)
		abort(); /* every later socket would be in the wrong one */
	close(self);
	if (sock < 0) {
		rc = -EIO;
		goto out;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		ev.cmd = cmds[i];
		ev.data = 0;
		ifr.ifr_data = (char *)&ev;
		if (ioctl(sock, SIOCETHTOOL, &ifr) != 0)
			rc = -EIO;
	}
	for (size_t i = 0; i < n_sys; i++)
		if (sys[i] < 0 || write(sys[i], val[i], 2) != 2)
			rc = -EIO;
out:
	for (size_t i = 0; i < n_sys; i++)
		if (sys[i] >= 0)
			close(sys[i]);
	if (sock >= 0)
		close(sock);
	return rc;
}

/* Address, lo, the inside end up, default route. */
static int
lb_netns_inside(const struct lb_netns_config *cfg, int ns_fd)
{
	struct nl_sock *sk = lb_netns_sock(ns_fd);
	size_t alen = cfg->family == AF_INET6 ? 16 : 4;
	struct rtnl_addr *a = NULL;
	struct rtnl_route *r = NULL;
	struct rtnl_nexthop *nh;
	struct nl_addr *local = NULL, *gw = NULL, *dst = NULL;
	int idx, rc = -EIO;

	if (sk == NULL)
		return -EIO;
	(void)lb_netns_tune(ns_fd, cfg->ns_if, cfg->family);
	if (lb_netns_up(sk, "lo", NULL) != 0 ||
	    lb_netns_up(sk, cfg->ns_if, cfg->has_mac ? cfg->mac : NULL) != 0)
		goto out;
	idx = lb_netns_ifindex(sk, cfg->ns_if);
	a = rtnl_addr_alloc();
	local = nl_addr_build(cfg->family, cfg->addr, alen);
	if (idx < 0 || a == NULL || local == NULL)
		goto out;
	nl_addr_set_prefixlen(local, cfg->prefix_len);
	rtnl_addr_set_ifindex(a, idx);
	rtnl_addr_set_family(a, cfg->family);
	if (cfg->family == AF_INET6)
		rtnl_addr_set_flags(a, IFA_F_NODAD); /* usable at once */
	if (rtnl_addr_set_local(a, local) != 0 || rtnl_addr_add(sk, a, 0) != 0)
		goto out;
	if (cfg->has_gateway) {
		static const uint8_t zero[16];

		r = rtnl_route_alloc();
		nh = rtnl_route_nh_alloc();
		gw = nl_addr_build(cfg->family, cfg->gateway, alen);
		dst = nl_addr_build(cfg->family, zero, alen);
		if (r == NULL || nh == NULL || gw == NULL || dst == NULL) {
			rtnl_route_nh_free(nh);
			goto out;
		}
		nl_addr_set_prefixlen(dst, 0);
		rtnl_route_set_family(r, (uint8_t)cfg->family);
		rtnl_route_set_dst(r, dst);
		rtnl_route_nh_set_ifindex(nh, idx);
		rtnl_route_nh_set_gateway(nh, gw);
		rtnl_route_add_nexthop(r, nh);
		if (rtnl_route_add(sk, r, NLM_F_CREATE) != 0)
			goto out;
	}
	rc = 0;
out:
	nl_addr_put(local);
	nl_addr_put(gw);
	nl_addr_put(dst);
	if (a != NULL)
		rtnl_addr_put(a);
	if (r != NULL)
		rtnl_route_put(r);
	nl_socket_free(sk);
	return rc;
}

int
lb_netns_create(const struct lb_netns_config *cfg, int *ns_fd)
{
	char path[sizeof(LB_NETNS_DIR) + LB_NETNS_NAME_MAX + 2];
	struct nl_sock *sk = NULL;
	struct rtnl_link *veth = NULL, *peer;
	int fd = -1, rc;

	if (cfg->name[0] == '\0' || strchr(cfg->name, '/') != NULL ||
	    cfg->host_if[0] == '\0' || cfg->ns_if[0] == '\0' ||
	    (cfg->family != AF_INET && cfg->family != AF_INET6))
		return -EINVAL;
	snprintf(path, sizeof(path), LB_NETNS_DIR "/%s", cfg->name);
	rc = lb_netns_make(path);
	if (rc != 0)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	sk = lb_netns_sock(-1);
	veth = rtnl_link_veth_alloc();
	if (fd < 0 || sk == NULL || veth == NULL) {
		rc = -EIO;
		goto fail;
	}
	rtnl_link_set_name(veth, cfg->host_if);
	/* get_peer takes a reference: dropped once the peer is set. */
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(peer, cfg->ns_if);
	rtnl_link_set_ns_fd(peer, fd);
	rtnl_link_put(peer);
	rc = rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL);
	if (rc != 0) {
		rc = rc == -NLE_EXIST ? -EEXIST : -EIO;
		goto fail;
	}
	if (lb_netns_up(sk, cfg->host_if, NULL) != 0 ||
	    lb_netns_inside(cfg, fd) != 0) {
		rc = -EIO;
		goto fail_veth;
	}
	rtnl_link_veth_release(veth);
	nl_socket_free(sk);
	*ns_fd = fd;
	return 0;

fail_veth:
	rtnl_link_delete(sk, veth);
fail:
	if (veth != NULL)
		rtnl_link_veth_release(veth);
	nl_socket_free(sk);
	if (fd >= 0)
		close(fd);
	umount2(path, MNT_DETACH);
	unlink(path);
	return rc;
}

int
lb_netns_open(const struct lb_netns_config *cfg, int *ns_fd)
{
	char path[sizeof(LB_NETNS_DIR) + LB_NETNS_NAME_MAX + 2];
	int fd;

	snprintf(path, sizeof(path), LB_NETNS_DIR "/%s", cfg->name);
	if (if_nametoindex(cfg->host_if) == 0)
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	/* A bind-mounted namespace, not the empty file under it. */
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		close(fd);
		return -ENOENT;
	}
	*ns_fd = fd;
	return 0;
}

int
lb_netns_destroy(const struct lb_netns_config *cfg)
{
	char path[sizeof(LB_NETNS_DIR) + LB_NETNS_NAME_MAX + 2];
	struct nl_sock *sk = lb_netns_sock(-1);
	struct rtnl_link *link = NULL;
	int rc = 0;

	if (sk != NULL &&
	    rtnl_link_get_kernel(sk, 0, cfg->host_if, &link) == 0) {
		if (rtnl_link_delete(sk, link) != 0)
			rc = -EIO;
		rtnl_link_put(link);
	}
	nl_socket_free(sk);
	snprintf(path, sizeof(path), LB_NETNS_DIR "/%s", cfg->name);
	if (umount2(path, MNT_DETACH) != 0 && errno != ENOENT &&
	    errno != EINVAL)
		rc = -EIO;
	if (unlink(path) != 0 && errno != ENOENT)
		rc = -EIO;
	return rc;
}
