// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh-controller's HTTP API (server.h, Documentation/controller.md).
 *
 * A request is read whole (bodies are small and bounded: a policy
 * document at most XM_POLICY_TEXT_MAX, anything else BODY_MAX) and then
 * answered by its route. Every answer but /metrics is JSON; every refusal
 * is {"error": {"status", "location", "reason"}}. Locking: one mutex
 * (c->lock) over the store, the nonce cache, the counters and the current
 * version; the long poll waits on c->changed under it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_auth.h"
#include "policy.h"
#include "server.h"
#include "store.h"
#include "wire.h"	/* xm_wire_name_valid(): token names */

#define BODY_MAX	(16 * 1024)	/* anything but a policy document */
#define URI_MAX		1024
/* A chunked body past its limit is read on (and dropped) up to this, to
 * answer 413 at its end; beyond, at once, closing the connection. */
#define DROP_MAX	(1024 * 1024)
#define JSON_DEPTH	8
#define LONGPOLL_MAX	60

/* The statuses the API answers with, for /metrics. */
static const unsigned int statuses[] = {
	200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 414, 429, 500,
	503,
};
#define N_STATUSES	(sizeof(statuses) / sizeof(statuses[0]))

struct xm_ctl {
	struct xm_ctl_config cfg;
	struct MHD_Daemon *mhd;
	uint16_t port;
	pthread_mutex_t lock;
	pthread_cond_t changed;		/* the policy's version moved */
	bool stopping;
	struct xm_store *store;
	uint64_t version;		/* the current policy version */
	unsigned int waiting;		/* agents in a long poll */
	struct xm_agent_nonces *nonces;
	char policy_cert_text[XM_CERT_TEXT_MAX];
	uint64_t requests[N_STATUSES];
	uint64_t auth_failures[XM_AGENT_AUTH_MAX + 1];
};

struct req;

/* Who may call a route. */
enum access {
	PUBLIC,			/* anyone (/metrics) */
	AGENT,			/* a signed agent request */
	TOKEN,			/* an operator token of at least the role */
};

struct route {
	const char *path, *method;
	enum access access;
	enum xm_role role;		/* TOKEN */
	const char *query;		/* the parameters it takes, " a b " */
	size_t body_max;
	enum MHD_Result (*fn)(struct xm_ctl *c, struct MHD_Connection *conn,
			      const struct req *q);
	/* A list from the store (fn send_list): its key in the answer,
	 * and how it is read. */
	const char *list_key;
	int (*list)(struct xm_ctl *c, json_object *a);
};

/* One request: its raw URI (query included, as the agent signed it), its
 * route, who sent it, its body. */
struct req {
	char uri[URI_MAX];
	bool uri_too_long;
	bool headers_seen;		/* the first call is over */
	bool answered;			/* at the headers: drop the body */
	const struct route *route;
	char who[XM_STORE_NAME_MAX];	/* the operator token's name */
	uint32_t node;			/* the agent's node id */
	size_t len;
	bool too_large;
	size_t dropped;			/* read past the limit */
	char *body;
};


static int64_t now_s(const struct xm_ctl *c)
{
	return c->cfg.now ? c->cfg.now() : (int64_t)time(NULL);
}

/* ---- answers ---- */

static void count_status(struct xm_ctl *c, unsigned int status)
{
	size_t i;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < N_STATUSES; i++)
		if (statuses[i] == status)
			c->requests[i]++;
	pthread_mutex_unlock(&c->lock);
}

