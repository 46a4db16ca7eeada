// SPDX-License-Identifier: BSD-2-Clause
/*
 * lb_driver.c: the Octavia objects -> sluice-dp pools (lb_driver.h). A
 * pass walks load balancers, their listeners with a default pool, and the
 * pool's members, builds one struct dp_lb_pool per (listener, pool),
 * sends the ones that differ from what the datapath last accepted,
 * deletes pools whose objects are gone and updates provisioning_status.
 * A load balancer's VIP decides its pools' family: an IPv6 VIP makes
 * IPv6 pools (dp_client_lb_set6), whose members are its IPv6 ones.
 * Datapath pool ids are allocated here (1 .. DP_LB_POOL_ID_MAX) and stay
 * with their (listener, pool) for the daemon's life.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "dp_client.h"
#include "lb_driver.h"
#include "lb_int.h"
#include "log.h"

#define LBD_PERSIST_DEFAULT 360 /* s, Octavia's default */
#define LBD_STATUS_MAX 256	/* provisioning updates per pass */

/* One datapath pool: its key, id and what was last accepted. */
struct lbd_pool {
	char lb_id[CTL_UUID_LEN + 1];
	char listener_id[CTL_UUID_LEN + 1];
	char pool_id[CTL_UUID_LEN + 1];
	uint32_t dp_id;
	bool seen;  /* in this pass */
	bool in_dp; /* the datapath holds a version */
	struct dp_lb_pool sent;
	void *m;      /* sent.n_members members (dp_lb_member, or
		       * dp_lb_member6 for an IPv6 pool), owned */
	size_t m_len; /* bytes at m */
	uint32_t n_up;
};

/* A provisioning_status to write after the walk. */
struct lbd_status {
	char id[CTL_UUID_LEN + 1];
	bool ok;
};

struct lb_driver {
	struct lbaas *lb;
	struct event *ev; /* the deferred pass */
	struct lb_driver_ops ops;
	char path[108];
	struct dp_client *c; /* default ops */
	struct lbd_pool *pools;
	size_t n_pools, cap_pools;
	struct lbd_status st[LBD_STATUS_MAX];
	size_t n_st;
	int first_err;
	bool retry;  /* a pass failed on the connection */
	bool warned; /* the datapath was found unreachable */
	bool fresh;  /* connected since the last pass: prune */
	/* VIPs for the flow rules (lb_driver_set_vip_fn). */
	lb_driver_vip_fn vip_fn;
	void *vip_arg;
	struct lb_driver_vip *vips, *vips_sent;
	size_t n_vips, cap_vips, n_vips_sent;
	bool vips_nomem;
};

/* Default ops: a dp_client, (re)connected on demand. */

static int
lbd_conn(struct lb_driver *d)
{
	char err[160];
	int rc;

	if (d->c != NULL)
		return 0;
	rc = dp_client_connect(d->path, &d->c, err, sizeof(err));
	if (rc == 0)
		rc = dp_client_hello(d->c, "sluiced-lb", NULL);
	if (rc != 0) {
		if (!d->warned)
			log_warn("lb",
				 "datapath %s: %s (retrying every second)",
				 d->path, strerror(-rc));
		d->warned = true;
		dp_client_close(d->c);
		d->c = NULL;
		d->retry = true;
		return -ENOTCONN;
	}
	d->warned = false;
	d->fresh = true;
	return 0;
}

/* A transport failure (as netdrv's): drop the connection, retry. */
static bool
lbd_is_conn_error(int rc)
{
	switch (-rc) {
	case EPIPE:
	case ECONNRESET:
	case ENOTCONN:
	case ECONNREFUSED:
	case ETIMEDOUT:
	case EIO:
	case EPROTO:
	case EBADMSG:
	case ESHUTDOWN:
		return true;
	default:
		return false; /* the datapath refused the request */
	}
}

static int
lbd_after(struct lb_driver *d, int rc)
{
	if (rc != 0 && lbd_is_conn_error(rc)) {
		dp_client_close(d->c);
		d->c = NULL;
		d->retry = true;
		return -ENOTCONN; /* nothing was refused */
	}
	return rc;
}

static int
lbd_dp_set(void *arg, const struct dp_lb_pool *p, const struct dp_lb_member *m)
{
	struct lb_driver *d = arg;
	int rc = lbd_conn(d);

	if (rc != 0)
		return rc;
	return lbd_after(d, dp_client_lb_set(d->c, p, m));
}

static int
lbd_dp_set6(void *arg, const struct dp_lb_pool *p,
	    const struct dp_lb_member6 *m)
{
	struct lb_driver *d = arg;
	int rc = lbd_conn(d);

	if (rc != 0)
		return rc;
	return lbd_after(d, dp_client_lb_set6(d->c, p, m));
}

