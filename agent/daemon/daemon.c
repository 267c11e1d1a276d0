// SPDX-License-Identifier: GPL-2.0
/* xmeshd's loop: events in, the core's actions out. */
#include "xmeshd.h"

#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "controller_client.h"
#include "keys.h"
#include "metrics.h"
#include "policy_sync.h"
#include "telemetry.h"
#include "qdisc.h"
#include "kx.h"
#include "udp.h"
#include "xmesh_names.h"

xm_time xmd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (xm_time)ts.tv_sec * 1000 + (xm_time)ts.tv_nsec / 1000000;
}

void xmd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') ||
	    (len = strlen(path)) >= sizeof(sun.sun_path))
		return;
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';	/* the abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sun,
	       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	close(fd);
}

void xmd_event(struct xmd *d, enum xmd_log_level level, const char *fmt, ...)
{
	char text[256], *line;
	va_list ap;
	size_t len;

	bool monitored = d->ctl_open && xmd_ctl_monitors_level(&d->ctl, level);

	/* Routine debug events cost nothing when nobody wants them; the
	 * others go to the controller whatever the log level. */
	if (!monitored && !xmd_log_enabled(level) &&
	    !(d->telemetry && level <= XMD_LOG_INFO))
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	xmd_log(level, "%s", text);
	xmd_telemetry_event(d, level, text);
	if (!monitored)
		return;
	line = xmd_ctl_event_line(xmd_now(), xmd_log_level_name(level), text,
				  &len);
	if (line)
		xmd_ctl_broadcast_level(&d->ctl, level, line, len);
	free(line);
}

/* ---- the kernel's tables ---- */

static void fib_sync(struct xmd *d, xm_time now)
{
	const struct xm_fib *want;
	int err;

	if (!d->fib_dirty || now < d->fib_retry_at ||
	    !xm_core_fib_ready(d->core, now))
		return;
	want = xm_core_fib(d->core);
	if (!want)
		return;
	err = xmd_kernel_sync(&d->k, want);
	if (!err && d->filter) {
		struct xmd_filter_dev fd = {
			.ifindex = d->k.ifindex, .ifname = d->cfg.device,
			.self = d->k.self, .fib = want,
		};

		err = xmd_filter_sync(d->filter, d->core, &d->k.nl, &fd);
	}
	if (!err) {
		d->fib_dirty = false;
		d->fib_backoff_ms = 0;
		return;
	}
	d->fib_backoff_ms = d->fib_backoff_ms ?
			    d->fib_backoff_ms * 2 : XMD_FIB_RETRY_MS;
	if (d->fib_backoff_ms > XMD_FIB_RETRY_MAX_MS)
		d->fib_backoff_ms = XMD_FIB_RETRY_MAX_MS;
	d->fib_retry_at = now + d->fib_backoff_ms;
	xmd_event(d, XMD_LOG_WARN,
		  "kernel tables not in line (%s); trying again in %u ms",
		  strerror(-err), d->fib_backoff_ms);
}

/* ---- the core's actions ---- */

static void act_send(struct xmd *d, const struct xm_action *a)
{
	struct xmd_link *l = xmd_links_find(&d->links, a->ifindex);
	int err;

	if (!l || !l->in_core || l->sock.fd < 0) {
		d->stats.udp_tx_errors++;
		return;
	}
	err = xmd_udp_send(l->sock.fd, l->ifindex, &l->given.local, &a->dst,
			   d->cfg.agent_port, a->msg, a->len);
	if (err) {
		d->stats.udp_tx_errors++;
		xmd_debug("sending on %s: %s", l->ifname, strerror(-err));
	} else {
		d->stats.udp_tx++;
	}
}

enum xmd_log_level xmd_event_level(enum xm_event_level level)
{
	switch (level) {
	case XM_EV_ERROR:
		return XMD_LOG_ERR;
	case XM_EV_WARN:
		return XMD_LOG_WARN;
	case XM_EV_DEBUG:
		return XMD_LOG_DEBUG;
	case XM_EV_INFO:
	default:
		return XMD_LOG_INFO;
	}
}

/* ---- the XDP first gate ---- */

/* Loaded when configured; without it the agent runs as before. */
static void gate_start(struct xmd *d)
{
	struct xmd_gate_conf gc = {
		.data_port = d->cfg.data_port,
		.agent_port = d->cfg.agent_port,
		.hello_rate = d->cfg.gate_hello_rate,
		.pin_root = d->cfg.gate_pin_dir,
	};
	char why[256];

	if (!d->cfg.gate) {
		/* A previous agent's (links: gate_attach()). */
		if (xmd_gate_unpin(d->cfg.gate_pin_dir) > 0)
			xmd_event(d, XMD_LOG_INFO, "gate: off, its pins removed");
		return;
	}
	d->gate = xmd_gate_new(&gc, why, sizeof(why));
	if (!d->gate)
		xmd_event(d, XMD_LOG_WARN, "gate: off, %s", why);
	else
		xmd_event(d, XMD_LOG_INFO, "gate: %s, pinned in %s",
			  xmd_gate_adopted(d->gate) ?
			  "adopted the one the previous agent left" : "loaded",
			  xmd_gate_pin_dir(d->gate) ? xmd_gate_pin_dir(d->gate) :
			  "no bpffs");
}

static void gate_sync(struct xmd *d);

static void gate_attach(struct xmd *d, const struct xmd_link *l)
{
	const char *mode;
	int err;

	if (!d->gate) {
		/* One a previous agent left would shut out new neighbors. */
		if (xmd_gate_remove(l->ifindex) > 0)
			xmd_event(d, XMD_LOG_INFO, "link %s: XDP gate removed",
				  l->ifname);
		return;
	}
	/* The neighbors first (adopted ones at start): the gate must not
	 * drop their frames for an instant. */
	gate_sync(d);
	err = xmd_gate_attach(d->gate, l->ifindex, &mode);
	if (err)
		xmd_event(d, XMD_LOG_WARN, "link %s: the XDP gate cannot attach (%s); the link runs without it",
			  l->ifname, strerror(-err));
	else
		xmd_event(d, XMD_LOG_INFO, "link %s: XDP gate attached (%s)",
			  l->ifname, mode);
}

/*
 * The gate's neighbors are the core's, in whatever state, and the
 * kernel's: after a restart, those the agent has not heard again yet.
 */
static void gate_sync(struct xmd *d)
{
	struct xmd_gate_neigh *v = NULL, *nv;
	struct xm_neigh_status s;
	size_t n = 0, cap = 0, i;
	int err;

	if (!d->gate)
		return;
	for (i = 0;; n++) {
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return;
			}
			v = nv;
		}
		if (xm_core_neigh(d->core, n, &s)) {
			v[n].ifindex = s.ifindex;
			v[n].addr = s.remote;
		} else if (i < d->k.have.n_neighs) {
			v[n].ifindex = d->k.have.neighs[i].ifindex;
			v[n].addr = d->k.have.neighs[i++].remote;
		} else {
			break;
		}
	}
	err = xmd_gate_neighs_set(d->gate, v, n);
	if (err < 0)
		xmd_debug("gate: updating its neighbors: %s", strerror(-err));
	free(v);
}

