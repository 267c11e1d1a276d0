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
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_auth.h"
#include "grow.h"
#include "hooks.h"
#include "metrics.h"
#include "policy.h"
#include "remediation.h"
#include "server.h"
#include "store.h"
#include "telemetry.h"
#include "web.h"
#include "wire.h"	/* xm_wire_name_valid(): token names */
#include "xmesh_qos.h"	/* xm_tclass_parse(): the series' class= */

#define BODY_MAX	(16 * 1024)	/* anything but a policy document */
#define URI_MAX		1024
/* A chunked body past its limit is read on (and dropped) up to this, to
 * answer 413 at its end; beyond, at once, closing the connection. */
#define DROP_MAX	(1024 * 1024)
#define JSON_DEPTH	8
#define LONGPOLL_MAX	60
#define CONN_IDLE_S	(2 * LONGPOLL_MAX)	/* libmicrohttpd's timeout */
#define LIST_LIMIT	100	/* entries of a list answer, by default */
#define LIST_LIMIT_MAX	1000
#define REMEDY_BATCH	64	/* decisions taken at one step */

/* The statuses the API answers with, for /metrics. */
static const unsigned int statuses[] = {
	200, 201, 204, 304, 400, 401, 403, 404, 405, 408, 409, 413, 414, 429,
	500, 503,
};
#define N_STATUSES	(sizeof(statuses) / sizeof(statuses[0]))

/* Agents' reports, by result. */
enum { TELE_OK, TELE_INVALID, TELE_STORE, TELE_RATE, TELE_RESULTS };
/* What reports carried that was not kept, by why: link events past a
 * report's XM_TELE_LINK_EVENTS_MAX, samples of links to peers that are
 * not nodes of the site. */
enum {
	TELE_DROP_EVENTS, TELE_DROP_PEER, TELE_DROP_AGENT_EVENTS, TELE_DROPS
};

/* Remediation log entries kept for the event streams: a stream further
 * behind skips to the oldest kept (the page re-reads the log when its
 * stream comes back; a stream reads as soon as a decision comes). */
#define REMEDY_SENT_MAX	64

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
	/* Telemetry (telemetry.h), under lock too. */
	struct xm_tele *tele;
	pthread_cond_t tele_changed;	/* an event, a report, or stopping */
	pthread_cond_t stop_wake;	/* stopping (the row counter's wait) */
	uint64_t tele_seq;		/* reports taken */
	int64_t last_event;		/* the newest event's id */
	unsigned int streams;		/* event streams open */
	/* The remediation log's entries as last logged or completed, as
	 * GET /api/v1/remediation/log gives them (JSON), for the streams:
	 * the newest remedy_seq - 1, in a ring of REMEDY_SENT_MAX. */
	char *remedy_sent[REMEDY_SENT_MAX];
	uint64_t remedy_seq;
	uint64_t tele_reports[TELE_RESULTS];
	uint64_t tele_dropped[TELE_DROPS];
	/* The site's nodes: every node id the store has an agent of (a
	 * signed request to any controller on it), sorted; a link's series
	 * are kept only if its peer is one. Added to at each signed request
	 * here, and from the store every KNOWN_EVERY_S. */
	uint32_t *known;
	size_t n_known, cap_known;
	/* Samples not yet stored: written in one transaction a second (a
	 * transaction per report would serialise the reports on the
	 * store's commits). */
	struct xm_tele_sample *samples;
	size_t n_samples, cap_samples;
	pthread_t housekeeper;
	bool housekeeping;
	/* The rows of the site's tables (-1: not counted yet), counted
	 * by a thread of their own on a connection of its own (a count
	 * scans the table: it must not hold the lock or the store), and how
	 * long the last count took. */
	long rows[XM_STORE_TABLES];
	int64_t rows_ms;
	pthread_t row_counter;
	bool row_counting;
	/* Remediation: the engine, its thread, the policy version it has
	 * the rules of, the decisions taken (by verdict, for /metrics). */
	struct xm_remedy *remedy;
	int64_t started;		/* silence before it is not seen */
	pthread_t remedy_thread;
	bool remedy_started;
	uint64_t remedy_version;
	bool remedy_restored;		/* the last hour's actions counted */
	uint64_t remedy_decisions[XM_REMEDY_VERDICTS];
	/* Whether this controller runs the engine (xm_store_remedy_lead()),
	 * and how often that changed. */
	bool remedy_lead;
	uint64_t remedy_lead_changes;
	/* New targets refused at the cap by the engines before this one
	 * (each lead taken over starts a new one). */
	uint64_t remedy_refused_before;
	/* On PostgreSQL: the thread that notices versions other
	 * controllers made. */
	pthread_t version_watcher;
	bool version_watching;
	/* The nodes in a long poll now, each with its count: heard from
	 * now, for the unreachable rules. */
	struct polling { uint32_t node; unsigned int n; } *polling;
	size_t n_polling, cap_polling;
	/* Sites (Documentation/controller.md, "Sites"): each site is one
	 * of these, with its store handle, keys, telemetry and engine; the
	 * default site's listens and holds the others, which it hands the
	 * requests under /api/v1/sites/NAME/. */
	char site[XM_SITE_NAME_MAX];
	struct xm_ctl *front;		/* the default site's */
	struct xm_ctl *sites[XM_CTL_SITES_MAX];	/* in front: the others */
	size_t n_sites;
	/* In front only, under conn_lock: the connections open, by
	 * address, and those refused at the limits (accept_policy()); the
	 * bytes of request bodies taken in (body_reserve()), in all, by
	 * address (body) and by node id (only those holding some), and the
	 * bodies refused, by the limit reached. */
	pthread_mutex_t conn_lock;
	struct conn_addr {
		uint32_t addr;
		unsigned int n;
		size_t body;
	} *conn_addrs;
	size_t n_conn_addrs, cap_conn_addrs;
	unsigned int connections;
	uint64_t conns_refused[XM_CTL_CONN_REFUSED];
	size_t body_bytes;
	struct body_node { uint32_t node; size_t bytes; } *body_nodes;
	size_t n_body_nodes, cap_body_nodes;
	uint64_t bodies_refused[XM_CTL_BODY_REFUSED];
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
	bool prefix;			/* path is a prefix: PATH{arg}, as /nodes/ID */
	const char *query;		/* the parameters it takes, " a b " */
	size_t body_max;
	enum MHD_Result (*fn)(struct xm_ctl *c, struct MHD_Connection *conn,
			      const struct req *q);
	/* A list from the store (fn send_list): its key in the answer,
	 * how a page of it is read, and its cursor's query parameter. */
	const char *list_key;
	int (*list)(struct xm_ctl *c, json_object *a, int64_t cursor,
		    size_t limit, int64_t *next);
	const char *cursor;
};

/* One request: its raw URI (query included, as the agent signed it), its
 * route, who sent it, its body. */
struct req {
	char uri[URI_MAX];
	bool uri_too_long;
	bool headers_seen;		/* the first call is over */
	bool answered;			/* at the headers: drop the body */
	const struct route *route;
	struct xm_ctl *site;		/* its site (NULL: not known yet) */
	char path[URI_MAX];		/* a site's path, as the default's */
	char arg[XM_STORE_NAME_MAX];	/* a prefix route's last segment */
	char who[XM_STORE_NAME_MAX];	/* the operator token's name */
	uint32_t node;			/* the agent's node id */
	struct xm_agent_signed agent;	/* its headers, verified */
	size_t len;
	bool too_large;
	size_t dropped;			/* read past the limit */
	size_t reserved;		/* of the body budget */
	uint32_t addr;			/* the client's, whose share it is */
	uint32_t body_node;		/* an agent's node id, whose too */
	int64_t body_deadline;		/* monotonic ms; 0: none */
	char *body;
};


static int64_t now_s(const struct xm_ctl *c)
{
	return c->cfg.now ? c->cfg.now() : (int64_t)time(NULL);
}

/* ---- answers ---- */