static int
lbd_dp_del(void *arg, uint32_t id)
{
	struct lb_driver *d = arg;
	int rc = lbd_conn(d);

	if (rc != 0)
		return rc;
	return lbd_after(d, dp_client_lb_del(d->c, id));
}

/* Both families' pools: the IPv6-aware walk of dp_client.h. */
static int
lbd_stats_cb(const struct dp_lb_pool_stats *ps,
	     const struct dp_lb_member6_stats *ms, void *arg)
{
	(void)ms;
	*(struct dp_lb_pool_stats *)arg = *ps;
	return 0;
}

static int
lbd_dp_stats(void *arg, uint32_t id, struct dp_lb_pool_stats *out)
{
	struct lb_driver *d = arg;
	int rc = lbd_conn(d);

	if (rc != 0)
		return rc;
	memset(out, 0, sizeof(*out));
	return lbd_after(d, dp_client_lb_stats6(d->c, id, lbd_stats_cb, out));
}

struct lbd_prune {
	uint32_t ids[DP_LB_POOL_ID_MAX];
	uint32_t n;
};

static int
lbd_prune_cb(const struct dp_lb_pool_stats *ps,
	     const struct dp_lb_member6_stats *ms, void *arg)
{
	struct lbd_prune *pr = arg;

	(void)ms;
	if (pr->n < DP_LB_POOL_ID_MAX)
		pr->ids[pr->n++] = ps->id;
	return 0;
}

/*
 * After a (re)connection: delete the datapath's pools that no object
 * holds (left by an earlier sluiced whose objects were deleted while it
 * was down). sluiced owns every LB pool of the datapath it drives.
 */
static void
lbd_prune(struct lb_driver *d)
{
	struct lbd_prune *pr;
	uint32_t i;
	size_t k;

	if (d->path[0] == '\0' || lbd_conn(d) != 0 || !d->fresh)
		return; /* test ops, or no datapath */
	pr = calloc(1, sizeof(*pr));
	if (pr == NULL)
		return;
	if (lbd_after(d, dp_client_lb_stats6(d->c, 0, lbd_prune_cb, pr)) != 0)
		goto out;
	d->fresh = false;
	for (i = 0; i < pr->n && d->c != NULL; i++) {
		for (k = 0; k < d->n_pools; k++)
			if (d->pools[k].in_dp &&
			    d->pools[k].dp_id == pr->ids[i])
				break;
		if (k < d->n_pools)
			continue;
		if (lbd_after(d, dp_client_lb_del(d->c, pr->ids[i])) == 0)
			log_info("lb", "datapath pool %u: no object, deleted",
				 pr->ids[i]);
	}
out:
	free(pr);
}

/* The pool table. */

