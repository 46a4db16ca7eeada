/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_flow_text.c: the text syntax of flow rules (dp_flow_text.h): a
 * parser with error messages that name the column and the token, and a
 * formatter writing the same syntax. Field layout comes from
 * dp_field_info() (dp_flow.c); only the way each field is written (MAC,
 * IPv4, IPv6, decimal or hex integer) is decided here.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_flow_text.h"

enum { TOK_MAX = 128 };

/* How a field's value is written. */
enum vclass {
	VC_DEC, /* integer, decimal */
	VC_HEX, /* integer, 0x hex */
	VC_MAC,
	VC_IPV4,
	VC_IPV6,
};

static enum vclass
field_class(int f)
{
	switch (f) {
	case DP_F_IN_PORT:
	case DP_F_TUN_ID:
	case DP_F_TP_SRC:
	case DP_F_TP_DST:
	case DP_F_NW_PROTO:
	case DP_F_NW_TOS:
	case DP_F_NW_TTL:
	case DP_F_CT_ZONE:
		return VC_DEC;
	case DP_F_ETH_DST:
	case DP_F_ETH_SRC:
	case DP_F_ARP_SHA:
	case DP_F_ARP_THA:
		return VC_MAC;
	case DP_F_TUN_SRC:
	case DP_F_TUN_DST:
	case DP_F_NW_SRC:
	case DP_F_NW_DST:
		return VC_IPV4;
	case DP_F_IPV6_SRC:
	case DP_F_IPV6_DST:
		return VC_IPV6;
	default:
		return VC_HEX;
	}
}

static const struct {
	const char *name;
	int field;
} aliases[] = {
	{"dl_src", DP_F_ETH_SRC},   {"dl_dst", DP_F_ETH_DST},
	{"dl_type", DP_F_ETH_TYPE}, {"icmp_type", DP_F_TP_SRC},
	{"icmp_code", DP_F_TP_DST}, {"arp_spa", DP_F_NW_SRC},
	{"arp_tpa", DP_F_NW_DST},   {"arp_op", DP_F_NW_PROTO},
};

/* Field by name or alias, or -ENOENT. */
static int
field_lookup(const char *name)
{
	int f = dp_field_lookup(name);

	if (f >= 0)
		return f;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i].name, name) == 0)
			return aliases[i].field;
	return -ENOENT;
}

static const struct {
	const char *name;
	uint16_t eth_type;
	int nw_proto; /* -1: none */
} shorthands[] = {
	{"ip", 0x0800, -1},    {"ipv6", 0x86dd, -1}, {"arp", 0x0806, -1},
	{"tcp", 0x0800, 6},    {"udp", 0x0800, 17},  {"icmp", 0x0800, 1},
	{"esp", 0x0800, 50},   {"tcp6", 0x86dd, 6},  {"udp6", 0x86dd, 17},
	{"icmp6", 0x86dd, 58},
};

/* Integers in a key field, in the field's byte order. */
static void
put_int(uint8_t *dst, unsigned size, bool is_host, uint64_t v)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;

	if (!is_host) {
		for (unsigned i = 0; i < size; i++)
			dst[i] = (uint8_t)(v >> (8 * (size - 1 - i)));
		return;
	}
	switch (size) {
	case 1:
		u8 = (uint8_t)v;
		memcpy(dst, &u8, 1);
		break;
	case 2:
		u16 = (uint16_t)v;
		memcpy(dst, &u16, 2);
		break;
	case 4:
		u32 = (uint32_t)v;
		memcpy(dst, &u32, 4);
		break;
	default:
		memcpy(dst, &v, 8);
		break;
	}
}

static uint64_t
get_int(const uint8_t *src, unsigned size, bool is_host)
{
	uint64_t v = 0;
	uint16_t u16;
	uint32_t u32;

	if (!is_host) {
		for (unsigned i = 0; i < size; i++)
			v = (v << 8) | src[i];
		return v;
	}
	switch (size) {
	case 1:
		return src[0];
	case 2:
		memcpy(&u16, src, 2);
		return u16;
	case 4:
		memcpy(&u32, src, 4);
		return u32;
	default:
		memcpy(&v, src, 8);
		return v;
	}
}

/* Parsing. */

struct parser {
	const char *line; /* start, for columns */
	char *err;
	size_t err_len;
	struct dp_key *match;
	struct dp_key *mask;
};

static int perr(struct parser *ps, const char *at, size_t n, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

static int
perr(struct parser *ps, const char *at, size_t n, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n > 40)
		n = 40;
	snprintf(ps->err, ps->err_len, "column %d: near '%.*s': %s",
		 (int)(at - ps->line) + 1, (int)n, at, msg);
	return -EINVAL;
}

/* Copy [s, s + n) into a NUL-terminated buffer; false if too long. */
static bool
tok_copy(char *dst, size_t dst_len, const char *s, size_t n)
{
	if (n >= dst_len)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

static bool
parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s == '\0' || *s == '-' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno == 0 && *end == '\0';
}

static bool
parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]))
			return false;
		char hex[3] = {s[0], s[1], '\0'};
		mac[i] = (uint8_t)strtoul(hex, NULL, 16);
		s += 2;
		if (i < 5 && *s++ != ':')
			return false;
	}
	return *s == '\0';
}

/* Mask of the first plen bits of a size-byte address. */
static void
prefix_mask(uint8_t *m, unsigned size, unsigned plen)
{
	for (unsigned i = 0; i < size; i++) {
		if (plen >= 8)
			m[i] = 0xff;
		else
			m[i] = (uint8_t)(0xff00 >> plen);
		plen = plen >= 8 ? plen - 8 : 0;
	}
}

/*
 * Parse "value[/mask]" for field f from tok (n bytes) into val and msk
 * (the field's size, key byte order). A mask is refused unless allowed.
 */
