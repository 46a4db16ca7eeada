// SPDX-License-Identifier: BSD-2-Clause
/*
 * query.c: filters, fields, sorting and pagination of Neutron list
 * requests (see query.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query.h"

#define QUERY_LIMIT_MAX 100000

static bool
query_is_tag_key(const char *k)
{
	return strcmp(k, "tags") == 0 || strcmp(k, "tags-any") == 0 ||
	       strcmp(k, "not-tags") == 0 || strcmp(k, "not-tags-any") == 0;
}

static int
query_bool(const char *s, bool *out)
{
	if (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0) {
		*out = true;
		return 0;
	}
	if (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

static int
query_add_filter(struct query *q, const char *key, const char *value)
{
	json_t *vals = json_object_get(q->filters, key);

	if (vals == NULL) {
		vals = json_array();
		if (vals == NULL ||
		    json_object_set_new(q->filters, key, vals) != 0)
			return -ENOMEM;
	}
	return json_array_append_new(vals, json_string(value)) == 0 ? 0
								    : -ENOMEM;
}

int
query_parse(enum ctl_kind kind, const struct query_arg *args, size_t n_args,
	    struct query *q, struct ctl_err *err)
{
	unsigned n_dir = 0;
	size_t i;

	memset(q, 0, sizeof(*q));
	q->filters = json_object();
	if (q->filters == NULL)
		return ctl_err_set(err, CTL_E_INTERNAL, "Out of memory.");
	for (i = 0; i < n_args; i++) {
		const char *k = args[i].key, *v = args[i].value;
		bool b;

		if (strcmp(k, "fields") == 0) {
			if (q->fields == NULL)
				q->fields = json_array();
			if (q->fields == NULL ||
			    json_array_append_new(q->fields, json_string(v)) !=
				    0)
				goto nomem;
		} else if (strcmp(k, "sort_key") == 0) {
			if (q->n_sort >= QUERY_SORT_MAX)
				goto bad_sort;
			if (!model_is_attribute(kind, v))
				goto bad_sort;
			q->sort_key[q->n_sort++] = v;
		} else if (strcmp(k, "sort_dir") == 0) {
			if (n_dir >= QUERY_SORT_MAX ||
			    (strcmp(v, "asc") != 0 && strcmp(v, "desc") != 0))
				goto bad_sort;
			q->sort_desc[n_dir++] = strcmp(v, "desc") == 0;
		} else if (strcmp(k, "limit") == 0) {
			char *end;
			long l = strtol(v, &end, 10);

			if (*v == '\0' || *end != '\0' || l < 0 ||
			    l > QUERY_LIMIT_MAX) {
				query_fini(q);
				return ctl_err_set(
					err, CTL_E_BAD_REQUEST,
					"Bad limit request: Limit must be an "
					"integer 0 or greater and not '%.32s'",
					v);
			}
			q->limit = (size_t)l;
		} else if (strcmp(k, "marker") == 0) {
			q->marker = v;
		} else if (strcmp(k, "page_reverse") == 0) {
			if (query_bool(v, &b) != 0) {
				query_fini(q);
				return ctl_err_set(
					err, CTL_E_BAD_REQUEST,
					"Invalid value for page_reverse");
			}
			q->page_reverse = b;
		} else if (model_is_attribute(kind, k) || query_is_tag_key(k)) {
			if (query_add_filter(q, k, v) != 0)
				goto nomem;
		} else {
			query_fini(q);
			return ctl_err_set(
				err, CTL_E_BAD_REQUEST,
				"[%.64s] is invalid attribute for filtering",
				k);
		}
	}
	if (n_dir > q->n_sort)
		goto bad_sort;
	return 0;

bad_sort:
	query_fini(q);
	return ctl_err_set(
		err, CTL_E_BAD_REQUEST,
		"Bad sort request: sort_key must name attributes and "
		"sort_dir be asc or desc, no more of them than keys");
nomem:
	query_fini(q);
	return ctl_err_set(err, CTL_E_INTERNAL, "Out of memory.");
}

void
query_fini(struct query *q)
{
	json_decref(q->filters);
	json_decref(q->fields);
	q->filters = NULL;
	q->fields = NULL;
}

/* Does one JSON value equal the filter string f? */
static bool
query_value_eq(const json_t *v, const char *f)
{
	char buf[32];
	bool b;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return strcmp(json_string_value(v), f) == 0;
	case JSON_TRUE:
	case JSON_FALSE:
		return query_bool(f, &b) == 0 && b == json_is_true(v);
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%lld",
			 (long long)json_integer_value(v));
		return strcmp(buf, f) == 0;
	case JSON_NULL:
		return f[0] == '\0' || strcmp(f, "None") == 0 ||
		       strcmp(f, "null") == 0;
	case JSON_OBJECT: {
		/* "key=value" against a member, as fixed_ips=ip_address=X. */
		const char *eq = strchr(f, '=');
		char key[64];
		json_t *m;

		if (eq == NULL || (size_t)(eq - f) >= sizeof(key))
			return false;
		memcpy(key, f, (size_t)(eq - f));
		key[eq - f] = '\0';
		m = json_object_get(v, key);
		return m != NULL && !json_is_object(m) && !json_is_array(m) &&
		       query_value_eq(m, eq + 1);
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *e;

		json_array_foreach(v, i, e)
		{
			if (query_value_eq(e, f))
				return true;
		}
		return false;
	}
	default:
		return false;
	}
}

