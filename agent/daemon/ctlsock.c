// SPDX-License-Identifier: GPL-2.0
#include "ctlsock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

struct xmd_ctl_client {
	struct xmd_watch w;
	struct xmd_ctl *srv;
	char in[XMD_REQUEST_MAX];
	size_t in_len;
	bool discard;		/* skipping the rest of a too-long line */
	bool monitor;
	int monitor_level;	/* enum xmd_log_level: events up to it */
	bool read_done;		/* the client sent EOF: close once flushed */
	char *out;
	size_t out_len, out_off, out_cap;
	struct xmd_ctl_client *next_dead;	/* closed, to be freed */
};

static void listen_resume(struct xmd_ctl *s);

/*
 * Close a client now, free it later (xmd_ctl_reap): an event for it may
 * still wait in the loop's current batch.
 */
static void client_close(struct xmd_ctl_client *c)
{
	struct xmd_ctl *s = c->srv;
	unsigned int i;

	for (i = 0; i < s->n_clients; i++)
		if (s->clients[i] == c) {
			s->clients[i] = s->clients[--s->n_clients];
			break;
		}
	xmd_watch_del(s->epfd, &c->w);
	close(c->w.fd);
	c->w.fd = -1;
	c->next_dead = s->dead;
	s->dead = c;
	listen_resume(s);	/* a descriptor is free again */
}

void xmd_ctl_reap(struct xmd_ctl *s)
{
	struct xmd_ctl_client *c;

	while ((c = s->dead)) {
		s->dead = c->next_dead;
		free(c->out);
		free(c);
	}
}

static size_t pending(const struct xmd_ctl_client *c)
{
	return c->out_len - c->out_off;
}

/* Want EPOLLOUT only while bytes wait. */
static void rewatch(struct xmd_ctl_client *c)
{
	xmd_watch_mod(c->srv->epfd, &c->w,
		      EPOLLIN | EPOLLRDHUP | (pending(c) ? EPOLLOUT : 0));
}

/* Queue bytes: 0 or -ENOMEM. Callers bound what waits. */
static int queue(struct xmd_ctl_client *c, const char *buf, size_t len)
{
	if (c->out_off && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *o;

		/* Compact first: what was sent needs no room. */
		if (c->out_off) {
			memmove(c->out, c->out + c->out_off, pending(c));
			c->out_len -= c->out_off;
			c->out_off = 0;
		}
		while (cap < c->out_len + len)
			cap *= 2;
		if (cap != c->out_cap) {
			o = realloc(c->out, cap);
			if (!o)
				return -ENOMEM;
			c->out = o;
			c->out_cap = cap;
		}
	}
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	return 0;
}

/* Send what is queued; false if the client is gone (closed). */
static bool flush(struct xmd_ctl_client *c)
{
	ssize_t n;

	while (pending(c)) {
		n = send(c->w.fd, c->out + c->out_off, pending(c),
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			client_close(c);
			return false;
		}
		c->out_off += (size_t)n;
	}
	if (!pending(c) && c->read_done) {
		client_close(c);
		return false;
	}
	rewatch(c);
	return true;
}

static void reply_error(struct xmd_ctl_client *c, const char *msg)
{
	size_t len;
	char *line = xmd_ctl_error_line(msg, &len);

	c->srv->stats->ctl_bad_requests++;
	if (line)
		queue(c, line, len);
	free(line);
}

/* Answer one request; false if the client had to be dropped. */
static bool handle_line(struct xmd_ctl_client *c, const char *line,
			size_t len)
{
	struct xmd_ctl *s = c->srv;
	struct xmd_reply r;
	struct xmd_view v;
	int ret;

	s->stats->ctl_requests++;
	/*
	 * A client that never reads its replies is not served. What is
	 * bounded is the backlog: one reply may be larger (a large mesh's
	 * topology).
	 */
	if (pending(c) > s->reply_backlog_max) {
		xmd_warn("control socket: a client's replies pile up; closing it");
		client_close(c);
		return false;
	}
	s->view(s->data, &v);
	if (xmd_ctl_handle(&v, line, len, &r)) {
		xmd_warn("control socket: out of memory answering a request");
		client_close(c);
		return false;
	}
	if (r.bad)
		s->stats->ctl_bad_requests++;
	if (r.monitor) {
		c->monitor = true;
		c->monitor_level = r.monitor_level;
	}
	ret = queue(c, r.text, r.len);
	free(r.text);
	if (ret) {
		xmd_warn("control socket: out of memory queueing a reply");
		client_close(c);
		return false;
	}
	return true;
}

