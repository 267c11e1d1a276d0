/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket's server: a UNIX stream socket, each client with a
 * bounded request line and a bounded queue of reply bytes, monitors fed
 * with events. Requests are answered by xmd_ctl_handle() (ctl.h).
 */
#ifndef XMD_CTLSOCK_H
#define XMD_CTLSOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "ctl.h"
#include "watch.h"

/* Unread reply bytes past which a client is dropped (one reply may be
 * larger: the backlog is bounded, not the reply). */
#define XMD_REPLY_QUEUE_MAX	(16u << 20)
#define XMD_MONITOR_QUEUE_MAX	(1u << 20)	/* then events are dropped */
/* Descriptors kept from max-clients for the rest of the agent. */
#define XMD_CTL_FD_RESERVE	64

struct xmd_ctl_client;

struct xmd_ctl {
	struct xmd_watch listen;
	bool listen_paused;		/* out of descriptors */
	int spare_fd;			/* given up to refuse a client then */
	int epfd;
	char path[256];
	unsigned int max_clients, n_clients;
	struct xmd_ctl_client **clients;
	struct xmd_ctl_client *dead;	/* closed, not yet freed */
	size_t reply_backlog_max;	/* XMD_REPLY_QUEUE_MAX; tests lower it */
	struct xmd_stats *stats;
	/* Fills the view a request reads, at the time it is handled. */
	void (*view)(void *data, struct xmd_view *v);
	void *data;
};

/*
 * Create the socket at path (its directory too, if missing) and watch it
 * on epfd. -EADDRINUSE when another daemon answers there; a stale socket
 * file is replaced.
 */
int xmd_ctl_open(struct xmd_ctl *s, int epfd, const char *path,
		 unsigned int max_clients, struct xmd_stats *stats,
		 void (*view)(void *data, struct xmd_view *v), void *data);
/* Free the clients closed since the last call: call it after each round
 * of events, when none can refer to them any more. */
void xmd_ctl_reap(struct xmd_ctl *s);
/* Close every client and the socket, and remove its file. */
void xmd_ctl_close(struct xmd_ctl *s);
/* Queue one line (an event) to every monitor. */
void xmd_ctl_broadcast(struct xmd_ctl *s, const char *line, size_t len);
/* ... to every monitor that asked for events of level (enum
 * xmd_log_level) or more important. */
void xmd_ctl_broadcast_level(struct xmd_ctl *s, int level, const char *line,
			     size_t len);
unsigned int xmd_ctl_monitors(const struct xmd_ctl *s);
/* The monitors that want events of level. */
unsigned int xmd_ctl_monitors_level(const struct xmd_ctl *s, int level);

#endif /* XMD_CTLSOCK_H */
