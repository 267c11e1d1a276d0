// SPDX-License-Identifier: GPL-2.0
/*
 * The dashboard tests' site: a simulated mesh whose agents report to a
 * real xmesh-controller with signed requests (the controller's own
 * signing code, controller/agent_auth.c), as xmeshd does.
 *
 *   feeder init DIR
 *	a site authority (its key kept in DIR/authority.key: a test site),
 *	the controller's policy key and certificate: DIR/authority.cert,
 *	DIR/policy.key, DIR/policy.cert.
 *   feeder run DIR URL NODES [INTERVAL]
 *	NODES agents (ids 11, 12, ...), a ring with chords, each reporting
 *	every INTERVAL seconds (default 1): POST /api/v1/agent/telemetry
 *	(links with their own counters, counters, drops, QoS classes,
 *	routes from a shortest-path tree), GET
 *	/api/v1/agent/policy?since=V&wait=0 (a new version is taken as
 *	applied at once) and POST /api/v1/agent/report. Commands on
 *	standard input: "down A B" stops both ends reporting the link A-B
 *	(and routing over it), "up A B" brings it back; "stop N" silences
 *	agent N (the others go on reporting its links), "start N" lets it
 *	report again; "load N PCT" has agent N send PCT% of its links'
 *	bandwidth (1 Gbit/s), "load N 0" its trickle again. After each
 *	round it prints "round N telemetry S report S" (S: the statuses
 *	answered, the worst of the round). It stops at the end of its
 *	input.
 */
#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent_auth.h"
#include "cert.h"
#include "xmesh_file.h"

#define SITE		"edge1"
#define NODES_MAX	1000
#define FIRST_ID	11
#define LINKS_MAX	(3 * NODES_MAX)
#define BODY_MAX	(256 * 1024)
#define INF		0xffffffffu

static const char *const zones[] = { "web", "billing", "iot", "ops" };
static const char *const roles[] = { "gateway", "gpu", "storage", "" };

struct link {
	unsigned int a, b;		/* indexes, a < b */
	unsigned int metric, rtt_us;
	bool down;
};

struct node {
	uint32_t id;
	uint8_t sk[XM_SECKEY_LEN];
	char cert_b64[1024];
	uint64_t tx, rx, fwd, drops;
	unsigned long policy_version;	/* applied */
	char *routes;			/* its "routes" JSON, NULL: stale */
	bool silent;			/* "stop N": reports nothing */
	unsigned int load_pct;		/* "load N PCT" */
};

static struct node nodes[NODES_MAX];
static struct link links[LINKS_MAX];
static unsigned int n_nodes, n_links;
static unsigned int round_s = 1;	/* run's INTERVAL */

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "feeder: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void path_in(char *out, size_t len, const char *dir, const char *f)
{
	snprintf(out, len, "%s/%s", dir, f);
}

/* A certificate of kind for pubkey, signed by the authority's key. */
static void certify(struct xm_cert *c, enum xm_cert_kind kind,
		    const uint8_t pubkey[32], uint32_t node_id,
		    const char *zone, const uint8_t authority_sk[XM_SECKEY_LEN])
{
	int64_t now = time(NULL);

	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->serial = kind == XM_CERT_NODE ? 1000 + node_id : kind;
	strcpy(c->site, SITE);
	memcpy(c->pubkey, pubkey, 32);
	c->node_id = node_id;
	if (zone)
		snprintf(c->zone, sizeof(c->zone), "%s", zone);
	c->not_before = (uint64_t)(now - 3600);
	c->not_after = (uint64_t)(now + 30 * 86400);
	if (xm_cert_sign(c, authority_sk))
		die("cannot sign a certificate");
}

static void write_cert(const char *path, const struct xm_cert *c)
{
	char text[XM_CERT_TEXT_MAX];
	size_t n = xm_cert_text(c, text, sizeof(text));
	int e;

	if (!n)
		die("cannot armor a certificate");
	e = xm_file_write(path, text, strlen(text), 0644, true);
	if (e)
		die("%s: %s", path, strerror(-e));
}

