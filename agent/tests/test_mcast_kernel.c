// SPDX-License-Identifier: GPL-2.0
/*
 * xmeshd on a module older than multicast routes (a stand-in for the
 * kernel that refuses every mroute command with EOPNOTSUPP, as genetlink
 * does for a command its family lacks): the first sync notices it, warns
 * once and still succeeds with the other tables; later syncs write no
 * multicast route and do not read the tables again; another refusal
 * still fails a sync. The same with a module that has multicast routes
 * but not the attributes this agent writes in them (refused as unknown,
 * EINVAL, by its strict policy).
 */
#include <errno.h>
#include <linux/rtnetlink.h>

#include "tap.h"
#include "nlbuild.h"
#include "../daemon/kernel.h"

struct fake {
	int round_trips;
	int cmds[XMESH_CMD_MAX + 1];
	uint8_t refuse;		/* also fails, with -EINVAL */
	bool old_attrs;		/* mroutes refused as unknown attributes */
};

/* The module's answer to a command: counted; the mroutes it lacks. */
static int verdict(struct fake *f, uint8_t cmd)
{
	f->cmds[cmd]++;
	/* An older module takes a delete: it names the key only. */
	if (cmd == XMESH_CMD_MROUTE_NEW && f->old_attrs)
		return -EINVAL;
	if ((cmd == XMESH_CMD_MROUTE_NEW || cmd == XMESH_CMD_MROUTE_DEL) &&
	    !f->old_attrs)
		return -EOPNOTSUPP;
	return cmd == f->refuse ? -EINVAL : 0;
}

/* Both sockets: genetlink with priv the fake, rtnetlink (NULL) all ok. */
static int fake_nl(struct nlc_sock *s, struct nlc_batch *b,
		   struct nlc_result *res, void *priv)
{
	struct fake *f = priv;
	size_t m;

	(void)s;
	if (f)
		f->round_trips++;
	for (m = 0; m < b->n; m++) {
		const struct genlmsghdr *g =
			mnl_nlmsg_get_payload(nlc_batch_msg(b, m));

		res[m] = (struct nlc_result){
			.done = true, .e.err = f ? verdict(f, g->cmd) : 0,
		};
		if (res[m].e.err == -EINVAL && f->old_attrs)
			strcpy(res[m].e.msg, "Unknown attribute type");
	}
	return 0;
}

/* One neighbor (10, to node 2), a route over it, two trees' routes. */
static struct xm_fib_neigh neighs[1] = {
	{ .id = 10, .node = 2, .ifindex = 1, .port = 7600, .up = true },
};
static struct xm_fib_route routes[1] = {
	{ .dst = 2, .n_nexthops = 1, .nexthop = { { .neigh = 10 } } },
};
static struct xm_fib_mroute mroutes[2] = {
	{ .root = 1, .n_neighs = 1, .neigh = { 10 } },
	{ .root = 1, .n_neighs = 1, .neigh = { 10 } },
};
static struct xm_fib want = {
	.neighs = neighs, .routes = routes, .mroutes = mroutes,
	.n_neighs = 1, .n_routes = 1, .n_mroutes = 1,
};

static void want_setup(void)
{
	xm_parse_addr("10.9.1.2", &neighs[0].remote, NULL);
	xm_parse_addr("239.1.2.3", &mroutes[0].group, NULL);
	xm_parse_addr("239.1.2.4", &mroutes[1].group, NULL);
}

/* Node 1 on device 9, its tables as read at start: empty. */
static struct xmd_kernel kernel_of(struct fake *f, struct xmd_stats *st)
{
	return (struct xmd_kernel){
		.nl.sock = { .fake = fake_nl, .fake_priv = f },
		.rt.sock = { .fake = fake_nl },
		.ifindex = 9, .self = 1, .stats = st,
		.have_ok = true, .routes_ok = true,
	};
}

