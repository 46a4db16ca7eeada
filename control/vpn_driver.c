// SPDX-License-Identifier: BSD-2-Clause
/*
 * vpn_driver.c: the IKEv2 engine on sluiced's event loop (see
 * vpn_driver.h). One table of driven connections mirrors the store; a
 * reconcile builds each connection's engine config from its documents
 * and re-adds it to the engine when the config changed (a changed PSK,
 * policy or peer restarts negotiation, as in Neutron's reference driver).
 * Engine events update the in-memory status; statuses are flushed to the
 * store after each engine entry point, outside the engine's callbacks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "vpn_driver.h"
#include "vpn_store.h"

#define VPN_DRV_CONNS_MAX 256
#define VPN_DRV_SOCKS_MAX 32
#define VPN_DESC_MAX 160

/* One pair of UDP sockets on a gateway address. */
struct vpn_sock {
	struct ike_addr addr; /* port 0 */
	int fd[2];	      /* IKE port, NAT-T port */
	struct event *ev[2];
	struct vpn_driver *d;
	bool is_open;
	bool is_used; /* by a connection in the last reconcile */
};

/* A driven connection. */
struct vpn_dconn {
	char id[CTL_UUID_LEN + 1];
	char svc_id[CTL_UUID_LEN + 1];
	bool in_engine;
	bool is_seen; /* in the last reconcile's store walk */
	bool is_dirty;
	bool needs_refresh; /* an engine event since the last flush */
	enum ike_reason last_reason;
	uint32_t eid;	      /* engine id when in_engine */
	uint16_t mtu;	      /* the connection's mtu: its SAs' outer limit */
	bool is_held;	      /* DPD hold: down by DPD, trap in the datapath */
	uint64_t acquired_ms; /* last initiation by a trap */
	struct ike_conn_config cfg;
	char status[16];
	char desc[VPN_DESC_MAX];
};

struct vpn_driver {
	struct event_base *base;
	struct store *st;
	struct vpn_driver_config cfg;
	struct ike_engine *e;
	struct event *timer;
	unsigned n_conns;
	struct vpn_dconn *conns;		  /* VPN_DRV_CONNS_MAX */
	struct vpn_sock socks[VPN_DRV_SOCKS_MAX]; /* slots, is_open */
};

static uint64_t
vpn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
vpn_addr_to_ss(const struct ike_addr *a, struct sockaddr_storage *ss,
	       socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->ip, 4);
		*len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->ip, 16);
		*len = sizeof(*s6);
	}
}

static void
vpn_ss_to_addr(const struct sockaddr_storage *ss, struct ike_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		a->family = AF_INET;
		memcpy(a->ip, &s4->sin_addr, 4);
		a->port = ntohs(s4->sin_port);
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		a->family = AF_INET6;
		memcpy(a->ip, &s6->sin6_addr, 16);
		a->port = ntohs(s6->sin6_port);
	}
}

static bool
vpn_addr_ip_eq(const struct ike_addr *a, const struct ike_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->ip, b->ip, a->family == AF_INET ? 4 : 16) == 0;
}

static void
vpn_ip_to_addr(const struct ctl_ip *ip, uint16_t port, struct ike_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = ip->family == 4 ? AF_INET : AF_INET6;
	memcpy(a->ip, ip->addr, ip->family == 4 ? 4 : 16);
	a->port = port;
}

/* Timers. */

static void vpn_flush(struct vpn_driver *d);

static void
vpn_arm(struct vpn_driver *d)
{
	uint64_t next = ike_engine_next_timer(d->e), now = vpn_now_ms();
	struct timeval tv = {1, 0};

	if (next != UINT64_MAX) {
		uint64_t in = next > now ? next - now : 0;

		if (in < 1000) {
			tv.tv_sec = 0;
			tv.tv_usec = (suseconds_t)(in * 1000);
		}
	}
	evtimer_add(d->timer, &tv);
}

static void
vpn_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct vpn_driver *d = arg;

	(void)fd;
	(void)what;
	ike_engine_tick(d->e, vpn_now_ms());
	vpn_flush(d);
	vpn_arm(d);
}

/* Sockets. */

static void
vpn_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct vpn_sock *s = arg;
	struct vpn_driver *d = s->d;
	uint8_t buf[IKE_MSG_MAX + 64];
	struct sockaddr_storage ss;
	struct ike_addr local, remote;
	socklen_t sl;
	ssize_t n;
	int i;

	(void)what;
	for (i = 0; i < 64; i++) {
		sl = sizeof(ss);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&ss, &sl);
		if (n < 0)
			break;
		vpn_ss_to_addr(&ss, &remote);
		local = s->addr;
		local.port =
			fd == s->fd[0] ? d->cfg.ike_port : d->cfg.natt_port;
		ike_engine_input(d->e, buf, (size_t)n, &local, &remote,
				 vpn_now_ms());
	}
	vpn_flush(d);
	vpn_arm(d);
}

void
vpn_driver_ike_input(struct vpn_driver *d, const uint8_t *data, size_t len,
		     const struct ike_addr *local,
		     const struct ike_addr *remote)
{
	ike_engine_input(d->e, data, len, local, remote, vpn_now_ms());
	vpn_flush(d);
	vpn_arm(d);
}

