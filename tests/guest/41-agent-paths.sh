#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# xmeshd's paths, on seven nodes with two paths of different latency from a
# to b (agentnet.sh: an_two_paths) and nothing configured but the agents:
# every node finds every other and gets kernel routes to it; traffic takes
# the low-latency path (path show, and the transit nodes' forwarding
# counters); a delay raised on that path moves it to the other one, and
# back, with pings answered while the mesh converges; a policy of max-hops
# 2 on a makes the nodes three hops away unreachable from a, and the
# nearer ones stay; an instance started later on a new link is found and
# routed to. Run it with
#   make -C agent && make -C kmod && XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/41-agent-paths.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"
# shellcheck source-path=SCRIPTDIR source=agentnet.sh
. "$here/agentnet.sh"

an_require
# shellcheck disable=SC2119 # no extra configuration
an_two_paths
nodes=("${AN_TWO_PATHS[@]}")
others=$((${#nodes[@]} - 1))

# ------------------------------------------------------------- discovery
for name in "${nodes[@]}"; do
	if wait_for 30 an_up "$name"; then
		tap_ok "agent $name is up"
	else
		tap_fail "agent $name is up" "$(an_logs "$name")"
	fi
done
for name in "${nodes[@]}"; do
	if wait_for 90 an_routes_to "$name" "$others"; then
		tap_ok "$name has kernel routes to the $others other nodes"
	else
		tap_fail "$name has kernel routes to the $others other nodes" \
			"$(n "$name" "$XM" route show 2>&1)" \
			"$(x "$name" node show 2>&1)" "$(an_logs "$name")"
	fi
done
check_json "a knows all nodes, all reachable" \
	"length == ${#nodes[@]} and all(.[]; .reachable)" x a -j node show
check "a has a host route to b's address" \
	grep_out "$(an_addr b) dev xmesh0 proto 88" n a ip -o route show
check "overlay ping a -> b" \
	n a ping -c 3 -i 0.2 -W 5 -I "$(an_addr a)" "$(an_addr b)"
check "overlay ping c -> r3 (both ends off a's paths)" \
	n c ping -c 3 -i 0.2 -W 5 -I "$(an_addr c)" "$(an_addr r3)"

# -------------------------------------------------------- the fast path
# fwd NAME: packets NAME's kernel forwarded.
fwd() { counter "$1" fwd_packets; }

# carried_by NAME WANT OTHER: ping a -> b 20 times; a TAP line for the
# transit node NAME forwarding them all (both ways) and OTHER none.
carried_by() {
	local via=$1 other=$2 v0 o0 v1 o1
	v0=$(fwd "$via")
	o0=$(fwd "$other")
	n a ping -c 20 -i 0.05 -W 5 -q -I "$(an_addr a)" "$(an_addr b)" >/dev/null || true
	v1=$(fwd "$via")
	o1=$(fwd "$other")
	if ((v1 - v0 >= 40 && o1 == o0)); then
		tap_ok "20 pings a -> b: $via forwarded $((v1 - v0)), $other none"
	else
		tap_fail "20 pings a -> b go through $via, not $other" \
			"$via forwarded $((v1 - v0)) (want >= 40), $other $((o1 - o0)) (want 0)" \
			"$(x a path show "${AN_ID[b]}" 2>&1)" "$(x a topology show 2>&1)"
	fi
}

if wait_for 60 an_path_is a b r1 r2; then
	tap_ok "path a -> b: the fast one, over r1 and r2"
else
	tap_fail "path a -> b over r1 and r2" "$(x a path show "${AN_ID[b]}" 2>&1)" \
		"$(x a topology show 2>&1)"
fi
# shellcheck disable=SC2016 # jq's $h
check_json "path a -> b: costs grow along it" \
	'.hops | . as $h | all(range(1; length); $h[.].cost > $h[. - 1].cost)' \
	x a -j path show "${AN_ID[b]}"
# r3 is no loop-free alternate for b: its own shortest path to b goes back
# through a (ul5 is slow), so a's kernel gets one next hop, r1.
check_json "a's route to b: through r1 alone (r3's way to b is back through a)" \
	"(.[0].nexthops | length) == 1 and .[0].nexthops[0].neigh == $(neigh_of a r1) and .[0].nexthops[0].active" \
	n a "$XM" -j route show node "${AN_ID[b]}"
carried_by r1 r3

# ------------------------------------------- the fast path gets slow, then fast
# answered_meanwhile WHAT: a TAP line for pings a -> b answered right
# after a's path moved: their replies follow b's path, old or new, and
# must find no black hole or loop on the way while b and the routers
# converge (before, b and r2 sent them back and forth for seconds).
# One may be lost to the emulated guest's hiccups.
answered_meanwhile() {
	local out got
	# ping fails when one is lost, which set -e must not take for the end.
	out=$(n a ping -c 10 -i 0.1 -W 10 -I "$(an_addr a)" "$(an_addr b)" 2>&1) || true
	got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
	if ((${got:-0} >= 9)); then
		tap_ok "$1: 10 pings a -> b right after a's path moved, $got answered"
	else
		tap_fail "$1: 10 pings a -> b right after a's path moved answered" \
			"${got:-0} answered (want >= 9)" "$out" \
			"$(x b path show "${AN_ID[a]}" 2>&1)"
	fi
}

an_delay 2 r1 r2 $((4 * AN_SLOW_MS))
if wait_for 60 an_path_is a b r3 r4; then
	tap_ok "delay on r1-r2: path a -> b moved to r3 and r4"
else
	tap_fail "delay on r1-r2: path a -> b over r3 and r4" \
		"$(x a path show "${AN_ID[b]}" 2>&1)" "$(x a topology show 2>&1)"
fi
answered_meanwhile "delay on r1-r2"
# The replies follow b's own path back, which moves when r2's advert of
# the delay reaches b, not r1's (a's): wait for it before counting.
if wait_for 60 an_path_is b a r4 r3; then
	tap_ok "delay on r1-r2: path b -> a moved to r4 and r3"
else
	tap_fail "delay on r1-r2: path b -> a over r4 and r3" \
		"$(x b path show "${AN_ID[a]}" 2>&1)" "$(x b topology show 2>&1)"
fi
carried_by r3 r1
an_delay 2 r1 r2 0
if wait_for 60 an_path_is a b r1 r2; then
	tap_ok "delay gone: path a -> b back over r1 and r2"
else
	tap_fail "delay gone: path a -> b back over r1 and r2" \
		"$(x a path show "${AN_ID[b]}" 2>&1)" "$(x a topology show 2>&1)"
fi
answered_meanwhile "delay gone"
if wait_for 60 an_path_is b a r2 r1; then
	tap_ok "delay gone: path b -> a back over r2 and r1"
else
	tap_fail "delay gone: path b -> a back over r2 and r1" \
		"$(x b path show "${AN_ID[a]}" 2>&1)" "$(x b topology show 2>&1)"
fi
carried_by r1 r3

# ---------------------------------------------------------------- max hops
# has_route NAME DST: NAME's kernel has a route to node DST (a name).
# shellcheck disable=SC2317 # called through check and wait_for
has_route() {
	jq_true 'length == 1' n "$1" "$XM" -j route show node "${AN_ID[$2]}"
}
# shellcheck disable=SC2317 # called through wait_for
hop_limited() {
	! has_route a c && ! has_route a b && has_route a r2 && has_route a r4
}
echo "max-hops 2" >>"$AN_DIR/a.conf"
kill -HUP "${AN_PID[a]}"
if wait_for 30 hop_limited; then
	tap_ok "max-hops 2 on a: no route to c and b (3 hops), routes to r2 and r4 (2)"
else
	tap_fail "max-hops 2 on a" "$(n a "$XM" route show 2>&1)" "$(an_logs a)"
fi
check "max-hops 2: path show says c is unreachable" \
	fails_with unreachable x a path show "${AN_ID[c]}"
check "max-hops 2: no overlay ping a -> c" \
	fails n a ping -c 2 -i 0.2 -W 1 -I "$(an_addr a)" "$(an_addr c)"
check "max-hops 2: overlay ping a -> r2" \
	n a ping -c 2 -i 0.2 -W 5 -I "$(an_addr a)" "$(an_addr r2)"
check "max-hops 2 is a's policy: r1 still routes to c" has_route r1 c
sed -i '/^max-hops/d' "$AN_DIR/a.conf"
kill -HUP "${AN_PID[a]}"
if wait_for 30 an_routes_to a "$others"; then
	tap_ok "max-hops removed: a routes to all $others again"
else
	tap_fail "max-hops removed: a routes to all" "$(n a "$XM" route show 2>&1)" \
		"$(an_logs a)"
fi
check "max-hops removed: overlay ping a -> c" \
	n a ping -c 2 -i 0.2 -W 5 -I "$(an_addr a)" "$(an_addr c)"

# ------------------------------------------------ an instance joins later
an_node d 8
mesh_link 8 r4 d
an_config d
an_start d
nodes+=(d)
others=$((others + 1))
if wait_for 60 has_route a d; then
	tap_ok "d joined on a new link of r4: a routes to it"
else
	tap_fail "d joined: a routes to it" "$(x r4 neigh show 2>&1)" \
		"$(an_logs d)" "$(an_logs r4)"
fi
check "overlay ping a -> d" \
	wait_for 30 n a ping -c 1 -W 2 -I "$(an_addr a)" "$(an_addr d)"
if wait_for 60 an_routes_to d "$others"; then
	tap_ok "d has routes to the $others others"
else
	tap_fail "d has routes to the $others others" "$(n d "$XM" route show 2>&1)" \
		"$(an_logs d)"
fi
# Not over r3: ul5 (r3 - r4) is the slow link.
check_json "path a -> d: over r1, r2, b and r4" \
	"(.hops | map(.node)) == [1, 2, 3, 6, 5, 8]" x a -j path show "${AN_ID[d]}"

check_json "no agent refused anything" \
	'.stats.rx_bad_auth == 0 and .stats.rx_malformed == 0 and .agent.fib_errors == 0' \
	x a -j -s agent show
if ((_tap_failed)); then
	for name in "${nodes[@]}"; do
		an_logs "$name" 60 | sed 's/^/#   /'
	done
fi
tap_done
