// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh gate show: the XDP first gate's counters (agent/bpf/gate.h) on
 * each interface it is attached to.
 *
 * They are read from the kernel directly: the program attached to each
 * interface of this network namespace is found by its XDP id and its
 * counter map by name. So the agent's control protocol needs nothing
 * new, and the counters are there while the agent hangs or restarts,
 * without a bpffs mount (which `ip netns exec` would hide anyway).
 * Reading them needs the privileges of bpftool (CAP_SYS_ADMIN).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../bpf/gate.h"
#include "tool.h"

static const char *const verdict_keys[XMG_N_VERDICTS] = {
	[XMG_DATA_PASSED] = "data_passed",
	[XMG_DATA_DROPPED] = "data_dropped",
	[XMG_AGENT_PASSED] = "agent_passed",
	[XMG_HELLO_PASSED] = "hello_passed",
	[XMG_HELLO_DROPPED] = "hello_dropped",
	[XMG_OTHER] = "other",
};

static const char *const verdict_labels[XMG_N_VERDICTS] = {
	[XMG_DATA_PASSED] = "data passed",
	[XMG_DATA_DROPPED] = "dropped",
	[XMG_AGENT_PASSED] = "agent passed",
	[XMG_HELLO_PASSED] = "hello passed",
	[XMG_HELLO_DROPPED] = "dropped",
	[XMG_OTHER] = "other",
};

void usage_gate(FILE *fp)
{
	fputs("Usage: xmesh gate show [ dev IFNAME ]\n"
	      "The XDP first gate xmeshd attaches to underlay interfaces:\n"
	      "its mode, neighbors and per-verdict counters.\n", fp);
}

struct gate_view {
	uint32_t prog_id;
	const char *mode;
	int stats_fd, neighs_fd;
};

/* The gate attached to ifindex: 1 when there is one, 0 if not, -errno. */
static int gate_find(uint32_t ifindex, struct gate_view *v)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info;
	uint32_t ids[16], len, i;
	int fd, err = 0;

	v->stats_fd = v->neighs_fd = -1;
	if (bpf_xdp_query((int)ifindex, 0, &q))
		return -errno;
	if (!q.prog_id)
		return 0;
	fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (uint64_t)(uintptr_t)ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	close(fd);
	if (err)
		return err;
	if (strcmp(info.name, XMG_PROG_NAME))
		return 0;
	v->prog_id = q.prog_id;
	v->mode = q.attach_mode == XDP_ATTACHED_SKB ? "generic" :
		  q.attach_mode == XDP_ATTACHED_DRV ? "native" : "other";
	for (i = 0; i < info.nr_map_ids && i < sizeof(ids) / sizeof(ids[0]);
	     i++) {
		struct bpf_map_info m;

		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		memset(&m, 0, sizeof(m));
		len = sizeof(m);
		if (!bpf_obj_get_info_by_fd(fd, &m, &len) &&
		    !strcmp(m.name, XMG_STATS_NAME) && v->stats_fd < 0)
			v->stats_fd = fd;
		else if (!strcmp(m.name, XMG_NEIGHS_NAME) && v->neighs_fd < 0)
			v->neighs_fd = fd;
		else
			close(fd);
	}
	return v->stats_fd < 0 ? -ENOENT : 1;
}

/* A verdict's count, summed over the CPUs. */
static uint64_t gate_count(int fd, uint32_t verdict, int cpus)
{
	uint64_t *v = calloc((size_t)cpus, sizeof(*v)), sum = 0;
	int i;

	if (v && !bpf_map_lookup_elem(fd, &verdict, v))
		for (i = 0; i < cpus; i++)
			sum += v[i];
	free(v);
	return sum;
}

static uint64_t gate_neighs(int fd)
{
	struct xmg_neigh_key k, next;
	uint64_t n = 0;
	void *prev = NULL;

	while (fd >= 0 && !bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

static void gate_print(struct out *o, const struct if_nameindex *ifi,
		       const struct gate_view *v, int cpus)
{
	uint32_t i;

	out_obj_begin(o, NULL);
	out_uint(o, "ifindex", NULL, ifi->if_index);
	out_str(o, "ifname", NULL, ifi->if_name);
	out_text(o, "%s:", ifi->if_name);
	out_str(o, "mode", "mode", v->mode);
	out_uint(o, "prog_id", "prog", v->prog_id);
	out_uint(o, "neighbors", "neighbors", gate_neighs(v->neighs_fd));
	out_nl(o);
	out_text(o, "    ");
	out_obj_begin(o, "counters");
	for (i = 0; i < XMG_N_VERDICTS; i++)
		out_uint(o, verdict_keys[i], verdict_labels[i],
			 gate_count(v->stats_fd, i, cpus));
	out_obj_end(o);
	out_nl(o);
	out_obj_end(o);
}

static int gate_show(struct ctx *c, int argc, char **argv)
{
	struct if_nameindex *ifs, *ifi;
	const char *dev = NULL;
	int cpus, ret = XM_EXIT_OK, err;

	for (; argc > 0; argc--, argv++) {
		if (is_help(argv[0]))
			return xm_status(arg_unknown(argv[0], usage_gate));
		if (strcmp(argv[0], "dev"))
			return arg_unknown(argv[0], usage_gate);
		if (!next_arg(&argc, &argv))
			return XM_EXIT_USAGE;
		if (dev)
			return arg_dup("dev");
		if (arg_ifname("interface", argv[0]))
			return XM_EXIT_USAGE;
		dev = argv[0];
	}
	if (dev && !if_nametoindex(dev)) {
		pr_err("no interface \"%s\".", dev);
		return XM_EXIT_FAIL;
	}
	cpus = libbpf_num_possible_cpus();
	ifs = if_nameindex();
	if (!ifs || cpus < 1) {
		pr_err("listing the interfaces: %s.", strerror(errno));
		return XM_EXIT_FAIL;
	}
	out_list_begin(&c->out);
	for (ifi = ifs; ifi->if_index; ifi++) {
		struct gate_view v;

		if (dev && strcmp(dev, ifi->if_name))
			continue;
		err = gate_find(ifi->if_index, &v);
		if (err < 0 && err != -ENOENT) {
			pr_err("%s: reading its XDP program: %s.",
			       ifi->if_name, strerror(-err));
			ret = XM_EXIT_FAIL;
		}
		if (err > 0)
			gate_print(&c->out, ifi, &v, cpus);
		if (v.stats_fd >= 0)
			close(v.stats_fd);
		if (v.neighs_fd >= 0)
			close(v.neighs_fd);
	}
	out_list_end(&c->out);
	if_freenameindex(ifs);
	return ret;
}

static const struct cmd gate_cmds[] = {
	{ "show", "list ls lst", gate_show, CMD_RUN },
	{ NULL, NULL, NULL, CMD_RUN },
};

int do_gate(struct ctx *c, int argc, char **argv)
{
	return cmd_dispatch(c, gate_cmds, "gate command", "show", usage_gate,
			    argc, argv);
}
