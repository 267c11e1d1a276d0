// SPDX-License-Identifier: GPL-2.0
/* The run's context: sockets opened on first use, the queue of changes,
 * and error messages. */
#include "tool.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int hostroutes_sync(struct ctx *c, const struct xm_change *ch, size_t n);

void ctx_init(struct ctx *c)
{
	memset(c, 0, sizeof(*c));
	out_init(&c->out, stdout, false, false);
}

void ctx_free(struct ctx *c)
{
	if (c->nl_open)
		xmnl_close(&c->nl);
	if (c->rt_open)
		xmrt_close(&c->rt);
	out_reset(&c->out);
	free(c->pend);
	c->pend = NULL;
	c->nl_open = c->rt_open = false;
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void pr_nl_err(const struct nlc_error *e)
{
	char msg[NLC_MSGLEN];
	size_t n;

	snprintf(msg, sizeof(msg), "%s",
		 e->msg[0] ? e->msg : strerror(-e->err));
	n = strlen(msg);
	if (n && msg[n - 1] == '.')
		msg[--n] = '\0';
	fflush(stdout);
	fprintf(stderr, "Error: %s", msg);
	/* The kernel's message names the entry; say which field if it can. */
	if (e->attr[0] && e->has_miss_type)
		fprintf(stderr, " (missing %s)", e->attr);
	else if (e->attr[0] && (strchr(e->attr, '.') || !e->msg[0]))
		fprintf(stderr, " (attribute %s)", e->attr);
	fputs(".\n", stderr);
}

void pr_failed_line(const struct ctx *c, unsigned long first,
		    unsigned long last)
{
	if (!c->batch_name)
		return;
	if (last > first)
		fprintf(stderr, "Command failed %s:%lu-%lu\n", c->batch_name,
			first, last);
	else
		fprintf(stderr, "Command failed %s:%lu\n", c->batch_name, first);
}

int pr_open_err(int err)
{
	fflush(stdout);
	if (err == -ENOENT || err == -EPROTONOSUPPORT)
		fprintf(stderr, "xmesh: %s\n", xmnl_strerror(err));
	else
		pr_err("cannot open netlink: %s.", strerror(-err));
	return XM_EXIT_FAIL;
}

struct xmnl *ctx_nl(struct ctx *c)
{
	int err;

	if (c->nl_open)
		return &c->nl;
	err = xmnl_open(&c->nl);
	if (err) {
		pr_open_err(err);
		return NULL;
	}
	c->nl_open = true;
	return &c->nl;
}

struct xmrt *ctx_rt(struct ctx *c)
{
	int err;

	if (c->rt_open)
		return &c->rt;
	err = xmrt_open(&c->rt);
	if (err) {
		pr_err("cannot open rtnetlink: %s.", strerror(-err));
		return NULL;
	}
	c->rt_open = true;
	return &c->rt;
}

const char *ctx_dev(const struct ctx *c, const char *dev)
{
	return dev ? dev : c->dev ? c->dev : XM_DEFAULT_DEV;
}

const struct xm_devinfo *ctx_devinfo(struct ctx *c, const char *ifname)
{
	struct xm_devinfo *di;
	struct nlc_error e;
	struct xm_dev d;
	struct xmnl *h;
	size_t i;

	for (i = 0; i < c->n_devs; i++)
		if (!strcmp(c->devs[i].ifname, ifname))
			return &c->devs[i];
	h = ctx_nl(c);
	if (!h)
		return NULL;
	memset(&d, 0, sizeof(d));
	if (xmnl_dev_get(h, 0, ifname, &d, &e)) {
		pr_nl_err(&e);
		return NULL;
	}
	/* A full cache just forgets its oldest entry. */
	if (c->n_devs == sizeof(c->devs) / sizeof(c->devs[0])) {
		memmove(c->devs, c->devs + 1, sizeof(c->devs) - sizeof(*di));
		c->n_devs--;
	}
	di = &c->devs[c->n_devs++];
	memset(di, 0, sizeof(*di));
	snprintf(di->ifname, sizeof(di->ifname), "%s", ifname);
	di->ifindex = d.ifindex;
	di->node_id = XM_HAS(&d, XMESH_DEV_A_NODE_ID) ? d.node_id : 0;
	di->hop_limit = XM_HAS(&d, XMESH_DEV_A_HOP_LIMIT) ?
			d.hop_limit : XMESH_DEFAULT_HOP_LIMIT;
	return di;
}

int ctx_submit(struct ctx *c, const struct xm_change *ch)
{
	if (c->n_pend == c->cap_pend) {
		size_t cap = c->cap_pend ? c->cap_pend * 2 : 64;
		struct xm_change *p = realloc(c->pend, cap * sizeof(*p));

		if (!p) {
			pr_err("out of memory.");
			return XM_EXIT_FAIL;
		}
		c->pend = p;
		c->cap_pend = cap;
	}
	c->pend[c->n_pend] = *ch;
	c->pend[c->n_pend].tag = c->line;
	c->n_pend++;
	return c->batch_name ? XM_EXIT_OK : ctx_flush(c);
}

static void apply_report(const struct xm_change *ch, size_t count,
			 const struct nlc_error *e, void *data)
{
	pr_nl_err(e);
	pr_failed_line(data, ch->tag, ch[count - 1].tag);
}

int ctx_flush(struct ctx *c)
{
	enum xm_apply_mode mode = c->force ? XM_APPLY_EACH : XM_APPLY_STOP;
	int status = XM_EXIT_OK;
	struct xmnl *h;
	size_t i;

	if (!c->n_pend)
		return XM_EXIT_OK;
	h = ctx_nl(c);
	if (!h) {
		pr_failed_line(c, c->pend[0].tag, c->pend[c->n_pend - 1].tag);
		status = XM_EXIT_FAIL;
	} else {
		xmnl_apply(h, c->pend, c->n_pend, mode, apply_report, c);
		for (i = 0; i < c->n_pend; i++) {
			if (c->pend[i].err)
				status = XM_EXIT_FAIL;
			/* The node id may have changed under the cache. */
			if (!c->pend[i].err &&
			    c->pend[i].cmd == XMESH_CMD_DEV_SET)
				c->n_devs = 0;
		}
		if (hostroutes_sync(c, c->pend, c->n_pend))
			status = XM_EXIT_FAIL;
	}
	/* Key changes hold key bytes: leave none behind. */
	explicit_bzero(c->pend, c->n_pend * sizeof(*c->pend));
	c->n_pend = 0;
	if (status)
		c->failed = true;
	if (status && !c->force)
		c->stop = true;
	return status;
}

int ctx_dump(struct ctx *c, uint8_t cmd, const char *ifname,
	     struct xm_list *l)
{
	struct xmnl *h = ctx_nl(c);
	struct nlc_error e;

	if (!h)
		return XM_EXIT_FAIL;
	if (!xmnl_dump(h, cmd, 0, ifname, l, &e))
		return XM_EXIT_OK;
	if (e.err == -EINTR)
		pr_err("the table kept changing during the dump; try again.");
	else
		pr_nl_err(&e);
	return XM_EXIT_FAIL;
}
