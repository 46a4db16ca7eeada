/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline_ct_fuzz.c: libFuzzer target for connection tracking and NAT
 * on untrusted frames. Every input frame is traced, then run through a
 * worker from four ports: port 1 commits with source NAT, port 2 looks up
 * and un-NATs (replies, ICMP errors with the embedded header parsed and
 * translated), port 3 commits with destination NAT, port 4 commits in
 * another zone without NAT; with an input's first byte odd, the clock
 * jumps so connections expire and are swept. The table is small so it
 * fills. A frame that leaves must still fit its buffer. Seeds are under
 * fuzz-corpus/ct/ (gen_ct_corpus.py).
 */
#include <stdint.h>
#include <stdlib.h>

#include "dp_flow_text.h"
#include "pl_ct.h"
#include "pl_test_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tu fz;
static struct dp_trace *fz_trace;
static uint32_t fz_now = 1;

static uint32_t
fz_clock(void *arg)
{
	(void)arg;
	return fz_now;
}

static const char *const fz_rules[] = {
	"table=0,priority=10,in_port=1,actions=ct(zone=1,commit,"
	"nat(src=203.0.113.5-203.0.113.6:1024-1100),table=1)",
	"table=0,priority=10,in_port=2,actions=ct(zone=1,nat,table=1)",
	"table=0,priority=10,in_port=3,actions=ct(zone=1,commit,"
	"nat(dst=10.0.0.9:8080),table=1)",
	"table=0,priority=10,in_port=4,actions=ct(zone=2,table=2)",
	"table=2,priority=10,ct_state=+new,actions=ct(zone=2,commit,mark=3,"
	"table=3)",
	"table=2,priority=5,actions=output:6",
	"table=3,priority=5,actions=output:7",
	"table=1,priority=10,ct_state=+trk+est,actions=output:4",
	"table=1,priority=10,ct_state=+trk+rel,actions=output:5,output:4",
	"table=1,priority=5,ct_state=+trk+new,actions=output:2",
	NULL,
};

static void
fuzz_init(void)
{
	struct dp_pipeline_config cfg = {.n_workers = 1, .ct_max = 512};
	struct dp_packet_ops ops = {.clone = tu_clone};
	struct dp_rule r[16];
	char err[256];
	unsigned n = 0;

	if (dp_pipeline_create(&cfg, &fz.pl) < 0 ||
	    dp_worker_create(fz.pl, 0, &ops, &fz.w) < 0)
		abort();
	pl_ct_set_clock(pl_ct_of(fz.pl), fz_clock, NULL);
	fz_trace = malloc(sizeof(*fz_trace));
	if (fz_trace == NULL)
		abort();
	for (; fz_rules[n] != NULL; n++)
		if (dp_flow_text_parse(fz_rules[n], &r[n], err, sizeof(err)) !=
		    1)
			abort();
	if (tu_install(fz.pl, r, n) < 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fz.pl == NULL)
		fuzz_init();
	if (size > 4096)
		return 0;
	if (size > 0 && (data[0] & 1)) {
		fz_now += 40;
		dp_pipeline_ct_sweep(fz.pl);
	}
	(void)dp_pipeline_trace(fz.pl, data, (uint32_t)size, 2, fz_trace);
	for (uint32_t port = 1; port <= 4; port++) {
		tu_run(&fz, data, (uint32_t)size, port);
		for (unsigned i = 0; i < fz.out.n_tx; i++)
			if (fz.out.tx[i]->len > size + TU_ROOM)
				abort();
	}
	tu_out_free(&fz.out);
	return 0;
}
