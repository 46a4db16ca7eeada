// SPDX-License-Identifier: BSD-2-Clause
/*
 * res.c: attribute tables, decoding and normalization of the document
 * kinds (see res.h). One table per kind lists each attribute with its
 * type, where it may appear (POST, PUT) and its initial value; one
 * converter per type checks a request value and returns its normalized
 * form. Cross-attribute rules of security group rules (remote prefix XOR
 * remote group, ethertype against the prefix, port ranges against the
 * protocol) follow the table walk.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ipam.h"
#include "res.h"

#define RES_ROUTES_MAX 32  /* static routes per router (net_view.h) */
#define RES_EXT_IPS_MAX 8  /* external_fixed_ips per gateway */
#define RES_INITIAL_MAX 64 /* chars of an attribute's initial JSON */
#define A_POST 1u	   /* may appear in a POST */
#define A_PUT 2u	   /* may appear in a PUT */
#define A_REQ 4u	   /* required in a POST */
#define A_HIDDEN 8u	   /* accepted in a POST, not kept in the doc */
#define A_COMPUTED 16u	   /* not stored: added when answering */

enum res_type {
	RT_RO,		/* read-only: the service sets it */
	RT_STR,		/* string <= CTL_NAME_MAX */
	RT_PROJECT,	/* project_id / tenant_id */
	RT_TAGS,	/* list of tags */
	RT_BOOL,	/* boolean (also "true"/"1") */
	RT_UUID,	/* a UUID */
	RT_UUID_NULL,	/* a UUID or null */
	RT_IP_NULL,	/* an IP address or null */
	RT_PREFIX_NULL, /* a CIDR (or bare address) or null */
	RT_PORT_NULL,	/* 0..65535 or null */
	RT_DIRECTION,	/* ingress | egress */
	RT_ETHERTYPE,	/* IPv4 | IPv6 */
	RT_PROTO,	/* protocol name, number or null */
	RT_GWINFO,	/* external_gateway_info */
	RT_ROUTES,	/* [{destination, nexthop}] */
};

struct res_attr {
	const char *name;
	enum res_type type;
	unsigned flags;
	const char *initial; /* JSON text of the value before any request */
};

#define RES_META                                                               \
	{"id", RT_RO, 0, "\"\""},                                              \
		{"description", RT_STR, A_POST | A_PUT, "\"\""},               \
		{"project_id", RT_PROJECT, A_POST, "\"\""},                    \
		{"tenant_id", RT_PROJECT, A_POST, "\"\""},                     \
		{"revision_number", RT_RO, 0, "0"},                            \
		{"created_at", RT_RO, 0, "\"\""},                              \
	{                                                                      \
		"updated_at", RT_RO, 0, "\"\""                                 \
	}
#define RES_NAMED                                                              \
	{"name", RT_STR, A_POST | A_PUT, "\"\""},                              \
	{                                                                      \
		"tags", RT_TAGS, A_POST | A_PUT, "[]"                          \
	}

static const struct res_attr res_router_attrs[] = {
	RES_META,
	RES_NAMED,
	{"admin_state_up", RT_BOOL, A_POST | A_PUT, "true"},
	{"status", RT_RO, 0, "\"ACTIVE\""},
	{"external_gateway_info", RT_GWINFO, A_POST | A_PUT, "null"},
	{"routes", RT_ROUTES, A_PUT, "[]"},
	{"distributed", RT_RO, 0, "false"},
	{"ha", RT_RO, 0, "false"},
	{"flavor_id", RT_RO, 0, "null"},
	{"availability_zone_hints", RT_RO, 0, "[]"},
	{"availability_zones", RT_RO, 0, "[]"},
	{NULL, 0, 0, NULL},
};

