/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netdrv.c: the tenant-network driver (netdrv.h). One connection to
 * sluice-dp at a time; a read event for packet-ins (DHCP); one timer that
 * either retries the connection or polls port status, re-probes stale
 * next hops and sends due router advertisements. Any failure of the
 * connection drops it and the timer reconnects; a connection to a new
 * datapath boot re-binds every port and re-adds every rule.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "compiler.h"
#include "compiler_lb.h"
#include "compiler_vpn.h"
#include "dhcp6.h"
#include "dp_client.h"
#include "l3svc.h"
#include "net_dp_client.h"
#include "netdrv.h"
#include "reconcile.h"

struct netdrv {
	struct event_base *base;
	struct netdrv_config cfg;
	struct netdrv_ops ops;
	struct dp_client *c; /* NULL while disconnected */
	struct net_dp dp;
	struct binder *b; /* per datapath boot */
	struct dhcp_server dhcp;
	struct dhcp6_server dhcp6;
	struct event *ev_read;
	struct event *ev_timer;
	uint64_t boot_id;
	bool has_boot;
	/* The current view, with our copy of the ports (dp_port filled). */
	struct net_view view;
	struct net_view_port *ports;
	size_t ports_cap;
	struct netdrv_stats stats;
	struct l3svc_stats l3;
	/*
	 * Router and floating-IP owners of the view before a change: a
	 * router interface or a floating IP that is gone from the view still
	 * has rules to remove (snapshot() before, prev_deps() after).
	 */
	struct netdrv_prev *prev; /* as of the refresh before the change */
	size_t n_prev, prev_cap;
	struct netdrv_prev *snap; /* as of the last refresh */
	size_t n_snap, snap_cap;
	struct neigh_table neigh; /* learned next hops' ages */
	double ra_next_ms;	  /* next unsolicited router advertisement */
	unsigned n_ra_rounds;	  /* rounds sent since the last resync */
	/* Next-hop ARP requests sent lately (one a second per hop). */
	struct {
		uint64_t key;
		double at_ms;
	} asked[64];
	/* VPN tunnels (netdrv_vpn_set). */
	struct compiler_vpn_tunnel *vpn;
	size_t n_vpn;
	bool is_ike_punt;
	netdrv_punt_fn ike_fn;
	void *ike_arg;
	netdrv_neigh_fn neigh_fn; /* next hops learned (netdrv_neigh_observe) */
	netdrv_punt_fn trap_fn;	  /* VPN traps (netdrv_vpn_trap_observe) */
	void *trap_arg;
	void *neigh_arg;
	/* Load balancers' VIP rules (netdrv_lb_set). */
	struct compiler_lb *lbs;
	size_t n_lbs;
	uint8_t unrouted[DP_FRAME_MAX]; /* DP_PUNT_TX_MTU: l3svc_unroute() */
};

enum { NEIGH_RETRY_MS = 1000 };

struct netdrv_prev {
	uint64_t cookie;
	uint32_t segment;	    /* a router's port's network, or 0 */
	char port_id[NET_ID_LEN];   /* that port, or a FIP's port */
	char obj_id[NET_ID_LEN];    /* the router or FIP */
	char router_id[NET_ID_LEN]; /* a FIP's router, or "" */
	bool is_fip;
};

static void netdrv_arm(struct netdrv *d, unsigned ms);
static int snap_build(struct netdrv *d);

static void __attribute__((format(printf, 3, 4)))
dlog(struct netdrv *d, enum netdrv_log_level lvl, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (d->ops.log != NULL)
		d->ops.log(d->ops.arg, lvl, msg);
	else
		fprintf(stderr, "netdrv: %s\n", msg);
}

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Errors after which the connection cannot be trusted. */
static bool
is_conn_error(int rc)
{
	switch (-rc) {
	case EPIPE:
	case ECONNRESET:
	case ENOTCONN:
	case ECONNREFUSED:
	case ETIMEDOUT:
	case EIO:
	case EPROTO:
	case EBADMSG:
	case ESHUTDOWN:
		return true;
	default:
		return false;
	}
}

static void
disconnect(struct netdrv *d, const char *why)
{
	if (d->c == NULL)
		return;
	dlog(d, NETDRV_LOG_WARN, "datapath connection lost: %s", why);
	if (d->ev_read != NULL) {
		event_free(d->ev_read);
		d->ev_read = NULL;
	}
	dp_client_close(d->c);
	d->c = NULL;
	d->stats.is_connected = false;
	netdrv_arm(d, d->cfg.reconnect_ms);
}

/* Ask sluiced for the view; copy its ports to fill dp_port. */
static int
refresh_view(struct netdrv *d)
{
	struct net_view v;
	int rc;

	memset(&v, 0, sizeof(v));
	if ((rc = d->ops.view(d->ops.arg, &v)) < 0)
		return rc;
	if (v.n_ports > d->ports_cap) {
		struct net_view_port *np =
			realloc(d->ports, v.n_ports * sizeof(*np));

		if (np == NULL)
			return -ENOMEM;
		d->ports = np;
		d->ports_cap = v.n_ports;
	}
	if (v.n_ports > 0)
		memcpy(d->ports, v.ports, v.n_ports * sizeof(*d->ports));
	for (size_t i = 0; i < v.n_ports; i++)
		d->ports[i].dp_port =
			d->b != NULL ? binder_dp_port(d->b, d->ports[i].id) : 0;
	v.ports = d->ports;
	d->view = v;
	return snap_build(d);
}

static int
owners_add(uint64_t **owners, size_t *n, size_t *cap, uint64_t c)
{
	uint64_t *no;

	for (size_t i = 0; i < *n; i++)
		if ((*owners)[i] == c)
			return 0;
	if (*n == *cap) {
		size_t ncap = *cap != 0 ? *cap * 2 : 16;

		no = realloc(*owners, ncap * sizeof(*no));
		if (no == NULL)
			return -ENOMEM;
		*owners = no;
		*cap = ncap;
	}
	(*owners)[(*n)++] = c;
	return 0;
}

