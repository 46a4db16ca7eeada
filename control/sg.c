// SPDX-License-Identifier: BSD-2-Clause
/*
 * sg.c: the rules of security groups and security group rules (the
 * struct ctl_doc_ops of both kinds, see ctl_int.h) and the port side:
 * which groups a port is in.
 *
 * As Neutron: a project gets a "default" group the first time it uses
 * groups (a port with port security, a group call), holding ingress from
 * members of the same group and egress to anywhere, for IPv4 and IPv6; a
 * new group holds the two egress rules. The default group cannot be
 * deleted or renamed, a group in use by a port cannot be deleted, and
 * deleting a group takes its rules and every rule that names it as
 * remote_group_id. A rule equal to an existing one of its group is 409.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_int.h"
#include "ipam.h"
#include "res.h"

/* A new rule document of group sg in project (no checks). */
static int
sg_rule_add(struct ctl *c, const char *project, const char *sg_id,
	    const char *direction, const char *ethertype,
	    const char *remote_group, struct ctl_err *err)
{
	struct ctl_auth admin = {.is_admin = true};
	json_t *body, *doc = NULL;
	unsigned present = 0;
	int rc;

	snprintf(admin.project_id, sizeof(admin.project_id), "%s", project);
	body = json_pack("{ss ss ss ss}", "security_group_id", sg_id,
			 "direction", direction, "ethertype", ethertype,
			 "project_id", project);
	if (body == NULL)
		return ctl_err_set(err, CTL_E_INTERNAL, "Out of memory.");
	if (remote_group != NULL)
		json_object_set_new(body, "remote_group_id",
				    json_string(remote_group));
	rc = res_decode(CTL_SGRULE, body, &doc, &present, err);
	if (rc == 0)
		rc = ctl_doc_insert(c, &admin, CTL_SGRULE, doc, present, false,
				    err);
	json_decref(body);
	json_decref(doc);
	return rc;
}

/* The two egress allow-all rules of a new group. */
static int
sg_egress_rules(struct ctl *c, const char *project, const char *sg_id,
		struct ctl_err *err)
{
	int rc = sg_rule_add(c, project, sg_id, "egress", "IPv4", NULL, err);

	if (rc == 0)
		rc = sg_rule_add(c, project, sg_id, "egress", "IPv6", NULL,
				 err);
	return rc;
}

static int
sg_find_default(void *arg, json_t *doc)
{
	snprintf(arg, CTL_UUID_LEN + 1, "%s", res_str(doc, "id"));
	return 1;
}

int
sg_default_id(struct ctl *c, const char *project_id, char *id_out,
	      struct ctl_err *err)
{
	static const char *const name[1] = {"default"};
	struct ctl_auth admin = {.is_admin = true};
	struct store_query q;
	json_t *body, *doc = NULL;
	unsigned present = 0;
	int rc;

	ctl_doc_query(&q, "name", name);
	q.project_id = project_id;
	id_out[0] = '\0';
	rc = store_doc_foreach(ctl_tx_store(c), CTL_SECGROUP, &q,
			       sg_find_default, id_out);
	if (rc < 0)
		return ctl_tx_store_err(rc, err);
	if (rc == 1)
		return 0;
	snprintf(admin.project_id, sizeof(admin.project_id), "%s", project_id);
	body = json_pack("{ss ss ss}", "name", "default", "description",
			 "Default security group", "project_id", project_id);
	if (body == NULL)
		return ctl_err_set(err, CTL_E_INTERNAL, "Out of memory.");
	rc = res_decode(CTL_SECGROUP, body, &doc, &present, err);
	json_decref(body);
	if (rc == 0)
		rc = ctl_doc_insert(c, &admin, CTL_SECGROUP, doc, present,
				    false, err);
	if (rc == 0) {
		const char *id = res_str(doc, "id");

		snprintf(id_out, CTL_UUID_LEN + 1, "%s", id);
		rc = sg_rule_add(c, project_id, id, "ingress", "IPv4", id, err);
		if (rc == 0)
			rc = sg_rule_add(c, project_id, id, "ingress", "IPv6",
					 id, err);
		if (rc == 0)
			rc = sg_egress_rules(c, project_id, id, err);
	}
	json_decref(doc);
	return rc;
}