static int
parse_value(struct parser *ps, int f, const char *tok, size_t n, uint8_t *val,
	    uint8_t *msk, bool mask_ok)
{
	const struct dp_field_info *fi = dp_field_info(f);
	enum vclass vc = field_class(f);
	char buf[TOK_MAX];
	char *slash;
	uint64_t v, m;
	unsigned bits = fi->size * 8;
	int af;

	if (n == 0)
		return perr(ps, tok, n, "%s needs a value", fi->name);
	if (!tok_copy(buf, sizeof(buf), tok, n))
		return perr(ps, tok, n, "value too long");
	slash = strchr(buf, '/');
	if (slash != NULL) {
		if (!mask_ok)
			return perr(ps, tok, n, "no mask allowed here");
		*slash++ = '\0';
	}
	memset(msk, 0xff, fi->size);

	switch (vc) {
	case VC_DEC:
	case VC_HEX:
		if (!parse_u64(buf, &v))
			return perr(ps, tok, n,
				    "expected an integer value for %s",
				    fi->name);
		if (bits < 64 && v >> bits != 0)
			return perr(ps, tok, n,
				    "value %llu does not fit %s (%u bits)",
				    (unsigned long long)v, fi->name, bits);
		put_int(val, fi->size, fi->is_host_order, v);
		if (slash != NULL) {
			if (!parse_u64(slash, &m))
				return perr(ps, tok, n,
					    "expected an integer mask");
			if (bits < 64 && m >> bits != 0)
				return perr(ps, tok, n,
					    "mask does not fit %s (%u bits)",
					    fi->name, bits);
			put_int(msk, fi->size, fi->is_host_order, m);
		}
		break;
	case VC_MAC:
		if (!parse_mac(buf, val))
			return perr(ps, tok, n,
				    "expected a MAC address xx:xx:xx:xx:xx:xx "
				    "for %s",
				    fi->name);
		if (slash != NULL && !parse_mac(slash, msk))
			return perr(ps, tok, n, "expected a MAC mask");
		break;
	case VC_IPV4:
	case VC_IPV6:
		af = vc == VC_IPV4 ? AF_INET : AF_INET6;
		if (inet_pton(af, buf, val) != 1)
			return perr(ps, tok, n, "expected an %s address for %s",
				    af == AF_INET ? "IPv4" : "IPv6", fi->name);
		if (slash == NULL)
			break;
		if (slash[0] != '\0' &&
		    strspn(slash, "0123456789") == strlen(slash)) {
			v = strtoull(slash, NULL, 10);
			if (v > bits)
				return perr(ps, tok, n,
					    "prefix length %llu over %u",
					    (unsigned long long)v, bits);
			prefix_mask(msk, fi->size, (unsigned)v);
		} else if (inet_pton(af, slash, msk) != 1) {
			return perr(ps, tok, n,
				    "expected a prefix length or address "
				    "mask");
		}
		break;
	}
	for (unsigned i = 0; i < fi->size; i++)
		val[i] &= msk[i];
	return 0;
}

/* Store a parsed value into the match; a second, different one fails. */
static int
set_match(struct parser *ps, int f, const uint8_t *val, const uint8_t *msk,
	  const char *tok, size_t n)
{
	const struct dp_field_info *fi = dp_field_info(f);
	uint8_t *mv = (uint8_t *)ps->match + fi->offset;
	uint8_t *mm = (uint8_t *)ps->mask + fi->offset;
	bool is_set = false;

	for (unsigned i = 0; i < fi->size; i++)
		is_set |= mm[i] != 0;
	if (is_set &&
	    (memcmp(mv, val, fi->size) != 0 || memcmp(mm, msk, fi->size) != 0))
		return perr(ps, tok, n, "%s is already matched on", fi->name);
	memcpy(mv, val, fi->size);
	memcpy(mm, msk, fi->size);
	return 0;
}

static int
set_match_int(struct parser *ps, int f, uint64_t v, const char *tok, size_t n)
{
	const struct dp_field_info *fi = dp_field_info(f);
	uint8_t val[16], msk[16];

	put_int(val, fi->size, fi->is_host_order, v);
	memset(msk, 0xff, fi->size);
	return set_match(ps, f, val, msk, tok, n);
}

static int
parse_shorthand(struct parser *ps, const char *name, const char *tok, size_t n)
{
	int rc;

	for (size_t i = 0; i < sizeof(shorthands) / sizeof(shorthands[0]);
	     i++) {
		if (strcmp(shorthands[i].name, name) != 0)
			continue;
		rc = set_match_int(ps, DP_F_ETH_TYPE, shorthands[i].eth_type,
				   tok, n);
		if (rc == 0 && shorthands[i].nw_proto >= 0)
			rc = set_match_int(ps, DP_F_NW_PROTO,
					   (uint64_t)shorthands[i].nw_proto,
					   tok, n);
		return rc;
	}
	return -ENOENT;
}

/* dl_vlan=VID: a tag is present with that VLAN id. */
static int
parse_dl_vlan(struct parser *ps, const char *val, size_t vn, const char *tok,
	      size_t n)
{
	char buf[TOK_MAX];
	uint8_t v[2], m[2];
	uint64_t vid;

	if (!tok_copy(buf, sizeof(buf), val, vn) || !parse_u64(buf, &vid) ||
	    vid > 0xfff)
		return perr(ps, tok, n, "expected a VLAN id 0..4095");
	put_int(v, 2, false, DP_VLAN_PRESENT | vid);
	put_int(m, 2, false, DP_VLAN_PRESENT | 0xfff);
	return set_match(ps, DP_F_VLAN_TCI, v, m, tok, n);
}

/* ct_state flag names, bit i is 1 << i (enum dp_ct_state). */
static const char *const ct_state_names[8] = {
	"new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat",
};

/* ct_state=+trk+est-rpl: '+' flags must be set, '-' flags clear. */
static int
parse_ct_state(struct parser *ps, const char *val, size_t vn, const char *tok,
	       size_t n)
{
	uint8_t v = 0, m = 0;
	size_t i = 0;

	while (i < vn) {
		char sign = val[i++];
		size_t j = i, k;

		if (sign != '+' && sign != '-')
			return perr(ps, tok, n,
				    "expected +flag or -flag in ct_state");
		while (j < vn && val[j] != '+' && val[j] != '-')
			j++;
		for (k = 0; k < 8; k++)
			if (strlen(ct_state_names[k]) == j - i &&
			    memcmp(val + i, ct_state_names[k], j - i) == 0)
				break;
		if (k == 8)
			return perr(ps, tok, n,
				    "unknown ct_state flag (expected new, est, "
				    "rel, rpl, inv, trk, snat or dnat)");
		if (m & (1u << k))
			return perr(ps, tok, n, "ct_state flag %s twice",
				    ct_state_names[k]);
		m |= (uint8_t)(1u << k);
		if (sign == '+')
			v |= (uint8_t)(1u << k);
		i = j;
	}
	return set_match(ps, DP_F_CT_STATE, &v, &m, tok, n);
}

