// SPDX-License-Identifier: BSD-2-Clause
/*
 * vpn_api.c: the VPNaaS REST handlers and their service checks (see
 * vpn_api.h). Errors are NeutronError bodies with VPNaaS's own types
 * (IKEPolicyNotFound, VPNServiceInUse...) and the status of the shared
 * error table (model.c) for their ctl_errcode.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "query.h"
#include "vpn_api.h"
#include "vpn_store.h"

#define VPN_ARGS_MAX 64

struct vpn_api {
	struct ctl *ctl;
	struct store *st;
	vpn_api_changed_fn changed;
	void *changed_arg;
	unsigned long client_errors;
};

/* Neutron's names of the kinds, for messages and error types. */
static const char *const vpn_api_names[VPN_KIND_COUNT] = {
	[VPN_IKEPOLICY] = "IKEPolicy",	    [VPN_IPSECPOLICY] = "IPsecPolicy",
	[VPN_SERVICE] = "VPNService",	    [VPN_EPG] = "EndpointGroup",
	[VPN_CONN] = "IPsecSiteConnection",
};

int
vpn_api_create(struct ctl *ctl, struct vpn_api **out)
{
	struct vpn_api *v;
	int rc;

	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	v->ctl = ctl;
	v->st = ctl_store(ctl);
	rc = vpn_store_init(v->st);
	if (rc != 0) {
		free(v);
		return rc;
	}
	*out = v;
	return 0;
}

void
vpn_api_destroy(struct vpn_api *v)
{
	free(v);
}

void
vpn_api_set_observer(struct vpn_api *v, vpn_api_changed_fn fn, void *arg)
{
	v->changed = fn;
	v->changed_arg = arg;
}

unsigned long
vpn_api_client_errors(const struct vpn_api *v)
{
	return v->client_errors;
}

/* Answers. */

static void
vpn_json(struct http_response *resp, int status, json_t *j)
{
	resp->status = status;
	resp->body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	resp->body_len = resp->body != NULL ? strlen(resp->body) : 0;
	if (resp->body == NULL)
		resp->status = 500;
	json_decref(j);
}

/* An error; type NULL: the table's type for err->code. */
static void
vpn_error(struct vpn_api *v, struct http_response *resp,
	  const struct ctl_err *err, const char *type)
{
	int status = ctl_err_status(err->code);
	json_t *e;

	if (status >= 400 && status < 500)
		v->client_errors++;
	e = json_pack("{s{ssssss}}", "NeutronError", "type",
		      type != NULL ? type : ctl_err_type(err->code), "message",
		      err->message, "detail", "");
	if (e == NULL)
		e = json_pack("{s{ssssss}}", "NeutronError", "type",
			      ctl_err_type(err->code), "message",
			      "(unprintable message)", "detail", "");
	vpn_json(resp, status, e);
}

/* Set err to "<Kind> <id> could not be found" and return its type. */
static const char *
vpn_not_found(struct ctl_err *err, enum vpn_kind k, const char *id, char *type,
	      size_t type_len)
{
	ctl_err_set(err, CTL_E_NOT_FOUND, "%s %.64s could not be found",
		    vpn_api_names[k], id);
	snprintf(type, type_len, "%sNotFound", vpn_api_names[k]);
	return type;
}

/* Reads. */

static bool
vpn_visible(const struct ctl_auth *auth, const json_t *doc)
{
	return ctl_is_visible(
		auth, json_string_value(json_object_get(doc, "project_id")),
		false);
}

/* Get a visible object: 0 or -ENOENT (err and type set for a 404). */
static int
vpn_get(struct vpn_api *v, const struct ctl_auth *auth, enum vpn_kind k,
	const char *id, json_t **doc, struct ctl_err *err, char *type,
	size_t type_len)
{
	int rc = vpn_store_get(v->st, k, id, doc);

	if (rc == 0 && !vpn_visible(auth, *doc)) {
		json_decref(*doc);
		*doc = NULL;
		rc = -ENOENT;
	}
	if (rc == -ENOENT)
		vpn_not_found(err, k, id, type, type_len);
	else if (rc != 0)
		ctl_err_set(err, CTL_E_INTERNAL, "The store failed (%d).", rc);
	return rc;
}

