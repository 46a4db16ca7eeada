// SPDX-License-Identifier: BSD-2-Clause
/*
 * api.c: Neutron v2.0 core REST routing, auth and encoding (see api.h).
 * Handlers decode, call one ctl_* function, encode; every error leaves
 * through api_error() as a NeutronError body with the status of the
 * error table in model.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "ipam.h"
#include "log.h"
#include "query.h"
#include "res.h"
#include "vpn_api.h"
#include "lbaas.h"

#define API_SEGS_MAX 6
#define API_BULK_MAX 1000 /* objects in one bulk create */

struct api {
	struct ctl *ctl;
	const struct api_config *cfg;
	unsigned long client_errors;
	struct log_rate auth_rate;
};

/* The collections: URL name, JSON keys, kind. */
static const struct {
	const char *plural;
	const char *singular;
	enum ctl_kind kind;
} api_colls[] = {
	{"networks", "network", CTL_NETWORK},
	{"subnets", "subnet", CTL_SUBNET},
	{"ports", "port", CTL_PORT},
	{"routers", "router", CTL_ROUTER},
	{"floatingips", "floatingip", CTL_FLOATINGIP},
	{"security-groups", "security_group", CTL_SECGROUP},
	{"security-group-rules", "security_group_rule", CTL_SGRULE},
};

/* Extensions advertised at /v2.0/extensions. */
static const struct {
	const char *alias;
	const char *name;
	const char *description;
} api_exts[] = {
	{"allowed-address-pairs", "Allowed Address Pairs",
	 "Provides allowed address pairs"},
	{"binding", "Port Binding",
	 "Expose port bindings of a virtual port to external application"},
	{"external-net", "Neutron external network",
	 "Adds external network attribute to network resource."},
	{"ext-gw-mode", "Neutron L3 Configurable external gateway mode",
	 "Extension of the router abstraction for specifying whether SNAT "
	 "should occur on the external gateway"},
	{"extraroute", "Neutron Extra Route",
	 "Extra routes configuration for L3 router"},
	{"router", "Neutron L3 Router",
	 "Router abstraction for basic L3 forwarding between L2 Neutron "
	 "networks and access to external networks via a NAT gateway."},
	{"security-group", "security-group", "The security groups extension."},
	{"stateful-security-group", "Stateful security group",
	 "Indicates if the security group is stateful or not"},
	{"filter-validation", "Filter parameters validation",
	 "Provides validation on filter parameters."},
	{"network-mtu", "Network MTU",
	 "Provides MTU attribute for a network "
	 "resource."},
	{"network-mtu-writable", "Network MTU (writable)",
	 "Provides a writable MTU attribute for a network resource."},
	{"pagination", "Pagination support",
	 "Extension that indicates that pagination is enabled."},
	{"port-security", "Port Security", "Provides port security"},
	{"project-id", "project_id field enabled",
	 "Extension that indicates that project_id field is enabled."},
	{"provider", "Provider Network",
	 "Expose mapping of virtual networks "
	 "to physical networks"},
	{"revision-if-match", "If-Match constraints based on revision_number",
	 "Extension indicating that If-Match based on revision_number is "
	 "supported."},
	{"sorting", "Sorting support",
	 "Extension that indicates that sorting is enabled."},
	{"standard-attr-description", "standard-attr-description",
	 "Extension to add descriptions to standard attributes"},
	{"standard-attr-revisions", "Resource revision numbers",
	 "This extension will display the revision number of neutron "
	 "resources."},
	{"standard-attr-tag",
	 "Tag support for resources with standard "
	 "attribute: subnet, network, port, ...",
	 "Enables to set tag on resources with standard attribute."},
	{"standard-attr-timestamp", "Resource timestamps",
	 "Adds created_at and updated_at fields to all Neutron resources "
	 "that have Neutron standard attributes."},
	{"vpnaas", "VPN service", "Extension for VPN service"},
	{"vpn-endpoint-groups", "VPN Endpoint Groups",
	 "VPN endpoint groups support"},
};

int
api_create(struct ctl *ctl, const struct api_config *cfg, struct api **out)
{
	struct api *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return -ENOMEM;
	a->ctl = ctl;
	a->cfg = cfg;
	*out = a;
	return 0;
}

void
api_destroy(struct api *a)
{
	free(a);
}

unsigned long
api_client_errors(const struct api *a)
{
	return a->client_errors;
}

/* Set resp to the JSON of j (reference stolen). */
static void
api_json(struct http_response *resp, int status, json_t *j)
{
	resp->status = status;
	resp->body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	resp->body_len = resp->body != NULL ? strlen(resp->body) : 0;
	if (j != NULL && resp->body == NULL)
		resp->status = 500;
	json_decref(j);
}