enum { META_TABLE = 1, META_PRIORITY = 2, META_COOKIE = 4 };

/* Parse one "name[=value]" match token. */
static int
parse_match_token(struct parser *ps, struct dp_rule *r, const char *tok,
		  size_t n)
{
	char name[TOK_MAX];
	const char *eq = memchr(tok, '=', n);
	size_t nn = eq != NULL ? (size_t)(eq - tok) : n;
	const char *val = eq != NULL ? eq + 1 : NULL;
	size_t vn = eq != NULL ? n - nn - 1 : 0;
	uint8_t v[16], m[16];
	char buf[TOK_MAX];
	uint64_t u;
	int f, rc;

	if (!tok_copy(name, sizeof(name), tok, nn))
		return perr(ps, tok, n, "name too long");
	if (val == NULL) {
		rc = parse_shorthand(ps, name, tok, n);
		if (rc != -ENOENT)
			return rc;
		if (field_lookup(name) >= 0)
			return perr(ps, tok, n, "%s needs =value", name);
		return perr(ps, tok, n,
			    "unknown shorthand (expected ip, ipv6, arp, tcp, "
			    "udp, icmp, esp, tcp6, udp6, icmp6 or "
			    "field=value)");
	}
	if (r != NULL &&
	    (strcmp(name, "table") == 0 || strcmp(name, "priority") == 0 ||
	     strcmp(name, "cookie") == 0 || strcmp(name, "n_packets") == 0 ||
	     strcmp(name, "n_bytes") == 0)) {
		if (!tok_copy(buf, sizeof(buf), val, vn) || !parse_u64(buf, &u))
			return perr(ps, tok, n, "expected an integer for %s",
				    name);
		if (name[0] == 't') {
			if (u >= DP_TABLES_MAX)
				return perr(ps, tok, n,
					    "table %llu out of range 0..%u",
					    (unsigned long long)u,
					    DP_TABLES_MAX - 1);
			r->table = (uint8_t)u;
		} else if (name[0] == 'p') {
			if (u > UINT32_MAX)
				return perr(ps, tok, n,
					    "priority over 4294967295");
			r->priority = (uint32_t)u;
		} else if (name[0] == 'c') {
			r->cookie = u;
		}
		return 0;
	}
	if (strcmp(name, "dl_vlan") == 0)
		return parse_dl_vlan(ps, val, vn, tok, n);
	if (strcmp(name, "ct_state") == 0 && vn > 0 &&
	    (val[0] == '+' || val[0] == '-'))
		return parse_ct_state(ps, val, vn, tok, n);
	f = field_lookup(name);
	if (f < 0)
		return perr(ps, tok, n,
			    r != NULL ? "unknown field (expected a match "
					"field, table, priority, cookie or "
					"actions=)"
				      : "unknown field");
	rc = parse_value(ps, f, val, vn, v, m, true);
	if (rc < 0)
		return rc;
	return set_match(ps, f, v, m, tok, n);
}

/* Output port: number, in_port or controller. */
static int
parse_port(struct parser *ps, const char *arg, size_t an, uint32_t *port)
{
	char buf[TOK_MAX];
	uint64_t u;

	if (!tok_copy(buf, sizeof(buf), arg, an))
		return perr(ps, arg, an, "port too long");
	if (strcasecmp(buf, "in_port") == 0) {
		*port = DP_PORT_IN_PORT;
		return 0;
	}
	if (strcasecmp(buf, "controller") == 0) {
		*port = DP_PORT_CONTROLLER;
		return 0;
	}
	if (!parse_u64(buf, &u) || u == 0 || u > DP_PORT_MAX)
		return perr(ps, arg, an,
			    "expected a port number 1..%u, in_port or "
			    "controller",
			    DP_PORT_MAX);
	*port = (uint32_t)u;
	return 0;
}

static int
parse_uint_arg(struct parser *ps, const char *arg, size_t an, uint64_t max,
	       const char *what, uint64_t *out)
{
	char buf[TOK_MAX];

	if (!tok_copy(buf, sizeof(buf), arg, an) || !parse_u64(buf, out) ||
	    *out > max)
		return perr(ps, arg, an, "expected %s 0..%llu", what,
			    (unsigned long long)max);
	return 0;
}

/* vxlan_encap(eth_src=..,eth_dst=..,ip_src=..,ip_dst=..,vni=..[,...]) */
static int
parse_vxlan(struct parser *ps, const char *arg, size_t an,
	    struct dp_act_vxlan *vx)
{
	const char *p = arg, *end = arg + an;
	unsigned have = 0;
	uint64_t u;
	uint8_t m[16];
	int rc;

	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		const char *te = c != NULL ? c : end;
		const char *eq = memchr(p, '=', (size_t)(te - p));
		size_t kn, vn;
		const char *v;

