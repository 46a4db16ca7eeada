// SPDX-License-Identifier: BSD-2-Clause
/*
 * lbaas.c: the Octavia v2 API of sluiced (see lbaas.h): routing, request
 * bodies, the service rules between objects (parents, one health monitor
 * per pool, duplicates, 409 while PENDING_*), one store transaction per
 * write, and the health monitors' targets built from the rows after each
 * write. Rows and computed status live in lb_store.c, the VIP port and
 * address checks in lb_vip.c (lb_int.h joins them).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sqlite3.h>

#include "lb_int.h"
#include "log.h"
#include "query.h"

#define LBA_SEGS_MAX 8
#define LBA_BATCH_MAX 1000

static const char lba_schema[] =
	"CREATE TABLE IF NOT EXISTS lb_objects("
	" id TEXT PRIMARY KEY, kind INTEGER NOT NULL,"
	" project_id TEXT NOT NULL, lb_id TEXT NOT NULL,"
	" parent_id TEXT NOT NULL, doc TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS lb_objects_parent"
	" ON lb_objects(kind, parent_id);"
	"CREATE INDEX IF NOT EXISTS lb_objects_lb ON lb_objects(lb_id);"
	/* The datapath pool id of each (listener, pool): lb_driver.c. */
	"CREATE TABLE IF NOT EXISTS lb_dp_pools("
	" listener_id TEXT NOT NULL, pool_id TEXT NOT NULL,"
	" dp_id INTEGER NOT NULL UNIQUE,"
	" PRIMARY KEY(listener_id, pool_id));";

static void lbaas_health_sync(struct lbaas *lb);

/* One request in flight. */
struct lba_req {
	struct lbaas *lb;
	const struct ctl_auth *auth;
	const char *base;
	const struct http_request *req;
	struct http_response *resp;
	struct lb_err err;
};

/* Responses. */

static void
lba_json(struct http_response *resp, int status, json_t *j)
{
	resp->status = status;
	resp->body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	resp->body_len = resp->body != NULL ? strlen(resp->body) : 0;
	if (j != NULL && resp->body == NULL)
		resp->status = 500;
	json_decref(j);
}

static void
lba_fault(struct lba_req *r)
{
	json_t *e;

	e = json_pack("{ss ss so}", "faultcode",
		      r->err.status < 500 ? "Client" : "Server", "faultstring",
		      r->err.msg, "debuginfo", json_null());
	if (e == NULL)
		e = json_pack("{ss ss so}", "faultcode", "Client",
			      "faultstring", "(unprintable message)",
			      "debuginfo", json_null());
	lba_json(r->resp, r->err.status, e);
}

static void
lba_reply(struct lba_req *r, int status, enum lb_kind kind,
	  const struct lb_row *row)
{
	json_t *out = json_object();

	json_object_set_new(out, lb_model_singular(kind),
			    lb_store_view(r->lb, row));
	lba_json(r->resp, status, out);
}

static const char *
lba_kind_title(enum lb_kind kind)
{
	static const char *const t[LB_KIND_COUNT] = {
		"Load Balancer", "Listener", "Pool", "Member", "Health Monitor",
	};

	return t[kind];
}

/* Get a row of kind the caller may see, or a 404 in r->err. */
static int
lba_find(struct lba_req *r, enum lb_kind kind, const char *id,
	 struct lb_row *row)
{
	int rc = lb_store_get(r->lb, id, row);

	if (rc == 0 && (row->kind != kind ||
			(!r->auth->is_admin &&
			 strcmp(row->project_id, r->auth->project_id) != 0))) {
		lb_store_row_fini(row);
		rc = -ENOENT;
	}
	if (rc == -ENOENT)
		return lb_model_err_set(&r->err, 404, "%s %.64s not found.",
					lba_kind_title(kind), id);
	if (rc != 0)
		return lb_model_err_set(&r->err, 500, "The store failed.");
	return 0;
}

/* 409 when the object or its load balancer is PENDING_*. */
static int
lba_check_mutable(struct lba_req *r, const struct lb_row *row)
{
	struct lb_row lbr;
	bool pending = lb_model_is_pending(
		lb_store_str(row->doc, "provisioning_status"));

	if (!pending && row->kind != LB_LOADBALANCER &&
	    lb_store_get(r->lb, row->lb_id, &lbr) == 0) {
		pending = lb_model_is_pending(
			lb_store_str(lbr.doc, "provisioning_status"));
		lb_store_row_fini(&lbr);
	}
	if (pending)
		return lb_model_err_set(
			&r->err, 409,
			"Load Balancer %s is immutable and cannot "
			"be updated.",
			row->lb_id);
	return 0;
}

static void
lba_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* The body's inner object named key, or NULL with a 400. */
static json_t *
lba_body(struct lba_req *r, const char *key, json_t **whole)
{
	json_error_t jerr;
	json_t *j, *inner;

	*whole = NULL;
	if (r->req->body_len == 0) {
		lb_model_err_set(&r->err, 400, "Missing request body.");
		return NULL;
	}
	j = json_loadb(r->req->body, r->req->body_len, JSON_REJECT_DUPLICATES,
		       &jerr);
	if (j == NULL) {
		lb_model_err_set(&r->err, 400, "Malformed request body: %s",
				 jerr.text);
		return NULL;
	}
	inner = json_object_get(j, key);
	if (!json_is_object(j) || json_object_size(j) != 1 ||
	    (inner == NULL ||
	     (!json_is_object(inner) && !json_is_array(inner)))) {
		json_decref(j);
		lb_model_err_set(
			&r->err, 400,
			"Invalid input: the body must be {\"%s\": ...}.", key);
		return NULL;
	}
	*whole = j;
	return inner;
}

/* The project of a new object: the body's (admin only) or the caller's. */
static int
lba_project(struct lba_req *r, json_t *doc, const char *inherited, char *out)
{
	const char *p = json_string_value(json_object_get(doc, "project_id"));

	if (p == NULL)
		p = json_string_value(json_object_get(doc, "tenant_id"));
	if (inherited != NULL) {
		if (p != NULL && strcmp(p, inherited) != 0)
			return lb_model_err_set(&r->err, 400,
						"project_id must be the load "
						"balancer's (%s).",
						inherited);
		p = inherited;
	} else if (p != NULL && p[0] != '\0' && !r->auth->is_admin &&
		   strcmp(p, r->auth->project_id) != 0) {
		return lb_model_err_set(
			&r->err, 403,
			"Policy does not allow this request to be "
			"performed: project_id of another project.");
	} else if (p == NULL || p[0] == '\0') {
		p = r->auth->project_id;
	}
	snprintf(out, CTL_PROJECT_MAX + 1, "%s", p);
	json_object_set_new(doc, "project_id", json_string(out));
	json_object_set_new(doc, "tenant_id", json_string(out));
	return 0;
}