static int init(const char *dir)
{
	uint8_t sk[XM_SECKEY_LEN], pk[32];
	struct xm_cert c;
	char p[512];
	int e;

	crypto_sign_keypair(pk, sk);
	path_in(p, sizeof(p), dir, "authority.key");
	e = xm_file_write(p, sk, sizeof(sk), 0600, true);
	if (e)
		die("%s: %s", p, strerror(-e));
	certify(&c, XM_CERT_AUTHORITY, pk, 0, NULL, sk);
	path_in(p, sizeof(p), dir, "authority.cert");
	write_cert(p, &c);
	path_in(p, sizeof(p), dir, "policy.key");
	unlink(p);
	e = xm_seckey_create(p, pk);
	if (e)
		die("%s: %s", p, strerror(-e));
	certify(&c, XM_CERT_POLICY, pk, 0, NULL, sk);
	path_in(p, sizeof(p), dir, "policy.cert");
	write_cert(p, &c);
	sodium_memzero(sk, sizeof(sk));
	return 0;
}

/* The site: a ring, and a chord from every third node across. */
static void build_site(unsigned int n)
{
	unsigned int i;

	n_nodes = n;
	for (i = 0; i < n; i++) {
		unsigned int j = (i + 1) % n;

		if (n > 2 || i == 0)
			links[n_links++] = (struct link){
				.a = i < j ? i : j, .b = i < j ? j : i };
		if (n > 5 && i % 3 == 0 && (i + n / 2) % n > i + 1)
			links[n_links++] = (struct link){
				.a = i, .b = (i + n / 2) % n };
	}
	for (i = 0; i < n_links; i++) {
		links[i].rtt_us = 300 + 150 * ((links[i].a * 7 +
						 links[i].b * 3) % 5);
		links[i].metric = links[i].rtt_us / 10;
	}
}

static struct link *find_link(unsigned int a, unsigned int b)
{
	unsigned int i;

	for (i = 0; i < n_links; i++)
		if ((links[i].a == a && links[i].b == b) ||
		    (links[i].a == b && links[i].b == a))
			return &links[i];
	return NULL;
}

/* Shortest paths from src over the links up: dist, first hop, hops. */
static void spf(unsigned int src, unsigned int *dist, unsigned int *first,
		unsigned int *hops)
{
	bool done[NODES_MAX] = { false };
	unsigned int i, k;

	for (i = 0; i < n_nodes; i++) {
		dist[i] = INF;
		first[i] = INF;
		hops[i] = 0;
	}
	dist[src] = 0;
	for (k = 0; k < n_nodes; k++) {
		unsigned int u = INF;

		for (i = 0; i < n_nodes; i++)
			if (!done[i] && dist[i] != INF &&
			    (u == INF || dist[i] < dist[u]))
				u = i;
		if (u == INF)
			break;
		done[u] = true;
		for (i = 0; i < n_links; i++) {
			struct link *l = &links[i];
			unsigned int v = l->a == u ? l->b : l->a;
			unsigned int f = u == src ? v : first[u];

			if (l->down || (l->a != u && l->b != u))
				continue;
			/* Ties to the lower first hop: the same answer at
			 * every run. */
			if (dist[u] + l->metric < dist[v] ||
			    (dist[u] + l->metric == dist[v] && !done[v] &&
			     nodes[f].id < nodes[first[v]].id)) {
				dist[v] = dist[u] + l->metric;
				first[v] = f;
				hops[v] = hops[u] + 1;
			}
		}
	}
}

struct buf {
	char *p;
	size_t len;
};

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, BODY_MAX - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= BODY_MAX - b->len)
		die("report too large");
	b->len += (size_t)n;
}

/* Node i's routes as JSON members, computed again after a link changed
 * (SPF over a thousand nodes is not free). */
