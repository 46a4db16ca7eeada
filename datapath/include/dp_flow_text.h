/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_flow_text.h: a readable text syntax for flow rules, one rule a line,
 * in the spirit of ovs-ofctl, used by sluicectl (add-flows, dump-flows,
 * trace) and by tests. The syntax is described in docs/protocol.md; in
 * short:
 *
 *   table=0,priority=100,cookie=0x10,in_port=1,tcp,nw_src=10.0.0.0/24,
 *     tp_dst=80,actions=set_field:02:00:00:00:00:02->eth_dst,output:2
 *
 * Match fields are the dp_field_info() names plus the aliases dl_src,
 * dl_dst, dl_type, dl_vlan, icmp_type, icmp_code, arp_spa, arp_tpa and
 * arp_op, each as value or value/mask (IPv4 and IPv6 also /prefix-length);
 * shorthands ip, ipv6, arp, tcp, udp, icmp, tcp6, udp6, icmp6, esp.
 * Tokens are separated by commas or white space; '#' starts a comment.
 * The formatter writes the same syntax, so format and parse round-trip.
 *
 * Pure functions over caller buffers, except dp_flow_text_parse_all which
 * allocates its result. Not for the hot path.
 */
#ifndef SLUICE_DP_FLOW_TEXT_H
#define SLUICE_DP_FLOW_TEXT_H

#include <stddef.h>

#include "dp_flow.h"

/* Enough for any formatted rule with counters. */
enum { DP_FLOW_TEXT_MAX = 4096 };

/*
 * Parse one line into *out (zeroed first). Returns 1 when a rule was
 * parsed, 0 for a blank or comment-only line, -EINVAL with err as
 * "column C: near 'TOKEN': what was expected". The rule is also checked
 * with dp_rule_validate(). n_packets= and n_bytes= (as written by the
 * formatter for dumps) are accepted and ignored.
 */
int dp_flow_text_parse(const char *line, struct dp_rule *out, char *err,
		       size_t err_len);

/*
 * Parse a match only (a "flow spec" for trace or packet-out: fields and
 * shorthands, no table, priority, cookie or actions). Returns 0 or
 * -EINVAL with err as above.
 */
int dp_flow_text_parse_match(const char *s, struct dp_key *match,
			     struct dp_key *mask, char *err, size_t err_len);

/*
 * Parse a whole text (one rule a line). On success *rules and *lines
 * (the 1-based line number of each rule) are new arrays of *n entries,
 * caller frees both (either may be NULL when *n is 0). On failure returns
 * -EINVAL with err as "line L, column C: ...", or -ENOMEM; nothing is
 * returned.
 */
int dp_flow_text_parse_all(const char *text, struct dp_rule **rules,
			   unsigned **lines, size_t *n, char *err,
			   size_t err_len);

/*
 * Format a rule in the parse syntax; with st non-NULL, n_packets and
 * n_bytes follow the cookie. Returns the length written (buf is always
 * NUL-terminated) or -ENOSPC when len is too small.
 */
int dp_flow_text_format(const struct dp_rule *r, const struct dp_rule_stats *st,
			char *buf, size_t len);

/* Format a masked match only ("" for the empty match). Same returns. */
int dp_flow_text_format_match(const struct dp_key *match,
			      const struct dp_key *mask, char *buf, size_t len);

/* Format an action list ("drop" for the empty list). Same returns. */
int dp_flow_text_format_actions(const struct dp_action *acts, unsigned n,
				char *buf, size_t len);

/*
 * Format a packet's key: every field that is not zero, plus in_port and
 * eth_type, in the match syntax. Same returns.
 */
int dp_flow_text_format_key(const struct dp_key *key, char *buf, size_t len);

#endif /* SLUICE_DP_FLOW_TEXT_H */
