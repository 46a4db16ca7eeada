/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ike_msg.h: the IKEv2 message codec (RFC 7296 section 3). Decoding turns
 * untrusted bytes into a struct ike_msg whose variable-length fields point
 * into the caller's buffer; every length is checked before it is read and a
 * malformed message is refused with an enum ike_msg_err reason that the
 * caller counts and logs. Encoding writes a struct ike_msg back to bytes.
 * The encrypted payload (SK) is located but not opened here: ike_sa.c
 * decrypts it with ike_crypto.h and decodes the inner chain with
 * ike_msg_decode_payloads().
 *
 * No allocation, no global state: safe from any thread on distinct
 * messages.
 */
#ifndef IKE_MSG_H
#define IKE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_HDR_LEN 28
#define IKE_GEN_HDR_LEN 4
#define IKE_MSG_MAX 8192 /* largest message accepted or built */

/* Exchange types (RFC 7296 section 3.1). */
enum ike_exchange {
	IKE_EXCH_SA_INIT = 34,
	IKE_EXCH_AUTH = 35,
	IKE_EXCH_CREATE_CHILD_SA = 36,
	IKE_EXCH_INFORMATIONAL = 37,
};

/* Header flags. */
#define IKE_FLAG_INITIATOR 0x08
#define IKE_FLAG_VERSION 0x10
#define IKE_FLAG_RESPONSE 0x20

/* Payload types (RFC 7296 section 3.2). */
enum ike_payload_type {
	IKE_PL_NONE = 0,
	IKE_PL_SA = 33,
	IKE_PL_KE = 34,
	IKE_PL_IDI = 35,
	IKE_PL_IDR = 36,
	IKE_PL_CERT = 37,
	IKE_PL_CERTREQ = 38,
	IKE_PL_AUTH = 39,
	IKE_PL_NONCE = 40,
	IKE_PL_NOTIFY = 41,
	IKE_PL_DELETE = 42,
	IKE_PL_VENDOR = 43,
	IKE_PL_TSI = 44,
	IKE_PL_TSR = 45,
	IKE_PL_SK = 46,
	IKE_PL_CP = 47,
	IKE_PL_EAP = 48,
	IKE_PL_SKF = 53,
};

/* Security protocol identifiers. */
enum ike_proto {
	IKE_PROTO_IKE = 1,
	IKE_PROTO_AH = 2,
	IKE_PROTO_ESP = 3,
};

/* Transform types and IDs (IANA "IKEv2 Parameters"). */
enum ike_xform_type {
	IKE_XF_ENCR = 1,
	IKE_XF_PRF = 2,
	IKE_XF_INTEG = 3,
	IKE_XF_DH = 4,
	IKE_XF_ESN = 5,
};

enum ike_encr_id {
	IKE_ENCR_AES_CBC = 12,
	IKE_ENCR_AES_GCM_16 = 20,
	IKE_ENCR_CHACHA20_POLY1305 = 28,
};

enum ike_prf_id {
	IKE_PRF_HMAC_SHA2_256 = 5,
	IKE_PRF_HMAC_SHA2_384 = 6,
	IKE_PRF_HMAC_SHA2_512 = 7,
};

enum ike_integ_id {
	IKE_INTEG_NONE = 0,
	IKE_INTEG_HMAC_SHA2_256_128 = 12,
	IKE_INTEG_HMAC_SHA2_384_192 = 13,
	IKE_INTEG_HMAC_SHA2_512_256 = 14,
};

enum ike_dh_id {
	IKE_DH_NONE = 0,
	IKE_DH_MODP2048 = 14,
	IKE_DH_ECP256 = 19,
	IKE_DH_ECP384 = 20,
	IKE_DH_CURVE25519 = 31,
};

#define IKE_ATTR_KEY_LENGTH 14 /* transform attribute, TV format */

/* ID types (section 3.5) and the one AUTH method used here. */
enum ike_id_type {
	IKE_ID_IPV4_ADDR = 1,
	IKE_ID_FQDN = 2,
	IKE_ID_RFC822_ADDR = 3,
	IKE_ID_IPV6_ADDR = 5,
	IKE_ID_KEY_ID = 11,
};
#define IKE_AUTH_PSK 2

/* Traffic selector types (section 3.13.1). */
#define IKE_TS_IPV4 7
#define IKE_TS_IPV6 8

