#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Telemetry (issue 8, part 4): xmesh-controller in the guest's root
# namespace, six agents with certificates in a ring,
# n1 --ul1-- n2 --ul2-- n3 --ul3-- n4 --ul4-- n5 --ul5-- n6 --ul6-- n1,
# each reporting to the controller over a management veth of its own
# (mgI, 10.98.I.0/24), never over the mesh.
#
# - The topology shows the six nodes, up, and the twelve links (each end
#   reports its own).
# - The path n1 -> n3 goes through n2, hop for hop as n1's `xmesh path show`
#   says.
# - ul2 (n2 - n3) is cut: link-down events from n2 and n3, the topology
#   shows the link down, and the path n1 -> n3 turns the other way round
#   the ring (through n6), as n1's `xmesh path show` says.
# - n2's own event of the carrier loss (its log line) reaches the
#   controller as an event of kind agent.
# - Each link carries its own counters, the nodes their QoS classes: pings
#   n1 -> n2 raise n1's link to n2, not its link to n6; the controller
#   keeps the link's send rate and a class's as series.
# - /metrics has per-node and per-link series; the agents count reports.
#
# Run it with
#   make -C agent && make -C controller && make -C kmod && \
#       XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/72-telemetry.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"	# mesh_link
# shellcheck source-path=SCRIPTDIR source=agentnet.sh
. "$here/agentnet.sh"	# an_*, x, jq_true, link_cut
# shellcheck source-path=SCRIPTDIR source=ctlnet.sh
. "$here/ctlnet.sh"	# ctl_*

an_require
ctl_require
NODES=(n1 n2 n3 n4 n5 n6)
A=$AN_DIR

modprobe xmesh
# ------------------------------------------------------------ the network
for i in 1 2 3 4 5 6; do
	an_node "n$i" "$i"
done
for k in 1 2 3 4 5; do
	mesh_link "$k" "n$k" "n$((k + 1))"
done
mesh_link 6 n6 n1
ctl_site "${NODES[@]}"

# ------------------------------------------------------------ controller
XMESH_TOKEN=$(ctl_token read-only viewer)
ctl_start
check "the controller starts" ctl_wait

# ------------------------------------------------------------ agents
# Lenient timers: the emulated guest stalls for hundreds of ms under load.
common=("hello-interval 1" "dead-interval 10" "sync-hold 3"
	"probe-interval 0.1" "probe-miss 10"
	"authority $A/authority.cert")
for i in 1 2 3 4 5 6; do
	prev=$((i == 1 ? 6 : i - 1))
	an_config "n$i" "${common[@]}" "certificate $A/n$i.cert" \
		"link ul$i" "link ul$prev" "controller $(ctl_agent_url "n$i")"
	an_start "n$i"
done

if an_wait_routes 120 5 "${NODES[@]}"; then
	tap_ok "the ring converges: every node routes to the five others"
else
	tap_fail "the ring converges" "$(ctl_all_logs)"
fi

# The controller's topology: six nodes up, twelve links up (two a link).
full='(.nodes | length) == 6 and all(.nodes[]; .health == "up")
	and ([.links[] | select(.state == "up")] | length) == 12'
if wait_for 60 jq_true "$full" ctl_api topology; then
	tap_ok "the topology shows six nodes up and their twelve links"
else
	tap_fail "the topology shows six nodes and their links" "$(ctl_all_logs)"
fi
check_json "the nodes' names, zones and capabilities" \
	'all(.nodes[]; (.name | length) > 0 and .zone == "web" and .caps.cores >= 1)' \
	ctl_api topology

