// SPDX-License-Identifier: GPL-2.0
/*
 * The store (store.h) on SQLite, the embedded default: WAL journal,
 * foreign keys on, the schema brought up to date by the numbered
 * migrations below, each applied in its own transaction with PRAGMA
 * user_version set to its number. A migration is never edited once
 * released: a change is a new one, here and in store_pg.c (the same
 * numbers, the same tables).
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_impl.h"
#include "telemetry.h"

struct sqlite_store {
	struct xm_store base;
	sqlite3 *db;
};

static sqlite3 *dbh(struct xm_store *s)
{
	return ((struct sqlite_store *)s)->db;
}

static const struct {
	int number;
	const char *sql;
} migrations[] = {
	{ 1,
	  "CREATE TABLE policy ("
	  " version INTEGER PRIMARY KEY,"
	  " text TEXT NOT NULL,"
	  " signature BLOB NOT NULL,"
	  " author TEXT NOT NULL,"
	  " created INTEGER NOT NULL,"
	  " rollback_of INTEGER NOT NULL DEFAULT 0);"
	  "CREATE TABLE token ("
	  " hash BLOB PRIMARY KEY,"
	  " role INTEGER NOT NULL CHECK (role BETWEEN 1 AND 3),"
	  " name TEXT NOT NULL,"
	  " created INTEGER NOT NULL);"
	  "CREATE TABLE agent ("
	  " node_id INTEGER PRIMARY KEY,"
	  " last_seen INTEGER NOT NULL,"
	  " policy_version INTEGER NOT NULL DEFAULT 0);"
	  "CREATE TABLE audit ("
	  " id INTEGER PRIMARY KEY AUTOINCREMENT,"
	  " time INTEGER NOT NULL,"
	  " actor TEXT NOT NULL,"
	  " action TEXT NOT NULL,"
	  " detail TEXT NOT NULL);" },
	/* Telemetry: samples of series by tier (0 raw, 1 one-minute, 2
	 * one-hour averages), and the events. */
	{ 2,
	  "CREATE TABLE sample ("
	  " tier INTEGER NOT NULL,"
	  " node INTEGER NOT NULL,"
	  " peer INTEGER NOT NULL,"
	  " metric INTEGER NOT NULL,"
	  " time INTEGER NOT NULL,"
	  " value REAL NOT NULL);"
	  "CREATE INDEX sample_series ON sample"
	  " (tier, node, peer, metric, time);"
	  "CREATE INDEX sample_age ON sample (tier, time);"
	  "CREATE TABLE event ("
	  " id INTEGER PRIMARY KEY AUTOINCREMENT,"
	  " time INTEGER NOT NULL,"
	  " kind TEXT NOT NULL,"
	  " node INTEGER NOT NULL,"
	  " peer INTEGER NOT NULL,"
	  " detail TEXT NOT NULL);"
	  "CREATE INDEX event_time ON event (time);" },
	{ 3,
	  "CREATE TABLE remediation ("
	  " id INTEGER PRIMARY KEY AUTOINCREMENT,"
	  " time INTEGER NOT NULL,"
	  " rule TEXT NOT NULL,"
	  " verdict TEXT NOT NULL,"
	  " action TEXT NOT NULL,"
	  " node INTEGER NOT NULL,"
	  " peer INTEGER NOT NULL DEFAULT 0,"
	  " value REAL NOT NULL DEFAULT 0,"
	  " tries INTEGER NOT NULL DEFAULT 0,"
	  " detail TEXT NOT NULL DEFAULT '',"
	  " outcome TEXT NOT NULL DEFAULT '',"
	  " outcome_time INTEGER NOT NULL DEFAULT 0);" },
	/* The last policy error each agent reported, and when. */
	{ 4,
	  "ALTER TABLE agent ADD COLUMN error TEXT NOT NULL DEFAULT '';"
	  "ALTER TABLE agent ADD COLUMN error_time INTEGER NOT NULL"
	  " DEFAULT 0;" },
	/* Sites: every row is a site's; the rows before are the default
	 * site's. Policy versions and agents are numbered by site (their
	 * tables remade with the site in their keys). */
	{ 5,
	  "CREATE TABLE policy_by_site ("
	  " site TEXT NOT NULL DEFAULT 'default',"
	  " version INTEGER NOT NULL,"
	  " text TEXT NOT NULL,"
	  " signature BLOB NOT NULL,"
	  " author TEXT NOT NULL,"
	  " created INTEGER NOT NULL,"
	  " rollback_of INTEGER NOT NULL DEFAULT 0,"
	  " PRIMARY KEY (site, version));"
	  "INSERT INTO policy_by_site (version, text, signature, author,"
	  " created, rollback_of) SELECT version, text, signature, author,"
	  " created, rollback_of FROM policy;"
	  "DROP TABLE policy;"
	  "ALTER TABLE policy_by_site RENAME TO policy;"
	  "CREATE TABLE agent_by_site ("
	  " site TEXT NOT NULL DEFAULT 'default',"
	  " node_id INTEGER NOT NULL,"
	  " last_seen INTEGER NOT NULL,"
	  " policy_version INTEGER NOT NULL DEFAULT 0,"
	  " error TEXT NOT NULL DEFAULT '',"
	  " error_time INTEGER NOT NULL DEFAULT 0,"
	  " PRIMARY KEY (site, node_id));"
	  "INSERT INTO agent_by_site (node_id, last_seen, policy_version,"
	  " error, error_time) SELECT node_id, last_seen, policy_version,"
	  " error, error_time FROM agent;"
	  "DROP TABLE agent;"
	  "ALTER TABLE agent_by_site RENAME TO agent;"
	  XM_MIGRATION_5_SITES },
	/* A raw sample once: a report resent after its answer was lost
	 * (the agent's POST timed out, the controller had stored it). */
	{ 6,
	  "DELETE FROM sample WHERE tier = 0 AND rowid NOT IN"
	  " (SELECT min(rowid) FROM sample WHERE tier = 0"
	  " GROUP BY site, node, peer, metric, time);"
	  XM_MIGRATION_6_SAMPLE_ONCE },
};

