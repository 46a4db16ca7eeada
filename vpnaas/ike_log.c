/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ike_log.c: the engine's log lines. One process-wide sink (stderr by
 * default, or the embedding program's); lines that the network can
 * trigger go through a simple per-second budget so a flood of bad packets
 * cannot flood the log (the drops are still counted in struct ike_stats).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "ike_priv.h"

#define IKE_LOG_BUDGET 20 /* rate-limited lines per second */

static void (*log_sink)(enum ike_log_level, const char *);
static enum ike_log_level log_max = IKE_LOG_INFO;
static time_t rl_second;
static unsigned int rl_count;

void
ike_log_set(void (*sink)(enum ike_log_level lvl, const char *line),
	    enum ike_log_level max)
{
	log_sink = sink;
	log_max = max;
}

static void __attribute__((format(printf, 2, 0)))
vlog(enum ike_log_level lvl, const char *fmt, va_list ap)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	char line[512];

	if (lvl > log_max)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_sink)
		log_sink(lvl, line);
	else
		fprintf(stderr, "%s: %s\n", names[lvl], line);
}

void
ike_logf(enum ike_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

void
ike_logf_rl(enum ike_log_level lvl, const char *fmt, ...)
{
	time_t now = time(NULL);
	va_list ap;

	if (now != rl_second) {
		rl_second = now;
		rl_count = 0;
	}
	if (++rl_count > IKE_LOG_BUDGET)
		return;
	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

const char *
ike_addr_str(const struct ike_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->ip, ip,
		  sizeof(ip));
	snprintf(buf, len, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
		 a->port);
	return buf;
}
