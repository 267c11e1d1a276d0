// SPDX-License-Identifier: GPL-2.0
/*
 * The simulator's engine (sim.h): nodes, links, the event queue, the
 * cores' actions carried out the way xmeshd and xmesh.ko would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sim_priv.h"
#include "util.h"
#include "xmesh_parse.h"

enum {
	EV_TIMER,		/* a: the timer generation */
	EV_RECV,		/* a: ifindex; data: struct pkt */
	EV_PROBE_REPLY,		/* a: neighbor id, b: seq, c: rtt us */
};

struct pkt {
	struct xm_addr from;
	uint16_t len;
	uint8_t msg[];
};

#define NO_TIMER	UINT64_MAX

/* ---- randomness: splitmix64, one stream per simulation ---- */

uint64_t sim_rand(struct xm_sim *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool lost(struct xm_sim *s, uint32_t loss_ppm)
{
	return loss_ppm && sim_rand(s) % 1000000 < loss_ppm;
}

/* ---- the event queue ---- */

static bool ev_before(const struct sim_event *a, const struct sim_event *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int ev_push(struct xm_sim *s, uint64_t t, uint32_t node, uint8_t type,
		   uint32_t a, uint32_t b, uint32_t c, void *data)
{
	struct sim_event e = {
		.t = t, .seq = s->seq++, .node = node, .type = type,
		.a = a, .b = b, .c = c, .data = data,
		.boot = s->node[node].boot,
	};
	size_t i;

	if (xm_grow((void **)&s->ev, &s->cap_ev, s->n_ev + 1, sizeof(*s->ev))) {
		free(data);
		return -ENOMEM;
	}
	for (i = s->n_ev++; i > 0; i = (i - 1) / 2) {
		if (!ev_before(&e, &s->ev[(i - 1) / 2]))
			break;
		s->ev[i] = s->ev[(i - 1) / 2];
	}
	s->ev[i] = e;
	return 0;
}

static struct sim_event ev_pop(struct xm_sim *s)
{
	struct sim_event top = s->ev[0], last = s->ev[--s->n_ev];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->n_ev)
			break;
		if (c + 1 < s->n_ev && ev_before(&s->ev[c + 1], &s->ev[c]))
			c++;
		if (!ev_before(&s->ev[c], &last))
			break;
		s->ev[i] = s->ev[c];
		i = c;
	}
	if (s->n_ev)
		s->ev[i] = last;
	return top;
}

/* ---- building ---- */

struct xm_sim *xm_sim_new(const struct xm_sim_conf *conf)
{
	struct xm_sim *s = calloc(1, sizeof(*s));
	unsigned int i;

	if (!s)
		return NULL;
	s->conf = *conf;
	s->rng = conf->seed;
	for (i = 0; i < XM_SITE_KEY_LEN; i++)
		s->site_key[i] = (uint8_t)sim_rand(s);
	if (!s->conf.link.delay_us && !s->conf.link.bandwidth_mbps) {
		s->conf.link.delay_us = 100;
		s->conf.link.jitter_us = 10;
		s->conf.link.bandwidth_mbps = 10000;
	}
	return s;
}

static void agent_free(struct sim_node *n)
{
	const struct xm_core_stats *st;

	if (!n->core)
		return;
	st = xm_core_stats(n->core);
	if (st)
		n->spf_runs += st->spf_runs;
	xm_core_free(n->core);
	n->core = NULL;
	n->agent = false;
}

void xm_sim_free(struct xm_sim *s)
{
	uint32_t i;

	if (!s)
		return;
	for (i = 0; i < s->n_nodes; i++) {
		agent_free(&s->node[i]);
		xm_vkernel_free(&s->node[i].k);
	}
	for (i = 0; i < s->n_links; i++)
		free(s->link[i].end);
	for (i = 0; i < s->n_ev; i++)
		free(s->ev[i].data);
	free(s->ev);
	free(s->node);
	free(s->link);
	free(s);
}

long xm_sim_add_node(struct xm_sim *s, const char *zone)
{
	struct sim_node *n;

	/* Node ids are n_nodes + 1: uint32_t. */
	if (s->n_nodes == UINT32_MAX - 1 ||
	    xm_grow((void **)&s->node, &s->cap_nodes, (size_t)s->n_nodes + 1,
		    sizeof(*s->node)))
		return -ENOMEM;
	n = &s->node[s->n_nodes];
	memset(n, 0, sizeof(*n));
	n->id = s->n_nodes + 1;
	snprintf(n->zone, sizeof(n->zone), "%s", zone ? zone : "");
	n->alive = true;
	n->timer_at = NO_TIMER;
	xm_vkernel_init(&n->k, n->id);
	return s->n_nodes++;
}

