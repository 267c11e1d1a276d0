// SPDX-License-Identifier: GPL-2.0
/*
 * The store (store.h) on a temporary SQLite file, or on a new database of
 * the test server when XMESH_TEST_PG is set (tests/stores.h): the same
 * checks, then those of the store's own kind (a file's mode; PostgreSQL's
 * migration table and its connection).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "stores.h"
#include "tap.h"

static int fake_sign(void *arg, uint64_t version, const char *text,
		     size_t len, uint8_t *sig, size_t *sig_len)
{
	int *fail = arg;

	if (fail && *fail)
		return -1;
	(void)text;
	memset(sig, 0, 16);
	sig[0] = (uint8_t)version;
	sig[1] = (uint8_t)len;
	*sig_len = 16;
	return 0;
}

struct hist {
	int n;
	uint64_t versions[8];
	uint64_t rollback_of[8];
};

static int hist_cb(void *arg, const struct xm_policy_rec *r)
{
	struct hist *h = arg;

	if (h->n < 8) {
		h->versions[h->n] = r->version;
		h->rollback_of[h->n] = r->rollback_of;
	}
	h->n++;
	return 0;
}

static int agent_cb(void *arg, const struct xm_agent_rec *r)
{
	struct xm_agent_rec *out = arg;

	out[r->node_id == 7 ? 0 : 1] = *r;
	return 0;
}

/* Node 7's error and its time, as "TIME ERROR". */
static int error_cb(void *arg, const struct xm_agent_rec *r)
{
	if (r->node_id == 7)
		snprintf(arg, 128, "%lld %s", (long long)r->error_time,
			 r->error);
	return 0;
}

static int audit_cb(void *arg, const struct xm_audit_rec *r)
{
	char *last = arg;

	snprintf(last, 128, "%s %s %s", r->actor, r->action, r->detail);
	return 0;
}

/* Whoever may write the store may add a token: its owner only. */
static void test_file(const char *path, mode_t old_umask)
{
	struct xm_store *s;
	struct stat st;
	char err[256];

	if (stat(path, &st))
		st.st_mode = 0777;
	ok(!(st.st_mode & 077),
	   "a new store is its owner's only (mode %o under umask %o)",
	   st.st_mode & 0777, old_umask);
	chmod(path, 0666);
	s = xm_store_open(path, err, sizeof(err));
	ok(!s && strstr(err, "writable"),
	   "a store others may write is refused: %s", s ? "opened" : err);
	xm_store_close(s);
	chmod(path, 0600);
	if (!chown(path, 65534, (gid_t)-1)) {
		s = xm_store_open(path, err, sizeof(err));
		ok(!s && strstr(err, "another user"),
		   "a store another user owns is refused: %s",
		   s ? "opened" : err);
		xm_store_close(s);
		if (chown(path, geteuid(), (gid_t)-1))
			exit(1);
	} else {
		ok(1, "# skip a store another user owns: cannot chown");
	}
}

/* The first value of a query on c, in buf ("" if none). */
static const char *pg_value(PGconn *c, const char *sql, char *buf,
			    size_t len)
{
	PGresult *r = PQexec(c, sql);

	snprintf(buf, len, "%s", PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) :
		 PQerrorMessage(c));
	PQclear(r);
	return buf;
}

/* Wait for the two threads t (if both started: !failed), their results
 * in out. */
static void two(const char *what, int failed, pthread_t t[2], void *out[2])
{
	int i;

	out[0] = out[1] = NULL;
	if (failed) {
		printf("Bail out! %s: cannot start a thread\n", what);
		exit(1);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], &out[i]);
}

/* Open the store named arg, as a second controller would: NULL if it
 * cannot. */
static void *open_thread(void *arg)
{
	char err[256];

	return xm_store_open(arg, err, sizeof(err));
}

/* Add 20 policy versions to store arg: the failures. */
static void *add_thread(void *arg)
{
	uint64_t v;
	long failed = 0;
	int i;

	for (i = 0; i < 20; i++)
		failed += !!xm_store_policy_add(arg, "p", 1, "ops", i, 0,
						fake_sign, NULL, &v);
	return (void *)failed;
}

