// SPDX-License-Identifier: BSD-2-Clause
/*
 * store.c: SQLite store of networks, subnets, ports and IP allocations
 * (see store.h). Prepared statements for fixed SQL are cached on the
 * connection; list queries with IN lists are prepared per call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "res.h"
#include "store.h"

#define STORE_SCHEMA_VERSION 2
#define STORE_CACHE_MAX 64
#define STORE_DOC_SQL_MAX 200

/*
 * The document kinds (res.h): one table each, "id, project_id, name", up
 * to two indexed reference columns named as the attributes they copy, and
 * the document. The SQL is built from this table at open.
 */
static const struct {
	const char *cols[2]; /* NULL: unused */
} store_doc_cols[CTL_KIND_COUNT] = {
	[CTL_ROUTER] = {{NULL, NULL}},
	[CTL_FLOATINGIP] = {{"floating_network_id", "port_id"}},
	[CTL_SECGROUP] = {{NULL, NULL}},
	[CTL_SGRULE] = {{"security_group_id", "remote_group_id"}},
};

enum store_doc_op {
	STORE_DOC_GET,
	STORE_DOC_INS,
	STORE_DOC_UPD,
	STORE_DOC_OPS,
};

struct store {
	sqlite3 *db;
	unsigned n_cached;
	struct {
		const char *sql; /* static string, compared by address */
		sqlite3_stmt *stmt;
	} cache[STORE_CACHE_MAX];
	/* SQL of the document kinds (cached by address like the rest). */
	char doc_sql[CTL_KIND_COUNT][STORE_DOC_OPS][STORE_DOC_SQL_MAX];
};

static const char *const store_tables[CTL_KIND_COUNT] = {
	[CTL_NETWORK] = "networks",
	[CTL_SUBNET] = "subnets",
	[CTL_PORT] = "ports",
	[CTL_ROUTER] = "routers",
	[CTL_FLOATINGIP] = "floatingips",
	[CTL_SECGROUP] = "security_groups",
	[CTL_SGRULE] = "security_group_rules",
};

static const char store_schema[] =
	"CREATE TABLE IF NOT EXISTS networks("
	" id TEXT PRIMARY KEY, project_id TEXT NOT NULL,"
	" name TEXT NOT NULL, vni INTEGER NOT NULL UNIQUE,"
	" shared INTEGER NOT NULL, doc TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS subnets("
	" id TEXT PRIMARY KEY, project_id TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" network_id TEXT NOT NULL REFERENCES networks(id),"
	" doc TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS subnets_network ON subnets(network_id);"
	"CREATE TABLE IF NOT EXISTS ports("
	" id TEXT PRIMARY KEY, project_id TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" network_id TEXT NOT NULL REFERENCES networks(id),"
	" mac TEXT NOT NULL, device_id TEXT NOT NULL,"
	" device_owner TEXT NOT NULL, doc TEXT NOT NULL,"
	" UNIQUE(network_id, mac));"
	"CREATE INDEX IF NOT EXISTS ports_device ON ports(device_id);"
	"CREATE TABLE IF NOT EXISTS ip_allocations("
	" subnet_id TEXT NOT NULL REFERENCES subnets(id),"
	" ip BLOB NOT NULL,"
	" port_id TEXT NOT NULL REFERENCES ports(id) ON DELETE CASCADE,"
	" network_id TEXT NOT NULL,"
	" PRIMARY KEY(subnet_id, ip));"
	"CREATE INDEX IF NOT EXISTS ip_allocations_port"
	" ON ip_allocations(port_id);";

/* A reference column's name, or a never-matching placeholder. */
static const char *
store_doc_col(enum ctl_kind kind, unsigned i)
{
	const char *c = store_doc_cols[kind].cols[i];

	return c != NULL ? c : (i == 0 ? "ref0" : "ref1");
}

