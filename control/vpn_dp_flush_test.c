/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vpn_dp_flush_test.c: a sluiced that starts beside a sluice-dp still
 * holding the ESP SAs of a killed sluiced (vpn_dp.c). A real protocol
 * server and pipeline run on a thread; two SAs with ids 1 and 2 are put
 * in as "the previous run"; vpn_dp then installs a child: it must succeed
 * (the ids were in use), and afterwards the datapath holds exactly the
 * child's two SAs, the leftovers gone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dp_client.h"
#include "dp_ctl.h"
#include "dp_ctl_testsrv.h"
#include "vpn_dp.h"
#include "vpn_test_child.h"

struct seen {
	unsigned n;
	uint32_t spi[8];
};

static int
collect(const struct dp_sa_info *si, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8)
		s->spi[s->n] = si->spi;
	s->n++;
	return 0;
}

static bool
has_spi(const struct seen *s, uint32_t spi)
{
	for (unsigned i = 0; i < s->n && i < 8; i++)
		if (s->spi[i] == spi)
			return true;
	return false;
}

static void
test_leftovers_flushed(void **state)
{
	struct dp_ctl_testsrv *e = *state;
	struct ike_child_info ci;
	struct seen seen = {0};
	struct dp_client *c;
	struct vpn_dp *v;
	struct dp_sa s;
	uint8_t key[40];
	char err[160];

	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 1);
	/* The previous sluiced's SAs, ids 1 (in) and 2 (out). */
	assert_int_equal(dp_client_connect(e->path, &c, err, sizeof(err)), 0);
	dp_client_set_timeout(c, 5000);
	for (uint32_t id = 1; id <= 2; id++) {
		memset(&s, 0, sizeof(s));
		s.id = id;
		s.spi = 0xdead0000 + id;
		s.dir = id == 1 ? DP_SA_IN : DP_SA_OUT;
		s.cipher = DP_SA_AES_GCM_16;
		s.enc_key_len = 20;
		memcpy(s.enc_key, key, 20);
		s.src = 0x0102000c;
		s.dst = 0x0202000c;
		assert_int_equal(dp_client_sa_add(c, &s), 0);
	}
	explicit_bzero(&s, sizeof(s));

	/* A new sluiced's first child. */
	assert_int_equal(vpn_dp_create(e->path, &v), 0);
	vpn_test_child(&ci, 1, 0x1111, key); /* out SPI 0x1211 */
	assert_int_equal(vpn_dp_sa_install(v, &ci), 0);
	assert_true(vpn_dp_out_id(v, 0x1111) != 0);

	assert_int_equal(dp_client_sa_dump(c, 0, collect, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_true(has_spi(&seen, 0x1111));
	assert_true(has_spi(&seen, 0x1211));
	assert_false(has_spi(&seen, 0xdead0001));
	assert_false(has_spi(&seen, 0xdead0002));

	/* A second child: no flush now (the first one stays). */
	ci.spi_in = 0x2222;
	ci.spi_out = 0x2322;
	assert_int_equal(vpn_dp_sa_install(v, &ci), 0);
	seen.n = 0;
	assert_int_equal(dp_client_sa_dump(c, 0, collect, &seen), 0);
	assert_int_equal(seen.n, 4);
	assert_true(has_spi(&seen, 0x1111));
	assert_true(has_spi(&seen, 0x2222));

	vpn_dp_destroy(v);
	dp_client_close(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_leftovers_flushed,
						dp_ctl_testsrv_setup,
						dp_ctl_testsrv_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
