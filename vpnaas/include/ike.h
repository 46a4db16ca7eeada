/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ike.h: the IKEv2 engine (RFC 7296), initiator and responder, with PSK
 * authentication, NAT traversal (RFC 3948 encapsulation ports and the
 * non-ESP marker), child and IKE SA rekeying, dead peer detection and
 * delete. The engine owns no socket and no clock: the caller feeds it UDP
 * payloads with their addresses and the current time, asks it when its next
 * timer is due, and gets datagrams to send, child SAs to install or remove
 * and events through the callbacks of struct ike_ops. sluice-ike
 * (ike_main.c) drives it over real UDP sockets; the control daemon will
 * drive it from its event loop and wire the child SA callbacks to the
 * datapath's ESP SAs.
 *
 * Concurrency: an engine is single-threaded; callbacks are called from
 * within the engine calls and must not re-enter the engine.
 * Secrets (PSKs, keys) are copied into the engine, zeroed on release and
 * never logged; the keys passed to child_install are valid only during the
 * call.
 */
#ifndef IKE_H
#define IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike_crypto.h"
#include "ike_msg.h"

/* An IP address and UDP port; family is AF_INET or AF_INET6. */
struct ike_addr {
	uint8_t family;
	uint8_t ip[16]; /* network order, first 4 bytes for IPv4 */
	uint16_t port;	/* host order */
};

/* A CIDR, e.g. 10.1.0.0/24. */
struct ike_cidr {
	uint8_t family;
	uint8_t ip[16];
	uint8_t prefix;
};

#define IKE_PROP_ALGS 4

/*
 * One proposal as algorithm lists: any listed encryption with any listed
 * integrity, PRF (IKE only) and DH group. For ESP, dh lists the PFS groups
 * (empty: no PFS). AEAD and non-AEAD ciphers are not mixed in one proposal.
 */
struct ike_proposal_cfg {
	uint8_t n_encr, n_integ, n_prf, n_dh;
	struct ike_cipher encr[IKE_PROP_ALGS]; /* integ field unused */
	uint16_t integ[IKE_PROP_ALGS];
	uint16_t prf[IKE_PROP_ALGS];
	uint16_t dh[IKE_PROP_ALGS];
};

enum ike_dpd_action {
	IKE_DPD_CLEAR,	 /* remove the child SAs, connection down */
	IKE_DPD_HOLD,	 /* as clear; owner re-initiates on traffic */
	IKE_DPD_RESTART, /* remove and initiate again at once */
};

#define IKE_MAX_PROPS_CFG 4
#define IKE_MAX_CIDRS 4
#define IKE_PSK_MAX 256

/* A connection (one Neutron ipsec-site-connection). */
struct ike_conn_config {
	char name[32];
	struct ike_addr local; /* port: the IKE port, usually 500 */
	struct ike_addr peer;  /* port: the peer's IKE port */
	bool peer_any;	       /* responder: accept any peer address */
	struct ike_id local_id, peer_id;
	uint8_t psk[IKE_PSK_MAX];
	uint16_t psk_len;
	uint8_t n_ike, n_esp;
	struct ike_proposal_cfg ike[IKE_MAX_PROPS_CFG];
	struct ike_proposal_cfg esp[IKE_MAX_PROPS_CFG];
	uint32_t ike_lifetime_s; /* hard; rekey starts before */
	uint32_t child_lifetime_s;
	uint32_t dpd_interval_s; /* 0: no DPD */
	uint32_t dpd_timeout_s;
	enum ike_dpd_action dpd_action;
	uint8_t n_local_ts, n_peer_ts;
	struct ike_cidr local_ts[IKE_MAX_CIDRS];
	struct ike_cidr peer_ts[IKE_MAX_CIDRS];
	bool responder_only;
	bool force_encap; /* fake NAT-D so UDP 4500 is used */
};

/* Engine-wide settings; zero fields take the defaults given. */
struct ike_engine_config {
	uint16_t natt_port;	       /* 4500 */
	uint32_t cookie_threshold;     /* COOKIE from the Nth half-open SA
					* on: 32 (1: always) */
	uint32_t retransmit_base_ms;   /* 2000, doubled each time */
	uint8_t retransmit_tries;      /* 5 retransmissions, then give up */
	uint32_t half_open_timeout_ms; /* 30000 */
	uint32_t keepalive_s;	       /* NAT-T keepalive: 20 */
};