void
vpn_driver_sa_event(void *arg, uint32_t conn_id, uint32_t spi_in,
		    uint32_t kinds)
{
	struct vpn_driver *d = arg;
	int rc;

	rc = ike_engine_rekey_child(d->e, conn_id, vpn_now_ms());
	if (rc == 0)
		log_info("vpn",
			 "child SA 0x%08x: datapath event 0x%x, rekey started",
			 spi_in, kinds);
	else
		log_warn("vpn",
			 "child SA 0x%08x: datapath event 0x%x, "
			 "no rekey: %s",
			 spi_in, kinds, strerror(-rc));
	vpn_flush(d);
	vpn_arm(d);
}

static int
vpn_udp_open(const struct ike_addr *a, uint16_t port)
{
	struct sockaddr_storage ss;
	struct ike_addr b = *a;
	socklen_t sl;
	int fd, one = 1, rc;

	b.port = port;
	vpn_addr_to_ss(&b, &ss, &sl);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static void
vpn_sock_close(struct vpn_sock *s)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (s->ev[i] != NULL)
			event_free(s->ev[i]);
		if (s->fd[i] >= 0)
			close(s->fd[i]);
		s->ev[i] = NULL;
		s->fd[i] = -1;
	}
}

/* The sockets of gateway address a, opened if needed. NULL on failure
 * with why set. */
static struct vpn_sock *
vpn_sock_get(struct vpn_driver *d, const struct ike_addr *a, char *why,
	     size_t why_len)
{
	uint16_t ports[2] = {d->cfg.ike_port, d->cfg.natt_port};
	struct vpn_sock *s;
	char ip[INET6_ADDRSTRLEN];
	unsigned i;
	int fd;

	for (i = 0; i < VPN_DRV_SOCKS_MAX; i++) {
		if (d->socks[i].is_open && vpn_addr_ip_eq(&d->socks[i].addr, a))
			return &d->socks[i];
	}
	if (d->cfg.ike_port == 0) {
		snprintf(why, why_len, "IKE is off (vpn.ike_port = 0)");
		return NULL;
	}
	for (i = 0; i < VPN_DRV_SOCKS_MAX && d->socks[i].is_open; i++)
		;
	if (i == VPN_DRV_SOCKS_MAX) {
		snprintf(why, why_len, "too many gateway addresses (%d)",
			 VPN_DRV_SOCKS_MAX);
		return NULL;
	}
	s = &d->socks[i];
	memset(s, 0, sizeof(*s));
	s->addr = *a;
	s->addr.port = 0;
	s->d = d;
	s->fd[0] = s->fd[1] = -1;
	inet_ntop(a->family, a->ip, ip, sizeof(ip));
	if (d->cfg.ike_send != NULL) {
		/* Through the datapath: a slot without sockets. */
		log_info("vpn", "IKE for %s through the datapath", ip);
		s->is_open = true;
		return s;
	}
	for (i = 0; i < 2; i++) {
		fd = vpn_udp_open(a, ports[i]);
		if (fd < 0) {
			snprintf(why, why_len,
				 "cannot bind the IKE socket %s:%u (%s)", ip,
				 ports[i], strerror(-fd));
			goto fail;
		}
		s->fd[i] = fd;
		s->ev[i] = event_new(d->base, fd, EV_READ | EV_PERSIST,
				     vpn_on_read, s);
		if (s->ev[i] == NULL || event_add(s->ev[i], NULL) != 0) {
			snprintf(why, why_len, "out of memory");
			goto fail;
		}
	}
	log_info("vpn", "IKE sockets on %s ports %u and %u", ip, ports[0],
		 ports[1]);
	s->is_open = true;
	return s;

fail:
	log_warn("vpn", "gateway %s: %s", ip, why);
	vpn_sock_close(s);
	return NULL;
}

/* Engine callbacks. */

static void
vpn_on_send(void *arg, const uint8_t *data, size_t len,
	    const struct ike_addr *local, const struct ike_addr *remote)
{
	struct vpn_driver *d = arg;
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned i;

	if (d->cfg.ike_send != NULL) {
		if (d->cfg.ike_send(d->cfg.ike_arg, data, len, local, remote) <
		    0)
			log_debug("vpn", "send through the datapath failed");
		return;
	}
	for (i = 0; i < VPN_DRV_SOCKS_MAX; i++) {
		struct vpn_sock *s = &d->socks[i];
		int fd = local->port == d->cfg.natt_port ? s->fd[1] : s->fd[0];

		if (!s->is_open || !vpn_addr_ip_eq(&s->addr, local) || fd < 0)
			continue;
		vpn_addr_to_ss(remote, &ss, &sl);
		if (sendto(fd, data, len, 0, (struct sockaddr *)&ss, sl) < 0)
			log_debug("vpn", "send: %s", strerror(errno));
		return;
	}
}

static struct vpn_dconn *
vpn_conn_by_eid(struct vpn_driver *d, uint32_t eid)
{
	unsigned i;

	for (i = 0; i < d->n_conns; i++) {
		if (d->conns[i].in_engine && d->conns[i].eid == eid)
			return &d->conns[i];
	}
	return NULL;
}