static enum MHD_Result send_text(struct xm_ctl *c,
				 struct MHD_Connection *conn,
				 unsigned int status, const char *type,
				 const char *text, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *copy = malloc(len ? len : 1);

	if (!copy)
		return MHD_NO;
	memcpy(copy, text, len);
	r = MHD_create_response_from_buffer(len, copy, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(copy);
		return MHD_NO;
	}
	if (type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	count_status(c, status);
	return ret;
}

/* Answer with j (and drop it). */
static enum MHD_Result send_json(struct xm_ctl *c,
				 struct MHD_Connection *conn,
				 unsigned int status, json_object *j)
{
	const char *s = json_object_to_json_string_ext(j,
						       JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	enum MHD_Result ret = send_text(c, conn, status, "application/json",
					s, strlen(s));

	json_object_put(j);
	return ret;
}

__attribute__((format(printf, 5, 6)))
static enum MHD_Result send_error(struct xm_ctl *c,
				  struct MHD_Connection *conn,
				  unsigned int status, const char *location,
				  const char *fmt, ...)
{
	json_object *j = json_object_new_object(), *e = json_object_new_object();
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	json_object_object_add(e, "status", json_object_new_int((int)status));
	json_object_object_add(e, "location", json_object_new_string(location));
	json_object_object_add(e, "reason", json_object_new_string(reason));
	json_object_object_add(j, "error", e);
	return send_json(c, conn, status, j);
}

static enum MHD_Result send_policy_error(struct xm_ctl *c,
					 struct MHD_Connection *conn,
					 const struct xm_policy_error *err)
{
	return send_error(c, conn, 400, err->location, "%s", err->reason);
}

/* ---- inputs ---- */

/* The body as a JSON object: NULL after answering 400. */
static json_object *body_object(struct xm_ctl *c, struct MHD_Connection *conn,
				const struct req *q)
{
	struct xm_policy_error err;
	json_object *j;

	if (!q->len) {
		send_error(c, conn, 400, "body", "a JSON object is expected");
		return NULL;
	}
	j = xm_json_parse_strict(q->body, q->len, JSON_DEPTH, &err);
	if (!j) {
		send_error(c, conn, 400, err.location, "%s", err.reason);
		return NULL;
	}
	if (!json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		send_error(c, conn, 400, "body", "a JSON object is expected");
		return NULL;
	}
	return j;
}

/* A non-negative integer member of o, or of the query when o is NULL:
 * 0, 1 if absent, -1 after answering 400. */
static int uint_arg(struct xm_ctl *c, struct MHD_Connection *conn,
		    json_object *o, const char *name, uint64_t max,
		    uint64_t *out)
{
	char loc[64];

	if (o) {
		json_object *v;
		int64_t n;

		snprintf(loc, sizeof(loc), "/%s", name);
		if (!json_object_object_get_ex(o, name, &v))
			return 1;
		if (!json_object_is_type(v, json_type_int)) {
			send_error(c, conn, 400, loc, "expected an integer");
			return -1;
		}
		errno = 0;
		n = json_object_get_int64(v);
		if (errno || n < 0 || (uint64_t)n > max) {
			send_error(c, conn, 400, loc, "out of range 0 to %llu",
				   (unsigned long long)max);
			return -1;
		}
		*out = (uint64_t)n;
		return 0;
	} else {
		const char *s = MHD_lookup_connection_value(conn,
							    MHD_GET_ARGUMENT_KIND,
							    name);
		unsigned long long n;
		char *end;

		snprintf(loc, sizeof(loc), "query %s", name);
		if (!s)
			return 1;
		errno = 0;
		n = strtoull(s, &end, 10);
		if (*s < '0' || *s > '9' || *end || errno || n > max) {
			send_error(c, conn, 400, loc, "expected an integer 0"
				   " to %llu", (unsigned long long)max);
			return -1;
		}
		*out = n;
		return 0;
	}
}

/* Members of o other than allowed: answered 400, -1. */
static int only_members(struct xm_ctl *c, struct MHD_Connection *conn,
			json_object *o, const char *const *allowed)
{
	json_object_object_foreach(o, key, val) {
		const char *const *a;

		(void)val;
		for (a = allowed; *a && strcmp(*a, key); a++)
			;
		if (!*a) {
			send_error(c, conn, 400, "body", "unknown member"
				   " \"%.40s\"", key);
			return -1;
		}
	}
	return 0;
}

/* ---- operator authentication ---- */

void xm_token_hash(const char *token, uint8_t hash[32])
{
	crypto_hash_sha256(hash, (const uint8_t *)token, strlen(token));
}

void xm_token_new(char token[65], uint8_t hash[32])
{
	uint8_t raw[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(token, 65, raw, sizeof(raw));
	xm_token_hash(token, hash);
}

/*
 * The caller's role and name from "Authorization: Bearer TOKEN": at least
 * need, or answered (401: no or unknown token, 403: a lesser role).
 */
static bool authorized(struct xm_ctl *c, struct MHD_Connection *conn,
		       enum xm_role need, char name[XM_STORE_NAME_MAX])
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	uint8_t hash[32];
	enum xm_role role;
	size_t i;

	if (!h) {
		send_error(c, conn, 401, "header Authorization",
			   "an API token is required: Bearer TOKEN");
		return false;
	}
	if (strncmp(h, "Bearer ", 7) || strlen(h + 7) != 64) {
		send_error(c, conn, 401, "header Authorization",
			   "expected Bearer and a token of 64 hex digits");
		return false;
	}
	for (i = 7; i < 71; i++)
		if (!strchr("0123456789abcdef", h[i])) {
			send_error(c, conn, 401, "header Authorization",
				   "expected Bearer and a token of 64 hex"
				   " digits");
			return false;
		}
	xm_token_hash(h + 7, hash);
	pthread_mutex_lock(&c->lock);
	role = xm_store_token_role(c->store, hash, name);
	pthread_mutex_unlock(&c->lock);
	if (role == XM_ROLE_NONE) {
		send_error(c, conn, 401, "header Authorization",
			   "unknown token");
		return false;
	}
	if (role < need) {
		send_error(c, conn, 403, "header Authorization",
			   "token \"%s\" is %s; this needs %s", name,
			   xm_role_name(role), xm_role_name(need));
		return false;
	}
	return true;
}

/* ---- policy ---- */

static int sign_cb(void *arg, uint64_t version, const char *text,
		   size_t len, uint8_t *sig, size_t *sig_len)
{
	struct xm_ctl *c = arg;

	if (*sig_len < XM_POLICY_SIG_LEN)
		return -1;
	xm_policy_sign(c->cfg.policy_sk, version, text, len, sig);
	*sig_len = XM_POLICY_SIG_LEN;
	return 0;
}

/* The JSON of a version, as operators and agents get it. */
static json_object *policy_json(struct xm_ctl *c,
				const struct xm_policy_rec *r)
{
	json_object *j = json_object_new_object();
	char sig[2 * XM_POLICY_SIG_LEN + 1] = "";

	if (r->sig_len == XM_POLICY_SIG_LEN)
		sodium_bin2hex(sig, sizeof(sig), r->signature, r->sig_len);
	json_object_object_add(j, "version",
			       json_object_new_uint64(r->version));
	json_object_object_add(j, "author", json_object_new_string(r->author));
	json_object_object_add(j, "created", json_object_new_int64(r->created));
	json_object_object_add(j, "rollback_of",
			       json_object_new_uint64(r->rollback_of));
	json_object_object_add(j, "signature", json_object_new_string(sig));
	json_object_object_add(j, "certificate",
			       json_object_new_string(c->policy_cert_text));
	json_object_object_add(j, "policy",
			       json_object_new_string_len(r->text,
							  (int)r->text_len));
	return j;
}

/* Answer with a version (0: the current). */
static enum MHD_Result send_policy(struct xm_ctl *c,
				   struct MHD_Connection *conn,
				   uint64_t version)
{
	struct xm_policy_rec r;
	json_object *j;
	int rc;

	pthread_mutex_lock(&c->lock);
	rc = xm_store_policy_get(c->store, version, &r);
	pthread_mutex_unlock(&c->lock);
	if (rc < 0)
		return send_error(c, conn, 500, "store", "cannot read the"
				  " policy");
	if (rc > 0)
		return send_error(c, conn, 404, "policy", version ?
				  "no such version" : "no policy yet");
	j = policy_json(c, &r);
	xm_policy_rec_free(&r);
	return send_json(c, conn, 200, j);
}

/*
 * Store text as the next version (validated and tested already): 200
 * with the version, or 409 when expect (not 0) is not the current one.
 */
static enum MHD_Result add_version(struct xm_ctl *c,
				   struct MHD_Connection *conn,
				   const char *text, size_t len,
				   const char *author, uint64_t expect,
				   uint64_t rollback_of)
{
	struct xm_policy_rec cur;
	bool changed = false;
	uint64_t v = 0;
	json_object *j;
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	if (expect && expect != c->version) {
		v = c->version;
		pthread_mutex_unlock(&c->lock);
		return send_error(c, conn, 409, "query expect", "the current"
				  " version is %llu, not %llu",
				  (unsigned long long)v,
				  (unsigned long long)expect);
	}
	/* The same text again is no new version (apply is idempotent). */
	if (!rollback_of && c->version &&
	    !xm_store_policy_get(c->store, 0, &cur)) {
		if (cur.text_len == len && !memcmp(cur.text, text, len))
			v = cur.version;
		xm_policy_rec_free(&cur);
	}
	if (!v) {
		rc = xm_store_policy_add(c->store, text, len, author,
					 now_s(c), rollback_of, sign_cb, c,
					 &v);
		if (!rc) {
			c->version = v;
			changed = true;
			pthread_cond_broadcast(&c->changed);
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (rc)
		return send_error(c, conn, 500, "store", "cannot store the"
				  " policy");
	j = json_object_new_object();
	json_object_object_add(j, "version", json_object_new_uint64(v));
	json_object_object_add(j, "changed", json_object_new_boolean(changed));
	return send_json(c, conn, 200, j);
}

static enum MHD_Result policy_get(struct xm_ctl *c,
				  struct MHD_Connection *conn,
				  const struct req *q)
{
	uint64_t v = 0;

	(void)q;
	if (uint_arg(c, conn, NULL, "version", UINT32_MAX, &v) < 0)
		return MHD_YES;
	return send_policy(c, conn, v);
}

static enum MHD_Result policy_put(struct xm_ctl *c,
				  struct MHD_Connection *conn,
				  const struct req *q)
{
	struct xm_policy_error err;
	struct xm_site_policy *p;
	uint64_t expect = 0;

	if (uint_arg(c, conn, NULL, "expect", UINT32_MAX, &expect) < 0)
		return MHD_YES;
	p = xm_policy_check(q->body ? q->body : "", q->len, &err);
	if (!p)
		return send_policy_error(c, conn, &err);
	xm_policy_free(p);
	return add_version(c, conn, q->body, q->len, q->who, expect, 0);
}

static enum MHD_Result policy_rollback(struct xm_ctl *c,
				       struct MHD_Connection *conn,
				       const struct req *q)
{
	static const char *const members[] = { "version", NULL };
	struct xm_policy_error err;
	struct xm_site_policy *p;
	struct xm_policy_rec r;
	enum MHD_Result ret;
	uint64_t version;
	json_object *o;
	int rc;

	o = body_object(c, conn, q);
	if (!o)
		return MHD_YES;
	if (only_members(c, conn, o, members) ||
	    (rc = uint_arg(c, conn, o, "version", UINT32_MAX, &version)) < 0) {
		json_object_put(o);
		return MHD_YES;
	}
	json_object_put(o);
	if (rc > 0 || !version)
		return send_error(c, conn, 400, "/version",
				  "the version to restore is required");
	pthread_mutex_lock(&c->lock);
	rc = xm_store_policy_get(c->store, version, &r);
	pthread_mutex_unlock(&c->lock);
	if (rc)
		return send_error(c, conn, rc > 0 ? 404 : 500, "/version",
				  rc > 0 ? "no such version" :
				  "cannot read the policy");
	/* The rules of today apply to an old text too. */
	p = xm_policy_check(r.text, r.text_len, &err);
	if (!p) {
		xm_policy_rec_free(&r);
		return send_policy_error(c, conn, &err);
	}
	xm_policy_free(p);
	ret = add_version(c, conn, r.text, r.text_len, q->who, 0, version);
	xm_policy_rec_free(&r);
	return ret;
}

static int history_cb(void *arg, const struct xm_policy_rec *r)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "version", json_object_new_uint64(r->version));
	json_object_object_add(e, "author", json_object_new_string(r->author));
	json_object_object_add(e, "created", json_object_new_int64(r->created));
	json_object_object_add(e, "rollback_of",
			       json_object_new_uint64(r->rollback_of));
	json_object_array_add(arg, e);
	return 0;
}

struct agents_arg {
	json_object *list;
	uint64_t version;
	long current;
};

static int agents_cb(void *arg, const struct xm_agent_rec *r)
{
	struct agents_arg *a = arg;
	json_object *e = json_object_new_object();

	json_object_object_add(e, "node", json_object_new_int64(r->node_id));
	json_object_object_add(e, "last_seen",
			       json_object_new_int64(r->last_seen));
	json_object_object_add(e, "policy_version",
			       json_object_new_uint64(r->policy_version));
	json_object_object_add(e, "current",
			       json_object_new_boolean(a->version &&
						       r->policy_version ==
						       a->version));
	if (a->version && r->policy_version == a->version)
		a->current++;
	if (a->list)
		json_object_array_add(a->list, e);
	else
		json_object_put(e);
	return 0;
}

static int audit_cb(void *arg, const struct xm_audit_rec *r)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "id", json_object_new_int64(r->id));
	json_object_object_add(e, "time", json_object_new_int64(r->time));
	json_object_object_add(e, "actor", json_object_new_string(r->actor));
	json_object_object_add(e, "action", json_object_new_string(r->action));
	json_object_object_add(e, "detail", json_object_new_string(r->detail));
	json_object_array_add(arg, e);
	return 0;
}

