/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dpsync.c: sluiced's intent -> control/net/'s driver (dpsync.h). Holds
 * the net_view cache (three growable arrays, looked up linearly by id),
 * the observer that keeps it current and forwards datapath-relevant
 * changes to netdrv, and a queue of store writes (binding results, port
 * status) that the driver reports, flushed from a zero-delay event. A
 * slow timer retries bindings that failed (an interface created after its
 * port).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <event2/event.h>
#include <jansson.h>

#include "ctl.h"
#include "dpsync.h"
#include "dpsync_l3.h"
#include "log.h"
#include "netdrv.h"
#include "res.h"
#include "store.h"

#define DPSYNC_RETRY_MS 2000 /* failed bindings are retried this often */
#define DPSYNC_RETRY_MAX 8   /* ... this many per tick */

/* A store write the driver asked for, made later on the loop. */
struct dpsync_job {
	char port_id[CTL_UUID_LEN + 1];
	bool is_status; /* else a binding result */
	enum ctl_status status;
	char vif_type[CTL_KEYWORD_MAX + 1];
	char vif_details[CTL_JSON_MAX + 1];
};

/* What the store says of a port beyond the view (to skip no-op writes). */
struct dpsync_pstate {
	enum ctl_status status;
	uint64_t vif_hash; /* FNV-1a of vif_type NUL vif_details */
};

struct dpsync {
	struct event_base *base;
	struct ctl *ctl;
	struct netdrv *drv;
	struct event *ev_jobs;
	struct event *ev_retry;
	struct net_view_network *nets;
	size_t n_nets, nets_cap;
	struct net_view_subnet *subs;
	size_t n_subs, subs_cap;
	struct net_view_port *ports;
	struct dpsync_pstate *pstate; /* parallel to ports */
	size_t n_ports, ports_cap;
	struct dpsync_job *jobs;
	size_t n_jobs, jobs_cap;
	uint64_t n_skipped;
	struct dpsync_docs docs; /* routers, floating IPs, groups, rules */
};

/* Grow *arr (of elem bytes) to hold need elements. 0 or -ENOMEM. */
static int
dpsync_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap != 0 ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, ncap * elem);
	if (p == NULL)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static uint64_t
dpsync_hash(const char *a, const char *b)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *a != '\0'; a++)
		h = (h ^ (uint8_t)*a) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL;
	for (; *b != '\0'; b++)
		h = (h ^ (uint8_t)*b) * 0x100000001b3ULL;
	return h;
}

static void
dpsync_addr(const struct ctl_ip *ip, struct net_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->version = ip->family;
	out->prefix_len = ip->family == 4 ? 32 : 128;
	memcpy(out->a, ip->addr, sizeof(out->a));
}

static void
dpsync_prefix(const struct ctl_prefix *p, struct net_addr *out)
{
	dpsync_addr(&p->ip, out);
	out->prefix_len = p->len;
}

/* Projections: everything the datapath side sees of an object. */
static void
dpsync_net_view(const struct ctl_network *n, struct net_view_network *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", n->m.id);
	/* Project ids longer than the view holds are cut (display only). */
	snprintf(out->project_id, sizeof(out->project_id), "%.*s",
		 (int)sizeof(out->project_id) - 1, n->m.project_id);
	out->segment_id = n->segmentation_id;
	out->mtu = n->mtu;
	out->is_port_security = n->has_port_security;
	out->is_admin_up = n->is_admin_up;
	out->is_external = n->is_external;
}

static void
dpsync_subnet_view(const struct ctl_subnet *s, struct net_view_subnet *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", s->m.id);
	snprintf(out->network_id, sizeof(out->network_id), "%s", s->network_id);
	dpsync_prefix(&s->cidr, &out->cidr);
	if (s->has_gateway)
		dpsync_addr(&s->gateway_ip, &out->gateway);
	for (unsigned i = 0; i < s->n_dns && i < NET_DNS_MAX; i++)
		dpsync_addr(&s->dns[i], &out->dns[out->n_dns++]);
	for (unsigned i = 0; i < s->n_routes && i < NET_ROUTES_MAX; i++) {
		struct net_view_route *r = &out->routes[out->n_routes++];

		dpsync_prefix(&s->routes[i].destination, &r->dst);
		dpsync_addr(&s->routes[i].nexthop, &r->nexthop);
	}
	out->is_dhcp = s->is_dhcp;
	switch (s->ra_mode) {
	case CTL_V6_SLAAC:
		out->ra_mode = NET_V6_SLAAC;
		break;
	case CTL_V6_DHCP_STATEFUL:
		out->ra_mode = NET_V6_DHCP_STATEFUL;
		break;
	case CTL_V6_DHCP_STATELESS:
		out->ra_mode = NET_V6_DHCP_STATELESS;
		break;
	default:
		out->ra_mode = NET_V6_NONE;
		break;
	}
}

