/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * neigh.c: learned next hops' ages (neigh.h). A flat array: a router has
 * a handful of next hops on its external network, and a tick walks them
 * all once a second.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "neigh.h"

void
neigh_init(struct neigh_table *t, const struct neigh_config *cfg)
{
	memset(t, 0, sizeof(*t));
	if (cfg != NULL)
		t->cfg = *cfg;
	if (t->cfg.reachable_ms == 0)
		t->cfg.reachable_ms = NEIGH_REACHABLE_MS;
	if (t->cfg.retrans_ms == 0)
		t->cfg.retrans_ms = NEIGH_RETRANS_MS;
	if (t->cfg.n_probes == 0)
		t->cfg.n_probes = NEIGH_PROBES;
}

void
neigh_fini(struct neigh_table *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

void
neigh_clear(struct neigh_table *t)
{
	t->n = 0;
}

static size_t
alen(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static struct neigh_entry *
find(const struct neigh_table *t, const char *router_id, int family,
     const uint8_t *ip)
{
	for (size_t i = 0; i < t->n; i++) {
		struct neigh_entry *e = &t->v[i];

		if (e->family == family &&
		    memcmp(e->ip, ip, alen(family)) == 0 &&
		    strcmp(e->router_id, router_id) == 0)
			return e;
	}
	return NULL;
}

const struct neigh_entry *
neigh_lookup(const struct neigh_table *t, const char *router_id, int family,
	     const uint8_t *ip)
{
	return find(t, router_id, family, ip);
}

int
neigh_learn(struct neigh_table *t, const char *router_id, int family,
	    const uint8_t *ip, const uint8_t mac[6], double now_ms,
	    enum neigh_learned *what)
{
	struct neigh_entry *e = find(t, router_id, family, ip);

	if (e != NULL) {
		*what = memcmp(e->mac, mac, 6) == 0 ? NEIGH_SAME
						    : NEIGH_CHANGED;
	} else {
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 16;
			struct neigh_entry *v = realloc(t->v, cap * sizeof(*v));

			if (v == NULL)
				return -ENOMEM;
			t->v = v;
			t->cap = cap;
		}
		e = &t->v[t->n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->router_id, sizeof(e->router_id), "%s", router_id);
		e->family = family;
		memcpy(e->ip, ip, alen(family));
		*what = NEIGH_NEW;
	}
	memcpy(e->mac, mac, 6);
	e->confirmed_ms = now_ms;
	e->n_probes = 0;
	e->next_ms = 0;
	return 0;
}

size_t
neigh_tick(struct neigh_table *t, double now_ms, neigh_probe_fn probe,
	   neigh_expire_fn expire, void *arg)
{
	size_t n_expired = 0, i = 0;

	while (i < t->n) {
		struct neigh_entry *e = &t->v[i];
		bool is_dead = false;

		if (now_ms - e->confirmed_ms < t->cfg.reachable_ms ||
		    now_ms < e->next_ms) {
			i++;
			continue;
		}
		if (e->n_probes < t->cfg.n_probes) {
			e->n_probes++;
			e->next_ms = now_ms + t->cfg.retrans_ms;
			is_dead = probe(arg, e) < 0;
		} else {
			is_dead = true;
		}
		if (!is_dead) {
			i++;
			continue;
		}
		expire(arg, e);
		t->v[i] = t->v[--t->n];
		n_expired++;
	}
	return n_expired;
}
