// SPDX-License-Identifier: BSD-2-Clause
/*
 * health.c: the health monitor probes (see health.h). One struct
 * health_tgt per member: a persistent delay timer starts a probe; a probe
 * owns one non-blocking socket, one I/O event and one deadline timer, and
 * ends in health_done() with success or a counted failure reason. At its
 * deadline, health_expire() first runs the probe on what its socket
 * already holds, then counts a timeout unless the prober itself was
 * starved (HEALTH_STARVED_*).
 *
 * Probes by type:
 *   PING         ICMP echo on a raw socket (ICMPv6 for v6), falling back
 *                to an unprivileged ICMP datagram socket; a reply whose
 *                identifier and sequence match ends it (RFC 792).
 *   TCP          connect() completes.
 *   HTTP(S)      connect, [TLS handshake,] "METHOD path HTTP/1.x" with a
 *                Host header, then the status line's code must match
 *                expected_codes (RFC 9112 section 4).
 *   TLS-HELLO    connect and a completed TLS handshake (no certificate
 *                verification: members commonly use self-signed ones).
 *   UDP-CONNECT  one datagram on a connected UDP socket; an ICMP port
 *                unreachable surfaces as ECONNREFUSED and is down; a reply
 *                or silence until timeout is up (as Octavia's UDP-CONNECT).
 */
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "health.h"
#include "lb_model.h"
#include "log.h"

#define HEALTH_BUF_MAX 512 /* bytes of a reply kept for parsing */
/*
 * A timed out probe whose prober lost at least 1/HEALTH_STARVED_DIV of
 * its timeout, and HEALTH_STARVED_MIN_MS, to a starved loop (its
 * deadline ran that late, or its thread waited that long for a CPU) is
 * not counted, at most HEALTH_STARVED_MAX times between two successes
 * (docs/lbaas.md, "Decisions": a starved prober).
 */
#define HEALTH_STARVED_DIV 4
#define HEALTH_STARVED_MIN_MS 20
#define HEALTH_STARVED_MAX 1
/* Non-blocking passes over a probe's socket when its timeout fires. */
#define HEALTH_EXPIRE_PASSES 4

enum health_phase {
	HEALTH_IDLE,
	HEALTH_CONNECTING,
	HEALTH_TLS,
	HEALTH_SENDING,
	HEALTH_READING,
};

/* One monitored member. Concurrency: the event loop only. */
struct health_tgt {
	struct health *h;
	struct health_target t;
	enum health_state state;
	unsigned n_ok;	    /* consecutive successes */
	unsigned n_fail;    /* consecutive failures */
	unsigned n_excused; /* starved timeouts not counted since a success */
	bool is_stale;
	bool has_fail;		    /* a probe failed since health_set() */
	enum health_fail last_fail; /* its reason (has_fail) */
	int64_t last_fail_at;	    /* and when, seconds since the epoch */
	struct event *timer;	    /* every delay: start a probe */
	/* The probe in flight. */
	enum health_phase phase;
	int fd;
	SSL *ssl;
	struct event *io;
	struct event *deadline;
	int64_t open_ns;    /* CLOCK_MONOTONIC when the socket was opened */
	int64_t open_rq_ns; /* the loop thread's run-queue wait then, or -1 */
	uint16_t echo_id;
	uint16_t echo_seq;
	char req[HEALTH_PATH_MAX + HEALTH_PATH_MAX + 96];
	size_t req_len;
	size_t req_sent;
	char buf[HEALTH_BUF_MAX];
	size_t buf_len;
};

struct health {
	struct event_base *base;
	health_change_fn fn;
	void *arg;
	SSL_CTX *tls;
	int self_ns;	  /* the daemon's own network namespace */
	int schedstat_fd; /* the loop thread's schedstat, or -1 */
	struct health_tgt **tgts;
	size_t n_tgts;
	size_t cap_tgts;
	uint16_t next_echo_id;
	struct health_stats stats;
};

static void health_probe_start(evutil_socket_t fd, short what, void *arg);
static void health_io(evutil_socket_t fd, short what, void *arg);

