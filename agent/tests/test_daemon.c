// SPDX-License-Identifier: GPL-2.0
/*
 * xmeshd's pieces that need no kernel: capabilities from a fake /proc,
 * the keys, the interface table and the choice of underlay links,
 * rtnetlink messages, and the host routes' diff.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cert.h"
#include "kx.h"
#include "tap.h"
#include "xmesh_file.h"
#include "../daemon/caps.h"
#include "../daemon/kernel.h"
#include "../daemon/keys.h"
#include "../daemon/links.h"
#include "../daemon/rtnl.h"

/* After net/if.h (from the daemon's headers), which it must follow. */
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

static char tmpdir[] = "/tmp/xmd-test-XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void remove_file(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
}

/* ---- capabilities ---- */

static void caps(void)
{
	struct xmd_caps_paths p = { .proc = tmpdir, .storage = "/" };
	struct xm_caps c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "kept");
	write_file("stat", "cpu  1 2 3 4\ncpu0 1 2 3\ncpu1 1 2 3\n"
		   "cpu2 1 2 3\ncpu3 1 2 3\nintr 12345\nctxt 99\n");
	write_file("loadavg", "1.25 0.50 0.10 2/345 6789\n");
	write_file("meminfo", "MemTotal:        2048000 kB\n"
		   "MemFree:          100000 kB\n"
		   "MemAvailable:    1024000 kB\n"
		   "Buffers:            123 kB\n");
	is_int(xmd_caps_read(&p, &c), 0, "caps: read");
	is_int(c.cpu_cores, 4, "caps: four cores (cpuN lines, not cpu)");
	is_int(c.cpu_load, 125, "caps: load x 100");
	is_int(c.mem_total_mb, 2000, "caps: total memory in MB");
	is_int(c.mem_free_mb, 1000, "caps: available memory, not free");
	ok(c.disk_total_gb > 0 || c.disk_free_gb == 0,
	   "caps: storage from statvfs");
	is_str(c.name, "kept", "caps: the name is left alone");

	write_file("meminfo", "MemTotal: 1048576 kB\nMemFree: 524288 kB\n");
	xmd_caps_read(&p, &c);
	is_int(c.mem_free_mb, 512, "caps: MemFree without MemAvailable");
	write_file("loadavg", "garbage\n");
	write_file("meminfo", "MemTotal: lots\n");
	xmd_caps_read(&p, &c);
	is_int(c.cpu_load, 0, "caps: bad loadavg gives 0");
	is_int(c.mem_total_mb, 0, "caps: bad meminfo gives 0");
	is_int(c.cpu_cores, 4, "caps: the rest still read");
	write_file("loadavg", "99999.5 1 1 1/1 1\n");
	xmd_caps_read(&p, &c);
	is_int(c.cpu_load, UINT16_MAX, "caps: huge load saturates");
	{
		/* A /proc/stat line longer than the read buffer. */
		char big[2000];

		memset(big, '7', sizeof(big));
		memcpy(big, "intr ", 5);
		big[sizeof(big) - 2] = '\n';
		big[sizeof(big) - 1] = '\0';
		write_file("stat", big);
		xmd_caps_read(&p, &c);
		is_int(c.cpu_cores, 0, "caps: a long line is no cpu");
	}
	remove_file("stat");
	remove_file("loadavg");
	remove_file("meminfo");
	p.storage = "/nonexistent/xmd";
	is_int(xmd_caps_read(&p, &c), -1, "caps: nothing readable");
	is_int(c.cpu_cores + c.mem_total_mb + c.disk_total_gb, 0,
	       "caps: then all 0");
}

/* The test hook XMESHD_CAPS_OVERRIDE: a file per node name ("%n"). */
static void caps_override(void)
{
	struct xmd_caps_paths p = { .proc = tmpdir, .storage = "/" };
	char tmpl[256];
	struct xm_caps c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "n7");
	write_file("loadavg", "0.25 0.50 0.10 2/345 6789\n");
	write_file("n7.caps", "load 3.5\ncores 4\nbogus 1\nmem_free_mb x\n"
		   "disk_free_gb 12\n");
	snprintf(tmpl, sizeof(tmpl), "%s/%%n.caps", tmpdir);
	setenv(XMD_CAPS_OVERRIDE_ENV, tmpl, 1);
	xmd_caps_read(&p, &c);
	is_int(c.cpu_load, 350, "caps override: the load");
	is_int(c.cpu_cores, 4, "caps override: the cores");
	is_int(c.disk_free_gb, 12, "caps override: free disk");
	snprintf(c.name, sizeof(c.name), "n8");
	xmd_caps_read(&p, &c);
	is_int(c.cpu_load, 25, "caps override: another node's file is its own");
	unsetenv(XMD_CAPS_OVERRIDE_ENV);
	snprintf(c.name, sizeof(c.name), "n7");
	xmd_caps_read(&p, &c);
	is_int(c.cpu_load, 25, "caps override: off without the variable");
	remove_file("loadavg");
	remove_file("n7.caps");
}

/* ---- keys ---- */