static void
api_error(struct api *a, struct http_response *resp, const struct ctl_err *err)
{
	int status = ctl_err_status(err->code);
	json_t *e;

	if (status >= 400 && status < 500)
		a->client_errors++;
	e = json_pack("{s{ssssss}}", "NeutronError", "type",
		      ctl_err_type(err->code), "message", err->message,
		      "detail", "");
	if (e == NULL) {
		/* The message was not UTF-8; say so without it. */
		e = json_pack("{s{ssssss}}", "NeutronError", "type",
			      ctl_err_type(err->code), "message",
			      "(unprintable message)", "detail", "");
	}
	api_json(resp, status, e);
}

static void
api_fail(struct api *a, struct http_response *resp, enum ctl_errcode code,
	 const char *msg)
{
	struct ctl_err err;

	ctl_err_set(&err, code, "%s", msg);
	api_error(a, resp, &err);
}

/* Base URL of this server as the client reached it. */
static void
api_base(const struct api *a, const struct http_request *req, char *buf,
	 size_t len)
{
	const char *h = req->host;
	size_t i;

	if (h != NULL && strlen(h) < 256) {
		for (i = 0; h[i] != '\0'; i++) {
			if (!isalnum((unsigned char)h[i]) &&
			    strchr(".:-[]", h[i]) == NULL)
				break;
		}
		if (h[i] == '\0' && i > 0) {
			snprintf(buf, len, "%s://%s",
				 req->is_tls ? "https" : "http", h);
			return;
		}
	}
	snprintf(buf, len, "%s", a->cfg->self_url);
}

/* Constant-time comparison of two NUL-terminated secrets. */
static bool
api_token_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static int
api_auth(struct api *a, const struct http_request *req, struct ctl_auth *auth)
{
	const struct api_config *cfg = a->cfg;
	size_t i;
	bool found = false;

	memset(auth, 0, sizeof(*auth));
	if (cfg->auth == API_AUTH_NONE) {
		auth->is_admin = true;
		snprintf(auth->project_id, sizeof(auth->project_id), "%s",
			 cfg->default_project);
		return 0;
	}
	if (req->token == NULL)
		return -EACCES;
	if (api_token_eq(req->token, cfg->admin_token)) {
		auth->is_admin = true;
		snprintf(auth->project_id, sizeof(auth->project_id), "%s",
			 cfg->default_project);
		found = true;
	}
	/* Walk every token so timing does not tell which one matched. */
	for (i = 0; i < cfg->n_tokens; i++) {
		if (api_token_eq(req->token, cfg->tokens[i].token) && !found) {
			snprintf(auth->project_id, sizeof(auth->project_id),
				 "%s", cfg->tokens[i].project_id);
			found = true;
		}
	}
	if (!found) {
		if (log_ratelimit(&a->auth_rate, 5))
			log_warn("api", "%s %s: bad token", req->method,
				 req->path);
		return -EACCES;
	}
	return 0;
}

static void
api_versions(struct api *a, const struct http_request *req,
	     struct http_response *resp)
{
	char base[320], href[340];

	api_base(a, req, base, sizeof(base));
	snprintf(href, sizeof(href), "%s/v2.0/", base);
	api_json(resp, 200,
		 json_pack("{s[{sssss[{ssss}]}]}", "versions", "id", "v2.0",
			   "status", "CURRENT", "links", "href", href, "rel",
			   "self"));
}

static void
api_resources(struct api *a, const struct http_request *req,
	      struct http_response *resp)
{
	char base[320], href[400];
	json_t *list = json_array();
	size_t i;

	api_base(a, req, base, sizeof(base));
	for (i = 0; i < sizeof(api_colls) / sizeof(api_colls[0]); i++) {
		snprintf(href, sizeof(href), "%s/v2.0/%s", base,
			 api_colls[i].plural);
		json_array_append_new(
			list, json_pack("{ssss s[{ssss}]}", "name",
					api_colls[i].singular, "collection",
					api_colls[i].plural, "links", "href",
					href, "rel", "self"));
	}
	api_json(resp, 200, json_pack("{so}", "resources", list));
}

static json_t *
api_ext_json(size_t i)
{
	return json_pack("{ss ss ss ss s[]}", "alias", api_exts[i].alias,
			 "name", api_exts[i].name, "description",
			 api_exts[i].description, "updated",
			 "2024-01-01T00:00:00-00:00", "links");
}

static void
api_extensions(struct api *a, const char *alias, struct http_response *resp)
{
	size_t n = sizeof(api_exts) / sizeof(api_exts[0]), i;
	json_t *list;
	struct ctl_err err;

	if (alias != NULL) {
		for (i = 0; i < n; i++) {
			if (strcmp(api_exts[i].alias, alias) == 0) {
				api_json(resp, 200,
					 json_pack("{so}", "extension",
						   api_ext_json(i)));
				return;
			}
		}
		ctl_err_set(&err, CTL_E_EXTENSION_NOT_FOUND,
			    "Extension with alias %.64s does not exist", alias);
		api_error(a, resp, &err);
		return;
	}
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list, api_ext_json(i));
	api_json(resp, 200, json_pack("{so}", "extensions", list));
}

