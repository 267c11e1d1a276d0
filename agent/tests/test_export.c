// SPDX-License-Identifier: GPL-2.0
/*
 * Probed route exports: the fall/rise/hold state machine, the receivers'
 * choice of advertiser, the PREFIX_PRIO TLV, and failover and failback
 * between two exits in a simulated mesh.
 */
#include <errno.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../daemon/config.h"
#include "../daemon/exports.h"
#include "../daemon/xmeshd.h"
#include "export.h"
#include "msg.h"
#include "wire.h"
#include "test_core_net.h"

static const uint8_t key[XM_SITE_KEY_LEN] = "0123456789abcdef0123456789abcde";

static struct xm_export_cfg cfg_make(uint32_t hold_s)
{
	struct xm_export_cfg c;

	xm_export_cfg_default(&c);
	xm_parse_prefix("203.0.113.0/24", &c.prefix.addr, &c.prefix.len);
	xm_parse_addr("198.51.100.7", &c.target, NULL);
	c.hold_s = hold_s;
	return c;
}

/* n results of ok, one per interval from *t; true if any changed. */
static bool feed(struct xm_export *e, xm_time *t, int n, bool ok)
{
	bool changed = false;

	while (n--) {
		*t += e->cfg.interval_ms;
		changed |= xm_export_result(e, *t, ok);
	}
	return changed;
}

static void defaults(void)
{
	struct xm_export_cfg c = cfg_make(30), bad;

	ok(!xm_export_cfg_check(&c), "cfg: defaults valid");
	is_int(c.interval_ms, 1000, "cfg: interval 1 s");
	is_int(c.fall, 3, "cfg: fall 3");
	is_int(c.rise, 3, "cfg: rise 3");
	is_int(c.priority, XM_EXPORT_PRIO_DEFAULT, "cfg: priority 100");
	bad = c;
	bad.check = XM_CHECK_TCP;
	ok(xm_export_cfg_check(&bad) != NULL, "cfg: tcp without a port");
	bad = c;
	bad.prefix.len = 16;
	ok(xm_export_cfg_check(&bad) != NULL, "cfg: host bits refused");
	bad = c;
	bad.target.family = 0;
	ok(xm_export_cfg_check(&bad) != NULL, "cfg: no target refused");
	bad = c;
	bad.priority = 0;
	ok(xm_export_cfg_check(&bad) != NULL, "cfg: priority 0 refused");
	bad = c;
	bad.fall = 0;
	ok(xm_export_cfg_check(&bad) != NULL, "cfg: fall 0 refused");
}

static void fall_rise_hold(void)
{
	struct xm_export_cfg c = cfg_make(5);
	struct xm_export e;
	xm_time t = 1000, up;

	xm_export_init(&e, &c, t);
	ok(!e.advertised && !e.healthy, "fsm: starts withdrawn");
	ok(!feed(&e, &t, 2, true) && !e.advertised,
	   "fsm: two successes are not enough");
	ok(feed(&e, &t, 1, true) && e.advertised,
	   "fsm: the third advertises, no hold after start");
	ok(!feed(&e, &t, 2, false) && e.advertised,
	   "fsm: two failures keep it");
	ok(feed(&e, &t, 1, false) && !e.advertised && !e.healthy,
	   "fsm: the third withdraws at once");
	is_int((long long)xm_export_next(&e), (long long)XM_NEVER,
	       "fsm: no timer while unhealthy");
	feed(&e, &t, 3, true);
	up = t;
	ok(e.healthy && !e.advertised, "fsm: healthy again, held back");
	is_int((long long)xm_export_next(&e), (long long)(up + 5000),
	       "fsm: the hold ends hold_s after the rise");
	ok(!xm_export_tick(&e, up + 4999) && !e.advertised,
	   "fsm: not a millisecond before");
	ok(xm_export_tick(&e, up + 5000) && e.advertised,
	   "fsm: advertised when the hold has passed");
	is_int((long long)e.checks, 9, "fsm: checks counted");
	is_int((long long)e.failures, 3, "fsm: failures counted");
}

