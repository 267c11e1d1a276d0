/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A made-up core state for the control socket's tests (test_ctl*.c):
 * 1 (self) - 2 - 3 and 1 - 4 (gpu), 5 unreachable, two neighbors.
 */
#ifndef XMD_TEST_CTL_FAKE_H
#define XMD_TEST_CTL_FAKE_H

#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../core/spf.h"	/* xm_graph_build() */
#include "../daemon/ctl.h"
#include "../daemon/ctlsock.h"
#include "xmesh_filter.h"

struct fake {
	uint32_t self;
	size_t n_nodes, n_neighs, n_edges;
	struct xm_node_status nodes[8];
	struct xm_neigh_status neighs[4];
	struct xm_edge edges[16];
	struct xm_core_stats stats;
};

static struct fake fk;

static const struct fake *F(const struct xm_core *c)
{
	return (const struct fake *)c;
}

static uint32_t f_node_id(const struct xm_core *c) { return F(c)->self; }
static const struct xm_core_stats *f_stats(const struct xm_core *c)
{
	return &F(c)->stats;
}

static bool f_neigh(const struct xm_core *c, size_t i,
		    struct xm_neigh_status *o)
{
	if (i >= F(c)->n_neighs)
		return false;
	*o = F(c)->neighs[i];
	return true;
}

static bool f_node(const struct xm_core *c, size_t i, struct xm_node_status *o)
{
	if (i >= F(c)->n_nodes)
		return false;
	*o = F(c)->nodes[i];
	return true;
}

static bool f_edge(const struct xm_core *c, size_t i, struct xm_edge *o)
{
	if (i >= F(c)->n_edges)
		return false;
	*o = F(c)->edges[i];
	return true;
}

static bool f_path(const struct xm_core *c, uint32_t node, struct xm_path *p)
{
	(void)c;
	memset(p, 0, sizeof(*p));
	if (node != 3)
		return false;
	p->n_hops = 2;
	p->node[0] = 1, p->cost[0] = 0;
	p->node[1] = 2, p->cost[1] = 100;
	p->node[2] = 3, p->cost[2] = 250;
	return true;
}

/* The graph of the edges both ends list, as the core's. */
static const struct xm_graph *f_graph(const struct xm_core *c)
{
	static struct xm_graph g;
	struct xm_graph_edge e[16];
	uint32_t ids[8];
	size_t i, j, n_e = 0;

	xm_graph_free(&g);
	for (i = 0; i < F(c)->n_nodes; i++)
		ids[i] = F(c)->nodes[i].node;
	for (i = 0; i < F(c)->n_edges; i++) {
		const struct xm_edge *x = &F(c)->edges[i];

		for (j = 0; j < F(c)->n_edges; j++)
			if (F(c)->edges[j].from == x->to &&
			    F(c)->edges[j].to == x->from)
				break;
		if (j < F(c)->n_edges)
			e[n_e++] = (struct xm_graph_edge){ x->from, x->to,
							   x->metric };
	}
	return xm_graph_build(&g, ids, F(c)->n_nodes, e, n_e) ? NULL : &g;
}

static const struct xmd_ctl_ops fake_ops = {
	f_node_id, f_stats, f_neigh, f_node, f_edge, f_path, f_graph, NULL,
};

static void add_node(uint32_t id, const char *name, const char *zone,
		     const char *role, uint16_t cores, uint16_t load,
		     bool reach, uint32_t cost, uint8_t hops)
{
	struct xm_node_status *n = &fk.nodes[fk.n_nodes++];

	memset(n, 0, sizeof(*n));
	n->node = id;
	snprintf(n->caps.name, sizeof(n->caps.name), "%s", name);
	snprintf(n->caps.zone, sizeof(n->caps.zone), "%s", zone);
	if (role) {
		snprintf(n->caps.roles[0], XM_NAME_MAX, "%s", role);
		n->caps.n_roles = 1;
	}
	n->caps.cpu_cores = cores;
	n->caps.cpu_load = load;
	n->caps.mem_total_mb = 4096;
	n->reachable = reach;
	n->cost = reach ? cost : UINT32_MAX;
	n->hops = hops;
	n->lsa_seq = 7;
	xm_parse_addr("10.99.0.0", &n->prefixes[0].addr, NULL);
	n->prefixes[0].addr.raw[3] = (uint8_t)id;
	n->prefixes[0].len = 32;
	n->n_prefixes = 1;
}

static void add_edge(uint32_t a, uint32_t b, uint32_t metric)
{
	struct xm_edge e = { .from = a, .to = b, .metric = metric,
			     .rtt_us = 412, .loss_ppm = 2500,
			     .bandwidth_mbps = 1000 };

	fk.edges[fk.n_edges++] = e;
	e.from = b;
	e.to = a;
	fk.edges[fk.n_edges++] = e;
}

