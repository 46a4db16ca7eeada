// SPDX-License-Identifier: BSD-2-Clause
/*
 * vpn_dp.c: child SAs into sluice-dp's ESP SAs (see vpn_dp.h). A small
 * table maps each installed child (by inbound SPI) to its two datapath
 * SA ids; ids are taken from a bitmap of 1 .. DP_SA_ID_MAX. Key material
 * is copied into the request struct only, which is zeroed after the call.
 *
 * SA events come on a second connection (a connection waiting for a reply
 * skips events, dp_client.h), subscribed when the first one opens and
 * read from the event loop; each is mapped by datapath SA id to its child
 * and handed to the rekey hook once per child.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "compiler_vpn.h"
#include "dp_client.h"
#include "log.h"
#include "vpn_dp.h"

#define VPN_DP_CHILDREN_MAX 512
#define VPN_DP_HELD_MAX 64 /* connections remembered for a trap */

struct vpn_dp_child {
	uint32_t spi_in;
	uint32_t id_in, id_out;
	uint32_t conn_id;	       /* the engine's connection */
	bool rekey_asked;	       /* an event asked for a rekey already */
	uint64_t seq;		       /* install order */
	char conn[NET_ID_LEN];	       /* the engine's connection name */
	uint8_t local[16], remote[16]; /* outer addresses (IPv4: [0..3]) */
	bool is6;		       /* outer IPv6 */
	unsigned n_local, n_peer;      /* negotiated selectors as CIDRs */
	struct net_addr lcidr[COMPILER_VPN_CIDRS_MAX];
	struct net_addr pcidr[COMPILER_VPN_CIDRS_MAX];
};

struct vpn_dp {
	char path[108];
	struct dp_client *c;
	unsigned n;
	struct vpn_dp_child ch[VPN_DP_CHILDREN_MAX];
	uint64_t used[(DP_SA_ID_MAX + 64) / 64]; /* bit per SA id */
	uint64_t seq;
	vpn_dp_tunnels_fn on_tunnels;
	void *on_tunnels_arg;
	struct compiler_vpn_tunnel *tun; /* scratch, VPN_DP_CHILDREN_MAX */
	/* SA events (vpn_dp_watch_events). */
	struct event_base *base;
	vpn_dp_event_fn on_event;
	void *on_event_arg;
	struct dp_client *ev_c; /* subscribed connection */
	struct event *ev;	/* read readiness of ev_c */
	const struct vpn_dp_child *order[VPN_DP_CHILDREN_MAX];
	/*
	 * DPD hold (vpn_dp_hold): the last tunnel seen of recent
	 * connections (selectors and addresses, children cleared), ring
	 * order, and whether each is held (trap while it has no child).
	 */
	struct compiler_vpn_tunnel last[VPN_DP_HELD_MAX];
	bool held[VPN_DP_HELD_MAX];
	unsigned n_last, next_last;
};

/* The remembered tunnel of connection conn, or NULL. */
static struct compiler_vpn_tunnel *
vpn_dp_last(struct vpn_dp *v, const char *conn, unsigned *idx)
{
	for (unsigned i = 0; i < v->n_last; i++)
		if (strcmp(v->last[i].conn_id, conn) == 0) {
			*idx = i;
			return &v->last[i];
		}
	return NULL;
}

/* Remember t (a tunnel with children) for a later trap. */
static void
vpn_dp_remember(struct vpn_dp *v, const struct compiler_vpn_tunnel *t)
{
	struct compiler_vpn_tunnel *l;
	unsigned i;

	if ((l = vpn_dp_last(v, t->conn_id, &i)) == NULL) {
		i = v->n_last < VPN_DP_HELD_MAX ? v->n_last++ : v->next_last;
		v->next_last = (i + 1) % VPN_DP_HELD_MAX;
		l = &v->last[i];
		v->held[i] = false;
	}
	*l = *t;
	l->n_children = 0;
	memset(l->children, 0, sizeof(l->children));
	l->is_trap = true;
}

void
vpn_dp_set_observer(struct vpn_dp *v, vpn_dp_tunnels_fn fn, void *arg)
{
	v->on_tunnels = fn;
	v->on_tunnels_arg = arg;
}

