// SPDX-License-Identifier: BSD-2-Clause
/*
 * vpn_model.c: decoding and validation of the VPNaaS resources (see
 * vpn_model.h). Each kind has an attribute table (POST, PUT, required);
 * the decoder walks the body once against it, then merges the body over
 * the defaults (create) or the stored document (update) and validates the
 * merged object as a whole, so that a PUT cannot produce an object a POST
 * could not (dpd timeout <= interval after changing only one of them).
 *
 * Sluice's defaults differ from Neutron's where Neutron's cannot be
 * served: IKE version v2 (not v1), auth sha256 (not sha1), pfs group14
 * (not group5). docs/vpnaas.md lists them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vpn_model.h"

#define A_POST 1u
#define A_PUT 2u
#define A_REQ 4u

struct vpn_attr {
	const char *name;
	unsigned flags;
};

#define VPN_ATTRS_MAX 24

static const struct {
	const char *plural;
	const char *singular;
	struct vpn_attr attrs[VPN_ATTRS_MAX];
} vpn_kinds[VPN_KIND_COUNT] = {
	[VPN_IKEPOLICY] = {"ikepolicies",
			   "ikepolicy",
			   {{"id", 0},
			    {"project_id", A_POST},
			    {"tenant_id", A_POST},
			    {"name", A_POST | A_PUT},
			    {"description", A_POST | A_PUT},
			    {"auth_algorithm", A_POST | A_PUT},
			    {"encryption_algorithm", A_POST | A_PUT},
			    {"phase1_negotiation_mode", A_POST | A_PUT},
			    {"lifetime", A_POST | A_PUT},
			    {"ike_version", A_POST | A_PUT},
			    {"pfs", A_POST | A_PUT},
			    {NULL, 0}}},
	[VPN_IPSECPOLICY] = {"ipsecpolicies",
			     "ipsecpolicy",
			     {{"id", 0},
			      {"project_id", A_POST},
			      {"tenant_id", A_POST},
			      {"name", A_POST | A_PUT},
			      {"description", A_POST | A_PUT},
			      {"transform_protocol", A_POST | A_PUT},
			      {"auth_algorithm", A_POST | A_PUT},
			      {"encryption_algorithm", A_POST | A_PUT},
			      {"encapsulation_mode", A_POST | A_PUT},
			      {"lifetime", A_POST | A_PUT},
			      {"pfs", A_POST | A_PUT},
			      {NULL, 0}}},
	[VPN_SERVICE] = {"vpnservices",
			 "vpnservice",
			 {{"id", 0},
			  {"project_id", A_POST},
			  {"tenant_id", A_POST},
			  {"name", A_POST | A_PUT},
			  {"description", A_POST | A_PUT},
			  {"router_id", A_POST | A_REQ},
			  {"subnet_id", A_POST},
			  {"flavor_id", A_POST},
			  {"admin_state_up", A_POST | A_PUT},
			  {"external_v4_ip", 0},
			  {"external_v6_ip", 0},
			  {"status", 0},
			  {NULL, 0}}},
	[VPN_EPG] = {"endpoint-groups",
		     "endpoint_group",
		     {{"id", 0},
		      {"project_id", A_POST},
		      {"tenant_id", A_POST},
		      {"name", A_POST | A_PUT},
		      {"description", A_POST | A_PUT},
		      {"type", A_POST | A_REQ},
		      {"endpoints", A_POST},
		      {NULL, 0}}},
	[VPN_CONN] = {"ipsec-site-connections",
		      "ipsec_site_connection",
		      {{"id", 0},
		       {"project_id", A_POST},
		       {"tenant_id", A_POST},
		       {"name", A_POST | A_PUT},
		       {"description", A_POST | A_PUT},
		       {"vpnservice_id", A_POST | A_REQ},
		       {"ikepolicy_id", A_POST | A_REQ},
		       {"ipsecpolicy_id", A_POST | A_REQ},
		       {"peer_address", A_POST | A_PUT | A_REQ},
		       {"peer_id", A_POST | A_PUT | A_REQ},
		       {"psk", A_POST | A_PUT | A_REQ},
		       {"local_id", A_POST | A_PUT},
		       {"peer_cidrs", A_POST | A_PUT},
		       {"local_ep_group_id", A_POST | A_PUT},
		       {"peer_ep_group_id", A_POST | A_PUT},
		       {"mtu", A_POST | A_PUT},
		       {"initiator", A_POST | A_PUT},
		       {"dpd", A_POST | A_PUT},
		       {"admin_state_up", A_POST | A_PUT},
		       {"route_mode", 0},
		       {"auth_mode", 0},
		       {"status", 0},
		       {"status_description", 0},
		       {NULL, 0}}},
};

const char *
vpn_kind_plural(enum vpn_kind k)
{
	return (unsigned)k < VPN_KIND_COUNT ? vpn_kinds[k].plural : "?";
}

const char *
vpn_kind_singular(enum vpn_kind k)
{
	return (unsigned)k < VPN_KIND_COUNT ? vpn_kinds[k].singular : "?";
}

int
vpn_kind_from_plural(const char *plural, enum vpn_kind *out)
{
	unsigned k;

	for (k = 0; k < VPN_KIND_COUNT; k++) {
		if (strcmp(vpn_kinds[k].plural, plural) == 0) {
			*out = (enum vpn_kind)k;
			return 0;
		}
	}
	return -ENOENT;
}

static const struct vpn_attr *
vpn_attr_find(enum vpn_kind k, const char *name)
{
	const struct vpn_attr *a;

	if ((unsigned)k >= VPN_KIND_COUNT)
		return NULL;
	for (a = vpn_kinds[k].attrs; a->name != NULL; a++) {
		if (strcmp(a->name, name) == 0)
			return a;
	}
	return NULL;
}

bool
vpn_model_is_attribute(enum vpn_kind k, const char *name)
{
	return vpn_attr_find(k, name) != NULL;
}

/* Algorithm names: known to Neutron, and what the engine calls them. */
struct vpn_alg {
	const char *neutron;
	const char *engine; /* NULL: Neutron knows it, Sluice cannot do it */
};

