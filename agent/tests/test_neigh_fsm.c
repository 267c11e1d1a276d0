// SPDX-License-Identifier: GPL-2.0
/*
 * The neighbor state machine with two cores back to back (test_core_net.h
 * moves their messages and answers their probes): discovery to UP, probe
 * loss detected within probe_miss + 1 probe intervals with NEIGH_DOWN
 * ahead of the table update, holddown and its doubling, carrier loss at
 * once, dead interval (three while the kernel answers), stable and
 * adopted kernel ids, restarts, stalls, a silence of every link at once,
 * a link slow for a moment, determinism.
 */
#include "core_priv.h"	/* XM_HOLD_MAX_MS */
#include "test_core_net.h"

enum { A, B };

static const struct net_pair a_up = { A, B, XM_NEIGH_UP };
static const struct net_pair b_up = { B, A, XM_NEIGH_UP };
static const struct net_pair a_twoway = { A, B, XM_NEIGH_TWOWAY };
static const struct net_pair a_c_up = { A, 2, XM_NEIGH_UP };

static bool both_up(struct net *net, const void *arg)
{
	(void)arg;
	return net_pair_is(net, &a_up) && net_pair_is(net, &b_up);
}

static void pair(struct net *net, uint64_t boot)
{
	int ends[2] = { A, B };

	net_init(net);
	net_add_node(net, boot);
	net_add_node(net, boot);
	net_add_wire(net, 2, ends);
}

static const struct xm_fib_neigh *fib_neigh(struct net *net, int i,
					    uint32_t id)
{
	const struct xm_fib *f = xm_core_fib(net->node[i].c);
	size_t k;

	for (k = 0; k < f->n_neighs; k++)
		if (f->neighs[k].id == id)
			return &f->neighs[k];
	return NULL;
}

static void discovery(struct net *net)
{
	const struct xm_timers *t = &net->node[A].cfg.timers;
	const struct xm_fib_neigh *fn;
	struct xm_neigh_status st;
	xm_time t0 = net->now;

	ok(net_until(net, 1000, net_pair_is, &a_twoway),
	   "discovery: A sees B two-way");
	net_neigh_state(net, A, B, &st);
	fn = fib_neigh(net, A, st.id);
	ok(st.id && fn && !fn->up,
	   "discovery: at two-way B has kernel id %u, in the tables down",
	   st.id);
	ok(net_until(net, 2000, both_up, NULL), "discovery: both UP");
	ok(net->now - t0 <= t->hello_ms + 10 * t->probe_ms,
	   "discovery: UP within a hello and a few probes (%llu ms)",
	   (unsigned long long)(net->now - t0));
	net_neigh_state(net, A, B, &st);
	fn = fib_neigh(net, A, st.id);
	ok(fn && fn->up && fn->node == 2 && fn->ifindex == 10 &&
	   fn->port == 7600 && fn->remote.raw[3] == 2 &&
	   fn->local.raw[3] == 1,
	   "discovery: kernel neighbor up, node 2, link 10, 10.0.0.2:7600");
	is_int(st.srtt_us, 300, "discovery: srtt is the wire's RTT");
	is_int(st.loss_ppm, 0, "discovery: no loss");
	ok(st.metric > 0, "discovery: metric %u", st.metric);
	is_int(xm_core_stats(net->node[A].c)->neigh_up, 1,
	       "discovery: neigh_up counted once");
	net_run(net, 500);
	ok(net_pair_is(net, &a_up) && net_pair_is(net, &b_up),
	   "discovery: stays UP");
	ok(net_route(net, A, B) != NULL, "discovery: A has a route to B");
}

