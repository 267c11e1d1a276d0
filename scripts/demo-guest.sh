#!/bin/bash
# Inside the guest (scripts/demo.sh): the demo itself.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../tests/guest/lib.sh
. "$top/tests/guest/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/guest/mesh.sh
. "$top/tests/guest/mesh.sh"

step() { printf '\n=== %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

modprobe xmesh
step "Five instances, five links (see tests/guest/mesh.sh for the map):"
cat <<'MAP'
        [1]--ul1--[2]--ul2--[3]--ul3--[4]
                   |                   |
                  ul4                 ul5
                   +-------[5]---------+
MAP
mesh_up inet

step "Node 2's view of the mesh"
show xm 2 dev show
show xm 2 neigh show
show xm 2 route show
show xm 2 prefix show
show n 1 ip route show dev xmesh0

step "Mesh-level ping and trace from node 1 to node 4 (forwarded in the kernel)"
show xm 1 ping 4 -c 3 -i 0.2
show xm 1 trace 4

step "Application traffic: TCP from 10.0.1.1 to 10.0.4.1 across three hops"
n 4 iperf3 -s -D -1 -B 10.0.4.1
wait_for 10 n 4 ss -ltn 'sport = :5201'
n 1 iperf3 -c 10.0.4.1 -B 10.0.1.1 -t 3 -f m | grep -E 'sender|receiver'

step "Failover: ping every 10 ms while the link 2-3 loses carrier"
n 1 ping -D -i 0.01 -W 1 -c 400 10.0.4.1 >/tmp/ping.log 2>&1 &
pid=$!
sleep 1.5
show n 2 ip link set ul2 down
wait "$pid" || true
gap=$(awk -F'[][]' '/bytes from/ { t = $2; if (p && t - p > g) g = t - p; p = t }
	END { printf "%.0f", g * 1000 }' /tmp/ping.log)
received=$(grep -c 'bytes from' /tmp/ping.log || true)
echo "replies: $received of 400; longest gap between replies: $gap ms"
show xm 2 -s route show node 4
show xm 2 -s dev show
n 2 ip link set ul2 up
step "Done."
