/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel's headers for the module's pure parsing code
 * (kmod/wire.c) to compile unchanged in userspace, for the fuzz targets
 * of kmod/fuzz/. xmesh_priv.h's includes resolve here (-I kmod/fuzz/shim):
 * its types need only be complete enough to declare the module's structs,
 * its inline helpers only to parse; nothing but the fuzzed code is called.
 */
#ifndef _XMESH_FUZZ_KSHIM_H
#define _XMESH_FUZZ_KSHIM_H

#include <endian.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#define __rcu
#define __percpu
#define __maybe_unused		__attribute__((__unused__))
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define BITS_PER_LONG		(CHAR_BIT * (int)sizeof(long))
#define BUILD_BUG_ON(cond)	_Static_assert(!(cond), #cond)
#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)	(*(volatile __typeof__(x) *)&(x) = (v))
#define IS_ENABLED(opt)		0

#define cpu_to_be16(x)		((__be16)htobe16(x))
#define cpu_to_be32(x)		((__be32)htobe32(x))
#define cpu_to_be64(x)		((__be64)htobe64(x))
#define be16_to_cpu(x)		be16toh((__u16)(x))
#define be32_to_cpu(x)		be32toh((__u32)(x))
#define be64_to_cpu(x)		be64toh((__u64)(x))

/* Types the module's structs embed: their size does not matter here. */
typedef struct { int counter; } atomic_t;
typedef struct { s64 counter; } atomic64_t;
typedef struct { int lock; } spinlock_t;
typedef struct { u64 v; } u64_stats_t;
struct list_head { struct list_head *next, *prev; };
struct rcu_head { void *next, *func; };
struct rhash_head { struct rhash_head *next; };
struct rhashtable { void *tbl; };
struct u64_stats_sync { int seq; };
struct mutex { int owner; };
struct work_struct { void *func; };
struct delayed_work { struct work_struct work; };
struct sk_buff_head { void *next, *prev; u32 qlen; spinlock_t lock; };
struct ptr_ring { void **queue; int size; };
struct dst_cache { void *cache; };
struct gro_cells { void *cells; };
struct napi_struct { int state; };
struct net_device_stats { unsigned long rx_packets; };
struct in6_addr { union { u8 u6_addr8[16]; __be32 u6_addr32[4]; } in6_u; };
struct iphdr { u8 ihl_version, tos; __be16 tot_len; u8 rest[16]; };
struct ipv6hdr { u8 b[40]; };
struct udphdr { __be16 source, dest, len, check; };
struct sk_buff { char cb[48]; unsigned int len; unsigned char *data; };
struct rhashtable_params { int key_len; };
struct nlattr;
struct genl_info;
struct net;
struct net_device;
struct sock;
struct netlink_callback;
struct netlink_ext_ack;
typedef unsigned int gfp_t;
typedef int netdev_tx_t;

#define CHACHA20POLY1305_KEY_SIZE	32
#define CHACHA20POLY1305_AUTHTAG_SIZE	16

/* Called only by inline helpers of xmesh_priv.h that nothing here calls. */
#define this_cpu_ptr(p)		(p)
#define rcu_dereference(p)	(p)
#define local_bh_disable()	do { } while (0)
#define local_bh_enable()	do { } while (0)
static inline void u64_stats_update_begin(struct u64_stats_sync *s) { (void)s; }
static inline void u64_stats_update_end(struct u64_stats_sync *s) { (void)s; }
static inline void u64_stats_add(u64_stats_t *p, u64 n) { p->v += n; }
static inline void u64_stats_inc(u64_stats_t *p) { p->v++; }

#endif
