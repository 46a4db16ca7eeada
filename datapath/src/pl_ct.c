/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pl_ct.c: connection tracking and NAT, the state behind the ct action.
 * The executor (pl_worker.c) calls pl_ct_exec() for each ct action; this
 * file finds the packet's connection, runs the TCP state machine, commits
 * new connections with their NAT binding, translates packets (and ICMP
 * errors with their embedded header) and sets key.ct_state, ct_zone and
 * ct_mark, so the tables after the ct action match on them.
 *
 * The table: a preallocated pool of ct_max 96-byte connections (a hot and
 * a cold part: an IPv4 hit reads one line of it) and open
 * hashing into buckets grouped 15 to a cache line with the group's
 * spinlock. A connection holds its original and its reply tuple and is
 * linked under both (zone, addresses, protocol, ports or ICMP echo id):
 * a packet of either direction finds it with one hash. NAT is nothing but
 * a reply tuple that differs from the original one reversed, as in Linux
 * conntrack: a packet of direction d is rewritten into the reverse of the
 * other direction's tuple. Nothing is allocated per packet: connections
 * come from a free list (or the untouched end of the pool, so memory is
 * used as connections are), and both tables are mapped, not touched, at
 * creation.
 *
 * Timeouts are per protocol state (seconds, as OVS and Linux: TCP SYN 30,
 * established 24 h, FIN 120, TIME_WAIT 30, closed 10; UDP 30 until a
 * reply, then 120; ICMP 30; other 60) on a coarse monotonic clock read
 * once per burst. An expired connection is ignored by lookups, removed
 * when a lookup can do it cheaply, and reclaimed by the sweep that workers
 * run a little of from dp_worker_quiescent() (and the control thread when
 * no worker runs), or at once when a commit finds the pool empty.
 *
 * Semantics and decisions (docs/conntrack.md): +est for every packet of a
 * committed connection (OVS); +new only for a packet that may open one (a
 * TCP SYN without ACK, an ICMP echo request, any UDP or other datagram);
 * +inv with a counted reason otherwise, for fragments (no reassembly) and
 * when a commit finds no free NAT tuple. A full table evicts: a commit
 * with no free entry takes the least recently used connection of the best
 * rank (expired, closed, closing, unreplied, then replied) among those of
 * its bucket group (conn_evict()). No TCP window
 * (sequence) tracking. The ct action's NAT is IPv4 only, one binding
 * (source or destination) per connection, made by its first commit;
 * lb_select's full NAT (both addresses and ports) is IPv4 or IPv6, and
 * ct(nat) un-NATs the replies of either (and translates ICMP and ICMPv6
 * errors about them).
 *
 * Lock order: bucket groups in ascending index, then the free-list lock.
 * A linked connection's tuples, zone and protocol are immutable; its
 * state word, expiry and mark are updated with atomics (two workers may
 * see the two directions of one connection at once). A group's lock word
 * is also a sequence count: most packets of a known connection are
 * answered without taking it (ct_lookup_ro()), and those that must write
 * take it from the count they read, so that nothing read is stale.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "pl_ct.h"
#include "pl_parse.h"

#if defined(__x86_64__) || defined(__i386__)
#define CT_PAUSE() __asm__ __volatile__("pause")
#else
#define CT_PAUSE() __asm__ __volatile__("" ::: "memory")
#endif

enum {
	CT_SLOTS = 11,		  /* tagged links per group (one line) */
	CT_RO_OVF = 16,		  /* overflow links a lockless lookup walks */
	CT_SWEEP_EVERY = 64,	  /* quiescent calls between sweep steps */
	CT_SWEEP_GROUPS = 16,	  /* groups per sweep step */
	CT_RECLAIM_GROUPS = 1024, /* swept when a commit finds no entry */
	CT_NAT_TRIES = 1024,	  /* candidate tuples per NAT binding */
	CT_NAT_ADDRS = 16,	  /* addresses tried per binding */
	CT_BATCH = 64,		  /* entries copied per lock hold (dump) */
	CT_EVICT_GROUPS = 16,	  /* groups an eviction looks at, at most */
	CT_EVICT_LINKS = 8,	  /* candidates enough to stop looking */
};

/* Timeouts, seconds. */
enum {
	CT_TO_SYN = 30,
	CT_TO_EST = 24 * 3600,
	CT_TO_FIN = 120,
	CT_TO_TIME_WAIT = 30,
	CT_TO_CLOSED = 10,
	CT_TO_UDP = 30,
	CT_TO_UDP_BOTH = 120,
	CT_TO_ICMP = 30,
	CT_TO_OTHER = 60,
};

static const uint32_t ct_tcp_timeout[DP_CT_TCP__COUNT] = {
	[DP_CT_TCP_NONE] = CT_TO_OTHER,
	[DP_CT_TCP_SYN_SENT] = CT_TO_SYN,
	[DP_CT_TCP_SYN_RECV] = CT_TO_SYN,
	[DP_CT_TCP_ESTABLISHED] = CT_TO_EST,
	[DP_CT_TCP_FIN_WAIT] = CT_TO_FIN,
	[DP_CT_TCP_CLOSE_WAIT] = CT_TO_FIN,
	[DP_CT_TCP_TIME_WAIT] = CT_TO_TIME_WAIT,
	[DP_CT_TCP_CLOSED] = CT_TO_CLOSED,
};

/* Connection state word: TCP state in the low 4 bits, then flags. */
enum {
	CT_S_TCP = 0x0f,
	CT_S_REPLY = 0x10, /* a reply-direction packet was seen */
	CT_S_FIN0 = 0x20,  /* FIN seen from the original direction */
	CT_S_FIN1 = 0x40,  /* FIN seen from the reply direction */
	CT_S_SNAT = 0x80,  /* the reply tuple's destination differs */
	CT_S_DNAT = 0x100, /* the reply tuple's source differs */
	CT_S_LB = 0x200,   /* made by lb_select: mark names its member */
	CT_S_POOL_SHIFT = 16,
	CT_S_POOL = 0xfff0000, /* LB: its pool, whose timeouts apply */
};

/* Timeouts of an LB pool's connections: the TCP states, then UDP. */
enum { CT_LB_TO_UDP = DP_CT_TCP__COUNT, CT_LB_TO_N = DP_CT_TCP__COUNT + 2 };

/* TCP flags (RFC 9293 3.1). */
enum {
	TCP_FIN = 0x01,
	TCP_SYN = 0x02,
	TCP_RST = 0x04,
	TCP_PSH = 0x08,
	TCP_ACK = 0x10,
	TCP_URG = 0x20,
};

/*
 * A connection: 96 bytes, in two parts. A link is ((index << 1) |
 * direction) + 1 (0: none); tuple d (0 original, 1 reply) is linked in a
 * slot of its group or, when the slots are full, in the group's overflow
 * chain, next[d] its successor there. In the free list next[0] links free
 * entries.
 *
 * The hot part is everything a packet of an IPv4 connection reads: the
 * state, and of each tuple the first 4 bytes of its addresses (all of an
 * IPv4 address) and its ports. The cold part holds the other 12 bytes of
 * each address, zero for IPv4. Two connections share three cache lines
 * (struct ct_pair) so that each hot part is within one line: a hit on an
 * IPv4 connection reads one line of it, an IPv6 one two
 * (docs/conntrack.md, "Hot and cold parts"). conn_tuple() and
 * conn_set_tuple() read and write a whole tuple.
 */
struct ct_lo {
	uint8_t src[4];
	uint8_t dst[4];
	uint16_t sport; /* network order, as in dp_ct_tuple */
	uint16_t dport;
};

struct ct_conn {
	uint32_t next[2];
	uint16_t zone;
	uint8_t proto;
	uint8_t family;	  /* 4 or 6 */
	uint32_t state;	  /* atomic: CT_S_* */
	uint32_t expires; /* atomic: clock second */
	uint32_t mark;	  /* atomic */
	struct ct_lo lo[2];
};

struct ct_cold {
	struct {
		uint8_t src[12];
		uint8_t dst[12];
	} hi[2];
};

/* Connections 2i (a) and 2i + 1 (b): a's hot part is line 0, b's the
 * last 48 bytes of line 2, the cold parts between. */
struct ct_pair {
	struct ct_conn a;
	struct ct_cold a_cold;
	struct ct_cold b_cold;
	struct ct_conn b;
} PL_ALIGNED;

_Static_assert(sizeof(struct ct_conn) == 48, "a hot part is 48 bytes");
_Static_assert(sizeof(struct ct_cold) == 48, "a cold part is 48 bytes");
_Static_assert(sizeof(struct ct_pair) == 192, "two connections, 3 lines");
_Static_assert(offsetof(struct ct_pair, b) == 144 &&
		       offsetof(struct ct_pair, b_cold) == 96,
	       "b's hot part is within the pair's last line");
_Static_assert(DP_LB_POOL_ID_MAX <= CT_S_POOL >> CT_S_POOL_SHIFT,
	       "a pool id fits CT_S_POOL");

/*
 * A bucket group, one cache line: the lock, CT_SLOTS links each with an
 * 8-bit tag of its tuple's hash (a lookup reads, and the prefetch stage
 * prefetches, only the entries whose tag matches), and the head of the
 * chain of links that found every slot taken. Links and tags are written
 * under the lock, read without it by the prefetch stage (hints only).
 */
struct ct_group {
	uint32_t lock;
	uint32_t ovf;
	uint8_t tag[CT_SLOTS + 1]; /* 8-byte aligned: two loads */
	uint32_t link[CT_SLOTS];   /* 0: free */
} PL_ALIGNED;

_Static_assert(sizeof(struct ct_group) == 64, "a group is one line");

/* A tuple looked up, with what the lookup found. */
struct ct_look {
	struct dp_ct_tuple t;
	uint16_t zone;
	uint8_t proto;
	uint8_t family;
	uint32_t hash;
	uint32_t link; /* found: its link; 0 not found */
	uint8_t cs;    /* ct_state the lookup gave */
	uint8_t is_echo;
	uint8_t hint; /* slot of hash's group to try first + 1 (0: none) */
	uint8_t pad;
};

/* Per worker (and control): written by its thread only. */
struct ct_slot {
	uint32_t now;
	uint32_t stamp;	  /* last lookup's stamp */
	uint32_t n_quiet; /* quiescent calls */
	uint32_t reclaim_at;
	struct ct_look last;
	uint64_t lookups, commits, expired, flushed, related, nat, evicted;
	uint64_t lockless; /* lookups ct_lookup_ro() answered, reading */
	uint64_t upgraded; /* and those it answered writing */
	uint64_t invalid[DP_CT_INV__COUNT];
} PL_ALIGNED;

struct pl_ct {
	struct ct_pair *pairs;
	struct ct_group *groups;
	size_t conns_len;
	size_t groups_len;
	uint32_t max;
	uint32_t gmask;
	uint32_t free_lock;
	uint32_t free_head;    /* index + 1 */
	uint32_t n_fresh;      /* entries never used start here */
	uint32_t n_used;       /* free_lock; read atomically */
	uint32_t prefetch_min; /* pl_ct_is_big() from; tests lower it */
	uint32_t sweep_at;     /* atomic: next group to sweep */
	uint32_t (*clock)(void *);
	void *clock_arg;
	time_t base;
	void (*lb_closed)(void *, uint32_t); /* pl_ct_set_lb_hook() */
	void (*lb_reply)(void *, unsigned, uint32_t, uint32_t);
	/* Per LB pool, seconds: per TCP state, then UDP one-way and
	 * replied (pl_ct_set_lb_timeouts(); atomic). */
	uint32_t lb_to[DP_LB_POOL_ID_MAX + 1][CT_LB_TO_N];
	void *lb_arg;
	uint32_t tag_mask;     /* 0xff; tests force tag collisions */
	uint64_t rate_commits; /* control: commit_rate sample */
	struct timespec rate_ts;
	struct ct_slot slot[DP_WORKERS_MAX + 1];
};

/*
 * Locks. A group's lock word is also its sequence count: odd while a
 * writer holds it, advanced by two at each release, so that
 * ct_lookup_ro() can read a group and its connections without taking it
 * and see afterwards whether a writer came in between. The free-list lock
 * is the same kind (its count unused).
 */

