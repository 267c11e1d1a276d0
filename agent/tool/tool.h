/* SPDX-License-Identifier: GPL-2.0 */
/* The xmesh command line tool: what its parts share. */
#ifndef XMESH_TOOL_H
#define XMESH_TOOL_H

#include <json-c/json.h>
#include <stdio.h>

#include "../daemon/ctl_proto.h"
#include "out.h"
#include "xmesh_change.h"
#include "xmesh_conn.h"
#include "xmesh_nl.h"
#include "xmesh_rt.h"

#define XM_DEFAULT_DEV	"xmesh0"
#define XM_VERSION	XMD_VERSION

enum {
	XM_EXIT_OK = 0,
	XM_EXIT_FAIL = 1,	/* the kernel or the system said no */
	XM_EXIT_USAGE = 2,	/* the command line is wrong */
	XM_HELP = -1,		/* parsers: help was asked for and shown */
};

/* A parser's status as the command's exit status. */
static inline int xm_status(int ret)
{
	return ret == XM_HELP ? XM_EXIT_OK : ret;
}

/* A device's identity, looked up once per run. */
struct xm_devinfo {
	char ifname[IF_NAMESIZE];
	uint32_t ifindex;
	uint32_t node_id;	/* 0: not configured */
	uint8_t hop_limit;
};

struct table;

struct ctx {
	/* Options. */
	bool json, pretty, stats, force;
	const char *dev;		/* -d DEV, or NULL for the default */
	const char *socket;		/* -S SOCKET: xmeshd's control socket */
	struct out out;

	/* Sockets, opened on first use. */
	struct xmnl nl;
	bool nl_open;
	struct xmrt rt;
	bool rt_open;

	/* -batch: changes wait here to go in as few round trips as can be. */
	const char *batch_name;		/* NULL outside -batch */
	unsigned long line;		/* current line, 0 outside -batch */
	struct xm_change *pend;
	size_t n_pend, cap_pend;
	bool stop;			/* a change failed and not -force */
	bool failed;			/* a queued change failed */

	struct xm_devinfo devs[8];
	size_t n_devs;

	const struct table *table;	/* what table_run runs a command on */
};

/* A command, or an object with commands of its own. */
enum cmd_kind {
	CMD_RUN,	/* acts at once: pending changes go in first */
	CMD_CHANGE,	/* only queues changes (ctx_submit) */
	CMD_GROUP,	/* an object: dispatches further */
};

struct cmd {
	const char *name;
	const char *aliases;		/* space separated, or NULL */
	int (*run)(struct ctx *c, int argc, char **argv);
	enum cmd_kind kind;
};

/* ctx.c */
void ctx_init(struct ctx *c);
void ctx_free(struct ctx *c);
/* The family client; NULL after printing why (module not loaded...). */
struct xmnl *ctx_nl(struct ctx *c);
struct xmrt *ctx_rt(struct ctx *c);
/* The xmesh device a command is for: dev DEV, else -d, else xmesh0. */
const char *ctx_dev(const struct ctx *c, const char *dev);
/* Look a device up (ifindex, node id, hop limit); NULL after an error. */
const struct xm_devinfo *ctx_devinfo(struct ctx *c, const char *ifname);
/* Dump a table (XMESH_CMD_*_GET) into l; exit status. */
int ctx_dump(struct ctx *c, uint8_t cmd, const char *ifname,
	     struct xm_list *l);
/* Queue a change; outside -batch it is applied at once. Exit status. */
int ctx_submit(struct ctx *c, const struct xm_change *ch);
/* Apply the queued changes. Exit status; sets c->stop on failure
 * unless -force. */
int ctx_flush(struct ctx *c);

/* Messages, iproute2 style: "Error: ...". */
void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "Error: <kernel message or strerror>." and what it is about. */
void pr_nl_err(const struct nlc_error *e);
void pr_failed_line(const struct ctx *c, unsigned long first,
		    unsigned long last);
int pr_open_err(int err);

/* args.c: matching words and reading values. */
/* Exact name or alias, else a unique prefix; NULL after printing why. */
const struct cmd *cmd_match(const char *word, const struct cmd *cmds,
			    const char *what);
int cmd_dispatch(struct ctx *c, const struct cmd *cmds, const char *what,
		 const char *dflt, void (*usage)(FILE *fp), int argc,
		 char **argv);
/* Advance to the value of keyword (*argv)[0]; false after an error. */
bool next_arg(int *argc, char ***argv);
bool is_help(const char *s);
int arg_u32(const char *what, const char *s, uint32_t min, uint32_t max,
	    uint32_t *out);
int arg_u16(const char *what, const char *s, uint16_t min, uint16_t max,
	    uint16_t *out);
/* A traffic class by name (xm_tclass_parse()), or an error said. */
int arg_tclass(const char *s, uint8_t *out);
int arg_u8(const char *what, const char *s, uint8_t min, uint8_t max,
	   uint8_t *out);
int arg_seconds(const char *what, const char *s, double min, double max,
		double *out);
