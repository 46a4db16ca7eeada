/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dhcp.c: the native DHCPv4 responder of dhcp.h. Parsing follows RFC 2131
 * section 2 (the BOOTP message layout) and RFC 2132 section 2 (options);
 * the choice of answer follows RFC 2131 section 4.3; classless routes are
 * RFC 3442. Deviations: no option overload (52) is honoured (sname and
 * file are never read as options), relayed requests (giaddr set) are not
 * answered since the responder only serves guests on its own ports, and
 * there is no lease database because each port owns its address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "dhcp.h"
#include "wire.h"

enum {
	ETH_HLEN_ = 14,
	IP_HLEN_MIN = 20,
	UDP_HLEN = 8,
	BOOTP_FIXED = 236, /* op .. file, RFC 2131 figure 1 */
	BOOTP_MIN = 300,   /* minimum BOOTP message we send (RFC 1542) */
	PORT_BOOTPS = 67,
	PORT_BOOTPC = 68,
	BOOTREQUEST = 1,
	BOOTREPLY = 2,
};

/* Option codes (RFC 2132, RFC 3442). */
enum {
	OPT_PAD = 0,
	OPT_SUBNET_MASK = 1,
	OPT_ROUTER = 3,
	OPT_DNS = 6,
	OPT_MTU = 26,
	OPT_BROADCAST = 28,
	OPT_REQUESTED_IP = 50,
	OPT_LEASE = 51,
	OPT_OVERLOAD = 52,
	OPT_MSG_TYPE = 53,
	OPT_SERVER_ID = 54,
	OPT_MESSAGE = 56,
	OPT_T1 = 58,
	OPT_T2 = 59,
	OPT_CLASSLESS = 121,
	OPT_END = 255,
};

static const uint8_t magic[4] = {99, 130, 83, 99};

static const char *const reject_names[DHCP_R__COUNT] = {
	[DHCP_R_TRUNC_ETH] = "trunc_eth",
	[DHCP_R_NOT_IPV4] = "not_ipv4",
	[DHCP_R_BAD_IPV4] = "bad_ipv4",
	[DHCP_R_FRAGMENT] = "fragment",
	[DHCP_R_NOT_UDP] = "not_udp",
	[DHCP_R_BAD_UDP] = "bad_udp",
	[DHCP_R_NOT_BOOTP] = "not_bootp",
	[DHCP_R_TRUNC_BOOTP] = "trunc_bootp",
	[DHCP_R_NOT_REQUEST] = "not_request",
	[DHCP_R_BAD_HW] = "bad_hw",
	[DHCP_R_BAD_COOKIE] = "bad_cookie",
	[DHCP_R_BAD_OPTION] = "bad_option",
	[DHCP_R_NO_TYPE] = "no_type",
	[DHCP_R_BAD_TYPE] = "bad_type",
};

const char *
dhcp_reject_name(enum dhcp_reject r)
{
	if ((unsigned)r >= DHCP_R__COUNT)
		return "unknown";
	return reject_names[r];
}

static int
reject(enum dhcp_reject *why, enum dhcp_reject r)
{
	*why = r;
	return -EINVAL;
}

/* Walk the options of a BOOTREQUEST (RFC 2132 section 2). */
static int
parse_options(const uint8_t *p, size_t len, struct dhcp_msg *m,
	      enum dhcp_reject *why)
{
	bool has_type = false;
	size_t i = 0;

	while (i < len) {
		uint8_t code = p[i++];
		uint8_t olen;

		if (code == OPT_PAD)
			continue;
		if (code == OPT_END)
			break;
		if (i >= len)
			return reject(why, DHCP_R_BAD_OPTION);
		olen = p[i++];
		if (olen > len - i)
			return reject(why, DHCP_R_BAD_OPTION);
		switch (code) {
		case OPT_MSG_TYPE:
			if (olen != 1)
				return reject(why, DHCP_R_BAD_OPTION);
			if (!has_type) {
				m->type = p[i];
				has_type = true;
			}
			break;
		case OPT_REQUESTED_IP:
			if (olen != 4)
				return reject(why, DHCP_R_BAD_OPTION);
			memcpy(m->requested, p + i, 4);
			m->has_requested = true;
			break;
		case OPT_SERVER_ID:
			if (olen != 4)
				return reject(why, DHCP_R_BAD_OPTION);
			memcpy(m->server_id, p + i, 4);
			m->has_server_id = true;
			break;
		default:
			break;
		}
		i += olen;
	}
	if (!has_type)
		return reject(why, DHCP_R_NO_TYPE);
	switch (m->type) {
	case DHCP_DISCOVER:
	case DHCP_REQUEST:
	case DHCP_DECLINE:
	case DHCP_RELEASE:
	case DHCP_INFORM:
		return 0;
	default:
		return reject(why, DHCP_R_BAD_TYPE);
	}
}

