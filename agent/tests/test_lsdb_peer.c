// SPDX-License-Identifier: GPL-2.0
/*
 * One core against a scripted peer that speaks the protocol by hand
 * (core/msg.h): the database exchange at two-way with its end flag,
 * acknowledgements and retransmission, the two-way check on edges, a
 * database limit of XM_LSDB_MAX originators (the one unreachable the
 * longest forgotten for a newcomer), adverts at or aging to
 * max age, and the path policy (excluded zones, hop limit).
 */
#include "msg.h"
#include "test_core_net.h"

#define LSDB_MAX	4096	/* core_priv.h's XM_LSDB_MAX */

static struct xm_core *core;
static xm_time now = 1000;
static struct xm_addr a_addr, p_addr;

/* The peer, node 2, on A's link 10. */
static struct {
	uint64_t seq;
	bool hears_a, answer_probes, auto_ack;
	xm_time next_hello;
	/* What A sent it. */
	unsigned int lsus, adverts, db_ends, acks, hellos, a_adj_to_p, lsacks;
	uint32_t a_seq;			/* A's advert, latest seen */
	struct xm_ack ack[8192];	/* pairs A acknowledged */
} p;

static void peer_send(const uint8_t *buf, int len)
{
	xm_core_recv(core, now, 10, &p_addr, buf, (size_t)len);
}

static void peer_hello(void)
{
	struct xm_hello h = {
		.hello_ms = 100, .dead_ms = 350, .data_port = 7600,
		.n_heard = p.hears_a ? 1 : 0, .heard = { 1 },
		.has_caps = true, .caps = { .name = "peer", .zone = "dmz" },
	};
	uint8_t buf[XM_PDU_MAX];
	struct xm_msg_writer w;

	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_HELLO, 0, 2, ++p.seq);
	xm_hello_put(&w, &h);
	peer_send(buf, xm_msg_finish(&w, net_key));
}

static void peer_ack(const struct xm_msg *m)
{
	struct xm_advert *a = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	uint8_t buf[XM_PDU_MAX];
	struct xm_msg_writer w;
	size_t off = 0;

	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSACK, 0, 2, ++p.seq);
	while (xm_lsu_next(m, &off, a) > 0)
		xm_lsack_put(&w, a->originator, a->seq);
	peer_send(buf, xm_msg_finish(&w, net_key));
	free(a);
}

/* Look at what A sent: hellos, LSUs (acked if auto_ack), LSACKs. */
static void on_send(const struct xm_action *x)
{
	struct xm_advert *a = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	struct xm_ack acks[XM_LSACK_MAX];
	struct xm_msg m;
	size_t off = 0;
	unsigned int i;
	int n;

	if (xm_msg_open(x->msg, x->len, net_key, &m))
		abort();
	switch (m.hdr.type) {
	case XM_MSG_HELLO:
		p.hellos++;
		break;
	case XM_MSG_LSU:
		if (x->dst.family != AF_INET || x->dst.v4.s_addr !=
		    p_addr.v4.s_addr)
			abort();	/* unicast to the peer */
		p.lsus++;
		p.db_ends += !!(m.hdr.flags & XM_MSG_F_DB_END);
		while (xm_lsu_next(&m, &off, a) > 0) {
			p.adverts++;
			if (a->originator != 1)
				continue;
			p.a_seq = a->seq;
			p.a_adj_to_p = 0;
			for (i = 0; i < a->n_adj; i++)
				p.a_adj_to_p += a->adj[i].node == 2;
		}
		if (p.auto_ack)
			peer_ack(&m);
		break;
	case XM_MSG_LSACK:
		p.lsacks++;
		n = xm_lsack_decode(&m, acks);
		for (i = 0; n > 0 && i < (unsigned int)n; i++)
			if (p.acks < sizeof(p.ack) / sizeof(p.ack[0]))
				p.ack[p.acks++] = acks[i];
		break;
	}
	free(a);
}

static void take(void)
{
	static struct xm_action x;

	while (xm_core_action(core, &x)) {
		if (x.type == XM_ACT_EVENT && getenv("XM_TEST_VERBOSE"))
			printf("# %llu %s\n", (unsigned long long)now, x.text);
		if (x.type == XM_ACT_SEND)
			on_send(&x);
		else if (x.type == XM_ACT_PROBE && p.answer_probes)
			xm_core_probe_reply(core, now, x.neigh, x.seq, 200);
	}
}