static void hold_restarts(void)
{
	struct xm_export_cfg c = cfg_make(5);
	struct xm_export e;
	xm_time t = 0;

	xm_export_init(&e, &c, t);
	feed(&e, &t, 3, true);
	feed(&e, &t, 3, false);
	feed(&e, &t, 3, true);		/* rise: hold until t + 5000 */
	feed(&e, &t, 3, false);		/* falls again within the hold */
	ok(!e.healthy && !e.advertised, "hold: a fall within it withdraws");
	feed(&e, &t, 3, true);
	ok(!xm_export_tick(&e, t + 4000) && !e.advertised,
	   "hold: starts again from the new rise");
	ok(xm_export_tick(&e, t + 5000) && e.advertised,
	   "hold: ... and ends hold_s after it");
}

static void flapping(void)
{
	struct xm_export_cfg c = cfg_make(5);
	struct xm_export e;
	xm_time t = 0;
	int i, changes = 0;

	xm_export_init(&e, &c, t);
	feed(&e, &t, 3, true);
	/* Fewer than fall failures in a row, again and again: kept. */
	for (i = 0; i < 50; i++)
		changes += feed(&e, &t, 2, false) + feed(&e, &t, 1, true);
	ok(e.advertised && !changes, "flap: short runs of loss keep it");
	feed(&e, &t, 3, false);
	/* Fewer than rise successes in a row: stays withdrawn. */
	for (i = 0; i < 50; i++)
		changes += feed(&e, &t, 2, true) + feed(&e, &t, 1, false);
	ok(!e.advertised && !e.healthy && !changes,
	   "flap: short runs of success do not bring it back");
	/* A target that answers every other check, fall 1 rise 1: each
	 * return waits the hold, so it is never advertised again. */
	c.fall = 1;
	c.rise = 1;
	xm_export_init(&e, &c, t);
	feed(&e, &t, 1, true);
	for (i = 0; i < 20; i++) {
		feed(&e, &t, 1, false);
		feed(&e, &t, 1, true);
		xm_export_tick(&e, t + 1);
		changes += e.advertised;
	}
	ok(!changes, "flap: a target flapping faster than the hold stays out");
}

static void order(void)
{
	struct xm_advertiser a = { .node = 5, .priority = 10, .cost = 900,
				   .reachable = true },
			     b = { .node = 2, .priority = 20, .cost = 100,
				   .reachable = true };

	ok(xm_advertiser_cmp(&a, &b) < 0, "order: priority before cost");
	b.priority = 10;
	ok(xm_advertiser_cmp(&b, &a) < 0, "order: then the nearer");
	b.cost = 900;
	ok(xm_advertiser_cmp(&b, &a) < 0, "order: then the lower id");
	b.reachable = false;
	ok(xm_advertiser_cmp(&a, &b) < 0, "order: unreachable last");
	a.priority = 0;
	b.reachable = true;
	b.priority = 1;
	ok(xm_advertiser_cmp(&a, &b) < 0, "order: a plain prefix first");
}

static int wire_round_trip(struct xm_advert *a, struct xm_advert *got)
{
	uint8_t buf[XM_PDU_MAX];
	struct xm_msg_writer w;
	struct xm_msg m;
	size_t off = 0;
	int len;

	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSU, 0, 9, 77);
	if (xm_lsu_put(&w, a, 0))
		return -EINVAL;
	len = xm_msg_finish(&w, key);
	if (len < 0 || xm_msg_open(buf, (size_t)len, key, &m))
		return -EINVAL;
	return xm_lsu_next(&m, &off, got);
}

