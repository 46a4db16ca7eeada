/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vpn_ike_dp.c: IKE through the datapath (see vpn_ike_dp.h). A small
 * table remembers, per peer address, the datapath port and the Ethernet
 * addresses its last IKE datagram came with; answers and our own
 * requests to it go back the same way. A peer never heard from is sent
 * to directly when it is a known port of the external network, else to
 * its next hop (itself on the external subnet, else a static route's or
 * the subnet gateway), resolved as routed packets are: l3svc's ARP
 * request from the gateway port; netdrv reports the reply (installed as
 * the router's neighbour) and the frame that waited for it leaves.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dp_proto.h"
#include "l3svc.h"
#include "log.h"
#include "net_view.h"
#include "netdrv.h"
#include "vpn_driver.h"
#include "vpn_ike_dp.h"

enum {
	ETH_LEN = 14,
	IP_LEN = 20,
	IP6_LEN = 40,
	UDP_LEN = 8,
	PEERS_MAX = 64,
	PORTS_MAX = 16,
	NEIGH_MAX = 16,
};

/*
 * A peer heard from (peers[]) or a next hop on an external network
 * learned by ARP through netdrv (neighs[], our_mac unused): where to send
 * to reach ip.
 */
struct vpn_ike_peer {
	bool is_used;
	int family;
	uint8_t ip[16];	    /* IPv4 in [0..3] */
	uint32_t port;	    /* datapath port it came in on */
	uint8_t mac[6];	    /* its MAC (or its next hop's) */
	uint8_t our_mac[6]; /* the gateway MAC it sent to */
	uint64_t last;	    /* use order, for replacement */
};

struct vpn_ike_dp {
	struct netdrv *nd; /* NULL with vpn_ike_dp_create_io() */
	struct vpn_ike_dp_io io;
	struct vpn_driver *drv;
	struct vpn_ike_dp_stats st;
	struct l3svc_stats l3;
	uint64_t clock;
	struct vpn_ike_peer peers[PEERS_MAX];
	struct vpn_ike_peer neighs[NEIGH_MAX];
	/* The last frame that waits for its next hop's MAC (one is enough:
	 * the engine retransmits). */
	bool has_pending;
	int pending_family;
	uint8_t pending_nh[16];
	size_t pending_len;
	uint8_t pending[DP_FRAME_MAX];
	uint8_t buf[DP_FRAME_MAX];
};

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The end of vpn_ike_dp_parse(): addresses at src/dst (alen bytes), the
 * UDP header at udp of ulen bytes (checked). */
static int
parse_fill(const uint8_t *f, int family, const uint8_t *src, const uint8_t *dst,
	   size_t alen, const uint8_t *udp, size_t ulen, struct ike_addr *local,
	   struct ike_addr *remote, uint8_t mac_dst[6], uint8_t mac_src[6],
	   const uint8_t **data, size_t *dlen)
{
	memset(local, 0, sizeof(*local));
	memset(remote, 0, sizeof(*remote));
	local->family = remote->family = (uint8_t)family;
	memcpy(remote->ip, src, alen);
	memcpy(local->ip, dst, alen);
	remote->port = rd16(udp);
	local->port = rd16(udp + 2);
	memcpy(mac_dst, f, 6);
	memcpy(mac_src, f + 6, 6);
	*data = udp + UDP_LEN;
	*dlen = ulen - UDP_LEN;
	return 0;
}

/* IPv6: UDP as the next header (an extension header or a fragment header
 * is not IKE as we send or expect it). */
static int
parse6(const uint8_t *f, size_t len, struct ike_addr *local,
       struct ike_addr *remote, uint8_t mac_dst[6], uint8_t mac_src[6],
       const uint8_t **data, size_t *dlen)
{
	const uint8_t *ip = f + ETH_LEN, *udp = ip + IP6_LEN;
	size_t plen, ulen;

	if (len < ETH_LEN + IP6_LEN)
		return -VPN_IKE_DP_R_SHORT;
	if ((ip[0] >> 4) != 6)
		return -VPN_IKE_DP_R_BAD_IP;
	plen = rd16(ip + 4);
	if (plen > len - ETH_LEN - IP6_LEN)
		return -VPN_IKE_DP_R_SHORT;
	if (ip[6] == 44)
		return -VPN_IKE_DP_R_FRAGMENT;
	if (ip[6] != IPPROTO_UDP)
		return -VPN_IKE_DP_R_NOT_UDP;
	if (plen < UDP_LEN || (ulen = rd16(udp + 4)) < UDP_LEN || ulen > plen)
		return -VPN_IKE_DP_R_BAD_UDP;
	return parse_fill(f, AF_INET6, ip + 8, ip + 24, 16, udp, ulen, local,
			  remote, mac_dst, mac_src, data, dlen);
}

int
vpn_ike_dp_parse(const uint8_t *f, size_t len, struct ike_addr *local,
		 struct ike_addr *remote, uint8_t mac_dst[6],
		 uint8_t mac_src[6], const uint8_t **data, size_t *dlen)
{
	const uint8_t *ip, *udp;
	size_t ihl, tot, ulen;

	if (len < ETH_LEN)
		return -VPN_IKE_DP_R_SHORT;
	if (rd16(f + 12) == 0x86dd)
		return parse6(f, len, local, remote, mac_dst, mac_src, data,
			      dlen);
	if (rd16(f + 12) != 0x0800)
		return -VPN_IKE_DP_R_NOT_IPV4;
	if (len < ETH_LEN + IP_LEN)
		return -VPN_IKE_DP_R_SHORT;
	ip = f + ETH_LEN;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	tot = rd16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < IP_LEN || tot < ihl)
		return -VPN_IKE_DP_R_BAD_IP;
	if (tot > len - ETH_LEN)
		return -VPN_IKE_DP_R_SHORT;
	if (ip[9] != IPPROTO_UDP)
		return -VPN_IKE_DP_R_NOT_UDP;
	if ((rd16(ip + 6) & 0x3fff) != 0)
		return -VPN_IKE_DP_R_FRAGMENT;
	if (tot - ihl < UDP_LEN)
		return -VPN_IKE_DP_R_BAD_UDP;
	udp = ip + ihl;
	ulen = rd16(udp + 4);
	if (ulen < UDP_LEN || ulen > tot - ihl)
		return -VPN_IKE_DP_R_BAD_UDP;
	return parse_fill(f, AF_INET, ip + 12, ip + 16, 4, udp, ulen, local,
			  remote, mac_dst, mac_src, data, dlen);
}