static void probe_loss(struct net *net)
{
	const struct xm_timers *t = &net->node[A].cfg.timers;
	struct net_log *la = &net->node[A].log;
	struct xm_neigh_status st;
	xm_time t0 = net->now, t_down, t_up, limit;
	uint64_t downs = la->neigh_down;

	limit = (xm_time)t->probe_ms * (t->probe_miss + 1);
	net_neigh_state(net, A, B, &st);
	net->wire[0].deaf_probes = true;
	ok(net_until(net, 1000, net_pair_is_not, &a_up),
	   "probe loss: A takes B down");
	t_down = la->last_neigh_down;
	is_int((long long)la->neigh_down, (long long)downs + 1,
	       "probe loss: one NEIGH_DOWN");
	is_int(la->last_neigh_down_id, st.id,
	       "probe loss: NEIGH_DOWN names B's kernel id");
	ok(t_down - t0 <= limit,
	   "probe loss: detected after %llu ms <= probe_ms * (miss + 1) = %llu",
	   (unsigned long long)(t_down - t0), (unsigned long long)limit);
	ok(t_down - t0 >= (xm_time)t->probe_ms * (t->probe_miss - 1),
	   "probe loss: not before probe_miss probes could be lost");
	ok(!la->fib_before_down && la->fib_after_down,
	   "probe loss: NEIGH_DOWN queued before the table update");
	ok(!fib_neigh(net, A, st.id)->up,
	   "probe loss: desired kernel neighbor down");
	is_int(net_neigh_state(net, A, B, NULL), XM_NEIGH_HOLDDOWN,
	       "probe loss: A holds B down");
	ok(net_route(net, A, B) == NULL ||
	   !net_route(net, A, B)->n_nexthops,
	   "probe loss: route through B withdrawn");
	/* Probes answered again at once: holddown keeps it down. */
	net->wire[0].deaf_probes = false;
	ok(net_until(net, 3000, net_pair_is, &a_up), "holddown: B comes back");
	t_up = net->now;
	ok(t_up - t_down >= t->holddown_ms,
	   "holddown: not before holddown_ms (%llu ms >= %u)",
	   (unsigned long long)(t_up - t_down), t->holddown_ms);
	ok(t_up - t_down <= t->holddown_ms + 5 * t->probe_ms,
	   "holddown: right after it (%llu ms)",
	   (unsigned long long)(t_up - t_down));
	net_neigh_state(net, A, B, &st);
	is_int(st.flaps, 1, "holddown: one flap recorded");
	ok(st.loss_ppm > 0, "holddown: the losses show (%u ppm)", st.loss_ppm);
	/* A second flap soon after: twice the holddown. */
	net->wire[0].deaf_probes = true;
	net_until(net, 1000, net_pair_is_not, &a_up);
	t_down = la->last_neigh_down;
	net->wire[0].deaf_probes = false;
	ok(net_until(net, 5000, net_pair_is, &a_up), "flap 2: back");
	ok(net->now - t_down >= 2 * t->holddown_ms,
	   "flap 2: holddown doubled (%llu ms >= %u)",
	   (unsigned long long)(net->now - t_down), 2 * t->holddown_ms);
	net_neigh_state(net, A, B, &st);
	is_int(st.flaps, 2, "flap 2: two flaps recorded");
	net_until(net, 2000, both_up, NULL);
}

static void carrier_loss(struct net *net)
{
	struct net_log *la = &net->node[A].log, *lb = &net->node[B].log;
	struct xm_neigh_status before, after;
	uint64_t downs_a = la->neigh_down, downs_b = lb->neigh_down;
	xm_time t0 = net->now;

	net_neigh_state(net, A, B, &before);
	net->wire[0].cut = true;
	xm_core_link_carrier(net->node[A].c, net->now, 10, false);
	net_drain(net, A);
	is_int((long long)la->neigh_down, (long long)downs_a + 1,
	       "carrier: NEIGH_DOWN from the carrier event itself");
	ok(net_neigh_state(net, A, B, NULL) != XM_NEIGH_UP,
	   "carrier: B no longer UP at A");
	ok(net_until(net, 1000, net_pair_is_not, &b_up),
	   "carrier: B notices (probes)");
	ok(lb->neigh_down == downs_b + 1 && lb->last_neigh_down - t0 <= 80,
	   "carrier: B down after %llu ms",
	   (unsigned long long)(lb->last_neigh_down - t0));
	net_run(net, 1000);
	ok(net_neigh_state(net, A, B, NULL) < 0,
	   "carrier: A forgot the neighbor entry");
	net->wire[0].cut = false;
	xm_core_link_carrier(net->node[A].c, net->now, 10, true);
	ok(net_until(net, 6000, both_up, NULL), "carrier: back up");
	net_neigh_state(net, A, B, &after);
	is_int(after.id, before.id, "carrier: same kernel id as before");
	is_int(after.flaps, before.flaps + 1, "carrier: flap history kept");
}

