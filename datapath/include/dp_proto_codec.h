/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_proto_codec.h: framing and validation of the messages of dp_proto.h,
 * used by both ends of the programming socket (the server in datapath/ctl
 * and the client library dp_client.h).
 *
 * Sending: messages are appended to a growable struct dp_buf, either in
 * one call (dp_proto_encode) or as begin / append / end when the body is
 * built in parts (a batch header followed by its items).
 *
 * Receiving: dp_proto_frame() looks at the start of a receive buffer and
 * says whether a whole message is there, or that framing is lost (bad
 * magic, a length below the header or above DP_MSG_LEN_MAX: the only
 * faults after which the byte stream cannot be trusted). A framed message
 * is then checked by dp_proto_validate() before its body is read: version,
 * known type, exact body length (or the length implied by a count), count
 * bounds and NUL-terminated strings. Bodies are read by memcpy into
 * aligned structs (a receive buffer gives no alignment guarantee).
 *
 * No allocation except dp_buf growth; no I/O. Not for the hot path.
 */
#ifndef SLUICE_DP_PROTO_CODEC_H
#define SLUICE_DP_PROTO_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "dp_proto.h"

/* A growable byte buffer. Zero-initialise; dp_buf_fini releases it. */
struct dp_buf {
	uint8_t *data;
	size_t len; /* bytes used */
	size_t cap; /* bytes allocated */
	size_t off; /* bytes already consumed from the front */
};

void dp_buf_fini(struct dp_buf *b);
/* Make room for n more bytes. 0 or -ENOMEM. */
int dp_buf_reserve(struct dp_buf *b, size_t n);
/* Append n bytes. 0 or -ENOMEM. */
int dp_buf_append(struct dp_buf *b, const void *p, size_t n);
/* Drop n consumed bytes from the front (moves the rest down lazily). */
void dp_buf_consume(struct dp_buf *b, size_t n);
/* Unconsumed bytes. */
static inline size_t
dp_buf_avail(const struct dp_buf *b)
{
	return b->len - b->off;
}
static inline const uint8_t *
dp_buf_head(const struct dp_buf *b)
{
	return b->data != NULL ? b->data + b->off : NULL;
}

/*
 * Append one whole message: header (magic, version, type, xid, flags and
 * len filled in) then body_len bytes of body. -EMSGSIZE over
 * DP_MSG_LEN_MAX, -ENOMEM.
 */
int dp_proto_encode(struct dp_buf *b, uint16_t type, uint32_t xid,
		    uint32_t flags, const void *body, size_t body_len);

/*
 * Build a message in parts: begin appends a header and writes its offset
 * to *start; append adds body bytes; end patches the length. A message
 * that would pass DP_MSG_LEN_MAX is refused with -EMSGSIZE by append (the
 * caller then ends the message and begins another one).
 */
int dp_proto_begin(struct dp_buf *b, uint16_t type, uint32_t xid,
		   uint32_t flags, size_t *start);
int dp_proto_append(struct dp_buf *b, size_t start, const void *p, size_t n);
void dp_proto_end(struct dp_buf *b, size_t start);
/* Set flags on a message begun at start (e.g. DP_F_LAST). */
void dp_proto_set_flags(struct dp_buf *b, size_t start, uint32_t flags);

/* Largest n of rules (FLOW_ADD) or entries (FLOWS) in one message. */
enum {
	DP_PROTO_RULES_PER_MSG_MAX =
		(DP_MSG_LEN_MAX - sizeof(struct dp_msg_hdr) -
		 sizeof(struct dp_flow_batch)) /
		sizeof(struct dp_rule),
	DP_PROTO_ENTRIES_PER_MSG_MAX =
		(DP_MSG_LEN_MAX - sizeof(struct dp_msg_hdr) -
		 sizeof(struct dp_flow_batch)) /
		sizeof(struct dp_flow_entry),
};

/*
 * Look at the first len bytes of a receive buffer. Returns the length of
 * the whole message when it is all there (and copies its header to *hdr),
 * 0 when more bytes are needed, or -EPROTO when framing is lost: bad
 * magic, len smaller than the header or larger than DP_MSG_LEN_MAX; err
 * names the fault. The header is checked as soon as it is complete, so an
 * oversized length is refused before its body is waited for.
 */
int dp_proto_frame(const void *buf, size_t len, struct dp_msg_hdr *hdr,
		   char *err, size_t err_len);

/*
 * Validate a framed message (hdr from dp_proto_frame, body the
 * hdr->len - sizeof(hdr) bytes after it): version, known type, body
 * length exact or implied by a count, counts and frame lengths within
 * bounds, strings NUL-terminated within their fields. Returns 0 or
 * -EINVAL with err naming what was wrong. Rules are not checked here
 * (dp_rule_validate does that with the rule's index).
 */
int dp_proto_validate(const struct dp_msg_hdr *hdr, const void *body, char *err,
		      size_t err_len);

/* "FLOW_ADD" for DP_MSG_FLOW_ADD; "?" for an unknown type. */
const char *dp_proto_type_name(uint16_t type);

/* Name of a port type ("af_xdp", "vhost-user"...), NULL if unknown. */
const char *dp_proto_port_type_name(uint32_t type);
/* Port type by name, or -ENOENT. */
int dp_proto_port_type_lookup(const char *name);

/*
 * Name of drop counter i of struct dp_stats_reply ("no_match"), or NULL
 * past the names this build knows. The numbering is the pipeline's enum
 * dp_drop_reason (datapath/src/pipeline.h), which clients do not include;
 * datapath/ctl's unit test checks that the two lists agree.
 */
const char *dp_proto_drop_name(unsigned i);

#endif /* SLUICE_DP_PROTO_CODEC_H */