/* Counted on the default site's (/metrics: the controller's requests). */
static void count_status(struct xm_ctl *c, unsigned int status)
{
	size_t i;

	c = c->front;
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
 * The role on c's site of the token in h ("Bearer TOKEN"), and its name:
 * XM_ROLE_NONE with why if there is none.
 */
static enum xm_role token_role(struct xm_ctl *c, const char *h,
			       char name[XM_STORE_NAME_MAX], const char **why)
{
	uint8_t hash[32];
	enum xm_role role;
	size_t i;

	*why = "expected Bearer and a token of 64 hex digits";
	if (!h) {
		*why = "an API token is required: Bearer TOKEN";
		return XM_ROLE_NONE;
	}
	if (strncmp(h, "Bearer ", 7) || strlen(h + 7) != 64)
		return XM_ROLE_NONE;
	for (i = 7; i < 71; i++)
		if (!strchr("0123456789abcdef", h[i]))
			return XM_ROLE_NONE;
	xm_token_hash(h + 7, hash);
	pthread_mutex_lock(&c->lock);
	role = xm_store_token_role(c->store, hash, name);
	pthread_mutex_unlock(&c->lock);
	*why = c == c->front ? "unknown token" : "unknown token on this site";
	return role;
}

/*
 * The caller's role and name from "Authorization: Bearer TOKEN": at least
 * need, or answered (401: no or unknown token, 403: a lesser role).
 */
static bool authorized_value(struct xm_ctl *c, struct MHD_Connection *conn,
			     const char *h, enum xm_role need,
			     char name[XM_STORE_NAME_MAX])
{
	const char *why;
	enum xm_role role = token_role(c, h, name, &why);

	if (role == XM_ROLE_NONE) {
		send_error(c, conn, 401, "header Authorization", "%s", why);
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

static bool authorized(struct xm_ctl *c, struct MHD_Connection *conn,
		       enum xm_role need, char name[XM_STORE_NAME_MAX])
{
	return authorized_value(c, conn,
				MHD_lookup_connection_value(conn,
					MHD_HEADER_KIND,
					MHD_HTTP_HEADER_AUTHORIZATION),
				need, name);
}

static void tele_policy_event(struct xm_ctl *c, uint64_t version,
			      const char *author, uint64_t rollback_of);

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
 * The store's current version, which another controller on the store may
 * have moved: the agents waiting woken when it did. Under c->lock.
 */
static void version_refresh(struct xm_ctl *c)
{
	uint64_t v = xm_store_policy_current(c->store);

	if (v > c->version) {
		c->version = v;
		pthread_cond_broadcast(&c->changed);
	}
}

/*
 * Store text as the next version (validated and tested already), under
 * c->lock, and wake the agents waiting: 0 and its number in *v, or -1.
 */
static int store_version(struct xm_ctl *c, const char *text, size_t len,
			 const char *author, uint64_t rollback_of,
			 uint64_t *v)
{
	if (xm_store_policy_add(c->store, text, len, author, now_s(c),
				rollback_of, sign_cb, c, v))
		return -1;
	c->version = *v;
	pthread_cond_broadcast(&c->changed);
	tele_policy_event(c, *v, author, rollback_of);
	return 0;
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
	if (c->version_watching)
		version_refresh(c);	/* made by another controller? */
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
		rc = store_version(c, text, len, author, rollback_of, &v);
		changed = !rc;
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
	/* The last version it could not apply, and why (until it applies
	 * one). */
	if (r->error[0]) {
		json_object_object_add(e, "error",
				       json_object_new_string(r->error));
		json_object_object_add(e, "error_time",
				       json_object_new_int64(r->error_time));
	}
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

/*
 * GET a page of a list from the store into {key: [...], "next": N}: at
 * most ?limit entries (LIST_LIMIT, at most LIST_LIMIT_MAX) from the
 * route's cursor parameter; "next" is the cursor of the next page, absent
 * after the last.
 */
static enum MHD_Result send_list(struct xm_ctl *c, struct MHD_Connection *conn,
				 const struct req *q)
{
	const char *key = q->route->list_key;
	uint64_t limit = LIST_LIMIT, cursor = 0;
	json_object *a, *j;
	int64_t next = 0;
	uint64_t version;
	int rc;

	rc = uint_arg(c, conn, NULL, "limit", LIST_LIMIT_MAX, &limit);
	if (rc < 0)
		return MHD_YES;
	if (!rc && !limit)
		return send_error(c, conn, 400, "query limit", "expected an"
				  " integer 1 to %d", LIST_LIMIT_MAX);
	if (uint_arg(c, conn, NULL, q->route->cursor, INT64_MAX, &cursor) < 0)
		return MHD_YES;
	a = json_object_new_array();
	pthread_mutex_lock(&c->lock);
	rc = q->route->list(c, a, (int64_t)cursor, (size_t)limit, &next);
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
	if (next)
		json_object_object_add(j, "next", json_object_new_int64(next));
	return send_json(c, conn, 200, j);
}

static int list_history(struct xm_ctl *c, json_object *a, int64_t cursor,
			size_t limit, int64_t *next)
{
	return xm_store_history_page(c->store, cursor, limit, history_cb, a,
				     next);
}

static int list_agents(struct xm_ctl *c, json_object *a, int64_t cursor,
		       size_t limit, int64_t *next)
{
	struct agents_arg arg = { a, c->version, 0 };

	return xm_store_agent_page(c->store, cursor, limit, agents_cb, &arg,
				   next);
}

static int list_audit(struct xm_ctl *c, json_object *a, int64_t cursor,
		      size_t limit, int64_t *next)
{
	return xm_store_audit_page(c->store, cursor, limit, audit_cb, a, next);
}

static int remedy_cb(void *arg, const struct xm_remedy_rec *r)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "id", json_object_new_int64(r->id));
	json_object_object_add(e, "time", json_object_new_int64(r->time));
	json_object_object_add(e, "rule", json_object_new_string(r->rule));
	json_object_object_add(e, "verdict",
			       json_object_new_string(r->verdict));
	json_object_object_add(e, "action", json_object_new_string(r->action));
	json_object_object_add(e, "node", json_object_new_int64(r->node));
	json_object_object_add(e, "peer", json_object_new_int64(r->peer));
	json_object_object_add(e, "value", json_object_new_double(r->value));
	json_object_object_add(e, "tries", json_object_new_int64(r->tries));
	json_object_object_add(e, "detail", json_object_new_string(r->detail));
	json_object_object_add(e, "outcome",
			       json_object_new_string(r->outcome));
	json_object_object_add(e, "outcome_time",
			       json_object_new_int64(r->outcome_time));
	json_object_array_add(arg, e);
	return 0;
}

static int list_remedy(struct xm_ctl *c, json_object *a, int64_t cursor,
		       size_t limit, int64_t *next)
{
	return xm_store_remedy_page(c->store, cursor, limit, remedy_cb, a,
				    next);
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

/* DELETE /api/v1/tokens/{name}: every token of that name, at once (the
 * next request with one is refused: tokens are looked up per request). */
static enum MHD_Result token_delete(struct xm_ctl *c,
				    struct MHD_Connection *conn,
				    const struct req *q)
{
	json_object *j;
	int n;

	if (!xm_wire_name_valid(q->arg, false))
		return send_error(c, conn, 400, "path", "expected a token"
				  " name: 1 to 31 printable characters"
				  " without blanks");
	pthread_mutex_lock(&c->lock);
	n = xm_store_token_revoke(c->store, q->arg, q->who, now_s(c));
	pthread_mutex_unlock(&c->lock);
	if (n < 0)
		return send_error(c, conn, 500, "store", "cannot revoke the"
				  " token");
	if (!n)
		return send_error(c, conn, 404, "path", "no token named"
				  " \"%s\"", q->arg);
	j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(q->arg));
	json_object_object_add(j, "revoked", json_object_new_int(n));
	return send_json(c, conn, 200, j);
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

/* Count an agent's request checked, a (on the default site's, as the
 * statuses). */
static void count_auth(struct xm_ctl *c, enum xm_agent_auth a)
{
	c = c->front;
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
			   "the certificate is refused: %s (site %s takes"
			   " its own authority's)", xm_cert_reason_text(why),
			   c->site);
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

/* ---- the site's nodes ---- */

#define KNOWN_EVERY_S	10

/* Where node is, or goes, in c->known. Under c->lock. */
static size_t known_index(const struct xm_ctl *c, uint32_t node)
{
	size_t lo = 0, hi = c->n_known;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->known[mid] < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool known(const struct xm_ctl *c, uint32_t node)
{
	size_t i = known_index(c, node);

	return i < c->n_known && c->known[i] == node;
}

/* node is the site's (it made a signed request). Under c->lock. */
static void known_add(struct xm_ctl *c, uint32_t node)
{
	size_t i = known_index(c, node);

	if ((i < c->n_known && c->known[i] == node) ||
	    xm_ctl_grow((void **)&c->known, &c->cap_known, c->n_known + 1,
			sizeof(*c->known)))
		return;		/* out of memory: its links' series wait */
	memmove(&c->known[i + 1], &c->known[i],
		(c->n_known - i) * sizeof(*c->known));
	c->known[i] = node;
	c->n_known++;
}

static int known_cb(void *arg, const struct xm_agent_rec *r)
{
	known_add(arg, r->node_id);
	return 0;
}

/* The nodes the store knows (those that checked in with another
 * controller too). Under c->lock. */
static void known_load(struct xm_ctl *c)
{
	xm_store_agent_list(c->store, known_cb, c);
}

/* Check an agent's signed request: its node id, or 0 after answering. */
static uint32_t agent_authorized(struct xm_ctl *c, struct MHD_Connection *conn,
				 const char *method, const struct req *q)
{
	struct xm_agent_request r = {
		.method = method, .path = q->uri,
		.body = q->body ? q->body : "", .body_len = q->len,
	};
	const struct xm_cert *cert = &q->agent.cert;
	struct xm_agent_seen seen;
	enum xm_agent_auth a;
	int64_t now = now_s(c);

	/* Its headers were verified before its body was read
	 * (route_request()): the signature over the body now, outside the
	 * lock (agents verify in parallel). */
	a = xm_agent_auth_body(&r, &q->agent, now, &seen);
	pthread_mutex_lock(&c->lock);
	if (!a)
		a = xm_agent_auth_remember(c->nonces, &seen, now);
	if (!a) {
		xm_store_agent_seen(c->store, cert->node_id, now, 0);
		known_add(c, cert->node_id);
	}
	pthread_mutex_unlock(&c->lock);
	count_auth(c, a);
	if (!a)
		return cert->node_id;
	agent_refused(c, conn, a, XM_CERT_OK, a == XM_AGENT_AUTH_QUOTA ?
		      cert->node_id : 0);
	return 0;
}

static struct timespec deadline_in(unsigned int s)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += s;
	return t;
}

/* Count node in (+1) or out (-1) of a long poll, under c->lock. */
static void polling_count(struct xm_ctl *c, uint32_t node, int d)
{
	size_t i;

	for (i = 0; i < c->n_polling && c->polling[i].node != node; i++)
		;
	if (i == c->n_polling) {
		if (d < 0)
			return;
		if (xm_ctl_grow((void **)&c->polling, &c->cap_polling,
				c->n_polling + 1, sizeof(*c->polling)))
			return;	/* the store's last_seen still says */
		c->polling[c->n_polling++] = (struct polling){ node, 0 };
	}
	if (d > 0)
		c->polling[i].n++;
	else if (!--c->polling[i].n)
		c->polling[i] = c->polling[--c->n_polling];
}

static bool polling(const struct xm_ctl *c, uint32_t node)
{
	size_t i;

	for (i = 0; i < c->n_polling; i++)
		if (c->polling[i].node == node)
			return true;
	return false;
}

/* Whether the client of conn hung up (an agent killed in a long poll). */
static bool client_gone(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct pollfd p = { .events = POLLRDHUP };

	if (!ci)
		return false;
	p.fd = ci->connect_fd;
	return poll(&p, 1, 0) > 0 &&
	       (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * GET /api/v1/agent/policy?since=V&wait=S: the current version once it
 * is above since, or 204 after S seconds. A waiting agent counts as heard
 * from; the wait looks every second whether it hung up, so that an agent
 * that died is known within a second (the unreachable rules).
 */
static enum MHD_Result agent_policy(struct xm_ctl *c,
				    struct MHD_Connection *conn,
				    const struct req *q)
{
	unsigned int max = c->cfg.longpoll_max_s ? c->cfg.longpoll_max_s :
			   LONGPOLL_MAX;
	uint64_t since = 0, wait = max;
	struct timespec deadline;
	bool gone = false;
	uint64_t v;

	if (uint_arg(c, conn, NULL, "since", UINT32_MAX, &since) < 0 ||
	    uint_arg(c, conn, NULL, "wait", max, &wait) < 0)
		return MHD_YES;
	deadline = deadline_in((unsigned int)wait);
	pthread_mutex_lock(&c->lock);
	if (c->version_watching)
		version_refresh(c);	/* made by another controller? */
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
	polling_count(c, q->node, 1);
	while (c->version <= since && !c->stopping && !gone) {
		struct timespec slice = deadline_in(1);

		if (!ts_before(&slice, &deadline))
			slice = deadline;
		if (pthread_cond_timedwait(&c->changed, &c->lock, &slice) ==
		    ETIMEDOUT && !ts_before(&slice, &deadline))
			break;
		gone = client_gone(conn);
	}
	polling_count(c, q->node, -1);
	/* There until now. */
	xm_store_agent_seen(c->store, q->node, now_s(c), 0);
	c->waiting--;
	v = c->version;
	pthread_mutex_unlock(&c->lock);
	if (gone)
		return MHD_NO;
	if (v <= since)
		return send_text(c, conn, 204, NULL, "", 0);
	return send_policy(c, conn, v);
}

/*
 * POST /api/v1/agent/report {"policy_version": V[, "error": "why"]}: an
 * error is a version the agent could not apply (Documentation/policy.md),
 * kept as the agent's last error (GET /api/v1/agents, until a report
 * without one) and in the audit log as the node's "agent.policy_error".
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
	if (!rc) {
		/* Audited when it changes: not once a report while it
		 * lasts. */
		int changed = xm_store_agent_error(c->store, node, now_s(c),
						   error);

		rc = changed < 0 ? -1 : 0;
		if (changed > 0 && error[0])
			rc = xm_store_audit_add(c->store, now_s(c), actor,
						"agent.policy_error", error);
	}
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

/* ---- telemetry (telemetry.h; Documentation/controller.md, "Telemetry") ---- */

/* Refused reports, by reason, for /metrics. */
static const char *const tele_results[] = {
	[TELE_OK] = "ok", [TELE_INVALID] = "invalid", [TELE_STORE] = "store",
	[TELE_RATE] = "rate",
};

static const char *const tele_drops[] = {
	[TELE_DROP_EVENTS] = "link_events", [TELE_DROP_PEER] = "peer_samples",
	[TELE_DROP_AGENT_EVENTS] = "agent_events",
};

/* The samples of v[0..n) a series is kept of: not those of a link to a
 * peer that is no node of the site (made-up peers would each make
 * series, stored for 90 days), counted; a class's peer is its number,
 * no node. Their number. Under c->lock. */
static size_t samples_of_known(struct xm_ctl *c, struct xm_tele_sample *v,
			       size_t n)
{
	size_t i, k;

	for (i = k = 0; i < n; i++)
		if (!xm_tele_metric_per_link(v[i].metric) ||
		    known(c, v[i].peer))
			v[k++] = v[i];
	c->tele_dropped[TELE_DROP_PEER] += n - k;
	return k;
}

/* Store events (their ids set) and wake the streams. Under c->lock. */
static void tele_events_store(struct xm_ctl *c, struct xm_tele_events *ev)
{
	/* In one transaction: a report's link events are one commit, not
	 * one each under the site's lock. */
	if (ev->n && !xm_store_events_add(c->store, ev->ev, ev->n,
					  &c->last_event))
		pthread_cond_broadcast(&c->tele_changed);
}

/* A policy version was made: its event. Under c->lock. */
static void tele_policy_event(struct xm_ctl *c, uint64_t version,
			      const char *author, uint64_t rollback_of)
{
	struct xm_tele_event e = {
		.time = now_s(c), .kind = XM_TELE_EV_POLICY,
	};
	struct xm_tele_events ev = { .ev = &e, .n = 1, .cap = 1 };

	if (rollback_of)
		snprintf(e.detail, sizeof(e.detail), "version %llu by %s"
			 " restores version %llu",
			 (unsigned long long)version, author,
			 (unsigned long long)rollback_of);
	else
		snprintf(e.detail, sizeof(e.detail), "version %llu by %s",
			 (unsigned long long)version, author);
	tele_events_store(c, &ev);
}

/*
 * When a report's samples are stored: the agent's own time of it, when
 * that is near the controller's (a report buffered through a failover
 * belongs minutes back, and a report sent again because its answer was
 * lost then repeats its samples exactly, which the store keeps once);
 * else the controller's time.
 */
#define REPORT_AHEAD_S	60
#define REPORT_BEHIND_S	600

static int64_t report_time(const struct xm_tele_report *r, int64_t now)
{
	if (r->time <= now + REPORT_AHEAD_S &&
	    r->time + REPORT_BEHIND_S >= now)
		return r->time;
	return now;
}

/* Keep n samples for the next flush: 0, or -1 (too many waiting, or out
 * of memory: they are dropped). Under c->lock. */
#define SAMPLES_PENDING_MAX	(1024 * 1024)

static int samples_queue(struct xm_ctl *c, const struct xm_tele_sample *v,
			 size_t n)
{
	if (c->n_samples + n > SAMPLES_PENDING_MAX ||
	    xm_ctl_grow((void **)&c->samples, &c->cap_samples,
			c->n_samples + n, sizeof(*c->samples)))
		return -1;
	memcpy(c->samples + c->n_samples, v, n * sizeof(*v));
	c->n_samples += n;
	return 0;
}

/* Store the samples waiting (at the time of the flush). Under c->lock. */
static void samples_flush(struct xm_ctl *c)
{
	if (c->n_samples &&
	    xm_store_samples_add(c->store, now_s(c), c->samples, c->n_samples))
		c->tele_reports[TELE_STORE]++;
	c->n_samples = 0;
}

/* POST /api/v1/agent/telemetry: a report. */
static void remedy_feed(struct xm_ctl *c, const struct xm_tele_node *x,
			int64_t now);

static enum MHD_Result agent_telemetry(struct xm_ctl *c,
				       struct MHD_Connection *conn,
				       const struct req *q)
{
	struct xm_tele_sample *samples;
	struct xm_tele_events ev = { 0 };
	struct xm_tele_report r;
	struct xm_policy_error err;
	const struct xm_tele_node *x;
	int64_t now = now_s(c);
	bool want_routes;
	json_object *j;
	size_t n = 0;
	int rc;

	/* Its rate, before its body is even parsed. */
	pthread_mutex_lock(&c->lock);
	rc = !xm_tele_rate_take(c->tele, q->node, now);
	if (rc)
		c->tele_reports[TELE_RATE]++;
	pthread_mutex_unlock(&c->lock);
	if (rc)
		return send_error(c, conn, 429, "body", "node %u sent more"
				  " than %d reports in a burst, or above one"
				  " per half its interval: retry later",
				  q->node, XM_TELE_RATE_BURST);
	if (xm_tele_report_parse(q->body ? q->body : "", q->len, &r, &err)) {
		xm_tele_report_free(&r);
		pthread_mutex_lock(&c->lock);
		c->tele_reports[TELE_INVALID]++;
		pthread_mutex_unlock(&c->lock);
		return send_error(c, conn, 400, err.location, "%s",
				  err.reason);
	}
	/* A node's samples: 165 kB at most, not on a thread's stack. */
	samples = malloc(XM_TELE_SAMPLES_MAX * sizeof(*samples));
	if (!samples) {
		xm_tele_report_free(&r);
		return send_error(c, conn, 500, "store", "out of memory");
	}
	pthread_mutex_lock(&c->lock);
	/* Its routes "unchanged" from a table this controller does not
	 * keep (it restarted): asked for in the answer. */
	want_routes = r.routes_unchanged &&
		      !xm_tele_routes_known(c->tele, q->node);
	rc = xm_tele_ingest(c->tele, q->node, &r, now, &ev);
	if (!rc) {
		x = xm_tele_find(c->tele, q->node);
		n = xm_tele_samples(x, samples, XM_TELE_SAMPLES_MAX);
		n = samples_of_known(c, samples, n);
		c->tele_dropped[TELE_DROP_EVENTS] += ev.dropped;
		c->tele_dropped[TELE_DROP_AGENT_EVENTS] += ev.agent_lost;
		for (size_t i = 0; i < n; i++)
			samples[i].time = report_time(&x->r, now);
		rc = samples_queue(c, samples, n);
		remedy_feed(c, x, now);
		tele_events_store(c, &ev);
		c->tele_seq++;
		pthread_cond_broadcast(&c->tele_changed);
	}
	c->tele_reports[rc ? TELE_STORE : TELE_OK]++;
	pthread_mutex_unlock(&c->lock);
	free(samples);
	xm_tele_events_free(&ev);
	xm_tele_report_free(&r);
	if (rc)
		return send_error(c, conn, 500, "store", "cannot keep the"
				  " report");
	j = json_object_new_object();
	json_object_object_add(j, "node", json_object_new_int64(q->node));
	json_object_object_add(j, "time", json_object_new_int64(now));
	if (want_routes)
		json_object_object_add(j, "routes_wanted",
				       json_object_new_boolean(true));
	return send_json(c, conn, 200, j);
}

static json_object *caps_json(const struct xm_tele_caps *k)
{
	json_object *o = json_object_new_object();

#define CAP(m) \
	if (k->have_##m) \
		json_object_object_add(o, #m, json_object_new_uint64(k->m));
	CAP(cores)
	CAP(mem_total)
	CAP(mem_free)
	CAP(storage_free)
#undef CAP
	if (k->have_load)
		json_object_object_add(o, "load",
				       json_object_new_double(k->load));
	return o;
}

/* A node as /topology shows it. */
static json_object *tele_node_json(const struct xm_tele_node *x, int64_t now)
{
	json_object *o = json_object_new_object(), *roles;
	size_t i;

	json_object_object_add(o, "node", json_object_new_int64(x->id));
	json_object_object_add(o, "name", json_object_new_string(x->r.name));
	json_object_object_add(o, "zone", json_object_new_string(x->r.zone));
	roles = json_object_new_array();
	for (i = 0; i < x->r.n_roles; i++)
		json_object_array_add(roles,
				      json_object_new_string(x->r.roles[i]));
	json_object_object_add(o, "roles", roles);
	json_object_object_add(o, "health", json_object_new_string(
		xm_tele_health_name(xm_tele_health(x->last_seen,
						   x->r.interval, now))));
	json_object_object_add(o, "last_seen",
			       json_object_new_int64(x->last_seen));
	json_object_object_add(o, "interval",
			       json_object_new_int64(x->r.interval));
	json_object_object_add(o, "policy_version",
			       json_object_new_uint64(x->r.policy_version));
	json_object_object_add(o, "caps", caps_json(&x->r.caps));
	json_object_object_add(o, "tx_bps", json_object_new_double(x->tx_bps));
	json_object_object_add(o, "rx_bps", json_object_new_double(x->rx_bps));
	json_object_object_add(o, "drops_per_s",
			       json_object_new_double(x->drops_per_s));
	return o;
}

/* A link as /topology shows it: down with its node. */
static json_object *tele_link_json(const struct xm_tele_node *x,
				   const struct xm_tele_link *l, int64_t now)
{
	json_object *o = json_object_new_object();
	bool up = l->up && xm_tele_health(x->last_seen, x->r.interval, now) !=
		  XM_TELE_DOWN;
	double tx_bps, util;
	bool own;

	json_object_object_add(o, "from", json_object_new_int64(x->id));
	json_object_object_add(o, "to", json_object_new_int64(l->peer));
	json_object_object_add(o, "ifname", json_object_new_string(l->ifname));
	json_object_object_add(o, "state",
			       json_object_new_string(up ? "up" : "down"));
	json_object_object_add(o, "rtt_us", json_object_new_uint64(l->rtt_us));
	json_object_object_add(o, "jitter_us",
			       json_object_new_uint64(l->jitter_us));
	json_object_object_add(o, "loss_ppm",
			       json_object_new_uint64(l->loss_ppm));
	json_object_object_add(o, "metric", json_object_new_uint64(l->metric));
	json_object_object_add(o, "bandwidth_kbps",
			       json_object_new_uint64(l->bandwidth_kbps));
	/* The link's own rate from its counters; an agent that sends none
	 * (before per-link counters): the node's, and "utilization_from"
	 * says so. */
	xm_tele_link_rate(x, l, &tx_bps, &util, &own);
	json_object_object_add(o, "tx_bps", json_object_new_double(tx_bps));
	json_object_object_add(o, "rx_bps", json_object_new_double(
		own && l->have_rates ? l->rx_bps : 0));
	json_object_object_add(o, "utilization", json_object_new_double(util));
	json_object_object_add(o, "utilization_from", json_object_new_string(
		own ? "link" : "node"));
	return o;
}

/* GET /api/v1/topology */
static enum MHD_Result topology(struct xm_ctl *c, struct MHD_Connection *conn,
				const struct req *q)
{
	json_object *j = json_object_new_object(), *nodes, *links;
	int64_t now = now_s(c);
	size_t i, k;

	(void)q;
	nodes = json_object_new_array();
	links = json_object_new_array();
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < xm_tele_count(c->tele); i++) {
		const struct xm_tele_node *x = xm_tele_at(c->tele, i);

		json_object_array_add(nodes, tele_node_json(x, now));
		for (k = 0; k < x->r.n_links; k++)
			json_object_array_add(links, tele_link_json(x,
						&x->r.links[k], now));
	}
	pthread_mutex_unlock(&c->lock);
	json_object_object_add(j, "time", json_object_new_int64(now));
	json_object_object_add(j, "nodes", nodes);
	json_object_object_add(j, "links", links);
	return send_json(c, conn, 200, j);
}

/* A node id in text: 0 if it is none. */
static uint32_t node_id_parse(const char *s)
{
	unsigned long long n;
	char *end;

	if (*s < '1' || *s > '9' || strlen(s) > 10)
		return 0;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (*end || errno || n > UINT32_MAX)
		return 0;
	return (uint32_t)n;
}

/* GET /api/v1/nodes/ID: the node as /topology shows it, its links,
 * routes and counters in "report". */
static enum MHD_Result node_get(struct xm_ctl *c, struct MHD_Connection *conn,
				const struct req *q)
{
	const struct xm_tele_node *x;
	json_object *j, *rep, *a, *o, *cnt, *drops;
	int64_t now = now_s(c);
	uint32_t node;
	size_t i;

	node = node_id_parse(q->arg);
	if (!node)
		return send_error(c, conn, 400, "path", "expected a node id 1"
				  " to 4294967295 after /api/v1/nodes/");
	pthread_mutex_lock(&c->lock);
	x = xm_tele_find(c->tele, node);
	if (!x) {
		pthread_mutex_unlock(&c->lock);
		return send_error(c, conn, 404, "path", "node %u has not"
				  " reported", node);
	}
	j = tele_node_json(x, now);
	rep = json_object_new_object();
	json_object_object_add(rep, "time", json_object_new_int64(x->r.time));
	a = json_object_new_array();
	for (i = 0; i < x->r.n_links; i++) {
		const struct xm_tele_link *l = &x->r.links[i];

		o = tele_link_json(x, l, now);
		json_object_object_del(o, "from");
		json_object_object_del(o, "tx_bps");
		json_object_object_del(o, "rx_bps");
		json_object_object_del(o, "utilization");
		json_object_object_del(o, "utilization_from");
		json_object_object_del(o, "to");
		json_object_object_add(o, "peer",
				       json_object_new_int64(l->peer));
		json_object_object_add(o, "state", json_object_new_string(
			l->up ? "up" : "down"));
		/* The adjacency's own counters, as reported (none from an
		 * agent before them). */
		if (l->have_counters) {
#define LCNT(m) json_object_object_add(o, #m, json_object_new_uint64(l->m));
			LCNT(tx_packets)
			LCNT(tx_bytes)
			LCNT(rx_packets)
			LCNT(rx_bytes)
#undef LCNT
		}
		json_object_array_add(a, o);
	}
	json_object_object_add(rep, "links", a);
	/* The QoS classes' counters; absent if the agent reported none. */
	if (x->r.have_qos) {
		a = json_object_new_array();
		for (i = 0; i < x->r.n_qos; i++) {
			const struct xm_tele_class *k = &x->r.qos[i];

			o = json_object_new_object();
			json_object_object_add(o, "class",
					       json_object_new_string(k->name));
			json_object_object_add(o, "packets",
					       json_object_new_uint64(k->packets));
			json_object_object_add(o, "bytes",
					       json_object_new_uint64(k->bytes));
			json_object_object_add(o, "drops",
					       json_object_new_uint64(k->drops));
			json_object_object_add(o, "rate",
					       json_object_new_uint64(k->rate));
			json_object_array_add(a, o);
		}
		json_object_object_add(rep, "qos", a);
	}
	cnt = json_object_new_object();
#define CNT(m) json_object_object_add(cnt, #m, \
				      json_object_new_uint64(x->r.counters.m));
	CNT(tx_packets)
	CNT(tx_bytes)
	CNT(rx_packets)
	CNT(rx_bytes)
	CNT(forwarded_packets)
	CNT(forwarded_bytes)
#undef CNT
	drops = json_object_new_object();
	for (i = 0; i < x->r.counters.n_drops; i++)
		json_object_object_add(drops, x->r.counters.drops[i].reason,
			json_object_new_uint64(x->r.counters.drops[i].count));
	json_object_object_add(cnt, "drops", drops);
	json_object_object_add(rep, "counters", cnt);
	a = json_object_new_array();
	for (i = 0; i < x->r.n_routes; i++) {
		const struct xm_tele_route *r = &x->r.routes[i];

		o = json_object_new_object();
		json_object_object_add(o, "node", json_object_new_int64(r->node));
		json_object_object_add(o, "via", json_object_new_int64(r->via));
		json_object_object_add(o, "metric",
				       json_object_new_uint64(r->metric));
		json_object_object_add(o, "hops", json_object_new_int64(r->hops));
		json_object_array_add(a, o);
	}
	json_object_object_add(rep, "routes", a);
	pthread_mutex_unlock(&c->lock);
	json_object_object_add(j, "report", rep);
	return send_json(c, conn, 200, j);
}

#define SERIES_MAX	10000

static int series_cb(void *arg, int64_t t, double v)
{
	json_object *p = json_object_new_array();

	json_object_array_add(p, json_object_new_int64(t));
	json_object_array_add(p, json_object_new_double(v));
	json_object_array_add(arg, p);
	return 0;
}

/* A required query parameter that is a node id: 0 after answering. */
static uint32_t node_arg(struct xm_ctl *c, struct MHD_Connection *conn,
			 const char *name)
{
	uint64_t v = 0;
	int rc = uint_arg(c, conn, NULL, name, UINT32_MAX, &v);

	if (rc < 0)
		return 0;
	if (rc > 0 || !v) {
		char loc[32];

		snprintf(loc, sizeof(loc), "query %s", name);
		send_error(c, conn, 400, loc, "a node id 1 to 4294967295 is"
			   " required");
		return 0;
	}
	return (uint32_t)v;
}

/* GET /api/v1/telemetry/series?node=N[&peer=M|&class=C]&metric=NAME... */
static enum MHD_Result series(struct xm_ctl *c, struct MHD_Connection *conn,
			      const struct req *q)
{
	const char *name = MHD_lookup_connection_value(conn,
						       MHD_GET_ARGUMENT_KIND,
						       "metric");
	int64_t now = now_s(c);
	uint64_t since = 0, until = 0;
	enum xm_tele_metric m;
	uint32_t node, peer = 0;
	unsigned int tier;
	const char *cls;
	json_object *j, *pts;
	int rc;

	(void)q;
	node = node_arg(c, conn, "node");
	if (!node)
		return MHD_YES;
	if (!name || xm_tele_metric_parse(name, &m))
		return send_error(c, conn, 400, "query metric", "expected one"
				  " of rtt_us, loss_ppm, link_tx_bps,"
				  " link_rx_bps, utilization (a link's),"
				  " tx_bps, rx_bps, drops_per_s, load (a"
				  " node's), class_packets_per_s, class_bps,"
				  " class_drops_per_s (a class's)");
	cls = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
					  "class");
	if (xm_tele_metric_per_link(m)) {
		peer = node_arg(c, conn, "peer");
		if (!peer)
			return MHD_YES;
	} else if (MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
					       "peer")) {
		return send_error(c, conn, 400, "query peer", "%s is not a"
				  " link's metric: no peer", name);
	}
	if (xm_tele_metric_per_class(m)) {
		/* The class's number stands in the series' peer. */
		int tc = cls ? xm_tclass_parse(cls) : -1;

		if (tc < 0)
			return send_error(c, conn, 400, "query class", "%s is"
					  " a class's metric: class=bulk,"
					  " interactive, realtime or"
					  " network-control is required",
					  name);
		peer = (uint32_t)tc;
	} else if (cls) {
		return send_error(c, conn, 400, "query class", "%s is not a"
				  " class's metric: no class", name);
	}
	if ((rc = uint_arg(c, conn, NULL, "since", INT64_MAX, &since)) < 0)
		return MHD_YES;
	if (rc)
		since = (uint64_t)(now - 3600);
	if ((rc = uint_arg(c, conn, NULL, "until", INT64_MAX, &until)) < 0)
		return MHD_YES;
	if (rc)
		until = (uint64_t)now;
	if (until < since)
		return send_error(c, conn, 400, "query until", "before since");
	tier = xm_tele_series_tier(&c->cfg.retention, (int64_t)since, now);
	pts = json_object_new_array();
	pthread_mutex_lock(&c->lock);
	samples_flush(c);
	rc = xm_store_series(c->store, tier, node, peer, (int)m,
			     (int64_t)since, (int64_t)until, SERIES_MAX,
			     series_cb, pts);
	pthread_mutex_unlock(&c->lock);
	if (rc) {
		json_object_put(pts);
		return send_error(c, conn, 500, "store", "cannot read the"
				  " series");
	}
	j = json_object_new_object();
	json_object_object_add(j, "node", json_object_new_int64(node));
	if (xm_tele_metric_per_class(m))
		json_object_object_add(j, "class", json_object_new_string(
				       xm_tclass_name((uint8_t)peer)));
	else
		json_object_object_add(j, "peer", json_object_new_int64(peer));
	json_object_object_add(j, "metric", json_object_new_string(name));
	json_object_object_add(j, "step",
			       json_object_new_int64(xm_tele_tier_step(tier)));
	json_object_object_add(j, "points", pts);
	return send_json(c, conn, 200, j);
}

/* GET /api/v1/path?from=A&to=B */
static enum MHD_Result path_get(struct xm_ctl *c, struct MHD_Connection *conn,
				const struct req *q)
{
	struct xm_tele_hop hops[XM_TELE_PATH_MAX];
	uint32_t from, to;
	char reason[128];
	json_object *j, *a;
	size_t n, i;
	bool done;

	(void)q;
	from = node_arg(c, conn, "from");
	if (!from)
		return MHD_YES;
	to = node_arg(c, conn, "to");
	if (!to)
		return MHD_YES;
	pthread_mutex_lock(&c->lock);
	done = xm_tele_path(c->tele, from, to, hops, XM_TELE_PATH_MAX, &n,
			    reason, sizeof(reason));
	pthread_mutex_unlock(&c->lock);
	j = json_object_new_object();
	json_object_object_add(j, "from", json_object_new_int64(from));
	json_object_object_add(j, "to", json_object_new_int64(to));
	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *h = json_object_new_object();

		json_object_object_add(h, "node",
				       json_object_new_int64(hops[i].node));
		json_object_object_add(h, "via",
				       json_object_new_int64(hops[i].via));
		json_object_object_add(h, "metric",
				       json_object_new_uint64(hops[i].metric));
		json_object_object_add(h, "link_metric",
				       json_object_new_uint64(hops[i].link_metric));
		json_object_array_add(a, h);
	}
	json_object_object_add(j, "hops", a);
	json_object_object_add(j, "complete", json_object_new_boolean(done));
	if (!done)
		json_object_object_add(j, "reason",
				       json_object_new_string(reason));
	return send_json(c, conn, 200, j);
}

static json_object *event_json(int64_t id, const struct xm_tele_event *e)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "time", json_object_new_int64(e->time));
	json_object_object_add(o, "kind",
			       json_object_new_string(xm_tele_event_name(e->kind)));
	json_object_object_add(o, "node", json_object_new_int64(e->node));
	json_object_object_add(o, "peer", json_object_new_int64(e->peer));
	json_object_object_add(o, "detail", json_object_new_string(e->detail));
	return o;
}

