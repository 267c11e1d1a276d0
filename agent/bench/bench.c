// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh-bench: figures of the protocol core that the simulator's runs do
 * not print (scripts/bench-sim.sh runs it).
 *
 *   xmesh-bench spf [--topo SPEC] [--seed S] [--roots K] [--verify] [-j]
 *	CPU time of one SPF (xm_spf_run) and of the whole route computation
 *	with loop-free alternates (xm_routes_compute), over the graph of a
 *	simulator topology, from K roots spread over it: median and 90th
 *	percentile. --verify: the routes of each root also from the slow
 *	reference (xm_routes_compute_ref), the same or exit status 1.
 *
 *   xmesh-bench control [--topo SPEC] [--seed S] [--seconds T] [-j]
 *	Routing control traffic in a converged, quiet mesh: the agents'
 *	datagrams (hellos, link state) per node per second over T virtual
 *	seconds, with the kernel link probes counted apart; and with
 *	certificates, what checking signed adverts costs: adverts checked
 *	per second of CPU (certificate and signature, xm_kx_advert_check())
 *	and the bytes the certificate and signature add to each.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../sim/fibcmp.h"
#include "../sim/sim_priv.h"
#include "kx.h"
#include "spf.h"
#include "util.h"
#include "xmesh_parse.h"

/* A link probe or its reply on the wire: IPv4, UDP, xmesh header, OAM. */
#define PROBE_FRAME_BYTES	(20 + 8 + 16 + 24)
/* The agents' datagrams: their size counted by the simulator plus IPv4, UDP. */
#define DATAGRAM_OVERHEAD	(20 + 8)

struct opts {
	const char *topo;
	uint64_t seed;
	unsigned int roots;
	double seconds;
	bool json, verify;
};

/*
 * The thread's CPU time, not the wall clock: the figures stay those of
 * the computation on a machine shared with other work.
 */