/* id, times, status of a new row. */
static void
lba_stamp_new(struct lb_row *row, enum lb_kind kind)
{
	char now[32];

	row->kind = kind;
	model_uuid_new(row->id);
	lba_now(now, sizeof(now));
	json_object_set_new(row->doc, "id", json_string(row->id));
	json_object_set_new(row->doc, "provisioning_status",
			    json_string("ACTIVE"));
	json_object_set_new(row->doc, "created_at", json_string(now));
	json_object_set_new(row->doc, "updated_at", json_null());
}

static int
lba_begin(struct lba_req *r)
{
	if (store_begin(r->lb->st) != 0)
		return lb_model_err_set(&r->err, 500, "The store failed.");
	return 0;
}

static int
lba_commit(struct lba_req *r)
{
	if (store_commit(r->lb->st) != 0) {
		store_rollback(r->lb->st);
		return lb_model_err_set(&r->err, 500, "The store failed.");
	}
	lbaas_health_sync(r->lb);
	if (r->lb->change_fn != NULL)
		r->lb->change_fn(r->lb->change_arg);
	return 0;
}

/* Write rows[0..n) (is_new each) in one transaction. */
static int
lba_write(struct lba_req *r, struct lb_row *rows, const bool *is_new,
	  unsigned n)
{
	unsigned i;
	int rc;

	if (lba_begin(r) != 0)
		return -EIO;
	for (i = 0; i < n; i++) {
		rc = lb_store_put(r->lb, &rows[i], is_new[i]);
		if (rc != 0) {
			store_rollback(r->lb->st);
			return lb_model_err_set(&r->err,
						rc == -EEXIST ? 409 : 500,
						"The store refused the write.");
		}
	}
	return lba_commit(r);
}

/* Create: load balancer. */

static int
lba_lb_create(struct lba_req *r, struct lb_row *row)
{
	bool is_new = true;

	if (lba_project(r, row->doc, NULL, row->project_id) != 0)
		return -EINVAL;
	lba_stamp_new(row, LB_LOADBALANCER);
	snprintf(row->lb_id, sizeof(row->lb_id), "%s", row->id);
	snprintf(row->parent_id, sizeof(row->parent_id), "%s", row->id);
	if (lb_vip_port_create(r->lb, r->auth, row, &r->err) != 0)
		return -EINVAL;
	if (lba_write(r, row, &is_new, 1) != 0) {
		lb_vip_release(r->lb, row->doc);
		return -EIO;
	}
	return 0;
}

/* Create: listener. */

struct lba_port_dup {
	const char *protocol;
	long long port;
	const char *skip_id;
	bool found;
};

static int
lba_port_dup_cb(void *arg, struct lb_row *row)
{
	struct lba_port_dup *d = arg;

	if (strcmp(row->id, d->skip_id) != 0 &&
	    strcmp(lb_store_str(row->doc, "protocol"), d->protocol) == 0 &&
	    json_integer_value(json_object_get(row->doc, "protocol_port")) ==
		    d->port)
		d->found = true;
	return 0;
}

/*
 * A listener's default pool: pool_id must be a pool of lb_id with a
 * matching protocol, not the default of another listener.
 */
static int
lba_check_default_pool(struct lba_req *r, const char *lb_id,
		       const char *listener_id, const char *proto,
		       const char *pool_id)
{
	struct lb_row pr;
	json_t *ls;
	int rc;

	if (pool_id == NULL || pool_id[0] == '\0')
		return 0;
	if (lba_find(r, LB_POOL, pool_id, &pr) != 0)
		return lb_model_err_set(&r->err, 400, "Pool %.64s not found.",
					pool_id);
	rc = strcmp(pr.lb_id, lb_id) != 0			    ? 1
	     : strcmp(lb_store_str(pr.doc, "protocol"), proto) != 0 ? 2
								    : 0;
	lb_store_row_fini(&pr);
	if (rc == 1)
		return lb_model_err_set(&r->err, 400,
					"Pool %s is not on this load balancer.",
					pool_id);
	if (rc == 2)
		return lb_model_err_set(&r->err, 400,
					"Pool %s has a protocol other than the "
					"listener's %s.",
					pool_id, proto);
	ls = lb_store_pool_listeners(r->lb, lb_id, pool_id);
	rc = 0;
	if (json_array_size(ls) > 0 &&
	    strcmp(lb_store_str(json_array_get(ls, 0), "id"), listener_id) != 0)
		rc = lb_model_err_set(
			&r->err, 409,
			"Pool %s is already the default pool of "
			"listener %s.",
			pool_id, lb_store_str(json_array_get(ls, 0), "id"));
	json_decref(ls);
	return rc;
}

static int
lba_listener_create(struct lba_req *r, struct lb_row *row)
{
	struct lb_row lbr;
	struct lba_port_dup d = {0};
	const char *lb_id = lb_store_str(row->doc, "loadbalancer_id");
	bool is_new = true;
	int rc;

	if (lba_find(r, LB_LOADBALANCER, lb_id, &lbr) != 0)
		return -EINVAL;
	rc = lba_check_mutable(r, &lbr);
	if (rc == 0)
		rc = lba_project(r, row->doc, lbr.project_id, row->project_id);
	lb_store_row_fini(&lbr);
	if (rc != 0)
		return rc;
	snprintf(row->lb_id, sizeof(row->lb_id), "%s", lb_id);
	snprintf(row->parent_id, sizeof(row->parent_id), "%s", lb_id);
	d.protocol = lb_store_str(row->doc, "protocol");
	d.port = json_integer_value(json_object_get(row->doc, "protocol_port"));
	d.skip_id = "";
	if (lb_store_each(r->lb, LB_LISTENER, "parent_id", lb_id,
			  lba_port_dup_cb, &d) != 0)
		return lb_model_err_set(&r->err, 500, "The store failed.");
	if (d.found)
		return lb_model_err_set(
			&r->err, 409,
			"Another Listener on this Load Balancer is "
			"already using protocol %s and "
			"protocol_port %lld.",
			d.protocol, d.port);
	lba_stamp_new(row, LB_LISTENER);
	if (lba_check_default_pool(r, lb_id, row->id, d.protocol,
				   json_string_value(json_object_get(
					   row->doc, "default_pool_id"))) != 0)
		return -EINVAL;
	json_object_set_new(row->doc, "loadbalancers",
			    json_pack("[{ss}]", "id", row->lb_id));
	/* lb_id pointed into the doc: gone from here on. */
	json_object_del(row->doc, "loadbalancer_id");
	return lba_write(r, row, &is_new, 1);
}

/* Create: pool. */

