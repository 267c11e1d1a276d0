// SPDX-License-Identifier: GPL-2.0
/*
 * The protocol core in the simulator (sim/): meshes converge with the
 * kernel tables delivering every packet without a loop at the least
 * cost; they reconverge after a link failure, a silent link, a node
 * crash, a delay change (without loops while they do); a hop bound
 * makes far nodes unreachable; an excluded zone is never crossed; an
 * agent restart changes nothing in the kernel. All in virtual time,
 * deterministic by seed.
 */
#include <errno.h>

#include "../sim/sim.h"
#include "tap.h"

#define S	XM_SIM_S
#define MS	XM_SIM_MS

static struct xm_sim *sim(const char *topo, uint64_t seed,
			  const struct xm_policy *policy)
{
	struct xm_sim_conf conf = { .seed = seed };
	struct xm_sim *s;

	if (policy)
		conf.policy = *policy;
	s = xm_sim_new(&conf);
	if (!s || xm_sim_topo(s, topo)) {
		fprintf(stderr, "cannot build %s\n", topo);
		exit(2);
	}
	return s;
}

/* Every agent started; a core that cannot start is a failure. */
static bool start(struct xm_sim *s)
{
	int err = xm_sim_start(s);

	if (err)
		printf("# the cores do not start: %s\n", strerror(-err));
	return !err;
}

/* Converged within deadline_s of now; says why not. */
static bool converge(struct xm_sim *s, double deadline_s,
		     struct xm_sim_convergence *c)
{
	int err = xm_sim_converge(s, xm_sim_now(s) +
				  (uint64_t)(deadline_s * S), 3 * S, 10 * MS,
				  c);

	if (err)
		printf("# not converged: %s; %llu/%llu delivered, %llu "
		       "unrouted, %llu blackholes, %llu loops, %llu "
		       "suboptimal, %llu prefixes missing\n",
		       c->last.first[0] ? c->last.first : "tables never quiet",
		       (unsigned long long)c->last.delivered,
		       (unsigned long long)c->last.pairs,
		       (unsigned long long)c->last.unrouted,
		       (unsigned long long)c->last.blackholes,
		       (unsigned long long)c->last.loops,
		       (unsigned long long)c->last.suboptimal,
		       (unsigned long long)c->last.prefixes_missing);
	return !err;
}

/* The kernel model never refused a sync nor saw a dangling route. */
static void kernel_clean(struct xm_sim *s, const char *name)
{
	struct xm_sim_stats st;

	xm_sim_stats(s, &st);
	ok(st.fib_refused == 0 && st.fib_dangling == 0 && st.fib_syncs > 0,
	   "%s: %llu kernel syncs, none refused, no dangling route", name,
	   (unsigned long long)st.fib_syncs);
}

static void converges(const char *topo, double deadline_s)
{
	struct xm_sim_convergence c;
	struct xm_sim *s = sim(topo, 1, NULL);
	bool ok_;

	if (!start(s)) {
		xm_sim_free(s);
		return;
	}
	ok_ = converge(s, deadline_s, &c);
	ok(ok_ && c.last.pairs == (uint64_t)xm_sim_n_nodes(s) *
				  (xm_sim_n_nodes(s) - 1),
	   "%s converges: every pair delivered, no loop, least cost "
	   "(%llu pairs, at %.3f s virtual)", topo,
	   (unsigned long long)c.last.pairs,
	   (double)c.converged_at / S);
	kernel_clean(s, topo);
	xm_sim_free(s);
}

