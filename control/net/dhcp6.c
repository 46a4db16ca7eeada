/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dhcp6.c: the native DHCPv6 server of dhcp6.h. The message and option
 * layout is RFC 8415 sections 8 and 21, the validation of received
 * messages section 16, the server's behaviour section 18.3; DNS servers
 * are RFC 3646 (option 23). Each port owns its address, so there is no
 * lease database: a Renew or Rebind for another address gets that
 * address with lifetimes 0 next to the port's (18.3.4), a Confirm
 * succeeds only for the port's own address.
 */
#include <errno.h>
#include <string.h>

#include "dhcp.h"
#include "dhcp6.h"
#include "l3svc.h"
#include "wire.h"

enum {
	ETH_HLEN_ = 14,
	IP6_HLEN = 40,
	UDP_HLEN = 8,
	HDRS = ETH_HLEN_ + IP6_HLEN + UDP_HLEN,
	PORT_CLIENT = 546,
	PORT_SERVER = 547,
};

/* Option codes (RFC 8415 21, RFC 3646). */
enum {
	OPT_CLIENTID = 1,
	OPT_SERVERID = 2,
	OPT_IA_NA = 3,
	OPT_IAADDR = 5,
	OPT_STATUS = 13,
	OPT_RAPID_COMMIT = 14,
	OPT_DNS = 23,
};

static const char *const reject_names[DHCP6_R__COUNT] = {
	[DHCP6_R_TRUNC_ETH] = "trunc_eth",
	[DHCP6_R_NOT_IPV6] = "not_ipv6",
	[DHCP6_R_BAD_IPV6] = "bad_ipv6",
	[DHCP6_R_NOT_UDP] = "not_udp",
	[DHCP6_R_BAD_UDP] = "bad_udp",
	[DHCP6_R_BAD_PORTS] = "bad_ports",
	[DHCP6_R_BAD_ADDR] = "bad_addr",
	[DHCP6_R_TRUNC_MSG] = "trunc_msg",
	[DHCP6_R_BAD_TYPE] = "bad_type",
	[DHCP6_R_BAD_OPTION] = "bad_option",
	[DHCP6_R_NO_CLIENT_ID] = "no_client_id",
	[DHCP6_R_SERVER_ID] = "server_id",
	[DHCP6_R_OTHER_SERVER] = "other_server",
	[DHCP6_R_OTHER_DST] = "other_dst",
	[DHCP6_R_NOT_PORT_MAC] = "not_port_mac",
};

static const uint8_t all_servers[16] = {0xff, 0x02, [13] = 0x01, [15] = 0x02};

const char *
dhcp6_reject_name(enum dhcp6_reject r)
{
	if ((unsigned)r >= DHCP6_R__COUNT)
		return "unknown";
	return reject_names[r];
}

static int
reject(enum dhcp6_reject *why, enum dhcp6_reject r)
{
	*why = r;
	return -EINVAL;
}

