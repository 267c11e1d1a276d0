// SPDX-License-Identifier: GPL-2.0
/*
 * The checks of probed route exports (exports.h): one non-blocking socket
 * per check in flight, at most one per export; no answer by the next
 * check's time is a failure.
 */
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "exports.h"
#include "xmeshd.h"

static socklen_t target_sa(const struct xm_export_cfg *c, uint16_t port,
			   struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (c->target.family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, c->target.raw, 4);
		return sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		memcpy(&s->sin6_addr, c->target.raw, 16);
		return sizeof(*s);
	}
}

static uint16_t inet_csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void close_check(struct xmd_export_probe *x)
{
	if (x->w.fd < 0)
		return;
	xmd_watch_del(x->set->epfd, &x->w);
	close(x->w.fd);
	x->w.fd = -1;
}

static void result(struct xmd_export_probe *x, xm_time now, bool ok, int err)
{
	close_check(x);
	x->last_errno = ok ? 0 : err;
	if (xm_export_result(&x->e, now, ok) && x->set->changed)
		x->set->changed(x->set->arg, now, &x->e);
}

/* An echo reply to our request in buf? (raw IPv4: after the IP header) */
static bool echo_reply(const struct xmd_export_probe *x, const uint8_t *buf,
		       ssize_t n)
{
	bool v4 = x->e.cfg.target.family == AF_INET;

	if (v4 && x->raw) {
		size_t hl;

		if (n < 20)
			return false;
		hl = (size_t)(buf[0] & 0xf) * 4;
		if ((size_t)n < hl)
			return false;
		buf += hl;
		n -= (ssize_t)hl;
	}
	if (n < 8 || buf[0] != (v4 ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY))
		return false;
	/* A ping socket's kernel sets the id and matches it for us. */
	if (x->raw && (buf[4] << 8 | buf[5]) != x->id)
		return false;
	return (buf[6] << 8 | buf[7]) == x->seq;
}

static void on_event(struct xmd_watch *w, uint32_t events)
{
	struct xmd_export_probe *x = (struct xmd_export_probe *)w;
	xm_time now = xmd_now();
	struct sockaddr_storage from, want;
	socklen_t flen;
	uint8_t buf[256];
	int err = 0;
	ssize_t n;

	switch (x->e.cfg.check) {
	case XM_CHECK_TCP:
		flen = sizeof(err);
		if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &flen))
			err = errno;
		result(x, now, !err && (events & EPOLLOUT), err);
		return;
	case XM_CHECK_UDP:
		n = recv(w->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EAGAIN)
			return;
		result(x, now, n >= 0, n < 0 ? errno : 0);
		return;
	case XM_CHECK_ICMP:
		target_sa(&x->e.cfg, 0, &want);
		for (;;) {
			flen = sizeof(from);
			n = recvfrom(w->fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &flen);
			if (n < 0)
				return;	/* EAGAIN: the reply is not in yet */
			/* Raw sockets see every echo reply: ours only. */
			if (from.ss_family != want.ss_family ||
			    (from.ss_family == AF_INET ?
			     memcmp(&((struct sockaddr_in *)&from)->sin_addr,
				    &((struct sockaddr_in *)&want)->sin_addr,
				    4) :
			     memcmp(&((struct sockaddr_in6 *)&from)->sin6_addr,
				    &((struct sockaddr_in6 *)&want)->sin6_addr,
				    16)))
				continue;
			if (echo_reply(x, buf, n)) {
				result(x, now, true, 0);
				return;
			}
		}
	}
}

static int icmp_socket(struct xmd_export_probe *x)
{
	bool v4 = x->e.cfg.target.family == AF_INET;
	int fam = v4 ? AF_INET : AF_INET6;
	int proto = v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int fd;

	/* A ping socket if the group range allows, else raw (root). */
	fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	x->raw = fd < 0;
	if (fd < 0)
		fd = socket(fam, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    proto);
	return fd;
}

