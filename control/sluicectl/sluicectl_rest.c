/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sluicectl_rest.c: the "network", "subnet" and "port" commands of
 * sluicectl, spoken to sluiced's Neutron v2.0 REST API (docs/control.md)
 * with libcurl and jansson: list (with filters, following next links),
 * show, create and delete; and "lb health", the health monitors'
 * counters (GET /v2.0/lbaas/sluice/health, docs/lbaas.md). Names resolve
 * like the openstack CLI: GET /v2.0/<collection>/<x>, and on 404 GET
 * ?name=<x> (none: not found; two or more: ambiguous, use the ID).
 * Output is a text table, or the raw JSON objects with -o json. A server
 * error prints the HTTP status and the NeutronError message (or the
 * Octavia faultstring); exit 1. Bad arguments exit 2 before any request
 * is sent.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "sluicectl.h"

#define REST_URL_DEFAULT "http://127.0.0.1:9696"
#define REST_BODY_MAX (64u << 20) /* bytes of one response */
#define REST_PAGES_MAX 10000	  /* next links followed by one list */
#define REST_ARGS_MAX 64	  /* values of one repeated option */

/* One resource kind. */
struct rest_kind {
	const char *group;	 /* "network" */
	const char *coll;	 /* "networks" */
	const char *title;	 /* "Network", for "No Network found" */
	const char *const *cols; /* list columns: "key" or "key[].sub" */
};

static const char *const network_cols[] = {
	"id", "name", "status", "mtu", "subnets", NULL,
};
static const char *const subnet_cols[] = {
	"id", "name", "network_id", "cidr", "gateway_ip", NULL,
};
static const char *const port_cols[] = {
	"id", "name", "mac_address", "fixed_ips[].ip_address", "status", NULL,
};

static const struct rest_kind rest_kinds[] = {
	{"network", "networks", "Network", network_cols},
	{"subnet", "subnets", "Subnet", subnet_cols},
	{"port", "ports", "Port", port_cols},
};

/* One session with the server. */
struct rest {
	const struct sluicectl_cmd *cmd;
	CURL *curl;
	struct curl_slist *hdrs;
	char base[1024]; /* without a trailing '/' */
	char errbuf[CURL_ERROR_SIZE];
};

struct rest_buf {
	char *data;
	size_t len;
	bool is_too_big;
};

/* Growable string. */
struct strb {
	char *s;
	size_t len;
	size_t cap;
	bool is_oom;
};

