/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vnet_seg.h: turn a frame a kernel interface hands over with a
 * virtio-net header (an AF_PACKET socket with PACKET_VNET_HDR) into the
 * wire frames it stands for: a TSO/GSO super-frame of up to 64 KiB into
 * its MSS-sized TCP (or UDP) segments, each with finished IPv4, TCP and
 * UDP checksums; a frame whose checksum the guest left to the device
 * (NEEDS_CSUM) into the same frame with the checksum filled in; any other
 * frame as it is. The port type "vnet" of sluice-dp (rt_vnet.c) uses it
 * so that guests keep their offloads on (docs/runtime.md, "vnet ports").
 *
 * The frame is untrusted (the guest wrote it; the header is the kernel's
 * description of it): every offset is checked against the frame before
 * use, and a frame that cannot be segmented is refused with a reason
 * (vnet_seg_err_name), never partly written. No DPDK types: the unit test
 * and the libFuzzer target (vnet_seg_fuzz.c) run it on plain buffers.
 *
 * Two steps, so that the caller can allocate the buffers in one go:
 * vnet_seg_plan() validates and says how many frames of at most what
 * size; vnet_seg_emit() writes frame i of the plan.
 */
#ifndef SLUICE_VNET_SEG_H
#define SLUICE_VNET_SEG_H

#include <stddef.h>
#include <stdint.h>

/* The virtio-net header as the packet socket writes it (little-endian on
 * the hosts Sluice runs on; virtio_legacy_is_little_endian()). */