static const struct vpn_alg vpn_encr[] = {
	{"aes-128", "aes128"},
	{"aes-256", "aes256"},
	{"aes-128-gcm-16", "aes128gcm16"},
	{"aes-256-gcm-16", "aes256gcm16"},
	{"aes-192", NULL},
	{"3des", NULL},
	{"aes-128-ccm-8", NULL},
	{"aes-192-ccm-8", NULL},
	{"aes-256-ccm-8", NULL},
	{"aes-128-ccm-12", NULL},
	{"aes-192-ccm-12", NULL},
	{"aes-256-ccm-12", NULL},
	{"aes-128-ccm-16", NULL},
	{"aes-192-ccm-16", NULL},
	{"aes-256-ccm-16", NULL},
	{"aes-128-gcm-8", NULL},
	{"aes-192-gcm-8", NULL},
	{"aes-256-gcm-8", NULL},
	{"aes-128-gcm-12", NULL},
	{"aes-192-gcm-12", NULL},
	{"aes-256-gcm-12", NULL},
	{"aes-192-gcm-16", NULL},
	{NULL, NULL},
};

static const struct vpn_alg vpn_auth[] = {
	{"sha256", "sha256"}, {"sha384", "sha384"}, {"sha512", "sha512"},
	{"sha1", NULL},	      {"aes-xcbc", NULL},   {"aes-cmac", NULL},
	{NULL, NULL},
};

static const struct vpn_alg vpn_pfs[] = {
	{"group14", "modp2048"},   {"group19", "ecp256"}, {"group20", "ecp384"},
	{"group31", "curve25519"}, {"group2", NULL},	  {"group5", NULL},
	{"group15", NULL},	   {"group16", NULL},	  {"group17", NULL},
	{"group18", NULL},	   {"group21", NULL},	  {"group22", NULL},
	{"group23", NULL},	   {"group24", NULL},	  {"group25", NULL},
	{"group26", NULL},	   {"group27", NULL},	  {"group28", NULL},
	{"group29", NULL},	   {"group30", NULL},	  {NULL, NULL},
};

static const struct vpn_alg *
vpn_alg_find(const struct vpn_alg *t, const char *name)
{
	for (; t->neutron != NULL; t++) {
		if (strcmp(t->neutron, name) == 0)
			return t;
	}
	return NULL;
}

/* Value helpers. Each returns 0 or -EINVAL with err set. */

static int
vpn_bad(struct ctl_err *err, const char *attr, const char *why)
{
	return ctl_err_set(err, CTL_E_INVALID_INPUT,
			   "Invalid input for %s. Reason: %s.", attr, why);
}