/* GET a list from the store into {key: [...]}. */
static enum MHD_Result send_list(struct xm_ctl *c, struct MHD_Connection *conn,
				 const struct req *q)
{
	const char *key = q->route->list_key;
	json_object *a = json_object_new_array(), *j;
	uint64_t version;
	int rc;

	pthread_mutex_lock(&c->lock);
	rc = q->route->list(c, a);
	version = c->version;
	pthread_mutex_unlock(&c->lock);
	if (rc) {
		json_object_put(a);
		return send_error(c, conn, 500, "store", "cannot read %s", key);
	}
	j = json_object_new_object();
	json_object_object_add(j, "policy_version",
			       json_object_new_uint64(version));
	json_object_object_add(j, key, a);
	return send_json(c, conn, 200, j);
}

static int list_history(struct xm_ctl *c, json_object *a)
{
	return xm_store_policy_history(c->store, history_cb, a);
}

static int list_agents(struct xm_ctl *c, json_object *a)
{
	struct agents_arg arg = { a, c->version, 0 };

	return xm_store_agent_list(c->store, agents_cb, &arg);
}

static int list_audit(struct xm_ctl *c, json_object *a)
{
	return xm_store_audit_list(c->store, audit_cb, a);
}

static enum MHD_Result token_post(struct xm_ctl *c,
				  struct MHD_Connection *conn,
				  const struct req *q)
{
	static const char *const members[] = { "role", "name", NULL };
	json_object *o, *v, *j;
	char token[65], detail[128];
	const char *name = NULL;
	enum xm_role role = XM_ROLE_NONE;
	uint8_t hash[32];
	int rc;

	o = body_object(c, conn, q);
	if (!o)
		return MHD_YES;
	if (only_members(c, conn, o, members))
		goto done;
	if (json_object_object_get_ex(o, "role", &v) &&
	    json_object_is_type(v, json_type_string))
		role = xm_role_parse(json_object_get_string(v));
	if (role == XM_ROLE_NONE) {
		send_error(c, conn, 400, "/role", "expected read-only,"
			   " operator or admin");
		goto done;
	}
	if (json_object_object_get_ex(o, "name", &v) &&
	    json_object_is_type(v, json_type_string))
		name = json_object_get_string(v);
	if (!name || !xm_wire_name_valid(name, false)) {
		send_error(c, conn, 400, "/name", "expected a name: 1 to 31"
			   " printable characters without blanks");
		goto done;
	}
	xm_token_new(token, hash);
	snprintf(detail, sizeof(detail), "%s %s", xm_role_name(role), name);
	pthread_mutex_lock(&c->lock);
	rc = xm_store_token_add(c->store, hash, role, name, now_s(c)) ||
	     xm_store_audit_add(c->store, now_s(c), q->who, "token.add",
				detail);
	pthread_mutex_unlock(&c->lock);
	if (rc) {
		send_error(c, conn, 500, "store", "cannot store the token");
		goto done;
	}
	j = json_object_new_object();
	json_object_object_add(j, "token", json_object_new_string(token));
	json_object_object_add(j, "role",
			       json_object_new_string(xm_role_name(role)));
	json_object_object_add(j, "name", json_object_new_string(name));
	send_json(c, conn, 201, j);
	sodium_memzero(token, sizeof(token));
done:
	json_object_put(o);
	return MHD_YES;
}

