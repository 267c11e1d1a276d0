// SPDX-License-Identifier: GPL-2.0
/* xmesh ping: echo requests to a node, through the mesh's own OAM. */
#include "probe.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "xmesh_names.h"

void usage_ping(FILE *fp)
{
	fputs("Usage: xmesh ping NODE [ -c COUNT ] [ -i INTERVAL ] [ -W TIMEOUT ]\n"
	      "                       [ hop-limit LIMIT ] [ dev DEV ]\n"
	      "COUNT: probes to send (default: until interrupted)\n"
	      "INTERVAL: seconds between probes (default 1)\n"
	      "TIMEOUT: seconds to wait for each answer (default 1)\n"
	      "LIMIT := 1..255 (default: the device's hop limit)\n"
	      "count, interval and timeout are accepted for -c, -i and -W.\n"
	      "Exit status 0 if any reply came, else 1.\n", fp);
}

struct ping_opts {
	uint32_t node, count;
	double interval, timeout;
	uint8_t hop_limit;
	const char *dev;
};

static bool is_kw(const char *s, const char *opt, const char *kw)
{
	return !strcmp(s, opt) || !strcmp(s, kw);
}

static int parse_ping(int argc, char **argv, struct ping_opts *po)
{
	bool have_node = false;
	int ret = 0;

	memset(po, 0, sizeof(*po));
	po->interval = 1;
	po->timeout = 1;
	for (; argc > 0 && !ret; argc--, argv++) {
		const char *kw = argv[0];

		if (is_help(kw))
			return arg_unknown(kw, usage_ping);
		if (is_kw(kw, "-c", "count")) {
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			ret = arg_u32("count", argv[0], 1, UINT32_MAX,
				      &po->count);
		} else if (is_kw(kw, "-i", "interval")) {
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			ret = arg_seconds("interval", argv[0], 0.001, 3600,
					  &po->interval);
		} else if (is_kw(kw, "-W", "timeout")) {
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			ret = arg_seconds("timeout", argv[0], 0.001, 3600,
					  &po->timeout);
		} else if (!strcmp(kw, "hop-limit")) {
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			ret = arg_u8("hop limit", argv[0], 1, UINT8_MAX,
				     &po->hop_limit);
		} else if (!strcmp(kw, "dev")) {
			ret = arg_dev(&argc, &argv, &po->dev);
		} else if (!have_node) {
			ret = arg_u32("node id", kw, 1, UINT32_MAX, &po->node);
			have_node = true;
		} else {
			return arg_unknown(kw, usage_ping);
		}
	}
	if (!ret && !have_node) {
		pr_err("ping needs a NODE.");
		ret = XM_EXIT_USAGE;
	}
	return ret;
}

struct stats {
	uint32_t sent, received;
	double min, max, sum;		/* ms, over replies */
};

/* Errors after which another probe cannot do better. */
static bool fatal(int err)
{
	return err == -EPERM || err == -ENODEV || err == -EINVAL ||
	       err == -ENETDOWN || err == -EOPNOTSUPP;
}

static void print_answer(struct out *o, const struct prober *p,
			 const struct xm_oam *a, double ms)
{
	int hops = xm_oam_hops(p->di->hop_limit, a->hop_limit);
	const char *op = xm_oam_op_name(a->op);

	out_obj_begin(o, NULL);
	out_uint(o, "seq", NULL, a->seq);
	out_str(o, "op", NULL, op ? op : "unknown");
	out_uint(o, "reporter", NULL, a->reporter);
	if (hops > 0)
		out_uint(o, "hops", NULL, (uint64_t)hops);
	out_ms(o, "time_ms", NULL, ms);
	switch (a->op) {
	case XMESH_OAM_ECHO_REPLY:
		out_text(o, "reply from node %u: seq=%u", a->reporter, a->seq);
		break;
	case XMESH_OAM_TIME_EXCEEDED:
		out_text(o, "hop limit exceeded at node %u: seq=%u",
			 a->reporter, a->seq);
		break;
	case XMESH_OAM_UNREACHABLE:
		out_text(o, "node %u has no route onwards: seq=%u",
			 a->reporter, a->seq);
		break;
	default:
		out_text(o, "answer %u from node %u: seq=%u", a->op,
			 a->reporter, a->seq);
		break;
	}
	if (hops > 0)
		out_text(o, " hops=%d", hops);
	out_text(o, " time=%.3f ms", ms);
	out_nl(o);
	out_obj_end(o);
	fflush(o->fp);
}

