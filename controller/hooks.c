// SPDX-License-Identifier: GPL-2.0
/*
 * Remediation hooks (hooks.h): a thread per run, so that a slow hook
 * holds up nothing but itself; a command's output is read while it runs
 * (its first line goes to the log) and it is not waited for beyond its
 * exit: whatever it started in the background may keep the pipe open.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "wire.h"	/* xm_wire_name_valid() */

extern char **environ;

struct xm_hooks {
	struct xm_hook hooks[XM_HOOKS_MAX];
	size_t n;
	unsigned int timeout_s;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned int running;
	uint64_t busy;			/* runs not started: too many */
};

static const char *const kind_names[] = {
	[XM_HOOK_COMMAND] = "command",
	[XM_HOOK_UNIT] = "unit",
	[XM_HOOK_HTTP] = "http",
};

int xm_hook_parse(const char *spec, struct xm_hook *h, char *err,
		  size_t errlen)
{
	char name[64], kind[16];
	int n = 0;
	size_t k;

	memset(h, 0, sizeof(*h));
	if (sscanf(spec, " %63s %15s %n", name, kind, &n) < 2 || !n ||
	    !spec[n]) {
		snprintf(err, errlen, "expected NAME command|unit|http ARG");
		return -1;
	}
	if (!xm_wire_name_valid(name, false)) {
		snprintf(err, errlen, "\"%s\": a name is 1 to 31 printable"
			 " characters without blanks", name);
		return -1;
	}
	for (k = 0; k < 3 && strcmp(kind, kind_names[k]); k++)
		;
	if (k == 3) {
		snprintf(err, errlen, "\"%s\": the kind is command, unit or"
			 " http", kind);
		return -1;
	}
	if (strlen(spec + n) >= sizeof(h->arg)) {
		snprintf(err, errlen, "the argument is longer than %d bytes",
			 XM_HOOK_ARG_MAX - 1);
		return -1;
	}
	strcpy(h->name, name);
	h->kind = k;
	strcpy(h->arg, spec + n);
	/* Trailing blanks (a configuration line's) are not the command's. */
	for (k = strlen(h->arg); k && (h->arg[k - 1] == ' ' ||
				       h->arg[k - 1] == '\t' ||
				       h->arg[k - 1] == '\n' ||
				       h->arg[k - 1] == '\r'); k--)
		h->arg[k - 1] = '\0';
	if (h->kind == XM_HOOK_HTTP && strncmp(h->arg, "http://", 7) &&
	    strncmp(h->arg, "https://", 8)) {
		snprintf(err, errlen, "an http hook's URL is http:// or"
			 " https://");
		return -1;
	}
	if (h->kind == XM_HOOK_UNIT && strpbrk(h->arg, " \t")) {
		snprintf(err, errlen, "a unit is one word");
		return -1;
	}
	return 0;
}

struct xm_hooks *xm_hooks_new(unsigned int timeout_s)
{
	struct xm_hooks *hs = calloc(1, sizeof(*hs));

	if (!hs)
		return NULL;
	hs->timeout_s = timeout_s ? timeout_s : XM_HOOK_TIMEOUT_S;
	pthread_mutex_init(&hs->lock, NULL);
	pthread_cond_init(&hs->idle, NULL);
	return hs;
}

int xm_hooks_add(struct xm_hooks *hs, const struct xm_hook *h, char *err,
		 size_t errlen)
{
	if (xm_hooks_find(hs, h->name)) {
		snprintf(err, errlen, "hook \"%s\" is defined twice", h->name);
		return -1;
	}
	if (hs->n == XM_HOOKS_MAX) {
		snprintf(err, errlen, "more than %d hooks", XM_HOOKS_MAX);
		return -1;
	}
	hs->hooks[hs->n++] = *h;
	return 0;
}

const struct xm_hook *xm_hooks_find(const struct xm_hooks *hs,
				    const char *name)
{
	size_t i;

	for (i = 0; hs && i < hs->n; i++)
		if (!strcmp(hs->hooks[i].name, name))
			return &hs->hooks[i];
	return NULL;
}

size_t xm_hooks_count(const struct xm_hooks *hs)
{
	return hs->n;
}