static void
dpsync_port_view(const struct ctl_port *p, struct net_view_port *out)
{
	char err[160] = "";

	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", p->m.id);
	snprintf(out->network_id, sizeof(out->network_id), "%s", p->network_id);
	memcpy(out->mac, p->mac, sizeof(out->mac));
	out->is_admin_up = p->is_admin_up;
	out->is_port_security = p->has_port_security;
	for (unsigned i = 0; i < p->n_fixed_ips && i < NET_PORT_IPS_MAX; i++) {
		struct net_view_fixed_ip *f = &out->ips[out->n_ips++];

		snprintf(f->subnet_id, sizeof(f->subnet_id), "%s",
			 p->fixed_ips[i].subnet_id);
		dpsync_addr(&p->fixed_ips[i].ip, &f->ip);
	}
	for (unsigned i = 0; i < p->n_pairs && i < NET_PAIRS_MAX; i++) {
		struct net_view_pair *a = &out->pairs[out->n_pairs++];

		dpsync_prefix(&p->pairs[i].ip, &a->ip);
		a->has_mac = p->pairs[i].has_mac;
		memcpy(a->mac, p->pairs[i].mac, sizeof(a->mac));
	}
	snprintf(out->device_owner, sizeof(out->device_owner), "%.*s",
		 (int)sizeof(out->device_owner) - 1, p->device_owner);
	snprintf(out->device_id, sizeof(out->device_id), "%.*s",
		 (int)sizeof(out->device_id) - 1, p->device_id);
	for (unsigned i = 0; p->has_port_security && i < p->n_security_groups &&
			     i < NET_PORT_SGS_MAX;
	     i++)
		snprintf(out->sgs[out->n_sgs++], sizeof(out->sgs[0]), "%s",
			 p->security_groups[i]);
	if (p->profile[0] != '\0' &&
	    binder_profile_parse(p->profile, out, err, sizeof(err)) < 0) {
		log_warn("dpsync", "port %s: binding:profile ignored: %s",
			 p->m.id, err);
		out->vif = NET_VIF_NONE;
		out->host_ifname[0] = '\0';
	}
}

static struct net_view_network *
dpsync_net_find(struct dpsync *s, const char *id)
{
	for (size_t i = 0; i < s->n_nets; i++)
		if (strcmp(s->nets[i].id, id) == 0)
			return &s->nets[i];
	return NULL;
}

static struct net_view_subnet *
dpsync_subnet_find(struct dpsync *s, const char *id)
{
	for (size_t i = 0; i < s->n_subs; i++)
		if (strcmp(s->subs[i].id, id) == 0)
			return &s->subs[i];
	return NULL;
}

static ssize_t
dpsync_port_idx(const struct dpsync *s, const char *id)
{
	for (size_t i = 0; i < s->n_ports; i++)
		if (strcmp(s->ports[i].id, id) == 0)
			return (ssize_t)i;
	return -1;
}

/* Cache updates: put (insert or replace) and remove by id. */
static int
dpsync_net_put(struct dpsync *s, const struct net_view_network *v)
{
	struct net_view_network *n = dpsync_net_find(s, v->id);

	if (n == NULL) {
		if (dpsync_grow((void **)&s->nets, &s->nets_cap, s->n_nets + 1,
				sizeof(*s->nets)) < 0)
			return -ENOMEM;
		n = &s->nets[s->n_nets++];
	}
	*n = *v;
	return 0;
}

static int
dpsync_subnet_put(struct dpsync *s, const struct net_view_subnet *v)
{
	struct net_view_subnet *n = dpsync_subnet_find(s, v->id);

	if (n == NULL) {
		if (dpsync_grow((void **)&s->subs, &s->subs_cap, s->n_subs + 1,
				sizeof(*s->subs)) < 0)
			return -ENOMEM;
		n = &s->subs[s->n_subs++];
	}
	*n = *v;
	return 0;
}

