/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What xmeshd and the xmesh tool agree on about the control socket: its
 * default path, the bound on a request line, and the commands.
 * Documentation/xmeshd.md describes the protocol.
 */
#ifndef XMD_CTL_PROTO_H
#define XMD_CTL_PROTO_H

#define XMD_VERSION		"0.1.0"	/* xmesh and xmeshd */
#define XMD_SOCKET_PATH		"/run/xmesh/xmeshd.sock"
#define XMD_SOCKET_ENV		"XMESH_SOCKET"	/* the tool's override */
#define XMD_REQUEST_MAX		4096	/* bytes of one request line */

/* Commands ("cmd"): status, nodes, neighbors, topology, path, find,
 * monitor, exports, group-join, group-leave, filter-reload. Errors:
 * {"error": "..."}. */

#endif /* XMD_CTL_PROTO_H */
