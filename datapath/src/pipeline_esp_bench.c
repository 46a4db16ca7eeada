/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline_esp_bench.c: ESP encrypt and decrypt throughput of one worker
 * through the real pipeline (parse, cache, rule, esp_encrypt / esp_decrypt,
 * output), in bursts of 32 over 1024 packet buffers by default (sluice-dp's
 * RX ring size; 1.7 MB at 1400 bytes, more than a core's L2).
 *
 *   dp-esp-bench [--cipher aes-gcm-128|aes-gcm-256|chacha20-poly1305|
 *                 aes-cbc-128] [--size BYTES] [--seconds S] [--packets N]
 *                [--buffers N] [--no-group] [--workers N] [--v6] [--natt]
 *                [--room N] [--wall] [--evp]
 *
 * --v6: the SA's outer header is IPv6 (DP_SA_F_IPV6; 2001:db8::1 ->
 * 2001:db8::2), the cipher is reported as CIPHER/v6. --natt: ESP in UDP
 * 4500 (over IPv6 with its UDP checksum over the whole packet).
 * --no-group turns off the grouping of bursts per SA (pl_esp_burst_begin)
 * to measure it. --workers N (2 .. 8) runs encrypt only, N worker threads
 * (each with its own N-th of the buffers) sending into one SA at once,
 * and prints the sum: the case where the per-packet sequence number
 * compare-and-swap of the ungrouped path bounces between cores.
 *
 * --room N: headroom in front of each frame (default 128, a DPDK mbuf's;
 * 130 puts the inner IP header on a 16-byte boundary). --wall: time with
 * the wall clock instead of the thread's CPU time (see now_s()). --evp:
 * the AEAD alone through OpenSSL's plain per-message EVP calls (run_evp(),
 * "esp CIPHER SIZE evp-encrypt|evp-decrypt" lines; not AES-CBC).
 *
 * Prints one line per direction:
 *   esp CIPHER SIZE encrypt|decrypt: X Mpps Y Gb/s (per worker core)
 * Gb/s counts the inner frame's bytes. Only the burst processing is
 * timed. Between encrypt passes the frames are put back. Before each
 * decrypt pass the same frames are encrypted again (untimed, on the
 * sending pipeline, whose SA numbers on), so the receiving pipeline gets
 * new sequence numbers every pass and keeps one SA, its replay window
 * and its flow cache, as a worker does under a steady stream: no SA is
 * re-added and no grace period waited for between passes (the thread
 * never sleeps, in either direction). Both directions find their input
 * just written by the same core (docs/esp.md, "Decrypt against encrypt:
 * the benchmark's steady state"). --packets N runs N packets per
 * direction, rounded up to whole passes (for callgrind, with
 * --toggle-collect=pass_encrypt or pass_decrypt: the instructions of the
 * timed part only).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "pl_esp.h"
#include "pl_test_util.h"

enum { N_BUFS = 4096, ROOM = 128, N_BUFS_DEFAULT = 1024 };

/* Buffers cycled through (--buffers): sluice-dp's RX ring size. */
static unsigned n_bufs = N_BUFS_DEFAULT;
/*
 * --room: headroom in front of each frame (ROOM, a DPDK mbuf's, puts the
 * inner IP header at 14 mod 16 bytes, as in sluice-dp; 130 aligns it).
 */
static unsigned room = ROOM;
/* --evp: the AEAD's plain EVP calls alone (run_evp()). */
static bool evp_only;
/* --v6: IPv6 outer addresses; --natt: ESP in UDP. */
static bool is_v6, is_natt;

struct bench {
	struct tu t;  /* the sending site: esp_encrypt into SA 1 */
	struct tu rx; /* the receiving site: esp_decrypt by SPI */
	struct dp_packet pk[N_BUFS];
	uint8_t *mem; /* N_BUFS buffers of stride bytes */
	uint32_t stride;
	uint32_t len; /* frame bytes given to the pipeline */
	unsigned n_decrypt_passes;
};

/*
 * The timed parts count the calling thread's CPU time, as `openssl speed`
 * counts its CPU (user) time, unless --wall: on a shared core wall-clock
 * time also counts other processes' turns (docs/esp.md, "Encrypt against
 * decrypt").
 */
static clockid_t bench_clock = CLOCK_THREAD_CPUTIME_ID;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(bench_clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
sa_make(struct dp_sa *s, uint8_t dir, uint8_t cipher, uint8_t klen,
	uint8_t integ)
{
	memset(s, 0, sizeof(*s));
	s->id = 1;
	s->spi = 0x4242;
	s->dir = dir;
	s->cipher = cipher;
	s->enc_key_len = klen;
	s->integ = integ;
	s->integ_key_len = integ ? 32 : 0;
	s->flags = DP_SA_F_ESN;
	s->src = htonl(0xc0000201);
	s->dst = htonl(0xc0000202);
	if (is_natt)
		s->flags |= DP_SA_F_NATT;
	if (is_v6) {
		s->flags |= DP_SA_F_IPV6;
		s->src6[0] = s->dst6[0] = 0x20;
		s->src6[1] = s->dst6[1] = 0x01;
		s->src6[2] = s->dst6[2] = 0x0d;
		s->src6[3] = s->dst6[3] = 0xb8;
		s->src6[15] = 1;
		s->dst6[15] = 2;
	}
	for (unsigned i = 0; i < sizeof(s->enc_key); i++)
		s->enc_key[i] = (uint8_t)(i * 7 + 1);
	for (unsigned i = 0; i < sizeof(s->integ_key); i++)
		s->integ_key[i] = (uint8_t)(i * 3 + 5);
}

/* Buffer i holds the plaintext frame again, at the headroom's end. */
static void
reset_pk(struct bench *b, unsigned i, const uint8_t *frame)
{
	struct dp_packet *p = &b->pk[i];

	p->data = b->mem + (size_t)i * b->stride + room;
	p->len = b->len;
	p->headroom = (uint16_t)room;
	p->tailroom = (uint16_t)(b->stride - room - b->len);
	p->in_port = 1;
	p->opaque = NULL;
	memcpy(p->data, frame, b->len);
}

static void
cache_report(const struct tu *t, const char *what)
{
	struct dp_cache_stats cs;

	dp_pipeline_cache_stats(t->pl, &cs);
	fprintf(stderr, "  %s: cache hits %llu misses %llu\n", what,
		(unsigned long long)cs.hits, (unsigned long long)cs.misses);
}

/* One pass over every buffer through tu; returns the packets out. */
static uint64_t
pass(struct bench *b, struct tu *tu, unsigned n, double *t)
{
	struct dp_packet *v[DP_BURST];
	uint64_t ok = 0;
	double t0 = now_s();

	for (unsigned i = 0; i < n; i += DP_BURST) {
		unsigned k = n - i < DP_BURST ? n - i : DP_BURST;

		for (unsigned j = 0; j < k; j++)
			v[j] = &b->pk[i + j];
		dp_worker_process(tu->w, v, k, &tu->out);
		ok += tu->out.n_tx;
	}
	dp_worker_quiescent(tu->w);
	*t += now_s() - t0;
	return ok;
}

/* Named per direction for callgrind's --toggle-collect. */
static __attribute__((noinline)) uint64_t
pass_encrypt(struct bench *b, unsigned n, double *t)
{
	return pass(b, &b->t, n, t);
}

static __attribute__((noinline)) uint64_t
pass_decrypt(struct bench *b, unsigned n, double *t)
{
	/* Not identical to pass_encrypt, so the two are not folded. */
	b->n_decrypt_passes++;
	return pass(b, &b->rx, n, t);
}

/*
 * Untimed, before each decrypt pass: the frames encrypted again into SA 1
 * of the sending pipeline (the next n sequence numbers), the ESP frames
 * left in the buffers for the receiving one, whose rule matches in_port 1.
 * Not named pass_*, so callgrind's --toggle-collect leaves it out.
 */
static int
refill_esp(struct bench *b, const uint8_t *frame, unsigned n)
{
	double t = 0;

	for (unsigned i = 0; i < n; i++)
		reset_pk(b, i, frame);
	if (pass(b, &b->t, n, &t) != n)
		return -EIO;
	for (unsigned i = 0; i < n; i++)
		b->pk[i].in_port = 1;
	return 0;
}

static int
rules(struct dp_pipeline *pl, bool is_enc)
{
	struct dp_rule r[2];

	tu_rule(&r[0], 0, 10, 0);
	r[0].match.in_port = 1;
	r[0].mask.in_port = UINT32_MAX;
	if (is_enc) {
		tu_act(&r[0], DP_ACT_ESP_ENCRYPT)->u.esp.sa = 1;
		tu_act(&r[0], DP_ACT_OUTPUT)->u.port = 2;
		return tu_install(pl, r, 1);
	}
	tu_act(&r[0], DP_ACT_ESP_DECRYPT)->u.esp.table = 1;
	tu_rule(&r[1], 1, 10, 3);
	return tu_install(pl, r, 2);
}

static int
run(const char *name, uint8_t cipher, uint8_t klen, uint8_t integ,
    unsigned size, double secs, uint64_t n_fixed)
{
	struct bench *b = calloc(1, sizeof(*b));
	uint8_t frame[2048];
	struct tu_frame f;
	struct dp_sa s;
	char err[160];
	double t;
	uint64_t n, ok;
	int rc = -1;

	if (b == NULL)
		return -ENOMEM;
	b->stride = (size + 2 * ROOM + 63) & ~63u;
	b->mem = malloc((size_t)N_BUFS * b->stride);
	if (b->mem == NULL)
		goto out;
	tu_frame_udp4(&f);
	f.payload = (uint16_t)(size - 42);
	b->len = (uint32_t)tu_build(&f, frame);

	/* Encrypt. */
	if (tu_setup(&b->t, 1024, 0) < 0 || rules(b->t.pl, true) < 0)
		goto out;
	sa_make(&s, DP_SA_OUT, cipher, klen, integ);
	if (pl_esp_sa_add(b->t.pl, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "sa: %s\n", err);
		goto out;
	}
	n = 0;
	ok = 0;
	t = 0;
	while (n_fixed ? n < n_fixed : t < secs) {
		unsigned m = n_bufs;

		for (unsigned i = 0; i < m; i++)
			reset_pk(b, i, frame);
		ok += pass_encrypt(b, m, &t);
		n += m;
	}
	if (ok != n)
		fprintf(stderr, "encrypt: %llu of %llu out\n",
			(unsigned long long)ok, (unsigned long long)n);
	printf("esp %s %u encrypt: %.3f Mpps %.3f Gb/s\n", name, size,
	       (double)n / t / 1e6, (double)n * size * 8 / t / 1e9);
	cache_report(&b->t, "encrypt");

	/*
	 * Decrypt on a second pipeline, the receiving site: its SA's window
	 * starts at the sending SA's last number n, and each pass gets the
	 * next n_bufs numbers from refill_esp().
	 */
	if (tu_setup(&b->rx, 1024, 0) < 0 || rules(b->rx.pl, false) < 0)
		goto out;
	sa_make(&s, DP_SA_IN, cipher, klen, integ);
	s.seq = n;
	if (pl_esp_sa_add(b->rx.pl, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "sa: %s\n", err);
		goto out;
	}
	n = 0;
	ok = 0;
	t = 0;
	while (n_fixed ? n < n_fixed : t < secs) {
		unsigned m = n_bufs;

		if (refill_esp(b, frame, m) < 0) {
			fprintf(stderr,
				"decrypt: the refill's encrypt failed\n");
			goto out;
		}
		ok += pass_decrypt(b, m, &t);
		n += m;
	}
	if (ok != n)
		fprintf(stderr, "decrypt: %llu of %llu out\n",
			(unsigned long long)ok, (unsigned long long)n);
	printf("esp %s %u decrypt: %.3f Mpps %.3f Gb/s\n", name, size,
	       (double)n / t / 1e6, (double)n * size * 8 / t / 1e9);
	cache_report(&b->rx, "decrypt");
	rc = ok == n ? 0 : -EIO;
out:
	if (b->rx.pl != NULL)
		tu_teardown(&b->rx);
	if (b->t.pl != NULL)
		tu_teardown(&b->t);
	free(b->mem);
	free(b);
	return rc;
}

/*
 * --evp: the AEAD alone, as an application with OpenSSL's plain EVP calls
 * seals and opens one message per packet (new nonce by
 * EVP_{En,De}cryptInit_ex, the 12 bytes of AAD of an ESN SA, the ESP
 * payload of a SIZE-byte frame in place, the tag) over the same buffers,
 * timed the same way: the per-message ceiling the pipeline is compared
 * with, where `openssl speed -aead` is no message (ChaCha20-Poly1305:
 * only EVP_EncryptUpdate per operation in OpenSSL 3.0).
 */
static __attribute__((noinline)) int
evp_pass(EVP_CIPHER_CTX *cx, uint8_t *mem, uint32_t stride, int n, bool is_enc,
	 uint64_t *seq, double *t)
{
	uint8_t nonce[12] = {1, 2, 3, 4}, aad[12] = {0, 0, 0x42, 0x42};
	double t0 = now_s();
	int l, bad = 0;

	for (unsigned i = 0; i < n_bufs; i++) {
		/* Where the pipeline seals the inner packet, in place. */
		uint8_t *b = mem + (size_t)i * stride + room + 14;
		uint64_t be = htobe64(++*seq);

		memcpy(nonce + 4, &be, 8);
		memcpy(aad + 4, &be, 8);
		if (is_enc)
			bad |= EVP_EncryptInit_ex(cx, NULL, NULL, NULL,
						  nonce) != 1 ||
			       EVP_EncryptUpdate(cx, NULL, &l, aad, 12) != 1 ||
			       EVP_EncryptUpdate(cx, b, &l, b, n) != 1 ||
			       EVP_EncryptFinal_ex(cx, b + n, &l) != 1 ||
			       EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_AEAD_GET_TAG,
						   16, b + n) != 1;
		else
			bad |= EVP_DecryptInit_ex(cx, NULL, NULL, NULL,
						  nonce) != 1 ||
			       EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_AEAD_SET_TAG,
						   16, b + n) != 1 ||
			       EVP_DecryptUpdate(cx, NULL, &l, aad, 12) != 1 ||
			       EVP_DecryptUpdate(cx, b, &l, b, n) != 1 ||
			       EVP_DecryptFinal_ex(cx, b + n, &l) != 1;
	}
	*t += now_s() - t0;
	return bad ? -EBADMSG : 0;
}

