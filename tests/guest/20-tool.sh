#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The xmesh tool against xmesh.ko, in the test guest: every object and
# command, text and JSON output, the kernel's extack errors, batch
# semantics, host routes, events, and last (as they send frames) mesh ping
# and trace over a line of three nodes. Run it with
#   make && XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/20-tool.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

XM=$here/../../agent/xmesh
if [[ ! -x $XM ]]; then
	echo "Bail out! $XM is not built (make -C agent)"
	exit 1
fi
tmp=$(mktemp -d)
at_exit "rm -rf '$tmp'"

# x NS ARGS...: the tool in namespace xm-NS.
x() {
	local ns=$1
	shift
	n "$ns" "$XM" "$@"
}

check_match "version" 0 '^xmesh [0-9.]+ \(family xmesh version 1\)$' "$XM" -V
check_match "help" 0 '^Usage: xmesh ' "$XM" help
check_match "usage error is exit 2" 2 'ambiguous: it may be prefix, ping, path or policy' "$XM" p
check "modprobe xmesh" modprobe xmesh

topology_line a b c
for ns in a b c; do
	n "$ns" ip link add xmesh0 type xmesh
done

# --------------------------------------------------------------- dev
check_match "dev show: a new device" 0 \
	'^xmesh0: node none port 7600 family inet hop-limit 16 security encrypt origin off$' x a dev show
check "dev set node (a)" x a dev set node 1
check "dev set node (b), short words" x b d se xmesh0 node 2
check "dev set node (c), dev keyword" x c dev set dev xmesh0 node 3
for ns in a b c; do
	x "$ns" dev set security none	# no keys in these tests
done
for ns in a b c; do
	n "$ns" ip link set xmesh0 up
done
check_match "dev show: node set" 0 '^xmesh0: node 1 port 7600' x a dev show xmesh0
check_json "dev show -j" '.[0].ifname == "xmesh0" and .[0].node == 1 and .[0].hop_limit == 16' \
	x a -j dev show
check_match "dev show -s: drop reasons" 0 'drops: no-prefix [0-9]+ no-route' \
	x a -s dev show
check_json "dev show -j -s: every drop reason" '.[0].stats.drops | has("no_route") and has("loop")' \
	x a -j -s dev show
check_match "dev show: no such device" 1 '^Error: no such xmesh device\.$' \
	x a dev show nosuch0
check_match "dev set: port 0 refused" 2 'expected a number from 1 to 65535' \
	x a dev set port 0
check_match "dev set: unknown security refused" 2 'expected none, auth or encrypt' \
	x a dev set security strong

# ------------------------------------------------------------- neigh
check "neigh add (a)" x a neigh add id 1 node 2 link ul1 remote 10.99.1.2
check "neigh add (b) with local" \
	x b neigh add id 1 node 1 link ul1 remote 10.99.1.1 local 10.99.1.2
check "neigh add (b) second link" x b neigh add id 2 node 3 link ul2 remote 10.99.2.2
check "neigh add (c) with port and state" \
	x c neigh add id 1 node 2 link ul2 remote 10.99.2.1 port 7600 state up
check_match "neigh show" 0 \
	'^id 1 node 2 link ul1 remote 10.99.1.2 port 7600 state up carrier up mtu [0-9]+$' \
	x a neigh show
check_match "neigh show: local address" 0 'local 10\.99\.1\.2 ' x b neigh
check_match "neigh show -s" 0 '^    tx packets [0-9]+ bytes [0-9]+ rx packets' x b -s neigh show
check_json "neigh show -j, filtered" 'length == 1 and .[0].id == 2 and .[0].link == "ul2"' \
	x b -j neigh show node 3
check_match "neigh add: exists (extack)" 1 '^Error: neighbor 1 exists\.$' \
	x a neigh add id 1 node 2 link ul1 remote 10.99.1.2
check_match "neigh add: no such link" 1 'cannot find underlay interface "ul9"' \
	x a neigh add id 2 node 2 link ul9 remote 10.99.1.2
check_match "neigh add: wrong family (extack attribute)" 1 \
	'^Error: an IPv4 address is 4 bytes \(attribute neigh\.remote\)\.$' \
	x a neigh add id 2 node 2 link ul1 remote fd99:1::2
check_match "neigh set: only the state" 2 'use "neigh replace"' \
	x a neigh set id 1 port 9
check "neigh replace" x a neigh replace id 1 node 2 link ul1 remote 10.99.1.2 port 7600

