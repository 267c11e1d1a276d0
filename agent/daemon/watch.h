/* SPDX-License-Identifier: GPL-2.0 */
/* File descriptors in xmeshd's epoll loop: each with its handler. */
#ifndef XMD_WATCH_H
#define XMD_WATCH_H

#include <stdint.h>

struct xmd_watch {
	int fd;
	void (*fn)(struct xmd_watch *w, uint32_t events);
};

/* 0 or -errno. */
int xmd_watch_add(int epfd, struct xmd_watch *w, uint32_t events);
int xmd_watch_mod(int epfd, struct xmd_watch *w, uint32_t events);
void xmd_watch_del(int epfd, struct xmd_watch *w);

#endif /* XMD_WATCH_H */