/* A string attribute of at most max bytes (null allowed if nullable). */
static int
vpn_check_str(const json_t *v, const char *attr, size_t max, bool nullable,
	      struct ctl_err *err)
{
	char why[96];

	if (json_is_null(v) && nullable)
		return 0;
	if (!json_is_string(v))
		return vpn_bad(err, attr, "not a string");
	if (json_string_length(v) > max) {
		snprintf(why, sizeof(why), "longer than %zu characters", max);
		return vpn_bad(err, attr, why);
	}
	if (strlen(json_string_value(v)) != json_string_length(v))
		return vpn_bad(err, attr, "contains a NUL character");
	return 0;
}

/* An integer, also given as a string ("1400"). */
static int
vpn_get_int(const json_t *v, const char *attr, long long lo, long long hi,
	    long long *out, struct ctl_err *err)
{
	char why[96];
	long long x;

	if (json_is_integer(v)) {
		x = json_integer_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;

		if (*s == '\0' || json_string_length(v) > 20)
			return vpn_bad(err, attr, "not an integer");
		x = strtoll(s, &end, 10);
		if (*end != '\0')
			return vpn_bad(err, attr, "not an integer");
	} else {
		return vpn_bad(err, attr, "not an integer");
	}
	if (x < lo || x > hi) {
		snprintf(why, sizeof(why), "'%lld' is not in [%lld, %lld]", x,
			 lo, hi);
		return vpn_bad(err, attr, why);
	}
	*out = x;
	return 0;
}

static int
vpn_get_bool(const json_t *v, const char *attr, bool *out, struct ctl_err *err)
{
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
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
	return vpn_bad(err, attr, "not a boolean");
}

/* One of a list of words. */
static int
vpn_check_word(const json_t *v, const char *attr, const char *const *words,
	       struct ctl_err *err)
{
	const char *s;
	size_t i;

	if (!json_is_string(v))
		return vpn_bad(err, attr, "not a string");
	s = json_string_value(v);
	for (i = 0; words[i] != NULL; i++) {
		if (strcmp(words[i], s) == 0)
			return 0;
	}
	return ctl_err_set(err, CTL_E_INVALID_INPUT,
			   "Invalid input for %s. Reason: '%.64s' is not in "
			   "the list of valid values.",
			   attr, s);
}

/* An algorithm: known to Neutron and doable by the engine. */
static int
vpn_check_alg(const json_t *v, const char *attr, const struct vpn_alg *t,
	      struct ctl_err *err)
{
	const struct vpn_alg *a;

	if (!json_is_string(v))
		return vpn_bad(err, attr, "not a string");
	a = vpn_alg_find(t, json_string_value(v));
	if (a == NULL)
		return ctl_err_set(err, CTL_E_INVALID_INPUT,
				   "Invalid input for %s. Reason: '%.64s' is "
				   "not a valid value.",
				   attr, json_string_value(v));
	if (a->engine == NULL)
		return ctl_err_set(
			err, CTL_E_BAD_REQUEST,
			"%s %s is not supported by Sluice's IKEv2 engine "
			"(supported: %s).",
			attr, a->neutron,
			t == vpn_encr	? "aes-128, aes-256, aes-128-gcm-16, "
					  "aes-256-gcm-16"
			: t == vpn_auth ? "sha256, sha384, sha512"
					: "group14, group19, group20, group31");
	return 0;
}

/* lifetime {units: seconds, value >= 60}; merged over cur. */
static int
vpn_check_lifetime(json_t *obj, const json_t *v, struct ctl_err *err)
{
	json_t *cur = json_object_get(obj, "lifetime");
	long long val = json_integer_value(json_object_get(cur, "value"));
	const char *key;
	json_t *x;

	if (!json_is_object(v))
		return vpn_bad(err, "lifetime", "not a dictionary");
	json_object_foreach((json_t *)v, key, x)
	{
		if (strcmp(key, "units") == 0) {
			if (!json_is_string(x))
				return vpn_bad(err, "lifetime",
					       "units is not a string");
			if (strcmp(json_string_value(x), "kilobytes") == 0)
				return ctl_err_set(
					err, CTL_E_BAD_REQUEST,
					"lifetime units kilobytes is not "
					"supported by Sluice (seconds only).");
			if (strcmp(json_string_value(x), "seconds") != 0)
				return vpn_bad(err, "lifetime",
					       "units must be seconds");
		} else if (strcmp(key, "value") == 0) {
			if (vpn_get_int(x, "lifetime value", 60, 0x7fffffff,
					&val, err) != 0)
				return -EINVAL;
		} else {
			return vpn_bad(err, "lifetime",
				       "unknown key (units, value)");
		}
	}
	json_object_set_new(obj, "lifetime",
			    json_pack("{sssI}", "units", "seconds", "value",
				      (json_int_t)val));
	return 0;
}

