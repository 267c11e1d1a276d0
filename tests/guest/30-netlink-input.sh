#!/bin/bash
# Bad netlink input to every command of the xmesh family, sent raw by
# tests/guest/nlraw.py to node 2 of the five-node mesh (tests/guest/mesh.sh)
# and to a scratch device beside it: missing, wrong-typed, out-of-range,
# read-only and unknown attributes, malformed attribute streams, unknown
# entries, duplicates, batch atomicity, the replace and flush flags, the
# table limits, and an unprivileged user. Each error must carry the exact
# errno and an extack message saying why (and, where the check marks one
# with *, point at the offending attribute). Then a seeded fuzz run in a
# namespace of its own, after which the fuzzed devices must still carry
# traffic once configured again, and the mesh must still work. Run it with
#   XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/30-netlink-input.sh
# The fuzz: XMESH_FUZZ_SEED (default 30) and XMESH_FUZZ_COUNT requests
# (default 3000), or as many as XMESH_FUZZ_SECONDS allow if that is set
# (scripts/fuzz-kernel.sh); the seed and count are printed for a replay.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"

FUZZ_SEED=${XMESH_FUZZ_SEED:-30}
FUZZ_COUNT=${XMESH_FUZZ_COUNT:-3000}
FUZZ_SECONDS=${XMESH_FUZZ_SECONDS:-}

# nlraw.py where an unprivileged user can read it too.
tmp=$(mktemp -d)
at_exit "rm -rf '$tmp'"
chmod 755 "$tmp"
install -m 644 "$here/nlraw.py" "$tmp/nlraw.py"

# nl_batch NODE [PREFIX...]: run the check lines on stdin with nlraw.py in
# node NODE's namespace (PREFIX: e.g. setpriv ... to run it as another user).
nl_batch() {
	local node=$1 out
	shift
	out=$(n "$node" "$@" python3 "$tmp/nlraw.py" batch 2>&1) || true
	tap_lines nlraw.py <<<"$out"
}

# section NAME: a TAP comment with the time since the last section.
_t_last=${EPOCHREALTIME/[.,]/}
section() {
	local now=${EPOCHREALTIME/[.,]/}
	printf '# %s (%d.%01d s)\n' "$1" $(((now - _t_last) / 1000000)) \
		$(((now - _t_last) / 100000 % 10))
	_t_last=$now
}

modprobe xmesh
check "mesh of five nodes configured" mesh_up inet
section "mesh up"
# A scratch device beside xmesh0, new: down and without node id.
n 2 ip link add xs0 type xmesh
# The requests that go to node 2 as root, first part.
B1=$tmp/b1
B2=$tmp/b2
# b1: append the check lines on stdin to B1.
b1() { cat >>"$B1"; }

D=ifname=xmesh0
# 50 levels of nests under an unknown attribute, and under a next hop's
# neighbor id.
deep=$(printf '#1{ %.0s' {1..50})$(printf '} %.0s' {1..50})
deep9=$(printf '#9{ %.0s' {1..50})$(printf '} %.0s' {1..50})
NB="node=50 link=@ul1 remote=10.99.1.50"

# ---------------------------------------------------- naming the device
b1 <<EOF
dump naming no device | EINVAL ~ exactly one of ifindex and ifname | neigh-get +dump
do naming no device | EINVAL ~ exactly one of ifindex and ifname | dev-get
both ifindex and ifname | EINVAL ~ exactly one of ifindex and ifname | neigh-new ifindex=@xmesh0 $D neigh{ id=50 $NB }
a non-xmesh device by name (lo) | ENODEV ~ no such xmesh device | dev-get *ifname=lo
a non-xmesh device by index (lo) | ENODEV ~ no such xmesh device | route-new *ifindex=@lo route{ dst=50 nexthop{ neigh=1 } }
no such device by name | ENODEV ~ no such xmesh device | neigh-new *ifname=nosuch0 neigh{ id=50 $NB }
no such device by index | ENODEV ~ no such xmesh device | prefix-del *ifindex=99999 prefix{ family=2 addr=10.0.1.0 len=24 }
dump of a non-xmesh device | ENODEV ~ no such xmesh device | route-get +dump ifname=lo
dump of no such device | ENODEV ~ no such xmesh device | prefix-get +dump ifname=nosuch0
ifindex 0 | ERANGE ~ out of range | dev-get *ifindex=0
ifname of 16 characters | EINVAL ~ policy | dev-get *ifname=abcdefghijklmnop
ifname without its NUL | EINVAL ~ policy | dev-get *ifname:nstr=xmesh0
ifindex of 2 bytes | EINVAL ~ invalid attribute length | dev-get *ifindex:u16=5
ifindex of 8 bytes | EINVAL ~ invalid attribute length | dev-get *ifindex:u64=5
ifindex with NLA_F_NESTED | EINVAL ~ NLA_F_NESTED not expected | dev-get *#1:nest{ @raw=05000000 }
a 60000-byte ifname | EINVAL ~ policy | dev-get *ifname=x*60000
# ------------------------------------------------ the attribute stream
unknown attribute type 60 | EINVAL ~ unknown attribute type | dev-get $D *#60:u32=1
unknown attribute type 0 | EINVAL ~ unknown attribute type | dev-get $D *#0:u32=1
unknown attribute type 16383 | EINVAL ~ unknown attribute type | dev-get $D *#16383
unknown attribute in a dump request | EINVAL ~ unknown attribute type | neigh-get +dump $D *#200
nla_len past the end of the message | EINVAL ~ leftover | dev-get $D @raw=ff000100aabbccdd
ifname's nla_len past the end | EINVAL ~ leftover | dev-get ifname~200=xmesh0
a truncated attribute header | EINVAL ~ leftover | dev-get $D @raw=0800
nla_len below the header size | EINVAL ~ leftover | dev-get $D @raw=02000100
a nest whose nla_len passes its parent's end | EINVAL ~ leftover | neigh-get $D neigh{ id~40=1 }
shorter than the genl header (core: no message) | EINVAL ~ - | dev-get +trunc=18
unknown command (core: no message) | EOPNOTSUPP ~ - | #99 $D
command 0 (core: no message) | EOPNOTSUPP ~ - | #0 $D
an event command as a request (core: no message) | EOPNOTSUPP ~ - | neigh-event $D
dump of a command that has none (core: no message) | EOPNOTSUPP ~ - | neigh-new +dump $D
genl version 0 is accepted | ok dev.node-id=2 | dev-get $D +version=0
genl version 1, ours, is accepted | ok dev.node-id=2 | dev-get $D +version=1
a newer tool's request (version 2) | EPROTONOSUPPORT ~ version 2; this module speaks 1: upgrade it | dev-get $D +version=2
a newer tool's change (version 255) | EPROTONOSUPPORT ~ version 255; this module speaks 1: upgrade it | neigh-del $D +version=255 neigh{ id=999 }
a newer tool's table dump | EPROTONOSUPPORT ~ version 2; this module speaks 1: upgrade it | neigh-get +dump $D +version=2
a newer tool's device dump | EPROTONOSUPPORT ~ version 2; this module speaks 1: upgrade it | dev-get +dump +version=2
genl reserved bits set (core) | EINVAL ~ reserved | dev-get $D +reserved=7
a nest without NLA_F_NESTED | EINVAL ~ NLA_F_NESTED is missing | neigh-get $D *neigh:nonest{ id=1 }
a flag with a payload | ERANGE ~ policy | neigh-del $D *flush:u32=1
a nest of 2 bytes | ERANGE ~ policy | neigh-get $D *neigh{ @raw=0000 }
deep garbage under an unknown attribute | EINVAL ~ unknown attribute type | neigh-get $D *#60{ $deep }
deep garbage in a next hop's neighbor id | EINVAL ~ invalid attribute length|NLA_F_NESTED | route-new $D route{ dst=50 nexthop{ *#1{ $deep } } }
deep garbage under a next hop's unknown attribute | EINVAL ~ unknown attribute type | route-new $D route{ dst=50 nexthop{ neigh=1 *#9{ $deep9 } } }
a 60000-byte remote address | ERANGE ~ binary attribute size out of range | neigh-new $D neigh{ id=50 node=50 link=@ul1 *remote:hex=00*60000 }
EOF