int
dhcp_parse(const uint8_t *f, size_t len, struct dhcp_msg *m,
	   enum dhcp_reject *why)
{
	const uint8_t *ip, *udp, *bp;
	size_t ihl, ip_len, udp_len, bp_len;

	memset(m, 0, sizeof(*m));
	if (len < ETH_HLEN_)
		return reject(why, DHCP_R_TRUNC_ETH);
	if (wire_rd16(f + 12) != 0x0800)
		return reject(why, DHCP_R_NOT_IPV4);
	memcpy(m->eth_src, f + 6, 6);

	ip = f + ETH_HLEN_;
	len -= ETH_HLEN_;
	if (len < IP_HLEN_MIN || (ip[0] >> 4) != 4)
		return reject(why, DHCP_R_BAD_IPV4);
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	ip_len = wire_rd16(ip + 2);
	if (ihl < IP_HLEN_MIN || ip_len < ihl || ip_len > len)
		return reject(why, DHCP_R_BAD_IPV4);
	if ((wire_rd16(ip + 6) & 0x3fff) != 0) /* MF or fragment offset */
		return reject(why, DHCP_R_FRAGMENT);
	if (ip[9] != 17)
		return reject(why, DHCP_R_NOT_UDP);

	udp = ip + ihl;
	if (ip_len - ihl < UDP_HLEN)
		return reject(why, DHCP_R_BAD_UDP);
	udp_len = wire_rd16(udp + 4);
	if (udp_len < UDP_HLEN || udp_len > ip_len - ihl)
		return reject(why, DHCP_R_BAD_UDP);
	if (wire_rd16(udp) != PORT_BOOTPC || wire_rd16(udp + 2) != PORT_BOOTPS)
		return reject(why, DHCP_R_NOT_BOOTP);

	bp = udp + UDP_HLEN;
	bp_len = udp_len - UDP_HLEN;
	if (bp_len < BOOTP_FIXED + sizeof(magic))
		return reject(why, DHCP_R_TRUNC_BOOTP);
	if (bp[0] != BOOTREQUEST)
		return reject(why, DHCP_R_NOT_REQUEST);
	if (bp[1] != 1 || bp[2] != 6)
		return reject(why, DHCP_R_BAD_HW);
	if (memcmp(bp + BOOTP_FIXED, magic, sizeof(magic)) != 0)
		return reject(why, DHCP_R_BAD_COOKIE);
	memcpy(&m->xid, bp + 4, 4);
	m->flags = wire_rd16(bp + 10);
	memcpy(m->ciaddr, bp + 12, 4);
	memcpy(m->giaddr, bp + 24, 4);
	memcpy(m->chaddr, bp + 28, 6);
	return parse_options(bp + BOOTP_FIXED + sizeof(magic),
			     bp_len - BOOTP_FIXED - sizeof(magic), m, why);
}

void
dhcp_server_init(struct dhcp_server *s, const struct dhcp_config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	if (s->cfg.lease_time == 0)
		s->cfg.lease_time = 86400;
}

/* What the port is offered: its address and its subnet. */
struct lease {
	const struct net_view_subnet *sn;
	const struct net_view_network *net;
	uint8_t ip[4];
	uint8_t mask[4];
	uint8_t server[4];
};

static void
prefix_mask(unsigned len, uint8_t mask[4])
{
	uint32_t m = len == 0 ? 0 : htonl(0xffffffffu << (32 - len));

	memcpy(mask, &m, 4);
}

