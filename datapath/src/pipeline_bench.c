/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline_bench.c: dp-pipeline-bench, a microbenchmark of the pipeline
 * alone (no I/O): synthetic 64-byte UDP frames in memory go through
 * dp_worker_process() in bursts of DP_BURST.
 *
 *   dp-pipeline-bench --case simple|l3-1|l3-100k|exact-100k|ct-snat-100k
 *                     --packets N
 *   dp-pipeline-bench --install N
 *
 * A case prints "case=NAME packets=N ns_per_pkt=X mpps=Y" (set-up and one
 * warm-up pass over the flows are excluded and printed separately); the
 * figures are from the thread's CPU time (wall time is printed too), so
 * other load on the machine inflates them less. The
 * timed loop is bench_run(), so instructions per packet are
 *   valgrind --tool=callgrind --toggle-collect=bench_run ... / N.
 * ct-snat-100k sends 100k flows through ct(commit,nat(src=8 addresses))
 * and an output in the table after it; the rewritten frames are copied
 * back from templates before each packet, as a NIC delivers fresh ones,
 * and the cache has 1M entries (a flow takes two: before and after ct).
 * --ct-fill N commits N new UDP connections (one packet each, ct_max N,
 * no NAT) and prints commits per second of CPU time and the resident
 * bytes per connection.
 * --install times one transaction of N exact rules (add + commit) and a
 * one-rule change on top, and prints the resident bytes per rule.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline.h"

enum { BENCH_SLOT = 192, BENCH_ROOM = 64, BENCH_LEN = 64 };

struct bench {
	struct dp_pipeline *pl;
	struct dp_worker *w;
	uint8_t *pool;
	uint8_t *tmpl; /* ct-snat: original frames, BENCH_LEN each */
	unsigned n_flows;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long
rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * 4096;
}

static void
frame_build(uint8_t *f, uint32_t src, uint16_t sport)
{
	/* clang-format off */
	static const uint8_t hdr[] = {
		0x02, 0, 0, 0, 0, 2,		/* Ethernet */
		0x02, 0, 0, 0, 0, 1,
		0x08, 0x00,
		0x45, 0, 0, 50, 0, 0, 0, 0,	/* IPv4 */
		64, 17, 0, 0,
		0, 0, 0, 0,
		192, 168, 0, 1,
		0, 0, 0x16, 0x2e, 0, 30, 0, 0,	/* UDP */
	};
	/* clang-format on */
	uint32_t sum = 0;

	memset(f, 0, BENCH_LEN);
	memcpy(f, hdr, sizeof(hdr));
	memcpy(f + 26, &src, 4);
	sport = htons(sport);
	memcpy(f + 34, &sport, 2);
	for (int i = 14; i < 34; i += 2)
		sum += (uint32_t)(f[i] << 8 | f[i + 1]);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	f[24] = (uint8_t)(~sum >> 8);
	f[25] = (uint8_t)~sum;
}

static void
rule_init(struct dp_rule *r, uint32_t prio)
{
	memset(r, 0, sizeof(*r));
	r->priority = prio;
	r->n_actions = 1;
	r->actions[0].type = DP_ACT_OUTPUT;
	r->actions[0].u.port = 2;
}

static int
install(struct dp_pipeline *pl, const struct dp_rule *rules, unsigned n)
{
	struct dp_txn *t;
	char err[128];
	int rc;

	rc = dp_txn_begin(pl, &t);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < n; i++) {
		rc = dp_txn_add(t, &rules[i], err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "bench: add rule %u: %s\n", i, err);
			dp_txn_abort(t);
			return rc;
		}
	}
	rc = dp_txn_commit(t, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "bench: commit: %s\n", err);
	return rc;
}

static uint32_t
flow_src(unsigned i)
{
	return htonl(0x0a000000u + i + 1);
}

