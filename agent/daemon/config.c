// SPDX-License-Identifier: GPL-2.0
/* Reading xmeshd.conf: a table of directives, each with its parser. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/xmesh.h>
#include <sys/socket.h>

#include "classes.h"
#include "controller_client.h"
#include "ctl_proto.h"
#include "log.h"
#include "msg.h"
#include "mcast.h"
#include "xmesh_qos.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_WORDS	16
#define MAX_LINE	1024

void xmd_config_default(struct xmd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->device, sizeof(cfg->device), "xmesh0");
	cfg->family = AF_INET;
	cfg->data_port = 7600;
	cfg->agent_port = XM_AGENT_PORT;
	snprintf(cfg->site_key, sizeof(cfg->site_key), "%s",
		 XMD_SITE_KEY_PATH);
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", XMD_STATE_DIR);
	snprintf(cfg->socket, sizeof(cfg->socket), "%s", XMD_SOCKET_PATH);
	xm_timers_default(&cfg->timers);
	cfg->caps_interval_ms = XMD_CAPS_INTERVAL_MS;
	cfg->log_level = XMD_LOG_INFO;
	cfg->max_clients = XMD_MAX_CLIENTS;
	cfg->qos = true;
	cfg->gate = true;	/* it outlives restarts: xmeshd.md, First gate */
	cfg->gate_hello_rate = XMD_GATE_HELLO_RATE;
	snprintf(cfg->gate_pin_dir, sizeof(cfg->gate_pin_dir), "%s",
		 XMD_GATE_PIN_DIR);
	cfg->security = -1;
	cfg->origin_rekey_s = 3600;
	cfg->metrics_interval_ms = XMD_METRICS_INTERVAL_MS;
}

/* Health-check profiles: the rest of the timers stay at their defaults. */
int xmd_timers_profile(struct xm_timers *t, const char *name)
{
	xm_timers_default(t);
	if (!strcmp(name, "default"))
		return 0;
	if (!strcmp(name, "fast")) {
		t->hello_ms = 500;
		t->dead_ms = 1750;
		t->probe_ms = 10;
		t->probe_miss = 3;
		t->holddown_ms = 1000;
		return 0;
	}
	if (!strcmp(name, "slow")) {
		t->hello_ms = 2000;
		t->dead_ms = 7000;
		t->probe_ms = 200;
		t->probe_miss = 5;
		t->holddown_ms = 5000;
		return 0;
	}
	return -1;
}

/* ---- the timers: seconds in the file, ms or s in struct xm_timers ---- */

enum unit { UNIT_MS, UNIT_S, UNIT_COUNT };

static const struct timer_key {
	const char *name;
	size_t off;
	enum unit unit;
	double min, max;		/* seconds, or a count */
} timer_keys[] = {
#define T(n, f, u, lo, hi) { n, offsetof(struct xm_timers, f), u, lo, hi }
	T("hello-interval", hello_ms, UNIT_MS, 0.01, 600),
	T("dead-interval", dead_ms, UNIT_MS, 0.03, 3600),
	T("probe-interval", probe_ms, UNIT_MS, 0.005, 60),
	T("probe-miss", probe_miss, UNIT_COUNT, 1, 1000),
	T("holddown", holddown_ms, UNIT_MS, 0, 3600),
	T("holddown-max", holddown_max_ms, UNIT_MS, 0, 86400),
	T("spf-initial-delay", spf_initial_ms, UNIT_MS, 0, 60),
	T("spf-hold", spf_hold_ms, UNIT_MS, 0, 600),
	T("spf-max-hold", spf_max_ms, UNIT_MS, 0, 3600),
	T("lsa-min-interval", lsa_min_ms, UNIT_MS, 0, 600),
	T("lsa-max-interval", lsa_max_ms, UNIT_MS, 0, 600),
	T("lsa-refresh", lsa_refresh_s, UNIT_S, 10, 65534),
	/* Ages travel in 16 bits. */
	T("lsa-max-age", lsa_max_age_s, UNIT_S, 20, 65535),
	T("retransmit-interval", rexmit_ms, UNIT_MS, 0.01, 600),
	T("purge-after", purge_after_s, UNIT_S, 1, 86400),
	T("sync-hold", sync_hold_ms, UNIT_MS, 0, 3600),
#undef T
};

static uint32_t *timer_field(struct xm_timers *t, const struct timer_key *k)
{
	return (uint32_t *)((char *)t + k->off);
}

/* ---- the parser ---- */

struct parser {
	struct xmd_config *cfg;
	const char *name;
	unsigned int line;
	char *err;
	size_t errlen;
	/* Line of each singleton directive seen (0: not yet). */
	unsigned int seen[64];
	/* Timers set explicitly; applied over the profile at the end. */
	struct xm_timers explicit_timers;
	unsigned int timer_line[ARRAY_SIZE(timer_keys)];
	char profile[16];
	unsigned int class_line[XM_CLASSES];	/* each class once */
};

__attribute__((format(printf, 2, 3)))
static int fail(struct parser *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line)
		snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->name, msg);
	return -1;
}

static int want_args(struct parser *p, int argc, char **argv, int min,
		     int max)
{
	if (argc - 1 < min)
		return fail(p, "\"%s\" needs %s", argv[0],
			    min == 1 ? "a value" : "more values");
	if (max >= 0 && argc - 1 > max)
		return fail(p, "\"%s\" takes %d value%s, not \"%s\"", argv[0],
			    max, max == 1 ? "" : "s", argv[max + 1]);
	return 0;
}