/* A link down, silent, a node crash: tables repair and converge again. */
static void failure(const char *kind)
{
	struct xm_sim_convergence c;
	struct xm_sim *s = sim("grid:5x5", 2, NULL);
	uint64_t t0;
	bool ok_;

	if (!start(s) || !converge(s, 30, &c)) {
		ok(false, "grid:5x5 converges before the %s", kind);
		xm_sim_free(s);
		return;
	}
	t0 = xm_sim_now(s);
	/* Node 13 is the center; link 20 joins nodes 11 and 12 (0-based
	 * 10-11 and 10-15 are links 20, 21). */
	if (!strcmp(kind, "node crash"))
		xm_sim_node_crash(s, 12);
	else if (!strcmp(kind, "link down"))
		xm_sim_link_carrier(s, 20, false);
	else
		xm_sim_link_silent(s, 20, true);
	ok_ = converge(s, 30, &c);
	ok(ok_ && c.last.pairs == (!strcmp(kind, "node crash") ? 24 * 23 :
							       25 * 24),
	   "grid:5x5, %s: reconverges (repaired after %.3f s, converged "
	   "after %.3f s)", kind, (double)(c.repaired_at - t0) / S,
	   (double)(c.converged_at - t0) / S);
	/* Carrier is seen at once; probes notice the rest. */
	ok(ok_ && c.converged_at - t0 < (strcmp(kind, "link down") ?
					2 * S : 100 * MS),
	   "grid:5x5, %s: converged within %s", kind,
	   strcmp(kind, "link down") ? "2 s" : "100 ms");
	kernel_clean(s, kind);
	xm_sim_free(s);
}

static void max_hops(void)
{
	struct xm_policy p = { .max_hops = 3 };
	struct xm_sim_convergence c;
	struct xm_sim *s = sim("line:8", 3, &p);
	const struct xm_vkernel *k;
	uint32_t d;
	bool near = true, far = true;

	if (!start(s) || !converge(s, 30, &c)) {
		ok(false, "line:8, max 3 hops converges");
		xm_sim_free(s);
		return;
	}
	k = xm_sim_kernel(s, 0);
	for (d = 2; d <= 8; d++) {
		if (d <= 4)
			near &= xm_vkernel_route(k, d) != NULL;
		else
			far &= xm_vkernel_route(k, d) == NULL;
	}
	ok(near && far, "line:8, max 3 hops: node 1 routes to 2-4, not 5-8");
	/* 8 x 7 ordered pairs, minus those more than 3 hops apart. */
	is_int((long long)c.last.pairs, 56 - 2 * (4 + 3 + 2 + 1),
	       "line:8, max 3 hops: the pairs within 3 hops are delivered");
	xm_sim_free(s);
}

static void excluded_zone(void)
{
	struct xm_policy p = { .n_excluded_zones = 1 };
	struct xm_sim_conf conf = { .seed = 4 };
	struct xm_sim_convergence c;
	struct xm_sim *s;
	uint32_t ring[6], i;
	bool ok_;

	snprintf(p.excluded_zones[0], XM_NAME_MAX, "dmz");
	conf.policy = p;
	s = xm_sim_new(&conf);
	/* A ring of 6 with node 4 (index 3) in the excluded zone. */
	for (i = 0; i < 6; i++)
		xm_sim_add_node(s, i == 3 ? "dmz" : "");
	for (i = 0; i < 6; i++) {
		ring[0] = i;
		ring[1] = (i + 1) % 6;
		xm_sim_add_link(s, ring, 2, NULL);
	}
	if (!start(s)) {
		xm_sim_free(s);
		return;
	}
	ok(converge(s, 30, &c) && c.last.transit == 0 &&
	   c.last.pairs == 30,
	   "ring:6 with node 4 excluded: all delivered, none through it");
	/* 3 -> 5 must go the long way round: 3 2 1 6 5. */
	/* Link 1-2 down: 2 and 3 reach 5, 6 and 1 only through 4. */
	xm_sim_link_carrier(s, 0, false);
	ok_ = converge(s, 30, &c);
	ok(ok_ && c.last.pairs == 30 - 2 * 2 * 3 && c.last.transit == 0,
	   "... link 1-2 down: the pairs only the excluded node joins are "
	   "not routed through it (%llu pairs)",
	   (unsigned long long)c.last.pairs);
	xm_sim_free(s);
}