static void strb_add(struct strb *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
strb_add(struct strb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->is_oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s != NULL ? b->s + b->len : NULL, room, fmt,
			      ap);
		va_end(ap);
		if (n < 0) {
			b->is_oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *p = realloc(b->s, cap);

		if (p == NULL) {
			b->is_oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
}

static const struct rest_kind *
rest_kind_of(const struct sluicectl_cmd *cmd)
{
	for (size_t i = 0; i < sizeof(rest_kinds) / sizeof(rest_kinds[0]); i++)
		if (strcmp(rest_kinds[i].group, cmd->group) == 0)
			return &rest_kinds[i];
	return &rest_kinds[0];
}

/* HTTP. */

static size_t
rest_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct rest_buf *b = arg;
	size_t n = size * nmemb;
	char *p;

	if (n > REST_BODY_MAX - b->len) {
		b->is_too_big = true;
		return 0;
	}
	p = realloc(b->data, b->len + n + 1);
	if (p == NULL)
		return 0;
	memcpy(p + b->len, ptr, n);
	b->len += n;
	p[b->len] = '\0';
	b->data = p;
	return n;
}

static int
rest_open(struct rest *r, const struct sluicectl_cmd *cmd,
	  const struct sluicectl_opts *o)
{
	const char *url = o->api_url != NULL ? o->api_url : REST_URL_DEFAULT;
	const char *ca = getenv("SLUICE_CACERT");
	size_t len = strlen(url);

	memset(r, 0, sizeof(*r));
	r->cmd = cmd;
	while (len > 0 && url[len - 1] == '/')
		len--;
	if (len == 0 || len >= sizeof(r->base))
		return sluicectl_usage(cmd, "bad API URL '%s'", url);
	memcpy(r->base, url, len);
	r->base[len] = '\0';
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return sluicectl_fail(cmd, "libcurl initialisation failed");
	r->curl = curl_easy_init();
	if (r->curl == NULL)
		goto fail_global;
	r->hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (r->hdrs == NULL)
		goto fail_curl;
	if (o->api_token != NULL && o->api_token[0] != '\0') {
		struct strb h = {0};
		struct curl_slist *n;

		strb_add(&h, "X-Auth-Token: %s", o->api_token);
		n = h.is_oom ? NULL : curl_slist_append(r->hdrs, h.s);
		free(h.s);
		if (n == NULL)
			goto fail_hdrs;
		r->hdrs = n;
	}
	curl_easy_setopt(r->curl, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(r->curl, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(r->curl, CURLOPT_USERAGENT, "sluicectl");
	curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, rest_write_cb);
	if (ca != NULL)
		curl_easy_setopt(r->curl, CURLOPT_CAINFO, ca);
	return SLUICECTL_OK;

fail_hdrs:
	curl_slist_free_all(r->hdrs);
fail_curl:
	curl_easy_cleanup(r->curl);
fail_global:
	curl_global_cleanup();
	return sluicectl_fail(cmd, "out of memory");
}

static void
rest_close(struct rest *r)
{
	if (r->curl == NULL)
		return;
	curl_slist_free_all(r->hdrs);
	curl_easy_cleanup(r->curl);
	curl_global_cleanup();
	r->curl = NULL;
}

static const char *
rest_reason(long status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Request Entity Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "";
	}
}

/*
 * The NeutronError message of an error body, the faultstring of an
 * Octavia fault body, or a short part of it.
 */
static void
rest_report(struct rest *r, const char *what, long status, json_t *body,
	    const char *raw)
{
	json_t *ne = json_object_get(body, "NeutronError");
	const char *msg = json_string_value(json_object_get(ne, "message"));
	const char *type = json_string_value(json_object_get(ne, "type"));

	if (msg == NULL)
		msg = json_string_value(json_object_get(body, "faultstring"));

	if (msg != NULL)
		sluicectl_fail(
			r->cmd, "%s: HTTP %ld %s: %s%s%s%s", what, status,
			rest_reason(status), msg, type != NULL ? " (" : "",
			type != NULL ? type : "", type != NULL ? ")" : "");
	else
		sluicectl_fail(r->cmd, "%s: HTTP %ld %s%s%.200s", what, status,
			       rest_reason(status),
			       raw != NULL && raw[0] != '\0' ? ": " : "",
			       raw != NULL ? raw : "");
}

/*
 * One request to url (absolute). body (may be NULL) is sent as JSON.
 * *out receives the parsed response (new reference; NULL if the body is
 * empty). With quiet_404, a 404 is returned as status without a message.
 * Returns SLUICECTL_OK with *status, or SLUICECTL_FAIL after a message.
 */
static int
rest_call(struct rest *r, const char *method, const char *url, json_t *body,
	  bool is_quiet_404, long *status, json_t **out)
{
	struct rest_buf resp = {0};
	struct curl_slist *hdrs = r->hdrs;
	struct curl_slist *ct = NULL;
	char *payload = NULL;
	json_error_t jerr;
	json_t *j = NULL;
	CURLcode cc;
	int rc = SLUICECTL_FAIL;
	char what[300];

	snprintf(what, sizeof(what), "%s %s", method, url);
	*out = NULL;
	*status = 0;
	r->errbuf[0] = '\0';
	curl_easy_setopt(r->curl, CURLOPT_URL, url);
	curl_easy_setopt(r->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, &resp);
	if (body != NULL) {
		payload = json_dumps(body, JSON_COMPACT);
		if (payload == NULL) {
			sluicectl_fail(r->cmd, "%s: out of memory", what);
			goto out;
		}
		ct = curl_slist_append(NULL, "Content-Type: application/json");
		if (ct == NULL) {
			sluicectl_fail(r->cmd, "%s: out of memory", what);
			goto out;
		}
		/* A copy of the shared list with Content-Type in front. */
		ct->next = r->hdrs;
		hdrs = ct;
		curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, payload);
		curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE,
				 (long)strlen(payload));
	} else {
		curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(r->curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(r->curl, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, hdrs);
	cc = curl_easy_perform(r->curl);
	if (ct != NULL)
		ct->next = NULL;
	if (cc != CURLE_OK) {
		if (resp.is_too_big)
			sluicectl_fail(r->cmd, "%s: response over %u bytes",
				       what, REST_BODY_MAX);
		else
			sluicectl_fail(r->cmd, "cannot reach %s: %s", r->base,
				       r->errbuf[0] != '\0'
					       ? r->errbuf
					       : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, status);
	if (resp.len > 0) {
		j = json_loadb(resp.data, resp.len, 0, &jerr);
		if (j == NULL && *status < 400) {
			sluicectl_fail(r->cmd,
				       "%s: HTTP %ld: bad JSON in the "
				       "response: %s",
				       what, *status, jerr.text);
			goto out;
		}
	}
	if (*status >= 400) {
		if (*status == 404 && is_quiet_404) {
			rc = SLUICECTL_OK;
			goto out;
		}
		rest_report(r, what, *status, j, resp.data);
		goto out;
	}
	*out = j;
	j = NULL;
	rc = SLUICECTL_OK;
out:
	json_decref(j);
	curl_slist_free_all(ct);
	free(payload);
	free(resp.data);
	return rc;
}

/* base/v2.0/coll[/escaped id][?query]; NULL on OOM (message printed). */
static char *
rest_url(struct rest *r, const char *coll, const char *id, const char *query)
{
	struct strb u = {0};
	char *esc = NULL;

	strb_add(&u, "%s/v2.0/%s", r->base, coll);
	if (id != NULL) {
		esc = curl_easy_escape(r->curl, id, 0);
		if (esc == NULL)
			u.is_oom = true;
		else
			strb_add(&u, "/%s", esc);
		curl_free(esc);
	}
	if (query != NULL && query[0] != '\0')
		strb_add(&u, "?%s", query);
	if (u.is_oom) {
		free(u.s);
		sluicectl_fail(r->cmd, "out of memory");
		return NULL;
	}
	return u.s;
}

/* Append "&key=value" (escaped) to q. */
static void
rest_query_add(struct rest *r, struct strb *q, const char *key, const char *val)
{
	char *ek = curl_easy_escape(r->curl, key, 0);
	char *ev = curl_easy_escape(r->curl, val, 0);

	if (ek == NULL || ev == NULL)
		q->is_oom = true;
	else
		strb_add(q, "%s%s=%s", q->len > 0 ? "&" : "", ek, ev);
	curl_free(ek);
	curl_free(ev);
}

/*
 * GET every object of coll matching query, following next links.
 * *out: a new array.
 */
static int
rest_list(struct rest *r, const char *coll, const char *query, json_t **out)
{
	json_t *all = json_array();
	char *url = rest_url(r, coll, NULL, query);
	char links_key[64];
	int rc = SLUICECTL_FAIL;

	*out = NULL;
	snprintf(links_key, sizeof(links_key), "%s_links", coll);
	if (all == NULL || url == NULL)
		goto out;
	for (int page = 0; url != NULL; page++) {
		json_t *resp, *items, *links, *l;
		const char *next = NULL;
		long status;
		size_t i;

		if (page == REST_PAGES_MAX) {
			sluicectl_fail(r->cmd, "%s: over %d pages", coll,
				       REST_PAGES_MAX);
			goto out;
		}
		if (rest_call(r, "GET", url, NULL, false, &status, &resp) !=
		    SLUICECTL_OK)
			goto out;
		items = json_object_get(resp, coll);
		if (!json_is_array(items)) {
			json_decref(resp);
			sluicectl_fail(r->cmd,
				       "GET %s: no '%s' list in the "
				       "response",
				       url, coll);
			goto out;
		}
		json_array_extend(all, items);
		links = json_object_get(resp, links_key);
		json_array_foreach(links, i, l)
		{
			const char *rel =
				json_string_value(json_object_get(l, "rel"));

			if (rel != NULL && strcmp(rel, "next") == 0)
				next = json_string_value(
					json_object_get(l, "href"));
		}
		free(url);
		url = next != NULL ? strdup(next) : NULL;
		json_decref(resp);
		if (next != NULL && url == NULL) {
			sluicectl_fail(r->cmd, "out of memory");
			goto out;
		}
	}
	*out = all;
	all = NULL;
	rc = SLUICECTL_OK;
out:
	free(url);
	json_decref(all);
	return rc;
}

/*
 * The object named or identified by x in the kind's collection (new
 * reference), resolved like the openstack CLI.
 */
static int
rest_resolve(struct rest *r, const struct rest_kind *k, const char *x,
	     json_t **out)
{
	char *url = rest_url(r, k->coll, x, NULL);
	struct strb q = {0};
	json_t *resp = NULL, *list = NULL, *obj;
	long status;
	int rc = SLUICECTL_FAIL;

	*out = NULL;
	if (url == NULL)
		return rc;
	if (rest_call(r, "GET", url, NULL, true, &status, &resp) !=
	    SLUICECTL_OK)
		goto out;
	if (status != 404) {
		obj = json_object_get(resp, k->group);
		if (!json_is_object(obj)) {
			sluicectl_fail(r->cmd,
				       "GET %s: no '%s' object in the "
				       "response",
				       url, k->group);
			goto out;
		}
		*out = json_incref(obj);
		rc = SLUICECTL_OK;
		goto out;
	}
	rest_query_add(r, &q, "name", x);
	if (q.is_oom) {
		sluicectl_fail(r->cmd, "out of memory");
		goto out;
	}
	if (rest_list(r, k->coll, q.s, &list) != SLUICECTL_OK)
		goto out;
	if (json_array_size(list) == 0) {
		sluicectl_fail(r->cmd,
			       "No %s found for %s (HTTP 404 Not Found)",
			       k->title, x);
		goto out;
	}
	if (json_array_size(list) > 1) {
		sluicectl_fail(r->cmd,
			       "More than one %s exists with the name '%s' "
			       "(%zu); use the ID",
			       k->group, x, json_array_size(list));
		goto out;
	}
	*out = json_incref(json_array_get(list, 0));
	rc = SLUICECTL_OK;
out:
	json_decref(list);
	json_decref(resp);
	free(q.s);
	free(url);
	return rc;
}

/* The id of the object x of kind group; caller frees. */
static int
rest_resolve_id(struct rest *r, const char *group, const char *x, char **id)
{
	const struct rest_kind *k = NULL;
	json_t *obj;
	const char *s;

	*id = NULL;
	for (size_t i = 0; i < sizeof(rest_kinds) / sizeof(rest_kinds[0]); i++)
		if (strcmp(rest_kinds[i].group, group) == 0)
			k = &rest_kinds[i];
	if (k == NULL || rest_resolve(r, k, x, &obj) != SLUICECTL_OK)
		return SLUICECTL_FAIL;
	s = json_string_value(json_object_get(obj, "id"));
	*id = s != NULL ? strdup(s) : NULL;
	json_decref(obj);
	if (*id == NULL)
		return sluicectl_fail(r->cmd, "%s %s: no id", group, x);
	return SLUICECTL_OK;
}

/* Output. */

/* A cell's text: strings bare, arrays of scalars joined by ','. */
static char *
rest_cell(json_t *v, const char *sub)
{
	struct strb b = {0};
	json_t *e;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			json_t *ev = sub != NULL ? json_object_get(e, sub) : e;
			char *c = rest_cell(ev, NULL);

			strb_add(&b, "%s%s", i > 0 ? "," : "", c ?: "");
			free(c);
		}
	} else if (json_is_string(v)) {
		strb_add(&b, "%s", json_string_value(v));
	} else if (v == NULL || json_is_null(v)) {
		strb_add(&b, "%s", "");
	} else {
		char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
						JSON_SORT_KEYS);

		strb_add(&b, "%s", d ?: "");
		free(d);
	}
	if (b.is_oom) {
		free(b.s);
		return NULL;
	}
	return b.s != NULL ? b.s : strdup("");
}