long xm_sim_add_link(struct xm_sim *s, const uint32_t *nodes, size_t n,
		     const struct xm_sim_link_conf *conf)
{
	struct sim_link *l;
	size_t i;

	if (n < 2 || s->n_links >= 65536)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (nodes[i] >= s->n_nodes)
			return -EINVAL;
		if (s->node[nodes[i]].n_ports >= XM_LINK_MAX)
			return -ENOSPC;
	}
	if (xm_grow((void **)&s->link, &s->cap_links, (size_t)s->n_links + 1,
		    sizeof(*s->link)))
		return -ENOMEM;
	l = &s->link[s->n_links];
	memset(l, 0, sizeof(*l));
	l->end = calloc(n, sizeof(*l->end));
	if (!l->end)
		return -ENOMEM;
	l->conf = conf ? *conf : s->conf.link;
	l->carrier = true;
	l->n_ends = (unsigned int)n;
	for (i = 0; i < n; i++) {
		struct sim_node *x = &s->node[nodes[i]];
		struct sim_end *e = &l->end[i];

		e->node = nodes[i];
		e->ifindex = x->n_ports + 2;
		/* 10.<link>.<end + 1>: one subnet per link. */
		e->addr.family = AF_INET;
		e->addr.raw[0] = 10;
		e->addr.raw[1] = (uint8_t)(s->n_links >> 8);
		e->addr.raw[2] = (uint8_t)s->n_links;
		e->addr.raw[3] = (uint8_t)(i + 1);
		x->port[x->n_ports++] = (struct sim_port){ s->n_links,
							   (uint32_t)i };
	}
	return s->n_links++;
}

/* ---- lookups ---- */

static const struct sim_port *port_of(const struct sim_node *n,
				      uint32_t ifindex)
{
	if (ifindex < 2 || ifindex - 2 >= n->n_ports)
		return NULL;
	return &n->port[ifindex - 2];
}

static uint32_t node_index(const struct xm_sim *s, const struct sim_node *n)
{
	return (uint32_t)(n - s->node);
}

const struct sim_end *sim_neigh_peer(const struct xm_sim *s,
				     const struct sim_node *n,
				     const struct xm_fib_neigh *kn,
				     const struct sim_link **link)
{
	const struct sim_port *p = port_of(n, kn->ifindex);
	const struct sim_link *l;
	unsigned int i;

	if (!p)
		return NULL;
	l = &s->link[p->link];
	*link = l;
	if (!l->carrier || l->silent)
		return NULL;
	for (i = 0; i < l->n_ends; i++)
		if (i != p->end && xm_addr_eq(&l->end[i].addr, &kn->remote))
			return s->node[l->end[i].node].alive ? &l->end[i] :
							       NULL;
	return NULL;
}

bool sim_kernel_accepts(const struct xm_sim *s, const struct sim_node *n,
			uint32_t ifindex, const struct xm_addr *from,
			uint32_t from_node, bool data)
{
	const struct sim_port *p = port_of(n, ifindex);
	size_t i;

	if (!n->alive || !p)
		return false;
	for (i = 0; i < n->k.t.n_neighs; i++) {
		const struct xm_fib_neigh *kn = &n->k.t.neighs[i];

		if (kn->ifindex != ifindex || !xm_addr_eq(&kn->remote, from))
			continue;
		if (data)	/* a neighbor marked down carries no data */
			return kn->up && s->link[p->link].carrier;
		return kn->node == from_node;	/* link probes check it */
	}
	return false;
}

uint32_t sim_link_metric(const struct sim_link *l)
{
	uint64_t ok = 1000000 - l->conf.loss_ppm;

	/* What probes see: twice the delay, half the jitter on average,
	 * the loss of a round trip. */
	return xm_metric(2 * l->conf.delay_us + l->conf.jitter_us / 2,
			 (uint32_t)(1000000 - ok * ok / 1000000),
			 l->conf.bandwidth_mbps);
}

bool sim_node_excluded(const struct xm_sim *s, const struct sim_node *n)
{
	unsigned int i;

	for (i = 0; i < s->conf.policy.n_excluded_zones; i++)
		if (!strcmp(s->conf.policy.excluded_zones[i], n->zone))
			return true;
	return false;
}

