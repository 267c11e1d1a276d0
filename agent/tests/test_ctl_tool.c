// SPDX-License-Identifier: GPL-2.0
/*
 * The xmesh tool's agent objects (node, path, topology, agent) against a
 * control socket served, in a child process, from a made-up core state:
 * their text and JSON, their arguments, and their errors.
 */
#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ctl_fake.h"
#include "tool_run.h"
#include "../daemon/ctlsock.h"

static char dir[] = "/tmp/xmd-tool-XXXXXX";
static char sock_path[108];
static pid_t server;

/* "xmesh -S SOCK ARGS" exits with status and prints a line with want. */
static void expect_at(const char *args, int status, const char *want,
		      const char *name)
{
	char full[512];

	snprintf(full, sizeof(full), "-S %s %s", sock_path, args);
	expect(full, status, want, name);
}

/* The JSON "xmesh -S SOCK -j ARGS" prints, or NULL if it failed. */
static json_object *json_of(const char *args)
{
	char full[512];

	snprintf(full, sizeof(full), "-S %s -j %s", sock_path, args);
	if (run(full))
		return NULL;
	return json_tokener_parse(out_buf);
}

static void text(void)
{
	expect_at("node show", 0, "node 1 (one) self zone a\n",
		  "node show: this node first, marked self");
	expect_at("node show", 0,
		  "node 3 (three) zone b roles gpu cost 250 hops 2\n"
		  "    cores 16 (15.90 free) load 0.10 memory 4096 MB (0 free) disk 0 GB (0 free)\n"
		  "    prefixes 10.99.0.3/32\n", "node show: a node's three lines");
	expect_at("node show", 0, "node 5 (five) zone b roles gpu unreachable\n",
		  "node show: unreachable");
	expect_at("node", 0, "node 2 (two)", "node: show is the default");
	expect_at("no sh role gpu zone a", 0, "node 2 (two)",
		  "node show: abbreviated, filtered");
	expect_at("node find role gpu", 0,
		  "node 4 (four) zone b roles gpu cost 100 hops 1 distance 100\n",
		  "node find: nearest, less loaded");
	expect_at("node find role gpu near 3 zone a", 0, "node 2 (two)",
		  "node find near");
	expect_at("node find min-cores 99", 1,
		  "Error: no reachable node fits.", "node find: none, exit 1");
	expect_at("node find role gpu count 3", 0,
		  "distance 100\n    cores 8 (7.80 free) load 0.20 memory 4096 MB (0 free) disk 0 GB (0 free)\n"
		  "    prefixes 10.99.0.4/32\nnode 2 (two)",
		  "node find count 3: a list, nearest first, free cores shown");
	expect_at("node find role gpu min-free-cores 5.5", 0, "node 4 (four)",
		  "node find min-free-cores: decimals");
	expect_at("node find role gpu min-free-cores 8 min-free-mem 1", 1,
		  "no reachable node fits", "node find min-free-mem: none");
	expect_at("path show 3", 0, "node 3 cost 250 hops 2\n"
		  "    0: node 1 (one) cost 0\n    1: node 2 (two) cost 100\n"
		  "    2: node 3 (three) cost 250\n", "path show: every hop");
	expect_at("path 3", 0, "node 3 cost 250", "path: show is optional");
	expect_at("path show 5", 1, "Error: node 5 is unreachable.",
		  "path show: unreachable, exit 1");
	expect_at("topology", 0, "node 1 (one)\n"
		  "    to 2 metric 100 rtt 0.412 ms loss 0.25% bandwidth 1000 Mbit/s\n",
		  "topology show: a node and its adjacencies");
	expect_at("agent show", 0,
		  "xmeshd " XMD_VERSION ": node 1 (one) dev xmesh0 up 0d 00:00:06 tables programmed\n"
		  "    neighbors 2 up 1 nodes 5 reachable 4 security none (insecure-no-certificates)\n",
		  "agent show");
	expect_at("-s agent show", 0, "rx-bad-auth 3", "agent show -s: counters");
	expect_at("-s agent show", 0, "ctl-bad-requests", "agent show -s: agent's");
}

static void json(void)
{
	json_object *j = json_of("node show role gpu");

	ok(j && json_object_array_length(j) == 4, "-j node show role gpu: 4");
	json_object_put(j);
	j = json_of("node find role gpu");
	ok(j && json_object_get_int(jget(j, "node")) == 4 &&
	   json_object_get_int(jget(j, "distance")) == 100,
	   "-j node find: the node and its distance");
	json_object_put(j);
	{
		char full[256];

		snprintf(full, sizeof(full), "-S %s -j node find role none",
			 sock_path);
		is_int(run(full), 1, "-j node find: none is exit 1");
		is_str(out_buf, "null\n", "-j node find: none prints null");
		snprintf(full, sizeof(full),
			 "-S %s -j node find role none count 2", sock_path);
		is_int(run(full), 1, "-j node find count: none is exit 1");
		ok(strstr(out_buf, "[") && strstr(out_buf, "]") &&
		   !strstr(out_buf, "node"), "-j node find count: none is []");
	}
	j = json_of("node find role gpu count 2 min-free-disk 0");
	ok(j && json_object_is_type(j, json_type_array) &&
	   json_object_array_length(j) == 2 &&
	   json_object_get_int(jget(json_object_array_get_idx(j, 0),
				    "node")) == 4 &&
	   json_object_get_int(jget(json_object_array_get_idx(j, 1),
				    "node")) == 2,
	   "-j node find count 2: an array, 4 then 2");
	json_object_put(j);
	j = json_of("path show 3");
	ok(j && json_object_array_length(jget(j, "hops")) == 3,
	   "-j path show: three hops");
	json_object_put(j);
	j = json_of("topology show");
	ok(j && json_object_array_length(jget(j, "edges")) == 7,
	   "-j topology show: nodes and edges");
	json_object_put(j);
	j = json_of("agent show");
	ok(j && jget(j, "uptime_ms") && !jget(j, "stats") && !jget(j, "agent"),
	   "-j agent show: no counters without -s");
	json_object_put(j);
	j = json_of("-s agent show");
	ok(j && json_object_get_int(jget(jget(j, "stats"), "rx_bad_auth")) == 3,
	   "-j -s agent show: counters");
	json_object_put(j);
}