static void
print_rule(const size_t *w, size_t n_cols)
{
	for (size_t c = 0; c < n_cols; c++) {
		fputc('+', stdout);
		for (size_t i = 0; i < w[c] + 2; i++)
			fputc('-', stdout);
	}
	fputs("+\n", stdout);
}

static void
print_row(char *const *cells, const size_t *w, size_t n_cols)
{
	for (size_t c = 0; c < n_cols; c++)
		printf("| %-*s ", (int)w[c], cells[c] ?: "");
	fputs("|\n", stdout);
}

/* A table of n_rows x n_cols cells (row 0: titles). */
static void
print_table(char **cells, size_t n_rows, size_t n_cols)
{
	size_t w[16] = {0};

	if (n_cols > 16)
		n_cols = 16;
	for (size_t r = 0; r < n_rows; r++)
		for (size_t c = 0; c < n_cols; c++) {
			size_t l = cells[r * n_cols + c] != NULL
					   ? strlen(cells[r * n_cols + c])
					   : 0;
			if (l > w[c])
				w[c] = l;
		}
	print_rule(w, n_cols);
	print_row(cells, w, n_cols);
	print_rule(w, n_cols);
	for (size_t r = 1; r < n_rows; r++)
		print_row(cells + r * n_cols, w, n_cols);
	print_rule(w, n_cols);
}

