// SPDX-License-Identifier: BSD-2-Clause
/*
 * lb_store.c: the rows of the load-balancer service in the store's SQLite
 * database, and what is computed from them on every read: relation lists
 * and operating_status (from the health monitors' state), and the status
 * tree (see lb_int.h).
 *
 * Rows: lb_objects(id, kind, project_id, lb_id, parent_id, doc). parent_id
 * is the load balancer of a listener or pool and the pool of a member or
 * health monitor; lb_id is the load balancer every object belongs to, so
 * a cascade delete is one statement.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb_int.h"
#include "log.h"

static int
lbs_sql_fail(struct lbaas *lb, const char *what)
{
	log_error("lbaas", "store %s: %s", what, sqlite3_errmsg(lb->db));
	return -EIO;
}

void
lb_store_row_fini(struct lb_row *r)
{
	json_decref(r->doc);
	r->doc = NULL;
}

static void
lbs_copy(char *dst, size_t len, const unsigned char *src)
{
	snprintf(dst, len, "%s", src != NULL ? (const char *)src : "");
}

/* Fill r from a SELECT id, kind, project_id, lb_id, parent_id, doc. */
static int
lbs_row_read(sqlite3_stmt *s, struct lb_row *r)
{
	const char *doc = (const char *)sqlite3_column_text(s, 5);

	memset(r, 0, sizeof(*r));
	lbs_copy(r->id, sizeof(r->id), sqlite3_column_text(s, 0));
	r->kind = (enum lb_kind)sqlite3_column_int(s, 1);
	lbs_copy(r->project_id, sizeof(r->project_id),
		 sqlite3_column_text(s, 2));
	lbs_copy(r->lb_id, sizeof(r->lb_id), sqlite3_column_text(s, 3));
	lbs_copy(r->parent_id, sizeof(r->parent_id), sqlite3_column_text(s, 4));
	r->doc = doc != NULL ? json_loads(doc, 0, NULL) : NULL;
	if (r->doc == NULL || (unsigned)r->kind >= LB_KIND_COUNT) {
		lb_store_row_fini(r);
		return -EIO;
	}
	return 0;
}

/* Get id (any kind): 0, -ENOENT or -EIO. */
int
lb_store_get(struct lbaas *lb, const char *id, struct lb_row *r)
{
	sqlite3_stmt *s = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	if (sqlite3_prepare_v2(lb->db,
			       "SELECT id, kind, project_id, lb_id, parent_id,"
			       " doc FROM lb_objects WHERE id=?",
			       -1, &s, NULL) != SQLITE_OK)
		return lbs_sql_fail(lb, "get");
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = lbs_row_read(s, r);
	else if (rc == SQLITE_DONE)
		rc = -ENOENT;
	else
		rc = lbs_sql_fail(lb, "get");
	sqlite3_finalize(s);
	return rc;
}

/*
 * Call cb for each row of kind whose column col equals val (col NULL:
 * all rows of kind), in insertion order. cb's non-zero return stops.
 */
