// SPDX-License-Identifier: BSD-2-Clause
/*
 * vpn_store.c: the VPNaaS table of sluiced's store and the router lookup
 * (see vpn_store.h). Statements are prepared per call: VPN writes are
 * rare (API requests) and this keeps the module off store.c's statement
 * cache.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "vpn_store.h"

static const char vpn_store_schema[] =
	"CREATE TABLE IF NOT EXISTS vpn_objects("
	" id TEXT PRIMARY KEY, kind INTEGER NOT NULL,"
	" project_id TEXT NOT NULL, name TEXT NOT NULL,"
	" doc TEXT NOT NULL, psk TEXT);"
	"CREATE INDEX IF NOT EXISTS vpn_objects_kind ON vpn_objects(kind);";

static int
vpn_store_fail(sqlite3 *db, const char *what)
{
	log_error("vpn", "store: %s: %s", what, sqlite3_errmsg(db));
	return -EIO;
}

int
vpn_store_init(struct store *st)
{
	sqlite3 *db = store_db(st);
	char *msg = NULL;

	if (sqlite3_exec(db, vpn_store_schema, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("vpn", "store: create schema: %s", msg ? msg : "?");
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static sqlite3_stmt *
vpn_store_prep(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		vpn_store_fail(db, "prepare");
		return NULL;
	}
	return s;
}

int
vpn_store_put(struct store *st, enum vpn_kind k, const json_t *doc,
	      const char *psk, bool is_new)
{
	sqlite3 *db = store_db(st);
	const char *sql;
	sqlite3_stmt *s;
	char *text;
	int step, rc = 0;

	if (is_new)
		sql = "INSERT INTO vpn_objects(kind,project_id,name,doc,psk,id)"
		      " VALUES(?,?,?,?,?,?)";
	else if (psk != NULL)
		sql = "UPDATE vpn_objects SET kind=?,project_id=?,name=?,"
		      "doc=?,psk=? WHERE id=?";
	else
		sql = "UPDATE vpn_objects SET kind=?,project_id=?,name=?,"
		      "doc=?,psk=coalesce(psk,?) WHERE id=?";
	text = json_dumps(doc, JSON_COMPACT);
	if (text == NULL)
		return -ENOMEM;
	s = vpn_store_prep(db, sql);
	if (s == NULL) {
		free(text);
		return -EIO;
	}
	sqlite3_bind_int(s, 1, (int)k);
	sqlite3_bind_text(s, 2,
			  json_string_value(json_object_get(doc, "project_id"))
				  ?: "",
			  -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3,
			  json_string_value(json_object_get(doc, "name")) ?: "",
			  -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, text, -1, SQLITE_STATIC);
	if (psk != NULL)
		sqlite3_bind_text(s, 5, psk, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 5);
	sqlite3_bind_text(s, 6, json_string_value(json_object_get(doc, "id")),
			  -1, SQLITE_TRANSIENT);
	step = sqlite3_step(s);
	if (step == SQLITE_CONSTRAINT)
		rc = -EEXIST;
	else if (step != SQLITE_DONE)
		rc = vpn_store_fail(db, "put");
	else if (!is_new && sqlite3_changes(db) == 0)
		rc = -ENOENT;
	sqlite3_finalize(s);
	free(text);
	return rc;
}

int
vpn_store_get(struct store *st, enum vpn_kind k, const char *id, json_t **doc)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s;
	int step, rc = -ENOENT;

	*doc = NULL;
	s = vpn_store_prep(db, "SELECT doc FROM vpn_objects WHERE id=? AND "
			       "kind=?");
	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, (int)k);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		*doc = json_loads((const char *)sqlite3_column_text(s, 0), 0,
				  NULL);
		rc = *doc != NULL ? 0 : -EIO;
	} else if (step != SQLITE_DONE) {
		rc = vpn_store_fail(db, "get");
	}
	sqlite3_finalize(s);
	return rc;
}

int
vpn_store_foreach(struct store *st, enum vpn_kind k,
		  int (*cb)(void *arg, const json_t *doc), void *arg)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s;
	json_t *doc;
	int step, rc = 0;

	s = vpn_store_prep(db, "SELECT doc FROM vpn_objects WHERE kind=? "
			       "ORDER BY rowid");
	if (s == NULL)
		return -EIO;
	sqlite3_bind_int(s, 1, (int)k);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		doc = json_loads((const char *)sqlite3_column_text(s, 0), 0,
				 NULL);
		if (doc == NULL) {
			rc = -EIO;
			break;
		}
		rc = cb(arg, doc);
		json_decref(doc);
		if (rc != 0)
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = vpn_store_fail(db, "list");
	sqlite3_finalize(s);
	return rc;
}

int
vpn_store_psk(struct store *st, const char *conn_id, char *buf)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s;
	const unsigned char *t;
	int step, rc = -ENOENT;

	s = vpn_store_prep(db, "SELECT psk FROM vpn_objects WHERE id=?");
	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, conn_id, -1, SQLITE_STATIC);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		t = sqlite3_column_text(s, 0);
		if (t != NULL && strlen((const char *)t) <= VPN_PSK_MAX) {
			memcpy(buf, t, strlen((const char *)t) + 1);
			rc = 0;
		} else {
			rc = -EIO;
		}
	} else if (step != SQLITE_DONE) {
		rc = vpn_store_fail(db, "psk");
	}
	sqlite3_finalize(s);
	return rc;
}

int
vpn_store_del(struct store *st, enum vpn_kind k, const char *id)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s;
	int rc = 0;

	s = vpn_store_prep(db, "DELETE FROM vpn_objects WHERE id=? AND kind=?");
	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, (int)k);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = vpn_store_fail(db, "delete");
	else if (sqlite3_changes(db) == 0)
		rc = -ENOENT;
	sqlite3_finalize(s);
	return rc;
}

/* The routers table's document of id: 0, -ENOENT, -ENOSYS (no table). */
static int
vpn_store_router_doc(sqlite3 *db, const char *id, json_t **doc)
{
	sqlite3_stmt *s = NULL;
	int rc = -ENOENT;

	*doc = NULL;
	if (sqlite3_prepare_v2(db, "SELECT doc FROM routers WHERE id=?", -1, &s,
			       NULL) != SQLITE_OK)
		return -ENOSYS;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*doc = json_loads((const char *)sqlite3_column_text(s, 0), 0,
				  NULL);
		rc = *doc != NULL ? 0 : -EIO;
	}
	sqlite3_finalize(s);
	return rc;
}