static const struct res_attr res_fip_attrs[] = {
	RES_META,
	{"tags", RT_TAGS, A_POST | A_PUT, "[]"},
	{"floating_network_id", RT_UUID, A_POST | A_REQ, "\"\""},
	{"floating_ip_address", RT_IP_NULL, A_POST, "null"},
	{"subnet_id", RT_UUID_NULL, A_POST | A_HIDDEN, "null"},
	{"port_id", RT_UUID_NULL, A_POST | A_PUT, "null"},
	{"fixed_ip_address", RT_IP_NULL, A_POST | A_PUT, "null"},
	{"router_id", RT_RO, 0, "null"},
	{"status", RT_RO, 0, "\"DOWN\""},
	{NULL, 0, 0, NULL},
};

static const struct res_attr res_sg_attrs[] = {
	RES_META,
	RES_NAMED,
	{"stateful", RT_BOOL, A_POST | A_PUT, "true"},
	{"shared", RT_RO, 0, "false"},
	{"security_group_rules", RT_RO, A_COMPUTED, "[]"},
	{NULL, 0, 0, NULL},
};

static const struct res_attr res_rule_attrs[] = {
	RES_META,
	{"security_group_id", RT_UUID, A_POST | A_REQ, "\"\""},
	{"direction", RT_DIRECTION, A_POST | A_REQ, "\"ingress\""},
	{"ethertype", RT_ETHERTYPE, A_POST, "\"IPv4\""},
	{"protocol", RT_PROTO, A_POST, "null"},
	{"port_range_min", RT_PORT_NULL, A_POST, "null"},
	{"port_range_max", RT_PORT_NULL, A_POST, "null"},
	{"remote_ip_prefix", RT_PREFIX_NULL, A_POST, "null"},
	{"remote_group_id", RT_UUID_NULL, A_POST, "null"},
	{"remote_address_group_id", RT_RO, 0, "null"},
	{"normalized_cidr", RT_RO, 0, "null"},
	{NULL, 0, 0, NULL},
};

/* Per document kind: names and table. */
static const struct {
	const char *plural, *singular, *list_key;
	const struct res_attr *attrs;
} res_kinds[CTL_KIND_COUNT] = {
	[CTL_ROUTER] = {"routers", "router", "routers", res_router_attrs},
	[CTL_FLOATINGIP] = {"floatingips", "floatingip", "floatingips",
			    res_fip_attrs},
	[CTL_SECGROUP] = {"security-groups", "security_group",
			  "security_groups", res_sg_attrs},
	[CTL_SGRULE] = {"security-group-rules", "security_group_rule",
			"security_group_rules", res_rule_attrs},
};

const char *
res_plural(enum ctl_kind kind)
{
	return ctl_kind_is_doc(kind) ? res_kinds[kind].plural : NULL;
}

const char *
res_singular(enum ctl_kind kind)
{
	return ctl_kind_is_doc(kind) ? res_kinds[kind].singular : NULL;
}

const char *
res_list_key(enum ctl_kind kind)
{
	return ctl_kind_is_doc(kind) ? res_kinds[kind].list_key : NULL;
}

enum ctl_kind
res_kind_of(const char *plural)
{
	unsigned k;

	for (k = CTL_ROUTER; k < CTL_KIND_COUNT; k++) {
		if (strcmp(res_kinds[k].plural, plural) == 0)
			return (enum ctl_kind)k;
	}
	return CTL_KIND_COUNT;
}

static const struct res_attr *
res_attr_find(enum ctl_kind kind, const char *name)
{
	const struct res_attr *a;

	if (!ctl_kind_is_doc(kind))
		return NULL;
	for (a = res_kinds[kind].attrs; a->name != NULL; a++) {
		if (strcmp(a->name, name) == 0)
			return a;
	}
	return NULL;
}

bool
res_is_attribute(enum ctl_kind kind, const char *name)
{
	return res_attr_find(kind, name) != NULL;
}

const char *
res_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

static int
res_bad(struct ctl_err *err, const char *attr, const char *why)
{
	return ctl_err_set(err, CTL_E_INVALID_INPUT,
			   "Invalid input for %s. Reason: %s.", attr, why);
}

