// SPDX-License-Identifier: GPL-2.0
/* The command line: words by unique prefix, each command's arguments,
 * batch lines. No kernel needed: parsers stop before any netlink. */
#include <net/if.h>
#include <sys/socket.h>

#include "tap.h"
#include "tool.h"

static struct ctx c;
static char line[1024];
static char *argv[64];

/* Split s like a batch line into the static argv. */
static int words(const char *s)
{
	snprintf(line, sizeof(line), "%s", s);
	return split_line(line, argv, 64);
}

typedef int (*parser)(struct ctx *c, uint8_t cmd, int argc, char **argv,
		      struct xm_change *ch);

/* Run a parser on s; its stderr goes to *err. */
static int run(parser p, uint8_t cmd, const char *s, struct xm_change *ch,
	       const char **err)
{
	int argc = words(s), ret;

	cap_begin();
	ret = p(&c, cmd, argc, argv, ch);
	*err = cap_end();
	return ret;
}

static void neigh(void)
{
	struct xm_change ch;
	struct xm_neigh *n = &ch.e.neigh;
	const char *err;
	int ret;

	ret = run(parse_neigh, XMESH_CMD_NEIGH_NEW,
		  "id 10 node 2 link lo remote 10.99.1.2 local 10.99.1.1 port 7601 state down",
		  &ch, &err);
	is_int(ret, 0, "neigh add: full form parses");
	is_int(ch.cmd, XMESH_CMD_NEIGH_NEW, "neigh add: command");
	is_int(ch.e.type, XMESH_A_NEIGH, "neigh add: a neigh entry");
	is_int(n->id, 10, "neigh add: id");
	is_int(n->node, 2, "neigh add: node");
	is_int(n->link, if_nametoindex("lo"), "neigh add: link is lo's ifindex");
	is_int(n->remote.family, AF_INET, "neigh add: remote IPv4");
	is_int(n->port, 7601, "neigh add: port");
	is_int(n->state, XMESH_NEIGH_DOWN, "neigh add: state down");
	is_str(ch.ifname, "xmesh0", "neigh add: default device xmesh0");
	ok(!XM_HAS(n, XMESH_NEIGH_A_CARRIER), "neigh add: carrier not set");

	ret = run(parse_neigh, XMESH_CMD_NEIGH_NEW,
		  "id 1 node 2 remote fe80::2%lo dev xm1", &ch, &err);
	is_int(ret, 0, "neigh add: link-local remote with zone, no link");
	is_int(n->link, if_nametoindex("lo"), "neigh add: the zone gives link");
	is_str(ch.ifname, "xm1", "neigh add: dev picks the xmesh device");

	ret = run(parse_neigh, XMESH_CMD_NEIGH_NEW,
		  "id 1 node 2 link lo remote fe80::2", &ch, &err);
	is_int(ret, 0, "neigh add: link-local remote with link");

	ret = run(parse_neigh, XMESH_CMD_NEIGH_NEW,
		  "id 1 node 2 remote fe80::2", &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "neigh add: link-local without link fails");
	is_str(err, "Error: neigh add needs id, node, link and remote.\n",
	       "neigh add: says what it needs");

	ret = run(parse_neigh, XMESH_CMD_NEIGH_NEW,
		  "id 1 node 2 link lo remote 10.0.0.1 local fd00::1", &ch,
		  &err);
	is_int(ret, XM_EXIT_USAGE, "neigh add: mixed families fail");

	ret = run(parse_neigh, XMESH_CMD_NEIGH_NEW,
		  "id 0 node 2 link lo remote 10.0.0.1", &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "neigh add: id 0 refused");
	is_str(err,
	       "Error: invalid neighbor id \"0\": expected a number from 1 to 4294967295.\n",
	       "neigh add: id range message");

	ret = run(parse_neigh, XMESH_CMD_NEIGH_NEW,
		  "id 1 id 2 node 2 link lo remote 10.0.0.1", &ch, &err);
	is_str(err, "Error: \"id\" is given twice.\n",
	       "neigh add: duplicate keyword");

	ret = run(parse_neigh, XMESH_CMD_NEIGH_NEW, "id 1 node", &ch, &err);
	is_str(err, "Error: \"node\" needs a value.\n",
	       "neigh add: keyword without value");

	ret = run(parse_neigh, XMESH_CMD_NEIGH_NEW,
		  "id 1 node 2 link no-such-if0 remote 10.0.0.1", &ch, &err);
	is_int(ret, XM_EXIT_FAIL, "neigh add: unknown link is exit 1");

	ret = run(parse_neigh, XMESH_CMD_NEIGH_NEW,
		  "id 1 node 2 link lo remote 10.0.0.1 dev bad/name", &ch,
		  &err);
	is_int(ret, XM_EXIT_USAGE, "neigh add: bad device name");

	ret = run(parse_neigh, XMESH_CMD_NEIGH_SET, "id 10 state up", &ch,
		  &err);
	is_int(ret, 0, "neigh set: state");
	is_int(n->present, XM_BIT(XMESH_NEIGH_A_ID) | XM_BIT(XMESH_NEIGH_A_STATE),
	       "neigh set: only id and state are sent");
	ret = run(parse_neigh, XMESH_CMD_NEIGH_SET, "id 10 port 9", &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "neigh set: port refused");
	ok(strstr(err, "neigh replace") != NULL,
	   "neigh set: points at neigh replace");
	ret = run(parse_neigh, XMESH_CMD_NEIGH_SET, "id 10", &ch, &err);
	is_str(err, "Error: neigh set needs a state.\n",
	       "neigh set: needs a state");

	ret = run(parse_neigh, XMESH_CMD_NEIGH_DEL, "id 7", &ch, &err);
	is_int(ret, 0, "neigh del: id");
	is_int(n->present, XM_BIT(XMESH_NEIGH_A_ID), "neigh del: id only");
	ret = run(parse_neigh, XMESH_CMD_NEIGH_DEL, "node 7", &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "neigh del: by node refused");

	ret = run(parse_neigh, XMESH_CMD_NEIGH_GET, "node 7 state up", &ch,
		  &err);
	is_int(ret, 0, "neigh show: filter without id");

	ret = run(parse_neigh, XMESH_CMD_NEIGH_NEW, "id 1 help", &ch, &err);
	is_int(ret, XM_HELP, "neigh add: help anywhere shows the usage");
	is_int(xm_status(ret), 0, "help: exit status 0");
}