int xm_hooks_load(struct xm_hooks *hs, const char *path, char *err,
		  size_t errlen)
{
	FILE *f = fopen(path, "re");
	char line[1024], why[256];
	unsigned int no = 0;
	int rc = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		char *p = line, *hash;
		struct xm_hook h;
		unsigned long t;
		char *end;

		no++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(why, sizeof(why), "longer than %zu bytes",
				 sizeof(line) - 2);
			rc = -1;
			break;
		}
		/* A comment starts a line: '#' may be in a command. */
		p += strspn(p, " \t");
		hash = *p == '#' ? p : NULL;
		if (hash || !*p || *p == '\n')
			continue;
		if (!strncmp(p, "hook-timeout", 12) &&
		    strchr(" \t", p[12])) {
			errno = 0;
			t = strtoul(p + 12, &end, 10);
			end += strspn(end, " \t\r\n");
			if (errno || *end || !t || t > 3600) {
				snprintf(why, sizeof(why), "hook-timeout is"
					 " 1 to 3600 seconds");
				rc = -1;
			} else {
				hs->timeout_s = (unsigned int)t;
			}
		} else if (!strncmp(p, "hook", 4) && strchr(" \t", p[4])) {
			rc = xm_hook_parse(p + 4, &h, why, sizeof(why));
			if (!rc)
				rc = xm_hooks_add(hs, &h, why, sizeof(why));
		} else {
			snprintf(why, sizeof(why), "unknown: expected hook or"
				 " hook-timeout");
			rc = -1;
		}
	}
	fclose(f);
	if (rc)
		snprintf(err, errlen, "%s:%u: %s", path, no, why);
	return rc;
}

/* ---- expansion ---- */

static int put(char *out, size_t outlen, size_t *o, const char *s, bool url)
{
	for (; *s; s++) {
		bool plain = !url || strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					    "abcdefghijklmnopqrstuvwxyz"
					    "0123456789-._~", *s);

		if (*o + (plain ? 1 : 3) >= outlen)
			return -1;
		if (plain)
			out[(*o)++] = *s;
		else
			*o += (size_t)snprintf(out + *o, outlen - *o, "%%%02X",
					       (unsigned char)*s);
	}
	return 0;
}

