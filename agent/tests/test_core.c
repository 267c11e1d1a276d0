// SPDX-License-Identifier: GPL-2.0
/*
 * One protocol core on its own: configuration checks and defaults, the
 * hello it sends, the receive path's order (tag, then replay window, then
 * content) and its counters, the SPF back-off (RFC 8405), the
 * rate of origination, and the action queue (events take at most half
 * of it; a FIB sync always gets through).
 */
#include <errno.h>
#include <sodium.h>
#include <sys/socket.h>

#include "core_priv.h"	/* XM_HELLO_FULL_EVERY, core_event() */
#include "msg.h"
#include "tap.h"
#include "test_core_net.h"

static const uint8_t key[XM_SITE_KEY_LEN] = "core test site key, 32 bytes..";

static void config(struct xm_core_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->node_id = 1;
	memcpy(cfg->site_key, key, sizeof(cfg->site_key));
	cfg->data_port = 7600;
	strcpy(cfg->caps.name, "one");
	xm_timers_default(&cfg->timers);
	cfg->timers.spf_max_ms = 1000;
	cfg->boot_id = 3;
}

static void drain(struct xm_core *c)
{
	struct xm_action a;

	while (xm_core_action(c, &a))
		;
}

static void defaults(void)
{
	struct xm_timers t;

	xm_timers_default(&t);
	ok(t.hello_ms == 1000 && t.dead_ms == 3500 && t.probe_ms == 50 &&
	   t.probe_miss == 3 && t.holddown_ms == 2000 &&
	   t.holddown_max_ms == 30000,
	   "defaults: hello 1000, dead 3500, probe 50 x 3, holddown 2000..30000");
	ok(t.spf_initial_ms == 0 && t.spf_hold_ms == 50 &&
	   t.spf_max_ms == 5000, "defaults: SPF throttle 0/50/5000");
	ok(t.lsa_min_ms == 100 && t.lsa_refresh_s == 1800 &&
	   t.lsa_max_age_s == 3600 && t.rexmit_ms == 500 &&
	   t.purge_after_s == 60 && t.sync_hold_ms == 4000,
	   "defaults: lsa 100 ms / 1800 s / 3600 s, rexmit 500, purge 60 s, sync 4000");
}

static void bad_config(void)
{
	struct xm_core_config cfg;
	struct xm_core *c;

	config(&cfg);
	cfg.node_id = 0;
	ok(!xm_core_new(&cfg, 0), "config: node id 0 refused");
	config(&cfg);
	cfg.timers.dead_ms = cfg.timers.hello_ms;
	ok(!xm_core_new(&cfg, 0), "config: dead interval not above hello");
	config(&cfg);
	cfg.timers.lsa_refresh_s = cfg.timers.lsa_max_age_s;
	ok(!xm_core_new(&cfg, 0), "config: refresh not below max age");
	config(&cfg);
	cfg.timers.probe_ms = 0;
	ok(!xm_core_new(&cfg, 0), "config: probe interval 0");
	config(&cfg);
	cfg.n_prefixes = 1;
	xm_parse_prefix("10.1.2.3/16", &cfg.prefixes[0].addr,
			&cfg.prefixes[0].len);
	ok(!xm_core_new(&cfg, 0), "config: prefix with host bits");
	config(&cfg);
	strcpy(cfg.caps.zone, "a zone\n");
	c = xm_core_new(&cfg, 0);
	ok(c != NULL, "config: odd characters in names are sanitized");
	xm_core_free(c);
}

static void links(void)
{
	struct xm_core_config cfg;
	struct xm_link_info l = net_link5();
	struct xm_core *c;
	int i, fails = 0;

	config(&cfg);
	c = xm_core_new(&cfg, 0);
	for (i = 0; i < XM_LINK_MAX; i++) {
		l.ifindex = 100 + (uint32_t)i;
		fails += xm_core_link_set(c, 0, &l) != 0;
	}
	is_int(fails, 0, "links: XM_LINK_MAX links");
	l.ifindex = 200;
	is_int(xm_core_link_set(c, 0, &l), -ENOSPC, "links: one more refused");
	ok(xm_core_stats(c)->limit_links == 1 &&
	   xm_core_stats(c)->limit_hits == 1,
	   "links: counted in limit_links and limit_hits");
	xm_core_link_del(c, 0, 100);
	is_int(xm_core_link_set(c, 0, &l), 0, "links: room after a removal");
	l.ifindex = 0;
	is_int(xm_core_link_set(c, 0, &l), -EINVAL, "links: ifindex 0");
	xm_core_free(c);
}