		while (p < te && isspace((unsigned char)*p))
			p++;
		if (eq == NULL)
			return perr(ps, p, (size_t)(te - p),
				    "expected key=value in vxlan_encap");
		kn = (size_t)(eq - p);
		v = eq + 1;
		vn = (size_t)(te - v);
		while (vn > 0 && isspace((unsigned char)v[vn - 1]))
			vn--;
#define KEY(s) (kn == strlen(s) && memcmp(p, s, kn) == 0)
		if (KEY("eth_src")) {
			rc = parse_value(ps, DP_F_ETH_SRC, v, vn, vx->eth_src,
					 m, false);
			have |= 1;
		} else if (KEY("eth_dst")) {
			rc = parse_value(ps, DP_F_ETH_DST, v, vn, vx->eth_dst,
					 m, false);
			have |= 2;
		} else if (KEY("ip_src")) {
			rc = parse_value(ps, DP_F_NW_SRC, v, vn,
					 (uint8_t *)&vx->ip_src, m, false);
			have |= 4;
		} else if (KEY("ip_dst")) {
			rc = parse_value(ps, DP_F_NW_DST, v, vn,
					 (uint8_t *)&vx->ip_dst, m, false);
			have |= 8;
		} else if (KEY("vni")) {
			rc = parse_uint_arg(ps, v, vn, 0xffffff, "a VNI", &u);
			vx->vni = (uint32_t)u;
			have |= 16;
		} else if (KEY("udp_dst")) {
			rc = parse_uint_arg(ps, v, vn, 0xffff, "a UDP port",
					    &u);
			vx->udp_dst = htons((uint16_t)u);
		} else if (KEY("ttl")) {
			rc = parse_uint_arg(ps, v, vn, 0xff, "a TTL", &u);
			vx->ttl = (uint8_t)u;
		} else if (KEY("tos")) {
			rc = parse_uint_arg(ps, v, vn, 0xff, "a TOS", &u);
			vx->tos = (uint8_t)u;
		} else {
			return perr(ps, p, kn,
				    "unknown vxlan_encap key (expected "
				    "eth_src, eth_dst, ip_src, ip_dst, vni, "
				    "udp_dst, ttl or tos)");
		}
#undef KEY
		if (rc < 0)
			return rc;
		p = c != NULL ? c + 1 : end;
	}
	if (have != 31)
		return perr(ps, arg, an,
			    "vxlan_encap needs eth_src, eth_dst, ip_src, "
			    "ip_dst and vni");
	return 0;
}

/* set_field:VALUE->FIELD */
static int
parse_set_field(struct parser *ps, const char *arg, size_t an,
		struct dp_action *a)
{
	const char *arrow = NULL;
	const struct dp_field_info *fi;
	char name[TOK_MAX];
	uint8_t m[16];
	int f;

	for (size_t i = 0; i + 1 < an; i++)
		if (arg[i] == '-' && arg[i + 1] == '>')
			arrow = arg + i;
	if (arrow == NULL)
		return perr(ps, arg, an, "expected set_field:VALUE->FIELD");
	if (!tok_copy(name, sizeof(name), arrow + 2,
		      an - (size_t)(arrow + 2 - arg)))
		return perr(ps, arg, an, "field name too long");
	f = field_lookup(name);
	if (f < 0)
		return perr(ps, arrow + 2, strlen(name), "unknown field");
	fi = dp_field_info(f);
	if (!fi->is_settable)
		return perr(ps, arrow + 2, strlen(name), "%s cannot be set",
			    fi->name);
	a->type = DP_ACT_SET_FIELD;
	a->u.set.field = (uint16_t)f;
	return parse_value(ps, f, arg, (size_t)(arrow - arg), a->u.set.value, m,
			   false);
}

/* esp_encrypt(sa=N) or esp_decrypt(table=T) (docs/esp.md). */
static int
parse_esp(struct parser *ps, bool is_enc, const char *arg, size_t an,
	  struct dp_action *a)
{
	const char *key = is_enc ? "sa=" : "table=";
	size_t kn = strlen(key);
	uint64_t u;
	int rc;

	if (an <= kn || memcmp(arg, key, kn) != 0)
		return perr(ps, arg, an,
			    is_enc ? "expected esp_encrypt(sa=N)"
				   : "expected esp_decrypt(table=T)");
	if (is_enc) {
		rc = parse_uint_arg(ps, arg + kn, an - kn, 4095, "an SA id",
				    &u);
		a->type = DP_ACT_ESP_ENCRYPT;
		a->u.esp.sa = (uint32_t)u;
	} else {
		rc = parse_uint_arg(ps, arg + kn, an - kn, DP_TABLES_MAX - 1,
				    "a table", &u);
		a->type = DP_ACT_ESP_DECRYPT;
		a->u.esp.table = (uint8_t)u;
	}
	return rc;
}

/* lb_select(pool=N,zone=Z,table=T), in any order (docs/lbaas.md). */
static int
parse_lb(struct parser *ps, const char *arg, size_t an, struct dp_action *a)
{
	const char *p = arg, *end = arg + an;
	bool has_pool = false, has_table = false;
	uint64_t u;
	int rc = 0;

	a->type = DP_ACT_LB_SELECT;
	while (p < end && rc == 0) {
		const char *te = memchr(p, ',', (size_t)(end - p));
		size_t kn;

		if (te == NULL)
			te = end;
		kn = (size_t)(te - p);
		if (kn > 5 && memcmp(p, "pool=", 5) == 0) {
			rc = parse_uint_arg(ps, p + 5, kn - 5, 4095,
					    "a pool id", &u);
			a->u.lb.pool = (uint32_t)u;
			has_pool = true;
		} else if (kn > 5 && memcmp(p, "zone=", 5) == 0) {
			rc = parse_uint_arg(ps, p + 5, kn - 5, 0xffff, "a zone",
					    &u);
			a->u.lb.zone = (uint16_t)u;
		} else if (kn > 6 && memcmp(p, "table=", 6) == 0) {
			rc = parse_uint_arg(ps, p + 6, kn - 6,
					    DP_TABLES_MAX - 1, "a table", &u);
			a->u.lb.table = (uint8_t)u;
			has_table = true;
		} else {
			return perr(ps, p, kn,
				    "unknown lb_select argument (expected "
				    "pool=N, zone=Z or table=T)");
		}
		p = te < end ? te + 1 : te;
	}
	if (rc == 0 && (!has_pool || a->u.lb.pool == 0 || !has_table))
		return perr(ps, arg, an,
			    "lb_select needs pool=N (1..4095) "
			    "and table=T");
	return rc;
}

/* A NAT range: A[-B][:P[-Q]] (IPv4, ports). */
static int
parse_nat_range(struct parser *ps, const char *arg, size_t an,
		struct dp_act_ct *ct)
{
	char buf[TOK_MAX], *colon, *dash;
	uint64_t lo, hi;