static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* The q-quantile of v[0..n), sorting v. */
static double quantile(double *v, size_t n, double q)
{
	size_t i;

	qsort(v, n, sizeof(*v), cmp_double);
	i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static struct xm_sim *sim_of(const struct opts *o)
{
	struct xm_sim_conf conf = { .seed = o->seed };
	struct xm_sim *s = xm_sim_new(&conf);
	int err;

	if (!s) {
		fprintf(stderr, "xmesh-bench: out of memory\n");
		return NULL;
	}
	err = xm_sim_topo(s, o->topo);
	if (err) {
		fprintf(stderr, "xmesh-bench: topology %s: %s\n", o->topo,
			strerror(-err));
		xm_sim_free(s);
		return NULL;
	}
	return s;
}

/* The root's adjacencies: one kernel neighbor per edge. */
static size_t root_adjs(const struct xm_graph *g, uint32_t root,
			struct xm_local_adj *adj)
{
	const struct xm_gnode *v = &g->node[root];
	uint32_t k;

	for (k = 0; k < v->n_edges; k++) {
		const struct xm_gedge *x = &g->edge[v->first_edge + k];

		adj[k] = (struct xm_local_adj){
			.node = g->node[x->to].id, .neigh = k + 1,
			.metric = x->metric,
		};
	}
	return v->n_edges;
}

static int bench_spf(const struct opts *o)
{
	struct xm_graph g = { 0 };
	struct xm_local_adj *adj = NULL;
	double *spf_us = NULL, *routes_us = NULL, t;
	uint64_t routes = 0, backups = 0;
	struct xm_sim *s = sim_of(o);
	unsigned int k, n = o->roots, differ = 0;
	int err = -ENOMEM;
	size_t i;

	if (!s)
		return 1;
	if (xm_sim_true_graph(s, &g))
		goto out;
	if (n > g.n_nodes)
		n = g.n_nodes;
	spf_us = calloc(n, sizeof(*spf_us));
	routes_us = calloc(n, sizeof(*routes_us));
	adj = calloc(g.n_nodes, sizeof(*adj));
	if (!spf_us || !routes_us || !adj)
		goto out;
	for (k = 0; k < n; k++) {
		uint32_t root = (uint32_t)((uint64_t)k * g.n_nodes / n);
		struct xm_fib f = { 0 };
		struct xm_spf r;
		size_t n_adj = root_adjs(&g, root, adj);

		t = cpu_us();
		err = xm_spf_run(&g, root, 0, &r);
		spf_us[k] = cpu_us() - t;
		if (err)
			goto out;
		xm_spf_free(&r);
		t = cpu_us();
		err = xm_routes_compute(&g, g.node[root].id, adj, n_adj, 0, &f);
		routes_us[k] = cpu_us() - t;
		if (err)
			goto out;
		if (o->verify) {
			struct xm_fib ref = { 0 };

			err = xm_routes_compute_ref(&g, g.node[root].id, adj,
						    n_adj, 0, &ref);
			if (err)
				goto out;
			differ += !xm_fib_same(&f, &ref);
			free(ref.routes);
		}
		routes += f.n_routes;
		for (i = 0; i < f.n_routes; i++)
			backups += f.routes[i].n_nexthops > 1 &&
				   f.routes[i].nexthop[f.routes[i].n_nexthops - 1].priority;
		free(f.routes);
	}
	if (o->json)
		printf("{\"topo\":\"%s\",\"nodes\":%u,\"edges\":%u,\"roots\":%u,"
		       "\"spf_us_median\":%.1f,\"spf_us_p90\":%.1f,"
		       "\"routes_us_median\":%.1f,\"routes_us_p90\":%.1f,"
		       "\"routes_per_root\":%.1f,\"with_backup_pct\":%.1f}\n",
		       o->topo, g.n_nodes, g.n_edges, n,
		       quantile(spf_us, n, 0.5), quantile(spf_us, n, 0.9),
		       quantile(routes_us, n, 0.5),
		       quantile(routes_us, n, 0.9), (double)routes / n,
		       routes ? 100.0 * (double)backups / (double)routes : 0);
	else
		printf("%s: %u nodes, %u edges, %u roots: SPF %.1f us CPU median (p90 %.1f), with backups %.1f us (p90 %.1f); %.1f%% of routes with a backup\n",
		       o->topo, g.n_nodes, g.n_edges, n,
		       quantile(spf_us, n, 0.5), quantile(spf_us, n, 0.9),
		       quantile(routes_us, n, 0.5),
		       quantile(routes_us, n, 0.9),
		       routes ? 100.0 * (double)backups / (double)routes : 0);
	if (o->verify)
		printf("%s: routes as the reference's from %u of %u roots\n",
		       o->topo, n - differ, n);
	err = 0;
out:
	if (err)
		fprintf(stderr, "xmesh-bench: spf: %s\n", strerror(-err));
	free(spf_us);
	free(routes_us);
	free(adj);
	xm_graph_free(&g);
	xm_sim_free(s);
	return err || differ ? 1 : 0;
}

/* Signed adverts checked per CPU second; *bytes: what signing adds. */
static double adverts_checked_per_s(size_t *bytes)
{
	char refusal[XM_KX_WHY_MAX];
	const unsigned int rounds = 2000;
	const uint64_t now = 1800000000;
	uint8_t seed[crypto_sign_SEEDBYTES], auth_sk[XM_SECKEY_LEN];
	uint8_t sk[XM_SECKEY_LEN];
	struct xm_cert auth = { .kind = XM_CERT_AUTHORITY, .serial = 1,
				.site = "bench", .not_before = now - 1,
				.not_after = now + 86400 };
	struct xm_cert node = { .kind = XM_CERT_NODE, .serial = 2,
				.site = "bench", .node_id = 7,
				.zone = "rack-a", .n_roles = 1,
				.roles = { "web" }, .not_before = now - 1,
				.not_after = now + 86400 };
	struct xm_advert *a = xm_advert_alloc(4);
	struct xm_kx_params params;
	struct xm_kx *kx = NULL;
	double t0, per_s = 0;
	unsigned int i, why, bad = 0;
	size_t plain;

	if (sodium_init() < 0)
		goto out;
	xm_kx_params_default(&params);
	memset(seed, 1, sizeof(seed));
	crypto_sign_seed_keypair(auth.pubkey, auth_sk, seed);
	memset(seed, 2, sizeof(seed));
	crypto_sign_seed_keypair(node.pubkey, sk, seed);
	if (!a || xm_cert_sign(&auth, auth_sk) || xm_cert_sign(&node, auth_sk))
		goto out;
	kx = xm_kx_new(7, sk, &node, &auth, NULL, &params, now, &why);
	if (!kx)
		goto out;
	/* A typical advert: its caps, a prefix, four adjacencies. */
	a->originator = 7;
	a->seq = 1;
	a->caps = (struct xm_caps){ .zone = "rack-a", .n_roles = 1,
				    .roles = { "web" }, .name = "node7" };
	a->n_prefixes = 1;
	a->prefixes[0].addr.family = AF_INET;
	a->prefixes[0].addr.raw[0] = 10;
	a->prefixes[0].len = 24;
	for (i = 0; i < 4; i++)
		a->adj[a->n_adj++] = (struct xm_adj){ 8 + i, 100, 300, 0,
						      1000 };
	plain = xm_advert_wire_len(a);
	if (xm_kx_advert_sign(kx, a))
		goto out;
	*bytes = xm_advert_wire_len(a) - plain;
	t0 = cpu_us();
	for (i = 0; i < rounds; i++)
		bad += xm_kx_advert_check(kx, a, now, refusal,
					  sizeof(refusal)) != XM_CERT_OK;
	if (!bad)
		per_s = rounds / ((cpu_us() - t0) / 1e6);
out:
	xm_kx_free(kx);
	free(a);
	return per_s;
}

static int bench_control(const struct opts *o)
{
	/* Long enough for any topology the simulator makes to settle. */
	const uint64_t settle = 120 * XM_SIM_S;
	struct xm_sim_stats a, b;
	struct xm_sim *s = sim_of(o);
	double per, msgs, bytes, probes, checked;
	size_t sig_bytes = 0;
	int err;

	if (!s)
		return 1;
	err = xm_sim_start(s);
	if (err) {
		fprintf(stderr, "xmesh-bench: control: %s\n", strerror(-err));
		xm_sim_free(s);
		return 1;
	}
	xm_sim_run(s, settle);
	xm_sim_stats(s, &a);
	xm_sim_run(s, settle + (uint64_t)(o->seconds * XM_SIM_S));
	xm_sim_stats(s, &b);
	per = o->seconds * s->n_nodes;
	msgs = (double)(b.msgs - a.msgs) / per;
	bytes = (double)(b.bytes - a.bytes +
			 (b.msgs - a.msgs) * DATAGRAM_OVERHEAD) / per;
	/* A probe and its answer, each a frame. */
	probes = (double)(b.probes - a.probes + b.probes_answered -
			  a.probes_answered) * PROBE_FRAME_BYTES / per;
	checked = adverts_checked_per_s(&sig_bytes);
	if (o->json)
		printf("{\"topo\":\"%s\",\"nodes\":%u,\"links\":%u,\"seconds\":%.0f,"
		       "\"msgs_per_node_s\":%.2f,\"bytes_per_node_s\":%.1f,"
		       "\"probe_bytes_per_node_s\":%.1f,\"spf_runs\":%" PRIu64 ","
		       "\"adverts_checked_per_s\":%.0f,\"advert_sig_bytes\":%zu}\n",
		       o->topo, s->n_nodes, s->n_links, o->seconds, msgs,
		       bytes, probes, b.spf_runs - a.spf_runs, checked,
		       sig_bytes);
	else
		printf("%s: %u nodes, %u links, %.0f s quiet: %.2f datagrams, %.1f bytes per node per second (hellos, link state); link probes %.1f bytes per node per second\n"
		       "signed adverts (with certificates): %.0f checked per CPU second (certificate and signature), %zu bytes more each\n",
		       o->topo, s->n_nodes, s->n_links, o->seconds, msgs,
		       bytes, probes, checked, sig_bytes);
	xm_sim_free(s);
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: xmesh-bench spf [--topo SPEC] [--seed S] [--roots K] [--verify] [-j]\n"
	      "       xmesh-bench control [--topo SPEC] [--seed S] [--seconds T] [-j]\n"
	      "SPEC as xmesh-sim's (default rgg:1000 for spf, rgg:50 for control).\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "topo", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "roots", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 'T' },
		{ "verify", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct opts o = { .seed = 1, .roots = 50, .seconds = 60 };
	const char *cmd;
	char *end;
	int c;

	if (argc < 2 || argv[1][0] == '-') {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "j", lopts, NULL)) != -1) {
		switch (c) {
		case 't':
			o.topo = optarg;
			break;
		case 's':
			o.seed = strtoull(optarg, &end, 0);
			if (*end)
				goto bad;
			break;
		case 'r':
			if (xm_parse_u32(optarg, 1, 100000, &o.roots))
				goto bad;
			break;
		case 'T':
			o.seconds = strtod(optarg, &end);
			if (*end || !(o.seconds >= 1 && o.seconds <= 86400))
				goto bad;
			break;
		case 'v':
			o.verify = true;
			break;
		case 'j':
			o.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc)
		goto bad;
	if (!strcmp(cmd, "spf")) {
		o.topo = o.topo ? o.topo : "rgg:1000";
		return bench_spf(&o);
	}
	if (!strcmp(cmd, "control")) {
		o.topo = o.topo ? o.topo : "rgg:50";
		return bench_control(&o);
	}
bad:
	fprintf(stderr, "xmesh-bench: bad arguments (xmesh-bench --help)\n");
	return 2;
}
