// SPDX-License-Identifier: BSD-2-Clause
/*
 * model.c: JSON decoding, validation and encoding of the Neutron core
 * objects of model.h, and the error table of the API.
 *
 * Each kind has one attribute table saying which attributes exist and
 * which may appear in a POST or a PUT; the decoder walks the request
 * object once, rejects what the table does not allow, converts each value
 * (accepting strings for numbers and booleans, as the openstack CLI sends
 * them) and checks limits. Input is untrusted: every string is checked
 * for type and length before it is copied into a fixed buffer.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "ipam.h"
#include "model.h"
#include "res.h"

/* The one error table: code -> HTTP status and NeutronError type. */
static const struct {
	int status;
	const char *type;
} model_errs[CTL_E_COUNT] = {
	[CTL_E_OK] = {200, "OK"},
	[CTL_E_BAD_REQUEST] = {400, "HTTPBadRequest"},
	[CTL_E_INVALID_INPUT] = {400, "InvalidInput"},
	[CTL_E_UNAUTHORIZED] = {401, "NotAuthenticated"},
	[CTL_E_FORBIDDEN] = {403, "PolicyNotAuthorized"},
	[CTL_E_NOT_FOUND] = {404, "HTTPNotFound"},
	[CTL_E_NETWORK_NOT_FOUND] = {404, "NetworkNotFound"},
	[CTL_E_SUBNET_NOT_FOUND] = {404, "SubnetNotFound"},
	[CTL_E_PORT_NOT_FOUND] = {404, "PortNotFound"},
	[CTL_E_EXTENSION_NOT_FOUND] = {404, "ExtensionNotFound"},
	[CTL_E_METHOD_NOT_ALLOWED] = {405, "HTTPMethodNotAllowed"},
	[CTL_E_NETWORK_IN_USE] = {409, "NetworkInUse"},
	[CTL_E_SUBNET_IN_USE] = {409, "SubnetInUse"},
	[CTL_E_IP_IN_USE] = {409, "IpAddressAlreadyAllocated"},
	[CTL_E_MAC_IN_USE] = {409, "MacAddressInUse"},
	[CTL_E_IP_EXHAUSTED] = {409, "IpAddressGenerationFailure"},
	[CTL_E_POOL_OVERLAP] = {409, "OverlappingAllocationPools"},
	[CTL_E_GATEWAY_CONFLICT] = {409, "GatewayConflictWithAllocationPools"},
	[CTL_E_VNI_IN_USE] = {409, "SegmentationIdInUse"},
	[CTL_E_CONFLICT] = {409, "Conflict"},
	[CTL_E_REVISION] = {412, "RevisionNumberConstraintFailed"},
	[CTL_E_TOO_LARGE] = {413, "RequestEntityTooLarge"},
	[CTL_E_ROUTER_NOT_FOUND] = {404, "RouterNotFound"},
	[CTL_E_FIP_NOT_FOUND] = {404, "FloatingIPNotFound"},
	[CTL_E_SG_NOT_FOUND] = {404, "SecurityGroupNotFound"},
	[CTL_E_SGRULE_NOT_FOUND] = {404, "SecurityGroupRuleNotFound"},
	[CTL_E_NO_EXT_GW] = {404, "ExternalGatewayForFloatingIPNotFound"},
	[CTL_E_IF_NOT_FOUND] = {404, "RouterInterfaceNotFound"},
	[CTL_E_ROUTER_IN_USE] = {409, "RouterInUse"},
	[CTL_E_L3_PORT_IN_USE] = {409, "L3PortInUse"},
	[CTL_E_PORT_IN_USE] = {409, "PortInUse"},
	[CTL_E_IF_IN_USE] = {409, "RouterInterfaceInUse"},
	[CTL_E_GW_IN_USE] = {409, "RouterExternalGatewayInUseByFloatingIp"},
	[CTL_E_FIP_ASSOCIATED] = {409, "FloatingIPPortAlreadyAssociated"},
	[CTL_E_SG_IN_USE] = {409, "SecurityGroupInUse"},
	[CTL_E_SG_DEFAULT] = {409, "SecurityGroupCannotRemoveDefault"},
	[CTL_E_SGRULE_EXISTS] = {409, "SecurityGroupRuleExists"},
	[CTL_E_PORTSEC_SG] = {409,
			      "PortSecurityAndIPRequiredForSecurityGroups"},
	[CTL_E_INTERNAL] = {500, "InternalServerError"},
};

int
ctl_err_status(enum ctl_errcode code)
{
	if ((unsigned)code >= CTL_E_COUNT)
		return 500;
	return model_errs[code].status;
}

const char *
ctl_err_type(enum ctl_errcode code)
{
	if ((unsigned)code >= CTL_E_COUNT)
		return "InternalServerError";
	return model_errs[code].type;
}

int
ctl_err_set(struct ctl_err *err, enum ctl_errcode code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return ctl_err_status(code) >= 500 ? -EIO : -EINVAL;
}

/* Attribute flags: allowed in POST, in PUT, required in POST. */
#define A_POST 1u
#define A_PUT 2u
#define A_REQ 4u

enum model_attr_id {
	AT_ID,
	AT_NAME,
	AT_DESC,
	AT_PROJECT,
	AT_TENANT,
	AT_REV,
	AT_CREATED,
	AT_UPDATED,
	AT_TAGS,
	AT_STATUS,
	AT_ADMIN_UP,
	AT_SHARED,
	AT_MTU,
	AT_PORTSEC,
	AT_EXTERNAL,
	AT_NETTYPE,
	AT_PHYSNET,
	AT_SEGID,
	AT_SUBNETS,
	AT_NETWORK_ID,
	AT_IPVER,
	AT_CIDR,
	AT_GATEWAY,
	AT_POOLS,
	AT_DNS,
	AT_ROUTES,
	AT_DHCP,
	AT_RA_MODE,
	AT_ADDR_MODE,
	AT_NULL_ONLY,
	AT_MAC,
	AT_FIXED_IPS,
	AT_DEVICE_ID,
	AT_DEVICE_OWNER,
	AT_SGS,
	AT_PAIRS,
	AT_HOST,
	AT_VNIC,
	AT_PROFILE,
	AT_VIF_TYPE,
	AT_VIF_DETAILS,
};

struct model_attr {
	const char *name;
	enum model_attr_id id;
	unsigned flags;
};

