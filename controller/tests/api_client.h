/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The API tests' HTTP client of the real server (server.h) on a loopback
 * port, through libcurl: a request and its answer, an agent's signed
 * headers, a controller started or bailed out on.
 */
#ifndef XM_TEST_API_CLIENT_H
#define XM_TEST_API_CLIENT_H

#include <curl/curl.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent_auth.h"
#include "certs.h"
#include "hooks.h"
#include "json_path.h"
#include "server.h"
#include "store.h"
#include "stores.h"
#include "xmesh_http.h"

/* An answer larger than this is a failed request, not a test eating
 * memory. */
#define API_ANSWER_MAX	(64 << 20)

struct api_resp {
	long status;			/* -1: no answer */
	struct xm_http_body body;
	json_object *json;		/* the body, when it is JSON */
};

static inline void api_resp_free(struct api_resp *r)
{
	xm_http_body_free(&r->body);
	json_object_put(r->json);
	memset(r, 0, sizeof(*r));
}

/* Whether the caller's headers already say what to expect. */
static inline bool api_has_expect(const struct curl_slist *l)
{
	for (; l; l = l->next)
		if (!strncasecmp(l->data, "Expect:", 7))
			return true;
	return false;
}

/*
 * A request to ctl: method, path, a bearer token (NULL: none), a body of
 * len bytes (NULL: none) and more headers (freed here). No "Expect:
 * 100-continue" unless hdrs ask for it: the body goes at once.
 */
static inline struct api_resp api_request(struct xm_ctl *ctl,
					  const char *method, const char *path,
					  const char *token, const char *body,
					  size_t len, struct curl_slist *hdrs)
{
	struct api_resp r = { .body.max = API_ANSWER_MAX };
	char url[1200], auth[128];
	CURL *c = curl_easy_init();

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", xm_ctl_port(ctl),
		 path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, xm_http_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)len);
	}
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	if (!api_has_expect(hdrs))
		hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (curl_easy_perform(c) != CURLE_OK)
		r.status = -1;
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	if (r.body.data)
		r.json = json_tokener_parse(r.body.data);
	return r;
}

/* The headers of an agent's request signed with sk at time t, its
 * certificate cert (base64) attached. */
static inline struct curl_slist *api_signed_headers(const uint8_t *sk,
						    const char *cert,
						    const char *method,
						    const char *path,
						    const char *body,
						    size_t len, int64_t t)
{
	char h[1200], time_s[21], nonce_hex[33], sig[129];
	uint8_t nonce[XM_AGENT_NONCE_LEN];
	struct curl_slist *l = NULL;

	randombytes_buf(nonce, sizeof(nonce));
	xm_agent_auth_sign(sk, method, path, body, len, t, nonce, time_s,
			   nonce_hex, sig);
	snprintf(h, sizeof(h), XM_AGENT_HDR_CERT ": %s", cert);
	l = curl_slist_append(l, h);
	snprintf(h, sizeof(h), XM_AGENT_HDR_TIME ": %s", time_s);
	l = curl_slist_append(l, h);
	snprintf(h, sizeof(h), XM_AGENT_HDR_NONCE ": %s", nonce_hex);
	l = curl_slist_append(l, h);
	snprintf(h, sizeof(h), XM_AGENT_HDR_SIG ": %s", sig);
	return curl_slist_append(l, h);
}

/* The member of o at a path of keys and array indices ("error.location")
 * as a string: "(none)" when there is none. */
static inline const char *api_json_str(json_object *o, const char *path)
{
	o = test_json_path(o, path);
	return o ? json_object_get_string(o) : "(none)";
}

/* The same as an integer: -1 when there is none. */
static inline int64_t api_json_int(json_object *o, const char *path)
{
	o = test_json_path(o, path);
	return o ? json_object_get_int64(o) : -1;
}

/* The same of an answer's JSON, and the member itself (NULL: none). */
static inline json_object *api_json(const struct api_resp *r,
				    const char *path)
{
	return test_json_path(r->json, path);
}