/* dpd {action, interval, timeout}; merged over cur, checked together. */
static int
vpn_check_dpd(json_t *obj, const json_t *v, struct ctl_err *err)
{
	static const char *const actions[] = {
		"hold",	    "clear",	       "restart",
		"disabled", "restart-by-peer", NULL};
	json_t *cur = json_object_get(obj, "dpd");
	const char *action = json_string_value(json_object_get(cur, "action"));
	long long iv = json_integer_value(json_object_get(cur, "interval"));
	long long to = json_integer_value(json_object_get(cur, "timeout"));
	const char *key;
	json_t *x;

	if (!json_is_object(v))
		return vpn_bad(err, "dpd", "not a dictionary");
	json_object_foreach((json_t *)v, key, x)
	{
		if (strcmp(key, "action") == 0) {
			if (vpn_check_word(x, "dpd action", actions, err) != 0)
				return -EINVAL;
			action = json_string_value(x);
		} else if (strcmp(key, "interval") == 0) {
			if (vpn_get_int(x, "dpd interval", 1, 86400, &iv,
					err) != 0)
				return -EINVAL;
		} else if (strcmp(key, "timeout") == 0) {
			if (vpn_get_int(x, "dpd timeout", 1, 86400, &to, err) !=
			    0)
				return -EINVAL;
		} else {
			return vpn_bad(err, "dpd",
				       "unknown key (action, interval, "
				       "timeout)");
		}
	}
	if (to <= iv)
		return ctl_err_set(err, CTL_E_INVALID_INPUT,
				   "Invalid input for dpd. Reason: the timeout "
				   "(%lld) must be greater than the interval "
				   "(%lld).",
				   to, iv);
	json_object_set_new(obj, "dpd",
			    json_pack("{sssIsI}", "action", action, "interval",
				      (json_int_t)iv, "timeout",
				      (json_int_t)to));
	return 0;
}

int
vpn_model_cidr(const char *s, struct ctl_prefix *p)
{
	return ipam_prefix_parse(s, false, false, p);
}

/* A list of up to VPN_CIDRS_MAX CIDRs of one family; normalized. */
static int
vpn_check_cidrs(json_t *obj, const char *attr, const json_t *v,
		struct ctl_err *err)
{
	char buf[IPAM_STR_MAX + 4];
	struct ctl_prefix p;
	json_t *out, *one = NULL;
	size_t i;
	uint8_t fam = 0;
	int rc;

	/* python-neutronclient 8.1 sends one --peer-cidr as a string. */
	if (json_is_string(v)) {
		one = json_pack("[O]", v);
		if (one == NULL)
			return ctl_err_set(err, CTL_E_INTERNAL,
					   "Out of memory.");
		rc = vpn_check_cidrs(obj, attr, one, err);
		json_decref(one);
		return rc;
	}
	if (!json_is_array(v))
		return vpn_bad(err, attr, "not a list");
	if (json_array_size(v) > VPN_CIDRS_MAX)
		return ctl_err_set(err, CTL_E_BAD_REQUEST,
				   "%s: at most %d CIDRs per connection.", attr,
				   VPN_CIDRS_MAX);
	out = json_array();
	for (i = 0; i < json_array_size(v); i++) {
		const json_t *c = json_array_get(v, i);

		if (!json_is_string(c) || json_string_length(c) > 64 ||
		    ipam_prefix_parse(json_string_value(c), true, false, &p) !=
			    0) {
			json_decref(out);
			return ctl_err_set(
				err, CTL_E_INVALID_INPUT,
				"Invalid input for %s. Reason: '%.64s' is not "
				"a valid CIDR (address/length, host bits "
				"zero).",
				attr,
				json_is_string(c) ? json_string_value(c) : "?");
		}
		if (fam != 0 && p.ip.family != fam) {
			json_decref(out);
			return ctl_err_set(err, CTL_E_BAD_REQUEST,
					   "%s mixes IPv4 and IPv6 CIDRs.",
					   attr);
		}
		fam = p.ip.family;
		json_array_append_new(out, json_string(ipam_prefix_format(
						   &p, buf, sizeof(buf))));
	}
	json_object_set_new(obj, attr, out);
	return 0;
}

