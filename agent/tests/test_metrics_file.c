// SPDX-License-Identifier: GPL-2.0
/*
 * xmeshd's Prometheus file (daemon/metrics.c): the text of a made-up core
 * with known counters and 2 or 300 neighbors (one # TYPE per family, its
 * samples together, the values, the cap at 256 neighbors with the rest
 * counted, label values escaped), the file replaced atomically or an
 * error returned, and the main loop's timer: a failure said once per
 * error, counted every time.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "tap.h"
#include "../daemon/metrics.h"
#include "../daemon/xmeshd.h"

#define SELF	7

static struct {
	struct xm_core_stats stats;
	struct xm_neigh_status neighs[300];
	size_t n_neighs;
} fk;

static uint32_t f_node_id(const struct xm_core *c)
{
	(void)c;
	return SELF;
}

static const struct xm_core_stats *f_stats(const struct xm_core *c)
{
	(void)c;
	return &fk.stats;
}

static bool f_neigh(const struct xm_core *c, size_t i,
		    struct xm_neigh_status *o)
{
	(void)c;
	if (i >= fk.n_neighs)
		return false;
	*o = fk.neighs[i];
	return true;
}

/* The renderer reads no more of the core than these. */
static const struct xmd_ctl_ops fake_ops = {
	.node_id = f_node_id, .stats = f_stats, .neigh = f_neigh,
};

/* Link 99 has a name that needs every escape; the others none known. */
static void f_ifname(void *arg, uint32_t ifindex, char name[IF_NAMESIZE])
{
	(void)arg;
	if (ifindex == 99)
		snprintf(name, IF_NAMESIZE, "a\"b\\c\nd");
	else if (ifindex == 2)
		snprintf(name, IF_NAMESIZE, "eth1");
}

static struct xmd_stats stats;

static void fill_stats(void)
{
	size_t i;

	for (i = 0; i < xmd_n_stat_names; i++)
		*(uint64_t *)((char *)&stats + xmd_stat_names[i].off) =
			1000 + i;
	for (i = 0; i < xmd_n_core_stat_names; i++)
		*(uint64_t *)((char *)&fk.stats +
			      xmd_core_stat_names[i].off) = 2000 + i;
}

static struct xmd_metrics_view view(const struct xm_dev *dev)
{
	return (struct xmd_metrics_view){
		.core = (const struct xm_core *)&fk, .ops = &fake_ops,
		.version = "0.1.0", .stats = &stats, .dev = dev,
		.ifname = f_ifname,
	};
}

/* The text of v (malloc'd). */
static char *render(const struct xmd_metrics_view *v)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	xmd_metrics_write(f, v);
	fclose(f);
	return text;
}

/* Lines that start with prefix. */
static size_t count(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);
	const char *l;

	for (l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		n += !strncmp(l, prefix, len);
	return n;
}

/* The n-th (from 0) line that starts with prefix (malloc'd), or NULL. */
static char *nth_line(const char *text, const char *prefix, size_t n)
{
	size_t len = strlen(prefix);
	const char *l;

	for (l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, prefix, len) && !n--)
			return strndup(l, strcspn(l, "\n"));
	return NULL;
}

/* Whether the text has exactly this line. */
static bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && p[len] == '\n')
			return true;
		p++;
	}
	return false;
}

static bool line_ok(const char *text, const char *line)
{
	bool pass = has_line(text, line);

	ok(pass, "%s", line);
	return pass;
}

/*
 * The format's rules as Prometheus reads them: every sample under a
 * # TYPE of its name, given once per family, HELP just before it; a
 * family's samples all together (no sample of a family after another
 * family began). NULL, or what broke.
 */