static const char *routes(unsigned int i)
{
	unsigned int dist[NODES_MAX], first[NODES_MAX], hops[NODES_MAX];
	struct buf b = { NULL, 0 };
	bool comma = false;
	unsigned int k;

	if (nodes[i].routes)
		return nodes[i].routes;
	b.p = malloc(BODY_MAX);
	if (!b.p)
		die("out of memory");
	b.p[0] = '\0';
	spf(i, dist, first, hops);
	for (k = 0; k < n_nodes; k++) {
		if (k == i || dist[k] == INF)
			continue;
		put(&b, "%s{\"node\":%u,\"via\":%u,\"metric\":%u,\"hops\":%u}",
		    comma ? "," : "", nodes[k].id, nodes[first[k]].id, dist[k],
		    hops[k]);
		comma = true;
	}
	nodes[i].routes = b.p;
	return b.p;
}

static void routes_stale(void)
{
	unsigned int i;

	for (i = 0; i < n_nodes; i++) {
		free(nodes[i].routes);
		nodes[i].routes = NULL;
	}
}

static void telemetry(struct buf *b, unsigned int i, int64_t now)
{
	struct node *n = &nodes[i];
	const char *role = roles[i % 4];
	unsigned int k, share;
	bool comma = false;

	b->len = 0;
	put(b, "{\"time\":%lld,\"name\":\"n%u\",\"zone\":\"%s\",\"roles\":[",
	    (long long)now, n->id, zones[i % 4]);
	if (*role)
		put(b, "\"%s\"", role);
	put(b, "],\"caps\":{\"cores\":%u,\"load\":%.2f,\"mem_total\":8000000000,"
	    "\"mem_free\":%llu,\"storage_free\":100000000000},"
	    "\"policy_version\":%lu,\"links\":[", 2 + i % 7,
	    0.1 + (i % 10) / 10.0, 2000000000ULL + 100000000ULL * (i % 20),
	    n->policy_version);
	for (k = 0; k < n_links; k++) {
		struct link *l = &links[k];
		unsigned int peer = l->a == i ? l->b : l->a;

		if ((l->a != i && l->b != i) || l->down)
			continue;
		/* Its own counters: a share of the node's traffic, uneven
		 * (1 to 3 quarters by link), so links' utilizations differ;
		 * a loaded node's ("load N PCT") whole on every link. */
		share = n->load_pct ? 4 : 1 + k % 3;
		put(b, "%s{\"peer\":%u,\"ifname\":\"eth%u\",\"state\":\"up\","
		    "\"rtt_us\":%u,\"jitter_us\":%u,\"loss_ppm\":%u,"
		    "\"metric\":%u,\"bandwidth_kbps\":1000000,"
		    "\"tx_packets\":%llu,\"tx_bytes\":%llu,"
		    "\"rx_packets\":%llu,\"rx_bytes\":%llu}",
		    comma ? "," : "", nodes[peer].id, k % 4, l->rtt_us,
		    l->rtt_us / 20, (k % 5 == 4) ? 15000 : 0, l->metric,
		    (unsigned long long)n->tx * share / 4,
		    (unsigned long long)n->tx * 300 * share,
		    (unsigned long long)n->rx * share / 4,
		    (unsigned long long)n->rx * 275 * share);
		comma = true;
	}
	/* 1200 bytes a packet (below): PCT% of 1 Gbit/s a second. */
	n->tx += n->load_pct ? (uint64_t)n->load_pct * round_s * 10000000 /
		 9600 : 1000 + 97 * i;
	n->rx += 900 + 89 * i;
	n->fwd += 400;
	n->drops += i % 3;
	put(b, "],\"counters\":{\"tx_packets\":%llu,\"tx_bytes\":%llu,"
	    "\"rx_packets\":%llu,\"rx_bytes\":%llu,\"forwarded_packets\":%llu,"
	    "\"forwarded_bytes\":%llu,\"drops\":{\"no_route\":%llu,"
	    "\"zone_denied\":%llu}},",
	    (unsigned long long)n->tx, (unsigned long long)n->tx * 1200,
	    (unsigned long long)n->rx, (unsigned long long)n->rx * 1100,
	    (unsigned long long)n->fwd, (unsigned long long)n->fwd * 1000,
	    (unsigned long long)n->drops, (unsigned long long)n->drops / 2);
	/* The QoS classes, as xmeshd reads them from the kernel: realtime
	 * capped at 1 MB/s and dropping some. */
	put(b, "\"qos\":[{\"class\":\"bulk\",\"packets\":%llu,"
	    "\"bytes\":%llu,\"drops\":0,\"rate\":0},"
	    "{\"class\":\"interactive\",\"packets\":%llu,\"bytes\":%llu,"
	    "\"drops\":0,\"rate\":0},{\"class\":\"realtime\","
	    "\"packets\":%llu,\"bytes\":%llu,\"drops\":%llu,"
	    "\"rate\":1000000},{\"class\":\"network-control\","
	    "\"packets\":%llu,\"bytes\":%llu,\"drops\":0,\"rate\":0}],",
	    (unsigned long long)n->tx / 2, (unsigned long long)n->tx * 700,
	    (unsigned long long)n->tx / 4, (unsigned long long)n->tx * 250,
	    (unsigned long long)n->tx / 5, (unsigned long long)n->tx * 200,
	    (unsigned long long)n->drops, (unsigned long long)n->tx / 20,
	    (unsigned long long)n->tx * 50);
	put(b, "\"routes\":[%s]}", routes(i));
}

