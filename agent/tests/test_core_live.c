// SPDX-License-Identifier: GPL-2.0
/*
 * The core while it runs: event levels (routine at debug, state changes
 * at info, refusals at warn and rate-limited), timers and prefixes
 * changed live (a reload), the origination backoff and its exception (a
 * lost adjacency is advertised at once), bad news that runs SPF whatever
 * its backoff, and the configuration check
 * that names the rule broken.
 */
#include "test_core_net.h"

#include <errno.h>

#include "msg.h"

enum { A, B };

static const struct net_pair a_up = { A, B, XM_NEIGH_UP };
static const struct net_pair b_up = { B, A, XM_NEIGH_UP };

static bool both_up(struct net *net, const void *arg)
{
	(void)arg;
	return net_pair_is(net, &a_up) && net_pair_is(net, &b_up);
}

static void pair(struct net *net)
{
	int ends[2] = { A, B };

	net_init(net);
	net_add_node(net, 1);
	net_add_node(net, 1);
	net_add_wire(net, 2, ends);
	net_until(net, 3000, both_up, NULL);
}

static void config_check(void)
{
	struct xm_core_config cfg;
	struct xm_prefix4or6 p = { .len = 24 };

	memset(&cfg, 0, sizeof(cfg));
	cfg.node_id = 1;
	xm_timers_default(&cfg.timers);
	ok(xm_core_config_check(&cfg) == NULL, "check: the defaults pass");
	cfg.timers.dead_ms = cfg.timers.hello_ms;
	is_str(xm_core_config_check(&cfg),
	       "dead_ms must be greater than hello_ms",
	       "check: names the rule broken");
	errno = 0;
	ok(!xm_core_new(&cfg, 1) && errno == EINVAL,
	   "check: xm_core_new refuses exactly that");
	xm_timers_default(&cfg.timers);
	cfg.timers.lsa_refresh_s = cfg.timers.lsa_max_age_s;
	is_str(xm_timers_check(&cfg.timers),
	       "lsa_max_age_s must be greater than lsa_refresh_s",
	       "check: refresh not below max age");
	xm_timers_default(&cfg.timers);
	cfg.node_id = 0;
	is_str(xm_core_config_check(&cfg), "node_id must not be 0",
	       "check: node id 0");
	xm_parse_addr("10.1.2.3", &p.addr, NULL);
	is_str(xm_prefixes_check(&p, 1), "a prefix has host bits set",
	       "check: prefix with host bits");
}

static void event_levels(void)
{
	struct net net;
	struct net_log *la;

	pair(&net);
	la = &net.node[A].log;
	ok(both_up(&net, NULL), "levels: the pair is up");
	ok(la->events[XM_EV_DEBUG] > 0, "levels: SPF runs at debug (%llu)",
	   (unsigned long long)la->events[XM_EV_DEBUG]);
	ok(la->events[XM_EV_INFO] > 0, "levels: neighbor up at info (%llu)",
	   (unsigned long long)la->events[XM_EV_INFO]);
	is_int((long long)la->misleveled, 0,
	       "levels: spf debug, neigh info, refusals warn");
	is_int((long long)la->events[XM_EV_WARN], 0,
	       "levels: no warning when nothing is refused");
	net_free(&net);
}

/* Node 1 on its own, default timers, the test mesh's key: into cfg. */
static struct xm_core *lone_core(struct xm_core_config *cfg, xm_time now)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->node_id = 1;
	memcpy(cfg->site_key, net_key, sizeof(cfg->site_key));
	xm_timers_default(&cfg->timers);
	return xm_core_new(cfg, now);
}

static int count_warn(struct xm_core *c, char *text)
{
	struct xm_action a;
	int n = 0;

	while (xm_core_action(c, &a))
		if (a.type == XM_ACT_EVENT && a.level == XM_EV_WARN) {
			n++;
			memcpy(text, a.text, sizeof(a.text));
		}
	return n;
}

