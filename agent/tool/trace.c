// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh trace: the path to a node, hop by hop. A probe with hop limit h
 * runs out at the h-th transit node, which answers time-exceeded; the
 * node itself answers echo-reply.
 */
#include "probe.h"

#include <errno.h>
#include <string.h>

#include "xmesh_names.h"

void usage_trace(FILE *fp)
{
	fputs("Usage: xmesh trace NODE [ max-hops HOPS ] [ -W TIMEOUT ] [ dev DEV ]\n"
	      "HOPS := 1..255 (default: the device's hop limit)\n"
	      "TIMEOUT: seconds to wait at each hop (default 1); \"*\" when none came\n"
	      "Exit status 0 if NODE answered, else 1.\n", fp);
}

struct trace_opts {
	uint32_t node;
	uint8_t max_hops;
	double timeout;
	const char *dev;
};

static int parse_trace(int argc, char **argv, struct trace_opts *to)
{
	bool have_node = false;
	int ret = 0;

	memset(to, 0, sizeof(*to));
	to->timeout = 1;
	for (; argc > 0 && !ret; argc--, argv++) {
		const char *kw = argv[0];

		if (is_help(kw))
			return arg_unknown(kw, usage_trace);
		if (!strcmp(kw, "max-hops")) {
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			ret = arg_u8("max-hops", argv[0], 1, UINT8_MAX,
				     &to->max_hops);
		} else if (!strcmp(kw, "-W") || !strcmp(kw, "timeout")) {
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			ret = arg_seconds("timeout", argv[0], 0.001, 3600,
					  &to->timeout);
		} else if (!strcmp(kw, "dev")) {
			ret = arg_dev(&argc, &argv, &to->dev);
		} else if (!have_node) {
			ret = arg_u32("node id", kw, 1, UINT32_MAX, &to->node);
			have_node = true;
		} else {
			return arg_unknown(kw, usage_trace);
		}
	}
	if (!ret && !have_node) {
		pr_err("trace needs a NODE.");
		ret = XM_EXIT_USAGE;
	}
	return ret;
}

int do_trace(struct ctx *c, int argc, char **argv)
{
	struct out *o = &c->out;
	struct trace_opts to;
	bool reached = false;
	struct prober p;
	unsigned int hop;
	int ret;

	ret = parse_trace(argc, argv, &to);
	if (ret)
		return xm_status(ret);
	ret = probe_open(c, ctx_dev(c, to.dev), &p);
	if (ret)
		return ret;
	if (!to.max_hops)
		to.max_hops = p.di->hop_limit;
	xm_catch_signals();

	out_obj_begin(o, NULL);
	out_uint(o, "node", NULL, to.node);
	out_str(o, "dev", NULL, p.di->ifname);
	out_uint(o, "max_hops", NULL, to.max_hops);
	out_text(o, "trace to node %u via %s, %u hops max\n", to.node,
		 p.di->ifname, to.max_hops);
	out_arr_begin(o, "hops");
	for (hop = 1; hop <= to.max_hops && !reached; hop++) {
		uint64_t t0 = now_ns();
		struct nlc_error e;
		struct xm_oam ans;
		double ms;

		ret = probe_send(&p, to.node, hop, (uint8_t)hop, &e);
		if (ret) {
			pr_nl_err(&e);
			break;
		}
		ret = probe_wait(&p, to.node, hop,
				 t0 + (uint64_t)(to.timeout * 1e9), &ans);
		if (ret < 0) {
			if (ret != -EINTR)
				pr_err("waiting for answers: %s.",
				       strerror(-ret));
			break;
		}
		out_obj_begin(o, NULL);
		out_uint(o, "hop", NULL, hop);
		out_text(o, "%2u  ", hop);
		if (!ret) {
			out_null(o, "node", "", "*");
		} else {
			ms = XM_HAS(&ans, XMESH_OAM_A_RTT_NS) ?
			     (double)ans.rtt_ns / 1e6 :
			     (double)(now_ns() - t0) / 1e6;
			out_uint(o, "node", "node", ans.reporter);
			out_str(o, "op", NULL, xm_oam_op_name(ans.op) ?
				xm_oam_op_name(ans.op) : "unknown");
			out_text(o, "  ");
			out_ms(o, "time_ms", "", ms);
			if (ans.op == XMESH_OAM_UNREACHABLE) {
				out_text(o, "  !U (no route onwards)");
				hop = to.max_hops;	/* no point going on */
			}
			reached = ans.op == XMESH_OAM_ECHO_REPLY;
		}
		out_nl(o);
		out_obj_end(o);
		fflush(o->fp);
	}
	out_arr_end(o);
	out_bool(o, "reached", NULL, reached);
	out_obj_end(o);
	probe_close(&p);
	return reached ? XM_EXIT_OK : XM_EXIT_FAIL;
}