static void fake_setup(void)
{
	struct xm_neigh_status *n;

	memset(&fk, 0, sizeof(fk));
	fk.self = 1;
	add_node(1, "one", "a", NULL, 4, 50, true, 0, 0);
	add_node(2, "two", "a", "gpu", 8, 300, true, 100, 1);
	add_node(3, "three", "b", "gpu", 16, 10, true, 250, 2);
	add_node(4, "four", "b", "gpu", 8, 20, true, 100, 1);
	add_node(5, "five", "b", "gpu", 64, 0, false, 0, 0);
	add_edge(1, 2, 100);
	add_edge(2, 3, 150);
	add_edge(1, 4, 100);
	/* 4 claims an edge to 3, which 3 does not confirm: not used. */
	fk.edges[fk.n_edges++] = (struct xm_edge){ .from = 4, .to = 3,
						   .metric = 1 };
	n = &fk.neighs[fk.n_neighs++];
	n->id = 10;
	n->node = 2;
	n->ifindex = 1;		/* lo: a name that exists */
	xm_parse_addr("10.9.1.1", &n->local, NULL);
	xm_parse_addr("10.9.1.2", &n->remote, NULL);
	n->port = 7600;
	n->state = XM_NEIGH_UP;
	n->srtt_us = 412;
	n->rttvar_us = 31;
	n->loss_ppm = 12500;
	n->metric = 100;
	n->last_hello = 9000;
	n->last_probe_reply = 9950;
	n->flaps = 2;
	n = &fk.neighs[fk.n_neighs++];
	n->id = 11;
	n->node = 4;
	n->ifindex = 1;
	n->state = XM_NEIGH_HOLDDOWN;
	n->last_hello = 9500;
	n->last_probe_reply = XM_NEVER;
	fk.stats.rx_bad_auth = 3;
	fk.stats.spf_runs = 9;
}

static struct xmd_stats dstats;

static struct xmd_view view(void)
{
	struct xmd_view v = {
		.core = (const struct xm_core *)&fk,
		.ops = &fake_ops,
		.now = 10000,
		.started = 4000,
		.name = "one",
		.device = "xmesh0",
		.ifindex = 5,
		.fib_ready = true,
		.stats = &dstats,
		.security = "none (insecure-no-certificates)",
	};
	return v;
}

/*
 * A stand-in agent: a child process serving the made-up state on a
 * control socket at path. Its pid once it listens, or -1.
 */
static struct xm_mgroup fake_mgroups[XM_MGROUP_MAX];
static unsigned int fake_n_mgroups;

/* The stand-in agent's group-join and group-leave: kept as given. */
__attribute__((unused))
static int fake_mgroups_keep(void *arg, const struct xm_mgroup *g,
			     unsigned int n)
{
	(void)arg;
	memcpy(fake_mgroups, g, n * sizeof(*g));
	fake_n_mgroups = n;
	return 0;
}

/*
 * The stand-in agent's filter: its rules file (NULL: none); while the
 * file fake_policy_flag exists, policy version 7's filter is in force.
 * Its filter-reload parses the file, refuses one with "dport 666" as an
 * install would fail, and appends "reload N" (N rules) to fake_reload_log.
 */
static const char *fake_filter_file, *fake_policy_flag, *fake_reload_log;

static int fake_filter_reload(void *arg, unsigned int *rules, char *why,
			      size_t len)
{
	char text[4096] = "";
	struct xm_filter f;
	FILE *fp = fopen(fake_filter_file, "r");
	size_t n = fp ? fread(text, 1, sizeof(text) - 1, fp) : 0;
	int ret = -1;

	(void)arg;
	if (fp)
		fclose(fp);
	text[n] = '\0';
	if (!xm_filter_parse(text, &f, why, len)) {
		if (strstr(text, "dport 666")) {
			snprintf(why, len, "nftables: the stand-in refuses port 666");
		} else {
			*rules = f.n_rules;
			ret = 0;
		}
	}
	xm_filter_free(&f);
	fp = ret ? NULL : fopen(fake_reload_log, "a");
	if (fp) {
		fprintf(fp, "reload %u\n", *rules);
		fclose(fp);
	}
	return ret;
}

static void fake_view(void *data, struct xmd_view *v)
{
	(void)data;
	*v = view();
	v->mgroups = fake_mgroups;
	v->n_mgroups = fake_n_mgroups;
	v->mgroups_set = fake_mgroups_keep;
	v->filter_file = fake_filter_file;
	v->filter_policy = fake_policy_flag && !access(fake_policy_flag, F_OK) ?
			   7 : 0;
	v->filter_reload = fake_filter_file ? fake_filter_reload : NULL;
}

__attribute__((unused))
static pid_t fake_server_start(const char *path)
{
	struct epoll_event ev[8];
	struct xmd_stats st = { 0 };
	struct xmd_ctl srv;
	int epfd, n, i, tries;
	pid_t pid;

	unlink(path);	/* a killed one's: wait for the new one's */
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		for (tries = 0; tries < 500 && access(path, F_OK); tries++)
			usleep(10000);
		return access(path, F_OK) ? -1 : pid;
	}
	fake_setup();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (xmd_ctl_open(&srv, epfd, path, 4, &st, fake_view, NULL))
		_exit(1);
	for (;;) {
		n = epoll_wait(epfd, ev, 8, -1);
		for (i = 0; i < n; i++) {
			struct xmd_watch *w = ev[i].data.ptr;

			w->fn(w, ev[i].events);
		}
		xmd_ctl_reap(&srv);
	}
}

#endif /* XMD_TEST_CTL_FAKE_H */
