/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny discrete-event network for the protocol core tests: cores joined
 * by wires (one shared segment each), SEND actions delivered to the other
 * ends after a delay (multicast to all, unicast to the end with that
 * address), PROBE actions answered with the wire's fixed RTT unless the
 * test says otherwise. Simulated time only; deterministic.
 *
 * XM_TEST_VERBOSE=1 prints every EVENT action as a TAP comment.
 */
#ifndef XM_TEST_CORE_NET_H
#define XM_TEST_CORE_NET_H

#include <arpa/inet.h>
#include <sodium.h>
#include <sys/socket.h>

#include "core.h"
#include "msg.h"
#include "wire.h"
#include "tap.h"

#define NET_NODES	8
#define NET_WIRES	8
#define NET_ENDS	8
#define NET_PENDING	4096
#define NET_FN		static __attribute__((unused))

struct net_end {
	int node;			/* index into net.node */
	uint32_t ifindex;
	struct xm_addr addr;
};

struct net_wire {
	int n_ends;
	struct net_end end[NET_ENDS];
	bool cut;			/* drops messages and probes */
	bool mute;			/* drops messages only */
	bool no_db_end;			/* drops an LSU that ends a database */
	bool deaf_probes;		/* probes go unanswered */
	bool unsent_probes;		/* the kernel refuses probes */
	uint32_t rtt_us;
	xm_time delay_ms;
};

struct net_pending {
	xm_time at;
	int node;
	bool probe_reply;
	uint32_t ifindex, neigh, seq, rtt_us;
	struct xm_addr from;
	uint16_t len;
	uint8_t msg[XM_PDU_MAX];
};

/* What a node did, for the tests to look at. */
struct net_log {
	uint64_t n_actions;
	uint64_t fib, neigh_down, sends, probes;
	uint64_t key_adds, key_dels;	/* XM_ACT_KEY, installed at once */
	xm_time last_neigh_down;	/* when the last NEIGH_DOWN was taken */
	uint32_t last_neigh_down_id;
	/* In the batch of the last NEIGH_DOWN: tables asked before, after. */
	bool fib_before_down, fib_after_down;
	bool fib_in_batch, down_in_batch;
	uint64_t hash;			/* of every action, in order */
	uint64_t events[XM_EV_ERROR + 1];	/* by level */
	/* Events whose level does not fit their text (see net_drain). */
	uint64_t misleveled;
	char last_warn[160];
	char prev_warn[160];		/* the one before last_warn */
};

struct net_node {
	struct xm_core *c;
	struct xm_core_config cfg;
	struct net_log log;
};

struct net {
	xm_time now;
	int n_nodes, n_wires;
	struct net_node node[NET_NODES];
	struct net_wire wire[NET_WIRES];
	struct net_pending *pend;
	size_t n_pend;
	bool verbose;
	/* With certificates: node i's key exchange (NULL: none), and the
	 * wall clock at the start. */
	struct xm_kx *kx[NET_NODES];
	uint64_t unix_s;
	/* Optional: change node i's configuration before its core starts. */
	void (*cfg_hook)(struct net *net, int i, struct xm_core_config *cfg);
	/* Optional: node i's XM_ACT_KEY, instead of installing it at once
	 * (counted, bytes taken); true: taken care of. */
	bool (*key_hook)(struct net *net, int i, const struct xm_action *a);
	/* Optional tap on every message before delivery: may rewrite it. */
	void (*tap)(struct net *net, int to, uint32_t ifindex,
		    const struct xm_addr *from, uint8_t *msg, uint16_t *len);
};

NET_FN const uint8_t net_key[XM_SITE_KEY_LEN] =
	"the site key of the test mesh..";

/* A single core's underlay link: up, 1 Gbit/s, eth5 at 192.0.2.1. */
NET_FN struct xm_link_info net_link5(void)
{
	struct xm_link_info l = {
		.ifindex = 5, .ifname = "eth5", .bandwidth_mbps = 1000,
		.carrier = true,
	};

	xm_parse_addr("192.0.2.1", &l.local, NULL);
	return l;
}

