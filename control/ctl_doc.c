// SPDX-License-Identifier: BSD-2-Clause
/*
 * ctl_doc.c: the generic service of the document kinds (ctl.h ctl_doc_*):
 * routers, floating IPs, security groups and rules go through the same
 * create/get/update/delete/tags code, which sets the standard attributes,
 * checks ownership and If-Match revisions, stores the document and
 * records the change; the kind's rules come from its struct ctl_doc_ops
 * (l3.c, sg.c). Visibility: the admin sees everything, a project its own
 * documents.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ctl_int.h"
#include "res.h"

static const struct ctl_doc_ops *
ctl_doc_ops(enum ctl_kind kind)
{
	switch (kind) {
	case CTL_ROUTER:
		return &l3_router_ops;
	case CTL_FLOATINGIP:
		return &l3_fip_ops;
	case CTL_SECGROUP:
		return &sg_group_ops;
	case CTL_SGRULE:
	default:
		return &sg_rule_ops;
	}
}

static void
ctl_doc_set_time(json_t *doc, const char *key, int64_t t)
{
	char buf[32];

	model_time_format(t, buf, sizeof(buf));
	json_object_set_new(doc, key, json_string(buf));
}

static void
ctl_doc_bump(json_t *doc)
{
	json_int_t rev =
		json_integer_value(json_object_get(doc, "revision_number"));

	json_object_set_new(doc, "revision_number", json_integer(rev + 1));
	ctl_doc_set_time(doc, "updated_at", (int64_t)time(NULL));
}

int
ctl_doc_lookup(struct ctl *c, const struct ctl_auth *auth, enum ctl_kind kind,
	       const char *id, json_t **out, struct ctl_err *err)
{
	const struct ctl_doc_ops *ops = ctl_doc_ops(kind);
	int rc = model_is_uuid(id)
			 ? store_doc_get(ctl_tx_store(c), kind, id, out)
			 : -ENOENT;

	if (rc == 0 && !auth->is_admin &&
	    strcmp(res_str(*out, "project_id"), auth->project_id) != 0) {
		json_decref(*out);
		*out = NULL;
		rc = -ENOENT;
	}
	if (rc == -ENOENT)
		return ctl_err_set(err, ops->not_found,
				   "%s %.64s could not be found.", ops->label,
				   id);
	if (rc != 0)
		return ctl_tx_store_err(rc, err);
	return 0;
}

int
ctl_doc_put(struct ctl *c, enum ctl_kind kind, const json_t *old, json_t *cur,
	    struct ctl_err *err)
{
	int rc;

	ctl_doc_bump(cur);
	rc = store_doc_put(ctl_tx_store(c), kind, cur, false);
	if (rc == 0)
		rc = ctl_tx_record_doc(c, kind, CTL_UPDATED, old, cur);
	return rc != 0 ? ctl_tx_store_err(rc, err) : 0;
}

int
ctl_doc_del(struct ctl *c, enum ctl_kind kind, const json_t *old,
	    struct ctl_err *err)
{
	int rc = store_del(ctl_tx_store(c), kind, res_str(old, "id"));

	if (rc == 0)
		rc = ctl_tx_record_doc(c, kind, CTL_DELETED, old, NULL);
	return rc != 0 ? ctl_tx_store_err(rc, err) : 0;
}

static int
ctl_doc_list_cb(void *arg, json_t *doc)
{
	return json_array_append(arg, doc) == 0 ? 0 : -ENOMEM;
}

json_t *
ctl_doc_list(struct ctl *c, enum ctl_kind kind, const struct store_query *q)
{
	json_t *list = json_array();

	if (list != NULL && store_doc_foreach(ctl_tx_store(c), kind, q,
					      ctl_doc_list_cb, list) != 0) {
		json_decref(list);
		return NULL;
	}
	return list;
}

void
ctl_doc_query(struct store_query *q, const char *column,
	      const char *const *value)
{
	memset(q, 0, sizeof(*q));
	q->n_cols = 1;
	q->cols[0].column = column;
	q->cols[0].values = value;
	q->cols[0].n_values = 1;
}

/* Standard attributes of a new document; project checked against auth. */
static int
ctl_doc_meta_new(const struct ctl_auth *auth, json_t *doc, unsigned present,
		 struct ctl_err *err)
{
	struct ctl_meta *m = calloc(1, sizeof(*m));
	int rc;