int
health_create(struct event_base *base, health_change_fn fn, void *arg,
	      struct health **out)
{
	struct health *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return -ENOMEM;
	h->base = base;
	h->fn = fn;
	h->arg = arg;
	h->next_echo_id = (uint16_t)(getpid() & 0xffff);
	h->tls = SSL_CTX_new(TLS_client_method());
	if (h->tls == NULL)
		goto fail_tls;
	SSL_CTX_set_verify(h->tls, SSL_VERIFY_NONE, NULL);
	h->self_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	/* Absent without CONFIG_SCHED_INFO: lateness alone is measured. */
	h->schedstat_fd =
		open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	*out = h;
	return 0;

fail_tls:
	free(h);
	return -EIO;
}

/* End the probe in flight, if any, without a verdict. */
static void
health_probe_clear(struct health_tgt *g)
{
	if (g->ssl != NULL) {
		SSL_free(g->ssl);
		g->ssl = NULL;
	}
	if (g->io != NULL) {
		event_free(g->io);
		g->io = NULL;
	}
	if (g->deadline != NULL)
		event_del(g->deadline);
	if (g->fd >= 0) {
		close(g->fd);
		g->fd = -1;
	}
	g->phase = HEALTH_IDLE;
}

static void
health_tgt_free(struct health_tgt *g)
{
	health_probe_clear(g);
	if (g->timer != NULL)
		event_free(g->timer);
	if (g->deadline != NULL)
		event_free(g->deadline);
	free(g);
}

void
health_destroy(struct health *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n_tgts; i++)
		health_tgt_free(h->tgts[i]);
	free(h->tgts);
	SSL_CTX_free(h->tls);
	if (h->self_ns >= 0)
		close(h->self_ns);
	if (h->schedstat_fd >= 0)
		close(h->schedstat_fd);
	free(h);
}

static struct health_tgt *
health_find(const struct health *h, const char *id, size_t *idx)
{
	size_t i;

	for (i = 0; i < h->n_tgts; i++) {
		if (strcmp(h->tgts[i]->t.id, id) == 0) {
			if (idx != NULL)
				*idx = i;
			return h->tgts[i];
		}
	}
	return NULL;
}

enum health_state
health_get(const struct health *h, const char *id)
{
	const struct health_tgt *g = health_find(h, id, NULL);

	return g != NULL ? g->state : HEALTH_UNKNOWN;
}

void
health_get_stats(const struct health *h, struct health_stats *out)
{
	*out = h->stats;
}

int
health_each(const struct health *h, health_each_fn fn, void *arg)
{
	struct health_info info;
	size_t i;
	int rc;

	for (i = 0; i < h->n_tgts; i++) {
		const struct health_tgt *g = h->tgts[i];

		info.t = &g->t;
		info.state = g->state;
		info.n_ok = g->n_ok;
		info.n_fail = g->n_fail;
		info.has_fail = g->has_fail;
		info.last_fail = g->last_fail;
		info.last_fail_at = g->last_fail_at;
		rc = fn(arg, &info);
		if (rc != 0)
			return rc;
	}
	return 0;
}

const char *
health_fail_name(enum health_fail why)
{
	static const char *const names[HEALTH_FAIL__COUNT] = {
		[HEALTH_FAIL_TIMEOUT] = "timeout",
		[HEALTH_FAIL_REFUSED] = "refused",
		[HEALTH_FAIL_SOCKET] = "socket",
		[HEALTH_FAIL_TLS] = "tls",
		[HEALTH_FAIL_HTTP_PARSE] = "http_parse",
		[HEALTH_FAIL_HTTP_CODE] = "http_code",
		[HEALTH_FAIL_ICMP] = "icmp",
	};

	return (unsigned)why < HEALTH_FAIL__COUNT && names[why] != NULL
		       ? names[why]
		       : "?";
}

const char *
health_state_name(enum health_state st)
{
	switch (st) {
	case HEALTH_UNKNOWN:
		return "UNKNOWN";
	case HEALTH_UP:
		return "UP";
	case HEALTH_DOWN:
		return "DOWN";
	}
	return "?";
}

