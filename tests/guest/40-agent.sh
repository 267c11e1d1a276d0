#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# xmeshd end to end: three nodes in a line, 1 --ul1-- 2 --ul2-- 3, each
# running the agent with its own configuration and control socket and
# nothing configured by hand. The agents create and set up xmesh0, find
# each other, program neighbors, routes, prefixes and host routes, and
# the far ends ping each other over their overlay addresses. Then the
# middle node's agent is killed: forwarding goes on from the kernel's
# tables; restarted, it adopts them without a single route change. Run it
# with
#   make -C agent && make -C kmod && XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/40-agent.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"	# mesh_link, fails, fails_with, grep_out
# shellcheck source-path=SCRIPTDIR source=agentnet.sh
. "$here/agentnet.sh"	# an_*, x, jq_true

an_require
# Node i is node$i, in namespace xm-node$i, with the overlay addresses
# $(an_addr node$i) and fd00:i::1.
NODES=(1 2 3)
for i in "${NODES[@]}"; do
	an_node "node$i" "$i"
done
mesh_link 1 node1 node2
mesh_link 2 node2 node3

# conf_line NAME: the number of the last line of NAME.conf in $AN_DIR.
conf_line() {
	wc -l <"$AN_DIR/$1.conf"
}

# ------------------------------------------------------------ configuration
check "xmeshd --gen-site-key" "$XMESHD" --gen-site-key "$AN_DIR/new.key"
check "xmeshd --gen-site-key never overwrites a key" \
	fails_with "exists; not overwriting it" "$XMESHD" --gen-site-key "$AN_DIR/new.key"
# A killed agent's neighbors wait 60 s (dead-interval) before they give up
# on it: the restart below must come sooner. The emulated guest stalls for
# hundreds of ms under load: a neighbor is down after 1 s of lost probes
# (probe-interval, probe-miss), not 150 ms.
for i in "${NODES[@]}"; do
	zone=near
	((i != 3)) || zone=far
	extra=()
	((i != 2)) || extra=("role storage")
	((i != 3)) || extra=("role gpu" "prefix 10.3.0.0/16")
	an_config "node$i" "address fd00:$i::1/128" "zone $zone" \
		"hello-interval 1" "dead-interval 60" "sync-hold 3" \
		"probe-interval 0.1" "probe-miss 10" "${extra[@]}"
done
check "xmeshd --check" "$XMESHD" -c "$AN_DIR/node1.conf" --check
cp "$AN_DIR/node1.conf" "$AN_DIR/bad.conf"
echo "retransmit-interval fast" >>"$AN_DIR/bad.conf"
check "xmeshd refuses a bad configuration, naming the line" \
	fails_with "bad.conf:$(conf_line bad): retransmit-interval \"fast\" is not a number of seconds" \
	"$XMESHD" -f -c "$AN_DIR/bad.conf"
sed 's|^site-key .*|site-key /nonexistent/site.key|' "$AN_DIR/node1.conf" >"$AN_DIR/nokey.conf"
check "xmeshd refuses to start without a site key" \
	fails_with "no site key at /nonexistent/site.key" \
	"$XMESHD" -f -c "$AN_DIR/nokey.conf"
sed '/^insecure-no-certificates /d' "$AN_DIR/node1.conf" >"$AN_DIR/open.conf"
check "xmeshd refuses to start without certificates, naming the lab's line" \
	fails_with "no certificate: .*insecure-no-certificates yes" \
	"$XMESHD" -f -c "$AN_DIR/open.conf"
check "the tool says when xmeshd is not running" \
	fails_with "xmeshd is not running" x node1 node show

# ------------------------------------------------------------------ start
for i in "${NODES[@]}"; do
	an_start "node$i"
done
for i in "${NODES[@]}"; do
	if wait_for 30 test -S "$AN_DIR/node$i.sock"; then
		tap_ok "agent $i is up (xmesh0 created, control socket open)"
	else
		tap_fail "agent $i is up" "$(an_logs "node$i")"
	fi
done
check_json "xmesh0 has the configured node id" '.[0].node == 2' \
	x node2 -j dev show xmesh0
check_json "agent show: security none, insecure-no-certificates" \
	'.security == "none (insecure-no-certificates)"' x node1 -j agent show
check "xmeshd warned at its start that anyone on the underlay can join" \
	grep -q "insecure-no-certificates: frames on xmesh0 are not authenticated" \
	"$AN_DIR/node1.log"