/* Room for need ports (ports and pstate share ports_cap). */
static int
dpsync_ports_reserve(struct dpsync *s, size_t need)
{
	size_t cap = s->ports_cap != 0 ? s->ports_cap : 16;
	struct net_view_port *np;
	struct dpsync_pstate *ns;

	if (need <= s->ports_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	np = realloc(s->ports, cap * sizeof(*np));
	if (np == NULL)
		return -ENOMEM;
	s->ports = np;
	ns = realloc(s->pstate, cap * sizeof(*ns));
	if (ns == NULL)
		return -ENOMEM;
	s->pstate = ns;
	s->ports_cap = cap;
	return 0;
}

static int
dpsync_port_put(struct dpsync *s, const struct ctl_port *p,
		const struct net_view_port *v, bool is_new)
{
	ssize_t i = is_new ? -1 : dpsync_port_idx(s, v->id);

	if (i < 0) {
		if (dpsync_ports_reserve(s, s->n_ports + 1) < 0)
			return -ENOMEM;
		i = (ssize_t)s->n_ports++;
	}
	s->ports[i] = *v;
	s->pstate[i].status = p->status;
	s->pstate[i].vif_hash = dpsync_hash(p->vif_type, p->vif_details);
	return 0;
}

/* Remove element i of an array of n elements by moving the last in. */
#define DPSYNC_SWAP_DEL(arr, n, i)                                             \
	do {                                                                   \
		if ((i) != (n)-1)                                              \
			(arr)[i] = (arr)[(n)-1];                               \
	} while (0)

static void
dpsync_port_remove(struct dpsync *s, const char *id)
{
	ssize_t i = dpsync_port_idx(s, id);

	if (i < 0)
		return;
	DPSYNC_SWAP_DEL(s->ports, s->n_ports, (size_t)i);
	DPSYNC_SWAP_DEL(s->pstate, s->n_ports, (size_t)i);
	s->n_ports--;
}

/* The driver's view callback: the cache itself. */
static int
dpsync_view(void *arg, struct net_view *out)
{
	struct dpsync *s = arg;

	out->networks = s->nets;
	out->n_networks = s->n_nets;
	out->subnets = s->subs;
	out->n_subnets = s->n_subs;
	out->ports = s->ports;
	out->n_ports = s->n_ports;
	dpsync_docs_view(&s->docs, out);
	return 0;
}

/* Recompile a port (another's change touched it: dpsync_l3.h). */
static void
dpsync_touch_port(void *arg, const char *port_id)
{
	struct dpsync *s = arg;
	char id[NET_ID_LEN];
	int rc;

	/* The call may change the cache: work on a copy of the id. */
	snprintf(id, sizeof(id), "%s", port_id);
	rc = netdrv_port_changed(s->drv, id, 0);
	if (rc < 0)
		log_warn("dpsync",
			 "port %s: datapath update failed (%s); "
			 "applied on the next resync",
			 id, strerror(-rc));
}

/*
 * Tell the driver about a document change through its entry points
 * (netdrv.h): a router (its rules and its floating IPs'; also on an
 * interface added or removed, which bumps the router), a floating IP (the
 * router it left, whose connections are flushed), a group or a rule (the
 * group's member ports and the ports naming it as remote group).
 */
static void
dpsync_doc_notify(struct dpsync *s, enum ctl_kind kind, const json_t *old,
		  const json_t *cur)
{
	const json_t *doc = cur != NULL ? cur : old;
	const char *old_router = "";
	int rc;

	switch (kind) {
	case CTL_ROUTER:
		rc = netdrv_router_changed(s->drv, res_str(doc, "id"));
		break;
	case CTL_FLOATINGIP:
		if (old != NULL &&
		    (cur == NULL ||
		     strcmp(res_str(old, "router_id"),
			    res_str(cur, "router_id")) != 0 ||
		     strcmp(res_str(old, "fixed_ip_address"),
			    res_str(cur, "fixed_ip_address")) != 0))
			old_router = res_str(old, "router_id");
		rc = netdrv_fip_changed(s->drv, res_str(doc, "id"), old_router);
		break;
	case CTL_SECGROUP:
		rc = netdrv_sg_changed(s->drv, res_str(doc, "id"));
		break;
	case CTL_SGRULE:
	default:
		rc = netdrv_sg_changed(s->drv,
				       res_str(doc, "security_group_id"));
		break;
	}
	if (rc < 0)
		log_warn("dpsync",
			 "%s %s: datapath update failed (%s); applied on the "
			 "next resync",
			 res_singular(kind), res_str(doc, "id"), strerror(-rc));
}

static void
dpsync_doc_changed(void *arg, enum ctl_kind kind, enum ctl_change what,
		   const json_t *old, const json_t *cur)
{
	struct dpsync *s = arg;
	bool is_same = false;

	(void)what;
	if (dpsync_docs_apply(&s->docs, kind, old, cur, &is_same) < 0) {
		log_error("dpsync", "%s %s: out of memory", res_singular(kind),
			  res_str(cur != NULL ? cur : old, "id"));
		return;
	}
	/* A router's interfaces are not in its projection: always tell. */
	if (is_same && kind != CTL_ROUTER) {
		s->n_skipped++;
		return;
	}
	dpsync_doc_notify(s, kind, old, cur);
}

static int
dpsync_job_push(struct dpsync *s, const struct dpsync_job *j)
{
	if (dpsync_grow((void **)&s->jobs, &s->jobs_cap, s->n_jobs + 1,
			sizeof(*s->jobs)) < 0) {
		log_error("dpsync",
			  "port %s: cannot queue a store update: "
			  "out of memory",
			  j->port_id);
		return -ENOMEM;
	}
	s->jobs[s->n_jobs++] = *j;
	event_active(s->ev_jobs, EV_TIMEOUT, 0);
	return 0;
}

static void
dpsync_on_bound(void *arg, const char *port_id, const struct binder_vif *vif,
		const char *err)
{
	struct dpsync *s = arg;
	struct dpsync_job j;
	json_t *d;
	char *txt;

	memset(&j, 0, sizeof(j));
	snprintf(j.port_id, sizeof(j.port_id), "%s", port_id);
	snprintf(j.vif_details, sizeof(j.vif_details), "{}");
	if (vif == NULL) {
		snprintf(j.vif_type, sizeof(j.vif_type), "%s",
			 err != NULL ? "binding_failed" : "unbound");
		if (err != NULL)
			log_warn("dpsync", "port %s: binding failed: %s",
				 port_id, err);
	} else if (strcmp(vif->vif_type, "vhostuser") == 0) {
		snprintf(j.vif_type, sizeof(j.vif_type), "vhostuser");
		d = json_pack("{ss ss}", "vhostuser_socket",
			      vif->vhostuser_socket, "vhostuser_mode",
			      vif->vhostuser_mode);
		txt = d != NULL ? json_dumps(d, JSON_COMPACT) : NULL;
		if (txt != NULL)
			snprintf(j.vif_details, sizeof(j.vif_details), "%s",
				 txt);
		free(txt);
		json_decref(d);
	} else {
		snprintf(j.vif_type, sizeof(j.vif_type), "%s", vif->vif_type);
	}
	dpsync_job_push(s, &j);
}

static void
dpsync_on_status(void *arg, const char *port_id, bool is_up)
{
	struct dpsync *s = arg;
	struct dpsync_job j;

	memset(&j, 0, sizeof(j));
	snprintf(j.port_id, sizeof(j.port_id), "%s", port_id);
	j.is_status = true;
	j.status = is_up ? CTL_STATUS_ACTIVE : CTL_STATUS_DOWN;
	dpsync_job_push(s, &j);
}

static void
dpsync_on_log(void *arg, enum netdrv_log_level level, const char *msg)
{
	(void)arg;
	switch (level) {
	case NETDRV_LOG_ERROR:
		log_error("dpsync", "%s", msg);
		break;
	case NETDRV_LOG_WARN:
		log_warn("dpsync", "%s", msg);
		break;
	default:
		log_info("dpsync", "%s", msg);
		break;
	}
}

/* Make the queued store writes; skip those the store already holds. */
static void
dpsync_on_jobs(evutil_socket_t fd, short what, void *arg)
{
	struct dpsync *s = arg;
	struct dpsync_job *jobs = s->jobs;
	size_t n = s->n_jobs;
	ssize_t i;
	int rc;

	(void)fd;
	(void)what;
	/* Writes notify the observer, which may queue more: detach. */
	s->jobs = NULL;
	s->n_jobs = 0;
	s->jobs_cap = 0;
	for (size_t k = 0; k < n; k++) {
		const struct dpsync_job *j = &jobs[k];

		if ((i = dpsync_port_idx(s, j->port_id)) < 0)
			continue; /* deleted meanwhile */
		if (j->is_status) {
			if (s->pstate[i].status == j->status)
				continue;
			rc = ctl_port_set_status(s->ctl, j->port_id, j->status);
		} else {
			if (s->pstate[i].vif_hash ==
			    dpsync_hash(j->vif_type, j->vif_details))
				continue;
			rc = ctl_port_set_binding(s->ctl, j->port_id,
						  j->vif_type, j->vif_details);
		}
		if (rc < 0 && rc != -ENOENT)
			log_error("dpsync", "port %s: store %s %s: %s",
				  j->port_id,
				  j->is_status ? "status" : "binding",
				  j->is_status ? model_status_name(j->status)
					       : j->vif_type,
				  strerror(-rc));
		else if (rc == 0)
			log_info("dpsync", "port %s: %s %s", j->port_id,
				 j->is_status ? "status" : "vif_type",
				 j->is_status ? model_status_name(j->status)
					      : j->vif_type);
	}
	free(jobs);
}

/* Retry bindings that did not take (a few per tick). */
static void
dpsync_on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct dpsync *s = arg;
	struct netdrv_stats st;
	char id[NET_ID_LEN];
	unsigned n = 0;

	(void)fd;
	(void)what;
	netdrv_stats(s->drv, &st);
	for (size_t i = 0;
	     st.is_connected && i < s->n_ports && n < DPSYNC_RETRY_MAX; i++) {
		if (s->ports[i].vif == NET_VIF_NONE ||
		    netdrv_dp_port(s->drv, s->ports[i].id) != 0)
			continue;
		/* The call may change the cache: work on a copy of the id. */
		snprintf(id, sizeof(id), "%s", s->ports[i].id);
		netdrv_port_changed(s->drv, id, 0);
		n++;
	}
}

