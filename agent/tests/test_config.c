// SPDX-License-Identifier: GPL-2.0
/* xmeshd.conf: every directive, defaults, and errors with line numbers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"
#include "../daemon/config.h"
#include "../daemon/log.h"

static struct xmd_config cfg;
static char err[512];

static int parse_as_is(const char *text)
{
	xmd_config_default(&cfg);
	err[0] = '\0';
	return xmd_config_parse(&cfg, "t.conf", text, err, sizeof(err));
}

/*
 * text, with "insecure-no-certificates yes" after it unless it names a
 * certificate: the other tests are about other directives, of an agent
 * that may run (line numbers in errors stay the text's).
 */
static int parse(const char *text)
{
	static const char lab[] = "\ninsecure-no-certificates yes\n";
	size_t len = strlen(text);
	char *all = malloc(len + sizeof(lab));
	int ret;

	if (!all)
		return -1;
	memcpy(all, text, len + 1);
	if (!strstr(text, "certificate "))
		memcpy(all + len, lab, sizeof(lab));
	ret = parse_as_is(all);
	free(all);
	return ret;
}

/* text fails with exactly this message. */
static void fails(const char *text, const char *want, const char *name)
{
	int ret = parse(text);

	if (!ok(ret == -1 && !strcmp(err, want), "%s", name))
		printf("#   ret %d, got \"%s\"\n#   want \"%s\"\n", ret, err,
		       want);
}

static void defaults(void)
{
	struct xm_timers t;

	is_int(parse(""), 0, "an empty file is fine");
	is_str(cfg.device, "xmesh0", "default device");
	is_int(cfg.family, AF_INET, "default family inet");
	is_int(cfg.data_port, 7600, "default data port");
	is_int(cfg.agent_port, 7601, "default agent port");
	is_str(cfg.site_key, "/etc/xmesh/site.key", "default site key");
	is_str(cfg.state_dir, "/var/lib/xmesh", "default state dir");
	is_str(cfg.socket, "/run/xmesh/xmeshd.sock", "default socket");
	is_int(cfg.node_id, 0, "node id derived by default");
	is_int(cfg.n_links, 0, "no links: every interface");
	is_int(cfg.caps_interval_ms, 5000, "caps every 5 s");
	is_int(cfg.log_level, XMD_LOG_INFO, "log level info");
	is_int(cfg.max_clients, 16, "16 control clients");
	xm_timers_default(&t);
	ok(!memcmp(&cfg.timers, &t, sizeof(t)), "timers are the core's defaults");
	is_int(parse("# only a comment\n\n   \t\n  # indented\n"), 0,
	       "comments and blank lines");
}