/* The document tables' schema and statements, from store_doc_cols. */
static int
store_doc_schema(struct store *st, char *buf, size_t len)
{
	size_t used = 0;
	unsigned k;

	buf[0] = '\0';
	for (k = CTL_ROUTER; k < CTL_KIND_COUNT; k++) {
		const char *t = store_tables[k];
		const char *c0 = store_doc_col(k, 0), *c1 = store_doc_col(k, 1);
		int n = snprintf(buf + used, len - used,
				 "CREATE TABLE IF NOT EXISTS %s("
				 " id TEXT PRIMARY KEY,"
				 " project_id TEXT NOT NULL,"
				 " name TEXT NOT NULL, %s TEXT NOT NULL,"
				 " %s TEXT NOT NULL, doc TEXT NOT NULL);"
				 "CREATE INDEX IF NOT EXISTS %s_%s ON %s(%s);"
				 "CREATE INDEX IF NOT EXISTS %s_%s ON %s(%s);",
				 t, c0, c1, t, c0, t, c0, t, c1, t, c1);

		if (n < 0 || (size_t)n >= len - used)
			return -E2BIG;
		used += (size_t)n;
		snprintf(st->doc_sql[k][STORE_DOC_GET], STORE_DOC_SQL_MAX,
			 "SELECT doc FROM %s WHERE id=?", t);
		snprintf(st->doc_sql[k][STORE_DOC_INS], STORE_DOC_SQL_MAX,
			 "INSERT INTO %s(project_id,name,%s,%s,doc,id)"
			 " VALUES(?,?,?,?,?,?)",
			 t, c0, c1);
		snprintf(st->doc_sql[k][STORE_DOC_UPD], STORE_DOC_SQL_MAX,
			 "UPDATE %s SET project_id=?,name=?,%s=?,%s=?,doc=?"
			 " WHERE id=?",
			 t, c0, c1);
	}
	return 0;
}

static int
store_fail(struct store *st, const char *what)
{
	log_error("store", "%s: %s", what, sqlite3_errmsg(st->db));
	return -EIO;
}