/* A node name, zone or role: printable, no blanks, short. */
static int parse_name(struct parser *p, const char *what, const char *s,
		      char *out)
{
	size_t n = strlen(s);

	if (!n || n >= XM_NAME_MAX)
		return fail(p, "%s \"%s\" must be 1 to %d characters", what, s,
			    XM_NAME_MAX - 1);
	if (!xm_name_valid(s, XM_NAME_MAX))
		return fail(p, "%s \"%s\" has a character that is not allowed",
			    what, s);
	memcpy(out, s, n + 1);
	return 0;
}

static int parse_path(struct parser *p, const char *s, char *out,
		      size_t max)
{
	if (s[0] != '/')
		return fail(p, "\"%s\" is not an absolute path", s);
	if (strlen(s) >= max)
		return fail(p, "path \"%s\" is longer than %zu characters", s,
			    max - 1);
	snprintf(out, XMD_PATH_MAX, "%s", s);
	return 0;
}

static int parse_u32(struct parser *p, const char *what, const char *s,
		     uint32_t min, uint32_t max, uint32_t *out)
{
	int ret = xm_parse_u32(s, min, max, out);

	if (ret == -ERANGE)
		return fail(p, "%s %s is out of range (%u to %u)", what, s,
			    min, max);
	if (ret)
		return fail(p, "%s \"%s\" is not a number", what, s);
	return 0;
}

static int parse_seconds(struct parser *p, const char *what, const char *s,
			 double min, double max, double *out)
{
	int ret = xm_parse_seconds(s, min, max, out);

	if (ret == -ERANGE)
		return fail(p, "%s %s is out of range (%g to %g seconds)", what,
			    s, min, max);
	if (ret)
		return fail(p, "%s \"%s\" is not a number of seconds", what, s);
	return 0;
}

static int parse_prefix(struct parser *p, const char *what, const char *s,
			struct xm_prefix4or6 *out, bool host_bits_ok)
{
	char buf[XM_ADDRSTRLEN];
	int ret = xm_parse_prefix(s, &out->addr, &out->len);

	if (ret == -EADDRNOTAVAIL && host_bits_ok)
		return 0;
	if (ret == -EADDRNOTAVAIL) {
		xm_addr_mask(&out->addr, out->len);
		return fail(p, "%s %s has host bits set; did you mean %s?",
			    what, s, xm_prefix_str(&out->addr, out->len, buf,
						   sizeof(buf)));
	}
	if (ret == -ERANGE)
		return fail(p, "%s %s has a bad prefix length", what, s);
	if (ret)
		return fail(p, "%s \"%s\" is not an address or prefix", what, s);
	return 0;
}

static int add_prefix(struct parser *p, const char *what,
		      const struct xm_prefix4or6 *x)
{
	struct xmd_config *c = p->cfg;
	struct xm_prefix4or6 host = *x;
	unsigned int i;

	if (!strcmp(what, "address"))
		host.len = (uint8_t)xm_addr_bits(x->addr.family);
	for (i = 0; i < c->n_addresses; i++) {
		struct xm_prefix4or6 h = c->addresses[i];

		h.len = (uint8_t)xm_addr_bits(h.addr.family);
		if (xm_prefix_eq(&h.addr, h.len, &host.addr, host.len))
			return fail(p, "%s is given twice", what);
	}
	for (i = 0; i < c->n_prefixes; i++)
		if (xm_prefix_eq(&c->prefixes[i].addr, c->prefixes[i].len,
				 &host.addr, host.len))
			return fail(p, "%s is given twice", what);
	for (i = 0; i < c->n_exports; i++)
		if (xm_prefix_eq(&c->exports[i].prefix.addr,
				 c->exports[i].prefix.len, &host.addr,
				 host.len))
			return fail(p, "%s is also an export", what);
	if (c->n_addresses + c->n_prefixes + c->n_exports >= XM_PREFIX_MAX)
		return fail(p, "more than %d addresses and prefixes%s",
			    XM_PREFIX_MAX, c->n_exports ? " and exports" : "");
	if (!strcmp(what, "address"))
		c->addresses[c->n_addresses++] = *x;
	else
		c->prefixes[c->n_prefixes++] = *x;
	return 0;
}

static int d_node_id(struct parser *p, int argc, char **argv)
{
	(void)argc;
	return parse_u32(p, "node id", argv[1], 1, UINT32_MAX,
			 &p->cfg->node_id);
}

static int d_name(struct parser *p, int argc, char **argv)
{
	(void)argc;
	return parse_name(p, "name", argv[1], p->cfg->name);
}

static int d_device(struct parser *p, int argc, char **argv)
{
	(void)argc;
	if (!xm_ifname_valid(argv[1]))
		return fail(p, "\"%s\" is not a valid interface name", argv[1]);
	snprintf(p->cfg->device, sizeof(p->cfg->device), "%s", argv[1]);
	return 0;
}

static int d_family(struct parser *p, int argc, char **argv)
{
	uint16_t f = xm_family_parse(argv[1]);

	(void)argc;
	if (!f)
		return fail(p, "family must be inet or inet6, not \"%s\"",
			    argv[1]);
	p->cfg->family = f;
	return 0;
}

static int d_port(struct parser *p, int argc, char **argv)
{
	uint32_t v;

	(void)argc;
	if (parse_u32(p, argv[0], argv[1], 1, 65535, &v))
		return -1;
	if (!strcmp(argv[0], "data-port"))
		p->cfg->data_port = (uint16_t)v;
	else
		p->cfg->agent_port = (uint16_t)v;
	return 0;
}

