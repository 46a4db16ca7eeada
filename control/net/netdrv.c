/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netdrv.c: the tenant-network driver (netdrv.h). One connection to
 * sluice-dp at a time; a read event for packet-ins (DHCP); one timer that
 * either retries the connection or polls port status. Any failure of the
 * connection drops it and the timer reconnects; a connection to a new
 * datapath boot re-binds every port and re-adds every rule.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "compiler.h"
#include "dp_client.h"
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
	struct event *ev_read;
	struct event *ev_timer;
	uint64_t boot_id;
	bool has_boot;
	/* The current view, with our copy of the ports (dp_port filled). */
	struct net_view view;
	struct net_view_port *ports;
	size_t ports_cap;
	struct netdrv_stats stats;
};

static void netdrv_arm(struct netdrv *d, unsigned ms);

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
	d->stats.n_syncs++;
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

static void
serve_packet_ins(struct netdrv *d)
{
	struct dp_packet_msg msg;
	uint8_t frame[DP_FRAME_MAX], out[DHCP_FRAME_MAX];
	char err[256];
	size_t out_len, len;
	int rc;

	while (d->c != NULL &&
	       (rc = dp_client_packet_in_recv(d->c, &msg, frame,
					      sizeof(frame))) == 0) {
		if (msg.reason != COMPILER_PUNT_DHCP)
			continue;
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
	return 0;
}

int
netdrv_port_changed(struct netdrv *d, const char *port_id, uint32_t old_segment)
{
	const struct net_view_port *p;
	const struct net_view_network *net;
	uint64_t owners[3];
	size_t n = 0;
	char err[256] = "";
	int rc;

	if (d->c == NULL)
		return 0; /* resynced on connect */
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
	owners[n++] = compiler_cookie_port(port_id);
	p = net_view_port(&d->view, port_id);
	net = p != NULL ? net_view_network(&d->view, p->network_id) : NULL;
	if (net != NULL)
		owners[n++] = compiler_cookie_network(net->segment_id);
	if (old_segment != 0 && (net == NULL || net->segment_id != old_segment))
		owners[n++] = compiler_cookie_network(old_segment);
	return apply(d, owners, n);
}

int
netdrv_network_changed(struct netdrv *d, uint32_t segment)
{
	const struct net_view_network *net = NULL;
	uint64_t *owners;
	size_t n = 0;
	int rc;

	if (d->c == NULL)
		return 0;
	if ((rc = refresh_view(d)) < 0)
		return rc;
	owners = calloc(d->view.n_ports + 1, sizeof(*owners));
	if (owners == NULL)
		return -ENOMEM;
	owners[n++] = compiler_cookie_network(segment);
	for (size_t i = 0; i < d->view.n_networks; i++)
		if (d->view.networks[i].segment_id == segment)
			net = &d->view.networks[i];
	for (size_t i = 0; net != NULL && i < d->view.n_ports; i++)
		if (strcmp(d->view.ports[i].network_id, net->id) == 0)
			owners[n++] = compiler_cookie_port(d->view.ports[i].id);
	rc = apply(d, owners, n);
	free(owners);
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
}