static bool
port_lease(const struct net_view *v, const struct net_view_port *p,
	   struct lease *l)
{
	for (unsigned i = 0; i < p->n_ips; i++) {
		const struct net_view_subnet *sn;

		if (p->ips[i].ip.version != 4)
			continue;
		sn = net_view_subnet(v, p->ips[i].subnet_id);
		if (sn == NULL || !sn->is_dhcp || sn->cidr.version != 4 ||
		    sn->cidr.prefix_len > 30)
			continue;
		memset(l, 0, sizeof(*l));
		l->sn = sn;
		l->net = net_view_network(v, p->network_id);
		memcpy(l->ip, p->ips[i].ip.a, 4);
		prefix_mask(sn->cidr.prefix_len, l->mask);
		if (sn->gateway.version == 4) {
			memcpy(l->server, sn->gateway.a, 4);
		} else {
			/* No gateway: the subnet's last host address. */
			for (int k = 0; k < 4; k++)
				l->server[k] =
					(uint8_t)((sn->cidr.a[k] & l->mask[k]) |
						  ~l->mask[k]);
			l->server[3] &= 0xfe;
		}
		return true;
	}
	return false;
}

/* Option writer over a bounded buffer. */
struct optbuf {
	uint8_t *p;
	size_t len;
	size_t max;
	bool is_full;
};

static void
opt_put(struct optbuf *o, uint8_t code, const void *val, size_t len)
{
	if (len > 255 || o->max - o->len < len + 2) {
		o->is_full = true;
		return;
	}
	o->p[o->len++] = code;
	o->p[o->len++] = (uint8_t)len;
	memcpy(o->p + o->len, val, len);
	o->len += len;
}

static void
opt_u32(struct optbuf *o, uint8_t code, uint32_t host_v)
{
	uint32_t v = htonl(host_v);

	opt_put(o, code, &v, 4);
}

/* Option 121 (RFC 3442): host routes, then the default route, since a
 * client that takes 121 ignores option 3. */
static void
opt_classless(struct optbuf *o, const struct lease *l)
{
	uint8_t buf[255];
	size_t n = 0;
	unsigned n_routes = 0;

	for (unsigned i = 0; i < l->sn->n_routes; i++) {
		const struct net_view_route *rt = &l->sn->routes[i];
		unsigned w = rt->dst.prefix_len, sig = (w + 7) / 8;

		if (rt->dst.version != 4 || rt->nexthop.version != 4)
			continue;
		if (n + 1 + sig + 4 > sizeof(buf))
			break;
		buf[n++] = (uint8_t)w;
		memcpy(buf + n, rt->dst.a, sig);
		n += sig;
		memcpy(buf + n, rt->nexthop.a, 4);
		n += 4;
		n_routes++;
	}
	if (n_routes == 0)
		return;
	if (l->sn->gateway.version == 4 && n + 5 <= sizeof(buf)) {
		buf[n++] = 0;
		memcpy(buf + n, l->sn->gateway.a, 4);
		n += 4;
	}
	opt_put(o, OPT_CLASSLESS, buf, n);
}

static void
reply_options(struct optbuf *o, const struct dhcp_config *cfg,
	      const struct lease *l, uint8_t type, bool is_inform)
{
	uint8_t bcast[4], dns[NET_DNS_MAX * 4];
	size_t n_dns = 0;

	opt_put(o, OPT_MSG_TYPE, &type, 1);
	opt_put(o, OPT_SERVER_ID, l->server, 4);
	if (type == DHCP_NAK) {
		static const char msg[] = "address not assigned to this port";

		opt_put(o, OPT_MESSAGE, msg, sizeof(msg) - 1);
		return;
	}
	if (type != DHCP_ACK || !is_inform) {
		uint32_t lease = cfg->lease_time != 0 ? cfg->lease_time : 86400;

		opt_u32(o, OPT_LEASE, lease);
		opt_u32(o, OPT_T1, lease / 2);
		opt_u32(o, OPT_T2, (uint32_t)((uint64_t)lease * 7 / 8));
	}
	opt_put(o, OPT_SUBNET_MASK, l->mask, 4);
	for (int k = 0; k < 4; k++)
		bcast[k] = (uint8_t)(l->ip[k] | ~l->mask[k]);
	opt_put(o, OPT_BROADCAST, bcast, 4);
	if (l->sn->gateway.version == 4)
		opt_put(o, OPT_ROUTER, l->sn->gateway.a, 4);
	for (unsigned i = 0; i < l->sn->n_dns; i++) {
		if (l->sn->dns[i].version != 4)
			continue;
		memcpy(dns + n_dns, l->sn->dns[i].a, 4);
		n_dns += 4;
	}
	if (n_dns > 0)
		opt_put(o, OPT_DNS, dns, n_dns);
	if (l->net != NULL && l->net->mtu >= 68 && l->net->mtu <= 0xffff) {
		uint16_t mtu = htons((uint16_t)l->net->mtu);

		opt_put(o, OPT_MTU, &mtu, 2);
	}
	opt_classless(o, l);
}

