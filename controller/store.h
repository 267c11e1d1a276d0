/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The controller's store: policies and their history, operator API
 * tokens, agents, and the audit log, behind one interface, on one of two
 * implementations: store_sqlite.c (SQLite in WAL mode, the embedded
 * default) and store_pg.c (a PostgreSQL server, libpq). Both bring the
 * schema up to date by the same numbered migrations when the store is
 * opened, and give the same results: the caller cannot tell them apart.
 *
 * Not thread-safe: the caller serialises calls (the server holds one
 * lock around the store). Times are unix seconds, passed in.
 */
#ifndef XM_STORE_H
#define XM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xm_store;

#define XM_TOKEN_HASH_LEN	32	/* SHA-256 of the token */
#define XM_STORE_NAME_MAX	64	/* author, token name, actor */

/*
 * Sites (Documentation/controller.md, "Sites"): every row of the store
 * belongs to one site, and a store handle is opened on one: it reads and
 * writes that site's rows only. The rows of a store older than sites are
 * the default site's. A token's site is its reach: XM_SITE_ALL ("*") for
 * every site.
 */
#define XM_SITE_NAME_MAX	32
#define XM_SITE_DEFAULT		"default"
#define XM_SITE_ALL		"*"

/* Operator roles, ordered: each may do what the ones below it may. */
enum xm_role {
	XM_ROLE_NONE = 0,
	XM_ROLE_READ = 1,	/* "read-only": GET */
	XM_ROLE_OPERATOR = 2,	/* change the policy, roll it back */
	XM_ROLE_ADMIN = 3,	/* manage tokens */
};

/* One version of the policy. text and signature are the store's copies:
 * xm_policy_rec_free() releases them. */
struct xm_policy_rec {
	uint64_t version;		/* 1, 2, ... */
	char *text;			/* the document, as the operator wrote it */
	size_t text_len;
	uint8_t *signature;		/* Ed25519 by the policy key */
	size_t sig_len;
	char author[XM_STORE_NAME_MAX];
	int64_t created;
	uint64_t rollback_of;		/* 0, or the version this one restores */
};

struct xm_agent_rec {
	uint32_t node_id;
	int64_t last_seen;
	uint64_t policy_version;	/* applied, as the agent reported */
	const char *error;		/* the last version it could not
					 * apply, and why; "": none. Valid
					 * during the callback */
	int64_t error_time;		/* when it said so; 0: none */
};

struct xm_audit_rec {
	int64_t id;
	int64_t time;
	char actor[XM_STORE_NAME_MAX];
	const char *action;		/* valid during the callback */
	const char *detail;
};

/* "read-only", "operator", "admin"; NULL for XM_ROLE_NONE. */
const char *xm_role_name(enum xm_role r);
/* The role of a name, XM_ROLE_NONE if none. */
enum xm_role xm_role_parse(const char *s);

/*
 * Open the store named name and migrate its schema to the newest version:
 * a PostgreSQL connection URI (postgresql://... or postgres://..., the
 * database created beforehand), or else the path of a SQLite file
 * (created if needed). NULL on failure, with a message in err.
 */
struct xm_store *xm_store_open(const char *name, char *err, size_t errlen);
/* The same, on site (xm_site_name_valid(), or XM_SITE_ALL: tokens of
 * every site; xm_store_open() is on XM_SITE_DEFAULT). */
struct xm_store *xm_store_open_site(const char *name, const char *site,
				    char *err, size_t errlen);
/* The site the store is open on. */
const char *xm_store_site(const struct xm_store *s);
/* Whether s can name a site: 1 to 31 of a-z, 0-9, '-', '_', starting
 * with a letter or digit (it appears in paths and labels). */
bool xm_site_name_valid(const char *s);
/* Whether name is a PostgreSQL URI (the store is on PostgreSQL). */
bool xm_store_is_pg(const char *name);
/* Whether name is a PostgreSQL URI that holds a password. */
bool xm_store_name_secret(const char *name);
void xm_store_close(struct xm_store *s);
/* The schema version (the number of the last migration applied). */
int xm_store_schema_version(struct xm_store *s);

/*
 * Add a policy version: the next number, written to *version. The text,
 * signature function and audit entry go in one transaction. sign() is
 * called with the new version number to produce the signature (it signs
 * the number with the text, so a version cannot be replayed as another).
 * 0, or -1 (sign failed, or a database error).
 */