/* endpoints of an endpoint group, checked for its type. */
static int
vpn_check_endpoints(json_t *obj, const json_t *v, struct ctl_err *err)
{
	const char *type = json_string_value(json_object_get(obj, "type"));
	size_t i;

	if (!json_is_array(v))
		return vpn_bad(err, "endpoints", "not a list");
	if (json_array_size(v) == 0)
		return ctl_err_set(err, CTL_E_BAD_REQUEST,
				   "An endpoint group needs at least one "
				   "endpoint.");
	if (type != NULL && strcmp(type, "cidr") == 0)
		return vpn_check_cidrs(obj, "endpoints", v, err);
	if (json_array_size(v) > VPN_CIDRS_MAX)
		return ctl_err_set(err, CTL_E_BAD_REQUEST,
				   "endpoints: at most %d per group.",
				   VPN_CIDRS_MAX);
	for (i = 0; i < json_array_size(v); i++) {
		const json_t *s = json_array_get(v, i);

		if (!json_is_string(s) || !model_is_uuid(json_string_value(s)))
			return vpn_bad(err, "endpoints",
				       "a subnet endpoint is a subnet UUID");
	}
	json_object_set(obj, "endpoints", (json_t *)v);
	return 0;
}

/* The defaults of a new object of kind. */
static json_t *
vpn_defaults(enum vpn_kind k)
{
	switch (k) {
	case VPN_IKEPOLICY:
		return json_pack("{ss ss ss ss ss ss ss s{sssi}}", "name", "",
				 "description", "", "auth_algorithm", "sha256",
				 "encryption_algorithm", "aes-128",
				 "phase1_negotiation_mode", "main",
				 "ike_version", "v2", "pfs", "group14",
				 "lifetime", "units", "seconds", "value", 3600);
	case VPN_IPSECPOLICY:
		return json_pack("{ss ss ss ss ss ss ss s{sssi}}", "name", "",
				 "description", "", "transform_protocol", "esp",
				 "auth_algorithm", "sha256",
				 "encryption_algorithm", "aes-128",
				 "encapsulation_mode", "tunnel", "pfs",
				 "group14", "lifetime", "units", "seconds",
				 "value", 3600);
	case VPN_SERVICE:
		return json_pack("{ss ss sn sn sb sn sn ss}", "name", "",
				 "description", "", "subnet_id", "flavor_id",
				 "admin_state_up", 1, "external_v4_ip",
				 "external_v6_ip", "status", "DOWN");
	case VPN_EPG:
		return json_pack("{ss ss s[]}", "name", "", "description", "",
				 "endpoints");
	case VPN_CONN:
	default:
		return json_pack("{ss ss ss s[] sn sn si ss s{sssisi} sb ss ss "
				 "ss ss}",
				 "name", "", "description", "", "local_id", "",
				 "peer_cidrs", "local_ep_group_id",
				 "peer_ep_group_id", "mtu", 1500, "initiator",
				 "bi-directional", "dpd", "action", "hold",
				 "interval", 30, "timeout", 120,
				 "admin_state_up", 1, "route_mode", "static",
				 "auth_mode", "psk", "status", "DOWN",
				 "status_description", "not yet negotiated");
	}
}

/* Check the keys of body against the table for a POST or a PUT. */
static int
vpn_check_keys(enum vpn_kind k, const json_t *body, bool is_create,
	       struct ctl_err *err)
{
	const struct vpn_attr *a;
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)body, key, v)
	{
		(void)v;
		a = vpn_attr_find(k, key);
		if (a == NULL)
			return ctl_err_set(err, CTL_E_BAD_REQUEST,
					   "Unrecognized attribute(s) '%.64s'",
					   key);
		if (is_create && !(a->flags & A_POST))
			return ctl_err_set(err, CTL_E_BAD_REQUEST,
					   "Attribute '%s' not allowed in POST",
					   key);
		if (!is_create && !(a->flags & A_PUT))
			return ctl_err_set(
				err, CTL_E_BAD_REQUEST,
				"Cannot update read-only attribute %s", key);
	}
	if (!is_create)
		return 0;
	for (a = vpn_kinds[k].attrs; a->name != NULL; a++) {
		if ((a->flags & A_REQ) &&
		    json_object_get(body, a->name) == NULL)
			return ctl_err_set(err, CTL_E_BAD_REQUEST,
					   "Failed to parse request. Required "
					   "attribute '%s' not specified",
					   a->name);
	}
	return 0;
}