/* Subnet ids of a network into a JSON array. */
static void
api_subnet_id_cb(void *arg, const char *id)
{
	json_array_append_new(arg, json_string(id));
}

static json_t *
api_network_json(struct api *a, json_t *j, const char *id)
{
	json_t *subs = json_array();

	if (j == NULL || subs == NULL) {
		json_decref(subs);
		return j;
	}
	store_subnet_ids(ctl_store(a->ctl), id, api_subnet_id_cb, subs);
	json_object_set_new(j, "subnets", subs);
	return j;
}

/* Encode one object of kind (a struct of that kind). */
static json_t *
api_encode(struct api *a, enum ctl_kind kind, const void *obj)
{
	switch (kind) {
	case CTL_ROUTER:
	case CTL_FLOATINGIP:
	case CTL_SECGROUP:
	case CTL_SGRULE:
		return json_deep_copy(*(json_t *const *)obj);
	case CTL_NETWORK: {
		const struct ctl_network *n = obj;

		return api_network_json(a, model_network_encode(n), n->m.id);
	}
	case CTL_SUBNET:
		return model_subnet_encode(obj);
	case CTL_PORT:
	default:
		return model_port_encode(obj);
	}
}

static size_t
api_obj_size(enum ctl_kind kind)
{
	if (ctl_kind_is_doc(kind))
		return sizeof(json_t *); /* a slot holding a document */
	return kind == CTL_NETWORK  ? sizeof(struct ctl_network)
	       : kind == CTL_SUBNET ? sizeof(struct ctl_subnet)
				    : sizeof(struct ctl_port);
}

/* List. */

struct api_list {
	struct api *a;
	enum ctl_kind kind;
	const struct query *q;
	json_t *objs;
	int rc;
};

static int
api_list_cb(void *arg, const char *doc)
{
	struct api_list *l = arg;
	json_t *j = json_loads(doc, 0, NULL);

	if (j == NULL)
		return -EIO;
	if (l->kind == CTL_NETWORK)
		j = api_network_json(
			l->a, j, json_string_value(json_object_get(j, "id")));
	if (ctl_kind_is_doc(l->kind) &&
	    ctl_doc_decorate(l->a->ctl, l->kind, j) != 0) {
		json_decref(j);
		return -EIO;
	}
	if (query_match(l->q, j))
		json_array_append_new(l->objs, j);
	else
		json_decref(j);
	return 0;
}

#define API_PUSH_MAX 64

/* The JSON key of a list ("security_groups" at /security-groups). */
static const char *
api_list_key(enum ctl_kind kind, const char *plural)
{
	return ctl_kind_is_doc(kind) ? res_list_key(kind) : plural;
}

/* Drop the documents held in n slots of objs (document kinds only). */
static void
api_objs_drop(enum ctl_kind kind, void *objs, size_t n)
{
	json_t **slot = objs;
	size_t i;

	if (!ctl_kind_is_doc(kind) || objs == NULL)
		return;
	for (i = 0; i < n; i++)
		json_decref(slot[i]);
}

static void
api_list(struct api *a, const struct ctl_auth *auth, enum ctl_kind kind,
	 const char *plural, const struct http_request *req,
	 struct http_response *resp)
{
	const char *vals[STORE_COLS_MAX][API_PUSH_MAX];
	const char *next = NULL, *prev = NULL;
	struct store_query sq = {0};
	struct api_list l = {0};
	struct query q;
	struct ctl_err err;
	json_t *page = NULL, *out, *fv;
	const char *key;
	int rc;

