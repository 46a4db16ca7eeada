/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_flow_text_test.c: the rule text syntax (dp_flow_text.h): parsing of
 * every field kind and action, format/parse round trips (fixed lines and
 * random rules), error messages naming line, column and token, and frame
 * synthesis from a flow spec (dp_frame.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dp_flow_text.h"
#include "dp_frame.h"

static void
parse_ok(const char *line, struct dp_rule *r)
{
	char err[256] = "";
	int rc = dp_flow_text_parse(line, r, err, sizeof(err));

	if (rc != 1)
		fail_msg("parse '%s': rc %d: %s", line, rc, err);
}

static void
test_parse_example(void **state)
{
	struct dp_rule r;
	static const uint8_t dst[6] = {2, 0, 0, 0, 0, 1};
	static const uint8_t newdst[6] = {2, 0, 0, 0, 0, 2};

	(void)state;
	parse_ok("table=0,priority=100,cookie=0x10,in_port=1,ip,"
		 "nw_src=10.0.0.0/24,tcp,tp_dst=80,dl_dst=02:00:00:00:00:01,"
		 "actions=set_field:02:00:00:00:00:02->eth_dst,dec_ttl,"
		 "output:2",
		 &r);
	assert_int_equal(r.table, 0);
	assert_int_equal(r.priority, 100);
	assert_int_equal(r.cookie, 0x10);
	assert_int_equal(r.match.in_port, 1);
	assert_int_equal(r.mask.in_port, 0xffffffffu);
	assert_int_equal(r.match.eth_type, htons(0x0800));
	assert_int_equal(r.match.nw_proto, 6);
	assert_int_equal(r.match.nw_src, htonl(0x0a000000));
	assert_int_equal(r.mask.nw_src, htonl(0xffffff00));
	assert_int_equal(r.match.tp_dst, htons(80));
	assert_memory_equal(r.match.eth_dst, dst, 6);
	assert_int_equal(r.n_actions, 3);
	assert_int_equal(r.actions[0].type, DP_ACT_SET_FIELD);
	assert_int_equal(r.actions[0].u.set.field, DP_F_ETH_DST);
	assert_memory_equal(r.actions[0].u.set.value, newdst, 6);
	assert_int_equal(r.actions[1].type, DP_ACT_DEC_TTL);
	assert_int_equal(r.actions[2].type, DP_ACT_OUTPUT);
	assert_int_equal(r.actions[2].u.port, 2);
}

static void
test_parse_fields(void **state)
{
	struct dp_rule r;
	uint8_t v6[16], m6[16];

	(void)state;
	/* Value/mask integers, host-order fields, VLAN alias, IPv6. */
	parse_ok("priority=5 metadata=0x10/0xf0 reg0=7 ct_zone=9 "
		 "dl_vlan=100 ipv6 ipv6_dst=fe80::1/64 tp_src=0x100/0xff00 "
		 "actions=drop",
		 &r);
	assert_int_equal(r.match.metadata, 0x10);
	assert_int_equal(r.mask.metadata, 0xf0);
	assert_int_equal(r.match.reg0, 7);
	assert_int_equal(r.match.ct_zone, 9);
	assert_int_equal(r.match.vlan_tci, htons(0x1000 | 100));
	assert_int_equal(r.mask.vlan_tci, htons(0x1fff));
	assert_int_equal(r.match.eth_type, htons(0x86dd));
	inet_pton(AF_INET6, "fe80::1", v6);
	inet_pton(AF_INET6, "ffff:ffff:ffff:ffff::", m6);
	memset(v6 + 8, 0, 8);
	assert_memory_equal(r.match.ipv6_dst, v6, 16);
	assert_memory_equal(r.mask.ipv6_dst, m6, 16);
	assert_int_equal(r.match.tp_src, htons(0x100));
	assert_int_equal(r.mask.tp_src, htons(0xff00));
	assert_int_equal(r.n_actions, 1);
	assert_int_equal(r.actions[0].type, DP_ACT_DROP);

	/* Value is masked as OVS does: 10.0.0.7/24 is 10.0.0.0/24. */
	parse_ok("nw_dst=10.0.0.7/255.255.255.0,actions=output:in_port", &r);
	assert_int_equal(r.match.nw_dst, htonl(0x0a000000));
	assert_int_equal(r.actions[0].u.port, DP_PORT_IN_PORT);

	/* Aliases and MAC masks. */
	parse_ok("arp,arp_op=1,arp_tpa=10.0.0.1,dl_src=02:00:00:00:00:00/"
		 "ff:ff:00:00:00:00,actions=arp_reply:02:aa:bb:cc:dd:ee,"
		 "output:in_port",
		 &r);
	assert_int_equal(r.match.eth_type, htons(0x0806));
	assert_int_equal(r.match.nw_proto, 1);
	assert_int_equal(r.mask.eth_src[1], 0xff);
	assert_int_equal(r.mask.eth_src[2], 0);
	assert_int_equal(r.actions[0].type, DP_ACT_ARP_REPLY);
	assert_int_equal(r.actions[0].u.mac[5], 0xee);

	/* A comment or a blank line is not a rule. */
	assert_int_equal(dp_flow_text_parse("  # just a comment", &r, NULL, 0),
			 0);
	assert_int_equal(dp_flow_text_parse("", &r, NULL, 0), 0);
	parse_ok("udp,tp_dst=53,actions=output:3 # trailing comment", &r);
	assert_int_equal(r.n_actions, 1);
}

static void
test_parse_actions(void **state)
{
	struct dp_rule r;
	const struct dp_act_vxlan *vx;

	(void)state;
	parse_ok("table=1,priority=1,actions=push_vlan:10,pop_vlan,"
		 "vxlan_encap(eth_src=02:00:00:00:00:01,eth_dst=02:00:00:00:"
		 "00:02,ip_src=192.0.2.1,ip_dst=192.0.2.2,vni=5000,"
		 "udp_dst=4790,ttl=9),vxlan_decap,set_field:10.1.1.1->nw_src,"
		 "set_field:8080->tp_dst,controller:7,punt:3,controller,"
		 "output:controller,goto_table:5",
		 &r);
	assert_int_equal(r.n_actions, 11);
	assert_int_equal(r.actions[0].type, DP_ACT_PUSH_VLAN);
	assert_int_equal(r.actions[0].u.tci, htons(10));
	assert_int_equal(r.actions[1].type, DP_ACT_POP_VLAN);
	assert_int_equal(r.actions[2].type, DP_ACT_VXLAN_ENCAP);
	vx = &r.actions[2].u.vxlan;
	assert_int_equal(vx->vni, 5000);
	assert_int_equal(vx->udp_dst, htons(4790));
	assert_int_equal(vx->ttl, 9);
	assert_int_equal(vx->ip_dst, htonl(0xc0000202));
	assert_int_equal(r.actions[3].type, DP_ACT_VXLAN_DECAP);
	assert_int_equal(r.actions[4].u.set.field, DP_F_NW_SRC);
	assert_int_equal(r.actions[5].u.set.field, DP_F_TP_DST);
	assert_memory_equal(r.actions[5].u.set.value, "\x1f\x90", 2);
	assert_int_equal(r.actions[6].type, DP_ACT_PUNT);
	assert_int_equal(r.actions[6].u.reason, 7);
	assert_int_equal(r.actions[7].u.reason, 3);
	assert_int_equal(r.actions[8].type, DP_ACT_PUNT);
	assert_int_equal(r.actions[9].type, DP_ACT_OUTPUT);
	assert_int_equal(r.actions[9].u.port, DP_PORT_CONTROLLER);
	assert_int_equal(r.actions[10].type, DP_ACT_GOTO_TABLE);
	assert_int_equal(r.actions[10].u.table, 5);
}

/* parse -> format -> parse gives the same rule and the same text. */
static void
roundtrip(const char *line)
{
	struct dp_rule a, b;
	struct dp_rule_stats st = {12, 3456};
	char t1[DP_FLOW_TEXT_MAX], t2[DP_FLOW_TEXT_MAX];

	parse_ok(line, &a);
	assert_true(dp_flow_text_format(&a, NULL, t1, sizeof(t1)) > 0);
	parse_ok(t1, &b);
	if (memcmp(&a, &b, sizeof(a)) != 0)
		fail_msg("round trip changed the rule: '%s' -> '%s'", line, t1);
	assert_true(dp_flow_text_format(&b, NULL, t2, sizeof(t2)) > 0);
	assert_string_equal(t1, t2);
	/* With counters (dump-flows output) it still parses the same. */
	assert_true(dp_flow_text_format(&a, &st, t2, sizeof(t2)) > 0);
	assert_non_null(strstr(t2, "n_packets=12,n_bytes=3456"));
	parse_ok(t2, &b);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void
test_roundtrip_lines(void **state)
{
	static const char *lines[] = {
		"table=0,priority=100,cookie=0x10,in_port=1,ip,"
		"nw_src=10.0.0.0/24,tcp,tp_dst=80,dl_dst=02:00:00:00:00:01,"
		"actions=set_field:02:00:00:00:00:02->eth_dst,dec_ttl,output:2",
		"priority=1,actions=drop",
		"udp6,ipv6_src=2001:db8::/32,ipv6_dst=::1,tp_src=53,"
		"actions=output:in_port",
		"icmp,icmp_type=8,icmp_code=0,nw_ttl=64,nw_tos=4,"
		"actions=controller:9",
		"icmp6,actions=punt:0",
		"esp,esp_spi=0x1000,actions=goto_table:3",
		"ip,nw_proto=47,nw_frag=0x1/0x1,actions=output:4",
		"ip,nw_dst=10.0.0.0/255.0.255.0,actions=output:4",
		"dl_type=0x88cc,actions=drop",
		"vlan_tci=0x1064/0x1fff,eth_src=02:00:00:00:00:00/"
		"ff:ff:ff:00:00:00,actions=pop_vlan,output:2",
		"tun_id=5000,tun_src=192.0.2.1,tun_dst=192.0.2.2,metadata=0x7,"
		"reg0=0x1/0xff,reg1=0x2,ct_state=0x2/0x6,ct_zone=3,"
		"ct_mark=0x55,tcp_flags=0x2/0x12,actions=vxlan_decap,"
		"goto_table:9",
		"arp,arp_sha=02:00:00:00:00:09,arp_tha=00:00:00:00:00:00,"
		"actions=arp_reply:02:00:00:00:00:01,output:in_port",
		"ipv6,nw_proto=58,tp_src=135,ipv6_dst=ff02::1:ff00:1,"
		"actions=nd_reply(02:00:00:00:00:01),output:in_port",
		"table=7,actions=vxlan_encap(eth_src=02:00:00:00:00:01,"
		"eth_dst=02:00:00:00:00:02,ip_src=192.0.2.1,ip_dst=192.0.2.2,"
		"vni=16777215,udp_dst=4789,ttl=3,tos=8),output:1",
		"table=63,priority=4294967295,cookie=0xffffffffffffffff,"
		"actions=push_vlan:4095,set_field:2001:db8::5->ipv6_dst,"
		"set_field:0x12345678->reg1,output:65520",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		roundtrip(lines[i]);
}

/* Random canonical rules survive format -> parse bit for bit. */
static void
random_bytes(uint8_t *p, size_t n, unsigned *seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rand_r(seed);
}

static void
random_rule(struct dp_rule *r, unsigned *seed)
{
	uint8_t *mv = (uint8_t *)&r->match, *mm = (uint8_t *)&r->mask;

	memset(r, 0, sizeof(*r));
	r->table = (uint8_t)(rand_r(seed) % (DP_TABLES_MAX - 1));
	r->priority = (uint32_t)rand_r(seed);
	r->cookie = (uint64_t)rand_r(seed) << 32 | (uint64_t)rand_r(seed);
	for (int f = 0; f < DP_F__COUNT; f++) {
		const struct dp_field_info *fi = dp_field_info(f);

		switch (rand_r(seed) % 4) {
		case 0:
			continue;
		case 1:
			memset(mm + fi->offset, 0xff, fi->size);
			break;
		default:
			random_bytes(mm + fi->offset, fi->size, seed);
			break;
		}
		random_bytes(mv + fi->offset, fi->size, seed);
		for (unsigned i = 0; i < fi->size; i++)
			mv[fi->offset + i] &= mm[fi->offset + i];
	}
	r->n_actions = (uint8_t)(1 + rand_r(seed) % DP_ACTIONS_MAX);
	for (unsigned i = 0; i < r->n_actions; i++) {
		struct dp_action *a = &r->actions[i];
		const struct dp_field_info *fi;
		int f;

		switch (rand_r(seed) % 8) {
		case 0:
			a->type = DP_ACT_OUTPUT;
			a->u.port = 1 + (uint32_t)rand_r(seed) % DP_PORT_MAX;
			break;
		case 1:
			do
				f = rand_r(seed) % DP_F__COUNT;
			while (!dp_field_info(f)->is_settable);
			fi = dp_field_info(f);
			a->type = DP_ACT_SET_FIELD;
			a->u.set.field = (uint16_t)f;
			random_bytes(a->u.set.value, fi->size, seed);
			break;
		case 2:
			a->type = DP_ACT_PUSH_VLAN;
			a->u.tci = htons((uint16_t)(rand_r(seed) & 0xefff));
			break;
		case 3:
			a->type = DP_ACT_PUNT;
			a->u.reason = (uint32_t)rand_r(seed);
			break;
		case 4:
			a->type = DP_ACT_VXLAN_ENCAP;
			random_bytes((uint8_t *)&a->u.vxlan, sizeof(a->u.vxlan),
				     seed);
			a->u.vxlan.vni &= 0xffffff;
			break;
		case 5:
			a->type = DP_ACT_ARP_REPLY;
			random_bytes(a->u.mac, 6, seed);
			break;
		default:
			a->type =
				(uint16_t)(rand_r(seed) % 2 ? DP_ACT_DEC_TTL
							    : DP_ACT_POP_VLAN);
			break;
		}
	}
	if (rand_r(seed) % 2) {
		r->actions[r->n_actions - 1].type = DP_ACT_GOTO_TABLE;
		memset(&r->actions[r->n_actions - 1].u, 0,
		       sizeof(r->actions[0].u));
		r->actions[r->n_actions - 1].u.table =
			r->table + 1 +
			(uint32_t)rand_r(seed) % (DP_TABLES_MAX - 1 - r->table);
	}
}

static void
test_roundtrip_random(void **state)
{
	unsigned seed = 12345;
	struct dp_rule a, b;
	char text[DP_FLOW_TEXT_MAX], err[256];

	(void)state;
	for (int i = 0; i < 5000; i++) {
		random_rule(&a, &seed);
		assert_int_equal(dp_rule_validate(&a, err, sizeof(err)), 0);
		assert_true(dp_flow_text_format(&a, NULL, text, sizeof(text)) >
			    0);
		if (dp_flow_text_parse(text, &b, err, sizeof(err)) != 1)
			fail_msg("rule %d: '%s': %s", i, text, err);
		if (memcmp(&a, &b, sizeof(a)) != 0)
			fail_msg("rule %d changed: '%s'", i, text);
	}
}

static void
expect_error(const char *line, const char *want)
{
	struct dp_rule r;
	char err[256] = "";

	assert_int_equal(dp_flow_text_parse(line, &r, err, sizeof(err)),
			 -EINVAL);
	if (strstr(err, want) == NULL)
		fail_msg("'%s': error '%s' lacks '%s'", line, err, want);
}

static void
test_parse_errors(void **state)
{
	(void)state;
	expect_error("in_port=1,nw_srx=1.2.3.4,actions=drop",
		     "column 11: near 'nw_srx=1.2.3.4': unknown field");
	expect_error("in_port=1", "expected actions=");
	expect_error("in_port=1,actions=", "expected at least one action");
	expect_error("nw_src=1.2.3.400,actions=drop",
		     "expected an IPv4 address for nw_src");
	expect_error("nw_src=1.2.3.4/33,actions=drop", "prefix length 33");
	expect_error("tp_dst=70000,actions=drop",
		     "value 70000 does not fit tp_dst (16 bits)");
	expect_error("eth_dst=02:00:00:00:00,actions=drop",
		     "expected a MAC address");
	expect_error("ipv6_src=fe80::zz,actions=drop",
		     "expected an IPv6 address");
	expect_error("tcp,udp,actions=drop", "nw_proto is already matched");
	expect_error("tcpp,actions=drop", "unknown shorthand");
	expect_error("in_port,actions=drop", "in_port needs =value");
	expect_error("table=64,actions=drop", "table 64 out of range");
	expect_error("actions=output:0", "expected a port number");
	expect_error("actions=outptu:1", "near 'outptu:1': unknown action");
	expect_error("actions=set_field:1->in_port", "in_port cannot be set");
	expect_error("actions=set_field:1->nope", "unknown field");
	expect_error("actions=set_field:1", "expected set_field:VALUE->FIELD");
	expect_error("actions=set_field:1.2.3.4/8->nw_src", "no mask allowed");
	expect_error("actions=vxlan_encap(vni=1", "missing ')'");
	expect_error("actions=vxlan_encap(vni=1)",
		     "needs eth_src, eth_dst, ip_src");
	expect_error("actions=vxlan_encap(vni=1,color=red)",
		     "unknown vxlan_encap key");
	expect_error("actions=drop:3", "takes no argument");
	expect_error("actions=goto_table:2,output:1",
		     "invalid rule: action 0: goto_table must be the last");
	expect_error("table=3,actions=goto_table:2",
		     "goto_table 2 must be after table 3");
	expect_error("actions=drop,output:1", "drop must be the only action");
	expect_error("actions=push_vlan:0x1001", "without 0x1000");
	expect_error("actions=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17",
		     "unknown action");
	expect_error("actions=dec_ttl,dec_ttl,dec_ttl,dec_ttl,dec_ttl,"
		     "dec_ttl,dec_ttl,dec_ttl,dec_ttl,dec_ttl,dec_ttl,dec_ttl,"
		     "dec_ttl,dec_ttl,dec_ttl,dec_ttl,dec_ttl",
		     "more than 16 actions");
}

static void
test_parse_all(void **state)
{
	const char *text = "# header comment\n"
			   "\n"
			   "priority=1,actions=output:1\n"
			   "   \n"
			   "priority=2,ip,actions=output:2\n";
	const char *bad = "priority=1,actions=output:1\n"
			  "# ok\n"
			  "priority=2,ip,nw_dst=10.0.0.256,actions=output:2\n";
	struct dp_rule *rules;
	unsigned *lines;
	size_t n;
	char err[256];

	(void)state;
	assert_int_equal(dp_flow_text_parse_all(text, &rules, &lines, &n, err,
						sizeof(err)),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal(lines[0], 3);
	assert_int_equal(lines[1], 5);
	assert_int_equal(rules[1].priority, 2);
	free(rules);
	free(lines);
	assert_int_equal(dp_flow_text_parse_all(bad, &rules, &lines, &n, err,
						sizeof(err)),
			 -EINVAL);
	assert_null(rules);
	if (strstr(err, "line 3, column 22: near '10.0.0.256': expected "
			"an IPv4 address for nw_dst") == NULL)
		fail_msg("error: %s", err);
}

static void
test_format_small_buffer(void **state)
{
	struct dp_rule r;
	char buf[16];

	(void)state;
	parse_ok("tcp,nw_src=10.0.0.1,actions=output:1", &r);
	assert_int_equal(dp_flow_text_format(&r, NULL, buf, sizeof(buf)),
			 -ENOSPC);
	assert_true(strlen(buf) < sizeof(buf));
}

static uint16_t
csum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void
test_frame_from_spec(void **state)
{
	struct dp_key k, m;
	uint8_t f[DP_FRAME_BUILD_MAX];
	char err[256], text[512];
	size_t len;
	uint32_t ph;

	(void)state;
	assert_int_equal(dp_flow_text_parse_match("udp,nw_src=10.0.0.1,"
						  "nw_dst=10.0.0.2,tp_dst=53",
						  &k, &m, err, sizeof(err)),
			 0);
	assert_int_equal(dp_frame_build(&k, f, sizeof(f), &len), 0);
	assert_int_equal(len, 60); /* 14 + 20 + 16, padded */
	assert_int_equal(f[12], 0x08);
	assert_int_equal(f[13], 0x00);
	assert_int_equal(f[14], 0x45);
	assert_int_equal(f[14 + 8], 64); /* default TTL */
	assert_int_equal(f[14 + 9], 17);
	assert_int_equal(csum(f + 14, 20, 0), 0xffff); /* IPv4 checksum */
	assert_int_equal(f[34 + 2], 0);
	assert_int_equal(f[34 + 3], 53);
	/* UDP checksum with the pseudo-header verifies. */
	ph = csum(f + 26, 8, 0) + 17 + 16;
	assert_int_equal(csum(f + 34, 16, ph), 0xffff);

	/* ARP and VLAN; the key formatter names the fields. */
	assert_int_equal(dp_flow_text_parse_match("arp,dl_vlan=7,"
						  "arp_tpa=10.0.0.9",
						  &k, &m, err, sizeof(err)),
			 0);
	assert_int_equal(dp_frame_build(&k, f, sizeof(f), &len), 0);
	assert_int_equal(len, 60);
	assert_int_equal(f[12], 0x81);
	assert_int_equal(f[15], 7);
	assert_int_equal(f[16], 0x08);
	assert_int_equal(f[17], 0x06);
	assert_int_equal(f[18 + 7], 1); /* request */
	assert_int_equal(f[18 + 27], 9);
	assert_true(dp_flow_text_format_key(&k, text, sizeof(text)) > 0);
	assert_non_null(strstr(text, "arp"));
	assert_non_null(strstr(text, "nw_dst=10.0.0.9"));
	assert_non_null(strstr(text, "in_port=0"));

	/* A match spec refuses actions and meta fields. */
	assert_int_equal(dp_flow_text_parse_match("tcp,actions=drop", &k, &m,
						  err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(dp_frame_build(&k, f, 10, &len), -ENOSPC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_example),
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_actions),
		cmocka_unit_test(test_roundtrip_lines),
		cmocka_unit_test(test_roundtrip_random),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_all),
		cmocka_unit_test(test_format_small_buffer),
		cmocka_unit_test(test_frame_from_spec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
