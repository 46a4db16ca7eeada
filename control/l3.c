// SPDX-License-Identifier: BSD-2-Clause
/*
 * l3.c: the rules of routers and floating IPs (their struct ctl_doc_ops,
 * see ctl_int.h), router interfaces, and the port delete hook.
 *
 * A router's interfaces and gateway are ports it owns: device_id the
 * router's id, device_owner network:router_interface (fixed IP = the
 * subnet's gateway_ip) or network:router_gateway (an address of the
 * external network). A floating IP owns a port network:floatingip on its
 * external network that holds its address. These ports are made, taken
 * over and removed here inside the request's transaction, so the port
 * observers (dpsync, DHCP) see them like any other port; the port API
 * cannot delete them (L3PortInUse).
 *
 * Floating IP association follows Neutron: the fixed IP's subnet must be
 * an interface of a router whose gateway is on the floating IP's network
 * (else 404 ExternalGatewayForFloatingIPNotFound), and that router is the
 * floating IP's router_id.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_int.h"
#include "ipam.h"
#include "res.h"
#include "vpn_store.h"

#define L3_IF "network:router_interface"
#define L3_GW "network:router_gateway"
#define L3_FIP "network:floatingip"

/* Ports whose device_id is id (and device_owner owner, NULL: any). */
static int
l3_owned_ports(struct ctl *c, const char *id, const char *owner,
	       struct ctl_port **out, unsigned *n)
{
	const char *vals[1] = {id};
	struct store_query q;
	unsigned i, k;
	int rc;

	ctl_doc_query(&q, "device_id", vals);
	rc = ctl_tx_ports(c, &q, out, n);
	if (rc != 0 || owner == NULL)
		return rc;
	for (i = 0, k = 0; i < *n; i++) {
		if (strcmp((*out)[i].device_owner, owner) == 0)
			(*out)[k++] = (*out)[i];
	}
	*n = k;
	return 0;
}

static void
l3_port_init(struct ctl_port *p, const char *network_id, const char *owner,
	     const char *device_id, const char *project)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->network_id, sizeof(p->network_id), "%s", network_id);
	snprintf(p->device_owner, sizeof(p->device_owner), "%s", owner);
	snprintf(p->device_id, sizeof(p->device_id), "%s", device_id);
	snprintf(p->m.project_id, sizeof(p->m.project_id), "%s", project);
	p->is_admin_up = true;
	p->has_port_security = false;
	strcpy(p->vnic_type, "normal");
	strcpy(p->profile, "{}");
}

static json_t *
l3_fixed_ips_json(const struct ctl_port *p)
{
	char buf[IPAM_STR_MAX];
	json_t *list = json_array();
	unsigned i;

	for (i = 0; i < p->n_fixed_ips; i++)
		json_array_append_new(
			list, json_pack("{ssss}", "subnet_id",
					p->fixed_ips[i].subnet_id, "ip_address",
					ipam_ip_format(&p->fixed_ips[i].ip, buf,
						       sizeof(buf))));
	return list;
}

/* The external network net_id, which must be router:external. */
static int
l3_external_net(struct ctl *c, const char *net_id, const char *what,
		struct ctl_network *net, struct ctl_err *err)
{
	struct ctl_auth admin = {.is_admin = true};
	int rc = ctl_tx_network(c, &admin, net_id, net, err);

	if (rc == 0 && !net->is_external)
		rc = ctl_err_set(err, CTL_E_BAD_REQUEST,
				 "Bad %s request: Network %s is not a valid "
				 "external network.",
				 what, net_id);
	return rc;
}

/* Create router doc's gateway port from its external_gateway_info. */
static int
l3_gw_create(struct ctl *c, json_t *doc, struct ctl_err *err)
{
	json_t *gw = json_object_get(doc, "external_gateway_info");
	json_t *ips = json_object_get(gw, "external_fixed_ips"), *e;
	unsigned present = MODEL_HAS_PORT_SECURITY;
	struct ctl_network *net = malloc(sizeof(*net));
	struct ctl_port *p = malloc(sizeof(*p));
	size_t i;
	int rc;

	if (net == NULL || p == NULL) {
		rc = ctl_tx_store_err(-ENOMEM, err);
		goto out;
	}
	rc = l3_external_net(c, res_str(gw, "network_id"), "router", net, err);
	if (rc != 0)
		goto out;
	l3_port_init(p, net->m.id, L3_GW, res_str(doc, "id"),
		     res_str(doc, "project_id"));
	json_array_foreach(ips, i, e)
	{
		struct ctl_fixed_ip *fi = &p->fixed_ips[p->n_fixed_ips];

		if (p->n_fixed_ips >= CTL_FIXED_IPS_MAX)
			break;
		snprintf(fi->subnet_id, sizeof(fi->subnet_id), "%s",
			 res_str(e, "subnet_id"));
		if (*res_str(e, "ip_address") != '\0')
			ipam_ip_parse(res_str(e, "ip_address"), &fi->ip);
		p->n_fixed_ips++;
		present |= MODEL_HAS_FIXED_IPS;
	}
	rc = ctl_tx_port_create(c, p, present, err);
	if (rc == 0)
		json_object_set_new(gw, "external_fixed_ips",
				    l3_fixed_ips_json(p));
out:
	free(net);
	free(p);
	return rc;
}