struct events_arg {
	json_object *list;
	int64_t last;
};

static int events_cb(void *arg, int64_t id, const struct xm_tele_event *e)
{
	struct events_arg *a = arg;

	json_object_array_add(a->list, event_json(id, e));
	a->last = id;
	return 0;
}

#define EVENTS_LIMIT	100
#define EVENTS_MAX	1000

/* GET /api/v1/events[?since=ID][&limit=N] */
static enum MHD_Result events_get(struct xm_ctl *c,
				  struct MHD_Connection *conn,
				  const struct req *q)
{
	uint64_t since = 0, limit = EVENTS_LIMIT;
	struct events_arg a;
	json_object *j;
	int rc;

	(void)q;
	if (uint_arg(c, conn, NULL, "since", INT64_MAX, &since) < 0 ||
	    uint_arg(c, conn, NULL, "limit", EVENTS_MAX, &limit) < 0)
		return MHD_YES;
	if (!limit)
		return send_error(c, conn, 400, "query limit", "expected an"
				  " integer 1 to %d", EVENTS_MAX);
	a.list = json_object_new_array();
	a.last = (int64_t)since;
	pthread_mutex_lock(&c->lock);
	rc = xm_store_event_list(c->store, (int64_t)since, limit, events_cb,
				 &a);
	pthread_mutex_unlock(&c->lock);
	if (rc) {
		json_object_put(a.list);
		return send_error(c, conn, 500, "store", "cannot read the"
				  " events");
	}
	j = json_object_new_object();
	json_object_object_add(j, "events", a.list);
	json_object_object_add(j, "next", json_object_new_int64(a.last));
	return send_json(c, conn, 200, j);
}