static int
store_exec(struct store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("store", "%.60s: %s", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

/* A cached, reset statement for a static SQL string; NULL on error. */
static sqlite3_stmt *
store_stmt(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	unsigned i;

	for (i = 0; i < st->n_cached; i++) {
		if (st->cache[i].sql == sql) {
			sqlite3_reset(st->cache[i].stmt);
			sqlite3_clear_bindings(st->cache[i].stmt);
			return st->cache[i].stmt;
		}
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s,
			       NULL) != SQLITE_OK) {
		store_fail(st, "prepare");
		return NULL;
	}
	if (st->n_cached < STORE_CACHE_MAX) {
		st->cache[st->n_cached].sql = sql;
		st->cache[st->n_cached].stmt = s;
		st->n_cached++;
	} else {
		/* Cannot happen with the fixed set of statements below. */
		log_error("store", "statement cache full");
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

int
store_open(const char *path, struct store **out)
{
	char doc_schema[4096];
	struct store *st;
	int version = 0;
	sqlite3_stmt *s;

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return -ENOMEM;
	if (sqlite3_open_v2(path, &st->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		log_error("store", "open %s: %s", path,
			  st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail_open;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (store_exec(st, "PRAGMA journal_mode=WAL;") != 0 ||
	    store_exec(st, "PRAGMA synchronous=FULL;") != 0 ||
	    store_exec(st, "PRAGMA foreign_keys=ON;") != 0)
		goto fail_open;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version;", -1, &s, NULL) !=
	    SQLITE_OK)
		goto fail_open;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version > STORE_SCHEMA_VERSION) {
		log_error("store",
			  "open %s: schema version %d is newer than "
			  "this sluiced (%d)",
			  path, version, STORE_SCHEMA_VERSION);
		goto fail_open;
	}
	if (store_doc_schema(st, doc_schema, sizeof(doc_schema)) != 0 ||
	    store_exec(st, "BEGIN IMMEDIATE;") != 0)
		goto fail_open;
	if (store_exec(st, store_schema) != 0 ||
	    store_exec(st, doc_schema) != 0 ||
	    store_exec(st, "PRAGMA user_version=2;") != 0 ||
	    store_exec(st, "COMMIT;") != 0) {
		store_exec(st, "ROLLBACK;");
		goto fail_open;
	}
	*out = st;
	return 0;

fail_open:
	sqlite3_close(st->db);
	free(st);
	return -EIO;
}

void
store_close(struct store *st)
{
	unsigned i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n_cached; i++)
		sqlite3_finalize(st->cache[i].stmt);
	sqlite3_close(st->db);
	free(st);
}

struct sqlite3 *
store_db(struct store *st)
{
	return st->db;
}

int
store_begin(struct store *st)
{
	return store_exec(st, "BEGIN IMMEDIATE;");
}

int
store_commit(struct store *st)
{
	return store_exec(st, "COMMIT;");
}

void
store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		store_exec(st, "ROLLBACK;");
}

bool
store_is_indexed(enum ctl_kind kind, const char *column)
{
	if ((unsigned)kind >= CTL_KIND_COUNT)
		return false;
	if (strcmp(column, "id") == 0 || strcmp(column, "name") == 0)
		return true;
	if (ctl_kind_is_doc(kind))
		return (store_doc_cols[kind].cols[0] != NULL &&
			strcmp(column, store_doc_cols[kind].cols[0]) == 0) ||
		       (store_doc_cols[kind].cols[1] != NULL &&
			strcmp(column, store_doc_cols[kind].cols[1]) == 0);
	if (kind != CTL_NETWORK && strcmp(column, "network_id") == 0)
		return true;
	return kind == CTL_PORT && strcmp(column, "device_id") == 0;
}

/* Append to a bounded SQL buffer; false on truncation. */
static bool
store_cat(char *buf, size_t len, size_t *used, const char *s)
{
	size_t n = strlen(s);

	if (*used + n >= len)
		return false;
	memcpy(buf + *used, s, n + 1);
	*used += n;
	return true;
}

int
store_foreach_doc(struct store *st, enum ctl_kind kind,
		  const struct store_query *q,
		  int (*cb)(void *arg, const char *doc), void *arg)
{
	char sql[4096];
	size_t used = 0;
	sqlite3_stmt *s = NULL;
	int idx = 1, rc = 0, step;
	unsigned i, j;

	if ((unsigned)kind >= CTL_KIND_COUNT)
		return -EINVAL;
	used = (size_t)snprintf(sql, sizeof(sql), "SELECT doc FROM %s WHERE 1",
				store_tables[kind]);
	if (q != NULL && q->project_id != NULL) {
		const char *scope = " AND project_id=?";

		if (q->include_shared && kind == CTL_NETWORK)
			scope = " AND (project_id=? OR shared=1)";
		else if (q->include_shared && kind == CTL_SUBNET)
			scope = " AND (project_id=? OR network_id IN"
				" (SELECT id FROM networks WHERE shared=1))";
		store_cat(sql, sizeof(sql), &used, scope);
	}
	for (i = 0; q != NULL && i < q->n_cols && i < STORE_COLS_MAX; i++) {
		if (!store_is_indexed(kind, q->cols[i].column))
			return -EINVAL;
		if (!store_cat(sql, sizeof(sql), &used, " AND ") ||
		    !store_cat(sql, sizeof(sql), &used, q->cols[i].column) ||
		    !store_cat(sql, sizeof(sql), &used, " IN ("))
			return -E2BIG;
		for (j = 0; j < q->cols[i].n_values; j++) {
			if (!store_cat(sql, sizeof(sql), &used,
				       j == 0 ? "?" : ",?"))
				return -E2BIG;
		}
		if (!store_cat(sql, sizeof(sql), &used, ")"))
			return -E2BIG;
	}
	if (!store_cat(sql, sizeof(sql), &used, " ORDER BY rowid"))
		return -E2BIG;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "prepare list");
	if (q != NULL && q->project_id != NULL)
		sqlite3_bind_text(s, idx++, q->project_id, -1, SQLITE_STATIC);
	for (i = 0; q != NULL && i < q->n_cols && i < STORE_COLS_MAX; i++) {
		for (j = 0; j < q->cols[i].n_values; j++)
			sqlite3_bind_text(s, idx++, q->cols[i].values[j], -1,
					  SQLITE_STATIC);
	}
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		rc = cb(arg, (const char *)sqlite3_column_text(s, 0));
		if (rc != 0)
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = store_fail(st, "list");
	sqlite3_finalize(s);
	return rc;
}

/* Decode a stored document of kind into out. */
static int
store_decode(enum ctl_kind kind, const char *doc, void *out)
{
	struct ctl_err err;
	json_error_t jerr;
	json_t *j;
	int rc;

	j = json_loads(doc, 0, &jerr);
	if (j == NULL) {
		log_error("store", "corrupt document: %s", jerr.text);
		return -EIO;
	}
	switch (kind) {
	case CTL_NETWORK:
		rc = model_network_decode(j, MODEL_STORE, out, NULL, &err);
		break;
	case CTL_SUBNET:
		rc = model_subnet_decode(j, MODEL_STORE, out, NULL, &err);
		break;
	case CTL_PORT:
	default:
		rc = model_port_decode(j, MODEL_STORE, out, NULL, &err);
		break;
	}
	json_decref(j);
	if (rc != 0) {
		log_error("store", "invalid stored document: %s", err.message);
		return -EIO;
	}
	return 0;
}

static const char *const store_get_sql[CTL_KIND_COUNT] = {
	[CTL_NETWORK] = "SELECT doc FROM networks WHERE id=?",
	[CTL_SUBNET] = "SELECT doc FROM subnets WHERE id=?",
	[CTL_PORT] = "SELECT doc FROM ports WHERE id=?",
};

static int
store_get(struct store *st, enum ctl_kind kind, const char *id, void *out)
{
	sqlite3_stmt *s = store_stmt(st, store_get_sql[kind]);
	int step, rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	step = sqlite3_step(s);
	if (step == SQLITE_DONE)
		rc = -ENOENT;
	else if (step != SQLITE_ROW)
		rc = store_fail(st, "get");
	else
		rc = store_decode(kind, (const char *)sqlite3_column_text(s, 0),
				  out);
	sqlite3_reset(s);
	return rc;
}

int
store_network_get(struct store *st, const char *id, struct ctl_network *out)
{
	return store_get(st, CTL_NETWORK, id, out);
}

int
store_subnet_get(struct store *st, const char *id, struct ctl_subnet *out)
{
	return store_get(st, CTL_SUBNET, id, out);
}

int
store_port_get(struct store *st, const char *id, struct ctl_port *out)
{
	return store_get(st, CTL_PORT, id, out);
}

/* Step a write statement: 0, -EEXIST on a constraint, -EIO. */
static int
store_step_write(struct store *st, sqlite3_stmt *s, const char *what)
{
	int step = sqlite3_step(s);
	int rc = 0;

	if (step == SQLITE_CONSTRAINT)
		rc = -EEXIST;
	else if (step != SQLITE_DONE)
		rc = store_fail(st, what);
	sqlite3_reset(s);
	return rc;
}

static char *
store_dump(json_t *j)
{
	char *s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return s;
}

static const char store_net_ins[] =
	"INSERT INTO networks(project_id,name,vni,shared,doc,id)"
	" VALUES(?,?,?,?,?,?)";
static const char store_net_upd[] =
	"UPDATE networks SET project_id=?,name=?,vni=?,shared=?,doc=?"
	" WHERE id=?";

int
store_network_put(struct store *st, const struct ctl_network *n, bool is_new)
{
	char *doc = store_dump(model_network_encode(n));
	sqlite3_stmt *s;
	int rc;

	if (doc == NULL)
		return -ENOMEM;
	s = store_stmt(st, is_new ? store_net_ins : store_net_upd);
	if (s == NULL) {
		free(doc);
		return -EIO;
	}
	sqlite3_bind_text(s, 1, n->m.project_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, n->m.name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, n->segmentation_id);
	sqlite3_bind_int(s, 4, n->is_shared);
	sqlite3_bind_text(s, 5, doc, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, n->m.id, -1, SQLITE_STATIC);
	rc = store_step_write(st, s, "put network");
	if (rc == 0 && !is_new && sqlite3_changes(st->db) == 0)
		rc = -ENOENT;
	free(doc);
	return rc;
}

static const char store_sub_ins[] =
	"INSERT INTO subnets(project_id,name,network_id,doc,id)"
	" VALUES(?,?,?,?,?)";
static const char store_sub_upd[] =
	"UPDATE subnets SET project_id=?,name=?,network_id=?,doc=? WHERE id=?";

int
store_subnet_put(struct store *st, const struct ctl_subnet *sn, bool is_new)
{
	char *doc = store_dump(model_subnet_encode(sn));
	sqlite3_stmt *s;
	int rc;

	if (doc == NULL)
		return -ENOMEM;
	s = store_stmt(st, is_new ? store_sub_ins : store_sub_upd);
	if (s == NULL) {
		free(doc);
		return -EIO;
	}
	sqlite3_bind_text(s, 1, sn->m.project_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, sn->m.name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, sn->network_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, doc, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, sn->m.id, -1, SQLITE_STATIC);
	rc = store_step_write(st, s, "put subnet");
	if (rc == 0 && !is_new && sqlite3_changes(st->db) == 0)
		rc = -ENOENT;
	free(doc);
	return rc;
}

static const char store_port_ins[] =
	"INSERT INTO ports(project_id,name,network_id,mac,device_id,"
	"device_owner,doc,id) VALUES(?,?,?,?,?,?,?,?)";
static const char store_port_upd[] =
	"UPDATE ports SET project_id=?,name=?,network_id=?,mac=?,device_id=?,"
	"device_owner=?,doc=? WHERE id=?";

int
store_port_put(struct store *st, const struct ctl_port *p, bool is_new)
{
	char *doc = store_dump(model_port_encode(p));
	char mac[18];
	sqlite3_stmt *s;
	int rc;

	if (doc == NULL)
		return -ENOMEM;
	s = store_stmt(st, is_new ? store_port_ins : store_port_upd);
	if (s == NULL) {
		free(doc);
		return -EIO;
	}
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", p->mac[0],
		 p->mac[1], p->mac[2], p->mac[3], p->mac[4], p->mac[5]);
	sqlite3_bind_text(s, 1, p->m.project_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, p->m.name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, p->network_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, mac, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, p->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, p->device_owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, doc, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, p->m.id, -1, SQLITE_STATIC);
	rc = store_step_write(st, s, "put port");
	if (rc == 0 && !is_new && sqlite3_changes(st->db) == 0)
		rc = -ENOENT;
	free(doc);
	return rc;
}