static const char *format_check(const char *text, size_t *families)
{
	static char why[256];
	char *copy = strdup(text), *save = NULL, *l;
	char (*seen)[96] = calloc(1024, sizeof(*seen));
	char help[96] = "", cur[96] = "";
	size_t n = 0, i;
	const char *bad = NULL;

	for (l = strtok_r(copy, "\n", &save); l && !bad;
	     l = strtok_r(NULL, "\n", &save)) {
		char name[96], type[16];
		size_t len;

		if (sscanf(l, "# HELP %95s", name) == 1) {
			snprintf(help, sizeof(help), "%s", name);
			continue;
		}
		if (sscanf(l, "# TYPE %95s %15s", name, type) == 2) {
			for (i = 0; i < n; i++)
				if (!strcmp(seen[i], name))
					break;
			if (i < n || n == 1024) {
				snprintf(why, sizeof(why), "# TYPE %s twice",
					 name);
				bad = why;
			} else if (strcmp(help, name)) {
				snprintf(why, sizeof(why), "%s: no HELP"
					 " before its TYPE", name);
				bad = why;
			} else if (strcmp(type, "counter") &&
				   strcmp(type, "gauge")) {
				snprintf(why, sizeof(why), "%s: type %s",
					 name, type);
				bad = why;
			}
			snprintf(seen[n++], sizeof(seen[0]), "%s", name);
			snprintf(cur, sizeof(cur), "%s", name);
			continue;
		}
		len = strcspn(l, "{ ");
		if (l[0] == '#' || len >= sizeof(name) ||
		    strncmp(l, cur, len) || cur[len]) {
			snprintf(why, sizeof(why), "\"%.100s\" not under its"
				 " family's TYPE (%s)", l, cur);
			bad = why;
		}
	}
	free(copy);
	free(seen);
	*families = n;
	return bad;
}

static void format_ok(const char *text, const char *what)
{
	size_t families;
	const char *why = format_check(text, &families);

	if (!ok(!why, "%s: one TYPE per family, samples together (%zu"
		" families)", what, families))
		printf("#   %s\n", why);
}

static void counters(void)
{
	char line[160], *text;
	struct xmd_metrics_view v = view(NULL);
	size_t i, bad = 0;

	fk.n_neighs = 0;
	text = render(&v);
	format_ok(text, "no neighbors, no device");
	line_ok(text, "xmeshd_info{node=\"7\",version=\"0.1.0\"} 1");
	/* Every counter of the names tables, none listed by hand. */
	for (i = 0; i < xmd_n_stat_names; i++) {
		const struct xmd_stat_name *s = &xmd_stat_names[i];

		snprintf(line, sizeof(line), "xmeshd_%s%s{node=\"7\"} %zu",
			 s->key, s->gauge ? "" : "_total", 1000 + i);
		if (!has_line(text, line)) {
			printf("#   missing %s\n", line);
			bad++;
		}
	}
	is_int(bad, 0, "every agent counter, with its value");
	for (i = bad = 0; i < xmd_n_core_stat_names; i++) {
		snprintf(line, sizeof(line),
			 "xmeshd_core_%s_total{node=\"7\"} %zu",
			 xmd_core_stat_names[i].key, 2000 + i);
		if (!has_line(text, line)) {
			printf("#   missing %s\n", line);
			bad++;
		}
	}
	is_int(bad, 0, "every core counter, with its value");
	line_ok(text, "# TYPE xmeshd_udp_rx_total counter");
	line_ok(text, "# TYPE xmeshd_metrics_errors_total counter");
	/* Values now, not counts: no _total, typed gauge. */
	line_ok(text, "# TYPE xmeshd_policy_version gauge");
	line_ok(text, "# TYPE xmeshd_telemetry_buffered gauge");
	line_ok(text, "# TYPE xmeshd_mroutes_cut gauge");
	is_int(count(text, "xmeshd_policy_version_total"), 0,
	       "a gauge has no _total");
	line_ok(text, "# TYPE xmeshd_core_spf_runs_total counter");
	line_ok(text, "xmeshd_neighbors{node=\"7\",state=\"up\"} 0");
	line_ok(text, "xmeshd_metrics_omitted{node=\"7\",kind=\"neighbors\"} 0");
	is_int(count(text, "xmeshd_neighbor_up{"), 0, "no neighbor series");
	is_int(count(text, "xmesh_dev_"), 0,
	       "no device series without the device");
	free(text);
}

static void set_neigh(size_t i, uint32_t node, uint32_t ifindex,
		      enum xm_neigh_state state, uint32_t srtt_us,
		      uint32_t loss_ppm)
{
	fk.neighs[i] = (struct xm_neigh_status){
		.id = (uint32_t)i + 1, .node = node, .ifindex = ifindex,
		.state = state, .srtt_us = srtt_us, .loss_ppm = loss_ppm,
	};
}