static void
dpsync_network_changed(void *arg, enum ctl_change what,
		       const struct ctl_network *old,
		       const struct ctl_network *cur)
{
	struct dpsync *s = arg;
	struct net_view_network v, *have;
	uint32_t old_seg = old != NULL ? old->segmentation_id : 0;

	if (what == CTL_DELETED) {
		have = dpsync_net_find(s, old->m.id);
		if (have != NULL) {
			size_t i = (size_t)(have - s->nets);

			DPSYNC_SWAP_DEL(s->nets, s->n_nets, i);
			s->n_nets--;
		}
		netdrv_network_changed(s->drv, old_seg);
		return;
	}
	dpsync_net_view(cur, &v);
	have = dpsync_net_find(s, cur->m.id);
	if (have != NULL && memcmp(have, &v, sizeof(v)) == 0) {
		s->n_skipped++;
		return;
	}
	if (dpsync_net_put(s, &v) < 0) {
		log_error("dpsync", "network %s: out of memory", cur->m.id);
		return;
	}
	netdrv_network_changed(s->drv, v.segment_id);
	if (old_seg != 0 && old_seg != v.segment_id)
		netdrv_network_changed(s->drv, old_seg);
}

static void
dpsync_subnet_changed(void *arg, enum ctl_change what,
		      const struct ctl_subnet *old,
		      const struct ctl_subnet *cur)
{
	struct dpsync *s = arg;
	struct net_view_subnet v, *have;
	const struct net_view_network *net;
	const char *net_id;

	if (what == CTL_DELETED) {
		have = dpsync_subnet_find(s, old->m.id);
		if (have != NULL) {
			size_t i = (size_t)(have - s->subs);

			DPSYNC_SWAP_DEL(s->subs, s->n_subs, i);
			s->n_subs--;
		}
		net_id = old->network_id;
	} else {
		dpsync_subnet_view(cur, &v);
		have = dpsync_subnet_find(s, cur->m.id);
		if (have != NULL && memcmp(have, &v, sizeof(v)) == 0) {
			s->n_skipped++;
			return;
		}
		if (dpsync_subnet_put(s, &v) < 0) {
			log_error("dpsync", "subnet %s: out of memory",
				  cur->m.id);
			return;
		}
		net_id = cur->network_id;
	}
	/* DHCP answers read the cache; rules of the network's ports too. */
	net = dpsync_net_find(s, net_id);
	if (net != NULL)
		netdrv_network_changed(s->drv, net->segment_id);
}

