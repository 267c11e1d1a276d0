// SPDX-License-Identifier: GPL-2.0
/*
 * xmeshd's reload (SIGHUP), with a core and a stand-in for rtnetlink: the
 * command line's -v and -S stay over the file's, a link's new bandwidth
 * reaches the core, and addresses change all or nothing on the device.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <sys/stat.h>

#include "tap.h"
#include "../daemon/xmeshd.h"

#include <linux/if.h>
#include <linux/if_addr.h>

static char tmpdir[] = "/tmp/xmd-reload-XXXXXX";
static char conf_path[128];

/* rtnetlink's stand-in: address requests, the nth add refused. */
static struct {
	int adds, dels, refuse_add;
	char log[512];		/* "+10.99.0.2/32 -10.99.0.2/32 ..." */
} rt;

static int fake_rt(struct nlc_sock *s, struct nlc_batch *b,
		   struct nlc_result *res, void *priv)
{
	char buf[XM_ADDRSTRLEN];
	size_t m, n;

	(void)s, (void)priv;
	for (m = 0; m < b->n; m++) {
		const struct nlmsghdr *nlh = nlc_batch_msg(b, m);
		struct xmd_ifaddr a;
		bool add = nlh->nlmsg_type == RTM_NEWADDR;

		res[m].done = true;
		if (xmd_rtnl_parse_addr(nlh, &a) != 1)
			continue;
		n = strlen(rt.log);
		snprintf(rt.log + n, sizeof(rt.log) - n, "%s%s ",
			 add ? "+" : "-",
			 xm_prefix_str(&a.addr, a.len, buf, sizeof(buf)));
		if (add && ++rt.adds == rt.refuse_add) {
			res[m].e.err = -EINVAL;
			snprintf(res[m].e.msg, sizeof(res[m].e.msg), "refused");
		}
		rt.dels += !add;
	}
	return 0;
}

/* text, of an agent without certificates (the lab's line after it). */
static void write_conf(const char *text)
{
	FILE *f = fopen(conf_path, "w");

	fputs(text, f);
	fputs("insecure-no-certificates yes\n", f);
	fclose(f);
}

static struct xmd d;

static void start(const char *text)
{
	char err[512];

	memset(&d, 0, sizeof(d));
	memset(&rt, 0, sizeof(rt));
	d.cli.log_level = -1;
	d.config_path = conf_path;
	write_conf(text);
	xmd_config_default(&d.cfg);
	if (xmd_config_load(&d.cfg, conf_path, err, sizeof(err))) {
		printf("# %s\n", err);
		abort();
	}
	d.rtnl.fake = fake_rt;
	d.ifindex = 9;
	d.links.family = AF_INET;
	d.sysfs = tmpdir;
	d.caps_paths.proc = "/proc";
	d.caps_paths.storage = tmpdir;
	d.core_cfg.node_id = 1;
	d.core_cfg.data_port = d.cfg.data_port;
	d.core_cfg.timers = d.cfg.timers;
	strcpy(d.core_cfg.caps.name, "r");
	d.core = xm_core_new(&d.core_cfg, 1000);
	if (!d.core)
		abort();
}

static void reload(const char *text)
{
	write_conf(text);
	cap_begin();
	xmd_reload(&d);
	cap_end();
}

static void stop(void)
{
	xm_core_free(d.core);
	xmd_links_free(&d.links);
	xmd_log_set_level(XMD_LOG_INFO);
}

/* -v, -S: the command line's, whatever the file says then. */
static void overrides(void)
{
	const char *out;

	d.cli.socket = "/tmp/cli.sock";
	d.cli.log_level = XMD_LOG_DEBUG;
	xmd_overrides_apply(&d.cfg, &d.cli);
	write_conf("log-level warn\nsocket /run/file.sock\n");
	cap_begin();
	xmd_reload(&d);
	out = cap_end();
	is_int(d.cfg.log_level, XMD_LOG_DEBUG, "reload: -v -v kept");
	ok(xmd_log_enabled(XMD_LOG_DEBUG), "reload: ... and the log at debug");
	is_str(d.cfg.socket, "/tmp/cli.sock", "reload: -S kept");
	if (!ok(!strstr(out, "socket changes"),
		"reload: no warning about a socket the file cannot change"))
		printf("# %s\n", out);
}