	if (m == NULL)
		return ctl_tx_store_err(-ENOMEM, err);
	snprintf(m->project_id, sizeof(m->project_id), "%s",
		 res_str(doc, "project_id"));
	rc = ctl_tx_meta_new(auth, m, present, err);
	if (rc == 0) {
		json_object_set_new(doc, "project_id",
				    json_string(m->project_id));
		json_object_set(doc, "tenant_id",
				json_object_get(doc, "project_id"));
		json_object_set_new(doc, "id", json_string(m->id));
		json_object_set_new(
			doc, "revision_number",
			json_integer((json_int_t)m->revision_number));
		ctl_doc_set_time(doc, "created_at", m->created_at);
		ctl_doc_set_time(doc, "updated_at", m->updated_at);
	}
	free(m);
	return rc;
}

int
ctl_doc_insert(struct ctl *c, const struct ctl_auth *auth, enum ctl_kind kind,
	       json_t *doc, unsigned present, bool with_rules,
	       struct ctl_err *err)
{
	const struct ctl_doc_ops *ops = ctl_doc_ops(kind);
	int rc = ctl_doc_meta_new(auth, doc, present, err);

	if (rc == 0 && with_rules)
		rc = ops->create(c, auth, doc, err);
	if (rc != 0)
		return rc;
	rc = store_doc_put(ctl_tx_store(c), kind, doc, true);
	if (rc == 0)
		rc = ctl_tx_record_doc(c, kind, CTL_CREATED, NULL, doc);
	return rc != 0 ? ctl_tx_store_err(rc, err) : 0;
}

int
ctl_doc_create(struct ctl *c, const struct ctl_auth *auth, enum ctl_kind kind,
	       json_t **docs, const unsigned *present, unsigned n,
	       struct ctl_err *err)
{
	unsigned i;
	int rc;

	if (!ctl_kind_is_doc(kind))
		return ctl_err_set(err, CTL_E_INTERNAL, "bad kind");
	if (ctl_tx_begin(c, err) != 0)
		return -EIO;
	for (i = 0, rc = 0; i < n && rc == 0; i++)
		rc = ctl_doc_insert(c, auth, kind, docs[i], present[i], true,
				    err);
	rc = ctl_tx_end(c, rc, err);
	for (i = 0; rc == 0 && i < n; i++)
		ctl_doc_decorate(c, kind, docs[i]);
	return rc;
}

int
ctl_doc_decorate(struct ctl *c, enum ctl_kind kind, json_t *doc)
{
	const char *id[1] = {res_str(doc, "id")};
	struct store_query q;
	json_t *rules;

	if (kind != CTL_SECGROUP)
		return 0;
	ctl_doc_query(&q, "security_group_id", id);
	rules = ctl_doc_list(c, CTL_SGRULE, &q);
	if (rules == NULL)
		return -EIO;
	json_object_set_new(doc, "security_group_rules", rules);
	return 0;
}

int
ctl_doc_get(struct ctl *c, const struct ctl_auth *auth, enum ctl_kind kind,
	    const char *id, json_t **out, struct ctl_err *err)
{
	int rc;

	if (!ctl_kind_is_doc(kind))
		return ctl_err_set(err, CTL_E_INTERNAL, "bad kind");
	rc = ctl_doc_lookup(c, auth, kind, id, out, err);
	if (rc == 0)
		ctl_doc_decorate(c, kind, *out);
	return rc;
}

static int
ctl_doc_check_revision(const json_t *doc, int64_t if_match, struct ctl_err *err)
{
	json_int_t rev =
		json_integer_value(json_object_get(doc, "revision_number"));

	if (if_match == CTL_NO_IF_MATCH || if_match == (int64_t)rev)
		return 0;
	return ctl_err_set(err, CTL_E_REVISION,
			   "Constrained to %lld, but current revision is %lld",
			   (long long)if_match, (long long)rev);
}

/* Load, check owner and revision: the common head of update/delete. */
static int
ctl_doc_load(struct ctl *c, const struct ctl_auth *auth, enum ctl_kind kind,
	     const char *id, int64_t if_match, json_t **old,
	     struct ctl_err *err)
{
	int rc = ctl_doc_lookup(c, auth, kind, id, old, err);

	if (rc == 0 && !ctl_tx_is_owner(auth, res_str(*old, "project_id")))
		rc = ctl_err_set(err, CTL_E_FORBIDDEN,
				 "(rule:update_%s) is disallowed by policy",
				 res_singular(kind));
	if (rc == 0)
		rc = ctl_doc_check_revision(*old, if_match, err);
	return rc;
}