/* A message signed with another key: refused, counted, warned of. */
static void refusals(void)
{
	static const uint8_t other[XM_SITE_KEY_LEN] = "not the site key, 32 bytes.....";
	struct xm_core_config cfg;
	struct xm_link_info l = net_link5();
	struct xm_msg_writer w;
	struct xm_addr from;
	struct xm_core *c;
	uint8_t msg[200];
	char text[160] = "";
	int len, i, warns;
	xm_time t = 1000;

	c = lone_core(&cfg, t);
	xm_core_link_set(c, t, &l);
	count_warn(c, text);
	xm_parse_addr("192.0.2.9", &from, NULL);
	xm_msg_begin(&w, msg, sizeof(msg), XM_MSG_HELLO, 0, 9, 1);
	len = xm_msg_finish(&w, other);
	ok(len > 0, "refusals: a forged message built");
	xm_core_recv(c, t, 5, &from, msg, (size_t)len);
	xm_core_timer(c, t);
	warns = count_warn(c, text);
	is_int(warns, 1, "refusals: the first bad tag is warned of at once");
	ok(strstr(text, "refused: 1 with a bad tag") != NULL,
	   "refusals: saying what (%s)", text);
	for (i = 0; i < 50; i++) {
		t += 100;
		xm_core_recv(c, t, 5, &from, msg, (size_t)len);
		if (xm_core_next_timer(c) <= t)
			xm_core_timer(c, t);
		warns += count_warn(c, text);
	}
	is_int(warns, 1, "refusals: a burst is not one warning each");
	while (t < 1000 + 11000) {
		t = xm_core_next_timer(c);
		xm_core_timer(c, t);
		warns += count_warn(c, text);
	}
	is_int(warns, 2, "refusals: one more after XM_WARN_MS, for them all");
	ok(strstr(text, "50 with a bad tag") != NULL,
	   "refusals: counted since the last (%s)", text);
	xm_core_free(c);
}

/* Hellos sent by a lone core on one link in [t, t + ms). */
static int hellos(struct xm_core *c, xm_time *t, xm_time ms)
{
	xm_time end = *t + ms;
	struct xm_action a;
	int n = 0;

	while (xm_core_next_timer(c) < end) {
		*t = xm_core_next_timer(c);
		xm_core_timer(c, *t);
		while (xm_core_action(c, &a))
			n += a.type == XM_ACT_SEND;
	}
	*t = end;
	return n;
}

static void live_timers(void)
{
	struct xm_core_config cfg;
	struct xm_link_info l = net_link5();
	struct xm_timers tm;
	struct xm_core *c;
	struct net net;
	struct net_log *la;
	uint64_t before;
	xm_time t = 1000;
	int n;

	c = lone_core(&cfg, t);
	xm_core_link_set(c, t, &l);
	n = hellos(c, &t, 10000);
	ok(n >= 9 && n <= 14, "timers: ~1 hello a second (%d in 10 s)", n);
	tm = cfg.timers;
	tm.hello_ms = 200;
	tm.dead_ms = 700;
	is_int(xm_core_set_timers(c, t, &tm), 0, "timers: set live");
	n = hellos(c, &t, 10000);
	ok(n >= 45 && n <= 70, "timers: then ~5 a second (%d in 10 s)", n);
	tm.dead_ms = 100;
	is_int(xm_core_set_timers(c, t, &tm), -EINVAL,
	       "timers: dead below hello refused");
	n = hellos(c, &t, 10000);
	ok(n >= 45 && n <= 70, "timers: ... and the old ones kept (%d)", n);
	xm_core_free(c);

	pair(&net);
	la = &net.node[A].log;
	before = la->probes;
	net_run(&net, 1000);
	n = (int)(la->probes - before);
	ok(n >= 40 && n <= 60, "timers: probes every 20 ms (%d in 1 s)", n);
	tm = net.node[A].cfg.timers;
	tm.probe_ms = 10;
	is_int(xm_core_set_timers(net.node[A].c, net.now, &tm), 0,
	       "timers: probe interval set live");
	net_drain(&net, A);
	before = la->probes;
	net_run(&net, 1000);
	n = (int)(la->probes - before);
	ok(n >= 85 && n <= 115, "timers: now every 10 ms (%d in 1 s)", n);
	ok(both_up(&net, NULL), "timers: the adjacency stayed up");
	net_free(&net);
}

static bool b_has_prefix(struct net *net, const void *arg)
{
	const struct xm_prefix4or6 *p = arg;
	const struct xm_fib *f = xm_core_fib(net->node[B].c);
	size_t i;

	for (i = 0; i < f->n_prefixes; i++)
		if (f->prefixes[i].node == 1 &&
		    f->prefixes[i].prefix.len == p->len &&
		    net_addr_eq(&f->prefixes[i].prefix.addr, &p->addr))
			return true;
	return false;
}

