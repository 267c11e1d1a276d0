// SPDX-License-Identifier: GPL-2.0
/*
 * libxmesh (libxmesh/xmesh.h) against a stand-in agent serving a made-up
 * state (ctl_fake.h): the nodes a query returns and their fields, the
 * errors (no agent, a refused query, a bad query), raw requests, and a
 * handle that outlives an agent restart.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sys/wait.h>

#include "tap.h"
#include "ctl_fake.h"
#include "xmesh.h"

static char dir[] = "/tmp/xmd-lib-XXXXXX";
static char sock_path[108];

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* "4,2,3": the ids of n[0..k), or the error. */
static const char *ids(int k, const struct xmesh_node *n,
		       const struct xmesh *x)
{
	static char buf[128];
	size_t off = 0;
	int i;

	if (k < 0) {
		snprintf(buf, sizeof(buf), "%d: %s", k, xmesh_error(x));
		return buf;
	}
	buf[0] = '\0';
	for (i = 0; i < k; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%u",
					i ? "," : "", n[i].id);
	return buf;
}

static void no_agent(void)
{
	struct xmesh *x = xmesh_open("/nonexistent/x.sock");
	struct xmesh_query q = { 0 };
	struct xmesh_node n[1];

	is_str(xmesh_version(), XMESH_VERSION, "the library's version is the header's");
	ok(XMESH_VERSION_NUMBER == XMESH_VERSION_MAJOR * 10000 +
	   XMESH_VERSION_MINOR * 100 + XMESH_VERSION_PATCH,
	   "XMESH_VERSION_NUMBER");
	is_int(xmesh_find(x, &q, n, 1), -ENOENT, "no agent: -ENOENT");
	ok(strstr(xmesh_error(x), "xmeshd is not running") != NULL,
	   "no agent: the message says so");
	xmesh_close(x);
	xmesh_close(NULL);
}

static void queries(struct xmesh *x)
{
	struct xmesh_query q = { .role = "gpu" };
	struct xmesh_node n[8];
	char *reply;
	int k;

	k = xmesh_find(x, &q, n, 8);
	is_str(ids(k, n, x), "4,2,3",
	       "role gpu: all reachable, nearest first, ties by free cores");
	is_str(n[0].name, "four", "a node's name");
	is_str(n[0].zone, "b", "its zone");
	ok(n[0].n_roles == 1 && !strcmp(n[0].roles[0], "gpu"), "its roles");
	is_int(n[0].cores, 8, "its cores");
	ok(fabs(n[0].load - 0.2) < 1e-9 && fabs(n[0].free_cores - 7.8) < 1e-9,
	   "its load and free cores");
	is_int(n[0].mem_total_mb, 4096, "its memory");
	is_int(n[0].distance, 100, "its distance");
	is_int(n[2].distance, 250, "the third's distance");
	is_int(n[2].hops, 2, "the third's hops");
	is_str(n[0].address, "10.99.0.4", "its overlay address");
	ok(!n[0].self, "not this node");
	is_str(xmesh_error(x), "", "no error after a success");
	q.count = 2;
	is_str(ids(xmesh_find(x, &q, n, 8), n, x), "4,2", "count 2");
	q.count = 0;
	is_str(ids(xmesh_find(x, &q, n, 1), n, x), "4", "max 1: one");
	q.count = 10;
	is_str(ids(xmesh_find(x, &q, n, 2), n, x), "4,2",
	       "count above max: max");
	q = (struct xmesh_query){ .role = "gpu", .min_free_cores = 5.5 };
	is_str(ids(xmesh_find(x, &q, n, 8), n, x), "4,3", "min free cores 5.5");
	q = (struct xmesh_query){ .role = "gpu", .min_cores = 12 };
	is_str(ids(xmesh_find(x, &q, n, 8), n, x), "3", "min cores 12");
	q = (struct xmesh_query){ .zone = "a", .min_free_mem_mb = 0 };
	is_str(ids(xmesh_find(x, &q, n, 8), n, x), "1,2", "zone a");
	ok(n[0].self, "this node is marked self");
	q = (struct xmesh_query){ .min_free_disk_gb = 1 };
	is_int(xmesh_find(x, &q, n, 8), 0, "nothing fits: 0, not an error");
	q = (struct xmesh_query){ .role = "gpu", .near = 3, .zone = "a" };
	k = xmesh_find(x, &q, n, 8);
	ok(k == 1 && n[0].id == 2 && n[0].distance == 150,
	   "near 3: distances from 3");

	q = (struct xmesh_query){ .near = 99 };
	is_int(xmesh_find(x, &q, n, 8), -EINVAL, "a refused query: -EINVAL");
	ok(strstr(xmesh_error(x), "xmeshd: node 99 is not in the topology") !=
	   NULL, "a refused query: the agent's reason");
	q = (struct xmesh_query){ .role = "" };
	is_int(xmesh_find(x, &q, n, 8), -EINVAL, "an empty role: -EINVAL");
	q = (struct xmesh_query){ .min_free_cores = -1 };
	is_int(xmesh_find(x, &q, n, 8), -EINVAL, "negative free cores");
	q = (struct xmesh_query){ .min_free_cores = NAN };
	is_int(xmesh_find(x, &q, n, 8), -EINVAL, "free cores not a number");
	is_int(xmesh_find(x, &q, n, 0), -EINVAL, "no room: -EINVAL");

	is_int(xmesh_request(x, "{\"cmd\":\"status\"}", &reply), 0,
	       "a raw request");
	ok(reply && strstr(reply, "\"device\":\"xmesh0\""), "its reply");
	free(reply);
	is_int(xmesh_request(x, "status\nstatus", &reply), -EINVAL,
	       "a request of two lines is refused");
	ok(!reply, "and has no reply");
}

int main(void)
{
	struct xmesh_query q = { .role = "gpu" };
	struct xmesh_node n[4];
	struct xmesh *x;
	pid_t pid;

	if (!mkdtemp(dir))
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/x.sock", dir);
	no_agent();
	pid = fake_server_start(sock_path);
	if (!ok(pid > 0, "the stand-in agent listens"))
		return tap_done();
	x = xmesh_open(sock_path);
	ok(x != NULL, "xmesh_open");
	queries(x);

	/* The agent restarts: the handle connects again by itself. */
	stop(pid);
	is_int(xmesh_find(x, &q, n, 4), -ECONNREFUSED,
	       "the agent gone: -ECONNREFUSED");
	pid = fake_server_start(sock_path);
	is_str(ids(xmesh_find(x, &q, n, 4), n, x), "4,2,3",
	       "the agent back: the same handle works");
	stop(pid);
	pid = fake_server_start(sock_path);
	is_str(ids(xmesh_find(x, &q, n, 4), n, x), "4,2,3",
	       "a kept connection the agent closed: sent again");
	xmesh_set_timeout(x, 100);
	kill(pid, SIGSTOP);
	is_int(xmesh_find(x, &q, n, 4), -ETIMEDOUT,
	       "an agent that does not answer: -ETIMEDOUT");
	stop(pid);
	xmesh_close(x);

	setenv(XMD_SOCKET_ENV, "/nonexistent/env.sock", 1);
	x = xmesh_open(NULL);
	is_int(xmesh_find(x, &q, n, 4), -ENOENT, "$XMESH_SOCKET is the default");
	ok(strstr(xmesh_error(x), "/nonexistent/env.sock") != NULL,
	   "the message names the socket");
	xmesh_close(x);
	unlink(sock_path);
	rmdir(dir);
	printf("1..%d\n", tap_n);
	return tap_done();
}