static void delay_change(void)
{
	struct xm_sim_convergence c;
	struct xm_sim *s = sim("ring:6", 5, NULL);
	const struct xm_fib_route *before, *after;
	uint32_t first_before, first_after;
	uint64_t t0;
	bool ok_;

	if (!start(s) || !converge(s, 30, &c)) {
		ok(false, "ring:6 converges");
		xm_sim_free(s);
		return;
	}
	/* Node 1 reaches node 2 directly; make link 1-2 50 times slower. */
	before = xm_vkernel_route(xm_sim_kernel(s, 0), 2);
	first_before = before ? xm_vkernel_neigh(xm_sim_kernel(s, 0),
						 before->nexthop[0].neigh)->node : 0;
	t0 = xm_sim_now(s);
	xm_sim_link_delay(s, 0, 5000);
	ok_ = converge(s, 60, &c);
	ok(ok_, "ring:6, link 1-2 50x slower: reconverges (after %.3f s)",
	   (double)(c.converged_at - t0) / S);
	after = xm_vkernel_route(xm_sim_kernel(s, 0), 2);
	first_after = after ? xm_vkernel_neigh(xm_sim_kernel(s, 0),
					       after->nexthop[0].neigh)->node : 0;
	ok(first_before == 2 && first_after == 6,
	   "... node 1 now goes round the ring to reach node 2 (first hop "
	   "%u, was %u)", first_after, first_before);
	xm_sim_free(s);
}

/*
 * The agent tests' two paths (tests/guest/agentnet.sh): a to b over r1 and
 * r2, or over r3 and r4 with a slow r3-r4; c off r2. Probes see jitter of
 * up to 5 ms on every link, so metrics keep moving and the SPF back-off
 * sits at its longest, as in the guest. A delay raised on r1-r2 moves
 * a -> b and b -> a to the other path: the kernel tables must deliver
 * every pair all along, but for micro-loops of at most 10 ms (nodes apply
 * the same news a flood apart). Before, a node routed on its new metric
 * before advertising it, and nodes' SPF holds ran seconds apart: b and r2
 * sent b's replies to a back and forth for 5 s.
 */
static void delay_change_no_loop(uint64_t seed)
{
	static const uint32_t ends[7][2] = {
		{ 0, 1 }, { 1, 2 }, { 2, 5 }, { 0, 3 }, { 3, 4 }, { 4, 5 },
		{ 2, 6 },
	};
	struct xm_sim_conf conf = { .seed = seed };
	struct xm_sim_link_conf fast = { .delay_us = 100, .jitter_us = 5000,
					 .bandwidth_mbps = 1000 };
	struct xm_sim_link_conf slow = fast;
	struct xm_sim_convergence c;
	const struct xm_fib_route *r;
	uint64_t t0, bad_since = 0, longest = 0;
	char first[240] = "";
	struct xm_sim *s;
	uint32_t i;

	slow.delay_us = 10000;
	s = xm_sim_new(&conf);
	for (i = 0; i < 7; i++)
		xm_sim_add_node(s, "");
	for (i = 0; i < 7; i++)
		xm_sim_add_link(s, ends[i], 2, i == 4 ? &slow : &fast);
	if (!start(s) || !converge(s, 30, &c)) {
		ok(false, "two paths (seed %llu) converge",
		   (unsigned long long)seed);
		xm_sim_free(s);
		return;
	}
	/* Long enough for the metrics' noise to have set the back-off. */
	xm_sim_run(s, xm_sim_now(s) + 20 * S);
	t0 = xm_sim_now(s);
	xm_sim_link_delay(s, 1, 40000);
	while (xm_sim_now(s) < t0 + 20 * S) {
		struct xm_sim_check k;

		xm_sim_run(s, xm_sim_now(s) + MS);
		xm_sim_check(s, &k, false);
		if (k.delivered == k.pairs) {
			bad_since = 0;
			continue;
		}
		if (!bad_since)
			bad_since = xm_sim_now(s);
		if (xm_sim_now(s) - bad_since + MS > longest) {
			longest = xm_sim_now(s) - bad_since + MS;
			snprintf(first, sizeof(first), "at %.3f s: %.200s",
				 (double)(bad_since - t0) / S, k.first);
		}
	}
	r = xm_vkernel_route(xm_sim_kernel(s, 0), 6);
	ok(longest <= 10 * MS,
	   "two paths (seed %llu), delay raised on r1-r2: every pair "
	   "delivered all along but for %.0f ms%s%s",
	   (unsigned long long)seed, (double)longest / MS,
	   longest ? "; " : "", first);
	ok(r && r->n_nexthops &&
	   xm_vkernel_neigh(xm_sim_kernel(s, 0), r->nexthop[0].neigh)->node ==
	   4, "... and a's route to b moved to r3");
	xm_sim_free(s);
}