/*
 * Traffic selectors (IPv4 and IPv6) as prefixes: each range split into
 * the fewest aligned blocks; at most COMPILER_VPN_CIDRS_MAX in all (the
 * engine proposes CIDRs, so a range is one block in practice).
 */
static unsigned
vpn_dp_ts_cidrs(const struct ike_ts_pl *pl, struct net_addr *out)
{
	typedef unsigned __int128 u128;
	unsigned n = 0;

	for (unsigned i = 0; i < pl->n_ts && i < IKE_MAX_TS; i++) {
		const struct ike_ts *ts = &pl->ts[i];
		unsigned bits = ts->type == IKE_TS_IPV6 ? 128 : 32;
		u128 lo = 0, hi = 0;

		if (ts->type != IKE_TS_IPV4 && ts->type != IKE_TS_IPV6)
			continue;
		for (unsigned b = 0; b < bits / 8; b++) {
			lo = lo << 8 | ts->start[b];
			hi = hi << 8 | ts->end[b];
		}
		while (lo <= hi && n < COMPILER_VPN_CIDRS_MAX) {
			u128 span = hi - lo, m = 0; /* m: 2^k - 1 */
			unsigned k = 0;		    /* block of 2^k */

			/* Grow while lo stays aligned and hi is not passed. */
			while (k < bits && ((lo >> k) & 1) == 0 &&
			       (m << 1 | 1) <= span) {
				m = m << 1 | 1;
				k++;
			}
			memset(&out[n], 0, sizeof(out[n]));
			out[n].version = ts->type == IKE_TS_IPV6 ? 6 : 4;
			out[n].prefix_len = (uint8_t)(bits - k);
			for (unsigned b = 0; b < bits / 8; b++)
				out[n].a[b] =
					(uint8_t)(lo >> (bits - 8 - 8 * b));
			n++;
			if (m == span)
				break;
			lo += m + 1;
		}
	}
	return n;
}