	if (query_parse(kind, req->args, req->n_args, &q, &err) != 0) {
		api_error(a, resp, &err);
		return;
	}
	/* Neutron makes a project's default group when it first looks. */
	if (kind == CTL_SECGROUP &&
	    ctl_sg_ensure_default(a->ctl, auth->project_id, &err) != 0) {
		query_fini(&q);
		api_error(a, resp, &err);
		return;
	}
	if (!auth->is_admin) {
		sq.project_id = auth->project_id;
		sq.include_shared = true;
	}
	json_object_foreach(q.filters, key, fv)
	{
		size_t i, n = json_array_size(fv);

		if (!store_is_indexed(kind, key) || n > API_PUSH_MAX ||
		    sq.n_cols >= STORE_COLS_MAX)
			continue;
		for (i = 0; i < n; i++)
			vals[sq.n_cols][i] =
				json_string_value(json_array_get(fv, i));
		sq.cols[sq.n_cols].column = key;
		sq.cols[sq.n_cols].values = vals[sq.n_cols];
		sq.cols[sq.n_cols].n_values = (unsigned)n;
		sq.n_cols++;
	}
	l.a = a;
	l.kind = kind;
	l.q = &q;
	l.objs = json_array();
	rc = l.objs == NULL ? -ENOMEM
			    : store_foreach_doc(ctl_store(a->ctl), kind, &sq,
						api_list_cb, &l);
	if (rc != 0) {
		ctl_err_set(&err, CTL_E_INTERNAL, "The store failed (%d).", rc);
		goto fail;
	}
	if (query_page(&q, l.objs, &page, &next, &prev, &err) != 0)
		goto fail;
	out = json_object();
	json_object_set_new(out, api_list_key(kind, plural), page);
	if (next != NULL || prev != NULL) {
		char base[320], coll[400], key_links[64];
		json_t *links = json_array();
		char *href;

		api_base(a, req, base, sizeof(base));
		snprintf(coll, sizeof(coll), "%s/v2.0/%s", base, plural);
		if (next != NULL) {
			href = query_link(coll, req->args, req->n_args, next,
					  false);
			json_array_append_new(
				links, json_pack("{ssss}", "rel", "next",
						 "href", href ? href : ""));
			free(href);
		}
		if (prev != NULL) {
			href = query_link(coll, req->args, req->n_args, prev,
					  true);
			json_array_append_new(
				links, json_pack("{ssss}", "rel", "previous",
						 "href", href ? href : ""));
			free(href);
		}
		snprintf(key_links, sizeof(key_links), "%s_links",
			 api_list_key(kind, plural));
		json_object_set_new(out, key_links, links);
	}
	json_decref(l.objs);
	query_fini(&q);
	api_json(resp, 200, out);
	return;

fail:
	json_decref(l.objs);
	query_fini(&q);
	api_error(a, resp, &err);
}

