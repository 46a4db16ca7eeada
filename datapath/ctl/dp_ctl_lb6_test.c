/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_ctl_lb6_test.c: IPv6 load-balancer pools through the client library
 * and the protocol server (dp_ctl_testsrv.h): dp_client_lb_set6 and
 * dp_client_lb_stats6 round trips, an IPv4 and an IPv6 pool side by side
 * (the IPv4-only stats walk skips the IPv6 one, the IPv6 walk shows the
 * IPv4 members as ::ffff:a.b.c.d), a bad member's message coming back
 * through dp_client_error(), dp_client_lb_set refusing the IPv6 flag, and
 * a raw LB_POOL_SET whose IPv6 members do not add up refused by the codec.
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

#include "dp_client.h"
#include "dp_ctl.h"
#include "dp_ctl_testsrv.h"
#include "dp_proto_codec.h"

static struct dp_client *
client(struct dp_ctl_testsrv *e)
{
	struct dp_client *c = dp_ctl_testsrv_client(e);

	assert_non_null(c);
	return c;
}

static void
pool6(struct dp_lb_pool *p, struct dp_lb_member6 *m, unsigned n)
{
	memset(p, 0, sizeof(*p));
	memset(m, 0, n * sizeof(*m));
	p->id = 6;
	p->alg = DP_LB_SOURCE_IP_PORT;
	p->n_members = n;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1::1", p->src_addr6), 1);
	for (unsigned i = 0; i < n; i++) {
		char a[64];

		snprintf(a, sizeof(a), "2001:db8:2::%x", 10 + i);
		assert_int_equal(inet_pton(AF_INET6, a, m[i].addr), 1);
		m[i].port = htons(8080);
		m[i].weight = (uint16_t)(1 + i);
		m[i].flags = DP_LB_M_UP;
	}
}

struct seen {
	unsigned n4, n6;
	uint32_t ids[4];
	uint8_t flags[4];
	struct dp_lb_member6_stats ms[4][4];
};

static int
visit4(const struct dp_lb_pool_stats *ps, const struct dp_lb_member_stats *ms,
       void *arg)
{
	struct seen *s = arg;

	(void)ms;
	if (s->n4 < 4)
		s->ids[s->n4] = ps->id;
	s->n4++;
	return 0;
}

static int
visit6(const struct dp_lb_pool_stats *ps, const struct dp_lb_member6_stats *ms,
       void *arg)
{
	struct seen *s = arg;

	if (s->n6 < 4) {
		s->ids[s->n6] = ps->id;
		s->flags[s->n6] = ps->flags;
		memcpy(s->ms[s->n6], ms,
		       (ps->n_members < 4 ? ps->n_members : 4) * sizeof(*ms));
	}
	s->n6++;
	return 0;
}

static void
test_set_stats(void **state)
{
	struct dp_ctl_testsrv *e = *state;
	struct dp_client *c = client(e);
	struct dp_lb_member6 m6[2];
	struct dp_lb_member m4 = {0};
	struct dp_lb_pool p, q;
	uint8_t want[16];
	struct seen s;

	pool6(&p, m6, 2);
	p.flags = 0; /* lb_set6 sets it */
	assert_int_equal(dp_client_lb_set6(c, &p, m6), 0);
	/* An IPv4 pool beside it. */
	memset(&q, 0, sizeof(q));
	q.id = 4;
	q.alg = DP_LB_ROUND_ROBIN;
	q.src_addr = htonl(0xc0a80101);
	q.n_members = 1;
	m4.addr = htonl(0xc0a8010a);
	m4.port = htons(80);
	m4.weight = 1;
	m4.flags = DP_LB_M_UP;
	assert_int_equal(dp_client_lb_set(c, &q, &m4), 0);

	/* The IPv4 walk: pool 4 only. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(dp_client_lb_stats(c, 0, visit4, &s), 0);
	assert_int_equal(s.n4, 1);
	assert_int_equal(s.ids[0], 4);
	memset(&s, 0, sizeof(s));
	assert_int_equal(dp_client_lb_stats(c, 6, visit4, &s), 0);
	assert_int_equal(s.n4, 0);

	/* The IPv6 walk: both, by id. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(dp_client_lb_stats6(c, 0, visit6, &s), 0);
	assert_int_equal(s.n6, 2);
	assert_int_equal(s.ids[0], 4);
	assert_int_equal(s.flags[0], 0);
	assert_int_equal(inet_pton(AF_INET6, "::ffff:192.168.1.10", want), 1);
	assert_memory_equal(s.ms[0][0].m.addr, want, 16);
	assert_int_equal(ntohs(s.ms[0][0].m.port), 80);
	assert_int_equal(s.ms[0][0].table_entries, 65537);
	assert_int_equal(s.ids[1], 6);
	assert_int_equal(s.flags[1], DP_LB_POOL_F_IPV6);
	assert_memory_equal(s.ms[1][1].m.addr, m6[1].addr, 16);
	assert_int_equal(s.ms[1][1].m.weight, 2);
	assert_int_equal(s.ms[1][0].table_entries + s.ms[1][1].table_entries,
			 65537);

	/* Deleted like any pool. */
	assert_int_equal(dp_client_lb_del(c, 6), 0);
	assert_int_equal(dp_client_lb_stats6(c, 6, visit6, &s), -ENOENT);
	dp_client_close(c);
}