/* ---- the event stream (server-sent events) ---- */

#define STREAMS_MAX		32
#define STREAM_KEEPALIVE_S	15
#define STREAM_BATCH		64

struct stream {
	struct xm_ctl *c;
	int64_t last_id;		/* the last event sent */
	uint64_t tele_seq;		/* reports seen */
	uint64_t remedy_seq;		/* remediation entries sent */
	char *buf;			/* to send, from off */
	size_t len, off;
	int64_t idle_since;
};

/* Append more (n bytes, freed here) to what st has to send: 0, or 1 if
 * out of memory. */
static int stream_add(struct stream *st, char *more, int n)
{
	if (n < 0)
		return 1;
	if (!st->buf) {
		st->buf = more;
		st->len = (size_t)n;
	} else {
		char *b = realloc(st->buf, st->len + (size_t)n + 1);

		if (!b) {
			free(more);
			return 1;
		}
		memcpy(b + st->len, more, (size_t)n + 1);
		st->buf = b;
		st->len += (size_t)n;
		free(more);
	}
	return 0;
}

static int stream_cb(void *arg, int64_t id, const struct xm_tele_event *e)
{
	struct stream *st = arg;
	json_object *o = event_json(id, e);
	char *more = NULL;
	int n;

	n = asprintf(&more, "id: %lld\nevent: %s\ndata: %s\n\n",
		     (long long)id, xm_tele_event_name(e->kind),
		     json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	if (stream_add(st, more, n))
		return 1;
	st->last_id = id;
	return 0;
}

/* The remediation log entries logged or completed since st's last: each
 * an "event: remediation" with no id (Last-Event-ID stays an event's;
 * the entry's own id is in its data). Under c->lock. */
static void stream_remedy(struct stream *st)
{
	struct xm_ctl *c = st->c;

	if (c->remedy_seq - st->remedy_seq > REMEDY_SENT_MAX)
		st->remedy_seq = c->remedy_seq - REMEDY_SENT_MAX;
	for (; st->remedy_seq < c->remedy_seq; st->remedy_seq++) {
		char *more = NULL;
		int n = asprintf(&more, "event: remediation\ndata: %s\n\n",
				 c->remedy_sent[st->remedy_seq %
						REMEDY_SENT_MAX]);

		if (stream_add(st, more, n))
			break;
	}
}

/* Fill st->buf with what is due, waiting for it: false once stopping.
 * Under c->lock. */
static bool stream_fill(struct stream *st)
{
	struct xm_ctl *c = st->c;

	for (;;) {
		struct timespec t;

		if (c->stopping)
			return false;
		if (c->last_event > st->last_id)
			xm_store_event_list(c->store, st->last_id,
					    STREAM_BATCH, stream_cb, st);
		if (c->remedy_seq != st->remedy_seq)
			stream_remedy(st);
		if (!st->buf && c->tele_seq != st->tele_seq) {
			st->tele_seq = c->tele_seq;
			if (asprintf(&st->buf, "event: telemetry\ndata:"
				     " {\"time\": %lld}\n\n",
				     (long long)now_s(c)) < 0)
				st->buf = NULL;
			else
				st->len = strlen(st->buf);
		}
		if (!st->buf && (int64_t)time(NULL) - st->idle_since >=
		    STREAM_KEEPALIVE_S) {
			st->buf = strdup(": keepalive\n\n");
			st->len = st->buf ? strlen(st->buf) : 0;
		}
		if (st->buf) {
			st->off = 0;
			st->idle_since = time(NULL);
			return true;
		}
		t = deadline_in(1);
		pthread_cond_timedwait(&c->tele_changed, &c->lock, &t);
	}
}

/* The stream's reader: blocks in its connection's own thread until
 * there is something to send. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	size_t n;

	(void)pos;
	if (!st->buf) {
		bool go;

		pthread_mutex_lock(&st->c->lock);
		go = stream_fill(st);
		pthread_mutex_unlock(&st->c->lock);
		if (!go)
			return MHD_CONTENT_READER_END_OF_STREAM;
	}
	n = st->len - st->off < max ? st->len - st->off : max;
	memcpy(buf, st->buf + st->off, n);
	st->off += n;
	if (st->off == st->len) {
		free(st->buf);
		st->buf = NULL;
	}
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;

	pthread_mutex_lock(&st->c->lock);
	st->c->streams--;
	pthread_mutex_unlock(&st->c->lock);
	free(st->buf);
	free(st);
}

/* GET /api/v1/events/stream[?since=ID][&token=T] */
static enum MHD_Result events_stream(struct xm_ctl *c,
				     struct MHD_Connection *conn,
				     const struct req *q)
{
	const char *tok = MHD_lookup_connection_value(conn,
						      MHD_GET_ARGUMENT_KIND,
						      "token");
	const char *last = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       "Last-Event-ID");
	char who[XM_STORE_NAME_MAX], bearer[80];
	struct MHD_Response *r;
	struct stream *st;
	enum MHD_Result ret;
	uint64_t since = 0;
	int rc;

	(void)q;
	/* EventSource cannot set headers: the token may be in the query. */
	if (tok) {
		snprintf(bearer, sizeof(bearer), "Bearer %.70s", tok);
		if (!authorized_value(c, conn, bearer, XM_ROLE_READ, who))
			return MHD_YES;
	} else if (!authorized(c, conn, XM_ROLE_READ, who)) {
		return MHD_YES;
	}
	rc = uint_arg(c, conn, NULL, "since", INT64_MAX, &since);
	if (rc < 0)
		return MHD_YES;
	if (rc && last) {
		char *end;

		errno = 0;
		since = strtoull(last, &end, 10);
		if (*last < '0' || *last > '9' || *end || errno ||
		    since > INT64_MAX)
			return send_error(c, conn, 400, "header Last-Event-ID",
					  "expected an event id");
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return MHD_NO;
	st->c = c;
	st->idle_since = time(NULL);
	pthread_mutex_lock(&c->lock);
	if (c->streams >= STREAMS_MAX) {
		pthread_mutex_unlock(&c->lock);
		free(st);
		return send_error(c, conn, 503, "path", "%d event streams are"
				  " open already: retry later", STREAMS_MAX);
	}
	c->streams++;
	/* Without since: only what comes from now on. */
	st->last_id = rc ? c->last_event : (int64_t)since;
	st->tele_seq = c->tele_seq;
	st->remedy_seq = c->remedy_seq;
	pthread_mutex_unlock(&c->lock);
	/* A comment first, so that the client sees the stream open. */
	st->buf = strdup(": xmesh events\n\n");
	st->len = st->buf ? strlen(st->buf) : 0;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
					      stream_read, st, stream_free);
	if (!r) {
		stream_free(st);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/event-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	count_status(c, 200);
	return ret;
}

/* ---- housekeeping: node-down, downsampling ---- */

#define DOWNSAMPLE_EVERY_S	10

static void *housekeeper(void *arg)
{
	struct xm_ctl *c = arg;
	int64_t last_downsample = 0, last_known = now_s(c);

	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		struct xm_tele_events ev = { 0 };
		struct timespec t = deadline_in(1);
		int64_t now = now_s(c);

		samples_flush(c);
		if (!xm_tele_tick(c->tele, now, &ev))
			tele_events_store(c, &ev);
		xm_tele_events_free(&ev);
		if (now - last_downsample >= DOWNSAMPLE_EVERY_S) {
			last_downsample = now;
			xm_store_downsample(c->store, &c->cfg.retention, now);
		}
		if (now - last_known >= KNOWN_EVERY_S) {
			last_known = now;
			known_load(c);
		}
		/* Reports wake it too: at most one round a second. */
		while (!c->stopping &&
		       pthread_cond_timedwait(&c->tele_changed, &c->lock,
					      &t) != ETIMEDOUT)
			;
	}
	samples_flush(c);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* ---- the store's rows ---- */

static int64_t mono_ms(void);

static void *row_counter(void *arg)
{
	struct xm_ctl *c = arg;
	unsigned int every = c->cfg.rows_every_s ? c->cfg.rows_every_s :
			     XM_CTL_ROWS_EVERY_S;
	struct xm_store *s = NULL;
	long rows[XM_STORE_TABLES];
	char err[256];

	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		int64_t t0 = mono_ms(), ms;
		struct timespec t;
		unsigned int i;
		bool ok = true;

		pthread_mutex_unlock(&c->lock);
		if (!s)
			s = xm_store_open_site(c->cfg.db_path, c->site, err,
					       sizeof(err));
		for (i = 0; i < XM_STORE_TABLES; i++) {
			rows[i] = s ? xm_store_rows(s, i) : -1;
			ok &= rows[i] >= 0;
		}
		ms = mono_ms() - t0;
		if (!ok) {		/* opened again next time */
			xm_store_close(s);
			s = NULL;
		}
		pthread_mutex_lock(&c->lock);
		if (ok) {
			memcpy(c->rows, rows, sizeof(rows));
			c->rows_ms = ms;
		}
		t = deadline_in(every);
		if (20 * ms > (int64_t)every * 1000)
			t = deadline_in((unsigned int)(20 * ms / 1000));
		while (!c->stopping &&
		       pthread_cond_timedwait(&c->stop_wake, &c->lock,
					      &t) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&c->lock);
	xm_store_close(s);
	return NULL;
}

/* ---- metrics ---- */

/* Site c's part of /metrics, rendered under its lock. */
static struct xm_metrics_part *metrics_part(struct xm_ctl *c,
					    const struct xm_metrics_limits *lim)
{
	struct xm_metrics_site site = {
		.name = c->site, .report_results = tele_results,
		.n_report_results = TELE_RESULTS,
	};
	struct xm_metrics_part *p;

	pthread_mutex_lock(&c->lock);
	xm_metrics_agents(c->store, c->version, now_s(c), &site.agents);
	site.tele = c->tele;
	site.waiting = c->waiting;
	site.policy_version = c->version;
	site.reports = c->tele_reports;
	site.drop_reasons = tele_drops;
	site.drops = c->tele_dropped;
	site.n_drop_reasons = TELE_DROPS;
	site.streams = c->streams;
	site.remedy_decisions = c->remedy_decisions;
	site.remedy_budget_used = xm_remedy_budget_used(c->remedy, now_s(c));
	site.remedy_lead = c->remedy_lead;
	site.remedy_lead_changes = c->remedy_lead_changes;
	site.store_rows = c->rows;
	site.store_rows_seconds = (double)c->rows_ms / 1000;
	site.remedy_targets = xm_remedy_targets(c->remedy);
	site.remedy_targets_refused = c->remedy_refused_before +
				      xm_remedy_targets_refused(c->remedy);
	p = xm_metrics_part_new(&site, lim, now_s(c));
	pthread_mutex_unlock(&c->lock);
	return p;
}

/* Every site's part, each under its own lock in turn (never two at
 * once), then the text written with none held. */
static enum MHD_Result metrics(struct xm_ctl *c, struct MHD_Connection *conn,
			       const struct req *q)
{
	struct xm_ctl *front = c->front;
	struct xm_metrics_part *parts[1 + XM_CTL_SITES_MAX] = { 0 };
	uint64_t requests[N_STATUSES], auth[XM_AGENT_AUTH_MAX + 1];
	struct xm_metrics_ctl m = {
		.statuses = statuses, .requests = requests,
		.n_statuses = N_STATUSES, .auth = auth,
	};
	enum MHD_Result ret;
	size_t len = 0, n, i;
	char *text = NULL;
	FILE *f;

	(void)q;
	n = 1 + front->n_sites;
	for (i = 0; i < n; i++) {
		parts[i] = metrics_part(i ? front->sites[i - 1] : front,
					&front->cfg.metrics);
		if (!parts[i])
			goto oom;
	}
	pthread_mutex_lock(&front->lock);
	memcpy(requests, front->requests, sizeof(requests));
	memcpy(auth, front->auth_failures, sizeof(auth));
	pthread_mutex_unlock(&front->lock);
	pthread_mutex_lock(&front->conn_lock);
	m.connections = front->connections;
	memcpy(m.conns_refused, front->conns_refused,
	       sizeof(m.conns_refused));
	m.body_bytes = front->body_bytes;
	_Static_assert(sizeof(m.bodies_refused) ==
		       sizeof(front->bodies_refused), "bodies refused");
	memcpy(m.bodies_refused, front->bodies_refused,
	       sizeof(m.bodies_refused));
	pthread_mutex_unlock(&front->conn_lock);
	m.hooks_busy = front->cfg.hooks ? xm_hooks_busy(front->cfg.hooks) : 0;
	f = open_memstream(&text, &len);
	if (!f)
		goto oom;
	xm_metrics_write(f, &m, parts, n);
	fclose(f);
	for (i = 0; i < n; i++)
		xm_metrics_part_free(parts[i]);
	ret = send_text(c, conn, 200, "text/plain; version=0.0.4", text, len);
	free(text);
	return ret;
oom:
	for (i = 0; i < n; i++)
		xm_metrics_part_free(parts[i]);
	return send_error(c, conn, 500, "metrics", "out of memory");
}

/* ---- remediation ---- */

/*
 * The name of a node, for hooks: what its last telemetry report said, ""
 * if it has not reported (hooks get the node id in any case). Under
 * c->lock.
 */
static void node_name(struct xm_ctl *c, uint32_t node,
		      char name[XM_NAME_MAX])
{
	const struct xm_tele_node *x = xm_tele_find(c->tele, node);

	snprintf(name, XM_NAME_MAX, "%s", x ? x->r.name : "");
}

/* Log entry id, as GET /api/v1/remediation/log gives it, onto the
 * event streams (stream_remedy()). Under c->lock. */
static void remedy_publish(struct xm_ctl *c, int64_t id)
{
	json_object *a = json_object_new_array();
	char **sent = &c->remedy_sent[c->remedy_seq % REMEDY_SENT_MAX];
	int64_t next;

	if (!xm_store_remedy_page(c->store, id + 1, 1, remedy_cb, a, &next) &&
	    json_object_array_length(a) == 1) {
		free(*sent);
		*sent = strdup(json_object_to_json_string_ext(
			json_object_array_get_idx(a, 0),
			JSON_C_TO_STRING_PLAIN |
			JSON_C_TO_STRING_NOSLASHESCAPE));
		if (*sent) {
			c->remedy_seq++;
			pthread_cond_broadcast(&c->tele_changed);
		}
	}
	json_object_put(a);
}

/* A hook's run ended: its outcome into the log. */
static void hook_done(void *arg, const struct xm_hook_call *call, bool ok,
		      const char *outcome)
{
	struct xm_ctl *c = arg;
	char text[XM_HOOK_OUTCOME_MAX + 96];

	(void)ok;
	if (strcmp(call->event, "hook"))
		snprintf(text, sizeof(text), "notified; hook notify: %s",
			 outcome);
	else
		snprintf(text, sizeof(text), "%s", outcome);
	pthread_mutex_lock(&c->lock);
	if (!xm_store_remedy_outcome(c->store, call->log_id, now_s(c), text))
		remedy_publish(c, call->log_id);
	pthread_mutex_unlock(&c->lock);
}

/*
 * Drain or reweight d's target through the policy: a new version
 * authored "remediation", checked as any other. The outcome into
 * outcome. Under c->lock.
 */
static void remedy_policy(struct xm_ctl *c,
			  const struct xm_remedy_decision *d, char *outcome,
			  size_t len)
{
	struct xm_policy_error err;
	struct xm_site_policy *p;
	struct xm_policy_rec cur;
	bool changed = false;
	uint64_t v = 0;
	char *text;

	if (xm_store_policy_get(c->store, 0, &cur)) {
		snprintf(outcome, len, "failed: no policy to change");
		return;
	}
	text = xm_remedy_policy_edit(cur.text, cur.text_len, d->action,
				     d->target, d->metric, &changed);
	xm_policy_rec_free(&cur);
	if (!text) {
		snprintf(outcome, len, "failed: the policy cannot %s %s",
			 xm_remedy_action_name(d->action),
			 d->target.peer ? "this link" : "a node");
		return;
	}
	if (!changed) {
		snprintf(outcome, len, "ok: already so in version %llu",
			 (unsigned long long)c->version);
		free(text);
		return;
	}
	p = xm_policy_check(text, strlen(text), &err);
	if (!p)
		snprintf(outcome, len, "failed: the policy refuses it: %s: %s",
			 err.location, err.reason);
	else if (store_version(c, text, strlen(text), "remediation", 0, &v))
		snprintf(outcome, len, "failed: cannot store the policy");
	else
		snprintf(outcome, len, "ok: policy version %llu",
			 (unsigned long long)v);
	xm_policy_free(p);
	free(text);
}

struct episode_arg {
	const struct xm_remedy_decision *d;
	uint64_t version;	/* the version the rule's first action made */
};

/* Newest first: the log entries of d's rule and target back to the
 * episode before (its "recovered"). */
static int episode_cb(void *arg, const struct xm_remedy_rec *r)
{
	struct episode_arg *a = arg;
	unsigned long long v;

	if (strcmp(r->rule, a->d->rule) || r->node != a->d->target.node ||
	    r->peer != a->d->target.peer)
		return 0;
	if (!strcmp(r->verdict, "recovered"))
		return 1;	/* the episode before */
	if (!strcmp(r->verdict, "act") &&
	    sscanf(r->outcome, "ok: policy version %llu", &v) == 1)
		a->version = v;	/* the oldest of the episode wins */
	return 0;
}

/*
 * The policy version the first action of d's rule on d's target made in
 * the episode d ends (from the log), 0 if none did. Under c->lock.
 */
static uint64_t episode_version(struct xm_ctl *c,
				const struct xm_remedy_decision *d)
{
	struct episode_arg a = { d, 0 };
	int64_t next;

	xm_store_remedy_page(c->store, 0, 1000, episode_cb, &a, &next);
	return a.version;
}

/*
 * Whether d's rule drained d's target itself in the episode that d ends
 * (from the log: an action of this episode made a version). A drain the
 * operator wrote, or one already there, is not the rule's to lift. Under
 * c->lock.
 */
static bool drained_by_rule(struct xm_ctl *c,
			    const struct xm_remedy_decision *d)
{
	return episode_version(c, d) != 0;
}

/*
 * Store text, the current policy with a remediation undone (NULL: the
 * policy was not an object; changed: whether it differs), as a version
 * authored "remediation", and append how it went to outcome: "; <done>:
 * policy version V", "; <already>", or "; <not_done>: why". Under
 * c->lock.
 */
static void remedy_store_undo(struct xm_ctl *c, const char *text,
			      bool changed, const char *done,
			      const char *already, const char *not_done,
			      char *outcome, size_t len)
{
	size_t n = strlen(outcome);
	uint64_t v = 0;

	if (!text)
		snprintf(outcome + n, len - n, "; %s: the policy is not an"
			 " object", not_done);
	else if (!changed)
		snprintf(outcome + n, len - n, "; %s", already);
	else if (store_version(c, text, strlen(text), "remediation", 0, &v))
		snprintf(outcome + n, len - n, "; %s: cannot store the policy",
			 not_done);
	else
		snprintf(outcome + n, len - n, "; %s: policy version %llu",
			 done, (unsigned long long)v);
}

/* Lift the drain of d's recovered target: a version without it, authored
 * "remediation". Under c->lock. */
static void remedy_lift(struct xm_ctl *c, const struct xm_remedy_decision *d,
			char *outcome, size_t len)
{
	size_t n = strlen(outcome);
	struct xm_policy_rec cur;
	bool changed = false;
	char *text;

	if (xm_store_policy_get(c->store, 0, &cur)) {
		snprintf(outcome + n, len - n, "; drain not lifted: no policy");
		return;
	}
	text = xm_remedy_policy_lift(cur.text, cur.text_len, d->target,
				     &changed);
	xm_policy_rec_free(&cur);
	remedy_store_undo(c, text, changed, "drain lifted",
			  "drain already lifted", "drain not lifted", outcome,
			  len);
	free(text);
}

/*
 * Undo the reweight of d's recovered target, if d's rule made it in the
 * episode d ends (from the log: the version its first action made): a
 * version with the link's entry as it was in the version before that
 * one, authored "remediation". Under c->lock.
 */
static void remedy_unweight(struct xm_ctl *c,
			    const struct xm_remedy_decision *d, char *outcome,
			    size_t len)
{
	uint64_t version = episode_version(c, d);
	size_t n = strlen(outcome);
	struct xm_policy_rec cur, prev;
	bool changed = false, have_prev;
	char *text;

	if (!version)
		return;		/* not the rule's reweight */
	if (xm_store_policy_get(c->store, 0, &cur)) {
		snprintf(outcome + n, len - n, "; reweight not undone: no"
			 " policy");
		return;
	}
	have_prev = version > 1 &&
		    !xm_store_policy_get(c->store, version - 1, &prev);
	text = xm_remedy_policy_unweight(cur.text, cur.text_len,
					 have_prev ? prev.text : NULL,
					 have_prev ? prev.text_len : 0,
					 d->target, d->metric, &changed);
	xm_policy_rec_free(&cur);
	if (have_prev)
		xm_policy_rec_free(&prev);
	remedy_store_undo(c, text, changed, "reweight undone",
			  "reweight already undone", "reweight not undone",
			  outcome, len);
	free(text);
}

/* Log decision d and carry it out (hooks in the background). Under
 * c->lock. */
static void remedy_carry_out(struct xm_ctl *c,
			     const struct xm_remedy_decision *d)
{
	struct xm_remedy_rec r = {
		.time = d->time, .node = d->target.node,
		.peer = d->target.peer, .value = d->value, .tries = d->tries,
	};
	struct xm_hook_call call = {
		.node = d->target.node, .peer = d->target.peer,
	};
	char detail[256], outcome[512] = "";
	const struct xm_hook *hook = NULL;
	const char *event = "hook";
	int rc;

	snprintf(r.rule, sizeof(r.rule), "%s", d->rule);
	snprintf(r.verdict, sizeof(r.verdict), "%s",
		 xm_remedy_verdict_name(d->verdict));
	snprintf(r.action, sizeof(r.action), "%s",
		 xm_remedy_action_name(d->action));
	if (d->trigger == XM_REMEDY_UNREACHABLE)
		snprintf(detail, sizeof(detail), "unreachable: not heard from"
			 " for %.0f s", d->value);
	else
		snprintf(detail, sizeof(detail), "%s %g",
			 xm_remedy_trigger_name(d->trigger), d->value);
	if (d->action == XM_REMEDY_HOOK)
		snprintf(detail + strlen(detail), sizeof(detail) -
			 strlen(detail), "; hook %s", d->hook);
	switch (d->verdict) {
	case XM_REMEDY_ACT:
		if (d->action == XM_REMEDY_HOOK) {
			hook = xm_hooks_find(c->cfg.hooks, d->hook);
			if (!hook)
				snprintf(outcome, sizeof(outcome), "failed: no"
					 " hook %s on this controller",
					 d->hook);
		} else if (d->action == XM_REMEDY_NOTIFY) {
			event = "notify";
			hook = xm_hooks_find(c->cfg.hooks, "notify");
			snprintf(outcome, sizeof(outcome), "notified");
		} else {
			remedy_policy(c, d, outcome, sizeof(outcome));
		}
		break;
	case XM_REMEDY_DRY_RUN:
		snprintf(outcome, sizeof(outcome), "none: dry run");
		break;
	case XM_REMEDY_LIMITED:
		snprintf(outcome, sizeof(outcome), "none: the rule's"
			 " max_per_hour is used up");
		break;
	case XM_REMEDY_BUDGET:
		snprintf(outcome, sizeof(outcome), "none: the budget_per_hour"
			 " of all rules is used up");
		break;
	case XM_REMEDY_ESCALATE:
		snprintf(outcome, sizeof(outcome), "notified: %u tries did"
			 " not help; the rule leaves it until it recovers",
			 d->tries);
		event = "escalate";
		if (!d->dry_run)
			hook = xm_hooks_find(c->cfg.hooks, "notify");
		break;
	case XM_REMEDY_RECOVERED:
		snprintf(outcome, sizeof(outcome), "ok: recovered after %u"
			 " tries", d->tries);
		if (d->action == XM_REMEDY_DRAIN && !d->dry_run &&
		    drained_by_rule(c, d))
			remedy_lift(c, d, outcome, sizeof(outcome));
		else if (d->action == XM_REMEDY_REWEIGHT && !d->dry_run)
			remedy_unweight(c, d, outcome, sizeof(outcome));
		break;
	}
	r.detail = detail;
	r.outcome = outcome;
	if (d->verdict < XM_REMEDY_VERDICTS)
		c->remedy_decisions[d->verdict]++;
	fprintf(stderr, "xmesh-controller: remediation: rule %s %s %s %u%s%.0u"
		": %s: %s\n", d->rule, r.verdict, r.action, d->target.node,
		d->target.peer ? "-" : "", d->target.peer, detail,
		*outcome ? outcome : "running");
	if (xm_store_remedy_add(c->store, &r, &call.log_id))
		return;
	remedy_publish(c, call.log_id);
	if (!hook)
		return;
	snprintf(call.event, sizeof(call.event), "%s", event);
	snprintf(call.site, sizeof(call.site), "%s", c->site);
	snprintf(call.rule, sizeof(call.rule), "%s", d->rule);
	snprintf(call.detail, sizeof(call.detail), "%s", detail);
	node_name(c, d->target.node, call.name);
	rc = xm_hook_run(c->cfg.hooks, hook, &call, hook_done, c);
	if (rc && !xm_store_remedy_outcome(c->store, call.log_id, now_s(c),
					   rc == XM_HOOK_BUSY ? "failed: busy"
					   " (as many hooks running as may at"
					   " once)" :
					   "failed: the hook cannot start"))
		remedy_publish(c, call.log_id);
}

struct restore_arg {
	struct xm_remedy *remedy;
	int64_t now, since;
	size_t n;
	int64_t t[3600];		/* at most a budget's worth */
	char rule[3600][XM_STORE_NAME_MAX];
};

static int restore_cb(void *arg, const struct xm_remedy_rec *r)
{
	struct restore_arg *a = arg;
	struct xm_remedy_target target = { r->node, r->peer };
	unsigned int v;

	/* Episodes as old as a day; the budget's actions of the hour. */
	if (r->time <= a->since - 23 * 3600)
		return 1;
	for (v = 0; v < XM_REMEDY_VERDICTS &&
	     strcmp(r->verdict, xm_remedy_verdict_name(v)); v++)
		;
	if (v < XM_REMEDY_VERDICTS)
		xm_remedy_note_decision(a->remedy, r->rule, target, v,
					r->tries, r->value, r->time, a->now);
	if (r->time > a->since && a->n < 3600 && !strcmp(r->verdict, "act")) {
		a->t[a->n] = r->time;
		snprintf(a->rule[a->n], XM_STORE_NAME_MAX, "%s", r->rule);
		a->n++;
	}
	return 0;
}

/*
 * From the log: the actions of the last hour into the engine's budget
 * and rates, and the episodes under way (xm_remedy_note_decision()), so
 * that neither a restart nor a takeover by another controller resets
 * them or acts again on what was acted on. Under c->lock.
 */
static void remedy_restore(struct xm_ctl *c)
{
	struct restore_arg *a = calloc(1, sizeof(*a));
	int64_t next;

	if (!a)
		return;
	a->remedy = c->remedy;
	a->now = now_s(c);
	a->since = a->now - 3600;
	xm_store_remedy_page(c->store, 0, 3600 * 8, restore_cb, a, &next);
	while (a->n--)
		xm_remedy_note_action(c->remedy, a->rule[a->n], a->t[a->n]);
	free(a);
	c->remedy_restored = true;
}

/* The engine takes the rules of the current policy. Under c->lock. */
static void remedy_load(struct xm_ctl *c)
{
	struct xm_site_policy *p = NULL;
	struct xm_policy_error err;
	struct xm_policy_rec r;

	if (c->version && !xm_store_policy_get(c->store, 0, &r)) {
		p = xm_policy_parse(r.text, r.text_len, &err);
		xm_policy_rec_free(&r);
	}
	if (!xm_remedy_set_policy(c->remedy, p)) {
		c->remedy_version = c->version;
		if (!c->remedy_restored)
			remedy_restore(c);
	}
	xm_policy_free(p);
}

/* A sample for the rules of the version in force (not of the last
 * step's). Under c->lock. */
static void remedy_sample(struct xm_ctl *c, enum xm_remedy_trigger trigger,
			  uint32_t node, uint32_t peer, double value,
			  int64_t t)
{
	struct xm_remedy_target target = { node, peer };

	if (c->remedy_version != c->version)
		remedy_load(c);
	xm_remedy_sample(c->remedy, trigger, target, value, t);
}

/*
 * A report's samples for the rules: each link's loss and utilization
 * (the link's own send rate over its bandwidth; for an agent that sends
 * no per-link counters, the node's send rate, xm_tele_link_rate()), the
 * node's drops per second as its error rate.
 * Links to peers that are no nodes of the site are no targets (their
 * series are not kept either: samples_of_known()). Under c->lock.
 */
static void remedy_feed(struct xm_ctl *c, const struct xm_tele_node *x,
			int64_t now)
{
	size_t i;

	for (i = 0; i < x->r.n_links; i++) {
		const struct xm_tele_link *l = &x->r.links[i];
		double tx_bps, util;
		bool own;

		if (!known(c, l->peer))
			continue;
		remedy_sample(c, XM_REMEDY_LINK_LOSS, x->id, l->peer,
			      (double)l->loss_ppm / 1e4, now);
		if (xm_tele_link_rate(x, l, &tx_bps, &util, &own) &&
		    l->bandwidth_kbps)
			remedy_sample(c, XM_REMEDY_UTILIZATION, x->id,
				      l->peer, 100 * util, now);
	}
	if (x->have_rates)
		remedy_sample(c, XM_REMEDY_ERROR_RATE, x->id, 0,
			      x->drops_per_s, now);
}

void xm_ctl_remedy_sample(struct xm_ctl *c, enum xm_remedy_trigger trigger,
			  struct xm_remedy_target target, double value,
			  int64_t t)
{
	pthread_mutex_lock(&c->lock);
	remedy_sample(c, trigger, target.node, target.peer, value, t);
	pthread_mutex_unlock(&c->lock);
}

struct seen_arg {
	struct xm_ctl *c;
	int64_t now;
};

static int seen_cb(void *arg, const struct xm_agent_rec *r)
{
	struct seen_arg *a = arg;
	int64_t t = r->last_seen;

	/* What went on while the controller was down it did not see: an
	 * agent silent since before the start is silent from the start. */
	if (t < a->c->started)
		t = a->c->started;
	xm_remedy_node_seen(a->c->remedy, r->node_id,
			    polling(a->c, r->node_id) ? a->now : t);
	return 0;
}

/*
 * Whether this controller runs the engine now (of all on the store). One
 * that takes it over counts the last hour's actions from the log
 * (remedy_restore()) as at a start, in a new engine if the one it has
 * counted them already (an earlier turn, or its rules loaded while it
 * waited): what that knew is stale. Under c->lock.
 */
static bool remedy_lead(struct xm_ctl *c)
{
	bool lead = xm_store_remedy_lead(c->store) == 1;
	bool stale = c->remedy_lead_changes || c->remedy_restored;

	if (lead == c->remedy_lead)
		return lead;
	c->remedy_lead = lead;
	c->remedy_lead_changes++;
	fprintf(stderr, "xmesh-controller: remediation%s%s: %s\n",
		c == c->front ? "" : " of site ", c == c->front ? "" : c->site,
		lead ?
		"this controller runs the rules" :
		"another controller runs the rules (or the store is lost)");
	if (lead && stale) {
		struct xm_remedy *r = xm_remedy_new(&c->cfg.remedy);

		if (r) {
			c->remedy_refused_before +=
				xm_remedy_targets_refused(c->remedy);
			xm_remedy_free(c->remedy);
			c->remedy = r;
		}
		c->remedy_version = UINT64_MAX;	/* its rules loaded anew */
		c->remedy_restored = false;
	}
	return lead;
}

/* One step of the engine: its observations brought up to date, its
 * decisions carried out. Under c->lock. */
static void remedy_tick(struct xm_ctl *c)
{
	struct xm_remedy_decision d[REMEDY_BATCH];
	struct seen_arg a = { c, now_s(c) };
	size_t n, i;

	if (!remedy_lead(c))
		return;
	if (c->remedy_version != c->version)
		remedy_load(c);
	/* Observations it could not bring up to date are not acted on: a
	 * store that stalled for minutes made every node look unreachable
	 * (and the lead may have passed to another controller meanwhile). */
	if (xm_store_agent_list(c->store, seen_cb, &a))
		return;
	n = xm_remedy_step(c->remedy, a.now, d, REMEDY_BATCH);
	for (i = 0; i < n; i++)
		remedy_carry_out(c, &d[i]);
}

static void *remedy_thread(void *arg)
{
	struct xm_ctl *c = arg;
	unsigned int ms = c->cfg.remedy_tick_ms ? c->cfg.remedy_tick_ms : 1000;

	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		struct timespec t;

		remedy_tick(c);
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_sec += ms / 1000;
		t.tv_nsec += (long)(ms % 1000) * 1000000;
		if (t.tv_nsec >= 1000000000) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000;
		}
		/* A new version wakes it too: its rules at once. */
		while (!c->stopping &&
		       pthread_cond_timedwait(&c->changed, &c->lock, &t) !=
		       ETIMEDOUT && c->remedy_version == c->version)
			;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/*
 * On PostgreSQL, versions another controller made: the store asked every
 * version_poll_ms (a query on an index's last entry), the agents waiting
 * here woken when it moved.
 */
static void *version_watcher(void *arg)
{
	struct xm_ctl *c = arg;
	unsigned int ms = c->cfg.version_poll_ms ? c->cfg.version_poll_ms :
			  XM_CTL_VERSION_POLL_MS;

	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		struct timespec t;

		version_refresh(c);
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_nsec += (long)(ms % 1000) * 1000000;
		t.tv_sec += ms / 1000 + t.tv_nsec / 1000000000;
		t.tv_nsec %= 1000000000;
		while (!c->stopping &&
		       pthread_cond_timedwait(&c->changed, &c->lock, &t) !=
		       ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* ---- sites ---- */

/*
 * GET /api/v1/sites: the sites the caller's token is known on, with its
 * role and the site's current version; 401 if it is known on none. A
 * token of one site learns nothing of the others.
 */
static enum MHD_Result sites_get(struct xm_ctl *c, struct MHD_Connection *conn,
				 const struct req *q)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_AUTHORIZATION);
	json_object *j = json_object_new_object();
	json_object *a = json_object_new_array();
	char name[XM_STORE_NAME_MAX];
	const char *why = "unknown token";
	size_t i;

	(void)q;
	c = c->front;
	json_object_object_add(j, "sites", a);
	for (i = 0; i <= c->n_sites; i++) {
		struct xm_ctl *s = i ? c->sites[i - 1] : c;
		enum xm_role role = token_role(s, h, name, &why);
		json_object *e;
		uint64_t v;

		if (role == XM_ROLE_NONE)
			continue;
		pthread_mutex_lock(&s->lock);
		v = s->version;
		pthread_mutex_unlock(&s->lock);
		e = json_object_new_object();
		json_object_object_add(e, "name",
				       json_object_new_string(s->site));
		json_object_object_add(e, "default",
				       json_object_new_boolean(!i));
		json_object_object_add(e, "role",
				       json_object_new_string(xm_role_name(role)));
		json_object_object_add(e, "version", json_object_new_int64(
					       (int64_t)v));
		json_object_array_add(a, e);
	}
	if (!json_object_array_length(a)) {
		json_object_put(j);
		return send_error(c, conn, 401, "header Authorization", "%s",
				  why);
	}
	return send_json(c, conn, 200, j);
}

/*
 * The site of a request: /api/v1/sites/NAME/REST is site NAME's
 * /api/v1/REST (that path in q->path, returned), any other path the
 * default site's (url returned). NULL if there is no such site.
 */
static const char *site_path(struct xm_ctl *c, const char *url, struct req *q)
{
	static const char prefix[] = "/api/v1/sites/";
	const char *name = url + sizeof(prefix) - 1, *end;
	size_t i, n;

	q->site = c;
	if (strncmp(url, prefix, sizeof(prefix) - 1) ||
	    !(end = strchr(name, '/')))
		return url;
	n = (size_t)(end - name);
	for (i = 0; i < c->n_sites && q->site == c; i++)
		if (strlen(c->sites[i]->site) == n &&
		    !strncmp(c->sites[i]->site, name, n))
			q->site = c->sites[i];
	if (q->site == c && (n != strlen(XM_SITE_DEFAULT) ||
			     strncmp(name, XM_SITE_DEFAULT, n)))
		return NULL;
	snprintf(q->path, sizeof(q->path), "/api/v1%s", end);
	return q->path;
}

/* ---- routing ---- */

#define GET(p)		.path = p, .method = "GET"
#define ROLE(r)		.access = TOKEN, .role = XM_ROLE_##r
#define LIST(key, how, cur) .fn = send_list, .list_key = key, .list = how, \
			.cursor = cur, .query = " limit " cur " "

static const struct route routes[] = {
	{ GET("/metrics"), .access = PUBLIC, .fn = metrics },
	/* Its token is checked on each site. */
	{ GET("/api/v1/sites"), .access = PUBLIC, .fn = sites_get },
	{ GET("/api/v1/policy"), ROLE(READ), .query = " version ",
	  .fn = policy_get },
	{ .path = "/api/v1/policy", .method = "PUT", ROLE(OPERATOR),
	  .query = " expect ", .body_max = XM_POLICY_TEXT_MAX,
	  .fn = policy_put },
	{ GET("/api/v1/policy/history"), ROLE(READ),
	  LIST("versions", list_history, "before") },
	{ .path = "/api/v1/policy/rollback", .method = "POST",
	  ROLE(OPERATOR), .body_max = BODY_MAX, .fn = policy_rollback },
	{ GET("/api/v1/agents"), ROLE(READ),
	  LIST("agents", list_agents, "after") },
	{ GET("/api/v1/audit"), ROLE(READ),
	  LIST("entries", list_audit, "before") },
	{ GET("/api/v1/remediation/log"), ROLE(READ),
	  LIST("entries", list_remedy, "before") },
	{ .path = "/api/v1/tokens", .method = "POST", ROLE(ADMIN),
	  .body_max = BODY_MAX, .fn = token_post },
	{ .path = "/api/v1/tokens/", .method = "DELETE", ROLE(ADMIN),
	  .prefix = true, .fn = token_delete },
	{ GET("/api/v1/agent/policy"), .access = AGENT,
	  .query = " since wait ", .fn = agent_policy },
	{ .path = "/api/v1/agent/report", .method = "POST", .access = AGENT,
	  .body_max = BODY_MAX, .fn = agent_report },

	/* Telemetry. */
	{ .path = "/api/v1/agent/telemetry", .method = "POST",
	  .access = AGENT, .body_max = XM_TELE_BODY_MAX,
	  .fn = agent_telemetry },
	{ GET("/api/v1/topology"), ROLE(READ), .fn = topology },
	{ GET("/api/v1/nodes/"), ROLE(READ), .prefix = true, .fn = node_get },
	{ GET("/api/v1/telemetry/series"), ROLE(READ),
	  .query = " node peer class metric since until ", .fn = series },
	{ GET("/api/v1/path"), ROLE(READ), .query = " from to ",
	  .fn = path_get },
	{ GET("/api/v1/events"), ROLE(READ), .query = " since limit ",
	  .fn = events_get },
	/* Its token may be in the query (EventSource): checked there. */
	{ GET("/api/v1/events/stream"), .access = PUBLIC,
	  .query = " since token ", .fn = events_stream },
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

/* ---- the body budget (XM_CTL_BODY_BUDGET) ---- */

static size_t body_budget(const struct xm_ctl *c)
{
	return c->front->cfg.body_budget ? c->front->cfg.body_budget :
	       XM_CTL_BODY_BUDGET;
}

/* Of it, one address's share and one node's. */
static size_t body_per_address(const struct xm_ctl *c)
{
	size_t n = body_budget(c) / 8;

	if (c->front->cfg.body_per_address)
		return c->front->cfg.body_per_address;
	return n > XM_TELE_BODY_MAX ? n : XM_TELE_BODY_MAX;
}

static size_t body_per_node(const struct xm_ctl *c)
{
	return c->front->cfg.body_per_node ? c->front->cfg.body_per_node :
	       XM_CTL_BODY_PER_NODE;
}

static unsigned int body_deadline_s(const struct xm_ctl *c)
{
	return c->front->cfg.body_deadline_s ? c->front->cfg.body_deadline_s :
	       XM_CTL_BODY_DEADLINE;
}

static int64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static uint32_t sockaddr_v4(const struct sockaddr *sa)
{
	return sa && sa->sa_family == AF_INET ?
	       ((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr :
	       0;
}

/* The entry of addr, under conn_lock: NULL if none. */
static struct conn_addr *conn_addr_of(struct xm_ctl *c, uint32_t addr)
{
	size_t i;

	for (i = 0; i < c->n_conn_addrs; i++)
		if (c->conn_addrs[i].addr == addr)
			return &c->conn_addrs[i];
	return NULL;
}

/* The bytes node's bodies hold, under conn_lock: its entry, made (at 0)
 * if make; NULL if none (or no memory). Only nodes holding some have
 * one: at most one a connection. */
static struct body_node *body_node_of(struct xm_ctl *f, uint32_t node,
				      bool make)
{
	struct body_node *a;
	size_t i;

	for (i = 0; i < f->n_body_nodes; i++)
		if (f->body_nodes[i].node == node)
			return &f->body_nodes[i];
	if (!make || xm_ctl_grow((void **)&f->body_nodes, &f->cap_body_nodes,
				 f->n_body_nodes + 1, sizeof(*a)))
		return NULL;
	a = &f->body_nodes[f->n_body_nodes++];
	*a = (struct body_node){ node, 0 };
	return a;
}

/* Under conn_lock: n holds nothing now, its entry goes. */
static void body_node_drop(struct xm_ctl *f, struct body_node *n)
{
	if (!n->bytes)
		*n = f->body_nodes[--f->n_body_nodes];
}

/*
 * Room for q's body to be len bytes in all: within its address's share,
 * its node's (an agent's) and the budget every connection's bodies
 * share. -1 if there is (q then holds it until it completes or is
 * late), else the limit reached (XM_CTL_BODY_REFUSED_*), counted;
 * nothing taken then.
 */
static int body_reserve(struct xm_ctl *c, struct req *q, size_t len)
{
	struct xm_ctl *f = c->front;
	struct body_node *n = NULL;
	size_t more = len - q->reserved;
	struct conn_addr *a;
	int refused = -1;

	if (len <= q->reserved)
		return -1;
	pthread_mutex_lock(&f->conn_lock);
	a = conn_addr_of(f, q->addr);
	if (q->body_node)
		n = body_node_of(f, q->body_node, true);
	if (!a || a->body + more > body_per_address(c))
		refused = XM_CTL_BODY_REFUSED_ADDRESS;
	else if (q->body_node && (!n || n->bytes + more > body_per_node(c)))
		refused = XM_CTL_BODY_REFUSED_NODE;
	else if (f->body_bytes + more > body_budget(c))
		refused = XM_CTL_BODY_REFUSED_BUDGET;
	if (refused < 0) {
		a->body += more;
		if (n)
			n->bytes += more;
		f->body_bytes += more;
		q->reserved = len;
	} else {
		f->bodies_refused[refused]++;
		if (n)
			body_node_drop(f, n);
	}
	pthread_mutex_unlock(&f->conn_lock);
	return refused;
}

static size_t less(size_t a, size_t b)
{
	return a < b ? a : b;
}

static void body_release(struct xm_ctl *c, struct req *q)
{
	struct xm_ctl *f = c->front;
	struct body_node *n;
	struct conn_addr *a;

	if (!q->reserved)
		return;
	pthread_mutex_lock(&f->conn_lock);
	f->body_bytes -= q->reserved;
	/* Its address's entry may have gone with the connection. */
	a = conn_addr_of(f, q->addr);
	if (a)
		a->body -= less(a->body, q->reserved);
	n = q->body_node ? body_node_of(f, q->body_node, false) : NULL;
	if (n) {
		n->bytes -= less(n->bytes, q->reserved);
		body_node_drop(f, n);
	}
	q->reserved = 0;
	pthread_mutex_unlock(&f->conn_lock);
}

static enum MHD_Result body_refused(struct xm_ctl *c,
				    struct MHD_Connection *conn,
				    const struct req *q, int why)
{
	if (why == XM_CTL_BODY_REFUSED_ADDRESS)
		return send_error(c, conn, 503, "body", "the bodies from one"
				  " address are read %zu bytes at most at"
				  " once: retry", body_per_address(c));
	if (why == XM_CTL_BODY_REFUSED_NODE)
		return send_error(c, conn, 503, "body", "the bodies of node %u"
				  " are read %zu bytes at most at once: retry",
				  q->body_node, body_per_node(c));
	return send_error(c, conn, 503, "body", "the controller reads %zu"
			  " bytes of request bodies at most at once: retry",
			  body_budget(c));
}

/*
 * A body has body_deadline_s() from its headers to arrive: checked as
 * each part arrives; a connection that sends nothing is closed by
 * libmicrohttpd after as long (its timeout, set so until the body is
 * complete). Either way its room is given back: a client cannot hold it
 * by sending a byte now and then.
 */
static void body_deadline_set(struct xm_ctl *c, struct MHD_Connection *conn,
			      struct req *q)
{
	q->body_deadline = mono_ms() + 1000 * (int64_t)body_deadline_s(c);
	MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
				  body_deadline_s(c));
}

/* The body is complete (or answered): the connection's usual timeout
 * (a long poll may follow on it). */
static void body_deadline_clear(struct MHD_Connection *conn, struct req *q)
{
	if (!q->body_deadline)
		return;
	q->body_deadline = 0;
	MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
				  (unsigned int)CONN_IDLE_S);
}

/*
 * The route of a request, checked before its body is read: its path and
 * method, the operator's token, an agent's certificate and time, room
 * for its body. NULL after answering (404, 405, 401, 403, 413, 414, 429,
 * 503), so that nothing is read from whoever may not send it.
 */
static const struct route *route_request(struct xm_ctl *c,
					 struct MHD_Connection *conn,
					 const char *url, const char *method,
					 struct req *q)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct route *r = NULL;
	char allow[64] = "";
	size_t i;
	int why;

	q->addr = sockaddr_v4(ci ? ci->client_addr : NULL);
	if (q->uri_too_long) {
		send_error(c, conn, 414, "path", "longer than %d bytes",
			   URI_MAX - 1);
		return NULL;
	}
	url = site_path(c, url, q);
	if (!url) {
		send_error(c, conn, 404, "path", "no such site");
		return NULL;
	}
	c = q->site;
	for (i = 0; i < N_ROUTES; i++) {
		size_t plen = strlen(routes[i].path);

		if (routes[i].prefix ? strncmp(routes[i].path, url, plen) ||
		    !url[plen] || strchr(url + plen, '/') :
		    strcmp(routes[i].path, url))
			continue;
		if (routes[i].prefix)
			snprintf(q->arg, sizeof(q->arg), "%s", url + plen);
		if (!strcmp(routes[i].method, method))
			r = &routes[i];
		snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow),
			 "%s%s", *allow ? ", " : "", routes[i].method);
	}
	if (!*allow && xm_web_url(url)) {
		unsigned int status;

		/* The dashboard's files: no token, the page asks for it. */
		xm_web_answer(conn, c->cfg.web_dir, q->uri, method,
			      &status);
		count_status(c, status);
		return NULL;
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
		/* Nothing is read from who presents no certificate of the
		 * site, or a nonce seen already: only the signature needs
		 * the body. The certificate is no secret (every request
		 * carries it): the shares below bound what one holder of a
		 * copy can make the controller hold. */
		struct xm_agent_request ar = { 0 };
		enum xm_cert_reason reason;
		enum xm_agent_auth a;

		agent_headers(conn, &ar);
		a = xm_agent_auth_headers(&ar, &c->cfg.authority, c->cfg.crl,
					  now_s(c), &q->agent, &reason);
		if (!a) {
			pthread_mutex_lock(&c->lock);
			a = xm_agent_auth_held(c->nonces, &q->agent, now_s(c));
			pthread_mutex_unlock(&c->lock);
		}
		if (a) {
			count_auth(c, a);
			agent_refused(c, conn, a, reason, 0);
			return NULL;
		}
		q->body_node = q->agent.cert.node_id;
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
	/* A body of known length: its room taken before any of it is
	 * read. */
	why = cl ? body_reserve(c, q, (size_t)strtoull(cl, NULL, 10)) : -1;
	if (why >= 0) {
		body_refused(c, conn, q, why);
		return NULL;
	}
	if (r->body_max)
		body_deadline_set(c, conn, q);
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
	if (q->site)
		c = q->site;
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
		int why;

		if (q->body_deadline && mono_ms() > q->body_deadline) {
			*upload_size = 0;
			q->answered = true;
			body_release(c, q);
			return send_error(c, conn, 408, "body", "not complete"
					  " %u s after its headers",
					  body_deadline_s(c));
		}
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
		why = body_reserve(c, q, q->len + *upload_size);
		if (why >= 0) {
			/* A chunked body past the budget. */
			*upload_size = 0;
			q->answered = true;
			return body_refused(c, conn, q, why);
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
	body_deadline_clear(conn, q);
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

	(void)conn;
	(void)toe;
	if (q) {
		body_release(cls, q);
		free(q->body);
		free(q);
		*con_cls = NULL;
	}
}
/*
 * The signatures a site remembers: an agent signs a report every 5 s and
 * a long poll now and then, each remembered for the two windows of
 * XM_AGENT_AUTH_WINDOW: 32 an agent, a power of two, at least
 * XM_AGENT_NONCES (64 bytes each: 32 MB for 10000 agents).
 */
static size_t nonces_for(unsigned int agents)
{
	size_t want = (size_t)(agents ? agents : XM_CTL_AGENTS) * 32, n;

	for (n = XM_AGENT_NONCES; n < want; n *= 2)
		;
	return n;
}

/* ---- start and stop ---- */

static void site_free(struct xm_ctl *c);

/*
 * One site's state on cfg (its credentials in it) and its threads, all
 * but the listening: NULL with a message in err.
 */
static struct xm_ctl *site_start(const struct xm_ctl_config *cfg,
				 const char *site, char *err, size_t errlen)
{
	struct xm_ctl *c = calloc(1, sizeof(*c));
	uint8_t key[crypto_shorthash_KEYBYTES];
	pthread_condattr_t ca;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->cfg = *cfg;
	c->front = c;
	snprintf(c->site, sizeof(c->site), "%s", site);
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->conn_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->changed, &ca);
	pthread_cond_init(&c->tele_changed, &ca);
	pthread_cond_init(&c->stop_wake, &ca);
	pthread_condattr_destroy(&ca);
	randombytes_buf(key, sizeof(key));
	c->started = now_s(c);
	c->nonces = xm_agent_nonces_new(nonces_for(cfg->agents),
					XM_AGENT_NONCES_PER_NODE, key,
					c->started);
	c->remedy = xm_remedy_new(&cfg->remedy);
	c->tele = xm_tele_new();
	if (!c->nonces || !c->remedy || !c->tele) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!xm_cert_text(&cfg->policy_cert, c->policy_cert_text,
			  sizeof(c->policy_cert_text))) {
		snprintf(err, errlen, "the policy certificate cannot be"
			 " written as text");
		goto fail;
	}
	c->store = xm_store_open_site(cfg->db_path, site, err, errlen);
	if (!c->store)
		goto fail;
	c->version = xm_store_policy_current(c->store);
	c->last_event = xm_store_event_last(c->store);
	known_load(c);
	xm_tele_retention_default(&c->cfg.retention);
	if (c->last_event < 0) {
		snprintf(err, errlen, "cannot set up telemetry");
		goto fail;
	}
	if (pthread_create(&c->remedy_thread, NULL, remedy_thread, c)) {
		snprintf(err, errlen, "cannot start the remediation thread");
		goto fail;
	}
	c->remedy_started = true;
	if (xm_store_is_pg(cfg->db_path))
		c->version_watching = !pthread_create(&c->version_watcher,
						      NULL, version_watcher,
						      c);
	c->housekeeping = !pthread_create(&c->housekeeper, NULL, housekeeper,
					  c);
	for (unsigned int i = 0; i < XM_STORE_TABLES; i++)
		c->rows[i] = -1;
	c->row_counting = !pthread_create(&c->row_counter, NULL, row_counter,
					  c);
	return c;