/* A module one step older: multicast routes, not their attributes. */
static int old_attrs(void)
{
	struct xmd_stats st = { 0 };
	struct fake f = { .old_attrs = true };
	struct xmd_kernel k = kernel_of(&f, &st);
	const char *log;
	int ret;

	want.n_mroutes = 1;
	mroutes[1].n_cut = 0;
	cap_begin();
	ret = xmd_kernel_sync(&k, &want);
	log = cap_end();
	ok(!ret && f.cmds[XMESH_CMD_ROUTE_NEW] == 1 &&
	   f.cmds[XMESH_CMD_MROUTE_NEW] == 1,
	   "older attributes: the sync succeeds, the mroute tried once");
	ok(k.old_mroute_attrs && st.mroute_refusals == 1 && !st.fib_errors,
	   "older attributes: noticed and counted, no fib error");
	ok(strstr(log, "refuses this agent's multicast route attributes") &&
	   strstr(log, "Unknown attribute type"),
	   "older attributes: one warning with the module's reason");
	ok(!k.have_ok, "older attributes: the tables to be read again");
	/* The trees a previous agent installed, as the read finds them:
	 * deleted, not left frozen without their RPF check. */
	xm_fib_free(&k.have);
	ok(!xmd_fib_copy(&k.have, &want), "a copy of the tables");
	k.have_ok = true;
	memset(&f, 0, sizeof(f));
	f.old_attrs = true;
	ret = xmd_kernel_sync(&k, &want);
	ok(!ret && f.cmds[XMESH_CMD_MROUTE_DEL] == 1 &&
	   !f.cmds[XMESH_CMD_MROUTE_NEW] && !f.cmds[XMESH_CMD_ROUTE_NEW],
	   "older attributes: the tree the module had deleted, nothing more");
	memset(&f, 0, sizeof(f));
	f.old_attrs = true;
	want.n_mroutes = 2;
	cap_begin();
	ret = xmd_kernel_sync(&k, &want);
	log = cap_end();
	ok(!ret && !f.cmds[XMESH_CMD_MROUTE_NEW] && !f.round_trips &&
	   !strstr(log, "warn"),
	   "older attributes: the next sync sends no mroute, warns no more");
	/* The tables read again (after some other error): still latched. */
	k.have_ok = false;
	memset(&f, 0, sizeof(f));
	f.old_attrs = true;
	ret = xmd_kernel_sync(&k, &want);
	ok(!ret && !f.cmds[XMESH_CMD_MROUTE_NEW],
	   "older attributes: a read of the tables does not forget it");
	xm_fib_free(&k.have);
	free(k.routes);
	return tap_done();
}

int main(void)
{
	struct xmd_stats st = { 0 };
	struct fake f = { 0 };
	struct xmd_kernel k = kernel_of(&f, &st);
	const char *log;
	int ret;

	want_setup();

	cap_begin();
	ret = xmd_kernel_sync(&k, &want);
	log = cap_end();
	is_int(ret, 0, "first sync: succeeds though the mroute is refused");
	ok(f.cmds[XMESH_CMD_NEIGH_NEW] == 1 && f.cmds[XMESH_CMD_ROUTE_NEW] == 1,
	   "first sync: the neighbor and the route are written");
	is_int(f.cmds[XMESH_CMD_MROUTE_NEW], 1, "first sync: the mroute tried");
	ok(k.no_mroutes && st.mroute_refusals == 1,
	   "first sync: noticed, the refusal counted");
	ok(strstr(log, "no multicast routes") && !strstr(log, "refused"),
	   "first sync: one warning, not a refusal's");
	is_int((long long)st.fib_errors, 0, "first sync: no fib error counted");
	ok(k.have_ok, "first sync: the tables need not be read again");

	/* A group more: the next sync writes no multicast route at all. */
	memset(&f, 0, sizeof(f));
	want.n_mroutes = 2;
	cap_begin();
	ret = xmd_kernel_sync(&k, &want);
	log = cap_end();
	ok(!ret && !f.cmds[XMESH_CMD_MROUTE_NEW] && !f.round_trips,
	   "next sync: no mroute sent, nothing else to send");
	ok(!strstr(log, "warn"), "next sync: no warning again");

	/* The other tables still sync, and their refusals still count. */
	memset(&f, 0, sizeof(f));
	routes[0].nexthop[0].priority = 1;
	f.refuse = XMESH_CMD_ROUTE_NEW;
	cap_begin();
	ret = xmd_kernel_sync(&k, &want);
	log = cap_end();
	ok(ret < 0 && !k.have_ok && st.fib_errors == 1,
	   "another table's refusal still fails the sync");
	is_int(f.cmds[XMESH_CMD_MROUTE_NEW], 0, "and sends no mroute");

	/* A tree node with children past the 16 branches: counted, warned. */
	mroutes[1].n_cut = 3;
	cap_begin();
	xmd_kernel_sync(&k, &want);
	log = cap_end();
	ok(st.mroute_children_cut == 3 && st.mroutes_cut == 1 &&
	   strstr(log, "3 tree children in 1 multicast route past"),
	   "children past the branches: counted and warned");
	cap_begin();
	xmd_kernel_sync(&k, &want);
	log = cap_end();
	ok(!strstr(log, "tree children"), "and warned once");

	xm_fib_free(&k.have);
	free(k.routes);
	return old_attrs();
}
