// SPDX-License-Identifier: GPL-2.0
/* The XDP first gate: loading, attaching, its neighbor map (gate.h). */
#include "gate.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "../bpf/gate_query.h"
#include "config.h"
#include "gate.skel.h"
#include "log.h"

#define GATE_LINKS	64		/* interfaces attached at once */

struct xmd_gate {
	struct gate *skel;		/* NULL: adopted, fds of its own */
	int fd[XMG_N_PINS];		/* program and maps, by enum xmg_pin */
	uint32_t prog_id;
	bool adopted;
	/* A gate of another version found pinned: replaced on each link. */
	int old_prog_fd;
	uint32_t old_prog_id;
	char pin_dir[XMD_PATH_MAX];	/* "": no pins */
	size_t n_links;
	struct {
		uint32_t ifindex;
		uint32_t flags;		/* XDP_FLAGS_*_MODE it is in */
	} links[GATE_LINKS];
	/* What the neighbor map holds, sorted; resync: it may hold more. */
	struct xmg_neigh_key *have;
	size_t n_have;
	bool resync;
};

/* libbpf's own messages (verifier logs...) at debug level. */
static int libbpf_log(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	char line[512];

	if (level == LIBBPF_DEBUG || !xmd_log_enabled(XMD_LOG_DEBUG))
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	xmd_debug("libbpf: %s", line);
	return 0;
}

static void fds_close(struct xmd_gate *g)
{
	int p;

	for (p = 0; p < XMG_N_PINS; p++) {
		if (g->fd[p] >= 0)
			close(g->fd[p]);
		g->fd[p] = -1;
	}
}

static uint32_t prog_id_of(int fd)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static int version_of(int conf_fd)
{
	struct xmg_conf c;
	uint32_t zero = 0;

	memset(&c, 0, sizeof(c));
	return bpf_map_lookup_elem(conf_fd, &zero, &c) ? -errno :
							 (int)c.version;
}

/*
 * The gate pinned in g->pin_dir: adopted if of this version (0), else its
 * program kept aside to be replaced and its pins removed (-ENOENT, like
 * no pins at all).
 */
static int adopt_pinned(struct xmd_gate *g)
{
	char path[XMD_PATH_MAX + 32];
	int p, version;

	for (p = 0; p < XMG_N_PINS; p++) {
		if (xmg_pin_path(g->pin_dir, (enum xmg_pin)p, path,
				 sizeof(path)))
			break;
		g->fd[p] = bpf_obj_get(path);
		if (g->fd[p] < 0)
			break;
	}
	if (p < XMG_N_PINS) {
		fds_close(g);
		return -ENOENT;
	}
	g->prog_id = prog_id_of(g->fd[XMG_PIN_PROG]);
	version = version_of(g->fd[XMG_PIN_CONF]);
	if (version == XMG_VERSION && g->prog_id)
		return 0;
	xmd_info("gate: replacing the pinned gate of version %d", version);
	g->old_prog_fd = g->fd[XMG_PIN_PROG];
	g->old_prog_id = g->prog_id;
	g->fd[XMG_PIN_PROG] = -1;
	fds_close(g);
	xmg_unpin(g->pin_dir);
	return -ENOENT;
}

/*
 * The gate of this version a previous agent left attached to an interface
 * of this network namespace, found without pins: 0, or -ENOENT.
 */
static int adopt_attached(struct xmd_gate *g)
{
	struct if_nameindex *ifs, *ifi;
	uint32_t id = 0;
	uint8_t mode = 0;
	bool found = false;
	int p;

	ifs = if_nameindex();
	if (!ifs)
		return -errno;
	for (ifi = ifs; !found && ifi->if_index; ifi++)
		found = xmg_gate_find(ifi->if_index, &id, &mode) == 1 &&
			xmg_prog_version(id) == XMG_VERSION;
	if_freenameindex(ifs);
	if (!found)
		return -ENOENT;
	g->fd[XMG_PIN_PROG] = bpf_prog_get_fd_by_id(id);
	for (p = XMG_PIN_PROG + 1; p < XMG_N_PINS; p++)
		g->fd[p] = xmg_prog_map(id, xmg_pin_name((enum xmg_pin)p));
	for (p = 0; p < XMG_N_PINS; p++)
		if (g->fd[p] < 0) {
			fds_close(g);
			return -ENOENT;
		}
	g->prog_id = id;
	return 0;
}

