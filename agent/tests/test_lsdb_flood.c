// SPDX-License-Identifier: GPL-2.0
/*
 * The link-state database over a line of three cores A - B - C
 * (test_core_net.h): the database converges, routes, prefixes and paths
 * appear in the desired tables, retransmission covers a lossy hop, a
 * replayed old advert is refused, an originator that disappears is purged
 * after purge_after_s, and a restarted originator outnumbers its old
 * advert.
 */
#include "msg.h"
#include "test_core_net.h"

enum { A, B, C };

/* The last LSU from B to A that carried C's advert, as sent. */
static uint8_t cap_msg[XM_PDU_MAX];
static size_t cap_len;
static uint32_t cap_seq;
/* Set: the next message from B to A is replaced by cap_msg's adverts. */
static bool forge;

static void capture(struct net *net, int to, uint32_t ifindex,
		    const struct xm_addr *from, uint8_t *msg, uint16_t *len)
{
	struct xm_advert *a = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	struct xm_msg_writer w;
	struct xm_msg m, old;
	size_t off = 0;
	int n;

	(void)net;
	(void)ifindex;
	(void)from;
	if (to != A || xm_msg_open(msg, *len, net_key, &m) ||
	    m.hdr.sender != B + 1) {
		free(a);
		return;
	}
	if (forge) {
		/* A key holder's doing: old adverts, a fresh sequence. */
		forge = false;
		xm_msg_open(cap_msg, cap_len, net_key, &old);
		xm_msg_begin(&w, msg, XM_PDU_MAX, XM_MSG_LSU, 0, B + 1,
			     m.hdr.seq);
		while (xm_lsu_next(&old, &off, a) > 0)
			xm_lsu_put(&w, a, a->age_s);
		n = xm_msg_finish(&w, net_key);
		*len = (uint16_t)n;
	} else if (m.hdr.type == XM_MSG_LSU) {
		while (xm_lsu_next(&m, &off, a) > 0)
			if (a->originator == C + 1) {
				memcpy(cap_msg, msg, *len);
				cap_len = *len;
				cap_seq = a->seq;
			}
	}
	free(a);
}

static void line(struct net *net)
{
	int ab[2] = { A, B }, bc[2] = { B, C };

	net_init(net);
	net_add_node(net, 100);
	net_add_node(net, 100);
	net_add_node(net, 100);
	net_add_wire(net, 2, ab);
	net_add_wire(net, 2, bc);
}

static bool routes_ready(struct net *net, const void *arg)
{
	(void)arg;
	return net_route(net, A, C) && net_route(net, C, A) &&
	       xm_core_fib(net->node[A].c)->n_prefixes == 2;
}

static bool node_status(struct net *net, int i, int of,
			struct xm_node_status *out)
{
	size_t k;

	for (k = 0; xm_core_node(net->node[i].c, k, out); k++)
		if (out->node == (uint32_t)of + 1)
			return true;
	return false;
}

static void converge(struct net *net)
{
	const struct xm_fib_route *r;
	const struct xm_fib *f;
	struct xm_neigh_status nb;
	struct xm_node_status st;
	struct xm_path path;
	struct xm_edge e;
	size_t k;
	bool from_to_ok = true;
	uint32_t cost_c;

	ok(net_until(net, 3000, net_converged, NULL),
	   "converge: every node has every advert at its sequence");
	is_int((long long)net_n_nodes(net, A), 3, "converge: A knows 3 nodes");
	ok(net_until(net, 3000, routes_ready, NULL),
	   "converge: routes A <-> C in the tables");
	r = net_route(net, A, C);
	net_neigh_state(net, A, B, &nb);
	ok(r && r->n_nexthops == 1 && r->nexthop[0].neigh == nb.id &&
	   r->nexthop[0].priority == 0,
	   "route: A reaches C through its neighbor B (id %u)", nb.id);
	f = xm_core_fib(net->node[A].c);
	ok(f->n_prefixes == 2 && f->prefixes[0].node == 2 &&
	   f->prefixes[1].node == 3 && f->prefixes[1].prefix.len == 24 &&
	   f->prefixes[1].prefix.addr.raw[2] == 2,
	   "prefixes: B's and C's (10.100.2.0/24 -> node 3), not A's own");
	memset(&path, 0, sizeof(path));
	xm_core_path(net->node[A].c, C + 1, &path);
	ok(path.n_hops == 2 &&
	   path.node[0] == 1 && path.node[1] == 2 && path.node[2] == 3 &&
	   path.cost[0] == 0 && path.cost[1] > 0 &&
	   path.cost[2] > path.cost[1],
	   "path: A -> B -> C, costs 0 < %u < %u", path.cost[1],
	   path.cost[2]);
	cost_c = path.cost[2];
	ok(xm_core_path(net->node[A].c, A + 1, &path) && path.n_hops == 0,
	   "path: to itself, no hops");
	ok(!xm_core_path(net->node[A].c, 99, &path), "path: unknown node");
	memset(&st, 0, sizeof(st));
	node_status(net, A, C, &st);
	ok(st.reachable && st.hops == 2 &&
	   st.cost == cost_c && !strcmp(st.caps.name, "node3") &&
	   st.n_prefixes == 1,
	   "node: C reachable in 2 hops at cost %u, name and prefix", st.cost);
	for (k = 0; xm_core_edge(net->node[A].c, k, &e); k++)
		from_to_ok &= e.from != e.to && e.from <= 3 && e.to <= 3 &&
			      e.metric > 0;
	ok(k == 4 && from_to_ok, "edges: A-B, B-A, B-C, C-B (%zu)", k);
	ok(xm_core_fib_ready(net->node[A].c, net->now), "ready: A's tables");
}

