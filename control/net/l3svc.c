/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * l3svc.c: the routers' control-plane answers (l3svc.h): ICMP time
 * exceeded, fragmentation needed, ICMPv6 Packet Too Big and echo replies
 * built by sluiced, and ARP and neighbor discovery resolution of external
 * next hops. Frames are
 * untrusted: every read is bounded by the lengths checked first.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "compiler.h"
#include "l3svc.h"
#include "wire.h"

enum {
	ETH_LEN = 14,
	IP_MIN = 20,
	ICMP_HDR = 8,
	ARP_LEN = 28,
	QUOTE_MAX = 576 - IP_MIN - ICMP_HDR, /* RFC 1812 4.3.2.3 */
	IP6_LEN = 40,
	IP6_EXT_MAX = 8,			/* extension headers walked */
	QUOTE6_MAX = 1280 - IP6_LEN - ICMP_HDR, /* RFC 4443 2.4 (c) */
};

static const char *const reject_names[L3SVC_R__COUNT] = {
	[L3SVC_R_SHORT] = "short",
	[L3SVC_R_NOT_IPV4] = "not_ipv4",
	[L3SVC_R_NO_ROUTER] = "no_router",
	[L3SVC_R_NO_ERROR] = "no_error_allowed",
	[L3SVC_R_NOT_ECHO] = "not_echo",
	[L3SVC_R_NO_NEXTHOP] = "no_nexthop",
	[L3SVC_R_BAD_ARP] = "bad_arp",
	[L3SVC_R_SMALL_OUT] = "small_out",
	[L3SVC_R_NOT_IPV6] = "not_ipv6",
	[L3SVC_R_BAD_ND] = "bad_nd",
	[L3SVC_R_BAD_RS] = "bad_rs",
};

const char *
l3svc_reject_name(enum l3svc_reject r)
{
	return (unsigned)r < L3SVC_R__COUNT ? reject_names[r] : "?";
}

static int
reject(struct l3svc_stats *st, enum l3svc_reject r)
{
	st->rejects[r]++;
	return -EINVAL;
}

static uint16_t
csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += wire_rd16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The first IPv4 address of a port, or NULL. */
static const uint8_t *
port_ip4(const struct net_view_port *p)
{
	for (unsigned i = 0; i < p->n_ips && i < NET_PORT_IPS_MAX; i++)
		if (p->ips[i].ip.version == 4)
			return p->ips[i].ip.a;
	return NULL;
}

static bool
is_router_port(const struct net_view_port *p)
{
	return strncmp(p->device_owner, "network:router_", 15) == 0;
}

/* The router port with mac on the network of datapath port in_port. */
static const struct net_view_port *
router_port_at(const struct net_view *v, uint32_t in_port, const uint8_t *mac)
{
	const struct net_view_port *in = net_view_port_by_dp(v, in_port);

	if (in == NULL)
		return NULL;
	for (size_t i = 0; i < v->n_ports; i++) {
		const struct net_view_port *p = &v->ports[i];

		if (is_router_port(p) &&
		    strcmp(p->network_id, in->network_id) == 0 &&
		    memcmp(p->mac, mac, 6) == 0 &&
		    net_view_router(v, p->device_id) != NULL)
			return p;
	}
	return NULL;
}

int
l3svc_unroute(const struct net_view *v, uint32_t in_port, uint8_t *f,
	      size_t len, struct l3svc_stats *st)
{
	const struct net_view_port *in = net_view_port_by_dp(v, in_port);
	const struct net_view_port *eg = NULL;
	static const uint8_t zero[6];

	if (len < ETH_LEN)
		return reject(st, L3SVC_R_SHORT);
	if (in == NULL || is_router_port(in) || memcmp(in->mac, zero, 6) == 0)
		return reject(st, L3SVC_R_NO_ROUTER);
	for (size_t i = 0; i < v->n_ports && eg == NULL; i++)
		if (is_router_port(&v->ports[i]) &&
		    memcmp(v->ports[i].mac, f + 6, 6) == 0)
			eg = &v->ports[i];
	if (eg == NULL)
		return reject(st, L3SVC_R_NO_ROUTER);
	for (size_t i = 0; i < v->n_ports; i++) {
		const struct net_view_port *p = &v->ports[i];

		if (is_router_port(p) &&
		    strcmp(p->device_id, eg->device_id) == 0 &&
		    strcmp(p->network_id, in->network_id) == 0) {
			memcpy(f, p->mac, 6);
			memcpy(f + 6, in->mac, 6);
			return 0;
		}
	}
	return reject(st, L3SVC_R_NO_ROUTER);
}

/* Checked IPv4 header at f + 14: its length, or 0. */
static size_t
ipv4_hdr(const uint8_t *f, size_t len, size_t *tot)
{
	const uint8_t *ip = f + ETH_LEN;
	size_t ihl;

	if (len < ETH_LEN + IP_MIN || wire_rd16(f + 12) != 0x0800)
		return 0;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	*tot = wire_rd16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < IP_MIN || *tot < ihl ||
	    *tot > len - ETH_LEN)
		return 0;
	return ihl;
}

/* Ethernet + IPv4 + ICMP header of a new message; returns the ICMP. */
static uint8_t *
icmp_frame(uint8_t *out, const uint8_t dst_mac[6], const uint8_t src_mac[6],
	   const uint8_t src_ip[4], const uint8_t dst_ip[4], size_t icmp_len)
{
	uint8_t *ip = out + ETH_LEN;

	memcpy(out, dst_mac, 6);
	memcpy(out + 6, src_mac, 6);
	wire_wr16(out + 12, 0x0800);
	memset(ip, 0, IP_MIN);
	ip[0] = 0x45;
	wire_wr16(ip + 2, (uint16_t)(IP_MIN + icmp_len));
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, src_ip, 4);
	memcpy(ip + 16, dst_ip, 4);
	wire_wr16(ip + 10, csum(ip, IP_MIN));
	return ip + IP_MIN;
}