static void keys(void)
{
	uint8_t key[XM_SITE_KEY_LEN], pk[XM_PUBKEY_LEN], pk2[XM_PUBKEY_LEN];
	char path[256], err[512], hex[80];
	bool created;
	struct stat st;
	size_t i;

	ok(sodium_init() >= 0, "libsodium");
	memset(hex, 0, sizeof(hex));
	for (i = 0; i < 64; i++)
		hex[i] = "0123456789abcdef"[i % 16];
	is_int(xmd_site_key_parse(hex, 64, key), 0, "site key: 64 hex digits");
	is_int(key[1], 0x23, "site key: hex decoded");
	memcpy(hex + 64, "\n", 2);
	is_int(xmd_site_key_parse(hex, 65, key), 0, "site key: newline after");
	is_int(xmd_site_key_parse("  x", 3, key), -1, "site key: garbage");
	hex[10] = 'g';
	is_int(xmd_site_key_parse(hex, 65, key), -1, "site key: not hex");
	is_int(xmd_site_key_parse(hex, 62, key), -1, "site key: too short");
	memset(hex, 0xff, 32);
	is_int(xmd_site_key_parse(hex, 32, key), 0, "site key: 32 raw bytes");
	is_int(key[31], 0xff, "site key: raw copied");

	snprintf(path, sizeof(path), "%s/site.key", tmpdir);
	is_int(xmd_site_key_load(path, key, err, sizeof(err)), -1,
	       "site key: missing file");
	ok(strstr(err, "--gen-site-key") != NULL,
	   "site key: missing, says how to make one");
	is_int(xmd_site_key_generate(path, err, sizeof(err)), 0,
	       "site key: generated");
	ok(!stat(path, &st) && (st.st_mode & 0777) == 0600 && st.st_size == 65,
	   "site key: mode 0600, hex and a newline");
	is_int(xmd_site_key_generate(path, err, sizeof(err)), -1,
	       "site key: never overwritten");
	is_int(xmd_site_key_load(path, key, err, sizeof(err)), 0,
	       "site key: loads");
	is_str(err, "", "site key: no warning at 0600");
	chmod(path, 0644);
	xmd_site_key_load(path, key, err, sizeof(err));
	ok(strstr(err, "readable by group or others") != NULL,
	   "site key: warns when others can read it");
	unlink(path);

	snprintf(path, sizeof(path), "%s/state", tmpdir);
	is_int(xmd_node_key_load(path, pk, &created, err, sizeof(err)), 0,
	       "node key: created");
	ok(created, "node key: says it was created");
	snprintf(path, sizeof(path), "%s/state/node.key", tmpdir);
	ok(!stat(path, &st) && (st.st_mode & 0777) == 0600 && st.st_size == 64,
	   "node key: 64 bytes, mode 0600");
	snprintf(path, sizeof(path), "%s/state", tmpdir);
	is_int(xmd_node_key_load(path, pk2, &created, err, sizeof(err)), 0,
	       "node key: loaded again");
	ok(!created && !memcmp(pk, pk2, sizeof(pk)),
	   "node key: the same key the second time");
	ok(xmd_node_id_from_key(pk) == xmd_node_id_from_key(pk2) &&
	   xmd_node_id_from_key(pk) != 0, "node id: stable, not 0");
	memset(pk2, 0, sizeof(pk2));
	ok(xmd_node_id_from_key(pk) != xmd_node_id_from_key(pk2),
	   "node id: another key, another id");
	snprintf(path, sizeof(path), "%s/state/node.key", tmpdir);
	truncate(path, 10);
	snprintf(path, sizeof(path), "%s/state", tmpdir);
	is_int(xmd_node_key_load(path, pk2, &created, err, sizeof(err)), -1,
	       "node key: a damaged file is refused, not replaced");
	ok(strstr(err, "not an Ed25519 secret key") != NULL,
	   "node key: says what is wrong");
	{
		/* 64 bytes whose public half is not the seed's. */
		uint8_t junk[64];
		int fd;

		memset(junk, 0x5a, sizeof(junk));
		snprintf(path, sizeof(path), "%s/state/node.key", tmpdir);
		fd = open(path, O_WRONLY | O_TRUNC);
		ok(fd >= 0 && write(fd, junk, sizeof(junk)) == sizeof(junk),
		   "node key: overwritten with 64 other bytes");
		if (fd >= 0)
			close(fd);
	}
	snprintf(path, sizeof(path), "%s/state", tmpdir);
	is_int(xmd_node_key_load(path, pk2, &created, err, sizeof(err)), -1,
	       "node key: one whose public half is not its seed's is refused");
	ok(strstr(err, "damaged") != NULL, "node key: says it is damaged");
	snprintf(path, sizeof(path), "%s/state/node.key", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state", tmpdir);
	rmdir(path);
}

/* ---- rtnetlink messages ---- */

static char nlbuf[4096];

static struct nlmsghdr *link_msg(uint16_t type, int ifindex, const char *name,
				 unsigned int flags, const char *kind)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nlbuf);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *li;

	nlh->nlmsg_type = type;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = flags;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (kind) {
		li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
		mnl_attr_nest_end(nlh, li);
	}
	return nlh;
}

