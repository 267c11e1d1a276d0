// SPDX-License-Identifier: GPL-2.0
/* Placeholder until the core lands: links, does nothing. */
#include <stdlib.h>

#include "core.h"

void xm_timers_default(struct xm_timers *t) { (void)t; }
struct xm_core *xm_core_new(const struct xm_core_config *cfg, xm_time now)
{ (void)cfg; (void)now; return NULL; }
void xm_core_free(struct xm_core *c) { (void)c; }
int xm_core_link_set(struct xm_core *c, xm_time now, const struct xm_link_info *l)
{ (void)c; (void)now; (void)l; return -1; }
void xm_core_link_carrier(struct xm_core *c, xm_time now, uint32_t i, bool up)
{ (void)c; (void)now; (void)i; (void)up; }
void xm_core_link_del(struct xm_core *c, xm_time now, uint32_t i)
{ (void)c; (void)now; (void)i; }
void xm_core_recv(struct xm_core *c, xm_time now, uint32_t i,
		  const struct xm_addr *f, const void *b, size_t l)
{ (void)c; (void)now; (void)i; (void)f; (void)b; (void)l; }
void xm_core_probe_reply(struct xm_core *c, xm_time now, uint32_t n,
			 uint32_t s, uint32_t r)
{ (void)c; (void)now; (void)n; (void)s; (void)r; }
void xm_core_set_caps(struct xm_core *c, xm_time now, const struct xm_caps *x)
{ (void)c; (void)now; (void)x; }
void xm_core_set_policy(struct xm_core *c, xm_time now, const struct xm_policy *p)
{ (void)c; (void)now; (void)p; }
void xm_core_adopt_neigh(struct xm_core *c, const struct xm_fib_neigh *n)
{ (void)c; (void)n; }
void xm_core_timer(struct xm_core *c, xm_time now) { (void)c; (void)now; }
xm_time xm_core_next_timer(const struct xm_core *c) { (void)c; return XM_NEVER; }
bool xm_core_action(struct xm_core *c, struct xm_action *a) { (void)c; (void)a; return false; }
const struct xm_fib *xm_core_fib(const struct xm_core *c) { (void)c; return NULL; }
bool xm_core_fib_ready(const struct xm_core *c, xm_time now) { (void)c; (void)now; return false; }
const struct xm_core_stats *xm_core_stats(const struct xm_core *c) { (void)c; return NULL; }
uint32_t xm_core_node_id(const struct xm_core *c) { (void)c; return 0; }
bool xm_core_neigh(const struct xm_core *c, size_t i, struct xm_neigh_status *o)
{ (void)c; (void)i; (void)o; return false; }
bool xm_core_node(const struct xm_core *c, size_t i, struct xm_node_status *o)
{ (void)c; (void)i; (void)o; return false; }
bool xm_core_edge(const struct xm_core *c, size_t i, struct xm_edge *o)
{ (void)c; (void)i; (void)o; return false; }
bool xm_core_path(const struct xm_core *c, uint32_t n, struct xm_path *o)
{ (void)c; (void)n; (void)o; return false; }