static void vpn_set_status(struct vpn_dconn *c, const char *status,
			   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
vpn_set_status(struct vpn_dconn *c, const char *status, const char *fmt, ...)
{
	char desc[VPN_DESC_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	if (strcmp(c->status, status) != 0 || strcmp(c->desc, desc) != 0) {
		snprintf(c->status, sizeof(c->status), "%s", status);
		snprintf(c->desc, sizeof(c->desc), "%s", desc);
		c->is_dirty = true;
	}
}

/* A human reason for a failure or a down connection. */
static const char *
vpn_reason_text(enum ike_reason r)
{
	switch (r) {
	case IKE_R_AUTH_FAILED:
		return "authentication failed (the peer's AUTH did not "
		       "verify: check the pre-shared key)";
	case IKE_R_PEER_AUTH_FAILED:
		return "authentication failed (the peer refused ours: check "
		       "the pre-shared key and IDs)";
	case IKE_R_NO_PROPOSAL:
		return "no proposal chosen (the policies do not match the "
		       "peer's)";
	case IKE_R_TS_UNACCEPTABLE:
		return "traffic selectors unacceptable (peer_cidrs or "
		       "endpoint groups do not match the peer's)";
	case IKE_R_ID_MISMATCH:
		return "the peer's ID does not match peer_id";
	case IKE_R_TIMEOUT:
		return "peer not responding";
	case IKE_R_PEER_DEAD:
		return "peer not responding (DPD)";
	case IKE_R_PEER_DELETED:
		return "deleted by the peer";
	case IKE_R_LOCAL_DELETE:
		return "deleted";
	case IKE_R_EXPIRED:
		return "SA expired";
	case IKE_R_REPLACED:
		return "replaced";
	case IKE_R_NONE:
		return "not connected";
	default:
		return "internal error";
	}
}

/* Re-read the engine's view of a connection into its status. */
static void
vpn_refresh(struct vpn_driver *d, struct vpn_dconn *c, enum ike_reason why)
{
	struct ike_conn_status st;

	if (ike_engine_conn_status(d->e, c->eid, &st) != 0)
		return;
	if (st.state == IKE_CONN_UP) {
		/* The IKE SPIs tell which connections share an IKE SA. */
		vpn_set_status(c, "ACTIVE",
			       "tunnel up: IKE SA and %u child SA(s)%s; IKE "
			       "SPIs %016llx/%016llx",
			       st.n_children, st.natt ? ", NAT-T" : "",
			       (unsigned long long)st.spi_i,
			       (unsigned long long)st.spi_r);
		return;
	}
	if (why == IKE_R_NONE)
		why = st.reason;
	if (st.state == IKE_CONN_CONNECTING)
		vpn_set_status(c, "DOWN", "negotiating%s%s",
			       why != IKE_R_NONE ? "; last failure: " : "",
			       why != IKE_R_NONE ? vpn_reason_text(why) : "");
	else if (why == IKE_R_NONE && c->cfg.responder_only)
		vpn_set_status(c, "DOWN",
			       "waiting for the peer (response-only)");
	else
		vpn_set_status(c, "DOWN", "%s", vpn_reason_text(why));
}

/* DPD hold: the connection's trap on or off (vpn_dp_hold()). */
static void
vpn_hold(struct vpn_driver *d, struct vpn_dconn *c, bool is_held)
{
	if (c->is_held == is_held)
		return;
	c->is_held = is_held;
	if (d->cfg.hold != NULL)
		d->cfg.hold(d->cfg.sa_arg, c->cfg.name, is_held);
}

static void
vpn_on_event(void *arg, const struct ike_event *ev)
{
	struct vpn_driver *d = arg;
	struct vpn_dconn *c = vpn_conn_by_eid(d, ev->conn_id);

	if (c == NULL)
		return;
	log_info("vpn", "connection %s: %s%s%s", c->id,
		 ike_event_name(ev->type), ev->reason != IKE_R_NONE ? ": " : "",
		 ev->reason != IKE_R_NONE ? ike_reason_name(ev->reason) : "");
	/*
	 * During the callback the engine is still tearing the SA down, so
	 * its status would say "connecting": read it after the call.
	 */
	if (ev->type == IKE_EV_CHILD_UP)
		vpn_hold(d, c, false);
	else if (ev->reason == IKE_R_PEER_DEAD &&
		 c->cfg.dpd_action == IKE_DPD_HOLD)
		vpn_hold(d, c, true); /* keep the trap (Neutron's hold) */
	if (ev->type == IKE_EV_CHILD_UP || ev->type == IKE_EV_CHILD_REKEYED ||
	    ev->type == IKE_EV_IKE_REKEYED)
		c->last_reason = IKE_R_NONE;
	else if (ev->reason != IKE_R_NONE)
		c->last_reason = ev->reason;
	c->needs_refresh = true;
}

static int
vpn_on_install(void *arg, const struct ike_child_info *ci)
{
	struct vpn_driver *d = arg;
	struct vpn_dconn *c = vpn_conn_by_eid(d, ci->conn_id);
	struct ike_child_info cm = *ci;

	cm.mtu = c != NULL && c->mtu != 0 ? c->mtu : 1500;
	log_info("vpn", "child SA %s: in 0x%08x out 0x%08x%s, mtu %u",
		 ci->conn_name, ci->spi_in, ci->spi_out,
		 ci->encap ? " (UDP-encapsulated)" : "", cm.mtu);
	if (d->cfg.sa_install != NULL)
		return d->cfg.sa_install(d->cfg.sa_arg, &cm);
	return 0;
}

static void
vpn_on_remove(void *arg, const struct ike_child_info *ci)
{
	struct vpn_driver *d = arg;

	log_info("vpn", "child SA %s removed: in 0x%08x out 0x%08x",
		 ci->conn_name, ci->spi_in, ci->spi_out);
	if (d->cfg.sa_remove != NULL)
		d->cfg.sa_remove(d->cfg.sa_arg, ci);
}

static void
vpn_ike_log(enum ike_log_level lvl, const char *line)
{
	static const enum log_level map[] = {LOG_LEVEL_ERROR, LOG_LEVEL_WARN,
					     LOG_LEVEL_INFO, LOG_LEVEL_DEBUG};

	log_msg(map[(unsigned)lvl < 4 ? lvl : 3], "ike", "%s", line);
}

/* Building a connection's engine config. */

static int
vpn_id_parse(const char *s, struct ike_id *id)
{
	memset(id, 0, sizeof(*id));
	if (inet_pton(AF_INET, s, id->data) == 1) {
		id->type = IKE_ID_IPV4_ADDR;
		id->len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, id->data) == 1) {
		id->type = IKE_ID_IPV6_ADDR;
		id->len = 16;
		return 0;
	}
	if (*s == '@') {
		s++;
		id->type = IKE_ID_FQDN;
	} else {
		id->type = strchr(s, '@') != NULL ? IKE_ID_RFC822_ADDR
						  : IKE_ID_FQDN;
	}
	if (strlen(s) == 0 || strlen(s) > sizeof(id->data))
		return -EINVAL;
	id->len = (uint8_t)strlen(s);
	memcpy(id->data, s, id->len);
	return 0;
}

static void
vpn_cidr_set(struct ike_cidr *c, const struct ctl_prefix *p)
{
	memset(c, 0, sizeof(*c));
	c->family = p->ip.family == 4 ? AF_INET : AF_INET6;
	memcpy(c->ip, p->ip.addr, p->ip.family == 4 ? 4 : 16);
	c->prefix = p->len;
}

static int
vpn_policy_props(const json_t *pol, bool is_esp, struct ike_proposal_cfg *p,
		 uint8_t *n)
{
	char prop[VPN_PROPOSAL_MAX];

	if (vpn_model_proposal(pol, is_esp, prop, sizeof(prop)) != 0)
		return -EINVAL;
	return ike_proposal_parse(prop, is_esp, p, IKE_MAX_PROPS_CFG, n);
}

/*
 * Build c->cfg from the connection document and what it names. 0, or
 * -EAGAIN with a reason in why when the connection cannot run now.
 */
static int
vpn_build(struct vpn_driver *d, const json_t *conn, struct vpn_dconn *c,
	  char *why, size_t why_len)
{
	struct ike_conn_config *cfg = &c->cfg;
	json_t *svc = NULL, *ike = NULL, *esp = NULL, *lepg = NULL,
	       *pepg = NULL;
	struct vpn_router *r = NULL;
	const json_t *pc, *dpd;
	const char *s, *act, *sid;
	struct ctl_ip paddr;
	struct ctl_prefix p;
	char psk[VPN_PSK_MAX + 1];
	unsigned fams = 0; /* bit 4, bit 6: the peer CIDRs' families */
	size_t i, j;
	int rc = -EAGAIN;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "%.31s", c->id);
	if (vpn_store_get(
		    d->st, VPN_SERVICE,
		    json_string_value(json_object_get(conn, "vpnservice_id")),
		    &svc) != 0 ||
	    vpn_store_get(
		    d->st, VPN_IKEPOLICY,
		    json_string_value(json_object_get(conn, "ikepolicy_id")),
		    &ike) != 0 ||
	    vpn_store_get(
		    d->st, VPN_IPSECPOLICY,
		    json_string_value(json_object_get(conn, "ipsecpolicy_id")),
		    &esp) != 0) {
		snprintf(why, why_len, "a referenced object is missing");
		goto out;
	}
	snprintf(c->svc_id, sizeof(c->svc_id), "%s",
		 json_string_value(json_object_get(svc, "id")));
	if (!json_is_true(json_object_get(conn, "admin_state_up")) ||
	    !json_is_true(json_object_get(svc, "admin_state_up"))) {
		snprintf(why, why_len, "administratively down");
		goto out;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL ||
	    vpn_store_router(
		    d->st, json_string_value(json_object_get(svc, "router_id")),
		    r) != 0) {
		snprintf(why, why_len, "the VPN service's router is gone");
		goto out;
	}
	if (ipam_ip_parse(
		    json_string_value(json_object_get(conn, "peer_address"))
			    ?: "",
		    &paddr) != 0) {
		snprintf(why, why_len, "bad peer_address");
		goto out;
	}
	if ((paddr.family == 4 && !r->has_gw4) ||
	    (paddr.family == 6 && !r->has_gw6)) {
		snprintf(why, why_len,
			 "the router has no IPv%u external gateway",
			 paddr.family);
		goto out;
	}
	vpn_ip_to_addr(paddr.family == 4 ? &r->gw4 : &r->gw6, d->cfg.ike_port,
		       &cfg->local);
	vpn_ip_to_addr(&paddr, d->cfg.ike_port ? d->cfg.ike_port : 500,
		       &cfg->peer);
	s = json_string_value(json_object_get(conn, "local_id"));
	if (s != NULL && *s != '\0') {
		if (vpn_id_parse(s, &cfg->local_id) != 0) {
			snprintf(why, why_len, "bad local_id");
			goto out;
		}
	} else {
		cfg->local_id.type =
			paddr.family == 4 ? IKE_ID_IPV4_ADDR : IKE_ID_IPV6_ADDR;
		cfg->local_id.len = paddr.family == 4 ? 4 : 16;
		memcpy(cfg->local_id.data, cfg->local.ip, cfg->local_id.len);
	}
	if (vpn_id_parse(json_string_value(json_object_get(conn, "peer_id"))
				 ?: "",
			 &cfg->peer_id) != 0) {
		snprintf(why, why_len, "bad peer_id");
		goto out;
	}
	if (vpn_store_psk(d->st, c->id, psk) != 0) {
		snprintf(why, why_len, "no pre-shared key");
		goto out;
	}
	cfg->psk_len = (uint16_t)strlen(psk);
	memcpy(cfg->psk, psk, cfg->psk_len);
	explicit_bzero(psk, sizeof(psk));
	if (vpn_policy_props(ike, false, cfg->ike, &cfg->n_ike) != 0 ||
	    vpn_policy_props(esp, true, cfg->esp, &cfg->n_esp) != 0) {
		snprintf(why, why_len,
			 "a policy holds an unsupported algorithm");
		goto out;
	}
	cfg->ike_lifetime_s = vpn_model_lifetime(ike);
	cfg->child_lifetime_s = vpn_model_lifetime(esp);
	{
		json_int_t m = json_integer_value(json_object_get(conn, "mtu"));

		c->mtu = m >= 68 && m <= 65535 ? (uint16_t)m : 1500;
	}
	dpd = json_object_get(conn, "dpd");
	act = json_string_value(json_object_get(dpd, "action")) ?: "hold";
	if (strcmp(act, "disabled") != 0) {
		cfg->dpd_interval_s = (uint32_t)json_integer_value(
			json_object_get(dpd, "interval"));
		cfg->dpd_timeout_s = (uint32_t)json_integer_value(
			json_object_get(dpd, "timeout"));
	}
	cfg->dpd_action = strcmp(act, "restart") == 0 ? IKE_DPD_RESTART
			  : strcmp(act, "hold") == 0  ? IKE_DPD_HOLD
						      : IKE_DPD_CLEAR;
	cfg->responder_only =
		strcmp(json_string_value(json_object_get(conn, "initiator"))
			       ?: "",
		       "response-only") == 0;
	/* Traffic selectors: local subnets, peer CIDRs. */
	vpn_store_get(
		d->st, VPN_EPG,
		json_string_value(json_object_get(conn, "local_ep_group_id"))
			?: "",
		&lepg);
	vpn_store_get(
		d->st, VPN_EPG,
		json_string_value(json_object_get(conn, "peer_ep_group_id"))
			?: "",
		&pepg);
	pc = pepg != NULL ? json_object_get(pepg, "endpoints")
			  : json_object_get(conn, "peer_cidrs");
	for (i = 0; i < json_array_size(pc) && cfg->n_peer_ts < IKE_MAX_CIDRS;
	     i++) {
		if (vpn_model_cidr(json_string_value(json_array_get(pc, i)),
				   &p) == 0) {
			vpn_cidr_set(&cfg->peer_ts[cfg->n_peer_ts++], &p);
			fams |= 1u << p.ip.family;
		}
	}
	/*
	 * The local subnets of the peer CIDRs' family (IPv4 or IPv6 inner
	 * traffic, whichever the outer addresses are): a dual-stack router
	 * proposes only what the peer side can pair with.
	 */
	sid = json_string_value(json_object_get(svc, "subnet_id"));
	for (i = 0; i < r->n_subnets && cfg->n_local_ts < IKE_MAX_CIDRS; i++) {
		const json_t *eps = json_object_get(lepg, "endpoints");
		bool take = lepg == NULL &&
			    (sid == NULL || strcmp(sid, r->subnet_ids[i]) == 0);

		for (j = 0; j < json_array_size(eps); j++) {
			if (strcmp(json_string_value(json_array_get(eps, j)),
				   r->subnet_ids[i]) == 0)
				take = true;
		}
		if (take && (fams & 1u << r->subnets[i].ip.family) != 0)
			vpn_cidr_set(&cfg->local_ts[cfg->n_local_ts++],
				     &r->subnets[i]);
	}
	if (cfg->n_local_ts == 0 || cfg->n_peer_ts == 0) {
		snprintf(why, why_len,
			 cfg->n_peer_ts == 0
				 ? "no peer CIDR"
				 : "no local subnet on the router for the "
				   "connection");
		goto out;
	}
	rc = 0;
out:
	free(r);
	json_decref(svc);
	json_decref(ike);
	json_decref(esp);
	json_decref(lepg);
	json_decref(pepg);
	if (rc != 0)
		explicit_bzero(cfg, sizeof(*cfg));
	return rc;
}

