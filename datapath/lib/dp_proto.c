/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_proto.c: framing, encoding and validation of the programming protocol
 * (dp_proto_codec.h). Shared by the server (datapath/ctl/dp_ctl.c) and the
 * client library (dp_client.c); the fuzz target in datapath/ctl drives the
 * receive side through the server.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_proto_codec.h"

/*
 * The wire format: these sizes are the protocol (version 1). A change here
 * is a new protocol version, not a recompile.
 */
_Static_assert(sizeof(struct dp_msg_hdr) == 24, "wire: dp_msg_hdr");
_Static_assert(sizeof(struct dp_hello) == 48, "wire: dp_hello");
_Static_assert(sizeof(struct dp_error) == 264, "wire: dp_error");
_Static_assert(sizeof(struct dp_port_spec) == 296, "wire: dp_port_spec");
_Static_assert(sizeof(struct dp_port_ref) == 40, "wire: dp_port_ref");
_Static_assert(sizeof(struct dp_port_info) == 376, "wire: dp_port_info");
_Static_assert(sizeof(struct dp_flow_batch) == 8, "wire: dp_flow_batch");
_Static_assert(sizeof(struct dp_flow_del) == 936, "wire: dp_flow_del");
_Static_assert(sizeof(struct dp_flow_dump_req) == 24, "wire: dp_flow_dump_req");
_Static_assert(sizeof(struct dp_flow_entry) == 928, "wire: dp_flow_entry");
_Static_assert(sizeof(struct dp_stats_reply) == 344, "wire: dp_stats_reply");
_Static_assert(sizeof(struct dp_packet_msg) == 16, "wire: dp_packet_msg");
_Static_assert(sizeof(struct dp_trace_reply) == 14936, "wire: dp_trace_reply");
_Static_assert(sizeof(struct dp_rule) == 912, "wire: dp_rule");
_Static_assert(sizeof(struct dp_key) == 128, "wire: dp_key");
_Static_assert(sizeof(struct dp_action) == 40, "wire: dp_action");
_Static_assert(sizeof(struct dp_ct_stats) == 11 * 8 + DP_CT_INV__COUNT * 8,
	       "wire: dp_ct_stats");
_Static_assert(sizeof(struct dp_ct_entry) == 88, "wire: dp_ct_entry");
_Static_assert(sizeof(struct dp_ct_zone_req) == 8, "wire: dp_ct_zone_req");
_Static_assert(sizeof(struct dp_sa) == 192, "wire: dp_sa");
_Static_assert(sizeof(struct dp_sa_ref) == 8, "wire: dp_sa_ref");
_Static_assert(sizeof(struct dp_sa_info) == 176, "wire: dp_sa_info");
_Static_assert(sizeof(struct dp_sa_event) == 40, "wire: dp_sa_event");
_Static_assert(sizeof(struct dp_lb_pool) == 60, "wire: dp_lb_pool");
_Static_assert(sizeof(struct dp_lb_member) == 16, "wire: dp_lb_member");
_Static_assert(sizeof(struct dp_lb_member6) == 24, "wire: dp_lb_member6");
_Static_assert(sizeof(struct dp_lb_member6_stats) == 64,
	       "wire: dp_lb_member6_stats");
_Static_assert(offsetof(struct dp_lb_pool, flags) == 9 &&
		       offsetof(struct dp_lb_pool_stats, flags) == 9,
	       "wire: the LB heads' flags");
_Static_assert(sizeof(struct dp_lb_pool_ref) == 8, "wire: dp_lb_pool_ref");
_Static_assert(sizeof(struct dp_lb_pool_stats) == 88, "wire: dp_lb_pool_stats");
_Static_assert(sizeof(struct dp_lb_member_stats) == 56,
	       "wire: dp_lb_member_stats");

/* How the body of each message type is laid out. */
enum body_kind {
	BODY_EMPTY,  /* no body */
	BODY_FIXED,  /* exactly size bytes */
	BODY_BATCH,  /* dp_flow_batch then n items of size bytes */
	BODY_PACKET, /* dp_packet_msg then len frame bytes */
	BODY_TRACE,  /* dp_trace_reply then out_len frame bytes */
	BODY_LB,     /* size-byte head (uint32 n at offset 4), n items */
};

struct msg_desc {
	const char *name;
	enum body_kind kind;
	uint32_t size;
};

#define M(t, k, s) [t] = {&(#t)[7], k, s}