static int
snap_push(struct netdrv *d, uint64_t cookie, uint32_t segment,
	  const char *port_id, const char *obj_id, const char *router_id,
	  bool is_fip)
{
	struct netdrv_prev *e;

	if (d->n_snap == d->snap_cap) {
		size_t ncap = d->snap_cap != 0 ? d->snap_cap * 2 : 16;

		e = realloc(d->snap, ncap * sizeof(*e));
		if (e == NULL)
			return -ENOMEM;
		d->snap = e;
		d->snap_cap = ncap;
	}
	e = &d->snap[d->n_snap++];
	e->cookie = cookie;
	e->segment = segment;
	snprintf(e->port_id, sizeof(e->port_id), "%s", port_id);
	snprintf(e->obj_id, sizeof(e->obj_id), "%s", obj_id);
	snprintf(e->router_id, sizeof(e->router_id), "%s", router_id);
	e->is_fip = is_fip;
	return 0;
}

/*
 * Before a change: what the last refresh saw becomes "before" (copies:
 * sluiced may already have changed the arrays the view points into).
 */
static void
snapshot(struct netdrv *d)
{
	struct netdrv_prev *t = d->prev;
	size_t cap = d->prev_cap;

	d->prev = d->snap;
	d->n_prev = d->n_snap;
	d->prev_cap = d->snap_cap;
	d->snap = t;
	d->snap_cap = cap;
	d->n_snap = 0;
}

/* After a refresh: the routers' ports and the floating IPs of the view. */
static int
snap_build(struct netdrv *d)
{
	const struct net_view *v = &d->view;
	int rc = 0;

	d->n_snap = 0;
	for (size_t i = 0; i < v->n_ports && rc == 0; i++) {
		const struct net_view_port *p = &v->ports[i];
		const struct net_view_network *n;

		if (!compiler_port_is_router(p) ||
		    net_view_router(v, p->device_id) == NULL)
			continue;
		n = net_view_network(v, p->network_id);
		rc = snap_push(d, compiler_cookie_router(p->device_id),
			       n != NULL ? n->segment_id : 0, p->id,
			       p->device_id, "", false);
	}
	for (size_t i = 0; i < v->n_routers && rc == 0; i++)
		rc = snap_push(d, compiler_cookie_router(v->routers[i].id), 0,
			       "", v->routers[i].id, "", false);
	for (size_t i = 0; i < v->n_fips && rc == 0; i++) {
		const struct net_view_router *r =
			compiler_fip_router(v, &v->fips[i]);

		rc = snap_push(d, compiler_cookie_fip(v->fips[i].id), 0,
			       v->fips[i].port_id, v->fips[i].id,
			       r != NULL ? r->id : "", true);
	}
	return rc;
}

/*
 * Floating IPs that were served before the change and are not now (or
 * by another router, or for another port): their router's conntrack zone
 * is flushed, so that connections through the old association stop at
 * once ("gone when disassociated"). The whole zone: the datapath flushes
 * by zone, so the router's other NAT connections start over too.
 */
static void
flush_stale_fips(struct netdrv *d)
{
	char err[256] = "";
	int rc;

	for (size_t i = 0; i < d->n_prev && d->dp.ct_flush != NULL; i++) {
		struct netdrv_prev *e = &d->prev[i];
		const struct net_view_router *r = NULL;
		const struct net_view_fip *f = NULL;
		uint16_t zone;

		if (!e->is_fip || e->router_id[0] == '\0')
			continue;
		for (size_t j = 0; j < d->view.n_fips; j++)
			if (strcmp(d->view.fips[j].id, e->obj_id) == 0)
				f = &d->view.fips[j];
		if (f != NULL)
			r = compiler_fip_router(&d->view, f);
		if (f != NULL && r != NULL &&
		    strcmp(f->port_id, e->port_id) == 0 &&
		    strcmp(r->id, e->router_id) == 0)
			continue;
		zone = compiler_router_zone(e->router_id);
		rc = d->dp.ct_flush(d->dp.ctx, zone, err, sizeof(err));
		dlog(d, rc < 0 ? NETDRV_LOG_WARN : NETDRV_LOG_INFO,
		     "floating IP %s left router %s: zone %u flushed%s%s",
		     e->obj_id, e->router_id, zone, rc < 0 ? ": " : "",
		     rc < 0 ? err : "");
		if (rc < 0 && is_conn_error(rc)) {
			disconnect(d, "ct flush");
			return;
		}
		/* Once per zone and change: forget the zone's entries. */
		for (size_t j = i + 1; j < d->n_prev; j++)
			if (d->prev[j].is_fip &&
			    compiler_router_zone(d->prev[j].router_id) == zone)
				d->prev[j].router_id[0] = '\0';
		e->router_id[0] = '\0';
	}
}

static bool
fip_in_view(const struct net_view *v, const char *id)
{
	for (size_t i = 0; i < v->n_fips; i++)
		if (strcmp(v->fips[i].id, id) == 0)
			return true;
	return false;
}

/*
 * Owners of the snapshot that the change may have left stale: those of
 * port_id (a removed router interface, a port that had a floating IP),
 * of network segment, and routers and floating IPs no longer in the view.
 */
static int
prev_deps(struct netdrv *d, const char *port_id, uint32_t segment,
	  uint64_t **owners, size_t *n, size_t *cap)
{
	int rc;

	for (size_t i = 0; i < d->n_prev; i++) {
		const struct netdrv_prev *e = &d->prev[i];
		bool is_gone = e->is_fip ? !fip_in_view(&d->view, e->obj_id)
					 : net_view_router(&d->view,
							   e->obj_id) == NULL;

		if (!is_gone &&
		    !(port_id != NULL && e->port_id[0] != '\0' &&
		      strcmp(e->port_id, port_id) == 0) &&
		    !(segment != 0 && e->segment == segment))
			continue;
		if ((rc = owners_add(owners, n, cap, e->cookie)) < 0)
			return rc;
	}
	return 0;
}

