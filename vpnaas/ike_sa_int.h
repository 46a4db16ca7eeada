/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ike_sa_int.h: the engine's internal state shared by ike_sa.c (SA table,
 * child SA install/remove, message protection and sending, input dispatch,
 * timers, the public engine calls) and ike_exch.c (the four exchanges as
 * initiator and responder). Not a public header: nothing outside vpnaas/
 * includes it.
 *
 * Concurrency: the engine is single-threaded (see ike.h); nothing here is
 * shared between engines.
 */
#ifndef IKE_SA_INT_H
#define IKE_SA_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ike_priv.h"

#define NONCE_LEN 32
#define INIT_MSG_MAX 2048
#define MAX_CHILD 8 /* of all the connections on one IKE SA */
#define HEADROOM 4  /* for the non-ESP marker */
#define REKEYED_LINGER_MS 30000
#define MAX_CONNS 256

enum sa_state {
	SA_INIT_SENT, /* initiator: waiting IKE_SA_INIT response */
	SA_INIT_RCVD, /* responder: half-open, waiting IKE_AUTH */
	SA_AUTH_SENT, /* initiator: waiting IKE_AUTH response */
	SA_ESTABLISHED,
	SA_REKEYED, /* replaced by a new IKE SA, being deleted */
	SA_DEAD,    /* freed at the end of the current call */
};

enum req_kind {
	REQ_NONE,
	REQ_INIT,
	REQ_AUTH,
	REQ_NEW_CHILD, /* an additional child SA (another connection) */
	REQ_REKEY_CHILD,
	REQ_REKEY_IKE,
	REQ_DPD,
	REQ_DEL_CHILD,
	REQ_DEL_IKE,
};

enum child_state {
	CH_FREE,
	CH_ACTIVE,
	CH_REKEYING, /* our rekey request is outstanding */
	CH_REKEYED,  /* replaced; waiting for its delete */
};

struct child {
	enum child_state state;
	struct conn *conn; /* the connection it belongs to */
	uint32_t spi_in, spi_out;
	struct ike_sel sel;
	bool we_initiated; /* of the exchange that created it */
	bool want_rekey, want_delete, installed;
	uint8_t keymat[4 * IKE_KEY_MAX];
	size_t ek, ak;
	struct ike_ts_pl ts_l, ts_r;
	uint64_t rekey_at, expire_at;
};

struct conn {
	uint32_t id;
	struct ike_conn_config cfg;
	struct ike_ts_pl ts_l, ts_r;
	enum ike_reason reason;
	uint64_t restart_at; /* 0: none */
	/* Its child is to be asked for on a compatible IKE SA of another
	 * connection (CREATE_CHILD_SA) when that SA is established. */
	bool want_child;
	uint16_t pfs_hint; /* group asked by INVALID_KE for that child */
};

/* The state of the outstanding request, what its response completes. */
struct req_ctx {
	int child;	  /* index of the child being rekeyed */
	uint32_t conn_id; /* connection of an additional child */
	uint32_t spi;	  /* new inbound ESP SPI */
	uint64_t new_spi; /* new IKE SPI (IKE rekey) */
	uint8_t nonce[NONCE_LEN];
	struct ike_dh *dh;
	uint8_t n_del;
	uint32_t del_spi[2 * MAX_CHILD];
};

struct sa {
	struct sa *next;
	struct ike_engine *e;
	struct conn *conn;
	enum sa_state state;
	bool orig_init;
	uint64_t spi_i, spi_r;
	struct ike_addr local, remote;
	bool natt, nat_local, nat_remote;
	struct ike_sel sel;
	struct ike_keys keys;
	struct ike_dh *dh;
	uint16_t dh_group;
	uint8_t ni[256], nr[256];
	size_t ni_len, nr_len;
	uint8_t init_i[INIT_MSG_MAX], init_r[INIT_MSG_MAX];
	size_t init_i_len, init_r_len;
	uint8_t cookie[64];
	size_t cookie_len;
	uint8_t n_cookie, n_ke_retry;
	uint32_t my_mid, peer_mid;

	enum req_kind req;
	uint8_t req_buf[HEADROOM + IKE_MSG_MAX];
	size_t req_len;
	uint64_t req_first, req_next;
	uint8_t req_tries;
	struct req_ctx rq;

	bool has_resp;
	uint32_t resp_mid;
	uint8_t resp_buf[HEADROOM + IKE_MSG_MAX];
	size_t resp_len;

	bool want_del_ike, want_rekey_ike, want_dpd;
	uint16_t pfs_hint; /* group asked by INVALID_KE in a rekey */
	struct child ch[MAX_CHILD];
	/* Inbound SPIs of children already removed here (their connection
	 * was deleted) for which the peer still needs a Delete. */
	uint32_t del_pending[MAX_CHILD];
	uint8_t n_del_pending;
	uint64_t last_rx, rekey_at, expire_at, keepalive_at, deadline;
	enum ike_reason down_reason;
};