int xm_hook_expand(const char *s, const struct xm_hook_call *call, bool url,
		   char *out, size_t outlen)
{
	char node[12], peer[12];
	size_t o = 0;

	snprintf(node, sizeof(node), "%u", call->node);
	snprintf(peer, sizeof(peer), "%u", call->peer);
	while (*s) {
		const char *v = NULL;
		size_t skip = 0;

		if (!strncmp(s, "{node}", 6))
			v = node, skip = 6;
		else if (!strncmp(s, "{name}", 6))
			v = call->name, skip = 6;
		else if (!strncmp(s, "{peer}", 6))
			v = peer, skip = 6;
		else if (!strncmp(s, "{rule}", 6))
			v = call->rule, skip = 6;
		else if (!strncmp(s, "{site}", 6))
			v = call->site, skip = 6;
		if (v) {
			if (put(out, outlen, &o, v, url))
				return -1;
			s += skip;
			continue;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = *s++;
	}
	out[o] = '\0';
	return 0;
}

/* ---- runs ---- */

struct run {
	struct xm_hooks *hs;
	struct xm_hook hook;
	struct xm_hook_call call;
	unsigned int timeout_s;
	xm_hook_done_fn done;
	void *arg;
};

static int64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The environment of a command: ours and the call's. NULL or calloc'd
 * (the call's strings in vars). */
static char **command_env(const struct xm_hook_call *c,
			  char vars[7][XM_NAME_MAX + 300])
{
	size_t n = 0, i;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 8, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++)
		env[i] = environ[i];
	snprintf(vars[0], sizeof(vars[0]), "XMESH_NODE_ID=%u", c->node);
	snprintf(vars[1], sizeof(vars[1]), "XMESH_NODE_NAME=%s", c->name);
	snprintf(vars[2], sizeof(vars[2]), "XMESH_PEER_ID=%u", c->peer);
	snprintf(vars[3], sizeof(vars[3]), "XMESH_RULE=%s", c->rule);
	snprintf(vars[4], sizeof(vars[4]), "XMESH_EVENT=%s", c->event);
	snprintf(vars[5], sizeof(vars[5]), "XMESH_LOG_ID=%lld",
		 (long long)c->log_id);
	snprintf(vars[6], sizeof(vars[6]), "XMESH_SITE=%s", c->site);
	for (i = 0; i < 7; i++)
		env[n + i] = vars[i];
	return env;
}

/* Run argv (a program looked up in PATH) for at most timeout_s: ok if
 * it exits 0; outcome says how it ended and its first line of output. */
static bool run_program(char *const argv[], const struct xm_hook_call *c,
			unsigned int timeout_s, char *outcome, size_t len)
{
	char vars[7][XM_NAME_MAX + 300], out[XM_HOOK_OUTCOME_MAX] = "";
	int64_t deadline = mono_ms() + (int64_t)timeout_s * 1000;
	size_t got = 0;
	int pfd[2], null_fd, status = 0;
	bool exited = false, killed = false;
	char **env = command_env(c, vars);
	pid_t pid;

	if (!env) {
		snprintf(outcome, len, "failed: out of memory");
		return false;
	}
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0 || pipe2(pfd, O_CLOEXEC)) {
		snprintf(outcome, len, "failed: %s", strerror(errno));
		if (null_fd >= 0)
			close(null_fd);
		free(env);
		return false;
	}
	pid = fork();
	if (pid == 0) {
		/* Its own group, so that a timeout kills what it started. */
		setpgid(0, 0);
		dup2(null_fd, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execvpe(argv[0], argv, env);
		_exit(127);
	}
	close(pfd[1]);
	close(null_fd);
	free(env);
	if (pid < 0) {
		close(pfd[0]);
		snprintf(outcome, len, "failed: %s", strerror(errno));
		return false;
	}
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	while (!exited) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		char buf[512];
		ssize_t n;

		if (mono_ms() >= deadline) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			killed = true;
			break;
		}
		if (poll(&p, 1, 100) > 0) {
			while ((n = read(pfd[0], buf, sizeof(buf))) > 0) {
				size_t k = (size_t)n;

				if (k > sizeof(out) - 1 - got)
					k = sizeof(out) - 1 - got;
				memcpy(out + got, buf, k);
				got += k;
			}
			if (n == 0) {
				/* Closed: no more polling for it. */
				close(pfd[0]);
				pfd[0] = -1;
			}
		}
		/* With the pipe closed, poll() just waits its 100 ms. */
		if (waitpid(pid, &status, WNOHANG) == pid)
			exited = true;
	}
	if (pfd[0] >= 0)
		close(pfd[0]);
	out[got] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	if (killed)
		snprintf(outcome, len, "failed: killed after %u s", timeout_s);
	else if (WIFEXITED(status))
		snprintf(outcome, len, "%s: exit %d%s%s",
			 WEXITSTATUS(status) ? "failed" : "ok",
			 WEXITSTATUS(status), *out ? ": " : "", out);
	else
		snprintf(outcome, len, "failed: signal %d",
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return !killed && WIFEXITED(status) && !WEXITSTATUS(status);
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* POST the call as JSON to url: ok on a 2xx. */
static bool run_http(const char *url, const struct xm_hook_call *c,
		     unsigned int timeout_s, char *outcome, size_t len)
{
	json_object *j = json_object_new_object();
	struct curl_slist *hdrs = NULL;
	CURL *e = curl_easy_init();
	long status = 0;
	CURLcode rc;

	json_object_object_add(j, "event", json_object_new_string(c->event));
	json_object_object_add(j, "rule", json_object_new_string(c->rule));
	json_object_object_add(j, "node", json_object_new_int64(c->node));
	json_object_object_add(j, "name", json_object_new_string(c->name));
	json_object_object_add(j, "peer", json_object_new_int64(c->peer));
	json_object_object_add(j, "log_id", json_object_new_int64(c->log_id));
	json_object_object_add(j, "detail", json_object_new_string(c->detail));
	json_object_object_add(j, "site", json_object_new_string(c->site));
	if (!e) {
		json_object_put(j);
		snprintf(outcome, len, "failed: out of memory");
		return false;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS,
			 json_object_to_json_string_ext(j,
				JSON_C_TO_STRING_PLAIN));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)timeout_s);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl_easy_perform(e);
	if (rc == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(e);
	curl_slist_free_all(hdrs);
	json_object_put(j);
	if (rc != CURLE_OK) {
		snprintf(outcome, len, "failed: %s", curl_easy_strerror(rc));
		return false;
	}
	snprintf(outcome, len, "%s: HTTP %ld",
		 status >= 200 && status < 300 ? "ok" : "failed", status);
	return status >= 200 && status < 300;
}