/* Kernel changes at every node since the last call. */
static uint64_t changes_total(struct xm_sim *s)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < xm_sim_n_nodes(s); i++)
		n += xm_sim_kernel(s, i)->changes;
	return n;
}

static void agent_restart(void)
{
	struct xm_sim_convergence c;
	struct xm_sim *s = sim("grid:5x5", 6, NULL);
	struct xm_sim_check r;
	uint64_t before, at_node;
	char first[240] = "";
	bool held = true;
	int i;

	if (!start(s) || !converge(s, 30, &c)) {
		ok(false, "grid:5x5 converges before the restart");
		xm_sim_free(s);
		return;
	}
	before = changes_total(s);
	at_node = xm_sim_kernel(s, 12)->changes;
	xm_sim_agent_stop(s, 12);
	/* Through a second without the agent, the sync hold of the new
	 * one, and well past it. */
	for (i = 0; i < 32; i++) {
		xm_sim_run(s, xm_sim_now(s) + 500 * MS);
		if (i == 1)
			xm_sim_agent_start(s, 12);
		if (!xm_sim_check(s, &r, true) && held) {
			held = false;
			snprintf(first, sizeof(first), "at %.1f s: %s",
				 (double)xm_sim_now(s) / S, r.first);
		}
	}
	ok(held, "agent restart at the grid's center: the tables deliver "
	   "throughout%s%s", held ? "" : "; not ", first);
	is_int((long long)(xm_sim_kernel(s, 12)->changes - at_node), 0,
	       "agent restart: no change in its kernel tables");
	is_int((long long)(changes_total(s) - before), 0,
	       "agent restart: no change in any kernel table (no churn)");
	xm_sim_free(s);
}

static void crash_and_boot(void)
{
	struct xm_sim_convergence c;
	struct xm_sim *s = sim("ring:8", 7, NULL);
	uint64_t t0;
	bool ok_;

	if (!start(s) || !converge(s, 30, &c)) {
		ok(false, "ring:8 converges");
		xm_sim_free(s);
		return;
	}
	xm_sim_node_crash(s, 3);
	ok(converge(s, 30, &c) && c.last.pairs == 7 * 6,
	   "ring:8, a node crashes: the others route around it");
	xm_sim_run(s, xm_sim_now(s) + 10 * S);
	t0 = xm_sim_now(s);
	xm_sim_node_boot(s, 3);
	ok_ = converge(s, 60, &c);
	ok(ok_ && c.last.pairs == 8 * 7,
	   "... and boots again with empty tables: all delivered again "
	   "(after %.3f s)", (double)(c.converged_at - t0) / S);
	kernel_clean(s, "crash and boot");
	xm_sim_free(s);
}

static void shared_segment(void)
{
	struct xm_sim_conf conf = { .seed = 8 };
	struct xm_sim_convergence c;
	struct xm_sim *s = xm_sim_new(&conf);
	uint32_t lan[4] = { 0, 1, 2, 3 }, p2p[2];
	uint32_t i;
	bool ok_;

	/* Four nodes on one LAN segment, a tail of two behind node 4. */
	for (i = 0; i < 6; i++)
		xm_sim_add_node(s, "");
	xm_sim_add_link(s, lan, 4, NULL);
	p2p[0] = 3;
	p2p[1] = 4;
	xm_sim_add_link(s, p2p, 2, NULL);
	p2p[0] = 4;
	p2p[1] = 5;
	xm_sim_add_link(s, p2p, 2, NULL);
	if (!start(s)) {
		xm_sim_free(s);
		return;
	}
	ok_ = converge(s, 30, &c);
	ok(ok_ && c.last.pairs == 30,
	   "a shared segment of four: every pair delivered (%llu)",
	   (unsigned long long)c.last.pairs);
	xm_sim_free(s);
}