int
ctl_sg_ensure_default(struct ctl *c, const char *project_id,
		      struct ctl_err *err)
{
	char id[CTL_UUID_LEN + 1];
	int rc;

	if (ctl_tx_begin(c, err) != 0)
		return -EIO;
	rc = sg_default_id(c, project_id, id, err);
	return ctl_tx_end(c, rc, err);
}

static int
sg_group_create(struct ctl *c, const struct ctl_auth *auth, json_t *doc,
		struct ctl_err *err)
{
	const char *project = res_str(doc, "project_id");
	char def[CTL_UUID_LEN + 1];
	int rc;

	(void)auth;
	rc = sg_default_id(c, project, def, err);
	if (rc != 0)
		return rc;
	if (strcmp(res_str(doc, "name"), "default") == 0)
		return ctl_err_set(err, CTL_E_CONFLICT,
				   "Default security group already exists.");
	/* The rules reference the group: store it first, rules after. */
	return sg_egress_rules(c, project, res_str(doc, "id"), err);
}

static int
sg_group_update(struct ctl *c, const struct ctl_auth *auth, const json_t *old,
		json_t *cur, const json_t *body, struct ctl_err *err)
{
	(void)c;
	(void)auth;
	(void)body;
	if (strcmp(res_str(old, "name"), "default") == 0 &&
	    strcmp(res_str(cur, "name"), "default") != 0)
		return ctl_err_set(err, CTL_E_CONFLICT,
				   "Updating default security group name not "
				   "allowed.");
	return 0;
}

/* Ports that are members of group id: count into *n. */
static int
sg_members(struct ctl *c, const char *id, unsigned *n)
{
	struct ctl_port *v = NULL;
	unsigned nv = 0, i, j;
	int rc = ctl_tx_ports(c, NULL, &v, &nv);

	*n = 0;
	for (i = 0; rc == 0 && i < nv; i++) {
		for (j = 0; j < v[i].n_security_groups; j++) {
			if (strcmp(v[i].security_groups[j], id) == 0)
				(*n)++;
		}
	}
	free(v);
	return rc;
}

/* Delete every rule whose column equals id. */
static int
sg_rules_del(struct ctl *c, const char *column, const char *id,
	     struct ctl_err *err)
{
	const char *vals[1] = {id};
	struct store_query q;
	json_t *list, *r;
	size_t i;
	int rc = 0;

	ctl_doc_query(&q, column, vals);
	list = ctl_doc_list(c, CTL_SGRULE, &q);
	if (list == NULL)
		return ctl_tx_store_err(-EIO, err);
	json_array_foreach(list, i, r)
	{
		rc = ctl_doc_del(c, CTL_SGRULE, r, err);
		if (rc != 0)
			break;
	}
	json_decref(list);
	return rc;
}

static int
sg_group_del(struct ctl *c, const struct ctl_auth *auth, const json_t *old,
	     struct ctl_err *err)
{
	const char *id = res_str(old, "id");
	unsigned n = 0;
	int rc;

	(void)auth;
	if (strcmp(res_str(old, "name"), "default") == 0)
		return ctl_err_set(err, CTL_E_SG_DEFAULT,
				   "Removing default security group not "
				   "allowed.");
	rc = sg_members(c, id, &n);
	if (rc != 0)
		return ctl_tx_store_err(rc, err);
	if (n > 0)
		return ctl_err_set(err, CTL_E_SG_IN_USE,
				   "Security Group %s in use.", id);
	rc = sg_rules_del(c, "security_group_id", id, err);
	if (rc == 0)
		rc = sg_rules_del(c, "remote_group_id", id, err);
	return rc;
}

const struct ctl_doc_ops sg_group_ops = {
	.not_found = CTL_E_SG_NOT_FOUND,
	.label = "Security group",
	.create = sg_group_create,
	.update = sg_group_update,
	.del = sg_group_del,
};

/* "0.0.0.0/0" and "::/0" mean the same as no prefix. */
static const char *
sg_rule_prefix(const json_t *r)
{
	const char *p = res_str(r, "remote_ip_prefix");

	return strcmp(p, "0.0.0.0/0") == 0 || strcmp(p, "::/0") == 0 ? "" : p;
}

