// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh gate show|off: the XDP first gate (agent/bpf/gate.h): the
 * interfaces it is attached to, the neighbors it lets in on each, and its
 * counters, which are the program's, all its interfaces together; off
 * detaches it, which xmeshd never does on exit (the next agent adopts
 * it).
 *
 * They are read from the kernel directly: the program attached to each
 * interface of this network namespace is found by its XDP id and its
 * counter map by name. So the agent's control protocol needs nothing
 * new, and the counters are there while the agent hangs or restarts,
 * without a bpffs mount (which `ip netns exec` would hide anyway).
 * Reading them needs the privileges of bpftool (CAP_SYS_ADMIN).
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "../bpf/gate_query.h"
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
	      "       xmesh gate off [ dev IFNAME ] [ pin-dir DIR ]\n"
	      "The XDP first gate xmeshd attaches to underlay interfaces:\n"
	      "show: the links it is on (each with its mode and neighbors)\n"
	      "and its per-verdict counters, which all its links share;\n"
	      "off: detach it and, without dev, remove its pins in DIR\n"
	      "(xmeshd's gate-pin-dir, " XMG_PIN_ROOT "). It outlives\n"
	      "xmeshd: stop xmeshd, or give it gate off, first.\n", fp);
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
 * there is none (or another program), -errno.
 */
static int gate_link_find(uint32_t ifindex, struct gate_link *l)
{
	uint8_t mode = 0;
	int err = xmg_gate_find(ifindex, &l->prog_id, &mode);

	if (err <= 0)
		return err == -EBUSY ? 0 : err;
	l->mode = mode == XDP_ATTACHED_SKB ? "generic" :
		  mode == XDP_ATTACHED_DRV ? "native" : "other";
	return 1;
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
	int stats = xmg_prog_map(prog_id, XMG_STATS_NAME);
	int neighs = xmg_prog_map(prog_id, XMG_NEIGHS_NAME);
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

/*
 * [ dev IFNAME ] [ pin-dir DIR ] (the latter if pin_dir is not NULL): *dev
 * NULL for all; XM_EXIT_OK or why not.
 */
static int gate_args(int argc, char **argv, const char **dev,
		     const char **pin_dir)
{
	*dev = NULL;
	for (; argc > 0; argc--, argv++) {
		if (is_help(argv[0]))
			return xm_status(arg_unknown(argv[0], usage_gate));
		if (pin_dir && !strcmp(argv[0], "pin-dir")) {
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			*pin_dir = argv[0];
			continue;
		}
		if (strcmp(argv[0], "dev"))
			return arg_unknown(argv[0], usage_gate);
		if (!next_arg(&argc, &argv))
			return XM_EXIT_USAGE;
		if (*dev)
			return arg_dup("dev");
		if (arg_ifname("interface", argv[0]))
			return XM_EXIT_USAGE;
		*dev = argv[0];
	}
	if (*dev && !if_nametoindex(*dev)) {
		pr_err("no interface \"%s\".", *dev);
		return XM_EXIT_FAIL;
	}
	return XM_EXIT_OK;
}

static int gate_show(struct ctx *c, int argc, char **argv)
{
	struct gate_link links[64];
	struct if_nameindex *ifs, *ifi;
	const char *dev;
	size_t n = 0, i, j;
	int cpus, ret, err;

	ret = gate_args(argc, argv, &dev, NULL);
	if (ret != XM_EXIT_OK)
		return ret;
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

/*
 * Detach the gate from every interface of this namespace (or dev) and,
 * unless only from dev, remove its pins: it and its maps are freed once no
 * agent holds them.
 */
static int gate_off(struct ctx *c, int argc, char **argv)
{
	struct if_nameindex *ifs, *ifi;
	const char *dev, *root = XMG_PIN_ROOT;
	char dir[512];
	int ret, err;

	(void)c;
	ret = gate_args(argc, argv, &dev, &root);
	if (ret != XM_EXIT_OK)
		return ret;
	if (!dev) {
		err = xmg_pin_dir(root, dir, sizeof(dir));
		if (!err)
			err = xmg_unpin(dir);
		if (err < 0) {
			pr_err("removing the gate's pins in %s: %s.", root,
			       strerror(-err));
			ret = XM_EXIT_FAIL;
		}
	}
	ifs = if_nameindex();
	if (!ifs) {
		pr_err("listing the interfaces: %s.", strerror(errno));
		return XM_EXIT_FAIL;
	}
	for (ifi = ifs; ifi->if_index; ifi++) {
		if (dev && strcmp(dev, ifi->if_name))
			continue;
		err = xmg_gate_detach(ifi->if_index);
		if (err < 0) {
			pr_err("%s: detaching the gate: %s.", ifi->if_name,
			       strerror(-err));
			ret = XM_EXIT_FAIL;
		}
	}
	if_freenameindex(ifs);
	return ret;
}

static const struct cmd gate_cmds[] = {
	{ "show", "list ls lst", gate_show, CMD_RUN },
	{ "off", NULL, gate_off, CMD_RUN },
	{ NULL, NULL, NULL, CMD_RUN },
};

int do_gate(struct ctx *c, int argc, char **argv)
{
	return cmd_dispatch(c, gate_cmds, "gate command", "show", usage_gate,
			    argc, argv);
}