check "the node key was created mode 0600" \
	test "$(stat -c %a "$AN_DIR/state-node1/node.key")" = 600
check "the overlay address is on xmesh0" \
	grep_out "$(an_addr node1)/32" n node1 ip -o addr show dev xmesh0

for i in "${NODES[@]}"; do
	if wait_for 60 jq_true '[.[] | select(.reachable)] | length == 3' \
		x "node$i" -j node show; then
		tap_ok "node $i sees all three nodes reachable"
	else
		tap_fail "node $i sees all three nodes" \
			"$(x "node$i" node show 2>&1)" "$(an_logs "node$i")"
	fi
done
# Routes wait for the initial sync hold.
for i in "${NODES[@]}"; do
	if wait_for 60 jq_true 'length == 2' x "node$i" -j route show; then
		tap_ok "node $i: the agent programmed a route to each other node"
	else
		tap_fail "node $i: routes" "$(x "node$i" route show 2>&1)" \
			"$(x "node$i" neigh show 2>&1)" "$(an_logs "node$i")"
	fi
done
check_json "node 2: one neighbor per link, up" \
	'length == 2 and all(.[]; .state == "up") and (map(.link) | sort == ["ul1", "ul2"])' \
	x node2 -j neigh show
check_json "node 1: route to 3 through its one neighbor" \
	'.[] | select(.node == 3) | .nexthops[0].active' x node1 -j route show
check_json "node 1: prefixes of 3, its address and its subnet" \
	"[.[] | select(.node == 3) | .prefix] | index(\"$(an_addr node3)/32\") != null and index(\"10.3.0.0/16\") != null and index(\"fd00:3::1/128\") != null" \
	x node1 -j prefix show
check "node 1: host route to 3's subnet, proto xmesh" \
	grep_out "10.3.0.0/16 dev xmesh0 proto 88" n node1 ip -o route show
# shellcheck disable=SC2317 # called through check
lacks_route() {
	! n node1 ip -o route show proto 88 | grep -wF "$(an_addr node1)" >/dev/null
}
check "node 1: no host route to its own address" lacks_route

# ------------------------------------------------------------ forwarding
check "ping 1 -> 3 over the overlay (IPv4)" \
	n node1 ping -c 3 -i 0.2 -W 5 "$(an_addr node3)"
check "ping 3 -> 1 over the overlay (IPv6)" \
	n node3 ping -6 -c 3 -i 0.2 -W 5 fd00:1::1
check "mesh ping 1 -> 3" x node1 ping 3 -c 2 -i 0.2
check "mesh trace 1 -> 3 goes through 2" grep_out "node 2" x node1 trace 3

# --------------------------------------------------------------- the tool
check "node show: text" grep_out "^node 3 (node3) zone far roles gpu cost" \
	x node1 node show
check_json "node show role gpu" \
	'length == 1 and .[0].node == 3 and .[0].cores > 0' \
	x node1 -j node show role gpu
check_json "node show zone near" 'map(.node) | sort == [1, 2]' \
	x node3 -j node show zone near
check_json "node find role gpu: node 3" '.node == 3 and .distance > 0' \
	x node1 -j node find role gpu
check_json "node find near 3: itself" '.node == 3 and .distance == 0' \
	x node1 -j node find near 3
check "node find: none fits, exit 1" \
	fails_with "no reachable node fits" x node1 node find role nothing
check_json "path show 3: 1, 2, 3 with growing cost" \
	'.reachable and (.hops | map(.node)) == [1, 2, 3] and .hops[1].cost < .hops[2].cost and .cost == .hops[2].cost' \
	x node1 -j path show 3
check "path show: text" grep_out "1: node 2 (node2) cost" x node1 path show 3
check "path show: unknown node, exit 1" \
	fails_with "unreachable" x node1 path show 77
check_json "topology show: 3 nodes, 4 adjacencies" \
	'(.nodes | length) == 3 and (.edges | length) == 4' \
	x node2 -j topology show
check_json "agent show -s: counters" \
	'.node == 1 and .fib_ready and .stats.rx_bad_auth == 0 and .agent.fib_syncs > 0 and .agent.udp_rx > 0' \
	x node1 -j -s agent show
check_json "agent show without -s: no counters" 'has("stats") | not' \
	x node1 -j agent show
check_json "neigh show: the agent's view of each kernel neighbor" \
	'length == 2 and all(.[]; .agent.state == "up" and .agent.rtt_ms >= 0 and .agent.last_seen_ms != null)' \
	x node2 -j neigh show
