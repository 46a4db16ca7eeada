/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * http.h: the HTTP(S) server of sluiced: libmicrohttpd in its external
 * epoll mode, driven from the daemon's libevent loop (no MHD threads).
 * MHD's epoll descriptor is one libevent read event; MHD_get_timeout()
 * arms one libevent timer. Each complete request (headers, query
 * arguments and the whole body, up to HTTP_BODY_MAX) is handed to one
 * handler function, which answers synchronously; the response is queued
 * only after the handler returns, so a write the handler committed is
 * durable before the client sees its answer.
 *
 * Concurrency: single-threaded (the event loop).
 */
#ifndef SLUICE_HTTP_H
#define SLUICE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "query.h"

struct event_base;
struct http;

#define HTTP_BODY_MAX (1u << 20) /* larger bodies get 413 */
#define HTTP_ARGS_MAX 128	 /* more query arguments get 400 */

/* A request; every pointer is borrowed for the handler call. */
struct http_request {
	const char *method;
	const char *path;	      /* decoded, without the query */
	const struct query_arg *args; /* query arguments, in order */
	size_t n_args;
	const char *token;    /* X-Auth-Token or NULL */
	const char *if_match; /* If-Match or NULL */
	const char *host;     /* Host or NULL */
	bool is_tls;
	const char *body; /* NUL-terminated */
	size_t body_len;
};

/* A response; body is malloc'ed by the handler, freed by http.c. */
struct http_response {
	int status;
	char *body; /* NULL: empty */
	size_t body_len;
};

typedef void (*http_handler_fn)(void *arg, const struct http_request *req,
				struct http_response *resp);

struct http_config {
	const char *listen;	  /* "127.0.0.1:9696", "[::1]:9696" */
	const char *tls_cert_pem; /* PEM text or NULL: plain HTTP */
	const char *tls_key_pem;
	unsigned max_connections; /* 0: 256 */
};

/*
 * Bind and start serving on base (borrowed). handler/arg are borrowed
 * and called from the loop. 0, -EINVAL (bad address, TLS unsupported),
 * -EADDRINUSE or -EIO; the reason is logged.
 */
int http_create(struct event_base *base, const struct http_config *cfg,
		http_handler_fn handler, void *arg, struct http **out);
/* Stop listening, drop connections. Accepts NULL. */
void http_destroy(struct http *h);
/* The bound port (useful with port 0). */
unsigned http_port(const struct http *h);
/* Requests refused for a malformed request (too large, too many args). */
unsigned long http_rejected(const struct http *h);

#endif /* SLUICE_HTTP_H */
