// SPDX-License-Identifier: BSD-2-Clause
/*
 * dpsync_l3.c: the net_view projection of routers, floating IPs, security
 * groups and rules, and the ports a port's change touches through remote
 * groups (dpsync_l3.h).
 * Each kind is one growable array of its view struct; every view struct
 * starts with its id, so one put/remove serves the four.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpsync_l3.h"
#include "res.h"

/* One kind's array. */
struct dpsync_arr {
	void **v;
	size_t *n, *cap;
	size_t elem;
};

static struct dpsync_arr
dpsync_arr_of(struct dpsync_docs *d, enum ctl_kind kind)
{
	struct dpsync_arr a;

	switch (kind) {
	case CTL_ROUTER:
		a = (struct dpsync_arr){(void **)&d->routers, &d->n_routers,
					&d->routers_cap, sizeof(*d->routers)};
		break;
	case CTL_FLOATINGIP:
		a = (struct dpsync_arr){(void **)&d->fips, &d->n_fips,
					&d->fips_cap, sizeof(*d->fips)};
		break;
	case CTL_SECGROUP:
		a = (struct dpsync_arr){(void **)&d->sgs, &d->n_sgs,
					&d->sgs_cap, sizeof(*d->sgs)};
		break;
	case CTL_SGRULE:
	default:
		a = (struct dpsync_arr){(void **)&d->rules, &d->n_rules,
					&d->rules_cap, sizeof(*d->rules)};
		break;
	}
	return a;
}

/* Element i (every view struct starts with its id). */
static char *
dpsync_arr_at(const struct dpsync_arr *a, size_t i)
{
	return (char *)*a->v + i * a->elem;
}

static ssize_t
dpsync_arr_find(const struct dpsync_arr *a, const char *id)
{
	for (size_t i = 0; i < *a->n; i++) {
		if (strcmp(dpsync_arr_at(a, i), id) == 0)
			return (ssize_t)i;
	}
	return -1;
}

/* Parse an address or prefix; a /0 prefix means any (version 0). */
static void
dpsync_addr_of(const char *s, struct net_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (*s == '\0' || net_addr_parse(s, out) != 0 || out->prefix_len == 0)
		memset(out, 0, sizeof(*out));
}

static void
dpsync_id(char *dst, const json_t *doc, const char *key)
{
	snprintf(dst, NET_ID_LEN, "%s", res_str(doc, key));
}

static void
dpsync_router_of(const json_t *doc, struct net_view_router *r)
{
	json_t *gw = json_object_get(doc, "external_gateway_info"), *e;
	size_t i;

	dpsync_id(r->id, doc, "id");
	dpsync_id(r->project_id, doc, "project_id");
	r->is_admin_up = json_is_true(json_object_get(doc, "admin_state_up"));
	r->is_snat = json_is_object(gw) &&
		     json_is_true(json_object_get(gw, "enable_snat"));
	json_array_foreach(json_object_get(doc, "routes"), i, e)
	{
		struct net_view_route *rt = &r->routes[r->n_routes];

		if (r->n_routes >= NET_ROUTER_ROUTES_MAX)
			break;
		dpsync_addr_of(res_str(e, "destination"), &rt->dst);
		dpsync_addr_of(res_str(e, "nexthop"), &rt->nexthop);
		if (rt->dst.version == 0 && rt->nexthop.version != 0) {
			/* A default route: keep the family, length 0. */
			rt->dst.version = rt->nexthop.version;
		}
		r->n_routes++;
	}
}

static void
dpsync_fip_of(const json_t *doc, struct net_view_fip *f)
{
	dpsync_id(f->id, doc, "id");
	dpsync_id(f->project_id, doc, "project_id");
	dpsync_id(f->floating_network_id, doc, "floating_network_id");
	dpsync_addr_of(res_str(doc, "floating_ip_address"), &f->floating_ip);
	dpsync_id(f->port_id, doc, "port_id");
	dpsync_addr_of(res_str(doc, "fixed_ip_address"), &f->fixed_ip);
	dpsync_id(f->router_id, doc, "router_id");
}

static void
dpsync_sg_of(const json_t *doc, struct net_view_sg *g)
{
	dpsync_id(g->id, doc, "id");
	dpsync_id(g->project_id, doc, "project_id");
	g->is_stateful = !json_is_false(json_object_get(doc, "stateful"));
}

static int32_t
dpsync_port_num(const json_t *v)
{
	return json_is_integer(v) ? (int32_t)json_integer_value(v) : -1;
}

static void
dpsync_rule_of(const json_t *doc, struct net_view_sg_rule *r)
{
	dpsync_id(r->id, doc, "id");
	dpsync_id(r->sg_id, doc, "security_group_id");
	r->direction = strcmp(res_str(doc, "direction"), "egress") == 0
			       ? NET_SG_EGRESS
			       : NET_SG_INGRESS;
	r->ethertype = strcmp(res_str(doc, "ethertype"), "IPv6") == 0 ? 6 : 4;
	r->protocol =
		(int16_t)res_proto_number(json_object_get(doc, "protocol"));
	if (r->protocol < -1)
		r->protocol = -1;
	r->port_min = dpsync_port_num(json_object_get(doc, "port_range_min"));
	r->port_max = dpsync_port_num(json_object_get(doc, "port_range_max"));
	dpsync_addr_of(res_str(doc, "remote_ip_prefix"), &r->remote_prefix);
	dpsync_id(r->remote_group_id, doc, "remote_group_id");
}

