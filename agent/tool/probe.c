// SPDX-License-Identifier: GPL-2.0
#include "probe.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t xm_signalled;

static void on_signal(int sig)
{
	xm_signalled = sig;
}

void xm_catch_signals(void)
{
	struct sigaction sa;

	/* No SA_RESTART: poll() must return so the loop can stop. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int sleep_until(uint64_t deadline)
{
	struct timespec ts;
	uint64_t now;

	while ((now = now_ns()) < deadline) {
		if (xm_signalled)
			return -EINTR;
		ts.tv_sec = (time_t)((deadline - now) / 1000000000u);
		ts.tv_nsec = (long)((deadline - now) % 1000000000u);
		if (nanosleep(&ts, NULL) < 0 && errno == EINTR &&
		    xm_signalled)
			return -EINTR;
	}
	return 0;
}

int probe_open(struct ctx *c, const char *dev, struct prober *p)
{
	int err;

	memset(p, 0, sizeof(*p));
	p->req = ctx_nl(c);
	if (!p->req)
		return XM_EXIT_FAIL;
	p->di = ctx_devinfo(c, dev);
	if (!p->di)
		return XM_EXIT_FAIL;
	err = xmnl_open(&p->ev);
	if (err)
		return pr_open_err(err);
	p->ev_open = true;
	/* Joined before any probe leaves, so no answer can be missed. */
	err = xmnl_join(&p->ev, XMESH_MCGRP_OAM);
	if (err) {
		pr_err("cannot join the \"%s\" group: %s.", XMESH_MCGRP_OAM,
		       strerror(-err));
		probe_close(p);
		return XM_EXIT_FAIL;
	}
	p->ident = (uint16_t)(getpid() & 0xffff);
	return XM_EXIT_OK;
}

void probe_close(struct prober *p)
{
	if (p->ev_open)
		xmnl_close(&p->ev);
	p->ev_open = false;
}

int probe_send(struct prober *p, uint32_t dst, uint32_t seq,
	       uint8_t hop_limit, struct nlc_error *e)
{
	struct xm_entry ent = { .type = XMESH_A_OAM };
	struct xm_oam *o = &ent.oam;

	o->dst = dst;
	o->ident = p->ident;
	o->seq = seq;
	o->hop_limit = hop_limit;
	XM_SET(o, XMESH_OAM_A_DST);
	XM_SET(o, XMESH_OAM_A_IDENT);
	XM_SET(o, XMESH_OAM_A_SEQ);
	if (hop_limit)
		XM_SET(o, XMESH_OAM_A_HOP_LIMIT);
	return xmnl_request(p->req, XMESH_CMD_OAM_SEND, 0, 0, p->di->ifindex,
			    NULL, &ent, e);
}

struct match {
	const struct prober *p;
	uint32_t dst, seq;
	bool found;
	struct xm_oam *ans;
};

static int match_cb(const struct xm_msg_info *info, const struct xm_entry *e,
		    void *data)
{
	struct match *m = data;
	const struct xm_oam *o = &e->oam;

	if (info->cmd != XMESH_CMD_OAM_EVENT || e->type != XMESH_A_OAM ||
	    m->found)
		return 0;
	if (info->ifindex && info->ifindex != m->p->di->ifindex)
		return 0;
	if (!XM_HAS(o, XMESH_OAM_A_IDENT) || o->ident != m->p->ident ||
	    !XM_HAS(o, XMESH_OAM_A_SEQ) || o->seq != m->seq ||
	    (XM_HAS(o, XMESH_OAM_A_DST) && o->dst != m->dst))
		return 0;
	*m->ans = *o;
	m->found = true;
	return 0;
}

int probe_wait(struct prober *p, uint32_t dst, uint32_t seq,
	       uint64_t deadline, struct xm_oam *ans)
{
	struct match m = { .p = p, .dst = dst, .seq = seq, .ans = ans };
	uint64_t now;
	int ret;

	while (!m.found) {
		if (xm_signalled)
			return -EINTR;
		now = now_ns();
		if (now >= deadline)
			return 0;
		/* Round up so a wait never ends a hair early. */
		ret = xmnl_events(&p->ev, (int)((deadline - now + 999999) /
						1000000), match_cb, &m);
		if (ret == -ENOBUFS) {
			fflush(stdout);
			fprintf(stderr, "Warning: OAM answers were lost (receive buffer overrun).\n");
			continue;
		}
		if (ret == -EINTR && !xm_signalled)
			continue;
		if (ret < 0)
			return ret;
	}
	return 1;
}