/* The first SEND action of c, decoded. */
static bool first_hello(struct xm_core *c, struct xm_action *a,
			struct xm_msg *m, struct xm_hello *h)
{
	while (xm_core_action(c, a))
		if (a->type == XM_ACT_SEND)
			return !xm_msg_open(a->msg, a->len, key, m) &&
			       !xm_hello_decode(m, h);
	return false;
}

static void hello_sent(void)
{
	struct xm_core_config cfg;
	struct xm_link_info l = net_link5();
	static struct xm_action a;
	struct xm_hello h;
	struct xm_msg m;
	struct xm_core *c;

	config(&cfg);
	memset(cfg.pubkey, 0x5a, sizeof(cfg.pubkey));
	c = xm_core_new(&cfg, 1000);
	drain(c);
	xm_core_link_set(c, 1000, &l);
	ok(first_hello(c, &a, &m, &h), "hello: sent at once on a new link");
	ok(a.ifindex == 5 && a.dst.family == 0,
	   "hello: on link 5 to the link's group");
	ok(m.hdr.sender == 1 && m.hdr.seq > (3ull << 32) &&
	   m.hdr.seq < (4ull << 32),
	   "hello: sender 1, sequence seeded by boot id 3");
	ok(h.hello_ms == 1000 && h.dead_ms == 3500 && h.data_port == 7600,
	   "hello: timers and data port");
	ok(h.n_heard == 0 && h.has_caps && !strcmp(h.caps.name, "one") &&
	   h.has_pubkey && h.pubkey[0] == 0x5a,
	   "hello: nobody heard yet, capabilities, public key");
	ok(xm_core_next_timer(c) <= 2000 && xm_core_next_timer(c) > 1700,
	   "hello: the next one within a jittered interval");
	xm_core_link_carrier(c, 1100, 5, false);
	drain(c);
	xm_core_timer(c, 2500);
	ok(!first_hello(c, &a, &m, &h), "hello: none without carrier");
	xm_core_free(c);
}

/* Run c's timers to the next hello it sends; that one, decoded. */
static bool next_hello(struct xm_core *c, xm_time *now, struct xm_action *a,
		       struct xm_msg *m, struct xm_hello *h)
{
	int i;

	for (i = 0; i < 10; i++) {
		*now = xm_core_next_timer(c);
		xm_core_timer(c, *now);
		if (first_hello(c, a, m, h))
			return true;
	}
	return false;
}

static size_t peer_hello(uint8_t *buf, uint32_t sender, uint64_t seq,
			 const uint8_t *k);

/* Capabilities and key only in the hellos after news, and now and then. */
static void hello_full(void)
{
	struct xm_core_config cfg;
	struct xm_link_info l = net_link5();
	static struct xm_action a;
	uint8_t buf[XM_PDU_MAX];
	struct xm_addr from;
	struct xm_hello h;
	struct xm_msg m;
	struct xm_core *c;
	struct xm_caps caps;
	int i, full = 0, shorts = 0, fails = 0;
	xm_time now = 1000;
	size_t len;

	config(&cfg);
	c = xm_core_new(&cfg, now);
	drain(c);
	xm_core_link_set(c, now, &l);
	for (i = 0; i < 3; i++)
		full += (i ? next_hello(c, &now, &a, &m, &h) :
			     first_hello(c, &a, &m, &h)) &&
			h.has_caps && h.has_pubkey;
	is_int(full, 3, "hello full: the first three on a new link");
	for (i = 0; i < XM_HELLO_FULL_EVERY; i++) {
		fails += !next_hello(c, &now, &a, &m, &h);
		shorts += !h.has_caps && !h.has_pubkey;
	}
	ok(!fails && shorts == XM_HELLO_FULL_EVERY - 1 && h.has_caps &&
	   h.has_pubkey,
	   "hello full: then short ones, and every 30th full");
	ok(next_hello(c, &now, &a, &m, &h) && !h.has_caps && m.hdr.len < 60,
	   "hello full: a short hello is small");

	xm_parse_addr("192.0.2.2", &from, NULL);
	len = peer_hello(buf, 2, 100, key);
	xm_core_recv(c, now + 1, 5, &from, buf, len);
	ok(next_hello(c, &now, &a, &m, &h) && h.has_caps && h.n_heard == 1,
	   "hello full: after a new neighbor is heard");
	for (i = 0; i < 3; i++)
		next_hello(c, &now, &a, &m, &h);
	ok(!h.has_caps, "hello full: three of them");

	/* (The core's capabilities are cfg's sanitized: set them first.) */
	caps = cfg.caps;
	xm_core_set_caps(c, now, &caps);
	for (i = 0; i < 3; i++)
		next_hello(c, &now, &a, &m, &h);
	caps.cpu_load += 50;
	xm_core_set_caps(c, now, &caps);
	ok(next_hello(c, &now, &a, &m, &h) && !h.has_caps,
	   "hello full: not for a new load");
	snprintf(caps.zone, sizeof(caps.zone), "%s", "other");
	xm_core_set_caps(c, now, &caps);
	ok(next_hello(c, &now, &a, &m, &h) && h.has_caps &&
	   !strcmp(h.caps.zone, "other"),
	   "hello full: after a new zone");
	xm_core_free(c);
}

