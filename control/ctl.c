// SPDX-License-Identifier: BSD-2-Clause
/*
 * ctl.c: the Neutron core service (see ctl.h). Every public operation
 * follows one shape: begin a store transaction, check and write, collect
 * the change events, commit, and only then run the observers. On any
 * failure the transaction is rolled back and the events are dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "ctl.h"
#include "ctl_int.h"
#include "ipam.h"
#include "log.h"

/* One change, recorded during a transaction, delivered after commit. */
union ctl_obj {
	struct ctl_network net;
	struct ctl_subnet sub;
	struct ctl_port port;
};

struct ctl_event {
	enum ctl_kind kind;
	enum ctl_change what;
	bool has_old;
	bool has_cur;
	union ctl_obj old;
	union ctl_obj cur;
	json_t *jold; /* document kinds: owned copies */
	json_t *jcur;
};

struct ctl {
	struct store *st;
	unsigned n_observers;
	struct ctl_observer observers[CTL_OBSERVERS_MAX];
	/* Events of the open transaction. */
	struct ctl_event **events;
	unsigned n_events;
	unsigned cap_events;
	unsigned depth; /* observer nesting (set_* from observers) */
};

/*
 * Owners whose ports go with their network. A router interface keeps the
 * network in use (NetworkInUse, as Neutron): remove it from the router.
 */
static const char *const ctl_auto_owners[] = {
	"network:dhcp",
	NULL,
};

int
ctl_create(struct store *st, struct ctl **out)
{
	struct ctl *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -ENOMEM;
	c->st = st;
	*out = c;
	return 0;
}

static void
ctl_events_clear(struct ctl *c)
{
	unsigned i;

	for (i = 0; i < c->n_events; i++) {
		json_decref(c->events[i]->jold);
		json_decref(c->events[i]->jcur);
		free(c->events[i]);
	}
	c->n_events = 0;
}

void
ctl_destroy(struct ctl *c)
{
	if (c == NULL)
		return;
	ctl_events_clear(c);
	free(c->events);
	free(c);
}

struct store *
ctl_store(struct ctl *c)
{
	return c->st;
}

int
ctl_observer_add(struct ctl *c, const struct ctl_observer *obs)
{
	if (c->n_observers >= CTL_OBSERVERS_MAX)
		return -ENOSPC;
	c->observers[c->n_observers++] = *obs;
	return 0;
}

bool
ctl_is_visible(const struct ctl_auth *auth, const char *project_id,
	       bool is_shared)
{
	return auth->is_admin || is_shared ||
	       strcmp(auth->project_id, project_id) == 0;
}

static bool
ctl_is_owner(const struct ctl_auth *auth, const char *project_id)
{
	return auth->is_admin || strcmp(auth->project_id, project_id) == 0;
}

