/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ike_priv.h: helpers shared by the engine's files, not part of the public
 * API: logging (ike_log.c), proposal selection and traffic selector
 * narrowing (ike_conf.c).
 */
#ifndef IKE_PRIV_H
#define IKE_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "ike.h"

/* Logs one line; rate-limited variant for network-triggered lines. */
void ike_logf(enum ike_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ike_logf_rl(enum ike_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Formats an address as "a.b.c.d:port" into buf (at least 64 bytes). */
const char *ike_addr_str(const struct ike_addr *a, char *buf, size_t len);

/* A selected (single-transform-per-type) proposal. */
struct ike_sel {
	uint8_t num;
	uint8_t proto;
	uint8_t spi_len;
	uint8_t spi[IKE_MAX_SPI];
	struct ike_cipher cipher;
	uint16_t prf; /* IKE only */
	uint16_t dh;  /* 0: none */
	bool esn;
};

/* How DH transforms in an offer are treated by ike_conf_select(). */
enum ike_dh_mode {
	IKE_DHM_REQUIRE, /* IKE SA: a group from cfg must match */
	IKE_DHM_CFG,	 /* rekey: match cfg PFS groups, none if empty */
	IKE_DHM_IGNORE,	 /* IKE_AUTH: DH transforms ignored */
};

/*
 * Picks the first offered proposal of protocol 'proto' that one of the n
 * configured proposals accepts. 0 or -ENOENT.
 */
int ike_conf_select(const struct ike_proposal_cfg *cfg, uint8_t n,
		    const struct ike_sa_pl *offer, uint8_t proto,
		    enum ike_dh_mode dhm, struct ike_sel *sel);

/* Builds our offer from the configured proposals. */
void ike_conf_offer(const struct ike_proposal_cfg *cfg, uint8_t n,
		    uint8_t proto, const uint8_t *spi, uint8_t spi_len,
		    bool with_dh, struct ike_sa_pl *out);

/* Builds the one-proposal answer for a selection. */
void ike_conf_answer(const struct ike_sel *sel, struct ike_sa_pl *out);

/* CIDRs to traffic selectors (all protocols and ports). */
void ike_conf_cidrs_ts(const struct ike_cidr *c, uint8_t n,
		       struct ike_ts_pl *out);

/*
 * Narrows the offered selectors to what 'allowed' permits (pairwise
 * intersections). 0, or -ENOENT when nothing is left.
 */
int ike_conf_narrow(const struct ike_ts_pl *offer,
		    const struct ike_ts_pl *allowed, struct ike_ts_pl *out);

/* True when every selector of 'got' lies inside one of 'allowed'. */
bool ike_conf_ts_subset(const struct ike_ts_pl *got,
			const struct ike_ts_pl *allowed);

#endif /* IKE_PRIV_H */
