// SPDX-License-Identifier: GPL-2.0
/*
 * The store's remediation log (migration 3), tokens revoked, and the
 * pages of the lists (limit and cursor), on a temporary SQLite file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "stores.h"
#include "tap.h"

struct seen {
	int n;
	int64_t ids[16];
	char outcome[256];
	char last_detail[256];
};

static int remedy_cb(void *arg, const struct xm_remedy_rec *r)
{
	struct seen *s = arg;

	if (s->n < 16)
		s->ids[s->n] = r->id;
	if (!s->n)
		snprintf(s->outcome, sizeof(s->outcome), "%s %s %s %u-%u %u",
			 r->rule, r->verdict, r->outcome, r->node, r->peer,
			 r->tries);
	s->n++;
	return 0;
}

static int audit_cb(void *arg, const struct xm_audit_rec *r)
{
	struct seen *s = arg;

	if (s->n < 16)
		s->ids[s->n] = r->id;
	if (!s->n)
		snprintf(s->last_detail, sizeof(s->last_detail), "%s %s %s",
			 r->actor, r->action, r->detail);
	s->n++;
	return 0;
}

static int agent_cb(void *arg, const struct xm_agent_rec *r)
{
	struct seen *s = arg;

	if (s->n < 16)
		s->ids[s->n] = r->node_id;
	s->n++;
	return 0;
}

static int history_cb(void *arg, const struct xm_policy_rec *r)
{
	struct seen *s = arg;

	if (s->n < 16)
		s->ids[s->n] = (int64_t)r->version;
	s->n++;
	return 0;
}

static int sign(void *arg, uint64_t version, const char *text, size_t len,
		uint8_t *sig, size_t *sig_len)
{
	(void)arg;
	(void)version;
	(void)text;
	(void)len;
	memset(sig, 0, 8);
	*sig_len = 8;
	return 0;
}

int main(void)
{
	char dir[] = "/tmp/xmesh-store-remed.XXXXXX", path[256], err[256];
	char name[XM_STORE_NAME_MAX];
	uint8_t h1[XM_TOKEN_HASH_LEN] = { 1 }, h2[XM_TOKEN_HASH_LEN] = { 2 };
	uint8_t h3[XM_TOKEN_HASH_LEN] = { 3 };
	struct xm_remedy_rec r = {
		.time = 100, .rule = "restart", .verdict = "act",
		.action = "hook", .node = 7, .value = 31, .tries = 1,
		.detail = "hook restart",
	};
	struct seen s = { 0 };
	struct xm_store *st;
	int64_t id = 0, id2 = 0, next = -1;
	uint64_t v;
	int i;

	if (!mkdtemp(dir))
		return 1;
	test_store_name(path, sizeof(path), dir, "c.db");
	st = xm_store_open(path, err, sizeof(err));
	if (!ok(st != NULL, "open"))
		return 1;
	ok(xm_store_schema_version(st) >= 3, "migration 3 applied");

	ok(!xm_store_remedy_add(st, &r, &id) && id > 0, "a decision logged");
	r.verdict[0] = '\0';
	strcpy(r.verdict, "escalate");
	r.peer = 8;
	r.time = 200;
	ok(!xm_store_remedy_add(st, &r, &id2) && id2 > id, "another");
	is_int(xm_store_remedy_outcome(st, id, 150, "ok: exit 0"), 0,
	       "its outcome");
	is_int(xm_store_remedy_outcome(st, 999, 150, "x"), 1,
	       "no such decision");
	ok(!xm_store_remedy_page(st, 0, 100, remedy_cb, &s, &next) &&
	   s.n == 2 && s.ids[0] == id2 && s.ids[1] == id && next == 0,
	   "the log: newest first, all on one page");
	is_str(s.outcome, "restart escalate  7-8 1",
	       "the newest as logged, no outcome yet");
	memset(&s, 0, sizeof(s));
	ok(!xm_store_remedy_page(st, id2, 100, remedy_cb, &s, &next) &&
	   s.n == 1 && s.ids[0] == id && next == 0, "before the newest: one");
	is_str(s.outcome, "restart act ok: exit 0 7-0 1", "with its outcome");
	memset(&s, 0, sizeof(s));
	ok(!xm_store_audit_page(st, 0, 1, audit_cb, &s, &next) && s.n == 1 &&
	   next == s.ids[0], "the audit log by pages of 1: a next cursor");
	ok(strstr(s.last_detail, "remediation remediation.outcome #1: ok") != NULL,
	   "the outcome is in the audit log (%s)", s.last_detail);
	for (i = 0; i < 5; i++) {
		memset(&s, 0, sizeof(s));
		if (xm_store_audit_page(st, next, 1, audit_cb, &s, &next) ||
		    !next)
			break;
	}
	ok(s.n == 1 && next == 0 && i == 1,
	   "the audit pages end: 3 entries, the last without a next");

	for (i = 1; i <= 5; i++)
		xm_store_agent_seen(st, (uint32_t)i * 10, 100, 0);
	memset(&s, 0, sizeof(s));
	ok(!xm_store_agent_page(st, 0, 2, agent_cb, &s, &next) && s.n == 2 &&
	   s.ids[0] == 10 && s.ids[1] == 20 && next == 20,
	   "agents by pages of 2: 10, 20, then from 20");
	memset(&s, 0, sizeof(s));
	ok(!xm_store_agent_page(st, next, 2, agent_cb, &s, &next) &&
	   s.n == 2 && s.ids[0] == 30 && next == 40, "30, 40");
	memset(&s, 0, sizeof(s));
	ok(!xm_store_agent_page(st, next, 2, agent_cb, &s, &next) &&
	   s.n == 1 && s.ids[0] == 50 && next == 0, "50, the end");

	for (i = 0; i < 3; i++)
		xm_store_policy_add(st, "{}", 2, "a", 1, 0, sign, NULL, &v);
	memset(&s, 0, sizeof(s));
	ok(!xm_store_history_page(st, 3, 1, history_cb, &s, &next) &&
	   s.n == 1 && s.ids[0] == 2 && next == 2,
	   "history before 3 by 1: version 2, next 2");

	xm_store_token_add(st, h1, XM_ROLE_ADMIN, "ops", 1);
	xm_store_token_add(st, h2, XM_ROLE_READ, "ops", 1);
	xm_store_token_add(st, h3, XM_ROLE_READ, "ci", 1);
	is_int(xm_store_token_revoke(st, "ops", "root", 5), 2,
	       "revoke by name: both tokens named ops");
	ok(xm_store_token_role(st, h1, name) == XM_ROLE_NONE &&
	   xm_store_token_role(st, h2, name) == XM_ROLE_NONE &&
	   xm_store_token_role(st, h3, name) == XM_ROLE_READ,
	   "revoked tokens are unknown; the others stay");
	is_int(xm_store_token_revoke(st, "ops", "root", 5), 0,
	       "none left of that name");
	memset(&s, 0, sizeof(s));
	xm_store_audit_page(st, 0, 1, audit_cb, &s, &next);
	is_str(s.last_detail, "root token.revoke ops (2)", "audited");

	xm_store_close(st);
	st = xm_store_open(path, err, sizeof(err));
	memset(&s, 0, sizeof(s));
	ok(st && !xm_store_remedy_page(st, 0, 10, remedy_cb, &s, &next) &&
	   s.n == 2, "the log survives a reopen");
	xm_store_close(st);
	unlink(path);
	snprintf(path, sizeof(path), "%s/c.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/c.db-shm", dir);
	unlink(path);
	rmdir(dir);
	printf("1..%d\n", tap_n);
	return tap_done();
}