static void live_prefixes(void)
{
	struct xm_prefix4or6 p[2] = { { .len = 16 }, { .len = 32 } }, old;
	struct net net;

	pair(&net);
	old = net.node[A].cfg.prefixes[0];
	ok(net_until(&net, 3000, b_has_prefix, &old),
	   "prefixes: B routes A's configured prefix");
	xm_parse_addr("10.200.0.0", &p[0].addr, NULL);
	xm_parse_addr("10.99.0.1", &p[1].addr, NULL);
	is_int(xm_core_set_prefixes(net.node[A].c, net.now, p, 2), 0,
	       "prefixes: set live");
	net_drain(&net, A);
	ok(net_until(&net, 3000, b_has_prefix, &p[0]) &&
	   net_until(&net, 3000, b_has_prefix, &p[1]),
	   "prefixes: B routes the new ones to A");
	ok(!b_has_prefix(&net, &old), "prefixes: and no longer the old one");
	p[0].len = 8;
	is_int(xm_core_set_prefixes(net.node[A].c, net.now, p, 1), -EINVAL,
	       "prefixes: host bits refused");
	net_run(&net, 1000);
	ok(b_has_prefix(&net, &p[1]), "prefixes: ... the running ones kept");
	net_free(&net);
}

/* An identity change every 50 ms for 10 s: few adverts, not 100. */
static void backoff(void)
{
	struct xm_core_config cfg;
	const struct xm_core_stats *s;
	struct xm_core *c;
	struct xm_caps caps;
	xm_time t = 5000, end;
	uint64_t before;
	int i = 0;

	c = lone_core(&cfg, t);
	s = xm_core_stats(c);
	caps = cfg.caps;
	t += 1000;
	before = s->lsa_originated;
	snprintf(caps.name, sizeof(caps.name), "n%d", i++);
	xm_core_set_caps(c, t, &caps);
	is_int((long long)(s->lsa_originated - before), 1,
	       "backoff: the first change at once");
	for (end = t + 10000; t < end; t += 50) {
		while (xm_core_next_timer(c) <= t)
			xm_core_timer(c, xm_core_next_timer(c));
		snprintf(caps.name, sizeof(caps.name), "n%d", i++);
		xm_core_set_caps(c, t, &caps);
	}
	ok(s->lsa_originated - before <= 12,
	   "backoff: 200 changes in 10 s, %llu adverts (100 without)",
	   (unsigned long long)(s->lsa_originated - before));
	while (xm_core_next_timer(c) <= t + 5000)
		xm_core_timer(c, xm_core_next_timer(c));
	/* The last origination within 5 s, the hold 5 s: quiet by then. */
	t += 10001;
	before = s->lsa_originated;
	snprintf(caps.name, sizeof(caps.name), "n%d", i++);
	xm_core_set_caps(c, t, &caps);
	is_int((long long)(s->lsa_originated - before), 1,
	       "backoff: after a quiet hold, at once again");
	snprintf(caps.name, sizeof(caps.name), "n%d", i++);
	xm_core_set_caps(c, t + 10, &caps);
	xm_core_timer(c, xm_core_next_timer(c));
	is_int((long long)(xm_core_next_timer(c) >= t + 100 ? 1 : 0), 1,
	       "backoff: the hold is back at lsa_min_ms");
	xm_core_free(c);
}

static bool a_lost_b(struct net *net, const void *arg)
{
	const uint64_t *before = arg;

	return xm_core_stats(net->node[A].c)->neigh_down > *before;
}

/* With the hold at its longest, a lost adjacency still goes at once. */
static void down_at_once(void)
{
	const struct xm_core_stats *s;
	struct xm_caps caps;
	struct net net;
	uint64_t downs, orig;
	int i;

	pair(&net);
	s = xm_core_stats(net.node[A].c);
	caps = net.node[A].cfg.caps;
	/* Changes every 50 ms for 3 s: the hold grows past 1 s; then one
	 * right after an origination waits a whole hold. */
	for (i = 0; i < 1000; i++) {
		if (!(i % 5)) {
			snprintf(caps.name, sizeof(caps.name), "busy%d", i);
			xm_core_set_caps(net.node[A].c, net.now, &caps);
			net_drain(&net, A);
		}
		orig = s->lsa_originated;
		net_run(&net, 10);
		if (i >= 300 && s->lsa_originated > orig)
			break;
	}
	snprintf(caps.name, sizeof(caps.name), "last");
	xm_core_set_caps(net.node[A].c, net.now, &caps);
	net_drain(&net, A);
	ok(i < 1000, "down: A originated at %d0 ms, holding now", i);
	downs = s->neigh_down;
	orig = s->lsa_originated;
	net.wire[0].deaf_probes = true;
	ok(net_until(&net, 2000, a_lost_b, &downs), "down: A loses B");
	ok(s->lsa_originated > orig,
	   "down: advertised in the same step, the hold notwithstanding");
	net_free(&net);
}