/* Check each key of body against the table for a POST or a PUT. */
static int
res_check_keys(enum ctl_kind kind, const json_t *body, unsigned need,
	       struct ctl_err *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(body))
		return ctl_err_set(
			err, CTL_E_BAD_REQUEST,
			"Invalid input: the resource must be a JSON object.");
	json_object_foreach((json_t *)body, key, v)
	{
		const struct res_attr *a = res_attr_find(kind, key);

		(void)v;
		if (a == NULL)
			return ctl_err_set(err, CTL_E_BAD_REQUEST,
					   "Unrecognized attribute(s) '%.64s'",
					   key);
		if (!(a->flags & need))
			return ctl_err_set(
				err, CTL_E_BAD_REQUEST,
				need == A_POST
					? "Attribute '%s' not allowed in POST"
					: "Cannot update read-only attribute "
					  "%s",
				a->name);
	}
	return 0;
}

int
res_check_update(enum ctl_kind kind, const json_t *body, struct ctl_err *err)
{
	if (!ctl_kind_is_doc(kind))
		return ctl_err_set(err, CTL_E_INTERNAL, "bad kind");
	return res_check_keys(kind, body, A_PUT, err);
}

/* Converters: each checks v and sets *out to a new reference. */

static int
res_string(const json_t *v, const char *attr, size_t max, json_t **out,
	   struct ctl_err *err)
{
	size_t len;

	if (!json_is_string(v))
		return res_bad(err, attr, "not a valid string");
	len = json_string_length(v);
	if (len > max)
		return res_bad(err, attr, "string too long");
	if (memchr(json_string_value(v), '\0', len) != NULL)
		return res_bad(err, attr, "string holds a NUL byte");
	*out = json_incref((json_t *)v);
	return 0;
}

static int
res_bool(const json_t *v, const char *attr, json_t **out, struct ctl_err *err)
{
	const char *s = json_string_value(v);

	if (json_is_boolean(v)) {
		*out = json_incref((json_t *)v);
		return 0;
	}
	if (json_is_integer(v) &&
	    (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
		*out = json_boolean(json_integer_value(v) == 1);
		return 0;
	}
	if (s != NULL && (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0)) {
		*out = json_true();
		return 0;
	}
	if (s != NULL && (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0)) {
		*out = json_false();
		return 0;
	}
	return res_bad(err, attr, "not a valid boolean");
}

static int
res_uuid(const json_t *v, const char *attr, bool allow_null, json_t **out,
	 struct ctl_err *err)
{
	if (json_is_null(v) && allow_null) {
		*out = json_null();
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) != CTL_UUID_LEN ||
	    !model_is_uuid(json_string_value(v)))
		return res_bad(err, attr, "not a valid UUID");
	*out = json_incref((json_t *)v);
	return 0;
}

static int
res_ip(const json_t *v, const char *attr, json_t **out, struct ctl_err *err)
{
	char buf[IPAM_STR_MAX];
	struct ctl_ip ip;

	if (json_is_null(v)) {
		*out = json_null();
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) >= IPAM_STR_MAX ||
	    ipam_ip_parse(json_string_value(v), &ip) != 0)
		return res_bad(err, attr, "not a valid IP address");
	*out = json_string(ipam_ip_format(&ip, buf, sizeof(buf)));
	return 0;
}

/* A prefix, host bits allowed (normalized away); a bare address too. */
static int
res_prefix_parse(const json_t *v, struct ctl_prefix *p)
{
	if (!json_is_string(v) || json_string_length(v) >= IPAM_STR_MAX + 4)
		return -EINVAL;
	if (ipam_prefix_parse(json_string_value(v), false, true, p) != 0)
		return -EINVAL;
	return 0;
}

