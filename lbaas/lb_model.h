/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lb_model.h: the Octavia v2 objects as JSON documents, and their
 * validation: one attribute table per kind (type, range, default, whether
 * a POST or a PUT may set it), decoding of untrusted request bodies into
 * the stored document, and the cross-attribute rules (timeout < delay,
 * expected_codes syntax, protocols the sluice provider serves). Private to
 * lbaas/; lb_api.c is its user, lb_model_test.c its unit test.
 *
 * Concurrency: none (pure functions over caller-owned JSON).
 */
#ifndef SLUICE_LB_MODEL_H
#define SLUICE_LB_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

enum lb_kind {
	LB_LOADBALANCER,
	LB_LISTENER,
	LB_POOL,
	LB_MEMBER,
	LB_HEALTHMONITOR,
	LB_KIND_COUNT,
};

/* An API error: HTTP status and the faultstring. */
struct lb_err {
	int status;
	char msg[320];
};

/* Set err; returns -EINVAL for a 4xx status, -EIO otherwise. */
int lb_model_err_set(struct lb_err *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "loadbalancer", "listener", ... (the JSON key of one object). */
const char *lb_model_singular(enum lb_kind kind);
/* "loadbalancers", ... (the JSON key of a list). */
const char *lb_model_plural(enum lb_kind kind);

/*
 * Decode a request's inner object (body, borrowed) into doc (an object
 * owned by the caller): on create, doc starts empty and gets defaults; on
 * update, doc is the stored object and only updatable attributes may be
 * in body. Unknown, read-only, mistyped or out-of-range attributes are a
 * 400 in err and -EINVAL. Numbers and booleans are also accepted as
 * strings. Safe on any input.
 */
int lb_model_decode(enum lb_kind kind, const json_t *body, bool is_create,
		    json_t *doc, struct lb_err *err);

/*
 * The rules between attributes of one decoded doc (timeout < delay, HTTP
 * fields only on HTTP(S) monitors, expected_codes, supported protocols,
 * session persistence; is_create: a POST, else a PUT merged over the
 * stored doc). Fills monitor HTTP defaults. 0 or -EINVAL.
 */
int lb_model_check(enum lb_kind kind, json_t *doc, bool is_create,
		   struct lb_err *err);

/* True if name may be filtered or sorted on for kind. */
bool lb_model_is_attribute(enum lb_kind kind, const char *name);

/* True if s is "200", "200,202" or "200-204" (codes 100-599). */
bool lb_model_codes_valid(const char *s);
/* True if code matches an expected_codes string already validated. */
bool lb_model_codes_match(const char *s, int code);

/* True if s starts with "PENDING_". */
bool lb_model_is_pending(const char *status);

/* A prefix "address/length" of either family (allowed_cidrs). */
struct lb_model_cidr {
	uint8_t family;	  /* 4 or 6 */
	uint8_t len;	  /* 0 .. 32 or 0 .. 128 */
	uint8_t addr[16]; /* network order, host bits cleared */
};
/* Parse s into c: 0, or -EINVAL for anything but such a prefix. */
int lb_model_cidr_parse(const char *s, struct lb_model_cidr *c);

#endif /* SLUICE_LB_MODEL_H */
