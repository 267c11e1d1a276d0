/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the store (store.h): what an implementation provides (one
 * operation per function of store.h, with its meaning and results), and
 * what they share, so that both write the same audit entries. store.c
 * picks the implementation by the store's name and forwards to it.
 */
#ifndef XM_STORE_IMPL_H
#define XM_STORE_IMPL_H

#include "store.h"

struct xm_store_ops;

/* The first member of each implementation's own structure. */
struct xm_store {
	const struct xm_store_ops *ops;
	char site[XM_SITE_NAME_MAX];	/* set before the ops are called */
};

/*
 * The site of the store in SQL: PostgreSQL's setting xmesh.site of the
 * session, and on SQLite a function of the connection by the same name,
 * so that both say "site = " XM_SQL_SITE in the same words. Every query
 * of a table with rows of sites says it.
 */
#define XM_SQL_SITE	"current_setting('xmesh.site')"

/* Migration 5 (sites), what both stores say alike after their policy and
 * agent tables are keyed by site: a site column in the other tables (the
 * rows there the default site's), and their indexes by site. Never
 * edited: a change is a new migration. */
/* Migration 6, after each store's removal of the duplicates: a raw
 * sample of a series once per time. */
#define XM_MIGRATION_6_SAMPLE_ONCE \
	"CREATE UNIQUE INDEX sample_once ON sample" \
	" (site, node, peer, metric, time) WHERE tier = 0;"

#define XM_MIGRATION_5_SITES \
	"ALTER TABLE token ADD COLUMN site TEXT NOT NULL DEFAULT 'default';" \
	"ALTER TABLE audit ADD COLUMN site TEXT NOT NULL DEFAULT 'default';" \
	"CREATE INDEX audit_site ON audit (site, id);" \
	"ALTER TABLE sample ADD COLUMN site TEXT NOT NULL DEFAULT 'default';" \
	"DROP INDEX sample_series;" \
	"CREATE INDEX sample_series ON sample" \
	" (site, tier, node, peer, metric, time);" \
	"DROP INDEX sample_age;" \
	"CREATE INDEX sample_age ON sample (site, tier, time);" \
	"ALTER TABLE event ADD COLUMN site TEXT NOT NULL DEFAULT 'default';" \
	"CREATE INDEX event_site ON event (site, id);" \
	"ALTER TABLE remediation ADD COLUMN site TEXT NOT NULL" \
	" DEFAULT 'default';" \
	"CREATE INDEX remediation_site ON remediation (site, id);"


struct xm_store_ops {
	void (*close)(struct xm_store *s);
	int (*schema_version)(struct xm_store *s);
	int (*policy_add)(struct xm_store *s, const char *text, size_t len,
			  const char *author, int64_t now,
			  uint64_t rollback_of, xm_store_sign_fn sign,
			  void *arg, uint64_t *version);
	uint64_t (*policy_current)(struct xm_store *s);
	int (*policy_get)(struct xm_store *s, uint64_t version,
			  struct xm_policy_rec *out);
	int (*policy_history)(struct xm_store *s,
			      int (*cb)(void *arg,
					const struct xm_policy_rec *r),
			      void *arg);
	/* role is known; what token_role() returns is checked, and name
	 * is "" until it sets it. */
	int (*token_add)(struct xm_store *s,
			 const uint8_t hash[XM_TOKEN_HASH_LEN],
			 enum xm_role role, const char *name, int64_t now);
	enum xm_role (*token_role)(struct xm_store *s,
				   const uint8_t hash[XM_TOKEN_HASH_LEN],
				   char name[XM_STORE_NAME_MAX]);
	/* The tokens named name deleted: how many, or -1. */
	long (*token_delete)(struct xm_store *s, const char *name);
	int (*agent_seen)(struct xm_store *s, uint32_t node_id, int64_t now,
			  uint64_t policy_version);
	int (*agent_error)(struct xm_store *s, uint32_t node_id, int64_t now,
			   const char *error);
	int (*agent_list)(struct xm_store *s,
			  int (*cb)(void *arg, const struct xm_agent_rec *r),
			  void *arg);
	long (*agent_count)(struct xm_store *s);
	int (*audit_add)(struct xm_store *s, int64_t now, const char *actor,
			 const char *action, const char *detail);
	int (*audit_list)(struct xm_store *s,
			  int (*cb)(void *arg, const struct xm_audit_rec *r),
			  void *arg);
	int (*samples_add)(struct xm_store *s, int64_t now,
			   const struct xm_tele_sample *v, size_t n);
	int (*series)(struct xm_store *s, unsigned int tier, uint32_t node,
		      uint32_t peer, int metric, int64_t since, int64_t until,
		      size_t max,
		      int (*cb)(void *arg, int64_t time, double value),
		      void *arg);
	long (*downsample)(struct xm_store *s,
			   const struct xm_tele_retention *r, int64_t now);
	long (*sample_count)(struct xm_store *s, unsigned int tier);
	/* table is xm_store_table_name()'s, not the caller's text. */
	long (*rows)(struct xm_store *s, const char *table);
	int (*event_add)(struct xm_store *s, const struct xm_tele_event *e,
			 int64_t *id);
	int (*event_list)(struct xm_store *s, int64_t since, size_t limit,
			  int (*cb)(void *arg, int64_t id,
				    const struct xm_tele_event *e),
			  void *arg);
	int64_t (*event_last)(struct xm_store *s);
	/* A decision inserted: its id, or -1. */
	int64_t (*remedy_insert)(struct xm_store *s,
				 const struct xm_remedy_rec *r);
	/* Decision id's outcome set: the rows changed (0: none), or -1. */
	long (*remedy_set_outcome)(struct xm_store *s, int64_t id,
				   int64_t now, const char *outcome);
	int (*remedy_page)(struct xm_store *s, int64_t before, size_t limit,
			   int (*cb)(void *arg,
				     const struct xm_remedy_rec *r),
			   void *arg, int64_t *next);
	int (*audit_page)(struct xm_store *s, int64_t before, size_t limit,
			  int (*cb)(void *arg, const struct xm_audit_rec *r),
			  void *arg, int64_t *next);
	int (*history_page)(struct xm_store *s, int64_t before, size_t limit,
			    int (*cb)(void *arg,
				      const struct xm_policy_rec *r),
			    void *arg, int64_t *next);
	int (*agent_page)(struct xm_store *s, int64_t after, size_t limit,
			  int (*cb)(void *arg, const struct xm_agent_rec *r),
			  void *arg, int64_t *next);
	int (*remedy_lead)(struct xm_store *s);
	/* Run f(s, arg) in a transaction: its result, rolled back if
	 * negative. */
	int (*transaction)(struct xm_store *s,
			   int (*f)(struct xm_store *s, void *arg), void *arg);
};

