/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * health.h: the health monitors of sluiced. Each target (one member of a
 * pool under a health monitor) is probed every delay on the daemon's
 * libevent loop with non-blocking sockets: PING (ICMP echo on a datagram
 * ICMP socket), TCP (connect), HTTP and HTTPS (a request line, the status
 * code checked against expected_codes; HTTPS through an OpenSSL 3
 * non-blocking handshake), TLS-HELLO (the handshake alone) and
 * UDP-CONNECT (a datagram; an ICMP port unreachable, reported as
 * ECONNREFUSED on the connected socket, is down). A probe that has not
 * finished after timeout fails, unless what its socket already holds
 * when the timeout runs finishes it (an answer that came in time but was
 * not read yet), or the prober was starved (its timeout ran late or its
 * thread waited for a CPU for a quarter of the timeout): such a timeout
 * is not counted, once between two successes, so a member that stops
 * answering is DOWN within delay x (max_retries_down + 1) + timeout on a
 * starved prober, delay x max_retries_down + timeout otherwise.
 *
 * State: a target is UNKNOWN until its first success (UP) or
 * max_retries_down consecutive failures (DOWN); then max_retries
 * consecutive successes take a DOWN target UP, and max_retries_down
 * consecutive failures take an UP one DOWN, so a member that dies is
 * DOWN within delay x max_retries_down + timeout. Each change is
 * reported through the change callback. A probe's timeout runs from when
 * its socket was opened, not from when the loop woke up.
 *
 * Members on tenant networks (whose addresses may overlap between
 * projects) are reached from a network namespace: a target with a
 * netns_fd has its sockets opened inside that namespace (setns() around
 * socket(), on the loop's thread; a socket stays in the namespace it was
 * made in). lb_netns.h makes such a namespace per load balancer.
 *
 * Concurrency: single-threaded (the event loop); the callback runs on it.
 */
#ifndef SLUICE_HEALTH_H
#define SLUICE_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct health;

enum health_type {
	HEALTH_PING,
	HEALTH_TCP,
	HEALTH_HTTP,
	HEALTH_HTTPS,
	HEALTH_TLS_HELLO,
	HEALTH_UDP_CONNECT,
};

enum health_state {
	HEALTH_UNKNOWN,
	HEALTH_UP,
	HEALTH_DOWN,
};

/* Why probes failed (counters of struct health_stats). */
enum health_fail {
	HEALTH_FAIL_TIMEOUT,	/* no answer within timeout */
	HEALTH_FAIL_REFUSED,	/* TCP RST or ICMP unreachable */
	HEALTH_FAIL_SOCKET,	/* socket/connect/send error */
	HEALTH_FAIL_TLS,	/* TLS handshake failed */
	HEALTH_FAIL_HTTP_PARSE, /* no valid HTTP status line */
	HEALTH_FAIL_HTTP_CODE,	/* status not in expected_codes */
	HEALTH_FAIL_ICMP,	/* echo reply missing or malformed */
	HEALTH_FAIL__COUNT,
};

#define HEALTH_ID_MAX 63
#define HEALTH_PATH_MAX 255
#define HEALTH_CODES_MAX 63

/* One thing to probe; copied by health_set(). */
struct health_target {
	char id[HEALTH_ID_MAX + 1];	 /* member id: the key */
	char pool_id[HEALTH_ID_MAX + 1]; /* for the callback */
	enum health_type type;
	struct sockaddr_storage addr; /* address and port (port unused: PING) */
	socklen_t addr_len;
	unsigned delay_ms;
	unsigned timeout_ms;
	unsigned rise;	 /* max_retries: successes to go up (1-10) */
	unsigned fall;	 /* max_retries_down: failures to go down (1-10) */
	char method[16]; /* HTTP(S): "GET" */
	char path[HEALTH_PATH_MAX + 1];	  /* HTTP(S): "/" */
	char codes[HEALTH_CODES_MAX + 1]; /* HTTP(S): "200", "200-204" */
	char host[HEALTH_PATH_MAX + 1];	  /* Host header / SNI, or "" */
	int netns_fd;	     /* namespace to probe from, -1: the daemon's own */
	unsigned http_minor; /* HTTP(S): 0 sends HTTP/1.0, 1 HTTP/1.1 */
};

