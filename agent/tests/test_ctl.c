// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket: requests answered from a made-up core state, bad
 * requests of every kind, and the server's framing, limits and monitors
 * over a real UNIX socket.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tap.h"
#include "../daemon/ctl.h"
#include "../daemon/log.h"
#include "../daemon/ctlsock.h"

#include "ctl_fake.h"

/* ---- helpers ---- */

static struct xmd_reply last;

/* Handle a request; the reply parsed, or NULL. */
static json_object *ask_view(const struct xmd_view *v, const char *req)
{
	free(last.text);
	memset(&last, 0, sizeof(last));
	if (xmd_ctl_handle(v, req, strlen(req), &last) || !last.text)
		return NULL;
	if (last.len == 0 || last.text[last.len - 1] != '\n' ||
	    memchr(last.text, '\n', last.len - 1))
		return NULL;	/* a reply is exactly one line */
	return json_tokener_parse(last.text);
}

static json_object *ask(const char *req)
{
	struct xmd_view v = view();

	return ask_view(&v, req);
}

static json_object *get(json_object *o, const char *path)
{
	char key[64];
	const char *dot;

	while (o && *path) {
		dot = strchr(path, '.');
		snprintf(key, sizeof(key), "%.*s",
			 (int)(dot ? dot - path : (long)strlen(path)), path);
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(key));
		else if (!json_object_object_get_ex(o, key, &o))
			o = NULL;
		path = dot ? dot + 1 : "";
	}
	return o;
}

static long long num(json_object *o, const char *path)
{
	json_object *v = get(o, path);

	return v ? json_object_get_int64(v) : -1;
}

static const char *str(json_object *o, const char *path)
{
	json_object *v = get(o, path);

	return v && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : "(none)";
}

static size_t len(json_object *o, const char *path)
{
	json_object *v = get(o, path);

	return v && json_object_is_type(v, json_type_array) ?
	       json_object_array_length(v) : (size_t)-1;
}

static bool is_null(json_object *o, const char *path)
{
	json_object *v;

	return json_object_object_get_ex(o, path, &v) && !v;
}

/* A field of a reply (a get() path) and its JSON text. */
struct field {
	const char *path, *json, *name;
};