/* True if the object has tag t. */
static bool
query_has_tag(const json_t *obj, const char *t, size_t len)
{
	json_t *tags = json_object_get(obj, "tags");
	size_t i;
	json_t *e;

	json_array_foreach(tags, i, e)
	{
		if (json_is_string(e) && json_string_length(e) == len &&
		    memcmp(json_string_value(e), t, len) == 0)
			return true;
	}
	return false;
}

/* Count how many of the comma-separated tags in vals obj has, of total. */
static void
query_tag_count(const json_t *obj, const json_t *vals, unsigned *has,
		unsigned *total)
{
	size_t i;
	json_t *v;

	*has = 0;
	*total = 0;
	json_array_foreach(vals, i, v)
	{
		const char *s = json_string_value(v);

		while (s != NULL && *s != '\0') {
			const char *comma = strchr(s, ',');
			size_t len = comma ? (size_t)(comma - s) : strlen(s);

			if (len > 0) {
				(*total)++;
				if (query_has_tag(obj, s, len))
					(*has)++;
			}
			s = comma ? comma + 1 : NULL;
		}
	}
}

bool
query_match(const struct query *q, const json_t *obj)
{
	const char *key;
	json_t *vals;

	json_object_foreach(q->filters, key, vals)
	{
		unsigned has, total;
		size_t i;
		json_t *f;
		bool ok = false;

		if (query_is_tag_key(key)) {
			query_tag_count(obj, vals, &has, &total);
			if (strcmp(key, "tags") == 0)
				ok = has == total;
			else if (strcmp(key, "tags-any") == 0)
				ok = has > 0;
			else if (strcmp(key, "not-tags") == 0)
				ok = has != total || total == 0;
			else
				ok = has == 0;
			if (!ok)
				return false;
			continue;
		}
		json_array_foreach(vals, i, f)
		{
			json_t *v = json_object_get(obj, key);

			if (v != NULL &&
			    query_value_eq(v, json_string_value(f))) {
				ok = true;
				break;
			}
		}
		if (!ok)
			return false;
	}
	return true;
}

/* Order of JSON scalars: null < false < true < numbers < strings. */
static int
query_json_cmp(const json_t *a, const json_t *b)
{
	int ta = a ? (int)json_typeof(a) : (int)JSON_NULL;
	int tb = b ? (int)json_typeof(b) : (int)JSON_NULL;

	if (a != NULL && b != NULL && json_is_string(a) && json_is_string(b))
		return strcmp(json_string_value(a), json_string_value(b));
	if (a != NULL && b != NULL && json_is_integer(a) &&
	    json_is_integer(b)) {
		json_int_t x = json_integer_value(a);
		json_int_t y = json_integer_value(b);

		return x < y ? -1 : x > y;
	}
	if (a != NULL && b != NULL && json_is_boolean(a) && json_is_boolean(b))
		return (int)json_is_true(a) - (int)json_is_true(b);
	return ta - tb;
}

static int
query_sort_cmp(const void *pa, const void *pb, void *arg)
{
	const struct query *q = arg;
	const json_t *a = *(json_t *const *)pa;
	const json_t *b = *(json_t *const *)pb;
	unsigned i;
	int c;

	for (i = 0; i < q->n_sort; i++) {
		c = query_json_cmp(json_object_get(a, q->sort_key[i]),
				   json_object_get(b, q->sort_key[i]));
		if (c != 0)
			return q->sort_desc[i] ? -c : c;
	}
	/* The id breaks ties, so markers are well defined. */
	return query_json_cmp(json_object_get(a, "id"),
			      json_object_get(b, "id"));
}

/* A copy of obj with only q's fields (new reference). */
static json_t *
query_project(const struct query *q, json_t *obj)
{
	json_t *out;
	size_t i;
	json_t *f;

	if (q->fields == NULL)
		return json_incref(obj);
	out = json_object();
	if (out == NULL)
		return NULL;
	json_array_foreach(q->fields, i, f)
	{
		json_t *v = json_object_get(obj, json_string_value(f));

		if (v != NULL)
			json_object_set(out, json_string_value(f), v);
	}
	return out;
}