/* Open and send one check: 0, or -errno (a failed check). */
static int send_check(struct xmd_export_probe *x)
{
	const struct xm_export_cfg *c = &x->e.cfg;
	struct sockaddr_storage ss;
	socklen_t len = target_sa(c, c->port, &ss);
	uint32_t events = EPOLLIN;
	uint8_t echo[16] = { 0 };
	int fd, err;

	if (c->check == XM_CHECK_ICMP)
		fd = icmp_socket(x);
	else
		fd = socket(ss.ss_family, (c->check == XM_CHECK_TCP ?
					   SOCK_STREAM : SOCK_DGRAM) |
			    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	x->w.fd = fd;
	if (c->dev[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c->dev,
				    (socklen_t)strlen(c->dev)))
		goto fail;
	switch (c->check) {
	case XM_CHECK_ICMP:
		x->seq++;
		echo[0] = ss.ss_family == AF_INET ? ICMP_ECHO :
						     ICMP6_ECHO_REQUEST;
		echo[4] = (uint8_t)(x->id >> 8);
		echo[5] = (uint8_t)x->id;
		echo[6] = (uint8_t)(x->seq >> 8);
		echo[7] = (uint8_t)x->seq;
		memcpy(echo + 8, "xmeshexp", 8);
		if (ss.ss_family == AF_INET) {
			uint16_t sum = inet_csum(echo, sizeof(echo));

			echo[2] = (uint8_t)(sum >> 8);
			echo[3] = (uint8_t)sum;
		}
		if (sendto(fd, echo, sizeof(echo), 0, (struct sockaddr *)&ss,
			   len) < 0)
			goto fail;
		break;
	case XM_CHECK_TCP:
		if (connect(fd, (struct sockaddr *)&ss, len) &&
		    errno != EINPROGRESS)
			goto fail;
		events = EPOLLOUT;
		break;
	case XM_CHECK_UDP:
		if (connect(fd, (struct sockaddr *)&ss, len) ||
		    send(fd, "xmesh export check\n", 19, 0) < 0)
			goto fail;
		break;
	}
	err = xmd_watch_add(x->set->epfd, &x->w, events);
	if (err) {
		errno = -err;
		goto fail;
	}
	return 0;
fail:
	err = errno;
	close(fd);
	x->w.fd = -1;
	return -err;
}

void xmd_exports_start(struct xmd_exports *s, int epfd,
		       const struct xmd_config *cfg, xm_time now,
		       const struct xmd_exports *old)
{
	unsigned int i, j;

	s->epfd = epfd;
	s->n = 0;
	for (i = 0; i < cfg->n_exports && i < XM_EXPORT_MAX; i++) {
		struct xmd_export_probe *x = &s->x[s->n++];

		memset(x, 0, sizeof(*x));
		x->w.fd = -1;
		x->w.fn = on_event;
		x->set = s;
		x->id = (uint16_t)(getpid() * 8 + i);
		x->next_check = now;
		xm_export_init(&x->e, &cfg->exports[i], now);
		for (j = 0; old && j < old->n; j++)
			if (!memcmp(&old->x[j].e.cfg, &cfg->exports[i],
				    sizeof(cfg->exports[i]))) {
				x->e = old->x[j].e;
				x->seq = old->x[j].seq;
				x->next_check = old->x[j].next_check;
			}
	}
}

void xmd_exports_stop(struct xmd_exports *s)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		close_check(&s->x[i]);
	s->n = 0;
}

void xmd_exports_timer(struct xmd_exports *s, xm_time now)
{
	unsigned int i;

	for (i = 0; i < s->n; i++) {
		struct xmd_export_probe *x = &s->x[i];
		int err;

		if (xm_export_tick(&x->e, now) && s->changed)
			s->changed(s->arg, now, &x->e);
		if (now < x->next_check)
			continue;
		if (x->w.fd >= 0)
			result(x, now, false, ETIMEDOUT);
		/* On the beat, not drifting with the loop's lateness. */
		x->next_check += x->e.cfg.interval_ms;
		if (x->next_check <= now)
			x->next_check = now + x->e.cfg.interval_ms;
		err = send_check(x);
		if (err)
			result(x, now, false, -err);
	}
}

xm_time xmd_exports_next(const struct xmd_exports *s)
{
	xm_time next = XM_NEVER, t;
	unsigned int i;

	for (i = 0; i < s->n; i++) {
		t = xm_export_next(&s->x[i].e);
		if (s->x[i].next_check < t)
			t = s->x[i].next_check;
		if (t < next)
			next = t;
	}
	return next;
}

unsigned int xmd_exports_prefixes(const struct xmd_exports *s,
				  struct xm_prefix4or6 *p, uint16_t *prio,
				  unsigned int n, unsigned int max)
{
	unsigned int i;

	for (i = 0; i < s->n && n < max; i++)
		if (s->x[i].e.advertised) {
			p[n] = s->x[i].e.cfg.prefix;
			prio[n++] = s->x[i].e.cfg.priority;
		}
	return n;
}

/* ---- xmesh export show ---- */