/* The fast profile, scaled for tests. */
NET_FN void net_timers(struct xm_timers *t)
{
	xm_timers_default(t);
	t->hello_ms = 100;
	t->dead_ms = 350;
	t->probe_ms = 20;
	t->probe_miss = 3;
	t->holddown_ms = 500;
	t->holddown_max_ms = 4000;
	t->spf_hold_ms = 50;
	t->spf_max_ms = 1000;
	t->lsa_min_ms = 50;
	t->rexmit_ms = 100;
	t->lsa_refresh_s = 60;
	t->lsa_max_age_s = 120;
	t->purge_after_s = 5;
	t->sync_hold_ms = 1000;
}

NET_FN void net_init(struct net *net)
{
	const char *v = getenv("XM_TEST_VERBOSE");

	memset(net, 0, sizeof(*net));
	net->now = 1000;
	net->pend = calloc(NET_PENDING, sizeof(*net->pend));
	net->verbose = v && *v == '1';
	if (sodium_init() < 0)
		abort();
}

/* Node i gets id i + 1 and a prefix 10.100.<i>.0/24. */
NET_FN int net_add_node(struct net *net, uint64_t boot_id)
{
	int i = net->n_nodes++;
	struct net_node *n = &net->node[i];
	struct xm_core_config *cfg = &n->cfg;

	memset(cfg, 0, sizeof(*cfg));
	cfg->node_id = (uint32_t)i + 1;
	memcpy(cfg->site_key, net_key, sizeof(cfg->site_key));
	memset(cfg->pubkey, i + 1, sizeof(cfg->pubkey));
	cfg->data_port = 7600;
	snprintf(cfg->caps.name, sizeof(cfg->caps.name), "node%d", i + 1);
	cfg->caps.cpu_cores = 4;
	cfg->n_prefixes = 1;
	cfg->prefixes[0].addr.family = AF_INET;
	cfg->prefixes[0].addr.raw[0] = 10;
	cfg->prefixes[0].addr.raw[1] = 100;
	cfg->prefixes[0].addr.raw[2] = (uint8_t)i;
	cfg->prefixes[0].len = 24;
	net_timers(&cfg->timers);
	cfg->boot_id = boot_id;
	cfg->kx = net->kx[i];
	cfg->unix_s = net->unix_s;
	if (net->cfg_hook)
		net->cfg_hook(net, i, cfg);
	n->c = xm_core_new(cfg, net->now);
	if (!n->c)
		abort();
	return i;
}

/*
 * Replace node i's core by a fresh one (a restart), which adopts the n
 * kernel neighbors given (its kernel's, from before) before its links.
 */
NET_FN void net_restart_adopting(struct net *net, int i, uint64_t boot_id,
				 const struct xm_fib_neigh *adopt, size_t n_adopt)
{
	struct net_node *n = &net->node[i];
	size_t k;
	int w, e;

	xm_core_free(n->c);
	n->cfg.boot_id = boot_id;
	n->c = xm_core_new(&n->cfg, net->now);
	if (!n->c)
		abort();
	for (k = 0; k < n_adopt; k++)
		xm_core_adopt_neigh(n->c, &adopt[k]);
	for (w = 0; w < net->n_wires; w++)
		for (e = 0; e < net->wire[w].n_ends; e++) {
			struct net_end *x = &net->wire[w].end[e];
			struct xm_link_info l = {
				.ifindex = x->ifindex, .local = x->addr,
				.bandwidth_mbps = 10000, .carrier = true,
			};

			if (x->node != i)
				continue;
			snprintf(l.ifname, sizeof(l.ifname), "eth%u",
				 x->ifindex);
			xm_core_link_set(n->c, net->now, &l);
		}
}

/* Replace node i's core by a fresh one (a restart). */
NET_FN void net_restart(struct net *net, int i, uint64_t boot_id)
{
	net_restart_adopting(net, i, boot_id, NULL, 0);
}

NET_FN struct net_end *net_end_of(struct net *net, int w, int node)
{
	int e;

	for (e = 0; e < net->wire[w].n_ends; e++)
		if (net->wire[w].end[e].node == node)
			return &net->wire[w].end[e];
	return NULL;
}

