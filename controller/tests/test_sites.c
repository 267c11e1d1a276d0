// SPDX-License-Identifier: GPL-2.0
/*
 * Sites in the store (store.h, Documentation/controller.md, "Sites"): two
 * sites on one store see nothing of each other (policy versions, agents,
 * the audit log, telemetry samples and events, the remediation log,
 * tokens), a token of every site is known on both, and on SQLite a store
 * older than sites keeps its rows as the default site's. On SQLite, or on
 * PostgreSQL when XMESH_TEST_PG is set (tests/stores.h).
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "stores.h"
#include "tap.h"
#include "telemetry.h"

static int fake_sign(void *arg, uint64_t version, const char *text,
		     size_t len, uint8_t *sig, size_t *sig_len)
{
	(void)arg;
	(void)text;
	(void)len;
	memset(sig, 0, 16);
	sig[0] = (uint8_t)version;
	*sig_len = 16;
	return 0;
}

static int count_remedy(void *arg, const struct xm_remedy_rec *r)
{
	(void)r;
	++*(int *)arg;
	return 0;
}

static int count_audit(void *arg, const struct xm_audit_rec *r)
{
	(void)r;
	++*(int *)arg;
	return 0;
}

static int count_event(void *arg, int64_t id, const struct xm_tele_event *e)
{
	(void)id;
	(void)e;
	++*(int *)arg;
	return 0;
}

static int count_point(void *arg, int64_t t, double v)
{
	(void)t;
	(void)v;
	++*(int *)arg;
	return 0;
}

/* What site s holds, as "versions agents audit samples events remedies". */
static const char *holdings(struct xm_store *s, char *buf, size_t len)
{
	int audit = 0, events = 0, points = 0, remedies = 0;
	int64_t next;

	xm_store_audit_list(s, count_audit, &audit);
	xm_store_event_list(s, 0, 100, count_event, &events);
	xm_store_series(s, 0, 7, 0, XM_TELE_M_LOAD, 0, 1000, 100, count_point,
			&points);
	xm_store_remedy_page(s, 0, 100, count_remedy, &remedies, &next);
	snprintf(buf, len, "%llu %ld %d %d %d %d",
		 (unsigned long long)xm_store_policy_current(s),
		 xm_store_agent_count(s), audit, points, events, remedies);
	return buf;
}

/* The rows of s's site, table by table (xm_store_rows()), as "agent=1
 * audit=4 ...". */
static const char *rows(struct xm_store *s, char *buf, size_t len)
{
	size_t n = 0;
	unsigned int t;

	buf[0] = '\0';
	for (t = 0; t < XM_STORE_TABLES && n < len; t++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s=%ld",
				      t ? " " : "", xm_store_table_name(t),
				      xm_store_rows(s, t));
	return buf;
}