static void route(void)
{
	struct xm_change ch;
	struct xm_route *r = &ch.e.route;
	const char *err;
	int ret;

	ret = run(parse_route, XMESH_CMD_ROUTE_NEW,
		  "node 5 nexthop neigh 10 priority 0 nexthop neigh 11 priority 1",
		  &ch, &err);
	is_int(ret, 0, "route add: two next hops");
	is_int(r->dst, 5, "route add: node");
	is_int(r->n_nexthops, 2, "route add: next hop count");
	is_int(r->nexthop[1].neigh, 11, "route add: second neigh");
	is_int(r->nexthop[1].priority, 1, "route add: second priority");
	ok(XM_HAS(&r->nexthop[0], XMESH_NEXTHOP_A_PRIORITY),
	   "route add: explicit priority 0 is sent");

	ret = run(parse_route, XMESH_CMD_ROUTE_NEW,
		  "node 5 neigh 10 neigh 11 priority 3", &ch, &err);
	is_int(ret, 0, "route add: nexthop keyword optional");
	is_int(r->n_nexthops, 2, "route add: short form count");
	ok(!XM_HAS(&r->nexthop[0], XMESH_NEXTHOP_A_PRIORITY),
	   "route add: default priority left to the kernel");

	ret = run(parse_route, XMESH_CMD_ROUTE_NEW,
		  "node 5 neigh 1 neigh 2 neigh 3 neigh 4 neigh 5 neigh 6 neigh 7 neigh 8 neigh 9",
		  &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "route add: 9 next hops refused");
	is_str(err, "Error: a route has at most 8 next hops.\n",
	       "route add: next hop limit message");

	ret = run(parse_route, XMESH_CMD_ROUTE_NEW, "node 5 neigh 1 neigh 1",
		  &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "route add: same neigh twice refused");

	ret = run(parse_route, XMESH_CMD_ROUTE_NEW, "node 5 priority 1 neigh 1",
		  &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "route add: priority before neigh");

	ret = run(parse_route, XMESH_CMD_ROUTE_NEW, "node 5 nexthop priority 1",
		  &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "route add: nexthop without neigh");

	ret = run(parse_route, XMESH_CMD_ROUTE_NEW, "node 5", &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "route add: no next hop");

	ret = run(parse_route, XMESH_CMD_ROUTE_NEW,
		  "neigh 1 priority 256 node 5", &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "route add: priority 256");

	ret = run(parse_route, XMESH_CMD_ROUTE_DEL, "node 5", &ch, &err);
	is_int(ret, 0, "route del: node");
	is_int(r->n_nexthops, 0, "route del: no next hops");
	ret = run(parse_route, XMESH_CMD_ROUTE_DEL, "node 5 neigh 1", &ch,
		  &err);
	is_str(err, "Error: route del takes no \"neigh\".\n",
	       "route del: next hops refused");
	ret = run(parse_route, XMESH_CMD_ROUTE_GET, "neigh 3", &ch, &err);
	is_int(ret, 0, "route show: filter by neigh");
}