/*
 * A hub and seven spokes starting together: the hub's adjacencies come up
 * one after the other, each news, but news after news waits the first
 * holds (lsa_min_ms, spf_hold_ms): fewer adverts and SPF runs than news.
 */
static void news_spaced(void)
{
	enum { SPOKES = 7 };
	const struct xm_core_stats *s;
	xm_time last_orig = 0, last_spf = 0, orig_gap = XM_NEVER,
		spf_gap = XM_NEVER;
	uint64_t orig = 0, runs = 0;
	struct net net;
	int i, w[2] = { A, 0 };

	net_init(&net);
	net_add_node(&net, 1);
	for (i = 1; i <= SPOKES; i++) {
		net_add_node(&net, 1);
		w[1] = i;
		net_add_wire(&net, 2, w);
	}
	s = xm_core_stats(net.node[A].c);
	for (i = 0; i < 3000 && s->neigh_up < SPOKES; i++) {
		net_run(&net, 1);
		if (s->lsa_originated > orig) {
			if (orig)
				orig_gap = net.now - last_orig < orig_gap ?
					   net.now - last_orig : orig_gap;
			orig = s->lsa_originated;
			last_orig = net.now;
		}
		if (s->spf_runs > runs) {
			if (runs)
				spf_gap = net.now - last_spf < spf_gap ?
					  net.now - last_spf : spf_gap;
			runs = s->spf_runs;
			last_spf = net.now;
		}
	}
	is_int((long long)s->neigh_up, SPOKES, "news spaced: all spokes up");
	/* (Measured in 1 ms steps: one may be seen a step late.) */
	ok(orig >= 1 && orig < SPOKES / 2 && (orig == 1 || orig_gap >= 49),
	   "news spaced: fewer adverts than adjacencies, lsa_min_ms apart "
	   "(%llu, closest %llu ms)", (unsigned long long)orig,
	   (unsigned long long)orig_gap);
	/* (A metric's run may come between two for news.) */
	ok(runs >= 1 && runs <= SPOKES / 2,
	   "news spaced: fewer SPF runs than adjacencies (%llu, closest %llu "
	   "ms)", (unsigned long long)runs, (unsigned long long)spf_gap);
	net_free(&net);
}

/* A's route to D leaves through its neighbor node via, as the primary. */
struct via {
	int dst, via;
};

static bool primary_via(struct net *net, const void *arg)
{
	const struct via *v = arg;
	const struct xm_fib_route *r = net_route(net, A, v->dst);
	struct xm_neigh_status nb;

	return r && r->n_nexthops && r->nexthop[0].priority == 0 &&
	       net_neigh_state(net, A, v->via, &nb) >= 0 &&
	       r->nexthop[0].neigh == nb.id;
}

/*
 * A diamond A - R1 - D, A - R2 - D (R2's side slower). A's SPF throttle
 * is backed off to its maximum (1 s here) by a stream of events; then
 * R1 - D dies. R1 cannot route around it (A is no alternate for R1), so
 * traffic is lost until A's SPF runs: R1's advert without D must run it
 * at once, not when A's backoff ends. Likewise when R1 - D comes back.
 */
