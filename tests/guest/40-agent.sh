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
. "$here/mesh.sh"	# fails, fails_with, grep_out

XM=$here/../../agent/xmesh
XMESHD=$here/../../agent/xmeshd
for bin in "$XM" "$XMESHD"; do
	if [[ ! -x $bin ]]; then
		echo "Bail out! $bin is not built (make -C agent)"
		exit 1
	fi
done
tmp=$(mktemp -d)
at_exit "rm -rf '$tmp'"
NODES=(1 2 3)
declare -A PID

# x NODE ARGS...: the tool in node NODE's namespace, on its agent's socket.
x() {
	local node=$1
	shift
	n "$node" "$XM" -S "$tmp/n$node.sock" "$@"
}

# json NAME FILTER CMD...: CMD succeeds and prints JSON for which the jq
# FILTER is true.
json() {
	local name=$1 filter=$2 out rc=0
	shift 2
	out=$("$@" </dev/null 2>&1) || rc=$?
	if ((rc == 0)) && jq -e "$filter" <<<"$out" >/dev/null 2>&1; then
		tap_ok "$name"
	else
		tap_fail "$name" "\$ $*" "exit status $rc" "want: $filter" \
			"$(tail -n 30 <<<"$out")"
	fi
}

# jq_true FILTER CMD...: for wait_for: CMD's JSON satisfies FILTER.
# shellcheck disable=SC2317 # called through check and wait_for
jq_true() {
	local filter=$1 out
	shift
	out=$("$@" 2>/dev/null) && jq -e "$filter" <<<"$out" >/dev/null
}

# agent_start NODE: run xmeshd in the foreground in NODE's namespace. Not
# through n(): a function in the background is a subshell, and $! would
# be its pid; ip netns exec execs xmeshd, whose pid $! is then.
agent_start() {
	local node=$1
	ip netns exec "xm-$node" "$XMESHD" -f -v -v -c "$tmp/n$node.conf" \
		>>"$tmp/n$node.log" 2>&1 &
	PID[$node]=$!
	at_exit "kill -KILL ${PID[$node]}"
}

# logs NODE: the end of NODE's agent log, for a failure's details.
logs() {
	tail -n 40 "$tmp/n$1.log" 2>/dev/null || true
}

# tables NODE: NODE's kernel tables without counters, sorted: what the
# agent programmed, for before/after comparisons.
tables() {
	local node=$1
	{
		x "$node" -j neigh show |
			jq -c 'map({id, node, link, remote, port, state}) | sort_by(.id)'
		x "$node" -j route show |
			jq -c 'map({node, nexthops: (.nexthops | map({neigh, priority}))}) | sort_by(.node)'
		x "$node" -j prefix show | jq -c 'sort_by(.prefix)'
		n "$node" ip -o route show proto 88 | sort
	}
}

topology_line "${NODES[@]}"

# ------------------------------------------------------------ configuration
check "xmeshd --gen-site-key" "$XMESHD" --gen-site-key "$tmp/site.key"
check "xmeshd --gen-site-key never overwrites a key" \
	fails_with "exists; not overwriting it" "$XMESHD" --gen-site-key "$tmp/site.key"
for i in "${NODES[@]}"; do
	zone=near
	((i != 3)) || zone=far
	cat >"$tmp/n$i.conf" <<-EOF
		# node $i of the line
		node-id $i
		name node$i
		site-key $tmp/site.key
		state-dir $tmp/state$i
		socket $tmp/n$i.sock
		address 10.0.$i.1/32
		address fd00:$i::1/128
		zone $zone
		# A killed agent's neighbors wait this long before they give up
		# on it: the restart below must come sooner.
		hello-interval 1
		dead-interval 60
		sync-hold 3
		# The emulated guest stalls for hundreds of ms under load: a
		# neighbor is down after 1 s of lost probes, not 150 ms.
		probe-interval 0.1
		probe-miss 10
	EOF
done
echo "role gpu" >>"$tmp/n3.conf"
echo "prefix 10.3.0.0/16" >>"$tmp/n3.conf"
echo "role storage" >>"$tmp/n2.conf"
check "xmeshd --check" "$XMESHD" -c "$tmp/n1.conf" --check
cp "$tmp/n1.conf" "$tmp/bad.conf"
echo "retransmit-interval fast" >>"$tmp/bad.conf"
check "xmeshd refuses a bad configuration, naming the line" \
	fails_with "bad.conf:19: retransmit-interval \"fast\" is not a number of seconds" \
	"$XMESHD" -f -c "$tmp/bad.conf"
