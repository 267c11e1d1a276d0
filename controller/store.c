// SPDX-License-Identifier: GPL-2.0
/*
 * The store (store.h): the implementation named by the store's name (a
 * PostgreSQL URI: store_pg.c; anything else is a SQLite file:
 * store_sqlite.c), the calls forwarded to it, and what both share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"
#include "telemetry.h"

static const char *const role_names[] = {
	[XM_ROLE_READ] = "read-only",
	[XM_ROLE_OPERATOR] = "operator",
	[XM_ROLE_ADMIN] = "admin",
};

const char *xm_role_name(enum xm_role r)
{
	if (r < XM_ROLE_READ || r > XM_ROLE_ADMIN)
		return NULL;
	return role_names[r];
}

enum xm_role xm_role_parse(const char *s)
{
	int r;

	for (r = XM_ROLE_READ; r <= XM_ROLE_ADMIN; r++)
		if (!strcmp(s, role_names[r]))
			return r;
	return XM_ROLE_NONE;
}

bool xm_store_is_pg(const char *name)
{
	return !strncmp(name, "postgresql://", 13) ||
	       !strncmp(name, "postgres://", 11);
}

bool xm_site_name_valid(const char *s)
{
	size_t i;

	if (!s || !*s || *s == '-' || *s == '_' ||
	    strlen(s) >= XM_SITE_NAME_MAX)
		return false;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_'))
			return false;
	return true;
}

struct xm_store *xm_store_open_site(const char *name, const char *site,
				    char *err, size_t errlen)
{
	if (!xm_site_name_valid(site) && strcmp(site, XM_SITE_ALL)) {
		snprintf(err, errlen, "\"%.40s\" is not a site name", site);
		return NULL;
	}
	if (xm_store_is_pg(name))
		return xm_store_pg_open(name, site, err, errlen);
	return xm_store_sqlite_open(name, site, err, errlen);
}

struct xm_store *xm_store_open(const char *name, char *err, size_t errlen)
{
	return xm_store_open_site(name, XM_SITE_DEFAULT, err, errlen);
}

const char *xm_store_site(const struct xm_store *s)
{
	return s->site;
}

void xm_store_close(struct xm_store *s)
{
	if (s)
		s->ops->close(s);
}

void xm_policy_rec_free(struct xm_policy_rec *r)
{
	free(r->text);
	free(r->signature);
	r->text = NULL;
	r->signature = NULL;
}

/* ---- what both implementations write ---- */

void xm_store_copy_name(char dst[XM_STORE_NAME_MAX], const char *s)
{
	snprintf(dst, XM_STORE_NAME_MAX, "%s", s ? s : "");
}

const char *xm_store_policy_action(uint64_t rollback_of)
{
	return rollback_of ? "policy.rollback" : "policy.apply";
}

void xm_store_policy_detail(char *buf, size_t len, uint64_t version,
			    uint64_t rollback_of)
{
	if (rollback_of)
		snprintf(buf, len, "version %llu restores version %llu",
			 (unsigned long long)version,
			 (unsigned long long)rollback_of);
	else
		snprintf(buf, len, "version %llu",
			 (unsigned long long)version);
}

void xm_store_remedy_detail(char *buf, size_t len, int64_t id,
			    const struct xm_remedy_rec *r)
{
	const char *detail = r->detail ? r->detail : "";

	if (r->peer)
		snprintf(buf, len, "#%lld rule %s %s link %u-%u (%g): %s",
			 (long long)id, r->rule, r->action, r->node, r->peer,
			 r->value, detail);
	else
		snprintf(buf, len, "#%lld rule %s %s node %u (%g): %s",
			 (long long)id, r->rule, r->action, r->node, r->value,
			 detail);
}

void xm_store_remedy_action(char *buf, size_t len,
			    const struct xm_remedy_rec *r)
{
	snprintf(buf, len, "remediation.%s", r->verdict);
}

void xm_store_outcome_detail(char *buf, size_t len, int64_t id,
			     const char *outcome)
{
	snprintf(buf, len, "#%lld: %s", (long long)id, outcome);
}

void xm_store_revoke_detail(char *buf, size_t len, const char *name, long n)
{
	snprintf(buf, len, "%s (%ld)", name, n);
}

int xm_store_event_kind(const char *name)
{
	unsigned int k;

	for (k = 0; k <= XM_TELE_EV_MAX; k++)
		if (name && !strcmp(name, xm_tele_event_name(k)))
			return (int)k;
	return XM_TELE_EV_UNKNOWN;
}

/* ---- the calls, forwarded ---- */

int xm_store_schema_version(struct xm_store *s)
{
	return s->ops->schema_version(s);
}

int xm_store_policy_add(struct xm_store *s, const char *text, size_t len,
			const char *author, int64_t now, uint64_t rollback_of,
			xm_store_sign_fn sign, void *arg, uint64_t *version)
{
	return s->ops->policy_add(s, text, len, author, now, rollback_of,
				  sign, arg, version);
}