static int sq_schema_version(struct xm_store *s)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(dbh(s), "PRAGMA user_version", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int migrate(struct xm_store *s, char *err, size_t errlen)
{
	int have = sq_schema_version(s);
	size_t i;

	if (have < 0) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(dbh(s)));
		return -1;
	}
	if (have > migrations[sizeof(migrations) / sizeof(migrations[0]) - 1].number) {
		snprintf(err, errlen,
			 "schema version %d is newer than this program's", have);
		return -1;
	}
	for (i = 0; i < sizeof(migrations) / sizeof(migrations[0]); i++) {
		char pragma[64], *msg = NULL;

		if (migrations[i].number <= have)
			continue;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d;",
			 migrations[i].number);
		if (sqlite3_exec(dbh(s), "BEGIN IMMEDIATE", NULL, NULL, &msg) ||
		    sqlite3_exec(dbh(s), migrations[i].sql, NULL, NULL, &msg) ||
		    sqlite3_exec(dbh(s), pragma, NULL, NULL, &msg) ||
		    sqlite3_exec(dbh(s), "COMMIT", NULL, NULL, &msg)) {
			snprintf(err, errlen, "migration %d: %s",
				 migrations[i].number, msg ? msg : "?");
			sqlite3_free(msg);
			sqlite3_exec(dbh(s), "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}

/*
 * The file at path, created readable and writable by its owner only
 * (SQLite gives its journals the same mode); refused if group or others
 * may write it, or another user owns it (a link planted in a shared
 * directory): whoever writes the store may add a token. 0 or -1.
 */
static int store_file(const char *path, char *err, size_t errlen)
{
	const char *why = NULL;
	struct stat st;
	int fd;

	if (!*path || !strcmp(path, ":memory:"))
		return 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st))
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_mode & 022)
		why = "writable by group or others";
	else if (st.st_uid != geteuid())
		why = "owned by another user";
	close(fd);
	if (why)
		snprintf(err, errlen, "%s: %s", path, why);
	return why ? -1 : 0;
}

/* XM_SQL_SITE: current_setting('xmesh.site') is the connection's site,
 * as PostgreSQL's setting is its session's (any other name: NULL). */
static void current_setting(sqlite3_context *ctx, int argc,
			    sqlite3_value **argv)
{
	const char *name = (const char *)sqlite3_value_text(argv[0]);
	struct xm_store *s = sqlite3_user_data(ctx);

	(void)argc;
	if (name && !strcmp(name, "xmesh.site"))
		sqlite3_result_text(ctx, s->site, -1, SQLITE_STATIC);
	else
		sqlite3_result_null(ctx);
}

static const struct xm_store_ops sqlite_ops;

