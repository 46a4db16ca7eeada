/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ike_exch.c: the IKEv2 exchanges of RFC 7296 as initiator and responder:
 * IKE_SA_INIT (proposal choice, INVALID_KE_PAYLOAD retry, COOKIE, NAT
 * detection), IKE_AUTH (PSK, identities, the first child SA with narrowed
 * traffic selectors), CREATE_CHILD_SA (child SA rekey with optional PFS,
 * IKE SA rekey, additional child SAs of other connections to the same
 * peer) and INFORMATIONAL (Delete, liveness). Called by ike_sa.c,
 * which owns the SA table, message protection and timers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ike_sa_int.h"

static void
id_body(const struct ike_id *id, uint8_t *out, size_t *len)
{
	out[0] = id->type;
	out[1] = out[2] = out[3] = 0;
	memcpy(out + 4, id->data, id->len);
	*len = 4u + id->len;
}

static bool
id_eq(const struct ike_id *a, const struct ike_id *b)
{
	return a->type == b->type && a->len == b->len &&
	       !memcmp(a->data, b->data, a->len);
}

/* AUTH value of one side: 'as_init' selects SK_pi and the first message. */
static int
psk_auth(struct sa *sa, const struct ike_conn_config *cfg, bool as_init,
	 const struct ike_id *id, uint8_t *out)
{
	uint8_t body[4 + 255];
	size_t blen;

	id_body(id, body, &blen);
	if (as_init)
		return ike_psk_auth(sa->keys.prf, cfg->psk, cfg->psk_len,
				    sa->keys.sk_pi, sa->keys.prf_len,
				    sa->init_i, sa->init_i_len, sa->nr,
				    sa->nr_len, body, blen, out);
	return ike_psk_auth(sa->keys.prf, cfg->psk, cfg->psk_len,
			    sa->keys.sk_pr, sa->keys.prf_len, sa->init_r,
			    sa->init_r_len, sa->ni, sa->ni_len, body, blen,
			    out);
}

static void
natd_add(struct ike_msg *m, uint8_t *src, uint8_t *dst, struct sa *sa,
	 uint64_t spi_r)
{
	ike_natd_hash(sa->spi_i, spi_r, sa->local.ip, addr_len(&sa->local),
		      sa->local.port, src);
	ike_natd_hash(sa->spi_i, spi_r, sa->remote.ip, addr_len(&sa->remote),
		      sa->remote.port, dst);
	if (sa->conn->cfg.force_encap)
		ike_random(src, 20);
	ike_msg_add_notify(m, 0, IKE_N_NAT_DETECTION_SOURCE_IP, src, 20);
	ike_msg_add_notify(m, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, dst, 20);
}

/* Compares the peer's NAT-D hashes (section 2.23). */
static void
natd_check(struct sa *sa, const struct ike_msg *m, uint64_t spi_r)
{
	const struct ike_notify *s, *d;
	uint8_t h[20];

	s = ike_msg_find_notify(m, IKE_N_NAT_DETECTION_SOURCE_IP);
	d = ike_msg_find_notify(m, IKE_N_NAT_DETECTION_DESTINATION_IP);
	if (!s || !d)
		return;
	ike_natd_hash(sa->spi_i, spi_r, sa->remote.ip, addr_len(&sa->remote),
		      sa->remote.port, h);
	sa->nat_remote = s->data_len != 20 || !ike_crypto_equal(h, s->data, 20);
	ike_natd_hash(sa->spi_i, spi_r, sa->local.ip, addr_len(&sa->local),
		      sa->local.port, h);
	sa->nat_local = d->data_len != 20 || !ike_crypto_equal(h, d->data, 20);
	if (sa->conn->cfg.force_encap)
		sa->nat_local = true;
}

static void
sa_set_lifetimes(struct sa *sa)
{
	uint32_t life = sa->conn->cfg.ike_lifetime_s;

	if (life) {
		sa->rekey_at = sa->e->now + ike_sa_soft_ms(life);
		sa->expire_at = sa->e->now + (uint64_t)life * 1000;
	}
	sa->last_rx = sa->e->now;
	sa->keepalive_at = sa->e->now + sa->e->cfg.keepalive_s * 1000ull;
}

/* IKE_SA_INIT, initiator. */

static int
send_init(struct sa *sa)
{
	const struct ike_conn_config *cfg = &sa->conn->cfg;
	uint8_t pub[IKE_DH_PUB_MAX], src[20], dst[20];
	struct ike_msg m;
	size_t pub_len;
	int rc;

	ike_dh_destroy(sa->dh);
	sa->dh = NULL;
	rc = ike_dh_create(sa->dh_group, &sa->dh);
	if (rc)
		return rc;
	rc = ike_dh_public(sa->dh, pub, sizeof(pub), &pub_len);
	if (rc)
		return rc;
	memset(&m, 0, sizeof(m));
	m.exchange = IKE_EXCH_SA_INIT;
	if (sa->cookie_len)
		ike_msg_add_notify(&m, 0, IKE_N_COOKIE, sa->cookie,
				   (uint16_t)sa->cookie_len);
	ike_conf_offer(cfg->ike, cfg->n_ike, IKE_PROTO_IKE, NULL, 0, true,
		       &m.sa);
	m.present |=
		IKE_HAS(IKE_PL_SA) | IKE_HAS(IKE_PL_KE) | IKE_HAS(IKE_PL_NONCE);
	m.ke_group = sa->dh_group;
	m.ke.data = pub;
	m.ke.len = (uint16_t)pub_len;
	m.nonce.data = sa->ni;
	m.nonce.len = (uint16_t)sa->ni_len;
	natd_add(&m, src, dst, sa, 0);
	sa->my_mid = 0;
	rc = ike_sa_request(sa, REQ_INIT, &m);
	if (rc)
		return rc;
	if (sa->req_len > sizeof(sa->init_i))
		return -EMSGSIZE;
	memcpy(sa->init_i, sa->req_buf + HEADROOM, sa->req_len);
	sa->init_i_len = sa->req_len;
	return 0;
}

void
ike_exch_start(struct ike_engine *e, struct conn *c)
{
	struct sa *sa = ike_sa_new(e, c, true);

	if (!sa)
		return;
	sa->spi_i = ike_sa_new_spi(e);
	sa->local = c->cfg.local;
	sa->remote = c->cfg.peer;
	sa->dh_group = c->cfg.ike[0].dh[0];
	sa->ni_len = NONCE_LEN;
	ike_random(sa->ni, NONCE_LEN);
	sa->state = SA_INIT_SENT;
	c->reason = IKE_R_NONE;
	{
		char a[64];

		ike_logf(IKE_LOG_INFO,
			 "ike: %s: initiating to %s (spi %016llx)", c->cfg.name,
			 ike_addr_str(&sa->remote, a, sizeof(a)),
			 (unsigned long long)sa->spi_i);
	}
	if (send_init(sa))
		ike_sa_down(sa, IKE_R_INTERNAL);
}

static bool
cfg_has_dh(const struct ike_conn_config *cfg, uint16_t g)
{
	uint8_t i, j;

	for (i = 0; i < cfg->n_ike; i++)
		for (j = 0; j < cfg->ike[i].n_dh; j++)
			if (cfg->ike[i].dh[j] == g)
				return true;
	return false;
}

static int send_auth(struct sa *sa);

