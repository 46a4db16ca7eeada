/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * compiler_int.h: rule construction helpers shared by the compiler's files
 * (compiler.c: L2, ARP, flood, anti-spoofing; compiler_l3.c: security
 * groups, routers, NAT, floating IPs). Not used outside control/net/.
 */
#ifndef SLUICE_COMPILER_INT_H
#define SLUICE_COMPILER_INT_H

#include <arpa/inet.h>
#include <string.h>

#include "compiler.h"

/*
 * FNV-1a 64 of an id string (and a 32-bit salt), high bits folded in so
 * all 64 count: stateless ids for cookies, router registers and zones.
 */
static inline uint64_t
compiler_hash(const char *id, uint32_t salt)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *s = (const unsigned char *)id; *s; s++) {
		h ^= *s;
		h *= 0x100000001b3ULL;
	}
	for (unsigned i = 0; i < 4 && salt != 0; i++) {
		h ^= (salt >> (8 * i)) & 0xff;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 48;
	return h;
}

/* Rule construction helpers. */

static inline void
rule_init(struct dp_rule *r, uint64_t cookie, uint8_t table, uint32_t prio)
{
	memset(r, 0, sizeof(*r));
	r->cookie = cookie;
	r->table = table;
	r->priority = prio;
}

/* Match field f on value under mask (both in the key's byte order). */
static inline void
match_masked(struct dp_rule *r, enum dp_field f, const void *val,
	     const void *mask)
{
	const struct dp_field_info *fi = dp_field_info(f);
	uint8_t *m = (uint8_t *)&r->match + fi->offset;
	uint8_t *k = (uint8_t *)&r->mask + fi->offset;
	const uint8_t *v = val;
	const uint8_t *mk = mask;

	for (unsigned i = 0; i < fi->size; i++) {
		k[i] = mk[i];
		m[i] = v[i] & mk[i];
	}
}

static inline void
match_exact(struct dp_rule *r, enum dp_field f, const void *val)
{
	static const uint8_t ones[16] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};

	match_masked(r, f, val, ones);
}

static inline void
match_u32h(struct dp_rule *r, enum dp_field f, uint32_t v)
{
	match_exact(r, f, &v);
}

static inline void
match_u16n(struct dp_rule *r, enum dp_field f, uint16_t host_v)
{
	uint16_t v = htons(host_v);

	match_exact(r, f, &v);
}

static inline void
match_u8(struct dp_rule *r, enum dp_field f, uint8_t v)
{
	match_exact(r, f, &v);
}

/* Match an address prefix on nw_src/nw_dst (v4) or ipv6_src (v6). */
static inline void
match_prefix(struct dp_rule *r, enum dp_field f, const struct net_addr *a)
{
	uint8_t mask[16] = {0};
	unsigned bytes = a->version == 4 ? 4 : 16;
	unsigned len = a->prefix_len;

	for (unsigned i = 0; i < bytes; i++) {
		if (len >= 8) {
			mask[i] = 0xff;
			len -= 8;
		} else {
			mask[i] = (uint8_t)(0xff00 >> len);
			len = 0;
		}
	}
	match_masked(r, f, a->a, mask);
}

static inline struct dp_action *
act_push(struct dp_rule *r, enum dp_action_type type)
{
	struct dp_action *a = &r->actions[r->n_actions++];

	a->type = (uint16_t)type;
	return a;
}

static inline void
act_output(struct dp_rule *r, uint32_t port)
{
	act_push(r, DP_ACT_OUTPUT)->u.port = port;
}

static inline void
act_goto(struct dp_rule *r, uint32_t table)
{
	act_push(r, DP_ACT_GOTO_TABLE)->u.table = table;
}

static inline void
act_set_metadata(struct dp_rule *r, uint32_t metadata)
{
	struct dp_action *a = act_push(r, DP_ACT_SET_FIELD);

	a->u.set.field = DP_F_METADATA;
	memcpy(a->u.set.value, &metadata, sizeof(metadata));
}

static inline void
act_drop(struct dp_rule *r)
{
	act_push(r, DP_ACT_DROP);
}

/* set_field: value in the key's byte order, the field's size. */
static inline void
act_set(struct dp_rule *r, enum dp_field f, const void *value)
{
	struct dp_action *a = act_push(r, DP_ACT_SET_FIELD);

	a->u.set.field = (uint16_t)f;
	memcpy(a->u.set.value, value, dp_field_info(f)->size);
}

static inline void
act_set_u32h(struct dp_rule *r, enum dp_field f, uint32_t v)
{
	act_set(r, f, &v);
}

/* ct(zone, flags, [nat(kind=ip)], table); ends the action list. */
static inline void
act_ct(struct dp_rule *r, uint16_t zone, uint8_t flags, uint8_t table,
       uint8_t nat_kind, const uint8_t *nat_ip)
{
	struct dp_action *a = act_push(r, DP_ACT_CT);

	a->u.ct.zone = zone;
	a->u.ct.flags = flags;
	a->u.ct.table = table;
	a->u.ct.nat_kind = nat_kind;
	if (nat_ip != NULL)
		memcpy(&a->u.ct.nat_min, nat_ip, 4);
}

/* Match ct_state bits under mask (host order). */
static inline void
match_ct(struct dp_rule *r, uint8_t value, uint8_t mask)
{
	match_masked(r, DP_F_CT_STATE, &value, &mask);
}

/* A port's conntrack zone. */
static inline uint16_t
compiler_port_zone(const struct net_view_port *p)
{
	return (uint16_t)(p->dp_port & 0x7fff);
}

#endif /* SLUICE_COMPILER_INT_H */