/* A hello from `sender` with message sequence seq; heard: us or not. */
static size_t peer_hello(uint8_t *buf, uint32_t sender, uint64_t seq,
			 const uint8_t *k)
{
	struct xm_hello h = {
		.hello_ms = 1000, .dead_ms = 3500, .data_port = 7600,
	};
	struct xm_msg_writer w;

	xm_msg_begin(&w, buf, XM_PDU_MAX, XM_MSG_HELLO, 0, sender, seq);
	xm_hello_put(&w, &h);
	return (size_t)xm_msg_finish(&w, k);
}

static size_t n_neighs(struct xm_core *c)
{
	struct xm_neigh_status st;
	size_t k;

	for (k = 0; xm_core_neigh(c, k, &st); k++)
		;
	return k;
}

static void receive(void)
{
	struct xm_core_config cfg;
	struct xm_link_info l = net_link5();
	const struct xm_core_stats *s;
	uint8_t buf[XM_PDU_MAX], bad[XM_PDU_MAX];
	struct xm_addr from;
	struct xm_core *c;
	struct xm_msg_writer w;
	size_t len;
	int n;

	config(&cfg);
	c = xm_core_new(&cfg, 1000);
	s = xm_core_stats(c);
	xm_core_link_set(c, 1000, &l);
	drain(c);
	xm_parse_addr("192.0.2.2", &from, NULL);

	len = peer_hello(buf, 2, 100, key);
	xm_core_recv(c, 1001, 5, &from, buf, len);
	ok(s->rx_msgs == 1 && n_neighs(c) == 1,
	   "rx: a valid hello makes a neighbor");
	xm_core_recv(c, 1002, 5, &from, buf, len);
	is_int((long long)s->rx_replayed, 1, "rx: the same message replayed");
	xm_core_recv(c, 1002, 99, &from, buf, len);
	is_int((long long)s->rx_unknown_link, 1, "rx: unknown link counted");

	/* Forged: a good sequence far ahead, a broken tag. */
	len = peer_hello(buf, 2, 100000, key);
	memcpy(bad, buf, len);
	bad[len - 1] ^= 0x80;
	xm_core_recv(c, 1003, 5, &from, bad, len);
	is_int((long long)s->rx_bad_auth, 1, "rx: altered tag refused");
	len = peer_hello(buf, 2, 101, key);
	xm_core_recv(c, 1004, 5, &from, buf, len);
	is_int((long long)s->rx_replayed, 1,
	   "rx: the forgery did not move the replay window");
	len = peer_hello(buf, 3, 5, (const uint8_t *)"another key, 32 bytes long.....");
	xm_core_recv(c, 1005, 5, &from, buf, len);
	ok(s->rx_bad_auth == 2 && n_neighs(c) == 1,
	   "rx: another site's hello refused, no neighbor");
	/* The tag comes before the replay check. */
	len = peer_hello(buf, 2, 100, key);
	memcpy(bad, buf, len);
	bad[30] ^= 1;
	xm_core_recv(c, 1006, 5, &from, bad, len);
	ok(s->rx_bad_auth == 3 && s->rx_replayed == 1,
	   "rx: an altered replay counts as bad tag");

	len = peer_hello(buf, 4, 1, key);
	buf[2] = 2;
	xm_core_recv(c, 1007, 5, &from, buf, len);
	is_int((long long)s->rx_bad_version, 1, "rx: version 2 counted");
	xm_core_recv(c, 1008, 5, &from, buf, 10);
	is_int((long long)s->rx_malformed, 1, "rx: 10 bytes are malformed");
	len = peer_hello(buf, 1, 1, key);
	xm_core_recv(c, 1009, 5, &from, buf, len);
	is_int((long long)s->rx_own, 1, "rx: our own node id counted");

	xm_msg_begin(&w, buf, sizeof(buf), 9, 0, 4, 1);
	n = xm_msg_finish(&w, key);
	xm_core_recv(c, 1010, 5, &from, buf, (size_t)n);
	is_int((long long)s->rx_malformed, 2,
	       "rx: authentic, unknown type: malformed");
	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_HELLO, 0, 4, 2);
	n = xm_msg_finish(&w, key);
	xm_core_recv(c, 1011, 5, &from, buf, (size_t)n);
	ok(s->rx_malformed == 3 && n_neighs(c) == 1,
	   "rx: authentic hello without parameters: malformed, no neighbor");
	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSACK, 0, 2, 300);
	buf[20] = 0;
	buf[21] = XM_TLV_ACKS;
	buf[22] = 0;
	buf[23] = 7;
	w.len = 24 + 7;
	n = xm_msg_finish(&w, key);
	xm_core_recv(c, 1012, 5, &from, buf, (size_t)n);
	is_int((long long)s->rx_malformed, 4, "rx: LSACK of 7 bytes");
	/* A restarted peer: a higher boot id, accepted. */
	len = peer_hello(buf, 2, 7ull << 32, key);
	xm_core_recv(c, 1013, 5, &from, buf, len);
	ok(s->rx_replayed == 1 && s->rx_msgs == 14,
	   "rx: a restarted peer's new numbers accepted");
	xm_core_free(c);
}

