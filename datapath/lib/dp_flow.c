/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_flow.c: the field table and the reference semantics of rules
 * (validation, masking, matching) declared in dp_flow.h. Shared by the
 * pipeline, the protocol codec, the client library and the tests; the
 * classifier is checked against dp_rule_matches().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dp_flow.h"

#define F(n, member, host, settable)                                           \
	[n] = {#member, offsetof(struct dp_key, member),                       \
	       sizeof(((struct dp_key *)0)->member), host, settable}

static const struct dp_field_info fields[DP_F__COUNT] = {
	F(DP_F_IN_PORT, in_port, true, false),
	F(DP_F_METADATA, metadata, true, true),
	F(DP_F_TUN_ID, tun_id, true, true),
	F(DP_F_TUN_SRC, tun_src, false, true),
	F(DP_F_TUN_DST, tun_dst, false, true),
	F(DP_F_ETH_DST, eth_dst, false, true),
	F(DP_F_ETH_SRC, eth_src, false, true),
	F(DP_F_ETH_TYPE, eth_type, false, false),
	F(DP_F_VLAN_TCI, vlan_tci, false, false),
	F(DP_F_NW_SRC, nw_src, false, true),
	F(DP_F_NW_DST, nw_dst, false, true),
	F(DP_F_IPV6_SRC, ipv6_src, false, true),
	F(DP_F_IPV6_DST, ipv6_dst, false, true),
	F(DP_F_TP_SRC, tp_src, false, true),
	F(DP_F_TP_DST, tp_dst, false, true),
	F(DP_F_NW_PROTO, nw_proto, false, false),
	F(DP_F_NW_TOS, nw_tos, false, true),
	F(DP_F_NW_TTL, nw_ttl, false, true),
	F(DP_F_NW_FRAG, nw_frag, false, false),
	F(DP_F_ESP_SPI, esp_spi, false, false),
	F(DP_F_TCP_FLAGS, tcp_flags, true, false),
	F(DP_F_CT_STATE, ct_state, true, false),
	F(DP_F_CT_ZONE, ct_zone, true, true),
	F(DP_F_CT_MARK, ct_mark, true, true),
	F(DP_F_ARP_SHA, arp_sha, false, false),
	F(DP_F_ARP_THA, arp_tha, false, false),
	F(DP_F_REG0, reg0, true, true),
	F(DP_F_REG1, reg1, true, true),
};

#undef F

const struct dp_field_info *
dp_field_info(enum dp_field f)
{
	if ((unsigned)f >= DP_F__COUNT)
		return NULL;
	return &fields[f];
}

int
dp_field_lookup(const char *name)
{
	for (int i = 0; i < DP_F__COUNT; i++)
		if (strcmp(fields[i].name, name) == 0)
			return i;
	return -ENOENT;
}

void
dp_key_mask(struct dp_key *key, const struct dp_key *mask)
{
	uint64_t *k = (uint64_t *)key;
	const uint64_t *m = (const uint64_t *)mask;

	for (int i = 0; i < DP_KEY_WORDS; i++)
		k[i] &= m[i];
}

bool
dp_rule_matches(const struct dp_rule *r, const struct dp_key *key)
{
	const uint64_t *k = (const uint64_t *)key;
	const uint64_t *m = (const uint64_t *)&r->mask;
	const uint64_t *v = (const uint64_t *)&r->match;

	for (int i = 0; i < DP_KEY_WORDS; i++)
		if ((k[i] & m[i]) != (v[i] & m[i]))
			return false;
	return true;
}

/*
 * ct: last action, a later table, known flags; a NAT range (IPv4, min <=
 * max, ports min <= max) only with commit and nat; a mark only with
 * commit.
 */
static int
validate_ct(const struct dp_rule *r, unsigned i, char *err, size_t err_len)
{
	const struct dp_act_ct *ct = &r->actions[i].u.ct;
	const char *why = NULL;

	if (i + 1 != r->n_actions)
		why = "must be the last action";
	else if (ct->table <= r->table || ct->table >= DP_TABLES_MAX)
		why = "table must be after the rule's table and below 64";
	else if (ct->flags & ~(DP_CT_COMMIT | DP_CT_NAT | DP_CT_SET_MARK))
		why = "unknown flags";
	else if (ct->nat_kind > DP_NAT_DST)
		why = "unknown nat kind";
	else if (ct->nat_kind != DP_NAT_NONE &&
		 (ct->flags & (DP_CT_COMMIT | DP_CT_NAT)) !=
			 (DP_CT_COMMIT | DP_CT_NAT))
		why = "a nat range needs commit and nat";
	else if (ct->nat_kind != DP_NAT_NONE && ct->nat_min == 0)
		why = "nat range without an address";
	else if (ct->nat_kind != DP_NAT_NONE && ct->nat_max != 0 &&
		 ntohl(ct->nat_max) < ntohl(ct->nat_min))
		why = "nat address range is reversed";
	else if (ct->port_min == 0 && ct->port_max != 0)
		why = "nat port range without a minimum";
	else if (ct->port_max != 0 && ct->port_max < ct->port_min)
		why = "nat port range is reversed";
	else if (ct->nat_kind == DP_NAT_NONE &&
		 (ct->nat_min | ct->nat_max | ct->port_min | ct->port_max))
		why = "nat range without src or dst";
	else if ((ct->flags & DP_CT_SET_MARK) && !(ct->flags & DP_CT_COMMIT))
		why = "mark needs commit";
	if (why == NULL)
		return 0;
	snprintf(err, err_len, "action %u: ct %s", i, why);
	return -EINVAL;
}