static int
run_evp(const char *name, uint8_t cipher, uint8_t klen, unsigned size,
	double secs, uint64_t n_fixed)
{
	const EVP_CIPHER *ci = cipher == DP_SA_CHACHA20_POLY1305
				       ? EVP_chacha20_poly1305()
			       : klen == 20 ? EVP_aes_128_gcm()
					    : EVP_aes_256_gcm();
	uint32_t stride = (size + 2 * ROOM + 63) & ~63u;
	/* Inner packet, pad to 4, pad length and next header. */
	int n = (int)((size - 14 + 2 + 3) & ~3u);
	uint8_t key[32] = {7, 7, 7};
	size_t bytes = (size_t)n_bufs * stride;
	uint8_t *mem = calloc(1, bytes), *ct = malloc(bytes);
	EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
	int rc = mem == NULL || ct == NULL || cx == NULL ? -ENOMEM : 0;
	uint64_t last = 0; /* the last encrypt pass's first number - 1 */

	for (int is_enc = 1; rc == 0 && is_enc >= 0; is_enc--) {
		uint64_t cnt = 0, seq = 0;
		double t = 0;

		if (EVP_CipherInit_ex(cx, ci, NULL, key, NULL, is_enc) != 1 ||
		    EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_AEAD_SET_IVLEN, 12,
					NULL) != 1) {
			rc = -EIO;
			break;
		}
		/* Decrypt opens the last encrypt pass again and again. */
		while (rc == 0 && (n_fixed ? cnt < n_fixed : t < secs)) {
			if (is_enc) {
				last = seq;
			} else {
				memcpy(mem, ct, bytes);
				seq = last;
			}
			rc = evp_pass(cx, mem, stride, n, is_enc, &seq, &t);
			cnt += n_bufs;
		}
		if (is_enc)
			memcpy(ct, mem, bytes);
		if (rc == 0)
			printf("esp %s %u evp-%s: %.3f Mpps %.3f Gb/s\n", name,
			       size, is_enc ? "encrypt" : "decrypt",
			       (double)cnt / t / 1e6,
			       (double)cnt * size * 8 / t / 1e9);
	}
	if (rc != 0)
		fprintf(stderr, "evp: %s\n", strerror(-rc));
	EVP_CIPHER_CTX_free(cx);
	free(mem);
	free(ct);
	return rc;
}