static uint16_t
ip_csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += rd16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* IPv6 + UDP with its checksum (mandatory, RFC 8200 8.1). */
static size_t
build6(uint8_t *out, size_t cap, const uint8_t mac_dst[6],
       const uint8_t mac_src[6], const struct ike_addr *local,
       const struct ike_addr *remote, const uint8_t *data, size_t dlen)
{
	size_t n = ETH_LEN + IP6_LEN + UDP_LEN + dlen;
	uint8_t *ip = out + ETH_LEN, *udp = ip + IP6_LEN;
	uint32_t sum;
	uint16_t c;

	if (dlen > 0xffff - UDP_LEN || n > cap)
		return 0;
	memcpy(out, mac_dst, 6);
	memcpy(out + 6, mac_src, 6);
	wr16(out + 12, 0x86dd);
	memset(ip, 0, IP6_LEN);
	ip[0] = 0x60;
	wr16(ip + 4, (uint16_t)(UDP_LEN + dlen));
	ip[6] = IPPROTO_UDP;
	ip[7] = 64;
	memcpy(ip + 8, local->ip, 16);
	memcpy(ip + 24, remote->ip, 16);
	wr16(udp, local->port);
	wr16(udp + 2, remote->port);
	wr16(udp + 4, (uint16_t)(UDP_LEN + dlen));
	wr16(udp + 6, 0);
	memcpy(udp + UDP_LEN, data, dlen);
	sum = (uint16_t)~ip_csum(ip + 8, 32);
	sum += (uint32_t)(UDP_LEN + dlen) + IPPROTO_UDP;
	sum += (uint16_t)~ip_csum(udp, UDP_LEN + dlen);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	c = (uint16_t)~sum;
	wr16(udp + 6, c != 0 ? c : 0xffff);
	return n;
}