/* Bind p if it wants a binding and has none. */
static int
bind_one(struct netdrv *d, const struct net_view_port *p)
{
	struct binder_vif vif;
	char err[256] = "";
	int rc;

	if (p->vif == NET_VIF_NONE || binder_dp_port(d->b, p->id) != 0)
		return 0;
	rc = binder_bind(d->b, p, &vif, err, sizeof(err));
	if (rc < 0) {
		dlog(d, NETDRV_LOG_WARN, "bind port %s: %s", p->id, err);
		if (d->ops.port_bound != NULL)
			d->ops.port_bound(d->ops.arg, p->id, NULL, err);
		return is_conn_error(rc) ? rc : 0;
	}
	if (d->ops.port_bound != NULL)
		d->ops.port_bound(d->ops.arg, p->id, &vif, NULL);
	return 0;
}

static bool
keep_port(void *arg, const char *port_id)
{
	struct netdrv *d = arg;
	const struct net_view_port *p = net_view_port(&d->view, port_id);

	return p != NULL && p->vif != NET_VIF_NONE;
}

/*
 * Replace every rule of one owner namespace (VPN, LB) with rs in one
 * transaction; a failure is logged as what, and a lost connection drops it.
 */
static int
replace_ns(struct netdrv *d, uint64_t cookie_ns,
	   const struct compiler_rules *rs, const char *what)
{
	char err[256] = "";
	int rc;

	if ((rc = d->dp.flow_begin(d->dp.ctx, err, sizeof(err))) < 0)
		goto out;
	rc = d->dp.flow_del_cookie(d->dp.ctx, cookie_ns,
				   COMPILER_COOKIE_NS_MASK, err, sizeof(err));
	if (rc == 0 && rs->n > 0)
		rc = d->dp.flow_add(d->dp.ctx, rs->rules, rs->n, err,
				    sizeof(err));
	if (rc == 0)
		rc = d->dp.flow_commit(d->dp.ctx, err, sizeof(err));
	else
		d->dp.flow_abort(d->dp.ctx);
out:
	if (rc < 0) {
		dlog(d, NETDRV_LOG_ERROR, "%s: %s", what,
		     err[0] != '\0' ? err : strerror(-rc));
		if (is_conn_error(rc))
			disconnect(d, what);
	}
	return rc;
}

/* Replace every VPN rule with the tunnels' (one transaction). */
static int
vpn_apply(struct netdrv *d)
{
	struct compiler_rules rs = {0};
	int rc;

	if (d->c == NULL)
		return -ENOTCONN;
	rc = compiler_vpn_all(&d->view, d->vpn, d->n_vpn, d->is_ike_punt, &rs);
	if (rc < 0)
		dlog(d, NETDRV_LOG_ERROR, "vpn rules: %s", strerror(-rc));
	else
		rc = replace_ns(d, COMPILER_VPN_COOKIE_NS, &rs, "vpn rules");
	compiler_rules_fini(&rs);
	return rc;
}

/* Replace every LB rule with the load balancers' (one transaction). */
static int
lb_apply(struct netdrv *d)
{
	struct compiler_rules rs = {0};
	size_t n_bad = 0;
	int rc;

	if (d->c == NULL)
		return -ENOTCONN;
	rc = compiler_lb_all(&d->view, d->lbs, d->n_lbs, &rs, &n_bad);
	if (rc < 0) {
		dlog(d, NETDRV_LOG_ERROR, "lb rules: %s", strerror(-rc));
		goto out;
	}
	if (n_bad > 0)
		dlog(d, NETDRV_LOG_WARN, "%zu load balancers have no rules",
		     n_bad);
	rc = replace_ns(d, COMPILER_LB_COOKIE_NS, &rs, "lb rules");
out:
	compiler_rules_fini(&rs);
	return rc;
}

int
netdrv_lb_set(struct netdrv *d, const struct compiler_lb *lbs, size_t n)
{
	struct compiler_lb *copy = NULL;
	int rc;

	if (n > 0) {
		copy = calloc(n, sizeof(*copy));
		if (copy == NULL)
			return -ENOMEM;
		memcpy(copy, lbs, n * sizeof(*copy));
	}
	if (d->n_lbs == 0 && n == 0) {
		free(copy);
		return 0;
	}
	free(d->lbs);
	d->lbs = copy;
	d->n_lbs = n;
	if (d->c == NULL)
		return -ENOTCONN;
	if ((rc = refresh_view(d)) < 0)
		return rc;
	return lb_apply(d);
}

int
netdrv_vpn_set(struct netdrv *d, const struct compiler_vpn_tunnel *t, size_t n)
{
	struct compiler_vpn_tunnel *copy = NULL;
	int rc;

	if (n > 0) {
		copy = calloc(n, sizeof(*copy));
		if (copy == NULL)
			return -ENOMEM;
		memcpy(copy, t, n * sizeof(*copy));
	}
	free(d->vpn);
	d->vpn = copy;
	d->n_vpn = n;
	if (d->c == NULL)
		return -ENOTCONN;
	if ((rc = refresh_view(d)) < 0)
		return rc;
	return vpn_apply(d);
}

int
netdrv_vpn_ike_punt(struct netdrv *d, bool is_on, netdrv_punt_fn fn, void *arg)
{
	int rc;

	d->is_ike_punt = is_on;
	d->ike_fn = fn;
	d->ike_arg = arg;
	if (d->c == NULL)
		return -ENOTCONN;
	if ((rc = refresh_view(d)) < 0)
		return rc;
	return vpn_apply(d);
}

void
netdrv_vpn_trap_observe(struct netdrv *d, netdrv_punt_fn fn, void *arg)
{
	d->trap_fn = fn;
	d->trap_arg = arg;
}

void
netdrv_neigh_observe(struct netdrv *d, netdrv_neigh_fn fn, void *arg)
{
	d->neigh_fn = fn;
	d->neigh_arg = arg;
}

int
netdrv_packet_out(struct netdrv *d, const uint32_t *ports, size_t n,
		  const uint8_t *frame, size_t len)
{
	char err[256] = "";
	int rc;

	if (d->c == NULL)
		return -ENOTCONN;
	for (size_t i = 0; i < n; i++) {
		rc = d->dp.packet_out(d->dp.ctx, ports[i], frame, len, err,
				      sizeof(err));
		if (rc < 0) {
			if (is_conn_error(rc))
				disconnect(d, "packet-out");
			return rc;
		}
	}
	return 0;
}