/* Carry out everything the core queued. */
static void run_actions(struct xmd *d, xm_time now)
{
	struct xm_action a;
	int err;

	while (xm_core_action(d->core, &a)) {
		switch (a.type) {
		case XM_ACT_SEND:
			/* Keys first: a KX message may tell the peer to use
			 * them (make-before-break). */
			if (d->k.n_key_ops)
				xmd_kernel_keys_apply(&d->k, d->core, now);
			act_send(d, &a);
			break;
		case XM_ACT_PROBE:
			err = xmd_kernel_probe(&d->k, a.neigh, a.seq);
			if (err == -ENOENT)
				xm_core_probe_unsent(d->core, now, a.neigh,
						     a.seq);
			else if (err)
				d->stats.probe_errors++;
			break;
		case XM_ACT_FIB:
			d->fib_dirty = true;
			break;
		case XM_ACT_NEIGH_DOWN:
			/* Before anything else: the kernel reroutes now. */
			xmd_kernel_probe_flush(&d->k);
			xmd_kernel_neigh_down(&d->k, a.neigh);
			break;
		case XM_ACT_EVENT:
			a.text[sizeof(a.text) - 1] = '\0';
			xmd_event(d, xmd_event_level(a.level), "%s", a.text);
			break;
		case XM_ACT_KEY:
			if (xmd_kernel_key_queue(&d->k, &a))
				d->stats.key_errors++;
			break;
		}
	}
	xmd_kernel_probe_flush(&d->k);
	fib_sync(d, now);
	gate_sync(d);
	/* After the tables: a new neighbor's keys follow it. */
	xmd_kernel_keys_apply(&d->k, d->core, now);
}

/* ---- underlay links ---- */

static void link_recv(struct xmd_watch *w, uint32_t events);

static void link_close(struct xmd *d, struct xmd_link *l)
{
	if (l->sock.fd < 0)
		return;
	xmd_watch_del(d->epfd, &l->sock);
	close(l->sock.fd);
	l->sock.fd = -1;
}

static bool info_same(const struct xm_link_info *a,
		      const struct xm_link_info *b)
{
	return a->bandwidth_mbps == b->bandwidth_mbps &&
	       !strcmp(a->ifname, b->ifname) &&
	       xm_addr_eq(&a->local, &b->local);
}

static void link_leave(struct xmd *d, struct xmd_link *l, xm_time now)
{
	if (!l->in_core)
		return;
	xm_core_link_del(d->core, now, l->ifindex);
	if (d->gate)
		xmd_gate_detach(d->gate, l->ifindex);
	link_close(d, l);
	l->in_core = false;
	xmd_event(d, XMD_LOG_INFO, "link %s: the agent stops running on it",
		  l->given.ifname);
}

static void link_join(struct xmd *d, struct xmd_link *l,
		      const struct xm_link_info *info, xm_time now)
{
	char buf[XM_ADDRSTRLEN];
	int fd, err;

	fd = xmd_udp_open(d->cfg.family, l->ifindex, l->ifname,
			  d->cfg.agent_port);
	if (fd < 0) {
		xmd_event(d, XMD_LOG_WARN, "link %s: cannot open its socket: %s",
			  l->ifname, strerror(-fd));
		return;
	}
	l->sock.fd = fd;
	l->sock.fn = link_recv;
	l->owner = d;
	err = xmd_watch_add(d->epfd, &l->sock, EPOLLIN);
	if (!err)
		err = xm_core_link_set(d->core, now, info);
	if (err) {
		xmd_event(d, XMD_LOG_WARN, "link %s: the core refused it (%d)",
			  l->ifname, err);
		link_close(d, l);
		return;
	}
	l->in_core = true;
	l->given = *info;
	gate_attach(d, l);
	xmd_event(d, XMD_LOG_INFO,
		  "link %s: running on it from %s, %u Mbit/s, carrier %s",
		  l->ifname, xm_addr_str(&info->local, buf, sizeof(buf)),
		  info->bandwidth_mbps, info->carrier ? "up" : "down");
}

/* Bring the core's links in line with the interfaces and the config. */
static void links_reconcile(struct xmd *d, xm_time now)
{
	size_t i;

	for (i = 0; i < d->links.n; i++) {
		struct xmd_link *l = d->links.v[i];
		struct xm_link_info info;

		if (!xmd_link_wanted(l, &d->cfg, d->ifindex)) {
			/* A link that is gone is freed by links_reap(). */
			link_leave(d, l, now);
			xmd_qdisc_link(&d->cfg, l->ifindex, l->ifname, false);
			continue;
		}
		xmd_qdisc_link(&d->cfg, l->ifindex, l->ifname, true);
		xmd_link_info(l, &d->cfg, d->sysfs, &info);
		if (!l->in_core) {
			link_join(d, l, &info, now);
		} else if (!info_same(&info, &l->given)) {
			xm_core_link_set(d->core, now, &info);
			l->given = info;
		} else if (info.carrier != l->given.carrier) {
			/* At once: the core marks its neighbors down. */
			xm_core_link_carrier(d->core, now, l->ifindex,
					     info.carrier);
			l->given.carrier = info.carrier;
			xmd_event(d, XMD_LOG_INFO, "link %s: carrier %s",
				  l->ifname, info.carrier ? "up" : "down");
		}
	}
}

/* Forget the interfaces that are gone, once no event can refer to them. */
static void links_reap(struct xmd *d)
{
	size_t i;

	for (i = 0; i < d->links.n; i++) {
		struct xmd_link *l = d->links.v[i];

		if (l->gone && !l->in_core && l->sock.fd < 0) {
			xmd_links_remove(&d->links, l);
			i--;	/* the last one moved here */
		}
	}
}

static void link_recv(struct xmd_watch *w, uint32_t events)
{
	struct xmd_link *l = (struct xmd_link *)w;
	struct xmd *d = l->owner;
	uint8_t buf[XM_PDU_MAX + 1];
	struct xmd_udp_rx rx;
	ssize_t n;
	int burst;

	(void)events;
	if (l->sock.fd < 0)
		return;		/* closed earlier in this round */
	for (burst = 0; burst < XMD_UDP_BURST; burst++) {
		n = xmd_udp_recv(l->sock.fd, buf, sizeof(buf), &rx);
		if (n == -EAGAIN)
			break;
		if (n == -EMSGSIZE || n > XM_PDU_MAX) {
			d->stats.udp_rx_truncated++;
			continue;
		}
		if (n < 0) {
			d->stats.udp_rx_errors++;
			break;
		}
		if ((rx.ifindex && rx.ifindex != l->ifindex) ||
		    rx.from.family != d->cfg.family) {
			d->stats.udp_rx_errors++;
			continue;
		}
		if (!xmd_udp_ttl_ok(&rx)) {
			d->stats.udp_rx_ttl++;
			continue;
		}
		d->stats.udp_rx++;
		xm_core_recv(d->core, xmd_now(), l->ifindex, &rx.from, buf,
			     (size_t)n);
	}
	run_actions(d, xmd_now());
}