static void prefix(void)
{
	struct xm_change ch;
	struct xm_prefix *p = &ch.e.prefix;
	const char *err;
	int ret;

	ret = run(parse_prefix, XMESH_CMD_PREFIX_NEW, "10.0.5.0/24 node 5",
		  &ch, &err);
	is_int(ret, 0, "prefix add: IPv4");
	is_int(p->len, 24, "prefix add: length");
	is_int(p->node, 5, "prefix add: node");
	ret = run(parse_prefix, XMESH_CMD_PREFIX_NEW, "node 6 fd00:6::/64",
		  &ch, &err);
	is_int(ret, 0, "prefix add: IPv6, node first");
	is_int(p->addr.family, AF_INET6, "prefix add: IPv6 family");
	ret = run(parse_prefix, XMESH_CMD_PREFIX_NEW, "10.0.5.1/24 node 5",
		  &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "prefix add: host bits refused");
	is_str(err,
	       "Error: 10.0.5.1/24 has host bits set; did you mean 10.0.5.0/24?\n",
	       "prefix add: suggests the masked prefix");
	ret = run(parse_prefix, XMESH_CMD_PREFIX_NEW, "10.0.5.0/24", &ch,
		  &err);
	is_int(ret, XM_EXIT_USAGE, "prefix add: needs a node");
	ret = run(parse_prefix, XMESH_CMD_PREFIX_NEW,
		  "10.0.5.0/24 10.0.6.0/24 node 5", &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "prefix add: one prefix only");
	ret = run(parse_prefix, XMESH_CMD_PREFIX_DEL, "10.0.5.0/24 node 5",
		  &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "prefix del: node refused");
	ret = run(parse_prefix, XMESH_CMD_PREFIX_DEL, "10.0.5.0/24", &ch,
		  &err);
	is_int(ret, 0, "prefix del: prefix only");
	ok(!XM_HAS(p, XMESH_PREFIX_A_NODE), "prefix del: no node sent");
	ret = run(parse_prefix, XMESH_CMD_PREFIX_NEW, "10.0.0.0/40 node 1",
		  &ch, &err);
	is_str(err, "Error: invalid prefix length in \"10.0.0.0/40\": at most 32.\n",
	       "prefix add: length message");
}

static int dev_parser(struct ctx *cc, uint8_t cmd, int argc, char **av,
		      struct xm_change *ch)
{
	(void)cmd;
	return parse_dev_set(cc, argc, av, ch);
}

static void dev(void)
{
	struct xm_change ch;
	struct xm_dev *d = &ch.e.dev;
	const char *err;
	int ret;

	ret = run(dev_parser, 0, "xm3 node 1 port 7700 family inet6 hop-limit 8",
		  &ch, &err);
	is_int(ret, 0, "dev set: every setting");
	is_str(ch.ifname, "xm3", "dev set: positional device");
	is_int(d->family, AF_INET6, "dev set: family inet6");
	is_int(d->hop_limit, 8, "dev set: hop limit");
	ret = run(dev_parser, 0, "dev xm3 node 1", &ch, &err);
	is_str(ch.ifname, "xm3", "dev set: dev keyword");
	ret = run(dev_parser, 0, "node 1", &ch, &err);
	is_str(ch.ifname, "xmesh0", "dev set: default device");
	ret = run(dev_parser, 0, "xm3", &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "dev set: nothing to set");
	ret = run(dev_parser, 0, "family ipx", &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "dev set: bad family");
	ret = run(dev_parser, 0, "hop-limit 0", &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "dev set: hop limit 0");
	ret = run(dev_parser, 0, "xm3 xm4 node 1", &ch, &err);
	is_int(ret, XM_EXIT_USAGE, "dev set: two devices");
	ret = run(dev_parser, 0, "-s node 1", &ch, &err);
	is_str(err, "Error: \"-s\" is an option: options go before the object, as in \"xmesh -s OBJECT ...\".\n",
	       "dev set: an option after the object is no device name");
}

static int noop(struct ctx *cc, int ac, char **av)
{
	(void)cc, (void)ac, (void)av;
	return 0;
}

