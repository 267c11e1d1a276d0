#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the guest (scripts/demo.sh): the demo itself. Five instances run
# only xmeshd: they find each other, measure their links, compute paths
# and program the kernel; then a link carrying traffic fails silently and
# the traffic moves to the other path; then node 1 broadcasts to three
# others over a multicast tree (demo-broadcast.sh) and an IoT stage is
# placed by capability (demo-iot.sh). xmesh-controller runs in the root
# namespace with the dashboard; the agents, certified by a site authority
# made here, report to it over management links of their own (mgI,
# 10.98.I.0/24), and the host reaches it through qemu's user network
# (scripts/guest.sh, XMESH_GUEST_HOSTFWD).
#
# From demo.sh: XMESH_DEMO_PORT (the dashboard's port on the host),
# XMESH_DEMO_HOLD (seconds to keep the mesh running at the end, or
# "forever"; 0: not at all), XMESH_DEMO_ENTER (non-empty: Enter on the
# host ends the hold).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../tests/guest/lib.sh
. "$top/tests/guest/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/guest/mesh.sh
. "$top/tests/guest/mesh.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/guest/agentnet.sh
. "$top/tests/guest/agentnet.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/guest/ctlnet.sh
. "$top/tests/guest/ctlnet.sh"
# shellcheck source-path=SCRIPTDIR source=demo-iot.sh
. "$top/scripts/demo-iot.sh"
# shellcheck source-path=SCRIPTDIR source=demo-broadcast.sh
. "$top/scripts/demo-broadcast.sh"

WEB=$top/controller/build/web
# demo.sh forwards the host's XMESH_DEMO_PORT to the controller's CTL_PORT
# (7680, ctlnet.sh), and a port of its own to STOP_PORT, to end the hold.
STOP_PORT=7681
HOST_PORT=${XMESH_DEMO_PORT:-}
HOLD=${XMESH_DEMO_HOLD:-0}
A=$AN_DIR

step() { printf '\n=== %s\n' "$*"; }
# A command and its output; a failure is shown, not fatal.
show() { printf '$ %s\n' "$*"; "$@" || echo "(exit status $?)"; }

# host_nic: the NIC of scripts/guest.sh's XMESH_GUEST_HOSTFWD, at qemu
# user networking's guest address; false without one.
host_nic() {
	local dev
	modprobe virtio_net 2>/dev/null || return 1
	for dev in /sys/bus/virtio/drivers/virtio_net/*/net/*; do
		[[ -e $dev ]] || continue
		ip addr add 10.0.2.15/24 dev "${dev##*/}" &&
			ip link set "${dev##*/}" up
		return
	done
	return 1
}

# The site's controller: an authority, a policy key it certifies, the
# controller with the dashboard on every address of the root namespace.
controller_start() {
	ctl_authority demo || return
	OP_TOKEN=$(ctl_token operator demo)
	RO_TOKEN=$(ctl_token read-only viewer)
	ip link set lo up
	ctl_start --web "$WEB"
	ctl_wait || { tail "$A/controller.log"; return 1; }
	# The site policy: the demo's zones, everything allowed but ssh from
	# the back to the front, checked by its tests.
	cat >"$A/policy.json" <<-'EOF'
	{
		"filter": [
			"zone front 10", "zone core 20", "zone back 30",
			"deny from zone back to zone front proto tcp dport 22"
		],
		"tests": [
			"zone front can reach zone back on tcp/5201",
			"zone back cannot reach zone front on tcp/22"
		]
	}
	EOF
	XMESH_TOKEN=$OP_TOKEN "$XM" policy apply "$A/policy.json" >/dev/null
}

# dashboard_url: where the host's browser finds the dashboard.
dashboard_url() {
	printf 'http://localhost:%s/' "$HOST_PORT"
}

an_require
udpgap_build
[[ -x $CTL && -f $WEB/index.html ]] ||
	{ echo "demo: build the controller and its dashboard first (make demo)"; exit 1; }
controller_start
if [[ -n $HOST_PORT ]] && host_nic; then
	step "The dashboard: open $(dashboard_url) on the host"
	echo "operator token:  $OP_TOKEN"
	echo "read-only token: $RO_TOKEN"
	echo "(the map fills in as the agents start reporting, below)"
fi
step "Five instances, five links, nothing configured but each agent's file:"
cat <<'MAP'
        [1]--ul1--[2]--ul2--[3]--ul3--[4]
                   |                   |
                  ul4                 ul5
                   +-------[5]---------+