static void
init_response(struct sa *sa, const struct ike_msg *m, const uint8_t *raw,
	      size_t raw_len)
{
	const struct ike_conn_config *cfg = &sa->conn->cfg;
	const struct ike_notify *n;
	uint8_t gir[IKE_DH_SECRET_MAX];
	size_t gir_len;
	int rc;

	if ((n = ike_msg_find_notify(m, IKE_N_COOKIE))) {
		if (n->data_len < 1 || n->data_len > sizeof(sa->cookie) ||
		    sa->n_cookie++ >= 3) {
			ike_sa_down(sa, IKE_R_INTERNAL);
			return;
		}
		memcpy(sa->cookie, n->data, n->data_len);
		sa->cookie_len = n->data_len;
		if (send_init(sa))
			ike_sa_down(sa, IKE_R_INTERNAL);
		return;
	}
	if ((n = ike_msg_find_notify(m, IKE_N_INVALID_KE_PAYLOAD))) {
		uint16_t g = n->data_len == 2
				     ? (uint16_t)(n->data[0] << 8 | n->data[1])
				     : 0;

		sa->e->st.invalid_ke_rcvd++;
		ike_logf(IKE_LOG_INFO, "ike: %s: peer wants DH group %u",
			 sa_name(sa), g);
		if (!cfg_has_dh(cfg, g) || g == sa->dh_group ||
		    sa->n_ke_retry++ >= 2) {
			ike_sa_down(sa, IKE_R_NO_PROPOSAL);
			return;
		}
		sa->dh_group = g;
		if (send_init(sa))
			ike_sa_down(sa, IKE_R_INTERNAL);
		return;
	}
	if (ike_msg_find_notify(m, IKE_N_NO_PROPOSAL_CHOSEN)) {
		ike_sa_down(sa, IKE_R_NO_PROPOSAL);
		return;
	}
	if ((m->present & (IKE_HAS(IKE_PL_SA) | IKE_HAS(IKE_PL_KE) |
			   IKE_HAS(IKE_PL_NONCE))) !=
		    (IKE_HAS(IKE_PL_SA) | IKE_HAS(IKE_PL_KE) |
		     IKE_HAS(IKE_PL_NONCE)) ||
	    m->spi_r == 0) {
		ike_sa_drop(sa->e, IKE_ERR_MISSING_PAYLOAD, &sa->remote);
		ike_sa_down(sa, IKE_R_INTERNAL);
		return;
	}
	if (m->sa.n_props != 1 ||
	    ike_conf_select(cfg->ike, cfg->n_ike, &m->sa, IKE_PROTO_IKE,
			    IKE_DHM_REQUIRE, &sa->sel) ||
	    sa->sel.dh != sa->dh_group || m->ke_group != sa->dh_group) {
		ike_logf(IKE_LOG_WARN,
			 "ike: %s: unacceptable IKE proposal "
			 "in IKE_SA_INIT response",
			 sa_name(sa));
		ike_sa_down(sa, IKE_R_NO_PROPOSAL);
		return;
	}
	sa->spi_r = m->spi_r;
	memcpy(sa->nr, m->nonce.data, m->nonce.len);
	sa->nr_len = m->nonce.len;
	rc = ike_dh_derive(sa->dh, m->ke.data, m->ke.len, gir, sizeof(gir),
			   &gir_len);
	if (rc == 0) {
		sa->keys.prf = sa->sel.prf;
		sa->keys.cipher = sa->sel.cipher;
		rc = ike_keys_derive(&sa->keys, NULL, gir, gir_len, sa->ni,
				     sa->ni_len, sa->nr, sa->nr_len, sa->spi_i,
				     sa->spi_r);
	}
	ike_crypto_cleanse(gir, sizeof(gir));
	ike_dh_destroy(sa->dh);
	sa->dh = NULL;
	if (rc || raw_len > sizeof(sa->init_r)) {
		ike_sa_down(sa, IKE_R_INTERNAL);
		return;
	}
	memcpy(sa->init_r, raw, raw_len);
	sa->init_r_len = raw_len;
	natd_check(sa, m, sa->spi_r);
	if (sa->nat_local || sa->nat_remote) {
		/* Section 2.23: float to the NAT-T port from IKE_AUTH on. */
		sa->natt = true;
		sa->local.port = sa->e->cfg.natt_port;
		sa->remote.port = 4500;
	}
	sa->req = REQ_NONE;
	sa->my_mid = 1;
	if (send_auth(sa))
		ike_sa_down(sa, IKE_R_INTERNAL);
}

/* IKE_AUTH. */

static int
send_auth(struct sa *sa)
{
	const struct ike_conn_config *cfg = &sa->conn->cfg;
	uint8_t auth[IKE_PRF_MAX], spi[4];
	struct ike_msg m;
	int rc;

	memset(&m, 0, sizeof(m));
	m.exchange = IKE_EXCH_AUTH;
	m.idi = cfg->local_id;
	m.present |= IKE_HAS(IKE_PL_IDI) | IKE_HAS(IKE_PL_AUTH) |
		     IKE_HAS(IKE_PL_SA) | IKE_HAS(IKE_PL_TSI) |
		     IKE_HAS(IKE_PL_TSR);
	if (cfg->peer_id.type) {
		m.idr = cfg->peer_id;
		m.present |= IKE_HAS(IKE_PL_IDR);
	}
	rc = psk_auth(sa, cfg, true, &cfg->local_id, auth);
	if (rc)
		return rc;
	m.auth_method = IKE_AUTH_PSK;
	m.auth.data = auth;
	m.auth.len = (uint16_t)sa->keys.prf_len;
	sa->rq.spi = new_esp_spi();
	put32(spi, sa->rq.spi);
	ike_conf_offer(cfg->esp, cfg->n_esp, IKE_PROTO_ESP, spi, 4, false,
		       &m.sa);
	m.tsi = sa->conn->ts_l;
	m.tsr = sa->conn->ts_r;
	sa->state = SA_AUTH_SENT;
	rc = ike_sa_request(sa, REQ_AUTH, &m);
	ike_crypto_cleanse(auth, sizeof(auth));
	return rc;
}

/*
 * Ends other SAs of the connection when a new one is authenticated and
 * has its child (a new SA whose child failed leaves a working one be).
 */
static void
replace_old(struct sa *keep)
{
	struct sa *sa;

	for (sa = keep->e->sas; sa; sa = sa->next)
		if (sa != keep && sa->conn == keep->conn &&
		    sa->state == SA_ESTABLISHED)
			ike_sa_down(sa, IKE_R_REPLACED);
}

static void
established(struct sa *sa)
{
	sa->state = SA_ESTABLISHED;
	sa->req = REQ_NONE;
	sa->conn->reason = IKE_R_NONE;
	sa_set_lifetimes(sa);
	sa->e->st.ike_up++;
	ike_sa_emit(sa->e, IKE_EV_IKE_UP, sa, IKE_R_NONE, NULL);
}

static bool
has_error_notify(const struct ike_msg *m, uint16_t *type)
{
	uint8_t i;

	for (i = 0; i < m->n_notify; i++)
		if (m->notify[i].type < 16384) {
			*type = m->notify[i].type;
			return true;
		}
	return false;
}

static enum ike_reason
notify_reason(uint16_t type)
{
	switch (type) {
	case IKE_N_NO_PROPOSAL_CHOSEN:
	case IKE_N_INVALID_KE_PAYLOAD:
		return IKE_R_NO_PROPOSAL;
	case IKE_N_TS_UNACCEPTABLE:
		return IKE_R_TS_UNACCEPTABLE;
	case IKE_N_AUTHENTICATION_FAILED:
		return IKE_R_PEER_AUTH_FAILED;
	default:
		return IKE_R_INTERNAL;
	}
}

/*
 * The first child SA could not be made: a connection without its child is
 * of no use, so the IKE SA is deleted and reported down with the reason.
 */
static void
child_failed(struct sa *sa, enum ike_reason r)
{
	sa->conn->reason = r;
	sa->down_reason = r;
	ike_sa_emit(sa->e, IKE_EV_CHILD_FAILED, sa, r, NULL);
	sa->want_del_ike = true;
}