/* ---- rtnetlink ---- */

static void on_link(void *data, const struct xmd_ifinfo *i)
{
	struct xmd *d = data;

	d->stats.link_events++;
	if (xmd_links_update(&d->links, i))
		xmd_warn("out of memory tracking interface %s", i->ifname);
}

static void on_addr(void *data, const struct xmd_ifaddr *a)
{
	struct xmd *d = data;

	d->stats.link_events++;
	xmd_links_addr(&d->links, a);
}

static int links_dump(struct xmd *d)
{
	const struct xmd_rtnl_cb cb = { on_link, on_addr, d };
	size_t i;

	/* What the dump does not list is gone. */
	for (i = 0; i < d->links.n; i++) {
		d->links.v[i]->gone = true;
		d->links.v[i]->n_addrs = 0;
	}
	return xmd_rtnl_dump(&d->rtnl, d->cfg.family, &cb);
}

static void rtnl_event(struct xmd_watch *w, uint32_t events)
{
	struct xmd *d = (struct xmd *)((char *)w - offsetof(struct xmd,
							     rtnl_w));
	const struct xmd_rtnl_cb cb = { on_link, on_addr, d };
	int ret, burst = 0;

	(void)events;
	while (burst++ < 64 &&
	       (ret = xmd_rtnl_events_read(&d->rtnl_ev, &cb)) != 0) {
		if (ret == -ENOBUFS) {
			d->stats.rtnl_overruns++;
			xmd_warn("link events were lost; reading the interfaces again");
			if (links_dump(d))
				xmd_warn("reading the interfaces failed");
			break;
		}
		if (ret < 0)
			break;
	}
	links_reconcile(d, xmd_now());
	run_actions(d, xmd_now());
}

/* ---- OAM answers and probe errors ---- */

static int oam_cb(const struct xm_msg_info *info, const struct xm_entry *e,
		  void *data)
{
	struct xmd *d = data;
	struct xmd_probe_reply r;

	if (!xmd_kernel_probe_match(&d->k, info, e, &r))
		return 0;
	d->stats.probe_replies++;
	xm_core_probe_reply(d->core, xmd_now(), r.neigh, r.seq, r.rtt_us);
	return 0;
}

/* The probe answers waiting in the "oam" socket, into the core. */
static void oam_drain(struct xmd *d)
{
	int ret, burst = 0;

	while (burst++ < XMD_UDP_BURST &&
	       (ret = xmnl_events(&d->k.oam, 0, oam_cb, d)) != 0) {
		if (ret == -ENOBUFS) {
			d->stats.oam_overruns++;
			continue;
		}
		if (ret < 0)
			break;
	}
}

static void oam_event(struct xmd_watch *w, uint32_t events)
{
	struct xmd *d = (struct xmd *)((char *)w - offsetof(struct xmd, oam_w));

	(void)events;
	oam_drain(d);
	run_actions(d, xmd_now());
}

static void probe_event(struct xmd_watch *w, uint32_t events)
{
	struct xmd *d = (struct xmd *)((char *)w - offsetof(struct xmd,
							     probe_w));

	(void)events;
	xmd_kernel_probe_drain(&d->k);
}

/* ---- capabilities ---- */

static void caps_fill(struct xmd *d, struct xm_caps *c)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	if (d->cfg.name[0]) {
		memcpy(c->name, d->cfg.name, sizeof(c->name));
	} else {
		gethostname(c->name, sizeof(c->name) - 1);
		c->name[sizeof(c->name) - 1] = '\0';
	}
	memcpy(c->zone, d->cfg.zone, sizeof(c->zone));
	c->n_roles = d->cfg.n_roles;
	for (i = 0; i < d->cfg.n_roles; i++)
		memcpy(c->roles[i], d->cfg.roles[i], sizeof(c->roles[i]));
	if (d->kx)
		xmd_caps_from_cert(c, xm_kx_cert(d->kx));
	xmd_caps_read(&d->caps_paths, c);
}

static void caps_update(struct xmd *d, xm_time now)
{
	struct xm_caps c;

	caps_fill(d, &c);
	xm_core_set_caps(d->core, now, &c);
	d->stats.caps_updates++;
	xmd_qdisc_verify();	/* on the same slow beat */
	d->next_caps = now + d->cfg.caps_interval_ms;
}

/* ---- reload (SIGHUP) ---- */

/* What the core advertises: the device's addresses as hosts, prefixes. */
static unsigned int core_prefixes(const struct xmd_config *c,
				  struct xm_prefix4or6 *out)
{
	unsigned int i, n = 0;

	for (i = 0; i < c->n_addresses && n < XM_PREFIX_MAX; i++) {
		out[n] = c->addresses[i];
		/* Advertised as the host it is. */
		out[n].len = (uint8_t)xm_addr_bits(out[n].addr.family);
		n++;
	}
	for (i = 0; i < c->n_prefixes && n < XM_PREFIX_MAX; i++)
		out[n++] = c->prefixes[i];
	return n;
}

/*
 * The core advertises core_prefixes() and the exports whose checks
 * succeed (Documentation/exports.md).
 */
static void advertise(struct xmd *d, xm_time now)
{
	struct xm_prefix4or6 p[XM_PREFIX_MAX];
	uint16_t prio[XM_PREFIX_MAX] = { 0 };
	unsigned int n = core_prefixes(&d->cfg, p);

	n = xmd_exports_prefixes(&d->exports, p, prio, n, XM_PREFIX_MAX);
	if (xm_core_set_prefixes_prio(d->core, now, p, prio, n)) {
		xmd_event(d, XMD_LOG_ERR, "the core refused the prefixes: %s",
			  xm_prefixes_check(p, n));
		return;
	}
	memcpy(d->core_cfg.prefixes, p, sizeof(p));
	memcpy(d->core_cfg.prefix_prio, prio, sizeof(prio));
	d->core_cfg.n_prefixes = n;
}

static void export_changed(void *arg, xm_time now, const struct xm_export *e)
{
	struct xmd *d = arg;
	char buf[XM_ADDRSTRLEN];

	xmd_event(d, XMD_LOG_INFO, "export %s: %s (priority %u, %u checks, %u failed)",
		  xm_prefix_str(&e->cfg.prefix.addr, e->cfg.prefix.len, buf,
				sizeof(buf)),
		  e->advertised ? "advertised" : "withdrawn",
		  e->cfg.priority, (unsigned int)e->checks,
		  (unsigned int)e->failures);
	advertise(d, now);
	/* From a check's socket too: a withdrawal goes out now. */
	run_actions(d, now);
}

/* The exports of d->cfg; those unchanged keep their state. */
static void exports_start(struct xmd *d, xm_time now)
{
	struct xmd_exports *old = malloc(sizeof(*old));

	if (old)
		*old = d->exports;
	xmd_exports_stop(&d->exports);
	xmd_exports_start(&d->exports, d->epfd, &d->cfg, now, old);
	d->exports.changed = export_changed;
	d->exports.arg = d;
	free(old);
}