size_t
vpn_ike_dp_build(uint8_t *out, size_t cap, const uint8_t mac_dst[6],
		 const uint8_t mac_src[6], const struct ike_addr *local,
		 const struct ike_addr *remote, const uint8_t *data,
		 size_t dlen)
{
	size_t n = ETH_LEN + IP_LEN + UDP_LEN + dlen;
	uint8_t *ip = out + ETH_LEN, *udp = ip + IP_LEN;

	if (local->family == AF_INET6 && remote->family == AF_INET6)
		return build6(out, cap, mac_dst, mac_src, local, remote, data,
			      dlen);
	if (local->family != AF_INET || remote->family != AF_INET ||
	    dlen > 0xffff - IP_LEN - UDP_LEN || n > cap)
		return 0;
	memcpy(out, mac_dst, 6);
	memcpy(out + 6, mac_src, 6);
	wr16(out + 12, 0x0800);
	memset(ip, 0, IP_LEN);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(IP_LEN + UDP_LEN + dlen));
	wr16(ip + 6, 0x4000); /* DF: IKE fragments itself (RFC 7383) */
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, local->ip, 4);
	memcpy(ip + 16, remote->ip, 4);
	wr16(ip + 10, ip_csum(ip, IP_LEN));
	wr16(udp, local->port);
	wr16(udp + 2, remote->port);
	wr16(udp + 4, (uint16_t)(UDP_LEN + dlen));
	wr16(udp + 6, 0); /* no checksum (IPv4, RFC 768) */
	memcpy(udp + UDP_LEN, data, dlen);
	return n;
}

static const struct net_view *
nd_view(void *ctx)
{
	return netdrv_view(ctx);
}

static int
nd_packet_out(void *ctx, const uint32_t *ports, size_t n, const uint8_t *frame,
	      size_t len)
{
	return netdrv_packet_out(ctx, ports, n, frame, len);
}

int
vpn_ike_dp_create_io(const struct vpn_ike_dp_io *io, struct vpn_ike_dp **out)
{
	struct vpn_ike_dp *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return -ENOMEM;
	x->io = *io;
	*out = x;
	return 0;
}

int
vpn_ike_dp_create(struct netdrv *nd, struct vpn_ike_dp **out)
{
	struct vpn_ike_dp_io io = {
		.view = nd_view,
		.packet_out = nd_packet_out,
		.ctx = nd,
	};
	int rc = vpn_ike_dp_create_io(&io, out);

	if (rc == 0)
		(*out)->nd = nd;
	return rc;
}

void
vpn_ike_dp_destroy(struct vpn_ike_dp *x)
{
	if (x == NULL)
		return;
	if (x->nd != NULL) {
		netdrv_neigh_observe(x->nd, NULL, NULL);
		(void)netdrv_vpn_ike_punt(x->nd, false, NULL, NULL);
	}
	free(x);
}

/*
 * The entry of ip in tab[0..n); is_add: else a new one in place of a
 * free or the least recently used entry. NULL when absent and !is_add.
 */
static struct vpn_ike_peer *
slot_find(struct vpn_ike_peer *tab, unsigned n, int family, const uint8_t *ip,
	  bool is_add)
{
	size_t alen = family == AF_INET6 ? 16 : 4;
	struct vpn_ike_peer *old = &tab[0];

	for (unsigned i = 0; i < n; i++) {
		struct vpn_ike_peer *p = &tab[i];

		if (p->is_used && p->family == family &&
		    memcmp(p->ip, ip, alen) == 0)
			return p;
		if (!p->is_used || (old->is_used && p->last < old->last))
			old = p;
	}
	if (!is_add)
		return NULL;
	memset(old, 0, sizeof(*old));
	old->is_used = true;
	old->family = family;
	memcpy(old->ip, ip, alen);
	return old;
}