/* Reconcile. */

static void
vpn_conn_stop(struct vpn_driver *d, struct vpn_dconn *c)
{
	vpn_hold(d, c, false);
	if (c->in_engine) {
		ike_engine_conn_del(d->e, c->eid, vpn_now_ms());
		c->in_engine = false;
	}
}

static struct vpn_dconn *
vpn_conn_find(struct vpn_driver *d, const char *id)
{
	unsigned i;

	for (i = 0; i < d->n_conns; i++) {
		if (strcmp(d->conns[i].id, id) == 0)
			return &d->conns[i];
	}
	if (d->n_conns == VPN_DRV_CONNS_MAX)
		return NULL;
	memset(&d->conns[d->n_conns], 0, sizeof(d->conns[0]));
	snprintf(d->conns[d->n_conns].id, sizeof(d->conns[0].id), "%s", id);
	return &d->conns[d->n_conns++];
}

static int
vpn_reconcile_cb(void *arg, const json_t *doc)
{
	struct vpn_driver *d = arg;
	struct vpn_dconn *c, *want;
	char why[VPN_DESC_MAX];
	const char *id = json_string_value(json_object_get(doc, "id"));
	struct vpn_sock *s;
	int rc;

	if (id == NULL || strlen(id) > CTL_UUID_LEN)
		return 0;
	c = vpn_conn_find(d, id);
	if (c == NULL) {
		log_warn("vpn", "connection %s: more than %d connections", id,
			 VPN_DRV_CONNS_MAX);
		return 0;
	}
	c->is_seen = true;
	/* The status in the store is what the API shows: start from it. */
	if (c->status[0] == '\0') {
		snprintf(c->status, sizeof(c->status), "%s",
			 json_string_value(json_object_get(doc, "status"))
				 ?: "DOWN");
		snprintf(c->desc, sizeof(c->desc), "%s",
			 json_string_value(
				 json_object_get(doc, "status_description"))
				 ?: "");
	}
	want = calloc(1, sizeof(*want));
	if (want == NULL)
		return 0;
	memcpy(want->id, c->id, sizeof(want->id));
	rc = vpn_build(d, doc, want, why, sizeof(why));
	snprintf(c->svc_id, sizeof(c->svc_id), "%s", want->svc_id);
	if (rc == 0) {
		s = vpn_sock_get(d, &want->cfg.local, why, sizeof(why));
		if (s == NULL)
			rc = -EAGAIN;
		else
			s->is_used = true;
	}
	if (rc != 0) {
		vpn_conn_stop(d, c);
		explicit_bzero(&c->cfg, sizeof(c->cfg));
		vpn_set_status(c, "DOWN", "%s", why);
		goto out;
	}
	if (c->in_engine && memcmp(&c->cfg, &want->cfg, sizeof(c->cfg)) == 0) {
		/*
		 * Only the mtu changed (or nothing): the SAs in sluice-dp
		 * keep the mtu they were installed with, so rekey the child
		 * SAs now; the new ones are installed with it. No child yet:
		 * the first one will have it.
		 */
		if (want->mtu != c->mtu) {
			rc = ike_engine_rekey_child(d->e, c->eid, vpn_now_ms());
			log_info("vpn", "connection %s: mtu %u -> %u%s", c->id,
				 c->mtu, want->mtu,
				 rc == 0 ? ", child SAs rekeyed" : "");
			c->mtu = want->mtu;
			vpn_flush(d);
			vpn_arm(d);
		}
		goto out;
	}
	c->mtu = want->mtu;
	vpn_conn_stop(d, c);
	c->cfg = want->cfg;
	rc = ike_engine_conn_add(d->e, &c->cfg, &c->eid);
	if (rc != 0) {
		vpn_set_status(c, "ERROR",
			       "the IKE engine refused the "
			       "configuration (%s)",
			       strerror(-rc));
		goto out;
	}
	c->in_engine = true;
	c->last_reason = IKE_R_NONE; /* the old SA's local delete is moot */
	c->needs_refresh = false;
	log_info("vpn", "connection %s: configured%s", c->id,
		 c->cfg.responder_only ? " (response-only)" : "");
	if (!c->cfg.responder_only)
		ike_engine_initiate(d->e, c->eid, vpn_now_ms());
	vpn_refresh(d, c, IKE_R_NONE);
out:
	explicit_bzero(want, sizeof(*want));
	free(want);
	return 0;
}

