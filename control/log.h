/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log.h: the one logging API of sluiced: four levels, a module tag per
 * message, printf formats checked by the compiler, written to stderr
 * (foreground) or syslog (daemon). Messages reachable from the network are
 * logged at debug level or through log_ratelimit().
 *
 * Concurrency: single-threaded (the event loop).
 */
#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Configure: messages above level are dropped; use_syslog selects the
 * target (ident "sluiced"). May be called again to change both. */
void log_init(enum log_level level, bool use_syslog);
/* Parse "error", "warn", "info", "debug". 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);
/* Current threshold. */
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * True at most burst times per second for a given key (a static counter
 * owned by the caller): gate warnings triggered by network input.
 */
struct log_rate {
	long sec;
	unsigned n;
	unsigned long suppressed;
};
bool log_ratelimit(struct log_rate *r, unsigned burst);

#define log_error(mod, ...) log_msg(LOG_LEVEL_ERROR, mod, __VA_ARGS__)
#define log_warn(mod, ...) log_msg(LOG_LEVEL_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...) log_msg(LOG_LEVEL_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...) log_msg(LOG_LEVEL_DEBUG, mod, __VA_ARGS__)

#endif /* SLUICE_LOG_H */