int
lb_store_each(struct lbaas *lb, enum lb_kind kind, const char *col,
	      const char *val, int (*cb)(void *arg, struct lb_row *r),
	      void *arg)
{
	char sql[200];
	sqlite3_stmt *s = NULL;
	struct lb_row r;
	int rc = 0, step;

	snprintf(sql, sizeof(sql),
		 "SELECT id, kind, project_id, lb_id, parent_id, doc FROM "
		 "lb_objects WHERE kind=?%s%s%s ORDER BY rowid",
		 col != NULL ? " AND " : "", col != NULL ? col : "",
		 col != NULL ? "=?" : "");
	if (sqlite3_prepare_v2(lb->db, sql, -1, &s, NULL) != SQLITE_OK)
		return lbs_sql_fail(lb, "list");
	sqlite3_bind_int(s, 1, (int)kind);
	if (col != NULL)
		sqlite3_bind_text(s, 2, val, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (lbs_row_read(s, &r) != 0) {
			rc = -EIO;
			break;
		}
		rc = cb(arg, &r);
		lb_store_row_fini(&r);
		if (rc != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = lbs_sql_fail(lb, "list");
	sqlite3_finalize(s);
	return rc;
}

/* Collect rows into an array of docs (new references). */
static int
lbs_collect_cb(void *arg, struct lb_row *r)
{
	return json_array_append(arg, r->doc) == 0 ? 0 : -ENOMEM;
}

json_t *
lb_store_children(struct lbaas *lb, enum lb_kind kind, const char *col,
		  const char *val)
{
	json_t *a = json_array();

	if (a != NULL &&
	    lb_store_each(lb, kind, col, val, lbs_collect_cb, a) != 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

int
lb_store_put(struct lbaas *lb, const struct lb_row *r, bool is_new)
{
	sqlite3_stmt *s = NULL;
	char *doc = json_dumps(r->doc, JSON_COMPACT);
	int rc = 0;

	if (doc == NULL)
		return -ENOMEM;
	if (sqlite3_prepare_v2(
		    lb->db,
		    is_new ? "INSERT INTO lb_objects(kind, project_id, lb_id,"
			     " parent_id, doc, id) VALUES(?,?,?,?,?,?)"
			   : "UPDATE lb_objects SET kind=?, project_id=?,"
			     " lb_id=?, parent_id=?, doc=? WHERE id=?",
		    -1, &s, NULL) != SQLITE_OK) {
		free(doc);
		return lbs_sql_fail(lb, "put");
	}
	sqlite3_bind_int(s, 1, (int)r->kind);
	sqlite3_bind_text(s, 2, r->project_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, r->lb_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, r->parent_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, doc, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, r->id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = sqlite3_extended_errcode(lb->db) ==
				     SQLITE_CONSTRAINT_PRIMARYKEY
			     ? -EEXIST
			     : lbs_sql_fail(lb, "put");
	sqlite3_finalize(s);
	free(doc);
	return rc;
}

/* Delete rows where col = val. */
int
lb_store_del_where(struct lbaas *lb, const char *col, const char *val)
{
	char sql[80];
	sqlite3_stmt *s = NULL;
	int rc = 0;

	snprintf(sql, sizeof(sql), "DELETE FROM lb_objects WHERE %s=?", col);
	if (sqlite3_prepare_v2(lb->db, sql, -1, &s, NULL) != SQLITE_OK)
		return lbs_sql_fail(lb, "delete");
	sqlite3_bind_text(s, 1, val, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = lbs_sql_fail(lb, "delete");
	sqlite3_finalize(s);
	return rc;
}

/* Accessors. */

const char *
lb_store_str(const json_t *doc, const char *key)
{
	const char *s = json_string_value(json_object_get(doc, key));

	return s != NULL ? s : "";
}

bool
lb_store_is_up(const json_t *doc)
{
	return json_is_true(json_object_get(doc, "admin_state_up"));
}

/* Health and status. */

/* The monitor of pool_id that is on, or NULL (new reference). */
json_t *
lb_store_pool_monitor(struct lbaas *lb, const char *pool_id)
{
	json_t *hms =
		lb_store_children(lb, LB_HEALTHMONITOR, "parent_id", pool_id);
	json_t *hm = json_incref(json_array_get(hms, 0));

	json_decref(hms);
	return hm;
}

static const char *
lbs_member_status(struct lbaas *lb, const json_t *m, const json_t *hm)
{
	enum health_state st;

	if (!lb_store_is_up(m))
		return "OFFLINE";
	if (hm == NULL || !lb_store_is_up(hm))
		return json_integer_value(json_object_get(m, "weight")) == 0
			       ? "DRAINING"
			       : "NO_MONITOR";
	st = lb->health != NULL ? health_get(lb->health, lb_store_str(m, "id"))
				: HEALTH_UNKNOWN;
	if (st == HEALTH_DOWN)
		return "ERROR";
	if (st == HEALTH_UNKNOWN)
		return "OFFLINE";
	return json_integer_value(json_object_get(m, "weight")) == 0
		       ? "DRAINING"
		       : "ONLINE";
}

/* Pool status from its members (members: array or NULL to load). */
static const char *
lbs_pool_status(struct lbaas *lb, const json_t *pool)
{
	const char *id = lb_store_str(pool, "id");
	json_t *members, *hm, *m;
	unsigned n_up = 0, n_down = 0;
	size_t i;

	if (!lb_store_is_up(pool))
		return "OFFLINE";
	members = lb_store_children(lb, LB_MEMBER, "parent_id", id);
	hm = lb_store_pool_monitor(lb, id);
	json_array_foreach(members, i, m)
	{
		const char *s = lbs_member_status(lb, m, hm);

		if (strcmp(s, "ERROR") == 0)
			n_down++;
		else if (strcmp(s, "OFFLINE") != 0)
			n_up++;
	}
	json_decref(members);
	json_decref(hm);
	if (n_up == 0 && n_down == 0)
		return "OFFLINE";
	if (n_up == 0)
		return "ERROR";
	return n_down > 0 ? "DEGRADED" : "ONLINE";
}

static const char *
lbs_listener_status(struct lbaas *lb, const json_t *l)
{
	const char *pid = lb_store_str(l, "default_pool_id"), *ps;
	struct lb_row pr;

	if (!lb_store_is_up(l))
		return "OFFLINE";
	if (pid[0] == '\0' || lb_store_get(lb, pid, &pr) != 0)
		return "ONLINE";
	ps = lbs_pool_status(lb, pr.doc);
	lb_store_row_fini(&pr);
	if (strcmp(ps, "ERROR") == 0 || strcmp(ps, "OFFLINE") == 0)
		return "ERROR";
	return strcmp(ps, "DEGRADED") == 0 ? "DEGRADED" : "ONLINE";
}

static const char *
lbs_lb_status(struct lbaas *lb, const json_t *doc)
{
	json_t *ls, *l;
	unsigned n = 0, n_err = 0, n_deg = 0;
	size_t i;

	if (!lb_store_is_up(doc))
		return "OFFLINE";
	ls = lb_store_children(lb, LB_LISTENER, "parent_id",
			       lb_store_str(doc, "id"));
	json_array_foreach(ls, i, l)
	{
		const char *s = lbs_listener_status(lb, l);

		if (strcmp(s, "OFFLINE") == 0)
			continue;
		n++;
		if (strcmp(s, "ERROR") == 0)
			n_err++;
		else if (strcmp(s, "DEGRADED") == 0)
			n_deg++;
	}
	json_decref(ls);
	if (n > 0 && n_err == n)
		return "ERROR";
	return n_err + n_deg > 0 ? "DEGRADED" : "ONLINE";
}

/* [{"id": ...}] of the given docs. */
static json_t *
lbs_id_list(json_t *docs)
{
	json_t *out = json_array(), *d;
	size_t i;

	json_array_foreach(docs, i, d) json_array_append_new(
		out, json_pack("{ss}", "id", lb_store_str(d, "id")));
	json_decref(docs);
	return out;
}

/* The listeners whose default pool is pool_id. */
json_t *
lb_store_pool_listeners(struct lbaas *lb, const char *lb_id,
			const char *pool_id)
{
	json_t *ls = lb_store_children(lb, LB_LISTENER, "parent_id", lb_id);
	json_t *out = json_array(), *l;
	size_t i;

	json_array_foreach(ls, i, l)
	{
		if (strcmp(lb_store_str(l, "default_pool_id"), pool_id) == 0)
			json_array_append_new(
				out,
				json_pack("{ss}", "id", lb_store_str(l, "id")));
	}
	json_decref(ls);
	return out;
}

/* The API form of a row: its doc plus computed attributes (new ref). */
json_t *
lb_store_view(struct lbaas *lb, const struct lb_row *r)
{
	json_t *j = json_deep_copy(r->doc), *hm;
	const char *st = "ONLINE";

	if (j == NULL)
		return NULL;
	switch (r->kind) {
	case LB_LOADBALANCER:
		json_object_set_new(
			j, "listeners",
			lbs_id_list(lb_store_children(lb, LB_LISTENER,
						      "parent_id", r->id)));
		json_object_set_new(j, "pools",
				    lbs_id_list(lb_store_children(
					    lb, LB_POOL, "parent_id", r->id)));
		st = lbs_lb_status(lb, r->doc);
		break;
	case LB_LISTENER:
		json_object_set_new(j, "l7policies", json_array());
		st = lbs_listener_status(lb, r->doc);
		break;
	case LB_POOL:
		json_object_set_new(
			j, "listeners",
			lb_store_pool_listeners(lb, r->lb_id, r->id));
		json_object_set_new(
			j, "members",
			lbs_id_list(lb_store_children(lb, LB_MEMBER,
						      "parent_id", r->id)));
		hm = lb_store_pool_monitor(lb, r->id);
		json_object_set_new(
			j, "healthmonitor_id",
			hm != NULL ? json_string(lb_store_str(hm, "id"))
				   : json_null());
		json_decref(hm);
		st = lbs_pool_status(lb, r->doc);
		break;
	case LB_MEMBER:
		hm = lb_store_pool_monitor(lb, r->parent_id);
		st = lbs_member_status(lb, r->doc, hm);
		json_decref(hm);
		break;
	case LB_HEALTHMONITOR:
	default:
		st = lb_store_is_up(r->doc) ? "ONLINE" : "OFFLINE";
		break;
	}
	json_object_set_new(j, "operating_status", json_string(st));
	return j;
}

static json_t *
lb_store_status_node(struct lbaas *lb, const struct lb_row *row)
{
	json_t *v = lb_store_view(lb, row);
	json_t *n = json_pack(
		"{sO sO sO sO}", "id", json_object_get(v, "id"), "name",
		json_object_get(v, "name"), "provisioning_status",
		json_object_get(v, "provisioning_status"), "operating_status",
		json_object_get(v, "operating_status"));

	if (row->kind == LB_MEMBER && n != NULL) {
		json_object_set(n, "address", json_object_get(v, "address"));
		json_object_set(n, "protocol_port",
				json_object_get(v, "protocol_port"));
	}
	if (row->kind == LB_HEALTHMONITOR && n != NULL)
		json_object_set(n, "type", json_object_get(v, "type"));
	json_decref(v);
	return n;
}

/* Rows of kind under parent as status nodes, via cb. */
struct lbs_tree {
	struct lbaas *lb;
	json_t *list;
	const char *lb_id;
};

static json_t *lb_store_pool_tree(struct lbaas *lb, struct lb_row *pool);

static int
lbs_tree_member_cb(void *arg, struct lb_row *row)
{
	struct lbs_tree *t = arg;

	json_array_append_new(t->list, lb_store_status_node(t->lb, row));
	return 0;
}

static json_t *
lb_store_pool_tree(struct lbaas *lb, struct lb_row *pool)
{
	struct lbs_tree t = {lb, json_array(), NULL};
	json_t *n = lb_store_status_node(lb, pool), *hms, *hm;
	struct lb_row hr;

	lb_store_each(lb, LB_MEMBER, "parent_id", pool->id, lbs_tree_member_cb,
		      &t);
	json_object_set_new(n, "members", t.list);
	hms = lb_store_children(lb, LB_HEALTHMONITOR, "parent_id", pool->id);
	hm = json_array_get(hms, 0);
	if (hm != NULL && lb_store_get(lb, lb_store_str(hm, "id"), &hr) == 0) {
		json_object_set_new(n, "health_monitor",
				    lb_store_status_node(lb, &hr));
		lb_store_row_fini(&hr);
	}
	json_decref(hms);
	return n;
}

static int
lbs_tree_listener_cb(void *arg, struct lb_row *row)
{
	struct lbs_tree *t = arg;
	json_t *n = lb_store_status_node(t->lb, row), *pools = json_array();
	const char *pid = lb_store_str(row->doc, "default_pool_id");
	struct lb_row pr;

	if (pid[0] != '\0' && lb_store_get(t->lb, pid, &pr) == 0) {
		json_array_append_new(pools, lb_store_pool_tree(t->lb, &pr));
		lb_store_row_fini(&pr);
	}
	json_object_set_new(n, "pools", pools);
	json_array_append_new(t->list, n);
	return 0;
}

json_t *
lb_store_status_tree(struct lbaas *lb, const struct lb_row *row)
{
	struct lbs_tree t = {lb, json_array(), row->id};
	json_t *n = lb_store_status_node(lb, row);

	lb_store_each(lb, LB_LISTENER, "parent_id", row->id,
		      lbs_tree_listener_cb, &t);
	json_object_set_new(n, "listeners", t.list);
	return n;
}