static bool c_seq_at_a(struct net *net, const void *arg)
{
	struct xm_node_status st;

	return node_status(net, A, C, &st) &&
	       st.lsa_seq == *(const uint32_t *)arg;
}

/* C re-originates while the A - B hop loses everything for a while. */
static void retransmit(struct net *net)
{
	const struct xm_core_stats *sb = xm_core_stats(net->node[B].c);
	struct xm_caps caps = net->node[C].cfg.caps;
	struct xm_node_status st;
	uint64_t rexmit = sb->lsa_rexmit;
	uint32_t want;

	node_status(net, C, C, &st);
	want = st.lsa_seq + 1;
	net->wire[0].mute = true;
	strcpy(caps.zone, "rack-9");
	xm_core_set_caps(net->node[C].c, net->now, &caps);
	net_run(net, 150);
	node_status(net, B, C, &st);
	is_int(st.lsa_seq, want, "flood: B has C's new advert");
	ok(!c_seq_at_a(net, &want), "flood: A does not, the hop is mute");
	net->wire[0].mute = false;
	ok(net_until(net, 1000, c_seq_at_a, &want),
	   "flood: A gets it once the hop is back");
	ok(sb->lsa_rexmit > rexmit, "flood: B retransmitted (%llu)",
	   (unsigned long long)(sb->lsa_rexmit - rexmit));
	node_status(net, A, C, &st);
	is_str(st.caps.zone, "rack-9", "flood: the new zone arrived");
}

static void stale(struct net *net)
{
	const struct xm_core_stats *sa = xm_core_stats(net->node[A].c);
	struct xm_node_status st;
	uint64_t stale0 = sa->lsa_stale, replay0 = sa->rx_replayed;

	ok(cap_len > 0, "stale: captured an LSU with C's advert, seq %u",
	   cap_seq);
	node_status(net, A, C, &st);
	ok(st.lsa_seq > cap_seq, "stale: A has a newer one (%u)", st.lsa_seq);
	/* The capture as it was: a replay. */
	xm_core_recv(net->node[A].c, net->now, 10, &net->wire[0].end[1].addr,
		     cap_msg, cap_len);
	is_int((long long)(sa->rx_replayed - replay0), 1,
	       "stale: the captured message itself is a replay");
	forge = true;
	net->tap = capture;
	net_run(net, 300);
	net->tap = NULL;
	ok(!forge, "stale: the old advert went in a fresh message");
	ok(sa->lsa_stale > stale0, "stale: the old advert counted stale");
	node_status(net, A, C, &st);
	ok(st.lsa_seq > cap_seq, "stale: A keeps the newer one");
	ok(net_converged(net, NULL), "stale: the mesh is still converged");
}

static bool c_gone_at_a(struct net *net, const void *arg)
{
	struct xm_node_status st;

	(void)arg;
	return !node_status(net, A, C, &st);
}

static void purge(struct net *net)
{
	const struct xm_timers *t = &net->node[A].cfg.timers;
	const struct xm_core_stats *sa = xm_core_stats(net->node[A].c);
	struct xm_node_status st;
	xm_time t0 = net->now;

	net->wire[1].cut = true;
	xm_core_link_carrier(net->node[C].c, net->now, 11, false);
	net_run(net, 500);
	ok(node_status(net, A, C, &st) && !st.reachable,
	   "purge: C unreachable at A, still known");
	ok(!net_route(net, A, C), "purge: no route to C");
	is_int((long long)xm_core_fib(net->node[A].c)->n_prefixes, 1,
	       "purge: C's prefix withdrawn");
	net_run(net, (xm_time)t->purge_after_s * 1000 - 1000);
	ok(!c_gone_at_a(net, NULL), "purge: not before purge_after_s");
	ok(net_until(net, 2000, c_gone_at_a, NULL),
	   "purge: C forgotten after %llu ms",
	   (unsigned long long)(net->now - t0));
	ok(sa->lsa_purged >= 1, "purge: counted");
	net_run(net, 100);
	is_int((long long)net_n_nodes(net, B), 2, "purge: B forgot C too");
}

/* C comes back with the numbers of a restart. */
static void restart(struct net *net)
{
	struct xm_node_status st, own;
	uint32_t before;

	node_status(net, B, B, &st);
	net->wire[1].cut = false;
	xm_core_link_carrier(net->node[C].c, net->now, 11, true);
	ok(net_until(net, 3000, net_converged, NULL), "return: converged");
	node_status(net, A, C, &st);
	before = st.lsa_seq;
	/* Restarted with a later boot id but an advert sequence below. */
	net_restart(net, C, 101);
	node_status(net, C, C, &own);
	ok(own.lsa_seq < before, "restart: C starts at %u, below %u",
	   own.lsa_seq, before);
	ok(net_until(net, 3000, net_converged, NULL), "restart: converged");
	node_status(net, A, C, &st);
	ok(st.lsa_seq > before, "restart: C outnumbered its old advert (%u)",
	   st.lsa_seq);
	ok(net_until(net, 3000, routes_ready, NULL),
	   "restart: routes to C again");
}

int main(void)
{
	struct net net;

	line(&net);
	net.tap = capture;
	converge(&net);
	net.tap = NULL;
	retransmit(&net);
	stale(&net);
	purge(&net);
	restart(&net);
	net_free(&net);
	return tap_done();
}