static json_object *j_u64(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

static json_object *j_prefix(const struct xm_prefix4or6 *p)
{
	char buf[XM_ADDRSTRLEN];

	return json_object_new_string(xm_prefix_str(&p->addr, p->len, buf,
						    sizeof(buf)));
}

static const char *probe_state(const struct xm_export *e)
{
	return e->advertised ? "up" : e->healthy ? "hold" : "down";
}

static json_object *export_json(const struct xmd_export_probe *x,
				xm_time now)
{
	const struct xm_export *e = &x->e;
	json_object *o = json_object_new_object();
	char buf[XM_ADDRSTRLEN];

	json_object_object_add(o, "prefix", j_prefix(&e->cfg.prefix));
	json_object_object_add(o, "target", json_object_new_string(
		xm_addr_str(&e->cfg.target, buf, sizeof(buf))));
	json_object_object_add(o, "check", json_object_new_string(
		xm_export_check_name(e->cfg.check)));
	if (e->cfg.check != XM_CHECK_ICMP)
		json_object_object_add(o, "port", j_u64(e->cfg.port));
	if (e->cfg.dev[0])
		json_object_object_add(o, "dev",
				       json_object_new_string(e->cfg.dev));
	json_object_object_add(o, "priority", j_u64(e->cfg.priority));
	json_object_object_add(o, "interval_ms", j_u64(e->cfg.interval_ms));
	json_object_object_add(o, "fall", j_u64(e->cfg.fall));
	json_object_object_add(o, "rise", j_u64(e->cfg.rise));
	json_object_object_add(o, "hold_s", j_u64(e->cfg.hold_s));
	json_object_object_add(o, "state",
			       json_object_new_string(probe_state(e)));
	json_object_object_add(o, "advertised",
			       json_object_new_boolean(e->advertised));
	json_object_object_add(o, "since_ms", j_u64(now - e->since));
	json_object_object_add(o, "last", json_object_new_string(
		!e->has_result ? "none" : e->last_ok ? "ok" : "failed"));
	if (e->has_result && !e->last_ok && x->last_errno)
		json_object_object_add(o, "last_error", json_object_new_string(
			strerror(x->last_errno)));
	if (e->has_result)
		json_object_object_add(o, "last_ms", j_u64(now - e->last));
	if (e->healthy && !e->advertised && xm_export_next(e) != XM_NEVER)
		json_object_object_add(o, "hold_left_ms",
				       j_u64(xm_export_next(e) > now ?
					     xm_export_next(e) - now : 0));
	json_object_object_add(o, "checks", j_u64(e->checks));
	json_object_object_add(o, "failures", j_u64(e->failures));
	return o;
}

/* The prefix's advertisers and the one chosen. */
static json_object *advertisers_json(const struct xm_prefix4or6 *p,
				     const struct xm_core *c,
				     xm_core_node_fn *node, uint32_t self)
{
	struct xm_advertiser adv[64];
	const struct xm_advertiser *chosen;
	json_object *o = json_object_new_object(), *a;
	size_t i, n = xm_core_advertisers(c, node, p, adv, 64);

	if (n > 64)
		n = 64;
	chosen = xm_advertiser_chosen(adv, n, self);
	json_object_object_add(o, "prefix", j_prefix(p));
	json_object_object_add(o, "chosen", chosen ? j_u64(chosen->node) :
						     NULL);
	a = json_object_new_array();
	json_object_object_add(o, "advertisers", a);
	for (i = 0; i < n; i++) {
		json_object *v = json_object_new_object();

		json_object_object_add(v, "node", j_u64(adv[i].node));
		json_object_object_add(v, "priority", j_u64(adv[i].priority));
		json_object_object_add(v, "reachable",
				       json_object_new_boolean(adv[i].reachable));
		if (adv[i].reachable)
			json_object_object_add(v, "cost", j_u64(adv[i].cost));
		json_object_object_add(v, "chosen",
				       json_object_new_boolean(&adv[i] == chosen));
		json_object_array_add(a, v);
	}
	return o;
}

static bool listed(const struct xm_prefix4or6 *v, size_t n,
		   const struct xm_prefix4or6 *p)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (xm_prefix_eq(&v[i].addr, v[i].len, &p->addr, p->len))
			return true;
	return false;
}

json_object *xmd_exports_json(const struct xmd_exports *s,
			      const struct xm_core *c, xm_core_node_fn *node,
			      uint32_t self, xm_time now)
{
	json_object *o = json_object_new_object(), *a;
	struct xm_prefix4or6 seen[XM_EXPORT_MAX + 64];
	struct xm_node_status st;
	size_t i, n = 0;
	unsigned int j;

	a = json_object_new_array();
	json_object_object_add(o, "exports", a);
	for (i = 0; s && i < s->n; i++) {
		json_object_array_add(a, export_json(&s->x[i], now));
		seen[n++] = s->x[i].e.cfg.prefix;
	}
	/* Every prefix advertised with a priority, ours first. */
	for (i = 0; node(c, i, &st); i++)
		for (j = 0; j < st.n_prefixes && n < sizeof(seen) /
				sizeof(seen[0]); j++)
			if (st.prefix_prio[j] &&
			    !listed(seen, n, &st.prefixes[j]))
				seen[n++] = st.prefixes[j];
	a = json_object_new_array();
	json_object_object_add(o, "prefixes", a);
	for (i = 0; i < n; i++)
		json_object_array_add(a, advertisers_json(&seen[i], c, node,
							  self));
	return o;
}
