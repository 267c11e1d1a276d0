// SPDX-License-Identifier: GPL-2.0
/*
 * xmeshd's policy distribution (daemon/policy_sync.c) against the real
 * controller binary on a loopback port: a new version reaches the agent's
 * core settings and is reported; a forged signature and an older version
 * are refused and counted; with the controller down the cache is
 * re-verified and used, the agent counts its failed fetches and catches
 * up when the controller returns (having lost nothing); an altered cache
 * is refused at a start.
 */
#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../daemon/config.h"
#include "../daemon/controller_client.h"
#include "../daemon/policy_sync.h"
#include <linux/xmesh.h>	/* enum xmesh_security */
#include "controller_run.h"
#include "xmesh_file.h"
#include "xmesh_http.h"

#define EXAMPLE		"../controller/examples/site-policy.json"
#define DEADLINE_MS	30000

static char cache[128];
static struct xm_cert authority, node;
static uint8_t node_sk[XM_SECKEY_LEN];

/* ---- set-up: keys, certificates, the controller ---- */

static void setup(void)
{
	uint8_t auth_sk[XM_SECKEY_LEN];

	ctl_setup("/tmp/xmesh-psync.XXXXXX", "operator", &authority, auth_sk);
	snprintf(cache, sizeof(cache), "%s/%s", dir, XMD_POLICY_CACHE_FILE);
	cert_make(&node, XM_CERT_NODE, 3, 7, "web", node_sk, auth_sk);
}

/* ---- the operator's side ---- */

/* The example policy with max_hops hops: the version it became. */
/* The example policy with max hops hops, and extra members after them. */
static int64_t put_policy(int hops, const char *extra)
{
	static char *doc;
	char *text, *at;
	size_t len;
	struct resp r;
	json_object *j, *v;
	int64_t version = -1;

	if (!doc) {
		FILE *f = fopen(EXAMPLE, "rb");

		doc = calloc(1, 65536);
		if (!f || !doc || !fread(doc, 1, 65535, f))
			exit(1);
		fclose(f);
	}
	at = strstr(doc, "\"max_hops\": 6");
	if (!at)
		exit(1);
	len = strlen(doc) + strlen(extra) + 8;
	text = malloc(len);
	snprintf(text, len, "%.*s\"max_hops\": %d%s%s", (int)(at - doc), doc,
		 hops, extra, at + strlen("\"max_hops\": 6"));
	r = op("PUT", "/api/v1/policy", text);
	j = r.body.data ? json_tokener_parse(r.body.data) : NULL;
	if (r.status == 200 && j && json_object_object_get_ex(j, "version", &v))
		version = json_object_get_int64(v);
	else
		printf("# PUT: %ld %s\n", r.status, r.body.data ? r.body.data : "");
	json_object_put(j);
	xm_http_body_free(&r.body);
	free(text);
	return version;
}

/* GET /api/v1/policy?version=N as the agent would get it. */
static struct resp answer_of(uint64_t version)
{
	char path[64];

	snprintf(path, sizeof(path), "/api/v1/policy?version=%llu",
		 (unsigned long long)version);
	return op("GET", path, NULL);
}

/* The version the controller shows for node 7, -1 if none. */
static int64_t agent_version(void)
{
	struct resp r = op("GET", "/api/v1/agents", NULL);
	json_object *j = r.body.data ? json_tokener_parse(r.body.data) : NULL, *a, *v;
	int64_t version = -1;
	size_t i;

	if (j && json_object_object_get_ex(j, "agents", &a))
		for (i = 0; i < json_object_array_length(a); i++) {
			json_object *e = json_object_array_get_idx(a, i), *n;

			if (json_object_object_get_ex(e, "node", &n) &&
			    json_object_get_int64(n) == 7 &&
			    json_object_object_get_ex(e, "policy_version", &v))
				version = json_object_get_int64(v);
		}
	json_object_put(j);
	xm_http_body_free(&r.body);
	return version;
}

/* ---- the agent's side ---- */

static struct xmd_policy_sync *sync_new(void)
{
	struct xmd_policy_sync_conf c = {
		.url = base, .cache_path = cache, .authority = &authority,
		.cert = &node, .sk = node_sk, .wait_s = 5,
		.backoff_ms = 50, .backoff_max_ms = 400,
	};
	char err[256];
	struct xmd_policy_sync *s = xmd_policy_sync_new(&c, err, sizeof(err));

	if (!s) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	return s;
}

