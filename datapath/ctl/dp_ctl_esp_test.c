/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_ctl_esp_test.c: the ESP SA messages end to end: client library
 * (dp_client.h) -> socket -> protocol server (dp_ctl.c) -> pipeline SA
 * table (pl_esp.c), with the server on its own thread: add, duplicate,
 * bad parameters, dump (all, one, none), delete, and the SA events a
 * subscribed connection receives.
 */
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

static struct dp_client *
client(struct dp_ctl_testsrv *e)
{
	struct dp_client *c;
	char err[256];

	assert_int_equal(dp_client_connect(e->path, &c, err, sizeof(err)), 0);
	dp_client_set_timeout(c, 5000);
	return c;
}

static void
sa_make(struct dp_sa *s, uint32_t id, uint8_t dir)
{
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->spi = 0x3000 + id;
	s->dir = dir;
	s->cipher = DP_SA_AES_GCM_16;
	s->enc_key_len = 20;
	memset(s->enc_key, 0x5a, 20);
	s->src = 0x0100000a;
	s->dst = 0x0200000a;
	s->flags = DP_SA_F_NATT;
	s->dport = 4501;
}

struct seen {
	unsigned n;
	struct dp_sa_info si[4];
};

static int
visit(const struct dp_sa_info *si, void *arg)
{
	struct seen *s = arg;

	if (s->n < 4)
		s->si[s->n] = *si;
	s->n++;
	return 0;
}

static void
test_sa_add_dump_del(void **state)
{
	struct dp_ctl_testsrv *e = *state;
	struct dp_client *c = client(e);
	struct seen seen;
	struct dp_sa s;

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(dp_client_sa_dump(c, 0, visit, &seen), 0);
	assert_int_equal(seen.n, 0);
	sa_make(&s, 1, DP_SA_OUT);
	assert_int_equal(dp_client_sa_add(c, &s), 0);
	assert_int_equal(dp_client_sa_add(c, &s), -EEXIST);
	assert_non_null(strstr(dp_client_error(c), "in use"));
	sa_make(&s, 2, DP_SA_IN);
	s.enc_key_len = 16; /* no salt */
	assert_int_equal(dp_client_sa_add(c, &s), -EINVAL);
	assert_non_null(strstr(dp_client_error(c), "key bytes"));
	s.enc_key_len = 20;
	assert_int_equal(dp_client_sa_add(c, &s), 0);

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(dp_client_sa_dump(c, 0, visit, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.si[0].id, 1);
	assert_int_equal(seen.si[0].spi, 0x3001);
	assert_int_equal(seen.si[0].dir, DP_SA_OUT);
	assert_int_equal(seen.si[0].sport, 4500);
	assert_int_equal(seen.si[0].dport, 4501);
	assert_int_equal(seen.si[1].id, 2);
	assert_int_equal(seen.si[1].dir, DP_SA_IN);

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(dp_client_sa_dump(c, 2, visit, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(dp_client_sa_dump(c, 3, visit, &seen), -ENOENT);

	assert_int_equal(dp_client_sa_del(c, 1), 0);
	assert_int_equal(dp_client_sa_del(c, 1), -ENOENT);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(dp_client_sa_dump(c, 0, visit, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(dp_client_sa_del(c, 2), 0);
	dp_client_close(c);
}

static void
test_sa_events(void **state)
{
	struct dp_ctl_testsrv *e = *state;
	struct dp_client *c = client(e), *ev = client(e);
	struct dp_sa_event got;
	struct dp_sa s;

	/* Within 2^20 of the end at once: one event, once. */
	sa_make(&s, 7, DP_SA_OUT);
	s.seq = 0xffffffffULL - 5;
	assert_int_equal(dp_client_sa_event_subscribe(ev), 0);
	assert_int_equal(dp_client_sa_add(c, &s), 0);
	assert_int_equal(dp_client_sa_event_recv(ev, &got, 5000), 0);
	assert_int_equal(got.id, 7);
	assert_int_equal(got.spi, 0x3007);
	assert_int_equal(got.kinds, DP_SA_EV_SEQ_NEAR_END);
	assert_int_equal(got.seq, 0xffffffffULL - 5);
	assert_int_equal(dp_client_sa_event_recv(ev, &got, 200), -ETIMEDOUT);
	assert_int_equal(dp_client_sa_del(c, 7), 0);
	dp_client_close(ev);
	dp_client_close(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sa_add_dump_del,
						dp_ctl_testsrv_setup,
						dp_ctl_testsrv_teardown),
		cmocka_unit_test_setup_teardown(test_sa_events,
						dp_ctl_testsrv_setup,
						dp_ctl_testsrv_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