struct xm_store *xm_store_sqlite_open(const char *path, const char *site,
				      char *err, size_t errlen)
{
	struct sqlite_store *ss = calloc(1, sizeof(*ss));
	struct xm_store *s;
	char *msg = NULL;

	if (!ss) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s = &ss->base;
	s->ops = &sqlite_ops;
	snprintf(s->site, sizeof(s->site), "%s", site);
	if (store_file(path, err, errlen))
		goto fail;
	if (sqlite3_open_v2(path, &ss->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 ss->db ? sqlite3_errmsg(ss->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(ss->db, 5000);
	if (sqlite3_create_function(ss->db, "current_setting", 1,
				    SQLITE_UTF8, s, current_setting, NULL,
				    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(ss->db));
		goto fail;
	}
	if (sqlite3_exec(ss->db, "PRAGMA journal_mode = WAL;"
			 "PRAGMA synchronous = NORMAL;"
			 "PRAGMA foreign_keys = ON;", NULL, NULL, &msg)) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : "?");
		sqlite3_free(msg);
		goto fail;
	}
	if (migrate(s, err, errlen))
		goto fail;
	return s;
fail:
	sqlite3_close(ss->db);
	free(ss);
	return NULL;
}

static void sq_close(struct xm_store *s)
{
	sqlite3_close(dbh(s));
	free(s);
}

static sqlite3_stmt *prepare(struct xm_store *s, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(dbh(s), sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	return st;
}

/* The end of a loop over st's rows, rc its last step's: 0 if it ran to
 * the end or the caller stopped it, -1 if a step failed. Finalizes st. */
static int rows_done(sqlite3_stmt *st, int rc, bool stopped)
{
	sqlite3_finalize(st);
	return stopped || rc == SQLITE_DONE ? 0 : -1;
}

/* Run a statement that returns no rows: 0 or -1. Finalizes it. */
static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int sq_audit_add(struct xm_store *s, int64_t now, const char *actor,
			const char *action, const char *detail);

static uint64_t sq_policy_current(struct xm_store *s)
{
	sqlite3_stmt *st = prepare(s, "SELECT MAX(version) FROM policy"
				   " WHERE site = " XM_SQL_SITE);
	uint64_t v = 0;

	if (!st)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int sq_policy_add(struct xm_store *s, const char *text, size_t len,
			 const char *author, int64_t now, uint64_t rollback_of,
			 xm_store_sign_fn sign, void *arg, uint64_t *version)
{
	uint8_t sig[128];
	size_t sig_len = sizeof(sig);
	sqlite3_stmt *st;
	char detail[96];
	uint64_t v;

	if (sqlite3_exec(dbh(s), "BEGIN IMMEDIATE", NULL, NULL, NULL))
		return -1;
	v = sq_policy_current(s) + 1;
	if (sign(arg, v, text, len, sig, &sig_len))
		goto fail;
	st = prepare(s, "INSERT INTO policy (version, text, signature, author,"
		     " created, rollback_of, site) VALUES (?, ?, ?, ?, ?, ?, "
		     XM_SQL_SITE ")");
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)v);
	sqlite3_bind_text(st, 2, text, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, sig, (int)sig_len, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, author, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)rollback_of);
	if (step_done(st))
		goto fail;
	xm_store_policy_detail(detail, sizeof(detail), v, rollback_of);
	if (sq_audit_add(s, now, author, xm_store_policy_action(rollback_of),
			 detail))
		goto fail;
	if (sqlite3_exec(dbh(s), "COMMIT", NULL, NULL, NULL))
		goto fail;
	*version = v;
	return 0;
fail:
	sqlite3_exec(dbh(s), "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static void fill_policy(sqlite3_stmt *st, struct xm_policy_rec *r)
{
	r->version = (uint64_t)sqlite3_column_int64(st, 0);
	xm_store_copy_name(r->author,
			   (const char *)sqlite3_column_text(st, 1));
	r->created = sqlite3_column_int64(st, 2);
	r->rollback_of = (uint64_t)sqlite3_column_int64(st, 3);
}

static int sq_policy_get(struct xm_store *s, uint64_t version,
			 struct xm_policy_rec *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!version)
		version = sq_policy_current(s);
	st = prepare(s, "SELECT version, author, created, rollback_of, text,"
		     " signature FROM policy WHERE version = ? AND"
		     " site = " XM_SQL_SITE);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int tl = sqlite3_column_bytes(st, 4);
		int sl = sqlite3_column_bytes(st, 5);

		fill_policy(st, out);
		out->text = malloc((size_t)tl + 1);
		out->signature = malloc(sl ? (size_t)sl : 1);
		if (!out->text || !out->signature) {
			xm_policy_rec_free(out);
			rc = SQLITE_NOMEM;
		} else {
			memcpy(out->text, sqlite3_column_text(st, 4), (size_t)tl);
			out->text[tl] = '\0';
			out->text_len = (size_t)tl;
			memcpy(out->signature, sqlite3_column_blob(st, 5),
			       (size_t)sl);
			out->sig_len = (size_t)sl;
		}
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : -1;
}

static int sq_policy_history(struct xm_store *s,
			     int (*cb)(void *arg,
				       const struct xm_policy_rec *r),
			     void *arg)
{
	sqlite3_stmt *st = prepare(s, "SELECT version, author, created,"
				   " rollback_of FROM policy WHERE site = "
				   XM_SQL_SITE " ORDER BY version DESC");
	struct xm_policy_rec r = { 0 };
	bool stop = false;
	int rc;

	if (!st)
		return -1;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		fill_policy(st, &r);
		stop = cb(arg, &r);
	}
	return rows_done(st, rc, stop);
}

