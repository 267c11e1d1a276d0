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
# - The path n1 -> n3 goes through n2, as n1's `xmesh path show` says.
# - ul2 (n2 - n3) is cut: link-down events from n2 and n3, the topology
#   shows the link down, and the path n1 -> n3 turns the other way round
#   the ring (through n6), as n1's `xmesh path show` says.
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

an_require
CTL=$AN_TOP/controller/xmesh-controller
if [[ ! -x $CTL ]]; then
	echo "Bail out! $CTL is not built (make -C controller)"
	exit 1
fi
NODES=(n1 n2 n3 n4 n5 n6)
PORT=7680
A=$AN_DIR
URL=http://127.0.0.1:$PORT

modprobe xmesh
ip link set lo up	# the operator's requests, on 127.0.0.1

# ------------------------------------------------------------ the network
for i in 1 2 3 4 5 6; do
	an_node "n$i" "$i"
done
for k in 1 2 3 4 5; do
	mesh_link "$k" "n$k" "n$((k + 1))"
done
mesh_link 6 n6 n1
for i in 1 2 3 4 5 6; do
	ip link add "mg$i" type veth peer name mg0 netns "xm-n$i"
	ip addr add "10.98.$i.1/24" dev "mg$i"
	ip link set "mg$i" up
	ip -n "xm-n$i" addr add "10.98.$i.2/24" dev mg0
	ip -n "xm-n$i" link set mg0 up
	at_exit "ip link del mg$i"
done

# ------------------------------------------------------------ certificates
check "the site authority" "$XM" cert authority create name edge1 \
	key "$A/authority.key" cert "$A/authority.cert"
# shellcheck disable=SC2317 # called through check
policy_key() {
	"$XM" cert key create "$A/policy.key" >/dev/null &&
		"$XM" cert key show "$A/policy.key" >"$A/policy.pub" &&
		"$XM" cert sign authority-key "$A/authority.key" \
			authority "$A/authority.cert" pubkey "$A/policy.pub" \
			kind policy out "$A/policy.cert"
}
check "the policy key" policy_key
# shellcheck disable=SC2317 # called through check
certify() {
	local name=$1 id=$2
	mkdir -p "$A/state-$name"
	"$XM" cert key create "$A/state-$name/node.key" >/dev/null &&
		"$XM" cert key show "$A/state-$name/node.key" >"$A/$name.pub" &&
		"$XM" cert sign authority-key "$A/authority.key" \
			authority "$A/authority.cert" pubkey "$A/$name.pub" \
			node "$id" zone web out "$A/$name.cert"
}
for i in 1 2 3 4 5 6; do
	check "n$i's certificate" certify "n$i" "$i"
done

# ------------------------------------------------------------ controller
TOKEN=$("$CTL" --db "$A/controller.db" token add read-only viewer)
"$CTL" --db "$A/controller.db" --authority "$A/authority.cert" \
	--policy-key "$A/policy.key" --policy-cert "$A/policy.cert" \
	--listen 0.0.0.0 --port "$PORT" >>"$A/controller.log" 2>&1 &
at_exit "kill -KILL $!"
check "the controller starts" wait_for 30 curl -sf "$URL/metrics"

# api PATH: a GET of the operator API.
# shellcheck disable=SC2317 # called through check and jq_true
api() {
	curl -sf -H "Authorization: Bearer $TOKEN" "$URL/api/v1/$1"
}

# ------------------------------------------------------------ agents
# Lenient timers: the emulated guest stalls for hundreds of ms under load.
common=("hello-interval 1" "dead-interval 10" "sync-hold 3"
	"probe-interval 0.1" "probe-miss 10"
	"authority $A/authority.cert")
for i in 1 2 3 4 5 6; do
	prev=$((i == 1 ? 6 : i - 1))
	an_config "n$i" "${common[@]}" "certificate $A/n$i.cert" \
		"link ul$i" "link ul$prev" "controller http://10.98.$i.1:$PORT"
	an_start "n$i"
