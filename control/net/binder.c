/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * binder.c: port binding (binder.h). Keeps a small table of the ports it
 * attached: Neutron port id, datapath port name and number, last seen
 * state. The datapath is the truth for what exists; this table only
 * remembers what was reported.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "binder.h"

#define BINDER_VHOST_DIR_DEFAULT "/run/sluice/vhost"
/* Datapath port names of Neutron ports: prefix + the id's alnum chars. */
#define BINDER_NAME_PREFIX "nvif"

struct binding {
	char port_id[NET_ID_LEN]; /* "" while adopted but not claimed */
	char name[DP_NAME_LEN];
	struct binder_vif vif;
	bool is_up;
	bool is_reported; /* callback told is_up already */
};

struct binder {
	struct binder_config cfg;
	const struct net_dp *dp;
	binder_status_fn cb;
	void *cb_arg;
	struct binding *v;
	size_t n, cap;
};

int
binder_create(const struct binder_config *cfg, const struct net_dp *dp,
	      binder_status_fn cb, void *cb_arg, struct binder **out)
{
	struct binder *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return -ENOMEM;
	b->cfg = *cfg;
	if (b->cfg.kernel_type == 0)
		b->cfg.kernel_type = DP_PORT_AF_PACKET;
	if (b->cfg.vhost_dir[0] == '\0')
		snprintf(b->cfg.vhost_dir, sizeof(b->cfg.vhost_dir), "%s",
			 BINDER_VHOST_DIR_DEFAULT);
	b->dp = dp;
	b->cb = cb;
	b->cb_arg = cb_arg;
	*out = b;
	return 0;
}

void
binder_destroy(struct binder *b)
{
	if (b == NULL)
		return;
	free(b->v);
	free(b);
}

int
binder_profile_parse(const char *profile_json, struct net_view_port *p,
		     char *err, size_t err_len)
{
	json_t *root, *ifn, *vhu;
	json_error_t jerr;
	int rc = -EINVAL;

	p->vif = NET_VIF_NONE;
	p->host_ifname[0] = '\0';
	if (profile_json == NULL || profile_json[0] == '\0')
		return 0;
	root = json_loads(profile_json, 0, &jerr);
	if (root == NULL || !json_is_object(root)) {
		snprintf(err, err_len, "binding:profile: not a JSON object");
		goto free_root;
	}
	ifn = json_object_get(root, "interface");
	vhu = json_object_get(root, "vhostuser");
	if (ifn != NULL && vhu != NULL && json_is_true(vhu)) {
		snprintf(err, err_len,
			 "binding:profile: both interface and vhostuser");
		goto free_root;
	}
	if (ifn != NULL) {
		const char *name = json_string_value(ifn);

		if (name == NULL || name[0] == '\0' ||
		    strlen(name) >= NET_IFNAME_LEN) {
			snprintf(err, err_len,
				 "binding:profile: interface must be a name of "
				 "1 to %d characters",
				 NET_IFNAME_LEN - 1);
			goto free_root;
		}
		p->vif = NET_VIF_KERNEL;
		snprintf(p->host_ifname, sizeof(p->host_ifname), "%s", name);
	} else if (vhu != NULL && json_is_true(vhu)) {
		p->vif = NET_VIF_VHOSTUSER;
	}
	rc = 0;
free_root:
	json_decref(root);
	return rc;
}

void
binder_dp_name(const char *port_id, char name[DP_NAME_LEN])
{
	size_t n = sizeof(BINDER_NAME_PREFIX) - 1;

	memcpy(name, BINDER_NAME_PREFIX, n);
	for (const char *s = port_id; *s != '\0' && n < DP_NAME_LEN - 1; s++)
		if (isalnum((unsigned char)*s))
			name[n++] = (char)tolower((unsigned char)*s);
	name[n] = '\0';
}

/* A datapath port this binder made (in this or an earlier life). */
static bool
is_ours(const char *name)
{
	return strncmp(name, BINDER_NAME_PREFIX,
		       sizeof(BINDER_NAME_PREFIX) - 1) == 0;
}