static int sq_token_add(struct xm_store *s,
			const uint8_t hash[XM_TOKEN_HASH_LEN],
			enum xm_role role, const char *name, int64_t now)
{
	/* The role is known (xm_store_token_add()). */
	sqlite3_stmt *st = prepare(s, "INSERT INTO token (hash, role, name,"
				   " created, site) VALUES (?, ?, ?, ?, "
				   XM_SQL_SITE ")");

	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, hash, XM_TOKEN_HASH_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, role);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now);
	return step_done(st);
}

static enum xm_role sq_token_role(struct xm_store *s,
				  const uint8_t hash[XM_TOKEN_HASH_LEN],
				  char name[XM_STORE_NAME_MAX])
{
	sqlite3_stmt *st = prepare(s, "SELECT role, name FROM token"
				   " WHERE hash = ? AND site IN (" XM_SQL_SITE
				   ", '" XM_SITE_ALL "')");
	enum xm_role role = XM_ROLE_NONE;

	if (!st)
		return XM_ROLE_NONE;
	sqlite3_bind_blob(st, 1, hash, XM_TOKEN_HASH_LEN, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		/* Checked by xm_store_token_role(). */
		role = sqlite3_column_int(st, 0);
		xm_store_copy_name(name,
				   (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	return role;
}

static int sq_agent_seen(struct xm_store *s, uint32_t node_id, int64_t now,
			 uint64_t policy_version)
{
	sqlite3_stmt *st = prepare(s,
		"INSERT INTO agent (node_id, last_seen, policy_version, site)"
		" VALUES (?1, ?2, ?3, " XM_SQL_SITE ")"
		" ON CONFLICT (site, node_id) DO UPDATE SET"
		" last_seen = ?2, policy_version = CASE WHEN ?3 = 0"
		" THEN policy_version ELSE ?3 END");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, node_id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)policy_version);
	return step_done(st);
}

static int sq_agent_error(struct xm_store *s, uint32_t node_id, int64_t now,
			  const char *error)
{
	sqlite3_stmt *st = prepare(s,
		"UPDATE agent SET error = ?2, error_time = CASE WHEN ?2 = ''"
		" THEN 0 ELSE ?3 END WHERE node_id = ?1 AND site = "
		XM_SQL_SITE " AND COALESCE(error, '') IS NOT ?2");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, node_id);
	sqlite3_bind_text(st, 2, error, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, now);
	if (step_done(st))
		return -1;
	return sqlite3_changes(dbh(s)) ? 1 : 0;
}

/* A row of SELECT AGENT_COLUMNS into r (its error valid while the row
 * is). */
#define AGENT_COLUMNS	"node_id, last_seen, policy_version, error, error_time"
static void agent_rec(sqlite3_stmt *st, struct xm_agent_rec *r)
{
	const unsigned char *e = sqlite3_column_text(st, 3);

	r->node_id = (uint32_t)sqlite3_column_int64(st, 0);
	r->last_seen = sqlite3_column_int64(st, 1);
	r->policy_version = (uint64_t)sqlite3_column_int64(st, 2);
	r->error = e ? (const char *)e : "";
	r->error_time = sqlite3_column_int64(st, 4);
}