static bool
sg_rule_same(const json_t *a, const json_t *b)
{
	static const char *const strs[] = {"direction", "ethertype",
					   "remote_group_id"};
	static const char *const ints[] = {"port_range_min", "port_range_max"};
	unsigned i;

	for (i = 0; i < 3; i++) {
		if (strcmp(res_str(a, strs[i]), res_str(b, strs[i])) != 0)
			return false;
	}
	for (i = 0; i < 2; i++) {
		json_t *x = json_object_get(a, ints[i]);
		json_t *y = json_object_get(b, ints[i]);

		if (json_is_integer(x) != json_is_integer(y) ||
		    json_integer_value(x) != json_integer_value(y))
			return false;
	}
	return res_proto_number(json_object_get(a, "protocol")) ==
		       res_proto_number(json_object_get(b, "protocol")) &&
	       strcmp(sg_rule_prefix(a), sg_rule_prefix(b)) == 0;
}

static int
sg_rule_create(struct ctl *c, const struct ctl_auth *auth, json_t *doc,
	       struct ctl_err *err)
{
	const char *sg_id = res_str(doc, "security_group_id");
	const char *remote = res_str(doc, "remote_group_id");
	const char *vals[1] = {sg_id};
	struct store_query q;
	json_t *grp = NULL, *list, *r;
	size_t i;
	int rc;

	rc = ctl_doc_lookup(c, auth, CTL_SECGROUP, sg_id, &grp, err);
	if (rc == 0) {
		/* A group's rules belong to the group's project. */
		json_object_set(doc, "project_id",
				json_object_get(grp, "project_id"));
		json_object_set(doc, "tenant_id",
				json_object_get(grp, "project_id"));
	}
	json_decref(grp);
	grp = NULL;
	if (rc == 0 && *remote != '\0')
		rc = ctl_doc_lookup(c, auth, CTL_SECGROUP, remote, &grp, err);
	json_decref(grp);
	if (rc != 0)
		return rc;
	ctl_doc_query(&q, "security_group_id", vals);
	list = ctl_doc_list(c, CTL_SGRULE, &q);
	if (list == NULL)
		return ctl_tx_store_err(-EIO, err);
	json_array_foreach(list, i, r)
	{
		if (sg_rule_same(r, doc)) {
			rc = ctl_err_set(err, CTL_E_SGRULE_EXISTS,
					 "Security group rule already exists. "
					 "Rule id is %s.",
					 res_str(r, "id"));
			break;
		}
	}
	json_decref(list);
	return rc;
}

const struct ctl_doc_ops sg_rule_ops = {
	.not_found = CTL_E_SGRULE_NOT_FOUND,
	.label = "Security group rule",
	.create = sg_rule_create,
	.update = NULL,
	.del = NULL,
};

int
sg_port_check(struct ctl *c, const struct ctl_port *old, struct ctl_port *p,
	      unsigned present, struct ctl_err *err)
{
	bool is_infra = strncmp(p->device_owner, "network:", 8) == 0;
	unsigned i;
	int rc;

	if (old == NULL && !(present & MODEL_HAS_SGS) && !is_infra &&
	    p->has_port_security) {
		rc = sg_default_id(c, p->m.project_id, p->security_groups[0],
				   err);
		if (rc != 0)
			return rc;
		p->n_security_groups = 1;
	}
	if (!p->has_port_security && p->n_security_groups > 0)
		return ctl_err_set(err, CTL_E_PORTSEC_SG,
				   "Port has security group associated. "
				   "Cannot disable port security or ip "
				   "address until security group is removed");
	if (old != NULL && !(present & MODEL_HAS_SGS))
		return 0;
	for (i = 0; i < p->n_security_groups; i++) {
		json_t *g = NULL;

		rc = store_doc_get(ctl_tx_store(c), CTL_SECGROUP,
				   p->security_groups[i], &g);
		json_decref(g);
		if (rc == -ENOENT)
			return ctl_err_set(err, CTL_E_SG_NOT_FOUND,
					   "Security group %s does not exist",
					   p->security_groups[i]);
		if (rc != 0)
			return ctl_tx_store_err(rc, err);
	}
	return 0;
}