static struct nlmsghdr *addr_msg(uint16_t type, uint32_t ifindex,
				 const char *addr, uint8_t len, uint32_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nlbuf);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	struct xm_addr a;

	xm_parse_addr(addr, &a, NULL);
	nlh->nlmsg_type = type;
	ifa->ifa_family = (uint8_t)a.family;
	ifa->ifa_prefixlen = len;
	ifa->ifa_index = ifindex;
	ifa->ifa_flags = (uint8_t)flags;
	if (a.family == AF_INET)
		mnl_attr_put(nlh, IFA_LOCAL, 4, a.raw);
	mnl_attr_put(nlh, IFA_ADDRESS, xm_addr_len(a.family), a.raw);
	mnl_attr_put_u32(nlh, IFA_FLAGS, flags);
	return nlh;
}

static void rtnl(void)
{
	struct xmd_ifinfo i;
	struct xmd_ifaddr a;
	struct nlmsghdr *nlh;
	char buf[XM_ADDRSTRLEN];

	nlh = link_msg(RTM_NEWLINK, 3, "eth0", IFF_UP | IFF_LOWER_UP, "veth");
	is_int(xmd_rtnl_parse_link(nlh, &i), 1, "rtnl: a link");
	ok(i.ifindex == 3 && !strcmp(i.ifname, "eth0") && !i.is_xmesh &&
	   !i.deleted && (i.flags & IFF_LOWER_UP), "rtnl: its fields");
	nlh = link_msg(RTM_DELLINK, 4, "xm0", 0, "xmesh");
	is_int(xmd_rtnl_parse_link(nlh, &i), 1, "rtnl: a deleted xmesh link");
	ok(i.deleted && i.is_xmesh, "rtnl: deleted, kind xmesh");
	nlh = link_msg(RTM_NEWLINK, 4, "x", 0, "xmeshy");
	xmd_rtnl_parse_link(nlh, &i);
	ok(!i.is_xmesh, "rtnl: kind xmeshy is not xmesh");
	nlh = link_msg(RTM_NEWLINK, 0, "x", 0, NULL);
	is_int(xmd_rtnl_parse_link(nlh, &i), -EINVAL, "rtnl: ifindex 0");
	nlh = link_msg(RTM_NEWLINK, 5, NULL, 0, NULL);
	mnl_attr_put(nlh, IFLA_IFNAME, 20, "0123456789abcdefghi");
	is_int(xmd_rtnl_parse_link(nlh, &i), -EINVAL, "rtnl: name too long");
	nlh = link_msg(RTM_NEWLINK, 5, NULL, 0, NULL);
	mnl_attr_put(nlh, IFLA_IFNAME, 3, "abc");
	is_int(xmd_rtnl_parse_link(nlh, &i), -EINVAL,
	       "rtnl: name without its NUL");
	nlh = link_msg(RTM_NEWLINK, 5, "a", 0, NULL);
	nlh->nlmsg_len = sizeof(*nlh) + 4;
	is_int(xmd_rtnl_parse_link(nlh, &i), -EINVAL, "rtnl: short header");
	nlh = addr_msg(RTM_NEWADDR, 3, "10.9.0.1", 24, IFA_F_SECONDARY);
	is_int(xmd_rtnl_parse_link(nlh, &i), 0, "rtnl: an address is no link");
	is_int(xmd_rtnl_parse_addr(nlh, &a), 1, "rtnl: an address");
	ok(a.ifindex == 3 && a.len == 24 && (a.flags & IFA_F_SECONDARY) &&
	   !strcmp(xm_addr_str(&a.addr, buf, sizeof(buf)), "10.9.0.1"),
	   "rtnl: its fields");
	nlh = addr_msg(RTM_DELADDR, 3, "fe80::1", 64, IFA_F_TENTATIVE);
	is_int(xmd_rtnl_parse_addr(nlh, &a), 1, "rtnl: an IPv6 address");
	ok(a.deleted && a.addr.family == AF_INET6 &&
	   (a.flags & IFA_F_TENTATIVE), "rtnl: deleted, tentative");
	nlh = addr_msg(RTM_NEWADDR, 3, "10.9.0.1", 33, 0);
	is_int(xmd_rtnl_parse_addr(nlh, &a), -EINVAL, "rtnl: length 33");
	nlh = mnl_nlmsg_put_header(nlbuf);
	nlh->nlmsg_type = RTM_NEWADDR;
	((struct ifaddrmsg *)mnl_nlmsg_put_extra_header(
		nlh, sizeof(struct ifaddrmsg)))->ifa_family = AF_INET;
	is_int(xmd_rtnl_parse_addr(nlh, &a), -EINVAL,
	       "rtnl: an address without an address");
	mnl_attr_put(nlh, IFA_LOCAL, 16, nlbuf);
	is_int(xmd_rtnl_parse_addr(nlh, &a), -EINVAL,
	       "rtnl: an IPv4 address of 16 bytes");
}