static int sq_agent_list(struct xm_store *s,
			 int (*cb)(void *arg, const struct xm_agent_rec *r),
			 void *arg)
{
	sqlite3_stmt *st = prepare(s, "SELECT " AGENT_COLUMNS " FROM agent"
				   " WHERE site = " XM_SQL_SITE
				   " ORDER BY node_id");
	struct xm_agent_rec r;
	bool stop = false;
	int rc;

	if (!st)
		return -1;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		agent_rec(st, &r);
		stop = cb(arg, &r);
	}
	return rows_done(st, rc, stop);
}

/* The rows of table (a name of ours, not the caller's text) that are
 * the site's. */
static long sq_rows(struct xm_store *s, const char *table)
{
	sqlite3_stmt *st;
	char sql[128];
	long n = -1;

	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s WHERE site = "
		 XM_SQL_SITE, table);
	st = prepare(s, sql);
	if (!st)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static long sq_agent_count(struct xm_store *s)
{
	return sq_rows(s, "agent");
}

static int sq_audit_add(struct xm_store *s, int64_t now, const char *actor,
			const char *action, const char *detail)
{
	sqlite3_stmt *st = prepare(s, "INSERT INTO audit (time, actor,"
				   " action, detail, site) VALUES (?, ?, ?, ?, "
				   XM_SQL_SITE ")");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, actor, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, action, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, detail, -1, SQLITE_TRANSIENT);
	return step_done(st);
}

static int sq_audit_list(struct xm_store *s,
			 int (*cb)(void *arg, const struct xm_audit_rec *r),
			 void *arg)
{
	sqlite3_stmt *st = prepare(s, "SELECT id, time, actor, action, detail"
				   " FROM audit WHERE site = " XM_SQL_SITE
				   " ORDER BY id");
	struct xm_audit_rec r;
	bool stop = false;
	int rc;

	if (!st)
		return -1;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.id = sqlite3_column_int64(st, 0);
		r.time = sqlite3_column_int64(st, 1);
		xm_store_copy_name(r.actor, (const char *)sqlite3_column_text(st, 2));
		r.action = (const char *)sqlite3_column_text(st, 3);
		r.detail = (const char *)sqlite3_column_text(st, 4);
		stop = cb(arg, &r);
	}
	return rows_done(st, rc, stop);
}

/* ---- telemetry ---- */

static int sq_samples_add(struct xm_store *s, int64_t now,
			  const struct xm_tele_sample *v, size_t n)
{
	sqlite3_stmt *st;
	size_t i;

	if (!n)
		return 0;
	if (sqlite3_exec(dbh(s), "BEGIN IMMEDIATE", NULL, NULL, NULL))
		return -1;
	st = prepare(s, "INSERT INTO sample (tier, node, peer, metric, time,"
		     " value, site) VALUES (0, ?, ?, ?, ?, ?, " XM_SQL_SITE
		     ") ON CONFLICT DO NOTHING");
	if (!st)
		goto fail;
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, v[i].node);
		sqlite3_bind_int64(st, 2, v[i].peer);
		sqlite3_bind_int(st, 3, (int)v[i].metric);
		sqlite3_bind_int64(st, 4, v[i].time ? v[i].time : now);
		sqlite3_bind_double(st, 5, v[i].value);
		if (sqlite3_step(st) != SQLITE_DONE)
			break;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (i < n || sqlite3_exec(dbh(s), "COMMIT", NULL, NULL, NULL))
		goto fail;
	return 0;
fail:
	sqlite3_exec(dbh(s), "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int sq_series(struct xm_store *s, unsigned int tier, uint32_t node,
		     uint32_t peer, int metric, int64_t since, int64_t until,
		     size_t max,
		     int (*cb)(void *arg, int64_t time, double value),
		     void *arg)
{
	sqlite3_stmt *st = prepare(s, "SELECT time, value FROM sample WHERE"
				   " tier = ? AND node = ? AND peer = ? AND"
				   " metric = ? AND time BETWEEN ? AND ?"
				   " AND site = " XM_SQL_SITE
				   " ORDER BY time LIMIT ?");
	bool stop = false;
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, (int)tier);
	sqlite3_bind_int64(st, 2, node);
	sqlite3_bind_int64(st, 3, peer);
	sqlite3_bind_int(st, 4, metric);
	sqlite3_bind_int64(st, 5, since);
	sqlite3_bind_int64(st, 6, until);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)max);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
		stop = cb(arg, sqlite3_column_int64(st, 0),
			  sqlite3_column_double(st, 1));
	return rows_done(st, rc, stop);
}