/*
 * On PostgreSQL (name: the store's URI): its migration table; a database
 * an older controller left at version 2, and one a newer controller
 * migrated; a connection the server closed; a server out of reach.
 */
static void test_pg_store(const char *name)
{
	char err[256], older[256], buf[256];
	PGconn *c = PQconnectdb(name), *o;
	struct xm_remedy_rec r = { .rule = "r", .verdict = "act",
				   .action = "notify", .node = 7 };
	void *two_s[2], *failed[2];
	struct xm_store *s;
	pthread_t t[2];
	int64_t id = 0;

	is_str(pg_value(c, "SELECT string_agg(version::text, ','"
			" ORDER BY version) FROM schema_migration", buf,
			sizeof(buf)), "1,2,3,4,5,6",
	       "PostgreSQL: each migration recorded once, reopened or not");

	test_store_name(older, sizeof(older), NULL, ":memory:");
	xm_store_close(xm_store_open(older, err, sizeof(err)));
	o = PQconnectdb(older);
	/* Migrations 3 to 6 undone: what a controller of version 2 left,
	 * with a version and an agent of its one site. */
	test_pg_exec(o, "DROP TABLE remediation;"
		     " ALTER TABLE agent DROP COLUMN error,"
		     " DROP COLUMN error_time, DROP COLUMN site,"
		     " ADD PRIMARY KEY (node_id);"
		     " ALTER TABLE policy DROP COLUMN site,"
		     " ADD PRIMARY KEY (version);"
		     " ALTER TABLE token DROP COLUMN site;"
		     " ALTER TABLE audit DROP COLUMN site;"
		     " ALTER TABLE event DROP COLUMN site;"
		     " ALTER TABLE sample DROP COLUMN site;"
		     " CREATE INDEX sample_series ON sample"
		     " (tier, node, peer, metric, time);"
		     " CREATE INDEX sample_age ON sample (tier, time);"
		     " INSERT INTO policy VALUES (1, 'p', '\\x00', 'ann', 1, 0);"
		     " INSERT INTO agent VALUES (9, 1, 1);"
		     " DELETE FROM schema_migration WHERE version > 2");
	s = xm_store_open(older, err, sizeof(err));
	ok(s && xm_store_schema_version(s) == 6 &&
	   !xm_store_remedy_add(s, &r, &id) && id == 1 &&
	   !xm_store_agent_seen(s, 7, 1, 0) &&
	   xm_store_agent_error(s, 7, 2, "x") == 1,
	   "a database left at version 2 is brought to 6: %s",
	   s ? "opened" : err);
	ok(s && xm_store_policy_current(s) == 1 &&
	   xm_store_agent_count(s) == 2,
	   "its version and agent are the default site's");
	xm_store_close(s);
	s = xm_store_open_site(older, "b", err, sizeof(err));
	ok(s && xm_store_policy_current(s) == 0 &&
	   xm_store_agent_count(s) == 0, "and not another site's");
	xm_store_close(s);
	test_pg_exec(o, "INSERT INTO schema_migration (version) VALUES (99)");
	s = xm_store_open(older, err, sizeof(err));
	ok(!s && strstr(err, "newer"),
	   "a database a newer controller migrated is refused: %s",
	   s ? "opened" : err);
	xm_store_close(s);
	PQfinish(o);

	/* Two controllers starting at once on a new database, then adding
	 * versions at once. */
	test_store_name(older, sizeof(older), NULL, ":memory:");
	two(older, pthread_create(&t[0], NULL, open_thread, older) ||
	    pthread_create(&t[1], NULL, open_thread, older), t, two_s);
	o = PQconnectdb(older);
	ok(two_s[0] && two_s[1] &&
	   !strcmp(pg_value(o, "SELECT string_agg(version::text, ','"
			    " ORDER BY version) FROM schema_migration", buf,
			    sizeof(buf)), "1,2,3,4,5,6"),
	   "two controllers opening a new database at once: it is migrated"
	   " once, both open (%s)", buf);
	if (two_s[0] && two_s[1]) {
		two(older, pthread_create(&t[0], NULL, add_thread, two_s[0]) ||
		    pthread_create(&t[1], NULL, add_thread, two_s[1]), t,
		    failed);
		pg_value(o, "SELECT COUNT(*) || ' ' || MAX(version)"
			 " FROM policy", buf, sizeof(buf));
		ok(!failed[0] && !failed[1] && !strcmp(buf, "40 40"),
		   "two controllers adding versions at once: one sequence,"
		   " none refused (%s versions, the last; %ld and %ld"
		   " refused)", buf, (long)failed[0], (long)failed[1]);
	}
	xm_store_close(two_s[0]);
	xm_store_close(two_s[1]);
	PQfinish(o);

	/* Closed by the server while idle (an administrator, a restart):
	 * noticed before the next call, which reconnects. */
	s = xm_store_open(name, err, sizeof(err));
	cap_begin();
	pg_value(c, "SELECT bool_and(pg_terminate_backend(pid, 10000)) FROM"
		 " pg_stat_activity WHERE datname = current_database() AND"
		 " pid <> pg_backend_pid()", buf, sizeof(buf));
	id = s ? xm_store_agent_count(s) : -1;
	cap_end();
	ok(!strcmp(buf, "t") && id == 2 && strstr(cap_buf, "is lost") &&
	   strstr(cap_buf, "reconnected"),
	   "a connection the server closed: reported, the next call"
	   " reconnects (%s, %lld agents)", buf, (long long)id);
	ok(s && xm_store_policy_current(s) == 3, "and the store works on");
	xm_store_close(s);
	PQfinish(c);

	s = xm_store_open("postgresql://xmesh:secret@/none?host=/nonexistent",
			  err, sizeof(err));
	ok(!s && !strncmp(err, "PostgreSQL: ", 12) && !strstr(err, "secret"),
	   "a server out of reach: refused, the password not shown: %s",
	   s ? "opened" : err);
	xm_store_close(s);
}

