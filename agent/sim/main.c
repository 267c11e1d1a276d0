// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh-sim: the protocol core on a simulated mesh.
 *
 * Builds a topology, starts an agent on every node, runs until the
 * kernel tables deliver every packet on a least-cost path, then fails a
 * link or a node and measures how long until that holds again.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "sim.h"
#include "xmesh_parse.h"

struct opts {
	uint64_t seed;
	const char *topo, *fail;
	unsigned int runs;
	bool json, verbose, serialize;
	uint8_t max_hops;
	uint32_t loss_ppm;
	double deadline_s, quiet_s;
};

struct phase {
	bool ok;
	uint64_t start, repaired, converged, settled;	/* us */
	uint64_t msgs, bytes, spf_runs, spf_runs_max, changes, checks;
	char what[96], problem[300];
};

#define FAILS_MAX	8

struct run {
	uint32_t nodes, links;
	struct phase init, fail[FAILS_MAX];
	unsigned int n_fail;
	double wall_s;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: xmesh-sim [--seed S] [--topo SPEC] [--fail KIND[,KIND...]] [--runs N]\n"
"                 [-j] [--max-hops N] [--loss PERCENT] [--serialize]\n"
"                 [--deadline SECONDS] [--quiet SECONDS] [-v]\n"
"SPEC := line:N | ring:N | grid:WxH | rgg:N   (default grid:10x10)\n"
"KIND := link | node | silent | none   (default link; several: one after\n"
"        the other, each on a target the seed picks)\n"
"Prints, per run, the virtual time until the kernel tables deliver every\n"
"packet (repaired) at the least cost (converged), and of the last\n"
"forwarding change (settled), from the start and after each failure, with\n"
"the messages, bytes, SPF runs and kernel changes it took, and the wall\n"
"time and memory. --loss: on every link, each way; --serialize: packets queue\n"
"at the link's bandwidth.\n");
}

/* "link,node": the failures to inject, one after the other. */
static unsigned int fails_split(const char *list, char kinds[][8])
{
	unsigned int n = 0;
	const char *p = list;

	while (*p && n < FAILS_MAX) {
		size_t len = strcspn(p, ",");

		if (len >= 8)
			return 0;
		memcpy(kinds[n], p, len);
		kinds[n][len] = '\0';
		if (strcmp(kinds[n], "none"))
			n++;
		p += len + (p[len] == ',');
	}
	return *p ? 0 : n;
}

