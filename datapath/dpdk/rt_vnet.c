/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rt_vnet.c: the "vnet" port type: a kernel interface (a guest's veth, a
 * container's end) through an AF_PACKET socket with PACKET_VNET_HDR, so
 * that the guest behind it keeps TSO/GSO and checksum offload on.
 *
 * DPDK 22.11's af_packet driver has no virtio-net header: a guest with
 * offloads on hands it 64 KiB super-frames and frames with half-done
 * checksums, which it cannot tell from whole ones, so guests on af_packet
 * and af_xdp ports must turn their offloads off and send every MSS
 * through their stack, their veth and the port one by one. Here each
 * received frame comes with the kernel's description of it (struct
 * vnet_hdr): a super-frame is cut into its segments and a partial
 * checksum is finished as the frames are copied into mbufs (vnet_seg.c),
 * so the pipeline sees only wire frames. Frames sent carry a zero header
 * (whole frames, checksums done).
 *
 * Not an ethdev: the workers call rt_vnet_rx() and rt_port_tx() calls
 * rt_vnet_tx() for a port that has one (rt.h). rx is the polling
 * worker's only (like an ethdev rx queue); tx may come from any lcore at
 * once (sendmmsg() on one socket is safe; the counters are atomic).
 * docs/runtime.md, "vnet ports".
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "rt.h"
#include "vnet_seg.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

enum {
	RT_VNET_BATCH = 16,	  /* frames a recvmmsg() */
	RT_VNET_BUF = 65536 + 64, /* a super-frame with its L2 header */
	RT_VNET_PEND = RT_VNET_BATCH * VNET_SEG_MAX,
	RT_VNET_TX_BATCH = 64, /* frames a sendmmsg() */
	RT_VNET_TX_IOV = 8,    /* segments of one mbuf sent */
	RT_VNET_GRO_MAX = 48,  /* frames merged into one GSO message */
	RT_VNET_SAVE = 128,    /* >= a run's header (14 + 40 + 60) */
	RT_VNET_RCVBUF = 8 << 20,
	RT_VNET_SNDBUF = 4 << 20,
	RT_VNET_IDLE_US = 10, /* after an empty poll, none for this long */
};

struct rt_vnet {
	int fd;
	char ifname[IF_NAMESIZE];
	char port[DP_NAME_LEN];
	bool is_gso_tx; /* the interface takes GSO frames (TSO on) */
	struct rte_mempool *pool, *pool_big;
	uint32_t room, room_big; /* data room after the headroom */
	/* rx: the polling worker only. */
	uint64_t next_poll, idle_tsc; /* no recvmmsg() before next_poll */
	unsigned pend_head, pend_n;
	struct rte_mbuf *pend[RT_VNET_PEND];
	struct mmsghdr msg[RT_VNET_BATCH];
	struct iovec iov[RT_VNET_BATCH][2];
	struct vnet_hdr hdr[RT_VNET_BATCH];
	uint8_t *buf; /* RT_VNET_BATCH * RT_VNET_BUF */
	uint64_t rx_packets, rx_bytes, rx_gso, rx_nombuf, rx_errors;
	uint64_t rx_bad[VNET_SEG_E_MAX];
	/* tx: any lcore (atomic). */
	uint64_t tx_packets, tx_bytes, tx_errors, tx_gso, tx_gso_frames;
};

static int
rt_vnet_ifreq(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int fd, rc;

	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = ioctl(fd, req, ifr) == 0 ? 0 : -errno;
	close(fd);
	return rc;
}

/*
 * Whether the interface has TSO on. Without it the kernel must segment a
 * GSO frame sent on it in software, and with its checksum offload and
 * scatter-gather off as well (nt_veth, vpn-iperf's host ends) it refuses
 * them (ENOBUFS): then frames go one by one.
 */