static void everything(void)
{
	static const char text[] =
		"node-id 42\n"
		"name edge-7   # a comment after a value\n"
		"device xm1\n"
		"family inet6\n"
		"data-port 7700\n"
		"agent-port 7701\n"
		"site-key /etc/site.key\n"
		"state-dir /srv/xmesh\n"
		"socket /tmp/x.sock\n"
		"address 10.99.0.1/32\n"
		"address fd00::1/64\n"
		"prefix 10.1.0.0/16\n"
		"link eth0 bandwidth 10000\n"
		"link eth1 local fe80::1\n"
		"link eth2 local fe80::2 bandwidth 100\n"
		"zone rack-a\n"
		"role gpu storage\n"
		"role db\n"
		"max-hops 6\n"
		"exclude-zone dmz lab\n"
		"hello-interval 0.5\n"
		"dead-interval 2\n"
		"probe-interval 0.02\n"
		"probe-miss 4\n"
		"holddown 1\n"
		"holddown-max 20\n"
		"spf-initial-delay 0\n"
		"spf-hold 0.1\n"
		"spf-max-hold 2\n"
		"lsa-min-interval 0.2\n"
		"lsa-refresh 600\n"
		"lsa-max-age 1200\n"
		"retransmit-interval 0.3\n"
		"purge-after 30\n"
		"sync-hold 3.5\n"
		"caps-interval 2.5\n"
		"log-level debug\n"
		"max-clients 4\n";
	char buf[XM_ADDRSTRLEN];

	if (!is_int(parse(text), 0, "a file with every directive"))
		printf("#   %s\n", err);
	is_int(cfg.node_id, 42, "node-id");
	is_str(cfg.name, "edge-7", "name (comment after it dropped)");
	is_str(cfg.device, "xm1", "device");
	is_int(cfg.family, AF_INET6, "family");
	is_int(cfg.data_port, 7700, "data-port");
	is_int(cfg.agent_port, 7701, "agent-port");
	is_str(cfg.site_key, "/etc/site.key", "site-key");
	is_str(cfg.state_dir, "/srv/xmesh", "state-dir");
	is_str(cfg.socket, "/tmp/x.sock", "socket");
	is_int(cfg.n_addresses, 2, "two addresses");
	is_str(xm_prefix_str(&cfg.addresses[1].addr, cfg.addresses[1].len,
			     buf, sizeof(buf)), "fd00::1/64",
	       "an address keeps its host bits and length");
	is_int(cfg.n_prefixes, 1, "one prefix");
	is_str(xm_prefix_str(&cfg.prefixes[0].addr, cfg.prefixes[0].len, buf,
			     sizeof(buf)), "10.1.0.0/16", "prefix");
	is_int(cfg.n_links, 3, "three links");
	is_int(cfg.links[0].bandwidth_mbps, 10000, "link bandwidth");
	is_int(cfg.links[0].local.family, 0, "link without local");
	is_str(xm_addr_str(&cfg.links[1].local, buf, sizeof(buf)), "fe80::1",
	       "link local");
	is_int(cfg.links[2].bandwidth_mbps, 100, "local then bandwidth");
	is_str(cfg.zone, "rack-a", "zone");
	is_int(cfg.n_roles, 3, "roles from two lines");
	is_str(cfg.roles[2], "db", "third role");
	is_int(cfg.policy.max_hops, 6, "max-hops");
	is_int(cfg.policy.n_excluded_zones, 2, "exclude-zone, two");
	is_str(cfg.policy.excluded_zones[1], "lab", "second excluded zone");
	is_int(cfg.timers.hello_ms, 500, "hello-interval in ms");
	is_int(cfg.timers.dead_ms, 2000, "dead-interval");
	is_int(cfg.timers.probe_ms, 20, "probe-interval");
	is_int(cfg.timers.probe_miss, 4, "probe-miss is a count");
	is_int(cfg.timers.holddown_ms, 1000, "holddown");
	is_int(cfg.timers.holddown_max_ms, 20000, "holddown-max");
	is_int(cfg.timers.spf_initial_ms, 0, "spf-initial-delay");
	is_int(cfg.timers.spf_hold_ms, 100, "spf-hold");
	is_int(cfg.timers.spf_max_ms, 2000, "spf-max-hold");
	is_int(cfg.timers.lsa_min_ms, 200, "lsa-min-interval");
	is_int(cfg.timers.lsa_refresh_s, 600, "lsa-refresh in seconds");
	is_int(cfg.timers.lsa_max_age_s, 1200, "lsa-max-age");
	is_int(cfg.timers.rexmit_ms, 300, "retransmit-interval");
	is_int(cfg.timers.purge_after_s, 30, "purge-after");
	is_int(cfg.timers.sync_hold_ms, 3500, "sync-hold");
	is_int(cfg.caps_interval_ms, 2500, "caps-interval");
	is_int(cfg.log_level, XMD_LOG_DEBUG, "log-level");
	is_int(cfg.max_clients, 4, "max-clients");
}

/* QoS: on by default; a link's rate shapes its queues (bytes/s). */
static void qos(void)
{
	is_int(parse(""), 0, "qos: defaults");
	ok(cfg.qos, "qos on by default");
	is_int(parse("qos off\nlink eth0 rate 10mbit bandwidth 10\n"
		     "link eth1\n"), 0, "qos off, a link rate");
	ok(!cfg.qos, "qos off");
	ok(cfg.links[0].qos_rate == 1250000, "rate 10mbit is 1250000 bytes/s");
	ok(cfg.links[1].qos_rate == 0, "no rate: not shaped");
	fails("qos maybe\n", "t.conf:1: qos must be on or off, not \"maybe\"",
	      "qos neither on nor off");
	fails("link eth0 rate fast\n",
	      "t.conf:1: rate \"fast\" is not a rate (e.g. 95mbit)",
	      "a rate that is none");
	fails("link eth0 rate 0\n",
	      "t.conf:1: rate \"0\" is not a rate (e.g. 95mbit)",
	      "a zero rate");
	fails("link eth0 rate 1mbit rate 2mbit\n",
	      "t.conf:1: rate is given twice", "rate twice");
}

