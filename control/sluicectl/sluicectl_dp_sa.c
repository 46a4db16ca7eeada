/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sluicectl_dp_sa.c: the ESP security association commands of the "dp"
 * group (listed in sluicectl_dp.c's table): sa-add, sa-del, sa-list over
 * the datapath's programming socket (dp_client.h, docs/esp.md).
 *
 * sa-add takes KEY=VALUE words:
 *   id=N spi=N dir=in|out cipher=aes-gcm-128|aes-gcm-256|aes-cbc-128|
 *   aes-cbc-256|chacha20-poly1305 key=HEX [integ=sha256|sha384|sha512
 *   ikey=HEX] [src=IP dst=IP] [esn] [natt[=SPORT:DPORT]] [ttl=N]
 *   [mtu=N] [seq=N] [soft-packets=N] [soft-bytes=N]
 * src and dst are both IPv4 or both IPv6 (an IPv6 outer header,
 * DP_SA_F_IPV6). AEAD keys include their 4-byte salt (RFC 4106 / 7634). The
 * keys are zeroed in this process once sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dp_client.h"
#include "sluicectl.h"
#include "sluicectl_dp_sa.h"

struct cipher_name {
	const char *name;
	uint8_t cipher;
	uint8_t key_len; /* with salt */
};

static const struct cipher_name ciphers[] = {
	{"aes-gcm-128", DP_SA_AES_GCM_16, 20},
	{"aes-gcm-256", DP_SA_AES_GCM_16, 36},
	{"aes-cbc-128", DP_SA_AES_CBC, 16},
	{"aes-cbc-256", DP_SA_AES_CBC, 32},
	{"chacha20-poly1305", DP_SA_CHACHA20_POLY1305, 36},
};

static const char *const integ_names[] = {"", "sha256", "sha384", "sha512"};
static const uint8_t integ_key_lens[] = {0, 32, 48, 64};

static const char *
cipher_str(uint8_t cipher)
{
	switch (cipher) {
	case DP_SA_AES_GCM_16:
		return "aes-gcm";
	case DP_SA_AES_CBC:
		return "aes-cbc";
	case DP_SA_CHACHA20_POLY1305:
		return "chacha20-poly1305";
	default:
		return "?";
	}
}

static bool
parse_num(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	if (*s == '\0' || *s == '-')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno == 0 && *end == '\0' && *out <= max;
}

static int
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex (optionally 0x, ':' separators allowed) into buf; bytes or -1. */
static int
parse_hex(const char *s, uint8_t *buf, size_t max)
{
	size_t n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	while (*s != '\0') {
		int hi, lo;

		if (*s == ':') {
			s++;
			continue;
		}
		hi = hex_val(s[0]);
		lo = hi >= 0 ? hex_val(s[1]) : -1;
		if (lo < 0 || n == max)
			return -1;
		buf[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return (int)n;
}

/* One KEY=VALUE word of sa-add; 0 or a usage error. */
static int
sa_word(const struct sluicectl_cmd *cmd, const char *w, struct dp_sa *sa,
	unsigned *have)
{
	const char *eq = strchr(w, '=');
	const char *v = eq != NULL ? eq + 1 : "";
	size_t kn = eq != NULL ? (size_t)(eq - w) : strlen(w);
	uint64_t u;
	int n;

#define KEY(s) (kn == strlen(s) && strncmp(w, s, kn) == 0)
	if (KEY("id") && parse_num(v, DP_SA_ID_MAX, &u) && u > 0) {
		sa->id = (uint32_t)u;
		*have |= 1;
	} else if (KEY("spi") && parse_num(v, UINT32_MAX, &u)) {
		sa->spi = (uint32_t)u;
		*have |= 2;
	} else if (KEY("dir") && (!strcmp(v, "in") || !strcmp(v, "out"))) {
		sa->dir = strcmp(v, "in") == 0 ? DP_SA_IN : DP_SA_OUT;
		*have |= 4;
	} else if (KEY("cipher")) {
		for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]);
		     i++) {
			if (strcmp(v, ciphers[i].name) == 0) {
				sa->cipher = ciphers[i].cipher;
				*have |= 8;
			}
		}
		if (!(*have & 8))
			return sluicectl_usage(cmd, "unknown cipher '%s'", v);
	} else if (KEY("key")) {
		n = parse_hex(v, sa->enc_key, sizeof(sa->enc_key));
		if (n <= 0)
			return sluicectl_usage(cmd, "key: expected hex, at "
						    "most 36 bytes");
		sa->enc_key_len = (uint8_t)n;
		*have |= 16;
	} else if (KEY("ikey")) {
		n = parse_hex(v, sa->integ_key, sizeof(sa->integ_key));
		if (n <= 0)
			return sluicectl_usage(cmd, "ikey: expected hex, at "
						    "most 64 bytes");
		sa->integ_key_len = (uint8_t)n;
	} else if (KEY("integ")) {
		for (uint8_t i = 1; i < 4; i++)
			if (strcmp(v, integ_names[i]) == 0)
				sa->integ = i;
		if (sa->integ == 0)
			return sluicectl_usage(cmd, "unknown integ '%s'", v);
	} else if (KEY("src") && inet_pton(AF_INET, v, &sa->src) == 1) {
		*have |= 32;
	} else if (KEY("dst") && inet_pton(AF_INET, v, &sa->dst) == 1) {
		*have |= 32;
	} else if (KEY("src") && inet_pton(AF_INET6, v, sa->src6) == 1) {
		sa->flags |= DP_SA_F_IPV6;
	} else if (KEY("dst") && inet_pton(AF_INET6, v, sa->dst6) == 1) {
		sa->flags |= DP_SA_F_IPV6;
	} else if (KEY("esn") && eq == NULL) {
		sa->flags |= DP_SA_F_ESN;
	} else if (KEY("natt")) {
		unsigned sp = 4500, dp = 4500;
		char tail;

		if (eq != NULL &&
		    (sscanf(v, "%u:%u%c", &sp, &dp, &tail) != 2 || sp == 0 ||
		     sp > 0xffff || dp == 0 || dp > 0xffff))
			return sluicectl_usage(cmd, "natt=SPORT:DPORT");
		sa->flags |= DP_SA_F_NATT;
		sa->sport = (uint16_t)sp;
		sa->dport = (uint16_t)dp;
	} else if (KEY("ttl") && parse_num(v, 255, &u)) {
		sa->ttl = (uint8_t)u;
	} else if (KEY("mtu") && parse_num(v, 0xffff, &u)) {
		sa->mtu = (uint16_t)u;
	} else if (KEY("seq") && parse_num(v, UINT64_MAX, &u)) {
		sa->seq = u;
	} else if (KEY("soft-packets") && parse_num(v, UINT64_MAX, &u)) {
		sa->soft_packets = u;
	} else if (KEY("soft-bytes") && parse_num(v, UINT64_MAX, &u)) {
		sa->soft_bytes = u;
	} else {
		return sluicectl_usage(cmd, "bad word '%.*s'", (int)kn, w);
	}
#undef KEY
	return SLUICECTL_OK;
}