static void
auth_response(struct sa *sa, const struct ike_msg *m)
{
	const struct ike_conn_config *cfg = &sa->conn->cfg;
	uint8_t auth[IKE_PRF_MAX];
	struct ike_sel sel;
	uint16_t nt = 0;
	struct child *c;
	int slot;

	if (ike_msg_find_notify(m, IKE_N_AUTHENTICATION_FAILED)) {
		sa->e->st.auth_failures++;
		ike_logf(IKE_LOG_WARN,
			 "ike: %s: peer refused our "
			 "authentication (AUTHENTICATION_FAILED)",
			 sa_name(sa));
		ike_sa_down(sa, IKE_R_PEER_AUTH_FAILED);
		return;
	}
	if (!(m->present & IKE_HAS(IKE_PL_IDR)) ||
	    !(m->present & IKE_HAS(IKE_PL_AUTH))) {
		ike_sa_down(sa, has_error_notify(m, &nt) ? notify_reason(nt)
							 : IKE_R_INTERNAL);
		return;
	}
	if (cfg->peer_id.type && !id_eq(&m->idr, &cfg->peer_id)) {
		ike_logf(IKE_LOG_WARN,
			 "ike: %s: peer identity does not match "
			 "the configured one",
			 sa_name(sa));
		ike_sa_down(sa, IKE_R_ID_MISMATCH);
		return;
	}
	if (m->auth_method != IKE_AUTH_PSK || m->auth.len != sa->keys.prf_len ||
	    psk_auth(sa, cfg, false, &m->idr, auth) ||
	    !ike_crypto_equal(auth, m->auth.data, sa->keys.prf_len)) {
		sa->e->st.auth_failures++;
		ike_logf(IKE_LOG_WARN,
			 "ike: %s: peer AUTH does not verify "
			 "(wrong PSK?)",
			 sa_name(sa));
		ike_crypto_cleanse(auth, sizeof(auth));
		ike_sa_down(sa, IKE_R_AUTH_FAILED);
		return;
	}
	ike_crypto_cleanse(auth, sizeof(auth));
	established(sa);
	if (has_error_notify(m, &nt) || !(m->present & IKE_HAS(IKE_PL_SA))) {
		child_failed(sa, nt ? notify_reason(nt) : IKE_R_NO_PROPOSAL);
		return;
	}
	if (m->sa.n_props != 1 ||
	    ike_conf_select(cfg->esp, cfg->n_esp, &m->sa, IKE_PROTO_ESP,
			    IKE_DHM_IGNORE, &sel) ||
	    !(m->present & IKE_HAS(IKE_PL_TSI)) ||
	    !(m->present & IKE_HAS(IKE_PL_TSR))) {
		child_failed(sa, IKE_R_NO_PROPOSAL);
		return;
	}
	if (!ike_conf_ts_subset(&m->tsi, &sa->conn->ts_l) ||
	    !ike_conf_ts_subset(&m->tsr, &sa->conn->ts_r)) {
		child_failed(sa, IKE_R_TS_UNACCEPTABLE);
		return;
	}
	slot = ike_sa_child_slot(sa);
	if (slot < 0)
		return;
	c = &sa->ch[slot];
	memset(c, 0, sizeof(*c));
	c->conn = sa->conn;
	c->sel = sel;
	c->sel.dh = 0;
	c->spi_in = sa->rq.spi;
	c->spi_out = get32(sel.spi);
	c->we_initiated = true;
	c->ts_l = m->tsi;
	c->ts_r = m->tsr;
	if (ike_sa_child_create(sa, c, NULL, 0, sa->ni, sa->ni_len, sa->nr,
				sa->nr_len, 0)) {
		c->state = CH_FREE;
		sa->want_del_ike = true;
		return;
	}
	sa->e->st.child_up++;
	replace_old(sa);
	ike_sa_emit(sa->e, IKE_EV_CHILD_UP, sa, IKE_R_NONE, c);
}

/*
 * The connection an IKE_AUTH request is for: addresses and identities
 * match. Of several that do (say, an IPv4 and an IPv6 connection between
 * the same two gateways), the first whose selectors the request's TSi and
 * TSr narrow to; else the first.
 */
static struct conn *
conn_for_id(struct ike_engine *e, const struct sa *sa, const struct ike_msg *m)
{
	bool has_ts = (m->present & IKE_HAS(IKE_PL_TSI)) &&
		      (m->present & IKE_HAS(IKE_PL_TSR));
	struct conn *first = NULL;
	struct ike_ts_pl x;
	int i;

	for (i = 0; i < MAX_CONNS; i++) {
		struct conn *c = e->conns[i];

		if (!c || !addr_eq(&c->cfg.local, &sa->local))
			continue;
		if (!c->cfg.peer_any && !addr_eq(&c->cfg.peer, &sa->remote))
			continue;
		if (c->cfg.peer_id.type && !id_eq(&c->cfg.peer_id, &m->idi))
			continue;
		if ((m->present & IKE_HAS(IKE_PL_IDR)) &&
		    !id_eq(&c->cfg.local_id, &m->idr))
			continue;
		if (first == NULL)
			first = c;
		if (!has_ts || (ike_conf_narrow(&m->tsi, &c->ts_r, &x) == 0 &&
				ike_conf_narrow(&m->tsr, &c->ts_l, &x) == 0))
			return c;
	}
	return first;
}

static void
auth_request(struct sa *sa, const struct ike_msg *m)
{
	struct ike_engine *e = sa->e;
	uint8_t auth[IKE_PRF_MAX], myauth[IKE_PRF_MAX];
	const struct ike_conn_config *cfg;
	struct ike_ts_pl tsi, tsr;
	struct ike_msg r;
	struct ike_sel sel;
	struct child *c = NULL;
	struct conn *conn;
	uint8_t spi[4];
	uint16_t err = 0;

	if (!(m->present & IKE_HAS(IKE_PL_IDI)) ||
	    !(m->present & IKE_HAS(IKE_PL_AUTH))) {
		ike_sa_drop(e, IKE_ERR_MISSING_PAYLOAD, &sa->remote);
		return;
	}
	conn = conn_for_id(e, sa, m);
	if (!conn) {
		e->st.auth_failures++;
		ike_logf_rl(IKE_LOG_WARN,
			    "ike: %s: no connection for the "
			    "peer's identity",
			    sa_name(sa));
		ike_sa_respond_notify(sa, m, IKE_N_AUTHENTICATION_FAILED, NULL,
				      0);
		sa->conn->reason = IKE_R_ID_MISMATCH;
		ike_sa_down(sa, IKE_R_ID_MISMATCH);
		return;
	}
	sa->conn = conn;
	cfg = &conn->cfg;
	if (m->auth_method != IKE_AUTH_PSK || m->auth.len != sa->keys.prf_len ||
	    psk_auth(sa, cfg, true, &m->idi, auth) ||
	    !ike_crypto_equal(auth, m->auth.data, sa->keys.prf_len)) {
		e->st.auth_failures++;
		ike_logf(IKE_LOG_WARN,
			 "ike: %s: initiator AUTH does not "
			 "verify (wrong PSK?)",
			 sa_name(sa));
		ike_crypto_cleanse(auth, sizeof(auth));
		ike_sa_respond_notify(sa, m, IKE_N_AUTHENTICATION_FAILED, NULL,
				      0);
		ike_sa_down(sa, IKE_R_AUTH_FAILED);
		return;
	}
	ike_crypto_cleanse(auth, sizeof(auth));
	memset(&r, 0, sizeof(r));
	r.idr = cfg->local_id;
	r.present |= IKE_HAS(IKE_PL_IDR) | IKE_HAS(IKE_PL_AUTH);
	if (psk_auth(sa, cfg, false, &cfg->local_id, myauth)) {
		ike_sa_down(sa, IKE_R_INTERNAL);
		return;
	}
	r.auth_method = IKE_AUTH_PSK;
	r.auth.data = myauth;
	r.auth.len = (uint16_t)sa->keys.prf_len;

	/* The first child SA (section 1.2). */
	if (!(m->present & IKE_HAS(IKE_PL_SA)) ||
	    !(m->present & IKE_HAS(IKE_PL_TSI)) ||
	    !(m->present & IKE_HAS(IKE_PL_TSR)) ||
	    ike_conf_select(cfg->esp, cfg->n_esp, &m->sa, IKE_PROTO_ESP,
			    IKE_DHM_IGNORE, &sel)) {
		err = IKE_N_NO_PROPOSAL_CHOSEN;
	} else if (ike_conf_narrow(&m->tsi, &conn->ts_r, &tsi) ||
		   ike_conf_narrow(&m->tsr, &conn->ts_l, &tsr)) {
		err = IKE_N_TS_UNACCEPTABLE;
	} else if (ike_sa_child_slot(sa) < 0) {
		err = IKE_N_NO_ADDITIONAL_SAS;
	} else {
		c = &sa->ch[ike_sa_child_slot(sa)];
		memset(c, 0, sizeof(*c));
		c->conn = conn;
		c->sel = sel;
		c->sel.dh = 0;
		c->spi_in = new_esp_spi();
		c->spi_out = get32(sel.spi);
		c->we_initiated = false;
		c->ts_l = tsr;
		c->ts_r = tsi;
		put32(spi, c->spi_in);
		memcpy(sel.spi, spi, 4);
		sel.dh = 0;
		ike_conf_answer(&sel, &r.sa);
		r.tsi = tsi;
		r.tsr = tsr;
		r.present |= IKE_HAS(IKE_PL_SA) | IKE_HAS(IKE_PL_TSI) |
			     IKE_HAS(IKE_PL_TSR);
	}
	if (err)
		ike_msg_add_notify(&r, 0, err, NULL, 0);
	established(sa);
	if (c && ike_sa_child_create(sa, c, NULL, 0, sa->ni, sa->ni_len, sa->nr,
				     sa->nr_len, 0)) {
		c->state = CH_FREE;
		c = NULL;
	}
	ike_sa_respond(sa, m, &r);
	ike_crypto_cleanse(myauth, sizeof(myauth));
	if (c) {
		e->st.child_up++;
		replace_old(sa);
		ike_sa_emit(e, IKE_EV_CHILD_UP, sa, IKE_R_NONE, c);
	} else {
		enum ike_reason why = err == IKE_N_TS_UNACCEPTABLE
					      ? IKE_R_TS_UNACCEPTABLE
					      : IKE_R_NO_PROPOSAL;

		conn->reason = why;
		sa->down_reason = why; /* the initiator will delete */
		ike_sa_emit(e, IKE_EV_CHILD_FAILED, sa, why, NULL);
	}
}

