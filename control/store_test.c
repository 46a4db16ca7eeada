// SPDX-License-Identifier: BSD-2-Clause
/*
 * store_test.c: unit tests of store.c and of the transactional service
 * above it (ctl.c) on a temporary SQLite file: rows and constraints,
 * allocation rows, persistence across reopen, all-or-nothing bulk
 * creates, in-use checks, If-Match, project scoping and the observers.
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

#include "ctl.h"
#include "ipam.h"
#include "store.h"

struct fx {
	char path[64];
	struct store *st;
	struct ctl *ctl;
	unsigned n_created[CTL_KIND_COUNT];
	unsigned n_updated[CTL_KIND_COUNT];
	unsigned n_deleted[CTL_KIND_COUNT];
};

static const struct ctl_auth admin = {true, "admin"};

static void
count(struct fx *f, enum ctl_kind k, enum ctl_change what)
{
	if (what == CTL_CREATED)
		f->n_created[k]++;
	else if (what == CTL_UPDATED)
		f->n_updated[k]++;
	else
		f->n_deleted[k]++;
}

static void
on_net(void *arg, enum ctl_change what, const struct ctl_network *old,
       const struct ctl_network *cur)
{
	assert_true(what == CTL_CREATED	  ? old == NULL && cur != NULL
		    : what == CTL_DELETED ? old != NULL && cur == NULL
					  : old != NULL && cur != NULL);
	count(arg, CTL_NETWORK, what);
}

static void
on_sub(void *arg, enum ctl_change what, const struct ctl_subnet *old,
       const struct ctl_subnet *cur)
{
	(void)old;
	(void)cur;
	count(arg, CTL_SUBNET, what);
}

static void
on_port(void *arg, enum ctl_change what, const struct ctl_port *old,
	const struct ctl_port *cur)
{
	struct fx *f = arg;

	(void)old;
	count(f, CTL_PORT, what);
	/* A write is durable before observers run: the row is readable. */
	if (cur != NULL) {
		struct ctl_port *p = malloc(sizeof(*p));

		assert_int_equal(store_port_get(f->st, cur->m.id, p), 0);
		assert_int_equal(p->m.revision_number, cur->m.revision_number);
		free(p);
	}
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ctl_observer obs = {on_net, on_sub, on_port, NULL};
	int fd;

	snprintf(f->path, sizeof(f->path), "/tmp/store_test.XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(store_open(f->path, &f->st), 0);
	assert_int_equal(ctl_create(f->st, &f->ctl), 0);
	obs.arg = f;
	assert_int_equal(ctl_observer_add(f->ctl, &obs), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char p[96];

	ctl_destroy(f->ctl);
	store_close(f->st);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	free(f);
	return 0;
}

static json_t *J(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *
J(const char *fmt, ...)
{
	char buf[1024];
	json_error_t e;
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	j = json_loads(buf, 0, &e);
	assert_non_null(j);
	return j;
}

static void
mk_net(struct fx *f, const struct ctl_auth *auth, const char *body,
       struct ctl_network *out)
{
	struct ctl_err err;
	unsigned pr;
	json_t *j = J("%s", body);

	assert_int_equal(model_network_decode(j, MODEL_CREATE, out, &pr, &err),
			 0);
	json_decref(j);
	assert_int_equal(ctl_network_create(f->ctl, auth, out, &pr, 1, &err),
			 0);
}

static void
mk_sub(struct fx *f, const char *net_id, const char *cidr,
       struct ctl_subnet *out)
{
	struct ctl_err err;
	unsigned pr;
	json_t *j = J("{\"network_id\":\"%s\",\"ip_version\":4,"
		      "\"cidr\":\"%s\"}",
		      net_id, cidr);

	assert_int_equal(model_subnet_decode(j, MODEL_CREATE, out, &pr, &err),
			 0);
	json_decref(j);
	assert_int_equal(ctl_subnet_create(f->ctl, &admin, out, &pr, 1, &err),
			 0);
}

/* Decode a port body; create it; return rc and err. */
static int
mk_port(struct fx *f, const struct ctl_auth *auth, const char *body,
	struct ctl_port *out, struct ctl_err *err)
{
	unsigned pr;
	json_t *j = J("%s", body);
	int rc = model_port_decode(j, MODEL_CREATE, out, &pr, err);

	json_decref(j);
	if (rc != 0)
		return rc;
	return ctl_port_create(f->ctl, auth, out, &pr, 1, err);
}

static int
count_cb(void *arg, const char *doc)
{
	(void)doc;
	(*(unsigned *)arg)++;
	return 0;
}

static unsigned
rows(struct fx *f, enum ctl_kind k)
{
	unsigned n = 0;

	assert_int_equal(store_foreach_doc(f->st, k, NULL, count_cb, &n), 0);
	return n;
}

static void
test_rows(void **state)
{
	struct fx *f = *state;
	struct ctl_network n, m;
	struct ctl_ip ip;
	char owner[CTL_UUID_LEN + 1];
	bool used;

	mk_net(f, &admin, "{\"name\":\"n1\"}", &n);
	assert_int_equal(n.segmentation_id, 1);
	assert_int_equal(n.m.revision_number, 1);
	assert_int_equal(store_network_get(f->st, n.m.id, &m), 0);
	assert_string_equal(n.m.id, m.m.id);
	assert_string_equal(n.m.name, m.m.name);
	assert_int_equal(n.m.created_at, m.m.created_at);
	assert_int_equal(n.segmentation_id, m.segmentation_id);
	assert_int_equal(n.mtu, m.mtu);
	assert_int_equal(
		store_network_get(f->st, "00000000-0000-0000-0000-000000000000",
				  &m),
		-ENOENT);
	/* VNI uniqueness at the row level. */
	m = n;
	model_uuid_new(m.m.id);
	assert_int_equal(store_network_put(f->st, &m, true), -EEXIST);
	assert_int_equal(store_vni_used(f->st, 1, &used), 0);
	assert_true(used);
	/* Allocation rows: a duplicate address cannot be stored. */
	{
		struct ctl_subnet s;
		struct ctl_port p;
		struct ctl_err err;
		char body[256];

		mk_sub(f, n.m.id, "10.0.0.0/24", &s);
		snprintf(body, sizeof(body), "{\"network_id\":\"%s\"}", n.m.id);
		assert_int_equal(mk_port(f, &admin, body, &p, &err), 0);
		assert_int_equal(p.n_fixed_ips, 1);
		ipam_ip_parse("10.0.0.2", &ip);
		assert_int_equal(ipam_ip_cmp(&p.fixed_ips[0].ip, &ip), 0);
		assert_int_equal(store_ip_owner(f->st, s.m.id, &ip, owner), 0);
		assert_string_equal(owner, p.m.id);
		assert_int_equal(store_begin(f->st), 0);
		assert_int_equal(
			store_ip_add(f->st, s.m.id, &ip, p.m.id, n.m.id),
			-EEXIST);
		store_rollback(f->st);
		/* Deleting the port frees its address (cascade). */
		assert_int_equal(ctl_port_delete(f->ctl, &admin, p.m.id,
						 CTL_NO_IF_MATCH, &err),
				 0);
		assert_int_equal(store_ip_owner(f->st, s.m.id, &ip, owner),
				 -ENOENT);
	}
}

static void
test_persist(void **state)
{
	struct fx *f = *state;
	struct ctl_network n, m;

	mk_net(f, &admin, "{\"name\":\"keep\",\"mtu\":\"1400\"}", &n);
	ctl_destroy(f->ctl);
	store_close(f->st);
	assert_int_equal(store_open(f->path, &f->st), 0);
	assert_int_equal(ctl_create(f->st, &f->ctl), 0);
	assert_int_equal(store_network_get(f->st, n.m.id, &m), 0);
	assert_string_equal(m.m.name, "keep");
	assert_int_equal(m.mtu, 1400);
}

static void
test_bulk_rollback(void **state)
{
	struct fx *f = *state;
	struct ctl_network n;
	struct ctl_subnet s;
	struct ctl_port p[3];
	struct ctl_err err;
	unsigned pr[3];
	json_t *j;
	int i;

	mk_net(f, &admin, "{\"name\":\"bulk\"}", &n);
	mk_sub(f, n.m.id, "10.0.0.0/24", &s);
	for (i = 0; i < 3; i++) {
		j = J("{\"network_id\":\"%s\",\"fixed_ips\":"
		      "[{\"ip_address\":\"10.0.0.%d\"}]}",
		      n.m.id, i == 2 ? 10 : 10 + i);
		assert_int_equal(
			model_port_decode(j, MODEL_CREATE, &p[i], &pr[i], &err),
			0);
		json_decref(j);
	}
	f->n_created[CTL_PORT] = 0;
	/* The third repeats the first's address: nothing is stored. */
	assert_int_not_equal(ctl_port_create(f->ctl, &admin, p, pr, 3, &err),
			     0);
	assert_int_equal(err.code, CTL_E_IP_IN_USE);
	assert_int_equal(rows(f, CTL_PORT), 0);
	assert_int_equal(f->n_created[CTL_PORT], 0);
	/* Two good ones: both, and both observed after the commit. */
	assert_int_equal(ctl_port_create(f->ctl, &admin, p, pr, 2, &err), 0);
	assert_int_equal(rows(f, CTL_PORT), 2);
	assert_int_equal(f->n_created[CTL_PORT], 2);
}

static void
test_in_use(void **state)
{
	struct fx *f = *state;
	struct ctl_network n;
	struct ctl_subnet s;
	struct ctl_port p, d;
	struct ctl_err err;
	char body[256];

	mk_net(f, &admin, "{\"name\":\"busy\"}", &n);
	mk_sub(f, n.m.id, "10.0.0.0/24", &s);
	snprintf(body, sizeof(body), "{\"network_id\":\"%s\"}", n.m.id);
	assert_int_equal(mk_port(f, &admin, body, &p, &err), 0);
	snprintf(body, sizeof(body),
		 "{\"network_id\":\"%s\","
		 "\"device_owner\":\"network:dhcp\"}",
		 n.m.id);
	assert_int_equal(mk_port(f, &admin, body, &d, &err), 0);
	assert_int_not_equal(ctl_network_delete(f->ctl, &admin, n.m.id,
						CTL_NO_IF_MATCH, &err),
			     0);
	assert_int_equal(err.code, CTL_E_NETWORK_IN_USE);
	assert_int_not_equal(ctl_subnet_delete(f->ctl, &admin, s.m.id,
					       CTL_NO_IF_MATCH, &err),
			     0);
	assert_int_equal(err.code, CTL_E_SUBNET_IN_USE);
	assert_int_equal(
		ctl_port_delete(f->ctl, &admin, p.m.id, CTL_NO_IF_MATCH, &err),
		0);
	/* Only the DHCP port is left: it goes with the network. */
	f->n_deleted[CTL_PORT] = 0;
	assert_int_equal(ctl_network_delete(f->ctl, &admin, n.m.id,
					    CTL_NO_IF_MATCH, &err),
			 0);
	assert_int_equal(f->n_deleted[CTL_PORT], 1);
	assert_int_equal(f->n_deleted[CTL_SUBNET], 1);
	assert_int_equal(rows(f, CTL_PORT), 0);
	assert_int_equal(rows(f, CTL_SUBNET), 0);
}

static void
test_update_if_match(void **state)
{
	struct fx *f = *state;
	struct ctl_network n, u;
	struct ctl_err err;
	json_t *b;

	mk_net(f, &admin, "{\"name\":\"rev\"}", &n);
	b = J("{\"mtu\":\"1300\"}");
	assert_int_not_equal(
		ctl_network_update(f->ctl, &admin, n.m.id, b, 7, &u, &err), 0);
	assert_int_equal(err.code, CTL_E_REVISION);
	assert_int_equal(
		ctl_network_update(f->ctl, &admin, n.m.id, b, 1, &u, &err), 0);
	assert_int_equal(u.mtu, 1300);
	assert_int_equal(u.m.revision_number, 2);
	assert_string_equal(u.m.id, n.m.id);
	json_decref(b);
	/* Read-only attribute in a PUT: 400 and unchanged. */
	b = J("{\"status\":\"DOWN\"}");
	assert_int_not_equal(ctl_network_update(f->ctl, &admin, n.m.id, b,
						CTL_NO_IF_MATCH, &u, &err),
			     0);
	json_decref(b);
	assert_int_equal(store_network_get(f->st, n.m.id, &u), 0);
	assert_int_equal(u.m.revision_number, 2);
	/* The binder's hook bumps the revision and is observed. */
	{
		struct ctl_subnet s;
		struct ctl_port p;
		char body[128];

		mk_sub(f, n.m.id, "10.9.0.0/24", &s);
		snprintf(body, sizeof(body), "{\"network_id\":\"%s\"}", n.m.id);
		assert_int_equal(mk_port(f, &admin, body, &p, &err), 0);
		f->n_updated[CTL_PORT] = 0;
		assert_int_equal(
			ctl_port_set_status(f->ctl, p.m.id, CTL_STATUS_ACTIVE),
			0);
		assert_int_equal(ctl_port_set_binding(
					 f->ctl, p.m.id, "vhostuser",
					 "{\"vhostuser_socket\":\"/run/x\"}"),
				 0);
		assert_int_equal(f->n_updated[CTL_PORT], 2);
		assert_int_equal(store_port_get(f->st, p.m.id, &p), 0);
		assert_int_equal(p.status, CTL_STATUS_ACTIVE);
		assert_string_equal(p.vif_type, "vhostuser");
		assert_int_equal(p.m.revision_number, 3);
		assert_int_not_equal(
			ctl_port_set_binding(f->ctl, p.m.id, "bogus", "{}"), 0);
	}
}

static void
test_projects(void **state)
{
	struct fx *f = *state;
	struct ctl_auth pa = {false, "projA"}, pb = {false, "projB"};
	struct ctl_network n, m;
	struct ctl_err err;
	struct store_query q = {0};
	unsigned cnt = 0;
	char body[128];
	struct ctl_port p;

	mk_net(f, &pa, "{\"name\":\"a\"}", &n);
	assert_string_equal(n.m.project_id, "projA");
	assert_int_equal(ctl_network_get(f->ctl, &pa, n.m.id, &m, &err), 0);
	assert_int_not_equal(ctl_network_get(f->ctl, &pb, n.m.id, &m, &err), 0);
	assert_int_equal(ctl_err_status(err.code), 404);
	/* B may not create a port on A's network, nor claim A's project. */
	snprintf(body, sizeof(body), "{\"network_id\":\"%s\"}", n.m.id);
	assert_int_not_equal(mk_port(f, &pb, body, &p, &err), 0);
	assert_int_equal(err.code, CTL_E_NETWORK_NOT_FOUND);
	{
		struct ctl_network x;
		unsigned pr;
		json_t *j = J("{\"project_id\":\"projA\"}");

		assert_int_equal(
			model_network_decode(j, MODEL_CREATE, &x, &pr, &err),
			0);
		json_decref(j);
		assert_int_not_equal(
			ctl_network_create(f->ctl, &pb, &x, &pr, 1, &err), 0);
		assert_int_equal(ctl_err_status(err.code), 403);
		/* Nor shared networks. */
		j = J("{\"shared\":true}");
		model_network_decode(j, MODEL_CREATE, &x, &pr, &err);
		json_decref(j);
		assert_int_not_equal(
			ctl_network_create(f->ctl, &pb, &x, &pr, 1, &err), 0);
	}
	/* Binding attributes and network:* owners are the admin's. */
	{
		struct ctl_network nb;

		mk_net(f, &pb, "{\"name\":\"b\"}", &nb);
		snprintf(body, sizeof(body),
			 "{\"network_id\":\"%s\","
			 "\"binding:profile\":{\"interface\":\"eth0\"}}",
			 nb.m.id);
		assert_int_not_equal(mk_port(f, &pb, body, &p, &err), 0);
		assert_int_equal(err.code, CTL_E_FORBIDDEN);
		snprintf(body, sizeof(body),
			 "{\"network_id\":\"%s\","
			 "\"device_owner\":\"network:dhcp\"}",
			 nb.m.id);
		assert_int_not_equal(mk_port(f, &pb, body, &p, &err), 0);
		assert_int_equal(err.code, CTL_E_FORBIDDEN);
		snprintf(body, sizeof(body), "{\"network_id\":\"%s\"}",
			 nb.m.id);
		assert_int_equal(mk_port(f, &pb, body, &p, &err), 0);
		{
			struct ctl_port u;
			json_t *b = J("{\"binding:host_id\":\"h1\"}");

			assert_int_not_equal(
				ctl_port_update(f->ctl, &pb, p.m.id, b,
						CTL_NO_IF_MATCH, &u, &err),
				0);
			assert_int_equal(err.code, CTL_E_FORBIDDEN);
			assert_int_equal(ctl_port_update(f->ctl, &admin, p.m.id,
							 b, CTL_NO_IF_MATCH, &u,
							 &err),
					 0);
			json_decref(b);
			b = J("{\"name\":\"renamed\"}");
			assert_int_equal(ctl_port_update(f->ctl, &pb, p.m.id, b,
							 CTL_NO_IF_MATCH, &u,
							 &err),
					 0);
			json_decref(b);
		}
	}
	/* A shared network's subnets are visible, not changeable. */
	{
		struct ctl_network sh;
		struct ctl_subnet ss, got;
		json_t *b;

		mk_net(f, &admin, "{\"name\":\"sh\",\"shared\":true}", &sh);
		mk_sub(f, sh.m.id, "10.77.0.0/24", &ss);
		assert_int_equal(
			ctl_subnet_get(f->ctl, &pb, ss.m.id, &got, &err), 0);
		b = J("{\"name\":\"x\"}");
		assert_int_not_equal(ctl_subnet_update(f->ctl, &pb, ss.m.id, b,
						       CTL_NO_IF_MATCH, &got,
						       &err),
				     0);
		assert_int_equal(err.code, CTL_E_FORBIDDEN);
		json_decref(b);
		assert_int_not_equal(ctl_subnet_delete(f->ctl, &pb, ss.m.id,
						       CTL_NO_IF_MATCH, &err),
				     0);
		q.project_id = "projB";
		q.include_shared = true;
		cnt = 0;
		assert_int_equal(store_foreach_doc(f->st, CTL_SUBNET, &q,
						   count_cb, &cnt),
				 0);
		assert_int_equal(cnt, 1);
		q.include_shared = false;
		cnt = 0;
		assert_int_equal(store_foreach_doc(f->st, CTL_SUBNET, &q,
						   count_cb, &cnt),
				 0);
		assert_int_equal(cnt, 0);
		/* And a port of B on it gets an address from it. */
		snprintf(body, sizeof(body), "{\"network_id\":\"%s\"}",
			 sh.m.id);
		assert_int_equal(mk_port(f, &pb, body, &p, &err), 0);
		assert_int_equal(p.n_fixed_ips, 1);
		assert_string_equal(p.m.project_id, "projB");
	}
	cnt = 0;
	q.project_id = "projB";
	assert_int_equal(
		store_foreach_doc(f->st, CTL_NETWORK, &q, count_cb, &cnt), 0);
	assert_int_equal(cnt, 1);
	cnt = 0;
	q.project_id = "projA";
	assert_int_equal(
		store_foreach_doc(f->st, CTL_NETWORK, &q, count_cb, &cnt), 0);
	assert_int_equal(cnt, 1);
}

static void
test_port_ips(void **state)
{
	struct fx *f = *state;
	struct ctl_network n;
	struct ctl_subnet s;
	struct ctl_port p, p2;
	struct ctl_err err;
	char body[512];
	json_t *b;

	mk_net(f, &admin, "{\"name\":\"ips\"}", &n);
	mk_sub(f, n.m.id, "10.0.0.0/29", &s); /* .2 - .6 */
	/* Two picks on one subnet in one port get two addresses. */
	snprintf(body, sizeof(body),
		 "{\"network_id\":\"%s\",\"fixed_ips\":"
		 "[{\"subnet_id\":\"%s\"},{\"subnet_id\":\"%s\"}]}",
		 n.m.id, s.m.id, s.m.id);
	assert_int_equal(mk_port(f, &admin, body, &p, &err), 0);
	assert_int_equal(p.n_fixed_ips, 2);
	assert_int_not_equal(
		ipam_ip_cmp(&p.fixed_ips[0].ip, &p.fixed_ips[1].ip), 0);
	/* An address outside the subnet, or the broadcast: 400. */
	snprintf(body, sizeof(body),
		 "{\"network_id\":\"%s\",\"fixed_ips\":"
		 "[{\"subnet_id\":\"%s\",\"ip_address\":\"10.0.0.7\"}]}",
		 n.m.id, s.m.id);
	assert_int_not_equal(mk_port(f, &admin, body, &p2, &err), 0);
	assert_int_equal(err.code, CTL_E_INVALID_INPUT);
	/* Exhaust: .4 .5 .6 left. */
	snprintf(body, sizeof(body), "{\"network_id\":\"%s\"}", n.m.id);
	assert_int_equal(mk_port(f, &admin, body, &p2, &err), 0);
	assert_int_equal(mk_port(f, &admin, body, &p2, &err), 0);
	assert_int_equal(mk_port(f, &admin, body, &p2, &err), 0);
	assert_int_not_equal(mk_port(f, &admin, body, &p2, &err), 0);
	assert_int_equal(err.code, CTL_E_IP_EXHAUSTED);
	/* Update: move p to a fixed address freed by nobody -> 409. */
	b = J("{\"fixed_ips\":[{\"ip_address\":\"10.0.0.6\"}]}");
	assert_int_not_equal(ctl_port_update(f->ctl, &admin, p.m.id, b,
					     CTL_NO_IF_MATCH, &p2, &err),
			     0);
	assert_int_equal(err.code, CTL_E_IP_IN_USE);
	json_decref(b);
	/* Keep one of its own addresses: fine, the other is freed. */
	b = J("{\"fixed_ips\":[{\"ip_address\":\"10.0.0.2\"}],"
	      "\"name\":\"moved\"}");
	assert_int_equal(ctl_port_update(f->ctl, &admin, p.m.id, b,
					 CTL_NO_IF_MATCH, &p2, &err),
			 0);
	json_decref(b);
	assert_int_equal(p2.n_fixed_ips, 1);
	assert_string_equal(p2.m.name, "moved");
	snprintf(body, sizeof(body), "{\"network_id\":\"%s\"}", n.m.id);
	assert_int_equal(mk_port(f, &admin, body, &p2, &err), 0);
	/* Overlapping subnet on the same network. */
	{
		struct ctl_subnet o;
		unsigned pr;
		json_t *j = J("{\"network_id\":\"%s\",\"ip_version\":4,"
			      "\"cidr\":\"10.0.0.0/16\"}",
			      n.m.id);

		assert_int_equal(
			model_subnet_decode(j, MODEL_CREATE, &o, &pr, &err), 0);
		json_decref(j);
		assert_int_not_equal(
			ctl_subnet_create(f->ctl, &admin, &o, &pr, 1, &err), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_rollback, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_in_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_if_match, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_projects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_ips, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
