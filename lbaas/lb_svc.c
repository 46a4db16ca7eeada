// SPDX-License-Identifier: BSD-2-Clause
/*
 * lb_svc.c: the service namespace of each monitored load balancer, the
 * place its health probes leave from (see lb_int.h, lb_netns.h).
 *
 * A load balancer with an enabled health monitor gets, from
 * lb_svc_sync() (called with every health sync, i.e. after each API
 * write and at start):
 *   1. a Neutron port on the VIP's subnet, device_owner "Octavia:health",
 *      device_id the load balancer id, no security groups; IPAM gives it
 *      its address and MAC, and it shows in `openstack port list`;
 *   2. the namespace sluice-lb-<8 hex of the LB id> + veth (lb_netns.c):
 *      eth0 inside with that address and MAC, a default route through
 *      the subnet's gateway (an IPv6 VIP's subnet: an IPv6 address and
 *      route, the probes of its IPv6 members leave from there);
 *   3. the port's binding:profile {"interface": "lbv-<8 hex>"}, so the
 *      port binder attaches the host end to the datapath like a guest's
 *      veth, on the tenant network's segment.
 * The probes of its members are opened inside the namespace (health.h's
 * netns_fd), so two projects' equal member addresses are different
 * targets on different segments. A load balancer (or its last monitor)
 * gone: namespace, veth and port are removed. After a restart of sluiced
 * an existing namespace whose host end still exists is adopted (the
 * datapath port keeps working), else it is made again; the port is
 * found again by device_id and device_owner.
 *
 * Concurrency: the event loop only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lb_int.h"
#include "lb_netns.h"
#include "log.h"
#include "store.h"

/* One load balancer's namespace and health port. */
struct lb_svc {
	char lb_id[CTL_UUID_LEN + 1];
	char port_id[CTL_UUID_LEN + 1];
	struct lb_netns_config cfg;
	int ns_fd;
	bool is_seen;
	bool is_failed; /* logged once; retried on the next sync */
};

static struct lb_svc *
lbs_find(struct lbaas *lb, const char *lb_id)
{
	for (size_t i = 0; i < lb->n_svc; i++)
		if (strcmp(lb->svc[i].lb_id, lb_id) == 0)
			return &lb->svc[i];
	return NULL;
}

/* The health port of lb_id, if stored: copied into *out. */
struct lbs_port_find {
	const char *lb_id;
	struct ctl_port *out;
	bool found;
};

static int
lbs_port_cb(void *arg, const struct ctl_port *p)
{
	struct lbs_port_find *f = arg;

	if (strcmp(p->device_owner, LB_SVC_DEVICE_OWNER) != 0 ||
	    strcmp(p->device_id, f->lb_id) != 0)
		return 0;
	*f->out = *p;
	f->found = true;
	return 1;
}

static int
lbs_port_lookup(struct lbaas *lb, const char *lb_id, struct ctl_port *out)
{
	struct lbs_port_find f = {lb_id, out, false};
	struct store_query q = {0};
	const char *ids[1] = {lb_id};
	int rc;

	q.n_cols = 1;
	q.cols[0].column = "device_id";
	q.cols[0].values = ids;
	q.cols[0].n_values = 1;
	rc = store_port_foreach(lb->st, &q, lbs_port_cb, &f);
	if (rc < 0)
		return -EIO;
	return f.found ? 0 : -ENOENT;
}

/* Make the health port on the VIP's subnet. */
static int
lbs_port_create(struct lbaas *lb, const struct lb_row *r, struct ctl_port *port)
{
	struct ctl_auth admin = {.is_admin = true};
	unsigned present = 0;
	struct ctl_err cerr;
	json_t *pj;
	int rc = -EINVAL;

	pj = json_pack("{ss ss ss ss ss s[{ss}] s[]}", "network_id",
		       lb_store_str(r->doc, "vip_network_id"), "device_owner",
		       LB_SVC_DEVICE_OWNER, "device_id", r->id, "project_id",
		       r->project_id, "name", "octavia-health", "fixed_ips",
		       "subnet_id", lb_store_str(r->doc, "vip_subnet_id"),
		       "security_groups");
	if (pj == NULL)
		return -ENOMEM;
	json_object_set_new(pj, "name",
			    json_sprintf("octavia-health-%s", r->id));
	memset(port, 0, sizeof(*port));
	if (model_port_decode(pj, MODEL_CREATE, port, &present, &cerr) != 0 ||
	    ctl_port_create(lb->ctl, &admin, port, &present, 1, &cerr) != 0) {
		log_warn("lbaas",
			 "load balancer %s: health port on subnet %s: %s",
			 r->id, lb_store_str(r->doc, "vip_subnet_id"),
			 cerr.message);
		goto out;
	}
	rc = 0;
out:
	json_decref(pj);
	return rc;
}