/* Parse "revision_number=N" (If-Match). */
static int
api_if_match(const char *h, int64_t *out)
{
	static const char prefix[] = "revision_number=";
	char *end;
	long long v;

	*out = CTL_NO_IF_MATCH;
	if (h == NULL)
		return 0;
	if (strncmp(h, prefix, sizeof(prefix) - 1) != 0)
		return -EINVAL;
	h += sizeof(prefix) - 1;
	if (!isdigit((unsigned char)*h))
		return -EINVAL;
	v = strtoll(h, &end, 10);
	if (*end != '\0' || v < 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Parse the body; NULL with err on bad JSON. */
static json_t *
api_body(const struct http_request *req, struct ctl_err *err)
{
	json_error_t jerr;
	json_t *j;

	if (req->body_len == 0) {
		ctl_err_set(err, CTL_E_BAD_REQUEST, "Request body is empty.");
		return NULL;
	}
	j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		ctl_err_set(err, CTL_E_BAD_REQUEST,
			    "Malformed request body: %s (line %d, column %d)",
			    jerr.text, jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		ctl_err_set(err, CTL_E_BAD_REQUEST,
			    "Malformed request body: not a JSON object");
		return NULL;
	}
	return j;
}

static int
api_decode(enum ctl_kind kind, const json_t *obj, void *out, unsigned *present,
	   struct ctl_err *err)
{
	switch (kind) {
	case CTL_ROUTER:
	case CTL_FLOATINGIP:
	case CTL_SECGROUP:
	case CTL_SGRULE:
		return res_decode(kind, obj, out, present, err);
	case CTL_NETWORK:
		return model_network_decode(obj, MODEL_CREATE, out, present,
					    err);
	case CTL_SUBNET:
		return model_subnet_decode(obj, MODEL_CREATE, out, present,
					   err);
	case CTL_PORT:
	default:
		return model_port_decode(obj, MODEL_CREATE, out, present, err);
	}
}

static void
api_create_req(struct api *a, const struct ctl_auth *auth, enum ctl_kind kind,
	       const char *singular, const char *plural,
	       const struct http_request *req, struct http_response *resp)
{
	size_t sz = api_obj_size(kind), n, i;
	unsigned *present = NULL;
	char *objs = NULL;
	struct ctl_err err;
	json_t *body, *one, *many, *out = NULL;
	int rc;

	n = 0;
	plural = api_list_key(kind, plural);
	body = api_body(req, &err);
	if (body == NULL)
		goto fail;
	one = json_object_get(body, singular);
	many = json_object_get(body, plural);
	if (json_object_size(body) != 1 || (one == NULL && many == NULL) ||
	    (one != NULL && !json_is_object(one)) ||
	    (many != NULL && !json_is_array(many))) {
		ctl_err_set(&err, CTL_E_BAD_REQUEST,
			    "Unable to find '%s' in request body", singular);
		goto fail;
	}
	n = one != NULL ? 1 : json_array_size(many);
	if (n == 0 || n > API_BULK_MAX) {
		ctl_err_set(&err, CTL_E_BAD_REQUEST,
			    "A bulk request holds 1 to %d objects.",
			    API_BULK_MAX);
		goto fail;
	}
	objs = calloc(n, sz);
	present = calloc(n, sizeof(*present));
	if (objs == NULL || present == NULL) {
		ctl_err_set(&err, CTL_E_INTERNAL, "Out of memory.");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		const json_t *o = one != NULL ? one : json_array_get(many, i);

		if (!json_is_object(o)) {
			ctl_err_set(&err, CTL_E_BAD_REQUEST,
				    "Unable to find '%s' in request body",
				    singular);
			goto fail;
		}
		if (api_decode(kind, o, objs + i * sz, &present[i], &err) != 0)
			goto fail;
	}
	rc = ctl_kind_is_doc(kind)
		     ? ctl_doc_create(a->ctl, auth, kind, (void *)objs, present,
				      (unsigned)n, &err)
	     : kind == CTL_NETWORK
		     ? ctl_network_create(a->ctl, auth, (void *)objs, present,
					  (unsigned)n, &err)
	     : kind == CTL_SUBNET
		     ? ctl_subnet_create(a->ctl, auth, (void *)objs, present,
					 (unsigned)n, &err)
		     : ctl_port_create(a->ctl, auth, (void *)objs, present,
				       (unsigned)n, &err);
	if (rc != 0)
		goto fail;
	if (one != NULL) {
		out = json_object();
		json_object_set_new(out, singular, api_encode(a, kind, objs));
	} else {
		json_t *arr = json_array();

		for (i = 0; i < n; i++)
			json_array_append_new(
				arr, api_encode(a, kind, objs + i * sz));
		out = json_object();
		json_object_set_new(out, plural, arr);
	}
	json_decref(body);
	api_objs_drop(kind, objs, n);
	free(objs);
	free(present);
	api_json(resp, 201, out);
	return;

fail:
	json_decref(body);
	api_objs_drop(kind, objs, n);
	free(objs);
	free(present);
	api_error(a, resp, &err);
}

static void
api_show(struct api *a, const struct ctl_auth *auth, enum ctl_kind kind,
	 const char *singular, const char *id, const struct http_request *req,
	 struct http_response *resp)
{
	struct ctl_err err;
	struct query q;
	void *obj = calloc(1, api_obj_size(kind));
	json_t *j, *p, *out;
	int rc;

	if (obj == NULL) {
		api_fail(a, resp, CTL_E_INTERNAL, "Out of memory.");
		return;
	}
	rc = ctl_kind_is_doc(kind)
		     ? ctl_doc_get(a->ctl, auth, kind, id, obj, &err)
	     : kind == CTL_NETWORK
		     ? ctl_network_get(a->ctl, auth, id, obj, &err)
	     : kind == CTL_SUBNET ? ctl_subnet_get(a->ctl, auth, id, obj, &err)
				  : ctl_port_get(a->ctl, auth, id, obj, &err);
	if (rc == 0)
		rc = query_parse(kind, req->args, req->n_args, &q, &err);
	if (rc != 0) {
		api_objs_drop(kind, obj, 1);
		free(obj);
		api_error(a, resp, &err);
		return;
	}
	j = api_encode(a, kind, obj);
	api_objs_drop(kind, obj, 1);
	free(obj);
	/* fields= applies to a show too. */
	p = json_array();
	json_array_append_new(p, j);
	{
		struct query only = {0};
		const char *nm, *pm;
		json_t *page = NULL;

		only.fields = q.fields;
		query_page(&only, p, &page, &nm, &pm, &err);
		j = json_incref(json_array_get(page, 0));
		json_decref(page);
	}
	json_decref(p);
	query_fini(&q);
	out = json_object();
	json_object_set_new(out, singular, j);
	api_json(resp, 200, out);
}

static void
api_update(struct api *a, const struct ctl_auth *auth, enum ctl_kind kind,
	   const char *singular, const char *id, const struct http_request *req,
	   struct http_response *resp)
{
	void *obj = NULL;
	struct ctl_err err;
	json_t *body, *inner, *out;
	int64_t if_match;
	int rc;

	if (api_if_match(req->if_match, &if_match) != 0) {
		api_fail(a, resp, CTL_E_BAD_REQUEST,
			 "If-Match must be revision_number=N.");
		return;
	}
	body = api_body(req, &err);
	if (body == NULL) {
		api_error(a, resp, &err);
		return;
	}
	inner = json_object_get(body, singular);
	if (json_object_size(body) != 1 || !json_is_object(inner)) {
		json_decref(body);
		ctl_err_set(&err, CTL_E_BAD_REQUEST,
			    "Unable to find '%s' in request body", singular);
		api_error(a, resp, &err);
		return;
	}
	obj = calloc(1, api_obj_size(kind));
	if (obj == NULL) {
		json_decref(body);
		api_fail(a, resp, CTL_E_INTERNAL, "Out of memory.");
		return;
	}
	rc = ctl_kind_is_doc(kind) ? ctl_doc_update(a->ctl, auth, kind, id,
						    inner, if_match, obj, &err)
	     : kind == CTL_NETWORK ? ctl_network_update(a->ctl, auth, id, inner,
							if_match, obj, &err)
	     : kind == CTL_SUBNET  ? ctl_subnet_update(a->ctl, auth, id, inner,
						       if_match, obj, &err)
				   : ctl_port_update(a->ctl, auth, id, inner,
						     if_match, obj, &err);
	json_decref(body);
	if (rc != 0) {
		api_objs_drop(kind, obj, 1);
		free(obj);
		api_error(a, resp, &err);
		return;
	}
	out = json_object();
	json_object_set_new(out, singular, api_encode(a, kind, obj));
	api_objs_drop(kind, obj, 1);
	free(obj);
	api_json(resp, 200, out);
}

static void
api_delete(struct api *a, const struct ctl_auth *auth, enum ctl_kind kind,
	   const char *id, const struct http_request *req,
	   struct http_response *resp)
{
	struct ctl_err err;
	int64_t if_match;
	int rc;

	if (api_if_match(req->if_match, &if_match) != 0) {
		api_fail(a, resp, CTL_E_BAD_REQUEST,
			 "If-Match must be revision_number=N.");
		return;
	}
	rc = ctl_kind_is_doc(kind)
		     ? ctl_doc_delete(a->ctl, auth, kind, id, if_match, &err)
	     : kind == CTL_NETWORK
		     ? ctl_network_delete(a->ctl, auth, id, if_match, &err)
	     : kind == CTL_SUBNET
		     ? ctl_subnet_delete(a->ctl, auth, id, if_match, &err)
		     : ctl_port_delete(a->ctl, auth, id, if_match, &err);
	if (rc != 0) {
		api_error(a, resp, &err);
		return;
	}
	resp->status = 204;
}

/* The tags of a document kind's object as standard attributes. */
static int
api_doc_meta(struct api *a, const struct ctl_auth *auth, enum ctl_kind kind,
	     const char *id, struct ctl_meta *meta, struct ctl_err *err)
{
	json_t *doc = NULL, *t;
	size_t k;

	if (ctl_doc_get(a->ctl, auth, kind, id, &doc, err) != 0)
		return -EINVAL;
	memset(meta, 0, sizeof(*meta));
	json_array_foreach(json_object_get(doc, "tags"), k, t)
	{
		if (k < CTL_TAGS_MAX)
			snprintf(meta->tags[meta->n_tags++],
				 sizeof(meta->tags[0]), "%s",
				 json_string_value(t));
	}
	json_decref(doc);
	return 0;
}

/* /v2.0/<coll>/<id>/tags[/<tag>] */
static void
api_tags(struct api *a, const struct ctl_auth *auth, enum ctl_kind kind,
	 const char *id, const char *tag, const struct http_request *req,
	 struct http_response *resp)
{
	const char *m = req->method;
	struct ctl_meta *meta = malloc(sizeof(*meta));
	struct ctl_err err;
	json_t *body = NULL, *tags;
	unsigned i;
	int rc;

	if (meta == NULL) {
		api_fail(a, resp, CTL_E_INTERNAL, "Out of memory.");
		return;
	}
	if (strcmp(m, "GET") == 0) {
		void *obj = calloc(1, api_obj_size(kind));

		rc = obj == NULL ? ctl_err_set(&err, CTL_E_INTERNAL, "OOM")
		     : ctl_kind_is_doc(kind)
			     ? api_doc_meta(a, auth, kind, id, meta, &err)
		     : kind == CTL_NETWORK
			     ? ctl_network_get(a->ctl, auth, id, obj, &err)
		     : kind == CTL_SUBNET
			     ? ctl_subnet_get(a->ctl, auth, id, obj, &err)
			     : ctl_port_get(a->ctl, auth, id, obj, &err);
		if (rc == 0 && !ctl_kind_is_doc(kind))
			*meta = *(struct ctl_meta *)obj; /* m is first */
		free(obj);
		if (rc != 0)
			goto fail;
		if (tag != NULL) {
			for (i = 0; i < meta->n_tags; i++) {
				if (strcmp(meta->tags[i], tag) == 0)
					break;
			}
			if (i == meta->n_tags) {
				ctl_err_set(&err, CTL_E_NOT_FOUND,
					    "Tag %.64s could not be found.",
					    tag);
				goto fail;
			}
			resp->status = 204;
			free(meta);
			return;
		}
	} else if (strcmp(m, "PUT") == 0 && tag == NULL) {
		body = api_body(req, &err);
		if (body == NULL)
			goto fail;
		tags = json_object_get(body, "tags");
		if (json_object_size(body) != 1 || !json_is_array(tags)) {
			ctl_err_set(&err, CTL_E_BAD_REQUEST,
				    "Unable to find 'tags' in request body");
			goto fail;
		}
		if (ctl_tags_update(a->ctl, auth, kind, id, CTL_TAGS_REPLACE,
				    tags, NULL, meta, &err) != 0)
			goto fail;
	} else if (strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0) {
		enum ctl_tag_op op = tag == NULL   ? CTL_TAGS_CLEAR
				     : m[0] == 'P' ? CTL_TAG_ADD
						   : CTL_TAG_DEL;

		if (tag != NULL &&
		    (strlen(tag) > CTL_TAG_MAX || strpbrk(tag, ",/") != NULL)) {
			ctl_err_set(&err, CTL_E_BAD_REQUEST, "Invalid tag.");
			goto fail;
		}
		if (ctl_tags_update(a->ctl, auth, kind, id, op, NULL, tag, meta,
				    &err) != 0)
			goto fail;
		resp->status = op == CTL_TAG_ADD ? 201 : 204;
		free(meta);
		return;
	} else {
		ctl_err_set(&err, CTL_E_METHOD_NOT_ALLOWED,
			    "Method %.16s not allowed on tags.", m);
		goto fail;
	}
	tags = json_array();
	for (i = 0; i < meta->n_tags; i++)
		json_array_append_new(tags, json_string(meta->tags[i]));
	json_decref(body);
	free(meta);
	api_json(resp, 200, json_pack("{so}", "tags", tags));
	return;

fail:
	json_decref(body);
	free(meta);
	api_error(a, resp, &err);
}

/* PUT /v2.0/routers/<id>/add_router_interface (or remove_). */
static void
api_router_interface(struct api *a, const struct ctl_auth *auth, const char *id,
		     bool is_add, const struct http_request *req,
		     struct http_response *resp)
{
	struct ctl_err err;
	json_t *body, *out = NULL;

	if (strcmp(req->method, "PUT") != 0) {
		api_fail(a, resp, CTL_E_METHOD_NOT_ALLOWED,
			 "Method not allowed.");
		return;
	}
	body = api_body(req, &err);
	if (body == NULL || ctl_router_interface(a->ctl, auth, id, body, is_add,
						 &out, &err) != 0) {
		json_decref(body);
		api_error(a, resp, &err);
		return;
	}
	json_decref(body);
	api_json(resp, 200, out);
}

/*
 * A minimal identity shim: the openstack CLI resolves "--project P" with
 * GET /projects/P then GET /projects?name=P on the same endpoint when it
 * runs without Keystone. A project "exists" if its id is well formed (auth
 * none) or has a token (auth token; a project token sees only its own).
 */
static bool
api_project_known(const struct api *a, const struct ctl_auth *auth,
		  const char *id)
{
	size_t i, n = strlen(id);

	if (n == 0 || n > CTL_PROJECT_MAX)
		return false;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)id[i]) &&
		    strchr("-_.", id[i]) == NULL)
			return false;
	}
	if (!auth->is_admin)
		return strcmp(id, auth->project_id) == 0;
	if (a->cfg->auth == API_AUTH_NONE ||
	    strcmp(id, a->cfg->default_project) == 0)
		return true;
	for (i = 0; i < a->cfg->n_tokens; i++) {
		if (strcmp(a->cfg->tokens[i].project_id, id) == 0)
			return true;
	}
	return false;
}