fail:
	site_free(c);
	return NULL;
}

/* Stop a site's threads; its long polls and streams are answered. */
static void site_stop_threads(struct xm_ctl *c)
{
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_broadcast(&c->changed);
	pthread_cond_broadcast(&c->tele_changed);
	pthread_cond_broadcast(&c->stop_wake);
	pthread_mutex_unlock(&c->lock);
	if (c->housekeeping)
		pthread_join(c->housekeeper, NULL);
	if (c->remedy_started)
		pthread_join(c->remedy_thread, NULL);
	if (c->version_watching)
		pthread_join(c->version_watcher, NULL);
	if (c->row_counting)
		pthread_join(c->row_counter, NULL);
	c->housekeeping = c->remedy_started = c->version_watching = false;
	c->row_counting = false;
}

/* Free a site whose threads are stopped, the store closed. */
static void site_free(struct xm_ctl *c)
{
	site_stop_threads(c);
	if (c->store)
		samples_flush(c);	/* the last reports' */
	xm_store_close(c->store);
	xm_tele_free(c->tele);
	free(c->samples);
	pthread_cond_destroy(&c->tele_changed);
	pthread_cond_destroy(&c->stop_wake);
	xm_remedy_free(c->remedy);
	for (size_t i = 0; i < REMEDY_SENT_MAX; i++)
		free(c->remedy_sent[i]);
	free(c->polling);
	free(c->known);
	free(c->conn_addrs);
	free(c->body_nodes);
	pthread_cond_destroy(&c->changed);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->conn_lock);
	sodium_memzero(c->cfg.policy_sk, sizeof(c->cfg.policy_sk));
	xm_agent_nonces_free(c->nonces);
	free(c);
}

