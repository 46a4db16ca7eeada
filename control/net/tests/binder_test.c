/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * binder_test.c: port binding against a recording datapath: a kernel
 * interface becomes an AF_PACKET (or AF_XDP) port, vhost-user a client
 * socket returned as vif_details, status changes reach the callback,
 * a restarted sluiced adopts its ports, a restarted datapath loses them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "binder.h"
#include "fake_dp.h"

struct status_log {
	unsigned n;
	char port_id[NET_ID_LEN];
	uint32_t dp_port;
	bool is_up;
};

static void
on_status(void *arg, const char *port_id, uint32_t dp_port, bool is_up)
{
	struct status_log *l = arg;

	l->n++;
	strcpy(l->port_id, port_id);
	l->dp_port = dp_port;
	l->is_up = is_up;
}

static void
kernel_port(struct net_view_port *p, const char *id, const char *ifname)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->id, id);
	p->vif = NET_VIF_KERNEL;
	strcpy(p->host_ifname, ifname);
}

static void
test_bind_kernel(void **state)
{
	struct fake_dp f;
	struct net_dp dp;
	struct binder_config cfg = {0};
	struct binder *b;
	struct net_view_port p;
	struct binder_vif vif;
	struct status_log log = {0};
	char err[128];

	(void)state;
	fake_dp_init(&f, &dp);
	assert_int_equal(binder_create(&cfg, &dp, on_status, &log, &b), 0);
	kernel_port(&p, "5f1c2a3e-0b6d-4c1e-9a7f-1234567890ab", "veth-a1");
	assert_int_equal(binder_bind(b, &p, &vif, err, sizeof(err)), 0);
	assert_int_equal(f.n_port_add, 1);
	assert_int_equal(f.last_spec.type, DP_PORT_AF_PACKET);
	assert_string_equal(f.last_spec.args, "veth-a1");
	assert_string_equal(f.last_spec.name,
			    "nvif5f1c2a3e0b6d4c1e9a7f1234567");
	assert_string_equal(vif.vif_type, "tap");
	assert_int_not_equal(vif.dp_port, 0);
	assert_int_equal(binder_dp_port(b, p.id), vif.dp_port);

	/* Bound twice: the same port, no second port_add. */
	assert_int_equal(binder_bind(b, &p, &vif, err, sizeof(err)), 0);
	assert_int_equal(f.n_port_add, 1);

	/* DOWN until the datapath says the port is up. */
	assert_int_equal(binder_poll(b, err, sizeof(err)), 0);
	assert_int_equal(log.n, 0);
	fake_dp_set_up(&f, vif.dp_port, true);
	assert_int_equal(binder_poll(b, err, sizeof(err)), 0);
	assert_int_equal(log.n, 1);
	assert_true(log.is_up);
	assert_string_equal(log.port_id, p.id);
	assert_int_equal(log.dp_port, vif.dp_port);
	assert_int_equal(binder_poll(b, err, sizeof(err)), 0);
	assert_int_equal(log.n, 1); /* no change, no call */
	fake_dp_set_up(&f, vif.dp_port, false);
	assert_int_equal(binder_poll(b, err, sizeof(err)), 0);
	assert_int_equal(log.n, 2);
	assert_false(log.is_up);

	assert_int_equal(binder_unbind(b, p.id, err, sizeof(err)), 0);
	assert_int_equal(f.n_ports, 0);
	assert_int_equal(binder_dp_port(b, p.id), 0);
	assert_int_equal(binder_unbind(b, p.id, err, sizeof(err)), -ENOENT);
	binder_destroy(b);
}

static void
test_bind_xdp_and_errors(void **state)
{
	struct fake_dp f;
	struct net_dp dp;
	struct binder_config cfg = {.kernel_type = DP_PORT_AF_XDP};
	struct binder *b;
	struct net_view_port p;
	struct binder_vif vif;
	char err[128];

	(void)state;
	fake_dp_init(&f, &dp);
	assert_int_equal(binder_create(&cfg, &dp, NULL, NULL, &b), 0);
	kernel_port(&p, "p1", "veth-x");
	assert_int_equal(binder_bind(b, &p, &vif, err, sizeof(err)), 0);
	assert_int_equal(f.last_spec.type, DP_PORT_AF_XDP);

	kernel_port(&p, "p2", "");
	assert_int_equal(binder_bind(b, &p, &vif, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "names no interface"));
	p.vif = NET_VIF_NONE;
	assert_int_equal(binder_bind(b, &p, &vif, err, sizeof(err)), -EINVAL);

	kernel_port(&p, "p3", "nosuch0");
	f.port_add_rc = -ENODEV;
	assert_int_equal(binder_bind(b, &p, &vif, err, sizeof(err)), -ENODEV);
	assert_int_equal(binder_dp_port(b, "p3"), 0);
	binder_destroy(b);
}

static void
test_bind_vhost(void **state)
{
	struct fake_dp f;
	struct net_dp dp;
	struct binder_config cfg = {0};
	struct binder *b;
	struct net_view_port p;
	struct binder_vif vif;
	char err[128];

	(void)state;
	fake_dp_init(&f, &dp);
	strcpy(cfg.vhost_dir, "/tmp/vh");
	assert_int_equal(binder_create(&cfg, &dp, NULL, NULL, &b), 0);
	memset(&p, 0, sizeof(p));
	strcpy(p.id, "0123456789abcdef-rest");
	p.vif = NET_VIF_VHOSTUSER;
	assert_int_equal(binder_bind(b, &p, &vif, err, sizeof(err)), 0);
	assert_int_equal(f.last_spec.type, DP_PORT_VHOST_USER_CLIENT);
	assert_string_equal(f.last_spec.args, "/tmp/vh/vhu0123456789a");
	assert_string_equal(vif.vif_type, "vhostuser");
	assert_string_equal(vif.vhostuser_socket, "/tmp/vh/vhu0123456789a");
	assert_string_equal(vif.vhostuser_mode, "server");
	binder_destroy(b);
}