static void two_neighbors(void)
{
	struct xmd_metrics_view v = view(NULL);
	char *text;

	fk.n_neighs = 2;
	set_neigh(0, 3, 2, XM_NEIGH_UP, 412, 2500);
	set_neigh(1, 4, 99, XM_NEIGH_TWOWAY, 0, 0);
	text = render(&v);
	format_ok(text, "2 neighbors");
	line_ok(text, "xmeshd_neighbors{node=\"7\",state=\"init\"} 0");
	line_ok(text, "xmeshd_neighbors{node=\"7\",state=\"two-way\"} 1");
	line_ok(text, "xmeshd_neighbors{node=\"7\",state=\"up\"} 1");
	line_ok(text, "xmeshd_neighbors{node=\"7\",state=\"holddown\"} 0");
	line_ok(text, "xmeshd_neighbor_up{node=\"7\",peer=\"3\",id=\"1\",ifname=\"eth1\"} 1");
	line_ok(text, "xmeshd_neighbor_rtt_seconds{node=\"7\",peer=\"3\",id=\"1\",ifname=\"eth1\"} 0.000412");
	line_ok(text, "xmeshd_neighbor_loss_ratio{node=\"7\",peer=\"3\",id=\"1\",ifname=\"eth1\"} 0.0025");
	/* \\, \" and \n escaped in the value. */
	line_ok(text, "xmeshd_neighbor_up{node=\"7\",peer=\"4\",id=\"2\",ifname=\"a\\\"b\\\\c\\nd\"} 0");
	/* The one down first. */
	ok(strstr(text, "xmeshd_neighbor_up{node=\"7\",peer=\"4\"") <
	   strstr(text, "xmeshd_neighbor_up{node=\"7\",peer=\"3\""),
	   "the neighbor down is listed first");
	line_ok(text, "xmeshd_metrics_omitted{node=\"7\",kind=\"neighbors\"} 0");
	free(text);
	/* One peer heard at two addresses on one link: two series, told
	 * apart by the adjacency's id (else node_exporter refuses the
	 * file). */
	set_neigh(1, 3, 2, XM_NEIGH_UP, 500, 0);
	text = render(&v);
	format_ok(text, "one peer twice");
	line_ok(text, "xmeshd_neighbor_up{node=\"7\",peer=\"3\",id=\"1\",ifname=\"eth1\"} 1");
	line_ok(text, "xmeshd_neighbor_up{node=\"7\",peer=\"3\",id=\"2\",ifname=\"eth1\"} 1");
	free(text);

	v.version = "1\"\\";
	text = render(&v);
	line_ok(text, "xmeshd_info{node=\"7\",version=\"1\\\"\\\\\"} 1");
	free(text);
}

static void many_neighbors(void)
{
	struct xmd_metrics_view v = view(NULL);
	char line[160], *text, *nth;
	size_t i;

	/* 300: 10 in holddown, 290 up losing i * 10 ppm, listed by an
	 * unknown link (named by its index). */
	fk.n_neighs = 300;
	for (i = 0; i < 300; i++)
		set_neigh(i, 100 + (uint32_t)i, 5, i < 10 ? XM_NEIGH_HOLDDOWN :
			  XM_NEIGH_UP, 1000, (uint32_t)i * 10);
	text = render(&v);
	format_ok(text, "300 neighbors");
	is_int(count(text, "xmeshd_neighbor_up{"), 256,
	       "256 neighbor_up series");
	is_int(count(text, "xmeshd_neighbor_rtt_seconds{"), 256,
	       "256 neighbor_rtt_seconds series");
	is_int(count(text, "xmeshd_neighbor_loss_ratio{"), 256,
	       "256 neighbor_loss_ratio series");
	line_ok(text, "xmeshd_metrics_omitted{node=\"7\",kind=\"neighbors\"} 44");
	line_ok(text, "xmeshd_neighbors{node=\"7\",state=\"up\"} 290");
	line_ok(text, "xmeshd_neighbors{node=\"7\",state=\"holddown\"} 10");
	is_int(count(text, "xmeshd_neighbor_up{node=\"7\",peer=\"10"), 10,
	       "every neighbor down listed (peers 100 to 109)");
	/* Down first, each kind the lossiest first. */
	nth = nth_line(text, "xmeshd_neighbor_up{", 0);
	is_str(nth, "xmeshd_neighbor_up{node=\"7\",peer=\"109\",id=\"10\",ifname=\"if5\"} 0",
	       "the first listed: the lossiest down");
	free(nth);
	nth = nth_line(text, "xmeshd_neighbor_up{", 9);
	is_str(nth, "xmeshd_neighbor_up{node=\"7\",peer=\"100\",id=\"1\",ifname=\"if5\"} 0",
	       "the 10th: the last one down");
	free(nth);
	nth = nth_line(text, "xmeshd_neighbor_up{", 10);
	is_str(nth, "xmeshd_neighbor_up{node=\"7\",peer=\"399\",id=\"300\",ifname=\"if5\"} 1",
	       "the 11th: the lossiest up");
	free(nth);
	line_ok(text, "xmeshd_neighbor_loss_ratio{node=\"7\",peer=\"399\",id=\"300\",ifname=\"if5\"} 0.00299");
	/* The 246 up listed are 399 down to 154; 153 and below left out. */
	line_ok(text, "xmeshd_neighbor_up{node=\"7\",peer=\"154\",id=\"55\",ifname=\"if5\"} 1");
	snprintf(line, sizeof(line),
		 "xmeshd_neighbor_up{node=\"7\",peer=\"153\",id=\"54\",ifname=\"if5\"} 1");
	ok(!has_line(text, line), "the least lossy are left out (153)");
	free(text);
}