done

all_logs() {
	local name
	for name in "${NODES[@]}"; do
		an_logs "$name" 10
	done
	echo "--- controller"
	tail -n 20 "$A/controller.log"
	echo "--- topology"
	api topology || true
}

if an_wait_routes 120 5 "${NODES[@]}"; then
	tap_ok "the ring converges: every node routes to the five others"
else
	tap_fail "the ring converges" "$(all_logs)"
fi

# The controller's topology: six nodes up, twelve links up (two a link).
full='(.nodes | length) == 6 and all(.nodes[]; .health == "up")
	and ([.links[] | select(.state == "up")] | length) == 12'
if wait_for 60 jq_true "$full" api topology; then
	tap_ok "the topology shows six nodes up and their twelve links"
else
	tap_fail "the topology shows six nodes and their links" "$(all_logs)"
fi
check_json "the nodes' names, zones and capabilities" \
	'all(.nodes[]; (.name | length) > 0 and .zone == "web" and .caps.cores >= 1)' \
	api topology

# path_via FROM TO VIA: the controller's path FROM -> TO is complete and
# its second hop is VIA, as FROM's agent shows it.
# shellcheck disable=SC2317 # called through wait_for
path_via() {
	local from=$1 to=$2 via=$3
	jq_true "(.hops | length) == 0" x "n$from" -j path show "$to" &&
		return 1
	jq_true ".complete and .hops[0].via == $via" \
		api "path?from=$from&to=$to" &&
		jq_true ".hops[1].node == $via" \
			x "n$from" -j path show "$to"
}

if wait_for 60 path_via 1 3 2; then
	tap_ok "the path n1 -> n3 goes through n2, as n1's path show says"
else
	tap_fail "the path n1 -> n3 through n2" "$(api 'path?from=1&to=3')" \
		"$(x n1 -j path show 3)"
fi

# ------------------------------------------------------------ a link cut
last=$(api events | jq '.next')
link_cut n2 ul2 carrier
link_cut n3 ul2 carrier

# shellcheck disable=SC2317 # called through wait_for
cut_seen() {
	jq_true '[.events[] | select(.kind == "link-down" and
		((.node == 2 and .peer == 3) or (.node == 3 and .peer == 2)))]
		| length >= 1' api "events?since=$last"
}
if wait_for 120 cut_seen; then
	tap_ok "the cut shows as link-down"
else
	tap_fail "the cut shows as link-down" "$(api "events?since=$last")" \
		"$(all_logs)"
fi
if wait_for 120 jq_true 'all(.links[] | select((.from == 2 and .to == 3) or
	(.from == 3 and .to == 2)); .state == "down")' api topology; then
	tap_ok "the topology shows the link n2 - n3 down"
else
	tap_fail "the topology shows the link down" "$(api topology)"
fi
if wait_for 120 path_via 1 3 6; then
	tap_ok "the path n1 -> n3 turns the other way, through n6, as n1's path show says"
else
	tap_fail "the path n1 -> n3 through n6" "$(api 'path?from=1&to=3')" \
		"$(x n1 -j path show 3)"
fi

# ------------------------------------------------------------ metrics
metrics=$(curl -sf "$URL/metrics")
for i in 1 2 3 4 5 6; do
	if grep -q "^xmesh_node_up{node=\"$i\",name=\"[^\"]*\"} 1$" <<<"$metrics" &&
		grep -q "^xmesh_node_tx_bytes_total{node=\"$i\"," <<<"$metrics" &&
		grep -q "^xmesh_link_rtt_seconds{node=\"$i\"," <<<"$metrics"; then
		tap_ok "/metrics: n$i's node and link series"
	else
		tap_fail "/metrics: n$i's node and link series" \
			"$(grep "node=\"$i\"" <<<"$metrics" | head -20)"
	fi
done
check_json "each agent counts its reports taken" \
	'.agent.telemetry_reports >= 2' x n1 -j -s agent show

tap_done
