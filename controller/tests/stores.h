/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The store a test opens. By default a SQLite file in the test's
 * directory. When XMESH_TEST_PG is set (tests/check.sh sets it to the URI
 * of the maintenance database of the PostgreSQL server it started with
 * tests/pg.sh), a new empty database on that server instead, one per
 * call: every test starts from nothing, as with a new file.
 */
#ifndef XM_TEST_STORES_H
#define XM_TEST_STORES_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The server's maintenance database, NULL when the tests run on SQLite. */
static inline const char *test_pg(void)
{
	const char *uri = getenv("XMESH_TEST_PG");

	return uri && *uri ? uri : NULL;
}

/* Connect to the test server's maintenance database, or bail out. */
static inline PGconn *test_pg_admin(void)
{
	PGconn *c = PQconnectdb(test_pg());

	if (PQstatus(c) != CONNECTION_OK) {
		printf("Bail out! PostgreSQL %s: %s", test_pg(),
		       PQerrorMessage(c));
		exit(1);
	}
	return c;
}

/* Run sql (no values: names this file made) on c, or bail out. */
static inline void test_pg_exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK) {
		printf("Bail out! %s: %s", sql, PQerrorMessage(c));
		exit(1);
	}
	PQclear(r);
}

/*
 * The name of a new store for xm_store_open(), in buf: dir/file (dir
 * NULL: file, such as ":memory:"), or the URI of a new database on the
 * test server. Bails out on failure.
 */
static inline const char *test_store_name(char *buf, size_t len,
					  const char *dir, const char *file)
{
	static int n;
	char name[64], sql[128];
	PGconn *c;

	if (!test_pg()) {
		snprintf(buf, len, "%s%s%s", dir ? dir : "", dir ? "/" : "",
			 file);
		return buf;
	}
	/* A copy of the template's files: the fastest way to a new one
	 * (PostgreSQL 15 and later; before, the only way). */
	snprintf(name, sizeof(name), "xt_%ld_%d", (long)getpid(), ++n);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s STRATEGY FILE_COPY",
		 name);
	c = test_pg_admin();
	if (PQserverVersion(c) < 150000)
		*strstr(sql, " STRATEGY") = '\0';
	test_pg_exec(c, sql);
	snprintf(buf, len, "postgresql:///%s?host=%s&port=%s&user=%s", name,
		 PQhost(c), PQport(c), PQuser(c));
	PQfinish(c);
	return buf;
}

#endif /* XM_TEST_STORES_H */
