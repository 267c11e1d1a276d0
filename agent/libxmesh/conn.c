// SPDX-License-Identifier: GPL-2.0
/* The control socket's line protocol, for libxmesh and the tool. */
#include "xmesh_conn.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../daemon/ctl_proto.h"

const char *xmesh_conn_path(const char *path)
{
	const char *env = getenv(XMD_SOCKET_ENV);

	return path && *path ? path : env && *env ? env : XMD_SOCKET_PATH;
}

int xmesh_conn_open(struct xmesh_conn *c, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int err;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd >= 0 && !connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)))
		return 0;
	err = -errno;
	xmesh_conn_close(c);
	return err;
}

void xmesh_conn_close(struct xmesh_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = c->used = 0;
}

int xmesh_conn_send(struct xmesh_conn *c, const char *line, size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)line, .iov_len = len },
		{ .iov_base = "\n", .iov_len = 1 },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;

	while (mh.msg_iovlen) {
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		/* Short send: go on from where it stopped. */
		while (mh.msg_iovlen && (size_t)n >= mh.msg_iov->iov_len) {
			n -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen) {
			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + n;
			mh.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* Forget the line handed out last. */
static void drop_used(struct xmesh_conn *c)
{
	if (!c->used)
		return;
	memmove(c->buf, c->buf + c->used, c->len - c->used);
	c->len -= c->used;
	c->used = 0;
}

int xmesh_conn_fill(struct xmesh_conn *c)
{
	ssize_t n;

	drop_used(c);
	if (c->cap - c->len < 4096) {
		size_t cap = c->cap ? c->cap * 2 : 65536;
		char *b = realloc(c->buf, cap);

		if (!b)
			return -ENOMEM;
		c->buf = b;
		c->cap = cap;
	}
	do {
		n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	c->len += (size_t)n;
	return n > 0;
}

char *xmesh_conn_next(struct xmesh_conn *c)
{
	char *nl;

	drop_used(c);
	nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
	if (!nl)
		return NULL;
	*nl = '\0';
	c->used = (size_t)(nl - c->buf) + 1;
	return c->buf;
}

int xmesh_conn_read(struct xmesh_conn *c, int timeout_ms, char **line)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	int ret;

	for (;;) {
		*line = xmesh_conn_next(c);
		if (*line)
			return 0;
		ret = poll(&pfd, 1, timeout_ms);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			return ret ? -errno : -ETIMEDOUT;
		ret = xmesh_conn_fill(c);
		if (ret <= 0)
			return ret ? ret : -ECONNRESET;
	}
}