/* The start of an answer, NUL-terminated. */
struct answer {
	char text[256];
	size_t len;
};

static size_t keep(char *p, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t take = size * n;

	if (take > sizeof(a->text) - 1 - a->len)
		take = sizeof(a->text) - 1 - a->len;
	memcpy(a->text + a->len, p, take);
	a->len += take;
	a->text[a->len] = '\0';
	return size * n;
}

/* A signed request (POST with a body, GET without): the HTTP status, 0
 * if none came; the start of the answer in *a. */
static long call(CURL *curl, const char *url, const char *method,
		 const char *path, struct node *n, const char *body,
		 size_t len, struct answer *a)
{
	char time_s[21], nonce_hex[33], sig_hex[129], full[512], h[4][1200];
	uint8_t nonce[XM_AGENT_NONCE_LEN];
	struct curl_slist *hs = NULL;
	long status = 0;
	int i;

	randombytes_buf(nonce, sizeof(nonce));
	xm_agent_auth_sign(n->sk, method, path, body, len, time(NULL), nonce,
			   time_s, nonce_hex, sig_hex);
	snprintf(h[0], sizeof(h[0]), XM_AGENT_HDR_CERT ": %s", n->cert_b64);
	snprintf(h[1], sizeof(h[1]), XM_AGENT_HDR_TIME ": %s", time_s);
	snprintf(h[2], sizeof(h[2]), XM_AGENT_HDR_NONCE ": %s", nonce_hex);
	snprintf(h[3], sizeof(h[3]), XM_AGENT_HDR_SIG ": %s", sig_hex);
	for (i = 0; i < 4; i++)
		hs = curl_slist_append(hs, h[i]);
	hs = curl_slist_append(hs, "Content-Type: application/json");
	snprintf(full, sizeof(full), "%s%s", url, path);
	curl_easy_setopt(curl, CURLOPT_URL, full);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hs);
	if (strcmp(method, "GET")) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)len);
	} else {
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	}
	a->len = 0;
	a->text[0] = '\0';
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, a);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hs);
	return status;
}

static long worse(long a, long b)
{
	return (a >= 200 && a < 300) ? b : a;
}

/* "load N PCT": agent N sends PCT% of its links' bandwidth. */
static bool load_command(const char *line)
{
	unsigned int a, pct;

	if (strncmp(line, "load ", 5) ||
	    sscanf(line + 5, "%u %u", &a, &pct) != 2 || a < FIRST_ID ||
	    a - FIRST_ID >= n_nodes || pct > 100)
		return false;
	nodes[a - FIRST_ID].load_pct = pct;
	printf("node %u load %u%%\n", a, pct);
	fflush(stdout);
	return true;
}

