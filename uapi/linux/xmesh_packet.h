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

/* Flags: none defined in version 1; the key id field is 0 for now. */
#define XMESH_HDR_F_KNOWN	0x00

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
	__u8 key_id;		/* 0: unauthenticated */
	__be16 reserved;	/* sent as 0, ignored on receive */
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