/* What the callbacks got; bad: a field no parser should have let by. */
static int n_links_cb, n_addrs_cb, n_bad_cb;
static void cb_link(void *d, const struct xmd_ifinfo *i)
{
	(void)d;
	n_links_cb++;
	n_bad_cb += !i->ifindex ||
		    strnlen(i->ifname, sizeof(i->ifname)) == sizeof(i->ifname);
}
static void cb_addr(void *d, const struct xmd_ifaddr *a)
{
	(void)d;
	n_addrs_cb++;
	n_bad_cb += !xm_addr_len(a->addr.family) ||
		    a->len > xm_addr_bits(a->addr.family);
}

static void datagram(void)
{
	const struct xmd_rtnl_cb cb = { cb_link, cb_addr, NULL };
	char buf[8192], good[512];
	size_t len = 0, n;
	struct nlmsghdr *nlh;
	unsigned int i, good_parsed = 0;

	nlh = link_msg(RTM_NEWLINK, 3, "eth0", 0, NULL);
	memcpy(buf, nlh, nlh->nlmsg_len);
	len += MNL_ALIGN(nlh->nlmsg_len);
	nlh = addr_msg(RTM_NEWADDR, 3, "10.9.0.1", 24, 0);
	memcpy(buf + len, nlh, nlh->nlmsg_len);
	len += MNL_ALIGN(nlh->nlmsg_len);
	xmd_rtnl_datagram(buf, len, &cb);
	ok(n_links_cb == 1 && n_addrs_cb == 1, "rtnl: a datagram of two");
	memcpy(good, buf, len);
	/* Truncated anywhere: never read past the end, never crash. */
	for (n = 0; n < len; n++)
		xmd_rtnl_datagram(buf, n, &cb);
	ok(n_links_cb >= 1, "rtnl: every truncation survived");
	/* Random bytes. */
	srand(7);
	for (i = 0; i < 2000; i++) {
		for (n = 0; n < 256; n++)
			buf[n] = (char)rand();
		((struct nlmsghdr *)buf)->nlmsg_len = 16 + (uint32_t)(rand() % 240);
		((struct nlmsghdr *)buf)->nlmsg_type = (uint16_t)(RTM_NEWLINK +
							       rand() % 8);
		xmd_rtnl_datagram(buf, 256, &cb);
		/* The good one in between still parses, whole. */
		n_links_cb = n_addrs_cb = 0;
		xmd_rtnl_datagram(good, len, &cb);
		good_parsed += n_links_cb == 1 && n_addrs_cb == 1;
	}
	is_int(n_bad_cb, 0, "rtnl: 2000 random datagrams: nothing invalid let by");
	is_int(good_parsed, 2000, "rtnl: ... and a good one among them parsed");
}

/* ---- the interface table ---- */

static struct xmd_ifaddr ifaddr(uint32_t ifindex, const char *s,
				uint32_t flags)
{
	struct xmd_ifaddr a = { .ifindex = ifindex, .flags = flags };

	xm_parse_addr(s, &a.addr, NULL);
	a.len = a.addr.family == AF_INET ? 24 : 64;
	return a;
}