static int
lba_pool_create(struct lba_req *r, struct lb_row *row)
{
	const char *lid =
		json_string_value(json_object_get(row->doc, "listener_id"));
	const char *lbid =
		json_string_value(json_object_get(row->doc, "loadbalancer_id"));
	struct lb_row rows[2] = {{0}};
	struct lb_row lbr;
	bool is_new[2] = {true, false};
	unsigned n = 1;
	int rc = 0;

	if (lid == NULL && lbid == NULL)
		return lb_model_err_set(&r->err, 400,
					"Validation failure: a pool needs "
					"listener_id or loadbalancer_id.");
	if (lid != NULL) {
		if (lba_find(r, LB_LISTENER, lid, &rows[1]) != 0)
			return -EINVAL;
		if (lbid != NULL && strcmp(lbid, rows[1].lb_id) != 0)
			rc = lb_model_err_set(
				&r->err, 400,
				"Listener %s is not on load balancer "
				"%s.",
				lid, lbid);
		else if (lb_store_str(rows[1].doc, "default_pool_id")[0] !=
			 '\0')
			rc = lb_model_err_set(
				&r->err, 409,
				"Listener %s already has a default "
				"pool.",
				lid);
		else if (strcmp(lb_store_str(rows[1].doc, "protocol"),
				lb_store_str(row->doc, "protocol")) != 0)
			rc = lb_model_err_set(
				&r->err, 400,
				"The pool protocol %s does not match "
				"the listener's %s.",
				lb_store_str(row->doc, "protocol"),
				lb_store_str(rows[1].doc, "protocol"));
		if (rc == 0)
			rc = lba_check_mutable(r, &rows[1]);
		lbid = rows[1].lb_id;
		n = 2;
	}
	if (rc == 0 && lba_find(r, LB_LOADBALANCER, lbid, &lbr) == 0) {
		rc = lba_check_mutable(r, &lbr);
		if (rc == 0)
			rc = lba_project(r, row->doc, lbr.project_id,
					 row->project_id);
		lb_store_row_fini(&lbr);
	} else if (rc == 0) {
		rc = -EINVAL;
	}
	if (rc != 0)
		goto out;
	snprintf(row->lb_id, sizeof(row->lb_id), "%s", lbid);
	snprintf(row->parent_id, sizeof(row->parent_id), "%s", lbid);
	lba_stamp_new(row, LB_POOL);
	json_object_set_new(row->doc, "loadbalancers",
			    json_pack("[{ss}]", "id", lbid));
	json_object_del(row->doc, "listener_id");
	json_object_del(row->doc, "loadbalancer_id");
	rows[0] = *row;
	if (n == 2)
		json_object_set_new(rows[1].doc, "default_pool_id",
				    json_string(row->id));
	rc = lba_write(r, rows, is_new, n);
out:
	if (n == 2)
		lb_store_row_fini(&rows[1]);
	return rc;
}

/* Create: member. */

struct lba_member_dup {
	const char *address;
	long long port;
	const char *skip_id;
	bool found;
};

static int
lba_member_dup_cb(void *arg, struct lb_row *row)
{
	struct lba_member_dup *d = arg;

	if (strcmp(row->id, d->skip_id) != 0 &&
	    strcmp(lb_store_str(row->doc, "address"), d->address) == 0 &&
	    json_integer_value(json_object_get(row->doc, "protocol_port")) ==
		    d->port)
		d->found = true;
	return 0;
}

/*
 * A member's address (what names it: "Member address" or
 * "monitor_address") must be of its load balancer's VIP's IP version:
 * the datapath translates within one family (the pool's source address
 * is the VIP, docs/lbaas.md "IPv6 load balancers"), and the probes
 * leave from the LB's namespace on the VIP's subnet. Not an address:
 * left to lb_vip_check_address().
 */
static int
lba_member_family(struct lba_req *r, const char *lb_id, const char *what,
		  const char *addr)
{
	struct lb_vip_ip ip, vip;
	struct lb_row lbr;
	int rc = 0;

	if (lb_vip_ip_parse(addr, &ip) != 0)
		return 0;
	if (lb_store_get(r->lb, lb_id, &lbr) != 0)
		return lb_model_err_set(&r->err, 500, "The store failed.");
	if (lb_vip_ip_parse(lb_store_str(lbr.doc, "vip_address"), &vip) == 0 &&
	    vip.family != ip.family)
		rc = lb_model_err_set(
			&r->err, 400,
			"%s %s is IPv%d but load balancer %s has an IPv%d VIP "
			"(%s): the addresses of a pool's members must be of "
			"its load balancer's IP version.",
			what, addr, ip.family, lb_id, vip.family,
			lb_store_str(lbr.doc, "vip_address"));
	lb_store_row_fini(&lbr);
	return rc;
}

/* Validate a decoded member of pool (all but the write). */
static int
lba_member_prepare(struct lba_req *r, const struct lb_row *pool,
		   struct lb_row *row, bool check_dup)
{
	struct lba_member_dup d = {0};
	const char *mon;

	if (lba_project(r, row->doc, pool->project_id, row->project_id) != 0)
		return -EINVAL;
	if (lba_member_family(r, pool->lb_id, "Member address",
			      lb_store_str(row->doc, "address")) != 0)
		return -EINVAL;
	if (lb_vip_check_address(
		    r->lb, "Member address", lb_store_str(row->doc, "address"),
		    json_string_value(json_object_get(row->doc, "subnet_id")),
		    pool->project_id, &r->err) != 0)
		return -EINVAL;
	mon = json_string_value(json_object_get(row->doc, "monitor_address"));
	if (mon != NULL &&
	    lba_member_family(r, pool->lb_id, "monitor_address", mon) != 0)
		return -EINVAL;
	if (mon != NULL &&
	    lb_vip_check_address(r->lb, "monitor_address", mon, NULL,
				 pool->project_id, &r->err) != 0)
		return -EINVAL;
	d.address = lb_store_str(row->doc, "address");
	d.port = json_integer_value(json_object_get(row->doc, "protocol_port"));
	d.skip_id = "";
	if (check_dup) {
		if (lb_store_each(r->lb, LB_MEMBER, "parent_id", pool->id,
				  lba_member_dup_cb, &d) != 0)
			return lb_model_err_set(&r->err, 500,
						"The store failed.");
		if (d.found)
			return lb_model_err_set(&r->err, 409,
						"Duplicate member: %s:%lld is "
						"already a member of pool %s.",
						d.address, d.port, pool->id);
	}
	snprintf(row->lb_id, sizeof(row->lb_id), "%s", pool->lb_id);
	snprintf(row->parent_id, sizeof(row->parent_id), "%s", pool->id);
	lba_stamp_new(row, LB_MEMBER);
	return 0;
}

/* Create: health monitor. */