static bool
rt_vnet_has_tso(const char *ifname)
{
	struct ethtool_value ev = {.cmd = ETHTOOL_GTSO};
	struct ifreq ifr;
	int fd, rc;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ev;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	rc = ioctl(fd, SIOCETHTOOL, &ifr);
	close(fd);
	return rc == 0 && ev.data != 0;
}

static int
rt_vnet_setopt(struct rt_vnet *v, int level, int opt, int val, const char *what,
	       char *err, size_t err_len)
{
	if (setsockopt(v->fd, level, opt, &val, sizeof(val)) == 0)
		return 0;
	snprintf(err, err_len, "port %s: interface %s: %s: %s", v->port,
		 v->ifname, what, strerror(errno));
	return -errno;
}

int
rt_vnet_open(const struct dp_port_spec *spec, struct rte_mempool *pool,
	     struct rte_mempool *pool_big, struct rt_vnet **out, char *err,
	     size_t err_len)
{
	size_t l = strcspn(spec->args, ",");
	struct packet_mreq mr;
	struct sockaddr_ll sll;
	struct rt_vnet *v;
	unsigned ifx;
	int rc;

	if (l == 0 || l >= IF_NAMESIZE || spec->args[l] != '\0') {
		snprintf(err, err_len,
			 "port %s: vnet wants a kernel interface name (at most "
			 "%d characters, no options), not '%s'",
			 spec->name, IF_NAMESIZE - 1, spec->args);
		return -EINVAL;
	}
	ifx = if_nametoindex(spec->args);
	if (ifx == 0) {
		snprintf(err, err_len, "port %s: interface %s: %s", spec->name,
			 spec->args, strerror(errno));
		return -ENODEV;
	}
	v = rte_zmalloc("rt_vnet", sizeof(*v), RTE_CACHE_LINE_SIZE);
	if (v == NULL)
		goto nomem;
	v->buf = rte_malloc("rt_vnet_buf", (size_t)RT_VNET_BATCH * RT_VNET_BUF,
			    RTE_CACHE_LINE_SIZE);
	if (v->buf == NULL) {
		rte_free(v);
		goto nomem;
	}
	memcpy(v->ifname, spec->args, l + 1);
	snprintf(v->port, sizeof(v->port), "%s", spec->name);
	v->pool = pool;
	v->pool_big = pool_big;
	v->idle_tsc = rte_get_tsc_hz() / 1000000 * RT_VNET_IDLE_US;
	v->room = rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM;
	v->room_big =
		rte_pktmbuf_data_room_size(pool_big) - RTE_PKTMBUF_HEADROOM;
	/* Protocol 0 until bound: nothing queues before the options. */
	v->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (v->fd < 0) {
		rc = -errno;
		snprintf(err, err_len, "port %s: AF_PACKET socket: %s",
			 spec->name, strerror(errno));
		goto free_v;
	}
	rc = rt_vnet_setopt(v, SOL_PACKET, PACKET_VNET_HDR, 1,
			    "PACKET_VNET_HDR", err, err_len);
	if (rc == 0)
		rc = rt_vnet_setopt(v, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1,
				    "PACKET_IGNORE_OUTGOING", err, err_len);
	if (rc == 0)
		rc = rt_vnet_setopt(v, SOL_PACKET, PACKET_QDISC_BYPASS, 1,
				    "PACKET_QDISC_BYPASS", err, err_len);
	if (rc != 0)
		goto close_fd;
	/*
	 * Room for a worker off its CPU for a few ms (docs/runtime.md,
	 * "Shared CPUs"); FORCE as root, the plain option caps at rmem_max.
	 */
	if (setsockopt(v->fd, SOL_SOCKET, SO_RCVBUFFORCE,
		       &(int){RT_VNET_RCVBUF}, sizeof(int)) != 0)
		(void)setsockopt(v->fd, SOL_SOCKET, SO_RCVBUF,
				 &(int){RT_VNET_RCVBUF}, sizeof(int));
	if (setsockopt(v->fd, SOL_SOCKET, SO_SNDBUFFORCE,
		       &(int){RT_VNET_SNDBUF}, sizeof(int)) != 0)
		(void)setsockopt(v->fd, SOL_SOCKET, SO_SNDBUF,
				 &(int){RT_VNET_SNDBUF}, sizeof(int));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)ifx;
	if (bind(v->fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		rc = -errno;
		snprintf(err, err_len, "port %s: bind to %s: %s", spec->name,
			 v->ifname, strerror(errno));
		goto close_fd;
	}
	/* A switch port sees every frame. */
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = (int)ifx;
	mr.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(v->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
		       sizeof(mr)) != 0)
		RT_WARN("port %s: promiscuous mode on %s: %s", spec->name,
			v->ifname, strerror(errno));
	for (unsigned i = 0; i < RT_VNET_BATCH; i++) {
		v->iov[i][0].iov_base = &v->hdr[i];
		v->iov[i][0].iov_len = sizeof(v->hdr[i]);
		v->iov[i][1].iov_base = v->buf + (size_t)i * RT_VNET_BUF;
		v->iov[i][1].iov_len = RT_VNET_BUF;
		v->msg[i].msg_hdr.msg_iov = v->iov[i];
		v->msg[i].msg_hdr.msg_iovlen = 2;
	}
	v->is_gso_tx = rt_vnet_has_tso(v->ifname);
	RT_INFO("port %s: vnet on %s: GSO super-frames received are cut into "
		"segments; TCP runs are sent as GSO frames: %s",
		v->port, v->ifname,
		v->is_gso_tx ? "yes" : "no (TSO is off on the interface)");
	*out = v;
	return 0;