static void
dpsync_port_changed(void *arg, enum ctl_change what, const struct ctl_port *old,
		    const struct ctl_port *cur)
{
	struct dpsync *s = arg;
	struct net_view_port v;
	struct net_view_port *prev = NULL;
	char id[NET_ID_LEN];
	struct net_view nv;
	ssize_t i;

	if (what == CTL_DELETED) {
		snprintf(id, sizeof(id), "%s", old->m.id);
		i = dpsync_port_idx(s, id);
		if (i >= 0 && (prev = malloc(sizeof(*prev))) != NULL)
			*prev = s->ports[i];
		dpsync_port_remove(s, id);
	} else {
		snprintf(id, sizeof(id), "%s", cur->m.id);
		dpsync_port_view(cur, &v);
		i = dpsync_port_idx(s, id);
		if (i >= 0 && memcmp(&s->ports[i], &v, sizeof(v)) == 0) {
			/* Status, binding result, name...: store only. */
			s->pstate[i].status = cur->status;
			s->pstate[i].vif_hash =
				dpsync_hash(cur->vif_type, cur->vif_details);
			s->n_skipped++;
			return;
		}
		if (i >= 0 && (prev = malloc(sizeof(*prev))) != NULL)
			*prev = s->ports[i];
		if (dpsync_port_put(s, cur, &v, i < 0) < 0) {
			log_error("dpsync", "port %s: out of memory", id);
			free(prev);
			return;
		}
	}
	dpsync_touch_port(s, id);
	/* Groups naming this port's groups as remote follow its addresses. */
	dpsync_view(s, &nv);
	dpsync_docs_port_touched(&nv, prev, what == CTL_DELETED ? NULL : &v,
				 dpsync_touch_port, s);
	free(prev);
}