static const struct msg_desc msg_descs[] = {
	M(DP_MSG_HELLO, BODY_FIXED, sizeof(struct dp_hello)),
	M(DP_MSG_OK, BODY_EMPTY, 0),
	M(DP_MSG_ERROR, BODY_FIXED, sizeof(struct dp_error)),
	M(DP_MSG_PORT_ADD, BODY_FIXED, sizeof(struct dp_port_spec)),
	M(DP_MSG_PORT_DEL, BODY_FIXED, sizeof(struct dp_port_ref)),
	M(DP_MSG_PORT_LIST, BODY_EMPTY, 0),
	M(DP_MSG_PORT_INFO, BODY_FIXED, sizeof(struct dp_port_info)),
	M(DP_MSG_FLOW_BEGIN, BODY_EMPTY, 0),
	M(DP_MSG_FLOW_ADD, BODY_BATCH, sizeof(struct dp_rule)),
	M(DP_MSG_FLOW_DEL, BODY_FIXED, sizeof(struct dp_flow_del)),
	M(DP_MSG_FLOW_COMMIT, BODY_EMPTY, 0),
	M(DP_MSG_FLOW_ABORT, BODY_EMPTY, 0),
	M(DP_MSG_FLOW_DUMP, BODY_FIXED, sizeof(struct dp_flow_dump_req)),
	M(DP_MSG_FLOWS, BODY_BATCH, sizeof(struct dp_flow_entry)),
	M(DP_MSG_CACHE_STATS, BODY_EMPTY, 0),
	M(DP_MSG_STATS, BODY_FIXED, sizeof(struct dp_stats_reply)),
	M(DP_MSG_CACHE_FLUSH, BODY_EMPTY, 0),
	M(DP_MSG_TRACE, BODY_PACKET, 0),
	M(DP_MSG_TRACE_RESULT, BODY_TRACE, 0),
	M(DP_MSG_PACKET_IN_SUB, BODY_EMPTY, 0),
	M(DP_MSG_PACKET_IN, BODY_PACKET, 0),
	M(DP_MSG_PACKET_OUT, BODY_PACKET, 0),
	M(DP_MSG_CT_STATS, BODY_EMPTY, 0),
	M(DP_MSG_CT_STATS_REPLY, BODY_FIXED, sizeof(struct dp_ct_stats)),
	M(DP_MSG_CT_FLUSH, BODY_FIXED, sizeof(struct dp_ct_zone_req)),
	M(DP_MSG_CT_FLUSHED, BODY_FIXED, sizeof(struct dp_ct_flushed)),
	M(DP_MSG_CT_DUMP, BODY_FIXED, sizeof(struct dp_ct_zone_req)),
	M(DP_MSG_CT_ENTRIES, BODY_BATCH, sizeof(struct dp_ct_entry)),
	M(DP_MSG_LB_POOL_SET, BODY_LB, sizeof(struct dp_lb_pool)),
	M(DP_MSG_LB_POOL_DEL, BODY_FIXED, sizeof(struct dp_lb_pool_ref)),
	M(DP_MSG_LB_STATS, BODY_FIXED, sizeof(struct dp_lb_pool_ref)),
	M(DP_MSG_LB_STATS_REPLY, BODY_LB, sizeof(struct dp_lb_pool_stats)),
	M(DP_MSG_SA_ADD, BODY_FIXED, sizeof(struct dp_sa)),
	M(DP_MSG_SA_DEL, BODY_FIXED, sizeof(struct dp_sa_ref)),
	M(DP_MSG_SA_DUMP, BODY_FIXED, sizeof(struct dp_sa_ref)),
	M(DP_MSG_SA_INFO, BODY_FIXED, sizeof(struct dp_sa_info)),
	M(DP_MSG_SA_EVENT_SUB, BODY_EMPTY, 0),
	M(DP_MSG_SA_EVENT, BODY_FIXED, sizeof(struct dp_sa_event)),
};

#undef M

static const struct msg_desc *
msg_desc(uint16_t type)
{
	if (type >= sizeof(msg_descs) / sizeof(msg_descs[0]) ||
	    msg_descs[type].name == NULL)
		return NULL;
	return &msg_descs[type];
}

const char *
dp_proto_type_name(uint16_t type)
{
	const struct msg_desc *d = msg_desc(type);

	return d != NULL ? d->name : "?";
}