/* Notify message types (section 3.10.1). */
enum ike_notify_type {
	IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	IKE_N_INVALID_IKE_SPI = 4,
	IKE_N_INVALID_MAJOR_VERSION = 5,
	IKE_N_INVALID_SYNTAX = 7,
	IKE_N_INVALID_MESSAGE_ID = 9,
	IKE_N_INVALID_SPI = 11,
	IKE_N_NO_PROPOSAL_CHOSEN = 14,
	IKE_N_INVALID_KE_PAYLOAD = 17,
	IKE_N_AUTHENTICATION_FAILED = 24,
	IKE_N_SINGLE_PAIR_REQUIRED = 34,
	IKE_N_NO_ADDITIONAL_SAS = 35,
	IKE_N_INTERNAL_ADDRESS_FAILURE = 36,
	IKE_N_FAILED_CP_REQUIRED = 37,
	IKE_N_TS_UNACCEPTABLE = 38,
	IKE_N_INVALID_SELECTORS = 39,
	IKE_N_TEMPORARY_FAILURE = 43,
	IKE_N_CHILD_SA_NOT_FOUND = 44,
	IKE_N_INITIAL_CONTACT = 16384,
	IKE_N_SET_WINDOW_SIZE = 16385,
	IKE_N_ADDITIONAL_TS_POSSIBLE = 16386,
	IKE_N_NAT_DETECTION_SOURCE_IP = 16388,
	IKE_N_NAT_DETECTION_DESTINATION_IP = 16389,
	IKE_N_COOKIE = 16390,
	IKE_N_USE_TRANSPORT_MODE = 16391,
	IKE_N_REKEY_SA = 16393,
	IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	IKE_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
};

/* Why a message was refused; counted per reason by the SA layer. */
enum ike_msg_err {
	IKE_ERR_OK = 0,
	IKE_ERR_TRUNCATED,	      /* shorter than a header says */
	IKE_ERR_BAD_LENGTH,	      /* header length != datagram length */
	IKE_ERR_BAD_VERSION,	      /* major version is not 2 */
	IKE_ERR_BAD_PAYLOAD_LENGTH,   /* payload length too short/long */
	IKE_ERR_UNSUPPORTED_CRITICAL, /* unknown payload with C bit */
	IKE_ERR_TOO_MANY,	      /* more items than the fixed limits */
	IKE_ERR_BAD_PROPOSAL,	      /* SA payload structure wrong */
	IKE_ERR_BAD_TS,		      /* traffic selector malformed */
	IKE_ERR_BAD_NOTIFY,	      /* notify/delete structure wrong */
	IKE_ERR_DUPLICATE_PAYLOAD,    /* a once-only payload twice */
	IKE_ERR_SK_NOT_LAST,	      /* SK payload not the last one */
	IKE_ERR_BAD_SPI,	      /* SPI rules of the header violated */
	IKE_ERR_UNKNOWN_EXCHANGE,     /* exchange type not known */
	IKE_ERR_DECRYPT,	      /* ICV or decryption failed */
	IKE_ERR_MISSING_PAYLOAD,      /* a needed payload is absent */
	IKE_ERR_NO_SA,		      /* no IKE SA for these SPIs */
	IKE_ERR_BAD_MSG_ID,	      /* message ID outside the window */
	IKE_ERR_NOT_IKE,	      /* non-IKE datagram on the NAT-T port */
	IKE_ERR__COUNT
};

/* Returns a constant name for a reason, e.g. "truncated". */
const char *ike_msg_err_name(enum ike_msg_err err);

/* Fixed limits: larger messages are refused with IKE_ERR_TOO_MANY. */
#define IKE_MAX_PROPOSALS 8
#define IKE_MAX_XFORMS 16
#define IKE_MAX_TS 8
#define IKE_MAX_NOTIFY 16
#define IKE_MAX_DELETE_SPI 16
#define IKE_MAX_SPI 8

struct ike_xform {
	uint8_t type; /* enum ike_xform_type */
	uint16_t id;
	uint16_t key_bits; /* key length attribute, 0 when absent */
};

struct ike_proposal {
	uint8_t num;	 /* proposal number, from 1 */
	uint8_t proto;	 /* enum ike_proto */
	uint8_t spi_len; /* 0, 4 (ESP) or 8 (IKE rekey) */
	uint8_t spi[IKE_MAX_SPI];
	uint8_t n_xforms;
	struct ike_xform xf[IKE_MAX_XFORMS];
};

struct ike_sa_pl {
	uint8_t n_props;
	struct ike_proposal props[IKE_MAX_PROPOSALS];
};