int
sluicectl_dp_sa_add(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = sluicectl_cmd_lookup("dp", "sa-add");
	struct dp_client *c;
	unsigned have = 0;
	struct dp_sa sa;
	int rc = SLUICECTL_OK;

	memset(&sa, 0, sizeof(sa));
	for (int i = 1; i < argc && rc == SLUICECTL_OK; i++)
		rc = sa_word(cmd, argv[i], &sa, &have);
	if (rc == SLUICECTL_OK && (have & 31) != 31)
		rc = sluicectl_usage(cmd, "needs id, spi, dir, cipher and key");
	if (rc == SLUICECTL_OK && (have & 32) && (sa.flags & DP_SA_F_IPV6))
		rc = sluicectl_usage(cmd,
				     "src and dst: both IPv4 or both IPv6");
	if (rc == SLUICECTL_OK && sa.integ != 0 &&
	    sa.integ_key_len != integ_key_lens[sa.integ])
		rc = sluicectl_usage(cmd, "ikey: %s takes %u bytes",
				     integ_names[sa.integ],
				     integ_key_lens[sa.integ]);
	if (rc == SLUICECTL_OK && sluicectl_dp_open(cmd, o, &c) != SLUICECTL_OK)
		rc = SLUICECTL_FAIL;
	if (rc == SLUICECTL_OK) {
		if (dp_client_sa_add(c, &sa) < 0)
			rc = sluicectl_fail(cmd, "%s", dp_client_error(c));
		dp_client_close(c);
	}
	explicit_bzero(&sa, sizeof(sa));
	return rc;
}

int
sluicectl_dp_sa_del(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = sluicectl_cmd_lookup("dp", "sa-del");
	struct dp_client *c;
	uint64_t id;
	int rc;

	if (argc != 2 || !parse_num(argv[1], DP_SA_ID_MAX, &id) || id == 0)
		return sluicectl_usage(cmd, "expected an SA id 1..%u",
				       DP_SA_ID_MAX);
	if (sluicectl_dp_open(cmd, o, &c) != SLUICECTL_OK)
		return SLUICECTL_FAIL;
	rc = dp_client_sa_del(c, (uint32_t)id) < 0
		     ? sluicectl_fail(cmd, "%s", dp_client_error(c))
		     : SLUICECTL_OK;
	dp_client_close(c);
	return rc;
}