/* A new bandwidth or local address on a link line reaches the core. */
static void link_line(void)
{
	struct xmd_ifinfo i = { .ifindex = 2, .flags = IFF_UP | IFF_LOWER_UP };
	struct xmd_ifaddr a = { .ifindex = 2 };
	char buf[XM_ADDRSTRLEN];
	struct xmd_link *l;

	snprintf(i.ifname, sizeof(i.ifname), "eth0");
	xmd_links_update(&d.links, &i);
	xm_parse_addr("10.9.0.1", &a.addr, NULL);
	a.len = 24;
	xmd_links_addr(&d.links, &a);
	l = xmd_links_find(&d.links, 2);
	xmd_link_info(l, &d.cfg, d.sysfs, &l->given);
	ok(!xm_core_link_set(d.core, 1000, &l->given) &&
	   l->given.bandwidth_mbps == 100, "reload: a link of 100 Mbit/s");
	l->in_core = true;
	reload("link eth0 bandwidth 250\n");
	is_int(l->given.bandwidth_mbps, 250,
	       "reload: its new bandwidth given to the core");
	xm_parse_addr("10.9.0.7", &a.addr, NULL);
	a.flags = IFA_F_SECONDARY;
	xmd_links_addr(&d.links, &a);
	reload("link eth0 bandwidth 250 local 10.9.0.7\n");
	is_str(xm_addr_str(&l->given.local, buf, sizeof(buf)), "10.9.0.7",
	       "reload: its new local address given to the core");
}

static void addresses(void)
{
	char buf[XM_ADDRSTRLEN];

	reload("address 10.99.0.1/32\naddress 10.99.0.2/32\n"
	       "address 10.99.0.3/32\n");
	is_str(rt.log, "+10.99.0.2/32 +10.99.0.3/32 -10.99.0.2/32 ",
	       "reload: an add refused, the one added before goes again");
	ok(d.cfg.n_addresses == 1 &&
	   !strcmp(xm_prefix_str(&d.cfg.addresses[0].addr,
				 d.cfg.addresses[0].len, buf, sizeof(buf)),
		   "10.99.0.1/32"), "reload: the running addresses kept");
	memset(&rt, 0, sizeof(rt));
	reload("address 10.99.0.2/32\n");
	is_str(rt.log, "+10.99.0.2/32 -10.99.0.1/32 ",
	       "reload: the new one added, then the old one removed");
	is_int(d.cfg.n_addresses, 1, "reload: one address now");
}

/* tmpdir/class/net/eth0/speed: "100"; remove: take it away again. */
static void sysfs(bool remove)
{
	static const char *const parts[] = { "class", "class/net",
					     "class/net/eth0" };
	char path[256];
	FILE *f;
	int i;

	for (i = 0; !remove && i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, parts[i]);
		mkdir(path, 0755);
	}
	snprintf(path, sizeof(path), "%s/class/net/eth0/speed", tmpdir);
	if (!remove) {
		f = fopen(path, "w");
		fputs("100\n", f);
		fclose(f);
		return;
	}
	unlink(path);
	for (i = 2; i >= 0; i--) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, parts[i]);
		rmdir(path);
	}
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(conf_path, sizeof(conf_path), "%s/xmeshd.conf", tmpdir);
	sysfs(false);
	start("");
	overrides();
	stop();
	start("");
	link_line();
	stop();
	start("address 10.99.0.1/32\n");
	rt.refuse_add = 2;
	addresses();
	stop();
	sysfs(true);
	unlink(conf_path);
	rmdir(tmpdir);
	return tap_done();
}