sed 's|^site-key .*|site-key /nonexistent/site.key|' "$tmp/n1.conf" >"$tmp/nokey.conf"
check "xmeshd refuses to start without a site key" \
	fails_with "no site key at /nonexistent/site.key" \
	"$XMESHD" -f -c "$tmp/nokey.conf"
check "the tool says when xmeshd is not running" \
	fails_with "xmeshd is not running" x 1 node show

# ------------------------------------------------------------------ start
for i in "${NODES[@]}"; do
	agent_start "$i"
done
for i in "${NODES[@]}"; do
	if wait_for 30 test -S "$tmp/n$i.sock"; then
		tap_ok "agent $i is up (xmesh0 created, control socket open)"
	else
		tap_fail "agent $i is up" "$(logs "$i")"
	fi
done
json "xmesh0 has the configured node id" '.[0].node == 2' x 2 -j dev show xmesh0
check "the node key was created mode 0600" \
	test "$(stat -c %a "$tmp/state1/node.key")" = 600
check "the overlay address is on xmesh0" \
	grep_out "10.0.1.1/32" n 1 ip -o addr show dev xmesh0

for i in "${NODES[@]}"; do
	if wait_for 60 jq_true '[.[] | select(.reachable)] | length == 3' \
		x "$i" -j node show; then
		tap_ok "node $i sees all three nodes reachable"
	else
		tap_fail "node $i sees all three nodes" \
			"$(x "$i" node show 2>&1)" "$(logs "$i")"
	fi
done
# Routes wait for the initial sync hold.
for i in "${NODES[@]}"; do
	if wait_for 60 jq_true 'length == 2' x "$i" -j route show; then
		tap_ok "node $i: the agent programmed a route to each other node"
	else
		tap_fail "node $i: routes" "$(x "$i" route show 2>&1)" \
			"$(x "$i" neigh show 2>&1)" "$(logs "$i")"
	fi
done
json "node 2: one neighbor per link, up" \
	'length == 2 and all(.[]; .state == "up") and (map(.link) | sort == ["ul1", "ul2"])' \
	x 2 -j neigh show
json "node 1: route to 3 through its one neighbor" \
	'.[] | select(.node == 3) | .nexthops[0].active' x 1 -j route show
json "node 1: prefixes of 3, its address and its subnet" \
	'[.[] | select(.node == 3) | .prefix] | index("10.0.3.1/32") != null and index("10.3.0.0/16") != null and index("fd00:3::1/128") != null' \
	x 1 -j prefix show
check "node 1: host route to 3's subnet, proto xmesh" \
	grep_out "10.3.0.0/16 dev xmesh0 proto 88" n 1 ip -o route show
# shellcheck disable=SC2317 # called through check
lacks_route() { ! n 1 ip -o route show proto 88 | grep -q "10.0.1.1"; }
check "node 1: no host route to its own address" lacks_route

# ------------------------------------------------------------ forwarding
check "ping 1 -> 3 over the overlay (IPv4)" n 1 ping -c 3 -i 0.2 -W 5 10.0.3.1
check "ping 3 -> 1 over the overlay (IPv6)" n 3 ping -6 -c 3 -i 0.2 -W 5 fd00:1::1
check "mesh ping 1 -> 3" x 1 ping 3 -c 2 -i 0.2
check "mesh trace 1 -> 3 goes through 2" grep_out "node 2" x 1 trace 3

# --------------------------------------------------------------- the tool
check "node show: text" grep_out "^node 3 (node3) zone far roles gpu cost" \
	x 1 node show
json "node show role gpu" 'length == 1 and .[0].node == 3 and .[0].cores > 0' \
	x 1 -j node show role gpu
json "node show zone near" 'map(.node) | sort == [1, 2]' x 3 -j node show zone near
json "node find role gpu: node 3" '.node == 3 and .distance > 0' \
	x 1 -j node find role gpu
json "node find near 3: itself" '.node == 3 and .distance == 0' \
	x 1 -j node find near 3
check "node find: none fits, exit 1" \
	fails_with "no reachable node fits" x 1 node find role nothing
json "path show 3: 1, 2, 3 with growing cost" \
	'.reachable and (.hops | map(.node)) == [1, 2, 3] and .hops[1].cost < .hops[2].cost and .cost == .hops[2].cost' \
	x 1 -j path show 3