/* The cidr of subnet id. 0 or -ENOENT. */
static int
vpn_store_subnet_cidr(sqlite3 *db, const char *id, struct ctl_prefix *p)
{
	sqlite3_stmt *s;
	json_t *doc = NULL;
	int rc = -ENOENT;

	s = vpn_store_prep(db, "SELECT doc FROM subnets WHERE id=?");
	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		doc = json_loads((const char *)sqlite3_column_text(s, 0), 0,
				 NULL);
	sqlite3_finalize(s);
	if (doc != NULL &&
	    ipam_prefix_parse(json_string_value(json_object_get(doc, "cidr"))
				      ?: "",
			      true, false, p) == 0)
		rc = 0;
	json_decref(doc);
	return rc;
}

/* Add the first v4 and v6 address of a fixed_ips array as the gateway. */
static void
vpn_store_gw_ips(struct vpn_router *r, const json_t *ips)
{
	struct ctl_ip ip;
	size_t i;

	for (i = 0; i < json_array_size(ips); i++) {
		const char *s = json_string_value(
			json_object_get(json_array_get(ips, i), "ip_address"));

		if (s == NULL || ipam_ip_parse(s, &ip) != 0)
			continue;
		if (ip.family == 4 && !r->has_gw4) {
			r->gw4 = ip;
			r->has_gw4 = true;
		} else if (ip.family == 6 && !r->has_gw6) {
			r->gw6 = ip;
			r->has_gw6 = true;
		}
	}
}