/* List queries: filters and sort keys checked against the VPN tables. */
static int
vpn_query_parse(enum vpn_kind k, const struct http_request *req,
		struct query *q, struct ctl_err *err)
{
	struct query_arg pass[VPN_ARGS_MAX];
	const char *sort_key[QUERY_SORT_MAX];
	bool sort_desc[QUERY_SORT_MAX] = {false};
	unsigned n_pass = 0, n_sort = 0, n_dir = 0, i;
	json_t *filters;

	if (req->n_args > VPN_ARGS_MAX)
		return ctl_err_set(err, CTL_E_BAD_REQUEST,
				   "Too many query arguments.");
	filters = json_object();
	if (filters == NULL)
		return ctl_err_set(err, CTL_E_INTERNAL, "Out of memory.");
	for (i = 0; i < req->n_args; i++) {
		const char *key = req->args[i].key, *val = req->args[i].value;
		json_t *vals;

		if (strcmp(key, "fields") == 0 || strcmp(key, "limit") == 0 ||
		    strcmp(key, "marker") == 0 ||
		    strcmp(key, "page_reverse") == 0) {
			pass[n_pass++] = req->args[i];
		} else if (strcmp(key, "sort_key") == 0) {
			if (n_sort >= QUERY_SORT_MAX ||
			    !vpn_model_is_attribute(k, val))
				goto bad_sort;
			sort_key[n_sort++] = val;
		} else if (strcmp(key, "sort_dir") == 0) {
			if (n_dir >= QUERY_SORT_MAX ||
			    (strcmp(val, "asc") != 0 &&
			     strcmp(val, "desc") != 0))
				goto bad_sort;
			sort_desc[n_dir++] = strcmp(val, "desc") == 0;
		} else if (vpn_model_is_attribute(k, key) &&
			   strcmp(key, "psk") != 0) {
			vals = json_object_get(filters, key);
			if (vals == NULL) {
				vals = json_array();
				json_object_set_new(filters, key, vals);
			}
			json_array_append_new(vals, json_string(val));
		} else {
			json_decref(filters);
			return ctl_err_set(
				err, CTL_E_BAD_REQUEST,
				"[%.64s] is invalid attribute for filtering",
				key);
		}
	}
	if (n_dir > n_sort)
		goto bad_sort;
	if (query_parse(CTL_NETWORK, pass, n_pass, q, err) != 0) {
		json_decref(filters);
		return -EINVAL;
	}
	json_decref(q->filters);
	q->filters = filters;
	q->n_sort = n_sort;
	for (i = 0; i < n_sort; i++) {
		q->sort_key[i] = sort_key[i];
		q->sort_desc[i] = sort_desc[i];
	}
	return 0;

bad_sort:
	json_decref(filters);
	return ctl_err_set(err, CTL_E_BAD_REQUEST,
			   "Bad sort request: sort_key must name attributes "
			   "and sort_dir be asc or desc, no more of them than "
			   "keys");
}

struct vpn_list {
	const struct ctl_auth *auth;
	const struct query *q;
	json_t *objs;
};

static int
vpn_list_cb(void *arg, const json_t *doc)
{
	struct vpn_list *l = arg;

	if (vpn_visible(l->auth, doc) && query_match(l->q, doc))
		json_array_append(l->objs, (json_t *)doc);
	return 0;
}

static void
vpn_list(struct vpn_api *v, const struct ctl_auth *auth, enum vpn_kind k,
	 const struct http_request *req, struct http_response *resp)
{
	const char *next = NULL, *prev = NULL;
	struct vpn_list l = {0};
	struct ctl_err err;
	struct query q;
	json_t *page = NULL, *out;
	int rc;

	if (vpn_query_parse(k, req, &q, &err) != 0) {
		vpn_error(v, resp, &err, NULL);
		return;
	}
	l.auth = auth;
	l.q = &q;
	l.objs = json_array();
	rc = l.objs == NULL ? -ENOMEM
			    : vpn_store_foreach(v->st, k, vpn_list_cb, &l);
	if (rc != 0) {
		ctl_err_set(&err, CTL_E_INTERNAL, "The store failed (%d).", rc);
		goto fail;
	}
	if (query_page(&q, l.objs, &page, &next, &prev, &err) != 0)
		goto fail;
	/* The JSON key is the URL's collection with '_' for '-'. */
	out = json_object();
	json_object_set_new(out,
			    k == VPN_EPG    ? "endpoint_groups"
			    : k == VPN_CONN ? "ipsec_site_connections"
					    : vpn_kind_plural(k),
			    page);
	json_decref(l.objs);
	query_fini(&q);
	vpn_json(resp, 200, out);
	return;

fail:
	json_decref(l.objs);
	query_fini(&q);
	vpn_error(v, resp, &err, NULL);
}

