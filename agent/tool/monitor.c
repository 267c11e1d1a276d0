// SPDX-License-Identifier: GPL-2.0
/* xmesh monitor: neighbor, route and OAM events, one line each. */
#include "probe.h"

#include <errno.h>
#include <string.h>

void usage_monitor(FILE *fp)
{
	fputs("Usage: xmesh monitor [ all | neigh | route | oam ]... [ dev DEV ]\n"
	      "Prints each event on one line (one JSON object with -j) until\n"
	      "interrupted. Without dev, events of every xmesh device.\n", fp);
}

enum { MON_NEIGH = 1, MON_ROUTE = 2, MON_OAM = 4, MON_ALL = 7 };

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

int do_monitor(struct ctx *c, int argc, char **argv)
{
	struct monitor m = { .c = c };
	const struct cmd *w;
	struct xmnl *h;
	int ret;

	for (; argc > 0; argc--, argv++) {
		if (is_help(argv[0])) {
			usage_monitor(stdout);
			return XM_EXIT_OK;
		}
		if (!strcmp(argv[0], "dev")) {
			if (m.dev)
				return arg_dup("dev");
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			ret = arg_ifname("device", argv[0]);
			if (ret)
				return ret;
			m.dev = argv[0];
			continue;
		}
		w = cmd_match(argv[0], what_cmds, "event kind");
		if (!w)
			return XM_EXIT_USAGE;
		m.mask |= w == &what_cmds[0] ? MON_ALL :
			  w == &what_cmds[1] ? MON_NEIGH :
			  w == &what_cmds[2] ? MON_ROUTE : MON_OAM;
	}
	if (!m.mask)
		m.mask = MON_ALL;
	if (!m.dev)
		m.dev = c->dev;
	h = ctx_nl(c);
	if (!h)
		return XM_EXIT_FAIL;
	if ((m.mask & (MON_NEIGH | MON_ROUTE)) &&
	    (ret = xmnl_join(h, XMESH_MCGRP_EVENTS)) < 0)
		goto join_failed;
	if ((m.mask & MON_OAM) && (ret = xmnl_join(h, XMESH_MCGRP_OAM)) < 0)
		goto join_failed;

	xm_catch_signals();
	while (!xm_signalled) {
		ret = xmnl_events(h, -1, event_cb, &m);
		if (ret == -ENOBUFS) {
			fflush(stdout);
			fprintf(stderr, "Warning: events were lost (receive buffer overrun).\n");
		} else if (ret < 0 && ret != -EINTR) {
			pr_err("receiving events: %s.", strerror(-ret));
			return XM_EXIT_FAIL;
		}
	}
	return XM_EXIT_OK;

join_failed:
	pr_err("cannot join the module's multicast groups: %s.",
	       strerror(-ret));
	return XM_EXIT_FAIL;
}