uint32_t
lb_driver_first_id(const char *listener_id, const char *pool_id)
{
	uint32_t h = 2166136261u; /* FNV-1a of "listener/pool" */
	const char *s;

	for (s = listener_id; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (s = pool_id; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h % DP_LB_POOL_ID_MAX + 1;
}

/*
 * The datapath ids given out, in the store (table lb_dp_pools): an id is
 * written before its pool first goes to the datapath and forgotten once
 * the datapath pool is deleted, so a restarted sluiced gives every pool
 * the id it had whatever order its first pass meets them in, and a new
 * pool never takes the id of one the pass has not met yet (which would
 * let the datapath pool carry the other pool's members, another tenant's
 * perhaps, until the pass ends).
 */

/* Prepare sql; NULL (logged) on a failure. */
static sqlite3_stmt *
lbd_sql(struct lb_driver *d, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(d->lb->db, sql, -1, &s, NULL) != SQLITE_OK) {
		log_error("lb", "store: %s", sqlite3_errmsg(d->lb->db));
		return NULL;
	}
	return s;
}

/* The id stored for (listener, pool): 0, -ENOENT or -EIO. */
static int
lbd_id_load(struct lb_driver *d, const char *listener_id, const char *pool_id,
	    uint32_t *id)
{
	sqlite3_stmt *s = lbd_sql(d, "SELECT dp_id FROM lb_dp_pools WHERE"
				     " listener_id=? AND pool_id=?");
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, listener_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, pool_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = (uint32_t)sqlite3_column_int64(s, 0);
		rc = *id >= 1 && *id <= DP_LB_POOL_ID_MAX ? 0 : -ENOENT;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	sqlite3_finalize(s);
	return rc;
}

/* 1 when a stored row holds id, 0 when none does, -EIO. */
static int
lbd_id_stored(struct lb_driver *d, uint32_t id)
{
	sqlite3_stmt *s = lbd_sql(d, "SELECT 1 FROM lb_dp_pools WHERE dp_id=?");
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -EIO;
}

/* Write (listener, pool) -> id, or (del) delete the pair's row. */
static int
lbd_id_write(struct lb_driver *d, const char *listener_id, const char *pool_id,
	     uint32_t id, bool del)
{
	sqlite3_stmt *s = lbd_sql(
		d, del ? "DELETE FROM lb_dp_pools WHERE listener_id=? AND"
			 " pool_id=?"
		       : "INSERT OR REPLACE INTO lb_dp_pools(listener_id,"
			 " pool_id, dp_id) VALUES(?, ?, ?)");
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_text(s, 1, listener_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, pool_id, -1, SQLITE_STATIC);
	if (!del)
		sqlite3_bind_int64(s, 3, id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		log_error("lb", "store datapath pool id %u: %s", id,
			  sqlite3_errmsg(d->lb->db));
		return -EIO;
	}
	return 0;
}

/* The in-memory entry holding datapath id, or NULL. */
static struct lbd_pool *
lbd_id_holder(struct lb_driver *d, uint32_t id)
{
	size_t i;

	for (i = 0; i < d->n_pools; i++)
		if (d->pools[i].dp_id == id)
			return &d->pools[i];
	return NULL;
}

/*
 * The datapath id for a new entry (listener, pool): the stored one, else
 * the first from a hash of the two ids that no entry and no stored row
 * holds, then stored. 0 when none is free or the store failed.
 */
static uint32_t
lbd_id_pick(struct lb_driver *d, const char *listener_id, const char *pool_id)
{
	uint32_t id = 0, k, start;
	int rc;

	rc = lbd_id_load(d, listener_id, pool_id, &id);
	if (rc == -EIO)
		return 0;
	if (rc == 0 && lbd_id_holder(d, id) == NULL)
		return id;
	if (rc == 0)
		log_warn("lb",
			 "stored datapath pool id %u of listener %s"
			 " is held by another pool: a new one",
			 id, listener_id);
	start = lb_driver_first_id(listener_id, pool_id) - 1;
	for (k = 0, id = 0; k < DP_LB_POOL_ID_MAX && id == 0; k++) {
		id = (start + k) % DP_LB_POOL_ID_MAX + 1;
		if (lbd_id_holder(d, id) != NULL)
			id = 0;
		else if ((rc = lbd_id_stored(d, id)) < 0)
			return 0;
		else if (rc == 1)
			id = 0; /* a pool not met yet */
	}
	if (id == 0 || lbd_id_write(d, listener_id, pool_id, id, false) != 0)
		return 0;
	return id;
}

/*
 * Forget the stored ids no entry holds: rows of pairs whose objects went
 * while sluiced was down (their datapath pools were pruned). After a pass
 * that walked the whole store.
 */
static void
lbd_id_sweep(struct lb_driver *d)
{
	sqlite3_stmt *s = lbd_sql(d, "SELECT listener_id, pool_id, dp_id"
				     " FROM lb_dp_pools");
	char gone[16][2][CTL_UUID_LEN + 1];
	const struct lbd_pool *p;
	size_t n = 0, i;

	if (s == NULL)
		return;
	while (n < 16 && sqlite3_step(s) == SQLITE_ROW) {
		p = lbd_id_holder(d, (uint32_t)sqlite3_column_int64(s, 2));
		if (p != NULL &&
		    strcmp(p->listener_id,
			   (const char *)sqlite3_column_text(s, 0)) == 0 &&
		    strcmp(p->pool_id,
			   (const char *)sqlite3_column_text(s, 1)) == 0)
			continue;
		snprintf(gone[n][0], sizeof(gone[n][0]), "%s",
			 (const char *)sqlite3_column_text(s, 0));
		snprintf(gone[n][1], sizeof(gone[n][1]), "%s",
			 (const char *)sqlite3_column_text(s, 1));
		n++;
	}
	sqlite3_finalize(s);
	for (i = 0; i < n; i++)
		lbd_id_write(d, gone[i][0], gone[i][1], 0, true);
}

/* The entry of (listener, pool), made if new (lbd_id_pick). */
static struct lbd_pool *
lbd_pool_get(struct lb_driver *d, const char *lb_id, const char *listener_id,
	     const char *pool_id)
{
	struct lbd_pool *p;
	uint32_t id;
	size_t i;

	for (i = 0; i < d->n_pools; i++) {
		p = &d->pools[i];
		if (strcmp(p->listener_id, listener_id) == 0 &&
		    strcmp(p->pool_id, pool_id) == 0)
			return p;
	}
	id = lbd_id_pick(d, listener_id, pool_id);
	if (id == 0)
		return NULL;
	if (d->n_pools == d->cap_pools) {
		size_t cap = d->cap_pools != 0 ? d->cap_pools * 2 : 16;
		struct lbd_pool *np = realloc(d->pools, cap * sizeof(*np));

		if (np == NULL)
			return NULL;
		d->pools = np;
		d->cap_pools = cap;
	}
	p = &d->pools[d->n_pools++];
	memset(p, 0, sizeof(*p));
	snprintf(p->lb_id, sizeof(p->lb_id), "%s", lb_id);
	snprintf(p->listener_id, sizeof(p->listener_id), "%s", listener_id);
	snprintf(p->pool_id, sizeof(p->pool_id), "%s", pool_id);
	p->dp_id = id;
	return p;
}

/*
 * Record the outcome for object id. -ENOTCONN (the datapath is not
 * running: nothing was refused) leaves the status as it is.
 */
static void
lbd_status_add(struct lb_driver *d, const char *id, int rc)
{
	bool ok = rc == 0;
	size_t i;

	if (rc == -ENOTCONN)
		return;

	for (i = 0; i < d->n_st; i++) {
		if (strcmp(d->st[i].id, id) == 0) {
			d->st[i].ok = d->st[i].ok && ok;
			return;
		}
	}
	if (d->n_st == LBD_STATUS_MAX)
		return;
	snprintf(d->st[d->n_st].id, sizeof(d->st[0].id), "%s", id);
	d->st[d->n_st++].ok = ok;
}

/* Building one pool. */

struct lbd_build {
	struct lb_driver *d;
	int family;		  /* the VIP's: 4 or 6 */
	struct dp_lb_member *m;	  /* IPv4 pool */
	struct dp_lb_member6 *m6; /* IPv6 pool */
	uint32_t n, cap;
	uint32_t n_up;
	bool monitored; /* an enabled health monitor watches the pool */
	struct lbd_status ids[DP_LB_MEMBERS_MAX];
	uint32_t n_ids;
};

static uint8_t
lbd_alg(const json_t *pool, uint32_t *persist)
{
	const char *alg = lb_store_str(pool, "lb_algorithm");
	const json_t *sp = json_object_get(pool, "session_persistence");
	json_int_t to;

	*persist = 0;
	if (json_is_object(sp) &&
	    strcmp(lb_store_str(sp, "type"), "SOURCE_IP") == 0) {
		to = json_integer_value(
			json_object_get(sp, "persistence_timeout"));
		*persist = to > 0 ? (uint32_t)to : LBD_PERSIST_DEFAULT;
		return DP_LB_SOURCE_IP; /* stickiness lives there */
	}
	if (strcmp(alg, "LEAST_CONNECTIONS") == 0)
		return DP_LB_LEAST_CONNECTIONS;
	if (strcmp(alg, "SOURCE_IP") == 0)
		return DP_LB_SOURCE_IP;
	if (strcmp(alg, "SOURCE_IP_PORT") == 0)
		return DP_LB_SOURCE_IP_PORT;
	return DP_LB_ROUND_ROBIN;
}

static int
lbd_member_cb(void *arg, struct lb_row *r)
{
	struct lbd_build *b = arg;
	const char *addr = lb_store_str(r->doc, "address");
	json_int_t w = json_integer_value(json_object_get(r->doc, "weight"));
	json_int_t port =
		json_integer_value(json_object_get(r->doc, "protocol_port"));
	struct lb_vip_ip ip;
	uint16_t mport, weight;
	uint8_t flags = 0;
	int h;

	if (b->n_ids < DP_LB_MEMBERS_MAX)
		snprintf(b->ids[b->n_ids++].id, sizeof(b->ids[0].id), "%s",
			 r->id);
	/* The API refuses the other family; one stored before is left
	 * out (the pool's NAT translates within one family). */
	if (lb_vip_ip_parse(addr, &ip) != 0 || ip.family != b->family) {
		log_warn("lb",
			 "member %s: address %.64s is not IPv%d like its load "
			 "balancer's VIP: not served",
			 r->id, addr, b->family);
		return 0;
	}
	if (b->n == DP_LB_MEMBERS_MAX)
		return 0;
	mport = htons((uint16_t)(port > 0 && port < 65536 ? port : 0));
	weight = (uint16_t)(w >= 0 && w <= DP_LB_WEIGHT_MAX ? w : 1);
	if (json_is_true(json_object_get(r->doc, "backup")))
		flags |= DP_LB_M_BACKUP;
	/* Not probed yet counts as up, as Octavia's NO_MONITOR. */
	h = b->monitored ? lbaas_member_health(b->d->lb, r->id) : 1;
	if (lb_store_is_up(r->doc) && h != 0) {
		flags |= DP_LB_M_UP;
		if (weight > 0)
			b->n_up++;
	}
	if (b->family == 6) {
		struct dp_lb_member6 *m6 = &b->m6[b->n++];

		memset(m6, 0, sizeof(*m6));
		memcpy(m6->addr, ip.a, 16);
		m6->port = mport;
		m6->weight = weight;
		m6->flags = flags;
	} else {
		struct dp_lb_member *m = &b->m[b->n++];

		memset(m, 0, sizeof(*m));
		memcpy(&m->addr, ip.a, 4);
		m->port = mport;
		m->weight = weight;
		m->flags = flags;
	}
	return 0;
}

/* A listener's timeout attribute, ms (0: absent or 0). */
static uint32_t
lbd_ms(const json_t *ldoc, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(ldoc, key));

	return v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
}