static void
vpn_show(struct vpn_api *v, const struct ctl_auth *auth, enum vpn_kind k,
	 const char *id, const struct http_request *req,
	 struct http_response *resp)
{
	const char *nm, *pm;
	struct query q, only = {0};
	struct ctl_err err;
	char type[48];
	json_t *doc = NULL, *arr, *page = NULL;

	if (vpn_get(v, auth, k, id, &doc, &err, type, sizeof(type)) != 0) {
		vpn_error(v, resp, &err, type);
		return;
	}
	if (vpn_query_parse(k, req, &q, &err) != 0) {
		json_decref(doc);
		vpn_error(v, resp, &err, NULL);
		return;
	}
	arr = json_array();
	json_array_append_new(arr, doc);
	only.fields = q.fields;
	if (query_page(&only, arr, &page, &nm, &pm, &err) != 0) {
		json_decref(arr);
		query_fini(&q);
		vpn_error(v, resp, &err, NULL);
		return;
	}
	doc = json_incref(json_array_get(page, 0));
	json_decref(page);
	json_decref(arr);
	query_fini(&q);
	vpn_json(resp, 200, json_pack("{so}", vpn_kind_singular(k), doc));
}

/* Reference checks. */

/* A referenced object of kind k named by attribute attr of doc. */
static int
vpn_ref(struct vpn_api *v, const struct ctl_auth *auth, const json_t *doc,
	const char *attr, enum vpn_kind k, json_t **out, struct ctl_err *err,
	char *type, size_t type_len)
{
	const char *id = json_string_value(json_object_get(doc, attr));

	*out = NULL;
	if (id == NULL)
		return 0;
	return vpn_get(v, auth, k, id, out, err, type, type_len);
}

/* Fill a vpnservice's router facts; checks router and subnet. */
static int
vpn_check_service(struct vpn_api *v, const struct ctl_auth *auth, json_t *doc,
		  struct ctl_err *err, char *type, size_t type_len)
{
	const char *rid = json_string_value(json_object_get(doc, "router_id"));
	const char *sid = json_string_value(json_object_get(doc, "subnet_id"));
	struct vpn_router *r = calloc(1, sizeof(*r));
	char buf[IPAM_STR_MAX];
	unsigned i;
	int rc;

	if (r == NULL)
		return ctl_err_set(err, CTL_E_INTERNAL, "Out of memory.");
	rc = vpn_store_router(v->st, rid, r);
	if (rc == 0 && !ctl_is_visible(auth, r->project_id, false))
		rc = -ENOENT;
	if (rc == -ENOENT) {
		ctl_err_set(err, CTL_E_NOT_FOUND,
			    "Router %.64s could not be found", rid);
		snprintf(type, type_len, "RouterNotFound");
		goto out;
	}
	if (rc != 0) {
		ctl_err_set(err, CTL_E_INTERNAL, "The store failed (%d).", rc);
		goto out;
	}
	if (!r->has_gw4 && !r->has_gw6) {
		rc = ctl_err_set(err, CTL_E_BAD_REQUEST,
				 "Router %.64s has no external gateway set: a "
				 "VPN service needs one (router set "
				 "--external-gateway).",
				 rid);
		goto out;
	}
	if (sid != NULL) {
		for (i = 0; i < r->n_subnets; i++) {
			if (strcmp(r->subnet_ids[i], sid) == 0)
				break;
		}
		if (i == r->n_subnets) {
			rc = ctl_err_set(err, CTL_E_BAD_REQUEST,
					 "Subnet %.64s is not connected to "
					 "Router %.64s",
					 sid, rid);
			goto out;
		}
	}
	json_object_set_new(doc, "external_v4_ip",
			    r->has_gw4 ? json_string(ipam_ip_format(
						 &r->gw4, buf, sizeof(buf)))
				       : json_null());
	json_object_set_new(doc, "external_v6_ip",
			    r->has_gw6 ? json_string(ipam_ip_format(
						 &r->gw6, buf, sizeof(buf)))
				       : json_null());
out:
	free(r);
	return rc;
}