static void links(void)
{
	struct xmd_links ls = { .family = AF_INET };
	struct xmd_config cfg;
	struct xmd_ifinfo i = { .ifindex = 2, .flags = IFF_UP | IFF_LOWER_UP };
	struct xmd_ifaddr a;
	struct xmd_link *l;
	struct xm_addr local;
	char buf[XM_ADDRSTRLEN];

	xmd_config_default(&cfg);
	snprintf(i.ifname, sizeof(i.ifname), "eth0");
	is_int(xmd_links_update(&ls, &i), 0, "links: eth0 added");
	l = xmd_links_find(&ls, 2);
	ok(l && l->sock.fd == -1, "links: found, no socket yet");
	ok(!xmd_link_wanted(l, &cfg, 9), "links: no address, not wanted");
	a = ifaddr(2, "10.9.0.1", IFA_F_TENTATIVE);
	xmd_links_addr(&ls, &a);
	ok(!xmd_link_wanted(l, &cfg, 9), "links: a tentative address is none");
	a = ifaddr(2, "10.9.0.1", 0);
	xmd_links_addr(&ls, &a);
	is_int(l->n_addrs, 1, "links: the same address updated, not added");
	ok(xmd_link_wanted(l, &cfg, 9), "links: with an address, wanted");
	ok(!xmd_link_wanted(l, &cfg, 2), "links: never the xmesh device");
	a = ifaddr(2, "10.9.1.1", IFA_F_SECONDARY);
	xmd_links_addr(&ls, &a);
	a = ifaddr(2, "fe80::1", 0);
	xmd_links_addr(&ls, &a);
	is_int(l->n_addrs, 2, "links: only addresses of the family");
	ok(xmd_link_local(l, AF_INET, NULL, &local) &&
	   !strcmp(xm_addr_str(&local, buf, sizeof(buf)), "10.9.0.1"),
	   "links: hellos from the primary address");
	a = ifaddr(2, "10.9.0.1", 0);
	a.deleted = true;
	xmd_links_addr(&ls, &a);
	ok(!xmd_link_local(l, AF_INET, NULL, &local),
	   "links: a secondary address alone is not used");
	cfg.n_links = 1;
	snprintf(cfg.links[0].ifname, IF_NAMESIZE, "eth0");
	xm_parse_addr("10.9.1.1", &cfg.links[0].local, NULL);
	ok(xmd_link_wanted(l, &cfg, 9) &&
	   xmd_link_local(l, AF_INET, &cfg.links[0], &local) &&
	   !strcmp(xm_addr_str(&local, buf, sizeof(buf)), "10.9.1.1"),
	   "links: a configured local address, even secondary");
	snprintf(cfg.links[0].ifname, IF_NAMESIZE, "eth9");
	ok(!xmd_link_wanted(l, &cfg, 9), "links: not named in the config");
	cfg.n_links = 0;

	i.ifindex = 1;
	i.flags = IFF_UP | IFF_LOOPBACK | IFF_LOWER_UP;
	snprintf(i.ifname, sizeof(i.ifname), "lo");
	xmd_links_update(&ls, &i);
	a = ifaddr(1, "10.9.7.1", 0);
	xmd_links_addr(&ls, &a);
	ok(!xmd_link_wanted(xmd_links_find(&ls, 1), &cfg, 9),
	   "links: never loopback");
	i.ifindex = 5;
	i.flags = IFF_UP;
	i.is_xmesh = true;
	snprintf(i.ifname, sizeof(i.ifname), "xm1");
	xmd_links_update(&ls, &i);
	a = ifaddr(5, "10.9.8.1", 0);
	xmd_links_addr(&ls, &a);
	ok(!xmd_link_wanted(xmd_links_find(&ls, 5), &cfg, 9),
	   "links: never an xmesh device");
	ok(!xmd_link_carrier(xmd_links_find(&ls, 5)),
	   "links: up without lower up: no carrier");
	ok(xmd_link_carrier(xmd_links_find(&ls, 1)), "links: carrier");
	i.deleted = true;
	xmd_links_update(&ls, &i);
	ok(xmd_links_find(&ls, 5)->gone, "links: deleted is marked gone");
	xmd_links_remove(&ls, xmd_links_find(&ls, 5));
	ok(!xmd_links_find(&ls, 5) && ls.n == 2, "links: removed");
	a = ifaddr(77, "10.9.9.1", 0);
	xmd_links_addr(&ls, &a);
	ok(ls.n == 2, "links: an address of an unknown link is ignored");

	ls.family = AF_INET6;
	l = xmd_links_find(&ls, 2);
	l->n_addrs = 0;
	a = ifaddr(2, "fd00::1", 0);
	xmd_links_addr(&ls, &a);
	ok(!xmd_link_local(l, AF_INET6, NULL, &local),
	   "links: IPv6 wants a link-local address");
	a = ifaddr(2, "fe80::2", 0);
	xmd_links_addr(&ls, &a);
	ok(xmd_link_local(l, AF_INET6, NULL, &local) &&
	   !strcmp(xm_addr_str(&local, buf, sizeof(buf)), "fe80::2"),
	   "links: IPv6 hellos from the link-local address");
	xmd_links_free(&ls);
	is_int(xmd_link_speed(tmpdir, "eth0"), 0, "speed: unknown");
}

/* What the core is told of a link's bandwidth, and when it changes. */
static void bandwidth(void)
{
	struct xmd_links ls = { .family = AF_INET };
	struct xmd_ifinfo i = { .ifindex = 2, .flags = IFF_UP | IFF_LOWER_UP };
	struct xmd_ifaddr a = ifaddr(2, "10.9.0.1", 0);
	struct xm_link_info info;
	struct xmd_config cfg;
	struct xmd_link *l;

	xmd_config_default(&cfg);
	snprintf(i.ifname, sizeof(i.ifname), "eth0");
	xmd_links_update(&ls, &i);
	xmd_links_addr(&ls, &a);
	l = xmd_links_find(&ls, 2);
	write_file("class/net/eth0/speed", "10000\n");
	xmd_link_info(l, &cfg, tmpdir, &info);
	ok(info.bandwidth_mbps == 10000 && info.carrier &&
	   !strcmp(info.ifname, "eth0") && info.local.family == AF_INET,
	   "bandwidth: joining, the speed from sysfs");
	l->in_core = true;
	l->given = info;
	write_file("class/net/eth0/speed", "100\n");
	xmd_link_info(l, &cfg, tmpdir, &info);
	is_int(info.bandwidth_mbps, 10000,
	       "bandwidth: in the core, sysfs is not read again");
	cfg.n_links = 1;
	snprintf(cfg.links[0].ifname, IF_NAMESIZE, "eth0");
	cfg.links[0].bandwidth_mbps = 200;
	xmd_link_info(l, &cfg, tmpdir, &info);
	is_int(info.bandwidth_mbps, 200,
	       "bandwidth: a configured one changed by a reload is taken");
	l->given = info;
	cfg.links[0].bandwidth_mbps = 0;
	xmd_link_info(l, &cfg, tmpdir, &info);
	is_int(info.bandwidth_mbps, 10000,
	       "bandwidth: configured no more, the speed read at the join");
	l->given.carrier = false;
	xmd_link_info(l, &cfg, tmpdir, &info);
	is_int(info.bandwidth_mbps, 100,
	       "bandwidth: carrier back, the speed is read again");
	xmd_links_free(&ls);
}