static long sq_sample_count(struct xm_store *s, unsigned int tier)
{
	sqlite3_stmt *st = prepare(s, "SELECT COUNT(*) FROM sample"
				   " WHERE tier = ? AND site = " XM_SQL_SITE);
	long n = -1;

	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, (int)tier);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The time of the oldest sample of tier: 0 and *t, 1 if none, -1. */
static int oldest_sample(struct xm_store *s, unsigned int tier, int64_t *t)
{
	sqlite3_stmt *st = prepare(s, "SELECT MIN(time) FROM sample"
				   " WHERE tier = ? AND site = " XM_SQL_SITE);
	int ret = -1;

	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, (int)tier);
	if (sqlite3_step(st) == SQLITE_ROW) {
		ret = sqlite3_column_type(st, 0) == SQLITE_NULL;
		*t = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return ret;
}

/* Tier's rows in [from, until) averaged into tier + 1 (step), or dropped
 * when there is no next tier: the rows, or -1. */
static long downsample_tier(struct xm_store *s, unsigned int tier,
			    int64_t from, int64_t until)
{
	int64_t step = xm_tele_tier_step(tier + 1);
	sqlite3_stmt *st;
	long n;

	if (sqlite3_exec(dbh(s), "BEGIN IMMEDIATE", NULL, NULL, NULL))
		return -1;
	if (tier + 1 < XM_TELE_TIERS) {
		st = prepare(s, "INSERT INTO sample (site, tier, node, peer,"
			     " metric, time, value) SELECT site, ?1 + 1, node,"
			     " peer, metric, time - time % ?4, AVG(value)"
			     " FROM sample WHERE tier = ?1 AND time >= ?2 AND"
			     " time < ?3 AND site = " XM_SQL_SITE
			     " GROUP BY node, peer, metric, time - time % ?4");
		if (!st)
			goto fail;
		sqlite3_bind_int(st, 1, (int)tier);
		sqlite3_bind_int64(st, 2, from);
		sqlite3_bind_int64(st, 3, until);
		sqlite3_bind_int64(st, 4, step);
		if (step_done(st))
			goto fail;
	}
	st = prepare(s, "DELETE FROM sample WHERE tier = ? AND time >= ?"
		     " AND time < ? AND site = " XM_SQL_SITE);
	if (!st)
		goto fail;
	sqlite3_bind_int(st, 1, (int)tier);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, until);
	if (step_done(st))
		goto fail;
	n = sqlite3_changes(dbh(s));
	if (sqlite3_exec(dbh(s), "COMMIT", NULL, NULL, NULL))
		goto fail;
	return n;
fail:
	sqlite3_exec(dbh(s), "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static long sq_downsample(struct xm_store *s,
			  const struct xm_tele_retention *r, int64_t now)
{
	sqlite3_stmt *st;
	long total;

	total = xm_store_downsample_tiers(s, r, now, oldest_sample,
					  downsample_tier);
	if (total < 0)
		return -1;
	st = prepare(s, "DELETE FROM event WHERE time < ? AND site = "
		     XM_SQL_SITE);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now - xm_tele_tier_keep(r, XM_TELE_TIERS - 1));
	if (step_done(st))
		return -1;
	return total;
}

static int sq_event_add(struct xm_store *s, const struct xm_tele_event *e,
			int64_t *id)
{
	sqlite3_stmt *st = prepare(s, "INSERT INTO event (time, kind, node,"
				   " peer, detail, site) VALUES (?, ?, ?, ?, ?, "
				   XM_SQL_SITE ")");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, e->time);
	sqlite3_bind_text(st, 2, xm_tele_event_name(e->kind), -1,
			  SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, e->node);
	sqlite3_bind_int64(st, 4, e->peer);
	sqlite3_bind_text(st, 5, e->detail, -1, SQLITE_TRANSIENT);
	if (step_done(st))
		return -1;
	*id = sqlite3_last_insert_rowid(dbh(s));
	return 0;
}

static int sq_event_list(struct xm_store *s, int64_t since, size_t limit,
			 int (*cb)(void *arg, int64_t id,
				  const struct xm_tele_event *e),
			 void *arg)
{
	sqlite3_stmt *st = prepare(s, "SELECT id, time, kind, node, peer,"
				   " detail FROM event WHERE id > ? AND"
				   " site = " XM_SQL_SITE
				   " ORDER BY id LIMIT ?");
	struct xm_tele_event e;
	bool stop = false;
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 2);

		memset(&e, 0, sizeof(e));
		e.time = sqlite3_column_int64(st, 1);
		e.kind = xm_store_event_kind(kind);
		e.node = (uint32_t)sqlite3_column_int64(st, 3);
		e.peer = (uint32_t)sqlite3_column_int64(st, 4);
		snprintf(e.detail, sizeof(e.detail), "%s",
			 (const char *)sqlite3_column_text(st, 5) ?: "");
		stop = cb(arg, sqlite3_column_int64(st, 0), &e);
	}
	return rows_done(st, rc, stop);
}