uint32_t
dhcp_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

uint16_t
dhcp_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Decide the reply type per RFC 2131 4.3; 0 when nothing is sent. */
static uint8_t
reply_type(const struct dhcp_msg *m, const struct lease *l)
{
	switch (m->type) {
	case DHCP_DISCOVER:
		return DHCP_OFFER;
	case DHCP_INFORM:
		return DHCP_ACK;
	case DHCP_REQUEST:
		break;
	default:
		return 0; /* DECLINE, RELEASE: nothing to say */
	}
	if (m->has_server_id) {
		/* SELECTING: another server was chosen, stay quiet. */
		if (memcmp(m->server_id, l->server, 4) != 0)
			return 0;
		if (!m->has_requested)
			return DHCP_NAK;
		return memcmp(m->requested, l->ip, 4) == 0 ? DHCP_ACK
							   : DHCP_NAK;
	}
	if (m->has_requested) /* INIT-REBOOT */
		return memcmp(m->requested, l->ip, 4) == 0 ? DHCP_ACK
							   : DHCP_NAK;
	/* RENEWING / REBINDING: ciaddr is the address in use. */
	return memcmp(m->ciaddr, l->ip, 4) == 0 ? DHCP_ACK : DHCP_NAK;
}

/* Ethernet, IPv4 and UDP headers in front of bp_len bytes of BOOTP at
 * out + 42; returns the frame length. */
static size_t
write_headers(uint8_t *out, const uint8_t dst_mac[6], const uint8_t src_mac[6],
	      const uint8_t src_ip[4], const uint8_t dst_ip[4], size_t bp_len)
{
	uint8_t *ip = out + ETH_HLEN_, *udp = ip + IP_HLEN_MIN;
	size_t udp_len = UDP_HLEN + bp_len, ip_len = IP_HLEN_MIN + udp_len;
	uint32_t sum;

	memcpy(out, dst_mac, 6);
	memcpy(out + 6, src_mac, 6);
	wire_wr16(out + 12, 0x0800);
	memset(ip, 0, IP_HLEN_MIN);
	ip[0] = 0x45;
	wire_wr16(ip + 2, (uint16_t)ip_len);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, src_ip, 4);
	memcpy(ip + 16, dst_ip, 4);
	wire_wr16(ip + 10, dhcp_csum_fold(dhcp_csum_add(0, ip, IP_HLEN_MIN)));

	wire_wr16(udp, PORT_BOOTPS);
	wire_wr16(udp + 2, PORT_BOOTPC);
	wire_wr16(udp + 4, (uint16_t)udp_len);
	wire_wr16(udp + 6, 0);
	sum = dhcp_csum_add(0, ip + 12, 8);
	sum += 17 + (uint32_t)udp_len;
	sum = dhcp_csum_add(sum, udp, udp_len);
	wire_wr16(udp + 6,
		  dhcp_csum_fold(sum) == 0 ? 0xffff : dhcp_csum_fold(sum));
	return ETH_HLEN_ + ip_len;
}

/* The BOOTP reply (RFC 2131 table 3) at bp; returns its length, 0 when
 * the options do not fit in max bytes. */