static void dead_interval(struct net *net)
{
	const struct xm_timers *t = &net->node[A].cfg.timers;
	struct net_log *lb = &net->node[B].log;
	xm_time t0 = net->now;
	bool down;

	net_until(net, 8000, both_up, NULL);
	t0 = net->now;
	/* Hellos lost, probes answered: A's agent restarting, its kernel
	 * forwarding. */
	net->wire[0].mute = true;
	net_run(net, t->dead_ms + t->hello_ms);
	ok(net_pair_is(net, &b_up),
	   "dead: B keeps A past the dead interval while its kernel answers");
	ok(net_until(net, 5000, net_pair_is_not, &b_up),
	   "dead: B takes A down without hellos in the end");
	ok(lb->last_neigh_down - t0 <= 3 * t->dead_ms &&
	   lb->last_neigh_down - t0 + t->hello_ms >= 3 * t->dead_ms,
	   "dead: after %llu ms, within 3 dead intervals of the last hello",
	   (unsigned long long)(lb->last_neigh_down - t0));
	net->wire[0].mute = false;
	ok(net_until(net, 8000, both_up, NULL), "dead: back once hellos flow");
	/* Hellos and probes lost: the probes find it. */
	t0 = net->now;
	net->wire[0].mute = true;
	net->wire[0].deaf_probes = true;
	down = net_until(net, 2000, net_pair_is_not, &b_up);
	ok(down && lb->last_neigh_down - t0 < t->dead_ms,
	   "dead: silent altogether, down by probes (%llu ms)",
	   (unsigned long long)(lb->last_neigh_down - t0));
	net->wire[0].mute = false;
	net->wire[0].deaf_probes = false;
	ok(net_until(net, 8000, both_up, NULL), "dead: back again");
}

/*
 * A restarts, the kernel keeping its neighbors: it adopts them, lists B
 * in its hellos from the first one, and holds its advert back until its
 * tables are ready. B never takes A down, resends its database, and its
 * tables do not change at all.
 */
/*
 * A's agent restarts with B still in its kernel (adopted); its links come
 * links_late ms after its core (an agent slow to set them up: 4 s were
 * seen under load). A's tables wait for B, not for a clock that ran while
 * nothing could be heard.
 */
static bool a_ready(struct net *net, const void *arg)
{
	(void)arg;
	return xm_core_fib_ready(net->node[A].c, net->now);
}

static bool b_ready(struct net *net, const void *arg)
{
	(void)arg;
	return xm_core_fib_ready(net->node[B].c, net->now);
}

static void adopted(xm_time links_late)
{
	struct net net;
	struct xm_fib_neigh adopt = { .id = 77, .node = 2, .ifindex = 10 };
	struct xm_neigh_status st;
	struct xm_link_info l = {
		.ifindex = 10, .ifname = "eth10", .bandwidth_mbps = 10000,
		.carrier = true,
	};
	struct net_log *lb = &net.node[B].log;
	const struct xm_fib *f;
	uint64_t downs_b, fib_b;
	xm_time start;
	const char *how = links_late ? "restart, links late" : "restart";

	pair(&net, 1);
	net_until(&net, 2000, both_up, NULL);
	net_run(&net, 1000);
	if (links_late) {
		/* A's hellos tell B to wait longer than A is silent. */
		struct xm_timers *t = &net.node[A].cfg.timers;

		t->dead_ms = 200 + 2 * (uint32_t)links_late;
		ok(!xm_core_set_timers(net.node[A].c, net.now, t),
		   "%s: A's dead interval %u ms", how, t->dead_ms);
		net_run(&net, 500);
	}
	downs_b = lb->neigh_down;
	fib_b = lb->fib;
	/* A's agent is gone for 200 ms; its kernel still answers probes. */
	xm_core_free(net.node[A].c);
	net.node[A].c = NULL;
	net_run(&net, 200 + links_late);
	net.node[A].cfg.boot_id = 2;
	/* Made links_late ago, and busy setting up since (no timer ran). */
	net.node[A].c = xm_core_new(&net.node[A].cfg, net.now - links_late);
	ok(!xm_core_fib_ready(net.node[A].c, net.now - links_late),
	   "%s: tables not ready at start", how);
	adopt.remote = net.wire[0].end[1].addr;
	adopt.local = net.wire[0].end[0].addr;
	xm_core_adopt_neigh(net.node[A].c, &adopt);
	start = net.now;
	l.local = adopt.local;
	xm_core_link_set(net.node[A].c, net.now, &l);
	ok(!xm_core_fib_ready(net.node[A].c, net.now),
	   "%s: tables not ready before B answers", how);
	ok(net_until(&net, 3000, net_pair_is, &a_up), "%s: B UP again", how);
	net_neigh_state(&net, A, B, &st);
	ok(st.id == 77, "%s: the adopted kernel id is reused", how);
	ok(net_until(&net, 3000, a_ready, NULL) &&
	   net.now < start + net.node[A].cfg.timers.sync_hold_ms,
	   "%s: ready before sync_hold_ms: database exchanged (%llu ms)",
	   how, (unsigned long long)(net.now - start));
	f = xm_core_fib(net.node[A].c);
	ok(f->n_routes == 1 && f->routes[0].dst == 2,
	   "%s: A's tables as they are first written: the route to B", how);
	ok(net_until(&net, 1000, net_converged, NULL),
	   "%s: A's advert outnumbers its old one, all converged", how);
	net_run(&net, 1000);
	ok(lb->neigh_down == downs_b && net_pair_is(&net, &b_up),
	   "%s: B never took A down", how);
	ok(lb->fib == fib_b, "%s: B's tables never changed", how);
	net_free(&net);
}