static int
validate_action(const struct dp_rule *r, unsigned i, char *err, size_t err_len)
{
	const struct dp_action *a = &r->actions[i];
	const struct dp_field_info *fi;

	switch (a->type) {
	case DP_ACT_OUTPUT:
		if (a->u.port == DP_PORT_NONE ||
		    (a->u.port > DP_PORT_MAX && a->u.port != DP_PORT_IN_PORT &&
		     a->u.port != DP_PORT_CONTROLLER)) {
			snprintf(err, err_len,
				 "action %u: output to invalid port %u", i,
				 a->u.port);
			return -EINVAL;
		}
		return 0;
	case DP_ACT_DROP:
		if (r->n_actions != 1) {
			snprintf(err, err_len,
				 "action %u: drop must be the only action", i);
			return -EINVAL;
		}
		return 0;
	case DP_ACT_SET_FIELD:
		fi = dp_field_info(a->u.set.field);
		if (fi == NULL || !fi->is_settable) {
			snprintf(err, err_len,
				 "action %u: field %u cannot be set", i,
				 a->u.set.field);
			return -EINVAL;
		}
		return 0;
	case DP_ACT_PUSH_VLAN:
		if ((a->u.tci & htons(DP_VLAN_PRESENT)) != 0) {
			snprintf(err, err_len,
				 "action %u: push_vlan tci has the CFI bit", i);
			return -EINVAL;
		}
		return 0;
	case DP_ACT_POP_VLAN:
	case DP_ACT_DEC_TTL:
	case DP_ACT_VXLAN_DECAP:
	case DP_ACT_PUNT:
	case DP_ACT_ARP_REPLY:
	case DP_ACT_ND_REPLY:
		return 0;
	case DP_ACT_VXLAN_ENCAP:
		if (a->u.vxlan.vni > 0xffffff) {
			snprintf(err, err_len,
				 "action %u: vxlan vni %u over 24 bits", i,
				 a->u.vxlan.vni);
			return -EINVAL;
		}
		return 0;
	case DP_ACT_GOTO_TABLE:
		if (i + 1 != r->n_actions) {
			snprintf(
				err, err_len,
				"action %u: goto_table must be the last action",
				i);
			return -EINVAL;
		}
		if (a->u.table <= r->table || a->u.table >= DP_TABLES_MAX) {
			snprintf(err, err_len,
				 "action %u: goto_table %u must be after table "
				 "%u and below %u",
				 i, a->u.table, r->table, DP_TABLES_MAX);
			return -EINVAL;
		}
		return 0;
	case DP_ACT_ESP_ENCRYPT:
		if (a->u.esp.sa == 0 || a->u.esp.sa > 4095) {
			snprintf(err, err_len,
				 "action %u: esp_encrypt sa %u out of 1..4095",
				 i, a->u.esp.sa);
			return -EINVAL;
		}
		return 0;
	case DP_ACT_ESP_DECRYPT:
		/* Ends the list and continues at its table, like goto. */
		if (i + 1 != r->n_actions) {
			snprintf(err, err_len,
				 "action %u: esp_decrypt must be the last "
				 "action",
				 i);
			return -EINVAL;
		}
		if (a->u.esp.table <= r->table ||
		    a->u.esp.table >= DP_TABLES_MAX) {
			snprintf(err, err_len,
				 "action %u: esp_decrypt table %u must be "
				 "after table %u and below %u",
				 i, a->u.esp.table, r->table, DP_TABLES_MAX);
			return -EINVAL;
		}
		return 0;
	case DP_ACT_CT:
		return validate_ct(r, i, err, err_len);
	case DP_ACT_LB_SELECT:
		/* Ends the list and continues at its table, like ct. */
		if (i + 1 != r->n_actions || a->u.lb.pool == 0 ||
		    a->u.lb.pool > 4095 || a->u.lb.table <= r->table ||
		    a->u.lb.table >= DP_TABLES_MAX) {
			snprintf(
				err, err_len,
				"action %u: lb_select must be the last action, "
				"pool in 1..4095, table after %u and below %u",
				i, r->table, DP_TABLES_MAX);
			return -EINVAL;
		}
		return 0;
	default:
		snprintf(err, err_len, "action %u: unknown action type %u", i,
			 a->type);
		return -EINVAL;
	}
}

int
dp_rule_validate(const struct dp_rule *r, char *err, size_t err_len)
{
	const uint64_t *m = (const uint64_t *)&r->mask;
	const uint64_t *v = (const uint64_t *)&r->match;
	int rc;

	if (r->table >= DP_TABLES_MAX) {
		snprintf(err, err_len, "table %u out of range (max %u)",
			 r->table, DP_TABLES_MAX - 1);
		return -EINVAL;
	}
	if (r->n_actions > DP_ACTIONS_MAX) {
		snprintf(err, err_len, "%u actions, at most %u", r->n_actions,
			 DP_ACTIONS_MAX);
		return -EINVAL;
	}
	for (int i = 0; i < DP_KEY_WORDS; i++) {
		if ((v[i] & ~m[i]) != 0) {
			snprintf(err, err_len,
				 "match word %d has bits outside its mask", i);
			return -EINVAL;
		}
	}
	for (unsigned i = 0; i < r->n_actions; i++) {
		rc = validate_action(r, i, err, err_len);
		if (rc < 0)
			return rc;
	}
	return 0;
}