const struct net_view *
netdrv_view(const struct netdrv *d)
{
	return &d->view;
}

static int
full_sync(struct netdrv *d)
{
	struct compiler_rules rs = {0};
	struct reconcile_result res;
	char err[256] = "";
	double t0 = now_ms();
	int rc;

	if ((rc = refresh_view(d)) < 0)
		goto out;
	for (size_t i = 0; i < d->view.n_ports; i++)
		if ((rc = bind_one(d, &d->view.ports[i])) < 0)
			goto out;
	rc = binder_prune(d->b, keep_port, d, err, sizeof(err));
	if (rc < 0)
		goto out;
	if ((rc = refresh_view(d)) < 0)
		goto out;
	if ((rc = compiler_all(&d->view, &rs)) < 0) {
		snprintf(err, sizeof(err), "compile: %s", strerror(-rc));
		goto out;
	}
	if (rs.n_cut_floods > 0)
		dlog(d, NETDRV_LOG_WARN,
		     "%zu networks have more ports than a flood reaches (76 "
		     "copies): broadcasts miss the rest",
		     rs.n_cut_floods);
	rc = reconcile_run(&d->dp, rs.rules, rs.n, COMPILER_COOKIE_NS,
			   COMPILER_COOKIE_NS_MASK, &res, err, sizeof(err));
	if (rc < 0)
		goto out;
	if ((d->n_vpn > 0 || d->is_ike_punt) && (rc = vpn_apply(d)) < 0)
		goto out;
	if (d->n_lbs > 0 && (rc = lb_apply(d)) < 0)
		goto out;
	d->stats.n_syncs++;
	d->n_ra_rounds = 0;
	d->ra_next_ms = 0;
	d->stats.last_added = res.n_added;
	d->stats.last_deleted = res.n_deleted;
	d->stats.last_same = res.n_same;
	d->stats.last_sync_ms = now_ms() - t0;
	dlog(d, NETDRV_LOG_INFO,
	     "reconciled: %zu rules added, %zu deleted, %zu unchanged "
	     "(%.1f ms)",
	     res.n_added, res.n_deleted, res.n_same, d->stats.last_sync_ms);
out:
	compiler_rules_fini(&rs);
	if (rc < 0) {
		dlog(d, NETDRV_LOG_ERROR, "resync failed: %s",
		     err[0] != '\0' ? err : strerror(-rc));
		if (is_conn_error(rc))
			disconnect(d, "resync");
	}
	return rc;
}

static void
on_status(void *arg, const char *port_id, uint32_t dp_port, bool is_up)
{
	struct netdrv *d = arg;

	(void)dp_port;
	if (d->ops.port_status != NULL)
		d->ops.port_status(d->ops.arg, port_id, is_up);
}

/* Send frame out of ports; false when the connection failed. */
static bool
send_out(struct netdrv *d, const uint32_t *ports, size_t n,
	 const uint8_t *frame, size_t len, const char *what)
{
	char err[256];
	int rc;

	for (size_t i = 0; i < n; i++) {
		rc = d->dp.packet_out(d->dp.ctx, ports[i], frame, len, err,
				      sizeof(err));
		if (rc < 0) {
			dlog(d, NETDRV_LOG_WARN, "%s to port %u: %s", what,
			     ports[i], err);
			if (is_conn_error(rc)) {
				disconnect(d, "packet-out");
				return false;
			}
		}
	}
	return true;
}

/* Install a learned next hop, IPv4 (4 bytes at ip) or IPv6 (16), in its
 * own namespace (reconcile keeps off). */
static void
neigh_install(struct netdrv *d, const struct net_view_router *r,
	      const uint8_t *ip, bool is6, const uint8_t mac[6])
{
	enum neigh_learned what = NEIGH_NEW;
	struct compiler_rules rs = {0};
	uint64_t c = is6 ? compiler_cookie_neigh6(r->id, ip)
			 : compiler_cookie_neigh(r->id, ip);
	char err[256] = "", txt[INET6_ADDRSTRLEN];
	int rc;

	inet_ntop(is6 ? AF_INET6 : AF_INET, ip, txt, sizeof(txt));
	if ((rc = is6 ? compiler_neigh6(&d->view, r, ip, mac, &rs)
		      : compiler_neigh(&d->view, r, ip, mac, &rs)) < 0 ||
	    (rc = d->dp.flow_begin(d->dp.ctx, err, sizeof(err))) < 0)
		goto out;
	if ((rc = d->dp.flow_del_cookie(d->dp.ctx, c, COMPILER_COOKIE_ALL, err,
					sizeof(err))) < 0 ||
	    (rc = d->dp.flow_add(d->dp.ctx, rs.rules, rs.n, err, sizeof(err))) <
		    0) {
		d->dp.flow_abort(d->dp.ctx);
		goto out;
	}
	rc = d->dp.flow_commit(d->dp.ctx, err, sizeof(err));
out:
	compiler_rules_fini(&rs);
	if (rc < 0) {
		dlog(d, NETDRV_LOG_WARN, "neighbour %s: %s", txt,
		     err[0] ? err : strerror(-rc));
		if (is_conn_error(rc))
			disconnect(d, "neighbour");
		return;
	}
	/*
	 * Installed on every answer, also a re-probe's with the same MAC:
	 * one transaction a reachable time, and a rule lost behind our back
	 * comes back with the next answer.
	 */
	if (neigh_learn(&d->neigh, r->id, is6 ? AF_INET6 : AF_INET, ip, mac,
			now_ms(), &what) < 0)
		dlog(d, NETDRV_LOG_WARN, "neighbour %s: not aged: no memory",
		     txt);
	if (what == NEIGH_SAME)
		return;
	d->stats.n_neighbours++;
	if (what == NEIGH_CHANGED)
		d->stats.n_neigh_changed++;
	dlog(d, NETDRV_LOG_INFO,
	     "router %s: next hop %s is %s%02x:%02x:%02x:%02x:%02x:%02x", r->id,
	     txt, what == NEIGH_CHANGED ? "now " : "", mac[0], mac[1], mac[2],
	     mac[3], mac[4], mac[5]);
}