static size_t
write_bootp(uint8_t *bp, size_t max, const struct dhcp_config *cfg,
	    const struct dhcp_msg *m, const struct lease *l, uint8_t type)
{
	struct optbuf o;
	size_t len;

	memset(bp, 0, BOOTP_MIN);
	bp[0] = BOOTREPLY;
	bp[1] = 1;
	bp[2] = 6;
	memcpy(bp + 4, &m->xid, 4);
	wire_wr16(bp + 10, m->flags & 0x8000);
	if (type != DHCP_NAK &&
	    (m->type == DHCP_INFORM || m->type == DHCP_REQUEST))
		memcpy(bp + 12, m->ciaddr, 4);
	if (type != DHCP_NAK && m->type != DHCP_INFORM)
		memcpy(bp + 16, l->ip, 4);
	memcpy(bp + 28, m->chaddr, 6);
	memcpy(bp + BOOTP_FIXED, magic, sizeof(magic));

	o.p = bp + BOOTP_FIXED + sizeof(magic);
	o.len = 0;
	o.max = max - BOOTP_FIXED - sizeof(magic) - 1; /* room for END */
	o.is_full = false;
	reply_options(&o, cfg, l, type, m->type == DHCP_INFORM);
	if (o.is_full)
		return 0;
	o.p[o.len++] = OPT_END;
	len = BOOTP_FIXED + sizeof(magic) + o.len;
	return len < BOOTP_MIN ? BOOTP_MIN : len; /* zeroed: PAD */
}

int
dhcp_reply(const struct dhcp_config *cfg, const struct net_view *v,
	   const struct net_view_port *p, const struct dhcp_msg *m,
	   uint8_t *out, size_t out_max, size_t *out_len)
{
	static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff,
					     0xff, 0xff, 0xff};
	static const uint8_t zero4[4];
	enum { HDRS = ETH_HLEN_ + IP_HLEN_MIN + UDP_HLEN };
	struct lease l;
	uint8_t type, dst_ip[4];
	const uint8_t *dst_mac = m->chaddr;
	size_t bp_len;

	if (memcmp(m->chaddr, p->mac, 6) != 0 ||
	    memcmp(m->giaddr, zero4, 4) != 0 || !port_lease(v, p, &l))
		return -ENOENT;
	type = reply_type(m, &l);
	if (type == 0)
		return -ENOENT;
	if (out_max < HDRS + BOOTP_MIN)
		return -ENOSPC;
	bp_len = write_bootp(out + HDRS, out_max - HDRS, cfg, m, &l, type);
	if (bp_len == 0)
		return -ENOSPC;

	/* Where it goes, RFC 2131 4.1. */
	if (type == DHCP_NAK ||
	    (memcmp(m->ciaddr, zero4, 4) == 0 && (m->flags & 0x8000))) {
		memset(dst_ip, 0xff, 4);
		dst_mac = bcast_mac;
	} else if (memcmp(m->ciaddr, zero4, 4) != 0) {
		memcpy(dst_ip, m->ciaddr, 4);
	} else {
		memcpy(dst_ip, l.ip, 4);
	}
	*out_len = write_headers(out, dst_mac, cfg->server_mac, l.server,
				 dst_ip, bp_len);
	return 0;
}

int
dhcp_server_handle(struct dhcp_server *s, const struct net_view *v,
		   uint32_t in_port, const uint8_t *frame, size_t len,
		   uint8_t *out, size_t out_max, size_t *out_len)
{
	const struct net_view_port *p;
	enum dhcp_reject why;
	struct dhcp_msg m;
	int rc;

	if (dhcp_parse(frame, len, &m, &why) < 0) {
		s->stats.rejects[why]++;
		return -EINVAL;
	}
	s->stats.rx[m.type]++;
	p = net_view_port_by_dp(v, in_port);
	if (p == NULL) {
		s->stats.ignored++;
		return -ENOENT;
	}
	rc = dhcp_reply(&s->cfg, v, p, &m, out, out_max, out_len);
	if (rc == -ENOENT) {
		s->stats.ignored++;
		return rc;
	}
	if (rc < 0)
		return rc;
	switch (out[ETH_HLEN_ + IP_HLEN_MIN + UDP_HLEN + BOOTP_FIXED + 6]) {
	case DHCP_OFFER:
		s->stats.offers++;
		break;
	case DHCP_NAK:
		s->stats.naks++;
		break;
	default:
		s->stats.acks++;
		break;
	}
	return 0;
}
