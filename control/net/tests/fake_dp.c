/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fake_dp.c: the recording part of the test datapath (fake_dp.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_dp.h"

static int
f_begin(void *ctx, char *err, size_t err_len)
{
	struct fake_dp *f = ctx;

	(void)err;
	(void)err_len;
	f->n_begin++;
	return 0;
}

static int
f_add(void *ctx, const struct dp_rule *rules, size_t n, char *err,
      size_t err_len)
{
	struct fake_dp *f = ctx;

	(void)rules;
	(void)err;
	(void)err_len;
	f->n_rules_added += n;
	return 0;
}

static int
f_del_cookie(void *ctx, uint64_t cookie, uint64_t mask, char *err,
	     size_t err_len)
{
	struct fake_dp *f = ctx;

	(void)cookie;
	(void)mask;
	(void)err;
	(void)err_len;
	f->n_del_cookie++;
	return 0;
}

static int
f_del_strict(void *ctx, const struct dp_rule *r, char *err, size_t err_len)
{
	struct fake_dp *f = ctx;

	(void)r;
	(void)err;
	(void)err_len;
	f->n_del_strict++;
	return 0;
}

static int
f_commit(void *ctx, char *err, size_t err_len)
{
	struct fake_dp *f = ctx;

	(void)err;
	(void)err_len;
	f->n_commit++;
	return 0;
}

static void
f_abort(void *ctx)
{
	struct fake_dp *f = ctx;

	f->n_abort++;
}

static int
f_dump(void *ctx, uint64_t cookie, uint64_t mask, struct dp_flow_entry **out,
       size_t *n, char *err, size_t err_len)
{
	(void)ctx;
	(void)cookie;
	(void)mask;
	(void)err;
	(void)err_len;
	*out = NULL;
	*n = 0;
	return 0;
}

static int
f_port_add(void *ctx, const struct dp_port_spec *spec, struct dp_port_info *out,
	   char *err, size_t err_len)
{
	struct fake_dp *f = ctx;
	struct dp_port_info *pi;

	f->n_port_add++;
	f->last_spec = *spec;
	if (f->port_add_rc < 0) {
		snprintf(err, err_len, "fake: port add refused");
		return f->port_add_rc;
	}
	if (f->n_ports == FAKE_PORTS_MAX)
		return -ENOSPC;
	pi = &f->ports[f->n_ports++];
	memset(pi, 0, sizeof(*pi));
	memcpy(pi->name, spec->name, sizeof(pi->name));
	memcpy(pi->args, spec->args, sizeof(pi->args));
	pi->type = spec->type;
	pi->port_no = spec->port_no != 0 ? spec->port_no : ++f->next_port_no;
	if (out != NULL)
		*out = *pi;
	return 0;
}

static int
f_port_del(void *ctx, const struct dp_port_ref *ref, char *err, size_t err_len)
{
	struct fake_dp *f = ctx;

	(void)err;
	(void)err_len;
	f->n_port_del++;
	for (size_t i = 0; i < f->n_ports; i++) {
		if (f->ports[i].port_no == ref->port_no ||
		    (ref->port_no == 0 &&
		     strcmp(f->ports[i].name, ref->name) == 0)) {
			f->ports[i] = f->ports[--f->n_ports];
			return 0;
		}
	}
	return -ENOENT;
}

static int
f_port_list(void *ctx, struct dp_port_info **out, size_t *n, char *err,
	    size_t err_len)
{
	struct fake_dp *f = ctx;

	(void)err;
	(void)err_len;
	*out = malloc((f->n_ports + 1) * sizeof(**out));
	if (*out == NULL)
		return -ENOMEM;
	memcpy(*out, f->ports, f->n_ports * sizeof(**out));
	*n = f->n_ports;
	return 0;
}

static int
f_packet_out(void *ctx, uint32_t port, const uint8_t *frame, size_t len,
	     char *err, size_t err_len)
{
	struct fake_dp *f = ctx;

	(void)err;
	(void)err_len;
	if (len > sizeof(f->out_frame))
		return -EMSGSIZE;
	f->n_out++;
	f->out_port = port;
	memcpy(f->out_frame, frame, len);
	f->out_len = len;
	return 0;
}

void
fake_dp_init(struct fake_dp *f, struct net_dp *dp)
{
	memset(f, 0, sizeof(*f));
	dp->flow_begin = f_begin;
	dp->flow_add = f_add;
	dp->flow_del_cookie = f_del_cookie;
	dp->flow_del_strict = f_del_strict;
	dp->flow_commit = f_commit;
	dp->flow_abort = f_abort;
	dp->flow_dump = f_dump;
	dp->port_add = f_port_add;
	dp->port_del = f_port_del;
	dp->port_list = f_port_list;
	dp->packet_out = f_packet_out;
	dp->ctx = f;
}

void
fake_dp_set_up(struct fake_dp *f, uint32_t port_no, bool is_up)
{
	for (size_t i = 0; i < f->n_ports; i++)
		if (f->ports[i].port_no == port_no)
			f->ports[i].is_up = is_up;
}

void
fake_dp_clear_ports(struct fake_dp *f)
{
	f->n_ports = 0;
}