static int load(struct xmd_gate *g)
{
	g->skel = gate__open_and_load();
	if (!g->skel)
		return -errno;
	/* Not closed by fds_close(): the skeleton's. */
	g->fd[XMG_PIN_PROG] = bpf_program__fd(g->skel->progs.xmesh_gate);
	g->fd[XMG_PIN_NEIGHS] = bpf_map__fd(g->skel->maps.xmg_neighs);
	g->fd[XMG_PIN_CONF] = bpf_map__fd(g->skel->maps.xmg_conf);
	g->fd[XMG_PIN_STATS] = bpf_map__fd(g->skel->maps.xmg_stats);
	g->prog_id = prog_id_of(g->fd[XMG_PIN_PROG]);
	return g->prog_id ? 0 : -EIO;
}

static bool on_bpffs(const char *path)
{
	struct statfs s;

	return !statfs(path, &s) && s.f_type == BPF_FS_MAGIC;
}

/*
 * Make g->pin_dir under root, on a bpffs (mounted on /sys/fs/bpf if it is
 * not there yet): 0, or -errno (then no pins).
 */
static int pin_dir_make(const struct xmd_gate *g, const char *root)
{
	char parent[XMD_PATH_MAX];
	char *slash;

	if (!strncmp(root, "/sys/fs/bpf", 11) && !on_bpffs("/sys/fs/bpf") &&
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		xmd_debug("gate: mounting a bpffs on /sys/fs/bpf: %s",
			  strerror(errno));
	snprintf(parent, sizeof(parent), "%s", root);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (!on_bpffs(root) && on_bpffs(parent) && mkdir(root, 0700) &&
	    errno != EEXIST)
		return -errno;
	if (!on_bpffs(root))
		return -ENOTSUP;
	if (mkdir(g->pin_dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Pin what g holds: 0 or -errno (the pins then removed). */
static int pin(struct xmd_gate *g, const char *root)
{
	char path[XMD_PATH_MAX + 32];
	int p, err;

	err = pin_dir_make(g, root);
	for (p = 0; !err && p < XMG_N_PINS; p++) {
		err = xmg_pin_path(g->pin_dir, (enum xmg_pin)p, path,
				   sizeof(path));
		if (!err && bpf_obj_pin(g->fd[p], path) && errno != EEXIST)
			err = -errno;
	}
	if (err && p)
		xmg_unpin(g->pin_dir);
	return err;
}

struct xmd_gate *xmd_gate_new(const struct xmd_gate_conf *c, char *why,
			      size_t whylen)
{
	struct xmg_conf conf = {
		.data_port = htons(c->data_port),
		.agent_port = htons(c->agent_port),
		.version = XMG_VERSION,
	};
	struct xmd_gate *g;
	int cpus, err, p;
	uint32_t zero = 0;

	libbpf_set_print(libbpf_log);
	cpus = libbpf_num_possible_cpus();
	if (cpus < 1)
		cpus = 1;
	/* Each CPU has a bucket of its own: the rate is shared out. */
	if (c->hello_rate) {
		conf.hello_rate = c->hello_rate / (uint32_t)cpus;
		if (!conf.hello_rate)
			conf.hello_rate = 1;
		conf.hello_burst = conf.hello_rate;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(why, whylen, "%s", strerror(ENOMEM));
		return NULL;
	}
	for (p = 0; p < XMG_N_PINS; p++)
		g->fd[p] = -1;
	g->old_prog_fd = -1;
	if (c->pin_root && *c->pin_root &&
	    xmg_pin_dir(c->pin_root, g->pin_dir, sizeof(g->pin_dir)))
		g->pin_dir[0] = '\0';
	g->adopted = (g->pin_dir[0] && !adopt_pinned(g)) ||
		     !adopt_attached(g);
	if (!g->adopted) {
		err = load(g);
		if (err) {
			snprintf(why, whylen, "loading the XDP program: %s",
				 strerror(-err));
			xmd_gate_free(g);
			return NULL;
		}
	}
	if (g->pin_dir[0] && (err = pin(g, c->pin_root))) {
		xmd_debug("gate: no pins in %s: %s", g->pin_dir,
			  strerror(-err));
		g->pin_dir[0] = '\0';
	}
	/* An adopted map is the previous agent's: reconciled at the first
	 * set, never emptied first. */
	g->resync = g->adopted;
	if (bpf_map_update_elem(g->fd[XMG_PIN_CONF], &zero, &conf,
				BPF_ANY)) {
		snprintf(why, whylen, "setting it up: %s", strerror(errno));
		xmd_gate_free(g);
		return NULL;
	}
	return g;
}

bool xmd_gate_adopted(const struct xmd_gate *g)
{
	return g->adopted;
}

const char *xmd_gate_pin_dir(const struct xmd_gate *g)
{
	return g->pin_dir[0] ? g->pin_dir : NULL;
}

/*
 * Put ours in place of the gate old_id on ifindex, in one step, never
 * detached (veth drops the frames in flight when XDP goes on or off).
 */
static int replace(struct xmd_gate *g, uint32_t ifindex, uint32_t flags,
		   uint32_t old_id)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);
	uint32_t id = 0;
	uint8_t mode = 0;
	int fd, err;

	if (old_id == g->old_prog_id) {
		fd = dup(g->old_prog_fd);
	} else {
		/* Neither ours nor the pinned one: is it a gate? */
		err = xmg_gate_find(ifindex, &id, &mode);
		if (err <= 0)
			return err ? err : -EAGAIN;
		fd = bpf_prog_get_fd_by_id(id);
	}
	if (fd < 0)
		return -errno;
	o.old_prog_fd = fd;
	err = bpf_xdp_attach((int)ifindex, g->fd[XMG_PIN_PROG],
			     flags | XDP_FLAGS_REPLACE, &o) ? -errno : 0;
	close(fd);
	return err;
}

int xmd_gate_attach(struct xmd_gate *g, uint32_t ifindex, const char **mode)
{
	static const uint32_t modes[] = { XDP_FLAGS_DRV_MODE,
					  XDP_FLAGS_SKB_MODE };
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	uint32_t flags;
	size_t i;
	int err = 0;

	for (i = 0; i < g->n_links; i++)
		if (g->links[i].ifindex == ifindex) {
			*mode = g->links[i].flags == XDP_FLAGS_SKB_MODE ?
				"generic" : "native";
			return 0;
		}
	if (g->n_links == GATE_LINKS)
		return -ENOSPC;
	if (bpf_xdp_query((int)ifindex, 0, &q))
		return -errno;
	if (q.prog_id) {
		flags = xmg_mode_flags(q.attach_mode);
		if (q.prog_id != g->prog_id) {
			err = replace(g, ifindex, flags, q.prog_id);
			if (err)
				return err;
		}
		g->links[g->n_links].ifindex = ifindex;
		g->links[g->n_links++].flags = flags;
		*mode = q.prog_id != g->prog_id ?
			(flags == XDP_FLAGS_SKB_MODE ? "generic, replaced" :
						       "native, replaced") :
			(flags == XDP_FLAGS_SKB_MODE ? "generic, kept" :
						       "native, kept");
		return 0;
	}
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (!bpf_xdp_attach((int)ifindex, g->fd[XMG_PIN_PROG],
				    modes[i] | XDP_FLAGS_UPDATE_IF_NOEXIST,
				    NULL)) {
			g->links[g->n_links].ifindex = ifindex;
			g->links[g->n_links++].flags = modes[i];
			*mode = modes[i] == XDP_FLAGS_SKB_MODE ? "generic" :
								 "native";
			return 0;
		}
		err = -errno;
	}
	return err;
}

void xmd_gate_detach(struct xmd_gate *g, uint32_t ifindex)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o,
		    .old_prog_fd = g->fd[XMG_PIN_PROG]);
	size_t i;

	for (i = 0; i < g->n_links; i++) {
		if (g->links[i].ifindex != ifindex)
			continue;
		/* Only ours: a program someone put there since stays. */
		if (bpf_xdp_detach((int)ifindex, g->links[i].flags, &o) &&
		    errno != ENODEV)
			xmd_debug("gate: detaching from ifindex %u: %s",
				  ifindex, strerror(errno));
		g->links[i] = g->links[--g->n_links];
		return;
	}
}