/* A wire joining the given nodes: ifindex 10 + wire, 10.0.<wire>.<node+1>. */
NET_FN int net_add_wire(struct net *net, int n_nodes, const int *nodes)
{
	int w = net->n_wires++, k;
	struct net_wire *x = &net->wire[w];

	x->rtt_us = 300;
	x->delay_ms = 1;
	for (k = 0; k < n_nodes; k++) {
		struct net_end *e = &x->end[x->n_ends++];
		struct xm_link_info l = {
			.ifindex = 10 + (uint32_t)w, .bandwidth_mbps = 10000,
			.carrier = true,
		};

		e->node = nodes[k];
		e->ifindex = l.ifindex;
		e->addr.family = AF_INET;
		e->addr.raw[0] = 10;
		e->addr.raw[2] = (uint8_t)w;
		e->addr.raw[3] = (uint8_t)(nodes[k] + 1);
		l.local = e->addr;
		snprintf(l.ifname, sizeof(l.ifname), "eth%u", l.ifindex);
		xm_core_link_set(net->node[nodes[k]].c, net->now, &l);
	}
	return w;
}

NET_FN int net_wire_of(struct net *net, int node, uint32_t ifindex)
{
	int w;

	for (w = 0; w < net->n_wires; w++)
		if (net->wire[w].end[0].ifindex == ifindex &&
		    net_end_of(net, w, node))
			return w;
	return -1;
}

NET_FN xm_time net_min(xm_time a, xm_time b)
{
	return a < b ? a : b;
}

NET_FN bool net_addr_eq(const struct xm_addr *a, const struct xm_addr *b)
{
	return a->family == b->family && !memcmp(a->raw, b->raw, 16);
}

NET_FN void net_queue(struct net *net, const struct net_pending *p)
{
	if (net->n_pend == NET_PENDING)
		abort();
	net->pend[net->n_pend++] = *p;
}

NET_FN void net_hash(struct net_log *log, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		log->hash = (log->hash ^ *b++) * 0x100000001b3ull;
}