struct list_arg {
	json_t *arr; /* NULL: text */
};

static int
sa_visit(const struct dp_sa_info *si, void *arg)
{
	struct list_arg *l = arg;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	if (si->flags & DP_SA_F_IPV6) {
		inet_ntop(AF_INET6, si->src6, src, sizeof(src));
		inet_ntop(AF_INET6, si->dst6, dst, sizeof(dst));
	} else {
		inet_ntop(AF_INET, &si->src, src, sizeof(src));
		inet_ntop(AF_INET, &si->dst, dst, sizeof(dst));
	}
	if (l->arr != NULL) {
		json_array_append_new(
			l->arr,
			json_pack("{s:i, s:I, s:s, s:s, s:s, s:b, s:b, s:s, "
				  "s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
				  "s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
				  "id", (int)si->id, "spi", (json_int_t)si->spi,
				  "dir", si->dir == DP_SA_OUT ? "out" : "in",
				  "cipher", cipher_str(si->cipher), "integ",
				  si->integ < 4 ? integ_names[si->integ] : "?",
				  "esn", (si->flags & DP_SA_F_ESN) != 0, "natt",
				  (si->flags & DP_SA_F_NATT) != 0, "src", src,
				  "dst", dst, "seq", (json_int_t)si->seq,
				  "packets", (json_int_t)si->packets, "bytes",
				  (json_int_t)si->bytes, "replay_drops",
				  (json_int_t)si->replay_drops, "auth_fails",
				  (json_int_t)si->auth_fails, "bad",
				  (json_int_t)si->bad_pad, "seq_exhausted",
				  (json_int_t)si->seq_exhausted, "no_room",
				  (json_int_t)si->no_room, "mtu",
				  (json_int_t)si->mtu, "too_big",
				  (json_int_t)si->too_big, "too_big_punts",
				  (json_int_t)si->too_big_punts,
				  "too_big_frags",
				  (json_int_t)si->too_big_frags, "mss_clamped",
				  (json_int_t)si->mss_clamped, "mss_bad_opts",
				  (json_int_t)si->mss_bad_opts));
		return 0;
	}
	printf("sa %u %s spi 0x%08x %s%s%s%s%s %s -> %s seq %" PRIu64
	       " packets %" PRIu64 " bytes %" PRIu64 " replay %" PRIu64
	       " auth %" PRIu64 " bad %" PRIu64 " exhausted %" PRIu64
	       " no_room %" PRIu64 " mtu %u too_big %" PRIu64
	       " too_big_punts %" PRIu64
	       " too_big_frags %u mss_clamped %" PRIu64 " mss_bad_opts %" PRIu64
	       "\n",
	       si->id, si->dir == DP_SA_OUT ? "out" : "in", si->spi,
	       cipher_str(si->cipher), si->integ ? "+" : "",
	       si->integ && si->integ < 4 ? integ_names[si->integ] : "",
	       si->flags & DP_SA_F_ESN ? " esn" : "",
	       si->flags & DP_SA_F_NATT ? " natt" : "", src, dst, si->seq,
	       si->packets, si->bytes, si->replay_drops, si->auth_fails,
	       si->bad_pad, si->seq_exhausted, si->no_room, si->mtu,
	       si->too_big, si->too_big_punts, si->too_big_frags,
	       si->mss_clamped, si->mss_bad_opts);
	return 0;
}

int
sluicectl_dp_sa_list(const struct sluicectl_opts *o, int argc, char **argv)
{
	const struct sluicectl_cmd *cmd = sluicectl_cmd_lookup("dp", "sa-list");
	struct list_arg l = {NULL};
	struct dp_client *c;
	uint64_t id = 0;
	int rc;

	if (argc > 2 ||
	    (argc == 2 && (!parse_num(argv[1], DP_SA_ID_MAX, &id) || id == 0)))
		return sluicectl_usage(cmd, "expected [ID]");
	if (sluicectl_dp_open(cmd, o, &c) != SLUICECTL_OK)
		return SLUICECTL_FAIL;
	if (o->is_json)
		l.arr = json_array();
	rc = dp_client_sa_dump(c, (uint32_t)id, sa_visit, &l);
	if (rc < 0) {
		json_decref(l.arr);
		rc = sluicectl_fail(cmd, "%s", dp_client_error(c));
	} else {
		if (l.arr != NULL) {
			json_dumpf(l.arr, stdout,
				   JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			fputc('\n', stdout);
			json_decref(l.arr);
		}
		rc = SLUICECTL_OK;
	}
	dp_client_close(c);
	return rc;
}
