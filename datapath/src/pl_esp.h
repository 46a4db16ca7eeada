/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pl_esp.h: ESP tunnel mode (RFC 4303) in the pipeline: the security
 * association table programmed by the control thread (SA_ADD, SA_DEL,
 * SA_DUMP of dp_proto.h) and the two transforms the executor
 * (pl_worker.c) runs for the esp_encrypt and esp_decrypt actions.
 *
 * Ciphers: AES-GCM-16 (RFC 4106), AES-CBC with HMAC-SHA2 (RFC 3602, RFC
 * 4868) and ChaCha20-Poly1305 (RFC 7634), through OpenSSL 3 EVP. Each SA
 * holds one keyed EVP context per worker, created when the SA is added;
 * per packet only the IV or nonce is set, nothing is allocated.
 *
 * Concurrency: the pl_esp_sa_* calls run on the control thread; the table
 * is published with one atomic pointer store and a replaced table (and a
 * deleted SA) is freed after an RCU grace period (the calling thread goes
 * offline for it if it is itself a reader). pl_esp_encrypt and
 * pl_esp_decrypt are hot-path safe and run on the worker that owns w.
 */
#ifndef SLUICE_PL_ESP_H
#define SLUICE_PL_ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_proto.h"
#include "pipeline.h"

struct dp_worker;
struct pl_pctx;

/*
 * Add an SA (keys copied; the caller's copy stays the caller's). 0,
 * -EINVAL (err names the bad parameter), -EEXIST (id, or inbound SPI, in
 * use), -ENOMEM, -EIO (OpenSSL refused the key). Flushes the flow cache.
 */
int pl_esp_sa_add(struct dp_pipeline *pl, const struct dp_sa *sa, char *err,
		  size_t err_len);
/* Delete SA id; its keys are zeroed. 0 or -ENOENT. */
int pl_esp_sa_del(struct dp_pipeline *pl, uint32_t id);

/* Visit SA id (0: every SA, by id) with counters summed over workers. */
typedef int (*pl_esp_sa_fn)(const struct dp_sa_info *si, void *arg);
int pl_esp_sa_dump(struct dp_pipeline *pl, uint32_t id, pl_esp_sa_fn fn,
		   void *arg);

/*
 * Report each SA event not reported yet (sequence numbers near their end
 * or used up, soft lifetimes reached): fn is called once per SA with new
 * event bits. Returns the number of calls. Control thread; cheap enough to
 * call on every poll.
 */
typedef void (*pl_esp_event_fn)(const struct dp_sa_event *ev, void *arg);
unsigned pl_esp_sa_events(struct dp_pipeline *pl, pl_esp_event_fn fn,
			  void *arg);

/* Free every SA (pipeline destruction; no worker may run). */
void pl_esp_destroy(struct dp_pipeline *pl);

/*
 * Bursts grouped per SA (worker w, its ctx[0 .. k-1] parsed and looked up
 * in the flow cache): begin counts the cache hits whose segment encrypts
 * into each outbound SA and reserves their sequence numbers, one
 * compare-and-swap per SA; pl_esp_encrypt then takes numbers from the
 * reservation and adds counters to the group; end adds the counters once
 * per SA and gives unused numbers back. Both cheap when no outbound SA
 * exists. Called by the executor (pl_worker.c) around a burst's walks.
 */
void pl_esp_burst_begin(struct dp_worker *w, unsigned k);
void pl_esp_burst_end(struct dp_worker *w);
/*
 * Grouping on (the default); false only to measure what it gains
 * (dp-esp-bench --no-group). Set before any worker runs.
 */
extern bool pl_esp_group_bursts;

/*
 * esp_encrypt(sa=sa_id) on the packet of c: tunnel-mode encapsulation
 * into a new outer Ethernet + IPv4 or IPv6 (the SA's DP_SA_F_IPV6) (+ UDP)
 * + ESP frame, the key reparsed
 * from it. w NULL (trace): nothing is done. Returns 0 or a drop reason;
 * or, for an IPv4 packet with DF set that would exceed the SA's mtu, the
 * negated next-hop MTU (the largest inner packet that fits): the caller
 * punts the unchanged packet with DP_PUNT_ESP_MTU | that MTU.
 *
 * An IPv4 packet with DF clear over the mtu is fragmented before
 * encryption (RFC 4459 3): c's packet becomes the first fragment's ESP
 * frame and the walk goes on with it; the other fragments are encrypted
 * into copies (the worker's clone op and budget) that wait. Then the
 * return is PL_ESP_FRAGS + (0 or a drop reason), and the caller takes
 * the others with pl_esp_frag_next() when c's packet leaves its walk:
 * they go where it goes, or are dropped with it.
 *
 * For an SA with an mtu, a TCP segment with SYN set has its MSS option
 * lowered to what fits the SA first (TCP MSS clamping, docs/esp.md),
 * whatever happens to it next (so a punted SYN carries the lowered MSS).
 */
enum { PL_ESP_FRAGS = 1 << 16 };
int pl_esp_encrypt(struct dp_worker *w, struct pl_pctx *c, uint32_t sa_id);

/*
 * The next waiting fragment of first (NULL: none left), with first's
 * headers in front of its outer IP packet (the Ethernet addresses the
 * rules set after esp_encrypt). *ok false: no headroom for them, drop it.
 * Fragments of one packet wait at a time per worker (another packet over
 * the mtu meanwhile is dropped, esp_too_big).
 */
struct dp_packet *pl_esp_frag_next(struct dp_worker *w,
				   const struct dp_packet *first, bool *ok);

/*
 * esp_decrypt: inbound SA by key.esp_spi, replay check, authentication,
 * decryption, padding check; the inner packet replaces the frame (behind
 * the outer Ethernet addresses) with key reparsed and reg1 = SA id; an
 * inner TCP SYN's MSS clamped as in pl_esp_encrypt when the SA has an
 * mtu. w NULL (trace): DP_DROP_ACTION. Returns 0 or a drop reason.
 */
int pl_esp_decrypt(struct dp_worker *w, struct pl_pctx *c);

#endif /* SLUICE_PL_ESP_H */