/* IKE_SA_INIT, responder. */

static struct conn *
conn_for_addr(struct ike_engine *e, const struct ike_addr *l,
	      const struct ike_addr *r)
{
	int i;

	for (i = 0; i < MAX_CONNS; i++) {
		struct conn *c = e->conns[i];

		if (c && addr_eq(&c->cfg.local, l) &&
		    (c->cfg.peer_any || addr_eq(&c->cfg.peer, r)))
			return c;
	}
	return NULL;
}

static unsigned int
half_open(struct ike_engine *e)
{
	unsigned int n = 0;
	struct sa *sa;

	for (sa = e->sas; sa; sa = sa->next)
		if (sa->state == SA_INIT_RCVD)
			n++;
	return n;
}

static void
cookie_make(struct ike_engine *e, const struct ike_msg *m,
	    const struct ike_addr *r, uint8_t out[32])
{
	uint8_t buf[256 + 8 + 16];
	size_t off = 0;
	int i;

	memcpy(buf, m->nonce.data, m->nonce.len);
	off = m->nonce.len;
	for (i = 0; i < 8; i++)
		buf[off++] = (uint8_t)(m->spi_i >> (56 - 8 * i));
	memcpy(buf + off, r->ip, addr_len(r));
	off += addr_len(r);
	ike_prf(IKE_PRF_HMAC_SHA2_256, e->cookie_secret,
		sizeof(e->cookie_secret), buf, off, out);
}

void
ike_exch_init_request(struct ike_engine *e, const struct ike_msg *m,
		      const uint8_t *raw, size_t raw_len,
		      const struct ike_addr *l, const struct ike_addr *r)
{
	uint8_t pub[IKE_DH_PUB_MAX], gir[IKE_DH_SECRET_MAX], src[20], dst[20];
	size_t pub_len, gir_len;
	struct ike_sel sel;
	struct ike_msg resp;
	struct conn *c;
	struct sa *sa;
	uint8_t grp[2];
	int rc;

	if (m->spi_r != 0) {
		ike_sa_drop(e, IKE_ERR_BAD_SPI, r);
		return;
	}
	for (sa = e->sas; sa; sa = sa->next)
		if (!sa->orig_init && sa->spi_i == m->spi_i &&
		    addr_eq(&sa->remote, r) && sa->state != SA_DEAD) {
			if (sa->has_resp && sa->resp_mid == 0 &&
			    sa->state == SA_INIT_RCVD) {
				e->st.dup_requests++;
				ike_sa_xmit(e, &sa->local, &sa->remote,
					    sa->resp_buf, sa->resp_len);
			}
			return;
		}
	c = conn_for_addr(e, l, r);
	if (!c) {
		ike_sa_drop(e, IKE_ERR_NO_SA, r);
		return;
	}
	if ((m->present & (IKE_HAS(IKE_PL_SA) | IKE_HAS(IKE_PL_KE) |
			   IKE_HAS(IKE_PL_NONCE))) !=
	    (IKE_HAS(IKE_PL_SA) | IKE_HAS(IKE_PL_KE) | IKE_HAS(IKE_PL_NONCE))) {
		ike_sa_drop(e, IKE_ERR_MISSING_PAYLOAD, r);
		return;
	}
	/* Section 2.6: demand a cookie when this request would make the
	 * threshold-th half-open SA (a threshold of 1: always). */
	if (half_open(e) + 1 >= e->cfg.cookie_threshold) {
		const struct ike_notify *n =
			ike_msg_find_notify(m, IKE_N_COOKIE);
		uint8_t ck[32];

		cookie_make(e, m, r, ck);
		if (!n || n->data_len != 32 ||
		    !ike_crypto_equal(ck, n->data, 32)) {
			e->st.cookies_sent++;
			ike_sa_send_plain_notify(e, m, l, r, IKE_N_COOKIE, ck,
						 32);
			return;
		}
	}
	if (ike_conf_select(c->cfg.ike, c->cfg.n_ike, &m->sa, IKE_PROTO_IKE,
			    IKE_DHM_REQUIRE, &sel)) {
		char a[64];

		ike_logf_rl(IKE_LOG_WARN,
			    "ike: %s: no acceptable IKE "
			    "proposal from %s",
			    c->cfg.name, ike_addr_str(r, a, sizeof(a)));
		c->reason = IKE_R_NO_PROPOSAL;
		ike_sa_send_plain_notify(e, m, l, r, IKE_N_NO_PROPOSAL_CHOSEN,
					 NULL, 0);
		return;
	}
	if (m->ke_group != sel.dh) {
		put16(grp, sel.dh);
		e->st.invalid_ke_sent++;
		ike_sa_send_plain_notify(e, m, l, r, IKE_N_INVALID_KE_PAYLOAD,
					 grp, 2);
		return;
	}
	sa = ike_sa_new(e, c, false);
	if (!sa)
		return;
	sa->spi_i = m->spi_i;
	sa->spi_r = ike_sa_new_spi(e);
	sa->local = *l;
	sa->remote = *r;
	sa->natt = l->port == e->cfg.natt_port;
	sa->sel = sel;
	memcpy(sa->ni, m->nonce.data, m->nonce.len);
	sa->ni_len = m->nonce.len;
	sa->nr_len = NONCE_LEN;
	ike_random(sa->nr, NONCE_LEN);
	rc = ike_dh_create(sel.dh, &sa->dh);
	if (!rc)
		rc = ike_dh_public(sa->dh, pub, sizeof(pub), &pub_len);
	if (!rc)
		rc = ike_dh_derive(sa->dh, m->ke.data, m->ke.len, gir,
				   sizeof(gir), &gir_len);
	if (rc) {
		ike_crypto_cleanse(gir, sizeof(gir));
		ike_sa_drop(e, IKE_ERR_BAD_PAYLOAD_LENGTH, r);
		sa->state = SA_DEAD;
		return;
	}
	sa->keys.prf = sel.prf;
	sa->keys.cipher = sel.cipher;
	rc = ike_keys_derive(&sa->keys, NULL, gir, gir_len, sa->ni, sa->ni_len,
			     sa->nr, sa->nr_len, sa->spi_i, sa->spi_r);
	ike_crypto_cleanse(gir, sizeof(gir));
	if (rc || raw_len > sizeof(sa->init_i)) {
		sa->state = SA_DEAD;
		return;
	}
	memcpy(sa->init_i, raw, raw_len);
	sa->init_i_len = raw_len;
	natd_check(sa, m, 0);

	memset(&resp, 0, sizeof(resp));
	sel.spi_len = 0;
	ike_conf_answer(&sel, &resp.sa);
	resp.present |=
		IKE_HAS(IKE_PL_SA) | IKE_HAS(IKE_PL_KE) | IKE_HAS(IKE_PL_NONCE);
	resp.ke_group = sel.dh;
	resp.ke.data = pub;
	resp.ke.len = (uint16_t)pub_len;
	resp.nonce.data = sa->nr;
	resp.nonce.len = (uint16_t)sa->nr_len;
	if (ike_msg_find_notify(m, IKE_N_NAT_DETECTION_SOURCE_IP))
		natd_add(&resp, src, dst, sa, sa->spi_r);
	sa->state = SA_INIT_RCVD;
	sa->deadline = e->now + e->cfg.half_open_timeout_ms;
	if (ike_sa_respond(sa, m, &resp) || sa->resp_len > sizeof(sa->init_r)) {
		sa->state = SA_DEAD;
		return;
	}
	memcpy(sa->init_r, sa->resp_buf + HEADROOM, sa->resp_len);
	sa->init_r_len = sa->resp_len;
	ike_dh_destroy(sa->dh);
	sa->dh = NULL;
}

/* CREATE_CHILD_SA. */

static uint16_t
pfs_group(const struct conn *conn, uint16_t hint)
{
	const struct ike_conn_config *cfg = &conn->cfg;

	if (hint)
		return hint;
	return cfg->esp[0].n_dh ? cfg->esp[0].dh[0] : 0;
}

/*
 * The common part of a CREATE_CHILD_SA request for an ESP SA (a rekey or
 * an additional child) of connection conn: our new inbound SPI and the
 * connection's offer, a nonce, a KE of group g (0: no PFS) whose public
 * value is put in pub (IKE_DH_PUB_MAX bytes), the selectors.
 */
static int
child_request(struct sa *sa, const struct conn *conn, uint16_t g,
	      const struct ike_ts_pl *ts_l, const struct ike_ts_pl *ts_r,
	      struct ike_msg *m, uint8_t *pub)
{
	const struct ike_conn_config *cfg = &conn->cfg;
	uint8_t spi[4];
	size_t pub_len;
	int rc;

