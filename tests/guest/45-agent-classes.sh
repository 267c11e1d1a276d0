#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Per-class paths (Documentation/classes.md): a and b are joined by a short
# thin way (over r1: no delay, links of 20 Mb/s) and a long fat one (over
# r2: 10 ms each way a link, 1 Gb/s). Every agent is configured with
# realtime on the latency metric and interactive on the bandwidth metric;
# bulk and network-control keep the default metric (which prefers r1 here:
# about 5500 a hop against 10100). Then:
# - a's kernel has the default routes and one table per configured class,
#   and no table for the classes left at the default;
# - `path show b class C` names the class's path: realtime over r1,
#   interactive over r2, bulk the default one over r1;
# - real packets classified by DSCP (ping -Q: EF is realtime, AF41
#   interactive, 0 bulk) are forwarded by r1 or r2 accordingly, counted by
#   the transit nodes' fwd_packets;
# - a bad class setting is refused, by xmeshd --check and by the kernel.
#   make -C agent && make -C kmod && XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/45-agent-classes.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"
# shellcheck source-path=SCRIPTDIR source=agentnet.sh
. "$here/agentnet.sh"

EF=0xb8		# DSCP 46 << 2: realtime
AF41=0x88	# DSCP 34 << 2: interactive
CLASSES=("class realtime metric latency" "class interactive metric bandwidth")

an_require
an_node a 1
an_node r1 2
an_node r2 3
an_node b 4
mesh_link 1 a r1
mesh_link 2 r1 b
mesh_link 3 a r2
mesh_link 4 r2 b
an_delay 3 a r2 10
an_delay 4 r2 b 10
an_config a "link ul1 bandwidth 20" "link ul3 bandwidth 1000" "${CLASSES[@]}"
an_config r1 "link ul1 bandwidth 20" "link ul2 bandwidth 20" "${CLASSES[@]}"
an_config r2 "link ul3 bandwidth 1000" "link ul4 bandwidth 1000" \
	"${CLASSES[@]}"
an_config b "link ul2 bandwidth 20" "link ul4 bandwidth 1000" "${CLASSES[@]}"
for name in a r1 r2 b; do
	an_start "$name"
done

# default_routes NAME COUNT: NAME's default table has routes to COUNT
# nodes, each with an active next hop.
# shellcheck disable=SC2317 # called through wait_for
default_routes() {
	jq_true "map(select(.tclass == null)) | length == $2 and all(.[]; any(.nexthops[]; .active))" \
		n "$1" "$XM" -j route show
}

# class_path_is NAME DST CLASS HOP...: like an_path_is, for CLASS's path.
# shellcheck disable=SC2317 # called through wait_for
class_path_is() {
	local from=$1 dst=$2 class=$3 want h
	shift 3
	want="[${AN_ID[$from]}"
	for h in "$@" "$dst"; do
		want+=",${AN_ID[$h]}"
	done
	want+="]"
	jq_true ".reachable and (.hops | map(.node)) == $want" \
		x "$from" -j path show "${AN_ID[$dst]}" class "$class"
}

for name in a r1 r2 b; do
	if wait_for 30 an_up "$name"; then
		tap_ok "agent $name is up"
	else
		tap_fail "agent $name is up" "$(an_logs "$name")"
	fi
done
for name in a b; do
	if wait_for 90 default_routes "$name" 3; then
		tap_ok "$name has default routes to the 3 other nodes"
	else
		tap_fail "$name has default routes to the 3 other nodes" \
			"$(n "$name" "$XM" route show 2>&1)" "$(an_logs "$name")"
	fi
done

# ------------------------------------------------------------ the paths
# The fat way's delay must be measured and advertised before the latency
# path settles: wait for each path rather than read it once.
path_ok() {
	local what=$1
	shift
	if wait_for 60 "$@"; then
		tap_ok "$what"
	else
		tap_fail "$what" "$(x "$2" path show "${AN_ID[$3]}" 2>&1)" \
			"$(x "$2" path show "${AN_ID[$3]}" class realtime 2>&1)" \
			"$(x "$2" path show "${AN_ID[$3]}" class interactive 2>&1)" \
			"$(x "$2" topology show 2>&1)"
	fi
}
path_ok "default path a -> b over r1 (~5500 a hop against 10100)" \
	an_path_is a b r1
path_ok "realtime (latency) path a -> b over r1" \
	class_path_is a b realtime r1
path_ok "interactive (bandwidth) path a -> b over r2" \
	class_path_is a b interactive r2
path_ok "bulk (the default metric) path a -> b over r1" \
	class_path_is a b bulk r1