close_fd:
	close(v->fd);
free_v:
	rte_free(v->buf);
	rte_free(v);
	return rc;
nomem:
	snprintf(err, err_len, "port %s: out of memory", spec->name);
	return -ENOMEM;
}

void
rt_vnet_close(struct rt_vnet *v)
{
	if (v == NULL)
		return;
	RT_INFO("port %s: vnet %s: rx %" PRIu64 " frames from %" PRIu64
		" super-frames, %" PRIu64 " refused, %" PRIu64
		" without an mbuf; tx %" PRIu64 " frames, %" PRIu64
		" of them in %" PRIu64 " GSO runs, %" PRIu64 " refused",
		v->port, v->ifname, v->rx_packets, v->rx_gso, v->rx_errors,
		v->rx_nombuf, v->tx_packets, v->tx_gso_frames, v->tx_gso,
		v->tx_errors);
	for (int i = 1; i < VNET_SEG_E_MAX; i++)
		if (v->rx_bad[i] > 0)
			RT_INFO("port %s: vnet rx refused %" PRIu64 ": %s",
				v->port, v->rx_bad[i], vnet_seg_err_name(i));
	close(v->fd);
	if (v->pend_n > 0)
		rte_pktmbuf_free_bulk(v->pend + v->pend_head, v->pend_n);
	rte_free(v->buf);
	rte_free(v);
}

/* A frame refused: counted by reason, logged (rate-limited) by name. */
static void
rt_vnet_bad(struct rt_vnet *v, int why, const struct vnet_hdr *h, size_t len)
{
	v->rx_errors++;
	if (why > 0 && why < VNET_SEG_E_MAX)
		v->rx_bad[why]++;
	RT_WARN_RL("port %s: dropped a %zu-byte frame from %s: %s (gso type "
		   "%u, gso size %u, flags %#x)",
		   v->port, len, v->ifname, vnet_seg_err_name(why), h->gso_type,
		   h->gso_size, h->flags);
}