/* Advance c timer by timer until its SPF count grows; the time it did. */
static xm_time next_spf(struct xm_core *c, xm_time until)
{
	uint64_t runs = xm_core_stats(c)->spf_runs;
	xm_time t;

	while ((t = xm_core_next_timer(c)) <= until) {
		xm_core_timer(c, t);
		drain(c);
		if (xm_core_stats(c)->spf_runs > runs)
			return t;
	}
	return XM_NEVER;
}

/*
 * RFC 8405's back-off, every delay from the news: the first news of a
 * quiet mesh at once (spf_initial_ms), news within the learning second
 * after spf_hold_ms, later news after spf_max_ms (1000 here), until 5 s
 * without news make the mesh quiet again.
 */
static void spf_throttle(void)
{
	struct xm_core_config cfg;
	struct xm_policy p = { 0 };
	const struct xm_core_stats *s;
	struct xm_core *c;
	xm_time t = 10000, run, run2;

	config(&cfg);
	c = xm_core_new(&cfg, t);
	s = xm_core_stats(c);
	drain(c);
	is_int((long long)s->spf_runs, 1, "spf: one run at start, at once");
	xm_core_set_policy(c, t + 10, &p);
	is_int((long long)s->spf_runs, 1, "spf: news within the learning second waits");
	run = next_spf(c, t + 1000);
	is_int((long long)(run - (t + 10)), 50,
	       "spf: ... spf_hold_ms (50) from the news");
	xm_core_set_policy(c, t + 500, &p);
	xm_core_set_policy(c, t + 530, &p);
	run = next_spf(c, t + 1000);
	run2 = next_spf(c, t + 1000);
	ok(run == t + 550 && run2 == XM_NEVER,
	   "spf: news while a run is due joins it (one run, 50 ms after the first)");
	/* The learning second is over: long waits while news keep coming. */
	xm_core_set_policy(c, t + 1200, &p);
	run = next_spf(c, t + 5000);
	is_int((long long)(run - (t + 1200)), 1000,
	       "spf: after the learning second, spf_max_ms (1000) from the news");
	xm_core_set_policy(c, t + 4000, &p);
	run = next_spf(c, t + 9000);
	is_int((long long)(run - (t + 4000)), 1000,
	       "spf: ... and again while news keep coming");
	/* 5 s without news: quiet, and the next news at once. */
	xm_core_set_policy(c, t + 9000, &p);
	is_int((long long)s->spf_runs, 6, "spf: after 5 s without news, at once");
	xm_core_set_policy(c, t + 9010, &p);
	run = next_spf(c, t + 12000);
	is_int((long long)(run - (t + 9010)), 50,
	       "spf: ... and short waits again");
	xm_core_free(c);
}