static inline void
spin_lock(uint32_t *l)
{
	for (;;) {
		uint32_t v = __atomic_load_n(l, __ATOMIC_RELAXED);

		if ((v & 1) == 0 && __atomic_compare_exchange_n(
					    l, &v, v + 1, true,
					    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		CT_PAUSE();
	}
}

static inline bool
spin_trylock(uint32_t *l)
{
	uint32_t v = __atomic_load_n(l, __ATOMIC_RELAXED);

	return (v & 1) == 0 &&
	       __atomic_compare_exchange_n(l, &v, v + 1, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void
spin_unlock(uint32_t *l)
{
	/* Held: only this thread writes it until the store. */
	__atomic_store_n(l, __atomic_load_n(l, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELEASE);
}

static void
lock2(struct pl_ct *ct, uint32_t g0, uint32_t g1)
{
	if (g0 > g1) {
		uint32_t t = g0;

		g0 = g1;
		g1 = t;
	}
	spin_lock(&ct->groups[g0].lock);
	if (g1 != g0)
		spin_lock(&ct->groups[g1].lock);
}

static void
unlock2(struct pl_ct *ct, uint32_t g0, uint32_t g1)
{
	spin_unlock(&ct->groups[g0].lock);
	if (g1 != g0)
		spin_unlock(&ct->groups[g1].lock);
}

/* Clock. */

static uint32_t
clock_read(struct pl_ct *ct)
{
	struct timespec ts;

	if (ct->clock != NULL)
		return ct->clock(ct->clock_arg);
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint32_t)(ts.tv_sec - ct->base) + 1;
}

/* Hashing and chains. */

/*
 * An IPv4 tuple's hash: the addresses in one word, the ports, zone,
 * protocol and family in the other, mixed once and once more to spread
 * them (two multiplies, where the 5 words of the general hash take four;
 * the established path hashes each packet).
 * pl_ct_prefetch_group() computes it from a key's fields.
 */
static inline uint32_t
tuple_hash4(uint32_t src, uint32_t dst, uint32_t ports, uint16_t zone,
	    uint8_t proto)
{
	uint64_t a = (uint64_t)src | (uint64_t)dst << 32;
	uint64_t b = ports | (uint64_t)zone << 32 | (uint64_t)proto << 48 |
		     (uint64_t)4 << 56;

	return (uint32_t)pl_mix(pl_mix(a ^ pl_hash_k[0], b ^ pl_hash_k[1]),
				0x7654321ULL);
}

static inline uint32_t
tuple_hash(const struct dp_ct_tuple *t, uint16_t zone, uint8_t proto,
	   uint8_t family)
{
	uint64_t w[5];
	uint32_t ports;

	memcpy(&ports, &t->sport, 4);
	if (family == 4) {
		uint32_t src, dst;

		memcpy(&src, t->src, 4);
		memcpy(&dst, t->dst, 4);
		return tuple_hash4(src, dst, ports, zone, proto);
	}
	memcpy(w, t->src, 16);
	memcpy(w + 2, t->dst, 16);
	w[4] = ports | (uint64_t)zone << 32 | (uint64_t)proto << 48 |
	       (uint64_t)family << 56;
	return pl_hash_words(w, 5);
}

static inline uint32_t
hash_group(const struct pl_ct *ct, uint32_t h)
{
	return h & ct->gmask;
}

static inline uint8_t
hash_tag(const struct pl_ct *ct, uint32_t h)
{
	/* The top bits: the group index takes the low ones. */
	return (uint8_t)(h >> 24) & (uint8_t)ct->tag_mask;
}

/*
 * Connection idx's hot part: a's at 0 in its pair, b's at 144, so at 48 *
 * (2 * idx + (idx & 1)) from the first pair (no branch, no cmov).
 */
static inline struct ct_conn *
conn_at(const struct pl_ct *ct, uint32_t idx)
{
	_Static_assert(offsetof(struct ct_pair, b) ==
			       3 * sizeof(struct ct_conn),
		       "conn_at()'s arithmetic");
	return (struct ct_conn *)((char *)ct->pairs +
				  ((size_t)idx * 2 + (idx & 1)) *
					  sizeof(struct ct_conn));
}

static inline struct ct_conn *
link_conn(const struct pl_ct *ct, uint32_t link)
{
	return conn_at(ct, (link - 1) >> 1);
}

/* The cold part beside hot part e: a's follows it, b's precedes it. */
static inline struct ct_cold *
conn_cold(const struct ct_conn *e)
{
	uintptr_t a = (uintptr_t)e;

	return (struct ct_cold *)((a & 63) == 0 ? a + sizeof(*e)
						: a - sizeof(struct ct_cold));
}

/* Tuple d of e, whole. An IPv4 connection's cold part is not read. */
static inline void
conn_tuple(const struct ct_conn *e, unsigned d, struct dp_ct_tuple *t)
{
	memcpy(t->src, e->lo[d].src, 4);
	memcpy(t->dst, e->lo[d].dst, 4);
	if (e->family == 4) {
		memset(t->src + 4, 0, 12);
		memset(t->dst + 4, 0, 12);
	} else {
		const struct ct_cold *c = conn_cold(e);

		memcpy(t->src + 4, c->hi[d].src, 12);
		memcpy(t->dst + 4, c->hi[d].dst, 12);
	}
	t->sport = e->lo[d].sport;
	t->dport = e->lo[d].dport;
}

static inline void
conn_set_tuple(struct ct_conn *e, unsigned d, const struct dp_ct_tuple *t)
{
	struct ct_cold *c = conn_cold(e);

	memcpy(e->lo[d].src, t->src, 4);
	memcpy(e->lo[d].dst, t->dst, 4);
	memcpy(c->hi[d].src, t->src + 4, 12);
	memcpy(c->hi[d].dst, t->dst + 4, 12);
	e->lo[d].sport = t->sport;
	e->lo[d].dport = t->dport;
}

static inline unsigned
link_dir(uint32_t link)
{
	return (link - 1) & 1;
}

static inline uint32_t
make_link(uint32_t idx, unsigned dir)
{
	return ((idx << 1) | dir) + 1;
}

static inline uint32_t
conn_hash(const struct ct_conn *e, unsigned dir)
{
	struct dp_ct_tuple t;

	conn_tuple(e, dir, &t);
	return tuple_hash(&t, e->zone, e->proto, e->family);
}

/* 12 bytes equal: two loads a side (GCC 12 calls memcmp() for 12). */
static inline bool
eq12(const uint8_t *a, const uint8_t *b)
{
	uint64_t a0, b0;
	uint32_t a1, b1;

	memcpy(&a0, a, 8);
	memcpy(&b0, b, 8);
	memcpy(&a1, a + 8, 4);
	memcpy(&b1, b + 8, 4);
	return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/*
 * Whether tuple dir of e is l's. The hot part first; an IPv4 tuple's
 * other address bytes are zero on both sides (tuple_from_packet(),
 * inner_parse() and conn_set_tuple() make them so), so only IPv6 reads
 * the cold part.
 */
static inline bool
conn_is(const struct ct_conn *e, unsigned dir, const struct ct_look *l)
{
	const struct ct_lo *lo = &e->lo[dir];
	const struct ct_cold *c;

	if (e->zone != l->zone || e->proto != l->proto ||
	    e->family != l->family || memcmp(lo->src, l->t.src, 4) != 0 ||
	    memcmp(lo->dst, l->t.dst, 4) != 0 || lo->sport != l->t.sport ||
	    lo->dport != l->t.dport)
		return false;
	if (l->family == 4)
		return true;
	c = conn_cold(e);
	return eq12(c->hi[dir].src, l->t.src + 4) &&
	       eq12(c->hi[dir].dst, l->t.dst + 4);
}

static inline bool
conn_is_expired(const struct ct_conn *e, uint32_t now)
{
	return (int32_t)(now -
			 __atomic_load_n(&e->expires, __ATOMIC_RELAXED)) >= 0;
}

/*
 * The slots of grp whose tag is tag: bit 8 * i + 7 of tag_lo() for slot
 * i < 8, of tag_hi() for slot 8 + i (SWAR: the tag bytes compared eight
 * at a time; a borrow may also flag the byte after a matching one, which
 * the caller's full compare rejects). tag_hi() only when tag_lo() found
 * nothing: 8 of the 11 slots are in the first word.
 */
static inline uint64_t
tag_lo(const struct ct_group *grp, uint8_t tag)
{
	const uint64_t ones = 0x0101010101010101ull;
	uint64_t lo, x;

	memcpy(&lo, grp->tag, 8);
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	lo = __builtin_bswap64(lo);
#endif
	x = lo ^ (ones * tag);
	return (x - ones) & ~x & 0x8080808080808080ull;
}

static inline uint32_t
tag_hi(const struct ct_group *grp, uint8_t tag)
{
	uint32_t h, y;

	memcpy(&h, grp->tag + 8, 4);
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	h = __builtin_bswap32(h);
#endif
	y = h ^ (0x01010101u * tag);
	return (y - 0x01010101u) & ~y & 0x00808080u;
}

/*
 * Find l's tuple in the tagged slots of grp; its link or 0. Links are read
 * atomically: ct_lookup_ro() calls it without the lock.
 */
static inline __attribute__((always_inline)) uint32_t
slot_find(const struct pl_ct *ct, const struct ct_group *grp,
	  const struct ct_look *l)
{
	uint8_t tag = hash_tag(ct, l->hash);
	uint64_t m = tag_lo(grp, tag);
	uint32_t hi, link;

	while (m != 0) {
		link = __atomic_load_n(&grp->link[__builtin_ctzll(m) >> 3],
				       __ATOMIC_RELAXED);
		m &= m - 1;
		if (link != 0 &&
		    conn_is(link_conn(ct, link), link_dir(link), l))
			return link;
	}
	for (hi = tag_hi(grp, tag); hi != 0;) {
		link = __atomic_load_n(&grp->link[8 + (__builtin_ctz(hi) >> 3)],
				       __ATOMIC_RELAXED);
		hi &= hi - 1;
		if (link != 0 &&
		    conn_is(link_conn(ct, link), link_dir(link), l))
			return link;
	}
	return 0;
}

/*
 * l's link among the first max links of grp's overflow chain, or 0.
 * Locked (max UINT32_MAX), or from ct_lookup_ro() without the lock
 * (CT_RO_OVF): a writer may then relink the chain during the walk (a
 * link read may be of an entry since moved or reused, and the chain may
 * even loop for a moment); each link is a valid entry all the same, the
 * walk is bounded, and the sequence count read again at the end rejects
 * what was found then. Hence the atomic loads.
 */
static inline uint32_t
ovf_find(const struct pl_ct *ct, const struct ct_group *grp,
	 const struct ct_look *l, uint32_t max)
{
	uint32_t link = __atomic_load_n(&grp->ovf, __ATOMIC_RELAXED);

	for (uint32_t n = 0; link != 0 && n < max; n++) {
		const struct ct_conn *e = link_conn(ct, link);
		unsigned d = link_dir(link);

		if (conn_is(e, d, l))
			return link;
		link = __atomic_load_n(&e->next[d], __ATOMIC_RELAXED);
	}
	return 0;
}

/* Find l's tuple in its group (locked); its link or 0. */
static inline __attribute__((always_inline)) uint32_t
chain_find_inl(const struct pl_ct *ct, const struct ct_look *l)
{
	const struct ct_group *grp = &ct->groups[hash_group(ct, l->hash)];
	uint32_t link = slot_find(ct, grp, l);

	if (link != 0)
		return link;
	return ovf_find(ct, grp, l, UINT32_MAX);
}

/* The same out of line (commits, reuse); lb_select's lookup inlines it. */
static uint32_t
chain_find(const struct pl_ct *ct, const struct ct_look *l)
{
	return chain_find_inl(ct, l);
}

/* Put link in slot i of grp with tag (group locked). */
static void
slot_set(struct ct_group *grp, unsigned i, uint8_t tag, uint32_t link)
{
	/* Atomic: the prefetch stage peeks at slots without the lock. */
	__atomic_store_n(&grp->tag[i], tag, __ATOMIC_RELAXED);
	__atomic_store_n(&grp->link[i], link, __ATOMIC_RELAXED);
}

static void
chain_add(struct pl_ct *ct, uint32_t h, uint32_t link)
{
	struct ct_group *grp = &ct->groups[hash_group(ct, h)];
	struct ct_conn *e = link_conn(ct, link);

	for (unsigned i = 0; i < CT_SLOTS; i++) {
		if (grp->link[i] == 0) {
			__atomic_store_n(&e->next[link_dir(link)], 0,
					 __ATOMIC_RELAXED);
			slot_set(grp, i, hash_tag(ct, h), link);
			return;
		}
	}
	/* Atomic: ct_lookup_ro() walks the chain without the lock. */
	__atomic_store_n(&e->next[link_dir(link)], grp->ovf, __ATOMIC_RELAXED);
	__atomic_store_n(&grp->ovf, link, __ATOMIC_RELAXED);
}

static void
chain_del(struct pl_ct *ct, uint32_t h, uint32_t link)
{
	struct ct_group *grp = &ct->groups[hash_group(ct, h)];
	uint32_t *p;

	for (unsigned i = 0; i < CT_SLOTS; i++) {
		if (grp->link[i] == link) {
			uint32_t o = grp->ovf;

			if (o == 0) {
				slot_set(grp, i, 0, 0);
				return;
			}
			/* The overflow chain's first link takes the slot. */
			__atomic_store_n(&grp->ovf,
					 link_conn(ct, o)->next[link_dir(o)],
					 __ATOMIC_RELAXED);
			__atomic_store_n(&link_conn(ct, o)->next[link_dir(o)],
					 0, __ATOMIC_RELAXED);
			slot_set(grp, i,
				 hash_tag(ct, conn_hash(link_conn(ct, o),
							link_dir(o))),
				 o);
			return;
		}
	}
	for (p = &grp->ovf; *p != 0;
	     p = &link_conn(ct, *p)->next[link_dir(*p)]) {
		if (*p == link) {
			__atomic_store_n(
				p, link_conn(ct, link)->next[link_dir(link)],
				__ATOMIC_RELAXED);
			return;
		}
	}
}

/* Walks every link of a group (locked): slots, then the overflow chain. */
struct ct_iter {
	unsigned i;
	uint32_t link;
};

static uint32_t
iter_next(const struct pl_ct *ct, const struct ct_group *grp,
	  struct ct_iter *it)
{
	while (it->i < CT_SLOTS) {
		uint32_t link = grp->link[it->i++];

		if (link != 0)
			return link;
	}
	if (it->i == CT_SLOTS) {
		it->i++;
		it->link = grp->ovf;
	} else if (it->link != 0) {
		it->link = link_conn(ct, it->link)->next[link_dir(it->link)];
	}
	return it->link;
}

/* The pool. */

static uint32_t
pool_get(struct pl_ct *ct)
{
	uint32_t idx = UINT32_MAX;

	spin_lock(&ct->free_lock);
	if (ct->free_head != 0) {
		idx = ct->free_head - 1;
		ct->free_head = conn_at(ct, idx)->next[0];
	} else if (ct->n_fresh < ct->max) {
		idx = ct->n_fresh++;
	}
	if (idx != UINT32_MAX)
		__atomic_fetch_add(&ct->n_used, 1, __ATOMIC_RELAXED);
	spin_unlock(&ct->free_lock);
	return idx;
}

static void
pool_put(struct pl_ct *ct, uint32_t idx)
{
	spin_lock(&ct->free_lock);
	conn_at(ct, idx)->next[0] = ct->free_head;
	ct->free_head = idx + 1;
	__atomic_fetch_sub(&ct->n_used, 1, __ATOMIC_RELAXED);
	spin_unlock(&ct->free_lock);
}

/* Unlink e (index idx), keeping the entry; both groups are locked. */
static void
conn_unlink_locked(struct pl_ct *ct, uint32_t idx, uint32_t h0, uint32_t h1)
{
	const struct ct_conn *e = conn_at(ct, idx);

	if ((__atomic_load_n(&e->state, __ATOMIC_RELAXED) & CT_S_LB) &&
	    ct->lb_closed != NULL)
		ct->lb_closed(ct->lb_arg, e->mark);
	chain_del(ct, h0, make_link(idx, 0));
	chain_del(ct, h1, make_link(idx, 1));
}

/* Unlink and free e (index idx); both of its groups are locked. */
static void
conn_free_locked(struct pl_ct *ct, uint32_t idx, uint32_t h0, uint32_t h1)
{
	conn_unlink_locked(ct, idx, h0, h1);
	pool_put(ct, idx);
}

/*
 * Remove the connection of link while holding group held (and held2, the
 * same or another group already locked). Another group it is in is
 * locked when the order allows, tried otherwise. True when removed.
 */
static bool
conn_kill(struct pl_ct *ct, uint32_t link, uint32_t held, uint32_t held2)
{
	struct ct_conn *e = link_conn(ct, link);
	uint32_t idx = (link - 1) >> 1;
	uint32_t h0 = conn_hash(e, 0), h1 = conn_hash(e, 1);
	uint32_t g0 = hash_group(ct, h0), g1 = hash_group(ct, h1);
	uint32_t other = g0 == held || g0 == held2 ? g1 : g0;
	bool is_locked = false;

	if (other != held && other != held2) {
		if (other > held && other > held2)
			spin_lock(&ct->groups[other].lock);
		else if (!spin_trylock(&ct->groups[other].lock))
			return false;
		is_locked = true;
	}
	conn_free_locked(ct, idx, h0, h1);
	if (is_locked)
		spin_unlock(&ct->groups[other].lock);
	return true;
}

/*
 * Remove the connection whose original link is link, found in group g
 * (not locked by the caller): locks both groups in order and checks it is
 * still there. True when removed.
 */
static bool
conn_kill_ordered(struct pl_ct *ct, uint32_t link, uint32_t g)
{
	struct ct_conn *e = link_conn(ct, link);
	struct ct_look l;
	uint32_t g1, h1;
	bool is_done = false;

	spin_lock(&ct->groups[g].lock);
	memset(&l, 0, sizeof(l));
	conn_tuple(e, 0, &l.t);
	l.zone = e->zone;
	l.proto = e->proto;
	l.family = e->family;
	l.hash = tuple_hash(&l.t, l.zone, l.proto, l.family);
	if (hash_group(ct, l.hash) != g || chain_find(ct, &l) != link) {
		spin_unlock(&ct->groups[g].lock);
		return false;
	}
	h1 = conn_hash(e, 1);
	g1 = hash_group(ct, h1);
	if (g1 >= g) {
		if (g1 != g)
			spin_lock(&ct->groups[g1].lock);
		conn_free_locked(ct, (link - 1) >> 1, l.hash, h1);
		unlock2(ct, g, g1);
		return true;
	}
	spin_unlock(&ct->groups[g].lock);
	lock2(ct, g, g1);
	if (chain_find(ct, &l) == link && conn_hash(e, 1) == h1) {
		conn_free_locked(ct, (link - 1) >> 1, l.hash, h1);
		is_done = true;
	}
	unlock2(ct, g, g1);
	return is_done;
}

/* Timeouts and the TCP state machine. */

static uint32_t
conn_timeout(uint8_t proto, uint32_t state)
{
	unsigned tcp = state & CT_S_TCP;

	switch (proto) {
	case IPPROTO_TCP:
		return ct_tcp_timeout[tcp < DP_CT_TCP__COUNT ? tcp : 0];
	case IPPROTO_UDP:
		return state & CT_S_REPLY ? CT_TO_UDP_BOTH : CT_TO_UDP;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return CT_TO_ICMP;
	default:
		return CT_TO_OTHER;
	}
}

/*
 * conn_timeout(), or for a connection of an LB pool (CT_S_POOL: TCP or
 * UDP) its pool's table, which holds the defaults where the pool set
 * none (pl_ct_set_lb_timeouts): one load.
 */
static inline uint32_t
conn_timeout_of(const struct pl_ct *ct, uint8_t proto, uint32_t state)
{
	uint32_t pool = (state & CT_S_POOL) >> CT_S_POOL_SHIFT;
	unsigned i = proto == IPPROTO_TCP
			     ? state & CT_S_TCP
			     : CT_LB_TO_UDP + !!(state & CT_S_REPLY);

	if (pool == 0 || i >= CT_LB_TO_N)
		return conn_timeout(proto, state);
	return __atomic_load_n(&ct->lb_to[pool][i], __ATOMIC_RELAXED);
}

/* An LB pool's table: idle_s and connect_s where not 0, else defaults. */
static void
lb_to_fill(uint32_t *to, uint32_t idle_s, uint32_t connect_s)
{
	for (unsigned i = 0; i < CT_LB_TO_N; i++) {
		uint32_t t = i < CT_LB_TO_UDP	 ? ct_tcp_timeout[i]
			     : i == CT_LB_TO_UDP ? CT_TO_UDP
						 : CT_TO_UDP_BOTH;

		if (idle_s != 0 &&
		    (i == DP_CT_TCP_ESTABLISHED || i == DP_CT_TCP_FIN_WAIT ||
		     i == DP_CT_TCP_CLOSE_WAIT || i >= CT_LB_TO_UDP))
			t = idle_s;
		else if (connect_s != 0 && i == DP_CT_TCP_SYN_SENT)
			t = connect_s;
		__atomic_store_n(&to[i], t, __ATOMIC_RELAXED);
	}
}

/* RFC 9293 flag combinations a segment may carry (as Linux accepts). */
static bool
tcp_flags_ok(uint16_t f)
{
	f &= TCP_FIN | TCP_SYN | TCP_RST | TCP_ACK | TCP_URG;
	if (f == TCP_ACK) /* most segments */
		return true;
	if ((f & TCP_URG) && !(f & TCP_ACK))
		return false;
	switch (f & ~TCP_URG) {
	case TCP_SYN:
	case TCP_SYN | TCP_ACK:
	case TCP_RST:
	case TCP_RST | TCP_ACK:
	case TCP_FIN | TCP_ACK:
	case TCP_ACK:
		return true;
	default:
		return false;
	}
}

static inline bool
tcp_is_syn(uint16_t f)
{
	return (f & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) == TCP_SYN;
}

/* tcp_next() of a segment that is not the most common kind. */
static int64_t
tcp_next_rest(uint32_t s, unsigned dir, uint16_t f)
{
	unsigned st = s & CT_S_TCP;
	uint32_t fin_me = dir ? CT_S_FIN1 : CT_S_FIN0;
	uint32_t fin_other = dir ? CT_S_FIN0 : CT_S_FIN1;
	bool syn = f & TCP_SYN, ack = f & TCP_ACK;

	if (f & TCP_RST)
		return (s & ~CT_S_TCP) | DP_CT_TCP_CLOSED;
	switch (st) {
	case DP_CT_TCP_SYN_SENT:
		if (dir == 0)
			return syn && ack ? -1 : (int64_t)s;
		if (syn)
			return (s & ~CT_S_TCP) | DP_CT_TCP_SYN_RECV;
		/*
		 * A bare ACK: a TIME_WAIT peer's answer to a reused tuple's
		 * SYN (RFC 9293 3.10.7.4); passed, no state change, so the
		 * opener can RST it and retry (Linux conntrack ignores it).
		 */
		return ack && !(f & TCP_FIN) ? (int64_t)s : -1;
	case DP_CT_TCP_SYN_RECV:
		if (dir == 0 && syn)
			return s;
		if (dir == 1 && syn)
			return ack ? (int64_t)s : -1;
		if (f & TCP_FIN)
			return (s & ~CT_S_TCP) | fin_me | DP_CT_TCP_FIN_WAIT;
		if (dir == 0 && ack)
			return (s & ~CT_S_TCP) | DP_CT_TCP_ESTABLISHED;
		return s;
	case DP_CT_TCP_TIME_WAIT:
	case DP_CT_TCP_CLOSED:
		return syn && !ack ? -1 : (int64_t)s;
	default:
		break;
	}
	/* ESTABLISHED, FIN_WAIT, CLOSE_WAIT */
	if (syn)
		return dir == 1 && ack ? (int64_t)s : -1;
	if (f & TCP_FIN) {
		s |= fin_me;
		st = (s & fin_other)		   ? DP_CT_TCP_TIME_WAIT
		     : st == DP_CT_TCP_ESTABLISHED ? DP_CT_TCP_FIN_WAIT
						   : st;
		return (s & ~CT_S_TCP) | st;
	}
	if (st == DP_CT_TCP_FIN_WAIT && (s & fin_other) && !(s & fin_me) && ack)
		return (s & ~CT_S_TCP) | DP_CT_TCP_CLOSE_WAIT;
	return s;
}

/*
 * Next state word for a segment with flags f in direction dir, or -1
 * when the segment does not fit the state. Most segments, in
 * ESTABLISHED without SYN, FIN or RST, keep it and are told so inline
 * (what tcp_next_rest() would give them: nothing else is computed for
 * them).
 */
static inline __attribute__((always_inline)) int64_t
tcp_next(uint32_t s, unsigned dir, uint16_t f)
{
	if ((s & CT_S_TCP) == DP_CT_TCP_ESTABLISHED &&
	    !(f & (TCP_SYN | TCP_FIN | TCP_RST)))
		return s;
	return tcp_next_rest(s, dir, f);
}

/* Tuples from packets. */

static inline uint16_t
icmp_type(const struct dp_key *k)
{
	return ntohs(k->tp_src);
}

static bool
icmp_is_error(uint8_t family, unsigned type)
{
	if (family == 4)
		return type == 3 || type == 11 || type == 12;
	return type >= 1 && type <= 4;
}

static inline bool
is_icmp(uint8_t family, uint8_t proto)
{
	return (family == 4 && proto == IPPROTO_ICMP) ||
	       (family == 6 && proto == IPPROTO_ICMPV6);
}

/* The reverse of t: what a packet of the other direction carries. */
static void
tuple_reverse(const struct dp_ct_tuple *t, bool is_echo, struct dp_ct_tuple *r)
{
	memcpy(r->src, t->dst, 16);
	memcpy(r->dst, t->src, 16);
	if (is_echo) {
		r->sport = t->sport;
		r->dport = 0;
	} else {
		r->sport = t->dport;
		r->dport = t->sport;
	}
}

enum ct_kind {
	CT_K_PLAIN,	/* TCP, UDP, other */
	CT_K_ECHO_REQ,	/* may open an ICMP echo connection */
	CT_K_ECHO_REP,	/* only part of one */
	CT_K_ICMP_ERR,	/* related to one */
	CT_K_ICMP_INFO, /* other ICMP: tracked without an identifier */
};

/*
 * The packet's tuple into l. Returns the kind (>= 0) or -1 - the invalid
 * reason.
 */
static inline __attribute__((always_inline)) int
tuple_from_packet_inl(struct pl_pctx *c, uint16_t zone, struct ct_look *l)
{
	const struct dp_key *k = &c->key;
	unsigned type;

	memset(l, 0, sizeof(*l));
	l->zone = zone;
	if (k->eth_type == htons(0x0800)) {
		l->family = 4;
		memcpy(l->t.src, &k->nw_src, 4);
		memcpy(l->t.dst, &k->nw_dst, 4);
	} else if (k->eth_type == htons(0x86dd)) {
		l->family = 6;
		memcpy(l->t.src, k->ipv6_src, 16);
		memcpy(l->t.dst, k->ipv6_dst, 16);
	} else {
		return -1 - DP_CT_INV_NOT_IP;
	}
	if (k->nw_frag != 0)
		return -1 - DP_CT_INV_FRAG;
	l->proto = k->nw_proto;
	switch (l->proto) {
	case IPPROTO_TCP:
		if (!tcp_flags_ok(k->tcp_flags))
			return -1 - DP_CT_INV_TCP_FLAGS;
		/* fall through */
	case IPPROTO_UDP:
		l->t.sport = k->tp_src;
		l->t.dport = k->tp_dst;
		break;
	default:
		if (!is_icmp(l->family, l->proto))
			break;
		type = icmp_type(k);
		if (icmp_is_error(l->family, type))
			return CT_K_ICMP_ERR;
		if (type != (l->family == 4 ? 8u : 128u) &&
		    type != (l->family == 4 ? 0u : 129u))
			return CT_K_ICMP_INFO;
		pl_act_meta(c);
		if (c->m.l4_off == 0 || c->m.l3_end - c->m.l4_off < 8)
			return -1 - DP_CT_INV_ICMP_BAD;
		memcpy(&l->t.sport, c->pkt->data + c->m.l4_off + 4, 2);
		l->is_echo = 1;
		return type == 8 || type == 128 ? CT_K_ECHO_REQ : CT_K_ECHO_REP;
	}
	return CT_K_PLAIN;
}

/* The same out of line, for pl_ct_exec() (pl_ct_lb_exec() inlines it). */
static int
tuple_from_packet(struct pl_pctx *c, uint16_t zone, struct ct_look *l)
{
	return tuple_from_packet_inl(c, zone, l);
}

/* Translation. */

/*
 * RFC 1624 eqn. 3 terms of a 4-byte field: ~old + new as 32-bit words,
 * for a 64-bit sum (a one's complement sum of 32-bit words folds to that
 * of their 16-bit halves, in either byte order as long as loads and
 * stores agree). Each below 2^33.
 */
static inline uint64_t
csum_term32(const void *old, const void *new)
{
	uint32_t o, w;

	memcpy(&o, old, 4);
	memcpy(&w, new, 4);
	return (uint64_t)(uint32_t)~o + w;
}

/*
 * Checksum hc updated by a sum of csum_term32()s: folded once to 32 and
 * once to 16 bits, each with its end-around carry.
 */
static inline uint16_t
csum_apply64(uint16_t hc, uint64_t s)
{
	uint32_t lo, hi;
	uint16_t a, b;

	s += (uint16_t)~hc;
	lo = (uint32_t)s;
	hi = (uint32_t)(s >> 32);
	lo += hi;
	lo += lo < hi; /* end-around carry */
	a = (uint16_t)lo;
	b = (uint16_t)(lo >> 16);
	a += b;
	a += a < b;
	return (uint16_t)~a;
}

/* The same terms for a 16-byte (IPv6) address: below 2^35. */
static inline uint64_t
csum_term128(const uint8_t *old, const uint8_t *new)
{
	return csum_term32(old, new) + csum_term32(old + 4, new + 4) +
	       csum_term32(old + 8, new + 8) + csum_term32(old + 12, new + 12);
}

/*
 * Full NAT of an IPv6 TCP or UDP packet with tuple from into to: both
 * addresses and ports. IPv6 has no header checksum; the TCP/UDP one
 * covers the pseudo-header's addresses and is updated once for all the
 * changes (RFC 1624 eqn. 3). A UDP checksum of 0 (not allowed over IPv6,
 * RFC 8200 8.1) is updated like any other, as pl_actions.c does. Without
 * an L4 header only the addresses change.
 */
static __attribute__((noinline)) void
nat_full6(struct pl_pctx *c, const struct dp_ct_tuple *from,
	  const struct dp_ct_tuple *to, uint8_t proto)
{
	uint8_t *ip, *l4, *cs;
	uint64_t sum;
	uint16_t x;

	(void)from;
	pl_act_meta(c);
	if (c->m.l3 != PL_L3_IPV6)
		return;
	ip = c->pkt->data + c->m.l3_off;
	if (c->m.l4_off != 0 &&
	    (proto == IPPROTO_TCP || proto == IPPROTO_UDP)) {
		l4 = c->pkt->data + c->m.l4_off;
		sum = csum_term128(ip + 8, to->src) +
		      csum_term128(ip + 24, to->dst) +
		      csum_term32(l4, &to->sport);
		cs = l4 + (proto == IPPROTO_TCP ? 16 : 6);
		memcpy(&x, cs, 2);
		x = csum_apply64(x, sum);
		if (proto == IPPROTO_UDP && x == 0)
			x = 0xffff;
		memcpy(cs, &x, 2);
		memcpy(l4, &to->sport, 2);
		memcpy(l4 + 2, &to->dport, 2);
		c->key.tp_src = to->sport;
		c->key.tp_dst = to->dport;
	}
	memcpy(ip + 8, to->src, 16);
	memcpy(ip + 24, to->dst, 16);
	memcpy(c->key.ipv6_src, to->src, 16);
	memcpy(c->key.ipv6_dst, to->dst, 16);
}

/*
 * The tuple a packet of direction dir becomes: the other direction's,
 * reversed (tuple_reverse() of conn_tuple(), from the hot part alone for
 * IPv4). For IPv4 only the first 4 bytes of each address are written: the
 * rewrites of an IPv4 packet (nat_full4(), nat_packet()) read no more.
 */
static inline __attribute__((always_inline)) void
nat_target(const struct ct_conn *e, unsigned dir, struct dp_ct_tuple *to)
{
	const struct ct_lo *lo = &e->lo[!dir];

	memcpy(to->src, lo->dst, 4);
	memcpy(to->dst, lo->src, 4);
	if (e->family != 4) {
		const struct ct_cold *c = conn_cold(e);

		memcpy(to->src + 4, c->hi[!dir].dst, 12);
		memcpy(to->dst + 4, c->hi[!dir].src, 12);
	}
	if (is_icmp(e->family, e->proto)) {
		to->sport = lo->sport;
		to->dport = 0;
	} else {
		to->sport = lo->dport;
		to->dport = lo->sport;
	}
}

static void
icmp_set_id(struct pl_pctx *c, uint16_t id)
{
	uint8_t *h = c->pkt->data + c->m.l4_off;
	uint16_t cs;

	memcpy(&cs, h + 2, 2);
	cs = pl_csum_replace(cs, h + 4, (const uint8_t *)&id, 2);
	memcpy(h + 2, &cs, 2);
	memcpy(h + 4, &id, 2);
}

/* Rewrite an IPv4 packet whose tuple is from into to. */
static void
nat_packet(struct pl_pctx *c, const struct dp_ct_tuple *from,
	   const struct dp_ct_tuple *to, uint8_t proto)
{
	uint32_t a;

	pl_act_meta(c);
	if (memcmp(from->src, to->src, 4) != 0) {
		memcpy(&a, to->src, 4);
		pl_act_set_ipv4(c, false, a);
	}
	if (memcmp(from->dst, to->dst, 4) != 0) {
		memcpy(&a, to->dst, 4);
		pl_act_set_ipv4(c, true, a);
	}
	if (proto == IPPROTO_ICMP) {
		if (from->sport != to->sport && c->m.l4_off != 0)
			icmp_set_id(c, to->sport);
		return;
	}
	if (from->sport != to->sport)
		pl_act_set_port(c, false, to->sport);
	if (from->dport != to->dport)
		pl_act_set_port(c, true, to->dport);
}

/* Commit: create the connection and its NAT binding. */

struct nat_plan {
	uint32_t addr_lo, n_addr; /* host order */
	uint32_t port_lo, n_port; /* host order; n_port 0: no ports */
	uint16_t keep;		  /* network order: port tried first */
	bool has_keep;
	bool is_src;
};

static void
nat_plan_make(const struct ct_look *l, const struct dp_act_ct *a,
	      struct nat_plan *p)
{
	uint32_t lo = ntohl(a->nat_min);
	uint32_t hi = a->nat_max != 0 ? ntohl(a->nat_max) : lo;
	uint32_t plo = a->port_min, phi = a->port_max;
	bool has_ports = l->proto == IPPROTO_TCP || l->proto == IPPROTO_UDP ||
			 l->is_echo;

	memset(p, 0, sizeof(*p));
	p->is_src = a->nat_kind == DP_NAT_SRC;
	p->addr_lo = lo;
	p->n_addr = hi >= lo ? hi - lo + 1 : 1;
	if (!has_ports)
		return;
	if (plo == 0) {
		/* Source NAT keeps the port when it can, else any high one. */
		if (!p->is_src)
			return;
		plo = 1024;
		phi = 65535;
	} else if (phi < plo) {
		phi = plo;
	}
	p->port_lo = plo;
	p->n_port = phi - plo + 1;
	if (p->is_src) {
		uint16_t orig = ntohs(l->t.sport);

		p->keep = l->t.sport;
		p->has_keep = a->port_min == 0 || (orig >= plo && orig <= phi);
	}
}

/*
 * Candidate i of the binding into the reply tuple r (the original one
 * reversed). False when there is no candidate i.
 */
static bool
nat_candidate(const struct nat_plan *p, const struct ct_look *l, uint32_t i,
	      struct dp_ct_tuple *r)
{
	uint32_t per = p->n_port != 0 ? p->n_port + p->has_keep : 1;
	uint32_t ai, pi, addr;
	uint16_t port = 0;

	if (per > CT_NAT_TRIES)
		per = CT_NAT_TRIES;
	ai = i / per;
	pi = i % per;
	if (ai >= p->n_addr || ai >= CT_NAT_ADDRS)
		return false;
	addr = htonl(p->addr_lo + (l->hash + ai) % p->n_addr);
	if (p->n_port != 0) {
		if (p->has_keep && pi == 0)
			port = p->keep;
		else
			port = htons((uint16_t)(p->port_lo + (l->hash / 7 +
							      pi) % p->n_port));
	}
	tuple_reverse(&l->t, l->is_echo, r);
	if (p->is_src) {
		memcpy(r->dst, &addr, 4);
		if (p->n_port != 0) {
			if (l->is_echo)
				r->sport = port;
			else
				r->dport = port;
		}
	} else {
		memcpy(r->src, &addr, 4);
		if (p->n_port != 0 && !l->is_echo)
			r->sport = port;
	}
	return true;
}

/*
 * Is tuple r (hash h, group locked) free? An expired connection holding
 * it is removed (g0, g1 are the groups held).
 */
static bool
tuple_is_free(struct pl_ct *ct, struct ct_look *r, uint32_t now, uint32_t g0,
	      uint32_t g1)
{
	uint32_t link = chain_find(ct, r);

	if (link == 0)
		return true;
	if (!conn_is_expired(link_conn(ct, link), now))
		return false;
	return conn_kill(ct, link, g0, g1) && chain_find(ct, r) == 0;
}

/*
 * Eviction: a commit that finds no free entry takes a connection. Lower
 * ranks go first: expired, closed (RST, TIME_WAIT), closing (one FIN),
 * unreplied (SYN_SENT, one-way UDP), replied last; within a rank the
 * least recently used (idle longest: now - (expiry - state's timeout)).
 */
enum { CT_R_EXPIRED, CT_R_CLOSED, CT_R_CLOSING, CT_R_UNREPLIED, CT_R_EST };

struct ct_victim {
	uint32_t idx; /* UINT32_MAX: none yet */
	uint32_t rank;
	uint32_t idle; /* seconds since its last packet */
};

static unsigned
evict_rank(const struct ct_conn *e, uint32_t state, uint32_t exp, uint32_t now)
{
	unsigned tcp = state & CT_S_TCP;

	if ((int32_t)(now - exp) >= 0)
		return CT_R_EXPIRED;
	if (e->proto == IPPROTO_TCP) {
		if (tcp == DP_CT_TCP_CLOSED || tcp == DP_CT_TCP_TIME_WAIT)
			return CT_R_CLOSED;
		if (tcp == DP_CT_TCP_FIN_WAIT || tcp == DP_CT_TCP_CLOSE_WAIT)
			return CT_R_CLOSING;
	}
	return state & CT_S_REPLY ? CT_R_EST : CT_R_UNREPLIED;
}

/* Weigh every connection linked in group g (locked); links seen. */
static unsigned
evict_scan(const struct pl_ct *ct, uint32_t g, uint32_t now,
	   struct ct_victim *v)
{
	const struct ct_group *grp = &ct->groups[g];
	struct ct_iter it = {0};
	unsigned n = 0;
	uint32_t link;

	/* The slots' connections from DRAM at once, not in turn. */
	for (unsigned i = 0; i < CT_SLOTS; i++) {
		if (grp->link[i] != 0) {
			const char *p =
				(const char *)link_conn(ct, grp->link[i]);

			__builtin_prefetch(p);
			__builtin_prefetch(p + 64);
		}
	}
	while ((link = iter_next(ct, grp, &it)) != 0) {
		const struct ct_conn *e = link_conn(ct, link);
		uint32_t st = __atomic_load_n(&e->state, __ATOMIC_RELAXED);
		uint32_t exp = __atomic_load_n(&e->expires, __ATOMIC_RELAXED);
		uint32_t last = exp - conn_timeout_of(ct, e->proto, st);
		uint32_t idle = (int32_t)(now - last) > 0 ? now - last : 0;
		unsigned rank = evict_rank(e, st, exp, now);

		n++;
		if (v->idx == UINT32_MAX || rank < v->rank ||
		    (rank == v->rank && idle > v->idle)) {
			v->idx = (link - 1) >> 1;
			v->rank = rank;
			v->idle = idle;
		}
	}
	return n;
}

/*
 * Unlink connection idx, found by a scan, while the caller holds groups
 * g0 and g1: its other groups are tried (never waited for: the order may
 * not allow it), and it is checked to be still linked. True when taken.
 */
static bool
evict_take(struct pl_ct *ct, uint32_t idx, uint32_t g0, uint32_t g1)
{
	struct ct_conn *e = conn_at(ct, idx);
	uint32_t held[2], h1, gv0, gv1;
	struct ct_look l;
	unsigned n = 0;
	bool is_done = false;

	memset(&l, 0, sizeof(l));
	conn_tuple(e, 0, &l.t);
	l.zone = e->zone;
	l.proto = e->proto;
	l.family = e->family;
	l.hash = tuple_hash(&l.t, l.zone, l.proto, l.family);
	h1 = conn_hash(e, 1);
	gv0 = hash_group(ct, l.hash);
	gv1 = hash_group(ct, h1);
	if (gv0 != g0 && gv0 != g1) {
		if (!spin_trylock(&ct->groups[gv0].lock))
			return false;
		held[n++] = gv0;
	}
	if (gv1 != g0 && gv1 != g1 && gv1 != gv0) {
		if (!spin_trylock(&ct->groups[gv1].lock))
			goto out;
		held[n++] = gv1;
	}
	/* Linked under the locks: its tuples are fixed, h1 can be checked. */
	if (chain_find(ct, &l) == make_link(idx, 0) && conn_hash(e, 1) == h1) {
		conn_unlink_locked(ct, idx, l.hash, h1);
		is_done = true;
	}
out:
	for (unsigned i = 0; i < n; i++)
		spin_unlock(&ct->groups[held[i]].lock);
	return is_done;
}

/*
 * No free entry for a commit holding groups g0 and g1: the victim is the
 * best candidate linked in g0 (at 1M connections about 8 links), or,
 * when it holds fewer than CT_EVICT_LINKS, in g1 and the groups after g0
 * as well (tried, up to CT_EVICT_GROUPS in all: the whole of a small
 * table). Its entry, unlinked, or UINT32_MAX.
 */
static uint32_t
conn_evict(struct pl_ct *ct, struct ct_slot *s, uint32_t g0, uint32_t g1)
{
	struct ct_victim v = {.idx = UINT32_MAX};
	uint32_t n_groups =
		ct->gmask < CT_EVICT_GROUPS ? ct->gmask + 1 : CT_EVICT_GROUPS;
	unsigned n;

	n = evict_scan(ct, g0, s->now, &v);
	if (g1 != g0 && (n < CT_EVICT_LINKS || ct->gmask < CT_EVICT_GROUPS))
		n += evict_scan(ct, g1, s->now, &v);
	for (uint32_t i = 1; i < n_groups; i++) {
		uint32_t g = (g0 + i) & ct->gmask;

		/* A small table (at most CT_EVICT_GROUPS) is seen whole. */
		if (n >= CT_EVICT_LINKS && ct->gmask >= CT_EVICT_GROUPS)
			break;
		if (g == g1 || !spin_trylock(&ct->groups[g].lock))
			continue;
		n += evict_scan(ct, g, s->now, &v);
		spin_unlock(&ct->groups[g].lock);
	}
	if (v.idx == UINT32_MAX || !evict_take(ct, v.idx, g0, g1))
		return UINT32_MAX;
	if (v.rank == CT_R_EXPIRED)
		s->expired++;
	else
		s->evicted++;
	return v.idx;
}

/*
 * The entry of a commit holding groups g0 and g1 whose pool_get() found
 * none (*idx UINT32_MAX): the pool again (a kill may have freed one),
 * else an evicted connection. False when there is none.
 */
static bool
commit_entry(struct pl_ct *ct, struct ct_slot *s, uint32_t *idx, uint32_t g0,
	     uint32_t g1)
{
	if (*idx != UINT32_MAX)
		return true;
	*idx = pool_get(ct);
	if (*idx == UINT32_MAX)
		*idx = conn_evict(ct, s, g0, g1);
	return *idx != UINT32_MAX;
}

/* Fill entry e for l (not linked yet; tuple 1 is set by the caller). */
static void
conn_init(struct ct_conn *e, const struct ct_look *l, uint32_t state,
	  uint32_t now, uint32_t mark)
{
	memset(e, 0, sizeof(*e));
	conn_set_tuple(e, 0, &l->t);
	e->zone = l->zone;
	e->proto = l->proto;
	e->family = l->family;
	e->state = state;
	e->expires = now + conn_timeout(l->proto, state);
	e->mark = mark;
}

enum { CT_COMMIT_OK, CT_COMMIT_EXISTS };

/*
 * Commit l (not found) as a new connection. Returns CT_COMMIT_OK with
 * *link its original link, its state word and what this packet becomes
 * (*to, with NAT), CT_COMMIT_EXISTS when another thread created it
 * meanwhile (*link the one found), or -1 - the invalid reason.
 */
static int
ct_commit(struct pl_ct *ct, struct ct_slot *s, struct ct_look *l,
	  const struct dp_act_ct *a, uint32_t *link, uint32_t *state_out,
	  struct dp_ct_tuple *to)
{
	struct nat_plan plan;
	struct ct_look r;
	struct ct_conn *e;
	uint32_t idx, state, g0, mark;
	bool has_nat = (a->flags & DP_CT_NAT) && a->nat_kind != DP_NAT_NONE &&
		       l->family == 4;

	idx = pool_get(ct);
	if (idx == UINT32_MAX && s->reclaim_at != s->now) {
		/* At most once a second a slot sweeps to make room. */
		s->reclaim_at = s->now;
		pl_ct_sweep(ct, (unsigned)(s - ct->slot), CT_RECLAIM_GROUPS);
		idx = pool_get(ct);
	}
	state = l->proto == IPPROTO_TCP ? DP_CT_TCP_SYN_SENT : DP_CT_TCP_NONE;
	if (has_nat)
		state |= a->nat_kind == DP_NAT_SRC ? CT_S_SNAT : CT_S_DNAT;
	mark = a->flags & DP_CT_SET_MARK ? a->mark : 0;
	memset(&r, 0, sizeof(r));
	r.zone = l->zone;
	r.proto = l->proto;
	r.family = l->family;
	if (has_nat)
		nat_plan_make(l, a, &plan);
	g0 = hash_group(ct, l->hash);
	for (uint32_t i = 0;; i++) {
		uint32_t g1, found;

		if (has_nat) {
			if (!nat_candidate(&plan, l, i, &r.t))
				break;
		} else if (i == 0) {
			tuple_reverse(&l->t, l->is_echo, &r.t);
		} else {
			break;
		}
		r.hash = tuple_hash(&r.t, r.zone, r.proto, r.family);
		g1 = hash_group(ct, r.hash);
		lock2(ct, g0, g1);
		found = chain_find(ct, l);
		if (found != 0 &&
		    !conn_is_expired(link_conn(ct, found), s->now)) {
			unlock2(ct, g0, g1);
			if (idx != UINT32_MAX)
				pool_put(ct, idx);
			*link = found;
			return CT_COMMIT_EXISTS;
		}
		if (found != 0)
			(void)conn_kill(ct, found, g0, g1);
		if (!tuple_is_free(ct, &r, s->now, g0, g1)) {
			unlock2(ct, g0, g1);
			continue;
		}
		if (!commit_entry(ct, s, &idx, g0, g1)) {
			unlock2(ct, g0, g1);
			return -1 - DP_CT_INV_FULL;
		}
		e = conn_at(ct, idx);
		conn_init(e, l, state, s->now, mark);
		conn_set_tuple(e, 1, &r.t);
		chain_add(ct, l->hash, make_link(idx, 0));
		chain_add(ct, r.hash, make_link(idx, 1));
		*state_out = state;
		if (has_nat)
			nat_target(e, 0, to);
		unlock2(ct, g0, g1);
		*link = make_link(idx, 0);
		return CT_COMMIT_OK;
	}
	if (idx != UINT32_MAX)
		pool_put(ct, idx);
	return -1 - DP_CT_INV_NAT_FAIL;
}

/* ICMP errors (RFC 792, RFC 4443 2.4): related to a connection. */

/*
 * The ICMP checksum of the packet computed again over the message; s is
 * the sum to start from (ICMPv6: its pseudo-header's, else 0).
 */
static void
icmp_csum_full(struct pl_pctx *c, uint32_t s)
{
	uint8_t *h = c->pkt->data + c->m.l4_off;
	uint32_t n = c->m.l3_end - c->m.l4_off;

	h[2] = 0;
	h[3] = 0;
	for (uint32_t i = 0; i + 1 < n; i += 2)
		s += pl_ld16(h + i);
	if (n & 1) {
		uint8_t last[2] = {h[n - 1], 0};

		s += pl_ld16(last);
	}
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (uint16_t)~s;
	memcpy(h + 2, &s, 2);
}

/* The embedded header of an ICMP error. */
struct ct_inner {
	uint32_t ip;   /* offset of the inner IP header in the frame */
	uint32_t l4;   /* offset of the inner L4 header */
	uint32_t n_l4; /* inner L4 bytes present */
};

/*
 * Parse the packet an ICMP error carries into e (its tuple as sent),
 * untrusted bytes: every read is checked against the datagram's end.
 * Returns 0 or -1 - the invalid reason.
 */
static int
inner_parse(struct pl_pctx *c, uint8_t family, struct ct_look *e,
	    struct ct_inner *in)
{
	const uint8_t *d = c->pkt->data;
	uint32_t off, end = c->m.l3_end, ihl;
	uint8_t proto;

	if (c->m.l4_off == 0 || end - c->m.l4_off < 8)
		return -1 - DP_CT_INV_ICMP_BAD;
	off = c->m.l4_off + 8;
	in->ip = off;
	memset(e, 0, sizeof(*e));
	e->family = family;
	if (family == 4) {
		if (end - off < 20 || (d[off] >> 4) != 4)
			return -1 - DP_CT_INV_ICMP_BAD;
		ihl = (uint32_t)(d[off] & 0x0f) * 4;
		if (ihl < 20 || ihl > end - off)
			return -1 - DP_CT_INV_ICMP_BAD;
		if (pl_ld16(d + off + 6) & htons(0x1fff))
			return -1 - DP_CT_INV_ICMP_BAD;
		proto = d[off + 9];
		memcpy(e->t.src, d + off + 12, 4);
		memcpy(e->t.dst, d + off + 16, 4);
	} else {
		if (end - off < 40 || (d[off] >> 4) != 6)
			return -1 - DP_CT_INV_ICMP_BAD;
		ihl = 40;
		proto = d[off + 6];
		memcpy(e->t.src, d + off + 8, 16);
		memcpy(e->t.dst, d + off + 24, 16);
	}
	e->proto = proto;
	in->l4 = off + ihl;
	in->n_l4 = end - in->l4;
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		if (in->n_l4 < 8)
			return -1 - DP_CT_INV_ICMP_BAD;
		memcpy(&e->t.sport, d + in->l4, 2);
		memcpy(&e->t.dport, d + in->l4 + 2, 2);
	} else if (is_icmp(family, proto)) {
		unsigned type;

		if (in->n_l4 < 8)
			return -1 - DP_CT_INV_ICMP_BAD;
		type = d[in->l4];
		/* RFC 1122 3.2.2: no error about an error. */
		if (icmp_is_error(family, type))
			return -1 - DP_CT_INV_ICMP_BAD;
		if (type == 8 || type == 0 || type == 128 || type == 129) {
			memcpy(&e->t.sport, d + in->l4 + 4, 2);
			e->is_echo = 1;
		}
	}
	return 0;
}

/* Replace n bytes at p by v, updating checksum *cs (NULL: none). */
static void
put_csum(uint8_t *p, const void *v, size_t n, uint8_t *cs)
{
	uint16_t x;

	if (cs != NULL && memcmp(p, v, n) != 0) {
		memcpy(&x, cs, 2);
		x = pl_csum_replace(x, p, v, n);
		memcpy(cs, &x, 2);
	}
	memcpy(p, v, n);
}

/*
 * Translate an IPv4 ICMP error about a connection's packet: the inner
 * header (tuple e) becomes to, the tuple that packet had on the side the
 * error goes to; the outer destination becomes to's source, the outer
 * source to's destination when it was the inner destination (the peer
 * itself reported the error); the ICMP checksum is computed again.
 */
static void
nat_icmp_error(struct pl_pctx *c, const struct ct_look *e,
	       const struct ct_inner *in, const struct dp_ct_tuple *to)
{
	uint8_t *d = c->pkt->data, *ip = d + in->ip, *l4 = d + in->l4;
	uint8_t *l4cs = NULL;
	uint32_t a;

	if (e->proto == IPPROTO_UDP && pl_ld16(l4 + 6) != 0)
		l4cs = l4 + 6;
	else if (e->proto == IPPROTO_TCP && in->n_l4 >= 18)
		l4cs = l4 + 16;
	/* The inner IPv4 checksum, then the pseudo-header's addresses. */
	put_csum(ip + 12, to->src, 4, ip + 10);
	put_csum(ip + 16, to->dst, 4, ip + 10);
	if (l4cs != NULL) {
		uint8_t old[8], new[8];
		uint16_t x;

		memcpy(old, e->t.src, 4);
		memcpy(old + 4, e->t.dst, 4);
		memcpy(new, to->src, 4);
		memcpy(new + 4, to->dst, 4);
		memcpy(&x, l4cs, 2);
		x = pl_csum_replace(x, old, new, 8);
		memcpy(l4cs, &x, 2);
	}
	if (e->proto == IPPROTO_TCP || e->proto == IPPROTO_UDP) {
		put_csum(l4, &to->sport, 2, l4cs);
		put_csum(l4 + 2, &to->dport, 2, l4cs);
	} else if (e->is_echo) {
		put_csum(l4 + 4, &to->sport, 2, l4 + 2);
	}
	if (memcmp(&c->key.nw_src, e->t.dst, 4) == 0 &&
	    memcmp(e->t.dst, to->dst, 4) != 0) {
		memcpy(&a, to->dst, 4);
		pl_act_set_ipv4(c, false, a);
	}
	memcpy(&a, to->src, 4);
	if (c->key.nw_dst != a)
		pl_act_set_ipv4(c, true, a);
	icmp_csum_full(c, 0);
}

/*
 * The ICMPv6 checksum of the packet, computed again (RFC 4443 2.3): the
 * pseudo-header (addresses as the packet now has them, upper-layer length,
 * next header 58), then the message.
 */
static void
icmp6_csum_full(struct pl_pctx *c)
{
	const uint8_t *ip = c->pkt->data + c->m.l3_off;
	uint32_t n = c->m.l3_end - c->m.l4_off, s = 0;

	for (unsigned i = 8; i < 40; i += 2)
		s += pl_ld16(ip + i);
	s += htons((uint16_t)(n >> 16)) + htons((uint16_t)n) +
	     htons(IPPROTO_ICMPV6);
	icmp_csum_full(c, s);
}

/*
 * nat_icmp_error() for ICMPv6 (an error about an IPv6 LB connection): the
 * inner header's addresses and ports become to's, the inner TCP/UDP
 * checksum follows (pseudo-header and ports; there is no IP checksum),
 * the outer addresses change as for IPv4 and the ICMPv6 checksum, which
 * covers the outer pseudo-header, is computed again.
 */
static void
nat_icmp6_error(struct pl_pctx *c, const struct ct_look *e,
		const struct ct_inner *in, const struct dp_ct_tuple *to)
{
	uint8_t *d = c->pkt->data, *ip = d + in->ip, *l4 = d + in->l4;
	uint8_t *outer = d + c->m.l3_off, *l4cs = NULL;
	uint16_t x;

	if (e->proto == IPPROTO_UDP && in->n_l4 >= 8)
		l4cs = l4 + 6;
	else if (e->proto == IPPROTO_TCP && in->n_l4 >= 18)
		l4cs = l4 + 16;
	if (l4cs != NULL) {
		memcpy(&x, l4cs, 2);
		x = csum_apply64(x, csum_term128(ip + 8, to->src) +
					    csum_term128(ip + 24, to->dst));
		memcpy(l4cs, &x, 2);
	}
	memcpy(ip + 8, to->src, 16);
	memcpy(ip + 24, to->dst, 16);
	if (e->proto == IPPROTO_TCP || e->proto == IPPROTO_UDP) {
		put_csum(l4, &to->sport, 2, l4cs);
		put_csum(l4 + 2, &to->dport, 2, l4cs);
	}
	if (memcmp(c->key.ipv6_src, e->t.dst, 16) == 0 &&
	    memcmp(e->t.dst, to->dst, 16) != 0) {
		memcpy(outer + 8, to->dst, 16);
		memcpy(c->key.ipv6_src, to->dst, 16);
	}
	memcpy(outer + 24, to->src, 16);
	memcpy(c->key.ipv6_dst, to->src, 16);
	icmp6_csum_full(c);
}

/*
 * An ICMP error: find the connection of the packet it carries. Returns
 * ct_state bits, or -1 - the invalid reason.
 */
static int
ct_related(struct pl_ct *ct, struct ct_slot *s, struct pl_pctx *c,
	   const struct ct_look *outer, const struct dp_act_ct *a,
	   bool is_trace, uint32_t *mark)
{
	struct ct_look e, l;
	struct ct_inner in;
	struct dp_ct_tuple to;
	struct ct_conn *conn;
	uint32_t link, g, state = 0;
	unsigned dir = 0;
	int rc;

	pl_act_meta(c);
	rc = inner_parse(c, outer->family, &e, &in);
	if (rc < 0)
		return rc;
	l = e;
	l.zone = outer->zone;
	tuple_reverse(&e.t, e.is_echo, &l.t);
	l.hash = tuple_hash(&l.t, l.zone, l.proto, l.family);
	g = hash_group(ct, l.hash);
	spin_lock(&ct->groups[g].lock);
	link = chain_find(ct, &l);
	if (link != 0 && conn_is_expired(link_conn(ct, link), s->now))
		link = 0;
	if (link != 0) {
		conn = link_conn(ct, link);
		dir = link_dir(link);
		state = __atomic_load_n(&conn->state, __ATOMIC_RELAXED);
		*mark = __atomic_load_n(&conn->mark, __ATOMIC_RELAXED);
		conn_tuple(conn, !dir, &to);
	}
	spin_unlock(&ct->groups[g].lock);
	if (link == 0)
		return -1 - DP_CT_INV_ICMP_NO_CONN;
	if (!is_trace)
		s->related++;
	rc = DP_CS_TRK | DP_CS_REL | (dir ? DP_CS_RPL : 0);
	if ((a->flags & DP_CT_NAT) && (state & (CT_S_SNAT | CT_S_DNAT))) {
		if (outer->family == 4)
			nat_icmp_error(c, &e, &in, &to);
		else
			nat_icmp6_error(c, &e, &in, &to);
		rc |= (state & CT_S_SNAT ? DP_CS_SNAT : 0) |
		      (state & CT_S_DNAT ? DP_CS_DNAT : 0);
		if (!is_trace)
			s->nat++;
	}
	return rc;
}

/* The ct action. */

static inline int
inv(struct ct_slot *s, int reason, bool is_trace)
{
	if (!is_trace)
		s->invalid[reason]++;
	return DP_CS_TRK | DP_CS_INV;
}

#ifdef PL_CT_TEST_RACE
/*
 * pipeline_ct_race_test builds the pipeline with this: a pause of a
 * random 0-63 spins inside ct_lookup_ro()'s reads, so that writers on
 * the other thread land in the window the sequence count guards.
 */
static void
ct_race_window(void)
{
	static __thread uint32_t r = 2463534242u;

	r ^= r << 13;
	r ^= r >> 17;
	r ^= r << 5;
	for (uint32_t i = r & 0x3f; i > 0; i--)
		CT_PAUSE();
}
#define CT_RACE_WINDOW() ct_race_window()
#else
#define CT_RACE_WINDOW() ((void)0)
#endif

/*
 * ct_lookup_inl() without the lock, for the common packet: one whose
 * connection is linked in a slot of its group or among the first
 * CT_RO_OVF links of its overflow chain, not expired, and whose state
 * word and expiry this packet leaves as they are (the same TCP state,
 * the expiry already now + the state's timeout: every packet of a
 * connection but its first in each second of the clock). Reads the
 * group's sequence count, the slots (and the chain), the connection, the
 * count again: a writer that came in between (each unlink, reuse and
 * move of a connection locks its groups, so advances the count) makes it
 * give up. A state or expiry to change is written under the lock taken
 * from the count read first (CAS). Returns ct_state as ct_lookup_inl()
 * does, or 0: take the locked path (which looks again).
 */
static inline __attribute__((always_inline)) int
ct_lookup_ro(struct pl_ct *ct, struct ct_slot *s, struct pl_pctx *c,
	     struct ct_look *l, struct dp_ct_tuple *to, uint32_t *state,
	     uint32_t *mark)
{
	uint32_t g = hash_group(ct, l->hash);
	const struct ct_group *grp = &ct->groups[g];
	uint32_t v = __atomic_load_n(&grp->lock, __ATOMIC_ACQUIRE);
	uint32_t link, s0, exp;
	struct ct_conn *e;
	unsigned dir;
	int64_t next;

	if (v & 1)
		return 0;
	/*
	 * The prefetch stage's slot first: it saw the tag there, and a
	 * full compare decides (the count read again below covers it).
	 */
	link = l->hint != 0 ? __atomic_load_n(&grp->link[l->hint - 1],
					      __ATOMIC_RELAXED)
			    : 0;
	if (link == 0 || !conn_is(link_conn(ct, link), link_dir(link), l))
		link = slot_find(ct, grp, l);
	if (link == 0)
		link = ovf_find(ct, grp, l, CT_RO_OVF);
	if (link == 0)
		return 0;
	e = link_conn(ct, link);
	CT_RACE_WINDOW();
	dir = link_dir(link);
	s0 = __atomic_load_n(&e->state, __ATOMIC_RELAXED);
	exp = __atomic_load_n(&e->expires, __ATOMIC_RELAXED);
	next = s0;
	if (l->proto == IPPROTO_TCP)
		next = tcp_next(s0, dir, c->key.tcp_flags);
	if (dir == 1)
		next |= CT_S_REPLY;
	if (next != (int64_t)s0 ||
	    exp != s->now + conn_timeout_of(ct, l->proto, s0)) {
		/*
		 * A write: the lock taken from the count read first (no
		 * writer came in between, so what was read stands), else
		 * the locked path from the start (also for what it alone
		 * does: an invalid transition, an expired connection).
		 */
		uint32_t want = v;

		if (next < 0 || conn_is_expired(e, s->now) ||
		    !__atomic_compare_exchange_n(&ct->groups[g].lock, &want,
						 v + 1, false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			return 0;
		if ((uint32_t)next != s0)
			__atomic_store_n(&e->state, (uint32_t)next,
					 __ATOMIC_RELAXED);
		__atomic_store_n(
			&e->expires,
			s->now + conn_timeout_of(ct, l->proto, (uint32_t)next),
			__ATOMIC_RELAXED);
		*mark = __atomic_load_n(&e->mark, __ATOMIC_RELAXED);
		if (next & (CT_S_SNAT | CT_S_DNAT))
			nat_target(e, dir, to);
		spin_unlock(&ct->groups[g].lock);
		*state = (uint32_t)next;
		l->link = link;
		s->upgraded++;
		return DP_CS_TRK | DP_CS_EST | (dir ? DP_CS_RPL : 0);
	}
	*mark = __atomic_load_n(&e->mark, __ATOMIC_RELAXED);
	if (s0 & (CT_S_SNAT | CT_S_DNAT))
		nat_target(e, dir, to);
	CT_RACE_WINDOW();
	/* The reads above before the count's second read. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&grp->lock, __ATOMIC_RELAXED) != v)
		return 0;
	*state = s0;
	l->link = link;
	s->lockless++;
	return DP_CS_TRK | DP_CS_EST | (dir ? DP_CS_RPL : 0);
}

/*
 * Look up l (found link or not) and update the connection for this
 * packet. Returns ct_state, *e_out the connection (when found) with its
 * state word in *state. Inlined into lb_select's established path (its
 * constant arguments fold away); ct_lookup() below for the others.
 */
static inline __attribute__((always_inline)) int
ct_lookup_inl(struct pl_ct *ct, struct ct_slot *s, struct pl_pctx *c,
	      struct ct_look *l, bool is_reuse, bool is_trace,
	      struct dp_ct_tuple *to, uint32_t *state, uint32_t *mark,
	      const struct dp_act_ct *a)
{
	uint32_t g = hash_group(ct, l->hash), link;
	struct ct_conn *e;
	unsigned dir;
	int cs;

	if (!is_reuse && !is_trace &&
	    (a->flags & (DP_CT_COMMIT | DP_CT_SET_MARK)) !=
		    (DP_CT_COMMIT | DP_CT_SET_MARK)) {
		cs = ct_lookup_ro(ct, s, c, l, to, state, mark);
		if (cs != 0)
			return cs;
	}
	spin_lock(&ct->groups[g].lock);
	link = l->link;
	if (!is_reuse)
		link = chain_find_inl(ct, l);
	else if (link == 0 || !conn_is(link_conn(ct, link), link_dir(link), l))
		link = chain_find(ct, l);
	if (link == 0)
		goto not_found;
	e = link_conn(ct, link);
	dir = link_dir(link);
	if (conn_is_expired(e, s->now)) {
		if (!is_trace)
			(void)conn_kill(ct, link, g, g);
		goto not_found;
	}
	*state = __atomic_load_n(&e->state, __ATOMIC_RELAXED);
	cs = DP_CS_TRK | DP_CS_EST | (dir ? DP_CS_RPL : 0);
	if (!is_reuse && !is_trace) {
		uint32_t s0 = *state;
		int64_t next = s0;

		if (l->proto == IPPROTO_TCP) {
			next = tcp_next(s0, dir, c->key.tcp_flags);
			if (next < 0 && dir == 0 &&
			    tcp_is_syn(c->key.tcp_flags) &&
			    ((s0 & CT_S_TCP) == DP_CT_TCP_TIME_WAIT ||
			     (s0 & CT_S_TCP) == DP_CT_TCP_CLOSED)) {
				/* A new SYN reuses the closed tuple. */
				if (conn_kill(ct, link, g, g))
					goto not_found;
			}
			if (next < 0) {
				spin_unlock(&ct->groups[g].lock);
				l->link = link;
				return inv(s, DP_CT_INV_TCP_STATE, is_trace);
			}
		}
		if (dir == 1)
			next |= CT_S_REPLY;
		if ((uint32_t)next != s0)
			__atomic_store_n(&e->state, (uint32_t)next,
					 __ATOMIC_RELAXED);
		*state = (uint32_t)next;
		__atomic_store_n(&e->expires,
				 s->now + conn_timeout_of(ct, l->proto, *state),
				 __ATOMIC_RELAXED);
	}
	if ((a->flags & (DP_CT_COMMIT | DP_CT_SET_MARK)) ==
		    (DP_CT_COMMIT | DP_CT_SET_MARK) &&
	    !is_trace)
		__atomic_store_n(&e->mark, a->mark, __ATOMIC_RELAXED);
	*mark = __atomic_load_n(&e->mark, __ATOMIC_RELAXED);
	if (*state & (CT_S_SNAT | CT_S_DNAT))
		nat_target(e, dir, to);
	spin_unlock(&ct->groups[g].lock);
	l->link = link;
	return cs;

not_found:
	spin_unlock(&ct->groups[g].lock);
	l->link = 0;
	return 0;
}

/* ct_lookup_inl() out of line: the ct action and the commit race. */
static int
ct_lookup(struct pl_ct *ct, struct ct_slot *s, struct pl_pctx *c,
	  struct ct_look *l, bool is_reuse, bool is_trace,
	  struct dp_ct_tuple *to, uint32_t *state, uint32_t *mark,
	  const struct dp_act_ct *a)
{
	return ct_lookup_inl(ct, s, c, l, is_reuse, is_trace, to, state, mark,
			     a);
}

void
pl_ct_exec(struct pl_ct *ct, unsigned slot, struct pl_pctx *c,
	   const struct dp_act_ct *a, bool is_trace)
{
	struct ct_slot *s = &ct->slot[slot];
	struct dp_ct_tuple to;
	struct ct_look l;
	uint32_t state = 0, mark = 0;
	uint32_t ph = c->ct_hash;
	bool is_reuse;
	int kind = CT_K_PLAIN, cs;

	c->ct_hash = 0;
	c->key.ct_zone = a->zone;
	if (!is_trace)
		s->lookups++;
	is_reuse = c->ct_stamp != 0 && c->ct_stamp == s->stamp &&
		   s->last.zone == a->zone;
	if (is_reuse && (s->last.cs & DP_CS_INV)) {
		cs = s->last.cs;
		goto done;
	}
	if (is_reuse) {
		l = s->last;
	} else {
		kind = tuple_from_packet(c, a->zone, &l);
		if (kind < 0) {
			cs = inv(s, -1 - kind, is_trace);
			goto done;
		}
		if (kind == CT_K_ICMP_ERR) {
			cs = ct_related(ct, s, c, &l, a, is_trace, &mark);
			if (cs < 0)
				cs = inv(s, -1 - cs, is_trace);
			c->ct_stamp = 0;
			goto done;
		}
		/* The prefetch stage's hash of the same tuple, if any. */
		l.hash = ph != 0 ? ph
				 : tuple_hash(&l.t, l.zone, l.proto, l.family);
		l.hint = ph != 0 ? c->ct_hint : 0;
	}
	cs = ct_lookup(ct, s, c, &l, is_reuse, is_trace, &to, &state, &mark, a);
	/* An LB connection's reply (lb_select saw the other direction). */
	if ((state & CT_S_LB) && (cs & DP_CS_RPL) && !(cs & DP_CS_INV) &&
	    !is_reuse && !is_trace && ct->lb_reply != NULL)
		ct->lb_reply(ct->lb_arg, slot, mark, c->pkt->len);
	if (cs == 0) {
		/* Not found: may this packet open a connection? */
		if (!is_reuse && kind == CT_K_ECHO_REP) {
			cs = inv(s, DP_CT_INV_ICMP_NO_CONN, is_trace);
		} else if (!is_reuse && l.proto == IPPROTO_TCP &&
			   !tcp_is_syn(c->key.tcp_flags)) {
			cs = inv(s, DP_CT_INV_TCP_NOT_SYN, is_trace);
		} else {
			cs = DP_CS_TRK | DP_CS_NEW;
		}
		if ((cs & DP_CS_NEW) && (a->flags & DP_CT_COMMIT) &&
		    !is_trace) {
			uint32_t link = 0;
			int rc = ct_commit(ct, s, &l, a, &link, &state, &to);

			if (rc < 0) {
				cs = inv(s, -1 - rc, is_trace);
			} else if (rc == CT_COMMIT_OK) {
				s->commits++;
				l.link = link;
				mark = a->flags & DP_CT_SET_MARK ? a->mark : 0;
			} else {
				/* Another worker was first: take its. */
				l.link = link;
				cs = ct_lookup(ct, s, c, &l, true, is_trace,
					       &to, &state, &mark, a);
				if (cs == 0)
					cs = inv(s, DP_CT_INV_FULL, is_trace);
			}
		}
	}
	/* Keep the result for a second ct of this packet in this zone. */
	if (++s->stamp == 0)
		s->stamp = 1;
	l.cs = (uint8_t)cs;
	s->last = l;
	c->ct_stamp = s->stamp;
	if ((a->flags & DP_CT_NAT) && (state & (CT_S_SNAT | CT_S_DNAT)) &&
	    !(cs & DP_CS_INV) && l.family == 4) {
		nat_packet(c, &l.t, &to, l.proto);
		cs |= (state & CT_S_SNAT ? DP_CS_SNAT : 0) |
		      (state & CT_S_DNAT ? DP_CS_DNAT : 0);
		c->ct_stamp = 0;
		if (!is_trace)
			s->nat++;
	} else if ((state & (CT_S_SNAT | CT_S_DNAT)) && l.family == 6 &&
		   (a->flags & DP_CT_NAT) && !(cs & DP_CS_INV)) {
		/* IPv6 connections with a binding are lb_select's. */
		nat_full6(c, &l.t, &to, l.proto);
		cs |= (state & CT_S_SNAT ? DP_CS_SNAT : 0) |
		      (state & CT_S_DNAT ? DP_CS_DNAT : 0);
		c->ct_stamp = 0;
		if (!is_trace)
			s->nat++;
	}
done:
	c->key.ct_state = (uint8_t)cs;
	c->key.ct_mark = mark;
}

/* Prefetch (pl_worker.c, before the burst runs). */

uint32_t
pl_ct_prefetch_group(struct pl_ct *ct, const struct dp_key *k, uint16_t zone)
{
	struct dp_ct_tuple t;
	uint8_t family;
	uint32_t h;

	if (k->nw_frag != 0 ||
	    (k->nw_proto != IPPROTO_TCP && k->nw_proto != IPPROTO_UDP))
		return 0;
	if (k->eth_type == htons(0x0800)) {
		/* tuple_hash() of the IPv4 tuple, from the key's fields. */
		uint32_t src, dst, ports;

		memcpy(&src, &k->nw_src, 4);
		memcpy(&dst, &k->nw_dst, 4);
		/* tuple_hash()'s ports word: sport's bytes, then dport's. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		ports = (uint32_t)k->tp_src | (uint32_t)k->tp_dst << 16;
#else
		ports = (uint32_t)k->tp_src << 16 | k->tp_dst;
#endif
		h = tuple_hash4(src, dst, ports, zone, k->nw_proto);
		__builtin_prefetch(&ct->groups[hash_group(ct, h)]);
		return h;
	}
	memset(&t, 0, sizeof(t));
	if (k->eth_type == htons(0x86dd)) {
		family = 6;
		memcpy(t.src, k->ipv6_src, 16);
		memcpy(t.dst, k->ipv6_dst, 16);
	} else {
		return 0;
	}
	t.sport = k->tp_src;
	t.dport = k->tp_dst;
	h = tuple_hash(&t, zone, k->nw_proto, family);
	__builtin_prefetch(&ct->groups[hash_group(ct, h)]);
	return h;
}

/*
 * A prefetch GCC 12 keeps. It silently dropped every __builtin_prefetch()
 * of pl_ct_prefetch_conn() in some shapes of this code (a loop; a second
 * prefetch under a condition), as if they were dead code
 * (docs/conntrack.md, "Hot and cold parts"); an asm statement is not.
 */
static inline void
ct_prefetch_line(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("prefetcht0 %0" : : "m"(*(const char *)p));
#else
	__builtin_prefetch(p);
#endif
}

/*
 * The line of link's hot part and, for IPv6, the pair's middle line, where
 * the rest of its cold part is (a's cold part ends in that line, b's
 * starts in it and ends in b's hot line).
 */
static inline void
prefetch_link(const struct pl_ct *ct, uint32_t link, bool is_v6)
{
	const struct ct_pair *p = &ct->pairs[(link - 1) >> 2];

	ct_prefetch_line(link_conn(ct, link));
	if (is_v6)
		ct_prefetch_line((const char *)p + 64);
}

/*
 * The connections of the first two slots whose tag matches (more than one:
 * a tag collision, ~3% at full load; a second match across the two tag
 * words is not looked for), else the head of the overflow chain. A hint:
 * read without the lock, a racing writer only makes it prefetch the wrong
 * lines. Straight-line on purpose: a loop form of it lost its prefetch
 * instructions to GCC 12 (docs/conntrack.md, "Tagged slots"). Returns
 * the first matching slot + 1 (0: none), where the lookup looks first.
 */
uint8_t
pl_ct_prefetch_conn(struct pl_ct *ct, uint32_t h, bool is_v6)
{
	const struct ct_group *grp = &ct->groups[hash_group(ct, h)];
	uint8_t tag = hash_tag(ct, h);
	uint64_t m = tag_lo(grp, tag);
	uint32_t hi, l1, l2 = 0;
	unsigned i = 0;

	if (m != 0) {
		i = (unsigned)__builtin_ctzll(m) >> 3;
		l1 = __atomic_load_n(&grp->link[i], __ATOMIC_RELAXED);
		i++;
		m &= m - 1;
		if (m != 0)
			l2 = __atomic_load_n(
				&grp->link[__builtin_ctzll(m) >> 3],
				__ATOMIC_RELAXED);
	} else if ((hi = tag_hi(grp, tag)) != 0) {
		i = 8 + ((unsigned)__builtin_ctz(hi) >> 3);
		l1 = __atomic_load_n(&grp->link[i], __ATOMIC_RELAXED);
		i++;
		hi &= hi - 1;
		if (hi != 0)
			l2 = __atomic_load_n(
				&grp->link[8 + (__builtin_ctz(hi) >> 3)],
				__ATOMIC_RELAXED);
	} else {
		l1 = __atomic_load_n(&grp->ovf, __ATOMIC_RELAXED);
	}
	if (l1 != 0)
		prefetch_link(ct, l1, is_v6);
	if (l2 != 0)
		prefetch_link(ct, l2, is_v6);
	return (uint8_t)i;
}

bool
pl_ct_is_big(const struct pl_ct *ct)
{
	return __atomic_load_n(&ct->n_used, __ATOMIC_RELAXED) >=
	       ct->prefetch_min;
}

/* Sweep. */

void
pl_ct_sweep(struct pl_ct *ct, unsigned slot, unsigned n)
{
	struct ct_slot *s = &ct->slot[slot];
	uint32_t now = clock_read(ct);

	for (unsigned i = 0; i < n; i++) {
		uint32_t g =
			__atomic_fetch_add(&ct->sweep_at, 1, __ATOMIC_RELAXED) &
			ct->gmask;
		struct ct_group *grp = &ct->groups[g];

		if (i > ct->gmask)
			break;
		struct ct_iter it = {0};
		uint32_t link;

		spin_lock(&grp->lock);
		while ((link = iter_next(ct, grp, &it)) != 0) {
			/* A kill moves links: walk the group again. */
			if (conn_is_expired(link_conn(ct, link), now) &&
			    conn_kill(ct, link, g, g)) {
				s->expired++;
				memset(&it, 0, sizeof(it));
			}
		}
		spin_unlock(&grp->lock);
	}
}

void
pl_ct_quiescent(struct pl_ct *ct, unsigned slot)
{
	struct ct_slot *s = &ct->slot[slot];

	if (++s->n_quiet % CT_SWEEP_EVERY != 0 ||
	    __atomic_load_n(&ct->n_used, __ATOMIC_RELAXED) == 0)
		return;
	pl_ct_sweep(ct, slot, CT_SWEEP_GROUPS);
}

void
pl_ct_burst(struct pl_ct *ct, unsigned slot)
{
	ct->slot[slot].now = clock_read(ct);
}

/* Control: create, destroy, stats, flush, dump. */

int
pl_ct_create(uint32_t ct_max, struct pl_ct **out)
{
	struct pl_ct *ct;
	uint32_t n_groups = 16;
	struct timespec ts;
	void *m;

	if (ct_max == 0 || ct_max > DP_CT_MAX_MAX)
		return -EINVAL;
	/*
	 * About 8 links a group at full load (two links a connection) in
	 * its 11 tagged slots: about 2.5% of links overflow into a chain
	 * (docs/conntrack.md, "Tagged slots"). 16 bytes a connection.
	 */
	while (n_groups < ct_max / 4)
		n_groups <<= 1;
	ct = aligned_alloc(64, sizeof(*ct));
	if (ct == NULL)
		return -ENOMEM;
	memset(ct, 0, sizeof(*ct));
	for (unsigned p = 0; p <= DP_LB_POOL_ID_MAX; p++)
		lb_to_fill(ct->lb_to[p], 0, 0);
	ct->max = ct_max;
	ct->gmask = n_groups - 1;
	ct->tag_mask = 0xff;
	ct->prefetch_min = PL_CT_PREFETCH_MIN;
	ct->conns_len = (size_t)(ct_max + 1) / 2 * sizeof(struct ct_pair);
	ct->groups_len = (size_t)n_groups * sizeof(struct ct_group);
	m = mmap(NULL, ct->conns_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		goto err_ct;
	ct->pairs = m;
	/* Huge pages: a lookup in a big table would miss the TLB twice. */
	(void)madvise(m, ct->conns_len, MADV_HUGEPAGE);
	m = mmap(NULL, ct->groups_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		goto err_conns;
	ct->groups = m;
	(void)madvise(m, ct->groups_len, MADV_HUGEPAGE);
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	ct->base = ts.tv_sec;
	clock_gettime(CLOCK_MONOTONIC, &ct->rate_ts);
	for (unsigned i = 0; i <= DP_WORKERS_MAX; i++)
		ct->slot[i].now = 1;
	*out = ct;
	return 0;

err_conns:
	munmap(ct->pairs, ct->conns_len);
err_ct:
	free(ct);
	return -ENOMEM;
}

void
pl_ct_destroy(struct pl_ct *ct)
{
	if (ct == NULL)
		return;
	munmap(ct->groups, ct->groups_len);
	munmap(ct->pairs, ct->conns_len);
	free(ct);
}

void
pl_ct_set_clock(struct pl_ct *ct, uint32_t (*fn)(void *), void *arg)
{
	ct->clock = fn;
	ct->clock_arg = arg;
	for (unsigned i = 0; i <= DP_WORKERS_MAX; i++)
		ct->slot[i].now = clock_read(ct);
}

void
pl_ct_stats(struct pl_ct *ct, struct dp_ct_stats *out)
{
	struct timespec now;
	double dt;

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i <= DP_WORKERS_MAX; i++) {
		const struct ct_slot *s = &ct->slot[i];

		out->lookups += CMM_LOAD_SHARED(s->lookups);
		out->commits += CMM_LOAD_SHARED(s->commits);
		out->expired += CMM_LOAD_SHARED(s->expired);
		out->flushed += CMM_LOAD_SHARED(s->flushed);
		out->related += CMM_LOAD_SHARED(s->related);
		out->nat += CMM_LOAD_SHARED(s->nat);
		out->evicted += CMM_LOAD_SHARED(s->evicted);
		for (unsigned r = 0; r < DP_CT_INV__COUNT; r++)
			out->invalid[r] += CMM_LOAD_SHARED(s->invalid[r]);
	}
	out->entries = __atomic_load_n(&ct->n_used, __ATOMIC_RELAXED);
	out->entries_max = ct->max;
	out->mem_bytes = ct->conns_len + ct->groups_len + sizeof(*ct);
	clock_gettime(CLOCK_MONOTONIC, &now);
	dt = (double)(now.tv_sec - ct->rate_ts.tv_sec) +
	     (double)(now.tv_nsec - ct->rate_ts.tv_nsec) / 1e9;
	if (dt > 0)
		out->commit_rate =
			(uint64_t)((double)(out->commits - ct->rate_commits) /
				   dt);
	ct->rate_commits = out->commits;
	ct->rate_ts = now;
}

static bool
zone_is(const struct ct_conn *e, uint32_t zone)
{
	return zone == DP_CT_ZONE_ALL || e->zone == zone;
}

/* Up to max original links of zone in group g (locked by the caller). */
static unsigned
group_collect(struct pl_ct *ct, uint32_t g, uint32_t zone, uint32_t *links,
	      unsigned max)
{
	const struct ct_group *grp = &ct->groups[g];
	struct ct_iter it = {0};
	unsigned n = 0;
	uint32_t link;

	while (n < max && (link = iter_next(ct, grp, &it)) != 0) {
		if (link_dir(link) == 0 && zone_is(link_conn(ct, link), zone))
			links[n++] = link;
	}
	return n;
}

uint64_t
pl_ct_flush(struct pl_ct *ct, uint32_t zone)
{
	uint32_t links[CT_BATCH];
	uint64_t n_done = 0;

	for (uint32_t g = 0; g <= ct->gmask; g++) {
		unsigned n, n_killed;

		do {
			spin_lock(&ct->groups[g].lock);
			n = group_collect(ct, g, zone, links, CT_BATCH);
			spin_unlock(&ct->groups[g].lock);
			n_killed = 0;
			for (unsigned i = 0; i < n; i++)
				n_killed += conn_kill_ordered(ct, links[i], g);
			n_done += n_killed;
		} while (n == CT_BATCH && n_killed > 0);
	}
	ct->slot[PL_CT_CONTROL].flushed += n_done;
	return n_done;
}

static void
entry_export(const struct ct_conn *e, uint32_t now, struct dp_ct_entry *x)
{
	uint32_t state = __atomic_load_n(&e->state, __ATOMIC_RELAXED);
	uint32_t exp = __atomic_load_n(&e->expires, __ATOMIC_RELAXED);

	memset(x, 0, sizeof(*x));
	x->zone = e->zone;
	x->proto = e->proto;
	x->family = e->family;
	x->tcp_state = (uint8_t)(state & CT_S_TCP);
	x->flags = (uint8_t)((state & CT_S_SNAT ? DP_CS_SNAT : 0) |
			     (state & CT_S_DNAT ? DP_CS_DNAT : 0));
	x->mark = __atomic_load_n(&e->mark, __ATOMIC_RELAXED);
	x->expires = (int32_t)(exp - now) > 0 ? exp - now : 0;
	conn_tuple(e, 0, &x->orig);
	conn_tuple(e, 1, &x->reply);
}

int
pl_ct_dump(struct pl_ct *ct, uint32_t zone, dp_ct_visit_fn fn, void *arg)
{
	struct dp_ct_entry *buf;
	uint32_t now = clock_read(ct);
	size_t cap = CT_BATCH;
	int rc = 0;

	buf = malloc(cap * sizeof(*buf));
	if (buf == NULL)
		return -ENOMEM;
	for (uint32_t g = 0; g <= ct->gmask && rc == 0;) {
		const struct ct_group *grp = &ct->groups[g];
		struct ct_iter it = {0};
		size_t n = 0;
		uint32_t link;
		bool is_short = false;

		spin_lock(&ct->groups[g].lock);
		while ((link = iter_next(ct, grp, &it)) != 0) {
			const struct ct_conn *e = link_conn(ct, link);

			if (link_dir(link) == 0 && zone_is(e, zone) &&
			    !conn_is_expired(e, now)) {
				if (n == cap) {
					is_short = true;
					break;
				}
				entry_export(e, now, &buf[n++]);
			}
		}
		spin_unlock(&ct->groups[g].lock);
		if (is_short) {
			/* A crowded group: grow and read it again. */
			struct dp_ct_entry *nb =
				realloc(buf, cap * 2 * sizeof(*buf));

			if (nb == NULL) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
			continue;
		}
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = fn(&buf[i], arg);
		g++;
	}
	free(buf);
	return rc;
}

/* The pipeline's calls (pipeline.h). */

struct pl_ct *
pl_ct_of(struct dp_pipeline *pl)
{
	return pl->ct;
}

void
dp_pipeline_ct_stats(struct dp_pipeline *pl, struct dp_ct_stats *out)
{
	pl_ct_stats(pl->ct, out);
}

uint64_t
dp_pipeline_ct_flush(struct dp_pipeline *pl, uint32_t zone)
{
	return pl_ct_flush(pl->ct, zone);
}

int
dp_pipeline_ct_dump(struct dp_pipeline *pl, uint32_t zone, dp_ct_visit_fn fn,
		    void *arg)
{
	return pl_ct_dump(pl->ct, zone, fn, arg);
}

void
dp_pipeline_ct_sweep(struct dp_pipeline *pl)
{
	pl_ct_sweep(pl->ct, PL_CT_CONTROL, pl->ct->gmask + 1);
}

/*
 * Load balancing (pl_lb.c): lb_select finds the packet's connection like
 * ct(zone=Z,nat) and, for a new one, commits the binding the pool chose:
 * destination to the member, source to the pool's address with a port
 * picked so that the reply tuple (member -> pool address:port) is unique
 * in the zone. Both directions are then plain NAT of this file.
 */

void
pl_ct_set_lb_hook(struct pl_ct *ct, void (*closed)(void *arg, uint32_t mark),
		  void (*reply)(void *arg, unsigned slot, uint32_t mark,
				uint32_t len),
		  void *arg)
{
	ct->lb_arg = arg;
	ct->lb_closed = closed;
	ct->lb_reply = reply;
}

void
pl_ct_set_lb_timeouts(struct pl_ct *ct, uint32_t pool, uint32_t idle_s,
		      uint32_t connect_s)
{
	if (pool == 0 || pool > DP_LB_POOL_ID_MAX)
		return;
	lb_to_fill(ct->lb_to[pool], idle_s, connect_s);
}

/*
 * Candidate i of an LB binding into r: the reply tuple (member -> source
 * address, port). Candidate 0 is the client's own source port when it is
 * in the range, the rest are ports of the range from a hash-chosen start.
 * The client's port first: a client's kernel hands out its ports in
 * sequence per destination, so successive connections reach a member
 * from ports it has not seen for a long time; hash-chosen ports collide
 * with the member's TIME_WAIT (60 s on Linux, longer than our closed
 * connections live), and a member refuses such a SYN with a bare ACK
 * whenever the client's timestamps or sequence numbers do not look newer
 * (tests/bench/lb-wrk.sh measured one-second stalls on a fifth of the
 * connections of a "Connection: close" run). False when there is no
 * candidate i.
 */
static bool
lb_candidate(const struct pl_ct_lb_bind *b, const struct ct_look *l, uint32_t i,
	     struct dp_ct_tuple *r)
{
	uint32_t lo = b->port_min != 0 ? b->port_min : 1024;
	uint32_t hi = b->port_min != 0 ? b->port_max : 65535;
	uint32_t n = hi >= lo ? hi - lo + 1 : 1;
	uint32_t cport = ntohs(l->t.sport);
	bool own = cport >= lo && cport <= hi;

	if (i >= n + (own ? 1 : 0) || i >= CT_NAT_TRIES)
		return false;
	memset(r, 0, sizeof(*r));
	if (b->member6 != NULL) {
		memcpy(r->src, b->member6, 16);
		memcpy(r->dst, b->src6, 16);
	} else {
		memcpy(r->src, &b->member_addr, 4);
		memcpy(r->dst, &b->src_addr, 4);
	}
	r->sport = b->member_port != 0 ? b->member_port : l->t.dport;
	if (own && i == 0)
		r->dport = l->t.sport;
	else
		r->dport = htons((uint16_t)(lo + (l->hash / 7 + i - own) % n));
	return true;
}

/*
 * Full NAT of an IPv4 TCP or UDP packet with tuple from into to: both
 * addresses and ports, each checksum updated once for all of them (RFC
 * 1624 eqn. 3; the TCP/UDP one covers the pseudo-header's addresses).
 * lb_select's fast path; nat_packet() is the general case.
 */
static inline __attribute__((always_inline)) void
nat_full4(struct pl_pctx *c, const struct dp_ct_tuple *from,
	  const struct dp_ct_tuple *to, uint8_t proto)
{
	uint8_t *ip, *l4, *cs;
	uint64_t sa, sp;
	uint16_t x;

	if (c->m_stale)
		pl_act_meta(c);
	if (c->m.l4_off == 0 || c->m.l3 != PL_L3_IPV4) {
		nat_packet(c, from, to, proto);
		return;
	}
	ip = c->pkt->data + c->m.l3_off;
	l4 = c->pkt->data + c->m.l4_off;
	sa = csum_term32(ip + 12, to->src) + csum_term32(ip + 16, to->dst);
	sp = sa + csum_term32(l4, &to->sport);
	memcpy(&x, ip + 10, 2);
	x = csum_apply64(x, sa);
	memcpy(ip + 10, &x, 2);
	cs = l4 + (proto == IPPROTO_TCP ? 16 : 6);
	memcpy(&x, cs, 2);
	if (proto == IPPROTO_TCP || x != 0) {
		x = csum_apply64(x, sp);
		if (proto == IPPROTO_UDP && x == 0)
			x = 0xffff;
		memcpy(cs, &x, 2);
	}
	memcpy(ip + 12, to->src, 4);
	memcpy(ip + 16, to->dst, 4);
	memcpy(l4, &to->sport, 2);
	memcpy(l4 + 2, &to->dport, 2);
	memcpy(&c->key.nw_src, to->src, 4);
	memcpy(&c->key.nw_dst, to->dst, 4);
	c->key.tp_src = to->sport;
	c->key.tp_dst = to->dport;
}

/* ct_commit() for an LB binding; same returns. */
static int
ct_commit_lb(struct pl_ct *ct, struct ct_slot *s, struct ct_look *l,
	     const struct pl_ct_lb_bind *b, uint32_t *link, uint32_t *state_out,
	     struct dp_ct_tuple *to)
{
	struct ct_look r;
	struct ct_conn *e;
	uint32_t idx, state, g0, mark = b->mark;

	idx = pool_get(ct);
	if (idx == UINT32_MAX && s->reclaim_at != s->now) {
		s->reclaim_at = s->now;
		pl_ct_sweep(ct, (unsigned)(s - ct->slot), CT_RECLAIM_GROUPS);
		idx = pool_get(ct);
	}
	state = l->proto == IPPROTO_TCP ? DP_CT_TCP_SYN_SENT : DP_CT_TCP_NONE;
	state |= CT_S_SNAT | CT_S_DNAT | CT_S_LB;
	if (b->pool <= DP_LB_POOL_ID_MAX)
		state |= (uint32_t)b->pool << CT_S_POOL_SHIFT;
	memset(&r, 0, sizeof(r));
	r.zone = l->zone;
	r.proto = l->proto;
	r.family = l->family;
	g0 = hash_group(ct, l->hash);
	for (uint32_t i = 0; lb_candidate(b, l, i, &r.t); i++) {
		uint32_t g1, found;

		r.hash = tuple_hash(&r.t, r.zone, r.proto, r.family);
		g1 = hash_group(ct, r.hash);
		lock2(ct, g0, g1);
		found = chain_find(ct, l);
		if (found != 0 &&
		    !conn_is_expired(link_conn(ct, found), s->now)) {
			unlock2(ct, g0, g1);
			if (idx != UINT32_MAX)
				pool_put(ct, idx);
			*link = found;
			return CT_COMMIT_EXISTS;
		}
		if (found != 0)
			(void)conn_kill(ct, found, g0, g1);
		if (!tuple_is_free(ct, &r, s->now, g0, g1)) {
			unlock2(ct, g0, g1);
			continue;
		}
		if (!commit_entry(ct, s, &idx, g0, g1)) {
			unlock2(ct, g0, g1);
			return -1 - DP_CT_INV_FULL;
		}
		e = conn_at(ct, idx);
		conn_init(e, l, state, s->now, mark);
		e->expires = s->now + conn_timeout_of(ct, l->proto, state);
		conn_set_tuple(e, 1, &r.t);
		chain_add(ct, l->hash, make_link(idx, 0));
		chain_add(ct, r.hash, make_link(idx, 1));
		*state_out = state;
		nat_target(e, 0, to);
		unlock2(ct, g0, g1);
		*link = make_link(idx, 0);
		return CT_COMMIT_OK;
	}
	if (idx != UINT32_MAX)
		pool_put(ct, idx);
	return -1 - DP_CT_INV_NAT_FAIL;
}

/*
 * tuple_from_packet_inl() for pl_ct_lb_est(), of a key that
 * pl_ct_prefetch_group() hashed (c->ct_hash not 0): so an IPv4 or IPv6
 * TCP or UDP packet, not a fragment, and those are not tested again.
 * False for TCP flags that fit no state (the locked path then says
 * why). Nothing is zeroed first: of an IPv4 tuple only the first 4 bytes
 * of each address are written, the most that conn_is() and nat_full4()
 * read of one.
 */
static inline __attribute__((always_inline)) bool
lb_est_tuple(const struct pl_pctx *c, uint16_t zone, struct ct_look *l)
{
	const struct dp_key *k = &c->key;

	if (k->nw_proto == IPPROTO_TCP && !tcp_flags_ok(k->tcp_flags))
		return false;
	if (k->eth_type == htons(0x0800)) {
		l->family = 4;
		memcpy(l->t.src, &k->nw_src, 4);
		memcpy(l->t.dst, &k->nw_dst, 4);
	} else {
		l->family = 6;
		memcpy(l->t.src, k->ipv6_src, 16);
		memcpy(l->t.dst, k->ipv6_dst, 16);
	}
	l->zone = zone;
	l->proto = k->nw_proto;
	l->t.sport = k->tp_src;
	l->t.dport = k->tp_dst;
	return true;
}

int
pl_ct_lb_est(struct pl_ct *ct, unsigned slot, struct pl_pctx *c, uint16_t zone,
	     uint32_t *mark)
{
	struct ct_slot *s = &ct->slot[slot];
	struct dp_ct_tuple to;
	struct ct_look l;
	uint32_t state = 0;
	int cs;

	if (c->ct_hash == 0 || !lb_est_tuple(c, zone, &l))
		return PL_CT_LB_INVALID;
	l.hash = c->ct_hash;
	l.hint = c->ct_hint;
	*mark = 0;
	cs = ct_lookup_ro(ct, s, c, &l, &to, &state, mark);
	if (cs == 0)
		return PL_CT_LB_INVALID;
	s->lookups++;
	c->key.ct_zone = zone;
	c->ct_stamp = 0;
	c->ct_hash = 0;
	if (state & (CT_S_SNAT | CT_S_DNAT)) {
		if (l.family == 6)
			nat_full6(c, &l.t, &to, l.proto);
		else
			nat_full4(c, &l.t, &to, l.proto);
		cs |= (state & CT_S_SNAT ? DP_CS_SNAT : 0) |
		      (state & CT_S_DNAT ? DP_CS_DNAT : 0);
		s->nat++;
	}
	if (!(state & CT_S_LB))
		*mark = 0;
	c->key.ct_state = (uint8_t)cs;
	c->key.ct_mark = *mark;
	return PL_CT_LB_FOUND;
}

int
pl_ct_lb_exec(struct pl_ct *ct, unsigned slot, struct pl_pctx *c, uint16_t zone,
	      pl_ct_lb_pick_fn pick, void *arg, bool is_trace, uint32_t *mark)
{
	struct ct_slot *s = &ct->slot[slot];
	const struct dp_act_ct a = {.zone = zone, .flags = DP_CT_NAT};
	struct pl_ct_lb_bind b;
	struct dp_ct_tuple to;
	struct ct_look l;
	uint32_t state = 0, link = 0;
	uint32_t ph = c->ct_hash;
	int kind, cs, rc, res = PL_CT_LB_INVALID;

	c->key.ct_zone = zone;
	c->ct_stamp = 0;
	c->ct_hash = 0;
	*mark = 0;
	if (!is_trace)
		s->lookups++;
	kind = tuple_from_packet_inl(c, zone, &l);
	if (kind < 0) {
		cs = inv(s, -1 - kind, is_trace);
		goto done;
	}
	if (kind == CT_K_ICMP_ERR) {
		/* An ICMP error about a connection: translated as ct(nat). */
		cs = ct_related(ct, s, c, &l, &a, is_trace, mark);
		if (cs < 0)
			cs = inv(s, -1 - cs, is_trace);
		else
			res = PL_CT_LB_FOUND;
		/* Not counted for a member (the mark may be any ct's). */
		*mark = 0;
		goto done;
	}
	l.hash = ph != 0 ? ph : tuple_hash(&l.t, l.zone, l.proto, l.family);
	l.hint = ph != 0 ? c->ct_hint : 0;
	cs = ct_lookup_inl(ct, s, c, &l, false, is_trace, &to, &state, mark,
			   &a);
	if (cs != 0) {
		if (!(cs & DP_CS_INV))
			res = PL_CT_LB_FOUND;
		goto translate;
	}
	if (kind == CT_K_ECHO_REP) {
		cs = inv(s, DP_CT_INV_ICMP_NO_CONN, is_trace);
		goto done;
	}
	if (l.proto == IPPROTO_TCP && !tcp_is_syn(c->key.tcp_flags)) {
		cs = inv(s, DP_CT_INV_TCP_NOT_SYN, is_trace);
		goto done;
	}
	cs = DP_CS_TRK | DP_CS_NEW;
	if (l.proto != IPPROTO_TCP && l.proto != IPPROTO_UDP) {
		/* Pools balance TCP and UDP (over IPv4 or IPv6). */
		res = PL_CT_LB_NO_MEMBER;
		goto done;
	}
	if (is_trace) {
		res = PL_CT_LB_TRACE_NEW;
		goto done;
	}
	memset(&b, 0, sizeof(b));
	if (pick(arg, c, &b) < 0) {
		res = PL_CT_LB_NO_MEMBER;
		goto done;
	}
	rc = ct_commit_lb(ct, s, &l, &b, &link, &state, &to);
	if (rc < 0) {
		cs = inv(s, -1 - rc, is_trace);
		goto done;
	}
	if (rc == CT_COMMIT_EXISTS) {
		/* Another worker was first: take its connection. */
		l.link = link;
		cs = ct_lookup(ct, s, c, &l, true, false, &to, &state, mark,
			       &a);
		if (cs == 0) {
			cs = inv(s, DP_CT_INV_FULL, false);
			goto done;
		}
		res = PL_CT_LB_FOUND;
	} else {
		s->commits++;
		*mark = b.mark;
		res = PL_CT_LB_NEW;
	}
translate:
	if (!(cs & DP_CS_INV) && (state & (CT_S_SNAT | CT_S_DNAT))) {
		if (l.family == 6)
			nat_full6(c, &l.t, &to, l.proto);
		else if (l.proto == IPPROTO_TCP || l.proto == IPPROTO_UDP)
			nat_full4(c, &l.t, &to, l.proto);
		else
			nat_packet(c, &l.t, &to, l.proto);
		cs |= (state & CT_S_SNAT ? DP_CS_SNAT : 0) |
		      (state & CT_S_DNAT ? DP_CS_DNAT : 0);
		if (!is_trace)
			s->nat++;
	}
	if (!(state & CT_S_LB))
		*mark = 0;
done:
	c->key.ct_state = (uint8_t)cs;
	c->key.ct_mark = *mark;
	return res;
}

size_t
pl_ct_conn_bytes(const struct pl_ct *ct)
{
	return sizeof(struct ct_pair) / 2 +
	       (size_t)(ct->gmask + 1) * sizeof(struct ct_group) / ct->max;
}

uint32_t
pl_ct_now(const struct pl_ct *ct, unsigned slot)
{
	return ct->slot[slot].now;
}

/* Tests: forced collisions, the table's invariants, an exhaustive search. */

int
pl_ct_test_collide(struct pl_ct *ct, uint32_t gmask, uint8_t tag_mask)
{
	if (__atomic_load_n(&ct->n_used, __ATOMIC_RELAXED) != 0 ||
	    ct->n_fresh != 0)
		return -EBUSY;
	if (gmask > ct->gmask || (gmask & (gmask + 1)) != 0)
		return -EINVAL;
	ct->gmask = gmask;
	ct->tag_mask = tag_mask;
	return 0;
}

void
pl_ct_test_prefetch_min(struct pl_ct *ct, uint32_t n)
{
	ct->prefetch_min = n;
}

static int
check_fail(const char *what, uint32_t g, uint32_t link)
{
	fprintf(stderr, "pl_ct_test_check: %s (group %u, link %u)\n", what, g,
		link);
	return -EINVAL;
}

/* Every link of group g (locked): in range, hashed to g, tag right. */
static int
check_group(struct pl_ct *ct, uint32_t g, uint8_t *seen,
	    struct pl_ct_check *out)
{
	const struct ct_group *grp = &ct->groups[g];
	struct ct_iter it = {0};
	uint32_t link, n_ovf = 0;

	while ((link = iter_next(ct, grp, &it)) != 0) {
		uint32_t idx = (link - 1) >> 1, h;
		const struct ct_conn *e;
		struct ct_look l;

		if (idx >= ct->n_fresh)
			return check_fail("link out of range", g, link);
		if (seen[link - 1]++ != 0)
			return check_fail("linked twice", g, link);
		e = link_conn(ct, link);
		h = conn_hash(e, link_dir(link));
		if (hash_group(ct, h) != g)
			return check_fail("in the wrong group", g, link);
		if (it.i <= CT_SLOTS && grp->tag[it.i - 1] != hash_tag(ct, h))
			return check_fail("wrong tag", g, link);
		if (it.i > CT_SLOTS) {
			n_ovf++;
			for (unsigned i = 0; i < CT_SLOTS; i++)
				if (grp->link[i] == 0)
					return check_fail(
						"overflow with a free "
						"slot",
						g, link);
		}
		memset(&l, 0, sizeof(l));
		conn_tuple(e, link_dir(link), &l.t);
		l.zone = e->zone;
		l.proto = e->proto;
		l.family = e->family;
		l.hash = h;
		if (chain_find(ct, &l) != link)
			return check_fail("lookup finds another", g, link);
		out->links++;
	}
	out->ovf += n_ovf;
	if (n_ovf > out->max_ovf)
		out->max_ovf = n_ovf;
	return 0;
}

void
pl_ct_test_lockless(const struct pl_ct *ct, unsigned slot, uint64_t *ro,
		    uint64_t *upgraded)
{
	*ro = ct->slot[slot].lockless;
	*upgraded = ct->slot[slot].upgraded;
}

int
pl_ct_test_check(struct pl_ct *ct, struct pl_ct_check *out)
{
	uint8_t *seen;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	seen = calloc((size_t)ct->n_fresh * 2 + 1, 1);
	if (seen == NULL)
		return -ENOMEM;
	for (uint32_t g = 0; g <= ct->gmask && rc == 0; g++) {
		spin_lock(&ct->groups[g].lock);
		rc = check_group(ct, g, seen, out);
		spin_unlock(&ct->groups[g].lock);
	}
	for (uint32_t i = 0; i < ct->n_fresh * 2 && rc == 0; i++)
		if (seen[i] != seen[i ^ 1])
			rc = check_fail("one direction linked", 0, i + 1);
	if (rc == 0 &&
	    out->links != 2 * __atomic_load_n(&ct->n_used, __ATOMIC_RELAXED))
		rc = check_fail("links and connections differ", 0, 0);
	free(seen);
	return rc;
}

int
pl_ct_test_find(struct pl_ct *ct, const struct dp_ct_tuple *t, uint16_t zone,
		uint8_t proto, uint8_t family, uint32_t *fast, uint32_t *slow)
{
	struct ct_look l;
	uint32_t g;

	memset(&l, 0, sizeof(l));
	l.t = *t;
	l.zone = zone;
	l.proto = proto;
	l.family = family;
	l.hash = tuple_hash(&l.t, zone, proto, family);
	g = hash_group(ct, l.hash);
	spin_lock(&ct->groups[g].lock);
	*fast = chain_find(ct, &l);
	spin_unlock(&ct->groups[g].lock);
	*slow = 0;
	for (g = 0; g <= ct->gmask; g++) {
		const struct ct_group *grp = &ct->groups[g];
		struct ct_iter it = {0};
		uint32_t link;

		spin_lock(&ct->groups[g].lock);
		while ((link = iter_next(ct, grp, &it)) != 0)
			if (conn_is(link_conn(ct, link), link_dir(link), &l)) {
				if (*slow != 0) {
					spin_unlock(&ct->groups[g].lock);
					return -EEXIST;
				}
				*slow = link;
			}
		spin_unlock(&ct->groups[g].lock);
	}
	return 0;
}