/* Turn one received frame into mbufs at the end of the pending list. */
static void
rt_vnet_take(struct rt_vnet *v, const struct vnet_hdr *raw, const uint8_t *f,
	     size_t len)
{
	struct rte_mbuf **m = v->pend + v->pend_head + v->pend_n;
	struct vnet_seg_plan p;
	struct vnet_hdr h = {
		.flags = raw->flags,
		.gso_type = raw->gso_type,
		.hdr_len = rte_le_to_cpu_16(raw->hdr_len),
		.gso_size = rte_le_to_cpu_16(raw->gso_size),
		.csum_start = rte_le_to_cpu_16(raw->csum_start),
		.csum_offset = rte_le_to_cpu_16(raw->csum_offset),
	};
	struct rte_mempool *pool;
	int rc;

	rc = vnet_seg_plan(&h, f, len, &p);
	if (rc != VNET_SEG_OK) {
		rt_vnet_bad(v, rc, &h, len);
		return;
	}
	if (p.max_len <= v->room) {
		pool = v->pool;
	} else if (p.max_len <= v->room_big) {
		pool = v->pool_big;
	} else {
		v->rx_errors++;
		RT_WARN_RL("port %s: dropped a %zu-byte frame from %s: its "
			   "frames of up to %u bytes are over the largest "
			   "buffer (%u)",
			   v->port, len, v->ifname, p.max_len, v->room_big);
		return;
	}
	if (rte_pktmbuf_alloc_bulk(pool, m, p.n) != 0) {
		v->rx_nombuf++;
		return;
	}
	for (unsigned i = 0; i < p.n; i++) {
		size_t l = vnet_seg_emit(&p, f, len, i,
					 rte_pktmbuf_mtod(m[i], uint8_t *));

		m[i]->data_len = (uint16_t)l;
		m[i]->pkt_len = (uint32_t)l;
		v->rx_bytes += l;
	}
	v->rx_packets += p.n;
	v->rx_gso += p.kind == VNET_SEG_SPLIT;
	v->pend_n += p.n;
}

/* Receive a batch into the (empty) pending list. */
static void
rt_vnet_fill(struct rt_vnet *v)
{
	int k;

	v->pend_head = 0;
	k = recvmmsg(v->fd, v->msg, RT_VNET_BATCH, MSG_DONTWAIT, NULL);
	for (int i = 0; i < k; i++) {
		struct msghdr *mh = &v->msg[i].msg_hdr;
		size_t n = v->msg[i].msg_len;

		if ((mh->msg_flags & MSG_TRUNC) || n < sizeof(v->hdr[i])) {
			v->rx_errors++;
			RT_WARN_RL("port %s: dropped a frame from %s: %s",
				   v->port, v->ifname,
				   n < sizeof(v->hdr[i])
					   ? "shorter than its vnet header"
					   : "over 64 KiB, truncated");
		} else {
			rt_vnet_take(v, &v->hdr[i],
				     v->buf + (size_t)i * RT_VNET_BUF,
				     n - sizeof(v->hdr[i]));
		}
		mh->msg_flags = 0;
	}
}

uint16_t
rt_vnet_rx(struct rt_vnet *v, struct rte_mbuf **m, uint16_t max)
{
	unsigned n;

	if (v->pend_n == 0) {
		uint64_t now = rte_rdtsc();

		/*
		 * An empty poll is a system call (about a microsecond): after
		 * one, wait RT_VNET_IDLE_US before the next. A worker whose
		 * other port is busy polls this one between its bursts, and
		 * the guest's frames wait at most that long.
		 */
		if (now < v->next_poll)
			return 0;
		rt_vnet_fill(v);
		v->next_poll = v->pend_n == 0 ? now + v->idle_tsc : 0;
	}
	n = v->pend_n < max ? v->pend_n : max;
	memcpy(m, v->pend + v->pend_head, n * sizeof(*m));
	v->pend_head += n;
	v->pend_n -= n;
	return (uint16_t)n;
}

static const struct vnet_hdr rt_vnet_zero_hdr;

/* What one message of a sendmmsg() carries. */
struct rt_vnet_txm {
	uint16_t first, n;   /* frames m[first .. first + n - 1] */
	uint16_t save_len;   /* a run: header bytes saved before patching */
	struct vnet_hdr hdr; /* a run's GSO header (little-endian) */
	uint8_t save[RT_VNET_SAVE];
};