static void
on_punt(void *arg, uint32_t in_port, const uint8_t *frame, size_t len)
{
	struct vpn_ike_dp *x = arg;
	struct ike_addr local, remote;
	uint8_t mdst[6], msrc[6];
	struct vpn_ike_peer *p;
	const uint8_t *data;
	size_t dlen;
	int rc;

	rc = vpn_ike_dp_parse(frame, len, &local, &remote, mdst, msrc, &data,
			      &dlen);
	if (rc < 0) {
		x->st.n_rejects[-rc]++;
		return;
	}
	x->st.n_in++;
	p = slot_find(x->peers, PEERS_MAX, remote.family, remote.ip, true);
	p->port = in_port;
	memcpy(p->mac, msrc, 6);
	memcpy(p->our_mac, mdst, 6);
	p->last = ++x->clock;
	if (x->drv != NULL)
		vpn_driver_ike_input(x->drv, data, dlen, &local, &remote);
}

int
vpn_ike_dp_start(struct vpn_ike_dp *x, struct vpn_driver *drv)
{
	x->drv = drv;
	if (x->nd == NULL)
		return 0;
	netdrv_neigh_observe(x->nd, vpn_ike_dp_neigh, x);
	return netdrv_vpn_ike_punt(x->nd, true, on_punt, x);
}

void
vpn_ike_dp_neigh(void *arg, uint32_t in_port, int family, const uint8_t *ip,
		 const uint8_t mac[6])
{
	struct vpn_ike_dp *x = arg;
	struct vpn_ike_peer *n;

	if (mac == NULL) {
		/* Aged out in netdrv (its rule is gone): resolve again. */
		n = slot_find(x->neighs, NEIGH_MAX, family, ip, false);
		if (n != NULL)
			n->is_used = false;
		return;
	}
	n = slot_find(x->neighs, NEIGH_MAX, family, ip, true);
	memcpy(n->mac, mac, 6);
	n->port = in_port;
	n->last = ++x->clock;
	if (!x->has_pending || x->pending_family != family ||
	    memcmp(x->pending_nh, ip, family == AF_INET6 ? 16 : 4) != 0)
		return;
	x->has_pending = false;
	memcpy(x->pending, mac, 6);
	if (x->io.packet_out(x->io.ctx, &in_port, 1, x->pending,
			     x->pending_len) == 0) {
		x->st.n_out++;
		x->st.n_resolved++;
	}
}

/*
 * Never heard from: the gateway port holding local's address gives our
 * MAC; the peer must be a known port on that external network (learned
 * next hops are rules in the datapath, not kept here).
 */
static int
route_from_view(struct vpn_ike_dp *x, const struct ike_addr *local,
		const struct ike_addr *remote, uint8_t our_mac[6],
		uint8_t mac[6], uint32_t *ports, size_t *n_ports)
{
	const struct net_view *v = x->io.view(x->io.ctx);
	const struct net_view_port *gw = NULL, *peer = NULL;
	bool is6 = local->family == AF_INET6;
	size_t alen = is6 ? 16 : 4;

	for (size_t i = 0; i < v->n_ports && (gw == NULL || peer == NULL);
	     i++) {
		const struct net_view_port *p = &v->ports[i];

		for (unsigned j = 0; j < p->n_ips && j < NET_PORT_IPS_MAX;
		     j++) {
			if (p->ips[j].ip.version != (is6 ? 6 : 4))
				continue;
			if (memcmp(p->ips[j].ip.a, local->ip, alen) == 0 &&
			    strcmp(p->device_owner, "network:router_gateway") ==
				    0)
				gw = p;
			else if (memcmp(p->ips[j].ip.a, remote->ip, alen) ==
					 0 &&
				 p->dp_port != 0)
				peer = p;
		}
	}
	if (gw == NULL)
		return -EHOSTUNREACH;
	memcpy(our_mac, gw->mac, 6);
	if (peer == NULL || strcmp(gw->network_id, peer->network_id) != 0)
		return -ENOENT; /* resolve the next hop */
	memcpy(mac, peer->mac, 6);
	ports[0] = peer->dp_port;
	*n_ports = 1;
	return 0;
}

