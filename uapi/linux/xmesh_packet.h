/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * xmesh wire format: what follows the UDP header of every xmesh frame.
 * Documentation/wire-format.rst has the layout and the rules.
 *
 * All fields are in network byte order. A receiver drops (and counts) a
 * frame whose version it does not know, whose type it does not know, or
 * that has a flag it does not know, so later versions stay distinguishable.
 */
#ifndef _UAPI_LINUX_XMESH_PACKET_H
#define _UAPI_LINUX_XMESH_PACKET_H

#include <linux/types.h>

#define XMESH_WIRE_VERSION	1

enum xmesh_pkt_type {
	XMESH_PKT_DATA = 1,	/* an IPv4 or IPv6 packet follows */
	XMESH_PKT_OAM,		/* struct xmesh_oam follows */
	XMESH_PKT_MCAST,	/* multicast data; dst is a group id */
};

/*
 * Flags. AUTH_ONLY: the frame is sealed (key id not 0) but its payload is
 * in clear, authenticated with the header. ORIGIN: a DATA frame whose
 * sealed payload is itself sealed by its source node with an origin key
 * of (source, destination), the origin key id in the header: origin
 * counter | inner packet | origin tag. ORIGIN_AUTH_ONLY: that inner packet
 * is in clear, authenticated only. Both ORIGIN flags only with a key id.
 */
#define XMESH_HDR_F_AUTH_ONLY		0x01
#define XMESH_HDR_F_ORIGIN		0x02
#define XMESH_HDR_F_ORIGIN_AUTH_ONLY	0x04
#define XMESH_HDR_F_KNOWN		(XMESH_HDR_F_AUTH_ONLY | \
					 XMESH_HDR_F_ORIGIN | \
					 XMESH_HDR_F_ORIGIN_AUTH_ONLY)

/*
 * A frame with a key id other than 0 is sealed: the header is followed by
 * a 64-bit big-endian counter (the AEAD nonce) and the frame ends with a
 * Poly1305 tag.
 */
#define XMESH_COUNTER_LEN	8
#define XMESH_TAG_LEN		16
#define XMESH_SEAL_OVERHEAD	(XMESH_COUNTER_LEN + XMESH_TAG_LEN)

enum xmesh_tclass {
	XMESH_TC_BEST_EFFORT,
	XMESH_TC_BULK,
	XMESH_TC_INTERACTIVE,
	XMESH_TC_REALTIME,
	XMESH_TC_NETWORK_CONTROL,
	XMESH_TC_MAX = 7,
};

struct xmesh_hdr {
	__u8 version;		/* XMESH_WIRE_VERSION */
	__u8 type;		/* enum xmesh_pkt_type */
	__u8 flags;		/* XMESH_HDR_F_* */
	__u8 hop_limit;		/* decremented by each transit node */
	__u8 tclass;		/* enum xmesh_tclass */
	__u8 key_id;		/* 0: unauthenticated, else sealed */
	__u8 origin_key_id;	/* with XMESH_HDR_F_ORIGIN, else sent as 0 */
	__u8 reserved;		/* sent as 0, ignored on receive */
	__be32 src_node;
	__be32 dst;		/* node id, or group id for XMESH_PKT_MCAST */
};

/* Payload of XMESH_PKT_OAM frames. */
struct xmesh_oam {
	__u8 op;		/* enum xmesh_oam_op (linux/xmesh.h) */
	__u8 probe_hop_limit;	/* hop limit the probe was sent with */
	__be16 ident;
	__be32 seq;
	__be64 timestamp;	/* sender's clock in ns, echoed back */
	__be32 reporter;	/* node that generated this answer */
	__be32 probe_dst;	/* node the probe was sent to */
};

#endif /* _UAPI_LINUX_XMESH_PACKET_H */