/* ---- agents ---- */

/* An agent's request as its headers carry it (a header missing: NULL). */
static void agent_headers(struct MHD_Connection *conn,
			  struct xm_agent_request *r)
{
#define HDR(name) MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name)
	r->cert = HDR(XM_AGENT_HDR_CERT);
	r->time = HDR(XM_AGENT_HDR_TIME);
	r->nonce = HDR(XM_AGENT_HDR_NONCE);
	r->sig = HDR(XM_AGENT_HDR_SIG);
#undef HDR
}

/* Count an agent's request checked, a. */
static void count_auth(struct xm_ctl *c, enum xm_agent_auth a)
{
	pthread_mutex_lock(&c->lock);
	c->auth_failures[a]++;
	pthread_mutex_unlock(&c->lock);
}

/* Answer an agent's request refused for a (why: the certificate's
 * reason; node: its node, once its certificate is known). */
static void agent_refused(struct xm_ctl *c, struct MHD_Connection *conn,
			  enum xm_agent_auth a, enum xm_cert_reason why,
			  uint32_t node)
{
	switch (a) {
	case XM_AGENT_AUTH_CERT:
		send_error(c, conn, 401, "header " XM_AGENT_HDR_CERT,
			   "the certificate is refused: %s",
			   xm_cert_reason_text(why));
		break;
	case XM_AGENT_AUTH_TIME:
		send_error(c, conn, 401, "header " XM_AGENT_HDR_TIME,
			   "more than %d s from the controller's clock",
			   XM_AGENT_AUTH_WINDOW);
		break;
	case XM_AGENT_AUTH_SIGNATURE:
		send_error(c, conn, 401, "header " XM_AGENT_HDR_SIG,
			   "the signature does not verify");
		break;
	case XM_AGENT_AUTH_EARLY:
		send_error(c, conn, 401, "header " XM_AGENT_HDR_TIME,
			   "signed before the controller started: it cannot"
			   " tell it from a replay; sign again");
		break;
	case XM_AGENT_AUTH_REPLAY:
		send_error(c, conn, 401, "header " XM_AGENT_HDR_NONCE,
			   "a replayed request");
		break;
	case XM_AGENT_AUTH_BUSY:
		send_error(c, conn, 503, "header " XM_AGENT_HDR_NONCE,
			   "too many requests to remember: retry");
		break;
	case XM_AGENT_AUTH_QUOTA:
		send_error(c, conn, 429, "header " XM_AGENT_HDR_NONCE,
			   "node %u sent more than %d requests in %d s:"
			   " retry later", node, XM_AGENT_NONCES_PER_NODE,
			   2 * XM_AGENT_AUTH_WINDOW);
		break;
	default:
		send_error(c, conn, 401, "headers", "a signed agent request"
			   " needs %s, %s, %s and %s (%s)", XM_AGENT_HDR_CERT,
			   XM_AGENT_HDR_TIME, XM_AGENT_HDR_NONCE,
			   XM_AGENT_HDR_SIG, xm_agent_auth_name(a));
		break;
	}
}