/* Write changed statuses (connections, then services) to the store. */
struct vpn_svc_scan {
	struct vpn_driver *d;
	bool is_open; /* a transaction is open */
};

static int
vpn_put_status(struct vpn_svc_scan *sc, enum vpn_kind k, const char *id,
	       const char *status, const char *desc)
{
	json_t *doc = NULL;
	int rc;

	if (vpn_store_get(sc->d->st, k, id, &doc) != 0)
		return 0;
	if (strcmp(json_string_value(json_object_get(doc, "status")) ?: "",
		   status) == 0 &&
	    (desc == NULL || strcmp(json_string_value(json_object_get(
					    doc, "status_description"))
					    ?: "",
				    desc) == 0)) {
		json_decref(doc);
		return 0;
	}
	json_object_set_new(doc, "status", json_string(status));
	if (desc != NULL)
		json_object_set_new(doc, "status_description",
				    json_string(desc));
	if (!sc->is_open) {
		if (store_begin(sc->d->st) != 0) {
			json_decref(doc);
			return 0;
		}
		sc->is_open = true;
	}
	rc = vpn_store_put(sc->d->st, k, doc, NULL, false);
	if (rc != 0)
		log_warn("vpn", "store the status of %s: %d", id, rc);
	json_decref(doc);
	return 0;
}