/* An IKE identity or peer address: printable, no spaces. */
static int
vpn_check_ident(const json_t *v, const char *attr, struct ctl_err *err)
{
	const char *s;

	if (vpn_check_str(v, attr, 255, false, err) != 0)
		return -EINVAL;
	for (s = json_string_value(v); *s != '\0'; s++) {
		if (!isgraph((unsigned char)*s))
			return vpn_bad(err, attr,
				       "only printable characters without "
				       "spaces");
	}
	return 0;
}

/* Apply one attribute of the body to obj. */
static int
vpn_apply(enum vpn_kind k, json_t *obj, const char *key, const json_t *v,
	  char *psk, bool *has_psk, struct ctl_err *err)
{
	static const char *const phase1[] = {"main", NULL};
	static const char *const transforms[] = {"esp", NULL};
	static const char *const modes[] = {"tunnel", NULL};
	static const char *const initiators[] = {"bi-directional",
						 "response-only", NULL};
	static const char *const types[] = {"subnet", "cidr", NULL};
	long long n = 0;
	bool b = false;

	if (strcmp(key, "name") == 0 || strcmp(key, "description") == 0 ||
	    strcmp(key, "project_id") == 0 || strcmp(key, "tenant_id") == 0) {
		if (vpn_check_str(v, key,
				  key[0] == 'p' || key[0] == 't'
					  ? CTL_PROJECT_MAX
					  : CTL_NAME_MAX,
				  false, err) != 0)
			return -EINVAL;
	} else if (strcmp(key, "auth_algorithm") == 0) {
		if (vpn_check_alg(v, key, vpn_auth, err) != 0)
			return -EINVAL;
	} else if (strcmp(key, "encryption_algorithm") == 0) {
		if (vpn_check_alg(v, key, vpn_encr, err) != 0)
			return -EINVAL;
	} else if (strcmp(key, "pfs") == 0) {
		if (vpn_check_alg(v, key, vpn_pfs, err) != 0)
			return -EINVAL;
	} else if (strcmp(key, "phase1_negotiation_mode") == 0) {
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), "aggressive") == 0)
			return ctl_err_set(err, CTL_E_BAD_REQUEST,
					   "phase1_negotiation_mode aggressive "
					   "is IKEv1; Sluice speaks IKEv2 "
					   "only (use main).");
		if (vpn_check_word(v, key, phase1, err) != 0)
			return -EINVAL;
	} else if (strcmp(key, "ike_version") == 0) {
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), "v1") == 0)
			return ctl_err_set(err, CTL_E_BAD_REQUEST,
					   "ike_version v1 is not supported: "
					   "Sluice speaks IKEv2 only (use "
					   "v2).");
		if (!json_is_string(v) || strcmp(json_string_value(v), "v2"))
			return vpn_bad(err, key, "must be v1 or v2");
	} else if (strcmp(key, "lifetime") == 0) {
		return vpn_check_lifetime(obj, v, err);
	} else if (strcmp(key, "transform_protocol") == 0) {
		if (json_is_string(v) &&
		    (!strcmp(json_string_value(v), "ah") ||
		     !strcmp(json_string_value(v), "ah-esp")))
			return ctl_err_set(err, CTL_E_BAD_REQUEST,
					   "transform_protocol %s is not "
					   "supported by Sluice (esp only).",
					   json_string_value(v));
		if (vpn_check_word(v, key, transforms, err) != 0)
			return -EINVAL;
	} else if (strcmp(key, "encapsulation_mode") == 0) {
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), "transport") == 0)
			return ctl_err_set(err, CTL_E_BAD_REQUEST,
					   "encapsulation_mode transport is "
					   "not supported by Sluice (site-to-"
					   "site tunnel mode only).");
		if (vpn_check_word(v, key, modes, err) != 0)
			return -EINVAL;
	} else if (strcmp(key, "router_id") == 0 ||
		   strcmp(key, "vpnservice_id") == 0 ||
		   strcmp(key, "ikepolicy_id") == 0 ||
		   strcmp(key, "ipsecpolicy_id") == 0) {
		if (!json_is_string(v) || !model_is_uuid(json_string_value(v)))
			return vpn_bad(err, key, "not a valid UUID");
	} else if (strcmp(key, "subnet_id") == 0 ||
		   strcmp(key, "flavor_id") == 0 ||
		   strcmp(key, "local_ep_group_id") == 0 ||
		   strcmp(key, "peer_ep_group_id") == 0) {
		if (json_is_string(v) && json_string_length(v) == 0)
			v = json_null();
		if (!json_is_null(v) && (!json_is_string(v) ||
					 !model_is_uuid(json_string_value(v))))
			return vpn_bad(err, key, "not a valid UUID");
		if (strcmp(key, "flavor_id") == 0 && !json_is_null(v))
			return ctl_err_set(err, CTL_E_BAD_REQUEST,
					   "flavor_id: Sluice has no VPN "
					   "flavors.");
	} else if (strcmp(key, "admin_state_up") == 0) {
		if (vpn_get_bool(v, key, &b, err) != 0)
			return -EINVAL;
		v = json_boolean(b);
	} else if (strcmp(key, "type") == 0) {
		if (json_is_string(v) &&
		    (!strcmp(json_string_value(v), "network") ||
		     !strcmp(json_string_value(v), "router") ||
		     !strcmp(json_string_value(v), "vlan")))
			return ctl_err_set(err, CTL_E_BAD_REQUEST,
					   "endpoint group type %s is not "
					   "supported by Sluice (subnet, "
					   "cidr).",
					   json_string_value(v));
		if (vpn_check_word(v, key, types, err) != 0)
			return -EINVAL;
	} else if (strcmp(key, "endpoints") == 0) {
		return 0; /* checked once type is known */
	} else if (strcmp(key, "peer_address") == 0) {
		struct ctl_ip ip;

		if (vpn_check_ident(v, key, err) != 0)
			return -EINVAL;
		if (ipam_ip_parse(json_string_value(v), &ip) != 0)
			return ctl_err_set(err, CTL_E_BAD_REQUEST,
					   "peer_address '%.64s' is not an IP "
					   "address (Sluice does not resolve "
					   "FQDNs).",
					   json_string_value(v));
	} else if (strcmp(key, "peer_id") == 0 ||
		   strcmp(key, "local_id") == 0) {
		if (!(strcmp(key, "local_id") == 0 && json_is_string(v) &&
		      json_string_length(v) == 0) &&
		    vpn_check_ident(v, key, err) != 0)
			return -EINVAL;
	} else if (strcmp(key, "psk") == 0) {
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > VPN_PSK_MAX ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return vpn_bad(err, key,
				       "a pre-shared key is 1 to 255 bytes");
		memcpy(psk, json_string_value(v), json_string_length(v) + 1);
		*has_psk = true;
		return 0; /* never part of the document */
	} else if (strcmp(key, "peer_cidrs") == 0) {
		return vpn_check_cidrs(obj, key, v, err);
	} else if (strcmp(key, "mtu") == 0) {
		if (vpn_get_int(v, key, 68, 65535, &n, err) != 0)
			return -EINVAL;
		v = json_integer(n);
		json_object_set_new(obj, key, (json_t *)v);
		return 0;
	} else if (strcmp(key, "initiator") == 0) {
		if (vpn_check_word(v, key, initiators, err) != 0)
			return -EINVAL;
	} else if (strcmp(key, "dpd") == 0) {
		return vpn_check_dpd(obj, v, err);
	} else {
		return ctl_err_set(err, CTL_E_BAD_REQUEST,
				   "Unrecognized attribute(s) '%.64s'", key);
	}
	(void)k;
	json_object_set(obj, key, (json_t *)v);
	return 0;
}