check "neigh show: text, agent line" \
	grep_out "^    agent state up rtt" x node2 neigh show

# ---------------------------------------------------- events and requests
# The monitor must be subscribed before the link goes down: wait until the
# agent has seen its request. Every request counts, each poll's own too.
requests() { an_stat node2 .agent.ctl_requests; }
polls=0
# shellcheck disable=SC2317 # called through wait_for
subscribed() {
	polls=$((polls + 1))
	(($(requests) >= before + polls + 1))
}
before=$(requests)
n node2 timeout 20 "$XM" -S "$AN_DIR/node2.sock" -j monitor agent \
	>"$AN_DIR/mon2" 2>&1 &
mon=$!
wait_for 10 subscribed || true
n node2 ip link set ul2 down
sleep 2
n node2 ip link set ul2 up
wait "$mon" || true
if grep -q '"text":"link ul2: carrier down"' "$AN_DIR/mon2"; then
	tap_ok "monitor agent: carrier loss reported at once"
else
	tap_fail "monitor agent: carrier loss" "$(cat "$AN_DIR/mon2")" \
		"$(an_logs node2)"
fi
if wait_for 60 jq_true '.[] | select(.node == 3) | .nexthops[0].active' \
	x node1 -j route show &&
	wait_for 30 n node1 ping -c 1 -W 2 "$(an_addr node3)"; then
	tap_ok "the link came back: 1 reaches 3 again"
else
	tap_fail "the link came back" "$(x node1 route show 2>&1)" \
		"$(an_logs node2)"
fi
# shellcheck disable=SC2317 # called through check
bad_requests() {
	printf '%s\n' 'garbage' '{"cmd":"path","node":"x"}' '[1,2' 'status' |
		n node1 socat -t 5 - "UNIX-CONNECT:$AN_DIR/node1.sock"
}
check "control socket: bad requests answered, then a good one" \
	grep_out '"uptime_ms"' bad_requests
check_json "control socket: bad requests counted" \
	'.agent.ctl_bad_requests >= 3' x node1 -j -s agent show

# ------------------------------------------------------------- reload
echo "role db" >>"$AN_DIR/node3.conf"
kill -HUP "${AN_PID[node3]}"
if wait_for 30 jq_true '.[0].roles == ["gpu", "db"]' \
	x node1 -j node show node 3; then
	tap_ok "SIGHUP: node 3's new role reaches node 1"
else
	tap_fail "SIGHUP: new role" "$(x node1 node show 2>&1)" \
		"$(an_logs node3)"
fi
check "SIGHUP: logged" grep_out "configuration reloaded" \
	cat "$AN_DIR/node3.log"
echo "bogus line" >>"$AN_DIR/node3.conf"
kill -HUP "${AN_PID[node3]}"
sleep 1
check "SIGHUP with a bad file: refused, naming the line" \
	grep_out "node3.conf:$(conf_line node3): unknown directive \"bogus\"; keeping the running configuration" \
	cat "$AN_DIR/node3.log"
check "SIGHUP with a bad file: the agent runs on" kill -0 "${AN_PID[node3]}"

# ------------------------------------------- the middle agent dies, restarts
# From a converged mesh.
if an_wait_routes 60 2 node1 node2 node3; then
	tap_ok "converged again before the restart test"
else
	tap_fail "converged again" "$(x node2 route show 2>&1)" \
		"$(an_logs node2)"
fi
an_tables node2 >"$AN_DIR/before2"
an_stop node2 KILL
check "agent 2 killed: it is gone" fails kill -0 "${AN_PID[node2]}"
check "agent 2 killed: its socket file is left for the next one to replace" \
	test -S "$AN_DIR/node2.sock"
check "agent 2 killed: node 2 keeps its routes" \
	jq_true 'length == 2' x node2 -j route show
check "agent 2 killed: ping 1 -> 3 still goes through node 2" \
	n node1 ping -c 5 -i 0.2 -W 5 "$(an_addr node3)"
# Its neighbors' agents probe node 2's kernel, which answers them alone:
# its OAM replies go on, and node 1 keeps its adjacency to node 2 up.
oam_tx2() { n node2 "$XM" -j -s dev show xmesh0 | jq -er '.[0].stats.oam_tx'; }
# shellcheck disable=SC2317 # called through wait_for
oam_tx2_above() { (($(oam_tx2) > $1)); }
oam0=$(oam_tx2)
check "agent 2 killed: its kernel still answers link probes (oam tx grows)" \
	wait_for 10 oam_tx2_above "$oam0"