/* neigh_probe_fn: the request that resolved e, again. */
static int
neigh_probe(void *arg, const struct neigh_entry *e)
{
	struct netdrv *d = arg;
	uint8_t out[L3SVC_FRAME_MAX];
	uint32_t ports[L3SVC_OUT_PORTS_MAX];
	size_t out_len, n_ports;
	int rc;

	if (d->c == NULL)
		return 0;
	rc = l3svc_neigh_probe(&d->view, e->router_id, e->family, e->ip, out,
			       sizeof(out), &out_len, ports, &n_ports, &d->l3);
	if (rc < 0)
		return rc; /* the router or its gateway is gone */
	d->stats.n_neigh_probes++;
	(void)send_out(d, ports, n_ports, out, out_len, "neighbour probe");
	return 0;
}

/* neigh_expire_fn: no answer; remove the rule (traffic punts again). */
static void
neigh_expire(void *arg, const struct neigh_entry *e)
{
	struct netdrv *d = arg;
	uint64_t c = e->family == AF_INET6
			     ? compiler_cookie_neigh6(e->router_id, e->ip)
			     : compiler_cookie_neigh(e->router_id, e->ip);
	char err[256] = "", txt[INET6_ADDRSTRLEN];
	int rc = -ENOTCONN;

	inet_ntop(e->family, e->ip, txt, sizeof(txt));
	d->stats.n_neigh_expired++;
	if (d->c != NULL &&
	    (rc = d->dp.flow_begin(d->dp.ctx, err, sizeof(err))) == 0) {
		rc = d->dp.flow_del_cookie(d->dp.ctx, c, COMPILER_COOKIE_ALL,
					   err, sizeof(err));
		if (rc < 0)
			d->dp.flow_abort(d->dp.ctx);
		else
			rc = d->dp.flow_commit(d->dp.ctx, err, sizeof(err));
	}
	if (rc < 0 && rc != -ENOENT) {
		dlog(d, NETDRV_LOG_WARN, "forget neighbour %s: %s", txt,
		     err[0] ? err : strerror(-rc));
		if (is_conn_error(rc))
			disconnect(d, "neighbour");
	} else {
		dlog(d, NETDRV_LOG_INFO,
		     "router %s: next hop %s unanswered after %u probes: "
		     "forgotten",
		     e->router_id, txt, d->neigh.cfg.n_probes);
	}
	if (d->neigh_fn != NULL)
		d->neigh_fn(d->neigh_arg, 0, e->family, e->ip, NULL);
}

/* Unsolicited router advertisements of every router interface with an
 * advertising subnet (RFC 4861 6.2.4), then the next round's time. */
static void
ra_round(struct netdrv *d, double now)
{
	uint8_t out[L3SVC_FRAME_MAX];
	uint32_t ports[L3SVC_OUT_PORTS_MAX];
	size_t out_len, n_ports;
	unsigned ms;

	if (now < d->ra_next_ms)
		return;
	for (size_t i = 0; i < d->view.n_ports && d->c != NULL; i++) {
		const struct net_view_port *rp = &d->view.ports[i];

		if (!compiler_port_is_router(rp) ||
		    net_view_router(&d->view, rp->device_id) == NULL ||
		    l3svc_router_advert(&d->view, rp, NULL, NULL, out,
					sizeof(out), &out_len, ports, &n_ports,
					&d->l3) < 0)
			continue;
		if (send_out(d, ports, n_ports, out, out_len,
			     "router advertisement"))
			d->stats.n_ra++;
	}
	if (d->cfg.ra_interval_ms != 0)
		ms = d->cfg.ra_interval_ms;
	else if (d->n_ra_rounds < L3SVC_RA_INITIAL_COUNT)
		ms = L3SVC_RA_INITIAL_S * 1000;
	else
		ms = (L3SVC_RA_INTERVAL_MIN_S +
		      (unsigned)rand() % (L3SVC_RA_INTERVAL_MAX_S -
					  L3SVC_RA_INTERVAL_MIN_S)) *
		     1000;
	d->n_ra_rounds++;
	d->ra_next_ms = now + ms;
}

/* True if (router, hop) was asked for less than a second ago. */
static bool
neigh_recently_asked(struct netdrv *d, uint64_t key)
{
	size_t n = sizeof(d->asked) / sizeof(d->asked[0]);
	size_t slot = key % n;
	double now = now_ms();

	if (d->asked[slot].key == key &&
	    now - d->asked[slot].at_ms < NEIGH_RETRY_MS)
		return true;
	d->asked[slot].key = key;
	d->asked[slot].at_ms = now;
	return false;
}

