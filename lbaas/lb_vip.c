// SPDX-License-Identifier: BSD-2-Clause
/*
 * lb_vip.c: addresses of the load-balancer service (see lb_int.h): the
 * VIP (IPv4 or IPv6), a Neutron port made through ctl.h so that IPAM
 * holds the address, and the check that a member address lies on a
 * subnet of the project.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb_int.h"
#include "log.h"

int
lb_vip_ip_parse(const char *s, struct lb_vip_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->a) == 1) {
		ip->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, ip->a) == 1) {
		ip->family = 6;
		return 0;
	}
	return -EINVAL;
}

static bool
lbv_in_prefix(const struct lb_vip_ip *ip, const struct ctl_prefix *p)
{
	unsigned bits = p->len, i;

	if (ip->family != p->ip.family)
		return false;
	for (i = 0; i < bits / 8; i++) {
		if (ip->a[i] != p->ip.addr[i])
			return false;
	}
	if (bits % 8 != 0) {
		unsigned char mask = (unsigned char)(0xff << (8 - bits % 8));

		return (ip->a[i] & mask) == (p->ip.addr[i] & mask);
	}
	return true;
}

struct lbv_subnet_find {
	struct lb_vip_ip ip;
	bool is_any; /* take the first subnet, IPv4 ones first */
	bool found;
	char subnet_id[CTL_UUID_LEN + 1];
};

static int
lbv_subnet_find_cb(void *arg, const struct ctl_subnet *s)
{
	struct lbv_subnet_find *f = arg;

	if (f->is_any && !f->found) {
		f->found = true;
		snprintf(f->subnet_id, sizeof(f->subnet_id), "%s", s->m.id);
		return s->ip_version == 4;
	}
	if (f->is_any && s->ip_version == 4) {
		snprintf(f->subnet_id, sizeof(f->subnet_id), "%s", s->m.id);
		return 1;
	}
	if (!f->is_any && lbv_in_prefix(&f->ip, &s->cidr)) {
		f->found = true;
		snprintf(f->subnet_id, sizeof(f->subnet_id), "%s", s->m.id);
		return 1;
	}
	return 0;
}

/*
 * Check that addr is in subnet_id (if given, which the project must be
 * able to use) or else in some subnet of project (or a shared one).
 */
int
lb_vip_check_address(struct lbaas *lb, const char *what, const char *addr,
		     const char *subnet_id, const char *project,
		     struct lb_err *err)
{
	struct lbv_subnet_find f = {0};
	struct store_query q = {0};
	struct ctl_auth auth = {0};
	struct ctl_subnet *sub;
	struct ctl_err cerr;
	int rc;

	if (lb_vip_ip_parse(addr, &f.ip) != 0)
		return lb_model_err_set(err, 400, "%s %.64s is not an address.",
					what, addr);
	if (subnet_id != NULL && subnet_id[0] != '\0') {
		sub = malloc(sizeof(*sub));
		if (sub == NULL)
			return lb_model_err_set(err, 500, "Out of memory.");
		auth.is_admin = false;
		snprintf(auth.project_id, sizeof(auth.project_id), "%s",
			 project);
		rc = ctl_subnet_get(lb->ctl, &auth, subnet_id, sub, &cerr);
		if (rc != 0) {
			free(sub);
			return lb_model_err_set(
				err, 400, "Subnet %.64s not found.", subnet_id);
		}
		rc = lbv_in_prefix(&f.ip, &sub->cidr);
		free(sub);
		if (!rc)
			return lb_model_err_set(
				err, 400, "%s %.64s is outside subnet %s.",
				what, addr, subnet_id);
		return 0;
	}
	q.project_id = project;
	q.include_shared = true;
	rc = store_subnet_foreach(lb->st, &q, lbv_subnet_find_cb, &f);
	if (rc < 0)
		return lb_model_err_set(err, 500, "The store failed.");
	if (!f.found)
		return lb_model_err_set(
			err, 400,
			"%s %.64s is outside every subnet of project "
			"%s: give an address on one of its subnets.",
			what, addr, project);
	return 0;
}

int
lb_vip_port_create(struct lbaas *lb, const struct ctl_auth *caller,
		   struct lb_row *row, struct lb_err *err)
{
	const char *sid =
		json_string_value(json_object_get(row->doc, "vip_subnet_id"));
	const char *nid =
		json_string_value(json_object_get(row->doc, "vip_network_id"));
	const char *addr =
		json_string_value(json_object_get(row->doc, "vip_address"));
	struct ctl_auth auth = *caller;
	struct ctl_subnet *sub = NULL;
	struct ctl_port *port = NULL;
	struct lbv_subnet_find f = {0};
	struct store_query q = {0};
	const char *net_ids[1];
	struct ctl_err cerr;
	unsigned present = 0;
	char ip[64];
	json_t *pj = NULL;
	int rc = -EINVAL;

