/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rt_port.c: sluice-dp's ports. Maps each port type of the programming
 * protocol to a DPDK device (AF_XDP, AF_PACKET, vhost-user, tap, or raw
 * devargs for pcap/null/ring/PCI), hot-plugs it with rte_dev_probe() and
 * removes it with rte_dev_remove(), configures one rx queue and a tx queue
 * per lcore, and publishes the port table the workers read.
 *
 * Every port has one rx queue, polled by exactly one worker (ports are
 * dealt to workers round-robin by port number). A port has a tx queue per
 * worker plus one for the main lcore (packet-out); a device that offers
 * fewer (AF_XDP and AF_PACKET on a single-queue veth, vhost-user with one
 * queue pair) is shared: queue 0 under the port's spinlock.
 *
 * Concurrency: main lcore only. A change builds a new struct rt_ptab,
 * publishes it with rcu_assign_pointer(), waits a grace period (every
 * worker passed a quiescent point or is offline) and only then frees the
 * old table and stops a removed device.
 */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <urcu-qsbr.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "rt.h"

enum {
	RT_PORT_RXD = 1024,
	RT_PORT_TXD = 1024,
	/*
	 * AF_XDP's rx and fill rings: at 1024 a worker off its CPU for a
	 * few ms lost 1.3 % of a TCP stream's segments (docs/runtime.md).
	 * Each fill entry holds an mbuf of the shared pool: at most an
	 * eighth of it per port (a power of two, 1024 at least).
	 */
	RT_PORT_RXD_AF_XDP = 4096,
};

/* Publish a table built from rt->ports; free the old one after a grace
 * period. */
static int
rt_port_publish(struct rt *rt)
{
	struct rt_ptab *tab, *old;
	unsigned k = 0;

	tab = calloc(1, sizeof(*tab));
	if (tab == NULL)
		return -ENOMEM;
	for (unsigned no = 1; no <= RT_PORT_NO_MAX; no++) {
		struct rt_port *p = rt->ports[no];
		unsigned w;

		if (p == NULL)
			continue;
		w = k++ % rt->n_workers;
		tab->rx[w][tab->n_rx[w]].eth_id = p->eth_id;
		tab->rx[w][tab->n_rx[w]].port_no = no;
		tab->rx[w][tab->n_rx[w]].vnet = p->vnet;
		tab->n_rx[w]++;
		tab->tx[no].port = p;
		tab->tx[no].eth_id = p->eth_id;
		tab->tx[no].is_shared = p->is_tx_shared;
		tab->tx[no].mtu = p->tx_mtu;
		tab->tx[no].vnet = p->vnet;
	}
	old = rt->ptab;
	rcu_assign_pointer(rt->ptab, tab);
	synchronize_rcu();
	free(old);
	return 0;
}

int
rt_port_init(struct rt *rt)
{
	return rt_port_publish(rt);
}

void
rt_port_fini(struct rt *rt)
{
	free(rt->ptab);
	rt->ptab = NULL;
}