static const char *const port_type_names[] = {
	[DP_PORT_AF_XDP] = "af_xdp",
	[DP_PORT_AF_PACKET] = "af_packet",
	[DP_PORT_VHOST_USER] = "vhost-user",
	[DP_PORT_VHOST_USER_CLIENT] = "vhost-user-client",
	[DP_PORT_TAP] = "tap",
	[DP_PORT_DEVARGS] = "devargs",
	[DP_PORT_VNET] = "vnet",
};

const char *
dp_proto_port_type_name(uint32_t type)
{
	if (type >= sizeof(port_type_names) / sizeof(port_type_names[0]))
		return NULL;
	return port_type_names[type];
}

int
dp_proto_port_type_lookup(const char *name)
{
	for (unsigned i = 0;
	     i < sizeof(port_type_names) / sizeof(port_type_names[0]); i++)
		if (port_type_names[i] != NULL &&
		    strcmp(port_type_names[i], name) == 0)
			return (int)i;
	return -ENOENT;
}

/* In the order of enum dp_drop_reason (pipeline.h): append only. */
static const char *const drop_names[] = {
	"no_match",	"action",   "trunc_eth",   "trunc_vlan", "trunc_arp",
	"bad_ipv4",	"bad_ipv6", "trunc_l4",	   "bad_tcp",	 "ttl",
	"no_room",	"no_port",  "clone_fail",  "punt_full",	 "tx_full",
	"loop",		"bad_vlan", "bad_vxlan",   "bad_arp",	 "esp_no_sa",
	"esp_replay",	"esp_auth", "esp_bad",	   "esp_seq",	 "esp_no_room",
	"lb_no_member", "lb_limit", "esp_too_big", "tx_too_big", "lb_family",
};

static const char *const ct_inv_names[DP_CT_INV__COUNT] = {
	[DP_CT_INV_NOT_IP] = "not_ip",
	[DP_CT_INV_FRAG] = "frag",
	[DP_CT_INV_TCP_FLAGS] = "tcp_flags",
	[DP_CT_INV_TCP_NOT_SYN] = "tcp_not_syn",
	[DP_CT_INV_TCP_STATE] = "tcp_state",
	[DP_CT_INV_ICMP_NO_CONN] = "icmp_no_conn",
	[DP_CT_INV_ICMP_BAD] = "icmp_bad",
	[DP_CT_INV_FULL] = "full",
	[DP_CT_INV_NAT_FAIL] = "nat_fail",
};

const char *
dp_proto_ct_inv_name(unsigned r)
{
	return r < DP_CT_INV__COUNT ? ct_inv_names[r] : "?";
}