#define MODEL_META_ATTRS                                                       \
	{"id", AT_ID, 0}, {"name", AT_NAME, A_POST | A_PUT},                   \
		{"description", AT_DESC, A_POST | A_PUT},                      \
		{"project_id", AT_PROJECT, A_POST},                            \
		{"tenant_id", AT_TENANT, A_POST},                              \
		{"revision_number", AT_REV, 0}, {"created_at", AT_CREATED, 0}, \
		{"updated_at", AT_UPDATED, 0},                                 \
	{                                                                      \
		"tags", AT_TAGS, A_POST | A_PUT                                \
	}

static const struct model_attr model_network_attrs[] = {
	MODEL_META_ATTRS,
	{"status", AT_STATUS, 0},
	{"admin_state_up", AT_ADMIN_UP, A_POST | A_PUT},
	{"shared", AT_SHARED, A_POST | A_PUT},
	{"mtu", AT_MTU, A_POST | A_PUT},
	{"port_security_enabled", AT_PORTSEC, A_POST | A_PUT},
	{"router:external", AT_EXTERNAL, A_POST | A_PUT},
	{"provider:network_type", AT_NETTYPE, A_POST},
	{"provider:physical_network", AT_PHYSNET, A_POST},
	{"provider:segmentation_id", AT_SEGID, A_POST},
	{"subnets", AT_SUBNETS, 0},
	{NULL, 0, 0},
};

static const struct model_attr model_subnet_attrs[] = {
	MODEL_META_ATTRS,
	{"network_id", AT_NETWORK_ID, A_POST | A_REQ},
	{"ip_version", AT_IPVER, A_POST | A_REQ},
	{"cidr", AT_CIDR, A_POST | A_REQ},
	{"gateway_ip", AT_GATEWAY, A_POST | A_PUT},
	{"allocation_pools", AT_POOLS, A_POST | A_PUT},
	{"dns_nameservers", AT_DNS, A_POST | A_PUT},
	{"host_routes", AT_ROUTES, A_POST | A_PUT},
	{"enable_dhcp", AT_DHCP, A_POST | A_PUT},
	{"ipv6_ra_mode", AT_RA_MODE, A_POST},
	{"ipv6_address_mode", AT_ADDR_MODE, A_POST},
	{"subnetpool_id", AT_NULL_ONLY, A_POST},
	{"segment_id", AT_NULL_ONLY, A_POST},
	{"service_types", AT_NULL_ONLY, A_POST | A_PUT},
	{NULL, 0, 0},
};

static const struct model_attr model_port_attrs[] = {
	MODEL_META_ATTRS,
	{"status", AT_STATUS, 0},
	{"network_id", AT_NETWORK_ID, A_POST | A_REQ},
	{"admin_state_up", AT_ADMIN_UP, A_POST | A_PUT},
	{"mac_address", AT_MAC, A_POST | A_PUT},
	{"fixed_ips", AT_FIXED_IPS, A_POST | A_PUT},
	{"device_id", AT_DEVICE_ID, A_POST | A_PUT},
	{"device_owner", AT_DEVICE_OWNER, A_POST | A_PUT},
	{"security_groups", AT_SGS, A_POST | A_PUT},
	{"allowed_address_pairs", AT_PAIRS, A_POST | A_PUT},
	{"port_security_enabled", AT_PORTSEC, A_POST | A_PUT},
	{"binding:host_id", AT_HOST, A_POST | A_PUT},
	{"binding:vnic_type", AT_VNIC, A_POST | A_PUT},
	{"binding:profile", AT_PROFILE, A_POST | A_PUT},
	{"binding:vif_type", AT_VIF_TYPE, 0},
	{"binding:vif_details", AT_VIF_DETAILS, 0},
	{NULL, 0, 0},
};

static const struct model_attr *const model_tables[CTL_ROUTER] = {
	[CTL_NETWORK] = model_network_attrs,
	[CTL_SUBNET] = model_subnet_attrs,
	[CTL_PORT] = model_port_attrs,
};

static const struct model_attr *
model_attr_find(enum ctl_kind kind, const char *name)
{
	const struct model_attr *a;

	for (a = model_tables[kind]; a->name != NULL; a++) {
		if (strcmp(a->name, name) == 0)
			return a;
	}
	return NULL;
}

bool
model_is_attribute(enum ctl_kind kind, const char *name)
{
	if (ctl_kind_is_doc(kind))
		return res_is_attribute(kind, name);
	if ((unsigned)kind >= CTL_KIND_COUNT)
		return false;
	return model_attr_find(kind, name) != NULL;
}

/* Check each key of obj against the table for mode. */
static int
model_check_keys(enum ctl_kind kind, const json_t *obj, enum model_mode mode,
		 struct ctl_err *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return ctl_err_set(
			err, CTL_E_BAD_REQUEST,
			"Invalid input: the resource must be a JSON object.");
	json_object_foreach((json_t *)obj, key, v)
	{
		const struct model_attr *a = model_attr_find(kind, key);

		(void)v;
		if (a == NULL)
			return ctl_err_set(err, CTL_E_BAD_REQUEST,
					   "Unrecognized attribute(s) '%.64s'",
					   key);
		if (mode == MODEL_CREATE && !(a->flags & A_POST))
			return ctl_err_set(err, CTL_E_BAD_REQUEST,
					   "Attribute '%s' not allowed in POST",
					   a->name);
		if (mode == MODEL_UPDATE && !(a->flags & A_PUT))
			return ctl_err_set(
				err, CTL_E_BAD_REQUEST,
				"Cannot update read-only attribute %s",
				a->name);
	}
	return 0;
}

int
model_check_update(enum ctl_kind kind, const json_t *body, struct ctl_err *err)
{
	if (ctl_kind_is_doc(kind))
		return res_check_update(kind, body, err);
	if ((unsigned)kind >= CTL_KIND_COUNT)
		return ctl_err_set(err, CTL_E_INTERNAL, "bad kind");
	return model_check_keys(kind, body, MODEL_UPDATE, err);
}

static int
model_bad(struct ctl_err *err, const char *attr, const char *why)
{
	return ctl_err_set(err, CTL_E_INVALID_INPUT,
			   "Invalid input for %s. Reason: %s.", attr, why);
}

/* A string of at most max bytes, copied into out (max + 1 bytes). */
static int
model_str(const json_t *v, const char *attr, size_t max, char *out,
	  struct ctl_err *err)
{
	size_t len;