/* The routers' punts (l3svc.h); false when the connection failed. */
static bool
serve_l3(struct netdrv *d, const struct dp_packet_msg *msg,
	 const uint8_t *frame, size_t len)
{
	uint8_t out[L3SVC_FRAME_MAX], ip[4], ip6[16], mac[6];
	uint32_t ports[L3SVC_OUT_PORTS_MAX];
	const struct net_view_router *r;
	uint32_t msg_reason = msg->reason;
	size_t out_len, n_ports;

	if ((msg->reason & DP_PUNT_ESP_MTU_MASK) == DP_PUNT_TX_MTU) {
		/* As it came in, then answered as a tunnel's (l3svc.h). */
		if (len > sizeof(d->unrouted))
			return true;
		memcpy(d->unrouted, frame, len);
		if (l3svc_unroute(&d->view, msg->port, d->unrouted, len,
				  &d->l3) < 0)
			return true;
		frame = d->unrouted;
		msg_reason = DP_PUNT_ESP_MTU | (msg->reason & 0xffffu);
	}
	if ((msg_reason & DP_PUNT_ESP_MTU_MASK) == DP_PUNT_ESP_MTU &&
	    len >= 14 && frame[12] == 0x86 && frame[13] == 0xdd) {
		if (l3svc_packet_too_big(&d->view, msg->port, frame, len,
					 (uint16_t)msg->reason, out,
					 sizeof(out), &out_len, &d->l3) < 0)
			return true;
		d->stats.n_l3_replies++;
		return send_out(d, &msg->port, 1, out, out_len,
				"packet too big");
	}
	if ((msg_reason & DP_PUNT_ESP_MTU_MASK) == DP_PUNT_ESP_MTU) {
		if (l3svc_frag_needed(&d->view, msg->port, frame, len,
				      (uint16_t)msg->reason, out, sizeof(out),
				      &out_len, &d->l3) < 0)
			return true;
		d->stats.n_l3_replies++;
		return send_out(d, &msg->port, 1, out, out_len,
				"fragmentation needed");
	}
	switch (msg->reason) {
	case COMPILER_PUNT_TTL:
		if (l3svc_time_exceeded(&d->view, msg->port, frame, len, out,
					sizeof(out), &out_len, &d->l3) < 0)
			return true;
		d->stats.n_l3_replies++;
		return send_out(d, &msg->port, 1, out, out_len,
				"time exceeded");
	case COMPILER_PUNT_ROUTER_ICMP:
		if (l3svc_echo_reply(&d->view, msg->port, frame, len, out,
				     sizeof(out), &out_len, &d->l3) < 0)
			return true;
		d->stats.n_l3_replies++;
		return send_out(d, &msg->port, 1, out, out_len, "echo reply");
	case COMPILER_PUNT_NEIGH_MISS:
		if (len >= 14 && frame[12] == 0x86 && frame[13] == 0xdd) {
			/* IPv6: a neighbor solicitation (RFC 4861). */
			if (l3svc_nd_request(&d->view, frame, len, out,
					     sizeof(out), &out_len, ports,
					     &n_ports, &r, ip6, &d->l3) < 0 ||
			    neigh_recently_asked(
				    d, compiler_cookie_neigh6(r->id, ip6)))
				return true;
			d->stats.n_arp_requests++;
			return send_out(d, ports, n_ports, out, out_len,
					"neighbor solicitation");
		}
		if (l3svc_arp_request(&d->view, frame, len, out, sizeof(out),
				      &out_len, ports, &n_ports, &r, ip,
				      &d->l3) < 0 ||
		    neigh_recently_asked(d, compiler_cookie_neigh(r->id, ip)))
			return true;
		d->stats.n_arp_requests++;
		return send_out(d, ports, n_ports, out, out_len, "arp request");
	case COMPILER_PUNT_ND_LEARN:
		if (l3svc_nd_learn(&d->view, msg->port, frame, len, &r, ip6,
				   mac, &d->l3) == 0) {
			neigh_install(d, r, ip6, true, mac);
			if (d->neigh_fn != NULL && d->c != NULL)
				d->neigh_fn(d->neigh_arg, msg->port, AF_INET6,
					    ip6, mac);
		}
		return d->c != NULL;
	case COMPILER_PUNT_RS:
		/* One answer a second per port (RFC 4861 6.2.6 allows a
		 * unicast answer at once; this bounds a flood of them). */
		if (l3svc_router_solicit(&d->view, msg->port, frame, len, out,
					 sizeof(out), &out_len, &d->l3) < 0 ||
		    neigh_recently_asked(d, 0x5253000000000000ull | msg->port))
			return true;
		d->stats.n_ra++;
		return send_out(d, &msg->port, 1, out, out_len,
				"router advertisement");
	case COMPILER_PUNT_DHCP6:
		if (dhcp6_server_handle(&d->dhcp6, &d->view, msg->port, frame,
					len, out, sizeof(out), &out_len) < 0)
			return true;
		d->stats.n_dhcp_replies++;
		return send_out(d, &msg->port, 1, out, out_len, "dhcpv6 reply");
	case COMPILER_PUNT_ARP_LEARN:
		if (l3svc_arp_learn(&d->view, msg->port, frame, len, &r, ip,
				    mac, &d->l3) == 0) {
			neigh_install(d, r, ip, false, mac);
			if (d->neigh_fn != NULL && d->c != NULL)
				d->neigh_fn(d->neigh_arg, msg->port, AF_INET,
					    ip, mac);
		}
		return d->c != NULL;
	default:
		return true;
	}
}

static void
serve_packet_ins(struct netdrv *d)
{
	struct dp_packet_msg msg;
	uint8_t frame[DP_FRAME_MAX], out[DHCP_FRAME_MAX];
	char err[256];
	size_t out_len, len;
	int rc = 0;

	while (d->c != NULL &&
	       (rc = dp_client_packet_in_recv(d->c, &msg, frame,
					      sizeof(frame))) == 0) {
		if (msg.reason == COMPILER_PUNT_IKE) {
			len = msg.len < sizeof(frame) ? msg.len : sizeof(frame);
			if (d->ike_fn != NULL)
				d->ike_fn(d->ike_arg, msg.port, frame, len);
			continue;
		}
		if (msg.reason == COMPILER_PUNT_VPN_TRAP) {
			len = msg.len < sizeof(frame) ? msg.len : sizeof(frame);
			if (d->trap_fn != NULL)
				d->trap_fn(d->trap_arg, msg.port, frame, len);
			continue;
		}
		if (msg.reason != COMPILER_PUNT_DHCP) {
			len = msg.len < sizeof(frame) ? msg.len : sizeof(frame);
			if (!serve_l3(d, &msg, frame, len))
				return;
			continue;
		}
		len = msg.len < sizeof(frame) ? msg.len : sizeof(frame);
		if (dhcp_server_handle(&d->dhcp, &d->view, msg.port, frame, len,
				       out, sizeof(out), &out_len) < 0)
			continue;
		rc = d->dp.packet_out(d->dp.ctx, msg.port, out, out_len, err,
				      sizeof(err));
		if (rc < 0) {
			dlog(d, NETDRV_LOG_WARN, "dhcp reply to port %u: %s",
			     msg.port, err);
			if (is_conn_error(rc))
				disconnect(d, "packet-out");
			return;
		}
		d->stats.n_dhcp_replies++;
	}
	if (d->c != NULL && rc != -EAGAIN)
		disconnect(d, dp_client_error(d->c));
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	serve_packet_ins(arg);
}

