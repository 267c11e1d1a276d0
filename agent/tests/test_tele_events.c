// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's own events in its telemetry reports (daemon/telemetry.c,
 * xmd_tele_events_*): the events not taken yet go first in a report, in
 * order; a report that failed is followed by one with the same events;
 * a ring that overflowed says how many were lost, once; texts are cut
 * and kept printable.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/telemetry.h"
#include "tap.h"

#define REPORT	"{\"time\":100,\"routes\":[]}"

/* The report with e's events: its JSON (NULL if not JSON), *upto. */
static json_object *spliced(const struct xmd_tele_events *e, uint64_t *upto)
{
	char *text = xmd_tele_events_splice(e, REPORT, upto);
	json_object *j = text ? json_tokener_parse(text) : NULL;

	free(text);
	return j;
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static size_t n_events(json_object *j)
{
	json_object *a = member(j, "events");

	return a ? json_object_array_length(a) : 0;
}

static const char *event_text(json_object *j, size_t i)
{
	json_object *a = member(j, "events");
	json_object *v = a ? member(json_object_array_get_idx(a, i), "text")
			   : NULL;

	return v ? json_object_get_string(v) : "";
}

static long long lost(json_object *j)
{
	json_object *v = member(j, "events_lost");

	return v ? json_object_get_int64(v) : 0;
}

static void add(struct xmd_tele_events *e, int i)
{
	char text[32];

	snprintf(text, sizeof(text), "event %d", i);
	xmd_tele_events_add(e, 1000 + i, i % 2 ? XMD_LOG_WARN : XMD_LOG_INFO,
			    text);
}

static void test_none(void)
{
	struct xmd_tele_events e = { 0 };
	uint64_t upto = 99;
	char *text = xmd_tele_events_splice(&e, REPORT, &upto);

	is_str(text, REPORT, "no events: the report as it is");
	is_int((long long)upto, 0, "no events: nothing to take");
	free(text);
}

static void test_order_and_resend(void)
{
	struct xmd_tele_events e = { 0 };
	json_object *j, *ev0, *v;
	uint64_t upto;
	int i;

	for (i = 1; i <= 3; i++)
		add(&e, i);
	j = spliced(&e, &upto);
	ok(j && n_events(j) == 3, "three events in the report");
	ok(j && !strcmp(event_text(j, 0), "event 1") &&
	   !strcmp(event_text(j, 2), "event 3"), "oldest first");
	ev0 = j ? json_object_array_get_idx(member(j, "events"), 0) : NULL;
	v = member(ev0, "level");
	is_str(v ? json_object_get_string(v) : "", "warn", "its level");
	v = member(ev0, "time");
	is_int(v ? json_object_get_int64(v) : 0, 1001, "its time");
	ok(j && member(j, "time") && member(j, "routes"),
	   "the report's members kept");
	ok(j && !member(j, "events_lost"), "none lost: no events_lost");
	json_object_put(j);

	/* The POST failed: not taken; an event comes meanwhile. */
	add(&e, 4);
	j = spliced(&e, &upto);
	ok(j && n_events(j) == 4 && !strcmp(event_text(j, 0), "event 1"),
	   "after a failed report: its events again, and the new one");
	json_object_put(j);

	/* Taken; one more comes between the splice and the answer. */
	add(&e, 5);
	xmd_tele_events_taken(&e, upto);
	j = spliced(&e, &upto);
	ok(j && n_events(j) == 1 && !strcmp(event_text(j, 0), "event 5"),
	   "after a report taken: only the event it had not");
	json_object_put(j);
	xmd_tele_events_taken(&e, upto);
	j = spliced(&e, &upto);
	ok(j && !n_events(j) && !member(j, "events"),
	   "all taken: no events member");
	json_object_put(j);
}

static void test_overflow(void)
{
	struct xmd_tele_events e = { 0 };
	json_object *j;
	uint64_t upto;
	int i;

	for (i = 1; i <= XMD_TELE_EVENTS_MAX + 6; i++)
		add(&e, i);
	is_int((long long)xmd_tele_events_lost(&e), 6, "overflow: 6 lost");
	j = spliced(&e, &upto);
	ok(j && n_events(j) == XMD_TELE_EVENTS_MAX &&
	   !strcmp(event_text(j, 0), "event 7"),
	   "overflow: the newest 64, oldest first");
	is_int(lost(j), 6, "overflow: the report says 6 lost");
	json_object_put(j);
	/* Failed: still lost, said again. */
	j = spliced(&e, &upto);
	is_int(lost(j), 6, "overflow, report failed: said again");
	json_object_put(j);
	xmd_tele_events_taken(&e, upto);
	j = spliced(&e, &upto);
	ok(j && !member(j, "events_lost") && !n_events(j),
	   "overflow, report taken: the loss said once");
	json_object_put(j);

	/* Events that fell out while a report was under way, after those
	 * it carried: counted for the next. */
	for (i = 0; i < 2 * XMD_TELE_EVENTS_MAX; i++)
		add(&e, i);
	j = spliced(&e, &upto);
	for (i = 0; i < XMD_TELE_EVENTS_MAX + 3; i++)
		add(&e, i);
	xmd_tele_events_taken(&e, upto);
	is_int((long long)xmd_tele_events_lost(&e), 3,
	       "lost while a report was under way: counted for the next");
	json_object_put(j);
}

static void test_text(void)
{
	struct xmd_tele_events e = { 0 };
	char longer[300];
	json_object *j;
	uint64_t upto;

	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	xmd_tele_events_add(&e, 1, XMD_LOG_ERR, longer);
	xmd_tele_events_add(&e, 2, XMD_LOG_ERR, "a\tb\"c\xc3\xa9");
	j = spliced(&e, &upto);
	is_int((long long)strlen(event_text(j, 0)),
	       XMD_TELE_EVENT_TEXT_MAX - 1, "a long text cut");
	is_str(event_text(j, 1), "a?b\"c??",
	       "a control or non-ASCII byte as '?', a quote escaped");
	json_object_put(j);
}

/* The answers of a controller before events, and of one refusing them
 * (as controller/server.c's send_error() writes them). */
static void test_refused(void)
{
	bool unknown, bad;

	xmd_tele_events_refused("{\"error\": {\"status\": 400, \"location\":"
				" \"body\", \"reason\": \"unknown member"
				" \\\"events\\\"\"}}", &unknown, &bad);
	ok(unknown && !bad, "a controller before events: told");
	xmd_tele_events_refused("{\"error\": {\"status\": 400, \"location\":"
				" \"/events/3\", \"reason\": \"\\\"level\\\":"
				" expected\"}}", &unknown, &bad);
	ok(!unknown && bad, "events refused: told");
	xmd_tele_events_refused("{\"error\": {\"status\": 400, \"location\":"
				" \"body\", \"reason\": \"unknown member"
				" \\\"mood\\\"\"}}", &unknown, &bad);
	ok(!unknown && !bad, "another refusal: neither");
	xmd_tele_events_refused(NULL, &unknown, &bad);
	ok(!unknown && !bad, "no answer: neither");
}

/* After a controller before events: none for a while, then a try. */
static void test_off(void)
{
	struct xmd_tele_events e = { 0 };

	ok(xmd_tele_events_on(&e, 1000), "events sent at first");
	xmd_tele_events_off(&e, 1000);
	ok(!xmd_tele_events_on(&e, 1000) &&
	   !xmd_tele_events_on(&e, 1000 + XMD_TELE_EVENTS_RETRY_S - 1),
	   "none sent after a controller before events refused them");
	ok(xmd_tele_events_on(&e, 1000 + XMD_TELE_EVENTS_RETRY_S),
	   "sent again after XMD_TELE_EVENTS_RETRY_S (it may be upgraded)");
}

int main(void)
{
	test_none();
	test_order_and_resend();
	test_overflow();
	test_text();
	test_refused();
	test_off();
	return tap_done();
}
