// SPDX-License-Identifier: BSD-2-Clause
/*
 * log.c: leveled logging to stderr or syslog (see log.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

/* The file-scope state: threshold and target. */
static struct {
	enum log_level level;
	bool use_syslog;
	bool is_open;
} log_state = {LOG_LEVEL_INFO, false, false};

void
log_init(enum log_level level, bool use_syslog)
{
	log_state.level = level;
	if (use_syslog && !log_state.is_open) {
		openlog("sluiced", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_state.is_open = true;
	}
	log_state.use_syslog = use_syslog;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	unsigned i;

	for (i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

enum log_level
log_get_level(void)
{
	return log_state.level;
}

void
log_msg(enum log_level level, const char *module, const char *fmt, ...)
{
	static const char *const tags[] = {"error", "warn", "info", "debug"};
	static const int prios[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	char msg[1024];
	va_list ap;

	if (level > log_state.level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_state.use_syslog) {
		syslog(prios[level], "%s: %s", module, msg);
		return;
	}
	fprintf(stderr, "sluiced: %s: %s: %s\n", tags[level], module, msg);
}

bool
log_ratelimit(struct log_rate *r, unsigned burst)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec != r->sec) {
		r->sec = ts.tv_sec;
		r->n = 0;
	}
	if (r->n < burst) {
		r->n++;
		return true;
	}
	r->suppressed++;
	return false;
}