static void origination(void)
{
	struct xm_core_config cfg;
	const struct xm_core_stats *s;
	struct xm_node_status st;
	struct xm_core *c;
	struct xm_caps caps;
	xm_time t = 5000, x;

	config(&cfg);
	c = xm_core_new(&cfg, t);
	s = xm_core_stats(c);
	is_int((long long)s->lsa_originated, 1, "lsa: own advert at start");
	ok(xm_core_node(c, 0, &st) && st.node == 1 && st.reachable &&
	   st.cost == 0 && st.lsa_seq == 4,
	   "lsa: itself in the database, sequence boot id + 1");
	caps = cfg.caps;
	caps.cpu_load = 250;
	xm_core_set_caps(c, t + 1, &caps);
	is_int((long long)s->lsa_originated, 1, "lsa: a new load waits");
	while ((x = xm_core_next_timer(c)) < t + 10000)
		xm_core_timer(c, x);
	is_int((long long)s->lsa_originated, 1, "lsa: ... for 10 s");
	xm_core_timer(c, t + 10000);
	is_int((long long)s->lsa_originated, 2, "lsa: then re-advertised");
	strcpy(caps.zone, "z2");
	xm_core_set_caps(c, t + 10010, &caps);
	is_int((long long)s->lsa_originated, 2,
	       "lsa: a new zone within lsa_min_ms waits");
	xm_core_timer(c, xm_core_next_timer(c));
	is_int((long long)s->lsa_originated, 3, "lsa: ... lsa_min_ms");
	xm_core_node(c, 0, &st);
	is_str(st.caps.zone, "z2", "lsa: the new zone advertised");
	xm_core_timer(c, t + 10100 + 1800 * 1000);
	is_int((long long)s->lsa_originated, 4, "lsa: refreshed after 1800 s");
	xm_core_free(c);
}

/* Load and free space jitter: only a move past the hysteresis floods. */
static void caps_hysteresis(void)
{
	struct xm_core_config cfg;
	const struct xm_core_stats *s;
	struct xm_node_status st;
	struct xm_core *c;
	struct xm_caps caps;
	xm_time t = 5000;
	int i;

	config(&cfg);
	cfg.caps.cpu_load = 100;
	cfg.caps.mem_total_mb = 16000;
	cfg.caps.mem_free_mb = 8000;
	cfg.caps.disk_total_gb = 1000;
	cfg.caps.disk_free_gb = 500;
	c = xm_core_new(&cfg, t);
	s = xm_core_stats(c);
	caps = cfg.caps;
	/* Every caps-interval for 10 minutes, readings as they jitter. */
	for (i = 1; i <= 120; i++) {
		caps.cpu_load = (uint16_t)(100 + (i % 2 ? 45 : -45));
		caps.mem_free_mb = 8000 + (i % 3) * 500;
		caps.disk_free_gb = 500 - (uint32_t)(i % 4) * 25;
		xm_core_set_caps(c, t + (xm_time)i * 5000, &caps);
		xm_core_timer(c, t + (xm_time)i * 5000);
	}
	is_int((long long)s->lsa_originated, 1,
	       "caps: readings within the hysteresis originate nothing");
	t += 121 * 5000;
	caps.cpu_load = 160;	/* 0.6 up: more than max(0.5, a quarter) */
	xm_core_set_caps(c, t, &caps);
	xm_core_timer(c, t);
	is_int((long long)s->lsa_originated, 2, "caps: a load 0.6 higher does");
	xm_core_node(c, 0, &st);
	is_int(st.caps.cpu_load, 160, "caps: ... and is advertised");
	caps.cpu_load = 200;	/* 0.4 more: under a quarter of 1.6 */
	caps.mem_free_mb = st.caps.mem_free_mb + 1700;	/* over 1600 */
	xm_core_set_caps(c, t + 20000, &caps);
	xm_core_timer(c, t + 20000);
	is_int((long long)s->lsa_originated, 3,
	       "caps: free memory moved by more than a tenth does");
	/* Within 10 s of the last advert: held, then taken back. */
	caps.disk_free_gb = st.caps.disk_free_gb - 101;
	xm_core_set_caps(c, t + 25000, &caps);
	caps.disk_free_gb = st.caps.disk_free_gb;
	xm_core_set_caps(c, t + 26000, &caps);
	xm_core_timer(c, t + 60000);
	is_int((long long)s->lsa_originated, 3,
	       "caps: a move taken back before it is sent is not sent");
	xm_core_free(c);
}