/* Floating IPs whose column is value, as a JSON array (NULL: error). */
static json_t *
l3_fips_by(struct ctl *c, const char *column, const char *value)
{
	const char *vals[1] = {value};
	struct store_query q;

	ctl_doc_query(&q, column, vals);
	return ctl_doc_list(c, CTL_FLOATINGIP, &q);
}

/* Count floating IPs routed through router_id. */
static int
l3_router_fips(struct ctl *c, const char *router_id, unsigned *n)
{
	json_t *all = ctl_doc_list(c, CTL_FLOATINGIP, NULL), *f;
	size_t i;

	*n = 0;
	if (all == NULL)
		return -EIO;
	json_array_foreach(all, i, f)
	{
		if (strcmp(res_str(f, "router_id"), router_id) == 0)
			(*n)++;
	}
	json_decref(all);
	return 0;
}

/* Delete the ports id owns with owner. */
static int
l3_ports_del(struct ctl *c, const char *id, const char *owner,
	     struct ctl_err *err)
{
	struct ctl_port *v = NULL;
	unsigned n = 0, i;
	int rc = l3_owned_ports(c, id, owner, &v, &n);

	if (rc != 0)
		rc = ctl_tx_store_err(rc, err);
	for (i = 0; rc == 0 && i < n; i++)
		rc = ctl_tx_port_delete(c, &v[i], err);
	free(v);
	return rc;
}

/* True if ip lies on a subnet router_id is attached to (not its own). */
static int
l3_is_connected(struct ctl *c, const char *router_id, const struct ctl_ip *ip,
		bool *connected, bool *is_own)
{
	struct ctl_port *v = NULL;
	unsigned n = 0, i, j;
	int rc = l3_owned_ports(c, router_id, NULL, &v, &n);

	*connected = false;
	*is_own = false;
	for (i = 0; rc == 0 && i < n; i++) {
		for (j = 0; j < v[i].n_fixed_ips; j++) {
			struct ctl_subnet s;
			struct ctl_auth admin = {.is_admin = true};

			if (ipam_ip_cmp(&v[i].fixed_ips[j].ip, ip) == 0)
				*is_own = true;
			if (ctl_tx_subnet(c, &admin,
					  v[i].fixed_ips[j].subnet_id, &s,
					  NULL) == 0 &&
			    ipam_prefix_contains(&s.cidr, ip))
				*connected = true;
		}
	}
	free(v);
	return rc;
}

/* Every route's nexthop on a connected subnet, none the router's own. */
static int
l3_routes_check(struct ctl *c, const json_t *doc, struct ctl_err *err)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(doc, "routes"), i, r)
	{
		const char *nh = res_str(r, "nexthop");
		bool connected, is_own;
		struct ctl_ip ip;
		int rc;

		if (ipam_ip_parse(nh, &ip) != 0)
			return ctl_err_set(err, CTL_E_BAD_REQUEST,
					   "Invalid nexthop %s", nh);
		rc = l3_is_connected(c, res_str(doc, "id"), &ip, &connected,
				     &is_own);
		if (rc != 0)
			return ctl_tx_store_err(rc, err);
		if (!connected || is_own)
			return ctl_err_set(
				err, CTL_E_BAD_REQUEST,
				"Invalid format for routes: [{'destination': "
				"'%s', 'nexthop': '%s'}], the nexthop is %s",
				res_str(r, "destination"), nh,
				is_own ? "used by router"
				       : "not connected with router");
	}
	return 0;
}

static void
l3_router_status(json_t *doc)
{
	json_object_set_new(
		doc, "status",
		json_string(json_is_true(json_object_get(doc, "admin_state_up"))
				    ? "ACTIVE"
				    : "DOWN"));
}