/* The other sites of cfg, each started on its credentials: 0, or -1 with
 * a message in err. */
static int sites_start(struct xm_ctl *c, const struct xm_ctl_config *cfg,
		       char *err, size_t errlen)
{
	struct xm_ctl_config sc = *cfg;
	size_t i, k;

	if (cfg->n_sites > XM_CTL_SITES_MAX) {
		snprintf(err, errlen, "at most %d sites besides the default",
			 XM_CTL_SITES_MAX);
		return -1;
	}
	sc.sites = NULL;
	sc.n_sites = 0;
	for (i = 0; i < cfg->n_sites; i++) {
		const struct xm_ctl_site *s = &cfg->sites[i];
		const char *dup = !strcmp(s->name, XM_SITE_DEFAULT) ?
				  "is the default site's name" : NULL;

		for (k = 0; k <= i && !dup; k++) {
			const struct xm_cert *a = k < i ?
				&cfg->sites[k].authority : &cfg->authority;

			if (k < i && !strcmp(cfg->sites[k].name, s->name))
				dup = "is named twice";
			else if (!memcmp(a->pubkey, s->authority.pubkey,
					 sizeof(a->pubkey)))
				dup = "has the authority of another site (its"
				      " agents would be another's too)";
		}
		if (dup) {
			snprintf(err, errlen, "site %s %s", s->name, dup);
			return -1;
		}
		sc.authority = s->authority;
		sc.crl = s->crl;
		sc.policy_cert = s->policy_cert;
		memcpy(sc.policy_sk, s->policy_sk, sizeof(sc.policy_sk));
		c->sites[i] = site_start(&sc, s->name, err, errlen);
		if (!c->sites[i])
			break;
		c->sites[i]->front = c;
		c->n_sites++;
	}
	sodium_memzero(sc.policy_sk, sizeof(sc.policy_sk));
	return i == cfg->n_sites ? 0 : -1;
}