/*
 * ICMP error type/code (rest: bytes 4-7 of the ICMP header) about the
 * routed frame f back to its sender, from the router port at in_port.
 */
static int
icmp_error(const struct net_view *v, uint32_t in_port, const uint8_t *f,
	   size_t len, uint8_t type, uint8_t code, uint32_t rest, uint8_t *out,
	   size_t cap, size_t *out_len, struct l3svc_stats *st)
{
	const struct net_view_port *rp;
	const uint8_t *ip = f + ETH_LEN, *src_ip;
	size_t ihl, tot, q;
	uint8_t *icmp;

	if (len < ETH_LEN)
		return reject(st, L3SVC_R_SHORT);
	if ((ihl = ipv4_hdr(f, len, &tot)) == 0)
		return reject(st, wire_rd16(f + 12) == 0x0800
					  ? L3SVC_R_SHORT
					  : L3SVC_R_NOT_IPV4);
	/* RFC 1812 4.3.2.7: not about an ICMP error, a later fragment, or
	 * from an address that is not one host. */
	if ((wire_rd16(ip + 6) & 0x1fff) != 0 || ip[12] == 0 || ip[12] >= 224)
		return reject(st, L3SVC_R_NO_ERROR);
	if (ip[9] == 1) {
		if (tot < ihl + 1)
			return reject(st, L3SVC_R_SHORT);
		switch (ip[ihl]) {
		case 3:
		case 4:
		case 5:
		case 11:
		case 12:
			return reject(st, L3SVC_R_NO_ERROR);
		default:
			break;
		}
	}
	if ((rp = router_port_at(v, in_port, f)) == NULL ||
	    (src_ip = port_ip4(rp)) == NULL)
		return reject(st, L3SVC_R_NO_ROUTER);
	q = tot < QUOTE_MAX ? tot : QUOTE_MAX;
	if (cap < ETH_LEN + IP_MIN + ICMP_HDR + q)
		return reject(st, L3SVC_R_SMALL_OUT);
	icmp = icmp_frame(out, f + 6, rp->mac, src_ip, ip + 12, ICMP_HDR + q);
	memset(icmp, 0, ICMP_HDR);
	icmp[0] = type;
	icmp[1] = code;
	wire_wr16(icmp + 4, (uint16_t)(rest >> 16));
	wire_wr16(icmp + 6, (uint16_t)rest);
	memcpy(icmp + ICMP_HDR, ip, q);
	wire_wr16(icmp + 2, csum(icmp, ICMP_HDR + q));
	*out_len = ETH_LEN + IP_MIN + ICMP_HDR + q;
	return 0;
}

int
l3svc_time_exceeded(const struct net_view *v, uint32_t in_port,
		    const uint8_t *f, size_t len, uint8_t *out, size_t cap,
		    size_t *out_len, struct l3svc_stats *st)
{
	int rc =
		icmp_error(v, in_port, f, len, 11, 0, 0, out, cap, out_len, st);

	if (rc == 0)
		st->n_time_exceeded++;
	return rc;
}

int
l3svc_frag_needed(const struct net_view *v, uint32_t in_port, const uint8_t *f,
		  size_t len, uint16_t mtu, uint8_t *out, size_t cap,
		  size_t *out_len, struct l3svc_stats *st)
{
	size_t tot;
	int rc;

	/* RFC 1191: only about a datagram that said DF. */
	if (ipv4_hdr(f, len, &tot) != 0 && !(f[ETH_LEN + 6] & 0x40))
		return reject(st, L3SVC_R_NO_ERROR);
	rc = icmp_error(v, in_port, f, len, 3, 4, mtu, out, cap, out_len, st);
	if (rc == 0)
		st->n_frag_needed++;
	return rc;
}

/*
 * True if the IPv6 datagram ip of n bytes (header checked) carries an
 * ICMPv6 error (type < 128, RFC 4443 2.1) after its extension headers. A
 * chain too long or cut short is not one: the error is then sent (the
 * sender's packet was real and too big). A non-first fragment's upper
 * layer is unknown, and is not one either.
 */
static bool
ip6_is_icmp_error(const uint8_t *ip, size_t n)
{
	uint8_t nh = ip[6];
	size_t off = IP6_LEN;

	for (unsigned i = 0; i < IP6_EXT_MAX; i++) {
		switch (nh) {
		case 58:
			return off < n && ip[off] < 128;
		case 0:	 /* hop-by-hop options */
		case 43: /* routing */
		case 60: /* destination options */
			if (n - off < 2)
				return false;
			nh = ip[off];
			off += ((size_t)ip[off + 1] + 1) * 8;
			break;
		case 44: /* fragment: offset in bytes 2-3, 13 bits */
			if (n - off < 8 ||
			    (wire_rd16(ip + off + 2) & 0xfff8) != 0)
				return false;
			nh = ip[off];
			off += 8;
			break;
		default:
			return false;
		}
		if (off > n)
			return false;
	}
	return false;
}

/* True if a is in the IPv6 prefix p. */
static bool
in_prefix6(const uint8_t a[16], const struct net_addr *p)
{
	unsigned bits = p->prefix_len, i;

	if (p->version != 6 || bits > 128)
		return false;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (a[i] != p->a[i])
			return false;
	return bits == 0 || ((a[i] ^ p->a[i]) & (0xff00 >> bits)) == 0;
}

/*
 * The router port rp's source address towards dst (l3svc.h,
 * l3svc_packet_too_big()) into src.
 */