/* Time passes: A's timers, the peer's hellos every 100 ms. */
static void advance(xm_time ms)
{
	xm_time end = now + ms;

	take();
	for (;;) {
		xm_time t = xm_core_next_timer(core);

		if (p.next_hello < t)
			t = p.next_hello;
		if (t > end)
			break;
		now = t;
		if (now >= p.next_hello) {
			peer_hello();
			p.next_hello = now + 100;
		}
		if (xm_core_next_timer(core) <= now)
			xm_core_timer(core, now);
		take();
	}
	now = end;
}

static int neigh_state(void)
{
	struct xm_neigh_status st;

	return xm_core_neigh(core, 0, &st) ? (int)st.state : -1;
}

/* One advert from the peer: originator o, adjacencies to adj[]. */
static struct xm_advert *advert(uint32_t o, uint32_t seq, uint16_t age,
				unsigned int n, const uint32_t *adj)
{
	struct xm_advert *a = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	unsigned int i;

	a->originator = o;
	a->seq = seq;
	a->age_s = age;
	snprintf(a->caps.name, sizeof(a->caps.name), "n%u", o);
	a->n_adj = n;
	for (i = 0; i < n; i++)
		a->adj[i] = (struct xm_adj){ .node = adj[i], .metric = 10 };
	return a;
}

static void peer_lsu(struct xm_advert **a, unsigned int n)
{
	uint8_t buf[XM_PDU_MAX];
	struct xm_msg_writer w;
	unsigned int i;

	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSU, 0, 2, ++p.seq);
	for (i = 0; i < n; i++) {
		if (xm_lsu_put(&w, a[i], a[i]->age_s))
			abort();
		free(a[i]);
	}
	peer_send(buf, xm_msg_finish(&w, net_key));
	take();
}

static bool acked(uint32_t o, uint32_t seq)
{
	unsigned int i;

	for (i = 0; i < p.acks; i++)
		if (p.ack[i].originator == o && p.ack[i].seq == seq)
			return true;
	return false;
}

static bool known(uint32_t node, struct xm_node_status *out)
{
	size_t k;

	for (k = 0; xm_core_node(core, k, out); k++)
		if (out->node == node)
			return true;
	return false;
}

static bool route(uint32_t dst)
{
	const struct xm_fib *f = xm_core_fib(core);
	size_t k;

	for (k = 0; k < f->n_routes; k++)
		if (f->routes[k].dst == dst && f->routes[k].n_nexthops)
			return true;
	return false;
}

static void setup(void)
{
	struct xm_core_config cfg = { .node_id = 1, .data_port = 7600 };
	struct xm_link_info l = {
		.ifindex = 10, .ifname = "eth10", .bandwidth_mbps = 10000,
		.carrier = true,
	};

	if (sodium_init() < 0)
		abort();
	memcpy(cfg.site_key, net_key, sizeof(cfg.site_key));
	strcpy(cfg.caps.name, "a");
	net_timers(&cfg.timers);
	cfg.timers.lsa_max_age_s = 100;
	cfg.timers.lsa_refresh_s = 50;
	cfg.timers.purge_after_s = 600;
	cfg.boot_id = 10;
	core = xm_core_new(&cfg, now);
	xm_parse_addr("10.0.0.1", &a_addr, NULL);
	xm_parse_addr("10.0.0.2", &p_addr, NULL);
	l.local = a_addr;
	xm_core_link_set(core, now, &l);
	p.next_hello = now;
}

/* An LSU before any hello: not used, counted. */
static void stranger(void)
{
	static const uint32_t adj[] = { 2 };
	struct xm_advert *a = advert(7, 1, 0, 1, adj);
	struct xm_node_status st;

	peer_lsu(&a, 1);
	is_int((long long)xm_core_stats(core)->rx_no_neigh, 1,
	       "stranger: an LSU from no neighbor is counted");
	ok(!known(7, &st), "stranger: ... and not used");
}

