/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline_fuzz.c: libFuzzer target for the packet parser and the whole
 * pipeline behind it. Each input is a frame: it is traced, then run
 * through a worker on one of three ingress ports whose rules exercise
 * every packet action (set_field with checksums, dec_ttl, VLAN push/pop,
 * VXLAN encap and decap, ARP reply, clones, punt; lb_select on port 4,
 * IPv4 to pool 1 and IPv6 to pool 2, and its replies and ICMP errors
 * through ct(nat) on port 5). Seeds are under
 * fuzz-corpus/parse/ (gen_parse_cases.py).
 */
#include <stdint.h>
#include <stdlib.h>

#include "pl_lb.h"
#include "pl_test_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tu fz;
static struct dp_trace *fz_trace;

static void
set_act(struct dp_rule *r, enum dp_field f, uint32_t v)
{
	struct dp_action *a = tu_act(r, DP_ACT_SET_FIELD);

	a->u.set.field = (uint16_t)f;
	memset(a->u.set.value, 0x5a, sizeof(a->u.set.value));
	memcpy(a->u.set.value, &v,
	       dp_field_info(f)->size < 4 ? dp_field_info(f)->size : 4);
}

static void
fuzz_init(void)
{
	struct dp_rule r[10];
	struct dp_lb_member6 m6[2];
	struct dp_lb_member m[3];
	struct dp_lb_pool p;
	struct dp_action *a;
	char err[256];

	if (tu_setup(&fz, 256, 0) < 0)
		abort();
	fz_trace = malloc(sizeof(*fz_trace));
	if (fz_trace == NULL)
		abort();
	tu_rule(&r[0], 0, 10, 0);
	r[0].mask.in_port = UINT32_MAX;
	r[0].match.in_port = 1;
	set_act(&r[0], DP_F_NW_SRC, htonl(0xc0a80001));
	set_act(&r[0], DP_F_TP_SRC, htons(999));
	set_act(&r[0], DP_F_IPV6_DST, 0x01020304);
	set_act(&r[0], DP_F_NW_TTL, 7);
	tu_act(&r[0], DP_ACT_OUTPUT)->u.port = 5;
	tu_act(&r[0], DP_ACT_DEC_TTL);
	tu_act(&r[0], DP_ACT_PUSH_VLAN)->u.tci = htons(42);
	tu_act(&r[0], DP_ACT_GOTO_TABLE)->u.table = 1;
	tu_rule(&r[1], 0, 10, 0);
	r[1].mask.in_port = UINT32_MAX;
	r[1].match.in_port = 2;
	tu_act(&r[1], DP_ACT_VXLAN_DECAP);
	tu_act(&r[1], DP_ACT_GOTO_TABLE)->u.table = 2;
	tu_rule(&r[2], 0, 10, 0);
	r[2].mask.in_port = UINT32_MAX;
	r[2].match.in_port = 3;
	tu_act(&r[2], DP_ACT_ARP_REPLY)->u.mac[0] = 2;
	tu_act(&r[2], DP_ACT_OUTPUT)->u.port = DP_PORT_IN_PORT;
	tu_rule(&r[3], 1, 1, 0);
	tu_act(&r[3], DP_ACT_POP_VLAN);
	a = tu_act(&r[3], DP_ACT_VXLAN_ENCAP);
	a->u.vxlan.ip_src = htonl(0xc0000201);
	a->u.vxlan.ip_dst = htonl(0xc0000202);
	a->u.vxlan.vni = 77;
	tu_act(&r[3], DP_ACT_OUTPUT)->u.port = 3;
	tu_act(&r[3], DP_ACT_PUNT)->u.reason = 1;
	tu_rule(&r[4], 2, 1, 4);
	tu_act(&r[4], DP_ACT_OUTPUT)->u.port = DP_PORT_CONTROLLER;
	tu_rule(&r[5], 2, 5, 6);
	r[5].mask.tun_id = UINT32_MAX;
	r[5].match.tun_id = 5001;
	/* lb_select: port 4 to pool 1, replies on port 5, table 3 out. */
	tu_rule(&r[6], 0, 10, 0);
	r[6].mask.in_port = UINT32_MAX;
	r[6].match.in_port = 4;
	a = tu_act(&r[6], DP_ACT_LB_SELECT);
	a->u.lb.pool = 1;
	a->u.lb.zone = 9;
	a->u.lb.table = 3;
	tu_rule(&r[7], 0, 10, 0);
	r[7].mask.in_port = UINT32_MAX;
	r[7].match.in_port = 5;
	a = tu_act(&r[7], DP_ACT_CT);
	a->u.ct.zone = 9;
	a->u.ct.flags = DP_CT_NAT;
	a->u.ct.table = 3;
	tu_rule(&r[8], 3, 1, 7);
	tu_rule(&r[9], 0, 20, 0);
	r[9].mask.in_port = UINT32_MAX;
	r[9].match.in_port = 4;
	r[9].mask.eth_type = UINT16_MAX;
	r[9].match.eth_type = htons(0x86dd);
	a = tu_act(&r[9], DP_ACT_LB_SELECT);
	a->u.lb.pool = 2;
	a->u.lb.zone = 9;
	a->u.lb.table = 3;
	if (tu_install(fz.pl, r, 10) < 0)
		abort();
	memset(&p, 0, sizeof(p));
	memset(m, 0, sizeof(m));
	p.id = 1;
	p.alg = DP_LB_SOURCE_IP_PORT;
	p.src_addr = htonl(0xc0a80101);
	p.n_members = 3;
	for (unsigned i = 0; i < 3; i++) {
		m[i].addr = htonl(0xc0a8010a + i);
		m[i].port = htons(8080);
		m[i].weight = (uint16_t)(i + 1);
		m[i].flags = DP_LB_M_UP;
	}
	if (dp_pipeline_lb_set(fz.pl, &p, m, err, sizeof(err)) < 0)
		abort();
	/* Pool 2: IPv6, [2001:db8:2::a/b]:8080 from 2001:db8:1::1. */
	memset(m6, 0, sizeof(m6));
	p.id = 2;
	p.src_addr = 0;
	p.flags = DP_LB_POOL_F_IPV6;
	p.n_members = 2;
	memcpy(p.src_addr6, "\x20\x01\x0d\xb8\0\x01", 6);
	p.src_addr6[15] = 1;
	for (unsigned i = 0; i < 2; i++) {
		memcpy(m6[i].addr, "\x20\x01\x0d\xb8\0\x02", 6);
		m6[i].addr[15] = (uint8_t)(10 + i);
		m6[i].port = htons(8080);
		m6[i].weight = 1;
		m6[i].flags = DP_LB_M_UP;
	}
	if (dp_pipeline_lb_set6(fz.pl, &p, m6, err, sizeof(err)) < 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fz.pl == NULL)
		fuzz_init();
	if (size > 4096)
		return 0;
	(void)dp_pipeline_trace(fz.pl, data, (uint32_t)size, 1, fz_trace);
	for (uint32_t port = 1; port <= 5; port++)
		tu_run(&fz, data, (uint32_t)size, port);
	tu_out_free(&fz.out);
	return 0;
}
