/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rt_log.c: sluice-dp's logging. One API with four levels (error, warn,
 * info, debug), compiler-checked formats, to stderr in the foreground or
 * to syslog (--syslog). Anything a packet or a client can trigger goes
 * through the rate limiter (rt_log_allow).
 *
 * Concurrency: the level is set once at start; lines are written with one
 * write each, so lcores may log at once (workers only on rare paths).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "rt.h"

static struct {
	enum rt_log_level level;
	bool is_syslog;
} rt_log_state = {RT_LOG_INFO, false};

static const char *const rt_log_names[] = {
	[RT_LOG_ERR] = "error",
	[RT_LOG_WARN] = "warn",
	[RT_LOG_INFO] = "info",
	[RT_LOG_DEBUG] = "debug",
};

void
rt_log_init(enum rt_log_level level, bool is_syslog)
{
	rt_log_state.level = level;
	rt_log_state.is_syslog = is_syslog;
	if (is_syslog)
		openlog("sluice-dp", LOG_PID, LOG_DAEMON);
}

int
rt_log_level_parse(const char *s)
{
	for (unsigned i = 0; i < sizeof(rt_log_names) / sizeof(*rt_log_names);
	     i++)
		if (strcmp(s, rt_log_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

void
rt_log(enum rt_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rt_vlog(level, fmt, ap);
	va_end(ap);
}

void
rt_vlog(enum rt_log_level level, const char *fmt, va_list ap)
{
	static const int prio[] = {
		[RT_LOG_ERR] = LOG_ERR,
		[RT_LOG_WARN] = LOG_WARNING,
		[RT_LOG_INFO] = LOG_INFO,
		[RT_LOG_DEBUG] = LOG_DEBUG,
	};
	char line[512];
	int n;

	if (level > rt_log_state.level)
		return;
	if (rt_log_state.is_syslog) {
		vsyslog(prio[level], fmt, ap);
		return;
	}
	n = snprintf(line, sizeof(line),
		     "sluice-dp: %s: ", rt_log_names[level]);
	if (n > 0 && (size_t)n < sizeof(line))
		n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	/* libbpf and libxdp lines come with their own newline. */
	if (n > 0 && line[n - 1] == '\n')
		n--;
	line[n++] = '\n';
	fwrite(line, 1, (size_t)n, stderr);
}

/*
 * libbpf and libxdp (loaded by the AF_XDP driver) print to stderr by
 * default, warnings included for normal events (no bpffs, so no XDP
 * dispatcher); route them to our debug level.
 */
static int __attribute__((format(printf, 2, 0)))
rt_log_bpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	rt_vlog(RT_LOG_DEBUG, fmt, ap);
	return 0;
}

static int __attribute__((format(printf, 2, 0)))
rt_log_xdp(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	rt_vlog(RT_LOG_DEBUG, fmt, ap);
	return 0;
}

void
rt_log_hook_bpf(void)
{
	libbpf_set_print(rt_log_bpf);
	libxdp_set_print(rt_log_xdp);
}

/*
 * Token bucket in one word: the high 32 bits hold the second, the low 32
 * bits the lines logged in it. Racy between lcores by design: at worst a
 * line more or less.
 */
bool
rt_log_allow(uint64_t *state)
{
	enum { RT_LOG_PER_SEC = 10 };
	struct timespec ts;
	uint64_t sec, n;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	sec = (uint64_t)ts.tv_sec & 0xffffffffu;
	if ((*state >> 32) != sec) {
		*state = sec << 32 | 1;
		return true;
	}
	n = *state & 0xffffffffu;
	if (n >= RT_LOG_PER_SEC)
		return false;
	*state = sec << 32 | (n + 1);
	return true;
}