/*
 * The middle of a line A - B - C restarts with its kernel's neighbors
 * (42-agent-failover's transit agent): its tables, as first written,
 * route to both ends, and neither end's tables ever move. How:
 *
 * TRANSIT_GONE: gone for longer than the ends' dead interval, B is taken
 * down by both, whose adverts list it again only a flood after it is
 * back: B must not write its tables before then, or it wipes the
 * kernel's routes for a moment. (Its kernel answering their probes, they
 * wait three dead intervals.)
 * TRANSIT_UNHEARD: B hears nothing from C for longer than sync_hold_ms
 * (a loaded machine, 78-soak): C still in its kernel gets B's dead
 * interval to be heard.
 * TRANSIT_SLOW: both neighbors are up soon but their databases take
 * longer than sync_hold_ms (slow messages): the hold waits for them.
 * TRANSIT_NO_DB_END: C's database never ends: the tables wait a minute.
 * TRANSIT_NOT_UP: C is heard but does not come up (its probes unanswered)
 * for longer than the hold: the tables wait for it. (The wire's probes
 * go unanswered both ways, so C takes B down meanwhile: the tables as
 * first written and C's are not checked.)
 */
enum transit_how {
	TRANSIT, TRANSIT_GONE, TRANSIT_UNHEARD, TRANSIT_SLOW, TRANSIT_NO_DB_END,
	TRANSIT_NOT_UP,
};