/* Subnet endpoints of a subnet endpoint group must exist. */
static int
vpn_check_epg(struct vpn_api *v, const struct ctl_auth *auth, const json_t *doc,
	      struct ctl_err *err)
{
	const json_t *eps = json_object_get(doc, "endpoints");
	struct ctl_subnet *s;
	size_t i;
	int rc = 0;

	if (strcmp(json_string_value(json_object_get(doc, "type")) ?: "",
		   "subnet") != 0)
		return 0;
	s = malloc(sizeof(*s));
	if (s == NULL)
		return ctl_err_set(err, CTL_E_INTERNAL, "Out of memory.");
	for (i = 0; i < json_array_size(eps) && rc == 0; i++) {
		const char *id = json_string_value(json_array_get(eps, i));

		if (store_subnet_get(v->st, id, s) != 0 ||
		    !ctl_is_visible(auth, s->m.project_id, false))
			rc = ctl_err_set(err, CTL_E_BAD_REQUEST,
					 "Subnet %.64s in endpoints could not "
					 "be found",
					 id);
	}
	free(s);
	return rc;
}

/* The local prefixes of a connection: its local endpoint group's subnets,
 * or the vpnservice's subnet, or every subnet of its router. */
static int
vpn_local_prefixes(struct vpn_api *v, const json_t *svc, const json_t *lepg,
		   struct ctl_prefix *out, unsigned *n)
{
	struct vpn_router *r = calloc(1, sizeof(*r));
	const char *sid = json_string_value(json_object_get(svc, "subnet_id"));
	unsigned i;
	int rc;

	*n = 0;
	if (r == NULL)
		return -ENOMEM;
	rc = vpn_store_router(
		v->st, json_string_value(json_object_get(svc, "router_id")), r);
	for (i = 0; rc == 0 && i < r->n_subnets && *n < VPN_CIDRS_MAX; i++) {
		const json_t *eps = json_object_get(lepg, "endpoints");
		size_t j;
		bool take = lepg == NULL && sid == NULL;

		if (lepg == NULL && sid != NULL)
			take = strcmp(sid, r->subnet_ids[i]) == 0;
		for (j = 0; lepg != NULL && j < json_array_size(eps); j++) {
			if (strcmp(json_string_value(json_array_get(eps, j)),
				   r->subnet_ids[i]) == 0)
				take = true;
		}
		if (take)
			out[(*n)++] = r->subnets[i];
	}
	free(r);
	return rc;
}