/*
 * The datapath's idle timeout of a listener's connections: the smaller
 * of timeout_client_data and timeout_member_data (0 ones ignored). One
 * NAT entry serves both sides and any packet refreshes it, so an idle
 * connection is idle on both sides at once; HAProxy (Octavia's amphora)
 * runs both timers on such a connection and closes it when the first
 * fires, i.e. after the smaller (docs/lbaas.md, "Listener timeouts").
 */
static uint32_t
lbd_idle_ms(const json_t *ldoc)
{
	uint32_t cd = lbd_ms(ldoc, "timeout_client_data");
	uint32_t md = lbd_ms(ldoc, "timeout_member_data");

	if (cd == 0 || md == 0)
		return cd != 0 ? cd : md;
	return cd < md ? cd : md;
}

/* Build and send the pool of (lb, listener ldoc) into entry p. */
static int
lbd_pool_push(struct lb_driver *d, struct lbd_pool *p, const json_t *lbdoc,
	      const json_t *ldoc, const json_t *pool)
{
	json_int_t limit =
		json_integer_value(json_object_get(ldoc, "connection_limit"));
	struct lbd_build *b = calloc(1, sizeof(*b));
	struct dp_lb_pool dp = {0};
	struct lb_vip_ip vip;
	void *mem;
	size_t m_len;
	json_t *hm;
	uint32_t i;
	int rc;

	if (b == NULL)
		return -ENOMEM;
	b->d = d;
	if (lb_vip_ip_parse(lb_store_str(lbdoc, "vip_address"), &vip) != 0) {
		rc = -EAFNOSUPPORT;
		goto out;
	}
	b->family = vip.family;
	if (vip.family == 6)
		mem = b->m6 = calloc(DP_LB_MEMBERS_MAX, sizeof(*b->m6));
	else
		mem = b->m = calloc(DP_LB_MEMBERS_MAX, sizeof(*b->m));
	if (mem == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	hm = lb_store_pool_monitor(d->lb, p->pool_id);
	b->monitored = hm != NULL && lb_store_is_up(hm);
	json_decref(hm);
	if (lb_store_is_up(pool) &&
	    lb_store_each(d->lb, LB_MEMBER, "parent_id", p->pool_id,
			  lbd_member_cb, b) != 0) {
		rc = -EIO;
		goto out;
	}
	dp.id = p->dp_id;
	dp.n_members = b->n;
	dp.alg = lbd_alg(pool, &dp.persist_timeout);
	/* The VIP is the source members see (IPv4 and IPv6 alike). */
	if (vip.family == 6) {
		dp.flags = DP_LB_POOL_F_IPV6;
		memcpy(dp.src_addr6, vip.a, 16);
		m_len = b->n * sizeof(*b->m6);
	} else {
		memcpy(&dp.src_addr, vip.a, 4);
		m_len = b->n * sizeof(*b->m);
	}
	/* -1 (unlimited) and 0 both send 0: no limit in the datapath. */
	dp.conn_limit = limit > 0 && limit <= UINT32_MAX ? (uint32_t)limit : 0;
	dp.idle_timeout_ms = lbd_idle_ms(ldoc);
	dp.connect_timeout_ms = lbd_ms(ldoc, "timeout_member_connect");
	if (p->in_dp && memcmp(&dp, &p->sent, sizeof(dp)) == 0 &&
	    m_len == p->m_len &&
	    (m_len == 0 || memcmp(mem, p->m, m_len) == 0)) {
		rc = 0; /* unchanged */
	} else {
		if (vip.family == 6)
			rc = d->ops.pool_set6 != NULL
				     ? d->ops.pool_set6(d->ops.arg, &dp, b->m6)
				     : -EAFNOSUPPORT;
		else
			rc = d->ops.pool_set(d->ops.arg, &dp, b->m);
		if (rc == 0) {
			free(p->m);
			p->m = mem;
			p->m_len = m_len;
			b->m = NULL;
			b->m6 = NULL;
			p->sent = dp;
			p->in_dp = true;
			p->n_up = b->n_up;
			log_info("lb",
				 "pool %s of listener %s: datapath pool %u, "
				 "%u members, %u up",
				 p->pool_id, p->listener_id, p->dp_id,
				 dp.n_members, b->n_up);
		} else if (rc != -ENOTCONN) {
			log_warn("lb",
				 "pool %s of listener %s: the datapath refused "
				 "pool %u: %s",
				 p->pool_id, p->listener_id, p->dp_id,
				 strerror(-rc));
		}
	}
	for (i = 0; i < b->n_ids; i++)
		lbd_status_add(d, b->ids[i].id, rc);
out:
	free(b->m);
	free(b->m6);
	free(b);
	return rc;
}

/* The walk. */

struct lbd_walk {
	struct lb_driver *d;
	const struct lb_row *lbr;
};

static void lbd_kick(struct lb_driver *d);

/* The VIP entry of the load balancer being walked (NULL: none). */
static struct lb_driver_vip *
lbd_vip_cur(struct lb_driver *d, const char *lb_id)
{
	if (d->n_vips == 0 || strcmp(d->vips[d->n_vips - 1].lb_id, lb_id) != 0)
		return NULL;
	return &d->vips[d->n_vips - 1];
}

static void
lbd_vip_begin(struct lb_driver *d, const struct lb_row *r)
{
	const char *port = lb_store_str(r->doc, "vip_port_id");
	struct lb_driver_vip *v;
	struct lb_vip_ip a;

	if (d->vip_fn == NULL || port[0] == '\0' || strlen(port) >= 40 ||
	    lb_vip_ip_parse(lb_store_str(r->doc, "vip_address"), &a) != 0)
		return;
	if (d->n_vips == d->cap_vips) {
		size_t cap = d->cap_vips ? 2 * d->cap_vips : 8;
		struct lb_driver_vip *nv = realloc(d->vips, cap * sizeof(*nv));

		if (nv == NULL) {
			d->vips_nomem = true;
			return;
		}
		d->vips = nv;
		d->cap_vips = cap;
	}
	v = &d->vips[d->n_vips++];
	memset(v, 0, sizeof(*v));
	snprintf(v->lb_id, sizeof(v->lb_id), "%s", r->id);
	snprintf(v->vip_port_id, sizeof(v->vip_port_id), "%s", port);
	v->family = (uint8_t)a.family;
	memcpy(v->vip, a.a, a.family == 6 ? 16 : 4);
}

static void
lbd_vip_listener(struct lb_driver *d, const char *lb_id, const json_t *ldoc,
		 uint32_t dp_pool)
{
	struct lb_driver_vip *v = lbd_vip_cur(d, lb_id);
	const char *proto = lb_store_str(ldoc, "protocol");
	json_int_t port =
		json_integer_value(json_object_get(ldoc, "protocol_port"));
	const json_t *cidrs = json_object_get(ldoc, "allowed_cidrs");
	const json_t *e;
	size_t i;

	if (v == NULL || v->n_listeners >= LB_DRIVER_VIP_LISTENERS_MAX ||
	    port < 1 || port > 65535)
		return;
	v->l[v->n_listeners].proto =
		strcmp(proto, "UDP") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
	v->l[v->n_listeners].port = (uint16_t)port;
	v->l[v->n_listeners].dp_pool = dp_pool;
	/* null or []: every client; else only the listed prefixes of the
	 * VIP's IP version. */
	v->l[v->n_listeners].is_restricted = json_array_size(cidrs) > 0;
	json_array_foreach(cidrs, i, e)
	{
		unsigned k = v->l[v->n_listeners].n_cidrs;
		struct lb_model_cidr c;

		if (k < LB_DRIVER_CIDRS_MAX && json_is_string(e) &&
		    lb_model_cidr_parse(json_string_value(e), &c) == 0 &&
		    c.family == v->family) {
			memcpy(v->l[v->n_listeners].cidrs[k].addr, c.addr,
			       c.family == 6 ? 16 : 4);
			v->l[v->n_listeners].cidrs[k].len = c.len;
			v->l[v->n_listeners].n_cidrs++;
		}
	}
	v->n_listeners++;
}

/* After a pass: give the VIPs with listeners to fn when they changed. */
static void
lbd_vip_publish(struct lb_driver *d)
{
	size_t n = 0;

	if (d->vip_fn == NULL || d->vips_nomem)
		return;
	for (size_t i = 0; i < d->n_vips; i++)
		if (d->vips[i].n_listeners > 0)
			d->vips[n++] = d->vips[i];
	if (n == d->n_vips_sent &&
	    (n == 0 ||
	     memcmp(d->vips, d->vips_sent, n * sizeof(*d->vips)) == 0))
		return;
	if (n > 0) {
		struct lb_driver_vip *c = malloc(n * sizeof(*c));

		if (c == NULL)
			return;
		memcpy(c, d->vips, n * sizeof(*c));
		free(d->vips_sent);
		d->vips_sent = c;
	} else {
		free(d->vips_sent);
		d->vips_sent = NULL;
	}
	d->n_vips_sent = n;
	log_info("lb", "flow rules for %zu VIPs", n);
	d->vip_fn(d->vip_arg, d->vips_sent, n);
}

void
lb_driver_set_vip_fn(struct lb_driver *d, lb_driver_vip_fn fn, void *arg)
{
	d->vip_fn = fn;
	d->vip_arg = arg;
	d->n_vips_sent = 0;
	free(d->vips_sent);
	d->vips_sent = NULL;
	lbd_kick(d);
}

static int
lbd_listener_cb(void *arg, struct lb_row *r)
{
	struct lbd_walk *w = arg;
	struct lb_driver *d = w->d;
	const char *pool_id = lb_store_str(r->doc, "default_pool_id");
	struct lb_row pool;
	struct lbd_pool *p;
	int rc;

	if (pool_id[0] == '\0' || !lb_store_is_up(r->doc)) {
		lbd_status_add(d, r->id, 0);
		return 0;
	}
	if (lb_store_get(d->lb, pool_id, &pool) != 0)
		return 0;
	p = lbd_pool_get(d, w->lbr->id, r->id, pool_id);
	if (p == NULL) {
		rc = -ENOSPC;
		log_warn("lb",
			 "listener %s: no datapath pool id (none left, or the"
			 " store failed)",
			 r->id);
	} else {
		p->seen = true;
		rc = lbd_pool_push(d, p, w->lbr->doc, r->doc, pool.doc);
		if (p->in_dp)
			lbd_vip_listener(d, w->lbr->id, r->doc, p->dp_id);
	}
	if (rc != 0 && d->first_err == 0)
		d->first_err = rc;
	lbd_status_add(d, r->id, rc);
	lbd_status_add(d, pool_id, rc);
	lbd_status_add(d, w->lbr->id, rc);
	lb_store_row_fini(&pool);
	return 0;
}

static int
lbd_lb_cb(void *arg, struct lb_row *r)
{
	struct lbd_walk *w = arg;

	lbd_status_add(w->d, r->id, 0);
	if (!lb_store_is_up(r->doc))
		return 0; /* its pools are deleted below */
	w->lbr = r;
	lbd_vip_begin(w->d, r);
	return lb_store_each(w->d->lb, LB_LISTENER, "lb_id", r->id,
			     lbd_listener_cb, w);
}

/* Set ACTIVE/ERROR where it changed; PENDING_* is the API's to leave. */
static void
lbd_status_apply(struct lb_driver *d)
{
	struct lb_row r;
	const char *cur, *want;
	size_t i;

	for (i = 0; i < d->n_st; i++) {
		if (lb_store_get(d->lb, d->st[i].id, &r) != 0)
			continue;
		cur = lb_store_str(r.doc, "provisioning_status");
		want = d->st[i].ok ? "ACTIVE" : "ERROR";
		if ((strcmp(cur, "ACTIVE") == 0 || strcmp(cur, "ERROR") == 0) &&
		    strcmp(cur, want) != 0 &&
		    lbaas_set_provisioning(d->lb, d->st[i].id, want) != 0)
			log_warn("lb", "cannot set %s %s", d->st[i].id, want);
		lb_store_row_fini(&r);
	}
	d->n_st = 0;
}

int
lb_driver_sync(struct lb_driver *d)
{
	struct lbd_walk w = {d, NULL};
	size_t i;
	int rc;

	d->first_err = 0;
	d->retry = false;
	d->n_st = 0;
	d->n_vips = 0;
	d->vips_nomem = false;
	for (i = 0; i < d->n_pools; i++)
		d->pools[i].seen = false;
	if (lb_store_each(d->lb, LB_LOADBALANCER, NULL, NULL, lbd_lb_cb, &w) !=
	    0) {
		log_error("lb", "driver pass: the store failed");
		d->n_st = 0;
		return -EIO;
	}
	/* Pools whose objects are gone (or turned off). */
	for (i = 0; i < d->n_pools;) {
		struct lbd_pool *p = &d->pools[i];

		if (p->seen) {
			i++;
			continue;
		}
		if (p->in_dp) {
			rc = d->ops.pool_del(d->ops.arg, p->dp_id);
			if (rc != 0 && rc != -ENOENT) {
				log_warn("lb", "delete datapath pool %u: %s",
					 p->dp_id, strerror(-rc));
				if (d->first_err == 0)
					d->first_err = rc;
				i++;
				continue; /* retried next pass */
			}
			log_info("lb", "datapath pool %u deleted", p->dp_id);
		}
		if (lbd_id_write(d, p->listener_id, p->pool_id, 0, true) != 0) {
			if (d->first_err == 0)
				d->first_err = -EIO;
			i++;
			continue; /* retried next pass */
		}
		free(p->m);
		d->pools[i] = d->pools[--d->n_pools];
	}
	lbd_status_apply(d);
	lbd_vip_publish(d);
	if (d->first_err == 0) {
		lbd_id_sweep(d);
		lbd_prune(d);
	}
	return d->first_err;
}

static void
lbd_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct lb_driver *d = arg;
	struct timeval tv = {1, 0};

	(void)fd;
	(void)what;
	lb_driver_sync(d);
	if (d->retry)
		evtimer_add(d->ev, &tv);
}

