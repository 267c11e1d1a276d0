#!/bin/bash
# Tearing xmesh down under traffic: on the five-node mesh (tests/guest/
# mesh.sh) with a ping stream and an iperf3 TCP stream between nodes 1 and
# 4 and `xmesh monitor` listening, delete the xmesh devices one by one,
# unload the module, load it again and rebuild the mesh; delete and re-add
# underlay veths under traffic; hold the module with an unfinished dump;
# and finally unload it with every device still present (rtnl_link_
# unregister deletes them). The harness then checks that the kernel log
# stayed clean. Run it with
#   XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/90-unload.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"

tmp=$(mktemp -d)
at_exit "rm -rf '$tmp'"

# traffic_start TAG: a ping stream (100 per second) and an iperf3 TCP
# stream from node 1 to node 4, and `xmesh monitor` in node 3, in the
# background; their output goes to $tmp/TAG.*.
traffic_start() {
	local tag=$1
	n 4 iperf3 -s -D -B 10.0.4.1 -1 --logfile "$tmp/$tag.iperf-server"
	wait_for 10 n 4 ss -ltn 'sport = :5201' || true
	n 1 iperf3 -c 10.0.4.1 -B 10.0.1.1 -t 300 -b 20M -i 0 \
		>"$tmp/$tag.iperf" 2>&1 &
	n 1 ping -i 0.01 -W 1 -w 300 10.0.4.1 >"$tmp/$tag.ping" 2>&1 &
	xm 3 monitor >"$tmp/$tag.monitor" 2>&1 &
	sleep 2
}

# traffic_stop: end what traffic_start started (ping, iperf3, monitor).
traffic_stop() {
	local ns pids
	for ns in 1 3 4; do
		pids=$(ip netns pids "xm-$ns" 2>/dev/null) || true
		# shellcheck disable=SC2086 # a list of pids
		[[ -z $pids ]] || kill $pids 2>/dev/null || true
	done
	wait 2>/dev/null || true
}

# forwarding NODE: true when NODE forwards frames now (its forwarded-frame
# counter moves within 5 s).
# shellcheck disable=SC2317 # called through check
forwarding() {
	local b
	b=$(counter "$1" fwd_packets)
	wait_for 5 test "$(counter "$1" fwd_packets)" -gt "$b"
}

# rmmod_retry: rmmod xmesh, trying again for a few seconds while the last
# references (sockets closing, RCU callbacks) go away.
# shellcheck disable=SC2317 # called through check
rmmod_retry() {
	local i
	for i in {1..20}; do
		rmmod xmesh 2>/dev/null && return 0
		sleep 0.5
	done
	rmmod xmesh
}

# shellcheck disable=SC2317 # called through check
not_loaded() { ! grep -q '^xmesh ' /proc/modules; }

# no_xmesh_devices: no node has an xmesh device left.
# shellcheck disable=SC2317 # called through check
no_xmesh_devices() {
	local i
	for i in "${MESH_NODES[@]}"; do
		[[ -z $(ip -n "xm-$i" -o link show type xmesh 2>/dev/null) ]] || return 1
	done
}

# use_count: the module's reference count, from /proc/modules.
use_count() {
	awk '$1 == "xmesh" { print $3 }' /proc/modules
}

# ---------------------------- devices deleted under traffic, then rmmod
modprobe xmesh
check "mesh of five nodes configured" mesh_up inet
traffic_start a
check "traffic 1 -> 4 crosses node 3" forwarding 3
check "traffic 4 -> 1 crosses node 5" forwarding 5
for i in "${MESH_NODES[@]}"; do
	check "node $i's xmesh0 deleted under traffic" \
		timeout 60 ip -n "xm-$i" link del xmesh0
done
check "no xmesh device left" no_xmesh_devices
check "the monitor saw the tables go" \
	wait_for 10 grep -q '^Deleted neigh ' "$tmp/a.monitor"
check "rmmod xmesh with the streams still running" rmmod_retry
check "xmesh is gone from /proc/modules" not_loaded
traffic_stop
check "the ping stream had got replies" grep -q 'bytes from 10.0.4.1' "$tmp/a.ping"