/* The Octavia names of the monitor types, both ways. */
static const char *const health_types[] = {
	[HEALTH_PING] = "PING",		  [HEALTH_TCP] = "TCP",
	[HEALTH_HTTP] = "HTTP",		  [HEALTH_HTTPS] = "HTTPS",
	[HEALTH_TLS_HELLO] = "TLS-HELLO", [HEALTH_UDP_CONNECT] = "UDP-CONNECT",
};

_Static_assert(sizeof(health_types) / sizeof(health_types[0]) ==
		       HEALTH_UDP_CONNECT + 1,
	       "a name for each monitor type");

const char *
health_type_name(enum health_type type)
{
	if ((unsigned)type >= sizeof(health_types) / sizeof(health_types[0]))
		return "?";
	return health_types[type];
}

int
health_type_parse(const char *name, enum health_type *type)
{
	for (unsigned i = 0; i < sizeof(health_types) / sizeof(health_types[0]);
	     i++)
		if (strcmp(name, health_types[i]) == 0) {
			*type = (enum health_type)i;
			return 0;
		}
	return -1;
}

static void
health_tv(struct timeval *tv, unsigned ms)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

/* Record a verdict, move the state, tell the owner. */
static void
health_done(struct health_tgt *g, bool is_ok, enum health_fail why)
{
	struct health *h = g->h;
	enum health_state old = g->state;

	health_probe_clear(g);
	if (is_ok) {
		h->stats.ok++;
		g->n_fail = 0;
		g->n_excused = 0;
		g->n_ok++;
		if (g->state == HEALTH_UNKNOWN ||
		    (g->state == HEALTH_DOWN && g->n_ok >= g->t.rise))
			g->state = HEALTH_UP;
	} else {
		h->stats.fail[why]++;
		g->n_ok = 0;
		g->n_fail++;
		g->has_fail = true;
		g->last_fail = why;
		g->last_fail_at = (int64_t)time(NULL);
		/*
		 * fall failures in a row, from UNKNOWN too: the first probes
		 * of a new monitor leave before its probe namespace's port
		 * reaches the datapath and time out, and one of them took
		 * every member of a serving pool out (all new connections
		 * dropped) until rise probes had passed.
		 */
		if (g->state != HEALTH_DOWN && g->n_fail >= g->t.fall)
			g->state = HEALTH_DOWN;
	}
	if (g->state != old && h->fn != NULL)
		h->fn(h->arg, &g->t, g->state);
}

static int
health_wait(struct health_tgt *g, short what)
{
	if (g->io != NULL)
		event_free(g->io);
	g->io = event_new(g->h->base, g->fd, what, health_io, g);
	if (g->io == NULL || event_add(g->io, NULL) != 0)
		return -ENOMEM;
	return 0;
}

/* A non-blocking socket in the target's namespace. -errno on failure. */
static int
health_socket(struct health *h, int netns_fd, int domain, int type, int proto)
{
	int fd, err;

	if (netns_fd < 0) {
		fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
		return fd >= 0 ? fd : -errno;
	}
	if (h->self_ns < 0 || setns(netns_fd, CLONE_NEWNET) != 0)
		return -errno;
	fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	err = errno;
	if (setns(h->self_ns, CLONE_NEWNET) != 0) {
		/* Cannot return to our own namespace: every later socket
		 * would be made in the wrong one. */
		abort();
	}
	return fd >= 0 ? fd : -err;
}

