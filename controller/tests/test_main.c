// SPDX-License-Identifier: GPL-2.0
/*
 * The xmesh-controller program's own options (main.c), through the
 * binary: the limits given on the command line are checked, and taken:
 * --connections N connections at once, the next one closed unanswered
 * and counted.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

/* The agent's harness: a directory with the controller's files. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "controller_run.h"
#pragma GCC diagnostic pop

/* What the program says to args (its output and errors, at most len),
 * and its exit status. */
static int run(const char *args, char *out, size_t len)
{
	char cmd[512];
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", CONTROLLER, args);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	n = (size_t)pclose(f);
	return WIFEXITED((int)n) ? WEXITSTATUS((int)n) : -1;
}

static void test_refused(void)
{
	static const struct {
		const char *args, *says;
	} bad[] = {
		{ "--connections 0", "the connections are 1 to 65536" },
		{ "--connections 65537", "the connections are 1 to 65536" },
		{ "--connections 12x", "the connections are 1 to 65536" },
		{ "--remedy-targets 0", "the remediation targets are 1 to" },
		{ "--remedy-targets 1000001",
		  "the remediation targets are 1 to 1000000" },
	};
	char out[4096];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int st = run(bad[i].args, out, sizeof(out));

		ok(st == 2 && strstr(out, bad[i].says), "%s: refused (%d)",
		   bad[i].args, st);
		if (!strstr(out, bad[i].says))
			printf("# said: %.200s\n", out);
	}
	ok(run("--help", out, sizeof(out)) == 0 &&
	   strstr(out, "--connections 2048") &&
	   strstr(out, "--remedy-targets 16384"),
	   "--help: the defaults of --connections and --remedy-targets");
}

/* A connection to the controller: whether it is closed unanswered
 * within ms (else it stays open, in *fd). */
static bool closed_at_once(int *fd, int ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct pollfd p;
	char c;

	sa.sin_port = htons(ctl_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_STREAM, 0);
	if (*fd < 0 || connect(*fd, (struct sockaddr *)&sa, sizeof(sa)))
		return false;
	p = (struct pollfd){ .fd = *fd, .events = POLLIN };
	return poll(&p, 1, ms) == 1 && read(*fd, &c, 1) <= 0;
}

static void test_connections(void)
{
	static const char *const extra[] = {
		"--connections", "3", "--per-address", "0", NULL,
	};
	struct xm_cert authority;
	uint8_t auth_sk[XM_SECKEY_LEN];
	int fd[4], i, open = 0;
	struct resp m = { 0 };

	ctl_setup("/tmp/xmesh-ctl-main.XXXXXX", "read-only", &authority,
		  auth_sk);
	ctl_start_with(0, extra);
	for (i = 0; i < 3; i++)
		open += !closed_at_once(&fd[i], 300);
	ok(open == 3, "--connections 3: three connections kept open (%d)",
	   open);
	ok(closed_at_once(&fd[3], 5000),
	   "--connections 3: a fourth one closed at once, unanswered");
	for (i = 0; i < 4; i++)
		close(fd[i]);
	/* Once it has seen them closed, /metrics counts the one refused. */
	for (i = 0; i < 100; i++) {
		xm_http_body_free(&m.body);
		m = op("GET", "/metrics", NULL);
		if (m.status == 200)
			break;
		usleep(50 * 1000);
	}
	ok(m.status == 200 && m.body.data &&
	   !strstr(m.body.data, "xmesh_controller_connections_refused_total"
		   "{reason=\"total\"} 0\n") &&
	   strstr(m.body.data, "xmesh_controller_connections_refused_total"
		  "{reason=\"total\"} "),
	   "--connections 3: the one refused counted (reason total)");
	xm_http_body_free(&m.body);
	ctl_stop();
	ctl_cleanup();
}

int main(void)
{
	test_refused();
	test_connections();
	printf("1..%d\n", tap_n);
	return tap_done();
}