static void
print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
	fputc('\n', stdout);
}

static int
print_list(const struct sluicectl_cmd *cmd, const struct rest_kind *k,
	   json_t *list)
{
	size_t n_cols = 0, n_rows = json_array_size(list) + 1;
	char **cells;
	json_t *o;
	size_t i;
	int rc = SLUICECTL_OK;

	while (k->cols[n_cols] != NULL)
		n_cols++;
	cells = calloc(n_rows * n_cols, sizeof(*cells));
	if (cells == NULL)
		return sluicectl_fail(cmd, "out of memory");
	for (size_t c = 0; c < n_cols; c++) {
		const char *col = k->cols[c];
		size_t len = strcspn(col, "[");

		cells[c] = strndup(col, len);
	}
	json_array_foreach(list, i, o)
	{
		for (size_t c = 0; c < n_cols; c++) {
			const char *col = k->cols[c];
			const char *sub = strstr(col, "[].");
			char key[64];
			size_t len =
				sub != NULL ? (size_t)(sub - col) : strlen(col);

			snprintf(key, sizeof(key), "%.*s", (int)len, col);
			cells[(i + 1) * n_cols + c] =
				rest_cell(json_object_get(o, key),
					  sub != NULL ? sub + 3 : NULL);
		}
	}
	for (size_t c = 0; c < n_rows * n_cols; c++)
		if (cells[c] == NULL)
			rc = sluicectl_fail(cmd, "out of memory");
	if (rc == SLUICECTL_OK)
		print_table(cells, n_rows, n_cols);
	for (size_t c = 0; c < n_rows * n_cols; c++)
		free(cells[c]);
	free(cells);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Field | Value, keys sorted. */
static int
print_object(const struct sluicectl_cmd *cmd, json_t *obj)
{
	size_t n = json_object_size(obj), i = 0;
	const char **keys = calloc(n + 1, sizeof(*keys));
	char **cells = calloc((n + 1) * 2, sizeof(*cells));
	const char *key;
	json_t *v;
	int rc = SLUICECTL_OK;

	if (keys == NULL || cells == NULL) {
		rc = sluicectl_fail(cmd, "out of memory");
		goto out;
	}
	json_object_foreach(obj, key, v) keys[i++] = key;
	qsort(keys, n, sizeof(*keys), cmp_str);
	cells[0] = strdup("Field");
	cells[1] = strdup("Value");
	for (i = 0; i < n; i++) {
		v = json_object_get(obj, keys[i]);
		cells[(i + 1) * 2] = strdup(keys[i]);
		if (json_is_array(v) && json_array_size(v) > 0 &&
		    json_is_object(json_array_get(v, 0))) {
			char *d = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);

			cells[(i + 1) * 2 + 1] = d != NULL ? strdup(d) : NULL;
			free(d);
		} else {
			cells[(i + 1) * 2 + 1] = rest_cell(v, NULL);
		}
	}
	for (i = 0; i < (n + 1) * 2; i++)
		if (cells[i] == NULL)
			rc = SLUICECTL_FAIL;
	if (rc != SLUICECTL_OK)
		rc = sluicectl_fail(cmd, "out of memory");
	else
		print_table(cells, n + 1, 2);
out:
	if (cells != NULL)
		for (i = 0; i < (n + 1) * 2; i++)
			free(cells[i]);
	free(cells);
	free(keys);
	return rc;
}