# path_via FROM TO VIA: the controller's path FROM -> TO is complete,
# goes through VIA first, and has every hop FROM's agent shows.
# shellcheck disable=SC2317 # called through wait_for
path_via() {
	local from=$1 to=$2 via=$3 ctl agent
	ctl=$(ctl_api "path?from=$from&to=$to" | jq -c \
		'select(.complete and .hops[0].via == '"$via"')
		| [.hops[0].node] + [.hops[].via]') || return 1
	agent=$(x "n$from" -j path show "$to" | jq -c '[.hops[].node]') ||
		return 1
	[ -n "$ctl" ] && [ "$ctl" = "$agent" ]
}

if wait_for 60 path_via 1 3 2; then
	tap_ok "the path n1 -> n3 goes through n2, as n1's path show says"
else
	tap_fail "the path n1 -> n3 through n2" "$(ctl_api 'path?from=1&to=3')" \
		"$(x n1 -j path show 3)"
fi

# ------------------------------------------- per-link and per-class counters
# Each link carries its adjacency's own counters (the kernel's) and the
# node its QoS classes; pings n1 -> n2 (20 of 1000 bytes) raise n1's link
# to n2 by their bytes, its link to n6 by far less (the agents' own).
check_json "n1's report: its links' counters, its QoS classes" \
	'all(.report.links[]; has("tx_bytes") and has("rx_packets")) and
	 (.report.qos | length) == 4 and any(.report.qos[]; .class == "realtime")' \
	ctl_api nodes/1
tx_of() {
	ctl_api nodes/1 | jq ".report.links[] | select(.peer == $1) | .tx_bytes"
}
tx2=$(tx_of 2)
tx6=$(tx_of 6)
n n1 ping -q -c 20 -i 0.05 -s 1000 -I "$(an_addr n1)" "$(an_addr n2)" \
	>/dev/null 2>&1 || true
# shellcheck disable=SC2317 # called through wait_for
tx2_risen() {
	(( $(tx_of 2) - tx2 >= 20000 ))
}
if wait_for 30 tx2_risen &&
	(( $(tx_of 6) - tx6 < $(tx_of 2) - tx2 - 15000 )); then
	tap_ok "pings n1 -> n2 raise n1's link to n2, not its link to n6 ($(( $(tx_of 2) - tx2 )) and $(( $(tx_of 6) - tx6 )) bytes)"
else
	tap_fail "pings n1 -> n2 raise n1's link to n2" "$tx2 $tx6" \
		"$(ctl_api nodes/1)"
fi
check_json "the topology: every link's utilization from its own counters" \
	'all(.links[]; .utilization_from == "link")' ctl_api topology
# The series kept of them: the link's own send rate, a class's rate.
if wait_for 30 jq_true 'any(.points[]; .[1] > 0)' \
	ctl_api "telemetry/series?node=1&peer=2&metric=link_tx_bps"; then
	tap_ok "the series of n1's link to n2: its own send rate"
else
	tap_fail "the series of n1's link to n2" \
		"$(ctl_api "telemetry/series?node=1&peer=2&metric=link_tx_bps")"
fi
check_json "the series of n1's bulk class, named" \
	'.class == "bulk" and (.points | length) >= 1' \
	ctl_api "telemetry/series?node=1&class=bulk&metric=class_bps"

# ------------------------------------------------------------ a link cut
last=$(ctl_api events | jq '.next')
link_cut n2 ul2 carrier
link_cut n3 ul2 carrier

# shellcheck disable=SC2317 # called through wait_for
cut_seen() {
	jq_true '[.events[] | select(.kind == "link-down" and
		((.node == 2 and .peer == 3) or (.node == 3 and .peer == 2)))]
		| length >= 1' ctl_api "events?since=$last"
}
if wait_for 120 cut_seen; then
	tap_ok "the cut shows as link-down"
else
	tap_fail "the cut shows as link-down" "$(ctl_api "events?since=$last")" \
		"$(ctl_all_logs)"
fi
# The agents' own events: n2 logged its carrier loss, and sent it.
# shellcheck disable=SC2317 # called through wait_for
own_event_seen() {
	jq_true '[.events[] | select(.kind == "agent" and .node == 2 and
		(.detail | test("^info: link ul2: (carrier down|the agent stops)")))] | length >= 1' \
		ctl_api "events?since=$last"
}
if wait_for 60 own_event_seen; then
	tap_ok "n2's own event of the carrier loss reaches the controller, kind agent"
else
	tap_fail "n2's own event reaches the controller" \
		"$(ctl_api "events?since=$last")" "$(an_logs n2)"
fi
if wait_for 120 jq_true 'all(.links[] | select((.from == 2 and .to == 3) or
	(.from == 3 and .to == 2)); .state == "down")' ctl_api topology; then
	tap_ok "the topology shows the link n2 - n3 down"
else
	tap_fail "the topology shows the link down" "$(ctl_api topology)"
fi
if wait_for 120 path_via 1 3 6; then
	tap_ok "the path n1 -> n3 turns the other way, through n6, as n1's path show says"
else
	tap_fail "the path n1 -> n3 through n6" "$(ctl_api 'path?from=1&to=3')" \
		"$(x n1 -j path show 3)"
fi

# ------------------------------------------------------------ metrics
metrics=$(curl -sf "$XMESH_CONTROLLER/metrics")
for i in 1 2 3 4 5 6; do
	if grep -q "^xmesh_node_up{site=\"default\",node=\"$i\",name=\"[^\"]*\"} 1$" <<<"$metrics" &&
		grep -q "^xmesh_node_tx_bytes_total{site=\"default\",node=\"$i\"," <<<"$metrics"; then
		tap_ok "/metrics: n$i's node series"
	else
		tap_fail "/metrics: n$i's node series" \
			"$(grep "node=\"$i\"" <<<"$metrics" | head -20)"
	fi
done
# Links: the site's histograms always (a link by itself only in trouble:
# Documentation/prometheus.md).
if grep -q '^xmesh_site_link_rtt_seconds_count{site="default"} [1-9]' <<<"$metrics"; then
	tap_ok "/metrics: the site's link RTT histogram"
else
	tap_fail "/metrics: the site's link RTT histogram" \
		"$(grep '^xmesh_site_link' <<<"$metrics" | head -20)"
fi
check_json "each agent counts its reports taken" \
	'.agent.telemetry_reports >= 2' x n1 -j -s agent show

tap_done