static int
vpn_svc_status_cb(void *arg, const json_t *doc)
{
	struct vpn_svc_scan *sc = arg;
	const char *id = json_string_value(json_object_get(doc, "id"));
	bool is_up = false;
	unsigned i;

	for (i = 0; id != NULL && i < sc->d->n_conns; i++) {
		const struct vpn_dconn *c = &sc->d->conns[i];

		if (strcmp(c->svc_id, id) == 0 &&
		    strcmp(c->status, "ACTIVE") == 0)
			is_up = true;
	}
	if (id != NULL)
		vpn_put_status(sc, VPN_SERVICE, id, is_up ? "ACTIVE" : "DOWN",
			       NULL);
	return 0;
}

/* Keep a service's external_v4_ip/v6_ip equal to its router's gateway. */
static int
vpn_svc_gw_cb(void *arg, const json_t *doc)
{
	struct vpn_svc_scan *sc = arg;
	const char *id = json_string_value(json_object_get(doc, "id"));
	char v4[IPAM_STR_MAX] = "", v6[IPAM_STR_MAX] = "";
	struct vpn_router *r = calloc(1, sizeof(*r));
	json_t *upd;

	if (r == NULL || id == NULL ||
	    vpn_store_router(
		    sc->d->st,
		    json_string_value(json_object_get(doc, "router_id")),
		    r) != 0) {
		free(r);
		return 0;
	}
	if (r->has_gw4)
		ipam_ip_format(&r->gw4, v4, sizeof(v4));
	if (r->has_gw6)
		ipam_ip_format(&r->gw6, v6, sizeof(v6));
	free(r);
	if (strcmp(json_string_value(json_object_get(doc, "external_v4_ip"))
			   ?: "",
		   v4) == 0 &&
	    strcmp(json_string_value(json_object_get(doc, "external_v6_ip"))
			   ?: "",
		   v6) == 0)
		return 0;
	upd = json_deep_copy(doc);
	if (upd == NULL)
		return 0;
	json_object_set_new(upd, "external_v4_ip",
			    v4[0] != '\0' ? json_string(v4) : json_null());
	json_object_set_new(upd, "external_v6_ip",
			    v6[0] != '\0' ? json_string(v6) : json_null());
	if (!sc->is_open && store_begin(sc->d->st) == 0)
		sc->is_open = true;
	if (sc->is_open) {
		log_info("vpn", "vpnservice %s: gateway now %s%s%s", id, v4,
			 v4[0] != '\0' && v6[0] != '\0' ? " " : "", v6);
		vpn_store_put(sc->d->st, VPN_SERVICE, upd, NULL, false);
	}
	json_decref(upd);
	return 0;
}