static int
lba_hm_create(struct lba_req *r, struct lb_row *row)
{
	const char *pid = lb_store_str(row->doc, "pool_id");
	const char *type = lb_store_str(row->doc, "type");
	struct lb_row pr;
	bool is_new = true;
	json_t *hm;
	int rc;

	if (lba_find(r, LB_POOL, pid, &pr) != 0)
		return -EINVAL;
	rc = lba_check_mutable(r, &pr);
	hm = rc == 0 ? lb_store_pool_monitor(r->lb, pid) : NULL;
	if (rc == 0 && hm != NULL)
		rc = lb_model_err_set(
			&r->err, 409,
			"Pool %s already has a health monitor (%s).", pid,
			lb_store_str(hm, "id"));
	json_decref(hm);
	if (rc == 0 && strcmp(lb_store_str(pr.doc, "protocol"), "UDP") == 0 &&
	    strcmp(type, "UDP-CONNECT") != 0 && strcmp(type, "PING") != 0 &&
	    strcmp(type, "TCP") != 0 && strcmp(type, "HTTP") != 0)
		rc = lb_model_err_set(
			&r->err, 400,
			"Health monitor type %s is not valid for a "
			"UDP pool (UDP-CONNECT, PING, TCP and HTTP "
			"are).",
			type);
	if (rc == 0 && strcmp(lb_store_str(pr.doc, "protocol"), "TCP") == 0 &&
	    strcmp(type, "UDP-CONNECT") == 0)
		rc = lb_model_err_set(
			&r->err, 400,
			"Health monitor type UDP-CONNECT is not valid "
			"for a TCP pool.");
	if (rc == 0)
		rc = lba_project(r, row->doc, pr.project_id, row->project_id);
	if (rc == 0) {
		snprintf(row->lb_id, sizeof(row->lb_id), "%s", pr.lb_id);
		snprintf(row->parent_id, sizeof(row->parent_id), "%s", pid);
		lba_stamp_new(row, LB_HEALTHMONITOR);
		json_object_set_new(row->doc, "pools",
				    json_pack("[{ss}]", "id", pid));
		json_object_del(row->doc, "pool_id");
		rc = lba_write(r, row, &is_new, 1);
	}
	lb_store_row_fini(&pr);
	return rc;
}

/* Generic create. pool is the parent pool of members (else NULL). */
static void
lba_create(struct lba_req *r, enum lb_kind kind, const struct lb_row *pool)
{
	struct lb_row row = {0};
	json_t *whole = NULL, *inner;
	bool is_new = true;
	int rc = -EINVAL;

	inner = lba_body(r, lb_model_singular(kind), &whole);
	if (inner == NULL)
		goto fail;
	row.doc = json_object();
	if (row.doc == NULL) {
		lb_model_err_set(&r->err, 500, "Out of memory.");
		goto fail;
	}
	if (lb_model_decode(kind, inner, true, row.doc, &r->err) != 0 ||
	    lb_model_check(kind, row.doc, true, &r->err) != 0)
		goto fail;
	switch (kind) {
	case LB_LOADBALANCER:
		rc = lba_lb_create(r, &row);
		break;
	case LB_LISTENER:
		rc = lba_listener_create(r, &row);
		break;
	case LB_POOL:
		rc = lba_pool_create(r, &row);
		break;
	case LB_MEMBER:
		rc = lba_check_mutable(r, pool);
		if (rc == 0)
			rc = lba_member_prepare(r, pool, &row, true);
		if (rc == 0)
			rc = lba_write(r, &row, &is_new, 1);
		break;
	case LB_HEALTHMONITOR:
	default:
		rc = lba_hm_create(r, &row);
		break;
	}
	if (rc != 0)
		goto fail;
	lba_reply(r, 201, kind, &row);
	lb_store_row_fini(&row);
	json_decref(whole);
	return;
fail:
	lb_store_row_fini(&row);
	json_decref(whole);
	lba_fault(r);
}

/* Update. */

static void
lba_update(struct lba_req *r, enum lb_kind kind, struct lb_row *row)
{
	json_t *whole = NULL, *inner, *doc = NULL;
	char now[32];
	bool is_new = false;

	if (lba_check_mutable(r, row) != 0)
		goto fail;
	inner = lba_body(r, lb_model_singular(kind), &whole);
	if (inner == NULL)
		goto fail;
	doc = json_deep_copy(row->doc);
	if (doc == NULL ||
	    lb_model_decode(kind, inner, false, doc, &r->err) != 0 ||
	    lb_model_check(kind, doc, false, &r->err) != 0)
		goto fail;
	if (kind == LB_LISTENER &&
	    lba_check_default_pool(r, row->lb_id, row->id,
				   lb_store_str(doc, "protocol"),
				   json_string_value(json_object_get(
					   doc, "default_pool_id"))) != 0)
		goto fail;
	if (kind == LB_MEMBER &&
	    json_is_string(json_object_get(doc, "monitor_address")) &&
	    lba_member_family(r, row->lb_id, "monitor_address",
			      lb_store_str(doc, "monitor_address")) != 0)
		goto fail;
	lba_now(now, sizeof(now));
	json_object_set_new(doc, "updated_at", json_string(now));
	json_decref(row->doc);
	row->doc = doc;
	doc = NULL;
	if (lba_write(r, row, &is_new, 1) != 0)
		goto fail;
	json_decref(whole);
	lba_reply(r, 202, kind, row);
	return;
fail:
	json_decref(doc);
	json_decref(whole);
	lba_fault(r);
}

/* Delete. */

static int
lba_clear_default_pool_cb(void *arg, struct lb_row *l)
{
	struct lba_req *r = ((void **)arg)[0];
	const char *pool_id = ((void **)arg)[1];

	if (strcmp(lb_store_str(l->doc, "default_pool_id"), pool_id) != 0)
		return 0;
	json_object_set_new(l->doc, "default_pool_id", json_null());
	return lb_store_put(r->lb, l, false);
}

static void
lba_delete(struct lba_req *r, enum lb_kind kind, struct lb_row *row)
{
	bool cascade = false;
	json_t *kids;
	size_t i;
	int rc;

	if (lba_check_mutable(r, row) != 0)
		goto fail;
	for (i = 0; i < r->req->n_args; i++) {
		if (strcmp(r->req->args[i].key, "cascade") == 0)
			cascade = strcasecmp(r->req->args[i].value, "true") ==
					  0 ||
				  strcmp(r->req->args[i].value, "1") == 0;
	}
	if (kind == LB_LOADBALANCER && !cascade) {
		kids = lb_store_children(r->lb, LB_LISTENER, "parent_id",
					 row->id);
		i = json_array_size(kids);
		json_decref(kids);
		kids = lb_store_children(r->lb, LB_POOL, "parent_id", row->id);
		i += json_array_size(kids);
		json_decref(kids);
		if (i > 0) {
			lb_model_err_set(
				&r->err, 400,
				"Cannot delete Load Balancer %s - it has "
				"children (use --cascade).",
				row->id);
			goto fail;
		}
	}
	if (lba_begin(r) != 0)
		goto fail;
	switch (kind) {
	case LB_LOADBALANCER:
		rc = lb_store_del_where(r->lb, "lb_id", row->id);
		break;
	case LB_POOL: {
		void *arg[2] = {r, row->id};

		rc = lb_store_each(r->lb, LB_LISTENER, "parent_id", row->lb_id,
				   lba_clear_default_pool_cb, arg);
		if (rc == 0)
			rc = lb_store_del_where(r->lb, "parent_id", row->id);
		if (rc == 0)
			rc = lb_store_del_where(r->lb, "id", row->id);
		break;
	}
	default:
		rc = lb_store_del_where(r->lb, "id", row->id);
		break;
	}
	if (rc != 0) {
		store_rollback(r->lb->st);
		lb_model_err_set(&r->err, 500, "The store failed.");
		goto fail;
	}
	if (lba_commit(r) != 0)
		goto fail;
	if (kind == LB_LOADBALANCER)
		lb_vip_release(r->lb, row->doc);
	r->resp->status = 204;
	return;
fail:
	lba_fault(r);
}

