/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * res.h: the Neutron L3 and security group resources (routers, floating
 * IPs, security groups, security group rules) as JSON documents, driven by
 * one attribute table per kind.
 *
 * Networks, subnets and ports are C structs with hand-written decoders
 * (model.h) because IPAM and the compiler work on their fields. These four
 * kinds are mostly references between objects, so they stay in their API
 * form: a request body is checked against the kind's table (which
 * attributes exist, which a POST or PUT may carry, their types, defaults)
 * and normalized into the stored document (numbers as numbers, booleans as
 * booleans, prefixes in canonical form, defaults filled in). The same table
 * answers model_is_attribute() for filters and fields. The service (ctl.h
 * ctl_doc_*) adds the cross-object checks.
 *
 * Everything here is pure: no store, no allocation beyond the returned
 * documents. Safe on any input (fuzzed by model_fuzz.c).
 *
 * Concurrency: none.
 */
#ifndef SLUICE_RES_H
#define SLUICE_RES_H

#include <stdbool.h>

#include <jansson.h>

#include "model.h"

/* Collection names of a document kind; NULL for other kinds. */
const char *res_plural(enum ctl_kind kind);   /* "security-groups" */
const char *res_singular(enum ctl_kind kind); /* "security_group" */
const char *res_list_key(enum ctl_kind kind); /* "security_groups" */
/* The kind served at /v2.0/<plural>, or CTL_KIND_COUNT. */
enum ctl_kind res_kind_of(const char *plural);

/* True if name is a top-level attribute of kind (filters, fields). */
bool res_is_attribute(enum ctl_kind kind, const char *name);

/*
 * Check a PUT body: every key an updatable attribute. 0 or -EINVAL with
 * err (400).
 */
int res_check_update(enum ctl_kind kind, const json_t *body,
		     struct ctl_err *err);

/*
 * Decode a POST body of kind into a new document (*out, new reference)
 * with every attribute present: defaults filled in, values normalized,
 * read-only attributes absent from the body set to their initial value.
 * The standard attributes are left for the service: id "", revision 0.
 * present gets MODEL_HAS_PROJECT when the body named the project. 0 or
 * -EINVAL with err.
 */
int res_decode(enum ctl_kind kind, const json_t *body, json_t **out,
	       unsigned *present, struct ctl_err *err);

/*
 * Apply a PUT body (checked with res_check_update) over the stored doc:
 * *out is a new document (new reference) with the body's values
 * normalized. 0 or -EINVAL with err.
 */
int res_apply_update(enum ctl_kind kind, const json_t *doc, const json_t *body,
		     json_t **out, struct ctl_err *err);

/*
 * A security group rule's protocol as a number: -1 for any (null), else
 * 0..255 ("tcp" 6, "udp" 17, "icmp" 1, "icmpv6"/"ipv6-icmp" 58, or the
 * number itself). -2 if v is not a valid protocol.
 */
int res_proto_number(const json_t *v);

/* A string member of obj, or "" when absent or not a string. */
const char *res_str(const json_t *obj, const char *key);

#endif /* SLUICE_RES_H */