static int
res_prefix(const json_t *v, const char *attr, json_t **out, struct ctl_err *err)
{
	char buf[IPAM_STR_MAX + 8];
	struct ctl_prefix p;

	if (json_is_null(v)) {
		*out = json_null();
		return 0;
	}
	if (res_prefix_parse(v, &p) != 0)
		return res_bad(err, attr, "not a valid IP prefix");
	ipam_prefix_first(&p, &p.ip); /* host bits cleared */
	*out = json_string(ipam_prefix_format(&p, buf, sizeof(buf)));
	return 0;
}

/* A port number: integer or decimal string, 0..65535, or null. */
static int
res_port(const json_t *v, const char *attr, json_t **out, struct ctl_err *err)
{
	const char *s = json_string_value(v);
	long long x = -1;

	if (json_is_null(v)) {
		*out = json_null();
		return 0;
	}
	if (json_is_integer(v)) {
		x = json_integer_value(v);
	} else if (s != NULL && json_string_length(v) > 0 &&
		   json_string_length(v) <= 5) {
		size_t i;

		for (i = 0, x = 0; s[i] != '\0'; i++) {
			if (!isdigit((unsigned char)s[i]))
				return res_bad(err, attr, "not an integer");
			x = x * 10 + (s[i] - '0');
		}
	} else {
		return res_bad(err, attr, "not an integer");
	}
	if (x < 0 || x > 65535)
		return res_bad(err, attr, "out of range 0..65535");
	*out = json_integer(x);
	return 0;
}

static int
res_keyword(const json_t *v, const char *attr, const char *const *set,
	    bool is_nocase, json_t **out, struct ctl_err *err)
{
	const char *s = json_string_value(v);

	for (; s != NULL && *set != NULL; set++) {
		if ((is_nocase ? strcasecmp(*set, s) : strcmp(*set, s)) == 0) {
			*out = json_string(*set);
			return 0;
		}
	}
	return res_bad(err, attr, "not an allowed value");
}

/* IANA protocol names Neutron accepts, with their numbers. */
static const struct {
	const char *name;
	int number;
} res_protos[] = {
	{"ah", 51},	    {"dccp", 33},	{"egp", 8},
	{"esp", 50},	    {"gre", 47},	{"hopopt", 0},
	{"icmp", 1},	    {"igmp", 2},	{"ipip", 4},
	{"ipv6-encap", 41}, {"ipv6-frag", 44},	{"ipv6-icmp", 58},
	{"icmpv6", 58},	    {"ipv6-nonxt", 59}, {"ipv6-opts", 60},
	{"ipv6-route", 43}, {"ospf", 89},	{"pgm", 113},
	{"rsvp", 46},	    {"sctp", 132},	{"tcp", 6},
	{"udp", 17},	    {"udplite", 136},	{"vrrp", 112},
};

int
res_proto_number(const json_t *v)
{
	const char *s = json_string_value(v);
	size_t i, len;
	int x;

	if (v == NULL || json_is_null(v))
		return -1;
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);

		return n >= 0 && n <= 255 ? (int)n : -2;
	}
	if (s == NULL)
		return -2;
	if (strcasecmp(s, "any") == 0)
		return -1;
	for (i = 0; i < sizeof(res_protos) / sizeof(res_protos[0]); i++) {
		if (strcasecmp(s, res_protos[i].name) == 0)
			return res_protos[i].number;
	}
	len = json_string_length(v);
	if (len == 0 || len > 3)
		return -2;
	for (i = 0, x = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -2;
		x = x * 10 + (s[i] - '0');
	}
	return x <= 255 ? x : -2;
}

/* Names kept as lower-case names, numbers as decimal strings. */
static int
res_proto(const json_t *v, const char *attr, json_t **out, struct ctl_err *err)
{
	const char *s = json_string_value(v);
	char buf[16];
	int n = res_proto_number(v);

	if (n == -2)
		return ctl_err_set(
			err, CTL_E_INVALID_INPUT,
			"Security group rule protocol %.32s not supported. "
			"Only protocol values [None, ah, dccp, egp, esp, gre, "
			"icmp, icmpv6, igmp, ipip, ipv6-icmp, ospf, pgm, rsvp, "
			"sctp, tcp, udp, udplite, vrrp] and integer "
			"representations [0 to 255] are supported.",
			s != NULL ? s : "(not a string)");
	if (n == -1) {
		*out = json_null();
		return 0;
	}
	if (s != NULL && !isdigit((unsigned char)s[0])) {
		size_t i;

		for (i = 0; i < sizeof(buf) - 1 && s[i] != '\0'; i++)
			buf[i] = (char)tolower((unsigned char)s[i]);
		buf[i] = '\0';
	} else {
		snprintf(buf, sizeof(buf), "%d", n);
	}
	(void)attr;
	*out = json_string(buf);
	return 0;
}