int
query_page(const struct query *q, json_t *objs, json_t **page,
	   const char **next_marker, const char **prev_marker,
	   struct ctl_err *err)
{
	size_t n = json_array_size(objs), i, start, end;
	json_t **v = NULL;
	int rc = 0;

	*page = NULL;
	*next_marker = NULL;
	*prev_marker = NULL;
	if (n > 0) {
		v = malloc(n * sizeof(*v));
		if (v == NULL)
			return ctl_err_set(err, CTL_E_INTERNAL,
					   "Out of memory.");
		for (i = 0; i < n; i++)
			v[i] = json_array_get(objs, i);
		qsort_r(v, n, sizeof(*v), query_sort_cmp, (void *)q);
	}
	start = 0;
	end = n;
	if (q->marker != NULL) {
		for (i = 0; i < n; i++) {
			json_t *id = json_object_get(v[i], "id");

			if (json_is_string(id) &&
			    strcmp(json_string_value(id), q->marker) == 0)
				break;
		}
		if (i == n) {
			rc = ctl_err_set(err, CTL_E_BAD_REQUEST,
					 "Marker %.64s could not be found.",
					 q->marker);
			goto out;
		}
		if (q->page_reverse)
			end = i;
		else
			start = i + 1;
	}
	if (q->limit > 0 && end - start > q->limit) {
		if (q->page_reverse)
			start = end - q->limit;
		else
			end = start + q->limit;
	}
	*page = json_array();
	if (*page == NULL) {
		rc = ctl_err_set(err, CTL_E_INTERNAL, "Out of memory.");
		goto out;
	}
	for (i = start; i < end; i++)
		json_array_append_new(*page, query_project(q, v[i]));
	if (q->limit > 0 && start < end) {
		const char *first =
			json_string_value(json_object_get(v[start], "id"));
		const char *last =
			json_string_value(json_object_get(v[end - 1], "id"));

		if (end < n && (!q->page_reverse || q->marker != NULL))
			*next_marker = last;
		if (start > 0 && (q->page_reverse || q->marker != NULL))
			*prev_marker = first;
	}
out:
	free(v);
	return rc;
}

/* Append s percent-encoded (RFC 3986 unreserved kept) to out. */
static bool
query_enc(char **out, size_t *len, size_t *cap, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		bool keep = (ch >= 'a' && ch <= 'z') ||
			    (ch >= 'A' && ch <= 'Z') ||
			    (ch >= '0' && ch <= '9') || ch == '-' ||
			    ch == '.' || ch == '_' || ch == '~';

		if (*len + 4 >= *cap) {
			size_t ncap = *cap * 2 + 64;
			char *nb = realloc(*out, ncap);

			if (nb == NULL)
				return false;
			*out = nb;
			*cap = ncap;
		}
		if (keep) {
			(*out)[(*len)++] = (char)ch;
		} else {
			(*out)[(*len)++] = '%';
			(*out)[(*len)++] = hex[ch >> 4];
			(*out)[(*len)++] = hex[ch & 15];
		}
	}
	(*out)[*len] = '\0';
	return true;
}

/* Append a literal. */
static bool
query_lit(char **out, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);

	if (*len + n + 1 >= *cap) {
		size_t ncap = *cap * 2 + n + 64;
		char *nb = realloc(*out, ncap);

		if (nb == NULL)
			return false;
		*out = nb;
		*cap = ncap;
	}
	memcpy(*out + *len, s, n + 1);
	*len += n;
	return true;
}

char *
query_link(const char *base, const struct query_arg *args, size_t n_args,
	   const char *marker, bool is_reverse)
{
	size_t len = 0, cap = 0, i;
	char *out = NULL;
	bool ok;

	ok = query_lit(&out, &len, &cap, base) &&
	     query_lit(&out, &len, &cap, "?");
	for (i = 0; ok && i < n_args; i++) {
		if (strcmp(args[i].key, "marker") == 0 ||
		    strcmp(args[i].key, "page_reverse") == 0)
			continue;
		ok = query_enc(&out, &len, &cap, args[i].key) &&
		     query_lit(&out, &len, &cap, "=") &&
		     query_enc(&out, &len, &cap, args[i].value) &&
		     query_lit(&out, &len, &cap, "&");
	}
	ok = ok && query_lit(&out, &len, &cap, "marker=") &&
	     query_enc(&out, &len, &cap, marker);
	if (ok && is_reverse)
		ok = query_lit(&out, &len, &cap, "&page_reverse=True");
	if (!ok) {
		free(out);
		return NULL;
	}
	return out;
}