/* Whole checks of a connection against what it names. */
static int
vpn_check_conn(struct vpn_api *v, const struct ctl_auth *auth,
	       const json_t *doc, struct ctl_err *err, char *type,
	       size_t type_len)
{
	json_t *svc = NULL, *ike = NULL, *esp = NULL, *lepg = NULL,
	       *pepg = NULL;
	struct ctl_prefix local[VPN_CIDRS_MAX], peer[VPN_CIDRS_MAX];
	const json_t *pcidrs;
	struct ctl_ip paddr;
	unsigned n_local = 0, n_peer = 0, i, j;
	size_t x;
	int rc;

	if ((rc = vpn_ref(v, auth, doc, "vpnservice_id", VPN_SERVICE, &svc, err,
			  type, type_len)) != 0 ||
	    (rc = vpn_ref(v, auth, doc, "ikepolicy_id", VPN_IKEPOLICY, &ike,
			  err, type, type_len)) != 0 ||
	    (rc = vpn_ref(v, auth, doc, "ipsecpolicy_id", VPN_IPSECPOLICY, &esp,
			  err, type, type_len)) != 0 ||
	    (rc = vpn_ref(v, auth, doc, "local_ep_group_id", VPN_EPG, &lepg,
			  err, type, type_len)) != 0 ||
	    (rc = vpn_ref(v, auth, doc, "peer_ep_group_id", VPN_EPG, &pepg, err,
			  type, type_len)) != 0) {
		goto out;
	}
	type[0] = '\0';
	if (lepg != NULL &&
	    strcmp(json_string_value(json_object_get(lepg, "type")),
		   "subnet")) {
		rc = ctl_err_set(err, CTL_E_BAD_REQUEST,
				 "The local endpoint group must be of type "
				 "subnet.");
		goto out;
	}
	if (pepg != NULL &&
	    strcmp(json_string_value(json_object_get(pepg, "type")), "cidr")) {
		rc = ctl_err_set(err, CTL_E_BAD_REQUEST,
				 "The peer endpoint group must be of type "
				 "cidr.");
		goto out;
	}
	ipam_ip_parse(json_string_value(json_object_get(doc, "peer_address")),
		      &paddr);
	if (json_is_null(json_object_get(svc, paddr.family == 4
						      ? "external_v4_ip"
						      : "external_v6_ip"))) {
		rc = ctl_err_set(err, CTL_E_BAD_REQUEST,
				 "peer_address is IPv%d but the VPN service's "
				 "router has no IPv%d external gateway.",
				 paddr.family, paddr.family);
		goto out;
	}
	rc = vpn_local_prefixes(v, svc, lepg, local, &n_local);
	if (rc != 0) {
		rc = ctl_err_set(err, CTL_E_INTERNAL, "The store failed.");
		goto out;
	}
	if (n_local == 0) {
		rc = ctl_err_set(err, CTL_E_BAD_REQUEST,
				 "No local subnet: attach a subnet to the VPN "
				 "service's router or name one in the local "
				 "endpoint group.");
		goto out;
	}
	pcidrs = pepg != NULL ? json_object_get(pepg, "endpoints")
			      : json_object_get(doc, "peer_cidrs");
	for (x = 0; x < json_array_size(pcidrs) && n_peer < VPN_CIDRS_MAX; x++)
		if (vpn_model_cidr(json_string_value(json_array_get(pcidrs, x)),
				   &peer[n_peer]) == 0)
			n_peer++;
	for (i = 0; i < n_peer; i++) {
		for (j = 0; j < n_local; j++) {
			if (ipam_prefix_overlaps(&peer[i], &local[j])) {
				rc = ctl_err_set(err, CTL_E_BAD_REQUEST,
						 "A peer CIDR overlaps a local "
						 "subnet of the connection.");
				goto out;
			}
		}
	}
out:
	json_decref(svc);
	json_decref(ike);
	json_decref(esp);
	json_decref(lepg);
	json_decref(pepg);
	return rc;
}

/* Kind-specific checks of a decoded object before it is stored. */
static int
vpn_check(struct vpn_api *v, const struct ctl_auth *auth, enum vpn_kind k,
	  json_t *doc, bool is_new, struct ctl_err *err, char *type,
	  size_t type_len)
{
	type[0] = '\0';
	switch (k) {
	case VPN_SERVICE:
		return is_new ? vpn_check_service(v, auth, doc, err, type,
						  type_len)
			      : 0;
	case VPN_EPG:
		return is_new ? vpn_check_epg(v, auth, doc, err) : 0;
	case VPN_CONN:
		return vpn_check_conn(v, auth, doc, err, type, type_len);
	default:
		return 0;
	}
}

/* Read a request body and find the inner object. New reference or NULL. */
static json_t *
vpn_body(const struct http_request *req, enum vpn_kind k, json_t **inner,
	 struct ctl_err *err)
{
	json_error_t jerr;
	json_t *j;

	*inner = NULL;
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
	*inner = json_object_get(j, vpn_kind_singular(k));
	if (json_object_size(j) != 1 || !json_is_object(*inner)) {
		ctl_err_set(err, CTL_E_BAD_REQUEST,
			    "Unable to find '%s' in request body",
			    vpn_kind_singular(k));
		json_decref(j);
		*inner = NULL;
		return NULL;
	}
	return j;
}