static const char *const store_del_sql[CTL_KIND_COUNT] = {
	[CTL_NETWORK] = "DELETE FROM networks WHERE id=?",
	[CTL_SUBNET] = "DELETE FROM subnets WHERE id=?",
	[CTL_PORT] = "DELETE FROM ports WHERE id=?",
	[CTL_ROUTER] = "DELETE FROM routers WHERE id=?",
	[CTL_FLOATINGIP] = "DELETE FROM floatingips WHERE id=?",
	[CTL_SECGROUP] = "DELETE FROM security_groups WHERE id=?",
	[CTL_SGRULE] = "DELETE FROM security_group_rules WHERE id=?",
};

int
store_del(struct store *st, enum ctl_kind kind, const char *id)
{
	sqlite3_stmt *s;
	int rc;

	if ((unsigned)kind >= CTL_KIND_COUNT)
		return -EINVAL;
	s = store_stmt(st, store_del_sql[kind]);
	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = store_step_write(st, s, "delete");
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = -ENOENT;
	return rc;
}

int
store_doc_get(struct store *st, enum ctl_kind kind, const char *id,
	      json_t **out)
{
	sqlite3_stmt *s;
	json_error_t jerr;
	int step, rc = 0;

	*out = NULL;
	if (!ctl_kind_is_doc(kind))
		return -EINVAL;
	s = store_stmt(st, st->doc_sql[kind][STORE_DOC_GET]);
	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	step = sqlite3_step(s);
	if (step == SQLITE_DONE) {
		rc = -ENOENT;
	} else if (step != SQLITE_ROW) {
		rc = store_fail(st, "get");
	} else {
		*out = json_loads((const char *)sqlite3_column_text(s, 0), 0,
				  &jerr);
		if (*out == NULL) {
			log_error("store", "corrupt document: %s", jerr.text);
			rc = -EIO;
		}
	}
	sqlite3_reset(s);
	return rc;
}