static void matching(void)
{
	static const struct cmd cmds[] = {
		{ "show", "list ls", noop, CMD_RUN },
		{ "set", NULL, noop, CMD_CHANGE },
		{ "del", "delete", noop, CMD_CHANGE },
		{ "flush", NULL, noop, CMD_CHANGE },
		{ NULL, NULL, NULL, CMD_RUN },
	};
	const char *err;

	ok(cmd_match("show", cmds, "x") == &cmds[0], "match: exact name");
	ok(cmd_match("sh", cmds, "x") == &cmds[0], "match: unique prefix");
	ok(cmd_match("ls", cmds, "x") == &cmds[0], "match: alias");
	ok(cmd_match("l", cmds, "x") == &cmds[0],
	   "match: prefix of two aliases of one command");
	ok(cmd_match("delete", cmds, "x") == &cmds[2], "match: long alias");
	ok(cmd_match("f", cmds, "x") == &cmds[3], "match: one letter");
	cap_begin();
	ok(cmd_match("s", cmds, "x") == NULL, "match: ambiguous prefix");
	err = cap_end();
	is_str(err, "Error: \"s\" is ambiguous: it may be show or set.\n",
	       "match: ambiguity names the candidates");
	cap_begin();
	ok(cmd_match("showx", cmds, "command") == NULL, "match: longer word");
	err = cap_end();
	is_str(err, "Error: unknown command \"showx\"; try \"help\".\n",
	       "match: unknown word message");
}

static void lines(void)
{
	is_int(words("  neigh add  id 1 # comment"), 4, "split: comment ends");
	is_str(argv[2], "id", "split: third word");
	is_int(words("# only a comment"), 0, "split: comment line");
	is_int(words(""), 0, "split: empty line");
	is_int(words("a \"b c\" 'd e'f"), 3, "split: quotes group words");
	is_str(argv[1], "b c", "split: double quotes removed");
	is_str(argv[2], "d ef", "split: single quotes removed");
	is_int(words("a \"b"), -1, "split: unterminated quote");
	is_int(words("a#b c"), 2, "split: # inside a word is kept");
	is_str(argv[0], "a#b", "split: word with #");
}

static int main_of(const char *s, const char **err)
{
	char *av[16];
	char buf[256];
	int ac, ret;
	struct ctx cc;

	snprintf(buf, sizeof(buf), "xmesh %s", s);
	ac = split_line(buf, av, 16);
	ctx_init(&cc);
	cap_begin();
	ret = xm_main(&cc, ac, av);
	*err = cap_end();
	ctx_free(&cc);
	return ret;
}

static void toplevel(void)
{
	const char *err;
	char path[] = "/tmp/xmesh-test-batch-XXXXXX";
	char cmd[128];
	int fd;
	FILE *f;

	is_int(main_of("-x neigh", &err), XM_EXIT_USAGE, "main: unknown option");
	is_int(main_of("", &err), XM_EXIT_USAGE, "main: no object");
	is_int(main_of("p", &err), XM_EXIT_USAGE, "main: p is prefix or ping");
	is_int(main_of("-d bad/dev neigh", &err), XM_EXIT_USAGE,
	       "main: -d validates the name");
	is_int(main_of("-batch", &err), XM_EXIT_USAGE, "main: -batch needs a file");
	is_int(main_of("-batch f neigh", &err), XM_EXIT_USAGE,
	       "main: -batch takes no command");
	is_int(main_of("neigh add id x", &err), XM_EXIT_USAGE,
	       "main: usage errors are exit 2");
	is_int(main_of("ping", &err), XM_EXIT_USAGE, "main: ping needs a node");
	is_int(main_of("trace 5 max-hops 0", &err), XM_EXIT_USAGE,
	       "main: trace max-hops range");
	is_int(main_of("ping 5 -c 0", &err), XM_EXIT_USAGE,
	       "main: ping count 0");
	is_int(main_of("monitor bogus", &err), XM_EXIT_USAGE,
	       "main: monitor kind");

	/* A batch whose lines fail before any netlink: numbers and -force. */
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fputs("# comment\n\nneigh add id 1 \\\n  node x\nroute add node 5\nbogus\n",
	      f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "-batch %s", path);
	is_int(main_of(cmd, &err), XM_EXIT_FAIL, "batch: failure is exit 1");
	ok(strstr(err, ":3\n") && !strstr(err, ":5\n"),
	   "batch: stops at the first failing line (3, continued)");
	snprintf(cmd, sizeof(cmd), "-force -batch %s", path);
	is_int(main_of(cmd, &err), XM_EXIT_FAIL, "batch -force: exit 1");
	ok(strstr(err, ":3\n") && strstr(err, ":5\n") && strstr(err, ":6\n"),
	   "batch -force: reports every failing line");
	unlink(path);
}

int main(void)
{
	ctx_init(&c);
	neigh();
	route();
	prefix();
	dev();
	matching();
	lines();
	toplevel();
	ctx_free(&c);
	return tap_done();
}