path_ok "interactive path b -> a over r2" class_path_is b a interactive r2
# 1 Gb/s costs 100 a hop at the bandwidth metric (more with probe loss).
# shellcheck disable=SC2016 # jq
check_json "path show class: the table and metric, per-hop costs" \
	'.tclass == "interactive" and .table == "class" and .metric == "bandwidth" and .hops[1].hop_cost >= 100 and .hops[1].hop_cost < 200 and .hops[2].cost == .hops[1].hop_cost + .hops[2].hop_cost' \
	x a -j path show "${AN_ID[b]}" class interactive
check_json "bulk keeps the default routes: no table of its own" \
	'.table == "default"' x a -j path show "${AN_ID[b]}" class bulk

# The kernel: the route to the other end per class, on a and b.
# diag: what a failure shows.
diag() {
	n a "$XM" route show 2>&1
	x a neigh show 2>&1
	n a "$XM" -s dev show xmesh0 2>&1 | tail -n 12
	an_logs a 20
}
# kernel_route NAME DST CLASS VIA: NAME's class route to DST (names) has
# the neighbor at VIA active.
# shellcheck disable=SC2317 # called through wait_for
kernel_route() {
	jq_true "length == 1 and .[0].tclass == \"$3\" and any(.[0].nexthops[]; .active and .neigh == $(neigh_of "$1" "$4"))" \
		n "$1" "$XM" -j route show node "${AN_ID[$2]}" class "$3"
}
for route in "a b interactive r2" "a b realtime r1" "b a interactive r2" \
	"b a realtime r1"; do
	read -r from to class via <<<"$route"
	if wait_for 60 kernel_route "$from" "$to" "$class" "$via"; then
		tap_ok "$from's kernel: $class's route to $to through $via"
	else
		tap_fail "$from's kernel: $class's route to $to through $via" \
			"$(diag)"
	fi
done
check_json "a's kernel: tables for realtime and interactive only" \
	'map(.tclass) | unique == [null, "interactive", "realtime"]' \
	n a "$XM" -j route show

# ---------------------------------------------------- packets by their DSCP
fwd() { counter "$1" fwd_packets; }

# carried_by TOS VIA OTHER WHAT: 20 pings a -> b marked TOS; a TAP line for
# VIA forwarding them all, both ways (b's class tables are a's), and OTHER
# none.
carried_by() {
	local tos=$1 via=$2 other=$3 what=$4 v0 o0 v1 o1
	v0=$(fwd "$via")
	o0=$(fwd "$other")
	n a ping -n -q -Q "$tos" -c 20 -i 0.05 -W 5 -I "$(an_addr a)" \
		"$(an_addr b)" >/dev/null || true
	v1=$(fwd "$via")
	o1=$(fwd "$other")
	if ((v1 - v0 >= 40 && o1 == o0)); then
		tap_ok "20 $what pings a -> b: $via forwarded $((v1 - v0)), $other none"
	else
		tap_fail "20 $what pings a -> b go through $via, not $other" \
			"$via forwarded $((v1 - v0)) (want >= 40), $other $((o1 - o0)) (want 0)" \
			"$(diag)"
	fi
}
carried_by "$EF" r1 r2 "realtime (EF)"
carried_by "$AF41" r2 r1 "interactive (AF41)"
carried_by 0 r1 r2 "unmarked (bulk)"

# -------------------------------------------------------- bad settings
# bad_config LINE: a's configuration with LINE, in bad.conf.
bad_config() {
	{
		cat "$AN_DIR/a.conf"
		echo "$1"
	} >"$AN_DIR/bad.conf"
}
bad_config "class gold metric latency"
check_match "xmeshd refuses an unknown class" 1 \
	'class "gold" is not bulk, interactive, realtime or network-control' \
	"$XMESHD" -c "$AN_DIR/bad.conf" --check
bad_config "class bulk metric fastest"
check_match "xmeshd refuses an unknown metric" 1 \
	'metric must be default, latency, bandwidth or mix, not "fastest"' \
	"$XMESHD" -c "$AN_DIR/bad.conf" --check
check_match "the tool refuses an unknown class" 2 'invalid traffic class' \
	n a "$XM" route add node 9 class gold nexthop neigh 1
nb=$(neigh_of a r1)
for tc in 0 5; do
	check_match "the kernel refuses a route in class $tc, by its extack" 1 \
		'out of range' n a python3 "$here/nlraw.py" send \
		"route-new ifname=xmesh0 route{ dst=9 tclass=$tc nexthop{ neigh=$nb } }"
done
check_match "the kernel names the class of a missing class route" 1 \
	'no route to node 9 in class 3' \
	n a "$XM" route del node 9 class realtime
tap_done