int arg_ifname(const char *what, const char *s);
/*
 * "dev DEV" at (*argv)[0]: advance to DEV, check it and set *dev (NULL
 * before: it may be given once). Exit status.
 */
int arg_dev(int *argc, char ***argv, const char **dev);
/* An underlay interface by name: exit status, ifindex in *out. */
int arg_link(const char *s, uint32_t *out);
int arg_state(const char *s, uint8_t *out);
int arg_prefix(const char *s, struct xm_addr *a, uint8_t *len);
int arg_dup(const char *kw);
int arg_unknown(const char *kw, void (*usage)(FILE *fp));
/*
 * Advance to the value of keyword (*argv)[0], which may be given once:
 * bit @attr of *present, set here. Exit status.
 */
int arg_once(int *argc, char ***argv, uint32_t *present, unsigned int attr);
/* The same, the value an id (1..4294967295) read into *out. */
int arg_id_once(int *argc, char ***argv, const char *what, uint32_t *out,
		uint32_t *present, unsigned int attr);
/* parse_*(): start @ch, command @cmd on an entry of @type; then its device. */
void change_init(struct xm_change *ch, uint8_t cmd, uint16_t type);
void change_dev(struct ctx *c, struct xm_change *ch, const char *dev);

/* print.c: objects as text or JSON. */
const char *link_name(uint32_t ifindex, char *buf);
void print_dev(struct out *o, const struct xm_dev *d, bool stats);
void print_neigh_fields(struct out *o, const struct xm_neigh *n);
void print_neigh(struct out *o, const struct xm_neigh *n, bool stats);
/* The same, with the agent's view of it (NULL: none). */
void print_neigh_agent(struct out *o, const struct xm_neigh *n, bool stats,
		       json_object *agent);
void print_route_fields(struct out *o, const struct xm_route *r);
void print_route(struct out *o, const struct xm_route *r);
void print_prefix_fields(struct out *o, const struct xm_prefix *p);
void print_prefix(struct out *o, const struct xm_prefix *p);
void print_oam_fields(struct out *o, const struct xm_oam *m);

/* The objects, one file each. */
int do_dev(struct ctx *c, int argc, char **argv);
int do_neigh(struct ctx *c, int argc, char **argv);
int do_route(struct ctx *c, int argc, char **argv);
int do_prefix(struct ctx *c, int argc, char **argv);
int do_monitor(struct ctx *c, int argc, char **argv);
int do_ping(struct ctx *c, int argc, char **argv);
int do_trace(struct ctx *c, int argc, char **argv);
int do_node(struct ctx *c, int argc, char **argv);
int do_topology(struct ctx *c, int argc, char **argv);
int do_path(struct ctx *c, int argc, char **argv);
int do_agent(struct ctx *c, int argc, char **argv);
int do_key(struct ctx *c, int argc, char **argv);
int do_cert(struct ctx *c, int argc, char **argv);
int do_gate(struct ctx *c, int argc, char **argv);
int do_policy(struct ctx *c, int argc, char **argv);
int do_remediation(struct ctx *c, int argc, char **argv);
int do_export(struct ctx *c, int argc, char **argv);
void usage_export(FILE *fp);
void usage_dev(FILE *fp);
void usage_neigh(FILE *fp);
void usage_route(FILE *fp);
void usage_prefix(FILE *fp);
void usage_monitor(FILE *fp);
void usage_ping(FILE *fp);
void usage_trace(FILE *fp);
void usage_node(FILE *fp);
void usage_topology(FILE *fp);
void usage_path(FILE *fp);
void usage_agent(FILE *fp);
void usage_key(FILE *fp);
void print_key(struct out *o, const struct xm_key *k);
void usage_cert(FILE *fp);
int do_qos(struct ctx *c, int argc, char **argv);
void usage_qos(FILE *fp);
void usage_gate(FILE *fp);
int do_zone(struct ctx *c, int argc, char **argv);
int do_mroute(struct ctx *c, int argc, char **argv);
int do_group(struct ctx *c, int argc, char **argv);
int do_filter(struct ctx *c, int argc, char **argv);
void usage_filter(FILE *fp);
void usage_zone(FILE *fp);
void usage_mroute(FILE *fp);
void usage_group(FILE *fp);
int parse_zone_set(struct ctx *c, int argc, char **argv,
		   struct xm_change *ch);

/*
 * agent.c: xmeshd's control socket (-S SOCKET, else $XMESH_SOCKET, else
 * XMD_SOCKET_PATH): one JSON request per line, one JSON reply per line,
 * over libxmesh's connection (xmesh_conn.h: xmesh_conn_fill() and
 * xmesh_conn_close() too).
 */
const char *agent_socket(const struct ctx *c);
/* Exit status; unless quiet, says why it failed (xmeshd not running...). */
int agent_open(const struct ctx *c, struct xmesh_conn *a, bool quiet);
/* Send req (a JSON object) as one line. 0 or -errno. */
int agent_send(struct xmesh_conn *a, json_object *req);
/* The next line as JSON: waits up to timeout_ms (-1: forever). NULL on
 * EOF, error, timeout or a line that is no JSON (errno says which). */
