// SPDX-License-Identifier: BSD-2-Clause
/*
 * lb_model.c: Octavia v2 attribute tables and validation (see
 * lb_model.h). Attribute names, defaults and ranges follow the Octavia
 * api-ref; the sluice provider serves TCP and UDP listeners and pools
 * only, and says so with a 400 instead of accepting what it would ignore.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lb_model.h"

enum lbm_type {
	LBM_STR,   /* string, max characters in max */
	LBM_INT,   /* integer in [min, max] */
	LBM_BOOL,  /* boolean */
	LBM_UUID,  /* canonical UUID */
	LBM_IP,	   /* IPv4 or IPv6 address, normalised */
	LBM_ENUM,  /* one of enums */
	LBM_TAGS,  /* array of strings */
	LBM_CIDRS, /* array of CIDR strings */
	LBM_ANY,   /* any JSON value; lb_model_check() decides */
};

#define LBM_C 0x1	  /* a POST may set it */
#define LBM_U 0x2	  /* a PUT may set it */
#define LBM_REQ 0x4	  /* a POST must set it */
#define LBM_NULL 0x8	  /* null is a value */
#define LBM_NOSTORE 0x10  /* consumed by lb_api.c, not stored */
#define LBM_NULL_DEF 0x20 /* null sets the default (the CLI's unset) */

struct lbm_attr {
	const char *name;
	enum lbm_type type;
	unsigned flags;
	long long min, max;
	const char *const *enums;
	const char *def; /* JSON text of the default, or NULL: none */
};

static const char *const lbm_listener_protos[] = {
	"TCP",	"UDP",	      "HTTP", "HTTPS", "TERMINATED_HTTPS",
	"SCTP", "PROMETHEUS", NULL,
};
static const char *const lbm_pool_protos[] = {
	"TCP", "UDP", "HTTP", "HTTPS", "PROXY", "PROXYV2", "SCTP", NULL,
};
static const char *const lbm_algorithms[] = {
	"ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP", "SOURCE_IP_PORT", NULL,
};
static const char *const lbm_hm_types[] = {
	"PING",	     "TCP",	    "HTTP", "HTTPS",
	"TLS-HELLO", "UDP-CONNECT", "SCTP", NULL,
};
static const char *const lbm_methods[] = {
	"GET",	 "HEAD",    "POST",  "PUT",	"DELETE",
	"TRACE", "OPTIONS", "PATCH", "CONNECT", NULL,
};

#define LBM_COMMON                                                               \
	{"name", LBM_STR, LBM_C | LBM_U, 0, 255, NULL, "\"\""},                  \
		{"admin_state_up", LBM_BOOL, LBM_C | LBM_U, 0, 0, NULL, "true"}, \
		{"project_id", LBM_STR, LBM_C, 0, 64, NULL, NULL},               \
		{"tenant_id", LBM_STR, LBM_C, 0, 64, NULL, NULL},                \
	{                                                                        \
		"tags", LBM_TAGS, LBM_C | LBM_U, 0, 0, NULL, "[]"                \
	}

#define LBM_DESCRIPTION                                                        \
	{                                                                      \
		"description", LBM_STR, LBM_C | LBM_U, 0, 255, NULL, "\"\""    \
	}