static bool prefix_in(const struct xm_prefix4or6 *p,
		      const struct xm_prefix4or6 *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (xm_prefix_eq(&v[i].addr, v[i].len, &p->addr, p->len))
			return true;
	return false;
}

/* a's n prefixes are b's, in the same order. */
static bool prefixes_eq(const struct xm_prefix4or6 *a,
			const struct xm_prefix4or6 *b, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!xm_prefix_eq(&a[i].addr, a[i].len, &b[i].addr, b[i].len))
			return false;
	return true;
}

static void address_event(struct xmd *d, enum xmd_log_level level,
			  const char *what, const struct xm_prefix4or6 *a,
			  const struct nlc_error *e, int err)
{
	char buf[XM_ADDRSTRLEN];

	xmd_event(d, level, "reload: cannot %s address %s on %s: %s", what,
		  xm_prefix_str(&a->addr, a->len, buf, sizeof(buf)),
		  d->cfg.device, e->msg[0] ? e->msg : strerror(-err));
}

int xmd_addresses_update(struct xmd *d, const struct xmd_config *o,
			 const struct xmd_config *n)
{
	struct nlc_error e;
	unsigned int i, k;
	int err;

	for (i = 0; i < n->n_addresses; i++) {
		const struct xm_prefix4or6 *a = &n->addresses[i];

		if (prefix_in(a, o->addresses, o->n_addresses))
			continue;
		err = xmd_rtnl_addr_add(&d->rtnl, d->ifindex, &a->addr, a->len,
					&e);
		if (!err)
			continue;
		address_event(d, XMD_LOG_ERR, "add", a, &e, err);
		/* All or nothing: what this pass added goes again. */
		for (k = 0; k < i; k++) {
			a = &n->addresses[k];
			if (prefix_in(a, o->addresses, o->n_addresses))
				continue;
			err = xmd_rtnl_addr_del(&d->rtnl, d->ifindex, &a->addr,
						a->len, &e);
			if (err && err != -EADDRNOTAVAIL)
				address_event(d, XMD_LOG_WARN, "remove", a, &e,
					      err);
		}
		return -1;
	}
	for (i = 0; i < o->n_addresses; i++) {
		const struct xm_prefix4or6 *a = &o->addresses[i];

		if (prefix_in(a, n->addresses, n->n_addresses))
			continue;
		err = xmd_rtnl_addr_del(&d->rtnl, d->ifindex, &a->addr, a->len,
					&e);
		if (err && err != -EADDRNOTAVAIL)
			address_event(d, XMD_LOG_WARN, "remove", a, &e, err);
	}
	return 0;
}