/* ---- connections (XM_CTL_CONNECTIONS, XM_CTL_PER_ADDRESS) ---- */

/*
 * The limits are kept here, not by libmicrohttpd (which refuses without
 * telling): a connection is counted open from its start to its close, by
 * address; accept_policy() refuses one past either limit, and counts it.
 * libmicrohttpd notifies the start as it accepts, in the listening
 * thread, before the connection's thread runs: the counts are exact when
 * the next connection is judged (test_api: exactly --per-address
 * answered). Its own limit is a little above, never reached first.
 */
static unsigned int conn_limit(const struct xm_ctl *c)
{
	return c->cfg.connections ? c->cfg.connections : XM_CTL_CONNECTIONS;
}

static enum MHD_Result accept_policy(void *cls, const struct sockaddr *sa,
				     socklen_t len)
{
	struct xm_ctl *c = cls;
	struct conn_addr *e;
	int refused = -1;

	(void)len;
	pthread_mutex_lock(&c->conn_lock);
	e = conn_addr_of(c, sockaddr_v4(sa));
	if (c->connections >= conn_limit(c))
		refused = XM_CTL_REFUSED_TOTAL;
	else if (c->cfg.per_address >= 0 && e &&
		 e->n >= (c->cfg.per_address ? (unsigned int)c->cfg.per_address :
			  XM_CTL_PER_ADDRESS))
		refused = XM_CTL_REFUSED_PER_ADDRESS;
	if (refused >= 0)
		c->conns_refused[refused]++;
	pthread_mutex_unlock(&c->conn_lock);
	return refused < 0 ? MHD_YES : MHD_NO;
}