# ------------------------------------------------------------- route
check "route add (a) to 2" x a route add node 2 nexthop neigh 1
check "route add (a) to 3, no nexthop word" x a route add node 3 neigh 1 priority 0
check "route add (b) to 1" x b route add node 1 neigh 1
check "route add (b) to 3" x b route add node 3 neigh 2
check "route add (c) to 2" x c route add node 2 neigh 1
check "route add (c) to 1" x c route add node 1 neigh 1
check_match "route show: active" 0 '^node 3 nexthop neigh 1 priority 0 active$' x a route show
check_json "route show -j" '.[] | select(.node == 3) | .nexthops[0].active' x a -j route
check_match "route add: unknown neighbor (extack)" 1 \
	'^Error: no neighbor 9 \(attribute route\.nexthop\[0\]\)\.$' \
	x a route add node 4 neigh 9
check "route replace" x a route replace node 3 neigh 1 priority 2

# ------------------------------------------------------------ prefix
n a ip addr add 10.0.1.1/32 dev xmesh0
n c ip addr add 10.0.3.1/32 dev xmesh0
check "prefix add: own" x a prefix add 10.0.1.0/24 node 1
check "prefix add: remote" x a prefix add 10.0.3.0/24 node 3
check "prefix add (c)" x c prefix add 10.0.1.0/24 node 1
check "prefix add (c) own" x c prefix add 10.0.3.0/24 node 3
check_match "host route for a remote prefix" 0 '^10\.0\.3\.0/24 dev xmesh0 ' \
	n a ip route show proto 88
check_no_match "no host route for an own prefix" '10\.0\.1\.0/24' n a ip route show proto 88
check "prefix add: IPv6" x a prefix add fd00:3::/64 node 3
check_match "host route for an IPv6 prefix" 0 '^fd00:3::/64 dev xmesh0 ' \
	n a ip -6 route show proto 88
check_match "prefix add: host bits" 2 'did you mean 10\.0\.4\.0/24\?' \
	x a prefix add 10.0.4.1/24 node 3
check_json "prefix show -j" 'map(.prefix) | index("10.0.3.0/24") != null' x a -j prefix show
check "prefix del" x a prefix del fd00:3::/64
check_no_match "prefix del removes its host route" 'fd00:3::' n a ip -6 route show proto 88
check "prefix replace to another node" x a prefix replace 10.0.3.0/24 node 2
check_match "host route kept" 0 '^10\.0\.3\.0/24 dev xmesh0 ' n a ip route show proto 88
check "prefix replace back" x a prefix replace 10.0.3.0/24 node 3

# ----------------------------------------------------------- monitor
x a monitor >"$tmp/mon" 2>&1 &
mon=$!
x a -j monitor neigh >"$tmp/monj" 2>&1 &
monj=$!
at_exit "kill $mon $monj"
sleep 1
check "neigh set down" x a neigh set id 1 state down
check_no_match "route inactive when its neighbor is down" 'active' x a route show node 3
check "neigh set up" x a neigh set id 1 state up
check "a neighbor to delete" x a neigh add id 5 node 9 link ul1 remote 10.99.1.9
check "neigh del" x a neigh del id 5
check "monitor: neighbor down" wait_for 10 \
	grep -qE '^neigh id 1 node 2 .* state down .* dev xmesh0$' "$tmp/mon"
check "monitor: route back to active" wait_for 10 \
	grep -qE '^route node 3 nexthop neigh 1 priority [0-9]+ active dev xmesh0$' "$tmp/mon"
check "monitor: deletion" wait_for 10 grep -qE '^Deleted neigh id 5 ' "$tmp/mon"
check "monitor -j: one object per line" wait_for 10 \
	sh -c "grep '\"deleted\":true' '$tmp/monj' | jq -e '.event == \"neigh\" and .id == 5'"
check_no_match "monitor neigh: no route events" '"event":"route"' cat "$tmp/monj"
kill "$mon" "$monj" 2>/dev/null || true

# ------------------------------------------------------------- batch
cat >"$tmp/b1" <<'B'
# neighbors, then routes; line 7 refers to no neighbor
neigh add id 11 node 11 link ul1 remote 10.99.1.11
neigh add id 12 node 12 link ul1 \
	remote 10.99.1.12
route add node 11 neigh 11
route add node 12 neigh 12
route add node 13 neigh 99
prefix add 10.0.11.0/24 node 11
B
check_match "batch: stops at the failing line" 1 "^Command failed $tmp/b1:7\$" \
	x a -batch "$tmp/b1"