static void action_queue(void)
{
	struct xm_core_config cfg;
	struct xm_link_info l = net_link5();
	struct xm_action a;
	struct xm_core *c;
	int fib = 0;

	config(&cfg);
	c = xm_core_new(&cfg, 0);
	xm_core_link_set(c, 0, &l);
	/* Past the sync hold: "tables ready" asks for a sync. */
	xm_core_timer(c, 5000);
	xm_core_link_set(c, 5001, &l);
	while (xm_core_action(c, &a))
		fib += a.type == XM_ACT_FIB;
	is_int(fib, 1, "actions: one FIB request however many changes");
	ok(xm_core_fib_ready(c, 5001), "actions: ready after sync_hold_ms");
	ok(!xm_core_action(c, &a), "actions: queue empty");
	xm_core_free(c);
}

/* Pop every action: how many of each type, and the refusal report. */
static void count_actions(struct xm_core *c, int *n, char *warn, size_t len)
{
	struct xm_action a;

	memset(n, 0, sizeof(int) * (XM_ACT_KEY + 1));
	while (xm_core_action(c, &a)) {
		n[a.type]++;
		if (a.type == XM_ACT_EVENT && a.level == XM_EV_WARN &&
		    !strncmp(a.text, "refused:", 8))
			snprintf(warn, len, "%s", a.text);
	}
}

static void action_queue_full(void)
{
	struct xm_core_config cfg;
	struct xm_link_info l = net_link5();
	const struct xm_core_stats *st;
	int n[XM_ACT_KEY + 1], i;
	char warn[200] = "";
	static const uint8_t junk[3] = { 1, 2, 3 };
	struct xm_addr from;
	struct xm_core *c;

	config(&cfg);
	c = xm_core_new(&cfg, 0);
	st = xm_core_stats(c);
	xm_core_link_set(c, 0, &l);
	drain(c);
	/* One refusal, to be told apart from what is let go. */
	xm_parse_addr("192.0.2.9", &from, NULL);
	xm_core_recv(c, 0, l.ifindex, &from, junk, sizeof(junk));
	/* A burst of events ("node N unreachable" for a whole database),
	 * then what must not be crowded out. */
	for (i = 0; i < XM_ACTION_MAX + 1000; i++)
		core_event(c, XM_EV_INFO, "node %d unreachable", i);
	ok(core_action_new(c, XM_ACT_NEIGH_DOWN) != NULL,
	   "queue: a neighbor-down after %d events still queued",
	   XM_ACTION_MAX + 1000);
	xm_core_timer(c, 5000);		/* tables ready: a FIB sync */
	/* "tables ready" is one more past the bound. */
	is_int((long long)st->events_dropped,
	       XM_ACTION_MAX + 1000 - XM_EVENTS_MAX + 1,
	       "queue: events past half the queue dropped, counted");
	count_actions(c, n, warn, sizeof(warn));
	is_int(n[XM_ACT_FIB], 1, "queue: the FIB sync got through the burst");
	is_int(n[XM_ACT_NEIGH_DOWN], 1, "queue: so did the neighbor-down");
	ok(n[XM_ACT_EVENT] <= XM_EVENTS_MAX + 2,
	   "queue: events held to half the queue (%d)", n[XM_ACT_EVENT]);
	is_str(warn, "refused: 1 malformed; let go: 3049 events dropped (queue full)",
	       "queue: the drop summarised, apart from the refusal");
	xm_core_free(c);

	/* A queue full of other actions: the FIB sync has the last slot. */
	c = xm_core_new(&cfg, 0);
	st = xm_core_stats(c);
	xm_core_link_set(c, 0, &l);
	drain(c);
	for (i = 0; i < XM_ACTION_MAX + 10; i++)
		core_action_new(c, XM_ACT_NEIGH_DOWN);
	ok(st->limit_actions >= 10 && st->limit_hits == st->limit_actions,
	   "queue: a full queue counted in limit_actions and limit_hits");
	xm_core_timer(c, 5000);		/* tables ready: a FIB sync */
	count_actions(c, n, warn, sizeof(warn));
	is_int(n[XM_ACT_FIB], 1,
	       "queue: full of other actions, the FIB sync still queued");
	is_int(n[XM_ACT_NEIGH_DOWN], XM_ACTION_MAX - 1,
	       "queue: the others had all but its slot");
	xm_core_free(c);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	defaults();
	bad_config();
	links();
	hello_sent();
	hello_full();
	receive();
	spf_throttle();
	origination();
	caps_hysteresis();
	action_queue();
	action_queue_full();
	return tap_done();
}