typedef int (*xm_store_sign_fn)(void *arg, uint64_t version,
				const char *text, size_t len,
				uint8_t *sig, size_t *sig_len);
int xm_store_policy_add(struct xm_store *s, const char *text, size_t len,
			const char *author, int64_t now, uint64_t rollback_of,
			xm_store_sign_fn sign, void *arg, uint64_t *version);
/* The current version, 0 if there is none yet. */
uint64_t xm_store_policy_current(struct xm_store *s);
/* Version (0: the current): 0, 1 if there is no such version, -1. */
int xm_store_policy_get(struct xm_store *s, uint64_t version,
			struct xm_policy_rec *out);
void xm_policy_rec_free(struct xm_policy_rec *r);
/* Every version, newest first, without text and signature: cb returns
 * non-zero to stop. 0 or -1. */
int xm_store_policy_history(struct xm_store *s,
			    int (*cb)(void *arg,
				      const struct xm_policy_rec *r),
			    void *arg);

/* Tokens: only their hash is kept. A token is made for the store's site
 * (XM_SITE_ALL: every site), and a token is known on a site if it was
 * made for it or for every site; a revocation is of the store's site's
 * tokens only. */
int xm_store_token_add(struct xm_store *s,
		       const uint8_t hash[XM_TOKEN_HASH_LEN],
		       enum xm_role role, const char *name, int64_t now);
/* The role and name of a token's hash; XM_ROLE_NONE if unknown on the
 * store's site. */
enum xm_role xm_store_token_role(struct xm_store *s,
				 const uint8_t hash[XM_TOKEN_HASH_LEN],
				 char name[XM_STORE_NAME_MAX]);

/* An agent was heard from (its applied version: 0 keeps the last one). */
int xm_store_agent_seen(struct xm_store *s, uint32_t node_id, int64_t now,
			uint64_t policy_version);
/* The agent's policy error, from its report: "" clears it (the agent
 * applied a version since). Unknown agents are left alone, and so is an
 * error the same as the one kept (its time stays that of its first
 * report). 1 if it changed, 0 if not, -1. */
int xm_store_agent_error(struct xm_store *s, uint32_t node_id, int64_t now,
			 const char *error);
int xm_store_agent_list(struct xm_store *s,
			int (*cb)(void *arg, const struct xm_agent_rec *r),
			void *arg);
/* The number of agents known, -1 on error. */
long xm_store_agent_count(struct xm_store *s);

int xm_store_audit_add(struct xm_store *s, int64_t now, const char *actor,
		       const char *action, const char *detail);
/* Oldest first. */
int xm_store_audit_list(struct xm_store *s,
			int (*cb)(void *arg, const struct xm_audit_rec *r),
			void *arg);

/* ---- telemetry (telemetry.h): samples of series, events ---- */

struct xm_tele_sample;
struct xm_tele_event;
struct xm_tele_retention;

/* Raw samples at their time (0: now), in one transaction. 0 or -1. */
int xm_store_samples_add(struct xm_store *s, int64_t now,
			 const struct xm_tele_sample *v, size_t n);
/*
 * The points of a series in tier (0 raw, 1 minutes, 2 hours) with time
 * in [since, until], oldest first, at most max: cb returns non-zero to
 * stop. 0 or -1.
 */
int xm_store_series(struct xm_store *s, unsigned int tier, uint32_t node,
		    uint32_t peer, int metric, int64_t since, int64_t until,
		    size_t max,
		    int (*cb)(void *arg, int64_t time, double value),
		    void *arg);
/*
 * One bounded run of downsampling at now (xm_tele_downsample_due() for
 * each tier): the rows moved up a tier or dropped, or -1. Events older
 * than the last tier's retention are dropped too.
 */
long xm_store_downsample(struct xm_store *s,
			 const struct xm_tele_retention *r, int64_t now);
/* The number of samples in tier, -1 on error. */
long xm_store_sample_count(struct xm_store *s, unsigned int tier);

/* The tables that hold a site's rows (xm_store_rows()). */
enum xm_store_table {
	XM_STORE_AGENT, XM_STORE_AUDIT, XM_STORE_EVENT, XM_STORE_POLICY,
	XM_STORE_REMEDIATION, XM_STORE_SAMPLE, XM_STORE_TOKEN,
	XM_STORE_TABLES
};