	snprintf(auth.project_id, sizeof(auth.project_id), "%s",
		 row->project_id);
	sub = malloc(sizeof(*sub));
	port = malloc(sizeof(*port));
	if (sub == NULL || port == NULL) {
		rc = lb_model_err_set(err, 500, "Out of memory.");
		goto out;
	}
	if (sid == NULL && nid == NULL) {
		rc = lb_model_err_set(
			err, 400,
			"Validation failure: VIP must contain one of: "
			"vip_subnet_id, vip_network_id.");
		goto out;
	}
	if (sid == NULL) {
		/* The network's subnet holding vip_address, else its first
		 * IPv4 subnet, else its first. */
		net_ids[0] = nid;
		q.project_id = auth.is_admin ? NULL : auth.project_id;
		q.include_shared = true;
		q.n_cols = 1;
		q.cols[0].column = "network_id";
		q.cols[0].values = net_ids;
		q.cols[0].n_values = 1;
		f.is_any = addr == NULL || lb_vip_ip_parse(addr, &f.ip) != 0;
		rc = store_subnet_foreach(lb->st, &q, lbv_subnet_find_cb, &f);
		if (rc < 0 || !f.found) {
			rc = lb_model_err_set(
				err, 400,
				"Validation failure: network %.64s has "
				"no subnet for the VIP.",
				nid);
			goto out;
		}
		sid = f.subnet_id;
	}
	if (ctl_subnet_get(lb->ctl, &auth, sid, sub, &cerr) != 0) {
		rc = lb_model_err_set(
			err, 400, "Validation failure: Subnet %.64s not found.",
			sid);
		goto out;
	}
	if (nid != NULL && strcmp(nid, sub->network_id) != 0) {
		rc = lb_model_err_set(err, 400,
				      "Validation failure: subnet %s is not on "
				      "network %.64s.",
				      sid, nid);
		goto out;
	}
	pj = json_pack("{ss ss ss ss s[{ss}]}", "network_id", sub->network_id,
		       "device_owner", LB_VIP_DEVICE_OWNER, "device_id",
		       row->id, "name", "octavia-lb-vip", "fixed_ips",
		       "subnet_id", sid);
	if (pj == NULL) {
		rc = lb_model_err_set(err, 500, "Out of memory.");
		goto out;
	}
	json_object_set_new(pj, "name", json_sprintf("octavia-lb-%s", row->id));
	if (addr != NULL)
		json_object_set_new(
			json_array_get(json_object_get(pj, "fixed_ips"), 0),
			"ip_address", json_string(addr));
	if (auth.is_admin)
		json_object_set_new(pj, "project_id",
				    json_string(row->project_id));
	if (model_port_decode(pj, MODEL_CREATE, port, &present, &cerr) != 0 ||
	    ctl_port_create(lb->ctl, &auth, port, &present, 1, &cerr) != 0) {
		int st = ctl_err_status(cerr.code);

		rc = lb_model_err_set(err, st == 404 ? 400 : st,
				      "VIP allocation failed: %s",
				      cerr.message);
		goto out;
	}
	inet_ntop(port->fixed_ips[0].ip.family == 4 ? AF_INET : AF_INET6,
		  port->fixed_ips[0].ip.addr, ip, sizeof(ip));
	json_object_set_new(row->doc, "vip_address", json_string(ip));
	json_object_set_new(row->doc, "vip_port_id", json_string(port->m.id));
	json_object_set_new(row->doc, "vip_subnet_id", json_string(sid));
	json_object_set_new(row->doc, "vip_network_id",
			    json_string(sub->network_id));
	rc = 0;
out:
	json_decref(pj);
	free(sub);
	free(port);
	return rc;
}

void
lb_vip_release(struct lbaas *lb, const json_t *doc)
{
	const char *pid =
		json_string_value(json_object_get(doc, "vip_port_id"));
	struct ctl_auth admin = {.is_admin = true};
	struct ctl_err cerr;

	if (pid != NULL &&
	    ctl_port_delete(lb->ctl, &admin, pid, CTL_NO_IF_MATCH, &cerr) != 0)
		log_warn("lbaas", "delete VIP port %s: %s", pid, cerr.message);
}
