// SPDX-License-Identifier: GPL-2.0
/*
 * Several controllers, the agent's side (controller_client.h,
 * telemetry.h): which controller a thread asks as they fail and come
 * back, and the telemetry buffer that keeps reports over a failover.
 * Pure code: time is passed in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/config.h"
#include "../daemon/controller_client.h"
#include "tap.h"
#include "../daemon/telemetry.h"

static void test_parse(void)
{
	struct xmd_controllers c;
	char list[1200];

	ok(!xmd_controllers_parse(&c, "http://a:1/") && c.n == 1 &&
	   !strcmp(c.url[0], "http://a:1"), "one URL, its '/' dropped");
	ok(!xmd_controllers_parse(&c, " http://a:1  https://b:2/\thttp://c ")
	   && c.n == 3 && !strcmp(c.url[1], "https://b:2") &&
	   !strcmp(c.url[2], "http://c"), "three, blanks around them");
	ok(xmd_controllers_parse(&c, "  ") == -1, "none: refused");
	ok(xmd_controllers_parse(&c, "http://a http://b http://c http://d"
				 " http://e") == -1, "five: refused");
	memset(list, 'x', sizeof(list) - 1);
	list[sizeof(list) - 1] = '\0';
	ok(xmd_controllers_parse(&c, list) == -1, "one too long: refused");
}

/* xmeshd.conf's `controller` lines: several URLs, several lines. */
static void test_config(void)
{
	static const char cert[] = "certificate /etc/xmesh/node.cert\n"
				   "authority /etc/xmesh/site.cert\n";
	struct xmd_config cfg;
	struct xmd_controllers c;
	char err[512], text[1024];

	snprintf(text, sizeof(text), "%scontroller http://a:8080 http://b:8080/"
		 "\ncontroller https://c\n", cert);
	xmd_config_default(&cfg);
	ok(!xmd_config_parse(&cfg, "t.conf", text, err, sizeof(err)) &&
	   !strcmp(cfg.controller, "http://a:8080 http://b:8080/ https://c"),
	   "two on a line, one on the next: in order (%s%s)", cfg.controller,
	   err);
	ok(!xmd_controllers_parse(&c, cfg.controller) && c.n == 3 &&
	   !strcmp(c.url[1], "http://b:8080"), "as the threads read them");
	snprintf(text, sizeof(text), "%scontroller http://a http://b http://c"
		 "\ncontroller http://d http://e\n", cert);
	xmd_config_default(&cfg);
	ok(xmd_config_parse(&cfg, "t.conf", text, err, sizeof(err)) == -1 &&
	   strstr(err, "at most 4 controllers"), "a fifth: refused (%s)",
	   err);
	snprintf(text, sizeof(text), "%scontroller http://a ftp://b\n", cert);
	xmd_config_default(&cfg);
	ok(xmd_config_parse(&cfg, "t.conf", text, err, sizeof(err)) == -1 &&
	   strstr(err, "\"ftp://b\""), "not http(s): refused (%s)", err);
}