static void is_fields(json_object *r, const struct field *f, size_t n)
{
	for (; n; n--, f++)
		is_str(json_object_to_json_string_ext(get(r, f->path),
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		       f->json, f->name);
}

#define IS_FIELDS(r, t) is_fields(r, t, sizeof(t) / sizeof(t[0]))

/* The request is refused with an error containing want. */
static void refused(const char *req, const char *want)
{
	json_object *r = ask(req);
	const char *e = str(r, "error");

	if (!ok(r && strstr(e, want) && last.bad, "refused: %s", req))
		printf("#   reply: %s#   want an error with \"%s\"\n",
		       last.text ? last.text : "(none)\n", want);
	json_object_put(r);
}

/* ---- requests ---- */

static void status(void)
{
	json_object *r = ask("status");

	ok(r != NULL, "status as a bare word");
	is_int(num(r, "node"), 1, "status: node id");
	is_str(str(r, "device"), "xmesh0", "status: device");
	is_int(num(r, "uptime_ms"), 6000, "status: uptime");
	is_int(num(r, "neighbors"), 2, "status: two neighbors");
	is_int(num(r, "neighbors_up"), 1, "status: one up");
	is_int(num(r, "nodes"), 5, "status: five nodes");
	is_int(num(r, "nodes_reachable"), 4, "status: four reachable");
	is_str(str(r, "security"), "none (insecure-no-certificates)",
	       "status: security, without certificates");
	is_int(num(r, "stats.rx_bad_auth"), 3, "status: core counters");
	is_int(num(r, "stats.spf_runs"), 9, "status: spf runs");
	ok(get(r, "agent.ctl_bad_requests") != NULL, "status: agent counters");
	ok(!last.bad && !last.monitor, "a good request is not bad");
	json_object_put(r);
	r = ask(" {\"cmd\": \"status\"}\r");
	is_int(num(r, "node"), 1, "status as JSON, blanks and CR around it");
	json_object_put(r);
}

static void nodes(void)
{
	static const struct field want[] = {
		{ "nodes.0.node", "1", "nodes: first is 1" },
		{ "nodes.0.self", "true", "nodes: 1 is self" },
		{ "nodes.1.roles.0", "\"gpu\"", "nodes: roles" },
		{ "nodes.2.cost", "250", "nodes: cost" },
		{ "nodes.2.hops", "2", "nodes: hops" },
		{ "nodes.1.load", "3.00", "nodes: load as a decimal" },
		{ "nodes.3.prefixes.0", "\"10.99.0.4/32\"", "nodes: prefixes" },
		{ "nodes.4.reachable", "false", "nodes: 5 unreachable" },
	};
	json_object *r = ask("{\"cmd\":\"nodes\"}");

	is_int(len(r, "nodes"), 5, "nodes: all five");
	IS_FIELDS(r, want);
	ok(is_null(get(r, "nodes.4"), "cost"), "nodes: no cost when unreachable");
	json_object_put(r);
	r = ask("{\"cmd\":\"nodes\",\"role\":\"gpu\",\"zone\":\"b\"}");
	is_int(len(r, "nodes"), 3, "nodes: role and zone filter");
	json_object_put(r);
	r = ask("{\"cmd\":\"nodes\",\"node\":3}");
	is_int(len(r, "nodes"), 1, "nodes: one node");
	json_object_put(r);
}

static void neighbors(void)
{
	static const struct field want[] = {
		{ "neighbors.0.state", "\"up\"", "neighbors: state" },
		{ "neighbors.1.state", "\"holddown\"", "neighbors: holddown" },
		{ "neighbors.0.link", "\"lo\"", "neighbors: link name" },
		{ "neighbors.0.remote", "\"10.9.1.2\"", "neighbors: remote" },
		{ "neighbors.0.rtt_ms", "0.412", "neighbors: rtt in ms" },
		{ "neighbors.0.jitter_ms", "0.031", "neighbors: jitter in ms" },
		{ "neighbors.0.loss_pct", "1.25", "neighbors: loss in percent" },
		{ "neighbors.0.last_seen_ms", "50",
		  "neighbors: last seen is the latest of hello and probe" },
		{ "neighbors.1.last_seen_ms", "500",
		  "neighbors: last seen without any probe reply" },
		{ "neighbors.0.flaps", "2", "neighbors: flaps" },
	};
	json_object *r = ask("{\"cmd\":\"neighbors\"}");

	is_int(len(r, "neighbors"), 2, "neighbors: two");
	IS_FIELDS(r, want);
	ok(is_null(get(r, "neighbors.1"), "last_probe_ms"),
	   "neighbors: never probed is null");
	json_object_put(r);
}

static void topology(void)
{
	json_object *r = ask("topology");

	is_int(len(r, "nodes"), 5, "topology: nodes");
	is_int(len(r, "edges"), 7, "topology: every advertised edge");
	is_int(num(r, "edges.0.from"), 1, "topology: edge from");
	is_int(num(r, "edges.0.bandwidth_mbps"), 1000, "topology: bandwidth");
	json_object_put(r);
}

static void path(void)
{
	json_object *r = ask("{\"cmd\":\"path\",\"node\":3}");

	ok(json_object_get_boolean(get(r, "reachable")), "path: reachable");
	is_int(num(r, "cost"), 250, "path: total cost");
	is_int(len(r, "hops"), 3, "path: three nodes");
	is_int(num(r, "hops.1.node"), 2, "path: through 2");
	is_int(num(r, "hops.1.cost"), 100, "path: cumulative cost");
	is_str(str(r, "hops.2.name"), "three", "path: hops have names");
	json_object_put(r);
	r = ask("{\"cmd\":\"path\",\"node\":5}");
	ok(r && !json_object_get_boolean(get(r, "reachable")) && !last.bad,
	   "path: unreachable is an answer, not an error");
	is_int(len(r, "hops"), 0, "path: no hops");
	json_object_put(r);
	r = ask("{\"cmd\":\"path\",\"node\":1}");
	is_int(len(r, "hops"), 1, "path: to itself");
	is_int(num(r, "cost"), 0, "path: to itself costs 0");
	json_object_put(r);
}

static void find(void)
{
	json_object *r = ask("{\"cmd\":\"find\",\"role\":\"gpu\"}");

	/* 2 and 4 are both at 100; 4 is less loaded. */
	is_int(num(r, "node.node"), 4, "find: nearest, then least loaded");
	is_int(num(r, "node.distance"), 100, "find: its distance");
	json_object_put(r);
	r = ask("{\"cmd\":\"find\",\"role\":\"gpu\",\"min_cores\":12}");
	is_int(num(r, "node.node"), 3, "find: min_cores skips small ones");
	json_object_put(r);
	r = ask("{\"cmd\":\"find\",\"role\":\"gpu\",\"min_cores\":32}");
	ok(r && is_null(r, "node") && !last.bad,
	   "find: nothing reachable fits (5 is not reachable)");
	json_object_put(r);
	r = ask("{\"cmd\":\"find\",\"min_cores\":2}");
	is_int(num(r, "node.node"), 1, "find: this node fits first");
	json_object_put(r);
	r = ask("{\"cmd\":\"find\",\"role\":\"gpu\",\"near\":3}");
	is_int(num(r, "node.node"), 3, "find near 3: 3 itself");
	json_object_put(r);
	r = ask("{\"cmd\":\"find\",\"role\":\"gpu\",\"near\":3,\"zone\":\"a\"}");
	is_int(num(r, "node.node"), 2, "find near 3 in zone a: 2");
	is_int(num(r, "node.distance"), 150, "find near: distance from 3");
	json_object_put(r);
	r = ask("{\"cmd\":\"find\",\"role\":\"gpu\",\"near\":4,\"min_cores\":12}");
	/* 4-3 is advertised by 4 only: the way is 4-1-2-3. */
	is_int(num(r, "node.distance"), 350,
	       "find near: one-sided edges do not count");
	json_object_put(r);
	refused("{\"cmd\":\"find\",\"near\":99}", "not in the topology");
	/* Free cores = cores - load: 2 has 5, 3 has 15.9, 4 has 7.8. */
	r = ask("{\"cmd\":\"find\",\"role\":\"gpu\",\"count\":3}");
	is_int(len(r, "nodes"), 3, "find count 3: three nodes");
	is_int(num(r, "nodes.0.node") * 100 + num(r, "nodes.1.node") * 10 +
	       num(r, "nodes.2.node"), 423,
	       "find count 3: 4, 2 (same cost, fewer free cores), 3");
	is_int(num(r, "node.node"), 4, "find count 3: node is the first");
	is_str(json_object_get_string(get(r, "nodes.1.free_cores")), "5.00",
	       "find: free cores = cores - load");
	is_int(num(r, "nodes.2.distance"), 250, "find count 3: distances");
	json_object_put(r);
	r = ask("{\"cmd\":\"find\",\"role\":\"gpu\",\"count\":2,"
		"\"min_free_cores\":5.5}");
	is_int(num(r, "nodes.0.node") * 10 + num(r, "nodes.1.node"), 43,
	       "find min_free_cores 5.5: 2 is out");
	json_object_put(r);
	r = ask("{\"cmd\":\"find\",\"min_free_mem_mb\":4097}");
	ok(r && is_null(r, "node") && len(r, "nodes") == 0 && !last.bad,
	   "find min_free_mem_mb: none has that much");
	json_object_put(r);
	r = ask("{\"cmd\":\"find\",\"min_free_disk_gb\":0,\"count\":64}");
	is_int(len(r, "nodes"), 4, "find count 64: the four reachable");
	json_object_put(r);
	refused("{\"cmd\":\"find\",\"count\":0}", "\"count\" must be 1 to 64");
	refused("{\"cmd\":\"find\",\"count\":65}", "\"count\" must be");
	refused("{\"cmd\":\"find\",\"min_free_cores\":-1}",
		"\"min_free_cores\" must be 0 to");
	refused("{\"cmd\":\"find\",\"min_free_cores\":\"2\"}",
		"\"min_free_cores\" must be a number");
}

static void monitor(void)
{
	json_object *r = ask("monitor");

	ok(r && json_object_get_boolean(get(r, "monitor")) && last.monitor,
	   "monitor subscribes");
	json_object_put(r);
	is_int(last.monitor_level, XMD_LOG_INFO,
	       "monitor: info and above by default");
	r = ask("{\"cmd\":\"status\"}");
	ok(!last.monitor, "status does not subscribe");
	json_object_put(r);
	r = ask("{\"cmd\":\"monitor\",\"level\":\"debug\"}");
	ok(r && last.monitor && last.monitor_level == XMD_LOG_DEBUG &&
	   !strcmp(json_object_get_string(get(r, "level")), "debug"),
	   "monitor: debug on request");
	json_object_put(r);
	refused("{\"cmd\":\"monitor\",\"level\":\"loud\"}",
		"\"level\" must be error, warn, info or debug");
	refused("{\"cmd\":\"monitor\",\"level\":3}",
		"\"level\" must be error, warn, info or debug");
}

static void bad_requests(void)
{
	struct xmd_view v = view();
	char big[600];
	json_object *r;

	refused("", "empty request");
	refused("   ", "empty request");
	refused("nonsense", "unknown command");
	refused("STATUS", "not a JSON object");
	refused("status now", "not a JSON object");
	refused("[\"status\"]", "not a JSON object");
	refused("{\"cmd\":\"status\"", "not a JSON object");
	refused("{\"cmd\":\"status\"} {}", "not a JSON object");
	refused("{\"cmd\":\"status\"}x", "not a JSON object");
	refused("{}", "needs \"cmd\"");
	refused("{\"cmd\":5}", "needs \"cmd\"");
	refused("{\"cmd\":null}", "needs \"cmd\"");
	refused("{\"cmd\":\"reboot\"}", "unknown command \"reboot\"");
	refused("{\"cmd\":\"status\",\"x\":1}", "unknown key \"x\"");
	refused("{\"cmd\":\"path\"}", "needs \"node\"");
	refused("{\"cmd\":\"path\",\"node\":0}", "\"node\" must be 1 to 4294967295");
	refused("{\"cmd\":\"path\",\"node\":-3}", "must be 1 to");
	refused("{\"cmd\":\"path\",\"node\":4294967296}", "must be 1 to");
	refused("{\"cmd\":\"path\",\"node\":99999999999999999999999}",
		"must be");
	refused("{\"cmd\":\"path\",\"node\":\"3\"}", "must be an integer");
	refused("{\"cmd\":\"path\",\"node\":3.5}", "must be an integer");
	refused("{\"cmd\":\"nodes\",\"role\":7}", "must be a string");
	refused("{\"cmd\":\"nodes\",\"role\":\"0123456789012345678901234567890123\"}",
		"too long");
	refused("{\"cmd\":\"find\",\"min_cores\":70000}", "must be 0 to 65535");
	refused("{\"cmd\":\"status\",\"cmd\":\"nodes\",\"cmd\":1}", "needs \"cmd\"");
	/* Nested deeper than the parser allows: an error, no crash. */
	memset(big, '[', 300);
	snprintf(big + 300, sizeof(big) - 300, "%s", "");
	refused(big, "not a JSON object");
	refused("{\"cmd\":\"st\\u0000atus\"}", "unknown command");
	{
		static const char nul[] = "{\"cmd\":\"status\"}\0garbage";

		free(last.text);
		ok(!xmd_ctl_handle(&v, nul, sizeof(nul) - 1, &last) &&
		   last.bad && strstr(last.text, "NUL"),
		   "refused: a NUL byte inside the line");
	}
	{
		static const char utf8[] = "{\"cmd\":\"\xff\xfe\"}";

		free(last.text);
		ok(!xmd_ctl_handle(&v, utf8, sizeof(utf8) - 1, &last) &&
		   last.bad, "refused: invalid UTF-8");
	}
	v.core = NULL;
	r = ask_view(&v, "nodes");
	is_str(str(r, "error"), "the agent is starting",
	       "no core yet: nodes says so");
	json_object_put(r);
	r = ask_view(&v, "status");
	ok(r && is_null(r, "node"), "no core yet: status still answers");
	json_object_put(r);
}

/* Random and mutated requests: always exactly one reply line. */
static void random_requests(void)
{
	static const char *const seeds[] = {
		"{\"cmd\":\"path\",\"node\":3}",
		"{\"cmd\":\"find\",\"role\":\"gpu\",\"near\":3,\"min_cores\":2}",
		"{\"cmd\":\"nodes\",\"zone\":\"b\"}", "status",
	};
	struct xmd_view v = view();
	char buf[256];
	int i, bad_replies = 0;
	size_t n, k;

	srand(11);
	for (i = 0; i < 20000; i++) {
		if (i % 2) {
			n = (size_t)(rand() % 200);
			for (k = 0; k < n; k++)
				buf[k] = (char)(rand() % 256);
		} else {
			const char *s = seeds[rand() % 4];

			n = strlen(s);
			memcpy(buf, s, n);
			for (k = 0; k < 3; k++)
				buf[rand() % n] = (char)(rand() % 128);
		}
		free(last.text);
		memset(&last, 0, sizeof(last));
		if (xmd_ctl_handle(&v, buf, n, &last) || !last.text ||
		    last.text[last.len - 1] != '\n' ||
		    memchr(last.text, '\n', last.len - 1) ||
		    strlen(last.text) != last.len)
			bad_replies++;
	}
	is_int(bad_replies, 0, "20000 random requests: one reply line each");
}

static void lines(void)
{
	size_t n;
	char *s = xmd_ctl_event_line(1234, "warn", "link \"eth0\"\ndown", &n);
	json_object *r = json_tokener_parse(s);

	ok(s && s[n - 1] == '\n' && !memchr(s, '\n', n - 1),
	   "an event is one line, a newline in its text escaped");
	is_str(str(r, "text"), "link \"eth0\"\ndown", "event text round trips");
	is_int(num(r, "time_ms"), 1234, "event time");
	json_object_put(r);
	free(s);
}

/* ---- the server, over a real socket ---- */

static int epfd;
static struct xmd_ctl srv;
static char sock_path[108];

static void srv_view(void *data, struct xmd_view *v)
{
	(void)data;
	*v = view();
}

/* Run the loop until nothing happens for 50 ms. */
static void pump(void)
{
	struct epoll_event ev[8];
	int n, i;

	while ((n = epoll_wait(epfd, ev, 8, 50)) > 0) {
		for (i = 0; i < n; i++) {
			struct xmd_watch *w = ev[i].data.ptr;

			w->fn(w, ev[i].events);
		}
		xmd_ctl_reap(&srv);
	}
}

static int client(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* What the server sent fd so far (non-blocking), as a string. */
static const char *got(int fd)
{
	static char buf[65536];
	ssize_t n;
	size_t len = 0;

	pump();
	while ((n = recv(fd, buf + len, sizeof(buf) - 1 - len,
			 MSG_DONTWAIT)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return buf;
}

/* Bytes waiting on fd, read until EOF or a reset (-1: neither came). */
static long drain(int fd, size_t *lines)
{
	char buf[65536];
	long total = 0;
	ssize_t n, i;

	*lines = 0;
	for (;;) {
		pump();
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return total;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (poll(&p, 1, 2000) <= 0)
				return -1;
			continue;
		}
		if (n < 0)
			return -1;
		for (i = 0; i < n; i++)
			*lines += buf[i] == '\n';
		total += n;
	}
}

/* A reply larger than the backlog bound; a client that does not read. */
static void reply_bounds(struct xmd_stats *st)
{
	static const char req[] = "topology\n";
	char many[2000 * (sizeof(req) - 1)];
	size_t lines, i;
	const char *s;
	int a;

	(void)st;
	srv.reply_backlog_max = 64;
	a = client();
	send(a, req, sizeof(req) - 1, 0);
	s = got(a);
	ok(strlen(s) > 64 && strstr(s, "\"edges\"") && strchr(s, '\n'),
	   "server: a reply larger than the backlog bound goes whole (%zu bytes)",
	   strlen(s));
	for (i = 0; i < 2000; i++)
		memcpy(many + i * (sizeof(req) - 1), req, sizeof(req) - 1);
	send(a, many, sizeof(many), 0);
	pump();
	ok(drain(a, &lines) >= 0 && lines < 2000,
	   "server: a client that does not read is dropped (%zu of 2000 replies)",
	   lines);
	close(a);
	pump();
	srv.reply_backlog_max = XMD_REPLY_QUEUE_MAX;
}

/*
 * Out of file descriptors: the waiting connection is refused, and the
 * listener does not stay readable (a busy loop).
 */
static void fd_exhaustion(struct xmd_stats *st)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct pollfd p = { .fd = srv.listen.fd, .events = POLLIN };
	struct rlimit saved, low;
	int cl, fds[512], n = 0, i;
	char buf[256];
	ssize_t got_n;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	cl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	getrlimit(RLIMIT_NOFILE, &saved);
	low = saved;
	low.rlim_cur = (rlim_t)cl + 64 < saved.rlim_cur ?
		       (rlim_t)cl + 64 : saved.rlim_cur;
	setrlimit(RLIMIT_NOFILE, &low);
	while (n < 512 && (fds[n] = dup(cl)) >= 0)
		n++;
	ok(n < 512 && errno == EMFILE, "fds: exhausted (%d more)", n);
	ok(!connect(cl, (struct sockaddr *)&sun, sizeof(sun)),
	   "fds: a client connects all the same");
	srv.listen.fn(&srv.listen, EPOLLIN);
	ok(poll(&p, 1, 0) == 0,
	   "fds: the listener is not left readable (no busy loop)");
	is_int((long long)st->ctl_accept_errors, 1, "fds: counted");
	for (i = 0; i < n; i++)
		close(fds[i]);
	setrlimit(RLIMIT_NOFILE, &saved);
	got_n = recv(cl, buf, sizeof(buf) - 1, 0);
	buf[got_n > 0 ? got_n : 0] = '\0';
	ok(strstr(buf, "out of file descriptors") != NULL,
	   "fds: the client is told why");
	close(cl);
	cl = client();
	send(cl, "status\n", 7, 0);
	ok(strstr(got(cl), "uptime_ms") != NULL,
	   "fds: descriptors back, clients are served again");
	close(cl);
	pump();
}

static void server(void)
{
	char dir[] = "/tmp/xmd-ctl-XXXXXX";
	struct xmd_stats st = { 0 };
	char big[XMD_REQUEST_MAX + 100];
	const char *s;
	struct stat sb;
	int a, b, c, d, ret;
	struct xmd_ctl other;

	ok(mkdtemp(dir) != NULL, "temporary directory");
	snprintf(sock_path, sizeof(sock_path), "%s/run/x.sock", dir);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	/* A stale socket file is replaced. */
	ret = xmd_ctl_open(&srv, epfd, sock_path, 2, &st, srv_view, NULL);
	is_int(ret, 0, "server: opens, making its directory");
	ok(!stat(sock_path, &sb) && (sb.st_mode & 0777) == 0660,
	   "server: socket mode 0660");
	is_int(xmd_ctl_open(&other, epfd, sock_path, 2, &st, srv_view, NULL),
	       -EADDRINUSE, "server: a second one on the same path refuses");

	a = client();
	ok(a >= 0, "server: a client connects");
	send(a, "status\n{\"cmd\":\"path\",\"node\":3}\n", 31, 0);
	s = got(a);
	ok(strstr(s, "\"uptime_ms\":6000") && strstr(s, "\"cost\":250"),
	   "server: two pipelined requests, two replies");
	ok(s[0] && !strchr(strchr(s, '\n') + 1, '\n')[1],
	   "server: exactly two lines");
	send(a, "sta", 3, 0);
	s = got(a);
	is_str(s, "", "server: a partial line waits");
	send(a, "tus\n", 4, 0);
	s = got(a);
	ok(strstr(s, "\"node\":1,") != NULL, "server: the line completed");

	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	send(a, big, sizeof(big), 0);
	send(a, "status\n", 7, 0);
	s = got(a);
	ok(strstr(s, "request longer than the limit") &&
	   strstr(s, "uptime_ms"),
	   "server: an over-long line gets one error, the next works");
	is_int(st.ctl_bad_requests, 1, "server: counted as a bad request");

	b = client();
	c = client();
	s = got(c);
	ok(strstr(s, "too many clients") != NULL,
	   "server: max-clients reached, told so");
	is_int(st.ctl_clients_refused, 1, "server: refusal counted");
	close(c);

	send(b, "monitor\n", 8, 0);
	s = got(b);
	ok(strstr(s, "\"monitor\":true") != NULL, "server: monitor subscribed");
	is_int(xmd_ctl_monitors(&srv), 1, "server: one monitor");
	{
		size_t n;
		char *line = xmd_ctl_event_line(1, "info", "neighbor up", &n);

		xmd_ctl_broadcast(&srv, line, n);
		free(line);
	}
	s = got(b);
	ok(strstr(s, "neighbor up") != NULL, "server: the monitor gets events");
	{
		size_t n;
		char *line = xmd_ctl_event_line(1, "debug", "spf: routine", &n);

		is_int(xmd_ctl_monitors_level(&srv, XMD_LOG_DEBUG), 0,
		       "server: no monitor wants debug");
		xmd_ctl_broadcast_level(&srv, XMD_LOG_DEBUG, line, n);
		free(line);
		line = xmd_ctl_event_line(1, "warn", "refused: 1", &n);
		xmd_ctl_broadcast_level(&srv, XMD_LOG_WARN, line, n);
		free(line);
	}
	s = got(b);
	ok(!strstr(s, "spf: routine") && strstr(s, "refused: 1"),
	   "server: a default monitor gets warn, not debug");
	s = got(a);
	is_str(s, "", "server: others do not");

	/* A client that half-closes still gets its answer. */
	close(a);
	pump();
	d = client();
	ok(d >= 0, "server: a slot is free again after a close");
	send(d, "status\n", 7, 0);
	shutdown(d, SHUT_WR);
	s = got(d);
	ok(strstr(s, "uptime_ms") != NULL, "server: answer after half-close");
	ok(recv(d, big, 1, MSG_DONTWAIT) == 0, "server: then it closes");
	close(d);

	/* A monitor that never reads: events are dropped, not queued
	 * without bound. */
	{
		char text[150], *line;
		size_t n;
		int i;

		memset(text, 'e', sizeof(text) - 1);
		text[sizeof(text) - 1] = '\0';
		line = xmd_ctl_event_line(1, "info", text, &n);
		for (i = 0; i < 20000; i++)
			xmd_ctl_broadcast(&srv, line, n);
		free(line);
		ok(st.ctl_events_dropped > 0,
		   "server: a monitor that does not read loses events (%llu)",
		   (unsigned long long)st.ctl_events_dropped);
	}
	close(b);
	pump();
	is_int(xmd_ctl_monitors(&srv), 0, "server: the monitor is gone");
	reply_bounds(&st);
	fd_exhaustion(&st);
	xmd_ctl_close(&srv);
	ok(access(sock_path, F_OK) != 0, "server: the socket file is removed");
	close(epfd);
	snprintf(big, sizeof(big), "%s/run", dir);
	rmdir(big);
	rmdir(dir);
}

/* ---- group-join, group-leave ---- */

static struct xm_mgroup joined[XM_MGROUP_MAX];
static unsigned int n_joined;
static int sets;

static int fake_mgroups_set(void *arg, const struct xm_mgroup *g,
			    unsigned int n)
{
	(void)arg;
	sets++;
	memcpy(joined, g, n * sizeof(*g));
	n_joined = n;
	return 0;
}

static json_object *ask_groups(const char *req)
{
	struct xmd_view v = view();

	v.mgroups = joined;
	v.n_mgroups = n_joined;
	v.mgroups_set = fake_mgroups_set;
	return ask_view(&v, req);
}

static void refused_groups(const char *req, const char *want)
{
	json_object *r = ask_groups(req);
	const char *e = str(r, "error");
	int before = sets;

	if (!ok(r && strstr(e, want) && last.bad && sets == before,
		"refused, groups unchanged: %s", req))
		printf("#   reply: %s#   want an error with \"%s\"\n",
		       last.text ? last.text : "(none)\n", want);
	json_object_put(r);
}

static void groups(void)
{
	char req[128];
	json_object *r;
	int i;

	r = ask_groups("{\"cmd\":\"group-join\",\"group\":\"239.1.1.1\"}");
	ok(r && !last.bad && n_joined == 1 &&
	   joined[0].flags == XM_MGROUP_RECV, "join: receive by default");
	is_str(str(r, "groups.0.group"), "239.1.1.1", "join: the groups "
	       "after it");
	ok(get(r, "groups.0.receive") &&
	   json_object_get_boolean(get(r, "groups.0.receive")) &&
	   !json_object_get_boolean(get(r, "groups.0.send")),
	   "join: receive true, send false in the reply");
	json_object_put(r);
	r = ask_groups("{\"cmd\":\"group-join\",\"group\":\"ff05::7\","
		       "\"send\":true}");
	ok(r && n_joined == 2 && joined[1].flags == XM_MGROUP_SEND &&
	   len(r, "groups") == 2, "join: IPv6 site scope, send only");
	json_object_put(r);
	r = ask_groups("{\"cmd\":\"group-join\",\"group\":\"239.1.1.1\","
		       "\"send\":true,\"receive\":true}");
	ok(r && n_joined == 2 &&
	   joined[0].flags == (XM_MGROUP_SEND | XM_MGROUP_RECV),
	   "join again: the roles change, no second entry");
	json_object_put(r);
	refused_groups("{\"cmd\":\"group-join\",\"group\":\"224.0.0.5\"}",
		       "is not in 239.0.0.0/8");
	refused_groups("{\"cmd\":\"group-join\",\"group\":\"ff02::1\"}",
		       "scope 3 or wider");
	refused_groups("{\"cmd\":\"group-join\",\"group\":\"10.0.0.1\"}",
		       "is not in");
	refused_groups("{\"cmd\":\"group-join\"}", "\"group\" is missing");
	refused_groups("{\"cmd\":\"group-join\",\"group\":\"239.1.1.2\","
		       "\"send\":1}", "must be true or false");
	refused_groups("{\"cmd\":\"group-leave\",\"group\":\"239.9.9.9\"}",
		       "not in group 239.9.9.9");
	refused_groups("{\"cmd\":\"group-leave\",\"group\":\"239.1.1.1\","
		       "\"send\":true}", "unknown key \"send\"");
	for (i = 0; n_joined < XM_MGROUP_MAX; i++) {
		snprintf(req, sizeof(req), "{\"cmd\":\"group-join\","
			 "\"group\":\"239.2.0.%d\"}", i);
		json_object_put(ask_groups(req));
		if (last.bad)
			break;
	}
	is_int(n_joined, XM_MGROUP_MAX, "join: up to 8 groups");
	refused_groups("{\"cmd\":\"group-join\",\"group\":\"239.3.0.1\"}",
		       "more than 8 groups");
	r = ask_groups("{\"cmd\":\"group-leave\",\"group\":\"239.1.1.1\"}");
	ok(r && !last.bad && n_joined == XM_MGROUP_MAX - 1 &&
	   len(r, "groups") == XM_MGROUP_MAX - 1 &&
	   !strcmp(str(r, "groups.0.group"), "ff05::7"),
	   "leave: the group goes, the others stay in order");
	json_object_put(r);
	refused("{\"cmd\":\"group-join\",\"group\":\"239.1.1.1\"}",
		"cannot be changed");
}

/* ---- filter-reload ---- */

static int reloads, reload_ret;

static int counted_filter_reload(void *arg, unsigned int *rules, char *why,
			      size_t len)
{
	(void)arg;
	reloads++;
	*rules = 4;
	if (reload_ret)
		snprintf(why, len, "line 3: unknown word \"alow\"");
	return reload_ret;
}

static json_object *ask_filter(const char *file, uint64_t policy)
{
	struct xmd_view v = view();

	v.filter_file = file;
	v.filter_policy = policy;
	v.filter_rules = 2;
	v.filter_reload = counted_filter_reload;
	return ask_view(&v, "filter-reload");
}

static void refused_filter(const char *file, uint64_t policy,
			   const char *want)
{
	int before = reloads;
	json_object *r = ask_filter(file, policy);
	const char *e = str(r, "error");

	if (!ok(r && strstr(e, want) && last.bad &&
		reloads == before + !!reload_ret, "filter-reload refused: %s",
		want))
		printf("#   reply: %s", last.text ? last.text : "(none)\n");
	json_object_put(r);
}

static void filter(void)
{
	struct xmd_view v = view();
	json_object *r;

	v.filter_file = "/etc/xmesh/filter.rules";
	v.filter_rules = 2;
	r = ask_view(&v, "status");
	ok(!strcmp(str(r, "filter.file"), "/etc/xmesh/filter.rules") &&
	   num(r, "filter.rules") == 2 && num(r, "filter.policy_version") == 0,
	   "status: the filter's file and rules");
	json_object_put(r);
	r = ask("status");
	ok(!strcmp(str(r, "filter.file"), ""), "status: no filter file");
	json_object_put(r);

	r = ask_filter("/etc/xmesh/filter.rules", 0);
	ok(r && !last.bad && reloads == 1 && num(r, "filter.rules") == 4 &&
	   !strcmp(str(r, "filter.file"), "/etc/xmesh/filter.rules"),
	   "filter-reload: the file installed again, its rules counted");
	json_object_put(r);
	refused_filter("/etc/xmesh/filter.rules", 7,
		       "policy version 7 is in force");
	refused_filter("", 0, "no filter file is configured");
	refused_filter(NULL, 0, "no filter file is configured");
	reload_ret = -1;
	refused_filter("/etc/xmesh/filter.rules", 0,
		       "line 3: unknown word \"alow\"");
	reload_ret = 0;
	refused("filter-reload", "cannot be reloaded here");
	refused("{\"cmd\":\"filter-reload\",\"file\":\"x\"}",
		"unknown key \"file\"");
}

int main(void)
{
	fake_setup();
	filter();
	status();
	nodes();
	neighbors();
	topology();
	path();
	find();
	monitor();
	groups();
	bad_requests();
	random_requests();
	lines();
	server();
	free(last.text);
	return tap_done();
}