# ------------------------------------------------------------ dev-set
b1 <<EOF
dev-set without dev | EINVAL ~ missing dev attributes | dev-set $D
dev-set node id 0 | ERANGE ~ out of range | dev-set $D dev{ *node-id=0 }
dev-set port 0 | ERANGE ~ out of range | dev-set $D dev{ *port=0 }
dev-set hop limit 0 | ERANGE ~ out of range | dev-set $D dev{ *hop-limit=0 }
dev-set family 3 | EINVAL ~ AF_INET or AF_INET6 | dev-set $D dev{ *family=3 }
dev-set family 0 | EINVAL ~ AF_INET or AF_INET6 | dev-set $D dev{ *family=0 }
dev-set family inet6 with neighbors | EBUSY ~ delete the neighbors | dev-set $D dev{ *family=10 }
dev-set another node id with routes | EBUSY ~ flush routes and prefixes | dev-set $D dev{ *node-id=7 }
dev-set counters (as a nest, as dev-get sends it) | EINVAL ~ read-only | dev-set $D dev{ *counters{ tx-packets=1 } }
dev-set counters (without NLA_F_NESTED) | EINVAL ~ NLA_F_NESTED is missing | dev-set $D dev{ *counters:nonest{ } }
dev-set drops (as a nest) | EINVAL ~ read-only | dev-set $D dev{ *drops{ } }
dev-set neigh-count | EINVAL ~ read-only | dev-set $D dev{ *neigh-count=1 }
dev-set route-count | EINVAL ~ read-only | dev-set $D dev{ *route-count=1 }
dev-set prefix-count | EINVAL ~ read-only | dev-set $D dev{ *prefix-count=1 }
dev-set node id of 2 bytes | EINVAL ~ invalid attribute length | dev-set $D dev{ *node-id:u16=2 }
dev-set port of 4 bytes | EINVAL ~ invalid attribute length | dev-set $D dev{ *port:u32=7600 }
dev-set unknown attribute | EINVAL ~ unknown attribute type | dev-set $D dev{ *#60:u32=1 }
dev-set of lo | ENODEV ~ no such xmesh device | dev-set *ifname=lo dev{ hop-limit=5 }
dev-set the same node id (a no-op) | ok | dev-set $D dev{ node-id=2 }
dev-set an empty dev (a no-op) | ok | dev-set $D dev{ }
the device is unchanged | ok dev.node-id=2 dev.port=7600 dev.family=2 dev.hop-limit=16 | dev-get $D
EOF

# -------------------------------------------------------------- neigh-*
b1 <<EOF
neigh-get without neigh | EINVAL ~ missing the neighbor to get | neigh-get $D
neigh-get without id | EINVAL ~ missing neighbor id | neigh-get $D *neigh{ node=1 }
neigh-get unknown id | ENOENT ~ no (such )?neighbor | neigh-get $D *neigh{ id=99 }
neigh-get id 0 | ERANGE ~ out of range | neigh-get $D neigh{ *id=0 }
neigh-get id 1 | ok neigh.node=1 neigh.remote=10.99.1.1 neigh.port=7600 neigh.state=1 neigh.carrier=1 | neigh-get $D neigh{ id=1 }
neigh dump | ok keys=1,2,4 | neigh-get +dump $D
neigh-new with no entry | EINVAL ~ no neighbor entry given | neigh-new $D
neigh-new with only the flush flag | EINVAL ~ neighbor|flush | neigh-new $D flush
neigh-new without id | EINVAL ~ missing neighbor id | neigh-new $D *neigh{ $NB }
neigh-new without node | EINVAL ~ missing node id | neigh-new $D *neigh{ id=50 link=@ul1 remote=10.99.1.50 }
neigh-new without link | EINVAL ~ missing underlay link | neigh-new $D *neigh{ id=50 node=50 remote=10.99.1.50 }
neigh-new without remote | EINVAL ~ missing remote address | neigh-new $D *neigh{ id=50 node=50 link=@ul1 }
neigh-new id 0 | ERANGE ~ out of range | neigh-new $D neigh{ *id=0 $NB }
neigh-new node 0 | ERANGE ~ out of range | neigh-new $D neigh{ id=50 *node=0 link=@ul1 remote=10.99.1.50 }
neigh-new node = this node's id | EINVAL ~ this node's id | neigh-new $D neigh{ id=50 *node=2 link=@ul1 remote=10.99.1.50 }
neigh-new port 0 | ERANGE ~ out of range | neigh-new $D neigh{ id=50 $NB *port=0 }
neigh-new state 2 | ERANGE ~ out of range | neigh-new $D neigh{ id=50 $NB *state=2 }
neigh-new link 0 | ERANGE ~ out of range | neigh-new $D neigh{ id=50 node=50 *link=0 remote=10.99.1.50 }
neigh-new link 99999 | ENODEV ~ no such underlay interface | neigh-new $D neigh{ id=50 node=50 *link=99999 remote=10.99.1.50 }
neigh-new over xmesh0 itself | ENODEV ~ xmesh device itself | neigh-new $D neigh{ id=50 node=50 *link=@xmesh0 remote=10.99.1.50 }
neigh-new IPv6 remote on an IPv4 device | EINVAL ~ an IPv4 address is 4 bytes | neigh-new $D neigh{ id=50 node=50 link=@ul1 *remote=fd99:1::50 }
neigh-new remote of 5 bytes | EINVAL ~ an IPv4 address is 4 bytes | neigh-new $D neigh{ id=50 node=50 link=@ul1 *remote:hex=0a63013200 }
neigh-new remote of 3 bytes | ERANGE ~ binary attribute size out of range | neigh-new $D neigh{ id=50 node=50 link=@ul1 *remote:hex=0a6301 }
neigh-new remote of 17 bytes | ERANGE ~ binary attribute size out of range | neigh-new $D neigh{ id=50 node=50 link=@ul1 *remote:hex=00*17 }
neigh-new IPv6 local on an IPv4 device | EINVAL ~ an IPv4 address is 4 bytes | neigh-new $D neigh{ id=50 $NB *local=fd99:1::2 }
neigh-new carrier | EINVAL ~ the attribute is read-only | neigh-new $D neigh{ id=50 $NB *carrier=1 }
neigh-new mtu | EINVAL ~ the attribute is read-only | neigh-new $D neigh{ id=50 $NB *mtu=1400 }
neigh-new tx-packets | EINVAL ~ read-only | neigh-new $D neigh{ id=50 $NB *tx-packets=1 }
neigh-new rx-bytes | EINVAL ~ read-only | neigh-new $D neigh{ id=50 $NB *rx-bytes=1 }
neigh-new drops | EINVAL ~ read-only | neigh-new $D neigh{ id=50 $NB *drops=1 }
neigh-new unknown attribute | EINVAL ~ unknown attribute type | neigh-new $D neigh{ id=50 $NB *#16:u32=1 }
neigh-new id of 8 bytes | EINVAL ~ invalid attribute length | neigh-new $D neigh{ *id:u64=50 $NB }
neigh-new id 1 exists | EEXIST ~ neighbor 1 exists | neigh-new $D *neigh{ id=1 node=1 link=@ul1 remote=10.99.1.1 }
neigh-new neighbor 1's address under another id | EEXIST ~ neighbor 1 has that address | neigh-new $D *neigh{ id=50 node=1 link=@ul1 remote=10.99.1.1 }
neigh-new the same id twice | EINVAL ~ twice|two entries | neigh-new $D neigh{ id=50 $NB } *neigh{ id=50 node=51 link=@ul1 remote=10.99.1.51 }
neigh-new the same address twice | EINVAL ~ twice|two entries | neigh-new $D neigh{ id=50 $NB } *neigh{ id=51 $NB }
neigh-new of 4097 entries | E2BIG ~ more than 4096 neighbor entries | neigh-new $D neigh{ id=%i+1 }*4097
neighbors unchanged after neigh-new failures | ok keys=1,2,4 | neigh-get +dump $D
neigh-set with no entry | EINVAL ~ no neighbor entry given | neigh-set $D
neigh-set with only the flush flag | EINVAL ~ neighbor|flush | neigh-set $D flush
neigh-set unknown id | ENOENT ~ no neighbor 99 | neigh-set $D *neigh{ id=99 state=0 }
neigh-set without id | EINVAL ~ missing neighbor id | neigh-set $D *neigh{ state=0 }
neigh-set without state | EINVAL ~ missing state | neigh-set $D *neigh{ id=1 }
neigh-set state 2 | ERANGE ~ out of range | neigh-set $D neigh{ id=1 *state=2 }
neigh-set port | EOPNOTSUPP ~ only the state can be set | neigh-set $D neigh{ id=1 state=0 *port=7601 }
neigh-set node | EOPNOTSUPP ~ only the state can be set | neigh-set $D neigh{ id=1 state=0 *node=1 }
neigh-set carrier | EINVAL ~ the attribute is read-only | neigh-set $D neigh{ id=1 *carrier=0 }
neigh-set of 3 whose 3rd is unknown | ENOENT ~ no neighbor 99 | neigh-set $D neigh{ id=1 state=0 } neigh{ id=2 state=0 } *neigh{ id=99 state=0 }
neighbor 1 still up | ok neigh.state=1 | neigh-get $D neigh{ id=1 }
neighbor 2 still up | ok neigh.state=1 | neigh-get $D neigh{ id=2 }
neigh-set of 4097 entries | E2BIG ~ more than 4096 neighbor entries | neigh-set $D neigh{ id=1 state=1 }*4097
neigh-del with no entry | EINVAL ~ no neighbor entry given | neigh-del $D
neigh-del unknown id | ENOENT ~ no neighbor 99 | neigh-del $D *neigh{ id=99 }
neigh-del without id | EINVAL ~ missing neighbor id | neigh-del $D *neigh{ node=1 }
neigh-del of 3 whose 3rd is unknown | ENOENT ~ no neighbor 99 | neigh-del $D neigh{ id=1 } neigh{ id=2 } *neigh{ id=99 }
neigh-del of 4097 entries | E2BIG ~ more than 4096 neighbor entries | neigh-del $D neigh{ id=%i+1 }*4097
neighbors unchanged after neigh-set/del failures | ok keys=1,2,4 | neigh-get +dump $D
EOF

# -------------------------------------------------------------- route-*
b1 <<EOF
route-get without route | EINVAL ~ missing the route to get | route-get $D
route-get without dst | EINVAL ~ missing destination node | route-get $D *route{ }
route-get unknown dst | ENOENT ~ no route to (that )?node | route-get $D *route{ dst=99 }
route-get dst 0 | ERANGE ~ out of range | route-get $D route{ *dst=0 }
route-get dst 4 | ok route.nexthop.0.neigh=2 route.nexthop.0.active=True route.nexthop.1.neigh=4 route.nexthop.1.priority=1 | route-get $D route{ dst=4 }
route dump | ok keys=1,3,4,5 | route-get +dump $D
route-new with no entry | EINVAL ~ no route entry given | route-new $D
route-new with only the flush flag | EINVAL ~ route|flush | route-new $D flush
route-new without dst | EINVAL ~ missing destination node | route-new $D *route{ nexthop{ neigh=1 } }
route-new without next hop | EINVAL ~ missing next hop | route-new $D *route{ dst=50 }
route-new dst 0 | ERANGE ~ out of range | route-new $D route{ *dst=0 nexthop{ neigh=1 } }
route-new to this node | EINVAL ~ cannot lead to this node | route-new $D route{ *dst=2 nexthop{ neigh=1 } }
route-new next hop without neighbor | EINVAL ~ missing next hop neighbor | route-new $D route{ dst=50 *nexthop{ priority=1 } }
route-new next hop neighbor 0 | ERANGE ~ out of range | route-new $D route{ dst=50 nexthop{ *neigh=0 } }
route-new next hop unknown neighbor | ENOENT ~ no neighbor 99 | route-new $D route{ dst=50 *nexthop{ neigh=99 } }
route-new the same neighbor twice | EINVAL ~ the same neighbor twice | route-new $D route{ dst=50 nexthop{ neigh=1 } *nexthop{ neigh=1 priority=1 } }
route-new priority of 2 bytes | EINVAL ~ invalid attribute length | route-new $D route{ dst=50 nexthop{ neigh=1 *priority:u16=1 } }
route-new active flag | EINVAL ~ the attribute is read-only | route-new $D route{ dst=50 nexthop{ neigh=1 *active } }
route-new next hop unknown attribute | EINVAL ~ unknown attribute type | route-new $D route{ dst=50 nexthop{ neigh=1 *#4:u32=1 } }
route-new route unknown attribute | EINVAL ~ unknown attribute type | route-new $D route{ dst=50 nexthop{ neigh=1 } *#60:u32=1 }
route-new traffic class of 4 bytes | EINVAL ~ invalid attribute length | route-new $D route{ dst=50 nexthop{ neigh=1 } *#4:u32=1 }
route-new next hop without NLA_F_NESTED | EINVAL ~ NLA_F_NESTED is missing | route-new $D route{ dst=50 *nexthop:nonest{ neigh=1 } }
route-new route to 1 exists | EEXIST ~ a route to node 1 exists | route-new $D *route{ dst=1 nexthop{ neigh=1 } }
route-new two routes to one node | EINVAL ~ twice|two routes | route-new $D route{ dst=50 nexthop{ neigh=1 } } *route{ dst=50 nexthop{ neigh=2 } }
route-new of 3 whose 3rd names an unknown neighbor | ENOENT ~ no neighbor 99 | route-new $D route{ dst=50 nexthop{ neigh=1 } } route{ dst=51 nexthop{ neigh=2 } } route{ dst=52 *nexthop{ neigh=99 } }
route-new of 4097 entries | E2BIG ~ more than 4096 route entries | route-new $D route{ dst=%i+100 }*4097
routes unchanged after route-new failures | ok keys=1,3,4,5 | route-get +dump $D
route 4 unchanged | ok route.nexthop.0.neigh=2 route.nexthop.1.neigh=4 route.nexthop.2=(absent) | route-get $D route{ dst=4 }
route-del with no entry | EINVAL ~ no route entry given | route-del $D
route-del unknown dst | ENOENT ~ no route to node 99 | route-del $D *route{ dst=99 }
route-del without dst | EINVAL ~ missing destination node | route-del $D *route{ }
route-del of 3 whose 3rd is unknown | ENOENT ~ no route to node 99 | route-del $D route{ dst=1 } route{ dst=3 } *route{ dst=99 }
route-del of 4097 entries | E2BIG ~ more than 4096 route entries | route-del $D route{ dst=1 }*4097
routes unchanged after route-del failures | ok keys=1,3,4,5 | route-get +dump $D
EOF

# ------------------------------------------------------------- prefix-*
P9="family=2 addr=10.0.9.0 len=24"
b1 <<EOF
prefix-get without prefix | EINVAL ~ missing the prefix to get | prefix-get $D
prefix-get without family | EINVAL ~ missing family | prefix-get $D *prefix{ addr=10.0.1.0 len=24 }
prefix-get without address | EINVAL ~ missing address | prefix-get $D *prefix{ family=2 len=24 }
prefix-get without length | EINVAL ~ missing length | prefix-get $D *prefix{ family=2 addr=10.0.1.0 }
prefix-get unknown | ENOENT ~ no such prefix | prefix-get $D *prefix{ $P9 }
prefix-get family 3 | EINVAL ~ AF_INET or AF_INET6 | prefix-get $D prefix{ *family=3 addr=10.0.1.0 len=24 }
prefix-get 10.0.1.0/24 | ok prefix.node=1 | prefix-get $D prefix{ family=2 addr=10.0.1.0 len=24 }
prefix-get fd00:4::/64 | ok prefix.node=4 | prefix-get $D prefix{ family=10 addr=fd00:4:: len=64 }
prefix dump | ok n=8 | prefix-get +dump $D
prefix-new with no entry | EINVAL ~ no prefix entry given | prefix-new $D
prefix-new with only the flush flag | EINVAL ~ prefix|flush | prefix-new $D flush
prefix-new without node | EINVAL ~ missing node id | prefix-new $D *prefix{ $P9 }
prefix-new without family | EINVAL ~ missing family | prefix-new $D *prefix{ addr=10.0.9.0 len=24 node=9 }
prefix-new node 0 | ERANGE ~ out of range | prefix-new $D prefix{ $P9 *node=0 }
prefix-new family 3 | EINVAL ~ AF_INET or AF_INET6 | prefix-new $D prefix{ *family=3 addr=10.0.9.0 len=24 node=9 }
prefix-new family 0 | EINVAL ~ AF_INET or AF_INET6 | prefix-new $D prefix{ *family=0 addr=10.0.9.0 len=24 node=9 }
prefix-new IPv4 length 33 | EINVAL ~ at most 32 bits | prefix-new $D prefix{ family=2 addr=10.0.9.0 *len=33 node=9 }
prefix-new IPv6 length 129 | ERANGE ~ out of range | prefix-new $D prefix{ family=10 addr=fd00:9:: *len=129 node=9 }
prefix-new IPv4 host bits | EINVAL ~ bits set beyond the prefix length | prefix-new $D prefix{ family=2 *addr=10.0.9.1 len=24 node=9 }
prefix-new IPv6 host bits | EINVAL ~ bits set beyond the prefix length | prefix-new $D prefix{ family=10 *addr=fd00:9::1 len=64 node=9 }
prefix-new IPv4 /0 with an address | EINVAL ~ bits set beyond the prefix length | prefix-new $D prefix{ family=2 *addr=10.0.0.0 len=0 node=9 }
prefix-new IPv4 family, 16-byte address | EINVAL ~ an IPv4 address is 4 bytes | prefix-new $D prefix{ family=2 *addr=fd00:9:: len=24 node=9 }
prefix-new IPv6 family, 4-byte address | EINVAL ~ an IPv6 address is 16 bytes | prefix-new $D prefix{ family=10 *addr=10.0.9.0 len=64 node=9 }
prefix-new address of 2 bytes | ERANGE ~ binary attribute size out of range | prefix-new $D prefix{ family=2 *addr:hex=0a00 len=16 node=9 }
prefix-new length of 4 bytes | EINVAL ~ invalid attribute length | prefix-new $D prefix{ family=2 addr=10.0.9.0 *len:u32=24 node=9 }
prefix-new unknown attribute | EINVAL ~ unknown attribute type | prefix-new $D prefix{ $P9 node=9 *#5:u32=1 }
prefix-new 10.0.1.0/24 exists | EEXIST ~ the prefix exists | prefix-new $D *prefix{ family=2 addr=10.0.1.0 len=24 node=1 }
prefix-new the same prefix twice | EINVAL ~ twice | prefix-new $D prefix{ $P9 node=9 } *prefix{ $P9 node=8 }
prefix-new of 3 whose 3rd has host bits | EINVAL ~ bits set beyond the prefix length | prefix-new $D prefix{ $P9 node=9 } prefix{ family=2 addr=10.0.10.0 len=24 node=9 } prefix{ family=2 *addr=10.0.11.1 len=24 node=9 }
prefix-new of 4097 entries | E2BIG ~ more than 4096 prefix entries | prefix-new $D prefix{ family=2 }*4097
prefixes unchanged after prefix-new failures | ok n=8 | prefix-get +dump $D
prefix-del with no entry | EINVAL ~ no prefix entry given | prefix-del $D
prefix-del unknown | ENOENT ~ no such prefix | prefix-del $D *prefix{ $P9 }
prefix-del without length | EINVAL ~ missing length | prefix-del $D *prefix{ family=2 addr=10.0.1.0 }
prefix-del of 3 whose 3rd is unknown | ENOENT ~ no such prefix | prefix-del $D prefix{ family=2 addr=10.0.1.0 len=24 } prefix{ family=2 addr=10.0.3.0 len=24 } *prefix{ $P9 }
prefix-del of 4097 entries | E2BIG ~ more than 4096 prefix entries | prefix-del $D prefix{ family=2 }*4097
prefixes unchanged after prefix-del failures | ok n=8 | prefix-get +dump $D
EOF

# ------------------------------------------------------------- oam-send
b1 <<EOF
oam-send without oam | EINVAL ~ missing oam attributes | oam-send $D
oam-send without dst or neigh | EINVAL ~ missing destination node or neighbor | oam-send $D *oam{ seq=1 }
oam-send dst 0 | ERANGE ~ out of range | oam-send $D oam{ *dst=0 }
oam-send hop limit 0 | ERANGE ~ out of range | oam-send $D oam{ dst=4 *hop-limit=0 }
oam-send to this node | EINVAL ~ that is this node | oam-send $D oam{ *dst=2 }
oam-send to an unrouted node | ENOENT ~ no route to node 99 | oam-send $D oam{ dst=99 }
oam-send op | EINVAL ~ read-only | oam-send $D oam{ dst=4 *op=1 }
oam-send reporter | EINVAL ~ read-only | oam-send $D oam{ dst=4 *reporter=1 }
oam-send rtt-ns | EINVAL ~ read-only | oam-send $D oam{ dst=4 *rtt-ns=1 }
oam-send ident of 4 bytes | EINVAL ~ invalid attribute length | oam-send $D oam{ dst=4 *ident:u32=1 }
oam-send unknown attribute | EINVAL ~ unknown attribute type | oam-send $D oam{ dst=4 *#10:u32=1 }
oam-send a valid probe | ok | oam-send $D oam{ dst=4 ident=7 seq=1 hop-limit=3 }
oam-send neigh 0 | ERANGE ~ out of range | oam-send $D oam{ *neigh=0 }
oam-send neigh of 2 bytes | EINVAL ~ invalid attribute length | oam-send $D oam{ *neigh:u16=1 }
oam-send over an unknown neighbor | ENOENT ~ no neighbor 99 | oam-send $D oam{ *neigh=99 }
oam-send over a neighbor with a hop limit | EINVAL ~ one hop | oam-send $D oam{ neigh=1 *hop-limit=1 }
oam-send over a neighbor to another node | EINVAL ~ neighbor 1 is node 1 | oam-send $D oam{ neigh=1 *dst=4 }
oam-send over a neighbor to its node | ok | oam-send $D oam{ neigh=1 dst=1 ident=7 seq=2 }
oam-send a valid link probe | ok | oam-send $D oam{ neigh=2 ident=7 seq=3 }
EOF

# ------------------------------------------------------------------ keys
# Keys of node 2's neighbors 1, 2 and 4; the bytes are write-only.
K1=$(printf '11%.0s' {1..32})
K2=$(printf '22%.0s' {1..32})
K3=$(printf '33%.0s' {1..32})
Z31=$(printf '00%.0s' {1..31})
b1 <<EOF
key-new without a key | EINVAL ~ no key entry given | key-new $D
key-new without a neighbor or node | EINVAL ~ give exactly one | key-new $D *key{ id=1 dir=1 key=$K1 }
key-new without an id | EINVAL ~ missing key id | key-new $D *key{ neigh=1 dir=1 key=$K1 }
key-new without a direction | EINVAL ~ missing direction | key-new $D *key{ neigh=1 id=1 key=$K1 }
key-new without key bytes | EINVAL ~ missing key bytes | key-new $D *key{ neigh=1 id=1 dir=1 }
key-new key id 0 | ERANGE ~ out of range | key-new $D key{ neigh=1 *id=0 dir=1 key=$K1 }
key-new direction 0 | ERANGE ~ out of range | key-new $D key{ neigh=1 id=1 *dir=0 key=$K1 }
key-new direction 3 | ERANGE ~ out of range | key-new $D key{ neigh=1 id=1 *dir=3 key=$K1 }
key-new neighbor 0 | ERANGE ~ out of range | key-new $D key{ *neigh=0 id=1 dir=1 key=$K1 }
key-new of 31 bytes | ERANGE ~ binary attribute size out of range | key-new $D key{ neigh=1 id=1 dir=1 *key=${K1:2} }
key-new of 33 bytes | ERANGE ~ binary attribute size out of range | key-new $D key{ neigh=1 id=1 dir=1 *key=${K1}00 }
key-new id of 4 bytes | EINVAL ~ invalid attribute length | key-new $D key{ neigh=1 *id:u32=1 dir=1 key=$K1 }
key-new for an unknown neighbor | ENOENT ~ no neighbor 99 | key-new $D key{ *neigh=99 id=1 dir=1 key=$K1 }
key-new counter | EINVAL ~ read-only | key-new $D key{ neigh=1 id=1 dir=1 key=$K1 *counter=5 }
key-new packets | EINVAL ~ read-only | key-new $D key{ neigh=1 id=1 dir=1 key=$K1 *packets=5 }
key-new auth-failed | EINVAL ~ read-only | key-new $D key{ neigh=1 id=1 dir=1 key=$K1 *auth-failed=5 }
key-new unknown attribute | EINVAL ~ unknown attribute type | key-new $D key{ neigh=1 id=1 dir=1 key=$K1 *#12:u32=1 }
key-new two transmit keys for one neighbor | EINVAL ~ the same key twice | key-new $D key{ neigh=1 id=1 dir=1 key=$K1 } *key{ neigh=1 id=2 dir=1 key=$K2 }
key-new of 3 whose 3rd names an unknown neighbor | ENOENT ~ no neighbor 99 | key-new $D key{ neigh=1 id=1 dir=1 key=$K1 } key{ neigh=2 id=1 dir=2 key=$K1 } key{ *neigh=99 id=1 dir=2 key=$K1 }
no keys after the failures | ok n=0 | key-get +dump $D
key-new transmit key 1 of neighbor 1 | ok | key-new $D key{ neigh=1 id=1 dir=1 key=$K1 }
the key reads back without its bytes | ok key.neigh=1 key.id=1 key.dir=1 key.counter=0 key.packets=0 key.key=(absent) | key-get $D key{ neigh=1 id=1 dir=1 }
the device counts it | ok dev.key-count=1 dev.security=0 | dev-get $D
key-new transmit key 1 again | EEXIST ~ neighbor 1 has transmit key 1 | key-new $D *key{ neigh=1 id=1 dir=1 key=$K2 }
key-new replace with the same bytes | EEXIST ~ in use | key-new $D *key{ neigh=1 id=1 dir=1 key=$K1 } replace
key-new another id with the same bytes | EEXIST ~ in use | key-new $D *key{ neigh=1 id=2 dir=1 key=$K1 }
key-new transmit key 2: sending switches to it | ok | key-new $D key{ neigh=1 id=2 dir=1 key=$K2 }
transmit key 1 is gone | ENOENT ~ neighbor 1 has no transmit key 1 | key-get $D *key{ neigh=1 id=1 dir=1 }
one transmit key | ok keys=1/1/2 | key-get +dump $D
key-get by its bytes | EINVAL ~ not by its bytes | key-get $D key{ neigh=1 id=2 dir=1 *key=$K2 }
key-new 4 receive keys | ok | key-new $D key{ neigh=1 id=%i+1 dir=2 key=%i$Z31 }*4
key-new a 5th receive key | ENOSPC ~ more than 4 receive keys | key-new $D key{ neigh=1 id=9 dir=2 key=$K3 }
key-new replace a receive key in place | ok | key-new $D key{ neigh=1 id=4 dir=2 key=$K3 } replace
key-new 5 receive keys of neighbor 2 at once | ENOSPC ~ more than 4 receive keys | key-new $D key{ neigh=2 id=%i+1 dir=2 key=%i$Z31 }*5
key-new the same receive key twice | EINVAL ~ the same key twice | key-new $D key{ neigh=2 id=1 dir=2 key=$K1 } *key{ neigh=2 id=1 dir=2 key=$K2 }
keys after the failures | ok keys=1/1/2,1/2/1,1/2/2,1/2/3,1/2/4 | key-get +dump $D
refusals at the limit counted | ok dev.counters.key-limit-hits=2 | dev-get $D
key-del unknown | ENOENT ~ neighbor 1 has no receive key 9 | key-del $D *key{ neigh=1 id=9 dir=2 }
key-del of 3 whose 3rd is unknown | ENOENT ~ no receive key 7 | key-del $D key{ neigh=1 id=1 dir=2 } key{ neigh=1 id=2 dir=2 } *key{ neigh=1 id=7 dir=2 }
key-del of 2 | ok | key-del $D key{ neigh=1 id=1 dir=2 } key{ neigh=1 id=2 dir=2 }
keys after key-del | ok keys=1/1/2,1/2/3,1/2/4 | key-get +dump $D
key flush | ok | key-del $D flush
no keys after flush | ok dev.key-count=0 | dev-get $D
key-new for a neighbor and a node | EINVAL ~ give exactly one | key-new $D *key{ neigh=1 node=3 id=1 dir=1 key=$K1 }
key-new origin key of node 0 | ERANGE ~ out of range | key-new $D key{ *node=0 id=1 dir=1 key=$K1 }
key-new origin key id 0 | ERANGE ~ out of range | key-new $D key{ node=3 *id=0 dir=1 key=$K1 }
key-new origin key of 31 bytes | ERANGE ~ binary attribute size out of range | key-new $D key{ node=3 id=1 dir=1 *key=${K1:2} }
key-new origin key of 33 bytes | ERANGE ~ binary attribute size out of range | key-new $D key{ node=3 id=1 dir=1 *key=${K1}00 }
key-new node of 2 bytes | EINVAL ~ invalid attribute length | key-new $D key{ *node:u16=3 id=1 dir=1 key=$K1 }
key-new origin key without a direction | EINVAL ~ missing direction | key-new $D *key{ node=3 id=1 key=$K1 }
key-new origin key for this node | EINVAL ~ node 2 is this node | key-new $D key{ *node=2 id=1 dir=1 key=$K1 }
key-get origin key of a node without keys | ENOENT ~ node 9 has no transmit origin key 1 | key-get $D *key{ node=9 id=1 dir=1 }
key-del origin key of a node without keys | ENOENT ~ node 9 has no receive origin key 1 | key-del $D *key{ node=9 id=1 dir=2 }
key-new origin transmit key 1 of node 3 | ok | key-new $D key{ node=3 id=1 dir=1 key=$K1 }
the origin key reads back by node | ok key.node=3 key.id=1 key.dir=1 key.counter=0 key.neigh=(absent) key.key=(absent) | key-get $D key{ node=3 id=1 dir=1 }
key-new origin transmit key 1 again | EEXIST ~ node 3 has transmit origin key 1 | key-new $D *key{ node=3 id=1 dir=1 key=$K2 }
key-new origin replace with the same bytes | EEXIST ~ in use | key-new $D *key{ node=3 id=1 dir=1 key=$K1 } replace
key-new 5 origin receive keys of node 3 at once | ENOSPC ~ node 3 would have more than 4 receive origin keys | key-new $D key{ node=3 id=%i+1 dir=2 key=%i$Z31 }*5
key-new a per-hop key beside it | ok | key-new $D key{ neigh=1 id=1 dir=1 key=$K2 }
the dump shows both kinds | ok keys=n3/1/1,1/1/1 | key-get +dump $D
the device counts both | ok dev.key-count=2 | dev-get $D
key-del the origin key | ok | key-del $D key{ node=3 id=1 dir=1 }
the per-hop key is left | ok keys=1/1/1 | key-get +dump $D
the origin key is gone | ENOENT ~ node 3 has no transmit origin key 1 | key-get $D *key{ node=3 id=1 dir=1 }
an origin receive key of node 4, for the flush | ok | key-new $D key{ node=4 id=1 dir=2 key=$K3 }
key flush | ok | key-del $D flush
no keys after the flush | ok dev.key-count=0 | dev-get $D
dev-set origin 2 | ERANGE ~ out of range | dev-set $D dev{ *origin=2 }
dev-set origin on while security none | EINVAL ~ origin seals need security auth or encrypt | dev-set $D dev{ *origin=1 }
origin off by default | ok dev.origin=0 dev.security=0 | dev-get $D
dev-set origin on with security auth | ok | dev-set $D dev{ security=1 origin=1 }
origin on | ok dev.origin=1 dev.security=1 | dev-get $D
dev-set security none while origin on | EINVAL ~ origin seals need security | dev-set $D dev{ *security=0 }
dev-set origin off and security none | ok | dev-set $D dev{ security=0 origin=0 }
dev-set security 3 | ERANGE ~ out of range | dev-set $D dev{ *security=3 }
dev-set key count | EINVAL ~ read-only | dev-set $D dev{ *key-count=1 }
security and key count unchanged | ok dev.security=0 dev.key-count=0 | dev-get $D
EOF

# --------------------- a scratch device beside xmesh0: batches, flags
X=ifname=xs0
b1 <<EOF
a new device has no node id, port 7600, IPv4 | ok dev.node-id=(absent) dev.port=7600 dev.family=2 dev.neigh-count=0 | dev-get $X
oam-send from a device without node id | ENETDOWN ~ needs a node id and must be up | oam-send $X oam{ dst=4 }
a link probe from a device without node id | ENETDOWN ~ needs a node id and must be up | oam-send $X oam{ neigh=1 }
dev-set node 9, port 7610 | ok | dev-set $X dev{ node-id=9 port=7610 }
oam-send from a device that is down | ENETDOWN ~ must be up | oam-send $X oam{ dst=4 }
a link probe from a device that is down | ENETDOWN ~ must be up | oam-send $X oam{ neigh=1 }
EOF
nl_batch 2 <"$B1"
section "bad input to xmesh0, the scratch device set up"

# ----------------------------------------------- an unprivileged user
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
nl_batch 2 "${nobody[@]}" <<EOF
nobody reads the device | ok dev.node-id=2 | dev-get $D
nobody dumps the devices | ok keys=xmesh0,xs0 | dev-get +dump
nobody dumps the neighbors | ok keys=1,2,4 | neigh-get +dump $D
nobody gets a route | ok route.dst=4 | route-get $D route{ dst=4 }
nobody dumps the prefixes | ok n=8 | prefix-get +dump $D
nobody: dev-set (core: no message) | EPERM ~ - | dev-set $D dev{ hop-limit=5 }
nobody: neigh-new (core: no message) | EPERM ~ - | neigh-new $D neigh{ id=50 $NB }
nobody: neigh-set (core: no message) | EPERM ~ - | neigh-set $D neigh{ id=1 state=0 }
nobody: neigh-del (core: no message) | EPERM ~ - | neigh-del $D neigh{ id=1 }
nobody: neigh-del flush (core: no message) | EPERM ~ - | neigh-del $D flush
nobody: route-new (core: no message) | EPERM ~ - | route-new $D route{ dst=50 nexthop{ neigh=1 } }
nobody: route-del (core: no message) | EPERM ~ - | route-del $D route{ dst=4 }
nobody: prefix-new (core: no message) | EPERM ~ - | prefix-new $D prefix{ $P9 node=9 }
nobody: prefix-del (core: no message) | EPERM ~ - | prefix-del $D flush
nobody: oam-send (core: no message) | EPERM ~ - | oam-send $D oam{ dst=4 }
nobody: a link probe (core: no message) | EPERM ~ - | oam-send $D oam{ neigh=1 }
nobody dumps the keys | ok n=0 | key-get +dump $D
nobody: key-new (core: no message) | EPERM ~ - | key-new $D key{ neigh=1 id=1 dir=1 key=$K1 }
nobody: key-del (core: no message) | EPERM ~ - | key-del $D flush
EOF

section "an unprivileged user"

n 2 ip link set xs0 up
cat >"$B2" <<EOF
dev-set a port xmesh0 holds | EADDRINUSE ~ cannot bind UDP port 7600 | dev-set $X dev{ port=7600 }
the port is unchanged | ok dev.port=7610 | dev-get $X
oam-send without a route | ENOENT ~ no route to node 4 | oam-send $X oam{ dst=4 }
a link probe without neighbors | ENOENT ~ no neighbor 1 | oam-send $X oam{ *neigh=1 }
neigh-new of 3 whose 3rd has an IPv6 remote | EINVAL ~ an IPv4 address is 4 bytes | neigh-new $X neigh{ id=1 node=11 link=@ul1 remote=10.98.0.1 } neigh{ id=2 node=12 link=@ul1 remote=10.98.0.2 } neigh{ id=3 node=13 link=@ul1 *remote=fd98::3 }
nothing added | ok keys= | neigh-get +dump $X
neigh-new of 3 whose 3rd names no link | ENODEV ~ no such underlay interface | neigh-new $X neigh{ id=1 node=11 link=@ul1 remote=10.98.0.1 } neigh{ id=2 node=12 link=@ul1 remote=10.98.0.2 } neigh{ id=3 node=13 *link=99999 remote=10.98.0.3 }
still nothing added | ok keys= | neigh-get +dump $X
neigh-new of 9 | ok | neigh-new $X neigh{ id=%i+1 node=%i+11 link=@ul1 remote=10.98.0.1+%i }*9
9 neighbors | ok keys=1,2,3,4,5,6,7,8,9 | neigh-get +dump $X
neigh-new of 3 whose 3rd exists | EEXIST ~ neighbor 9 exists | neigh-new $X neigh{ id=20 node=20 link=@ul1 remote=10.98.0.20 } neigh{ id=21 node=21 link=@ul1 remote=10.98.0.21 } *neigh{ id=9 node=19 link=@ul1 remote=10.98.0.9 }
still 9 neighbors | ok keys=1,2,3,4,5,6,7,8,9 | neigh-get +dump $X
route-new with 9 next hops | E2BIG ~ more than 8 next hops | route-new $X route{ dst=20 nexthop{ neigh=%i+1 }*8 *nexthop{ neigh=9 } }
route-new with 8 next hops | ok | route-new $X route{ dst=20 nexthop{ neigh=%i+1 }*8 }
8 active next hops | ok route.nexthop.0.active=True route.nexthop.7.neigh=8 route.nexthop.7.active=True | route-get $X route{ dst=20 }
route-new of 3 whose 3rd names an unknown neighbor | ENOENT ~ no neighbor 99 | route-new $X route{ dst=21 nexthop{ neigh=1 } } route{ dst=22 nexthop{ neigh=2 } } route{ dst=23 *nexthop{ neigh=99 } }
route-new of 3 whose 3rd exists | EEXIST ~ a route to node 20 exists | route-new $X route{ dst=21 nexthop{ neigh=1 } } route{ dst=22 nexthop{ neigh=2 } } *route{ dst=20 nexthop{ neigh=3 } }
routes unchanged | ok keys=20 | route-get +dump $X
route-new with replace: 20 replaced, 21 added | ok | route-new $X route{ dst=20 nexthop{ neigh=5 } } route{ dst=21 nexthop{ neigh=1 } nexthop{ neigh=2 priority=1 } } replace
route 20 replaced whole | ok route.nexthop.0.neigh=5 route.nexthop.1=(absent) | route-get $X route{ dst=20 }
route 21: the backup is not active | ok route.nexthop.0.active=True route.nexthop.1.active=(absent) | route-get $X route{ dst=21 }
routes 20 and 21 | ok keys=20,21 | route-get +dump $X
neigh-set of 3 whose 3rd is unknown | ENOENT ~ no neighbor 99 | neigh-set $X neigh{ id=1 state=0 } neigh{ id=5 state=0 } *neigh{ id=99 state=0 }
route 20 still active | ok route.nexthop.0.active=True | route-get $X route{ dst=20 }
neigh-set 1 down | ok | neigh-set $X neigh{ id=1 state=0 }
route 21 moved to its backup | ok route.nexthop.0.active=(absent) route.nexthop.1.active=True | route-get $X route{ dst=21 }
neigh-set 1 up | ok | neigh-set $X neigh{ id=1 state=1 }
neighbor 1 up again | ok neigh.state=1 | neigh-get $X neigh{ id=1 }
neigh-new with replace: 1 gets port 7700 | ok | neigh-new $X neigh{ id=1 node=11 link=@ul1 remote=10.98.0.1 port=7700 } replace
neighbor 1 replaced | ok neigh.port=7700 neigh.node=11 | neigh-get $X neigh{ id=1 }
route 21 follows the replaced neighbor | ok route.nexthop.0.neigh=1 route.nexthop.0.active=True | route-get $X route{ dst=21 }
neigh replace onto neighbor 2's address | EEXIST ~ neighbor 2 has that address | neigh-new $X *neigh{ id=1 node=11 link=@ul1 remote=10.98.0.2 } replace
neigh-new with replace, one replaced and one new | ok | neigh-new $X neigh{ id=1 node=11 link=@ul1 remote=10.98.0.1 } neigh{ id=10 node=20 link=@ul1 remote=10.98.0.10 } replace
10 neighbors | ok keys=1,2,3,4,5,6,7,8,9,10 | neigh-get +dump $X
neigh-del of 3 whose 3rd is unknown | ENOENT ~ no neighbor 99 | neigh-del $X neigh{ id=9 } neigh{ id=10 } *neigh{ id=99 }
still 10 neighbors | ok keys=1,2,3,4,5,6,7,8,9,10 | neigh-get +dump $X
neigh-del the same id twice | ok | neigh-del $X neigh{ id=10 } neigh{ id=10 }
neighbor 10 gone | ok keys=1,2,3,4,5,6,7,8,9 | neigh-get +dump $X
neigh-del a neighbor a route uses | ok | neigh-del $X neigh{ id=5 }
route 20 lost its only next hop | ok route.dst=20 route.nexthop=(absent) | route-get $X route{ dst=20 }
route-del of 3 whose 3rd is unknown | ENOENT ~ no route to node 99 | route-del $X route{ dst=20 } route{ dst=21 } *route{ dst=99 }
routes 20 and 21 still there | ok keys=20,21 | route-get +dump $X
route-del the same dst twice | ok | route-del $X route{ dst=21 } route{ dst=21 }
route 21 gone | ok keys=20 | route-get +dump $X
prefix-new of 3 whose 3rd has host bits | EINVAL ~ bits set beyond | prefix-new $X prefix{ family=2 addr=10.50.0.0 len=16 node=11 } prefix{ family=10 addr=fd50:: len=16 node=12 } prefix{ family=2 *addr=10.51.0.1 len=16 node=12 }
no prefixes | ok n=0 | prefix-get +dump $X
prefix-new of 2 | ok | prefix-new $X prefix{ family=2 addr=10.50.0.0 len=16 node=11 } prefix{ family=10 addr=fd50:: len=16 node=12 }
prefix-new with replace: one moved, one new | ok | prefix-new $X prefix{ family=2 addr=10.50.0.0 len=16 node=13 } prefix{ family=2 addr=10.51.0.0 len=16 node=11 } replace
the prefix moved | ok prefix.node=13 | prefix-get $X prefix{ family=2 addr=10.50.0.0 len=16 }
prefix-new without replace | EEXIST ~ the prefix exists | prefix-new $X *prefix{ family=2 addr=10.50.0.0 len=16 node=11 }
prefix-del of 3 whose 3rd is unknown | ENOENT ~ no such prefix | prefix-del $X prefix{ family=2 addr=10.50.0.0 len=16 } prefix{ family=10 addr=fd50:: len=16 } *prefix{ family=2 addr=10.52.0.0 len=16 }
3 prefixes | ok keys=10.50.0.0/16,10.51.0.0/16,fd50::/16 | prefix-get +dump $X
prefix-del the same prefix twice (as neigh-del and route-del allow) | ok | prefix-del $X prefix{ family=10 addr=fd50:: len=16 } prefix{ family=10 addr=fd50:: len=16 }
one sendmsg: prefix-new with replace and a prefix-del | ok ;; ok | prefix-new $X prefix{ family=2 addr=10.52.0.0 len=16 node=11 } prefix{ family=2 addr=10.50.0.0 len=16 node=11 } replace ;; prefix-del $X prefix{ family=2 addr=10.51.0.0 len=16 }
the table after the diff | ok keys=10.50.0.0/16,10.52.0.0/16 | prefix-get +dump $X
one sendmsg: a failing request does not stop the next | ENOENT ~ no such prefix ;; ok keys=10.50.0.0/16,10.52.0.0/16 | prefix-del $X prefix{ family=2 addr=10.99.0.0 len=16 } ;; prefix-get +dump $X
prefix flush | ok | prefix-del $X flush
no prefixes after flush | ok n=0 | prefix-get +dump $X
route flush | ok | route-del $X flush
no routes after flush | ok n=0 | route-get +dump $X
neigh flush | ok | neigh-del $X flush
no neighbors after flush | ok n=0 | neigh-get +dump $X
empty tables counted | ok dev.neigh-count=0 dev.route-count=0 dev.prefix-count=0 | dev-get $X
the family may change once no neighbor is left | ok | dev-set $X dev{ family=10 }
the device is IPv6 now | ok dev.family=10 | dev-get $X
an IPv4 remote on an IPv6 device | EINVAL ~ an IPv6 address is 16 bytes | neigh-new $X neigh{ id=1 node=11 link=@ul1 *remote=10.98.0.1 }
the node id may change once the tables are empty | ok | dev-set $X dev{ node-id=19 family=2 }
node 19, IPv4 | ok dev.node-id=19 dev.family=2 | dev-get $X
EOF

# ------------------------------------------------------- table limits
# The neighbor table's (4096, one request), each refusal counted once.
cat >>"$B2" <<EOF
no refusals counted yet | ok dev.counters.neigh-limit-hits=0 dev.counters.route-limit-hits=0 dev.counters.prefix-limit-hits=0 | dev-get $X
4096 neighbors in one request | ok | neigh-new $X neigh{ id=%i+1 node=50 link=@ul1 remote=10.96.0.0+%i }*4096
4096 neighbors counted | ok dev.neigh-count=4096 | dev-get $X
a dump of 4096 neighbors | ok n=4096 | neigh-get +dump $X
neighbor 4097 | ENOSPC ~ neighbor table holds at most 4096 | neigh-new $X neigh{ id=5000 node=50 link=@ul1 remote=10.97.0.1 }
the refusal counted | ok dev.counters.neigh-limit-hits=1 dev.counters.route-limit-hits=0 | dev-get $X
neigh replace with a full table | ok | neigh-new $X neigh{ id=1 node=51 link=@ul1 remote=10.96.0.0 } replace
a replace and a new one | ENOSPC ~ neighbor table holds at most 4096 | neigh-new $X neigh{ id=2 node=51 link=@ul1 remote=10.96.0.1 } neigh{ id=5000 node=50 link=@ul1 remote=10.97.0.1 } replace
two new ones | ENOSPC ~ neighbor table holds at most 4096 | neigh-new $X neigh{ id=5000 node=50 link=@ul1 remote=10.97.0.1 } neigh{ id=5001 node=50 link=@ul1 remote=10.97.0.2 }
one count per refused request | ok dev.counters.neigh-limit-hits=3 dev.neigh-count=4096 | dev-get $X
flush of 4096 neighbors | ok | neigh-del $X flush
tables empty | ok dev.neigh-count=0 dev.route-count=0 dev.prefix-count=0 | dev-get $X
a neighbor for the routes | ok | neigh-new $X neigh{ id=1 node=50 link=@ul1 remote=10.96.0.1 }
EOF
nl_batch 2 <"$B2"
section "batches, flags and the neighbor limit on the scratch device"

# The route and prefix tables (65536 each), 4096 entries per request, built
# by nlraw.py fill (its notation is too slow for this under emulation).
nl_fill() {
	local out
	out=$(n 2 python3 "$tmp/nlraw.py" fill xs0 "$@" 2>&1) || true
	tap_lines nlraw.py <<<"$out"
}
nl_fill route 65536 1
nl_batch 2 <<EOF
65536 routes counted | ok dev.route-count=65536 | dev-get $X
route 65537 | ENOSPC ~ route table holds at most 65536 | route-new $X route{ dst=1 nexthop{ neigh=1 } }
route replace with a full table | ok | route-new $X route{ dst=100 nexthop{ neigh=1 priority=1 } } replace
the route refusal counted | ok dev.counters.route-limit-hits=1 dev.route-count=65536 | dev-get $X
flush of 65536 routes | ok | route-del $X flush
EOF
section "the route limit"
nl_fill prefix 65536
nl_batch 2 <<EOF
65536 prefixes counted | ok dev.prefix-count=65536 | dev-get $X
prefix 65537 | ENOSPC ~ prefix table holds at most 65536 | prefix-new $X prefix{ family=10 addr=fd00:: len=64 node=5 }
prefix replace with a full table | ok | prefix-new $X prefix{ family=2 addr=10.0.0.0 len=24 node=6 } replace
the prefix refusal counted | ok dev.counters.prefix-limit-hits=1 dev.counters.neigh-limit-hits=3 dev.counters.route-limit-hits=1 | dev-get $X
flush of 65536 prefixes | ok | prefix-del $X flush
tables empty again | ok dev.neigh-count=1 dev.route-count=0 dev.prefix-count=0 | dev-get $X
EOF
section "the route and prefix limits"
check "a scratch device with tables deleted" n 2 ip link del xs0

# ----------------------------------------------------------------- fuzz
# In a namespace of its own, so that whatever the fuzz configures stays
# away from the mesh: two xmesh devices (IPv4 and IPv6 underlay) and a veth
# pair for their neighbors.
ns_add fz
ip -n xm-fz link add fza type veth peer name fzb
printf '%s\n' "addr add 10.77.0.100/24 dev fza" "link set fza up" "link set fzb up" \
	"link add xf4 type xmesh" "link add xf6 type xmesh" | ip -n xm-fz -batch -
n fz "$XMESH" dev set xf4 node 1 port 7700
n fz "$XMESH" dev set xf6 node 2 port 7701 family inet6
ip -n xm-fz link set xf4 up
ip -n xm-fz link set xf6 up
fuzz_len=${FUZZ_SECONDS:+$FUZZ_SECONDS s}
echo "# fuzz: seed $FUZZ_SEED, ${fuzz_len:-$FUZZ_COUNT requests}"
out=$(n fz python3 "$tmp/nlraw.py" fuzz --seed "$FUZZ_SEED" --count "$FUZZ_COUNT" \
	${FUZZ_SECONDS:+--seconds "$FUZZ_SECONDS"} \
	--dev xf4 --dev xf6 --link fza --link fzb --link lo 2>&1) || true
tap_lines nlraw.py <<<"$out"
section "fuzz"
check "fuzzed devices still dump" n fz "$XMESH" -d xf4 route show

# The fuzzed devices still carry traffic: each, its tables flushed and set
# up again, pings a fresh device of its underlay family in namespace fz2,
# over a veth pair of their own (fzc, fzd).
ns_add fz2
ip -n xm-fz link add fzc type veth peer name fzd netns xm-fz2
printf '%s\n' "addr add 10.78.0.1/24 dev fzc" "addr add fd78::1/64 dev fzc nodad" \
	"link set fzc up" | ip -n xm-fz -batch -
printf '%s\n' "addr add 10.78.0.2/24 dev fzd" "addr add fd78::2/64 dev fzd nodad" \
	"link set fzd up" "link add pf4 type xmesh" "link add pf6 type xmesh" |
	ip -n xm-fz2 -batch -
# fuzzed_dev_works DEV PEER FAMILY PORT K: DEV (node 1, port PORT) and
# PEER (node 2, port 7600) over fzc/fzd, overlay 10.8K.{1,2}.1; a ping.
# shellcheck disable=SC2317 # called through check
fuzzed_dev_works() {
	local dev=$1 peer=$2 family=$3 port=$4 k=$5 a1=10.78.0.1 a2=10.78.0.2
	if [[ $family == inet6 ]]; then
		a1=fd78::1 a2=fd78::2
	fi
	# (The peer's family first: pf4 holds port 7600 for IPv4.)
	n fz2 "$XMESH" dev set "$peer" node 2 family "$family" security none &&
		ip -n xm-fz link set "$dev" up &&
		ip -n xm-fz2 link set "$peer" up &&
		n fz "$XMESH" -batch - <<-EOF &&
		prefix flush dev $dev
		route flush dev $dev
		neigh flush dev $dev
		dev set $dev node 1 port $port family $family hop-limit 16 security none
		neigh add id 1 node 2 link fzc remote $a2 local $a1 dev $dev
		route add node 2 nexthop neigh 1 dev $dev
		prefix add 10.8$k.2.0/24 node 2 dev $dev
	EOF
	n fz2 "$XMESH" -batch - <<-EOF &&
		neigh add id 1 node 1 link fzd remote $a1 local $a2 port $port dev $peer
		route add node 1 nexthop neigh 1 dev $peer
		prefix add 10.8$k.1.0/24 node 1 dev $peer
	EOF
	ip -n xm-fz addr add "10.8$k.1.1/32" dev "$dev" &&
		ip -n xm-fz2 addr add "10.8$k.2.1/32" dev "$peer" &&
		n fz ping -c 2 -i 0.2 -W 5 -I "10.8$k.1.1" "10.8$k.2.1"
}
check "fuzzed device xf4 carries traffic again" fuzzed_dev_works xf4 pf4 inet 7710 4
check "fuzzed device xf6 carries traffic again" fuzzed_dev_works xf6 pf6 inet6 7711 6
check "fuzzed device xf4 deleted" timeout 60 ip -n xm-fz link del xf4
check "fuzzed device xf6 deleted" timeout 60 ip -n xm-fz link del xf6
ns_del fz fz2

# ------------------------------------------------ the mesh still works
nl_batch 2 <<EOF
node 2 unchanged: device | ok dev.node-id=2 dev.port=7600 dev.family=2 dev.hop-limit=16 dev.neigh-count=3 dev.route-count=4 dev.prefix-count=8 | dev-get $D
node 2 unchanged: neighbors | ok keys=1,2,4 | neigh-get +dump $D
node 2 unchanged: routes | ok keys=1,3,4,5 | route-get +dump $D
node 2 unchanged: prefixes | ok keys=10.0.1.0/24,10.0.3.0/24,10.0.4.0/24,10.0.5.0/24,fd00:1::/64,fd00:3::/64,fd00:4::/64,fd00:5::/64 | prefix-get +dump $D
EOF
check "xmesh ping 4 from 1" xm 1 ping 4 -c 2 -i 0.2 -W 5
check "ping 10.0.4.1 from 10.0.1.1 across three hops" \
	n 1 ping -c 3 -i 0.1 -W 5 -I 10.0.1.1 10.0.4.1
check "tables readable with the tool" xm 2 route show

tap_done
