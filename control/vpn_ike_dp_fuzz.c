// SPDX-License-Identifier: BSD-2-Clause
/*
 * vpn_ike_dp_fuzz.c: libFuzzer target for vpn_ike_dp_parse(), the parser
 * of the frames sluice-dp punts to sluiced as IKE (untrusted: any host on
 * an external network can send them). The input is one whole Ethernet
 * frame. A frame the parser accepts must name a datagram inside the input,
 * and building a frame from what it returned (vpn_ike_dp_build(), the
 * packet-out path) must parse back to the same addresses, ports, MACs and
 * payload (IPv4 or IPv6, the family kept). Rejections must carry a
 * reason in range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vpn_ike_dp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t vf_out[65536 + 64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_addr local, remote, l2, r2;
	uint8_t dst[6], src[6], d2[6], s2[6];
	const uint8_t *p, *p2;
	size_t n, n2, len, alen;
	int rc;

	rc = vpn_ike_dp_parse(data, size, &local, &remote, dst, src, &p, &n);
	if (rc < 0) {
		if (-rc < 1 || -rc >= VPN_IKE_DP_R_MAX)
			abort();
		return 0;
	}
	if (rc != 0 || p < data || n > size || p + n > data + size ||
	    (local.family != AF_INET && local.family != AF_INET6) ||
	    remote.family != local.family)
		abort();
	alen = local.family == AF_INET6 ? 16 : 4;
	/* The packet-out path, from what was parsed: swap the ends. */
	len = vpn_ike_dp_build(vf_out, sizeof(vf_out), src, dst, &local,
			       &remote, p, n);
	if (len == 0)
		return 0; /* does not fit: refused, not truncated */
	if (vpn_ike_dp_parse(vf_out, len, &l2, &r2, d2, s2, &p2, &n2) != 0 ||
	    n2 != n || memcmp(p2, p, n) != 0 || memcmp(d2, src, 6) != 0 ||
	    memcmp(s2, dst, 6) != 0 || l2.family != local.family ||
	    memcmp(l2.ip, remote.ip, alen) != 0 ||
	    memcmp(r2.ip, local.ip, alen) != 0 || l2.port != remote.port ||
	    r2.port != local.port)
		abort();
	return 0;
}