# ------------------------------------------ loaded again, mesh rebuilt
check "modprobe xmesh again" modprobe xmesh
ns_del "${MESH_NODES[@]}"
check "mesh of five nodes configured again" mesh_up inet
check "xmesh ping 4 from 1" xm 1 ping 4 -c 2 -i 0.2 -W 5
traffic_start b
check "traffic 1 -> 4 crosses node 3 again" forwarding 3

# ---------------------------------- underlay veths deleted and re-added
# ul2 (nodes 2-3) carries 1 -> 4; node 2 has a backup through node 5.
check "ul2 deleted under traffic" timeout 60 ip -n xm-2 link del ul2
check "node 2's neighbor 2 lost its carrier" neigh_is 2 2 carrier down
check "node 2's route to 4 moved to its backup" nexthop_active 2 4 4
check "traffic 1 -> 4 goes through node 5" forwarding 5
check "ping 1 -> 4 without ul2" n 1 ping -c 3 -i 0.2 -W 5 10.0.4.1
mesh_link 2 2 3
check "node 2's neighbor 2 replaced onto the new ul2" \
	xm 2 neigh replace id 2 node 3 link ul2 remote 10.99.2.2
check "node 3's neighbor 2 replaced onto the new ul2" \
	xm 3 neigh replace id 2 node 2 link ul2 remote 10.99.2.1
check "node 2's route to 4 back on ul2" nexthop_active 2 4 2
check "traffic 1 -> 4 crosses node 3 once more" forwarding 3
# ul1 (nodes 1-2) is node 1's only link: no backup.
check "ul1 deleted under traffic" timeout 60 ip -n xm-1 link del ul1
b=$(counter 1 no_nexthop)
n 1 ping -c 2 -i 0.2 -W 1 10.0.4.1 >/dev/null 2>&1 || true
check "node 1 counts no-nexthop drops without ul1" \
	test "$(counter 1 no_nexthop)" -gt "$b"
mesh_link 1 1 2
check "node 1's neighbor 1 replaced onto the new ul1" \
	xm 1 neigh replace id 1 node 2 link ul1 remote 10.99.1.2
check "node 2's neighbor 1 replaced onto the new ul1" \
	xm 2 neigh replace id 1 node 1 link ul1 remote 10.99.1.1
check "ping 1 -> 4 with ul1 back" n 1 ping -c 3 -i 0.2 -W 5 10.0.4.1

# ---------------------------------------- an unfinished dump holds xmesh
# 1000 neighbors on a scratch device of node 1: their dump needs several
# parts, and one that is not read on stays open, holding the module.
n 1 ip link add xd0 type xmesh
check "1000 neighbors on a scratch device" \
	n 1 python3 "$here/nlraw.py" send neigh-new ifname=xd0 \
	"neigh{ id=%i+1 node=9 link=@ul1 remote=10.98.0.0+%i }*1000"
check "devices, sockets and traffic hold no reference" test "$(use_count)" -eq 0
n 1 python3 - "$here" >"$tmp/dump" 2>&1 <<'EOF' &
import os, sys, time
sys.path.insert(0, sys.argv[1])
import nlraw
c = nlraw.Client()
data, _ = nlraw.build("neigh-get +dump ifname=xd0", c.family_id, 1)
c.sock.send(data)
print("dumping", os.getpid(), flush=True)
time.sleep(300)
EOF
check "a dump left unread" wait_for 30 grep -q dumping "$tmp/dump"
holder=$(awk '/^dumping/ { print $2 }' "$tmp/dump")
check "the dump holds a reference" test "$(use_count)" -gt 0
check "rmmod refused while the dump is open" fails rmmod xmesh
[[ -z $holder ]] || kill "$holder" 2>/dev/null || true

# --------------------- rmmod with every device present, under traffic
check "traffic still crosses node 3" forwarding 3
check "rmmod xmesh with six devices and the streams running" rmmod_retry
check "xmesh is gone from /proc/modules again" not_loaded
check "rtnl_link_unregister deleted every device" no_xmesh_devices
check "the scratch device went too" fails ip -n xm-1 link show xd0
traffic_stop
check "modprobe xmesh a third time" modprobe xmesh
check "a device can be created again" ip -n xm-1 link add xmesh0 type xmesh
check "modprobe -r xmesh with a bare device" modprobe -r xmesh
check "xmesh is gone at last" not_loaded

tap_done
