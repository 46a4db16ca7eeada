/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vpn_model.h: the Neutron VPNaaS resources (ikepolicies, ipsecpolicies,
 * vpnservices, endpoint-groups, ipsec-site-connections) as validated JSON
 * documents. A create or update body is checked against the kind's
 * attribute table (unknown, read-only and fixed-after-create attributes
 * are a 400), merged over the stored object (update) or the defaults
 * (create), and every value is validated on its own: algorithm names,
 * lifetimes (seconds, >= 60), dpd (timeout > interval), CIDRs, MTU, the
 * peer_cidrs-or-endpoint-groups rule. Algorithms that Neutron knows but
 * Sluice's IKEv2 engine (vpnaas/) cannot do, IKEv1 and aggressive mode
 * are refused with a 400 that names them.
 *
 * The result is the object's full API JSON document, which vpn_store.c
 * keeps and the API returns. The pre-shared key is not part of any
 * document: the decoder hands it back separately.
 *
 * Checks that need other objects (references exist, the router has a
 * gateway, in use on delete) are the service layer's (vpn_api.c).
 *
 * Concurrency: none (pure functions over caller-owned data).
 */
#ifndef SLUICE_VPN_MODEL_H
#define SLUICE_VPN_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "ipam.h"
#include "model.h"

enum vpn_kind {
	VPN_IKEPOLICY,
	VPN_IPSECPOLICY,
	VPN_SERVICE,
	VPN_EPG,
	VPN_CONN,
	VPN_KIND_COUNT,
};

#define VPN_PSK_MAX 255	    /* bytes of a pre-shared key */
#define VPN_CIDRS_MAX 4	    /* peer_cidrs / endpoints (engine limit) */
#define VPN_PROPOSAL_MAX 96 /* chars of a proposal string */

/* URL collection ("ikepolicies") and JSON key ("ikepolicy") of kind. */
const char *vpn_kind_plural(enum vpn_kind k);
const char *vpn_kind_singular(enum vpn_kind k);
/* Kind of a collection name. 0 or -ENOENT. */
int vpn_kind_from_plural(const char *plural, enum vpn_kind *out);

/* True if name is a top-level attribute of kind (filters, fields). */
bool vpn_model_is_attribute(enum vpn_kind k, const char *name);

/*
 * Decode and validate body (the inner object of a POST or PUT, borrowed).
 * old is NULL for a create, else the stored document the update applies
 * to. On success *out is a new reference to the full document: for a
 * create without "id"/"project_id" (the caller sets them), with defaults
 * filled in and read-only attributes at their initial values. For a
 * connection, psk (VPN_PSK_MAX + 1 bytes) receives the key when the body
 * has one (*has_psk); the caller zeroes it. 0, or -EINVAL with err set
 * (400).
 */
int vpn_model_decode(enum vpn_kind k, const json_t *body, const json_t *old,
		     json_t **out, char *psk, bool *has_psk,
		     struct ctl_err *err);

/*
 * The strongSwan-style proposal (vpnaas ike_proposal_parse syntax) of a
 * stored ikepolicy (is_esp false) or ipsecpolicy (is_esp true) document,
 * e.g. "aes128-sha256-modp2048" or "aes256gcm16-modp2048". 0, or -EINVAL
 * when the document holds something the engine cannot do.
 */
int vpn_model_proposal(const json_t *policy, bool is_esp, char *buf,
		       size_t len);

/* Lifetime in seconds of a stored policy document. */
unsigned vpn_model_lifetime(const json_t *policy);

/* Parse a CIDR into p (host bits may be set for endpoints: masked). */
int vpn_model_cidr(const char *s, struct ctl_prefix *p);

#endif /* SLUICE_VPN_MODEL_H */