static void bad_news(void)
{
	enum { R1 = 1, R2, D };
	static const int wires[4][2] = { { A, R1 }, { R1, D }, { A, R2 },
					 { R2, D } };
	const struct via via_r1 = { D, R1 }, via_r2 = { D, R2 };
	const struct net_pair r1_d_up = { R1, D, XM_NEIGH_UP };
	struct xm_policy p = { 0 };
	const struct xm_core_stats *s;
	struct net net;
	uint64_t runs;
	xm_time cut;
	int i;

	net_init(&net);
	for (i = 0; i < 4; i++)
		net_add_node(&net, 1);
	for (i = 0; i < 4; i++)
		net_add_wire(&net, 2, wires[i]);
	net.wire[2].rtt_us = net.wire[3].rtt_us = 3000;
	s = xm_core_stats(net.node[A].c);
	ok(net_until(&net, 5000, primary_via, &via_r1),
	   "bad news: A routes to D through R1");
	for (i = 0; i < 40; i++) {
		xm_core_set_policy(net.node[A].c, net.now, &p);
		net_drain(&net, A);
		net_run(&net, 25);
	}
	/* Right after a run: the next one is a whole hold away. */
	for (runs = s->spf_runs, i = 0; s->spf_runs == runs && i < 2000; i++)
		net_run(&net, 1);
	xm_core_set_policy(net.node[A].c, net.now, &p);
	net_drain(&net, A);
	cut = net.now;
	net.wire[1].cut = true;
	ok(net_until(&net, 3000, primary_via, &via_r2),
	   "bad news: A moves to R2 when R1 - D dies");
	ok(net.now - cut < 400,
	   "bad news: %llu ms after the cut, not after A's 1 s backoff",
	   (unsigned long long)(net.now - cut));
	/* Healed, with A's backoff kept up: back as soon as R1 - D is. */
	net.wire[1].cut = false;
	for (i = 0; i < 400 && !net_pair_is(&net, &r1_d_up); i++) {
		xm_core_set_policy(net.node[A].c, net.now, &p);
		net_drain(&net, A);
		net_run(&net, 25);
	}
	cut = net.now;
	for (i = 0; i < 40 && !primary_via(&net, &via_r1); i++) {
		xm_core_set_policy(net.node[A].c, net.now, &p);
		net_drain(&net, A);
		net_run(&net, 10);
	}
	ok(primary_via(&net, &via_r1) && net.now - cut < 200,
	   "good news: back through R1 %llu ms after R1 - D is up again",
	   (unsigned long long)(net.now - cut));
	net_free(&net);
}

/* Probes the kernel refused (neighbor not installed) are not losses. */
static void unsent_probes(void)
{
	const struct xm_core_stats *s;
	struct net net;
	uint64_t lost;

	pair(&net);
	s = xm_core_stats(net.node[A].c);
	lost = s->probes_lost;
	net.wire[0].unsent_probes = true;
	net_run(&net, 1000);
	ok(s->probes_lost == lost && s->probes_unsent >= 25,
	   "unsent: %llu probes unsent, none counted lost",
	   (unsigned long long)s->probes_unsent);
	ok(net_pair_is(&net, &a_up), "unsent: the neighbor stays up");
	net_free(&net);
}

/*
 * A stall of the agent (the guest's vCPU not scheduled): on resuming,
 * the replies of its outstanding probes are queued in time, and the
 * shell reads them before it runs the timer. The first input it hands
 * the core must not expire the probes whose replies come next.
 */
static void stall(void)
{
	int ends[2] = { A, B };
	const struct xm_core_stats *s;
	struct net net;
	uint64_t lost, downs;

	net_init(&net);
	net_add_node(&net, 1);
	net_add_node(&net, 1);
	net_add_wire(&net, 2, ends);
	/* Replies take 60 ms: three probes of 20 ms are out at any time. */
	net.wire[0].rtt_us = 60000;
	s = xm_core_stats(net.node[A].c);
	ok(net_until(&net, 5000, both_up, NULL),
	   "stall: up over a wire slower than the probe interval");
	net_run(&net, 1000);
	lost = s->probes_lost;
	downs = s->neigh_down;
	net.now += 250;
	net_step(&net, net.now);
	net_run(&net, 1000);
	ok(s->probes_lost == lost && s->neigh_down == downs &&
	   net_pair_is(&net, &a_up),
	   "stall: 250 ms without running: no probe lost (%llu), still up",
	   (unsigned long long)(s->probes_lost - lost));
	/* The RTT grows past the timeout: late answers teach the new one. */
	net.wire[0].rtt_us = 300000;
	net_run(&net, 3000);
	ok(s->probes_late > 0 && net_until(&net, 10000, both_up, NULL),
	   "stall: RTT 60 -> 300 ms: %llu late answers measured, up again",
	   (unsigned long long)s->probes_late);
	net_free(&net);
}

int main(void)
{
	config_check();
	event_levels();
	refusals();
	live_timers();
	live_prefixes();
	backoff();
	down_at_once();
	news_spaced();
	bad_news();
	unsent_probes();
	stall();
	return tap_done();
}