static void profiles(void)
{
	struct xm_timers fast;

	xmd_timers_profile(&fast, "fast");
	is_int(parse("profile fast\n"), 0, "profile fast");
	ok(!memcmp(&cfg.timers, &fast, sizeof(fast)), "profile fast's timers");
	is_int(fast.probe_ms, 10, "fast probes every 10 ms");
	/* An explicit timer wins, wherever the profile line is. */
	is_int(parse("probe-interval 0.03\nprofile fast\n"), 0,
	       "timer before profile");
	is_int(cfg.timers.probe_ms, 30, "the explicit timer wins");
	is_int(cfg.timers.hello_ms, fast.hello_ms,
	       "the profile sets the others");
	is_int(parse("profile slow\n"), 0, "profile slow");
	is_int(cfg.timers.probe_miss, 5, "slow: 5 missed probes");
	is_int(xmd_timers_profile(&fast, "turbo"), -1, "unknown profile");
}

static void errors(void)
{
	fails("node-id 1\n\nbogus 3\n", "t.conf:3: unknown directive \"bogus\"",
	      "unknown directive, with its line");
	fails("node-id 1\nnode-id 2\n",
	      "t.conf:2: \"node-id\" is given twice (first on line 1)",
	      "a singleton twice");
	fails("node-id 0\n", "t.conf:1: node id 0 is out of range (1 to 4294967295)",
	      "node id 0");
	fails("node-id 4294967296\n",
	      "t.conf:1: node id 4294967296 is out of range (1 to 4294967295)",
	      "node id too large");
	fails("node-id 0x10\n", "t.conf:1: node id \"0x10\" is not a number",
	      "node id in hex");
	fails("node-id\n", "t.conf:1: \"node-id\" needs a value", "no value");
	fails("node-id 1 2\n", "t.conf:1: \"node-id\" takes 1 value, not \"2\"",
	      "two values");
	fails("family ipx\n", "t.conf:1: family must be inet or inet6, not \"ipx\"",
	      "bad family");
	fails("prefix 10.1.2.3/16\n",
	      "t.conf:1: prefix 10.1.2.3/16 has host bits set; did you mean 10.1.0.0/16?",
	      "prefix with host bits, and the suggestion");
	fails("prefix 10.1.0.0/33\n", "t.conf:1: prefix 10.1.0.0/33 has a bad prefix length",
	      "prefix length too long");
	fails("address 10.99.0.1\naddress 10.99.0.1/24\n",
	      "t.conf:2: address is given twice", "the same address twice");
	fails("address nowhere\n",
	      "t.conf:1: address \"nowhere\" is not an address or prefix",
	      "not an address");
	fails("link eth0\nlink eth0\n", "t.conf:2: link eth0 is given twice",
	      "a link twice");
	fails("link eth0 speed 10\n",
	      "t.conf:1: link takes bandwidth, local and rate, not \"speed\"",
	      "unknown link option");
	fails("link eth0 bandwidth\n", "t.conf:1: \"bandwidth\" needs a value",
	      "link option without value");
	fails("link eth0/1\n", "t.conf:1: \"eth0/1\" is not a valid interface name",
	      "bad interface name");
	fails("link eth0 local 10.0.0.1\nfamily inet6\n",
	      "t.conf: link eth0: local address is not of family inet6",
	      "link local of the other family (no line: the file as a whole)");
	fails("role a b c d\nrole e f g h\nrole i\n",
	      "t.conf:3: more than 8 roles", "too many roles");
	fails("role a\nrole a\n", "t.conf:2: role a is given twice", "a role twice");
	fails("zone this-zone-name-is-longer-than-31\n",
	      "t.conf:1: zone \"this-zone-name-is-longer-than-31\" must be 1 to 31 characters",
	      "zone too long");
	fails("name a\"b\n",
	      "t.conf:1: name \"a\"b\" has a character that is not allowed",
	      "quote in a name");
	fails("site-key etc/site.key\n",
	      "t.conf:1: \"etc/site.key\" is not an absolute path",
	      "relative path");
	fails("hello-interval 2\ndead-interval 1\n",
	      "t.conf:2: dead-interval (1000 ms) must be longer than hello-interval (2000 ms)",
	      "dead interval not longer than hello");
	fails("dead-interval 1.5\nprofile slow\n",
	      "t.conf:2: dead-interval (1500 ms) must be longer than hello-interval (2000 ms)",
	      "a profile's timers against an explicit one: the later line");
	fails("lsa-max-interval 0.05\nlsa-min-interval 0.1\n",
	      "t.conf:2: lsa-max-interval (50 ms) is shorter than lsa-min-interval (100 ms)",
	      "origination backoff below its minimum");
	fails("hello-interval 0.001\n",
	      "t.conf:1: hello-interval 0.001 is out of range (0.01 to 600 seconds)",
	      "hello interval too short");
	fails("probe-miss 1.5\n", "t.conf:1: probe-miss \"1.5\" is not a number",
	      "a count with a fraction");
	fails("hello-interval 1\nhello-interval 2\n",
	      "t.conf:2: \"hello-interval\" is given twice (first on line 1)",
	      "a timer twice");
	fails("lsa-refresh 100\nlsa-max-age 50\n",
	      "t.conf:2: lsa-max-age (50 s) must be longer than lsa-refresh (100 s)",
	      "max age below refresh");
	fails("spf-hold 2\nspf-max-hold 1\n",
	      "t.conf:2: spf-max-hold (1000 ms) is shorter than spf-hold (2000 ms)",
	      "spf max hold below hold");
	fails("lsa-max-age 70000\n",
	      "t.conf:1: lsa-max-age 70000 is out of range (20 to 65535 seconds)",
	      "max age beyond 16 bits");
	fails("holddown 10\nholddown-max 5\n",
	      "t.conf:2: holddown-max (5000 ms) is shorter than holddown (10000 ms)",
	      "holddown max below holddown");
	fails("profile turbo\n",
	      "t.conf:1: profile must be fast, default or slow, not \"turbo\"",
	      "bad profile");
	fails("log-level loud\n",
	      "t.conf:1: log-level must be error, warn, info or debug, not \"loud\"",
	      "bad log level");
	fails("max-clients 0\n", "t.conf:1: max-clients 0 is out of range (1 to 1024)",
	      "no clients");
	fails("exclude-zone a b c d e f g h\nexclude-zone i\n",
	      "t.conf:2: more than 8 excluded zones", "too many excluded zones");
}