/* "agent", "audit", ...: the table's name; NULL if none. */
const char *xm_store_table_name(enum xm_store_table t);
/* The rows of table t that are the store's site's, -1 on error. A
 * COUNT(*): as slow as the table is large (on the development host, warm,
 * about 30 ms a million rows on SQLite, 60 ms on PostgreSQL), so the
 * server counts on a connection of its own, now and then, not at each
 * scrape (Documentation/controller.md, "Limits"). */
long xm_store_rows(struct xm_store *s, enum xm_store_table t);

/* Add an event: its id in *id. 0 or -1. */
int xm_store_event_add(struct xm_store *s, const struct xm_tele_event *e,
		       int64_t *id);
/* n events in one transaction (one commit for a report's, not one
 * each): 0 and the last one's id in *last (untouched if n is 0), or -1
 * and none stored. */
int xm_store_events_add(struct xm_store *s, const struct xm_tele_event *ev,
			size_t n, int64_t *last);
/* The events after id since, oldest first, at most limit: cb returns
 * non-zero to stop. 0 or -1. */
int xm_store_event_list(struct xm_store *s, int64_t since, size_t limit,
			int (*cb)(void *arg, int64_t id,
				  const struct xm_tele_event *e),
			void *arg);
/* The id of the newest event, 0 if none, -1 on error. */
int64_t xm_store_event_last(struct xm_store *s);
/* ---- remediation (remediation.h), tokens revoked, pages of lists ---- */

/* A remediation decision and its outcome, as logged. */
struct xm_remedy_rec {
	int64_t id;
	int64_t time;
	char rule[XM_STORE_NAME_MAX];
	char verdict[16];		/* xm_remedy_verdict_name() */
	char action[16];		/* xm_remedy_action_name() */
	uint32_t node, peer;		/* peer 0: a node */
	double value;
	unsigned int tries;
	const char *detail;		/* valid during the callback */
	const char *outcome;		/* "" while the action runs */
	int64_t outcome_time;
};

/* Log a decision (id and outcome_time ignored) with its audit entry
 * (actor "remediation"), in one transaction: its id in *id. 0 or -1. */
int xm_store_remedy_add(struct xm_store *s, const struct xm_remedy_rec *r,
			int64_t *id);
/* The outcome of decision id, with its audit entry. 0, 1 if no such
 * decision, -1. */
int xm_store_remedy_outcome(struct xm_store *s, int64_t id, int64_t now,
			    const char *outcome);

/*
 * Pages of the lists, for bounded answers: at most limit entries, and
 * *next the cursor of the next page (0: this was the last). Newest first
 * from before (0: the newest) for the remediation log, the audit log
 * (ids) and the policy history (versions); by node id from after for
 * the agents. cb returns non-zero to stop. 0 or -1.
 */
int xm_store_remedy_page(struct xm_store *s, int64_t before, size_t limit,
			 int (*cb)(void *arg, const struct xm_remedy_rec *r),
			 void *arg, int64_t *next);
int xm_store_audit_page(struct xm_store *s, int64_t before, size_t limit,
			int (*cb)(void *arg, const struct xm_audit_rec *r),
			void *arg, int64_t *next);
int xm_store_history_page(struct xm_store *s, int64_t before, size_t limit,
			  int (*cb)(void *arg, const struct xm_policy_rec *r),
			  void *arg, int64_t *next);
int xm_store_agent_page(struct xm_store *s, int64_t after, size_t limit,
			int (*cb)(void *arg, const struct xm_agent_rec *r),
			void *arg, int64_t *next);

/* Revoke every token named name, with an audit entry by actor: the
 * number revoked (0: none of that name), or -1. */
int xm_store_token_revoke(struct xm_store *s, const char *name,
			  const char *actor, int64_t now);

/*
 * Whether this controller runs the remediation engine, of all the
 * controllers on the store (Documentation/controller.md, "Two
 * controllers"): 1 it does (taken now or held), 0 another one does, -1
 * the store cannot say (this one does not), for the store's site (one
 * leader per site). On PostgreSQL a session advisory lock keyed by the
 * site on the store's connection: held until the connection
 * ends (the process dies, or the server drops it), then free for the
 * next controller that asks. On SQLite always 1 (one controller).
 */
int xm_store_remedy_lead(struct xm_store *s);

#endif /* XM_STORE_H */
