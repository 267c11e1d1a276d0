// SPDX-License-Identifier: GPL-2.0
/*
 * Remediation hooks (hooks.h): the configuration's syntax, the
 * expansion of {node} and the others, and real runs: a command's
 * environment and exit status, a timeout that kills, a command that
 * leaves a child behind, an HTTP hook that cannot connect.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "tap.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int finished;
static bool last_ok;
static char last_outcome[512];

static void done(void *arg, const struct xm_hook_call *call, bool ok,
		 const char *outcome)
{
	(void)arg;
	(void)call;
	pthread_mutex_lock(&lock);
	finished++;
	last_ok = ok;
	snprintf(last_outcome, sizeof(last_outcome), "%s", outcome);
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

/* Run h and wait for its end (at most 60 s): the seconds it took. */
static double run(struct xm_hooks *hs, const char *spec,
		  const struct xm_hook_call *call)
{
	struct timespec t0, t1, dl;
	char err[256];
	struct xm_hook h;
	int want;

	if (xm_hook_parse(spec, &h, err, sizeof(err))) {
		printf("# %s: %s\n", spec, err);
		return -1;
	}
	pthread_mutex_lock(&lock);
	want = finished + 1;
	pthread_mutex_unlock(&lock);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (xm_hook_run(hs, &h, call, done, NULL))
		return -1;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 60;
	pthread_mutex_lock(&lock);
	while (finished < want &&
	       !pthread_cond_timedwait(&cond, &lock, &dl))
		;
	pthread_mutex_unlock(&lock);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0.tv_sec) +
	       (t1.tv_nsec - t0.tv_nsec) / 1e9;
}