/* A connection started or closed: counted, by address (kept in its
 * socket context, plus one, to tell it from none). */
static void conn_notify(void *cls, struct MHD_Connection *conn,
			void **socket_context,
			enum MHD_ConnectionNotificationCode toe)
{
	struct xm_ctl *c = cls;
	const union MHD_ConnectionInfo *info;
	struct conn_addr *e;
	uint32_t addr;

	pthread_mutex_lock(&c->conn_lock);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		info = MHD_get_connection_info(conn,
				MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		addr = sockaddr_v4(info ? info->client_addr : NULL);
		e = conn_addr_of(c, addr);
		/* At most an entry a connection open. */
		if (!e && !xm_ctl_grow((void **)&c->conn_addrs,
				       &c->cap_conn_addrs,
				       c->n_conn_addrs + 1, sizeof(*e))) {
			e = &c->conn_addrs[c->n_conn_addrs++];
			*e = (struct conn_addr){ addr, 0, 0 };
		}
		if (e) {
			e->n++;
			c->connections++;
			*socket_context = (void *)((uintptr_t)addr + 1);
		}
	} else if (*socket_context) {
		addr = (uint32_t)((uintptr_t)*socket_context - 1);
		e = conn_addr_of(c, addr);
		if (e && !--e->n)
			*e = c->conn_addrs[--c->n_conn_addrs];
		c->connections--;
		*socket_context = NULL;
	}
	pthread_mutex_unlock(&c->conn_lock);
}

struct xm_ctl *xm_ctl_start(const struct xm_ctl_config *cfg, char *err,
			    size_t errlen)
{
	const union MHD_DaemonInfo *info;
	/* poll(), not select(): more than FD_SETSIZE connections. */
	unsigned int flags = MHD_USE_POLL_INTERNAL_THREAD |
			     MHD_USE_THREAD_PER_CONNECTION;
	struct sockaddr_in sa;
	struct xm_ctl *c;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(cfg->port);
	if (inet_pton(AF_INET, cfg->address ? cfg->address : "127.0.0.1",
		      &sa.sin_addr) != 1) {
		snprintf(err, errlen, "%s: not an IPv4 address", cfg->address);
		return NULL;
	}
	c = site_start(cfg, XM_SITE_DEFAULT, err, errlen);
	if (!c)
		return NULL;
	c->cfg.sites = NULL;	/* the caller's: started here */
	c->cfg.n_sites = 0;
	if (sites_start(c, cfg, err, errlen))
		goto fail;
	if (cfg->tls_cert_pem)
		flags |= MHD_USE_TLS;
	/* The limits are accept_policy()'s; libmicrohttpd's only a little
	 * above, not to be reached first. */
	c->mhd = MHD_start_daemon(flags, 0, accept_policy, c, handle, c,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_URI_LOG_CALLBACK, uri_log, c,
		MHD_OPTION_NOTIFY_COMPLETED, completed, c,
		MHD_OPTION_NOTIFY_CONNECTION, conn_notify, c,
		MHD_OPTION_CONNECTION_LIMIT, conn_limit(c) + 16,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONN_IDLE_S,
		cfg->tls_cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
		cfg->tls_cert_pem,
		MHD_OPTION_HTTPS_MEM_KEY, cfg->tls_key_pem,
		MHD_OPTION_END);
	if (!c->mhd) {
		snprintf(err, errlen, "cannot listen on %s:%u%s",
			 cfg->address ? cfg->address : "127.0.0.1", cfg->port,
			 cfg->tls_cert_pem ? " with TLS" : "");
		goto fail;
	}
	info = MHD_get_daemon_info(c->mhd, MHD_DAEMON_INFO_BIND_PORT);
	c->port = info ? info->port : cfg->port;
	return c;
fail:
	while (c->n_sites)
		site_free(c->sites[--c->n_sites]);
	site_free(c);
	return NULL;
}

uint16_t xm_ctl_port(const struct xm_ctl *c)
{
	return c->port;
}

void xm_ctl_stop(struct xm_ctl *c)
{
	size_t i;

	if (!c)
		return;
	/* Every site's threads first: its long polls end, so that the
	 * connections' threads do. */
	for (i = 0; i <= c->n_sites; i++)
		site_stop_threads(i ? c->sites[i - 1] : c);
	MHD_stop_daemon(c->mhd);
	/* The hooks under way log their outcome in their site's store. */
	if (c->cfg.hooks)
		xm_hooks_wait(c->cfg.hooks);
	while (c->n_sites)
		site_free(c->sites[--c->n_sites]);
	site_free(c);
}