static int
print_result(const struct sluicectl_opts *o, const struct sluicectl_cmd *cmd,
	     json_t *obj)
{
	if (o->is_json) {
		print_json(obj);
		return SLUICECTL_OK;
	}
	return print_object(cmd, obj);
}

/* Arguments. */

enum arg_kind {
	ARG_STR,  /* --x V: one value, last wins */
	ARG_LIST, /* --x V ...: repeated */
	ARG_FLAG, /* --x: no value */
};

struct arg_list {
	const char *v[REST_ARGS_MAX];
	int n;
};

struct arg_spec {
	const char *name; /* "--mtu" */
	enum arg_kind kind;
	void *dst; /* const char **, struct arg_list * or bool * */
};

/*
 * Options in "--x V", "--x=V" or flag form, and positionals (pos, up to
 * max_pos, at least min_pos).
 */
static int
rest_args(const struct sluicectl_cmd *cmd, int argc, char **argv,
	  const struct arg_spec *specs, const char **pos, int min_pos,
	  int max_pos, int *n_pos)
{
	bool is_opts_done = false;
	int n = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct arg_spec *s = NULL;
		const char *eq, *val;
		size_t len;

		if (!is_opts_done && strcmp(a, "--") == 0) {
			is_opts_done = true;
			continue;
		}
		if (is_opts_done || strncmp(a, "--", 2) != 0) {
			if (n == max_pos)
				return sluicectl_usage(cmd,
						       "unexpected argument "
						       "'%s'",
						       a);
			if (a[0] == '\0')
				return sluicectl_usage(cmd, "empty argument");
			pos[n++] = a;
			continue;
		}
		eq = strchr(a, '=');
		len = eq != NULL ? (size_t)(eq - a) : strlen(a);
		for (const struct arg_spec *p = specs; p != NULL && p->name;
		     p++)
			if (strlen(p->name) == len &&
			    strncmp(p->name, a, len) == 0)
				s = p;
		if (s == NULL)
			return sluicectl_usage(cmd, "unknown option '%s'", a);
		if (s->kind == ARG_FLAG) {
			if (eq != NULL)
				return sluicectl_usage(cmd,
						       "option %s takes no "
						       "value",
						       s->name);
			*(bool *)s->dst = true;
			continue;
		}
		if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return sluicectl_usage(cmd, "option %s needs a value",
					       s->name);
		if (val[0] == '\0')
			return sluicectl_usage(cmd, "option %s: empty value",
					       s->name);
		if (s->kind == ARG_STR) {
			*(const char **)s->dst = val;
		} else {
			struct arg_list *l = s->dst;

			if (l->n == REST_ARGS_MAX)
				return sluicectl_usage(cmd,
						       "option %s: over %d "
						       "values",
						       s->name, REST_ARGS_MAX);
			l->v[l->n++] = val;
		}
	}
	if (n < min_pos)
		return sluicectl_usage(cmd, "missing argument");
	*n_pos = n;
	return SLUICECTL_OK;
}

static bool
parse_long(const char *s, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return *s != '\0' && *end == '\0' && errno == 0 && *out >= min &&
	       *out <= max;
}

/* Commands. */

static int
rest_cmd_list(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = o->cmd;
	const struct rest_kind *k = rest_kind_of(cmd);
	struct arg_list filters = {0};
	const struct arg_spec specs[] = {
		{"--filter", ARG_LIST, &filters},
		{NULL, 0, NULL},
	};
	struct strb q = {0};
	struct rest r;
	json_t *list = NULL;
	int n_pos, rc;

	rc = rest_args(cmd, argc, argv, specs, NULL, 0, 0, &n_pos);
	if (rc != SLUICECTL_OK)
		return rc;
	for (int i = 0; i < filters.n; i++) {
		const char *eq = strchr(filters.v[i], '=');

		if (eq == NULL || eq == filters.v[i])
			return sluicectl_usage(cmd,
					       "--filter %s: expected "
					       "key=value",
					       filters.v[i]);
	}
	rc = rest_open(&r, cmd, o);
	if (rc != SLUICECTL_OK)
		return rc;
	for (int i = 0; i < filters.n; i++) {
		const char *eq = strchr(filters.v[i], '=');
		char key[128];

		snprintf(key, sizeof(key), "%.*s", (int)(eq - filters.v[i]),
			 filters.v[i]);
		rest_query_add(&r, &q, key, eq + 1);
	}
	if (q.is_oom) {
		rc = sluicectl_fail(cmd, "out of memory");
		goto out;
	}
	rc = rest_list(&r, k->coll, q.s, &list);
	if (rc != SLUICECTL_OK)
		goto out;
	if (o->is_json)
		print_json(list);
	else
		rc = print_list(cmd, k, list);
out:
	json_decref(list);
	free(q.s);
	rest_close(&r);
	return rc;
}