static bool timers_same(const struct xm_timers *a, const struct xm_timers *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static bool mgroups_same(const struct xmd_config *a,
			 const struct xmd_config *b)
{
	unsigned int i;

	if (a->n_mgroups != b->n_mgroups)
		return false;
	for (i = 0; i < a->n_mgroups; i++)
		if (a->mgroups[i].flags != b->mgroups[i].flags ||
		    !xm_addr_eq(&a->mgroups[i].group, &b->mgroups[i].group))
			return false;
	return true;
}

static bool prefixes_same(const struct xmd_config *a,
			  const struct xmd_config *b)
{
	return a->n_addresses == b->n_addresses &&
	       a->n_prefixes == b->n_prefixes &&
	       prefixes_eq(a->addresses, b->addresses, a->n_addresses) &&
	       prefixes_eq(a->prefixes, b->prefixes, a->n_prefixes);
}

/*
 * Named links the agent cannot run on: the loopback, an xmesh device, or
 * none of that name (yet: it runs on it once it appears).
 */
static void links_named_check(struct xmd *d)
{
	unsigned int i;
	size_t k;

	for (i = 0; i < d->cfg.n_links; i++) {
		const char *name = d->cfg.links[i].ifname;
		const struct xmd_link *l = NULL;

		for (k = 0; k < d->links.n && !l; k++)
			if (!d->links.v[k]->gone &&
			    !strcmp(d->links.v[k]->ifname, name))
				l = d->links.v[k];
		if (!l)
			xmd_event(d, XMD_LOG_WARN, "link %s: no such interface; the agent runs on it once it appears",
				  name);
		else if ((l->flags & IFF_LOOPBACK) || l->is_xmesh ||
			 l->ifindex == d->ifindex)
			xmd_event(d, XMD_LOG_WARN, "link %s: a loopback or xmesh device, never an underlay link",
				  name);
	}
}

/* A newer revocation list: taken, and every neighbor checked again. */
static void crl_reload(struct xmd *d, const char *path, xm_time now)
{
	struct xm_crl *l = calloc(1, sizeof(*l));
	enum xm_cert_reason r;
	char err[1024];

	if (!l)
		return;
	if (xmd_crl_load(path, l, err, sizeof(err))) {
		xmd_event(d, XMD_LOG_ERR, "reload: %s; keeping the list in use",
			  err);
	} else if ((r = xm_kx_set_crl(d->kx, l, (uint64_t)time(NULL)))) {
		if (r != XM_CERT_STALE)
			xmd_event(d, XMD_LOG_ERR, "reload: revocation list %s: %s (%s); keeping the list in use",
				  path, xm_cert_reason_name(r),
				  xm_cert_reason_text(r));
	} else {
		xmd_event(d, XMD_LOG_INFO, "reload: revocation list %s version %llu with %u serials",
			  path, (unsigned long long)l->version, l->n_serials);
		xm_core_kx_recheck(d->core, now);
	}
	free(l);
}

void xmd_reload(struct xmd *d)
{
	struct xmd_config *n = malloc(sizeof(*n));
	const struct xmd_config *o = &d->cfg;
	bool readvertise = false, metrics_moved;
	char err[512];
	xm_time now = xmd_now();

	if (!n)
		return;
	xmd_config_default(n);
	if (!(d->config_missing_ok && access(d->config_path, F_OK)) &&
	    xmd_config_load(n, d->config_path, err, sizeof(err))) {
		xmd_event(d, XMD_LOG_ERR, "reload: %s; keeping the running configuration",
			  err);
		free(n);
		return;
	}
	xmd_overrides_apply(n, &d->cli);
	/* What only a restart can change stays as it runs. */
#define KEEP(f, what, differ)						\
	do {								\
		if (differ)						\
			xmd_warn("reload: %s changes at the next restart", \
				 what);					\
		memcpy(&n->f, &o->f, sizeof(n->f));			\
	} while (0)
#define KEEP_NUM(f, what)	KEEP(f, what, n->f != o->f)
#define KEEP_STR(f, what)	KEEP(f, what, strcmp(n->f, o->f))
	KEEP_NUM(node_id, "node-id");
	KEEP_STR(device, "device");
	KEEP_NUM(family, "family");
	KEEP_NUM(data_port, "data-port");
	KEEP_NUM(agent_port, "agent-port");
	KEEP_STR(site_key, "site-key");
	KEEP_STR(state_dir, "state-dir");
	KEEP_STR(socket, "socket");
	KEEP_NUM(max_clients, "max-clients");
	KEEP_NUM(gate, "gate");
	KEEP_NUM(gate_hello_rate, "gate-hello-rate");
	KEEP_STR(gate_pin_dir, "gate-pin-dir");
	KEEP_STR(certificate, "certificate");
	KEEP_STR(authority, "authority");
	KEEP_NUM(security, "security");
	KEEP_NUM(rekey_s, "rekey-interval");
	KEEP_NUM(rekey_packets, "rekey-packets");
	KEEP_NUM(origin, "origin");
	KEEP_NUM(origin_rekey_s, "origin-rekey-interval");
	KEEP_STR(controller, "controller");
	KEEP_STR(controller_ca, "controller-ca");
#undef KEEP_STR
#undef KEEP_NUM
#undef KEEP
	if (!prefixes_same(n, o)) {
		struct xm_prefix4or6 p[XM_PREFIX_MAX];
		unsigned int np = core_prefixes(n, p);
		const char *why = xm_prefixes_check(p, np);

		/* All or nothing: a refused change keeps the running ones. */
		if (why || xmd_addresses_update(d, o, n)) {
			if (why)
				xmd_event(d, XMD_LOG_ERR, "reload: addresses and prefixes refused (%s); keeping the running ones",
					  why);
			n->n_addresses = o->n_addresses;
			n->n_prefixes = o->n_prefixes;
			memcpy(n->addresses, o->addresses,
			       sizeof(n->addresses));
			memcpy(n->prefixes, o->prefixes, sizeof(n->prefixes));
		} else {
			readvertise = true;
			xmd_event(d, XMD_LOG_INFO, "reload: now advertising %u addresses and prefixes",
				  np);
		}
	}
	if (!mgroups_same(n, o)) {
		xm_core_set_mgroups(d->core, now, n->mgroups, n->n_mgroups);
		d->core_cfg.n_mgroups = n->n_mgroups;
		memcpy(d->core_cfg.mgroups, n->mgroups,
		       sizeof(d->core_cfg.mgroups));
		xmd_event(d, XMD_LOG_INFO, "reload: now in %u multicast groups",
			  n->n_mgroups);
	}
	if (!timers_same(&n->timers, &o->timers)) {
		const char *why = xm_timers_check(&n->timers);

		if (why || xm_core_set_timers(d->core, now, &n->timers)) {
			xmd_event(d, XMD_LOG_ERR, "reload: timers refused (%s); keeping the running ones",
				  why ? why : "by the core");
			n->timers = o->timers;
		} else {
			d->core_cfg.timers = n->timers;
		}
	}
	if (d->kx && n->crl[0])
		crl_reload(d, n->crl, now);
	readvertise |= n->n_exports != o->n_exports ||
		       memcmp(n->exports, o->exports, sizeof(n->exports));
	metrics_moved = strcmp(n->metrics_file, o->metrics_file) ||
			n->metrics_interval_ms != o->metrics_interval_ms;
	d->cfg = *n;
	free(n);
	/* The file and its period change at once: a new timer. The old
	 * file stays (node_exporter's mtime tells its age). */
	if (metrics_moved) {
		xmd_metrics_stop(d);
		xmd_metrics_start(d);
	}
	if (readvertise) {
		exports_start(d, now);
		advertise(d, now);
	}
	xmd_log_set_level(d->cfg.log_level);
	caps_update(d, now);
	xm_core_set_policy(d->core, now, &d->cfg.policy);
	xmd_policy_reapply(d);	/* the controller's over the file's */
	links_named_check(d);
	links_reconcile(d, now);
	xmd_event(d, XMD_LOG_INFO, "configuration reloaded from %s",
		  d->config_path);
}

/* ---- signals and timers ---- */

static void signal_event(struct xmd_watch *w, uint32_t events)
{
	struct xmd *d = (struct xmd *)((char *)w - offsetof(struct xmd,
							     signals));
	struct signalfd_siginfo si;

	(void)events;
	while (read(d->signals.fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			xmd_notify("RELOADING=1");
			xmd_reload(d);
			xmd_notify("READY=1");
		} else {
			xmd_info("signal %u: stopping", si.ssi_signo);
			d->running = false;
		}
	}
	run_actions(d, xmd_now());
}

static void timer_event(struct xmd_watch *w, uint32_t events)
{
	struct xmd *d = (struct xmd *)((char *)w - offsetof(struct xmd, timer));
	uint64_t ticks;
	xm_time now = xmd_now();

	(void)events;
	if (read(d->timer.fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		xmd_debug("timerfd: %s", strerror(errno));
	if (now >= d->next_caps)
		caps_update(d, now);
	xmd_kernel_keys_stale(&d->k, now);
	if (d->kx && now >= d->next_key_counters) {
		/* Rotation on volume: how much each transmit key sealed. */
		xmd_kernel_key_counters(&d->k, d->core, now);
		d->next_key_counters = now + XMD_KEY_COUNTERS_MS;
	}
	if (now >= d->next_resync) {
		/* Someone may have changed the tables: read and diff. */
		d->k.have_ok = false;
		d->k.routes_ok = false;
		if (d->filter)
			d->filter->installed_ok = false;
		d->fib_dirty = true;
		d->next_resync = now + XMD_RESYNC_MS;
	}
	xmd_exports_timer(&d->exports, now);
	if (xm_core_next_timer(d->core) <= now) {
		/* An agent scheduled late must not take the answers waiting
		 * for it for lost probes. */
		oam_drain(d);
		xm_core_timer(d->core, now);
	}
	run_actions(d, now);
}

/* The timerfd at the earliest thing due. */
static void timer_arm(struct xmd *d)
{
	struct itimerspec its = { 0 };
	xm_time next = xm_core_next_timer(d->core);

	if (d->next_caps < next)
		next = d->next_caps;
	if (d->next_resync < next)
		next = d->next_resync;
	if (d->kx && d->next_key_counters < next)
		next = d->next_key_counters;
	if (d->k.stale_at < next)
		next = d->k.stale_at;
	if (xmd_exports_next(&d->exports) < next)
		next = xmd_exports_next(&d->exports);
	/* Waiting out a retry; the core's initial sync hold is in its timer. */
	if (d->fib_dirty && d->fib_retry_at > xmd_now() &&
	    d->fib_retry_at < next)
		next = d->fib_retry_at;
	if (next == XM_NEVER)
		next = xmd_now() + 60000;
	if (!next)
		next = 1;	/* 0 would disarm it */
	its.it_value.tv_sec = (time_t)(next / 1000);
	its.it_value.tv_nsec = (long)(next % 1000) * 1000000;
	timerfd_settime(d->timer.fd, TFD_TIMER_ABSTIME, &its, NULL);
}

int xmd_run(struct xmd *d)
{
	struct epoll_event ev[32];
	int n, i;

	d->running = true;
	while (d->running) {
		timer_arm(d);
		n = epoll_wait(d->epfd, ev, 32, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			xmd_err("epoll_wait: %s", strerror(errno));
			return -1;
		}
		/* Input first, timers last: what arrived before a deadline
		 * counts as in time, however late the loop runs. */
		for (i = 0; i < n; i++) {
			struct xmd_watch *w = ev[i].data.ptr;

			if (w != &d->timer)
				w->fn(w, ev[i].events);
		}
		for (i = 0; i < n; i++)
			if (ev[i].data.ptr == &d->timer)
				d->timer.fn(&d->timer, ev[i].events);
		xmd_ctl_reap(&d->ctl);
		links_reap(d);
	}
	return 0;
}

/* ---- start and stop ---- */

/* The control socket's group-join and group-leave: live, until the next
 * reload or restart (the config file is the durable place). */
static int mgroups_set(void *arg, const struct xm_mgroup *g, unsigned int n)
{
	struct xmd *d = arg;
	int err;

	if (!d->core || n > XM_MGROUP_MAX)
		return -EINVAL;
	err = xm_core_set_mgroups(d->core, xmd_now(), g, n);
	if (err)
		return err;
	/* A reload compares the file's groups with these. */
	d->cfg.n_mgroups = n;
	memset(d->cfg.mgroups, 0, sizeof(d->cfg.mgroups));
	memcpy(d->cfg.mgroups, g, n * sizeof(*g));
	d->core_cfg.n_mgroups = n;
	memcpy(d->core_cfg.mgroups, d->cfg.mgroups,
	       sizeof(d->core_cfg.mgroups));
	xmd_event(d, XMD_LOG_INFO, "control socket: now in %u multicast groups",
		  n);
	return 0;
}

/* The control socket's filter-reload: as a SIGHUP does for the filter. */
static int filter_reload(void *arg, unsigned int *rules, char *why,
			 size_t len)
{
	struct xmd *d = arg;
	int ret = xmd_filter_reload(d, why, len);

	*rules = d->filter ? d->filter->rules.n_rules : 0;
	return ret;
}

static void view_fill(void *data, struct xmd_view *v)
{
	struct xmd *d = data;

	memset(v, 0, sizeof(*v));
	v->core = d->core;
	v->ops = &xmd_core_ops;
	v->now = xmd_now();
	v->started = d->started;
	v->name = d->core_cfg.caps.name;
	v->device = d->cfg.device;
	v->ifindex = d->ifindex;
	v->fib_ready = d->core && xm_core_fib_ready(d->core, v->now);
	v->stats = &d->stats;
	v->kx = d->kx ? xm_kx_stats(d->kx) : NULL;
	v->security = d->kx ? xmd_security_name(d->security) :
		      "none (insecure-no-certificates)";
	v->exports = &d->exports;
	v->policy = d->core ? xm_core_policy(d->core) : NULL;
	v->mgroups = d->cfg.mgroups;
	v->n_mgroups = d->cfg.n_mgroups;
	v->mgroups_set = mgroups_set;
	v->filter_file = d->cfg.filter;
	v->filter_policy = xmd_policy_filter_version(d);
	v->filter_rules = d->filter ? d->filter->rules.n_rules : 0;
	v->filter_reload = filter_reload;
	v->arg = d;
}

/* The xmesh device: created if missing, this node's id, up, addresses. */
uint8_t xmd_security_local(const struct xmd *d)
{
	/*
	 * With certificates: encrypted unless the node chose auth only.
	 * Without: no keys, so none (whatever the module's default).
	 */
	return d->cfg.security >= 0 ? (uint8_t)d->cfg.security :
	       d->kx ? XMESH_SECURITY_ENCRYPT : XMESH_SECURITY_NONE;
}

const char *xmd_security_name(uint8_t mode)
{
	return mode == XMESH_SECURITY_NONE ? "none" :
	       xm_kx_security_name(mode);
}

int xmd_security_set(struct xmd *d, xm_time now, uint8_t mode, char *why,
		     size_t len)
{
	struct xm_change ch = { .cmd = XMESH_CMD_DEV_SET };
	int err;

	if (mode == d->security)
		return 0;
	if (!d->kx != (mode == XMESH_SECURITY_NONE)) {
		snprintf(why, len, "security %s %s certificates",
			 xmd_security_name(mode), d->kx ? "with" : "without");
		return -1;
	}
	ch.e.type = XMESH_A_DEV;
	ch.ifindex = d->ifindex;
	ch.e.dev.security = mode;
	XM_SET(&ch.e.dev, XMESH_DEV_A_SECURITY);
	err = xmnl_apply(&d->k.nl, &ch, 1, XM_APPLY_STOP, NULL, NULL);
	if (err) {
		snprintf(why, len, "the module refused it: %s", strerror(-err));
		return -1;
	}
	xmd_event(d, XMD_LOG_WARN, "security %s, was %s: new key exchanges with every neighbor (those still in %s are refused until they change)",
		  xmd_security_name(mode), xmd_security_name(d->security),
		  xmd_security_name(d->security));
	d->security = mode;
	xm_kx_set_security(d->kx, mode);
	xm_core_kx_restart(d->core, now);
	return 0;
}

static int device_setup(struct xmd *d)
{
	const struct xmd_config *c = &d->cfg;
	struct xm_change ch = { .cmd = XMESH_CMD_DEV_SET };
	struct xm_dev *want = &ch.e.dev;
	struct nlc_error e;
	struct xm_dev dev;
	char buf[XM_ADDRSTRLEN];
	unsigned int i;
	uint8_t sec;
	int err;

	d->ifindex = if_nametoindex(c->device);
	if (!d->ifindex) {
		err = xmd_rtnl_create_xmesh(&d->rtnl, c->device, &e);
		if (err) {
			xmd_err("cannot create the xmesh device %s: %s%s",
				c->device, e.msg[0] ? e.msg : strerror(-err),
				err == -EOPNOTSUPP ?
				" (is the xmesh module installed?)" : "");
			return -1;
		}
		d->ifindex = if_nametoindex(c->device);
		xmd_info("created the xmesh device %s", c->device);
	}
	err = xmd_kernel_open(&d->k, d->ifindex, d->core_cfg.node_id,
			      (uint16_t)(getpid() & 0xffff), &d->stats);
	if (err) {
		xmd_err("cannot talk to the xmesh module: %s",
			xmnl_strerror(err));
		return -1;
	}
	d->k_open = true;
	memset(&dev, 0, sizeof(dev));
	if (xmnl_dev_get(&d->k.nl, d->ifindex, NULL, &dev, &e)) {
		xmd_err("%s is not an xmesh device: %s", c->device,
			e.msg[0] ? e.msg : strerror(-e.err));
		return -1;
	}
	if (XM_HAS(&dev, XMESH_DEV_A_NODE_ID) &&
	    dev.node_id != d->core_cfg.node_id) {
		xmd_err("%s has node id %u, this node is %u: flush its routes and prefixes (xmesh route flush; xmesh prefix flush) or set node-id %u",
			c->device, dev.node_id, d->core_cfg.node_id,
			dev.node_id);
		return -1;
	}
	ch.e.type = XMESH_A_DEV;
	ch.ifindex = d->ifindex;
	if (!XM_HAS(&dev, XMESH_DEV_A_NODE_ID)) {
		want->node_id = d->core_cfg.node_id;
		XM_SET(want, XMESH_DEV_A_NODE_ID);
	}
	if (!XM_HAS(&dev, XMESH_DEV_A_PORT) || dev.port != c->data_port) {
		want->port = c->data_port;
		XM_SET(want, XMESH_DEV_A_PORT);
	}
	if (!XM_HAS(&dev, XMESH_DEV_A_FAMILY) || dev.family != c->family) {
		want->family = c->family;
		XM_SET(want, XMESH_DEV_A_FAMILY);
	}
	sec = xmd_security_local(d);
	d->security = sec;
	if (d->kx)	/* stated in the key exchange, compared there */
		xm_kx_set_security(d->kx, sec);
	if (!XM_HAS(&dev, XMESH_DEV_A_SECURITY) || dev.security != sec) {
		want->security = sec;
		XM_SET(want, XMESH_DEV_A_SECURITY);
	}
	/*
	 * Origin seals at once: no route to a node exists before its advert,
	 * which brings its keys (the flag day of certificates.md: a node
	 * still without them drops what it gets as origin_missing).
	 */
	/* Off is not asked of a module without origin seals. */
	if (XM_HAS(&dev, XMESH_DEV_A_ORIGIN) ? dev.origin != c->origin :
					       c->origin) {
		want->origin = c->origin;
		XM_SET(want, XMESH_DEV_A_ORIGIN);
	}
	if (!d->kx)	/* at every start: the operator chose it once */
		xmd_warn("insecure-no-certificates: frames on %s are not authenticated (security none): anyone on the underlay network can join the mesh, read and inject",
			 c->device);
	if (want->present) {
		err = xmnl_apply(&d->k.nl, &ch, 1, XM_APPLY_STOP, NULL, NULL);
		if (err) {
			xmd_err("cannot set %s's node id, port, family, security or origin: %s",
				c->device, strerror(-err));
			return -1;
		}
	}
	d->core_cfg.data_port = c->data_port;
	err = xmd_rtnl_set_up(&d->rtnl, d->ifindex, &e);
	if (err) {
		xmd_err("cannot bring %s up: %s", c->device,
			e.msg[0] ? e.msg : strerror(-err));
		return -1;
	}
	for (i = 0; i < c->n_addresses; i++) {
		const struct xm_prefix4or6 *a = &c->addresses[i];

		err = xmd_rtnl_addr_add(&d->rtnl, d->ifindex, &a->addr, a->len,
					&e);
		if (err) {
			xmd_err("cannot add address %s to %s: %s",
				xm_prefix_str(&a->addr, a->len, buf,
					      sizeof(buf)),
				c->device, e.msg[0] ? e.msg : strerror(-err));
			return -1;
		}
	}
	return 0;
}

/*
 * Say what this node would advertise that its certificate does not give:
 * every neighbor refuses it while it does (claim_mismatch), and the
 * reason is better read here than in their logs.
 */
static void own_prefixes_check(const struct xmd_config *c,
			       const struct xm_cert *cert)
{
	struct xm_prefix4or6 p[XM_PREFIX_MAX + XM_EXPORT_MAX];
	unsigned int i, n = core_prefixes(c, p);
	char buf[XM_ADDRSTRLEN];

	for (i = 0; i < c->n_exports; i++)
		p[n++] = c->exports[i].prefix;
	for (i = 0; i < n; i++)
		if (!xm_cert_gives_prefix(cert, &p[i]))
			xmd_warn("%s is not within the certificate's prefixes: neighbors refuse this node while it advertises it",
				 xm_prefix_str(&p[i].addr, p[i].len, buf,
					       sizeof(buf)));
}

/*
 * With certificates: the key exchange; the node id, zone and roles are the
 * certificate's (a configured node-id must agree, zone and roles in the
 * configuration are overridden with a warning).
 */
static int kx_config(struct xmd *d, struct xm_core_config *cc)
{
	const struct xmd_config *c = &d->cfg;
	const struct xm_cert *cert;
	char err[1024];

	cc->unix_s = (uint64_t)time(NULL);
	d->kx = xmd_kx_load(c->state_dir, c->certificate, c->authority, c->crl,
			    c->rekey_s, c->rekey_packets, cc->unix_s, err,
			    sizeof(err));
	if (!d->kx) {
		xmd_err("%s", err);
		return -1;
	}
	cert = xm_kx_cert(d->kx);
	if (c->node_id && c->node_id != cert->node_id) {
		xmd_err("node-id %u, but the certificate %s is for node %u",
			c->node_id, c->certificate, cert->node_id);
		return -1;
	}
	if ((c->zone[0] && strcmp(c->zone, cert->zone)) || c->n_roles)
		xmd_warn("zone and roles are the certificate's (zone \"%s\", %u roles): the configuration's are ignored",
			 cert->zone, cert->n_roles);
	own_prefixes_check(c, cert);
	cc->node_id = cert->node_id;
	cc->kx = d->kx;
	cc->origin = c->origin;
	cc->origin_rekey_ms = c->origin_rekey_s * 1000;
	xmd_info("node %u of site %s, certificate serial %llu valid until %llu",
		 cert->node_id, cert->site, (unsigned long long)cert->serial,
		 (unsigned long long)cert->not_after);
	return 0;
}

/* What the core is created with: identity, prefixes, timers, policy. */
static int core_config(struct xmd *d)
{
	struct xm_core_config *cc = &d->core_cfg;
	const struct xmd_config *c = &d->cfg;
	char err[512];
	bool created;

	memset(cc, 0, sizeof(*cc));
	if (xmd_site_key_load(c->site_key, cc->site_key, err, sizeof(err))) {
		xmd_err("%s", err);
		return -1;
	}
	if (err[0])
		xmd_warn("%s", err);
	if (xmd_node_key_load(c->state_dir, cc->pubkey, &created, err,
			      sizeof(err))) {
		xmd_err("%s", err);
		return -1;
	}
	if (created)
		xmd_info("created this node's key pair in %s/%s", c->state_dir,
			 XMD_NODE_KEY_FILE);
	cc->node_id = c->node_id ? c->node_id :
		      xmd_node_id_from_key(cc->pubkey);
	if (c->certificate[0] && kx_config(d, cc))
		return -1;
	cc->data_port = c->data_port;
	cc->n_prefixes = core_prefixes(c, cc->prefixes);
	cc->n_mgroups = c->n_mgroups;
	memcpy(cc->mgroups, c->mgroups, sizeof(cc->mgroups));
	cc->timers = c->timers;
	cc->policy = c->policy;
	cc->boot_id = xmd_boot_id_next(c->state_dir, (uint64_t)time(NULL), err,
				       sizeof(err));
	if (err[0])
		xmd_warn("%s", err);
	caps_fill(d, &cc->caps);
	return 0;
}

static int watch_new(struct xmd *d, struct xmd_watch *w, int fd,
		     void (*fn)(struct xmd_watch *w, uint32_t events))
{
	int err;

	w->fd = fd;
	w->fn = fn;
	if (fd < 0)
		return -1;
	err = xmd_watch_add(d->epfd, w, EPOLLIN);
	if (err)
		xmd_err("epoll: %s", strerror(-err));
	return err;
}

int xmd_start(struct xmd *d)
{
	xm_time now;
	sigset_t mask;
	size_t i, n;
	int err;

	d->epfd = -1;
	d->timer.fd = d->signals.fd = -1;
	d->links.family = d->cfg.family;
	if (!d->sysfs)
		d->sysfs = "/sys";
	if (!d->caps_paths.proc)
		d->caps_paths.proc = "/proc";
	if (!d->caps_paths.storage)
		d->caps_paths.storage = d->cfg.state_dir;
	if (sodium_init() < 0) {
		xmd_err("libsodium failed to initialise");
		return -1;
	}
	if (core_config(d))
		return -1;
	err = nlc_open(&d->rtnl, NETLINK_ROUTE);
	if (err) {
		xmd_err("rtnetlink: %s", strerror(-err));
		return -1;
	}
	d->rtnl_open = true;
	if (device_setup(d))
		return -1;
	err = xmd_kernel_load(&d->k);
	if (err)
		xmd_warn("reading the kernel's tables: %s; they are read again before the first change",
			 strerror(-err));
	if (d->kx && xmd_kernel_keys_load(&d->k, xmd_now(),
					  XMD_STALE_KEYS_MS))
		xmd_warn("reading the kernel's keys failed: a previous run's stay");

	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0) {
		xmd_err("epoll: %s", strerror(errno));
		return -1;
	}
	now = xmd_now();
	d->started = now;
	d->core = xm_core_new(&d->core_cfg, now);
	if (!d->core) {
		const char *why = xm_core_config_check(&d->core_cfg);

		xmd_err("the protocol core failed to start: %s",
			why ? why : strerror(errno));
		sodium_memzero(d->core_cfg.site_key,
			       sizeof(d->core_cfg.site_key));
		return -1;
	}
	/* The core holds the site key, locked; no other copy stays. */
	sodium_memzero(d->core_cfg.site_key, sizeof(d->core_cfg.site_key));
	/* A restart keeps the kernel's neighbors and their ids, so that
	 * forwarding goes on undisturbed while the mesh is relearnt. */
	for (i = 0; d->k.have_ok && i < d->k.have.n_neighs; i++)
		xm_core_adopt_neigh(d->core, &d->k.have.neighs[i]);
	if (d->k.have.n_neighs)
		xmd_info("adopted %zu neighbors, %zu routes and %zu prefixes from the kernel",
			 d->k.have.n_neighs, d->k.have.n_routes,
			 d->k.have.n_prefixes);
	exports_start(d, now);

	/* Events first, then the dump: no change falls in between. */
	err = xmd_rtnl_events_open(&d->rtnl_ev, d->cfg.family);
	if (err) {
		xmd_err("rtnetlink events: %s", strerror(-err));
		return -1;
	}
	d->rtnl_ev_open = true;
	err = links_dump(d);
	if (err) {
		xmd_err("reading the interfaces: %s", strerror(-err));
		return -1;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (watch_new(d, &d->signals,
		      signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC),
		      signal_event) ||
	    watch_new(d, &d->timer,
		      timerfd_create(CLOCK_MONOTONIC,
				     TFD_NONBLOCK | TFD_CLOEXEC),
		      timer_event) ||
	    watch_new(d, &d->rtnl_w, nlc_fd(&d->rtnl_ev), rtnl_event) ||
	    watch_new(d, &d->oam_w, xmnl_fd(&d->k.oam), oam_event) ||
	    watch_new(d, &d->probe_w, xmnl_fd(&d->k.probe), probe_event))
		return -1;

	err = xmd_ctl_open(&d->ctl, d->epfd, d->cfg.socket, d->cfg.max_clients,
			   &d->stats, view_fill, d);
	if (err) {
		xmd_err("control socket %s: %s", d->cfg.socket,
			err == -EADDRINUSE ? "another xmeshd answers there" :
			strerror(-err));
		return -1;
	}
	d->ctl_open = true;
	/* Checked now: a CA file unreadable would fail every request. */
	if (d->cfg.controller_ca[0] && access(d->cfg.controller_ca, R_OK)) {
		xmd_err("controller-ca %s: %s", d->cfg.controller_ca,
			strerror(errno));
		return -1;
	}
	xmd_controller_ca_set(d->cfg.controller_ca);
	if (xmd_policy_start(d, run_actions))
		return -1;
	xmd_telemetry_start(d);	/* a failure is logged; the agent runs on */
	xmd_metrics_start(d);	/* likewise */

	d->next_caps = now + d->cfg.caps_interval_ms;
	d->next_resync = now + XMD_RESYNC_MS;
	gate_start(d);
	/* The cached policy's filter, when it has one, wins over the file. */
	if (d->cfg.filter[0] && !d->filter) {
		char why[256];

		d->filter = xmd_filter_new(d->cfg.filter, why, sizeof(why));
		if (!d->filter) {
			xmd_err("filter %s: %s", d->cfg.filter, why);
			return -1;
		}
	}
	links_named_check(d);
	links_reconcile(d, now);
	run_actions(d, now);
	for (i = 0, n = 0; i < d->links.n; i++)
		n += d->links.v[i]->in_core;
	xmd_event(d, XMD_LOG_INFO, "node %u (%s) running on %s, %zu link%s",
		  d->core_cfg.node_id, d->core_cfg.caps.name, d->cfg.device,
		  n, n == 1 ? "" : "s");
	return 0;
}

void xmd_stop(struct xmd *d)
{
	size_t i;

	/* Nothing is flushed: the kernel forwards on as programmed. */
	xmd_exports_stop(&d->exports);
	xmd_metrics_stop(d);
	xmd_telemetry_stop(d);
	xmd_policy_stop(d);
	if (d->ctl_open)
		xmd_ctl_close(&d->ctl);
	d->ctl_open = false;
	/* The gate stays attached, like the kernel's tables: the next
	 * agent adopts it. */
	xmd_gate_free(d->gate);
	d->gate = NULL;
	xmd_filter_free(d->filter);
	d->filter = NULL;
	for (i = 0; i < d->links.n; i++)
		link_close(d, d->links.v[i]);
	xmd_links_free(&d->links);
	if (d->core)
		xm_core_free(d->core);
	d->core = NULL;
	xm_kx_free(d->kx);	/* wipes its keys */
	d->kx = NULL;
	if (d->k_open)
		xmd_kernel_close(&d->k);
	d->k_open = false;
	if (d->rtnl_ev_open)
		nlc_close(&d->rtnl_ev);
	if (d->rtnl_open)
		nlc_close(&d->rtnl);
	d->rtnl_ev_open = d->rtnl_open = false;
	if (d->timer.fd >= 0)
		close(d->timer.fd);
	if (d->signals.fd >= 0)
		close(d->signals.fd);
	if (d->epfd >= 0)
		close(d->epfd);
	d->timer.fd = d->signals.fd = d->epfd = -1;
}