static int
res_tags(const json_t *v, json_t **out, struct ctl_err *err)
{
	json_t *list, *t;
	size_t i, j;

	if (!json_is_array(v))
		return res_bad(err, "tags", "not a list");
	list = json_array();
	json_array_foreach(v, i, t)
	{
		const char *s = json_string_value(t);
		bool dup = false;

		if (s == NULL || json_string_length(t) == 0 ||
		    json_string_length(t) > CTL_TAG_MAX ||
		    strlen(s) != json_string_length(t) ||
		    strpbrk(s, ",/") != NULL) {
			json_decref(list);
			return res_bad(err, "tags",
				       "a tag is empty, too long or holds ',' "
				       "or '/'");
		}
		for (j = 0; j < json_array_size(list); j++)
			dup = dup ||
			      strcmp(json_string_value(json_array_get(list, j)),
				     s) == 0;
		if (dup)
			continue;
		if (json_array_size(list) >= CTL_TAGS_MAX) {
			json_decref(list);
			return res_bad(err, "tags", "too many tags");
		}
		json_array_append(list, t);
	}
	*out = list;
	return 0;
}

static int
res_project(const json_t *v, const char *attr, json_t **out,
	    struct ctl_err *err)
{
	const char *s = json_string_value(v);
	size_t i, len = json_string_length(v);

	if (s == NULL || len == 0 || len > CTL_PROJECT_MAX)
		return res_bad(err, attr, "not a valid project id");
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("-_.", s[i]) == NULL)
			return res_bad(err, attr, "not a valid project id");
	}
	*out = json_incref((json_t *)v);
	return 0;
}

/* external_gateway_info: null or {} clears; else network_id required. */
static int
res_gwinfo(const json_t *v, json_t **out, struct ctl_err *err)
{
	static const char attr[] = "external_gateway_info";
	json_t *net = NULL, *snat = NULL, *ips, *e, *o, *list;
	const char *key;
	size_t i;
	json_t *x;

	if (json_is_null(v) ||
	    (json_is_object(v) && json_object_size(v) == 0)) {
		*out = json_null();
		return 0;
	}
	if (!json_is_object(v))
		return res_bad(err, attr, "not a dictionary");
	json_object_foreach((json_t *)v, key, x)
	{
		(void)x;
		if (strcmp(key, "network_id") != 0 &&
		    strcmp(key, "enable_snat") != 0 &&
		    strcmp(key, "external_fixed_ips") != 0)
			return res_bad(err, attr, "unknown key");
	}
	if (res_uuid(json_object_get(v, "network_id"), attr, false, &net,
		     err) != 0)
		return -EINVAL;
	x = json_object_get(v, "enable_snat");
	if (x != NULL && res_bool(x, attr, &snat, err) != 0) {
		json_decref(net);
		return -EINVAL;
	}
	list = json_array();
	ips = json_object_get(v, "external_fixed_ips");
	if (ips != NULL &&
	    (!json_is_array(ips) || json_array_size(ips) > RES_EXT_IPS_MAX)) {
		res_bad(err, attr, "external_fixed_ips is not a short list");
		goto fail;
	}
	json_array_foreach(ips, i, e)
	{
		json_t *sid = json_object_get(e, "subnet_id");
		json_t *ip = json_object_get(e, "ip_address");
		json_t *nsid = NULL, *nip = NULL;

		if (!json_is_object(e) || (sid == NULL && ip == NULL) ||
		    json_object_size(e) !=
			    (size_t)(sid != NULL) + (ip != NULL)) {
			res_bad(err, attr,
				"an external fixed IP takes subnet_id and/or "
				"ip_address");
			goto fail;
		}
		if ((sid != NULL && res_uuid(sid, attr, false, &nsid, err)) ||
		    (ip != NULL && res_ip(ip, attr, &nip, err) != 0) ||
		    (ip != NULL && json_is_null(nip))) {
			json_decref(nsid);
			json_decref(nip);
			if (ip != NULL && json_is_null(ip))
				res_bad(err, attr, "ip_address is null");
			goto fail;
		}
		o = json_object();
		if (nsid != NULL)
			json_object_set_new(o, "subnet_id", nsid);
		if (nip != NULL)
			json_object_set_new(o, "ip_address", nip);
		json_array_append_new(list, o);
	}
	*out = json_pack("{sososo}", "network_id", net, "enable_snat",
			 snat != NULL ? snat : json_true(),
			 "external_fixed_ips", list);
	return *out != NULL ? 0 : ctl_err_set(err, CTL_E_INTERNAL, "OOM");
fail:
	json_decref(net);
	json_decref(snat);
	json_decref(list);
	return -EINVAL;
}