/* Settings that parse but could never work. */
static void unworkable(void)
{
	char text[300], path[200];
	struct xmd_overrides o = { .log_level = -1 };

	fails("data-port 7700\nagent-port 7700\n",
	      "t.conf:2: agent-port and data-port are both 7700: the agent's sockets would take the device's",
	      "agent port on the data port");
	fails("agent-port 7600\n",
	      "t.conf:1: agent-port and data-port are both 7600: the agent's sockets would take the device's",
	      "agent port on the default data port");
	memset(path, 'p', XMD_SOCKET_PATH_MAX);
	path[0] = '/';
	path[XMD_SOCKET_PATH_MAX] = '\0';
	snprintf(text, sizeof(text), "socket %s\n", path);
	is_int(parse(text), -1, "a socket path too long for a sockaddr_un");
	ok(strstr(err, "longer than 107 characters") != NULL,
	   "... says how long it may be");
	path[XMD_SOCKET_PATH_MAX - 1] = '\0';
	snprintf(text, sizeof(text), "socket %s\n", path);
	is_int(parse(text), 0, "107 characters are fine");
	fails("link lo\n", "t.conf:1: link lo: the loopback is no underlay link",
	      "link lo");
	fails("link xmesh0\n",
	      "t.conf: link xmesh0 is the xmesh device itself, no underlay link",
	      "link on the xmesh device");
	fails("device xm1\nlink xm1\n",
	      "t.conf: link xm1 is the xmesh device itself, no underlay link",
	      "link on a renamed xmesh device");

	/* The command line's -d, -S and -v. */
	o.socket = path;
	is_int(xmd_overrides_check(&o, err, sizeof(err)), 0, "-S: 107 is fine");
	path[XMD_SOCKET_PATH_MAX - 1] = 'p';
	is_int(xmd_overrides_check(&o, err, sizeof(err)), -1,
	       "-S: too long for a sockaddr_un");
	o.socket = NULL;
	o.device = "bad/name";
	is_int(xmd_overrides_check(&o, err, sizeof(err)), -1, "-d: bad name");
	o.device = "xm2";
	o.log_level = XMD_LOG_INFO;
	parse("log-level warn\n");
	xmd_overrides_apply(&cfg, &o);
	ok(cfg.log_level == XMD_LOG_INFO && !strcmp(cfg.device, "xm2"),
	   "-v over log-level warn: info; -d sets the device");
	parse("log-level debug\n");
	xmd_overrides_apply(&cfg, &o);
	is_int(cfg.log_level, XMD_LOG_DEBUG, "-v does not quiet log-level debug");
}