static void exchange(void)
{
	unsigned int lsus;

	advance(50);
	is_int(neigh_state(), XM_NEIGH_INIT, "exchange: one-way peer is INIT");
	is_int(p.lsus, 0, "exchange: no database to a one-way peer");
	p.hears_a = true;
	p.answer_probes = false;
	advance(150);
	is_int(neigh_state(), XM_NEIGH_TWOWAY, "exchange: two-way");
	ok(p.lsus >= 1 && p.db_ends >= 1 && p.a_seq == 11,
	   "exchange: the database (A's advert, seq 11) with its end flag");
	/* Unacknowledged: resent every rexmit_ms. */
	lsus = p.lsus;
	advance(450);
	ok(p.lsus >= lsus + 3 && xm_core_stats(core)->lsa_rexmit >= 3,
	   "exchange: resent until acknowledged (%u LSUs)", p.lsus - lsus);
	p.auto_ack = true;
	advance(150);
	lsus = p.lsus;
	advance(500);
	is_int(p.lsus, lsus, "exchange: quiet once acknowledged");
	ok(xm_core_stats(core)->lsa_acked >= 1, "exchange: ack counted");
	p.answer_probes = true;
	advance(200);
	is_int(neigh_state(), XM_NEIGH_UP, "exchange: UP with probes answered");
	ok(p.a_seq == 12 && p.a_adj_to_p == 1,
	   "exchange: A re-originated with its adjacency to the peer");
}

static void two_way_check(void)
{
	uint32_t to_a[] = { 1 }, to_a9[] = { 1, 9 }, to_p[] = { 2 };
	struct xm_advert *a[2];
	struct xm_node_status st;

	a[0] = advert(2, 5, 1, 1, to_a);
	a[1] = advert(9, 3, 1, 1, to_p);
	peer_lsu(a, 2);
	advance(100);
	ok(acked(2, 5) && acked(9, 3), "lsu: both adverts acknowledged");
	ok(known(9, &st) && !st.reachable && route(2) && !route(9),
	   "two-way: node 9 lists the peer, the peer not 9: no edge");
	a[0] = advert(2, 6, 1, 2, to_a9);
	peer_lsu(a, 1);
	advance(100);
	ok(known(9, &st) && st.reachable && st.hops == 2 && route(9),
	   "two-way: once both list each other, 9 is reachable via the peer");
	a[0] = advert(2, 4, 1, 1, to_a);
	peer_lsu(a, 1);
	ok(xm_core_stats(core)->lsa_stale >= 1 && known(2, &st) &&
	   st.lsa_seq == 6, "lsu: an older advert refused");
}

/* A burst of LSUs is acknowledged by one LSACK. */
static void ack_batching(void)
{
	unsigned int lsacks, acks, i;
	struct xm_advert *a[1];

	advance(50);
	lsacks = p.lsacks;
	acks = p.acks;
	for (i = 0; i < 5; i++) {
		a[0] = advert(50 + i, 1, 1, 0, NULL);
		peer_lsu(a, 1);
		advance(2);
	}
	advance(50);
	ok(p.lsacks == lsacks + 1 && p.acks == acks + 5,
	   "ack: five LSUs within the ack delay, one LSACK of five pairs");
}

static void policy(void)
{
	struct xm_policy pol = { .n_excluded_zones = 1,
				 .excluded_zones = { "dmz" } };
	struct xm_advert *a[1];
	uint32_t to_a9[] = { 1, 9 };

	/* The peer's advert with its zone, "dmz". */
	a[0] = advert(2, 7, 1, 2, to_a9);
	strcpy(a[0]->caps.zone, "dmz");
	peer_lsu(a, 1);
	advance(1100);	/* past any SPF hold */
	xm_core_set_policy(core, now, &pol);
	advance(1100);	/* past any SPF hold */
	ok(route(2) && !route(9),
	   "policy: a node of an excluded zone is a destination, no transit");
	pol = (struct xm_policy){ .max_hops = 1 };
	xm_core_set_policy(core, now, &pol);
	advance(1100);	/* past any SPF hold */
	ok(route(2) && !route(9), "policy: max_hops 1 stops at the peer");
	pol = (struct xm_policy){ 0 };
	xm_core_set_policy(core, now, &pol);
	advance(1100);	/* past any SPF hold */
	ok(route(9), "policy: none, 9 reachable again");
}