/* Lists. */

static int
lba_query_parse(struct lba_req *r, enum lb_kind kind, struct query *q)
{
	const struct http_request *req = r->req;
	unsigned n_dir = 0;
	size_t i;

	memset(q, 0, sizeof(*q));
	q->filters = json_object();
	if (q->filters == NULL)
		return lb_model_err_set(&r->err, 500, "Out of memory.");
	for (i = 0; i < req->n_args; i++) {
		const char *k = req->args[i].key, *v = req->args[i].value;
		json_t *vals;

		if (strcmp(k, "fields") == 0) {
			if (q->fields == NULL)
				q->fields = json_array();
			json_array_append_new(q->fields, json_string(v));
		} else if (strcmp(k, "sort_key") == 0) {
			if (q->n_sort >= QUERY_SORT_MAX ||
			    !lb_model_is_attribute(kind, v))
				goto bad;
			q->sort_key[q->n_sort++] = v;
		} else if (strcmp(k, "sort_dir") == 0) {
			if (n_dir >= QUERY_SORT_MAX ||
			    (strcmp(v, "asc") != 0 && strcmp(v, "desc") != 0))
				goto bad;
			q->sort_desc[n_dir++] = strcmp(v, "desc") == 0;
		} else if (strcmp(k, "limit") == 0) {
			char *end;
			long l = strtol(v, &end, 10);

			if (*v == '\0' || *end != '\0' || l < 0 || l > 100000)
				goto bad;
			q->limit = (size_t)l;
		} else if (strcmp(k, "marker") == 0) {
			q->marker = v;
		} else if (strcmp(k, "page_reverse") == 0) {
			q->page_reverse = strcasecmp(v, "true") == 0;
		} else if (lb_model_is_attribute(kind, k)) {
			vals = json_object_get(q->filters, k);
			if (vals == NULL) {
				vals = json_array();
				json_object_set_new(q->filters, k, vals);
			}
			json_array_append_new(vals, json_string(v));
		} else {
			query_fini(q);
			return lb_model_err_set(
				&r->err, 400,
				"Invalid filter: %.64s is not an "
				"attribute of %s.",
				k, lb_model_singular(kind));
		}
	}
	if (n_dir <= q->n_sort)
		return 0;
bad:
	query_fini(q);
	return lb_model_err_set(
		&r->err, 400, "Invalid sort_key, sort_dir or limit argument.");
}

struct lba_list {
	struct lba_req *r;
	const struct query *q;
	json_t *objs;
};

static int
lba_list_cb(void *arg, struct lb_row *row)
{
	struct lba_list *l = arg;
	json_t *j;

	if (!l->r->auth->is_admin &&
	    strcmp(row->project_id, l->r->auth->project_id) != 0)
		return 0;
	j = lb_store_view(l->r->lb, row);
	if (j == NULL)
		return -ENOMEM;
	if (query_match(l->q, j))
		json_array_append_new(l->objs, j);
	else
		json_decref(j);
	return 0;
}

static void
lba_links(struct lba_req *r, json_t *out, const char *coll_url,
	  const char *plural, const char *next, const char *prev)
{
	char key[64];
	json_t *links = json_array();
	char *href;

	if (next != NULL) {
		href = query_link(coll_url, r->req->args, r->req->n_args, next,
				  false);
		json_array_append_new(links,
				      json_pack("{ssss}", "rel", "next", "href",
						href ? href : ""));
		free(href);
	}
	if (prev != NULL) {
		href = query_link(coll_url, r->req->args, r->req->n_args, prev,
				  true);
		json_array_append_new(links,
				      json_pack("{ssss}", "rel", "previous",
						"href", href ? href : ""));
		free(href);
	}
	snprintf(key, sizeof(key), "%s_links", plural);
	json_object_set_new(out, key, links);
}

static void
lba_list(struct lba_req *r, enum lb_kind kind, const char *pool_id)
{
	const char *plural = lb_model_plural(kind), *next = NULL, *prev = NULL;
	struct lba_list l = {0};
	struct ctl_err cerr;
	struct query q;
	json_t *page = NULL, *out;
	char url[512];

	if (lba_query_parse(r, kind, &q) != 0) {
		lba_fault(r);
		return;
	}
	l.r = r;
	l.q = &q;
	l.objs = json_array();
	if (l.objs == NULL ||
	    lb_store_each(r->lb, kind, pool_id != NULL ? "parent_id" : NULL,
			  pool_id, lba_list_cb, &l) != 0) {
		lb_model_err_set(&r->err, 500, "The store failed.");
		goto fail;
	}
	if (query_page(&q, l.objs, &page, &next, &prev, &cerr) != 0) {
		lb_model_err_set(&r->err, ctl_err_status(cerr.code), "%s",
				 cerr.message);
		goto fail;
	}
	out = json_object();
	json_object_set_new(out, plural, page);
	if (pool_id != NULL)
		snprintf(url, sizeof(url), "%s/v2.0/lbaas/pools/%s/members",
			 r->base, pool_id);
	else
		snprintf(url, sizeof(url), "%s/v2.0/lbaas/%s", r->base, plural);
	if (next != NULL || prev != NULL)
		lba_links(r, out, url, plural, next, prev);
	json_decref(l.objs);
	query_fini(&q);
	lba_json(r->resp, 200, out);
	return;
fail:
	json_decref(l.objs);
	query_fini(&q);
	lba_fault(r);
}

static void
lba_show(struct lba_req *r, struct lb_row *row)
{
	struct query q;
	json_t *j, *arr, *page = NULL, *out;
	const char *nm, *pm;
	struct ctl_err cerr;
	struct query only = {0};

	if (lba_query_parse(r, row->kind, &q) != 0) {
		lba_fault(r);
		return;
	}
	j = lb_store_view(r->lb, row);
	arr = json_array();
	json_array_append_new(arr, j);
	only.fields = q.fields;
	query_page(&only, arr, &page, &nm, &pm, &cerr);
	out = json_object();
	json_object_set(out, lb_model_singular(row->kind),
			json_array_get(page, 0));
	json_decref(page);
	json_decref(arr);
	query_fini(&q);
	lba_json(r->resp, 200, out);
}