/* --workers: one thread per worker, encrypting into SA 1. */
struct mt_worker {
	struct dp_pipeline *pl;
	unsigned idx;
	const uint8_t *frame;
	uint32_t len, stride;
	double secs;
	pthread_barrier_t *go;
	uint64_t n, ok;
	double t;
	int rc;
};

static void *
mt_main(void *arg)
{
	struct mt_worker *m = arg;
	struct dp_packet_ops ops = {.clone = tu_clone};
	unsigned nb = n_bufs;
	struct dp_packet *pk = calloc(nb, sizeof(*pk));
	uint8_t *mem = malloc((size_t)nb * m->stride);
	struct dp_burst_out *out = calloc(1, sizeof(*out));
	struct dp_worker *w = NULL;

	m->rc = pk == NULL || mem == NULL || out == NULL
			? -ENOMEM
			: dp_worker_create(m->pl, m->idx, &ops, &w);
	pthread_barrier_wait(m->go);
	while (m->rc == 0 && m->t < m->secs) {
		double t0;

		for (unsigned i = 0; i < nb; i++) {
			pk[i].data = mem + (size_t)i * m->stride + room;
			pk[i].len = m->len;
			pk[i].headroom = (uint16_t)room;
			pk[i].tailroom = (uint16_t)(m->stride - room - m->len);
			pk[i].in_port = 1;
			pk[i].opaque = NULL;
			memcpy(pk[i].data, m->frame, m->len);
		}
		t0 = now_s();
		for (unsigned i = 0; i < nb; i += DP_BURST) {
			struct dp_packet *v[DP_BURST];
			unsigned k = nb - i < DP_BURST ? nb - i : DP_BURST;

			for (unsigned j = 0; j < k; j++)
				v[j] = &pk[i + j];
			dp_worker_process(w, v, k, out);
			m->ok += out->n_tx;
		}
		dp_worker_quiescent(w);
		m->t += now_s() - t0;
		m->n += nb;
	}
	if (w != NULL)
		dp_worker_destroy(w);
	free(out);
	free(mem);
	free(pk);
	return NULL;
}