static int
l3_router_create(struct ctl *c, const struct ctl_auth *auth, json_t *doc,
		 struct ctl_err *err)
{
	(void)auth;
	l3_router_status(doc);
	if (json_is_null(json_object_get(doc, "external_gateway_info")))
		return 0;
	return l3_gw_create(c, doc, err);
}

/* Same gateway: same network and no other addresses asked for. */
static bool
l3_gw_same(const json_t *old, const json_t *cur)
{
	json_t *ips = json_object_get(cur, "external_fixed_ips");

	return !json_is_null(old) && !json_is_null(cur) &&
	       strcmp(res_str(old, "network_id"), res_str(cur, "network_id")) ==
		       0 &&
	       (json_array_size(ips) == 0 ||
		json_equal(ips, json_object_get(old, "external_fixed_ips")));
}

/* Replace the gateway described by ogw with the one of cur. */
static int
l3_gw_update(struct ctl *c, const json_t *ogw, json_t *cur, struct ctl_err *err)
{
	json_t *ngw = json_object_get(cur, "external_gateway_info");
	const char *id = res_str(cur, "id");
	unsigned n = 0;
	int rc;

	if (l3_gw_same(ogw, ngw)) {
		json_object_set(ngw, "external_fixed_ips",
				json_object_get(ogw, "external_fixed_ips"));
		return 0;
	}
	/* Other addresses on the same network keep the floating IPs. */
	if (!json_is_null(ogw) &&
	    (json_is_null(ngw) || strcmp(res_str(ogw, "network_id"),
					 res_str(ngw, "network_id")) != 0)) {
		rc = l3_router_fips(c, id, &n);
		if (rc != 0)
			return ctl_tx_store_err(rc, err);
		if (n > 0)
			return ctl_err_set(err, CTL_E_GW_IN_USE,
					   "Gateway cannot be updated for "
					   "router %s, since a gateway to "
					   "external network %s is required by "
					   "one or more floating IPs.",
					   id, res_str(ogw, "network_id"));
	}
	if (!json_is_null(ogw)) {
		rc = l3_ports_del(c, id, L3_GW, err);
		if (rc != 0)
			return rc;
	}
	return json_is_null(ngw) ? 0 : l3_gw_create(c, cur, err);
}

static int
l3_router_update(struct ctl *c, const struct ctl_auth *auth, const json_t *old,
		 json_t *cur, const json_t *body, struct ctl_err *err)
{
	int rc;

	(void)auth;
	l3_router_status(cur);
	if (json_object_get(body, "external_gateway_info") != NULL) {
		rc = l3_gw_update(c,
				  json_object_get(old, "external_gateway_info"),
				  cur, err);
		if (rc != 0)
			return rc;
	}
	if (json_object_get(body, "routes") != NULL)
		return l3_routes_check(c, cur, err);
	return 0;
}

static int
l3_router_del(struct ctl *c, const struct ctl_auth *auth, const json_t *old,
	      struct ctl_err *err)
{
	const char *id = res_str(old, "id");
	struct ctl_port *v = NULL;
	char svc[64];
	unsigned n = 0;
	int rc;

	(void)auth;
	/* First, as Neutron's VPNaaS refuses before the L3 checks. */
	rc = vpn_store_router_user(ctl_tx_store(c), id, svc, sizeof(svc));
	if (rc < 0)
		return ctl_tx_store_err(rc, err);
	if (rc > 0)
		return ctl_err_set(err, CTL_E_ROUTER_IN_USE,
				   "Router %s is used by VPNService %s", id,
				   svc);
	rc = l3_owned_ports(c, id, L3_IF, &v, &n);
	free(v);
	if (rc != 0)
		return ctl_tx_store_err(rc, err);
	if (n > 0)
		return ctl_err_set(err, CTL_E_ROUTER_IN_USE,
				   "Router %s still has ports", id);
	return l3_ports_del(c, id, L3_GW, err);
}

const struct ctl_doc_ops l3_router_ops = {
	.not_found = CTL_E_ROUTER_NOT_FOUND,
	.label = "Router",
	.create = l3_router_create,
	.update = l3_router_update,
	.del = l3_router_del,
};

/* Interfaces. */

/* Check subnet s against the router's other interfaces. */
static int
l3_if_check(struct ctl *c, const char *router_id, const struct ctl_subnet *s,
	    struct ctl_err *err)
{
	struct ctl_auth admin = {.is_admin = true};
	char a[IPAM_STR_MAX + 8], b[IPAM_STR_MAX + 8];
	struct ctl_port *v = NULL;
	unsigned n = 0, i, j;
	int rc = l3_owned_ports(c, router_id, L3_IF, &v, &n);