static void
vpn_flush(struct vpn_driver *d)
{
	struct vpn_svc_scan sc = {.d = d};
	bool any = false;
	unsigned i;

	for (i = 0; i < d->n_conns; i++) {
		struct vpn_dconn *c = &d->conns[i];

		if (c->needs_refresh && c->in_engine)
			vpn_refresh(d, c, c->last_reason);
		c->needs_refresh = false;
		if (!c->is_dirty)
			continue;
		c->is_dirty = false;
		any = true;
		log_info("vpn", "connection %s: %s (%s)", c->id, c->status,
			 c->desc);
		vpn_put_status(&sc, VPN_CONN, c->id, c->status, c->desc);
	}
	if (any)
		vpn_store_foreach(d->st, VPN_SERVICE, vpn_svc_status_cb, &sc);
	if (sc.is_open && store_commit(d->st) != 0)
		store_rollback(d->st);
}

void
vpn_driver_reconcile(struct vpn_driver *d)
{
	unsigned i, k;

	for (i = 0; i < d->n_conns; i++)
		d->conns[i].is_seen = false;
	for (i = 0; i < VPN_DRV_SOCKS_MAX; i++)
		d->socks[i].is_used = false;
	if (vpn_store_foreach(d->st, VPN_CONN, vpn_reconcile_cb, d) != 0)
		log_warn("vpn", "reconcile: cannot read the store");
	/* Connections gone from the store. */
	for (i = 0, k = 0; i < d->n_conns; i++) {
		struct vpn_dconn *c = &d->conns[i];

		if (!c->is_seen) {
			log_info("vpn", "connection %s: removed", c->id);
			vpn_conn_stop(d, c);
			explicit_bzero(c, sizeof(*c));
			continue;
		}
		if (k != i)
			d->conns[k] = *c;
		k++;
	}
	for (i = k; i < d->n_conns; i++)
		explicit_bzero(&d->conns[i], sizeof(d->conns[i]));
	d->n_conns = k;
	/* Sockets no connection uses any more (their slots are reused). */
	for (i = 0; i < VPN_DRV_SOCKS_MAX; i++) {
		if (d->socks[i].is_open && !d->socks[i].is_used) {
			vpn_sock_close(&d->socks[i]);
			d->socks[i].is_open = false;
		}
	}
	vpn_flush(d);
	/* A removed connection changes its service's status too. */
	{
		struct vpn_svc_scan sc = {.d = d};

		vpn_store_foreach(d->st, VPN_SERVICE, vpn_svc_gw_cb, &sc);
		if (sc.is_open && store_commit(d->st) != 0)
			store_rollback(d->st);
		sc.is_open = false;
		vpn_store_foreach(d->st, VPN_SERVICE, vpn_svc_status_cb, &sc);
		if (sc.is_open && store_commit(d->st) != 0)
			store_rollback(d->st);
	}
	vpn_arm(d);
}

static bool
vpn_is_router_port(const struct ctl_port *p)
{
	return p != NULL &&
	       strncmp(p->device_owner, "network:router_", 15) == 0;
}

static void
vpn_on_port(void *arg, enum ctl_change what, const struct ctl_port *old,
	    const struct ctl_port *cur)
{
	(void)what;
	if (vpn_is_router_port(old) || vpn_is_router_port(cur))
		vpn_driver_reconcile(arg);
}

static void
vpn_on_doc(void *arg, enum ctl_kind kind, enum ctl_change what,
	   const json_t *old, const json_t *cur)
{
	(void)what;
	(void)old;
	(void)cur;
	if (kind == CTL_ROUTER)
		vpn_driver_reconcile(arg);
}

