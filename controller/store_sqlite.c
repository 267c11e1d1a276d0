// SPDX-License-Identifier: GPL-2.0
/*
 * The store (store.h) on SQLite: WAL journal, foreign keys on, the schema
 * brought up to date by the numbered migrations below, each applied in
 * its own transaction with PRAGMA user_version set to its number. A
 * migration is never edited once released: a change is a new one.
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

#include "store.h"

struct xm_store {
	sqlite3 *db;
};

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
};

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

static void copy_name(char dst[XM_STORE_NAME_MAX], const unsigned char *s)
{
	snprintf(dst, XM_STORE_NAME_MAX, "%s", s ? (const char *)s : "");
}

int xm_store_schema_version(struct xm_store *s)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int migrate(struct xm_store *s, char *err, size_t errlen)
{
	int have = xm_store_schema_version(s);
	size_t i;

	if (have < 0) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
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
		if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) ||
		    sqlite3_exec(s->db, migrations[i].sql, NULL, NULL, &msg) ||
		    sqlite3_exec(s->db, pragma, NULL, NULL, &msg) ||
		    sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg)) {
			snprintf(err, errlen, "migration %d: %s",
				 migrations[i].number, msg ? msg : "?");
			sqlite3_free(msg);
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
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

struct xm_store *xm_store_open(const char *path, char *err, size_t errlen)
{
	struct xm_store *s = calloc(1, sizeof(*s));
	char *msg = NULL;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (store_file(path, err, errlen))
		goto fail;
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 s->db ? sqlite3_errmsg(s->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (sqlite3_exec(s->db, "PRAGMA journal_mode = WAL;"
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
	sqlite3_close(s->db);
	free(s);
	return NULL;
}

void xm_store_close(struct xm_store *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s);
}

static sqlite3_stmt *prepare(struct xm_store *s, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
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

uint64_t xm_store_policy_current(struct xm_store *s)
{
	sqlite3_stmt *st = prepare(s, "SELECT MAX(version) FROM policy");
	uint64_t v = 0;

	if (!st)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int xm_store_policy_add(struct xm_store *s, const char *text, size_t len,
			const char *author, int64_t now, uint64_t rollback_of,
			xm_store_sign_fn sign, void *arg, uint64_t *version)
{
	uint8_t sig[128];
	size_t sig_len = sizeof(sig);
	sqlite3_stmt *st;
	char detail[96];
	uint64_t v;

	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL))
		return -1;
	v = xm_store_policy_current(s) + 1;
	if (sign(arg, v, text, len, sig, &sig_len))
		goto fail;
	st = prepare(s, "INSERT INTO policy (version, text, signature, author,"
		     " created, rollback_of) VALUES (?, ?, ?, ?, ?, ?)");
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
	if (rollback_of)
		snprintf(detail, sizeof(detail),
			 "version %llu restores version %llu",
			 (unsigned long long)v,
			 (unsigned long long)rollback_of);
	else
		snprintf(detail, sizeof(detail), "version %llu",
			 (unsigned long long)v);
	if (xm_store_audit_add(s, now, author,
			       rollback_of ? "policy.rollback" : "policy.apply",
			       detail))
		goto fail;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL))
		goto fail;
	*version = v;
	return 0;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static void fill_policy(sqlite3_stmt *st, struct xm_policy_rec *r)
{
	r->version = (uint64_t)sqlite3_column_int64(st, 0);
	copy_name(r->author, sqlite3_column_text(st, 1));
	r->created = sqlite3_column_int64(st, 2);
	r->rollback_of = (uint64_t)sqlite3_column_int64(st, 3);
}

int xm_store_policy_get(struct xm_store *s, uint64_t version,
			struct xm_policy_rec *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!version)
		version = xm_store_policy_current(s);
	st = prepare(s, "SELECT version, author, created, rollback_of, text,"
		     " signature FROM policy WHERE version = ?");
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

void xm_policy_rec_free(struct xm_policy_rec *r)
{
	free(r->text);
	free(r->signature);
	r->text = NULL;
	r->signature = NULL;
}

int xm_store_policy_history(struct xm_store *s,
			    int (*cb)(void *arg,
				      const struct xm_policy_rec *r),
			    void *arg)
{
	sqlite3_stmt *st = prepare(s, "SELECT version, author, created,"
				   " rollback_of FROM policy"
				   " ORDER BY version DESC");
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

int xm_store_token_add(struct xm_store *s,
		       const uint8_t hash[XM_TOKEN_HASH_LEN],
		       enum xm_role role, const char *name, int64_t now)
{
	sqlite3_stmt *st;

	if (!xm_role_name(role))
		return -1;
	st = prepare(s, "INSERT INTO token (hash, role, name, created)"
		     " VALUES (?, ?, ?, ?)");
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, hash, XM_TOKEN_HASH_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, role);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now);
	return step_done(st);
}

enum xm_role xm_store_token_role(struct xm_store *s,
				 const uint8_t hash[XM_TOKEN_HASH_LEN],
				 char name[XM_STORE_NAME_MAX])
{
	sqlite3_stmt *st = prepare(s, "SELECT role, name FROM token"
				   " WHERE hash = ?");
	enum xm_role role = XM_ROLE_NONE;

	name[0] = '\0';
	if (!st)
		return XM_ROLE_NONE;
	sqlite3_bind_blob(st, 1, hash, XM_TOKEN_HASH_LEN, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		role = sqlite3_column_int(st, 0);
		copy_name(name, sqlite3_column_text(st, 1));
		if (!xm_role_name(role))
			role = XM_ROLE_NONE;
	}
	sqlite3_finalize(st);
	return role;
}

int xm_store_agent_seen(struct xm_store *s, uint32_t node_id, int64_t now,
			uint64_t policy_version)
{
	sqlite3_stmt *st = prepare(s,
		"INSERT INTO agent (node_id, last_seen, policy_version)"
		" VALUES (?1, ?2, ?3) ON CONFLICT (node_id) DO UPDATE SET"
		" last_seen = ?2, policy_version = CASE WHEN ?3 = 0"
		" THEN policy_version ELSE ?3 END");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, node_id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)policy_version);
	return step_done(st);
}

int xm_store_agent_list(struct xm_store *s,
			int (*cb)(void *arg, const struct xm_agent_rec *r),
			void *arg)
{
	sqlite3_stmt *st = prepare(s, "SELECT node_id, last_seen,"
				   " policy_version FROM agent"
				   " ORDER BY node_id");
	struct xm_agent_rec r;
	bool stop = false;
	int rc;

	if (!st)
		return -1;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.node_id = (uint32_t)sqlite3_column_int64(st, 0);
		r.last_seen = sqlite3_column_int64(st, 1);
		r.policy_version = (uint64_t)sqlite3_column_int64(st, 2);
		stop = cb(arg, &r);
	}
	return rows_done(st, rc, stop);
}

long xm_store_agent_count(struct xm_store *s)
{
	sqlite3_stmt *st = prepare(s, "SELECT COUNT(*) FROM agent");
	long n = -1;

	if (!st)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int xm_store_audit_add(struct xm_store *s, int64_t now, const char *actor,
		       const char *action, const char *detail)
{
	sqlite3_stmt *st = prepare(s, "INSERT INTO audit (time, actor,"
				   " action, detail) VALUES (?, ?, ?, ?)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, actor, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, action, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, detail, -1, SQLITE_TRANSIENT);
	return step_done(st);
}

int xm_store_audit_list(struct xm_store *s,
			int (*cb)(void *arg, const struct xm_audit_rec *r),
			void *arg)
{
	sqlite3_stmt *st = prepare(s, "SELECT id, time, actor, action, detail"
				   " FROM audit ORDER BY id");
	struct xm_audit_rec r;
	bool stop = false;
	int rc;

	if (!st)
		return -1;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.id = sqlite3_column_int64(st, 0);
		r.time = sqlite3_column_int64(st, 1);
		copy_name(r.actor, sqlite3_column_text(st, 2));
		r.action = (const char *)sqlite3_column_text(st, 3);
		r.detail = (const char *)sqlite3_column_text(st, 4);
		stop = cb(arg, &r);
	}
	return rows_done(st, rc, stop);
}