/* One overlay address per node: 100.64.0.0/10 + id, a /32. */
void sim_node_prefix(uint32_t id, struct xm_prefix4or6 *p)
{
	memset(p, 0, sizeof(*p));
	p->addr.family = AF_INET;
	p->addr.raw[0] = 100;
	p->addr.raw[1] = (uint8_t)(64 + ((id >> 16) & 63));
	p->addr.raw[2] = (uint8_t)(id >> 8);
	p->addr.raw[3] = (uint8_t)id;
	p->len = 32;
}

/* ---- the cores' actions ---- */

static xm_time ms(const struct xm_sim *s)
{
	return s->now / XM_SIM_MS;
}

static void deliver(struct xm_sim *s, struct sim_node *n,
		    const struct xm_action *a)
{
	const struct sim_port *p = port_of(n, a->ifindex);
	struct sim_link *l;
	struct sim_end *me;
	uint64_t at;
	unsigned int i;

	s->st.msgs++;
	s->st.bytes += a->len;
	if (!p)
		return;
	l = &s->link[p->link];
	me = &l->end[p->end];
	if (!l->carrier)
		return;
	at = s->now;
	if (s->conf.serialize && l->conf.bandwidth_mbps) {
		if (me->busy_until > at)
			at = me->busy_until;
		at += (uint64_t)a->len * 8 / l->conf.bandwidth_mbps;
		me->busy_until = at;
	}
	at += l->conf.delay_us;
	for (i = 0; i < l->n_ends; i++) {
		struct pkt *k;

		if (i == p->end || (a->dst.family &&
				    !xm_addr_eq(&a->dst, &l->end[i].addr)))
			continue;
		if (l->silent || lost(s, l->conf.loss_ppm)) {
			s->st.msgs_lost++;
			continue;
		}
		k = malloc(sizeof(*k) + a->len);
		if (!k)
			continue;
		k->from = me->addr;
		k->len = a->len;
		memcpy(k->msg, a->msg, a->len);
		ev_push(s, at, l->end[i].node, EV_RECV, l->end[i].ifindex, 0,
			0, k);
	}
}

/* A link probe, as the kernel sends it over the neighbor's adjacency. */
static void probe(struct xm_sim *s, struct sim_node *n,
		  const struct xm_action *a)
{
	const struct xm_fib_neigh *kn = xm_vkernel_neigh(&n->k, a->neigh);
	const struct sim_end *peer;
	const struct sim_link *l;
	const struct sim_port *p;
	uint32_t rtt;

	s->st.probes++;
	if (!kn) {
		s->st.probes_unresolved++;
		return;
	}
	peer = sim_neigh_peer(s, n, kn, &l);
	p = port_of(n, kn->ifindex);
	if (!peer || lost(s, l->conf.loss_ppm) || lost(s, l->conf.loss_ppm) ||
	    !sim_kernel_accepts(s, &s->node[peer->node], peer->ifindex,
				&l->end[p->end].addr, n->id, false))
		return;
	rtt = 2 * l->conf.delay_us +
	      (uint32_t)(l->conf.jitter_us ?
			 sim_rand(s) % (l->conf.jitter_us + 1) : 0);
	s->st.probes_answered++;
	ev_push(s, s->now + (rtt ? rtt : 1), node_index(s, n), EV_PROBE_REPLY,
		a->neigh, a->seq, rtt, NULL);
}

static void kernel_changed(struct xm_sim *s, struct sim_node *n,
			   uint64_t changes_before, uint64_t fwd_before,
			   uint64_t refused_before, uint64_t dangling_before)
{
	s->st.fib_changes += n->k.changes - changes_before;
	if (n->k.fwd_changes != fwd_before)
		s->st.last_change = s->now;
	s->st.fib_refused += n->k.refused - refused_before;
	s->st.fib_dangling += n->k.dangling - dangling_before;
}

static void fib_sync(struct xm_sim *s, struct sim_node *n)
{
	uint64_t c = n->k.changes, f = n->k.fwd_changes, r = n->k.refused;
	uint64_t d = n->k.dangling;
	const struct xm_fib *want;

	if (!n->fib_dirty || !xm_core_fib_ready(n->core, ms(s)))
		return;
	want = xm_core_fib(n->core);
	if (!want)
		return;
	s->st.fib_syncs++;
	/* A refused sync stays dirty, and is tried again, like xmeshd. */
	n->fib_dirty = xm_vkernel_sync(&n->k, want) != 0;
	kernel_changed(s, n, c, f, r, d);
}

