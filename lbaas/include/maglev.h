/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * maglev.h: the Maglev consistent-hashing lookup table (Eisenbud et al.,
 * "Maglev: A Fast and Reliable Software Network Load Balancer", NSDI 2016,
 * section 3.4), with weights.
 *
 * The control side (lbaas/) builds one table per pool with maglev_build();
 * the datapath picks a backend for a new connection with maglev_lookup()
 * on a hash of its 5-tuple. Each backend is named by a stable 64-bit key
 * (maglev_key() of its member id), which alone fixes its preference list,
 * so removing one of N backends moves about 1/N of the entries, and only
 * entries of the removed backend plus a few others.
 *
 * Self-contained: only libc types; maglev_lookup() is static inline, never
 * allocates and is hot-path safe. Concurrency: a built table is an
 * immutable array; readers need nothing but the caller's RCU publication.
 */
#ifndef SLUICE_MAGLEV_H
#define SLUICE_MAGLEV_H

#include <stddef.h>
#include <stdint.h>

#define MAGLEV_SIZE_DEFAULT 65537u /* a prime, >= 100 x 655 backends */
#define MAGLEV_SIZE_MAX 16777213u  /* the largest table size accepted */
#define MAGLEV_BACKENDS_MAX 65535u
#define MAGLEV_WEIGHT_MAX 256u	/* as Octavia's member weight */
#define MAGLEV_EMPTY UINT32_MAX /* entry when no backend has weight > 0 */

/* One backend: a stable key and a weight (0: takes no entry). */
struct maglev_backend {
	uint64_t key;
	uint32_t weight; /* 0 .. MAGLEV_WEIGHT_MAX */
};

/* A stable 64-bit key for a backend name (FNV-1a, then mixed). */
uint64_t maglev_key(const void *data, size_t len);

/* True if n is prime. */
int maglev_is_prime(uint32_t n);

/*
 * The table size for n_backends: MAGLEV_SIZE_DEFAULT or, for more than
 * 655 backends, the smallest prime >= 100 x n_backends.
 */
uint32_t maglev_size_for(uint32_t n_backends);

/*
 * Fill table[0 .. size) with backend indexes into b[0 .. n): each backend
 * gets a share of entries proportional to its weight. size must be a
 * prime > n (MAGLEV_SIZE_MAX at most); with no backend of weight > 0 every
 * entry is MAGLEV_EMPTY. Allocates O(n) scratch memory, freed before
 * return. 0, -EINVAL (size not prime, n too large, weight out of range)
 * or -ENOMEM. Not hot-path safe: build off the packet path, then publish.
 */
int maglev_build(const struct maglev_backend *b, uint32_t n, uint32_t size,
		 uint32_t *table);

/* The backend index for a flow hash. Hot-path safe. */
static inline uint32_t
maglev_lookup(const uint32_t *table, uint32_t size, uint32_t hash)
{
	return table[hash % size];
}

#endif /* SLUICE_MAGLEV_H */