	if (!json_is_string(v))
		return model_bad(err, attr, "not a valid string");
	len = json_string_length(v);
	if (len > max)
		return model_bad(err, attr, "string too long");
	if (memchr(json_string_value(v), '\0', len) != NULL)
		return model_bad(err, attr, "string holds a NUL byte");
	memcpy(out, json_string_value(v), len);
	out[len] = '\0';
	return 0;
}

/* A boolean: JSON true/false, 0/1, or "true"/"false"/"1"/"0". */
static int
model_bool(const json_t *v, const char *attr, bool *out, struct ctl_err *err)
{
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	if (json_is_integer(v) &&
	    (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
		*out = json_integer_value(v) == 1;
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);

		if (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0) {
			*out = false;
			return 0;
		}
	}
	return model_bad(err, attr, "not a valid boolean");
}

/* An integer in [min, max]: a JSON integer or a decimal string. */
static int
model_uint(const json_t *v, const char *attr, uint64_t min, uint64_t max,
	   uint64_t *out, struct ctl_err *err)
{
	uint64_t x;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0)
			return model_bad(err, attr, "out of range");
		x = (uint64_t)i;
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);
		size_t i;

		if (len == 0 || len > 19)
			return model_bad(err, attr, "not a valid integer");
		x = 0;
		for (i = 0; i < len; i++) {
			if (!isdigit((unsigned char)s[i]))
				return model_bad(err, attr,
						 "not a valid integer");
			x = x * 10 + (uint64_t)(s[i] - '0');
		}
	} else {
		return model_bad(err, attr, "not a valid integer");
	}
	if (x < min || x > max)
		return model_bad(err, attr, "out of range");
	*out = x;
	return 0;
}

static int
model_ip(const json_t *v, const char *attr, struct ctl_ip *out,
	 struct ctl_err *err)
{
	char buf[IPAM_STR_MAX + 1];

	if (model_str(v, attr, IPAM_STR_MAX, buf, err) != 0)
		return -EINVAL;
	if (ipam_ip_parse(buf, out) != 0)
		return ctl_err_set(
			err, CTL_E_INVALID_INPUT,
			"Invalid input for %s. Reason: '%s' is not a valid "
			"IP address.",
			attr, buf);
	return 0;
}

static int
model_prefix(const json_t *v, const char *attr, bool is_strict, bool allow_bare,
	     struct ctl_prefix *out, struct ctl_err *err)
{
	char buf[IPAM_STR_MAX + 8];

	if (model_str(v, attr, sizeof(buf) - 1, buf, err) != 0)
		return -EINVAL;
	if (ipam_prefix_parse(buf, is_strict, allow_bare, out) != 0)
		return ctl_err_set(
			err, CTL_E_INVALID_INPUT,
			"Invalid input for %s. Reason: '%s' is not a valid "
			"IP subnet.",
			attr, buf);
	return 0;
}