check_json "agent 2 killed: node 1's adjacency to node 2 stays up" \
	'.state == "up"' an_neigh node1 node2
check "agent 2 killed: mesh ping 1 -> 3 through node 2" \
	x node1 ping 3 -c 2 -i 0.2
check_json "agent 2 killed: node 1 still routes to 3" \
	'.[] | select(.node == 3) | .nexthops[0].active' x node1 -j route show

# Count route changes on every node from before the restart until well
# after node 2's sync hold, when it has programmed the kernel, under a
# stream of pings across it.
mons=()
for i in "${NODES[@]}"; do
	ip netns exec "xm-node$i" timeout 120 "$XM" -j monitor route \
		>"$AN_DIR/routes$i" 2>&1 &
	mons+=($!)
done
ip netns exec xm-node1 ping -q -i 0.1 -W 1 "$(an_addr node3)" \
	>"$AN_DIR/ping" 2>&1 &
pinger=$!
sleep 1
an_start node2
if wait_for 30 jq_true '.fib_ready and .nodes_reachable == 3' \
	x node2 -j agent show; then
	tap_ok "agent 2 restarted and relearnt the mesh"
else
	tap_fail "agent 2 restarted" "$(an_logs node2)"
fi
# A few seconds past the sync hold: any change it makes would show.
sleep 5
# SIGINT: ping prints its summary.
kill -INT "$pinger" 2>/dev/null || true
kill -TERM "${mons[@]}" 2>/dev/null || true
wait "${mons[@]}" "$pinger" 2>/dev/null || true
an_tables node2 >"$AN_DIR/after2"
if diff -u "$AN_DIR/before2" "$AN_DIR/after2" >"$AN_DIR/diff2"; then
	tap_ok "restart: node 2's tables are exactly as before"
else
	tap_fail "restart: node 2's tables changed" "$(cat "$AN_DIR/diff2")" \
		"$(an_logs node2)"
fi
for i in "${NODES[@]}"; do
	if [[ ! -s $AN_DIR/routes$i ]]; then
		tap_ok "restart: no route events on node $i (no churn)"
	else
		tap_fail "restart: route events on node $i" \
			"$(cat "$AN_DIR/routes$i")"
	fi
done
# "N packets transmitted, N received": none lost.
if grep -qE '^([0-9]+) packets transmitted, \1 received' "$AN_DIR/ping"; then
	tap_ok "restart: no ping 1 -> 3 lost ($(grep -o '^[0-9]* packets' "$AN_DIR/ping"))"
else
	tap_fail "restart: pings 1 -> 3 lost" "$(cat "$AN_DIR/ping")"
fi
if grep -q "adopted 2 neighbors" "$AN_DIR/node2.log"; then
	tap_ok "restart: the agent adopted the kernel's neighbors"
else
	tap_fail "restart: adopted neighbors" "$(an_logs node2)"
fi
check "after the restart: ping 1 -> 3" \
	n node1 ping -c 3 -i 0.2 -W 5 "$(an_addr node3)"

# The counters, for the details of any failure above.
if ((_tap_failed)); then
	for i in "${NODES[@]}"; do
		echo "# --- agent $i's counters"
		x "node$i" -s agent show 2>&1 | sed 's/^/#   /' || true
	done
fi

# -------------------------------------------------------------- stopping
for i in "${NODES[@]}"; do
	if kill -TERM "${AN_PID[node$i]}" 2>/dev/null; then
		tap_ok "agent $i ran until the end"
	else
		tap_fail "agent $i ran until the end" "$(an_logs "node$i")"
	fi
done
# shellcheck disable=SC2317 # called through wait_for
stopped() {
	local i
	for i in "${NODES[@]}"; do
		! kill -0 "${AN_PID[node$i]}" 2>/dev/null || return 1
	done
}
check "SIGTERM stops every agent" wait_for 20 stopped
check "a stopped agent removes its socket" test ! -e "$AN_DIR/node1.sock"
check_json "a stopped agent leaves the kernel's tables" 'length == 2' \
	n node1 "$XM" -j route show
check "after every agent stopped: ping 1 -> 3 still works" \
	n node1 ping -c 3 -i 0.2 -W 5 "$(an_addr node3)"
if ((_tap_failed)); then
	for i in "${NODES[@]}"; do
		echo "# --- agent $i's log"
		sed 's/^/#   /' "$AN_DIR/node$i.log"
	done
fi
tap_done