/* A child SA to install in (or remove from) the datapath. */
struct ike_child_info {
	uint32_t conn_id;
	const char *conn_name;
	uint32_t spi_in, spi_out; /* host order */
	struct ike_cipher cipher;
	bool esn;
	uint16_t pfs_group; /* 0: none */
	/* Valid only during install; NULL for remove. */
	const uint8_t *enc_key_in, *enc_key_out;
	const uint8_t *integ_key_in, *integ_key_out;
	size_t enc_key_len, integ_key_len; /* enc includes AEAD salt */
	struct ike_ts_pl ts_local, ts_remote;
	uint32_t lifetime_soft_s, lifetime_hard_s;
	struct ike_addr local, remote; /* outer addresses and ports */
	bool encap;		       /* ESP in UDP on those ports */
	uint32_t replaces_spi_in;      /* rekey: the SA this one replaces */
	/* Rekey as responder: the initiator installs its new inbound SA
	 * only when it has our response, so new traffic stays on the old
	 * SA until that one is removed (the initiator's DELETE, or its
	 * expiry): RFC 7296 2.8 leaves the responder no earlier sign. */
	bool defer_out;
	uint16_t mtu; /* outer packet limit for the datapath (0: none); the
		       * engine leaves it 0, its owner sets it */
};

enum ike_event_type {
	IKE_EV_IKE_UP,
	IKE_EV_IKE_REKEYED,
	IKE_EV_IKE_DOWN,
	IKE_EV_CHILD_UP,
	IKE_EV_CHILD_REKEYED,
	IKE_EV_CHILD_DOWN,
	IKE_EV_CHILD_FAILED,
};

/* Why a connection or SA went down or failed. */
enum ike_reason {
	IKE_R_NONE,
	IKE_R_AUTH_FAILED,	/* the peer's AUTH did not verify */
	IKE_R_PEER_AUTH_FAILED, /* the peer refused our AUTH */
	IKE_R_NO_PROPOSAL,
	IKE_R_TS_UNACCEPTABLE,
	IKE_R_ID_MISMATCH,
	IKE_R_TIMEOUT,	 /* no answer to IKE_SA_INIT/IKE_AUTH */
	IKE_R_PEER_DEAD, /* DPD or retransmission gave up */
	IKE_R_PEER_DELETED,
	IKE_R_LOCAL_DELETE,
	IKE_R_EXPIRED,
	IKE_R_REPLACED,
	IKE_R_INTERNAL,
	IKE_R__COUNT
};

const char *ike_reason_name(enum ike_reason r);
const char *ike_event_name(enum ike_event_type t);

struct ike_event {
	enum ike_event_type type;
	uint32_t conn_id;
	const char *conn_name;
	enum ike_reason reason;
	enum ike_dpd_action action; /* for IKE_R_PEER_DEAD */
	uint64_t spi_i, spi_r;
	uint32_t child_spi_in, child_spi_out;
};

struct ike_ops {
	/* Sends a UDP payload (non-ESP marker included when needed). */
	void (*send)(void *arg, const uint8_t *data, size_t len,
		     const struct ike_addr *local,
		     const struct ike_addr *remote);
	/* Installs a child SA; 0 or -errno (the SA is then deleted). */
	int (*child_install)(void *arg, const struct ike_child_info *ci);
	void (*child_remove)(void *arg, const struct ike_child_info *ci);
	void (*event)(void *arg, const struct ike_event *ev);
	void *arg;
};

struct ike_stats {
	uint64_t rx, tx, retransmits, dup_requests;
	uint64_t drops[IKE_ERR__COUNT]; /* by enum ike_msg_err */
	uint64_t cookies_sent, invalid_ke_sent, invalid_ke_rcvd;
	uint64_t auth_failures, keepalives;
	uint64_t ike_up, child_up, child_rekeys, ike_rekeys, dpd_dead;
	/* Additional child SAs (CREATE_CHILD_SA without REKEY_SA): made as
	 * responder, refused as responder (no connection fits; the reason is
	 * logged), and asked for as initiator and refused by the peer. */
	uint64_t child_added, child_refused, child_join_refused;
};

