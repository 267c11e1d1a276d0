#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the guest (scripts/demo.sh): the demo itself. Five instances run
# only xmeshd: they find each other, measure their links, compute paths
# and program the kernel; then a link carrying traffic fails silently and
# the traffic moves to the other path.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../tests/guest/lib.sh
. "$top/tests/guest/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/guest/mesh.sh
. "$top/tests/guest/mesh.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/guest/agentnet.sh
. "$top/tests/guest/agentnet.sh"

step() { printf '\n=== %s\n' "$*"; }
# A command and its output; a failure is shown, not fatal.
show() { printf '$ %s\n' "$*"; "$@" || echo "(exit status $?)"; }

an_require
udpgap_build
step "Five instances, five links, nothing configured but each agent's file:"
cat <<'MAP'
        [1]--ul1--[2]--ul2--[3]--ul3--[4]
                   |                   |
                  ul4                 ul5
                   +-------[5]---------+
MAP
for i in 1 2 3 4 5; do
	an_node "$i" "$i"
done
mesh_link 1 1 2
mesh_link 2 2 3
mesh_link 3 3 4
mesh_link 4 2 5
mesh_link 5 5 4
# The lower path is slower: 2 ms each way on ul4.
an_delay 4 2 5 2
# Default timers, except that a neighbor is declared down after 6 lost
# probes (300 ms), not 3: the emulated guest stalls for 100 ms at times.
tolerant="probe-miss 6"
an_config 1 "zone front" "role ingest" "$tolerant"
an_config 2 "zone core" "$tolerant"
an_config 3 "zone core" "role storage" "$tolerant"
an_config 4 "zone back" "role gpu" "$tolerant"
an_config 5 "zone back" "role gpu storage" "$tolerant"
for i in 1 2 3 4 5; do
	an_start "$i"
done
echo "node 1's configuration:"
sed 's/^/    /' "$AN_DIR/1.conf"

step "Discovery: every agent learns every node and programs the kernel"
t0=$(date +%s.%N)
an_wait_routes 60 4 1 2 3 4 5
printf 'all five nodes routed to each other after %.1f s\n' \
	"$(echo "$(date +%s.%N) - $t0" | bc)"
show x 1 node show
show x 1 node find role gpu near 1
show x 2 neigh show
show x 1 path show 4
show xm 2 route show

step "Mesh-level ping and trace from node 1 to node 4 (forwarded in the kernel)"
show xm 1 ping 4 -c 3 -i 0.2
show xm 1 trace 4

step "Application traffic: TCP from 10.99.0.1 to 10.99.0.4 across three hops"
n 4 iperf3 -s -D -1 -B 10.99.0.4
wait_for 10 n 4 ss -ltn 'sport = :5201'
n 1 iperf3 -c 10.99.0.4 -B 10.99.0.1 -t 3 -f m | grep -E 'sender|receiver'

step "Failover: a 1000 packets/s UDP stream 1 -> 4 while link 2-3 goes silent"
echo "(packets dropped both ways, carrier up: only the agents' probes notice)"
stream_start 1 4 10.99.0.4 10.99.0.1
sleep 2
link_cut 2 ul2 silent
stream_mark
report=$(stream_end 60)
jq -r '"received \(.received), lost \(.lost); longest gap \(.max_gap_ms) ms"' \
	<<<"$report"
wait_for 30 an_path_is 1 4 2 5 || true
show x 1 path show 4
show xm 2 -s route show node 4

step "The link heals: after its hold-down the fast path is taken again"
link_restore 2 ul2 silent
if wait_for 60 an_path_is 1 4 2 3; then
	show x 1 path show 4
fi
show x 2 -s agent show
step "Done."