	if (rc != 0)
		rc = ctl_tx_store_err(rc, err);
	for (i = 0; rc == 0 && i < n; i++) {
		for (j = 0; rc == 0 && j < v[i].n_fixed_ips; j++) {
			struct ctl_subnet o;

			if (ctl_tx_subnet(c, &admin,
					  v[i].fixed_ips[j].subnet_id, &o,
					  NULL) != 0)
				continue;
			if (strcmp(o.m.id, s->m.id) == 0)
				rc = ctl_err_set(
					err, CTL_E_CONFLICT,
					"Router already has a port on subnet "
					"%s",
					s->m.id);
			else if (ipam_prefix_overlaps(&o.cidr, &s->cidr))
				rc = ctl_err_set(
					err, CTL_E_CONFLICT,
					"Bad router request: Cidr %s of subnet "
					"%s overlaps with cidr %s of subnet %s",
					ipam_prefix_format(&s->cidr, a,
							   sizeof(a)),
					s->m.id,
					ipam_prefix_format(&o.cidr, b,
							   sizeof(b)),
					o.m.id);
		}
	}
	free(v);
	return rc;
}

static int
l3_if_add_subnet(struct ctl *c, const struct ctl_auth *auth,
		 const json_t *router, const char *subnet_id,
		 struct ctl_port *p, struct ctl_err *err)
{
	const char *rid = res_str(router, "id");
	char owner_id[CTL_UUID_LEN + 1];
	struct ctl_subnet s;
	struct ctl_port o;
	int rc;

	rc = ctl_tx_subnet(c, auth, subnet_id, &s, err);
	if (rc != 0)
		return rc;
	if (!s.has_gateway)
		return ctl_err_set(err, CTL_E_BAD_REQUEST,
				   "Bad router request: Subnet %s does not "
				   "have a gateway IP.",
				   subnet_id);
	rc = l3_if_check(c, rid, &s, err);
	if (rc != 0)
		return rc;
	rc = store_ip_owner(ctl_tx_store(c), s.m.id, &s.gateway_ip, owner_id);
	if (rc == 0) {
		struct ctl_auth admin = {.is_admin = true};

		if (ctl_tx_port(c, &admin, owner_id, &o, NULL) == 0 &&
		    strcmp(o.device_owner, L3_IF) == 0)
			return ctl_err_set(err, CTL_E_CONFLICT,
					   "Subnet %s is already attached to "
					   "router %s.",
					   subnet_id, o.device_id);
		return ctl_err_set(err, CTL_E_IP_IN_USE,
				   "The gateway IP of subnet %s is held by "
				   "port %s.",
				   subnet_id, owner_id);
	}
	if (rc != -ENOENT)
		return ctl_tx_store_err(rc, err);
	l3_port_init(p, s.network_id, L3_IF, rid,
		     res_str(router, "project_id"));
	p->n_fixed_ips = 1;
	snprintf(p->fixed_ips[0].subnet_id, sizeof(p->fixed_ips[0].subnet_id),
		 "%s", s.m.id);
	p->fixed_ips[0].ip = s.gateway_ip;
	return ctl_tx_port_create(
		c, p, MODEL_HAS_FIXED_IPS | MODEL_HAS_PORT_SECURITY, err);
}

static int
l3_if_add_port(struct ctl *c, const struct ctl_auth *auth, const json_t *router,
	       const char *port_id, struct ctl_port *p, struct ctl_err *err)
{
	struct ctl_auth admin = {.is_admin = true};
	struct ctl_port old;
	unsigned i;
	int rc = ctl_tx_port(c, auth, port_id, &old, err);

	if (rc != 0)
		return rc;
	if (old.device_owner[0] != '\0' || old.device_id[0] != '\0')
		return ctl_err_set(err, CTL_E_PORT_IN_USE,
				   "Port %s has owner %s and therefore cannot "
				   "be attached to a router.",
				   port_id,
				   old.device_owner[0] ? old.device_owner
						       : old.device_id);
	if (old.n_fixed_ips == 0)
		return ctl_err_set(err, CTL_E_BAD_REQUEST,
				   "Bad router request: Router port must have "
				   "at least one fixed IP.");
	for (i = 0; i < old.n_fixed_ips; i++) {
		struct ctl_subnet s;

		rc = ctl_tx_subnet(c, &admin, old.fixed_ips[i].subnet_id, &s,
				   err);
		if (rc == 0)
			rc = l3_if_check(c, res_str(router, "id"), &s, err);
		if (rc != 0)
			return rc;
	}
	*p = old;
	snprintf(p->device_owner, sizeof(p->device_owner), "%s", L3_IF);
	snprintf(p->device_id, sizeof(p->device_id), "%s",
		 res_str(router, "id"));
	return ctl_tx_port_put(c, &old, p, err);
}