static void
lbd_kick(struct lb_driver *d)
{
	struct timeval tv = {0, 10000}; /* coalesce a burst of writes */

	if (d->ev != NULL && !evtimer_pending(d->ev, NULL))
		evtimer_add(d->ev, &tv);
}

static void
lbd_on_change(void *arg)
{
	lbd_kick(arg);
}

static void
lbd_on_member(void *arg, const char *pool_id, const char *member_id, bool is_up)
{
	struct lb_driver *d = arg;

	(void)pool_id;
	(void)member_id;
	(void)is_up;
	/* Now, not after the coalescing delay: a dead member costs. */
	if (d->ev != NULL)
		event_active(d->ev, EV_TIMEOUT, 0);
}

/*
 * The sum over the datapath pools of lb_id (or of its listener):
 * bytes_in the frames from clients to the VIP (the original direction),
 * bytes_out the members' replies to them, as lb_select counted them
 * (whole frames, Ethernet header included); request_errors = new
 * connections dropped for want of a member.
 */
static int
lbd_on_stats(void *arg, const char *lb_id, const char *listener_id,
	     struct lbaas_stats *out)
{
	struct lb_driver *d = arg;
	struct dp_lb_pool_stats ps;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < d->n_pools; i++) {
		const struct lbd_pool *p = &d->pools[i];

		if (!p->in_dp || strcmp(p->lb_id, lb_id) != 0 ||
		    (listener_id != NULL &&
		     strcmp(p->listener_id, listener_id) != 0))
			continue;
		rc = d->ops.pool_stats(d->ops.arg, p->dp_id, &ps);
		if (rc != 0)
			return rc;
		out->bytes_in += ps.bytes - ps.bytes_rpl;
		out->bytes_out += ps.bytes_rpl;
		out->active_connections += ps.active;
		out->total_connections += ps.total;
		out->request_errors += ps.no_member;
	}
	return 0;
}