check "path show: text" grep_out "1: node 2 (node2) cost" x 1 path show 3
check "path show: unknown node, exit 1" fails_with "unreachable" x 1 path show 77
json "topology show: 3 nodes, 4 adjacencies" \
	'(.nodes | length) == 3 and (.edges | length) == 4' x 2 -j topology show
json "agent show -s: counters" \
	'.node == 1 and .fib_ready and .stats.rx_bad_auth == 0 and .agent.fib_syncs > 0 and .agent.udp_rx > 0' \
	x 1 -j -s agent show
json "agent show without -s: no counters" 'has("stats") | not' x 1 -j agent show
json "neigh show: the agent's view of each kernel neighbor" \
	'length == 2 and all(.[]; .agent.state == "up" and .agent.rtt_ms >= 0 and .agent.last_seen_ms != null)' \
	x 2 -j neigh show
check "neigh show: text, agent line" grep_out "^    agent state up rtt" x 2 neigh show

# ---------------------------------------------------- events and requests
# The monitor must be subscribed before the link goes down: wait until the
# agent has seen its request. Every request counts, each poll's own too.
requests() { x 2 -j -s agent show | jq -e '.agent.ctl_requests'; }
polls=0
# shellcheck disable=SC2317 # called through wait_for
subscribed() {
	polls=$((polls + 1))
	(($(requests) >= before + polls + 1))
}
before=$(requests)
n 2 timeout 20 "$XM" -S "$tmp/n2.sock" -j monitor agent >"$tmp/mon2" 2>&1 &
mon=$!
wait_for 10 subscribed || true
n 2 ip link set ul2 down
sleep 2
n 2 ip link set ul2 up
wait "$mon" || true
if grep -q '"text":"link ul2: carrier down"' "$tmp/mon2"; then
	tap_ok "monitor agent: carrier loss reported at once"
else
	tap_fail "monitor agent: carrier loss" "$(cat "$tmp/mon2")" "$(logs 2)"
fi
if wait_for 60 jq_true '.[] | select(.node == 3) | .nexthops[0].active' \
	x 1 -j route show && wait_for 30 n 1 ping -c 1 -W 2 10.0.3.1; then
	tap_ok "the link came back: 1 reaches 3 again"
else
	tap_fail "the link came back" "$(x 1 route show 2>&1)" "$(logs 2)"
fi
# shellcheck disable=SC2317 # called through check
bad_requests() {
	printf '%s\n' 'garbage' '{"cmd":"path","node":"x"}' '[1,2' 'status' |
		n 1 socat -t 5 - "UNIX-CONNECT:$tmp/n1.sock"
}
check "control socket: bad requests answered, then a good one" \
	grep_out '"uptime_ms"' bad_requests
json "control socket: bad requests counted" '.agent.ctl_bad_requests >= 3' \
	x 1 -j -s agent show

# ------------------------------------------------------------- reload
echo "role db" >>"$tmp/n3.conf"
kill -HUP "${PID[3]}"
if wait_for 30 jq_true '.[0].roles == ["gpu", "db"]' x 1 -j node show node 3; then
	tap_ok "SIGHUP: node 3's new role reaches node 1"
else
	tap_fail "SIGHUP: new role" "$(x 1 node show 2>&1)" "$(logs 3)"
fi
check "SIGHUP: logged" grep_out "configuration reloaded" cat "$tmp/n3.log"
echo "bogus line" >>"$tmp/n3.conf"
kill -HUP "${PID[3]}"
sleep 1
check "SIGHUP with a bad file: refused, naming the line" \
	grep_out "n3.conf:22: unknown directive \"bogus\"; keeping the running configuration" \
	cat "$tmp/n3.log"
check "SIGHUP with a bad file: the agent runs on" kill -0 "${PID[3]}"

# ------------------------------------------- the middle agent dies, restarts
# From a converged mesh.
# shellcheck disable=SC2317 # called through wait_for
converged() {
	local i
	for i in "${NODES[@]}"; do
		jq_true 'length == 2' x "$i" -j route show || return 1
	done
}
if wait_for 60 converged; then
	tap_ok "converged again before the restart test"
else
	tap_fail "converged again" "$(x 2 route show 2>&1)" "$(logs 2)"