/* A run counted in xm_hook_run() is over (or never started): the last
 * one wakes xm_hooks_wait(), whichever way it ended. */
static void run_end(struct xm_hooks *hs)
{
	pthread_mutex_lock(&hs->lock);
	if (!--hs->running)
		pthread_cond_broadcast(&hs->idle);
	pthread_mutex_unlock(&hs->lock);
}

static void *run_thread(void *arg)
{
	struct run *r = arg;
	char outcome[XM_HOOK_OUTCOME_MAX + 64], expanded[XM_HOOK_ARG_MAX * 3];
	struct xm_hooks *hs = r->hs;
	bool ok = false;

	switch (r->hook.kind) {
	case XM_HOOK_COMMAND: {
		char *argv[] = { "/bin/sh", "-c", r->hook.arg, NULL };

		ok = run_program(argv, &r->call, r->timeout_s, outcome,
				 sizeof(outcome));
		break;
	}
	case XM_HOOK_UNIT:
		if (xm_hook_expand(r->hook.arg, &r->call, false, expanded,
				   sizeof(expanded))) {
			snprintf(outcome, sizeof(outcome), "failed: the unit"
				 " name is too long");
		} else {
			char *argv[] = { "systemctl", "restart", "--",
					 expanded, NULL };

			ok = run_program(argv, &r->call, r->timeout_s,
					 outcome, sizeof(outcome));
		}
		break;
	case XM_HOOK_HTTP:
		if (xm_hook_expand(r->hook.arg, &r->call, true, expanded,
				   sizeof(expanded)))
			snprintf(outcome, sizeof(outcome), "failed: the URL"
				 " is too long");
		else
			ok = run_http(expanded, &r->call, r->timeout_s,
				      outcome, sizeof(outcome));
		break;
	}
	r->done(r->arg, &r->call, ok, outcome);
	free(r);
	run_end(hs);
	return NULL;
}

int xm_hook_run(struct xm_hooks *hs, const struct xm_hook *h,
		const struct xm_hook_call *call, xm_hook_done_fn done,
		void *arg)
{
	struct run *r;
	pthread_attr_t a;
	pthread_t t;
	int rc;

	pthread_mutex_lock(&hs->lock);
	if (hs->running >= XM_HOOKS_RUNNING) {
		hs->busy++;
		pthread_mutex_unlock(&hs->lock);
		return XM_HOOK_BUSY;
	}
	hs->running++;
	pthread_mutex_unlock(&hs->lock);
	r = calloc(1, sizeof(*r));
	if (!r) {
		run_end(hs);
		return -1;
	}
	r->hs = hs;
	r->hook = *h;
	r->call = *call;
	r->timeout_s = hs->timeout_s;
	r->done = done;
	r->arg = arg;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &a, run_thread, r);
	pthread_attr_destroy(&a);
	if (rc) {
		free(r);
		run_end(hs);
		return -1;
	}
	return 0;
}

uint64_t xm_hooks_busy(struct xm_hooks *hs)
{
	uint64_t n;

	pthread_mutex_lock(&hs->lock);
	n = hs->busy;
	pthread_mutex_unlock(&hs->lock);
	return n;
}

void xm_hooks_wait(struct xm_hooks *hs)
{
	pthread_mutex_lock(&hs->lock);
	while (hs->running)
		pthread_cond_wait(&hs->idle, &hs->lock);
	pthread_mutex_unlock(&hs->lock);
}

void xm_hooks_free(struct xm_hooks *hs)
{
	if (!hs)
		return;
	xm_hooks_wait(hs);
	pthread_cond_destroy(&hs->idle);
	pthread_mutex_destroy(&hs->lock);
	free(hs);
}