static void test_two_sites(const char *name)
{
	uint8_t ha[XM_TOKEN_HASH_LEN] = { 1 }, hb[XM_TOKEN_HASH_LEN] = { 2 };
	uint8_t hall[XM_TOKEN_HASH_LEN] = { 3 };
	struct xm_tele_sample smp = { .node = 7, .metric = XM_TELE_M_LOAD,
				      .time = 10, .value = 1.5 };
	struct xm_tele_event ev = { .time = 10, .kind = XM_TELE_EV_NODE_UP,
				    .node = 7 };
	struct xm_remedy_rec rr = { .time = 10, .rule = "r", .verdict = "act",
				    .action = "notify", .node = 7 };
	struct xm_store *a, *b, *all;
	char err[256], buf[64], big[160], who[XM_STORE_NAME_MAX];
	int64_t id;
	uint64_t v;
	int i;

	a = xm_store_open_site(name, "alpha", err, sizeof(err));
	b = xm_store_open_site(name, "beta", err, sizeof(err));
	all = xm_store_open_site(name, XM_SITE_ALL, err, sizeof(err));
	if (!ok(a && b && all, "two sites and every site open on one store"))
		return;
	is_str(xm_store_site(b), "beta", "a store handle names its site");

	/* Site alpha: three versions, an agent, telemetry, a decision. */
	for (i = 0; i < 3; i++)
		xm_store_policy_add(a, "p", 1, "ann", 10, 0, fake_sign, NULL,
				    &v);
	xm_store_agent_seen(a, 7, 10, 3);
	xm_store_samples_add(a, 10, &smp, 1);
	xm_store_event_add(a, &ev, &id);
	xm_store_remedy_add(a, &rr, &id);
	/* Site beta: one version, of its own numbering. */
	ok(!xm_store_policy_add(b, "q", 1, "bob", 10, 0, fake_sign, NULL,
				&v) && v == 1,
	   "site beta's first version is 1 (alpha has 3)");
	is_str(holdings(a, buf, sizeof(buf)), "3 1 4 1 1 1",
	       "site alpha: its versions, agent, audit, samples, events,"
	       " remediation log");
	is_str(holdings(b, buf, sizeof(buf)), "1 0 1 0 0 0",
	       "site beta sees none of alpha's");
	ok(xm_store_policy_get(b, 3, &(struct xm_policy_rec){ 0 }) == 1,
	   "site beta cannot read alpha's version 3");
	is_int(xm_store_remedy_outcome(b, id, 11, "ok"), 1,
	       "nor set the outcome of alpha's decision");
	xm_store_agent_seen(b, 7, 20, 1);
	is_int(xm_store_agent_count(a), 1,
	       "node 7 of beta too: alpha still has its one agent");
	is_str(rows(a, big, sizeof(big)), "agent=1 audit=4 event=1 policy=3"
	       " remediation=1 sample=1 token=0",
	       "the rows of alpha's tables, counted");
	is_str(rows(b, big, sizeof(big)), "agent=1 audit=1 event=0 policy=1"
	       " remediation=0 sample=0 token=0",
	       "the rows of beta's: none of alpha's");

	/* Tokens: a site's, and one of every site. */
	xm_store_token_add(a, ha, XM_ROLE_ADMIN, "ops", 1);
	xm_store_token_add(b, hb, XM_ROLE_READ, "ops", 1);
	xm_store_token_add(all, hall, XM_ROLE_OPERATOR, "root", 1);
	ok(xm_store_token_role(a, ha, who) == XM_ROLE_ADMIN &&
	   xm_store_token_role(b, ha, who) == XM_ROLE_NONE,
	   "alpha's token is known on alpha, not on beta");
	ok(xm_store_token_role(a, hall, who) == XM_ROLE_OPERATOR &&
	   xm_store_token_role(b, hall, who) == XM_ROLE_OPERATOR,
	   "a token of every site is known on both");
	is_int(xm_store_token_revoke(b, "ops", "root", 2), 1,
	       "revoking \"ops\" on beta revokes beta's only");
	ok(xm_store_token_role(a, ha, who) == XM_ROLE_ADMIN,
	   "alpha's \"ops\" is kept");
	ok(!xm_store_open_site(name, "Bad/Name", err, sizeof(err)) &&
	   strstr(err, "not a site name"), "a bad site name: %s", err);
	ok(xm_store_remedy_lead(a) == 1 && xm_store_remedy_lead(b) == 1,
	   "each site has its leader");
	if (test_pg()) {
		/* A second controller: it leads neither, until a site's
		 * leader is gone. */
		struct xm_store *a2 = xm_store_open_site(name, "alpha", err,
							 sizeof(err));
		struct xm_store *b2 = xm_store_open_site(name, "beta", err,
							 sizeof(err));
		int lead = 0, tries;

		ok(a2 && b2 && xm_store_remedy_lead(a2) == 0 &&
		   xm_store_remedy_lead(b2) == 0,
		   "PostgreSQL: a second controller leads neither site");
		xm_store_close(a);
		a = NULL;
		/* The server frees the lock when the old session's backend
		 * notices the closed connection: soon, not at once. */
		for (tries = 0; a2 && tries < 200 && lead != 1; tries++) {
			lead = xm_store_remedy_lead(a2);
			if (lead != 1)
				usleep(50 * 1000);
		}
		ok(a2 && b2 && lead == 1 && xm_store_remedy_lead(b2) == 0,
		   "alpha's leader gone: it leads alpha (after %d tries), beta's stays",
		   tries);
		xm_store_close(a2);
		xm_store_close(b2);
	}
	xm_store_close(a);
	xm_store_close(b);
	xm_store_close(all);
}

/* A SQLite store of migration 4 (before sites), with a version, an
 * agent, a token, samples and events; the new controller opens it. */