/* 409 if a floating IP or a route of router needs interface port p. */
static int
l3_if_needed(struct ctl *c, const json_t *router, const struct ctl_port *p,
	     struct ctl_err *err)
{
	const char *rid = res_str(router, "id");
	json_t *fips = ctl_doc_list(c, CTL_FLOATINGIP, NULL), *f, *r;
	struct ctl_auth admin = {.is_admin = true};
	size_t i;
	unsigned j;
	int rc = 0;

	if (fips == NULL)
		return ctl_tx_store_err(-EIO, err);
	json_array_foreach(fips, i, f)
	{
		struct ctl_port fp;

		if (strcmp(res_str(f, "router_id"), rid) != 0 ||
		    ctl_tx_port(c, &admin, res_str(f, "port_id"), &fp, NULL) !=
			    0)
			continue;
		if (strcmp(fp.network_id, p->network_id) == 0) {
			rc = ctl_err_set(err, CTL_E_IF_IN_USE,
					 "Router interface for subnet %s on "
					 "router %s cannot be deleted, as it "
					 "is required by one or more floating "
					 "IPs.",
					 p->fixed_ips[0].subnet_id, rid);
			break;
		}
	}
	json_decref(fips);
	json_array_foreach(json_object_get(router, "routes"), i, r)
	{
		struct ctl_ip nh;

		if (rc != 0 || ipam_ip_parse(res_str(r, "nexthop"), &nh) != 0)
			break;
		for (j = 0; j < p->n_fixed_ips; j++) {
			struct ctl_subnet s;

			if (ctl_tx_subnet(c, &admin, p->fixed_ips[j].subnet_id,
					  &s, NULL) == 0 &&
			    ipam_prefix_contains(&s.cidr, &nh))
				rc = ctl_err_set(
					err, CTL_E_IF_IN_USE,
					"Router interface for subnet %s on "
					"router %s cannot be deleted, as it is "
					"required by one or more routes.",
					s.m.id, rid);
		}
	}
	return rc;
}

static int
l3_if_remove(struct ctl *c, const json_t *router, const char *subnet_id,
	     const char *port_id, struct ctl_port *p, struct ctl_err *err)
{
	const char *rid = res_str(router, "id");
	struct ctl_port *v = NULL;
	unsigned n = 0, i, j;
	bool found = false;
	int rc = l3_owned_ports(c, rid, L3_IF, &v, &n);

	if (rc != 0) {
		free(v);
		return ctl_tx_store_err(rc, err);
	}
	for (i = 0; i < n && !found; i++) {
		if (port_id != NULL) {
			found = strcmp(v[i].m.id, port_id) == 0;
		} else {
			for (j = 0; j < v[i].n_fixed_ips; j++)
				found = found ||
					strcmp(v[i].fixed_ips[j].subnet_id,
					       subnet_id) == 0;
		}
		if (found)
			*p = v[i];
	}
	free(v);
	if (!found)
		return port_id != NULL
			       ? ctl_err_set(err, CTL_E_IF_NOT_FOUND,
					     "Router %s does not have an "
					     "interface with id %s",
					     rid, port_id)
			       : ctl_err_set(err, CTL_E_IF_NOT_FOUND,
					     "Router %s has no interface on "
					     "subnet %s",
					     rid, subnet_id);
	rc = l3_if_needed(c, router, p, err);
	if (rc == 0)
		rc = ctl_tx_port_delete(c, p, err);
	return rc;
}

/* The id in body: exactly one of subnet_id, port_id. */
static int
l3_if_body(const json_t *body, const char **subnet_id, const char **port_id,
	   struct ctl_err *err)
{
	json_t *s = json_object_get(body, "subnet_id");
	json_t *p = json_object_get(body, "port_id");
	const char *key;
	json_t *v;