/* RFC 1071 Internet checksum. */
static uint16_t
health_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static int
health_ping_send(struct health_tgt *g)
{
	bool is_v6 = g->t.addr.ss_family == AF_INET6;
	uint8_t pkt[16] = {0};
	int fd;

	fd = health_socket(g->h, g->t.netns_fd, g->t.addr.ss_family, SOCK_RAW,
			   is_v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	if (fd == -EPERM || fd == -EACCES)
		fd = health_socket(g->h, g->t.netns_fd, g->t.addr.ss_family,
				   SOCK_DGRAM,
				   is_v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	if (fd < 0)
		return fd;
	g->fd = fd;
	g->echo_id = g->h->next_echo_id++;
	g->echo_seq++;
	pkt[0] = is_v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
	pkt[4] = (uint8_t)(g->echo_id >> 8);
	pkt[5] = (uint8_t)g->echo_id;
	pkt[6] = (uint8_t)(g->echo_seq >> 8);
	pkt[7] = (uint8_t)g->echo_seq;
	memcpy(pkt + 8, "sluicehc", 8);
	if (!is_v6) {
		uint16_t c = health_csum(pkt, sizeof(pkt));

		memcpy(pkt + 2, &c, 2);
	} /* the kernel fills the ICMPv6 checksum */
	if (connect(fd, (const struct sockaddr *)&g->t.addr, g->t.addr_len) !=
		    0 ||
	    send(fd, pkt, sizeof(pkt), 0) != (ssize_t)sizeof(pkt))
		return -errno;
	return health_wait(g, EV_READ | EV_PERSIST);
}

/*
 * Check one received datagram for our echo reply. A raw IPv4 socket
 * gives the IP header first; ICMPv6 and datagram ICMP sockets do not (a
 * datagram socket also rewrites the identifier, so only the sequence is
 * compared there). Every length is checked before it is read.
 */
static bool
health_ping_match(const struct health_tgt *g, const uint8_t *p, size_t len)
{
	bool is_v6 = g->t.addr.ss_family == AF_INET6;
	size_t off = 0;
	int type;

	if (!is_v6 && len >= 20 && (p[0] >> 4) == 4) {
		off = (size_t)(p[0] & 0x0f) * 4;
		if (off < 20 || off > len)
			return false;
	}
	if (len - off < 8)
		return false;
	p += off;
	type = p[0];
	if (type != (is_v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY))
		return false;
	return ((uint16_t)(p[6] << 8 | p[7])) == g->echo_seq;
}

static int
health_ping_read(struct health_tgt *g)
{
	uint8_t p[256];
	ssize_t n;

	for (;;) {
		n = recv(g->fd, p, sizeof(p), 0);
		if (n < 0)
			return errno == EAGAIN ? -EAGAIN : -errno;
		if (health_ping_match(g, p, (size_t)n))
			return 0;
	}
}

static void
health_http_request(struct health_tgt *g)
{
	const char *host = g->t.host;
	char hostbuf[64];

	if (host[0] == '\0') {
		/* Host: the member address (RFC 9112 section 3.2). */
		if (g->t.addr.ss_family == AF_INET6) {
			char a[48];

			inet_ntop(
				AF_INET6,
				&((struct sockaddr_in6 *)&g->t.addr)->sin6_addr,
				a, sizeof(a));
			snprintf(hostbuf, sizeof(hostbuf), "[%s]", a);
		} else {
			inet_ntop(AF_INET,
				  &((struct sockaddr_in *)&g->t.addr)->sin_addr,
				  hostbuf, sizeof(hostbuf));
		}
		host = hostbuf;
	}
	g->req_len = (size_t)snprintf(
		g->req, sizeof(g->req),
		"%s %s HTTP/1.%u\r\nHost: %s\r\nUser-Agent: sluice-health\r\n"
		"Connection: close\r\n\r\n",
		g->t.method[0] ? g->t.method : "GET",
		g->t.path[0] ? g->t.path : "/", g->t.http_minor == 1 ? 1u : 0u,
		host);
	if (g->req_len >= sizeof(g->req))
		g->req_len = sizeof(g->req) - 1;
	g->req_sent = 0;
	g->buf_len = 0;
}

int
health_http_status_parse(const char *buf, size_t len, int *code)
{
	static const char prefix[] = "HTTP/";
	size_t i, n = sizeof(prefix) - 1;

	for (i = 0; i < n && i < len; i++) {
		if (buf[i] != prefix[i])
			return -EINVAL;
	}
	/* "HTTP/" DIGIT "." DIGIT SP 3DIGIT (RFC 9112 section 4). */
	if (len < 12)
		return -EAGAIN;
	if (buf[5] < '0' || buf[5] > '9' || buf[6] != '.' || buf[7] < '0' ||
	    buf[7] > '9' || buf[8] != ' ')
		return -EINVAL;
	for (i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -EINVAL;
	}
	if (len > 12 && buf[12] != ' ' && buf[12] != '\r')
		return -EINVAL;
	*code = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	return 0;
}

/* Check what was read so far: 1 done ok, 0 need more, <0 failed. */
static int
health_http_check(struct health_tgt *g, enum health_fail *why)
{
	int code, rc = health_http_status_parse(g->buf, g->buf_len, &code);

	if (rc == -EAGAIN)
		return 0;
	if (rc != 0) {
		*why = HEALTH_FAIL_HTTP_PARSE;
		return -EINVAL;
	}
	if (!lb_model_codes_match(g->t.codes[0] ? g->t.codes : "200", code)) {
		*why = HEALTH_FAIL_HTTP_CODE;
		return -EINVAL;
	}
	return 1;
}

/* Drive a TLS handshake/write/read: 0 to wait, 1 done, <0 failed. */
static int
health_tls_step(struct health_tgt *g, enum health_fail *why)
{
	int rc = 0, err;

	*why = HEALTH_FAIL_TLS;
	if (g->phase == HEALTH_TLS) {
		rc = SSL_do_handshake(g->ssl);
		if (rc == 1) {
			if (g->t.type == HEALTH_TLS_HELLO)
				return 1;
			g->phase = HEALTH_SENDING;
		}
	}
	if (g->phase == HEALTH_SENDING) {
		rc = SSL_write(g->ssl, g->req, (int)g->req_len);
		if (rc > 0)
			g->phase = HEALTH_READING;
	}
	if (g->phase == HEALTH_READING) {
		for (;;) {
			size_t room = sizeof(g->buf) - g->buf_len;

			rc = room > 0 ? SSL_read(g->ssl, g->buf + g->buf_len,
						 (int)room)
				      : 0;
			if (rc > 0) {
				g->buf_len += (size_t)rc;
				rc = health_http_check(g, why);
				if (rc != 0)
					return rc;
				continue;
			}
			if (room == 0 || SSL_get_error(g->ssl, rc) ==
						 SSL_ERROR_ZERO_RETURN) {
				/* Closed before a full status line. */
				*why = HEALTH_FAIL_HTTP_PARSE;
				return -EINVAL;
			}
			break;
		}
	}
	err = SSL_get_error(g->ssl, rc);
	if (err == SSL_ERROR_WANT_READ)
		return health_wait(g, EV_READ) == 0 ? 0 : -ENOMEM;
	if (err == SSL_ERROR_WANT_WRITE)
		return health_wait(g, EV_WRITE) == 0 ? 0 : -ENOMEM;
	if (g->phase == HEALTH_READING)
		*why = HEALTH_FAIL_HTTP_PARSE;
	ERR_clear_error();
	return -EIO;
}

/* Plain HTTP: write the request, read the status line. */
static int
health_http_step(struct health_tgt *g, enum health_fail *why)
{
	ssize_t n;
	int rc;

	*why = HEALTH_FAIL_SOCKET;
	while (g->phase == HEALTH_SENDING) {
		n = send(g->fd, g->req + g->req_sent, g->req_len - g->req_sent,
			 MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN)
			return health_wait(g, EV_WRITE) == 0 ? 0 : -ENOMEM;
		if (n <= 0)
			return -EIO;
		g->req_sent += (size_t)n;
		if (g->req_sent == g->req_len)
			g->phase = HEALTH_READING;
	}
	for (;;) {
		size_t room = sizeof(g->buf) - g->buf_len;

		if (room == 0) {
			*why = HEALTH_FAIL_HTTP_PARSE;
			return -EINVAL;
		}
		n = recv(g->fd, g->buf + g->buf_len, room, 0);
		if (n < 0 && errno == EAGAIN)
			return health_wait(g, EV_READ) == 0 ? 0 : -ENOMEM;
		if (n < 0) {
			*why = errno == ECONNREFUSED || errno == ECONNRESET
				       ? HEALTH_FAIL_REFUSED
				       : HEALTH_FAIL_SOCKET;
			return -EIO;
		}
		if (n == 0) {
			*why = HEALTH_FAIL_HTTP_PARSE;
			return -EINVAL;
		}
		g->buf_len += (size_t)n;
		rc = health_http_check(g, why);
		if (rc != 0)
			return rc;
	}
}

/* The connection is up: go on by type. 0 wait, 1 done, <0 failed. */
static int
health_connected(struct health_tgt *g, enum health_fail *why)
{
	switch (g->t.type) {
	case HEALTH_TCP:
		return 1;
	case HEALTH_HTTP:
		health_http_request(g);
		g->phase = HEALTH_SENDING;
		return health_http_step(g, why);
	case HEALTH_HTTPS:
	case HEALTH_TLS_HELLO:
		health_http_request(g);
		g->ssl = SSL_new(g->h->tls);
		if (g->ssl == NULL || SSL_set_fd(g->ssl, g->fd) != 1) {
			*why = HEALTH_FAIL_TLS;
			return -ENOMEM;
		}
		if (g->t.host[0] != '\0')
			SSL_set_tlsext_host_name(g->ssl, g->t.host);
		SSL_set_connect_state(g->ssl);
		g->phase = HEALTH_TLS;
		return health_tls_step(g, why);
	default:
		*why = HEALTH_FAIL_SOCKET;
		return -EINVAL;
	}
}

static void
health_io(evutil_socket_t fd, short what, void *arg)
{
	struct health_tgt *g = arg;
	enum health_fail why = HEALTH_FAIL_SOCKET;
	socklen_t len = sizeof(int);
	int rc, err = 0;
	char tmp[64];

	(void)fd;
	(void)what;
	switch (g->t.type) {
	case HEALTH_PING:
		rc = health_ping_read(g);
		if (rc == -EAGAIN)
			return;
		if (rc != 0)
			why = HEALTH_FAIL_ICMP;
		health_done(g, rc == 0, why);
		return;
	case HEALTH_UDP_CONNECT:
		/* A reply is up; ECONNREFUSED (ICMP unreachable) is down. */
		if (recv(g->fd, tmp, sizeof(tmp), 0) >= 0) {
			health_done(g, true, why);
		} else if (errno != EAGAIN) {
			health_done(g, false,
				    errno == ECONNREFUSED ? HEALTH_FAIL_REFUSED
							  : HEALTH_FAIL_SOCKET);
		}
		return;
	default:
		break;
	}
	if (g->phase == HEALTH_CONNECTING) {
		if (getsockopt(g->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err != 0) {
			health_done(g, false,
				    err == ECONNREFUSED ? HEALTH_FAIL_REFUSED
							: HEALTH_FAIL_SOCKET);
			return;
		}
		rc = health_connected(g, &why);
	} else if (g->phase == HEALTH_TLS || g->ssl != NULL) {
		rc = health_tls_step(g, &why);
	} else {
		rc = health_http_step(g, &why);
	}
	if (rc != 0)
		health_done(g, rc > 0, why);
}

static int64_t
health_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * The loop thread's time spent runnable but waiting for a CPU, in ns
 * (the second field of /proc/thread-self/schedstat), or -1.
 */
static int64_t
health_rq_wait_ns(const struct health *h)
{
	char buf[96];
	long long run, wait;
	ssize_t n;

	if (h->schedstat_fd < 0)
		return -1;
	n = pread(h->schedstat_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%lld %lld", &run, &wait) != 2)
		return -1;
	return wait;
}

/*
 * How much of its timeout the probe in flight lost to its own prober, in
 * ms: the later of how late its timeout ran and how long the loop's
 * thread waited for a CPU since the socket was opened.
 */
static unsigned
health_starved_ms(const struct health_tgt *g)
{
	int64_t late = health_now_ns() - g->open_ns -
		       (int64_t)g->t.timeout_ms * 1000000;
	int64_t rq = health_rq_wait_ns(g->h);

	if (g->open_rq_ns >= 0 && rq >= 0 && rq - g->open_rq_ns > late)
		late = rq - g->open_rq_ns;
	return late > 0 ? (unsigned)(late / 1000000) : 0;
}

/*
 * Run the probe in flight on what its socket already holds, without
 * blocking: an answer that came in time is not a timeout because the loop
 * ran the deadline first (libevent runs timers expired in a pass after
 * the I/O it saw when it woke up, and a late loop finds both). True when
 * that gave a verdict.
 */
static bool
health_expire_poll(struct health_tgt *g)
{
	struct pollfd p;
	short ev;
	int i;

	for (i = 0; i < HEALTH_EXPIRE_PASSES && g->io != NULL; i++) {
		ev = event_get_events(g->io);
		p.fd = g->fd;
		p.events = (short)((ev & EV_READ ? POLLIN : 0) |
				   (ev & EV_WRITE ? POLLOUT : 0));
		p.revents = 0;
		if (poll(&p, 1, 0) != 1)
			return false;
		health_io(g->fd,
			  (short)(p.revents & POLLOUT ? EV_WRITE : EV_READ), g);
		if (g->fd < 0) /* health_done() ran */
			return true;
	}
	return false;
}

/*
 * The probe in flight ran out of time (its deadline, or the next probe
 * is due): a verdict from what its socket holds, else a timeout, unless
 * the prober was starved (see HEALTH_STARVED_DIV).
 */
static void
health_expire(struct health_tgt *g)
{
	struct health *h = g->h;
	unsigned long ok = h->stats.ok;
	unsigned starved;

	if (health_expire_poll(g)) {
		h->stats.late_ok += h->stats.ok - ok;
		return;
	}
	/* Silence is success for UDP-CONNECT (no port unreachable came). */
	if (g->t.type == HEALTH_UDP_CONNECT) {
		health_done(g, true, HEALTH_FAIL_TIMEOUT);
		return;
	}
	starved = health_starved_ms(g);
	if (starved >= HEALTH_STARVED_MIN_MS &&
	    starved * HEALTH_STARVED_DIV >= g->t.timeout_ms &&
	    g->n_excused < HEALTH_STARVED_MAX) {
		g->n_excused++;
		h->stats.starved++;
		log_warn("lbaas",
			 "member %s of pool %s: a probe timed out after its "
			 "prober lost %u ms of its %u ms to a starved loop: "
			 "not counted (%lu so far)",
			 g->t.id, g->t.pool_id, starved, g->t.timeout_ms,
			 h->stats.starved);
		if (starved > h->stats.starved_ms_max)
			h->stats.starved_ms_max = starved;
		health_probe_clear(g);
		return;
	}
	health_done(g, false, HEALTH_FAIL_TIMEOUT);
}

static void
health_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	health_expire(arg);
}

static int
health_probe_open(struct health_tgt *g)
{
	static const char payload[] = "sluice-health";
	int fd;

	if (g->t.type == HEALTH_PING)
		return health_ping_send(g);
	fd = health_socket(
		g->h, g->t.netns_fd, g->t.addr.ss_family,
		g->t.type == HEALTH_UDP_CONNECT ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0)
		return fd;
	g->fd = fd;
	if (connect(fd, (const struct sockaddr *)&g->t.addr, g->t.addr_len) !=
		    0 &&
	    errno != EINPROGRESS)
		return -errno;
	if (g->t.type == HEALTH_UDP_CONNECT) {
		if (send(fd, payload, sizeof(payload) - 1, 0) < 0)
			return -errno;
		return health_wait(g, EV_READ | EV_PERSIST);
	}
	g->phase = HEALTH_CONNECTING;
	return health_wait(g, EV_WRITE);
}

static void
health_probe_start(evutil_socket_t fd, short what, void *arg)
{
	struct health_tgt *g = arg;
	struct timeval tv;
	int rc;

	(void)fd;
	(void)what;
	if (g->phase != HEALTH_IDLE || g->fd >= 0)
		health_expire(g);
	g->h->stats.probes++;
	rc = health_probe_open(g);
	if (rc != 0) {
		health_done(g, false,
			    rc == -ECONNREFUSED ? HEALTH_FAIL_REFUSED
						: HEALTH_FAIL_SOCKET);
		return;
	}
	/*
	 * From now: libevent adds timeouts to the time it read when the
	 * loop woke up, and the callbacks that ran before this one in the
	 * same pass (other probes, namespace setup) shortened the deadline
	 * by their duration (probes timed out after 694 ms of 1000).
	 */
	event_base_update_cache_time(g->h->base);
	g->open_ns = health_now_ns();
	g->open_rq_ns = health_rq_wait_ns(g->h);
	health_tv(&tv, g->t.timeout_ms);
	event_add(g->deadline, &tv);
}

int
health_set(struct health *h, const struct health_target *t)
{
	struct health_tgt *g;
	struct timeval tv;
	bool is_same;

	if (t->id[0] == '\0' || t->delay_ms == 0 || t->rise < 1 ||
	    t->fall < 1 || t->addr_len > sizeof(t->addr) ||
	    (t->addr.ss_family != AF_INET && t->addr.ss_family != AF_INET6))
		return -EINVAL;
	g = health_find(h, t->id, NULL);
	if (g != NULL) {
		is_same = g->t.type == t->type &&
			  g->t.addr_len == t->addr_len &&
			  memcmp(&g->t.addr, &t->addr, t->addr_len) == 0 &&
			  g->t.netns_fd == t->netns_fd;
		g->is_stale = false;
		if (is_same && memcmp(&g->t, t, sizeof(*t)) == 0)
			return 0;
		health_probe_clear(g);
		event_del(g->timer);
		g->t = *t;
		if (!is_same) {
			g->state = HEALTH_UNKNOWN;
			g->n_ok = 0;
			g->n_fail = 0;
			g->has_fail = false;
		}
	} else {
		if (h->n_tgts == h->cap_tgts) {
			size_t cap = h->cap_tgts ? h->cap_tgts * 2 : 16;
			struct health_tgt **n =
				realloc(h->tgts, cap * sizeof(*n));

			if (n == NULL)
				return -ENOMEM;
			h->tgts = n;
			h->cap_tgts = cap;
		}
		g = calloc(1, sizeof(*g));
		if (g == NULL)
			return -ENOMEM;
		g->h = h;
		g->t = *t;
		g->fd = -1;
		g->timer = event_new(h->base, -1, EV_PERSIST,
				     health_probe_start, g);
		g->deadline = evtimer_new(h->base, health_deadline, g);
		if (g->timer == NULL || g->deadline == NULL) {
			health_tgt_free(g);
			return -ENOMEM;
		}
		h->tgts[h->n_tgts++] = g;
	}
	/* A probe must end before the next starts. */
	if (g->t.timeout_ms == 0 || g->t.timeout_ms >= g->t.delay_ms)
		g->t.timeout_ms = g->t.delay_ms > 1 ? g->t.delay_ms - 1 : 1;
	health_tv(&tv, g->t.delay_ms);
	if (event_add(g->timer, &tv) != 0)
		return -ENOMEM;
	/*
	 * The first probe now. Not as EV_TIMEOUT: libevent would then put
	 * the next one a delay after the time the timer was due (now +
	 * delay), i.e. 2 x delay from now (probes at 0, 2d, 3d, measured).
	 */
	event_active(g->timer, 0, 0);
	return 0;
}

int
health_del(struct health *h, const char *id)
{
	size_t i;
	struct health_tgt *g = health_find(h, id, &i);

	if (g == NULL)
		return -ENOENT;
	health_tgt_free(g);
	h->tgts[i] = h->tgts[--h->n_tgts];
	return 0;
}

void
health_mark(struct health *h)
{
	size_t i;

	for (i = 0; i < h->n_tgts; i++)
		h->tgts[i]->is_stale = true;
}

unsigned
health_sweep(struct health *h)
{
	unsigned n = 0;
	size_t i = 0;

	while (i < h->n_tgts) {
		if (h->tgts[i]->is_stale) {
			health_tgt_free(h->tgts[i]);
			h->tgts[i] = h->tgts[--h->n_tgts];
			n++;
		} else {
			i++;
		}
	}
	return n;
}
