// SPDX-License-Identifier: GPL-2.0
/* Placeholder until SPF lands: links, computes nothing. */
#include <errno.h>

#include "graph.h"

long xm_graph_find(const struct xm_graph *g, uint32_t id) { (void)g; (void)id; return -1; }
int xm_spf_run(const struct xm_graph *g, uint32_t root, uint8_t max_hops, struct xm_spf *r)
{ (void)g; (void)root; (void)max_hops; (void)r; return -ENOSYS; }
void xm_spf_free(struct xm_spf *r) { (void)r; }
int xm_routes_compute(const struct xm_graph *g, uint32_t self, const struct xm_local_adj *adj,
		      size_t n_adj, uint8_t max_hops, struct xm_fib *fib)
{ (void)g; (void)self; (void)adj; (void)n_adj; (void)max_hops; (void)fib; return -ENOSYS; }
uint32_t xm_metric(uint32_t s, uint32_t l, uint32_t b) { (void)s; (void)l; (void)b; return 1; }
bool xm_metric_significant(uint32_t a, uint32_t f) { return a != f; }