static void limits(void)
{
	char text[4096], *p = text;
	int i;

	for (i = 0; i < XM_PREFIX_MAX; i++)
		p += sprintf(p, "prefix 10.%d.0.0/16\n", i);
	sprintf(p, "address 10.99.0.1\n");
	fails(text, "t.conf:17: more than 16 addresses and prefixes",
	      "prefixes and addresses share the limit");
	p = text;
	for (i = 0; i <= XM_LINK_MAX; i++)
		p += sprintf(p, "link eth%d\n", i);
	fails(text, "t.conf:17: more than 16 links", "too many links");
	memset(text, 'x', 1100);
	text[1100] = '\0';
	fails(text, "t.conf:1: line longer than 1024 characters", "long line");
	fails("role a b c d e f g h i j k l m n o p q\n",
	      "t.conf:1: too many words", "too many words");
}

static void files(void)
{
	char path[] = "/tmp/xmd-conf-XXXXXX";
	int fd = mkstemp(path);
	static const char text[] = "node-id 7\nfam";
	FILE *f;

	ok(fd >= 0, "temporary file");
	f = fdopen(fd, "w");
	fwrite(text, 1, sizeof(text) - 1, f);	/* no newline at the end */
	fclose(f);
	xmd_config_default(&cfg);
	is_int(xmd_config_load(&cfg, path, err, sizeof(err)), -1,
	       "a file with an error");
	{
		char want[600];

		snprintf(want, sizeof(want),
			 "%s:2: unknown directive \"fam\"", path);
		is_str(err, want, "errors name the file and line");
	}
	f = fopen(path, "w");
	fwrite("node-id 7\n\0node-id 8\n", 1, 21, f);
	fclose(f);
	is_int(xmd_config_load(&cfg, path, err, sizeof(err)), -1,
	       "a NUL byte in the file");
	ok(strstr(err, ":2: line has a NUL character") != NULL,
	   "the NUL's line is named");
	f = fopen(path, "w");
	fputs("node-id 7\ninsecure-no-certificates yes\n", f);
	fclose(f);
	xmd_config_default(&cfg);
	is_int(xmd_config_load(&cfg, path, err, sizeof(err)), 0, "a good file");
	is_int(cfg.node_id, 7, "read from the file");
	unlink(path);
	is_int(xmd_config_load(&cfg, path, err, sizeof(err)), -1,
	       "a missing file");
	ok(strstr(err, "No such file or directory") != NULL,
	   "says why it cannot be read");
}

/*
 * etc/xmeshd.conf as shipped starts no agent (a package installed fresh
 * must not run an open mesh); with its insecure-no-certificates line
 * uncommented it is all defaults; with every other directive uncommented
 * it parses (its commented lines are the defaults, or examples of them).
 */
