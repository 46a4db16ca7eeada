/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ike_bench.c: how many IKE SAs (IKE_SA_INIT + IKE_AUTH with the first
 * child SA, both ends' work) and child rekeys one core completes per
 * second, per proposal suite: two engines in one process exchanging
 * messages in memory. Usage: ike_bench [N] (default 200 handshakes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "ike.h"

struct pkt {
	uint8_t d[IKE_MSG_MAX + 4];
	size_t n;
	struct ike_addr l, r;
};

static struct pkt q[16];
static int qn;

static void
b_send(void *arg, const uint8_t *d, size_t n, const struct ike_addr *l,
       const struct ike_addr *r)
{
	(void)arg;
	if (qn == 16)
		return;
	memcpy(q[qn].d, d, n);
	q[qn].n = n;
	q[qn].l = *l;
	q[qn].r = *r;
	qn++;
}

static double
secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
cfg(struct ike_conn_config *c, int me, const char *ike, const char *esp)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "bench%d", me);
	c->local.family = c->peer.family = AF_INET;
	c->local.ip[0] = c->peer.ip[0] = 10;
	c->local.ip[3] = (uint8_t)(1 + me);
	c->peer.ip[3] = (uint8_t)(2 - me);
	c->local.port = c->peer.port = 500;
	c->local_id = (struct ike_id){
		IKE_ID_IPV4_ADDR, 4, {10, 0, 0, (uint8_t)(1 + me)}};
	c->peer_id = (struct ike_id){
		IKE_ID_IPV4_ADDR, 4, {10, 0, 0, (uint8_t)(2 - me)}};
	c->psk_len = 5;
	memcpy(c->psk, "bench", 5);
	ike_proposal_parse(ike, false, c->ike, 4, &c->n_ike);
	ike_proposal_parse(esp, true, c->esp, 4, &c->n_esp);
	c->n_local_ts = c->n_peer_ts = 1;
	c->local_ts[0] =
		(struct ike_cidr){AF_INET, {10, (uint8_t)(1 + me)}, 16};
	c->peer_ts[0] = (struct ike_cidr){AF_INET, {10, (uint8_t)(2 - me)}, 16};
}

static void
pump(struct ike_engine **e)
{
	while (qn) {
		struct pkt p = q[--qn];

		ike_engine_input(e[p.r.ip[3] == 2 ? 1 : 0], p.d, p.n, &p.r,
				 &p.l, 0);
	}
}

int
main(int argc, char **argv)
{
	static const char *const suites[][2] = {
		{"aes128gcm16-prfsha256-ecp256", "aes128gcm16"},
		{"aes256-sha256-modp2048", "aes256-sha256-modp2048"},
		{"chacha20poly1305-prfsha512-curve25519", "chacha20poly1305"},
		{"aes256gcm16-prfsha384-ecp384", "aes256gcm16"},
	};
	int n = argc > 1 ? atoi(argv[1]) : 200, i, s;
	struct ike_ops ops = {.send = b_send};

	ike_log_set(NULL, IKE_LOG_ERR);
	printf("%-40s %12s %14s\n", "suite (ike / esp)", "ike_sa/s",
	       "child_rekey/s");
	for (s = 0; s < 4; s++) {
		struct ike_conn_config c[2];
		struct ike_engine *e[2];
		uint32_t id[2];
		double t0, t1, t2;

		for (i = 0; i < 2; i++) {
			cfg(&c[i], i, suites[s][0], suites[s][1]);
			if (ike_engine_create(NULL, &ops, &e[i]) ||
			    ike_engine_conn_add(e[i], &c[i], &id[i]))
				return 1;
		}
		t0 = secs();
		for (i = 0; i < n; i++) {
			ike_engine_initiate(e[0], id[0], 0);
			pump(e);
			ike_engine_terminate(e[0], id[0], 0);
			pump(e);
		}
		t1 = secs();
		ike_engine_initiate(e[0], id[0], 0);
		pump(e);
		for (i = 0; i < n; i++) {
			ike_engine_rekey_child(e[0], id[0], 0);
			pump(e);
		}
		t2 = secs();
		printf("%-40s %12.0f %14.0f\n", suites[s][0], n / (t1 - t0),
		       n / (t2 - t1));
		ike_engine_destroy(e[0]);
		ike_engine_destroy(e[1]);
	}
	return 0;
}