/* Wait for the thread to hand over a version: true and *u. */
static bool wait_version(struct xmd_policy_sync *s,
			 struct xm_policy_update *u)
{
	struct pollfd p = { .fd = xmd_policy_sync_fd(s), .events = POLLIN };
	int waited;

	for (waited = 0; waited < DEADLINE_MS; waited += 100) {
		if (xmd_policy_sync_take(s, u))
			return true;
		poll(&p, 1, 100);
	}
	return false;
}

/* Wait until cond holds of the counters. */
#define WAIT_COUNTERS(s, c, cond)					\
	({								\
		int w_;							\
		bool ok_ = false;					\
		for (w_ = 0; w_ < DEADLINE_MS && !ok_; w_ += 50) {	\
			xmd_policy_sync_counters(s, &(c));		\
			ok_ = (cond);					\
			if (!ok_)					\
				usleep(50000);				\
		}							\
		ok_;							\
	})

/* What the core would be given under u's policy. */
static unsigned int hops_of(const struct xm_policy_update *u,
			    struct xm_timers *t)
{
	struct xm_policy conf_path = { .max_hops = 0 }, path;
	struct xm_timers conf_timers;

	xm_timers_default(&conf_timers);
	conf_timers.hello_ms = 5000;	/* the example policy says 1 s */
	xmd_policy_settings(u->policy, &conf_path, &conf_timers, &path, t);
	return path.max_hops;
}

static void test_new_version(void)
{
	struct xmd_policy_counters c;
	struct xm_policy_update u = { 0 };
	struct xmd_policy_sync *s = sync_new();
	struct xm_policy_error err;
	struct xm_timers t;
	struct resp r;
	char *buf;
	ssize_t n;

	is_int(xmd_policy_sync_load_cache(s, (uint64_t)time(NULL), &u, &err),
	       -ENOENT, "no cache at first");
	is_int(put_policy(6, ""), 1, "the operator puts version 1 (max hops 6)");
	ok(!xmd_policy_sync_start(s), "the thread starts");
	ok(wait_version(s, &u) && u.version == 1,
	   "version 1 reaches the agent");
	is_int(hops_of(&u, &t), 6, "its max hops go to the core's path policy");
	is_int(t.hello_ms, 1000, "its hello interval over the configuration's");
	is_int(xmd_policy_security(u.policy, XMESH_SECURITY_AUTH),
	       XMESH_SECURITY_AUTH, "no security in it: the node's own stays");
	xm_policy_update_free(&u);
	xmd_policy_sync_applied(s, 1);
	ok(WAIT_COUNTERS(s, c, c.reports >= 1), "the applied version is reported");
	is_int(agent_version(), 1, "the controller shows the agent at version 1");

	is_int(put_policy(4, ", \"security\": \"auth\""), 2,
	       "the operator puts version 2 (max hops 4, security auth)");
	ok(wait_version(s, &u) && u.version == 2,
	   "version 2 reaches the waiting agent");
	is_int(hops_of(&u, &t), 4, "max hops 4 in the core's settings");
	is_int(xmd_policy_security(u.policy, XMESH_SECURITY_ENCRYPT),
	       XMESH_SECURITY_AUTH, "its security auth wins over the node's encrypt");
	xm_policy_update_free(&u);
	xmd_policy_sync_applied(s, 2);
	ok(WAIT_COUNTERS(s, c, c.reports >= 2), "version 2 is reported");
	is_int(agent_version(), 2, "the controller shows the agent at version 2");

	/* The cache is the answer, byte for byte. */
	r = answer_of(2);
	buf = malloc(XM_POLICY_ANSWER_MAX);
	n = xm_file_read(cache, buf, XM_POLICY_ANSWER_MAX, true, NULL);
	ok(r.status == 200 && n == (ssize_t)r.body.len &&
	   !memcmp(buf, r.body.data, r.body.len),
	   "the cache holds version 2's answer");
	free(buf);
	xm_http_body_free(&r.body);
	xmd_policy_sync_counters(s, &c);
	is_int(c.refused + c.cache_errors, 0, "nothing refused, nothing lost");
	xmd_policy_sync_free(s);
}