static int
try_connect(struct netdrv *d)
{
	const char *path =
		d->cfg.dp_socket[0] != '\0' ? d->cfg.dp_socket : NULL;
	struct dp_hello hello;
	char err[256] = "";
	int rc;

	rc = dp_client_connect(path, &d->c, err, sizeof(err));
	if (rc < 0)
		return rc;
	dp_client_set_timeout(d->c, d->cfg.dp_timeout_ms);
	if ((rc = dp_client_hello(d->c, "sluiced", &hello)) < 0)
		goto fail;
	net_dp_client_init(&d->dp, d->c);
	if (!d->has_boot || hello.boot_id != d->boot_id) {
		/* A datapath we have not seen: its ports are its own. */
		binder_destroy(d->b);
		d->b = NULL;
		rc = binder_create(&d->cfg.binder, &d->dp, on_status, d, &d->b);
		if (rc < 0)
			goto fail;
		d->boot_id = hello.boot_id;
		d->has_boot = true;
		neigh_clear(&d->neigh); /* its rules are gone */
		d->stats.n_boots++;
	}
	/*
	 * Adopt the datapath's ports on every connect, not only on a new
	 * boot: a port add that timed out (and so closed the connection) may
	 * still have made the port, and a retry must find it, not fail with
	 * "name in use". binder_sync() skips ports it already knows.
	 */
	if ((rc = binder_sync(d->b, err, sizeof(err))) < 0)
		goto fail;
	if ((rc = dp_client_packet_in_subscribe(d->c)) < 0)
		goto fail;
	d->ev_read = event_new(d->base, dp_client_fd(d->c),
			       EV_READ | EV_PERSIST, on_read, d);
	if (d->ev_read == NULL || event_add(d->ev_read, NULL) < 0) {
		rc = -ENOMEM;
		goto fail;
	}
	d->stats.n_connects++;
	d->stats.is_connected = true;
	dlog(d, NETDRV_LOG_INFO, "connected to sluice-dp (boot %016llx)",
	     (unsigned long long)hello.boot_id);
	return full_sync(d);
fail:
	dlog(d, NETDRV_LOG_WARN, "datapath handshake: %s",
	     err[0] != '\0' ? err : dp_client_error(d->c));
	if (d->ev_read != NULL) {
		event_free(d->ev_read);
		d->ev_read = NULL;
	}
	dp_client_close(d->c);
	d->c = NULL;
	return rc;
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct netdrv *d = arg;
	char err[256] = "";
	int rc;

	(void)fd;
	(void)what;
	if (d->c == NULL) {
		if (try_connect(d) < 0 || d->c == NULL) {
			netdrv_arm(d, d->cfg.reconnect_ms);
			return;
		}
	} else {
		rc = binder_poll(d->b, err, sizeof(err));
		if (rc < 0) {
			if (is_conn_error(rc)) {
				disconnect(d, err);
				return;
			}
			dlog(d, NETDRV_LOG_WARN, "port poll: %s", err);
		}
		serve_packet_ins(d);
		if (d->c != NULL)
			(void)neigh_tick(&d->neigh, now_ms(), neigh_probe,
					 neigh_expire, d);
		if (d->c != NULL)
			ra_round(d, now_ms());
	}
	if (d->c != NULL)
		netdrv_arm(d, d->cfg.poll_ms);
}

static void
netdrv_arm(struct netdrv *d, unsigned ms)
{
	struct timeval tv = {.tv_sec = ms / 1000,
			     .tv_usec = (ms % 1000) * 1000};

	evtimer_add(d->ev_timer, &tv);
}

int
netdrv_create(struct event_base *base, const struct netdrv_config *cfg,
	      const struct netdrv_ops *ops, struct netdrv **out)
{
	struct netdrv *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return -ENOMEM;
	d->base = base;
	d->cfg = *cfg;
	d->ops = *ops;
	if (d->cfg.poll_ms == 0)
		d->cfg.poll_ms = 1000;
	if (d->cfg.reconnect_ms == 0)
		d->cfg.reconnect_ms = 200;
	if (d->cfg.dp_timeout_ms == 0)
		d->cfg.dp_timeout_ms = 5000;
	dhcp_server_init(&d->dhcp, &d->cfg.dhcp);
	dhcp6_server_init(&d->dhcp6, &(struct dhcp6_config){.valid_s = 0});
	memcpy(d->dhcp6.cfg.server_mac, d->cfg.dhcp.server_mac, 6);
	neigh_init(&d->neigh, &d->cfg.neigh);
	d->ev_timer = evtimer_new(base, on_timer, d);
	if (d->ev_timer == NULL) {
		free(d);
		return -ENOMEM;
	}
	netdrv_arm(d, 0);
	*out = d;
	return 0;
}

void
netdrv_destroy(struct netdrv *d)
{
	if (d == NULL)
		return;
	if (d->ev_read != NULL)
		event_free(d->ev_read);
	event_free(d->ev_timer);
	dp_client_close(d->c);
	binder_destroy(d->b);
	free(d->ports);
	free(d->prev);
	free(d->snap);
	free(d->vpn);
	free(d->lbs);
	neigh_fini(&d->neigh);
	free(d);
}

/* Replace the rules of owners[0..n) with the view's. */
static int
apply(struct netdrv *d, const uint64_t *owners, size_t n)
{
	char err[256] = "";
	int rc;

	rc = compiler_apply(&d->dp, &d->view, owners, n, err, sizeof(err));
	if (rc < 0) {
		dlog(d, NETDRV_LOG_ERROR, "update: %s", err);
		if (is_conn_error(rc))
			disconnect(d, "update");
		return rc;
	}
	d->stats.n_applies++;
	flush_stale_fips(d);
	return d->c != NULL ? 0 : -ENOTCONN;
}