static void wire(void)
{
	struct xm_advert *a = xm_advert_alloc(0);
	struct xm_advert *got = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	size_t plain;

	a->originator = 4;
	a->seq = 1;
	a->n_prefixes = 3;
	xm_parse_prefix("10.4.0.0/16", &a->prefixes[0].addr,
			&a->prefixes[0].len);
	xm_parse_prefix("0.0.0.0/0", &a->prefixes[1].addr,
			&a->prefixes[1].len);
	xm_parse_prefix("2001:db8::/32", &a->prefixes[2].addr,
			&a->prefixes[2].len);
	plain = xm_advert_wire_len(a);
	a->prefix_prio[1] = 10;
	a->prefix_prio[2] = 65535;
	is_int((long long)(xm_advert_wire_len(a) - plain), 4 + 8 + 20,
	       "wire: PREFIX_PRIO costs 4 + 4 + address per export");
	is_int(wire_round_trip(a, got), 1, "wire: advert decodes");
	ok(got->n_prefixes == 3 && !got->prefix_prio[0] &&
	   got->prefix_prio[1] == 10 && got->prefix_prio[2] == 65535,
	   "wire: priorities decode onto their prefixes");
	a->prefix_prio[1] = 0;
	a->prefix_prio[2] = 0;
	is_int(wire_round_trip(a, got), 1, "wire: no exports, no TLV");
	ok(!got->prefix_prio[1] && xm_advert_wire_len(a) == plain,
	   "wire: ... plain prefixes");
	free(a);
	free(got);
}

/* A PREFIX_PRIO naming a prefix the advert does not list: malformed. */
static void wire_unlisted(void)
{
	uint8_t adv[64] = { 0 }, buf[256];
	struct xm_advert *got = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	uint8_t *p = adv;
	struct xm_msg_writer w;
	struct xm_msg m;
	size_t off = 0;
	int len;

	/* advert header: originator 4, seq 1, age 0 */
	p[3] = 4;
	p[7] = 1;
	p += XM_ADVERT_HDR_LEN;
	/* CAPS: the fixed part, then empty name, zone and no roles */
	xm_put16(p, XM_TLV_CAPS);
	xm_put16(p + 2, XM_CAPS_FIXED_LEN + 3);
	p += 4 + XM_CAPS_FIXED_LEN + 3;
	/* PREFIX_PRIO for 0.0.0.0/0, no PREFIXES */
	xm_put16(p, XM_TLV_PREFIX_PRIO);
	xm_put16(p + 2, 8);
	p[4] = 4;
	p[5] = 0;
	xm_put16(p + 6, 10);
	p += 12;
	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSU, 0, 9, 78);
	xm_put16(buf + w.len, XM_TLV_ADVERT);
	xm_put16(buf + w.len + 2, (uint16_t)(p - adv));
	memcpy(buf + w.len + 4, adv, (size_t)(p - adv));
	w.len += 4 + (size_t)(p - adv);
	len = xm_msg_finish(&w, key);
	ok(len > 0 && !xm_msg_open(buf, (size_t)len, key, &m),
	   "wire: hand-made advert framed");
	is_int(xm_lsu_next(&m, &off, got), -EBADMSG,
	       "wire: a priority of an unlisted prefix is malformed");
	free(got);
}

/* ---- xmeshd.conf's export lines ---- */

static struct xmd_config conf;
static char err[256];

static int conf_parse(const char *text)
{
	xmd_config_default(&conf);
	return xmd_config_parse(&conf, "t.conf", text, err, sizeof(err));
}

static void conf_fails(const char *text, const char *want)
{
	int ret = conf_parse(text);

	if (!ok(ret == -1 && !strcmp(err, want), "conf: refused: %s", want))
		printf("#   ret %d, got \"%s\"\n", ret, err);
}

