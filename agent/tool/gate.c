// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh gate show: the XDP first gate (agent/bpf/gate.h): the interfaces
 * it is attached to, the neighbors it lets in on each, and its counters,
 * which are the program's, all its interfaces together.
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
	      "the links it is on (each with its mode and neighbors) and its\n"
	      "per-verdict counters, which all its links share.\n", fp);
}

/* One interface a gate is attached to. */
struct gate_link {
	uint32_t ifindex;
	char ifname[IF_NAMESIZE];
	uint32_t prog_id;
	const char *mode;
};

/*
 * The gate attached to ifindex: 1 and its program id and mode in *l, 0 if
 * there is none, -errno.
 */
static int gate_link_find(uint32_t ifindex, struct gate_link *l)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	int fd, err = 0;

	if (bpf_xdp_query((int)ifindex, 0, &q))
		return -errno;
	if (!q.prog_id)
		return 0;
	fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	close(fd);
	if (err || strcmp(info.name, XMG_PROG_NAME))
		return err;
	l->prog_id = q.prog_id;
	l->mode = q.attach_mode == XDP_ATTACHED_SKB ? "generic" :
		  q.attach_mode == XDP_ATTACHED_DRV ? "native" : "other";
	return 1;
}

/* The program's map named name (its fd), or -errno. */
static int gate_map(uint32_t prog_id, const char *name)
{
	struct bpf_prog_info info;
	uint32_t ids[16], len = sizeof(info), i;
	int fd, found = -ENOENT;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (uint64_t)(uintptr_t)ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		found = -errno;
	close(fd);
	for (i = 0; found == -ENOENT && i < info.nr_map_ids &&
		    i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct bpf_map_info m;

		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		memset(&m, 0, sizeof(m));
		len = sizeof(m);
		if (!bpf_obj_get_info_by_fd(fd, &m, &len) &&
		    !strcmp(m.name, name))
			found = fd;
		else
			close(fd);
	}
	return found;
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

/* The neighbors the gate lets in on ifindex. */
static uint64_t gate_neighs(int fd, uint32_t ifindex)
{
	struct xmg_neigh_key k, next;
	uint64_t n = 0;
	void *prev = NULL;

	while (fd >= 0 && !bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n += k.ifindex == ifindex;
	}
	return n;
}

/* One gate: the links it is on (those of links[] with its id), counters. */
static void gate_print(struct out *o, const struct gate_link *links,
		       size_t n, uint32_t prog_id, int cpus)
{
	int stats = gate_map(prog_id, XMG_STATS_NAME);
	int neighs = gate_map(prog_id, XMG_NEIGHS_NAME);
	uint32_t v;
	size_t i;

	out_obj_begin(o, NULL);
	out_uint(o, "prog_id", "gate: prog", prog_id);
	out_nl(o);
	out_arr_begin(o, "links");
	for (i = 0; i < n; i++) {
		if (links[i].prog_id != prog_id)
			continue;
		out_obj_begin(o, NULL);
		out_text(o, "    ");
		out_str(o, "ifname", "", links[i].ifname);
		out_uint(o, "ifindex", NULL, links[i].ifindex);
		out_str(o, "mode", "mode", links[i].mode);
		out_uint(o, "neighbors", "neighbors",
			 gate_neighs(neighs, links[i].ifindex));
		out_nl(o);
		out_obj_end(o);
	}
	out_arr_end(o);
	out_text(o, "    ");
	out_obj_begin(o, "counters");
	for (v = 0; v < XMG_N_VERDICTS; v++)
		out_uint(o, verdict_keys[v], verdict_labels[v],
			 stats >= 0 ? gate_count(stats, v, cpus) : 0);
	out_obj_end(o);
	out_nl(o);
	out_obj_end(o);
	if (stats >= 0)
		close(stats);
	if (neighs >= 0)
		close(neighs);
}

static int gate_show(struct ctx *c, int argc, char **argv)
{
	struct gate_link links[64];
	struct if_nameindex *ifs, *ifi;
	const char *dev = NULL;
	size_t n = 0, i, j;
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
	for (ifi = ifs; ifi->if_index && n < sizeof(links) / sizeof(links[0]);
	     ifi++) {
		if (dev && strcmp(dev, ifi->if_name))
			continue;
		err = gate_link_find(ifi->if_index, &links[n]);
		if (err < 0) {
			pr_err("%s: reading its XDP program: %s.",
			       ifi->if_name, strerror(-err));
			ret = XM_EXIT_FAIL;
		} else if (err) {
			links[n].ifindex = ifi->if_index;
			snprintf(links[n].ifname, sizeof(links[n].ifname), "%s",
				 ifi->if_name);
			n++;
		}
	}
	if_freenameindex(ifs);
	/* One record per program: normally one agent, one gate. */
	out_list_begin(&c->out);
	for (i = 0; i < n; i++) {
		for (j = 0; j < i && links[j].prog_id != links[i].prog_id; j++)
			;
		if (j == i)
			gate_print(&c->out, links, n, links[i].prog_id, cpus);
	}
	out_list_end(&c->out);
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
