/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store.h: the desired-state store of sluiced, on SQLite.
 *
 * The database runs in WAL mode with synchronous=FULL and foreign keys on,
 * so a committed transaction survives a crash of the process or the host.
 * Every object is one row: a few indexed columns (id, project_id, name,
 * network_id, mac, vni) used for constraints and lookups, and "doc", the
 * object's full API JSON (model_*_encode), which is what is read back.
 * IP allocations are their own table, keyed (subnet_id, ip) so a duplicate
 * address cannot be committed, with a foreign key to the port that holds
 * it (ON DELETE CASCADE). See docs/control.md for the schema.
 *
 * The caller (ctl.c) brackets each API request in store_begin() ..
 * store_commit() (or store_rollback()): one request, one transaction.
 *
 * Concurrency: single-threaded; one connection owned by the event loop.
 */
#ifndef SLUICE_STORE_H
#define SLUICE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

struct store;

/*
 * Open (creating if needed) the database at path (":memory:" for tests),
 * set WAL, synchronous=FULL, foreign keys, and create the schema.
 * 0 or -EIO (logged). *out is owned by the caller (store_close).
 */
int store_open(const char *path, struct store **out);
/* Close the database; accepts NULL. */
void store_close(struct store *st);

/*
 * The SQLite connection (borrowed), for services that keep their own
 * tables in the same database (lbaas/): they create them with CREATE
 * TABLE IF NOT EXISTS and write inside store_begin() .. store_commit().
 */
struct sqlite3 *store_db(struct store *st);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. 0 or -EIO. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/*
 * A list query: objects of project_id (NULL: all projects; with
 * include_shared also shared networks and their subnets), and for each
 * of up to
 * STORE_COLS_MAX indexed columns ("id", "name", "network_id",
 * "device_id"; for the document kinds the reference columns such as
 * "security_group_id", "port_id") one of the given values.
 */
#define STORE_COLS_MAX 4
struct store_query {
	const char *project_id;
	bool include_shared;
	unsigned n_cols;
	struct {
		const char *column;
		const char *const *values;
		unsigned n_values;
	} cols[STORE_COLS_MAX];
};

/* True if column is one store_query may name for kind. */
bool store_is_indexed(enum ctl_kind kind, const char *column);

/*
 * Call cb with each matching object's stored JSON document (borrowed for
 * the call), in insertion order. cb returns 0 to go on, non-zero to stop
 * (returned). 0 or -EIO.
 */
int store_foreach_doc(struct store *st, enum ctl_kind kind,
		      const struct store_query *q,
		      int (*cb)(void *arg, const char *doc), void *arg);

/* Get one object by id: 0, -ENOENT or -EIO. */
int store_network_get(struct store *st, const char *id,
		      struct ctl_network *out);
int store_subnet_get(struct store *st, const char *id, struct ctl_subnet *out);
int store_port_get(struct store *st, const char *id, struct ctl_port *out);

/*
 * Write an object (insert when is_new, else replace the row with its id).
 * -EEXIST on a uniqueness conflict (id, VNI, MAC within the network),
 * -ENOENT when updating a missing row, -EIO otherwise.
 */
int store_network_put(struct store *st, const struct ctl_network *n,
		      bool is_new);
int store_subnet_put(struct store *st, const struct ctl_subnet *s, bool is_new);
int store_port_put(struct store *st, const struct ctl_port *p, bool is_new);

/* Delete by id (a port's IP allocations go with it). 0, -ENOENT, -EIO. */
int store_del(struct store *st, enum ctl_kind kind, const char *id);

/*
 * Document kinds (ctl_kind_is_doc): get one stored document (*out a new
 * reference), write one (insert when is_new, else replace by its "id"),
 * iterate (cb gets a borrowed document). Same returns as above.
 */
int store_doc_get(struct store *st, enum ctl_kind kind, const char *id,
		  json_t **out);
int store_doc_put(struct store *st, enum ctl_kind kind, const json_t *doc,
		  bool is_new);
int store_doc_foreach(struct store *st, enum ctl_kind kind,
		      const struct store_query *q,
		      int (*cb)(void *arg, json_t *doc), void *arg);

/*
 * Typed iteration for the rest of the daemon (compiler, DHCP, binder):
 * every object matching q (NULL: all), decoded. cb's non-zero return
 * stops and is returned.
 */
int store_network_foreach(struct store *st, const struct store_query *q,
			  int (*cb)(void *arg, const struct ctl_network *n),
			  void *arg);
int store_subnet_foreach(struct store *st, const struct store_query *q,
			 int (*cb)(void *arg, const struct ctl_subnet *s),
			 void *arg);
int store_port_foreach(struct store *st, const struct store_query *q,
		       int (*cb)(void *arg, const struct ctl_port *p),
		       void *arg);

/* Record that port_id holds ip on subnet_id. -EEXIST if taken. */
int store_ip_add(struct store *st, const char *subnet_id,
		 const struct ctl_ip *ip, const char *port_id,
		 const char *network_id);
/* Forget every allocation of port_id. */
int store_ip_del_port(struct store *st, const char *port_id);
/* Holder of ip on subnet_id: 0 with port_id (37 bytes), -ENOENT. */
int store_ip_owner(struct store *st, const char *subnet_id,
		   const struct ctl_ip *ip, char *port_id);
/*
 * The addresses in use on subnet_id, ascending. *out is malloc'ed
 * (caller frees; NULL when *n is 0). 0, -ENOMEM or -EIO.
 */
int store_ip_used(struct store *st, const char *subnet_id, int family,
		  struct ctl_ip **out, size_t *n);
/*
 * The highest address in use on subnet_id within [lo, hi]: 0 with *out,
 * -ENOENT when none is, -EIO.
 */
int store_ip_max(struct store *st, const char *subnet_id,
		 const struct ctl_ip *lo, const struct ctl_ip *hi,
		 struct ctl_ip *out);
/* Allocations on subnet_id held by ports whose owner is not skip_owner. */
int store_ip_count(struct store *st, const char *subnet_id,
		   const char *skip_owner, unsigned *n);
/* Ports of network_id whose device_owner is not one of the skip list. */
int store_port_count(struct store *st, const char *network_id,
		     const char *const *skip_owners, unsigned *n);
/* Subnet ids of network_id, in creation order: cb per id. */
int store_subnet_ids(struct store *st, const char *network_id,
		     void (*cb)(void *arg, const char *id), void *arg);
/* True if mac is held by a port of network_id. */
int store_mac_used(struct store *st, const char *network_id, const uint8_t *mac,
		   bool *used);
/* True if vni is held by a network. */
int store_vni_used(struct store *st, uint32_t vni, bool *used);
/* A free VNI (max + 1, else the lowest gap). 0 or -ENOSPC. */
int store_vni_alloc(struct store *st, uint32_t *vni);

#endif /* SLUICE_STORE_H */
