/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_bench_sample.c: the counter sampler of tests/bench/dp-bench.sh.
 *
 * It reads one port's tx packet counter from sluice-dp over the
 * programming protocol (dp_client.h) on one connection kept open, so a
 * sample costs one request/reply instead of a sluicectl process and a JSON
 * parse (which took about 300 ms on a loaded two-core machine and made
 * 100 ms sampling impossible). Output lines are "TIME_NS TX_PACKETS",
 * TIME_NS from CLOCK_REALTIME taken when the reply arrived, so the shell
 * side can mix them with `date +%s%N`.
 *
 *   dp-bench-sample -s SOCK -p PORT
 *       one sample, then exit
 *   dp-bench-sample -s SOCK -p PORT -i MS -d MS [-f MS]
 *       a sample every -i ms for -d ms; with -f, a cache flush -f ms after
 *       the start, announced by a line "# flush_at TIME_NS" (taken just
 *       before the request) once the run is over
 *
 * Exit status 0, or 1 with a message on stderr when the datapath cannot
 * be reached or has no such port.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dp_client.h"

struct sample_port {
	uint32_t port_no;
	bool is_found;
	uint64_t tx_packets;
};

static uint64_t
sample_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
sample_port_fn(const struct dp_port_info *pi, void *arg)
{
	struct sample_port *sp = arg;

	if (pi->port_no == sp->port_no) {
		sp->is_found = true;
		sp->tx_packets = pi->tx_packets;
	}
	return 0;
}

/* One counter read; 0 or -errno (-ENOENT: no such port). */
static int
sample_read(struct dp_client *c, uint32_t port_no, uint64_t *tx)
{
	struct sample_port sp = {.port_no = port_no};
	int rc;

	rc = dp_client_port_list(c, sample_port_fn, &sp);
	if (rc != 0)
		return rc;
	if (!sp.is_found)
		return -ENOENT;
	*tx = sp.tx_packets;
	return 0;
}

static void
sample_sleep_until(uint64_t mono_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(mono_ns / 1000000000u),
		.tv_nsec = (long)(mono_ns % 1000000000u),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

static int
sample_ms_arg(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 ||
	    v > 24L * 3600 * 1000)
		return -EINVAL;
	*out = v;
	return 0;
}

static void
sample_usage(const char *prog)
{
	fprintf(stderr, "usage: %s -s SOCK -p PORT [-i MS -d MS [-f MS]]\n",
		prog);
}

int
main(int argc, char **argv)
{
	const char *sock = NULL;
	long port = -1, interval = 0, duration = 0, flush_at = -1;
	struct dp_client *c = NULL;
	char err[256] = "";
	uint64_t start, next, tx, flush_ns = 0;
	bool is_flushed = false;
	int opt, rc = 0, status = 1;

	while ((opt = getopt(argc, argv, "s:p:i:d:f:h")) != -1) {
		switch (opt) {
		case 's':
			sock = optarg;
			break;
		case 'p':
			rc = sample_ms_arg(optarg, &port);
			break;
		case 'i':
			rc = sample_ms_arg(optarg, &interval);
			break;
		case 'd':
			rc = sample_ms_arg(optarg, &duration);
			break;
		case 'f':
			rc = sample_ms_arg(optarg, &flush_at);
			break;
		default:
			sample_usage(argv[0]);
			return opt == 'h' ? 0 : 2;
		}
		if (opt != 's' && rc != 0) {
			fprintf(stderr,
				"dp-bench-sample: -%c %s: not a count "
				"in 0..86400000\n",
				opt, optarg);
			return 2;
		}
	}
	if (sock == NULL || port < 0 || (duration > 0 && interval <= 0)) {
		sample_usage(argv[0]);
		return 2;
	}

	rc = dp_client_connect(sock, &c, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "dp-bench-sample: %s\n", err);
		return 1;
	}
	dp_client_set_timeout(c, 5000);

	start = sample_now_ns(CLOCK_MONOTONIC);
	next = start;
	do {
		if (flush_at >= 0 && !is_flushed &&
		    next - start >= (uint64_t)flush_at * 1000000u) {
			flush_ns = sample_now_ns(CLOCK_REALTIME);
			rc = dp_client_cache_flush(c);
			if (rc != 0) {
				fprintf(stderr,
					"dp-bench-sample: cache flush: "
					"%s\n",
					dp_client_error(c));
				goto out_close;
			}
			is_flushed = true;
		}
		rc = sample_read(c, (uint32_t)port, &tx);
		if (rc == -ENOENT) {
			fprintf(stderr, "dp-bench-sample: no port %ld\n", port);
			goto out_close;
		}
		if (rc != 0) {
			fprintf(stderr, "dp-bench-sample: port list: %s\n",
				dp_client_error(c));
			goto out_close;
		}
		printf("%" PRIu64 " %" PRIu64 "\n",
		       sample_now_ns(CLOCK_REALTIME), tx);
		next += (uint64_t)interval * 1000000u;
		if (duration > 0 &&
		    next - start <= (uint64_t)duration * 1000000u)
			sample_sleep_until(next);
	} while (duration > 0 && next - start <= (uint64_t)duration * 1000000u);
	if (is_flushed)
		printf("# flush_at %" PRIu64 "\n", flush_ns);
	status = 0;

out_close:
	dp_client_close(c);
	fflush(stdout);
	return status;
}