static void errors(void)
{
	static const struct tool_case cases[] = {
		{ "node show bogus", 2, "\"bogus\"",
		  "node show: unknown word" },
		{ "node show role", 2, "", "node show: role without value" },
		{ "node show role a role b", 2, "role",
		  "node show: role twice" },
		{ "node show near 3", 2, "near", "node show takes no near" },
		{ "node find min-cores 70000", 2, "",
		  "node find: too many cores" },
		{ "node find near 0", 2, "", "node find: node 0" },
		{ "node find count 0", 2, "invalid count",
		  "node find: count 0" },
		{ "node find count 65", 2, "invalid count",
		  "node find: count above 64" },
		{ "node find count 2 count 3", 2, "count",
		  "node find: count twice" },
		{ "node find min-free-cores -1", 2, "invalid core count",
		  "node find: negative free cores" },
		{ "node find min-free-cores x", 2, "invalid core count",
		  "node find: free cores not a number" },
		{ "node show min-free-cores 1", 2, "min-free-cores",
		  "node show takes no min-free-cores" },
		{ "node find role 0123456789012345678901234567890123", 2, "role must be 1 to 31 characters",
		  "node find: role too long" },
		{ "node show role a\tb", 2, "has a character no role has",
		  "node show: a role no node can have (a tab)" },
		{ "node show zone a\"b", 2, "has a character no zone has",
		  "node show: a zone no node can have (a quote)" },
		{ "path show", 2, "path show takes one node", "path: no node" },
		{ "path show x", 2, "", "path: not a number" },
		{ "path show 1 2", 2, "takes one node", "path: two nodes" },
		{ "topology show x", 2, "\"x\"", "topology: no arguments" },
		{ "agent show x", 2, "\"x\"", "agent: no arguments" },
		{ "node help", 0, "Usage: xmesh node", "node help" },
	};

	expect_cases(sock_path, cases, sizeof(cases) / sizeof(cases[0]));
	is_int(run("-S /nonexistent/x.sock node show"), 1,
	       "no agent: exit 1");
	ok(strstr(err_buf, "Error: xmeshd is not running (nothing answers on /nonexistent/x.sock).") != NULL,
	   "no agent: says so");
	setenv(XMD_SOCKET_ENV, sock_path, 1);
	is_int(run("node show"), 0, "$XMESH_SOCKET names the socket");
	unsetenv(XMD_SOCKET_ENV);
}

/* xmesh group join/leave through the stand-in agent. */
static void groups(void)
{
	json_object *j, *g;

	expect_at("group join 239.5.5.5", 0, "group 239.5.5.5 receive\n",
		  "group join: receive by default");
	expect_at("group join ff05::9 send", 0,
		  "group 239.5.5.5 receive\ngroup ff05::9 send\n",
		  "group join send: this node's groups after it");
	expect_at("group join 239.5.5.5 send receive", 0,
		  "group 239.5.5.5 send receive\n",
		  "group join again: both roles");
	expect_at("group join 224.0.0.9", 1, "is not in 239.0.0.0/8",
		  "group join: a link-local group refused, exit 1");
	expect_at("group join ff02::9", 1, "scope 3 or wider",
		  "group join: IPv6 link scope refused");
	expect_at("group join 239.5.5.6 sometimes", 2, "\"sometimes\"",
		  "group join: an unknown word");
	expect_at("group join", 2, "which group?", "group join: no group");
	expect_at("group leave 239.5.5.7", 1, "not in group 239.5.5.7",
		  "group leave: not joined, exit 1");
	expect_at("group leave 239.5.5.5 send", 2, "\"send\"",
		  "group leave: takes no roles");
	j = json_of("group leave 239.5.5.5");
	g = j && json_object_is_type(j, json_type_array) &&
	    json_object_array_length(j) == 1 ?
	    json_object_array_get_idx(j, 0) : NULL;
	ok(g && !strcmp(json_object_get_string(jget(g, "group")), "ff05::9") &&
	   json_object_get_boolean(jget(g, "send")) &&
	   !json_object_get_boolean(jget(g, "receive")),
	   "group leave -j: the groups left, as JSON");
	if (!g)
		printf("#   stdout: %s\n", out_buf);
	json_object_put(j);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/x.sock", dir);
	server = fake_server_start(sock_path);
	if (!ok(server > 0, "the stand-in agent listens"))
		return tap_done();
	text();
	json();
	errors();
	groups();
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	unlink(sock_path);
	rmdir(dir);
	return tap_done();
}