static int
res_routes(const json_t *v, json_t **out, struct ctl_err *err)
{
	static const char attr[] = "routes";
	char a[IPAM_STR_MAX + 8], b[IPAM_STR_MAX];
	json_t *list, *e;
	size_t i, j;

	if (json_is_null(v)) {
		*out = json_array();
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) > RES_ROUTES_MAX)
		return res_bad(err, attr, "not a list of at most 32 routes");
	list = json_array();
	json_array_foreach(v, i, e)
	{
		json_t *d = json_object_get(e, "destination");
		json_t *n = json_object_get(e, "nexthop");
		struct ctl_prefix p;
		struct ctl_ip ip;

		if (!json_is_object(e) || d == NULL || n == NULL ||
		    json_object_size(e) != 2 || res_prefix_parse(d, &p) != 0 ||
		    !json_is_string(n) ||
		    json_string_length(n) >= IPAM_STR_MAX ||
		    ipam_ip_parse(json_string_value(n), &ip) != 0) {
			json_decref(list);
			return res_bad(err, attr,
				       "a route is {destination: CIDR, "
				       "nexthop: IP}");
		}
		if (p.ip.family != ip.family) {
			json_decref(list);
			return res_bad(err, attr,
				       "destination and nexthop differ in IP "
				       "version");
		}
		ipam_prefix_first(&p, &p.ip); /* host bits cleared */
		ipam_prefix_format(&p, a, sizeof(a));
		ipam_ip_format(&ip, b, sizeof(b));
		for (j = 0; j < json_array_size(list); j++) {
			json_t *o = json_array_get(list, j);

			if (strcmp(res_str(o, "destination"), a) == 0 &&
			    strcmp(res_str(o, "nexthop"), b) == 0) {
				json_decref(list);
				return res_bad(err, attr, "duplicate route");
			}
		}
		json_array_append_new(list, json_pack("{ssss}", "destination",
						      a, "nexthop", b));
	}
	*out = list;
	return 0;
}

static const char *const res_directions[] = {"ingress", "egress", NULL};
static const char *const res_ethertypes[] = {"IPv4", "IPv6", NULL};