	sa->rq.spi = new_esp_spi();
	put32(spi, sa->rq.spi);
	ike_conf_offer(cfg->esp, cfg->n_esp, IKE_PROTO_ESP, spi, 4, true,
		       &m->sa);
	ike_random(sa->rq.nonce, NONCE_LEN);
	m->nonce.data = sa->rq.nonce;
	m->nonce.len = NONCE_LEN;
	m->present |= IKE_HAS(IKE_PL_SA) | IKE_HAS(IKE_PL_NONCE) |
		      IKE_HAS(IKE_PL_TSI) | IKE_HAS(IKE_PL_TSR);
	ike_dh_destroy(sa->rq.dh);
	sa->rq.dh = NULL;
	if (g) {
		rc = ike_dh_create(g, &sa->rq.dh);
		if (!rc)
			rc = ike_dh_public(sa->rq.dh, pub, IKE_DH_PUB_MAX,
					   &pub_len);
		if (rc)
			return rc;
		m->ke_group = g;
		m->ke.data = pub;
		m->ke.len = (uint16_t)pub_len;
		m->present |= IKE_HAS(IKE_PL_KE);
	}
	m->tsi = *ts_l;
	m->tsr = *ts_r;
	return 0;
}

int
ike_exch_rekey_child(struct sa *sa, int idx)
{
	struct child *c = &sa->ch[idx];
	uint8_t old[4], pub[IKE_DH_PUB_MAX];
	struct ike_notify *n;
	struct ike_msg m;
	uint16_t g = pfs_group(c->conn, sa->pfs_hint);
	int rc;

	memset(&m, 0, sizeof(m));
	m.exchange = IKE_EXCH_CREATE_CHILD_SA;
	ike_msg_add_notify(&m, IKE_PROTO_ESP, IKE_N_REKEY_SA, NULL, 0);
	n = &m.notify[0];
	n->spi_len = 4;
	put32(old, c->spi_in);
	memcpy(n->spi, old, 4);
	sa->rq.child = idx;
	rc = child_request(sa, c->conn, g, &c->ts_l, &c->ts_r, &m, pub);
	if (rc)
		return rc;
	c->state = CH_REKEYING;
	c->want_rekey = false;
	return ike_sa_request(sa, REQ_REKEY_CHILD, &m);
}

/*
 * An additional child SA, initiator: connection c asks for its child on
 * sa, an IKE SA of another connection to the same peer (section 1.3.1),
 * with PFS when its ESP proposal lists DH groups.
 */
int
ike_exch_new_child(struct sa *sa, struct conn *c)
{
	uint8_t pub[IKE_DH_PUB_MAX];
	uint16_t g = pfs_group(c, c->pfs_hint);
	struct ike_msg m;
	int rc;

	memset(&m, 0, sizeof(m));
	m.exchange = IKE_EXCH_CREATE_CHILD_SA;
	sa->rq.conn_id = c->id;
	rc = child_request(sa, c, g, &c->ts_l, &c->ts_r, &m, pub);
	if (rc)
		return rc;
	return ike_sa_request(sa, REQ_NEW_CHILD, &m);
}

/* The peer refused (or botched) the additional child: c's own IKE SA. */
static void
new_child_fallback(struct sa *sa, struct conn *c, const char *why)
{
	sa->e->st.child_join_refused++;
	ike_logf(IKE_LOG_WARN,
		 "ike: %s: no child SA on the IKE SA of %s (%s): "
		 "initiating its own IKE SA",
		 c->cfg.name, sa_name(sa), why);
	c->pfs_hint = 0;
	ike_exch_start(sa->e, c);
}

/* The connection's active child on this SA, NULL when none. */
static struct child *
dup_child(struct sa *sa, const struct conn *conn)
{
	int i;

	for (i = 0; i < MAX_CHILD; i++)
		if (sa->ch[i].conn == conn && sa->ch[i].state == CH_ACTIVE)
			return &sa->ch[i];
	return NULL;
}

static void
new_child_response(struct sa *sa, const struct ike_msg *m)
{
	struct conn *conn = ike_sa_conn_get(sa->e, sa->rq.conn_id);
	struct child *dup;
	uint8_t gir[IKE_DH_SECRET_MAX];
	size_t gir_len = 0;
	const struct ike_notify *n;
	struct ike_sel sel;
	struct child *c;
	uint16_t nt;
	int slot;

	/*
	 * Both sides asked for the connection's child at once and each
	 * gave the other one: the original initiator of the IKE SA keeps
	 * the child it asked for (replacing the one it gave, as a rekey
	 * would), the other side drops the one it asked for; both end
	 * with the same single child.
	 */
	dup = conn ? dup_child(sa, conn) : NULL;
	if (!conn ||
	    (ike_sa_conn_has_child(sa->e, conn) && (!dup || !sa->orig_init))) {
		/* Deleted meanwhile, or the peer made its child first:
		 * the peer's new SA, if any, is not wanted. */
		if (!has_error_notify(m, &nt) &&
		    (m->present & IKE_HAS(IKE_PL_SA)))
			ike_sa_del_pending(sa, sa->rq.spi);
		return;
	}
	if ((n = ike_msg_find_notify(m, IKE_N_INVALID_KE_PAYLOAD)) &&
	    n->data_len == 2 && !conn->pfs_hint) {
		conn->pfs_hint = (uint16_t)(n->data[0] << 8 | n->data[1]);
		conn->want_child = true;
		return;
	}
	if (has_error_notify(m, &nt)) {
		new_child_fallback(
			sa, conn,
			nt == IKE_N_NO_ADDITIONAL_SAS	 ? "NO_ADDITIONAL_SAS"
			: nt == IKE_N_TS_UNACCEPTABLE	 ? "TS_UNACCEPTABLE"
			: nt == IKE_N_NO_PROPOSAL_CHOSEN ? "NO_PROPOSAL_CHOSEN"
							 : "refused");
		return;
	}
	if (!(m->present & IKE_HAS(IKE_PL_SA)) ||
	    !(m->present & IKE_HAS(IKE_PL_NONCE)) ||
	    !(m->present & IKE_HAS(IKE_PL_TSI)) ||
	    !(m->present & IKE_HAS(IKE_PL_TSR)) || m->sa.n_props != 1 ||
	    ike_conf_select(conn->cfg.esp, conn->cfg.n_esp, &m->sa,
			    IKE_PROTO_ESP, IKE_DHM_CFG, &sel) ||
	    !ike_conf_ts_subset(&m->tsi, &conn->ts_l) ||
	    !ike_conf_ts_subset(&m->tsr, &conn->ts_r) ||
	    (sel.dh &&
	     (!sa->rq.dh || !(m->present & IKE_HAS(IKE_PL_KE)) ||
	      m->ke_group != sel.dh || ike_dh_group(sa->rq.dh) != sel.dh ||
	      ike_dh_derive(sa->rq.dh, m->ke.data, m->ke.len, gir, sizeof(gir),
			    &gir_len))) ||
	    (slot = ike_sa_child_slot(sa)) < 0) {
		if (m->present & IKE_HAS(IKE_PL_SA))
			ike_sa_del_pending(sa, sa->rq.spi);
		ike_crypto_cleanse(gir, sizeof(gir));
		new_child_fallback(sa, conn, "unacceptable answer");
		return;
	}
	c = &sa->ch[slot];
	memset(c, 0, sizeof(*c));
	c->conn = conn;
	c->sel = sel;
	c->spi_in = sa->rq.spi;
	c->spi_out = get32(sel.spi);
	c->we_initiated = true;
	c->ts_l = m->tsi;
	c->ts_r = m->tsr;
	if (ike_sa_child_create(sa, c, sel.dh ? gir : NULL, gir_len,
				sa->rq.nonce, NONCE_LEN, m->nonce.data,
				m->nonce.len, dup ? dup->spi_in : 0)) {
		c->state = CH_FREE;
		ike_sa_del_pending(sa, sa->rq.spi);
		ike_crypto_cleanse(gir, sizeof(gir));
		return;
	}
	if (dup) {
		/* Removed without an event, as a replaced SA. */
		dup->state = CH_REKEYED;
		dup->want_delete = true;
	}
	ike_crypto_cleanse(gir, sizeof(gir));
	conn->pfs_hint = 0;
	conn->reason = IKE_R_NONE;
	sa->e->st.child_up++;
	ike_sa_emit(sa->e, IKE_EV_CHILD_UP, sa, IKE_R_NONE, c);
}

void
ike_exch_retry_later(uint64_t *when, uint64_t now)
{
	*when = now + 2000 + rand32() % 4000;
}