/* Store doc in one transaction; 0 or -errno with err set. */
static int
vpn_write(struct vpn_api *v, enum vpn_kind k, const json_t *doc,
	  const char *psk, bool is_new, struct ctl_err *err)
{
	int rc;

	rc = store_begin(v->st);
	if (rc == 0)
		rc = vpn_store_put(v->st, k, doc, psk, is_new);
	if (rc == 0)
		rc = store_commit(v->st);
	if (rc != 0) {
		store_rollback(v->st);
		if (rc == -EEXIST)
			return ctl_err_set(
				err, CTL_E_CONFLICT, "%s %.64s already exists",
				vpn_api_names[k],
				json_string_value(json_object_get(doc, "id")));
		return ctl_err_set(err, CTL_E_INTERNAL,
				   "The store failed (%d).", rc);
	}
	return 0;
}

static void
vpn_notify(struct vpn_api *v, enum vpn_kind k, const char *id)
{
	if (v->changed != NULL)
		v->changed(v->changed_arg, k, id);
}

static void
vpn_create(struct vpn_api *v, const struct ctl_auth *auth, enum vpn_kind k,
	   const struct http_request *req, struct http_response *resp)
{
	char psk[VPN_PSK_MAX + 1], id[CTL_UUID_LEN + 1], type[48] = "";
	const char *proj;
	struct ctl_err err;
	json_t *body, *inner, *doc = NULL;
	bool has_psk = false;

	body = vpn_body(req, k, &inner, &err);
	if (body == NULL)
		goto fail;
	if (vpn_model_decode(k, inner, NULL, &doc, psk, &has_psk, &err) != 0)
		goto fail;
	proj = json_string_value(json_object_get(doc, "project_id"));
	if (proj != NULL && !auth->is_admin &&
	    strcmp(proj, auth->project_id) != 0) {
		ctl_err_set(&err, CTL_E_FORBIDDEN,
			    "A project may only create its own objects.");
		goto fail;
	}
	if (proj == NULL) {
		json_object_set_new(doc, "project_id",
				    json_string(auth->project_id));
		json_object_set_new(doc, "tenant_id",
				    json_string(auth->project_id));
	}
	model_uuid_new(id);
	json_object_set_new(doc, "id", json_string(id));
	if (vpn_check(v, auth, k, doc, true, &err, type, sizeof(type)) != 0)
		goto fail;
	if (vpn_write(v, k, doc, has_psk ? psk : NULL, true, &err) != 0)
		goto fail;
	explicit_bzero(psk, sizeof(psk));
	json_decref(body);
	log_info("vpn", "created %s %s", vpn_kind_singular(k), id);
	vpn_notify(v, k, id);
	vpn_json(resp, 201, json_pack("{so}", vpn_kind_singular(k), doc));
	return;

fail:
	explicit_bzero(psk, sizeof(psk));
	json_decref(doc);
	json_decref(body);
	vpn_error(v, resp, &err, type[0] != '\0' ? type : NULL);
}

static void
vpn_update(struct vpn_api *v, const struct ctl_auth *auth, enum vpn_kind k,
	   const char *id, const struct http_request *req,
	   struct http_response *resp)
{
	char psk[VPN_PSK_MAX + 1], type[48] = "";
	struct ctl_err err;
	json_t *body, *inner, *old = NULL, *doc = NULL;
	bool has_psk = false;

	body = vpn_body(req, k, &inner, &err);
	if (body == NULL)
		goto fail;
	if (vpn_get(v, auth, k, id, &old, &err, type, sizeof(type)) != 0)
		goto fail;
	if (vpn_model_decode(k, inner, old, &doc, psk, &has_psk, &err) != 0)
		goto fail;
	if (vpn_check(v, auth, k, doc, false, &err, type, sizeof(type)) != 0)
		goto fail;
	if (vpn_write(v, k, doc, has_psk ? psk : NULL, false, &err) != 0)
		goto fail;
	explicit_bzero(psk, sizeof(psk));
	json_decref(old);
	json_decref(body);
	log_info("vpn", "updated %s %s", vpn_kind_singular(k), id);
	vpn_notify(v, k, id);
	vpn_json(resp, 200, json_pack("{so}", vpn_kind_singular(k), doc));
	return;

fail:
	explicit_bzero(psk, sizeof(psk));
	json_decref(old);
	json_decref(doc);
	json_decref(body);
	vpn_error(v, resp, &err, type[0] != '\0' ? type : NULL);
}

