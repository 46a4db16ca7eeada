/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vpn_test_child.h: the child SA that the vpn_dp unit tests install
 * (vpn_dp_test.c, vpn_dp_flush_test.c): connection "conn-a" from
 * 192.0.2.1:500 to 192.0.2.2:500, AES-GCM-16 with a 128-bit key. Not
 * linked into sluiced.
 */
#ifndef SLUICE_VPN_TEST_CHILD_H
#define SLUICE_VPN_TEST_CHILD_H

#include <stdint.h>

#include "ike.h"

/* Fill ci for connection conn_id: inbound SPI spi_in, outbound spi_in +
 * 0x100; the inbound key is key[0..19], the outbound key[20..39] (key
 * must outlive ci). */
void vpn_test_child(struct ike_child_info *ci, uint32_t conn_id,
		    uint32_t spi_in, const uint8_t *key);

#endif