static void
rekey_child_response(struct sa *sa, const struct ike_msg *m)
{
	struct child *old = &sa->ch[sa->rq.child], *c;
	const struct ike_conn_config *cfg = &old->conn->cfg;
	uint8_t gir[IKE_DH_SECRET_MAX];
	size_t gir_len = 0;
	const struct ike_notify *n;
	struct ike_sel sel;
	uint16_t nt;
	int slot;

	if (old->state != CH_REKEYING)
		return; /* deleted meanwhile */
	old->state = CH_ACTIVE;
	if ((n = ike_msg_find_notify(m, IKE_N_INVALID_KE_PAYLOAD)) &&
	    n->data_len == 2) {
		sa->pfs_hint = (uint16_t)(n->data[0] << 8 | n->data[1]);
		old->want_rekey = true;
		return;
	}
	if (has_error_notify(m, &nt)) {
		ike_logf(IKE_LOG_INFO,
			 "ike: %s: child rekey refused "
			 "(notify %u), retrying",
			 sa_name(sa), nt);
		ike_exch_retry_later(&old->rekey_at, sa->e->now);
		return;
	}
	if (!(m->present & IKE_HAS(IKE_PL_SA)) ||
	    !(m->present & IKE_HAS(IKE_PL_NONCE)) ||
	    ike_conf_select(cfg->esp, cfg->n_esp, &m->sa, IKE_PROTO_ESP,
			    IKE_DHM_CFG, &sel) ||
	    m->sa.n_props != 1 ||
	    (sel.dh &&
	     (!sa->rq.dh || !(m->present & IKE_HAS(IKE_PL_KE)) ||
	      m->ke_group != sel.dh || ike_dh_group(sa->rq.dh) != sel.dh))) {
		ike_logf(IKE_LOG_WARN, "ike: %s: bad child rekey response",
			 sa_name(sa));
		ike_exch_retry_later(&old->rekey_at, sa->e->now);
		return;
	}
	if (sel.dh && ike_dh_derive(sa->rq.dh, m->ke.data, m->ke.len, gir,
				    sizeof(gir), &gir_len)) {
		ike_exch_retry_later(&old->rekey_at, sa->e->now);
		return;
	}
	slot = ike_sa_child_slot(sa);
	if (slot < 0) {
		ike_crypto_cleanse(gir, sizeof(gir));
		return;
	}
	c = &sa->ch[slot];
	memset(c, 0, sizeof(*c));
	c->conn = old->conn;
	c->sel = sel;
	c->spi_in = sa->rq.spi;
	c->spi_out = get32(sel.spi);
	c->we_initiated = true;
	c->ts_l = (m->present & IKE_HAS(IKE_PL_TSI)) ? m->tsi : old->ts_l;
	c->ts_r = (m->present & IKE_HAS(IKE_PL_TSR)) ? m->tsr : old->ts_r;
	if (ike_sa_child_create(sa, c, sel.dh ? gir : NULL, gir_len,
				sa->rq.nonce, NONCE_LEN, m->nonce.data,
				m->nonce.len, old->spi_in)) {
		c->state = CH_FREE;
		ike_crypto_cleanse(gir, sizeof(gir));
		return;
	}
	ike_crypto_cleanse(gir, sizeof(gir));
	sa->e->st.child_rekeys++;
	ike_sa_emit(sa->e, IKE_EV_CHILD_REKEYED, sa, IKE_R_NONE, c);
	old->state = CH_REKEYED;
	old->want_delete = true;
}

int
ike_exch_rekey_ike(struct sa *sa)
{
	const struct ike_conn_config *cfg = &sa->conn->cfg;
	uint8_t spi[8], pub[IKE_DH_PUB_MAX];
	struct ike_msg m;
	size_t pub_len;
	int rc, i;

	sa->want_rekey_ike = false;
	memset(&m, 0, sizeof(m));
	m.exchange = IKE_EXCH_CREATE_CHILD_SA;
	sa->rq.new_spi = ike_sa_new_spi(sa->e);
	for (i = 0; i < 8; i++)
		spi[i] = (uint8_t)(sa->rq.new_spi >> (56 - 8 * i));
	ike_conf_offer(cfg->ike, cfg->n_ike, IKE_PROTO_IKE, spi, 8, true,
		       &m.sa);
	ike_random(sa->rq.nonce, NONCE_LEN);
	m.nonce.data = sa->rq.nonce;
	m.nonce.len = NONCE_LEN;
	ike_dh_destroy(sa->rq.dh);
	sa->rq.dh = NULL;
	rc = ike_dh_create(sa->sel.dh, &sa->rq.dh);
	if (!rc)
		rc = ike_dh_public(sa->rq.dh, pub, sizeof(pub), &pub_len);
	if (rc)
		return rc;
	m.ke_group = sa->sel.dh;
	m.ke.data = pub;
	m.ke.len = (uint16_t)pub_len;
	m.present |=
		IKE_HAS(IKE_PL_SA) | IKE_HAS(IKE_PL_NONCE) | IKE_HAS(IKE_PL_KE);
	return ike_sa_request(sa, REQ_REKEY_IKE, &m);
}

/*
 * Creates the IKE SA that replaces 'old' (section 2.18) and moves the
 * children over. ni/nr are the rekey exchange's nonces.
 */
static struct sa *
ike_rekeyed(struct sa *old, bool we_init, uint64_t spi_i, uint64_t spi_r,
	    const struct ike_sel *sel, const uint8_t *gir, size_t gir_len,
	    const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len)
{
	struct sa *sa = ike_sa_new(old->e, old->conn, we_init);
	int i;

	if (!sa)
		return NULL;
	sa->spi_i = spi_i;
	sa->spi_r = spi_r;
	sa->local = old->local;
	sa->remote = old->remote;
	sa->natt = old->natt;
	sa->nat_local = old->nat_local;
	sa->nat_remote = old->nat_remote;
	sa->sel = *sel;
	sa->keys.prf = sel->prf;
	sa->keys.cipher = sel->cipher;
	if (ike_keys_derive(&sa->keys, old->keys.sk_d, gir, gir_len, ni, ni_len,
			    nr, nr_len, spi_i, spi_r)) {
		sa->state = SA_DEAD;
		return NULL;
	}
	memcpy(sa->ch, old->ch, sizeof(sa->ch));
	ike_crypto_cleanse(old->ch, sizeof(old->ch));
	for (i = 0; i < MAX_CHILD; i++)
		if (sa->ch[i].state == CH_REKEYING) {
			/* Its rekey was outstanding on the old SA, whose
			 * answer will find no child: start it again. */
			sa->ch[i].state = CH_ACTIVE;
			sa->ch[i].want_rekey = true;
		}
	sa->state = SA_ESTABLISHED;
	sa_set_lifetimes(sa);
	old->state = SA_REKEYED;
	old->deadline = old->e->now + REKEYED_LINGER_MS;
	old->e->st.ike_rekeys++;
	ike_sa_emit(old->e, IKE_EV_IKE_REKEYED, sa, IKE_R_NONE, NULL);
	return sa;
}

static void
rekey_ike_response(struct sa *sa, const struct ike_msg *m)
{
	const struct ike_conn_config *cfg = &sa->conn->cfg;
	uint8_t gir[IKE_DH_SECRET_MAX];
	size_t gir_len;
	struct ike_sel sel;
	uint16_t nt;

	if (has_error_notify(m, &nt) || !(m->present & IKE_HAS(IKE_PL_SA)) ||
	    !(m->present & IKE_HAS(IKE_PL_NONCE)) ||
	    !(m->present & IKE_HAS(IKE_PL_KE)) || m->sa.n_props != 1 ||
	    ike_conf_select(cfg->ike, cfg->n_ike, &m->sa, IKE_PROTO_IKE,
			    IKE_DHM_REQUIRE, &sel) ||
	    sel.spi_len != 8 || sel.dh != ike_dh_group(sa->rq.dh) ||
	    m->ke_group != sel.dh ||
	    ike_dh_derive(sa->rq.dh, m->ke.data, m->ke.len, gir, sizeof(gir),
			  &gir_len)) {
		ike_logf(IKE_LOG_INFO,
			 "ike: %s: IKE rekey refused or "
			 "invalid, retrying",
			 sa_name(sa));
		ike_exch_retry_later(&sa->rekey_at, sa->e->now);
		return;
	}
	if (ike_rekeyed(sa, true, sa->rq.new_spi, get64(sel.spi), &sel, gir,
			gir_len, sa->rq.nonce, NONCE_LEN, m->nonce.data,
			m->nonce.len))
		sa->want_del_ike = true;
	ike_crypto_cleanse(gir, sizeof(gir));
}

static bool
rekey_pending(const struct sa *sa, int idx)
{
	return sa->req == REQ_REKEY_CHILD && sa->rq.child == idx;
}