/* Whole-object rules of a connection. */
static int
vpn_check_conn(const json_t *obj, struct ctl_err *err)
{
	size_t n_cidrs = json_array_size(json_object_get(obj, "peer_cidrs"));
	bool has_l = !json_is_null(json_object_get(obj, "local_ep_group_id"));
	bool has_p = !json_is_null(json_object_get(obj, "peer_ep_group_id"));

	if (n_cidrs > 0 && (has_l || has_p))
		return ctl_err_set(err, CTL_E_BAD_REQUEST,
				   "Cannot specify both peer_cidrs and "
				   "endpoint groups.");
	if (has_l != has_p)
		return ctl_err_set(err, CTL_E_BAD_REQUEST,
				   "Requires both local and peer endpoint "
				   "groups.");
	if (n_cidrs == 0 && !has_l)
		return ctl_err_set(err, CTL_E_BAD_REQUEST,
				   "Missing peer CIDRs or endpoint groups: "
				   "give peer_cidrs, or local_ep_group_id and "
				   "peer_ep_group_id.");
	return 0;
}

int
vpn_model_decode(enum vpn_kind k, const json_t *body, const json_t *old,
		 json_t **out, char *psk, bool *has_psk, struct ctl_err *err)
{
	const char *key, *proj, *ten;
	json_t *obj, *v;

	*out = NULL;
	*has_psk = false;
	if ((unsigned)k >= VPN_KIND_COUNT || !json_is_object(body))
		return ctl_err_set(err, CTL_E_BAD_REQUEST,
				   "Invalid input: the resource must be a "
				   "JSON object.");
	if (vpn_check_keys(k, body, old == NULL, err) != 0)
		return -EINVAL;
	obj = old != NULL ? json_deep_copy(old) : vpn_defaults(k);
	if (obj == NULL)
		return ctl_err_set(err, CTL_E_INTERNAL, "Out of memory.");
	/* type first: endpoints are checked against it. */
	v = json_object_get(body, "type");
	if (v != NULL && vpn_apply(k, obj, "type", v, psk, has_psk, err) != 0)
		goto fail;
	json_object_foreach((json_t *)body, key, v)
	{
		if (vpn_apply(k, obj, key, v, psk, has_psk, err) != 0)
			goto fail;
	}
	v = json_object_get(body, "endpoints");
	if (v != NULL && vpn_check_endpoints(obj, v, err) != 0)
		goto fail;
	if (k == VPN_EPG && old == NULL && v == NULL) {
		ctl_err_set(err, CTL_E_BAD_REQUEST,
			    "An endpoint group needs at least one endpoint.");
		goto fail;
	}
	proj = json_string_value(json_object_get(body, "project_id"));
	ten = json_string_value(json_object_get(body, "tenant_id"));
	if (proj != NULL && ten != NULL && strcmp(proj, ten) != 0) {
		ctl_err_set(err, CTL_E_BAD_REQUEST,
			    "project_id and tenant_id do not match.");
		goto fail;
	}
	if (proj == NULL && ten != NULL)
		json_object_set_new(obj, "project_id", json_string(ten));
	if (proj != NULL && ten == NULL)
		json_object_set_new(obj, "tenant_id", json_string(proj));
	if (k == VPN_CONN && vpn_check_conn(obj, err) != 0)
		goto fail;
	*out = obj;
	return 0;

fail:
	json_decref(obj);
	if (*has_psk)
		explicit_bzero(psk, VPN_PSK_MAX + 1);
	*has_psk = false;
	return -EINVAL;
}