static void test_choice(void)
{
	struct xmd_controllers c;
	int64_t t = 1000;

	xmd_controllers_parse(&c, "http://a http://b http://c");
	ok(!strcmp(xmd_controllers_url(&c, t), "http://a"), "the first");
	ok(!xmd_controllers_failed(&c, t) &&
	   !strcmp(xmd_controllers_url(&c, t), "http://b"),
	   "a fails: b at once, no pause");
	xmd_controllers_ok(&c);
	ok(!strcmp(xmd_controllers_url(&c, t + 30), "http://b"),
	   "b answers: kept");
	ok(!strcmp(xmd_controllers_url(&c, t + XMD_CONTROLLER_RETURN_S - 1),
		   "http://b"), "still b just before the return time");
	ok(!strcmp(xmd_controllers_url(&c, t + XMD_CONTROLLER_RETURN_S),
		   "http://a") && c.returns == 1,
	   "back to a after XMD_CONTROLLER_RETURN_S");
	t += XMD_CONTROLLER_RETURN_S;
	ok(!xmd_controllers_failed(&c, t) &&
	   !strcmp(xmd_controllers_url(&c, t), "http://b"),
	   "a still down: b again at once");
	ok(!xmd_controllers_failed(&c, t) &&
	   !strcmp(xmd_controllers_url(&c, t), "http://c"), "b down: c");
	ok(xmd_controllers_failed(&c, t) &&
	   !strcmp(xmd_controllers_url(&c, t), "http://a"),
	   "all three failed in a row: back off, then a");
	ok(xmd_controllers_failed(&c, t), "and again after each failure");
	xmd_controllers_ok(&c);
	ok(!xmd_controllers_failed(&c, t), "one answered: no pause at the"
	   " next failure");
	ok(c.failovers == 6, "moves counted (%llu)",
	   (unsigned long long)c.failovers);
	xmd_controllers_parse(&c, "http://only");
	ok(xmd_controllers_failed(&c, t) &&
	   !strcmp(xmd_controllers_url(&c, t), "http://only") &&
	   !c.failovers, "one controller: a failure backs off, no move");
	ok(xmd_controller_unavailable(-1) && xmd_controller_unavailable(503)
	   && xmd_controller_unavailable(500) &&
	   !xmd_controller_unavailable(200) &&
	   !xmd_controller_unavailable(204) &&
	   !xmd_controller_unavailable(400) &&
	   !xmd_controller_unavailable(409),
	   "no answer and 5xx: unavailable; 2xx and 4xx: answered");
}

static char *report(int i)
{
	char *r = malloc(16);

	snprintf(r, 16, "r%d", i);
	return r;
}

static void test_buffer(void)
{
	struct xmd_tele_buffer b = { 0 };
	int64_t t;
	char *r;
	int i;
	bool order = true;

	ok(!xmd_tele_buffer_take(&b, 0, &t), "empty: nothing");
	for (i = 0; i < XMD_TELEMETRY_BUFFER_MAX + 3; i++)
		xmd_tele_buffer_push(&b, report(i), 100 + i);
	ok(b.n == XMD_TELEMETRY_BUFFER_MAX && b.dropped_full == 3,
	   "over the count: the 3 oldest dropped, counted");
	r = xmd_tele_buffer_take(&b, 110, &t);
	ok(r && !strcmp(r, "r3") && t == 103, "the oldest left first: r3");
	xmd_tele_buffer_put_back(&b, r, t);
	ok(b.n == XMD_TELEMETRY_BUFFER_MAX && b.dropped_full == 3,
	   "put back: kept");
	xmd_tele_buffer_push(&b, report(99), 200);
	r = xmd_tele_buffer_take(&b, 200, &t);
	ok(r && !strcmp(r, "r4") && b.dropped_full == 4,
	   "a new one over the count drops the oldest (r3)");
	free(r);
	xmd_tele_buffer_push(&b, report(100), 201);
	r = xmd_tele_buffer_take(&b, 201, &t);
	xmd_tele_buffer_push(&b, report(101), 202);	/* full again */
	xmd_tele_buffer_put_back(&b, r, t);
	ok(b.dropped_full == 5 && b.n == XMD_TELEMETRY_BUFFER_MAX,
	   "put back into a full buffer: that one, the oldest, dropped");
	/* Age: r6..r26 made at 106..126, then 200..202; at 227 the one of
	 * 106 is older than the limit. */
	r = xmd_tele_buffer_take(&b, 107 + XMD_TELEMETRY_BUFFER_AGE_S, &t);
	ok(r && t == 107 && b.dropped_old == 1,
	   "older than the age limit: dropped, counted (%llu)",
	   (unsigned long long)b.dropped_old);
	free(r);
	for (i = 0; (r = xmd_tele_buffer_take(&b, 227, &t)); i++) {
		order &= t >= 108;
		free(r);
	}
	ok(order && i == XMD_TELEMETRY_BUFFER_MAX - 2 && !b.n &&
	   b.dropped_old == 1, "the rest in order (%d)", i);
	xmd_tele_buffer_push(&b, report(1), 1);
	xmd_tele_buffer_push(&b, report(2), 2);
	xmd_tele_buffer_clear(&b);
	ok(!b.n, "cleared (ASan: nothing leaks)");
}

int main(void)
{
	test_parse();
	test_config();
	test_choice();
	test_buffer();
	return tap_done();
}