static void
test_refused(void **state)
{
	struct dp_ctl_testsrv *e = *state;
	struct dp_client *c = client(e);
	struct dp_lb_member6 m6[2];
	struct dp_lb_pool p;
	uint8_t body[sizeof(p) + 2 * sizeof(m6[0])];
	struct dp_buf b = {0};
	struct dp_msg_hdr h;
	char err[256];

	pool6(&p, m6, 2);
	m6[1].weight = 999;
	assert_int_equal(dp_client_lb_set6(c, &p, m6), -EINVAL);
	assert_non_null(strstr(dp_client_error(c),
			       "member 1 ([2001:db8:2::b]:8080): weight 999"));
	m6[1].weight = 1;
	/* The IPv4 call with the flag: refused locally. */
	p.flags = DP_LB_POOL_F_IPV6;
	assert_int_equal(dp_client_lb_set(c, &p, NULL), -EINVAL);
	assert_non_null(strstr(dp_client_error(c), "dp_client_lb_set6"));
	dp_client_close(c);

	/* Raw: IPv6 members after the 40-byte head, or one member short. */
	memcpy(body, &p, sizeof(p));
	memcpy(body + sizeof(p), m6, sizeof(m6));
	assert_int_equal(dp_proto_encode(&b, DP_MSG_LB_POOL_SET, 1, 0, body,
					 sizeof(body) - sizeof(m6[0])),
			 0);
	memcpy(&h, b.data, sizeof(h));
	assert_int_equal(
		dp_proto_validate(&h, b.data + sizeof(h), err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "2 IPv6 members imply 108"));
	dp_buf_fini(&b);
	memmove(body + DP_LB_POOL_V2_LEN, body + sizeof(p), sizeof(m6));
	assert_int_equal(dp_proto_encode(&b, DP_MSG_LB_POOL_SET, 1, 0, body,
					 DP_LB_POOL_V2_LEN + sizeof(m6)),
			 0);
	memcpy(&h, b.data, sizeof(h));
	assert_int_equal(
		dp_proto_validate(&h, b.data + sizeof(h), err, sizeof(err)),
		-EINVAL);
	dp_buf_fini(&b);
	/* The whole: accepted. */
	memcpy(body, &p, sizeof(p));
	memcpy(body + sizeof(p), m6, sizeof(m6));
	assert_int_equal(dp_proto_encode(&b, DP_MSG_LB_POOL_SET, 1, 0, body,
					 sizeof(body)),
			 0);
	memcpy(&h, b.data, sizeof(h));
	assert_int_equal(
		dp_proto_validate(&h, b.data + sizeof(h), err, sizeof(err)), 0);
	dp_buf_fini(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_stats,
						dp_ctl_testsrv_setup,
						dp_ctl_testsrv_teardown),
		cmocka_unit_test_setup_teardown(test_refused,
						dp_ctl_testsrv_setup,
						dp_ctl_testsrv_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