/* A traffic selector range; addresses in network order, 4 or 16 bytes. */
struct ike_ts {
	uint8_t type;	  /* IKE_TS_IPV4 or IKE_TS_IPV6 */
	uint8_t ip_proto; /* 0 = any */
	uint16_t port_lo, port_hi;
	uint8_t start[16], end[16];
};

struct ike_ts_pl {
	uint8_t n_ts;
	struct ike_ts ts[IKE_MAX_TS];
};

struct ike_notify {
	uint8_t proto;
	uint8_t spi_len;
	uint8_t spi[IKE_MAX_SPI];
	uint16_t type;	     /* enum ike_notify_type */
	const uint8_t *data; /* borrowed: points into the message */
	uint16_t data_len;
};

struct ike_delete {
	uint8_t proto;
	uint8_t spi_len; /* 0 for IKE, 4 for ESP */
	uint16_t n_spi;
	uint32_t spi[IKE_MAX_DELETE_SPI]; /* host order */
};

struct ike_blob {
	const uint8_t *data; /* borrowed: points into the message */
	uint16_t len;
};

struct ike_id {
	uint8_t type; /* enum ike_id_type */
	uint8_t len;
	uint8_t data[255];
};

/* Bits of ike_msg.present. */
#define IKE_HAS(pl) (1ull << ((pl)-32))

/*
 * One message. Decoding fills the fields of the payloads present (bit set
 * in 'present'); blobs point into the decoded buffer. Encoding emits the
 * payloads present in the order: notifies, SA, KE, Nonce, IDi, IDr, AUTH,
 * TSi, TSr, Delete, Vendor ID (COOKIE and REKEY_SA first, as RFC 7296
 * sections 2.6 and 1.3 want).
 */
struct ike_msg {
	uint64_t spi_i, spi_r; /* host order */
	uint8_t next_payload;
	uint8_t version;
	uint8_t exchange;
	uint8_t flags;
	uint32_t msg_id;
	uint32_t length;

	uint64_t present; /* IKE_HAS() bits */
	struct ike_sa_pl sa;
	uint16_t ke_group;
	struct ike_blob ke;
	struct ike_blob nonce;
	struct ike_id idi, idr;
	uint8_t auth_method;
	struct ike_blob auth;
	struct ike_ts_pl tsi, tsr;
	uint8_t n_notify;
	struct ike_notify notify[IKE_MAX_NOTIFY];
	uint8_t n_delete;
	struct ike_delete del[4];
	uint8_t n_vendor;
	struct ike_blob vendor[4];
	/* SK: offset of its generic header from the message start, length
	 * of the whole payload, and the type of its first inner payload. */
	uint32_t sk_off, sk_len;
	uint8_t sk_next;
};

/*
 * Decodes and checks the 28-byte header and the outer payload chain of the
 * datagram buf[0..len). Blobs in *m point into buf. Returns IKE_ERR_OK or
 * the reason the message is refused.
 */
enum ike_msg_err ike_msg_decode(const uint8_t *buf, size_t len,
				struct ike_msg *m);

/*
 * Decodes a payload chain starting with type 'first' (the inner chain of
 * an SK payload) and adds its payloads to *m. 'present' bits set by an
 * earlier call are kept.
 */
enum ike_msg_err ike_msg_decode_payloads(uint8_t first, const uint8_t *buf,
					 size_t len, struct ike_msg *m);

/*
 * Encodes the payloads of *m into out[0..cap): sets *len and *first (type
 * of the first payload). Returns 0 or -ENOSPC.
 */
int ike_msg_encode_payloads(const struct ike_msg *m, uint8_t *out, size_t cap,
			    size_t *len, uint8_t *first);

/*
 * Writes the 28-byte header of *m (m->length, m->next_payload as given)
 * to out.
 */
void ike_msg_encode_header(const struct ike_msg *m, uint8_t *out);

/*
 * Encodes a whole unencrypted message (header + payloads) into out; sets
 * m->length and *len. Returns 0 or -ENOSPC.
 */
int ike_msg_encode(struct ike_msg *m, uint8_t *out, size_t cap, size_t *len);

/* Adds a notify to *m; returns 0 or -ENOSPC when the array is full. */
int ike_msg_add_notify(struct ike_msg *m, uint8_t proto, uint16_t type,
		       const uint8_t *data, uint16_t data_len);

/* Returns the first notify of the given type in *m, or NULL. */
const struct ike_notify *ike_msg_find_notify(const struct ike_msg *m,
					     uint16_t type);

#endif /* IKE_MSG_H */