/* Check an agent's signed request: its node id, or 0 after answering. */
static uint32_t agent_authorized(struct xm_ctl *c, struct MHD_Connection *conn,
				 const char *method, const struct req *q)
{
	struct xm_agent_request r = {
		.method = method, .path = q->uri,
		.body = q->body ? q->body : "", .body_len = q->len,
	};
	struct xm_agent_seen seen;
	enum xm_cert_reason why;
	enum xm_agent_auth a;
	struct xm_cert cert;
	int64_t now = now_s(c);

	agent_headers(conn, &r);
	/* The signatures outside the lock: agents verify in parallel. */
	a = xm_agent_auth_verify(&r, &c->cfg.authority, c->cfg.crl, now,
				 &cert, &why, &seen);
	pthread_mutex_lock(&c->lock);
	if (!a)
		a = xm_agent_auth_remember(c->nonces, &seen, now);
	c->auth_failures[a]++;
	if (!a)
		xm_store_agent_seen(c->store, cert.node_id, now, 0);
	pthread_mutex_unlock(&c->lock);
	if (!a)
		return cert.node_id;
	agent_refused(c, conn, a, why, a == XM_AGENT_AUTH_QUOTA ?
		      cert.node_id : 0);
	return 0;
}

static struct timespec deadline_in(unsigned int s)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += s;
	return t;
}

/* GET /api/v1/agent/policy?since=V&wait=S: the current version once it
 * is above since, or 204 after S seconds. */
static enum MHD_Result agent_policy(struct xm_ctl *c,
				    struct MHD_Connection *conn,
				    const struct req *q)
{
	unsigned int max = c->cfg.longpoll_max_s ? c->cfg.longpoll_max_s :
			   LONGPOLL_MAX;
	uint64_t since = 0, wait = max;
	struct timespec deadline;
	uint64_t v;

	(void)q;
	if (uint_arg(c, conn, NULL, "since", UINT32_MAX, &since) < 0 ||
	    uint_arg(c, conn, NULL, "wait", max, &wait) < 0)
		return MHD_YES;
	deadline = deadline_in((unsigned int)wait);
	pthread_mutex_lock(&c->lock);
	v = c->version;
	if (since > v) {
		/* The agent has a version this controller never made: a
		 * store lost or replaced. Waiting would hide it. */
		pthread_mutex_unlock(&c->lock);
		return send_error(c, conn, 409, "query since", "the"
				  " controller's current version is %llu",
				  (unsigned long long)v);
	}
	c->waiting++;
	while (c->version <= since && !c->stopping &&
	       pthread_cond_timedwait(&c->changed, &c->lock, &deadline) !=
	       ETIMEDOUT)
		;
	c->waiting--;
	v = c->version;
	pthread_mutex_unlock(&c->lock);
	if (v <= since)
		return send_text(c, conn, 204, NULL, "", 0);
	return send_policy(c, conn, v);
}