static void config(void)
{
	const struct xm_export_cfg *x = &conf.exports[1];

	is_int(conf_parse("prefix 10.9.0.0/16\n"
			  "export 0.0.0.0/0 via 192.0.2.9\n"
			  "export 203.0.113.0/24 via 198.51.100.1 priority 10 "
			  "check tcp:443 interval 0.5 fall 2 rise 4 dev eth1\n"
			  "export 198.18.0.0/15 via 192.0.2.8 hold 5\n"
			  "insecure-no-certificates yes\n"),
	       0, "conf: three exports");
	is_int(conf.n_exports, 3, "conf: all kept");
	ok(conf.exports[0].priority == 100 &&
	   conf.exports[0].check == XM_CHECK_ICMP &&
	   conf.exports[0].interval_ms == 1000 &&
	   conf.exports[0].fall == 3 && conf.exports[0].rise == 3 &&
	   conf.exports[0].hold_s == 30 && conf.exports[0].prefix.len == 0,
	   "conf: the defaults");
	ok(x->priority == 10 && x->check == XM_CHECK_TCP && x->port == 443 &&
	   x->interval_ms == 500 && x->fall == 2 && x->rise == 4 &&
	   x->hold_s == 30 && conf.exports[2].hold_s == 5 &&
	   x->prefix.len == 24 &&
	   !strcmp(x->dev, "eth1") && !conf.exports[0].dev[0] &&
	   x->target.family == AF_INET,
	   "conf: every option");
	conf_fails("\n\nexport 10.0.0.0/8 to 192.0.2.1\n",
		   "t.conf:3: export 10.0.0.0/8: \"via TARGET\" comes next, not \"to\"");
	conf_fails("export 10.0.0.0/8 via nowhere\n",
		   "t.conf:1: export 10.0.0.0/8: via \"nowhere\" is not an address");
	conf_fails("export 10.0.0.1/8 via 192.0.2.1\n",
		   "t.conf:1: export 10.0.0.1/8 has host bits set; did you mean 10.0.0.0/8?");
	conf_fails("export 10.0.0.0/8 via 192.0.2.1 priority 0\n",
		   "t.conf:1: priority 0 is out of range (1 to 65535)");
	conf_fails("export 10.0.0.0/8 via 192.0.2.1 check http\n",
		   "t.conf:1: check \"http\" is not icmp, tcp:PORT or udp:PORT");
	conf_fails("export 10.0.0.0/8 via 192.0.2.1 check udp:0\n",
		   "t.conf:1: check port 0 is out of range (1 to 65535)");
	conf_fails("export 10.0.0.0/8 via 192.0.2.1 fall 2 fall 3\n",
		   "t.conf:1: fall is given twice");
	conf_fails("export 10.0.0.0/8 via 192.0.2.1 weight 3\n",
		   "t.conf:1: export takes priority, check, interval, fall, rise, hold and dev, not \"weight\"");
	conf_fails("export 10.0.0.0/8 via 192.0.2.1 hold\n",
		   "t.conf:1: \"hold\" needs a value");
	conf_fails("export 10.0.0.0/8 via 192.0.2.1\n"
		   "export 10.0.0.0/8 via 192.0.2.2\n",
		   "t.conf:2: export 10.0.0.0/8 is given twice");
	conf_fails("prefix 10.0.0.0/8\nexport 10.0.0.0/8 via 192.0.2.1\n",
		   "t.conf:2: export 10.0.0.0/8 is also a prefix: a prefix is always advertised");
	conf_fails("export 10.0.0.0/8 via 192.0.2.1\nprefix 10.0.0.0/8\n",
		   "t.conf:2: prefix is also an export");
}

/* ---- two exits in a simulated mesh ---- */

#define CLIENT	0
#define BACKUP	1	/* node 2, priority 20 */
#define PRIMARY	2	/* node 3, priority 10 */

struct want_prefix {
	struct xm_prefix4or6 p;
	uint32_t node;		/* 0: none */
};

static bool client_uses(struct net *net, const void *arg)
{
	const struct want_prefix *w = arg;
	const struct xm_fib *f = xm_core_fib(net->node[CLIENT].c);
	size_t i;

	for (i = 0; i < f->n_prefixes; i++)
		if (xm_prefix_eq(&f->prefixes[i].prefix.addr,
				 f->prefixes[i].prefix.len, &w->p.addr,
				 w->p.len))
			return f->prefixes[i].node == w->node;
	return !w->node;
}

/* Node i advertises its own 10.100.i.0/24 and, if prio, the exit. */
static void exit_set(struct net *net, int i, const struct xm_prefix4or6 *x,
		     uint16_t prio)
{
	struct xm_prefix4or6 p[2] = { net->node[i].cfg.prefixes[0], *x };
	uint16_t pr[2] = { 0, prio };

	ok(!xm_core_set_prefixes_prio(net->node[i].c, net->now, p, pr,
				      prio ? 2 : 1),
	   "mesh: node %d %s the exit", i + 1,
	   prio ? "advertises" : "withdraws");
	net_drain(net, i);
}

