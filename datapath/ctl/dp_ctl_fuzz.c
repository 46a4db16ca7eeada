/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_ctl_fuzz.c: libFuzzer target for the server side of the programming
 * protocol: the input is the byte stream one client sends. It is fed
 * through a socketpair to a dp_ctl serving a real pipeline and a fake
 * runtime backend, so framing, validation and dispatch (transactions,
 * dumps, trace, ports, packet-out) all run on it. After each input the
 * client hangs up (aborting any open transaction) and the tables are
 * emptied, so inputs do not depend on each other.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dp_ctl.h"
#include "pl_lb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fz_port_add(void *ctx, const struct dp_port_spec *spec,
	    struct dp_port_info *out, char *err, size_t err_len)
{
	(void)ctx;
	if (spec->args[0] == '\0') {
		snprintf(err, err_len, "empty args");
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	memcpy(out->name, spec->name, sizeof(out->name));
	out->port_no = spec->port_no ? spec->port_no : 1;
	return 0;
}

static int
fz_port_del(void *ctx, const struct dp_port_ref *ref, char *err, size_t err_len)
{
	(void)ctx;
	(void)ref;
	snprintf(err, err_len, "no such port");
	return -ENOENT;
}

static int
fz_port_list(void *ctx, struct dp_port_info *out, unsigned max, unsigned *n)
{
	(void)ctx;
	*n = max > 0 ? 1 : 0;
	if (*n)
		memset(out, 0, sizeof(*out));
	return 0;
}

static int
fz_packet_out(void *ctx, const struct dp_packet_msg *msg, const uint8_t *frame,
	      char *err, size_t err_len)
{
	uint8_t sum = 0;

	(void)ctx;
	/* Touch every byte: the frame must be msg->len long. */
	for (uint32_t i = 0; i < msg->len; i++)
		sum += frame[i];
	if (sum == 0xff) {
		snprintf(err, err_len, "checksum 0xff refused");
		return -EINVAL;
	}
	return 0;
}

static const struct dp_ctl_backend fz_be = {
	.port_add = fz_port_add,
	.port_del = fz_port_del,
	.port_list = fz_port_list,
	.packet_out = fz_packet_out,
	.n_workers = 1,
};

static struct dp_pipeline *fz_pl;
static struct dp_ctl *fz_ctl;

static void
fz_init(void)
{
	struct dp_pipeline_config cfg = {.n_workers = 1, .rules_max = 100000};
	char path[64];

	snprintf(path, sizeof(path), "/tmp/dp_ctl_fuzz.%d.sock", (int)getpid());
	if (dp_pipeline_create(&cfg, &fz_pl) < 0 ||
	    dp_ctl_create(path, fz_pl, &fz_be, &fz_ctl) < 0)
		abort();
	/* The listening socket is not used; remove its file now. */
	unlink(path);
}

/* Read and discard what the server answered; true at EOF. */
static int
fz_drain(int fd)
{
	uint8_t buf[65536];
	ssize_t k;

	for (;;) {
		k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (k == 0)
			return 1;
		if (k < 0)
			return 0;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_txn *t;
	char err[256];
	size_t off = 0;
	ssize_t k;
	int sv[2];

	if (fz_ctl == NULL)
		fz_init();
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	if (dp_ctl_client_add(fz_ctl, sv[0]) < 0)
		abort();
	while (off < size) {
		k = send(sv[1], data + off, size - off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k > 0)
			off += (size_t)k;
		else if (k < 0 && errno != EAGAIN)
			break;
		dp_ctl_poll(fz_ctl, 0);
		if (fz_drain(sv[1]))
			break;
	}
	shutdown(sv[1], SHUT_WR);
	for (int i = 0; i < 100000; i++) {
		dp_ctl_poll(fz_ctl, 0);
		if (fz_drain(sv[1]))
			break;
	}
	close(sv[1]);
	dp_ctl_poll(fz_ctl, 0);
	/* Empty the tables for the next input. */
	if (dp_txn_begin(fz_pl, &t) == 0) {
		dp_txn_del_cookie(t, -1, 0, 0);
		dp_txn_commit(t, err, sizeof(err));
	}
	/* And the LB pools (LB_POOL_SET). */
	for (uint32_t id = 1; id <= DP_LB_POOL_ID_MAX; id++)
		(void)dp_pipeline_lb_del(fz_pl, id);
	return 0;
}
