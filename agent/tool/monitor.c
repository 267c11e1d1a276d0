// SPDX-License-Identifier: GPL-2.0
/* xmesh monitor: neighbor, route, OAM and agent events, one line each. */
#include "probe.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

void usage_monitor(FILE *fp)
{
	fputs("Usage: xmesh monitor [ all | neigh | route | oam | agent ]... [ dev DEV ]\n"
	      "Prints each event on one line (one JSON object with -j) until\n"
	      "interrupted. Without dev, events of every xmesh device. all\n"
	      "adds xmeshd's events when it runs; agent wants them.\n", fp);
}

enum {
	MON_NEIGH = 1, MON_ROUTE = 2, MON_OAM = 4,
	MON_KERNEL = 7,
	MON_AGENT = 8,		/* asked for: xmeshd must answer */
	MON_AGENT_MAYBE = 16,	/* with all: when xmeshd answers */
};

static int mon_none(struct ctx *c, int argc, char **argv)
{
	(void)c, (void)argc, (void)argv;
	return 0;
}

static const struct cmd what_cmds[] = {
	{ "all", NULL, mon_none, CMD_RUN },
	{ "neigh", "neighbor neighbour", mon_none, CMD_RUN },
	{ "route", NULL, mon_none, CMD_RUN },
	{ "oam", NULL, mon_none, CMD_RUN },
	{ "agent", NULL, mon_none, CMD_RUN },
	{ NULL, NULL, NULL, CMD_RUN },
};

struct monitor {
	struct ctx *c;
	unsigned int mask;
	const char *dev;		/* only this device's events, or NULL */
};

static int event_cb(const struct xm_msg_info *info, const struct xm_entry *e,
		    void *data)
{
	struct monitor *m = data;
	struct out *o = &m->c->out;
	bool deleted = info->cmd == XMESH_CMD_NEIGH_DEL;
	const char *what;

	if (m->dev && strcmp(info->ifname, m->dev))
		return 0;
	if ((info->cmd == XMESH_CMD_NEIGH_EVENT || deleted) &&
	    e->type == XMESH_A_NEIGH && (m->mask & MON_NEIGH))
		what = "neigh";
	else if (info->cmd == XMESH_CMD_ROUTE_EVENT &&
		 e->type == XMESH_A_ROUTE && (m->mask & MON_ROUTE))
		what = "route";
	else if (info->cmd == XMESH_CMD_OAM_EVENT &&
		 e->type == XMESH_A_OAM && (m->mask & MON_OAM))
		what = "oam";
	else
		return 0;

	out_obj_begin(o, NULL);
	out_str(o, "event", NULL, what);
	out_str(o, "dev", NULL, info->ifname);
	if (deleted)
		out_bool(o, "deleted", "Deleted", true);
	out_text(o, "%s%s", o->line_start ? "" : " ", what);
	if (e->type == XMESH_A_NEIGH)
		print_neigh_fields(o, &e->neigh);
	else if (e->type == XMESH_A_ROUTE)
		print_route_fields(o, &e->route);
	else
		print_oam_fields(o, &e->oam);
	out_str(o, NULL, "dev", info->ifname[0] ? info->ifname : "?");
	out_nl(o);
	out_obj_end(o);
	fflush(o->fp);
	return 0;
}

void print_agent_event(struct out *o, json_object *ev)
{
	json_object *v;

	if (o->json) {
		out_json(o, NULL, ev);
		return;
	}
	v = jget(ev, "level");
	out_text(o, "agent %s: %s", v ? json_object_get_string(v) : "info",
		 json_object_get_string(jget(ev, "text")));
	out_nl(o);
	fflush(o->fp);
}

/* Subscribe to xmeshd's events: 0, or an exit status (told why unless
 * quiet). */
static int agent_subscribe(struct ctx *c, struct xmesh_conn *a, bool quiet)
{
	json_object *r, *req;
	int ret = agent_open(c, a, quiet), err;

	if (ret)
		return ret;
	req = agent_cmd("monitor");
	err = agent_send(a, req);
	json_object_put(req);
	if (err ||
	    !(r = agent_read(a, 10000)) || !jget(r, "monitor")) {
		if (!quiet)
			pr_err("xmeshd did not accept the monitor request.");
		xmesh_conn_close(a);
		return XM_EXIT_FAIL;
	}
	json_object_put(r);
	return XM_EXIT_OK;
}