static json_t *
api_project_json(const char *id)
{
	return json_pack("{ss ss ss sb ss}", "id", id, "name", id, "domain_id",
			 "default", "enabled", 1, "description", "");
}

static void
api_projects(struct api *a, const struct ctl_auth *auth, const char *id,
	     const struct http_request *req, struct http_response *resp)
{
	const char *name = NULL;
	struct ctl_err err;
	json_t *list;
	size_t i;

	if (id != NULL) {
		if (!api_project_known(a, auth, id)) {
			ctl_err_set(&err, CTL_E_NOT_FOUND,
				    "Could not find project: %.64s.", id);
			api_error(a, resp, &err);
			return;
		}
		api_json(resp, 200,
			 json_pack("{so}", "project", api_project_json(id)));
		return;
	}
	for (i = 0; i < req->n_args; i++) {
		if (strcmp(req->args[i].key, "name") == 0)
			name = req->args[i].value;
	}
	list = json_array();
	if (name != NULL && api_project_known(a, auth, name))
		json_array_append_new(list, api_project_json(name));
	else if (name == NULL)
		json_array_append_new(list, api_project_json(auth->project_id));
	api_json(resp, 200, json_pack("{so}", "projects", list));
}

/* Split path into at most API_SEGS_MAX non-empty segments (copied). */
static int
api_split(const char *path, char *buf, size_t len, char **segs)
{
	int n = 0;
	char *save = NULL, *tok;

	if (strlen(path) >= len)
		return -E2BIG;
	strcpy(buf, path);
	for (tok = strtok_r(buf, "/", &save); tok != NULL;
	     tok = strtok_r(NULL, "/", &save)) {
		if (n >= API_SEGS_MAX)
			return -E2BIG;
		segs[n++] = tok;
	}
	return n;
}