static void
port_ip6_for(const struct net_view *v, const struct net_view_port *rp,
	     const uint8_t dst[16], uint8_t src[16])
{
	const uint8_t *first = NULL;

	for (unsigned i = 0; i < rp->n_ips && i < NET_PORT_IPS_MAX; i++) {
		const struct net_view_subnet *s;

		if (rp->ips[i].ip.version != 6)
			continue;
		if (first == NULL)
			first = rp->ips[i].ip.a;
		s = net_view_subnet(v, rp->ips[i].subnet_id);
		if (s != NULL && in_prefix6(dst, &s->cidr)) {
			memcpy(src, rp->ips[i].ip.a, 16);
			return;
		}
	}
	if (first != NULL && !(dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80)) {
		memcpy(src, first, 16);
		return;
	}
	l3svc_link_local(rp->mac, src);
}

void
l3svc_link_local(const uint8_t mac[6], uint8_t out[16])
{
	/* fe80::/64 with the modified EUI-64 of the MAC (RFC 4291 A). */
	memset(out, 0, 16);
	out[0] = 0xfe;
	out[1] = 0x80;
	out[8] = mac[0] ^ 0x02;
	out[9] = mac[1];
	out[10] = mac[2];
	out[11] = 0xff;
	out[12] = 0xfe;
	memcpy(out + 13, mac + 3, 3);
}

int
l3svc_packet_too_big(const struct net_view *v, uint32_t in_port,
		     const uint8_t *f, size_t len, uint16_t mtu, uint8_t *out,
		     size_t cap, size_t *out_len, struct l3svc_stats *st)
{
	static const uint8_t unspec[16];
	const struct net_view_port *rp;
	const uint8_t *ip = f + ETH_LEN;
	uint8_t *o, *icmp;
	uint32_t sum;
	size_t tot, q;

	if (len >= ETH_LEN && wire_rd16(f + 12) != 0x86dd)
		return reject(st, L3SVC_R_NOT_IPV6);
	if (len < ETH_LEN + IP6_LEN || (ip[0] >> 4) != 6)
		return reject(st, L3SVC_R_SHORT);
	tot = IP6_LEN + wire_rd16(ip + 4);
	if (tot > len - ETH_LEN)
		return reject(st, L3SVC_R_SHORT);
	/* RFC 4443 2.4 (e): not about an error, nor to a source that is
	 * not one node. A multicast destination is allowed for this one. */
	if (ip[8] == 0xff || memcmp(ip + 8, unspec, 16) == 0 ||
	    ip6_is_icmp_error(ip, tot))
		return reject(st, L3SVC_R_NO_ERROR);
	if ((rp = router_port_at(v, in_port, f)) == NULL)
		return reject(st, L3SVC_R_NO_ROUTER);
	q = tot < QUOTE6_MAX ? tot : QUOTE6_MAX;
	if (cap < ETH_LEN + IP6_LEN + ICMP_HDR + q)
		return reject(st, L3SVC_R_SMALL_OUT);
	memcpy(out, f + 6, 6);
	memcpy(out + 6, rp->mac, 6);
	wire_wr16(out + 12, 0x86dd);
	o = out + ETH_LEN;
	memset(o, 0, 8);
	o[0] = 0x60;
	wire_wr16(o + 4, (uint16_t)(ICMP_HDR + q));
	o[6] = 58;
	o[7] = 64;
	port_ip6_for(v, rp, ip + 8, o + 8);
	memcpy(o + 24, ip + 8, 16);
	icmp = o + IP6_LEN;
	memset(icmp, 0, ICMP_HDR);
	icmp[0] = 2;
	wire_wr16(icmp + 6, mtu); /* 32-bit MTU field, high half zero */
	memcpy(icmp + ICMP_HDR, ip, q);
	/* RFC 8200 8.1 pseudo-header: addresses, length, next header. */
	sum = (uint16_t)~csum(o + 8, 32);
	sum += (uint32_t)(ICMP_HDR + q) + 58;
	sum += (uint16_t)~csum(icmp, ICMP_HDR + q);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	wire_wr16(icmp + 2, (uint16_t)~sum);
	*out_len = ETH_LEN + IP6_LEN + ICMP_HDR + q;
	st->n_ptb++;
	return 0;
}

/* True if ip is an address of family ver (4: 4 bytes, 6: 16) of a port
 * of router router_id. */
static bool
router_has_ip(const struct net_view *v, const char *router_id, uint8_t ver,
	      const uint8_t *ip)
{
	for (size_t i = 0; i < v->n_ports; i++) {
		const struct net_view_port *p = &v->ports[i];

		if (!is_router_port(p) || strcmp(p->device_id, router_id) != 0)
			continue;
		for (unsigned j = 0; j < p->n_ips && j < NET_PORT_IPS_MAX; j++)
			if (p->ips[j].ip.version == ver &&
			    memcmp(p->ips[j].ip.a, ip, ver == 4 ? 4 : 16) == 0)
				return true;
	}
	return false;
}

static int echo6_reply(const struct net_view *v, uint32_t in_port,
		       const uint8_t *f, size_t len, uint8_t *out, size_t cap,
		       size_t *out_len, struct l3svc_stats *st);

int
l3svc_echo_reply(const struct net_view *v, uint32_t in_port, const uint8_t *f,
		 size_t len, uint8_t *out, size_t cap, size_t *out_len,
		 struct l3svc_stats *st)
{
	const struct net_view_port *rp;
	const uint8_t *ip = f + ETH_LEN;
	size_t ihl, tot, n;
	uint8_t *icmp;

