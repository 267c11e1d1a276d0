// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh_gate: the XDP first gate on underlay interfaces (see gate.h).
 * Built with clang -target bpf; the agent loads it through its skeleton.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "gate.h"

#ifndef AF_INET
#define AF_INET		2
#define AF_INET6	10
#endif
#define IP_OFFSET	0x1fff		/* a fragment after the first */
#define IP6_OFFSET	0xfff8		/* the same, in an IPv6 fragment header */
/* IPv6 extension headers walked to find UDP: a longer chain passes (the
 * UDP stack still delivers it to the module, which counts it). */
#define IP6_EXT_MAX	6

/* The IPv6 fragment header (RFC 8200 4.5): the kernel's is not uapi. */
struct xmg_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XMG_MAX_NEIGHS);
	__type(key, struct xmg_neigh_key);
	__type(value, __u8);
} xmg_neighs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xmg_conf);
} xmg_conf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xmg_bucket);
} xmg_bucket SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XMG_N_VERDICTS);
	__type(key, __u32);
	__type(value, __u64);
} xmg_stats SEC(".maps");

static __always_inline int verdict(__u32 v, int action)
{
	__u64 *n = bpf_map_lookup_elem(&xmg_stats, &v);

	if (n)
		*n += 1;
	return action;
}

/*
 * The UDP header of an IPv6 packet, past its extension headers (hop-by-hop,
 * routing, destination options, the first fragment's header: an attacker
 * adds one to slip past a gate that looks at the first header only); NULL
 * for anything else. A fragment after the first has no UDP header: without
 * the first, which the gate sees, it is never reassembled.
 */
static __always_inline struct udphdr *
udp6_of(struct ipv6hdr *ip6, void *end)
{
	__u8 next = ip6->nexthdr;
	void *p = ip6 + 1;
	int i;

#pragma unroll
	for (i = 0; i < IP6_EXT_MAX; i++) {
		struct ipv6_opt_hdr *h = p;

		if (next == IPPROTO_UDP)
			return p;
		if ((void *)(h + 1) > end)
			return NULL;
		if (next == IPPROTO_FRAGMENT) {
			struct xmg_frag_hdr *f = p;

			if ((void *)(f + 1) > end ||
			    (f->frag_off & bpf_htons(IP6_OFFSET)))
				return NULL;
			next = f->nexthdr;
			p = f + 1;
		} else if (next == IPPROTO_HOPOPTS ||
			   next == IPPROTO_ROUTING ||
			   next == IPPROTO_DSTOPTS) {
			next = h->nexthdr;
			p += (h->hdrlen + 1) * 8;
		} else {
			return NULL;
		}
	}
	return next == IPPROTO_UDP ? p : NULL;
}

/* The UDP header after an IPv4 or IPv6 header, and the neighbor key of
 * the source; NULL for anything else (fragments after the first too).
 */
static __always_inline struct udphdr *
udp_of(void *data, void *end, struct xdp_md *ctx, struct xmg_neigh_key *k)
{
	struct ethhdr *eth = data;
	struct udphdr *udp;

	if ((void *)(eth + 1) > end)
		return NULL;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP ||
		    ip->ihl < 5 || (ip->frag_off & bpf_htons(IP_OFFSET)))
			return NULL;
		udp = (void *)ip + ip->ihl * 4;
		k->family = AF_INET;
		__builtin_memcpy(k->addr, &ip->saddr, 4);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end)
			return NULL;
		udp = udp6_of(ip6, end);
		if (!udp)
			return NULL;
		k->family = AF_INET6;
		__builtin_memcpy(k->addr, &ip6->saddr, 16);
	} else {
		return NULL;
	}
	if ((void *)(udp + 1) > end)
		return NULL;
	k->ifindex = ctx->ingress_ifindex;
	return udp;
}

SEC("xdp")
int xmesh_gate(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct xmg_neigh_key k = { };
	struct xmg_bucket *b;
	struct xmg_conf *conf;
	struct udphdr *udp;
	__u32 zero = 0;
	void *neigh;

	conf = bpf_map_lookup_elem(&xmg_conf, &zero);
	udp = udp_of(data, end, ctx, &k);
	if (!conf || !udp ||
	    (udp->dest != conf->data_port && udp->dest != conf->agent_port))
		return verdict(XMG_OTHER, XDP_PASS);

	neigh = bpf_map_lookup_elem(&xmg_neighs, &k);
	if (udp->dest == conf->data_port)
		return neigh ? verdict(XMG_DATA_PASSED, XDP_PASS) :
			       verdict(XMG_DATA_DROPPED, XDP_DROP);
	if (neigh)
		return verdict(XMG_AGENT_PASSED, XDP_PASS);
	b = bpf_map_lookup_elem(&xmg_bucket, &zero);
	if (b && xmg_bucket_take(b, conf->hello_rate, conf->hello_burst,
				 bpf_ktime_get_ns()))
		return verdict(XMG_HELLO_PASSED, XDP_PASS);
	return verdict(XMG_HELLO_DROPPED, XDP_DROP);
}

char LICENSE[] SEC("license") = "GPL";