void
api_handle(void *arg, const struct http_request *req,
	   struct http_response *resp)
{
	struct api *a = arg;
	char buf[1024];
	char *seg[API_SEGS_MAX];
	struct ctl_auth auth;
	const char *m = req->method;
	size_t i, k = sizeof(api_colls) / sizeof(api_colls[0]);
	int n;

	n = api_split(req->path, buf, sizeof(buf), seg);
	if (n < 0) {
		api_fail(a, resp, CTL_E_NOT_FOUND,
			 "The resource could not be found.");
		goto out;
	}
	if (n == 0) {
		if (strcmp(m, "GET") == 0)
			api_versions(a, req, resp);
		else
			api_fail(a, resp, CTL_E_METHOD_NOT_ALLOWED,
				 "Method not allowed.");
		goto out;
	}
	if (strcmp(seg[0], "projects") == 0 && n <= 2) {
		if (api_auth(a, req, &auth) != 0)
			api_fail(a, resp, CTL_E_UNAUTHORIZED,
				 "Authentication required.");
		else if (strcmp(m, "GET") != 0)
			api_fail(a, resp, CTL_E_METHOD_NOT_ALLOWED,
				 "Method not allowed.");
		else
			api_projects(a, &auth, n == 2 ? seg[1] : NULL, req,
				     resp);
		goto out;
	}
	if (strcmp(seg[0], "v2.0") != 0) {
		api_fail(a, resp, CTL_E_NOT_FOUND,
			 "The resource could not be found.");
		goto out;
	}
	if (api_auth(a, req, &auth) != 0) {
		api_fail(a, resp, CTL_E_UNAUTHORIZED,
			 "Authentication required: a valid X-Auth-Token "
			 "header is needed.");
		goto out;
	}
	if (n == 1 || strcmp(seg[1], "extensions") == 0) {
		if (strcmp(m, "GET") != 0)
			api_fail(a, resp, CTL_E_METHOD_NOT_ALLOWED,
				 "Method not allowed.");
		else if (n == 1)
			api_resources(a, req, resp);
		else if (n <= 3)
			api_extensions(a, n == 3 ? seg[2] : NULL, resp);
		else
			api_fail(a, resp, CTL_E_NOT_FOUND,
				 "The resource could not be found.");
		goto out;
	}
	if (strcmp(seg[1], "lbaas") == 0 && a->cfg->lbaas != NULL) {
		char base[320];

		api_base(a, req, base, sizeof(base));
		lbaas_handle(a->cfg->lbaas, &auth, base, req, resp);
		if (resp->status >= 400 && resp->status < 500)
			a->client_errors++;
		goto out;
	}
	if (strcmp(seg[1], "vpn") == 0 && a->cfg->vpn != NULL) {
		vpn_api_handle(a->cfg->vpn, &auth, req, seg + 2, n - 2, resp);
		goto out;
	}
	for (i = 0; i < k; i++) {
		if (strcmp(seg[1], api_colls[i].plural) == 0)
			break;
	}
	if (i < k && api_colls[i].kind == CTL_ROUTER && n == 4 &&
	    (strcmp(seg[3], "add_router_interface") == 0 ||
	     strcmp(seg[3], "remove_router_interface") == 0)) {
		api_router_interface(a, &auth, seg[2], seg[3][0] == 'a', req,
				     resp);
		goto out;
	}
	if (i == k || n > 5 || (n >= 4 && strcmp(seg[3], "tags") != 0)) {
		api_fail(a, resp, CTL_E_NOT_FOUND,
			 "The resource could not be found.");
		goto out;
	}
	if (n == 2 && strcmp(m, "GET") == 0)
		api_list(a, &auth, api_colls[i].kind, api_colls[i].plural, req,
			 resp);
	else if (n == 2 && strcmp(m, "POST") == 0)
		api_create_req(a, &auth, api_colls[i].kind,
			       api_colls[i].singular, api_colls[i].plural, req,
			       resp);
	else if (n == 3 && strcmp(m, "GET") == 0)
		api_show(a, &auth, api_colls[i].kind, api_colls[i].singular,
			 seg[2], req, resp);
	else if (n == 3 && strcmp(m, "PUT") == 0)
		api_update(a, &auth, api_colls[i].kind, api_colls[i].singular,
			   seg[2], req, resp);
	else if (n == 3 && strcmp(m, "DELETE") == 0)
		api_delete(a, &auth, api_colls[i].kind, seg[2], req, resp);
	else if (n >= 4)
		api_tags(a, &auth, api_colls[i].kind, seg[2],
			 n == 5 ? seg[4] : NULL, req, resp);
	else
		api_fail(a, resp, CTL_E_METHOD_NOT_ALLOWED,
			 "Method not allowed.");
out:
	log_debug("api", "%s %s -> %d", m, req->path, resp->status);
}