/*
 * POST /api/v1/agent/report {"policy_version": V[, "error": "why"]}: an
 * error is a version the agent could not apply (Documentation/policy.md),
 * kept in the audit log as the node's "agent.policy_error".
 */
static enum MHD_Result agent_report(struct xm_ctl *c,
				    struct MHD_Connection *conn,
				    const struct req *q)
{
	uint32_t node = q->node;
	static const char *const members[] = { "policy_version", "error",
					       NULL };
	char error[512] = "", actor[32];
	uint64_t v = 0;
	json_object *o, *j, *e;
	int rc;

	o = body_object(c, conn, q);
	if (!o)
		return MHD_YES;
	rc = only_members(c, conn, o, members);
	if (!rc)
		rc = uint_arg(c, conn, o, "policy_version", UINT32_MAX, &v);
	if (!rc && json_object_object_get_ex(o, "error", &e)) {
		if (!json_object_is_type(e, json_type_string) ||
		    (size_t)json_object_get_string_len(e) >= sizeof(error) ||
		    strlen(json_object_get_string(e)) !=
		    (size_t)json_object_get_string_len(e)) {
			send_error(c, conn, 400, "/error", "expected a string"
				   " of at most %zu characters",
				   sizeof(error) - 1);
			rc = -1;
		} else {
			snprintf(error, sizeof(error), "%s",
				 json_object_get_string(e));
		}
	}
	json_object_put(o);
	if (rc < 0)
		return MHD_YES;
	if (rc > 0)
		return send_error(c, conn, 400, "/policy_version",
				  "the version applied is required");
	snprintf(actor, sizeof(actor), "node %u", node);
	pthread_mutex_lock(&c->lock);
	if (v > c->version)
		rc = 1;
	else
		rc = xm_store_agent_seen(c->store, node, now_s(c), v);
	if (!rc && error[0])
		rc = xm_store_audit_add(c->store, now_s(c), actor,
					"agent.policy_error", error);
	pthread_mutex_unlock(&c->lock);
	if (rc > 0)
		return send_error(c, conn, 400, "/policy_version",
				  "version %llu does not exist",
				  (unsigned long long)v);
	if (rc)
		return send_error(c, conn, 500, "store", "cannot store the"
				  " report");
	j = json_object_new_object();
	json_object_object_add(j, "node", json_object_new_int64(node));
	json_object_object_add(j, "policy_version", json_object_new_uint64(v));
	return send_json(c, conn, 200, j);
}

/* ---- metrics ---- */

static enum MHD_Result metrics(struct xm_ctl *c, struct MHD_Connection *conn,
			       const struct req *q)
{
	struct agents_arg arg = { NULL, 0, 0 };
	enum MHD_Result ret;
	char *text = NULL;
	size_t len = 0, i;
	long agents;
	FILE *f;

	(void)q;
	f = open_memstream(&text, &len);
	if (!f)
		return send_error(c, conn, 500, "metrics", "out of memory");
	pthread_mutex_lock(&c->lock);
	agents = xm_store_agent_count(c->store);
	arg.version = c->version;
	xm_store_agent_list(c->store, agents_cb, &arg);
	fprintf(f, "# HELP xmesh_controller_agents Agents known.\n"
		"# TYPE xmesh_controller_agents gauge\n"
		"xmesh_controller_agents %ld\n"
		"# HELP xmesh_controller_agents_current Agents that applied"
		" the current policy version.\n"
		"# TYPE xmesh_controller_agents_current gauge\n"
		"xmesh_controller_agents_current %ld\n"
		"# HELP xmesh_controller_agents_waiting Agents waiting in a"
		" long poll.\n"
		"# TYPE xmesh_controller_agents_waiting gauge\n"
		"xmesh_controller_agents_waiting %u\n"
		"# HELP xmesh_controller_policy_version The current policy"
		" version.\n"
		"# TYPE xmesh_controller_policy_version gauge\n"
		"xmesh_controller_policy_version %llu\n"
		"# HELP xmesh_controller_requests_total Requests answered, by"
		" status.\n"
		"# TYPE xmesh_controller_requests_total counter\n",
		agents, arg.current, c->waiting,
		(unsigned long long)c->version);
	for (i = 0; i < N_STATUSES; i++)
		fprintf(f, "xmesh_controller_requests_total{code=\"%u\"}"
			" %llu\n", statuses[i],
			(unsigned long long)c->requests[i]);
	fprintf(f, "# HELP xmesh_controller_agent_auth_total Agent requests"
		" checked, by result.\n"
		"# TYPE xmesh_controller_agent_auth_total counter\n");
	for (i = 0; i <= XM_AGENT_AUTH_MAX; i++)
		fprintf(f, "xmesh_controller_agent_auth_total{result=\"%s\"}"
			" %llu\n", xm_agent_auth_name(i),
			(unsigned long long)c->auth_failures[i]);
	pthread_mutex_unlock(&c->lock);
	fclose(f);
	ret = send_text(c, conn, 200, "text/plain; version=0.0.4", text, len);
	free(text);
	return ret;
}