bool
model_is_uuid(const char *s)
{
	size_t i;

	for (i = 0; i < CTL_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return s[i] == '\0';
}

static int
model_uuid(const json_t *v, const char *attr, char *out, struct ctl_err *err)
{
	char buf[CTL_UUID_LEN + 1];

	if (model_str(v, attr, CTL_UUID_LEN, buf, err) != 0)
		return -EINVAL;
	if (!model_is_uuid(buf))
		return ctl_err_set(
			err, CTL_E_INVALID_INPUT,
			"Invalid input for %s. Reason: '%s' is not a valid "
			"UUID.",
			attr, buf);
	memcpy(out, buf, sizeof(buf));
	return 0;
}

static int
model_mac(const json_t *v, const char *attr, uint8_t *mac, struct ctl_err *err)
{
	char buf[18];
	unsigned i;

	if (model_str(v, attr, 17, buf, err) != 0)
		return -EINVAL;
	if (strlen(buf) != 17)
		goto bad;
	for (i = 0; i < 6; i++) {
		const char *p = buf + i * 3;
		char hex[3] = {p[0], p[1], '\0'};

		if (!isxdigit((unsigned char)p[0]) ||
		    !isxdigit((unsigned char)p[1]) || (i < 5 && p[2] != ':'))
			goto bad;
		mac[i] = (uint8_t)strtoul(hex, NULL, 16);
	}
	if ((mac[0] & 1) != 0 ||
	    (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0)
		goto bad;
	return 0;
bad:
	return ctl_err_set(
		err, CTL_E_INVALID_INPUT,
		"Invalid input for %s. Reason: '%s' is not a valid MAC "
		"address.",
		attr, buf);
}

static int
model_time_parse(const json_t *v, const char *attr, int64_t *out,
		 struct ctl_err *err)
{
	struct tm tm;
	const char *end;

	if (!json_is_string(v))
		return model_bad(err, attr, "not a valid time");
	memset(&tm, 0, sizeof(tm));
	end = strptime(json_string_value(v), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return model_bad(err, attr, "not a valid time");
	*out = (int64_t)timegm(&tm);
	return 0;
}

void
model_time_format(int64_t t, char *buf, size_t buf_len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, buf_len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
model_uuid_new(char *buf)
{
	uint8_t b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n > 0)
			got += (size_t)n;
		else if (n < 0 && errno != EINTR)
			abort(); /* getrandom() cannot fail here */
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(buf, CTL_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}

static bool
model_is_project_id(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return false;
	}
	return true;
}

static int
model_tags(const json_t *v, struct ctl_meta *m, struct ctl_err *err)
{
	size_t i, j;
	json_t *t;

	if (!json_is_array(v))
		return model_bad(err, "tags", "not a list");
	m->n_tags = 0;
	json_array_foreach(v, i, t)
	{
		char tag[CTL_TAG_MAX + 1];
		bool dup = false;

		if (model_str(t, "tags", CTL_TAG_MAX, tag, err) != 0)
			return -EINVAL;
		if (tag[0] == '\0' || strpbrk(tag, ",/") != NULL)
			return model_bad(err, "tags",
					 "a tag is empty or holds ',' or '/'");
		for (j = 0; j < m->n_tags; j++)
			dup = dup || strcmp(m->tags[j], tag) == 0;
		if (dup)
			continue;
		if (m->n_tags >= CTL_TAGS_MAX)
			return model_bad(err, "tags", "too many tags");
		memcpy(m->tags[m->n_tags++], tag, strlen(tag) + 1);
	}
	return 0;
}

/*
 * Decode one standard attribute into m. Returns 1 if the attribute was
 * not a standard one, 0 when handled, -EINVAL on a bad value.
 */
static int
model_meta(enum model_attr_id id, const char *key, const json_t *v,
	   struct ctl_meta *m, char *tenant, struct ctl_err *err)
{
	uint64_t u;

	switch (id) {
	case AT_ID:
		return model_uuid(v, key, m->id, err);
	case AT_NAME:
		return model_str(v, key, CTL_NAME_MAX, m->name, err);
	case AT_DESC:
		return model_str(v, key, CTL_NAME_MAX, m->description, err);
	case AT_PROJECT:
	case AT_TENANT: {
		char *dst = id == AT_PROJECT ? m->project_id : tenant;

		if (model_str(v, key, CTL_PROJECT_MAX, dst, err) != 0)
			return -EINVAL;
		if (!model_is_project_id(dst))
			return model_bad(err, key, "not a valid project id");
		return 0;
	}
	case AT_REV:
		if (model_uint(v, key, 0, INT64_MAX, &u, err) != 0)
			return -EINVAL;
		m->revision_number = u;
		return 0;
	case AT_CREATED:
		return model_time_parse(v, key, &m->created_at, err);
	case AT_UPDATED:
		return model_time_parse(v, key, &m->updated_at, err);
	case AT_TAGS:
		return model_tags(v, m, err);
	default:
		return 1;
	}
}

/* After the walk: reconcile project_id and tenant_id. */
static int
model_meta_finish(struct ctl_meta *m, const char *tenant, unsigned *present,
		  struct ctl_err *err)
{
	if (tenant[0] != '\0') {
		if (m->project_id[0] != '\0' &&
		    strcmp(m->project_id, tenant) != 0)
			return ctl_err_set(
				err, CTL_E_BAD_REQUEST,
				"project_id and tenant_id do not match");
		memcpy(m->project_id, tenant, CTL_PROJECT_MAX + 1);
	}
	if (m->project_id[0] != '\0')
		*present |= MODEL_HAS_PROJECT;
	return 0;
}

static int
model_status(const json_t *v, enum ctl_status *out, struct ctl_err *err)
{
	static const char *const names[] = {"DOWN", "ACTIVE", "BUILD", "ERROR"};
	unsigned i;

	if (json_is_string(v)) {
		for (i = 0; i < 4; i++) {
			if (strcmp(json_string_value(v), names[i]) == 0) {
				*out = (enum ctl_status)i;
				return 0;
			}
		}
	}
	return model_bad(err, "status", "not a valid status");
}

const char *
model_status_name(enum ctl_status s)
{
	switch (s) {
	case CTL_STATUS_ACTIVE:
		return "ACTIVE";
	case CTL_STATUS_BUILD:
		return "BUILD";
	case CTL_STATUS_ERROR:
		return "ERROR";
	case CTL_STATUS_DOWN:
	default:
		return "DOWN";
	}
}

/* One of a fixed set of keywords; "" for null when allow_null. */
static int
model_keyword(const json_t *v, const char *attr, const char *const *set,
	      bool allow_null, char *out, struct ctl_err *err)
{
	char buf[CTL_KEYWORD_MAX + 1];

	if (json_is_null(v) && allow_null) {
		out[0] = '\0';
		return 0;
	}
	if (model_str(v, attr, CTL_KEYWORD_MAX, buf, err) != 0)
		return -EINVAL;
	for (; *set != NULL; set++) {
		if (strcmp(*set, buf) == 0) {
			memcpy(out, buf, strlen(buf) + 1);
			return 0;
		}
	}
	return ctl_err_set(
		err, CTL_E_INVALID_INPUT,
		"Invalid input for %s. Reason: '%s' is not an allowed "
		"value.",
		attr, buf);
}

/* A JSON object serialized compactly into out (CTL_JSON_MAX + 1). */
static int
model_json_obj(const json_t *v, const char *attr, char *out,
	       struct ctl_err *err)
{
	char *s;
	size_t len;

	if (json_is_null(v)) {
		strcpy(out, "{}");
		return 0;
	}
	if (!json_is_object(v))
		return model_bad(err, attr, "not a dictionary");
	s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	if (s == NULL)
		return ctl_err_set(err, CTL_E_INTERNAL, "out of memory");
	len = strlen(s);
	if (len > CTL_JSON_MAX) {
		free(s);
		return model_bad(err, attr, "dictionary too large");
	}
	memcpy(out, s, len + 1);
	free(s);
	return 0;
}

static const char *const model_net_types[] = {"vxlan", "local", NULL};

int
model_network_decode(const json_t *obj, enum model_mode mode,
		     struct ctl_network *out, unsigned *present,
		     struct ctl_err *err)
{
	char tenant[CTL_PROJECT_MAX + 1] = "";
	unsigned dummy = 0;
	const char *key;
	json_t *v;
	uint64_t u;
	int rc;

	if (present == NULL)
		present = &dummy;
	*present = 0;
	memset(out, 0, sizeof(*out));
	out->is_admin_up = true;
	out->has_port_security = true;
	out->mtu = 1450;
	strcpy(out->network_type, "vxlan");
	out->status = CTL_STATUS_ACTIVE;
	if (model_check_keys(CTL_NETWORK, obj,
			     mode == MODEL_CREATE ? MODEL_CREATE : MODEL_STORE,
			     err) != 0)
		return -EINVAL;
	json_object_foreach((json_t *)obj, key, v)
	{
		const struct model_attr *a = model_attr_find(CTL_NETWORK, key);

		rc = model_meta(a->id, key, v, &out->m, tenant, err);
		if (rc <= 0) {
			if (rc < 0)
				return rc;
			continue;
		}
		switch (a->id) {
		case AT_STATUS:
			rc = model_status(v, &out->status, err);
			break;
		case AT_ADMIN_UP:
			rc = model_bool(v, key, &out->is_admin_up, err);
			break;
		case AT_SHARED:
			rc = model_bool(v, key, &out->is_shared, err);
			break;
		case AT_EXTERNAL:
			rc = model_bool(v, key, &out->is_external, err);
			break;
		case AT_PORTSEC:
			rc = model_bool(v, key, &out->has_port_security, err);
			break;
		case AT_MTU:
			rc = model_uint(v, key, 68, 9000, &u, err);
			out->mtu = (uint32_t)u;
			break;
		case AT_NETTYPE:
			rc = model_keyword(v, key, model_net_types, false,
					   out->network_type, err);
			break;
		case AT_PHYSNET:
			if (json_is_null(v)) {
				out->physical_network[0] = '\0';
				rc = 0;
			} else {
				rc = model_str(v, key, CTL_KEYWORD_MAX,
					       out->physical_network, err);
			}
			break;
		case AT_SEGID:
			if (json_is_null(v)) {
				out->segmentation_id = 0;
				rc = 0;
				break;
			}
			rc = model_uint(v, key, 1, 16777215, &u, err);
			out->segmentation_id = (uint32_t)u;
			*present |= MODEL_HAS_SEGMENT;
			break;
		case AT_SUBNETS:
			rc = json_is_array(v)
				     ? 0
				     : model_bad(err, key, "not a list");
			break;
		default:
			rc = ctl_err_set(err, CTL_E_INTERNAL, "bad attribute");
			break;
		}
		if (rc != 0)
			return -EINVAL;
	}
	if (model_meta_finish(&out->m, tenant, present, err) != 0)
		return -EINVAL;
	if (strcmp(out->network_type, "local") == 0 &&
	    (*present & MODEL_HAS_SEGMENT))
		return ctl_err_set(
			err, CTL_E_INVALID_INPUT,
			"Invalid input for operation: segmentation_id "
			"requires network_type vxlan.");
	return 0;
}

static int
model_pools(const json_t *v, struct ctl_subnet *s, struct ctl_err *err)
{
	size_t i;
	json_t *p;

	if (!json_is_array(v))
		return model_bad(err, "allocation_pools", "not a list");
	if (json_array_size(v) > CTL_POOLS_MAX)
		return model_bad(err, "allocation_pools", "too many pools");
	s->n_pools = 0;
	json_array_foreach(v, i, p)
	{
		struct ctl_pool *pool = &s->pools[s->n_pools];

		if (!json_is_object(p) || json_object_size(p) != 2 ||
		    json_object_get(p, "start") == NULL ||
		    json_object_get(p, "end") == NULL)
			return model_bad(err, "allocation_pools",
					 "a pool must be {start, end}");
		if (model_ip(json_object_get(p, "start"), "allocation_pools",
			     &pool->start, err) != 0 ||
		    model_ip(json_object_get(p, "end"), "allocation_pools",
			     &pool->end, err) != 0)
			return -EINVAL;
		s->n_pools++;
	}
	return 0;
}

static int
model_dns(const json_t *v, struct ctl_subnet *s, struct ctl_err *err)
{
	size_t i;
	json_t *d;

	if (!json_is_array(v))
		return model_bad(err, "dns_nameservers", "not a list");
	if (json_array_size(v) > CTL_DNS_MAX)
		return model_bad(err, "dns_nameservers",
				 "too many nameservers");
	s->n_dns = 0;
	json_array_foreach(v, i, d)
	{
		if (model_ip(d, "dns_nameservers", &s->dns[s->n_dns], err) != 0)
			return -EINVAL;
		s->n_dns++;
	}
	return 0;
}

static int
model_routes(const json_t *v, struct ctl_subnet *s, struct ctl_err *err)
{
	size_t i;
	json_t *r;

	if (!json_is_array(v))
		return model_bad(err, "host_routes", "not a list");
	if (json_array_size(v) > CTL_ROUTES_MAX)
		return model_bad(err, "host_routes", "too many routes");
	s->n_routes = 0;
	json_array_foreach(v, i, r)
	{
		struct ctl_route *rt = &s->routes[s->n_routes];

		if (!json_is_object(r) || json_object_size(r) != 2 ||
		    json_object_get(r, "destination") == NULL ||
		    json_object_get(r, "nexthop") == NULL)
			return model_bad(
				err, "host_routes",
				"a route must be {destination, nexthop}");
		if (model_prefix(json_object_get(r, "destination"),
				 "host_routes", true, false, &rt->destination,
				 err) != 0 ||
		    model_ip(json_object_get(r, "nexthop"), "host_routes",
			     &rt->nexthop, err) != 0)
			return -EINVAL;
		s->n_routes++;
	}
	return 0;
}

static int
model_v6_mode(const json_t *v, const char *attr, enum ctl_v6_mode *out,
	      struct ctl_err *err)
{
	static const char *const modes[] = {"slaac", "dhcpv6-stateful",
					    "dhcpv6-stateless", NULL};
	char buf[CTL_KEYWORD_MAX + 1];
	unsigned i;

	if (model_keyword(v, attr, modes, true, buf, err) != 0)
		return -EINVAL;
	*out = CTL_V6_NONE;
	for (i = 0; modes[i] != NULL; i++) {
		if (strcmp(buf, modes[i]) == 0)
			*out = (enum ctl_v6_mode)(i + 1);
	}
	return 0;
}

static const char *
model_v6_mode_name(enum ctl_v6_mode m)
{
	switch (m) {
	case CTL_V6_SLAAC:
		return "slaac";
	case CTL_V6_DHCP_STATEFUL:
		return "dhcpv6-stateful";
	case CTL_V6_DHCP_STATELESS:
		return "dhcpv6-stateless";
	case CTL_V6_NONE:
	default:
		return NULL;
	}
}

int
model_subnet_decode(const json_t *obj, enum model_mode mode,
		    struct ctl_subnet *out, unsigned *present,
		    struct ctl_err *err)
{
	char tenant[CTL_PROJECT_MAX + 1] = "";
	bool has_cidr = false, has_gw = false, has_pools = false;
	bool has_ver = false, has_net = false;
	unsigned dummy = 0;
	const char *key;
	json_t *v;
	uint64_t u;
	int rc;

	if (present == NULL)
		present = &dummy;
	*present = 0;
	memset(out, 0, sizeof(*out));
	out->is_dhcp = true;
	if (model_check_keys(CTL_SUBNET, obj,
			     mode == MODEL_CREATE ? MODEL_CREATE : MODEL_STORE,
			     err) != 0)
		return -EINVAL;
	json_object_foreach((json_t *)obj, key, v)
	{
		const struct model_attr *a = model_attr_find(CTL_SUBNET, key);

		rc = model_meta(a->id, key, v, &out->m, tenant, err);
		if (rc <= 0) {
			if (rc < 0)
				return rc;
			continue;
		}
		switch (a->id) {
		case AT_NETWORK_ID:
			rc = model_uuid(v, key, out->network_id, err);
			has_net = true;
			break;
		case AT_IPVER:
			rc = model_uint(v, key, 4, 6, &u, err);
			if (rc == 0 && u == 5)
				rc = model_bad(err, key, "must be 4 or 6");
			out->ip_version = (uint8_t)u;
			has_ver = true;
			break;
		case AT_CIDR:
			rc = model_prefix(v, key, true, false, &out->cidr, err);
			has_cidr = true;
			break;
		case AT_GATEWAY:
			has_gw = true;
			if (json_is_null(v)) {
				out->has_gateway = false;
				rc = 0;
			} else {
				out->has_gateway = true;
				rc = model_ip(v, key, &out->gateway_ip, err);
			}
			break;
		case AT_POOLS:
			has_pools = true;
			rc = model_pools(v, out, err);
			break;
		case AT_DNS:
			rc = model_dns(v, out, err);
			break;
		case AT_ROUTES:
			rc = model_routes(v, out, err);
			break;
		case AT_DHCP:
			rc = model_bool(v, key, &out->is_dhcp, err);
			break;
		case AT_RA_MODE:
			rc = model_v6_mode(v, key, &out->ra_mode, err);
			break;
		case AT_ADDR_MODE:
			rc = model_v6_mode(v, key, &out->address_mode, err);
			break;
		case AT_NULL_ONLY:
			rc = json_is_null(v) || (json_is_array(v) &&
						 json_array_size(v) == 0)
				     ? 0
				     : model_bad(err, key, "not supported");
			break;
		default:
			rc = ctl_err_set(err, CTL_E_INTERNAL, "bad attribute");
			break;
		}
		if (rc != 0)
			return -EINVAL;
	}
	if (model_meta_finish(&out->m, tenant, present, err) != 0)
		return -EINVAL;
	if (!has_net || !has_ver || !has_cidr)
		return ctl_err_set(
			err, CTL_E_BAD_REQUEST,
			"Failed to parse request. Required attribute '%s' "
			"not specified",
			!has_net   ? "network_id"
			: !has_ver ? "ip_version"
				   : "cidr");
	if (out->cidr.ip.family != out->ip_version) {
		char buf[IPAM_STR_MAX + 8];

		return ctl_err_set(
			err, CTL_E_INVALID_INPUT,
			"Invalid input for operation: Cidr %s does not "
			"match ip_version %u.",
			ipam_prefix_format(&out->cidr, buf, sizeof(buf)),
			out->ip_version);
	}
	if (out->ip_version == 4 &&
	    (out->ra_mode != CTL_V6_NONE || out->address_mode != CTL_V6_NONE))
		return ctl_err_set(
			err, CTL_E_INVALID_INPUT,
			"Invalid input for operation: ipv6_ra_mode or "
			"ipv6_address_mode cannot be set on an IPv4 subnet.");
	if (out->ra_mode != CTL_V6_NONE && out->address_mode != CTL_V6_NONE &&
	    out->ra_mode != out->address_mode)
		return ctl_err_set(
			err, CTL_E_INVALID_INPUT,
			"Invalid input for operation: ipv6_ra_mode set to "
			"'%s' with ipv6_address_mode set to '%s' is not "
			"valid. If both attributes are set, they must be the "
			"same value.",
			model_v6_mode_name(out->ra_mode),
			model_v6_mode_name(out->address_mode));
	if (out->ip_version == 6 && out->cidr.len != 64 &&
	    (out->address_mode == CTL_V6_SLAAC ||
	     out->address_mode == CTL_V6_DHCP_STATELESS ||
	     (out->address_mode == CTL_V6_NONE &&
	      (out->ra_mode == CTL_V6_SLAAC ||
	       out->ra_mode == CTL_V6_DHCP_STATELESS)))) {
		char buf[IPAM_STR_MAX + 8];

		return ctl_err_set(
			err, CTL_E_INVALID_INPUT,
			"Invalid input for operation: Invalid CIDR %s for "
			"IPv6 address mode. OpenStack uses the EUI-64 "
			"address format, which requires the prefix to be "
			"/64.",
			ipam_prefix_format(&out->cidr, buf, sizeof(buf)));
	}
	if (!has_gw && mode == MODEL_CREATE)
		ipam_default_gateway(out);
	if (!has_pools && mode == MODEL_CREATE)
		ipam_default_pools(out);
	return ipam_subnet_validate(out, err);
}

static int
model_fixed_ips(const json_t *v, enum model_mode mode, struct ctl_port *p,
		struct ctl_err *err)
{
	size_t i;
	json_t *f;

	if (!json_is_array(v))
		return model_bad(err, "fixed_ips", "not a list");
	if (json_array_size(v) > CTL_FIXED_IPS_MAX)
		return model_bad(err, "fixed_ips", "too many fixed IPs");
	p->n_fixed_ips = 0;
	json_array_foreach(v, i, f)
	{
		struct ctl_fixed_ip *fi = &p->fixed_ips[p->n_fixed_ips];
		json_t *sid, *ip;
		size_t known = 0;

		if (!json_is_object(f))
			return model_bad(err, "fixed_ips",
					 "an entry must be a dictionary");
		sid = json_object_get(f, "subnet_id");
		ip = json_object_get(f, "ip_address");
		known = (sid != NULL) + (ip != NULL);
		if (known == 0 || known != json_object_size(f))
			return model_bad(
				err, "fixed_ips",
				"an entry takes subnet_id and/or ip_address");
		if (mode == MODEL_STORE && known != 2)
			return model_bad(err, "fixed_ips", "incomplete entry");
		if (sid != NULL &&
		    model_uuid(sid, "fixed_ips", fi->subnet_id, err) != 0)
			return -EINVAL;
		if (ip != NULL && model_ip(ip, "fixed_ips", &fi->ip, err) != 0)
			return -EINVAL;
		p->n_fixed_ips++;
	}
	return 0;
}

static int
model_pairs(const json_t *v, struct ctl_port *p, struct ctl_err *err)
{
	size_t i, j;
	json_t *e;

	if (!json_is_array(v))
		return model_bad(err, "allowed_address_pairs", "not a list");
	if (json_array_size(v) > CTL_PAIRS_MAX)
		return model_bad(err, "allowed_address_pairs",
				 "too many pairs");
	p->n_pairs = 0;
	json_array_foreach(v, i, e)
	{
		struct ctl_addr_pair *ap = &p->pairs[p->n_pairs];
		json_t *ip, *mac;

		if (!json_is_object(e))
			return model_bad(err, "allowed_address_pairs",
					 "an entry must be a dictionary");
		ip = json_object_get(e, "ip_address");
		mac = json_object_get(e, "mac_address");
		if (ip == NULL || json_object_size(e) != 1u + (mac != NULL))
			return model_bad(
				err, "allowed_address_pairs",
				"an entry takes ip_address and mac_address");
		if (model_prefix(ip, "allowed_address_pairs", false, true,
				 &ap->ip, err) != 0)
			return -EINVAL;
		ap->has_mac = mac != NULL && !json_is_null(mac);
		if (ap->has_mac &&
		    model_mac(mac, "allowed_address_pairs", ap->mac, err) != 0)
			return -EINVAL;
		for (j = 0; j < p->n_pairs; j++) {
			const struct ctl_addr_pair *o = &p->pairs[j];

			if (o->ip.len == ap->ip.len &&
			    ipam_ip_cmp(&o->ip.ip, &ap->ip.ip) == 0 &&
			    o->has_mac == ap->has_mac &&
			    memcmp(o->mac, ap->mac, 6) == 0)
				return model_bad(err, "allowed_address_pairs",
						 "duplicate address pair");
		}
		p->n_pairs++;
	}
	return 0;
}

static int
model_sgs(const json_t *v, struct ctl_port *p, struct ctl_err *err)
{
	size_t i, j;
	json_t *e;

	if (!json_is_array(v))
		return model_bad(err, "security_groups", "not a list");
	p->n_security_groups = 0;
	json_array_foreach(v, i, e)
	{
		char id[CTL_UUID_LEN + 1];
		bool dup = false;

		if (model_uuid(e, "security_groups", id, err) != 0)
			return -EINVAL;
		for (j = 0; j < p->n_security_groups; j++)
			dup = dup || strcmp(p->security_groups[j], id) == 0;
		if (dup)
			continue;
		if (p->n_security_groups >= CTL_SGS_MAX)
			return model_bad(err, "security_groups",
					 "too many security groups");
		memcpy(p->security_groups[p->n_security_groups++], id,
		       sizeof(id));
	}
	return 0;
}

static const char *const model_vnic_types[] = {
	"normal",	   "direct",
	"macvtap",	   "baremetal",
	"direct-physical", "virtio-forwarder",
	"smart-nic",	   "vdpa",
	"remote-managed",  NULL,
};

static const char *const model_vif_types[] = {
	"unbound", "binding_failed", "ovs", "vhostuser", "tap", "other", NULL,
};

int
model_port_decode(const json_t *obj, enum model_mode mode, struct ctl_port *out,
		  unsigned *present, struct ctl_err *err)
{
	char tenant[CTL_PROJECT_MAX + 1] = "";
	bool has_net = false;
	unsigned dummy = 0;
	const char *key;
	json_t *v;
	int rc;

	if (present == NULL)
		present = &dummy;
	*present = 0;
	memset(out, 0, sizeof(*out));
	out->is_admin_up = true;
	out->has_port_security = true;
	strcpy(out->vnic_type, "normal");
	strcpy(out->profile, "{}");
	strcpy(out->vif_type, "unbound");
	strcpy(out->vif_details, "{}");
	out->status = CTL_STATUS_DOWN;
	if (model_check_keys(CTL_PORT, obj,
			     mode == MODEL_CREATE ? MODEL_CREATE : MODEL_STORE,
			     err) != 0)
		return -EINVAL;
	json_object_foreach((json_t *)obj, key, v)
	{
		const struct model_attr *a = model_attr_find(CTL_PORT, key);

		rc = model_meta(a->id, key, v, &out->m, tenant, err);
		if (rc <= 0) {
			if (rc < 0)
				return rc;
			continue;
		}
		switch (a->id) {
		case AT_STATUS:
			rc = model_status(v, &out->status, err);
			break;
		case AT_NETWORK_ID:
			rc = model_uuid(v, key, out->network_id, err);
			has_net = true;
			break;
		case AT_ADMIN_UP:
			rc = model_bool(v, key, &out->is_admin_up, err);
			break;
		case AT_MAC:
			rc = model_mac(v, key, out->mac, err);
			*present |= MODEL_HAS_MAC;
			break;
		case AT_FIXED_IPS:
			rc = model_fixed_ips(v, mode, out, err);
			*present |= MODEL_HAS_FIXED_IPS;
			break;
		case AT_DEVICE_ID:
			rc = model_str(v, key, CTL_NAME_MAX, out->device_id,
				       err);
			break;
		case AT_DEVICE_OWNER:
			rc = model_str(v, key, CTL_NAME_MAX, out->device_owner,
				       err);
			break;
		case AT_SGS:
			rc = model_sgs(v, out, err);
			*present |= MODEL_HAS_SGS;
			break;
		case AT_PAIRS:
			rc = model_pairs(v, out, err);
			break;
		case AT_PORTSEC:
			rc = model_bool(v, key, &out->has_port_security, err);
			*present |= MODEL_HAS_PORT_SECURITY;
			break;
		case AT_HOST:
			if (json_is_null(v)) {
				out->host_id[0] = '\0';
				rc = 0;
			} else {
				rc = model_str(v, key, CTL_NAME_MAX,
					       out->host_id, err);
			}
			break;
		case AT_VNIC:
			rc = model_keyword(v, key, model_vnic_types, false,
					   out->vnic_type, err);
			break;
		case AT_PROFILE:
			rc = model_json_obj(v, key, out->profile, err);
			break;
		case AT_VIF_TYPE:
			rc = model_keyword(v, key, model_vif_types, false,
					   out->vif_type, err);
			break;
		case AT_VIF_DETAILS:
			rc = model_json_obj(v, key, out->vif_details, err);
			break;
		default:
			rc = ctl_err_set(err, CTL_E_INTERNAL, "bad attribute");
			break;
		}
		if (rc != 0)
			return -EINVAL;
	}
	if (model_meta_finish(&out->m, tenant, present, err) != 0)
		return -EINVAL;
	if (!has_net)
		return ctl_err_set(
			err, CTL_E_BAD_REQUEST,
			"Failed to parse request. Required attribute "
			"'network_id' not specified");
	if (!out->has_port_security && out->n_pairs > 0)
		return ctl_err_set(
			err, CTL_E_CONFLICT,
			"Port Security must be enabled in order to have "
			"allowed address pairs on a port.");
	return 0;
}

/* Encoding. */

static void
model_set(json_t *o, const char *key, json_t *v)
{
	json_object_set_new(o, key, v);
}

static json_t *
model_ip_json(const struct ctl_ip *ip)
{
	char buf[IPAM_STR_MAX];

	return json_string(ipam_ip_format(ip, buf, sizeof(buf)));
}

static json_t *
model_mac_json(const uint8_t *mac)
{
	char buf[18];

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
	return json_string(buf);
}

static json_t *
model_meta_json(const struct ctl_meta *m)
{
	char created[32], updated[32];
	json_t *o = json_object();
	json_t *tags = json_array();
	unsigned i;

	if (o == NULL || tags == NULL) {
		json_decref(o);
		json_decref(tags);
		return NULL;
	}
	model_time_format(m->created_at, created, sizeof(created));
	model_time_format(m->updated_at, updated, sizeof(updated));
	for (i = 0; i < m->n_tags; i++)
		json_array_append_new(tags, json_string(m->tags[i]));
	model_set(o, "id", json_string(m->id));
	model_set(o, "name", json_string(m->name));
	model_set(o, "description", json_string(m->description));
	model_set(o, "project_id", json_string(m->project_id));
	model_set(o, "tenant_id", json_string(m->project_id));
	model_set(o, "revision_number",
		  json_integer((json_int_t)m->revision_number));
	model_set(o, "created_at", json_string(created));
	model_set(o, "updated_at", json_string(updated));
	model_set(o, "tags", tags);
	return o;
}

json_t *
model_network_encode(const struct ctl_network *n)
{
	json_t *o = model_meta_json(&n->m);

	if (o == NULL)
		return NULL;
	model_set(o, "status", json_string(model_status_name(n->status)));
	model_set(o, "admin_state_up", json_boolean(n->is_admin_up));
	model_set(o, "shared", json_boolean(n->is_shared));
	model_set(o, "mtu", json_integer(n->mtu));
	model_set(o, "port_security_enabled",
		  json_boolean(n->has_port_security));
	model_set(o, "router:external", json_boolean(n->is_external));
	model_set(o, "provider:network_type", json_string(n->network_type));
	model_set(o, "provider:physical_network",
		  n->physical_network[0] != '\0'
			  ? json_string(n->physical_network)
			  : json_null());
	model_set(o, "provider:segmentation_id",
		  n->segmentation_id != 0 ? json_integer(n->segmentation_id)
					  : json_null());
	return o;
}

json_t *
model_subnet_encode(const struct ctl_subnet *s)
{
	char buf[IPAM_STR_MAX + 8];
	json_t *o = model_meta_json(&s->m);
	json_t *pools, *dns, *routes;
	const char *mode;
	unsigned i;

	if (o == NULL)
		return NULL;
	pools = json_array();
	dns = json_array();
	routes = json_array();
	for (i = 0; i < s->n_pools; i++) {
		json_t *p = json_object();

		model_set(p, "start", model_ip_json(&s->pools[i].start));
		model_set(p, "end", model_ip_json(&s->pools[i].end));
		json_array_append_new(pools, p);
	}
	for (i = 0; i < s->n_dns; i++)
		json_array_append_new(dns, model_ip_json(&s->dns[i]));
	for (i = 0; i < s->n_routes; i++) {
		json_t *r = json_object();

		model_set(
			r, "destination",
			json_string(ipam_prefix_format(
				&s->routes[i].destination, buf, sizeof(buf))));
		model_set(r, "nexthop", model_ip_json(&s->routes[i].nexthop));
		json_array_append_new(routes, r);
	}
	model_set(o, "network_id", json_string(s->network_id));
	model_set(o, "ip_version", json_integer(s->ip_version));
	model_set(o, "cidr",
		  json_string(ipam_prefix_format(&s->cidr, buf, sizeof(buf))));
	model_set(o, "gateway_ip",
		  s->has_gateway ? model_ip_json(&s->gateway_ip) : json_null());
	model_set(o, "allocation_pools", pools);
	model_set(o, "dns_nameservers", dns);
	model_set(o, "host_routes", routes);
	model_set(o, "enable_dhcp", json_boolean(s->is_dhcp));
	mode = model_v6_mode_name(s->ra_mode);
	model_set(o, "ipv6_ra_mode", mode ? json_string(mode) : json_null());
	mode = model_v6_mode_name(s->address_mode);
	model_set(o, "ipv6_address_mode",
		  mode ? json_string(mode) : json_null());
	model_set(o, "subnetpool_id", json_null());
	model_set(o, "segment_id", json_null());
	model_set(o, "service_types", json_array());
	return o;
}

json_t *
model_port_encode(const struct ctl_port *p)
{
	char buf[IPAM_STR_MAX + 8];
	json_t *o = model_meta_json(&p->m);
	json_t *fips, *sgs, *pairs;
	unsigned i;

	if (o == NULL)
		return NULL;
	fips = json_array();
	sgs = json_array();
	pairs = json_array();
	for (i = 0; i < p->n_fixed_ips; i++) {
		json_t *f = json_object();

		model_set(f, "subnet_id",
			  json_string(p->fixed_ips[i].subnet_id));
		model_set(f, "ip_address", model_ip_json(&p->fixed_ips[i].ip));
		json_array_append_new(fips, f);
	}
	for (i = 0; i < p->n_security_groups; i++)
		json_array_append_new(sgs, json_string(p->security_groups[i]));
	for (i = 0; i < p->n_pairs; i++) {
		const struct ctl_addr_pair *ap = &p->pairs[i];
		unsigned full = ap->ip.ip.family == 6 ? 128 : 32;
		json_t *e = json_object();

		model_set(e, "ip_address",
			  ap->ip.len == full
				  ? model_ip_json(&ap->ip.ip)
				  : json_string(ipam_prefix_format(
					    &ap->ip, buf, sizeof(buf))));
		model_set(e, "mac_address",
			  model_mac_json(ap->has_mac ? ap->mac : p->mac));
		json_array_append_new(pairs, e);
	}
	model_set(o, "network_id", json_string(p->network_id));
	model_set(o, "status", json_string(model_status_name(p->status)));
	model_set(o, "admin_state_up", json_boolean(p->is_admin_up));
	model_set(o, "mac_address", model_mac_json(p->mac));
	model_set(o, "fixed_ips", fips);
	model_set(o, "device_id", json_string(p->device_id));
	model_set(o, "device_owner", json_string(p->device_owner));
	model_set(o, "security_groups", sgs);
	model_set(o, "allowed_address_pairs", pairs);
	model_set(o, "port_security_enabled",
		  json_boolean(p->has_port_security));
	model_set(o, "binding:host_id", json_string(p->host_id));
	model_set(o, "binding:vnic_type", json_string(p->vnic_type));
	model_set(o, "binding:profile", json_loads(p->profile, 0, NULL));
	model_set(o, "binding:vif_type", json_string(p->vif_type));
	model_set(o, "binding:vif_details",
		  json_loads(p->vif_details, 0, NULL));
	return o;
}