static bool
is_link_local(const uint8_t a[16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* The option at p[*i] (RFC 8415 21.1): its code and length, *i moved to
 * its data; -1 when the header or the data runs past len. */
static int
opt_next(const uint8_t *p, size_t len, size_t *i, uint16_t *code,
	 uint16_t *olen)
{
	if (len - *i < 4)
		return -1;
	*code = wire_rd16(p + *i);
	*olen = wire_rd16(p + *i + 2);
	*i += 4;
	return *olen > len - *i ? -1 : 0;
}

/* The IA Address options inside an IA_NA's own options. */
static int
parse_ia_na(const uint8_t *p, size_t len, struct dhcp6_msg *m,
	    enum dhcp6_reject *why)
{
	size_t i = 12; /* IAID, T1, T2 */

	memcpy(m->iaid, p, 4);
	while (i < len) {
		uint16_t code, olen;

		if (opt_next(p, len, &i, &code, &olen) < 0)
			return reject(why, DHCP6_R_BAD_OPTION);
		if (code == OPT_IAADDR) {
			if (olen < 24)
				return reject(why, DHCP6_R_BAD_OPTION);
			if (m->n_addrs < DHCP6_IA_ADDRS_MAX)
				memcpy(m->addrs[m->n_addrs++], p + i, 16);
		}
		i += olen;
	}
	return 0;
}

static int
parse_duid(const uint8_t *p, uint16_t olen, uint8_t *dst, uint16_t *dst_len,
	   enum dhcp6_reject *why)
{
	/* A DUID is a 2-byte type and 1 to 128 bytes (RFC 8415 11.1). */
	if (*dst_len != 0 || olen < 3 || olen > DHCP6_DUID_MAX)
		return reject(why, DHCP6_R_BAD_OPTION);
	memcpy(dst, p, olen);
	*dst_len = olen;
	return 0;
}

static int
parse_options(const uint8_t *p, size_t len, struct dhcp6_msg *m,
	      enum dhcp6_reject *why)
{
	size_t i = 0;
	int rc;

	while (i < len) {
		uint16_t code, olen;

		if (opt_next(p, len, &i, &code, &olen) < 0)
			return reject(why, DHCP6_R_BAD_OPTION);
		rc = 0;
		switch (code) {
		case OPT_CLIENTID:
			rc = parse_duid(p + i, olen, m->client_id,
					&m->client_id_len, why);
			break;
		case OPT_SERVERID:
			rc = parse_duid(p + i, olen, m->server_id,
					&m->server_id_len, why);
			break;
		case OPT_IA_NA:
			if (olen < 12)
				return reject(why, DHCP6_R_BAD_OPTION);
			if (!m->has_ia_na) {
				m->has_ia_na = true;
				rc = parse_ia_na(p + i, olen, m, why);
			}
			break;
		case OPT_RAPID_COMMIT:
			if (olen != 0)
				return reject(why, DHCP6_R_BAD_OPTION);
			m->has_rapid_commit = true;
			break;
		default:
			break;
		}
		if (rc < 0)
			return rc;
		i += olen;
	}
	return 0;
}

/* RFC 8415 16: which messages carry which identifiers. */
static int
check_ids(const struct dhcp6_msg *m, enum dhcp6_reject *why)
{
	if (m->client_id_len == 0 && m->type != DHCP6_INFO_REQUEST)
		return reject(why, DHCP6_R_NO_CLIENT_ID);
	switch (m->type) {
	case DHCP6_SOLICIT:
	case DHCP6_CONFIRM:
	case DHCP6_REBIND:
		if (m->server_id_len != 0)
			return reject(why, DHCP6_R_SERVER_ID);
		return 0;
	case DHCP6_REQUEST:
	case DHCP6_RENEW:
	case DHCP6_RELEASE:
	case DHCP6_DECLINE:
		if (m->server_id_len == 0)
			return reject(why, DHCP6_R_SERVER_ID);
		return 0;
	default:
		return 0;
	}
}

int
dhcp6_parse(const uint8_t *f, size_t len, struct dhcp6_msg *m,
	    enum dhcp6_reject *why)
{
	const uint8_t *ip, *udp, *msg;
	size_t pl_len, udp_len;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len < ETH_HLEN_)
		return reject(why, DHCP6_R_TRUNC_ETH);
	if (wire_rd16(f + 12) != 0x86dd)
		return reject(why, DHCP6_R_NOT_IPV6);
	memcpy(m->eth_src, f + 6, 6);

	ip = f + ETH_HLEN_;
	len -= ETH_HLEN_;
	if (len < IP6_HLEN || (ip[0] >> 4) != 6)
		return reject(why, DHCP6_R_BAD_IPV6);
	pl_len = wire_rd16(ip + 4);
	if (pl_len > len - IP6_HLEN)
		return reject(why, DHCP6_R_BAD_IPV6);
	if (ip[6] != 17)
		return reject(why, DHCP6_R_NOT_UDP);
	memcpy(m->ip_src, ip + 8, 16);
	memcpy(m->ip_dst, ip + 24, 16);

	udp = ip + IP6_HLEN;
	if (pl_len < UDP_HLEN)
		return reject(why, DHCP6_R_BAD_UDP);
	udp_len = wire_rd16(udp + 4);
	if (udp_len < UDP_HLEN || udp_len > pl_len)
		return reject(why, DHCP6_R_BAD_UDP);
	if (wire_rd16(udp) != PORT_CLIENT || wire_rd16(udp + 2) != PORT_SERVER)
		return reject(why, DHCP6_R_BAD_PORTS);
	if (!is_link_local(m->ip_src) ||
	    (memcmp(m->ip_dst, all_servers, 16) != 0 &&
	     !is_link_local(m->ip_dst)))
		return reject(why, DHCP6_R_BAD_ADDR);

	msg = udp + UDP_HLEN;
	udp_len -= UDP_HLEN;
	if (udp_len < 4)
		return reject(why, DHCP6_R_TRUNC_MSG);
	m->type = msg[0];
	switch (m->type) {
	case DHCP6_SOLICIT:
	case DHCP6_REQUEST:
	case DHCP6_CONFIRM:
	case DHCP6_RENEW:
	case DHCP6_REBIND:
	case DHCP6_RELEASE:
	case DHCP6_DECLINE:
	case DHCP6_INFO_REQUEST:
		break;
	default:
		return reject(why, DHCP6_R_BAD_TYPE);
	}
	memcpy(m->xid, msg + 1, 3);
	if ((rc = parse_options(msg + 4, udp_len - 4, m, why)) < 0)
		return rc;
	return check_ids(m, why);
}

void
dhcp6_server_init(struct dhcp6_server *s, const struct dhcp6_config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
}

/* What port p is given, and by whom. */
struct lease6 {
	bool has_addr;			  /* a dhcpv6-stateful address */
	uint8_t addr[16];		  /* the port's fixed IP there */
	const struct net_view_subnet *sn; /* where DNS servers come from */
	uint8_t server_mac[6];
	uint8_t server_ll[16];
	uint8_t duid[10]; /* DUID-LL of server_mac */
};

static bool
is_dhcp6_subnet(const struct net_view_subnet *sn, bool need_stateful)
{
	if (sn == NULL || sn->cidr.version != 6 || !sn->is_dhcp)
		return false;
	if (sn->ra_mode == NET_V6_DHCP_STATEFUL)
		return true;
	return !need_stateful && sn->ra_mode == NET_V6_DHCP_STATELESS;
}

/* The router interface on subnet sn, or NULL. */
static const struct net_view_port *
subnet_router(const struct net_view *v, const struct net_view_subnet *sn)
{
	for (size_t i = 0; i < v->n_ports; i++) {
		const struct net_view_port *q = &v->ports[i];

		if (strcmp(q->device_owner, "network:router_interface") != 0)
			continue;
		for (unsigned k = 0; k < q->n_ips && k < NET_PORT_IPS_MAX; k++)
			if (strcmp(q->ips[k].subnet_id, sn->id) == 0)
				return q;
	}
	return NULL;
}

static bool
port_lease6(const struct dhcp6_config *cfg, const struct net_view *v,
	    const struct net_view_port *p, struct lease6 *l)
{
	const struct net_view_port *rp;

	memset(l, 0, sizeof(*l));
	for (unsigned i = 0; i < p->n_ips && i < NET_PORT_IPS_MAX; i++) {
		const struct net_view_subnet *sn =
			net_view_subnet(v, p->ips[i].subnet_id);

		if (p->ips[i].ip.version != 6 || !is_dhcp6_subnet(sn, false))
			continue;
		if (!l->has_addr && is_dhcp6_subnet(sn, true)) {
			l->has_addr = true;
			memcpy(l->addr, p->ips[i].ip.a, 16);
			l->sn = sn;
		} else if (l->sn == NULL) {
			l->sn = sn;
		}
	}
	/* No address of its own: any dhcpv6 subnet of the network. */
	for (size_t i = 0; l->sn == NULL && i < v->n_subnets; i++)
		if (strcmp(v->subnets[i].network_id, p->network_id) == 0 &&
		    is_dhcp6_subnet(&v->subnets[i], false))
			l->sn = &v->subnets[i];
	if (l->sn == NULL)
		return false;
	rp = subnet_router(v, l->sn);
	memcpy(l->server_mac, rp != NULL ? rp->mac : cfg->server_mac, 6);
	l3svc_link_local(l->server_mac, l->server_ll);
	wire_wr16(l->duid, 3);	   /* DUID-LL */
	wire_wr16(l->duid + 2, 1); /* Ethernet */
	memcpy(l->duid + 4, l->server_mac, 6);
	return true;
}

/* Option writer over a bounded buffer. */
struct obuf {
	uint8_t *p;
	size_t len;
	size_t max;
	bool is_full;
};

/* Start an option; returns its offset, for opt_end() to fix the length. */
static size_t
opt_begin(struct obuf *o, uint16_t code)
{
	size_t at = o->len;

	if (o->max - o->len < 4) {
		o->is_full = true;
		return at;
	}
	wire_wr16(o->p + o->len, code);
	wire_wr16(o->p + o->len + 2, 0);
	o->len += 4;
	return at;
}

static void
opt_data(struct obuf *o, const void *d, size_t n)
{
	if (n == 0)
		return;
	if (o->is_full || o->max - o->len < n) {
		o->is_full = true;
		return;
	}
	memcpy(o->p + o->len, d, n);
	o->len += n;
}

static void
opt_u32(struct obuf *o, uint32_t v)
{
	uint8_t b[4];

	wire_wr32(b, v);
	opt_data(o, b, 4);
}

static void
opt_end(struct obuf *o, size_t at)
{
	if (!o->is_full)
		wire_wr16(o->p + at + 2, (uint16_t)(o->len - at - 4));
}

static void
opt_put(struct obuf *o, uint16_t code, const void *d, size_t n)
{
	size_t at = opt_begin(o, code);

	opt_data(o, d, n);
	opt_end(o, at);
}

static void
opt_status(struct obuf *o, uint16_t status)
{
	static const char *const text[] = {
		[DHCP6_ST_SUCCESS] = "ok",
		[DHCP6_ST_NO_ADDRS] = "no address for this port",
		[DHCP6_ST_NO_BINDING] = "no binding",
		[DHCP6_ST_NOT_ON_LINK] = "not the port's address",
	};
	size_t at = opt_begin(o, OPT_STATUS);
	uint8_t b[2];
	const char *t =
		status < sizeof(text) / sizeof(text[0]) && text[status] != NULL
			? text[status]
			: "";

	wire_wr16(b, status);
	opt_data(o, b, 2);
	opt_data(o, t, strlen(t));
	opt_end(o, at);
}

static void
opt_iaaddr(struct obuf *o, const uint8_t addr[16], uint32_t pref,
	   uint32_t valid)
{
	size_t at = opt_begin(o, OPT_IAADDR);

	opt_data(o, addr, 16);
	opt_u32(o, pref);
	opt_u32(o, valid);
	opt_end(o, at);
}

/*
 * The IA_NA of the answer: the port's address, the client's other
 * addresses with lifetimes 0 (Renew, Rebind), or a status when there is
 * no address (NoAddrsAvail to Solicit/Request, NoBinding to Renew).
 */
static void
opt_ia_na(struct obuf *o, const struct dhcp6_config *cfg,
	  const struct dhcp6_msg *m, const struct lease6 *l)
{
	uint32_t valid = cfg->valid_s != 0 ? cfg->valid_s : DHCP6_VALID_S;
	uint32_t pref =
		cfg->preferred_s != 0 ? cfg->preferred_s : DHCP6_PREFERRED_S;
	size_t at = opt_begin(o, OPT_IA_NA);

	if (pref > valid)
		pref = valid;
	opt_data(o, m->iaid, 4);
	opt_u32(o, l->has_addr ? pref / 2 : 0);
	opt_u32(o, l->has_addr ? (uint32_t)((uint64_t)pref * 4 / 5) : 0);
	if (!l->has_addr) {
		opt_status(o, m->type == DHCP6_RENEW ? DHCP6_ST_NO_BINDING
						     : DHCP6_ST_NO_ADDRS);
		opt_end(o, at);
		return;
	}
	opt_iaaddr(o, l->addr, pref, valid);
	if (m->type == DHCP6_RENEW || m->type == DHCP6_REBIND)
		for (unsigned i = 0; i < m->n_addrs; i++)
			if (memcmp(m->addrs[i], l->addr, 16) != 0)
				opt_iaaddr(o, m->addrs[i], 0, 0);
	opt_end(o, at);
}

static void
opt_dns(struct obuf *o, const struct lease6 *l)
{
	size_t at = 0;
	unsigned n = 0;

	for (unsigned i = 0; i < l->sn->n_dns && i < NET_DNS_MAX; i++) {
		if (l->sn->dns[i].version != 6)
			continue;
		if (n++ == 0)
			at = opt_begin(o, OPT_DNS);
		opt_data(o, l->sn->dns[i].a, 16);
	}
	if (n > 0)
		opt_end(o, at);
}

/* Ethernet, IPv6 and UDP headers in front of msg_len bytes at out + HDRS;
 * returns the frame length. */
static size_t
write_headers(uint8_t *out, const struct dhcp6_msg *m, const struct lease6 *l,
	      size_t msg_len)
{
	uint8_t *ip = out + ETH_HLEN_, *udp = ip + IP6_HLEN;
	size_t udp_len = UDP_HLEN + msg_len;
	uint32_t sum;

	memcpy(out, m->eth_src, 6);
	memcpy(out + 6, l->server_mac, 6);
	wire_wr16(out + 12, 0x86dd);
	memset(ip, 0, IP6_HLEN);
	ip[0] = 0x60;
	wire_wr16(ip + 4, (uint16_t)udp_len);
	ip[6] = 17;
	ip[7] = 255;
	memcpy(ip + 8, l->server_ll, 16);
	memcpy(ip + 24, m->ip_src, 16);
	wire_wr16(udp, PORT_SERVER);
	wire_wr16(udp + 2, PORT_CLIENT);
	wire_wr16(udp + 4, (uint16_t)udp_len);
	wire_wr16(udp + 6, 0);
	/* Pseudo-header (RFC 8200 8.1): addresses, length, next header. */
	sum = dhcp_csum_add(0, ip + 8, 32);
	sum += (uint32_t)udp_len + 17;
	sum = dhcp_csum_add(sum, udp, udp_len);
	wire_wr16(udp + 6,
		  dhcp_csum_fold(sum) == 0 ? 0xffff : dhcp_csum_fold(sum));
	return ETH_HLEN_ + IP6_HLEN + udp_len;
}

/* The reply type to m; 0 when nothing is sent. */
static uint8_t
reply_type(const struct dhcp6_msg *m, const struct lease6 *l, uint16_t *status)
{
	*status = 0xffff; /* no top-level status */
	switch (m->type) {
	case DHCP6_SOLICIT:
		if (!l->has_addr)
			return 0; /* 18.3.1: a server may ignore it */
		return m->has_rapid_commit ? DHCP6_REPLY : DHCP6_ADVERTISE;
	case DHCP6_REQUEST:
	case DHCP6_RENEW:
	case DHCP6_INFO_REQUEST:
		return DHCP6_REPLY;
	case DHCP6_REBIND:
		return l->has_addr ? DHCP6_REPLY : 0;
	case DHCP6_CONFIRM:
		if (!m->has_ia_na || m->n_addrs == 0)
			return 0; /* 18.3.3: nothing to confirm */
		*status = DHCP6_ST_SUCCESS;
		for (unsigned i = 0; i < m->n_addrs; i++)
			if (!l->has_addr || memcmp(m->addrs[i], l->addr, 16))
				*status = DHCP6_ST_NOT_ON_LINK;
		return DHCP6_REPLY;
	case DHCP6_RELEASE:
	case DHCP6_DECLINE:
		*status = DHCP6_ST_SUCCESS;
		return DHCP6_REPLY;
	default:
		return 0;
	}
}

int
dhcp6_reply(const struct dhcp6_config *cfg, const struct net_view *v,
	    const struct net_view_port *p, const struct dhcp6_msg *m,
	    uint8_t *out, size_t out_max, size_t *out_len,
	    enum dhcp6_reject *why)
{
	struct lease6 l;
	struct obuf o;
	uint16_t status;
	uint8_t type;

	if (memcmp(m->eth_src, p->mac, 6) != 0)
		return reject(why, DHCP6_R_NOT_PORT_MAC);
	if (!port_lease6(cfg, v, p, &l))
		return -ENOENT;
	if (memcmp(m->ip_dst, all_servers, 16) != 0 &&
	    memcmp(m->ip_dst, l.server_ll, 16) != 0)
		return reject(why, DHCP6_R_OTHER_DST);
	if (m->server_id_len != 0 &&
	    (m->server_id_len != sizeof(l.duid) ||
	     memcmp(m->server_id, l.duid, sizeof(l.duid)) != 0))
		return reject(why, DHCP6_R_OTHER_SERVER);
	type = reply_type(m, &l, &status);
	if (type == 0)
		return -ENOENT;
	if (out_max < HDRS + 4)
		return -ENOSPC;

	o.p = out + HDRS;
	o.len = 0;
	o.max = out_max - HDRS;
	if (o.max > 0xffff - UDP_HLEN)
		o.max = 0xffff - UDP_HLEN;
	o.is_full = false;
	o.p[o.len++] = type;
	opt_data(&o, m->xid, 3);
	opt_put(&o, OPT_SERVERID, l.duid, sizeof(l.duid));
	if (m->client_id_len != 0)
		opt_put(&o, OPT_CLIENTID, m->client_id, m->client_id_len);
	if (status != 0xffff)
		opt_status(&o, status);
	if (m->type == DHCP6_SOLICIT && m->has_rapid_commit)
		opt_put(&o, OPT_RAPID_COMMIT, NULL, 0);
	if (m->has_ia_na &&
	    (m->type == DHCP6_SOLICIT || m->type == DHCP6_REQUEST ||
	     m->type == DHCP6_RENEW || m->type == DHCP6_REBIND))
		opt_ia_na(&o, cfg, m, &l);
	if (m->type != DHCP6_RELEASE && m->type != DHCP6_DECLINE)
		opt_dns(&o, &l);
	if (o.is_full)
		return -ENOSPC;
	*out_len = write_headers(out, m, &l, o.len);
	return 0;
}

int
dhcp6_server_handle(struct dhcp6_server *s, const struct net_view *v,
		    uint32_t in_port, const uint8_t *frame, size_t len,
		    uint8_t *out, size_t out_max, size_t *out_len)
{
	const struct net_view_port *p;
	enum dhcp6_reject why;
	struct dhcp6_msg m;
	int rc;

	if (dhcp6_parse(frame, len, &m, &why) < 0) {
		s->stats.rejects[why]++;
		return -EINVAL;
	}
	s->stats.rx[m.type]++;
	p = net_view_port_by_dp(v, in_port);
	if (p == NULL) {
		s->stats.ignored++;
		return -ENOENT;
	}
	rc = dhcp6_reply(&s->cfg, v, p, &m, out, out_max, out_len, &why);
	if (rc == -EINVAL)
		s->stats.rejects[why]++;
	if (rc == -ENOENT)
		s->stats.ignored++;
	if (rc < 0)
		return rc;
	if (out[HDRS] == DHCP6_ADVERTISE)
		s->stats.advertises++;
	else
		s->stats.replies++;
	return 0;
}