static const char *const ct_tcp_names[DP_CT_TCP__COUNT] = {
	[DP_CT_TCP_NONE] = "-",
	[DP_CT_TCP_SYN_SENT] = "SYN_SENT",
	[DP_CT_TCP_SYN_RECV] = "SYN_RECV",
	[DP_CT_TCP_ESTABLISHED] = "ESTABLISHED",
	[DP_CT_TCP_FIN_WAIT] = "FIN_WAIT",
	[DP_CT_TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[DP_CT_TCP_TIME_WAIT] = "TIME_WAIT",
	[DP_CT_TCP_CLOSED] = "CLOSED",
};

const char *
dp_proto_ct_tcp_state_name(unsigned s)
{
	return s < DP_CT_TCP__COUNT ? ct_tcp_names[s] : "?";
}

const char *
dp_proto_drop_name(unsigned i)
{
	if (i >= sizeof(drop_names) / sizeof(drop_names[0]))
		return NULL;
	return drop_names[i];
}

/* Buffers. */

void
dp_buf_fini(struct dp_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int
dp_buf_reserve(struct dp_buf *b, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (b->off > 0 && b->off == b->len) {
		b->off = 0;
		b->len = 0;
	}
	if (b->len + n <= b->cap)
		return 0;
	/* Reclaim the consumed front before growing. */
	if (b->off > 0) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		if (b->len + n <= b->cap)
			return 0;
	}
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	p = realloc(b->data, cap);
	if (p == NULL)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int
dp_buf_append(struct dp_buf *b, const void *p, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	rc = dp_buf_reserve(b, n);
	if (rc < 0)
		return rc;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

void
dp_buf_consume(struct dp_buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len) {
		b->off = 0;
		b->len = 0;
	}
}

/* Encoding. */

int
dp_proto_begin(struct dp_buf *b, uint16_t type, uint32_t xid, uint32_t flags,
	       size_t *start)
{
	struct dp_msg_hdr h = {
		.magic = DP_PROTO_MAGIC,
		.version = DP_PROTO_VERSION,
		.type = type,
		.len = sizeof(h),
		.xid = xid,
		.flags = flags,
	};
	int rc;

	rc = dp_buf_append(b, &h, sizeof(h));
	if (rc < 0)
		return rc;
	*start = b->len - sizeof(h);
	return 0;
}

int
dp_proto_append(struct dp_buf *b, size_t start, const void *p, size_t n)
{
	if (b->len - start + n > DP_MSG_LEN_MAX)
		return -EMSGSIZE;
	return dp_buf_append(b, p, n);
}

void
dp_proto_end(struct dp_buf *b, size_t start)
{
	uint32_t len = (uint32_t)(b->len - start);

	memcpy(b->data + start + offsetof(struct dp_msg_hdr, len), &len,
	       sizeof(len));
}

void
dp_proto_set_flags(struct dp_buf *b, size_t start, uint32_t flags)
{
	memcpy(b->data + start + offsetof(struct dp_msg_hdr, flags), &flags,
	       sizeof(flags));
}

int
dp_proto_encode(struct dp_buf *b, uint16_t type, uint32_t xid, uint32_t flags,
		const void *body, size_t body_len)
{
	size_t start;
	int rc;

	if (body_len > DP_MSG_LEN_MAX - sizeof(struct dp_msg_hdr))
		return -EMSGSIZE;
	rc = dp_buf_reserve(b, sizeof(struct dp_msg_hdr) + body_len);
	if (rc < 0)
		return rc;
	rc = dp_proto_begin(b, type, xid, flags, &start);
	if (rc < 0)
		return rc;
	rc = dp_proto_append(b, start, body, body_len);
	if (rc < 0) {
		b->len = start;
		return rc;
	}
	dp_proto_end(b, start);
	return 0;
}

/* Receiving. */

int
dp_proto_frame(const void *buf, size_t len, struct dp_msg_hdr *hdr, char *err,
	       size_t err_len)
{
	struct dp_msg_hdr h;

	if (len < sizeof(h))
		return 0;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != DP_PROTO_MAGIC) {
		snprintf(err, err_len,
			 "bad magic 0x%08x (expected 0x%08x): framing lost",
			 h.magic, DP_PROTO_MAGIC);
		return -EPROTO;
	}
	if (h.len < sizeof(h)) {
		snprintf(err, err_len,
			 "message length %u below the %zu-byte header: "
			 "framing lost",
			 h.len, sizeof(h));
		return -EPROTO;
	}
	if (h.len > DP_MSG_LEN_MAX) {
		snprintf(err, err_len,
			 "message length %u over the maximum %u: "
			 "framing lost",
			 h.len, (unsigned)DP_MSG_LEN_MAX);
		return -EPROTO;
	}
	*hdr = h;
	if (len < h.len)
		return 0;
	return (int)h.len;
}

/* Check that a char array field holds a NUL. */
static int
check_str(const void *body, size_t off, size_t size, const char *what,
	  const char *type, char *err, size_t err_len)
{
	if (memchr((const uint8_t *)body + off, '\0', size) == NULL) {
		snprintf(err, err_len,
			 "%s: %s is not NUL-terminated within %zu bytes", type,
			 what, size);
		return -EINVAL;
	}
	return 0;
}

#define CHECK_STR(st, member)                                                  \
	check_str(body, offsetof(struct st, member),                           \
		  sizeof(((struct st *)0)->member), #member, d->name, err,     \
		  err_len)

static int
validate_strings(uint16_t type, const struct msg_desc *d, const void *body,
		 char *err, size_t err_len)
{
	int rc = 0;

	switch (type) {
	case DP_MSG_HELLO:
		rc = CHECK_STR(dp_hello, name);
		break;
	case DP_MSG_ERROR:
		rc = CHECK_STR(dp_error, message);
		break;
	case DP_MSG_PORT_ADD:
		rc = CHECK_STR(dp_port_spec, name);
		if (rc == 0)
			rc = CHECK_STR(dp_port_spec, args);
		break;
	case DP_MSG_PORT_DEL:
		rc = CHECK_STR(dp_port_ref, name);
		break;
	case DP_MSG_PORT_INFO:
		rc = CHECK_STR(dp_port_info, name);
		if (rc == 0)
			rc = CHECK_STR(dp_port_info, args);
		break;
	default:
		break;
	}
	return rc;
}

#undef CHECK_STR

static int
validate_batch(const struct msg_desc *d, const void *body, size_t body_len,
	       char *err, size_t err_len)
{
	struct dp_flow_batch fb;
	uint64_t want;
	uint32_t max = d->size == sizeof(struct dp_rule)
			       ? DP_PROTO_RULES_PER_MSG_MAX
			       : DP_PROTO_ENTRIES_PER_MSG_MAX;

	if (body_len < sizeof(fb)) {
		snprintf(err, err_len,
			 "%s: body of %zu bytes shorter than its %zu-byte "
			 "batch header",
			 d->name, body_len, sizeof(fb));
		return -EINVAL;
	}
	memcpy(&fb, body, sizeof(fb));
	if (fb.n > max) {
		snprintf(err, err_len, "%s: count %u over the maximum %u",
			 d->name, fb.n, max);
		return -EINVAL;
	}
	want = sizeof(fb) + (uint64_t)fb.n * d->size;
	if (body_len != want) {
		snprintf(err, err_len,
			 "%s: body of %zu bytes, count %u implies %llu",
			 d->name, body_len, fb.n, (unsigned long long)want);
		return -EINVAL;
	}
	return 0;
}

/*
 * LB_POOL_SET and LB_STATS_REPLY: a head with n_members, then items. An
 * IPv4 pool's head may be one from before fields were appended (`limit`
 * or `packets_rpl` of stats, the timeouts or src_addr6 of a pool); an
 * IPv6 pool's (flags at offset 9) is whole and its items are the member6
 * forms.
 */
static int
validate_lb(const struct msg_desc *d, const void *body, size_t body_len,
	    char *err, size_t err_len)
{
	bool is_stats = d->size == sizeof(struct dp_lb_pool_stats);
	uint32_t head_min =
		is_stats ? DP_LB_POOL_STATS_V1_LEN : DP_LB_POOL_V1_LEN;
	uint32_t mid = is_stats ? DP_LB_POOL_STATS_V2_LEN : DP_LB_POOL_V2_LEN;
	uint64_t want, items;
	bool is_v6;
	size_t item;
	uint32_t n;

	if (body_len < head_min) {
		snprintf(err, err_len,
			 "%s: body of %zu bytes shorter than its %u-byte head",
			 d->name, body_len, head_min);
		return -EINVAL;
	}
	memcpy(&n, (const uint8_t *)body + 4, sizeof(n));
	if (n > DP_LB_MEMBERS_MAX) {
		snprintf(err, err_len, "%s: %u members over the maximum %u",
			 d->name, n, (unsigned)DP_LB_MEMBERS_MAX);
		return -EINVAL;
	}
	is_v6 = ((const uint8_t *)body)[9] & DP_LB_POOL_F_IPV6;
	if (is_stats)
		item = is_v6 ? sizeof(struct dp_lb_member6_stats)
			     : sizeof(struct dp_lb_member_stats);
	else
		item = is_v6 ? sizeof(struct dp_lb_member6)
			     : sizeof(struct dp_lb_member);
	items = (uint64_t)n * item;
	want = d->size + items;
	if (body_len != want && (is_v6 || (body_len != head_min + items &&
					   body_len != mid + items))) {
		snprintf(err, err_len,
			 "%s: body of %zu bytes, %u %s members imply %llu",
			 d->name, body_len, n, is_v6 ? "IPv6" : "IPv4",
			 (unsigned long long)want);
		return -EINVAL;
	}
	return 0;
}

static int
validate_packet(const struct msg_desc *d, const void *body, size_t body_len,
		char *err, size_t err_len)
{
	struct dp_packet_msg pm;

	if (body_len < sizeof(pm)) {
		snprintf(err, err_len,
			 "%s: body of %zu bytes shorter than its %zu-byte "
			 "packet header",
			 d->name, body_len, sizeof(pm));
		return -EINVAL;
	}
	memcpy(&pm, body, sizeof(pm));
	if (pm.len > DP_FRAME_MAX) {
		snprintf(err, err_len,
			 "%s: frame length %u over the maximum %u", d->name,
			 pm.len, (unsigned)DP_FRAME_MAX);
		return -EINVAL;
	}
	if (body_len != sizeof(pm) + pm.len) {
		snprintf(err, err_len,
			 "%s: body of %zu bytes, frame length %u implies %zu",
			 d->name, body_len, pm.len, sizeof(pm) + pm.len);
		return -EINVAL;
	}
	return 0;
}

static int
validate_trace(const struct msg_desc *d, const void *body, size_t body_len,
	       char *err, size_t err_len)
{
	struct dp_trace_reply *tr;
	uint32_t n_steps, n_out, out_len;
	int rc = -EINVAL;

	if (body_len < sizeof(*tr)) {
		snprintf(err, err_len,
			 "%s: body of %zu bytes shorter than its %zu-byte "
			 "result",
			 d->name, body_len, sizeof(*tr));
		return -EINVAL;
	}
	memcpy(&n_steps,
	       (const uint8_t *)body + offsetof(struct dp_trace_reply, n_steps),
	       4);
	memcpy(&n_out,
	       (const uint8_t *)body + offsetof(struct dp_trace_reply, n_out),
	       4);
	memcpy(&out_len,
	       (const uint8_t *)body + offsetof(struct dp_trace_reply, out_len),
	       4);
	if (n_steps > DP_TRACE_MSG_STEPS_MAX)
		snprintf(err, err_len, "%s: %u steps over the maximum %u",
			 d->name, n_steps, (unsigned)DP_TRACE_MSG_STEPS_MAX);
	else if (n_out > sizeof(tr->out_port) / sizeof(tr->out_port[0]))
		snprintf(err, err_len, "%s: %u outputs over the maximum %zu",
			 d->name, n_out,
			 sizeof(tr->out_port) / sizeof(tr->out_port[0]));
	else if (out_len > DP_FRAME_MAX)
		snprintf(err, err_len,
			 "%s: frame length %u over the maximum %u", d->name,
			 out_len, (unsigned)DP_FRAME_MAX);
	else if (body_len != sizeof(*tr) + out_len)
		snprintf(err, err_len,
			 "%s: body of %zu bytes, frame length %u implies %zu",
			 d->name, body_len, out_len, sizeof(*tr) + out_len);
	else
		rc = 0;
	return rc;
}

int
dp_proto_validate(const struct dp_msg_hdr *hdr, const void *body, char *err,
		  size_t err_len)
{
	const struct msg_desc *d;
	size_t body_len;
	uint32_t n;

	if (hdr->len < sizeof(*hdr)) {
		snprintf(err, err_len, "message length %u below the header",
			 hdr->len);
		return -EINVAL;
	}
	body_len = hdr->len - sizeof(*hdr);
	if (hdr->version != DP_PROTO_VERSION) {
		snprintf(err, err_len,
			 "protocol version %u not supported (this end speaks "
			 "%u)",
			 hdr->version, DP_PROTO_VERSION);
		return -EINVAL;
	}
	d = msg_desc(hdr->type);
	if (d == NULL) {
		snprintf(err, err_len, "unknown message type %u", hdr->type);
		return -EINVAL;
	}
	switch (d->kind) {
	case BODY_EMPTY:
	case BODY_FIXED:
		/* An SA_INFO from before the MSS counters is accepted. */
		if (body_len != d->size && !(hdr->type == DP_MSG_SA_INFO &&
					     body_len == DP_SA_INFO_V1_LEN)) {
			snprintf(err, err_len,
				 "%s: body of %zu bytes, expected %u", d->name,
				 body_len, d->size);
			return -EINVAL;
		}
		break;
	case BODY_BATCH:
		return validate_batch(d, body, body_len, err, err_len);
	case BODY_PACKET:
		return validate_packet(d, body, body_len, err, err_len);
	case BODY_TRACE:
		return validate_trace(d, body, body_len, err, err_len);
	case BODY_LB:
		return validate_lb(d, body, body_len, err, err_len);
	}
	if (hdr->type == DP_MSG_STATS) {
		memcpy(&n,
		       (const uint8_t *)body +
			       offsetof(struct dp_stats_reply, n_drop_reasons),
		       sizeof(n));
		if (n > DP_STATS_DROPS_MAX) {
			snprintf(err, err_len,
				 "%s: %u drop reasons over the maximum %u",
				 d->name, n, (unsigned)DP_STATS_DROPS_MAX);
			return -EINVAL;
		}
	}
	return validate_strings(hdr->type, d, body, err, err_len);
}