/* A command from standard input: false at its end. */
static bool command(void)
{
	char line[128];
	unsigned int a, b;
	struct link *l;

	if (!fgets(line, sizeof(line), stdin))
		return false;
	if ((!strncmp(line, "stop ", 5) || !strncmp(line, "start ", 6)) &&
	    sscanf(line, "%*s %u", &a) == 1 && a >= FIRST_ID &&
	    a - FIRST_ID < n_nodes) {
		nodes[a - FIRST_ID].silent = line[2] == 'o';
		printf("node %u %s\n", a, line[2] == 'o' ? "stopped" :
		       "started");
		fflush(stdout);
		return true;
	}
	if (load_command(line))
		return true;
	if (sscanf(line, "%*s %u %u", &a, &b) != 2 ||
	    a < FIRST_ID || b < FIRST_ID ||
	    !(l = find_link(a - FIRST_ID, b - FIRST_ID))) {
		fprintf(stderr, "feeder: no such link: %s", line);
		return true;
	}
	l->down = !strncmp(line, "down", 4);
	routes_stale();
	printf("link %u %u %s\n", a, b, l->down ? "down" : "up");
	fflush(stdout);
	return true;
}

static int run(const char *dir, const char *url, unsigned int count,
	       unsigned int interval)
{
	uint8_t authority_sk[XM_SECKEY_LEN], pk[32];
	struct buf b = { malloc(BODY_MAX), 0 };
	unsigned int i, round;
	struct xm_cert c;
	CURL *curl;
	char p[512];
	int e;

	path_in(p, sizeof(p), dir, "authority.key");
	e = xm_seckey_read(p, authority_sk, NULL, NULL, false);
	if (e)
		die("%s: %s", p, strerror(-e));
	if (!count || count > NODES_MAX || !b.p)
		die("1 to %d nodes", NODES_MAX);
	build_site(count);
	round_s = interval;
	for (i = 0; i < count; i++) {
		nodes[i].id = FIRST_ID + i;
		crypto_sign_keypair(pk, nodes[i].sk);
		certify(&c, XM_CERT_NODE, pk, nodes[i].id, zones[i % 4],
			authority_sk);
		sodium_bin2base64(nodes[i].cert_b64, sizeof(nodes[i].cert_b64),
				  c.raw, c.len, sodium_base64_VARIANT_ORIGINAL);
	}
	sodium_memzero(authority_sk, sizeof(authority_sk));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	if (!curl)
		die("curl");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
	printf("site %u nodes %u links\n", n_nodes, n_links);
	fflush(stdout);
	for (round = 1;; round++) {
		long tele = 200, report = 200, got;
		struct answer a;
		char path[64];
		const char *v;
		struct pollfd pfd = { .fd = 0, .events = POLLIN };
		time_t next = time(NULL) + interval;

		for (i = 0; i < count; i++) {
			if (nodes[i].silent)
				continue;
			telemetry(&b, i, time(NULL));
			tele = worse(tele, call(curl, url, "POST",
						"/api/v1/agent/telemetry",
						&nodes[i], b.p, b.len, &a));
			snprintf(path, sizeof(path), "/api/v1/agent/policy"
				 "?since=%lu&wait=0", nodes[i].policy_version);
			got = call(curl, url, "GET", path, &nodes[i], "", 0,
				   &a);
			v = strstr(a.text, "\"version\":");
			if (got == 200 && v)
				nodes[i].policy_version =
					strtoul(v + strlen("\"version\":"),
						NULL, 10);
			b.len = (size_t)snprintf(b.p, BODY_MAX,
						 "{\"policy_version\":%lu}",
						 nodes[i].policy_version);
			report = worse(report, call(curl, url, "POST",
						    "/api/v1/agent/report",
						    &nodes[i], b.p, b.len, &a));
		}
		printf("round %u telemetry %ld report %ld\n", round, tele,
		       report);
		fflush(stdout);
		while (time(NULL) < next) {
			int ms = (int)(next - time(NULL)) * 1000;

			if (poll(&pfd, 1, ms) > 0 && !command())
				goto out;
		}
	}
out:
	routes_stale();
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	free(b.p);
	return 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	if (argc == 3 && !strcmp(argv[1], "init"))
		return init(argv[2]);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "run"))
		return run(argv[2], argv[3], (unsigned int)atoi(argv[4]),
			   argc == 6 ? (unsigned int)atoi(argv[5]) : 1);
	fprintf(stderr, "usage: feeder init DIR | feeder run DIR URL NODES"
		" [INTERVAL]\n");
	return 2;
}