static void speed(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/class", tmpdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/class/net", tmpdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/class/net/eth0", tmpdir);
	mkdir(path, 0755);
	write_file("class/net/eth0/speed", "10000\n");
	is_int(xmd_link_speed(tmpdir, "eth0"), 10000, "speed: from sysfs");
	write_file("class/net/eth0/speed", "-1\n");
	is_int(xmd_link_speed(tmpdir, "eth0"), 0, "speed: -1 is unknown");
	bandwidth();
	remove_file("class/net/eth0/speed");
	rmdir(path);
	snprintf(path, sizeof(path), "%s/class/net", tmpdir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/class", tmpdir);
	rmdir(path);
}

/* ---- host routes ---- */

static struct xm_fib_prefix fpfx(const char *s, uint32_t node)
{
	struct xm_fib_prefix p = { .node = node };

	xm_parse_prefix(s, &p.prefix.addr, &p.prefix.len);
	return p;
}

static struct xmrt_op rop(const char *s)
{
	struct xmrt_op op = { .ifindex = 9 };

	xm_parse_prefix(s, &op.dst, &op.len);
	return op;
}

static void hostroutes(void)
{
	struct xm_fib_prefix pf[] = {
		fpfx("10.99.0.1/32", 1), fpfx("10.99.0.2/32", 2),
		fpfx("10.1.0.0/16", 2), fpfx("fd00::3/128", 3),
	};
	struct xm_fib want = { .n_prefixes = 4, .prefixes = pf };
	struct xmrt_op have[] = { rop("10.99.0.2/32"), rop("10.99.0.7/32"),
				  rop("10.99.0.1/32") };
	struct xmrt_op *ops;
	struct xm_fib copy;
	char buf[XM_ADDRSTRLEN];
	size_t n;

	is_int(xmd_hostroutes_diff(&want, 1, 9, have, 3, &ops, &n), 0,
	       "host routes: diff");
	is_int(n, 4, "host routes: two deletes and two adds");
	ok(ops[0].del && !strcmp(xm_prefix_str(&ops[0].dst, ops[0].len, buf,
						 sizeof(buf)), "10.99.0.7/32"),
	   "host routes: a prefix that is gone is deleted");
	ok(ops[1].del && ops[1].dst.raw[3] == 1,
	   "host routes: this node's own prefix has no route");
	ok(!ops[2].del && ops[2].len == 16 && ops[2].ifindex == 9,
	   "host routes: another node's subnet is added");
	ok(!ops[3].del && ops[3].dst.family == AF_INET6,
	   "host routes: IPv6 too");
	free(ops);
	is_int(xmd_hostroutes_diff(&want, 1, 9, have, 1, &ops, &n), 0,
	       "host routes: diff again");
	is_int(n, 2, "host routes: what is there stays (no churn)");
	free(ops);

	is_int(xmd_fib_copy(&copy, &want), 0, "fib copy");
	ok(copy.n_prefixes == 4 && copy.prefixes != want.prefixes &&
	   !memcmp(copy.prefixes, pf, sizeof(pf)) && copy.n_neighs == 0,
	   "fib copy: deep and equal");
	xm_fib_free(&copy);
}

/* ---- the boot id ---- */

static void boot_id(void)
{
	char err[512], path[256], buf[64] = "";
	FILE *f;

	remove_file(XMD_BOOT_ID_FILE);
	is_int((long long)xmd_boot_id_next(tmpdir, 1000, err, sizeof(err)),
	       1000, "boot id: the clock the first time");
	is_str(err, "", "boot id: no warning");
	is_int((long long)xmd_boot_id_next(tmpdir, 1000, err, sizeof(err)),
	       1001, "boot id: restarted within the same second, one more");
	is_int((long long)xmd_boot_id_next(tmpdir, 900, err, sizeof(err)),
	       1002, "boot id: the clock went back, still one more");
	is_int((long long)xmd_boot_id_next(tmpdir, 5000, err, sizeof(err)),
	       5000, "boot id: the clock when it is ahead");
	snprintf(path, sizeof(path), "%s/%s", tmpdir, XMD_BOOT_ID_FILE);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	is_str(buf, "5000\n", "boot id: kept in the state directory");
	snprintf(path, sizeof(path), "%s/%s.tmp%ld", tmpdir, XMD_BOOT_ID_FILE,
		 (long)getpid());
	ok(access(path, F_OK) != 0, "boot id: no temporary file left");
	write_file(XMD_BOOT_ID_FILE, "garbage\n");
	is_int((long long)xmd_boot_id_next(tmpdir, 7000, err, sizeof(err)),
	       7000, "boot id: an unreadable file, the clock");
	ok(strstr(err, "not a number") != NULL, "boot id: with a warning (%s)",
	   err);
	is_int((long long)xmd_boot_id_next(tmpdir, 7000, err, sizeof(err)),
	       7001, "boot id: and the file repaired");
	/* Sequence numbers are boot id << 32: a boot id has 32 bits. */
	write_file(XMD_BOOT_ID_FILE, "4294967295\n");
	is_int((long long)xmd_boot_id_next(tmpdir, 8000, err, sizeof(err)),
	       8000, "boot id: 2^32 - 1 in the file refused, the clock");
	is_int((long long)xmd_boot_id_next("/nonexistent/dir", 42, err,
					   sizeof(err)),
	       42, "boot id: no state directory, the clock");
	ok(err[0] != '\0', "boot id: ... with a warning");
	remove_file(XMD_BOOT_ID_FILE);
}

/* A probe through a neighbor the kernel does not have yet: skipped. */
static void probe_deferred(void)
{
	struct xm_fib_neigh n[2] = { { .id = 3, .node = 7 },
				     { .id = 9, .node = 8 } };
	struct xmd_stats st = { 0 };
	struct xmd_kernel k;

	memset(&k, 0, sizeof(k));
	k.stats = &st;
	ok(xmd_kernel_has_neigh(&k, 5),
	   "probe: the kernel's tables unknown, assume it has it");
	k.have_ok = true;
	ok(!xmd_kernel_has_neigh(&k, 3), "probe: empty tables: not there");
	k.have.neighs = n;
	k.have.n_neighs = 2;
	ok(xmd_kernel_has_neigh(&k, 3) && xmd_kernel_has_neigh(&k, 9) &&
	   !xmd_kernel_has_neigh(&k, 4), "probe: by id in the kernel's tables");
	is_int(xmd_kernel_probe(&k, 4, 1), -ENOENT,
	       "probe: through a neighbor not installed, skipped");
	is_int((long long)st.probes_deferred, 1, "probe: counted as deferred");
	is_int((long long)(st.probe_errors + k.probes.n), 0,
	       "probe: neither queued nor an error");
}

/* What the configuration lets through, the core accepts. */
static void core_accepts(void)
{
	static const char *const profiles[] = { "default", "fast", "slow" };
	struct xm_core_config cc;
	struct xmd_config cfg;
	struct xm_core *core;
	size_t i;

	for (i = 0; i < 3; i++) {
		xmd_config_default(&cfg);
		xmd_timers_profile(&cfg.timers, profiles[i]);
		memset(&cc, 0, sizeof(cc));
		cc.node_id = 1;
		cc.data_port = cfg.data_port;
		cc.timers = cfg.timers;
		cc.policy = cfg.policy;
		core = xm_core_new(&cc, 1000);
		ok(core != NULL, "the core takes the %s profile's timers",
		   profiles[i]);
		xm_core_free(core);
	}
	xmd_config_default(&cfg);
	is_int(xmd_config_parse(&cfg, "t", "lsa-refresh 65534\nlsa-max-age 65535\n"
				"spf-hold 600\nspf-max-hold 600\nholddown 0\n"
				"holddown-max 0\nhello-interval 600\n"
				"dead-interval 3600\n"
				"insecure-no-certificates yes\n", NULL, 0), 0,
	       "extreme timers parse");
	memset(&cc, 0, sizeof(cc));
	cc.node_id = 1;
	cc.timers = cfg.timers;
	core = xm_core_new(&cc, 1000);
	ok(core != NULL, "the core takes them too");
	xm_core_free(core);
}

/* ---- certificates: xmeshd's files ---- */

/* A signed certificate as an armored file in tmpdir. */
static void cert_file(const char *name, struct xm_cert *c,
		      const uint8_t sk[XM_SECKEY_LEN])
{
	static char text[XM_CERT_TEXT_MAX];

	if (xm_cert_sign(c, sk) || !xm_cert_text(c, text, sizeof(text)))
		abort();
	write_file(name, text);
}

static void certificates(void)
{
	uint8_t auth_pk[XM_PUBKEY_LEN], auth_sk[XM_SECKEY_LEN];
	uint8_t node_pk[XM_PUBKEY_LEN], node_sk[XM_SECKEY_LEN];
	static struct xm_cert auth, node, other;
	static struct xm_crl crl;
	char err[1024], state[256], cpath[256], apath[256], lpath[256];
	static char text[XM_CRL_TEXT_MAX];
	uint64_t now = (uint64_t)time(NULL);
	struct xm_caps caps = { .zone = "configured" };
	struct xm_kx *kx;
	bool created;

	snprintf(state, sizeof(state), "%s/kxstate", tmpdir);
	snprintf(cpath, sizeof(cpath), "%s/node.cert", tmpdir);
	snprintf(apath, sizeof(apath), "%s/auth.cert", tmpdir);
	snprintf(lpath, sizeof(lpath), "%s/site.crl", tmpdir);
	xmd_node_key_load(state, node_pk, &created, err, sizeof(err));
	snprintf(err, sizeof(err), "%s/node.key", state);
	if (xm_seckey_read(err, node_sk, NULL, NULL, false))
		abort();
	crypto_sign_keypair(auth_pk, auth_sk);
	auth = (struct xm_cert){ .kind = XM_CERT_AUTHORITY, .serial = 1,
				 .not_before = now - 3600,
				 .not_after = now + 10 * 86400 };
	strcpy(auth.site, "edge1");
	memcpy(auth.pubkey, auth_pk, XM_PUBKEY_LEN);
	cert_file("auth.cert", &auth, auth_sk);
	node = (struct xm_cert){ .kind = XM_CERT_NODE, .serial = 7,
				 .node_id = 7, .n_roles = 1,
				 .not_before = now - 3600,
				 .not_after = now + 86400 };
	strcpy(node.site, "edge1");
	strcpy(node.zone, "rack-a");
	strcpy(node.roles[0], "gpu");
	memcpy(node.pubkey, node_pk, XM_PUBKEY_LEN);
	cert_file("node.cert", &node, auth_sk);

	kx = xmd_kx_load(state, cpath, apath, "", 60, 5000, now, err,
			 sizeof(err));
	ok(kx && xm_kx_cert(kx)->node_id == 7,
	   "certificates: the node's key, certificate and authority load (%s)",
	   kx ? "" : err);
	xmd_caps_from_cert(&caps, xm_kx_cert(kx));
	ok(!strcmp(caps.zone, "rack-a") && caps.n_roles == 1 &&
	   !strcmp(caps.roles[0], "gpu"),
	   "certificates: zone and roles from the certificate");
	xm_kx_free(kx);

	other = node;
	crypto_sign_ed25519_sk_to_pk(other.pubkey, auth_sk);	/* not ours */
	cert_file("node.cert", &other, auth_sk);
	kx = xmd_kx_load(state, cpath, apath, "", 0, 0, now, err, sizeof(err));
	ok(!kx && strstr(err, "key_mismatch") &&
	   strstr(err, "not for this node's key"),
	   "certificates: one for another key refused (%s)", err);
	cert_file("node.cert", &node, auth_sk);

	kx = xmd_kx_load(state, cpath, "/nonexistent/auth.cert", "", 0, 0,
			 now, err, sizeof(err));
	ok(!kx && strstr(err, "/nonexistent/auth.cert"),
	   "certificates: a missing file named (%s)", err);
	kx = xmd_kx_load(state, cpath, apath, "", 0, 0, now + 2 * 86400, err,
			 sizeof(err));
	ok(!kx && strstr(err, "expired"),
	   "certificates: an expired certificate refused (%s)", err);

	crl = (struct xm_crl){ .version = 1, .issued = now };
	strcpy(crl.site, "edge1");
	xm_crl_add(&crl, 7);
	if (xm_crl_sign(&crl, auth_sk) ||
	    !xm_crl_text(&crl, text, sizeof(text)))
		abort();
	write_file("site.crl", text);
	kx = xmd_kx_load(state, cpath, apath, lpath, 0, 0, now, err,
			 sizeof(err));
	ok(!kx && strstr(err, "revoked"),
	   "certificates: a revoked certificate refused (%s)", err);
	is_int(xmd_crl_load(lpath, &crl, err, sizeof(err)), 0,
	       "certificates: the list loads");
	write_file("site.crl", "not a list\n");
	ok(xmd_crl_load(lpath, &crl, err, sizeof(err)) == -1 &&
	   strstr(err, "malformed"), "certificates: a bad list refused (%s)",
	   err);
	sodium_memzero(node_sk, sizeof(node_sk));
	sodium_memzero(auth_sk, sizeof(auth_sk));
	remove_file("site.crl");
	remove_file("node.cert");
	remove_file("auth.cert");
	remove_file("kxstate/node.key");
	rmdir(state);
}

/* ---- secrets: locked copies, no core dumps (last: the process stays
 * not dumpable) ---- */

static void secrets(void)
{
	uint8_t key[XM_SECKEY_LEN];
	struct rlimit rl;
	uint8_t *p;

	memset(key, 0x5a, sizeof(key));
	p = xmd_secret_dup(key, sizeof(key));
	ok(p && p != key && !memcmp(p, key, sizeof(key)),
	   "secret: copied into memory of its own");
	xmd_secret_free(p);
	xmd_secret_free(NULL);
	ok(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1,
	   "no core dumps: dumpable before");
	is_int(xmd_no_core_dumps(), 0, "no core dumps: set");
	is_int(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0,
	       "no core dumps: not dumpable (PR_SET_DUMPABLE 0)");
	ok(!getrlimit(RLIMIT_CORE, &rl) && rl.rlim_cur == 0 &&
	   rl.rlim_max == 0, "no core dumps: RLIMIT_CORE 0");
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	caps();
	caps_override();
	keys();
	certificates();
	rtnl();
	datagram();
	links();
	speed();
	hostroutes();
	core_accepts();
	boot_id();
	probe_deferred();
	rmdir(tmpdir);
	secrets();
	return tap_done();
}
