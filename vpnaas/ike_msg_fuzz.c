/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ike_msg_fuzz.c: libFuzzer target for IKEv2 message parsing. Each input
 * goes through the codec (decode, and re-encode of what decoded) and then
 * into a responder engine as a UDP payload on port 500 or, when the first
 * byte is odd, on the NAT-T port 4500 (after the selector byte), so the
 * marker demultiplexing, SA lookup and exchange dispatch are covered too.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "ike.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fz_send(void *arg, const uint8_t *d, size_t n, const struct ike_addr *l,
	const struct ike_addr *r)
{
	(void)arg;
	(void)d;
	(void)n;
	(void)l;
	(void)r;
}

static struct ike_engine *
engine(void)
{
	static struct ike_engine *e;
	struct ike_conn_config c;
	struct ike_ops ops = {.send = fz_send};
	uint32_t id;

	if (e)
		return e;
	ike_log_set(NULL, IKE_LOG_ERR);
	if (ike_engine_create(NULL, &ops, &e))
		return NULL;
	memset(&c, 0, sizeof(c));
	c.local.family = AF_INET;
	memcpy(c.local.ip, "\x0a\x00\x00\x02", 4);
	c.local.port = 500;
	c.peer_any = true;
	c.local_id = (struct ike_id){IKE_ID_IPV4_ADDR, 4, {10, 0, 0, 2}};
	c.psk_len = 4;
	memcpy(c.psk, "fuzz", 4);
	ike_proposal_parse("aes128gcm16-prfsha256-ecp256", false, c.ike, 4,
			   &c.n_ike);
	ike_proposal_parse("aes128gcm16", true, c.esp, 4, &c.n_esp);
	c.n_local_ts = c.n_peer_ts = 1;
	c.local_ts[0] = (struct ike_cidr){AF_INET, {10, 2}, 16};
	c.peer_ts[0] = (struct ike_cidr){AF_INET, {10, 1}, 16};
	c.responder_only = true;
	if (ike_engine_conn_add(e, &c, &id))
		return NULL;
	return e;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t now = 1000;
	struct ike_addr local = {
		.family = AF_INET, .ip = {10, 0, 0, 2}, .port = 500};
	struct ike_addr remote = {
		.family = AF_INET, .ip = {10, 0, 0, 1}, .port = 500};
	static uint8_t out[IKE_MSG_MAX];
	struct ike_engine *e = engine();
	struct ike_msg m;
	size_t n;

	if (ike_msg_decode(data, size, &m) == IKE_ERR_OK)
		(void)ike_msg_encode(&m, out, sizeof(out), &n);
	if (!e || size == 0)
		return 0;
	if (data[0] & 1) {
		local.port = 4500;
		remote.port = 4500;
		data++;
		size--;
	}
	ike_engine_input(e, data, size, &local, &remote, now);
	now += 1000;
	ike_engine_tick(e, now);
	return 0;
}
