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
#include <sys/socket.h>
#include <unistd.h>

#include "../bpf/gate_query.h"
#include "gate.skel.h"
#include "log.h"

#define GATE_LINKS	64		/* interfaces attached at once */

struct xmd_gate {
	struct gate *skel;		/* NULL: adopted, fds by id */
	int prog_fd, neighs_fd, conf_fd;
	uint32_t prog_id;
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

/*
 * The gate of our version a previous agent left attached to an interface
 * of this network namespace: take its program and maps, neighbors and
 * counters as they are. 0, or -ENOENT if there is none.
 */
static void fds_close(struct xmd_gate *g)
{
	if (g->prog_fd >= 0)
		close(g->prog_fd);
	if (g->neighs_fd >= 0)
		close(g->neighs_fd);
	if (g->conf_fd >= 0)
		close(g->conf_fd);
	g->prog_fd = g->neighs_fd = g->conf_fd = -1;
}

static int adopt(struct xmd_gate *g)
{
	struct if_nameindex *ifs, *ifi;
	uint32_t id = 0;
	uint8_t mode = 0;
	bool found = false;

	ifs = if_nameindex();
	if (!ifs)
		return -errno;
	for (ifi = ifs; !found && ifi->if_index; ifi++)
		found = xmg_gate_find(ifi->if_index, &id, &mode) == 1 &&
			xmg_prog_version(id) == XMG_VERSION;
	if_freenameindex(ifs);
	if (!found)
		return -ENOENT;
	g->prog_fd = bpf_prog_get_fd_by_id(id);
	g->neighs_fd = xmg_prog_map(id, XMG_NEIGHS_NAME);
	g->conf_fd = xmg_prog_map(id, XMG_CONF_NAME);
	if (g->prog_fd < 0 || g->neighs_fd < 0 || g->conf_fd < 0) {
		fds_close(g);
		return -ENOENT;
	}
	g->prog_id = id;
	/* Its map is the previous agent's: reconciled at the first set. */
	g->resync = true;
	return 0;
}

static int load(struct xmd_gate *g)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	g->skel = gate__open_and_load();
	if (!g->skel)
		return -errno;
	g->prog_fd = bpf_program__fd(g->skel->progs.xmesh_gate);
	g->neighs_fd = bpf_map__fd(g->skel->maps.xmg_neighs);
	g->conf_fd = bpf_map__fd(g->skel->maps.xmg_conf);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(g->prog_fd, &info, &len))
		return -errno;
	g->prog_id = info.id;
	return 0;
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
	int cpus, err;
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
	g->prog_fd = g->neighs_fd = g->conf_fd = -1;
	if (adopt(g)) {
		err = load(g);
		if (err) {
			snprintf(why, whylen, "loading the XDP program: %s",
				 strerror(-err));
			xmd_gate_free(g);
			return NULL;
		}
	}
	if (bpf_map_update_elem(g->conf_fd, &zero, &conf, BPF_ANY)) {
		snprintf(why, whylen, "setting it up: %s", strerror(errno));
		xmd_gate_free(g);
		return NULL;
	}
	return g;
}

bool xmd_gate_adopted(const struct xmd_gate *g)
{
	return !g->skel;
}

int xmd_gate_attach(struct xmd_gate *g, uint32_t ifindex, const char **mode)
{
	static const uint32_t modes[] = { XDP_FLAGS_DRV_MODE,
					  XDP_FLAGS_SKB_MODE };
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);
	uint32_t id = 0, flags;
	uint8_t amode = 0;
	size_t i;
	int err, fd;

	for (i = 0; i < g->n_links; i++)
		if (g->links[i].ifindex == ifindex) {
			*mode = g->links[i].flags == XDP_FLAGS_SKB_MODE ?
				"generic" : "native";
			return 0;
		}
	if (g->n_links == GATE_LINKS)
		return -ENOSPC;
	err = xmg_gate_find(ifindex, &id, &amode);
	if (err < 0)
		return err;
	if (err) {
		/* Ours already (adopted), or another gate: replaced in one
		 * step, never detached, which would lose frames (veth
		 * drops those in flight when XDP goes on or off). */
		flags = xmg_mode_flags(amode);
		if (id != g->prog_id) {
			fd = bpf_prog_get_fd_by_id(id);
			if (fd < 0)
				return -errno;
			o.old_prog_fd = fd;
			err = bpf_xdp_attach((int)ifindex, g->prog_fd,
					     flags | XDP_FLAGS_REPLACE, &o) ?
			      -errno : 0;
			close(fd);
			if (err)
				return err;
		}
		g->links[g->n_links].ifindex = ifindex;
		g->links[g->n_links++].flags = flags;
		*mode = id != g->prog_id ?
			(flags == XDP_FLAGS_SKB_MODE ? "generic, replaced" :
						       "native, replaced") :
			(flags == XDP_FLAGS_SKB_MODE ? "generic, kept" :
						       "native, kept");
		return 0;
	}
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (!bpf_xdp_attach((int)ifindex, g->prog_fd,
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
	LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = g->prog_fd);
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

	while (!bpf_map_get_next_key(g->neighs_fd, prev, &next)) {
		k = next;
		if (!bsearch(&k, want, n, sizeof(k), key_cmp)) {
			if (bpf_map_delete_elem(g->neighs_fd, &k))
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
			if (bpf_map_delete_elem(g->neighs_fd, &g->have[i]) &&
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
		if (bpf_map_update_elem(g->neighs_fd, &want[i], &one, BPF_ANY))
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
	free(g->have);
	free(g);
}