enum ike_conn_state {
	IKE_CONN_DOWN,
	IKE_CONN_CONNECTING,
	IKE_CONN_UP, /* IKE SA and at least one child SA up */
};

struct ike_conn_status {
	enum ike_conn_state state;
	enum ike_reason reason; /* last failure, IKE_R_NONE if none */
	uint64_t spi_i, spi_r;
	bool natt;
	uint8_t n_children;
	uint32_t child_spi_in[4], child_spi_out[4];
};

struct ike_engine;

/* Creates an engine. ops is copied. 0, -EINVAL or -ENOMEM. */
int ike_engine_create(const struct ike_engine_config *cfg,
		      const struct ike_ops *ops, struct ike_engine **out);

/* Frees the engine and cleanses all keys; no callbacks. Accepts NULL. */
void ike_engine_destroy(struct ike_engine *e);

/*
 * Adds a connection (config copied, PSK included); *id gets its id.
 * Returns 0, -EINVAL (bad config) or -ENOMEM.
 */
int ike_engine_conn_add(struct ike_engine *e, const struct ike_conn_config *cfg,
			uint32_t *id);

/*
 * Deletes a connection's SAs (sending Delete) and forgets it. On an IKE
 * SA other connections use, only its child SAs are deleted.
 */
int ike_engine_conn_del(struct ike_engine *e, uint32_t id, uint64_t now_ms);

/*
 * Starts IKE_SA_INIT for the connection, or, when an IKE SA of another
 * connection with the same gateways, IDs and PSK is there, asks for its
 * child SA on that one (CREATE_CHILD_SA). 0, -ENOENT, -EALREADY, -EPERM.
 */
int ike_engine_initiate(struct ike_engine *e, uint32_t id, uint64_t now_ms);

/* Starts a rekey of the connection's child SAs / IKE SA now. */
int ike_engine_rekey_child(struct ike_engine *e, uint32_t id, uint64_t now_ms);
int ike_engine_rekey_ike(struct ike_engine *e, uint32_t id, uint64_t now_ms);

/*
 * Sends Delete for the connection's IKE SA (and so its children); for its
 * child SAs only while other connections use the IKE SA.
 */
int ike_engine_terminate(struct ike_engine *e, uint32_t id, uint64_t now_ms);

/*
 * Feeds one received UDP payload. 'local' is the address and port it was
 * received on; on the NAT-T port the non-ESP marker is expected and
 * stripped, keepalives are ignored, other datagrams (ESP) are counted as
 * IKE_ERR_NOT_IKE. Bad messages are dropped, counted and logged.
 */
void ike_engine_input(struct ike_engine *e, const uint8_t *data, size_t len,
		      const struct ike_addr *local,
		      const struct ike_addr *remote, uint64_t now_ms);

/* Runs the timers due at now_ms. */
void ike_engine_tick(struct ike_engine *e, uint64_t now_ms);

/* Time of the next timer in ms, UINT64_MAX when none. */
uint64_t ike_engine_next_timer(const struct ike_engine *e);

void ike_engine_stats(const struct ike_engine *e, struct ike_stats *st);

/* 0 or -ENOENT. */
int ike_engine_conn_status(const struct ike_engine *e, uint32_t id,
			   struct ike_conn_status *st);

/*
 * Parses a strongSwan-style proposal list, e.g.
 * "aes128gcm16-prfsha256-ecp256,aes256-sha256-modp2048", into at most
 * 'max' proposals. is_esp: integrity names are ESP integrity only and DH
 * groups mean PFS. Returns 0 or -EINVAL.
 */
int ike_proposal_parse(const char *s, bool is_esp, struct ike_proposal_cfg *out,
		       uint8_t max, uint8_t *n);

/* Logging: level 0 error, 1 warn, 2 info, 3 debug. */
enum ike_log_level {
	IKE_LOG_ERR,
	IKE_LOG_WARN,
	IKE_LOG_INFO,
	IKE_LOG_DEBUG,
};

/*
 * Sets where log lines go (default: stderr, up to IKE_LOG_INFO). The line
 * has no trailing newline. Process-wide; set before creating engines.
 */
void ike_log_set(void (*sink)(enum ike_log_level lvl, const char *line),
		 enum ike_log_level max);

#endif /* IKE_H */
