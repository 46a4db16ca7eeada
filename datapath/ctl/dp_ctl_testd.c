/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_ctl_testd.c: a stand-in datapath for tests of protocol clients
 * (sluicectl's test script): the real pipeline and protocol server with
 * an in-memory port table instead of DPDK. It never forwards packets.
 *
 * usage: dp_ctl_testd SOCKET_PATH [RULES_MAX]
 * Serves until SIGTERM or SIGINT, then removes the socket and exits 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_ctl.h"

enum { PORTS_MAX = 16 };

struct testd {
	struct dp_port_info ports[PORTS_MAX];
	unsigned n_ports;
	uint64_t n_packet_out;
};

static volatile sig_atomic_t is_stopping;

static void
on_signal(int sig)
{
	(void)sig;
	is_stopping = 1;
}

static int
td_port_add(void *ctx, const struct dp_port_spec *spec,
	    struct dp_port_info *out, char *err, size_t err_len)
{
	struct testd *td = ctx;
	struct dp_port_info *pi;
	uint32_t no = spec->port_no;

	for (unsigned i = 0; i < td->n_ports; i++) {
		if (strcmp(td->ports[i].name, spec->name) == 0 ||
		    (no != 0 && td->ports[i].port_no == no)) {
			snprintf(err, err_len, "port exists");
			return -EEXIST;
		}
	}
	if (td->n_ports == PORTS_MAX) {
		snprintf(err, err_len, "port table full (%u/%u)", td->n_ports,
			 PORTS_MAX);
		return -ENOSPC;
	}
	if (no == 0) {
		no = 1;
		for (unsigned i = 0; i < td->n_ports; i++)
			if (td->ports[i].port_no >= no)
				no = td->ports[i].port_no + 1;
	}
	pi = &td->ports[td->n_ports++];
	memset(pi, 0, sizeof(*pi));
	memcpy(pi->name, spec->name, sizeof(pi->name));
	memcpy(pi->args, spec->args, sizeof(pi->args));
	pi->type = spec->type;
	pi->port_no = no;
	pi->mtu = 1500;
	pi->is_up = 1;
	pi->mac[0] = 0x02;
	pi->mac[5] = (uint8_t)no;
	*out = *pi;
	return 0;
}

static int
td_port_del(void *ctx, const struct dp_port_ref *ref, char *err, size_t err_len)
{
	struct testd *td = ctx;

	for (unsigned i = 0; i < td->n_ports; i++) {
		if (ref->port_no ? td->ports[i].port_no == ref->port_no
				 : strcmp(td->ports[i].name, ref->name) == 0) {
			td->ports[i] = td->ports[--td->n_ports];
			return 0;
		}
	}
	snprintf(err, err_len, "no such port");
	return -ENOENT;
}

static int
td_port_list(void *ctx, struct dp_port_info *out, unsigned max, unsigned *n)
{
	struct testd *td = ctx;

	*n = td->n_ports < max ? td->n_ports : max;
	memcpy(out, td->ports, *n * sizeof(*out));
	return 0;
}

static int
td_packet_out(void *ctx, const struct dp_packet_msg *msg, const uint8_t *frame,
	      char *err, size_t err_len)
{
	struct testd *td = ctx;

	(void)frame;
	if (msg->port != DP_PORT_NONE) {
		for (unsigned i = 0; i < td->n_ports; i++)
			if (td->ports[i].port_no == msg->port) {
				td->ports[i].tx_packets++;
				td->ports[i].tx_bytes += msg->len;
				td->n_packet_out++;
				return 0;
			}
		snprintf(err, err_len, "no port %u", msg->port);
		return -ENODEV;
	}
	td->n_packet_out++;
	return 0;
}

int
main(int argc, char **argv)
{
	struct dp_pipeline_config cfg = {.n_workers = 1};
	struct testd td = {.n_ports = 0};
	struct dp_ctl_backend be = {
		.port_add = td_port_add,
		.port_del = td_port_del,
		.port_list = td_port_list,
		.packet_out = td_packet_out,
		.ctx = &td,
		.n_workers = 1,
		.boot_id = 1,
	};
	struct dp_pipeline *pl;
	struct dp_ctl *ctl;
	int rc;

	if (argc < 2 || argc > 3) {
		fprintf(stderr,
			"usage: dp_ctl_testd SOCKET_PATH [RULES_MAX]\n");
		return 2;
	}
	if (argc == 3)
		cfg.rules_max = (unsigned)strtoul(argv[2], NULL, 0);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	rc = dp_pipeline_create(&cfg, &pl);
	if (rc < 0) {
		fprintf(stderr, "dp_ctl_testd: pipeline: %s\n", strerror(-rc));
		return 1;
	}
	rc = dp_ctl_create(argv[1], pl, &be, &ctl);
	if (rc < 0) {
		fprintf(stderr, "dp_ctl_testd: listen on %s: %s\n", argv[1],
			strerror(-rc));
		dp_pipeline_destroy(pl);
		return 1;
	}
	while (!is_stopping) {
		rc = dp_ctl_poll(ctl, 100);
		if (rc < 0) {
			fprintf(stderr, "dp_ctl_testd: %s\n", strerror(-rc));
			break;
		}
	}
	dp_ctl_destroy(ctl);
	dp_pipeline_destroy(pl);
	return rc < 0 ? 1 : 0;
}