struct ike_engine {
	struct ike_engine_config cfg;
	struct ike_ops ops;
	struct conn *conns[MAX_CONNS];
	struct sa *sas;
	uint64_t now;
	uint32_t next_id;
	struct ike_stats st;
	uint8_t cookie_secret[32];
};

/* Small helpers. */

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static inline uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static inline size_t
addr_len(const struct ike_addr *a)
{
	return a->family == AF_INET6 ? 16 : 4;
}

static inline bool
addr_eq(const struct ike_addr *a, const struct ike_addr *b)
{
	return a->family == b->family && !memcmp(a->ip, b->ip, addr_len(a));
}

static inline uint32_t
rand32(void)
{
	uint32_t v = 0;

	ike_random(&v, sizeof(v));
	return v;
}

static inline uint64_t
rand64(void)
{
	uint64_t v = 0;

	while (v == 0)
		ike_random(&v, sizeof(v));
	return v;
}

static inline uint32_t
new_esp_spi(void)
{
	uint32_t v;

	do {
		v = rand32();
	} while (v < 256); /* 1-255 are reserved (RFC 4303) */
	return v;
}

static inline const char *
sa_name(const struct sa *sa)
{
	return sa->conn ? sa->conn->cfg.name : "?";
}

/* ike_sa.c: SA and child SA lifecycle, sending. */
void ike_sa_drop(struct ike_engine *e, enum ike_msg_err err,
		 const struct ike_addr *from);
void ike_sa_emit(struct ike_engine *e, enum ike_event_type t, struct sa *sa,
		 enum ike_reason r, const struct child *c);
void ike_sa_emit_conn(struct ike_engine *e, enum ike_event_type t,
		      struct sa *sa, struct conn *conn, enum ike_reason r,
		      const struct child *c);
struct conn *ike_sa_conn_get(const struct ike_engine *e, uint32_t id);
bool ike_sa_conn_fits(const struct sa *sa, const struct conn *c);
bool ike_sa_conn_has_child(const struct ike_engine *e, const struct conn *c);
void ike_sa_del_pending(struct sa *sa, uint32_t spi_in);
void ike_sa_xmit(struct ike_engine *e, const struct ike_addr *l,
		 const struct ike_addr *r, uint8_t *buf, size_t len);
uint64_t ike_sa_soft_ms(uint32_t life_s);
int ike_sa_child_slot(struct sa *sa);
int ike_sa_child_create(struct sa *sa, struct child *c, const uint8_t *gir,
			size_t gir_len, const uint8_t *ni, size_t ni_len,
			const uint8_t *nr, size_t nr_len, uint32_t replaces);
void ike_sa_child_remove(struct sa *sa, struct child *c, bool event,
			 enum ike_reason r);
struct child *ike_sa_child_by_spi_out(struct sa *sa, uint32_t spi);
uint64_t ike_sa_new_spi(struct ike_engine *e);
struct sa *ike_sa_new(struct ike_engine *e, struct conn *c, bool orig_init);
void ike_sa_down(struct sa *sa, enum ike_reason r);
int ike_sa_request(struct sa *sa, enum req_kind kind, struct ike_msg *m);
int ike_sa_respond(struct sa *sa, const struct ike_msg *req, struct ike_msg *m);
void ike_sa_respond_notify(struct sa *sa, const struct ike_msg *req,
			   uint16_t type, const uint8_t *data, uint16_t len);
void ike_sa_send_plain_notify(struct ike_engine *e, const struct ike_msg *req,
			      const struct ike_addr *l,
			      const struct ike_addr *r, uint16_t type,
			      const uint8_t *data, uint16_t len);

/* ike_exch.c: the exchanges. */
void ike_exch_start(struct ike_engine *e, struct conn *c);
void ike_exch_init_request(struct ike_engine *e, const struct ike_msg *m,
			   const uint8_t *raw, size_t raw_len,
			   const struct ike_addr *l, const struct ike_addr *r);
void ike_exch_request(struct sa *sa, const struct ike_msg *m);
void ike_exch_response(struct sa *sa, const struct ike_msg *m,
		       const uint8_t *raw, size_t raw_len);
int ike_exch_rekey_child(struct sa *sa, int idx);
int ike_exch_new_child(struct sa *sa, struct conn *c);
int ike_exch_rekey_ike(struct sa *sa);
void ike_exch_delete_children(struct sa *sa);
void ike_exch_delete_ike(struct sa *sa);
void ike_exch_retry_later(uint64_t *when, uint64_t now);

#endif /* IKE_SA_INT_H */