/* Convert one request value of attribute a. */
static int
res_convert(const struct res_attr *a, const json_t *v, json_t **out,
	    struct ctl_err *err)
{
	switch (a->type) {
	case RT_STR:
		return res_string(v, a->name, CTL_NAME_MAX, out, err);
	case RT_PROJECT:
		return res_project(v, a->name, out, err);
	case RT_TAGS:
		return res_tags(v, out, err);
	case RT_BOOL:
		return res_bool(v, a->name, out, err);
	case RT_UUID:
		return res_uuid(v, a->name, false, out, err);
	case RT_UUID_NULL:
		return res_uuid(v, a->name, true, out, err);
	case RT_IP_NULL:
		return res_ip(v, a->name, out, err);
	case RT_PREFIX_NULL:
		return res_prefix(v, a->name, out, err);
	case RT_PORT_NULL:
		return res_port(v, a->name, out, err);
	case RT_DIRECTION:
		return res_keyword(v, a->name, res_directions, false, out, err);
	case RT_ETHERTYPE:
		return res_keyword(v, a->name, res_ethertypes, true, out, err);
	case RT_PROTO:
		return res_proto(v, a->name, out, err);
	case RT_GWINFO:
		return res_gwinfo(v, out, err);
	case RT_ROUTES:
		return res_routes(v, out, err);
	case RT_RO:
	default:
		return ctl_err_set(err, CTL_E_BAD_REQUEST,
				   "Attribute '%s' is read-only", a->name);
	}
}

static bool
res_proto_has_ports(int proto)
{
	return proto == 6 || proto == 17 || proto == 33 || proto == 132 ||
	       proto == 136;
}

static int
res_rule_ports(const json_t *doc, int proto, struct ctl_err *err)
{
	json_t *jmin = json_object_get(doc, "port_range_min");
	json_t *jmax = json_object_get(doc, "port_range_max");
	bool has_min = json_is_integer(jmin), has_max = json_is_integer(jmax);
	json_int_t lo = json_integer_value(jmin), hi = json_integer_value(jmax);

	if (!has_min && !has_max)
		return 0;
	if (proto < 0)
		return ctl_err_set(err, CTL_E_INVALID_INPUT,
				   "Must also specify protocol if port range "
				   "is given.");
	if (proto == 1 || proto == 58) {
		/* ICMP: min is the type, max the code (RFC 792, 4443). */
		if (!has_min)
			return ctl_err_set(
				err, CTL_E_INVALID_INPUT,
				"ICMP code (port-range-max) %lld is provided "
				"but ICMP type (port-range-min) is missing.",
				(long long)hi);
		if (lo > 255 || (has_max && hi > 255))
			return ctl_err_set(
				err, CTL_E_INVALID_INPUT,
				"Invalid value for ICMP type or code: 0..255.");
		return 0;
	}
	if (!res_proto_has_ports(proto))
		return ctl_err_set(err, CTL_E_INVALID_INPUT,
				   "Invalid protocol %d for port range, only "
				   "supported for TCP, UDP, UDPLITE, SCTP and "
				   "DCCP.",
				   proto);
	if (!has_min || !has_max || lo == 0 || hi == 0)
		return ctl_err_set(err, CTL_E_INVALID_INPUT,
				   "Invalid value for port range: both ends "
				   "are needed, 1..65535.");
	if (lo > hi)
		return ctl_err_set(err, CTL_E_INVALID_INPUT,
				   "For TCP/UDP protocols, port_range_min must "
				   "be <= port_range_max");
	return 0;
}

/* The cross-attribute rules of a security group rule (Neutron's). */
static int
res_rule_check(json_t *doc, struct ctl_err *err)
{
	const char *eth = res_str(doc, "ethertype");
	json_t *pfx = json_object_get(doc, "remote_ip_prefix");
	json_t *grp = json_object_get(doc, "remote_group_id");
	int proto = res_proto_number(json_object_get(doc, "protocol"));
	struct ctl_prefix p;

	if (!json_is_null(pfx) && !json_is_null(grp))
		return ctl_err_set(err, CTL_E_BAD_REQUEST,
				   "Only remote_ip_prefix or remote_group_id "
				   "may be provided.");
	if (!json_is_null(pfx)) {
		if (res_prefix_parse(pfx, &p) != 0)
			return res_bad(err, "remote_ip_prefix", "bad prefix");
		if ((p.ip.family == 6) != (strcmp(eth, "IPv6") == 0))
			return ctl_err_set(
				err, CTL_E_BAD_REQUEST,
				"Conflicting value ethertype %s for CIDR %s",
				eth, json_string_value(pfx));
		json_object_set(doc, "normalized_cidr", pfx);
	}
	if (proto == 58 && strcmp(eth, "IPv4") == 0)
		return ctl_err_set(
			err, CTL_E_BAD_REQUEST,
			"Protocol %s is not supported with ethertype "
			"IPv4",
			res_str(doc, "protocol"));
	return res_rule_ports(doc, proto, err);
}