static int
rest_cmd_show(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = o->cmd;
	const char *pos[1];
	struct rest r;
	json_t *obj = NULL;
	int n_pos, rc;

	rc = rest_args(cmd, argc, argv, NULL, pos, 1, 1, &n_pos);
	if (rc != SLUICECTL_OK)
		return rc;
	rc = rest_open(&r, cmd, o);
	if (rc != SLUICECTL_OK)
		return rc;
	rc = rest_resolve(&r, rest_kind_of(cmd), pos[0], &obj);
	if (rc == SLUICECTL_OK)
		rc = print_result(o, cmd, obj);
	json_decref(obj);
	rest_close(&r);
	return rc;
}

static int
rest_cmd_delete(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = o->cmd;
	const struct rest_kind *k = rest_kind_of(cmd);
	const char *pos[REST_ARGS_MAX];
	struct rest r;
	int n_pos, rc, n_failed = 0;

	rc = rest_args(cmd, argc, argv, NULL, pos, 1, REST_ARGS_MAX, &n_pos);
	if (rc != SLUICECTL_OK)
		return rc;
	rc = rest_open(&r, cmd, o);
	if (rc != SLUICECTL_OK)
		return rc;
	/* Like the openstack CLI: try each, report each failure. */
	for (int i = 0; i < n_pos; i++) {
		json_t *resp = NULL;
		char *id = NULL, *url = NULL;
		long status;

		if (rest_resolve_id(&r, k->group, pos[i], &id) !=
			    SLUICECTL_OK ||
		    (url = rest_url(&r, k->coll, id, NULL)) == NULL ||
		    rest_call(&r, "DELETE", url, NULL, false, &status, &resp) !=
			    SLUICECTL_OK)
			n_failed++;
		json_decref(resp);
		free(url);
		free(id);
	}
	if (n_failed > 0 && n_pos > 1)
		sluicectl_fail(cmd, "%d of %d %ss not deleted", n_failed, n_pos,
			       k->group);
	rest_close(&r);
	return n_failed > 0 ? SLUICECTL_FAIL : SLUICECTL_OK;
}

/* POST {"<group>": obj} and print the created object. */
static int
rest_create(const struct sluicectl_opts *o, struct rest *r,
	    const struct rest_kind *k, json_t *obj)
{
	json_t *req = json_object(), *resp = NULL, *created;
	char *url = rest_url(r, k->coll, NULL, NULL);
	long status;
	int rc = SLUICECTL_FAIL;

	if (req == NULL || url == NULL ||
	    json_object_set(req, k->group, obj) != 0) {
		if (url != NULL)
			sluicectl_fail(r->cmd, "out of memory");
		goto out;
	}
	if (rest_call(r, "POST", url, req, false, &status, &resp) !=
	    SLUICECTL_OK)
		goto out;
	created = json_object_get(resp, k->group);
	if (!json_is_object(created)) {
		sluicectl_fail(r->cmd,
			       "POST %s: no '%s' object in the "
			       "response",
			       url, k->group);
		goto out;
	}
	rc = print_result(o, r->cmd, created);
out:
	json_decref(resp);
	json_decref(req);
	free(url);
	return rc;
}

static int
rest_cmd_network_create(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = o->cmd;
	const char *mtu = NULL, *project = NULL, *pos[1];
	const struct arg_spec specs[] = {
		{"--mtu", ARG_STR, &mtu},
		{"--project", ARG_STR, &project},
		{NULL, 0, NULL},
	};
	struct rest r;
	json_t *net;
	long mtu_v = 0;
	int n_pos, rc;

	rc = rest_args(cmd, argc, argv, specs, pos, 1, 1, &n_pos);
	if (rc != SLUICECTL_OK)
		return rc;
	if (mtu != NULL && !parse_long(mtu, 68, 65535, &mtu_v))
		return sluicectl_usage(cmd, "--mtu %s: expected 68..65535",
				       mtu);
	net = json_pack("{s:s}", "name", pos[0]);
	if (net == NULL)
		return sluicectl_fail(cmd, "out of memory");
	if (mtu != NULL)
		json_object_set_new(net, "mtu", json_integer(mtu_v));
	if (project != NULL)
		json_object_set_new(net, "project_id", json_string(project));
	rc = rest_open(&r, cmd, o);
	if (rc == SLUICECTL_OK) {
		rc = rest_create(o, &r, rest_kind_of(cmd), net);
		rest_close(&r);
	}
	json_decref(net);
	return rc;
}