int xmd_gate_remove(uint32_t ifindex)
{
	return xmg_gate_detach(ifindex);
}

int xmd_gate_unpin(const char *pin_root)
{
	char dir[XMD_PATH_MAX];
	int err;

	if (!pin_root || !*pin_root)
		return 0;
	err = xmg_pin_dir(pin_root, dir, sizeof(dir));
	return err ? err : xmg_unpin(dir);
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct xmg_neigh_key));
}

static void key_of(const struct xmd_gate_neigh *n, struct xmg_neigh_key *k)
{
	memset(k, 0, sizeof(*k));
	k->ifindex = n->ifindex;
	k->family = n->addr.family;
	memcpy(k->addr, n->addr.raw, n->addr.family == AF_INET ? 4 : 16);
}

/* Delete from the map every key that is not in want[0..n). */
static int purge(struct xmd_gate *g, const struct xmg_neigh_key *want,
		 size_t n, int *changes)
{
	struct xmg_neigh_key k, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(g->fd[XMG_PIN_NEIGHS], prev, &next)) {
		k = next;
		if (!bsearch(&k, want, n, sizeof(k), key_cmp)) {
			if (bpf_map_delete_elem(g->fd[XMG_PIN_NEIGHS], &k))
				return -errno;
			++*changes;
			prev = NULL;	/* start over: k is gone */
			continue;
		}
		prev = &k;
	}
	return errno == ENOENT ? 0 : -errno;
}