/* ---- routing ---- */

#define GET(p)		.path = p, .method = "GET"
#define ROLE(r)		.access = TOKEN, .role = XM_ROLE_##r
#define LIST(key, how)	.fn = send_list, .list_key = key, .list = how

static const struct route routes[] = {
	{ GET("/metrics"), .access = PUBLIC, .fn = metrics },
	{ GET("/api/v1/policy"), ROLE(READ), .query = " version ",
	  .fn = policy_get },
	{ .path = "/api/v1/policy", .method = "PUT", ROLE(OPERATOR),
	  .query = " expect ", .body_max = XM_POLICY_TEXT_MAX,
	  .fn = policy_put },
	{ GET("/api/v1/policy/history"), ROLE(READ),
	  LIST("versions", list_history) },
	{ .path = "/api/v1/policy/rollback", .method = "POST",
	  ROLE(OPERATOR), .body_max = BODY_MAX, .fn = policy_rollback },
	{ GET("/api/v1/agents"), ROLE(READ), LIST("agents", list_agents) },
	{ GET("/api/v1/audit"), ROLE(READ), LIST("entries", list_audit) },
	{ .path = "/api/v1/tokens", .method = "POST", ROLE(ADMIN),
	  .body_max = BODY_MAX, .fn = token_post },
	{ GET("/api/v1/agent/policy"), .access = AGENT,
	  .query = " since wait ", .fn = agent_policy },
	{ .path = "/api/v1/agent/report", .method = "POST", .access = AGENT,
	  .body_max = BODY_MAX, .fn = agent_report },
};

#undef GET
#undef ROLE
#undef LIST

#define N_ROUTES	(sizeof(routes) / sizeof(routes[0]))

struct query_check {
	const char *allowed;
	char unknown[48];
};

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	struct query_check *q = cls;
	char word[40];

	(void)kind;
	(void)value;
	snprintf(word, sizeof(word), " %.36s ", key);
	if (strlen(key) > 36 || !strstr(q->allowed, word)) {
		snprintf(q->unknown, sizeof(q->unknown), "%.40s", key);
		return MHD_NO;
	}
	return MHD_YES;
}

/*
 * The route of a request, checked before its body is read: its path and
 * method, the operator's token. NULL after answering (404, 405, 401,
 * 403, 413, 414), so that nothing is read from whoever may not send it.
 */
static const struct route *route_request(struct xm_ctl *c,
					 struct MHD_Connection *conn,
					 const char *url, const char *method,
					 struct req *q)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	const struct route *r = NULL;
	char allow[64] = "";
	size_t i;

	if (q->uri_too_long) {
		send_error(c, conn, 414, "path", "longer than %d bytes",
			   URI_MAX - 1);
		return NULL;
	}
	for (i = 0; i < N_ROUTES; i++) {
		if (strcmp(routes[i].path, url))
			continue;
		if (!strcmp(routes[i].method, method))
			r = &routes[i];
		snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow),
			 "%s%s", *allow ? ", " : "", routes[i].method);
	}
	if (!*allow) {
		send_error(c, conn, 404, "path", "no such resource");
		return NULL;
	}
	if (!r) {
		send_error(c, conn, 405, "method", "%.16s is not allowed here;"
			   " allowed: %s", method, allow);
		return NULL;
	}
	if (r->access == TOKEN && !authorized(c, conn, r->role, q->who))
		return NULL;
	if (r->access == AGENT) {
		/* Nothing is read from who does not even sign. */
		struct xm_agent_request ar = { 0 };

		agent_headers(conn, &ar);
		if (!ar.cert || !ar.time || !ar.nonce || !ar.sig) {
			count_auth(c, XM_AGENT_AUTH_MISSING);
			agent_refused(c, conn, XM_AGENT_AUTH_MISSING,
				      XM_CERT_OK, 0);
			return NULL;
		}
	}
	{
		struct query_check qc = { r->query ? r->query : "", "" };

		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND,
					  query_arg, &qc);
		if (qc.unknown[0]) {
			send_error(c, conn, 400, "query", "unknown parameter"
				   " \"%s\"; this takes:%s", qc.unknown,
				   r->query ? r->query : " none");
			return NULL;
		}
	}
	if (cl && strtoull(cl, NULL, 10) > r->body_max) {
		if (r->body_max)
			send_error(c, conn, 413, "body", "larger than %zu"
				   " bytes", r->body_max);
		else
			send_error(c, conn, 413, "body", "%s %s takes no body",
				   method, url);
		return NULL;
	}
	return r;
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct req *q = calloc(1, sizeof(*q));

	(void)cls;
	(void)conn;
	if (!q)
		return NULL;
	if (strlen(uri) >= sizeof(q->uri))
		q->uri_too_long = true;
	else
		strcpy(q->uri, uri);
	return q;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct xm_ctl *c = cls;
	struct req *q = *con_cls;

	(void)version;
	if (!q)
		return MHD_NO;
	if (!q->headers_seen) {
		/* The first call: headers only. */
		q->headers_seen = true;
		q->route = route_request(c, conn, url, method, q);
		q->answered = !q->route;
		return MHD_YES;
	}
	if (q->answered) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		char *b;

		if (q->too_large ||
		    q->len + *upload_size > q->route->body_max) {
			q->too_large = true;
			q->dropped += *upload_size;
			*upload_size = 0;
			if (q->dropped <= DROP_MAX)
				return MHD_YES;
			/* A body without end: answered (and the
			 * connection closed) now, not at its end. */
			q->answered = true;
			return send_error(c, conn, 413, "body", "larger than"
					  " %zu bytes", q->route->body_max);
		}
		b = realloc(q->body, q->len + *upload_size + 1);
		if (!b)
			return MHD_NO;
		memcpy(b + q->len, upload, *upload_size);
		q->body = b;
		q->len += *upload_size;
		q->body[q->len] = '\0';
		*upload_size = 0;
		return MHD_YES;
	}
	if (q->too_large)
		return send_error(c, conn, 413, "body", "larger than %zu bytes",
				  q->route->body_max);
	if (q->route->access == AGENT) {
		q->node = agent_authorized(c, conn, method, q);
		if (!q->node)
			return MHD_YES;
	}
	return q->route->fn(c, conn, q);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (q) {
		free(q->body);
		free(q);
		*con_cls = NULL;
	}
}