static const struct lbm_attr lbm_lb_attrs[] = {
	LBM_COMMON,
	LBM_DESCRIPTION,
	{"vip_address", LBM_IP, LBM_C | LBM_NULL, 0, 0, NULL, "null"},
	{"vip_subnet_id", LBM_UUID, LBM_C | LBM_NULL, 0, 0, NULL, "null"},
	{"vip_network_id", LBM_UUID, LBM_C | LBM_NULL, 0, 0, NULL, "null"},
	{"vip_port_id", LBM_UUID, LBM_C | LBM_NULL, 0, 0, NULL, "null"},
	{"vip_qos_policy_id", LBM_UUID, LBM_C | LBM_U | LBM_NULL, 0, 0, NULL,
	 "null"},
	{"provider", LBM_STR, LBM_C | LBM_NULL, 0, 64, NULL, "\"sluice\""},
	{"flavor_id", LBM_UUID, LBM_C | LBM_NULL, 0, 0, NULL, "null"},
	{"availability_zone", LBM_STR, LBM_C | LBM_NULL, 0, 255, NULL, "null"},
	{NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct lbm_attr lbm_listener_attrs[] = {
	LBM_COMMON,
	LBM_DESCRIPTION,
	{"loadbalancer_id", LBM_UUID, LBM_C | LBM_REQ | LBM_NOSTORE, 0, 0, NULL,
	 NULL},
	{"protocol", LBM_ENUM, LBM_C | LBM_REQ, 0, 0, lbm_listener_protos,
	 NULL},
	{"protocol_port", LBM_INT, LBM_C | LBM_REQ, 1, 65535, NULL, NULL},
	{"connection_limit", LBM_INT, LBM_C | LBM_U, -1, 1000000000, NULL,
	 "-1"},
	{"default_pool_id", LBM_UUID, LBM_C | LBM_U | LBM_NULL, 0, 0, NULL,
	 "null"},
	{"timeout_client_data", LBM_INT, LBM_C | LBM_U | LBM_NULL_DEF, 0,
	 31536000, NULL, "50000"},
	{"timeout_member_connect", LBM_INT, LBM_C | LBM_U | LBM_NULL_DEF, 0,
	 31536000, NULL, "5000"},
	{"timeout_member_data", LBM_INT, LBM_C | LBM_U | LBM_NULL_DEF, 0,
	 31536000, NULL, "50000"},
	{"timeout_tcp_inspect", LBM_INT, LBM_C | LBM_U | LBM_NULL_DEF, 0,
	 31536000, NULL, "0"},
	{"allowed_cidrs", LBM_CIDRS, LBM_C | LBM_U | LBM_NULL, 0, 0, NULL,
	 "null"},
	{"insert_headers", LBM_ANY, LBM_C | LBM_U | LBM_NULL, 0, 0, NULL, "{}"},
	{"default_tls_container_ref", LBM_ANY, LBM_C | LBM_U | LBM_NULL, 0, 0,
	 NULL, "null"},
	{"sni_container_refs", LBM_ANY, LBM_C | LBM_U | LBM_NULL, 0, 0, NULL,
	 "[]"},
	{"client_ca_tls_container_ref", LBM_ANY, LBM_C | LBM_U | LBM_NULL, 0, 0,
	 NULL, "null"},
	{NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct lbm_attr lbm_pool_attrs[] = {
	LBM_COMMON,
	LBM_DESCRIPTION,
	{"listener_id", LBM_UUID, LBM_C | LBM_NULL | LBM_NOSTORE, 0, 0, NULL,
	 NULL},
	{"loadbalancer_id", LBM_UUID, LBM_C | LBM_NULL | LBM_NOSTORE, 0, 0,
	 NULL, NULL},
	{"protocol", LBM_ENUM, LBM_C | LBM_REQ, 0, 0, lbm_pool_protos, NULL},
	{"lb_algorithm", LBM_ENUM, LBM_C | LBM_U | LBM_REQ, 0, 0,
	 lbm_algorithms, NULL},
	{"session_persistence", LBM_ANY, LBM_C | LBM_U | LBM_NULL, 0, 0, NULL,
	 "null"},
	{"tls_enabled", LBM_BOOL, LBM_C | LBM_U, 0, 0, NULL, "false"},
	{NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct lbm_attr lbm_member_attrs[] = {
	LBM_COMMON,
	{"address", LBM_IP, LBM_C | LBM_REQ, 0, 0, NULL, NULL},
	{"protocol_port", LBM_INT, LBM_C | LBM_REQ, 1, 65535, NULL, NULL},
	{"weight", LBM_INT, LBM_C | LBM_U, 0, 256, NULL, "1"},
	{"backup", LBM_BOOL, LBM_C | LBM_U, 0, 0, NULL, "false"},
	{"subnet_id", LBM_UUID, LBM_C | LBM_NULL, 0, 0, NULL, "null"},
	{"monitor_address", LBM_IP, LBM_C | LBM_U | LBM_NULL, 0, 0, NULL,
	 "null"},
	{"monitor_port", LBM_INT, LBM_C | LBM_U | LBM_NULL, 1, 65535, NULL,
	 "null"},
	{NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct lbm_attr lbm_hm_attrs[] = {
	LBM_COMMON,
	{"pool_id", LBM_UUID, LBM_C | LBM_REQ | LBM_NOSTORE, 0, 0, NULL, NULL},
	{"type", LBM_ENUM, LBM_C | LBM_REQ, 0, 0, lbm_hm_types, NULL},
	{"delay", LBM_INT, LBM_C | LBM_U | LBM_REQ, 1, 86400, NULL, NULL},
	{"timeout", LBM_INT, LBM_C | LBM_U | LBM_REQ, 0, 86400, NULL, NULL},
	{"max_retries", LBM_INT, LBM_C | LBM_U | LBM_REQ, 1, 10, NULL, NULL},
	{"max_retries_down", LBM_INT, LBM_C | LBM_U, 1, 10, NULL, "3"},
	{"http_method", LBM_ENUM, LBM_C | LBM_U | LBM_NULL, 0, 0, lbm_methods,
	 "null"},
	{"url_path", LBM_STR, LBM_C | LBM_U | LBM_NULL, 0, 255, NULL, "null"},
	{"expected_codes", LBM_STR, LBM_C | LBM_U | LBM_NULL, 0, 64, NULL,
	 "null"},
	{"http_version", LBM_ANY, LBM_C | LBM_U | LBM_NULL, 0, 0, NULL, "null"},
	{"domain_name", LBM_STR, LBM_C | LBM_U | LBM_NULL, 0, 255, NULL,
	 "null"},
	{NULL, 0, 0, 0, 0, NULL, NULL},
};

static const struct lbm_attr *const lbm_attrs[LB_KIND_COUNT] = {
	[LB_LOADBALANCER] = lbm_lb_attrs,  [LB_LISTENER] = lbm_listener_attrs,
	[LB_POOL] = lbm_pool_attrs,	   [LB_MEMBER] = lbm_member_attrs,
	[LB_HEALTHMONITOR] = lbm_hm_attrs,
};

static const char *const lbm_names[LB_KIND_COUNT][2] = {
	[LB_LOADBALANCER] = {"loadbalancer", "loadbalancers"},
	[LB_LISTENER] = {"listener", "listeners"},
	[LB_POOL] = {"pool", "pools"},
	[LB_MEMBER] = {"member", "members"},
	[LB_HEALTHMONITOR] = {"healthmonitor", "healthmonitors"},
};

/* Attributes every kind shows but no request sets. */
static const char *const lbm_readonly[] = {
	"id",
	"provisioning_status",
	"operating_status",
	"created_at",
	"updated_at",
	"listeners",
	"pools",
	"members",
	"loadbalancers",
	"healthmonitor_id",
	"l7policies",
	NULL,
};

int
lb_model_err_set(struct lb_err *err, int status, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		err->status = status;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return status >= 400 && status < 500 ? -EINVAL : -EIO;
}

const char *
lb_model_singular(enum lb_kind kind)
{
	return lbm_names[kind][0];
}

const char *
lb_model_plural(enum lb_kind kind)
{
	return lbm_names[kind][1];
}

static const struct lbm_attr *
lbm_find(enum lb_kind kind, const char *name)
{
	const struct lbm_attr *a;

	for (a = lbm_attrs[kind]; a->name != NULL; a++) {
		if (strcmp(a->name, name) == 0)
			return a;
	}
	return NULL;
}

static bool
lbm_in(const char *const *list, const char *s)
{
	for (; *list != NULL; list++) {
		if (strcmp(*list, s) == 0)
			return true;
	}
	return false;
}

bool
lb_model_is_attribute(enum lb_kind kind, const char *name)
{
	return lbm_find(kind, name) != NULL || lbm_in(lbm_readonly, name);
}

bool
lb_model_is_pending(const char *status)
{
	return status != NULL && strncmp(status, "PENDING_", 8) == 0;
}

static bool
lbm_is_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

/* A printable form of v for messages (truncated). */
static void
lbm_show(const json_t *v, char *buf, size_t len)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

	snprintf(buf, len, "%.60s", s != NULL ? s : "?");
	free(s);
}

static int
lbm_bad(const struct lbm_attr *a, const json_t *v, const char *why,
	struct lb_err *err)
{
	char shown[64];

	lbm_show(v, shown, sizeof(shown));
	return lb_model_err_set(err, 400,
				"Invalid input for field/attribute %s. Value: "
				"'%s'. %s",
				a->name, shown, why);
}

static int
lbm_int(const json_t *v, long long *out)
{
	const char *s;
	char *end;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -EINVAL;
	s = json_string_value(v);
	if (*s == '\0' || strlen(s) > 20)
		return -EINVAL;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return *end != '\0' || errno != 0 ? -EINVAL : 0;
}

static int
lbm_bool(const json_t *v, bool *out)
{
	const char *s;

	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	if (!json_is_string(v))
		return -EINVAL;
	s = json_string_value(v);
	if (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0)
		*out = true;
	else if (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0)
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* Normalise an address string; 0 or -EINVAL. */
static int
lbm_ip(const char *s, char *out, size_t len)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, s, a) == 1)
		return inet_ntop(AF_INET, a, out, (socklen_t)len) ? 0 : -EINVAL;
	if (inet_pton(AF_INET6, s, a) == 1)
		return inet_ntop(AF_INET6, a, out, (socklen_t)len) ? 0
								   : -EINVAL;
	return -EINVAL;
}

int
lb_model_cidr_parse(const char *s, struct lb_model_cidr *c)
{
	const char *slash = strchr(s, '/');
	char ip[INET6_ADDRSTRLEN];
	char *end;
	long len;

	memset(c, 0, sizeof(*c));
	if (slash == NULL || (size_t)(slash - s) >= sizeof(ip) ||
	    slash[1] == '\0')
		return -EINVAL;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	if (inet_pton(AF_INET, ip, c->addr) == 1)
		c->family = 4;
	else if (inet_pton(AF_INET6, ip, c->addr) == 1)
		c->family = 6;
	else
		return -EINVAL;
	len = strtol(slash + 1, &end, 10);
	if (*end != '\0' || len < 0 || len > (c->family == 4 ? 32 : 128))
		return -EINVAL;
	c->len = (uint8_t)len;
	for (unsigned i = 0; i < 16; i++) {
		long keep = len - 8 * (long)i;

		if (keep <= 0)
			c->addr[i] = 0;
		else if (keep < 8)
			c->addr[i] &= (uint8_t)(0xff00 >> keep);
	}
	return 0;
}

static bool
lbm_cidr_ok(const char *s)
{
	struct lb_model_cidr c;

	return lb_model_cidr_parse(s, &c) == 0;
}

/* Validate v for attribute a; *out gets the value to store (new ref). */
static int
lbm_value(const struct lbm_attr *a, const json_t *v, json_t **out,
	  struct lb_err *err)
{
	char buf[64];
	long long n;
	size_t i;
	json_t *e;
	bool b;

	if (json_is_null(v) && (a->flags & LBM_NULL_DEF) && a->def != NULL) {
		*out = json_loads(a->def, JSON_DECODE_ANY, NULL);
		return 0;
	}
	if (json_is_null(v)) {
		if (!(a->flags & LBM_NULL))
			return lbm_bad(a, v, "The value may not be null.", err);
		*out = json_null();
		return 0;
	}
	switch (a->type) {
	case LBM_STR:
		if (!json_is_string(v))
			return lbm_bad(a, v, "Value should be a string.", err);
		if (json_string_length(v) > (size_t)a->max)
			return lbm_bad(a, v, "Value is too long.", err);
		*out = json_copy((json_t *)v);
		return 0;
	case LBM_INT:
		if (lbm_int(v, &n) != 0)
			return lbm_bad(a, v, "Value should be an integer.",
				       err);
		if (n < a->min || n > a->max) {
			snprintf(buf, sizeof(buf),
				 "Value must be between %lld and %lld.", a->min,
				 a->max);
			return lbm_bad(a, v, buf, err);
		}
		*out = json_integer(n);
		return 0;
	case LBM_BOOL:
		if (lbm_bool(v, &b) != 0)
			return lbm_bad(a, v, "Value should be a boolean.", err);
		*out = json_boolean(b);
		return 0;
	case LBM_UUID:
		if (!json_is_string(v) || !lbm_is_uuid(json_string_value(v)))
			return lbm_bad(a, v, "Value should be UUID format.",
				       err);
		*out = json_copy((json_t *)v);
		return 0;
	case LBM_IP:
		if (!json_is_string(v) ||
		    lbm_ip(json_string_value(v), buf, sizeof(buf)) != 0)
			return lbm_bad(a, v,
				       "Value should be an IPv4 or IPv6 "
				       "address.",
				       err);
		*out = json_string(buf);
		return 0;
	case LBM_ENUM:
		if (!json_is_string(v) ||
		    !lbm_in(a->enums, json_string_value(v))) {
			char list[160] = "";

			for (i = 0; a->enums[i] != NULL; i++) {
				strncat(list,
					i ? ", "
					  : "Value should be "
					    "one of: ",
					sizeof(list) - strlen(list) - 1);
				strncat(list, a->enums[i],
					sizeof(list) - strlen(list) - 1);
			}
			return lbm_bad(a, v, list, err);
		}
		*out = json_copy((json_t *)v);
		return 0;
	case LBM_TAGS:
	case LBM_CIDRS:
		if (!json_is_array(v) || json_array_size(v) > 64)
			return lbm_bad(a, v, "Value should be a list.", err);
		json_array_foreach(v, i, e)
		{
			if (!json_is_string(e) || json_string_length(e) > 255 ||
			    (a->type == LBM_CIDRS &&
			     !lbm_cidr_ok(json_string_value(e))))
				return lbm_bad(a, v,
					       a->type == LBM_CIDRS
						       ? "Each item should be "
							 "a CIDR."
						       : "Each item should be "
							 "a string.",
					       err);
		}
		*out = json_deep_copy(v);
		return 0;
	case LBM_ANY:
	default:
		*out = json_deep_copy(v);
		return 0;
	}
}

int
lb_model_decode(enum lb_kind kind, const json_t *body, bool is_create,
		json_t *doc, struct lb_err *err)
{
	const struct lbm_attr *a;
	const char *key;
	json_t *v, *val;
	int rc;

	if (!json_is_object(body))
		return lb_model_err_set(err, 400,
					"Missing or malformed body: '%s' "
					"must be an object.",
					lb_model_singular(kind));
	json_object_foreach((json_t *)body, key, v)
	{
		a = lbm_find(kind, key);
		if (a == NULL && lbm_in(lbm_readonly, key))
			return lb_model_err_set(
				err, 400,
				"Invalid input for field/attribute "
				"%.64s. Value: read-only attribute.",
				key);
		if (a == NULL)
			return lb_model_err_set(
				err, 400,
				"Invalid input for field/attribute "
				"%.64s. Unknown attribute for "
				"%s.",
				key, lb_model_singular(kind));
		if (!(a->flags & (is_create ? LBM_C : LBM_U)))
			return lb_model_err_set(
				err, 400,
				"Invalid input for field/attribute "
				"%s. Value: this attribute cannot "
				"be changed after create.",
				key);
		rc = lbm_value(a, v, &val, err);
		if (rc != 0)
			return rc;
		if (val == NULL || json_object_set_new(doc, key, val) != 0)
			return lb_model_err_set(err, 500, "Out of memory.");
	}
	if (!is_create)
		return 0;
	for (a = lbm_attrs[kind]; a->name != NULL; a++) {
		if (json_object_get(doc, a->name) != NULL)
			continue;
		if (a->flags & LBM_REQ)
			return lb_model_err_set(
				err, 400,
				"Invalid input for field/attribute "
				"%s. Value: 'None'. Mandatory field "
				"missing.",
				a->name);
		if (a->def != NULL &&
		    json_object_set_new(
			    doc, a->name,
			    json_loads(a->def, JSON_DECODE_ANY, NULL)) != 0)
			return lb_model_err_set(err, 500, "Out of memory.");
	}
	return 0;
}

/* Parse a 3-digit code at s; -1 if not one. */
static int
lbm_code(const char *s, const char **end)
{
	int c;

	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]) || isdigit((unsigned char)s[3]))
		return -1;
	c = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	*end = s + 3;
	return c >= 100 && c <= 599 ? c : -1;
}

bool
lb_model_codes_valid(const char *s)
{
	const char *p = s;
	int lo, hi;

	lo = lbm_code(p, &p);
	if (lo < 0)
		return false;
	if (*p == '-') {
		hi = lbm_code(p + 1, &p);
		return hi >= lo && *p == '\0';
	}
	while (*p == ',') {
		if (lbm_code(p + 1, &p) < 0)
			return false;
	}
	return *p == '\0';
}

bool
lb_model_codes_match(const char *s, int code)
{
	const char *p = s;
	int lo, hi;

	lo = lbm_code(p, &p);
	if (lo < 0)
		return false;
	if (*p == '-') {
		hi = lbm_code(p + 1, &p);
		return code >= lo && code <= hi;
	}
	for (;;) {
		if (lo == code)
			return true;
		if (*p != ',')
			return false;
		lo = lbm_code(p + 1, &p);
		if (lo < 0)
			return false;
	}
}

/* A string attribute, "" when absent or not a string. */
static const char *
lbm_str(const json_t *doc, const char *key)
{
	const char *v = json_string_value(json_object_get(doc, key));

	return v != NULL ? v : "";
}

static long long
lbm_num(const json_t *doc, const char *key)
{
	return json_integer_value(json_object_get(doc, key));
}

static int
lbm_check_common(enum lb_kind kind, json_t *doc, struct lb_err *err)
{
	const char *p = lbm_str(doc, "project_id");
	const char *t = lbm_str(doc, "tenant_id");

	(void)kind;
	if (p[0] != '\0' && t[0] != '\0' && strcmp(p, t) != 0)
		return lb_model_err_set(
			err, 400, "project_id and tenant_id do not match.");
	return 0;
}

static int
lbm_check_listener(json_t *doc, struct lb_err *err)
{
	const char *proto = lbm_str(doc, "protocol");
	json_t *v;

	if (strcmp(proto, "TCP") != 0 && strcmp(proto, "UDP") != 0)
		return lb_model_err_set(
			err, 400,
			"protocol %s is not supported by the sluice "
			"provider (TCP and UDP are).",
			proto);
	v = json_object_get(doc, "insert_headers");
	if (v != NULL && !json_is_null(v) &&
	    !(json_is_object(v) && json_object_size(v) == 0))
		return lb_model_err_set(
			err, 400,
			"insert_headers is not supported by the "
			"sluice provider for %s listeners.",
			proto);
	v = json_object_get(doc, "default_tls_container_ref");
	if (v != NULL && !json_is_null(v))
		return lb_model_err_set(
			err, 400,
			"TLS termination is not supported by the "
			"sluice provider.");
	v = json_object_get(doc, "sni_container_refs");
	if (v != NULL && !json_is_null(v) &&
	    !(json_is_array(v) && json_array_size(v) == 0))
		return lb_model_err_set(
			err, 400,
			"TLS termination is not supported by the "
			"sluice provider.");
	v = json_object_get(doc, "client_ca_tls_container_ref");
	if (v != NULL && !json_is_null(v))
		return lb_model_err_set(
			err, 400,
			"TLS client authentication is not supported "
			"by the sluice provider.");
	return 0;
}

/* session_persistence: null or {"type": "SOURCE_IP", ...}. */
static int
lbm_check_persistence(json_t *doc, struct lb_err *err)
{
	json_t *sp = json_object_get(doc, "session_persistence");
	json_t *to, *norm;
	const char *type, *key;
	long long timeout = 360;
	json_t *v;

	if (sp == NULL || json_is_null(sp))
		return 0;
	if (!json_is_object(sp))
		return lb_model_err_set(
			err, 400,
			"Invalid input for field/attribute "
			"session_persistence: should be an object.");
	json_object_foreach(sp, key, v)
	{
		if (strcmp(key, "type") != 0 && strcmp(key, "cookie_name") &&
		    strcmp(key, "persistence_timeout") != 0 &&
		    strcmp(key, "persistence_granularity") != 0)
			return lb_model_err_set(err, 400,
						"Invalid input for "
						"session_persistence: unknown "
						"attribute %.64s.",
						key);
	}
	type = lbm_str(sp, "type");
	if (type[0] == '\0')
		return lb_model_err_set(
			err, 400,
			"Invalid input for session_persistence: "
			"type is mandatory.");
	if (strcmp(type, "SOURCE_IP") != 0)
		return lb_model_err_set(
			err, 400,
			"session_persistence type %.32s is not "
			"supported by the sluice provider (SOURCE_IP "
			"is).",
			type);
	v = json_object_get(sp, "cookie_name");
	if (v != NULL && !json_is_null(v))
		return lb_model_err_set(err, 400,
					"cookie_name is only valid with "
					"APP_COOKIE persistence.");
	to = json_object_get(sp, "persistence_timeout");
	if (to != NULL && !json_is_null(to) &&
	    (lbm_int(to, &timeout) != 0 || timeout < 1 || timeout > 86400))
		return lb_model_err_set(
			err, 400,
			"persistence_timeout must be 1 to 86400 "
			"seconds.");
	norm = json_pack("{ss ss? sI ss?}", "type", "SOURCE_IP", "cookie_name",
			 NULL, "persistence_timeout", (json_int_t)timeout,
			 "persistence_granularity", NULL);
	if (norm == NULL)
		return lb_model_err_set(err, 500, "Out of memory.");
	json_object_set_new(doc, "session_persistence", norm);
	return 0;
}

static int
lbm_check_pool(json_t *doc, struct lb_err *err)
{
	const char *proto = lbm_str(doc, "protocol");

	if (strcmp(proto, "TCP") != 0 && strcmp(proto, "UDP") != 0)
		return lb_model_err_set(
			err, 400,
			"protocol %s is not supported by the sluice "
			"provider (TCP and UDP are).",
			proto);
	if (json_is_true(json_object_get(doc, "tls_enabled")))
		return lb_model_err_set(
			err, 400,
			"tls_enabled is not supported by the sluice "
			"provider.");
	return lbm_check_persistence(doc, err);
}

static int
lbm_check_hm(json_t *doc, struct lb_err *err)
{
	static const char *const http_keys[] = {
		"http_method",	"url_path",    "expected_codes",
		"http_version", "domain_name", NULL};
	const char *type = lbm_str(doc, "type");
	bool is_http = strcmp(type, "HTTP") == 0 || strcmp(type, "HTTPS") == 0;
	const char *s;
	json_t *v;
	size_t i;

	if (strcmp(type, "SCTP") == 0)
		return lb_model_err_set(
			err, 400,
			"health monitor type SCTP is not supported "
			"by the sluice provider.");
	if (lbm_num(doc, "timeout") >= lbm_num(doc, "delay"))
		return lb_model_err_set(
			err, 400,
			"timeout (%lld) must be less than delay "
			"(%lld).",
			lbm_num(doc, "timeout"), lbm_num(doc, "delay"));
	for (i = 0; http_keys[i] != NULL; i++) {
		v = json_object_get(doc, http_keys[i]);
		if (!is_http && v != NULL && !json_is_null(v))
			return lb_model_err_set(
				err, 400,
				"%s is only valid for HTTP and HTTPS "
				"health monitors, not %s.",
				http_keys[i], type);
	}
	if (!is_http)
		return 0;
	if (json_is_null(json_object_get(doc, "http_method")))
		json_object_set_new(doc, "http_method", json_string("GET"));
	if (json_is_null(json_object_get(doc, "url_path")))
		json_object_set_new(doc, "url_path", json_string("/"));
	if (json_is_null(json_object_get(doc, "expected_codes")))
		json_object_set_new(doc, "expected_codes", json_string("200"));
	s = lbm_str(doc, "url_path");
	if (s[0] != '/')
		return lb_model_err_set(err, 400,
					"url_path must start with '/'.");
	for (i = 0; s[i] != '\0'; i++) {
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return lb_model_err_set(
				err, 400,
				"url_path must be printable ASCII "
				"without spaces.");
	}
	s = lbm_str(doc, "expected_codes");
	if (!lb_model_codes_valid(s))
		return lb_model_err_set(
			err, 400,
			"expected_codes '%.64s' is not valid: use "
			"a code (200), a list (200,202) or a range "
			"(200-204) of codes 100-599.",
			s);
	/* 1.0 or 1.1, as a number or (from some clients) a string. */
	v = json_object_get(doc, "http_version");
	s = json_string_value(v);
	if (s != NULL && (strcmp(s, "1.0") == 0 || strcmp(s, "1.1") == 0)) {
		json_object_set_new(doc, "http_version",
				    json_real(s[2] == '0' ? 1.0 : 1.1));
		v = json_object_get(doc, "http_version");
	}
	if (v != NULL && !json_is_null(v) &&
	    (!json_is_number(v) ||
	     (json_number_value(v) != 1.0 && json_number_value(v) != 1.1)))
		return lb_model_err_set(err, 400,
					"http_version must be 1.0 or 1.1.");
	s = lbm_str(doc, "domain_name");
	for (i = 0; s[i] != '\0'; i++) {
		if (!isalnum((unsigned char)s[i]) && strchr(".-", s[i]) == NULL)
			return lb_model_err_set(
				err, 400, "domain_name must be a host name.");
	}
	return 0;
}

int
lb_model_check(enum lb_kind kind, json_t *doc, bool is_create,
	       struct lb_err *err)
{
	const char *p;
	int rc = lbm_check_common(kind, doc, err);

	if (rc != 0)
		return rc;
	switch (kind) {
	case LB_LOADBALANCER:
		p = lbm_str(doc, "provider");
		if (p[0] != '\0' && strcmp(p, "sluice") != 0)
			return lb_model_err_set(
				err, 400,
				"Provider '%.64s' is not enabled "
				"(this cloud serves 'sluice').",
				p);
		/* The service fills vip_port_id in after create. */
		if (is_create &&
		    !json_is_null(json_object_get(doc, "vip_port_id")))
			return lb_model_err_set(
				err, 400,
				"vip_port_id is not supported by the "
				"sluice provider: give "
				"vip_subnet_id or vip_network_id.");
		if (!json_is_null(json_object_get(doc, "vip_qos_policy_id")))
			return lb_model_err_set(
				err, 400,
				"vip_qos_policy_id is not supported "
				"by the sluice provider.");
		if (!json_is_null(json_object_get(doc, "flavor_id")))
			return lb_model_err_set(err, 400,
						"The sluice provider has no "
						"flavors.");
		return 0;
	case LB_LISTENER:
		return lbm_check_listener(doc, err);
	case LB_POOL:
		return lbm_check_pool(doc, err);
	case LB_HEALTHMONITOR:
		return lbm_check_hm(doc, err);
	case LB_MEMBER:
	default:
		return 0;
	}
}