static struct binding *
find_id(struct binder *b, const char *port_id)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->v[i].port_id, port_id) == 0)
			return &b->v[i];
	return NULL;
}

static struct binding *
find_name(struct binder *b, const char *name)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->v[i].name, name) == 0)
			return &b->v[i];
	return NULL;
}

static struct binding *
binding_new(struct binder *b)
{
	struct binding *nv;

	if (b->n == b->cap) {
		size_t cap = b->cap != 0 ? b->cap * 2 : 16;

		nv = realloc(b->v, cap * sizeof(*nv));
		if (nv == NULL)
			return NULL;
		b->v = nv;
		b->cap = cap;
	}
	memset(&b->v[b->n], 0, sizeof(b->v[0]));
	return &b->v[b->n++];
}

static void
binding_remove(struct binder *b, struct binding *e)
{
	size_t i = (size_t)(e - b->v);

	b->v[i] = b->v[b->n - 1];
	b->n--;
}

int
binder_sync(struct binder *b, char *err, size_t err_len)
{
	struct dp_port_info *infos = NULL;
	size_t n = 0;
	int rc;

	rc = b->dp->port_list(b->dp->ctx, &infos, &n, err, err_len);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct binding *e;

		if (!is_ours(infos[i].name) || find_name(b, infos[i].name))
			continue;
		if ((e = binding_new(b)) == NULL) {
			rc = -ENOMEM;
			break;
		}
		memcpy(e->name, infos[i].name, DP_NAME_LEN);
		e->name[DP_NAME_LEN - 1] = '\0';
		e->vif.dp_port = infos[i].port_no;
		e->is_up = infos[i].is_up != 0;
	}
	free(infos);
	return rc;
}

/* Fill spec and vif for p. */
static int
binding_spec(const struct binder *b, const struct net_view_port *p,
	     struct dp_port_spec *spec, struct binder_vif *vif, char *err,
	     size_t err_len)
{
	int n;

	memset(spec, 0, sizeof(*spec));
	memset(vif, 0, sizeof(*vif));
	binder_dp_name(p->id, spec->name);
	switch (p->vif) {
	case NET_VIF_KERNEL:
		if (p->host_ifname[0] == '\0' ||
		    strnlen(p->host_ifname, NET_IFNAME_LEN) == NET_IFNAME_LEN) {
			snprintf(err, err_len,
				 "binder: port %s: binding:profile names no "
				 "interface",
				 p->id);
			return -EINVAL;
		}
		spec->type = b->cfg.kernel_type;
		snprintf(spec->args, sizeof(spec->args), "%s", p->host_ifname);
		snprintf(vif->vif_type, sizeof(vif->vif_type), "tap");
		return 0;
	case NET_VIF_VHOSTUSER:
		/* Nova's naming: "vhu" + the first 11 characters of the id. */
		n = snprintf(spec->args, sizeof(spec->args), "%s/vhu%.11s",
			     b->cfg.vhost_dir, p->id);
		if (n < 0 || (size_t)n >= sizeof(spec->args)) {
			snprintf(err, err_len,
				 "binder: port %s: vhost socket path too long",
				 p->id);
			return -ENAMETOOLONG;
		}
		spec->type = DP_PORT_VHOST_USER_CLIENT;
		snprintf(vif->vif_type, sizeof(vif->vif_type), "vhostuser");
		memcpy(vif->vhostuser_socket, spec->args, sizeof(spec->args));
		snprintf(vif->vhostuser_mode, sizeof(vif->vhostuser_mode),
			 "server");
		return 0;
	default:
		snprintf(err, err_len, "binder: port %s: nothing to bind",
			 p->id);
		return -EINVAL;
	}
}

int
binder_bind(struct binder *b, const struct net_view_port *p,
	    struct binder_vif *out, char *err, size_t err_len)
{
	struct dp_port_spec spec;
	struct dp_port_info info;
	struct binder_vif vif;
	struct binding *e;
	char dummy[8];
	int rc;