static void test_upgrade(const char *dir)
{
	uint8_t h[XM_TOKEN_HASH_LEN] = { 9 };
	char path[256], err[256], buf[64], who[XM_STORE_NAME_MAX];
	struct xm_store *s;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/old.db", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return;
	sqlite3_exec(db,
		"CREATE TABLE policy (version INTEGER PRIMARY KEY, text TEXT"
		" NOT NULL, signature BLOB NOT NULL, author TEXT NOT NULL,"
		" created INTEGER NOT NULL, rollback_of INTEGER NOT NULL"
		" DEFAULT 0);"
		"CREATE TABLE token (hash BLOB PRIMARY KEY, role INTEGER NOT"
		" NULL, name TEXT NOT NULL, created INTEGER NOT NULL);"
		"CREATE TABLE agent (node_id INTEGER PRIMARY KEY, last_seen"
		" INTEGER NOT NULL, policy_version INTEGER NOT NULL DEFAULT 0,"
		" error TEXT NOT NULL DEFAULT '', error_time INTEGER NOT NULL"
		" DEFAULT 0);"
		"CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT,"
		" time INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT"
		" NULL, detail TEXT NOT NULL);"
		"CREATE TABLE sample (tier INTEGER NOT NULL, node INTEGER NOT"
		" NULL, peer INTEGER NOT NULL, metric INTEGER NOT NULL, time"
		" INTEGER NOT NULL, value REAL NOT NULL);"
		"CREATE INDEX sample_series ON sample (tier, node, peer,"
		" metric, time);"
		"CREATE INDEX sample_age ON sample (tier, time);"
		"CREATE TABLE event (id INTEGER PRIMARY KEY AUTOINCREMENT,"
		" time INTEGER NOT NULL, kind TEXT NOT NULL, node INTEGER NOT"
		" NULL, peer INTEGER NOT NULL, detail TEXT NOT NULL);"
		"CREATE TABLE remediation (id INTEGER PRIMARY KEY"
		" AUTOINCREMENT, time INTEGER NOT NULL, rule TEXT NOT NULL,"
		" verdict TEXT NOT NULL, action TEXT NOT NULL, node INTEGER"
		" NOT NULL, peer INTEGER NOT NULL DEFAULT 0, value REAL NOT"
		" NULL DEFAULT 0, tries INTEGER NOT NULL DEFAULT 0, detail"
		" TEXT NOT NULL DEFAULT '', outcome TEXT NOT NULL DEFAULT '',"
		" outcome_time INTEGER NOT NULL DEFAULT 0);"
		"INSERT INTO policy VALUES (1, 'a', x'00', 'ann', 1, 0);"
		"INSERT INTO policy VALUES (2, 'b', x'00', 'ann', 2, 0);"
		"INSERT INTO token VALUES (x'09000000000000000000000000000000"
		"00000000000000000000000000000000', 3, 'root', 1);"
		"INSERT INTO agent VALUES (7, 5, 2, '', 0);"
		"INSERT INTO audit VALUES (1, 1, 'ann', 'policy.apply', 'v1');"
		"INSERT INTO sample VALUES (0, 7, 0, 5, 10, 1.5);"
		"INSERT INTO event VALUES (1, 10, 'node-up', 7, 0, '');"
		"INSERT INTO remediation (time, rule, verdict, action, node)"
		" VALUES (10, 'r', 'act', 'notify', 7);"
		"PRAGMA user_version = 4;", NULL, NULL, NULL);
	sqlite3_close(db);

	s = xm_store_open(path, err, sizeof(err));
	ok(s && xm_store_schema_version(s) == 6,
	   "a store of migration 4 is brought to 6: %s", s ? "opened" : err);
	if (!s)
		return;
	is_str(holdings(s, buf, sizeof(buf)), "2 1 1 1 1 1",
	       "its versions, agent, audit, samples, events and remediation"
	       " log are the default site's");
	ok(xm_store_token_role(s, h, who) == XM_ROLE_ADMIN &&
	   !strcmp(who, "root"), "its token is the default site's");
	xm_store_close(s);
	s = xm_store_open_site(path, "other", err, sizeof(err));
	ok(s && !strcmp(holdings(s, buf, sizeof(buf)), "0 0 0 0 0 0") &&
	   xm_store_token_role(s, h, who) == XM_ROLE_NONE,
	   "another site has none of them");
	xm_store_close(s);
}

int main(void)
{
	char dir[] = "/tmp/xmesh-sites.XXXXXX", name[256], cmd[64];

	if (!mkdtemp(dir))
		return 1;
	test_two_sites(test_store_name(name, sizeof(name), dir, "s.db"));
	if (!test_pg())
		test_upgrade(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return 1;
	return tap_done();
}
