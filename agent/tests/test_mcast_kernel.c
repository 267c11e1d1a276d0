// SPDX-License-Identifier: GPL-2.0
/*
 * xmeshd on a module older than multicast routes (a stand-in for the
 * kernel that refuses every mroute command with EOPNOTSUPP, as genetlink
 * does for a command its family lacks): the first sync notices it, warns
 * once and still succeeds with the other tables; later syncs write no
 * multicast route and do not read the tables again; another refusal
 * still fails a sync.
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
};

static int fake_genl(struct nlc_sock *s, struct nlc_batch *b,
		     struct nlc_result *res, void *priv)
{
	struct fake *f = priv;
	size_t m;

	(void)s;
	f->round_trips++;
	for (m = 0; m < b->n; m++) {
		const struct nlmsghdr *nlh = nlc_batch_msg(b, m);
		const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

		res[m].done = true;
		f->cmds[g->cmd]++;
		if (g->cmd == XMESH_CMD_MROUTE_NEW ||
		    g->cmd == XMESH_CMD_MROUTE_DEL)
			res[m].e.err = -EOPNOTSUPP;
		else if (g->cmd == f->refuse)
			res[m].e.err = -EINVAL;
	}
	return 0;
}

static int fake_rt(struct nlc_sock *s, struct nlc_batch *b,
		   struct nlc_result *res, void *priv)
{
	size_t m;

	(void)s;
	(void)priv;
	for (m = 0; m < b->n; m++)
		res[m].done = true;
	return 0;
}

static struct xm_fib_neigh neighs[1];
static struct xm_fib_route routes[1];
static struct xm_fib_mroute mroutes[2];
static struct xm_fib want = { .neighs = neighs, .routes = routes,
			      .mroutes = mroutes };

static void want_setup(void)
{
	neighs[0] = (struct xm_fib_neigh){ .id = 10, .node = 2, .ifindex = 1,
					   .port = 7600, .up = true };
	xm_parse_addr("10.9.1.2", &neighs[0].remote, NULL);
	routes[0].dst = 2;
	routes[0].n_nexthops = 1;
	routes[0].nexthop[0].neigh = 10;
	mroutes[0].root = 1;
	xm_parse_addr("239.1.2.3", &mroutes[0].group, NULL);
	mroutes[0].n_neighs = 1;
	mroutes[0].neigh[0] = 10;
	mroutes[1] = mroutes[0];
	xm_parse_addr("239.1.2.4", &mroutes[1].group, NULL);
	want.n_neighs = 1;
	want.n_routes = 1;
	want.n_mroutes = 1;
	xm_fib_sort(&want);
}

int main(void)
{
	struct xmd_stats st = { 0 };
	struct xmd_kernel k;
	struct fake f = { 0 };
	const char *log;
	int ret;

	memset(&k, 0, sizeof(k));
	k.ifindex = 9;
	k.self = 1;
	k.stats = &st;
	k.nl.sock.fake = fake_genl;
	k.nl.sock.fake_priv = &f;
	k.rt.sock.fake = fake_rt;
	k.rt.sock.fake_priv = &f;
	k.have_ok = k.routes_ok = true;
	want_setup();

	cap_begin();
	ret = xmd_kernel_sync(&k, &want);
	log = cap_end();
	is_int(ret, 0, "first sync: succeeds though the mroute is refused");
	ok(f.cmds[XMESH_CMD_NEIGH_NEW] == 1 && f.cmds[XMESH_CMD_ROUTE_NEW] == 1,
	   "first sync: the neighbor and the route are written");
	is_int(f.cmds[XMESH_CMD_MROUTE_NEW], 1, "first sync: the mroute tried");
	ok(k.no_mroutes && k.mroute_refusals == 1,
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

	xm_fib_free(&k.have);
	free(k.routes);
	return tap_done();
}