static int
setup_case(struct bench *b, const char *name)
{
	unsigned n_rules = 1, n_flows = 1;
	struct dp_rule *rules;
	int rc;

	if (strcmp(name, "l3-100k") == 0) {
		n_flows = 100000;
	} else if (strcmp(name, "ct-snat-100k") == 0) {
		n_flows = 100000;
		n_rules = 2;
	} else if (strcmp(name, "exact-100k") == 0) {
		n_flows = 100000;
		n_rules = 100000;
	} else if (strcmp(name, "simple") != 0 && strcmp(name, "l3-1") != 0) {
		fprintf(stderr, "bench: unknown case %s\n", name);
		return -EINVAL;
	}
	rules = calloc(n_rules, sizeof(*rules));
	if (rules == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < n_rules; i++) {
		struct dp_rule *r = &rules[i];

		rule_init(r, 100);
		r->match.in_port = 1;
		r->mask.in_port = UINT32_MAX;
		if (strcmp(name, "simple") == 0)
			continue;
		r->match.eth_type = htons(0x0800);
		r->mask.eth_type = 0xffff;
		if (strcmp(name, "ct-snat-100k") == 0) {
			struct dp_act_ct *ct = &r->actions[0].u.ct;

			r->actions[0].type = DP_ACT_CT;
			ct->zone = 1;
			ct->flags = DP_CT_COMMIT | DP_CT_NAT;
			ct->nat_kind = DP_NAT_SRC;
			ct->nat_min = htonl(0xcb007101);
			ct->nat_max = htonl(0xcb007108);
			ct->table = 1;
			if (i == 1) {
				rule_init(r, 100);
				r->table = 1;
				r->match.ct_state = DP_CS_TRK;
				r->mask.ct_state = DP_CS_TRK | DP_CS_INV;
			}
		} else if (strcmp(name, "exact-100k") == 0) {
			r->match.nw_src = flow_src(i);
			r->mask.nw_src = UINT32_MAX;
		} else {
			r->match.nw_dst = htonl(0xc0a80001);
			r->mask.nw_dst = UINT32_MAX;
		}
	}
	rc = install(b->pl, rules, n_rules);
	free(rules);
	if (rc < 0)
		return rc;
	b->n_flows = n_flows;
	b->pool = aligned_alloc(64, (size_t)n_flows * BENCH_SLOT);
	if (b->pool == NULL)
		return -ENOMEM;
	/*
	 * Frames are read in pool order, as a NIC ring hands them over;
	 * flows are spread over the pool by a fixed permutation.
	 */
	for (unsigned i = 0; i < n_flows; i++) {
		unsigned fl = (unsigned)(((uint64_t)i * 7919) % n_flows);

		frame_build(b->pool + (size_t)i * BENCH_SLOT + BENCH_ROOM,
			    flow_src(fl), (uint16_t)(1024 + fl % 50000));
	}
	if (strcmp(name, "ct-snat-100k") == 0) {
		b->tmpl = malloc((size_t)n_flows * BENCH_LEN);
		if (b->tmpl == NULL)
			return -ENOMEM;
		for (unsigned i = 0; i < n_flows; i++)
			memcpy(b->tmpl + (size_t)i * BENCH_LEN,
			       b->pool + (size_t)i * BENCH_SLOT + BENCH_ROOM,
			       BENCH_LEN);
	}
	return 0;
}

static uint64_t bench_sink;

/* The timed loop: n packets in bursts. */
void bench_run(struct bench *b, uint64_t n);

void
bench_run(struct bench *b, uint64_t n)
{
	static struct dp_burst_out out;
	struct dp_packet pk[DP_BURST], *pp[DP_BURST];
	uint64_t done = 0;
	unsigned f = 0;

	for (unsigned i = 0; i < DP_BURST; i++)
		pp[i] = &pk[i];
	while (done < n) {
		unsigned k =
			n - done < DP_BURST ? (unsigned)(n - done) : DP_BURST;

		for (unsigned i = 0; i < k; i++) {
			uint8_t *s = b->pool + (size_t)f * BENCH_SLOT;

			if (b->tmpl != NULL)
				memcpy(s + BENCH_ROOM,
				       b->tmpl + (size_t)f * BENCH_LEN,
				       BENCH_LEN);
			pk[i].data = s + BENCH_ROOM;
			pk[i].len = BENCH_LEN;
			pk[i].headroom = BENCH_ROOM;
			pk[i].tailroom = BENCH_SLOT - BENCH_ROOM - BENCH_LEN;
			pk[i].in_port = 1;
			if (++f == b->n_flows)
				f = 0;
		}
		dp_worker_process(b->w, pp, k, &out);
		bench_sink += out.n_tx;
		dp_worker_quiescent(b->w);
		done += k;
	}
}

