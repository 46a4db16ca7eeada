/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vnet_seg_fuzz.c: libFuzzer target for vnet ports' frame handling
 * (vnet_seg.h): a guest's frame with the kernel's virtio-net header. The
 * input is the 10-byte header (little-endian, as the socket gives it)
 * then the frame. Besides not crashing or reading past the frame:
 *   - a refusal has a reason with a name;
 *   - an accepted plan's frames fit max_len, and a split's payloads add
 *     up to the frame's payload;
 *   - the frames a split gives merge back (vnet_gro_run) into runs no
 *     longer than the split, and every run's header patches
 *     (vnet_gro_patch) within the frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vnet_seg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[VNET_SEG_MAX][65536 + 128];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *f[VNET_SEG_MAX];
	uint32_t len[VNET_SEG_MAX];
	struct vnet_seg_plan p;
	struct vnet_hdr h;
	struct vnet_gro g;
	uint64_t pay = 0;
	uint8_t *frame;
	size_t flen;
	int rc;

	if (size < 10 || size > 10 + 65600)
		return 0;
	h.flags = data[0];
	h.gso_type = data[1];
	h.hdr_len = (uint16_t)(data[2] | data[3] << 8);
	h.gso_size = (uint16_t)(data[4] | data[5] << 8);
	h.csum_start = (uint16_t)(data[6] | data[7] << 8);
	h.csum_offset = (uint16_t)(data[8] | data[9] << 8);
	flen = size - 10;
	/* A copy of its own size: ASan sees any read past the frame. */
	frame = malloc(flen ? flen : 1);
	if (frame == NULL)
		return 0;
	memcpy(frame, data + 10, flen);
	rc = vnet_seg_plan(&h, frame, flen, &p);
	if (rc != VNET_SEG_OK) {
		if (rc <= 0 || rc >= VNET_SEG_E_MAX ||
		    strcmp(vnet_seg_err_name(rc), "?") == 0)
			abort();
		free(frame);
		return 0;
	}
	if (p.n == 0 || p.n > VNET_SEG_MAX || p.max_len > sizeof(out[0]))
		abort();
	for (unsigned i = 0; i < p.n; i++) {
		size_t l = vnet_seg_emit(&p, frame, flen, i, out[i]);

		if (l > p.max_len)
			abort();
		f[i] = out[i];
		len[i] = (uint32_t)l;
		if (p.kind == VNET_SEG_SPLIT)
			pay += l - p.hdr_len;
	}
	if (p.kind == VNET_SEG_SPLIT && pay != p.pay_len)
		abort();
	for (unsigned i = 0; i < p.n;) {
		unsigned k =
			vnet_gro_run(f + i, len + i, p.n - i, VNET_SEG_MAX, &g);
		struct vnet_hdr gh;

		if (k == 0 || k > p.n - i)
			abort();
		if (k > 1) {
			if (g.hdr_len > len[i] || g.mss == 0)
				abort();
			vnet_gro_patch(f[i], &g, &gh);
			if (gh.gso_size != g.mss || gh.hdr_len != g.hdr_len)
				abort();
		}
		i += k;
	}
	free(frame);
	return 0;
}