/* Record an event; old/cur may be NULL. 0 or -ENOMEM. */
static int
ctl_record(struct ctl *c, enum ctl_kind kind, enum ctl_change what,
	   const void *old, const void *cur)
{
	size_t sz = kind == CTL_NETWORK	 ? sizeof(struct ctl_network)
		    : kind == CTL_SUBNET ? sizeof(struct ctl_subnet)
		    : kind == CTL_PORT	 ? sizeof(struct ctl_port)
					 : 0;
	struct ctl_event *e;

	if (c->n_events == c->cap_events) {
		unsigned ncap = c->cap_events ? c->cap_events * 2 : 8;
		struct ctl_event **nv = realloc(c->events, ncap * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		c->events = nv;
		c->cap_events = ncap;
	}
	e = malloc(sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	e->jold = NULL;
	e->jcur = NULL;
	e->kind = kind;
	e->what = what;
	e->has_old = old != NULL;
	e->has_cur = cur != NULL;
	if (old != NULL)
		memcpy(&e->old, old, sz);
	if (cur != NULL)
		memcpy(&e->cur, cur, sz);
	c->events[c->n_events++] = e;
	return 0;
}

/* Deliver the recorded events to every observer, then forget them. */
static void
ctl_dispatch(struct ctl *c)
{
	struct ctl_event **ev = c->events;
	unsigned n = c->n_events, i, k;

	/* Observers may start nested operations: hand them a fresh list. */
	c->events = NULL;
	c->n_events = 0;
	c->cap_events = 0;
	c->depth++;
	for (i = 0; i < n; i++) {
		const struct ctl_event *e = ev[i];

		for (k = 0; k < c->n_observers; k++) {
			const struct ctl_observer *o = &c->observers[k];

			switch (e->kind) {
			case CTL_ROUTER:
			case CTL_FLOATINGIP:
			case CTL_SECGROUP:
			case CTL_SGRULE:
				if (o->doc_changed)
					o->doc_changed(o->arg, e->kind, e->what,
						       e->jold, e->jcur);
				break;
			case CTL_NETWORK:
				if (o->network_changed)
					o->network_changed(
						o->arg, e->what,
						e->has_old ? &e->old.net : NULL,
						e->has_cur ? &e->cur.net
							   : NULL);
				break;
			case CTL_SUBNET:
				if (o->subnet_changed)
					o->subnet_changed(
						o->arg, e->what,
						e->has_old ? &e->old.sub : NULL,
						e->has_cur ? &e->cur.sub
							   : NULL);
				break;
			case CTL_PORT:
			default:
				if (o->port_changed)
					o->port_changed(
						o->arg, e->what,
						e->has_old ? &e->old.port
							   : NULL,
						e->has_cur ? &e->cur.port
							   : NULL);
				break;
			}
		}
		json_decref(ev[i]->jold);
		json_decref(ev[i]->jcur);
		free(ev[i]);
	}
	free(ev);
	c->depth--;
}

static int
ctl_begin(struct ctl *c, struct ctl_err *err)
{
	ctl_events_clear(c);
	if (store_begin(c->st) != 0)
		return ctl_err_set(err, CTL_E_INTERNAL,
				   "The store is unavailable.");
	return 0;
}

/* Commit and dispatch on rc == 0; roll back otherwise. Returns rc. */
static int
ctl_end(struct ctl *c, int rc, struct ctl_err *err)
{
	if (rc == 0 && store_commit(c->st) != 0)
		rc = ctl_err_set(err, CTL_E_INTERNAL,
				 "The store failed to commit.");
	if (rc != 0) {
		store_rollback(c->st);
		ctl_events_clear(c);
		return rc;
	}
	ctl_dispatch(c);
	return 0;
}

static int
ctl_store_err(int rc, struct ctl_err *err)
{
	if (rc == -ENOMEM)
		return ctl_err_set(err, CTL_E_INTERNAL, "Out of memory.");
	return ctl_err_set(err, CTL_E_INTERNAL, "The store failed (%d).", rc);
}

static int
ctl_check_revision(const struct ctl_meta *m, int64_t if_match,
		   struct ctl_err *err)
{
	if (if_match == CTL_NO_IF_MATCH ||
	    (uint64_t)if_match == m->revision_number)
		return 0;
	return ctl_err_set(err, CTL_E_REVISION,
			   "Constrained to %lld, but current revision is %llu",
			   (long long)if_match,
			   (unsigned long long)m->revision_number);
}

/*
 * Fill the standard attributes of a new object: id, project (checked
 * against the caller), timestamps, revision.
 */
static int
ctl_meta_new(const struct ctl_auth *auth, struct ctl_meta *m, unsigned present,
	     struct ctl_err *err)
{
	if (present & MODEL_HAS_PROJECT) {
		if (!auth->is_admin &&
		    strcmp(m->project_id, auth->project_id) != 0)
			return ctl_err_set(
				err, CTL_E_FORBIDDEN,
				"Specifying 'project_id' or 'tenant_id' other "
				"than the authenticated project in request "
				"requires admin privileges");
	} else {
		snprintf(m->project_id, sizeof(m->project_id), "%s",
			 auth->project_id);
	}
	model_uuid_new(m->id);
	m->created_at = (int64_t)time(NULL);
	m->updated_at = m->created_at;
	m->revision_number = 1;
	return 0;
}

static void
ctl_meta_bump(struct ctl_meta *m)
{
	m->revision_number++;
	m->updated_at = (int64_t)time(NULL);
}

/* Networks. */

static int
ctl_network_lookup(struct ctl *c, const struct ctl_auth *auth, const char *id,
		   struct ctl_network *out, struct ctl_err *err)
{
	int rc =
		model_is_uuid(id) ? store_network_get(c->st, id, out) : -ENOENT;

	if (rc == 0 && !ctl_is_visible(auth, out->m.project_id, out->is_shared))
		rc = -ENOENT;
	if (rc == -ENOENT)
		return ctl_err_set(err, CTL_E_NETWORK_NOT_FOUND,
				   "Network %.64s could not be found.", id);
	if (rc != 0)
		return ctl_store_err(rc, err);
	return 0;
}

static int
ctl_network_create_one(struct ctl *c, const struct ctl_auth *auth,
		       struct ctl_network *n, unsigned present,
		       struct ctl_err *err)
{
	bool used = false;
	int rc;

	if (ctl_meta_new(auth, &n->m, present, err) != 0)
		return -EINVAL;
	if (!auth->is_admin &&
	    (n->is_shared || n->is_external || (present & MODEL_HAS_SEGMENT)))
		return ctl_err_set(
			err, CTL_E_FORBIDDEN,
			"(rule:create_network) is disallowed by policy: "
			"shared, router:external and provider attributes "
			"need admin rights");
	if (strcmp(n->network_type, "local") == 0) {
		/* A local network still gets a VNI: it names the switch. */
		present &= ~MODEL_HAS_SEGMENT;
	}
	if (present & MODEL_HAS_SEGMENT) {
		rc = store_vni_used(c->st, n->segmentation_id, &used);
		if (rc != 0)
			return ctl_store_err(rc, err);
		if (used)
			return ctl_err_set(
				err, CTL_E_VNI_IN_USE,
				"Unable to create the network. The VXLAN "
				"segmentation ID %u is in use.",
				n->segmentation_id);
	} else {
		rc = store_vni_alloc(c->st, &n->segmentation_id);
		if (rc == -ENOSPC)
			return ctl_err_set(
				err, CTL_E_CONFLICT,
				"Unable to create the network. No segmentation "
				"ID is free.");
		if (rc != 0)
			return ctl_store_err(rc, err);
	}
	n->status = CTL_STATUS_ACTIVE;
	rc = store_network_put(c->st, n, true);
	if (rc != 0)
		return ctl_store_err(rc, err);
	if (ctl_record(c, CTL_NETWORK, CTL_CREATED, NULL, n) != 0)
		return ctl_store_err(-ENOMEM, err);
	return 0;
}

int
ctl_network_create(struct ctl *c, const struct ctl_auth *auth,
		   struct ctl_network *objs, const unsigned *present,
		   unsigned n, struct ctl_err *err)
{
	unsigned i;
	int rc;

	if (ctl_begin(c, err) != 0)
		return -EIO;
	for (i = 0, rc = 0; i < n && rc == 0; i++)
		rc = ctl_network_create_one(c, auth, &objs[i], present[i], err);
	return ctl_end(c, rc, err);
}

int
ctl_network_get(struct ctl *c, const struct ctl_auth *auth, const char *id,
		struct ctl_network *out, struct ctl_err *err)
{
	return ctl_network_lookup(c, auth, id, out, err);
}

/* Merge body over the stored form of an object: a new reference. */
static json_t *
ctl_merge(json_t *stored, const json_t *body)
{
	if (stored == NULL)
		return NULL;
	if (json_object_update(stored, (json_t *)body) != 0) {
		json_decref(stored);
		return NULL;
	}
	return stored;
}

int
ctl_network_update(struct ctl *c, const struct ctl_auth *auth, const char *id,
		   const json_t *body, int64_t if_match,
		   struct ctl_network *out, struct ctl_err *err)
{
	struct ctl_network *old = malloc(sizeof(*old));
	json_t *merged = NULL;
	int rc;

	if (old == NULL)
		return ctl_store_err(-ENOMEM, err);
	if (model_check_update(CTL_NETWORK, body, err) != 0) {
		free(old);
		return -EINVAL;
	}
	if (ctl_begin(c, err) != 0) {
		free(old);
		return -EIO;
	}
	rc = ctl_network_lookup(c, auth, id, old, err);
	if (rc == 0 && !ctl_is_owner(auth, old->m.project_id))
		rc = ctl_err_set(
			err, CTL_E_FORBIDDEN,
			"(rule:update_network) is disallowed by policy");
	if (rc == 0)
		rc = ctl_check_revision(&old->m, if_match, err);
	if (rc == 0 && !auth->is_admin &&
	    (json_object_get(body, "shared") != NULL ||
	     json_object_get(body, "router:external") != NULL))
		rc = ctl_err_set(
			err, CTL_E_FORBIDDEN,
			"(rule:update_network:shared) is disallowed by "
			"policy");
	if (rc == 0) {
		merged = ctl_merge(model_network_encode(old), body);
		rc = merged == NULL ? ctl_store_err(-ENOMEM, err)
				    : model_network_decode(merged, MODEL_UPDATE,
							   out, NULL, err);
	}
	if (rc == 0) {
		ctl_meta_bump(&out->m);
		rc = store_network_put(c->st, out, false);
		if (rc != 0)
			rc = ctl_store_err(rc, err);
	}
	if (rc == 0 && ctl_record(c, CTL_NETWORK, CTL_UPDATED, old, out) != 0)
		rc = ctl_store_err(-ENOMEM, err);
	json_decref(merged);
	free(old);
	return ctl_end(c, rc, err);
}

/* Collect ports of a network (for deletes). */
struct ctl_port_list {
	struct ctl_port *v;
	unsigned n;
	unsigned cap;
};

static int
ctl_port_list_add(void *arg, const struct ctl_port *p)
{
	struct ctl_port_list *l = arg;

	if (l->n == l->cap) {
		unsigned ncap = l->cap ? l->cap * 2 : 4;
		struct ctl_port *nv = realloc(l->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = *p;
	return 0;
}

struct ctl_subnet_list {
	struct ctl_subnet *v;
	unsigned n;
	unsigned cap;
};

static int
ctl_subnet_list_add(void *arg, const struct ctl_subnet *s)
{
	struct ctl_subnet_list *l = arg;

	if (l->n == l->cap) {
		unsigned ncap = l->cap ? l->cap * 2 : 4;
		struct ctl_subnet *nv = realloc(l->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = *s;
	return 0;
}

/* The subnets of a network, in creation order. */
static int
ctl_subnets_of(struct ctl *c, const char *network_id, struct ctl_subnet_list *l)
{
	const char *vals[1] = {network_id};
	struct store_query q = {0};

	q.n_cols = 1;
	q.cols[0].column = "network_id";
	q.cols[0].values = vals;
	q.cols[0].n_values = 1;
	return store_subnet_foreach(c->st, &q, ctl_subnet_list_add, l);
}

static int
ctl_ports_of(struct ctl *c, const char *network_id, struct ctl_port_list *l)
{
	const char *vals[1] = {network_id};
	struct store_query q = {0};

	q.n_cols = 1;
	q.cols[0].column = "network_id";
	q.cols[0].values = vals;
	q.cols[0].n_values = 1;
	return store_port_foreach(c->st, &q, ctl_port_list_add, l);
}

static int
ctl_network_delete_tx(struct ctl *c, const struct ctl_auth *auth,
		      const char *id, int64_t if_match, struct ctl_network *old,
		      struct ctl_err *err)
{
	struct ctl_port_list ports = {0};
	struct ctl_subnet_list subs = {0};
	unsigned n_busy = 0, i;
	int rc;

	rc = ctl_network_lookup(c, auth, id, old, err);
	if (rc != 0)
		return rc;
	if (!ctl_is_owner(auth, old->m.project_id))
		return ctl_err_set(
			err, CTL_E_FORBIDDEN,
			"(rule:delete_network) is disallowed by policy");
	if (ctl_check_revision(&old->m, if_match, err) != 0)
		return -EINVAL;
	rc = store_port_count(c->st, id, ctl_auto_owners, &n_busy);
	if (rc != 0)
		return ctl_store_err(rc, err);
	if (n_busy > 0)
		return ctl_err_set(
			err, CTL_E_NETWORK_IN_USE,
			"Unable to complete operation on network %s. There "
			"are one or more ports still in use on the network.",
			id);
	rc = ctl_ports_of(c, id, &ports);
	for (i = 0; rc == 0 && i < ports.n; i++) {
		rc = store_del(c->st, CTL_PORT, ports.v[i].m.id);
		if (rc == 0)
			rc = ctl_record(c, CTL_PORT, CTL_DELETED, &ports.v[i],
					NULL);
	}
	if (rc == 0)
		rc = ctl_subnets_of(c, id, &subs);
	for (i = 0; rc == 0 && i < subs.n; i++) {
		rc = store_del(c->st, CTL_SUBNET, subs.v[i].m.id);
		if (rc == 0)
			rc = ctl_record(c, CTL_SUBNET, CTL_DELETED, &subs.v[i],
					NULL);
	}
	if (rc == 0)
		rc = store_del(c->st, CTL_NETWORK, id);
	if (rc == 0)
		rc = ctl_record(c, CTL_NETWORK, CTL_DELETED, old, NULL);
	free(ports.v);
	free(subs.v);
	return rc != 0 ? ctl_store_err(rc, err) : 0;
}

int
ctl_network_delete(struct ctl *c, const struct ctl_auth *auth, const char *id,
		   int64_t if_match, struct ctl_err *err)
{
	struct ctl_network *old = malloc(sizeof(*old));
	int rc;

	if (old == NULL)
		return ctl_store_err(-ENOMEM, err);
	if (ctl_begin(c, err) != 0) {
		free(old);
		return -EIO;
	}
	rc = ctl_network_delete_tx(c, auth, id, if_match, old, err);
	free(old);
	return ctl_end(c, rc, err);
}

/* Subnets. */

static int
ctl_subnet_lookup(struct ctl *c, const struct ctl_auth *auth, const char *id,
		  struct ctl_subnet *out, struct ctl_err *err)
{
	int rc = model_is_uuid(id) ? store_subnet_get(c->st, id, out) : -ENOENT;

	/* A shared network's subnets are visible to every project. */
	if (rc == 0 && !ctl_is_visible(auth, out->m.project_id, false)) {
		struct ctl_network *net = malloc(sizeof(*net));

		if (net == NULL ||
		    store_network_get(c->st, out->network_id, net) != 0 ||
		    !net->is_shared)
			rc = -ENOENT;
		free(net);
	}
	if (rc == -ENOENT)
		return ctl_err_set(err, CTL_E_SUBNET_NOT_FOUND,
				   "Subnet %.64s could not be found.", id);
	if (rc != 0)
		return ctl_store_err(rc, err);
	return 0;
}

static int
ctl_subnet_create_one(struct ctl *c, const struct ctl_auth *auth,
		      struct ctl_subnet *s, unsigned present,
		      struct ctl_err *err)
{
	struct ctl_subnet_list subs = {0};
	struct ctl_network *net = malloc(sizeof(*net));
	char a[IPAM_STR_MAX + 8];
	unsigned i;
	int rc;

	if (net == NULL)
		return ctl_store_err(-ENOMEM, err);
	rc = ctl_network_lookup(c, auth, s->network_id, net, err);
	if (rc == 0 && !ctl_is_owner(auth, net->m.project_id))
		rc = ctl_err_set(
			err, CTL_E_FORBIDDEN,
			"(rule:create_subnet) is disallowed by policy: only "
			"the network's project may add subnets");
	if (rc == 0)
		rc = ctl_meta_new(auth, &s->m, present, err);
	if (rc == 0 && ctl_subnets_of(c, s->network_id, &subs) != 0)
		rc = ctl_store_err(-EIO, err);
	for (i = 0; rc == 0 && i < subs.n; i++) {
		if (ipam_prefix_overlaps(&subs.v[i].cidr, &s->cidr))
			rc = ctl_err_set(
				err, CTL_E_INVALID_INPUT,
				"Invalid input for operation: Requested "
				"subnet with cidr: %s for network: %s "
				"overlaps with another subnet.",
				ipam_prefix_format(&s->cidr, a, sizeof(a)),
				s->network_id);
	}
	if (rc == 0) {
		rc = store_subnet_put(c->st, s, true);
		if (rc != 0)
			rc = ctl_store_err(rc, err);
	}
	if (rc == 0 && ctl_record(c, CTL_SUBNET, CTL_CREATED, NULL, s) != 0)
		rc = ctl_store_err(-ENOMEM, err);
	free(subs.v);
	free(net);
	return rc;
}

int
ctl_subnet_create(struct ctl *c, const struct ctl_auth *auth,
		  struct ctl_subnet *objs, const unsigned *present, unsigned n,
		  struct ctl_err *err)
{
	unsigned i;
	int rc;

	if (ctl_begin(c, err) != 0)
		return -EIO;
	for (i = 0, rc = 0; i < n && rc == 0; i++)
		rc = ctl_subnet_create_one(c, auth, &objs[i], present[i], err);
	return ctl_end(c, rc, err);
}

int
ctl_subnet_get(struct ctl *c, const struct ctl_auth *auth, const char *id,
	       struct ctl_subnet *out, struct ctl_err *err)
{
	return ctl_subnet_lookup(c, auth, id, out, err);
}

int
ctl_subnet_update(struct ctl *c, const struct ctl_auth *auth, const char *id,
		  const json_t *body, int64_t if_match, struct ctl_subnet *out,
		  struct ctl_err *err)
{
	struct ctl_subnet *old = malloc(sizeof(*old));
	json_t *merged = NULL;
	int rc;

	if (old == NULL)
		return ctl_store_err(-ENOMEM, err);
	if (model_check_update(CTL_SUBNET, body, err) != 0) {
		free(old);
		return -EINVAL;
	}
	if (ctl_begin(c, err) != 0) {
		free(old);
		return -EIO;
	}
	rc = ctl_subnet_lookup(c, auth, id, old, err);
	if (rc == 0 && !ctl_is_owner(auth, old->m.project_id))
		rc = ctl_err_set(
			err, CTL_E_FORBIDDEN,
			"(rule:update_subnet) is disallowed by policy");
	if (rc == 0)
		rc = ctl_check_revision(&old->m, if_match, err);
	if (rc == 0) {
		merged = ctl_merge(model_subnet_encode(old), body);
		rc = merged == NULL ? ctl_store_err(-ENOMEM, err)
				    : model_subnet_decode(merged, MODEL_UPDATE,
							  out, NULL, err);
	}
	if (rc == 0) {
		ctl_meta_bump(&out->m);
		rc = store_subnet_put(c->st, out, false);
		if (rc != 0)
			rc = ctl_store_err(rc, err);
	}
	if (rc == 0 && ctl_record(c, CTL_SUBNET, CTL_UPDATED, old, out) != 0)
		rc = ctl_store_err(-ENOMEM, err);
	json_decref(merged);
	free(old);
	return ctl_end(c, rc, err);
}

/* Re-write the allocation rows of p from its fixed_ips. */
static int
ctl_port_write_ips(struct ctl *c, const struct ctl_port *p)
{
	unsigned i;
	int rc = store_ip_del_port(c->st, p->m.id);

	for (i = 0; rc == 0 && i < p->n_fixed_ips; i++)
		rc = store_ip_add(c->st, p->fixed_ips[i].subnet_id,
				  &p->fixed_ips[i].ip, p->m.id, p->network_id);
	return rc;
}

static int
ctl_subnet_delete_tx(struct ctl *c, const struct ctl_auth *auth, const char *id,
		     int64_t if_match, struct ctl_subnet *old,
		     struct ctl_err *err)
{
	struct ctl_port_list ports = {0};
	unsigned n_busy = 0, i, j, k;
	int rc;

	rc = ctl_subnet_lookup(c, auth, id, old, err);
	if (rc != 0)
		return rc;
	if (!ctl_is_owner(auth, old->m.project_id))
		return ctl_err_set(
			err, CTL_E_FORBIDDEN,
			"(rule:delete_subnet) is disallowed by policy");
	if (ctl_check_revision(&old->m, if_match, err) != 0)
		return -EINVAL;
	rc = store_ip_count(c->st, id, "network:dhcp", &n_busy);
	if (rc != 0)
		return ctl_store_err(rc, err);
	if (n_busy > 0)
		return ctl_err_set(
			err, CTL_E_SUBNET_IN_USE,
			"Unable to complete operation on subnet %s: One or "
			"more ports have an IP allocation from this subnet.",
			id);
	/* DHCP ports lose their address on this subnet. */
	rc = ctl_ports_of(c, old->network_id, &ports);
	for (i = 0; rc == 0 && i < ports.n; i++) {
		struct ctl_port *p = &ports.v[i];
		struct ctl_port *np;

		for (j = 0; j < p->n_fixed_ips; j++) {
			if (strcmp(p->fixed_ips[j].subnet_id, id) == 0)
				break;
		}
		if (j == p->n_fixed_ips)
			continue;
		np = malloc(sizeof(*np));
		if (np == NULL) {
			rc = -ENOMEM;
			break;
		}
		*np = *p;
		for (j = 0, k = 0; j < p->n_fixed_ips; j++) {
			if (strcmp(p->fixed_ips[j].subnet_id, id) != 0)
				np->fixed_ips[k++] = p->fixed_ips[j];
		}
		np->n_fixed_ips = k;
		ctl_meta_bump(&np->m);
		rc = ctl_port_write_ips(c, np);
		if (rc == 0)
			rc = store_port_put(c->st, np, false);
		if (rc == 0)
			rc = ctl_record(c, CTL_PORT, CTL_UPDATED, p, np);
		free(np);
	}
	if (rc == 0)
		rc = store_del(c->st, CTL_SUBNET, id);
	if (rc == 0)
		rc = ctl_record(c, CTL_SUBNET, CTL_DELETED, old, NULL);
	free(ports.v);
	if (rc == -EEXIST)
		return ctl_err_set(
			err, CTL_E_SUBNET_IN_USE,
			"Unable to complete operation on subnet %s: it is "
			"still in use.",
			id);
	return rc != 0 ? ctl_store_err(rc, err) : 0;
}

int
ctl_subnet_delete(struct ctl *c, const struct ctl_auth *auth, const char *id,
		  int64_t if_match, struct ctl_err *err)
{
	struct ctl_subnet *old = malloc(sizeof(*old));
	int rc;

	if (old == NULL)
		return ctl_store_err(-ENOMEM, err);
	if (ctl_begin(c, err) != 0) {
		free(old);
		return -EIO;
	}
	rc = ctl_subnet_delete_tx(c, auth, id, if_match, old, err);
	free(old);
	return ctl_end(c, rc, err);
}

/* Ports. */

static int
ctl_port_lookup(struct ctl *c, const struct ctl_auth *auth, const char *id,
		struct ctl_port *out, struct ctl_err *err)
{
	int rc = model_is_uuid(id) ? store_port_get(c->st, id, out) : -ENOENT;

	if (rc == 0 && !ctl_is_visible(auth, out->m.project_id, false))
		rc = -ENOENT;
	if (rc == -ENOENT)
		return ctl_err_set(err, CTL_E_PORT_NOT_FOUND,
				   "Port %.64s could not be found.", id);
	if (rc != 0)
		return ctl_store_err(rc, err);
	return 0;
}

static void
ctl_mac_random(uint8_t *mac)
{
	uint8_t r[3] = {0, 0, 0};

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r[0] = (uint8_t)rand();
	mac[0] = 0xfa;
	mac[1] = 0x16;
	mac[2] = 0x3e;
	memcpy(mac + 3, r, 3);
}

static int
ctl_port_mac(struct ctl *c, struct ctl_port *p, unsigned present,
	     struct ctl_err *err)
{
	bool used = false;
	unsigned tries;
	int rc;

	if (present & MODEL_HAS_MAC) {
		rc = store_mac_used(c->st, p->network_id, p->mac, &used);
		if (rc != 0)
			return ctl_store_err(rc, err);
		if (used)
			return ctl_err_set(
				err, CTL_E_MAC_IN_USE,
				"Unable to complete operation for network %s. "
				"The mac address %02x:%02x:%02x:%02x:%02x:%02x "
				"is in use.",
				p->network_id, p->mac[0], p->mac[1], p->mac[2],
				p->mac[3], p->mac[4], p->mac[5]);
		return 0;
	}
	for (tries = 0; tries < 16; tries++) {
		ctl_mac_random(p->mac);
		rc = store_mac_used(c->st, p->network_id, p->mac, &used);
		if (rc != 0)
			return ctl_store_err(rc, err);
		if (!used)
			return 0;
	}
	return ctl_err_set(err, CTL_E_MAC_IN_USE,
			   "Unable to generate a unique MAC address.");
}

/*
 * Is s a subnet whose hosts configure their own address from the router
 * advertisement (Neutron's is_auto_address_subnet: slaac or
 * dhcpv6-stateless as the address mode, or as the RA mode when the
 * address mode is not set)? Its ports' addresses are then the modified
 * EUI-64 of their MAC (RFC 4862 5.5.3, RFC 4291 appendix A), as Neutron
 * gives them; the model refuses such a subnet that is not a /64.
 */
static bool
ctl_subnet_is_auto(const struct ctl_subnet *s)
{
	enum ctl_v6_mode m =
		s->address_mode != CTL_V6_NONE ? s->address_mode : s->ra_mode;

	return s->ip_version == 6 && s->cidr.len == 64 &&
	       (m == CTL_V6_SLAAC || m == CTL_V6_DHCP_STATELESS);
}

/* The EUI-64 address of mac on the auto-address subnet s. */
static void
ctl_ip_eui64(const struct ctl_subnet *s, const uint8_t mac[6],
	     struct ctl_ip *out)
{
	*out = s->cidr.ip;
	out->addr[8] = mac[0] ^ 0x02;
	out->addr[9] = mac[1];
	out->addr[10] = mac[2];
	out->addr[11] = 0xff;
	out->addr[12] = 0xfe;
	memcpy(out->addr + 13, mac + 3, 3);
}

/*
 * Pick a free address of s for a port with MAC mac: on an auto-address
 * subnet the EUI-64 of the MAC (a clash shows when it is stored). Else
 * the common case costs one indexed query: the
 * address after the highest one in use in a pool. Only when every pool's
 * top is taken are all used addresses read to find a gap. 0, -ENOSPC, or
 * another error in err.
 */
static int
ctl_ip_pick(struct ctl *c, const struct ctl_subnet *s, const uint8_t mac[6],
	    struct ctl_ip *out, struct ctl_err *err)
{
	struct ctl_ip *used = NULL, top;
	size_t n = 0;
	unsigned i;
	int rc;

	if (ctl_subnet_is_auto(s)) {
		ctl_ip_eui64(s, mac, out);
		return 0;
	}

	for (i = 0; i < s->n_pools; i++) {
		const struct ctl_pool *p = &s->pools[i];

		rc = store_ip_max(c->st, s->m.id, &p->start, &p->end, &top);
		if (rc == -ENOENT) {
			*out = p->start;
			return 0;
		}
		if (rc != 0)
			return ctl_store_err(rc, err);
		if (ipam_ip_cmp(&top, &p->end) < 0 && ipam_ip_next(&top)) {
			*out = top;
			return 0;
		}
	}
	rc = store_ip_used(c->st, s->m.id, s->ip_version, &used, &n);

	if (rc != 0)
		return ctl_store_err(rc, err);
	rc = ipam_pick(s, used, n, out);
	free(used);
	return rc;
}

static const struct ctl_subnet *
ctl_subnet_find(const struct ctl_subnet_list *subs, const char *id)
{
	unsigned i;

	for (i = 0; i < subs->n; i++) {
		if (strcmp(subs->v[i].m.id, id) == 0)
			return &subs->v[i];
	}
	return NULL;
}

/* A router's interface (Neutron's ROUTER_INTERFACE_OWNERS)? */
static bool
ctl_is_router_if(const struct ctl_port *p)
{
	return strcmp(p->device_owner, "network:router_interface") == 0 ||
	       strcmp(p->device_owner,
		      "network:router_interface_distributed") == 0 ||
	       strcmp(p->device_owner,
		      "network:ha_router_replicated_interface") == 0;
}

/* One requested fixed IP: resolve its subnet, check or pick its address. */
static int
ctl_fixed_ip_resolve(struct ctl *c, const struct ctl_subnet_list *subs,
		     const struct ctl_port *p, struct ctl_fixed_ip *fi,
		     struct ctl_err *err)
{
	char a[IPAM_STR_MAX], owner[CTL_UUID_LEN + 1];
	const struct ctl_subnet *s = NULL;
	unsigned i;
	int rc;

	if (fi->subnet_id[0] != '\0') {
		s = ctl_subnet_find(subs, fi->subnet_id);
		if (s == NULL)
			return ctl_err_set(
				err, CTL_E_INVALID_INPUT,
				"Invalid input for operation: Failed to create "
				"port on network %s, because fixed_ips "
				"included invalid subnet %s.",
				p->network_id, fi->subnet_id);
	} else {
		for (i = 0; i < subs->n && s == NULL; i++) {
			if (ipam_prefix_contains(&subs->v[i].cidr, &fi->ip))
				s = &subs->v[i];
		}
		if (s == NULL)
			return ctl_err_set(
				err, CTL_E_INVALID_INPUT,
				"Invalid input for operation: IP address %s "
				"is not a valid IP for any of the subnets on "
				"the specified network.",
				ipam_ip_format(&fi->ip, a, sizeof(a)));
		snprintf(fi->subnet_id, sizeof(fi->subnet_id), "%s", s->m.id);
	}
	if (fi->ip.family == 0) {
		rc = ctl_ip_pick(c, s, p->mac, &fi->ip, err);
		if (rc == -ENOSPC)
			return ctl_err_set(
				err, CTL_E_IP_EXHAUSTED,
				"No more IP addresses available for subnet "
				"%s.",
				s->m.id);
		return rc;
	}
	if (!ipam_is_assignable(s, &fi->ip))
		return ctl_err_set(
			err, CTL_E_INVALID_INPUT,
			"Invalid input for operation: IP address %s is not a "
			"valid IP for the specified subnet.",
			ipam_ip_format(&fi->ip, a, sizeof(a)));
	if (ctl_subnet_is_auto(s) && !ctl_is_router_if(p)) {
		/* As Neutron: only routers' interfaces choose; the port's
		 * own EUI-64 address (a port update that lists it) is
		 * what it has anyway. */
		char e[IPAM_STR_MAX];
		struct ctl_ip eui;

		ctl_ip_eui64(s, p->mac, &eui);
		if (ipam_ip_cmp(&eui, &fi->ip) != 0)
			return ctl_err_set(
				err, CTL_E_INVALID_INPUT,
				"Invalid input for operation: IPv6 address "
				"%s cannot be directly assigned to a port on "
				"subnet %s since the subnet is configured for "
				"automatic addresses (its ports get the "
				"EUI-64 address of their MAC, here %s).",
				ipam_ip_format(&fi->ip, a, sizeof(a)), s->m.id,
				ipam_ip_format(&eui, e, sizeof(e)));
	}
	rc = store_ip_owner(c->st, s->m.id, &fi->ip, owner);
	if (rc == 0 && strcmp(owner, p->m.id) != 0)
		return ctl_err_set(
			err, CTL_E_IP_IN_USE,
			"IP address %s already allocated in subnet %s",
			ipam_ip_format(&fi->ip, a, sizeof(a)), s->m.id);
	if (rc != 0 && rc != -ENOENT)
		return ctl_store_err(rc, err);
	return 0;
}

/*
 * Resolve p's fixed IPs: the requested ones (checked, completed), or
 * with none requested one address from the first IPv4 and the first
 * IPv6 subnet that have a free one, and the EUI-64 address on every
 * auto-address subnet.
 */
static int
ctl_port_ips(struct ctl *c, struct ctl_port *p, bool is_requested,
	     struct ctl_err *err)
{
	struct ctl_subnet_list subs = {0};
	bool has_v4 = false, has_v6 = false;
	bool tried = false;
	unsigned i, j;
	int rc;

	rc = ctl_subnets_of(c, p->network_id, &subs);
	if (rc != 0) {
		free(subs.v);
		return ctl_store_err(rc, err);
	}
	if (is_requested) {
		for (i = 0; rc == 0 && i < p->n_fixed_ips; i++)
			rc = ctl_fixed_ip_resolve(c, &subs, p, &p->fixed_ips[i],
						  err);
		for (i = 0; rc == 0 && i < p->n_fixed_ips; i++) {
			for (j = 0; j < i; j++) {
				if (ipam_ip_cmp(&p->fixed_ips[i].ip,
						&p->fixed_ips[j].ip) == 0)
					rc = ctl_err_set(
						err, CTL_E_INVALID_INPUT,
						"Invalid input for operation: "
						"duplicate IP address in "
						"fixed_ips.");
			}
		}
		goto out;
	}
	p->n_fixed_ips = 0;
	for (i = 0; rc == 0 && i < subs.n; i++) {
		const struct ctl_subnet *s = &subs.v[i];
		struct ctl_fixed_ip *fi = &p->fixed_ips[p->n_fixed_ips];

		/* Every auto-address subnet (as Neutron), one of the others
		 * of each family. */
		if ((s->ip_version == 4 && has_v4) ||
		    (s->ip_version == 6 && has_v6 && !ctl_subnet_is_auto(s)) ||
		    p->n_fixed_ips >= CTL_FIXED_IPS_MAX)
			continue;
		tried = true;
		rc = ctl_ip_pick(c, s, p->mac, &fi->ip, err);
		if (rc == -ENOSPC) {
			rc = 0;
			continue;
		}
		if (rc != 0)
			break;
		snprintf(fi->subnet_id, sizeof(fi->subnet_id), "%s", s->m.id);
		p->n_fixed_ips++;
		if (s->ip_version == 4)
			has_v4 = true;
		else if (!ctl_subnet_is_auto(s))
			has_v6 = true;
	}
	if (rc == 0 && tried && p->n_fixed_ips == 0)
		rc = ctl_err_set(
			err, CTL_E_IP_EXHAUSTED,
			"No more IP addresses available on network %s.",
			p->network_id);
out:
	free(subs.v);
	return rc;
}

/*
 * Write the allocation rows; a pick that collides with an earlier entry
 * of the same request is re-picked (its row now counts as used).
 */
static int
ctl_port_alloc(struct ctl *c, struct ctl_port *p, struct ctl_err *err)
{
	char a[IPAM_STR_MAX];
	unsigned i;
	int rc = store_ip_del_port(c->st, p->m.id);

	for (i = 0; rc == 0 && i < p->n_fixed_ips; i++) {
		struct ctl_fixed_ip *fi = &p->fixed_ips[i];

		rc = store_ip_add(c->st, fi->subnet_id, &fi->ip, p->m.id,
				  p->network_id);
		if (rc == -EEXIST)
			return ctl_err_set(
				err, CTL_E_IP_IN_USE,
				"IP address %s already allocated in subnet %s",
				ipam_ip_format(&fi->ip, a, sizeof(a)),
				fi->subnet_id);
	}
	return rc != 0 ? ctl_store_err(rc, err) : 0;
}

/* Mark picked (requested without address) entries before resolving. */
static void
ctl_port_clear_picks(struct ctl_port *p, bool *picked)
{
	unsigned i;

	for (i = 0; i < p->n_fixed_ips; i++)
		picked[i] = p->fixed_ips[i].ip.family == 0;
}

/*
 * Resolve and store p's addresses. Entries that asked only for a subnet
 * are picked one at a time, each written before the next is picked, so
 * two such entries on one subnet get two addresses.
 */
static int
ctl_port_assign(struct ctl *c, struct ctl_port *p, bool is_requested,
		struct ctl_err *err)
{
	bool picked[CTL_FIXED_IPS_MAX];
	struct ctl_port tmp;
	unsigned i, n;
	int rc;

	if (!is_requested) {
		rc = ctl_port_ips(c, p, false, err);
		return rc != 0 ? rc : ctl_port_alloc(c, p, err);
	}
	ctl_port_clear_picks(p, picked);
	/* First the explicit addresses, then each pick in turn. */
	tmp = *p;
	n = 0;
	for (i = 0; i < p->n_fixed_ips; i++) {
		if (!picked[i])
			tmp.fixed_ips[n++] = p->fixed_ips[i];
	}
	tmp.n_fixed_ips = n;
	rc = ctl_port_ips(c, &tmp, true, err);
	if (rc == 0)
		rc = ctl_port_alloc(c, &tmp, err);
	for (i = 0; rc == 0 && i < p->n_fixed_ips; i++) {
		struct ctl_port one = tmp;

		if (!picked[i])
			continue;
		one.n_fixed_ips = 1;
		one.fixed_ips[0] = p->fixed_ips[i];
		rc = ctl_port_ips(c, &one, true, err);
		if (rc != 0)
			break;
		rc = store_ip_add(c->st, one.fixed_ips[0].subnet_id,
				  &one.fixed_ips[0].ip, p->m.id, p->network_id);
		if (rc != 0) {
			rc = ctl_store_err(rc, err);
			break;
		}
		tmp.fixed_ips[tmp.n_fixed_ips++] = one.fixed_ips[0];
	}
	if (rc == 0) {
		p->n_fixed_ips = tmp.n_fixed_ips;
		memcpy(p->fixed_ips, tmp.fixed_ips, sizeof(p->fixed_ips));
	}
	return rc;
}

/*
 * p's MAC changed: its addresses on auto-address subnets follow (the
 * guest configures the new MAC's EUI-64 address), as in Neutron. The
 * others stay.
 */
static int
ctl_port_eui64_renew(struct ctl *c, struct ctl_port *p, struct ctl_err *err)
{
	struct ctl_subnet_list subs = {0};
	bool is_any = false;
	int rc = ctl_subnets_of(c, p->network_id, &subs);

	if (rc != 0) {
		free(subs.v);
		return ctl_store_err(rc, err);
	}
	for (unsigned i = 0; i < p->n_fixed_ips; i++) {
		struct ctl_fixed_ip *fi = &p->fixed_ips[i];
		const struct ctl_subnet *s =
			ctl_subnet_find(&subs, fi->subnet_id);

		if (s != NULL && ctl_subnet_is_auto(s) &&
		    !ctl_is_router_if(p)) {
			ctl_ip_eui64(s, p->mac, &fi->ip);
			is_any = true;
		}
	}
	free(subs.v);
	if (!is_any)
		return 0;
	rc = store_ip_del_port(c->st, p->m.id);
	if (rc != 0)
		return ctl_store_err(rc, err);
	return ctl_port_assign(c, p, true, err);
}

/*
 * Binding attributes name host resources (an interface, a socket) and
 * "network:*" owners mark infrastructure ports: admin only, as in
 * Neutron's default policy.
 */
static int
ctl_port_policy(const struct ctl_auth *auth, const struct ctl_port *p,
		struct ctl_err *err)
{
	if (auth->is_admin)
		return 0;
	if (p->host_id[0] != '\0' || strcmp(p->profile, "{}") != 0)
		return ctl_err_set(
			err, CTL_E_FORBIDDEN,
			"(rule:create_port:binding:host_id) is disallowed by "
			"policy: binding attributes need admin rights");
	if (strncmp(p->device_owner, "network:", 8) == 0)
		return ctl_err_set(
			err, CTL_E_FORBIDDEN,
			"(rule:create_port:device_owner) is disallowed by "
			"policy: network:* owners need admin rights");
	return 0;
}

static int
ctl_port_create_one(struct ctl *c, const struct ctl_auth *auth,
		    struct ctl_port *p, unsigned present, struct ctl_err *err)
{
	struct ctl_network *net = malloc(sizeof(*net));
	int rc;

	if (net == NULL)
		return ctl_store_err(-ENOMEM, err);
	rc = ctl_port_policy(auth, p, err);
	if (rc == 0)
		rc = ctl_network_lookup(c, auth, p->network_id, net, err);
	if (rc == 0)
		rc = ctl_meta_new(auth, &p->m, present, err);
	if (rc == 0 && !(present & MODEL_HAS_PORT_SECURITY))
		p->has_port_security = net->has_port_security;
	if (rc == 0 && !p->has_port_security && p->n_pairs > 0)
		rc = ctl_err_set(
			err, CTL_E_CONFLICT,
			"Port Security must be enabled in order to have "
			"allowed address pairs on a port.");
	if (rc == 0)
		rc = sg_port_check(c, NULL, p, present, err);
	if (rc == 0)
		rc = ctl_port_mac(c, p, present, err);
	if (rc == 0) {
		p->status = CTL_STATUS_DOWN;
		strcpy(p->vif_type, "unbound");
		strcpy(p->vif_details, "{}");
		/* The row first: allocations reference it. */
		rc = store_port_put(c->st, p, true);
		if (rc == -EEXIST)
			rc = ctl_err_set(err, CTL_E_MAC_IN_USE,
					 "The mac address is in use.");
		else if (rc != 0)
			rc = ctl_store_err(rc, err);
	}
	if (rc == 0)
		rc = ctl_port_assign(c, p, present & MODEL_HAS_FIXED_IPS, err);
	if (rc == 0) {
		rc = store_port_put(c->st, p, false);
		if (rc != 0)
			rc = ctl_store_err(rc, err);
	}
	if (rc == 0 && ctl_record(c, CTL_PORT, CTL_CREATED, NULL, p) != 0)
		rc = ctl_store_err(-ENOMEM, err);
	free(net);
	return rc;
}

int
ctl_port_create(struct ctl *c, const struct ctl_auth *auth,
		struct ctl_port *objs, const unsigned *present, unsigned n,
		struct ctl_err *err)
{
	unsigned i;
	int rc;

	if (ctl_begin(c, err) != 0)
		return -EIO;
	for (i = 0, rc = 0; i < n && rc == 0; i++)
		rc = ctl_port_create_one(c, auth, &objs[i], present[i], err);
	return ctl_end(c, rc, err);
}

int
ctl_port_get(struct ctl *c, const struct ctl_auth *auth, const char *id,
	     struct ctl_port *out, struct ctl_err *err)
{
	return ctl_port_lookup(c, auth, id, out, err);
}

static int
ctl_port_update_tx(struct ctl *c, const struct ctl_auth *auth, const char *id,
		   const json_t *body, int64_t if_match, struct ctl_port *old,
		   struct ctl_port *out, struct ctl_err *err)
{
	unsigned present = 0;
	json_t *merged;
	int rc;

	rc = ctl_port_lookup(c, auth, id, old, err);
	if (rc != 0)
		return rc;
	if (ctl_check_revision(&old->m, if_match, err) != 0)
		return -EINVAL;
	merged = ctl_merge(model_port_encode(old), body);
	if (merged == NULL)
		return ctl_store_err(-ENOMEM, err);
	rc = model_port_decode(merged, MODEL_UPDATE, out, &present, err);
	json_decref(merged);
	if (rc != 0)
		return rc;
	if (!auth->is_admin &&
	    (strcmp(out->host_id, old->host_id) != 0 ||
	     strcmp(out->profile, old->profile) != 0 ||
	     strcmp(out->device_owner, old->device_owner) != 0) &&
	    ctl_port_policy(auth, out, err) != 0)
		return -EINVAL;
	if (sg_port_check(c, old, out,
			  json_object_get(body, "security_groups") != NULL
				  ? MODEL_HAS_SGS
				  : 0,
			  err) != 0)
		return -EINVAL;
	if (json_object_get(body, "mac_address") != NULL &&
	    memcmp(out->mac, old->mac, 6) != 0 &&
	    ctl_port_mac(c, out, MODEL_HAS_MAC, err) != 0)
		return -EINVAL;
	if (json_object_get(body, "fixed_ips") != NULL) {
		rc = store_ip_del_port(c->st, id);
		if (rc != 0)
			return ctl_store_err(rc, err);
		rc = ctl_port_assign(c, out, true, err);
		if (rc != 0)
			return rc;
	} else if (memcmp(out->mac, old->mac, 6) != 0) {
		rc = ctl_port_eui64_renew(c, out, err);
		if (rc != 0)
			return rc;
	}
	out->status = old->status;
	strcpy(out->vif_type, old->vif_type);
	strcpy(out->vif_details, old->vif_details);
	ctl_meta_bump(&out->m);
	rc = store_port_put(c->st, out, false);
	if (rc == -EEXIST)
		return ctl_err_set(err, CTL_E_MAC_IN_USE,
				   "The mac address is in use.");
	if (rc != 0)
		return ctl_store_err(rc, err);
	if (ctl_record(c, CTL_PORT, CTL_UPDATED, old, out) != 0)
		return ctl_store_err(-ENOMEM, err);
	return 0;
}

int
ctl_port_update(struct ctl *c, const struct ctl_auth *auth, const char *id,
		const json_t *body, int64_t if_match, struct ctl_port *out,
		struct ctl_err *err)
{
	struct ctl_port *old = malloc(sizeof(*old));
	int rc;

	if (old == NULL)
		return ctl_store_err(-ENOMEM, err);
	if (model_check_update(CTL_PORT, body, err) != 0) {
		free(old);
		return -EINVAL;
	}
	if (ctl_begin(c, err) != 0) {
		free(old);
		return -EIO;
	}
	rc = ctl_port_update_tx(c, auth, id, body, if_match, old, out, err);
	free(old);
	return ctl_end(c, rc, err);
}

int
ctl_port_delete(struct ctl *c, const struct ctl_auth *auth, const char *id,
		int64_t if_match, struct ctl_err *err)
{
	struct ctl_port *old = malloc(sizeof(*old));
	int rc;

	if (old == NULL)
		return ctl_store_err(-ENOMEM, err);
	if (ctl_begin(c, err) != 0) {
		free(old);
		return -EIO;
	}
	rc = ctl_port_lookup(c, auth, id, old, err);
	if (rc == 0)
		rc = ctl_check_revision(&old->m, if_match, err);
	if (rc == 0)
		rc = l3_port_deleting(c, old, err);
	if (rc == 0) {
		rc = store_del(c->st, CTL_PORT, id);
		if (rc != 0)
			rc = ctl_store_err(rc, err);
	}
	if (rc == 0 && ctl_record(c, CTL_PORT, CTL_DELETED, old, NULL) != 0)
		rc = ctl_store_err(-ENOMEM, err);
	free(old);
	return ctl_end(c, rc, err);
}

/* Tags: load, change the meta, bump, store, record. */

static struct ctl_meta *
ctl_obj_meta(enum ctl_kind kind, union ctl_obj *o)
{
	switch (kind) {
	case CTL_NETWORK:
		return &o->net.m;
	case CTL_SUBNET:
		return &o->sub.m;
	case CTL_PORT:
	default:
		return &o->port.m;
	}
}

static int
ctl_tags_apply(struct ctl_meta *m, enum ctl_tag_op op, const json_t *tags,
	       const char *tag, struct ctl_err *err)
{
	json_t *one;
	unsigned i;
	int rc = 0;

	switch (op) {
	case CTL_TAGS_REPLACE: {
		/* Decode through the model's tag rules. */
		struct ctl_network tmp;
		json_t *o;

		if (!json_is_array(tags))
			return ctl_err_set(
				err, CTL_E_BAD_REQUEST,
				"Invalid input for tags: not a list.");
		o = json_pack("{sO}", "tags", (json_t *)tags);
		if (o == NULL)
			return ctl_store_err(-ENOMEM, err);
		rc = model_network_decode(o, MODEL_STORE, &tmp, NULL, err);
		json_decref(o);
		if (rc == 0) {
			m->n_tags = tmp.m.n_tags;
			memcpy(m->tags, tmp.m.tags, sizeof(m->tags));
		}
		return rc;
	}
	case CTL_TAG_ADD:
		for (i = 0; i < m->n_tags; i++) {
			if (strcmp(m->tags[i], tag) == 0)
				return 0;
		}
		one = json_pack("[s]", tag);
		if (one == NULL)
			return ctl_store_err(-ENOMEM, err);
		{
			struct ctl_meta tmp = *m;
			json_t *all = json_array();

			for (i = 0; i < m->n_tags; i++)
				json_array_append_new(all,
						      json_string(m->tags[i]));
			json_array_extend(all, one);
			rc = ctl_tags_apply(&tmp, CTL_TAGS_REPLACE, all, NULL,
					    err);
			json_decref(all);
			if (rc == 0)
				*m = tmp;
		}
		json_decref(one);
		return rc;
	case CTL_TAG_DEL:
		for (i = 0; i < m->n_tags; i++) {
			if (strcmp(m->tags[i], tag) == 0)
				break;
		}
		if (i == m->n_tags)
			return ctl_err_set(err, CTL_E_NOT_FOUND,
					   "Tag %.64s could not be found.",
					   tag);
		memmove(&m->tags[i], &m->tags[i + 1],
			(m->n_tags - i - 1) * sizeof(m->tags[0]));
		m->n_tags--;
		return 0;
	case CTL_TAGS_CLEAR:
	default:
		m->n_tags = 0;
		return 0;
	}
}

static int
ctl_tags_tx(struct ctl *c, const struct ctl_auth *auth, enum ctl_kind kind,
	    const char *id, enum ctl_tag_op op, const json_t *tags,
	    const char *tag, union ctl_obj *old, union ctl_obj *cur,
	    struct ctl_err *err)
{
	int rc;

	switch (kind) {
	case CTL_NETWORK:
		rc = ctl_network_lookup(c, auth, id, &old->net, err);
		if (rc == 0 && !ctl_is_owner(auth, old->net.m.project_id))
			rc = ctl_err_set(
				err, CTL_E_FORBIDDEN,
				"(rule:update_network) is disallowed by "
				"policy");
		break;
	case CTL_SUBNET:
		rc = ctl_subnet_lookup(c, auth, id, &old->sub, err);
		if (rc == 0 && !ctl_is_owner(auth, old->sub.m.project_id))
			rc = ctl_err_set(
				err, CTL_E_FORBIDDEN,
				"(rule:update_subnet) is disallowed by "
				"policy");
		break;
	case CTL_PORT:
	default:
		rc = ctl_port_lookup(c, auth, id, &old->port, err);
		break;
	}
	if (rc != 0)
		return rc;
	*cur = *old;
	rc = ctl_tags_apply(ctl_obj_meta(kind, cur), op, tags, tag, err);
	if (rc != 0)
		return rc;
	ctl_meta_bump(ctl_obj_meta(kind, cur));
	rc = kind == CTL_NETWORK  ? store_network_put(c->st, &cur->net, false)
	     : kind == CTL_SUBNET ? store_subnet_put(c->st, &cur->sub, false)
				  : store_port_put(c->st, &cur->port, false);
	if (rc != 0)
		return ctl_store_err(rc, err);
	if (ctl_record(c, kind, CTL_UPDATED, old, cur) != 0)
		return ctl_store_err(-ENOMEM, err);
	return 0;
}

int
ctl_tags_update(struct ctl *c, const struct ctl_auth *auth, enum ctl_kind kind,
		const char *id, enum ctl_tag_op op, const json_t *tags,
		const char *tag, struct ctl_meta *meta_out, struct ctl_err *err)
{
	union ctl_obj *old, *cur;
	int rc;

	if (ctl_kind_is_doc(kind))
		return ctl_doc_tags(c, auth, kind, id, op, tags, tag, meta_out,
				    err);
	old = malloc(sizeof(*old));
	cur = malloc(sizeof(*cur));
	if (old == NULL || cur == NULL) {
		free(old);
		free(cur);
		return ctl_store_err(-ENOMEM, err);
	}
	if (ctl_begin(c, err) != 0) {
		free(old);
		free(cur);
		return -EIO;
	}
	rc = ctl_tags_tx(c, auth, kind, id, op, tags, tag, old, cur, err);
	if (rc == 0 && meta_out != NULL)
		*meta_out = *ctl_obj_meta(kind, cur);
	free(old);
	free(cur);
	return ctl_end(c, rc, err);
}

/* Binder hooks. */

static int
ctl_port_internal(struct ctl *c, const char *id, enum ctl_status status,
		  bool set_status, const char *vif_type,
		  const char *vif_details)
{
	struct ctl_port *old = malloc(sizeof(*old));
	struct ctl_port *cur = malloc(sizeof(*cur));
	struct ctl_err err;
	int rc;

	if (old == NULL || cur == NULL) {
		free(old);
		free(cur);
		return -ENOMEM;
	}
	if (c->depth == 0)
		ctl_events_clear(c);
	rc = store_begin(c->st);
	if (rc == 0) {
		rc = store_port_get(c->st, id, old);
		if (rc == 0) {
			*cur = *old;
			if (set_status) {
				cur->status = status;
			} else {
				snprintf(cur->vif_type, sizeof(cur->vif_type),
					 "%s", vif_type);
				snprintf(cur->vif_details,
					 sizeof(cur->vif_details), "%s",
					 vif_details);
			}
			ctl_meta_bump(&cur->m);
			rc = store_port_put(c->st, cur, false);
		}
		if (rc == 0)
			rc = ctl_record(c, CTL_PORT, CTL_UPDATED, old, cur);
		rc = ctl_end(c, rc, &err);
	}
	free(old);
	free(cur);
	return rc;
}

int
ctl_port_set_status(struct ctl *c, const char *id, enum ctl_status st)
{
	return ctl_port_internal(c, id, st, true, NULL, NULL);
}

int
ctl_port_set_binding(struct ctl *c, const char *id, const char *vif_type,
		     const char *vif_details)
{
	json_t *j, *probe;
	struct ctl_port tmp;
	struct ctl_err err;
	int rc;

	/* Validate through the model so the stored port stays decodable. */
	j = json_loads(vif_details, 0, NULL);
	if (j == NULL)
		return -EINVAL;
	probe = json_pack("{ss ss so}", "network_id",
			  "00000000-0000-0000-0000-000000000000",
			  "binding:vif_type", vif_type, "binding:vif_details",
			  j);
	if (probe == NULL)
		return -EINVAL;
	rc = model_port_decode(probe, MODEL_STORE, &tmp, NULL, &err);
	json_decref(probe);
	if (rc != 0)
		return -EINVAL;
	return ctl_port_internal(c, id, CTL_STATUS_DOWN, false, tmp.vif_type,
				 tmp.vif_details);
}

/* Internal entry points for the document kinds (ctl_int.h). */

int
ctl_tx_begin(struct ctl *c, struct ctl_err *err)
{
	return ctl_begin(c, err);
}

int
ctl_tx_end(struct ctl *c, int rc, struct ctl_err *err)
{
	return ctl_end(c, rc, err);
}

int
ctl_tx_meta_new(const struct ctl_auth *auth, struct ctl_meta *m,
		unsigned present, struct ctl_err *err)
{
	return ctl_meta_new(auth, m, present, err);
}

struct store *
ctl_tx_store(struct ctl *c)
{
	return c->st;
}

int
ctl_tx_record_doc(struct ctl *c, enum ctl_kind kind, enum ctl_change what,
		  const json_t *old, const json_t *cur)
{
	struct ctl_event *e;
	int rc = ctl_record(c, kind, what, NULL, NULL);

	if (rc != 0)
		return rc;
	e = c->events[c->n_events - 1];
	e->has_old = old != NULL;
	e->has_cur = cur != NULL;
	e->jold = old != NULL ? json_deep_copy(old) : NULL;
	e->jcur = cur != NULL ? json_deep_copy(cur) : NULL;
	if ((old != NULL && e->jold == NULL) ||
	    (cur != NULL && e->jcur == NULL))
		return -ENOMEM;
	return 0;
}

int
ctl_tx_store_err(int rc, struct ctl_err *err)
{
	return ctl_store_err(rc, err);
}

bool
ctl_tx_is_owner(const struct ctl_auth *auth, const char *project_id)
{
	return ctl_is_owner(auth, project_id);
}

int
ctl_tx_network(struct ctl *c, const struct ctl_auth *auth, const char *id,
	       struct ctl_network *out, struct ctl_err *err)
{
	return ctl_network_lookup(c, auth, id, out, err);
}

int
ctl_tx_subnet(struct ctl *c, const struct ctl_auth *auth, const char *id,
	      struct ctl_subnet *out, struct ctl_err *err)
{
	return ctl_subnet_lookup(c, auth, id, out, err);
}

int
ctl_tx_port(struct ctl *c, const struct ctl_auth *auth, const char *id,
	    struct ctl_port *out, struct ctl_err *err)
{
	return ctl_port_lookup(c, auth, id, out, err);
}

int
ctl_tx_port_create(struct ctl *c, struct ctl_port *p, unsigned present,
		   struct ctl_err *err)
{
	struct ctl_auth admin = {.is_admin = true};

	snprintf(admin.project_id, sizeof(admin.project_id), "%s",
		 p->m.project_id);
	return ctl_port_create_one(c, &admin, p, present | MODEL_HAS_PROJECT,
				   err);
}

int
ctl_tx_port_put(struct ctl *c, const struct ctl_port *old, struct ctl_port *cur,
		struct ctl_err *err)
{
	int rc;

	ctl_meta_bump(&cur->m);
	rc = store_port_put(c->st, cur, false);
	if (rc == 0)
		rc = ctl_record(c, CTL_PORT, CTL_UPDATED, old, cur);
	return rc != 0 ? ctl_store_err(rc, err) : 0;
}

int
ctl_tx_port_delete(struct ctl *c, const struct ctl_port *old,
		   struct ctl_err *err)
{
	int rc = store_del(c->st, CTL_PORT, old->m.id);

	if (rc == 0)
		rc = ctl_record(c, CTL_PORT, CTL_DELETED, old, NULL);
	return rc != 0 ? ctl_store_err(rc, err) : 0;
}

int
ctl_tx_ports(struct ctl *c, const struct store_query *q, struct ctl_port **out,
	     unsigned *n)
{
	struct ctl_port_list l = {0};
	int rc = store_port_foreach(c->st, q, ctl_port_list_add, &l);

	if (rc != 0) {
		free(l.v);
		l.v = NULL;
		l.n = 0;
	}
	*out = l.v;
	*n = l.n;
	return rc;
}

int
ctl_tx_subnets(struct ctl *c, const char *network_id, struct ctl_subnet **out,
	       unsigned *n)
{
	struct ctl_subnet_list l = {0};
	int rc = ctl_subnets_of(c, network_id, &l);

	if (rc != 0) {
		free(l.v);
		l.v = NULL;
		l.n = 0;
	}
	*out = l.v;
	*n = l.n;
	return rc;
}