static void example(void)
{
	static const char insecure[] = "#insecure-no-certificates yes\n";
	FILE *f = fopen("../etc/xmeshd.conf", "r");
	char line[512], *all = calloc(1, 65536), *lab = calloc(1, 65536);
	size_t len = 0, lab_len = 0;
	bool has_insecure = false;
	struct xmd_config def;

	if (!ok(f != NULL, "example: ../etc/xmeshd.conf (run from agent/)"))
		return;
	while (fgets(line, sizeof(line), f)) {
		/* "#word" is a directive; "# text" a comment. */
		bool is_insecure = !strcmp(line, insecure);
		const char *l = line[0] == '#' && line[1] >= 'a' &&
				line[1] <= 'z' && !is_insecure ? line + 1 :
				line;

		has_insecure |= is_insecure;
		len += (size_t)snprintf(all + len, 65536 - len, "%s", l);
		lab_len += (size_t)snprintf(lab + lab_len, 65536 - lab_len,
					    "%s", is_insecure ? line + 1 : line);
	}
	fclose(f);
	xmd_config_default(&def);
	xmd_config_default(&cfg);
	is_int(xmd_config_load(&cfg, "../etc/xmeshd.conf", err, sizeof(err)),
	       -1, "example: as shipped, no agent without certificates");
	ok(strstr(err, "no certificate: ") != NULL,
	   "example: ... and xmeshd says why");
	ok(has_insecure, "example: it shows the lab's insecure-no-certificates line");
	is_int(parse_as_is(lab), 0, "example: with that line, it parses");
	def.insecure_no_certificates = true;
	ok(!memcmp(&cfg, &def, sizeof(cfg)),
	   "example: ... and is all defaults");
	free(lab);
	if (!is_int(parse(all), 0, "example: every directive uncommented"))
		printf("#   %s\n", err);
	ok(!memcmp(&cfg.timers, &def.timers, sizeof(def.timers)),
	   "example: its timers are the defaults");
	is_int(cfg.caps_interval_ms, def.caps_interval_ms,
	       "example: its caps-interval is the default");
	ok(cfg.n_links == 3 && cfg.n_addresses == 2 && cfg.n_roles == 2,
	   "example: its examples are there");
	free(all);
}

/* The Prometheus file (daemon/metrics.h): off by default; whole seconds. */
static void metrics(void)
{
	struct xmd_overrides o = { .log_level = -1 };

	is_int(parse(""), 0, "metrics: defaults");
	ok(!cfg.metrics_file[0] && cfg.metrics_interval_ms == 15000,
	   "metrics: no file by default, every 15 s");
	is_int(parse("metrics-file /var/lib/node_exporter/xmeshd.prom\n"
		     "metrics-interval 60\n"), 0, "metrics: file and interval");
	ok(!strcmp(cfg.metrics_file, "/var/lib/node_exporter/xmeshd.prom") &&
	   cfg.metrics_interval_ms == 60000, "metrics: the values");
	fails("metrics-file xmeshd.prom\n",
	      "t.conf:1: \"xmeshd.prom\" is not an absolute path",
	      "metrics: a relative path");
	fails("metrics-interval 0\n",
	      "t.conf:1: metrics-interval 0 is out of range (1 to 3600)",
	      "metrics: at least 1 s");
	fails("metrics-interval 3601\n",
	      "t.conf:1: metrics-interval 3601 is out of range (1 to 3600)",
	      "metrics: at most an hour");
	fails("metrics-file /a.prom\nmetrics-file /b.prom\n",
	      "t.conf:2: \"metrics-file\" is given twice (first on line 1)",
	      "metrics: one file");
	/* -M over the file's, at start and reload alike. */
	o.metrics_file = "/run/x.prom";
	is_int(xmd_overrides_check(&o, err, sizeof(err)), 0, "-M: fine");
	xmd_overrides_apply(&cfg, &o);
	is_str(cfg.metrics_file, "/run/x.prom", "-M over metrics-file");
	o.metrics_file = "x.prom";
	is_int(xmd_overrides_check(&o, err, sizeof(err)), -1,
	       "-M: a relative path refused");
}