static int
rest_cmd_subnet_create(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = o->cmd;
	const char *network = NULL, *cidr = NULL, *gateway = NULL;
	const char *ipv = NULL, *pos[1];
	struct arg_list dns = {0};
	bool is_no_dhcp = false;
	const struct arg_spec specs[] = {
		{"--network", ARG_STR, &network},
		{"--cidr", ARG_STR, &cidr},
		{"--gateway", ARG_STR, &gateway},
		{"--dns", ARG_LIST, &dns},
		{"--no-dhcp", ARG_FLAG, &is_no_dhcp},
		{"--ip-version", ARG_STR, &ipv},
		{NULL, 0, NULL},
	};
	struct rest r;
	json_t *sub = NULL, *dl;
	char *net_id = NULL;
	long ipv_v;
	int n_pos, rc;

	rc = rest_args(cmd, argc, argv, specs, pos, 1, 1, &n_pos);
	if (rc != SLUICECTL_OK)
		return rc;
	if (network == NULL)
		return sluicectl_usage(cmd, "--network is required");
	if (cidr == NULL)
		return sluicectl_usage(cmd, "--cidr is required");
	if (ipv == NULL)
		ipv_v = strchr(cidr, ':') != NULL ? 6 : 4;
	else if (!parse_long(ipv, 4, 6, &ipv_v) || ipv_v == 5)
		return sluicectl_usage(cmd, "--ip-version %s: expected 4 or 6",
				       ipv);
	rc = rest_open(&r, cmd, o);
	if (rc != SLUICECTL_OK)
		return rc;
	rc = rest_resolve_id(&r, "network", network, &net_id);
	if (rc != SLUICECTL_OK)
		goto out;
	sub = json_pack("{s:s, s:s, s:s, s:I}", "name", pos[0], "network_id",
			net_id, "cidr", cidr, "ip_version", (json_int_t)ipv_v);
	dl = json_array();
	if (sub == NULL || dl == NULL) {
		json_decref(dl);
		rc = sluicectl_fail(cmd, "out of memory");
		goto out;
	}
	if (gateway != NULL && strcmp(gateway, "none") == 0)
		json_object_set_new(sub, "gateway_ip", json_null());
	else if (gateway != NULL)
		json_object_set_new(sub, "gateway_ip", json_string(gateway));
	for (int i = 0; i < dns.n; i++)
		json_array_append_new(dl, json_string(dns.v[i]));
	if (dns.n > 0)
		json_object_set(sub, "dns_nameservers", dl);
	json_decref(dl);
	if (is_no_dhcp)
		json_object_set_new(sub, "enable_dhcp", json_false());
	rc = rest_create(o, &r, rest_kind_of(cmd), sub);
out:
	json_decref(sub);
	free(net_id);
	rest_close(&r);
	return rc;
}

/* "subnet=S,ip=A" (either part optional) into a fixed_ips entry. */
static int
rest_fixed_ip(struct rest *r, const char *spec, json_t *fips)
{
	char buf[512], *save = NULL, *tok;
	json_t *e = json_object();
	int rc = SLUICECTL_FAIL;

	if (e == NULL)
		return sluicectl_fail(r->cmd, "out of memory");
	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "subnet=", 7) == 0) {
			char *id;

			if (rest_resolve_id(r, "subnet", tok + 7, &id) !=
			    SLUICECTL_OK)
				goto out;
			json_object_set_new(e, "subnet_id", json_string(id));
			free(id);
		} else if (strncmp(tok, "ip=", 3) == 0 ||
			   strncmp(tok, "ip-address=", 11) == 0) {
			json_object_set_new(e, "ip_address",
					    json_string(strchr(tok, '=') + 1));
		}
	}
	if (json_array_append(fips, e) == 0)
		rc = SLUICECTL_OK;
out:
	json_decref(e);
	return rc;
}

static bool
fixed_ip_is_valid(const char *spec)
{
	char buf[512], *save = NULL, *tok;
	int n = 0;

	if (strlen(spec) >= sizeof(buf))
		return false;
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save), n++)
		if ((strncmp(tok, "subnet=", 7) != 0 || tok[7] == '\0') &&
		    (strncmp(tok, "ip=", 3) != 0 || tok[3] == '\0') &&
		    (strncmp(tok, "ip-address=", 11) != 0 || tok[11] == '\0'))
			return false;
	return n > 0;
}

static int
rest_cmd_port_create(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = o->cmd;
	const char *network = NULL, *mac = NULL, *ifname = NULL, *pos[1];
	struct arg_list fixed = {0};
	bool is_no_psec = false;
	const struct arg_spec specs[] = {
		{"--network", ARG_STR, &network},
		{"--fixed-ip", ARG_LIST, &fixed},
		{"--mac", ARG_STR, &mac},
		{"--interface", ARG_STR, &ifname},
		{"--no-port-security", ARG_FLAG, &is_no_psec},
		{NULL, 0, NULL},
	};
	struct rest r;
	json_t *port = NULL, *fips = NULL;
	char *net_id = NULL;
	int n_pos, rc;

	rc = rest_args(cmd, argc, argv, specs, pos, 1, 1, &n_pos);
	if (rc != SLUICECTL_OK)
		return rc;
	if (network == NULL)
		return sluicectl_usage(cmd, "--network is required");
	for (int i = 0; i < fixed.n; i++)
		if (!fixed_ip_is_valid(fixed.v[i]))
			return sluicectl_usage(cmd,
					       "--fixed-ip %s: expected "
					       "subnet=S,ip=A",
					       fixed.v[i]);
	rc = rest_open(&r, cmd, o);
	if (rc != SLUICECTL_OK)
		return rc;
	rc = rest_resolve_id(&r, "network", network, &net_id);
	if (rc != SLUICECTL_OK)
		goto out;
	port = json_pack("{s:s, s:s}", "name", pos[0], "network_id", net_id);
	fips = json_array();
	if (port == NULL || fips == NULL) {
		rc = sluicectl_fail(cmd, "out of memory");
		goto out;
	}
	for (int i = 0; i < fixed.n; i++) {
		rc = rest_fixed_ip(&r, fixed.v[i], fips);
		if (rc != SLUICECTL_OK)
			goto out;
	}
	if (fixed.n > 0)
		json_object_set(port, "fixed_ips", fips);
	if (mac != NULL)
		json_object_set_new(port, "mac_address", json_string(mac));
	if (ifname != NULL)
		json_object_set_new(port, "binding:profile",
				    json_pack("{s:s}", "interface", ifname));
	if (is_no_psec)
		json_object_set_new(port, "port_security_enabled",
				    json_false());
	rc = rest_create(o, &r, rest_kind_of(cmd), port);
out:
	json_decref(fips);
	json_decref(port);
	free(net_id);
	rest_close(&r);
	return rc;
}