static bool
port_in(uint32_t port, const uint32_t *ports, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ports[i] == port)
			return true;
	return false;
}

/*
 * x->buf holds a frame of n bytes from our gateway MAC to a peer whose
 * MAC we lack: to its next hop's learned MAC, else ARP for the hop from
 * the gateway port (l3svc, as for any routed packet) and keep the frame
 * until the reply (vpn_ike_dp_neigh()).
 */
static int
send_resolved(struct vpn_ike_dp *x, size_t n)
{
	const struct net_view *v = x->io.view(x->io.ctx);
	const struct net_view_router *r;
	uint8_t arp[L3SVC_FRAME_MAX], nh[16];
	uint32_t ports[L3SVC_OUT_PORTS_MAX];
	const struct vpn_ike_peer *ne;
	size_t arp_len, n_ports;
	int fam = x->buf[12] == 0x86 ? AF_INET6 : AF_INET, rc;

	if ((fam == AF_INET6 ? l3svc_nd_request(v, x->buf, n, arp, sizeof(arp),
						&arp_len, ports, &n_ports, &r,
						nh, &x->l3)
			     : l3svc_arp_request(v, x->buf, n, arp, sizeof(arp),
						 &arp_len, ports, &n_ports, &r,
						 nh, &x->l3)) < 0 ||
	    n_ports == 0) {
		x->st.n_no_route++;
		return -EHOSTUNREACH;
	}
	if ((ne = slot_find(x->neighs, NEIGH_MAX, fam, nh, false)) != NULL &&
	    !port_in(ne->port, ports, n_ports))
		ne = NULL; /* the same address on another external network */
	if (ne != NULL) {
		uint32_t port = ne->port;

		memcpy(x->buf, ne->mac, 6);
		if ((rc = x->io.packet_out(x->io.ctx, &port, 1, x->buf, n)) ==
		    0)
			x->st.n_out++;
		return rc;
	}
	memcpy(x->pending, x->buf, n);
	x->pending_len = n;
	memcpy(x->pending_nh, nh, sizeof(x->pending_nh));
	x->pending_family = fam;
	x->has_pending = true;
	if ((rc = x->io.packet_out(x->io.ctx, ports, n_ports, arp, arp_len)) ==
	    0)
		x->st.n_arp_requests++;
	return rc;
}

int
vpn_ike_dp_send(void *arg, const uint8_t *data, size_t len,
		const struct ike_addr *local, const struct ike_addr *remote)
{
	struct vpn_ike_dp *x = arg;
	uint8_t our_mac[6], mac[6];
	uint32_t ports[PORTS_MAX];
	struct vpn_ike_peer *p;
	size_t n_ports = 0, n;
	int rc;

	if ((remote->family != AF_INET && remote->family != AF_INET6) ||
	    local->family != remote->family)
		return -EAFNOSUPPORT;
	p = slot_find(x->peers, PEERS_MAX, remote->family, remote->ip, false);
	if (p != NULL) {
		memcpy(our_mac, p->our_mac, 6);
		memcpy(mac, p->mac, 6);
		ports[0] = p->port;
		n_ports = 1;
	} else if ((rc = route_from_view(x, local, remote, our_mac, mac, ports,
					 &n_ports)) == -ENOENT) {
		n = vpn_ike_dp_build(x->buf, sizeof(x->buf), mac, our_mac,
				     local, remote, data, len);
		if (n == 0)
			return -EMSGSIZE;
		return send_resolved(x, n);
	} else if (rc < 0) {
		x->st.n_no_route++;
		return -EHOSTUNREACH;
	}
	n = vpn_ike_dp_build(x->buf, sizeof(x->buf), mac, our_mac, local,
			     remote, data, len);
	if (n == 0)
		return -EMSGSIZE;
	rc = x->io.packet_out(x->io.ctx, ports, n_ports, x->buf, n);
	if (rc == 0)
		x->st.n_out++;
	return rc;
}

void
vpn_ike_dp_stats(const struct vpn_ike_dp *x, struct vpn_ike_dp_stats *out)
{
	*out = x->st;
}