/* A reference column's value: the attribute's string, else "". */
static const char *
store_doc_ref(enum ctl_kind kind, const json_t *doc, unsigned i)
{
	const char *c = store_doc_cols[kind].cols[i];
	const char *v =
		c != NULL ? json_string_value(json_object_get(doc, c)) : NULL;

	return v != NULL ? v : "";
}

int
store_doc_put(struct store *st, enum ctl_kind kind, const json_t *doc,
	      bool is_new)
{
	const char *id = json_string_value(json_object_get(doc, "id"));
	sqlite3_stmt *s;
	char *text;
	int rc;

	if (!ctl_kind_is_doc(kind) || id == NULL)
		return -EINVAL;
	text = json_dumps(doc, JSON_COMPACT);
	if (text == NULL)
		return -ENOMEM;
	s = store_stmt(
		st, st->doc_sql[kind][is_new ? STORE_DOC_INS : STORE_DOC_UPD]);
	if (s == NULL) {
		free(text);
		return -EIO;
	}
	sqlite3_bind_text(s, 1,
			  json_string_value(json_object_get(doc, "project_id")),
			  -1, SQLITE_STATIC);
	/* Security group rules have no name: "". */
	sqlite3_bind_text(s, 2, res_str(doc, "name"), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, store_doc_ref(kind, doc, 0), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, store_doc_ref(kind, doc, 1), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, id, -1, SQLITE_STATIC);
	rc = store_step_write(st, s, "put document");
	if (rc == 0 && !is_new && sqlite3_changes(st->db) == 0)
		rc = -ENOENT;
	free(text);
	return rc;
}