static int64_t sq_event_last(struct xm_store *s)
{
	sqlite3_stmt *st = prepare(s, "SELECT COALESCE(MAX(id), 0)"
				   " FROM event WHERE site = " XM_SQL_SITE);
	int64_t n = -1;

	if (!st)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* ---- remediation, tokens revoked, pages of lists ---- */

/* Run f(s, arg) in a transaction: its result, rolled back if not 0. */
static int sq_transaction(struct xm_store *s,
			  int (*f)(struct xm_store *s, void *arg), void *arg)
{
	int rc;

	if (sqlite3_exec(dbh(s), "BEGIN IMMEDIATE", NULL, NULL, NULL))
		return -1;
	rc = f(s, arg);
	if (rc < 0 || sqlite3_exec(dbh(s), "COMMIT", NULL, NULL, NULL)) {
		sqlite3_exec(dbh(s), "ROLLBACK", NULL, NULL, NULL);
		return rc < 0 ? rc : -1;
	}
	return rc;
}

static int64_t sq_remedy_insert(struct xm_store *s,
				const struct xm_remedy_rec *r)
{
	sqlite3_stmt *st;

	st = prepare(s, "INSERT INTO remediation (time, rule, verdict, action,"
		     " node, peer, value, tries, detail, outcome, site) VALUES"
		     " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, " XM_SQL_SITE ")");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, r->time);
	sqlite3_bind_text(st, 2, r->rule, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, r->verdict, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, r->action, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, r->node);
	sqlite3_bind_int64(st, 6, r->peer);
	sqlite3_bind_double(st, 7, r->value);
	sqlite3_bind_int64(st, 8, r->tries);
	sqlite3_bind_text(st, 9, r->detail ? r->detail : "", -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 10, r->outcome ? r->outcome : "", -1,
			  SQLITE_TRANSIENT);
	if (step_done(st))
		return -1;
	return sqlite3_last_insert_rowid(dbh(s));
}

static long sq_remedy_set_outcome(struct xm_store *s, int64_t id,
				  int64_t now, const char *outcome)
{
	sqlite3_stmt *st;

	st = prepare(s, "UPDATE remediation SET outcome = ?, outcome_time = ?"
		     " WHERE id = ? AND site = " XM_SQL_SITE);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, outcome, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, id);
	if (step_done(st))
		return -1;
	return sqlite3_changes(dbh(s));
}

/*
 * A page of rows of sql (which takes ?1 the cursor and ?2 the limit + 1,
 * and returns the cursor's column first): each of the first limit rows
 * through row(), the cursor of the row after them in *next (0: none).
 */
static int page(struct xm_store *s, const char *sql, int64_t cursor,
		size_t limit, int (*row)(sqlite3_stmt *st, void *arg),
		void *arg, int64_t *next)
{
	sqlite3_stmt *st = prepare(s, sql);
	bool stop = false;
	size_t n = 0;
	int rc;

	*next = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, cursor);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit + 1);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++ == limit) {
			/* One more than asked: there is a next page. */
			*next = 1;
			sqlite3_finalize(st);
			return 0;
		}
		stop = row(st, arg);
	}
	return rows_done(st, rc, stop);
}

static int remedy_row(sqlite3_stmt *st, void *arg)
{
	struct page_cb *p = arg;
	struct xm_remedy_rec r = { 0 };

	r.id = sqlite3_column_int64(st, 0);
	r.time = sqlite3_column_int64(st, 1);
	xm_store_copy_name(r.rule, (const char *)sqlite3_column_text(st, 2));
	snprintf(r.verdict, sizeof(r.verdict), "%s",
		 (const char *)sqlite3_column_text(st, 3));
	snprintf(r.action, sizeof(r.action), "%s",
		 (const char *)sqlite3_column_text(st, 4));
	r.node = (uint32_t)sqlite3_column_int64(st, 5);
	r.peer = (uint32_t)sqlite3_column_int64(st, 6);
	r.value = sqlite3_column_double(st, 7);
	r.tries = (unsigned int)sqlite3_column_int64(st, 8);
	r.detail = (const char *)sqlite3_column_text(st, 9);
	r.outcome = (const char *)sqlite3_column_text(st, 10);
	r.outcome_time = sqlite3_column_int64(st, 11);
	p->last = r.id;
	return p->cb.remedy(p->arg, &r);
}