/* Status tree and stats. */

static void
lba_status(struct lba_req *r, struct lb_row *row)
{
	json_t *n = lb_store_status_tree(r->lb, row);

	lba_json(r->resp, 200,
		 json_pack("{s{so}}", "statuses", "loadbalancer", n));
}

static void
lba_stats(struct lba_req *r, const struct lb_row *row)
{
	struct lbaas_stats s = {0};
	const char *lb_id = row->kind == LB_LISTENER ? row->lb_id : row->id;

	/* The datapath driver's counters (lb_driver.c), zeros without. */
	if (r->lb->stats_fn == NULL ||
	    r->lb->stats_fn(r->lb->stats_arg, lb_id,
			    row->kind == LB_LISTENER ? row->id : NULL, &s) != 0)
		memset(&s, 0, sizeof(s));
	lba_json(r->resp, 200,
		 json_pack("{s{sIsIsIsIsI}}", "stats", "bytes_in",
			   (json_int_t)s.bytes_in, "bytes_out",
			   (json_int_t)s.bytes_out, "active_connections",
			   (json_int_t)s.active_connections,
			   "total_connections", (json_int_t)s.total_connections,
			   "request_errors", (json_int_t)s.request_errors));
}

/* Batch member update: PUT /pools/{id}/members {"members": [...]}. */

static int
lba_member_key_eq(const json_t *a, const json_t *b)
{
	return strcmp(lb_store_str(a, "address"), lb_store_str(b, "address")) ==
		       0 &&
	       json_integer_value(json_object_get(a, "protocol_port")) ==
		       json_integer_value(json_object_get(b, "protocol_port"));
}

static void
lba_members_batch(struct lba_req *r, struct lb_row *pool)
{
	json_t *whole = NULL, *list, *olds = NULL, *e, *o;
	struct lb_row *rows = NULL;
	size_t n = 0, i, k;
	bool *is_new = NULL, *kept = NULL;
	int rc = -EINVAL;

	if (lba_check_mutable(r, pool) != 0)
		goto fail;
	list = lba_body(r, "members", &whole);
	if (list == NULL)
		goto fail;
	n = json_array_size(list);
	if (!json_is_array(list) || n > LBA_BATCH_MAX) {
		lb_model_err_set(
			&r->err, 400,
			"members must be a list of at most %d members.",
			LBA_BATCH_MAX);
		goto fail;
	}
	olds = lb_store_children(r->lb, LB_MEMBER, "parent_id", pool->id);
	rows = calloc(n + 1, sizeof(*rows));
	is_new = calloc(n + 1, sizeof(*is_new));
	kept = calloc(json_array_size(olds) + 1, sizeof(*kept));
	if (olds == NULL || rows == NULL || is_new == NULL || kept == NULL) {
		lb_model_err_set(&r->err, 500, "Out of memory.");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		rows[i].doc = json_object();
		e = json_array_get(list, i);
		if (lb_model_decode(LB_MEMBER, e, true, rows[i].doc, &r->err) !=
			    0 ||
		    lb_model_check(LB_MEMBER, rows[i].doc, true, &r->err) !=
			    0 ||
		    lba_member_prepare(r, pool, &rows[i], false) != 0)
			goto fail;
		for (k = 0; k < i; k++) {
			if (lba_member_key_eq(rows[k].doc, rows[i].doc)) {
				lb_model_err_set(
					&r->err, 400,
					"Duplicate member %s:%lld in the "
					"request.",
					lb_store_str(rows[i].doc, "address"),
					(long long)json_integer_value(
						json_object_get(
							rows[i].doc,
							"protocol_port")));
				goto fail;
			}
		}
		is_new[i] = true;
		json_array_foreach(olds, k, o)
		{
			if (!lba_member_key_eq(o, rows[i].doc))
				continue;
			/* Same member: keep its id and creation time. */
			kept[k] = true;
			is_new[i] = false;
			snprintf(rows[i].id, sizeof(rows[i].id), "%s",
				 lb_store_str(o, "id"));
			json_object_set(rows[i].doc, "id",
					json_object_get(o, "id"));
			json_object_set(rows[i].doc, "created_at",
					json_object_get(o, "created_at"));
			break;
		}
	}
	if (lba_begin(r) != 0)
		goto fail;
	rc = 0;
	json_array_foreach(olds, k, o)
	{
		if (!kept[k] && rc == 0)
			rc = lb_store_del_where(r->lb, "id",
						lb_store_str(o, "id"));
	}
	for (i = 0; i < n && rc == 0; i++)
		rc = lb_store_put(r->lb, &rows[i], is_new[i]);
	if (rc != 0) {
		store_rollback(r->lb->st);
		lb_model_err_set(&r->err, 500, "The store failed.");
		goto fail;
	}
	if (lba_commit(r) != 0)
		goto fail;
	r->resp->status = 202;
	goto out;
fail:
	lba_fault(r);
out:
	for (i = 0; rows != NULL && i < n; i++)
		lb_store_row_fini(&rows[i]);
	free(rows);
	free(is_new);
	free(kept);
	json_decref(olds);
	json_decref(whole);
}

/* Routing. */

static enum lb_kind
lba_kind_of(const char *coll, bool *ok)
{
	enum lb_kind k;

	*ok = true;
	for (k = LB_LOADBALANCER; k < LB_KIND_COUNT; k++) {
		if (k != LB_MEMBER && strcmp(coll, lb_model_plural(k)) == 0)
			return k;
	}
	*ok = false;
	return LB_LOADBALANCER;
}

static void
lba_not_found(struct lba_req *r)
{
	lb_model_err_set(&r->err, 404, "The resource could not be found.");
	lba_fault(r);
}

static void
lba_bad_method(struct lba_req *r)
{
	lb_model_err_set(&r->err, 405, "The method %.16s is not allowed here.",
			 r->req->method);
	lba_fault(r);
}

/* Collections the sluice provider does not offer, answered plainly. */
static bool
lba_extras(struct lba_req *r, char **seg, int n)
{
	const char *m = r->req->method;

	if (strcmp(seg[0], "providers") == 0 && n == 1) {
		lba_json(r->resp, 200,
			 json_pack("{s[{ssss}]}", "providers", "name", "sluice",
				   "description",
				   "Sluice datapath load balancer (Maglev, "
				   "TCP and UDP)"));
		return true;
	}
	if (strcmp(seg[0], "flavors") == 0 ||
	    strcmp(seg[0], "flavorprofiles") == 0 ||
	    strcmp(seg[0], "availabilityzones") == 0 ||
	    strcmp(seg[0], "l7policies") == 0) {
		if (n == 1 && strcmp(m, "GET") == 0) {
			json_t *o = json_object();

			json_object_set_new(o, seg[0], json_array());
			lba_json(r->resp, 200, o);
		} else if (n == 1 && strcmp(m, "POST") == 0) {
			lb_model_err_set(&r->err, 400,
					 "%s are not supported by the sluice "
					 "provider.",
					 seg[0]);
			lba_fault(r);
		} else {
			lba_not_found(r);
		}
		return true;
	}
	return false;
}