int
vpn_driver_watch_routers(struct vpn_driver *d, struct ctl *ctl)
{
	struct ctl_observer obs = {0};

	obs.port_changed = vpn_on_port;
	obs.doc_changed = vpn_on_doc;
	obs.arg = d;
	return ctl_observer_add(ctl, &obs);
}

void
vpn_driver_changed(void *arg, enum vpn_kind k, const char *id)
{
	(void)k;
	(void)id;
	vpn_driver_reconcile(arg);
}

int
vpn_driver_create(struct event_base *base, struct store *st,
		  const struct vpn_driver_config *cfg, struct vpn_driver **out)
{
	struct ike_engine_config ec = {0};
	struct ike_ops ops = {0};
	struct vpn_driver *d;
	int rc;

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->conns = calloc(VPN_DRV_CONNS_MAX, sizeof(*d->conns));
	if (d->conns == NULL) {
		rc = -ENOMEM;
		goto fail_conns;
	}
	d->base = base;
	d->st = st;
	d->cfg = *cfg;
	ike_log_set(vpn_ike_log, IKE_LOG_DEBUG);
	ec.natt_port = cfg->natt_port != 0 ? cfg->natt_port : 4500;
	d->cfg.natt_port = ec.natt_port;
	ops.send = vpn_on_send;
	ops.child_install = vpn_on_install;
	ops.child_remove = vpn_on_remove;
	ops.event = vpn_on_event;
	ops.arg = d;
	rc = ike_engine_create(&ec, &ops, &d->e);
	if (rc != 0)
		goto fail_engine;
	d->timer = evtimer_new(base, vpn_on_timer, d);
	if (d->timer == NULL) {
		rc = -ENOMEM;
		goto fail_timer;
	}
	vpn_driver_reconcile(d);
	*out = d;
	return 0;

fail_timer:
	ike_engine_destroy(d->e);
fail_engine:
	free(d->conns);
fail_conns:
	free(d);
	return rc;
}

void
vpn_driver_destroy(struct vpn_driver *d)
{
	unsigned i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n_conns; i++)
		vpn_conn_stop(d, &d->conns[i]);
	for (i = 0; i < VPN_DRV_SOCKS_MAX; i++)
		if (d->socks[i].is_open)
			vpn_sock_close(&d->socks[i]);
	if (d->timer != NULL)
		event_free(d->timer);
	ike_engine_destroy(d->e);
	explicit_bzero(d->conns, VPN_DRV_CONNS_MAX * sizeof(*d->conns));
	free(d->conns);
	free(d);
}

void
vpn_driver_stats(const struct vpn_driver *d, struct ike_stats *st)
{
	ike_engine_stats(d->e, st);
}

/* True if ip (family af, network order) is in one of the cidrs. */
static bool
vpn_in_cidrs(int af, const uint8_t *ip, const struct ike_cidr *cidrs,
	     unsigned n)
{
	unsigned bits = af == AF_INET6 ? 128 : 32;

	for (unsigned i = 0; i < n && i < IKE_MAX_CIDRS; i++) {
		const struct ike_cidr *p = &cidrs[i];
		unsigned b = 0;

		if (p->family != af || p->prefix > bits)
			continue;
		for (; b + 8 <= p->prefix && ip[b / 8] == p->ip[b / 8]; b += 8)
			;
		if (b + 8 <= p->prefix)
			continue;
		if (b == p->prefix ||
		    ((ip[b / 8] ^ p->ip[b / 8]) &
		     (uint8_t)(0xff00 >> (p->prefix - b))) == 0)
			return true;
	}
	return false;
}

unsigned
vpn_driver_acquire(struct vpn_driver *d, const uint8_t *frame, size_t len)
{
	const uint8_t *ip = frame + 14, *src, *dst;
	uint64_t now = vpn_now_ms();
	char s[INET6_ADDRSTRLEN], t[INET6_ADDRSTRLEN];
	unsigned n = 0;
	int af;

	if (len >= 14 + 20 && frame[12] == 0x08 && frame[13] == 0x00 &&
	    (ip[0] >> 4) == 4) {
		af = AF_INET;
		src = ip + 12;
		dst = ip + 16;
	} else if (len >= 14 + 40 && frame[12] == 0x86 && frame[13] == 0xdd &&
		   (ip[0] >> 4) == 6) {
		af = AF_INET6;
		src = ip + 8;
		dst = ip + 24;
	} else {
		return 0;
	}
	for (unsigned i = 0; i < d->n_conns; i++) {
		struct vpn_dconn *c = &d->conns[i];

		if (!c->is_held || !c->in_engine || c->cfg.responder_only ||
		    now - c->acquired_ms < VPN_DRV_ACQUIRE_MS ||
		    !vpn_in_cidrs(af, src, c->cfg.local_ts,
				  c->cfg.n_local_ts) ||
		    !vpn_in_cidrs(af, dst, c->cfg.peer_ts, c->cfg.n_peer_ts))
			continue;
		c->acquired_ms = now;
		inet_ntop(af, src, s, sizeof(s));
		inet_ntop(af, dst, t, sizeof(t));
		log_info("vpn",
			 "connection %s: traffic %s -> %s caught by the trap: "
			 "initiating (dpd action hold)",
			 c->id, s, t);
		if (ike_engine_initiate(d->e, c->eid, now) == 0)
			n++;
	}
	return n;
}
