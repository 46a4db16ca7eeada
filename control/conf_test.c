// SPDX-License-Identifier: BSD-2-Clause
/*
 * conf_test.c: unit tests of the strict configuration parser (conf.c):
 * every key, comments and whitespace, repeated sections, the [sluice-dp]
 * section skipped, and each kind of error refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "dp_proto.h"

/* Write text to a temporary file, load it into c; return conf_load's rc. */
static int
load(const char *text, struct conf *c)
{
	char path[] = "/tmp/conf_test.XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	int rc;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	conf_defaults(c);
	rc = conf_load(path, c);
	unlink(path);
	return rc;
}

static void
test_good(void **state)
{
	struct conf *c = malloc(sizeof(*c));

	(void)state;
	assert_int_equal(load("# comment\n"
			      "; another\n"
			      "\n"
			      "[api]\n"
			      "  listen =  [::1]:9797  \n"
			      "max_connections = 32\n"
			      "[auth]\n"
			      "mode = token\n"
			      "admin_token = admin-token-1\n"
			      "project_token = p1:token-p1-xx\n"
			      "project_token = p2:token-p2-xx\n"
			      "default_project = p0\n"
			      "[sluice-dp]\n"
			      "args = --anything goes here\n"
			      "whatever = 1\n"
			      "[store]\n"
			      "path = /tmp/x.db\n"
			      "[datapath]\n"
			      "socket = /run/x.sock\n"
			      "port_type = af_xdp\n"
			      "vhost_dir = /run/x-vhost\n"
			      "neigh_reachable_ms = 2000\n"
			      "neigh_retrans_ms = 500\n"
			      "neigh_probes = 4\n"
			      "ra_interval_ms = 5000\n"
			      "[log]\n"
			      "level = debug\n"
			      "target = syslog\n"
			      "[api]\n"
			      "tls_cert = /c.pem\n"
			      "tls_key = /k.pem\n",
			      c),
			 0);
	assert_string_equal(c->listen, "[::1]:9797");
	assert_int_equal(c->max_connections, 32);
	assert_int_equal(c->auth, API_AUTH_TOKEN);
	assert_string_equal(c->admin_token, "admin-token-1");
	assert_int_equal(c->n_tokens, 2);
	assert_string_equal(c->tokens[1].project_id, "p2");
	assert_string_equal(c->tokens[1].token, "token-p2-xx");
	assert_string_equal(c->default_project, "p0");
	assert_string_equal(c->db_path, "/tmp/x.db");
	assert_string_equal(c->dp_socket, "/run/x.sock");
	assert_int_equal(c->dp_port_type, DP_PORT_AF_XDP);
	assert_string_equal(c->vhost_dir, "/run/x-vhost");
	assert_int_equal(c->neigh_reachable_ms, 2000);
	assert_int_equal(c->neigh_retrans_ms, 500);
	assert_int_equal(c->neigh_probes, 4);
	assert_int_equal(c->ra_interval_ms, 5000);
	assert_int_equal(c->log_level, LOG_LEVEL_DEBUG);
	assert_true(c->use_syslog);
	assert_string_equal(c->tls_key, "/k.pem");
	assert_int_equal(conf_check(c, "x"), 0);
	assert_int_equal(conf_override(c, "api.listen=127.0.0.1:1"), 0);
	assert_string_equal(c->listen, "127.0.0.1:1");
	assert_int_not_equal(conf_override(c, "api.nope=1"), 0);
	assert_int_not_equal(conf_override(c, "apilisten"), 0);
	/* The third kind of kernel port. */
	assert_int_equal(conf_override(c, "datapath.port_type=vnet"), 0);
	assert_int_equal(c->dp_port_type, DP_PORT_VNET);
	assert_int_equal(conf_override(c, "datapath.port_type=af_packet"), 0);
	assert_int_equal(c->dp_port_type, DP_PORT_AF_PACKET);
	assert_int_not_equal(conf_override(c, "datapath.port_type=tap"), 0);
	free(c);
}

static void
test_bad(void **state)
{
	static const char *const bad[] = {
		"listen = 1.2.3.4:5\n",		       /* outside a section */
		"[apis]\nlisten = 1.2.3.4:5\n",	       /* unknown section */
		"[api]\nlisten 1.2.3.4:5\n",	       /* no '=' */
		"[api]\nport = 5\n",		       /* unknown key */
		"[datapath]\nport_type = tap\n",       /* bad port type */
		"[api]\nlisten = 1:1\nlisten = 1:2\n", /* repeated key */
		"[api]\nlisten =\n",		       /* empty value */
		"[api]\nmax_connections = 0\n",
		"[api]\nmax_connections = 12x\n",
		"[auth]\nmode = maybe\n",
		"[auth]\nadmin_token = short\n",
		"[auth]\nproject_token = nocolon-token\n",
		"[auth]\nproject_token = p/1:token-1234\n",
		/* The same token for two projects. */
		("[auth]\nproject_token = p1:token-1234\nproject_token = "
		 "p2:token-1234\n"),
		"[auth]\ndefault_project = a b\n",
		"[datapath]\nneigh_reachable_ms = 99\n", /* under 100 */
		"[datapath]\nneigh_reachable_ms = 3600001\n",
		"[datapath]\nneigh_retrans_ms = 1s\n",
		"[datapath]\nneigh_probes = 0\n",
		"[datapath]\nneigh_probes = 11\n",
		"[datapath]\nra_interval_ms = 999\n",
		"[datapath]\nra_interval_ms = -5\n",
		"[log]\nlevel = loud\n",
		"[log]\ntarget = file\n",
		"[api\nlisten = 1:1\n",
	};
	struct conf *c = malloc(sizeof(*c));
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (load(bad[i], c) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
	}
	/* Cross-key checks. */
	assert_int_equal(load("[auth]\nmode = token\n", c), 0);
	assert_int_not_equal(conf_check(c, "x"), 0);
	assert_int_equal(load("[api]\ntls_cert = /c.pem\n", c), 0);
	assert_int_not_equal(conf_check(c, "x"), 0);
	conf_defaults(c);
	assert_int_equal(conf_load("/nonexistent/sluice.conf", c), -ENOENT);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
