/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vpn_test_child.c: the vpn_dp unit tests' child SA (see
 * vpn_test_child.h).
 */
#include <string.h>
#include <sys/socket.h>

#include "vpn_test_child.h"

static void
vpn_test_ip4(struct ike_addr *a, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->ip[0] = 192;
	a->ip[1] = 0;
	a->ip[2] = 2;
	a->ip[3] = last;
	a->port = 500;
}

void
vpn_test_child(struct ike_child_info *ci, uint32_t conn_id, uint32_t spi_in,
	       const uint8_t *key)
{
	memset(ci, 0, sizeof(*ci));
	ci->conn_id = conn_id;
	ci->conn_name = "conn-a";
	ci->spi_in = spi_in;
	ci->spi_out = spi_in + 0x100;
	ci->cipher.encr = IKE_ENCR_AES_GCM_16;
	ci->cipher.key_bits = 128;
	ci->cipher.integ = IKE_INTEG_NONE;
	ci->enc_key_in = key;
	ci->enc_key_out = key + 20;
	ci->enc_key_len = 20;
	vpn_test_ip4(&ci->local, 1);
	vpn_test_ip4(&ci->remote, 2);
}