int
lb_driver_create(struct lbaas *lb, struct event_base *base,
		 const char *dp_socket, const struct lb_driver_ops *ops,
		 struct lb_driver **out)
{
	struct lb_driver *d;

	if (lb == NULL || (ops == NULL && dp_socket == NULL))
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->lb = lb;
	if (ops != NULL) {
		d->ops = *ops;
	} else {
		snprintf(d->path, sizeof(d->path), "%s", dp_socket);
		d->ops.pool_set = lbd_dp_set;
		d->ops.pool_set6 = lbd_dp_set6;
		d->ops.pool_del = lbd_dp_del;
		d->ops.pool_stats = lbd_dp_stats;
		d->ops.arg = d;
	}
	if (base != NULL) {
		d->ev = evtimer_new(base, lbd_on_timer, d);
		if (d->ev == NULL) {
			free(d);
			return -ENOMEM;
		}
	}
	lbaas_set_change_fn(lb, lbd_on_change, d);
	lbaas_set_member_fn(lb, lbd_on_member, d);
	if (d->ops.pool_stats != NULL)
		lbaas_set_stats_fn(lb, lbd_on_stats, d);
	lbd_kick(d);
	*out = d;
	return 0;
}

void
lb_driver_destroy(struct lb_driver *d)
{
	size_t i;

	if (d == NULL)
		return;
	lbaas_set_change_fn(d->lb, NULL, NULL);
	lbaas_set_member_fn(d->lb, NULL, NULL);
	lbaas_set_stats_fn(d->lb, NULL, NULL);
	if (d->ev != NULL)
		event_free(d->ev);
	for (i = 0; i < d->n_pools; i++)
		free(d->pools[i].m);
	free(d->pools);
	free(d->vips);
	free(d->vips_sent);
	dp_client_close(d->c);
	free(d);
}

int
lb_driver_pool_find(const struct lb_driver *d, const char *listener_id,
		    const char *pool_id, struct lb_driver_pool_info *info)
{
	const struct lbd_pool *p;
	size_t i;

	for (i = 0; i < d->n_pools; i++) {
		p = &d->pools[i];
		if (strcmp(p->listener_id, listener_id) != 0 ||
		    strcmp(p->pool_id, pool_id) != 0 || !p->in_dp)
			continue;
		memset(info, 0, sizeof(*info));
		info->dp_id = p->dp_id;
		snprintf(info->lb_id, sizeof(info->lb_id), "%s", p->lb_id);
		snprintf(info->listener_id, sizeof(info->listener_id), "%s",
			 p->listener_id);
		snprintf(info->pool_id, sizeof(info->pool_id), "%s",
			 p->pool_id);
		info->n_members = p->sent.n_members;
		info->n_up = p->n_up;
		return 0;
	}
	return -ENOENT;
}
