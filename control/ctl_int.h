/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ctl_int.h: what the service modules of sluiced share among themselves
 * and nobody else: ctl.c's transaction and event machinery for the
 * document kinds (ctl_doc.c: the generic create/get/update/delete of
 * routers, floating IPs, security groups and rules), the per-kind rules
 * (l3.c: routers, interfaces, gateways, floating IPs; sg.c: security
 * groups and rules), and the hooks ctl.c calls on port changes.
 *
 * The ctl_tx_* functions must be called inside a transaction opened with
 * ctl_tx_begin() and closed with ctl_tx_end(); what they write is
 * recorded and delivered to the observers after the commit, as for the
 * core resources. Errors come back as in ctl.h (0, or -EINVAL/-EIO with
 * err set).
 *
 * Concurrency: sluiced's event loop only.
 */
#ifndef SLUICE_CTL_INT_H
#define SLUICE_CTL_INT_H

#include <stdbool.h>

#include <jansson.h>

#include "ctl.h"
#include "model.h"
#include "store.h"

/* Transactions and events (ctl.c). */
int ctl_tx_begin(struct ctl *c, struct ctl_err *err);
/* Commit (rc == 0) and deliver the events, or roll back. Returns rc. */
int ctl_tx_end(struct ctl *c, int rc, struct ctl_err *err);
struct store *ctl_tx_store(struct ctl *c);
/*
 * Standard attributes of a new object: id, timestamps, revision 1, the
 * project (m->project_id when present has MODEL_HAS_PROJECT, checked
 * against auth: 403; else auth's).
 */
int ctl_tx_meta_new(const struct ctl_auth *auth, struct ctl_meta *m,
		    unsigned present, struct ctl_err *err);
/* Record a document change (old/cur copied; either may be NULL). */
int ctl_tx_record_doc(struct ctl *c, enum ctl_kind kind, enum ctl_change what,
		      const json_t *old, const json_t *cur);
/* err for a store failure rc; returns -EIO. */
int ctl_tx_store_err(int rc, struct ctl_err *err);
bool ctl_tx_is_owner(const struct ctl_auth *auth, const char *project_id);

/* Core lookups as the caller sees them (404 in err when not visible). */
int ctl_tx_network(struct ctl *c, const struct ctl_auth *auth, const char *id,
		   struct ctl_network *out, struct ctl_err *err);
int ctl_tx_subnet(struct ctl *c, const struct ctl_auth *auth, const char *id,
		  struct ctl_subnet *out, struct ctl_err *err);
int ctl_tx_port(struct ctl *c, const struct ctl_auth *auth, const char *id,
		struct ctl_port *out, struct ctl_err *err);
/*
 * Ports owned by the service (router interfaces and gateways, floating
 * IP ports): create p in p->m.project_id with admin rights (p->m is
 * filled in), replace old with cur (revision bumped), delete old.
 */
int ctl_tx_port_create(struct ctl *c, struct ctl_port *p, unsigned present,
		       struct ctl_err *err);
int ctl_tx_port_put(struct ctl *c, const struct ctl_port *old,
		    struct ctl_port *cur, struct ctl_err *err);
int ctl_tx_port_delete(struct ctl *c, const struct ctl_port *old,
		       struct ctl_err *err);
/* Ports matching q / subnets of a network: *out malloc'ed, caller frees. */
int ctl_tx_ports(struct ctl *c, const struct store_query *q,
		 struct ctl_port **out, unsigned *n);
int ctl_tx_subnets(struct ctl *c, const char *network_id,
		   struct ctl_subnet **out, unsigned *n);

/* Document tags (ctl_doc.c), behind ctl_tags_update(). */
int ctl_doc_tags(struct ctl *c, const struct ctl_auth *auth, enum ctl_kind kind,
		 const char *id, enum ctl_tag_op op, const json_t *tags,
		 const char *tag, struct ctl_meta *meta_out,
		 struct ctl_err *err);
/* A stored document by id, visible to auth: 0 or 404 in err. */
int ctl_doc_lookup(struct ctl *c, const struct ctl_auth *auth,
		   enum ctl_kind kind, const char *id, json_t **out,
		   struct ctl_err *err);
/* Replace old by cur in the store (revision bumped) and record it. */
int ctl_doc_put(struct ctl *c, enum ctl_kind kind, const json_t *old,
		json_t *cur, struct ctl_err *err);
/*
 * Insert a new document: standard attributes (project checked against
 * auth), the kind's create rules when with_rules, store, record.
 */
int ctl_doc_insert(struct ctl *c, const struct ctl_auth *auth,
		   enum ctl_kind kind, json_t *doc, unsigned present,
		   bool with_rules, struct ctl_err *err);
/* Delete a stored document and record it. */
int ctl_doc_del(struct ctl *c, enum ctl_kind kind, const json_t *old,
		struct ctl_err *err);
/* Documents of kind matching q: a new JSON array (NULL on failure). */
json_t *ctl_doc_list(struct ctl *c, enum ctl_kind kind,
		     const struct store_query *q);
/* A store query on one indexed column (values borrowed). */
void ctl_doc_query(struct store_query *q, const char *column,
		   const char *const *value);

/*
 * Per-kind rules, called by ctl_doc.c inside the transaction: create
 * gets the decoded document with its standard attributes set and may
 * complete it (allocations, status); update gets the stored and the
 * merged document and the body; del runs before the row goes.
 */
struct ctl_doc_ops {
	enum ctl_errcode not_found;
	const char *label; /* "Router", for messages */
	int (*create)(struct ctl *c, const struct ctl_auth *auth, json_t *doc,
		      struct ctl_err *err);
	int (*update)(struct ctl *c, const struct ctl_auth *auth,
		      const json_t *old, json_t *cur, const json_t *body,
		      struct ctl_err *err);
	int (*del)(struct ctl *c, const struct ctl_auth *auth,
		   const json_t *old, struct ctl_err *err);
};

extern const struct ctl_doc_ops l3_router_ops;
extern const struct ctl_doc_ops l3_fip_ops;
extern const struct ctl_doc_ops sg_group_ops;
extern const struct ctl_doc_ops sg_rule_ops;

/*
 * Port hooks (called by ctl.c). sg_port_check: on create (old NULL) or
 * update, resolve and check p's security groups: the project's default
 * group when port security is on and none were given (present lacks
 * MODEL_HAS_SGS), none for network:* owners, 404 for an unknown group,
 * 409 with port security off. l3_port_deleting: 409 for a port a router
 * or floating IP owns; floating IPs on the port are disassociated.
 */
int sg_port_check(struct ctl *c, const struct ctl_port *old, struct ctl_port *p,
		  unsigned present, struct ctl_err *err);
int l3_port_deleting(struct ctl *c, const struct ctl_port *p,
		     struct ctl_err *err);

/* The id of project_id's "default" group, created if missing (in tx). */
int sg_default_id(struct ctl *c, const char *project_id, char *id_out,
		  struct ctl_err *err);

#endif /* SLUICE_CTL_INT_H */