	*subnet_id = json_string_value(s);
	*port_id = json_string_value(p);
	json_object_foreach((json_t *)body, key, v)
	{
		(void)v;
		if (strcmp(key, "subnet_id") != 0 &&
		    strcmp(key, "port_id") != 0)
			return ctl_err_set(err, CTL_E_BAD_REQUEST,
					   "Unrecognized attribute(s) '%.64s'",
					   key);
	}
	if (s != NULL && p != NULL)
		return ctl_err_set(err, CTL_E_BAD_REQUEST,
				   "Bad router request: Cannot specify both "
				   "subnet-id and port-id");
	if ((s == NULL && p == NULL) || (s != NULL && *subnet_id == NULL) ||
	    (p != NULL && *port_id == NULL))
		return ctl_err_set(err, CTL_E_BAD_REQUEST,
				   "Bad router request: Either subnet_id or "
				   "port_id must be specified");
	return 0;
}

static json_t *
l3_if_answer(const json_t *router, const struct ctl_port *p)
{
	json_t *ids = json_array();
	unsigned i;

	for (i = 0; i < p->n_fixed_ips; i++)
		json_array_append_new(ids,
				      json_string(p->fixed_ips[i].subnet_id));
	return json_pack("{ss ss so ss ss ss ss}", "id", res_str(router, "id"),
			 "subnet_id",
			 p->n_fixed_ips > 0 ? p->fixed_ips[0].subnet_id : "",
			 "subnet_ids", ids, "port_id", p->m.id, "network_id",
			 p->network_id, "tenant_id",
			 res_str(router, "project_id"), "project_id",
			 res_str(router, "project_id"));
}

int
ctl_router_interface(struct ctl *c, const struct ctl_auth *auth,
		     const char *router_id, const json_t *body, bool is_add,
		     json_t **out, struct ctl_err *err)
{
	const char *subnet_id, *port_id;
	json_t *old = NULL, *cur = NULL;
	struct ctl_port *p;
	int rc;

	*out = NULL;
	if (l3_if_body(body, &subnet_id, &port_id, err) != 0)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return ctl_tx_store_err(-ENOMEM, err);
	if (ctl_tx_begin(c, err) != 0) {
		free(p);
		return -EIO;
	}
	rc = ctl_doc_lookup(c, auth, CTL_ROUTER, router_id, &old, err);
	if (rc == 0 && !ctl_tx_is_owner(auth, res_str(old, "project_id")))
		rc = ctl_err_set(err, CTL_E_FORBIDDEN,
				 "(rule:update_router) is disallowed by "
				 "policy");
	if (rc == 0 && is_add)
		rc = subnet_id != NULL
			     ? l3_if_add_subnet(c, auth, old, subnet_id, p, err)
			     : l3_if_add_port(c, auth, old, port_id, p, err);
	else if (rc == 0)
		rc = l3_if_remove(c, old, subnet_id, port_id, p, err);
	if (rc == 0) {
		cur = json_deep_copy(old);
		rc = cur == NULL ? ctl_tx_store_err(-ENOMEM, err)
				 : ctl_doc_put(c, CTL_ROUTER, old, cur, err);
	}
	rc = ctl_tx_end(c, rc, err);
	if (rc == 0)
		*out = l3_if_answer(old, p);
	json_decref(old);
	json_decref(cur);
	free(p);
	return rc;
}

/* Floating IPs. */

/* Router of fixed IP fi (on port p) with a gateway on ext_net. */
static int
l3_fip_router(struct ctl *c, const struct ctl_port *p,
	      const struct ctl_fixed_ip *fi, const char *ext_net,
	      char *router_id, struct ctl_err *err)
{
	const char *vals[1] = {p->network_id};
	struct store_query q;
	struct ctl_port *v = NULL;
	unsigned n = 0, i, j;
	int rc;

	router_id[0] = '\0';
	ctl_doc_query(&q, "network_id", vals);
	rc = ctl_tx_ports(c, &q, &v, &n);
	for (i = 0; rc == 0 && i < n && router_id[0] == '\0'; i++) {
		json_t *r = NULL;

		if (strcmp(v[i].device_owner, L3_IF) != 0)
			continue;
		for (j = 0; j < v[i].n_fixed_ips; j++) {
			if (strcmp(v[i].fixed_ips[j].subnet_id,
				   fi->subnet_id) == 0)
				break;
		}
		if (j == v[i].n_fixed_ips ||
		    store_doc_get(ctl_tx_store(c), CTL_ROUTER, v[i].device_id,
				  &r) != 0)
			continue;
		if (strcmp(res_str(json_object_get(r, "external_gateway_info"),
				   "network_id"),
			   ext_net) == 0)
			snprintf(router_id, CTL_UUID_LEN + 1, "%.36s",
				 v[i].device_id);
		json_decref(r);
	}
	free(v);
	if (rc != 0)
		return ctl_tx_store_err(rc, err);
	if (router_id[0] == '\0')
		return ctl_err_set(err, CTL_E_NO_EXT_GW,
				   "External network %s is not reachable from "
				   "subnet %s.  Therefore, cannot associate "
				   "Port %s with a Floating IP.",
				   ext_net, fi->subnet_id, p->m.id);
	return 0;
}

