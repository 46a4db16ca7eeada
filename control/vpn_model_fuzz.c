// SPDX-License-Identifier: BSD-2-Clause
/*
 * vpn_model_fuzz.c: libFuzzer target for the VPNaaS request decoding and
 * validation (vpn_model.h). The input is a request body, parsed as JSON
 * like vpn_api.c does; every object found under a kind's singular key (or
 * the body itself, for every kind) is decoded as a create and, when that
 * succeeds, decoded again as an update of the result with the same body
 * (which must succeed too: a valid create body is a valid update unless it
 * names create-only attributes), and the proposal builder runs over
 * policies. Decoding must never crash, leak or accept a document the
 * proposal builder then rejects.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpn_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
vpn_fuzz_one(enum vpn_kind k, const json_t *obj)
{
	char psk[VPN_PSK_MAX + 1], prop[VPN_PROPOSAL_MAX];
	struct ctl_err err;
	json_t *doc = NULL, *upd = NULL;
	bool has_psk;

	if (vpn_model_decode(k, obj, NULL, &doc, psk, &has_psk, &err) != 0)
		return;
	if (json_object_get(doc, "psk") != NULL)
		abort(); /* the key never enters a document */
	if ((k == VPN_IKEPOLICY || k == VPN_IPSECPOLICY) &&
	    vpn_model_proposal(doc, k == VPN_IPSECPOLICY, prop, sizeof(prop)) !=
		    0)
		abort();
	vpn_model_decode(k, obj, doc, &upd, psk, &has_psk, &err);
	json_decref(upd);
	json_decref(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size,
				  JSON_REJECT_DUPLICATES, NULL);
	unsigned k;

	if (body == NULL)
		return 0;
	for (k = 0; k < VPN_KIND_COUNT; k++) {
		const json_t *inner =
			json_object_get(body, vpn_kind_singular(k));

		vpn_fuzz_one(k, inner != NULL ? inner : body);
	}
	json_decref(body);
	return 0;
}