	if (len < ETH_LEN)
		return reject(st, L3SVC_R_SHORT);
	if (wire_rd16(f + 12) == 0x86dd)
		return echo6_reply(v, in_port, f, len, out, cap, out_len, st);
	if ((ihl = ipv4_hdr(f, len, &tot)) == 0)
		return reject(st, wire_rd16(f + 12) == 0x0800
					  ? L3SVC_R_SHORT
					  : L3SVC_R_NOT_IPV4);
	if (ip[9] != 1 || (wire_rd16(ip + 6) & 0x3fff) != 0)
		return reject(st, L3SVC_R_NOT_ECHO);
	n = tot - ihl;
	if (n < ICMP_HDR)
		return reject(st, L3SVC_R_SHORT);
	if (ip[ihl] != 8 || ip[ihl + 1] != 0)
		return reject(st, L3SVC_R_NOT_ECHO);
	if ((rp = router_port_at(v, in_port, f)) == NULL ||
	    !router_has_ip(v, rp->device_id, 4, ip + 16))
		return reject(st, L3SVC_R_NO_ROUTER);
	if (cap < ETH_LEN + IP_MIN + n)
		return reject(st, L3SVC_R_SMALL_OUT);
	icmp = icmp_frame(out, f + 6, rp->mac, ip + 16, ip + 12, n);
	memcpy(icmp, ip + ihl, n);
	icmp[0] = 0;
	wire_wr16(icmp + 2, 0);
	wire_wr16(icmp + 2, csum(icmp, n));
	*out_len = ETH_LEN + IP_MIN + n;
	st->n_echo++;
	return 0;
}

static bool
in_prefix(const uint8_t ip[4], const struct net_addr *p)
{
	uint32_t a, b, m;

	if (p->version != 4 || p->prefix_len > 32)
		return false;
	memcpy(&a, ip, 4);
	memcpy(&b, p->a, 4);
	m = p->prefix_len == 0 ? 0 : htonl(~0u << (32 - p->prefix_len));
	return ((a ^ b) & m) == 0;
}

/* True if ip is in p, of family ver (4: 4 bytes at ip, 6: 16). */
static bool
in_prefix_v(const uint8_t *ip, const struct net_addr *p, uint8_t ver)
{
	return p->version == ver &&
	       (ver == 4 ? in_prefix(ip, p) : in_prefix6(ip, p));
}

/* The first address of family ver of a port, or NULL. */
static const uint8_t *
port_ip_v(const struct net_view_port *p, uint8_t ver)
{
	for (unsigned i = 0; i < p->n_ips && i < NET_PORT_IPS_MAX; i++)
		if (p->ips[i].ip.version == ver)
			return p->ips[i].ip.a;
	return NULL;
}

/* The gateway's subnet of family ver that holds ip, or NULL. */
static const struct net_view_subnet *
gw_subnet_of(const struct net_view *v, const struct net_view_port *gw,
	     const uint8_t *ip, uint8_t ver)
{
	for (unsigned i = 0; i < gw->n_ips && i < NET_PORT_IPS_MAX; i++) {
		const struct net_view_subnet *s =
			net_view_subnet(v, gw->ips[i].subnet_id);

		if (s != NULL && in_prefix_v(ip, &s->cidr, ver))
			return s;
	}
	return NULL;
}

/* The router gateway port whose MAC is mac, and its router. */
static const struct net_view_port *
gw_by_mac(const struct net_view *v, const uint8_t mac[6],
	  const struct net_view_router **router)
{
	for (size_t i = 0; i < v->n_ports; i++) {
		const struct net_view_port *p = &v->ports[i];
		const struct net_view_router *r;

		if (strcmp(p->device_owner, "network:router_gateway") == 0 &&
		    memcmp(p->mac, mac, 6) == 0 &&
		    (r = net_view_router(v, p->device_id)) != NULL &&
		    strcmp(r->gw_port_id, p->id) == 0) {
			*router = r;
			return p;
		}
	}
	return NULL;
}

/*
 * The next hop of family ver towards dst (l3svc_arp_request(),
 * l3svc_nd_request()): dst on the gateway's subnet, else the longest
 * static route with a next hop there, else that subnet's gateway_ip.
 */
static bool
nexthop_of(const struct net_view *v, const struct net_view_router *r,
	   const struct net_view_port *gw, uint8_t ver, const uint8_t *dst,
	   uint8_t *nexthop)
{
	size_t alen = ver == 4 ? 4 : 16, best = 0;

	if (gw_subnet_of(v, gw, dst, ver) != NULL) {
		memcpy(nexthop, dst, alen);
		return true;
	}
	for (unsigned i = 0; i < r->n_routes && i < NET_ROUTER_ROUTES_MAX;
	     i++) {
		const struct net_view_route *rt = &r->routes[i];

		if (!in_prefix_v(dst, &rt->dst, ver) ||
		    rt->nexthop.version != ver ||
		    gw_subnet_of(v, gw, rt->nexthop.a, ver) == NULL ||
		    (size_t)rt->dst.prefix_len + 1 <= best)
			continue;
		best = (size_t)rt->dst.prefix_len + 1;
		memcpy(nexthop, rt->nexthop.a, alen);
	}
	if (best > 0)
		return true;
	for (unsigned i = 0; i < gw->n_ips && i < NET_PORT_IPS_MAX; i++) {
		const struct net_view_subnet *s =
			net_view_subnet(v, gw->ips[i].subnet_id);

		if (s != NULL && s->gateway.version == ver &&
		    s->cidr.version == ver) {
			memcpy(nexthop, s->gateway.a, alen);
			return true;
		}
	}
	return false;
}

/* The external network's ports a resolution goes out of (its attached
 * non-router ports, at most L3SVC_OUT_PORTS_MAX). */
static void
ext_ports(const struct net_view *v, const struct net_view_port *gw,
	  uint32_t *out_ports, size_t *n_out)
{
	*n_out = 0;
	for (size_t i = 0; i < v->n_ports && *n_out < L3SVC_OUT_PORTS_MAX;
	     i++) {
		const struct net_view_port *p = &v->ports[i];

		if (strcmp(p->network_id, gw->network_id) == 0 &&
		    p->dp_port != 0 && p->is_admin_up && !is_router_port(p))
			out_ports[(*n_out)++] = p->dp_port;
	}
}