/* An implementation's ops: its functions are named PREFIX_OP, one for
 * each op. */
#define XM_STORE_OPS(prefix) {						\
	.close = prefix##_close,					\
	.schema_version = prefix##_schema_version,			\
	.policy_add = prefix##_policy_add,				\
	.policy_current = prefix##_policy_current,			\
	.policy_get = prefix##_policy_get,				\
	.policy_history = prefix##_policy_history,			\
	.token_add = prefix##_token_add,				\
	.token_role = prefix##_token_role,				\
	.token_delete = prefix##_token_delete,				\
	.agent_seen = prefix##_agent_seen,				\
	.agent_error = prefix##_agent_error,				\
	.agent_list = prefix##_agent_list,				\
	.agent_count = prefix##_agent_count,				\
	.audit_add = prefix##_audit_add,				\
	.audit_list = prefix##_audit_list,				\
	.samples_add = prefix##_samples_add,				\
	.series = prefix##_series,					\
	.downsample = prefix##_downsample,				\
	.sample_count = prefix##_sample_count,				\
	.rows = prefix##_rows,						\
	.event_add = prefix##_event_add,				\
	.event_list = prefix##_event_list,				\
	.event_last = prefix##_event_last,				\
	.remedy_insert = prefix##_remedy_insert,			\
	.remedy_set_outcome = prefix##_remedy_set_outcome,		\
	.remedy_page = prefix##_remedy_page,				\
	.audit_page = prefix##_audit_page,				\
	.history_page = prefix##_history_page,				\
	.agent_page = prefix##_agent_page,				\
	.remedy_lead = prefix##_remedy_lead,				\
	.transaction = prefix##_transaction,				\
}

/* A page's callback, and the cursor of the last row it was given. */
struct page_cb {
	union {
		int (*remedy)(void *arg, const struct xm_remedy_rec *r);
		int (*audit)(void *arg, const struct xm_audit_rec *r);
		int (*policy)(void *arg, const struct xm_policy_rec *r);
		int (*agent)(void *arg, const struct xm_agent_rec *r);
	} cb;
	void *arg;
	int64_t last;
};

/* A store's oldest sample of a tier in *t: 0, 1 if the tier is empty,
 * or -1. */
typedef int xm_store_oldest_fn(struct xm_store *s, unsigned int tier,
			       int64_t *t);
/* A store's tier rows in [from, until) downsampled: the rows, or -1. */
typedef long xm_store_tier_fn(struct xm_store *s, unsigned int tier,
			      int64_t from, int64_t until);

/* The downsampling of every tier due at now (r): the rows, or -1. */
long xm_store_downsample_tiers(struct xm_store *s,
			       const struct xm_tele_retention *r, int64_t now,
			       xm_store_oldest_fn *oldest_sample,
			       xm_store_tier_fn *downsample_tier);

/* The implementations' openers (xm_store_open()). */
struct xm_store *xm_store_sqlite_open(const char *path, const char *site,
				      char *err, size_t errlen);
struct xm_store *xm_store_pg_open(const char *uri, const char *site,
				  char *err, size_t errlen);

/* ---- what both write ---- */

/* A name from a column (NULL: ""), cut to XM_STORE_NAME_MAX. */
void xm_store_copy_name(char dst[XM_STORE_NAME_MAX], const char *s);

/* The audit entry of a new policy version: its action and detail. */
const char *xm_store_policy_action(uint64_t rollback_of);
void xm_store_policy_detail(char *buf, size_t len, uint64_t version,
			    uint64_t rollback_of);
/* The audit detail of remediation decision id (r its record). */
void xm_store_remedy_detail(char *buf, size_t len, int64_t id,
			    const struct xm_remedy_rec *r);
/* The audit action of a decision's verdict ("remediation.VERDICT"). */
void xm_store_remedy_action(char *buf, size_t len,
			    const struct xm_remedy_rec *r);
/* The audit detail of decision id's outcome. */
void xm_store_outcome_detail(char *buf, size_t len, int64_t id,
			     const char *outcome);
/* The audit detail of n tokens named name revoked. */
void xm_store_revoke_detail(char *buf, size_t len, const char *name,
			    long n);
/* An event kind by its stored name (unknown: remediation, as before). */
int xm_store_event_kind(const char *name);

#endif /* XM_STORE_IMPL_H */