	if (err == NULL) {
		err = dummy;
		err_len = sizeof(dummy);
	}
	if ((rc = binding_spec(b, p, &spec, &vif, err, err_len)) < 0)
		return rc;
	e = find_id(b, p->id);
	if (e == NULL && (e = find_name(b, spec.name)) != NULL &&
	    e->port_id[0] == '\0') {
		/* Adopted after a restart: claim it. */
		snprintf(e->port_id, sizeof(e->port_id), "%s", p->id);
		vif.dp_port = e->vif.dp_port;
		e->vif = vif;
	}
	if (e != NULL) {
		*out = e->vif;
		return 0;
	}
	memset(&info, 0, sizeof(info));
	rc = b->dp->port_add(b->dp->ctx, &spec, &info, err, err_len);
	if (rc < 0)
		return rc;
	if ((e = binding_new(b)) == NULL)
		return -ENOMEM;
	snprintf(e->port_id, sizeof(e->port_id), "%s", p->id);
	memcpy(e->name, spec.name, DP_NAME_LEN);
	vif.dp_port = info.port_no;
	e->vif = vif;
	e->is_up = info.is_up != 0;
	*out = vif;
	return 0;
}

int
binder_unbind(struct binder *b, const char *port_id, char *err, size_t err_len)
{
	struct binding *e = find_id(b, port_id);
	struct dp_port_ref ref;
	int rc;

	if (e == NULL)
		return -ENOENT;
	memset(&ref, 0, sizeof(ref));
	ref.port_no = e->vif.dp_port;
	memcpy(ref.name, e->name, DP_NAME_LEN);
	rc = b->dp->port_del(b->dp->ctx, &ref, err, err_len);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	binding_remove(b, e);
	return 0;
}

int
binder_prune(struct binder *b, binder_keep_fn keep, void *arg, char *err,
	     size_t err_len)
{
	int n = 0, rc;

	for (size_t i = 0; i < b->n;) {
		struct binding *e = &b->v[i];
		struct dp_port_ref ref;

		if (e->port_id[0] != '\0' && keep(arg, e->port_id)) {
			i++;
			continue;
		}
		memset(&ref, 0, sizeof(ref));
		ref.port_no = e->vif.dp_port;
		memcpy(ref.name, e->name, DP_NAME_LEN);
		rc = b->dp->port_del(b->dp->ctx, &ref, err, err_len);
		if (rc < 0 && rc != -ENOENT)
			return rc;
		binding_remove(b, e); /* the last entry moved into slot i */
		n++;
	}
	return n;
}

uint32_t
binder_dp_port(const struct binder *b, const char *port_id)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->v[i].port_id, port_id) == 0)
			return b->v[i].vif.dp_port;
	return 0;
}

static void
report(struct binder *b, struct binding *e, bool is_up)
{
	if (e->is_reported && e->is_up == is_up)
		return;
	e->is_up = is_up;
	e->is_reported = true;
	if (b->cb != NULL && e->port_id[0] != '\0')
		b->cb(b->cb_arg, e->port_id, e->vif.dp_port, is_up);
}

int
binder_poll(struct binder *b, char *err, size_t err_len)
{
	struct dp_port_info *infos = NULL;
	size_t n = 0;
	int rc;

	rc = b->dp->port_list(b->dp->ctx, &infos, &n, err, err_len);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < b->n;) {
		struct binding *e = &b->v[i];
		const struct dp_port_info *found = NULL;

		for (size_t k = 0; k < n; k++)
			if (strncmp(infos[k].name, e->name, DP_NAME_LEN) == 0)
				found = &infos[k];
		if (found == NULL) {
			report(b, e, false);
			binding_remove(b, e);
			continue; /* the last entry moved into slot i */
		}
		e->vif.dp_port = found->port_no;
		if (e->port_id[0] != '\0' && (found->is_up || e->is_reported))
			report(b, e, found->is_up != 0);
		i++;
	}
	free(infos);
	return 0;
}