/*
 * The router whose gateway port is on in's network and has a (its first
 * address of family ver) as address; that port in *gwp.
 */
static const struct net_view_router *
router_by_gw_addr(const struct net_view *v, const struct net_view_port *in,
		  uint8_t ver, const uint8_t *a,
		  const struct net_view_port **gwp)
{
	for (size_t i = 0; i < v->n_routers; i++) {
		const struct net_view_router *r = &v->routers[i];
		const struct net_view_port *gw =
			net_view_port(v, r->gw_port_id);
		const uint8_t *gw_ip;

		if (gw == NULL || strcmp(gw->network_id, in->network_id) != 0 ||
		    (gw_ip = port_ip_v(gw, ver)) == NULL ||
		    memcmp(gw_ip, a, ver == 4 ? 4 : 16) != 0)
			continue;
		*gwp = gw;
		return r;
	}
	return NULL;
}

static size_t arp_frame(uint8_t *out, const struct net_view_port *gw,
			const uint8_t *gw_ip, const uint8_t *nexthop);

int
l3svc_arp_request(const struct net_view *v, const uint8_t *f, size_t len,
		  uint8_t *out, size_t cap, size_t *out_len,
		  uint32_t *out_ports, size_t *n_out,
		  const struct net_view_router **router, uint8_t nexthop[4],
		  struct l3svc_stats *st)
{
	const struct net_view_router *r = NULL;
	const struct net_view_port *gw;
	const uint8_t *gw_ip;
	size_t tot;

	*n_out = 0;
	if (ipv4_hdr(f, len, &tot) == 0)
		return reject(st, len >= ETH_LEN && wire_rd16(f + 12) != 0x0800
					  ? L3SVC_R_NOT_IPV4
					  : L3SVC_R_SHORT);
	if ((gw = gw_by_mac(v, f + 6, &r)) == NULL ||
	    (gw_ip = port_ip4(gw)) == NULL)
		return reject(st, L3SVC_R_NO_ROUTER);
	if (!nexthop_of(v, r, gw, 4, f + ETH_LEN + 16, nexthop))
		return reject(st, L3SVC_R_NO_NEXTHOP);
	if (cap < 60)
		return reject(st, L3SVC_R_SMALL_OUT);
	*out_len = arp_frame(out, gw, gw_ip, nexthop);
	ext_ports(v, gw, out_ports, n_out);
	*router = r;
	st->n_arp_requests++;
	return 0;
}

/* The ARP request (60 bytes) from gw (address gw_ip) for nexthop. */
static size_t
arp_frame(uint8_t *out, const struct net_view_port *gw, const uint8_t *gw_ip,
	  const uint8_t *nexthop)
{
	uint8_t *a;

	memset(out, 0, 60);
	memset(out, 0xff, 6);
	memcpy(out + 6, gw->mac, 6);
	wire_wr16(out + 12, 0x0806);
	a = out + ETH_LEN;
	wire_wr16(a, 1);
	wire_wr16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	wire_wr16(a + 6, 1);
	memcpy(a + 8, gw->mac, 6);
	memcpy(a + 14, gw_ip, 4);
	memcpy(a + 24, nexthop, 4);
	return 60;
}

int
l3svc_arp_learn(const struct net_view *v, uint32_t in_port, const uint8_t *f,
		size_t len, const struct net_view_router **router,
		uint8_t ip[4], uint8_t mac[6], struct l3svc_stats *st)
{
	const struct net_view_port *in = net_view_port_by_dp(v, in_port), *gw;
	const struct net_view_router *r;
	const uint8_t *a = f + ETH_LEN;
	static const uint8_t zero[6];

	if (len < ETH_LEN + ARP_LEN)
		return reject(st, L3SVC_R_SHORT);
	if (wire_rd16(f + 12) != 0x0806 || wire_rd16(a) != 1 ||
	    wire_rd16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4 ||
	    wire_rd16(a + 6) != 2 || (a[8] & 1) != 0 ||
	    memcmp(a + 8, zero, 6) == 0)
		return reject(st, L3SVC_R_BAD_ARP);
	if (in == NULL ||
	    (r = router_by_gw_addr(v, in, 4, a + 24, &gw)) == NULL)
		return reject(st, L3SVC_R_NO_ROUTER);
	if (gw_subnet_of(v, gw, a + 14, 4) == NULL)
		return reject(st, L3SVC_R_BAD_ARP);
	*router = r;
	memcpy(ip, a + 14, 4);
	memcpy(mac, a + 8, 6);
	st->n_learned++;
	return 0;
}

/* IPv6 neighbor discovery of external next hops (RFC 4861). */

enum {
	ND_NS = 135,
	ND_NA = 136,
	ND_HDR = 24,	 /* type .. target */
	ND_OPT_SLLA = 1, /* source link-layer address */
	ND_OPT_TLLA = 2, /* target link-layer address */
	ND_HOP_LIMIT = 255,
};