/* The view of doc into buf (the kind's view struct, zeroed first). */
static void
dpsync_view_of(enum ctl_kind kind, const json_t *doc, void *buf, size_t len)
{
	memset(buf, 0, len);
	switch (kind) {
	case CTL_ROUTER:
		dpsync_router_of(doc, buf);
		break;
	case CTL_FLOATINGIP:
		dpsync_fip_of(doc, buf);
		break;
	case CTL_SECGROUP:
		dpsync_sg_of(doc, buf);
		break;
	case CTL_SGRULE:
	default:
		dpsync_rule_of(doc, buf);
		break;
	}
}

int
dpsync_docs_apply(struct dpsync_docs *d, enum ctl_kind kind, const json_t *old,
		  const json_t *cur, bool *is_same)
{
	struct dpsync_arr a = dpsync_arr_of(d, kind);
	union {
		struct net_view_router r;
		struct net_view_fip f;
		struct net_view_sg g;
		struct net_view_sg_rule u;
	} * v;
	ssize_t i;

	*is_same = false;
	if (cur == NULL) {
		i = dpsync_arr_find(&a, res_str(old, "id"));
		if (i >= 0) {
			if ((size_t)i != *a.n - 1)
				memcpy(dpsync_arr_at(&a, (size_t)i),
				       dpsync_arr_at(&a, *a.n - 1), a.elem);
			(*a.n)--;
		}
		return 0;
	}
	v = malloc(sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	dpsync_view_of(kind, cur, v, a.elem);
	i = dpsync_arr_find(&a, res_str(cur, "id"));
	if (i < 0) {
		if (*a.n == *a.cap) {
			size_t ncap = *a.cap ? *a.cap * 2 : 16;
			void *nv = realloc(*a.v, ncap * a.elem);

			if (nv == NULL) {
				free(v);
				return -ENOMEM;
			}
			*a.v = nv;
			*a.cap = ncap;
		}
		i = (ssize_t)(*a.n)++;
	} else if (memcmp(dpsync_arr_at(&a, (size_t)i), v, a.elem) == 0) {
		*is_same = true;
	}
	memcpy(dpsync_arr_at(&a, (size_t)i), v, a.elem);
	free(v);
	return 0;
}

struct dpsync_load {
	struct dpsync_docs *d;
	enum ctl_kind kind;
};

static int
dpsync_load_cb(void *arg, json_t *doc)
{
	struct dpsync_load *l = arg;
	bool same;

	return dpsync_docs_apply(l->d, l->kind, NULL, doc, &same);
}

int
dpsync_docs_load(struct dpsync_docs *d, struct store *st)
{
	unsigned k;
	int rc = 0;

	for (k = CTL_ROUTER; rc == 0 && k < CTL_KIND_COUNT; k++) {
		struct dpsync_load l = {d, (enum ctl_kind)k};

		rc = store_doc_foreach(st, (enum ctl_kind)k, NULL,
				       dpsync_load_cb, &l);
	}
	return rc;
}

void
dpsync_docs_fini(struct dpsync_docs *d)
{
	free(d->routers);
	free(d->fips);
	free(d->sgs);
	free(d->rules);
	memset(d, 0, sizeof(*d));
}

void
dpsync_docs_view(struct dpsync_docs *d, struct net_view *v)
{
	size_t i, j;

	for (i = 0; i < d->n_routers; i++)
		d->routers[i].gw_port_id[0] = '\0';
	for (j = 0; j < v->n_ports; j++) {
		const struct net_view_port *p = &v->ports[j];

		if (strcmp(p->device_owner, "network:router_gateway") != 0)
			continue;
		for (i = 0; i < d->n_routers; i++) {
			if (strcmp(d->routers[i].id, p->device_id) == 0)
				memcpy(d->routers[i].gw_port_id, p->id,
				       NET_ID_LEN);
		}
	}
	v->routers = d->routers;
	v->n_routers = d->n_routers;
	v->fips = d->fips;
	v->n_fips = d->n_fips;
	v->sgs = d->sgs;
	v->n_sgs = d->n_sgs;
	v->sg_rules = d->rules;
	v->n_sg_rules = d->n_rules;
}

static bool
dpsync_port_in(const struct net_view_port *p, const char *sg_id)
{
	for (unsigned i = 0; i < p->n_sgs; i++) {
		if (strcmp(p->sgs[i], sg_id) == 0)
			return true;
	}
	return false;
}

/* Ports in group sg_id (not skip). */
static void
dpsync_members(const struct net_view *v, const char *sg_id, const char *skip,
	       void (*port)(void *, const char *), void *arg)
{
	for (size_t i = 0; i < v->n_ports; i++) {
		if (dpsync_port_in(&v->ports[i], sg_id) &&
		    (skip == NULL || strcmp(v->ports[i].id, skip) != 0))
			port(arg, v->ports[i].id);
	}
}

/* Members of groups whose rules name sg_id as remote group. */
static void
dpsync_remote_users(const struct net_view *v, const char *sg_id,
		    const char *skip, void (*port)(void *, const char *),
		    void *arg)
{
	for (size_t i = 0; i < v->n_sg_rules; i++) {
		if (strcmp(v->sg_rules[i].remote_group_id, sg_id) == 0)
			dpsync_members(v, v->sg_rules[i].sg_id, skip, port,
				       arg);
	}
}

void
dpsync_docs_port_touched(const struct net_view *v,
			 const struct net_view_port *old,
			 const struct net_view_port *cur,
			 void (*port)(void *arg, const char *port_id),
			 void *arg)
{
	const struct net_view_port *p[2] = {old, cur};
	const char *self = cur != NULL ? cur->id : old->id;

	for (unsigned k = 0; k < 2; k++) {
		for (unsigned i = 0; p[k] != NULL && i < p[k]->n_sgs; i++) {
			/* A group in both: once is enough. */
			if (k == 1 && old != NULL &&
			    dpsync_port_in(old, p[k]->sgs[i]))
				continue;
			dpsync_remote_users(v, p[k]->sgs[i], self, port, arg);
		}
	}
}