/*
 * Send up to RT_VNET_TX_BATCH frames; returns how many were taken (sent,
 * or refused by the kernel and counted). Runs of one TCP flow's segments
 * go as one GSO message (vnet_gro_run); a run that is not sent gets its
 * first frame's header back, so the caller may try again.
 */
static unsigned
rt_vnet_tx_batch(struct rt_vnet *v, struct rte_mbuf **m, unsigned n)
{
	struct mmsghdr msg[RT_VNET_TX_BATCH];
	struct iovec iov[RT_VNET_TX_BATCH * (2 + RT_VNET_TX_IOV)];
	struct rt_vnet_txm tm[RT_VNET_TX_BATCH];
	uint8_t *f[RT_VNET_TX_BATCH];
	uint32_t len[RT_VNET_TX_BATCH];
	unsigned n_msg = 0, n_iov = 0, done = 0, taken = 0;
	uint64_t bytes = 0, bad = 0, runs = 0, run_frames = 0;
	int rc;

	for (unsigned i = 0; i < n; i++) {
		f[i] = rte_pktmbuf_mtod(m[i], uint8_t *);
		len[i] = m[i]->nb_segs == 1 ? m[i]->data_len : 0;
	}
	for (unsigned i = 0; i < n;) {
		struct rt_vnet_txm *t = &tm[n_msg];
		struct iovec *io = &iov[n_iov];
		struct vnet_gro g;
		unsigned k = 1, j = 1;

		if (len[i] != 0 && v->is_gso_tx)
			k = vnet_gro_run(f + i, len + i, n - i, RT_VNET_GRO_MAX,
					 &g);
		t->first = (uint16_t)i;
		t->n = (uint16_t)k;
		t->save_len = 0;
		io[0].iov_base = (void *)(uintptr_t)&rt_vnet_zero_hdr;
		io[0].iov_len = sizeof(rt_vnet_zero_hdr);
		if (k == 1) {
			const struct rte_mbuf *s = m[i];

			for (; s != NULL && j <= RT_VNET_TX_IOV;
			     s = s->next, j++) {
				io[j].iov_base = rte_pktmbuf_mtod(s, void *);
				io[j].iov_len = s->data_len;
			}
			if (s != NULL) /* more segments than iovecs */
				j = 1; /* header only: the kernel refuses it */
		} else {
			struct vnet_hdr h;

			t->save_len = (uint16_t)g.hdr_len;
			memcpy(t->save, f[i], g.hdr_len);
			io[1].iov_base = f[i];
			io[1].iov_len = g.hdr_len;
			io[2].iov_base = f[i] + g.hdr_len;
			io[2].iov_len = g.mss;
			j = 3;
			for (unsigned q = i + 1; q < i + k; q++, j++) {
				io[j].iov_base = f[q] + g.hdr_len;
				io[j].iov_len = vnet_gro_pay(f[q], &g);
			}
			vnet_gro_patch(f[i], &g, &h);
			t->hdr.flags = h.flags;
			t->hdr.gso_type = h.gso_type;
			t->hdr.hdr_len = rte_cpu_to_le_16(h.hdr_len);
			t->hdr.gso_size = rte_cpu_to_le_16(h.gso_size);
			t->hdr.csum_start = rte_cpu_to_le_16(h.csum_start);
			t->hdr.csum_offset = rte_cpu_to_le_16(h.csum_offset);
			io[0].iov_base = &t->hdr;
		}
		memset(&msg[n_msg], 0, sizeof(msg[n_msg]));
		msg[n_msg].msg_hdr.msg_iov = io;
		msg[n_msg].msg_hdr.msg_iovlen = j;
		n_iov += j;
		n_msg++;
		i += k;
	}
	while (done < n_msg) {
		rc = sendmmsg(v->fd, msg + done, n_msg - done, MSG_DONTWAIT);
		if (rc > 0) {
			for (unsigned q = done; q < done + (unsigned)rc; q++) {
				for (unsigned r = 0; r < tm[q].n; r++)
					bytes += m[tm[q].first + r]->pkt_len;
				taken += tm[q].n;
				if (tm[q].save_len > 0) {
					runs++;
					run_frames += tm[q].n;
				}
			}
			done += (unsigned)rc;
			continue;
		}
		if (rc < 0 &&
		    (errno == EAGAIN || errno == ENOBUFS || errno == EINTR))
			break;
		/*
		 * The kernel refused this message (a frame over the
		 * interface's MTU or shorter than a header): its frames are
		 * dropped as taken; go on with the rest.
		 */
		RT_WARN_RL("port %s: send of %u frame%s (%" PRIu32
			   " bytes first) on %s: %s",
			   v->port, tm[done].n, tm[done].n == 1 ? "" : "s",
			   m[tm[done].first]->pkt_len, v->ifname,
			   rc < 0 ? strerror(errno) : "not sent");
		bad += tm[done].n;
		taken += tm[done].n;
		done++;
	}
	/* Runs not sent get their first frame's header back. */
	for (unsigned q = done; q < n_msg; q++)
		if (tm[q].save_len > 0)
			memcpy(f[tm[q].first], tm[q].save, tm[q].save_len);
	rte_pktmbuf_free_bulk(m, taken);
	__atomic_fetch_add(&v->tx_packets, taken - bad, __ATOMIC_RELAXED);
	__atomic_fetch_add(&v->tx_bytes, bytes, __ATOMIC_RELAXED);
	if (runs > 0) {
		__atomic_fetch_add(&v->tx_gso, runs, __ATOMIC_RELAXED);
		__atomic_fetch_add(&v->tx_gso_frames, run_frames,
				   __ATOMIC_RELAXED);
	}
	if (bad > 0)
		__atomic_fetch_add(&v->tx_errors, bad, __ATOMIC_RELAXED);
	return taken;
}