static void device(void)
{
	struct xm_dev dev = { 0 };
	struct xmd_metrics_view v;
	char *text;

	dev.counters_present = XM_BIT(XMESH_COUNTER_A_TX_BYTES) |
			       XM_BIT(XMESH_COUNTER_A_FWD_PACKETS);
	dev.counters[XMESH_COUNTER_A_TX_BYTES] = 123456789012ULL;
	dev.counters[XMESH_COUNTER_A_FWD_PACKETS] = 42;
	dev.drops_present = XM_BIT(XMESH_DROP_A_NO_ROUTE) |
			    XM_BIT(XMESH_DROP_A_HOP_LIMIT);
	dev.drops[XMESH_DROP_A_NO_ROUTE] = 3;
	fk.n_neighs = 0;
	v = view(&dev);
	text = render(&v);
	format_ok(text, "with the device");
	line_ok(text, "# TYPE xmesh_dev_tx_bytes_total counter");
	line_ok(text, "xmesh_dev_tx_bytes_total{node=\"7\"} 123456789012");
	line_ok(text, "xmesh_dev_fwd_packets_total{node=\"7\"} 42");
	is_int(count(text, "xmesh_dev_rx_bytes_total"), 0,
	       "a counter the module did not give: no series");
	line_ok(text, "# TYPE xmesh_dev_drops_total counter");
	line_ok(text, "xmesh_dev_drops_total{node=\"7\",reason=\"no_route\"} 3");
	line_ok(text, "xmesh_dev_drops_total{node=\"7\",reason=\"hop_limit\"} 0");
	is_int(count(text, "# TYPE xmesh_dev_drops_total"), 1,
	       "one TYPE for the drops, whatever the reasons");
	free(text);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t len = 0;
	int c;
	FILE *m;

	if (!f)
		return NULL;
	m = open_memstream(&text, &len);
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(m);
	fclose(f);
	return text;
}