static inline const char *api_str(const struct api_resp *r, const char *path)
{
	return api_json_str(r->json, path);
}

static inline int64_t api_int(const struct api_resp *r, const char *path)
{
	return api_json_int(r->json, path);
}

/* A controller of cfg (copied: the server wipes its key), or bail out. */
static inline struct xm_ctl *api_start(const struct xm_ctl_config *cfg)
{
	struct xm_ctl_config c = *cfg;
	struct xm_ctl *ctl;
	char err[256];

	ctl = xm_ctl_start(&c, err, sizeof(err));
	if (!ctl) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	return ctl;
}

/*
 * A test's controller in cfg: a new store in dir (a mkdtemp() template,
 * made here), its name in db, and the authority and policy certificates
 * of a site made at now (policy_b64: the policy certificate's text, or
 * NULL). Bails out on failure.
 */
static inline void api_config(struct xm_ctl_config *cfg, char *dir, char *db,
			      size_t db_len, uint8_t auth_sk[64],
			      char *policy_b64, int64_t now)
{
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp %s\n", dir);
		exit(1);
	}
	test_store_name(db, db_len, dir, "controller.db");
	test_cert(&cfg->authority, XM_CERT_AUTHORITY, 1, 0, now, auth_sk, NULL,
		  NULL);
	test_cert(&cfg->policy_cert, XM_CERT_POLICY, 2, 0, now, cfg->policy_sk,
		  auth_sk, policy_b64);
	cfg->db_path = db;
}

/* Remediation on a test's time scale: an agent silent for 2 s is stale,
 * the rules run every 100 ms, two tries, no settling back. */
static inline void api_remedy_quick(struct xm_ctl_config *cfg)
{
	cfg->remedy.stale_s = 2;
	cfg->remedy.settle_s = 3600;
	cfg->remedy.tries = 2;
	cfg->remedy_tick_ms = 100;
}

/* The store of db, or bail out. */
static inline struct xm_store *api_store(const char *db)
{
	char err[256];
	struct xm_store *s = xm_store_open(db, err, sizeof(err));

	if (!s) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	return s;
}

/* A new operator token of role, named name, in s: its text in tok. */
static inline void api_token(struct xm_store *s, char tok[65],
			     enum xm_role role, const char *name)
{
	uint8_t hash[32];

	xm_token_new(tok, hash);
	xm_store_token_add(s, hash, role, name, 0);
}

/* A hook of spec (a line of the hooks file) added to hooks, or bail out. */
static inline void api_hook(struct xm_hooks *hooks, const char *spec)
{
	struct xm_hook h;
	char err[256];

	if (xm_hook_parse(spec, &h, err, sizeof(err)) ||
	    xm_hooks_add(hooks, &h, err, sizeof(err))) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
}

/*
 * GET /api/v1/events/stream?<query>&token=<token>, read into buf until
 * it holds until (or 30 s): a pthread start routine, or called as is.
 */
struct api_stream {
	struct xm_ctl *ctl;
	const char *token, *query, *until;
	char buf[32768];
	size_t len;
	long status;
};

static inline size_t api_stream_write(char *p, size_t size, size_t n,
				      void *arg)
{
	struct api_stream *a = arg;
	size_t k = size * n;

	if (k > sizeof(a->buf) - 1 - a->len)
		k = sizeof(a->buf) - 1 - a->len;
	memcpy(a->buf + a->len, p, k);
	a->len += k;
	a->buf[a->len] = '\0';
	/* Stop (the transfer fails on purpose) once it came. */
	return strstr(a->buf, a->until) ? 0 : size * n;
}

static inline void *api_stream_read(void *arg)
{
	struct api_stream *a = arg;
	char url[512];
	CURL *c = curl_easy_init();

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/api/v1/events/stream"
		 "?%s%stoken=%s", xm_ctl_port(a->ctl), a->query,
		 *a->query ? "&" : "", a->token);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, api_stream_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	curl_easy_cleanup(c);
	return NULL;
}

#endif /* XM_TEST_API_CLIENT_H */
