// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel table diff: what each kind of difference produces, the
 * order of the changes, and random table pairs applied to a model of the
 * module (sim/vkernel.c: a message is checked whole against the tables
 * before it, as xmesh.ko does): the result is what was wanted, nothing is
 * refused, no route ever names a missing neighbor. Then the round trip
 * through a dump and xm_fib_from_kernel().
 */
#include <arpa/inet.h>
#include <errno.h>

#include "../sim/vkernel.h"
#include "tap.h"

#define DEV	9	/* the xmesh device's ifindex */

static uint64_t rng = 99;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)((rng >> 33) % n);
}

static struct xm_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct xm_addr x = { .family = AF_INET };

	x.raw[0] = a;
	x.raw[1] = b;
	x.raw[2] = c;
	x.raw[3] = d;
	return x;
}

/* Tables with room to grow. */
struct tables {
	struct xm_fib f;
	struct xm_fib_neigh n[64];
	struct xm_fib_route r[64];
	struct xm_fib_prefix p[64];
};

static void tables_init(struct tables *t)
{
	memset(t, 0, sizeof(*t));
	t->f.neighs = t->n;
	t->f.routes = t->r;
	t->f.prefixes = t->p;
}

static void add_neigh(struct tables *t, uint32_t id, uint32_t node,
		      uint32_t link, uint8_t host, bool up)
{
	t->n[t->f.n_neighs++] = (struct xm_fib_neigh){
		.id = id, .node = node, .ifindex = link,
		.local = v4(10, 0, (uint8_t)link, 1),
		.remote = v4(10, 0, (uint8_t)link, host),
		.port = 7600, .up = up,
	};
}

static void add_route(struct tables *t, uint32_t dst, unsigned int n,
		      const uint32_t *neigh, const uint8_t *prio)
{
	struct xm_fib_route *r = &t->r[t->f.n_routes++];
	unsigned int i;

	r->dst = dst;
	r->n_nexthops = n;
	for (i = 0; i < n; i++) {
		r->nexthop[i].neigh = neigh[i];
		r->nexthop[i].priority = prio[i];
	}
}

static void add_prefix(struct tables *t, uint8_t net, uint8_t len,
		       uint32_t node)
{
	struct xm_fib_prefix *p = &t->p[t->f.n_prefixes++];

	p->prefix.addr = v4(192, 168, net, 0);
	p->prefix.len = len;
	p->node = node;
}

/* A small mesh's tables: 3 neighbors, 4 routes, 3 prefixes. */
static void full(struct tables *t)
{
	static const uint32_t a[] = { 1, 2 }, b[] = { 3 }, c[] = { 2, 1, 3 };
	static const uint8_t p0[] = { 0, 0 }, p1[] = { 0 },
			     p2[] = { 0, 1, 2 };

	tables_init(t);
	add_neigh(t, 1, 20, 2, 20, true);
	add_neigh(t, 2, 30, 3, 30, true);
	add_neigh(t, 3, 40, 2, 40, false);
	add_route(t, 20, 1, a, p1);
	add_route(t, 30, 2, a, p0);
	add_route(t, 40, 1, b, p1);
	add_route(t, 50, 3, c, p2);
	add_prefix(t, 1, 24, 20);
	add_prefix(t, 2, 24, 30);
	add_prefix(t, 3, 24, 50);
	xm_fib_sort(&t->f);
}

/* The diff of want against have, as "cmd cmd ...". */
static size_t diff(const struct xm_fib *want, const struct xm_fib *have,
		   struct xm_change **c)
{
	size_t n = 0;

	*c = NULL;
	if (xm_fib_diff(want, have, DEV, c, &n)) {
		fprintf(stderr, "xm_fib_diff failed\n");
		exit(2);
	}
	return n;
}

static const char *cmds(const struct xm_change *c, size_t n)
{
	static char buf[512];
	static const char *const name[] = {
		[XMESH_CMD_NEIGH_NEW] = "neigh-new",
		[XMESH_CMD_NEIGH_SET] = "neigh-set",
		[XMESH_CMD_NEIGH_DEL] = "neigh-del",
		[XMESH_CMD_ROUTE_NEW] = "route-new",
		[XMESH_CMD_ROUTE_DEL] = "route-del",
		[XMESH_CMD_PREFIX_NEW] = "prefix-new",
		[XMESH_CMD_PREFIX_DEL] = "prefix-del",
	};
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s",
				i ? " " : "", name[c[i].cmd]);
	return buf;
}

