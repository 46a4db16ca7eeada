// SPDX-License-Identifier: BSD-2-Clause
/*
 * http.c: libmicrohttpd under libevent (see http.h). MHD runs in its
 * external epoll mode: we watch MHD's epoll descriptor with one persistent
 * libevent read event, call MHD_run() when it is readable or when the
 * timer from MHD_get_timeout() fires, and re-arm the timer after each run
 * (MHD reports a zero timeout while it still has buffered work).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <microhttpd.h>

#include "http.h"
#include "log.h"

struct http {
	struct MHD_Daemon *d;
	struct event *ev_io;
	struct event *ev_timer;
	http_handler_fn handler;
	void *arg;
	bool is_tls;
	unsigned port;
	unsigned long rejected;
};

/* Per-request state: the body as it arrives. */
struct http_conn {
	char *body;
	size_t len;
	size_t cap;
	bool is_too_large;
};

/* Collected query arguments. */
struct http_args {
	struct query_arg v[HTTP_ARGS_MAX];
	size_t n;
	bool is_overflow;
};

static enum MHD_Result
http_arg_cb(void *cls, enum MHD_ValueKind kind, const char *key,
	    const char *value)
{
	struct http_args *a = cls;

	(void)kind;
	if (a->n >= HTTP_ARGS_MAX) {
		a->is_overflow = true;
		return MHD_NO;
	}
	a->v[a->n].key = key;
	a->v[a->n].value = value != NULL ? value : "";
	a->n++;
	return MHD_YES;
}

static enum MHD_Result
http_send(struct MHD_Connection *conn, struct http_response *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (r->body != NULL)
		resp = MHD_create_response_from_buffer(r->body_len, r->body,
						       MHD_RESPMEM_MUST_FREE);
	else
		resp = MHD_create_response_from_buffer(0, (void *)"",
						       MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(r->body);
		return MHD_NO;
	}
	if (r->body != NULL)
		MHD_add_response_header(resp, "Content-Type",
					"application/json");
	ret = MHD_queue_response(conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static char *
http_error_body(const char *type, const char *msg, size_t *len)
{
	char *s = NULL;
	int n = asprintf(&s,
			 "{\"NeutronError\": {\"type\": \"%s\", "
			 "\"message\": \"%s\", \"detail\": \"\"}}",
			 type, msg);

	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return s;
}

static enum MHD_Result
http_access(void *cls, struct MHD_Connection *conn, const char *url,
	    const char *method, const char *version, const char *upload,
	    size_t *upload_size, void **con_cls)
{
	struct http *h = cls;
	struct http_conn *c = *con_cls;
	struct http_response resp = {0};
	struct http_request req;
	struct http_args *args;

	(void)version;
	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			return MHD_NO;
		*con_cls = c;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		size_t n = *upload_size;

		*upload_size = 0;
		if (c->is_too_large || c->len + n > HTTP_BODY_MAX) {
			c->is_too_large = true;
			return MHD_YES;
		}
		if (c->len + n + 1 > c->cap) {
			size_t ncap = (c->len + n + 1) * 2;
			char *nb = realloc(c->body, ncap);

			if (nb == NULL)
				return MHD_NO;
			c->body = nb;
			c->cap = ncap;
		}
		memcpy(c->body + c->len, upload, n);
		c->len += n;
		c->body[c->len] = '\0';
		return MHD_YES;
	}
	if (c->is_too_large) {
		h->rejected++;
		resp.status = 413;
		resp.body = http_error_body("RequestEntityTooLarge",
					    "Request body too large.",
					    &resp.body_len);
		return http_send(conn, &resp);
	}
	args = calloc(1, sizeof(*args));
	if (args == NULL)
		return MHD_NO;
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, http_arg_cb,
				  args);
	if (args->is_overflow) {
		h->rejected++;
		free(args);
		resp.status = 400;
		resp.body = http_error_body("HTTPBadRequest",
					    "Too many query arguments.",
					    &resp.body_len);
		return http_send(conn, &resp);
	}
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = url;
	req.args = args->v;
	req.n_args = args->n;
	req.token = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						"X-Auth-Token");
	req.if_match =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-Match");
	req.host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	req.is_tls = h->is_tls;
	req.body = c->body != NULL ? c->body : "";
	req.body_len = c->len;
	h->handler(h->arg, &req, &resp);
	free(args);
	return http_send(conn, &resp);
}

static void
http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	       enum MHD_RequestTerminationCode toe)
{
	struct http_conn *c = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (c != NULL) {
		free(c->body);
		free(c);
		*con_cls = NULL;
	}
}