	if (!tok_copy(buf, sizeof(buf), arg, an))
		return perr(ps, arg, an, "nat range too long");
	colon = strchr(buf, ':');
	if (colon != NULL) {
		*colon++ = '\0';
		dash = strchr(colon, '-');
		if (dash != NULL)
			*dash++ = '\0';
		if (!parse_u64(colon, &lo) || lo == 0 || lo > 0xffff ||
		    (dash != NULL &&
		     (!parse_u64(dash, &hi) || hi < lo || hi > 0xffff)))
			return perr(ps, arg, an,
				    "expected ports P or P-Q in 1..65535");
		ct->port_min = (uint16_t)lo;
		ct->port_max = dash != NULL ? (uint16_t)hi : (uint16_t)lo;
	}
	dash = strchr(buf, '-');
	if (dash != NULL)
		*dash++ = '\0';
	if (inet_pton(AF_INET, buf, &ct->nat_min) != 1 ||
	    (dash != NULL && inet_pton(AF_INET, dash, &ct->nat_max) != 1))
		return perr(ps, arg, an,
			    "expected IPv4 addresses A or A-B in the nat "
			    "range");
	if (dash == NULL)
		ct->nat_max = ct->nat_min;
	if (ntohl(ct->nat_max) < ntohl(ct->nat_min))
		return perr(ps, arg, an, "nat address range is reversed");
	return 0;
}

/*
 * ct(zone=Z[,commit][,nat[(src|dst=RANGE)]][,mark=M],table=T)
 * (docs/conntrack.md).
 */
static int
parse_ct(struct parser *ps, const char *arg, size_t an, struct dp_action *a)
{
	struct dp_act_ct *ct = &a->u.ct;
	const char *p = arg, *end = arg + an;
	bool has_table = false;
	uint64_t u;
	int rc = 0;

	a->type = DP_ACT_CT;
	while (p < end && rc == 0) {
		const char *te = p;
		int depth = 0;
		size_t kn;

		while (te < end && (depth > 0 || *te != ',')) {
			depth += *te == '(' ? 1 : *te == ')' ? -1 : 0;
			te++;
		}
		kn = (size_t)(te - p);
#define CTK(s) (kn > strlen(s) && memcmp(p, s, strlen(s)) == 0)
		if (kn == 6 && memcmp(p, "commit", 6) == 0) {
			ct->flags |= DP_CT_COMMIT;
		} else if (kn == 3 && memcmp(p, "nat", 3) == 0) {
			ct->flags |= DP_CT_NAT;
		} else if (CTK("nat(src=") || CTK("nat(dst=")) {
			if (p[kn - 1] != ')')
				return perr(ps, p, kn, "missing ')'");
			ct->flags |= DP_CT_NAT;
			ct->nat_kind = p[4] == 's' ? DP_NAT_SRC : DP_NAT_DST;
			rc = parse_nat_range(ps, p + 8, kn - 9, ct);
		} else if (CTK("zone=")) {
			rc = parse_uint_arg(ps, p + 5, kn - 5, 0xffff, "a zone",
					    &u);
			ct->zone = (uint16_t)u;
		} else if (CTK("mark=")) {
			rc = parse_uint_arg(ps, p + 5, kn - 5, UINT32_MAX,
					    "a mark", &u);
			ct->flags |= DP_CT_SET_MARK;
			ct->mark = (uint32_t)u;
		} else if (CTK("table=")) {
			rc = parse_uint_arg(ps, p + 6, kn - 6,
					    DP_TABLES_MAX - 1, "a table", &u);
			ct->table = (uint8_t)u;
			has_table = true;
		} else {
			return perr(ps, p, kn,
				    "unknown ct argument (expected zone=Z, "
				    "commit, nat, nat(src=A[-B][:P[-Q]]), "
				    "nat(dst=...), mark=M or table=T)");
		}
#undef CTK
		p = te < end ? te + 1 : te;
	}
	if (rc == 0 && !has_table)
		return perr(ps, arg, an, "ct needs table=T");
	return rc;
}

/* One action token: name, name:arg or name(args). */
static int
parse_action(struct parser *ps, const char *tok, size_t n, struct dp_action *a)
{
	const char *sep = tok;
	size_t nn, an = 0;
	const char *arg = NULL;
	uint64_t u;
	int rc;

	while (sep < tok + n && *sep != ':' && *sep != '(')
		sep++;
	nn = (size_t)(sep - tok);
	if (sep < tok + n) {
		arg = sep + 1;
		an = n - nn - 1;
		if (*sep == '(') {
			if (an == 0 || arg[an - 1] != ')')
				return perr(ps, tok, n, "missing ')'");
			an--;
		}
	}
	memset(a, 0, sizeof(*a));
#define IS(s) (nn == strlen(s) && memcmp(tok, s, nn) == 0)
#define NOARG(t)                                                               \
	do {                                                                   \
		if (arg != NULL)                                               \
			return perr(ps, tok, n, "takes no argument");          \
		a->type = (t);                                                 \
		return 0;                                                      \
	} while (0)
	if (IS("drop"))
		NOARG(DP_ACT_DROP);
	if (IS("pop_vlan"))
		NOARG(DP_ACT_POP_VLAN);
	if (IS("dec_ttl"))
		NOARG(DP_ACT_DEC_TTL);
	if (IS("vxlan_decap"))
		NOARG(DP_ACT_VXLAN_DECAP);
#undef NOARG
	if (IS("controller") && arg == NULL) {
		a->type = DP_ACT_PUNT;
		return 0;
	}
	if (arg == NULL ||
	    (*sep == '(') != (IS("vxlan_encap") || IS("nd_reply") || IS("ct") ||
			      IS("esp_encrypt") || IS("esp_decrypt") ||
			      IS("lb_select")))
		goto unknown;
	if (IS("output")) {
		a->type = DP_ACT_OUTPUT;
		return parse_port(ps, arg, an, &a->u.port);
	}
	if (IS("set_field"))
		return parse_set_field(ps, arg, an, a);
	if (IS("push_vlan")) {
		rc = parse_uint_arg(ps, arg, an, 0xffff, "a VLAN tci", &u);
		if (rc == 0 && (u & DP_VLAN_PRESENT) != 0)
			rc = perr(ps, arg, an,
				  "push_vlan takes the tci without 0x1000");
		a->type = DP_ACT_PUSH_VLAN;
		a->u.tci = htons((uint16_t)u);
		return rc;
	}
	if (IS("goto_table")) {
		rc = parse_uint_arg(ps, arg, an, DP_TABLES_MAX - 1, "a table",
				    &u);
		a->type = DP_ACT_GOTO_TABLE;
		a->u.table = (uint32_t)u;
		return rc;
	}
	if (IS("punt") || IS("controller")) {
		rc = parse_uint_arg(ps, arg, an, UINT32_MAX, "a punt reason",
				    &u);
		a->type = DP_ACT_PUNT;
		a->u.reason = (uint32_t)u;
		return rc;
	}
	if (IS("arp_reply")) {
		uint8_t m[16];

		a->type = DP_ACT_ARP_REPLY;
		return parse_value(ps, DP_F_ETH_SRC, arg, an, a->u.mac, m,
				   false);
	}
	if (IS("nd_reply")) {
		uint8_t m[16];

		a->type = DP_ACT_ND_REPLY;
		return parse_value(ps, DP_F_ETH_SRC, arg, an, a->u.mac, m,
				   false);
	}
	if (IS("vxlan_encap")) {
		a->type = DP_ACT_VXLAN_ENCAP;
		return parse_vxlan(ps, arg, an, &a->u.vxlan);
	}
	if (IS("esp_encrypt") || IS("esp_decrypt"))
		return parse_esp(ps, IS("esp_encrypt"), arg, an, a);
	if (IS("ct"))
		return parse_ct(ps, arg, an, a);
	if (IS("lb_select"))
		return parse_lb(ps, arg, an, a);
#undef IS
unknown:
	return perr(ps, tok, n,
		    "unknown action or bad form (expected output:PORT, drop, "
		    "set_field:V->F, push_vlan:VID, pop_vlan, dec_ttl, "
		    "vxlan_encap(...), vxlan_decap, goto_table:N, punt:N, "
		    "controller, arp_reply:MAC, nd_reply(MAC), "
		    "esp_encrypt(sa=N), esp_decrypt(table=T), "
		    "ct(...) or lb_select(pool=N,zone=Z,table=T))");
}