fi
tables 2 >"$tmp/before2"
kill -KILL "${PID[2]}"
wait "${PID[2]}" 2>/dev/null || true
check "agent 2 killed: it is gone" fails kill -0 "${PID[2]}"
check "agent 2 killed: node 2 keeps its routes" \
	jq_true 'length == 2' x 2 -j route show
check "agent 2 killed: ping 1 -> 3 still goes through node 2" \
	n 1 ping -c 5 -i 0.2 -W 5 10.0.3.1
check "agent 2 killed: the kernel still answers link probes (mesh ping)" \
	x 1 ping 3 -c 2 -i 0.2
json "agent 2 killed: node 1 still routes to 3" \
	'.[] | select(.node == 3) | .nexthops[0].active' x 1 -j route show

# Count route changes on every node from before the restart until well
# after node 2's sync hold, when it has programmed the kernel, under a
# stream of pings across it.
mons=()
for i in "${NODES[@]}"; do
	ip netns exec "xm-$i" timeout 120 "$XM" -j monitor route \
		>"$tmp/routes$i" 2>&1 &
	mons+=($!)
done
ip netns exec xm-1 ping -q -i 0.1 -W 1 10.0.3.1 >"$tmp/ping" 2>&1 &
pinger=$!
sleep 1
agent_start 2
if wait_for 30 jq_true '.fib_ready and .nodes_reachable == 3' x 2 -j agent show; then
	tap_ok "agent 2 restarted and relearnt the mesh"
else
	tap_fail "agent 2 restarted" "$(logs 2)"
fi
# A few seconds past the sync hold: any change it makes would show.
sleep 5
# SIGINT: ping prints its summary.
kill -INT "$pinger" 2>/dev/null || true
kill -TERM "${mons[@]}" 2>/dev/null || true
wait "${mons[@]}" "$pinger" 2>/dev/null || true
tables 2 >"$tmp/after2"
if diff -u "$tmp/before2" "$tmp/after2" >"$tmp/diff2"; then
	tap_ok "restart: node 2's tables are exactly as before"
else
	tap_fail "restart: node 2's tables changed" "$(cat "$tmp/diff2")" "$(logs 2)"
fi
for i in "${NODES[@]}"; do
	if [[ ! -s $tmp/routes$i ]]; then
		tap_ok "restart: no route events on node $i (no churn)"
	else
		tap_fail "restart: route events on node $i" "$(cat "$tmp/routes$i")"
	fi
done
# "N packets transmitted, N received": none lost.
if grep -qE '^([0-9]+) packets transmitted, \1 received' "$tmp/ping"; then
	tap_ok "restart: no ping 1 -> 3 lost ($(grep -o '^[0-9]* packets' "$tmp/ping"))"
else
	tap_fail "restart: pings 1 -> 3 lost" "$(cat "$tmp/ping")"
fi
if grep -q "adopted 2 neighbors" "$tmp/n2.log"; then
	tap_ok "restart: the agent adopted the kernel's neighbors"
else
	tap_fail "restart: adopted neighbors" "$(logs 2)"
fi
check "after the restart: ping 1 -> 3" n 1 ping -c 3 -i 0.2 -W 5 10.0.3.1

# The counters, for the details of any failure above.
if ((_tap_failed)); then
	for i in "${NODES[@]}"; do
		echo "# --- agent $i's counters"
		x "$i" -s agent show 2>&1 | sed 's/^/#   /' || true
	done
fi

# -------------------------------------------------------------- stopping
for i in "${NODES[@]}"; do
	if kill -TERM "${PID[$i]}" 2>/dev/null; then
		tap_ok "agent $i ran until the end"
	else
		tap_fail "agent $i ran until the end" "$(logs "$i")"
	fi
done
# shellcheck disable=SC2317 # called through wait_for
stopped() {
	local i
	for i in "${NODES[@]}"; do
		! kill -0 "${PID[$i]}" 2>/dev/null || return 1
	done
}
check "SIGTERM stops every agent" wait_for 20 stopped
check "a stopped agent removes its socket" test ! -e "$tmp/n1.sock"
json "a stopped agent leaves the kernel's tables" 'length == 2' \
	n 1 "$XM" -j route show
check "after every agent stopped: ping 1 -> 3 still works" \
	n 1 ping -c 3 -i 0.2 -W 5 10.0.3.1
if ((_tap_failed)); then
	for i in "${NODES[@]}"; do
		echo "# --- agent $i's log"
		sed 's/^/#   /' "$tmp/n$i.log"
	done
fi
tap_done