/* The responder's half of a CREATE_CHILD_SA: selection, nonce, KE. */
struct ccs {
	struct ike_sel sel;
	struct ike_msg r; /* the response being built */
	uint8_t nr[NONCE_LEN];
	uint8_t pub[IKE_DH_PUB_MAX];
	uint8_t gir[IKE_DH_SECRET_MAX];
	size_t gir_len;
};

/*
 * Checks the KE against the selected group, computes g^ir when there is
 * one, and starts the response (SA, Nr, [KEr]). Returns false when an
 * error notify was sent instead.
 */
static bool
ccs_keys(struct sa *sa, const struct ike_msg *m, struct ccs *x)
{
	struct ike_dh *dh = NULL;
	size_t pub_len = 0;
	uint8_t grp[2];
	uint16_t g = x->sel.dh;

	if (g && (!(m->present & IKE_HAS(IKE_PL_KE)) || m->ke_group != g)) {
		put16(grp, g);
		sa->e->st.invalid_ke_sent++;
		ike_sa_respond_notify(sa, m, IKE_N_INVALID_KE_PAYLOAD, grp, 2);
		return false;
	}
	if (g && (ike_dh_create(g, &dh) ||
		  ike_dh_public(dh, x->pub, sizeof(x->pub), &pub_len) ||
		  ike_dh_derive(dh, m->ke.data, m->ke.len, x->gir,
				sizeof(x->gir), &x->gir_len))) {
		ike_dh_destroy(dh);
		ike_sa_respond_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
		return false;
	}
	ike_dh_destroy(dh);
	ike_random(x->nr, sizeof(x->nr));
	memset(&x->r, 0, sizeof(x->r));
	x->r.present |= IKE_HAS(IKE_PL_SA) | IKE_HAS(IKE_PL_NONCE);
	x->r.nonce.data = x->nr;
	x->r.nonce.len = sizeof(x->nr);
	if (g) {
		x->r.present |= IKE_HAS(IKE_PL_KE);
		x->r.ke_group = g;
		x->r.ke.data = x->pub;
		x->r.ke.len = (uint16_t)pub_len;
	}
	return true;
}

/*
 * Responder: makes child c of conn from the selection in x (our new SPI,
 * keys from the exchange's nonces and g^ir; 'replaces': the rekeyed SA's
 * inbound SPI or 0) and sends the answer (SA, Nr, [KEr], TSi, TSr).
 * false when it could not: NO_ADDITIONAL_SAS was sent instead.
 */
static bool
ccs_child(struct sa *sa, const struct ike_msg *m, struct ccs *x,
	  struct child *c, struct conn *conn, const struct ike_ts_pl *tsi,
	  const struct ike_ts_pl *tsr, uint32_t replaces)
{
	memset(c, 0, sizeof(*c));
	c->conn = conn;
	c->sel = x->sel;
	c->spi_in = new_esp_spi();
	c->spi_out = get32(x->sel.spi);
	c->we_initiated = false;
	c->ts_l = *tsr;
	c->ts_r = *tsi;
	if (ike_sa_child_create(sa, c, x->sel.dh ? x->gir : NULL, x->gir_len,
				m->nonce.data, m->nonce.len, x->nr,
				sizeof(x->nr), replaces)) {
		c->state = CH_FREE;
		ike_sa_respond_notify(sa, m, IKE_N_NO_ADDITIONAL_SAS, NULL, 0);
		return false;
	}
	put32(x->sel.spi, c->spi_in);
	ike_conf_answer(&x->sel, &x->r.sa);
	x->r.tsi = *tsi;
	x->r.tsr = *tsr;
	x->r.present |= IKE_HAS(IKE_PL_TSI) | IKE_HAS(IKE_PL_TSR);
	ike_sa_respond(sa, m, &x->r);
	return true;
}