/* Carry out node i's actions. */
NET_FN void net_drain(struct net *net, int i)
{
	struct net_node *n = &net->node[i];
	static struct xm_action a;

	n->log.fib_in_batch = false;
	n->log.down_in_batch = false;
	while (xm_core_action(n->c, &a)) {
		struct net_log *log = &n->log;
		int w, e;

		log->n_actions++;
		net_hash(log, &a.type, sizeof(a.type));
		switch (a.type) {
		case XM_ACT_SEND:
			log->sends++;
			net_hash(log, a.msg, a.len);
			w = net_wire_of(net, i, a.ifindex);
			if (w < 0 || net->wire[w].cut || net->wire[w].mute)
				break;
			if (net->wire[w].no_db_end && a.msg[3] == XM_MSG_LSU &&
			    (xm_get16(a.msg + 4) & XM_MSG_F_DB_END))
				break;
			for (e = 0; e < net->wire[w].n_ends; e++) {
				struct net_end *x = &net->wire[w].end[e];
				struct net_pending p = {
					.at = net->now + net->wire[w].delay_ms,
					.node = x->node, .ifindex = x->ifindex,
					.len = a.len,
				};

				if (x->node == i || (a.dst.family &&
				    !net_addr_eq(&a.dst, &x->addr)))
					continue;
				p.from = net_end_of(net, w, i)->addr;
				memcpy(p.msg, a.msg, a.len);
				net_queue(net, &p);
			}
			break;
		case XM_ACT_PROBE: {
			struct xm_neigh_status st;
			size_t k;

			log->probes++;
			net_hash(log, &a.neigh, sizeof(a.neigh));
			for (k = 0; xm_core_neigh(n->c, k, &st); k++)
				if (st.id == a.neigh)
					break;
			if (st.id != a.neigh)
				break;
			w = net_wire_of(net, i, st.ifindex);
			if (w >= 0 && net->wire[w].unsent_probes) {
				xm_core_probe_unsent(n->c, net->now, a.neigh,
						     a.seq);
				break;
			}
			if (w < 0 || net->wire[w].cut ||
			    net->wire[w].deaf_probes)
				break;
			net_queue(net, &(struct net_pending){
				.at = net->now + (net->wire[w].rtt_us + 999) / 1000,
				.node = i, .probe_reply = true,
				.neigh = a.neigh, .seq = a.seq,
				.rtt_us = net->wire[w].rtt_us,
			});
			break;
		}
		case XM_ACT_FIB:
			log->fib++;
			log->fib_in_batch = true;
			if (log->down_in_batch)
				log->fib_after_down = true;
			break;
		case XM_ACT_NEIGH_DOWN:
			log->neigh_down++;
			log->last_neigh_down = net->now;
			log->last_neigh_down_id = a.neigh;
			log->fib_before_down = log->fib_in_batch;
			log->fib_after_down = false;
			log->down_in_batch = true;
			break;
		case XM_ACT_EVENT:
			net_hash(log, a.text, strlen(a.text));
			if ((unsigned int)a.level <= XM_EV_ERROR)
				log->events[a.level]++;
			/* Routine at debug, state changes at info. */
			if ((!strncmp(a.text, "spf:", 4) &&
			     a.level != XM_EV_DEBUG) ||
			    (!strncmp(a.text, "neigh ", 6) &&
			     a.level != XM_EV_INFO) ||
			    (!strncmp(a.text, "refused:", 8) &&
			     a.level != XM_EV_WARN))
				log->misleveled++;
			if (a.level == XM_EV_WARN) {
				memcpy(log->prev_warn, log->last_warn,
				       sizeof(log->prev_warn));
				memcpy(log->last_warn, a.text,
				       sizeof(log->last_warn));
			}
			if (net->verbose)
				printf("# %6llu node %u: %s\n",
				       (unsigned long long)net->now,
				       xm_core_node_id(n->c), a.text);
			break;
		case XM_ACT_KEY: {
			uint8_t key[32];

			if (net->key_hook && net->key_hook(net, i, &a))
				break;
			if (a.key_del) {
				log->key_dels++;
				break;
			}
			if (xm_core_key_get(n->c, a.neigh, a.key_origin,
					    a.key_id, a.key_dir, key))
				log->key_adds++;
			xm_core_key_done(n->c, a.neigh, a.key_origin, a.key_id,
					 a.key_dir);
			memset(key, 0, sizeof(key));
			break;
		}
		}
	}
}

NET_FN void net_drain_all(struct net *net)
{
	int i;

	for (i = 0; i < net->n_nodes; i++)
		if (net->node[i].c)
			net_drain(net, i);
}

/* One step: everything due at the next instant, up to `until`. */
NET_FN bool net_step(struct net *net, xm_time until)
{
	xm_time next = XM_NEVER;
	size_t k;
	int i;

	net_drain_all(net);
	for (k = 0; k < net->n_pend; k++)
		next = net_min(next, net->pend[k].at);
	for (i = 0; i < net->n_nodes; i++)
		if (net->node[i].c)
			next = net_min(next,
					   xm_core_next_timer(net->node[i].c));
	if (next > until) {
		net->now = until;
		return false;
	}
	if (next > net->now)
		net->now = next;
	/* Deliveries in the order they were queued. */
	for (k = 0; k < net->n_pend;) {
		struct net_pending p = net->pend[k];
		struct xm_core *c = net->node[p.node].c;

		if (p.at > net->now) {
			k++;
			continue;
		}
		memmove(&net->pend[k], &net->pend[k + 1],
			(net->n_pend - k - 1) * sizeof(*net->pend));
		net->n_pend--;
		if (!c)
			continue;
		if (p.probe_reply) {
			xm_core_probe_reply(c, net->now, p.neigh, p.seq,
					    p.rtt_us);
		} else {
			int w = net_wire_of(net, p.node, p.ifindex);

			if (w >= 0 && net->wire[w].cut)
				continue;
			if (net->tap)
				net->tap(net, p.node, p.ifindex, &p.from,
					 p.msg, &p.len);
			xm_core_recv(c, net->now, p.ifindex, &p.from, p.msg,
				     p.len);
		}
		net_drain(net, p.node);
	}
	for (i = 0; i < net->n_nodes; i++)
		if (net->node[i].c &&
		    xm_core_next_timer(net->node[i].c) <= net->now)
			xm_core_timer(net->node[i].c, net->now);
	net_drain_all(net);
	return true;
}