static void restart_transit(enum transit_how h)
{
	static const char *const name[] = {
		[TRANSIT] = "transit", [TRANSIT_GONE] = "transit gone",
		[TRANSIT_UNHEARD] = "transit, C unheard",
		[TRANSIT_SLOW] = "transit, slow messages",
		[TRANSIT_NO_DB_END] = "transit, C's database unended",
		[TRANSIT_NOT_UP] = "transit, C slow to come up",
	};
	const char *how = name[h];
	struct net net;
	struct xm_fib_neigh keep[2];
	const struct xm_fib *f;
	uint64_t fib_a, fib_c;
	int ab[2] = { 0, 1 }, bc[2] = { 1, 2 };
	xm_time sync_hold;
	size_t n;

	net_init(&net);
	net_add_node(&net, 1);
	net_add_node(&net, 1);
	net_add_node(&net, 1);
	net_add_wire(&net, 2, ab);
	net_add_wire(&net, 2, bc);
	sync_hold = net.node[1].cfg.timers.sync_hold_ms;
	if (h == TRANSIT_SLOW) {
		/* Messages take most of the hold: heard, up, and then the
		 * database, each a message later (probes stay fast). */
		int i;

		for (i = 0; i < 3; i += 2) {
			struct xm_timers *t = &net.node[i].cfg.timers;

			t->dead_ms = (uint32_t)sync_hold * 3;
			xm_core_set_timers(net.node[i].c, net.now, t);
		}
		net.wire[0].delay_ms = net.wire[1].delay_ms =
			sync_hold * 6 / 10;
	}
	ok(net_until(&net, 5000, net_converged, NULL), "%s: converged", how);
	if (h == TRANSIT_UNHEARD) {
		struct xm_timers *t = &net.node[1].cfg.timers;

		t->dead_ms = (uint32_t)sync_hold * 5 / 2;
		ok(!xm_core_set_timers(net.node[1].c, net.now, t),
		   "%s: B's dead interval %u ms", how, t->dead_ms);
	}
	net_run(&net, 1000);
	f = xm_core_fib(net.node[1].c);
	n = f->n_neighs < 2 ? f->n_neighs : 2;
	memcpy(keep, f->neighs, n * sizeof(*keep));
	fib_a = net.node[0].log.fib;
	fib_c = net.node[2].log.fib;
	if (h == TRANSIT_GONE) {
		xm_core_free(net.node[1].c);
		net.node[1].c = NULL;
		net_run(&net, 1500);
		ok(net.node[0].log.neigh_down && net.node[2].log.neigh_down,
		   "%s: A and C took B down", how);
	}
	net.wire[1].mute = h == TRANSIT_UNHEARD;
	net.wire[1].no_db_end = h == TRANSIT_NO_DB_END;
	net.wire[1].deaf_probes = h == TRANSIT_NOT_UP;
	net_restart_adopting(&net, 1, 2, keep, n);
	if (h == TRANSIT_UNHEARD) {
		ok(!net_until(&net, sync_hold * 3 / 2, b_ready, NULL),
		   "%s: B's tables wait past sync_hold_ms", how);
		net.wire[1].mute = false;
	}
	if (h == TRANSIT_NOT_UP) {
		ok(!net_until(&net, sync_hold * 2, b_ready, NULL),
		   "%s: B's tables wait for C", how);
		net.wire[1].deaf_probes = false;
	}
	if (h == TRANSIT_NO_DB_END) {
		xm_time t0 = net.now;
		bool early = net_until(&net, XM_HOLD_MAX_MS - 100, b_ready,
				       NULL);
		bool due = net_until(&net, 200, b_ready, NULL);

		ok(!early && due,
		   "%s: B's tables written at the minute (%llu ms)", how,
		   (unsigned long long)(net.now - t0));
		net.wire[1].no_db_end = false;
		net_free(&net);
		return;
	}
	ok(n == 2 && net_until(&net, 3000, b_ready, NULL),
	   "%s: B ready again", how);
	f = xm_core_fib(net.node[1].c);
	if (h != TRANSIT_NOT_UP)
		ok(f->n_routes == 2,
		   "%s: B's tables as first written route to A and C (%zu routes)",
		   how, f->n_routes);
	ok(net_until(&net, 2000, net_converged, NULL),
	   "%s: converged again", how);
	net_run(&net, 1000);
	if (h != TRANSIT_GONE && h != TRANSIT_NOT_UP)
		ok(net.node[0].log.fib == fib_a && net.node[2].log.fib == fib_c,
		   "%s: A's and C's tables never moved", how);
	net_free(&net);
}

/*
 * The machine stalls with a probe's answer on its way: when it goes on,
 * every deadline has passed and the answer is yet to come. Not a loss;
 * but a link that died meanwhile is still found, a timeout later.
 */
static void stall(void)
{
	const struct xm_timers *t;
	const struct xm_core_stats *s;
	struct net net;
	uint64_t lost;
	xm_time t0;
	bool down;

	pair(&net, 1);
	t = &net.node[A].cfg.timers;
	s = xm_core_stats(net.node[A].c);
	ok(net_until(&net, 2000, both_up, NULL), "stall: both UP");
	net_run(&net, 500);
	lost = s->probes_lost;
	ok(net_probe_in_flight(&net, A, 100), "stall: A's probe in flight");
	net_stall(&net, 5 * t->probe_ms);
	net_run(&net, 500);
	ok(both_up(&net, NULL) && s->probes_lost == lost &&
	   s->probes_stalled >= 1,
	   "stall: no probe lost (%llu), %llu given more time, B still UP",
	   (unsigned long long)(s->probes_lost - lost),
	   (unsigned long long)s->probes_stalled);
	ok(net_probe_in_flight(&net, A, 100), "stall 2: A's probe in flight");
	net.wire[0].deaf_probes = true;
	net_stall(&net, 5 * t->probe_ms);
	t0 = net.now;
	down = net_until(&net, 1000, net_pair_is_not, &a_up);
	ok(down && net.now - t0 <= (xm_time)t->probe_ms * (t->probe_miss + 2),
	   "stall 2: the link that died meanwhile found %llu ms later",
	   (unsigned long long)(net.now - t0));
	net_free(&net);
}

static uint64_t downs(const struct net *net, size_t n)
{
	uint64_t d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d += net->node[i].log.neigh_down;
	return d;
}