uint16_t
rt_vnet_tx(struct rt_vnet *v, struct rte_mbuf **m, uint16_t n)
{
	unsigned done = 0;

	while (done < n) {
		unsigned b = n - done < RT_VNET_TX_BATCH ? n - done
							 : RT_VNET_TX_BATCH;
		unsigned k = rt_vnet_tx_batch(v, m + done, b);

		done += k;
		if (k < b)
			break;
	}
	return (uint16_t)done;
}

void
rt_vnet_info(const struct rt_vnet *v, struct dp_port_info *o)
{
	struct ifreq ifr;

	if (rt_vnet_ifreq(v->ifname, SIOCGIFHWADDR, &ifr) == 0)
		memcpy(o->mac, ifr.ifr_hwaddr.sa_data, sizeof(o->mac));
	if (rt_vnet_ifreq(v->ifname, SIOCGIFFLAGS, &ifr) == 0)
		o->is_up = (ifr.ifr_flags & IFF_RUNNING) != 0;
	if (rt_vnet_ifreq(v->ifname, SIOCGIFMTU, &ifr) == 0 &&
	    ifr.ifr_mtu > 0 && ifr.ifr_mtu <= UINT16_MAX)
		o->mtu = (uint16_t)ifr.ifr_mtu;
	/* rx counters are the worker's; a torn read is one poll old. */
	o->rx_packets = v->rx_packets;
	o->rx_bytes = v->rx_bytes;
	o->rx_dropped = v->rx_nombuf;
	o->rx_errors = v->rx_errors;
	o->tx_packets = __atomic_load_n(&v->tx_packets, __ATOMIC_RELAXED);
	o->tx_bytes = __atomic_load_n(&v->tx_bytes, __ATOMIC_RELAXED);
	o->tx_errors = __atomic_load_n(&v->tx_errors, __ATOMIC_RELAXED);
}