/* Run MHD and re-arm the timer from its timeout. */
static void
http_run(struct http *h)
{
	MHD_UNSIGNED_LONG_LONG ms = 0;
	struct timeval tv;

	MHD_run(h->d);
	if (MHD_get_timeout(h->d, &ms) == MHD_YES) {
		if (ms > 60000)
			ms = 60000;
		tv.tv_sec = (time_t)(ms / 1000);
		tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
		evtimer_add(h->ev_timer, &tv);
	} else {
		evtimer_del(h->ev_timer);
	}
}

static void
http_on_io(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	http_run(arg);
}

/* Parse "a.b.c.d:port" or "[v6]:port" into ss. */
static int
http_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len,
		  bool *is_v6)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *hs = s;
	size_t hl;
	char *end;
	unsigned long port;

	memset(ss, 0, sizeof(*ss));
	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			return -EINVAL;
		hs = s + 1;
		hl = (size_t)(rb - hs);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -EINVAL;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl > INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port > 65535)
		return -EINVAL;
	if (*s == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
		*is_v6 = true;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*len = sizeof(*a);
		*is_v6 = false;
	}
	return 0;
}

static void http_mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void
http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	log_debug("http", "mhd: %s", buf);
}

int
http_create(struct event_base *base, const struct http_config *cfg,
	    http_handler_fn handler, void *arg, struct http **out)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	socklen_t sl;
	bool is_v6 = false;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	struct http *h;
	int rc = -EIO;

	if (http_parse_listen(cfg->listen, &ss, &sl, &is_v6) != 0) {
		log_error("http", "listen address %s: not ADDR:PORT",
			  cfg->listen);
		return -EINVAL;
	}
	if (cfg->tls_cert_pem != NULL &&
	    MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		log_error("http", "TLS configured but libmicrohttpd has no "
				  "TLS support");
		return -EINVAL;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	h->handler = handler;
	h->arg = arg;
	h->is_tls = cfg->tls_cert_pem != NULL;
	if (is_v6)
		flags |= MHD_USE_IPv6;
	if (h->is_tls)
		flags |= MHD_USE_TLS;
	if (h->is_tls)
		h->d = MHD_start_daemon(
			flags, 0, NULL, NULL, http_access, h,
			MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, h,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			MHD_OPTION_NOTIFY_COMPLETED, http_completed, h,
			MHD_OPTION_CONNECTION_LIMIT,
			cfg->max_connections ? cfg->max_connections : 256u,
			MHD_OPTION_CONNECTION_TIMEOUT, 60u,
			MHD_OPTION_HTTPS_MEM_CERT, cfg->tls_cert_pem,
			MHD_OPTION_HTTPS_MEM_KEY, cfg->tls_key_pem,
			MHD_OPTION_END);
	else
		h->d = MHD_start_daemon(
			flags, 0, NULL, NULL, http_access, h,
			MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, h,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			MHD_OPTION_NOTIFY_COMPLETED, http_completed, h,
			MHD_OPTION_CONNECTION_LIMIT,
			cfg->max_connections ? cfg->max_connections : 256u,
			MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
	if (h->d == NULL) {
		log_error("http",
			  "cannot listen on %s (address in use, or "
			  "bad TLS certificate/key)",
			  cfg->listen);
		rc = -EADDRINUSE;
		goto fail_daemon;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL)
		goto fail_info;
	h->ev_io = event_new(base, info->epoll_fd, EV_READ | EV_PERSIST,
			     http_on_io, h);
	h->ev_timer = evtimer_new(base, http_on_io, h);
	if (h->ev_io == NULL || h->ev_timer == NULL ||
	    event_add(h->ev_io, NULL) != 0)
		goto fail_events;
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info != NULL ? info->port : 0;
	http_run(h);
	*out = h;
	return 0;

fail_events:
	if (h->ev_io)
		event_free(h->ev_io);
	if (h->ev_timer)
		event_free(h->ev_timer);
fail_info:
	MHD_stop_daemon(h->d);
fail_daemon:
	free(h);
	return rc;
}

void
http_destroy(struct http *h)
{
	if (h == NULL)
		return;
	event_free(h->ev_io);
	event_free(h->ev_timer);
	MHD_stop_daemon(h->d);
	free(h);
}

unsigned
http_port(const struct http *h)
{
	return h->port;
}

unsigned long
http_rejected(const struct http *h)
{
	return h->rejected;
}