/* What xmeshd sent: 0, or -1 when it went away. */
static int agent_events(struct out *o, struct xmesh_conn *a)
{
	json_object *ev;
	int ret = xmesh_conn_fill(a);

	while ((ev = agent_next(a))) {
		if (jget(ev, "event"))
			print_agent_event(o, ev);
		json_object_put(ev);
	}
	return ret > 0 ? 0 : -1;
}

int do_monitor(struct ctx *c, int argc, char **argv)
{
	struct monitor m = { .c = c };
	struct xmesh_conn a = { .fd = -1 };
	struct pollfd pfd[2];
	const struct cmd *w;
	struct xmnl *h = NULL;
	int ret, n;

	for (; argc > 0; argc--, argv++) {
		if (is_help(argv[0])) {
			usage_monitor(stdout);
			return XM_EXIT_OK;
		}
		if (!strcmp(argv[0], "dev")) {
			ret = arg_dev(&argc, &argv, &m.dev);
			if (ret)
				return ret;
			continue;
		}
		w = cmd_match(argv[0], what_cmds, "event kind");
		if (!w)
			return XM_EXIT_USAGE;
		m.mask |= w == &what_cmds[0] ? MON_KERNEL | MON_AGENT_MAYBE :
			  w == &what_cmds[1] ? MON_NEIGH :
			  w == &what_cmds[2] ? MON_ROUTE :
			  w == &what_cmds[3] ? MON_OAM : MON_AGENT;
	}
	if (!m.mask)
		m.mask = MON_KERNEL | MON_AGENT_MAYBE;
	if (!m.dev)
		m.dev = c->dev;
	if (m.mask & MON_KERNEL) {
		h = ctx_nl(c);
		if (!h)
			return XM_EXIT_FAIL;
		if ((m.mask & (MON_NEIGH | MON_ROUTE)) &&
		    (ret = xmnl_join(h, XMESH_MCGRP_EVENTS)) < 0)
			goto join_failed;
		if ((m.mask & MON_OAM) &&
		    (ret = xmnl_join(h, XMESH_MCGRP_OAM)) < 0)
			goto join_failed;
	}
	if (m.mask & (MON_AGENT | MON_AGENT_MAYBE)) {
		ret = agent_subscribe(c, &a, !(m.mask & MON_AGENT));
		if (ret && (m.mask & MON_AGENT))
			return ret;
	}

	xm_catch_signals();
	while (!xm_signalled) {
		n = 0;
		if (h)
			pfd[n++] = (struct pollfd){ .fd = xmnl_fd(h),
						    .events = POLLIN };
		if (a.fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = a.fd,
						    .events = POLLIN };
		if (!n)
			break;
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_err("poll: %s.", strerror(errno));
			ret = XM_EXIT_FAIL;
			goto out;
		}
		if (a.fd >= 0 && pfd[n - 1].revents &&
		    agent_events(&c->out, &a)) {
			fflush(stdout);
			fprintf(stderr, "Warning: xmeshd closed the connection.\n");
			xmesh_conn_close(&a);
			if (!h) {
				ret = XM_EXIT_FAIL;
				goto out;
			}
		}
		if (!h || !pfd[0].revents)
			continue;
		ret = xmnl_events(h, 0, event_cb, &m);
		if (ret == -ENOBUFS) {
			fflush(stdout);
			fprintf(stderr, "Warning: events were lost (receive buffer overrun).\n");
		} else if (ret < 0 && ret != -EINTR) {
			pr_err("receiving events: %s.", strerror(-ret));
			ret = XM_EXIT_FAIL;
			goto out;
		}
	}
	ret = XM_EXIT_OK;
out:
	xmesh_conn_close(&a);
	return ret;

join_failed:
	pr_err("cannot join the module's multicast groups: %s.",
	       strerror(-ret));
	return XM_EXIT_FAIL;
}
