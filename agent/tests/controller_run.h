/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The real controller binary on a loopback port, for the agent's tests
 * against it (test_policy_sync.c, test_telemetry.c): its directory, keys,
 * certificates and API token, starting and stopping it, asking its API.
 */
#ifndef XMD_TEST_CONTROLLER_RUN_H
#define XMD_TEST_CONTROLLER_RUN_H

#include <curl/curl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "../core/cert.h"
#include "xmesh_file.h"
#include "xmesh_http.h"

#ifndef CONTROLLER
#define CONTROLLER "../controller/xmesh-controller"
#endif

static char dir[64];
static char db[128], auth_path[128], pcert_path[128], pkey_path[128];
static char token[80], base[64];
static char ctl_ca[160];		/* op()'s CA file for https; "": none */
static pid_t ctl_pid;
static unsigned int ctl_port;

/* A certificate of site edge1, valid for a day, signed by @by (NULL: its
 * own key @sk); @zone NULL: none. */
static void cert_make(struct xm_cert *c, enum xm_cert_kind kind,
		      uint64_t serial, uint32_t node_id, const char *zone,
		      uint8_t *sk, const uint8_t *by)
{
	int64_t now = time(NULL);

	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->serial = serial;
	strcpy(c->site, "edge1");
	crypto_sign_keypair(c->pubkey, sk);
	c->node_id = node_id;
	if (zone)
		snprintf(c->zone, sizeof(c->zone), "%s", zone);
	c->not_before = (uint64_t)now - 3600;
	c->not_after = (uint64_t)now + 86400;
	if (xm_cert_sign(c, by ? by : sk))
		exit(1);
}

static void cert_write(const struct xm_cert *c, const char *path)
{
	char text[XM_CERT_TEXT_MAX];
	size_t n = xm_cert_text(c, text, sizeof(text));

	if (!n || xm_file_write(path, text, n, 0644, true))
		exit(1);
}

/*
 * A new directory from @tmpl ("/tmp/NAME.XXXXXX") with the controller's
 * files: its database, the authority (*authority, its key in auth_sk) and
 * policy certificates, the policy key; an API token of @role in token.
 */
static void ctl_setup(const char *tmpl, const char *role,
		      struct xm_cert *authority, uint8_t *auth_sk)
{
	uint8_t policy_sk[XM_SECKEY_LEN];
	struct xm_cert pc;
	char cmd[512];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", tmpl);
	if (!mkdtemp(dir) || sodium_init() < 0)
		exit(1);
	snprintf(db, sizeof(db), "%s/controller.db", dir);
	snprintf(auth_path, sizeof(auth_path), "%s/authority.cert", dir);
	snprintf(pcert_path, sizeof(pcert_path), "%s/policy.cert", dir);
	snprintf(pkey_path, sizeof(pkey_path), "%s/policy.key", dir);
	cert_make(authority, XM_CERT_AUTHORITY, 1, 0, NULL, auth_sk, NULL);
	cert_make(&pc, XM_CERT_POLICY, 2, 0, NULL, policy_sk, auth_sk);
	cert_write(authority, auth_path);
	cert_write(&pc, pcert_path);
	if (xm_file_write(pkey_path, policy_sk, sizeof(policy_sk), 0600, true))
		exit(1);
	snprintf(cmd, sizeof(cmd), "%s --db %s token add %s test",
		 CONTROLLER, db, role);
	f = popen(cmd, "r");
	if (!f || !fgets(token, sizeof(token), f) || pclose(f)) {
		printf("Bail out! %s: no token (is the controller built?)\n",
		       CONTROLLER);
		exit(1);
	}
	token[strcspn(token, "\n")] = '\0';
}

/* Remove the directory of ctl_setup(). */
static void ctl_cleanup(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
}

/* The controller on @port (0: any; the one it took is read from its
 * "listening on" line into ctl_port), with the extra arguments given
 * (NULL-terminated; NULL: none). What it says before is passed on as
 * TAP comments. */
static void ctl_start_with(unsigned int port, const char *const *extra)
{
	char p[16], line[256];
	const char *argv[32] = {
		CONTROLLER, "--db", db, "--authority", auth_path,
		"--policy-key", pkey_path, "--policy-cert", pcert_path,
		"--port", p,
	};
	int fds[2], n = 11;
	FILE *f;

	snprintf(p, sizeof(p), "%u", port);
	while (extra && *extra && n < 31)
		argv[n++] = *extra++;
	ctl_port = 0;
	if (pipe(fds))
		exit(1);
	ctl_pid = fork();
	if (ctl_pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		execv(CONTROLLER, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	while (f && !ctl_port && fgets(line, sizeof(line), f)) {
		char *at = strstr(line, "listening on 127.0.0.1:");

		if (at)
			ctl_port = (unsigned int)atoi(at + 23);
		else
			printf("# %s", line);
	}
	/* Its later lines go nowhere: the pipe stays open, unread. */
	if (!ctl_port) {
		printf("Bail out! the controller did not start\n");
		exit(1);
	}
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", ctl_port);
}

static void ctl_start(unsigned int port)
{
	ctl_start_with(port, NULL);
}

static void ctl_stop(void)
{
	int st;

	kill(ctl_pid, SIGTERM);
	waitpid(ctl_pid, &st, 0);
}

/* An answer of the API: status -1 if none. */
struct resp {
	long status;
	struct xm_http_body body;
};

/* @method @path with the token, and @body if not NULL. */
static struct resp op(const char *method, const char *path, const char *body)
{
	struct resp r = { 0 };
	struct curl_slist *h = NULL;
	char url[256], auth[128];
	CURL *c = curl_easy_init();

	snprintf(url, sizeof(url), "%s%s", base, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, xm_http_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if (ctl_ca[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, ctl_ca);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(c) != CURLE_OK)
		r.status = -1;
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return r;
}

#endif