static int
run_mt(const char *name, uint8_t cipher, uint8_t klen, uint8_t integ,
       unsigned size, double secs, unsigned n_workers)
{
	struct dp_pipeline_config cfg = {.n_workers = n_workers,
					 .cache_entries = 1024};
	struct mt_worker m[DP_WORKERS_MAX];
	pthread_t th[DP_WORKERS_MAX];
	pthread_barrier_t go;
	struct bench b;
	uint8_t frame[2048];
	struct tu_frame f;
	struct dp_sa s;
	char err[160];
	uint64_t n = 0, ok = 0;
	double mpps = 0;
	int rc = 0;

	memset(&b, 0, sizeof(b));
	tu_frame_udp4(&f);
	f.payload = (uint16_t)(size - 42);
	if (dp_pipeline_create(&cfg, &b.t.pl) < 0 || rules(b.t.pl, true) < 0)
		return -1;
	sa_make(&s, DP_SA_OUT, cipher, klen, integ);
	if (pl_esp_sa_add(b.t.pl, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "sa: %s\n", err);
		dp_pipeline_destroy(b.t.pl);
		return -1;
	}
	pthread_barrier_init(&go, NULL, n_workers);
	for (unsigned i = 0; i < n_workers; i++) {
		m[i] = (struct mt_worker){.pl = b.t.pl,
					  .idx = i,
					  .frame = frame,
					  .secs = secs,
					  .go = &go};
		m[i].len = (uint32_t)tu_build(&f, frame);
		m[i].stride = (size + 2 * ROOM + 63) & ~63u;
	}
	for (unsigned i = 0; i < n_workers; i++)
		if (pthread_create(&th[i], NULL, mt_main, &m[i]) != 0)
			abort();
	for (unsigned i = 0; i < n_workers; i++) {
		pthread_join(th[i], NULL);
		if (m[i].rc != 0)
			rc = m[i].rc;
		n += m[i].n;
		ok += m[i].ok;
		mpps += m[i].t > 0 ? (double)m[i].n / m[i].t / 1e6 : 0;
	}
	pthread_barrier_destroy(&go);
	if (ok != n)
		fprintf(stderr, "encrypt: %llu of %llu out\n",
			(unsigned long long)ok, (unsigned long long)n);
	printf("esp %s %u encrypt %u workers%s: %.3f Mpps %.3f Gb/s "
	       "(sum)\n",
	       name, size, n_workers, pl_esp_group_bursts ? "" : " no-group",
	       mpps, mpps * size * 8 / 1e3);
	dp_pipeline_destroy(b.t.pl);
	return rc == 0 && ok == n ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name, *name6;
		uint8_t cipher, klen, integ;
	} cs[] = {
		{"aes-gcm-128", "aes-gcm-128/v6", DP_SA_AES_GCM_16, 20, 0},
		{"aes-gcm-256", "aes-gcm-256/v6", DP_SA_AES_GCM_16, 36, 0},
		{"chacha20-poly1305", "chacha20-poly1305/v6",
		 DP_SA_CHACHA20_POLY1305, 36, 0},
		{"aes-cbc-128", "aes-cbc-128/v6", DP_SA_AES_CBC, 16,
		 DP_SA_HMAC_SHA256_128},
	};
	const char *cipher = "aes-gcm-128";
	unsigned size = 1400;
	double secs = 2;
	uint64_t n_fixed = 0;
	unsigned n_workers = 1;

	/* --packets is rounded up to whole passes over the buffers. */

	for (int i = 1; i < argc; i += 2) {
		if (strcmp(argv[i], "--no-group") == 0) {
			pl_esp_group_bursts = false;
			i--;
			continue;
		}
		if (strcmp(argv[i], "--wall") == 0) {
			bench_clock = CLOCK_MONOTONIC;
			i--;
			continue;
		}
		if (strcmp(argv[i], "--evp") == 0) {
			evp_only = true;
			i--;
			continue;
		}
		if (strcmp(argv[i], "--v6") == 0 ||
		    strcmp(argv[i], "--natt") == 0) {
			*(argv[i][2] == 'v' ? &is_v6 : &is_natt) = true;
			i--;
			continue;
		}
		if (i + 1 == argc)
			goto usage;
		if (strcmp(argv[i], "--workers") == 0)
			n_workers = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--cipher") == 0)
			cipher = argv[i + 1];
		else if (strcmp(argv[i], "--size") == 0)
			size = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--seconds") == 0)
			secs = strtod(argv[i + 1], NULL);
		else if (strcmp(argv[i], "--packets") == 0)
			n_fixed = strtoull(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--buffers") == 0)
			n_bufs = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--room") == 0)
			room = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else
			goto usage;
	}
	if (size < 64 || size > 1514 || n_bufs < DP_BURST || n_bufs > N_BUFS ||
	    room < 64 || room > ROOM + 63 || n_workers < 1 ||
	    n_workers > DP_WORKERS_MAX)
		goto usage;
	n_fixed = (n_fixed + n_bufs - 1) / n_bufs * n_bufs;
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++)
		if (strcmp(cs[i].name, cipher) == 0 && n_workers > 1)
			return run_mt(is_v6 ? cs[i].name6 : cs[i].name,
				      cs[i].cipher, cs[i].klen, cs[i].integ,
				      size, secs, n_workers) == 0
				       ? 0
				       : 1;
		else if (strcmp(cs[i].name, cipher) == 0 && evp_only &&
			 cs[i].integ != 0)
			goto usage; /* --evp: AEAD ciphers only */
		else if (strcmp(cs[i].name, cipher) == 0 && evp_only)
			return run_evp(cs[i].name, cs[i].cipher, cs[i].klen,
				       size, secs, n_fixed) == 0
				       ? 0
				       : 1;
		else if (strcmp(cs[i].name, cipher) == 0)
			return run(is_v6 ? cs[i].name6 : cs[i].name,
				   cs[i].cipher, cs[i].klen, cs[i].integ, size,
				   secs, n_fixed) == 0
				       ? 0
				       : 1;
usage:
	fprintf(stderr, "usage: dp-esp-bench [--cipher aes-gcm-128|aes-gcm-256|"
			"chacha20-poly1305|aes-cbc-128] [--size 64..1514] "
			"[--seconds S] [--packets N] [--buffers 32..4096] "
			"[--no-group] [--workers 1..8] [--v6] [--natt] "
			"[--room 64..191] [--wall] [--evp]\n");
	return 2;
}
