// SPDX-License-Identifier: BSD-2-Clause
/*
 * model_fuzz.c: libFuzzer target for request decoding and validation.
 * The input is a request body: it is parsed as JSON like the API does,
 * and every object found under a network/subnet/port key (or the body
 * itself) is decoded for create, checked as an update body and, when it
 * decodes, encoded and decoded back in store mode, which must succeed.
 * A second pass feeds the bytes as query-string values to query_parse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "query.h"
#include "res.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fill the attributes the service sets on create. */
static void
model_fuzz_meta(struct ctl_meta *m)
{
	strcpy(m->id, "e2fd5410-ff2c-4424-a8db-fb96fd708611");
	if (m->project_id[0] == '\0')
		strcpy(m->project_id, "p1");
}

static void
model_fuzz_one(enum ctl_kind kind, const json_t *obj)
{
	union {
		struct ctl_network n;
		struct ctl_subnet s;
		struct ctl_port p;
	} *o = malloc(sizeof(*o) * 2);
	struct ctl_err err;
	unsigned pr;
	json_t *enc = NULL;
	int rc;

	if (o == NULL)
		return;
	model_check_update(kind, obj, &err);
	/* What the service fills in before anything is stored. */
	memset(o, 0, sizeof(*o) * 2);
	switch (kind) {
	case CTL_NETWORK:
		rc = model_network_decode(obj, MODEL_CREATE, &o[0].n, &pr,
					  &err);
		if (rc == 0) {
			model_fuzz_meta(&o[0].n.m);
			enc = model_network_encode(&o[0].n);
			if (model_network_decode(enc, MODEL_STORE, &o[1].n,
						 NULL, &err) != 0)
				abort();
		}
		break;
	case CTL_SUBNET:
		rc = model_subnet_decode(obj, MODEL_CREATE, &o[0].s, &pr, &err);
		if (rc == 0) {
			model_fuzz_meta(&o[0].s.m);
			enc = model_subnet_encode(&o[0].s);
			if (model_subnet_decode(enc, MODEL_STORE, &o[1].s, NULL,
						&err) != 0)
				abort();
		}
		break;
	case CTL_PORT:
	default:
		rc = model_port_decode(obj, MODEL_CREATE, &o[0].p, &pr, &err);
		if (rc == 0) {
			/* A stored port always has complete fixed IPs. */
			unsigned i;

			for (i = 0; i < o[0].p.n_fixed_ips; i++) {
				if (o[0].p.fixed_ips[i].subnet_id[0] == '\0' ||
				    o[0].p.fixed_ips[i].ip.family == 0)
					break;
			}
			if (i < o[0].p.n_fixed_ips)
				break;
			model_fuzz_meta(&o[0].p.m);
			if (!(pr & MODEL_HAS_MAC)) {
				static const uint8_t mac[6] = {0xfa, 0x16, 0x3e,
							       0,    0,	   1};

				memcpy(o[0].p.mac, mac, 6);
			}
			enc = model_port_encode(&o[0].p);
			if (model_port_decode(enc, MODEL_STORE, &o[1].p, NULL,
					      &err) != 0)
				abort();
		}
		break;
	}
	json_decref(enc);
	free(o);
}

/* A document kind (res.h): decode as POST, then the body as a PUT. */
static void
model_fuzz_doc(enum ctl_kind kind, const json_t *obj)
{
	struct ctl_err err;
	json_t *doc = NULL, *upd = NULL;

	res_check_update(kind, obj, &err);
	if (res_decode(kind, obj, &doc, NULL, &err) == 0) {
		if (doc == NULL)
			abort();
		if (res_apply_update(kind, doc, obj, &upd, &err) == 0 &&
		    upd == NULL)
			abort();
		res_proto_number(json_object_get(doc, "protocol"));
	} else if (doc != NULL) {
		abort(); /* a failed decode returns nothing */
	}
	json_decref(upd);
	json_decref(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"network", "subnet", "port"};
	static const char *const lists[] = {"networks", "subnets", "ports"};
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
			       NULL);
	unsigned k;

	if (j != NULL && json_is_object(j)) {
		for (k = 0; k < 3; k++) {
			json_t *o = json_object_get(j, keys[k]);
			json_t *l = json_object_get(j, lists[k]);
			size_t i;
			json_t *e;

			if (json_is_object(o))
				model_fuzz_one((enum ctl_kind)k, o);
			json_array_foreach(l, i, e)
			{
				if (i >= 8)
					break;
				if (json_is_object(e))
					model_fuzz_one((enum ctl_kind)k, e);
			}
			if (o == NULL && l == NULL)
				model_fuzz_one((enum ctl_kind)k, j);
		}
		for (k = CTL_ROUTER; k < CTL_KIND_COUNT; k++) {
			json_t *o = json_object_get(
				j, res_singular((enum ctl_kind)k));

			model_fuzz_doc((enum ctl_kind)k,
				       json_is_object(o) ? o : j);
		}
	}
	json_decref(j);

	/* The bytes as query values: "key=value" split at the first '='. */
	if (size > 0 && size < 512) {
		char *buf = malloc(size + 1);
		struct query_arg a[2];
		struct ctl_err err;
		struct query q;

		if (buf == NULL)
			return 0;
		memcpy(buf, data, size);
		buf[size] = '\0';
		a[0].key = "limit";
		a[0].value = buf;
		a[1].key = "name";
		a[1].value = buf;
		for (k = 0; k < CTL_KIND_COUNT; k++) {
			if (query_parse((enum ctl_kind)k, a, 2, &q, &err) == 0)
				query_fini(&q);
		}
		a[0].key = buf;
		if (query_parse(CTL_PORT, a, 1, &q, &err) == 0)
			query_fini(&q);
		free(buf);
	}
	return 0;
}