/*
 * Every probe of a triangle unanswered for a while, the agents running on
 * (the machine's packet processing stalled, not its timers): each node
 * lost every neighbor together, and takes none down; one link silent by
 * itself is found as ever, its ends hearing the third node meanwhile.
 */
/* Nodes A, B and C, wires A-B (0), B-C (1), C-A (2); converged. */
static void triangle(struct net *net, const char *what)
{
	int ab[2] = { A, B }, bc[2] = { B, 2 }, ca[2] = { 2, A };
	size_t i;

	net_init(net);
	for (i = 0; i < 3; i++)
		net_add_node(net, 1);
	net_add_wire(net, 2, ab);
	net_add_wire(net, 2, bc);
	net_add_wire(net, 2, ca);
	ok(net_until(net, 5000, net_converged, NULL), "%s: converged", what);
	net_run(net, 1000);
}

/* The triangle's wire A-B answers again: A has B and C up, for a while. */
static void healed(struct net *net, const char *what)
{
	net->wire[0].deaf_probes = false;
	ok(net_until(net, 10000, both_up, NULL) &&
	   net_until(net, 1000, net_pair_is, &a_c_up),
	   "%s: A has B and C again", what);
	net_run(net, 3000);
}

static void shared_silence(void)
{
	const struct xm_timers *t;
	struct net net;
	uint64_t d, unheard = 0;
	xm_time t0;
	bool down;
	size_t i;

	triangle(&net, "shared silence");
	t = &net.node[A].cfg.timers;
	d = downs(&net, 3);
	for (i = 0; i < 3; i++)
		net.wire[i].deaf_probes = true;
	net_run(&net, (xm_time)t->probe_ms * (t->probe_miss + 4));
	for (i = 0; i < 3; i++)
		net.wire[i].deaf_probes = false;
	net_run(&net, 1000);
	for (i = 0; i < 3; i++)
		unheard += xm_core_stats(net.node[i].c)->probes_unheard;
	ok(downs(&net, 3) == d && both_up(&net, NULL) && unheard >= 3,
	   "shared silence: no neighbor taken down (%llu), each node counted"
	   " it (%llu)", (unsigned long long)(downs(&net, 3) - d),
	   (unsigned long long)unheard);
	net.wire[0].deaf_probes = true;
	t0 = net.now;
	down = net_until(&net, 1000, net_pair_is_not, &a_up);
	ok(down && net.now - t0 <= (xm_time)t->probe_ms * (t->probe_miss + 1),
	   "shared silence: a link silent alone found in %llu ms",
	   (unsigned long long)(net.now - t0));
	/* A's link to B loses its carrier, and the change stalls the
	 * packet path of the whole machine (a guest's): C, A's one path
	 * left, is kept. */
	healed(&net, "shared silence");
	d = net.node[A].log.neigh_down;
	net.wire[0].cut = true;
	xm_core_link_carrier(net.node[A].c, net.now, 10, false);
	net.wire[1].deaf_probes = net.wire[2].deaf_probes = true;
	net_run(&net, (xm_time)t->probe_ms * (t->probe_miss + 2));
	net.wire[1].deaf_probes = net.wire[2].deaf_probes = false;
	net_run(&net, 500);
	ok(net.node[A].log.neigh_down == d + 1 &&
	   net_pair_is(&net, &a_c_up),
	   "shared silence: B's carrier lost as C stalls: C kept (%llu down)",
	   (unsigned long long)(net.node[A].log.neigh_down - d));
	net_free(&net);
}

/*
 * What a shared silence must not hide: a link that stays silent when the
 * others answer again (found a few probes after), one cut as the third
 * link loses a probe (found a probe or two later), and one dead while
 * every other path is too, hellos still passing (found after a dead
 * interval).
 */