int
ctl_doc_update(struct ctl *c, const struct ctl_auth *auth, enum ctl_kind kind,
	       const char *id, const json_t *body, int64_t if_match,
	       json_t **out, struct ctl_err *err)
{
	const struct ctl_doc_ops *ops;
	json_t *old = NULL, *cur = NULL;
	int rc;

	*out = NULL;
	if (!ctl_kind_is_doc(kind))
		return ctl_err_set(err, CTL_E_INTERNAL, "bad kind");
	ops = ctl_doc_ops(kind);
	if (res_check_update(kind, body, err) != 0)
		return -EINVAL;
	if (ctl_tx_begin(c, err) != 0)
		return -EIO;
	rc = ctl_doc_load(c, auth, kind, id, if_match, &old, err);
	if (rc == 0)
		rc = res_apply_update(kind, old, body, &cur, err);
	if (rc == 0 && ops->update != NULL)
		rc = ops->update(c, auth, old, cur, body, err);
	if (rc == 0)
		rc = ctl_doc_put(c, kind, old, cur, err);
	json_decref(old);
	rc = ctl_tx_end(c, rc, err);
	if (rc != 0) {
		json_decref(cur);
		return rc;
	}
	ctl_doc_decorate(c, kind, cur);
	*out = cur;
	return 0;
}

int
ctl_doc_delete(struct ctl *c, const struct ctl_auth *auth, enum ctl_kind kind,
	       const char *id, int64_t if_match, struct ctl_err *err)
{
	const struct ctl_doc_ops *ops;
	json_t *old = NULL;
	int rc;

	if (!ctl_kind_is_doc(kind))
		return ctl_err_set(err, CTL_E_INTERNAL, "bad kind");
	ops = ctl_doc_ops(kind);
	if (ctl_tx_begin(c, err) != 0)
		return -EIO;
	rc = ctl_doc_load(c, auth, kind, id, if_match, &old, err);
	if (rc == 0 && ops->del != NULL)
		rc = ops->del(c, auth, old, err);
	if (rc == 0)
		rc = ctl_doc_del(c, kind, old, err);
	json_decref(old);
	return ctl_tx_end(c, rc, err);
}

/* The tag operations on a document's "tags" list. */
static int
ctl_doc_tags_apply(json_t *doc, enum ctl_tag_op op, const json_t *tags,
		   const char *tag, struct ctl_err *err)
{
	json_t *list = json_object_get(doc, "tags"), *body, *upd = NULL;
	size_t i;
	int rc;

	if (!json_is_array(list))
		return ctl_err_set(err, CTL_E_BAD_REQUEST,
				   "This resource has no tags.");
	switch (op) {
	case CTL_TAGS_REPLACE:
		body = json_pack("{sO}", "tags", (json_t *)tags);
		break;
	case CTL_TAG_ADD:
		body = json_pack("{sO}", "tags", list);
		json_array_append_new(json_object_get(body, "tags"),
				      json_string(tag));
		break;
	case CTL_TAG_DEL:
		for (i = 0; i < json_array_size(list); i++) {
			if (strcmp(json_string_value(json_array_get(list, i)),
				   tag) == 0)
				break;
		}
		if (i == json_array_size(list))
			return ctl_err_set(err, CTL_E_NOT_FOUND,
					   "Tag %.64s could not be found.",
					   tag);
		json_array_remove(list, i);
		return 0;
	case CTL_TAGS_CLEAR:
	default:
		json_array_clear(list);
		return 0;
	}
	if (body == NULL)
		return ctl_err_set(err, CTL_E_INTERNAL, "Out of memory.");
	/* Through the kind's table: the same tag rules as a PUT. */
	rc = res_apply_update(CTL_ROUTER, doc, body, &upd, err);
	json_decref(body);
	if (rc == 0)
		json_object_set(doc, "tags", json_object_get(upd, "tags"));
	json_decref(upd);
	return rc;
}

int
ctl_doc_tags(struct ctl *c, const struct ctl_auth *auth, enum ctl_kind kind,
	     const char *id, enum ctl_tag_op op, const json_t *tags,
	     const char *tag, struct ctl_meta *meta_out, struct ctl_err *err)
{
	json_t *old = NULL, *cur = NULL, *t;
	size_t i;
	int rc;

	if (ctl_tx_begin(c, err) != 0)
		return -EIO;
	rc = ctl_doc_load(c, auth, kind, id, CTL_NO_IF_MATCH, &old, err);
	if (rc == 0) {
		cur = json_deep_copy(old);
		rc = cur == NULL ? ctl_err_set(err, CTL_E_INTERNAL, "OOM")
				 : ctl_doc_tags_apply(cur, op, tags, tag, err);
	}
	if (rc == 0)
		rc = ctl_doc_put(c, kind, old, cur, err);
	if (rc == 0 && meta_out != NULL) {
		memset(meta_out, 0, sizeof(*meta_out));
		json_array_foreach(json_object_get(cur, "tags"), i, t)
		{
			if (i >= CTL_TAGS_MAX)
				break;
			snprintf(meta_out->tags[i], sizeof(meta_out->tags[i]),
				 "%s", json_string_value(t));
			meta_out->n_tags++;
		}
	}
	json_decref(old);
	json_decref(cur);
	return ctl_tx_end(c, rc, err);
}