/*
 * sluice/...: the provider's own resources under the Octavia prefix, a
 * name no Octavia collection has. sluice/health: the health monitors'
 * counters (lb_health.c), read-only and for the admin alone, as they
 * name members of every project.
 */
static bool
lba_sluice(struct lba_req *r, char **seg, int n)
{
	json_t *j;

	if (strcmp(seg[0], "sluice") != 0)
		return false;
	if (n != 2 || strcmp(seg[1], "health") != 0) {
		lba_not_found(r);
		return true;
	}
	if (strcmp(r->req->method, "GET") != 0) {
		lba_bad_method(r);
		return true;
	}
	if (!r->auth->is_admin) {
		lb_model_err_set(&r->err, 403,
				 "Policy does not allow this request to be "
				 "performed: the health monitor counters are "
				 "for the admin.");
		lba_fault(r);
		return true;
	}
	if (r->req->n_args > 0) {
		lb_model_err_set(&r->err, 400,
				 "Invalid filter: %.64s: sluice/health takes "
				 "no query arguments.",
				 r->req->args[0].key);
		lba_fault(r);
		return true;
	}
	j = lb_health_view(r->lb);
	if (j == NULL) {
		lb_model_err_set(&r->err, 500, "Out of memory.");
		lba_fault(r);
		return true;
	}
	lba_json(r->resp, 200, j);
	return true;
}

static void
lba_route_member(struct lba_req *r, struct lb_row *pool, char **seg, int n)
{
	const char *m = r->req->method;
	struct lb_row mr = {0};

	if (n == 3) {
		if (strcmp(m, "GET") == 0)
			lba_list(r, LB_MEMBER, pool->id);
		else if (strcmp(m, "POST") == 0)
			lba_create(r, LB_MEMBER, pool);
		else if (strcmp(m, "PUT") == 0)
			lba_members_batch(r, pool);
		else
			lba_bad_method(r);
		return;
	}
	if (lba_find(r, LB_MEMBER, seg[3], &mr) != 0 ||
	    strcmp(mr.parent_id, pool->id) != 0) {
		lb_store_row_fini(&mr);
		lb_model_err_set(&r->err, 404, "Member %.64s not found.",
				 seg[3]);
		lba_fault(r);
		return;
	}
	if (strcmp(m, "GET") == 0)
		lba_show(r, &mr);
	else if (strcmp(m, "PUT") == 0)
		lba_update(r, LB_MEMBER, &mr);
	else if (strcmp(m, "DELETE") == 0)
		lba_delete(r, LB_MEMBER, &mr);
	else
		lba_bad_method(r);
	lb_store_row_fini(&mr);
}

static void
lba_route(struct lba_req *r, char **seg, int n)
{
	const char *m = r->req->method;
	struct lb_row row = {0};
	enum lb_kind kind;
	bool ok;

	if (lba_extras(r, seg, n) || lba_sluice(r, seg, n))
		return;
	kind = lba_kind_of(seg[0], &ok);
	if (!ok || n > 4 ||
	    (n == 4 && !(kind == LB_POOL && strcmp(seg[2], "members") == 0))) {
		lba_not_found(r);
		return;
	}
	if (n == 1) {
		if (strcmp(m, "GET") == 0)
			lba_list(r, kind, NULL);
		else if (strcmp(m, "POST") == 0)
			lba_create(r, kind, NULL);
		else
			lba_bad_method(r);
		return;
	}
	if (lba_find(r, kind, seg[1], &row) != 0) {
		lba_fault(r);
		return;
	}
	if (n == 2) {
		if (strcmp(m, "GET") == 0)
			lba_show(r, &row);
		else if (strcmp(m, "PUT") == 0)
			lba_update(r, kind, &row);
		else if (strcmp(m, "DELETE") == 0)
			lba_delete(r, kind, &row);
		else
			lba_bad_method(r);
	} else if (kind == LB_POOL && strcmp(seg[2], "members") == 0) {
		lba_route_member(r, &row, seg, n);
	} else if (n == 3 && kind == LB_LOADBALANCER &&
		   strcmp(seg[2], "status") == 0 && strcmp(m, "GET") == 0) {
		lba_status(r, &row);
	} else if (n == 3 && (kind == LB_LOADBALANCER || kind == LB_LISTENER) &&
		   strcmp(seg[2], "stats") == 0 && strcmp(m, "GET") == 0) {
		lba_stats(r, &row);
	} else if (n == 3 && kind == LB_LOADBALANCER &&
		   strcmp(seg[2], "failover") == 0 && strcmp(m, "PUT") == 0) {
		/* Nothing to fail over: the datapath is the load balancer
		 * on every host; accepted as a no-op. */
		if (lba_check_mutable(r, &row) != 0)
			lba_fault(r);
		else
			r->resp->status = 202;
	} else {
		lba_not_found(r);
	}
	lb_store_row_fini(&row);
}

void
lbaas_handle(struct lbaas *lb, const struct ctl_auth *auth,
	     const char *base_url, const struct http_request *req,
	     struct http_response *resp)
{
	struct lba_req r = {lb, auth, base_url, req, resp, {0, ""}};
	char buf[1024], *seg[LBA_SEGS_MAX], *save = NULL, *tok;
	int n = 0;

	if (strlen(req->path) >= sizeof(buf)) {
		lba_not_found(&r);
		return;
	}
	strcpy(buf, req->path);
	for (tok = strtok_r(buf, "/", &save); tok != NULL;
	     tok = strtok_r(NULL, "/", &save)) {
		if (n >= LBA_SEGS_MAX) {
			lba_not_found(&r);
			return;
		}
		seg[n++] = tok;
	}
	/* seg[0] is "v2.0" or "v2", seg[1] "lbaas". */
	if (n < 3 || strcmp(seg[1], "lbaas") != 0) {
		lba_not_found(&r);
		return;
	}
	lba_route(&r, seg + 2, n - 2);
}

/* Life cycle. */