static void ages(void)
{
	struct xm_advert *a[2];
	struct xm_node_status st;
	uint64_t purged = xm_core_stats(core)->lsa_purged;

	a[0] = advert(7, 1, 100, 0, NULL);
	a[1] = advert(8, 1, 97, 0, NULL);
	peer_lsu(a, 2);
	advance(50);
	ok(!known(7, &st) && acked(7, 1),
	   "age: an advert at max age is acknowledged, not installed");
	ok(known(8, &st) && st.lsa_age_s == 97, "age: one at 97 s installed");
	advance(1950);
	ok(known(8, &st), "age: still there after 2 s");
	advance(1100);
	ok(!known(8, &st) && xm_core_stats(core)->lsa_purged == purged + 1,
	   "age: gone at max age (100 s)");
}

static void limit(void)
{
	struct xm_advert *a[40];
	const struct xm_core_stats *s = xm_core_stats(core);
	uint32_t o = 1000;
	size_t n, k;
	unsigned int i;

	/* More originators than the database takes, 25 per LSU. */
	while (o < 1000 + LSDB_MAX + 100) {
		for (i = 0; i < 25; i++)
			a[i] = advert(o++, 1, 1, 0, NULL);
		peer_lsu(a, 25);
	}
	advance(50);
	for (n = 0; xm_core_node(core, n, &(struct xm_node_status){ 0 }); n++)
		;
	is_int((long long)n, LSDB_MAX, "limit: the database holds XM_LSDB_MAX");
	ok(s->limit_lsdb >= 100, "limit: refusals counted (%llu)",
	   (unsigned long long)s->limit_lsdb);
	ok(s->limit_hits == s->limit_neighbors + s->limit_lsdb +
			    s->lsdb_evicted + s->replay_evicted +
			    s->limit_actions + s->adj_cut +
			    s->limit_kx_keys + s->limit_links + s->limit_seq +
			    s->limit_advert + s->nomem &&
	   !s->nomem && !s->limit_neighbors,
	   "limit: limit_hits is the sum of the named limits (%llu)",
	   (unsigned long long)s->limit_hits);
	ok(acked(o - 1, 1), "limit: refused adverts acknowledged all the same");
	/* A new adjacency gets the whole database, in full messages. */
	p.lsus = 0;
	p.adverts = 0;
	p.db_ends = 0;
	p.hears_a = false;
	advance(200);
	p.hears_a = true;
	advance(300);
	k = p.adverts;
	ok(k >= LSDB_MAX && p.lsus < k / 20 && p.db_ends >= 1,
	   "limit: database exchange of %zu adverts in %u LSUs, end flagged",
	   k, p.lsus);
}

/*
 * The database full of unreachable originators (limit()'s): a new one
 * takes the place of the one unreachable the longest; reachable ones stay.
 */
static void evict(void)
{
	const struct xm_core_stats *s = xm_core_stats(core);
	uint64_t refused = s->limit_lsdb, evicted = s->lsdb_evicted;
	struct xm_node_status st;
	struct xm_advert *a[1];
	size_t n;

	/* The newest of limit()'s adverts are not a second unreachable yet:
	 * a newcomer now is refused, as before. */
	a[0] = advert(900, 1, 1, 0, NULL);
	peer_lsu(a, 1);
	ok(!known(900, &st) && s->limit_lsdb == refused + 1 &&
	   s->lsdb_evicted == evicted,
	   "evict: none unreachable for spf_max_ms yet: refused");
	advance(1100);
	a[0] = advert(901, 1, 1, 0, NULL);
	peer_lsu(a, 1);
	advance(50);
	for (n = 0; xm_core_node(core, n, &(struct xm_node_status){ 0 }); n++)
		;
	ok(known(901, &st) && s->lsdb_evicted == evicted + 1 &&
	   s->limit_lsdb == refused + 1,
	   "evict: a second later the newcomer takes an unreachable one's place");
	is_int((long long)n, LSDB_MAX, "evict: the database still holds XM_LSDB_MAX");
	ok(known(1, &st) && known(2, &st),
	   "evict: this node and its reachable peer are kept");
}

int main(void)
{
	setup();
	stranger();
	exchange();
	two_way_check();
	ack_batching();
	policy();
	ages();
	limit();
	evict();
	xm_core_free(core);
	return tap_done();
}