/* Initial load from the store. */
static int
dpsync_load_net(void *arg, const struct ctl_network *n)
{
	struct net_view_network v;

	dpsync_net_view(n, &v);
	return dpsync_net_put(arg, &v);
}

static int
dpsync_load_subnet(void *arg, const struct ctl_subnet *sn)
{
	struct net_view_subnet v;

	dpsync_subnet_view(sn, &v);
	return dpsync_subnet_put(arg, &v);
}

static int
dpsync_load_port(void *arg, const struct ctl_port *p)
{
	struct net_view_port v;

	dpsync_port_view(p, &v);
	/* Ids are unique in the store: append without a lookup. */
	return dpsync_port_put(arg, p, &v, true);
}

int
dpsync_create(struct event_base *base, struct ctl *ctl,
	      const struct dpsync_config *cfg, struct dpsync **out)
{
	struct netdrv_config dc;
	struct netdrv_ops ops = {
		.view = dpsync_view,
		.port_bound = dpsync_on_bound,
		.port_status = dpsync_on_status,
		.log = dpsync_on_log,
	};
	struct ctl_observer obs = {
		.network_changed = dpsync_network_changed,
		.subnet_changed = dpsync_subnet_changed,
		.port_changed = dpsync_port_changed,
		.doc_changed = dpsync_doc_changed,
	};
	struct timeval retry = {.tv_sec = DPSYNC_RETRY_MS / 1000,
				.tv_usec = (DPSYNC_RETRY_MS % 1000) * 1000};
	struct store *st = ctl_store(ctl);
	struct dpsync *s;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	s->base = base;
	s->ctl = ctl;
	rc = store_network_foreach(st, NULL, dpsync_load_net, s);
	if (rc == 0)
		rc = store_subnet_foreach(st, NULL, dpsync_load_subnet, s);
	if (rc == 0)
		rc = store_port_foreach(st, NULL, dpsync_load_port, s);
	if (rc == 0)
		rc = dpsync_docs_load(&s->docs, st);
	if (rc != 0) {
		log_error("dpsync", "load the intent from the store: %s",
			  strerror(rc < 0 ? -rc : EIO));
		rc = rc < 0 ? rc : -EIO;
		goto fail_free;
	}
	log_info("dpsync",
		 "intent loaded: %zu networks, %zu subnets, %zu "
		 "ports, %zu routers, %zu floating IPs, %zu security groups "
		 "(%zu rules)",
		 s->n_nets, s->n_subs, s->n_ports, s->docs.n_routers,
		 s->docs.n_fips, s->docs.n_sgs, s->docs.n_rules);
	memset(&dc, 0, sizeof(dc));
	snprintf(dc.dp_socket, sizeof(dc.dp_socket), "%s",
		 cfg->dp_socket != NULL ? cfg->dp_socket : "");
	dc.binder.kernel_type = cfg->kernel_port_type != 0
					? cfg->kernel_port_type
					: DP_PORT_AF_PACKET;
	if (cfg->vhost_dir != NULL)
		snprintf(dc.binder.vhost_dir, sizeof(dc.binder.vhost_dir), "%s",
			 cfg->vhost_dir);
	/* A locally administered MAC for the DHCP server's replies. */
	memcpy(dc.dhcp.server_mac, "\x02\x5c\x00\x00\x00\x01", 6);
	dc.poll_ms = cfg->poll_ms != 0 ? cfg->poll_ms : 500;
	dc.reconnect_ms = cfg->reconnect_ms != 0 ? cfg->reconnect_ms : 100;
	dc.neigh = cfg->neigh;
	dc.ra_interval_ms = cfg->ra_interval_ms;
	/*
	 * An AF_XDP port add can take seconds (XDP attach on a veth whose
	 * previous owner was just killed); a call that times out leaves the
	 * port made behind the driver's back, so wait for it.
	 */
	dc.dp_timeout_ms = 10000;
	s->ev_jobs = event_new(base, -1, 0, dpsync_on_jobs, s);
	s->ev_retry = event_new(base, -1, EV_PERSIST, dpsync_on_retry, s);
	if (s->ev_jobs == NULL || s->ev_retry == NULL ||
	    event_add(s->ev_retry, &retry) < 0) {
		rc = -ENOMEM;
		goto fail_events;
	}
	ops.arg = s;
	if ((rc = netdrv_create(base, &dc, &ops, &s->drv)) < 0)
		goto fail_events;
	obs.arg = s;
	if ((rc = ctl_observer_add(ctl, &obs)) < 0) {
		log_error("dpsync", "register the change observer: %s",
			  strerror(-rc));
		goto fail_drv;
	}
	*out = s;
	return 0;
fail_drv:
	netdrv_destroy(s->drv);
fail_events:
	if (s->ev_jobs != NULL)
		event_free(s->ev_jobs);
	if (s->ev_retry != NULL)
		event_free(s->ev_retry);
fail_free:
	dpsync_docs_fini(&s->docs);
	free(s->nets);
	free(s->subs);
	free(s->ports);
	free(s->pstate);
	free(s);
	return rc;
}

void
dpsync_destroy(struct dpsync *s)
{
	if (s == NULL)
		return;
	netdrv_destroy(s->drv);
	event_free(s->ev_jobs);
	event_free(s->ev_retry);
	free(s->jobs);
	dpsync_docs_fini(&s->docs);
	free(s->nets);
	free(s->subs);
	free(s->ports);
	free(s->pstate);
	free(s);
}

struct netdrv *
dpsync_netdrv(struct dpsync *s)
{
	return s->drv;
}

void
dpsync_stats(const struct dpsync *s, struct dpsync_stats *out)
{
	struct netdrv_stats st;

	netdrv_stats(s->drv, &st);
	memset(out, 0, sizeof(*out));
	out->is_connected = st.is_connected;
	out->n_connects = st.n_connects;
	out->n_syncs = st.n_syncs;
	out->n_applies = st.n_applies;
	out->n_dhcp_replies = st.n_dhcp_replies;
	out->n_skipped = s->n_skipped;
	out->last_added = st.last_added;
	out->last_deleted = st.last_deleted;
	out->last_same = st.last_same;
	out->last_sync_ms = st.last_sync_ms;
}