/* The members table of "lb health" (keys of each member entry). */
static const char *const lb_health_cols[] = {
	"member_id",
	"pool_id",
	"type",
	"address",
	"protocol_port",
	"state",
	"consecutive_successes",
	"consecutive_failures",
	"last_failure",
	"last_failure_at",
	NULL,
};
static const struct rest_kind lb_health_kind = {
	"lb",
	"lbaas/sluice/health",
	"Health",
	lb_health_cols,
};

/*
 * The counters of a health object as Field | Value: its scalars, and
 * "failures.<reason>" for each reason.
 */
static int
print_lb_health_counters(const struct sluicectl_cmd *cmd, json_t *h)
{
	json_t *flat = json_object(), *v;
	const char *key;
	int rc;

	if (flat == NULL)
		return sluicectl_fail(cmd, "out of memory");
	json_object_foreach(h, key, v)
	{
		if (!json_is_object(v) && !json_is_array(v))
			json_object_set(flat, key, v);
	}
	json_object_foreach(json_object_get(h, "failures"), key, v)
	{
		char k[96];

		snprintf(k, sizeof(k), "failures.%s", key);
		json_object_set(flat, k, v);
	}
	rc = print_object(cmd, flat);
	json_decref(flat);
	return rc;
}

static int
rest_cmd_lb_health(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = o->cmd;
	const struct rest_kind *k = &lb_health_kind;
	struct rest r;
	json_t *resp = NULL, *h, *members;
	char *url = NULL;
	long status;
	int n_pos, rc;

	rc = rest_args(cmd, argc, argv, NULL, NULL, 0, 0, &n_pos);
	if (rc != SLUICECTL_OK)
		return rc;
	rc = rest_open(&r, cmd, o);
	if (rc != SLUICECTL_OK)
		return rc;
	url = rest_url(&r, k->coll, NULL, NULL);
	rc = SLUICECTL_FAIL;
	if (url == NULL || rest_call(&r, "GET", url, NULL, false, &status,
				     &resp) != SLUICECTL_OK)
		goto out;
	h = json_object_get(resp, "health");
	members = json_object_get(h, "members");
	if (!json_is_object(h) || !json_is_array(members)) {
		sluicectl_fail(
			cmd, "GET %s: no 'health' object in the response", url);
		goto out;
	}
	if (o->is_json) {
		print_json(h);
		rc = SLUICECTL_OK;
		goto out;
	}
	rc = print_lb_health_counters(cmd, h);
	if (rc == SLUICECTL_OK)
		rc = print_list(cmd, k, members);
out:
	json_decref(resp);
	free(url);
	rest_close(&r);
	return rc;
}

#define REST_COMMON(g, what)                                                   \
	{g, "list", "[--filter KEY=VALUE ...]",                                \
	 "list " what "s (a table, or the objects with -o json)",              \
	 rest_cmd_list},                                                       \
		{g, "show", "NAME_OR_ID", "one " what, rest_cmd_show},         \
	{                                                                      \
		g, "delete", "NAME_OR_ID...", "delete " what "s",              \
			rest_cmd_delete                                        \
	}

const struct sluicectl_cmd sluicectl_rest_cmds[] = {
	REST_COMMON("network", "network"),
	{"network", "create", "NAME [--mtu N] [--project P]",
	 "create a network", rest_cmd_network_create},
	REST_COMMON("subnet", "subnet"),
	{"subnet", "create",
	 "NAME --network NET --cidr CIDR [--gateway IP|none] [--dns IP ...] "
	 "[--no-dhcp] [--ip-version 4|6]",
	 "create a subnet", rest_cmd_subnet_create},
	REST_COMMON("port", "port"),
	{"port", "create",
	 "NAME --network NET [--fixed-ip subnet=S,ip=A ...] [--mac M] "
	 "[--interface IFNAME] [--no-port-security]",
	 "create a port (--interface: binding:profile {\"interface\": IFNAME})",
	 rest_cmd_port_create},
	{"lb", "health", "",
	 "health monitor counters and each probed member's state and last "
	 "failure (admin only)",
	 rest_cmd_lb_health},
	{NULL, NULL, NULL, NULL, NULL},
};