static void print_summary(struct out *o, const struct ping_opts *po,
			  const struct stats *st, double elapsed_ms)
{
	double loss = st->sent ?
		      100.0 * (st->sent - st->received) / st->sent : 0;

	out_uint(o, "sent", NULL, st->sent);
	out_uint(o, "received", NULL, st->received);
	out_ms(o, "loss_pct", NULL, loss);
	out_ms(o, "time_ms", NULL, elapsed_ms);
	out_text(o, "\n--- node %u mesh ping statistics ---\n", po->node);
	out_text(o, "%u probes sent, %u replies, %.0f%% loss, time %.0f ms\n",
		 st->sent, st->received, loss, elapsed_ms);
	if (st->received) {
		out_ms(o, "rtt_min_ms", NULL, st->min);
		out_ms(o, "rtt_avg_ms", NULL, st->sum / st->received);
		out_ms(o, "rtt_max_ms", NULL, st->max);
		out_text(o, "rtt min/avg/max = %.3f/%.3f/%.3f ms\n", st->min,
			 st->sum / st->received, st->max);
	}
}

int do_ping(struct ctx *c, int argc, char **argv)
{
	struct stats st = { .min = INFINITY };
	struct out *o = &c->out;
	struct ping_opts po;
	struct prober p;
	uint64_t start, t0;
	uint32_t seq;
	int ret;

	ret = parse_ping(argc, argv, &po);
	if (ret)
		return xm_status(ret);
	ret = probe_open(c, ctx_dev(c, po.dev), &p);
	if (ret)
		return ret;
	xm_catch_signals();

	/* JSON: one object, the answers in an array, the summary last. */
	out_obj_begin(o, NULL);
	out_uint(o, "node", NULL, po.node);
	out_str(o, "dev", NULL, p.di->ifname);
	out_uint(o, "hop_limit", NULL,
		 po.hop_limit ? po.hop_limit : p.di->hop_limit);
	out_text(o, "PING node %u via %s: hop-limit %u\n", po.node,
		 p.di->ifname, po.hop_limit ? po.hop_limit : p.di->hop_limit);
	out_arr_begin(o, "answers");
	start = now_ns();
	for (seq = 1; !po.count || seq <= po.count; seq++) {
		struct nlc_error e;
		struct xm_oam ans;
		double ms;

		t0 = now_ns();
		ret = probe_send(&p, po.node, seq, po.hop_limit, &e);
		st.sent++;
		if (ret) {
			pr_nl_err(&e);
			if (fatal(ret))
				break;
		} else {
			ret = probe_wait(&p, po.node, seq,
					 t0 + (uint64_t)(po.timeout * 1e9), &ans);
			if (ret == -EINTR)
				break;
			if (ret < 0) {
				pr_err("waiting for answers: %s.",
				       strerror(-ret));
				break;
			}
			if (ret == 1) {
				ms = XM_HAS(&ans, XMESH_OAM_A_RTT_NS) ?
				     (double)ans.rtt_ns / 1e6 :
				     (double)(now_ns() - t0) / 1e6;
				print_answer(o, &p, &ans, ms);
				if (ans.op == XMESH_OAM_ECHO_REPLY) {
					st.received++;
					st.sum += ms;
					st.min = ms < st.min ? ms : st.min;
					st.max = ms > st.max ? ms : st.max;
				}
			}
		}
		if ((po.count && seq == po.count) ||
		    sleep_until(t0 + (uint64_t)(po.interval * 1e9)))
			break;
	}
	out_arr_end(o);
	print_summary(o, &po, &st, (double)(now_ns() - start) / 1e6);
	out_obj_end(o);
	probe_close(&p);
	return st.received ? XM_EXIT_OK : XM_EXIT_FAIL;
}
