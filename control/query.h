/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * query.h: Neutron list queries: filters (any top-level attribute; keys
 * AND, a repeated key ORs its values; tags, tags-any, not-tags,
 * not-tags-any; fixed_ips=ip_address=X), fields= (repeatable), sort_key /
 * sort_dir, and pagination (limit, marker, page_reverse) with the
 * <collection>_links "next"/"previous" hrefs.
 *
 * Works on API JSON objects (model_*_encode), so it needs no per-kind
 * code beyond the attribute table of model.h. Query arguments are
 * untrusted: each is checked and bad ones are a 400.
 *
 * Concurrency: none (pure functions over caller-owned data).
 */
#ifndef SLUICE_QUERY_H
#define SLUICE_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "model.h"

/* One decoded query-string argument (both borrowed). */
struct query_arg {
	const char *key;
	const char *value; /* "" when the argument had no '=' */
};

#define QUERY_SORT_MAX 8

struct query {
	json_t *filters; /* object: key -> array of value strings */
	json_t *fields;	 /* array of names, or NULL: all */
	unsigned n_sort;
	const char *sort_key[QUERY_SORT_MAX]; /* borrowed from args */
	bool sort_desc[QUERY_SORT_MAX];
	size_t limit;	    /* 0: no limit */
	const char *marker; /* borrowed, or NULL */
	bool page_reverse;
};

/*
 * Parse args into q for kind. 0, or -EINVAL with err (400) on an unknown
 * filter attribute, a bad limit, an unknown sort key... q must be freed
 * with query_fini() after a 0 return. q borrows strings from args.
 */
int query_parse(enum ctl_kind kind, const struct query_arg *args, size_t n_args,
		struct query *q, struct ctl_err *err);
void query_fini(struct query *q);

/* True if obj passes every filter of q. */
bool query_match(const struct query *q, const json_t *obj);

/*
 * Sort objs (array of objects; modified in place) and cut the page. On
 * return *page is a new array reference holding the page's objects
 * (projected on q->fields), *next_marker / *prev_marker are the ids to
 * put in the next/previous links (NULL: no such link; borrowed from
 * objs). 0, or -EINVAL with err when the marker is unknown.
 */
int query_page(const struct query *q, json_t *objs, json_t **page,
	       const char **next_marker, const char **prev_marker,
	       struct ctl_err *err);

/*
 * Build a link href: base (e.g. "http://h:9696/v2.0/networks") followed
 * by the arguments of args except marker/page_reverse, then marker and,
 * when is_reverse, page_reverse=True; all percent-encoded. Caller frees.
 */
char *query_link(const char *base, const struct query_arg *args, size_t n_args,
		 const char *marker, bool is_reverse);

#endif /* SLUICE_QUERY_H */