static int
parse_actions(struct parser *ps, const char *p, struct dp_rule *r)
{
	const char *start;
	int depth, rc;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#' || *p == '\n' || *p == '\r')
			break;
		start = p;
		depth = 0;
		while (*p != '\0' && *p != '\n' && *p != '\r' &&
		       (depth > 0 ||
			(*p != ',' && *p != '#' && *p != ' ' && *p != '\t'))) {
			if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
			p++;
		}
		if (depth > 0)
			return perr(ps, start, (size_t)(p - start),
				    "missing ')'");
		if (p == start)
			return perr(ps, start, 1, "empty action");
		if (r->n_actions >= DP_ACTIONS_MAX)
			return perr(ps, start, (size_t)(p - start),
				    "more than %u actions", DP_ACTIONS_MAX);
		rc = parse_action(ps, start, (size_t)(p - start),
				  &r->actions[r->n_actions]);
		if (rc < 0)
			return rc;
		r->n_actions++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == ',')
			p++;
	}
	if (r->n_actions == 0)
		return perr(ps, p, 0, "expected at least one action (or drop)");
	return 0;
}

/*
 * Shared by rule and match parsing: r is NULL for a match only. Returns 1
 * when anything was parsed, 0 for an empty line.
 */
static int
parse_line(struct parser *ps, const char *s, struct dp_rule *r)
{
	const char *p = s, *start;
	bool has_actions = false, any = false;
	int rc;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0' || *p == '#' || *p == '\n' || *p == '\r')
			break;
		any = true;
		start = p;
		while (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t' &&
		       *p != '#' && *p != '\n' && *p != '\r')
			p++;
		if (r != NULL && (size_t)(p - start) >= 8 &&
		    memcmp(start, "actions=", 8) == 0) {
			rc = parse_actions(ps, start + 8, r);
			if (rc < 0)
				return rc;
			has_actions = true;
			break;
		}
		rc = parse_match_token(ps, r, start, (size_t)(p - start));
		if (rc < 0)
			return rc;
	}
	if (!any)
		return 0;
	if (r != NULL && !has_actions)
		return perr(ps, p, 0, "expected actions=... at the end");
	return 1;
}

int
dp_flow_text_parse(const char *line, struct dp_rule *out, char *err,
		   size_t err_len)
{
	struct parser ps = {line, err, err_len, &out->match, &out->mask};
	char why[DP_FLOW_TEXT_MAX / 16];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = parse_line(&ps, line, out);
	if (rc <= 0)
		return rc;
	if (dp_rule_validate(out, why, sizeof(why)) < 0) {
		snprintf(err, err_len, "invalid rule: %s", why);
		return -EINVAL;
	}
	return 1;
}

int
dp_flow_text_parse_match(const char *s, struct dp_key *match,
			 struct dp_key *mask, char *err, size_t err_len)
{
	struct parser ps = {s, err, err_len, match, mask};
	int rc;

	memset(match, 0, sizeof(*match));
	memset(mask, 0, sizeof(*mask));
	rc = parse_line(&ps, s, NULL);
	return rc < 0 ? rc : 0;
}

int
dp_flow_text_parse_all(const char *text, struct dp_rule **rules,
		       unsigned **lines, size_t *n, char *err, size_t err_len)
{
	struct dp_rule *rv = NULL, *nr;
	unsigned *lv = NULL, *nl;
	size_t cnt = 0, cap = 0;
	unsigned lineno = 0;
	char *line = NULL;
	char why[256];
	int rc = 0;

	*rules = NULL;
	*lines = NULL;
	*n = 0;
	while (*text != '\0') {
		const char *eol = strchr(text, '\n');
		size_t len = eol != NULL ? (size_t)(eol - text) : strlen(text);

		lineno++;
		free(line);
		line = strndup(text, len);
		if (line == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		text += len + (eol != NULL);
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			nr = realloc(rv, cap * sizeof(*rv));
			if (nr == NULL) {
				rc = -ENOMEM;
				goto fail;
			}
			rv = nr;
			nl = realloc(lv, cap * sizeof(*lv));
			if (nl == NULL) {
				rc = -ENOMEM;
				goto fail;
			}
			lv = nl;
		}
		rc = dp_flow_text_parse(line, &rv[cnt], why, sizeof(why));
		if (rc < 0) {
			snprintf(err, err_len, "line %u, %s", lineno, why);
			goto fail;
		}
		if (rc == 1)
			lv[cnt++] = lineno;
	}
	free(line);
	*rules = rv;
	*lines = lv;
	*n = cnt;
	return 0;
fail:
	if (rc == -ENOMEM)
		snprintf(err, err_len, "line %u: out of memory", lineno);
	free(line);
	free(rv);
	free(lv);
	return rc;
}