/* A member changed state (t is borrowed for the call). */
typedef void (*health_change_fn)(void *arg, const struct health_target *t,
				 enum health_state st);

struct health_stats {
	unsigned long probes;
	unsigned long ok;
	unsigned long fail[HEALTH_FAIL__COUNT];
	/* Successes found on the socket when the timeout ran (in ok too). */
	unsigned long late_ok;
	/* Timeouts not counted: the prober itself was starved. */
	unsigned long starved;
	unsigned starved_ms_max; /* the most a not-counted probe lost, ms */
};

/* Create on base (borrowed). fn may be NULL. 0, -ENOMEM or -EIO. */
int health_create(struct event_base *base, health_change_fn fn, void *arg,
		  struct health **out);
/* Stop every probe and free. Accepts NULL. */
void health_destroy(struct health *h);

/*
 * Add or replace the target with t->id (copied). A replacement with the
 * same type and address keeps the state; the first probe of a new target
 * starts at once. 0, -EINVAL (bad values) or -ENOMEM.
 */
int health_set(struct health *h, const struct health_target *t);
/* Stop probing id. 0 or -ENOENT. */
int health_del(struct health *h, const char *id);
/* The state of id (HEALTH_UNKNOWN if not probed). */
enum health_state health_get(const struct health *h, const char *id);

/*
 * Bulk replacement: health_mark() flags every target stale, health_set()
 * clears the flag of each target it is given, health_sweep() deletes the
 * still stale ones (returns how many).
 */
void health_mark(struct health *h);
unsigned health_sweep(struct health *h);

/* Counters since create. */
void health_get_stats(const struct health *h, struct health_stats *out);

/*
 * One target as it stands, for health_each(). Tracked per probe (never
 * per packet); reset with the state when health_set() changes the
 * target's type, address or namespace.
 */
struct health_info {
	const struct health_target *t; /* borrowed for the call */
	enum health_state state;       /* what health_get() gives */
	unsigned n_ok;		       /* consecutive successes */
	unsigned n_fail;	       /* consecutive failures */
	bool has_fail;		       /* a probe failed since set */
	enum health_fail last_fail;    /* the latest failure (has_fail) */
	int64_t last_fail_at;	       /* when: seconds since the epoch */
};

/*
 * Called for each target by health_each(); info is borrowed for the
 * call, which must not add or delete targets. Nonzero stops the walk.
 */
typedef int (*health_each_fn)(void *arg, const struct health_info *info);
/* Walk every target, in no order. 0 or the first nonzero of fn. */
int health_each(const struct health *h, health_each_fn fn, void *arg);

/*
 * Stable names for the operator (the REST API, sluicectl): "timeout",
 * "refused", "socket", "tls", "http_parse", "http_code", "icmp"; "UP",
 * "DOWN", "UNKNOWN"; the Octavia monitor types ("TCP", "TLS-HELLO",
 * ...). "?" for a value out of range. Static strings.
 */
const char *health_fail_name(enum health_fail why);
const char *health_state_name(enum health_state st);
const char *health_type_name(enum health_type type);
/* The type an Octavia name gives: 0, or -1 for a name that is none. */
int health_type_parse(const char *name, enum health_type *type);

/*
 * Parse the status line at the start of an HTTP response (untrusted
 * bytes, len of them, no NUL needed): "HTTP/1.x NNN ...". 0 with *code,
 * -EAGAIN if more bytes are needed, -EINVAL if it is not a status line.
 */
int health_http_status_parse(const char *buf, size_t len, int *code);

#endif /* SLUICE_HEALTH_H */
