/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ctl.h: the service layer of sluiced for the Neutron core: one function
 * per operation on networks, subnets and ports. Each checks the caller's
 * rights (struct ctl_auth), validates the request against the store (the
 * network exists, the address is free, the revision matches), allocates
 * what the request leaves open (VNI, MAC, fixed IPs), writes everything in
 * one store transaction and, after the commit, tells the observers
 * (model.h) what changed. A failed request changes nothing.
 *
 * The REST layer (api.c) decodes bodies with model_*_decode() and calls
 * these; the rest of the daemon (compiler, DHCP, binder) registers a
 * struct ctl_observer and uses ctl_port_set_status()/ctl_port_set_binding()
 * to report what the datapath did.
 *
 * Concurrency: single-threaded (the event loop); not reentrant except
 * that observers may call the ctl_port_set_* functions.
 */
#ifndef SLUICE_CTL_H
#define SLUICE_CTL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "model.h"
#include "store.h"

struct ctl;

/* Who is asking: the admin (sees everything) or one project. */
struct ctl_auth {
	bool is_admin;
	char project_id[CTL_PROJECT_MAX + 1]; /* default for creates */
};

#define CTL_OBSERVERS_MAX 8
#define CTL_NO_IF_MATCH (-1) /* if_match argument: no If-Match header */

/*
 * Create the service over st (borrowed; must outlive the ctl). *out is
 * owned by the caller (ctl_destroy). 0 or -ENOMEM.
 */
int ctl_create(struct store *st, struct ctl **out);
/* Accepts NULL. */
void ctl_destroy(struct ctl *c);
/* The store (borrowed), for readers such as the compiler. */
struct store *ctl_store(struct ctl *c);

/* Register an observer (copied). 0 or -ENOSPC past CTL_OBSERVERS_MAX. */
int ctl_observer_add(struct ctl *c, const struct ctl_observer *obs);

/* True if auth may see an object of project_id (shared: any project). */
bool ctl_is_visible(const struct ctl_auth *auth, const char *project_id,
		    bool is_shared);

/*
 * Create n objects in one transaction, all or nothing. objs[i] comes from
 * model_*_decode(MODEL_CREATE) with present[i]; on success each is
 * replaced by the stored object (id, timestamps, allocations filled in).
 * 0, or -EINVAL/-EIO with err set (nothing stored).
 */
int ctl_network_create(struct ctl *c, const struct ctl_auth *auth,
		       struct ctl_network *objs, const unsigned *present,
		       unsigned n, struct ctl_err *err);
int ctl_subnet_create(struct ctl *c, const struct ctl_auth *auth,
		      struct ctl_subnet *objs, const unsigned *present,
		      unsigned n, struct ctl_err *err);
int ctl_port_create(struct ctl *c, const struct ctl_auth *auth,
		    struct ctl_port *objs, const unsigned *present, unsigned n,
		    struct ctl_err *err);

/* Read one object the caller may see. 0, or -EINVAL with a 404 in err. */
int ctl_network_get(struct ctl *c, const struct ctl_auth *auth, const char *id,
		    struct ctl_network *out, struct ctl_err *err);
int ctl_subnet_get(struct ctl *c, const struct ctl_auth *auth, const char *id,
		   struct ctl_subnet *out, struct ctl_err *err);
int ctl_port_get(struct ctl *c, const struct ctl_auth *auth, const char *id,
		 struct ctl_port *out, struct ctl_err *err);

/*
 * Update from a PUT body (the inner object, borrowed). if_match is the
 * revision the client expects or CTL_NO_IF_MATCH (412 on mismatch).
 * *out gets the stored result.
 */
int ctl_network_update(struct ctl *c, const struct ctl_auth *auth,
		       const char *id, const json_t *body, int64_t if_match,
		       struct ctl_network *out, struct ctl_err *err);
int ctl_subnet_update(struct ctl *c, const struct ctl_auth *auth,
		      const char *id, const json_t *body, int64_t if_match,
		      struct ctl_subnet *out, struct ctl_err *err);
int ctl_port_update(struct ctl *c, const struct ctl_auth *auth, const char *id,
		    const json_t *body, int64_t if_match, struct ctl_port *out,
		    struct ctl_err *err);