/* Refusals: on a sync of its own, not started, fed answers directly. */
static void test_refused(void)
{
	struct xmd_policy_counters c;
	struct xm_policy_error err;
	struct xmd_policy_sync *s;
	struct resp r1, r3;
	char *sig, orig;
	char saved[sizeof(cache)];

	is_int(put_policy(3, ""), 3, "the operator puts version 3 (max hops 3)");
	r1 = answer_of(1);
	r3 = answer_of(3);
	if (!r1.body.data || !r3.body.data)
		exit(1);
	/* A cache of its own: the refused answers must not touch it. */
	snprintf(saved, sizeof(saved), "%s", cache);
	snprintf(cache, sizeof(cache), "%s/other.json", dir);
	s = sync_new();

	sig = strstr(r3.body.data, "\"signature\"");
	sig = sig ? strchr(sig + 11, '"') : NULL;
	if (!sig)
		exit(1);
	orig = sig[1];
	sig[1] = orig == '0' ? '1' : '0';	/* one hex digit changed */
	ok(xmd_policy_sync_answer(s, r3.body.data, r3.body.len, (uint64_t)time(NULL),
				  &err) && !strcmp(err.location, "/signature"),
	   "a forged signature is refused at /signature");
	xmd_policy_sync_counters(s, &c);
	is_int(c.refused, 1, "and counted");
	ok(access(cache, F_OK) && xmd_policy_sync_have(s) == 0,
	   "nothing cached, nothing taken");
	sig[1] = orig;
	ok(!xmd_policy_sync_answer(s, r3.body.data, r3.body.len, (uint64_t)time(NULL),
				   &err) && xmd_policy_sync_have(s) == 3,
	   "the genuine version 3 is accepted");
	ok(xmd_policy_sync_answer(s, r1.body.data, r1.body.len, (uint64_t)time(NULL),
				  &err) && !strcmp(err.location, "/version"),
	   "an older version (1) is refused at /version");
	xmd_policy_sync_counters(s, &c);
	is_int(c.refused, 2, "and counted");
	is_int(xmd_policy_sync_have(s), 3, "the agent stays at version 3");
	xmd_policy_sync_free(s);
	unlink(cache);
	snprintf(cache, sizeof(cache), "%s", saved);
	xm_http_body_free(&r1.body);
	xm_http_body_free(&r3.body);
}

static void test_controller_down(void)
{
	struct xmd_policy_counters c;
	struct xm_policy_update u = { 0 };
	struct xm_policy_error err;
	struct xmd_policy_sync *s;
	struct xm_timers t;
	unsigned int port = ctl_port;
	char *buf;
	ssize_t n;

	/* The first agent gets version 3 before the controller goes. */
	s = sync_new();
	ok(!xmd_policy_sync_load_cache(s, (uint64_t)time(NULL), &u, &err) &&
	   u.version == 2, "a start re-verifies the cache (version 2)");
	xm_policy_update_free(&u);
	xmd_policy_sync_start(s);
	ok(wait_version(s, &u) && u.version == 3, "then catches up to 3");
	xm_policy_update_free(&u);
	xmd_policy_sync_free(s);

	ctl_stop();
	s = sync_new();
	ok(!xmd_policy_sync_load_cache(s, (uint64_t)time(NULL), &u, &err) &&
	   u.version == 3, "controller down: the cache (version 3) is accepted");
	is_int(hops_of(&u, &t), 3, "and its max hops are enforced");
	xm_policy_update_free(&u);
	xmd_policy_sync_start(s);
	ok(WAIT_COUNTERS(s, c, c.fetch_errors >= 3),
	   "failed fetches are counted while the controller is down");
	ok(!xmd_policy_sync_take(s, &u), "and nothing new is applied");

	ctl_start(port);
	is_int(ctl_port, port, "the controller is back on its port");
	is_int(agent_version(), 2, "its restart lost no agent record");
	{
		struct resp r = op("GET", "/api/v1/policy/history", NULL);
		json_object *j = r.body.data ? json_tokener_parse(r.body.data) : NULL;
		json_object *v = NULL;

		ok(r.status == 200 && j &&
		   json_object_object_get_ex(j, "versions", &v) &&
		   json_object_array_length(v) == 3,
		   "nor any version of the history");
		json_object_put(j);
		xm_http_body_free(&r.body);
	}
	is_int(put_policy(5, ""), 4, "the operator puts version 4 (max hops 5)");
	ok(wait_version(s, &u) && u.version == 4,
	   "version 4 reaches the agent once the controller is back");
	is_int(hops_of(&u, &t), 5, "max hops 5");
	xm_policy_update_free(&u);
	xmd_policy_sync_free(s);

	/* An altered cache is refused at a start. */
	buf = malloc(XM_POLICY_ANSWER_MAX);
	n = xm_file_read(cache, buf, XM_POLICY_ANSWER_MAX - 1, true, NULL);
	if (n > 0) {
		char *at;

		buf[n] = '\0';
		at = strstr(buf, "max_hops\\\": 5");
		if (!at)
			at = strstr(buf, "max_hops\": 5");
		if (at)
			*strchr(at, '5') = '9';
		xm_file_write(cache, buf, (size_t)n, 0644, true);
		s = sync_new();
		ok(at && xmd_policy_sync_load_cache(s, (uint64_t)time(NULL),
						    &u, &err) == -EBADMSG,
		   "an altered cache is refused at a start (%s)",
		   err.location);
		xmd_policy_sync_counters(s, &c);
		is_int(c.refused, 1, "and counted");
		xmd_policy_sync_free(s);
	}
	free(buf);
}

