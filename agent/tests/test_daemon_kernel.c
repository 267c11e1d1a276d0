// SPDX-License-Identifier: GPL-2.0
/*
 * xmeshd's kernel sync against an in-process stand-in for the kernel:
 * what one diff sends (and that an unchanged table sends nothing), the
 * host routes that follow the prefixes, the urgent neighbor-down, and
 * what a refused change leaves behind.
 */
#include <errno.h>
#include <linux/rtnetlink.h>

#include "tap.h"
#include "nlbuild.h"
#include "../daemon/kernel.h"

/* The stand-in: counts messages per command, refuses one if asked. */
struct fake {
	int round_trips;
	int cmds[XMESH_CMD_MAX + 1];
	int entries;
	uint8_t refuse;		/* this command fails with -EINVAL */
	int routes_added, routes_deleted;
	struct xm_neigh last_neigh;
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
		const struct nlattr *a;

		res[m].done = true;
		if (g->cmd == f->refuse) {
			res[m].e.err = -EINVAL;
			snprintf(res[m].e.msg, sizeof(res[m].e.msg), "no");
			continue;
		}
		f->cmds[g->cmd]++;
		mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
			if (mnl_attr_get_type(a) == XMESH_A_NEIGH)
				xm_neigh_parse(a, &f->last_neigh);
			f->entries += mnl_attr_get_type(a) >= XMESH_A_NEIGH &&
				      mnl_attr_get_type(a) <= XMESH_A_PREFIX;
		}
	}
	return 0;
}

static int fake_rt(struct nlc_sock *s, struct nlc_batch *b,
		   struct nlc_result *res, void *priv)
{
	struct fake *f = priv;
	size_t m;

	(void)s;
	for (m = 0; m < b->n; m++) {
		const struct nlmsghdr *nlh = nlc_batch_msg(b, m);

		res[m].done = true;
		if (nlh->nlmsg_type == RTM_NEWROUTE)
			f->routes_added++;
		else
			f->routes_deleted++;
	}
	return 0;
}

static struct xm_fib_neigh neighs[2];
static struct xm_fib_route routes[2];
static struct xm_fib_prefix prefixes[3];
static struct xm_fib want = { .neighs = neighs, .routes = routes,
			      .prefixes = prefixes };

static void want_setup(void)
{
	memset(neighs, 0, sizeof(neighs));
	memset(routes, 0, sizeof(routes));
	memset(prefixes, 0, sizeof(prefixes));
	neighs[0] = (struct xm_fib_neigh){ .id = 10, .node = 2, .ifindex = 1,
					   .port = 7600, .up = true };
	xm_parse_addr("10.9.1.2", &neighs[0].remote, NULL);
	routes[0].dst = 2;
	routes[0].n_nexthops = 1;
	routes[0].nexthop[0].neigh = 10;
	prefixes[0].node = 1;
	xm_parse_prefix("10.99.0.1/32", &prefixes[0].prefix.addr,
			&prefixes[0].prefix.len);
	prefixes[1].node = 2;
	xm_parse_prefix("10.99.0.2/32", &prefixes[1].prefix.addr,
			&prefixes[1].prefix.len);
	want.n_neighs = 1;
	want.n_routes = 1;
	want.n_prefixes = 2;
	xm_fib_sort(&want);
}

int main(void)
{
	struct xmd_stats st = { 0 };
	struct xmd_kernel k;
	struct fake f = { 0 };
	int ret;

	memset(&k, 0, sizeof(k));
	k.ifindex = 9;
	k.self = 1;
	k.stats = &st;
	k.nl.sock.fake = fake_genl;
	k.nl.sock.fake_priv = &f;
	k.rt.sock.fake = fake_rt;
	k.rt.sock.fake_priv = &f;
	/* As read at start: an empty device, no host routes. */
	k.have_ok = k.routes_ok = true;
	want_setup();

	ret = xmd_kernel_sync(&k, &want);
	is_int(ret, 0, "sync: applied");
	is_int(f.round_trips, 1, "sync: one round trip for the whole diff");
	is_int(f.cmds[XMESH_CMD_NEIGH_NEW], 1, "sync: the neighbor");
	is_int(f.cmds[XMESH_CMD_ROUTE_NEW], 1, "sync: the route");
	is_int(f.cmds[XMESH_CMD_PREFIX_NEW], 1,
	       "sync: the prefixes, in one message");
	is_int(f.entries, 4, "sync: four entries");
	is_int(f.routes_added, 1,
	       "sync: one host route, to the other node's prefix only");
	is_int((long long)st.fib_syncs, 1, "sync: counted");
	is_int((long long)st.fib_changes, 4, "sync: changes counted");
	is_int((long long)st.hostroute_changes, 1, "sync: host route counted");
	is_int((long long)k.have.n_prefixes, 2, "sync: what is applied is known");

	memset(&f, 0, sizeof(f));
	ret = xmd_kernel_sync(&k, &want);
	ok(!ret && !f.round_trips && !f.routes_added && !f.routes_deleted,
	   "sync again, nothing changed: nothing sent (no churn)");

	ret = xmd_kernel_neigh_down(&k, 10);
	ok(!ret && f.cmds[XMESH_CMD_NEIGH_SET] == 1 &&
	   f.last_neigh.id == 10 && f.last_neigh.state == XMESH_NEIGH_DOWN,
	   "neighbor down: NEIGH_SET state down");
	is_int((long long)st.neigh_down_sent, 1, "neighbor down: counted");
	ok(!k.have.neighs[0].up, "neighbor down: known as down");
	memset(&f, 0, sizeof(f));
	xmd_kernel_sync(&k, &want);
	ok(f.cmds[XMESH_CMD_NEIGH_SET] == 1 && !f.cmds[XMESH_CMD_NEIGH_NEW] &&
	   f.last_neigh.state == XMESH_NEIGH_UP && f.round_trips == 1,
	   "the core wants it up again: the next sync sets it up");

	/* The other node's prefix goes: its host route too. */
	memset(&f, 0, sizeof(f));
	want.n_prefixes = 1;
	xmd_kernel_sync(&k, &want);
	ok(f.cmds[XMESH_CMD_PREFIX_DEL] == 1 && f.routes_deleted == 1 &&
	   !f.routes_added, "a prefix withdrawn: prefix and host route deleted");

	/* A refused change: the tables must be read again before the next
	 * diff (reading them is out of this stand-in's reach). */
	memset(&f, 0, sizeof(f));
	want.n_prefixes = 2;
	f.refuse = XMESH_CMD_PREFIX_NEW;
	cap_begin();
	ret = xmd_kernel_sync(&k, &want);
	ok(strstr(cap_end(), "warn: the kernel refused prefix-new replace (1 change): no") != NULL,
	   "sync: the refusal is logged with the kernel's message");
	ok(ret < 0, "sync: a refused change fails the sync");
	ok(!k.have_ok, "sync: then the kernel's tables are to be read again");
	is_int((long long)st.fib_errors, 1, "sync: the refusal counted");

	xm_fib_free(&k.have);
	free(k.routes);
	return tap_done();
}