uint64_t xm_store_policy_current(struct xm_store *s)
{
	return s->ops->policy_current(s);
}

int xm_store_policy_get(struct xm_store *s, uint64_t version,
			struct xm_policy_rec *out)
{
	return s->ops->policy_get(s, version, out);
}

int xm_store_policy_history(struct xm_store *s,
			    int (*cb)(void *arg,
				      const struct xm_policy_rec *r),
			    void *arg)
{
	return s->ops->policy_history(s, cb, arg);
}

int xm_store_token_add(struct xm_store *s,
		       const uint8_t hash[XM_TOKEN_HASH_LEN],
		       enum xm_role role, const char *name, int64_t now)
{
	if (!xm_role_name(role))
		return -1;
	return s->ops->token_add(s, hash, role, name, now);
}

enum xm_role xm_store_token_role(struct xm_store *s,
				 const uint8_t hash[XM_TOKEN_HASH_LEN],
				 char name[XM_STORE_NAME_MAX])
{
	enum xm_role role;

	name[0] = '\0';
	role = s->ops->token_role(s, hash, name);
	return xm_role_name(role) ? role : XM_ROLE_NONE;
}

struct revoke {
	const char *name, *actor;
	int64_t now;
};

/* The tokens deleted and the revocation audited, in one transaction. */
static int token_revoke(struct xm_store *s, void *arg)
{
	struct revoke *a = arg;
	char detail[128];
	long n = s->ops->token_delete(s, a->name);

	if (n <= 0)
		return (int)n;
	xm_store_revoke_detail(detail, sizeof(detail), a->name, n);
	if (s->ops->audit_add(s, a->now, a->actor, "token.revoke", detail))
		return -1;
	return (int)n;
}

int xm_store_token_revoke(struct xm_store *s, const char *name,
			  const char *actor, int64_t now)
{
	struct revoke a = { name, actor, now };

	return s->ops->transaction(s, token_revoke, &a);
}

int xm_store_agent_seen(struct xm_store *s, uint32_t node_id, int64_t now,
			uint64_t policy_version)
{
	return s->ops->agent_seen(s, node_id, now, policy_version);
}

int xm_store_agent_error(struct xm_store *s, uint32_t node_id, int64_t now,
			 const char *error)
{
	return s->ops->agent_error(s, node_id, now, error);
}

int xm_store_agent_list(struct xm_store *s,
			int (*cb)(void *arg, const struct xm_agent_rec *r),
			void *arg)
{
	return s->ops->agent_list(s, cb, arg);
}

long xm_store_agent_count(struct xm_store *s)
{
	return s->ops->agent_count(s);
}

int xm_store_audit_add(struct xm_store *s, int64_t now, const char *actor,
		       const char *action, const char *detail)
{
	return s->ops->audit_add(s, now, actor, action, detail);
}

int xm_store_audit_list(struct xm_store *s,
			int (*cb)(void *arg, const struct xm_audit_rec *r),
			void *arg)
{
	return s->ops->audit_list(s, cb, arg);
}

int xm_store_samples_add(struct xm_store *s, int64_t now,
			 const struct xm_tele_sample *v, size_t n)
{
	return n ? s->ops->samples_add(s, now, v, n) : 0;
}

int xm_store_series(struct xm_store *s, unsigned int tier, uint32_t node,
		    uint32_t peer, int metric, int64_t since, int64_t until,
		    size_t max,
		    int (*cb)(void *arg, int64_t time, double value),
		    void *arg)
{
	return s->ops->series(s, tier, node, peer, metric, since, until, max,
			      cb, arg);
}

long xm_store_downsample(struct xm_store *s,
			 const struct xm_tele_retention *r, int64_t now)
{
	return s->ops->downsample(s, r, now);
}

long xm_store_sample_count(struct xm_store *s, unsigned int tier)
{
	return s->ops->sample_count(s, tier);
}

const char *xm_store_table_name(enum xm_store_table t)
{
	static const char *const names[XM_STORE_TABLES] = {
		[XM_STORE_AGENT] = "agent", [XM_STORE_AUDIT] = "audit",
		[XM_STORE_EVENT] = "event", [XM_STORE_POLICY] = "policy",
		[XM_STORE_REMEDIATION] = "remediation",
		[XM_STORE_SAMPLE] = "sample", [XM_STORE_TOKEN] = "token",
	};

	return (unsigned int)t < XM_STORE_TABLES ? names[t] : NULL;
}

long xm_store_rows(struct xm_store *s, enum xm_store_table t)
{
	const char *name = xm_store_table_name(t);

	return name ? s->ops->rows(s, name) : -1;
}

int xm_store_event_add(struct xm_store *s, const struct xm_tele_event *e,
		       int64_t *id)
{
	return s->ops->event_add(s, e, id);
}