static int d_path(struct parser *p, int argc, char **argv)
{
	struct xmd_config *c = p->cfg;

	(void)argc;
	if (!strcmp(argv[0], "socket"))
		return parse_path(p, argv[1], c->socket, XMD_SOCKET_PATH_MAX);
	if (!strcmp(argv[0], "filter"))
		return parse_path(p, argv[1], c->filter, XMD_PATH_MAX);
	if (!strcmp(argv[0], "gate-pin-dir"))
		return parse_path(p, argv[1], c->gate_pin_dir, XMD_PATH_MAX);
	if (!strcmp(argv[0], "metrics-file"))
		return parse_path(p, argv[1], c->metrics_file, XMD_PATH_MAX);
	if (!strcmp(argv[0], "controller-ca"))
		return parse_path(p, argv[1], c->controller_ca, XMD_PATH_MAX);
	return parse_path(p, argv[1], !strcmp(argv[0], "site-key") ?
			  c->site_key : c->state_dir, XMD_PATH_MAX);
}

static int d_cert_path(struct parser *p, int argc, char **argv)
{
	struct xmd_config *c = p->cfg;

	(void)argc;
	return parse_path(p, argv[1], !strcmp(argv[0], "certificate") ?
			  c->certificate : !strcmp(argv[0], "authority") ?
			  c->authority : c->crl, XMD_PATH_MAX);
}

/*
 * The controllers' base URLs, http:// or https://, in order of
 * preference: on one line or several, kept blank-separated
 * (controller_client.h, xmd_controllers_parse()).
 */
static int d_controller(struct parser *p, int argc, char **argv)
{
	char *list = p->cfg->controller;
	int i, n = 0;

	for (i = 0; list[i]; i++)
		n += list[i] == ' ';
	n += !!list[0];
	for (i = 1; i < argc; i++) {
		const char *u = argv[i];
		size_t len = strlen(list);

		if ((strncmp(u, "http://", 7) && strncmp(u, "https://", 8)) ||
		    len + !!len + strlen(u) >= sizeof(p->cfg->controller))
			return fail(p, "controller \"%s\": an http:// or https:// URL; all of them at most %zu characters",
				    u, sizeof(p->cfg->controller) - 1);
		if (++n > XMD_CONTROLLERS_MAX)
			return fail(p, "controller: at most %d controllers",
				    XMD_CONTROLLERS_MAX);
		if (len)
			list[len++] = ' ';
		strcpy(list + len, u);	/* its length checked above */
	}
	return 0;
}

static int d_security(struct parser *p, int argc, char **argv)
{
	static const char *const names[] = { "none", "auth", "encrypt" };
	int i;

	(void)argc;
	for (i = 0; i < 3; i++)
		if (!strcmp(argv[1], names[i])) {
			p->cfg->security = i;
			return 0;
		}
	return fail(p, "security: want none, auth or encrypt, not \"%s\"",
		    argv[1]);
}

/* argv[0] yes|no into *v. */
static int parse_yes_no(struct parser *p, char **argv, bool *v)
{
	if (strcmp(argv[1], "yes") && strcmp(argv[1], "no"))
		return fail(p, "%s must be yes or no, not \"%s\"", argv[0],
			    argv[1]);
	*v = !strcmp(argv[1], "yes");
	return 0;
}

static int d_insecure(struct parser *p, int argc, char **argv)
{
	(void)argc;
	return parse_yes_no(p, argv, &p->cfg->insecure_no_certificates);
}

static int d_origin(struct parser *p, int argc, char **argv)
{
	(void)argc;
	return parse_yes_no(p, argv, &p->cfg->origin);
}

static int d_rekey(struct parser *p, int argc, char **argv)
{
	uint32_t v;

	(void)argc;
	if (!strcmp(argv[0], "rekey-interval"))
		return parse_u32(p, argv[0], argv[1], 30, 86400,
				 &p->cfg->rekey_s);
	/* Above the switch (5 s) a rotation waits for: 10 s for tests. */
	if (!strcmp(argv[0], "origin-rekey-interval"))
		return parse_u32(p, argv[0], argv[1], 10, 7 * 86400,
				 &p->cfg->origin_rekey_s);
	if (parse_u32(p, argv[0], argv[1], 1000, UINT32_MAX, &v))
		return -1;
	p->cfg->rekey_packets = v;
	return 0;
}

static int d_address(struct parser *p, int argc, char **argv)
{
	struct xm_prefix4or6 x;

	(void)argc;
	/* An address on the device may have host bits: it is an address. */
	if (parse_prefix(p, "address", argv[1], &x, true))
		return -1;
	return add_prefix(p, "address", &x);
}

static int d_prefix(struct parser *p, int argc, char **argv)
{
	struct xm_prefix4or6 x;

	(void)argc;
	if (parse_prefix(p, "prefix", argv[1], &x, false))
		return -1;
	return add_prefix(p, "prefix", &x);
}

/* "check icmp", "check tcp:PORT", "check udp:PORT". */
static int parse_check(struct parser *p, const char *s,
		       struct xm_export_cfg *x)
{
	uint32_t port;

	if (!strcmp(s, "icmp")) {
		x->check = XM_CHECK_ICMP;
		return 0;
	}
	if (!strncmp(s, "tcp:", 4))
		x->check = XM_CHECK_TCP;
	else if (!strncmp(s, "udp:", 4))
		x->check = XM_CHECK_UDP;
	else
		return fail(p, "check \"%s\" is not icmp, tcp:PORT or udp:PORT",
			    s);
	if (parse_u32(p, "check port", s + 4, 1, 65535, &port))
		return -1;
	x->port = (uint16_t)port;
	return 0;
}

/* One option of an export line; 0, or -1 with the error said. */
static int export_option(struct parser *p, const char *k, const char *v,
			 struct xm_export_cfg *x)
{
	uint32_t n;
	double s;