static void mesh(void)
{
	int all[3] = { CLIENT, BACKUP, PRIMARY };
	struct want_prefix w = { .node = PRIMARY + 1 };
	struct xm_advertiser adv[4];
	const struct xm_core_stats *s;
	struct net net;
	uint64_t before;
	size_t n;

	xm_parse_prefix("0.0.0.0/0", &w.p.addr, &w.p.len);
	net_init(&net);
	net_add_node(&net, 1);
	net_add_node(&net, 1);
	net_add_node(&net, 1);
	net_add_wire(&net, 3, all);
	ok(net_until(&net, 10000, net_converged, NULL),
	   "mesh: three nodes converge");
	net_run(&net, 2000);
	exit_set(&net, BACKUP, &w.p, 20);
	exit_set(&net, PRIMARY, &w.p, 10);
	ok(net_until(&net, 5000, client_uses, &w),
	   "mesh: the client uses the priority 10 exit");
	n = xm_core_advertisers(net.node[CLIENT].c, NULL, &w.p, adv, 4);
	ok(n == 2 && adv[0].node == 3 && adv[0].priority == 10 &&
	   adv[1].node == 2 && adv[1].priority == 20,
	   "mesh: the client knows both advertisers, in order");
	ok(xm_advertiser_chosen(adv, n, 1) == &adv[0],
	   "mesh: the client's choice is the first");
	n = xm_core_advertisers(net.node[BACKUP].c, NULL, &w.p, adv, 4);
	ok(n == 2 && xm_advertiser_chosen(adv, n, 2) == &adv[1],
	   "mesh: an advertiser's choice is itself");
	s = xm_core_stats(net.node[PRIMARY].c);
	net_run(&net, 3000);
	before = s->lsa_originated;
	exit_set(&net, PRIMARY, &w.p, 0);
	is_int((long long)(s->lsa_originated - before), 1,
	       "mesh: a withdrawal is originated at once");
	w.node = BACKUP + 1;
	ok(net_until(&net, 1000, client_uses, &w),
	   "mesh: the client fails over to the backup");
	exit_set(&net, PRIMARY, &w.p, 10);
	w.node = PRIMARY + 1;
	ok(net_until(&net, 5000, client_uses, &w),
	   "mesh: and back when the primary advertises again");
	exit_set(&net, BACKUP, &w.p, 0);
	exit_set(&net, PRIMARY, &w.p, 0);
	w.node = 0;
	ok(net_until(&net, 5000, client_uses, &w),
	   "mesh: no advertiser, no route");
	net_free(&net);
}

/* ---- xmeshd's checks, against sockets of this host ---- */

struct loop {
	int epfd;
	struct xmd_exports s;
	int changes;
	int udp_echo;		/* answers every datagram; -1: none */
};

static void loop_changed(void *arg, xm_time now, const struct xm_export *e)
{
	struct loop *l = arg;

	(void)now, (void)e;
	l->changes++;
}

/* Run the checks until export 0 is advertised (or not), up to 10 s. */
static bool loop_until(struct loop *l, bool advertised)
{
	xm_time end = xmd_now() + 10000;

	while (l->s.x[0].e.advertised != advertised && xmd_now() < end) {
		struct epoll_event ev[4];
		xm_time next = xmd_exports_next(&l->s), now = xmd_now();
		int i, n;

		n = epoll_wait(l->epfd, ev, 4, next > now ?
			       (int)(next - now > 100 ? 100 : next - now) : 0);
		for (i = 0; i < n; i++) {
			struct xmd_watch *w = ev[i].data.ptr;
			uint8_t buf[64];
			struct sockaddr_storage from;
			socklen_t flen = sizeof(from);
			ssize_t k;

			if (w) {
				w->fn(w, ev[i].events);
				continue;
			}
			k = recvfrom(l->udp_echo, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &flen);
			if (k > 0)
				sendto(l->udp_echo, buf, (size_t)k, 0,
				       (struct sockaddr *)&from, flen);
		}
		xmd_exports_timer(&l->s, xmd_now());
	}
	return l->s.x[0].e.advertised == advertised;
}