/* Certificates (issue 5): the keys go together, security follows them. */
static void certificates(void)
{
	is_int(cfg.security, -1, "security: the default depends on certificates");
	is_int(parse("certificate /etc/xmesh/node.cert\n"
		     "authority /etc/xmesh/authority.cert\n"
		     "crl /etc/xmesh/site.crl\n"
		     "security auth\n"
		     "rekey-interval 60\n"
		     "rekey-packets 1000000\n"), 0, "certificates: all of it");
	ok(!strcmp(cfg.certificate, "/etc/xmesh/node.cert") &&
	   !strcmp(cfg.authority, "/etc/xmesh/authority.cert") &&
	   !strcmp(cfg.crl, "/etc/xmesh/site.crl") && cfg.security == 1 &&
	   cfg.rekey_s == 60 && cfg.rekey_packets == 1000000,
	   "certificates: the values");
	fails("certificate /etc/xmesh/node.cert\n",
	      "t.conf:1: certificate and authority go together: a certificate is checked against the site authority's",
	      "certificates: no authority");
	fails("certificate /a\nauthority /b\nsecurity none\n",
	      "t.conf:3: security none with a certificate: authentication is never off when the agent runs with certificates",
	      "certificates: authentication never off");
	fails("security encrypt\n",
	      "t.conf:1: security encrypt needs a certificate: without one there are no keys",
	      "certificates: encryption needs keys");
	fails("crl /c\n",
	      "t.conf:1: crl without certificate: revocation lists are for agents with certificates",
	      "certificates: a list without a certificate");
	fails("security secret\n",
	      "t.conf:1: security: want none, auth or encrypt, not \"secret\"",
	      "certificates: security's values");
	fails("rekey-interval 5\n",
	      "t.conf:1: rekey-interval 5 is out of range (30 to 86400)",
	      "certificates: rekey-interval bounded");
	is_int(parse("security none\n"), 0,
	       "certificates: none without them is fine");
}

/* End-to-end origin seals (origin keys): with certificates only. */
static void origin(void)
{
	xmd_config_default(&cfg);
	ok(!cfg.origin && cfg.origin_rekey_s == 3600,
	   "origin: off by default, a new generation every hour");
	is_int(parse_as_is("certificate /a\nauthority /b\norigin yes\n"
			   "origin-rekey-interval 10\n"), 0,
	       "origin: yes with a certificate");
	ok(cfg.origin && cfg.origin_rekey_s == 10, "origin: the values");
	fails("origin yes\n",
	      "t.conf:1: origin yes needs a certificate: origin keys come from the nodes' certified keys",
	      "origin: needs a certificate");
	fails("origin on\n",
	      "t.conf:1: origin must be yes or no, not \"on\"",
	      "origin: yes or no");
	fails("origin-rekey-interval 5\n",
	      "t.conf:1: origin-rekey-interval 5 is out of range (10 to 604800)",
	      "origin: the interval above the 5 s switch");
	is_int(parse("origin no\n"), 0, "origin: no without certificates");
}

/* xmeshd's refusal to run without certificates or the lab's line. */
#define REFUSED "no certificate: xmeshd authenticates its neighbors with the site's certificates (certificate and authority, made with xmesh cert); for a lab without them, add \"insecure-no-certificates yes\""

/*
 * Authentication on by default (issue 5): without certificates xmeshd
 * runs only when the configuration says so, and never with both.
 */
static void insecure(void)
{
	is_int(parse_as_is(""), -1, "insecure: no certificate, no consent: refused");
	is_str(err, "t.conf: " REFUSED, "insecure: ... naming the fix");
	is_int(parse_as_is("node-id 3\nsecurity none\n"), -1,
	       "insecure: security none is no consent");
	is_int(parse_as_is("insecure-no-certificates no\n"), -1,
	       "insecure: no is the default: refused");
	is_str(err, "t.conf:1: " REFUSED, "insecure: ... naming its line");
	is_int(parse_as_is("insecure-no-certificates yes\n"), 0,
	       "insecure: the lab's line: it runs");
	ok(cfg.insecure_no_certificates && !cfg.certificate[0],
	   "insecure: ... without certificates");
	fails("certificate /a\nauthority /b\ninsecure-no-certificates yes\n",
	      "t.conf:3: insecure-no-certificates yes with a certificate: the agent authenticates its neighbors with it; remove one of the two",
	      "insecure: with a certificate, a contradiction");
	is_int(parse_as_is("certificate /a\nauthority /b\n"
			   "insecure-no-certificates no\n"), 0,
	       "insecure: no with a certificate is fine");
	fails("insecure-no-certificates maybe\n",
	      "t.conf:1: insecure-no-certificates must be yes or no, not \"maybe\"",
	      "insecure: yes or no");
	xmd_config_default(&cfg);
	ok(!cfg.insecure_no_certificates, "insecure: not by default");
}

int main(void)
{
	defaults();
	certificates();
	origin();
	insecure();
	example();
	everything();
	qos();
	profiles();
	errors();
	unworkable();
	metrics();
	limits();
	files();
	return tap_done();
}