	if (!strcmp(k, "priority")) {
		if (parse_u32(p, "priority", v, 1, 65535, &n))
			return -1;
		x->priority = (uint16_t)n;
	} else if (!strcmp(k, "check")) {
		return parse_check(p, v, x);
	} else if (!strcmp(k, "interval")) {
		if (parse_seconds(p, "interval", v, 0.1, 60, &s))
			return -1;
		x->interval_ms = (uint32_t)(s * 1000 + 0.5);
	} else if (!strcmp(k, "fall") || !strcmp(k, "rise")) {
		if (parse_u32(p, k, v, 1, 100, &n))
			return -1;
		*(k[0] == 'f' ? &x->fall : &x->rise) = (uint8_t)n;
	} else if (!strcmp(k, "hold")) {
		if (parse_seconds(p, "hold", v, 0, 86400, &s))
			return -1;
		x->hold_s = (uint32_t)(s + 0.5);
	} else if (!strcmp(k, "dev")) {
		if (!xm_ifname_valid(v))
			return fail(p, "\"%s\" is not a valid interface name",
				    v);
		snprintf(x->dev, sizeof(x->dev), "%s", v);
	} else {
		return fail(p, "export takes priority, check, interval, fall, rise, hold and dev, not \"%s\"",
			    k);
	}
	return 0;
}

/* export PREFIX via TARGET [priority P] [check C] [interval S] [fall N]
 * [rise N] [hold S] [dev IFNAME] */
static int d_export(struct parser *p, int argc, char **argv)
{
	struct xmd_config *c = p->cfg;
	struct xm_export_cfg x;
	char seen[8] = "";
	unsigned int i;
	int a;

	xm_export_cfg_default(&x);
	if (parse_prefix(p, "export", argv[1], &x.prefix, false))
		return -1;
	if (strcmp(argv[2], "via"))
		return fail(p, "export %s: \"via TARGET\" comes next, not \"%s\"",
			    argv[1], argv[2]);
	if (argc < 4 || xm_parse_addr(argv[3], &x.target, NULL))
		return fail(p, "export %s: via \"%s\" is not an address",
			    argv[1], argc < 4 ? "" : argv[3]);
	for (a = 4; a < argc; a += 2) {
		/* Each option once: its first letter (fall, hold, ...). */
		char *dup = strchr(seen, argv[a][0]);

		if (a + 1 >= argc)
			return fail(p, "\"%s\" needs a value", argv[a]);
		if (dup && argv[a][0])
			return fail(p, "%s is given twice", argv[a]);
		if (export_option(p, argv[a], argv[a + 1], &x))
			return -1;
		seen[strlen(seen)] = argv[a][0];
	}
	for (i = 0; i < c->n_exports; i++)
		if (xm_prefix_eq(&c->exports[i].prefix.addr,
				 c->exports[i].prefix.len, &x.prefix.addr,
				 x.prefix.len))
			return fail(p, "export %s is given twice", argv[1]);
	for (i = 0; i < c->n_prefixes; i++)
		if (xm_prefix_eq(&c->prefixes[i].addr, c->prefixes[i].len,
				 &x.prefix.addr, x.prefix.len))
			return fail(p, "export %s is also a prefix: a prefix is always advertised",
				    argv[1]);
	if (c->n_exports == XM_EXPORT_MAX)
		return fail(p, "more than %d exports", XM_EXPORT_MAX);
	if (c->n_addresses + c->n_prefixes + c->n_exports >= XM_PREFIX_MAX)
		return fail(p, "more than %d addresses, prefixes and exports",
			    XM_PREFIX_MAX);
	if (xm_export_cfg_check(&x))
		return fail(p, "export %s: %s", argv[1],
			    xm_export_cfg_check(&x));
	c->exports[c->n_exports++] = x;
	return 0;
}

/* group GROUP [ receive ] [ send ]: receive when neither is given. */
static int d_group(struct parser *p, int argc, char **argv)
{
	struct xmd_config *c = p->cfg;
	struct xm_mgroup g = { 0 };
	int a;

	if (xm_parse_addr(argv[1], &g.group, NULL) ||
	    !xm_mcast_group_valid(&g.group))
		return fail(p, "group \"%s\" is not in 239.0.0.0/8 or IPv6 multicast of scope 3 or wider",
			    argv[1]);
	for (a = 2; a < argc; a++) {
		if (!strcmp(argv[a], "receive"))
			g.flags |= XM_MGROUP_RECV;
		else if (!strcmp(argv[a], "send"))
			g.flags |= XM_MGROUP_SEND;
		else
			return fail(p, "group: \"%s\" is neither receive nor send",
				    argv[a]);
	}
	if (!g.flags)
		g.flags = XM_MGROUP_RECV;
	for (a = 0; a < (int)c->n_mgroups; a++)
		if (xm_addr_eq(&c->mgroups[a].group, &g.group))
			return fail(p, "group %s is given twice", argv[1]);
	if (c->n_mgroups == XM_MGROUP_MAX)
		return fail(p, "more than %d groups", XM_MGROUP_MAX);
	c->mgroups[c->n_mgroups++] = g;
	return 0;
}