static void deterministic(void)
{
	struct xm_sim_stats a, b;
	struct xm_sim *s;
	int i;

	for (i = 0; i < 2; i++) {
		s = sim("rgg:30", 9, NULL);
		if (!start(s)) {
			xm_sim_free(s);
			return;
		}
		xm_sim_run(s, 10 * S);
		xm_sim_stats(s, i ? &b : &a);
		xm_sim_free(s);
	}
	ok(a.events == b.events && a.msgs == b.msgs && a.bytes == b.bytes &&
	   a.fib_changes == b.fib_changes && a.events > 1000,
	   "the same seed runs the same: %llu events, %llu messages",
	   (unsigned long long)a.events, (unsigned long long)a.msgs);
}

/* Nodes reachable from node 0 over the links; the largest degree. */
static uint32_t connected(struct xm_sim *s, uint32_t *max_degree)
{
	uint32_t n = xm_sim_n_nodes(s), l, seen = 1, *deg;
	bool *in = calloc(n, sizeof(*in)), grew = true;

	deg = calloc(n, sizeof(*deg));
	in[0] = true;
	for (l = 0; l < xm_sim_n_links(s); l++) {
		uint32_t e[2];

		xm_sim_link_ends(s, l, e, 2);
		deg[e[0]]++;
		deg[e[1]]++;
	}
	while (grew) {
		grew = false;
		for (l = 0; l < xm_sim_n_links(s); l++) {
			uint32_t e[2];

			xm_sim_link_ends(s, l, e, 2);
			if (in[e[0]] != in[e[1]]) {
				in[e[0]] = in[e[1]] = true;
				seen++;
				grew = true;
			}
		}
	}
	*max_degree = 0;
	for (l = 0; l < n; l++)
		if (deg[l] > *max_degree)
			*max_degree = deg[l];
	free(in);
	free(deg);
	return seen;
}

static void topologies(void)
{
	static const struct {
		const char *spec;
		uint32_t nodes, links;
	} t[] = {
		{ "line:8", 8, 7 }, { "ring:50", 50, 50 },
		{ "grid:10x10", 100, 180 }, { "grid:7x3", 21, 32 },
	};
	struct xm_sim_conf conf = { .seed = 1 };
	unsigned int i, bad = 0;
	uint32_t maxd;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct xm_sim *s = sim(t[i].spec, 1, NULL);

		ok(xm_sim_n_nodes(s) == t[i].nodes &&
		   xm_sim_n_links(s) == t[i].links &&
		   connected(s, &maxd) == t[i].nodes,
		   "%s: %u nodes, %u links, connected", t[i].spec,
		   t[i].nodes, t[i].links);
		xm_sim_free(s);
	}
	for (i = 0; i < 20; i++) {
		struct xm_sim *s;

		conf.seed = i;
		s = xm_sim_new(&conf);
		xm_sim_topo(s, i < 10 ? "rgg:200" : "rgg:30");
		bad += connected(s, &maxd) != xm_sim_n_nodes(s) ||
		       maxd > XM_LINK_MAX;
		xm_sim_free(s);
	}
	is_int(bad, 0, "random geometric graphs of 200 and 30 nodes, 20 "
	       "seeds: connected, at most XM_LINK_MAX links a node");
	conf.seed = 1;
	{
		struct xm_sim *s = xm_sim_new(&conf);

		ok(xm_sim_topo(s, "grid:0x3") == -EINVAL &&
		   xm_sim_topo(s, "rgg:1") == -EINVAL &&
		   xm_sim_topo(s, "mesh:5") == -EINVAL &&
		   xm_sim_topo(s, "line:5x") == -EINVAL,
		   "bad topology specs are refused");
		xm_sim_free(s);
	}
}

int main(void)
{
	uint64_t seed;
	struct xm_sim *s;

	topologies();
	s = sim("line:2", 1, NULL);
	ok(start(s), "the cores start");
	xm_sim_free(s);
	converges("line:5", 30);
	converges("grid:5x5", 30);
	converges("rgg:50", 60);
	failure("link down");
	failure("link silent");
	failure("node crash");
	max_hops();
	excluded_zone();
	delay_change();
	for (seed = 1; seed <= 4; seed++)
		delay_change_no_loop(seed);
	agent_restart();
	crash_and_boot();
	shared_segment();
	deterministic();
	return tap_done();
}