int
vpn_model_proposal(const json_t *policy, bool is_esp, char *buf, size_t len)
{
	const struct vpn_alg *e, *a, *d;
	bool is_aead;
	int n;

	e = vpn_alg_find(vpn_encr, json_string_value(json_object_get(
					   policy, "encryption_algorithm"))
					   ?: "");
	a = vpn_alg_find(vpn_auth, json_string_value(json_object_get(
					   policy, "auth_algorithm"))
					   ?: "");
	d = vpn_alg_find(vpn_pfs,
			 json_string_value(json_object_get(policy, "pfs"))
				 ?: "");
	if (e == NULL || a == NULL || d == NULL || e->engine == NULL ||
	    a->engine == NULL || d->engine == NULL)
		return -EINVAL;
	is_aead = strstr(e->engine, "gcm") != NULL;
	if (is_aead && is_esp)
		n = snprintf(buf, len, "%s-%s", e->engine, d->engine);
	else if (is_aead)
		n = snprintf(buf, len, "%s-prf%s-%s", e->engine, a->engine,
			     d->engine);
	else
		n = snprintf(buf, len, "%s-%s-%s", e->engine, a->engine,
			     d->engine);
	return n > 0 && (size_t)n < len ? 0 : -EINVAL;
}

unsigned
vpn_model_lifetime(const json_t *policy)
{
	json_int_t v = json_integer_value(
		json_object_get(json_object_get(policy, "lifetime"), "value"));

	return v >= 60 && v <= 0x7fffffff ? (unsigned)v : 3600;
}