MAP
for i in 1 2 3 4 5; do
	an_node "n$i" "$i"
done
# Management links to the controller, never over the mesh.
ctl_mgmt_links n1 n2 n3 n4 n5
mesh_link 1 n1 n2
mesh_link 2 n2 n3
mesh_link 3 n3 n4
mesh_link 4 n2 n5
mesh_link 5 n5 n4
# The lower path is slower: 2 ms each way on ul4.
an_delay 4 n2 n5 2
# Zones and roles are in each node's certificate.
ctl_certify n1 front ingest
ctl_certify n2 core
ctl_certify n3 core storage
ctl_certify n4 back gpu
ctl_certify n5 back gpu storage
# Default timers, except that a neighbor is declared down after 6 lost
# probes (300 ms), not 3: the emulated guest stalls for 100 ms at times.
# The IoT step sets the nodes' loads through the agents' test hook.
XMESHD_CAPS_OVERRIDE=$(demo_iot_caps_path)
export XMESHD_CAPS_OVERRIDE
for i in 1 2 3 4 5; do
	an_config "n$i" "probe-miss 6" "certificate $A/n$i.cert" \
		"authority $A/authority.cert" \
		"controller $(ctl_agent_url "n$i")"
	an_start "n$i"
done
echo "node 1's configuration (its zone and roles are in its certificate):"
sed 's/^/    /' "$AN_DIR/n1.conf"

step "Discovery: every agent learns every node and programs the kernel"
t0=$(date +%s.%N)
an_wait_routes 60 4 n1 n2 n3 n4 n5
printf 'all five nodes routed to each other after %.1f s\n' \
	"$(echo "$(date +%s.%N) - $t0" | bc)"
show x n1 node show
show x n1 node find role gpu near 1
show x n2 neigh show
show x n1 path show 4
show xm n2 route show

step "Mesh-level ping and trace from node 1 to node 4 (forwarded in the kernel)"
show xm n1 ping 4 -c 3 -i 0.2
show xm n1 trace 4

step "Application traffic: TCP from 10.99.0.1 to 10.99.0.4 across three hops"
n n4 iperf3 -s -D -1 -B 10.99.0.4
wait_for 10 n n4 ss -ltn 'sport = :5201'
n n1 iperf3 -c 10.99.0.4 -B 10.99.0.1 -t 3 -f m | grep -E 'sender|receiver'

step "Failover: a 1000 packets/s UDP stream 1 -> 4 while link 2-3 goes silent"
echo "(packets dropped both ways, carrier up: only the agents' probes notice)"
stream_start n1 n4 10.99.0.4 10.99.0.1
sleep 2
link_cut n2 ul2 silent
stream_mark
report=$(stream_end 60)
jq -r '"received \(.received), lost \(.lost); longest gap \(.max_gap_ms) ms"' \
	<<<"$report"
wait_for 30 an_path_is n1 n4 n2 n5 || true
show x n1 path show 4
show xm n2 -s route show node 4

step "The link heals: after its hold-down the fast path is taken again"
link_restore n2 ul2 silent
if wait_for 60 an_path_is n1 n4 n2 n3; then
	show x n1 path show 4
fi
show x n2 -s agent show

# Node 1 is the source, the others but node 2 (transit only) receive.
demo_broadcast n1 n3 n4 n5 || echo "(the broadcast failed: the demo goes on)"

demo_iot n1 gpu
printf '\n(the scripted part took %d s in the guest)\n' "$SECONDS"

# The mesh stays up for the dashboard: until the hold's time is up or a
# connection to STOP_PORT (demo.sh makes one when Enter is pressed).
if [[ -n $HOST_PORT && $HOLD != 0 ]] && ip -br addr show | grep -q 10.0.2.15/; then
	step "The mesh keeps running: the dashboard is at $(dashboard_url)"
	echo "operator token: $OP_TOKEN"
	ends="for $HOLD s"
	[[ $HOLD != forever ]] || ends="until Enter"
	[[ -z ${XMESH_DEMO_ENTER:-} || $HOLD == forever ]] || ends+=" (or Enter)"
	echo "(the path from n1 to n4, a node's or a link's panel, the cut in the events;"
	echo " it runs $ends; Ctrl-C stops the guest)"
	limit=()
	[[ $HOLD == forever ]] || limit=(timeout "$HOLD")
	"${limit[@]}" socat TCP-LISTEN:$STOP_PORT,reuseaddr SYSTEM:true ||
		true
fi
step "Done."