/* The cursor of the next page: the last row given, if there is more. */
static int paged(int rc, const struct page_cb *p, int64_t *next)
{
	if (rc || !*next)
		return rc;
	*next = p->last;
	return 0;
}

static int sq_remedy_page(struct xm_store *s, int64_t before, size_t limit,
			  int (*cb)(void *arg, const struct xm_remedy_rec *r),
			  void *arg, int64_t *next)
{
	struct page_cb p = { .cb.remedy = cb, .arg = arg };
	int rc;

	rc = page(s, "SELECT id, time, rule, verdict, action, node, peer,"
		  " value, tries, detail, outcome, outcome_time FROM"
		  " remediation WHERE (?1 = 0 OR id < ?1) AND site = "
		  XM_SQL_SITE " ORDER BY id DESC LIMIT ?2", before, limit, remedy_row, &p, next);
	return paged(rc, &p, next);
}

static int audit_row(sqlite3_stmt *st, void *arg)
{
	struct page_cb *p = arg;
	struct xm_audit_rec r;

	r.id = sqlite3_column_int64(st, 0);
	r.time = sqlite3_column_int64(st, 1);
	xm_store_copy_name(r.actor, (const char *)sqlite3_column_text(st, 2));
	r.action = (const char *)sqlite3_column_text(st, 3);
	r.detail = (const char *)sqlite3_column_text(st, 4);
	p->last = r.id;
	return p->cb.audit(p->arg, &r);
}

static int sq_audit_page(struct xm_store *s, int64_t before, size_t limit,
			 int (*cb)(void *arg, const struct xm_audit_rec *r),
			 void *arg, int64_t *next)
{
	struct page_cb p = { .cb.audit = cb, .arg = arg };
	int rc;

	rc = page(s, "SELECT id, time, actor, action, detail FROM audit"
		  " WHERE (?1 = 0 OR id < ?1) AND site = " XM_SQL_SITE
		  " ORDER BY id DESC LIMIT ?2",
		  before, limit, audit_row, &p, next);
	return paged(rc, &p, next);
}

static int history_row(sqlite3_stmt *st, void *arg)
{
	struct page_cb *p = arg;
	struct xm_policy_rec r = { 0 };

	fill_policy(st, &r);
	p->last = (int64_t)r.version;
	return p->cb.policy(p->arg, &r);
}

static int sq_history_page(struct xm_store *s, int64_t before, size_t limit,
			   int (*cb)(void *arg, const struct xm_policy_rec *r),
			   void *arg, int64_t *next)
{
	struct page_cb p = { .cb.policy = cb, .arg = arg };
	int rc;

	rc = page(s, "SELECT version, author, created, rollback_of FROM"
		  " policy WHERE (?1 = 0 OR version < ?1) AND site = "
		  XM_SQL_SITE " ORDER BY version DESC LIMIT ?2", before, limit, history_row, &p, next);
	return paged(rc, &p, next);
}

static int agent_row(sqlite3_stmt *st, void *arg)
{
	struct page_cb *p = arg;
	struct xm_agent_rec r;

	agent_rec(st, &r);
	p->last = r.node_id;
	return p->cb.agent(p->arg, &r);
}

static int sq_agent_page(struct xm_store *s, int64_t after, size_t limit,
			 int (*cb)(void *arg, const struct xm_agent_rec *r),
			 void *arg, int64_t *next)
{
	struct page_cb p = { .cb.agent = cb, .arg = arg };
	int rc;

	rc = page(s, "SELECT " AGENT_COLUMNS " FROM agent WHERE node_id > ?1"
		  " AND site = " XM_SQL_SITE " ORDER BY node_id LIMIT ?2",
		  after, limit, agent_row, &p, next);
	return paged(rc, &p, next);
}

static long sq_token_delete(struct xm_store *s, const char *name)
{
	sqlite3_stmt *st = prepare(s, "DELETE FROM token WHERE name = ? AND"
				   " site = " XM_SQL_SITE);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	if (step_done(st))
		return -1;
	return sqlite3_changes(dbh(s));
}

/* One controller on a file: it leads. */
static int sq_remedy_lead(struct xm_store *s)
{
	(void)s;
	return 1;
}

static const struct xm_store_ops sqlite_ops = XM_STORE_OPS(sq);