json_object *agent_read(struct xmesh_conn *a, int timeout_ms);
/* The next whole line already read, or NULL: for poll() loops. */
json_object *agent_next(struct xmesh_conn *a);
/*
 * One request, one reply: the reply, or NULL after printing why unless
 * quiet (an {"error": ...} reply is printed and gives NULL too). Takes
 * req. Quiet is for optional answers: it waits 1 s instead of 10.
 */
json_object *agent_ask(const struct ctx *c, json_object *req, bool quiet);
json_object *agent_cmd(const char *cmd);	/* {"cmd": cmd} */
/* A member of a JSON object, or NULL. */
json_object *jget(json_object *o, const char *key);
void print_agent_event(struct out *o, json_object *ev);

/*
 * Command parsers, for the tests: argv after the command word. cmd
 * *_GET parses a show filter: the same keywords, none required.
 */
int parse_neigh(struct ctx *c, uint8_t cmd, int argc, char **argv,
		struct xm_change *ch);
int parse_route(struct ctx *c, uint8_t cmd, int argc, char **argv,
		struct xm_change *ch);
int parse_prefix(struct ctx *c, uint8_t cmd, int argc, char **argv,
		 struct xm_change *ch);
int parse_dev_set(struct ctx *c, int argc, char **argv,
		  struct xm_change *ch);
/* A key's bytes are wiped again when parsing fails. */
int parse_key(struct ctx *c, uint8_t cmd, int argc, char **argv,
	      struct xm_change *ch);
/* "[ dev DEV ]" and nothing else; *dev NULL when not given. */
int parse_dev_only(int argc, char **argv, const char **dev,
		   void (*usage)(FILE *fp));

/*
 * table.c: a kernel table (neigh, route, prefix) and the commands they
 * share, table_cmds: show (dump, filter, print), add, replace, del and
 * flush (a *_DEL with XMESH_A_FLUSH, from "[ dev DEV ]").
 */
struct table {
	const char *name;		/* "neigh", as in "neigh add" */
	uint8_t cmd_get, cmd_new, cmd_del;	/* XMESH_CMD_* */
	const struct cmd *cmds;		/* table_cmds, or its own */
	void (*usage)(FILE *fp);
	/* The words after the command; for cmd_get, a show filter. */
	int (*parse)(struct ctx *c, uint8_t cmd, int argc, char **argv,
		     struct xm_change *ch);
	/* show: does e pass filter f (every field of f optional)? */
	bool (*match)(const struct xm_entry *e, const struct xm_entry *f);
	/* show: print e; view is the agent's answer to view_cmd, or NULL. */
	void (*print)(struct ctx *c, const struct xm_entry *e,
		      json_object *view);
	const char *view_cmd;	/* show asks xmeshd too; NULL: no */
};
/* The get, new and del commands of struct table of XMESH_CMD_<NAME>_*. */
#define TABLE_CMDS(NAME)						\
	.cmd_get = XMESH_CMD_##NAME##_GET,				\
	.cmd_new = XMESH_CMD_##NAME##_NEW,				\
	.cmd_del = XMESH_CMD_##NAME##_DEL
/* The fields of table @str of the shared commands, its functions named
 * parse_<obj>, <obj>_match and <obj>_print. */
#define TABLE_FIELDS(str, NAME, usage_fn, obj)				\
	.name = str, TABLE_CMDS(NAME), .cmds = table_cmds,		\
	.usage = usage_fn, .parse = parse_##obj,			\
	.match = obj##_match, .print = obj##_print
/* The same for table "obj", its usage usage_<obj>. */
#define TABLE_OF(obj, NAME) TABLE_FIELDS(#obj, NAME, usage_##obj, obj)
extern const struct cmd table_cmds[];
/* Run the command in argv (default show) on table t. */
int table_run(struct ctx *c, const struct table *t, int argc, char **argv);
int table_show(struct ctx *c, int argc, char **argv);
int table_add(struct ctx *c, int argc, char **argv);
int table_replace(struct ctx *c, int argc, char **argv);
int table_del(struct ctx *c, int argc, char **argv);
int table_flush(struct ctx *c, int argc, char **argv);
/* Parse a change for c->table and queue it (ctx_submit). */
int table_submit(struct ctx *c, uint8_t cmd, bool replace, int argc,
		 char **argv);
/* "neigh add", "route show"...: cmd for messages (replace says "add"). */
const char *table_verb(const struct table *t, uint8_t cmd);

/* cli.c: the top level; batch.c: -batch. */
int xm_main(struct ctx *c, int argc, char **argv);
/* Run one command: OBJECT COMMAND ARGS. */
int xm_run(struct ctx *c, int argc, char **argv);
void usage_main(FILE *fp);
int run_batch(struct ctx *c, const char *file);
/* Split a batch line into words (quotes, '#' comments); -1 if bad. */
int split_line(char *line, char **argv, int max);

#endif /* XMESH_TOOL_H */