static void f_put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* The names in dir but . and .. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static void file_write(void)
{
	char dir[] = "/tmp/xmesh-metrics.XXXXXX", path[128], tmp[140],
	     sub[128];
	struct xmd_metrics_view v = view(NULL);
	char *text, *want;
	struct stat st;
	int ret;

	if (!ok(mkdtemp(dir) != NULL, "a temporary directory"))
		return;
	snprintf(path, sizeof(path), "%s/xmeshd.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fk.n_neighs = 2;
	is_int(xmd_metrics_file_write(path, &v), 0, "written");
	text = slurp(path);
	want = render(&v);
	ok(text && !strcmp(text, want), "the file holds the text");
	free(text);
	ok(entries(dir) == 1, "no temporary file left");
	/* A link planted where a fixed temporary name would be is not
	 * followed: the file it points to stays as it was. */
	snprintf(sub, sizeof(sub), "%s/victim", dir);
	f_put(sub, "root's\n");
	ok(!symlink(sub, tmp) && !xmd_metrics_file_write(path, &v) &&
	   (text = slurp(sub)) && !strcmp(text, "root's\n"),
	   "a link planted at %s.tmp is not followed", "xmeshd.prom");
	free(text);
	unlink(tmp);
	unlink(sub);
	/* node_exporter's user reads it, whatever the agent's umask. */
	umask(0077);
	unlink(path);
	is_int(xmd_metrics_file_write(path, &v), 0, "written under umask 077");
	is_int(stat(path, &st) ? -1 : (long long)(st.st_mode & 07777), 0644,
	       "mode 0644 under umask 077");
	umask(0022);
	/* Replaced whole: a shorter text leaves nothing of the longer. */
	fk.n_neighs = 0;
	is_int(xmd_metrics_file_write(path, &v), 0, "written again");
	free(want);
	text = slurp(path);
	want = render(&v);
	ok(text && !strcmp(text, want), "the file holds the new text only");
	free(text);
	free(want);

	snprintf(sub, sizeof(sub), "%s/none/xmeshd.prom", dir);
	is_int(xmd_metrics_file_write(sub, &v), -ENOENT,
	       "a directory that is not there: -ENOENT");
	/* Written, but the rename over a directory fails: the temporary
	 * file goes. */
	snprintf(sub, sizeof(sub), "%s/adir", dir);
	mkdir(sub, 0700);
	ret = xmd_metrics_file_write(sub, &v);
	ok(ret == -EISDIR, "renamed over a directory: -EISDIR (%d)", ret);
	ok(entries(dir) == 2, "the temporary file removed after the error");
	rmdir(sub);
	unlink(path);
	rmdir(dir);
}

/* The timer's next expiry, dispatched as the main loop would; then the
 * one after at once, not an interval later. */
static bool fire(struct xmd *d)
{
	struct itimerspec soon = { .it_value = { .tv_nsec = 1000 },
				   .it_interval = { .tv_sec = 1 } };
	struct epoll_event ev;
	struct xmd_watch *w;

	if (epoll_wait(d->epfd, &ev, 1, 3000) != 1)
		return false;
	w = ev.data.ptr;
	w->fn(w, ev.events);
	return !timerfd_settime(w->fd, 0, &soon, NULL);
}

static size_t occurrences(const char *text, const char *word)
{
	size_t n = 0;

	for (; (text = strstr(text, word)); text++)
		n++;
	return n;
}

static void timer(void)
{
	char dir[] = "/tmp/xmesh-metrics-t.XXXXXX", good[128], sub[128];
	struct xm_core_config cc = { 0 };
	static struct xmd d;
	const char *log;
	bool fired;

	if (!ok(mkdtemp(dir) != NULL, "timer: a temporary directory"))
		return;
	cc.node_id = 9;
	cc.data_port = 7600;
	cc.boot_id = 1;
	snprintf(cc.caps.name, sizeof(cc.caps.name), "nine");
	xm_timers_default(&cc.timers);
	d.core = xm_core_new(&cc, 0);
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	xmd_config_default(&d.cfg);
	xmd_log_init(XMD_LOG_INFO, true);
	is_int(xmd_metrics_start(&d), 0, "timer: no metrics-file, nothing");
	ok(!d.metrics, "timer: ... and no timer");

	snprintf(good, sizeof(good), "%s/xmeshd.prom", dir);
	snprintf(d.cfg.metrics_file, sizeof(d.cfg.metrics_file), "%s", good);
	d.cfg.metrics_interval_ms = 1000;
	cap_begin();
	fired = !xmd_metrics_start(&d) && d.metrics && fire(&d);
	cap_end();
	ok(fired && d.stats.metrics_writes == 1 && !d.stats.metrics_errors &&
	   !access(good, R_OK), "timer: the file written after a second");

	/* The same error three times: said once, counted thrice. */
	snprintf(d.cfg.metrics_file, sizeof(d.cfg.metrics_file),
		 "%s/none/xmeshd.prom", dir);
	cap_begin();
	fired = fire(&d) && fire(&d) && fire(&d);
	log = cap_end();
	is_int(d.stats.metrics_errors, 3, "timer: three failures counted");
	ok(fired && occurrences(log, "No such file or directory") == 1,
	   "timer: said once");
	/* Another error: said again. */
	snprintf(sub, sizeof(sub), "%s/adir", dir);
	mkdir(sub, 0700);
	snprintf(d.cfg.metrics_file, sizeof(d.cfg.metrics_file), "%s", sub);
	cap_begin();
	fired = fire(&d) && fire(&d);
	log = cap_end();
	ok(fired && d.stats.metrics_errors == 5 &&
	   occurrences(log, "Is a directory") == 1,
	   "timer: another error said once more");
	/* Written again: said, and counted as a write. */
	snprintf(d.cfg.metrics_file, sizeof(d.cfg.metrics_file), "%s", good);
	cap_begin();
	fired = fire(&d);
	log = cap_end();
	ok(fired && strstr(log, "written again") &&
	   d.stats.metrics_writes == 2 && d.stats.metrics_errors == 5,
	   "timer: the recovery said, the write counted");
	xmd_metrics_stop(&d);
	ok(!d.metrics, "timer: stopped");
	xm_core_free(d.core);
	close(d.epfd);
	rmdir(sub);
	unlink(good);
	rmdir(dir);
}

int main(void)
{
	fill_stats();
	counters();
	two_neighbors();
	many_neighbors();
	device();
	file_write();
	timer();
	printf("1..%d\n", tap_n);
	return tap_done();
}
