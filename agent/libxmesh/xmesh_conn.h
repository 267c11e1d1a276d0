/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A connection to xmeshd's control socket (Documentation/xmeshd.md,
 * "Control socket"): one request line out, reply lines in. libxmesh's
 * requests and the xmesh tool's (tool/agent.c, tool/monitor.c) both go
 * through it. Private to the tree: not installed.
 */
#ifndef XMESH_CONN_H
#define XMESH_CONN_H

#include <stddef.h>

struct xmesh_conn {
	int fd;			/* -1: not connected */
	char *buf;		/* bytes read, not yet handed out */
	size_t len, cap;
	size_t used;		/* the line last handed out, to drop */
};

/* path if given, else $XMESH_SOCKET if set, else XMD_SOCKET_PATH. */
const char *xmesh_conn_path(const char *path);
/* Connect to the socket at path: 0, or -errno (-ENAMETOOLONG: no UNIX
 * socket address holds it). c is closed on failure. */
int xmesh_conn_open(struct xmesh_conn *c, const char *path);
void xmesh_conn_close(struct xmesh_conn *c);
/* Send line[0..len) and a newline: 0 or -errno. */
int xmesh_conn_send(struct xmesh_conn *c, const char *line, size_t len);
/* Read what is waiting (after poll said so): > 0, 0 at EOF, -errno. */
int xmesh_conn_fill(struct xmesh_conn *c);
/* The next whole line already read, without its newline and
 * NUL-terminated, valid until the next call on c; NULL if none. */
char *xmesh_conn_next(struct xmesh_conn *c);
/* The next line, waiting up to timeout_ms (-1: forever): 0 and *line as
 * xmesh_conn_next()'s, or -ETIMEDOUT, -ECONNRESET (EOF), -errno. */
int xmesh_conn_read(struct xmesh_conn *c, int timeout_ms, char **line);

#endif /* XMESH_CONN_H */