static int
run_case(const char *name, uint64_t n)
{
	struct dp_pipeline_config cfg = {.n_workers = 1};
	struct dp_cache_stats cs;
	struct bench b;
	double t0, t1, t2, c1, c2;
	int rc;

	memset(&b, 0, sizeof(b));
	/* ct: two cache entries a flow (before and after ct). */
	if (strcmp(name, "ct-snat-100k") == 0)
		cfg.cache_entries = 1u << 20;
	t0 = now_s();
	rc = dp_pipeline_create(&cfg, &b.pl);
	if (rc < 0)
		return rc;
	rc = dp_worker_create(b.pl, 0, NULL, &b.w);
	if (rc < 0)
		goto out;
	rc = setup_case(&b, name);
	if (rc < 0)
		goto out;
	bench_run(&b, b.n_flows > DP_BURST ? b.n_flows : DP_BURST);
	t1 = now_s();
	c1 = cpu_s();
	bench_sink = 0;
	bench_run(&b, n);
	t2 = now_s();
	c2 = cpu_s();
	dp_pipeline_cache_stats(b.pl, &cs);
	fprintf(stderr,
		"setup_s=%.3f flows=%u cache_hits=%llu misses=%llu "
		"evictions=%llu subtable_probes=%llu\n",
		t1 - t0, b.n_flows, (unsigned long long)cs.hits,
		(unsigned long long)cs.misses, (unsigned long long)cs.evictions,
		(unsigned long long)cs.lookups_classifier);
	/* CPU time of this thread: robust on a shared, loaded machine. */
	printf("case=%s packets=%llu ns_per_pkt=%.2f mpps=%.2f "
	       "wall_ns_per_pkt=%.2f\n",
	       name, (unsigned long long)n, (c2 - c1) * 1e9 / (double)n,
	       (double)n / (c2 - c1) / 1e6, (t2 - t1) * 1e9 / (double)n);
	if (bench_sink != n)
		fprintf(stderr, "bench: only %llu of %llu packets forwarded\n",
			(unsigned long long)bench_sink, (unsigned long long)n);
out:
	dp_worker_destroy(b.w);
	dp_pipeline_destroy(b.pl);
	free(b.pool);
	free(b.tmpl);
	return rc;
}

static int
run_install(unsigned n)
{
	struct dp_pipeline_config cfg = {.n_workers = 1};
	struct dp_pipeline *pl;
	struct dp_rule *rules;
	long rss0, rss1;
	double t0, t1, t2, c0, c1;
	int rc;

	rules = calloc(n + 1, sizeof(*rules));
	if (rules == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i <= n; i++) {
		rule_init(&rules[i], 100);
		rules[i].cookie = 7;
		rules[i].match.eth_type = htons(0x0800);
		rules[i].mask.eth_type = 0xffff;
		rules[i].match.nw_src = flow_src(i);
		rules[i].mask.nw_src = UINT32_MAX;
	}
	rc = dp_pipeline_create(&cfg, &pl);
	if (rc < 0)
		goto out;
	rss0 = rss_bytes();
	t0 = now_s();
	c0 = cpu_s();
	rc = install(pl, rules, n);
	t1 = now_s();
	c1 = cpu_s();
	rss1 = rss_bytes();
	if (rc == 0)
		rc = install(pl, &rules[n], 1);
	t2 = now_s();
	if (rc == 0)
		printf("install rules=%u seconds=%.3f cpu_seconds=%.3f "
		       "rules_per_s=%.0f one_rule_commit_us=%.1f "
		       "rss_bytes_per_rule=%.0f\n",
		       n, t1 - t0, c1 - c0, (double)n / (t1 - t0),
		       (t2 - t1) * 1e6, (double)(rss1 - rss0) / (double)n);
	dp_pipeline_destroy(pl);
out:
	free(rules);
	return rc;
}