/* Formatting. */

struct out {
	char *buf;
	size_t len;
	size_t pos;
	bool is_full;
};

static void outf(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (o->is_full)
		return;
	va_start(ap, fmt);
	k = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= o->len - o->pos) {
		o->is_full = true;
		o->buf[o->pos] = '\0';
		return;
	}
	o->pos += (size_t)k;
}

static int
out_done(struct out *o)
{
	return o->is_full ? -ENOSPC : (int)o->pos;
}

static bool
all_ones(const uint8_t *m, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (m[i] != 0xff)
			return false;
	return true;
}

static bool
all_zero(const uint8_t *m, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (m[i] != 0)
			return false;
	return true;
}

/* Prefix length of m, or -1 when it is not a prefix mask. */
static int
prefix_len(const uint8_t *m, unsigned n)
{
	uint8_t want[16];
	int plen = 0;

	for (unsigned i = 0; i < n; i++)
		plen += __builtin_popcount(m[i]);
	prefix_mask(want, n, (unsigned)plen);
	return memcmp(want, m, n) == 0 ? plen : -1;
}

static void
out_mac(struct out *o, const uint8_t *m)
{
	outf(o, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
	     m[5]);
}

static void
out_addr(struct out *o, int af, const uint8_t *a)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(af, a, s, sizeof(s));
	outf(o, "%s", s);
}

/* Write field f's value (and /mask unless full) from val and msk. */
/* +flag for each bit of the mask that val has, -flag for the others. */
static void
out_ct_state(struct out *o, uint8_t v, uint8_t m)
{
	if (m == 0 || v == 0) {
		outf(o, m == 0xff ? "0x0" : "0x0/0x%x", m);
		return;
	}
	for (unsigned k = 0; k < 8; k++)
		if ((m & v) & (1u << k))
			outf(o, "+%s", ct_state_names[k]);
	for (unsigned k = 0; k < 8; k++)
		if ((m & ~v) & (1u << k))
			outf(o, "-%s", ct_state_names[k]);
}

static void
out_value(struct out *o, int f, const uint8_t *val, const uint8_t *msk)
{
	const struct dp_field_info *fi = dp_field_info(f);
	bool is_full = msk == NULL || all_ones(msk, fi->size);
	int af, plen;
	uint64_t v;

	if (f == DP_F_CT_STATE) {
		out_ct_state(o, val[0], msk != NULL ? msk[0] : 0xff);
		return;
	}
	switch (field_class(f)) {
	case VC_DEC:
	case VC_HEX:
		v = get_int(val, fi->size, fi->is_host_order);
		if (field_class(f) == VC_DEC)
			outf(o, "%llu", (unsigned long long)v);
		else
			outf(o, "0x%llx", (unsigned long long)v);
		if (!is_full)
			outf(o, "/0x%llx",
			     (unsigned long long)get_int(msk, fi->size,
							 fi->is_host_order));
		break;
	case VC_MAC:
		out_mac(o, val);
		if (!is_full) {
			outf(o, "/");
			out_mac(o, msk);
		}
		break;
	case VC_IPV4:
	case VC_IPV6:
		af = field_class(f) == VC_IPV4 ? AF_INET : AF_INET6;
		out_addr(o, af, val);
		if (is_full)
			break;
		plen = prefix_len(msk, fi->size);
		if (plen >= 0) {
			outf(o, "/%d", plen);
		} else {
			outf(o, "/");
			out_addr(o, af, msk);
		}
		break;
	}
}

static void
out_match(struct out *o, const struct dp_key *match, const struct dp_key *mask,
	  bool *first)
{
	const uint8_t *kv = (const uint8_t *)match;
	const uint8_t *km = (const uint8_t *)mask;
	const struct dp_field_info *et = dp_field_info(DP_F_ETH_TYPE);
	const struct dp_field_info *np = dp_field_info(DP_F_NW_PROTO);
	bool skip_type = false, skip_proto = false;

	/* A shorthand covers a fully matched eth_type (and nw_proto). */
	if (all_ones(km + et->offset, et->size)) {
		uint16_t t = (uint16_t)get_int(kv + et->offset, 2, false);
		bool has_proto = all_ones(km + np->offset, 1);
		int proto = kv[np->offset];
		const char *best = NULL;

		for (size_t i = 0;
		     i < sizeof(shorthands) / sizeof(shorthands[0]); i++) {
			if (shorthands[i].eth_type != t)
				continue;
			if (shorthands[i].nw_proto < 0 && best == NULL) {
				best = shorthands[i].name;
			} else if (has_proto &&
				   shorthands[i].nw_proto == proto) {
				best = shorthands[i].name;
				skip_proto = true;
			}
		}
		if (best != NULL) {
			outf(o, "%s%s", *first ? "" : ",", best);
			*first = false;
			skip_type = true;
		}
	}
	for (int f = 0; f < DP_F__COUNT; f++) {
		const struct dp_field_info *fi = dp_field_info(f);

		if (all_zero(km + fi->offset, fi->size))
			continue;
		if ((f == DP_F_ETH_TYPE && skip_type) ||
		    (f == DP_F_NW_PROTO && skip_proto))
			continue;
		outf(o, "%s%s=", *first ? "" : ",", fi->name);
		*first = false;
		out_value(o, f, kv + fi->offset, km + fi->offset);
	}
}

static void
out_port(struct out *o, uint32_t port)
{
	if (port == DP_PORT_IN_PORT)
		outf(o, "in_port");
	else if (port == DP_PORT_CONTROLLER)
		outf(o, "controller");
	else
		outf(o, "%u", port);
}

static void
out_ct(struct out *o, const struct dp_act_ct *ct)
{
	outf(o, "ct(zone=%u", ct->zone);
	if (ct->flags & DP_CT_COMMIT)
		outf(o, ",commit");
	if (ct->nat_kind != DP_NAT_NONE) {
		outf(o, ",nat(%s=", ct->nat_kind == DP_NAT_SRC ? "src" : "dst");
		out_addr(o, AF_INET, (const uint8_t *)&ct->nat_min);
		if (ct->nat_max != 0 && ct->nat_max != ct->nat_min) {
			outf(o, "-");
			out_addr(o, AF_INET, (const uint8_t *)&ct->nat_max);
		}
		if (ct->port_min != 0) {
			outf(o, ":%u", ct->port_min);
			if (ct->port_max > ct->port_min)
				outf(o, "-%u", ct->port_max);
		}
		outf(o, ")");
	} else if (ct->flags & DP_CT_NAT) {
		outf(o, ",nat");
	}
	if (ct->flags & DP_CT_SET_MARK)
		outf(o, ",mark=%u", ct->mark);
	outf(o, ",table=%u)", ct->table);
}

