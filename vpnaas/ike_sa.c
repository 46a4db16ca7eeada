/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ike_sa.c: the IKEv2 engine of ike.h: connections, the IKE SA table and
 * child SAs (install/remove through the owner's callbacks), message
 * protection and sending with retransmission, the input path (non-ESP
 * marker, decode, SA lookup, message ID window of 1, duplicate requests
 * answered from the response cache, decryption), timers (lifetimes with
 * jitter, DPD, NAT-T keepalives, half-open expiry) and the queue of work
 * started when the window is free. The exchanges themselves are in
 * ike_exch.c; messages are decoded by ike_msg.c, protected by ike_crypto.c;
 * proposals and selectors are matched by ike_conf.c.
 *
 * Deviations from RFC 7296, deliberately:
 * - A rekey request (child or IKE SA) that collides with our own rekey of
 *   the same SA is answered TEMPORARY_FAILURE (section 2.25 allows it for
 *   SAs being closed) instead of the nonce comparison of section 2.8.1;
 *   the peer retries later and the collision resolves without redundant
 *   SAs. Our own refused rekeys retry after a random 2-6 s.
 * - One child SA per connection (plus its rekeyed successors). Several
 *   connections to the same peer with the same gateways, identities and
 *   PSK share one IKE SA: each one's child is made by CREATE_CHILD_SA on
 *   it (ike_exch.c, new_child_request()); a request no connection without
 *   a child fits is refused (NO_ADDITIONAL_SAS, TS_UNACCEPTABLE or
 *   NO_PROPOSAL_CHOSEN), counted and logged.
 * - IKE fragmentation, EAP, certificates and MOBIKE are not offered.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ike_sa_int.h"

static const char *const reason_names[IKE_R__COUNT] = {
	[IKE_R_NONE] = "none",
	[IKE_R_AUTH_FAILED] = "authentication-failed",
	[IKE_R_PEER_AUTH_FAILED] = "peer-refused-authentication",
	[IKE_R_NO_PROPOSAL] = "no-proposal-chosen",
	[IKE_R_TS_UNACCEPTABLE] = "ts-unacceptable",
	[IKE_R_ID_MISMATCH] = "id-mismatch",
	[IKE_R_TIMEOUT] = "timeout",
	[IKE_R_PEER_DEAD] = "peer-dead",
	[IKE_R_PEER_DELETED] = "peer-deleted",
	[IKE_R_LOCAL_DELETE] = "local-delete",
	[IKE_R_EXPIRED] = "expired",
	[IKE_R_REPLACED] = "replaced",
	[IKE_R_INTERNAL] = "internal-error",
};

const char *
ike_reason_name(enum ike_reason r)
{
	return (unsigned)r < IKE_R__COUNT ? reason_names[r] : "unknown";
}

const char *
ike_event_name(enum ike_event_type t)
{
	static const char *const n[] = {
		"ike-up",	 "ike-rekeyed", "ike-down",    "child-up",
		"child-rekeyed", "child-down",	"child-failed"};

	return (unsigned)t < sizeof(n) / sizeof(n[0]) ? n[t] : "unknown";
}

void
ike_sa_drop(struct ike_engine *e, enum ike_msg_err err,
	    const struct ike_addr *from)
{
	char a[64];

	e->st.drops[err]++;
	ike_logf_rl(IKE_LOG_WARN, "ike: drop message from %s: %s",
		    ike_addr_str(from, a, sizeof(a)), ike_msg_err_name(err));
}

void
ike_sa_emit(struct ike_engine *e, enum ike_event_type t, struct sa *sa,
	    enum ike_reason r, const struct child *c)
{
	ike_sa_emit_conn(e, t, sa, c && c->conn ? c->conn : sa->conn, r, c);
}

/* An event of one connection on the SA (a child's, or each one's down). */
void
ike_sa_emit_conn(struct ike_engine *e, enum ike_event_type t, struct sa *sa,
		 struct conn *conn, enum ike_reason r, const struct child *c)
{
	struct ike_event ev = {.type = t, .reason = r};

	if (conn) {
		ev.conn_id = conn->id;
		ev.conn_name = conn->cfg.name;
		ev.action = conn->cfg.dpd_action;
	}
	ev.spi_i = sa->spi_i;
	ev.spi_r = sa->spi_r;
	if (c) {
		ev.child_spi_in = c->spi_in;
		ev.child_spi_out = c->spi_out;
	}
	ike_logf(IKE_LOG_INFO, "ike: %s: %s%s%s (spi %016llx/%016llx%s)",
		 conn ? conn->cfg.name : "?", ike_event_name(t), r ? ": " : "",
		 r ? ike_reason_name(r) : "", (unsigned long long)sa->spi_i,
		 (unsigned long long)sa->spi_r, sa->natt ? ", udp-encap" : "");
	if (e->ops.event)
		e->ops.event(e->ops.arg, &ev);
}

/* Sends a message held at buf + HEADROOM from local to remote. */
void
ike_sa_xmit(struct ike_engine *e, const struct ike_addr *l,
	    const struct ike_addr *r, uint8_t *buf, size_t len)
{
	e->st.tx++;
	if (l->port == e->cfg.natt_port) {
		memset(buf, 0, HEADROOM);
		e->ops.send(e->ops.arg, buf, len + HEADROOM, l, r);
	} else {
		e->ops.send(e->ops.arg, buf + HEADROOM, len, l, r);
	}
}

/* Child SAs. */

static void
child_info(struct sa *sa, const struct child *c, bool keys,
	   struct ike_child_info *ci)
{
	const struct ike_conn_config *cfg = &c->conn->cfg;
	const uint8_t *i2r = c->keymat, *r2i = c->keymat + c->ek + c->ak;

	memset(ci, 0, sizeof(*ci));
	ci->conn_id = c->conn->id;
	ci->conn_name = cfg->name;
	ci->spi_in = c->spi_in;
	ci->spi_out = c->spi_out;
	ci->cipher = c->sel.cipher;
	ci->esn = c->sel.esn;
	ci->pfs_group = c->sel.dh;
	if (keys) {
		const uint8_t *out = c->we_initiated ? i2r : r2i;
		const uint8_t *in = c->we_initiated ? r2i : i2r;

		ci->enc_key_out = out;
		ci->integ_key_out = c->ak ? out + c->ek : NULL;
		ci->enc_key_in = in;
		ci->integ_key_in = c->ak ? in + c->ek : NULL;
		ci->enc_key_len = c->ek;
		ci->integ_key_len = c->ak;
	}
	ci->ts_local = c->ts_l;
	ci->ts_remote = c->ts_r;
	ci->lifetime_hard_s = cfg->child_lifetime_s;
	ci->lifetime_soft_s =
		c->rekey_at > sa->e->now
			? (uint32_t)((c->rekey_at - sa->e->now) / 1000)
			: 0;
	ci->local = sa->local;
	ci->remote = sa->remote;
	ci->encap = sa->natt;
}

/* Soft lifetime: 90% minus up to 5% of jitter, as ms from now. */
uint64_t
ike_sa_soft_ms(uint32_t life_s)
{
	uint64_t life = (uint64_t)life_s * 1000, margin = life / 10;
	uint64_t jitter = margin ? rand32() % (margin / 2 + 1) : 0;

	return life - margin - jitter;
}

int
ike_sa_child_slot(struct sa *sa)
{
	int i;

	for (i = 0; i < MAX_CHILD; i++)
		if (sa->ch[i].state == CH_FREE)
			return i;
	return -1;
}

/*
 * Fills a child's keys from SK_d and the exchange's nonces (and g^ir with
 * PFS) and installs it. ni/nr are those of the creating exchange.
 */
int
ike_sa_child_create(struct sa *sa, struct child *c, const uint8_t *gir,
		    size_t gir_len, const uint8_t *ni, size_t ni_len,
		    const uint8_t *nr, size_t nr_len, uint32_t replaces)
{
	struct ike_engine *e = sa->e;
	const struct ike_conn_config *cfg = &c->conn->cfg;
	struct ike_child_info ci;
	int rc;

	c->ek = ike_cipher_enc_key_len(&c->sel.cipher);
	c->ak = ike_cipher_integ_key_len(&c->sel.cipher);
	rc = ike_child_keymat(sa->keys.prf, sa->keys.sk_d, sa->keys.prf_len,
			      gir, gir_len, ni, ni_len, nr, nr_len, c->keymat,
			      2 * (c->ek + c->ak));
	if (rc)
		return rc;
	c->state = CH_ACTIVE;
	c->want_rekey = c->want_delete = false;
	if (cfg->child_lifetime_s) {
		c->rekey_at = e->now + ike_sa_soft_ms(cfg->child_lifetime_s);
		c->expire_at = e->now + (uint64_t)cfg->child_lifetime_s * 1000;
	} else {
		c->rekey_at = c->expire_at = UINT64_MAX;
	}
	child_info(sa, c, true, &ci);
	ci.replaces_spi_in = replaces;
	ci.defer_out = replaces != 0 && !c->we_initiated;
	rc = e->ops.child_install ? e->ops.child_install(e->ops.arg, &ci) : 0;
	ike_crypto_cleanse(&ci, sizeof(ci));
	if (rc) {
		ike_logf(IKE_LOG_ERR, "ike: %s: install child SA %08x: %s",
			 c->conn->cfg.name, c->spi_in, strerror(-rc));
		return rc;
	}
	c->installed = true;
	return 0;
}

void
ike_sa_child_remove(struct sa *sa, struct child *c, bool event,
		    enum ike_reason r)
{
	struct ike_child_info ci;

	if (c->state == CH_FREE)
		return;
	if (c->installed && sa->e->ops.child_remove) {
		child_info(sa, c, false, &ci);
		sa->e->ops.child_remove(sa->e->ops.arg, &ci);
	}
	if (event) {
		/* Its connection's status shows why. */
		if (r != IKE_R_NONE)
			c->conn->reason = r;
		ike_sa_emit(sa->e, IKE_EV_CHILD_DOWN, sa, r, c);
	}
	ike_crypto_cleanse(c, sizeof(*c));
	c->state = CH_FREE;
}

struct child *
ike_sa_child_by_spi_out(struct sa *sa, uint32_t spi)
{
	int i;

	for (i = 0; i < MAX_CHILD; i++)
		if (sa->ch[i].state != CH_FREE && sa->ch[i].spi_out == spi)
			return &sa->ch[i];
	return NULL;
}

/* IKE SAs. */

static struct sa *
sa_lookup(struct ike_engine *e, uint64_t our_spi, bool we_init)
{
	struct sa *sa;

	for (sa = e->sas; sa; sa = sa->next) {
		if (sa->state == SA_DEAD)
			continue;
		if (sa->orig_init == we_init &&
		    (we_init ? sa->spi_i : sa->spi_r) == our_spi)
			return sa;
	}
	return NULL;
}

/* True when one of our SAs already uses 'spi' as its own SPI. */
static bool
spi_used(struct ike_engine *e, uint64_t spi)
{
	struct sa *sa;

	for (sa = e->sas; sa; sa = sa->next)
		if ((sa->orig_init ? sa->spi_i : sa->spi_r) == spi)
			return true;
	return false;
}

uint64_t
ike_sa_new_spi(struct ike_engine *e)
{
	uint64_t v;

	do {
		v = rand64();
	} while (spi_used(e, v));
	return v;
}

struct sa *
ike_sa_new(struct ike_engine *e, struct conn *c, bool orig_init)
{
	struct sa *sa = calloc(1, sizeof(*sa));

	if (!sa)
		return NULL;
	sa->e = e;
	sa->conn = c;
	sa->orig_init = orig_init;
	sa->last_rx = e->now;
	sa->rekey_at = sa->expire_at = UINT64_MAX;
	sa->next = e->sas;
	e->sas = sa;
	return sa;
}

static void
sa_free(struct sa *sa)
{
	ike_dh_destroy(sa->dh);
	ike_dh_destroy(sa->rq.dh);
	ike_crypto_cleanse(sa, sizeof(*sa));
	free(sa);
}

static void
reap(struct ike_engine *e)
{
	struct sa **pp = &e->sas, *sa;

	while ((sa = *pp)) {
		if (sa->state == SA_DEAD) {
			*pp = sa->next;
			sa_free(sa);
		} else {
			pp = &sa->next;
		}
	}
}

/*
 * Ends an SA: removes its children (events when the SA carried them) and
 * reports the IKE SA down; applies the DPD action for dead peers.
 */
/* Adds c to the set 'on' (of n) unless it is there. */
static void
conn_set_add(struct conn **on, int *n, struct conn *c)
{
	int i;

	for (i = 0; i < *n; i++)
		if (on[i] == c)
			return;
	on[(*n)++] = c;
}

/* True when an SA other than 'sa' could still carry c's child. */
static bool
other_sa_fits(const struct ike_engine *e, const struct sa *sa,
	      const struct conn *c)
{
	const struct sa *o;

	for (o = e->sas; o; o = o->next)
		if (o != sa && o->state != SA_DEAD && o->state != SA_REKEYED &&
		    o->state != SA_INIT_RCVD && ike_sa_conn_fits(o, c))
			return true;
	return false;
}

/*
 * The connections an SA going down takes with it: its own, those with a
 * child on it, and those waiting to ask for one on it.
 */
static int
sa_conns(struct sa *sa, struct conn **on)
{
	struct ike_engine *e = sa->e;
	int i, n = 0;

	if (sa->conn)
		conn_set_add(on, &n, sa->conn);
	for (i = 0; i < MAX_CHILD; i++)
		if (sa->ch[i].state != CH_FREE && sa->ch[i].conn)
			conn_set_add(on, &n, sa->ch[i].conn);
	for (i = 0; i < MAX_CONNS; i++) {
		struct conn *c = e->conns[i];

		if (c && c->want_child && ike_sa_conn_fits(sa, c) &&
		    !other_sa_fits(e, sa, c)) {
			c->want_child = false;
			conn_set_add(on, &n, c);
		}
	}
	return n;
}

void
ike_sa_down(struct sa *sa, enum ike_reason r)
{
	struct ike_engine *e = sa->e;
	struct conn *on[MAX_CHILD + MAX_CONNS + 1];
	int i, n;

	if (sa->state == SA_DEAD)
		return;
	if (sa->state == SA_INIT_RCVD && r == IKE_R_TIMEOUT) {
		/* A half-open SA nobody completed (a scan, a lost peer):
		 * not an event of the connection. */
		sa->state = SA_DEAD;
		return;
	}
	n = sa->state != SA_REKEYED ? sa_conns(sa, on) : 0;
	for (i = 0; i < MAX_CHILD; i++)
		ike_sa_child_remove(sa, &sa->ch[i],
				    sa->ch[i].state == CH_ACTIVE ||
					    sa->ch[i].state == CH_REKEYING,
				    r);
	/* Every connection on the SA goes down with the reason and acts on
	 * its own DPD action. */
	for (i = 0; i < n; i++) {
		struct conn *c = on[i];

		ike_sa_emit_conn(e, IKE_EV_IKE_DOWN, sa, c, r, NULL);
		if (r != IKE_R_NONE)
			c->reason = r;
		if (c->cfg.responder_only)
			continue;
		if ((r == IKE_R_PEER_DEAD || r == IKE_R_TIMEOUT) &&
		    c->cfg.dpd_action == IKE_DPD_RESTART)
			c->restart_at = e->now + 1000;
		else if (c != sa->conn &&
			 (r == IKE_R_REPLACED || r == IKE_R_LOCAL_DELETE))
			/* Its IKE SA went for another connection's sake:
			 * ask again (a compatible SA if any, else its own). */
			c->restart_at = e->now + 1000;
	}
	if (n && r == IKE_R_PEER_DEAD)
		e->st.dpd_dead++;
	sa->state = SA_DEAD;
}

/* Encodes *m for this SA into out + HEADROOM (encrypting unless INIT). */
static int
sa_encode(struct sa *sa, struct ike_msg *m, uint8_t *out, size_t *len)
{
	uint8_t pt[IKE_MSG_MAX];
	const struct ike_cipher *ci = &sa->keys.cipher;
	uint8_t *msg = out + HEADROOM;
	size_t pt_len, total;
	uint8_t first;
	int rc;

	m->spi_i = sa->spi_i;
	m->spi_r = sa->spi_r;
	if (m->exchange == IKE_EXCH_SA_INIT)
		return ike_msg_encode(m, msg, IKE_MSG_MAX, len);
	rc = ike_msg_encode_payloads(m, pt, sizeof(pt), &pt_len, &first);
	if (rc)
		goto out;
	total = IKE_HDR_LEN + IKE_GEN_HDR_LEN +
		ike_cipher_sealed_len(ci, pt_len);
	if (total > IKE_MSG_MAX) {
		rc = -EMSGSIZE;
		goto out;
	}
	m->next_payload = IKE_PL_SK;
	m->length = (uint32_t)total;
	ike_msg_encode_header(m, msg);
	msg[IKE_HDR_LEN] = first;
	msg[IKE_HDR_LEN + 1] = 0;
	put16(msg + IKE_HDR_LEN + 2, (uint16_t)(total - IKE_HDR_LEN));
	rc = ike_sk_seal(ci, sa->orig_init ? sa->keys.sk_ei : sa->keys.sk_er,
			 sa->orig_init ? sa->keys.sk_ai : sa->keys.sk_ar, msg,
			 IKE_HDR_LEN + IKE_GEN_HDR_LEN, pt, pt_len,
			 msg + IKE_HDR_LEN + IKE_GEN_HDR_LEN);
	*len = total;
out:
	ike_crypto_cleanse(pt, sizeof(pt));
	return rc;
}

static uint64_t
retx_delay(struct sa *sa)
{
	uint64_t d = (uint64_t)sa->e->cfg.retransmit_base_ms
		     << (sa->req_tries < 16 ? sa->req_tries : 16);
	const struct ike_conn_config *cfg = &sa->conn->cfg;

	if (sa->state >= SA_ESTABLISHED && cfg->dpd_timeout_s &&
	    sa->req_first + cfg->dpd_timeout_s * 1000ull < sa->e->now + d)
		return sa->req_first + cfg->dpd_timeout_s * 1000ull -
		       sa->e->now;
	return d;
}

int
ike_sa_request(struct sa *sa, enum req_kind kind, struct ike_msg *m)
{
	int rc;

	m->flags = sa->orig_init ? IKE_FLAG_INITIATOR : 0;
	m->msg_id = sa->my_mid;
	rc = sa_encode(sa, m, sa->req_buf, &sa->req_len);
	if (rc) {
		ike_logf(IKE_LOG_ERR, "ike: %s: encode request: %s",
			 sa_name(sa), strerror(-rc));
		return rc;
	}
	sa->req = kind;
	sa->req_tries = 0;
	sa->req_first = sa->e->now;
	sa->req_next = sa->e->now + retx_delay(sa);
	ike_sa_xmit(sa->e, &sa->local, &sa->remote, sa->req_buf, sa->req_len);
	return 0;
}

int
ike_sa_respond(struct sa *sa, const struct ike_msg *req, struct ike_msg *m)
{
	int rc;

	m->exchange = req->exchange;
	m->flags = IKE_FLAG_RESPONSE | (sa->orig_init ? IKE_FLAG_INITIATOR : 0);
	m->msg_id = req->msg_id;
	rc = sa_encode(sa, m, sa->resp_buf, &sa->resp_len);
	if (rc) {
		ike_logf(IKE_LOG_ERR, "ike: %s: encode response: %s",
			 sa_name(sa), strerror(-rc));
		return rc;
	}
	sa->has_resp = true;
	sa->resp_mid = req->msg_id;
	sa->peer_mid = req->msg_id + 1;
	ike_sa_xmit(sa->e, &sa->local, &sa->remote, sa->resp_buf, sa->resp_len);
	return 0;
}

/* Responds with one notify (an error) inside the SA. */
void
ike_sa_respond_notify(struct sa *sa, const struct ike_msg *req, uint16_t type,
		      const uint8_t *data, uint16_t len)
{
	struct ike_msg m;

	memset(&m, 0, sizeof(m));
	ike_msg_add_notify(&m, 0, type, data, len);
	ike_sa_respond(sa, req, &m);
}

/* Unencrypted IKE_SA_INIT error response without state. */
void
ike_sa_send_plain_notify(struct ike_engine *e, const struct ike_msg *req,
			 const struct ike_addr *l, const struct ike_addr *r,
			 uint16_t type, const uint8_t *data, uint16_t len)
{
	uint8_t buf[HEADROOM + 256];
	struct ike_msg m;
	size_t n;

	memset(&m, 0, sizeof(m));
	m.spi_i = req->spi_i;
	m.exchange = IKE_EXCH_SA_INIT;
	m.flags = IKE_FLAG_RESPONSE;
	ike_msg_add_notify(&m, 0, type, data, len);
	if (ike_msg_encode(&m, buf + HEADROOM, sizeof(buf) - HEADROOM, &n))
		return;
	ike_sa_xmit(e, l, r, buf, n);
}

static enum ike_msg_err
sa_decrypt(struct sa *sa, const uint8_t *buf, struct ike_msg *m, uint8_t *pt)
{
	bool from_init = m->flags & IKE_FLAG_INITIATOR;
	size_t hdr_len, pt_len;

	if (!(m->present & IKE_HAS(IKE_PL_SK)))
		return IKE_ERR_MISSING_PAYLOAD;
	hdr_len = IKE_HDR_LEN + m->sk_off + IKE_GEN_HDR_LEN;
	if (ike_sk_open(&sa->keys.cipher,
			from_init ? sa->keys.sk_ei : sa->keys.sk_er,
			from_init ? sa->keys.sk_ai : sa->keys.sk_ar, buf,
			hdr_len, buf + hdr_len, m->sk_len - IKE_GEN_HDR_LEN, pt,
			&pt_len))
		return IKE_ERR_DECRYPT;
	return ike_msg_decode_payloads(m->sk_next, pt, pt_len, m);
}

static void sa_kick(struct sa *sa);

void
ike_engine_input(struct ike_engine *e, const uint8_t *data, size_t len,
		 const struct ike_addr *local, const struct ike_addr *remote,
		 uint64_t now_ms)
{
	uint8_t pt[IKE_MSG_MAX];
	enum ike_msg_err err;
	struct ike_msg m;
	struct sa *sa, *o;
	bool is_resp;

	e->now = now_ms;
	e->st.rx++;
	if (local->port == e->cfg.natt_port) {
		if (len == 1 && data[0] == 0xff) {
			e->st.keepalives++;
			return;
		}
		if (len < 4 || data[0] || data[1] || data[2] || data[3]) {
			ike_sa_drop(e, IKE_ERR_NOT_IKE, remote);
			return;
		}
		data += 4;
		len -= 4;
	}
	err = ike_msg_decode(data, len, &m);
	if (err) {
		ike_sa_drop(e, err, remote);
		return;
	}
	is_resp = m.flags & IKE_FLAG_RESPONSE;
	if (m.exchange == IKE_EXCH_SA_INIT && !is_resp) {
		ike_exch_init_request(e, &m, data, len, local, remote);
		goto out;
	}
	/* Our SPI is the responder's when the sender is the initiator. */
	sa = sa_lookup(e, (m.flags & IKE_FLAG_INITIATOR) ? m.spi_r : m.spi_i,
		       !(m.flags & IKE_FLAG_INITIATOR));
	if (!sa || (sa->state != SA_INIT_SENT &&
		    (sa->spi_i != m.spi_i || sa->spi_r != m.spi_r))) {
		ike_sa_drop(e, IKE_ERR_NO_SA, remote);
		goto out;
	}
	if (is_resp) {
		if (sa->req == REQ_NONE || m.msg_id != sa->my_mid) {
			ike_sa_drop(e, IKE_ERR_BAD_MSG_ID, remote);
			goto out;
		}
		if (m.exchange == IKE_EXCH_SA_INIT) {
			if (sa->req != REQ_INIT) {
				ike_sa_drop(e, IKE_ERR_UNKNOWN_EXCHANGE,
					    remote);
				goto out;
			}
		} else if ((err = sa_decrypt(sa, data, &m, pt))) {
			ike_sa_drop(e, err, remote);
			goto out;
		}
		sa->last_rx = now_ms;
		ike_exch_response(sa, &m, data, len);
	} else {
		if (sa->has_resp && m.msg_id == sa->resp_mid &&
		    m.msg_id + 1 == sa->peer_mid) {
			/* A retransmitted request: resend our answer. */
			e->st.dup_requests++;
			ike_sa_xmit(e, &sa->local, &sa->remote, sa->resp_buf,
				    sa->resp_len);
			goto out;
		}
		if (m.msg_id != sa->peer_mid ||
		    m.exchange == IKE_EXCH_SA_INIT) {
			ike_sa_drop(e, IKE_ERR_BAD_MSG_ID, remote);
			goto out;
		}
		if ((err = sa_decrypt(sa, data, &m, pt))) {
			ike_sa_drop(e, err, remote);
			goto out;
		}
		sa->last_rx = now_ms;
		/* Follow the peer's address and port (NAT, section 2.23). */
		if (local->port == e->cfg.natt_port || sa->natt) {
			sa->natt = local->port == e->cfg.natt_port;
			sa->local = *local;
			sa->remote = *remote;
		}
		ike_exch_request(sa, &m);
	}
	if (sa->state != SA_DEAD)
		sa_kick(sa);
	/* An exchange can leave work queued on another SA: an IKE rekey
	 * moves the children, with their pending rekeys, to the new SA,
	 * which no timer may wake before a child's hard expiry. */
	for (o = e->sas; o; o = o->next)
		if (o != sa && o->state == SA_ESTABLISHED)
			sa_kick(o);
out:
	ike_crypto_cleanse(pt, sizeof(pt));
	reap(e);
}

/* Starts queued work when no request is outstanding (window of 1). */
static void
sa_kick(struct sa *sa)
{
	int i;

	if (sa->req != REQ_NONE)
		return;
	if (sa->state == SA_REKEYED && sa->want_del_ike) {
		ike_exch_delete_ike(sa);
		return;
	}
	if (sa->state != SA_ESTABLISHED)
		return;
	if (sa->want_del_ike) {
		ike_exch_delete_ike(sa);
		return;
	}
	for (i = 0; i < MAX_CHILD; i++)
		if ((sa->ch[i].state != CH_FREE && sa->ch[i].want_delete) ||
		    sa->n_del_pending) {
			ike_exch_delete_children(sa);
			return;
		}
	if (sa->want_rekey_ike) {
		if (ike_exch_rekey_ike(sa))
			ike_exch_retry_later(&sa->rekey_at, sa->e->now);
		return;
	}
	for (i = 0; i < MAX_CONNS; i++) {
		struct conn *c = sa->e->conns[i];

		if (!c || !c->want_child || !ike_sa_conn_fits(sa, c))
			continue;
		c->want_child = false;
		if (ike_sa_conn_has_child(sa->e, c))
			continue; /* the peer made it meanwhile */
		if (ike_exch_new_child(sa, c) == 0)
			return;
		ike_logf(IKE_LOG_WARN,
			 "ike: %s: cannot ask for a child on the IKE SA "
			 "of %s: own IKE SA",
			 c->cfg.name, sa_name(sa));
		sa->req = REQ_NONE;
		ike_exch_start(sa->e, c);
	}
	for (i = 0; i < MAX_CHILD; i++)
		if (sa->ch[i].state == CH_ACTIVE && sa->ch[i].want_rekey) {
			if (ike_exch_rekey_child(sa, i)) {
				sa->ch[i].state = CH_ACTIVE;
				ike_exch_retry_later(&sa->ch[i].rekey_at,
						     sa->e->now);
			}
			return;
		}
	if (sa->want_dpd) {
		struct ike_msg m;

		sa->want_dpd = false;
		memset(&m, 0, sizeof(m));
		m.exchange = IKE_EXCH_INFORMATIONAL;
		ike_sa_request(sa, REQ_DPD, &m);
	}
}

/* Timers. */

static void
sa_tick(struct sa *sa)
{
	struct ike_engine *e = sa->e;
	const struct ike_conn_config *cfg = &sa->conn->cfg;
	uint64_t now = e->now;
	int i;

	if (sa->req != REQ_NONE && now >= sa->req_next) {
		bool dpd_over =
			sa->state >= SA_ESTABLISHED && cfg->dpd_timeout_s &&
			now >= sa->req_first + cfg->dpd_timeout_s * 1000ull;

		if (sa->req_tries >= e->cfg.retransmit_tries || dpd_over) {
			ike_logf(IKE_LOG_WARN,
				 "ike: %s: no answer from the "
				 "peer after %u retransmissions",
				 sa_name(sa), sa->req_tries);
			ike_sa_down(sa, sa->state < SA_ESTABLISHED
						? IKE_R_TIMEOUT
						: IKE_R_PEER_DEAD);
			return;
		}
		sa->req_tries++;
		e->st.retransmits++;
		sa->req_next = now + retx_delay(sa);
		ike_sa_xmit(e, &sa->local, &sa->remote, sa->req_buf,
			    sa->req_len);
	}
	if ((sa->state == SA_INIT_RCVD || sa->state == SA_REKEYED) &&
	    now >= sa->deadline) {
		ike_sa_down(sa, sa->state == SA_INIT_RCVD ? IKE_R_TIMEOUT
							  : IKE_R_NONE);
		return;
	}
	if (sa->state != SA_ESTABLISHED)
		return;
	if (now >= sa->expire_at) {
		sa->down_reason = IKE_R_EXPIRED;
		sa->want_del_ike = true;
		sa->expire_at = UINT64_MAX;
	}
	if (now >= sa->rekey_at) {
		sa->want_rekey_ike = true;
		sa->rekey_at = UINT64_MAX;
	}
	for (i = 0; i < MAX_CHILD; i++) {
		struct child *c = &sa->ch[i];

		if (c->state == CH_FREE)
			continue;
		if (now >= c->expire_at) {
			c->want_delete = true;
			c->expire_at = UINT64_MAX;
			if (c->state == CH_REKEYED) {
				ike_sa_child_remove(sa, c, false, IKE_R_NONE);
				continue;
			}
		}
		if (c->state == CH_ACTIVE && now >= c->rekey_at) {
			c->want_rekey = true;
			c->rekey_at = UINT64_MAX;
		}
	}
	if (cfg->dpd_interval_s && sa->req == REQ_NONE &&
	    now >= sa->last_rx + cfg->dpd_interval_s * 1000ull)
		sa->want_dpd = true;
	if (sa->natt && (sa->nat_local || cfg->force_encap) &&
	    now >= sa->keepalive_at) {
		uint8_t ka[HEADROOM + 1] = {0, 0, 0, 0, 0xff};

		/* RFC 3948 section 2.3: one 0xFF byte, no marker. */
		e->st.tx++;
		e->ops.send(e->ops.arg, ka + HEADROOM, 1, &sa->local,
			    &sa->remote);
		sa->keepalive_at = now + e->cfg.keepalive_s * 1000ull;
	}
	sa_kick(sa);
}

void
ike_engine_tick(struct ike_engine *e, uint64_t now_ms)
{
	struct sa *sa;
	int i;

	e->now = now_ms;
	for (sa = e->sas; sa; sa = sa->next)
		if (sa->state != SA_DEAD)
			sa_tick(sa);
	for (i = 0; i < MAX_CONNS; i++) {
		struct conn *c = e->conns[i];

		if (c && c->want_child && !other_sa_fits(e, NULL, c)) {
			/* The SA it waited for is gone: its own IKE SA. */
			c->want_child = false;
			ike_exch_start(e, c);
		}
		if (c && c->restart_at && now_ms >= c->restart_at) {
			c->restart_at = 0;
			ike_logf(IKE_LOG_INFO, "ike: %s: restarting",
				 c->cfg.name);
			ike_engine_initiate(e, c->id, now_ms);
		}
	}
	reap(e);
}

static void
min_at(uint64_t *t, uint64_t v)
{
	if (v < *t)
		*t = v;
}

uint64_t
ike_engine_next_timer(const struct ike_engine *e)
{
	uint64_t t = UINT64_MAX;
	const struct sa *sa;
	int i;

	for (sa = e->sas; sa; sa = sa->next) {
		const struct ike_conn_config *cfg = &sa->conn->cfg;

		if (sa->req != REQ_NONE)
			min_at(&t, sa->req_next);
		if (sa->state == SA_INIT_RCVD || sa->state == SA_REKEYED)
			min_at(&t, sa->deadline);
		if (sa->state != SA_ESTABLISHED)
			continue;
		min_at(&t, sa->rekey_at);
		min_at(&t, sa->expire_at);
		for (i = 0; i < MAX_CHILD; i++) {
			if (sa->ch[i].state == CH_FREE)
				continue;
			min_at(&t, sa->ch[i].expire_at);
			if (sa->ch[i].state == CH_ACTIVE)
				min_at(&t, sa->ch[i].rekey_at);
		}
		if (cfg->dpd_interval_s && sa->req == REQ_NONE)
			min_at(&t, sa->last_rx + cfg->dpd_interval_s * 1000ull);
		if (sa->natt && (sa->nat_local || cfg->force_encap))
			min_at(&t, sa->keepalive_at);
	}
	for (i = 0; i < MAX_CONNS; i++)
		if (e->conns[i] && e->conns[i]->restart_at)
			min_at(&t, e->conns[i]->restart_at);
	return t;
}

/* Engine and connections. */

int
ike_engine_create(const struct ike_engine_config *cfg,
		  const struct ike_ops *ops, struct ike_engine **out)
{
	struct ike_engine *e;

	if (!ops || !ops->send)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	if (cfg)
		e->cfg = *cfg;
	if (!e->cfg.natt_port)
		e->cfg.natt_port = 4500;
	if (!e->cfg.cookie_threshold)
		e->cfg.cookie_threshold = 32;
	if (!e->cfg.retransmit_base_ms)
		e->cfg.retransmit_base_ms = 2000;
	if (!e->cfg.retransmit_tries)
		e->cfg.retransmit_tries = 5;
	if (!e->cfg.half_open_timeout_ms)
		e->cfg.half_open_timeout_ms = 30000;
	if (!e->cfg.keepalive_s)
		e->cfg.keepalive_s = 20;
	e->ops = *ops;
	e->next_id = 1;
	if (ike_random(e->cookie_secret, sizeof(e->cookie_secret))) {
		free(e);
		return -EIO;
	}
	*out = e;
	return 0;
}

static void
conn_free(struct conn *c)
{
	ike_crypto_cleanse(c, sizeof(*c));
	free(c);
}

void
ike_engine_destroy(struct ike_engine *e)
{
	struct sa *sa;
	int i;

	if (!e)
		return;
	while ((sa = e->sas)) {
		e->sas = sa->next;
		sa_free(sa);
	}
	for (i = 0; i < MAX_CONNS; i++)
		if (e->conns[i])
			conn_free(e->conns[i]);
	ike_crypto_cleanse(e, sizeof(*e));
	free(e);
}

struct conn *
ike_sa_conn_get(const struct ike_engine *e, uint32_t id)
{
	int i;

	for (i = 0; i < MAX_CONNS; i++)
		if (e->conns[i] && e->conns[i]->id == id)
			return e->conns[i];
	return NULL;
}

static int
conn_validate(const struct ike_conn_config *cfg)
{
	uint8_t i;

	if (cfg->n_ike == 0 || cfg->n_ike > IKE_MAX_PROPS_CFG ||
	    cfg->n_esp == 0 || cfg->n_esp > IKE_MAX_PROPS_CFG ||
	    cfg->psk_len == 0 || cfg->psk_len > IKE_PSK_MAX ||
	    cfg->n_local_ts == 0 || cfg->n_local_ts > IKE_MAX_CIDRS ||
	    cfg->n_peer_ts == 0 || cfg->n_peer_ts > IKE_MAX_CIDRS ||
	    cfg->local_id.type == 0)
		return -EINVAL;
	if (cfg->local.family != AF_INET && cfg->local.family != AF_INET6)
		return -EINVAL;
	for (i = 0; i < cfg->n_ike; i++)
		if (cfg->ike[i].n_dh == 0 || cfg->ike[i].n_prf == 0 ||
		    !ike_dh_supported(cfg->ike[i].dh[0]))
			return -EINVAL;
	if (cfg->dpd_interval_s && cfg->dpd_timeout_s &&
	    cfg->dpd_timeout_s <= cfg->dpd_interval_s)
		return -EINVAL;
	return 0;
}

int
ike_engine_conn_add(struct ike_engine *e, const struct ike_conn_config *cfg,
		    uint32_t *id)
{
	struct conn *c;
	int i;

	if (conn_validate(cfg))
		return -EINVAL;
	for (i = 0; i < MAX_CONNS && e->conns[i]; i++)
		;
	if (i == MAX_CONNS)
		return -ENOSPC;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	c->cfg.name[sizeof(c->cfg.name) - 1] = 0;
	if (!c->cfg.peer.port)
		c->cfg.peer.port = 500;
	if (!c->cfg.local.port)
		c->cfg.local.port = 500;
	c->id = e->next_id++;
	ike_conf_cidrs_ts(cfg->local_ts, cfg->n_local_ts, &c->ts_l);
	ike_conf_cidrs_ts(cfg->peer_ts, cfg->n_peer_ts, &c->ts_r);
	e->conns[i] = c;
	*id = c->id;
	return 0;
}

static bool
proposal_takes(const struct ike_conn_config *cfg, const struct ike_sel *sel)
{
	uint8_t i, j;
	bool e, in, p, d;

	for (i = 0; i < cfg->n_ike; i++) {
		const struct ike_proposal_cfg *pc = &cfg->ike[i];

		e = in = p = d = false;
		for (j = 0; j < pc->n_encr; j++)
			e |= pc->encr[j].encr == sel->cipher.encr &&
			     pc->encr[j].key_bits == sel->cipher.key_bits;
		in = sel->cipher.integ == IKE_INTEG_NONE;
		for (j = 0; j < pc->n_integ; j++)
			in |= pc->integ[j] == sel->cipher.integ;
		for (j = 0; j < pc->n_prf; j++)
			p |= pc->prf[j] == sel->prf;
		for (j = 0; j < pc->n_dh; j++)
			d |= pc->dh[j] == sel->dh;
		if (e && in && p && d)
			return true;
	}
	return false;
}

/*
 * True when connection c may have its child on sa: the same gateways,
 * identities and PSK as the SA's own connection, and (once the SA is
 * negotiated) an IKE proposal that takes the SA's algorithms.
 */
bool
ike_sa_conn_fits(const struct sa *sa, const struct conn *c)
{
	const struct ike_conn_config *a = &c->cfg, *b;

	if (!sa->conn)
		return false;
	if (sa->conn == c)
		return true;
	b = &sa->conn->cfg;
	if (!addr_eq(&a->local, &b->local) || a->peer_any != b->peer_any ||
	    (!a->peer_any && !addr_eq(&a->peer, &b->peer)) ||
	    a->local.port != b->local.port || a->peer.port != b->peer.port ||
	    a->force_encap != b->force_encap)
		return false;
	if (a->local_id.type != b->local_id.type ||
	    a->local_id.len != b->local_id.len ||
	    memcmp(a->local_id.data, b->local_id.data, a->local_id.len) ||
	    a->peer_id.type != b->peer_id.type ||
	    a->peer_id.len != b->peer_id.len ||
	    memcmp(a->peer_id.data, b->peer_id.data, a->peer_id.len))
		return false;
	if (a->psk_len != b->psk_len ||
	    !ike_crypto_equal(a->psk, b->psk, a->psk_len))
		return false;
	if (sa->state >= SA_AUTH_SENT && sa->state != SA_INIT_RCVD &&
	    !proposal_takes(a, &sa->sel))
		return false;
	return true;
}

/* True when c has a child SA (not a replaced one) on any IKE SA. */
bool
ike_sa_conn_has_child(const struct ike_engine *e, const struct conn *c)
{
	const struct sa *sa;
	int i;

	for (sa = e->sas; sa; sa = sa->next) {
		if (sa->state == SA_DEAD)
			continue;
		for (i = 0; i < MAX_CHILD; i++)
			if (sa->ch[i].conn == c &&
			    (sa->ch[i].state == CH_ACTIVE ||
			     sa->ch[i].state == CH_REKEYING))
				return true;
	}
	return false;
}

/* Queues a Delete for a child no longer kept here. */
void
ike_sa_del_pending(struct sa *sa, uint32_t spi_in)
{
	if (sa->n_del_pending < MAX_CHILD)
		sa->del_pending[sa->n_del_pending++] = spi_in;
}

static bool
sa_has_conn(const struct sa *sa, const struct conn *c)
{
	int i;

	if (sa->conn == c)
		return true;
	for (i = 0; i < MAX_CHILD; i++)
		if (sa->ch[i].state != CH_FREE && sa->ch[i].conn == c)
			return true;
	return false;
}

/* A connection with a child on sa other than c, or NULL. */
static struct conn *
sa_other_conn(const struct sa *sa, const struct conn *c)
{
	int i;

	for (i = 0; i < MAX_CHILD; i++)
		if (sa->ch[i].state != CH_FREE && sa->ch[i].conn != c)
			return sa->ch[i].conn;
	return NULL;
}

/*
 * Takes c's children off sa here at once and queues their Delete (c is
 * being deleted, or leaves an SA other connections still use).
 */
static void
sa_drop_conn(struct sa *sa, struct conn *c, enum ike_reason r)
{
	int i;

	for (i = 0; i < MAX_CHILD; i++) {
		struct child *ch = &sa->ch[i];

		if (ch->state == CH_FREE || ch->conn != c)
			continue;
		if (sa->req == REQ_REKEY_CHILD && sa->rq.child == i)
			sa->rq.child = -1;
		ike_sa_del_pending(sa, ch->spi_in);
		ike_sa_child_remove(sa, ch, ch->state != CH_REKEYED, r);
	}
	if (sa->conn == c)
		sa->conn = sa_other_conn(sa, c);
	c->reason = r;
}

/* True when a CREATE_CHILD_SA of ours for c's child is outstanding. */
static bool
conn_asking(const struct ike_engine *e, const struct conn *c)
{
	const struct sa *sa;

	for (sa = e->sas; sa; sa = sa->next)
		if (sa->state != SA_DEAD && sa->req == REQ_NEW_CHILD &&
		    sa->rq.conn_id == c->id)
			return true;
	return false;
}

static struct sa *
conn_sa(struct ike_engine *e, const struct conn *c)
{
	struct sa *sa, *best = NULL;

	for (sa = e->sas; sa; sa = sa->next) {
		if (!sa_has_conn(sa, c) || sa->state == SA_DEAD ||
		    sa->state == SA_REKEYED)
			continue;
		if (!best || sa->state == SA_ESTABLISHED)
			best = sa;
	}
	return best;
}

int
ike_engine_conn_del(struct ike_engine *e, uint32_t id, uint64_t now_ms)
{
	struct conn *c = ike_sa_conn_get(e, id);
	struct sa *sa;
	int i;

	if (!c)
		return -ENOENT;
	e->now = now_ms;
	c->want_child = false;
	for (sa = e->sas; sa; sa = sa->next) {
		if (!sa_has_conn(sa, c) || sa->state == SA_DEAD)
			continue;
		if (sa->state == SA_ESTABLISHED && sa_other_conn(sa, c)) {
			/* Other connections use the SA: only c's children
			 * go (Delete of their ESP SAs); the SA stays. */
			sa_drop_conn(sa, c, IKE_R_LOCAL_DELETE);
			sa_kick(sa);
			continue;
		}
		if (sa->conn != c) {
			/* A rekeyed SA it had children on: they went along
			 * with the new one. */
			continue;
		}
		if (sa->state == SA_ESTABLISHED || sa->state == SA_REKEYED) {
			/* One Delete, not waited for: the config is gone. */
			if (sa->req == REQ_NONE)
				ike_exch_delete_ike(sa);
		}
		ike_sa_down(sa, IKE_R_LOCAL_DELETE);
	}
	reap(e);
	for (i = 0; i < MAX_CONNS; i++)
		if (e->conns[i] == c)
			e->conns[i] = NULL;
	conn_free(c);
	return 0;
}

int
ike_engine_initiate(struct ike_engine *e, uint32_t id, uint64_t now_ms)
{
	struct conn *c = ike_sa_conn_get(e, id);
	struct sa *sa;

	if (!c)
		return -ENOENT;
	if (c->cfg.responder_only)
		return -EPERM;
	e->now = now_ms;
	sa = conn_sa(e, c);
	if (sa && sa->state == SA_ESTABLISHED && !c->want_child &&
	    !ike_sa_conn_has_child(e, c) && !conn_asking(e, c)) {
		/* Its IKE SA stays (for others) but its child is gone (the
		 * peer deleted it): ask for a new one on it. */
		c->want_child = true;
		c->restart_at = 0;
		sa_kick(sa);
		reap(e);
		return 0;
	}
	if (sa || c->want_child || conn_asking(e, c))
		return -EALREADY;
	c->restart_at = 0;
	for (sa = e->sas; sa; sa = sa->next) {
		if (sa->state == SA_DEAD || sa->state == SA_REKEYED ||
		    sa->state == SA_INIT_RCVD || !ike_sa_conn_fits(sa, c))
			continue;
		/* A compatible IKE SA: ask for the child on it. */
		ike_logf(IKE_LOG_INFO,
			 "ike: %s: asking for its child SA on the IKE SA "
			 "of %s (spi %016llx)",
			 c->cfg.name, sa_name(sa),
			 (unsigned long long)sa->spi_i);
		c->want_child = true;
		c->reason = IKE_R_NONE;
		sa_kick(sa);
		reap(e);
		return 0;
	}
	ike_exch_start(e, c);
	reap(e);
	return 0;
}

int
ike_engine_rekey_child(struct ike_engine *e, uint32_t id, uint64_t now_ms)
{
	struct conn *c = ike_sa_conn_get(e, id);
	struct sa *sa;
	int i, n = 0;

	if (!c)
		return -ENOENT;
	e->now = now_ms;
	sa = conn_sa(e, c);
	if (!sa || sa->state != SA_ESTABLISHED)
		return -ENOTCONN;
	for (i = 0; i < MAX_CHILD; i++)
		if (sa->ch[i].state == CH_ACTIVE && sa->ch[i].conn == c) {
			sa->ch[i].want_rekey = true;
			n++;
		}
	sa_kick(sa);
	return n ? 0 : -ENOENT;
}

int
ike_engine_rekey_ike(struct ike_engine *e, uint32_t id, uint64_t now_ms)
{
	struct conn *c = ike_sa_conn_get(e, id);
	struct sa *sa;

	if (!c)
		return -ENOENT;
	e->now = now_ms;
	sa = conn_sa(e, c);
	if (!sa || sa->state != SA_ESTABLISHED)
		return -ENOTCONN;
	sa->want_rekey_ike = true;
	sa_kick(sa);
	return 0;
}

int
ike_engine_terminate(struct ike_engine *e, uint32_t id, uint64_t now_ms)
{
	struct conn *c = ike_sa_conn_get(e, id);
	struct sa *sa;

	if (!c)
		return -ENOENT;
	e->now = now_ms;
	c->restart_at = 0;
	c->want_child = false;
	sa = conn_sa(e, c);
	if (!sa)
		return -ENOTCONN;
	if (sa->state == SA_ESTABLISHED && sa_other_conn(sa, c)) {
		/* Only its children: the IKE SA stays for the others. */
		sa_drop_conn(sa, c, IKE_R_LOCAL_DELETE);
		sa_kick(sa);
		reap(e);
		return 0;
	}
	if (sa->state != SA_ESTABLISHED) {
		ike_sa_down(sa, IKE_R_LOCAL_DELETE);
		reap(e);
		return 0;
	}
	sa->down_reason = IKE_R_LOCAL_DELETE;
	sa->want_del_ike = true;
	sa_kick(sa);
	return 0;
}

void
ike_engine_stats(const struct ike_engine *e, struct ike_stats *st)
{
	*st = e->st;
}

int
ike_engine_conn_status(const struct ike_engine *e, uint32_t id,
		       struct ike_conn_status *st)
{
	const struct conn *c = ike_sa_conn_get(e, id);
	const struct sa *sa;
	int i;

	if (!c)
		return -ENOENT;
	memset(st, 0, sizeof(*st));
	st->reason = c->reason;
	sa = conn_sa((struct ike_engine *)e, c);
	if (!sa) {
		st->state = c->want_child ? IKE_CONN_CONNECTING : IKE_CONN_DOWN;
		return 0;
	}
	st->spi_i = sa->spi_i;
	st->spi_r = sa->spi_r;
	st->natt = sa->natt;
	for (i = 0; i < MAX_CHILD; i++) {
		const struct child *ch = &sa->ch[i];

		if ((ch->state != CH_ACTIVE && ch->state != CH_REKEYING) ||
		    ch->conn != c || st->n_children == 4)
			continue;
		st->child_spi_in[st->n_children] = ch->spi_in;
		st->child_spi_out[st->n_children] = ch->spi_out;
		st->n_children++;
	}
	if (sa->state == SA_ESTABLISHED)
		/* Without its child (deleted, or refused) a connection is
		 * down even while its IKE SA stays for others. */
		st->state = st->n_children ? IKE_CONN_UP
			    : c->want_child || (sa->req == REQ_NEW_CHILD &&
						sa->rq.conn_id == c->id)
				    ? IKE_CONN_CONNECTING
				    : IKE_CONN_DOWN;
	else
		st->state = IKE_CONN_CONNECTING;
	return 0;
}