/* Split what was read into lines; keep a partial one. */
static bool take_lines(struct xmd_ctl_client *c)
{
	size_t start = 0, i;

	for (i = 0; i < c->in_len; i++) {
		if (c->in[i] != '\n')
			continue;
		if (!c->discard && !handle_line(c, c->in + start, i - start))
			return false;
		c->discard = false;
		start = i + 1;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	if (c->in_len == sizeof(c->in)) {
		/* A line longer than any request: answer once, skip it. */
		if (!c->discard)
			reply_error(c, "request longer than the limit");
		c->discard = true;
		c->in_len = 0;
	}
	return true;
}

static void client_event(struct xmd_watch *w, uint32_t events)
{
	struct xmd_ctl_client *c = (struct xmd_ctl_client *)w;
	ssize_t n;

	if (c->w.fd < 0)
		return;		/* closed earlier in this round */
	if (events & EPOLLIN) {
		/* Bounded per wakeup: one client cannot starve the loop. */
		int rounds = 16;

		while (!c->read_done && rounds-- > 0) {
			n = recv(c->w.fd, c->in + c->in_len,
				 sizeof(c->in) - c->in_len, MSG_DONTWAIT);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (n <= 0) {
				c->read_done = true;
				break;
			}
			c->in_len += (size_t)n;
			if (!take_lines(c))
				return;
		}
	}
	if (events & (EPOLLERR | EPOLLHUP)) {
		client_close(c);
		return;
	}
	if (c->read_done && c->monitor) {
		client_close(c);
		return;
	}
	flush(c);
}

/* Best effort: a refused client learns why. */
static void refuse(int fd, const char *why)
{
	size_t len;
	char *line = xmd_ctl_error_line(why, &len);

	if (line)
		send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	free(line);
	close(fd);
}

static int spare_open(void)
{
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Out of descriptors: refuse the connection waiting, else stop listening. */
static void accept_exhausted(struct xmd_ctl *s)
{
	int fd, err;

	s->stats->ctl_accept_errors++;
	if (s->spare_fd >= 0) {
		/* The spare descriptor lets the connection be taken, and
		 * closed: left waiting, it keeps the listener readable. */
		close(s->spare_fd);
		fd = accept4(s->listen.fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		err = errno;
		if (fd >= 0)
			refuse(fd, "the agent is out of file descriptors");
		s->spare_fd = spare_open();
		if (fd >= 0 || err == EAGAIN || err == EWOULDBLOCK)
			return;
	}
	/* Until a client closes (listen_resume): no busy loop. */
	if (!s->listen_paused && !xmd_watch_mod(s->epfd, &s->listen, 0))
		s->listen_paused = true;
}

static void listen_resume(struct xmd_ctl *s)
{
	if (s->listen_paused && s->listen.fd >= 0 &&
	    !xmd_watch_mod(s->epfd, &s->listen, EPOLLIN))
		s->listen_paused = false;
}

static void listen_event(struct xmd_watch *w, uint32_t events)
{
	struct xmd_ctl *s = (struct xmd_ctl *)w;
	struct xmd_ctl_client *c;
	int fd;

	(void)events;
	for (;;) {
		fd = accept4(s->listen.fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			/* accept4() fails so whether or not a connection
			 * waits: one per wakeup, the next one wakes us. */
			accept_exhausted(s);
			return;
		}
		if (fd < 0)
			return;
		if (s->n_clients >= s->max_clients) {
			s->stats->ctl_clients_refused++;
			refuse(fd, "too many clients");
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->w.fd = fd;
		c->w.fn = client_event;
		c->srv = s;
		if (xmd_watch_add(s->epfd, &c->w, EPOLLIN | EPOLLRDHUP)) {
			close(fd);
			free(c);
			continue;
		}
		s->clients[s->n_clients++] = c;
	}
}

/*
 * max-clients, within the descriptors this process may open: the rest
 * (links, netlink, the spare) keep XMD_CTL_FD_RESERVE of them.
 */
static unsigned int clients_max(unsigned int want)
{
	struct rlimit r;
	rlim_t room;

	if (getrlimit(RLIMIT_NOFILE, &r) || r.rlim_cur == RLIM_INFINITY)
		return want;
	room = r.rlim_cur > XMD_CTL_FD_RESERVE + 1 ?
	       r.rlim_cur - XMD_CTL_FD_RESERVE : 1;
	if (want <= room)
		return want;
	xmd_warn("control socket: max-clients %u lowered to %u, what the limit of %llu open files leaves",
		 want, (unsigned int)room, (unsigned long long)r.rlim_cur);
	return (unsigned int)room;
}

/* mkdir -p of path's directory, 0755 for the parts it makes. */
static int make_parent(const char *path)
{
	char dir[256];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int xmd_ctl_open(struct xmd_ctl *s, int epfd, const char *path,
		 unsigned int max_clients, struct xmd_stats *stats,
		 void (*view)(void *data, struct xmd_view *v), void *data)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, probe, err;

	memset(s, 0, sizeof(*s));
	s->listen.fd = -1;
	s->spare_fd = -1;
	s->reply_backlog_max = XMD_REPLY_QUEUE_MAX;
	if (strlen(path) >= sizeof(sun.sun_path) ||
	    strlen(path) >= sizeof(s->path))
		return -ENAMETOOLONG;
	snprintf(s->path, sizeof(s->path), "%s", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	max_clients = clients_max(max_clients);
	s->clients = calloc(max_clients, sizeof(*s->clients));
	if (!s->clients)
		return -ENOMEM;
	s->epfd = epfd;
	s->max_clients = max_clients;
	s->stats = stats;
	s->view = view;
	s->data = data;
	err = make_parent(path);
	if (err)
		goto fail;

	/* A daemon that answers owns the path; a dead one's file goes. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0) {
		if (!connect(probe, (struct sockaddr *)&sun, sizeof(sun))) {
			close(probe);
			err = -EADDRINUSE;
			goto fail;
		}
		close(probe);
	}
	unlink(path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    chmod(path, 0660) || listen(fd, 16)) {
		err = -errno;
		close(fd);
		goto fail;
	}
	s->listen.fd = fd;
	s->listen.fn = listen_event;
	err = xmd_watch_add(epfd, &s->listen, EPOLLIN);
	if (err) {
		close(fd);
		unlink(path);
		s->listen.fd = -1;
		goto fail;
	}
	s->spare_fd = spare_open();
	return 0;
fail:
	free(s->clients);
	s->clients = NULL;
	return err;
}

void xmd_ctl_close(struct xmd_ctl *s)
{
	while (s->n_clients)
		client_close(s->clients[0]);
	xmd_ctl_reap(s);
	if (s->listen.fd >= 0) {
		xmd_watch_del(s->epfd, &s->listen);
		close(s->listen.fd);
		unlink(s->path);
		s->listen.fd = -1;
	}
	if (s->spare_fd >= 0)
		close(s->spare_fd);
	s->spare_fd = -1;
	free(s->clients);
	s->clients = NULL;
}

void xmd_ctl_broadcast_level(struct xmd_ctl *s, int level, const char *line,
			     size_t len)
{
	unsigned int i;

	/* Backwards: a client closed by flush() moves the last one into
	 * its slot, which was already served. */
	for (i = s->n_clients; i-- > 0;) {
		struct xmd_ctl_client *c = s->clients[i];

		if (!c->monitor || level > c->monitor_level)
			continue;
		if (pending(c) + len > XMD_MONITOR_QUEUE_MAX ||
		    queue(c, line, len)) {
			s->stats->ctl_events_dropped++;
			continue;
		}
		flush(c);
	}
}

void xmd_ctl_broadcast(struct xmd_ctl *s, const char *line, size_t len)
{
	xmd_ctl_broadcast_level(s, XMD_LOG_ERR, line, len);
}

unsigned int xmd_ctl_monitors_level(const struct xmd_ctl *s, int level)
{
	unsigned int i, n = 0;

	for (i = 0; i < s->n_clients; i++)
		n += s->clients[i]->monitor &&
		     level <= s->clients[i]->monitor_level;
	return n;
}

unsigned int xmd_ctl_monitors(const struct xmd_ctl *s)
{
	return xmd_ctl_monitors_level(s, XMD_LOG_ERR);
}