/*
 * Delete. A network with ports other than network:dhcp ones (router
 * interfaces and gateways, floating IPs included) is NetworkInUse (the
 * DHCP ports go with it, as do its subnets); a subnet with allocated IPs
 * other than DHCP ports' (a router interface included) is SubnetInUse. A
 * port a router or a floating IP owns is L3PortInUse; a port with
 * floating IPs loses them (disassociated).
 */
int ctl_network_delete(struct ctl *c, const struct ctl_auth *auth,
		       const char *id, int64_t if_match, struct ctl_err *err);
int ctl_subnet_delete(struct ctl *c, const struct ctl_auth *auth,
		      const char *id, int64_t if_match, struct ctl_err *err);
int ctl_port_delete(struct ctl *c, const struct ctl_auth *auth, const char *id,
		    int64_t if_match, struct ctl_err *err);

/* Tag operations of the standard-attr-tag extension. */
enum ctl_tag_op {
	CTL_TAGS_REPLACE, /* tags = the given list */
	CTL_TAG_ADD,	  /* add one tag */
	CTL_TAG_DEL,	  /* remove one tag (404 if absent) */
	CTL_TAGS_CLEAR,	  /* remove all */
};

/*
 * Change the tags of object id of kind; tags/n_tags for REPLACE, tag for
 * ADD/DEL. Bumps revision_number. *meta_out (may be NULL) gets the new
 * standard attributes.
 */
int ctl_tags_update(struct ctl *c, const struct ctl_auth *auth,
		    enum ctl_kind kind, const char *id, enum ctl_tag_op op,
		    const json_t *tags, const char *tag,
		    struct ctl_meta *meta_out, struct ctl_err *err);

/*
 * The document kinds (ctl_kind_is_doc: routers, floating IPs, security
 * groups and rules; res.h). docs[i] comes from res_decode() (reference
 * taken over: on return each slot holds the stored document, a new
 * reference the caller drops, also on failure). get/update give *out, a
 * new reference, with the computed attributes (a group's rules) added.
 * Same transaction, observer and error rules as above; the kinds' own
 * rules are in docs/control.md.
 */
int ctl_doc_create(struct ctl *c, const struct ctl_auth *auth,
		   enum ctl_kind kind, json_t **docs, const unsigned *present,
		   unsigned n, struct ctl_err *err);
int ctl_doc_get(struct ctl *c, const struct ctl_auth *auth, enum ctl_kind kind,
		const char *id, json_t **out, struct ctl_err *err);
int ctl_doc_update(struct ctl *c, const struct ctl_auth *auth,
		   enum ctl_kind kind, const char *id, const json_t *body,
		   int64_t if_match, json_t **out, struct ctl_err *err);
int ctl_doc_delete(struct ctl *c, const struct ctl_auth *auth,
		   enum ctl_kind kind, const char *id, int64_t if_match,
		   struct ctl_err *err);
/* Add the computed attributes to a stored document (a group's rules). */
int ctl_doc_decorate(struct ctl *c, enum ctl_kind kind, json_t *doc);

/*
 * PUT /v2.0/routers/{id}/add_router_interface (is_add) or
 * remove_router_interface with body {"subnet_id"} or {"port_id"}. *out
 * (new reference) is the answer {id, subnet_id, subnet_ids, port_id,
 * network_id, project_id, tenant_id}.
 */
int ctl_router_interface(struct ctl *c, const struct ctl_auth *auth,
			 const char *router_id, const json_t *body, bool is_add,
			 json_t **out, struct ctl_err *err);

/* Create project_id's "default" security group if it has none. */
int ctl_sg_ensure_default(struct ctl *c, const char *project_id,
			  struct ctl_err *err);

/*
 * For the port binder: set a port's status (DOWN -> ACTIVE when the
 * datapath port is up) or its binding result. Each is one transaction,
 * bumps revision_number and notifies observers. vif_details is a JSON
 * object text. 0, -ENOENT, -EINVAL or -EIO.
 */
int ctl_port_set_status(struct ctl *c, const char *id, enum ctl_status st);
int ctl_port_set_binding(struct ctl *c, const char *id, const char *vif_type,
			 const char *vif_details);

#endif /* SLUICE_CTL_H */