/* IKE SA rekey, responder (section 1.3.2). */
static void
rekey_ike_request(struct sa *sa, const struct ike_msg *m, struct ccs *x)
{
	const struct ike_conn_config *cfg = &sa->conn->cfg;
	uint64_t spi_r;
	int i;

	/* Not while one of our requests is in flight: its answer must still
	 * find its children on this SA; a colliding IKE rekey is refused
	 * too (see ike_sa.c). */
	if (sa->req != REQ_NONE || sa->state != SA_ESTABLISHED) {
		ike_sa_respond_notify(sa, m, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	if (ike_conf_select(cfg->ike, cfg->n_ike, &m->sa, IKE_PROTO_IKE,
			    IKE_DHM_REQUIRE, &x->sel) ||
	    x->sel.spi_len != 8) {
		ike_sa_respond_notify(sa, m, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (!ccs_keys(sa, m, x))
		return;
	spi_r = ike_sa_new_spi(sa->e);
	if (!ike_rekeyed(sa, false, get64(x->sel.spi), spi_r, &x->sel, x->gir,
			 x->gir_len, m->nonce.data, m->nonce.len, x->nr,
			 sizeof(x->nr))) {
		ike_sa_respond_notify(sa, m, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	for (i = 0; i < 8; i++)
		x->sel.spi[i] = (uint8_t)(spi_r >> (56 - 8 * i));
	ike_conf_answer(&x->sel, &x->r.sa);
	ike_sa_respond(sa, m, &x->r);
}

/* Child SA rekey, responder (section 1.3.3). */
static void
rekey_child_request(struct sa *sa, const struct ike_msg *m,
		    const struct ike_notify *rk, struct ccs *x)
{
	struct ike_engine *e = sa->e;
	const struct ike_conn_config *cfg;
	struct ike_ts_pl tsi, tsr;
	struct child *old, *c;
	int slot;

	if (rk->proto != IKE_PROTO_ESP || rk->spi_len != 4 ||
	    !(old = ike_sa_child_by_spi_out(sa, get32(rk->spi))) ||
	    old->state == CH_REKEYED) {
		ike_sa_respond_notify(sa, m, IKE_N_CHILD_SA_NOT_FOUND, NULL, 0);
		return;
	}
	if (old->state == CH_REKEYING ||
	    rekey_pending(sa, (int)(old - sa->ch))) {
		/* A collision with our own rekey (see ike_sa.c). */
		ike_sa_respond_notify(sa, m, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	cfg = &old->conn->cfg;
	if (ike_conf_select(cfg->esp, cfg->n_esp, &m->sa, IKE_PROTO_ESP,
			    IKE_DHM_CFG, &x->sel)) {
		ike_sa_respond_notify(sa, m, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (!(m->present & IKE_HAS(IKE_PL_TSI)) ||
	    !(m->present & IKE_HAS(IKE_PL_TSR)) ||
	    ike_conf_narrow(&m->tsi, &old->conn->ts_r, &tsi) ||
	    ike_conf_narrow(&m->tsr, &old->conn->ts_l, &tsr)) {
		ike_sa_respond_notify(sa, m, IKE_N_TS_UNACCEPTABLE, NULL, 0);
		return;
	}
	slot = ike_sa_child_slot(sa);
	if (slot < 0) {
		ike_sa_respond_notify(sa, m, IKE_N_NO_ADDITIONAL_SAS, NULL, 0);
		return;
	}
	if (!ccs_keys(sa, m, x))
		return;
	c = &sa->ch[slot];
	if (!ccs_child(sa, m, x, c, old->conn, &tsi, &tsr, old->spi_in))
		return;
	/* The initiator deletes the old SA; expire it if it does not. */
	old->state = CH_REKEYED;
	old->want_rekey = false;
	old->rekey_at = UINT64_MAX;
	old->expire_at = e->now + REKEYED_LINGER_MS;
	e->st.child_rekeys++;
	ike_sa_emit(e, IKE_EV_CHILD_REKEYED, sa, IKE_R_NONE, c);
}

/*
 * An additional child SA, responder: the request is for another
 * connection to the same peer (or the SA's own, when it has lost its
 * child). The first connection that fits the SA (ike_sa_conn_fits()), has
 * no child yet, narrows the selectors and takes the proposal gets it;
 * else the most telling refusal, counted and logged.
 */
static void
new_child_request(struct sa *sa, const struct ike_msg *m, struct ccs *x)
{
	struct ike_engine *e = sa->e;
	struct ike_ts_pl tsi, tsr;
	struct conn *conn = NULL;
	bool busy = false, ts_bad = false, prop_bad = false;
	const char *why;
	uint16_t err;
	struct child *c;
	int i, slot;

	if (!(m->present & IKE_HAS(IKE_PL_TSI)) ||
	    !(m->present & IKE_HAS(IKE_PL_TSR))) {
		ike_sa_respond_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	for (i = 0; i < MAX_CONNS; i++) {
		struct conn *k = e->conns[i];

		if (!k || !ike_sa_conn_fits(sa, k))
			continue;
		if (ike_sa_conn_has_child(e, k)) {
			busy = true;
			continue;
		}
		if (ike_conf_narrow(&m->tsi, &k->ts_r, &tsi) ||
		    ike_conf_narrow(&m->tsr, &k->ts_l, &tsr)) {
			ts_bad = true;
			continue;
		}
		if (ike_conf_select(k->cfg.esp, k->cfg.n_esp, &m->sa,
				    IKE_PROTO_ESP, IKE_DHM_CFG, &x->sel)) {
			prop_bad = true;
			continue;
		}
		conn = k;
		break;
	}
	slot = ike_sa_child_slot(sa);
	if (!conn || slot < 0) {
		if (conn) {
			err = IKE_N_NO_ADDITIONAL_SAS;
			why = "no room for another child on this IKE SA";
		} else if (prop_bad) {
			err = IKE_N_NO_PROPOSAL_CHOSEN;
			why = "no ESP proposal of a connection that fits";
		} else if (ts_bad) {
			err = IKE_N_TS_UNACCEPTABLE;
			why = "the selectors fit no connection without a child";
		} else {
			err = IKE_N_NO_ADDITIONAL_SAS;
			why = busy ? "every connection that fits has its child"
				   : "no other connection to this peer";
		}
		e->st.child_refused++;
		ike_logf_rl(IKE_LOG_WARN,
			    "ike: %s: refused an additional child SA: %s",
			    sa_name(sa), why);
		ike_sa_respond_notify(sa, m, err, NULL, 0);
		return;
	}
	if (!ccs_keys(sa, m, x))
		return;
	c = &sa->ch[slot];
	if (!ccs_child(sa, m, x, c, conn, &tsi, &tsr, 0))
		return;
	conn->want_child = false;
	conn->reason = IKE_R_NONE;
	e->st.child_up++;
	e->st.child_added++;
	ike_logf(IKE_LOG_INFO, "ike: %s: child SA on the IKE SA of %s",
		 conn->cfg.name, sa_name(sa));
	ike_sa_emit(e, IKE_EV_CHILD_UP, sa, IKE_R_NONE, c);
}

static void
create_child_request(struct sa *sa, const struct ike_msg *m)
{
	const struct ike_notify *rk = ike_msg_find_notify(m, IKE_N_REKEY_SA);
	struct ccs x;

	if (!(m->present & IKE_HAS(IKE_PL_SA)) ||
	    !(m->present & IKE_HAS(IKE_PL_NONCE))) {
		ike_sa_respond_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	memset(&x, 0, sizeof(x));
	if (m->sa.n_props && m->sa.props[0].proto == IKE_PROTO_IKE)
		rekey_ike_request(sa, m, &x);
	else if (rk)
		rekey_child_request(sa, m, rk, &x);
	else
		new_child_request(sa, m, &x);
	ike_crypto_cleanse(&x, sizeof(x));
}

/* INFORMATIONAL. */

void
ike_exch_delete_children(struct sa *sa)
{
	struct ike_msg m;
	int i;

	memset(&m, 0, sizeof(m));
	m.exchange = IKE_EXCH_INFORMATIONAL;
	m.n_delete = 1;
	m.del[0].proto = IKE_PROTO_ESP;
	m.del[0].spi_len = 4;
	sa->rq.n_del = 0;
	for (i = 0; i < MAX_CHILD; i++) {
		struct child *c = &sa->ch[i];

		if (c->state != CH_FREE && c->want_delete) {
			c->want_delete = false;
			m.del[0].spi[m.del[0].n_spi++] = c->spi_in;
			sa->rq.del_spi[sa->rq.n_del++] = c->spi_in;
		}
	}
	for (i = 0; i < sa->n_del_pending; i++)
		m.del[0].spi[m.del[0].n_spi++] = sa->del_pending[i];
	sa->n_del_pending = 0;
	ike_sa_request(sa, REQ_DEL_CHILD, &m);
}

void
ike_exch_delete_ike(struct sa *sa)
{
	struct ike_msg m;

	sa->want_del_ike = false;
	memset(&m, 0, sizeof(m));
	m.exchange = IKE_EXCH_INFORMATIONAL;
	m.n_delete = 1;
	m.del[0].proto = IKE_PROTO_IKE;
	ike_sa_request(sa, REQ_DEL_IKE, &m);
}

static void
info_request(struct sa *sa, const struct ike_msg *m)
{
	struct ike_msg r;
	uint8_t i;
	uint16_t j;
	int k;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < m->n_delete; i++) {
		const struct ike_delete *d = &m->del[i];

		if (d->proto == IKE_PROTO_IKE) {
			ike_sa_respond(sa, m, &r);
			if (sa->state != SA_REKEYED)
				ike_logf(IKE_LOG_INFO,
					 "ike: %s: peer deleted "
					 "the IKE SA",
					 sa_name(sa));
			ike_sa_down(sa, sa->down_reason ? sa->down_reason
							: IKE_R_PEER_DELETED);
			return;
		}
		if (d->proto != IKE_PROTO_ESP)
			continue;
		for (j = 0; j < d->n_spi; j++) {
			struct child *c =
				ike_sa_child_by_spi_out(sa, d->spi[j]);
			struct ike_delete *o = &r.del[0];

			if (!c)
				continue;
			if (r.n_delete == 0) {
				r.n_delete = 1;
				o->proto = IKE_PROTO_ESP;
				o->spi_len = 4;
			}
			if (o->n_spi < IKE_MAX_DELETE_SPI)
				o->spi[o->n_spi++] = c->spi_in;
			k = (int)(c - sa->ch);
			if (rekey_pending(sa, k))
				sa->rq.child = -1;
			ike_sa_child_remove(sa, c, c->state != CH_REKEYED,
					    IKE_R_PEER_DELETED);
		}
	}
	ike_sa_respond(sa, m, &r);
}

static void
info_response(struct sa *sa, enum req_kind kind)
{
	uint8_t i;
	int k;

	if (kind == REQ_DEL_IKE) {
		ike_sa_down(sa, sa->state == SA_REKEYED ? IKE_R_NONE
				: sa->down_reason	? sa->down_reason
							: IKE_R_LOCAL_DELETE);
		return;
	}
	if (kind != REQ_DEL_CHILD)
		return;
	for (i = 0; i < sa->rq.n_del; i++)
		for (k = 0; k < MAX_CHILD; k++)
			if (sa->ch[k].state != CH_FREE &&
			    sa->ch[k].spi_in == sa->rq.del_spi[i])
				ike_sa_child_remove(sa, &sa->ch[k],
						    sa->ch[k].state !=
							    CH_REKEYED,
						    IKE_R_LOCAL_DELETE);
}

/* Dispatch. */

void
ike_exch_request(struct sa *sa, const struct ike_msg *m)
{
	switch (m->exchange) {
	case IKE_EXCH_AUTH:
		if (sa->state != SA_INIT_RCVD)
			break;
		auth_request(sa, m);
		return;
	case IKE_EXCH_CREATE_CHILD_SA:
		if (sa->state != SA_ESTABLISHED && sa->state != SA_REKEYED)
			break;
		if (sa->state == SA_REKEYED) {
			ike_sa_respond_notify(sa, m, IKE_N_TEMPORARY_FAILURE,
					      NULL, 0);
			return;
		}
		create_child_request(sa, m);
		return;
	case IKE_EXCH_INFORMATIONAL:
		if (sa->state != SA_ESTABLISHED && sa->state != SA_REKEYED)
			break;
		info_request(sa, m);
		return;
	default:
		break;
	}
	ike_sa_drop(sa->e, IKE_ERR_UNKNOWN_EXCHANGE, &sa->remote);
}

void
ike_exch_response(struct sa *sa, const struct ike_msg *m, const uint8_t *raw,
		  size_t raw_len)
{
	enum req_kind kind = sa->req;

	if (kind == REQ_INIT) {
		init_response(sa, m, raw, raw_len);
		return;
	}
	sa->req = REQ_NONE;
	sa->my_mid++;
	switch (kind) {
	case REQ_AUTH:
		auth_response(sa, m);
		break;
	case REQ_REKEY_CHILD:
		if (sa->rq.child >= 0)
			rekey_child_response(sa, m);
		break;
	case REQ_REKEY_IKE:
		rekey_ike_response(sa, m);
		break;
	case REQ_NEW_CHILD:
		new_child_response(sa, m);
		break;
	default:
		info_response(sa, kind);
		break;
	}
	ike_dh_destroy(sa->rq.dh);
	sa->rq.dh = NULL;
}