int xmd_gate_neighs_set(struct xmd_gate *g, const struct xmd_gate_neigh *v,
			size_t n)
{
	struct xmg_neigh_key *want;
	const uint8_t one = 1;
	size_t i, j, m;
	int changes = 0, err = 0;

	want = calloc(n ? n : 1, sizeof(*want));
	if (!want)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		key_of(&v[i], &want[i]);
	qsort(want, n, sizeof(*want), key_cmp);
	for (i = m = 0; i < n; i++)
		if (!m || key_cmp(&want[m - 1], &want[i]))
			want[m++] = want[i];

	if (g->resync) {
		err = purge(g, want, m, &changes);
		g->n_have = 0;
	} else {
		/* Both sorted: those only in have go, those only in want
		 * come. */
		for (i = j = 0; !err && i < g->n_have; i++) {
			while (j < m && key_cmp(&want[j], &g->have[i]) < 0)
				j++;
			if (j < m && !key_cmp(&want[j], &g->have[i]))
				continue;
			if (bpf_map_delete_elem(g->fd[XMG_PIN_NEIGHS], &g->have[i]) &&
			    errno != ENOENT)
				err = -errno;
			else
				changes++;
		}
	}
	for (i = 0; !err && i < m; i++) {
		if (bsearch(&want[i], g->have, g->n_have, sizeof(*want),
			    key_cmp))
			continue;
		if (bpf_map_update_elem(g->fd[XMG_PIN_NEIGHS], &want[i], &one, BPF_ANY))
			err = -errno;
		else
			changes++;
	}
	free(g->have);
	g->have = want;
	g->n_have = m;
	/* On failure the map is between the two: read it whole next time. */
	g->resync = err != 0;
	return err ? err : changes;
}

void xmd_gate_free(struct xmd_gate *g)
{
	if (!g)
		return;
	/* Links stay attached (XDP holds the program, the program its
	 * maps): the next agent adopts them. */
	if (g->skel)
		gate__destroy(g->skel);	/* its fds with it */
	else
		fds_close(g);
	if (g->old_prog_fd >= 0)
		close(g->old_prog_fd);
	free(g->have);
	free(g);
}