static int d_link(struct parser *p, int argc, char **argv)
{
	struct xmd_config *c = p->cfg;
	struct xmd_link_conf l = { 0 };
	unsigned int i;
	int a;

	if (!xm_ifname_valid(argv[1]))
		return fail(p, "\"%s\" is not a valid interface name", argv[1]);
	if (!strcmp(argv[1], "lo"))
		return fail(p, "link lo: the loopback is no underlay link");
	snprintf(l.ifname, sizeof(l.ifname), "%s", argv[1]);
	for (i = 0; i < c->n_links; i++)
		if (!strcmp(c->links[i].ifname, l.ifname))
			return fail(p, "link %s is given twice", l.ifname);
	if (c->n_links == XM_LINK_MAX)
		return fail(p, "more than %d links", XM_LINK_MAX);
	for (a = 2; a < argc; a += 2) {
		if (a + 1 >= argc)
			return fail(p, "\"%s\" needs a value", argv[a]);
		if (!strcmp(argv[a], "bandwidth")) {
			if (l.bandwidth_mbps)
				return fail(p, "bandwidth is given twice");
			if (parse_u32(p, "bandwidth", argv[a + 1], 1,
				      10000000, &l.bandwidth_mbps))
				return -1;
		} else if (!strcmp(argv[a], "rate")) {
			if (l.qos_rate)
				return fail(p, "rate is given twice");
			if (xm_parse_rate(argv[a + 1], &l.qos_rate) ||
			    !l.qos_rate)
				return fail(p, "rate \"%s\" is not a rate (e.g. 95mbit)",
					    argv[a + 1]);
		} else if (!strcmp(argv[a], "local")) {
			if (l.local.family)
				return fail(p, "local is given twice");
			if (xm_parse_addr(argv[a + 1], &l.local, NULL))
				return fail(p, "local \"%s\" is not an address",
					    argv[a + 1]);
		} else {
			return fail(p, "link takes bandwidth, local and rate, not \"%s\"",
				    argv[a]);
		}
	}
	c->links[c->n_links++] = l;
	return 0;
}

static int d_zone(struct parser *p, int argc, char **argv)
{
	(void)argc;
	return parse_name(p, "zone", argv[1], p->cfg->zone);
}

static int d_role(struct parser *p, int argc, char **argv)
{
	struct xmd_config *c = p->cfg;
	unsigned int j;
	int i;

	for (i = 1; i < argc; i++) {
		char name[XM_NAME_MAX];

		if (parse_name(p, "role", argv[i], name))
			return -1;
		for (j = 0; j < c->n_roles; j++)
			if (!strcmp(c->roles[j], name))
				return fail(p, "role %s is given twice", name);
		if (c->n_roles == XM_ROLE_MAX)
			return fail(p, "more than %d roles", XM_ROLE_MAX);
		memcpy(c->roles[c->n_roles++], name, sizeof(name));
	}
	return 0;
}

static int d_profile(struct parser *p, int argc, char **argv)
{
	struct xm_timers t;

	(void)argc;
	if (xmd_timers_profile(&t, argv[1]))
		return fail(p, "profile must be fast, default or slow, not \"%s\"",
			    argv[1]);
	snprintf(p->profile, sizeof(p->profile), "%s", argv[1]);
	return 0;
}

static int d_max_hops(struct parser *p, int argc, char **argv)
{
	uint32_t v;

	(void)argc;
	if (parse_u32(p, "max-hops", argv[1], 0, 255, &v))
		return -1;
	p->cfg->policy.max_hops = (uint8_t)v;
	return 0;
}

static int d_exclude_zone(struct parser *p, int argc, char **argv)
{
	struct xm_policy *pol = &p->cfg->policy;
	const size_t max = ARRAY_SIZE(pol->excluded_zones);
	int i;

	for (i = 1; i < argc; i++) {
		if (pol->n_excluded_zones == max)
			return fail(p, "more than %zu excluded zones", max);
		if (parse_name(p, "zone", argv[i],
			       pol->excluded_zones[pol->n_excluded_zones]))
			return -1;
		pol->n_excluded_zones++;
	}
	return 0;
}

/*
 * class CLASS [metric default|latency|bandwidth|mix] [latency-weight PCT]
 *	[max-hops N] [zone NAME]...: the class's paths (core/classes.h).
 */
static int d_class(struct parser *p, int argc, char **argv)
{
	struct xm_class_path cp = { 0 };
	bool metric = false, weight = false, hops = false;
	const char *why;
	uint32_t v;
	int tc, a, m;

	tc = xm_tclass_parse(argv[1]);
	if (tc < 0)
		return fail(p, "class \"%s\" is not bulk, interactive, realtime or network-control",
			    argv[1]);
	for (a = 2; a < argc; a += 2) {
		if (a + 1 >= argc)
			return fail(p, "\"%s\" needs a value", argv[a]);
		if (!strcmp(argv[a], "metric")) {
			m = xm_class_metric_parse(argv[a + 1]);
			if (metric)
				return fail(p, "metric is given twice");
			if (m < 0)
				return fail(p, "metric must be default, latency, bandwidth or mix, not \"%s\"",
					    argv[a + 1]);
			cp.metric = (uint8_t)m;
			metric = true;
		} else if (!strcmp(argv[a], "latency-weight")) {
			if (weight)
				return fail(p, "latency-weight is given twice");
			if (parse_u32(p, "latency-weight", argv[a + 1], 0, 100,
				      &v))
				return -1;
			cp.latency_weight = (uint8_t)v;
			weight = true;
		} else if (!strcmp(argv[a], "max-hops")) {
			if (hops)
				return fail(p, "max-hops is given twice");
			if (parse_u32(p, "max-hops", argv[a + 1], 1, 255, &v))
				return -1;
			cp.max_hops = (uint8_t)v;
			hops = true;
		} else if (!strcmp(argv[a], "zone")) {
			if (cp.n_zones == XM_CLASS_ZONES_MAX)
				return fail(p, "more than %d zones",
					    XM_CLASS_ZONES_MAX);
			if (parse_name(p, "zone", argv[a + 1],
				       cp.zones[cp.n_zones]))
				return -1;
			cp.n_zones++;
		} else {
			return fail(p, "class takes metric, latency-weight, max-hops and zone, not \"%s\"",
				    argv[a]);
		}
	}
	if (weight && cp.metric != XM_CLASS_METRIC_MIX)
		return fail(p, "latency-weight goes with metric mix");
	if (cp.metric == XM_CLASS_METRIC_MIX && !weight)
		cp.latency_weight = 50;
	why = xm_class_path_check(&cp);
	if (why)
		return fail(p, "class %s: %s", argv[1], why);
	if (p->class_line[tc - 1])
		return fail(p, "class %s is given twice (first on line %u)",
			    argv[1], p->class_line[tc - 1]);
	p->class_line[tc - 1] = p->line;
	p->cfg->policy.classes[tc - 1] = cp;
	return 0;
}