static void empty_to_full(void)
{
	struct tables want, none;
	struct xm_change *c;
	size_t n, i;
	bool fields = true;

	full(&want);
	tables_init(&none);
	n = diff(&want.f, &none.f, &c);
	is_str(cmds(c, n), "neigh-new neigh-new neigh-new route-new route-new "
	       "route-new route-new prefix-new prefix-new prefix-new",
	       "empty -> full: neighbors, routes, prefixes");
	for (i = 0; i < n; i++)
		fields &= c[i].replace && c[i].ifindex == DEV && !c[i].flush;
	ok(fields, "every change: replace, on the device's ifindex");
	ok(c[2].e.type == XMESH_A_NEIGH && c[2].e.neigh.id == 3 &&
	   c[2].e.neigh.node == 40 && c[2].e.neigh.link == 2 &&
	   c[2].e.neigh.state == XMESH_NEIGH_DOWN &&
	   c[2].e.neigh.port == 7600 &&
	   XM_HAS(&c[2].e.neigh, XMESH_NEIGH_A_LOCAL) &&
	   XM_HAS(&c[2].e.neigh, XMESH_NEIGH_A_REMOTE) &&
	   c[2].e.neigh.remote.raw[3] == 40,
	   "a neighbor change carries all its fields");
	ok(c[6].e.type == XMESH_A_ROUTE && c[6].e.route.dst == 50 &&
	   c[6].e.route.n_nexthops == 3 &&
	   XM_HAS(&c[6].e.route.nexthop[2], XMESH_NEXTHOP_A_PRIORITY),
	   "a route change carries its next hops");
	ok(c[9].e.type == XMESH_A_PREFIX && c[9].e.prefix.node == 50 &&
	   c[9].e.prefix.len == 24 && XM_HAS(&c[9].e.prefix,
					     XMESH_PREFIX_A_NODE),
	   "a prefix change carries its node");
	free(c);
}

static void nothing_to_do(void)
{
	struct tables want, have;
	struct xm_change *c;
	struct xm_fib_nexthop t;

	full(&want);
	full(&have);
	is_int(diff(&want.f, &have.f, &c), 0, "full -> the same: no change");
	free(c);
	/* The kernel's next hop order, the any address, the default port. */
	t = have.r[3].nexthop[0];
	have.r[3].nexthop[0] = have.r[3].nexthop[2];
	have.r[3].nexthop[2] = t;
	want.n[0].local = v4(0, 0, 0, 0);
	have.n[0].local.family = 0;
	want.n[1].port = 0;
	is_int(diff(&want.f, &have.f, &c), 0,
	       "next hops in another order, an unset local address, the "
	       "default port: no change");
	free(c);
}

static void each_kind(void)
{
	static const uint8_t p0[] = { 0 };
	struct tables want, have;
	struct xm_change *c;
	size_t n;

	full(&want);
	full(&have);
	want.n[2].up = true;
	n = diff(&want.f, &have.f, &c);
	ok(n == 1 && c[0].cmd == XMESH_CMD_NEIGH_SET &&
	   c[0].e.neigh.id == 3 && c[0].e.neigh.state == XMESH_NEIGH_UP &&
	   c[0].e.neigh.present == (XM_BIT(XMESH_NEIGH_A_ID) |
				    XM_BIT(XMESH_NEIGH_A_STATE)),
	   "the state alone: NEIGH_SET with id and state only");
	free(c);

	full(&want);
	want.n[1].port = 7601;
	want.n[0].up = false;
	n = diff(&want.f, &have.f, &c);
	is_str(cmds(c, n), "neigh-set neigh-new",
	       "the state of one, another port of the other: SET, NEW "
	       "replace");
	free(c);

	full(&want);
	want.r[1].nexthop[1].priority = 1;
	want.p[2].node = 60;
	n = diff(&want.f, &have.f, &c);
	is_str(cmds(c, n), "route-new prefix-new",
	       "a next hop's priority, a prefix's node: replaced");
	free(c);

	/* Neighbor 2 goes: routes through it change before it is deleted. */
	full(&want);
	want.f.n_neighs = 2;
	want.n[1] = want.n[2];
	want.r[1].n_nexthops = 1;
	want.r[3].nexthop[0] = want.r[3].nexthop[2];
	want.r[3].n_nexthops = 2;
	n = diff(&want.f, &have.f, &c);
	is_str(cmds(c, n), "route-new route-new neigh-del",
	       "a neighbor gone: its routes first, then the neighbor");
	free(c);

	/* A route and a prefix gone; a route left with no neighbor. */
	full(&want);
	want.f.n_routes = 2;	/* 20, 30 */
	want.f.n_prefixes = 2;
	add_route(&want, 99, 1, (const uint32_t[]){ 77 }, p0);
	n = diff(&want.f, &have.f, &c);
	is_str(cmds(c, n), "prefix-del route-del route-del",
	       "gone: prefix, then routes; a route naming only unknown "
	       "neighbors is not installed");
	free(c);

	full(&want);
	want.r[0].n_nexthops = 2;
	want.r[0].nexthop[1] = (struct xm_fib_nexthop){ .neigh = 77 };
	is_int(diff(&want.f, &have.f, &c), 0,
	       "a next hop naming an unknown neighbor is left out");
	free(c);
}