static void
l3_fip_clear(json_t *doc)
{
	json_object_set_new(doc, "port_id", json_null());
	json_object_set_new(doc, "fixed_ip_address", json_null());
	json_object_set_new(doc, "router_id", json_null());
	json_object_set_new(doc, "status", json_string("DOWN"));
}

/* Associate doc with its port_id / fixed_ip_address (or clear). */
static int
l3_fip_associate(struct ctl *c, const struct ctl_auth *auth, json_t *doc,
		 struct ctl_err *err)
{
	const char *port_id = res_str(doc, "port_id");
	const char *want = res_str(doc, "fixed_ip_address");
	char router_id[CTL_UUID_LEN + 1], buf[IPAM_STR_MAX];
	const struct ctl_fixed_ip *fi = NULL;
	json_t *others, *f;
	struct ctl_port p;
	struct ctl_ip ip;
	unsigned i;
	size_t k;
	int rc;

	if (*port_id == '\0') {
		l3_fip_clear(doc);
		return 0;
	}
	rc = ctl_tx_port(c, auth, port_id, &p, err);
	if (rc != 0)
		return rc;
	if (*want != '\0' && ipam_ip_parse(want, &ip) != 0)
		return ctl_err_set(err, CTL_E_BAD_REQUEST, "Bad fixed IP");
	for (i = 0; i < p.n_fixed_ips && fi == NULL; i++) {
		if (*want != '\0' ? ipam_ip_cmp(&p.fixed_ips[i].ip, &ip) == 0
				  : p.fixed_ips[i].ip.family == 4)
			fi = &p.fixed_ips[i];
	}
	if (fi == NULL)
		return *want != '\0'
			       ? ctl_err_set(err, CTL_E_BAD_REQUEST,
					     "Bad floatingip request: Port %s "
					     "does not have fixed ip %s.",
					     port_id, want)
			       : ctl_err_set(err, CTL_E_BAD_REQUEST,
					     "Bad floatingip request: Port %s "
					     "does not have any IPv4 address.",
					     port_id);
	ipam_ip_format(&fi->ip, buf, sizeof(buf));
	others = l3_fips_by(c, "port_id", port_id);
	if (others == NULL)
		return ctl_tx_store_err(-EIO, err);
	json_array_foreach(others, k, f)
	{
		if (strcmp(res_str(f, "id"), res_str(doc, "id")) != 0 &&
		    strcmp(res_str(f, "fixed_ip_address"), buf) == 0) {
			rc = ctl_err_set(err, CTL_E_FIP_ASSOCIATED,
					 "Cannot associate floating IP %s (%s) "
					 "with port %s using fixed IP %s, as "
					 "that fixed IP already has a "
					 "floating IP on external network %s.",
					 res_str(doc, "floating_ip_address"),
					 res_str(doc, "id"), port_id, buf,
					 res_str(f, "floating_network_id"));
			break;
		}
	}
	json_decref(others);
	if (rc == 0)
		rc = l3_fip_router(c, &p, fi,
				   res_str(doc, "floating_network_id"),
				   router_id, err);
	if (rc != 0)
		return rc;
	json_object_set_new(doc, "fixed_ip_address", json_string(buf));
	json_object_set_new(doc, "router_id", json_string(router_id));
	json_object_set_new(doc, "status", json_string("ACTIVE"));
	return 0;
}

/* The first IPv4 subnet of network net_id: 0 with id, or 400. */
static int
l3_v4_subnet(struct ctl *c, const char *net_id, char *id, struct ctl_err *err)
{
	struct ctl_subnet *v = NULL;
	unsigned n = 0, i;
	int rc = ctl_tx_subnets(c, net_id, &v, &n);

	id[0] = '\0';
	for (i = 0; rc == 0 && i < n && id[0] == '\0'; i++) {
		if (v[i].ip_version == 4)
			snprintf(id, CTL_UUID_LEN + 1, "%s", v[i].m.id);
	}
	free(v);
	if (rc != 0)
		return ctl_tx_store_err(rc, err);
	if (id[0] == '\0')
		return ctl_err_set(err, CTL_E_BAD_REQUEST,
				   "Bad floatingip request: Network %s does "
				   "not contain any IPv4 subnet",
				   net_id);
	return 0;
}