static bool fails_valid(const char *list)
{
	char kinds[FAILS_MAX][8];
	unsigned int n = fails_split(list, kinds), i;

	for (i = 0; i < n; i++)
		if (strcmp(kinds[i], "link") && strcmp(kinds[i], "node") &&
		    strcmp(kinds[i], "silent"))
			return false;
	return n || !strcmp(list, "none");
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "topo", required_argument, NULL, 't' },
		{ "fail", required_argument, NULL, 'f' },
		{ "runs", required_argument, NULL, 'r' },
		{ "max-hops", required_argument, NULL, 'm' },
		{ "deadline", required_argument, NULL, 'd' },
		{ "quiet", required_argument, NULL, 'q' },
		{ "loss", required_argument, NULL, 'l' },
		{ "serialize", no_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	*o = (struct opts){ .seed = 1, .topo = "grid:10x10", .fail = "link",
			    .runs = 1, .deadline_s = 300, .quiet_s = 5 };
	while ((c = getopt_long(argc, argv, "s:t:f:r:m:d:q:l:Sjvh", lo,
				NULL)) != -1) {
		switch (c) {
		case 's':
			o->seed = strtoull(optarg, &end, 0);
			if (*end)
				return -EINVAL;
			break;
		case 't':
			o->topo = optarg;
			break;
		case 'f':
			if (!fails_valid(optarg))
				return -EINVAL;
			o->fail = optarg;
			break;
		case 'r':
			if (xm_parse_u32(optarg, 1, 10000, &o->runs))
				return -EINVAL;
			break;
		case 'm':
			if (xm_parse_u8(optarg, 0, 255, &o->max_hops))
				return -EINVAL;
			break;
		case 'd':
			o->deadline_s = strtod(optarg, &end);
			if (*end || o->deadline_s <= 0)
				return -EINVAL;
			break;
		case 'q':
			o->quiet_s = strtod(optarg, &end);
			if (*end || o->quiet_s < 0)
				return -EINVAL;
			break;
		case 'l': {
			double pct = strtod(optarg, &end);

			if (*end || pct < 0 || pct >= 100)
				return -EINVAL;
			o->loss_ppm = (uint32_t)(pct * 10000);
			break;
		}
		case 'S':
			o->serialize = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	return optind == argc ? 0 : -EINVAL;
}

/* Run until converged; what it took since the phase began. */
static void converge(struct xm_sim *s, const struct opts *o,
		     struct phase *p, uint32_t nodes)
{
	struct xm_sim_convergence c;
	struct xm_sim_stats a, b;
	uint64_t check = nodes > 300 ? 50 * XM_SIM_MS : 20 * XM_SIM_MS;

	xm_sim_stats(s, &a);
	p->start = xm_sim_now(s);
	p->ok = !xm_sim_converge(s, p->start + (uint64_t)(o->deadline_s *
							 XM_SIM_S),
				 (uint64_t)(o->quiet_s * XM_SIM_S), check, &c);
	xm_sim_stats(s, &b);
	p->repaired = c.repaired_at > p->start ? c.repaired_at - p->start : 0;
	p->converged = c.converged_at > p->start ?
		       c.converged_at - p->start : 0;
	p->settled = c.settled_at - p->start;
	p->msgs = b.msgs - a.msgs;
	p->bytes = b.bytes - a.bytes;
	p->spf_runs = b.spf_runs - a.spf_runs;
	p->spf_runs_max = b.spf_runs_max;
	p->changes = b.fib_changes - a.fib_changes;
	p->checks = c.checks;
	if (!p->ok)
		snprintf(p->problem, sizeof(p->problem),
			 "%s (%llu of %llu pairs delivered)",
			 c.last.first[0] ? c.last.first : "tables never quiet",
			 (unsigned long long)c.last.delivered,
			 (unsigned long long)c.last.pairs);
}

static void fail(struct xm_sim *s, const char *kind, uint64_t seed,
		 unsigned int k, struct phase *p)
{
	uint64_t r = (seed + 1000003ull * k) * 0x9e3779b97f4a7c15ull + 12345;
	uint32_t ends[2];

	r ^= r >> 29;
	if (!strcmp(kind, "node")) {
		uint32_t n = (uint32_t)(r % xm_sim_n_nodes(s));

		snprintf(p->what, sizeof(p->what), "node n%u crashes", n + 1);
		xm_sim_node_crash(s, n);
		return;
	}
	r %= xm_sim_n_links(s);
	xm_sim_link_ends(s, (uint32_t)r, ends, 2);
	snprintf(p->what, sizeof(p->what), "link n%u-n%u %s", ends[0] + 1,
		 ends[1] + 1, !strcmp(kind, "link") ? "down" : "silent");
	if (!strcmp(kind, "link"))
		xm_sim_link_carrier(s, (uint32_t)r, false);
	else
		xm_sim_link_silent(s, (uint32_t)r, true);
}

static int one_run(const struct opts *o, uint64_t seed, struct run *run)
{
	struct xm_sim_conf conf = {
		.seed = seed, .verbose = o->verbose, .serialize = o->serialize,
	};
	char kinds[FAILS_MAX][8];
	double t0 = now_s();
	struct xm_sim *s;
	unsigned int i;
	int err;

	memset(run, 0, sizeof(*run));
	conf.policy.max_hops = o->max_hops;
	conf.link = (struct xm_sim_link_conf){
		.delay_us = 100, .jitter_us = 10, .bandwidth_mbps = 10000,
		.loss_ppm = o->loss_ppm,
	};
	s = xm_sim_new(&conf);
	if (!s)
		return -ENOMEM;
	err = xm_sim_topo(s, o->topo);
	if (err) {
		fprintf(stderr, "xmesh-sim: bad topology \"%s\"\n", o->topo);
		xm_sim_free(s);
		return err;
	}
	run->nodes = xm_sim_n_nodes(s);
	run->links = xm_sim_n_links(s);
	err = xm_sim_start(s);
	if (err) {
		fprintf(stderr, "xmesh-sim: cannot start the agents: %s\n",
			strerror(-err));
		xm_sim_free(s);
		return err;
	}
	converge(s, o, &run->init, run->nodes);
	run->n_fail = fails_split(o->fail, kinds);
	for (i = 0; i < run->n_fail && run->init.ok; i++) {
		fail(s, kinds[i], seed, i, &run->fail[i]);
		converge(s, o, &run->fail[i], run->nodes);
	}
	xm_sim_free(s);
	run->wall_s = now_s() - t0;
	return 0;
}

static void print_phase(const char *name, const struct phase *p,
			uint32_t nodes)
{
	printf("  %-8s %s: repaired %.3f s, converged %.3f s, settled "
	       "%.3f s (virtual); %llu msgs, %.1f kB, SPF runs %.1f/node "
	       "(max %llu), %llu kernel changes\n", name,
	       p->ok ? "ok" : "FAILED", (double)p->repaired / XM_SIM_S,
	       (double)p->converged / XM_SIM_S,
	       (double)p->settled / XM_SIM_S,
	       (unsigned long long)p->msgs, (double)p->bytes / 1000,
	       (double)p->spf_runs / nodes,
	       (unsigned long long)p->spf_runs_max,
	       (unsigned long long)p->changes);
	if (!p->ok)
		printf("           %s\n", p->problem);
}

static void json_phase(const struct phase *p)
{
	printf("{\"ok\":%s,\"what\":\"%s\",\"repaired_s\":%.6f,"
	       "\"converged_s\":%.6f,\"settled_s\":%.6f,"
	       "\"msgs\":%llu,\"bytes\":%llu,"
	       "\"spf_runs\":%llu,\"kernel_changes\":%llu,\"checks\":%llu}",
	       p->ok ? "true" : "false", p->what,
	       (double)p->repaired / XM_SIM_S,
	       (double)p->converged / XM_SIM_S,
	       (double)p->settled / XM_SIM_S, (unsigned long long)p->msgs,
	       (unsigned long long)p->bytes,
	       (unsigned long long)p->spf_runs,
	       (unsigned long long)p->changes,
	       (unsigned long long)p->checks);
}

int main(int argc, char **argv)
{
	unsigned int i, k, failed = 0;
	struct opts o;
	struct rusage ru;

	if (parse(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	if (o.json)
		printf("[");
	for (i = 0; i < o.runs; i++) {
		struct run run;
		int err = one_run(&o, o.seed + i, &run);

		if (err)
			return 1;
		getrusage(RUSAGE_SELF, &ru);
		failed += !run.init.ok;
		for (k = 0; k < run.n_fail; k++)
			failed += !run.fail[k].ok;
		if (o.json) {
			printf("%s{\"topo\":\"%s\",\"seed\":%llu,\"nodes\":%u,"
			       "\"links\":%u,", i ? "," : "", o.topo,
			       (unsigned long long)(o.seed + i), run.nodes,
			       run.links);
			printf("\"initial\":");
			json_phase(&run.init);
			printf(",\"failures\":[");
			for (k = 0; k < run.n_fail && run.init.ok; k++) {
				printf("%s", k ? "," : "");
				json_phase(&run.fail[k]);
			}
			printf("],\"wall_s\":%.3f,\"max_rss_kb\":%ld}\n",
			       run.wall_s, ru.ru_maxrss);
			continue;
		}
		printf("%s seed %llu: %u nodes, %u links\n", o.topo,
		       (unsigned long long)(o.seed + i), run.nodes, run.links);
		print_phase("start", &run.init, run.nodes);
		for (k = 0; k < run.n_fail && run.init.ok; k++) {
			printf("  %s\n", run.fail[k].what);
			print_phase("failure", &run.fail[k], run.nodes);
		}
		printf("  wall %.2f s, max RSS %.1f MB\n", run.wall_s,
		       (double)ru.ru_maxrss / 1024);
	}
	if (o.json)
		printf("]\n");
	return failed ? 1 : 0;
}