/* ---- start and stop ---- */

struct xm_ctl *xm_ctl_start(const struct xm_ctl_config *cfg, char *err,
			    size_t errlen)
{
	struct xm_ctl *c = calloc(1, sizeof(*c));
	uint8_t key[crypto_shorthash_KEYBYTES];
	const union MHD_DaemonInfo *info;
	/* poll(), not select(): more than FD_SETSIZE connections. */
	unsigned int flags = MHD_USE_POLL_INTERNAL_THREAD |
			     MHD_USE_THREAD_PER_CONNECTION;
	pthread_condattr_t ca;
	struct sockaddr_in sa;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->cfg = *cfg;
	randombytes_buf(key, sizeof(key));
	c->nonces = xm_agent_nonces_new(XM_AGENT_NONCES,
					XM_AGENT_NONCES_PER_NODE, key, now_s(c));
	if (!c->nonces) {
		snprintf(err, errlen, "out of memory");
		goto fail_alloc;
	}
	if (!xm_cert_text(&cfg->policy_cert, c->policy_cert_text,
			  sizeof(c->policy_cert_text))) {
		snprintf(err, errlen, "the policy certificate cannot be"
			 " written as text");
		goto fail_alloc;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(cfg->port);
	if (inet_pton(AF_INET, cfg->address ? cfg->address : "127.0.0.1",
		      &sa.sin_addr) != 1) {
		snprintf(err, errlen, "%s: not an IPv4 address", cfg->address);
		goto fail_alloc;
	}
	c->store = xm_store_open(cfg->db_path, err, errlen);
	if (!c->store)
		goto fail_alloc;
	c->version = xm_store_policy_current(c->store);
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->changed, &ca);
	pthread_condattr_destroy(&ca);
	if (cfg->tls_cert_pem)
		flags |= MHD_USE_TLS;
	c->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, c,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_URI_LOG_CALLBACK, uri_log, c,
		MHD_OPTION_NOTIFY_COMPLETED, completed, c,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)XM_CTL_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		cfg->per_address < 0 ? 0u : cfg->per_address ?
		(unsigned int)cfg->per_address : (unsigned int)XM_CTL_PER_ADDRESS,
		MHD_OPTION_CONNECTION_TIMEOUT, 2u * LONGPOLL_MAX,
		cfg->tls_cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
		cfg->tls_cert_pem,
		MHD_OPTION_HTTPS_MEM_KEY, cfg->tls_key_pem,
		MHD_OPTION_END);
	if (!c->mhd) {
		snprintf(err, errlen, "cannot listen on %s:%u%s",
			 cfg->address ? cfg->address : "127.0.0.1", cfg->port,
			 cfg->tls_cert_pem ? " with TLS" : "");
		goto fail_store;
	}
	info = MHD_get_daemon_info(c->mhd, MHD_DAEMON_INFO_BIND_PORT);
	c->port = info ? info->port : cfg->port;
	return c;
fail_store:
	pthread_cond_destroy(&c->changed);
	pthread_mutex_destroy(&c->lock);
	xm_store_close(c->store);
fail_alloc:
	sodium_memzero(c->cfg.policy_sk, sizeof(c->cfg.policy_sk));
	xm_agent_nonces_free(c->nonces);
	free(c);
	return NULL;
}

uint16_t xm_ctl_port(const struct xm_ctl *c)
{
	return c->port;
}

void xm_ctl_stop(struct xm_ctl *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_broadcast(&c->changed);
	pthread_mutex_unlock(&c->lock);
	MHD_stop_daemon(c->mhd);
	xm_store_close(c->store);
	pthread_cond_destroy(&c->changed);
	pthread_mutex_destroy(&c->lock);
	sodium_memzero(c->cfg.policy_sk, sizeof(c->cfg.policy_sk));
	xm_agent_nonces_free(c->nonces);
	free(c);
}