/* Node 40 was replaced by node 41 at the same address: a new id. */
static void key_clash(void)
{
	struct tables want, have;
	struct xm_vkernel k;
	struct xm_change *c;
	size_t n;
	int err;

	full(&want);
	full(&have);
	want.n[2].id = 4;
	want.n[2].node = 41;
	want.r[2].dst = 41;
	want.r[2].nexthop[0].neigh = 4;
	want.r[3].nexthop[2].neigh = 4;
	xm_fib_sort(&want.f);
	n = diff(&want.f, &have.f, &c);
	is_str(cmds(c, n), "neigh-del neigh-new route-new route-new route-del",
	       "a new id at a held address: the holder goes first");
	xm_vkernel_init(&k, 10);
	xm_vkernel_sync(&k, &have.f);
	err = xm_vkernel_apply(&k, c + 1, 1);
	is_int(err, -EEXIST, "(without that, the module refuses the new one)");
	err = xm_vkernel_apply(&k, c, n);
	is_int(err, 0, "with it, the module takes the whole diff");
	xm_vkernel_free(&k);
	free(c);
}

static void appends(void)
{
	struct tables want, none;
	struct xm_change *c = calloc(2, sizeof(*c));
	size_t n = 2;

	full(&want);
	tables_init(&none);
	c[0].tag = 7;
	c[1].tag = 8;
	xm_fib_diff(&want.f, &none.f, DEV, &c, &n);
	ok(n == 12 && c[0].tag == 7 && c[1].tag == 8 &&
	   c[2].cmd == XMESH_CMD_NEIGH_NEW, "appends to what *out holds");
	free(c);
}

/* ---- random table pairs ---- */

static void random_tables(struct tables *t, uint32_t first_id)
{
	uint32_t i, n = rnd(12), host[64];

	tables_init(t);
	for (i = 0; i < n; i++) {
		uint32_t link = 2 + rnd(3);

		host[i] = 2 + rnd(60);
		add_neigh(t, first_id + i * 3 + rnd(3), 100 + host[i], link,
			  (uint8_t)host[i], rnd(2));
		t->n[i].port = rnd(4) ? 7600 : 7601;
	}
	/* One key per neighbor, as the module insists. */
	for (i = 1; i < t->f.n_neighs; i++) {
		uint32_t j;

		for (j = 0; j < i; j++)
			if (t->n[j].ifindex == t->n[i].ifindex &&
			    !memcmp(&t->n[j].remote, &t->n[i].remote,
				    sizeof(t->n[i].remote))) {
				t->n[i--] = t->n[--t->f.n_neighs];
				break;
			}
	}
	for (i = 0; t->f.n_neighs && i < 1 + rnd(20); i++) {
		struct xm_fib_route *r = &t->r[t->f.n_routes];
		unsigned int h, k = 1 + rnd(t->f.n_neighs < 8 ?
					    t->f.n_neighs : 8);

		r->dst = 200 + rnd(40);
		for (h = 0; h < t->f.n_routes; h++)
			if (t->r[h].dst == r->dst)
				break;
		if (h < t->f.n_routes)
			continue;
		r->n_nexthops = 0;
		for (h = 0; h < k; h++) {
			uint32_t id = t->n[rnd(t->f.n_neighs)].id, g;

			for (g = 0; g < r->n_nexthops; g++)
				if (r->nexthop[g].neigh == id)
					break;
			if (g == r->n_nexthops)
				r->nexthop[r->n_nexthops++] =
					(struct xm_fib_nexthop){
						id, (uint8_t)rnd(3) };
		}
		t->f.n_routes++;
	}
	for (i = 0; i < rnd(8); i++) {
		uint8_t net = (uint8_t)rnd(6);
		uint32_t h;

		for (h = 0; h < t->f.n_prefixes; h++)
			if (t->p[h].prefix.addr.raw[2] == net)
				break;
		if (h == t->f.n_prefixes)
			add_prefix(t, net, 24, 200 + rnd(40));
	}
	xm_fib_sort(&t->f);
}

/* Rank of a change in the documented order; clash deletes come first. */
static int rank(const struct xm_change *c, bool *leading)
{
	if (*leading && c->cmd == XMESH_CMD_NEIGH_DEL)
		return 0;
	*leading = false;
	switch (c->cmd) {
	case XMESH_CMD_NEIGH_SET:
	case XMESH_CMD_NEIGH_NEW:	return 1;
	case XMESH_CMD_ROUTE_NEW:	return 2;
	case XMESH_CMD_PREFIX_NEW:	return 3;
	case XMESH_CMD_PREFIX_DEL:	return 4;
	case XMESH_CMD_ROUTE_DEL:	return 5;
	case XMESH_CMD_NEIGH_DEL:	return 6;
	}
	return 99;
}