struct store_doc_iter {
	int (*cb)(void *arg, json_t *doc);
	void *arg;
};

static int
store_doc_iter_cb(void *arg, const char *text)
{
	struct store_doc_iter *it = arg;
	json_t *doc = json_loads(text, 0, NULL);
	int rc;

	if (doc == NULL)
		return -EIO;
	rc = it->cb(it->arg, doc);
	json_decref(doc);
	return rc;
}

int
store_doc_foreach(struct store *st, enum ctl_kind kind,
		  const struct store_query *q,
		  int (*cb)(void *arg, json_t *doc), void *arg)
{
	struct store_doc_iter it = {cb, arg};

	return store_foreach_doc(st, kind, q, store_doc_iter_cb, &it);
}

/* Typed iteration: decode each document, call the typed callback. */
struct store_typed {
	enum ctl_kind kind;
	union {
		int (*net)(void *, const struct ctl_network *);
		int (*sub)(void *, const struct ctl_subnet *);
		int (*port)(void *, const struct ctl_port *);
	} cb;
	void *arg;
	union {
		struct ctl_network net;
		struct ctl_subnet sub;
		struct ctl_port port;
	} obj;
};

static int
store_typed_cb(void *arg, const char *doc)
{
	struct store_typed *t = arg;

	if (store_decode(t->kind, doc, &t->obj) != 0)
		return -EIO;
	switch (t->kind) {
	case CTL_NETWORK:
		return t->cb.net(t->arg, &t->obj.net);
	case CTL_SUBNET:
		return t->cb.sub(t->arg, &t->obj.sub);
	case CTL_PORT:
	default:
		return t->cb.port(t->arg, &t->obj.port);
	}
}

static int
store_typed_run(struct store *st, const struct store_query *q,
		struct store_typed *t)
{
	int rc = store_foreach_doc(st, t->kind, q, store_typed_cb, t);

	free(t);
	return rc;
}

int
store_network_foreach(struct store *st, const struct store_query *q,
		      int (*cb)(void *arg, const struct ctl_network *n),
		      void *arg)
{
	struct store_typed *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	t->kind = CTL_NETWORK;
	t->cb.net = cb;
	t->arg = arg;
	return store_typed_run(st, q, t);
}

int
store_subnet_foreach(struct store *st, const struct store_query *q,
		     int (*cb)(void *arg, const struct ctl_subnet *s),
		     void *arg)
{
	struct store_typed *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	t->kind = CTL_SUBNET;
	t->cb.sub = cb;
	t->arg = arg;
	return store_typed_run(st, q, t);
}

int
store_port_foreach(struct store *st, const struct store_query *q,
		   int (*cb)(void *arg, const struct ctl_port *p), void *arg)
{
	struct store_typed *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	t->kind = CTL_PORT;
	t->cb.port = cb;
	t->arg = arg;
	return store_typed_run(st, q, t);
}