int
lbaas_create(struct ctl *ctl, struct lbaas **out)
{
	struct lbaas *lb = calloc(1, sizeof(*lb));
	char *msg = NULL;

	if (lb == NULL)
		return -ENOMEM;
	lb->ctl = ctl;
	lb->st = ctl_store(ctl);
	lb->db = store_db(lb->st);
	if (sqlite3_exec(lb->db, lba_schema, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("lbaas", "create the lb_objects table: %s",
			  msg != NULL ? msg : "?");
		sqlite3_free(msg);
		free(lb);
		return -EIO;
	}
	*out = lb;
	return 0;
}

void
lbaas_destroy(struct lbaas *lb)
{
	if (lb == NULL)
		return;
	health_destroy(lb->health);
	lb_svc_fini(lb);
	free(lb);
}

void
lbaas_set_probe_netns(struct lbaas *lb, bool is_on)
{
	lb->is_probe_netns = is_on;
}

void
lbaas_set_member_fn(struct lbaas *lb, lbaas_member_fn fn, void *arg)
{
	lb->member_fn = fn;
	lb->member_arg = arg;
}

void
lbaas_set_stats_fn(struct lbaas *lb, lbaas_stats_fn fn, void *arg)
{
	lb->stats_fn = fn;
	lb->stats_arg = arg;
}

void
lbaas_set_change_fn(struct lbaas *lb, lbaas_change_fn fn, void *arg)
{
	lb->change_fn = fn;
	lb->change_arg = arg;
}

int
lbaas_member_health(const struct lbaas *lb, const char *member_id)
{
	enum health_state st;

	if (lb->health == NULL)
		return -1;
	st = health_get(lb->health, member_id);
	return st == HEALTH_UP ? 1 : st == HEALTH_DOWN ? 0 : -1;
}

int
lbaas_set_provisioning(struct lbaas *lb, const char *id, const char *status)
{
	static const char *const ok[] = {
		"ACTIVE",	  "ERROR",	    "PENDING_CREATE",
		"PENDING_UPDATE", "PENDING_DELETE", NULL,
	};
	struct lb_row row;
	size_t i;
	int rc;

	for (i = 0; ok[i] != NULL && strcmp(ok[i], status) != 0; i++)
		;
	if (ok[i] == NULL)
		return -EINVAL;
	rc = lb_store_get(lb, id, &row);
	if (rc != 0)
		return rc;
	json_object_set_new(row.doc, "provisioning_status",
			    json_string(status));
	rc = store_begin(lb->st);
	if (rc == 0) {
		rc = lb_store_put(lb, &row, false);
		if (rc == 0)
			rc = store_commit(lb->st);
		if (rc != 0)
			store_rollback(lb->st);
	}
	lb_store_row_fini(&row);
	return rc;
}

/* Health monitor targets from the rows. */

struct lba_sync {
	struct lbaas *lb;
	const json_t *hm;
	const char *pool_id;
};

/* A stored monitor's type (the API refused the others: SCTP). */
static enum health_type
lba_health_type(const char *t)
{
	enum health_type type;

	return health_type_parse(t, &type) == 0 ? type : HEALTH_TCP;
}

static int
lba_sync_member_cb(void *arg, struct lb_row *row)
{
	struct lba_sync *s = arg;
	const json_t *hm = s->hm, *d = row->doc;
	struct health_target t;
	const char *addr =
		json_string_value(json_object_get(d, "monitor_address"));
	json_t *mp = json_object_get(d, "monitor_port");
	long long port = json_integer_value(
		json_is_integer(mp) ? mp : json_object_get(d, "protocol_port"));
	struct lb_vip_ip ip;

	if (!lb_store_is_up(d))
		return 0;
	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "%s", row->id);
	snprintf(t.pool_id, sizeof(t.pool_id), "%s", s->pool_id);
	t.type = lba_health_type(lb_store_str(hm, "type"));
	if (addr == NULL)
		addr = lb_store_str(d, "address");
	if (lb_vip_ip_parse(addr, &ip) != 0)
		return 0;
	if (ip.family == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&t.addr;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		memcpy(&sin->sin_addr, ip.a, 4);
		t.addr_len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&t.addr;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		memcpy(&sin6->sin6_addr, ip.a, 16);
		t.addr_len = sizeof(*sin6);
	}
	t.delay_ms =
		(unsigned)json_integer_value(json_object_get(hm, "delay")) *
		1000;
	t.timeout_ms =
		(unsigned)json_integer_value(json_object_get(hm, "timeout")) *
		1000;
	if (t.timeout_ms == 0)
		t.timeout_ms = 500;
	t.rise = (unsigned)json_integer_value(
		json_object_get(hm, "max_retries"));
	t.fall = (unsigned)json_integer_value(
		json_object_get(hm, "max_retries_down"));
	snprintf(t.method, sizeof(t.method), "%s",
		 lb_store_str(hm, "http_method"));
	snprintf(t.path, sizeof(t.path), "%s", lb_store_str(hm, "url_path"));
	snprintf(t.codes, sizeof(t.codes), "%s",
		 lb_store_str(hm, "expected_codes"));
	snprintf(t.host, sizeof(t.host), "%s", lb_store_str(hm, "domain_name"));
	/* Validated: null, 1.0 or 1.1 (lb_model.c). */
	t.http_minor =
		json_number_value(json_object_get(hm, "http_version")) > 1.05
			? 1
			: 0;
	/* From the load balancer's service namespace (lb_svc.c); without
	 * one (not made) its members are not probed rather than probed
	 * from the host, where a tenant address means another machine. */
	t.netns_fd = lb_svc_netns_fd(s->lb, row->lb_id);
	if (s->lb->is_probe_netns && t.netns_fd < 0)
		return 0;
	if (health_set(s->lb->health, &t) != 0)
		log_warn("lbaas", "health monitor for member %s not started",
			 row->id);
	return 0;
}

static int
lba_sync_hm_cb(void *arg, struct lb_row *row)
{
	struct lba_sync *s = arg;

	if (!lb_store_is_up(row->doc))
		return 0;
	s->hm = row->doc;
	s->pool_id = row->parent_id;
	return lb_store_each(s->lb, LB_MEMBER, "parent_id", row->parent_id,
			     lba_sync_member_cb, s);
}

static void
lbaas_health_sync(struct lbaas *lb)
{
	struct lba_sync s = {lb, NULL, NULL};

	if (lb->health == NULL)
		return;
	lb_svc_sync(lb);
	health_mark(lb->health);
	if (lb_store_each(lb, LB_HEALTHMONITOR, NULL, NULL, lba_sync_hm_cb,
			  &s) != 0) {
		/* Keep probing what we had rather than stop on an error. */
		log_error("lbaas", "health sync: the store failed");
		return;
	}
	health_sweep(lb->health);
}

static void
lba_on_health(void *arg, const struct health_target *t, enum health_state st)
{
	struct lbaas *lb = arg;

	log_info("lbaas", "member %s of pool %s is %s", t->id, t->pool_id,
		 st == HEALTH_UP ? "up" : "down");
	if (lb->member_fn != NULL)
		lb->member_fn(lb->member_arg, t->pool_id, t->id,
			      st == HEALTH_UP);
}

int
lbaas_health_start(struct lbaas *lb, struct event_base *base)
{
	int rc;

	if (lb->health != NULL)
		return -EALREADY;
	rc = health_create(base, lba_on_health, lb, &lb->health);
	if (rc != 0)
		return rc;
	lbaas_health_sync(lb);
	lb_svc_sweep(lb);
	return 0;
}