static int
l3_fip_create(struct ctl *c, const struct ctl_auth *auth, json_t *doc,
	      struct ctl_err *err)
{
	const char *net_id = res_str(doc, "floating_network_id");
	const char *want = res_str(doc, "floating_ip_address");
	struct ctl_network *net = malloc(sizeof(*net));
	struct ctl_port *p = malloc(sizeof(*p));
	char buf[IPAM_STR_MAX];
	struct ctl_fixed_ip *fi;
	int rc;

	if (net == NULL || p == NULL) {
		rc = ctl_tx_store_err(-ENOMEM, err);
		goto out;
	}
	rc = l3_external_net(c, net_id, "floatingip", net, err);
	if (rc != 0)
		goto out;
	l3_port_init(p, net_id, L3_FIP, res_str(doc, "id"),
		     res_str(doc, "project_id"));
	fi = &p->fixed_ips[0];
	p->n_fixed_ips = 1;
	snprintf(fi->subnet_id, sizeof(fi->subnet_id), "%s",
		 res_str(doc, "subnet_id"));
	if (*want != '\0')
		ipam_ip_parse(want, &fi->ip);
	else if (fi->subnet_id[0] == '\0')
		rc = l3_v4_subnet(c, net_id, fi->subnet_id, err);
	if (rc == 0)
		rc = ctl_tx_port_create(
			c, p, MODEL_HAS_FIXED_IPS | MODEL_HAS_PORT_SECURITY,
			err);
	if (rc != 0)
		goto out;
	json_object_del(doc, "subnet_id");
	json_object_set_new(doc, "floating_ip_address",
			    json_string(ipam_ip_format(&p->fixed_ips[0].ip, buf,
						       sizeof(buf))));
	rc = l3_fip_associate(c, auth, doc, err);
out:
	free(net);
	free(p);
	return rc;
}

static int
l3_fip_update(struct ctl *c, const struct ctl_auth *auth, const json_t *old,
	      json_t *cur, const json_t *body, struct ctl_err *err)
{
	(void)old;
	if (json_object_get(body, "port_id") == NULL &&
	    json_object_get(body, "fixed_ip_address") == NULL)
		return 0;
	/* A new port without a fixed IP: pick again. */
	if (json_object_get(body, "fixed_ip_address") == NULL &&
	    strcmp(res_str(old, "port_id"), res_str(cur, "port_id")) != 0)
		json_object_set_new(cur, "fixed_ip_address", json_null());
	return l3_fip_associate(c, auth, cur, err);
}

static int
l3_fip_del(struct ctl *c, const struct ctl_auth *auth, const json_t *old,
	   struct ctl_err *err)
{
	(void)auth;
	return l3_ports_del(c, res_str(old, "id"), L3_FIP, err);
}

const struct ctl_doc_ops l3_fip_ops = {
	.not_found = CTL_E_FIP_NOT_FOUND,
	.label = "Floating IP",
	.create = l3_fip_create,
	.update = l3_fip_update,
	.del = l3_fip_del,
};

int
l3_port_deleting(struct ctl *c, const struct ctl_port *p, struct ctl_err *err)
{
	json_t *fips, *f, *cur;
	size_t i;
	int rc = 0;

	if (strcmp(p->device_owner, L3_IF) == 0 ||
	    strcmp(p->device_owner, L3_GW) == 0 ||
	    strcmp(p->device_owner, L3_FIP) == 0)
		return ctl_err_set(err, CTL_E_L3_PORT_IN_USE,
				   "Port %s cannot be deleted directly via the "
				   "port API: has device owner %s.",
				   p->m.id, p->device_owner);
	fips = l3_fips_by(c, "port_id", p->m.id);
	if (fips == NULL)
		return ctl_tx_store_err(-EIO, err);
	json_array_foreach(fips, i, f)
	{
		cur = json_deep_copy(f);
		if (cur == NULL) {
			rc = ctl_tx_store_err(-ENOMEM, err);
			break;
		}
		l3_fip_clear(cur);
		rc = ctl_doc_put(c, CTL_FLOATINGIP, f, cur, err);
		json_decref(cur);
		if (rc != 0)
			break;
	}
	json_decref(fips);
	return rc;
}