static int listener(int type, uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    (type == SOCK_STREAM && listen(fd, 8)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		abort();
	*port = ntohs(a.sin_port);
	return fd;
}

static void loop_start(struct loop *l, enum xm_export_check check,
		       uint16_t port)
{
	static struct xmd_config cfg;
	struct xm_export_cfg *x = &cfg.exports[0];

	memset(&cfg, 0, sizeof(cfg));
	cfg.n_exports = 1;
	xm_export_cfg_default(x);
	xm_parse_prefix("0.0.0.0/0", &x->prefix.addr, &x->prefix.len);
	xm_parse_addr("127.0.0.1", &x->target, NULL);
	x->check = check;
	x->port = port;
	x->interval_ms = 100;
	x->fall = 1;
	x->rise = 1;
	x->hold_s = 0;
	memset(&l->s, 0, sizeof(l->s));
	xmd_exports_start(&l->s, l->epfd, &cfg, xmd_now(), NULL);
	l->s.changed = loop_changed;
	l->s.arg = l;
	l->changes = 0;
}

static void checks(void)
{
	struct loop l = { .epfd = epoll_create1(EPOLL_CLOEXEC),
			  .udp_echo = -1 };
	struct xm_prefix4or6 p[4];
	uint16_t prio[4], port;
	int fd;

	fd = listener(SOCK_STREAM, &port);
	loop_start(&l, XM_CHECK_TCP, port);
	ok(loop_until(&l, true) && l.changes == 1,
	   "checks: a TCP connect that completes advertises");
	is_int(xmd_exports_prefixes(&l.s, p, prio, 1, 4), 2,
	       "checks: the advertised export appended");
	ok(prio[1] == XM_EXPORT_PRIO_DEFAULT && p[1].len == 0,
	   "checks: ... with its priority");
	close(fd);
	ok(loop_until(&l, false) && l.s.x[0].last_errno == ECONNREFUSED,
	   "checks: a refused connect withdraws");
	is_int(xmd_exports_prefixes(&l.s, p, prio, 1, 4), 1,
	   "checks: nothing appended then");
	xmd_exports_stop(&l.s);

	l.udp_echo = listener(SOCK_DGRAM, &port);
	{
		struct epoll_event ev = { .events = EPOLLIN };

		epoll_ctl(l.epfd, EPOLL_CTL_ADD, l.udp_echo, &ev);
	}
	loop_start(&l, XM_CHECK_UDP, port);
	ok(loop_until(&l, true), "checks: a UDP datagram answered advertises");
	epoll_ctl(l.epfd, EPOLL_CTL_DEL, l.udp_echo, NULL);
	close(l.udp_echo);
	ok(loop_until(&l, false),
	   "checks: a UDP port unreachable withdraws");
	xmd_exports_stop(&l.s);

	/* Raw ICMP needs root; a ping socket, ping_group_range. */
	fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	if (fd < 0)
		fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (fd < 0) {
		printf("ok %d - checks: ICMP # SKIP no ICMP socket\n", ++tap_n);
	} else {
		close(fd);
		loop_start(&l, XM_CHECK_ICMP, 0);
		ok(loop_until(&l, true),
		   "checks: an ICMP echo answered advertises");
		ok(l.s.x[0].e.checks >= 1 && !l.s.x[0].e.failures,
		   "checks: ... no failure on the way (%llu checks)",
		   (unsigned long long)l.s.x[0].e.checks);
		xmd_exports_stop(&l.s);
	}
	close(l.epfd);
}

int main(void)
{
	printf("TAP version 13\n");
	defaults();
	fall_rise_hold();
	hold_restarts();
	flapping();
	order();
	wire();
	wire_unlisted();
	config();
	checks();
	mesh();
	printf("1..%d\n", tap_n);
	return tap_done();
}
