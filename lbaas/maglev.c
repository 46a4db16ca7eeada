// SPDX-License-Identifier: BSD-2-Clause
/*
 * maglev.c: Maglev table population with weights (see maglev.h).
 *
 * Each backend's preference list is the permutation of [0, size) given by
 * offset + j * skip (mod size), offset and skip drawn from two hashes of
 * its key (NSDI 2016, section 3.4, pseudocode 1). Backends take turns
 * claiming their next free preferred entry; for weights, a backend earns
 * weight credits per turn and claims one entry per max_weight credits, so
 * the heaviest backend claims on every turn and the others in proportion.
 */
#include <errno.h>
#include <stdlib.h>

#include "maglev.h"

/* splitmix64's finaliser: a cheap bijective 64-bit mixer. */
static uint64_t
maglev_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t
maglev_key(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return maglev_mix(h);
}

int
maglev_is_prime(uint32_t n)
{
	uint32_t d;

	if (n < 2)
		return 0;
	if (n % 2 == 0)
		return n == 2;
	for (d = 3; (uint64_t)d * d <= n; d += 2) {
		if (n % d == 0)
			return 0;
	}
	return 1;
}

uint32_t
maglev_size_for(uint32_t n_backends)
{
	uint64_t want = (uint64_t)n_backends * 100;
	uint32_t n;

	if (want <= MAGLEV_SIZE_DEFAULT)
		return MAGLEV_SIZE_DEFAULT;
	if (want > MAGLEV_SIZE_MAX)
		return MAGLEV_SIZE_MAX;
	for (n = (uint32_t)want; !maglev_is_prime(n); n++)
		;
	return n;
}

struct maglev_perm {
	uint32_t offset;
	uint32_t skip;
	uint32_t next;	 /* index into the preference list */
	uint32_t credit; /* weight credits earned, < max weight */
};

int
maglev_build(const struct maglev_backend *b, uint32_t n, uint32_t size,
	     uint32_t *table)
{
	struct maglev_perm *p;
	uint32_t i, w_max = 0, filled = 0;

	if (size < 2 || size > MAGLEV_SIZE_MAX || !maglev_is_prime(size) ||
	    n > MAGLEV_BACKENDS_MAX || n >= size)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (b[i].weight > MAGLEV_WEIGHT_MAX)
			return -EINVAL;
		if (b[i].weight > w_max)
			w_max = b[i].weight;
	}
	for (i = 0; i < size; i++)
		table[i] = MAGLEV_EMPTY;
	if (w_max == 0)
		return 0;
	p = calloc(n, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		p[i].offset = (uint32_t)(maglev_mix(b[i].key) % size);
		p[i].skip = (uint32_t)(maglev_mix(b[i].key ^
						  0x9e3779b97f4a7c15ULL) %
				       (size - 1)) +
			    1;
	}
	while (filled < size) {
		for (i = 0; i < n && filled < size; i++) {
			uint32_t c;

			if (b[i].weight == 0)
				continue;
			p[i].credit += b[i].weight;
			if (p[i].credit < w_max)
				continue;
			p[i].credit -= w_max;
			/* The permutation visits every entry once per size
			 * steps, so a free one is always found. */
			do {
				c = (uint32_t)(((uint64_t)p[i].offset +
						(uint64_t)p[i].next *
							p[i].skip) %
					       size);
				p[i].next++;
			} while (table[c] != MAGLEV_EMPTY);
			table[c] = i;
			filled++;
		}
	}
	free(p);
	return 0;
}