static int
vpn_dp_seq_cmp(const void *a, const void *b)
{
	const struct vpn_dp_child *x = *(const struct vpn_dp_child *const *)a;
	const struct vpn_dp_child *y = *(const struct vpn_dp_child *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The tunnels (children grouped by connection, oldest first) to the
 * observer. */
static void
vpn_dp_notify(struct vpn_dp *v)
{
	size_t n_tun = 0;

	if (v->on_tunnels == NULL)
		return;
	if (v->tun == NULL) {
		v->tun = calloc(VPN_DP_CHILDREN_MAX, sizeof(*v->tun));
		if (v->tun == NULL) {
			log_warn("vpn", "tunnel rules: out of memory");
			return;
		}
	}
	for (unsigned i = 0; i < v->n; i++)
		v->order[i] = &v->ch[i];
	qsort(v->order, v->n, sizeof(v->order[0]), vpn_dp_seq_cmp);
	for (unsigned i = 0; i < v->n; i++) {
		const struct vpn_dp_child *ch = v->order[i];
		struct compiler_vpn_tunnel *t = NULL;

		for (size_t j = 0; j < n_tun && t == NULL; j++)
			if (strcmp(v->tun[j].conn_id, ch->conn) == 0)
				t = &v->tun[j];
		if (t == NULL) {
			t = &v->tun[n_tun++];
			memset(t, 0, sizeof(*t));
			snprintf(t->conn_id, sizeof(t->conn_id), "%s",
				 ch->conn);
		}
		/* Beyond the maximum the oldest child is left out (it
		 * is being replaced). */
		if (t->n_children == COMPILER_VPN_CHILDREN_MAX) {
			memmove(t->children, t->children + 1,
				(COMPILER_VPN_CHILDREN_MAX - 1) *
					sizeof(t->children[0]));
			t->n_children--;
		}
		t->children[t->n_children++] =
			(struct compiler_vpn_child){ch->id_in, ch->id_out};
		/* The newest child's addresses and selectors. */
		memcpy(t->local_ip, ch->local, sizeof(t->local_ip));
		memcpy(t->peer_ip, ch->remote, sizeof(t->peer_ip));
		t->is_outer6 = ch->is6;
		t->n_local = ch->n_local;
		t->n_peer = ch->n_peer;
		memcpy(t->local, ch->lcidr, sizeof(t->local));
		memcpy(t->peer, ch->pcidr, sizeof(t->peer));
	}
	for (size_t j = 0, n = n_tun; j < n; j++)
		vpn_dp_remember(v, &v->tun[j]);
	/* Held connections without a child: their traps. */
	for (unsigned i = 0; i < v->n_last; i++) {
		bool has = false;

		for (size_t j = 0; j < n_tun && !has; j++)
			has = strcmp(v->tun[j].conn_id, v->last[i].conn_id) ==
			      0;
		if (v->held[i] && !has && n_tun < VPN_DP_CHILDREN_MAX)
			v->tun[n_tun++] = v->last[i];
	}
	v->on_tunnels(v->on_tunnels_arg, v->tun, n_tun);
}

void
vpn_dp_hold(void *arg, const char *conn, bool is_held)
{
	struct vpn_dp *v = arg;
	unsigned i;

	if (vpn_dp_last(v, conn, &i) == NULL || v->held[i] == is_held)
		return;
	v->held[i] = is_held;
	log_info("vpn", "connection %s: trap %s (dpd action hold)", conn,
		 is_held ? "installed" : "removed");
	vpn_dp_notify(v);
}

int
vpn_dp_create(const char *socket_path, struct vpn_dp **out)
{
	struct vpn_dp *v = calloc(1, sizeof(*v));

	if (v == NULL)
		return -ENOMEM;
	snprintf(v->path, sizeof(v->path), "%s", socket_path);
	v->used[0] = 1; /* id 0 is not an SA */
	*out = v;
	return 0;
}

static void
vpn_dp_id_free(struct vpn_dp *v, uint32_t id)
{
	if (id != 0 && id <= DP_SA_ID_MAX)
		v->used[id / 64] &= ~(1ull << (id % 64));
}

static uint32_t
vpn_dp_id_alloc(struct vpn_dp *v)
{
	uint32_t id;

	for (id = 1; id <= DP_SA_ID_MAX; id++) {
		if (!(v->used[id / 64] & (1ull << (id % 64)))) {
			v->used[id / 64] |= 1ull << (id % 64);
			return id;
		}
	}
	return 0;
}

int
vpn_dp_sa_event(struct vpn_dp *v, const struct dp_sa_event *ev)
{
	const uint32_t want = DP_SA_EV_SEQ_NEAR_END | DP_SA_EV_SEQ_EXHAUSTED |
			      DP_SA_EV_SOFT_PACKETS | DP_SA_EV_SOFT_BYTES;
	struct vpn_dp_child *ch = NULL;

	for (unsigned i = 0; i < v->n && ch == NULL; i++)
		if (ev->id != 0 &&
		    (v->ch[i].id_in == ev->id || v->ch[i].id_out == ev->id))
			ch = &v->ch[i];
	if (ch == NULL) {
		log_warn("vpn", "datapath SA %u: event 0x%x for no child SA",
			 ev->id, ev->kinds);
		return -ENOENT;
	}
	if (!(ev->kinds & want))
		return 0;
	log_info("vpn",
		 "child SA %s (spi 0x%08x): datapath SA %u %s event 0x%x "
		 "(seq %llu, %llu packets, %llu bytes)",
		 ch->conn, ch->spi_in, ev->id,
		 ev->dir == DP_SA_OUT ? "out" : "in", ev->kinds,
		 (unsigned long long)ev->seq, (unsigned long long)ev->packets,
		 (unsigned long long)ev->bytes);
	/* Both SAs of a child may report: one rekey per child. */
	if (ch->rekey_asked || v->on_event == NULL)
		return 0;
	ch->rekey_asked = true;
	v->on_event(v->on_event_arg, ch->conn_id, ch->spi_in, ev->kinds);
	return 1;
}

static void
vpn_dp_events_close(struct vpn_dp *v)
{
	if (v->ev != NULL)
		event_free(v->ev);
	v->ev = NULL;
	dp_client_close(v->ev_c);
	v->ev_c = NULL;
}

static void
vpn_dp_on_events(evutil_socket_t fd, short what, void *arg)
{
	struct vpn_dp *v = arg;
	struct dp_sa_event ev;
	int rc;

	(void)fd;
	(void)what;
	while ((rc = dp_client_sa_event_recv(v->ev_c, &ev, 0)) == 0)
		(void)vpn_dp_sa_event(v, &ev);
	if (rc != -ETIMEDOUT && rc != -EAGAIN) {
		/* Reopened with the next install (the datapath restarted:
		 * its SAs are gone too). */
		log_warn("vpn", "datapath SA events: %s",
			 dp_client_error(v->ev_c));
		vpn_dp_events_close(v);
	}
}

/* The event connection, when watched and not open yet. */
static void
vpn_dp_events_open(struct vpn_dp *v)
{
	char err[160];
	int rc;

	if (v->base == NULL || v->ev_c != NULL)
		return;
	rc = dp_client_connect(v->path, &v->ev_c, err, sizeof(err));
	if (rc == 0)
		rc = dp_client_hello(v->ev_c, "sluiced-vpn-events", NULL);
	if (rc == 0)
		rc = dp_client_sa_event_subscribe(v->ev_c);
	if (rc == 0) {
		v->ev = event_new(v->base, dp_client_fd(v->ev_c),
				  EV_READ | EV_PERSIST, vpn_dp_on_events, v);
		if (v->ev == NULL || event_add(v->ev, NULL) != 0)
			rc = -ENOMEM;
	}
	if (rc != 0) {
		log_warn("vpn", "datapath %s: SA events: %s", v->path,
			 v->ev_c != NULL ? dp_client_error(v->ev_c) : err);
		vpn_dp_events_close(v);
	}
}

int
vpn_dp_watch_events(struct vpn_dp *v, struct event_base *base,
		    vpn_dp_event_fn fn, void *arg)
{
	v->base = base;
	v->on_event = fn;
	v->on_event_arg = arg;
	if (v->c != NULL)
		vpn_dp_events_open(v);
	return 0;
}

static int
vpn_dp_collect(const struct dp_sa_info *si, void *arg)
{
	struct vpn_dp *v = arg;

	if (si->id != 0 && si->id <= DP_SA_ID_MAX)
		v->used[si->id / 64] |= 1ull << (si->id % 64);
	return 0;
}

/*
 * With no child installed, every SA in the datapath is a leftover of a
 * previous sluiced (killed, or restarted before its children were
 * deleted): remove them, so their ids are free and their keys gone.
 */
static void
vpn_dp_flush(struct vpn_dp *v)
{
	unsigned n = 0;

	if (v->n != 0 || dp_client_sa_dump(v->c, 0, vpn_dp_collect, v) != 0)
		return;
	for (uint32_t id = 1; id <= DP_SA_ID_MAX; id++) {
		if (!(v->used[id / 64] & (1ull << (id % 64))))
			continue;
		if (dp_client_sa_del(v->c, id) == 0)
			n++;
		vpn_dp_id_free(v, id);
	}
	if (n > 0)
		log_info("vpn", "removed %u ESP SA(s) left in the datapath", n);
}

/* The datapath connection, (re)connected on demand. */
static int
vpn_dp_conn(struct vpn_dp *v)
{
	char err[160];
	int rc;

	vpn_dp_events_open(v);
	if (v->c != NULL)
		return 0;
	rc = dp_client_connect(v->path, &v->c, err, sizeof(err));
	if (rc == 0)
		rc = dp_client_hello(v->c, "sluiced-vpn", NULL);
	if (rc != 0) {
		log_warn("vpn", "datapath %s: %s", v->path,
			 v->c != NULL ? dp_client_error(v->c) : err);
		dp_client_close(v->c);
		v->c = NULL;
		return rc;
	}
	vpn_dp_flush(v);
	return rc;
}

/* Fill the cipher fields of sa from the child's suite. */
static int
vpn_dp_suite(const struct ike_cipher *c, struct dp_sa *sa)
{
	switch (c->encr) {
	case IKE_ENCR_AES_GCM_16:
		sa->cipher = DP_SA_AES_GCM_16;
		break;
	case IKE_ENCR_AES_CBC:
		sa->cipher = DP_SA_AES_CBC;
		break;
	case IKE_ENCR_CHACHA20_POLY1305:
		sa->cipher = DP_SA_CHACHA20_POLY1305;
		break;
	default:
		return -ENOTSUP;
	}
	switch (c->integ) {
	case IKE_INTEG_NONE:
		sa->integ = DP_SA_INTEG_NONE;
		break;
	case IKE_INTEG_HMAC_SHA2_256_128:
		sa->integ = DP_SA_HMAC_SHA256_128;
		break;
	case IKE_INTEG_HMAC_SHA2_384_192:
		sa->integ = DP_SA_HMAC_SHA384_192;
		break;
	case IKE_INTEG_HMAC_SHA2_512_256:
		sa->integ = DP_SA_HMAC_SHA512_256;
		break;
	default:
		return -ENOTSUP;
	}
	return 0;
}

/* Build one direction's SA; keys copied (the caller zeroes sa). */
static int
vpn_dp_build(const struct ike_child_info *ci, bool is_in, uint32_t id,
	     struct dp_sa *sa)
{
	const struct ike_addr *src = is_in ? &ci->remote : &ci->local;
	const struct ike_addr *dst = is_in ? &ci->local : &ci->remote;

	memset(sa, 0, sizeof(*sa));
	if ((ci->local.family != AF_INET && ci->local.family != AF_INET6) ||
	    ci->remote.family != ci->local.family ||
	    ci->enc_key_len > DP_SA_KEY_MAX ||
	    ci->integ_key_len > DP_SA_INTEG_KEY_MAX)
		return -ENOTSUP;
	if (vpn_dp_suite(&ci->cipher, sa) != 0)
		return -ENOTSUP;
	sa->id = id;
	sa->spi = is_in ? ci->spi_in : ci->spi_out;
	sa->dir = is_in ? DP_SA_IN : DP_SA_OUT;
	sa->flags =
		(uint8_t)((ci->esn ? DP_SA_F_ESN : 0) |
			  (ci->encap ? DP_SA_F_NATT : 0) |
			  (ci->local.family == AF_INET6 ? DP_SA_F_IPV6 : 0));
	sa->enc_key_len = (uint8_t)ci->enc_key_len;
	sa->mtu = ci->mtu; /* in: the MSS clamp of decrypted SYNs */
	sa->integ_key_len = (uint8_t)ci->integ_key_len;
	if (ci->local.family == AF_INET6) {
		memcpy(sa->src6, src->ip, 16);
		memcpy(sa->dst6, dst->ip, 16);
	} else {
		memcpy(&sa->src, src->ip, 4);
		memcpy(&sa->dst, dst->ip, 4);
	}
	sa->sport = ci->encap ? src->port : 0;
	sa->dport = ci->encap ? dst->port : 0;
	memcpy(sa->enc_key, is_in ? ci->enc_key_in : ci->enc_key_out,
	       ci->enc_key_len);
	if (ci->integ_key_len > 0)
		memcpy(sa->integ_key,
		       is_in ? ci->integ_key_in : ci->integ_key_out,
		       ci->integ_key_len);
	return 0;
}

int
vpn_dp_sa_install(void *arg, const struct ike_child_info *ci)
{
	struct vpn_dp *v = arg;
	struct vpn_dp_child *ch;
	struct dp_sa sa;
	int rc;

	if (v->n == VPN_DP_CHILDREN_MAX)
		return -ENOSPC;
	if ((ci->local.family != AF_INET && ci->local.family != AF_INET6) ||
	    ci->remote.family != ci->local.family)
		return -ENOTSUP; /* as vpn_dp_build() would, before the rules */
	rc = vpn_dp_conn(v);
	if (rc != 0)
		return rc;
	ch = &v->ch[v->n];
	memset(ch, 0, sizeof(*ch));
	ch->spi_in = ci->spi_in;
	ch->conn_id = ci->conn_id;
	ch->seq = 0; /* pending: the oldest, so encryption stays put */
	snprintf(ch->conn, sizeof(ch->conn), "%s",
		 ci->conn_name != NULL ? ci->conn_name : "");
	ch->is6 = ci->local.family == AF_INET6;
	memcpy(ch->local, ci->local.ip, ch->is6 ? 16 : 4);
	memcpy(ch->remote, ci->remote.ip,
	       ci->remote.family == AF_INET6 ? 16 : 4);
	ch->n_local = vpn_dp_ts_cidrs(&ci->ts_local, ch->lcidr);
	ch->n_peer = vpn_dp_ts_cidrs(&ci->ts_remote, ch->pcidr);
	ch->id_in = vpn_dp_id_alloc(v);
	ch->id_out = vpn_dp_id_alloc(v);
	if (ch->id_in == 0 || ch->id_out == 0) {
		rc = -ENOSPC;
		goto fail_ids;
	}
	/*
	 * The new child's inbound rules before its SAs: once the inbound SA
	 * exists the peer's packets on it decrypt, and without the rule for
	 * its id they were dropped (no_match) until the rules followed, one
	 * packet in a rekey seen lost. The encrypt rule moves to the new
	 * outbound SA only after both SAs are in (the second notify).
	 */
	v->n++;
	vpn_dp_notify(v);
	rc = vpn_dp_build(ci, true, ch->id_in, &sa);
	if (rc == 0)
		rc = dp_client_sa_add(v->c, &sa);
	explicit_bzero(&sa, sizeof(sa));
	if (rc != 0)
		goto fail_sas;
	rc = vpn_dp_build(ci, false, ch->id_out, &sa);
	if (rc == 0)
		rc = dp_client_sa_add(v->c, &sa);
	explicit_bzero(&sa, sizeof(sa));
	if (rc != 0)
		goto fail_in;
	log_info("vpn",
		 "child SA %s: datapath SAs %u (in, spi 0x%08x) and "
		 "%u (out, spi 0x%08x)",
		 ci->conn_name, ch->id_in, ci->spi_in, ch->id_out, ci->spi_out);
	/* A responder's rekey stays the oldest (seq 0) until the SA it
	 * replaces is removed (vpn_dp_sa_remove() promotes it). */
	ch->seq = ci->defer_out && ci->replaces_spi_in != 0 ? 0 : ++v->seq;
	vpn_dp_notify(v);
	return 0;

fail_in:
	dp_client_sa_del(v->c, ch->id_in);
fail_sas:
	v->n--; /* ch was the last: its rules go */
	vpn_dp_notify(v);
fail_ids:
	log_warn("vpn", "child SA %s: datapath SA add: %s", ci->conn_name,
		 rc == -ENOTSUP ? "suite or address family not supported"
		 : v->c != NULL ? dp_client_error(v->c)
				: strerror(-rc));
	vpn_dp_id_free(v, ch->id_in);
	vpn_dp_id_free(v, ch->id_out);
	if (rc == -EPIPE || rc == -ECONNRESET || rc == -ENOTCONN) {
		dp_client_close(v->c);
		v->c = NULL;
	}
	return rc;
}

void
vpn_dp_sa_remove(void *arg, const struct ike_child_info *ci)
{
	struct vpn_dp *v = arg;
	struct vpn_dp_child tmp;
	unsigned i;

	for (i = 0; i < v->n; i++) {
		if (v->ch[i].spi_in == ci->spi_in)
			break;
	}
	if (i == v->n)
		return;
	/* The rules first: none may name an SA that is gone. */
	tmp = v->ch[i];
	v->ch[i] = v->ch[--v->n];
	vpn_dp_notify(v);
	v->ch[v->n] = v->ch[i];
	v->ch[i] = tmp;
	v->n++;
	if (vpn_dp_conn(v) == 0) {
		dp_client_sa_del(v->c, v->ch[i].id_out);
		dp_client_sa_del(v->c, v->ch[i].id_in);
	}
	vpn_dp_id_free(v, v->ch[i].id_in);
	vpn_dp_id_free(v, v->ch[i].id_out);
	v->ch[i] = v->ch[--v->n];
	/* A deferred child of the same connection now carries the traffic
	 * (it is the only one or the newest once numbered). */
	for (unsigned j = 0; j < v->n; j++) {
		if (v->ch[j].seq == 0 && v->ch[j].conn_id == tmp.conn_id) {
			v->ch[j].seq = ++v->seq;
			vpn_dp_notify(v);
		}
	}
}

uint32_t
vpn_dp_out_id(const struct vpn_dp *v, uint32_t spi_in)
{
	unsigned i;

	for (i = 0; i < v->n; i++) {
		if (v->ch[i].spi_in == spi_in)
			return v->ch[i].id_out;
	}
	return 0;
}

void
vpn_dp_destroy(struct vpn_dp *v)
{
	unsigned i;

	if (v == NULL)
		return;
	for (i = 0; v->c != NULL && i < v->n; i++) {
		dp_client_sa_del(v->c, v->ch[i].id_out);
		dp_client_sa_del(v->c, v->ch[i].id_in);
	}
	dp_client_close(v->c);
	vpn_dp_events_close(v);
	free(v->tun);
	free(v);
}