int
res_decode(enum ctl_kind kind, const json_t *body, json_t **out,
	   unsigned *present, struct ctl_err *err)
{
	const struct res_attr *a;
	const char *key;
	json_t *doc, *v, *nv;
	unsigned dummy = 0;

	if (present == NULL)
		present = &dummy;
	*present = 0;
	*out = NULL;
	if (!ctl_kind_is_doc(kind))
		return ctl_err_set(err, CTL_E_INTERNAL, "bad kind");
	if (res_check_keys(kind, body, A_POST, err) != 0)
		return -EINVAL;
	doc = json_object();
	if (doc == NULL)
		return ctl_err_set(err, CTL_E_INTERNAL, "Out of memory.");
	for (a = res_kinds[kind].attrs; a->name != NULL; a++) {
		if (a->flags & A_COMPUTED)
			continue;
		nv = json_loads(a->initial, JSON_DECODE_ANY, NULL);
		if (nv == NULL)
			goto oom;
		json_object_set_new(doc, a->name, nv);
	}
	json_object_foreach((json_t *)body, key, v)
	{
		a = res_attr_find(kind, key);
		if (res_convert(a, v, &nv, err) != 0)
			goto fail;
		json_object_set_new(doc, key, nv);
	}
	for (a = res_kinds[kind].attrs; a->name != NULL; a++) {
		if ((a->flags & A_REQ) &&
		    json_object_get(body, a->name) == NULL) {
			ctl_err_set(err, CTL_E_BAD_REQUEST,
				    "Failed to parse request. Required "
				    "attribute '%s' not specified",
				    a->name);
			goto fail;
		}
	}
	/* project_id and tenant_id: the same, either may be given. */
	{
		const char *p = res_str(doc, "project_id");
		const char *t = res_str(doc, "tenant_id");

		if (*p != '\0' && *t != '\0' && strcmp(p, t) != 0) {
			ctl_err_set(err, CTL_E_BAD_REQUEST,
				    "project_id and tenant_id do not match");
			goto fail;
		}
		if (*p == '\0')
			json_object_set(doc, "project_id",
					json_object_get(doc, "tenant_id"));
		else
			json_object_set(doc, "tenant_id",
					json_object_get(doc, "project_id"));
		if (*res_str(doc, "project_id") != '\0')
			*present |= MODEL_HAS_PROJECT;
	}
	if (kind == CTL_SGRULE && res_rule_check(doc, err) != 0)
		goto fail;
	*out = doc;
	return 0;
oom:
	ctl_err_set(err, CTL_E_INTERNAL, "Out of memory.");
fail:
	json_decref(doc);
	return -EINVAL;
}

int
res_apply_update(enum ctl_kind kind, const json_t *doc, const json_t *body,
		 json_t **out, struct ctl_err *err)
{
	const char *key;
	json_t *cur, *v, *nv;

	*out = NULL;
	if (res_check_update(kind, body, err) != 0)
		return -EINVAL;
	cur = json_deep_copy(doc);
	if (cur == NULL)
		return ctl_err_set(err, CTL_E_INTERNAL, "Out of memory.");
	json_object_foreach((json_t *)body, key, v)
	{
		if (res_convert(res_attr_find(kind, key), v, &nv, err) != 0) {
			json_decref(cur);
			return -EINVAL;
		}
		json_object_set_new(cur, key, nv);
	}
	*out = cur;
	return 0;
}