int main(void)
{
	struct xm_hook_call call = {
		.event = "hook", .rule = "restart", .node = 7, .peer = 0,
		.name = "r 1/x", .log_id = 42, .site = "edge2",
	};
	char path[] = "/tmp/xmesh-hooks.XXXXXX", err[256], out[256];
	const struct xm_hook *found;
	struct xm_hooks *hs, *slow;
	struct xm_hook h;
	double took;
	FILE *f;
	int fd;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	ok(!xm_hook_parse("restart command systemctl restart xmeshd ", &h,
			  err, sizeof(err)) && h.kind == XM_HOOK_COMMAND &&
	   !strcmp(h.name, "restart") &&
	   !strcmp(h.arg, "systemctl restart xmeshd"),
	   "a command hook, its argument the rest of the line");
	ok(!xm_hook_parse("u unit xmeshd@{name}.service", &h, err,
			  sizeof(err)) && h.kind == XM_HOOK_UNIT,
	   "a unit hook");
	ok(!xm_hook_parse("w http https://ops/x?n={node}", &h, err,
			  sizeof(err)) && h.kind == XM_HOOK_HTTP,
	   "an http hook");
	ok(xm_hook_parse("restart", &h, err, sizeof(err)) &&
	   xm_hook_parse("restart command", &h, err, sizeof(err)) &&
	   xm_hook_parse("restart shell ls", &h, err, sizeof(err)) &&
	   xm_hook_parse("w http ftp://x", &h, err, sizeof(err)) &&
	   xm_hook_parse("u unit a b", &h, err, sizeof(err)) &&
	   xm_hook_parse("0123456789012345678901234567890123 command ls", &h,
			 err, sizeof(err)),
	   "refused: no kind, no argument, an unknown kind, a URL not"
	   " http, a unit of two words, a name too long");

	ok(!xm_hook_expand("/n/{node}/{name}/{peer}/{rule}/{site}", &call,
			   true, out, sizeof(out)) &&
	   !strcmp(out, "/n/7/r%201%2Fx/0/restart/edge2"),
	   "expanded for a URL: escaped (%s)", out);
	ok(!xm_hook_expand("xmeshd@{name}.service", &call, false, out,
			   sizeof(out)) && !strcmp(out, "xmeshd@r 1/x.service"),
	   "expanded for a unit: as it is");
	ok(xm_hook_expand("{name}{name}{name}", &call, true, out, 10),
	   "too long for the buffer: refused");

	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fprintf(f, "# hooks\n\nhook-timeout 1\n"
		"hook restart command echo node $XMESH_NODE_ID $XMESH_EVENT"
		" # not a comment\n  hook notify http http://127.0.0.1:1/n\n");
	fclose(f);
	hs = xm_hooks_new(0);
	ok(!xm_hooks_load(hs, path, err, sizeof(err)) &&
	   xm_hooks_count(hs) == 2, "a configuration file: 2 hooks (%s)",
	   err);
	found = xm_hooks_find(hs, "restart");
	ok(found && !strcmp(found->arg, "echo node $XMESH_NODE_ID"
			    " $XMESH_EVENT # not a comment"),
	   "a '#' inside a line is the command's");
	ok(!xm_hooks_find(hs, "nothing"), "an unknown hook: none");
	f = fopen(path, "w");
	fprintf(f, "hook a command ls\nhook a command ls\n");
	fclose(f);
	ok(xm_hooks_load(hs, path, err, sizeof(err)) &&
	   strstr(err, ":1: hook \"a\" is defined twice") == NULL &&
	   strstr(err, "defined twice"), "a hook defined twice: refused"
	   " (%s)", err);
	f = fopen(path, "w");
	fprintf(f, "hook-timeout 0\n");
	fclose(f);
	ok(xm_hooks_load(hs, path, err, sizeof(err)) &&
	   strstr(err, ":1: hook-timeout"), "a bad timeout: refused (%s)",
	   err);
	f = fopen(path, "w");
	fprintf(f, "hooks a command ls\n");
	fclose(f);
	ok(xm_hooks_load(hs, path, err, sizeof(err)) && strstr(err, ":1:"),
	   "an unknown line: refused with its number (%s)", err);
	unlink(path);

	/*
	 * The commands that must finish by themselves get a timeout no
	 * loaded machine reaches; hs's 1 s is for the one that must not.
	 */
	slow = xm_hooks_new(60);
	run(slow, "r command echo node $XMESH_NODE_ID $XMESH_NODE_NAME"
	    " $XMESH_RULE $XMESH_LOG_ID $XMESH_SITE", &call);
	ok(last_ok && !strcmp(last_outcome, "ok: exit 0: node 7 r 1/x"
			      " restart 42 edge2"),
	   "a command gets the node in its environment (%s)", last_outcome);
	run(slow, "r command echo bad >&2; exit 3", &call);
	ok(!last_ok && !strcmp(last_outcome, "failed: exit 3: bad"),
	   "a command that fails: its status and output (%s)", last_outcome);
	took = run(hs, "r command sleep 30", &call);
	ok(!last_ok && !strcmp(last_outcome, "failed: killed after 1 s") &&
	   took < 20, "a command past the timeout is killed (%.1f s)", took);
	took = run(slow, "r command sleep 10 & echo started", &call);
	ok(last_ok && !strcmp(last_outcome, "ok: exit 0: started") &&
	   took < 8,
	   "a command that leaves a child with its output: done at its exit"
	   " (%.1f s)", took);
	run(slow, "r command /nonexistent/program", &call);
	ok(!last_ok && strstr(last_outcome, "failed: exit 127"),
	   "a command not found (%s)", last_outcome);
	run(hs, "w http http://127.0.0.1:1/x", &call);
	ok(!last_ok && !strncmp(last_outcome, "failed: ", 8),
	   "an http hook that cannot connect (%s)", last_outcome);
	{
		/* At most XM_HOOKS_RUNNING at once: the rest not started,
		 * counted. */
		int started = 0, busy = 0, i, want;

		xm_hook_parse("r command sleep 2", &h, err, sizeof(err));
		/* The runs above have called back, but a thread may still
		 * hold its slot for a moment: all free first. */
		xm_hooks_wait(slow);
		pthread_mutex_lock(&lock);
		want = finished;
		pthread_mutex_unlock(&lock);
		for (i = 0; i < XM_HOOKS_RUNNING + 3; i++) {
			int rc = xm_hook_run(slow, &h, &call, done, NULL);

			started += rc == 0;
			busy += rc == XM_HOOK_BUSY;
		}
		ok(started == XM_HOOKS_RUNNING && busy == 3 &&
		   xm_hooks_busy(slow) == 3,
		   "%d runs at once: %d started, %d busy (counted: %llu)",
		   XM_HOOKS_RUNNING + 3, started, busy,
		   (unsigned long long)xm_hooks_busy(slow));
		xm_hooks_wait(slow);
		pthread_mutex_lock(&lock);
		want = finished - want;
		pthread_mutex_unlock(&lock);
		is_int(want, XM_HOOKS_RUNNING, "the ones started end, each");
		ok(xm_hook_run(slow, &h, &call, done, NULL) == 0,
		   "and then another starts");
	}
	xm_hooks_free(slow);
	xm_hooks_free(hs);
	curl_global_cleanup();
	printf("1..%d\n", tap_n);
	return tap_done();
}