static void schedule_timer(struct xm_sim *s, struct sim_node *n)
{
	xm_time t = xm_core_next_timer(n->core);
	uint64_t at;

	if (t == XM_NEVER)
		return;
	at = t * XM_SIM_MS;
	if (at < s->now)
		at = s->now;
	if (at == n->timer_at)
		return;
	n->timer_at = at;
	ev_push(s, at, node_index(s, n), EV_TIMER, ++n->timer_gen, 0, 0, NULL);
}

/* After any event at n: its actions, its kernel, its next timer. */
static void node_after(struct xm_sim *s, struct sim_node *n)
{
	struct xm_action a;

	if (!n->agent)
		return;
	while (xm_core_action(n->core, &a)) {
		switch (a.type) {
		case XM_ACT_SEND:
			deliver(s, n, &a);
			break;
		case XM_ACT_PROBE:
			probe(s, n, &a);
			break;
		case XM_ACT_FIB:
			n->fib_dirty = true;
			break;
		case XM_ACT_NEIGH_DOWN: {
			const struct xm_fib_neigh *kn =
				xm_vkernel_neigh(&n->k, a.neigh);

			if (kn && kn->up) {
				xm_vkernel_neigh_state(&n->k, a.neigh, false);
				s->st.fib_changes++;
				s->st.last_change = s->now;
			}
			break;
		}
		case XM_ACT_EVENT:
			if (s->conf.verbose)
				fprintf(stderr, "%8.3f n%u: %.*s\n",
					(double)s->now / XM_SIM_S, n->id,
					(int)sizeof(a.text), a.text);
			break;
		case XM_ACT_KEY:	/* the simulator runs without keys */
			break;
		}
	}
	fib_sync(s, n);
	schedule_timer(s, n);
}

static void handle(struct xm_sim *s, struct sim_event *e)
{
	struct sim_node *n = &s->node[e->node];
	const struct sim_port *p;

	if (e->boot != n->boot || !n->agent)
		return;		/* for a node or agent no longer there */
	switch (e->type) {
	case EV_TIMER:
		if (e->a != n->timer_gen)
			return;
		n->timer_at = NO_TIMER;
		xm_core_timer(n->core, ms(s));
		break;
	case EV_RECV: {
		const struct pkt *k = e->data;

		p = port_of(n, e->a);
		if (!p || !s->link[p->link].carrier || s->link[p->link].silent)
			return;
		xm_core_recv(n->core, ms(s), e->a, &k->from, k->msg, k->len);
		break;
	}
	case EV_PROBE_REPLY:
		xm_core_probe_reply(n->core, ms(s), e->a, e->b, e->c);
		break;
	}
	node_after(s, n);
}

void xm_sim_run(struct xm_sim *s, uint64_t t)
{
	while (s->n_ev && s->ev[0].t <= t) {
		struct sim_event e = ev_pop(s);

		s->now = e.t;
		s->st.events++;
		handle(s, &e);
		free(e.data);
	}
	if (t > s->now)
		s->now = t;
}

uint64_t xm_sim_now(const struct xm_sim *s)
{
	return s->now;
}

/* ---- agents ---- */

static void core_config(const struct xm_sim *s, const struct sim_node *n,
			struct xm_core_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->node_id = n->id;
	memcpy(cfg->site_key, s->site_key, sizeof(cfg->site_key));
	memcpy(cfg->pubkey, &n->id, sizeof(n->id));
	cfg->data_port = 7600;
	snprintf(cfg->caps.name, sizeof(cfg->caps.name), "n%u", n->id);
	snprintf(cfg->caps.zone, sizeof(cfg->caps.zone), "%s", n->zone);
	cfg->caps.cpu_cores = 4;
	cfg->n_prefixes = 1;
	sim_node_prefix(n->id, &cfg->prefixes[0]);
	if (s->conf.timers.hello_ms)
		cfg->timers = s->conf.timers;
	else
		xm_timers_default(&cfg->timers);
	cfg->policy = s->conf.policy;
	/* Later agents count higher, as wall-clock seconds would. */
	cfg->boot_id = s->now + 1;
}

static void link_info(const struct xm_sim *s, const struct sim_node *n,
		      unsigned int i, struct xm_link_info *li)
{
	const struct sim_link *l = &s->link[n->port[i].link];

	memset(li, 0, sizeof(*li));
	li->ifindex = i + 2;
	snprintf(li->ifname, sizeof(li->ifname), "l%u", n->port[i].link);
	li->local = l->end[n->port[i].end].addr;
	li->bandwidth_mbps = l->conf.bandwidth_mbps;
	li->carrier = l->carrier;
}