static const char store_ip_ins[] =
	"INSERT INTO ip_allocations(subnet_id,ip,port_id,network_id)"
	" VALUES(?,?,?,?)";

int
store_ip_add(struct store *st, const char *subnet_id, const struct ctl_ip *ip,
	     const char *port_id, const char *network_id)
{
	sqlite3_stmt *s = store_stmt(st, store_ip_ins);

	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, subnet_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, ip->addr, ip->family == 6 ? 16 : 4,
			  SQLITE_STATIC);
	sqlite3_bind_text(s, 3, port_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, network_id, -1, SQLITE_STATIC);
	return store_step_write(st, s, "add ip");
}

static const char store_ip_del[] = "DELETE FROM ip_allocations WHERE port_id=?";

int
store_ip_del_port(struct store *st, const char *port_id)
{
	sqlite3_stmt *s = store_stmt(st, store_ip_del);

	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, port_id, -1, SQLITE_STATIC);
	return store_step_write(st, s, "delete ips");
}

static const char store_ip_owner_sql[] =
	"SELECT port_id FROM ip_allocations WHERE subnet_id=? AND ip=?";

int
store_ip_owner(struct store *st, const char *subnet_id, const struct ctl_ip *ip,
	       char *port_id)
{
	sqlite3_stmt *s = store_stmt(st, store_ip_owner_sql);
	int step, rc = -ENOENT;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, subnet_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, ip->addr, ip->family == 6 ? 16 : 4,
			  SQLITE_STATIC);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		snprintf(port_id, CTL_UUID_LEN + 1, "%s",
			 (const char *)sqlite3_column_text(s, 0));
		rc = 0;
	} else if (step != SQLITE_DONE) {
		rc = store_fail(st, "ip owner");
	}
	sqlite3_reset(s);
	return rc;
}

static const char store_ip_used_sql[] =
	"SELECT ip FROM ip_allocations WHERE subnet_id=? ORDER BY ip";

int
store_ip_used(struct store *st, const char *subnet_id, int family,
	      struct ctl_ip **out, size_t *n)
{
	sqlite3_stmt *s = store_stmt(st, store_ip_used_sql);
	struct ctl_ip *v = NULL;
	size_t cap = 0, cnt = 0;
	size_t alen = family == 6 ? 16 : 4;
	int step;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, subnet_id, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const void *b = sqlite3_column_blob(s, 0);

		if ((size_t)sqlite3_column_bytes(s, 0) != alen)
			continue;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct ctl_ip *nv = realloc(v, ncap * sizeof(*v));

			if (nv == NULL) {
				free(v);
				sqlite3_reset(s);
				return -ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		memset(&v[cnt], 0, sizeof(v[cnt]));
		v[cnt].family = (uint8_t)family;
		memcpy(v[cnt].addr, b, alen);
		cnt++;
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE) {
		free(v);
		return store_fail(st, "ips used");
	}
	*out = v;
	*n = cnt;
	return 0;
}

static const char store_ip_max_sql[] = "SELECT max(ip) FROM ip_allocations"
				       " WHERE subnet_id=? AND ip>=? AND ip<=?";

int
store_ip_max(struct store *st, const char *subnet_id, const struct ctl_ip *lo,
	     const struct ctl_ip *hi, struct ctl_ip *out)
{
	sqlite3_stmt *s = store_stmt(st, store_ip_max_sql);
	size_t alen = lo->family == 6 ? 16 : 4;
	int step, rc = -ENOENT;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, subnet_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, lo->addr, (int)alen, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, hi->addr, (int)alen, SQLITE_STATIC);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_BLOB &&
	    (size_t)sqlite3_column_bytes(s, 0) == alen) {
		memset(out, 0, sizeof(*out));
		out->family = lo->family;
		memcpy(out->addr, sqlite3_column_blob(s, 0), alen);
		rc = 0;
	} else if (step != SQLITE_ROW) {
		rc = store_fail(st, "ip max");
	}
	sqlite3_reset(s);
	return rc;
}

/* Run a one-row integer query; 0 with *n or -EIO. */
static int
store_count(struct store *st, sqlite3_stmt *s, unsigned *n)
{
	int step = sqlite3_step(s);
	int rc = 0;

	if (step == SQLITE_ROW)
		*n = (unsigned)sqlite3_column_int64(s, 0);
	else
		rc = store_fail(st, "count");
	sqlite3_reset(s);
	return rc;
}

