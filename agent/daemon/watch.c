// SPDX-License-Identifier: GPL-2.0
#include "watch.h"

#include <errno.h>
#include <stddef.h>
#include <sys/epoll.h>

int xmd_watch_add(int epfd, struct xmd_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, w->fd, &ev) ? -errno : 0;
}

int xmd_watch_mod(int epfd, struct xmd_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(epfd, EPOLL_CTL_MOD, w->fd, &ev) ? -errno : 0;
}

void xmd_watch_del(int epfd, struct xmd_watch *w)
{
	if (w->fd >= 0)
		epoll_ctl(epfd, EPOLL_CTL_DEL, w->fd, NULL);
}