check_match "batch: lines before it applied" 0 '^node 12 nexthop neigh 12 ' x a route show
check_no_match "batch: lines after it not applied" '10\.0\.11\.0' x a prefix show
cat >"$tmp/b2" <<'B'
prefix add 10.0.12.0/24 node 12
prefix add 10.0.12.0/24 node 12
route del node 77
prefix add 10.0.11.0/24 node 11
B
out=$(n a "$XM" -force -batch - <"$tmp/b2" 2>&1) && rc=0 || rc=$?
if ((rc == 1)) && grep -q "^Command failed -:2$" <<<"$out" &&
   grep -q "^Command failed -:3$" <<<"$out"; then
	tap_ok "batch -force: lines 2 and 3 reported"
else
	tap_fail "batch -force: lines 2 and 3 reported" "exit $rc" "$out"
fi
check_match "batch -force: the others applied" 0 '^10\.0\.11\.0/24 node 11$' x a prefix show

# -------------------------------------------------------------- keys
K=$(printf '%064x' 1)
K2=$(printf '%064x' 2)
check_match "key add: no such neighbor (the kernel's message)" 1 \
	'^Error: no neighbor 9 \(attribute key\.neigh\)\.$' x a key add neigh 9 id 1 dir tx key "$K"
check "key add tx" x a key add neigh 1 id 1 dir tx key "$K"
printf '%s\n' "$K2" >"$tmp/key2"
check "key add rx from a file" x a key add neigh 1 id 1 dir rx file "$tmp/key2"
check_match "key show" 0 '^neigh 1 id 1 dir tx counter 0 packets 0 bytes 0$' x a key show
check_match "key show: rx keys count refusals" 0 \
	'^neigh 1 id 1 dir rx counter 0 packets 0 bytes 0 replayed 0 auth-failed 0$' \
	x a key show dir rx
check_json "key show -j: no key bytes" 'length == 2 and all(.[]; has("key") | not)' \
	x a -j key show
check_match "key add: the same id again" 1 'neighbor 1 has transmit key 1' \
	x a key add neigh 1 id 1 dir tx key "$K2"
check_match "key replace: the bytes in use" 1 'in use' \
	x a key replace neigh 1 id 1 dir tx key "$K"
check_match "key del: no such key" 1 'neighbor 1 has no receive key 5' \
	x a key del neigh 1 id 5 dir rx
check "key del" x a key del neigh 1 id 1 dir rx
check "key flush" x a key flush
check_no_match "no keys left" '.' x a key show
check "dev set security encrypt" x a dev set security encrypt
check_match "dev show: security encrypt" 0 'security encrypt origin off$' x a dev show
check "dev set security none" x a dev set security none

# ------------------------------------------------------------- flush
check "prefix flush" x a prefix flush
check_no_match "prefix flush removes the host routes" '.' n a ip route show proto 88
check "route flush" x a route flush
check "neigh flush" x a neigh flush
check_match "dev show: empty tables" 0 '^    neighs 0 routes 0 prefixes 0 keys 0$' x a dev show

# ------------------------------------------ IPv6 link-local underlay
n a ip link add xm6 type xmesh
n b ip link add xm6 type xmesh
check "dev set inet6 (a)" x a dev set xm6 node 1 family inet6 port 7700 security none
check "dev set inet6 (b)" x b dev set xm6 node 2 family inet6 port 7700 security none
n a ip link set xm6 up
n b ip link set xm6 up
ll_b=$(link_local b ul1)
ll_a=$(link_local a ul1)
check "neigh add: link-local remote with zone" \
	x a -d xm6 neigh add id 1 node 2 remote "$ll_b%ul1" port 7700
check "neigh add: link-local remote with link" \
	x b neigh add id 1 node 1 link ul1 remote "$ll_a" port 7700 dev xm6
check_match "neigh show: link-local remote" 0 "^id 1 node 2 link ul1 remote $ll_b port 7700 " \
	x a -d xm6 neigh show

# ------------------------------------------- mesh ping and trace
cat >"$tmp/b3" <<'B'
neigh add id 1 node 2 link ul1 remote 10.99.1.2
route add node 2 neigh 1
route add node 3 neigh 1
B
check "mesh again, from a batch" x a -batch "$tmp/b3"
check_match "ping: no route" 1 '^Error: no route to node 4\.$' x a ping 4 -c 1
check_match "ping over two hops" 0 '^reply from node 3: seq=1 hops=2 time=[0-9.]+ ms$' \
	x a ping 3 -c 2 -i 0.2 -W 5
check_json "ping -j" '.received == 1 and .answers[0].op == "echo-reply"' \
	x a -j ping 3 -c 1 -W 5
check_match "trace: hop 1" 0 '^ 1  node 2  [0-9.]+ ms$' x a trace 3 -W 5
check_match "trace: hop 2 is the node" 0 '^ 2  node 3  [0-9.]+ ms$' x a trace 3 -W 5

tap_done