/* Delete port_id (a warning when that fails); 0 or -1. */
static int
lbs_port_delete(struct lbaas *lb, const char *port_id)
{
	struct ctl_auth admin = {.is_admin = true};
	struct ctl_err cerr;

	if (port_id[0] != '\0' &&
	    ctl_port_delete(lb->ctl, &admin, port_id, CTL_NO_IF_MATCH, &cerr) !=
		    0) {
		log_warn("lbaas", "delete port %s: %s", port_id, cerr.message);
		return -1;
	}
	return 0;
}

/* Bind the port to the host end of the veth (the binder attaches it). */
static int
lbs_port_bind(struct lbaas *lb, const struct ctl_port *port,
	      const char *host_if)
{
	struct ctl_auth admin = {.is_admin = true};
	struct ctl_port *out;
	struct ctl_err cerr;
	json_t *body;
	int rc = 0;

	if (strstr(port->profile, host_if) != NULL)
		return 0;
	body = json_pack("{s{ss}}", "binding:profile", "interface", host_if);
	out = malloc(sizeof(*out));
	if (body == NULL || out == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (ctl_port_update(lb->ctl, &admin, port->m.id, body, CTL_NO_IF_MATCH,
			    out, &cerr) != 0) {
		log_warn("lbaas", "bind health port %s to %s: %s", port->m.id,
			 host_if, cerr.message);
		rc = -EIO;
	}
out:
	json_decref(body);
	free(out);
	return rc;
}

/* The namespace's address, prefix and gateway from the port and subnet. */
static int
lbs_config(struct lbaas *lb, const struct ctl_port *port,
	   struct lb_netns_config *cfg)
{
	struct ctl_auth admin = {.is_admin = true};
	struct ctl_subnet *sub;
	struct ctl_err cerr;
	int rc = -EINVAL, fam;
	size_t alen;

	if (port->n_fixed_ips == 0 || (port->fixed_ips[0].ip.family != 4 &&
				       port->fixed_ips[0].ip.family != 6))
		return -EAFNOSUPPORT;
	fam = port->fixed_ips[0].ip.family;
	alen = fam == 6 ? 16 : 4;
	sub = malloc(sizeof(*sub));
	if (sub == NULL)
		return -ENOMEM;
	if (ctl_subnet_get(lb->ctl, &admin, port->fixed_ips[0].subnet_id, sub,
			   &cerr) != 0)
		goto out;
	cfg->family = fam == 6 ? AF_INET6 : AF_INET;
	memcpy(cfg->addr, port->fixed_ips[0].ip.addr, alen);
	cfg->prefix_len = (uint8_t)sub->cidr.len;
	cfg->has_gateway = sub->has_gateway;
	if (sub->has_gateway)
		memcpy(cfg->gateway, sub->gateway_ip.addr, alen);
	cfg->has_mac = true;
	memcpy(cfg->mac, port->mac, 6);
	rc = 0;
out:
	free(sub);
	return rc;
}

/* Port, namespace, binding for load balancer r; 0 or -errno. */
static int
lbs_make(struct lbaas *lb, const struct lb_row *r, struct lb_svc *s)
{
	struct ctl_port *port = malloc(sizeof(*port));
	struct lb_vip_ip vip;
	char a[INET6_ADDRSTRLEN];
	int rc;

	if (port == NULL)
		return -ENOMEM;
	if (lb_vip_ip_parse(lb_store_str(r->doc, "vip_address"), &vip) != 0) {
		rc = -EAFNOSUPPORT;
		goto out;
	}
	rc = lbs_port_lookup(lb, r->id, port);
	if (rc == -ENOENT)
		rc = lbs_port_create(lb, r, port);
	if (rc != 0)
		goto out;
	snprintf(s->port_id, sizeof(s->port_id), "%s", port->m.id);
	if ((rc = lb_netns_names(r->id, &s->cfg)) != 0 ||
	    (rc = lbs_config(lb, port, &s->cfg)) != 0)
		goto out;
	rc = lb_netns_open(&s->cfg, &s->ns_fd);
	if (rc != 0) {
		/* Nothing to adopt (or half of it): make it afresh. */
		(void)lb_netns_destroy(&s->cfg);
		rc = lb_netns_create(&s->cfg, &s->ns_fd);
		if (rc != 0)
			goto out;
	}
	rc = lbs_port_bind(lb, port, s->cfg.host_if);
	if (rc != 0)
		goto out;
	inet_ntop(s->cfg.family, s->cfg.addr, a, sizeof(a));
	log_info("lbaas",
		 "load balancer %s: probes leave from %s (namespace %s, "
		 "port %s on %s)",
		 r->id, a, s->cfg.name, port->m.id, s->cfg.host_if);
out:
	free(port);
	return rc;
}

/* Remove s (namespace, veth, port) and its slot. */
static void
lbs_remove(struct lbaas *lb, size_t i)
{
	struct lb_svc *s = &lb->svc[i];

	log_info("lbaas", "load balancer %s: removing namespace %s", s->lb_id,
		 s->cfg.name);
	if (s->ns_fd >= 0)
		close(s->ns_fd);
	if (s->cfg.name[0] != '\0' && lb_netns_destroy(&s->cfg) != 0)
		log_warn("lbaas", "remove namespace %s: failed", s->cfg.name);
	lbs_port_delete(lb, s->port_id);
	lb->svc[i] = lb->svc[--lb->n_svc];
}

/* Does this load balancer have an enabled health monitor? */
static int
lbs_hm_cb(void *arg, struct lb_row *r)
{
	(void)arg;
	return lb_store_is_up(r->doc) ? 1 : 0;
}

static int
lbs_lb_cb(void *arg, struct lb_row *r)
{
	struct lbaas *lb = arg;
	struct lb_svc *s = lbs_find(lb, r->id);
	int rc;

	rc = lb_store_each(lb, LB_HEALTHMONITOR, "lb_id", r->id, lbs_hm_cb,
			   NULL);
	if (rc < 0 && s != NULL)
		s->is_seen = true; /* keep it through a store failure */
	if (rc != 1)
		return 0;
	if (s != NULL && s->ns_fd >= 0) {
		s->is_seen = true;
		return 0;
	}
	if (s == NULL) {
		if (lb->n_svc == lb->cap_svc) {
			size_t cap = lb->cap_svc ? 2 * lb->cap_svc : 8;
			struct lb_svc *n = realloc(lb->svc, cap * sizeof(*n));

			if (n == NULL)
				return 0;
			lb->svc = n;
			lb->cap_svc = cap;
		}
		s = &lb->svc[lb->n_svc++];
		memset(s, 0, sizeof(*s));
		snprintf(s->lb_id, sizeof(s->lb_id), "%s", r->id);
		s->ns_fd = -1;
	}
	s->is_seen = true;
	rc = lbs_make(lb, r, s);
	if (rc != 0 && !s->is_failed)
		log_error("lbaas",
			  "load balancer %s: no probe namespace (%s): its "
			  "members are not monitored",
			  r->id, strerror(-rc));
	s->is_failed = rc != 0;
	return 0;
}

void
lb_svc_sync(struct lbaas *lb)
{
	size_t i;

	if (!lb->is_probe_netns)
		return;
	for (i = 0; i < lb->n_svc; i++)
		lb->svc[i].is_seen = false;
	if (lb_store_each(lb, LB_LOADBALANCER, NULL, NULL, lbs_lb_cb, lb) !=
	    0) {
		log_error("lbaas", "probe namespaces: the store failed");
		return;
	}
	for (i = lb->n_svc; i-- > 0;)
		if (!lb->svc[i].is_seen)
			lbs_remove(lb, i);
}

/* Ports lbaas made (VIP and health) whose load balancer is gone. */
struct lbs_orphan {
	char id[CTL_UUID_LEN + 1];
	char lb_id[CTL_UUID_LEN + 1];
	bool is_health;
	const char *why;
};

struct lbs_orphans {
	struct lbaas *lb;
	struct lbs_orphan *v;
	size_t n, cap;
};

static int
lbs_orphan_cb(void *arg, const struct ctl_port *p)
{
	struct lbs_orphans *o = arg;
	bool is_vip = strcmp(p->device_owner, LB_VIP_DEVICE_OWNER) == 0;
	bool is_health = strcmp(p->device_owner, LB_SVC_DEVICE_OWNER) == 0;
	char name[64];
	const char *why = "is not stored";
	struct lb_row r;

	if ((!is_vip && !is_health) || strlen(p->device_id) > CTL_UUID_LEN)
		return 0;
	/* Named as lbaas names them (not a port someone else made). */
	snprintf(name, sizeof(name), "octavia-%s-%s", is_vip ? "lb" : "health",
		 p->device_id);
	if (strcmp(p->m.name, name) != 0)
		return 0;
	if (lb_store_get(o->lb, p->device_id, &r) == 0) {
		/* A VIP port is its load balancer's vip_port_id; a health
		 * port has the namespace the first sync kept for it. */
		if (r.kind != LB_LOADBALANCER)
			why = "is not a load balancer";
		else if (is_vip && strcmp(lb_store_str(r.doc, "vip_port_id"),
					  p->m.id) != 0)
			why = "has another VIP port";
		else if (is_health && lbs_find(o->lb, p->device_id) == NULL)
			why = "has no probe namespace (no monitor, or "
			      "probe_netns off)";
		else
			why = NULL;
		lb_store_row_fini(&r);
	}
	if (why == NULL)
		return 0;
	if (o->n == o->cap) {
		size_t cap = o->cap != 0 ? 2 * o->cap : 8;
		struct lbs_orphan *v = realloc(o->v, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		o->v = v;
		o->cap = cap;
	}
	snprintf(o->v[o->n].id, sizeof(o->v[0].id), "%s", p->m.id);
	memcpy(o->v[o->n].lb_id, p->device_id, strlen(p->device_id) + 1);
	o->v[o->n].why = why;
	o->v[o->n++].is_health = is_health;
	return 0;
}

void
lb_svc_sweep(struct lbaas *lb)
{
	struct lbs_orphans o = {.lb = lb};
	struct store_query q = {0};

	if (store_port_foreach(lb->st, &q, lbs_orphan_cb, &o) != 0)
		log_error("lbaas", "orphan ports: the store failed");
	for (size_t i = 0; i < o.n; i++) {
		const struct lbs_orphan *x = &o.v[i];
		struct lb_netns_config cfg;

		if (lbs_port_delete(lb, x->id) != 0)
			continue;
		log_warn("lbaas",
			 "removed %s port %s of load balancer %s, which %s "
			 "(what a stop between two writes leaves)",
			 x->is_health ? "health" : "VIP", x->id, x->lb_id,
			 x->why);
		/* Its namespace, made for that load balancer alone. */
		memset(&cfg, 0, sizeof(cfg));
		if (x->is_health && lb_netns_names(x->lb_id, &cfg) == 0)
			(void)lb_netns_destroy(&cfg);
	}
	free(o.v);
}

int
lb_svc_netns_fd(const struct lbaas *lb, const char *lb_id)
{
	if (!lb->is_probe_netns)
		return -1;
	for (size_t i = 0; i < lb->n_svc; i++)
		if (strcmp(lb->svc[i].lb_id, lb_id) == 0)
			return lb->svc[i].ns_fd;
	return -1;
}

void
lb_svc_fini(struct lbaas *lb)
{
	/* The namespaces outlive sluiced (adopted at the next start). */
	for (size_t i = 0; i < lb->n_svc; i++)
		if (lb->svc[i].ns_fd >= 0)
			close(lb->svc[i].ns_fd);
	free(lb->svc);
	lb->svc = NULL;
	lb->n_svc = lb->cap_svc = 0;
}