struct vnet_hdr {
	uint8_t flags;	  /* VNET_F_* */
	uint8_t gso_type; /* VNET_GSO_*, | VNET_GSO_ECN */
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

enum {
	VNET_F_NEEDS_CSUM = 1,
	VNET_F_DATA_VALID = 2,
	VNET_GSO_NONE = 0,
	VNET_GSO_TCPV4 = 1,
	VNET_GSO_UDP = 3, /* UFO: IP fragmentation; not supported */
	VNET_GSO_TCPV6 = 4,
	VNET_GSO_UDP_L4 = 5,
	VNET_GSO_ECN = 0x80,
	/* Segments of one super-frame at most (a 64 KiB frame at an MSS of
	 * 256 bytes). */
	VNET_SEG_MAX = 256,
};

enum vnet_seg_err {
	VNET_SEG_OK = 0,
	VNET_SEG_E_SHORT,     /* frame shorter than an Ethernet header */
	VNET_SEG_E_ETHERTYPE, /* GSO on a frame that is not IPv4 or IPv6 */
	VNET_SEG_E_IP,	      /* IP header cut, bad version or length */
	VNET_SEG_E_IP_FRAG,   /* GSO of an IPv4 fragment */
	VNET_SEG_E_IP6_EXT,   /* GSO over IPv6 extension headers */
	VNET_SEG_E_PROTO,     /* gso_type does not match the IP/L4 header */
	VNET_SEG_E_L4,	      /* TCP/UDP header cut or bad data offset */
	VNET_SEG_E_GSO_TYPE,  /* unknown gso_type, or UFO */
	VNET_SEG_E_GSO_SIZE,  /* gso_size 0 */
	VNET_SEG_E_SEGS,      /* more than VNET_SEG_MAX segments */
	VNET_SEG_E_CSUM,      /* csum_start/csum_offset beyond the frame */
	VNET_SEG_E_BIG,	      /* a segment's IP packet over 65535 bytes */
	VNET_SEG_E_MAX
};

enum vnet_seg_kind {
	VNET_SEG_PASS, /* copy as it is */
	VNET_SEG_CSUM, /* copy and finish the checksum (no GSO) */
	VNET_SEG_SPLIT /* segment */
};

struct vnet_seg_plan {
	uint8_t kind; /* enum vnet_seg_kind */
	uint8_t is_v6;
	uint8_t l4_proto;  /* 6 or 17 (SPLIT) */
	uint16_t n;	   /* frames to emit, 1 .. VNET_SEG_MAX */
	uint32_t max_len;  /* longest frame emitted */
	uint32_t l3_off;   /* SPLIT: IP header */
	uint32_t l4_off;   /* SPLIT: TCP/UDP header */
	uint32_t hdr_len;  /* SPLIT: bytes of headers copied to each */
	uint32_t pay_len;  /* SPLIT: payload bytes in all */
	uint32_t gso_size; /* SPLIT: payload bytes a segment */
	uint32_t csum_start, csum_offset; /* CSUM */
};

/*
 * Check frame (len bytes) against its header h and plan its frames.
 * Returns VNET_SEG_OK or a VNET_SEG_E_* reason; *p is filled on success.
 */
int vnet_seg_plan(const struct vnet_hdr *h, const uint8_t *frame, size_t len,
		  struct vnet_seg_plan *p);

/*
 * Write frame i (0 .. p->n - 1) of plan p for the same frame into out (at
 * least p->max_len bytes). Returns its length.
 */
size_t vnet_seg_emit(const struct vnet_seg_plan *p, const uint8_t *frame,
		     size_t len, unsigned i, uint8_t *out);

/* "ip header" etc. for a VNET_SEG_E_* code, "?" when out of range. */
const char *vnet_seg_err_name(int err);

/*
 * The other way, for frames sent to a vnet port: consecutive TCP segments
 * of one flow in a burst are handed to the kernel as one GSO super-frame
 * (the guest's stack then takes them in one go, as if its NIC had done
 * GRO). A run: the same Ethernet, IP (IPv4 without options or fragment
 * bits; IPv6 with TCP next) and TCP header bytes but for the IP length,
 * identification and checksum, the TCP sequence number, checksum and a
 * PSH on the last; only ACK (and PSH on the last) set; sequence numbers
 * back to back; every segment but the last of the first one's payload
 * size (the MSS); 65535 bytes of IP at most. UDP datagrams of one flow
 * (the same ports; ESP in UDP between two gateways) make a run the same
 * way, as a UDP_L4 GSO frame: all but the last of the first one's size.
 */
struct vnet_gro {
	uint8_t is_v6;
	uint8_t psh;	  /* the last segment's PSH */
	uint8_t l4_proto; /* 6 TCP, 17 UDP */
	uint32_t l4_off;  /* TCP header */
	uint32_t hdr_len; /* up to the payload */
	uint32_t mss;	  /* the first segment's payload */
	uint32_t pay_len; /* payload of the run */
};

/*
 * How many of the n frames f[0..n-1] (len[i] bytes each, Ethernet on)
 * make one run from f[0], at most max_n; g is filled. A frame that
 * cannot start a run gives n = 1.
 */
unsigned vnet_gro_run(uint8_t *const *f, const uint32_t *len, unsigned n,
		      unsigned max_n, struct vnet_gro *g);

/*
 * Make f0 (the run's first frame) the header of the super-frame: IP
 * length, IPv4 header checksum, PSH, and the TCP checksum field set to the
 * pseudo-header's sum (the kernel's CHECKSUM_PARTIAL); h is the virtio-net
 * header to send with it, in host byte order. The payloads of the other
 * frames follow f0's header, in order.
 */
void vnet_gro_patch(uint8_t *f0, const struct vnet_gro *g, struct vnet_hdr *h);

/* The payload bytes of a frame of run g (after g->hdr_len, without
 * Ethernet padding); for the first, before vnet_gro_patch(). */
uint32_t vnet_gro_pay(const uint8_t *f, const struct vnet_gro *g);

/*
 * The TCP/UDP pseudo-header's sum folded to 16 bits in memory order, not
 * complemented: what a CHECKSUM_PARTIAL frame holds in its checksum field.
 * ip points to the IPv4 (addresses at 12) or IPv6 header; l4len is the
 * length of the L4 header and payload.
 */
uint16_t vnet_pseudo_fold(int is_v6, const uint8_t *ip, uint8_t proto,
			  uint32_t l4len);

/* The Internet checksum of buf folded to 16 bits, in memory order (store
 * it with memcpy), not complemented. Exposed for the tests. */
uint16_t vnet_csum_fold(const uint8_t *buf, size_t len, uint64_t sum);

#endif /* SLUICE_VNET_SEG_H */
