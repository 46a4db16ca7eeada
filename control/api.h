/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * api.h: the REST front of sluiced for the Neutron v2.0 core. It routes a
 * request (http.h), authenticates it (no auth for local use, or an admin
 * token and per-project tokens), decodes the body with model.h, calls one
 * ctl.h service function, and encodes the answer or a NeutronError body.
 * List requests go through query.h (filters, fields, sorting, pages).
 *
 * Served: GET / (version discovery), GET /v2.0/, /v2.0/extensions[/alias],
 * and /v2.0/{networks,subnets,ports}[/{id}[/tags[/{tag}]]]; plus GET
 * /projects[/{id}], a minimal identity shim so that the CLI's --project
 * works without Keystone.
 *
 * Concurrency: single-threaded (the event loop).
 */
#ifndef SLUICE_API_H
#define SLUICE_API_H

#include <stddef.h>

#include "ctl.h"
#include "http.h"

enum api_auth_mode {
	API_AUTH_NONE,	/* every caller is the admin (local use) */
	API_AUTH_TOKEN, /* X-Auth-Token: admin or project token */
};

#define API_TOKEN_MAX 128 /* chars of a token */

struct api_token {
	char project_id[CTL_PROJECT_MAX + 1];
	char token[API_TOKEN_MAX + 1];
};

struct api_config {
	enum api_auth_mode auth;
	const char *admin_token;	/* API_AUTH_TOKEN */
	const struct api_token *tokens; /* project tokens */
	size_t n_tokens;
	const char *default_project; /* project of the admin's creates */
	const char *self_url;	     /* base URL when no Host header */
	struct vpn_api *vpn; /* /v2.0/vpn/ (vpn_api.h); NULL: not served */
	struct lbaas *lbaas; /* /v2.0/lbaas/ (lbaas.h); NULL: not served */
};

struct api;
struct vpn_api;
struct lbaas;

/*
 * Create the API over ctl (borrowed). cfg and what it points to are
 * borrowed and must outlive the api. 0 or -ENOMEM.
 */
int api_create(struct ctl *ctl, const struct api_config *cfg, struct api **out);
/* Accepts NULL. */
void api_destroy(struct api *a);

/* The http_handler_fn: answer one request (arg is the struct api). */
void api_handle(void *arg, const struct http_request *req,
		struct http_response *resp);

/* Requests answered with a 4xx so far. */
unsigned long api_client_errors(const struct api *a);

#endif /* SLUICE_API_H */