static void
test_restarts(void **state)
{
	struct fake_dp f;
	struct net_dp dp;
	struct binder_config cfg = {0};
	struct binder *b;
	struct net_view_port p;
	struct binder_vif vif, vif2;
	struct status_log log = {0};
	char err[128];

	(void)state;
	fake_dp_init(&f, &dp);
	assert_int_equal(binder_create(&cfg, &dp, NULL, NULL, &b), 0);
	kernel_port(&p, "port-one", "veth-1");
	assert_int_equal(binder_bind(b, &p, &vif, err, sizeof(err)), 0);
	binder_destroy(b);

	/* sluiced restarts: it adopts the datapath port, adds nothing. */
	assert_int_equal(binder_create(&cfg, &dp, on_status, &log, &b), 0);
	assert_int_equal(binder_sync(b, err, sizeof(err)), 0);
	assert_int_equal(binder_bind(b, &p, &vif2, err, sizeof(err)), 0);
	assert_int_equal(f.n_port_add, 1);
	assert_int_equal(vif2.dp_port, vif.dp_port);
	assert_string_equal(vif2.vif_type, "tap");
	fake_dp_set_up(&f, vif.dp_port, true);
	assert_int_equal(binder_poll(b, err, sizeof(err)), 0);
	assert_int_equal(log.n, 1);

	/* sluice-dp restarts empty: reported down, bound again on demand. */
	fake_dp_clear_ports(&f);
	assert_int_equal(binder_poll(b, err, sizeof(err)), 0);
	assert_int_equal(log.n, 2);
	assert_false(log.is_up);
	assert_int_equal(binder_dp_port(b, p.id), 0);
	assert_int_equal(binder_bind(b, &p, &vif2, err, sizeof(err)), 0);
	assert_int_equal(f.n_port_add, 2);
	binder_destroy(b);
	binder_destroy(NULL);
}

static bool
keep_one(void *arg, const char *port_id)
{
	return strcmp(port_id, arg) == 0;
}

static void
test_prune(void **state)
{
	struct fake_dp f;
	struct net_dp dp;
	struct binder_config cfg = {0};
	struct binder *b;
	struct net_view_port p;
	struct binder_vif vif;
	char err[128];

	(void)state;
	fake_dp_init(&f, &dp);
	assert_int_equal(binder_create(&cfg, &dp, NULL, NULL, &b), 0);
	kernel_port(&p, "keep", "veth-1");
	assert_int_equal(binder_bind(b, &p, &vif, err, sizeof(err)), 0);
	kernel_port(&p, "gone", "veth-2");
	assert_int_equal(binder_bind(b, &p, &vif, err, sizeof(err)), 0);
	kernel_port(&p, "adopted-unclaimed", "veth-3");
	assert_int_equal(binder_bind(b, &p, &vif, err, sizeof(err)), 0);
	binder_destroy(b);

	/* Restart: all three adopted, "keep" claimed again. */
	assert_int_equal(binder_create(&cfg, &dp, NULL, NULL, &b), 0);
	assert_int_equal(binder_sync(b, err, sizeof(err)), 0);
	kernel_port(&p, "keep", "veth-1");
	assert_int_equal(binder_bind(b, &p, &vif, err, sizeof(err)), 0);
	kernel_port(&p, "gone", "veth-2");
	assert_int_equal(binder_bind(b, &p, &vif, err, sizeof(err)), 0);
	assert_int_equal(f.n_port_add, 3);
	assert_int_equal(binder_prune(b, keep_one, "keep", err, sizeof(err)),
			 2);
	assert_int_equal(f.n_ports, 1);
	assert_string_equal(f.ports[0].name, "nvifkeep");
	assert_int_not_equal(binder_dp_port(b, "keep"), 0);
	assert_int_equal(binder_dp_port(b, "gone"), 0);
	binder_destroy(b);
}

static void
test_profile(void **state)
{
	struct net_view_port p;
	char err[128];

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(binder_profile_parse("{\"interface\": \"veth-a1\"}",
					      &p, err, sizeof(err)),
			 0);
	assert_int_equal(p.vif, NET_VIF_KERNEL);
	assert_string_equal(p.host_ifname, "veth-a1");
	assert_int_equal(binder_profile_parse("{\"vhostuser\": true}", &p, err,
					      sizeof(err)),
			 0);
	assert_int_equal(p.vif, NET_VIF_VHOSTUSER);
	assert_int_equal(binder_profile_parse("{}", &p, err, sizeof(err)), 0);
	assert_int_equal(p.vif, NET_VIF_NONE);
	assert_int_equal(binder_profile_parse(NULL, &p, err, sizeof(err)), 0);
	assert_int_equal(binder_profile_parse("[1]", &p, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(binder_profile_parse("{\"interface\": 7}", &p, err,
					      sizeof(err)),
			 -EINVAL);
	assert_int_equal(
		binder_profile_parse("{\"interface\": \"0123456789abcdef\"}",
				     &p, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "1 to 15"));
	assert_int_equal(binder_profile_parse(
				 "{\"interface\": \"a\", \"vhostuser\": true}",
				 &p, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(p.vif, NET_VIF_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bind_kernel),
		cmocka_unit_test(test_bind_xdp_and_errors),
		cmocka_unit_test(test_bind_vhost),
		cmocka_unit_test(test_restarts),
		cmocka_unit_test(test_profile),
		cmocka_unit_test(test_prune),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