static int d_caps_interval(struct parser *p, int argc, char **argv)
{
	double s;

	(void)argc;
	if (parse_seconds(p, "caps-interval", argv[1], 1, 3600, &s))
		return -1;
	p->cfg->caps_interval_ms = (uint32_t)(s * 1000 + 0.5);
	return 0;
}

/* Whole seconds: node_exporter reads the file at its own pace, a finer
 * period would buy nothing. */
static int d_metrics_interval(struct parser *p, int argc, char **argv)
{
	uint32_t s;

	(void)argc;
	if (parse_u32(p, "metrics-interval", argv[1], 1, 3600, &s))
		return -1;
	p->cfg->metrics_interval_ms = s * 1000;
	return 0;
}

static int d_log_level(struct parser *p, int argc, char **argv)
{
	int l = xmd_log_level_parse(argv[1]);

	(void)argc;
	if (l < 0)
		return fail(p, "log-level must be error, warn, info or debug, not \"%s\"",
			    argv[1]);
	p->cfg->log_level = l;
	return 0;
}

static int d_max_clients(struct parser *p, int argc, char **argv)
{
	(void)argc;
	return parse_u32(p, "max-clients", argv[1], 1, 1024,
			 &p->cfg->max_clients);
}

static int d_qos(struct parser *p, int argc, char **argv)
{
	(void)argc;
	if (strcmp(argv[1], "on") && strcmp(argv[1], "off"))
		return fail(p, "qos must be on or off, not \"%s\"", argv[1]);
	p->cfg->qos = !strcmp(argv[1], "on");
	return 0;
}

static int d_gate(struct parser *p, int argc, char **argv)
{
	(void)argc;
	if (strcmp(argv[1], "on") && strcmp(argv[1], "off"))
		return fail(p, "gate must be on or off, not \"%s\"", argv[1]);
	p->cfg->gate = !strcmp(argv[1], "on");
	return 0;
}

static int d_gate_hello_rate(struct parser *p, int argc, char **argv)
{
	(void)argc;
	return parse_u32(p, "gate-hello-rate", argv[1], 1, 1000000,
			 &p->cfg->gate_hello_rate);
}

static const struct directive {
	const char *name;
	int min, max;			/* values; max -1: any number */
	bool repeats;
	int (*parse)(struct parser *p, int argc, char **argv);
} directives[] = {
	{ "node-id", 1, 1, false, d_node_id },
	{ "name", 1, 1, false, d_name },
	{ "device", 1, 1, false, d_device },
	{ "family", 1, 1, false, d_family },
	{ "data-port", 1, 1, false, d_port },
	{ "agent-port", 1, 1, false, d_port },
	{ "site-key", 1, 1, false, d_path },
	{ "state-dir", 1, 1, false, d_path },
	{ "certificate", 1, 1, false, d_cert_path },
	{ "authority", 1, 1, false, d_cert_path },
	{ "crl", 1, 1, false, d_cert_path },
	{ "security", 1, 1, false, d_security },
	{ "insecure-no-certificates", 1, 1, false, d_insecure },
	{ "rekey-interval", 1, 1, false, d_rekey },
	{ "rekey-packets", 1, 1, false, d_rekey },
	{ "origin", 1, 1, false, d_origin },
	{ "origin-rekey-interval", 1, 1, false, d_rekey },
	{ "socket", 1, 1, false, d_path },
	{ "address", 1, 1, true, d_address },
	{ "prefix", 1, 1, true, d_prefix },
	{ "group", 1, 3, true, d_group },
	{ "link", 1, 7, true, d_link },
	{ "zone", 1, 1, false, d_zone },
	{ "role", 1, XM_ROLE_MAX, true, d_role },
	{ "profile", 1, 1, false, d_profile },
	{ "max-hops", 1, 1, false, d_max_hops },
	{ "exclude-zone", 1, 8, true, d_exclude_zone },
	{ "caps-interval", 1, 1, false, d_caps_interval },
	{ "class", 1, 1 + 2 * (3 + XM_CLASS_ZONES_MAX), true, d_class },
	{ "log-level", 1, 1, false, d_log_level },
	{ "max-clients", 1, 1, false, d_max_clients },
	{ "qos", 1, 1, false, d_qos },
	{ "gate", 1, 1, false, d_gate },
	{ "gate-hello-rate", 1, 1, false, d_gate_hello_rate },
	{ "filter", 1, 1, false, d_path },
	{ "controller", 1, XMD_CONTROLLERS_MAX, true, d_controller },
	{ "controller-ca", 1, 1, false, d_path },
	{ "gate-pin-dir", 1, 1, false, d_path },
	{ "export", 3, 15, true, d_export },
	{ "metrics-file", 1, 1, false, d_path },
	{ "metrics-interval", 1, 1, false, d_metrics_interval },
};
_Static_assert(ARRAY_SIZE(directives) <= 64, "struct parser's seen[]");