static void
out_action(struct out *o, const struct dp_action *a)
{
	const struct dp_act_vxlan *vx = &a->u.vxlan;

	switch (a->type) {
	case DP_ACT_OUTPUT:
		outf(o, "output:");
		out_port(o, a->u.port);
		break;
	case DP_ACT_DROP:
		outf(o, "drop");
		break;
	case DP_ACT_SET_FIELD:
		if (dp_field_info(a->u.set.field) == NULL) {
			outf(o, "set_field:?->%u", a->u.set.field);
			break;
		}
		outf(o, "set_field:");
		out_value(o, a->u.set.field, a->u.set.value, NULL);
		outf(o, "->%s", dp_field_info(a->u.set.field)->name);
		break;
	case DP_ACT_PUSH_VLAN:
		outf(o, "push_vlan:%u", ntohs(a->u.tci));
		break;
	case DP_ACT_POP_VLAN:
		outf(o, "pop_vlan");
		break;
	case DP_ACT_DEC_TTL:
		outf(o, "dec_ttl");
		break;
	case DP_ACT_VXLAN_ENCAP:
		outf(o, "vxlan_encap(eth_src=");
		out_mac(o, vx->eth_src);
		outf(o, ",eth_dst=");
		out_mac(o, vx->eth_dst);
		outf(o, ",ip_src=");
		out_addr(o, AF_INET, (const uint8_t *)&vx->ip_src);
		outf(o, ",ip_dst=");
		out_addr(o, AF_INET, (const uint8_t *)&vx->ip_dst);
		outf(o, ",vni=%u", vx->vni);
		if (vx->udp_dst != 0)
			outf(o, ",udp_dst=%u", ntohs(vx->udp_dst));
		if (vx->ttl != 0)
			outf(o, ",ttl=%u", vx->ttl);
		if (vx->tos != 0)
			outf(o, ",tos=%u", vx->tos);
		outf(o, ")");
		break;
	case DP_ACT_VXLAN_DECAP:
		outf(o, "vxlan_decap");
		break;
	case DP_ACT_GOTO_TABLE:
		outf(o, "goto_table:%u", a->u.table);
		break;
	case DP_ACT_PUNT:
		outf(o, "punt:%u", a->u.reason);
		break;
	case DP_ACT_ARP_REPLY:
		outf(o, "arp_reply:");
		out_mac(o, a->u.mac);
		break;
	case DP_ACT_ND_REPLY:
		outf(o, "nd_reply(");
		out_mac(o, a->u.mac);
		outf(o, ")");
		break;
	case DP_ACT_ESP_ENCRYPT:
		outf(o, "esp_encrypt(sa=%u)", a->u.esp.sa);
		break;
	case DP_ACT_ESP_DECRYPT:
		outf(o, "esp_decrypt(table=%u)", a->u.esp.table);
		break;
	case DP_ACT_CT:
		out_ct(o, &a->u.ct);
		break;
	case DP_ACT_LB_SELECT:
		outf(o, "lb_select(pool=%u,zone=%u,table=%u)", a->u.lb.pool,
		     a->u.lb.zone, a->u.lb.table);
		break;
	default:
		outf(o, "unknown_action_%u", a->type);
		break;
	}
}

static void
out_actions(struct out *o, const struct dp_action *acts, unsigned n)
{
	if (n == 0)
		outf(o, "drop");
	if (n > DP_ACTIONS_MAX)
		n = DP_ACTIONS_MAX;
	for (unsigned i = 0; i < n; i++) {
		if (i > 0)
			outf(o, ",");
		out_action(o, &acts[i]);
	}
}

int
dp_flow_text_format(const struct dp_rule *r, const struct dp_rule_stats *st,
		    char *buf, size_t len)
{
	struct out o = {buf, len, 0, len == 0};
	bool first = false;

	if (len > 0)
		buf[0] = '\0';
	outf(&o, "table=%u,priority=%u,cookie=0x%llx", r->table, r->priority,
	     (unsigned long long)r->cookie);
	if (st != NULL)
		outf(&o, ",n_packets=%llu,n_bytes=%llu",
		     (unsigned long long)st->n_packets,
		     (unsigned long long)st->n_bytes);
	out_match(&o, &r->match, &r->mask, &first);
	outf(&o, ",actions=");
	out_actions(&o, r->actions, r->n_actions);
	return out_done(&o);
}

int
dp_flow_text_format_match(const struct dp_key *match, const struct dp_key *mask,
			  char *buf, size_t len)
{
	struct out o = {buf, len, 0, len == 0};
	bool first = true;

	if (len > 0)
		buf[0] = '\0';
	out_match(&o, match, mask, &first);
	return out_done(&o);
}

int
dp_flow_text_format_actions(const struct dp_action *acts, unsigned n, char *buf,
			    size_t len)
{
	struct out o = {buf, len, 0, len == 0};

	if (len > 0)
		buf[0] = '\0';
	out_actions(&o, acts, n);
	return out_done(&o);
}

int
dp_flow_text_format_key(const struct dp_key *key, char *buf, size_t len)
{
	struct dp_key mask;
	const uint8_t *kv = (const uint8_t *)key;
	uint8_t *km = (uint8_t *)&mask;

	memset(&mask, 0, sizeof(mask));
	for (int f = 0; f < DP_F__COUNT; f++) {
		const struct dp_field_info *fi = dp_field_info(f);

		if (f == DP_F_IN_PORT || f == DP_F_ETH_TYPE ||
		    !all_zero(kv + fi->offset, fi->size))
			memset(km + fi->offset, 0xff, fi->size);
	}
	/* A packet's ct_state reads as the flags it has: +trk+est. */
	mask.ct_state = key->ct_state;
	return dp_flow_text_format_match(key, &mask, buf, len);
}