/* Is object id of kind k still named by a connection? */
struct vpn_use {
	enum vpn_kind k;
	const char *id;
	char by[CTL_UUID_LEN + 1];
};

static int
vpn_use_cb(void *arg, const json_t *doc)
{
	static const char *const attrs[VPN_KIND_COUNT][2] = {
		[VPN_IKEPOLICY] = {"ikepolicy_id", NULL},
		[VPN_IPSECPOLICY] = {"ipsecpolicy_id", NULL},
		[VPN_SERVICE] = {"vpnservice_id", NULL},
		[VPN_EPG] = {"local_ep_group_id", "peer_ep_group_id"},
	};
	struct vpn_use *u = arg;
	unsigned i;

	for (i = 0; i < 2 && attrs[u->k][i] != NULL; i++) {
		const char *ref =
			json_string_value(json_object_get(doc, attrs[u->k][i]));

		if (ref != NULL && strcmp(ref, u->id) == 0) {
			snprintf(u->by, sizeof(u->by), "%s",
				 json_string_value(json_object_get(doc, "id")));
			return 1;
		}
	}
	return 0;
}

static void
vpn_delete(struct vpn_api *v, const struct ctl_auth *auth, enum vpn_kind k,
	   const char *id, struct http_response *resp)
{
	struct vpn_use u = {.k = k, .id = id};
	char type[48] = "";
	struct ctl_err err;
	json_t *old = NULL;
	int rc;

	if (vpn_get(v, auth, k, id, &old, &err, type, sizeof(type)) != 0)
		goto fail;
	if (k != VPN_CONN) {
		rc = vpn_store_foreach(v->st, VPN_CONN, vpn_use_cb, &u);
		if (rc == 1) {
			ctl_err_set(&err, CTL_E_CONFLICT,
				    "%s %.64s is still in use by ipsec site "
				    "connection %s",
				    vpn_api_names[k], id, u.by);
			snprintf(type, sizeof(type), "%sInUse",
				 vpn_api_names[k]);
			goto fail;
		}
	}
	rc = store_begin(v->st);
	if (rc == 0)
		rc = vpn_store_del(v->st, k, id);
	if (rc == 0)
		rc = store_commit(v->st);
	if (rc != 0) {
		store_rollback(v->st);
		ctl_err_set(&err, CTL_E_INTERNAL, "The store failed (%d).", rc);
		goto fail;
	}
	json_decref(old);
	log_info("vpn", "deleted %s %s", vpn_kind_singular(k), id);
	vpn_notify(v, k, id);
	resp->status = 204;
	return;

fail:
	json_decref(old);
	vpn_error(v, resp, &err, type[0] != '\0' ? type : NULL);
}

void
vpn_api_handle(struct vpn_api *v, const struct ctl_auth *auth,
	       const struct http_request *req, char *const *seg, int n,
	       struct http_response *resp)
{
	const char *m = req->method;
	struct ctl_err err;
	enum vpn_kind k;

	if (n < 1 || n > 2 || vpn_kind_from_plural(seg[0], &k) != 0) {
		ctl_err_set(&err, CTL_E_NOT_FOUND,
			    "The resource could not be found.");
		vpn_error(v, resp, &err, NULL);
		return;
	}
	if (n == 1 && strcmp(m, "GET") == 0)
		vpn_list(v, auth, k, req, resp);
	else if (n == 1 && strcmp(m, "POST") == 0)
		vpn_create(v, auth, k, req, resp);
	else if (n == 2 && strcmp(m, "GET") == 0)
		vpn_show(v, auth, k, seg[1], req, resp);
	else if (n == 2 && strcmp(m, "PUT") == 0)
		vpn_update(v, auth, k, seg[1], req, resp);
	else if (n == 2 && strcmp(m, "DELETE") == 0)
		vpn_delete(v, auth, k, seg[1], resp);
	else {
		ctl_err_set(&err, CTL_E_METHOD_NOT_ALLOWED,
			    "Method %.16s not allowed.", m);
		vpn_error(v, resp, &err, NULL);
	}
}