/*
 * The whole machine stops for ms (an emulated guest's vCPUs not run):
 * nothing is sent, answered or delivered meanwhile, and every core's
 * timers come due together when it goes on.
 */
NET_FN void net_stall(struct net *net, xm_time ms)
{
	size_t k;

	for (k = 0; k < net->n_pend; k++)
		net->pend[k].at += ms;
	net->now += ms;
}

/* Step until node i waits for a probe's answer (one is on its way). */
NET_FN bool net_probe_in_flight(struct net *net, int i, xm_time ms)
{
	xm_time until = net->now + ms;
	size_t k;

	do {
		for (k = 0; k < net->n_pend; k++)
			if (net->pend[k].probe_reply && net->pend[k].node == i)
				return true;
	} while (net_step(net, until));
	return false;
}

NET_FN void net_run(struct net *net, xm_time ms)
{
	xm_time until = net->now + ms;

	while (net_step(net, until))
		;
}

/* Run until pred(net, arg) holds (true) or ms pass (false). */
NET_FN bool net_until(struct net *net, xm_time ms,
		      bool (*pred)(struct net *, const void *), const void *arg)
{
	xm_time until = net->now + ms;

	while (!pred(net, arg))
		if (!net_step(net, until))
			return pred(net, arg);
	return true;
}

/* The state of node a's neighbor node b (any link), or -1. */
NET_FN int net_neigh_state(struct net *net, int a, int b,
			   struct xm_neigh_status *out)
{
	struct xm_neigh_status st;
	size_t k;

	for (k = 0; xm_core_neigh(net->node[a].c, k, &st); k++)
		if (st.node == (uint32_t)b + 1) {
			if (out)
				*out = st;
			return (int)st.state;
		}
	return -1;
}

struct net_pair {
	int a, b;
	int state;
};

NET_FN bool net_pair_is(struct net *net, const void *arg)
{
	const struct net_pair *p = arg;

	return net_neigh_state(net, p->a, p->b, NULL) == p->state;
}

NET_FN bool net_pair_is_not(struct net *net, const void *arg)
{
	const struct net_pair *p = arg;

	return net_neigh_state(net, p->a, p->b, NULL) != p->state;
}

/* Every node knows every node's advert at the originator's sequence. */
NET_FN bool net_converged(struct net *net, const void *arg)
{
	int i, j;

	(void)arg;
	for (i = 0; i < net->n_nodes; i++) {
		struct xm_node_status own, st;
		size_t k;

		for (k = 0; xm_core_node(net->node[i].c, k, &own); k++)
			if (own.node == (uint32_t)i + 1)
				break;
		for (j = 0; j < net->n_nodes; j++) {
			bool found = false;

			for (k = 0; xm_core_node(net->node[j].c, k, &st); k++)
				found |= st.node == own.node &&
					 st.lsa_seq == own.lsa_seq;
			if (!found)
				return false;
		}
	}
	return true;
}

NET_FN size_t net_n_nodes(struct net *net, int i)
{
	struct xm_node_status st;
	size_t k;

	for (k = 0; xm_core_node(net->node[i].c, k, &st); k++)
		;
	return k;
}

NET_FN const struct xm_fib_route *net_route(struct net *net, int i, int dst)
{
	const struct xm_fib *f = xm_core_fib(net->node[i].c);
	size_t k;

	for (k = 0; k < f->n_routes; k++)
		if (f->routes[k].dst == (uint32_t)dst + 1)
			return &f->routes[k];
	return NULL;
}

NET_FN void net_free(struct net *net)
{
	int i;

	for (i = 0; i < net->n_nodes; i++)
		xm_core_free(net->node[i].c);
	free(net->pend);
}

#endif /* XM_TEST_CORE_NET_H */