/* The DPDK device name and devargs for a port spec. */
static int
rt_port_devargs(const struct dp_port_spec *spec, char *dev_name, size_t dev_len,
		char *devargs, size_t args_len, char *err, size_t err_len)
{
	const char *drv, *extra = "";
	const char *key = "iface";
	int n;

	switch (spec->type) {
	case DP_PORT_AF_XDP:
		drv = "net_af_xdp";
		/*
		 * Preferred busy polling (the driver's default) makes each
		 * empty poll a recvfrom() that spins in NAPI for up to 20 us:
		 * an idle worker would burn that on every wake-up. The
		 * kernel's softirq fills the ring just as well on veth and
		 * tap. Args may override it (iface,busy_budget=64).
		 */
		if (strstr(spec->args, "busy_budget=") == NULL)
			extra = ",busy_budget=0";
		break;
	case DP_PORT_AF_PACKET:
		drv = "net_af_packet";
		/*
		 * The driver's default ring of 512 frames overflows in the
		 * kernel (tpacket_rcv drops, counted nowhere we can see)
		 * whenever the worker is off its CPU for a few ms: on a
		 * shared 2-CPU machine that cost 8 % of a TCP stream's
		 * segments; 4096 frames of 2 KiB rode that out. The frames
		 * now hold a whole reassembled datagram (rt.h, RT_AFP_FRAME):
		 * 1024 frames of 10 KiB, 10 MiB a ring (docs/runtime.md).
		 * Args may override the count (framecnt=), not the size.
		 */
		if (strstr(spec->args, "framecnt=") == NULL)
			extra = ",qpairs=1,framesz=" RT_STR(
				RT_AFP_FRAME) ",blocksz=" RT_STR(RT_AFP_BLOCK) ",framecnt=" RT_STR(RT_AFP_FRAMES);
		else
			extra = ",qpairs=1,framesz=" RT_STR(
				RT_AFP_FRAME) ",blocksz=" RT_STR(RT_AFP_BLOCK);
		break;
	case DP_PORT_VHOST_USER:
		drv = "net_vhost";
		extra = ",client=0";
		break;
	case DP_PORT_VHOST_USER_CLIENT:
		drv = "net_vhost";
		extra = ",client=1";
		break;
	case DP_PORT_TAP:
		drv = "net_tap";
		break;
	case DP_PORT_DEVARGS: {
		size_t l = strcspn(spec->args, ",");

		if (l == 0 || l >= dev_len) {
			snprintf(err, err_len,
				 "port %s: devargs '%s' do not "
				 "start with a device name",
				 spec->name, spec->args);
			return -EINVAL;
		}
		memcpy(dev_name, spec->args, l);
		dev_name[l] = '\0';
		n = snprintf(devargs, args_len, "%s", spec->args);
		return (size_t)n < args_len ? 0 : -ENAMETOOLONG;
	}
	default:
		snprintf(err, err_len, "port %s: unknown type %u", spec->name,
			 spec->type);
		return -EINVAL;
	}
	n = snprintf(dev_name, dev_len, "%s_%s", drv, spec->name);
	if (n < 0 || (size_t)n >= dev_len)
		goto too_long;
	n = snprintf(devargs, args_len, "%s,%s=%s%s", dev_name, key, spec->args,
		     extra);
	if (n < 0 || (size_t)n >= args_len)
		goto too_long;
	return 0;
too_long:
	snprintf(err, err_len, "port %s: name or arguments too long",
		 spec->name);
	return -ENAMETOOLONG;
}

/*
 * The MTU of an AF_PACKET port's interface (the first word of its args),
 * which the kernel enforces on every frame sent; 0 when unknown.
 */
static uint16_t
rt_port_kernel_mtu(const struct dp_port_spec *spec)
{
	size_t l = strcspn(spec->args, ",");
	struct ifreq ifr;
	int fd, mtu = 0;

	if ((spec->type != DP_PORT_AF_PACKET && spec->type != DP_PORT_VNET) ||
	    l == 0 || l >= IFNAMSIZ)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, spec->args, l);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (ioctl(fd, SIOCGIFMTU, &ifr) == 0)
		mtu = ifr.ifr_mtu;
	close(fd);
	return mtu >= 68 && mtu <= UINT16_MAX ? (uint16_t)mtu : 0;
}

static struct rt_port *
rt_port_find(struct rt *rt, uint32_t port_no, const char *name)
{
	if (port_no != 0)
		return port_no <= RT_PORT_NO_MAX ? rt->ports[port_no] : NULL;
	for (unsigned no = 1; no <= RT_PORT_NO_MAX; no++)
		if (rt->ports[no] != NULL &&
		    strncmp(rt->ports[no]->spec.name, name, DP_NAME_LEN) == 0)
			return rt->ports[no];
	return NULL;
}