int main(void)
{
	char dir[] = "/tmp/xmesh-store.XXXXXX", path[256], err[256];
	char name[XM_STORE_NAME_MAX], last[128] = "";
	uint8_t h1[XM_TOKEN_HASH_LEN] = { 1 }, h2[XM_TOKEN_HASH_LEN] = { 2 };
	struct xm_agent_rec agents[2];
	struct xm_policy_rec rec;
	struct xm_store *s;
	struct hist h = { 0 };
	uint64_t v = 0;
	mode_t old_umask = umask(022);
	int fail = 1;

	if (!mkdtemp(dir))
		return 1;
	test_store_name(path, sizeof(path), dir, "c.db");
	s = xm_store_open(path, err, sizeof(err));
	if (!ok(s != NULL, "open creates the store"))
		return 1;
	is_int(xm_store_schema_version(s), 6, "the migrations are applied");
	is_int((long long)xm_store_policy_current(s), 0, "no policy at first");
	is_int(xm_store_policy_get(s, 0, &rec), 1, "getting it: none");

	is_int(xm_store_policy_add(s, "a", 1, "ann", 100, 0, fake_sign,
				   NULL, &v), 0, "add version 1");
	is_int((long long)v, 1, "numbered 1");
	is_int(xm_store_policy_add(s, "bb", 2, "bob", 200, 0, fake_sign,
				   NULL, &v), 0, "add version 2");
	is_int((long long)v, 2, "numbered 2");
	is_int(xm_store_policy_add(s, "ccc", 3, "bob", 250, 0, fake_sign,
				   &fail, &v), -1,
	       "a signing failure adds nothing");
	is_int((long long)xm_store_policy_current(s), 2,
	       "current is still 2");
	is_int(xm_store_policy_add(s, "a", 1, "cid", 300, 1, fake_sign,
				   NULL, &v), 0, "a rollback to 1");
	is_int((long long)v, 3, "is version 3");

	if (ok(!xm_store_policy_get(s, 0, &rec), "get the current")) {
		is_int((long long)rec.version, 3, "current version 3");
		is_str(rec.text, "a", "its text");
		is_str(rec.author, "cid", "its author");
		is_int((long long)rec.rollback_of, 1, "restores 1");
		ok(rec.sig_len == 16 && rec.signature[0] == 3,
		   "its signature, made for version 3");
		xm_policy_rec_free(&rec);
	}
	if (ok(!xm_store_policy_get(s, 2, &rec), "get version 2")) {
		is_str(rec.text, "bb", "its text");
		is_int(rec.created, 200, "its time");
		xm_policy_rec_free(&rec);
	}
	is_int(xm_store_policy_get(s, 9, &rec), 1, "version 9: none");
	is_int(xm_store_policy_history(s, hist_cb, &h), 0, "history");
	ok(h.n == 3 && h.versions[0] == 3 && h.versions[2] == 1 &&
	   h.rollback_of[0] == 1 && h.rollback_of[1] == 0,
	   "history is newest first, with the rollback marked");

	is_int(xm_store_token_add(s, h1, XM_ROLE_OPERATOR, "ops", 1), 0,
	       "add a token");
	is_int(xm_store_token_add(s, h1, XM_ROLE_ADMIN, "again", 1), -1,
	       "the same token twice is refused");
	is_int(xm_store_token_add(s, h2, 7, "bad", 1), -1,
	       "an unknown role is refused");
	is_int(xm_store_token_role(s, h1, name), XM_ROLE_OPERATOR,
	       "a token's role");
	is_str(name, "ops", "and name");
	is_int(xm_store_token_role(s, h2, name), XM_ROLE_NONE,
	       "an unknown token has none");

	xm_store_agent_seen(s, 7, 10, 2);
	xm_store_agent_seen(s, 9, 11, 0);
	xm_store_agent_seen(s, 7, 12, 0);
	is_int(xm_store_agent_count(s), 2, "two agents");
	memset(agents, 0, sizeof(agents));
	xm_store_agent_list(s, agent_cb, agents);
	ok(agents[0].node_id == 7 && agents[0].last_seen == 12 &&
	   agents[0].policy_version == 2,
	   "an agent's last report keeps its version when it gives none");
	ok(agents[1].node_id == 9 && agents[1].policy_version == 0,
	   "the other agent");
	xm_store_agent_list(s, error_cb, last);
	is_str(last, "0 ", "no error at first");
	is_int(xm_store_agent_error(s, 7, 13, "version 3 not applied: x"), 1,
	       "an agent's error: a change");
	is_int(xm_store_agent_error(s, 8, 13, "not an agent"), 0,
	       "an unknown agent's: none");
	xm_store_agent_seen(s, 7, 14, 0);
	xm_store_agent_list(s, error_cb, last);
	is_str(last, "13 version 3 not applied: x",
	       "kept with its time, through a poll");
	is_int(xm_store_agent_error(s, 7, 14, "version 3 not applied: x"), 0,
	       "the same error again: no change");
	xm_store_agent_list(s, error_cb, last);
	is_str(last, "13 version 3 not applied: x",
	       "its time that of its first report");
	is_int(xm_store_agent_count(s), 2, "an unknown agent's error: no agent");
	is_int(xm_store_agent_error(s, 7, 15, ""), 1, "cleared: a change");
	xm_store_agent_list(s, error_cb, last);
	is_str(last, "0 ", "cleared");
	is_int(xm_store_agent_error(s, 7, 16, ""), 0, "cleared again: none");

	xm_store_audit_add(s, 400, "ops", "token.add", "x");
	xm_store_audit_list(s, audit_cb, last);
	is_str(last, "ops token.add x", "the audit log's last entry");
	/* A hook's output cut in the middle of a character: kept as it is
	 * on SQLite; on PostgreSQL, which takes UTF-8 only, a '?' for it. */
	ok(!xm_store_audit_add(s, 401, "ops", "hook", "\xc3\xa9t\xc3\xa9 \xc3"),
	   "text that is not UTF-8 is stored");
	xm_store_audit_list(s, audit_cb, last);
	is_str(last, test_pg() ? "ops hook \xc3\xa9t\xc3\xa9 ?" :
	       "ops hook \xc3\xa9t\xc3\xa9 \xc3", "as it is, or with a '?'");
	xm_store_close(s);

	s = xm_store_open(path, err, sizeof(err));
	ok(s && xm_store_policy_current(s) == 3 &&
	   xm_store_schema_version(s) == 6,
	   "reopened: the history is kept, no migration applied twice");
	xm_store_close(s);
	if (test_pg())
		test_pg_store(path);
	else
		test_file(path, old_umask);

	snprintf(path, sizeof(path), "%s/c.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/c.db-shm", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/c.db", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