/* ICMPv6 checksum of icmp (n bytes) from src to dst (RFC 8200 8.1). */
static uint16_t
icmp6_csum(const uint8_t *addrs, const uint8_t *icmp, size_t n)
{
	uint32_t sum = (uint16_t)~csum(addrs, 32);

	sum += (uint32_t)n + 58;
	sum += (uint16_t)~csum(icmp, n);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t ns_frame(uint8_t *out, const struct net_view_port *gw,
		       const uint8_t *gw_ip, const uint8_t *nexthop);

int
l3svc_nd_request(const struct net_view *v, const uint8_t *f, size_t len,
		 uint8_t *out, size_t cap, size_t *out_len, uint32_t *out_ports,
		 size_t *n_out, const struct net_view_router **router,
		 uint8_t nexthop[16], struct l3svc_stats *st)
{
	const struct net_view_router *r = NULL;
	const struct net_view_port *gw;
	const uint8_t *gw_ip;

	*n_out = 0;
	if (len >= ETH_LEN && wire_rd16(f + 12) != 0x86dd)
		return reject(st, L3SVC_R_NOT_IPV6);
	if (len < ETH_LEN + IP6_LEN || (f[ETH_LEN] >> 4) != 6)
		return reject(st, L3SVC_R_SHORT);
	if ((gw = gw_by_mac(v, f + 6, &r)) == NULL ||
	    (gw_ip = port_ip_v(gw, 6)) == NULL)
		return reject(st, L3SVC_R_NO_ROUTER);
	if (!nexthop_of(v, r, gw, 6, f + ETH_LEN + 24, nexthop))
		return reject(st, L3SVC_R_NO_NEXTHOP);
	if (cap < ETH_LEN + IP6_LEN + ND_HDR + 8)
		return reject(st, L3SVC_R_SMALL_OUT);
	*out_len = ns_frame(out, gw, gw_ip, nexthop);
	ext_ports(v, gw, out_ports, n_out);
	*router = r;
	st->n_nd_requests++;
	return 0;
}

/* The neighbor solicitation (86 bytes) from gw (gw_ip) for nexthop. */
static size_t
ns_frame(uint8_t *out, const struct net_view_port *gw, const uint8_t *gw_ip,
	 const uint8_t *nexthop)
{
	uint8_t *o, *icmp;

	/* To the solicited-node group (RFC 4291 2.7.1) and its MAC. */
	memset(out, 0, ETH_LEN + IP6_LEN + ND_HDR + 8);
	out[0] = 0x33;
	out[1] = 0x33;
	out[2] = 0xff;
	memcpy(out + 3, nexthop + 13, 3);
	memcpy(out + 6, gw->mac, 6);
	wire_wr16(out + 12, 0x86dd);
	o = out + ETH_LEN;
	o[0] = 0x60;
	wire_wr16(o + 4, ND_HDR + 8);
	o[6] = 58;
	o[7] = ND_HOP_LIMIT;
	memcpy(o + 8, gw_ip, 16);
	o[24] = 0xff;
	o[25] = 0x02;
	o[35] = 0x01;
	o[36] = 0xff;
	memcpy(o + 37, nexthop + 13, 3);
	icmp = o + IP6_LEN;
	icmp[0] = ND_NS;
	memcpy(icmp + 8, nexthop, 16);
	icmp[ND_HDR] = ND_OPT_SLLA;
	icmp[ND_HDR + 1] = 1;
	memcpy(icmp + ND_HDR + 2, gw->mac, 6);
	wire_wr16(icmp + 2, icmp6_csum(o + 8, icmp, ND_HDR + 8));
	return ETH_LEN + IP6_LEN + ND_HDR + 8;
}

/* The link-layer address option of type (source or target) in ND
 * options opt of n bytes, or NULL; false when the options are malformed
 * (RFC 4861 6.1.1, 7.1.2: length 0, or past the end). */
static bool
nd_lla(const uint8_t *opt, size_t n, uint8_t type, const uint8_t **mac)
{
	*mac = NULL;
	while (n > 0) {
		size_t olen;

		if (n < 2 || opt[1] == 0 || (olen = (size_t)opt[1] * 8) > n)
			return false;
		if (opt[0] == type && olen == 8)
			*mac = opt + 2;
		opt += olen;
		n -= olen;
	}
	return true;
}

int
l3svc_nd_learn(const struct net_view *v, uint32_t in_port, const uint8_t *f,
	       size_t len, const struct net_view_router **router,
	       uint8_t ip[16], uint8_t mac[6], struct l3svc_stats *st)
{
	static const uint8_t zero[6];
	const struct net_view_port *in = net_view_port_by_dp(v, in_port), *gw;
	const struct net_view_router *r;
	const uint8_t *ip6 = f + ETH_LEN, *icmp = ip6 + IP6_LEN, *tlla;
	size_t plen;

	if (len >= ETH_LEN && wire_rd16(f + 12) != 0x86dd)
		return reject(st, L3SVC_R_NOT_IPV6);
	if (len < ETH_LEN + IP6_LEN + ND_HDR || (ip6[0] >> 4) != 6 ||
	    (plen = wire_rd16(ip6 + 4)) > len - ETH_LEN - IP6_LEN)
		return reject(st, L3SVC_R_SHORT);
	if (ip6[6] != 58 || plen < ND_HDR || ip6[7] != ND_HOP_LIMIT ||
	    icmp[0] != ND_NA || icmp[1] != 0 ||
	    icmp6_csum(ip6 + 8, icmp, plen) != 0 || icmp[8] == 0xff ||
	    !nd_lla(icmp + ND_HDR, plen - ND_HDR, ND_OPT_TLLA, &tlla))
		return reject(st, L3SVC_R_BAD_ND);
	if (tlla == NULL)
		tlla = f + 6;
	if ((tlla[0] & 1) != 0 || memcmp(tlla, zero, 6) == 0)
		return reject(st, L3SVC_R_BAD_ND);
	if (in == NULL ||
	    (r = router_by_gw_addr(v, in, 6, ip6 + 24, &gw)) == NULL)
		return reject(st, L3SVC_R_NO_ROUTER);
	if (gw_subnet_of(v, gw, icmp + 8, 6) == NULL)
		return reject(st, L3SVC_R_BAD_ND);
	*router = r;
	memcpy(ip, icmp + 8, 16);
	memcpy(mac, tlla, 6);
	st->n_learned++;
	return 0;
}

int
l3svc_neigh_probe(const struct net_view *v, const char *router_id, int family,
		  const uint8_t *ip, uint8_t *out, size_t cap, size_t *out_len,
		  uint32_t *out_ports, size_t *n_out, struct l3svc_stats *st)
{
	const struct net_view_router *r = net_view_router(v, router_id);
	const struct net_view_port *gw;
	bool is6 = family == AF_INET6;
	const uint8_t *gw_ip;

	*n_out = 0;
	if (r == NULL || !r->is_admin_up ||
	    (gw = net_view_port(v, r->gw_port_id)) == NULL ||
	    (gw_ip = port_ip_v(gw, is6 ? 6 : 4)) == NULL ||
	    gw_subnet_of(v, gw, ip, is6 ? 6 : 4) == NULL)
		return -ENOENT;
	if (cap < (is6 ? ETH_LEN + IP6_LEN + ND_HDR + 8 : 60u))
		return reject(st, L3SVC_R_SMALL_OUT);
	*out_len = is6 ? ns_frame(out, gw, gw_ip, ip)
		       : arp_frame(out, gw, gw_ip, ip);
	ext_ports(v, gw, out_ports, n_out);
	st->n_probes++;
	return 0;
}

/* Router advertisements (RFC 4861 4.2, 6.2.3). */

enum {
	ND_RS = 133,
	ND_RA = 134,
	RA_HDR = 16,	/* type .. retrans timer */
	ND_OPT_PI = 3,	/* prefix information, 32 bytes */
	ND_OPT_MTU = 5, /* 8 bytes */
	RA_FLAG_M = 0x80,
	RA_FLAG_O = 0x40,
	PI_FLAG_L = 0x80,
	PI_FLAG_A = 0x40,
};

/* The IPv6 subnet of rp's fixed IP i if it advertises, else NULL. */
static const struct net_view_subnet *
ra_subnet(const struct net_view *v, const struct net_view_port *rp, unsigned i)
{
	const struct net_view_subnet *s;

	if (rp->ips[i].ip.version != 6 ||
	    (s = net_view_subnet(v, rp->ips[i].subnet_id)) == NULL ||
	    s->cidr.version != 6 || s->ra_mode == NET_V6_NONE ||
	    s->cidr.prefix_len > 128)
		return NULL;
	return s;
}

int
l3svc_router_advert(const struct net_view *v, const struct net_view_port *rp,
		    const uint8_t *dst_mac, const uint8_t *dst_ip, uint8_t *out,
		    size_t cap, size_t *out_len, uint32_t *out_ports,
		    size_t *n_out, struct l3svc_stats *st)
{
	static const uint8_t all_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
	static const uint8_t all_ip[16] = {0xff, 0x02, [15] = 1};
	const struct net_view_network *net =
		net_view_network(v, rp->network_id);
	uint8_t *o = out + ETH_LEN, *icmp = o + IP6_LEN, *opt;
	unsigned n_pi = 0;
	size_t n;

	*n_out = 0;
	if (!is_router_port(rp) ||
	    strcmp(rp->device_owner, "network:router_gateway") == 0)
		return -ENOENT;
	for (unsigned i = 0; i < rp->n_ips && i < NET_PORT_IPS_MAX; i++)
		if (ra_subnet(v, rp, i) != NULL)
			n_pi++;
	if (n_pi == 0)
		return -ENOENT;
	n = RA_HDR + 8 + (net != NULL && net->mtu != 0 ? 8 : 0) + 32 * n_pi;
	if (cap < ETH_LEN + IP6_LEN + n)
		return reject(st, L3SVC_R_SMALL_OUT);
	memset(out, 0, ETH_LEN + IP6_LEN + n);
	memcpy(out, dst_mac != NULL ? dst_mac : all_mac, 6);
	memcpy(out + 6, rp->mac, 6);
	wire_wr16(out + 12, 0x86dd);
	o[0] = 0x60;
	wire_wr16(o + 4, (uint16_t)n);
	o[6] = 58;
	o[7] = ND_HOP_LIMIT;
	l3svc_link_local(rp->mac, o + 8);
	memcpy(o + 24, dst_ip != NULL ? dst_ip : all_ip, 16);
	icmp[0] = ND_RA;
	icmp[4] = L3SVC_RA_HOP_LIMIT;
	wire_wr16(icmp + 6, L3SVC_RA_LIFETIME_S);
	opt = icmp + RA_HDR;
	opt[0] = ND_OPT_SLLA;
	opt[1] = 1;
	memcpy(opt + 2, rp->mac, 6);
	opt += 8;
	if (net != NULL && net->mtu != 0) {
		opt[0] = ND_OPT_MTU;
		opt[1] = 1;
		wire_wr32(opt + 4, net->mtu);
		opt += 8;
	}
	for (unsigned i = 0; i < rp->n_ips && i < NET_PORT_IPS_MAX; i++) {
		const struct net_view_subnet *s = ra_subnet(v, rp, i);
		unsigned bits;

		if (s == NULL)
			continue;
		if (s->ra_mode == NET_V6_DHCP_STATEFUL)
			icmp[5] |= RA_FLAG_M | RA_FLAG_O;
		if (s->ra_mode == NET_V6_DHCP_STATELESS)
			icmp[5] |= RA_FLAG_O;
		opt[0] = ND_OPT_PI;
		opt[1] = 4;
		opt[2] = s->cidr.prefix_len;
		opt[3] = PI_FLAG_L;
		if (s->ra_mode != NET_V6_DHCP_STATEFUL)
			opt[3] |= PI_FLAG_A;
		wire_wr32(opt + 4, L3SVC_RA_VALID_S);
		wire_wr32(opt + 8, L3SVC_RA_PREFERRED_S);
		/* The prefix, host bits zero (RFC 4861 4.6.2). */
		for (bits = 0; bits < 128; bits += 8) {
			unsigned k = bits / 8, left = s->cidr.prefix_len - bits;

			if (bits >= s->cidr.prefix_len)
				break;
			opt[16 + k] = left >= 8 ? s->cidr.a[k]
						: (uint8_t)(s->cidr.a[k] &
							    (0xff00 >> left));
		}
		opt += 32;
	}
	wire_wr16(icmp + 2, icmp6_csum(o + 8, icmp, n));
	*out_len = ETH_LEN + IP6_LEN + n;
	/* Unsolicited: to the network's attached ports. */
	for (size_t i = 0; i < v->n_ports && *n_out < L3SVC_OUT_PORTS_MAX;
	     i++) {
		const struct net_view_port *p = &v->ports[i];

		if (strcmp(p->network_id, rp->network_id) == 0 &&
		    p->dp_port != 0 && p->is_admin_up && !is_router_port(p))
			out_ports[(*n_out)++] = p->dp_port;
	}
	st->n_ra++;
	return 0;
}

int
l3svc_router_solicit(const struct net_view *v, uint32_t in_port,
		     const uint8_t *f, size_t len, uint8_t *out, size_t cap,
		     size_t *out_len, struct l3svc_stats *st)
{
	static const uint8_t unspec[16];
	const struct net_view_port *in = net_view_port_by_dp(v, in_port);
	const uint8_t *ip6 = f + ETH_LEN, *icmp = ip6 + IP6_LEN, *slla;
	uint32_t ports[L3SVC_OUT_PORTS_MAX];
	size_t plen, n_ports;
	bool is_unspec;

	if (len >= ETH_LEN && wire_rd16(f + 12) != 0x86dd)
		return reject(st, L3SVC_R_NOT_IPV6);
	if (len < ETH_LEN + IP6_LEN + 8 || (ip6[0] >> 4) != 6 ||
	    (plen = wire_rd16(ip6 + 4)) > len - ETH_LEN - IP6_LEN)
		return reject(st, L3SVC_R_SHORT);
	if (ip6[6] != 58 || plen < 8 || ip6[7] != ND_HOP_LIMIT ||
	    icmp[0] != ND_RS || icmp[1] != 0 ||
	    icmp6_csum(ip6 + 8, icmp, plen) != 0 ||
	    !nd_lla(icmp + 8, plen - 8, ND_OPT_SLLA, &slla))
		return reject(st, L3SVC_R_BAD_RS);
	is_unspec = memcmp(ip6 + 8, unspec, 16) == 0;
	if ((is_unspec && slla != NULL) || ip6[8] == 0xff)
		return reject(st, L3SVC_R_BAD_RS);
	if (slla == NULL)
		slla = f + 6;
	if ((slla[0] & 1) != 0)
		return reject(st, L3SVC_R_BAD_RS);
	if (in == NULL || is_router_port(in))
		return reject(st, L3SVC_R_NO_ROUTER);
	for (size_t i = 0; i < v->n_ports; i++) {
		const struct net_view_port *rp = &v->ports[i];
		int rc;

		if (!is_router_port(rp) ||
		    strcmp(rp->network_id, in->network_id) != 0 ||
		    net_view_router(v, rp->device_id) == NULL)
			continue;
		rc = l3svc_router_advert(v, rp, is_unspec ? NULL : slla,
					 is_unspec ? NULL : ip6 + 8, out, cap,
					 out_len, ports, &n_ports, st);
		if (rc != -ENOENT)
			return rc;
	}
	return reject(st, L3SVC_R_NO_ROUTER);
}

/*
 * An ICMPv6 echo request (RFC 4443 4.1) to a router's IPv6 address, with
 * no extension header: the reply (4.2) from that address, hop limit 64,
 * back out of in_port.
 */
static int
echo6_reply(const struct net_view *v, uint32_t in_port, const uint8_t *f,
	    size_t len, uint8_t *out, size_t cap, size_t *out_len,
	    struct l3svc_stats *st)
{
	const struct net_view_port *rp;
	const uint8_t *ip6 = f + ETH_LEN, *icmp = ip6 + IP6_LEN;
	uint8_t *o;
	size_t plen;

	if (len < ETH_LEN + IP6_LEN + ICMP_HDR || (ip6[0] >> 4) != 6 ||
	    (plen = wire_rd16(ip6 + 4)) > len - ETH_LEN - IP6_LEN ||
	    plen < ICMP_HDR)
		return reject(st, L3SVC_R_SHORT);
	if (ip6[6] != 58 || icmp[0] != 128 || icmp[1] != 0)
		return reject(st, L3SVC_R_NOT_ECHO);
	if (ip6[8] == 0xff)
		return reject(st, L3SVC_R_NO_ERROR);
	if ((rp = router_port_at(v, in_port, f)) == NULL ||
	    !router_has_ip(v, rp->device_id, 6, ip6 + 24))
		return reject(st, L3SVC_R_NO_ROUTER);
	if (cap < ETH_LEN + IP6_LEN + plen)
		return reject(st, L3SVC_R_SMALL_OUT);
	memcpy(out, f + 6, 6);
	memcpy(out + 6, rp->mac, 6);
	wire_wr16(out + 12, 0x86dd);
	o = out + ETH_LEN;
	memset(o, 0, 8);
	o[0] = 0x60;
	wire_wr16(o + 4, (uint16_t)plen);
	o[6] = 58;
	o[7] = 64;
	memcpy(o + 8, ip6 + 24, 16);
	memcpy(o + 24, ip6 + 8, 16);
	memcpy(o + IP6_LEN, icmp, plen);
	o[IP6_LEN] = 129;
	wire_wr16(o + IP6_LEN + 2, 0);
	wire_wr16(o + IP6_LEN + 2, icmp6_csum(o + 8, o + IP6_LEN, plen));
	*out_len = ETH_LEN + IP6_LEN + plen;
	st->n_echo++;
	return 0;
}