/* N connections committed: rate and resident bytes per connection. */
static int
run_ct_fill(unsigned n)
{
	struct dp_pipeline_config cfg = {
		.n_workers = 1, .cache_entries = 1024, .ct_max = n};
	struct dp_packet pk[DP_BURST], *pp[DP_BURST];
	static struct dp_burst_out out;
	struct dp_ct_stats st;
	struct dp_rule r[2];
	struct bench b;
	long rss0, rss1;
	double c0, c1;
	int rc;

	memset(&b, 0, sizeof(b));
	rc = dp_pipeline_create(&cfg, &b.pl);
	if (rc < 0)
		return rc;
	rc = dp_worker_create(b.pl, 0, NULL, &b.w);
	if (rc < 0)
		goto out;
	rule_init(&r[0], 1);
	r[0].actions[0].type = DP_ACT_CT;
	r[0].actions[0].u.ct.zone = 1;
	r[0].actions[0].u.ct.flags = DP_CT_COMMIT;
	r[0].actions[0].u.ct.table = 1;
	rule_init(&r[1], 1);
	r[1].table = 1;
	rc = install(b.pl, r, 2);
	if (rc < 0)
		goto out;
	b.pool = malloc((size_t)n * BENCH_LEN);
	rc = -ENOMEM;
	if (b.pool == NULL)
		goto out;
	for (unsigned i = 0; i < n; i++)
		frame_build(b.pool + (size_t)i * BENCH_LEN,
			    htonl(0x0a000000u + (i >> 4)),
			    (uint16_t)(1024 + (i & 15)));
	rss0 = rss_bytes();
	c0 = cpu_s();
	for (unsigned i = 0; i < n; i += DP_BURST) {
		unsigned k = n - i < DP_BURST ? n - i : DP_BURST;

		for (unsigned j = 0; j < k; j++) {
			pk[j].data = b.pool + (size_t)(i + j) * BENCH_LEN;
			pk[j].len = BENCH_LEN;
			pk[j].headroom = 0;
			pk[j].tailroom = 0;
			pk[j].in_port = 1;
			pp[j] = &pk[j];
		}
		dp_worker_process(b.w, pp, k, &out);
	}
	c1 = cpu_s();
	rss1 = rss_bytes();
	dp_pipeline_ct_stats(b.pl, &st);
	printf("ct_fill=%u entries=%llu full=%llu commits_per_s=%.0f "
	       "rss_mb=%.1f bytes_per_conn=%.1f reserved_mb=%.1f\n",
	       n, (unsigned long long)st.entries,
	       (unsigned long long)st.invalid[DP_CT_INV_FULL],
	       (double)st.commits / (c1 - c0),
	       (double)(rss1 - rss0) / 1048576.0,
	       st.entries ? (double)(rss1 - rss0) / (double)st.entries : 0.0,
	       (double)st.mem_bytes / 1048576.0);
	rc = 0;
out:
	dp_worker_destroy(b.w);
	dp_pipeline_destroy(b.pl);
	free(b.pool);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *name = "simple";
	uint64_t n = 10000000;
	long install_n = -1, fill_n = -1;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--case") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (strcmp(argv[i], "--packets") == 0 && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--install") == 0 && i + 1 < argc)
			install_n = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--ct-fill") == 0 && i + 1 < argc)
			fill_n = strtol(argv[++i], NULL, 10);
		else {
			fprintf(stderr,
				"usage: %s [--case simple|l3-1|l3-100k|"
				"exact-100k|ct-snat-100k] [--packets N] "
				"[--install N] [--ct-fill N]\n",
				argv[0]);
			return 2;
		}
	}
	if (install_n > 0)
		rc = run_install((unsigned)install_n);
	else if (fill_n > 0)
		rc = run_ct_fill((unsigned)fill_n);
	else
		rc = run_case(name, n);
	if (rc < 0) {
		fprintf(stderr, "bench: %s\n", strerror(-rc));
		return 1;
	}
	return 0;
}