static int
rt_port_setup(struct rt *rt, struct rt_port *p, char *err, size_t err_len)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = RT_PORT_RXD, nb_txd = RT_PORT_TXD;
	unsigned want_txq = rt->n_workers + 1;
	int socket = rte_eth_dev_socket_id(p->eth_id);
	int rc;

	if (socket < 0)
		socket = (int)SOCKET_ID_ANY;
	rc = rte_eth_dev_info_get(p->eth_id, &info);
	if (rc != 0) {
		snprintf(err, err_len, "port %s: device info: %s", p->spec.name,
			 rte_strerror(-rc));
		return rc;
	}
	if (info.max_rx_queues < 1 || info.max_tx_queues < 1) {
		snprintf(err, err_len, "port %s: device has no rx or tx queue",
			 p->spec.name);
		return -ENOTSUP;
	}
	p->n_txq = (uint16_t)(info.max_tx_queues < want_txq ? info.max_tx_queues
							    : want_txq);
	p->is_tx_shared = p->n_txq < want_txq;
	rte_spinlock_init(&p->tx_lock);
	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(p->eth_id, 1, p->n_txq, &conf);
	if (rc != 0 && p->n_txq > 1) {
		/* Some devices (net_tap) want as many tx as rx queues. */
		p->n_txq = 1;
		p->is_tx_shared = true;
		rc = rte_eth_dev_configure(p->eth_id, 1, 1, &conf);
	}
	if (rc != 0) {
		snprintf(err, err_len, "port %s: configure (1 rxq, %u txq): %s",
			 p->spec.name, p->n_txq, rte_strerror(-rc));
		return rc;
	}
	if (p->spec.type == DP_PORT_AF_XDP) {
		nb_rxd = RT_PORT_RXD_AF_XDP;
		while (nb_rxd > RT_PORT_RXD && nb_rxd > rt->pool->size / 8)
			nb_rxd /= 2;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->eth_id, &nb_rxd, &nb_txd);
	if (rc != 0) {
		snprintf(err, err_len, "port %s: descriptors: %s", p->spec.name,
			 rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_rx_queue_setup(
		p->eth_id, 0, nb_rxd, (unsigned)socket, NULL,
		p->spec.type == DP_PORT_AF_PACKET ? rt->pool_big : rt->pool);
	if (rc != 0) {
		snprintf(err, err_len, "port %s: rx queue: %s", p->spec.name,
			 rte_strerror(-rc));
		return rc;
	}
	for (uint16_t q = 0; q < p->n_txq; q++) {
		rc = rte_eth_tx_queue_setup(p->eth_id, q, nb_txd,
					    (unsigned)socket, NULL);
		if (rc != 0) {
			snprintf(err, err_len, "port %s: tx queue %u: %s",
				 p->spec.name, q, rte_strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_start(p->eth_id);
	if (rc != 0) {
		snprintf(err, err_len, "port %s: start: %s", p->spec.name,
			 rte_strerror(-rc));
		return rc;
	}
	/* A switch port sees every frame; some devices cannot (null). */
	rc = rte_eth_promiscuous_enable(p->eth_id);
	if (rc != 0 && rc != -ENOTSUP)
		RT_WARN("port %s: promiscuous mode: %s", p->spec.name,
			rte_strerror(-rc));
	return 0;
}

static uint64_t
rt_port_tx_drops(struct rt *rt, uint32_t port_no)
{
	uint64_t n = 0;

	for (unsigned w = 0; w < rt->n_workers; w++)
		n += rt->workers[w].stats.tx_drop[port_no];
	return n;
}

static void rt_port_info(struct rt *rt, const struct rt_port *p,
			 struct dp_port_info *o);

/* Unplug the DPDK device of a port that no worker can see any more. */
static void
rt_port_unplug(struct rt_port *p)
{
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;
	int rc;

	if (p->vnet != NULL) {
		rt_vnet_close(p->vnet);
		p->vnet = NULL;
		return;
	}
	if (rte_eth_dev_info_get(p->eth_id, &info) == 0)
		dev = info.device;
	rc = rte_eth_dev_stop(p->eth_id);
	if (rc != 0)
		RT_WARN("port %s: stop: %s", p->spec.name, rte_strerror(-rc));
	rc = rte_eth_dev_close(p->eth_id);
	if (rc != 0)
		RT_WARN("port %s: close: %s", p->spec.name, rte_strerror(-rc));
	if (dev != NULL) {
		rc = rte_dev_remove(dev);
		if (rc != 0 && rc != -ENOENT)
			RT_WARN("port %s: remove device %s: %s", p->spec.name,
				p->dev_name, rte_strerror(-rc));
	}
}

/*
 * The error of a failed probe. DPDK 22.11's af_packet driver joins fanout
 * group (pid ^ ifindex) & 0xffff and only logs when it cannot; another
 * AF_PACKET socket in this namespace on another interface may hold that
 * id (a second sluice-dp whose PID is near ours), so say so.
 */
static void
rt_port_probe_err(const struct dp_port_spec *spec, const char *devargs, int rc,
		  char *err, size_t err_len)
{
	char ifname[IF_NAMESIZE] = "";
	unsigned int ifx = 0;

	if (spec->type == DP_PORT_AF_PACKET) {
		size_t l = strcspn(spec->args, ",");

		if (l < sizeof(ifname)) {
			memcpy(ifname, spec->args, l);
			ifname[l] = '\0';
			ifx = if_nametoindex(ifname);
		}
	}
	if (ifx == 0) {
		snprintf(err, err_len, "port %s: probe '%s': %s", spec->name,
			 devargs, rte_strerror(-rc));
		return;
	}
	snprintf(err, err_len,
		 "port %s: probe '%s': %s (if the driver could not set "
		 "PACKET_FANOUT: its group id %u is held by another AF_PACKET "
		 "socket in this namespace; sluice-dp started again gets "
		 "another process id and group)",
		 spec->name, devargs, rte_strerror(-rc),
		 ((unsigned int)getpid() ^ ifx) & 0xffffu);
}

int
rt_port_add(struct rt *rt, const struct dp_port_spec *spec,
	    struct dp_port_info *out, char *err, size_t err_len)
{
	char devargs[DP_ARGS_LEN + 96];
	struct rt_port *p;
	uint32_t no = spec->port_no;
	int rc;

	if (spec->name[0] == '\0' ||
	    memchr(spec->name, '\0', DP_NAME_LEN) == NULL ||
	    memchr(spec->args, '\0', DP_ARGS_LEN) == NULL) {
		snprintf(err, err_len, "port: name or args not terminated");
		return -EINVAL;
	}
	if (!rt_args_name_ok(spec->name, strlen(spec->name))) {
		snprintf(err, err_len,
			 "port '%s': name must be of "
			 "[A-Za-z0-9_.-]",
			 spec->name);
		return -EINVAL;
	}
	if (spec->args[0] == '\0') {
		snprintf(err, err_len, "port %s: empty args", spec->name);
		return -EINVAL;
	}
	if (rt_port_find(rt, 0, spec->name) != NULL) {
		snprintf(err, err_len, "port %s: name in use", spec->name);
		return -EEXIST;
	}
	if (rt->n_ports >= RT_PORTS_MAX) {
		snprintf(err, err_len, "port %s: too many ports (%u/%u)",
			 spec->name, rt->n_ports, RT_PORTS_MAX);
		return -ENOSPC;
	}
	if (no == 0) {
		for (no = 1; no <= RT_PORT_NO_MAX && rt->ports[no]; no++)
			;
	} else if (no > RT_PORT_NO_MAX) {
		snprintf(err, err_len,
			 "port %s: number %u out of range "
			 "(1..%u)",
			 spec->name, no, RT_PORT_NO_MAX);
		return -ERANGE;
	} else if (rt->ports[no] != NULL) {
		snprintf(err, err_len, "port %s: number %u used by %s",
			 spec->name, no, rt->ports[no]->spec.name);
		return -EEXIST;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, err_len, "port %s: out of memory", spec->name);
		return -ENOMEM;
	}
	p->spec = *spec;
	p->spec.port_no = no;
	if (spec->type == DP_PORT_VNET) {
		rc = rt_vnet_open(spec, rt->pool_vnet, rt->pool_big, &p->vnet,
				  err, err_len);
		if (rc != 0)
			goto free_port;
		p->eth_id = UINT16_MAX;
		snprintf(devargs, sizeof(devargs), "AF_PACKET+vnet_hdr on %s",
			 spec->args);
		snprintf(p->dev_name, sizeof(p->dev_name), "vnet_%s",
			 spec->name);
		goto ready;
	}
	rc = rt_port_devargs(spec, p->dev_name, sizeof(p->dev_name), devargs,
			     sizeof(devargs), err, err_len);
	if (rc != 0)
		goto free_port;
	rc = rte_dev_probe(devargs);
	if (rc != 0) {
		rt_port_probe_err(spec, devargs, rc, err, err_len);
		goto free_port;
	}
	rc = rte_eth_dev_get_port_by_name(p->dev_name, &p->eth_id);
	if (rc != 0) {
		snprintf(err, err_len, "port %s: device %s is not an ethdev",
			 spec->name, p->dev_name);
		rte_eal_hotplug_remove("vdev", p->dev_name);
		goto free_port;
	}
	rc = rt_port_setup(rt, p, err, err_len);
	if (rc != 0)
		goto unplug;
ready:
	p->tx_mtu = rt_port_kernel_mtu(spec);
	p->tx_drop_base = rt_port_tx_drops(rt, no);
	rt->ports[no] = p;
	rt->n_ports++;
	rc = rt_port_publish(rt);
	if (rc != 0) {
		snprintf(err, err_len, "port %s: out of memory", spec->name);
		rt->ports[no] = NULL;
		rt->n_ports--;
		goto unplug;
	}
	RT_INFO("port %s: added as %u (%s %s, dpdk port %u, %u tx queue%s%s)",
		spec->name, no, rt_args_port_type_name(spec->type), devargs,
		p->eth_id, p->n_txq, p->n_txq == 1 ? "" : "s",
		p->is_tx_shared ? ", shared" : "");
	if (out != NULL)
		rt_port_info(rt, p, out);
	return 0;
unplug:
	rt_port_unplug(p);
free_port:
	free(p);
	return rc;
}

int
rt_port_del(struct rt *rt, const struct dp_port_ref *ref, char *err,
	    size_t err_len)
{
	char name[DP_NAME_LEN];
	struct rt_port *p;
	int rc;

	memcpy(name, ref->name, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	p = rt_port_find(rt, ref->port_no, name);
	if (p == NULL) {
		if (ref->port_no != 0)
			snprintf(err, err_len, "port %u: no such port",
				 ref->port_no);
		else
			snprintf(err, err_len, "port %s: no such port", name);
		return -ENOENT;
	}
	rt->ports[p->spec.port_no] = NULL;
	rt->n_ports--;
	rc = rt_port_publish(rt);
	if (rc != 0) {
		rt->ports[p->spec.port_no] = p;
		rt->n_ports++;
		snprintf(err, err_len, "port %s: out of memory", name);
		return rc;
	}
	{
		struct dp_port_info i;

		rt_port_info(rt, p, &i);
		RT_INFO("port %s: removing %u (rx %" PRIu64
			" packets, tx %" PRIu64 ", tx dropped %" PRIu64 ")",
			p->spec.name, p->spec.port_no, i.rx_packets,
			i.tx_packets, i.tx_dropped);
	}
	rt_port_unplug(p);
	free(p);
	return 0;
}

static void
rt_port_info(struct rt *rt, const struct rt_port *p, struct dp_port_info *o)
{
	struct rte_eth_stats st;
	struct rte_eth_link link;
	struct rte_ether_addr mac;
	uint16_t mtu = 0;

	memset(o, 0, sizeof(*o));
	memcpy(o->name, p->spec.name, sizeof(o->name));
	memcpy(o->args, p->spec.args, sizeof(o->args));
	o->type = p->spec.type;
	o->port_no = p->spec.port_no;
	if (p->vnet != NULL) {
		rt_vnet_info(p->vnet, o);
		o->tx_dropped =
			rt_port_tx_drops(rt, p->spec.port_no) - p->tx_drop_base;
		return;
	}
	if (rte_eth_macaddr_get(p->eth_id, &mac) == 0)
		memcpy(o->mac, mac.addr_bytes, sizeof(o->mac));
	if (rte_eth_link_get_nowait(p->eth_id, &link) == 0)
		o->is_up = link.link_status == RTE_ETH_LINK_UP;
	if (rte_eth_dev_get_mtu(p->eth_id, &mtu) == 0)
		o->mtu = mtu;
	if (rte_eth_stats_get(p->eth_id, &st) == 0) {
		o->rx_packets = st.ipackets;
		o->rx_bytes = st.ibytes;
		o->rx_dropped = st.imissed + st.rx_nombuf;
		o->rx_errors = st.ierrors;
		o->tx_packets = st.opackets;
		o->tx_bytes = st.obytes;
		o->tx_errors = st.oerrors;
	}
	o->tx_dropped = rt_port_tx_drops(rt, p->spec.port_no) - p->tx_drop_base;
}

int
rt_port_list(struct rt *rt, struct dp_port_info *out, unsigned max, unsigned *n)
{
	*n = 0;
	for (unsigned no = 1; no <= RT_PORT_NO_MAX && *n < max; no++)
		if (rt->ports[no] != NULL)
			rt_port_info(rt, rt->ports[no], &out[(*n)++]);
	return 0;
}

void
rt_port_del_all(struct rt *rt)
{
	for (unsigned no = 1; no <= RT_PORT_NO_MAX; no++) {
		struct dp_port_ref ref = {.port_no = no};
		char err[DP_ERR_LEN];

		if (rt->ports[no] != NULL &&
		    rt_port_del(rt, &ref, err, sizeof(err)) != 0)
			RT_WARN("%s", err);
	}
}