static void
vpn_store_add_subnet(sqlite3 *db, struct vpn_router *r, const char *sid)
{
	unsigned i;

	if (sid == NULL || r->n_subnets >= VPN_ROUTER_SUBNETS_MAX)
		return;
	for (i = 0; i < r->n_subnets; i++) {
		if (strcmp(r->subnet_ids[i], sid) == 0)
			return;
	}
	if (strlen(sid) > CTL_UUID_LEN ||
	    vpn_store_subnet_cidr(db, sid, &r->subnets[r->n_subnets]) != 0)
		return;
	snprintf(r->subnet_ids[r->n_subnets], sizeof(r->subnet_ids[0]), "%s",
		 sid);
	r->n_subnets++;
}

int
vpn_store_router(struct store *st, const char *id, struct vpn_router *out)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s;
	json_t *rdoc = NULL, *pdoc;
	bool found;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = vpn_store_router_doc(db, id, &rdoc);
	if (rc == -EIO)
		return rc;
	found = rc == 0;
	if (rdoc != NULL) {
		snprintf(out->project_id, sizeof(out->project_id), "%s",
			 json_string_value(json_object_get(rdoc, "project_id"))
				 ?: "");
		vpn_store_gw_ips(
			out,
			json_object_get(
				json_object_get(rdoc, "external_gateway_info"),
				"external_fixed_ips"));
		json_decref(rdoc);
	}
	s = vpn_store_prep(db, "SELECT doc FROM ports WHERE device_id=? "
			       "ORDER BY rowid");
	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *owner;
		const json_t *ips;
		size_t i;

		pdoc = json_loads((const char *)sqlite3_column_text(s, 0), 0,
				  NULL);
		if (pdoc == NULL)
			continue;
		owner = json_string_value(json_object_get(pdoc, "device_owner"))
				?: "";
		ips = json_object_get(pdoc, "fixed_ips");
		if (strcmp(owner, "network:router_gateway") == 0) {
			found = true;
			vpn_store_gw_ips(out, ips);
		} else if (strcmp(owner, "network:router_interface") == 0) {
			found = true;
			for (i = 0; i < json_array_size(ips); i++)
				vpn_store_add_subnet(
					db, out,
					json_string_value(json_object_get(
						json_array_get(ips, i),
						"subnet_id")));
		}
		if (out->project_id[0] == '\0')
			snprintf(out->project_id, sizeof(out->project_id), "%s",
				 json_string_value(
					 json_object_get(pdoc, "project_id"))
					 ?: "");
		json_decref(pdoc);
	}
	sqlite3_finalize(s);
	return found ? 0 : -ENOENT;
}

int
vpn_store_router_user(struct store *st, const char *router_id, char *svc_id,
		      size_t len)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	int step, rc = 0;

	/* No table: this sluiced never served VPNaaS on this store. */
	if (sqlite3_prepare_v2(db,
			       "SELECT 1 FROM sqlite_master WHERE type='table' "
			       "AND name='vpn_objects'",
			       -1, &s, NULL) != SQLITE_OK)
		return vpn_store_fail(db, "router user");
	step = sqlite3_step(s);
	sqlite3_finalize(s);
	if (step == SQLITE_DONE)
		return 0;
	if (step != SQLITE_ROW)
		return vpn_store_fail(db, "router user");
	s = vpn_store_prep(db, "SELECT id, doc FROM vpn_objects WHERE kind=? "
			       "ORDER BY rowid");
	if (s == NULL)
		return -EIO;
	sqlite3_bind_int(s, 1, (int)VPN_SERVICE);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *doc = json_loads(
			(const char *)sqlite3_column_text(s, 1), 0, NULL);
		const char *r;

		if (doc == NULL) {
			rc = -EIO;
			break;
		}
		r = json_string_value(json_object_get(doc, "router_id"));
		if (r != NULL && strcmp(r, router_id) == 0) {
			snprintf(svc_id, len, "%s",
				 (const char *)sqlite3_column_text(s, 0));
			rc = 1;
		}
		json_decref(doc);
		if (rc != 0)
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = vpn_store_fail(db, "router user");
	sqlite3_finalize(s);
	return rc;
}