static const char store_ip_count_sql[] =
	"SELECT count(*) FROM ip_allocations a JOIN ports p ON p.id=a.port_id"
	" WHERE a.subnet_id=? AND p.device_owner<>?";

int
store_ip_count(struct store *st, const char *subnet_id, const char *skip_owner,
	       unsigned *n)
{
	sqlite3_stmt *s = store_stmt(st, store_ip_count_sql);

	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, subnet_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, skip_owner, -1, SQLITE_STATIC);
	return store_count(st, s, n);
}

static const char store_port_count_sql[] =
	"SELECT count(*) FROM ports WHERE network_id=?"
	" AND device_owner NOT IN (?,?,?)";

int
store_port_count(struct store *st, const char *network_id,
		 const char *const *skip_owners, unsigned *n)
{
	sqlite3_stmt *s = store_stmt(st, store_port_count_sql);
	const char *last = "\n(none)";
	int i;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, network_id, -1, SQLITE_STATIC);
	/* Unused slots repeat the last owner (or an impossible one). */
	for (i = 0; i < 3; i++) {
		const char *o = skip_owners != NULL && skip_owners[0] != NULL
					? skip_owners[0]
					: NULL;

		if (o != NULL) {
			last = o;
			skip_owners++;
		}
		sqlite3_bind_text(s, 2 + i, last, -1, SQLITE_STATIC);
	}
	return store_count(st, s, n);
}

static const char store_subnet_ids_sql[] =
	"SELECT id FROM subnets WHERE network_id=? ORDER BY rowid";

int
store_subnet_ids(struct store *st, const char *network_id,
		 void (*cb)(void *arg, const char *id), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, store_subnet_ids_sql);
	int step;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, network_id, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(s)) == SQLITE_ROW)
		cb(arg, (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return step == SQLITE_DONE ? 0 : store_fail(st, "subnet ids");
}

static const char store_mac_sql[] =
	"SELECT count(*) FROM ports WHERE network_id=? AND mac=?";

int
store_mac_used(struct store *st, const char *network_id, const uint8_t *mac,
	       bool *used)
{
	sqlite3_stmt *s = store_stmt(st, store_mac_sql);
	char buf[18];
	unsigned n = 0;
	int rc;

	if (s == NULL)
		return -EIO;
	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
	sqlite3_bind_text(s, 1, network_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, buf, -1, SQLITE_TRANSIENT);
	rc = store_count(st, s, &n);
	*used = n > 0;
	return rc;
}

static const char store_vni_sql[] = "SELECT count(*) FROM networks WHERE vni=?";

int
store_vni_used(struct store *st, uint32_t vni, bool *used)
{
	sqlite3_stmt *s = store_stmt(st, store_vni_sql);
	unsigned n = 0;
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, vni);
	rc = store_count(st, s, &n);
	*used = n > 0;
	return rc;
}

static const char store_vni_max_sql[] =
	"SELECT coalesce(max(vni), 0) FROM networks";
static const char store_vni_gap_sql[] =
	"SELECT coalesce(min(vni + 1), 1) FROM networks"
	" WHERE vni + 1 NOT IN (SELECT vni FROM networks)"
	" AND vni + 1 <= 16777215";

int
store_vni_alloc(struct store *st, uint32_t *vni)
{
	sqlite3_stmt *s = store_stmt(st, store_vni_max_sql);
	bool used = false;
	unsigned n = 0;

	if (s == NULL || store_count(st, s, &n) != 0)
		return -EIO;
	if (n < 16777215) {
		*vni = n + 1;
		return 0;
	}
	s = store_stmt(st, store_vni_gap_sql);
	if (s == NULL || store_count(st, s, &n) != 0)
		return -EIO;
	if (n == 0 || n > 16777215 || store_vni_used(st, n, &used) != 0 ||
	    used) {
		if (store_vni_used(st, 1, &used) == 0 && !used) {
			*vni = 1;
			return 0;
		}
		return -ENOSPC;
	}
	*vni = n;
	return 0;
}