int
netdrv_port_changed(struct netdrv *d, const char *port_id, uint32_t old_segment)
{
	const struct net_view_port *p;
	const struct net_view_network *net;
	uint64_t *owners = NULL;
	size_t n = 0, cap = 0;
	char err[256] = "";
	int rc;

	if (d->c == NULL)
		return 0; /* resynced on connect */
	snapshot(d);
	if ((rc = refresh_view(d)) < 0)
		return rc;
	p = net_view_port(&d->view, port_id);
	if (p == NULL || p->vif == NET_VIF_NONE) {
		rc = binder_unbind(d->b, port_id, err, sizeof(err));
		if (rc == 0 && d->ops.port_bound != NULL)
			d->ops.port_bound(d->ops.arg, port_id, NULL, NULL);
		if (rc < 0 && rc != -ENOENT) {
			dlog(d, NETDRV_LOG_WARN, "unbind port %s: %s", port_id,
			     err);
			if (is_conn_error(rc)) {
				disconnect(d, "unbind");
				return rc;
			}
		}
	} else if ((rc = bind_one(d, p)) < 0) {
		disconnect(d, "bind");
		return rc;
	}
	if ((rc = refresh_view(d)) < 0)
		return rc;
	/* Its own rules, its network's, its routers', its floating IPs',
	 * and the security groups that name its groups as remote. */
	if ((rc = compiler_deps_port(&d->view, port_id, &owners, &n, &cap)) <
		    0 ||
	    (rc = prev_deps(d, port_id, old_segment, &owners, &n, &cap)) < 0)
		goto out;
	p = net_view_port(&d->view, port_id);
	net = p != NULL ? net_view_network(&d->view, p->network_id) : NULL;
	if (old_segment != 0 &&
	    (net == NULL || net->segment_id != old_segment)) {
		uint64_t c = compiler_cookie_network(old_segment);
		uint64_t *no = realloc(owners, (n + 1) * sizeof(*owners));

		if (no == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		owners = no;
		owners[n++] = c;
	}
	rc = apply(d, owners, n);
	/* LB delivery rules list the ports of the VIP's network. */
	if (rc == 0 && d->n_lbs > 0)
		rc = lb_apply(d);
out:
	free(owners);
	return rc;
}

int
netdrv_network_changed(struct netdrv *d, uint32_t segment)
{
	const struct net_view_network *net = NULL;
	uint64_t *owners = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (d->c == NULL)
		return 0;
	snapshot(d);
	if ((rc = refresh_view(d)) < 0)
		return rc;
	for (size_t i = 0; i < d->view.n_networks; i++)
		if (d->view.networks[i].segment_id == segment)
			net = &d->view.networks[i];
	/*
	 * The network, its ports (and what depends on them: routers,
	 * security-group stages, floating IPs), the routers it had.
	 */
	rc = owners_add(&owners, &n, &cap, compiler_cookie_network(segment));
	for (size_t i = 0; rc == 0 && net != NULL && i < d->view.n_ports; i++) {
		const struct net_view_port *p = &d->view.ports[i];

		if (strcmp(p->network_id, net->id) != 0)
			continue;
		if (compiler_port_is_router(p) &&
		    net_view_router(&d->view, p->device_id) != NULL)
			rc = compiler_deps_router(&d->view, p->device_id,
						  &owners, &n, &cap);
		else
			rc = compiler_deps_port(&d->view, p->id, &owners, &n,
						&cap);
	}
	if (rc == 0)
		rc = prev_deps(d, NULL, segment, &owners, &n, &cap);
	if (rc == 0)
		rc = apply(d, owners, n);
	if (rc == 0 && d->n_lbs > 0)
		rc = lb_apply(d);
	free(owners);
	return rc;
}

int
netdrv_router_changed(struct netdrv *d, const char *router_id)
{
	uint64_t *owners = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (d->c == NULL)
		return 0;
	snapshot(d);
	if ((rc = refresh_view(d)) < 0)
		return rc;
	rc = compiler_deps_router(&d->view, router_id, &owners, &n, &cap);
	if (rc == 0)
		rc = prev_deps(d, NULL, 0, &owners, &n, &cap);
	if (rc == 0)
		rc = apply(d, owners, n);
	/* A new interface's subnet is advertised soon (RFC 4861 6.2.4). */
	d->n_ra_rounds = 0;
	d->ra_next_ms = 0;
	if (rc == 0 && (d->n_vpn > 0 || d->is_ike_punt))
		rc = vpn_apply(d);
	/* LB rules route via the routers of the VIP's network. */
	if (rc == 0 && d->n_lbs > 0)
		rc = lb_apply(d);
	free(owners);
	return rc;
}

int
netdrv_sg_changed(struct netdrv *d, const char *sg_id)
{
	uint64_t *owners = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (d->c == NULL)
		return 0;
	snapshot(d);
	if ((rc = refresh_view(d)) < 0)
		return rc;
	rc = compiler_deps_sg(&d->view, sg_id, &owners, &n, &cap);
	if (rc == 0 && n > 0)
		rc = apply(d, owners, n);
	free(owners);
	return rc;
}

int
netdrv_fip_changed(struct netdrv *d, const char *fip_id,
		   const char *old_router_id)
{
	uint64_t owner = compiler_cookie_fip(fip_id);
	char err[256] = "";
	int rc;

	if (d->c == NULL)
		return 0;
	snapshot(d);
	if ((rc = refresh_view(d)) < 0)
		return rc;
	if ((rc = apply(d, &owner, 1)) < 0)
		return rc;
	/* A floating IP of a VIP port has LB rules. */
	if (d->n_lbs > 0 && (rc = lb_apply(d)) < 0)
		return rc;
	if (old_router_id == NULL || old_router_id[0] == '\0' ||
	    d->dp.ct_flush == NULL)
		return 0;
	/* The old association's connections stop now, not at timeout. */
	rc = d->dp.ct_flush(d->dp.ctx, compiler_router_zone(old_router_id), err,
			    sizeof(err));
	if (rc < 0) {
		dlog(d, NETDRV_LOG_WARN, "flush zone of router %s: %s",
		     old_router_id, err);
		if (is_conn_error(rc))
			disconnect(d, "ct flush");
	}
	return rc;
}

int
netdrv_resync(struct netdrv *d)
{
	if (d->c == NULL)
		return 0;
	return full_sync(d);
}

uint32_t
netdrv_dp_port(const struct netdrv *d, const char *port_id)
{
	return d->b != NULL ? binder_dp_port(d->b, port_id) : 0;
}

void
netdrv_stats(const struct netdrv *d, struct netdrv_stats *out)
{
	*out = d->stats;
	out->n_frag_needed = d->l3.n_frag_needed;
	out->n_ptb = d->l3.n_ptb;
}
