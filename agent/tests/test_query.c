// SPDX-License-Identifier: GPL-2.0
/*
 * Capability queries (core/query.c) over made-up nodes: free cores, each
 * filter, the ranking by path cost and its ties, and the count.
 */
#include "tap.h"
#include "../core/query.h"

#define N_NODES	7

static struct xm_caps caps[N_NODES];
static struct xm_query_candidate cand[N_NODES];

static void node(size_t i, uint32_t id, uint32_t cost, const char *zone,
		 const char *role, uint16_t cores, uint16_t load,
		 uint32_t mem_free, uint32_t disk_free)
{
	struct xm_caps *c = &caps[i];

	memset(c, 0, sizeof(*c));
	snprintf(c->zone, sizeof(c->zone), "%s", zone);
	if (role) {
		snprintf(c->roles[0], XM_NAME_MAX, "other");
		snprintf(c->roles[1], XM_NAME_MAX, "%s", role);
		c->n_roles = 2;
	}
	c->cpu_cores = cores;
	c->cpu_load = load;
	c->mem_total_mb = 8192;
	c->mem_free_mb = mem_free;
	c->disk_total_gb = 100;
	c->disk_free_gb = disk_free;
	cand[i] = (struct xm_query_candidate){ id, c, cost };
}

/*
 * 1 (self, cost 0) no role; 2 and 3 gpu at cost 100 (2 busier); 4 gpu at
 * 100 with as many free cores as 3 (tie to the lower id: 3); 5 gpu at 300
 * in zone b with lots of memory; 6 gpu unreachable; 7 ingest at 50.
 */
static void setup(void)
{
	node(0, 1, 0, "a", NULL, 4, 100, 2000, 50);
	node(1, 2, 100, "a", "gpu", 8, 600, 4000, 50);
	node(2, 4, 100, "a", "gpu", 4, 100, 4000, 50);
	node(3, 3, 100, "a", "gpu", 4, 100, 1000, 10);
	node(4, 5, 300, "b", "gpu", 16, 0, 16000, 90);
	node(5, 6, UINT32_MAX, "a", "gpu", 64, 0, 64000, 90);
	node(6, 7, 50, "a", "ingest", 2, 250, 500, 1);
}

/* The ids of a query's answer, "3,4,2" (or "" for none). */
static const char *answer(const struct xm_query *q)
{
	static char buf[128];
	size_t k, i, off = 0;

	setup();
	k = xm_query_select(q, cand, N_NODES);
	buf[0] = '\0';
	for (i = 0; i < k; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%u",
					i ? "," : "", cand[i].node);
	return buf;
}

static void free_cores(void)
{
	struct xm_caps c = { .cpu_cores = 4, .cpu_load = 150 };

	is_int(xm_caps_free_centicores(&c), 250, "free cores: 4 - 1.5");
	c.cpu_load = 400;
	is_int(xm_caps_free_centicores(&c), 0, "free cores: fully loaded");
	c.cpu_load = 900;
	is_int(xm_caps_free_centicores(&c), 0,
	       "free cores: overloaded is 0, not negative");
	c.cpu_cores = 0;
	is_int(xm_caps_free_centicores(&c), 0, "free cores: no cores known");
}

static void ranking(void)
{
	struct xm_query q = { .role = "gpu" };

	is_str(answer(&q), "3", "nearest gpu: cost 100, most free, lower id");
	q.count = 10;
	is_str(answer(&q), "3,4,2,5",
	       "count 10: by cost, ties by free cores then id; unreachable out");
	q.count = 2;
	is_str(answer(&q), "3,4", "count 2: the first two");
	q = (struct xm_query){ .count = XM_QUERY_COUNT_MAX };
	is_str(answer(&q), "1,7,3,4,2,5", "no filter: every reachable node");
	q.role = "nothing";
	is_str(answer(&q), "", "a role nobody has: none");
}

static void filters(void)
{
	struct xm_query q = { .role = "gpu", .count = 10 };

	q.min_free_centicores = 350;
	is_str(answer(&q), "5", "min free cores 3.5: 2 has 2, 3 and 4 have 3");
	q.min_free_centicores = 300;
	is_str(answer(&q), "3,4,5", "min free cores 3: exactly 3 passes");
	q.min_free_centicores = 0;
	q.min_cores = 8;
	is_str(answer(&q), "2,5", "min cores 8: busy cores count");
	q.min_cores = 0;
	q.min_free_mem_mb = 4000;
	is_str(answer(&q), "4,2,5", "min free memory 4000 MB");
	q.min_free_mem_mb = 0;
	q.min_free_disk_gb = 60;
	is_str(answer(&q), "5", "min free disk 60 GB");
	q.min_free_disk_gb = 0;
	q.zone = "b";
	is_str(answer(&q), "5", "zone b");
	q.zone = "a";
	q.role = NULL;
	is_str(answer(&q), "1,7,3,4,2", "zone a, any role");
	q.role = "ingest";
	is_str(answer(&q), "7", "role ingest: a second role is matched too");
}

/* Load moves the answer: 3 gets busy, 4 takes over; then 4 leaves. */
static void moves(void)
{
	struct xm_query q = { .role = "gpu", .min_free_centicores = 250 };

	is_str(answer(&q), "3", "before: 3");
	setup();
	caps[3].cpu_load = 350;
	is_int(xm_query_select(&q, cand, N_NODES), 1, "3 loaded: one answer");
	is_int(cand[0].node, 4, "3 loaded: 4 instead");
	setup();
	caps[3].cpu_load = 350;
	cand[2].cost = UINT32_MAX;	/* 4 left */
	is_int(xm_query_select(&q, cand, N_NODES), 1, "4 left: one answer");
	is_int(cand[0].node, 5, "4 left: 5, further away");
	is_int(xm_query_select(&q, cand, 0), 0, "no candidates: none");
}

int main(void)
{
	free_cores();
	ranking();
	filters();
	moves();
	printf("1..%d\n", tap_n);
	return tap_done();
}