static int parse_timer(struct parser *p, size_t k, int argc, char **argv)
{
	const struct timer_key *t = &timer_keys[k];
	double v;
	uint32_t n;

	if (want_args(p, argc, argv, 1, 1))
		return -1;
	if (p->timer_line[k])
		return fail(p, "\"%s\" is given twice (first on line %u)",
			    t->name, p->timer_line[k]);
	if (t->unit == UNIT_COUNT) {
		if (parse_u32(p, t->name, argv[1], (uint32_t)t->min,
			      (uint32_t)t->max, &n))
			return -1;
	} else {
		if (parse_seconds(p, t->name, argv[1], t->min, t->max, &v))
			return -1;
		n = (uint32_t)(t->unit == UNIT_MS ? v * 1000 + 0.5 : v + 0.5);
	}
	*timer_field(&p->explicit_timers, t) = n;
	p->timer_line[k] = p->line;
	return 0;
}

static int parse_words(struct parser *p, int argc, char **argv)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(timer_keys); i++)
		if (!strcmp(argv[0], timer_keys[i].name))
			return parse_timer(p, i, argc, argv);
	for (i = 0; i < ARRAY_SIZE(directives); i++) {
		const struct directive *d = &directives[i];

		if (strcmp(argv[0], d->name))
			continue;
		if (!d->repeats && p->seen[i])
			return fail(p, "\"%s\" is given twice (first on line %u)",
				    d->name, p->seen[i]);
		p->seen[i] = p->line;
		if (want_args(p, argc, argv, d->min, d->max))
			return -1;
		return d->parse(p, argc, argv);
	}
	return fail(p, "unknown directive \"%s\"", argv[0]);
}

/* The line's words, in place; '#' at the start of a word ends it. */
static int split(struct parser *p, char *s, char **argv)
{
	int argc = 0;

	for (;;) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			return argc;
		if (argc == MAX_WORDS)
			return fail(p, "too many words");
		argv[argc++] = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
}

static unsigned int directive_line(const struct parser *p, const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(directives); i++)
		if (!strcmp(directives[i].name, name))
			return p->seen[i];
	return 0;
}

/* The later of the lines of two directives (0: neither is given). */
static unsigned int later_directive(const struct parser *p, const char *a,
				    const char *b)
{
	unsigned int la = directive_line(p, a), lb = directive_line(p, b);

	return la > lb ? la : lb;
}

/* The later of the lines that set two timers, the profile's included (0:
 * none did). */
static unsigned int later_line(const struct parser *p, const char *a,
			       const char *b)
{
	unsigned int line = directive_line(p, "profile");
	size_t k;

	for (k = 0; k < ARRAY_SIZE(timer_keys); k++)
		if ((!strcmp(timer_keys[k].name, a) ||
		     !strcmp(timer_keys[k].name, b)) && p->timer_line[k] > line)
			line = p->timer_line[k];
	return line;
}

/*
 * Authentication is on by default: without certificates anyone on the
 * underlay network could join the mesh, so running without them takes
 * the operator's explicit word. Checked last, after the more precise
 * complaints about the certificate lines.
 */
static int certificates_required(struct parser *p)
{
	const struct xmd_config *c = p->cfg;

	p->line = directive_line(p, "insecure-no-certificates");
	if (c->certificate[0] && c->insecure_no_certificates)
		return fail(p, "insecure-no-certificates yes with a certificate: the agent authenticates its neighbors with it; remove one of the two");
	if (!c->certificate[0] && !c->insecure_no_certificates)
		return fail(p, "no certificate: xmeshd authenticates its neighbors with the site's certificates (certificate and authority, made with xmesh cert); for a lab without them, add \"insecure-no-certificates yes\"");
	return 0;
}

/* Cross-directive checks, once the whole file is read. */
static int finish(struct parser *p)
{
	struct xmd_config *c = p->cfg;
	struct xm_timers *t = &c->timers;
	const char *why;
	unsigned int i;
	size_t k;

	if (p->profile[0])
		xmd_timers_profile(t, p->profile);
	for (k = 0; k < ARRAY_SIZE(timer_keys); k++)
		if (p->timer_line[k])
			*timer_field(t, &timer_keys[k]) =
				*timer_field(&p->explicit_timers, &timer_keys[k]);

	p->line = later_directive(p, "certificate", "authority");
	if (!c->certificate[0] != !c->authority[0])
		return fail(p, "certificate and authority go together: a certificate is checked against the site authority's");
	if (c->crl[0] && !c->certificate[0]) {
		p->line = directive_line(p, "crl");
		return fail(p, "crl without certificate: revocation lists are for agents with certificates");
	}
	if (c->controller[0] && !c->certificate[0]) {
		p->line = directive_line(p, "controller");
		return fail(p, "controller without certificate: the agent signs its requests with the key its certificate names");
	}
	if (c->controller_ca[0] && !strstr(c->controller, "https://")) {
		p->line = directive_line(p, "controller-ca");
		return fail(p, "controller-ca without an https:// controller: it checks a controller's TLS certificate");
	}
	if (c->origin && !c->certificate[0]) {
		p->line = directive_line(p, "origin");
		return fail(p, "origin yes needs a certificate: origin keys come from the nodes' certified keys");
	}
	p->line = directive_line(p, "security");
	if (c->certificate[0] && c->security == XMESH_SECURITY_NONE)
		return fail(p, "security none with a certificate: authentication is never off when the agent runs with certificates");
	if (!c->certificate[0] && c->security > XMESH_SECURITY_NONE)
		return fail(p, "security %s needs a certificate: without one there are no keys",
			    c->security == XMESH_SECURITY_AUTH ? "auth" :
			    "encrypt");
	if (c->agent_port == c->data_port) {
		p->line = later_directive(p, "data-port", "agent-port");
		return fail(p, "agent-port and data-port are both %u: the agent's sockets would take the device's",
			    c->data_port);
	}
	for (i = 0; i < c->n_links; i++) {
		uint16_t f = c->links[i].local.family;

		if (!strcmp(c->links[i].ifname, c->device)) {
			p->line = 0;
			return fail(p, "link %s is the xmesh device itself, no underlay link",
				    c->links[i].ifname);
		}
		if (f && f != c->family) {
			p->line = 0;
			return fail(p, "link %s: local address is not of family %s",
				    c->links[i].ifname,
				    xm_family_name(c->family));
		}
	}
	/* Defaults may be 0 while the core's are not known: check only
	 * what both sides of a rule set. */
	p->line = later_line(p, "hello-interval", "dead-interval");
	if (t->hello_ms && t->dead_ms && t->dead_ms <= t->hello_ms)
		return fail(p, "dead-interval (%u ms) must be longer than hello-interval (%u ms)",
			    t->dead_ms, t->hello_ms);
	p->line = later_line(p, "holddown", "holddown-max");
	if (t->holddown_max_ms && t->holddown_max_ms < t->holddown_ms)
		return fail(p, "holddown-max (%u ms) is shorter than holddown (%u ms)",
			    t->holddown_max_ms, t->holddown_ms);
	p->line = later_line(p, "spf-hold", "spf-max-hold");
	if (t->spf_max_ms < t->spf_hold_ms)
		return fail(p, "spf-max-hold (%u ms) is shorter than spf-hold (%u ms)",
			    t->spf_max_ms, t->spf_hold_ms);
	p->line = later_line(p, "lsa-min-interval", "lsa-max-interval");
	if (t->lsa_max_ms && t->lsa_max_ms < t->lsa_min_ms)
		return fail(p, "lsa-max-interval (%u ms) is shorter than lsa-min-interval (%u ms)",
			    t->lsa_max_ms, t->lsa_min_ms);
	p->line = later_line(p, "lsa-refresh", "lsa-max-age");
	if (t->lsa_refresh_s && t->lsa_max_age_s &&
	    t->lsa_max_age_s <= t->lsa_refresh_s)
		return fail(p, "lsa-max-age (%u s) must be longer than lsa-refresh (%u s)",
			    t->lsa_max_age_s, t->lsa_refresh_s);
	/* Whatever else the core would refuse (xm_core_new), said here. */
	p->line = 0;
	why = xm_timers_check(t);
	if (why)
		return fail(p, "the timers break a rule of the core: %s", why);
	return certificates_required(p);
}