static void random_pairs(void)
{
	unsigned int t, refused = 0, differ = 0, dangling = 0, order = 0,
		     churn = 0, clash = 0, changes = 0;

	for (t = 0; t < 3000; t++) {
		struct tables want, have;
		struct xm_change *c;
		struct xm_vkernel k;
		size_t n, i;
		bool leading = true;
		int last = 0;

		/* Overlapping id ranges: kept, changed, new and gone. */
		random_tables(&have, 1 + rnd(4));
		random_tables(&want, 1 + rnd(4));
		xm_vkernel_init(&k, 10);
		refused += xm_vkernel_sync(&k, &have.f) != 0;
		n = diff(&want.f, &k.t, &c);
		changes += n;
		for (i = 0; i < n; i++) {
			int r = rank(&c[i], &leading);

			order += r < last;
			last = r;
		}
		clash += n && c[0].cmd == XMESH_CMD_NEIGH_DEL;
		k.dangling = 0;
		refused += xm_vkernel_apply(&k, c, n) != 0;
		/* A clash delete may briefly leave a route dangling. */
		if (!(n && c[0].cmd == XMESH_CMD_NEIGH_DEL))
			dangling += k.dangling != 0;
		free(c);
		n = diff(&want.f, &k.t, &c);
		differ += n != 0;
		free(c);
		/* Once in line, the same tables again change nothing. */
		n = diff(&k.t, &k.t, &c);
		churn += n != 0;
		free(c);
		xm_vkernel_free(&k);
	}
	ok(refused == 0, "3000 random table pairs: the module model refuses "
	   "nothing (%u changes, %u with a key clash)", changes, clash);
	ok(order == 0, "changes in the documented order (%u out)", order);
	ok(differ == 0, "applied, the tables are as wanted (%u differ)",
	   differ);
	ok(dangling == 0, "no route ever names a missing neighbor (%u)",
	   dangling);
	ok(churn == 0, "tables already in line: no change (%u)", churn);
	ok(clash > 10, "key clashes exercised (%u)", clash);
}

static void round_trip(void)
{
	unsigned int t, bad = 0, entries = 0;

	for (t = 0; t < 500; t++) {
		struct xm_fib back;
		struct tables want;
		struct xm_vkernel k;
		struct xm_entry *e;
		struct xm_change *c;
		size_t n;

		random_tables(&want, 1);
		xm_vkernel_init(&k, 10);
		xm_vkernel_sync(&k, &want.f);
		xm_vkernel_dump(&k, &e, &n);
		entries += n;
		/* The kernel dumps in its own order. */
		if (n > 1) {
			struct xm_entry x = e[0];

			e[0] = e[n - 1];
			e[n - 1] = x;
		}
		if (xm_fib_from_kernel(e, n, &back)) {
			bad++;
		} else {
			n = diff(&want.f, &back, &c);
			bad += n != 0 || back.n_neighs != want.f.n_neighs ||
			       back.n_routes != want.f.n_routes ||
			       back.n_prefixes != want.f.n_prefixes;
			free(c);
		}
		xm_fib_free(&back);
		free(e);
		xm_vkernel_free(&k);
	}
	ok(bad == 0, "round trip: installed, dumped (read-only fields set), "
	   "read back: as wanted (%u entries, %u wrong)", entries, bad);
}

static void sorting(void)
{
	struct tables t;
	size_t i;
	bool sorted = true;

	random_tables(&t, 1);
	for (i = 0; i + 1 < t.f.n_neighs; i++) {
		struct xm_fib_neigh x = t.n[i];

		t.n[i] = t.n[i + 1];
		t.n[i + 1] = x;
	}
	for (i = 0; i + 1 < t.f.n_routes; i += 2) {
		struct xm_fib_route x = t.r[i];

		t.r[i] = t.r[i + 1];
		t.r[i + 1] = x;
	}
	xm_fib_sort(&t.f);
	for (i = 1; i < t.f.n_neighs; i++)
		sorted &= t.n[i - 1].id < t.n[i].id;
	for (i = 1; i < t.f.n_routes; i++)
		sorted &= t.r[i - 1].dst < t.r[i].dst;
	for (i = 1; i < t.f.n_prefixes; i++)
		sorted &= t.p[i - 1].prefix.addr.raw[2] <
			  t.p[i].prefix.addr.raw[2];
	ok(sorted, "xm_fib_sort: neighbors by id, routes by dst, prefixes "
	   "by address");
}

int main(void)
{
	empty_to_full();
	nothing_to_do();
	each_kind();
	key_clash();
	appends();
	random_pairs();
	round_trip();
	sorting();
	return tap_done();
}