static void silence_ends(void)
{
	const struct xm_timers *t;
	struct net net;
	xm_time t0, bound;
	bool down;
	size_t i;

	triangle(&net, "silence ends");
	t = &net.node[A].cfg.timers;
	bound = (xm_time)t->probe_ms * (t->probe_miss + 3);
	for (i = 0; i < 3; i++)
		net.wire[i].deaf_probes = true;
	net_run(&net, (xm_time)t->probe_ms * (t->probe_miss + 4));
	net.wire[1].deaf_probes = net.wire[2].deaf_probes = false;
	t0 = net.now;
	down = net_until(&net, 2000, net_pair_is_not, &a_up);
	ok(down && net.now - t0 <= bound,
	   "silence ends: the link still silent found %llu ms after"
	   " (<= %llu)", (unsigned long long)(net.now - t0),
	   (unsigned long long)bound);
	healed(&net, "silence ends");
	net.wire[0].deaf_probes = net.wire[2].deaf_probes = true;
	net_run(&net, t->probe_ms);
	net.wire[2].deaf_probes = false;
	t0 = net.now - t->probe_ms;
	down = net_until(&net, 2000, net_pair_is_not, &a_up);
	ok(down && net.now - t0 <= bound,
	   "silence ends: cut as the third link lost a probe, found in %llu"
	   " ms (<= %llu)", (unsigned long long)(net.now - t0),
	   (unsigned long long)bound);
	healed(&net, "silence ends");
	for (i = 0; i < 3; i++)
		net.wire[i].deaf_probes = true;
	t0 = net.now;
	down = net_until(&net, 20000, net_pair_is_not, &a_up);
	ok(down && net.now - t0 <= (xm_time)t->dead_ms + 2 * t->probe_ms,
	   "silence ends: every data path dead, hellos passing: down after"
	   " %llu ms, a dead interval (%u ms)",
	   (unsigned long long)(net.now - t0), t->dead_ms);
	net_free(&net);
}

/*
 * A link slow for a moment (its replies delayed past every timeout, as an
 * emulated link's delay queue under load): taken down, then its late
 * answers show it was alive; back as soon as it answers in time, without
 * a holddown or a flap counted. A second time soon after is damped as
 * any flap.
 */
static void slow_not_dead(void)
{
	const struct xm_timers *t;
	struct xm_neigh_status st;
	struct net net;
	xm_time t_down;
	uint32_t flaps;
	int round;

	pair(&net, 1);
	t = &net.node[A].cfg.timers;
	ok(net_until(&net, 2000, both_up, NULL), "slow: both UP");
	net_run(&net, 500);
	for (round = 0; round < 2; round++) {
		net_neigh_state(&net, A, B, &st);
		flaps = st.flaps;
		net.wire[0].rtt_us = 8 * t->probe_ms * 1000;
		net_until(&net, 1000, net_pair_is_not, &a_up);
		t_down = net.now;
		net_run(&net, t->probe_ms);
		net.wire[0].rtt_us = 300;
		ok(net_until(&net, 10000, net_pair_is, &a_up),
		   "slow %d: B back", round + 1);
		net_neigh_state(&net, A, B, &st);
		if (!round)
			ok(net.now - t_down < t->holddown_ms &&
			   st.flaps == flaps &&
			   xm_core_stats(net.node[A].c)->neigh_down_undone == 1,
			   "slow 1: back after %llu ms, within the holddown"
			   " (%u ms), no flap counted, the down undone",
			   (unsigned long long)(net.now - t_down),
			   t->holddown_ms);
		else
			ok(net.now - t_down >= t->holddown_ms &&
			   st.flaps == flaps + 1,
			   "slow 2: soon after, damped: back after %llu ms, a"
			   " flap", (unsigned long long)(net.now - t_down));
		net_run(&net, 500);
	}
	net_free(&net);
}

static uint64_t scenario_hash(void)
{
	struct net net;
	uint64_t h;

	pair(&net, 5);
	net_until(&net, 2000, both_up, NULL);
	net.wire[0].deaf_probes = true;
	net_run(&net, 300);
	net.wire[0].deaf_probes = false;
	net_run(&net, 1500);
	h = net.node[A].log.hash ^ (net.node[B].log.hash << 1);
	net_free(&net);
	return h;
}

int main(void)
{
	struct net net;

	pair(&net, 1);
	discovery(&net);
	probe_loss(&net);
	carrier_loss(&net);
	dead_interval(&net);
	net_free(&net);
	adopted(0);
	adopted(1500);
	restart_transit(TRANSIT);
	restart_transit(TRANSIT_GONE);
	restart_transit(TRANSIT_UNHEARD);
	restart_transit(TRANSIT_SLOW);
	restart_transit(TRANSIT_NO_DB_END);
	restart_transit(TRANSIT_NOT_UP);
	stall();
	shared_silence();
	silence_ends();
	slow_not_dead();
	ok(scenario_hash() == scenario_hash(),
	   "determinism: the same inputs, the same actions byte for byte");
	return tap_done();
}