int xmd_config_parse(struct xmd_config *cfg, const char *name,
		     const char *text, char *err, size_t errlen)
{
	struct parser *p = calloc(1, sizeof(*p));
	const char *s = text;
	char line[MAX_LINE + 2], *argv[MAX_WORDS];
	int argc, ret = -1;

	if (!p) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	p->cfg = cfg;
	p->name = name;
	p->err = err;
	p->errlen = errlen;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);

		p->line++;
		if (n > MAX_LINE) {
			fail(p, "line longer than %d characters", MAX_LINE);
			goto out;
		}
		memcpy(line, s, n);
		line[n] = '\0';
		s += n + (nl ? 1 : 0);
		argc = split(p, line, argv);
		if (argc < 0)
			goto out;
		if (argc && parse_words(p, argc, argv))
			goto out;
	}
	p->line = 0;
	ret = finish(p);
out:
	free(p);
	return ret;
}

int xmd_config_load(struct xmd_config *cfg, const char *path, char *err,
		    size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t len = 0, n;
	char buf[4096];
	int ret;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		char *t;

		if (len + n > 1024 * 1024) {
			fclose(f);
			free(text);
			snprintf(err, errlen, "%s: larger than 1 MiB", path);
			return -1;
		}
		t = realloc(text, len + n + 1);
		if (!t) {
			fclose(f);
			free(text);
			snprintf(err, errlen, "%s: out of memory", path);
			return -1;
		}
		text = t;
		memcpy(text + len, buf, n);
		len += n;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		fclose(f);
		free(text);
		return -1;
	}
	fclose(f);
	if (!text)
		text = strdup("");
	if (!text) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	text[len] = '\0';
	/* A NUL inside the file must not end it silently. */
	if (strlen(text) != len) {
		size_t line = 1, i, nul = strlen(text);

		for (i = 0; i < nul; i++)
			line += text[i] == '\n';
		snprintf(err, errlen, "%s:%zu: line has a NUL character", path,
			 line);
		free(text);
		return -1;
	}
	ret = xmd_config_parse(cfg, path, text, err, errlen);
	free(text);
	return ret;
}

int xmd_overrides_check(const struct xmd_overrides *o, char *err,
			size_t errlen)
{
	if (o->device && !xm_ifname_valid(o->device)) {
		snprintf(err, errlen, "\"%s\" is not a valid device name",
			 o->device);
		return -1;
	}
	if (o->socket && strlen(o->socket) >= XMD_SOCKET_PATH_MAX) {
		snprintf(err, errlen, "socket path \"%s\" is longer than %zu characters",
			 o->socket, XMD_SOCKET_PATH_MAX - 1);
		return -1;
	}
	if (o->metrics_file && (o->metrics_file[0] != '/' ||
				strlen(o->metrics_file) >= XMD_PATH_MAX)) {
		snprintf(err, errlen, "metrics file \"%s\": an absolute path of at most %d characters",
			 o->metrics_file, XMD_PATH_MAX - 1);
		return -1;
	}
	return 0;
}

void xmd_overrides_apply(struct xmd_config *cfg, const struct xmd_overrides *o)
{
	if (o->device)
		snprintf(cfg->device, sizeof(cfg->device), "%s", o->device);
	if (o->socket)
		snprintf(cfg->socket, sizeof(cfg->socket), "%s", o->socket);
	if (o->metrics_file)
		snprintf(cfg->metrics_file, sizeof(cfg->metrics_file), "%s",
			 o->metrics_file);
	if (o->log_level > cfg->log_level)
		cfg->log_level = o->log_level;
}