/*
 * The controller over TLS, its certificate from a site's own CA (here
 * self-signed: its own CA): the agent refuses it against the system's
 * CAs, and takes the policy when controller-ca names the CA.
 */
static void test_tls(void)
{
	char key[160], crt[160], cmd[640];
	const char *extra[] = { "--tls-cert", crt, "--tls-key", key, NULL };
	struct xmd_policy_counters c;
	struct xm_policy_update u = { 0 };
	struct xmd_policy_sync *s;

	snprintf(key, sizeof(key), "%s/tls.key", dir);
	snprintf(crt, sizeof(crt), "%s/tls.crt", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256"
		 " -nodes -days 2 -subj /CN=127.0.0.1"
		 " -addext subjectAltName=IP:127.0.0.1 -keyout %s -out %s"
		 " >/dev/null 2>&1", key, crt);
	if (!ok(!system(cmd), "tls: a key and certificate made (openssl)"))
		return;
	ctl_stop();
	ctl_start_with(0, extra);
	snprintf(base, sizeof(base), "https://127.0.0.1:%u", ctl_port);
	snprintf(ctl_ca, sizeof(ctl_ca), "%s", crt);
	is_int(put_policy(2, ""), 5, "tls: the operator puts version 5 over https");

	xmd_controller_ca_set(NULL);
	s = sync_new();
	xmd_policy_sync_start(s);
	ok(WAIT_COUNTERS(s, c, c.fetch_errors >= 2),
	   "tls: checked against the system's CAs, the controller is refused");
	ok(!xmd_policy_sync_take(s, &u), "tls: and nothing taken from it");
	xmd_policy_sync_free(s);

	xmd_controller_ca_set(crt);
	s = sync_new();
	xmd_policy_sync_start(s);
	ok(wait_version(s, &u) && u.version == 5,
	   "tls: with controller-ca, version 5 reaches the agent");
	xm_policy_update_free(&u);
	xmd_policy_sync_free(s);
	xmd_controller_ca_set(NULL);
}

/* The "controller" directive. */
static void test_config(void)
{
	struct xmd_config c;
	char err[512];

	xmd_config_default(&c);
	ok(!xmd_config_parse(&c, "t", "certificate /c\nauthority /a\n"
			     "controller http://10.0.0.1:7680\n", err,
			     sizeof(err)) &&
	   !strcmp(c.controller, "http://10.0.0.1:7680"),
	   "controller URL is read");
	xmd_config_default(&c);
	ok(xmd_config_parse(&c, "t", "controller http://10.0.0.1:7680\n",
			    err, sizeof(err)) &&
	   strstr(err, "t:1:") && strstr(err, "controller without certificate"),
	   "a controller needs a certificate: %s", err);
	xmd_config_default(&c);
	ok(xmd_config_parse(&c, "t", "certificate /c\nauthority /a\n"
			    "controller ftp://x\n", err, sizeof(err)) &&
	   strstr(err, "t:3:") && strstr(err, "http:// or https://"),
	   "a controller URL that is not HTTP is refused: %s", err);
	xmd_config_default(&c);
	ok(!c.controller[0], "no controller by default");
	ok(!xmd_config_parse(&c, "t", "certificate /c\nauthority /a\n"
			     "controller https://c1:7680\ncontroller-ca /etc/ca.pem\n",
			     err, sizeof(err)) &&
	   !strcmp(c.controller_ca, "/etc/ca.pem"), "controller-ca is read");
	xmd_config_default(&c);
	ok(xmd_config_parse(&c, "t", "certificate /c\nauthority /a\n"
			    "controller http://c1:7680\ncontroller-ca /etc/ca.pem\n",
			    err, sizeof(err)) &&
	   strstr(err, "t:4:") && strstr(err, "without an https:// controller"),
	   "controller-ca without https is refused: %s", err);
}

int main(void)
{
	test_config();
	setup();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ctl_start(0);
	test_new_version();
	test_refused();
	test_controller_down();
	test_tls();
	ctl_stop();
	ctl_cleanup();
	curl_global_cleanup();
	return tap_done();
}