struct events_add {
	const struct xm_tele_event *ev;
	size_t n;
	int64_t last;
};

static int events_add(struct xm_store *s, void *arg)
{
	struct events_add *a = arg;
	size_t i;

	for (i = 0; i < a->n; i++)
		if (s->ops->event_add(s, &a->ev[i], &a->last))
			return -1;
	return 0;
}

int xm_store_events_add(struct xm_store *s, const struct xm_tele_event *ev,
			size_t n, int64_t *last)
{
	struct events_add a = { ev, n, 0 };
	int rc;

	if (!n)
		return 0;
	rc = s->ops->transaction(s, events_add, &a);
	if (!rc)
		*last = a.last;
	return rc;
}

int xm_store_event_list(struct xm_store *s, int64_t since, size_t limit,
			int (*cb)(void *arg, int64_t id,
				  const struct xm_tele_event *e),
			void *arg)
{
	return s->ops->event_list(s, since, limit, cb, arg);
}

int64_t xm_store_event_last(struct xm_store *s)
{
	return s->ops->event_last(s);
}

struct remedy_add {
	const struct xm_remedy_rec *r;
	int64_t id;
};

/* The decision inserted and audited, in one transaction. */
static int remedy_add(struct xm_store *s, void *arg)
{
	struct remedy_add *a = arg;
	char action[48], detail[512];

	a->id = s->ops->remedy_insert(s, a->r);
	if (a->id < 0)
		return -1;
	xm_store_remedy_action(action, sizeof(action), a->r);
	xm_store_remedy_detail(detail, sizeof(detail), a->id, a->r);
	return s->ops->audit_add(s, a->r->time, "remediation", action,
				 detail);
}

int xm_store_remedy_add(struct xm_store *s, const struct xm_remedy_rec *r,
			int64_t *id)
{
	struct remedy_add a = { r, 0 };
	int rc = s->ops->transaction(s, remedy_add, &a);

	if (!rc)
		*id = a.id;
	return rc;
}

struct remedy_outcome {
	int64_t id, now;
	const char *outcome;
};

/* The outcome set and audited, in one transaction: 1 if there is no
 * such decision. */
static int remedy_outcome(struct xm_store *s, void *arg)
{
	struct remedy_outcome *a = arg;
	char detail[512];
	long n = s->ops->remedy_set_outcome(s, a->id, a->now, a->outcome);

	if (n <= 0)
		return n < 0 ? -1 : 1;
	xm_store_outcome_detail(detail, sizeof(detail), a->id, a->outcome);
	return s->ops->audit_add(s, a->now, "remediation",
				 "remediation.outcome", detail);
}

int xm_store_remedy_outcome(struct xm_store *s, int64_t id, int64_t now,
			    const char *outcome)
{
	struct remedy_outcome a = { id, now, outcome };

	return s->ops->transaction(s, remedy_outcome, &a);
}

int xm_store_remedy_page(struct xm_store *s, int64_t before, size_t limit,
			 int (*cb)(void *arg, const struct xm_remedy_rec *r),
			 void *arg, int64_t *next)
{
	*next = 0;
	return s->ops->remedy_page(s, before, limit, cb, arg, next);
}

int xm_store_audit_page(struct xm_store *s, int64_t before, size_t limit,
			int (*cb)(void *arg, const struct xm_audit_rec *r),
			void *arg, int64_t *next)
{
	*next = 0;
	return s->ops->audit_page(s, before, limit, cb, arg, next);
}

int xm_store_history_page(struct xm_store *s, int64_t before, size_t limit,
			  int (*cb)(void *arg, const struct xm_policy_rec *r),
			  void *arg, int64_t *next)
{
	*next = 0;
	return s->ops->history_page(s, before, limit, cb, arg, next);
}

int xm_store_agent_page(struct xm_store *s, int64_t after, size_t limit,
			int (*cb)(void *arg, const struct xm_agent_rec *r),
			void *arg, int64_t *next)
{
	*next = 0;
	return s->ops->agent_page(s, after, limit, cb, arg, next);
}

int xm_store_remedy_lead(struct xm_store *s)
{
	return s->ops->remedy_lead(s);
}

long xm_store_downsample_tiers(struct xm_store *s,
			       const struct xm_tele_retention *r, int64_t now,
			       xm_store_oldest_fn *oldest_sample,
			       xm_store_tier_fn *downsample_tier)
{
	unsigned int tier;
	long total = 0;

	for (tier = 0; tier < XM_TELE_TIERS; tier++) {
		int64_t oldest, until;
		long n;
		int rc = oldest_sample(s, tier, &oldest);

		if (rc < 0)
			return -1;
		if (rc || !xm_tele_downsample_due(r, tier, oldest, now,
						  &until))
			continue;
		n = downsample_tier(s, tier, oldest, until);
		if (n < 0)
			return -1;
		total += n;
	}
	return total;
}