int xm_sim_agent_start(struct xm_sim *s, uint32_t node)
{
	struct sim_node *n = &s->node[node];
	struct xm_core_config cfg;
	size_t i;

	if (!n->alive || n->agent)
		return -EINVAL;
	core_config(s, n, &cfg);
	errno = 0;
	n->core = xm_core_new(&cfg, ms(s));
	if (!n->core)
		return errno ? -errno : -ENOMEM;
	n->agent = true;
	n->timer_at = NO_TIMER;
	n->timer_gen++;
	/* As xmeshd: the kernel's neighbors first, then the links. */
	for (i = 0; i < n->k.t.n_neighs; i++)
		xm_core_adopt_neigh(n->core, &n->k.t.neighs[i]);
	for (i = 0; i < n->n_ports; i++) {
		struct xm_link_info li;

		link_info(s, n, (unsigned int)i, &li);
		xm_core_link_set(n->core, ms(s), &li);
	}
	n->fib_dirty = true;
	node_after(s, n);
	return 0;
}

void xm_sim_agent_stop(struct xm_sim *s, uint32_t node)
{
	agent_free(&s->node[node]);
}

int xm_sim_start(struct xm_sim *s)
{
	uint32_t i;
	int err;

	s->started = true;
	for (i = 0; i < s->n_nodes; i++) {
		err = xm_sim_agent_start(s, i);
		if (err)
			return err;
	}
	return 0;
}

/* ---- failures ---- */

void xm_sim_link_carrier(struct xm_sim *s, uint32_t link, bool up)
{
	struct sim_link *l = &s->link[link];
	unsigned int i;

	l->carrier = up;
	s->topo_changes++;
	for (i = 0; i < l->n_ends; i++) {
		struct sim_node *n = &s->node[l->end[i].node];

		if (!n->agent)
			continue;
		xm_core_link_carrier(n->core, ms(s), l->end[i].ifindex, up);
		node_after(s, n);
	}
}

void xm_sim_link_silent(struct xm_sim *s, uint32_t link, bool silent)
{
	s->link[link].silent = silent;
	s->topo_changes++;
}

void xm_sim_link_delay(struct xm_sim *s, uint32_t link, uint32_t delay_us)
{
	s->link[link].conf.delay_us = delay_us;
	s->topo_changes++;
}

void xm_sim_node_crash(struct xm_sim *s, uint32_t node)
{
	struct sim_node *n = &s->node[node];

	agent_free(n);
	xm_vkernel_free(&n->k);
	xm_vkernel_init(&n->k, n->id);
	n->alive = false;
	n->boot++;
	s->topo_changes++;
}

void xm_sim_node_boot(struct xm_sim *s, uint32_t node)
{
	struct sim_node *n = &s->node[node];

	if (n->alive)
		return;
	n->alive = true;
	n->boot++;
	s->topo_changes++;
	xm_sim_agent_start(s, node);
}

/* ---- state ---- */

uint32_t xm_sim_n_nodes(const struct xm_sim *s)
{
	return s->n_nodes;
}

uint32_t xm_sim_n_links(const struct xm_sim *s)
{
	return s->n_links;
}

unsigned int xm_sim_link_ends(const struct xm_sim *s, uint32_t link,
			      uint32_t *nodes, unsigned int max)
{
	const struct sim_link *l = &s->link[link];
	unsigned int i;

	for (i = 0; i < l->n_ends && i < max; i++)
		nodes[i] = l->end[i].node;
	return l->n_ends;
}

struct xm_core *xm_sim_core(const struct xm_sim *s, uint32_t node)
{
	return s->node[node].core;
}

const struct xm_vkernel *xm_sim_kernel(const struct xm_sim *s, uint32_t node)
{
	return &s->node[node].k;
}

void xm_sim_stats(const struct xm_sim *s, struct xm_sim_stats *st)
{
	uint32_t i;

	*st = s->st;
	st->spf_runs = st->spf_runs_max = 0;
	for (i = 0; i < s->n_nodes; i++) {
		const struct sim_node *n = &s->node[i];
		const struct xm_core_stats *cs = n->core ?
						 xm_core_stats(n->core) : NULL;
		uint64_t runs = n->spf_runs + (cs ? cs->spf_runs : 0);

		st->spf_runs += runs;
		if (runs > st->spf_runs_max)
			st->spf_runs_max = runs;
	}
}
